-- The reference bank's own schema. Amounts are integer minor units (bigint), never floating point.

-- Customer accounts and the bank's internal accounts (kind 'cash', one per currency) that balance deposits and
-- withdrawals. balance, last_hash and entry_count are the head of the account's journal, updated under the row lock.
create table bank_accounts (
    id          bigserial   primary key,
    uuid        uuid        not null unique,
    kind        text        not null check (kind in ('customer', 'cash')),
    user_uuid   uuid,
    name        text        not null,
    currency    char(3)     not null,
    status      text        not null check (status in ('active', 'frozen', 'closed')),
    balance     bigint      not null default 0,
    last_hash   char(64)    not null default repeat('0', 64),
    entry_count bigint      not null default 0,
    created_at  timestamptz not null,
    updated_at  timestamptz not null
);
create unique index bank_accounts_cash on bank_accounts (currency) where kind = 'cash';

create table bank_transfers (
    id                    bigserial   primary key,
    uuid                  uuid        not null unique,
    client_transfer_id    text        not null unique,
    from_account_id       bigint      not null references bank_accounts (id),
    to_account_id         bigint      not null references bank_accounts (id),
    amount                bigint      not null check (amount > 0),
    currency              char(3)     not null,
    description           text,
    status                text        not null check (status in ('pending', 'completed', 'failed')),
    failure_reason        text,
    failure_rule          text,
    debit_transaction_id  bigint,
    credit_transaction_id bigint,
    trace_id              text,
    created_at            timestamptz not null,
    completed_at          timestamptz
);
create index bank_transfers_source on bank_transfers (from_account_id, completed_at) where status = 'completed';

-- A customer-visible transaction on one account; its money moves as entries (below).
create table bank_transactions (
    id             bigserial   primary key,
    uuid           uuid        not null unique,
    account_id     bigint      not null references bank_accounts (id),
    type           text        not null check (type in ('deposit', 'withdrawal', 'transfer_debit', 'transfer_credit', 'reversal')),
    amount         bigint      not null check (amount > 0),
    currency       char(3)     not null,
    balance_before bigint      not null,
    balance_after  bigint      not null,
    reference      text,
    transfer_id    bigint      references bank_transfers (id),
    reverses_id    bigint      unique references bank_transactions (id),
    reversed       boolean     not null default false,
    trace_id       text,
    created_at     timestamptz not null
);
create index bank_transactions_account on bank_transactions (account_id, id);

-- The double-entry journal: signed amounts (credit to the account positive), summing to zero over all entries.
-- Each account's entries form a hash chain: hash = sha256_hex(previous_hash || canonical fields), see Ledger.
create table bank_entries (
    id             bigserial   primary key,
    account_id     bigint      not null references bank_accounts (id),
    seq            bigint      not null,
    transaction_id bigint      not null references bank_transactions (id),
    amount         bigint      not null,
    balance_after  bigint      not null,
    created_at     timestamptz not null,
    previous_hash  char(64)    not null,
    hash           char(64)    not null,
    unique (account_id, seq)
);
create index bank_entries_transaction on bank_entries (transaction_id);

-- Every operation, hash-chained in id order (appends are serialised by an advisory lock).
create table bank_audit (
    id             bigserial   primary key,
    trace_id       text,
    message_id     text,
    type           text        not null,
    operation      text        not null,
    account_uuid   uuid,
    amount         bigint,
    balance_before bigint,
    balance_after  bigint,
    client_ip      text,
    user_agent     text,
    request_body   text,
    response_body  text,
    status         text        not null,
    created_at     timestamptz not null,
    previous_hash  char(64)    not null,
    hash           char(64)    not null
);
create index bank_audit_trace on bank_audit (trace_id);

create table bank_api_keys (
    key_hash   bytea       primary key,
    prefix     text        not null,
    created_at timestamptz not null
);

-- The transactional outbox (same DDL as dev.herald.outbox.Outbox.DDL).
create table if not exists herald_outbox (
    seq          bigserial   primary key,
    id           text        not null unique,
    type         text        not null,
    ordering_key text,
    priority     smallint    not null default 0,
    trace_id     text,
    body         text        not null,
    txid         xid8        not null default pg_current_xact_id(),
    created_at   timestamptz not null default now(),
    sent_at      timestamptz
);
create index if not exists herald_outbox_unsent_seq on herald_outbox (seq) where sent_at is null;
