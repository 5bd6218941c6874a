#!/usr/bin/env bash
# How long `remise serve` takes from its start until /health answers (the store loaded and
# compiled), and its resident memory then (VmRSS, and the peak VmHWM reached while loading).
#
#   bench/serve-start.sh DATABASE_URL [REMISE_BIN]
#
# The database is filled beforehand, e.g. by the writes benchmark:
#   REMISE_BENCH_DATABASE_URL=sqlite:///tmp/big.db REMISE_BENCH_PRODUCTS=1000000 \
#     REMISE_BENCH_PROMOTIONS=100000 cargo bench -p remise-server --bench writes
set -euo pipefail
url=${1:?usage: bench/serve-start.sh DATABASE_URL [REMISE_BIN]}
bin=${2:-target/release/remise}
port=$((20000 + RANDOM % 20000))
started=$(date +%s.%N)
"$bin" serve --no-demo --database "$url" --addr "127.0.0.1:$port" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
  kill -0 $pid 2>/dev/null || { echo "remise serve exited" >&2; exit 1; }
  sleep 0.05
done
ready=$(date +%s.%N)
health=$(curl -s "http://127.0.0.1:$port/health")
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
printf 'ready after %.2f s; resident %d MiB (peak %d MiB)\n' \
  "$(echo "$ready - $started" | bc)" $((rss / 1024)) $((hwm / 1024))
echo "$health"
