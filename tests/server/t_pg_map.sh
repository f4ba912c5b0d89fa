#!/bin/bash
# The shop's own events table as the shared events log (--events-table, --events-columns):
# a real PostgreSQL cluster (Debian's, in a temporary directory, as an unprivileged user), a
# table shaped like a shop's with its own column names, `kgrec db init` installing its
# trigger, and two replicas on loopback. Rows the shop's applications insert with psql
# reach both replicas (their SKUs matched to the catalog, an unknown one waiting), an event
# posted to a replica lands in the shop's columns, many concurrent inserts are all applied,
# compaction reads the table, and a wrong column name or type is a clear error at start. An
# action map (--action-map) maps the shop's own action names for the rows read, the events
# posted and compaction.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval
. "$(dirname "$0")/pg_cluster.sh"

# the shop's table, written by the shop's own applications
sql "CREATE SCHEMA shop; CREATE TABLE shop.events (event_id bigserial PRIMARY KEY,
	customer text NOT NULL, sku text NOT NULL, event_name text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(), qty int, note text, channel text NOT NULL DEFAULT 'web')"
check "the shop's events table" $?
COLS="id=event_id, user=customer,item=sku,action=event_name,time=created_at,weight=qty"
MAP=(--events-table shop.events --events-columns "$COLS")

# a catalog whose products have SKUs
"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/base.snap"
cat > "$T/skus.nt" <<'NT'
<https://w3id.org/kgrec/item/ball> <http://schema.org/sku> "SKU-BALL" .
<https://w3id.org/kgrec/item/gloves> <http://schema.org/sku> "SKU-GLOVES" .
<https://w3id.org/kgrec/item/racket> <http://schema.org/sku> "SKU-RACKET" .
NT
"$KGREC" load -q "$D/shop.ttl" "$T/skus.nt" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop with SKUs" $?

# clear errors: a missing column, a column of an unusable type, an integer time without its
# unit, a missing table; the password of the connection string never shown
PWURL="postgresql://kgrec:s3cret@127.0.0.1:$PGPORT/postgres?connect_timeout=2"
"$KGREC" db init "$PWURL" --events-table shop.events --events-columns "${COLS/customer/custmer}" 2> "$T/e1.err"
[ $? -eq 1 ] && grep -q 'events table shop.events: no column "custmer" (user=custmer); its columns: event_id, customer' "$T/e1.err" &&
	! grep -q s3cret "$T/e1.err"
check "db init: a wrong column name is named, with the table's columns" $? || cat "$T/e1.err" >&2
"$KGREC" db init "$URL" --events-table shop.events --events-columns "${COLS/created_at/note}" 2> "$T/e2.err"
[ $? -eq 1 ] && grep -q "events table shop.events: column note (time) is of type text: the time column is timestamptz, timestamp, or bigint" "$T/e2.err"
check "db init: a column of an unusable type is named with the type found" $? || cat "$T/e2.err" >&2
"$KGREC" db init "$URL" --events-table shop.evnts 2> "$T/e3.err"
[ $? -eq 1 ] && grep -q "events table shop.evnts: no such table" "$T/e3.err"
check "db init: a missing table is named" $? || cat "$T/e3.err" >&2
[ "$(sql "select count(*) from pg_trigger where tgname = 'kgrec_events_notify'")" = 0 ]
check "... and the failures installed nothing" $?
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --events "$PWURL" "${MAP[@]}" > /dev/null 2> "$T/e4.err"
[ $? -ne 0 ] && grep -q "events table shop.events: it has no kgrec trigger" "$T/e4.err" && grep -q "kgrec db init" "$T/e4.err" &&
	! grep -q s3cret "$T/e4.err"
check "serve before db init: the missing trigger is named" $? || cat "$T/e4.err" >&2

"$KGREC" db init "$URL" "${MAP[@]}" > "$T/init.out"; check "kgrec db init with the mapping" $? || cat "$T/init.out" >&2
"$KGREC" db init "$URL" "${MAP[@]}" > "$T/init2.out" 2>&1; check "kgrec db init with the mapping again" $?
! grep -q NOTICE "$T/init2.out"; check "... and no server notice printed" $?
[ "$(sql "select count(*) from pg_trigger where tgrelid = 'shop.events'::regclass and not tgisinternal")" = 1 ]
check "one trigger on the shop's table" $?
[ -z "$(sql "select to_regclass('kgrec_events')")" ]; check "no kgrec_events table made" $?

"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --events "$URL" --events-table shop.events \
	--events-columns "${COLS/created_at/note}" > /dev/null 2> "$T/e5.err"
