/* Audit replay: a record's request is run again on its snapshot with its logged options, and
 * the LLM's logged raw replies are fed back through the ranker's own parse, validation and
 * fusion code (nothing is sent anywhere). The candidates and the final list must come out the
 * same; each difference is a finding that shows both values. */
#include "audit/audit_internal.h"
#include "ranker/llm_internal.h"
#include "kg/internal.h"
#include "kgrec/sequence.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kgr_audit_result *res;
	const kgr_store *store;
	const kgr__audit_line *l;
	const char *id;
	int failed;
	int error;
} rctx;

#define RFIND(rc, field, ...)                                                                    \
	do {                                                                                     \
		(rc)->failed = 1;                                                                \
		if (!(rc)->error)                                                                \
			(rc)->error = kgr__audit_find((rc)->res, KGR_AUDIT_FAIL, (rc)->l->line,  \
				(rc)->id, field, __VA_ARGS__);                                   \
	} while (0)

static int same_num(double a, double b)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= 1e-9 * (m > 1.0 ? m : 1.0);
}

/* Logged strings are compared as they are; NULL equals NULL. */
static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Resolves an array of N-Triples terms; every one must be known. */
static int terms_of(rctx *rc, kgr_id **out, size_t *n_out, const cJSON *arr, const char *field)
{
	const cJSON *t;
	size_t n = 0;
	kgr_id *ids = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(kgr_id));
	*out = ids;
	*n_out = 0;
	if (!ids)
		return rc->error = kgr__error_set(KGR_ENOMEM, "out of memory");
	cJSON_ArrayForEach(t, arr) {
		const char *why = NULL;
		kgr_id id = cJSON_IsString(t) ? kgr__audit_term(rc->store, t->valuestring, &why) : 0;
		if (!id) {
			RFIND(rc, field, "%s: %s", cJSON_IsString(t) ? t->valuestring : "(not a string)",
				why ? why : "not a term");
			return -1;
		}
		ids[n++] = id;
	}
	*n_out = n;
	return 0;
}

/* ---- the LLM's replies from the log ---- */

typedef struct {
	const cJSON *exchanges;
	unsigned char *used;
	size_t n;
} answers;

static int answer_from_log(char **content_out, char *error, size_t size, const char *system,
	const char *user, void *payload)
{
	answers *a = payload;
	const cJSON *x;
	char h[33];
	size_t i = 0;
	*content_out = NULL;
	kgr__audit_prompt_hash(h, system, user);
	cJSON_ArrayForEach(x, a->exchanges) {
		const char *ph = kgr__audit_str(x, "prompt_hash");
		if (i < a->n && !a->used[i] && ph && !strcmp(ph, h)) {
			const char *reply = kgr__audit_str(x, "reply"), *err = kgr__audit_str(x, "error");
			a->used[i] = 1;
			if (!reply) {
				snprintf(error, size, "%s", err ? err : "no reply was logged for this prompt");
				return 0;
			}
			*content_out = strdup(reply);
			return *content_out != NULL;
		}
		i++;
	}
	snprintf(error, size, "replay: no logged reply for a prompt with hash %s (the prompt differs)", h);
	return 0;
}

static int llm_options_of(rctx *rc, kgr_llm_options *o, const cJSON *llm)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(llm, "params");
	kgr_llm_options d = KGR_LLM_OPTIONS_INIT;
	const char *s;
	*o = d;
	o->model = kgr__audit_str(llm, "model");
	o->base_url = kgr__audit_str(llm, "base_url");
	o->no_cache = 1;
	o->cache_dir = NULL;
	if ((s = kgr__audit_str(p, "mode")) && kgr_llm_mode_parse(&o->mode, s) < 0)
		goto bad;
	if ((s = kgr__audit_str(p, "history")) && kgr_llm_history_parse(&o->history, s) < 0)
		goto bad;
	if ((s = kgr__audit_str(p, "fusion")) && kgr_llm_fusion_parse(&o->fusion, s) < 0)
		goto bad;
	o->temperature = kgr__audit_num(p, "temperature", o->temperature);
	o->max_tokens = (int)kgr__audit_num(p, "max_tokens", o->max_tokens);
	o->boots = (int)kgr__audit_num(p, "boots", o->boots);
	o->alpha = kgr__audit_num(p, "alpha", o->alpha);
	o->seed = (unsigned int)kgr__audit_num(p, "seed", o->seed);
	o->max_history = (size_t)kgr__audit_num(p, "max_history", 0);
	o->max_facts = (size_t)kgr__audit_num(p, "max_facts", 0);
	o->max_text = (size_t)kgr__audit_num(p, "max_text", 0);
	o->json_schema = (int)kgr__audit_num(p, "json_schema", o->json_schema);
	o->retries = (int)kgr__audit_num(p, "retries", o->retries);
	o->timeout_ms = (long)kgr__audit_num(p, "timeout_ms", (double)o->timeout_ms);
	o->deadline_ms = (long)kgr__audit_num(p, "deadline_ms", 0);
	o->request = kgr__audit_str(p, "request");
	o->prompt_dir = kgr__audit_str(p, "prompt_dir");
	if (kgr__llm_options_check(o, 0) < 0)
		goto bad;
	return 0;
