# A PostgreSQL cluster for one test, sourced after tests/common/lib.sh: Debian's server
# programs, a temporary cluster in $T/pg on a free loopback port, run as the postgres user
# when the test runs as root (PostgreSQL refuses root), stopped when the test ends. Gives
# $URL (user kgrec, database postgres), $PGBIN, $AS, pg_start, pg_stop, pg_freeze,
# pg_thaw, free_port, sql QUERY, wait_advisory_lock, start_replica and reload_replicas.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ]; check "PostgreSQL's server programs are installed (scripts/install-deps.sh)" $? || { finish "$(basename "$0" .sh)"; exit 1; }
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
AS=
if [ "$(id -u)" -eq 0 ]; then AS="runuser -u postgres --"; chown postgres "$T"; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port)
URL="postgresql://kgrec@127.0.0.1:$PGPORT/postgres?connect_timeout=2"
$AS "$PGBIN/initdb" -D "$T/pg" -A trust -U kgrec > "$T/initdb.log" 2>&1
check "initdb" $? || cat "$T/initdb.log" >&2
pg_start() { $AS "$PGBIN/pg_ctl" -D "$T/pg" -l "$T/pg.log" -w -o "-p $PGPORT -k $T -c listen_addresses=127.0.0.1" start > /dev/null; }
# pg_freeze: a server that hangs rather than refuses (a host frozen, not down): the postmaster
# and every process it started get SIGSTOP; the kernel still accepts connections and data
# for them, nothing answers. pg_thaw resumes them; pg_stop does first.
PG_FROZEN=
pg_freeze() {
	local pm
	pm=$(head -1 "$T/pg/postmaster.pid")
	PG_FROZEN="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
	kill -STOP $PG_FROZEN
}
pg_thaw() {
	[ -n "$PG_FROZEN" ] && kill -CONT $PG_FROZEN 2>/dev/null
	PG_FROZEN=
	return 0
}
pg_stop() { pg_thaw; $AS "$PGBIN/pg_ctl" -D "$T/pg" -m fast -w stop > /dev/null 2>&1; }
pg_start; check "PostgreSQL started" $?
on_exit pg_stop
sql() { psql "$URL" -Atqc "$1"; }

# start_replica NAME ARGS...: `kgrec serve ARGS` on a free loopback port, its pid in
# $NAME_PID, its URL in $NAME (http://127.0.0.1:PORT), its output in $T/NAME.out and .err
start_replica() {
	local name=$1
	shift
	"$KGREC" serve "$@" --listen 127.0.0.1:0 > "$T/$name.out" 2> "$T/$name.err" &
	eval "${name}_PID=$!"
	for _ in $(seq 1200); do # a loaded machine opens the snapshot slowly: up to a minute
		grep -q 'listening on' "$T/$name.out" 2>/dev/null && break
		sleep 0.05
	done
	eval "$name=http://127.0.0.1:$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$T/$name.out" | head -1)"
}
# wait_advisory_lock: until a session holds an advisory lock (kgrec's events lock), 5 s at most
wait_advisory_lock() {
	for _ in $(seq 100); do
		[ "$(sql "select count(*) from pg_locks where locktype = 'advisory' and granted")" -ge 1 ] && return 0
		sleep 0.05
	done
	return 1
}

# reload_replicas URL...: POST /admin/reload to each, a check that each reloaded
reload_replicas() {
	local r
	for r in "$@"; do
		curl -s -X POST "$r/admin/reload" > "$T/reload.json"
		grep -q '"reloaded"' "$T/reload.json"; check "replica reloads the compacted snapshot" $? || cat "$T/reload.json" >&2
	done
}
