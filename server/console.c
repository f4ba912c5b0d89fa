/* The web console (docs/CONSOLE.md): its files, served from the binary at / and /console/,
 * and the small read-only JSON endpoints it reads besides the API: GET /v1/users (search),
 * /v1/history, /v1/node (labels, types, in and out edges), /v1/vocab (prefixes, relation
 * phrases, example queries) and /v1/status (snapshot, options, last logged events).
 *
 * The files hold no data, so they are served without the token (the page asks for it and
 * sends it with each API call); the JSON endpoints follow the API's token rules. */
#include "server/internal.h"
#include "server/console_assets.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#define LAST_EVENTS_MAX 20
#define LOG_TAIL_BYTES 65536

static const char *const label_preds[] = { "http://www.w3.org/2000/01/rdf-schema#label",
	"http://schema.org/name", /* also https://schema.org/name, which the store keeps as this */
	"http://www.w3.org/2004/02/skos/core#prefLabel", "http://xmlns.com/foaf/0.1/name", NULL };

/* ---- files ---- */

static const kgr__asset *find_asset(const char *name)
{
	size_t i;
	for (i = 0; i < kgr__console_asset_count; i++)
		if (!strcmp(kgr__console_assets[i].name, name))
			return &kgr__console_assets[i];
	return NULL;
}

/* The asset a public path names ("/" is the page), or NULL. */
static const kgr__asset *asset_of_path(const char *path)
{
	char name[128];
	if (!strcmp(path, "/") || !strcmp(path, "/console") || !strcmp(path, "/console/"))
		return find_asset("console/index.html");
	if (strncmp(path, "/console/", 9) || strlen(path) >= sizeof(name) || strstr(path, ".."))
		return NULL;
	snprintf(name, sizeof(name), "%s", path + 1);
	/* the example queries are served through /v1/vocab, not as files */
	return find_asset(name);
}

int kgr__console_public(const char *path)
{
	return asset_of_path(path) != NULL;
}

static const char *const json_paths[] = { "/v1/users", "/v1/history", "/v1/node", "/v1/vocab",
	"/v1/status", NULL };

int kgr__console_route(const char *path)
{
	return asset_of_path(path) || kgr__name_in(path, json_paths);
}

static const char *content_type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot && !strcmp(dot, ".html"))
		return "text/html; charset=utf-8";
	if (dot && !strcmp(dot, ".js"))
		return "text/javascript; charset=utf-8";
	if (dot && !strcmp(dot, ".css"))
		return "text/css; charset=utf-8";
	if (dot && !strcmp(dot, ".svg"))
		return "image/svg+xml";
	return "text/plain; charset=utf-8";
}

static void reply_asset(const kgr__asset *a, kgr__resp *resp)
{
	resp->body = malloc(a->len + 1);
	if (!resp->body) {
		kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		return;
	}
	memcpy(resp->body, a->data, a->len + 1);
	resp->len = a->len;
	resp->status = 200;
	resp->content_type = content_type_of(a->name);
}

/* ---- JSON helpers ---- */

static int reply_tree(kgr__resp *resp, cJSON *root)
{
	int st;
	if (!root)
		return kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
	st = kgr__resp_json(resp, 200, root);
	cJSON_Delete(root);
	return st;
}

/* A positive count parameter: @p dflt when absent, 400 naming it when malformed or out of
 * 1..max. Returns 0 or the status replied. */
static int arg_count(const kgr__req *req, const char *name, long dflt, long max, long *out,
	kgr__resp *resp)
{
	const char *s = req->arg(req->arg_ctx, name);
	char *end;
	long v;
	if (!s) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 1 || v > max)
		return kgr__resp_error(resp, 400, "invalid", "%s: expected a whole number from 1 to %ld, "
			"got '%s'", name, max, s);
	*out = v;
	return 0;
}

static int check_args(const kgr__req *req, const char *const *allowed, kgr__resp *resp)
{
	const char *a = req->unknown_arg(req->arg_ctx, allowed);
	if (a)
		return kgr__resp_error(resp, 400, "unknown_parameter", "unknown parameter '%s'", a);
	return 0;
}

