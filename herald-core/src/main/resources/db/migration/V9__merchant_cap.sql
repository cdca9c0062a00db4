-- Optional per-merchant in-flight cap (null: the node's --max-in-flight-per-merchant). The caps live in each node's
-- endpoint registry, so merchant changes bump the same change counter as endpoint changes (V8): a node reloads them
-- before its next fan-out, and within its periodic reload otherwise.
alter table merchants add column max_in_flight integer check (max_in_flight between 1 and 10000);
create trigger merchants_changed after insert or delete or update on merchants
    for each statement execute function endpoint_changed();
