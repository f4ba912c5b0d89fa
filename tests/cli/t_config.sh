#!/bin/bash
# `kgrec serve --config FILE`: a real server started from a configuration file on a free
# loopback port takes its settings (token, events log, SPARQL row limit, access log), flags
# beside --config win over the file, every option of `kgrec serve --help` is a key, and a bad
# file is refused with its file:line.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval
SRV=
on_exit '[ -n "$SRV" ] && kill $SRV 2>/dev/null && wait $SRV 2>/dev/null'
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?
echo "s3cret-token" > "$T/token"

cat > "$T/kgrec.conf" <<EOF
# a comment, then an empty line

store = $T/s.snap
listen = 127.0.0.1:0
   token-file   =   $T/token
events-log = $T/events.log
access-log = $T/access.log
sparql-max-rows = 2
threads = 2
strict-items = false
audit-fsync = true
timeout = 5000
EOF

# start OUT ARGS...: kgrec serve in the background (pid in SRV, port in PORT)
start() {
	local out=$1; shift
	"$KGREC" serve "$@" > "$T/$out.out" 2> "$T/$out.err" &
	SRV=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$T/$out.out" 2>/dev/null && break
		kill -0 $SRV 2>/dev/null || break
		sleep 0.05
	done
	PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/$out.out" | head -1)
}
stop() {
	kill $SRV 2>/dev/null && wait $SRV 2>/dev/null
	SRV=
}

start a --config "$T/kgrec.conf"
[ -n "$PORT" ]; check "a server started from the file alone ($(cat "$T/a.err"))" $?
U=http://127.0.0.1:$PORT
AUTH="Authorization: Bearer s3cret-token"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/status")
[ "$code" = 401 ]; check "token-file: a request without the token is refused (got $code)" $?
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$U/v1/status")
[ "$code" = 200 ]; check "token-file: the token is accepted (got $code)" $?
code=$(curl -s -o "$T/ev.json" -w '%{http_code}' -H "$AUTH" "$U/v1/events" \
	-d '{"user":"zed","item":"ball","action":"purchase","time":1717236000}')
[ "$code" = 200 ]; check "events-log: POST /v1/events accepted (got $code: $(cat "$T/ev.json"))" $?
grep -q '"user":"https://w3id.org/kgrec/user/zed"' "$T/events.log"
check "events-log: the batch is in the file the configuration names" $?
curl -s -D "$T/h.txt" -o /dev/null -H "$AUTH" "$U/sparql" \
	--data-urlencode 'query=SELECT ?s WHERE { ?s ?p ?o }'
grep -qi '^KGrec-Result-Limit: 2' "$T/h.txt"
check "sparql-max-rows: results cut at the file's 2 rows" $?
# the line is written once the reply has gone (MHD's completion callback): wait for it
for i in $(seq 1 50); do grep -q '"endpoint":"sparql"' "$T/access.log" 2>/dev/null && break; sleep 0.1; done
grep -q '"endpoint":"sparql"' "$T/access.log"
check "access-log: requests logged to the file's path" $?
stop

# the command line wins: another row limit, another token file, and the STORE operand
cp "$T/s.snap" "$T/other.snap"
echo "other-token" > "$T/token2"
start b "$T/other.snap" --config "$T/kgrec.conf" --sparql-max-rows 3 --token-file "$T/token2"
[ -n "$PORT" ]; check "a server from the file with flags beside it ($(cat "$T/b.err"))" $?
U=http://127.0.0.1:$PORT
curl -s -D "$T/h.txt" -o /dev/null -H "Authorization: Bearer other-token" "$U/sparql" \
	--data-urlencode 'query=SELECT ?s WHERE { ?s ?p ?o }'
grep -qi '^KGrec-Result-Limit: 3' "$T/h.txt"
check "--sparql-max-rows on the command line wins over the file" $?
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$U/v1/status")
[ "$code" = 401 ]; check "--token-file on the command line wins over the file (got $code)" $?
stop

