#!/bin/bash
# kgrec prompt: the rendered prompt for each mode, nothing sent; bad flags and inputs.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/llm

"$KGREC" load -q "$D/shop.ttl" --interactions "$D/shop_events.csv" -o "$T/s.snap"
check "load the shop" $?

# no server is reachable here: a prompt must not need one
export KGREC_LLM_URL=http://127.0.0.1:1/v1
"$KGREC" prompt "$T/s.snap" --user u1 -k 5 > "$T/p.txt" 2> "$T/err.txt"
r=$?; check "prompt runs ($(cat "$T/err.txt"))" $r
grep -q '^### system$' "$T/p.txt"; check "system part" $?
grep -q '^### user$' "$T/p.txt"; check "user part" $?
grep -q '^1\. "Goalie Gloves" (purchase, 2023-11-14, rating 4)$' "$T/p.txt"; check "history line" $?
grep -q '^\[C1\] "' "$T/p.txt"; check "candidate lines" $?
grep -q '^\[F1\] "' "$T/p.txt"; check "fact lines" $?
grep -q 'Match Ball' "$T/p.txt" && ! grep -q '^\[C[0-9]*\] "Match Ball"' "$T/p.txt"
check "a seen item is history, not a candidate" $?

for m in "--mode pointwise" "--mode pairwise" "--mode listwise --history recency" \
	"--mode listwise --history in-context" "--mode conversational --request a-gift"; do
	# shellcheck disable=SC2086
	"$KGREC" prompt "$T/s.snap" --user u1 $m > "$T/m.txt" 2> "$T/err.txt"
	r=$?; check "$m runs ($(cat "$T/err.txt"))" $r
	grep -q '^\[C1\]' "$T/m.txt"; check "$m: candidates" $?
done
"$KGREC" prompt "$T/s.snap" --user u1 --mode pointwise | grep -c '^\[C[0-9]*\]' > "$T/n.txt"
[ "$(cat "$T/n.txt")" = 1 ]; check "pointwise shows one candidate" $?
"$KGREC" prompt "$T/s.snap" --user u1 --mode pairwise | grep -c '^\[C[0-9]*\]' > "$T/n.txt"
[ "$(cat "$T/n.txt")" = 2 ]; check "pairwise shows two candidates" $?
"$KGREC" prompt "$T/s.snap" --user u1 --mode conversational --request 'rainy "match" day' | grep -q '^"rainy \\"match\\" day"$'
check "the request is quoted data" $?
"$KGREC" prompt "$T/s.snap" --user u1 --mode conversational --query 'soccer' | grep -q '^"soccer"$'
check "conversational: --query is the request" $?

# --at: only the history before that time, as epoch seconds or ISO-8601
"$KGREC" prompt "$T/s.snap" --user u1 --at 2023-11-15T00:00:00Z > "$T/at_iso.txt" 2> "$T/err.txt"
r=$?; check "--at ISO-8601 runs ($(cat "$T/err.txt"))" $r
"$KGREC" prompt "$T/s.snap" --user u1 --at 1700006400 > "$T/at_epoch.txt"
cmp -s "$T/at_iso.txt" "$T/at_epoch.txt"; check "--at: the same time written both ways gives the same prompt" $?
grep -q '^1\. "Goalie Gloves" (purchase' "$T/at_iso.txt" && ! grep -q '^2\. ' "$T/at_iso.txt"
check "--at: the view of the next day is not history yet" $?
"$KGREC" prompt "$T/s.snap" --user u1 --at yesterday > /dev/null 2> "$T/err.txt"
[ $? = 2 ] && grep -q "neither epoch seconds nor an ISO-8601 time" "$T/err.txt"
r=$?; check "--at: a bad time is named ($(cat "$T/err.txt"))" $r

# a copied template directory
mkdir "$T/prompts"
cp "$KGR_SOURCE_DIR"/prompts/*.txt "$T/prompts/"
printf '### user\nONLY {{candidate_ids}}\n' > "$T/prompts/listwise_sequential.txt"
"$KGREC" prompt "$T/s.snap" --user u1 --prompt-dir "$T/prompts" > "$T/p.txt"
check "--prompt-dir runs" $?
grep -q '^ONLY C1' "$T/p.txt"; check "--prompt-dir template used" $?

"$KGREC" prompt "$T/s.snap" --user u1 --mode bogus 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "unknown LLM mode 'bogus'" "$T/err.txt"; check "bad --mode: usage error" $?
"$KGREC" prompt "$T/s.snap" --user u1 --alpha 3 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q -- "--alpha: '3' is not a number in 0..1" "$T/err.txt"; check "bad --alpha" $?
"$KGREC" prompt "$T/s.snap" 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "missing --user" "$T/err.txt"; check "missing --user" $?
"$KGREC" prompt "$T/s.snap" --user nobody-here 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "nobody-here" "$T/err.txt"; r=$?; check "unknown user named ($(cat "$T/err.txt"))" $r
"$KGREC" prompt "$T/s.snap" --user u1 --prompt-dir "$T/none" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "$T/none/listwise_sequential.txt" "$T/err.txt"; check "missing template named" $?
"$KGREC" prompt "$T/s.snap" --user u1 --mode conversational 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "conversational mode needs a request" "$T/err.txt"; check "conversational without request" $?

finish t_prompt
