/* The JSON recommendation API: POST /v1/recommend, GET /v1/items/{iri}/similar,
 * GET /v1/explain. Requests are checked strictly (unknown fields, wrong types, ranges) before
 * any work; ids travel as strings (IRIs); every call runs on one snapshot under its read lock. */
#include "server/internal.h"
#include "kgrec/pipeline.h"
#include "retrieval/json.h"
#include "ranker/llm_json.h"
#include "kgrec/audit.h"
#include "kgrec/llm.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Milliseconds of a request's deadline kept for what follows the LLM call: taking a work
 * slot back, rendering and sending the reply. */
#define REPLY_MARGIN_MS 10

/* ---- rendering: lists as `kgrec recommend --format json` prints them (retrieval/json.c),
 * plus the request id ---- */

static void reply_recs(kgr__resp *resp, const kgr_store *st, const kgr_recs *r,
	const char *request_id, const char *const *extra, size_t n_extra, size_t limit)
{
	size_t len = 0;
	char *text = kgr__recs_text(st, r, request_id, extra, n_extra, limit, &len);
	kgr__resp_json_text(resp, 200, text, len);
}

/* ---- input helpers ---- */

/* The current snapshot, read-locked; NULL (and a 503 reply) when none is loaded. Release
 * with kgr__state_unlock() and kgr__state_release(). */
static kgr__state *read_state(kgr_server *srv, kgr__resp *resp)
{
	kgr__state *st = kgr__state_acquire(srv);
	if (!st) {
		kgr__resp_error(resp, 503, "not_ready", "no snapshot is loaded");
		return NULL;
	}
	kgr__state_rdlock(st);
	return st;
}


/* An item named by a client: IRI, <IRI>, prefixed or local name. 0 when it is not an item. */
static kgr_id find_item(const kgr_store *store, const char *text)
{
	kgr_id id = kgr_store_resolve(store, text);
	kgr_error_clear();
	return id && kgr_store_is_item(store, id) ? id : 0;
}

/* A user named by a client, read as POST /v1/events reads it (kgr__user_iri()); 0 for a user
 * the snapshot and the events have never seen. */
static kgr_id find_user(const kgr_store *store, const char *text)
{
	char *iri = kgr__user_iri(store, text);
	kgr_id id = iri ? kgr_store_iri(store, iri) : 0;
	free(iri);
	return id;
}

static int get_int(const cJSON *v, long lo, long hi, long *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
		return -1;
	if (v->valuedouble < (double)lo || v->valuedouble > (double)hi)
		return -2;
	*out = (long)v->valuedouble;
	return 0;
}

/* Query-string booleans: true/false/1/0/yes/no. -1 when malformed. */
static int arg_bool(const char *s, int dflt)
{
	if (!s)
		return dflt;
	if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes") || !*s)
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no"))
		return 0;
	return -1;
}

static int arg_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno)
		return -1;
	if (v < lo || v > hi)
		return -2;
	*out = v;
	return 0;
}

/* Resolve an array of item names; an unknown one is a 404 naming it (seeds) or skipped. */
static int item_list(const kgr_store *store, const cJSON *arr, const char *field, int strict,
	kgr_id **out, size_t *n_out, kgr__resp *resp)
{
	const cJSON *e;
	size_t n = 0, i = 0;
	kgr_id *ids;
	if (!cJSON_IsArray(arr))
		return kgr__resp_error(resp, 400, "wrong_type", "%s: expected an array of item IRIs", field);
	n = (size_t)cJSON_GetArraySize(arr);
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
	cJSON_ArrayForEach(e, arr) {
		kgr_id id;
		if (!cJSON_IsString(e)) {
			free(ids);
			return kgr__resp_error(resp, 400, "wrong_type", "%s[%zu]: expected a string (an item "
				"IRI)", field, i);
		}
		id = find_item(store, e->valuestring);
		if (!id && strict) {
			free(ids);
			return kgr__resp_error(resp, 404, "unknown_item", "%s[%zu]: unknown item '%s'", field,
				i, e->valuestring);
		}
		if (id)
			ids[(*n_out)++] = id;
		i++;
	}
	*out = ids;
	return 0;
}

