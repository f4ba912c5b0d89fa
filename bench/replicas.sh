#!/usr/bin/env bash
# Two replicas behind HAProxy against one replica alone, side by side: wrk against POST
# /v1/recommend (explanations on, graph ranker; bench/wrk/recommend.lua) at 8 connections,
# first straight to one `kgrec serve`, then through HAProxy (deploy/haproxy.cfg with its ports
# and paths replaced) in front of two, in turn ROUNDS times (default 2). On one machine the
# replicas share its cores, so the question is whether the balancer costs anything, not
# whether two replicas are faster.
#
#   bench/replicas.sh STORE USERS.txt ITEMS.txt [DURATION]
#
# STORE, USERS.txt, ITEMS.txt as for bench/serve.sh (bench/serve-data.sh DIR writes them).
# Environment: KGREC (default build/kgrec), THREADS (serve --threads of the one replica,
# default 4), THREADS2 (of each of the two, default THREADS), ROUNDS, HAPROXY_CFG (default
# deploy/haproxy.cfg).
# Prints one line per run (requests/s, p50, p99, non-2xx), then where the processor time of
# that run went, per request (the replicas, HAProxy, wrk, and everything else on the machine,
# from /proc), and the median of each setup with the ratio (two behind HAProxy / one alone).
set -eu

[ $# -ge 3 ] || { echo "usage: $0 STORE USERS.txt ITEMS.txt [DURATION]" >&2; exit 2; }
STORE=$1 USERS=$2 ITEMS=$3 DUR=${4:-8s}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
THREADS=${THREADS:-4}
THREADS2=${THREADS2:-$THREADS}
ROUNDS=${ROUNDS:-2}
for c in wrk haproxy python3; do
	command -v $c >/dev/null || { echo "replicas.sh: $c is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
WORK=$(mktemp -d)
PIDS=
KGR_PIDS=
HAP_PID=
TCK=$(getconf CLK_TCK)
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
export KGR_BENCH_USERS=$USERS KGR_BENCH_ITEMS=$ITEMS

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ms() { awk -v p="$1" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } \
	else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; \
	printf "%.2f", v }' "$2"; }

# replica PORT THREADS: kgrec serve on PORT, ready (its /readyz 200) before it returns
replica() {
	"$KGREC" serve "$STORE" --listen "127.0.0.1:$1" --threads "$2" > "$WORK/r$1.log" 2>&1 &
	PIDS="$PIDS $!"
	KGR_PIDS="$KGR_PIDS $!"
	ready "$1" 1200 "the replica on port $1"
}

# ready PORT TRIES WHAT: /readyz on PORT answers 200 within TRIES tenths of a second, or exit
ready() {
	for _ in $(seq "$2"); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	echo "replicas.sh: $3 did not start" >&2
	exit 1
}

# haproxy FRONT R1 R2: deploy/haproxy.cfg in the foreground of a child, on these ports
haproxy_start() {
	python3 - "${HAPROXY_CFG:-$ROOT/deploy/haproxy.cfg}" "$WORK" "$1" "$2" "$3" > "$WORK/haproxy.cfg" <<'PY'
import re, sys
cfg, work, fe, r1, r2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
text = open(cfg).read()
for pat, rep in [(r"\n\tchroot [^\n]*", ""), (r"\n\tuser [^\n]*", ""), (r"\n\tgroup [^\n]*", ""),
                 (r"\n\tdaemon\n", "\n"), (r"\n\tlog /dev/log local0\n", "\n"),
                 (r"stats socket /run/haproxy/admin\.sock", "stats socket %s/admin.sock" % work),
                 (r"bind 127\.0\.0\.1:8080\n", "bind 127.0.0.1:%d\n" % fe),
                 (r"server replica1 127\.0\.0\.1:8081\n", "server replica1 127.0.0.1:%d\n" % r1),
                 (r"server replica2 127\.0\.0\.1:8082\n", "server replica2 127.0.0.1:%d\n" % r2)]:
    text, n = re.subn(pat, rep, text)
    assert n == 1, "deploy/haproxy.cfg: %r found %d times" % (pat, n)
sys.stdout.write(text)
PY
	haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
	PIDS="$PIDS $!"
	HAP_PID=$!
	ready "$1" 100 haproxy
}

stop_all() { for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null || true; PIDS= KGR_PIDS= HAP_PID=; }

# ticks PID...: their processor time (user + system, all threads) in clock ticks
ticks() {
	local t=0 p
	for p in "$@"; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo $t
}

# busy: the machine's busy ticks (all cores), from /proc/stat
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# run LABEL URL: one wrk run; a result line, and "LABEL rps p99" in $WORK/results
run() {
	local out=$WORK/wrk.out rps p50 p99 non2xx k0 h0 m0 k1 h1 m1 n
	k0=$(ticks $KGR_PIDS) h0=$(ticks $HAP_PID) m0=$(busy)
	/usr/bin/time -f '%U %S' -o "$WORK/wrk.time" \
		wrk -t2 -c8 -d"$DUR" --latency -s "$HERE/wrk/recommend.lua" "$2" > "$out" 2>&1
	k1=$(ticks $KGR_PIDS) h1=$(ticks $HAP_PID) m1=$(busy)
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$out")
	n=$(awk '/requests in/ { print $1 }' "$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$out")
	p50=$(ms 50% "$out")
	p99=$(ms 99% "$out")
	printf '%-28s %10s req/s  p50 %7s ms  p99 %7s ms  non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
	awk -v k=$((k1 - k0)) -v h=$((h1 - h0)) -v m=$((m1 - m0)) -v n="$n" -v tck="$TCK" \
		'{ w = ($1 + $2) * tck; o = m - k - h - w; f = 1000 / tck / n;
		   printf "%-28s processor ms a request: kgrec %.3f, haproxy %.3f, wrk %.3f, the rest %.3f\n",
		   "", k * f, h * f, w * f, (o > 0 ? o : 0) * f }' "$WORK/wrk.time"
	echo "$1 $rps $p99" >> "$WORK/results"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	P1=$(free_port)
	replica "$P1" "$THREADS"
	run "one replica" "http://127.0.0.1:$P1"
	stop_all
	P1=$(free_port) P2=$(free_port) FE=$(free_port)
	replica "$P1" "$THREADS2"
	replica "$P2" "$THREADS2"
	haproxy_start "$FE" "$P1" "$P2"
	run "two behind haproxy" "http://127.0.0.1:$FE"
	stop_all
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    *label, rps, p99 = line.split()
    rows.setdefault(" ".join(label), []).append((float(rps), float(p99)))
one = statistics.median(r for r, _ in rows["one replica"])
two = statistics.median(r for r, _ in rows["two behind haproxy"])
for k, v in rows.items():
    print("%-20s median %.0f req/s, p99 median %.2f ms" % (k, statistics.median(r for r, _ in v),
                                                          statistics.median(p for _, p in v)))
print("ratio (two behind haproxy / one alone): %.2f" % (two / one))
PY
