#!/bin/bash
# kgrec load / stats / export from the command line: good input, bad input, the previous
# snapshot never damaged.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/kg

"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/interactions.csv" \
	--user-base http://shop.example.org/user/ --item-base http://shop.example.org/ -o "$T/s.snap"
check "load good input" $?
sum=$(sha256sum "$T/s.snap")

"$KGREC" stats "$T/s.snap" > "$T/stats.txt"
check "stats runs" $?
# The bytes of this snapshot, as the code before finalize merged the inferred quads into the
# sorted arrays (77a9849) wrote them: a change of speed must not change the file.
grep -q '(checksum d86de6dae0005185)$' "$T/stats.txt"; check "snapshot bytes unchanged ($(head -n 1 "$T/stats.txt"))" $?
grep -q '^users         3$' "$T/stats.txt"; check "stats: 3 users" $?
grep -q '^interactions  6$' "$T/stats.txt"; check "stats: 6 interactions" $?
grep -q 'http://schema.org/Product' "$T/stats.txt"; check "stats: classes listed" $?
"$KGREC" stats --json "$T/s.snap" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["users"]==3 and d["items"]==4' 
check "stats --json is JSON" $?

for bad in syntax-error.nt:3 unknown-prefix.ttl:3 invalid-iri.nt:2 truncated.ttl.gz; do
	f=${bad%%:*}
	"$KGREC" load -q "$D/$f" -o "$T/s.snap" 2> "$T/err.txt"
	rc=$?
	[ $rc -ne 0 ]; check "$f: non-zero exit" $?
	grep -q "$bad" "$T/err.txt"; r=$?; check "$f: message names $bad ($(cat "$T/err.txt"))" $r
	[ "$(sha256sum "$T/s.snap")" = "$sum" ]; check "$f: previous snapshot unchanged" $?
done
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/bad-timestamp.csv" -o "$T/s.snap" 2> "$T/err.txt"
[ $? -ne 0 ] && grep -q 'bad-timestamp.csv:3: unparseable timestamp' "$T/err.txt"
check "bad timestamp names the line" $?
[ "$(sha256sum "$T/s.snap")" = "$sum" ]; check "bad csv: previous snapshot unchanged" $?
"$KGREC" load -q "$D/catalog.ttl" --interactions "$D/bad-timestamp.csv" --skip-bad-rows -o "$T/skip.snap" 2> "$T/err.txt"
check "--skip-bad-rows loads" $?
grep -q 'skipped 1 malformed rows' "$T/err.txt"; check "--skip-bad-rows counts" $?
ls "$T" | grep -q tmp; [ $? -ne 0 ]; check "no temporary files left behind" $?

# round trip through export
"$KGREC" export "$T/s.snap" --format ntriples > "$T/out.nt"; check "export ntriples" $?
"$KGREC" export "$T/s.snap" --format turtle > "$T/out.ttl"; check "export turtle" $?
if [ -w /dev/full ]; then
	"$KGREC" export "$T/s.snap" -o /dev/full 2> "$T/err.txt"
	[ $? -eq 1 ] && grep -q "export: /dev/full: write failed" "$T/err.txt"
	r=$?; check "export to a full device: exit 1, file named ($(cat "$T/err.txt"))" $r
fi
"$KGREC" export "$T/s.snap" -o "$T/no/such/dir/out.ttl" 2> "$T/err.txt"
[ $? -eq 1 ] && grep -q "cannot write $T/no/such/dir/out.ttl: No such file or directory" "$T/err.txt"
r=$?; check "export into a missing directory: exit 1, reason given ($(cat "$T/err.txt"))" $r
rapper -q -i turtle -c "$T/out.ttl" 2>/dev/null; check "exported turtle parses with rapper" $?
"$KGREC" load -q "$T/out.ttl" -o "$T/again.snap"; check "reload export" $?
a=$("$KGREC" stats "$T/s.snap" | grep -E '^(triples|users|items|interactions)')
b=$("$KGREC" stats "$T/again.snap" | grep -E '^(triples|users|items|interactions)')
[ "$a" = "$b" ]; check "export + reload: same counts ($a / $b)" $?

