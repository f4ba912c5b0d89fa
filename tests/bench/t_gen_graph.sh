#!/usr/bin/env bash
# bench/gen_graph: deterministic, reaches the triple target with distinct triples, valid
# N-Triples, an interaction log over its products; librdf_load loads it and answers a query.
set -euo pipefail
export LC_ALL=C
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR not set}
GEN=${GEN_GRAPH:-./bench/gen_graph}
LOAD=${LIBRDF_LOAD:-./bench/librdf_load}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$GEN" ] || fail "$GEN not built"

"$GEN" --triples 20000 --seed 3 -o "$TMP/a" >"$TMP/a.out"
"$GEN" --triples 20000 --seed 3 -o "$TMP/b" >/dev/null
"$GEN" --triples 20000 --seed 4 -o "$TMP/c" >/dev/null
cmp -s "$TMP/a/graph.nt" "$TMP/b/graph.nt" || fail "same seed, different graph"
cmp -s "$TMP/a/interactions.csv" "$TMP/b/interactions.csv" || fail "same seed, different interactions"
cmp -s "$TMP/a/graph.nt" "$TMP/c/graph.nt" && fail "different seeds, same graph"

n=$(sed -n 's/^triples=\([0-9]*\) .*/\1/p' "$TMP/a.out")
{ [ "$n" -ge 20000 ] && [ "$n" -lt 20100 ]; } || fail "reported $n triples for a target of 20000"
parsed=$(rapper -i ntriples -c "$TMP/a/graph.nt" 2>&1 | sed -n 's/.*returned \([0-9]*\) triples.*/\1/p')
[ "$parsed" = "$n" ] || fail "rapper parsed $parsed triples, generator reported $n"
[ "$(sort -u "$TMP/a/graph.nt" | wc -l)" -eq "$n" ] || fail "duplicate triples"
grep -q '<http://www.w3.org/2004/02/skos/core#broader>' "$TMP/a/graph.nt" || fail "no taxonomy"
grep -q '<http://schema.org/isAccessoryOrSparePartFor>' "$TMP/a/graph.nt" || fail "no accessories"
grep -q '<https://w3id.org/kgrec/ns#complements>' "$TMP/a/graph.nt" || fail "no complements"

[ "$(head -n 1 "$TMP/a/interactions.csv")" = "user,item,timestamp,action,weight" ] || fail "CSV header"
tail -n +2 "$TMP/a/interactions.csv" | cut -d, -f2 | sed 's|^|<https://bench.example.org/product/|; s|$|>|' |
	sort -u >"$TMP/items"
grep -o '^<https://bench.example.org/product/p[0-9]*> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>' \
	"$TMP/a/graph.nt" | cut -d' ' -f1 | sort -u >"$TMP/products"
[ -z "$(comm -23 "$TMP/items" "$TMP/products" | head -n 1)" ] || fail "interactions name unknown products"
grep -q '^u0,.*,purchase,1$' "$TMP/a/interactions.csv" || fail "u0 has no purchase"

"$GEN" --triples nope -o "$TMP/x" 2>"$TMP/err" && fail "bad --triples accepted"
grep -q "triples wants a non-negative integer, got 'nope'" "$TMP/err" || fail "message for bad --triples: $(cat "$TMP/err")"

if [ -x "$LOAD" ]; then
	"$LOAD" "$TMP/a/graph.nt" -q "$SRC/bench/queries/brand-products.rq" >"$TMP/load.out"
	grep -q "statements=$n" "$TMP/load.out" || fail "librdf_load: $(cat "$TMP/load.out")"
	grep -Eq 'brand-products.rq	rows=[1-9]' "$TMP/load.out" || fail "brand query found nothing: $(cat "$TMP/load.out")"
	"$LOAD" "$TMP/missing.nt" >/dev/null 2>"$TMP/err" && fail "librdf_load accepted a missing file"
fi
echo "ok: $n triples"
