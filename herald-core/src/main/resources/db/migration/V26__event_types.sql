-- The event catalog: per type a description, a JSON Schema (2020-12) of its data, an example and a version. Rows are
-- seeded at start from the types Herald ships (insert ... on conflict do nothing: an operator's change is kept) and
-- changed through PUT /v1/event-types/{type} (audited). Ingest checks events against them (see dev.herald.catalog).
create table event_types (
    type        text        primary key,
    version     integer     not null check (version >= 1),
    description text        not null,
    schema      jsonb       not null,
    example     jsonb       not null,
    operational boolean     not null default false,
    updated_at  timestamptz not null
);
-- A merchant's own schema-validation mode (off, warn, enforce), set by the operator; null: the node's.
alter table merchants add column schema_validation text check (schema_validation in ('off', 'warn', 'enforce'));
-- Every node keeps the compiled schemas and the merchants' modes in memory and re-checks this counter at most once a
-- second, so a change made through any node applies on every node within a second.
create table event_types_version (
    id      boolean primary key default true check (id),
    version bigint not null
);
insert into event_types_version (id, version) values (true, 0);
create function event_types_changed() returns trigger language plpgsql as $$
begin
    update event_types_version set version = version + 1;
    return null;
end
$$;
create trigger event_types_changed after insert or update or delete or truncate on event_types
    for each statement execute function event_types_changed();
create trigger merchant_schema_validation_changed after update of schema_validation on merchants
    for each statement execute function event_types_changed();
