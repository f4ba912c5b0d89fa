#!/bin/bash
# The audit trail end to end: honest logs written by the real `kgrec recommend` (graph only and
# with the scripted LLM server of tests/llm) verify and replay identically; each tampering fails
# and names the field; the RDF export parses with rapper and the SPARQL queries of
# docs/AUDIT.md return the expected rows; the HTML report renders in headless Chromium.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval
SRC=$KGR_SOURCE_DIR
SERVER_PID=
on_exit '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null'
# expect_fail NAME LOG PATTERN: verify exits 1 and prints PATTERN
expect_fail() {
	"$KGREC" audit verify "$2" --store "$T/s.snap" > "$T/out.txt" 2>&1
	local rc=$?
	[ $rc -eq 1 ]; check "$1: exit 1 (got $rc)" $?
	grep -q -- "$3" "$T/out.txt"; check "$1: says '$3'" $?
	[ $? -eq 0 ] || cat "$T/out.txt"
}

"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?

# ---- honest logs ----
L=$T/audit.log
"$KGREC" recommend "$T/s.snap" --user alice --explain -k 3 --audit-log "$L" --request-id graph-1 > /dev/null 2> "$T/err.txt"
check "recommend --audit-log" $?
grep -q 'audit record graph-1 appended' "$T/err.txt"; check "recommend names the record" $?
KGREC_AUDIT_LOG=$L "$KGREC" recommend "$T/s.snap" --user nobody -k 2 --request-id cold-1 > /dev/null 2>&1
check "cold-start request logged (log named by KGREC_AUDIT_LOG)" $?

python3 "$SRC/tests/llm/fake_openai.py" > "$T/port" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$T/port")
[ -n "$PORT" ]; check "scripted LLM server started" $?
URL=http://127.0.0.1:$PORT/v1
LLM=(--llm --llm-url "$URL" --no-cache --retries 0)
"$KGREC" recommend "$T/s.snap" --user alice -k 4 "${LLM[@]}" --llm-model good --audit-log "$L" --request-id llm-good > /dev/null 2>&1
check "recommend --llm good" $?
"$KGREC" recommend "$T/s.snap" --user bob -k 4 "${LLM[@]}" --llm-model badevidence --boots 3 --audit-log "$L" --request-id llm-badevidence > /dev/null 2>&1
check "recommend --llm badevidence, 3 boots" $?
"$KGREC" recommend "$T/s.snap" --user carol -k 4 "${LLM[@]}" --llm-model good --mode pairwise --audit-log "$L" --request-id llm-pairwise > /dev/null 2>&1
check "recommend --llm pairwise" $?
"$KGREC" recommend "$T/s.snap" --user bob -k 3 "${LLM[@]}" --llm-model malformed --audit-log "$L" --request-id llm-malformed > /dev/null 2>&1
check "recommend --llm malformed (falls back)" $?
"$KGREC" recommend "$T/s.snap" --user frank -k 3 "${LLM[@]}" --llm-model good --mode pointwise --audit-log "$L" --request-id llm-pointwise > /dev/null 2>&1
check "recommend --llm pointwise" $?
"$KGREC" recommend "$T/s.snap" --user alice -k 3 "${LLM[@]}" --llm-model good --audit-log "$L" --audit-prompt-hash --audit-fsync --request-id llm-hash > /dev/null 2>&1
check "recommend --llm with prompt hashes only" $?
[ "$(wc -l < "$L")" -eq 8 ]; check "eight records, one per line" $?
python3 - "$L" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
by = {r["id"]: r for r in recs}
assert all(r["v"] == 1 for r in recs)
assert by["graph-1"]["llm"] is None
g = by["llm-good"]["llm"]
assert g["model"] == "good" and g["exchanges"][0]["reply"] and g["exchanges"][0]["facts"][0]["id"] == "F1"
assert "[F1]" in g["exchanges"][0]["user"]
assert any(it["cited"] for it in by["llm-good"]["list"]), "grounded citations logged"
b = by["llm-badevidence"]["llm"]
assert b["validation"]["citations_invalid"] > 0 and b["validation"]["notes"], b["validation"]
assert len(b["exchanges"]) >= 2
m = by["llm-malformed"]
x = m["llm"]["exchanges"][0]
assert x["reply"] and x["error"] and "unusable reply" in x["error"], x
assert m["llm"]["validation"]["fallback"] is True
assert any("graph order kept" in n for n in m["notes"]), m["notes"]
h = by["llm-hash"]["llm"]["exchanges"][0]
assert "user" not in h and len(h["prompt_hash"]) == 32
e = by["graph-1"]["list"][0]["paths"][0]["edges"][0]
assert e["s"].startswith("<") and e["p"].startswith("<")
assert by["graph-1"]["candidates"][0]["generators"]
PY
check "record contents" $?

