#!/usr/bin/env bash
# Where the time of `kgrec load` goes, by phase and by thread, on N-Triples files:
#  - each value of THREADS (default "1 2") in turn, ROUNDS times (default 3), with --timings:
#    one line per run with the parse, finalize and save seconds, and the load average;
#  - then, when perf is installed (linux-perf), one profiled load with the default thread
#    count and the share of the samples by thread name: kgr-parse (the parsers), kgr-intern
#    (the interner) and kgrec (the calling thread: reading, finalize, writing the snapshot).
#
#   bench/load-threads.sh DIR...
#
# Each DIR holds graph.nt from bench/gen_graph, e.g.
#   build/bench/gen_graph --triples 5000000 --seed 1 -o /tmp/g5000000
#   bench/load-threads.sh /tmp/g1000000 /tmp/g5000000
#
# Environment: KGREC (default build/kgrec), THREADS, ROUNDS, PERF=0 (no profile).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
THREADS=${THREADS:-1 2}
ROUNDS=${ROUNDS:-3}
PERF=${PERF:-1}
[ $# -ge 1 ] || { echo "usage: $0 DIR..." >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "round dir threads | timings | load average"
for round in $(seq "$ROUNDS"); do
	for d in "$@"; do
		for t in $THREADS; do
			out=$("$KGREC" load --threads "$t" "$d/graph.nt" -o "$TMP/s.kgr" -q --timings 2>&1) ||
				{ echo "$0: kgrec load --threads $t $d/graph.nt failed: $out" >&2; exit 1; }
			echo "$round $d $t | $(echo "$out" | grep '^timings' | sed 's/^timings: //') | $(cut -d' ' -f1-3 /proc/loadavg)"
		done
	done
done
if [ "$PERF" != 0 ] && command -v perf >/dev/null; then
	for d in "$@"; do
		if ! perf record -q -F 999 -o "$TMP/perf.data" "$KGREC" load "$d/graph.nt" -o "$TMP/s.kgr" -q \
			>/dev/null 2>"$TMP/perf.err"; then
			echo "$d | perf record failed: $(tail -1 "$TMP/perf.err")"
			continue
		fi
		shares=$(perf report -i "$TMP/perf.data" --sort comm --stdio 2>/dev/null |
			awk '!/^#/ && NF == 2 { printf "%s%s %s", sep, $2, $1; sep = ", " }')
		echo "$d | samples by thread: $shares"
	done
fi
