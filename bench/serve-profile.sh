#!/usr/bin/env bash
# Where `kgrec serve` spends its CPU under load: the server on STORE, wrk at 2 connections
# (POST /v1/recommend with explanations, bench/wrk/recommend.lua), and `perf record` of the
# server's process (DWARF call graphs) for SECONDS while wrk runs. Prints wrk's requests/s,
# the total samples, the share of each function's own samples (the top 40), and with
# UNDER=FUNC the samples whose stack passes through FUNC, by the function FUNC called.
#
#   bench/serve-profile.sh STORE USERS.txt ITEMS.txt [SECONDS]
#   UNDER=kgr__paths_find bench/serve-profile.sh ...
#   CALLERS=malloc bench/serve-profile.sh ...   (who calls FUNC: three frames up)
#
# USERS.txt / ITEMS.txt as for bench/serve.sh (bench/serve-data.sh DIR writes them).
# Environment: KGREC (default build/kgrec), THREADS (serve --threads, default 4).
# Needs perf (linux-perf) and wrk; samples the cpu-clock event, so no hardware counters are
# needed.
set -eu

[ $# -ge 3 ] || { echo "usage: $0 STORE USERS.txt ITEMS.txt [SECONDS]" >&2; exit 2; }
STORE=$1 USERS=$2 ITEMS=$3 SECS=${4:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
KGREC=${KGREC:-$(dirname "$HERE")/build/kgrec}
for t in perf wrk; do
	command -v $t >/dev/null || { echo "serve-profile.sh: $t is not installed" >&2; exit 1; }
done

WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
export KGR_BENCH_USERS=$USERS KGR_BENCH_ITEMS=$ITEMS

# shellcheck source=bench/serve-start.sh
. "$HERE/serve-start.sh"
serve_start "$KGREC" "$STORE" "${THREADS:-4}" "$WORK"
wrk -t2 -c2 -d2s -s "$HERE/wrk/recommend.lua" "$URL" >/dev/null # warm the caches
perf record -q -e cpu-clock -F 1000 --call-graph dwarf,16384 -p $SERVER -o "$WORK/perf.data" \
	-- sleep "$SECS" >/dev/null 2>&1 &
PERF=$!
wrk -t2 -c2 -d"$((SECS + 1))s" -s "$HERE/wrk/recommend.lua" "$URL" >"$WORK/wrk.out"
wait $PERF
kill $SERVER
wait $SERVER 2>/dev/null || true
SERVER=

awk '/^Requests\/sec/ { print "requests/s under the profile:", $2 }' "$WORK/wrk.out"
# one line per sample: its frames, innermost first, separated by ';'
perf script -i "$WORK/perf.data" -F comm,ip,sym 2>/dev/null |
	awk 'NF == 0 { if (s != "") print s; s = ""; next }
	     $0 !~ /^[ \t]/ { if (s != "") print s; s = ""; next }
	     { sym = $2; sub(/\+0x[0-9a-f]+$/, "", sym); s = s ";" sym }
	     END { if (s != "") print s }' >"$WORK/stacks"
TOTAL=$(wc -l <"$WORK/stacks")
echo "samples: $TOTAL"
echo "own samples by function (top 40):"
awk -F';' '{ print $2 }' "$WORK/stacks" | sort | uniq -c | sort -rn | head -40 |
	awk -v t="$TOTAL" '{ printf "  %6.2f%%  %s\n", 100 * $1 / t, $2 }'
if [ -n "${CALLERS:-}" ]; then
	echo "samples in $CALLERS (own or below it), by the three functions that called it:"
	awk -F';' -v f="$CALLERS" '{ for (i = 2; i <= NF; i++) if ($i == f) {
		c = ""; for (j = i + 1; j <= i + 3 && j <= NF; j++) c = c (c == "" ? "" : " < ") $j
		print c; break } }' "$WORK/stacks" | sort | uniq -c | sort -rn | head -20 |
		awk '{ n = $1; $1 = ""; printf "  %6d %s\n", n, $0 }'
fi
if [ -n "${UNDER:-}" ]; then
	echo "samples through $UNDER, by the function it called (or itself):"
	awk -F';' -v f="$UNDER" '{ for (i = 2; i <= NF; i++) if ($i == f) { print (i > 2 ? $(i - 1) : f); break } }' \
		"$WORK/stacks" | sort | uniq -c | sort -rn | head -20 | awk '{ printf "  %6d  %s\n", $1, $2 }'
fi
