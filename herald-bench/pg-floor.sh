#!/usr/bin/env bash
# The PostgreSQL floor of one delivery: the rows Herald writes per delivery (event with a 1 KiB body, pending delivery,
# delivery marked delivered with its first try in the row: no attempts row since V22), on Herald's own schema and indexes, written set-based in batches of 1,000
# by pgbench with no Herald, no HTTP and no JDBC. Prints PostgreSQL's CPU per delivery and the deliveries/s that the
# database alone could sustain if it had every core of this machine.
#   herald-bench/pg-floor.sh [--seconds 20] [--clients 2] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=20 clients=2 url="postgresql://postgres@127.0.0.1:5432/postgres"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --database-url) url="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
db="herald_floor_$$"
floor_url="${url%/*}/$db"
work="$(mktemp -d)"
trap 'psql -q "$url" -c "drop database if exists $db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

psql -q -v ON_ERROR_STOP=1 "$url" -c "create database $db" >/dev/null
for f in $(printf '%s\n' "$root"/herald-core/src/main/resources/db/migration/V*.sql | sort -V); do # V2 before V10
  psql -q -v ON_ERROR_STOP=1 "$floor_url" -f "$f" >/dev/null
done
psql -q -v ON_ERROR_STOP=1 "$floor_url" >/dev/null <<'SQL'
create sequence floor_batch;
insert into endpoints (id, name, url, events, secret, retry_attempts, retry_schedule, timeout_seconds, created_at, updated_at)
select 'ep_' || g, 'fleet ' || g, 'http://127.0.0.1:9000/e/' || g, '{*}', 'whsec_x', 8, '{5,30}', 30, now(), now()
from generate_series(0, 999) g;
SQL

# One script run = 1,000 deliveries: the ingest transaction, then the result transaction, as Herald's two writers do.
cat > "$work/delivery.sql" <<'SQL'
select nextval('floor_batch') * 1000 as b \gset
begin;
with ev as (
  insert into events (id, type, account_uuid, occurred_at, received_at, payload, priority, trace_id, ordering_key, fingerprint)
  select 'evt_' || lpad((:b + g)::text, 22, '0'), 'account.updated', 'acc_' || (g % 1000), now(), now(),
         convert_to(rpad('{"id":"evt_' || (:b + g) || '","data":{"pad":"', 1021, 'x') || '"}}', 'UTF8'), 0,
         md5(g::text), 'acc_' || (g % 1000), sha256(g::text::bytea)
  from generate_series(1, 1000) g
  returning seq, id, ordering_key)
insert into deliveries (id, event_seq, endpoint_id, status, next_attempt_at, claimed_by, created_at, updated_at, ordering_key, priority)
select 'dlv_' || substr(ev.id, 5), ev.seq, 'ep_' || (ev.seq % 1000), 'pending', now(), 'node-1', now(), now(), null, 0
from ev;
commit;
begin;
update deliveries d set status = 'delivered', attempts = d.attempts + 1, round_attempts = d.round_attempts + 1, claimed_by = null,
       last_attempt_at = now(), last_status_code = 200, last_error = null, updated_at = now(), completed_at = now(),
       first_try_started_at = now(), first_try_duration_ms = 1, first_try_status_code = 200, first_try_response_excerpt = '',
       first_try_response_headers = '{"content-length":"0","date":"Mon, 23 Nov 2026 10:00:00 GMT"}'::jsonb
from (select 'dlv_' || lpad((:b + g)::text, 22, '0') as id from generate_series(1, 1000) g) v
where d.id = v.id and d.claimed_by = 'node-1';
commit;
SQL

pg_ticks() { # CPU clock ticks (user + system, with reaped children: backends that exited) of the postgres user
  local total=0 pid f
  for pid in $(pgrep -u postgres || true); do
    f="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    f="${f##*) }"
    set -- $f
    total=$((total + ${12} + ${13} + ${14} + ${15}))
  done
  echo "$total"
}
hz="$(getconf CLK_TCK)"
cores="$(nproc)"
wal_at() { psql -Atq "$url" -c "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"; }
wal_before="$(wal_at)"
before="$(pg_ticks)"
start="$(date +%s.%N)"
pgbench -n -c "$clients" -j 1 -T "$seconds" -f "$work/delivery.sql" "$floor_url" > "$work/pgbench.out" 2>&1 \
  || { cat "$work/pgbench.out" >&2; exit 1; }
end="$(date +%s.%N)"
after="$(pg_ticks)"
wal_after="$(wal_at)"
runs="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.out")"
wall="$(echo "$end - $start" | bc -l)"
cpu="$(echo "($after - $before) / $hz" | bc -l)"
deliveries=$((runs * 1000))
printf 'pg-floor: %d clients, %s s, Herald schema, batches of 1,000, 1 KiB bodies, 3 rows per delivery\n' "$clients" "$seconds"
printf '  deliveries written            %12d\n' "$deliveries"
printf '  deliveries/s                  %12.0f\n' "$(echo "$deliveries / $wall" | bc -l)"
printf '  PostgreSQL CPU (cores)        %12.2f   of %d\n' "$(echo "$cpu / $wall" | bc -l)" "$cores"
printf '  WAL per delivery              %12.0f bytes (the whole server'"'"'s WAL: keep it otherwise idle)\n' "$(echo "($wal_after - $wal_before) / $deliveries" | bc -l)"
printf '  PostgreSQL CPU per delivery   %12.4f ms\n' "$(echo "$cpu * 1000 / $deliveries" | bc -l)"
printf '  deliveries/s on all %d cores   %12.0f   (PostgreSQL alone, nothing else running)\n' "$cores" "$(echo "$cores * $deliveries / $cpu" | bc -l)"
