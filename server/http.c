/* The libmicrohttpd adapter: daemon, per-request context, body accumulation with a cap,
 * authentication, routing, access log and metrics. The only file that sees <microhttpd.h>.
 *
 * Threading: MHD runs its listening thread and one thread per connection
 * (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION), so a slow request
 * (a SPARQL query, a reload, an LLM call) only ever blocks its own connection. */
#include "server/internal.h"
#include "sparql/sparql_result.h"
#include "util/json_print.h"
#include "server/limits.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	kgr_server *srv;
	int64_t t0;
	char *uri;            /* as received, for the access log */
	char method[16];
	char remote[64];
	char request_id[72];
	char *body;
	size_t len, cap;
	int started;          /* first handler call seen */
	int too_large;
	int responded;
	kgr__endpoint ep;
	int status;
	size_t bytes_out;
	double secs;          /* request line to reply queued */
	const char *note;
} req_ctx;

/* ---- responses ---- */

int kgr__status_of(int code, const char **code_out)
{
	const char *c;
	int st;
	switch (code) {
	case KGR_ENOTFOUND: st = 404; c = "not_found"; break;
	case KGR_EINVALID: st = 400; c = "invalid"; break;
	case KGR_EPARSE: st = 400; c = "parse_error"; break;
	case KGR_ETIMEOUT: st = 503; c = "timeout"; break;
	case KGR_EUNSUPPORTED: st = 501; c = "unsupported"; break;
	case KGR_ENOMEM: st = 503; c = "out_of_memory"; break;
	case KGR_EUPSTREAM: st = 502; c = "upstream"; break;
	default: st = 500; c = "internal"; break;
	}
	if (code_out)
		*code_out = c;
	return st;
}

int kgr__resp_error(kgr__resp *resp, int status, const char *code, const char *fmt, ...)
{
	char msg[1200];
	cJSON *root, *err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	root = cJSON_CreateObject();
	err = root ? cJSON_AddObjectToObject(root, "error") : NULL;
	if (err) {
		cJSON_AddStringToObject(err, "code", code);
		cJSON_AddStringToObject(err, "message", msg);
	}
	free(resp->body);
	resp->body = root ? kgr__json_print(root, NULL) : NULL;
	resp->len = resp->body ? strlen(resp->body) : 0;
	resp->status = status;
	resp->content_type = "application/json";
	cJSON_Delete(root);
	return status;
}

int kgr__resp_json_text(kgr__resp *resp, int status, char *text, size_t len)
{
	if (!text)
		return kgr__resp_error(resp, 503, "out_of_memory", "out of memory printing the reply");
	free(resp->body);
	resp->body = text;
	resp->len = len;
	resp->status = status;
	resp->content_type = "application/json";
	return status;
}

int kgr__resp_json(kgr__resp *resp, int status, const cJSON *root)
{
	size_t len = 0;
	char *text = kgr__json_print(root, &len);
	return kgr__resp_json_text(resp, status, text, len);
}

/* ---- access log and metrics ---- */

