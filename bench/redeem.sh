#!/usr/bin/env bash
# Reserve + confirm throughput over HTTP: a release `remise serve` on SQLite (default) or on
# PostgreSQL (second argument: a database URL the script may drop and recreate), an unlimited
# shared coupon, and wrk (1 thread) sending reserve, confirm, reserve, confirm…
# Usage: bench/redeem.sh [seconds] [postgres://…/remise_bench] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
database=${2:-}
connections=${3:-16}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
bin=${REMISE_BIN:-target/release/remise}
[ -n "${REMISE_BIN:-}" ] || cargo build --release -p remise-cli
dir=$(mktemp -d)
if [ -z "$database" ]; then
  database="sqlite://$dir/bench.db"
else
  name=${database##*/}
  admin=${database%/*}/postgres
  psql "$admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"
fi
port=18932
"$bin" serve --database "$database" --addr "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.1
done
M='Authorization: Bearer rk_demo_management'
curl -sf "http://127.0.0.1:$port/v1/promotions" -H "$M" -H 'Content-Type: application/json' -d '{
  "id": "bench", "conditions": {"coupon": {"codes": []}}, "targets": {"all": true},
  "offer": {"type": "cart_amount_off", "amount": "5.00"}}' >/dev/null
curl -sf "http://127.0.0.1:$port/v1/coupons" -H "$M" -H 'Content-Type: application/json' \
  -d '{"code": "BENCH-UNLIMITED", "promotion": "bench"}' >/dev/null
echo "database: $database"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s bench/redeem.lua "http://127.0.0.1:$port"
