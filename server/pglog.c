/* The shared events log in PostgreSQL (kgrec serve --events postgresql://...): replicas of
 * the service behind a load balancer all write to and read from one table.
 *
 * Writing: a batch is one transaction, sent in one round trip, that takes a
 * transaction-level advisory lock, INSERTs its events and NOTIFYs the channel; the reply is
 * sent only after COMMIT. The lock
 * makes ids follow commit order across every replica, so a reader that has seen id N has
 * seen every event below it: a cursor is all a replica needs to miss nothing.
 *
 * Reading: one thread per replica (the listener) holds its own connection, LISTENs, and on a
 * notification, or at least once a second (a notification can be lost with a connection),
 * reads the events after its cursor and applies them to the live state, under events_mu like
 * a reload's replay. A replica applies its own batches itself, as with the file log (the
 * request returns once they are applied, so a client sees its own writes); their ids, which
 * the INSERT returns under events_mu, are noted so that the listener skips them. A reload
 * replays the table onto the new state and moves the cursor under the same lock.
 *
 * A shop's own events table (kgr_events_map) is read and written through a mapping of its
 * columns. Its rows hold names as the shop's applications write them (a customer id, a
 * SKU, "purchase"), matched against the snapshot when read, like a request's; the trigger
 * that `kgrec db init` installs on it takes the same advisory lock before any row gets its
 * id, and notifies, so the shop's inserts keep ids in commit order and wake the listeners.
 *
 * When the database is down, recommendations go on from memory; POST /v1/events answers
 * 503 with Retry-After, never an acknowledgement without a commit; /readyz says
 * "degraded"; both connections are opened again with a growing pause.
 *
 * A database that hangs rather than refuses (a host frozen, a network partition) must not
 * hang the service: every statement of the service's connections is sent without blocking
 * and waited for until a deadline (the events timeout, --events-timeout), after which the
 * connection is dropped like a lost one; the server's statement_timeout, libpq's
 * connect_timeout, TCP keepalives and tcp_user_timeout are set from it too, unless the
 * connection string sets them. */
#include "server/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG_TABLE "kgrec_events"
#define PG_CHANNEL "kgrec_events"
/* the trigger on a shop's own events table, and its function */
#define PG_TRIGGER "kgrec_events_notify"
/* pg_advisory_xact_lock key: "kgrv" */
#define PG_LOCK_KEY "1801938550"
/* the events timeout by default, in milliseconds */
#define PG_TIMEOUT_MS 5000
/* A reply is awaited this much longer than the server's statement_timeout, so that a
 * database that answers, slowly, cancels the statement itself (rolled back, the connection
 * kept) before the service gives the connection up. */
#define PG_GRACE_MS 1000
/* After a write that waited at least this long and failed, writes are refused untried for as
 * long (write_paused()): the requests queued behind it do not each wait the timeout out. */
#define PG_PAUSE_MS 1000
/* pg_results(): no reply by the deadline (the connection is of no further use) */
#define PG_TIMED_OUT (-2)
/* pg_results(): a statement cancelled by the server's statement_timeout (rolled back) */
#define PG_CANCELED (-3)
/* events read per round */
#define PG_CHUNK 5000
#define PG_CHUNK_TEXT "5000"
/* the next events after an id ($1), in id order */
#define PG_SELECT_AFTER "SELECT id, user_iri, item, action, at, weight, pending FROM " PG_TABLE \
	" WHERE id > $1::bigint ORDER BY id LIMIT " PG_CHUNK_TEXT

/* The columns' roles in a mapping. */
enum { ROLE_ID, ROLE_USER, ROLE_ITEM, ROLE_ACTION, ROLE_TIME, ROLE_WEIGHT, N_ROLES };

/* How the time column holds a time. */
typedef enum { PG_TIME_EPOCH_S = 0, PG_TIME_EPOCH_MS, PG_TIME_TSTZ, PG_TIME_TS } pg_time_kind;

/* The events table as kgrec reads and writes it: kgrec_events, or a table of the shop's own
 * through the mapping of its columns (identifiers quoted by PQescapeIdentifier). */
typedef struct {
	int mapped;
	char *name;         /* as the operator named it, for messages */
	char *select_after; /* the next events after an id ($1), in id order, as PG_SELECT_AFTER */
	char *insert_head;  /* "INSERT INTO table (columns) VALUES " */
	char *returning;    /* " RETURNING id" */
	char *schema;       /* mapped: the table's schema, quoted (the trigger's function) */
	char *qualified;    /* mapped: schema.table, quoted */
	long long oid;      /* mapped: the table's */
	pg_time_kind time;
	int has_weight;
	int integer[N_ROLES]; /* mapped: the column of a role holds integers */
	const kgr__action_map *actions; /* mapped: the operator's action names (borrowed), or NULL */
} pg_table;

/* Rows of a shop's own table that are no events kgrec takes, for the operator's log. */
typedef struct {
	size_t n;
	long long first_id;
	char first[200];
} ignored_rows;

struct kgr__pglog {
	char *url;
	unsigned int timeout_ms;  /* the events timeout */
	pg_table tbl;
	PGconn *writer;           /* POST /v1/events, under events_mu */
	pthread_t thread;
	int thread_started;
	int wake[2];              /* self-pipe: wake the listener */
	atomic_int stop;
	atomic_int listener_up;   /* the listener's connection is up */
	pthread_mutex_t mu;       /* cursor, local ids, last error */
	int64_t cursor;           /* every event up to this id is applied to the live state */
	int64_t *local;           /* ids above the cursor that this replica applies itself */
	size_t n_local, cap_local;
	char last_error[256];     /* the listener's last connection error, under mu */
	/* Writes that failed for want of the database (lost, refused, no reply in time), under
	 * mu: /readyz is degraded while failed != cleared, until a write or a round of the
	 * listener that started after the failure succeeds. */
	unsigned int write_failed, write_cleared;
	char write_error[256];
	/* until then (now_ms()), after such a failure, writes are refused without being tried:
	 * requests queued behind one that waited out the timeout do not each wait it out too */
	int64_t write_retry_at;
	ignored_rows ignored;     /* the listener's rows passed over since its last message */
	time_t ignored_logged;    /* and when that was */
};

/* ---- connections ---- */

/* The connection string as messages show it: a password in it replaced by "***". */
static const char *shown(const char *url, char *buf, size_t size)
{
	const char *scheme = strstr(url, "://"), *at, *colon, *pw;
	size_t n;
	snprintf(buf, size, "%s", url);
	if (scheme && (at = strchr(scheme + 3, '@')) && (colon = memchr(scheme + 3, ':',
			     (size_t)(at - scheme - 3))) && !memchr(scheme + 3, '/', (size_t)(at - scheme - 3))) {
		n = (size_t)(colon + 1 - url);
		if (n < size)
			snprintf(buf + n, size - n, "***%s", at);
	}
	if ((pw = strstr(buf, "password=")) != NULL) {
		char *end = strpbrk((char *)pw + 9, "& ");
		char tail[256];
		snprintf(tail, sizeof(tail), "%s", end ? end : "");
		snprintf((char *)pw + 9, size - (size_t)(pw + 9 - buf), "***%s", tail);
	}
	return buf;
}

/* libpq's messages span lines ("server closed the connection unexpectedly\n\tThis
 * probably means..."): one line for a log or a reply. */
static void one_line(char *why, size_t size, const char *msg)
{
	size_t n = 0;
	int space = 0;
	for (; *msg && n + 1 < size; msg++) {
		if (*msg == '\n' || *msg == '\t' || *msg == '\r') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < size)
			why[n++] = ' ';
		space = 0;
		why[n++] = *msg;
	}
	why[n] = '\0';
}

/* The server's notices (a table that exists already, a connection terminated by the
 * administrator) are not the service's to print: errors reach the caller as results. */
