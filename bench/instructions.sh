#!/usr/bin/env bash
# Instructions per `Snapshot::evaluate` call, counted by callgrind: repeatable whatever else the
# machine is doing, unlike wall-clock time on a shared 2-core machine.
#   bench/instructions.sh [BENCH_BINARY] [FILTER...]
#   e.g. bench/instructions.sh target/release/deps/engine-XXXX 'evaluate/20x10000$'
# Without a binary, builds the engine's bench binary and uses it. The count covers the measured
# closure (evaluation and dropping its quote), divided by the number of evaluations.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ] && [ -x "$1" ]; then
  binary=$1; shift
else
  binary=$(cargo bench -p remise-engine --bench engine --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "engine":
        print(m["executable"])')
fi
filters=("$@")
[ ${#filters[@]} -gt 0 ] || filters=('evaluate/5x100$' 'evaluate/20x100$' 'evaluate/200x100$' \
  'evaluate/5x10000$' 'evaluate/20x10000$' 'evaluate/200x10000$')
out=$(mktemp)
for filter in "${filters[@]}"; do
  valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*Bencher*iter*' \
    "$binary" --bench "$filter" --profile-time 2 >/dev/null 2>&1
  python3 - "$out" "$filter" <<'PY'
import re, sys
names, calls, total, callee, caller = {}, 0, 0, None, ""
for line in open(sys.argv[1]):
    m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line.strip())
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        name = names.get(m.group(2), "")
        if m.group(1) == "fn":
            caller = name
        else:
            callee = name
    elif line.startswith("calls=") and callee is not None:
        if callee.endswith("Snapshot>::evaluate") and "Bencher" in caller:
            calls += int(line.split("=")[1].split()[0])
        callee = None
    elif line.startswith("summary:") or line.startswith("totals:"):
        total = int(line.split()[1])
print(f"{sys.argv[2]:<24} {total // max(calls, 1):>12,} instructions per evaluation ({calls} evaluations)")
PY
done
rm -f "$out"
