#!/usr/bin/env bash
# HTTP cart evaluation on loopback: a release `remise serve` on a fresh SQLite file with the demo
# data, loaded by wrk (Debian package `wrk`) with the toy shop's cart for a bounded time.
# Usage: bench/http-evaluate.sh [seconds] [connections] [wrk threads]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
connections=${2:-64}
threads=${3:-1}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# REMISE_BIN skips the build (e.g. when another build holds cargo's lock).
bin=${REMISE_BIN:-target/release/remise}
[ -n "${REMISE_BIN:-}" ] || cargo build --release -p remise-cli
dir=$(mktemp -d)
port=18931
"$bin" serve --database "sqlite://$dir/bench.db" --addr "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.1
done
# Warm-up, then the measured run.
wrk -t"$threads" -c"$connections" -d3s -s bench/evaluate.lua "http://127.0.0.1:$port/v1/carts/evaluate" >/dev/null
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s bench/evaluate.lua "http://127.0.0.1:$port/v1/carts/evaluate"