"$KGREC" audit verify "$L" --store "$T/s.snap" > "$T/v.txt" 2>&1
check "honest log verifies" $?
grep -q '^OK: 8 record(s), 8 passed, 0 failed' "$T/v.txt"; check "verify summary" $?
"$KGREC" audit verify "$L" --store "$T/s.snap" --json > "$T/v.json"
check "verify --json" $?
python3 - "$T/v.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert d["ok"] is True and s["records"] == 8 and s["passed"] == 8 and s["failed"] == 0, s
assert s["edges_checked"] > 20 and s["edges_missing"] == 0, s
assert s["citations_checked"] > 0 and s["citations_foreign"] == 0, s
PY
check "verify --json counts" $?

"$KGREC" audit replay "$L" --store "$T/s.snap" > "$T/r.txt" 2>&1
check "replay is identical" $?
grep -q '^OK: 8 record(s) replayed, 8 identical, 0 different' "$T/r.txt"; check "replay summary" $?
[ $? -eq 0 ] || cat "$T/r.txt"
"$KGREC" audit replay "$L" --store "$T/s.snap" --id llm-pairwise > "$T/r1.txt" 2>&1
check "replay --id" $?
grep -q '1 record(s) replayed, 1 identical' "$T/r1.txt"; check "replay --id replays one" $?
"$KGREC" audit replay "$L" --store "$T/s.snap" --id nosuch > "$T/r2.txt" 2>&1
[ $? -eq 1 ]; check "replay of an unknown id fails" $?
grep -q "no record with id 'nosuch'" "$T/r2.txt"; check "replay names the unknown id" $?
# the server is not needed for replay: stop it first
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
"$KGREC" audit replay "$L" --store "$T/s.snap" --id llm-badevidence > /dev/null 2>&1
check "replay needs no LLM server" $?

# ---- tampering ----
python3 - "$L" "$T" <<'PY'
import copy, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
by = {r["id"]: r for r in recs}
out = sys.argv[2]
def w(name, rs, tail=""):
    with open(out + "/" + name, "w") as f:
        f.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rs) + tail)
r = copy.deepcopy(by["graph-1"])
r["list"][0]["paths"][0]["edges"][-1]["o"] = "<https://w3id.org/kgrec/item/racket>"
w("edge.log", [r])
r = copy.deepcopy(by["graph-1"])
r["list"][1]["item"] = "<https://w3id.org/kgrec/item/racket>"
w("item.log", [r])
r = copy.deepcopy(by["llm-good"])
r["list"][0]["cited"].append({"s": "<https://w3id.org/kgrec/item/racket>",
    "p": "<http://schema.org/category>", "o": "<http://example.org/shop/tennis>"})
