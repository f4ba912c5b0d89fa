#!/bin/sh
# Two builds side by side, query by query, as the service runs them (a child process per
# query) and in process: bench/sparql/fork_ab.sh BUILD_A BUILD_B STORE.kgr ROUNDS QUERY.rq...
# (a QUERY of ASK stands for `ASK {}`). Each round runs every query 5 times with A, then with
# B; one line per query and round, milliseconds a query: "in process A / B, child A / B".
set -eu
A=${1:?usage: fork_ab.sh BUILD_A BUILD_B STORE.kgr ROUNDS QUERY...}
B=${2:?} STORE=${3:?} ROUNDS=${4:?}
shift 4
HERE=$(dirname "$0")
ms() { # BUILD TEXT -> "in-process child"
	sh "$HERE/fork_overhead.sh" "$1" "$STORE" "$2" 5 |
		sed -n 's/^child process \([0-9.]*\) ms\/query, in process \([0-9.]*\) ms\/query.*/\2 \1/p'
}
printf '%-40s %5s %24s %24s\n' query round "in process A / B (ms)" "child A / B (ms)"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for q in "$@"; do
		if [ "$q" = ASK ]; then text='ASK {}'; else text=$(cat "$q"); fi
		a=$(ms "$A" "$text")
		b=$(ms "$B" "$text")
		printf '%-40s %5d %11s / %-10s %11s / %-10s\n' "$(basename "$q")" "$r" \
			"${a% *}" "${b% *}" "${a#* }" "${b#* }"
	done
	r=$((r + 1))
done
uptime
