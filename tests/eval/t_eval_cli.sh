#!/bin/bash
# kgrec eval end to end: load the tiny fixture, evaluate, check the table, the JSON and errors.
set -u
KGREC=$1
DATA=${KGR_TEST_DATA:?}
TMP=$(mktemp -d /tmp/kgr-eval-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$KGREC" load -q "$DATA/eval/tiny.nt" --interactions "$DATA/eval/tiny.csv" -o "$TMP/tiny.snap" ||
	fail "load"

# popularity, by hand in tests/eval/test_eval.c: HR@1 1/3, HR@2 2/3, MRR 0.6111
out=$("$KGREC" eval "$TMP/tiny.snap" --k 1,2,5 --out "$TMP/r.json" -q) || fail "eval pop"
echo "$out" | grep -q '^ranker pop, protocol loo, seed 42' || fail "header: $out"
echo "$out" | grep -Eq '^test +0\.3333 +0\.3333 +0\.6667 +0\.5436 +1\.0000 +0\.7103 +0\.6111 +0\.8333 +3 ' ||
	fail "test row: $out"
grep -q '"ranker":	"pop"' "$TMP/r.json" || fail "json ranker"
grep -q '"protocol":	"loo"' "$TMP/r.json" || fail "json protocol"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert abs(d["test"]["mrr"]-0.611111)<1e-5, d' \
	"$TMP/r.json" || fail "json mrr"

# the sampled protocol with the negatives file; item-kNN with fixed parameters
out=$("$KGREC" eval "$TMP/tiny.snap" --protocol sampled --negatives "$DATA/eval/tiny_negatives.txt" \
	--k 1,3 -q) || fail "eval sampled"
echo "$out" | grep -Eq '^test +0\.6667 +0\.6667 +1\.0000' || fail "sampled row: $out"
out=$("$KGREC" eval "$TMP/tiny.snap" --ranker itemknn --params neighbours=2,decay=0.5 -q) ||
	fail "eval itemknn"
echo "$out" | grep -q 'params neighbours=2,decay=0.5' || fail "itemknn params: $out"

# bad input: usage errors exit 2, run errors exit 1, each with a message naming the problem
err=$("$KGREC" eval "$TMP/tiny.snap" --protocol kfold 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q "unknown protocol 'kfold'" || fail "protocol: $rc $err"
err=$("$KGREC" eval "$TMP/tiny.snap" --k 5,x 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$err" | grep -q -- "--k" || fail "k: $rc $err"
err=$("$KGREC" eval "$TMP/tiny.snap" --ranker magic 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "unknown ranker 'magic'" || fail "ranker: $rc $err"
err=$("$KGREC" eval "$TMP/missing.snap" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "missing.snap" || fail "store: $rc $err"
err=$("$KGREC" eval "$TMP/tiny.snap" --protocol sampled --negatives "$DATA/eval/tiny_bad_negatives.txt" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q "tiny_bad_negatives.txt:2: unknown item 'i9'" || fail "negatives: $rc $err"
"$KGREC" eval --help | grep -q -- "--protocol" || fail "help"
echo ok
