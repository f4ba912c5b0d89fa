#!/bin/bash
# The web console served by `kgrec serve` at /: a real server on loopback with the example
# catalog and a token; console_test.py checks the console's JSON endpoints over HTTP and
# drives every view in headless Chromium (DevTools protocol), comparing what the page shows
# with what /v1/recommend, /v1/explain, similar and /sparql answer.
. "$(dirname "$0")/../common/lib.sh"
SRC=$KGR_SOURCE_DIR
SERVER_PID=
OPEN_PID=
LLM_PID=
on_exit '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null'
on_exit '[ -n "$LLM_PID" ] && kill "$LLM_PID" 2>/dev/null'
on_exit '[ -n "$OPEN_PID" ] && kill "$OPEN_PID" 2>/dev/null'

"$KGREC" load -q "$SRC/examples/catalog.ttl" --interactions "$SRC/examples/interactions.csv" \
	--user-base https://shop.example.org/user/ --item-base https://shop.example.org/product/ \
	-o "$T/catalog.snap"
check "load the example catalog" $?
echo "console-test-token-$$" > "$T/token"

# the scripted chat-completions server of tests/llm, so the LLM ranker can be compared
python3 "$SRC/tests/llm/fake_openai.py" > "$T/llm_port" &
LLM_PID=$!
for _ in $(seq 50); do [ -s "$T/llm_port" ] && break; sleep 0.1; done
LLM_PORT=$(head -1 "$T/llm_port")
[ -n "$LLM_PORT" ]; check "scripted LLM server started" $?

"$KGREC" serve "$T/catalog.snap" --listen 127.0.0.1:0 --token-file "$T/token" \
	--events-log "$T/events.log" --llm --llm-url "http://127.0.0.1:$LLM_PORT/v1" \
	--llm-model good/console --no-cache --sparql-max-rows 500 > "$T/serve.log" 2>&1 &
SERVER_PID=$!
PORT=
for _ in $(seq 100); do
	PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/serve.log" 2>/dev/null)
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ]; check "kgrec serve started" $? || { cat "$T/serve.log"; finish; exit 1; }
# and one without a token file (loopback only)
"$KGREC" serve "$T/catalog.snap" --listen 127.0.0.1:0 > "$T/open.log" 2>&1 &
OPEN_PID=$!
OPEN_PORT=
for _ in $(seq 100); do
	OPEN_PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/open.log" 2>/dev/null)
	[ -n "$OPEN_PORT" ] && break
	sleep 0.1
done
[ -n "$OPEN_PORT" ]; check "kgrec serve without a token started" $?

if ! command -v chromium > /dev/null && ! command -v chromium-browser > /dev/null; then
	echo "SKIP: chromium is not installed (scripts/install-deps.sh installs it)"
else
	timeout 120 python3 "$SRC/tests/console/console_test.py" "http://127.0.0.1:$PORT" \
		"$(cat "$T/token")" "$SRC" "http://127.0.0.1:$OPEN_PORT"
	check "console in headless Chromium" $?
fi
kill "$SERVER_PID"; wait "$SERVER_PID"
check "server stops cleanly" $?
SERVER_PID=
kill "$OPEN_PID"; wait "$OPEN_PID"
check "the server without a token stops cleanly" $?
OPEN_PID=
finish console
