#!/usr/bin/env bash
# Offers CSV import by the command line on SQLite (issue 12): a wholesaler's store (the 200
# segments and 200 customer groups of bench/offers.py, 100,000 products of bench/catalog.py),
# then 20,000 offers (`remise import offers`, seed 004's file) and their 1,000,000 discount rows
# (`remise import offer-discounts`), timed by GNU time (wall clock, maximum resident memory); then
# the discounts file again (every offer unchanged: nothing written), its dry run, and both files
# in one command into a second fresh store.
# Usage: bench/offers-import.sh [offers] [discounts per offer]   (default 20000 50)
#   REMISE_BIN=target/release/remise skips the build; the files are generated in a temporary
#   directory (about 52 MB), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
offers=${1:-20000}
per_offer=${2:-50}
bin=${REMISE_BIN:-target/release/remise}
[ -n "${REMISE_BIN:-}" ] || cargo build --release -p remise-cli
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/offers.py "$dir" "$offers" "$per_offer"
python3 bench/catalog.py 100000 >"$dir/catalog.csv"
echo "offers.csv: $(($(wc -l <"$dir/offers.csv") - 1)) offers, $(du -h "$dir/offers.csv" | cut -f1);" \
  "discounts.csv: $(($(wc -l <"$dir/discounts.csv") - 1)) rows, $(du -h "$dir/discounts.csv" | cut -f1)"

# A fresh SQLite store holding the segments, the customer groups and the catalog.
setup() {
  url="sqlite://$dir/$1.db"
  "$bin" import rules "$dir/setup.ndjson" --database "$url" >/dev/null
  "$bin" import catalog "$dir/catalog.csv" --database "$url" >/dev/null
}

timed() {
  local name=$1
  shift
  /usr/bin/time -f "$name: %e s elapsed, %M KB max resident" "$@"
}

echo "== remise import offers, then remise import offer-discounts"
setup separate
timed "offers (${offers})" "$bin" import offers "$dir/offers.csv" --database "$url"
timed "discount rows" "$bin" import offer-discounts "$dir/discounts.csv" --database "$url"
echo "== the same discounts again (all unchanged), and its dry run"
timed "again" "$bin" import offer-discounts "$dir/discounts.csv" --database "$url"
timed "dry run" "$bin" import offer-discounts "$dir/discounts.csv" --dry-run --database "$url"
echo "== both files in one command, into a fresh store"
setup together
timed "both" "$bin" import offers "$dir/offers.csv" --discounts "$dir/discounts.csv" --database "$url"
echo "== export of the discounts (to a file)"
timed "export" "$bin" export offer-discounts --output "$dir/export.csv" --database "$url"
