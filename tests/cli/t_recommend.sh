#!/bin/bash
# kgrec recommend / similar / explain / train from the command line: formats, evidence,
# cold start, the bad inputs.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval

"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?

"$KGREC" recommend "$T/s.snap" --user alice --explain > "$T/text.txt"
check "recommend text" $?
grep -q '^  1\. Soccer Ball' "$T/text.txt"; check "alice: ball first" $?
grep -q 'You bought Goalie Gloves; Gloves Bag is an accessory for it' "$T/text.txt"
check "rationale from the accessory phrase" $?
grep -q 'Tennis Racket' "$T/text.txt"; [ $? -ne 0 ]; check "no unexplained far item" $?

"$KGREC" recommend "$T/s.snap" --user https://w3id.org/kgrec/user/alice --explain --format json -k 3 > "$T/r.json"
check "recommend json" $?
python3 - "$T/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["user"] == "https://w3id.org/kgrec/user/alice", d["user"]
assert d["cold_start"] is False
assert len(d["items"]) == 3
for it in d["items"]:
    assert isinstance(it["item"], str) and it["item"].startswith("https://w3id.org/kgrec/item/")
    assert it["label"] and it["generators"] and it["rationale"]
    assert set(it["features"]) == {"ppr","covisit","metapath","sequential","popular","newitem","query","paths","shortest","recency","itempop","hub"}
    assert it["paths"], it
    for p in it["paths"]:
        assert 1 <= len(p["edges"]) <= 4
        for e in p["edges"]:
            assert all(isinstance(e[k], str) for k in ("s","p","o"))
PY
check "json: items, features, paths with string ids" $?

"$KGREC" recommend "$T/s.snap" --user alice --format dot > "$T/r.dot"
check "recommend dot" $?
head -1 "$T/r.dot" | grep -q '^digraph evidence {'; check "dot header" $?
grep -q -- '-> n[0-9]* \[label="is an accessory for"\]' "$T/r.dot"; check "dot has evidence edges, labelled with the ontology's phrases" $?
grep -q 'fillcolor="#dcfce7"' "$T/r.dot" && grep -q 'fillcolor="#dbeafe"' "$T/r.dot"; check "dot colours: recommended green, history blue, as in the audit report" $?
if command -v dot > /dev/null; then dot -Tsvg "$T/r.dot" > /dev/null; check "graphviz accepts the dot" $?; fi

"$KGREC" recommend "$T/s.snap" --user nobody -k 2 > "$T/cold.txt" 2>&1
check "unknown user is not an error" $?
grep -q "unknown user 'nobody': cold-start" "$T/cold.txt"; check "unknown user note" $?
grep -q '^  1\. Goalie Gloves' "$T/cold.txt"; check "cold start: most popular first" $?

"$KGREC" recommend "$T/s.snap" --user alice --at 2023-01-01 > "$T/at.txt"
check "--at before any event" $?
grep -q 'no history before the given time' "$T/at.txt"; check "--at note" $?

"$KGREC" recommend "$T/s.snap" --query "goalkeeper" --format json > "$T/q.json"
check "--query" $?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(m["word"]=="goalkeeper" for m in d["matches"]); assert "query" in d["items"][0]["generators"]' "$T/q.json"
check "query matches reported" $?

"$KGREC" recommend "$T/s.snap" --seed racket --explain > "$T/seed.txt"
check "--seed" $?
grep -q '^  1\. Tennis Balls' "$T/seed.txt"; check "seed racket: tennis balls first" $?

"$KGREC" recommend "$T/s.snap" --seed nosuchthing 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "seed 'nosuchthing'" "$T/err.txt"; check "unknown seed names it" $?
"$KGREC" recommend "$T/s.snap" --seed ex:soccer 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "seed http://example.org/shop/soccer: not an item" "$T/err.txt"
check "seed that is not an item" $?
for k in 0 -3 100000 ten; do
	"$KGREC" recommend "$T/s.snap" --user alice -k "$k" 2> "$T/err.txt"
	[ $? -eq 2 ] && grep -q -- "-k" "$T/err.txt"; r=$?; check "-k $k rejected ($(cat "$T/err.txt"))" $r