static const char *const rec_fields[] = { "user", "k", "query", "seeds", "exclude", "explain",
	"exclude_seen", "candidates", "at", "require_path", "llm", "ranker", "sequence", NULL };
static const char *const llm_fields[] = { "enabled", "deadline_ms", "model", "mode", NULL };

static void reply_kgr_error(kgr__resp *resp, int err, const char *what)
{
	const char *code;
	int st = kgr__status_of(err, &code);
	kgr__resp_error(resp, st, code, "%s: %s", what, kgr_error_last());
}

/* ---- POST /v1/recommend ---- */

/* Append the audit record of a list served, under the request's id. A failure to write it
 * fails the request: a list that cannot be audited is not shown. */
/* While the LLM is asked (it may take its whole deadline), events reach the graph: the
 * ranker reads labels and facts of the store, which needs no lock; and waiting on the LLM
 * server is not computing, so the work slot is free meanwhile. */
typedef struct {
	kgr_server *srv;
	kgr__state *st;
	int *locked;
} llm_lock;

static void llm_begin(void *payload)
{
	llm_lock *lk = payload;
	kgr__state_unlock(lk->st);
	*lk->locked = 0;
	kgr__work_leave(lk->srv);
}

static void llm_end(void *payload)
{
	llm_lock *lk = payload;
	kgr__work_enter(lk->srv);
}

/* The reply to a ranked request: the graph list, or the LLM's with its accounting; notes for
 * an unknown user, an LLM that is not configured, failed or ran out of time. */
static void reply_ranked(kgr_server *srv, kgr__resp *resp, const kgr_store *store, const char *id,
	const kgr_ranking *rk, int use_llm, size_t k, long deadline, const char *unknown_user,
	const char *llm_note)
{
	const char *extra[3];
	size_t n_extra = 0;
	char unknown[600], failed[1200], late[200];
	cJSON *root;

	if (unknown_user) {
		snprintf(unknown, sizeof(unknown), "unknown user '%.500s': cold-start recommendations",
			unknown_user);
		extra[n_extra++] = unknown;
	}
	if (llm_note)
		extra[n_extra++] = llm_note;
	if (!use_llm) {
		reply_recs(resp, store, rk->recs, id, extra, n_extra, (size_t)-1);
		return;
	}
	if (rk->llm_failed) {
		snprintf(failed, sizeof(failed), "LLM ranking failed (%.1100s): graph order returned",
			rk->llm_error);
		extra[n_extra++] = failed;
		atomic_fetch_add(&srv->metrics.llm_fallbacks, 1);
		reply_recs(resp, store, rk->recs, id, extra, n_extra, k);
		return;
	}
	atomic_fetch_add(&srv->metrics.llm_calls, rk->llm->stats.calls - rk->llm->stats.cache_hits);
	atomic_fetch_add(&srv->metrics.llm_cache_hits, rk->llm->stats.cache_hits);
	if (rk->llm->fallback)
		atomic_fetch_add(&srv->metrics.llm_fallbacks, 1);
	if (rk->llm->fallback && deadline > 0 && n_extra < sizeof(extra) / sizeof(extra[0])) {
		snprintf(late, sizeof(late), "request deadline %ld ms: the LLM had the %ld ms graph "
			"retrieval left of it", deadline, rk->llm_deadline_ms);
		extra[n_extra++] = late;
	}
	if (!(root = kgr__llm_json(store, rk->llm, id, extra, n_extra, k))) {
		kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		return;
	}
	kgr__resp_json(resp, 200, root);
	cJSON_Delete(root);
}

