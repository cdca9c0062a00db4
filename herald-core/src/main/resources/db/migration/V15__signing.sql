-- Signature schemes per endpoint (sha256, v1, v1a = Ed25519, rsa-sha256) and optional payload sealing
-- (AEAD_AES_256_GCM under the merchant's payload key, WeChat Pay v3 style). A merchant's schemes apply to its
-- notify_url targets. Asymmetric signing keys belong to the merchant, or to the endpoint when it has none; a rotated
-- key keeps signing beside its successor until retires_at.
alter table endpoints add column signature_schemes text[] not null default '{sha256,v1}';
alter table endpoints add column payload_encryption boolean not null default false;
alter table merchants add column signature_schemes text[] not null default '{sha256,v1}';
alter table merchants add column payload_key text;
create table signing_keys (
    owner_type  text        not null check (owner_type in ('merchant', 'endpoint')),
    owner_id    text        not null,
    kid         text        not null,
    algorithm   text        not null check (algorithm in ('ED25519', 'RSA')),
    private_key text        not null,
    public_key  text        not null,
    created_at  timestamptz not null,
    retires_at  timestamptz,
    primary key (owner_type, owner_id, kid)
);
-- every node's endpoint registry holds the keys: a change reaches them like an endpoint change (V8)
create trigger signing_keys_changed after insert or delete or update on signing_keys
    for each statement execute function endpoint_changed();