bad:
	RFIND(rc, "llm.params", "%s", kgr_error_last());
	return -1;
}

static void compare_edges(rctx *rc, const cJSON *paths, const kgr_rec_item *it, size_t rank)
{
	size_t k = 0, j;
	const cJSON *p;
	char f[200];
	if ((size_t)cJSON_GetArraySize(paths) != it->n_paths) {
		snprintf(f, sizeof(f), "list[%zu].paths", rank);
		RFIND(rc, f, "logged %d evidence path(s), replay %zu", cJSON_GetArraySize(paths), it->n_paths);
		return;
	}
	cJSON_ArrayForEach(p, paths) {
		const cJSON *edges = cJSON_GetObjectItemCaseSensitive(p, "edges"), *e;
		const kgr_path *rp = &it->paths[k];
		j = 0;
		if ((size_t)cJSON_GetArraySize(edges) != rp->n_edges) {
			snprintf(f, sizeof(f), "list[%zu].paths[%zu]", rank, k);
			RFIND(rc, f, "logged %d edge(s), replay %zu", cJSON_GetArraySize(edges), rp->n_edges);
			k++;
			continue;
		}
		cJSON_ArrayForEach(e, edges) {
			const char *names[3] = { "s", "p", "o" };
			kgr_id ids[3] = { rp->edges[j].s, rp->edges[j].p, rp->edges[j].o };
			int t;
			for (t = 0; t < 3; t++) {
				char *mine = kgr__audit_nt(rc->store, ids[t]);
				const char *logged = kgr__audit_str(e, names[t]);
				if (mine && !same_str(logged, mine)) {
					snprintf(f, sizeof(f), "list[%zu].paths[%zu].edges[%zu].%s", rank, k, j, names[t]);
					RFIND(rc, f, "logged %s, replay %s", logged ? logged : "(none)", mine);
				}
				free(mine);
			}
			j++;
		}
		k++;
	}
}

/* The cited facts of a listed item: those of a grounded LLM rationale, as the log writes them. */
static void compare_cited(rctx *rc, const cJSON *logged, const kgr_llm_result *res, kgr_id item, size_t rank)
{
	const kgr_llm_item *li = NULL;
	const cJSON *e;
	size_t i, n = 0, k = 0;
	char f[200];
	for (i = 0; res && i < res->n && !li; i++)
		if (res->items[i].item == item)
			li = &res->items[i];
	if (li && li->grounded)
		n = li->n_cited;
	snprintf(f, sizeof(f), "list[%zu].cited", rank);
	if ((size_t)cJSON_GetArraySize(logged) != n) {
		RFIND(rc, f, "logged %d cited fact(s), replay %zu", cJSON_GetArraySize(logged), n);
		return;
	}
	cJSON_ArrayForEach(e, logged) {
		const char *names[3] = { "s", "p", "o" };
		kgr_id ids[3] = { li->cited[k].s, li->cited[k].p, li->cited[k].o };
		int t;
		for (t = 0; t < 3; t++) {
			char *mine = kgr__audit_nt(rc->store, ids[t]);
			const char *lg = kgr__audit_str(e, names[t]);
			if (mine && !same_str(lg, mine)) {
				snprintf(f, sizeof(f), "list[%zu].cited[%zu].%s", rank, k, names[t]);
				RFIND(rc, f, "logged %s, replay %s", lg ? lg : "(none)", mine);
			}
			free(mine);
		}
		k++;
	}
}