/* The retrieval fields of a /v1/recommend body into *o; -1 after a 400 naming the field. */
static int parse_rec_fields(kgr_rec_options *o, const cJSON *root, kgr__resp *resp)
{
	const cJSON *f, *user;

	cJSON_ArrayForEach(f, root) {
		if (!kgr__name_in(f->string, rec_fields)) {
			kgr__resp_error(resp, 400, "unknown_field", "unknown field '%s' (expected user, k, "
				"query, seeds, exclude, explain, exclude_seen, candidates, at, require_path, llm, ranker, sequence)",
				f->string);
			return -1;
		}
	}
	user = cJSON_GetObjectItemCaseSensitive(root, "user");
	if (user && (!cJSON_IsString(user) || !user->valuestring[0])) {
		kgr__resp_error(resp, 400, "wrong_type", "user: expected a non-empty string (an IRI or a "
			"user name)");
		return -1;
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "k"))) {
		long k;
		int r = get_int(f, 1, KGR_MAX_K, &k);
		if (r == -1) {
			kgr__resp_error(resp, 400, "wrong_type", "k: expected an integer");
			return -1;
		}
		if (r == -2) {
			kgr__resp_error(resp, 400, "out_of_range", "k: must be between 1 and %d, got %g",
				KGR_MAX_K, f->valuedouble);
			return -1;
		}
		o->k = (size_t)k;
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "candidates"))) {
		long c;
		int r = get_int(f, 1, 10000, &c);
		if (r < 0) {
			kgr__resp_error(resp, 400, r == -1 ? "wrong_type" : "out_of_range",
				"candidates: expected an integer between 1 and 10000");
			return -1;
		}
		o->n_candidates = (size_t)c;
	}
	if (o->n_candidates < o->k)
		o->n_candidates = o->k;
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "query"))) {
		if (!cJSON_IsString(f)) {
			kgr__resp_error(resp, 400, "wrong_type", "query: expected a string");
			return -1;
		}
		o->query = f->valuestring[0] ? f->valuestring : NULL;
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "explain"))) {
		if (!cJSON_IsBool(f)) {
			kgr__resp_error(resp, 400, "wrong_type", "explain: expected true or false");
			return -1;
		}
		o->explain = cJSON_IsTrue(f);
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "exclude_seen"))) {
		if (!cJSON_IsBool(f)) {
			kgr__resp_error(resp, 400, "wrong_type", "exclude_seen: expected true or false");
			return -1;
		}
		o->exclude_seen = cJSON_IsTrue(f);
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "require_path"))) {
		if (!cJSON_IsBool(f)) {
			kgr__resp_error(resp, 400, "wrong_type", "require_path: expected true or false");
			return -1;
		}
		o->require_path = cJSON_IsTrue(f);
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "at"))) {
		int64_t t;
		if (cJSON_IsNumber(f) && f->valuedouble == floor(f->valuedouble)) {
			o->at = (int64_t)f->valuedouble;
		} else if (cJSON_IsString(f) && kgr__parse_time(f->valuestring, strlen(f->valuestring), &t) == 0) {
			o->at = t;
		} else {
			kgr__resp_error(resp, 400, "wrong_type", "at: expected seconds since the epoch or an "
				"ISO-8601 date-time");
			return -1;
		}
	}
	return 0;
}

/* The "llm" field of a /v1/recommend body: whether the LLM re-ranks, with which model, mode
 * and deadline, starting from the server's configuration; -1 after a 400 naming the field. */