[ $? -ne 0 ] && grep -q "column note (time) is of type text" "$T/e5.err"
check "serve: a column of an unusable type is named at start" $? || cat "$T/e5.err" >&2
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --events "$URL" --events-table shop.events \
	--events-columns "${COLS/event_name/event}" > /dev/null 2> "$T/e6.err"
[ $? -ne 0 ] && grep -q 'no column "event" (action=event)' "$T/e6.err"
check "serve: a wrong column name is named at start" $? || cat "$T/e6.err" >&2

A_PID= B_PID= C_PID= D_PID=
on_exit 'for p in $A_PID $B_PID $C_PID $D_PID; do kill -9 $p 2>/dev/null; done'
# A from a configuration file, B from flags
cat > "$T/kgrec.conf" <<CONF
store = $T/s.snap
events = $URL
events-table = shop.events
events-columns = $COLS
CONF
start_replica A --config "$T/kgrec.conf"
start_replica B "$T/s.snap" --events "$URL" "${MAP[@]}"
[ "$A" != "http://127.0.0.1:" ] && [ "$B" != "http://127.0.0.1:" ]
check "two replicas on the shop's table (one from --config)" $? || cat "$T/A.err" "$T/B.err" >&2

post() { curl -s -o "$T/post.body" -D "$T/post.head" -w '%{http_code}' -X POST "$1/v1/events" -d "$2"; }
rec() { curl -s -X POST "$1/v1/recommend" -d "{\"user\":\"$2\",\"k\":3}"; }
known() { # REPLICA USER: within 20 s the replica recommends for the user from their history
	for _ in $(seq 400); do
		rec "$1" "$2" | grep -q '"cold_start":false' && return 0
		sleep 0.05
	done
	return 1
}
metric() { curl -s "$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
metric_is() { # REPLICA METRIC VALUE: within 20 s
	for _ in $(seq 200); do
		[ "$(metric "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# the shop's application inserts rows
sql "INSERT INTO shop.events (customer, sku, event_name, qty) VALUES ('shopper1', 'SKU-BALL', 'purchase', 1)"
known "$A" shopper1; check "a row the shop inserted reaches A" $?
known "$B" shopper1; check "... and B" $?
rec "$B" shopper1 > "$T/rec1.json"
! grep -q '"https://w3id.org/kgrec/item/ball"' "$T/rec1.json"
check "... its SKU matched to the catalog's ball (bought, so not recommended)" $? || cat "$T/rec1.json" >&2
sql "INSERT INTO shop.events (customer, sku, event_name, created_at) VALUES
	('shopper2', 'SKU-GLOVES', 'Product Added', '2024-06-01 10:00:00+00'),
	('shopper2', 'SKU-NEW-1', 'purchase', now()),
	('shopper3', 'SKU-GLOVES', 'page_scrolled', now()),
	('shopper3', 'SKU-GLOVES', 'refund', now())"
known "$B" shopper2; check "a multi-row insert reaches B" $?
metric_is "$A" kgrec_events_ignored_total 2 && metric_is "$B" kgrec_events_ignored_total 2
check "rows with an unknown action and a refund are passed over and counted on both replicas" $?
grep -q "rows of shop.events passed over, taken for no event (row [0-9]*: unknown action 'page_scrolled')" "$T/B.err"
check "... and the operator is told which" $? || cat "$T/B.err" >&2

# an event posted to A lands in the shop's columns, and reaches B
code=$(post "$A" '{"user":"poster1","item":"SKU-RACKET","action":"add_to_cart","time":1718000000,"weight":2}')
[ "$code" = 200 ] && grep -q '"accepted":1' "$T/post.body"; check "A acknowledges a posted event" $? || cat "$T/post.body" >&2
[ "$(sql "select customer, sku, event_name, extract(epoch from created_at)::bigint, qty, channel from shop.events where customer = 'poster1'")" = "poster1|SKU-RACKET|add_to_cart|1718000000|2|web" ]
check "... stored in the shop's columns as the client named it" $? || sql "select * from shop.events" >&2
known "$B" poster1; check "... and applied on B" $?
code=$(post "$A" '{"user":"poster3","item":"SKU-BALL","weight":2.5}')
[ "$code" = 400 ] && grep -q '"weight_not_stored"' "$T/post.body" && grep -q 'holds integers' "$T/post.body"
check "a weight with a fraction for an integer weight column is refused" $? || cat "$T/post.body" >&2
code=$(post "$A" '{"user":"quoter","item":"SKU'"'"'); DROP TABLE shop.events; --\\x"}')
[ "$code" = 200 ] && [ "$(sql "select sku from shop.events where customer = 'quoter'")" = "SKU'); DROP TABLE shop.events; --\\x" ]
check "names with quotes and backslashes are stored as written" $? || cat "$T/post.body" >&2
sql "DELETE FROM shop.events WHERE customer = 'quoter'"
code=$(post "$A" '{"user":"poster2","item":"SKU-NEW-2"}')
[ "$code" = 200 ] && grep -q '"pending":1' "$T/post.body"; check "an unknown SKU posted waits, as with kgrec's own table" $?

# many writers at once: ids follow commit order (the trigger's lock), so no replica's cursor
# passes a row committed late
for w in 1 2 3 4; do
	( for i in $(seq 25); do
		echo "INSERT INTO shop.events (customer, sku, event_name) VALUES ('burst$w-$i', 'SKU-BALL', 'view');"
	done | psql "$URL" -q > /dev/null ) &
done
wait_writers() { local j; for j in $(jobs -p); do case " $A_PID $B_PID " in *" $j "*) ;; *) wait "$j";; esac; done; }
wait_writers
# every row applied on B: the shop's 2 usable rows, A's 1 matched post, 100 burst rows
metric_is "$B" kgrec_events_applied_total 103
r=$?; check "B applied every row of 4 concurrent writers (applied: $(metric "$B" kgrec_events_applied_total))" $r
metric_is "$A" kgrec_events_applied_total 103
r=$?; check "... and so did A (applied: $(metric "$A" kgrec_events_applied_total))" $r

# the trigger's lock comes before the id: an insert that waits for another's commit has not
# taken its id yet (so it cannot commit below an id a replica has read)
psql "$URL" -qc "BEGIN; INSERT INTO shop.events (customer, sku, event_name) VALUES ('slow', 'SKU-BALL', 'view'); SELECT pg_sleep(3); COMMIT" > /dev/null &
SLOW=$!
wait_advisory_lock
seq_before=$(sql "select last_value from shop.events_event_id_seq")
psql "$URL" -qc "SET lock_timeout = '300ms'; INSERT INTO shop.events (customer, sku, event_name) VALUES ('blocked', 'SKU-BALL', 'view')" 2> "$T/blocked.err"
blocked=$?
seq_after=$(sql "select last_value from shop.events_event_id_seq")
[ "$blocked" -ne 0 ] && grep -q "lock timeout" "$T/blocked.err" && [ "$seq_before" = "$seq_after" ]
check "a second insert waits for the first's commit before it takes an id ($seq_before, $seq_after)" $? || cat "$T/blocked.err" >&2
wait "$SLOW"
known "$B" slow; check "... and the first one is applied once committed" $?
# a lost notification: the cursor still finds the row (the listener reads once a second)
sql "ALTER TABLE shop.events DISABLE TRIGGER kgrec_events_notify;
	INSERT INTO shop.events (customer, sku, event_name) VALUES ('unnotified', 'SKU-BALL', 'view');
	ALTER TABLE shop.events ENABLE TRIGGER kgrec_events_notify"
known "$A" unnotified && known "$B" unnotified; check "a row inserted without a notification reaches both replicas" $?

# a table with an integer time in milliseconds and no weight column
# (and a column whose name needs quoting)
sql "CREATE TABLE shop.clicks (id bigint GENERATED ALWAYS AS IDENTITY, who text NOT NULL, what text NOT NULL,
	\"Kind \"\"of\"\"\" text NOT NULL, ts_ms bigint NOT NULL)"
CMAP=(--events-table shop.clicks --events-columns 'user=who,item=what,action=Kind "of",time=ts_ms')
"$KGREC" db init "$URL" "${CMAP[@]}" 2> "$T/e7.err"
[ $? -eq 1 ] && grep -q "column ts_ms (time) is of type bigint: say whether it holds epoch seconds or milliseconds" "$T/e7.err"
check "an integer time column without its unit is refused" $? || cat "$T/e7.err" >&2
"$KGREC" db init "$URL" "${CMAP[@]}" --events-time-unit ms 2> "$T/e9.err"
[ $? -eq 1 ] && grep -q "column id (id) has no index" "$T/e9.err"
check "an id column without an index is refused" $? || cat "$T/e9.err" >&2
sql "ALTER TABLE shop.clicks ADD PRIMARY KEY (id)"
"$KGREC" db init "$URL" "${CMAP[@]}" --events-time-unit ms > /dev/null; check "db init of a table with milliseconds" $?
start_replica C "$T/s.snap" --events "$URL" "${CMAP[@]}" --events-time-unit ms
code=$(post "$C" '{"user":"clicker","item":"SKU-BALL","action":"click","time":1718000001,"weight":3}')
[ "$code" = 400 ] && grep -q '"weight_not_stored"' "$T/post.body"
check "a weight the table cannot store is refused" $? || cat "$T/post.body" >&2
code=$(post "$C" '{"user":"clicker","item":"SKU-BALL","action":"click","time":1718000001}')
[ "$code" = 200 ] && [ "$(sql "select ts_ms from shop.clicks where who = 'clicker'")" = 1718000001000 ]
check "a posted time is stored in milliseconds" $? || cat "$T/post.body" >&2
[ "$(sql "select \"Kind \"\"of\"\"\" from shop.clicks where who = 'clicker'")" = click ]
check "... and the action in the column whose name needs quoting" $?
sql "INSERT INTO shop.clicks (who, what, \"Kind \"\"of\"\"\", ts_ms) VALUES ('clicker2', 'SKU-GLOVES', 'view', 1718000002000)"
known "$C" clicker2; check "a row in milliseconds is applied" $?
kill "$C_PID"; wait "$C_PID" 2>/dev/null; C_PID=

# compaction reads the shop's table: every usable row but the waiting ones, the mark below
# the first waiting one
before=$("$KGREC" stats "$T/s.snap" | awk '/^interactions/ {print $2}')
"$KGREC" compact "$T/s.snap" --events "$URL" "${MAP[@]}" -o "$T/next.snap" > "$T/compact.out"
check "kgrec compact --events with the mapping" $? || cat "$T/compact.out" >&2
grep -q "with 105 new events from the events database" "$T/compact.out" && grep -q "2 events left out" "$T/compact.out"
check "... takes the 105 usable rows, leaves the 2 waiting ones out" $? || cat "$T/compact.out" >&2
after=$("$KGREC" stats "$T/next.snap" | awk '/^interactions/ {print $2}')
[ "$after" -eq $((before + 105)) ]; check "the new snapshot holds each event once ($before + 105 = $after)" $?
"$KGREC" query "$T/next.snap" "SELECT ?n WHERE { <urn:kgrec:events-database> <https://w3id.org/kgrec/ns#eventsThrough> ?n }" > "$T/mark.txt"
mark=$(( $(sql "select event_id from shop.events where sku = 'SKU-NEW-1'") - 1 ))
grep -qw "$mark" "$T/mark.txt"; check "its mark stops below the first waiting row" $? || cat "$T/mark.txt" >&2
"$KGREC" compact "$T/s.snap" --events "$URL" -o "$T/wrong.snap" > /dev/null 2> "$T/e8.err"
[ $? -ne 0 ]; check "compact without the mapping finds no kgrec_events table" $?
mv "$T/next.snap" "$T/s.snap"
reload_replicas "$A" "$B"
curl -s "$A/readyz" > "$T/ready.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replay"]; sys.exit(0 if r["applied"]==0 and r["skipped"]==2 and r["duplicates"]==r["events"]-2 else 1)' "$T/ready.json"
check "after the move, a replica replays from the mark: the 2 waiting rows, the rest already in the snapshot" $? || cat "$T/ready.json" >&2
rec "$A" shopper1 | grep -q '"cold_start":false'; check "events in the snapshot still count" $?
sql "INSERT INTO shop.events (customer, sku, event_name) VALUES ('shopper4', 'SKU-GLOVES', 'purchase')"
known "$A" shopper4 && known "$B" shopper4; check "after the move, the shop's rows reach both replicas" $?
# the waiting SKU arrives with a new snapshot: its events count
cat > "$T/more.nt" <<'NT'
<https://w3id.org/kgrec/item/racket> <http://schema.org/sku> "SKU-NEW-1" .
NT
"$KGREC" load -q "$D/shop.ttl" "$T/skus.nt" "$T/more.nt" --interactions "$D/interactions.csv" -o "$T/s2.snap" 2> /dev/null
"$KGREC" compact "$T/s2.snap" --events "$URL" "${MAP[@]}" -o "$T/s3.snap" > "$T/compact2.out"
grep -q "1 events left out" "$T/compact2.out"; check "a later catalog with the SKU takes its waiting row" $? || cat "$T/compact2.out" >&2