# every option `kgrec serve --help` names is a key: switches with true, the others with a
# value (which may be refused as a value, never as an unknown key)
"$KGREC" serve --help > "$T/help.txt"
switches=$(sed -n 's/^  \(--[a-z][a-z0-9-]*\)  .*/\1/p' "$T/help.txt")
flags=$(grep -o -- '--[a-z][a-z0-9-]*' "$T/help.txt" | sort -u | grep -v -x -e --config -e --help)
n=0
for f in $flags; do
	v=1
	echo "$switches" | grep -q -x -- "$f" && v=true
	printf '%s = %s\n' "${f#--}" "$v" > "$T/one.conf"
	"$KGREC" serve --config "$T/one.conf" --listen 127.0.0.1:0 --help > /dev/null 2> "$T/one.err"
	grep -q -e 'unknown key' -e 'is a switch' "$T/one.err"
	[ $? -ne 0 ]; check "serve --help's $f is a key of the file ($(cat "$T/one.err"))" $? || continue
	n=$((n + 1))
done
[ "$n" -ge 25 ]; check "keys tried: $n of the options of serve --help" $?

# bad_file NAME LINE-TEXT... -- EXPECTED: the file is refused (exit 2) with EXPECTED
bad_file() {
	local name=$1; shift
	: > "$T/bad.conf"
	while [ "$1" != -- ]; do printf '%s\n' "$1" >> "$T/bad.conf"; shift; done
	shift
	"$KGREC" serve "$T/s.snap" --config "$T/bad.conf" > /dev/null 2> "$T/bad.err"
	r=$?
	[ $r -eq 2 ] && grep -q -F -- "$1" "$T/bad.err"
	check "$name: exit 2 and '$1' (got $r: $(cat "$T/bad.err"))" $?
}
bad_file "unknown key" "# x" "threads = 2" "thread = 2" -- "bad.conf:3: unknown key 'thread'"
bad_file "missing value" "listen = 127.0.0.1:0" "events-log =" -- "bad.conf:2: 'events-log' has no value"
bad_file "bad boolean" "strict-items = yes" -- "bad.conf:1: 'strict-items' is a switch: true or false, not 'yes'"
bad_file "key given twice" "threads = 2" "" "threads = 4" -- "bad.conf:3: 'threads' given twice (first on line 1)"
bad_file "not key = value" "listen 127.0.0.1:0" -- "bad.conf:1: expected 'key = value', got 'listen 127.0.0.1:0'"
bad_file "key with dashes" "--threads = 2" -- "bad.conf:1: key '--threads': write it without '--'"
bad_file "bad number" "" "threads = many" -- "bad.conf:2: serve: --threads expects a positive integer"
bad_file "bad LLM value" "mode = sideways" -- "bad.conf:1: --mode: unknown LLM mode 'sideways'"
bad_file "--config in the file" "config = other.conf" -- "bad.conf:1: unknown key 'config'"
"$KGREC" serve --config "$T/none.conf" 2> "$T/bad.err"
r=$?
[ $r -eq 1 ] && grep -q "none.conf: No such file or directory" "$T/bad.err"
check "a missing file: exit 1 naming it (got $r: $(cat "$T/bad.err"))" $?
"$KGREC" serve "$T/s.snap" --config "$T/kgrec.conf" --config "$T/kgrec.conf" 2> "$T/bad.err"
r=$?
[ $r -eq 2 ] && grep -q "config given twice" "$T/bad.err"
check "--config twice: exit 2 ($(cat "$T/bad.err"))" $?
# a value that reads "--config" stays its flag's value
"$KGREC" serve "$T/s.snap" --access-log --config --help > /dev/null 2> "$T/bad.err"
check "--access-log --config: a value, not a configuration file ($(cat "$T/bad.err"))" $?

finish config
