/* Each SPARQL query runs in a child process, under a deadline that covers parse, prepare
 * and evaluation.
 *
 * rasqal cannot be interrupted inside parse and prepare (15 nested OPTIONALs, a 100 KB regex
 * alternation or 10,000 UNIONs spend tens of seconds there), librdf and rasqal are not
 * thread-safe, and rasqal 0.9.33 has memory errors reachable from a query. So
 * kgr_sparql_query() forks: the child gets a copy of the process's librdf world (the parent
 * holds the librdf lock only across fork() itself, so that the copy is whole: no query runs
 * in the parent any more, so nothing holds that lock for longer), reads the store, which is
 * shared copy-on-write and never written, runs the query as before and writes the result to
 * a pipe. A world of the child's own would cost 3 ms per query (measured; docs/SPARQL.md).
 * The parent reads the pipe with poll() until the deadline, then kills the child and reaps
 * it. Queries of several threads run at once, each in its own child; a crash in rasqal
 * becomes an error of that query; kgr__sparql_cancel_all() ends every query in flight (the
 * service calls it when it stops).
 *
 * The child gets an address-space cap (RLIMIT_AS: its size at fork plus CHILD_MEMORY_MB) and,
 * under a time limit, a CPU cap one second past it; it dies with its parent
 * (PR_SET_PDEATHSIG). */
#define _GNU_SOURCE /* pipe2, close_range */
#include "sparql/rdf_world.h"
#include "sparql/sparql_child.h"
#include "sparql/sparql_result.h"
#include "kg/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How much a query may allocate beyond what the process had mapped when it forked. */
#define CHILD_MEMORY_MB 4096

/* Declared in sparql/sparql_child.h. */
pthread_mutex_t kgr__sparql_serial_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the queries in flight, for kgr__sparql_cancel_all() ---- */

static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
static kgr__sparql_running *running_list;

void kgr__sparql_running_add(kgr__sparql_running *r)
{
	pthread_mutex_lock(&running_lock);
	r->next = running_list;
	running_list = r;
	pthread_mutex_unlock(&running_lock);
}