/* The literal value of (s, p, ?) in any graph, or NULL. */
static const char *literal_of(const kgr_store *store, kgr_id s, kgr_id p)
{
	kgr_id o = s && p ? kgr_store_object(store, s, p) : 0;
	if (!o || kgr_term_kind_of(store, o) != KGR_TERM_LITERAL)
		return NULL;
	return kgr_term_value(store, o, NULL);
}

/* A term as the console shows it: kind, value, label, and for a literal its language and
 * datatype; items and users are marked so the page can link them. */
static cJSON *term_json(const kgr_store *store, kgr_id id)
{
	cJSON *o = cJSON_CreateObject();
	kgr_term_kind k = kgr_term_kind_of(store, id);
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "kind", k == KGR_TERM_IRI ? "iri" : k == KGR_TERM_BLANK ? "blank" :
		"literal");
	cJSON_AddStringToObject(o, "value", kgr_term_value(store, id, NULL));
	if (k == KGR_TERM_LITERAL) {
		const char *lang = kgr_term_lang(store, id);
		kgr_id dt = kgr_term_datatype(store, id);
		if (lang && *lang)
			cJSON_AddStringToObject(o, "lang", lang);
		if (dt)
			cJSON_AddStringToObject(o, "datatype", kgr_term_value(store, dt, NULL));
	} else {
		cJSON_AddStringToObject(o, "label", kgr_store_label(store, id));
		if (kgr_store_is_item(store, id))
			cJSON_AddBoolToObject(o, "item", 1);
	}
	return o;
}

static kgr__state *acquire(kgr_server *srv, kgr__resp *resp)
{
	kgr__state *st = kgr__state_acquire(srv);
	if (!st)
		kgr__resp_error(resp, 503, "not_ready", "no snapshot is loaded");
	return st;
}

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (!n)
		return 1;
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

/* ---- GET /v1/users?q=&limit= ---- */

static void handle_users(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	static const char *const allowed[] = { "q", "limit", NULL };
	const char *q = req->arg(req->arg_ctx, "q");
	kgr__state *st;
	const kgr_id *users;
	size_t n, i, found = 0;
	long limit;
	cJSON *root, *arr;
	if (check_args(req, allowed, resp) || arg_count(req, "limit", 20, 1000, &limit, resp))
		return;
	if (!(st = acquire(srv, resp)))
		return;
	users = kgr_store_users(st->store, &n);
	root = cJSON_CreateObject();
	arr = root ? cJSON_AddArrayToObject(root, "users") : NULL;
	for (i = 0; arr && i < n; i++) {
		const char *iri = kgr_term_value(st->store, users[i], NULL);
		const char *label = kgr_store_label(st->store, users[i]);
		size_t h;
		cJSON *u;
		if (q && !contains_ci(iri, q) && !contains_ci(label, q))
			continue;
		if (found++ >= (size_t)limit)
			continue; /* counted, not listed */
		u = cJSON_CreateObject();
		if (!u)
			break;
		cJSON_AddItemToArray(arr, u);
		cJSON_AddStringToObject(u, "user", iri);
		cJSON_AddStringToObject(u, "label", label);
		kgr_store_user_interactions(st->store, users[i], &h);
		cJSON_AddNumberToObject(u, "interactions", (double)h);
	}
	if (root) {
		cJSON_AddNumberToObject(root, "matches", (double)found);
		cJSON_AddBoolToObject(root, "truncated", found > (size_t)limit);
	}
	kgr__state_release(st);
	reply_tree(resp, root);
}

/* ---- GET /v1/history?user=&limit= ---- */

