/* Server lifecycle: options, the reference-counted snapshot state, reload, operator messages.
 *
 * Requests take a reference to the current state (kgr__state_acquire) for their whole run; a
 * reload builds a complete new state (store, graph view, events log replayed) outside any lock
 * that requests need, then swaps the pointer under state_mu and drops the server's reference
 * to the old one, which is freed when its last request finishes. */
#include "server/internal.h"
#include "ranker/llm_internal.h"
#include "ranker/seq_internal.h"
#include "kgrec/audit.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

kgr__state *kgr__state_acquire(kgr_server *srv)
{
	kgr__state *st;
	pthread_mutex_lock(&srv->state_mu);
	st = srv->state;
	if (st)
		atomic_fetch_add(&st->refs, 1);
	pthread_mutex_unlock(&srv->state_mu);
	return st;
}

static void state_free(kgr__state *st)
{
	if (!st)
		return;
	kgr_graph_free(st->graph);
	kgr_model_free(st->model);
	kgr_seq_free(st->sequence);
	kgr__item_index_free(st->items);
	kgr_store_free(st->store);
	pthread_rwlock_destroy(&st->graph_lock);
	free(st);
}

void kgr__state_rdlock(kgr__state *st)
{
	pthread_rwlock_rdlock(&st->graph_lock);
}

void kgr__state_unlock(kgr__state *st)
{
	pthread_rwlock_unlock(&st->graph_lock);
}

void kgr__state_release(kgr__state *st)
{
	if (st && atomic_fetch_sub(&st->refs, 1) == 1)
		state_free(st);
}

void kgr__work_enter(kgr_server *srv)
{
	pthread_mutex_lock(&srv->work_mu);
	while (srv->work_busy >= srv->work_max)
		pthread_cond_wait(&srv->work_cv, &srv->work_mu);
	srv->work_busy++;
	pthread_mutex_unlock(&srv->work_mu);
}

void kgr__work_leave(kgr_server *srv)
{
	pthread_mutex_lock(&srv->work_mu);
	srv->work_busy--;
	pthread_cond_signal(&srv->work_cv);
	pthread_mutex_unlock(&srv->work_mu);
}

/* ---- replay ---- */

/* Declared in server/internal.h. */
int kgr__replay_event(kgr__replay *rc, const kgr__event *ev)
{
	kgr_interaction in;
	int err;
	rc->info->events++;
	err = kgr__event_to_interaction(rc->st->store, &rc->st->items, ev, &in);
	if (err == KGR_ENOTFOUND) {
		/* the item or action left the catalog since the event was logged, or the item is
		 * not in it yet (pending) */
		rc->info->skipped++;
		kgr_error_clear();
		return 0;
	}
	if (err < 0)
		return err;
	if (kgr__event_in_snapshot(rc->st->store, &in)) {
		rc->info->duplicates++;
		return 0;
	}
	if (rc->n == rc->cap) {
		size_t cap = rc->cap ? rc->cap * 2 : 1024;
		kgr_interaction *nb = realloc(rc->buf, cap * sizeof(*nb));
		if (!nb)
			return kgr__error_set(KGR_ENOMEM, "out of memory replaying the events log");
		rc->buf = nb;
		rc->cap = cap;
	}
	rc->buf[rc->n++] = in;
	return 0;
}

/* Declared in server/internal.h. */
int kgr__replay_apply(kgr__replay *rc)
{
	int error = 0;
	if (rc->n) {
		pthread_rwlock_wrlock(&rc->st->graph_lock);
		error = kgr_graph_add_interactions(rc->st->graph, rc->buf, rc->n);
		pthread_rwlock_unlock(&rc->st->graph_lock);
	}
	if (error == 0)
		rc->info->applied += rc->n;
	rc->n = 0;
	return error;
}

static int replay_line(const cJSON *events, size_t line_no, void *payload)
{
	kgr__replay *rc = payload;
	const cJSON *e;
	rc->info->batches++;
	cJSON_ArrayForEach(e, events) {
		kgr__event ev;
		if (kgr__wal_event(&ev, e) < 0)
			return kgr__error_set(KGR_ECORRUPT, "events log %s: line %zu: an event lacks "
				"user, item, action, time or weight", rc->path, line_no);
		if (kgr__replay_event(rc, &ev) < 0)
			return kgr__error_prefix("events log %s: line %zu", rc->path, line_no);
	}
	return 0;
}

