#!/bin/bash
# Screenshots of the web console for docs/CONSOLE.md: loads the example catalog, starts
# `kgrec serve` on loopback with a token (and the tests' scripted LLM server as its LLM), and
# has headless Chromium take each view.
#   scripts/console-screenshots.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, docs/console)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
OUT=${2:-$ROOT/docs/console}
KGREC=$BUILD/kgrec
TMP=$(mktemp -d)
PID=
LLM_PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$LLM_PID" ] && kill "$LLM_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

"$KGREC" load -q "$ROOT/examples/catalog.ttl" --interactions "$ROOT/examples/interactions.csv" \
	--user-base https://shop.example.org/user/ --item-base https://shop.example.org/product/ \
	-o "$TMP/catalog.snap"
echo "screenshot-token" > "$TMP/token"
# the scripted chat-completions server of the tests stands in for an LLM
python3 "$ROOT/tests/llm/fake_openai.py" > "$TMP/llm_port" &
LLM_PID=$!
for _ in $(seq 50); do [ -s "$TMP/llm_port" ] && break; sleep 0.1; done
"$KGREC" serve "$TMP/catalog.snap" --listen 127.0.0.1:0 --token-file "$TMP/token" \
	--events-log "$TMP/events.log" --llm --llm-url "http://127.0.0.1:$(head -1 "$TMP/llm_port")/v1" \
	--llm-model good/demo --no-cache > "$TMP/serve.log" 2>&1 &
PID=$!
PORT=
for _ in $(seq 100); do
	PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/serve.log" 2>/dev/null || true)
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ] || { cat "$TMP/serve.log" >&2; exit 1; }
python3 "$ROOT/tests/console/screenshots.py" "http://127.0.0.1:$PORT" "$(cat "$TMP/token")" "$OUT"
