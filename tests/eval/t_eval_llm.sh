#!/bin/bash
# kgrec eval --ranker llm against the scripted chat-completions server (tests/llm/fake_openai.py):
# the re-ranking, its accounting (validity, grounding, calls, cache, tokens), the fallback to
# the graph order when the model answers garbage, and a missing endpoint.
set -u
KGREC=$1
DATA=${KGR_TEST_DATA:?}
TMP=$(mktemp -d /tmp/kgr-eval-llm-XXXXXX)
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$KGR_SOURCE_DIR/tests/llm/fake_openai.py" > "$TMP/port" &
SRV=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(head -1 "$TMP/port")/v1"
unset KGREC_LLM_URL KGREC_LLM_MODEL KGREC_LLM_API_KEY OPENAI_API_KEY OPENAI_BASE_URL
export KGREC_LLM_CACHE="$TMP/cache" no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

"$KGREC" load -q "$DATA/eval/tiny.nt" --interactions "$DATA/eval/tiny.csv" -o "$TMP/t.snap" || fail load

out=$("$KGREC" eval "$TMP/t.snap" --ranker llm --llm-url "$URL" --llm-model good/eval -q \
	--out "$TMP/r.json") || fail "eval llm: $out"
echo "$out" | grep -q '^llm: 3 lists, 0 in graph order (fallback), validity 1.0000, grounded rationales 1.0000 of [1-9]' ||
	fail "accounting: $out"
echo "$out" | grep -Eq '3 calls \(0 cached, 0 failed, 0 invalid replies\), tokens [1-9][0-9]* \+ [1-9]' ||
	fail "calls: $out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); l=d["llm"]; assert l["users"]==3 and l["validity"]==1 and l["grounding"]==1, l; assert d["explanations"]["fidelity"]==1, d' \
	"$TMP/r.json" || fail "json"

# the same run again is answered from the cache
out=$("$KGREC" eval "$TMP/t.snap" --ranker llm --llm-url "$URL" --llm-model good/eval -q) || fail "again"
echo "$out" | grep -q '3 calls (3 cached' || fail "cache: $out"

# a model that answers garbage: every list stays in the graph order, so the figures are the
# graph ranker's on the same candidates
llm=$("$KGREC" eval "$TMP/t.snap" --ranker llm --llm-url "$URL" --llm-model malformed/eval -q) || fail "malformed"
echo "$llm" | grep -q '^llm: 3 lists, 3 in graph order (fallback), validity 0.0000' || fail "fallback: $llm"
graph=$("$KGREC" eval "$TMP/t.snap" --ranker graph --params candidates=20 -q) || fail "graph"
echo "$graph" | grep -q '^test ' || fail "the graph run printed no test figures: $graph"
[ "$(echo "$llm" | grep '^test' | awk '{print $2,$3,$4,$5,$8}')" = \
  "$(echo "$graph" | grep '^test' | awk '{print $2,$3,$4,$5,$8}')" ] || fail "fallback figures: $llm / $graph"

err=$("$KGREC" eval "$TMP/t.snap" --ranker llm 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$err" | grep -q -- "needs an endpoint: --llm-url" || fail "no endpoint: $rc $err"
echo ok
