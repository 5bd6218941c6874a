#!/usr/bin/env bash
# Catalog import of a generated CSV (bench/catalog.py), on a fresh store holding the 200 segments
# the file names: once by the CLI (`remise import catalog`), once over HTTP (`remise serve` + curl).
# Prints the wall time and the maximum resident memory of each (GNU time).
# Usage: bench/catalog-import.sh [rows] [postgres://…/db]   (default: 1000000 rows, SQLite files)
#   REMISE_BIN=target/release/remise skips the build; CATALOG=file.csv reuses a generated file.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
pg=${2:-}
bin=${REMISE_BIN:-target/release/remise}
[ -n "${REMISE_BIN:-}" ] || cargo build --release -p remise-cli
dir=$(mktemp -d)
port=18941
server=
trap '[ -z "$server" ] || kill $server 2>/dev/null; rm -rf "$dir"' EXIT
csv=${CATALOG:-$dir/catalog.csv}
[ -n "${CATALOG:-}" ] || python3 bench/catalog.py "$rows" >"$csv"
echo "$(wc -l <"$csv") lines, $(du -h "$csv" | cut -f1) in $csv"

# A fresh database: a new SQLite file, or the PostgreSQL database dropped and created again.
fresh() {
  if [ -n "$pg" ]; then
    local name=${pg##*/} base=${pg%/*}
    psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
    url=$pg
  else
    url="sqlite://$dir/$1.db"
  fi
}

wait_up() {
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && return
    sleep 0.1
  done
  echo "the server did not start" >&2; exit 1
}

# The segments the file names, created through the API.
segments() {
  for id in $(python3 bench/catalog.py --segments); do
    curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/segments" -H "authorization: Bearer $key" \
      -H 'content-type: application/json' -d "{\"id\":\"$id\",\"name\":\"$id\"}"
  done
}

setup() {
  fresh "$1"
  key=$("$bin" api-keys create --name bench --scope management --database "$url" 2>/dev/null)
  "$bin" serve --no-demo --database "$url" --addr "127.0.0.1:$port" >"$dir/serve-setup.log" 2>&1 &
  server=$!
  wait_up
  segments
  kill -TERM $server; wait $server || true; server=
}

echo "== CLI: remise import catalog"
setup cli
/usr/bin/time -f "cli: %e s elapsed, %M KB max resident" "$bin" import catalog "$csv" --database "$url"
echo "== CLI again: the same file into the store that holds it (all unchanged)"
/usr/bin/time -f "cli again: %e s elapsed, %M KB max resident" "$bin" import catalog "$csv" --database "$url"

echo "== HTTP: POST /v1/products/import"
setup http
/usr/bin/time -f "server: %e s elapsed (whole life), %M KB max resident" -o "$dir/server.time" \
  "$bin" serve --no-demo --database "$url" --addr "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
wait_up
pid=$(pgrep -P $server)
# The server's resident memory every 0.2 s, to tell the import's part from the snapshot reload's.
(while kill -0 "$pid" 2>/dev/null; do
  echo "$(date +%s%3N) $(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null)"; sleep 0.2
done) >"$dir/rss" &
sampler=$!
start=$(date +%s%3N)
curl -s -w '\nHTTP %{http_code} in %{time_total} s\n' -X POST "http://127.0.0.1:$port/v1/products/import" \
  -H "authorization: Bearer $key" -H 'content-type: text/csv' --data-binary "@$csv"
# GNU time does not pass SIGTERM on: stop the server itself, its child.
kill -TERM "$pid"; wait $server || true; server=
wait $sampler || true
cat "$dir/server.time"
# The server's log says how long writing and publishing took ("catalog imported").
written=$(grep -o 'written_ms=[0-9]*' "$dir/serve.log" | cut -d= -f2)
grep -o 'catalog imported.*' "$dir/serve.log" || grep 'written_ms' "$dir/serve.log"
awk -v start="$start" -v written="$written" '$2 != "" && $1 - start <= written && $2 > max { max = $2 }
  END { print "server while reading, checking and writing: " max " KB max resident (sampled)" }' "$dir/rss"
