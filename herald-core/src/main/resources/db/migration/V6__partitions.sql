-- Endpoints are spread over 64 partitions; each partition is leased by one node at a time, so an endpoint's lane
-- (its in-flight cap, rate limit, breaker and FIFO order) lives on one node. Leases are renewed with the heartbeat;
-- a dead node's leases expire and live nodes take them over.
alter table endpoints add column partition integer generated always as ((hashtext(id) & 2147483647) % 64) stored;
create table partitions (
    id          integer primary key,
    owner       text,
    lease_until timestamptz
);
insert into partitions (id) select generate_series(0, 63);
create index endpoints_partition on endpoints (partition);
