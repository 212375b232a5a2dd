#!/usr/bin/env bash
# Runs coverage-instrumented test binaries, merges their coverage files and
# reports line and toggle coverage per module.
#   coverage.sh OUT_DIR VERILATOR_COVERAGE "REPORT_PY [ARGS]" TEST_BINARY...
set -euo pipefail
out=$1 vcov=$2 report=$3
shift 3
rm -rf "$out"
mkdir -p "$out/runs"
for test_bin in "$@"; do
  log="$out/$(basename "$test_bin").log"
  (cd "$out" && KMTSIM_COVERAGE_DIR="$out/runs" "$test_bin") > "$log" 2>&1 || { tail -40 "$log"; exit 1; }
done
"$vcov" --write "$out/merged.dat" "$out"/runs/*.dat > /dev/null
"$vcov" --annotate "$out/annotated" "$out/merged.dat" | tail -1
# shellcheck disable=SC2086  # the report's arguments are words
python3 $report "$out/merged.dat" | tee "$out/summary.txt"
echo "annotated sources: $out/annotated (lines marked %000000 were never hit)"