static void handle_history(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	static const char *const allowed[] = { "user", "limit", NULL };
	const char *u = req->arg(req->arg_ctx, "user");
	const kgr_interaction *h;
	kgr__state *st;
	kgr_id user;
	char *iri, ts[32];
	size_t n = 0, i, first;
	long limit;
	cJSON *root, *arr;
	if (check_args(req, allowed, resp) || arg_count(req, "limit", 100, 10000, &limit, resp))
		return;
	if (!u || !*u) {
		kgr__resp_error(resp, 400, "missing_parameter", "user: missing (GET /v1/history?user=IRI)");
		return;
	}
	if (!(st = acquire(srv, resp)))
		return;
	iri = kgr__user_iri(st->store, u);
	user = iri ? kgr_store_iri(st->store, iri) : 0;
	h = user ? kgr_store_user_history(st->store, user, 0, &n) : NULL;
	if (!h || !n) {
		kgr__resp_error(resp, 404, "unknown_user", "user '%s' has no interactions in the snapshot", u);
		free(iri);
		kgr__state_release(st);
		return;
	}
	root = cJSON_CreateObject();
	if (root) {
		cJSON_AddStringToObject(root, "user", iri);
		cJSON_AddStringToObject(root, "label", kgr_store_label(st->store, user));
		cJSON_AddNumberToObject(root, "total", (double)n);
	}
	arr = root ? cJSON_AddArrayToObject(root, "history") : NULL;
	/* the most recent ones, newest first */
	first = n > (size_t)limit ? n - (size_t)limit : 0;
	for (i = n; arr && i-- > first;) {
		cJSON *e = cJSON_CreateObject();
		if (!e)
			break;
		cJSON_AddItemToArray(arr, e);
		cJSON_AddStringToObject(e, "item", kgr_term_value(st->store, h[i].item, NULL));
		cJSON_AddStringToObject(e, "label", kgr_store_label(st->store, h[i].item));
		if (h[i].action) {
			cJSON_AddStringToObject(e, "action", kgr_term_value(st->store, h[i].action, NULL));
			cJSON_AddStringToObject(e, "action_label", kgr_store_label(st->store, h[i].action));
		}
		kgr__format_time(h[i].time, ts, sizeof(ts));
		cJSON_AddStringToObject(e, "time", ts);
		cJSON_AddNumberToObject(e, "weight", h[i].weight);
	}
	free(iri);
	kgr__state_release(st);
	reply_tree(resp, root);
}

/* ---- GET /v1/node?iri=&limit= ---- */

/* Edges of a node in one direction (@p out: as subject), at most @p limit. */
static void add_edges(cJSON *root, const char *name, const kgr_store *store, kgr_id node, int out,
	long limit, kgr_id phrase)
{
	kgr_iter it;
	kgr_quad q;
	size_t total = out ? kgr_store_count(store, node, 0, 0) : kgr_store_count(store, 0, 0, node);
	long n = 0;
	cJSON *arr = cJSON_AddArrayToObject(root, name);
	char key[64];
	if (!arr)
		return;
	kgr_store_match(store, &it, out ? node : 0, 0, out ? 0 : node, KGR_ANY_GRAPH);
	while (n < limit && kgr_iter_next(&it, &q)) {
		cJSON *e = cJSON_CreateObject(), *p;
		const char *ph;
		if (!e)
			return;
		cJSON_AddItemToArray(arr, e);
		p = cJSON_AddObjectToObject(e, "p");
		if (p) {
			cJSON_AddStringToObject(p, "value", kgr_term_value(store, q.p, NULL));
			cJSON_AddStringToObject(p, "label", kgr_store_label(store, q.p));
			if ((ph = literal_of(store, q.p, phrase)))
				cJSON_AddStringToObject(p, "phrase", ph);
		}
		cJSON_AddItemToObject(e, out ? "o" : "s", term_json(store, out ? q.o : q.s));
		if (q.g)
			cJSON_AddStringToObject(e, "g", kgr_term_value(store, q.g, NULL));
		n++;
	}
	snprintf(key, sizeof(key), "%s_total", name);
	cJSON_AddNumberToObject(root, key, (double)total);
}

