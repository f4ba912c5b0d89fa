#!/bin/bash
# The library's shape as the build enforces it: the shared library exports the public API
# and nothing else, and no folder of the library can include a header of a folder above it
# (or beside it) in the layering of docs/ARCHITECTURE.md. Run from the build directory.
. "$(dirname "$0")/../common/lib.sh"
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR is not set}
CC=${CC:-cc}

# --- exported symbols ---
so=$(ls libkgrec.so 2>/dev/null)
[ -n "$so" ]; check "libkgrec.so is in the build directory" $?
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort > "$T/exported.all"
# Functions of a dependency that kgrec replaces because the dependency's own are faulty: they
# must be exported, or the dependency keeps calling its own (docs/SPARQL.md, rasqal gaps).
INTERPOSED="rasqal_xsd_format_double rasqal_literal_cast rasqal_literal_equals_flags rasqal_literal_not_equals_flags rasqal_literal_add rasqal_literal_subtract rasqal_literal_multiply rasqal_literal_divide rasqal_expression_evaluate_replace rasqal_expression_evaluate_substr rasqal_expression_evaluate_set_case"
for f in $INTERPOSED; do
	grep -qx "$f" "$T/exported.all"; check "$f exported (it replaces the dependency's own)" $?
done
grep -vx -F "$(printf '%s\n' $INTERPOSED)" "$T/exported.all" > "$T/exported"
grep '^kgr__' "$T/exported" > "$T/internal"
[ ! -s "$T/internal" ]; r=$?; check "no kgr__ symbol exported ($(tr '\n' ' ' < "$T/internal"))" $r
grep -v '^kgr_' "$T/exported" > "$T/foreign"
[ ! -s "$T/foreign" ]; r=$?; check "only kgr_ symbols exported ($(tr '\n' ' ' < "$T/foreign"))" $r
# Every function marked KGR_API in the public headers is exported, and nothing else.
cat "$SRC"/include/kgrec/*.h | grep -o '^KGR_API [^(]*(' | sed 's/($//; s/.*[ *]//' | sort > "$T/declared"
[ "$(wc -l < "$T/declared")" -gt 100 ]; check "public declarations found" $?
diff "$T/declared" "$T/exported" > "$T/diff"; r=$?
check "exported symbols are the KGR_API declarations ($(tr '\n' ' ' < "$T/diff"))" $r

# --- layers: a header of a higher (or sibling) layer is not reachable from a lower one ---
order="util kg sparql retrieval ranker audit eval server"
set -- $order
i=0
for lower in $order; do
	i=$((i + 1))
	view=layers/$lower
	[ -d "$view" ]; check "the build made the include view of $lower" $?
	j=0
	for upper in $order; do
		j=$((j + 1))
		hdr=$(cd "$SRC" && ls "$upper"/*.h 2>/dev/null | head -1)
		[ -n "$hdr" ] || continue
		printf '#include "%s"\n' "$hdr" > "$T/probe.c"
		"$CC" -fsyntax-only -I"$view" -I"$SRC/include" $(pkg-config --cflags redland libcjson) \
			"$T/probe.c" > "$T/cc.txt" 2>&1
		rc=$?
		if [ $j -le $i ] && [ "$upper" != "eval" -o "$lower" = "eval" ]; then
			[ $rc -eq 0 ]; r=$?; check "$lower may include $hdr ($(head -3 "$T/cc.txt"))" $r
		else
			[ $rc -ne 0 ] && grep -q 'No such file' "$T/cc.txt"; r=$?
			check "$lower cannot include $hdr" $r
		fi
	done
done
# The command line sees the public headers only (and its own folder).
for upper in $order; do
	hdr=$(cd "$SRC" && ls "$upper"/*.h 2>/dev/null | head -1)
	[ -n "$hdr" ] || continue
	printf '#include "%s"\n' "$hdr" > "$T/probe.c"
	"$CC" -fsyntax-only -Ilayers/cli -I"$SRC/include" "$T/probe.c" > "$T/cc.txt" 2>&1
	[ $? -ne 0 ] && grep -q 'No such file' "$T/cc.txt"; r=$?
	check "cli cannot include $hdr" $r
done
(cd "$SRC" && grep -n '#include "' cli/*.c cli/*.h | grep -v '"cli/\|"kgrec/') > "$T/cli_inc"
[ ! -s "$T/cli_inc" ]; r=$?; check "cli includes kgrec/ and cli/ headers only ($(head -3 "$T/cli_inc"))" $r
# No relative include climbs out of a folder.
(cd "$SRC" && grep -n '#include "\.\./' util kg sparql retrieval ranker audit eval server cli -r) > "$T/climb"
[ ! -s "$T/climb" ]; r=$?; check "no #include \"../\" ($(head -3 "$T/climb"))" $r
# --- no function body over 120 lines (from "{" to "}" in column 0), in the library or the CLI ---
(cd "$SRC" && awk -v MAX=120 '
	FNR == 1 { sig = ""; start = 0 }
	/^[A-Za-z_].*\(/ { sig = $0 }
	/^\{$/ { start = FNR; name = sig; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name); next }
	/^\}/ && start { n = FNR - start + 1; if (n > MAX) printf "%s:%d %s (%d lines)\n", FILENAME, start, name, n; start = 0 }
	' util/*.c kg/*.c sparql/*.c retrieval/*.c ranker/*.c audit/*.c eval/*.c server/*.c cli/*.c) > "$T/long"
[ ! -s "$T/long" ]; r=$?; check "no function over 120 lines ($(tr '\n' ' ' < "$T/long"))" $r
(cd "$SRC" && awk 'FNR == 1 { start = 0 } /^\{$/ { start = 1 } /^\}/ && start { n++; start = 0 } END { print n + 0 }' \
	util/*.c kg/*.c sparql/*.c) > "$T/nfun"
[ "$(cat "$T/nfun")" -gt 300 ]; check "function bodies found by the length check ($(cat "$T/nfun"))" $?
finish t_shape
