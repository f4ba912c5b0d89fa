#!/bin/bash
# JSON-LD product feeds: kgrec's reading of each fixture is the same set of quads as pyld's
# (python3-pyld, with the bundled schema.org context served offline); errors name the line of
# malformed JSON, the JSON path of a bad value, the URL of a remote context; a feed loads with
# its events and gives explained recommendations labelled with product names; a catalog in
# https://schema.org/ terms gives the same recommendations as in http://schema.org/ terms.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/jsonld
CTX=$KGR_SOURCE_DIR/ontologies/schemaorg-context.jsonld
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # Debian's, where python3-pyld is

for f in feed inline expanded array; do
	"$KGREC" load -q --no-ontology "$D/$f.jsonld" -o "$T/$f.snap" 2> "$T/err.txt"
	r=$?; check "load $f.jsonld ($(cat "$T/err.txt"))" $r || continue
	"$KGREC" export "$T/$f.snap" --format nquads > "$T/$f.nq"
	"$PY" "$KGR_SOURCE_DIR/tests/cli/jsonld_pyld.py" "$D/$f.jsonld" "$T/$f.nq" "$CTX" > "$T/cmp.txt" 2>&1
	r=$?; check "$f.jsonld: the same quads as pyld's ($(cat "$T/cmp.txt"))" $r
done

# the syntax by name and by media type, from standard input
"$KGREC" load -q --no-ontology --format application/ld+json - -o "$T/stdin.snap" < "$D/expanded.jsonld"
check "--format application/ld+json from standard input" $?
"$KGREC" load -q --no-ontology --format jsonld "$D/expanded.jsonld" -o "$T/named.snap"
check "--format jsonld" $?

# errors: what and where, and nothing written
err() { # file, expected message
	"$KGREC" load -q "$D/$1" -o "$T/bad.snap" > /dev/null 2> "$T/err.txt"
	local r=$?
	[ $r -ne 0 ] && grep -qF -- "$2" "$T/err.txt" && [ ! -e "$T/bad.snap" ]
	r=$?; check "$1: '$2' ($(cat "$T/err.txt"))" $r
}
err bad-json.jsonld "bad-json.jsonld:5:29: malformed JSON"
err remote-context.jsonld 'remote-context.jsonld:2:15: $.@context: remote context <https://example.org/contexts/shop.jsonld> refused: loading it would need network access'
err bad-value.jsonld 'bad-value.jsonld:6:44: $[3].offers.price: @value must be a string, a number, true or false, not an object'
printf '{"@context": {"@vocab": "http://schema.org/"}, "@id": "https://x.example/a", "name": {"@value": "x", "@language": "en", "@type": "Text"}}' > "$T/both.jsonld"
"$KGREC" load -q "$T/both.jsonld" -o "$T/bad.snap" 2> "$T/err.txt"
grep -qF 'both.jsonld:1:86: $.name: a value object has @type or @language, not both' "$T/err.txt"
r=$?; check "@type and @language ($(cat "$T/err.txt"))" $r
printf '[{"@context": {"@vocab": "http://schema.org/"}, "@id": "https://x.example/a", "url": {"@id": "https://x.example/a b"}}]' > "$T/space.jsonld"
"$KGREC" load -q "$T/space.jsonld" -o "$T/bad.snap" 2> "$T/err.txt"
grep -qF "space.jsonld:1:94: \$[0].url.@id: 'https://x.example/a b' is not an absolute IRI" "$T/err.txt"
r=$?; check "a bad IRI named with its path ($(cat "$T/err.txt"))" $r
printf '{"@context": {"@vocab": "http://schema.org/"},\n "name": "\xff"}' > "$T/utf8.jsonld"
"$KGREC" load -q "$T/utf8.jsonld" -o "$T/bad.snap" 2> "$T/err.txt"
grep -qF "utf8.jsonld:2:11: invalid UTF-8" "$T/err.txt"
r=$?; check "invalid UTF-8 with its line ($(cat "$T/err.txt"))" $r
"$KGREC" load -q "$D/feed.jsonld" "$D/bad-value.jsonld" -o "$T/bad.snap" 2> /dev/null
[ $? -ne 0 ] && [ ! -e "$T/bad.snap" ]; check "a bad document fails the whole load" $?

# end to end: a feed and its events, explained recommendations with product names
"$KGREC" load "$D/feed.jsonld" --interactions "$D/events.csv" -o "$T/s.kgr" 2> "$T/load.txt"
r=$?; check "kgrec load feed.jsonld --interactions events.csv ($(cat "$T/load.txt"))" $r
grep -qF '7 matched catalog products (7 by local name), 0 did not' "$T/load.txt"; check "events meet the feed's products" $?
"$KGREC" recommend "$T/s.kgr" --user ann -k 3 --explain > "$T/rec.txt"
check "recommend over the JSON-LD feed" $?
grep -qF '1. Merino Running Socks <https://shop.example.org/product/SKU-300>' "$T/rec.txt"
r=$?; check "labels are product names ($(head -3 "$T/rec.txt"))" $r
grep -qF 'You bought Trail Running Shoe; Merino Running Socks is an accessory for it' "$T/rec.txt"; check "a rationale through isAccessoryOrSparePartFor" $?
grep -qF 'Running Cap shares the brand Peak Gear with it' "$T/rec.txt"; check "a rationale through the nested Brand node's name" $?
q() { "$KGREC" query "$1" "$2" --format tsv 2>&1 | tail -n +2; }
[ "$(q "$T/s.kgr" 'SELECT ?a WHERE { ?o <http://schema.org/availability> ?a }')" = '<http://schema.org/InStock>' ]
check "https://schema.org/InStock is kept as http://schema.org/InStock" $?

# https://schema.org/ and http://schema.org/ are one vocabulary
"$KGREC" load -q "$D/feed-https.jsonld" --interactions "$D/events.csv" -o "$T/https.kgr"
check "load the feed in https://schema.org/ terms" $?
for u in ann bob cat; do
	"$KGREC" recommend "$T/s.kgr" --user $u -k 5 --explain > "$T/http-$u.txt"
	"$KGREC" recommend "$T/https.kgr" --user $u -k 5 --explain > "$T/https-$u.txt"
	diff "$T/http-$u.txt" "$T/https-$u.txt" > "$T/diff.txt"; r=$?
	check "$u: the same recommendations and rationales from https:// terms ($(cat "$T/diff.txt"))" $r
done
[ "$(q "$T/https.kgr" 'SELECT ?n WHERE { <https://shop.example.org/product/SKU-500> <https://schema.org/name> ?n }')" = '"Hydration Vest"' ]
check "SPARQL with https://schema.org/ finds the same facts" $?
[ "$(q "$T/https.kgr" 'SELECT (COUNT(*) AS ?n) WHERE { ?p a <http://schema.org/Product> }')" = 6 ]
check "SPARQL with http://schema.org/ finds the https feed's products" $?
finish t_jsonld
