-- The audit chain's key (see dev.herald.store.chain.HashChain): entries are chained with HMAC-SHA256 under the bank's
-- audit key, kept outside the database. Entries up to legacy_through were written before (unkeyed SHA-256) and keep
-- verifying; boundary_mac binds that id to the key. One row, made by the bank at its first start on this version.
create table bank_audit_key (
    id             boolean  primary key default true check (id),
    legacy_through bigint   not null check (legacy_through >= 0),
    boundary_mac   char(64) not null
);