static void access_log(kgr_server *srv, req_ctx *c, double seconds)
{
	char ts[32], *line;
	cJSON *o;
	struct timespec now;
	if (!srv->access_log)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	kgr__format_time(now.tv_sec, ts, sizeof(ts));
	o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddStringToObject(o, "time", ts);
	cJSON_AddStringToObject(o, "request_id", c->request_id);
	cJSON_AddStringToObject(o, "remote", c->remote);
	cJSON_AddStringToObject(o, "method", c->method);
	if (c->uri && strlen(c->uri) > 1024)
		c->uri[1024] = '\0';
	cJSON_AddStringToObject(o, "uri", c->uri ? c->uri : "");
	cJSON_AddStringToObject(o, "endpoint", kgr__endpoint_name(c->ep));
	cJSON_AddNumberToObject(o, "status", c->status);
	cJSON_AddNumberToObject(o, "duration_ms", (double)(int64_t)(seconds * 1e6) / 1000.0);
	cJSON_AddNumberToObject(o, "bytes_in", (double)c->len);
	cJSON_AddNumberToObject(o, "bytes_out", (double)c->bytes_out);
	if (c->note)
		cJSON_AddStringToObject(o, "note", c->note);
	line = kgr__json_print(o, NULL);
	cJSON_Delete(o);
	if (!line)
		return;
	pthread_mutex_lock(&srv->log_mu);
	fputs(line, srv->access_log);
	fputc('\n', srv->access_log);
	fflush(srv->access_log);
	pthread_mutex_unlock(&srv->log_mu);
	free(line);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	kgr_server *srv = cls;
	req_ctx *c = calloc(1, sizeof(*c));
	const union MHD_ConnectionInfo *ci;
	if (!c)
		return NULL;
	c->srv = srv;
	c->t0 = kgr__now_us();
	c->uri = strdup(uri ? uri : "");
	c->ep = KGR__EP_OTHER;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, c->remote,
				sizeof(c->remote));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, c->remote,
				sizeof(c->remote));
	}
	atomic_fetch_add(&srv->metrics.in_flight, 1);
	return c;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	kgr_server *srv = cls;
	req_ctx *c = *con_cls;
	double secs;
	kgr__limits_request_done(srv->limits, conn);
	if (!c)
		return;
	secs = c->responded ? c->secs : (double)(kgr__now_us() - c->t0) / 1e6;
	if (!c->responded && c->method[0]) {
		/* The client went away or timed out before a reply was queued. */
		c->status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408 : 499;
		c->note = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "client timed out" :
			"connection closed before the reply";
		kgr__metrics_observe(&srv->metrics, c->ep, c->status, secs);
	}
	if (c->method[0])
		access_log(srv, c, secs);
	atomic_fetch_sub(&srv->metrics.in_flight, 1);
	free(c->uri);
	free(c->body);
	free(c);
	*con_cls = NULL;
}

/* ---- routing ---- */

typedef struct {
	struct MHD_Connection *conn;
	const char *const *allowed;
	const char *unknown;
} arg_ctx;

static const char *get_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(((arg_ctx *)ctx)->conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	arg_ctx *a = cls;
	const char *const *k;
	(void)kind;
	(void)value;
	for (k = a->allowed; *k; k++)
		if (!strcmp(*k, key))
			return MHD_YES;
	a->unknown = key;
	return MHD_NO;
}

static const char *unknown_arg(void *ctx, const char *const *allowed)
{
	arg_ctx *a = ctx;
	a->allowed = allowed;
	a->unknown = NULL;
	MHD_get_connection_values(a->conn, MHD_GET_ARGUMENT_KIND, check_arg, a);
	return a->unknown;
}

static int valid_request_id(const char *s)
{
	size_t n = 0;
	if (!s)
		return 0;
	for (; s[n]; n++) {
		char ch = s[n];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			    ch == '-' || ch == '_' || ch == '.'))
			return 0;
	}
	return n > 0 && n <= 64;
}

/* Endpoint of a path, for metrics and the access log (also of refused requests). */
static kgr__endpoint classify(const char *p)
{
	size_t n = strlen(p);
	if (!strcmp(p, "/v1/recommend"))
		return KGR__EP_RECOMMEND;
	if (!strncmp(p, "/v1/items/", 10) && n > 18 && !strcmp(p + n - 8, "/similar"))
		return KGR__EP_SIMILAR;
	if (!strcmp(p, "/v1/explain"))
		return KGR__EP_EXPLAIN;
	if (!strcmp(p, "/v1/events"))
		return KGR__EP_EVENTS;
	if (!strcmp(p, "/sparql"))
		return KGR__EP_SPARQL;
	if (!strcmp(p, "/healthz"))
		return KGR__EP_HEALTHZ;
	if (!strcmp(p, "/readyz"))
		return KGR__EP_READYZ;
	if (!strcmp(p, "/metrics"))
		return KGR__EP_METRICS;
	if (!strcmp(p, "/admin/reload"))
		return KGR__EP_RELOAD;
	if (!strcmp(p, "/openapi.json"))
		return KGR__EP_OPENAPI;
	if (kgr__console_route(p))
		return KGR__EP_CONSOLE;
	return KGR__EP_OTHER;
}

