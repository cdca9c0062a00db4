-- API keys: every node holds the live key hashes in memory and re-checks this counter at most once a second, so a key
-- revoked or deleted anywhere stops working everywhere within a second, and an unknown key costs no query.
-- origin tells a key set by HERALD_ADMIN_KEY ('configured', replaced when the configured key changes) from the one
-- generated on the first start ('generated') and keys made through the API ('api').
alter table api_keys add column origin text not null default 'generated' check (origin in ('configured', 'generated', 'api'));
update api_keys set origin = 'configured' where name = 'configured';
create table api_keys_version (
    id      boolean primary key default true check (id),
    version bigint not null
);
insert into api_keys_version (id, version) values (true, 0);
create function api_keys_changed() returns trigger language plpgsql as $$
begin
    update api_keys_version set version = version + 1;
    return null;
end
$$;
create trigger api_keys_changed after insert or update or delete or truncate on api_keys
    for each statement execute function api_keys_changed();
