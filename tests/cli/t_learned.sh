#!/bin/bash
# The learned ranker end to end: kgrec train on the example shop, the model file (same seed
# and threads, same bytes; damaged, truncated, foreign and mismatched files refused by name),
# recommend --model with evidence and contributions that add up to the score, the audit
# record and its replay, eval --ranker learned, and serve --model with the ranker switch.
. "$(dirname "$0")/../common/lib.sh"
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR is not set}
D=$KGR_TEST_DATA/retrieval
SRV=
on_exit '[ -n "$SRV" ] && kill $SRV 2>/dev/null'
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

"$KGREC" load -q "$SRC/examples/catalog.ttl" --interactions "$SRC/examples/interactions.csv" -o "$T/s.snap"
check "load the example shop" $?

TR="--rounds 25 --threads 1 --seed 7 -q"
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" -o "$T/a.model" $TR > "$T/train.txt"
check "train" $?
grep -q '^held-back events [0-9]* (8 cuts a user); among the candidates [1-9]' "$T/train.txt"
r=$?; check "train report ($(head -1 "$T/train.txt"))" $r
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" -o "$T/b.model" $TR > /dev/null
cmp -s "$T/a.model" "$T/b.model"; check "same seed and threads: the same model file" $?
head -1 "$T/a.model" | grep -qx 'KGREC-LTR 1'; check "model magic" $?
sed -n 2p "$T/a.model" | python3 -c '
import json, sys
h = json.loads(sys.stdin.read())
assert h["format"] == 1 and len(h["features"]) == 34 and h["features"][0] == "ppr", h
assert h["features"][-3:] == ["seq", "seq_rel", "seq_rank"] and h["sequence"] is False, h
assert len(h["snapshot"]) == 16 and h["info"]["report"]["groups"] > 0, h
'
check "model header names the snapshot and the features" $?

U=u001
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/a.model" -k 5 --explain --format json > "$T/r.json"
check "recommend --model" $?
python3 - "$T/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["items"]) == 5, d
scores = [it["score"] for it in d["items"]]
assert scores == sorted(scores, reverse=True), scores
for it in d["items"]:
    c = it["contributions"]
    assert len(c) == 35, len(c)
    names = {x["feature"] for x in c}
    assert "bias" in names and "knn_d07" in names and "graph_score" in names, names
    total = sum(x["contribution"] for x in c)
    assert abs(total - it["score"]) < 1e-3 * max(1, abs(it["score"])), (total, it["score"])
    assert it["paths"] and it["rationale"], it
for n in d.get("notes", []):
    assert "of 200 items" not in n, n
PY
check "contributions add up to the score; every item has evidence" $?
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/a.model" -k 5 > "$T/r.txt"
check "recommend --model text" $?

# files that are not this build's model
head -c 200 "$T/a.model" > "$T/trunc.model"
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/trunc.model" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q 'trunc.model: truncated' "$T/err.txt"
r=$?; check "truncated model refused ($(cat "$T/err.txt"))" $r
python3 - "$T/a.model" "$T/flip.model" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x20
open(sys.argv[2], "wb").write(b)
PY
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/flip.model" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q 'flip.model: checksum mismatch' "$T/err.txt"
r=$?; check "damaged model refused ($(cat "$T/err.txt"))" $r
sed '2s/"knn_d07"/"knn_d05"/' "$T/a.model" > "$T/feat.model"
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/feat.model" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q 'feature 17 of the model is "knn_d05", this kgrec computes "knn_d07"' "$T/err.txt"
r=$?; check "another feature set refused ($(cat "$T/err.txt"))" $r
sed '1s/KGREC-LTR 1/KGREC-LTR 2/' "$T/a.model" > "$T/v2.model"
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/v2.model" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q 'another format version' "$T/err.txt"
r=$?; check "another format version refused ($(cat "$T/err.txt"))" $r
"$KGREC" recommend "$T/s.snap" --user $U --model "$SRC/examples/catalog.ttl" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q 'not a kgrec model file' "$T/err.txt"
r=$?; check "a foreign file refused ($(cat "$T/err.txt"))" $r
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/none.model" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q 'none.model: cannot open model' "$T/err.txt"
r=$?; check "a missing model named ($(cat "$T/err.txt"))" $r

# another snapshot: the model still ranks, and says it was fitted elsewhere
"$KGREC" load -q "$SRC/examples/catalog.ttl" "$D/shop.ttl" --interactions "$SRC/examples/interactions.csv" -o "$T/s2.snap"
"$KGREC" recommend "$T/s2.snap" --user $U --model "$T/a.model" -k 3 --format json > "$T/r2.json"
check "recommend with a model of another snapshot" $?
grep -q 'the learned model was fitted on snapshot' "$T/r2.json"; check "note on the other snapshot" $?