/* Taken off the list before the child is reaped, so that no pid is killed after reuse. */
int kgr__sparql_running_remove(kgr__sparql_running *r)
{
	kgr__sparql_running **pp;
	int cancelled;
	pthread_mutex_lock(&running_lock);
	for (pp = &running_list; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	cancelled = r->cancelled;
	pthread_mutex_unlock(&running_lock);
	return cancelled;
}

void kgr__sparql_cancel_all(void)
{
	kgr__sparql_running *r;
	pthread_mutex_lock(&running_lock);
	for (r = running_list; r; r = r->next) {
		r->cancelled = 1;
		kill(r->pid, SIGKILL);
	}
	pthread_mutex_unlock(&running_lock);
}

/* ---- the result on the wire (same machine, same build: native byte order) ---- */

static int put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

static int put_u64(FILE *f, uint64_t v)
{
	return put(f, &v, sizeof(v));
}

/* A string, or NULL (length UINT64_MAX). */
static int put_str(FILE *f, const char *s, size_t len)
{
	if (!s)
		return put_u64(f, UINT64_MAX);
	return put_u64(f, len) || put(f, s, len);
}

int kgr__sparql_wire_result(FILE *f, const kgr_sparql_result *r)
{
	size_t i;
	int32_t status = 0;
	if (put(f, &status, sizeof(status)) || put_u64(f, (uint64_t)r->kind) ||
		put_u64(f, (uint64_t)r->truncated) || put_u64(f, (uint64_t)r->boolean) ||
		put_u64(f, r->ncols) || put_u64(f, r->nrows) || put_u64(f, r->ntriples) ||
		put_u64(f, r->ncells))
		return -1;
	for (i = 0; i < r->ncols; i++)
		if (put_str(f, r->cols[i], strlen(r->cols[i])))
			return -1;
	for (i = 0; i < r->ncells; i++) {
		const kgr_sparql_term *t = &r->cells[i];
		if (put_u64(f, (uint64_t)t->kind))
			return -1;
		if (t->kind == KGR_TERM_NONE)
			continue;
		if (put_str(f, t->value, t->len) || put_str(f, t->lang, t->lang ? strlen(t->lang) : 0) ||
			put_str(f, t->datatype, t->datatype ? strlen(t->datatype) : 0))
			return -1;
	}
	return 0;
}

int kgr__sparql_wire_error(FILE *f, int code, const char *message)
{
	int32_t status = code;
	return put(f, &status, sizeof(status)) || put_str(f, message, strlen(message));
}

typedef struct {
	const char *p, *end;
} reader;

static int get(reader *rd, void *out, size_t n)
{
	if ((size_t)(rd->end - rd->p) < n)
		return -1;
	memcpy(out, rd->p, n);
	rd->p += n;
	return 0;
}

static int get_u64(reader *rd, uint64_t *v)
{
	return get(rd, v, sizeof(*v));
}

static int get_str(reader *rd, const char **s, size_t *len)
{
	uint64_t n;
	if (get_u64(rd, &n))
		return -1;
	if (n == UINT64_MAX) {
		*s = NULL;
		*len = 0;
		return 0;
	}
	if ((uint64_t)(rd->end - rd->p) < n)
		return -1;
	*s = rd->p;
	*len = (size_t)n;
	rd->p += n;
	return 0;
}

/* Declared in sparql/sparql_child.h. */
int kgr__sparql_unwire(kgr_sparql_result **out, const char *data, size_t len)
{
	reader rd = { data, data + len };
	kgr_sparql_result *r;
	uint64_t kind, trunc, boolean, ncols, nrows, ntriples, ncells, i;
	int32_t status;
	const char *s;
	size_t n;
	if (get(&rd, &status, sizeof(status)))
		return 1;
	if (status < 0) {
		if (get_str(&rd, &s, &n) || !s)
			return 1;
		return kgr__error_set(status, "%.*s", (int)n, s);
	}
	if (get_u64(&rd, &kind) || get_u64(&rd, &trunc) || get_u64(&rd, &boolean) ||
		get_u64(&rd, &ncols) || get_u64(&rd, &nrows) || get_u64(&rd, &ntriples) ||
		get_u64(&rd, &ncells) || ncols > len || ncells > len)
		return 1;
	if (!(r = kgr__sparql_result_new((kgr_sparql_kind)kind)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	r->truncated = (int)trunc;
	r->boolean = (int)boolean;
	r->nrows = (size_t)nrows;
	r->ntriples = (size_t)ntriples;
	if (!(r->cols = calloc(ncols ? (size_t)ncols : 1, sizeof(char *))))
		goto nomem;
	for (i = 0; i < ncols; i++) {
		if (get_str(&rd, &s, &n) || !s)
			goto short_read;
		if (!(r->cols[i] = kgr__sparql_strdup(r, s, n)))
			goto nomem;
		r->ncols++;
	}
	for (i = 0; i < ncells; i++) {
		uint64_t k;
		const char *lang, *dt;
		size_t lang_len, dt_len;
		char *l = NULL, *d = NULL;
		int rc;
		if (get_u64(&rd, &k))
			goto short_read;
		if (k == KGR_TERM_NONE) {
			if (kgr__sparql_push(r, KGR_TERM_NONE, NULL, 0, NULL, NULL))
				goto nomem;
			continue;
		}
		if (get_str(&rd, &s, &n) || !s || get_str(&rd, &lang, &lang_len) ||
			get_str(&rd, &dt, &dt_len))
			goto short_read;
		if ((lang && !(l = strndup(lang, lang_len))) || (dt && !(d = strndup(dt, dt_len)))) {
			free(l);
			goto nomem;
		}
		rc = kgr__sparql_push(r, (kgr_term_kind)k, s, n, l, d);
		free(l);
		free(d);
		if (rc)
			goto nomem;
	}
	if (rd.p != rd.end)
		goto short_read;
	*out = r;
	return 0;
short_read:
	kgr_sparql_result_free(r);
	return 1;
nomem:
	kgr_sparql_result_free(r);
	return kgr__error_set(KGR_ENOMEM, "out of memory");
}

/* ---- the child ---- */

/* Bytes mapped now, from /proc/self/statm; 0 when unknown. */
static uint64_t mapped_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Declared in sparql/sparql_child.h. */
uint64_t kgr__sparql_mapped_bytes(void)
{
	return mapped_bytes();
}

/* Declared in sparql/sparql_child.h. */
void kgr__sparql_memory_cap(void)
{
	struct rlimit rl;
	uint64_t mapped = mapped_bytes();
	if (mapped && getrlimit(RLIMIT_AS, &rl) == 0) {
		uint64_t cap = mapped + (uint64_t)CHILD_MEMORY_MB * 1024 * 1024;
		if (rl.rlim_max == RLIM_INFINITY || cap < rl.rlim_max) {
			rl.rlim_cur = (rlim_t)cap;
			setrlimit(RLIMIT_AS, &rl);
		}
	}
}

/* Declared in sparql/sparql_child.h. */
void kgr__sparql_cpu_cap(unsigned int timeout_ms)
{
	struct rlimit rl;
	struct rusage ru;
	rlim_t used = 0, cpu;
	if (getrlimit(RLIMIT_CPU, &rl) != 0)
		return;
	if (!timeout_ms) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_CPU, &rl);
		return;
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1);
	cpu = used + (rlim_t)(timeout_ms / 1000 + 2);
	if (rl.rlim_max == RLIM_INFINITY || cpu < rl.rlim_max) {
		rl.rlim_cur = cpu;
		setrlimit(RLIMIT_CPU, &rl);
	}
}

/* Declared in sparql/sparql_child.h. */
void kgr__sparql_child_setup(int fd, pid_t parent)
{
	sigset_t none;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* a service blocks its signals for sigwait() */
	/* only @p fd: client sockets and listening sockets of a server stay with the parent */
	if (fd > 3)
		close_range(3, (unsigned int)fd - 1, 0);
	close_range((unsigned int)fd + 1, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	kgr__sparql_memory_cap();
	kgr__sparql_text_setup();
	kgr__rdf_after_fork_child();
}

static void child_main(int fd, pid_t parent, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts)
{
	kgr_sparql_result *r = NULL;
	FILE *f;
	int error;
	kgr__sparql_child_setup(fd, parent);
	if (opts && opts->timeout_ms)
		kgr__sparql_cpu_cap(opts->timeout_ms);
	if (!(f = fdopen(fd, "w")))
		_exit(1);
	error = kgr__sparql_query_here(&r, store, query, opts);
	if (error < 0)
		kgr__sparql_wire_error(f, error, kgr_error_last());
	else
		kgr__sparql_wire_result(f, r);
	/* the result is in the pipe: exit at once, without freeing (the process goes) */
	_exit(fclose(f) == 0 ? 0 : 1);
}

/* ---- the parent ---- */

/* Declared in sparql/sparql_child.h. */
int64_t kgr__sparql_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Declared in sparql/sparql_child.h. */
int kgr__sparql_wait(int fd, int64_t deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int wait_ms = -1, rc;
	if (deadline) {
		int64_t left = deadline - kgr__sparql_now_ms();
		if (left <= 0)
			return KGR__WAIT_DEADLINE;
		wait_ms = left > 1000000 ? 1000000 : (int)left;
	}
	if (KGR__SERIAL_FORKS && (wait_ms < 0 || wait_ms > 200))
		wait_ms = 200; /* a stuck child is looked for every 200 ms */
	rc = poll(&pfd, 1, wait_ms);
	if (rc < 0 && errno == EINTR)
		return 0;
	return rc < 0 ? -1 : rc > 0;
}

/* Declared in sparql/sparql_child.h. */
const char *kgr__sparql_signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV, a crash inside rasqal";
	case SIGABRT: return "SIGABRT, an abort";
	case SIGBUS: return "SIGBUS, a crash";
	case SIGKILL: return "SIGKILL, out of memory?";
	case SIGXCPU: return "SIGXCPU, CPU time limit";
	default: return "a signal";
	}
}

