#!/bin/sh
# The demo: load the example catalog and its interaction log into a snapshot, show what is in
# it, ask it questions in SPARQL, and recommend with explanations.
set -e
KGREC=${1:-build/kgrec}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${DEMO_OUT:-$(dirname "$KGREC")/demo}
mkdir -p "$OUT"
STORE=$OUT/catalog.snap

section() { printf '\n==== %s\n' "$*"; }
has() { "$KGREC" help | grep -qw "$1"; }

section "kgrec load: the catalog (Turtle) and six months of shop interactions (CSV)"
"$KGREC" load "$HERE/catalog.ttl" --interactions "$HERE/interactions.csv" \
	--user-base https://shop.example.org/user/ --item-base https://shop.example.org/product/ \
	-o "$STORE"

section "kgrec stats"
"$KGREC" stats "$STORE" | sed -n '1,9p'

if has query; then
	for q in products-per-brand same-category-as-purchased department-products accessories-under-50; do
		section "kgrec query -f examples/queries/$q.rq"
		sed -n '1,2p' "$HERE/queries/$q.rq"
		"$KGREC" query "$STORE" -f "$HERE/queries/$q.rq" --format table | head -14
	done
fi

if has recommend; then
	for u in u001 u002 u003; do
		section "kgrec recommend --user $u --explain"
		"$KGREC" recommend "$STORE" --user "$u" -k 5 --explain --format text
	done
	section "kgrec recommend --query 'christmas baking' (a shopper with no history)"
	"$KGREC" recommend "$STORE" --user newcomer --query "christmas baking" -k 5 --explain --format text
fi
if has similar; then
	section "kgrec similar --item p-mirrorless-camera-lumora-z50"
	"$KGREC" similar "$STORE" --item p-mirrorless-camera-lumora-z50 -k 5 --format text
fi
if has audit; then
	section "kgrec recommend --audit-log, then kgrec audit verify, replay, export and report"
	LOG=$OUT/audit.log
	rm -f "$LOG"
	for u in u001 u002 u003; do
		"$KGREC" recommend "$STORE" --user "$u" -k 5 --explain --audit-log "$LOG" > /dev/null
	done
	"$KGREC" audit verify "$LOG" --store "$STORE"
	"$KGREC" audit replay "$LOG" --store "$STORE"
	"$KGREC" audit export "$LOG" --format turtle -o "$OUT/audit.ttl"
	"$KGREC" audit report "$LOG" --store "$STORE" -o "$OUT/audit.html"
	echo "wrote $OUT/audit.ttl (PROV-O) and $OUT/audit.html"
fi
