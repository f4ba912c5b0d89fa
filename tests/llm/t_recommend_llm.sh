#!/bin/bash
# kgrec recommend --llm against the scripted chat-completions server: text and JSON output,
# the cache, a failing model (graph order kept, exit 0), bad flags.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/llm
SRV=
on_exit '[ -n "$SRV" ] && kill $SRV 2>/dev/null'

python3 "$KGR_SOURCE_DIR/tests/llm/fake_openai.py" > "$T/port" &
SRV=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(head -1 "$T/port")/v1"
unset KGREC_LLM_URL KGREC_LLM_MODEL KGREC_LLM_API_KEY OPENAI_API_KEY OPENAI_BASE_URL
export KGREC_LLM_CACHE="$T/cache"
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

"$KGREC" load -q "$D/shop.ttl" --interactions "$D/shop_events.csv" -o "$T/s.snap"
check "load the shop" $?

"$KGREC" recommend "$T/s.snap" --user u1 -k 2 --llm --llm-url "$URL" --llm-model good/cli \
	--alpha 1 > "$T/out.txt" 2> "$T/err.txt"
r=$?; check "recommend --llm runs ($(cat "$T/err.txt"))" $r
# the scripted model orders by label: Baseball Cap, Shin Guards, Soccer Jersey
grep -q '^ 1\. Baseball Cap ' "$T/out.txt"; r=$?; check "LLM order first ($(head -1 "$T/out.txt"))" $r
grep -q '^ 2\. Shin Guards ' "$T/out.txt"; check "LLM order second" $?
[ "$(grep -c '^ *[0-9]*\. ' "$T/out.txt")" = 2 ]; check "k items" $?
grep -q 'Baseball Cap fits the history \[grounded\]' "$T/out.txt"; check "grounded rationale" $?
grep -q '^      cites ' "$T/out.txt"; check "cited facts" $?
grep -q '^# llm: 1 call(s), 0 cached' "$T/out.txt"; check "accounting" $?

"$KGREC" recommend "$T/s.snap" --user u1 -k 2 --llm --llm-url "$URL" --llm-model good/cli \
	--alpha 1 --format json > "$T/out.json" 2> "$T/err.txt"
check "--format json runs" $?
python3 - "$T/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["fallback"] is False
assert [i["label"] for i in d["items"]] == ["Baseball Cap", "Shin Guards"], d["items"]
it = d["items"][0]
assert it["llm_valid"] and it["grounded"] and it["cited"][0]["p"] == "https://w3id.org/kgrec/ns#purchase", it
assert d["accounting"]["cache_hits"] == 1, d["accounting"]   # same prompt as the text run
assert abs(it["score"] - it["llm_score"]) < 1e-9
PY
check "JSON output: order, parts, citations, cache hit" $?

"$KGREC" recommend "$T/s.snap" --user u1 -k 2 --llm --llm-url "$URL" --llm-model good/cli \
	--alpha 1 --no-cache > "$T/out.txt"
grep -q '^# llm: 1 call(s), 0 cached' "$T/out.txt"; check "--no-cache sends again" $?

"$KGREC" recommend "$T/s.snap" --user u1 -k 3 --llm --llm-url "$URL" --llm-model malformed/cli \
	--retries 0 > "$T/out.txt" 2> "$T/err.txt"
check "a failing LLM is not an error" $?
grep -q '^# note: no usable LLM ranking (.*); graph order kept$' "$T/out.txt"; check "fallback note" $?
grep -q 'from graph order' "$T/out.txt"; check "items marked as graph order" $?

# --deadline bounds the whole LLM ranking: a model that answers after 2 s, two retries of 5 s
# each allowed, and the list (in graph order, with a note) comes back within about 0.3 s
start=$(date +%s%N)
"$KGREC" recommend "$T/s.snap" --user u1 -k 3 --llm --llm-url "$URL" --llm-model slow/cli \
	--timeout 5000 --retries 2 --deadline 300 --no-cache > "$T/out.txt" 2> "$T/err.txt"
r=$?; took=$(( ($(date +%s%N) - start) / 1000000 ))
check "--deadline: a slow LLM is not an error ($(cat "$T/err.txt"))" $r
[ "$took" -lt 1500 ]; check "--deadline 300 with a 2 s model: done in ${took} ms" $?
grep -q "deadline of 300 ms" "$T/out.txt"; check "--deadline: the note names it" $?
"$KGREC" recommend "$T/s.snap" --user u1 --llm --deadline 0 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q -- "--deadline" "$T/err.txt"
r=$?; check "--deadline 0 refused ($(cat "$T/err.txt"))" $r

"$KGREC" recommend "$T/s.snap" --user u1 -k 2 --llm --llm-url "$URL" --llm-model good/conv \
	--mode conversational --request "something for the goalkeeper" > "$T/out.txt" 2> "$T/err.txt"
r=$?; check "conversational runs ($(cat "$T/err.txt"))" $r
grep -q '^# llm: 1 call(s)' "$T/out.txt"; check "conversational asks once" $?
"$KGREC" recommend "$T/s.snap" --user u1 --llm --llm-url "$URL" --llm-model good/conv \
	--mode conversational 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "conversational mode needs a request" "$T/err.txt"
r=$?; check "conversational without a request ($(cat "$T/err.txt"))" $r

"$KGREC" recommend "$T/s.snap" --user u1 --llm --mode sideways 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "unknown LLM mode 'sideways'" "$T/err.txt"; check "bad --mode" $?
"$KGREC" recommend "$T/s.snap" --user u1 --llm --timeout 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q -- "--timeout needs a value" "$T/err.txt"; check "missing value" $?

finish t_recommend_llm
