-- API keys are a resource with scopes: admin (everything), merchant:write and merchant:read (bound to one merchant),
-- events:publish (post events and notifications). Keys from before are admin keys.
-- last_used_at is written in batches by each node; it does not bump the change counter, so recording use never makes
-- every node reload its keys.
alter table api_keys add column scopes text[] not null default '{admin}';
alter table api_keys add column merchant_id text;
alter table api_keys add column last_used_at timestamptz;
drop trigger api_keys_changed on api_keys;
create trigger api_keys_changed after insert or delete or truncate on api_keys
    for each statement execute function api_keys_changed();
create trigger api_keys_updated after update of key_hash, revoked_at, scopes, merchant_id, name on api_keys
    for each statement execute function api_keys_changed();
create index api_keys_merchant on api_keys (merchant_id) where merchant_id is not null;