/* Compares a logged list (candidates or final) with a replayed one; @p res is the replayed LLM
 * result when the LLM ranker ran (full lists only). */
static void compare_list(rctx *rc, const cJSON *logged, const kgr_recs *recs, const char *name, int full,
	const kgr_llm_result *res)
{
	const cJSON *it;
	size_t i = 0;
	char f[200];
	if ((size_t)cJSON_GetArraySize(logged) != recs->n) {
		RFIND(rc, name, "logged %d item(s), replay %zu", cJSON_GetArraySize(logged), recs->n);
		return;
	}
	cJSON_ArrayForEach(it, logged) {
		const kgr_rec_item *r = &recs->items[i];
		char *mine = kgr__audit_nt(rc->store, r->item);
		const char *item = kgr__audit_str(it, "item");
		double score = kgr__audit_num(it, "score", NAN);
		snprintf(f, sizeof(f), "%s[%zu].item", name, i);
		if (mine && !same_str(item, mine)) {
			RFIND(rc, f, "logged %s, replay %s", item ? item : "(none)", mine);
			free(mine);
			return; /* the rest follows from the order */
		}
		free(mine);
		snprintf(f, sizeof(f), "%s[%zu].score", name, i);
		if (!same_num(score, r->score))
			RFIND(rc, f, "logged %.17g, replay %.17g", score, r->score);
		if (full) {
			const char *why = kgr__audit_str(it, "rationale");
			snprintf(f, sizeof(f), "%s[%zu].rationale", name, i);
			if (!same_str(why, r->rationale))
				RFIND(rc, f, "logged \"%s\", replay \"%s\"", why ? why : "(none)",
					r->rationale ? r->rationale : "(none)");
			compare_edges(rc, cJSON_GetObjectItemCaseSensitive(it, "paths"), r, i);
			compare_cited(rc, cJSON_GetObjectItemCaseSensitive(it, "cited"), res, r->item, i);
		}
		i++;
	}
}

typedef struct {
	kgr_graph *graph;
	char *config;    /* the configuration it was built with, or NULL */
	int built;
} graph_cache;

