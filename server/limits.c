/* Limits that keep slow or greedy clients from locking others out.
 *
 * libmicrohttpd's own timeout counts idle time only: a client that sends a header byte every
 * few seconds, or a body at one byte a second, keeps its connection (and, with a thread per
 * connection, a thread) for ever, and a few hundred such clients fill the connection limit.
 * So every connection is tracked here from accept to close, with the phase it is in:
 *  - waiting for headers: they must be complete within the header deadline (--header-timeout);
 *  - receiving a body: after a grace of two seconds it must arrive at the minimum rate
 *    (--min-body-rate bytes a second, averaged since the headers);
 *  - being answered: no deadline (an LLM call may take long).
 * A watcher thread checks every 100 ms and drops a connection past its deadline by shutting
 * its socket down, which ends the connection's thread in libmicrohttpd as a client close does.
 * At accept, a client address with --max-per-ip connections open, or a daemon one connection
 * short of its limit, first evicts the oldest connection (of that address, or of any) that has
 * waited half a second or more for headers; if there is none, the new connection is refused.
 * So stalled clients cannot keep a new one out for more than about a second.
 * Complexity: O(open connections) per check and per refused-or-evicting accept. */
#include "server/limits.h"
#include "kg/internal.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PH_HEADERS, PH_BODY, PH_ANSWER };

typedef struct track {
	struct track *prev, *next;
	int fd;
	unsigned char addr[16];
	int phase, dropped;
	int64_t since_us;   /* start of the phase */
	uint64_t body_bytes;
} track;

struct kgr__limits {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t watcher;
	int stop, started;
	track head; /* circular list, oldest first */
	size_t n;
	unsigned int max_conns, per_ip, header_s, min_rate;
};

#define EVICT_AFTER_US 500000
#define BODY_GRACE_US 2000000

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* An address as 16 bytes (IPv4 mapped into IPv6), so both families compare alike. */
static void addr_key(unsigned char out[16], const struct sockaddr *sa)
{
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

/* Drop a connection: its libmicrohttpd thread sees the socket end and closes it. */
static void drop(track *t)
{
	if (!t->dropped && t->fd >= 0) {
		t->dropped = 1;
		shutdown(t->fd, SHUT_RDWR);
	}
}

static void *watch(void *arg)
{
	kgr__limits *l = arg;
	kgr__thread_name("kgr-limits");
	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		struct timespec ts;
		int64_t now = now_us();
		track *t;
		for (t = l->head.next; t != &l->head; t = t->next) {
			int64_t age = now - t->since_us;
			if (t->dropped)
				continue;
			if (t->phase == PH_HEADERS && age > (int64_t)l->header_s * 1000000)
				drop(t);
			else if (t->phase == PH_BODY && age > BODY_GRACE_US &&
				t->body_bytes * 1000000 < (uint64_t)l->min_rate * (uint64_t)age)
				drop(t);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

int kgr__limits_new(kgr__limits **out, unsigned int max_conns, unsigned int per_ip,
	unsigned int header_s, unsigned int min_rate)
{
	kgr__limits *l = calloc(1, sizeof(*l));
	*out = NULL;
	if (!l)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->head.prev = l->head.next = &l->head;
	l->max_conns = max_conns;
	l->per_ip = per_ip ? per_ip : 32;
	l->header_s = header_s ? header_s : 10;
	l->min_rate = min_rate ? min_rate : 256;
	if (pthread_create(&l->watcher, NULL, watch, l) != 0) {
		kgr__limits_free(l);
		return kgr__error_set(KGR_ENOMEM, "cannot start the connection watcher");
	}
	l->started = 1;
	*out = l;
	return 0;
}

void kgr__limits_free(kgr__limits *l)
{
	track *t, *next;
	if (!l)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->watcher, NULL);
	}
	for (t = l->head.next; t != &l->head; t = next) {
		next = t->next;
		free(t);
	}
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* The oldest live connection waiting for headers for at least EVICT_AFTER_US, of addr when
 * given. */
static track *stalled(kgr__limits *l, const unsigned char *addr, int64_t now)
{
	track *t;
	for (t = l->head.next; t != &l->head; t = t->next)
		if (!t->dropped && t->phase == PH_HEADERS && now - t->since_us >= EVICT_AFTER_US &&
			(!addr || !memcmp(t->addr, addr, 16)))
			return t;
	return NULL;
}

int kgr__limits_accept(kgr__limits *l, const struct sockaddr *addr, socklen_t len)
{
	unsigned char key[16];
	size_t same = 0, live = 0;
	track *t;
	int ok = 1;
	int64_t now = now_us();
	(void)len;
	addr_key(key, addr);
	pthread_mutex_lock(&l->mu);
	for (t = l->head.next; t != &l->head; t = t->next) {
		if (t->dropped)
			continue;
		live++;
		same += !memcmp(t->addr, key, 16);
	}
	if (same >= l->per_ip) {
		if ((t = stalled(l, key, now)))
			drop(t);
		else
			ok = 0;
	} else if (l->max_conns && live + 1 >= l->max_conns) {
		if ((t = stalled(l, NULL, now)))
			drop(t);
	}
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void kgr__limits_connection(kgr__limits *l, struct MHD_Connection *conn, void **socket_context, int started)
{
	track *t;
	if (started) {
		const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!(t = calloc(1, sizeof(*t))))
			return; /* untracked: only libmicrohttpd's own timeout applies */
		t->fd = fi ? fi->connect_fd : -1;
		addr_key(t->addr, ai ? ai->client_addr : NULL);
		t->phase = PH_HEADERS;
		t->since_us = now_us();
		pthread_mutex_lock(&l->mu);
		t->prev = l->head.prev;
		t->next = &l->head;
		l->head.prev->next = t;
		l->head.prev = t;
		l->n++;
		pthread_mutex_unlock(&l->mu);
		*socket_context = t;
		return;
	}
	if (!(t = *socket_context))
		return;
	pthread_mutex_lock(&l->mu);
	t->prev->next = t->next;
	t->next->prev = t->prev;
	l->n--;
	pthread_mutex_unlock(&l->mu);
	free(t);
	*socket_context = NULL;
}

static void set_phase(kgr__limits *l, struct MHD_Connection *conn, int phase, size_t bytes)
{
	const union MHD_ConnectionInfo *ci;
	track *t;
	if (!l || !(ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)) ||
		!(t = ci->socket_context))
		return;
	pthread_mutex_lock(&l->mu);
	if (phase < 0) {
		t->body_bytes += bytes;
	} else {
		t->phase = phase;
		t->since_us = now_us();
		t->body_bytes = 0;
	}
	pthread_mutex_unlock(&l->mu);
}

void kgr__limits_headers_done(kgr__limits *l, struct MHD_Connection *conn)
{
	set_phase(l, conn, PH_BODY, 0);
}

void kgr__limits_body(kgr__limits *l, struct MHD_Connection *conn, size_t n)
{
	set_phase(l, conn, -1, n);
}

void kgr__limits_body_done(kgr__limits *l, struct MHD_Connection *conn)
{
	set_phase(l, conn, PH_ANSWER, 0);
}

void kgr__limits_request_done(kgr__limits *l, struct MHD_Connection *conn)
{
	set_phase(l, conn, PH_HEADERS, 0);
}
