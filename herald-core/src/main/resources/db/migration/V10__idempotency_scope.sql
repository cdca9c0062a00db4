-- Idempotency is scoped per merchant: an event's id and its idempotency key are unique within its scope, the merchant
-- it targets (merchant_id, for notifications the merchant), or '' for events to every subscriber. Two merchants may
-- both use Idempotency-Key: order-1001 without one's callback being taken for a duplicate of the other's.
-- The fingerprint (SHA-256 of what the producer sent, see EventInput) tells a retry of the same request (answered as
-- a duplicate) from a different request under the same key or id (answered 409); rows from before have none and are
-- taken as the same request.

-- Event ids are no longer unique on their own: deliveries reference their event by its sequence number.
alter table deliveries add column event_seq bigint;
update deliveries d set event_seq = e.seq from events e where e.id = d.event_id;
alter table deliveries alter column event_seq set not null;
alter table deliveries drop column event_id; -- with its foreign key and its unique (event_id, endpoint_id)
alter table deliveries add constraint deliveries_event_endpoint unique (event_seq, endpoint_id);
alter table deliveries add constraint deliveries_event_seq_fkey foreign key (event_seq) references events (seq);

alter table events add column scope text generated always as (coalesce(target_merchant, '')) stored;
alter table events add column fingerprint bytea;
alter table events drop constraint events_id_key;
alter table events drop constraint events_idempotency_key_key;
-- id first, so a lookup by id alone (every scope) uses the same index; ids are time-ordered, so it grows at its right edge
create unique index events_id_scope on events (id, scope);
create unique index events_scope_key on events (scope, idempotency_key) where idempotency_key is not null;
