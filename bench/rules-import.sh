#!/usr/bin/env bash
# Bulk rule import over HTTP on loopback: a release `remise serve` on a fresh SQLite file with the
# demo data, 100 segments and 100,000 products imported first (setup), then 10,000 promotions
# (bench/rules-import.py, fixed seed) posted to /v1/import/rules by curl, timed by curl
# (time_total: upload, checks, write, new snapshot, answer). Then the same file again (all
# unchanged), its dry run, 10 promotions posted one by one for comparison, and the NDJSON form of
# the same documents into a second fresh database.
# Usage: bench/rules-import.sh            (builds the release binary first)
#        REMISE_BIN=target/release/remise bench/rules-import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${REMISE_BIN:-target/release/remise}
[ -n "${REMISE_BIN:-}" ] || cargo build --release -p remise-cli
dir=$(mktemp -d)
port=18932
server=
stop() { [ -z "$server" ] || { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }; }
trap 'stop; rm -rf "$dir"' EXIT
python3 bench/rules-import.py "$dir"
key='Authorization: Bearer rk_demo_management'
base="http://127.0.0.1:$port"

serve() {
  stop
  "$bin" serve --database "sqlite://$dir/$1.db" --addr "127.0.0.1:$port" >"$dir/$1.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    curl -sf "$base/health" >/dev/null && return
    sleep 0.1
  done
  echo "the server did not start" >&2; cat "$dir/$1.log" >&2; exit 1
}

# The CPU time the server has used so far (user + system, all threads), in clock ticks: unlike
# the wall-clock time, it hardly depends on what else the machine is running.
cpu() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }

# post NAME PATH CONTENT-TYPE FILE: prints the wall-clock time, the server's CPU time, the status
# and the answer's counts.
post() {
  local out="$dir/answer.json"
  local timing before after
  before=$(cpu)
  timing=$(curl -s -o "$out" -w '%{http_code} %{time_total}' -H "$key" -H "Content-Type: $3" \
    --data-binary "@$4" "$base$2")
  after=$(cpu)
  printf '%-34s %6.2f s  (server CPU %5.2f s, HTTP %s) %s\n' "$1" "${timing#* }" \
    "$(awk -v a="$after" -v b="$before" -v t="$(getconf CLK_TCK)" 'BEGIN { print (a - b) / t }')" "${timing%% *}" \
    "$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print({k: a[k] for k in ("created","updated","unchanged") if k in a} or a)' "$out")"
}

serve sqlite
post "setup: 100 segments" /v1/import/rules application/json "$dir/segments.json"
post "setup: 100,000 products" /v1/products/import application/json "$dir/products.json"
post "10,000 promotions (rule file)" /v1/import/rules application/json "$dir/rules.json"
post "the same again (all unchanged)" /v1/import/rules application/json "$dir/rules.json"
post "its dry run" "/v1/import/rules?dry_run=true" application/json "$dir/rules.json"
curl -sf "$base/health" | python3 -c 'import json,sys; s=json.load(sys.stdin)["snapshot"]; print("snapshot: %(promotions)s promotions, %(products)s products, compiled in %(compile_ms)s ms" % s)'

# For comparison, the one-by-one path: 10 promotions of the same file, one POST each.
python3 -c 'import json,sys; [print(json.dumps(p)) for p in json.load(open(sys.argv[1]))["promotions"][:10]]' \
  "$dir/rules.json" | sed 's/"id": "promo-/"id": "single-/' >"$dir/singles.ndjson"
start=$(date +%s.%N)
while read -r promotion; do
  curl -sf -o /dev/null -H "$key" -H 'Content-Type: application/json' -d "$promotion" "$base/v1/promotions"
done <"$dir/singles.ndjson"
python3 -c 'import sys; print("10 promotions one by one (POST)   %.2f s" % (float(sys.argv[2]) - float(sys.argv[1])))' \
  "$start" "$(date +%s.%N)"

serve ndjson
post "setup: 100 segments" /v1/import/rules application/json "$dir/segments.json"
post "setup: 100,000 products" /v1/products/import application/json "$dir/products.json"
post "10,000 promotions (NDJSON)" /v1/import/rules application/x-ndjson "$dir/rules.ndjson"