static int method_is(const char *m, const char *want)
{
	return strcmp(m, want) == 0;
}

static void method_not_allowed(kgr__resp *resp, const char *method, const char *path, const char *allow)
{
	kgr__resp_error(resp, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
		method, path, allow);
	resp->allow = allow;
}

static void handle_health(kgr_server *srv, int ready, kgr__resp *resp)
{
	cJSON *o = cJSON_CreateObject();
	kgr__state *st;
	if (!o) {
		kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		return;
	}
	if (!ready) {
		cJSON_AddStringToObject(o, "status", "ok");
		kgr__resp_json(resp, 200, o);
		cJSON_Delete(o);
		return;
	}
	st = atomic_load(&srv->stopping) ? NULL : kgr__state_acquire(srv);
	if (!st) {
		cJSON_AddStringToObject(o, "status", "unavailable");
		kgr__resp_json(resp, 503, o);
	} else {
		cJSON *r;
		kgr_store_stats stats;
		kgr_server_replay_info rp;
		pthread_mutex_lock(&srv->state_mu); /* a reload writes it under state_mu */
		rp = srv->replay;
		pthread_mutex_unlock(&srv->state_mu);
		kgr_store_get_stats(st->store, &stats);
		char why[256];
		int db_up = srv->pg ? kgr__pg_status(srv, why, sizeof(why)) : 1;
		cJSON_AddStringToObject(o, "status", db_up ? "ready" : "degraded");
		if (!db_up)
			cJSON_AddStringToObject(o, "events_database", why);
		cJSON_AddStringToObject(o, "snapshot", st->checksum);
		cJSON_AddNumberToObject(o, "quads", (double)stats.quads);
		cJSON_AddNumberToObject(o, "users", (double)stats.users);
		cJSON_AddNumberToObject(o, "items", (double)stats.items);
		cJSON_AddNumberToObject(o, "live_events", (double)atomic_load(&st->events_live));
		r = cJSON_AddObjectToObject(o, "replay");
		if (r) {
			cJSON_AddNumberToObject(r, "batches", (double)rp.batches);
			cJSON_AddNumberToObject(r, "events", (double)rp.events);
			cJSON_AddNumberToObject(r, "applied", (double)rp.applied);
			cJSON_AddNumberToObject(r, "duplicates", (double)rp.duplicates);
			cJSON_AddNumberToObject(r, "skipped", (double)rp.skipped);
			cJSON_AddNumberToObject(r, "torn_bytes", (double)rp.torn_bytes);
		}
		kgr__state_release(st);
		kgr__resp_json(resp, 200, o);
	}
	cJSON_Delete(o);
}