w("cite.log", [r])
r = copy.deepcopy(by["graph-1"])
r["snapshot"]["checksum"] = "0123456789abcdef"
w("checksum.log", [r])
first = json.dumps(by["llm-good"], separators=(",", ":"))
w("truncated.log", [by["graph-1"]], first[: len(first) // 2])
r = copy.deepcopy(by["graph-1"]); r["v"] = 2; r["id"] = "from-the-future"
w("newer.log", [by["graph-1"], r])
r = copy.deepcopy(by["llm-good"])
reply = json.loads(r["llm"]["exchanges"][0]["reply"]); reply["ranking"].reverse()
r["llm"]["exchanges"][0]["reply"] = json.dumps(reply)
w("reply.log", [r])
r = copy.deepcopy(by["llm-good"])
r["llm"]["exchanges"][0]["user"] = r["llm"]["exchanges"][0]["user"].replace("Soccer", "Tennis", 1)
w("prompt.log", [r])
PY
check "tampered copies written" $?
expect_fail "edge changed" "$T/edge.log" 'FAIL list\[0\].paths\[0\].edges\[[0-9]\]: edge .*racket> is not in the store'
expect_fail "edge changed (digest)" "$T/edge.log" "section 'list' does not match its digest"
expect_fail "item changed" "$T/item.log" 'FAIL list\[1\].item: item <https://w3id.org/kgrec/item/racket> is not in the candidate set'
expect_fail "cited fact not given" "$T/cite.log" 'FAIL list\[0\].cited\[[0-9]\]: cited fact .*racket.* was not given in any prompt'
expect_fail "checksum changed" "$T/checksum.log" "FAIL snapshot: section 'snapshot' does not match its digest"
expect_fail "checksum changed (other snapshot)" "$T/checksum.log" 'made on snapshot 0123456789abcdef'
expect_fail "truncated line" "$T/truncated.log" 'line 2: FAIL truncated record'
expect_fail "truncated line: the rest verified" "$T/truncated.log" '^INCOMPLETE: 1 record(s), 1 passed, 0 failed; 1 truncated'
expect_fail "newer version" "$T/newer.log" 'record from-the-future is format version 2, newer than this kgrec.s 1: refused'
expect_fail "prompt edited" "$T/prompt.log" 'FAIL llm.exchanges\[0\].user: the prompt text does not match its hash'
# the chain: each record names the one it was written after
python3 - "$L" "$T" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines(True)
t = sys.argv[2]
open(t + "/dup.log", "w").writelines(lines[:3] + [lines[2]] + lines[3:])
open(t + "/swap.log", "w").writelines(lines[:2] + [lines[3], lines[2]] + lines[4:])
open(t + "/gap.log", "w").writelines(lines[:2] + lines[3:])
open(t + "/head.log", "w").writelines(lines[1:])
PY
check "chain tampered copies written" $?
expect_fail "duplicated record" "$T/dup.log" 'FAIL prev: the record before it in the log is not the one it was written after'
expect_fail "duplicated record (id)" "$T/dup.log" 'FAIL id: id .* was already used by the record at line 3'
expect_fail "records swapped" "$T/swap.log" 'line 3 record .*: FAIL prev: the record before it'
expect_fail "record deleted" "$T/gap.log" 'line 3 record .*: FAIL prev: the record before it'
expect_fail "first record deleted" "$T/head.log" 'line 1 record .*: FAIL prev: the first record of the log was written after another one'
"$KGREC" audit verify "$L" --store "$T/s.snap" > /dev/null 2>&1; check "the untouched log still verifies" $?
"$KGREC" audit verify "$T/edge.log" --store "$T/s.snap" --json > "$T/edge.json"
python3 - "$T/edge.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and d["summary"]["failed"] == 1 and d["summary"]["edges_missing"] == 1, d["summary"]
f = [x for x in d["findings"] if x["severity"] == "fail" and x["field"].startswith("list[0].paths[0].edges[")]
assert len(f) == 1 and f[0]["id"] == "graph-1" and f[0]["line"] == 1 and "not in the store" in f[0]["message"], f
PY
check "verify --json names the tampered edge" $?
"$KGREC" audit replay "$T/reply.log" --store "$T/s.snap" > "$T/rr.txt" 2>&1
[ $? -eq 1 ]; check "replay of a changed reply fails" $?
grep -q 'FAIL list\[0\].item: logged <https://w3id.org/kgrec/item/[a-z]*>, replay <https://w3id.org/kgrec/item/[a-z]*>' "$T/rr.txt"
check "replay shows the difference" $?
"$KGREC" audit replay "$T/cite.log" --store "$T/s.snap" > "$T/rc.txt" 2>&1
[ $? -eq 1 ]; check "replay of an added citation fails" $?
grep -q 'FAIL list\[0\].cited: logged 2 cited fact(s), replay 1' "$T/rc.txt"; check "replay names the citation" $?
[ $? -eq 0 ] || cat "$T/rc.txt"
"$KGREC" audit replay "$T/truncated.log" --store "$T/s.snap" > "$T/rt.txt" 2>&1
[ $? -eq 1 ]; check "replay reports the truncated record" $?
grep -q '1 identical' "$T/rt.txt"; check "replay replays the rest" $?

# a crash mid-record: the next record starts on its own line
cp "$T/truncated.log" "$T/crash.log"
"$KGREC" recommend "$T/s.snap" --user alice -k 2 --audit-log "$T/crash.log" --request-id after-crash > /dev/null 2>&1
"$KGREC" audit verify "$T/crash.log" --store "$T/s.snap" > "$T/c.txt" 2>&1
grep -q 'INCOMPLETE: 2 record(s), 2 passed' "$T/c.txt"; check "record after a crash is readable" $?

"$KGREC" audit verify "$T/none.log" --store "$T/s.snap" > "$T/n.txt" 2>&1
[ $? -eq 1 ] && grep -q 'no such file' "$T/n.txt"; check "missing log" $?
"$KGREC" audit verify "$L" > /dev/null 2>&1
[ $? -eq 2 ]; check "verify without --store is a usage error" $?

# ---- another snapshot: an edge removed since ----
"$KGREC" export "$T/s.snap" --format ntriples --inferred > "$T/all.nt"
grep -v '^<https://w3id.org/kgrec/item/ball> <http://schema.org/brand> ' "$T/all.nt" > "$T/v2.nt"
[ "$(wc -l < "$T/v2.nt")" -eq $(( $(wc -l < "$T/all.nt") - 1 )) ]; check "second catalog lacks one edge" $?
"$KGREC" load -q "$T/v2.nt" -o "$T/s2.snap"
check "load the second snapshot" $?
"$KGREC" audit verify "$L" --store "$T/s2.snap" > "$T/v2.txt" 2>&1
check "other snapshot: not a failure" $?
grep -q '8 on another snapshot' "$T/v2.txt"; check "other snapshot counted" $?
grep -q "gone since the record's snapshot: <https://w3id.org/kgrec/item/ball> <http://schema.org/brand> <http://example.org/shop/acme>" "$T/v2.txt"
check "edge gone since named" $?
"$KGREC" audit verify "$L" --store "$T/s2.snap" --json > "$T/v2.json" 2>&1
python3 - "$T/v2.json" "$L" <<'PY'
import json, re, sys
res = json.load(open(sys.argv[1]))
logged = set()
for r in map(json.loads, open(sys.argv[2])):
    for it in r["list"] or []:
        for p in it["paths"]:
            for e in p["edges"]:
                logged.add((e["s"], e["p"], e["o"]))
gone = [f for f in res["findings"] if f["message"].startswith("gone since")]
assert gone, "notes about the removed edge"
for f in gone:
    m = re.match(r"gone since the record's snapshot: (<[^>]*>|\S+) (<[^>]*>) (<[^>]*>|\"[^\"]*\"\S*)", f["message"])
    assert m, f["message"]
    assert m.groups() in logged, ("a note quotes a triple that was never logged", f["message"])
    assert "the store has" in f["message"], f["message"]
PY
check "every 'gone since' note quotes the logged triple and says what the store has" $?
"$KGREC" audit replay "$L" --store "$T/s2.snap" --id graph-1 > "$T/r3.txt" 2>&1
[ $? -eq 1 ] && grep -q 'replay needs the record.s snapshot' "$T/r3.txt"; check "replay refuses another snapshot" $?

# ---- RDF export and the documented queries ----
"$KGREC" audit export "$L" --format turtle -o "$T/audit.ttl"
check "export turtle" $?
"$KGREC" audit export "$L" --format ntriples > "$T/audit.nt"
check "export ntriples" $?
rapper -i turtle -c "$T/audit.ttl" > "$T/rap1.txt" 2>&1
check "rapper parses the Turtle" $?
rapper -i ntriples -c "$T/audit.nt" > "$T/rap2.txt" 2>&1
check "rapper parses the N-Triples" $?
[ "$(grep -o 'returned [0-9]*' "$T/rap1.txt")" = "$(grep -o 'returned [0-9]*' "$T/rap2.txt")" ]
check "both syntaxes hold the same triples" $?
! grep -qi 'error' "$T/rap1.txt" "$T/rap2.txt"; check "rapper reports no error" $?
"$KGREC" load -q "$T/v2.nt" "$T/audit.ttl" -o "$T/both.snap"
check "kgrec load takes the export next to the catalog" $?
"$KGREC" audit export "$L" -o "$T/no/such/dir/audit.ttl" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "cannot write $T/no/such/dir/audit.ttl: No such file or directory" "$T/err.txt"
r=$?; check "audit export into a missing directory: reason given ($(cat "$T/err.txt"))" $r
"$KGREC" audit export "$T/newer.log" --format rdfxml > /dev/null 2>&1
[ $? -ne 0 ]; check "unknown export format" $?

python3 - "$SRC/docs/AUDIT.md" "$T" <<'PY'
import re, sys
doc = open(sys.argv[1]).read()
qs = re.findall(r"```sparql\n(.*?)```", doc, re.S)
assert len(qs) == 7, len(qs)
for i, q in enumerate(qs, 1):
    open("%s/q%d.rq" % (sys.argv[2], i), "w").write(q)
PY
check "seven queries in docs/AUDIT.md" $?
NOW_MONTH_START=$(date -u -d "$(date -u +%Y-%m-01)" +%Y-%m-01T00:00:00Z)
NEXT_MONTH_START=$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m-01T00:00:00Z)
PREV_MONTH_START=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m-01T00:00:00Z)
run_q() { # file, data files...: prints rows
	local q=$1; shift
	local args=()
	for f in "$@"; do args+=(-D "$f"); done
	roqet -q -i sparql11 -r csv "${args[@]}" "$q" 2>"$T/roqet.err"
	local r=$? # roqet: 0 ok, 1 error, 2 ok with warnings
	[ $r -ne 1 ]; r=$?
	check "roqet runs $(basename "$q") ($(cat "$T/roqet.err"))" $r
}
# Q1 this month: lists with an acme edge (graph-1: the ball via brand acme)
sed -e "s/2026-11-01T00:00:00Z/$NEXT_MONTH_START/" -e "s/2026-10-01T00:00:00Z/$NOW_MONTH_START/" "$T/q1.rq" > "$T/q1now.rq"
run_q "$T/q1now.rq" "$T/audit.ttl" > "$T/q1.csv"
grep -q 'audit/list/graph-1,.*,https://w3id.org/kgrec/item/ball' "$T/q1.csv"; check "Q1 finds graph-1's ball by brand acme" $? || { cat "$T/q1.csv" "$T/roqet.err"; }
! grep -q 'cold-1' "$T/q1.csv"; check "Q1 leaves out the cold-start list" $?
sed -e "s/2026-11-01T00:00:00Z/$NOW_MONTH_START/" -e "s/2026-10-01T00:00:00Z/$PREV_MONTH_START/" "$T/q1.rq" > "$T/q1prev.rq"
run_q "$T/q1prev.rq" "$T/audit.ttl" > "$T/q1p.csv"
[ "$(grep -c 'audit/list' "$T/q1p.csv")" -eq 0 ]; check "Q1 last month: no list" $?
# Q2 against the second catalog: the lists that used ball-brand-acme, and only that edge
run_q "$T/q2.rq" "$T/v2.nt" "$T/audit.ttl" > "$T/q2.csv"
grep -q 'https://w3id.org/kgrec/item/ball,http://schema.org/brand,http://example.org/shop/acme' "$T/q2.csv"
check "Q2 finds the removed edge" $?
[ "$(grep 'audit/list' "$T/q2.csv" | grep -vc 'item/ball,http://schema.org/brand')" -eq 0 ]
check "Q2 reports no edge that is still there" $?
run_q "$T/q2.rq" "$T/all.nt" "$T/audit.ttl" > "$T/q2all.csv"
[ "$(grep -c 'audit/list' "$T/q2all.csv")" -eq 0 ]; check "Q2 on the original catalog: nothing removed" $? || head "$T/q2all.csv"
# Q3: 4 lists by the good model (listwise, pairwise, pointwise, hashed prompts), 1 by badevidence
run_q "$T/q3.rq" "$T/audit.ttl" > "$T/q3.csv"
grep -q '^badevidence,1' "$T/q3.csv" && grep -q '^good,4' "$T/q3.csv" && grep -q '^malformed,1' "$T/q3.csv"; check "Q3 counts lists per model" $? || cat "$T/q3.csv"
# Q4: validation notes for the badevidence and the malformed lists only
run_q "$T/q4.rq" "$T/audit.ttl" > "$T/q4.csv"
grep -q 'audit/list/llm-badevidence,.*not given for that candidate removed' "$T/q4.csv"; check "Q4 finds the corrected list" $?
grep -q 'audit/list/llm-malformed,.*graph order kept' "$T/q4.csv"; check "Q4 finds the fallback" $?
[ "$(grep 'audit/list' "$T/q4.csv" | grep -vc 'llm-badevidence\|llm-malformed')" -eq 0 ]; check "Q4 only those lists" $?
# Q5: the ball without a grounded rationale: graph-only lists, and badevidence
run_q "$T/q5.rq" "$T/audit.ttl" > "$T/q5.csv"
grep -q 'audit/list/graph-1,' "$T/q5.csv"; check "Q5 graph-only list" $?
! grep -q 'audit/list/llm-good,' "$T/q5.csv"; check "Q5 leaves out the grounded LLM list" $?
[ $? -eq 0 ] || cat "$T/q5.csv"
# Q6: the lists whose ball entry walked ball-brand-acme, with the path's position
run_q "$T/q6.rq" "$T/audit.ttl" > "$T/q6.csv"
grep -q 'audit/list/graph-1,[0-9]*,https://w3id.org/kgrec/item/ball,[0-9]' "$T/q6.csv"; check "Q6 finds graph-1's ball and its path" $? || cat "$T/q6.csv"
python3 - "$T/q6.csv" "$L" <<'PY'
import csv, json, sys
edge = ("<https://w3id.org/kgrec/item/ball>", "<http://schema.org/brand>", "<http://example.org/shop/acme>")
recs = {r["id"]: r for r in map(json.loads, open(sys.argv[2]))}
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows
for row in rows:
    rec = recs[row["list"].rsplit("/", 1)[1]]
    it = rec["list"][int(row["rank"]) - 1]
    assert "<%s>" % row["item"] == it["item"], (row, it["item"])
    path = it["paths"][int(row["pathIndex"]) - 1]
    assert any((e["s"], e["p"], e["o"]) == edge for e in path["edges"]), row