static void handle_node(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	static const char *const allowed[] = { "iri", "limit", NULL };
	const char *text = req->arg(req->arg_ctx, "iri");
	kgr__state *st;
	kgr_id id, type, phrase;
	kgr_iter it;
	kgr_quad q;
	long limit;
	size_t i;
	cJSON *root, *labels, *types;
	if (check_args(req, allowed, resp) || arg_count(req, "limit", 200, 5000, &limit, resp))
		return;
	if (!text || !*text) {
		kgr__resp_error(resp, 400, "missing_parameter", "iri: missing (GET /v1/node?iri=IRI)");
		return;
	}
	if (!(st = acquire(srv, resp)))
		return;
	id = kgr_store_resolve(st->store, text);
	kgr_error_clear();
	if (!id || kgr_term_kind_of(st->store, id) == KGR_TERM_LITERAL) {
		kgr__resp_error(resp, 404, "unknown_node", "no IRI or blank node '%s' in the snapshot", text);
		kgr__state_release(st);
		return;
	}
	type = kgr_store_iri(st->store, RDF_TYPE);
	phrase = kgr_store_iri(st->store, KGR_NS "phrase");
	root = term_json(st->store, id);
	if (!root)
		goto done;
	if (kgr_store_user_interactions(st->store, id, &i) && i)
		cJSON_AddBoolToObject(root, "user", 1);
	labels = cJSON_AddArrayToObject(root, "labels");
	for (i = 0; labels && label_preds[i]; i++) {
		kgr_id p = kgr_store_iri(st->store, label_preds[i]);
		if (!p)
			continue;
		kgr_store_match(st->store, &it, id, p, 0, KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &q)) {
			cJSON *l;
			if (kgr_term_kind_of(st->store, q.o) != KGR_TERM_LITERAL || !(l = term_json(st->store, q.o)))
				continue;
			cJSON_AddStringToObject(l, "p", label_preds[i]);
			cJSON_AddItemToArray(labels, l);
		}
	}
	types = cJSON_AddArrayToObject(root, "types");
	if (types && type) {
		kgr_store_match(st->store, &it, id, type, 0, KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &q))
			cJSON_AddItemToArray(types, term_json(st->store, q.o));
	}
	add_edges(root, "out", st->store, id, 1, limit, phrase);
	add_edges(root, "in", st->store, id, 0, limit, phrase);
	cJSON_AddNumberToObject(root, "limit", (double)limit);
done:
	kgr__state_release(st);
	reply_tree(resp, root);
}

/* ---- GET /v1/vocab ---- */

static void handle_vocab(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	static const char *const allowed[] = { NULL };
	kgr__state *st;
	kgr_id phrase;
	size_t i, n;
	cJSON *root, *prefixes, *phrases, *queries;
	if (check_args(req, allowed, resp) || !(st = acquire(srv, resp)))
		return;
	root = cJSON_CreateObject();
	prefixes = root ? cJSON_AddObjectToObject(root, "prefixes") : NULL;
	n = kgr_store_prefix_count(st->store);
	for (i = 0; prefixes && i < n; i++) {
		const char *pfx, *ns;
		kgr_store_prefix(st->store, i, &pfx, &ns);
		if (pfx && ns && !cJSON_GetObjectItemCaseSensitive(prefixes, pfx))
			cJSON_AddStringToObject(prefixes, pfx, ns);
	}
	phrases = root ? cJSON_AddObjectToObject(root, "phrases") : NULL;
	phrase = kgr_store_iri(st->store, KGR_NS "phrase");
	if (phrases && phrase) {
		kgr_iter it;
		kgr_quad q;
		kgr_store_match(st->store, &it, 0, phrase, 0, KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &q)) {
			const char *p = kgr_term_value(st->store, q.s, NULL);
			if (kgr_term_kind_of(st->store, q.o) == KGR_TERM_LITERAL &&
				!cJSON_GetObjectItemCaseSensitive(phrases, p))
				cJSON_AddStringToObject(phrases, p, kgr_term_value(st->store, q.o, NULL));
		}
	}
	queries = root ? cJSON_AddArrayToObject(root, "queries") : NULL;
	for (i = 0; queries && i < kgr__console_asset_count; i++) {
		const kgr__asset *a = &kgr__console_assets[i];
		const char *base = strrchr(a->name, '/');
		cJSON *e;
		if (strncmp(a->name, "examples/queries/", 17) || !(e = cJSON_CreateObject()))
			continue;
		cJSON_AddItemToArray(queries, e);
		cJSON_AddStringToObject(e, "name", base ? base + 1 : a->name);
		cJSON_AddStringToObject(e, "query", (const char *)a->data);
	}
	kgr__state_release(st);
	reply_tree(resp, root);
}