int kgr__state_open(kgr_server *srv, kgr__state **out)
{
	kgr__state *st = calloc(1, sizeof(*st));
	kgr_graph_options gopts = KGR_GRAPH_OPTIONS_INIT;
	int error;

	if (!st)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	atomic_init(&st->refs, 1);
	atomic_init(&st->events_live, 0);
	{
		pthread_rwlockattr_t a;
		pthread_rwlockattr_init(&a);
		pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&st->graph_lock, &a);
		pthread_rwlockattr_destroy(&a);
	}
	if ((error = kgr_store_open(&st->store, srv->store_path)) < 0)
		goto cleanup;
	kgr_store_checksum_hex(st->store, st->checksum);
	gopts.config_path = srv->graph_config;
	if ((error = kgr_graph_new(&st->graph, st->store, &gopts)) < 0) {
		kgr__error_prefix("graph view of %s", srv->store_path);
		goto cleanup;
	}
	if (srv->model_path && (error = kgr_model_load(&st->model, srv->model_path)) < 0)
		goto cleanup;
	if (srv->sequence_path && (error = kgr_seq_load(&st->sequence, srv->sequence_path, st->store)) < 0)
		goto cleanup;
	if (st->model && kgr_model_uses_sequence(st->model)) {
		if (!st->sequence) {
			error = kgr__error_set(KGR_EINVALID, "%s: the learned model was fitted with the "
				"sequence model's scores: give the sequence model too (--sequence FILE)",
				srv->model_path);
			goto cleanup;
		}
		/* the model reads them from its own: a request's "sequence": false turns off the
		 * graph's generator only */
		if ((error = kgr_model_set_sequence(st->model, st->sequence)) < 0)
			goto cleanup;
	}
	*out = st;
	st = NULL;
	error = 0;
cleanup:
	state_free(st);
	return error;
}

int kgr__state_replay(kgr_server *srv, kgr__state *st, kgr_server_replay_info *info,
	uint64_t *good_len_out)
{
	kgr__replay rc;
	uint64_t good = 0;
	size_t torn = 0;
	int error = 0;

	memset(info, 0, sizeof(*info));
	memset(&rc, 0, sizeof(rc));
	if (good_len_out)
		*good_len_out = 0;
	rc.st = st;
	rc.info = info;
	if (srv->pg)
		return kgr__pg_replay(srv, &rc);
	if (!srv->events_path)
		return 0;
	rc.path = srv->events_path;
	error = kgr__wal_read(srv->events_path, replay_line, &rc, &good, &torn, NULL);
	if (error < 0)
		goto cleanup;
	info->torn_bytes = torn;
	if ((error = kgr__replay_apply(&rc)) < 0)
		goto cleanup;
	atomic_fetch_add(&srv->metrics.events_replayed, info->applied);
	atomic_fetch_add(&srv->metrics.events_duplicate, info->duplicates);
	if (good_len_out)
		*good_len_out = good;
cleanup:
	free(rc.buf);
	return error;
}

/* ---- options ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int is_loopback(const char *host, int v6)
{
	if (v6) {
		struct in6_addr a;
		return inet_pton(AF_INET6, host, &a) == 1 && IN6_IS_ADDR_LOOPBACK(&a);
	}
	return strncmp(host, "127.", 4) == 0;
}

/* "HOST:PORT", "[V6]:PORT", "localhost:PORT" or ":PORT" (all IPv4 interfaces). */
static int parse_listen(kgr_server *srv, const char *listen)
{
	const char *colon;
	char host[128], *end;
	unsigned long port;
	struct in_addr a4;
	struct in6_addr a6;
	size_t hl;

	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');
		if (!rb || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - listen - 1);
		colon = rb + 1;
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, listen + 1, hl);
		host[hl] = '\0';
		srv->listen_ipv6 = 1;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			goto bad;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - listen);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, listen, hl);
		host[hl] = '\0';
		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		else if (!host[0])
			strcpy(host, "0.0.0.0");
		if (inet_pton(AF_INET, host, &a4) != 1)
			goto bad;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535)
		goto bad;
	srv->listen_host = strdup(host);
	srv->listen_port = (unsigned int)port;
	return srv->listen_host ? 0 : kgr__error_set(KGR_ENOMEM, "out of memory");