# and every logged path that walks the edge is found
want = {(rid, i + 1, j + 1) for rid, r in recs.items() for i, it in enumerate(r["list"] or [])
        for j, p in enumerate(it["paths"]) if any((e["s"], e["p"], e["o"]) == edge for e in p["edges"])}
got = {(row["list"].rsplit("/", 1)[1], int(row["rank"]), int(row["pathIndex"])) for row in rows}
assert want == got, (want - got, got - want)
PY
check "Q6 rows are exactly the logged paths that walk the edge" $?
! grep -q 'cold-1' "$T/q6.csv"; check "Q6 leaves out the cold-start list" $?
# Q7: alice's LLM lists: her history, the candidates and the facts the model saw
run_q "$T/q7.rq" "$T/audit.ttl" > "$T/q7.csv"
grep -q 'audit/list/llm-good,history,https://w3id.org/kgrec/item/gloves' "$T/q7.csv"; check "Q7 history shown" $? || head "$T/q7.csv"
grep -q 'audit/list/llm-good,candidate,https://w3id.org/kgrec/item/ball' "$T/q7.csv"; check "Q7 candidate shown" $?
grep -q 'audit/list/llm-good,fact,' "$T/q7.csv"; check "Q7 facts given" $?
! grep -q 'audit/list/graph-1,\|llm-badevidence' "$T/q7.csv"; check "Q7 only alice's LLM lists" $?
# the structure: an ordered path of statements per entry, score parts, the software agent
python3 - "$T/audit.nt" <<'PY'
import sys, re
t = [l.rstrip(" .\n") for l in open(sys.argv[1]) if l.strip()]
def objs(s, p):
    return [l.split(" ", 2)[2] for l in t if l.startswith(s + " " + p + " ")]
