-- Cost per delivery (issue 12). Written for plain and for time-partitioned tables alike (V21): every statement names the
-- parent table, so it applies to all partitions.

-- A delivery whose first try succeeded keeps that try in its own row instead of an attempts row: the try's start,
-- duration, status code, response excerpt and headers. first_try_started_at is null otherwise; the attempts table keeps
-- every failure, every later try, and a try whose node's claim had been taken over (its update does not apply). The
-- attempts API shows the first try from these columns as attempt 1, shaped as an attempts row. (GET /v1/stats counts
-- tries from stats_minutes, V23, not from the attempts table.)
alter table deliveries add column first_try_started_at timestamptz;
alter table deliveries add column first_try_duration_ms integer;
alter table deliveries add column first_try_status_code integer;
alter table deliveries add column first_try_response_excerpt text;
alter table deliveries add column first_try_response_headers jsonb;

-- Deliveries that are delivered stay out of the status index: almost every delivery ends delivered, and listing them
-- walks the primary key newest first anyway; the index serves the rarer statuses (pending backlog, failed, cancelled).
-- The update that marks a delivery delivered then adds no entry to it.
drop index if exists deliveries_status;
create index deliveries_status on deliveries (status, seq) where status <> 'delivered';

-- Only a FIFO endpoint's deliveries carry an ordering key from V22 on (one becoming FIFO gives its pending deliveries
-- their event's key), so the FIFO index holds nothing for the others. Keys already stored stay: harmless.
