-- Herald nodes sharing one database: each heartbeats; a node silent for longer than the dead-after time is presumed
-- dead and the deliveries it had claimed are handed back, so another node sends them.
create table nodes (
    id           text primary key,
    started_at   timestamptz not null,
    heartbeat_at timestamptz not null
);