# snapshot damage through the CLI
cp "$T/s.snap" "$T/trunc.snap"; truncate -s 1000 "$T/trunc.snap"
"$KGREC" stats "$T/trunc.snap" 2> "$T/err.txt"; [ $? -ne 0 ] && grep -q 'truncated' "$T/err.txt"
check "truncated snapshot refused" $?
"$KGREC" load 2>/dev/null; [ $? -eq 2 ]; check "usage error exits 2" $?

# a language tag of 1,000 characters: raptor's Turtle lexer would overflow its heap on it
tag=$(printf 'a%.0s' $(seq 1000))
for ext in ttl trig nt; do
	if [ $ext = nt ]; then
		printf '<http://a/s> <http://a/p> "x"@%s .\n' "$tag" > "$T/longtag.$ext"
		where=1:31
	else
		printf '@prefix ex: <http://a/> .\nex:s ex:p "ok"@en ,\n  "x"@%s .\n' "$tag" > "$T/longtag.$ext"
		where=3:7
	fi
	"$KGREC" load -q "$T/longtag.$ext" -o "$T/s.snap" 2> "$T/err.txt"
	[ $? -eq 1 ]; check "$ext: 1,000-character language tag refused" $?
	grep -q "longtag.$ext:$where: language tag longer than 64 characters" "$T/err.txt"
	check "$ext: message names the file, line and column ($(cat "$T/err.txt"))" $?
	[ "$(sha256sum "$T/s.snap")" = "$sum" ]; check "$ext: previous snapshot unchanged" $?
done

# N-Triples parsed on several threads (docs/STORE.md, Ingest): the same snapshot, byte for
# byte, for any --threads, plain or gzip; a text of several 1 MiB pieces
awk 'BEGIN { for (i = 0; i < 40000; i++) {
	printf "<http://t.example/s%d> <http://t.example/p%d> \"v %d\"@en .\n", int(i / 5), i % 7, i % 900
	printf "_:b%d <http://t.example/q> <http://t.example/s%d> .\n", i % 3000, (i * 13) % 8000 } }' > "$T/many.nt"
gzip -c "$T/many.nt" > "$T/many.nt.gz"
for t in 1 2 3; do
	"$KGREC" load -q --threads $t "$T/many.nt" -o "$T/many$t.snap"; check "load --threads $t" $?
done
"$KGREC" load -q --threads 2 "$T/many.nt.gz" -o "$T/manygz.snap"; check "load --threads 2 of gzip input" $?
cmp -s "$T/many1.snap" "$T/many2.snap" && cmp -s "$T/many1.snap" "$T/many3.snap" && cmp -s "$T/many1.snap" "$T/manygz.snap"
check "the same snapshot for 1, 2 and 3 threads and for gzip input" $?
"$KGREC" load -q --threads 0 "$T/many.nt" -o "$T/x.snap" 2> "$T/err.txt"
[ $? -eq 2 ] && grep -q "threads takes a whole number from 1 to 64, not '0'" "$T/err.txt"
check "--threads 0 refused ($(cat "$T/err.txt"))" $?

# an empty dataset is a valid store: it loads (with a warning) and answers with nothing
: > "$T/empty.ttl"
printf '@prefix ex: <http://a/> .\n# nothing else\n' > "$T/prefixes.ttl"
"$KGREC" load -q --no-ontology "$T/empty.ttl" "$T/prefixes.ttl" -o "$T/empty.snap" 2> "$T/err.txt"
check "an empty file loads ($(cat "$T/err.txt"))" $?
grep -q "warning: $T/empty.ttl: no triples" "$T/err.txt"; check "a file without triples is named" $?
[ "$("$KGREC" stats "$T/empty.snap" | grep -E '^triples' | tr -s ' ')" = "triples 0" ]
check "the empty store has no triples ($("$KGREC" stats "$T/empty.snap" | grep -E '^triples'))" $?
out=$("$KGREC" query "$T/empty.snap" 'SELECT ?s ?p ?o WHERE { ?s ?p ?o }' --format csv)
r=$?; [ $r -eq 0 ] && [ "$out" = "$(printf 's,p,o\r')" ]; check "querying the empty store: no rows ($out)" $?
out=$("$KGREC" query "$T/empty.snap" 'ASK { ?s ?p ?o }' --format csv)
r=$?; [ $r -eq 0 ] && [ "$out" = "$(printf '_askResult\r\nfalse\r')" ]; check "ASK on the empty store is false ($out)" $?

finish
