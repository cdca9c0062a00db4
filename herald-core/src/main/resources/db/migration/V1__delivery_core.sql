-- Herald delivery core: endpoints, events, deliveries, attempts, API keys.
-- Timestamps are written by the application from its injected Clock, never by now(),
-- so tests that drive the clock see the same time as the database rows.

create table api_keys (
    id          text primary key,
    name        text not null,
    key_hash    bytea not null unique,
    prefix      text not null,
    created_at  timestamptz not null,
    revoked_at  timestamptz
);

create table endpoints (
    id                   text primary key,
    merchant_id          text,
    name                 text not null,
    description          text not null default '',
    url                  text not null,
    events               text[] not null,
    headers              jsonb not null default '{}',
    secret               text not null,
    previous_secret      text,
    previous_secret_until timestamptz,
    is_active            boolean not null default true,
    disabled_reason      text,
    retry_attempts       integer not null,
    retry_schedule       integer[] not null,
    retry_preset         text,
    timeout_seconds      integer not null,
    consecutive_failures integer not null default 0,
    created_at           timestamptz not null,
    updated_at           timestamptz not null,
    deleted_at           timestamptz
);
create index endpoints_live on endpoints (created_at, id) where deleted_at is null;

-- xid orders events for the pull cursor: a row whose xid is below the snapshot's xmin is
-- committed (or gone) and no later commit can take a smaller xid, so cursors never skip.
create table events (
    seq              bigserial primary key,
    xid              xid8 not null default pg_current_xact_id(),
    id               text not null unique,
    type             text not null,
    idempotency_key  text unique,
    account_uuid     text,
    occurred_at      timestamptz not null,
    received_at      timestamptz not null,
    payload          bytea not null,
    trace_id         text,
    priority         smallint not null default 0,
    target_merchant  text
);
create index events_cursor on events (xid, seq);
create index events_type on events (type, xid, seq);

create table deliveries (
    seq              bigserial primary key,
    id               text not null unique,
    event_id         text not null references events (id),
    endpoint_id      text not null references endpoints (id),
    status           text not null check (status in ('pending', 'delivered', 'failed', 'cancelled')),
    attempts         integer not null default 0,
    round_attempts   integer not null default 0,
    next_attempt_at  timestamptz not null,
    claimed_by       text,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    completed_at     timestamptz,
    unique (event_id, endpoint_id)
);
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';
create index deliveries_endpoint on deliveries (endpoint_id, seq);
create index deliveries_status on deliveries (status, seq);
create index deliveries_failed on deliveries (endpoint_id, completed_at) where status = 'failed';

-- attempt_no is the try's number as its node saw it; after a node's claim was taken over, two nodes may
-- record the same number, so the key is a sequence and both tries stay on record.
create table attempts (
    id               bigserial primary key,
    delivery_id      text not null references deliveries (id),
    attempt_no       integer not null,
    started_at       timestamptz not null,
    duration_ms      integer not null,
    status_code      integer,
    error_class      text,
    error_message    text,
    response_excerpt text,
    response_headers jsonb
);
create index attempts_delivery on attempts (delivery_id, id);
