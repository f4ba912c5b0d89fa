#!/bin/bash
# kgrec load --product-feed: a Google-Merchant-style feed becomes schema.org and SKOS triples
# (checked by SPARQL, and by rapper on the export), its category paths a taxonomy that
# evidence paths walk; bad rows are named by file, line and column, and --skip-bad-rows counts
# them.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/feed
S=http://schema.org/
SK=http://www.w3.org/2004/02/skos/core#

"$KGREC" load -q --product-feed "$D/feed.csv" --interactions "$D/events.csv" -o "$T/f.snap" 2> "$T/err.txt"
r=$?; check "load a feed with interactions ($(cat "$T/err.txt"))" $r
"$KGREC" stats --json "$T/f.snap" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["items"]==5 and d["users"]==3, d'
check "five products, three shoppers: feed ids and interaction items meet" $?

q() { "$KGREC" query "$T/f.snap" "$1" --format tsv 2>&1 | tail -n +2; }
I=https://w3id.org/kgrec/item/
[ "$(q "SELECT ?n WHERE { <${I}SKU-100> <${S}name> ?n }")" = '"Trail Tee, red"' ]; check "title, with its comma" $?
q "SELECT ?d WHERE { <${I}SKU-100> <${S}description> ?d }" | grep -qF 'Light tee for \"fast\" runs'; check "doubled quotes" $?
q "SELECT ?d WHERE { <${I}SKU-200> <${S}description> ?d }" | grep -qF 'Grippy\nshoe'; check "a newline inside a quoted field" $?
[ "$(q "SELECT ?n WHERE { <${I}SKU-100> <${S}brand> ?b . ?b <${S}name> ?n }")" = '"Acme Sports"' ]; check "brand node with its name" $?
q "SELECT ?l WHERE { <${I}SKU-100> <${S}category> ?c . ?c <${SK}prefLabel> ?l }" | sort > "$T/cats.txt"
[ "$(tr '\n' ' ' < "$T/cats.txt")" = '"Shirts & Tops" "Tops" ' ]; check "both category paths end at their leaf ($(cat "$T/cats.txt"))" $?
[ "$(q "SELECT ?l WHERE { <${I}SKU-100> <${S}category> ?c . ?c <${SK}broader> ?p . ?p <${SK}broader> ?g . ?g <${SK}prefLabel> ?l } ORDER BY ?l" | tr '\n' ' ')" = '"Apparel & Accessories" "Running" ' ]
check "skos:broader up to the roots" $?
[ "$(q "SELECT ?c WHERE { <${I}SKU-100> <${S}category> ?c . ?c <${SK}broaderTransitive> ?r . ?r <${SK}prefLabel> \"Running\" }" | wc -l)" = 1 ]
check "the taxonomy's closure is materialised" $?
[ "$(q "SELECT ?p ?c WHERE { <${I}SKU-100> <${S}offers> ?o . ?o <${S}price> ?p . OPTIONAL { ?o <${S}priceCurrency> ?c } } ORDER BY ?p" | tr '\t\n' '  ')" = '14.99 "USD" 19.99 "USD" ' ]
check "price and sale price as offers" $?
[ "$(q "SELECT ?a ?c WHERE { <${I}SKU-300> <${S}availability> ?a ; <${S}itemCondition> ?c }" | tr '\t\n' '  ')" = "<${S}BackOrder> <${S}UsedCondition> " ]
check "availability and condition as schema.org members" $?
[ "$(q "SELECT ?g WHERE { <${I}SKU-100> <${S}isVariantOf> ?g . <${I}SKU-101> <${S}isVariantOf> ?g }" | wc -l)" = 1 ]; check "variants share their group" $?
q "SELECT ?x WHERE { <${I}SKU-100> <https://w3id.org/kgrec/ns#customLabel> ?x }" | grep -q '"summer"'; check "custom label" $?
[ "$(q "SELECT ?u WHERE { <${I}SKU-100> <${S}url> ?u }")" = '<https://shop.example.org/p/SKU-100>' ]; check "link" $?
"$KGREC" export "$T/f.snap" --format ntriples > "$T/f.nt" && rapper -i ntriples -c "$T/f.nt" > "$T/rap.txt" 2>&1
check "the store's export parses with rapper" $?

"$KGREC" recommend "$T/f.snap" --user ann -k 2 --explain > "$T/rec.txt"
check "recommend over the feed" $?
grep -q 'Trail Tee, red -isVariantOf-> TEE-1 ; Trail Tee, blue -isVariantOf-> TEE-1' "$T/rec.txt"; check "an evidence path through the product group" $?
grep -q -- '-category-> Shoes' "$T/rec.txt"; check "an evidence path through a feed category" $?
! grep -q 'itemCondition\|availability' "$T/rec.txt"; check "no path through availability or condition" $?

"$KGREC" load -q --product-feed "$D/semicolon.csv" -o "$T/s.snap"; check "semicolons detected" $?
[ "$("$KGREC" query "$T/s.snap" "SELECT ?n WHERE { <${I}A-2> <${S}name> ?n }" --format tsv | tail -1)" = '"Cup"' ]; check "semicolon feed read" $?
"$KGREC" load -q --product-feed "$D/tabs.tsv" -o "$T/t.snap"; check "tabs detected" $?

expect_err() { # name file pattern [args]
	local f=$2 pat=$3; shift 3
	"$KGREC" load -q --product-feed "$D/$f" "$@" -o "$T/x.snap" 2> "$T/e.txt"
	local rc=$?
	[ $rc -ne 0 ] && grep -q -- "$pat" "$T/e.txt"; r=$?
	check "$f: $pat ($(cat "$T/e.txt"))" $r
}
expect_err bad-price bad.csv "bad.csv:3:3: price: 'abc' is not a price"
expect_err no-id noid.csv "noid.csv:1: the header has no 'id' column"
expect_err unclosed unclosed.csv "unclosed.csv:2: a quoted field is not closed"
"$KGREC" load -q --product-feed "$D/bad.csv" --skip-bad-rows -o "$T/b.snap" 2> "$T/e.txt"
r=$?; [ $r -eq 0 ] && grep -q 'bad.csv: skipped 2 bad product rows' "$T/e.txt"; check "--skip-bad-rows skips and counts ($(cat "$T/e.txt"))" $?
[ "$("$KGREC" stats --json "$T/b.snap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["triples"] > 0)')" = True ]
check "the good rows of a bad feed are kept" $?
"$KGREC" load -q --product-feed "$D/nothing.csv" -o "$T/x.snap" 2> "$T/e.txt"
[ $? -ne 0 ] && grep -q 'nothing.csv' "$T/e.txt"; check "a missing feed is named" $?
finish t_feed