static int parse_llm_field(kgr_server *srv, const cJSON *root, const kgr_rec_options *o,
	kgr_llm_options *lo, int *use_llm, long *deadline, const char **llm_note, kgr__resp *resp)
{
	const cJSON *llm;

	*use_llm = srv->have_llm;
	if (srv->have_llm)
		*lo = srv->llm;
	if ((llm = cJSON_GetObjectItemCaseSensitive(root, "llm"))) {
		const cJSON *e;
		if (!cJSON_IsObject(llm)) {
			kgr__resp_error(resp, 400, "wrong_type", "llm: expected an object {enabled, "
				"deadline_ms, model, mode}");
			return -1;
		}
		cJSON_ArrayForEach(e, llm) {
			if (!kgr__name_in(e->string, llm_fields)) {
				kgr__resp_error(resp, 400, "unknown_field", "llm: unknown field '%s' (expected "
					"enabled, deadline_ms, model, mode)", e->string);
				return -1;
			}
		}
		e = cJSON_GetObjectItemCaseSensitive(llm, "enabled");
		if (e && !cJSON_IsBool(e)) {
			kgr__resp_error(resp, 400, "wrong_type", "llm.enabled: expected true or false");
			return -1;
		}
		if ((e = cJSON_GetObjectItemCaseSensitive(llm, "deadline_ms"))) {
			if (get_int(e, 1, 600000, deadline) < 0) {
				kgr__resp_error(resp, 400, "wrong_type", "llm.deadline_ms: expected an integer "
					"between 1 and 600000");
				return -1;
			}
		}
		if ((e = cJSON_GetObjectItemCaseSensitive(llm, "model"))) {
			if (!cJSON_IsString(e) || !e->valuestring[0]) {
				kgr__resp_error(resp, 400, "wrong_type", "llm.model: expected a non-empty string");
				return -1;
			}
			lo->model = e->valuestring;
		}
		if ((e = cJSON_GetObjectItemCaseSensitive(llm, "mode"))) {
			kgr_llm_mode mode;
			if (!cJSON_IsString(e) || kgr_llm_mode_parse(&mode, e->valuestring) < 0) {
				kgr__resp_error(resp, 400, "invalid", "llm.mode: expected listwise, pointwise, "
					"pairwise or conversational");
				return -1;
			}
			lo->mode = mode;
		}
		e = cJSON_GetObjectItemCaseSensitive(llm, "enabled");
		*use_llm = !e || cJSON_IsTrue(e);
		if (*use_llm && !srv->have_llm) {
			*use_llm = 0;
			atomic_fetch_add(&srv->metrics.llm_fallbacks, 1);
			*llm_note = "LLM ranking is not configured on this server: graph order returned";
		}
	}
	if (*use_llm) {
		if (*deadline > 0 && (lo->timeout_ms <= 0 || lo->timeout_ms > *deadline))
			lo->timeout_ms = *deadline;
		if (lo->mode == KGR_LLM_CONVERSATIONAL && !lo->request && o->query)
			lo->request = o->query;
	}
	return 0;
}

