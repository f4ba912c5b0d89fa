/* Query processes kept for the next query: a service's SPARQL queries without a fork each.
 *
 * A process per query (sparql/sparql_child.c) costs a fork of the whole service: 12-13 ms
 * for `ASK {}` in `kgrec serve` on the 5M-triple store (docs/SPARQL.md), more than most
 * queries take to evaluate. So a service keeps query processes ready (kgr__sparql_pool_start):
 * a thread of the pool forks one ahead of need, as kgr_sparql_query() forks its child (the
 * librdf lock held across fork(), the store shared copy-on-write), and the process then
 * reads query after query from a socket and writes each result back, under the same limits
 * (the deadline by the caller's poll and SIGKILL, a CPU limit per query, the address-space
 * cap). A process is used again only while it is safe and right to:
 *
 * - only after a query that rasqal did not evaluate (kgrec's own evaluation answered it, or
 *   it was refused before execution): rasqal 0.9.33 has memory errors a query can reach, and
 *   a process whose heap such a query may have damaged ends with that query, as before;
 * - only for the store it was forked from, alive: a query of another store (a reload) makes
 *   the ready processes of the old one stale, and kgr_store_free() ends those of its store
 *   (kg/store.c calls the hook set here) before the memory can be reused;
 * - at most POOL_QUERIES queries, and while it maps at most POOL_GROWTH_MB more than at its
 *   start;
 * - never after a time-out, a cancel, a crash or a reply that is not whole: the process is
 *   killed.
 *
 * A query that finds no ready process of its store runs in a child of its own, as before,
 * and the pool's thread readies one for the next. Processes that end are reaped by that
 * thread, off the callers' path. The pool's thread forks, so that the processes die with it
 * (PR_SET_PDEATHSIG follows the forking thread, and a service's connection threads come and
 * go). */
#define _GNU_SOURCE /* close_range */
#include "sparql/rdf_world.h"
#include "sparql/sparql_child.h"
#include "kg/store_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define POOL_QUERIES 1000
#define POOL_GROWTH_MB 1024
/* how long a new process may take to say it is ready */
#define POOL_READY_MS 5000

unsigned long kgr__sparql_rasqal_runs;

typedef struct worker {
	struct worker *next;
	pid_t pid;
	int fd;          /* the parent's end of the socket pair */
	uint64_t epoch;  /* the pool's epoch when it was forked */
} worker;

typedef struct dead {
	struct dead *next;
	pid_t pid;
} dead;

static struct {
	pthread_mutex_t mu;   /* everything below but the fork */
	pthread_mutex_t fork_mu; /* held across a fork: kgr_store_free() waits for it */
	pthread_cond_t wake;  /* for the pool's thread */
	int users;            /* kgr__sparql_pool_start() calls not yet stopped */
	int running;          /* the thread runs */
	int stopping;
	unsigned int keep;    /* ready processes kept at most */
	pthread_t thread;
	const kgr_store *target; /* the store the processes are for, or NULL */
	uint64_t epoch;       /* changes with target; a process of another epoch is stale */
	worker *idle;
	unsigned int n_idle;
	dead *dead;           /* processes to reap */
	int forking;
	unsigned long forked, reused; /* counters, for the tests */
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .fork_mu = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER };

/* ---- the query process ---- */

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t r = send(fd, c, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* A request: u64 length, then u32 options version, u32 timeout_ms, u32 flags (1 keep_order,
 * 2 unnamed_default_graph, 4 base_iri given), u64 max_rows, u64 base length, base, query. */
typedef struct {
	uint32_t version, timeout_ms, flags;
	uint64_t max_rows, base_len;
} request_head;

static void worker_main(int fd, pid_t parent, const kgr_store *store)
{
	uint64_t start_mapped, served = 0;
	char ready = 'R';
	kgr__sparql_child_setup(fd, parent);
	/* this copy of the store is the process's own: each subject's range in two loads, for
	 * every query it will answer (a search of the whole array otherwise: kg/store.c) */
	kgr__store_index_subjects((kgr_store *)store);
	start_mapped = kgr__sparql_mapped_bytes();
	if (write(fd, &ready, 1) != 1)
		_exit(1);
	for (;;) {
		kgr_sparql_options o = KGR_SPARQL_OPTIONS_INIT;
		kgr_sparql_result *r = NULL;
		request_head h;
		uint64_t len, plen;
		char *req, *base = NULL, *query, *payload = NULL;
		size_t payload_len = 0;
		unsigned long runs = kgr__sparql_rasqal_runs;
		unsigned char reuse;
		FILE *f;
		int error;
		if (read_all(fd, &len, sizeof(len)) || len < sizeof(h) || !(req = malloc(len + 1)))
			_exit(0); /* the parent closed the socket (or went) */
		if (read_all(fd, req, len))
			_exit(0);
		req[len] = '\0';
		memcpy(&h, req, sizeof(h));
		if (h.base_len > len - sizeof(h))
			_exit(1);
		o.version = h.version;
		o.timeout_ms = h.timeout_ms;
		o.max_rows = (size_t)h.max_rows;
		o.keep_order = (h.flags & 1) != 0;
		o.unnamed_default_graph = (h.flags & 2) != 0;
		if (h.flags & 4) { /* base_len counts its terminating zero */
			base = req + sizeof(h);
			o.base_iri = base;
		}
		query = req + sizeof(h) + h.base_len;
		kgr__sparql_cpu_cap(o.timeout_ms);
		error = kgr__sparql_query_here(&r, store, query, &o);
		free(req);
		if (!(f = open_memstream(&payload, &payload_len)))
			_exit(1);
		if (error < 0)
			kgr__sparql_wire_error(f, error, kgr_error_last());
		else
			kgr__sparql_wire_result(f, r);
		kgr_sparql_result_free(r);
		if (fclose(f) != 0)
			_exit(1);
		served++;
		reuse = kgr__sparql_rasqal_runs == runs && served < POOL_QUERIES &&
			kgr__sparql_mapped_bytes() < start_mapped + (uint64_t)POOL_GROWTH_MB * 1024 * 1024;
		plen = payload_len;
		if (write_all(fd, &plen, sizeof(plen)) || write_all(fd, &reuse, 1) ||
			write_all(fd, payload, payload_len))
			_exit(1);
		free(payload);
		if (!reuse)
			_exit(0);
	}
}

/* ---- the processes ready ---- */

/* With pool.mu held: @p w ends; the pool's thread reaps it (or the caller, when the pool
 * is gone: returns 1). */
static int retire_locked(worker *w)
{
	dead *d;
	kill(w->pid, SIGKILL);
	close(w->fd);
	if (!pool.running || !(d = malloc(sizeof(*d))))
		return 1;
	d->pid = w->pid;
	d->next = pool.dead;
	pool.dead = d;
	free(w);
	pthread_cond_signal(&pool.wake);
	return 0;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void retire(worker *w)
{
	int self;
	pthread_mutex_lock(&pool.mu);
	self = retire_locked(w);
	pthread_mutex_unlock(&pool.mu);
	if (self) {
		reap(w->pid);
		free(w);
	}
}

/* With pool.mu held: every ready process ends (stale). */
static void drop_idle_locked(void)
{
	while (pool.idle) {
		worker *w = pool.idle;
		pool.idle = w->next;
		pool.n_idle--;
		if (retire_locked(w)) {
			reap(w->pid);
			free(w);
		}
	}
}

/* kgr_store_free() calls this first: no process of @p s is ready after it, and none is
 * being forked from it. */
static void store_freed(const kgr_store *s)
{
	pthread_mutex_lock(&pool.fork_mu);
	pthread_mutex_lock(&pool.mu);
	if (pool.target == s) {
		pool.target = NULL;
		pool.epoch++;
		drop_idle_locked();
	}
	pthread_mutex_unlock(&pool.mu);
	pthread_mutex_unlock(&pool.fork_mu);
}

/* With pool.fork_mu held (@p s cannot be freed meanwhile): a new query process of @p s. */
static worker *fork_worker(const kgr_store *s)
{
	int sv[2];
	pid_t pid, parent = getpid();
	worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		free(w);
		return NULL;
	}
	fflush(NULL);
	if (KGR__SERIAL_FORKS)
		pthread_mutex_lock(&kgr__sparql_serial_lock);
	if (!kgr__rdf_lock()) {
		if (KGR__SERIAL_FORKS)
			pthread_mutex_unlock(&kgr__sparql_serial_lock);
		close(sv[0]);
		close(sv[1]);
		free(w);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		worker_main(sv[1], parent, s);
	}
	kgr__rdf_unlock();
	if (KGR__SERIAL_FORKS)
		pthread_mutex_unlock(&kgr__sparql_serial_lock);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		free(w);
		return NULL;
	}
	w->pid = pid;
	w->fd = sv[0];
	return w;
}