bad:
	return kgr__error_set(KGR_EINVALID, "--listen '%s': expected HOST:PORT with an IPv4 address, "
		"[IPv6]:PORT or localhost:PORT (port 0 picks a free port)", listen);
}

static int read_token(kgr_server *srv, const char *path)
{
	FILE *f = fopen(path, "rb");
	char buf[4096];
	size_t n, a = 0;
	if (!f)
		return kgr__error_set(errno == ENOENT ? KGR_ENOTFOUND : KGR_EIO, "token file %s: %s",
			path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (n == sizeof(buf) - 1 && fgetc(f) != EOF) {
		fclose(f);
		return kgr__error_set(KGR_EINVALID, "token file %s is longer than %zu bytes", path, n);
	}
	fclose(f);
	buf[n] = '\0';
	/* the token is compared as a C string: a NUL inside would make its start a token */
	if (memchr(buf, '\0', n))
		return kgr__error_set(KGR_EINVALID, "token file %s contains a NUL byte at byte %zu", path,
			(size_t)((char *)memchr(buf, '\0', n) - buf));
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	while (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r')
		a++;
	if (!buf[a])
		return kgr__error_set(KGR_EINVALID, "token file %s is empty: put the bearer token "
			"clients must send in it", path);
	if (strpbrk(buf + a, " \t\r\n"))
		return kgr__error_set(KGR_EINVALID, "token file %s: the token must be one line without "
			"spaces", path);
	srv->token = strdup(buf + a);
	return srv->token ? 0 : kgr__error_set(KGR_ENOMEM, "out of memory");
}

/* A limit left at zero in the options takes its default, so a caller sets only what it
 * means to change. */
static void server_limits(kgr_server *srv)
{
	if (!srv->opts.max_body)
		srv->opts.max_body = 1 << 20;
	if (!srv->opts.sparql_timeout_ms)
		srv->opts.sparql_timeout_ms = 10000;
	if (!srv->opts.sparql_max_rows)
		srv->opts.sparql_max_rows = 10000;
	if (!srv->opts.conn_timeout_s)
		srv->opts.conn_timeout_s = 30;
	if (!srv->opts.max_connections)
		srv->opts.max_connections = 256;
	srv->work_max = srv->opts.threads ? srv->opts.threads : 2u * (unsigned int)kgr__cpu_count(1024);
}

/* The paths are read again at every reload, long after the caller's options are gone: the
 * server keeps its own copies. */
static int copy_paths(kgr_server *srv, const kgr_server_options *opts)
{
	srv->store_path = strdup(opts->store_path);
	srv->events_path = dup_or_null(opts->events_log);
	srv->access_path = dup_or_null(opts->access_log);
	srv->log = opts->log;
	srv->log_payload = opts->log_payload;
	srv->graph_config = dup_or_null(opts->graph_config);
	srv->weights_path = dup_or_null(opts->weights_path);
	srv->model_path = dup_or_null(opts->model_path);
	srv->sequence_path = dup_or_null(opts->sequence_path);
	if (!srv->store_path || (opts->events_log && !srv->events_path) ||
		(opts->model_path && !srv->model_path) ||
		(opts->sequence_path && !srv->sequence_path) ||
		(opts->access_log && !srv->access_path) || (opts->graph_config && !srv->graph_config) ||
		(opts->weights_path && !srv->weights_path))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* "-" is standard error, which the server does not own and must not close. */
static int open_access_log(kgr_server *srv)
{
	if (!srv->access_path)
		return 0;
	if (!strcmp(srv->access_path, "-")) {
		srv->access_log = stderr;
		return 0;
	}
	srv->access_log = fopen(srv->access_path, "a");
	if (!srv->access_log)
		return kgr__error_set(KGR_EIO, "access log %s: %s", srv->access_path, strerror(errno));
	srv->access_log_owned = 1;
	return 0;
}

/* New events are appended after the last whole line replay accepted (@p good bytes): a torn
 * last line was never acknowledged, so it is cut off, and the operator is told. */
static int open_events_log(kgr_server *srv, uint64_t good)
{
	int error;
	if ((error = kgr__wal_open(&srv->wal_fd, srv->events_path, good)) < 0)
		return error;
	srv->wal_batches = srv->replay.batches;
	if (srv->replay.torn_bytes) {
		atomic_fetch_add(&srv->metrics.torn_lines, 1);
		kgr__server_log(srv, "events log %s: dropped a torn last line of %zu bytes "
			"(a batch that was never acknowledged)", srv->events_path,
			srv->replay.torn_bytes);
	}
	return 0;
}

/* The options of the events database, checked, and the operator's action map read: the
 * database connected and its table checked. */
static int open_events_options(kgr_server *srv, const kgr_server_options *opts)
{
	kgr_events_map map = KGR_EVENTS_MAP_INIT;
	int error;
	if (opts->events_db && opts->events_log)
		return kgr__error_set(KGR_EINVALID, "an events log file and an events database "
			"together: give one of them");
	if (!opts->events_db && (opts->events_table || opts->events_columns ||
		    opts->events_time_unit || opts->events_timeout_ms))
		return kgr__error_set(KGR_EINVALID, "an events table, its columns, its time unit or "
			"an events timeout without an events database: give the database too");
	if (!opts->events_table && (opts->events_columns || opts->events_time_unit))
		return kgr__error_set(KGR_EINVALID, "events columns or a time unit without an events "
			"table: name the table too");
	if (opts->action_map && (error = kgr__action_map_load(&srv->actions, opts->action_map)) < 0)
		return error;
	srv->opts.action_map = NULL; /* read: the path is not kept */
	if (!opts->events_db)
		return 0;
	map.table = opts->events_table;
	map.columns = opts->events_columns;
	map.time_unit = opts->events_time_unit;
	return kgr__pg_open(srv, opts->events_db, &map, opts->events_timeout_ms);
}

int kgr_server_new(kgr_server **out, const kgr_server_options *opts)
{
	kgr_server *srv;
	int error;
	uint64_t good = 0;

	kgr_init();
	if (!opts || !opts->store_path)
		return kgr__error_set(KGR_EINVALID, "a store path is required");
	KGR__CHECK_VERSION(opts, KGR_SERVER_OPTIONS_VERSION, "server");
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	srv->opts = *opts;
	srv->wal_fd = -1;
	pthread_mutex_init(&srv->state_mu, NULL);
	pthread_mutex_init(&srv->reload_mu, NULL);
	pthread_mutex_init(&srv->events_mu, NULL);
	pthread_mutex_init(&srv->apply_mu, NULL);
	pthread_cond_init(&srv->apply_cv, NULL);
	pthread_mutex_init(&srv->sparql_mu, NULL);
	pthread_mutex_init(&srv->log_mu, NULL);
	pthread_mutex_init(&srv->work_mu, NULL);
	pthread_cond_init(&srv->work_cv, NULL);
	if (getrandom(&srv->boot_nonce, sizeof(srv->boot_nonce), 0) != sizeof(srv->boot_nonce))
		srv->boot_nonce = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

	server_limits(srv);
	if ((error = copy_paths(srv, opts)) < 0)
		goto fail;
	if ((error = parse_listen(srv, opts->listen ? opts->listen : "127.0.0.1:8080")) < 0)
		goto fail;
	/* the sequence model's products run on the request's own thread: the service's threads
	 * are the parallelism, and OpenBLAS's pool is not shared by concurrent requests */
	if (srv->sequence_path)
		kgr__seq_threads(1);
	if (opts->token_file && (error = read_token(srv, opts->token_file)) < 0)
		goto fail;
	if (!srv->token && !is_loopback(srv->listen_host, srv->listen_ipv6)) {
		error = kgr__error_set(KGR_EINVALID, "refusing to listen on %s without --token-file: "
			"anyone who can reach that address could read the whole graph and write events. "
			"Give a token file (clients send 'Authorization: Bearer <token>') or listen on "
			"127.0.0.1", opts->listen);
		goto fail;
	}
	if (opts->llm) {
		srv->llm = *opts->llm;
		if ((error = kgr__llm_options_check(&srv->llm, 1)) < 0) {
			kgr__error_prefix("LLM options");
			goto fail;
		}
		srv->have_llm = 1;
	}
	srv->llm_candidates = opts->llm_candidates ? opts->llm_candidates : 20;
	if (opts->audit_log) {
		kgr_audit_options ao = KGR_AUDIT_OPTIONS_INIT;
		ao.prompt_hash = opts->audit_prompt_hash;
		ao.fsync = opts->audit_fsync;
		if ((error = kgr_audit_open(&srv->audit, opts->audit_log, &ao)) < 0) {
			kgr__error_prefix("audit log");
			goto fail;
		}
	}
	if (srv->weights_path) {
		if ((error = kgr_weights_load(&srv->weights, srv->weights_path)) < 0)
			goto fail;
		srv->have_weights = 1;
	}
	if ((error = open_access_log(srv)) < 0)
		goto fail;
	if ((error = open_events_options(srv, opts)) < 0)
		goto fail;
	if ((error = kgr__state_open(srv, &srv->state)) < 0 ||
		(error = kgr__state_replay(srv, srv->state, &srv->replay, &good)) < 0)
		goto fail;
	if (srv->events_path && (error = open_events_log(srv, good)) < 0)
		goto fail;
	if ((error = kgr__pg_start(srv)) < 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	kgr_server_free(srv);
	return error;
}

int kgr_server_reload(kgr_server *srv)
{
	kgr__state *st = NULL, *old;
	kgr_server_replay_info info;
	int error;

	pthread_mutex_lock(&srv->reload_mu);
	error = kgr__state_open(srv, &st);
	if (error < 0)
		goto fail;
	/* Events posted while the snapshot loaded are in the log: replaying it with new events
	 * held back means the new state has every acknowledged event when it goes live. */
	pthread_mutex_lock(&srv->events_mu);
	error = kgr__state_replay(srv, st, &info, NULL);
	if (error < 0) {
		pthread_mutex_unlock(&srv->events_mu);
		kgr__state_release(st);
		goto fail;
	}
	pthread_mutex_lock(&srv->state_mu);
	old = srv->state;
	srv->state = st;
	srv->replay = info;
	pthread_mutex_unlock(&srv->state_mu);
	pthread_mutex_unlock(&srv->events_mu);
	atomic_fetch_add(&srv->metrics.reloads, 1);
	kgr__state_release(old);
	pthread_mutex_unlock(&srv->reload_mu);
	return 0;
fail:
	atomic_fetch_add(&srv->metrics.reload_failures, 1);
	pthread_mutex_unlock(&srv->reload_mu);
	return error;
}

void kgr_server_replay_stats(const kgr_server *srv, kgr_server_replay_info *out)
{
	*out = srv->replay;
}

void kgr__server_log(kgr_server *srv, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!srv->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srv->log(msg, srv->log_payload);
}

void kgr_server_free(kgr_server *srv)
{
	if (!srv)
		return;
	kgr_server_stop(srv, 2000);
	kgr__pg_free(srv); /* its listener applies to the state */
	kgr__action_map_free(srv->actions);
	kgr__state_release(srv->state);
	if (srv->wal_fd >= 0)
		close(srv->wal_fd);
	if (srv->access_log_owned)
		fclose(srv->access_log);
	kgr_audit_close(srv->audit);
	free(srv->store_path);
	free(srv->listen_host);
	free(srv->events_path);
	free(srv->access_path);
	free(srv->graph_config);
	free(srv->weights_path);
	free(srv->model_path);
	free(srv->sequence_path);
	free(srv->token);
	pthread_mutex_destroy(&srv->state_mu);
	pthread_mutex_destroy(&srv->reload_mu);
	pthread_mutex_destroy(&srv->events_mu);
	pthread_mutex_destroy(&srv->apply_mu);
	pthread_cond_destroy(&srv->apply_cv);
	pthread_mutex_destroy(&srv->sparql_mu);
	pthread_mutex_destroy(&srv->log_mu);
	pthread_mutex_destroy(&srv->work_mu);
	pthread_cond_destroy(&srv->work_cv);
	free(srv);
}