static int query_in_child(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts);

int kgr_sparql_query(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts)
{
	int error, tries = 0;
	*out = NULL;
	if (!query)
		return kgr__error_set(KGR_EINVALID, "no SPARQL query given");
	if (!store->finalized)
		return kgr__error_set(KGR_EINVALID,
			"the store is still loading: call kgr_store_finalize() before querying it");
	if ((error = kgr__sparql_pool_query(out, store, query, opts)) != 1)
		return error;
	if (!KGR__SERIAL_FORKS)
		return query_in_child(out, store, query, opts);
	pthread_mutex_lock(&kgr__sparql_serial_lock);
	while ((error = query_in_child(out, store, query, opts)) == 1 && ++tries < 5)
		;
	pthread_mutex_unlock(&kgr__sparql_serial_lock);
	if (error == 1)
		error = kgr__error_set(KGR_ERROR, "SPARQL query process stuck at its start");
	return error;
}

/* Declared in sparql/sparql_child.h. */
int kgr__sparql_child_stuck(pid_t pid)
{
	char path[64], buf[32];
	FILE *f;
	long nr = -1;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fgets(buf, sizeof(buf), f))
		nr = strtol(buf, NULL, 10);
	fclose(f);
	return nr == 202; /* __NR_futex on x86-64 */
}

