-- FIFO ordering per key: an endpoint with ordering = 'fifo' gets the deliveries of one ordering key (the event's
-- ordering_key, else its account_uuid) strictly in ingest order; a failing head holds back its own key only.
alter table endpoints add column ordering text not null default 'none' check (ordering in ('none', 'fifo'));
alter table events add column ordering_key text;
alter table deliveries add column ordering_key text;
alter table deliveries add column priority smallint not null default 0;
create index deliveries_fifo on deliveries (endpoint_id, ordering_key, seq) where status = 'pending' and ordering_key is not null;
