-- Throwaway schema for dev.herald.store.DatabaseTest only; the real schema lives in src/main/resources/db/migration.
create table widgets (
    id   bigint primary key,
    name text not null
);