RDF = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#"
KGA = "<https://w3id.org/kgrec/audit#"
entry = "<https://w3id.org/kgrec/audit/list/graph-1/1>"
paths = objs(entry, KGA + "path>")
assert paths, "graph-1's first entry has paths"
for p in paths:
    cell = objs(p, KGA + "statements>")[0]
    n = 0
    while cell != RDF + "nil>":
        assert len(objs(cell, RDF + "first>")) == 1
        cell = objs(cell, RDF + "rest>")[0]
        n += 1
    assert 1 <= n <= 3, n
assert objs(entry, KGA + "scorePart>"), "score parts"
agent = objs("<https://w3id.org/kgrec/audit/activity/graph-1>", "<http://www.w3.org/ns/prov#wasAssociatedWith>")
assert agent and any("SoftwareAgent" in o for o in objs(agent[0], RDF + "type>")), agent
PY
check "export: ordered evidence paths, score parts and the software agent" $?

# ---- help ----
"$KGREC" audit --help > "$T/help.txt" 2>&1
check "audit --help exits 0" $?
for v in verify replay export report; do
	grep -q "^  $v LOG" "$T/help.txt"; check "audit --help lists $v" $?
done
grep -q -- '--id ID' "$T/help.txt" && grep -q -- '-o, --output F' "$T/help.txt"; check "audit --help lists the options" $?
"$KGREC" audit report --help > "$T/help2.txt" 2>&1
check "audit report --help exits 0" $?
grep -q -- '--store STORE' "$T/help2.txt" && ! grep -q '^  verify' "$T/help2.txt"
check "audit report --help shows that verb's options only" $?

