#!/bin/bash
# A catalog team's first day: the same trail shop as a schema.org JSON-LD feed and as a Google
# Merchant CSV, and its GA4 event export (semicolons, microsecond timestamps, pseudonymous
# users, GA4 event names, SKUs). Each feed loads with the export in one command and gives
# explained recommendations labelled with product names, in kgrec's phrases; an export with
# an event for a SKU the catalog does not have is reported, and --strict-items refuses it.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/firstday

for feed in "json-ld:$D/feed.jsonld" "merchant:--product-feed $D/merchant.csv"; do
	name=${feed%%:*}
	"$KGREC" load ${feed#*:} --interactions "$D/ga4.csv" -o "$T/$name.snap" 2> "$T/$name.err"
	r=$?; check "$name: one command loads the feed and the export ($(cat "$T/$name.err"))" $r
	grep -q "ga4.csv: 15 events; items: 15 matched catalog products" "$T/$name.err"
	check "$name: the events that match the catalog are counted" $?
	! grep -q "warning" "$T/$name.err"; check "$name: no warning when every SKU matches" $?
	for u in 101.1 102.2 103.3 104.4; do
		"$KGREC" recommend "$T/$name.snap" --user "$u" --explain -k 3 --format json > "$T/$name-$u.json"
		check "$name: recommend for $u" $?
	done
	python3 - "$T"/$name-*.json <<'PY'
import json, re, sys
names = {"Ridge Runner 3 Trail Shoe", "Ridge Runner 3 GTX Trail Shoe", "Merino Trail Socks",
         "Hydration Vest 5 L", "Carbon Trail Poles", "Headlamp 400"}
lead = re.compile(r"^You (viewed|bought|saved) [^;]+; |^You added [^;]+ to the cart; ")
shown = 0
for f in sys.argv[1:]:
    d = json.load(open(f))
    for it in d["items"]:
        shown += 1
        assert it["label"] in names, (f, it["label"])
        r = it["rationale"]
        assert lead.match(r), (f, r)
        assert not re.search(r"view_item|add_to_cart|add_to_wishlist|TR-1\d\d|OLD-999", r), (f, r)
        assert not re.search(r"added to the cart [A-Z]|added to the cart it\b", r), (f, r)
assert shown >= 8, shown
PY
	check "$name: every item a product name, every rationale in kgrec's phrases" $?
	"$KGREC" load ${feed#*:} --interactions "$D/ga4-old-sku.csv" -o "$T/$name-old.snap" 2> "$T/$name-old.err"
	r=$?; [ $r -eq 0 ] && grep -q "warning: .*ga4-old-sku.csv: 1 of 16 events name items that are not among the 6 catalog products, e.g. 'OLD-999'" "$T/$name-old.err"
	check "$name: an event for a SKU the catalog lacks is reported ($(cat "$T/$name-old.err"))" $?
	"$KGREC" load ${feed#*:} --interactions "$D/ga4-old-sku.csv" --strict-items -o "$T/$name-strict.snap" 2> "$T/$name-strict.err"
	[ $? -ne 0 ] && grep -q "OLD-999" "$T/$name-strict.err"
	check "$name: --strict-items refuses the export, naming the SKU ($(cat "$T/$name-strict.err"))" $?
	[ ! -e "$T/$name-strict.snap" ]; check "$name: ... and writes no snapshot" $?
done
finish t_firstday
