#!/usr/bin/env bash
# The sequence model's training on one thread and on more, side by side on one store. Each
# round trains once per value of THREADS (default "1 2"), in turn, for exactly EPOCHS epochs
# (--patience EPOCHS: no early stop, so every run does the same work):
#
#   kgrec train STORE --model sequence --epochs EPOCHS --patience EPOCHS --threads T $ARGS
#
# One line per run: the training's seconds (from its report: the epochs and their validation,
# without reading the store), the process's CPU seconds, the validation NDCG@10 of the kept
# epoch and the load average. Then, per thread count, the median training seconds over the
# rounds and its ratio to the first thread count's.
#
#   bench/seq-train.sh STORE [EPOCHS]     (EPOCHS: default 5)
#
# Environment: KGREC (default build/kgrec), THREADS, ROUNDS (default 3), ARGS (more options
# of kgrec train --model sequence, e.g. "--negatives 512").
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
THREADS=${THREADS:-1 2}
ROUNDS=${ROUNDS:-3}
ARGS=${ARGS:-}
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 STORE [EPOCHS]" >&2; exit 2; }
STORE=$1
EPOCHS=${2:-5}
case $EPOCHS in '' | *[!0-9]* | 0) echo "$0: EPOCHS must be a whole number from 1, not '$EPOCHS'" >&2; exit 2 ;; esac
[ -r "$STORE" ] || { echo "$0: cannot read $STORE" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TIMEFORMAT='%U %S'
echo "round threads | training s | CPU s | validation NDCG@10 | load average"
for round in $(seq "$ROUNDS"); do
	for t in $THREADS; do
		# shellcheck disable=SC2086
		{ time "$KGREC" train "$STORE" --model sequence -o "$TMP/m.ckpt" -q --epochs "$EPOCHS" \
			--patience "$EPOCHS" --threads "$t" $ARGS >"$TMP/out" 2>"$TMP/err"; } 2>"$TMP/time" ||
			{ echo "$0: kgrec train --threads $t failed: $(cat "$TMP/err")" >&2; exit 1; }
		report=$(grep '^epochs ' "$TMP/out")
		secs=$(echo "$report" | sed -n 's/.*, \([0-9.]*\) s$/\1/p')
		ndcg=$(echo "$report" | sed -n 's/.*NDCG@10 \([0-9.]*\).*/\1/p')
		[ -n "$secs" ] && [ -n "$ndcg" ] || { echo "$0: no report in: $(cat "$TMP/out")" >&2; exit 1; }
		cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$TMP/time")
		echo "$round $t | $secs | $cpu | $ndcg | $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "$t $secs" >>"$TMP/runs"
	done
done
first=""
for t in $THREADS; do
	med=$(awk -v t="$t" '$1 == t { print $2 }' "$TMP/runs" | sort -g |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	[ -n "$first" ] || first=$med
	echo "threads $t: median training $med s, $(awk -v a="$med" -v b="$first" 'BEGIN { printf "%.2f", b / a }')x the speed of threads ${THREADS%% *}"
done