# ---- HTML report in headless Chromium ----
"$KGREC" audit report "$L" -o "$T/report.html" --store "$T/s.snap"
check "report" $?
grep -q '<title>kgrec audit report: audit.log</title>' "$T/report.html"; check "report title" $?
[ "$(grep -c '<svg' "$T/report.html")" -ge 8 ]; check "an SVG evidence graph per list" $?
grep -q 'class="validation"' "$T/report.html"; check "validation notes highlighted" $?
! grep -q -E '(src|href)="https?:' "$T/report.html"; check "report is self-contained" $?
# the report shows what verification found: every honest record verified, and a forged edge
# fails its record and its item, drawn in red
grep -q 'class="summary" data-failed="0"' "$T/report.html"; check "report: honest log, no record failed" $?
[ "$(grep -c '<section class="list" data-state="verified">' "$T/report.html")" -eq 8 ]
check "report: every honest record has a verified banner" $?
! grep -q 'data-state="failed"' "$T/report.html"; check "report: no failed banner for the honest log" $?
grep -q '<dt>model</dt>' "$T/report.html" && grep -q '<dt>parameters</dt><dd>k ' "$T/report.html"
check "report: model and parameters shown" $?
grep -q '<th>score part</th>' "$T/report.html"; check "report: score parts per item" $?
python3 - "$T/report.html" <<'PY'
import re, sys
page = open(sys.argv[1]).read()
sec = {m.group(1): m.group(0) for m in re.finditer(r'<section class="list"[^>]*>\n<h2>List ([^<]*)</h2>.*?</section>', page, re.S)}
assert "The model said" in sec["llm-badevidence"], "the model's own ungrounded rationale is shown"
assert "(no valid citation)" in sec["llm-badevidence"]
assert "placed this item validly" in sec["llm-malformed"], "the fallback is told per item"
assert "The model said" not in sec["graph-1"] and "placed this item" not in sec["graph-1"]
assert "The graph's rationale" in sec["llm-good"], "the graph's rationale beside the model's grounded one"
PY
check "report: the model's rationale and validation per item" $?
"$KGREC" audit report "$T/edge.log" -o "$T/forged.html" --store "$T/s.snap"
check "report of a tampered log" $?
grep -q '<section class="list" data-state="failed">' "$T/forged.html"; check "report: the forged record fails" $?
grep -q 'data-state="edges missing"' "$T/forged.html"; check "report: the forged item says edges missing" $?
grep -q 'stroke="#dc2626"' "$T/forged.html"; check "report: the missing edge is drawn in red" $?
grep -q 'class="summary" data-failed="[1-9]' "$T/forged.html"; check "report: the summary counts the failure" $?
"$KGREC" audit report "$L" -o "$T/unverified.html"
grep -q 'data-state="not verified"' "$T/unverified.html" && ! grep -q 'data-state="verified"' "$T/unverified.html"
check "report without a store says not verified" $?

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "SKIP: chromium is not installed (scripts/install-deps.sh installs it): screenshot not checked"
else
	PROFILE=$(mktemp -d)
	CH=("$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update --disable-sync
		--user-data-dir="$PROFILE")
	timeout 120 "${CH[@]}" --screenshot="$T/report.png" --window-size=1200,900 "file://$T/report.html" > "$T/chrome.log" 2>&1
	[ -s "$T/report.png" ]; check "chromium screenshot written" $?
	SIZE=$(stat -c %s "$T/report.png" 2>/dev/null || echo 0)
	[ "$SIZE" -gt 20000 ]; check "screenshot is not blank ($SIZE bytes)" $?
	python3 - "$T/report.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1200, 900), (w, h)
