#!/bin/bash
# SPARQL latency on a synthetic 1M-triple catalog: bench/sparql/run.sh path/to/kgrec [N_PRODUCTS]
# Generates the catalog (gen_products.py), loads it into a snapshot, then runs each query
# 5 times with `kgrec query` and prints the median wall time. The first line (ASK {}) is the
# fixed cost of a CLI call (process start, snapshot open, librdf world); subtract it to get
# the evaluation time. The last line runs Q2 written unselective-first with --keep-order
# (rasqal's own join order) to show what the reordering saves.
set -eu
KGREC=${1:?usage: run.sh path/to/kgrec [N_PRODUCTS]}
N=${2:-72000}
DIR=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_DIR:-$(mktemp -d)}
python3 "$DIR/gen_products.py" "$N" > "$WORK/catalog.nt"
"$KGREC" load -q -o "$WORK/catalog.kgr" "$WORK/catalog.nt"
"$KGREC" stats "$WORK/catalog.kgr" | sed -n 2p

P='PREFIX schema: <http://schema.org/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>'
queries=(
"baseline|ASK { }"
"Q1 point lookup|SELECT ?p ?o WHERE { <http://example.org/bench/product/12345> ?p ?o }"
"Q2 selective join|SELECT ?p ?price WHERE { ?p schema:brand <http://example.org/bench/brand/42> ; schema:price ?price FILTER(?price < 50) } ORDER BY ?price LIMIT 20"
"Q3 taxonomy (closure)|SELECT (COUNT(?p) AS ?n) WHERE { ?c skos:broaderTransitive <http://example.org/bench/cat/3> . ?p schema:category ?c }"
"Q4 group by brand|SELECT ?b (COUNT(?p) AS ?n) (AVG(?r) AS ?avg) WHERE { ?p schema:brand ?b ; schema:ratingValue ?r } GROUP BY ?b ORDER BY DESC(?n) LIMIT 10"
"Q2 unselective first|SELECT ?p ?price WHERE { ?p schema:price ?price ; schema:brand <http://example.org/bench/brand/42> FILTER(?price < 50) } ORDER BY ?price LIMIT 20"
)
queries+=("Q2 unselective, kept|${queries[5]#*|}")
for entry in "${queries[@]}"; do
	name=${entry%%|*}
	q=${entry#*|}
	extra=()
	case "$name" in *kept) extra=(--keep-order) ;; esac
	times=()
	for _ in 1 2 3 4 5; do
		s=$(date +%s%N)
		"$KGREC" query "$WORK/catalog.kgr" "$P $q" --format csv "${extra[@]}" > "$WORK/out.csv"
		e=$(date +%s%N)
		times+=($(( (e - s) / 1000000 )))
	done
	median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
	printf '%-24s %6d ms  (%d rows)\n' "$name" "$median" "$(($(wc -l < "$WORK/out.csv") - 1))"
done
[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
