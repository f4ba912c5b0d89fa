#!/bin/bash
# A database that hangs rather than refuses (--events-timeout): a real PostgreSQL cluster
# (Debian's, in a temporary directory, as an unprivileged user) and two `kgrec serve --events
# URL --events-timeout 2000` on loopback. First a batch that waits for the events lock longer
# than the timeout is cancelled by the server's statement_timeout: 503 with Retry-After,
# nothing stored. Then PostgreSQL is frozen (SIGSTOP on the postmaster and its processes: the
# kernel still takes connections and data, nothing answers): a posted event is answered 503
# with Retry-After within the bound instead of hanging, recommendations go on, /readyz says
# degraded. Once resumed, the replicas say ready again, events are acknowledged, and every
# acknowledged event is one row of the table, applied once on each replica (an event answered
# 503 may have been stored, its reply lost: then it is one row too, applied like the others).
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval
. "$(dirname "$0")/pg_cluster.sh"
on_exit pg_thaw
"$KGREC" db init "$URL" > /dev/null; check "kgrec db init" $?
"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?

A_PID= B_PID= LOCK_PID=
on_exit 'for p in $A_PID $B_PID $LOCK_PID; do kill -9 $p 2>/dev/null; done'

# the option is checked: a timeout without a database, and a value that is no number
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --events-timeout 2000 > /dev/null 2> "$T/e1.err"
[ $? -ne 0 ] && grep -q "events timeout without an events database" "$T/e1.err"
check "--events-timeout without --events is refused" $? || cat "$T/e1.err" >&2
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --events "$URL" --events-timeout soon > /dev/null 2> "$T/e2.err"
[ $? -eq 2 ] && grep -q "events-timeout expects a positive integer" "$T/e2.err"
check "--events-timeout takes milliseconds" $? || cat "$T/e2.err" >&2

# A from a configuration file, B from flags
cat > "$T/kgrec.conf" <<CONF
store = $T/s.snap
events = $URL
events-timeout = 2000
CONF
start_replica A --config "$T/kgrec.conf"
start_replica B "$T/s.snap" --events "$URL" --events-timeout 2000
[ "$A" != "http://127.0.0.1:" ] && [ "$B" != "http://127.0.0.1:" ]
check "two replicas with --events-timeout (one from --config)" $? || cat "$T/A.err" "$T/B.err" >&2

