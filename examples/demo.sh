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
if has prompt; then
	section "kgrec prompt --user u002 -k 5: what an LLM would be asked (numbered facts, candidates; nothing sent)"
	"$KGREC" prompt "$STORE" --user u002 -k 5 | head -60
fi
if has train; then
	section "kgrec train: the learned ranker, fitted on each shopper's held-back last interaction"
	"$KGREC" train "$STORE" -o "$OUT/ranker.model" --rounds 60 --threads 1 -q
	section "kgrec recommend --user u003 --model: the learned order, with each feature's share"
	"$KGREC" recommend "$STORE" --user u003 -k 5 --explain --model "$OUT/ranker.model" --format text
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
if has serve; then
	section "kgrec serve: the same over HTTP, an event that changes the next list, SPARQL by roqet"
	rm -f "$OUT/events.log"
	"$KGREC" serve "$STORE" --listen 127.0.0.1:0 --events-log "$OUT/events.log" > "$OUT/serve.out" 2> "$OUT/serve.err" &
	SERVE=$!
	for _ in $(seq 1 100); do grep -q listening "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
	URL=$(grep -o 'http://[0-9.:]*' "$OUT/serve.out")
	echo "listening on $URL"
	python3 - "$URL" <<'PY'
import json, sys, urllib.request
url = sys.argv[1]
def call(path, body=None):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
def show(title, rec):
    print("%s (cold start: %s)" % (title, rec["cold_start"]))
    for it in rec["items"]:
        print("  %d. %s  -- %s" % (it["rank"], it["label"], it.get("rationale", "")))
show("POST /v1/recommend {user: walkin}", call("/v1/recommend", {"user": "walkin", "k": 3, "explain": True}))
print("POST /v1/events:", call("/v1/events", {"user": "walkin", "item": "p-mirrorless-camera-lumora-z50", "action": "purchase"}))
show("POST /v1/recommend {user: walkin} again", call("/v1/recommend", {"user": "walkin", "k": 3, "explain": True}))
PY
	echo "roqet -p $URL/sparql: the Lumora products"
	roqet -q -i sparql -p "$URL/sparql" -e 'SELECT ?name WHERE { ?p <http://schema.org/brand> <https://shop.example.org/brand/lumora> ; <http://schema.org/name> ?name } ORDER BY ?name LIMIT 4'
	kill -TERM $SERVE
	wait $SERVE
fi
