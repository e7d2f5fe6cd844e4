#!/usr/bin/env bash
# Load on the live API with wrk, while ingest runs, side by side with a peer: datasette (PyPI)
# serving the same SQLite file the same two answers as SQL.
#
#   cargo build --release -p parkgrid --features live
#   crates/parkgrid-server/benches/api_load.sh [SECONDS_PER_RUN]   (default 20)
#
# Needs: wrk (Debian), datasette (pip), Mosquitto on 127.0.0.1:1883. Steps: a month of the
# Yanqing park at 15-minute steps stored by `serve --twin`; then `serve --mqtt` with the API on a
# loopback port while `twin --mqtt` publishes further days at about 10,000 points/s; wrk with 2
# threads and 16 connections on (1) the latest values of 5 series and (2) one day of one series'
# raw points — first parkgrid, then datasette on the same file, alternating twice. Prints wrk's
# lines and the ingest rate seen over each run.
set -euo pipefail
secs="${1:-20}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
bin="$repo/target/release/parkgrid"
dir="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
sed 's/^park_id = "yanqing"/park_id = "bench"/' "$repo/examples/yanqing.toml" > "$dir/park.toml"
db="sqlite:$dir/park.db"
"$bin" serve "$dir/park.toml" --twin --db "$db" --days 31 --step-min 15 --speed max --listen off --quiet
token="$("$bin" token create "$dir/park.toml" --db "$db" --role operator --label bench 2>/dev/null)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve "$dir/park.toml" --mqtt 127.0.0.1:1883 --db "$db" --client-id "bench-$$" \
  --listen "127.0.0.1:$port" --api-rate 1000000 --quiet >"$dir/serve.log" 2>&1 &
pids+=($!)
sleep 2
# About 73 points per 15-minute frame: 153 frames/s are about 10,000 points/s as taken.
"$bin" twin "$dir/park.toml" --mqtt 127.0.0.1:1883 --from 2025-02-01 --days 300 --step-min 15 \
  --speed 138000 --quiet >"$dir/twin.log" 2>&1 &
pids+=($!)
dport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
datasette serve "$dir/park.db" --host 127.0.0.1 --port "$dport" --setting sql_time_limit_ms 5000 \
  >"$dir/datasette.log" 2>&1 &
pids+=($!)
sleep 3
names="bench/pv_roof/output_kw,bench/cloud_dc/p_kw,bench/chp_biogas/p_kw,bench/e_boiler/p_kw,bench/ev_hub/p_kw"
day_from=1736092800000   # 2025-01-06T00:00+08:00
day_to=$((day_from + 86400000))
ids=$(python3 - "$dir/park.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
names = ["bench/pv_roof/output_kw","bench/cloud_dc/p_kw","bench/chp_biogas/p_kw","bench/e_boiler/p_kw","bench/ev_hub/p_kw"]
print(",".join(str(c.execute("select id from series where name=?", (n,)).fetchone()[0]) for n in names))
PY
)
pv_id="${ids%%,*}"
latest_sql="select s.name, (select time_ms from points p where p.series_id = s.id and p.quality = 0 order by time_ms desc limit 1) as time_ms, (select value from points p where p.series_id = s.id and p.quality = 0 order by time_ms desc limit 1) as value from series s where s.id in ($ids)"
window_sql="select time_ms, value, quality from points where series_id = $pv_id and time_ms >= $day_from and time_ms < $day_to order by time_ms"
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
pg_latest="http://127.0.0.1:$port/api/v1/series/latest?names=$names"
pg_window="http://127.0.0.1:$port/api/v1/series/window?name=bench/pv_roof/output_kw&from=$day_from&to=$day_to"
ds_latest="http://127.0.0.1:$dport/park.json?_shape=array&sql=$(enc "$latest_sql")"
ds_window="http://127.0.0.1:$dport/park.json?_shape=array&sql=$(enc "$window_sql")"
# The answers agree before anything is timed.
curl -sf -H "Authorization: Bearer $token" "$pg_window" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   parkgrid window:", len(d["values"]), "points")'
curl -sf "$ds_window" | python3 -c 'import json,sys; print("   datasette window:", len(json.load(sys.stdin)), "points")'
points() { curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ingest"]["points"])'; }
run() {  # name url [header]
  local before after
  before=$(points)
  if [ -n "${3:-}" ]; then
    wrk -t2 -c16 -d"${secs}s" --latency -H "$3" "$2" | grep -E "Requests/sec|99%|Non-2xx|Socket errors" | sed "s/^/   $1: /"
  else
    wrk -t2 -c16 -d"${secs}s" --latency "$2" | grep -E "Requests/sec|99%|Non-2xx|Socket errors" | sed "s/^/   $1: /"
  fi
  after=$(points)
  echo "   $1: ingest $(( (after - before) / secs )) points/s meanwhile"
}
for round in 1 2; do
  echo "round $round"
  run "parkgrid latest " "$pg_latest" "Authorization: Bearer $token"
  run "datasette latest" "$ds_latest"
  run "parkgrid window " "$pg_window" "Authorization: Bearer $token"
  run "datasette window" "$ds_window"
done