/* ---- GET /v1/status ---- */

/* The last events of the events log (newest first): the tail of the file is read without
 * any lock, since each batch is one line appended whole; a line cut by the tail's start or
 * by a write in progress does not parse and is skipped. */
static void add_label(cJSON *o, const char *key, const kgr_store *store, const cJSON *iri)
{
	const char *v = cJSON_GetStringValue(iri), *slash;
	kgr_id id = v ? kgr_store_iri(store, v) : 0;
	if (id)
		cJSON_AddStringToObject(o, key, kgr_store_label(store, id));
	else if (v && (slash = strrchr(v, '/')) && slash[1])
		cJSON_AddStringToObject(o, key, slash + 1); /* a user the snapshot has not seen */
}

static void add_last_events(cJSON *root, const char *path, const kgr_store *store)
{
	cJSON *arr = cJSON_AddArrayToObject(root, "last_events");
	char *buf = NULL, *line, *end;
	struct stat sb;
	off_t from;
	ssize_t got;
	int fd, n = 0;
	if (!arr || !path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &sb) || !(buf = malloc(LOG_TAIL_BYTES + 1)))
		goto done;
	from = sb.st_size > LOG_TAIL_BYTES ? sb.st_size - LOG_TAIL_BYTES : 0;
	got = pread(fd, buf, LOG_TAIL_BYTES, from);
	if (got <= 0)
		goto done;
	buf[got] = '\0';
	end = buf + got;
	/* walk the lines backwards */
	while (end > buf && n < LAST_EVENTS_MAX) {
		cJSON *batch, *events, *e;
		int k;
		*end = '\0';
		line = end;
		while (line > buf && line[-1] != '\n')
			line--;
		batch = cJSON_Parse(line);
		end = line > buf ? line - 1 : buf;
		events = cJSON_GetObjectItemCaseSensitive(batch, "events");
		for (k = cJSON_GetArraySize(events) - 1; k >= 0 && n < LAST_EVENTS_MAX; k--) {
			char ts[32];
			cJSON *c, *t;
			e = cJSON_GetArrayItem(events, k);
			t = cJSON_GetObjectItemCaseSensitive(e, "time");
			if (!cJSON_IsObject(e) || !(c = cJSON_Duplicate(e, 1)))
				continue;
			if (cJSON_IsNumber(t)) {
				kgr__format_time((int64_t)t->valuedouble, ts, sizeof(ts));
				cJSON_ReplaceItemInObjectCaseSensitive(c, "time", cJSON_CreateString(ts));
			}
			add_label(c, "user_label", store, cJSON_GetObjectItemCaseSensitive(e, "user"));
			add_label(c, "item_label", store, cJSON_GetObjectItemCaseSensitive(e, "item"));
			cJSON_AddNumberToObject(c, "batch",
				cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(batch, "batch")));
			cJSON_AddItemToArray(arr, c);
			n++;
		}
		cJSON_Delete(batch);
	}
done:
	free(buf);
	close(fd);
}