static void no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A default for connection option @p key that the connection string (and the environment)
 * left unset: bounds on a connection in the making and on one whose peer went away without
 * a word, which TCP alone notices after minutes or hours. @p timeout_ms 0: a command's
 * connection, without a statement timeout. NULL: libpq's own. */
static const char *conn_default(const char *key, const char *given, unsigned int timeout_ms,
	char *buf, size_t size)
{
	unsigned int ms = timeout_ms ? timeout_ms : 30000;
	if (!strcmp(key, "connect_timeout")) /* whole seconds, 2 at least (libpq's floor) */
		snprintf(buf, size, "%u", ms < 2000 ? 2 : (ms + 999) / 1000);
	else if (!strcmp(key, "keepalives"))
		snprintf(buf, size, "1");
	else if (!strcmp(key, "keepalives_idle"))
		snprintf(buf, size, "10");
	else if (!strcmp(key, "keepalives_interval"))
		snprintf(buf, size, "5");
	else if (!strcmp(key, "keepalives_count"))
		snprintf(buf, size, "3");
	else if (!strcmp(key, "tcp_user_timeout"))
		snprintf(buf, size, "%u", ms);
	else if (!strcmp(key, "options") && timeout_ms && !(given && strstr(given, "statement_timeout")))
		snprintf(buf, size, "%s%s-c statement_timeout=%u", given ? given : "",
			given && given[0] ? " " : "", timeout_ms);
	else
		return given;
	if (given && strcmp(key, "options"))
		return given; /* the connection string's */
	return buf;
}

/* Connect with the defaults of conn_default() merged into @p url's options (given ones
 * win, as do the PG* environment variables libpq reads). A service connection (@p
 * timeout_ms set) is non-blocking: its statements go through pg_results(). */
static PGconn *pg_connect_opts(const char *url, unsigned int timeout_ms, char *why, size_t size)
{
	PQconninfoOption *opts, *o;
	const char **keys = NULL, **vals = NULL;
	char *err = NULL, (*bufs)[512] = NULL;
	size_t n = 0, k = 0;
	PGconn *c = NULL;
	if (!(opts = PQconninfoParse(url, &err))) {
		one_line(why, size, err ? err : "out of memory");
		PQfreemem(err);
		return NULL;
	}
	for (o = opts; o->keyword; o++)
		n++;
	keys = calloc(n + 1, sizeof(*keys));
	vals = calloc(n + 1, sizeof(*vals));
	bufs = calloc(n + 1, sizeof(*bufs));
	if (!keys || !vals || !bufs) {
		snprintf(why, size, "out of memory");
		goto done;
	}
	for (o = opts; o->keyword; o++) {
		const char *given = o->val;
		if (!given && o->envvar && getenv(o->envvar) && getenv(o->envvar)[0])
			given = getenv(o->envvar);
		if ((vals[k] = conn_default(o->keyword, given, timeout_ms, bufs[k], sizeof(bufs[k]))))
			keys[k++] = o->keyword;
	}
	if (!(c = PQconnectdbParams(keys, vals, 0))) {
		snprintf(why, size, "out of memory");
	} else if (PQstatus(c) != CONNECTION_OK) {
		one_line(why, size, PQerrorMessage(c));
		PQfinish(c);
		c = NULL;
	} else {
		PQsetNoticeProcessor(c, no_notices, NULL);
		if (timeout_ms)
			PQsetnonblocking(c, 1);
	}
done:
	free(keys);
	free(vals);
	free(bufs);
	PQconninfoFree(opts);
	return c;
}

