#!/bin/bash
# kgrec train --model sequence and kgrec eval --ranker sequence on the tiny fixture: the model
# file, the same file for the same seed, a model refused by another store, usage errors, the
# training curve; then the model in use on the example shop: recommend --sequence (a score
# part, the model's items first when its weight is large, unknown users), serve --sequence
# (events posted change the next list as a snapshot with them would, reload, the switch).
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/eval
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR is not set}
SRV=
on_exit '[ -n "$SRV" ] && kill $SRV 2>/dev/null'
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

"$KGREC" load -q "$D/tiny.nt" --interactions "$D/tiny.csv" -o "$T/tiny.snap"
check "load" $?
SMALL="--dims 8 --heads 2 --negatives 3 --epochs 4 --max-len 5"

out=$("$KGREC" train "$T/tiny.snap" --model sequence -o "$T/a.ckpt" $SMALL 2>"$T/err"); r=$?
check "train" $r
echo "$out" | grep -q '^users 3, items 6, training positions ' ; check "train: report ($out)" $?
echo "$out" | grep -q 'validation NDCG@10 .* (full ranking)'; check "train: validation line" $?
grep -q 'epoch   4/4 .*val NDCG@10' "$T/err"; check "train: progress per epoch" $?
head -c 12 "$T/a.ckpt" | grep -q '^KGREC-SEQ 1$'; check "model file magic" $?
tail -n 1 "$T/a.ckpt" | grep -Eq '^checksum [0-9a-f]{16}$'; check "model file checksum line" $?

"$KGREC" train "$T/tiny.snap" --model sequence -o "$T/b.ckpt" $SMALL -q > /dev/null
check "train again, quiet" $?
cmp -s "$T/a.ckpt" "$T/b.ckpt"; check "same seed, same file" $?
"$KGREC" train "$T/tiny.snap" --model sequence -o "$T/c.ckpt" $SMALL --seed 7 -q > /dev/null
! cmp -s "$T/a.ckpt" "$T/c.ckpt"; check "another seed, another file" $?
# two threads, each with a share of every batch: the same seed and threads, the same file
out=$("$KGREC" train "$T/tiny.snap" --model sequence -o "$T/t1.ckpt" $SMALL --threads 2 -q); r=$?
check "train --threads 2" $r
echo "$out" | grep -q ', threads 2$'; check "train: the report names the threads ($out)" $?
"$KGREC" train "$T/tiny.snap" --model sequence -o "$T/t2.ckpt" $SMALL --threads 2 -q > /dev/null
cmp -s "$T/t1.ckpt" "$T/t2.ckpt"; check "--threads 2 twice, same file" $?
err=$("$KGREC" train "$T/tiny.snap" --model sequence -o "$T/x.ckpt" --threads 257 2>&1); r=$?
[ $r -eq 2 ] && echo "$err" | grep -q -- "--threads"; check "threads 257 refused ($err)" $?