/* 1 when @p w said it is ready within POOL_READY_MS. */
static int ready(worker *w)
{
	int64_t deadline = kgr__sparql_now_ms() + POOL_READY_MS;
	int stuck = 0, rc;
	char c;
	while ((rc = kgr__sparql_wait(w->fd, deadline)) == 0)
		if (KGR__SERIAL_FORKS && kgr__sparql_child_stuck(w->pid) && ++stuck >= 2)
			return 0;
	return rc == 1 && read(w->fd, &c, 1) == 1 && c == 'R';
}

static void *pool_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		const kgr_store *s;
		uint64_t epoch;
		worker *w;
		int ok;
		while (!pool.stopping && !pool.dead && !(pool.target && pool.n_idle == 0))
			pthread_cond_wait(&pool.wake, &pool.mu);
		if (pool.dead) {
			dead *d = pool.dead;
			pool.dead = NULL;
			pthread_mutex_unlock(&pool.mu);
			while (d) {
				dead *next = d->next;
				reap(d->pid);
				free(d);
				d = next;
			}
			pthread_mutex_lock(&pool.mu);
			continue;
		}
		if (pool.stopping)
			break;
		pthread_mutex_unlock(&pool.mu);
		pthread_mutex_lock(&pool.fork_mu);
		pthread_mutex_lock(&pool.mu);
		s = pool.target;
		epoch = pool.epoch;
		pthread_mutex_unlock(&pool.mu);
		w = s ? fork_worker(s) : NULL;
		pthread_mutex_unlock(&pool.fork_mu);
		ok = w && ready(w);
		pthread_mutex_lock(&pool.mu);
		if (w && ok && !pool.stopping && pool.target == s && pool.epoch == epoch &&
			pool.n_idle < pool.keep) {
			w->epoch = epoch;
			w->next = pool.idle;
			pool.idle = w;
			pool.n_idle++;
			pool.forked++;
		} else if (w) {
			retire_locked(w);
		}
		if (s && !ok && !pool.stopping) { /* no process to be had: not again at once */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&pool.wake, &pool.mu, &ts);
		}
	}
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* Declared in sparql/sparql_result.h. */
int kgr__sparql_pool_start(unsigned int keep)
{
	int error = 0;
	pthread_mutex_lock(&pool.mu);
	pool.keep = keep ? keep : 2;
	if (pool.users++ == 0) {
		atomic_store(&kgr__store_free_hook, store_freed);
		if (pthread_create(&pool.thread, NULL, pool_main, NULL) != 0) {
			pool.users--;
			error = kgr__error_set(KGR_ENOMEM, "cannot start the SPARQL query processes' thread");
		} else {
			pool.running = 1;
		}
	}
	pthread_mutex_unlock(&pool.mu);
	return error;
}

/* Declared in sparql/sparql_result.h. */
void kgr__sparql_pool_stop(void)
{
	dead *d;
	pthread_mutex_lock(&pool.mu);
	if (pool.users == 0 || --pool.users > 0) {
		pthread_mutex_unlock(&pool.mu);
		return;
	}
	pool.stopping = 1;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.mu);
	pthread_join(pool.thread, NULL);
	pthread_mutex_lock(&pool.mu);
	pool.running = 0;
	pool.stopping = 0;
	pool.target = NULL;
	pool.epoch++;
	drop_idle_locked();
	d = pool.dead;
	pool.dead = NULL;
	pthread_mutex_unlock(&pool.mu);
	while (d) {
		dead *next = d->next;
		reap(d->pid);
		free(d);
		d = next;
	}
}

