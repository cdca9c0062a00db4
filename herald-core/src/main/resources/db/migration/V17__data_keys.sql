-- Data keys seal secrets at rest (AES-256-GCM); each is stored wrapped by the master key, which never reaches the
-- database. master_key_id names the master key that wrapped it (a non-secret hash), so a node started with another
-- key is refused with both ids named. Exactly one data key is current (seals new values); the others still open
-- what they sealed. Sealed values are text: sealed:v1:<data key id>:<base64(nonce | ciphertext | tag)>.
create table data_keys (
    id            text primary key,
    wrapped       bytea not null,
    master_key_id text not null,
    is_current    boolean not null default false,
    created_at    timestamptz not null default now(),
    wrapped_at    timestamptz not null default now()
);
create unique index data_keys_one_current on data_keys (is_current) where is_current;
