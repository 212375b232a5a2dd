#!/usr/bin/env bash
# Runs the coverage-instrumented test_mc, merges the per-run coverage files and
# reports line and toggle coverage of rtl/mc per module.
#   mc_coverage.sh TEST_BINARY VERILATOR_COVERAGE OUT_DIR REPORT_PY
set -euo pipefail
test_bin=$1 vcov=$2 out=$3 report=$4
rm -rf "$out"
mkdir -p "$out/runs"
KMTSIM_COVERAGE_DIR="$out/runs" "$test_bin" > "$out/test_mc.log" 2>&1 || { tail -40 "$out/test_mc.log"; exit 1; }
"$vcov" --write "$out/merged.dat" "$out"/runs/*.dat > /dev/null
"$vcov" --annotate "$out/annotated" "$out/merged.dat" | tail -1
python3 "$report" "$out/merged.dat" | tee "$out/summary.txt"
echo "annotated sources: $out/annotated (lines marked %000000 were never hit)"