/* Declared in sparql/sparql_result.h. */
void kgr__sparql_pool_counts(unsigned long *forked, unsigned long *reused, unsigned int *ready_now)
{
	pthread_mutex_lock(&pool.mu);
	*forked = pool.forked;
	*reused = pool.reused;
	*ready_now = pool.n_idle;
	pthread_mutex_unlock(&pool.mu);
}

/* ---- a query in a ready process ---- */

static int send_request(worker *w, const char *query, const kgr_sparql_options *opts)
{
	request_head h;
	size_t qlen = strlen(query), blen = opts->base_iri ? strlen(opts->base_iri) + 1 : 0;
	uint64_t len = sizeof(h) + blen + qlen;
	int rc;
	char *buf = malloc(sizeof(len) + len);
	if (!buf)
		return -1;
	memset(&h, 0, sizeof(h));
	h.version = opts->version;
	h.timeout_ms = opts->timeout_ms;
	h.flags = (opts->keep_order ? 1u : 0u) |
		(opts->version >= 2 && opts->unnamed_default_graph ? 2u : 0u) |
		(opts->base_iri ? 4u : 0u);
	h.max_rows = opts->max_rows;
	h.base_len = blen;
	memcpy(buf, &len, sizeof(len));
	memcpy(buf + sizeof(len), &h, sizeof(h));
	if (blen)
		memcpy(buf + sizeof(len) + sizeof(h), opts->base_iri, blen);
	memcpy(buf + sizeof(len) + sizeof(h) + blen, query, qlen);
	rc = write_all(w->fd, buf, sizeof(len) + len);
	free(buf);
	return rc;
}

/* A ready process of @p store, taken off the list, or NULL. */
static worker *take_ready(const kgr_store *store)
{
	worker *w;
	pthread_mutex_lock(&pool.mu);
	if (!pool.running || pool.stopping) {
		pthread_mutex_unlock(&pool.mu);
		return NULL;
	}
	if (pool.target != store) { /* another store (a reload): the ready processes are stale */
		pool.target = store;
		pool.epoch++;
		drop_idle_locked();
	}
	if ((w = pool.idle)) {
		pool.idle = w->next;
		pool.n_idle--;
	}
	if (pool.n_idle == 0)
		pthread_cond_signal(&pool.wake); /* ready the next one */
	pthread_mutex_unlock(&pool.mu);
	return w;
}

/* @p w ready again, if still of the store in service and wanted; else it ends. */
static void give_back(worker *w, const kgr_store *store)
{
	pthread_mutex_lock(&pool.mu);
	if (pool.running && !pool.stopping && pool.target == store && pool.epoch == w->epoch &&
		pool.n_idle < pool.keep) {
		w->next = pool.idle;
		pool.idle = w;
		pool.n_idle++;
		pool.reused++;
		w = NULL;
	}
	pthread_mutex_unlock(&pool.mu);
	if (w)
		retire(w);
}

typedef struct {
	char *data;
	size_t len, cap, need; /* need: the whole reply's size, once its head is read */
	unsigned char reuse;
	int timed_out;
	int failed; /* -1 out of memory, 1 poll failed, 2 stuck (sanitizer builds), 3 ended early */
} reply;

