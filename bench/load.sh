#!/usr/bin/env bash
# Load benchmark: the same N-Triples file through raptor alone, the kgrec store and librdf.
#
#   bench/load.sh DIR [--queries]
#
# DIR holds graph.nt and interactions.csv from bench/gen_graph, e.g.
#   build/bench/gen_graph --triples 1000000 --seed 1 -o /tmp/g1m && bench/load.sh /tmp/g1m
#
# Each step runs under /usr/bin/time (wall seconds, peak RSS) and the table compares it with
# `rapper -c` (parse only). --queries also times bench/queries/*.rq over librdf and kgrec.
#
# Environment: KGREC (default build/kgrec), LIBRDF_LOAD (build/bench/librdf_load),
# LIBRDF_STORAGES (default "hashes"; e.g. "hashes trees"), TIMEOUT (seconds per step, 3600),
# KGREC_QUERY (command template for one query, default "query {store} -f {query}").
set -u

usage() {
	echo "usage: $0 DIR [--queries]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
DIR=$1
shift
QUERIES=0
for a in "$@"; do
	case $a in
	--queries) QUERIES=1 ;;
	*) usage ;;
	esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
KGREC=${KGREC:-$ROOT/build/kgrec}
LIBRDF_LOAD=${LIBRDF_LOAD:-$ROOT/build/bench/librdf_load}
LIBRDF_STORAGES=${LIBRDF_STORAGES:-hashes}
TIMEOUT=${TIMEOUT:-3600}
KGREC_QUERY=${KGREC_QUERY:-"query {store} -f {query}"}
USER_BASE=https://bench.example.org/user/
ITEM_BASE=https://bench.example.org/product/

GRAPH=$DIR/graph.nt
CSV=$DIR/interactions.csv
LOGS=$DIR/logs
if [ ! -r "$GRAPH" ]; then
	echo "load.sh: $GRAPH not found (make it with gen_graph --triples N -o $DIR)" >&2
	exit 1
fi
if [ ! -x /usr/bin/time ]; then
	echo "load.sh: /usr/bin/time is missing (apt-get install time)" >&2
	exit 1
fi
mkdir -p "$LOGS"

have_kgrec=1
if [ ! -x "$KGREC" ]; then
	why_kgrec="kgrec not found at $KGREC (set KGREC=...)"
	have_kgrec=0
elif ! "$KGREC" help 2>/dev/null | grep -qw load; then
	why_kgrec="$KGREC has no 'load' command"
	have_kgrec=0
fi
[ $have_kgrec -eq 1 ] || echo "load.sh: $why_kgrec: kgrec rows are skipped" >&2
have_librdf=1
if [ ! -x "$LIBRDF_LOAD" ]; then
	echo "load.sh: librdf_load not found at $LIBRDF_LOAD (build the bench/ targets): librdf rows are skipped" >&2
	have_librdf=0
fi

ROWS=()  # name|seconds|peak_kb|note

# step NAME NOTE_FUNCTION COMMAND... : run, time, record. The note function reads the log.
step() {
	local name=$1 notefn=$2
	shift 2
	local log=$LOGS/$name.log tf=$LOGS/$name.time rc secs kb note
	echo "== $name: $*" >&2
	timeout "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$log" 2>&1
	rc=$?
	read -r secs kb < <(tail -n 1 "$tf" 2>/dev/null)
	if [ $rc -ne 0 ]; then
		if [ $rc -eq 124 ]; then
			note="TIMEOUT after ${TIMEOUT}s"
			secs=">$TIMEOUT"
		else
			note="FAILED (exit $rc): $(grep -v '^Command exited' "$log" | tail -n 1 | cut -c1-80)"
		fi
	else
		note=$($notefn "$log")
	fi
	ROWS+=("$name|${secs:-?}|${kb:-?}|$note")
}

skip() {
	ROWS+=("$1|-|-|skipped: $2")
}

note_rapper() { sed -n 's/.*Parsing returned \([0-9]*\) triples.*/\1 triples/p' "$1" | tail -n 1; }
note_snap() { local f=$DIR/$1; [ -f "$f" ] && echo "snapshot $(du -k "$f" | cut -f1) KB"; }
note_store() { note_snap store.snap; }
note_store_full() { note_snap store-full.snap; }
note_stats() { tr '\n' ' ' <"$1" | tr -s ' ' | cut -c1-100; }
note_librdf() { sed -n 's/.*statements=\([-0-9]*\).*errors=\([0-9]*\).*/\1 statements, \2 errors/p' "$1" | head -n 1; }

step rapper-parse note_rapper rapper -i ntriples -c "$GRAPH"

