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
 * notification, on a wake-up by a local batch, or at least once a second (a notification can
 * be lost with a connection) reads the events after its cursor and applies them to the live
 * state, under events_mu like a reload's replay. It is the only one that applies events: a
 * replica's own batches come back through it too, and the request that posted them waits
 * until the cursor has passed them, so it sees its own writes. A reload replays the table
 * onto the new state and moves the cursor under the same lock.
 *
 * When the database is down, recommendations go on from memory; POST /v1/events answers
 * 503 with Retry-After, never an acknowledgement without a commit; /readyz says
 * "degraded"; both connections are opened again with a growing pause. */
#include "server/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG_TABLE "kgrec_events"
#define PG_CHANNEL "kgrec_events"
/* pg_advisory_xact_lock key: "kgrv" */
#define PG_LOCK_KEY "1801938550"
/* events read per round */
#define PG_CHUNK 5000
#define PG_CHUNK_TEXT "5000"
/* the next events after an id ($1), in id order */
#define PG_SELECT_AFTER "SELECT id, user_iri, item, action, at, weight, pending FROM " PG_TABLE \
	" WHERE id > $1::bigint ORDER BY id LIMIT " PG_CHUNK_TEXT
/* how long a request waits for the listener to apply its own batch */
#define PG_APPLY_WAIT_MS 10000

struct kgr__pglog {
	char *url;
	PGconn *writer;           /* POST /v1/events, under events_mu */
	pthread_t thread;
	int thread_started;
	int wake[2];              /* self-pipe: wake the listener */
	atomic_int stop;
	atomic_int listener_up;   /* the listener's connection is up */
	pthread_mutex_t mu;       /* cursor and waiters */
	pthread_cond_t cv;
	int64_t cursor;           /* every event up to this id is applied to the live state */
	char last_error[256];     /* the listener's last connection error, under mu */
};

/* ---- connections ---- */

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

static PGconn *pg_connect(const char *url, char *why, size_t size)
{
	PGconn *c = PQconnectdb(url);
	if (!c) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		one_line(why, size, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, no_notices, NULL);
	return c;
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
	char why[256];
	if (pg_run(c, "SELECT id, user_iri, item, action, at, weight, pending FROM " PG_TABLE
		    " LIMIT 0", why, sizeof(why)) < 0)
		return kgr__error_set(KGR_EINVALID, "events database %s: %s (create the table with "
			"'kgrec db init URL')", url, why);
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
	char why[256];
	PGconn *c;
	int error = 0;
	kgr_init();
	if (!(c = pg_connect(url, why, sizeof(why))))
		return kgr__error_set(KGR_EIO, "events database %s: %s", url, why);
	if (pg_run(c, ddl, why, sizeof(why)) < 0)
		error = kgr__error_set(KGR_EIO, "events database %s: creating " PG_TABLE ": %s", url, why);
	PQfinish(c);
	return error;
}

/* ---- writing ---- */

/* Send several statements in one round trip and read every result: 0 when each succeeded
 * (the last tuples returned, if any, into *last), -1 with why. */
