#!/bin/sh
# The demo: load the example catalog and interaction log, show what is in it, ask it questions.
set -e
KGREC=${1:-build/kgrec}
HERE=$(dirname "$0")
"$KGREC" --version

# Explained recommendations from the graph alone (no LLM): a small sports shop.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$KGREC" load -q "$HERE/shop/catalog.ttl" --interactions "$HERE/shop/interactions.csv" -o "$T/shop.kgr"
for user in alice dave; do
	echo
	"$KGREC" recommend "$T/shop.kgr" --user "$user" -k 3 --explain
done
echo
"$KGREC" recommend "$T/shop.kgr" --query "goalkeeper" -k 2 --explain
echo
"$KGREC" similar "$T/shop.kgr" --item racket -k 2
echo
"$KGREC" explain "$T/shop.kgr" --user alice --item boots