static int query_in_child(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts)
{
	int fds[2], status = 0, timed_out = 0, cancelled, error, child_failed = 0, stuck = 0;
	int64_t deadline = 0;
	kgr__sparql_running self;
	char *data = NULL;
	size_t len = 0, cap = 0;
	pid_t pid, parent = getpid();

	*out = NULL;
	if (!query)
		return kgr__error_set(KGR_EINVALID, "no SPARQL query given");
	if (!store->finalized)
		return kgr__error_set(KGR_EINVALID,
			"the store is still loading: call kgr_store_finalize() before querying it");
	if (opts && opts->timeout_ms)
		deadline = kgr__sparql_now_ms() + opts->timeout_ms;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return kgr__error_set(KGR_EIO, "cannot start the SPARQL query: pipe: %s", strerror(errno));
	fflush(NULL);
	if (!kgr__rdf_lock()) {
		close(fds[0]);
		close(fds[1]);
		return kgr_error_last_code();
	}
	pid = fork();
	if (pid != 0)
		kgr__rdf_unlock();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return kgr__error_set(KGR_ENOMEM, "cannot start the SPARQL query: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(fds[1], parent, store, query, opts);
	}
	close(fds[1]);
	memset(&self, 0, sizeof(self));
	self.pid = pid;
	kgr__sparql_running_add(&self);
	for (;;) {
		int rc = kgr__sparql_wait(fds[0], deadline);
		ssize_t n;
		if (rc == KGR__WAIT_DEADLINE) {
			timed_out = 1;
			break;
		}
		if (rc < 0) {
			child_failed = 1;
			break;
		}
		if (rc == 0) {
			if (KGR__SERIAL_FORKS && len == 0 && kgr__sparql_child_stuck(pid) && ++stuck >= 2) {
				child_failed = 2;
				break;
			}
			continue;
		}
		stuck = 0;
		if (cap - len < 65536) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *d = realloc(data, ncap);
			if (!d) {
				child_failed = -1;
				break;
			}
			data = d;
			cap = ncap;
		}
		n = read(fds[0], data + len, cap - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	if (timed_out || child_failed)
		kill(pid, SIGKILL);
	cancelled = kgr__sparql_running_remove(&self);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (child_failed == 2)
		error = 1; /* forked into a lock held by another thread: try again */
	else if (child_failed < 0)
		error = kgr__error_set(KGR_ENOMEM, "out of memory reading the SPARQL results");
	else if (timed_out)
		error = kgr__error_set(KGR_ETIMEOUT, "SPARQL query exceeded its time limit of %u ms",
			opts->timeout_ms);
	else if (cancelled)
		error = kgr__error_set(KGR_ERROR, "SPARQL query cancelled: the service is stopping");
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU && opts && opts->timeout_ms)
		error = kgr__error_set(KGR_ETIMEOUT, "SPARQL query exceeded its time limit of %u ms",
			opts->timeout_ms);
	else if ((error = kgr__sparql_unwire(out, data, len)) == 1 || (error == 0 && !WIFEXITED(status))) {
		kgr_sparql_result_free(*out);
		*out = NULL;
		if (WIFSIGNALED(status))
			error = kgr__error_set(KGR_ERROR, "SPARQL evaluation failed: the query process "
				"ended with signal %d (%s)", WTERMSIG(status),
				kgr__sparql_signal_name(WTERMSIG(status)));
		else
			error = kgr__error_set(KGR_ERROR, "SPARQL evaluation failed: the query process "
				"exited with status %d before writing its results", WEXITSTATUS(status));
	}
	free(data);
	return error;
}
