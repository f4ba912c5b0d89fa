#!/bin/bash
# deploy/kgrec.service and deploy/kgrec.conf: `systemd-analyze verify` accepts the unit with no
# warning (a copy whose ExecStart names the built binary, since verify wants it to exist),
# the sample configuration starts a server (paths moved into the test's directory), and
# `kgrec serve` run under strace (learned ranker and sequence model loaded, so XGBoost and
# OpenBLAS run; recommendations, LLM-ranked ones from the scripted LLM server, events,
# SPARQL, a reload) keeps within the unit's sandbox:
# every system call in @system-service and none in @privileged, no memory both writable and
# executable and none made executable later (MemoryDenyWriteExecute), sockets only of the
# families RestrictAddressFamilies allows.
. "$(dirname "$0")/../common/lib.sh"
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR is not set}
D=$KGR_TEST_DATA/retrieval
UNIT=$SRC/deploy/kgrec.service
SA=/usr/bin/systemd-analyze
SRV=
on_exit '[ -n "$SRV" ] && { kill $(pgrep -P $SRV) $SRV 2>/dev/null; wait $SRV 2>/dev/null; }'
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
KGREC_ABS=$(readlink -f "$KGREC")

[ -x $SA ]; check "$SA is there (apt-get install systemd)" $? || { finish systemd; exit; }
sed "s|^ExecStart=/usr/local/bin/kgrec |ExecStart=$KGREC_ABS |" "$UNIT" > "$T/kgrec.service"
grep -q "^ExecStart=$KGREC_ABS serve --config /etc/kgrec/kgrec.conf$" "$T/kgrec.service"
check "the copy's ExecStart names the built binary" $?
$SA verify "$T/kgrec.service" > "$T/verify.out" 2>&1
r=$?
[ $r -eq 0 ] && [ ! -s "$T/verify.out" ]
check "systemd-analyze verify: no error, no warning (rc $r: $(cat "$T/verify.out"))" $?
# verify's warnings are what a typo gives: make sure one is seen
sed 's/^ProtectSystem=strict/ProtectSystem=strickt/' "$T/kgrec.service" > "$T/typo.service"
$SA verify "$T/typo.service" > "$T/verify.out" 2>&1
grep -q "ProtectSystem\|protect system" "$T/verify.out"
check "a typo in the unit is reported ($(cat "$T/verify.out"))" $?

for kv in "Type=simple" "User=kgrec" "ExecReload=/bin/kill -HUP \$MAINPID" "ProtectSystem=strict" \
	"ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" "ReadWritePaths=/var/lib/kgrec" \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "SystemCallFilter=@system-service" \
	"MemoryDenyWriteExecute=yes" "LimitNOFILE=65536"; do
	grep -q -x -F "$kv" "$UNIT"; check "the unit sets $kv" $?
done

# the sample configuration, with its paths moved here, starts a server
"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?
"$KGREC" serve --config "$SRC/deploy/kgrec.conf" "$T/s.snap" --listen 127.0.0.1:0 \
	--events-log "$T/events.log" --access-log "$T/access.log" > "$T/conf.out" 2> "$T/conf.err" &
SRV=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/conf.out" 2>/dev/null && break; sleep 0.05; done
PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/conf.out")
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT:-1}/readyz")
[ "$code" = 200 ]; check "deploy/kgrec.conf starts a ready server ($code; $(cat "$T/conf.err"))" $?
kill $SRV; wait $SRV; SRV=

# the sandbox: system calls, memory protections and socket families under strace. A build
# with sanitizers (make check-asan) runs their runtime's system calls too, which the unit
# never sees: the check is for the binary a deployment installs.
if ldd "$KGREC_ABS" | grep -q -e libasan -e libtsan -e libubsan; then
	echo "systemd: $KGREC is built with sanitizers: sandbox check left to the plain build"
	finish systemd
	exit
fi
command -v strace > /dev/null; check "strace is there (apt-get install strace)" $? || { finish systemd; exit; }
"$KGREC" train "$T/s.snap" -o "$T/ranker.model" > /dev/null 2>&1 &&
	"$KGREC" train "$T/s.snap" --model sequence -o "$T/seq.ckpt" > /dev/null 2>&1
