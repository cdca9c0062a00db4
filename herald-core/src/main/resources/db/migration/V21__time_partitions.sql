-- Retention (issue 12): events, deliveries and attempts live in daily partitions (PostgreSQL declarative partitioning,
-- RANGE on part_day, a UTC date), so work past its retention goes by dropping whole partitions, never by DELETE.
-- See dev.herald.retention.PartitionMaintenance for the rules; in short:
--
--  * part_day is the UTC day the event was received (from the application's Clock). An event's deliveries and their
--    attempts carry the event's part_day, so an event and all its work live in partitions of the same day and go
--    together. That co-partitioning replaces the foreign keys deliveries -> events and attempts -> deliveries: a key on
--    a partitioned table must include the partition key, and a referenced partition cannot be dropped without an RI
--    scan. deliveries -> endpoints (a plain table) stays.
--  * Rows never move between partitions: a partition past retention that still holds pending deliveries, failed ones
--    inside their resend window, or work of a merchant with a longer retention is kept whole.
--  * Unique keys include part_day. Delivery ids encode their creation time (dev.herald.support.Ids), so the partition
--    of a delivery is derived from its id. Event ids and idempotency keys may come from producers, so their
--    uniqueness and the lookup of an event by id live in event_keys, a plain table: one row per event, removed (in
--    batches) when the event's partition is dropped.
--  * Each table has a DEFAULT partition as a safety net; the maintenance job moves rows out of it.
--
-- Columns are carried over with LIKE and copied through column lists read from the catalog, so columns added to these
-- tables by other migrations come along; plain indexes are re-created from their own definitions; the unique keys are
-- rebuilt with part_day; the foreign keys between the three tables are dropped (see above).

-- A merchant may keep its work longer than the node's retention (null: the node's --retention-days).
alter table merchants add column retention_days integer check (retention_days between 1 and 3650);

-- The non-generated columns of a table, as a list (optionally prefixed with an alias), in column order.
create function pg_temp.herald_columns(t regclass, alias text) returns text language sql stable as $$
    select string_agg(case when alias = '' then quote_ident(attname) else alias || '.' || quote_ident(attname) end, ', ' order by attnum)
    from pg_attribute where attrelid = t and attnum > 0 and not attisdropped and attgenerated = ''
$$;

-- The definitions of a table's plain (not unique) indexes, re-created on the partitioned table once it has the name.
create temporary table herald_v21_indexes on commit drop as
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
    from pg_index i
    where i.indrelid in ('events'::regclass, 'deliveries'::regclass, 'attempts'::regclass) and not i.indisunique;

create table events_v21 (like events including all excluding indexes, part_day date not null) partition by range (part_day);
create table deliveries_v21 (like deliveries including all excluding indexes, part_day date not null) partition by range (part_day);
create table attempts_v21 (like attempts including all excluding indexes, part_day date not null) partition by range (part_day);
alter sequence events_seq_seq owned by events_v21.seq;
alter sequence deliveries_seq_seq owned by deliveries_v21.seq;
alter sequence attempts_id_seq owned by attempts_v21.id;

-- A partition per day that has rows, and the default partitions; the maintenance job adds the days ahead at start.
do $$
declare
    d date;
    t text;
begin
    for d in select distinct (received_at at time zone 'UTC')::date from events order by 1 loop
        foreach t in array array['events', 'deliveries', 'attempts'] loop
            execute format('create table %I partition of %I for values from (%L) to (%L)', t || '_p' || to_char(d, 'YYYYMMDD'), t || '_v21', d, d + 1);
        end loop;
    end loop;
    foreach t in array array['events', 'deliveries', 'attempts'] loop
        execute format('create table %I partition of %I default', t || '_default', t || '_v21');
    end loop;
end
$$;

-- Every row, with the part_day of its event.
do $$
begin
    execute format('insert into events_v21 (%s, part_day) select %s, (e.received_at at time zone ''UTC'')::date from events e',
                   pg_temp.herald_columns('events', ''), pg_temp.herald_columns('events', 'e'));
    execute format('insert into deliveries_v21 (%s, part_day) select %s, e.part_day from deliveries d join events_v21 e on e.seq = d.event_seq',
                   pg_temp.herald_columns('deliveries', ''), pg_temp.herald_columns('deliveries', 'd'));
    execute format('insert into attempts_v21 (%s, part_day) select %s, d.part_day from attempts a join deliveries_v21 d on d.id = a.delivery_id',
                   pg_temp.herald_columns('attempts', ''), pg_temp.herald_columns('attempts', 'a'));
end
$$;

-- An event's id and its idempotency key are unique in its scope (V10), for as long as the event is kept.
create table event_keys (
    id              text   not null,
    scope           text   not null,
    idempotency_key text,
    event_seq       bigint not null,
    part_day        date   not null,
    primary key (id, scope)
);
create unique index event_keys_scope_key on event_keys (scope, idempotency_key) where idempotency_key is not null;
-- keys are written in time order: a BRIN index finds one day's keys when its partition is dropped, at next to no cost
create index event_keys_day on event_keys using brin (part_day);
insert into event_keys (id, scope, idempotency_key, event_seq, part_day) select id, scope, idempotency_key, seq, part_day from events_v21;

drop table attempts;
drop table deliveries;
drop table events;
alter table events_v21 rename to events;
alter table deliveries_v21 rename to deliveries;
alter table attempts_v21 rename to attempts;

alter table events add constraint events_pkey primary key (seq, part_day);
alter table deliveries add constraint deliveries_pkey primary key (seq, part_day);
-- ids encode their creation time, and so their part_day: unique with it is unique
alter table deliveries add constraint deliveries_id_key unique (id, part_day);
-- an event lives in one part_day and its deliveries with it: unique with it is unique per event
alter table deliveries add constraint deliveries_event_endpoint unique (event_seq, endpoint_id, part_day);
alter table deliveries add constraint deliveries_endpoint_id_fkey foreign key (endpoint_id) references endpoints (id);
alter table attempts add constraint attempts_pkey primary key (id, part_day);

do $$
declare
    r record;
begin
    for r in select name, def from herald_v21_indexes loop
        execute r.def;
    end loop;
end
$$;

analyze events;
analyze deliveries;
analyze attempts;
analyze event_keys;
drop function pg_temp.herald_columns(regclass, text);