PY
	check "screenshot is a 1200x900 PNG" $?
	timeout 120 "${CH[@]}" --dump-dom "file://$T/report.html" > "$T/dom.html" 2>> "$T/chrome.log"
	grep -q 'kgrec audit report: audit.log' "$T/dom.html"; check "chromium rendered the title" $?
	grep -q 'Soccer Ball' "$T/dom.html"; check "chromium rendered the labels" $?
	timeout 120 "${CH[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$T/forged.html" > "$T/dom2.html" 2> "$T/chrome2.log"
	grep -q 'data-state="edges missing"' "$T/dom2.html"; check "chromium rendered the failing banner" $?
	! grep -qi 'uncaught\|console.*error' "$T/chrome2.log"; check "no script error in the console" $?
	timeout 120 "${CH[@]}" --screenshot="$T/forged.png" --window-size=1200,1400 "file://$T/forged.html" > /dev/null 2>&1
	[ -s "$T/forged.png" ]; check "screenshot of a failing record" $?
	[ -n "${KGR_KEEP_FAIL_SCREENSHOT:-}" ] && cp "$T/forged.png" "$KGR_KEEP_FAIL_SCREENSHOT"
	[ -n "${KGR_KEEP_SCREENSHOT:-}" ] && cp "$T/report.png" "$KGR_KEEP_SCREENSHOT"
	rm -rf "$PROFILE"
fi

finish
