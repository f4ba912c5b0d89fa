#!/bin/sh
# Page faults and the id set's fill: bench/sparql/idset_fill.sh BUILD [PAIRS] [MIB]
set -eu
BUILD=${1:?usage: idset_fill.sh BUILD [PAIRS] [MIB]}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$BUILD/idset_fill
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$SRC" -I"$SRC/include" \
	-o "$OUT" "$SRC/bench/sparql/idset_fill.c" "$BUILD/libkgrec.a" \
	$(pkg-config --libs redland raptor2 rasqal igraph libcurl libcjson libmicrohttpd zlib) -lpthread -lm
"$OUT" "${2:-80000}" "${3:-64}"