# the shop's own action names: an action map (--action-map, the key action-map) maps them
# for the rows read and the events posted; a name it does not map is still passed over
cat > "$T/actions.csv" <<'CSV'
name,action
checkout_done,purchase
CSV
printf 'name,action\ncheckout_done,teleport\n' > "$T/bad-actions.csv"
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 --events "$URL" "${MAP[@]}" --action-map "$T/bad-actions.csv" > /dev/null 2> "$T/e10.err"
[ $? -ne 0 ] && grep -q "bad-actions.csv:2: column 2: 'teleport' is not an action" "$T/e10.err"
check "serve: a malformed action map stops the start, naming its file and line" $? || cat "$T/e10.err" >&2
cat > "$T/d.conf" <<CONF
store = $T/s.snap
events = $URL
events-table = shop.events
events-columns = $COLS
action-map = $T/actions.csv
CONF
start_replica D --config "$T/d.conf"
[ "$D" != "http://127.0.0.1:" ]; check "a replica with an action map (from --config)" $? || cat "$T/D.err" >&2
ignored_a=$(metric "$A" kgrec_events_ignored_total)
sql "INSERT INTO shop.events (customer, sku, event_name) VALUES ('mapper1', 'SKU-GLOVES', 'checkout_done'),
	('mapper2', 'SKU-GLOVES', 'teleported')"