# post REPLICA TIME: one event of its own time (each post has a time of its own); prints
# "CODE SECONDS" (code 503R: a 503 with Retry-After), notes it in $T/posts, its reply in
# $T/post.body
post() {
	local t0 t1 code
	t0=$(date +%s%N)
	code=$(curl -s -m 60 -o "$T/p$2.body" -D "$T/p$2.head" -w '%{http_code}' -X POST "$1/v1/events" \
		-d "{\"user\":\"u$(( $2 % 7 ))\",\"item\":\"https://w3id.org/kgrec/item/ball\",\"action\":\"purchase\",\"time\":$2}")
	t1=$(date +%s%N)
	[ "$code" = 503 ] && grep -qi '^retry-after:' "$T/p$2.head" && code=503R
	cp "$T/p$2.body" "$T/post.body" # the last one's, for the messages
	echo "$2 $code" >> "$T/posts"
	echo "$code $(( (t1 - t0) / 1000000000 ))"
}
rec_code() { curl -s -m 60 -o /dev/null -w '%{http_code}' -X POST "$1/v1/recommend" -d '{"user":"u1","k":3}'; }
ready() { curl -s -m 60 "$1/readyz" | grep -o '"status":"[a-z]*"' | cut -d'"' -f4; }
ready_is() { # REPLICA STATUS: within 30 s
	for _ in $(seq 300); do
		[ "$(ready "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
tm=1718300000
ok=0
for i in 1 2 3 4; do
	tm=$((tm + 1)); set -- $(post "$A" $tm); [ "$1" = 200 ] && ok=$((ok + 1))
	tm=$((tm + 1)); set -- $(post "$B" $tm); [ "$1" = 200 ] && ok=$((ok + 1))
done
[ "$ok" = 8 ]; check "events are acknowledged" $?

# a batch that waits for the events lock past the timeout: the server cancels it
psql "$URL" -qc "BEGIN; SELECT pg_advisory_xact_lock(1801938550); SELECT pg_sleep(6); COMMIT" > /dev/null &
LOCK_PID=$!
wait_advisory_lock
tm=$((tm + 1)); cancelled=$tm
set -- $(post "$A" $tm)
[ "$1" = 503R ] && [ "$2" -lt 5 ] && grep -q "statement timeout" "$T/post.body"
check "a batch held past the timeout by the lock: 503 with Retry-After in $2 s" $? || cat "$T/post.body" >&2
wait "$LOCK_PID"; LOCK_PID=
[ "$(sql "select count(*) from kgrec_events where at = $cancelled")" = 0 ]
check "... and it was not stored" $?
tm=$((tm + 1)); set -- $(post "$A" $tm)
[ "$1" = 200 ]; check "... the lock released, events are acknowledged again" $?

# the database hangs
pg_freeze
tm=$((tm + 1)); set -- $(post "$A" $tm)
[ "$1" = 503R ] && [ "$2" -lt 15 ]
check "database frozen: a posted event is answered 503 with Retry-After in $2 s, no hang" $? || cat "$T/post.body" >&2
grep -q "not acknowledged" "$T/post.body"; check "... saying it was not acknowledged" $? || cat "$T/post.body" >&2
ready_is "$A" degraded; check "... /readyz on A says degraded" $?
ready_is "$B" degraded; check "... and on B" $?
codes=
for i in 1 2 3 4 5 6; do
	codes="$codes$(rec_code "$A")$(rec_code "$B")"
done
[ "$codes" = "$(printf '200%.0s' $(seq 12))" ]; check "... recommendations go on ($codes)" $?
tm=$((tm + 1)); set -- $(post "$B" $tm)
[ "$1" = 503R ] && [ "$2" -lt 15 ]
check "... a second event, to B, also answered 503 in $2 s" $? || cat "$T/post.body" >&2
tm=$((tm + 1)); set -- $(post "$A" $tm)
[ "$1" = 503R ] && [ "$2" -lt 15 ]
check "... and one more to A, on a new connection, in $2 s" $? || cat "$T/post.body" >&2
# requests queued behind one that waits out the timeout do not each wait it out in turn
# (after the pause of a second that follows a failure: the first one tries again)
sleep 1.2
for i in $(seq 10); do
	( post "$A" $((tm + i)) > "$T/burst$i" ) &
done
wait_posts() { local j; for j in $(jobs -p); do case " $A_PID $B_PID " in *" $j "*) ;; *) wait "$j";; esac; done; }
wait_posts
tm=$((tm + 10))
burst=$(cat "$T"/burst* | tr '\n' ' ')
[ "$(cat "$T"/burst* | awk '$1 == "503R" && $2 < 15' | wc -l)" = 10 ]
check "... 10 events posted to A at once each answered 503 within 15 s ($burst)" $?
pg_thaw

ready_is "$A" ready && ready_is "$B" ready
check "database resumed: both replicas say ready again" $? || { curl -s "$A/readyz"; curl -s "$B/readyz"; } >&2
ok=0
for i in 1 2 3; do
	tm=$((tm + 1)); set -- $(post "$A" $tm); [ "$1" = 200 ] && ok=$((ok + 1))
	tm=$((tm + 1)); set -- $(post "$B" $tm); [ "$1" = 200 ] && ok=$((ok + 1))
done
[ "$ok" = 6 ]; check "... and acknowledge events again" $?

# every acknowledged event is one row; one answered 503 at most one
sql "select at, count(*) from kgrec_events group by at" > "$T/rows"
bad=$(awk 'NR == FNR { n[$1] = $2; next } { c = ($1 in n) ? n[$1] : 0
	if (($2 == 200 && c != 1) || ($2 != 200 && c > 1)) print $1, $2, c }' FS='|' "$T/rows" FS=' ' "$T/posts")
[ -z "$bad" ] && [ "$(grep -c " 200$" "$T/posts")" = 15 ]
check "every acknowledged event stored once, none answered 503 twice ($bad)" $?
# each replica holds every row of the table once
rows=$(sql "select count(*) from kgrec_events")
for r in A B; do
	eval "base=\$$r"
	for _ in $(seq 200); do
		[ "$(curl -s "$base/readyz" | grep -o '"live_events":[0-9]*' | cut -d: -f2)" = "$rows" ] && break
		sleep 0.1
	done
	live=$(curl -s "$base/readyz" | grep -o '"live_events":[0-9]*' | cut -d: -f2)
	[ "$live" = "$rows" ]; check "$r applied each of the $rows rows once (live events: $live)" $?
done
grep -q "events database: connection lost (no reply within 3000 ms); reconnecting" "$T/A.err"
check "the operator is told the listener got no reply in time" $? || cat "$T/A.err" >&2

kill "$A_PID" "$B_PID"; wait "$A_PID" "$B_PID" 2>/dev/null; A_PID= B_PID=
! grep -l "Sanitizer\|runtime error" "$T"/A.err "$T"/B.err; check "no sanitizer report from a replica" $?
finish t_pg_timeouts
