#!/usr/bin/env bash
# bench/serve-data.sh: writes a snapshot holding the generated catalog and its interactions,
# and user / item lists of IRIs the snapshot knows; bad arguments are refused.
set -euo pipefail
export LC_ALL=C
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR not set}
KGREC=${1:-${KGR_CLI:?KGR_CLI not set}}
GEN=${GEN_GRAPH:-$(dirname "$KGREC")/bench/gen_graph}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$GEN" ] || fail "$GEN not built"

KGREC=$KGREC GEN_GRAPH=$GEN bash "$SRC/bench/serve-data.sh" "$TMP/d" 30000 >"$TMP/out" 2>&1 ||
	fail "serve-data.sh: $(cat "$TMP/out")"
for f in graph.nt interactions.csv store.kgr users.txt items.txt; do
	[ -s "$TMP/d/$f" ] || fail "$f missing or empty"
done
users=$(tail -n +2 "$TMP/d/interactions.csv" | cut -d, -f1 | sort -u | wc -l)
items=$(tail -n +2 "$TMP/d/interactions.csv" | cut -d, -f2 | sort -u | wc -l)
want_u=$(((users + 49) / 50))
[ "$want_u" -gt 1000 ] && want_u=1000
[ "$(wc -l <"$TMP/d/users.txt")" -eq "$want_u" ] || fail "users.txt: $(wc -l <"$TMP/d/users.txt") lines for $users users"
[ "$(wc -l <"$TMP/d/items.txt")" -eq $(((items + 99) / 100)) ] || fail "items.txt: wrong size for $items items"
[ "$(sort -u "$TMP/d/users.txt" | wc -l)" -eq "$(wc -l <"$TMP/d/users.txt")" ] || fail "duplicate users"
grep -qv '^https://bench.example.org/user/u[0-9]*$' "$TMP/d/users.txt" && fail "users.txt holds a non-user line"
grep -qv '^https://bench.example.org/product/p[0-9]*$' "$TMP/d/items.txt" && fail "items.txt holds a non-item line"

# the snapshot holds them: the store's users and items listed by SPARQL include every line
"$KGREC" stats "$TMP/d/store.kgr" >"$TMP/stats" || fail "stats on the snapshot"
"$KGREC" query "$TMP/d/store.kgr" 'SELECT DISTINCT ?u ?i WHERE { ?e <https://w3id.org/kgrec/ns#user> ?u ; <https://w3id.org/kgrec/ns#item> ?i }' \
	--format tsv >"$TMP/pairs" || fail "query the snapshot"
for u in $(head -n 5 "$TMP/d/users.txt") $(tail -n 2 "$TMP/d/users.txt"); do
	grep -qF "<$u>" "$TMP/pairs" || fail "user $u has no interaction in the snapshot"
done
for i in $(head -n 5 "$TMP/d/items.txt"); do
	grep -qF "<$i>" "$TMP/pairs" || fail "item $i has no interaction in the snapshot"
done

bash "$SRC/bench/serve-data.sh" 2>"$TMP/err" && fail "no DIR accepted"
grep -q "usage:" "$TMP/err" || fail "usage message: $(cat "$TMP/err")"
KGREC=$TMP/missing bash "$SRC/bench/serve-data.sh" "$TMP/e" 2>"$TMP/err" && fail "missing kgrec accepted"
grep -q "is not built" "$TMP/err" || fail "message for a missing kgrec: $(cat "$TMP/err")"
echo "ok: $(wc -l <"$TMP/d/users.txt") users, $(wc -l <"$TMP/d/items.txt") items"
