#!/bin/sh
# Per-query cost of the query child process: bench/sparql/fork_overhead.sh BUILD STORE.kgr 'QUERY' [N]
set -eu
BUILD=${1:?usage: fork_overhead.sh BUILD STORE.kgr QUERY [N]}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$BUILD/fork_overhead
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$SRC" -I"$SRC/include" \
	$(pkg-config --cflags redland) -o "$OUT" "$SRC/bench/sparql/fork_overhead.c" "$BUILD/libkgrec.a" \
	$(pkg-config --libs redland raptor2 rasqal igraph libcurl libcjson libmicrohttpd zlib) -lpthread -lm
"$OUT" "$2" "$3" "${4:-50}"
