#!/bin/bash
# Faults under load with the shared events log in PostgreSQL: a real PostgreSQL cluster
# (Debian's, in a temporary directory, as an unprivileged user), two `kgrec serve --events URL`
# on loopback, and a client loop posting events to both and asking both for recommendations
# the whole time. While it runs: PostgreSQL is restarted (events get 503 with Retry-After,
# no recommendation fails), then the table is compacted into a new snapshot and each replica
# moves to it (one by SIGHUP, one by POST /admin/reload). Then a third replica's connection
# is cut right after PostgreSQL committed its batch, before the reply. After each fault, with
# the posters paused: each replica holds every row of the table once (the events its last
# start or reload replayed and those applied to it since add up to the rows after its
# snapshot's mark), and at the end every acknowledged event is one row of the table. (A
# replica killed with -9 under a stream of events: t_pg_events.sh.)
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval
. "$(dirname "$0")/pg_cluster.sh"
"$KGREC" db init "$URL" > /dev/null; check "kgrec db init" $?
"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?

A_PID= B_PID= C_PID= D_PID= LOAD_PID= PROXY_PID=
on_exit 'for p in $A_PID $B_PID $C_PID $D_PID $LOAD_PID $PROXY_PID; do kill -9 $p 2>/dev/null; done'
start_replica A "$T/s.snap" --events "$URL"
start_replica B "$T/s.snap" --events "$URL"
[ "$A" != "http://127.0.0.1:" ] && [ "$B" != "http://127.0.0.1:" ]
check "two replicas on the events database" $? || cat "$T/A.err" "$T/B.err" >&2

# The client loop: two threads post single events, each to A and B in turn, two ask A and B
# for recommendations, until $T/stop exists. Every event has a time of its own (so no two
# are alike), one of 12 users and one of the shop's items; events.log gets "time user item
# code" per post (code 503R: a 503 with Retry-After), recs.log "code" per recommendation.
# While $T/pause holds a number, the posters post nothing and say so in $T/idle0 and
# $T/idle1 with that number; recommendations go on.
cat > "$T/load.py" <<'PY'
import os, sys, threading, urllib.request, urllib.error
A, B, T = sys.argv[1], sys.argv[2], sys.argv[3]
ITEMS = ["ball", "cap", "gloves", "jersey", "racket", "shinguards", "tballs"]
lock = threading.Lock()
ev_log = open(os.path.join(T, "events.log"), "a", buffering=1)
rec_log = open(os.path.join(T, "recs.log"), "a", buffering=1)
stop, pause = os.path.join(T, "stop"), os.path.join(T, "pause")

def call(url, body):
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            return str(r.status)
    except urllib.error.HTTPError as e:
        e.read()
        return "%d%s" % (e.code, "R" if e.code == 503 and e.headers.get("Retry-After") else "")
    except Exception as e:
        return "ERR:" + type(e).__name__

def paused(t):
    try:
        gen = open(pause).read().strip()
    except OSError:
        return False
    with open(os.path.join(T, "idle%d.tmp" % t), "w") as f:
        f.write(gen)
    os.replace(os.path.join(T, "idle%d.tmp" % t), os.path.join(T, "idle%d" % t))
    return True

def poster(t):
    i = 0
    while not os.path.exists(stop):
        if paused(t):
            threading.Event().wait(0.02)
            continue
        when = 1718100000 + 2 * i + t
        user, item = "f%d" % ((i * 2 + t) % 12), ITEMS[(i + t) % len(ITEMS)]
        base = A if i % 2 == 0 else B
        code = call(base + "/v1/events", '{"user":"%s","item":"https://w3id.org/kgrec/item/%s","action":"purchase","time":%d}' % (user, item, when))
        with lock:
            ev_log.write("%d %s %s %s\n" % (when, user, item, code))
        i += 1
        if code != "200":
            threading.Event().wait(0.05)

def recommender(t):
    i = 0
    while not os.path.exists(stop):
        base = A if (i + t) % 2 == 0 else B
        code = call(base + "/v1/recommend", '{"user":"f%d","k":3}' % (i % 12))
        with lock:
            rec_log.write(code + "\n")
        i += 1

