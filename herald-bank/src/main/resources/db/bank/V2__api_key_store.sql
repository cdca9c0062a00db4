-- The bank's API keys take the shape of Herald's shared key store (dev.herald.web.ApiKeyStore): an id and name per
-- key, revocation, where the key came from, and a change counter that every node re-checks at most once a second, so a
-- key revoked or deleted stops working everywhere at once and an unknown key costs no query.
alter table bank_api_keys add column id text;
update bank_api_keys set id = 'key_' || md5(key_hash::text);
alter table bank_api_keys alter column id set not null;
alter table bank_api_keys add column name text not null default 'bank';
alter table bank_api_keys add column origin text not null default 'generated' check (origin in ('configured', 'generated', 'api'));
alter table bank_api_keys add column revoked_at timestamptz;
alter table bank_api_keys drop constraint bank_api_keys_pkey;
alter table bank_api_keys add primary key (id);
alter table bank_api_keys add constraint bank_api_keys_key_hash_key unique (key_hash);
create table bank_api_keys_version (
    id      boolean primary key default true check (id),
    version bigint not null
);
insert into bank_api_keys_version (id, version) values (true, 0);
create function bank_api_keys_changed() returns trigger language plpgsql as $$
begin
    update bank_api_keys_version set version = version + 1;
    return null;
end
$$;
create trigger bank_api_keys_changed after insert or update or delete or truncate on bank_api_keys
    for each statement execute function bank_api_keys_changed();