void kgr__handle_recommend(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	kgr_rec_options o = KGR_REC_OPTIONS_INIT;
	cJSON *root = NULL;
	const cJSON *f, *user = NULL;
	kgr_id uid = 0, *seeds = NULL, *exclude = NULL;
	size_t n_seeds = 0, n_exclude = 0;
	kgr__state *st = NULL;
	const char *llm_note = NULL;
	kgr_llm_options lo = KGR_LLM_OPTIONS_INIT;
	kgr_rank_options rq = KGR_RANK_OPTIONS_INIT;
	kgr_audit_entry ae = KGR_AUDIT_ENTRY_INIT;
	kgr_ranking rk;
	llm_lock lk;
	long deadline = 0;
	int err, locked = 0, use_llm = 0;

	memset(&rk, 0, sizeof(rk));

	if (!(root = kgr__parse_json_body(req, resp)))
		return;
	if (!cJSON_IsObject(root)) {
		kgr__resp_error(resp, 400, "wrong_type", "expected a JSON object {\"user\": ..., \"k\": ...}");
		goto cleanup;
	}
	if (parse_rec_fields(&o, root, resp) < 0 ||
		parse_llm_field(srv, root, &o, &lo, &use_llm, &deadline, &llm_note, resp) < 0)
		goto cleanup;
	user = cJSON_GetObjectItemCaseSensitive(root, "user");

	if (!(st = read_state(srv, resp)))
		goto cleanup;
	locked = 1;
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "seeds"))) {
		if (item_list(st->store, f, "seeds", 1, &seeds, &n_seeds, resp))
			goto cleanup;
		o.seeds = seeds;
		o.n_seeds = n_seeds;
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "exclude"))) {
		if (item_list(st->store, f, "exclude", 0, &exclude, &n_exclude, resp))
			goto cleanup;
		o.exclude = exclude;
		o.n_exclude = n_exclude;
	}
	if (user)
		uid = find_user(st->store, user->valuestring);
	if (srv->have_weights)
		o.weights = &srv->weights;
	rq.rec = o;
	rq.llm = use_llm ? &lo : NULL;
	rq.llm_candidates = srv->llm_candidates;
	rq.llm_fallback = 1;
	rq.deadline_ms = deadline;
	rq.started_us = req->t0_us;
	rq.reserve_ms = REPLY_MARGIN_MS;
	rq.llm_begin = llm_begin;
	rq.llm_end = llm_end;
	lk.srv = srv;
	lk.st = st;
	lk.locked = &locked;
	rq.payload = &lk;
	rq.audit = srv->audit;
	ae.id = req->request_id;
	ae.store_path = srv->store_path;
	ae.user_text = user ? user->valuestring : NULL;
	ae.graph_config = srv->graph_config;
	ae.weights_path = srv->have_weights ? srv->weights_path : NULL;
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "ranker"))) {
		if (!cJSON_IsString(f) || (strcmp(f->valuestring, "graph") && strcmp(f->valuestring, "learned"))) {
			kgr__resp_error(resp, 400, "bad_field", "ranker: \"graph\" or \"learned\"");
			goto cleanup;
		}
		if (!strcmp(f->valuestring, "learned") && !st->model) {
			kgr__resp_error(resp, 400, "no_model", "ranker: \"learned\" needs the service to "
				"run with --model");
			goto cleanup;
		}
	}
	if (st->model && !(f && !strcmp(f->valuestring, "graph"))) {
		rq.model = st->model;
		ae.model_path = srv->model_path;
	}
	if ((f = cJSON_GetObjectItemCaseSensitive(root, "sequence"))) {
		if (!cJSON_IsBool(f)) {
			kgr__resp_error(resp, 400, "wrong_type", "sequence: expected true or false");
			goto cleanup;
		}
		if (cJSON_IsTrue(f) && !st->sequence) {
			kgr__resp_error(resp, 400, "no_sequence", "sequence: true needs the service to run "
				"with --sequence");
			goto cleanup;
		}
	}
	if (st->sequence && !cJSON_IsFalse(f)) {
		rq.rec.sequence = st->sequence;
		ae.sequence_path = srv->sequence_path;
	}
	rq.audit_entry = &ae;
	if ((err = kgr_rank_request(&rk, st->graph, uid, &rq)) < 0) {
		if (rk.failed == KGR_STAGE_AUDIT)
			kgr__resp_error(resp, 503, "audit_failed", "the list was not served: its audit record "
				"could not be written: %s", kgr_error_last());
		else
			reply_kgr_error(resp, err, "recommend");
		goto cleanup;
	}
	reply_ranked(srv, resp, st->store, req->request_id, &rk, use_llm, o.k, deadline,
		user && !uid ? user->valuestring : NULL, llm_note);
cleanup:
	kgr_ranking_clear(&rk);
	if (locked == 1)
		kgr__state_unlock(st);
	kgr__state_release(st);
	free(seeds);
	free(exclude);
	cJSON_Delete(root);
}

/* ---- GET /v1/items/{iri}/similar ---- */

static const char *const similar_args[] = { "k", "explain", "candidates", NULL };
static const char *const explain_args[] = { "user", "item", "max_hops", NULL };

