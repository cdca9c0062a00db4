-- The console's charts (GET /v1/stats): each node writes its per-minute totals per merchant (merchant_id '*' for all of
-- its tries, '' for endpoints of no merchant) every few seconds; a read sums the nodes. Histograms are counts per fixed
-- millisecond bucket (dev.herald.stats.LatencyHistogram), so they add up across nodes. Rows older than a few hours are
-- deleted as they age; the table holds minutes x active merchants x nodes rows, whatever the traffic.
-- (V23: V21 and V22 are kept for retention and cost work done in parallel.)
create table stats_minutes (
    minute       timestamptz not null,
    merchant_id  text        not null,
    node_id      text        not null,
    attempts     bigint      not null,
    acknowledged bigint      not null,
    attempt_ms   bigint[]    not null,
    receive_ms   bigint[]    not null,
    primary key (merchant_id, minute, node_id)
);
create index stats_minutes_age on stats_minutes (minute);

-- GET /v1/stats no longer reads attempts by start time: its BRIN index (V20) goes.
drop index if exists attempts_started_brin;
