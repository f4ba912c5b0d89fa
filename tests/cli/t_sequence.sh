#!/bin/bash
# kgrec train --model sequence and kgrec eval --ranker sequence on the tiny fixture: the model
# file, the same file for the same seed, a model refused by another store, usage errors.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/eval

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
err=$("$KGREC" eval "$T/tiny.snap" --ranker sequence --params depth=2 2>&1); r=$?
[ $r -eq 1 ] && echo "$err" | grep -q "depth"; check "eval: unknown parameter ($err)" $?

finish t_sequence
