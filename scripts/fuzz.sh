#!/bin/sh
# Runs each libFuzzer target of fuzz/ for SECONDS, starting from its seed corpus in
# fuzz/corpus/TARGET (read only) and a working corpus in BUILD/fuzz-corpus/TARGET (new inputs
# go there). A crash, a leak or a time-out leaves its input in BUILD/fuzz-artifacts/ and fails.
#   scripts/fuzz.sh BUILD SECONDS [TARGET...]
set -eu
B=$1
S=$2
shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=${*:-"fuzz_rdf fuzz_jsonld fuzz_csv fuzz_feed fuzz_snapshot fuzz_sparql fuzz_request fuzz_llm_reply"}
mkdir -p "$B/fuzz-artifacts"
fail=0
for t in $TARGETS; do
	seeds=$ROOT/fuzz/corpus/${t#fuzz_}
	work=$B/fuzz-corpus/$t
	mkdir -p "$work"
	echo "fuzz: $t for ${S}s"
	if ! ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$ROOT/tests/sanitizers/lsan.supp \
		"$B/fuzz/$t" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$B/fuzz-artifacts/$t-" "$work" "$seeds" > "$B/fuzz-artifacts/$t.log" 2>&1; then
		echo "fuzz: $t FAILED (see $B/fuzz-artifacts/$t.log)"
		grep -a -E "ERROR|SUMMARY|Test unit written" "$B/fuzz-artifacts/$t.log" | head -5
		fail=1
	else
		grep -a -E "stat::number_of_executed_units|cov:" "$B/fuzz-artifacts/$t.log" | tail -1
	fi
done
exit $fail