/* A command's connection (kgrec db init, compact): connection bounds, no statement timeout. */
static PGconn *pg_connect(const char *url, char *why, size_t size)
{
	return pg_connect_opts(url, 0, why, size);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When a reply to a statement sent now is given up, for events timeout @p timeout_ms. */
static int64_t reply_deadline(unsigned int timeout_ms)
{
	return now_ms() + timeout_ms + PG_GRACE_MS;
}

/* Wait until c's socket is ready for @p events or @p deadline (now_ms(); 0: no bound) has
 * passed: 0, or -1 at the deadline. */
static int pg_wait(PGconn *c, short events, int64_t deadline)
{
	struct pollfd p = { PQsocket(c), events, 0 };
	for (;;) {
		int64_t left = deadline ? deadline - now_ms() : -1;
		int r;
		if (deadline && left <= 0)
			return -1;
		r = poll(&p, 1, !deadline ? -1 : left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0 || (r < 0 && errno != EINTR) || p.fd < 0)
			return 0; /* ready, or an error libpq reports when it reads */
	}
}

/* Every result of the statements just sent on c (PQsendQuery...), read by @p deadline
 * (now_ms(); 0: no bound): 0 when each succeeded (the last tuples returned, if any, into
 * *last), -1 with why, PG_CANCELED when the server's statement_timeout cancelled one, or
 * PG_TIMED_OUT when they were sent and no complete reply came in time (the connection is
 * then of no further use: PQfinish() it). */
static int pg_results(PGconn *c, int64_t deadline, PGresult **last, char *why, size_t size)
{
	PGresult *r;
	int ok = 1, f, lost = 0;
	if (last)
		*last = NULL;
	while ((f = PQflush(c)) == 1) {
		if (pg_wait(c, POLLOUT | POLLIN, deadline) < 0)
			goto timed_out;
		if (!PQconsumeInput(c)) {
			lost = 1;
			break;
		}
	}
	lost |= f < 0;
	while (!lost) {
		while (!lost && PQisBusy(c)) {
			if (pg_wait(c, POLLIN, deadline) < 0)
				goto timed_out;
			lost = !PQconsumeInput(c);
		}
		if (lost || !(r = PQgetResult(c)))
			break;
		if (ok && PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			one_line(why, size, PQresultErrorMessage(r));
			ok = state && !strcmp(state, "57014") ? PG_CANCELED : 0;
		}
		if (last && PQresultStatus(r) == PGRES_TUPLES_OK) {
			PQclear(*last);
			*last = r;
		} else {
			PQclear(r);
		}
	}
	if (ok == 1 && (lost || PQstatus(c) != CONNECTION_OK)) {
		one_line(why, size, PQerrorMessage(c));
		ok = 0;
	}
	if (ok != 1 && last && *last) {
		PQclear(*last);
		*last = NULL;
	}
	return ok == 1 ? 0 : ok == PG_CANCELED ? PG_CANCELED : -1;
timed_out:
	if (last) {
		PQclear(*last);
		*last = NULL;
	}
	snprintf(why, size, "no reply from the database within the events timeout");
	return PG_TIMED_OUT;
}

/* Run a statement without results; 0 or -1 with the error in why. */
static int pg_run(PGconn *c, const char *sql, char *why, size_t size)
{
	PGresult *r = PQexec(c, sql);
	int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	if (!ok)
		one_line(why, size, r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

/* The table exists and has the columns kgrec reads. */
static int pg_check_table(PGconn *c, const char *url)
{
	char why[256], show[512];
	if (pg_run(c, "SELECT id, user_iri, item, action, at, weight, pending FROM " PG_TABLE
		    " LIMIT 0", why, sizeof(why)) < 0)
		return kgr__error_set(KGR_EINVALID, "events database %s: %s (create the table with "
			"'kgrec db init URL')", shown(url, show, sizeof(show)), why);
	return 0;
}

int kgr_db_init(const char *url)
{
	static const char *const ddl =
		"CREATE TABLE IF NOT EXISTS " PG_TABLE " ("
		" id bigserial PRIMARY KEY,"
		" user_iri text NOT NULL,"
		" item text NOT NULL,"
		" action text NOT NULL,"
		" at bigint NOT NULL,"
		" weight double precision NOT NULL,"
		" pending boolean NOT NULL DEFAULT false,"
		" logged timestamptz NOT NULL DEFAULT now())";
	char why[256], show[512];
	PGconn *c;
	int error = 0;
	kgr_init();
	if (!(c = pg_connect(url, why, sizeof(why))))
		return kgr__error_set(KGR_EIO, "events database %s: %s", shown(url, show, sizeof(show)), why);
	if (pg_run(c, ddl, why, sizeof(why)) < 0)
		error = kgr__error_set(KGR_EIO, "events database %s: creating " PG_TABLE ": %s",
			shown(url, show, sizeof(show)), why);
	PQfinish(c);
	return error;
}

/* ---- writing ---- */

/* Send several statements in one round trip and read every result by @p deadline (0: no
 * bound): pg_results()'s. */
static int pg_run_many(PGconn *c, const char *sql, int64_t deadline, PGresult **last, char *why,
	size_t size)
{
	if (last)
		*last = NULL;
	if (!PQsendQuery(c, sql)) {
		one_line(why, size, PQerrorMessage(c));
		return -1;
	}
	return pg_results(c, deadline, last, why, size);
}

/* ---- the table: kgrec's own, or a table of the shop's own through a mapping ---- */

static const char *const role_names[N_ROLES] = { "id", "user", "item", "action", "time", "weight" };

static void table_free(pg_table *t)
{
	free(t->name);
	free(t->select_after);
	free(t->insert_head);
	free(t->returning);
	free(t->schema);
	free(t->qualified);
	memset(t, 0, sizeof(*t));
}

static int table_own(pg_table *t)
{
	t->name = strdup(PG_TABLE);
	t->select_after = strdup(PG_SELECT_AFTER);
	t->insert_head = strdup("INSERT INTO " PG_TABLE " (user_iri, item, action, at, weight, "
		"pending) VALUES ");
	t->returning = strdup(" RETURNING id");
	if (!t->name || !t->select_after || !t->insert_head || !t->returning)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* "id=event_id,user=customer,..." into cols[] (malloc'd column names; a role left out is a
 * column of its own name, but weight, which stays NULL). */
static int parse_columns(const char *table, const char *spec, char *cols[N_ROLES])
{
	const char *p = spec ? spec : "";
	int r, given[N_ROLES] = { 0 };
	while (*p) {
		const char *end = strchr(p, ','), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p), klen, vlen;
		const char *v;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		eq = memchr(p, '=', len);
		if (!eq)
			return kgr__error_set(KGR_EINVALID, "events table %s: columns: '%.*s' is not "
				"ROLE=COLUMN (roles: id, user, item, action, time, weight)", table, (int)len, p);
		klen = (size_t)(eq - p);
		while (klen && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
			klen--;
		v = eq + 1;
		vlen = len - (size_t)(v - p);
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		for (r = 0; r < N_ROLES; r++)
			if (strlen(role_names[r]) == klen && !strncmp(p, role_names[r], klen))
				break;
		if (r == N_ROLES)
			return kgr__error_set(KGR_EINVALID, "events table %s: columns: no role '%.*s' "
				"(roles: id, user, item, action, time, weight)", table, (int)klen, p);
		if (given[r])
			return kgr__error_set(KGR_EINVALID, "events table %s: columns: %s given twice",
				table, role_names[r]);
		if (!vlen)
			return kgr__error_set(KGR_EINVALID, "events table %s: columns: %s= names no "
				"column", table, role_names[r]);
		given[r] = 1;
		free(cols[r]);
		if (!(cols[r] = strndup(v, vlen)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		p = end ? end + 1 : p + len;
	}
	for (r = 0; r < N_ROLES; r++)
		if (!cols[r] && r != ROLE_WEIGHT && !(cols[r] = strdup(role_names[r])))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* The base types a role takes (as regtype names them), and what a message says it expects. */
static const char *const types_id[] = { "bigint", "integer", NULL };
static const char *const types_name[] = { "text", "character varying", "character", "bigint",
	"integer", NULL };
static const char *const types_action[] = { "text", "character varying", "character", NULL };
static const char *const types_time[] = { "timestamp with time zone",
	"timestamp without time zone", "bigint", "integer", NULL };
static const char *const types_weight[] = { "double precision", "real", "numeric", "bigint",
	"integer", "smallint", NULL };
static const char *const *const role_types[N_ROLES] = { types_id, types_name, types_name,
	types_action, types_time, types_weight };
static const char *const role_expect[N_ROLES] = {
	"bigint or integer (bigserial, or an identity column)",
	"text, varchar, char, bigint or integer", "text, varchar, char, bigint or integer",
	"text, varchar or char",
	"timestamptz, timestamp, or bigint or integer epoch seconds or milliseconds",
	"double precision, real, numeric or an integer" };

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

/* A statement with one text parameter (or none), its tuples or NULL with why. */
static PGresult *pg_query1(PGconn *c, const char *sql, const char *param, char *why, size_t size)
{
	PGresult *r = PQexecParams(c, sql, param ? 1 : 0, NULL, param ? &param : NULL, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		one_line(why, size, r ? PQresultErrorMessage(r) : PQerrorMessage(c));
		PQclear(r);
		return NULL;
	}
	return r;
}

static char *quote_ident(PGconn *c, const char *name)
{
	char *q = PQescapeIdentifier(c, name, strlen(name)), *s;
	if (!q)
		return NULL;
	s = strdup(q);
	PQfreemem(q);
	return s;
}

/* The mapped table's catalog entry: its oid, schema and name quoted. */
static int find_table(PGconn *c, const char *table, pg_table *t)
{
	char why[256];
	PGresult *r = pg_query1(c, "SELECT c.oid::bigint, n.nspname, c.relname, c.relkind "
		"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.oid = to_regclass($1)", table, why, sizeof(why));
	char *rel;
	if (!r)
		return kgr__error_set(KGR_EINVALID, "events table %s: %s", table, why);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return kgr__error_set(KGR_EINVALID, "events table %s: no such table in the database "
			"(a name is read as SQL reads it: shop.events, \"Shop\".\"Events\")", table);
	}
	if (strcmp(PQgetvalue(r, 0, 3), "r") && strcmp(PQgetvalue(r, 0, 3), "p")) {
		PQclear(r);
		return kgr__error_set(KGR_EINVALID, "events table %s: not a table (a view or another "
			"kind of relation)", table);
	}
	t->oid = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	t->schema = quote_ident(c, PQgetvalue(r, 0, 1));
	rel = quote_ident(c, PQgetvalue(r, 0, 2));
	PQclear(r);
	if (!t->schema || !rel) {
		free(rel);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	t->qualified = malloc(strlen(t->schema) + strlen(rel) + 2);
	if (t->qualified)
		sprintf(t->qualified, "%s.%s", t->schema, rel);
	free(rel);
	return t->qualified ? 0 : kgr__error_set(KGR_ENOMEM, "out of memory");
}

/* Each mapped column exists with a type its role takes; for writing, kgrec's inserts can
 * fill the table (the id has a default, every other NOT NULL column without one is mapped).
 * The time column's kind into t->time. */
static int check_columns(PGconn *c, pg_table *t, char *const cols[N_ROLES], const char *unit,
	int writing)
{
	char why[256], oid[32];
	PGresult *r;
	int i, role, rows, error = 0;
	snprintf(oid, sizeof(oid), "%lld", t->oid);
	r = pg_query1(c, "SELECT a.attname, (CASE WHEN ty.typtype = 'd' THEN ty.typbasetype "
		"ELSE a.atttypid END)::regtype::text, format_type(a.atttypid, a.atttypmod), "
		"a.attnotnull, a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '' "
		"FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid "
		"WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
		oid, why, sizeof(why));
	if (!r)
		return kgr__error_set(KGR_EIO, "events table %s: %s", t->name, why);
	rows = PQntuples(r);
	for (role = 0; role < N_ROLES && error == 0; role++) {
		const char *type;
		int other;
		if (!cols[role])
			continue;
		for (other = 0; other < role; other++)
			if (cols[other] && !strcmp(cols[other], cols[role]))
				break;
		if (other < role) {
			error = kgr__error_set(KGR_EINVALID, "events table %s: column %s is both %s and %s",
				t->name, cols[role], role_names[other], role_names[role]);
			break;
		}
		for (i = 0; i < rows && strcmp(PQgetvalue(r, i, 0), cols[role]); i++)
			;
		if (i == rows) {
			kgr__buf names = { 0 };
			for (i = 0; i < rows; i++)
				kgr__buf_printf(&names, "%s%s", i ? ", " : "", PQgetvalue(r, i, 0));
			error = kgr__error_set(KGR_EINVALID, "events table %s: no column \"%s\" (%s=%s); "
				"its columns: %s", t->name, cols[role], role_names[role], cols[role],
				names.s ? names.s : "none");
			kgr__buf_free(&names);
			break;
		}
		type = PQgetvalue(r, i, 1);
		t->integer[role] = !strcmp(type, "bigint") || !strcmp(type, "integer") ||
			!strcmp(type, "smallint");
		if (!in_list(type, role_types[role])) {
			error = kgr__error_set(KGR_EINVALID, "events table %s: column %s (%s) is of type "
				"%s: the %s column is %s", t->name, cols[role], role_names[role],
				PQgetvalue(r, i, 2), role_names[role], role_expect[role]);
			break;
		}
		if (role == ROLE_TIME) {
			int integer = !strcmp(type, "bigint") || !strcmp(type, "integer");
			if (integer && !unit)
				error = kgr__error_set(KGR_EINVALID, "events table %s: column %s (time) is of "
					"type %s: say whether it holds epoch seconds or milliseconds (time unit "
					"s or ms)", t->name, cols[role], PQgetvalue(r, i, 2));
			else if (!integer && unit)
				error = kgr__error_set(KGR_EINVALID, "events table %s: column %s (time) is of "
					"type %s: a time unit is for an integer time column only", t->name,
					cols[role], PQgetvalue(r, i, 2));
			t->time = !integer ? (strstr(type, "with time zone") && !strstr(type, "without") ?
				PG_TIME_TSTZ : PG_TIME_TS) : !strcmp(unit ? unit : "", "ms") ? PG_TIME_EPOCH_MS :
				PG_TIME_EPOCH_S;
		}
		if (role == ROLE_ID && writing && PQgetvalue(r, i, 4)[0] != 't')
			error = kgr__error_set(KGR_EINVALID, "events table %s: column %s (id) has no "
				"default: kgrec's inserts take their ids from it (bigserial, or an identity "
				"column)", t->name, cols[role]);
	}
	for (i = 0; i < rows && error == 0 && writing; i++) {
		const char *name = PQgetvalue(r, i, 0);
		for (role = 0; role < N_ROLES && !(cols[role] && !strcmp(cols[role], name)); role++)
			;
		if (role == N_ROLES && PQgetvalue(r, i, 3)[0] == 't' && PQgetvalue(r, i, 4)[0] != 't')
			error = kgr__error_set(KGR_EINVALID, "events table %s: column %s is NOT NULL without "
				"a default and is not mapped: kgrec could not insert the events it is posted "
				"(map it, or give it a default)", t->name, name);
	}
	PQclear(r);
	return error;
}

/* The statements of a mapped table. */
static int table_statements(PGconn *c, pg_table *t, char *const cols[N_ROLES])
{
	char *q[N_ROLES] = { 0 };
	kgr__buf sel = { 0 }, ins = { 0 }, ret = { 0 };
	int role, error = 0;
	for (role = 0; role < N_ROLES; role++)
		if (cols[role] && !(q[role] = quote_ident(c, cols[role])))
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
	if (error == 0) {
		kgr__buf_printf(&sel, "SELECT %s, %s::text, %s::text, %s::text, ", q[ROLE_ID],
			q[ROLE_USER], q[ROLE_ITEM], q[ROLE_ACTION]);
		switch (t->time) {
		case PG_TIME_TSTZ:
		case PG_TIME_TS: /* a timestamp without time zone is read as UTC */
			kgr__buf_printf(&sel, "floor(extract(epoch FROM %s))::bigint", q[ROLE_TIME]);
			break;
		case PG_TIME_EPOCH_MS:
			kgr__buf_printf(&sel, "floor(%s / 1000.0)::bigint", q[ROLE_TIME]);
			break;
		default:
			kgr__buf_printf(&sel, "%s::bigint", q[ROLE_TIME]);
		}
		if (q[ROLE_WEIGHT])
			kgr__buf_printf(&sel, ", %s::float8", q[ROLE_WEIGHT]);
		else
			kgr__buf_puts(&sel, ", NULL::float8");
		kgr__buf_printf(&sel, ", true FROM %s WHERE %s > $1::bigint ORDER BY %s LIMIT "
			PG_CHUNK_TEXT, t->qualified, q[ROLE_ID], q[ROLE_ID]);
		kgr__buf_printf(&ins, "INSERT INTO %s (%s, %s, %s, %s%s%s) VALUES ", t->qualified,
			q[ROLE_USER], q[ROLE_ITEM], q[ROLE_ACTION], q[ROLE_TIME], q[ROLE_WEIGHT] ? ", " : "",
			q[ROLE_WEIGHT] ? q[ROLE_WEIGHT] : "");
		kgr__buf_printf(&ret, " RETURNING %s", q[ROLE_ID]);
		if (sel.oom || ins.oom || ret.oom)
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	t->select_after = sel.s;
	t->insert_head = ins.s;
	t->returning = ret.s;
	t->has_weight = q[ROLE_WEIGHT] != NULL;
	for (role = 0; role < N_ROLES; role++)
		free(q[role]);
	return error;
}

/* Every replica reads the rows after its cursor once a second: without an index that
 * starts with the id column, each read would scan the whole table. */
static int check_id_index(PGconn *c, const pg_table *t, const char *id)
{
	char why[256], oid[32];
	const char *params[2] = { oid, id };
	PGresult *r;
	int error = 0;
	snprintf(oid, sizeof(oid), "%lld", t->oid);
	r = PQexecParams(c, "SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
		"i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = $1::oid AND a.attname = $2 "
		"AND i.indisvalid", 2, NULL, params, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		one_line(why, sizeof(why), r ? PQresultErrorMessage(r) : PQerrorMessage(c));
		error = kgr__error_set(KGR_EIO, "events table %s: %s", t->name, why);
	} else if (PQntuples(r) == 0) {
		error = kgr__error_set(KGR_EINVALID, "events table %s: column %s (id) has no index: "
			"every replica reads the rows after its cursor once a second, which would scan "
			"the whole table each time (make it the primary key, or CREATE INDEX ON %s (%s))",
			t->name, id, t->name, id);
	}
	PQclear(r);
	return error;
}

/* The events table of @p map on connection c into *t: checked, its statements built. With
 * @p writing, also that kgrec can insert into it and, with @p need_trigger, that its trigger
 * is there. */
static int table_load(PGconn *c, const char *url, const kgr_events_map *map, int writing,
	int need_trigger, pg_table *t)
{
	char *cols[N_ROLES] = { 0 };
	int error, role;
	memset(t, 0, sizeof(*t));
	if (!map || !map->table) {
		if ((error = table_own(t)) == 0 && c)
			error = pg_check_table(c, url);
		return error;
	}
	KGR__CHECK_VERSIONS(map, 1, KGR_EVENTS_MAP_VERSION, "events table");
	t->mapped = 1;
	if (!(t->name = strdup(map->table)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (map->time_unit && strcmp(map->time_unit, "s") && strcmp(map->time_unit, "ms"))
		return kgr__error_set(KGR_EINVALID, "events table %s: time unit '%s': expected s or ms",
			t->name, map->time_unit);
	if ((error = parse_columns(t->name, map->columns, cols)) < 0 ||
		(error = find_table(c, map->table, t)) < 0 ||
		(error = check_columns(c, t, cols, map->time_unit, writing)) < 0 ||
		(error = table_statements(c, t, cols)) < 0)
		goto done;
	if (writing && (error = check_id_index(c, t, cols[ROLE_ID])) < 0)
		goto done;
	if (need_trigger) {
		char why[256], oid[32];
		PGresult *r;
		snprintf(oid, sizeof(oid), "%lld", t->oid);
		if (!(r = pg_query1(c, "SELECT 1 FROM pg_trigger WHERE tgrelid = $1::oid AND tgname = '"
			      PG_TRIGGER "' AND tgenabled <> 'D'", oid, why, sizeof(why)))) {
			error = kgr__error_set(KGR_EIO, "events table %s: %s", t->name, why);
			goto done;
		}
		if (PQntuples(r) == 0)
			error = kgr__error_set(KGR_EINVALID, "events table %s: it has no kgrec trigger "
				"(" PG_TRIGGER "), through which the inserts of every application keep their "
				"ids in commit order and notify the replicas: install it with 'kgrec db init "
				"URL' and the same table and columns", t->name);
		PQclear(r);
	}
done:
	for (role = 0; role < N_ROLES; role++)
		free(cols[role]);
	return error;
}

int kgr_db_init_map(const char *url, const kgr_events_map *map)
{
	char why[256], show[512];
	PGconn *c;
	pg_table t;
	kgr__buf sql = { 0 };
	int error = 0;
	if (!map || !map->table)
		return kgr_db_init(url);
	kgr_init();
	KGR__CHECK_VERSIONS(map, 1, KGR_EVENTS_MAP_VERSION, "events table");
	if (!(c = pg_connect(url, why, sizeof(why))))
		return kgr__error_set(KGR_EIO, "events database %s: %s", shown(url, show, sizeof(show)), why);
	if ((error = table_load(c, url, map, 1, 0, &t)) < 0)
		goto done;
	/* the lock before any row of the statement takes its id from the sequence: ids follow
	 * commit order, as the listeners' cursor needs */
	kgr__buf_printf(&sql, "BEGIN; "
		"CREATE OR REPLACE FUNCTION %s." PG_TRIGGER "() RETURNS trigger LANGUAGE plpgsql "
		"SET search_path = pg_catalog AS "
		"$kgrec$ BEGIN PERFORM pg_advisory_xact_lock(" PG_LOCK_KEY "); "
		"PERFORM pg_notify('" PG_CHANNEL "', ''); RETURN NULL; END $kgrec$; "
		"DROP TRIGGER IF EXISTS " PG_TRIGGER " ON %s; "
		"CREATE TRIGGER " PG_TRIGGER " BEFORE INSERT ON %s FOR EACH STATEMENT "
		"EXECUTE FUNCTION %s." PG_TRIGGER "(); COMMIT", t.schema, t.qualified, t.qualified,
		t.schema);
	if (sql.oom)
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
	else if (pg_run_many(c, sql.s, 0, NULL, why, sizeof(why)) < 0)
		error = kgr__error_set(KGR_EIO, "events database %s: installing the trigger on %s: %s",
			shown(url, show, sizeof(show)), t.name, why);
	kgr__buf_free(&sql);
done:
	table_free(&t);
	PQfinish(c);
	return error;
}

/* The whole batch as one round trip: the transaction, the lock, one INSERT of every event
 * returning their ids, NOTIFY and COMMIT (values quoted by PQescapeLiteral). In a table of the
 * shop's own, an event's names are written as the client gave them, its time in the time
 * column's kind. Returns the text (malloc'd) or NULL when out of memory. */
static char *batch_sql(PGconn *c, const pg_table *t, const kgr__event *ev, size_t n)
{
	kgr__buf b = { 0 };
	size_t i;
	kgr__buf_printf(&b, "BEGIN; SELECT pg_advisory_xact_lock(" PG_LOCK_KEY "); %s", t->insert_head);
	for (i = 0; i < n && !b.oom; i++) {
		char *u = PQescapeLiteral(c, ev[i].user, strlen(ev[i].user));
		char *it = PQescapeLiteral(c, ev[i].item, strlen(ev[i].item));
		char *a = PQescapeLiteral(c, ev[i].action, strlen(ev[i].action));
		long long tm = (long long)ev[i].time;
		if (!u || !it || !a)
			b.oom = 1;
		else if (!t->mapped)
			kgr__buf_printf(&b, "%s(%s, %s, %s, %lld, %.17g, %s)", i ? ", " : "", u, it, a,
				tm, ev[i].weight, ev[i].pending ? "true" : "false");
		else {
			kgr__buf_printf(&b, "%s(%s, %s, %s, ", i ? ", " : "", u, it, a);
			if (t->time == PG_TIME_TSTZ)
				kgr__buf_printf(&b, "to_timestamp(%lld)", tm);
			else if (t->time == PG_TIME_TS)
				kgr__buf_printf(&b, "(to_timestamp(%lld) AT TIME ZONE 'UTC')", tm);
			else
				kgr__buf_printf(&b, "%lld", t->time == PG_TIME_EPOCH_MS ? tm * 1000 : tm);
			if (t->has_weight)
				kgr__buf_printf(&b, ", %.17g", ev[i].weight);
			kgr__buf_puts(&b, ")");
		}
		PQfreemem(u);
		PQfreemem(it);
		PQfreemem(a);
	}
	kgr__buf_printf(&b, "%s; NOTIFY " PG_CHANNEL "; COMMIT", t->returning);
	if (b.oom) {
		kgr__buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* Commit a batch on the writer by @p deadline, its ids into *ids (PQclear() it); on any
 * failure pg_results()'s code with why (a transaction left open by a failed statement is
 * rolled back by the caller, or lost with the connection). */
static int write_batch(PGconn *c, const pg_table *t, const kgr__event *ev, size_t n,
	int64_t deadline, PGresult **ids, char *why, size_t size)
{
	PGresult *r;
	char *sql = batch_sql(c, t, ev, n);
	int error;
	if (!sql) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	error = pg_run_many(c, sql, deadline, &r, why, size);
	free(sql);
	if (error < 0)
		return error;
	if (!r || PQntuples(r) != (int)n) {
		snprintf(why, size, "the batch's ids did not come back");
		PQclear(r);
		return -1;
	}
	*ids = r;
	return 0;
}

/* The ids of a batch this replica applies itself, for the listener to skip (events_mu held,
 * so the listener cannot have read them yet). */
static int note_local(kgr__pglog *pg, const PGresult *ids, int64_t *last_id)
{
	int i, n = PQntuples(ids);
	int error = 0;
	pthread_mutex_lock(&pg->mu);
	if (pg->n_local + (size_t)n > pg->cap_local) {
		size_t cap = 2 * (pg->n_local + (size_t)n) + 16;
		int64_t *t = realloc(pg->local, cap * sizeof(*t));
		if (t) {
			pg->local = t;
			pg->cap_local = cap;
		} else {
			error = -1;
		}
	}
	for (i = 0; i < n; i++) {
		int64_t id = strtoll(PQgetvalue(ids, i, 0), NULL, 10);
		if (error == 0)
			pg->local[pg->n_local++] = id;
		if (id > *last_id)
			*last_id = id;
	}
	pthread_mutex_unlock(&pg->mu);
	return error;
}

/* Whether the listener is to skip event @p id (pg->mu held). The ids are in ascending order:
 * a batch's come back in the order inserted, and batches commit one after the other. */
static int is_local(const kgr__pglog *pg, int64_t id)
{
	size_t lo = 0, hi = pg->n_local;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pg->local[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pg->n_local && pg->local[lo] == id;
}

/* The cursor moved to @p cursor: forget the local ids it passed (pg->mu held). */
static void set_cursor(kgr__pglog *pg, int64_t cursor)
{
	size_t i, k = 0;
	pg->cursor = cursor;
	for (i = 0; i < pg->n_local; i++)
		if (pg->local[i] > cursor)
			pg->local[k++] = pg->local[i];
	pg->n_local = k;
}

/* The writer, checked before a batch is sent on it. Between batches the server sends it
 * nothing (it does not LISTEN), so anything to read is the server's goodbye: the error and
 * end of file of a connection closed while idle (a restart, an administrator's terminate).
 * Such a connection is replaced here, before anything is sent, rather than after a batch
 * failed on it: a batch is sent once (kgr__pg_append). */
static PGconn *writer_ready(kgr__pglog *pg, char *why, size_t size)
{
	struct pollfd p = { pg->writer ? PQsocket(pg->writer) : -1, POLLIN, 0 };
	if (pg->writer && (PQstatus(pg->writer) != CONNECTION_OK || p.fd < 0 || poll(&p, 1, 0) != 0)) {
		PQfinish(pg->writer);
		pg->writer = NULL;
	}
	if (!pg->writer)
		pg->writer = pg_connect_opts(pg->url, pg->timeout_ms, why, size);
	return pg->writer;
}

/* A write begun at @p began (now_ms()) failed for want of the database (@p why): /readyz is
 * degraded until a write, or a round of the listener begun after this, succeeds. When it
 * waited a bound out (a second or more: a timeout, not a refusal), writes pause for a
 * second (write_paused()). */
static void write_failed(kgr__pglog *pg, const char *why, int64_t began)
{
	int64_t now = now_ms();
	pthread_mutex_lock(&pg->mu);
	pg->write_failed++;
	snprintf(pg->write_error, sizeof(pg->write_error), "%s", why);
	if (now - began >= PG_PAUSE_MS)
		pg->write_retry_at = now + PG_PAUSE_MS;
	pthread_mutex_unlock(&pg->mu);
}

/* Whether a write is refused untried, a write having waited out a bound less than a second
 * ago (and nothing having succeeded since): its reason into why. */
static int write_paused(kgr__pglog *pg, char *why, size_t size)
{
	int paused;
	pthread_mutex_lock(&pg->mu);
	paused = pg->write_failed != pg->write_cleared && now_ms() < pg->write_retry_at;
	if (paused)
		snprintf(why, size, "%s", pg->write_error);
	pthread_mutex_unlock(&pg->mu);
	return paused;
}

/* The database answered: the write failures up to @p failed (write_failed then) are over. */
static void write_cleared(kgr__pglog *pg, unsigned int failed)
{
	pthread_mutex_lock(&pg->mu);
	if ((int)(failed - pg->write_cleared) > 0)
		pg->write_cleared = failed;
	pthread_mutex_unlock(&pg->mu);
}

static unsigned int write_failures(kgr__pglog *pg)
{
	unsigned int n;
	pthread_mutex_lock(&pg->mu);
	n = pg->write_failed;
	pthread_mutex_unlock(&pg->mu);
	return n;
}

int kgr__pg_append(kgr_server *srv, const kgr__event *ev, size_t n, int64_t *last_id)
{
	kgr__pglog *pg = srv->pg;
	PGresult *ids;
	char why[256] = "", ignore[64];
	unsigned int failed = write_failures(pg);
	int64_t began = now_ms();
	int local, rc;
	if (write_paused(pg, why, sizeof(why)))
		return kgr__error_set(KGR_EIO, "events database: not tried, a write failed a moment "
			"ago (%s)", why);
	if (!writer_ready(pg, why, sizeof(why))) {
		write_failed(pg, why[0] ? why : "unavailable", began);
		return kgr__error_set(KGR_EIO, "events database: %s", why[0] ? why : "unavailable");
	}
	rc = write_batch(pg->writer, &pg->tbl, ev, n, reply_deadline(pg->timeout_ms), &ids, why,
		sizeof(why));
	if (rc == 0) {
		write_cleared(pg, failed);
		*last_id = 0;
		local = note_local(pg, ids, last_id);
		PQclear(ids);
		if (local < 0) /* the listener will apply them a second time */
			kgr__server_log(srv, "events database: out of memory noting a batch");
		return 0;
	}
	if (rc != PG_TIMED_OUT && PQstatus(pg->writer) == CONNECTION_OK &&
		pg_run_many(pg->writer, "ROLLBACK", reply_deadline(pg->timeout_ms), NULL, ignore,
			sizeof(ignore)) == 0) {
		if (rc == PG_CANCELED) /* the server's statement_timeout: rolled back, but slow */
			write_failed(pg, why, began);
		return kgr__error_set(KGR_EIO, "events database: %s", why);
	}
	/* The connection went, or gave no reply in time, with the batch sent: it may have been
	 * committed, its reply lost. Sending it again could store it twice, so it is not
	 * acknowledged; if it was committed, the listeners apply it like another replica's (its
	 * ids are not noted as this one's). */
	PQfinish(pg->writer);
	pg->writer = NULL;
	write_failed(pg, why, began);
	if (rc == PG_TIMED_OUT)
		return kgr__error_set(KGR_EIO, "events database: no reply within %u ms to the batch "
			"sent, which may have been stored", pg->timeout_ms + PG_GRACE_MS);
	return kgr__error_set(KGR_EIO, "events database: the connection was lost with the batch "
		"sent, which may have been stored (%s)", why);
}

/* ---- reading ---- */

/* Row i of the table's SELECT (id, user, item, action, time, weight, pending) as an event:
 * strings borrowed from r, but *owned (free it), set for a row of a shop's own table, whose
 * names are matched against @p store as a request's are. 0, or 1 when the row is no event
 * kgrec takes (an empty column, an action name it does not know or that is no interaction):
 * the reason in @p ign. */
static int row_event(const pg_table *t, const kgr_store *store, const PGresult *r, int i,
	kgr__event *ev, char **owned, ignored_rows *ign)
{
	char why[160];
	int col;
	*owned = NULL;
	if (!t->mapped) {
		ev->user = PQgetvalue(r, i, 1);
		ev->item = PQgetvalue(r, i, 2);
		ev->action = PQgetvalue(r, i, 3);
		ev->time = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		ev->weight = strtod(PQgetvalue(r, i, 5), NULL);
		ev->pending = PQgetvalue(r, i, 6)[0] == 't';
		return 0;
	}
	why[0] = '\0';
	for (col = 1; col <= 4 && !why[0]; col++)
		if (PQgetisnull(r, i, col) || !PQgetvalue(r, i, col)[0])
			snprintf(why, sizeof(why), "no %s", role_names[col]);
	if (!why[0]) {
		ev->time = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		ev->weight = PQgetisnull(r, i, 5) ? 1.0 : strtod(PQgetvalue(r, i, 5), NULL);
		if (!kgr__time_ok(ev->time))
			snprintf(why, sizeof(why), "a time out of the years 1000 to 9999");
		else if (!isfinite(ev->weight))
			snprintf(why, sizeof(why), "a weight that is no number");
		else
			kgr__event_from_names(store, t->actions, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
				PQgetvalue(r, i, 3), ev, owned, why, sizeof(why));
	}
	if (!why[0])
		return 0;
	if (!ign->n++) {
		ign->first_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		snprintf(ign->first, sizeof(ign->first), "%s", why);
	}
	return 1;
}

/* Events after *cursor (at most PG_CHUNK) into the replay, read within @p timeout_ms;
 * *cursor moves to the last one read, *n_out says how many. KGR_EIO when the query failed,
 * KGR_ETIMEOUT when no reply came in time (the connection is of no further use). */
static int read_chunk(PGconn *c, const pg_table *t, unsigned int timeout_ms, kgr__replay *rc,
	kgr__pglog *skip, int64_t *cursor, size_t *n_out, ignored_rows *ign)
{
	char why[256];
	char after[32];
	const char *params[1] = { after };
	PGresult *r = NULL;
	int i, rows, error = 0;
	snprintf(after, sizeof(after), "%lld", (long long)*cursor);
	if (!PQsendQueryParams(c, t->select_after, 1, NULL, params, NULL, NULL, 0)) {
		one_line(why, sizeof(why), PQerrorMessage(c));
		return kgr__error_set(KGR_EIO, "events database: %s", why);
	}
	if ((error = pg_results(c, reply_deadline(timeout_ms), &r, why, sizeof(why))) < 0 || !r) {
		PQclear(r);
		if (error == PG_TIMED_OUT)
			return kgr__error_set(KGR_ETIMEOUT, "events database: no reply within %u ms",
				timeout_ms + PG_GRACE_MS);
		return kgr__error_set(KGR_EIO, "events database: %s", error < 0 ? why : "no rows");
	}
	rows = PQntuples(r);
	for (i = 0; i < rows && error == 0; i++) {
		kgr__event ev;
		char *owned = NULL;
		int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		int mine = 0;
		if (skip) {
			pthread_mutex_lock(&skip->mu);
			mine = is_local(skip, id);
			pthread_mutex_unlock(&skip->mu);
		}
		if (mine)
			*cursor = id; /* applied by the request that posted it */
		else if (row_event(t, rc->st->store, r, i, &ev, &owned, ign) != 0)
			*cursor = id; /* no event: passed over */
		else if ((error = kgr__replay_event(rc, &ev)) < 0)
			kgr__error_prefix("events database: event %s", PQgetvalue(r, i, 0));
		else
			*cursor = id;
		free(owned);
	}
	PQclear(r);
	*n_out = (size_t)rows;
	return error;
}

/* Every event after *cursor onto rc's state, in chunks, but those of @p skip's local ids. */
static int read_all(PGconn *c, const pg_table *t, unsigned int timeout_ms, kgr__replay *rc,
	kgr__pglog *skip, int64_t *cursor, ignored_rows *ign)
{
	size_t n;
	int error;
	do {
		if ((error = read_chunk(c, t, timeout_ms, rc, skip, cursor, &n, ign)) < 0)
			return error;
		rc->info->batches++;
		if ((error = kgr__replay_apply(rc)) < 0)
			return error;
	} while (n == PG_CHUNK);
	return 0;
}

/* Tell the operator about rows of the shop's table that are no events. */
static void log_ignored(kgr_server *srv, const ignored_rows *ign)
{
	if (ign->n)
		kgr__server_log(srv, "events database: %zu rows of %s passed over, taken for no event "
			"(row %lld: %s)", ign->n, srv->pg->tbl.name, ign->first_id, ign->first);
}

int kgr__is_db_url(const char *path)
{
	return !strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11);
}

int kgr__pg_mapped(const kgr_server *srv)
{
	return srv->pg && srv->pg->tbl.mapped;
}

static int is_integer(const char *s)
{
	size_t n;
	s += *s == '-';
	n = strspn(s, "0123456789");
	return n > 0 && n <= 18 && !s[n];
}

const char *kgr__pg_unstorable(const kgr_server *srv, const char *user, const char *item,
	double weight, char *why, size_t size)
{
	const pg_table *t;
	if (!kgr__pg_mapped(srv))
		return NULL;
	t = &srv->pg->tbl;
	if (weight != 1.0 && !t->has_weight) {
		snprintf(why, size, "the events table %s has no weight column: an event weighs 1 "
			"(leave the weight out)", t->name);
		return "weight";
	}
	if (t->has_weight && t->integer[ROLE_WEIGHT] && weight != floor(weight)) {
		snprintf(why, size, "the weight column of the events table %s holds integers", t->name);
		return "weight";
	}
	if (t->integer[ROLE_USER] && !is_integer(user)) {
		snprintf(why, size, "the user column of the events table %s holds integers", t->name);
		return "user";
	}
	if (t->integer[ROLE_ITEM] && !is_integer(item)) {
		snprintf(why, size, "the item column of the events table %s holds integers", t->name);
		return "item";
	}
	return NULL;
}

int64_t kgr__pg_mark(const kgr_store *store)
{
	kgr_id node = kgr_store_iri(store, KGR__PG_MARK_NODE), p = kgr_store_iri(store, KGR__PG_MARK_PRED);
	kgr_iter it;
	kgr_quad q;
	int64_t mark = 0;
	if (!node || !p)
		return 0;
	kgr_store_match(store, &it, node, p, 0, KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &q)) {
		long long v = strtoll(kgr_term_value(store, q.o, NULL), NULL, 10);
		if (v > mark)
			mark = v; /* each compaction adds a higher one */
	}
	return mark;
}

int kgr__pg_each(const char *url, const kgr_events_map *map, const kgr_store *store,
	int64_t after, int (*cb)(const kgr__event *ev, int64_t id, void *payload), void *payload)
{
	char why[256], from[32], show[512];
	const char *params[1] = { from };
	PGconn *c = NULL;
	kgr__action_map *actions = NULL;
	pg_table t;
	int error = 0, i, rows;
	memset(&t, 0, sizeof(t));
	if (map && map->table && map->version >= 2 && map->action_map &&
		(error = kgr__action_map_load(&actions, map->action_map)) < 0)
		return error;
	if (!(c = pg_connect(url, why, sizeof(why)))) {
		kgr__action_map_free(actions);
		return kgr__error_set(KGR_EIO, "events database %s: %s", shown(url, show, sizeof(show)), why);
	}
	if ((error = table_load(c, url, map, 0, 0, &t)) < 0)
		goto done;
	t.actions = actions;
	do {
		PGresult *r;
		snprintf(from, sizeof(from), "%lld", (long long)after);
		r = PQexecParams(c, t.select_after, 1, NULL, params, NULL, NULL, 0);
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
			one_line(why, sizeof(why), r ? PQresultErrorMessage(r) : PQerrorMessage(c));
			PQclear(r);
			error = kgr__error_set(KGR_EIO, "events database: %s", why);
			goto done;
		}
		rows = PQntuples(r);
		for (i = 0; i < rows && error == 0; i++) {
			kgr__event ev;
			ignored_rows ign = { 0 };
			char *owned = NULL;
			after = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			if (row_event(&t, store, r, i, &ev, &owned, &ign) == 0)
				error = cb(&ev, after, payload);
			free(owned);
		}
		PQclear(r);
	} while (error == 0 && rows == PG_CHUNK);
done:
	table_free(&t);
	kgr__action_map_free(actions);
	PQfinish(c);
	return error;
}

int kgr__pg_replay(kgr_server *srv, kgr__replay *rc)
{
	kgr__pglog *pg = srv->pg;
	char why[256], show[512];
	int64_t cursor = kgr__pg_mark(rc->st->store);
	PGconn *c = pg_connect_opts(pg->url, pg->timeout_ms, why, sizeof(why));
	ignored_rows ign = { 0 };
	int error;
	if (!c)
		return kgr__error_set(KGR_EIO, "events database %s: %s",
			shown(pg->url, show, sizeof(show)), why);
	error = read_all(c, &pg->tbl, pg->timeout_ms, rc, NULL, &cursor, &ign);
	PQfinish(c);
	free(rc->buf);
	rc->buf = NULL;
	if (error < 0)
		return error;
	log_ignored(srv, &ign);
	atomic_fetch_add(&srv->metrics.events_replayed, rc->info->applied);
	atomic_fetch_add(&srv->metrics.events_duplicate, rc->info->duplicates);
	/* the caller holds events_mu: the listener goes on after what this replay read */
	pthread_mutex_lock(&pg->mu);
	set_cursor(pg, cursor);
	pthread_mutex_unlock(&pg->mu);
	return 0;
}

/* One round of the listener: the events after the cursor onto the live state. */
static int listen_round(kgr_server *srv, PGconn *c)
{
	kgr__pglog *pg = srv->pg;
	kgr_server_replay_info info;
	kgr__replay rc;
	ignored_rows ign = { 0 };
	int64_t cursor;
	unsigned int failed = write_failures(pg);
	int error;
	memset(&info, 0, sizeof(info));
	memset(&rc, 0, sizeof(rc));
	pthread_mutex_lock(&srv->events_mu);
	if (!(rc.st = kgr__state_acquire(srv))) {
		pthread_mutex_unlock(&srv->events_mu);
		return 0;
	}
	rc.info = &info;
	pthread_mutex_lock(&pg->mu);
	cursor = pg->cursor;
	pthread_mutex_unlock(&pg->mu);
	error = read_all(c, &pg->tbl, pg->timeout_ms, &rc, pg, &cursor, &ign);
	free(rc.buf);
	atomic_fetch_add(&rc.st->events_live, info.applied);
	kgr__state_release(rc.st);
	pthread_mutex_lock(&pg->mu);
	set_cursor(pg, cursor); /* as far as it got, also after an error */
	pthread_mutex_unlock(&pg->mu);
	pthread_mutex_unlock(&srv->events_mu);
	/* the listener's: at most one message a minute, the rows since the last one counted */
	if (ign.n) {
		time_t now = time(NULL);
		if (!pg->ignored.n)
			pg->ignored = ign;
		else
			pg->ignored.n += ign.n;
		if (now - pg->ignored_logged >= 60) {
			log_ignored(srv, &pg->ignored);
			pg->ignored.n = 0;
			pg->ignored_logged = now;
		}
	}
	atomic_fetch_add(&srv->metrics.events_applied, info.applied);
	atomic_fetch_add(&srv->metrics.events_duplicate, info.duplicates);
	atomic_fetch_add(&srv->metrics.events_ignored, ign.n);
	if (error == 0) /* the database answers: writes that failed before this round may succeed */
		write_cleared(pg, failed);
	return error;
}

static void set_listener_error(kgr__pglog *pg, const char *why)
{
	pthread_mutex_lock(&pg->mu);
	snprintf(pg->last_error, sizeof(pg->last_error), "%s", why);
	pthread_mutex_unlock(&pg->mu);
}

/* Wait for a notification, a wake-up or a second; -1 when the connection failed. */
static int wait_for_news(kgr__pglog *pg, PGconn *c)
{
	struct pollfd fds[2] = { { PQsocket(c), POLLIN, 0 }, { pg->wake[0], POLLIN, 0 } };
	PGnotify *note;
	char drain[64];
	if (poll(fds, 2, 1000) < 0 && errno != EINTR)
		return -1;
	if (fds[1].revents & POLLIN)
		while (read(pg->wake[0], drain, sizeof(drain)) > 0)
			;
	if (!PQconsumeInput(c))
		return -1;
	while ((note = PQnotifies(c)))
		PQfreemem(note);
	return 0;
}

static void *listener(void *arg)
{
	kgr_server *srv = arg;
	kgr__pglog *pg = srv->pg;
	unsigned int pause_ms = 100;
	char why[256];
	kgr__thread_name("kgr-pglisten");
	while (!atomic_load(&pg->stop)) {
		PGconn *c = pg_connect_opts(pg->url, pg->timeout_ms, why, sizeof(why));
		if (c && pg_run_many(c, "LISTEN " PG_CHANNEL, reply_deadline(pg->timeout_ms), NULL, why,
			    sizeof(why)) < 0) {
			PQfinish(c);
			c = NULL;
		}
		if (!c) {
			struct timespec ts = { pause_ms / 1000, (long)(pause_ms % 1000) * 1000000L };
			set_listener_error(pg, why);
			nanosleep(&ts, NULL);
			pause_ms = pause_ms * 2 > 5000 ? 5000 : pause_ms * 2;
			continue;
		}
		kgr__server_log(srv, "events database: listening for events");
		atomic_store(&pg->listener_up, 1);
		pause_ms = 100;
		/* after LISTEN: nothing committed from here on can be missed */
		while (!atomic_load(&pg->stop)) {
			int error = listen_round(srv, c);
			if (error < 0) {
				kgr__server_log(srv, "%s", kgr_error_last());
				if (error == KGR_ETIMEOUT || PQstatus(c) != CONNECTION_OK)
					break;
			}
			if (wait_for_news(pg, c) < 0)
				break;
		}
		atomic_store(&pg->listener_up, 0);
		if (!atomic_load(&pg->stop)) {
			if (PQstatus(c) == CONNECTION_OK) /* no reply in time */
				snprintf(why, sizeof(why), "no reply within %u ms",
					pg->timeout_ms + PG_GRACE_MS);
			else
				one_line(why, sizeof(why), PQerrorMessage(c));
			set_listener_error(pg, why);
			kgr__server_log(srv, "events database: connection lost (%s); reconnecting", why);
		}
		PQfinish(c);
	}
	return NULL;
}

/* ---- life cycle ---- */

int kgr__pg_open(kgr_server *srv, const char *url, const kgr_events_map *map,
	unsigned int timeout_ms)
{
	kgr__pglog *pg = calloc(1, sizeof(*pg));
	char why[256], show[512];
	int error;
	if (!pg || !(pg->url = strdup(url))) {
		free(pg);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	pg->timeout_ms = timeout_ms ? timeout_ms : PG_TIMEOUT_MS;
	pg->wake[0] = pg->wake[1] = -1;
	pthread_mutex_init(&pg->mu, NULL);

	srv->pg = pg;
	if (pipe(pg->wake) != 0)
		return kgr__error_set(KGR_EIO, "events database: pipe: %s", strerror(errno));
	fcntl(pg->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(pg->wake[1], F_SETFL, O_NONBLOCK);
	fcntl(pg->wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(pg->wake[1], F_SETFD, FD_CLOEXEC);
	if (!(pg->writer = pg_connect_opts(url, pg->timeout_ms, why, sizeof(why))))
		return kgr__error_set(KGR_EIO, "events database %s: %s", shown(url, show, sizeof(show)), why);
	error = table_load(pg->writer, url, map, 1, 1, &pg->tbl);
	pg->tbl.actions = srv->actions;
	return error;
}

int kgr__pg_start(kgr_server *srv)
{
	kgr__pglog *pg = srv->pg;
	if (!pg || pg->thread_started)
		return 0;
	if (pthread_create(&pg->thread, NULL, listener, srv) != 0)
		return kgr__error_set(KGR_EIO, "events database: cannot start the listener thread");
	pg->thread_started = 1;
	return 0;
}

void kgr__pg_free(kgr_server *srv)
{
	kgr__pglog *pg = srv->pg;
	if (!pg)
		return;
	atomic_store(&pg->stop, 1);
	if (pg->thread_started) {
		if (write(pg->wake[1], "x", 1) < 0) {
			/* the listener wakes within a second anyway */
		}
		pthread_join(pg->thread, NULL);
	}
	if (pg->writer)
		PQfinish(pg->writer);
	if (pg->wake[0] >= 0)
		close(pg->wake[0]);
	if (pg->wake[1] >= 0)
		close(pg->wake[1]);
	pthread_mutex_destroy(&pg->mu);
	free(pg->local);
	table_free(&pg->tbl);
	free(pg->url);
	free(pg);
	srv->pg = NULL;
}

int kgr__pg_status(kgr_server *srv, char *why, size_t size)
{
	kgr__pglog *pg = srv->pg;
	int up = atomic_load(&pg->listener_up), writes = 1;
	pthread_mutex_lock(&pg->mu);
	if (!up)
		snprintf(why, size, "%s", pg->last_error[0] ? pg->last_error : "connecting");
	else if ((writes = pg->write_failed == pg->write_cleared) == 0)
		snprintf(why, size, "writing: %s", pg->write_error);
	else
		why[0] = '\0';
	pthread_mutex_unlock(&pg->mu);
	return up && writes;
}
