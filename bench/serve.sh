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
# Prints one line per run: connections, events, requests/s, p50, p99, non-2xx, and the
# server's peak resident memory.
set -eu

[ $# -ge 3 ] || { echo "usage: $0 STORE USERS.txt ITEMS.txt [DURATION]" >&2; exit 2; }
STORE=$1 USERS=$2 ITEMS=$3 DUR=${4:-15s}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
THREADS=${THREADS:-4}
command -v wrk >/dev/null || { echo "serve.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

# shellcheck disable=SC2086
"$KGREC" serve "$STORE" --listen 127.0.0.1:0 --threads "$THREADS" --events-log "$WORK/events.log" ${SERVE_ARGS:-} \
	>"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
for _ in $(seq 1 600); do
	grep -q 'listening on' "$WORK/serve.out" 2>/dev/null && break
	kill -0 $SERVER 2>/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
	sleep 0.1
done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out")
echo "# kgrec serve $STORE ($URL), --threads $THREADS, $(nproc) CPUs, wrk -d $DUR"
echo "# startup: $(cat "$WORK/serve.err" | tr '\n' ' ')"
export KGR_BENCH_USERS=$USERS KGR_BENCH_ITEMS=$ITEMS

# wrk --latency prints "50%  1.23ms" ... ; normalise to milliseconds.
ms() { awk -v p="$1" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } \
	else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; \
	printf "%.2f", v }' "$2"; }

run() {
	local conns=$1 events=$2 out=$WORK/wrk.$1.$2 evpid=
	if [ "$events" = yes ]; then
		wrk -t1 -c2 -d"$DUR" -s "$HERE/wrk/events.lua" "$URL" >"$WORK/events.out" 2>&1 &
		evpid=$!
	fi
	wrk -t2 -c"$conns" -d"$DUR" --latency -s "$HERE/wrk/recommend.lua" "$URL" >"$out" 2>&1
	[ -n "$evpid" ] && wait $evpid
	local rps non2xx evrps
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
	evrps=-
	[ "$events" = yes ] && evrps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/events.out")
	printf "connections=%s events/s=%s recommend/s=%s p50=%sms p99=%sms non2xx=%s\n" \
		"$conns" "$evrps" "$rps" "$(ms 50% "$out")" "$(ms 99% "$out")" "${non2xx:-0}"
}

run 2 no
run 8 no
run 2 yes
run 8 yes
echo "peak RSS of the server: $(awk '/VmHWM/ { print $2, $3 }' /proc/$SERVER/status)"
echo "events logged: $(wc -l <"$WORK/events.log") batches"
