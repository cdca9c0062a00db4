-- The shared key store's shape (dev.herald.web.ApiKeyStore): scopes, an optional merchant and the last use. The bank's
-- keys are all admin keys of its API.
alter table bank_api_keys add column scopes text[] not null default '{admin}';
alter table bank_api_keys add column merchant_id text;
alter table bank_api_keys add column last_used_at timestamptz;
drop trigger bank_api_keys_changed on bank_api_keys;
create trigger bank_api_keys_changed after insert or delete or truncate on bank_api_keys
    for each statement execute function bank_api_keys_changed();
create trigger bank_api_keys_updated after update of key_hash, revoked_at, scopes, merchant_id, name on bank_api_keys
    for each statement execute function bank_api_keys_changed();
