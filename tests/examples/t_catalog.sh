#!/usr/bin/env bash
# The example catalog: committed files equal the generator's output, the Turtle parses, the
# interaction log refers to catalog products, and the demo queries find what they look for.
set -euo pipefail
export LC_ALL=C
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR not set}
EX=$SRC/examples
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$EX/gen_catalog.py" "$TMP" >/dev/null
cmp "$TMP/catalog.ttl" "$EX/catalog.ttl" || fail "examples/catalog.ttl differs from gen_catalog.py output"
cmp "$TMP/interactions.csv" "$EX/interactions.csv" || fail "examples/interactions.csv differs from gen_catalog.py output"

out=$(rapper -i turtle -c "$EX/catalog.ttl" 2>&1) || fail "rapper rejects catalog.ttl: $out"
echo "$out" | grep -q 'Parsing returned [0-9]* triples' || fail "rapper said: $out"
grep -qi 'error' <<<"$out" && fail "rapper reported errors: $out"

products=$(grep -c '^prod:[^ ]* a schema:Product' "$EX/catalog.ttl")
{ [ "$products" -ge 300 ] && [ "$products" -le 500 ]; } || fail "$products products, want 300-500"
[ "$(grep -c 'Ignore all previous instructions' "$EX/catalog.ttl")" -eq 1 ] || fail "want exactly one injection text"

[ "$(head -n 1 "$EX/interactions.csv")" = "user,item,timestamp,action,weight" ] || fail "CSV header"
awk -F, 'NR > 1 {
	if ($1 !~ /^u[0-9][0-9][0-9]$/) { print "bad user " $1 " line " NR; exit 1 }
	if ($3 !~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$/) { print "bad time line " NR; exit 1 }
	if ($4 == "rate") { if ($5 < 1 || $5 > 5) { print "bad rating line " NR; exit 1 } }
	else if ($4 == "view" || $4 == "cart" || $4 == "purchase") { if ($5 != 1) { print "bad weight line " NR; exit 1 } }
	else { print "bad action " $4 " line " NR; exit 1 }
}' "$EX/interactions.csv" || fail "malformed interactions.csv"
users=$(tail -n +2 "$EX/interactions.csv" | cut -d, -f1 | sort -u | wc -l)
{ [ "$users" -ge 120 ] && [ "$users" -le 200 ]; } || fail "$users users, want 120-200"
# every item of the log is a product of the catalog
tail -n +2 "$EX/interactions.csv" | cut -d, -f2 | sort -u >"$TMP/items"
grep -o '^prod:[^ ]*' "$EX/catalog.ttl" | sed 's/^prod://' | sort -u >"$TMP/products"
missing=$(comm -23 "$TMP/items" "$TMP/products" | head -n 3)
[ -z "$missing" ] || fail "items not in the catalog: $missing"

# the queries that need nothing materialised by kgrec run under plain rasqal
rows() { roqet -q -i sparql11 -D "$EX/catalog.ttl" "$EX/queries/$1" 2>/dev/null | grep -c '^row:' || true; }
[ "$(rows brand-products.rq)" -eq 16 ] || fail "brand-products.rq: $(rows brand-products.rq) rows, want the 16 Lumora products"
[ "$(rows products-per-brand.rq)" -eq 23 ] || fail "products-per-brand.rq: want one row per brand (23)"
[ "$(rows accessories-under-50.rq)" -gt 7 ] || fail "accessories-under-50.rq found no accessory"
[ "$(rows christmas-complements.rq)" -gt 0 ] || fail "christmas-complements.rq found nothing"
# u001 is the scripted soccer shopper: a ball, then goalkeeper gloves
grep -q '^u001,p-training-ball-northpeak-club,.*,purchase,1$' "$EX/interactions.csv" || fail "u001 ball purchase"
grep -q '^u001,p-goalie-gloves-[^,]*,.*,purchase,1$' "$EX/interactions.csv" || fail "u001 gloves purchase"
echo "ok: $products products, $users users"