static void handle_metrics(kgr_server *srv, kgr__resp *resp)
{
	kgr__state *st = kgr__state_acquire(srv);
	resp->body = kgr__metrics_render(&srv->metrics, st, &resp->len);
	kgr__state_release(st);
	if (!resp->body) {
		kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		return;
	}
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void handle_reload(kgr_server *srv, kgr__resp *resp)
{
	int err = kgr_server_reload(srv);
	if (err < 0) {
		kgr__resp_error(resp, 500, "reload_failed",
			"reload failed, the previous snapshot stays in service: %s", kgr_error_last());
		return;
	} else {
		cJSON *o = cJSON_CreateObject();
		kgr__state *st = kgr__state_acquire(srv);
		cJSON_AddStringToObject(o, "status", "reloaded");
		if (st)
			cJSON_AddStringToObject(o, "snapshot", st->checksum);
		cJSON_AddNumberToObject(o, "replayed_events", (double)srv->replay.applied);
		kgr__state_release(st);
		kgr__resp_json(resp, 200, o);
		cJSON_Delete(o);
	}
}

/* Route a complete request by its endpoint (classify()). Authentication has been checked. */
static void dispatch(kgr_server *srv, req_ctx *c, const kgr__req *req, kgr__resp *resp)
{
	const char *p = req->path, *m = req->method;

	switch (c->ep) {
	case KGR__EP_RECOMMEND:
		if (!method_is(m, "POST"))
			return method_not_allowed(resp, m, p, "POST");
		kgr__work_enter(srv);
		kgr__handle_recommend(srv, req, resp);
		kgr__work_leave(srv);
		break;
	case KGR__EP_SIMILAR: {
		/* /v1/items/{item}/similar */
		static const char items_prefix[] = "/v1/items/";
		static const char similar_suffix[] = "/similar";
		size_t n = strlen(p) - (sizeof(items_prefix) - 1) - (sizeof(similar_suffix) - 1);
		char *item;
		if (!method_is(m, "GET"))
			return method_not_allowed(resp, m, p, "GET");
		item = strndup(p + sizeof(items_prefix) - 1, n);
		if (!item) {
			kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
			return;
		}
		kgr__work_enter(srv);
		kgr__handle_similar(srv, req, item, resp);
		kgr__work_leave(srv);
		free(item);
		break;
	}
	case KGR__EP_EXPLAIN:
		if (!method_is(m, "GET"))
			return method_not_allowed(resp, m, p, "GET");
		kgr__work_enter(srv);
		kgr__handle_explain(srv, req, resp);
		kgr__work_leave(srv);
		break;
	case KGR__EP_EVENTS:
		if (!method_is(m, "POST"))
			return method_not_allowed(resp, m, p, "POST");
		kgr__handle_events(srv, req, resp);
		break;
	case KGR__EP_SPARQL:
		if (!method_is(m, "GET") && !method_is(m, "POST"))
			return method_not_allowed(resp, m, p, "GET, POST");
		/* queries run one at a time behind sparql_mu: no work slot, so queued queries
		 * never hold back recommendations */
		kgr__handle_sparql(srv, req, resp);
		break;
	case KGR__EP_METRICS:
		if (!method_is(m, "GET"))
			return method_not_allowed(resp, m, p, "GET");
		handle_metrics(srv, resp);
		break;
	case KGR__EP_RELOAD:
		if (!method_is(m, "POST"))
			return method_not_allowed(resp, m, p, "POST");
		handle_reload(srv, resp);
		break;
	case KGR__EP_OPENAPI:
		/* the description of this API, docs/openapi.json as built in */
		if (!method_is(m, "GET"))
			return method_not_allowed(resp, m, p, "GET");
		if (!(resp->body = strdup((const char *)kgr__openapi_json))) {
			kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
			return;
		}
		resp->len = kgr__openapi_json_len;
		resp->status = 200;
		resp->content_type = "application/json";
		break;
	case KGR__EP_CONSOLE:
		kgr__handle_console(srv, req, resp);
		break;
	default: /* KGR__EP_OTHER; /healthz and /readyz are answered before dispatch() */
		kgr__resp_error(resp, 404, "no_such_endpoint", "no endpoint %s %s", m, p);
		break;
	}
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, req_ctx *c, kgr__resp *resp, int close_conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	if (!resp->body) {
		resp->body = strdup("");
		resp->len = 0;
	}
	r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(resp->body);
		return MHD_NO;
	}
	resp->body = NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		resp->content_type ? resp->content_type : "application/json");
	MHD_add_response_header(r, "X-Request-Id", c->request_id);
	if (resp->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"kgrec\"");
	if (resp->retry_after) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%u", resp->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	if (resp->truncated_at) {
		char limit[32];
		snprintf(limit, sizeof(limit), "%zu", resp->truncated_at);
		MHD_add_response_header(r, "KGrec-Result-Truncated", "true");
		MHD_add_response_header(r, "KGrec-Result-Limit", limit);
	}
	/* While stopping, a client (a load balancer's pool above all) must not send its next
	 * request on this kept-alive connection: the listener is already closed and the
	 * connection goes when the drain ends, so it is told to reconnect elsewhere now. */
	if (close_conn || atomic_load(&c->srv->stopping))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	c->responded = 1;
	c->status = resp->status;
	c->bytes_out = resp->len;
	if (!c->note)
		c->note = resp->note;
	/* Counted when the reply is queued, so a client that reads /metrics right after a reply
	 * sees it counted. */
	c->secs = (double)(kgr__now_us() - c->t0) / 1e6;
	kgr__metrics_observe(&c->srv->metrics, c->ep, c->status, c->secs);
	return ret;
}

