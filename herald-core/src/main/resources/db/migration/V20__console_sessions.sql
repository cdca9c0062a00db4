-- Console sessions: an API key exchanged for a browser session (see dev.herald.web.ConsoleSessions). Only the SHA-256
-- of the session id is stored, so a copy of this table logs no one in; any node can check a session. A session ends at
-- expires_at (absolute), after idle time without use (last_seen_at), on logout, or when its key is revoked.
-- (V20, not V19: V19 is kept for tracing work done in parallel.)
create table console_sessions (
    id_hash      bytea       primary key,
    key_id       text        not null,
    created_at   timestamptz not null,
    last_seen_at timestamptz not null,
    expires_at   timestamptz not null
);
create index console_sessions_expiry on console_sessions (expires_at);
create index console_sessions_key on console_sessions (key_id);

-- The overview's last hour (GET /v1/stats) reads attempts by start time: a BRIN index, which costs next to nothing on
-- the append-only attempts table, keeps that from scanning the whole table.
create index attempts_started_brin on attempts using brin (started_at);