check "train a learned ranker and a sequence model" $?
# the scripted LLM server (libcurl's system calls; on loopback, so no name is resolved)
python3 "$SRC/tests/llm/fake_openai.py" > "$T/llm.port" &
LLM=$!
on_exit 'kill $LLM 2>/dev/null'
for _ in $(seq 50); do [ -s "$T/llm.port" ] && break; sleep 0.1; done
strace -f -qq -o "$T/strace.txt" "$KGREC" serve "$T/s.snap" --listen 127.0.0.1:0 \
	--model "$T/ranker.model" --sequence "$T/seq.ckpt" --events-log "$T/ev2.log" \
	--llm --llm-url "http://127.0.0.1:$(head -1 "$T/llm.port")/v1" --llm-model good/sandbox \
	--no-cache > "$T/st.out" 2> "$T/st.err" &
SRV=$!
for _ in $(seq 200); do grep -q 'listening on' "$T/st.out" 2>/dev/null && break; sleep 0.05; done
U=http://127.0.0.1:$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/st.out")
ok=0
for u in alice bob; do
	curl -sf "$U/v1/recommend" -d "{\"user\":\"$u\",\"k\":3,\"explain\":true}" | grep -q '"items"' || ok=1
done
curl -sf "$U/v1/events" -d '{"user":"alice","item":"ball","action":"view"}' > /dev/null || ok=1
curl -sf "$U/sparql" --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 3' > /dev/null || ok=1
curl -sf -X POST "$U/admin/reload" > /dev/null || ok=1
curl -sf "$U/v1/recommend" -d '{"user":"alice","k":3}' | grep -q '"items"' || ok=1
curl -sf "$U/v1/recommend" -d '{"user":"bob","k":3,"llm":{"enabled":true}}' > "$T/llm.json" || ok=1
grep -q '"fallback":false' "$T/llm.json" || ok=1
[ $ok -eq 0 ]; check "requests under strace answered ($(cat "$T/st.err"))" $?
# strace takes SIGTERM as its own: the server it runs is told, and strace ends with it
kill $(pgrep -P $SRV) 2>/dev/null; wait $SRV; SRV=
$SA syscall-filter > "$T/filters.txt" 2> /dev/null
python3 - "$T/strace.txt" "$T/filters.txt" <<'PY'
import re, sys
groups, cur = {}, None
for line in open(sys.argv[2]):
    s = line.strip()
    if not s or s.startswith("#"):
        continue
    if not line.startswith(" "):
        cur = groups.setdefault(s, set())
    else:
        cur.add(s)
def expand(name, seen=()):
    out = set()
    for m in groups.get(name, ()):
        out |= expand(m, seen + (name,)) if m.startswith("@") and m not in seen else {m}
    return out
allowed, denied = expand("@system-service"), expand("@privileged")
assert "read" in allowed and "chroot" in denied, "systemd-analyze syscall-filter unreadable"

calls, bad = set(), []
for line in open(sys.argv[1]):
    m = re.match(r"^\d+\s+([a-z0-9_]+)\((.*)", line)
    if not m:
        continue
    name, args = m.groups()
    calls.add(name)
    if name in ("mmap", "mmap2") and "PROT_WRITE" in args and "PROT_EXEC" in args:
        bad.append("writable and executable: " + line.strip())
    if name in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in args:
        bad.append("made executable: " + line.strip())
    if name == "shmat" and "SHM_EXEC" in args:
        bad.append("executable shared memory: " + line.strip())
    if name == "socket":
        fam = args.split(",")[0].strip()
        if fam not in ("AF_UNIX", "AF_INET", "AF_INET6"):
            bad.append("socket family " + fam + ": " + line.strip())
assert len(calls) > 20, sorted(calls)
for c in sorted(calls):
    if c not in allowed or c in denied:
        bad.append("system call outside @system-service (or in @privileged): " + c)
assert not bad, "\n".join(bad)
print("%d system calls, all allowed" % len(calls))
PY
check "kgrec serve keeps within the unit's syscall filter, MemoryDenyWriteExecute and address families" $?

finish systemd
