#!/bin/bash
# SIGTERM drains: with a request in flight (its body half sent) and a second kept-alive
# connection, the signal closes the listener (new connections are refused), /readyz on the
# open connection answers 503 with "Connection: close" (a load balancer's health check takes
# the replica out and its pool drops the connection), the request in flight still gets its
# 200, and the process exits 0. A reload (SIGHUP) instead keeps /readyz at 200 throughout:
# requests go on with the old snapshot until the new one is swapped in.
. "$(dirname "$0")/../common/lib.sh"
D=$KGR_TEST_DATA/retrieval
SRV=
on_exit '[ -n "$SRV" ] && kill -9 $SRV 2>/dev/null'

"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?
"$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 > "$T/srv.out" 2> "$T/srv.err" &
SRV=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/srv.out" && break; sleep 0.05; done
PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/srv.out")
[ -n "$PORT" ]; check "server started" $?

python3 - "$PORT" "$SRV" <<'PY'
import http.client, json, os, signal, socket, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])

# a reload keeps the replica ready: /readyz polled while SIGHUP reloads stays 200
codes = []
os.kill(pid, signal.SIGHUP)
t0 = time.time()
while time.time() - t0 < 1.0:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/readyz")
    codes.append(c.getresponse().status)
    c.close()
assert codes and set(codes) == {200}, codes

keep = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
keep.request("GET", "/healthz")
r = keep.getresponse(); r.read()
assert r.status == 200 and (r.getheader("Connection") or "").lower() != "close", r.status

body = json.dumps({"user": "alice", "k": 2}).encode()
slow = socket.create_connection(("127.0.0.1", port), timeout=10)
slow.sendall(b"POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
time.sleep(0.3)                       # the server has the headers: the request is in flight
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)

# the listener is closed: a new connection is refused
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    raise AssertionError("a new connection was accepted while draining")
except ConnectionRefusedError:
    pass

# on the connection already open, /readyz says 503 and asks to close it
keep.request("GET", "/readyz")
r = keep.getresponse()
reply = json.loads(r.read())
assert r.status == 503, (r.status, reply)
assert reply.get("status") == "unavailable", reply
assert (r.getheader("Connection") or "").lower() == "close", r.getheaders()

# the request in flight is answered in full
slow.sendall(body[5:])
data = b""
while True:
    chunk = slow.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
assert head.startswith(b"HTTP/1.1 200"), head
assert b'"items"' in rest, rest[:200]
print("drain ok")
PY
check "SIGTERM: listener closed, /readyz 503 with Connection: close, request in flight answered" $?
for _ in $(seq 100); do kill -0 $SRV 2>/dev/null || break; sleep 0.05; done
wait $SRV
rc=$?
SRV=
[ $rc -eq 0 ]; check "the process exits 0 after the drain (got $rc)" $?
grep -q "reloaded" "$T/srv.err"; check "the SIGHUP reloaded ($(cat "$T/srv.err"))" $?

finish drain
