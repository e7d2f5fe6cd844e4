#!/usr/bin/env bash
# The live API against its own OpenAPI document with schemathesis (PyPI): `serve --twin` on a
# loopback port with a fresh SQLite store and an admin token, every operation but DELETE called
# with generated requests (valid and invalid). Checks: no server error, every status code,
# content type, header and body as the document says, invalid data refused, auth not ignored.
# Not checked: "positive data acceptance" — a request the schema allows may still be refused
# for what a schema cannot say (`to` before `from`, a window longer than its resolution allows,
# a series that does not exist). DELETE is left out because it revokes tokens, the test's own
# included (tests/api.rs covers it); the event stream is left out because it runs until its
# `seconds` have passed (tests/api.rs reads one event of it), and the runs, whose start would
# have the server dispatch whole years in a loop (tests/api.rs starts and reads them).
# Usage: .ci/api-schemathesis.sh PARKGRID_BINARY (built with --features live)
set -euo pipefail
bin="$1"
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet schemathesis
fi
dir="$(mktemp -d)"
serve_pid=""
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
db="sqlite:$dir/park.db"
token="$("$bin" token create examples/yanqing.toml --db "$db" --role admin --label schemathesis 2>/dev/null)"
# 30 days at an hour a second: longer than the run below; stopped by the trap.
"$bin" serve examples/yanqing.toml --twin --db "$db" --days 30 --speed 3600 \
  --listen 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
serve_pid=$!
addr=""
for _ in $(seq 1 120); do
  addr="$(grep -o 'health on http://[0-9.:]*' "$dir/serve.log" | head -1 | sed 's|health on http://||' || true)"
  if [ -n "$addr" ]; then break; fi
  if ! kill -0 "$serve_pid" 2>/dev/null; then cat "$dir/serve.log"; exit 1; fi
  sleep 0.5
done
if [ -z "$addr" ]; then cat "$dir/serve.log"; echo "serve did not say where it listens"; exit 1; fi
echo "   serve at $addr"
schemathesis run "http://$addr/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,ignored_auth,missing_required_header,unsupported_method \
  --exclude-method DELETE --exclude-path-regex '^/api/v1/(stream/latest|runs)$' \
  --max-examples 50 --seed 1 --max-time 40 --rate-limit 150/s --wait-for-schema 30
