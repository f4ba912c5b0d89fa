#!/bin/bash
# Replicas on a shared events log in PostgreSQL: a real PostgreSQL cluster (Debian's, in a
# temporary directory, as an unprivileged user) and two `kgrec serve --events URL` on
# loopback. An event posted to one replica is applied on the other; a replica killed with -9
# under a stream of events loses no acknowledged event and catches up when restarted; with
# the database down, events get 503 with Retry-After, recommendations go on, /readyz says
# degraded, and events are taken again once it is back.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval
. "$(dirname "$0")/pg_cluster.sh"

"$KGREC" db init "$URL" > "$T/init.out"; check "kgrec db init" $?
"$KGREC" db init "$URL" > "$T/init2.out" 2>&1; check "kgrec db init again: nothing to do" $?
[ ! -s "$T/init2.out" ] || grep -qv NOTICE "$T/init2.out"; check "... and no server notice printed" $?
"$KGREC" db init "postgresql://kgrec:s3cret@127.0.0.1:1/postgres?connect_timeout=2" 2> "$T/bad.err"
[ $? -eq 1 ] && grep -q "events database postgresql://kgrec:\*\*\*@127.0.0.1:1/postgres" "$T/bad.err" &&
	! grep -q s3cret "$T/bad.err"
check "an unreachable database is named, without its password" $? || cat "$T/bad.err" >&2
"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?

A_PID= B_PID=
on_exit '[ -n "$A_PID" ] && kill -9 $A_PID 2>/dev/null; [ -n "$B_PID" ] && kill -9 $B_PID 2>/dev/null'
start_replica A "$T/s.snap" --events "$URL"
start_replica B "$T/s.snap" --events "$URL"
post() { curl -s -o "$T/post.body" -D "$T/post.head" -w '%{http_code}' -X POST "$1/v1/events" -d "$2"; }
rec() { curl -s -X POST "$1/v1/recommend" -d "{\"user\":\"$2\",\"k\":3}"; }
# known REPLICA USER: within 20 s (a loaded machine) the replica recommends for the user
# from their history
known() {
	for _ in $(seq 400); do
		rec "$1" "$2" | grep -q '"cold_start":false' && return 0
		sleep 0.05
	done
	return 1
}

# one event to A is applied on B
code=$(post "$A" '{"user":"pg1","item":"https://w3id.org/kgrec/item/ball","action":"purchase","time":1718000000}')
[ "$code" = 200 ] && grep -q '"accepted":1' "$T/post.body"; check "A acknowledges the event" $?
known "$B" pg1; check "B recommends for the user A was told about" $?
rec "$A" pg1 | grep -q '"cold_start":false'; check "A sees its own event at once" $?
applied() { curl -s "$1/metrics" | awk '/^kgrec_events_applied_total/ {print $2}'; }
sleep 1.2 # past A's listener's next round, which reads the event back
[ "$(applied "$A")" = 1 ] && [ "$(applied "$B")" = 1 ]
r=$?; check "the event is applied once on each replica (A: $(applied "$A"), B: $(applied "$B"))" $r
[ "$(sql "select count(*) from kgrec_events")" = 1 ]; check "one row in the table" $?
code=$(post "$A" '{"user":"pg0","item":"SKU'"'"'); DROP TABLE kgrec_events; --\\\\x"}')
[ "$code" = 200 ] && [ "$(sql "select item from kgrec_events where user_iri like '%/pg0'")" = "SKU'); DROP TABLE kgrec_events; --\\\\x" ]
check "an id with quotes and backslashes is stored as written" $?
sql "delete from kgrec_events where user_iri like '%/pg0'"

# a stream of events to A, kill -9 in the middle: every acknowledged event is in the table,
# and the restarted replica applies every one of them
python3 - "$A" > "$T/acked.txt" <<'PY' &
import sys, urllib.request
base = sys.argv[1]
for i in range(400):
    body = ('{"user":"stream%d","item":"https://w3id.org/kgrec/item/ball","time":%d}' % (i, 1718000100 + i)).encode()
    try:
        r = urllib.request.urlopen(urllib.request.Request(base + "/v1/events", body), timeout=5)
        if r.status == 200:
            print(i, flush=True)
    except Exception:
        break
PY
STREAM=$!
for _ in $(seq 400); do [ "$(wc -l < "$T/acked.txt")" -ge 20 ] && break; sleep 0.05; done
kill -9 "$A_PID"; wait "$A_PID" 2>/dev/null; A_PID=
wait "$STREAM"
acked=$(wc -l < "$T/acked.txt")
[ "$acked" -ge 20 ]; check "events were acknowledged before the kill ($acked)" $?
missing=0
while read -r i; do
	[ "$(sql "select count(*) from kgrec_events where user_iri = 'https://w3id.org/kgrec/user/stream$i'")" = 1 ] || missing=$((missing + 1))