/* The learned model a record names: read again from its path, and it must be the same file. */
static int replay_model(rctx *rc, kgr_model **out, const cJSON *m)
{
	const char *path = kgr__audit_str(m, "path"), *sum = kgr__audit_str(m, "checksum");
	*out = NULL;
	if (!cJSON_IsObject(m))
		return 0;
	if (!path) {
		RFIND(rc, "request.model.path", "the list was ranked by a learned model (%s) whose file "
			"the record does not name", sum ? sum : "no checksum");
		return -1;
	}
	if (kgr_model_load(out, path) < 0) {
		RFIND(rc, "request.model", "%s", kgr_error_last());
		return -1;
	}
	if (!sum || strcmp(sum, kgr_model_checksum(*out))) {
		RFIND(rc, "request.model.checksum", "the record's model is %s, %s is %s now",
			sum ? sum : "(none)", path, kgr_model_checksum(*out));
		kgr_model_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* The sequence model a record names, read again and bound to the store: the file must be
 * the one the record's checksum names. */
static int replay_sequence(rctx *rc, kgr_seq_model **out, const cJSON *m)
{
	const char *path = kgr__audit_str(m, "path"), *sum = kgr__audit_str(m, "checksum");
	*out = NULL;
	if (!cJSON_IsObject(m))
		return 0;
	if (!path) {
		RFIND(rc, "request.sequence.path", "the list used a sequence model (%s) whose file the "
			"record does not name", sum ? sum : "no checksum");
		return -1;
	}
	if (kgr_seq_load(out, path, rc->store) < 0) {
		RFIND(rc, "request.sequence", "%s", kgr_error_last());
		return -1;
	}
	if (!sum || strcmp(sum, kgr_seq_checksum(*out))) {
		RFIND(rc, "request.sequence.checksum", "the record's sequence model is %s, %s is %s now",
			sum ? sum : "(none)", path, kgr_seq_checksum(*out));
		kgr_seq_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* The retrieval options of a logged request, as the ranking took them: its seeds and
 * exclusions must still be terms of the store, and logged weights replace the defaults (held
 * in @p weights). The caller frees *seeds and *excl, also on failure. */
static int rec_options_of(rctx *rc, kgr_rec_options *ro, kgr_weights *weights, kgr_id **seeds,
	kgr_id **excl, const cJSON *req)
{
	const cJSON *w;
	size_t i;
	ro->k = (size_t)kgr__audit_num(req, "k", 10);
	ro->n_candidates = (size_t)kgr__audit_num(req, "n_candidates", 100);
	ro->explain = (int)kgr__audit_num(req, "explain", 0);
	ro->exclude_seen = (int)kgr__audit_num(req, "exclude_seen", 1);
	ro->at = (int64_t)kgr__audit_num(req, "at", 0);
	ro->query = kgr__audit_str(req, "query");
	ro->generators = (unsigned int)kgr__audit_num(req, "generators", 0);
	ro->require_path = (int)kgr__audit_num(req, "require_path", 0);
	if (terms_of(rc, seeds, &ro->n_seeds, cJSON_GetObjectItemCaseSensitive(req, "seeds"), "request.seeds") ||
		terms_of(rc, excl, &ro->n_exclude, cJSON_GetObjectItemCaseSensitive(req, "exclude"), "request.exclude"))
		return -1;
	ro->seeds = *seeds;
	ro->exclude = *excl;
	w = cJSON_GetObjectItemCaseSensitive(req, "weights");
	if (cJSON_IsObject(w)) {
		const cJSON *ws = cJSON_GetObjectItemCaseSensitive(w, "w");
		kgr_weights_default(weights);
		for (i = 0; i < KGR_FEAT__COUNT; i++)
			weights->w[i] = kgr__audit_num(ws, kgr_feature_name((kgr_feature)i), weights->w[i]);
		weights->bias = kgr__audit_num(w, "bias", weights->bias);
		ro->weights = weights;
	}
	return 0;
}

/* Records in a row mostly share their graph configuration, and building the view is the slow
 * part of a replay: it is built again only when the configuration changes. */
static int graph_for(rctx *rc, graph_cache *gc, const char *config)
{
	kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
	if (gc->built && same_str(gc->config, config))
		return 0;
	kgr_graph_free(gc->graph);
	free(gc->config);
	gc->graph = NULL;
	gc->config = NULL;
	gc->built = 0;
	if (config && !(gc->config = strdup(config))) {
		RFIND(rc, "request.graph_config", "out of memory");
		return -1;
	}
	go.config_path = config;
	if (kgr_graph_new(&gc->graph, rc->store, &go) < 0) {
		RFIND(rc, "request.graph_config", "graph view: %s", kgr_error_last());
		return -1;
	}
	gc->built = 1;
	return 0;
}

static void replay_record(rctx *rc, graph_cache *gc, const char *store_hex)
{
	kgr_model *model = NULL;
	kgr_seq_model *seq = NULL;
	const cJSON *rec = rc->l->rec, *req = cJSON_GetObjectItemCaseSensitive(rec, "request"), *llm;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_weights weights;
	kgr_rank_options rq = KGR_RANK_OPTIONS_INIT;
	kgr_ranking rk;
	kgr_llm_options lo;
	answers a;
	const cJSON *shown;
	size_t n_shown;
	kgr_id user = 0, *seeds = NULL, *excl = NULL;
	const char *cs = kgr__audit_str(cJSON_GetObjectItemCaseSensitive(rec, "snapshot"), "checksum");
	const char *u = kgr__audit_str(req, "user"), *config = kgr__audit_str(req, "graph_config");
	size_t i;

	memset(&rk, 0, sizeof(rk));
	memset(&a, 0, sizeof(a));
	if (!cs || strcmp(cs, store_hex)) {
		RFIND(rc, "snapshot.checksum", "made on snapshot %s, the store is %s: replay needs the record's snapshot",
			cs ? cs : "(none)", store_hex);
		return;
	}
	if (!cJSON_IsObject(req)) {
		RFIND(rc, "request", "record has no request");
		return;
	}
	if (u && !(user = kgr__audit_term(rc->store, u, NULL))) {
		RFIND(rc, "request.user", "%s is not in the store", u);
		return;
	}
	if (rec_options_of(rc, &ro, &weights, &seeds, &excl, req) < 0)
		goto cleanup;
	if (replay_model(rc, &model, cJSON_GetObjectItemCaseSensitive(req, "model")) < 0)
		goto cleanup;
	if (replay_sequence(rc, &seq, cJSON_GetObjectItemCaseSensitive(req, "sequence")) < 0)
		goto cleanup;
	if (seq) {
		const cJSON *sq = cJSON_GetObjectItemCaseSensitive(req, "sequence");
		ro.sequence = seq;
		ro.n_sequence = (size_t)kgr__audit_num(sq, "n", 100);
		ro.w_sequence = kgr__audit_num(sq, "weight", 1.0);
	}
	if (graph_for(rc, gc, config) < 0)
		goto cleanup;
	llm = cJSON_GetObjectItemCaseSensitive(rec, "llm");
	shown = cJSON_GetObjectItemCaseSensitive(rec, "list");
	n_shown = cJSON_IsArray(shown) ? (size_t)cJSON_GetArraySize(shown) : 0;
	rq.rec = ro;
	rq.model = model;
	rq.keep_candidates = 1;
	if (cJSON_IsObject(llm) && llm_options_of(rc, &lo, llm) == 0) {
		a.exchanges = cJSON_GetObjectItemCaseSensitive(llm, "exchanges");
		a.n = (size_t)cJSON_GetArraySize(a.exchanges);
		if (!(a.used = calloc(a.n + 1, 1))) {
			rc->error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		/* the record's k is the wider graph list the LLM re-ranked; the list shown was cut */
		rq.llm = &lo;
		rq.llm_candidates = ro.k;
		if (n_shown && n_shown < ro.k)
			rq.rec.k = n_shown;
	}
	if (kgr__rank_request_ex(&rk, gc->graph, user, &rq, rq.llm ? answer_from_log : NULL, &a) < 0) {
		if (rk.failed == KGR_STAGE_RETRIEVE)
			RFIND(rc, "request", "recommend: %s", kgr_error_last());
		else
			RFIND(rc, "llm", "replaying the LLM ranker failed: %s", kgr_error_last());
		goto cleanup;
	}
	compare_list(rc, cJSON_GetObjectItemCaseSensitive(rec, "candidates"), rk.candidates, "candidates", 0, NULL);
	if (!rq.llm && cJSON_IsObject(llm))
		goto cleanup; /* the logged LLM options were refused (a finding already) */
	for (i = 0; i < a.n; i++)
		if (!a.used[i]) {
			char f[64];
			snprintf(f, sizeof(f), "llm.exchanges[%zu]", i);
			RFIND(rc, f, "logged exchange %zu was not asked on replay", i + 1);
		}
	compare_list(rc, shown, rk.recs, "list", 1, rk.llm);
cleanup:
	free(a.used);
	kgr_ranking_clear(&rk);
	kgr_model_free(model);
	kgr_seq_free(seq);
	free(seeds);
	free(excl);
}

typedef struct {
	const kgr_store *store;
	graph_cache gc;
} replay_state;

static int replay_one(kgr_audit_result *res, const kgr__audit_line *l, const char *id,
	const char *store_hex, void *payload)
{
	replay_state *st = payload;
	rctx rc;
	memset(&rc, 0, sizeof(rc));
	rc.res = res;
	rc.store = st->store;
	rc.l = l;
	rc.id = id;
	replay_record(&rc, &st->gc, store_hex);
	return rc.error < 0 ? rc.error : rc.failed;
}

int kgr_audit_replay(kgr_audit_result **out, const char *log_path, const char *id, const kgr_store *store)
{
	replay_state st;
	int error;

	memset(&st, 0, sizeof(st));
	st.store = store;
	error = kgr__audit_each(out, log_path, store, id, replay_one, &st);
	kgr_graph_free(st.gc.graph);
	free(st.gc.config);
	if (!error && id && !(*out)->records && !(*out)->refused) {
		kgr_audit_result_free(*out);
		*out = NULL;
		return kgr__error_set(KGR_ENOTFOUND, "audit log %s: no record with id '%s'", log_path, id);
	}
	return error;
}
