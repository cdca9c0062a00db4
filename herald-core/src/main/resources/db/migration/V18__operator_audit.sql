-- The operator audit log: one entry per control-plane change, hash-chained (see dev.herald.audit.Chain). before and
-- after are the redacted JSON exactly as hashed. Entries are numbered 1, 2, 3 ... in commit order without gaps: an
-- append locks the one-row head (audit_chain), inserts entry head.seq + 1 linked to head.hash and moves the head onto it.
create table audit_log (
    seq             bigint      primary key,
    at              timestamptz not null,
    actor_key_id    text        not null,
    actor_name      text        not null,
    actor_merchant  text,
    action          text        not null,
    target_type     text        not null,
    target_id       text        not null,
    target_merchant text,
    before          text,
    after           text,
    client_address  text,
    trace_id        text,
    prev_hash       char(64)    not null,
    hash            char(64)    not null
);
create index audit_log_target on audit_log (target_id, seq);
create index audit_log_actor on audit_log (actor_key_id, seq);
create index audit_log_merchant on audit_log (target_merchant, seq);

create table audit_chain (
    id   boolean  primary key default true check (id),
    seq  bigint   not null,
    hash char(64) not null
);
insert into audit_chain (id, seq, hash) values (true, 0, repeat('0', 64));

-- Append-only: entries are never changed or removed.
create function audit_log_refuse() returns trigger language plpgsql as $$
begin
    raise exception 'the audit log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_no_update before update or delete on audit_log for each row execute function audit_log_refuse();
create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_refuse();
create trigger audit_chain_no_delete before insert or delete on audit_chain for each row execute function audit_log_refuse();
create trigger audit_chain_no_truncate before truncate on audit_chain for each statement execute function audit_log_refuse();

-- A new entry follows the head: the next number, linked to the head's hash.
create function audit_log_follows_head() returns trigger language plpgsql as $$
declare
    h audit_chain%rowtype;
begin
    select * into h from audit_chain;
    if new.seq <> h.seq + 1 or new.prev_hash <> h.hash then
        raise exception 'audit entry % does not follow the head (entry %)', new.seq, h.seq using errcode = 'integrity_constraint_violation';
    end if;
    return new;
end
$$;
create trigger audit_log_follows_head before insert on audit_log for each row execute function audit_log_follows_head();

-- The head moves one entry forward, onto an entry that exists and links to the old head.
create function audit_chain_forward() returns trigger language plpgsql as $$
begin
    if new.seq <> old.seq + 1 or not exists (select 1 from audit_log where seq = new.seq and hash = new.hash and prev_hash = old.hash) then
        raise exception 'the audit head may only move one entry forward' using errcode = 'integrity_constraint_violation';
    end if;
    return new;
end
$$;
create trigger audit_chain_forward before update on audit_chain for each row execute function audit_chain_forward();

-- At commit, every entry is under the head (no entry was written without moving it).
create function audit_log_under_head() returns trigger language plpgsql as $$
begin
    if not exists (select 1 from audit_chain where seq >= new.seq) then
        raise exception 'audit entry % was written without moving the head', new.seq using errcode = 'integrity_constraint_violation';
    end if;
    return null;
end
$$;
create constraint trigger audit_log_under_head after insert on audit_log deferrable initially deferred
    for each row execute function audit_log_under_head();