/* The reply of @p w into @p r, until @p deadline (0: none). */
static void read_reply(worker *w, reply *r, int64_t deadline)
{
	int stuck = 0;
	for (;;) {
		int rc;
		ssize_t n;
		if (r->need && r->len >= r->need)
			return;
		if ((rc = kgr__sparql_wait(w->fd, deadline)) == KGR__WAIT_DEADLINE) {
			r->timed_out = 1;
			return;
		}
		if (rc < 0) {
			r->failed = 1;
			return;
		}
		if (rc == 0) {
			if (KGR__SERIAL_FORKS && r->len == 0 && kgr__sparql_child_stuck(w->pid) && ++stuck >= 2) {
				r->failed = 2;
				return;
			}
			continue;
		}
		stuck = 0;
		if (r->cap - r->len < 65536) {
			size_t ncap = r->cap ? r->cap * 2 : 65536;
			char *d;
			if (r->need > ncap)
				ncap = r->need;
			if (!(d = realloc(r->data, ncap))) {
				r->failed = -1;
				return;
			}
			r->data = d;
			r->cap = ncap;
		}
		n = read(w->fd, r->data + r->len,
			r->need && r->need - r->len < r->cap - r->len ? r->need - r->len : r->cap - r->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			r->failed = 3; /* the process ended before its whole reply */
			return;
		}
		r->len += (size_t)n;
		if (!r->need && r->len >= sizeof(uint64_t) + 1) {
			uint64_t plen;
			memcpy(&plen, r->data, sizeof(plen));
			if (plen > SIZE_MAX / 2) {
				r->failed = 3;
				return;
			}
			r->need = sizeof(plen) + 1 + (size_t)plen;
			r->reuse = (unsigned char)r->data[sizeof(plen)];
		}
	}
}

/* The query's error when the reply is not a whole one (@p status: how the process ended). */
static int reply_error(const reply *r, int cancelled, int status, const kgr_sparql_options *opts)
{
	if (r->failed < 0)
		return kgr__error_set(KGR_ENOMEM, "out of memory reading the SPARQL results");
	if (r->timed_out || (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU && opts->timeout_ms))
		return kgr__error_set(KGR_ETIMEOUT, "SPARQL query exceeded its time limit of %u ms",
			opts->timeout_ms);
	if (cancelled)
		return kgr__error_set(KGR_ERROR, "SPARQL query cancelled: the service is stopping");
	if (WIFSIGNALED(status))
		return kgr__error_set(KGR_ERROR, "SPARQL evaluation failed: the query process ended "
			"with signal %d (%s)", WTERMSIG(status), kgr__sparql_signal_name(WTERMSIG(status)));
	return kgr__error_set(KGR_ERROR, "SPARQL evaluation failed: the query process ended "
		"before writing its results");
}

/* Declared in sparql/sparql_child.h. */
int kgr__sparql_pool_query(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts)
{
	kgr_sparql_options defaults = KGR_SPARQL_OPTIONS_INIT;
	kgr__sparql_running self;
	worker *w;
	reply r;
	int error, cancelled, status = 0;

	if (!opts)
		opts = &defaults;
	if (opts->version < 1 || opts->version > KGR_SPARQL_OPTIONS_VERSION)
		return 1; /* the child's path says what is wrong */
	if (!(w = take_ready(store)))
		return 1;
	memset(&self, 0, sizeof(self));
	self.pid = w->pid;
	kgr__sparql_running_add(&self);
	if (send_request(w, query, opts) != 0) {
		/* it ended while it waited (killed, or died with the thread that forked it) */
		kgr__sparql_running_remove(&self);
		retire(w);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	read_reply(w, &r, opts->timeout_ms ? kgr__sparql_now_ms() + opts->timeout_ms : 0);
	cancelled = kgr__sparql_running_remove(&self);
	if (r.failed == 1 || r.failed == 3) { /* how it ended says what to tell */
		kill(w->pid, SIGKILL);
		close(w->fd);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
		free(w);
		w = NULL;
	} else if (r.timed_out || r.failed || cancelled || !r.reuse) {
		retire(w); /* killed if need be, reaped by the pool's thread */
		w = NULL;
	}
	if (r.failed == 2) {
		free(r.data);
		return 1; /* forked into a lock held by another thread: in a child of its own */
	}
	if (r.failed || r.timed_out || cancelled)
		error = reply_error(&r, cancelled, status, opts);
	else if ((error = kgr__sparql_unwire(out, r.data + sizeof(uint64_t) + 1,
			  r.len - sizeof(uint64_t) - 1)) == 1)
		error = kgr__error_set(KGR_ERROR, "SPARQL evaluation failed: the query process wrote "
			"an incomplete result");
	free(r.data);
	if (w)
		give_back(w, store);
	return error;
}
