-- A key table of the shape ApiKeyStore expects (as Herald's api_keys and the bank's bank_api_keys), for its tests only.
create table test_keys (
    id         text primary key,
    name       text not null,
    key_hash   bytea not null unique,
    prefix     text not null,
    origin     text not null,
    created_at timestamptz not null,
    revoked_at timestamptz
);
create table test_keys_version (
    id      boolean primary key default true check (id),
    version bigint not null
);
insert into test_keys_version (id, version) values (true, 0);
create function test_keys_changed() returns trigger language plpgsql as $$
begin
    update test_keys_version set version = version + 1;
    return null;
end
$$;
create trigger test_keys_changed after insert or update or delete or truncate on test_keys
    for each statement execute function test_keys_changed();
alter table test_keys add column scopes text[] not null default '{admin}';
alter table test_keys add column merchant_id text;
alter table test_keys add column last_used_at timestamptz;
