-- The due-scanner claims per endpoint (DeliveryRepository.claimDue): for each live endpoint of the node's partitions with
-- work, its oldest due deliveries that no node holds. This index holds exactly those rows — pending and unclaimed — keyed
-- by endpoint and due time, so a claim reads only what it may take: never the day's delivered rows (the old plan walked
-- deliveries_endpoint, every row of an endpoint), never the rows another node holds in memory. Deliveries created
-- claimed by the node that sends them (the hot path) never enter it.
drop index if exists deliveries_due;
create index deliveries_ready on deliveries (endpoint_id, next_attempt_at) where status = 'pending' and claimed_by is null;