static int authorized(kgr_server *srv, struct MHD_Connection *conn)
{
	const char *h;
	if (!srv->token)
		return 1;
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	return kgr__token_equal(h, srv->token);
}

/* Connection limits (server/limits.c): accept policy and connection start / close. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	kgr_server *srv = cls;
	return kgr__limits_accept(srv->limits, addr, len) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
	enum MHD_ConnectionNotificationCode toe)
{
	kgr_server *srv = cls;
	kgr__limits_connection(srv->limits, conn, socket_context, toe == MHD_CONNECTION_NOTIFY_STARTED);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload_data, size_t *upload_data_size,
	void **con_cls)
{
	kgr_server *srv = cls;
	req_ctx *c = *con_cls;
	kgr__resp resp;
	kgr__req req;
	arg_ctx actx;
	(void)version;

	if (!c)
		return MHD_NO;
	memset(&resp, 0, sizeof(resp));
	if (!c->started) {
		const char *cl, *rid;
		/* the console's files hold no data: the page asks for the token itself */
		int health = !strcmp(url, "/healthz") || !strcmp(url, "/readyz") ||
			kgr__console_public(url);
		c->started = 1;
		kgr__limits_headers_done(srv->limits, conn);
		snprintf(c->method, sizeof(c->method), "%s", method);
		rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
		if (valid_request_id(rid))
			snprintf(c->request_id, sizeof(c->request_id), "%s", rid);
		else
			snprintf(c->request_id, sizeof(c->request_id), "%08llx-%06llx",
				(unsigned long long)(srv->boot_nonce & 0xffffffffu),
				(unsigned long long)atomic_fetch_add(&srv->next_request, 1));
		c->ep = classify(url);
		if (!health && !authorized(srv, conn)) {
			kgr__resp_error(&resp, 401, "unauthorized",
				"missing or wrong bearer token (send 'Authorization: Bearer <token>')");
			return send_resp(conn, c, &resp, *upload_data_size > 0 ||
				MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH));
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			unsigned long long n = strtoull(cl, &end, 10);
			if (*end || n > srv->opts.max_body) {
				kgr__resp_error(&resp, 413, "body_too_large",
					"request body of %s bytes is over the limit of %zu bytes (--max-body)",
					cl, srv->opts.max_body);
				return send_resp(conn, c, &resp, 1);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		kgr__limits_body(srv->limits, conn, n);
		if (c->too_large || c->len + n > srv->opts.max_body) {
			c->too_large = 1;
			c->len += n; /* counted, not kept */
			free(c->body);
			c->body = NULL;
			c->cap = 0;
			return MHD_YES;
		}
		if (c->len + n + 1 > c->cap) {
			size_t cap = c->cap ? c->cap : 4096;
			char *nb;
			while (cap < c->len + n + 1)
				cap *= 2;
			nb = realloc(c->body, cap);
			if (!nb)
				return MHD_NO;
			c->body = nb;
			c->cap = cap;
		}
		memcpy(c->body + c->len, upload_data, n);
		c->len += n;
		c->body[c->len] = '\0';
		return MHD_YES;
	}
	kgr__limits_body_done(srv->limits, conn);
	if (c->responded)
		return MHD_YES;
	if (c->too_large) {
		kgr__resp_error(&resp, 413, "body_too_large",
			"request body is over the limit of %zu bytes (--max-body)", srv->opts.max_body);
		return send_resp(conn, c, &resp, 1);
	}

	memset(&actx, 0, sizeof(actx));
	actx.conn = conn;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.body = c->body ? c->body : "";
	req.body_len = c->len;
	req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	req.request_id = c->request_id;
	req.t0_us = c->t0;
	req.arg = get_arg;
	req.unknown_arg = unknown_arg;
	req.arg_ctx = &actx;

	if (c->ep == KGR__EP_HEALTHZ || c->ep == KGR__EP_READYZ) {
		if (!method_is(method, "GET") && !method_is(method, "HEAD"))
			method_not_allowed(&resp, method, url, "GET");
		else
			handle_health(srv, c->ep == KGR__EP_READYZ, &resp);
	} else {
		dispatch(srv, c, &req, &resp);
	}
	if (!resp.status)
		kgr__resp_error(&resp, 500, "internal", "no reply was produced for %s %s", method, url);
	return send_resp(conn, c, &resp, 0);
}