# the audit record names the model; replay reproduces the list with it
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/a.model" -k 5 --explain --audit-log "$T/audit.jsonl" > /dev/null 2>&1
check "recommend --model --audit-log" $?
python3 - "$T/audit.jsonl" <<'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).readline())
m = rec["request"]["model"]
assert m["path"].endswith("a.model") and len(m["checksum"]) == 16, m
assert all("contributions" in it for it in rec["list"]), rec["list"][0]
PY
check "audit record: model and contributions" $?
"$KGREC" audit replay "$T/audit.jsonl" --store "$T/s.snap" > "$T/replay.txt" 2>&1
r=$?; check "audit replay with the model ($(tail -2 "$T/replay.txt"))" $r
"$KGREC" audit verify "$T/audit.jsonl" --store "$T/s.snap" > /dev/null 2>&1
check "audit verify of a learned list" $?
"$KGREC" audit report "$T/audit.jsonl" --store "$T/s.snap" -o "$T/audit.html" 2> /dev/null &&
	grep -q 'feature (learned ranker)' "$T/audit.html" && grep -q 'learned model <code>[0-9a-f]\{16\}' "$T/audit.html"
check "audit report shows the model and the contributions" $?
"$KGREC" audit export "$T/audit.jsonl" --format turtle -o "$T/audit.ttl" 2> /dev/null &&
	grep -q 'learnedModel' "$T/audit.ttl" && grep -q '"knn_d07"' "$T/audit.ttl"
check "PROV-O export names the model and the contributions" $?
cp "$T/b.model" "$T/keep.model"
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" -o "$T/a.model" --rounds 5 --threads 1 --seed 8 -q > /dev/null
"$KGREC" audit replay "$T/audit.jsonl" --store "$T/s.snap" > "$T/replay.txt" 2>&1
[ $? -ne 0 ] && grep -q 'request.model.checksum' "$T/replay.txt"
r=$?; check "replay refuses a model file that changed ($(grep -m1 model "$T/replay.txt"))" $r
cp "$T/keep.model" "$T/a.model"

# eval: fitted on the training part only
"$KGREC" eval "$T/s.snap" --ranker learned --params rounds=10,threads=1 -q --out "$T/eval.json" > "$T/eval.txt"
check "eval --ranker learned" $?
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ranker"]=="learned" and d["test"]["users"]>0, d' "$T/eval.json"
check "eval result" $?

