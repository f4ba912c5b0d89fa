#!/usr/bin/env bash
# Throughput and latency of `kgrec serve`: wrk against POST /v1/recommend (explanations on,
# graph ranker) at 2 and 8 connections, then the same while POST /v1/events takes about
# 100 events/s (2 connections, each pausing KGR_BENCH_EVENT_DELAY ms, default 15, after a
# reply; every event is fdatasync'd before its reply). The measured events/s is printed.
#
#   bench/serve.sh STORE USERS.txt ITEMS.txt [DURATION]
#
# USERS.txt / ITEMS.txt: one user / item IRI per line (e.g. cut from the interactions CSV the
# store was loaded from; bench/serve-data.sh DIR writes the 5M-triple store of
# docs/BENCHMARKS.md with both lists). DURATION: wrk's -d (default 15s).
# Environment: KGREC (default build/kgrec), THREADS (serve --threads, default 4),
# SERVE_ARGS (more `kgrec serve` options, e.g. "--llm --llm-url URL --llm-model M"),
# KGR_BENCH_LLM_DEADLINE (ms: each recommend request asks for that LLM deadline).
# Side by side: KGREC_REF names a reference binary (an earlier build); the two are run in
# turn ROUNDS times (default 2), and a summary gives each row's median requests/s and p99
# for both and the ratio of the medians. On a shared machine the ratio means more than either
# figure alone.
# Prints one line per run: connections, events, requests/s, p50, p99, non-2xx, and the
# server's peak resident memory.
set -eu

[ $# -ge 3 ] || { echo "usage: $0 STORE USERS.txt ITEMS.txt [DURATION]" >&2; exit 2; }
STORE=$1 USERS=$2 ITEMS=$3 DUR=${4:-15s}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
THREADS=${THREADS:-4}
ROUNDS=${ROUNDS:-2}
command -v wrk >/dev/null || { echo "serve.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
for b in "$KGREC" ${KGREC_REF:+"$KGREC_REF"}; do
	[ -x "$b" ] || { echo "serve.sh: $b is not an executable" >&2; exit 1; }
done

# shellcheck source=bench/serve-start.sh
. "$HERE/serve-start.sh"
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
export KGR_BENCH_USERS=$USERS KGR_BENCH_ITEMS=$ITEMS

# wrk --latency prints "50%  1.23ms" ... ; normalise to milliseconds.
ms() { awk -v p="$1" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } \
	else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; \
	printf "%.2f", v }' "$2"; }

# run LABEL CONNECTIONS EVENTS(yes|no): one wrk run against $URL; a result line on stdout and
# "LABEL row rps p99" in $WORK/results.
run() {
	local label=$1 conns=$2 events=$3 out=$WORK/wrk.$2.$3 evpid=
	if [ "$events" = yes ]; then
		wrk -t1 -c2 -d"$DUR" -s "$HERE/wrk/events.lua" "$URL" >"$WORK/events.out" 2>&1 &
		evpid=$!
	fi
	wrk -t2 -c"$conns" -d"$DUR" --latency -s "$HERE/wrk/recommend.lua" "$URL" >"$out" 2>&1
	[ -n "$evpid" ] && wait $evpid
	local rps non2xx evrps p99
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
	p99=$(ms 99% "$out")
	evrps=-
	[ "$events" = yes ] && evrps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/events.out")
	printf "%sconnections=%s events/s=%s recommend/s=%s p50=%sms p99=%sms non2xx=%s\n" \
		"${KGREC_REF:+$label }" "$conns" "$evrps" "$rps" "$(ms 50% "$out")" "$p99" "${non2xx:-0}"
	echo "$label $conns/$events ${rps:-0} ${p99:-0}" >>"$WORK/results"
}

# bench LABEL BINARY: start the server, the four runs, peak memory, stop.
bench() {
	local label=$1 bin=$2
	: >"$WORK/events.log"
	# shellcheck disable=SC2086
	serve_start "$bin" "$STORE" "$THREADS" "$WORK" ${SERVE_ARGS:-}
	echo "# ${KGREC_REF:+$label: }kgrec serve $STORE ($URL), --threads $THREADS, $(nproc) CPUs, wrk -d $DUR"
	echo "# startup: $(tr '\n' ' ' <"$WORK/serve.err")"
	run "$label" 2 no
	run "$label" 8 no
	run "$label" 2 yes
	run "$label" 8 yes
	echo "${KGREC_REF:+$label }peak RSS of the server: $(awk '/VmHWM/ { print $2, $3 }' /proc/$SERVER/status)"
	echo "${KGREC_REF:+$label }events logged: $(wc -l <"$WORK/events.log") batches"
	kill -0 $SERVER 2>/dev/null || { echo "serve.sh: the server ($bin) exited during the runs:" >&2;
		cat "$WORK/serve.err" >&2; exit 1; }
	kill $SERVER
	wait $SERVER 2>/dev/null || true
	SERVER=
}

if [ -z "${KGREC_REF:-}" ]; then
	bench this "$KGREC"
	exit 0
fi
for _ in $(seq 1 "$ROUNDS"); do
	bench ref "$KGREC_REF"
	bench this "$KGREC"
done
echo "# $ROUNDS round(s) in turn: median requests/s and p99 per row; ratio of the medians (this / ref)"
awk '
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ rps[$1, $2] = rps[$1, $2] " " $3; p99[$1, $2] = p99[$1, $2] " " $4; if (!seen[$2]++) order[++n] = $2 }
END {
	for (i = 1; i <= n; i++) {
		r = order[i]; split(r, rc, "/")
		a = median(rps["ref", r]); b = median(rps["this", r]); ratio = a > 0 ? b / a : 0
		printf("connections=%s events=%s ref %.0f/s p99 %.2fms  this %.0f/s p99 %.2fms  ratio %.2f\n",
			rc[1], rc[2], a, median(p99["ref", r]), b, median(p99["this", r]), ratio)
	}
}' "$WORK/results"