static void handle_status(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	static const char *const allowed[] = { NULL };
	kgr__state *st;
	kgr_store_stats stats;
	struct stat sb;
	cJSON *root, *snap, *llm, *sparql;
	char ts[32];
	time_t now = time(NULL);
	if (check_args(req, allowed, resp) || !(st = acquire(srv, resp)))
		return;
	kgr_store_get_stats(st->store, &stats);
	root = cJSON_CreateObject();
	snap = root ? cJSON_AddObjectToObject(root, "snapshot") : NULL;
	if (snap) {
		cJSON_AddStringToObject(snap, "checksum", st->checksum);
		cJSON_AddNumberToObject(snap, "quads", (double)stats.quads);
		cJSON_AddNumberToObject(snap, "terms", (double)stats.terms);
		cJSON_AddNumberToObject(snap, "users", (double)stats.users);
		cJSON_AddNumberToObject(snap, "items", (double)stats.items);
		cJSON_AddNumberToObject(snap, "interactions", (double)stats.interactions);
		if (!stat(srv->store_path, &sb)) {
			kgr__format_time((int64_t)sb.st_mtime, ts, sizeof(ts));
			cJSON_AddStringToObject(snap, "written", ts);
			cJSON_AddNumberToObject(snap, "age_seconds", (double)(now - sb.st_mtime));
		}
	}
	kgr__format_time((int64_t)now, ts, sizeof(ts));
	cJSON_AddStringToObject(root, "now", ts);
	llm = root ? cJSON_AddObjectToObject(root, "llm") : NULL;
	if (llm) {
		cJSON_AddBoolToObject(llm, "configured", srv->have_llm);
		if (srv->have_llm && srv->llm.model)
			cJSON_AddStringToObject(llm, "model", srv->llm.model);
		if (srv->have_llm)
			cJSON_AddNumberToObject(llm, "candidates", (double)srv->llm_candidates);
	}
	sparql = root ? cJSON_AddObjectToObject(root, "sparql") : NULL;
	if (sparql) {
		cJSON_AddNumberToObject(sparql, "timeout_ms", srv->opts.sparql_timeout_ms);
		cJSON_AddNumberToObject(sparql, "max_rows", (double)srv->opts.sparql_max_rows);
	}
	cJSON_AddBoolToObject(root, "events_log", srv->events_path != NULL);
	cJSON_AddBoolToObject(root, "weights", srv->have_weights);
	if (st->model) {
		cJSON *m = cJSON_AddObjectToObject(root, "learned");
		cJSON_AddStringToObject(m, "checksum", kgr_model_checksum(st->model));
		cJSON_AddStringToObject(m, "snapshot", kgr_model_snapshot(st->model));
		cJSON_AddStringToObject(m, "path", srv->model_path);
	} else {
		cJSON_AddNullToObject(root, "learned");
	}
	if (st->sequence) {
		cJSON *m = cJSON_AddObjectToObject(root, "sequence");
		kgr_seq_info info;
		kgr_seq_info_get(&info, st->sequence);
		cJSON_AddStringToObject(m, "path", srv->sequence_path);
		cJSON_AddStringToObject(m, "store", kgr_seq_store_checksum(st->sequence));
		cJSON_AddNumberToObject(m, "items", (double)info.items);
		cJSON_AddNumberToObject(m, "dims", info.dims);
		cJSON_AddNumberToObject(m, "max_len", info.max_len);
		cJSON_AddNumberToObject(m, "blocks", info.blocks);
	} else {
		cJSON_AddNullToObject(root, "sequence");
	}
	if (root)
		add_last_events(root, srv->events_path, st->store);
	kgr__state_release(st);
	reply_tree(resp, root);
}

/* ---- routing ---- */

void kgr__handle_console(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	const char *p = req->path;
	const kgr__asset *a;
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		kgr__resp_error(resp, 405, "method_not_allowed", "%s is not allowed on %s (allowed: GET)",
			req->method, p);
		resp->allow = "GET";
		return;
	}
	if ((a = asset_of_path(p)))
		reply_asset(a, resp);
	else if (!strcmp(p, "/v1/users"))
		handle_users(srv, req, resp);
	else if (!strcmp(p, "/v1/history"))
		handle_history(srv, req, resp);
	else if (!strcmp(p, "/v1/node"))
		handle_node(srv, req, resp);
	else if (!strcmp(p, "/v1/vocab"))
		handle_vocab(srv, req, resp);
	else if (!strcmp(p, "/v1/status"))
		handle_status(srv, req, resp);
	else
		kgr__resp_error(resp, 404, "no_such_endpoint", "no endpoint %s %s", req->method, p);
}
