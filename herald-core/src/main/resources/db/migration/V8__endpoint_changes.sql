-- A counter of endpoint changes, bumped in the changing transaction, so every node sees — inside its own ingest
-- transaction — that its in-memory endpoint registry is behind and reloads it before fanning out. Without it, an
-- endpoint created through one node would miss the events other nodes accepted until their next periodic reload.
-- Every change of an endpoint's configuration sets updated_at; the failure streak (written per result batch) does not.
create table endpoint_changes (
    id      boolean primary key default true check (id),
    version bigint not null
);
insert into endpoint_changes (id, version) values (true, 0);
create function endpoint_changed() returns trigger language plpgsql as $$
begin
    update endpoint_changes set version = version + 1;
    return null;
end
$$;
create trigger endpoints_changed after insert or delete or update of updated_at on endpoints
    for each statement execute function endpoint_changed();
