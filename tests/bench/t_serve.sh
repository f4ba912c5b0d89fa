#!/usr/bin/env bash
# bench/serve.sh on a small generated store: the four wrk rows with answers and no errors,
# peak memory; and side by side with a reference binary, the summary of medians and ratios.
set -euo pipefail
export LC_ALL=C
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR not set}
KGREC=${1:-${KGR_CLI:?KGR_CLI not set}}
GEN=${GEN_GRAPH:-$(dirname "$KGREC")/bench/gen_graph}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v wrk >/dev/null || fail "wrk is not installed (scripts/install-deps.sh installs it)"

KGREC=$KGREC GEN_GRAPH=$GEN bash "$SRC/bench/serve-data.sh" "$TMP/d" 30000 >/dev/null 2>&1 ||
	fail "serve-data.sh"
KGREC=$KGREC bash "$SRC/bench/serve.sh" "$TMP/d/store.kgr" "$TMP/d/users.txt" "$TMP/d/items.txt" 1s \
	>"$TMP/out" 2>&1 || fail "serve.sh: $(cat "$TMP/out")"
rows=$(grep -c '^connections=' "$TMP/out")
[ "$rows" -eq 4 ] || fail "$rows result rows: $(cat "$TMP/out")"
for want in 'connections=2 events/s=-' 'connections=8 events/s=-' 'connections=2 events/s=[0-9]' \
	'connections=8 events/s=[0-9]'; do
	grep -q "^$want" "$TMP/out" || fail "no row '$want': $(cat "$TMP/out")"
done
grep '^connections=' "$TMP/out" | grep -qv 'non2xx=0$' && fail "non-2xx answers: $(cat "$TMP/out")"
awk '/^connections=/ { split($3, a, "="); if (a[2] + 0 <= 0) bad = 1 } END { exit bad }' "$TMP/out" ||
	fail "a row without requests: $(cat "$TMP/out")"
grep -q '^peak RSS of the server: [0-9]* kB$' "$TMP/out" || fail "peak memory: $(cat "$TMP/out")"

KGREC=$KGREC KGREC_REF=$KGREC ROUNDS=1 bash "$SRC/bench/serve.sh" "$TMP/d/store.kgr" "$TMP/d/users.txt" \
	"$TMP/d/items.txt" 1s >"$TMP/ab" 2>&1 || fail "serve.sh side by side: $(cat "$TMP/ab")"
[ "$(grep -c '^ref connections=' "$TMP/ab")" -eq 4 ] && [ "$(grep -c '^this connections=' "$TMP/ab")" -eq 4 ] ||
	fail "side by side rows: $(cat "$TMP/ab")"
[ "$(grep -Ec '^connections=[28] events=(no|yes) ref [0-9]+/s p99 [0-9.]+ms  this [0-9]+/s p99 [0-9.]+ms  ratio [0-9]+\.[0-9]{2}$' "$TMP/ab")" -eq 4 ] ||
	fail "summary: $(cat "$TMP/ab")"

KGREC_REF=$TMP/missing bash "$SRC/bench/serve.sh" "$TMP/d/store.kgr" "$TMP/d/users.txt" "$TMP/d/items.txt" \
	2>"$TMP/err" && fail "a missing reference binary accepted"
grep -q "is not an executable" "$TMP/err" || fail "message: $(cat "$TMP/err")"
echo "ok: $(grep -m1 '^connections=8 events/s=-' "$TMP/out")"
