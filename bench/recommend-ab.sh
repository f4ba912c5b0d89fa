#!/bin/sh
# Two builds of bench_recommend side by side: each round runs REF then NEW on the same store and
# users, and takes the p50 of the thread CPU time per request (`kgr_recommend` with evidence
# paths, one thread). On a shared machine the per-round ratio NEW / REF means more than either
# figure alone: the host's load moves both runs of a round alike.
#
#   bench/recommend-ab.sh REF_BENCH NEW_BENCH STORE [ROUNDS] [USERS]
#
# REF_BENCH / NEW_BENCH: bench_recommend binaries of two builds (e.g. build/bench/bench_recommend
# and that of a `git worktree` of an earlier commit). ROUNDS: default 12; USERS: default 2000.
# Prints each round, then both builds' p50s sorted, the ratios sorted and their median, and
# whether the two builds gave the same lists (`--digest` of the first 2000 users).
# REF_STORE (environment): the store the reference build reads, when it reads another snapshot
# format than the new one (each build on its own snapshot of the same sources).
set -eu

[ $# -ge 3 ] || { echo "usage: $0 REF_BENCH NEW_BENCH STORE [ROUNDS] [USERS]" >&2; exit 2; }
REF=$1 NEW=$2 STORE=$3 ROUNDS=${4:-12} USERS=${5:-2000}
REF_STORE=${REF_STORE:-$STORE}
for b in "$REF" "$NEW"; do
	[ -x "$b" ] || { echo "recommend-ab.sh: $b is not an executable" >&2; exit 1; }
done

# the store build $1 reads
store_of() {
	if [ "$1" = "$REF" ]; then echo "$REF_STORE"; else echo "$STORE"; fi
}
p50() {
	"$1" "$(store_of "$1")" --users "$USERS" --ppr 0 |
		sed -n 's/.*thread CPU time per request: p50 \([0-9.]*\) ms.*/\1/p'
}
digest() {
	"$1" "$(store_of "$1")" --users 2000 --ppr 0 --digest | sed -n 's/^digest of the [0-9]* lists: //p'
}

OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "# $(uptime)"
i=1
while [ "$i" -le "$ROUNDS" ]; do
	r=$(p50 "$REF")
	n=$(p50 "$NEW")
	[ -n "$r" ] && [ -n "$n" ] || { echo "recommend-ab.sh: no p50 in a run" >&2; exit 1; }
	echo "$i $r $n" | tee -a "$OUT" | awk '{ printf "round %d: ref %s ms, new %s ms, ratio %.3f\n", $1, $2, $3, $3 / $2 }'
	i=$((i + 1))
done
echo "# $(uptime)"
printf 'ref p50s sorted: %s\n' "$(awk '{ print $2 }' "$OUT" | sort -n | tr '\n' ' ')"
printf 'new p50s sorted: %s\n' "$(awk '{ print $3 }' "$OUT" | sort -n | tr '\n' ' ')"
awk '{ printf "%.3f\n", $3 / $2 }' "$OUT" | sort -n | awk '
	{ v[NR] = $1; line = line $1 " " }
	END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	      printf "ratios new / ref sorted: %s\nmedian ratio: %.3f\n", line, m }'
dr=$(digest "$REF")
dn=$(digest "$NEW")
if [ "$dr" = "$dn" ]; then
	echo "same lists: digest $dn for both"
else
	echo "lists differ: ref $dr, new $dn"
fi