done
"$KGREC" recommend "$T/s.snap" --user alice --format xml 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "unknown format 'xml'" "$T/err.txt"; check "bad format" $?
"$KGREC" recommend "$T/nope.snap" --user alice 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "nope.snap" "$T/err.txt"; check "missing store named" $?

"$KGREC" recommend "$T/s.snap" --user alice --exclude ball --exclude jersey --exclude shinguards \
	--exclude bag --exclude boots > "$T/few.txt"
check "everything excluded is not an error" $?
grep -q 'note: only 0 of 10 items could be recommended' "$T/few.txt"; check "fewer than k, with a note" $?

"$KGREC" explain "$T/s.snap" --user alice --item boots > "$T/ex.txt"
check "explain" $?
grep -q 'You bought Goalie Gloves; Soccer Boots shares the brand Acme with it' "$T/ex.txt"
check "explain rationale" $?
"$KGREC" explain "$T/s.snap" --user alice --item cap > "$T/ex2.txt"
grep -q 'no path within 3 hops' "$T/ex2.txt"; check "explain: no path within 3 hops" $?
"$KGREC" explain "$T/s.snap" --user alice --item nosuch 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "item 'nosuch'" "$T/err.txt"; check "explain: unknown item" $?
"$KGREC" explain "$T/s.snap" --user alice --item ball --hops 4 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "between 1 and 3" "$T/err.txt"; check "explain: --hops 4" $?

"$KGREC" similar "$T/s.snap" --item racket > "$T/sim.txt"
check "similar" $?
grep -q '^  1\. Tennis Balls' "$T/sim.txt"; check "similar: tennis balls first" $?
grep -q 'is a consumable for it' "$T/sim.txt"; check "similar: evidence" $?
"$KGREC" similar "$T/s.snap" --item ex:tennis 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "not an item" "$T/err.txt"; check "similar: not an item" $?

# a local name two items share: the message lists both, not "no such item"
printf '@prefix schema: <http://schema.org/> .\n<http://other.example.org/ball> a schema:Product ; schema:name "Other Ball" .\n' > "$T/other.ttl"
"$KGREC" load -q "$D/shop.ttl" "$T/other.ttl" --interactions "$D/interactions.csv" -o "$T/amb.snap"
check "load a second ball" $?
"$KGREC" similar "$T/amb.snap" --item ball 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "similar: item 'ball': 'ball' is ambiguous: <.*ball> or <.*ball>; give the full IRI" "$T/err.txt" &&
	! grep -q "no such item" "$T/err.txt"
r=$?; check "similar: ambiguous local name ($(cat "$T/err.txt"))" $r
"$KGREC" similar "$T/amb.snap" --item http://other.example.org/ball > /dev/null
check "similar: the full IRI resolves" $?

"$KGREC" train "$T/s.snap" --linear -o "$T/w1.json" --seed 7 > "$T/train.txt"
check "train" $?
grep -q 'users 4' "$T/train.txt"; check "train report" $?
"$KGREC" train "$T/s.snap" --linear -o "$T/w2.json" --seed 7 > /dev/null
cmp -s "$T/w1.json" "$T/w2.json"; check "train is deterministic" $?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["weights"])==12' "$T/w1.json"
check "weights file" $?
"$KGREC" recommend "$T/s.snap" --user alice --weights "$T/w1.json" > /dev/null
check "recommend with trained weights" $?
echo '{"weights": {"ppr": "x"}}' > "$T/bad.json"
"$KGREC" recommend "$T/s.snap" --user alice --weights "$T/bad.json" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q 'bad.json: weight of "ppr" is not a number' "$T/err.txt"; check "bad weights file" $?

# meta-path counts: the most frequent patterns are listed (at most 8), all are counted, and
# the counts of a fully listed item add up to its paths feature, log(1 + paths)
"$KGREC" load -q "$KGR_SOURCE_DIR/examples/catalog.ttl" --interactions "$KGR_SOURCE_DIR/examples/interactions.csv" \
	--user-base https://shop.example.org/user/ --item-base https://shop.example.org/product/ -o "$T/ex.snap"