/* ---- start / stop ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

int kgr_server_start(kgr_server *srv)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
		MHD_USE_ITC | MHD_USE_ERROR_LOG;

	if (srv->daemon)
		return 0;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (srv->listen_ipv6) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)srv->listen_port);
		inet_pton(AF_INET6, srv->listen_host, &sin6.sin6_addr);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)srv->listen_port);
		inet_pton(AF_INET, srv->listen_host, &sin.sin_addr);
		sa = (struct sockaddr *)&sin;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_POLL))
		flags |= MHD_USE_POLL;
	if (!srv->limits && kgr__limits_new(&srv->limits, srv->opts.max_connections, srv->opts.max_per_ip,
		srv->opts.header_timeout_s, srv->opts.min_body_rate) < 0)
		return KGR_ENOMEM;
	d = MHD_start_daemon(flags, (uint16_t)srv->listen_port, on_accept, srv, on_request, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_CONNECTION_TIMEOUT, srv->opts.conn_timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, srv->opts.max_connections,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_END);
	if (!d) {
		kgr__limits_free(srv->limits);
		srv->limits = NULL;
	}
	if (!d)
		return kgr__error_set(KGR_EIO, "cannot listen on %s%s%s:%u (address in use, or not an "
			"address of this machine)", srv->listen_ipv6 ? "[" : "", srv->listen_host,
			srv->listen_ipv6 ? "]" : "", srv->listen_port);
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	srv->bound_port = di ? di->port : srv->listen_port;
	srv->daemon = d;
	/* SPARQL queries without a fork each, where that is safe (sparql/sparql_pool.c) */
	if (!srv->opts.sparql_process_per_query && kgr__sparql_pool_start(2) == 0)
		srv->sparql_pool = 1;
	return 0;
}

unsigned int kgr_server_port(const kgr_server *srv)
{
	return srv->daemon ? srv->bound_port : 0;
}

const char *kgr_server_host(const kgr_server *srv)
{
	return srv->listen_host;
}

void kgr_server_stop(kgr_server *srv, unsigned int drain_ms)
{
	struct MHD_Daemon *d = srv->daemon;
	MHD_socket lfd;
	int64_t deadline;
	if (!d)
		return;
	atomic_store(&srv->stopping, 1);
	lfd = MHD_quiesce_daemon(d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	/* SPARQL queries are read-only and may run up to their time limit: they are cut now
	 * (the client gets a 500 "cancelled") instead of holding the stop for that long */
	kgr__sparql_cancel_all();
	deadline = kgr__now_us() + (int64_t)drain_ms * 1000;
	while (atomic_load(&srv->metrics.in_flight) > 0 && kgr__now_us() < deadline)
		usleep(5000);
	MHD_stop_daemon(d);
	if (srv->sparql_pool)
		kgr__sparql_pool_stop();
	srv->sparql_pool = 0;
	srv->daemon = NULL;
	kgr__limits_free(srv->limits);
	srv->limits = NULL;
}
