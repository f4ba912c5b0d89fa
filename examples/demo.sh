#!/bin/sh
# The demo: load the example catalog and interaction log, show what is in it, ask it questions.
set -e
KGREC=${1:-build/kgrec}
HERE=$(dirname "$0")
"$KGREC" --version