void kgr__handle_similar(kgr_server *srv, const kgr__req *req, const char *item, kgr__resp *resp)
{
	kgr_rec_options o = KGR_REC_OPTIONS_INIT;
	kgr__state *st = NULL;
	kgr_recs *recs = NULL;
	const char *a;
	kgr_id id;
	long v;
	int err, r;

	if ((a = req->unknown_arg(req->arg_ctx, similar_args))) {
		kgr__resp_error(resp, 400, "unknown_parameter", "unknown parameter '%s' (expected k, "
			"explain, candidates)", a);
		return;
	}
	if ((a = req->arg(req->arg_ctx, "k"))) {
		if ((r = arg_long(a, 1, KGR_MAX_K, &v)) < 0) {
			kgr__resp_error(resp, 400, r == -1 ? "wrong_type" : "out_of_range", "k: must be an "
				"integer between 1 and %d, got '%s'", KGR_MAX_K, a);
			return;
		}
		o.k = (size_t)v;
	}
	if ((a = req->arg(req->arg_ctx, "candidates"))) {
		if (arg_long(a, 1, 10000, &v) < 0) {
			kgr__resp_error(resp, 400, "out_of_range", "candidates: must be an integer between 1 "
				"and 10000, got '%s'", a);
			return;
		}
		o.n_candidates = (size_t)v;
	}
	if (o.n_candidates < o.k)
		o.n_candidates = o.k;
	o.explain = arg_bool(req->arg(req->arg_ctx, "explain"), 0);
	if (o.explain < 0) {
		kgr__resp_error(resp, 400, "wrong_type", "explain: expected true or false");
		return;
	}
	if (!(st = read_state(srv, resp)))
		return;
	id = find_item(st->store, item);
	if (!id) {
		kgr__resp_error(resp, 404, "unknown_item", "unknown item '%s'", item);
		goto cleanup;
	}
	if (srv->have_weights)
		o.weights = &srv->weights;
	err = kgr_similar(&recs, st->graph, id, &o);
	if (err < 0) {
		reply_kgr_error(resp, err, "similar");
		goto cleanup;
	}
	reply_recs(resp, st->store, recs, req->request_id, NULL, 0, (size_t)-1);
cleanup:
	kgr_recs_free(recs);
	kgr__state_unlock(st);
	kgr__state_release(st);
}

/* ---- GET /v1/explain?user=..&item=.. ---- */

void kgr__handle_explain(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	const char *u = req->arg(req->arg_ctx, "user"), *it = req->arg(req->arg_ctx, "item");
	const char *mh = req->arg(req->arg_ctx, "max_hops");
	kgr__state *st = NULL;
	kgr_recs *recs = NULL;
	kgr_id uid, iid;
	long hops = 3;
	int err;

	if ((u = req->unknown_arg(req->arg_ctx, explain_args))) {
		kgr__resp_error(resp, 400, "unknown_parameter", "unknown parameter '%s' (expected user, "
			"item, max_hops)", u);
		return;
	}
	u = req->arg(req->arg_ctx, "user");
	if (!u || !*u || !it || !*it) {
		kgr__resp_error(resp, 400, "missing_parameter", "explain needs both ?user= and ?item=%s",
			!u || !*u ? " (user is missing)" : " (item is missing)");
		return;
	}
	if (mh && arg_long(mh, 1, 4, &hops) < 0) {
		kgr__resp_error(resp, 400, "out_of_range", "max_hops: must be an integer between 1 and 4, "
			"got '%s'", mh);
		return;
	}
	if (!(st = read_state(srv, resp)))
		return;
	iid = find_item(st->store, it);
	if (!iid) {
		kgr__resp_error(resp, 404, "unknown_item", "unknown item '%s'", it);
		goto cleanup;
	}
	uid = find_user(st->store, u);
	err = kgr_explain(&recs, st->graph, uid, iid, (int)hops);
	if (err < 0) {
		reply_kgr_error(resp, err, "explain");
		goto cleanup;
	}
	reply_recs(resp, st->store, recs, req->request_id, NULL, 0, (size_t)-1);
cleanup:
	kgr_recs_free(recs);
	kgr__state_unlock(st);
	kgr__state_release(st);
}