static int pg_run_many(PGconn *c, const char *sql, PGresult **last, char *why, size_t size)
{
	PGresult *r;
	int ok = 1;
	if (last)
		*last = NULL;
	if (!PQsendQuery(c, sql)) {
		one_line(why, size, PQerrorMessage(c));
		return -1;
	}
	while ((r = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(r);
		if (ok && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			one_line(why, size, PQresultErrorMessage(r));
			ok = 0;
		}
		if (last && st == PGRES_TUPLES_OK) {
			PQclear(*last);
			*last = r;
		} else {
			PQclear(r);
		}
	}
	if (ok && PQstatus(c) != CONNECTION_OK) {
		one_line(why, size, PQerrorMessage(c));
		ok = 0;
	}
	if (!ok && last && *last) {
		PQclear(*last);
		*last = NULL;
	}
	return ok ? 0 : -1;
}

/* The whole batch as one round trip: the transaction, the lock, one INSERT of every event,
 * the id of the last, NOTIFY and COMMIT (values quoted by PQescapeLiteral). Returns the text
 * (malloc'd) or NULL when out of memory. */
static char *batch_sql(PGconn *c, const kgr__event *ev, size_t n)
{
	kgr__buf b = { 0 };
	size_t i;
	kgr__buf_printf(&b, "BEGIN; SELECT pg_advisory_xact_lock(" PG_LOCK_KEY "); INSERT INTO "
		PG_TABLE " (user_iri, item, action, at, weight, pending) VALUES ");
	for (i = 0; i < n && !b.oom; i++) {
		char *u = PQescapeLiteral(c, ev[i].user, strlen(ev[i].user));
		char *it = PQescapeLiteral(c, ev[i].item, strlen(ev[i].item));
		char *a = PQescapeLiteral(c, ev[i].action, strlen(ev[i].action));
		if (u && it && a)
			kgr__buf_printf(&b, "%s(%s, %s, %s, %lld, %.17g, %s)", i ? ", " : "", u, it, a,
				(long long)ev[i].time, ev[i].weight, ev[i].pending ? "true" : "false");
		else
			b.oom = 1;
		PQfreemem(u);
		PQfreemem(it);
		PQfreemem(a);
	}
	kgr__buf_printf(&b, "; SELECT max(id) FROM " PG_TABLE "; NOTIFY " PG_CHANNEL "; COMMIT");
	if (b.oom) {
		kgr__buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* Commit a batch on the writer; -1 with why on any failure (a transaction left open by a
 * failed statement is rolled back by the caller, or lost with the connection). */
static int write_batch(PGconn *c, const kgr__event *ev, size_t n, int64_t *last_id, char *why,
	size_t size)
{
	PGresult *r;
	char *sql = batch_sql(c, ev, n);
	int error;
	if (!sql) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	error = pg_run_many(c, sql, &r, why, size);
	free(sql);
	if (error < 0)
		return -1;
	if (!r || PQntuples(r) != 1) {
		snprintf(why, size, "no id after the batch");
		PQclear(r);
		return -1;
	}
	*last_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

int kgr__pg_append(kgr_server *srv, const kgr__event *ev, size_t n, int64_t *last_id)
{
	kgr__pglog *pg = srv->pg;
	char why[256] = "";
	int attempt;
	/* a connection lost since the last batch is opened again once before giving up */
	for (attempt = 0; attempt < 2; attempt++) {
		if (!pg->writer && !(pg->writer = pg_connect(pg->url, why, sizeof(why))))
			break;
		if (write_batch(pg->writer, ev, n, last_id, why, sizeof(why)) == 0)
			return 0;
		if (PQstatus(pg->writer) == CONNECTION_OK) {
			char ignore[64];
			pg_run(pg->writer, "ROLLBACK", ignore, sizeof(ignore));
			break; /* the database refused it: no point in a new connection */
		}
		PQfinish(pg->writer);
		pg->writer = NULL;
	}
	return kgr__error_set(KGR_EIO, "events database: %s", why[0] ? why : "unavailable");
}

/* ---- reading ---- */

/* Row i of a SELECT id, user_iri, item, action, at, weight, pending (strings borrowed). */
static void row_event(const PGresult *r, int i, kgr__event *ev)
{
	ev->user = PQgetvalue(r, i, 1);
	ev->item = PQgetvalue(r, i, 2);
	ev->action = PQgetvalue(r, i, 3);
	ev->time = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	ev->weight = strtod(PQgetvalue(r, i, 5), NULL);
	ev->pending = PQgetvalue(r, i, 6)[0] == 't';
}

/* Events after *cursor (at most PG_CHUNK) into the replay; *cursor moves to the last one
 * read, *n_out says how many. KGR_EIO when the query failed. */
static int read_chunk(PGconn *c, kgr__replay *rc, int64_t *cursor, size_t *n_out)
{
	char why[256];
	char after[32];
	const char *params[1] = { after };
	PGresult *r;
	int i, rows, error = 0;
	snprintf(after, sizeof(after), "%lld", (long long)*cursor);
	r = PQexecParams(c, PG_SELECT_AFTER, 1, NULL, params, NULL,
		NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		one_line(why, sizeof(why), r ? PQresultErrorMessage(r) : PQerrorMessage(c));
		PQclear(r);
		return kgr__error_set(KGR_EIO, "events database: %s", why);
	}
	rows = PQntuples(r);
	for (i = 0; i < rows && error == 0; i++) {
		kgr__event ev;
		row_event(r, i, &ev);
		if ((error = kgr__replay_event(rc, &ev)) < 0)
			kgr__error_prefix("events database: event %s", PQgetvalue(r, i, 0));
		else
			*cursor = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	}
	PQclear(r);
	*n_out = (size_t)rows;
	return error;
}

/* Every event after *cursor onto rc's state, in chunks. */
static int read_all(kgr_server *srv, PGconn *c, kgr__replay *rc, int64_t *cursor)
{
	size_t n;
	int error;
	do {
		if ((error = read_chunk(c, rc, cursor, &n)) < 0)
			return error;
		rc->info->batches++;
		if ((error = kgr__replay_apply(srv, rc)) < 0)
			return error;
	} while (n == PG_CHUNK);
	return 0;
}

int kgr__is_db_url(const char *path)
{
	return !strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11);
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

int kgr__pg_each(const char *url, int64_t after,
	int (*cb)(const kgr__event *ev, int64_t id, void *payload), void *payload)
{
	char why[256], from[32];
	const char *params[1] = { from };
	PGconn *c = pg_connect(url, why, sizeof(why));
	int error = 0, i, rows;
	if (!c)
		return kgr__error_set(KGR_EIO, "events database %s: %s", url, why);
	if ((error = pg_check_table(c, url)) < 0)
		goto done;
	do {
		PGresult *r;
		snprintf(from, sizeof(from), "%lld", (long long)after);
		r = PQexecParams(c, PG_SELECT_AFTER, 1, NULL, params,
			NULL, NULL, 0);
		if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
			one_line(why, sizeof(why), r ? PQresultErrorMessage(r) : PQerrorMessage(c));
			PQclear(r);
			error = kgr__error_set(KGR_EIO, "events database: %s", why);
			goto done;
		}
		rows = PQntuples(r);
		for (i = 0; i < rows && error == 0; i++) {
			kgr__event ev;
			row_event(r, i, &ev);
			after = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			error = cb(&ev, after, payload);
		}
		PQclear(r);
	} while (error == 0 && rows == PG_CHUNK);
done:
	PQfinish(c);
	return error;
}

int kgr__pg_replay(kgr_server *srv, kgr__replay *rc)
{
	kgr__pglog *pg = srv->pg;
	char why[256];
	int64_t cursor = kgr__pg_mark(rc->st->store);
	PGconn *c = pg_connect(pg->url, why, sizeof(why));
	int error;
	if (!c)
		return kgr__error_set(KGR_EIO, "events database %s: %s", pg->url, why);
	error = read_all(srv, c, rc, &cursor);
	PQfinish(c);
	free(rc->buf);
	rc->buf = NULL;
	if (error < 0)
		return error;
	atomic_fetch_add(&srv->metrics.events_duplicate, rc->info->duplicates);
	/* the caller holds events_mu: the listener goes on after what this replay read */
	pthread_mutex_lock(&pg->mu);
	pg->cursor = cursor;
	pthread_cond_broadcast(&pg->cv);
	pthread_mutex_unlock(&pg->mu);
	return 0;
}

/* One round of the listener: the events after the cursor onto the live state. */
static int listen_round(kgr_server *srv, PGconn *c)
{
	kgr__pglog *pg = srv->pg;
	kgr_server_replay_info info;
	kgr__replay rc;
	int64_t cursor;
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
	error = read_all(srv, c, &rc, &cursor);
	free(rc.buf);
	kgr__state_release(rc.st);
	pthread_mutex_lock(&pg->mu);
	pg->cursor = cursor; /* as far as it got, also after an error */
	pthread_cond_broadcast(&pg->cv);
	pthread_mutex_unlock(&pg->mu);
	pthread_mutex_unlock(&srv->events_mu);
	atomic_fetch_add(&srv->metrics.events_applied, info.applied);
	atomic_fetch_add(&srv->metrics.events_duplicate, info.duplicates);
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
	while (!atomic_load(&pg->stop)) {
		PGconn *c = pg_connect(pg->url, why, sizeof(why));
		if (c && pg_run(c, "LISTEN " PG_CHANNEL, why, sizeof(why)) < 0) {
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
			if (listen_round(srv, c) < 0) {
				kgr__server_log(srv, "%s", kgr_error_last());
				if (PQstatus(c) != CONNECTION_OK)
					break;
			}
			if (wait_for_news(pg, c) < 0)
				break;
		}
		atomic_store(&pg->listener_up, 0);
		if (!atomic_load(&pg->stop)) {
			one_line(why, sizeof(why), PQerrorMessage(c));
			set_listener_error(pg, why);
			kgr__server_log(srv, "events database: connection lost (%s); reconnecting", why);
		}
		PQfinish(c);
	}
	return NULL;
}

/* ---- life cycle ---- */

int kgr__pg_open(kgr_server *srv, const char *url)
{
	kgr__pglog *pg = calloc(1, sizeof(*pg));
	char why[256];
	if (!pg || !(pg->url = strdup(url))) {
		free(pg);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	pg->wake[0] = pg->wake[1] = -1;
	pthread_mutex_init(&pg->mu, NULL);
	pthread_cond_init(&pg->cv, NULL);
	srv->pg = pg;
	if (pipe(pg->wake) != 0)
		return kgr__error_set(KGR_EIO, "events database: pipe: %s", strerror(errno));
	fcntl(pg->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(pg->wake[1], F_SETFL, O_NONBLOCK);
	fcntl(pg->wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(pg->wake[1], F_SETFD, FD_CLOEXEC);
	if (!(pg->writer = pg_connect(url, why, sizeof(why))))
		return kgr__error_set(KGR_EIO, "events database %s: %s", url, why);
	return pg_check_table(pg->writer, url);
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
	pthread_cond_destroy(&pg->cv);
	free(pg->url);
	free(pg);
	srv->pg = NULL;
}

int kgr__pg_wait_applied(kgr_server *srv, int64_t id)
{
	kgr__pglog *pg = srv->pg;
	struct timespec until;
	int applied;
	if (write(pg->wake[1], "x", 1) < 0) {
		/* the pipe is full: the listener has a wake-up waiting already */
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PG_APPLY_WAIT_MS / 1000;
	pthread_mutex_lock(&pg->mu);
	while (pg->cursor < id && !atomic_load(&pg->stop))
		if (pthread_cond_timedwait(&pg->cv, &pg->mu, &until) == ETIMEDOUT)
			break;
	applied = pg->cursor >= id;
	pthread_mutex_unlock(&pg->mu);
	return applied;
}

int kgr__pg_status(kgr_server *srv, char *why, size_t size)
{
	kgr__pglog *pg = srv->pg;
	int up = atomic_load(&pg->listener_up);
	pthread_mutex_lock(&pg->mu);
	snprintf(why, size, "%s", up ? "" : pg->last_error[0] ? pg->last_error : "connecting");
	pthread_mutex_unlock(&pg->mu);
	return up;
}
