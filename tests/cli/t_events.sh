#!/bin/bash
# Event logs from the command line: a GA4 export loaded with one command into explained
# recommendations, Segment and tab-separated logs, items matched against the catalog, the
# load report and its warnings, --strict-items, --time-unit, --action-map, bad input.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/events
SRC=${KGR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

# A GA4 export (semicolons, epoch microseconds, SKUs and GTINs for items): one command.
"$KGREC" load "$D/catalog.ttl" --interactions "$D/ga4.csv" -o "$T/ga4.snap" 2> "$T/err.txt"
check "GA4 export loads with one command ($(cat "$T/err.txt"))" $?
grep -q "ga4.csv: 17 events; items: 17 matched catalog products (17 by SKU, product id or GTIN), 0 did not$" "$T/err.txt"
check "the report: 17 events, all matched by SKU or GTIN" $?
grep -q "ga4.csv: 2 rows not loaded: their actions are not interactions" "$T/err.txt"
check "the refund and the list view are not loaded" $?
grep -q warning "$T/err.txt"; [ $? -ne 0 ]; check "no warning" $?
grep -q ' 8 items, 17 interactions' "$T/err.txt"; check "no item beside the catalog's eight" $?

"$KGREC" recommend "$T/ga4.snap" --user 1197654321.1717236000 --explain -k 3 --format json > "$T/r.json"
check "recommend for a GA4 user_pseudo_id" $?
python3 - "$T/r.json" <<'PY'
import json, re, sys
names = {"Ridge Runner 3", "Mud Grip 2", "Storm Shell Jacket", "Vest Pack 12", "Soft Flask 500",
         "Merino Tee", "Trail Socks", "Head Torch 400"}
d = json.load(open(sys.argv[1]))
assert len(d["items"]) == 3, d
for it in d["items"]:
    assert it["label"] in names, it["label"]
    assert it["item"].startswith("https://trail.example.com/products/"), it["item"]
    r = it["rationale"]
    assert re.match(r"^You (viewed|bought|added to the cart|saved) ", r), r
    for raw in ("view_item", "select_item", "add_to_cart", "begin_checkout", "purchase", "add_to_wishlist", "TR-"):
        assert raw not in r, r
top = d["items"][0]
assert top["label"] == "Soft Flask 500", top
assert top["rationale"] == "You viewed Vest Pack 12; Soft Flask 500 is an accessory for it", top["rationale"]
PY
check "recommendations: product names, rationales in the mapped actions' phrases" $?
"$KGREC" recommend "$T/ga4.snap" --user 2233445566.1717236300 --explain -k 3 > "$T/r.txt"
grep -q "You saved Soft Flask 500" "$T/r.txt"; check "add_to_wishlist reads 'saved'" $?
"$KGREC" recommend "$T/ga4.snap" --user cust-42 --explain -k 3 > "$T/r.txt"
grep -q "You bought Vest Pack 12" "$T/r.txt"; check "a GA4 user_id is the user when the row has one" $?

# the same export with commas, through gzip
sed 's/;/,/g' "$D/ga4.csv" | gzip > "$T/ga4-commas.csv.gz"
"$KGREC" load -q "$D/catalog.ttl" --interactions "$T/ga4-commas.csv.gz" -o "$T/commas.snap"
check "the export with commas, gzip-compressed" $?
a=$("$KGREC" stats "$T/ga4.snap" | grep -E '^(triples|users|items|interactions)')
b=$("$KGREC" stats "$T/commas.snap" | grep -E '^(triples|users|items|interactions)')
[ "$a" = "$b" ]; check "commas or semicolons: the same store" $?

# Segment: names as tracked and as stored (product_viewed), ISO times, product ids
"$KGREC" load "$D/catalog.ttl" --interactions "$D/segment.csv" -o "$T/seg.snap" 2> "$T/err.txt"
check "Segment export loads" $?
grep -q "segment.csv: 5 events; items: 5 matched" "$T/err.txt"; check "Segment: 5 events matched" $?
"$KGREC" query "$T/seg.snap" --format csv 'SELECT ?a WHERE { ?e <https://w3id.org/kgrec/ns#action> ?a }' | tr -d '\r' > "$T/q.csv"
[ "$(sort -u "$T/q.csv" | tr '\n' ' ')" = "a https://w3id.org/kgrec/ns#cart https://w3id.org/kgrec/ns#purchase https://w3id.org/kgrec/ns#view https://w3id.org/kgrec/ns#wishlist " ]
r=$?; check "Segment names become kgrec actions ($(sort -u "$T/q.csv" | tr '\n' ' '))" $r

# tab-separated without a .tsv name, epoch milliseconds; semicolons with a sku column
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/tabs.txt" --interactions "$D/millis.csv" -o "$T/t.snap"
check "tabs and semicolons told from the header" $?
"$KGREC" query "$T/t.snap" --format csv 'SELECT ?t WHERE { ?e <https://w3id.org/kgrec/ns#time> ?t }' | tr -d '\r' > "$T/q.csv"
grep -q '^2024-06-01T10:00:00Z$' "$T/q.csv" && grep -q '^2024-06-01T10:01:00Z$' "$T/q.csv"
check "epoch milliseconds read as such" $?
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/millis.csv" --time-unit ms -o "$T/t2.snap"
check "--time-unit ms" $?
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/millis.csv" --time-unit s -o "$T/t2.snap" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "millis.csv:2: unparseable timestamp '1717236000000' in column 3 (timestamp): out of range: read as epoch seconds (as set) it falls in the year 56387" "$T/err.txt"
r=$?; check "--time-unit s on milliseconds: file, line, column, year ($(cat "$T/err.txt"))" $r
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/millis.csv" --time-unit minutes -o "$T/t2.snap" 2> /dev/null
[ $? -eq 2 ]; check "--time-unit minutes: usage error" $?

# out of range: file, line and column; --skip-bad-rows skips the row
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/bad-time.csv" -o "$T/t.snap" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "bad-time.csv:3: unparseable timestamp '1717236000000000000' in column 2 (event_timestamp): out of range" "$T/err.txt"
r=$?; check "out-of-range timestamp named with file, line and column ($(cat "$T/err.txt"))" $r
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/bad-time.csv" --skip-bad-rows -o "$T/skip.snap" 2> "$T/err.txt"
check "--skip-bad-rows loads the rest" $?
grep -q "skipped 1 malformed rows" "$T/err.txt"; check "--skip-bad-rows counts it" $?

# a header error names the delimiter it assumed
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/bad-header.csv" -o "$T/t.snap" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "bad-header.csv:1: header must name the columns user, item and timestamp .* split at each semicolon (';', guessed from the header) it has the columns 'visitor', 'product', 'when'" "$T/err.txt"
r=$?; check "header error names the delimiter ($(cat "$T/err.txt"))" $r

# items that are not in the catalog: counted, three examples, a suggestion; --strict-items
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/unmatched.csv" -o "$T/u.snap" 2> "$T/err.txt"
check "unmatched items still load" $?
grep -q "warning: .*unmatched.csv: 5 of 6 events name items that are not among the 8 catalog products, e.g. 'OLD-SKU-1', 'OLD-SKU-2', 'OLD-SKU-3'; they became new items under https://w3id.org/kgrec/item/. If they are catalog products, give --item-base" "$T/err.txt"
r=$?; check "warning with examples and a suggestion ($(cat "$T/err.txt"))" $r
grep -q "OLD-SKU-4" "$T/err.txt"; [ $? -ne 0 ]; check "at most three examples" $?
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/unmatched.csv" --strict-items -o "$T/u.snap" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "unmatched.csv:3: column 2 (item): 'OLD-SKU-1' is not a catalog product" "$T/err.txt"
r=$?; check "--strict-items: an error naming line and item ($(cat "$T/err.txt"))" $r

# action names kgrec does not know: a warning; --action-map maps them
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/custom-actions.csv" -o "$T/c.snap" 2> "$T/err.txt"
grep -q "warning: .*custom-actions.csv: 4 events have action names kgrec does not know ('quick_look', 'basket_add', 'share'): .*--action-map FILE" "$T/err.txt"
r=$?; check "unknown action names warned about ($(cat "$T/err.txt"))" $r
"$KGREC" load "$D/catalog.ttl" --interactions "$D/custom-actions.csv" --action-map "$D/action-map.csv" -o "$T/c.snap" 2> "$T/err.txt"
check "--action-map" $?
grep -q warning "$T/err.txt"; [ $? -ne 0 ]; check "--action-map: no warning" $?
grep -q "custom-actions.csv: 1 rows not loaded" "$T/err.txt"; check "--action-map: 'ignore' drops rows" $?
"$KGREC" recommend "$T/c.snap" --user u1 --explain -k 2 > "$T/r.txt"
grep -Eq "You (viewed [^;]*|added [^;]* to the cart);" "$T/r.txt" && ! grep -Eq "quick_look|basket_add" "$T/r.txt"
r=$?; check "mapped names explain with kgrec's phrases ($(grep You "$T/r.txt" | head -2))" $r
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/custom-actions.csv" --action-map "$D/bad-action-map.csv" -o "$T/c.snap" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "bad-action-map.csv:2: column 2: 'teleport' is not an action" "$T/err.txt"
r=$?; check "a bad action map is named with its line ($(cat "$T/err.txt"))" $r

# the example catalog and log without --item-base: matched by local name, no new items
"$KGREC" load "$SRC/examples/catalog.ttl" --interactions "$SRC/examples/interactions.csv" -o "$T/ex.snap" 2> "$T/err.txt"
check "examples load without --item-base" $?
grep -q "interactions.csv: 2625 events; items: 2625 matched catalog products (2625 by local name), 0 did not" "$T/err.txt"
r=$?; check "examples: every event matched by local name ($(head -1 "$T/err.txt"))" $r
grep -q ' 313 items, 2625 interactions' "$T/err.txt"; check "examples: the 313 catalog products, no more" $?

finish t_events
