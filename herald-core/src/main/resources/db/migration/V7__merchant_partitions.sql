-- All endpoints of one merchant share a partition, so they live on one node and the per-merchant in-flight cap holds
-- cluster-wide, as the per-endpoint cap does. Endpoints without a merchant spread by their own id as before.
alter table endpoints drop column partition;
alter table endpoints add column partition integer generated always as ((hashtext(coalesce(merchant_id, id)) & 2147483647) % 64) stored;
create index endpoints_partition on endpoints (partition);