known "$D" mapper1; check "a row whose action the map names is applied" $?
! rec "$D" mapper1 | grep -q '"https://w3id.org/kgrec/item/gloves"'
check "... as the purchase the map says (gloves bought, so not recommended)" $?
metric_is "$D" kgrec_events_ignored_total 1; check "... a row whose action it does not name is passed over and counted" $?
grep -q "rows of shop.events passed over, taken for no event (row [0-9]*: unknown action 'teleported')" "$T/D.err"
check "... and the operator is told which" $? || cat "$T/D.err" >&2
code=$(post "$D" '{"user":"mapper3","item":"SKU-BALL","action":"checkout_done"}')
[ "$code" = 200 ] && [ "$(sql "select event_name from shop.events where customer = 'mapper3'")" = checkout_done ]
check "a posted event's mapped action is acknowledged, stored as the client named it" $? || cat "$T/post.body" >&2
code=$(post "$D" '{"user":"mapper4","item":"SKU-BALL","action":"teleported"}')
[ "$code" = 400 ] && grep -q '"unknown_action"' "$T/post.body"
check "... an action neither the map nor kgrec knows is refused" $? || cat "$T/post.body" >&2
code=$(post "$A" '{"user":"mapper4","item":"SKU-BALL","action":"checkout_done"}')
[ "$code" = 400 ] && grep -q '"unknown_action"' "$T/post.body"
check "... and so is the mapped name on a replica without the map" $? || cat "$T/post.body" >&2
metric_is "$A" kgrec_events_ignored_total $((ignored_a + 3))
check "the replica without the map passes the 3 new rows over" $?
"$KGREC" compact "$T/s.snap" --events "$URL" "${MAP[@]}" -o "$T/nomap.snap" > "$T/compact3.out"
"$KGREC" compact "$T/s.snap" --events "$URL" "${MAP[@]}" --action-map "$T/actions.csv" -o "$T/map.snap" > "$T/compact4.out"
check "kgrec compact --action-map" $? || cat "$T/compact4.out" >&2
n3=$(sed -n 's/.* with \([0-9]*\) new events.*/\1/p' "$T/compact3.out")
n4=$(sed -n 's/.* with \([0-9]*\) new events.*/\1/p' "$T/compact4.out")
[ -n "$n3" ] && [ "$n4" = $((n3 + 2)) ]; check "... takes the 2 rows the map names ($n3, $n4)" $?
"$KGREC" compact "$T/s.snap" --events "$URL" "${MAP[@]}" --action-map "$T/bad-actions.csv" -o "$T/bad.snap" > /dev/null 2> "$T/e11.err"
[ $? -ne 0 ] && grep -q "bad-actions.csv:2: column 2" "$T/e11.err" && [ ! -e "$T/bad.snap" ]
check "... and a malformed one stops it, naming its file and line" $? || cat "$T/e11.err" >&2
kill "$D_PID"; wait "$D_PID" 2>/dev/null; D_PID=

kill "$A_PID" "$B_PID"; wait "$A_PID" "$B_PID" 2>/dev/null; A_PID= B_PID=
! grep -l "Sanitizer\|runtime error" "$T"/A.err "$T"/B.err "$T"/C.err "$T"/D.err; check "no sanitizer report from a replica" $?
finish t_pg_map