check "load the example catalog" $?
"$KGREC" recommend "$T/ex.snap" --user u002 --explain --format json -k 5 > "$T/mp.json"
check "recommend u002 json" $?
python3 - "$T/mp.json" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
capped = 0
for it in d["items"]:
    mp, total = it["meta_paths"], it["meta_paths_total"]
    assert len(mp) == min(total, 8), (len(mp), total)
    counts = [m["count"] for m in mp]
    assert counts == sorted(counts, reverse=True), counts
    paths = math.exp(it["features"]["paths"]) - 1
    if total <= 8:
        assert abs(sum(counts) - paths) < 1e-6, (counts, paths)
    else:
        capped += 1
        assert sum(counts) < paths + 1e-6
assert capped >= 1, "expected an item with more than 8 patterns"
PY
check "meta_paths: listed, capped, counted" $?

# free-text constraints on the example catalog: a price bound and an audience, named in the
# reply, met by every item (prices read back through SPARQL), and the phrase that matched quoted
EX=$KGR_SOURCE_DIR/examples
"$KGREC" load -q "$EX/catalog.ttl" --interactions "$EX/interactions.csv" -o "$T/ex.snap"
check "load the example shop" $?
"$KGREC" query "$T/ex.snap" 'PREFIX s: <http://schema.org/> SELECT ?i ?p WHERE { ?i s:offers ?o . ?o s:price ?p }' \
	--format csv > "$T/prices.csv"
check "prices by SPARQL" $?
"$KGREC" recommend "$T/ex.snap" --query "running shoes under 100 EUR" --explain -k 10 --format json > "$T/c.json"
check "--query with a price bound" $?
"$KGREC" recommend "$T/ex.snap" --query "headphones for kids" --explain -k 10 --format json > "$T/a.json"
check "--query with an audience" $?
"$KGREC" query "$T/ex.snap" 'PREFIX s: <http://schema.org/> SELECT ?i WHERE { ?i s:audience <https://shop.example.org/audience/kids> }' \
	--format csv > "$T/kids.csv"
check "kids' items by SPARQL" $?
python3 - "$T/c.json" "$T/a.json" "$T/prices.csv" "$T/kids.csv" <<'PY'
import csv, json, sys
c, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
price = {}
for row in list(csv.reader(open(sys.argv[3])))[1:]:
    price[row[0]] = min(float(row[1]), price.get(row[0], float("inf")))
kids = {row[0] for row in list(csv.reader(open(sys.argv[4])))[1:]}
assert c["constraints"] == [{"kind": "max_price", "value": 100, "currency": "EUR", "unpriced": c["constraints"][0]["unpriced"],
                             "removed": c["constraints"][0]["removed"]}], c["constraints"]
assert c["constraints"][0]["removed"] > 0
assert any(n.startswith("price at most 100 EUR: ") for n in c["notes"]), c["notes"]
assert len(c["items"]) == 10
for it in c["items"]:
    assert price[it["item"]] <= 100, (it["label"], price[it["item"]])
assert all(m["word"] != "100" and m["word"] != "under" for m in c["matches"]), c["matches"]
assert any(m["word"] == "running shoes" for m in c["matches"]), c["matches"]
assert any('You searched for "running shoes" (Running shoes)' in (it.get("rationale") or "") for it in c["items"])
assert [x["kind"] for x in a["constraints"]] == ["audience"], a["constraints"]
assert a["constraints"][0]["label"] == "kids"
assert a["items"] and all(it["item"] in kids for it in a["items"]), [it["label"] for it in a["items"]]
PY
check "constraints named in the reply and met by every item" $?
"$KGREC" recommend "$T/ex.snap" --query "headphones under 1" > "$T/none.txt"
check "an unmet bound is no error" $?
grep -q "price at most 1: .* candidates left out" "$T/none.txt"; check "... and says what it left out" $?
"$KGREC" recommend "$T/s.snap" --query "gloves under 10" > "$T/np.txt"
grep -q "price at most 10 not applied: no candidate has a price" "$T/np.txt"
check "a bound on a catalog without prices is not applied, and said so" $?
grep -q "Goalie Gloves" "$T/np.txt"; check "... and the list is still given" $?

finish