if [ $have_kgrec -eq 1 ]; then
	rm -f "$DIR/store.snap"
	step kgrec-load note_store "$KGREC" load "$GRAPH" -o "$DIR/store.snap"
	if [ -f "$DIR/store.snap" ]; then
		step kgrec-open-stats note_stats "$KGREC" stats "$DIR/store.snap"
	else
		skip kgrec-open-stats "no snapshot"
	fi
	if [ -r "$CSV" ]; then
		rm -f "$DIR/store-full.snap"
		step kgrec-load+interactions note_store_full "$KGREC" load "$GRAPH" --interactions "$CSV" \
			--user-base "$USER_BASE" --item-base "$ITEM_BASE" -o "$DIR/store-full.snap"
	fi
else
	skip kgrec-load "$why_kgrec"
	skip kgrec-open-stats "$why_kgrec"
fi

if [ $have_librdf -eq 1 ]; then
	for s in $LIBRDF_STORAGES; do
		step "librdf-$s" note_librdf "$LIBRDF_LOAD" -s "$s" "$GRAPH"
	done
else
	skip librdf-hashes "librdf_load missing"
fi

# ---------------------------------------------------------------- table
base_s=$(printf '%s\n' "${ROWS[0]}" | cut -d'|' -f2)
base_kb=$(printf '%s\n' "${ROWS[0]}" | cut -d'|' -f3)
{
	echo
	echo "load benchmark: $GRAPH ($(du -kL "$GRAPH" | cut -f1) KB), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
	printf '%-26s %10s %10s %9s %9s  %s\n' step seconds peak_MB x_time x_mem note
	for r in "${ROWS[@]}"; do
		IFS='|' read -r name secs kb note <<<"$r"
		awk -v n="$name" -v s="$secs" -v k="$kb" -v bs="$base_s" -v bk="$base_kb" -v note="$note" 'BEGIN {
			mb = (k ~ /^[0-9]+$/) ? sprintf("%.1f", k / 1024) : k
			xt = (s ~ /^[0-9.]+$/ && bs + 0 > 0) ? sprintf("%.2f", s / bs) : "-"
			xm = (k ~ /^[0-9]+$/ && bk + 0 > 0) ? sprintf("%.2f", k / bk) : "-"
			printf "%-26s %10s %10s %9s %9s  %s\n", n, s, mb, xt, xm, note
		}'
	done
	echo "(x_time, x_mem: ratio to rapper-parse; logs in $LOGS)"
} | tee "$DIR/results.txt"

# ---------------------------------------------------------------- queries
if [ $QUERIES -eq 1 ]; then
	PURCH=$DIR/purchases.nt
	if [ -r "$CSV" ]; then
		# the user -> item purchase edges that kgrec materialises, for librdf
		awk -F, -v u="$USER_BASE" -v i="$ITEM_BASE" 'NR > 1 && $4 == "purchase" {
			printf "<%s%s> <https://w3id.org/kgrec/ns#purchase> <%s%s> .\n", u, $1, i, $2 }' "$CSV" >"$PURCH"
	else
		: >"$PURCH"
	fi
	echo
	echo "queries (bench/queries/*.rq)"
	if [ $have_librdf -eq 1 ]; then
		for s in $LIBRDF_STORAGES; do
			echo "== librdf-$s queries" >&2
			timeout "$TIMEOUT" "$LIBRDF_LOAD" -s "$s" "$GRAPH" "$PURCH" -q "$HERE"/queries/*.rq 2>"$LOGS/librdf-$s-queries.err" |
				tee "$LOGS/librdf-$s-queries.log" |
				awk -F'\t' -v s="librdf-$s" '$1 == "query" { n = split($2, p, "/"); sub(/rows=/, "", $3); sub(/seconds=/, "", $4);
					printf "%-14s %-34s rows=%-8s %s s\n", s, p[n], $3, $4 }'
			[ "${PIPESTATUS[0]}" -ne 124 ] || echo "librdf-$s  (stopped: TIMEOUT after ${TIMEOUT}s)"
		done
	fi
	if [ $have_kgrec -eq 1 ] && [ -f "$DIR/store-full.snap" ]; then
		for q in "$HERE"/queries/*.rq; do
			cmd=${KGREC_QUERY//\{store\}/$DIR/store-full.snap}
			cmd=${cmd//\{query\}/$q}
			qlog=$LOGS/kgrec-query-$(basename "$q" .rq).log
			# shellcheck disable=SC2086 # $cmd is split into arguments on purpose
			timeout "$TIMEOUT" /usr/bin/time -f '%e %M' -o "$LOGS/kgrec-query.time" "$KGREC" $cmd >"$qlog" 2>&1
			rc=$?
			if [ $rc -eq 0 ]; then
				printf 'kgrec          %-34s %s s (process, incl. opening the snapshot)\n' "$(basename "$q")" \
					"$(tail -n 1 "$LOGS/kgrec-query.time" | cut -d' ' -f1)"
			else
				printf 'kgrec          %-34s FAILED (exit %s): %s\n' "$(basename "$q")" "$rc" \
					"$(grep -v '^Command exited' "$qlog" | tail -n 1 | cut -c1-80)"
			fi
		done
	fi
fi
