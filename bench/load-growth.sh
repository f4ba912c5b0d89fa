#!/usr/bin/env bash
# Growth of the load with the data: `rapper -c` (raptor's parse alone) and `kgrec load` on the
# same N-Triples files, alternating, ROUNDS times (default 3), one line per run with wall
# seconds, user and system seconds and peak KB; then, with --view, the graph view's build
# time and memory on the stores STORE of each DIR (bench_recommend's first lines).
#
#   bench/load-growth.sh [--view] DIR...
#
# Each DIR holds graph.nt from bench/gen_graph (and store.kgr for --view: `kgrec load
# graph.nt --interactions interactions.csv -o DIR/store.kgr`), e.g.
#   for n in 1000000 5000000 20000000; do build/bench/gen_graph --triples $n --seed 1 -o /tmp/g$n; done
#   bench/load-growth.sh /tmp/g1000000 /tmp/g5000000 /tmp/g20000000
#
# Environment: KGREC (default build/kgrec), BENCH_RECOMMEND (build/bench/bench_recommend),
# ROUNDS, KGREC_ARGS (more arguments of kgrec load, e.g. "--threads 1"), KGREC_REF (a
# reference build of kgrec, run in turn with the others each round: one more column),
# BENCH_RECOMMEND_REF (with --view: a reference build of bench_recommend, run in turn with the
# other on each store: one more line a store and round), LOADS=0 (with --view: the graph views
# alone, no load timed).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
BENCH_RECOMMEND=${BENCH_RECOMMEND:-$ROOT/build/bench/bench_recommend}
ROUNDS=${ROUNDS:-3}
VIEW=0
if [ "${1:-}" = --view ]; then
	VIEW=1
	shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [--view] DIR..." >&2; exit 2; }
command -v rapper >/dev/null || { echo "$0: rapper (raptor2-utils) is needed" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
KGREC_REF=${KGREC_REF:-}
echo "round dir | rapper -c: wall user sys peakKB | kgrec load: wall user sys peakKB${KGREC_REF:+ | reference kgrec load: wall user sys peakKB} | load average"
[ "${LOADS:-1}" = 0 ] && [ $VIEW = 1 ] && LOAD_ROUNDS=0 || LOAD_ROUNDS=$ROUNDS
for round in $(seq "$LOAD_ROUNDS"); do
	for d in "$@"; do
		/usr/bin/time -o "$TMP/r" -f "%e %U %S %M" rapper -i ntriples -c "$d/graph.nt" >/dev/null 2>&1
		# shellcheck disable=SC2086 # KGREC_ARGS is a list of arguments
		/usr/bin/time -o "$TMP/k" -f "%e %U %S %M" "$KGREC" load ${KGREC_ARGS:-} "$d/graph.nt" -o "$TMP/s.kgr" -q \
			>/dev/null 2>&1 || { echo "$0: kgrec load $d/graph.nt failed" >&2; exit 1; }
		ref=
		if [ -n "$KGREC_REF" ]; then
			/usr/bin/time -o "$TMP/f" -f "%e %U %S %M" "$KGREC_REF" load "$d/graph.nt" -o "$TMP/s.kgr" -q \
				>/dev/null 2>&1 || { echo "$0: $KGREC_REF load $d/graph.nt failed" >&2; exit 1; }
			ref=" | $(tail -1 "$TMP/f")"
		fi
		echo "$round $d | $(tail -1 "$TMP/r") | $(tail -1 "$TMP/k")$ref | $(cut -d' ' -f1-3 /proc/loadavg)"
	done
done
if [ $VIEW = 1 ]; then
	for round in $(seq "$ROUNDS"); do
		for d in "$@"; do
			echo "$round $d | $("$BENCH_RECOMMEND" "$d/store.kgr" --users 1 --ppr 0 2>&1 | grep '^graph view' |
				paste -sd'|')"
			if [ -n "${BENCH_RECOMMEND_REF:-}" ]; then
				echo "$round $d | reference | $("$BENCH_RECOMMEND_REF" "$d/store.kgr" --users 1 --ppr 0 2>&1 |
					grep '^graph view' | paste -sd'|')"
			fi
		done
	done
fi