# serve --model: learned by default, the graph formula on request, a bad ranker refused
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --model "$T/a.model" > "$T/srv.out" 2> "$T/srv.err" &
SRV=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/srv.out" 2>/dev/null && break; sleep 0.05; done
PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/srv.out" | head -1)
[ -n "$PORT" ]; check "serve --model started" $?
URL=http://127.0.0.1:$PORT/v1/recommend
curl -s -X POST "$URL" -d "{\"user\": \"$U\", \"k\": 3}" > "$T/s1.json"
curl -s -X POST "$URL" -d "{\"user\": \"$U\", \"k\": 3, \"ranker\": \"graph\"}" > "$T/s2.json"
code=$(curl -s -o "$T/s3.json" -w '%{http_code}' -X POST "$URL" -d "{\"user\": \"$U\", \"ranker\": \"forest\"}")
python3 - "$T/s1.json" "$T/s2.json" "$T/r.json" <<'PY'
import json, sys
a, b, cli = (json.load(open(p)) for p in sys.argv[1:4])
assert all("contributions" in it for it in a["items"]) and len(a["items"]) == 3, a
assert not any("contributions" in it for it in b["items"]), b
assert [it["item"] for it in a["items"]] == [it["item"] for it in cli["items"][:3]], (a, cli)
PY
check "serve: learned by default, graph on request, same list as the CLI" $?
[ "$code" = 400 ] && grep -q 'ranker' "$T/s3.json"; check "serve: unknown ranker is a 400" $?
# a reload reads the model file again
before=$(curl -s "http://127.0.0.1:$PORT/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["learned"]["checksum"])')
want=$("$KGREC" train "$T/s.snap" -o "$T/a.model" --rounds 7 --threads 1 --seed 3 -q | sed -n 's/^model \([0-9a-f]*\) .*/\1/p')
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/admin/reload")
after=$(curl -s "http://127.0.0.1:$PORT/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["learned"]["checksum"])')
[ "$code" = 200 ] && [ "$before" != "$after" ] && [ "$after" = "$want" ]
r=$?; check "serve: reload reads the new model ($before -> $after, want $want, HTTP $code)" $r

kill $SRV 2>/dev/null
wait $SRV 2>/dev/null
SRV=

# a model fitted with the sequence model's scores: train writes both files, ranking needs the
# sequence model (the CLI, serve and replay say so), and the list reads its scores
SQ="--rounds 15 --threads 1 --seed 7 -q --seq-negatives 16"
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" -o "$T/q.model" --sequence "$T/q.seq" --seq-candidates 50 $SQ \
	> "$T/trainq.txt"
check "train --sequence" $?
grep -q '^sequence model: [0-9]* epochs, kept [0-9]*' "$T/trainq.txt" &&
	grep -Eq '^sequence model fitted again with the held-back events: [0-9]+ epochs.*, then [1-9][0-9]* epochs on every event \([1-9][0-9]* positions\).*written to' \
		"$T/trainq.txt" &&
	[ -s "$T/q.seq" ]
r=$?
check "train --sequence reports both fits, writes the refitted model ($(grep -m1 again "$T/trainq.txt"))" $r
sed -n 2p "$T/q.model" | python3 -c '
import json, sys
h = json.loads(sys.stdin.read())
assert h["sequence"] is True and h["info"]["options"]["sequence"] is True, h
sm = h["info"]["options"]["sequence_model"]
assert sm["negatives"] == 16 and sm["refit"] is True and sm["refit_epochs_run"] >= 1, sm
assert sm["refit_level"] == 2 and sm["refit_every_event_positions"] > 0, sm
assert h["n_seq"] == 50 and h["info"]["options"]["seq_candidates"] == 50, h
'
check "the model header says it reads the sequence model and adds its candidates" $?
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" -o "$T/q0.model" --sequence "$T/q0.seq" --no-seq-refit \
	$SQ > "$T/trainq0.txt"
check "train --sequence --no-seq-refit" $?
grep -q '^sequence model: .*written to' "$T/trainq0.txt" &&
	! grep -q 'fitted again with the held-back events' "$T/trainq0.txt" &&
	sed -n 2p "$T/q0.model" | python3 -c '
import json, sys
h = json.loads(sys.stdin.read())
assert "n_seq" not in h and h["info"]["options"]["sequence_model"]["refit"] is False, h
'
check "without the refit the ranker's own sequence model is written, and no candidates of it" $?
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" -o "$T/q1.model" --sequence "$T/q1.seq" --seq-refit 1 \
	$SQ > "$T/trainq1.txt"
check "train --sequence --seq-refit 1" $?
grep -q 'fitted again with the held-back events' "$T/trainq1.txt" &&
	! grep -q 'on every event' "$T/trainq1.txt" &&
	sed -n 2p "$T/q1.model" | python3 -c '
import json, sys
sm = json.loads(sys.stdin.read())["info"]["options"]["sequence_model"]
assert sm["refit_level"] == 1 and sm["refit_every_event_positions"] == 0, sm
'
check "--seq-refit 1: fitted again with the held-back events only" $?
err=$("$KGREC" train "$T/s.snap" -o "$T/x.model" --sequence "$T/x.seq" --seq-refit 3 2>&1); r=$?
[ $r -eq 2 ] && echo "$err" | grep -q -- '--seq-refit'; check "--seq-refit 3 refused ($err)" $?
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/q.model" -k 5 2> "$T/errq.txt"
[ $? -ne 0 ] && grep -q -- '--sequence' "$T/errq.txt"
r=$?; check "recommend without the sequence model is refused ($(head -1 "$T/errq.txt"))" $r
"$KGREC" recommend "$T/s.snap" --user $U --model "$T/q.model" --sequence "$T/q.seq" -k 5 \
	--format json --audit-log "$T/auditq.jsonl" > "$T/rq.json"
check "recommend --model --sequence" $?
python3 - "$T/rq.json" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
assert len(d["items"]) == 5, d
for it in d["items"]:
    c = {x["feature"]: x for x in it["contributions"]}
    assert "seq" in c and math.isfinite(c["seq"]["value"]), c.get("seq")
    assert 1 <= c["seq_rank"]["value"] <= 300 and c["seq_rel"]["value"] <= 0, c["seq_rank"]
    total = sum(x["contribution"] for x in it["contributions"])
    assert abs(total - it["score"]) < 1e-3 * max(1, abs(it["score"])), (total, it["score"])
for n in d.get("notes", []):
    assert "not one of its features" not in n, n
PY
check "the learned list reads the sequence model's scores as features" $?
"$KGREC" audit replay "$T/auditq.jsonl" --store "$T/s.snap" > "$T/replayq.txt" 2>&1
r=$?; check "audit replay of a list ranked with both models ($(tail -1 "$T/replayq.txt"))" $r
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --model "$T/q.model" > "$T/srvq.out" 2> "$T/srvq.err"
[ $? -ne 0 ] && grep -q -- '--sequence' "$T/srvq.err"
r=$?; check "serve refuses the model without its sequence model ($(head -1 "$T/srvq.err"))" $r
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --model "$T/q.model" --sequence "$T/q.seq" \
	> "$T/srvq.out" 2> "$T/srvq.err" &
SRV=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/srvq.out" 2>/dev/null && break; sleep 0.05; done
PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/srvq.out" | head -1)
curl -s -X POST "http://127.0.0.1:$PORT/v1/recommend" -d "{\"user\": \"$U\", \"k\": 5}" > "$T/sq1.json"
curl -s -X POST "http://127.0.0.1:$PORT/v1/recommend" -d "{\"user\": \"$U\", \"k\": 5, \"sequence\": false}" > "$T/sq2.json"
python3 - "$T/sq1.json" "$T/sq2.json" "$T/rq.json" <<'PY'
import json, sys
a, b, cli = (json.load(open(p)) for p in sys.argv[1:4])
ids = lambda d: [it["item"] for it in d["items"]]
assert ids(a) == ids(cli) == ids(b), (ids(a), ids(b), ids(cli))
PY
check "serve --model --sequence: the CLI's list, also with the generator switched off" $?

finish "learned"