err=$("$KGREC" train "$T/tiny.snap" --model tree -o "$T/x.ckpt" 2>&1); r=$?
[ $r -eq 2 ] && echo "$err" | grep -q "unknown --model 'tree'"; check "unknown model ($err)" $?
err=$("$KGREC" train "$T/tiny.snap" --model sequence -o "$T/x.ckpt" --dropout 1 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "dropout"; check "bad dropout ($err)" $?
err=$("$KGREC" train "$T/tiny.snap" --model sequence -o "$T/x.ckpt" --lr fast 2>&1); r=$?
[ $r -eq 2 ] && echo "$err" | grep -q "not a number"; check "bad lr ($err)" $?
err=$("$KGREC" train "$T/tiny.snap" --model sequence 2>&1); r=$?
[ $r -eq 2 ]; check "no output file ($err)" $?
[ ! -e "$T/x.ckpt" ]; check "nothing written after errors" $?

out=$("$KGREC" eval "$T/tiny.snap" --ranker sequence --params dims=8,epochs=3,negatives=3 -q); r=$?
check "eval --ranker sequence" $r
echo "$out" | grep -q '^ranker sequence, protocol loo'; check "eval header ($out)" $?
out2=$("$KGREC" eval "$T/tiny.snap" --ranker sequence --params dims=8,epochs=3,negatives=3,threads=2 -q); r=$?
check "eval --ranker sequence, threads=2" $r
echo "$out2" | grep -q '^ranker sequence, protocol loo'; check "eval threads=2 header ($out2)" $?
err=$("$KGREC" eval "$T/tiny.snap" --ranker learned --params sequence=1,seq_threads=300 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "threads 300 out of 0 .. 256"; check "eval: seq_threads 300 refused ($err)" $?
err=$("$KGREC" eval "$T/tiny.snap" --ranker sequence --params depth=2 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "depth"; check "eval: unknown parameter ($err)" $?

# the training curve: a header and one line per epoch
"$KGREC" train "$T/tiny.snap" --model sequence -o "$T/d.ckpt" $SMALL -q --curve "$T/curve.tsv" > /dev/null
check "train --curve" $?
python3 - "$T/curve.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
assert rows[0] == ["epoch", "loss", "val_ndcg10", "seconds"], rows[0]
assert [int(r[0]) for r in rows[1:]] == [1, 2, 3, 4], rows
for r in rows[1:]:
    assert float(r[1]) > 0 and 0 <= float(r[2]) <= 1 and float(r[3]) >= 0, r
PY
check "curve file: one line per epoch" $?
err=$("$KGREC" train "$T/tiny.snap" --model sequence -o "$T/x.ckpt" $SMALL -q --curve "$T/no/such/dir.tsv" 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "cannot write .*dir.tsv"; check "curve file not writable ($err)" $?
sh "$SRC/scripts/plot-curve.sh" "$T/curve.tsv" > "$T/curve.svg"; r=$?
[ $r -eq 0 ] && grep -q '^<svg ' "$T/curve.svg" && [ "$(grep -c '<polyline' "$T/curve.svg")" -eq 2 ] &&
	python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$T/curve.svg"
check "plot-curve.sh draws the two curves as well-formed SVG" $?

# ---- the model in use: recommend --sequence on the example shop ----
"$KGREC" load -q "$SRC/examples/catalog.ttl" --interactions "$SRC/examples/interactions.csv" -o "$T/s.snap"
check "load the example shop" $?
SHOP="--dims 16 --negatives 16 --epochs 6 --max-len 10 --seed 3 -q"
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" --model sequence -o "$T/shop.ckpt" $SHOP > /dev/null
check "train on the shop" $?
U=u001
"$KGREC" recommend "$T/s.snap" --user $U -k 10 --format json > "$T/plain.json"
check "recommend without the model" $?
"$KGREC" recommend "$T/s.snap" --user $U -k 10 --sequence "$T/shop.ckpt" --explain --format json > "$T/seq.json"
check "recommend --sequence" $?
"$KGREC" recommend "$T/s.snap" --user $U -k 10 --sequence "$T/shop.ckpt" --sequence-weight 10000 \
	--format json > "$T/seq100.json"
check "recommend --sequence --sequence-weight 10000" $?
python3 - "$T/plain.json" "$T/seq.json" "$T/seq100.json" <<'PY'
import json, sys
plain, seq, heavy = (json.load(open(p)) for p in sys.argv[1:4])
assert not any("sequence" in it["parts"] for it in plain["items"]), plain["items"][0]["parts"]
for d, w in ((seq, 1.0), (heavy, 10000.0)):
    for it in d["items"]:
        f, p = it["features"]["sequence"], it["parts"]["sequence"]
        assert 0 <= f <= 1 and abs(p - w * f) < 1e-9, it
        # the score is the sum of its parts, the model's among them
        assert abs(sum(it["parts"].values()) - it["score"]) < 1e-6, it
        assert (f > 0) == ("sequence" in it["generators"]), it
    assert any("sequence" in it["generators"] for it in d["items"]), d["items"]
# explanations stay graph paths: items with paths keep them, every item has a rationale
assert all(it["rationale"] for it in seq["items"]), seq["items"]
assert any(it["paths"] for it in seq["items"]), seq["items"]
# with a heavy weight the model's order leads: its best items come first, in its order
fs = [it["features"]["sequence"] for it in heavy["items"]]
assert fs[0] == max(fs) and fs[0] > 0, fs
top = [f for f in fs if f > 0]
assert top == sorted(top, reverse=True) and fs[:len(top)] == top, fs
assert [it["item"] for it in heavy["items"]] != [it["item"] for it in plain["items"]]
PY
check "sequence part: its weight times the model's feature, in the score; the model's items first" $?
"$KGREC" recommend "$T/s.snap" --user $U -k 5 --sequence "$T/shop.ckpt" > "$T/seq.txt"
check "recommend --sequence, text" $?
[ "$(grep -c 'sequence model part [+-]' "$T/seq.txt")" -eq 5 ] && grep -q 'sequence\]' "$T/seq.txt"
check "text output shows the sequence part" $?

# unknown users and users without history get the others' candidates, no error
"$KGREC" recommend "$T/s.snap" --user nobody -k 5 --sequence "$T/shop.ckpt" --format json > "$T/cold.json"
r=$?
[ $r -eq 0 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cold_start"] and len(d["items"]) == 5, d
assert not any("sequence" in it["generators"] for it in d["items"]), d
' "$T/cold.json"
check "unknown user: a cold-start list" $?
"$KGREC" recommend "$T/s.snap" --user $U -k 5 --at 2000-01-01 --sequence "$T/shop.ckpt" --format json > "$T/cold2.json"
r=$?
[ $r -eq 0 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cold_start"] and len(d["items"]) == 5, d
' "$T/cold2.json"
check "no history before --at: a cold-start list" $?

# eval --ranker graph-sequence: the graph ranker with a sequence model fitted on each phase's
# fit events; given only the model's options, the weights (w_sequence among them) are still
# tuned, and the chosen configuration given in full gives the same validation figures
GS=seq_negatives=16,seq_epochs=2
"$KGREC" eval "$T/s.snap" --ranker graph-sequence --params $GS -q --out "$T/gs.json" > "$T/gs.txt"
check "eval --ranker graph-sequence" $?
grep -q '25 configurations tuned on validation' "$T/gs.txt"; check "graph-sequence: tuned ($(head -2 "$T/gs.txt"))" $?
chosen=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["params"])' "$T/gs.json")
echo "$chosen" | grep -Eq '(^|,)w_sequence=[0-9.]+(,|$)' && echo "$chosen" | grep -q 'seq_negatives=16' &&
	echo "$chosen" | grep -q 'seq_epochs=2'
check "graph-sequence: the chosen parameters name the weight and the model's options ($chosen)" $?
"$KGREC" eval "$T/s.snap" --ranker graph-sequence --params "$chosen" -q --out "$T/gs2.json" > "$T/gs2.txt"
r=$?
[ $r -eq 0 ] && ! grep -q 'configurations tuned' "$T/gs2.txt" && python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["valid"] == b["valid"] | {"seconds": a["valid"]["seconds"]}, (a["valid"], b["valid"])
assert a["test"]["ndcg"] == b["test"]["ndcg"], (a["test"], b["test"])
' "$T/gs.json" "$T/gs2.json"
check "graph-sequence: the chosen configuration, fixed, gives the same figures" $?
for w in 0 1000; do
	"$KGREC" eval "$T/s.snap" --ranker graph-sequence --params "$GS,w_sequence=$w" -q \
		--out "$T/gs-w$w.json" > /dev/null || echo "eval with w_sequence=$w failed"
done
python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["test"]["mrr"] != b["test"]["mrr"], (a["test"], b["test"])
' "$T/gs-w0.json" "$T/gs-w1000.json"
check "graph-sequence: the model's weight changes the lists" $?
err=$("$KGREC" eval "$T/s.snap" --ranker graph --params seq_negatives=16 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "ranker graph has no parameter 'seq_negatives'"
check "graph: no sequence model options ($err)" $?
err=$("$KGREC" eval "$T/s.snap" --ranker graph-sequence --params $GS,w_sequence=inf 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "w_sequence must be finite"
check "graph-sequence: a weight that is not finite ($err)" $?

# with the learned ranker the learned model orders the list and says the sequence model is
# not one of its features
"$KGREC" train "$T/s.snap" -o "$T/l.model" --rounds 5 --threads 1 --seed 7 -q > /dev/null
check "train a learned model" $?
"$KGREC" recommend "$T/s.snap" --user $U -k 3 --model "$T/l.model" --sequence "$T/shop.ckpt" --format json > "$T/lm.json"
r=$?
[ $r -eq 0 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert any("sequence model is not one of its features" in n for n in d["notes"]), d["notes"]
assert all("contributions" in it and "sequence" not in it["parts"] for it in d["items"]), d
' "$T/lm.json"
check "recommend --model --sequence: the learned order and a note" $?

# models that are not this store's are refused by name
err=$("$KGREC" recommend "$T/s.snap" --user $U --sequence "$T/a.ckpt" 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "recommend: --sequence: .*a.ckpt.*item"; check "model of another store refused ($err)" $?
head -c 300 "$T/shop.ckpt" > "$T/trunc.ckpt"
err=$("$KGREC" recommend "$T/s.snap" --user $U --sequence "$T/trunc.ckpt" 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "trunc.ckpt"; check "truncated model refused ($err)" $?
err=$("$KGREC" recommend "$T/s.snap" --user $U --sequence "$T/none.ckpt" 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "none.ckpt"; check "missing model named ($err)" $?
err=$("$KGREC" recommend "$T/s.snap" --user $U --sequence "$T/shop.ckpt" --sequence-weight x 2>&1); r=$?
[ $r -eq 2 ] && echo "$err" | grep -q "not a number"; check "bad --sequence-weight ($err)" $?

# the audit record carries the sequence part and names the model
"$KGREC" recommend "$T/s.snap" --user $U -k 5 --sequence "$T/shop.ckpt" --audit-log "$T/audit.jsonl" > /dev/null 2>&1
check "recommend --sequence --audit-log" $?
python3 - "$T/audit.jsonl" "$(sed -n 3p "$T/shop.ckpt" | cut -d' ' -f2)" "$(tail -n 1 "$T/shop.ckpt" | cut -d' ' -f2)" <<'PY'
import json, sys
rec = json.loads(open(sys.argv[1]).readline())
m = rec["request"]["sequence"]
assert m["store"] == sys.argv[2] and m["checksum"] == sys.argv[3], (m, sys.argv)
assert m["path"].endswith("shop.ckpt") and m["items"] > 0 and m["weight"] == 1 and m["n"] == 100, m
assert any("sequence" in it["parts"] for it in rec["list"]), rec["list"]
assert any("sequence" in c["generators"] for c in rec["candidates"]), rec["candidates"][0]
PY
check "audit record: the sequence model and its part" $?
"$KGREC" audit replay "$T/audit.jsonl" --store "$T/s.snap" > "$T/replay.txt" 2>&1
r=$?
[ $r -eq 0 ] && grep -q '1 identical, 0 different' "$T/replay.txt"
check "audit replay reads the sequence model again ($(tail -1 "$T/replay.txt"))" $?
cp "$T/shop.ckpt" "$T/shop.keep"
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" --model sequence -o "$T/shop.ckpt" $SHOP --seed 4 > /dev/null
"$KGREC" audit replay "$T/audit.jsonl" --store "$T/s.snap" > "$T/replay.txt" 2>&1
r=$?
[ $r -ne 0 ] && grep -q 'request.sequence.checksum' "$T/replay.txt"
check "audit replay refuses a sequence model file that changed ($(grep -m1 sequence "$T/replay.txt"))" $?
cp "$T/shop.keep" "$T/shop.ckpt"

# ---- serve --sequence ----
# the event a user makes through /v1/events changes the next list exactly as a snapshot
# holding it would (the model reads the newest events); a user unknown to the snapshot gets
# the model's items after their first event
NEWTIME=2026-01-01T00:00:00Z
ITEM=p-training-ball-strikeforce-street
{ cat "$SRC/examples/interactions.csv"; echo "$U,$ITEM,$NEWTIME,purchase,1"; echo "newbie,$ITEM,$NEWTIME,purchase,1"; } > "$T/more.csv"
"$KGREC" load -q "$SRC/examples/catalog.ttl" --interactions "$T/more.csv" -o "$T/s2.snap"
check "load the shop with the new events" $?
"$KGREC" recommend "$T/s2.snap" --user $U -k 10 --sequence "$T/shop.ckpt" --format json > "$T/after_cli.json"
check "recommend --sequence on a snapshot with the events (same items: the model is accepted)" $?
"$KGREC" recommend "$T/s2.snap" --user newbie -k 10 --sequence "$T/shop.ckpt" --format json > "$T/newbie_cli.json"
check "recommend --sequence for the new user" $?

start_server() { # args...; sets SRV and PORT
	"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --events-log "$T/events.log" "$@" > "$T/srv.out" 2> "$T/srv.err" &
	SRV=$!
	for _ in $(seq 200); do grep -q 'listening on' "$T/srv.out" 2>/dev/null && break; sleep 0.05; done
	PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/srv.out" | head -1)
	[ -n "$PORT" ]
}
start_server --sequence "$T/shop.ckpt"
check "serve --sequence started ($(cat "$T/srv.err"))" $?
URL=http://127.0.0.1:$PORT
curl -s "$URL/v1/status" > "$T/status.json"
python3 - "$T/status.json" "$(sed -n 3p "$T/shop.ckpt" | cut -d' ' -f2)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["sequence"]
assert s["path"].endswith("shop.ckpt") and s["store"] == sys.argv[2], s
assert s["items"] > 100 and s["dims"] == 16 and s["max_len"] == 10, s
PY
check "/v1/status reports the sequence model" $?
curl -s -X POST "$URL/v1/recommend" -d "{\"user\": \"$U\", \"k\": 10}" > "$T/before.json"
curl -s -X POST "$URL/v1/recommend" -d "{\"user\": \"$U\", \"k\": 10, \"sequence\": false}" > "$T/off.json"
curl -s -X POST "$URL/v1/recommend" -d '{"user": "newbie", "k": 10}' > "$T/newbie_before.json"
code=$(curl -s -o "$T/bad.json" -w '%{http_code}' -X POST "$URL/v1/recommend" -d "{\"user\": \"$U\", \"sequence\": 1}")
[ "$code" = 400 ] && grep -q 'sequence' "$T/bad.json"; check "sequence: 1 is a 400 ($code)" $?
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/v1/events" -d "{\"events\": [{\"user\": \"$U\", \"item\": \"$ITEM\", \"time\": \"$NEWTIME\", \"action\": \"purchase\"}, {\"user\": \"newbie\", \"item\": \"$ITEM\", \"time\": \"$NEWTIME\", \"action\": \"purchase\"}]}")
[ "$code" = 200 ] || [ "$code" = 202 ]; check "events posted ($code)" $?
curl -s -X POST "$URL/v1/recommend" -d "{\"user\": \"$U\", \"k\": 10}" > "$T/after.json"
curl -s -X POST "$URL/v1/recommend" -d '{"user": "newbie", "k": 10}' > "$T/newbie_after.json"
python3 - "$T" <<'PY'
import json, sys, os
T = sys.argv[1]
ld = lambda n: json.load(open(os.path.join(T, n)))
before, off, after, cli = ld("before.json"), ld("off.json"), ld("after.json"), ld("after_cli.json")
nb, na, ncli = ld("newbie_before.json"), ld("newbie_after.json"), ld("newbie_cli.json")
seqpart = lambda d: [(it["item"], round(it["parts"]["sequence"], 6)) for it in d["items"]]
assert all("sequence" in it["parts"] for it in before["items"]), before
assert not any("sequence" in it["parts"] for it in off["items"]), off
# the event changed the model's scores (its history changed) ...
assert seqpart(before) != seqpart(after), (seqpart(before), seqpart(after))
# ... exactly as a snapshot holding the event would
assert seqpart(after) == seqpart(cli), (seqpart(after), seqpart(cli))
assert nb["cold_start"] and not any("sequence" in it["generators"] for it in nb["items"]), nb
assert not na["cold_start"] and any("sequence" in it["generators"] for it in na["items"]), na
assert seqpart(na) == seqpart(ncli), (seqpart(na), seqpart(ncli))
PY
check "serve: posted events change the sequence model's list as a snapshot with them would" $?

# a reload reads the model file again; a model that does not fit keeps the old one in service
# shellcheck disable=SC2086
"$KGREC" train "$T/s.snap" --model sequence -o "$T/shop.ckpt" --dims 8 --epochs 2 --max-len 10 --negatives 8 -q > /dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/admin/reload")
dims=$(curl -s "$URL/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sequence"]["dims"])')
[ "$code" = 200 ] && [ "$dims" = 8 ]; check "reload reads the new model (HTTP $code, dims $dims)" $?
cp "$T/a.ckpt" "$T/shop.ckpt"
code=$(curl -s -o "$T/reload.json" -w '%{http_code}' -X POST "$URL/admin/reload")
dims=$(curl -s "$URL/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sequence"]["dims"])')
[ "$code" = 500 ] && grep -q 'shop.ckpt' "$T/reload.json" && [ "$dims" = 8 ]
check "reload with a model of another store fails, the old one stays ($code: $(cat "$T/reload.json"))" $?
kill $SRV; wait $SRV 2>/dev/null; SRV=

# with both models the service orders with the learned one; "ranker": "graph" brings the
# sequence model back
rm -f "$T/events.log"
start_server --sequence "$T/shop.keep" --model "$T/l.model"
check "serve --sequence --model started ($(cat "$T/srv.err"))" $?
URL=http://127.0.0.1:$PORT
curl -s -X POST "$URL/v1/recommend" -d "{\"user\": \"$U\", \"k\": 3}" > "$T/both.json"
curl -s -X POST "$URL/v1/recommend" -d "{\"user\": \"$U\", \"k\": 3, \"ranker\": \"graph\"}" > "$T/both_graph.json"
python3 - "$T/both.json" "$T/both_graph.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert all("contributions" in it and "sequence" not in it["parts"] for it in a["items"]), a
assert any("sequence model is not one of its features" in n for n in a["notes"]), a["notes"]
assert all("sequence" in it["parts"] and "contributions" not in it for it in b["items"]), b
PY
r=$?
[ $r -eq 0 ] || echo "both.json: $(head -c 300 "$T/both.json"); server: $(tail -5 "$T/srv.err")" >&2
check "serve with both models: learned by default, the sequence model with the graph ranker" $r
kill $SRV; wait $SRV 2>/dev/null; SRV=

# serve refuses to start with a model of another store, naming it
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --sequence "$T/a.ckpt" > "$T/srv.out" 2> "$T/srv.err"
r=$?
[ $r -ne 0 ] && grep -q 'a.ckpt' "$T/srv.err"; check "serve: a model of another store refused ($(cat "$T/srv.err"))" $?

finish t_sequence