threads = [threading.Thread(target=poster, args=(t,)) for t in (0, 1)]
threads += [threading.Thread(target=recommender, args=(t,)) for t in (0, 1)]
for th in threads:
    th.start()
for th in threads:
    th.join()
PY
python3 "$T/load.py" "$A" "$B" "$T" &
LOAD_PID=$!
rec() { curl -s -X POST "$1/v1/recommend" -d "{\"user\":\"$2\",\"k\":3}"; }
known() { # REPLICA USER: within 30 s the replica recommends for the user from their history
	for _ in $(seq 300); do
		rec "$1" "$2" | grep -q '"cold_start":false' && return 0
		sleep 0.1
	done
	return 1
}
# settled NAME MARK [REPLICA...]: with the posters idle, each replica (A, B and those named)
# holds every row of the table once: the rows after its snapshot's MARK are the events its
# last start or reload replayed (replay.applied) and those applied to it since (live_events),
# none twice, none left out. A marker event posted to A and one to B, each seen on every other
# replica, say that their listeners have read every row before it. Recommendations go on
# meanwhile.
gen=0
settled() {
	local name=$1 mark=$2 r o base n
	shift 2
	gen=$((gen + 1))
	if [ -n "$LOAD_PID" ]; then
		echo "$gen" > "$T/pause"
		for _ in $(seq 600); do
			[ "$(cat "$T/idle0" 2> /dev/null)" = "$gen" ] && [ "$(cat "$T/idle1" 2> /dev/null)" = "$gen" ] && break
			sleep 0.1
		done
		[ "$(cat "$T/idle0" 2> /dev/null)" = "$gen" ] && [ "$(cat "$T/idle1" 2> /dev/null)" = "$gen" ]
		check "$name: the posters paused" $?
	fi
	for r in A B; do
		eval "base=\$$r"
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/events" \
			-d "{\"user\":\"sync$gen$r\",\"item\":\"https://w3id.org/kgrec/item/ball\",\"time\":$((1718000000 + gen))}")
		[ "$code" = 200 ]; check "$name: a marker posted to $r is acknowledged" $?
		for o in A B "$@"; do
			[ "$o" = "$r" ] && continue
			eval "base=\$$o"
			known "$base" "sync$gen$r"; check "$name: ... and applied on $o" $?
		done
	done
	n=$(sql "select count(*) from kgrec_events where id > $mark")
	for r in A B "$@"; do
		eval "base=\$$r"
		curl -s "$base/readyz" > "$T/$r.ready"
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); p=r["replay"]
sys.exit(0 if p["applied"] + r["live_events"] == int(sys.argv[2]) and p["duplicates"] == 0 and p["skipped"] == 0 else 1)' "$T/$r.ready" "$n"
		check "$name: $r holds each of the $n rows after its snapshot's mark once" $? || cat "$T/$r.ready" >&2
	done
	rm -f "$T/pause"
}
count() { # CODE FILE: lines of FILE whose last field is CODE
	cat "$2" 2> /dev/null | awk -v c="$1" '$NF == c {n++} END {print n + 0}'
}
# wait_for CODE FILE N: within 60 s (a loaded machine), at least N such lines
wait_for() {
	for _ in $(seq 600); do
		[ "$(count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_for 200 "$T/events.log" 40; check "events acknowledged under load" $?
wait_for 200 "$T/recs.log" 40; check "recommendations answered under load" $?

# (1) PostgreSQL restarted under load
pg_stop; check "PostgreSQL stopped under load" $?
wait_for 503R "$T/events.log" 10; check "the database down: events get 503 with Retry-After" $?
rec_before=$(count 200 "$T/recs.log")
for _ in $(seq 600); do [ "$(count 200 "$T/recs.log")" -ge $((rec_before + 20)) ] && break; sleep 0.1; done
[ "$(count 200 "$T/recs.log")" -ge $((rec_before + 20)) ]
check "the database down: recommendations still answered" $?
acked=$(count 200 "$T/events.log")
pg_start; check "PostgreSQL started again under load" $?
wait_for 200 "$T/events.log" $((acked + 40)); check "the database back: events acknowledged again" $?
settled "after the restart" 0

# (2) compaction from the table and the move of both replicas to the new snapshot, under load
before=$("$KGREC" stats "$T/s.snap" | awk '/^interactions/ {print $2}')
"$KGREC" compact "$T/s.snap" --events "$URL" -o "$T/next.snap" > "$T/compact.out"
check "kgrec compact --events under load" $? || cat "$T/compact.out" >&2
"$KGREC" query "$T/next.snap" "SELECT ?n WHERE { <urn:kgrec:events-database> <https://w3id.org/kgrec/ns#eventsThrough> ?n }" > "$T/mark.txt"
mark=$(grep -o '[0-9][0-9]*' "$T/mark.txt" | head -1)
through=$(sql "select count(*) from kgrec_events where id <= ${mark:-0}")
after=$("$KGREC" stats "$T/next.snap" | awk '/^interactions/ {print $2}')
[ -n "$mark" ] && [ "$after" -eq $((before + through)) ]
check "the new snapshot holds each event up to its mark $mark once ($before + $through = $after)" $? || cat "$T/compact.out" >&2
old=$(curl -s "$A/readyz" | sed -n 's/.*"snapshot":"\([0-9a-f]*\)".*/\1/p')
mv "$T/next.snap" "$T/s.snap"
acked=$(count 200 "$T/events.log")
kill -HUP "$A_PID"
moved() { # REPLICA: within 60 s, /readyz shows a snapshot other than the old one
	for _ in $(seq 600); do
		s=$(curl -s "$1/readyz" | sed -n 's/.*"snapshot":"\([0-9a-f]*\)".*/\1/p')
		[ -n "$s" ] && [ "$s" != "$old" ] && return 0
		sleep 0.1
	done
	return 1
}
moved "$A"; check "A moved to the new snapshot (SIGHUP) under load" $?
curl -s -X POST "$B/admin/reload" > "$T/reload.json"
grep -q '"reloaded"' "$T/reload.json"; check "B moved to the new snapshot (/admin/reload) under load" $? || cat "$T/reload.json" >&2
wait_for 200 "$T/events.log" $((acked + 40)); check "events acknowledged after the move" $?

settled "after the move" "$mark"
touch "$T/stop"
wait "$LOAD_PID"; check "the client loop ended" $?
LOAD_PID=

# (3) the connection cut right after PostgreSQL committed a batch, before the reply: a replica
# D reaches the database through a proxy that, once told to, closes both sides instead of
# passing on the reply that holds COMMIT. The batch is in the table but its fate unknown to
# D: D must not acknowledge it by sending it again (a second row), and it reaches every
# replica once, through their listeners.
cat > "$T/proxy.py" <<'PY'
import os, socket, sys, threading
target, T = int(sys.argv[1]), sys.argv[2]
TAG = b"C\x00\x00\x00\x0bCOMMIT\x00"  # CommandComplete "COMMIT"
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(os.path.join(T, "proxy.port.tmp"), "w") as f:
    f.write(str(srv.getsockname()[1]))
os.replace(os.path.join(T, "proxy.port.tmp"), os.path.join(T, "proxy.port"))

def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def pipe(src, dst, replies):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if replies and TAG in data and os.path.exists(os.path.join(T, "cut")):
                os.rename(os.path.join(T, "cut"), os.path.join(T, "cut.done"))
                break
            dst.sendall(data)
    except OSError:
        pass
    close(src, dst)

while True:
    c, _ = srv.accept()
    s = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(c, s, False), daemon=True).start()
    threading.Thread(target=pipe, args=(s, c, True), daemon=True).start()
PY
python3 "$T/proxy.py" "$PGPORT" "$T" &
PROXY_PID=$!
for _ in $(seq 300); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
start_replica D "$T/s.snap" --events "postgresql://kgrec@127.0.0.1:$(cat "$T/proxy.port")/postgres?connect_timeout=2"
[ "$D" != "http://127.0.0.1:" ]; check "a replica through the proxy" $? || cat "$T/D.err" >&2
touch "$T/cut"
code=$(curl -s -o "$T/cut.body" -D "$T/cut.head" -w '%{http_code}' -X POST "$D/v1/events" \
	-d '{"user":"cut1","item":"https://w3id.org/kgrec/item/ball","time":1718000999}')
[ -e "$T/cut.done" ]; check "the proxy cut the reply of a commit" $?
n=$(sql "select count(*) from kgrec_events where user_iri like '%/cut1'")
[ "$n" = 1 ]; check "the batch whose reply was cut is one row ($n)" $?
[ "$code" = 503 ] && grep -qi '^Retry-After: 1' "$T/cut.head"
check "... and not acknowledged: 503 with Retry-After ($code)" $? || cat "$T/cut.body" >&2
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$D/v1/events" \
	-d '{"user":"cut2","item":"https://w3id.org/kgrec/item/ball","time":1718000998}')" = 200 ]
check "the next batch is acknowledged (a new connection)" $?
known "$D" cut1 && known "$A" cut1 && known "$B" cut1; check "the cut batch is applied on every replica" $?
settled "after the cut" "$mark" D
kill "$D_PID" "$PROXY_PID"; wait "$D_PID" "$PROXY_PID" 2>/dev/null; D_PID= PROXY_PID=

# what the clients saw: no recommendation failed; an event was acknowledged, or refused with
# a 503 and Retry-After while the database was away, nothing else
recs=$(wc -l < "$T/recs.log")
[ "$(count 200 "$T/recs.log")" -eq "$recs" ]
check "every one of $recs recommendations answered 200" $? || sort "$T/recs.log" | uniq -c >&2
evs=$(wc -l < "$T/events.log")
refused=$(count 503R "$T/events.log")
[ $(( $(count 200 "$T/events.log") + refused )) -eq "$evs" ]
check "of $evs events, each acknowledged or refused with 503 and Retry-After ($refused)" $? ||
	awk '{print $NF}' "$T/events.log" | sort | uniq -c >&2

# the table against the clients: each acknowledged event is one row, a refused one at most one
# row (its commit may have been lost on the way back), and there is no row nobody posted
sql "select at, regexp_replace(user_iri, '.*/', ''), regexp_replace(item, '.*/', '') from kgrec_events where user_iri not like '%/sync%' and user_iri not like '%/cut%' order by id" |
	tr '|' ' ' > "$T/rows.txt"
python3 - "$T/events.log" "$T/rows.txt" > "$T/table.check" <<'PY'
import sys, collections
posted = {}
for line in open(sys.argv[1]):
    when, user, item, code = line.split()
    posted[(when, user, item)] = code
rows = collections.Counter(tuple(l.split()) for l in open(sys.argv[2]) if l.strip())
bad = []
for ev, code in posted.items():
    n = rows.get(ev, 0)
    if (code == "200" and n != 1) or n > 1:
        bad.append("%s %s: %d rows" % (" ".join(ev), code, n))
bad += ["%s: a row nobody posted" % " ".join(ev) for ev in rows if ev not in posted]
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check "every acknowledged event is one row of the table, no row twice" $? || head "$T/table.check" >&2
rows=$(sql "select count(*) from kgrec_events")

# a replica started afresh on the final snapshot replays every row after its mark
start_replica C "$T/s.snap" --events "$URL"
curl -s "$C/readyz" > "$T/C.ready"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["replay"]; sys.exit(0 if r["applied"]==int(sys.argv[2]) and r["duplicates"]==0 else 1)' \
	"$T/C.ready" $((rows - through))
check "a fresh replica replays the $((rows - through)) rows after the mark" $? || cat "$T/C.ready" "$T/C.err" >&2

kill "$A_PID" "$B_PID" "$C_PID"; wait "$A_PID" "$B_PID" "$C_PID" 2>/dev/null; A_PID= B_PID= C_PID=
# under make check-asan and check-tsan the replicas are sanitizer builds: they reported nothing
! grep -l "Sanitizer\|runtime error" "$T"/A.err "$T"/B.err "$T"/C.err "$T"/D.err; check "no sanitizer report from a replica" $?
finish t_pg_faults
