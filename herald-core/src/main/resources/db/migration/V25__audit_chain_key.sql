-- The audit chain's key (issue 18): entries are chained with HMAC-SHA256 under a random key sealed by the master key
-- (see dev.herald.store.chain.HashChain), so a rewrite by whoever holds the database but not the master key does not
-- verify. Entries up to legacy_through were written before (unkeyed SHA-256) and keep verifying; boundary_mac binds
-- that number to the key. One row, made by Herald at its first start on this version; never changed.
create table audit_chain_key (
    id             boolean  primary key default true check (id),
    legacy_through bigint   not null check (legacy_through >= 0),
    sealed_key     text     not null,
    boundary_mac   char(64) not null
);
create trigger audit_chain_key_no_change before update or delete on audit_chain_key for each row execute function audit_log_refuse();
create trigger audit_chain_key_no_truncate before truncate on audit_chain_key for each statement execute function audit_log_refuse();
