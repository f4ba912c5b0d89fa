#!/usr/bin/env bash
# The inputs of bench/serve.sh: a generated catalog with its interactions loaded into a
# snapshot, and the user and item lists the wrk scripts draw from.
#
#   bench/serve-data.sh DIR [TRIPLES]
#
# Writes DIR/graph.nt and DIR/interactions.csv (bench/gen_graph --seed 1), DIR/store.kgr
# (kgrec load with the interactions), DIR/users.txt (every 50th distinct user of the
# interactions in sorted order, at most 1,000) and DIR/items.txt (every 100th distinct item).
# TRIPLES: catalog size, default 5000000 (the store of docs/BENCHMARKS.md). Then:
#
#   bench/serve.sh DIR/store.kgr DIR/users.txt DIR/items.txt 10s
#
# Environment: KGREC (default build/kgrec), GEN_GRAPH (default build/bench/gen_graph).
set -euo pipefail
export LC_ALL=C

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 DIR [TRIPLES]" >&2; exit 2; }
DIR=$1 TRIPLES=${2:-5000000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
GEN=${GEN_GRAPH:-$ROOT/build/bench/gen_graph}
USER_BASE=https://bench.example.org/user/
ITEM_BASE=https://bench.example.org/product/
for x in "$KGREC" "$GEN"; do
	[ -x "$x" ] || { echo "serve-data.sh: $x is not built (make build)" >&2; exit 1; }
done

mkdir -p "$DIR"
"$GEN" --triples "$TRIPLES" --seed 1 -o "$DIR"
"$KGREC" load -q "$DIR/graph.nt" --interactions "$DIR/interactions.csv" --user-base "$USER_BASE" \
	--item-base "$ITEM_BASE" -o "$DIR/store.kgr"
tail -n +2 "$DIR/interactions.csv" | cut -d, -f1 | sort -u |
	awk -v b="$USER_BASE" 'NR % 50 == 1 { print b $1 }' | head -n 1000 >"$DIR/users.txt"
tail -n +2 "$DIR/interactions.csv" | cut -d, -f2 | sort -u |
	awk -v b="$ITEM_BASE" 'NR % 100 == 1 { print b $1 }' >"$DIR/items.txt"
echo "serve-data.sh: $DIR/store.kgr, $(wc -l <"$DIR/users.txt") users, $(wc -l <"$DIR/items.txt") items"
