# A PostgreSQL cluster for one test, sourced after tests/common/lib.sh: Debian's server
# programs, a temporary cluster in $T/pg on a free loopback port, run as the postgres user
# when the test runs as root (PostgreSQL refuses root), stopped when the test ends. Gives
# $URL (user kgrec, database postgres), $PGBIN, $AS, pg_start, pg_stop, pg_freeze,
# pg_thaw, free_port and sql QUERY.
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
