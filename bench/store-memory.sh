#!/usr/bin/env bash
# Memory of the opened store, per triple: for each DIR (graph.nt from bench/gen_graph), load it
# with kgrec (and KGREC_REF, a reference build, when set), then print the snapshot's bytes and
# the peak RSS of `kgrec stats` on it (which reads the snapshot whole and counts), each per
# triple of the file, and the peak RSS of `kgrec stats` on a store of a few triples (what the
# program and its libraries take whatever the data).
#
#   bench/store-memory.sh DIR...
#
# Environment: KGREC (default build/kgrec), KGREC_REF (a second build, measured the same way
# on its own snapshot), ROUNDS (runs of stats per store, default 3: the smallest peak is shown).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
KGREC_REF=${KGREC_REF:-}
ROUNDS=${ROUNDS:-3}
[ $# -ge 1 ] || { echo "usage: $0 DIR..." >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# smallest peak KB of ROUNDS runs of `kgrec stats STORE`
peak_stats() {
	local bin=$1 store=$2 best= k
	for _ in $(seq "$ROUNDS"); do
		/usr/bin/time -o "$TMP/t" -f "%M" "$bin" stats "$store" >/dev/null 2>&1 ||
			{ echo "$0: $bin stats $store failed" >&2; exit 1; }
		k=$(tail -1 "$TMP/t")
		if [ -z "$best" ] || [ "$k" -lt "$best" ]; then best=$k; fi
	done
	echo "$best"
}

printf '<http://x.example/s> <http://x.example/p> "o" .\n' >"$TMP/tiny.nt"
echo "build | dir | triples | snapshot bytes (per triple) | stats peak KB (bytes per triple) | tiny store peak KB"
for d in "$@"; do
	triples=$(grep -c '^[<_]' "$d/graph.nt")
	for which in new ${KGREC_REF:+ref}; do
		bin=$KGREC
		[ "$which" = ref ] && bin=$KGREC_REF
		"$bin" load -q "$d/graph.nt" -o "$TMP/s.kgr" >/dev/null 2>&1 ||
			{ echo "$0: $bin load $d/graph.nt failed" >&2; exit 1; }
		"$bin" load -q "$TMP/tiny.nt" -o "$TMP/tiny.kgr" >/dev/null 2>&1 ||
			{ echo "$0: $bin load tiny.nt failed" >&2; exit 1; }
		bytes=$(stat -c %s "$TMP/s.kgr")
		peak=$(peak_stats "$bin" "$TMP/s.kgr")
		tiny=$(peak_stats "$bin" "$TMP/tiny.kgr")
		awk -v w="$which" -v d="$d" -v t="$triples" -v b="$bytes" -v p="$peak" -v z="$tiny" 'BEGIN {
			printf "%s | %s | %d | %d (%.1f) | %d (%.1f) | %d\n", w, d, t, b, b / t, p, p * 1024 / t, z }'
		rm -f "$TMP/s.kgr" "$TMP/tiny.kgr"
	done
done
