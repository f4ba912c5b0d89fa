#!/bin/bash
# deploy/haproxy.cfg in front of two `kgrec serve` replicas, all on 127.0.0.1 with free
# ports (the configuration is the deploy file with its ports and paths replaced):
# requests through HAProxy reach both replicas; a replica stopped with SIGTERM, and one
# killed with SIGKILL, leave rotation by the health check while no request through HAProxy
# fails; each comes back into rotation once restarted; a replica drained with the runtime
# API gets no requests while it reloads, and gets them again after; /admin/ is refused at
# the proxy. Everything started here is stopped here, also when a check fails.
. "$(dirname "$0")/../common/lib.sh"
SRC=${KGR_SOURCE_DIR:?KGR_SOURCE_DIR is not set}
D=$KGR_TEST_DATA/retrieval
# every process the test starts is listed here, so that it is stopped even if the script
# driving them dies
on_exit 'while read -r p; do kill -9 "$p" 2>/dev/null; done < "$T/pids"'
: > "$T/pids"

command -v haproxy > /dev/null
check "haproxy is installed (apt-get install haproxy)" $? || { finish haproxy; exit; }
"$KGREC" load -q "$D/shop.ttl" --interactions "$D/interactions.csv" -o "$T/s.snap"
check "load the shop" $?

python3 "$SRC/tests/deploy/haproxy_replicas.py" "$KGREC" "$T/s.snap" "$SRC/deploy/haproxy.cfg" "$T"
check "HAProxy in front of two replicas: rotation, SIGTERM and SIGKILL, restart, drain and reload" $?
finish haproxy