done < "$T/acked.txt"
[ "$missing" -eq 0 ]; check "every acknowledged event is in the table ($missing missing)" $?
rows=$(sql "select count(*) from kgrec_events")
start_replica A "$T/s.snap" --events "$URL"
curl -s "$A/readyz" > "$T/ready.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replay"]; sys.exit(0 if r["events"]==int(sys.argv[2]) and r["applied"]==int(sys.argv[2]) else 1)' "$T/ready.json" "$rows"
check "the restarted replica replays all $rows events" $? || cat "$T/ready.json" >&2
last=$(tail -1 "$T/acked.txt")
known "$B" "stream$last"; check "B has the last acknowledged event too" $?

# the database goes away: events 503 with Retry-After, recommendations go on
pg_stop
code=$(post "$B" '{"user":"pg2","item":"https://w3id.org/kgrec/item/ball"}')
[ "$code" = 503 ] && grep -qi '^Retry-After: 1' "$T/post.head" && grep -q '"events_unavailable"' "$T/post.body"
check "no database: 503 with Retry-After, nothing acknowledged" $?
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/v1/recommend" -d '{"user":"pg1","k":3}')" = 200 ]
check "no database: recommendations still answered" $?
readyz_says() { # REPLICA STATUS: within 30 s (the listener reconnects within 5 s)
	for _ in $(seq 300); do
		curl -s "$1/readyz" | grep -q "\"status\":\"$2\"" && return 0
		sleep 0.1
	done
	return 1
}
readyz_says "$B" degraded; check "no database: /readyz says degraded" $?
pg_start; check "PostgreSQL started again" $?
ok=1
for _ in $(seq 100); do
	[ "$(post "$B" '{"user":"pg3","item":"https://w3id.org/kgrec/item/ball","time":1718009999}')" = 200 ] && { ok=0; break; }
	sleep 0.1
done
check "the database back: events acknowledged again" $ok
known "$A" pg3; check "... and applied on the other replica" $?
readyz_says "$B" ready; check "/readyz ready again" $?

# compaction from the database, and both replicas moved to the new snapshot: every event in
# it once, the replicas read only the events after its mark, and go on applying new ones
post "$A" '{"user":"pg4","item":"SKU-NOT-YET","time":1718010000}' > /dev/null
grep -q '"pending":1' "$T/post.body"; check "an event for a product not in the catalog waits" $?
rows=$(sql "select count(*) from kgrec_events")
before=$("$KGREC" stats "$T/s.snap" | awk '/^interactions/ {print $2}')
"$KGREC" compact "$T/s.snap" --events "$URL" -o "$T/next.snap" > "$T/compact.out"
check "kgrec compact --events" $?
grep -q "with $((rows - 1)) new events from the events database" "$T/compact.out" &&
	grep -q "1 events left out" "$T/compact.out" && ! grep -q "kgrec@" "$T/compact.out"
check "... takes every event but the waiting one, and prints no connection string" $? || cat "$T/compact.out" >&2
after=$("$KGREC" stats "$T/next.snap" | awk '/^interactions/ {print $2}')
[ "$after" -eq $((before + rows - 1)) ]; check "the new snapshot holds each event once ($before + $((rows - 1)) = $after)" $?
"$KGREC" query "$T/next.snap" "SELECT ?n WHERE { <urn:kgrec:events-database> <https://w3id.org/kgrec/ns#eventsThrough> ?n }" > "$T/mark.txt"
mark=$(( $(sql "select id from kgrec_events where item = 'SKU-NOT-YET'") - 1 ))
grep -qw "$mark" "$T/mark.txt" && [ "$(grep -c '[0-9]' "$T/mark.txt")" -eq 1 ]
check "its mark stops below the waiting event" $? || cat "$T/mark.txt" >&2
mv "$T/next.snap" "$T/s.snap"
reload_replicas "$A" "$B"
curl -s "$A/readyz" > "$T/ready.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replay"]; sys.exit(0 if r["events"]==1 and r["applied"]==0 and r["skipped"]==1 else 1)' "$T/ready.json"
check "after the move, a replica reads only the events after the mark" $? || cat "$T/ready.json" >&2
rec "$B" pg1 | grep -q '"cold_start":false'; check "events in the snapshot still count" $?
code=$(post "$B" '{"user":"pg5","item":"https://w3id.org/kgrec/item/ball","time":1718010001}')
known "$A" pg5; seen=$?
[ "$code" = 200 ]; check "after the move, events are acknowledged" $?
check "... and applied on the other replica" $seen

kill "$A_PID" "$B_PID"; wait "$A_PID" "$B_PID" 2>/dev/null; A_PID= B_PID=
# under make check-asan and check-tsan the replicas are sanitizer builds: they reported nothing
! grep -l "Sanitizer\|runtime error" "$T"/A.err "$T"/B.err; check "no sanitizer report from a replica" $?
finish t_pg_events
