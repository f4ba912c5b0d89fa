/* The evaluation harness: split, tune on validation, fit on training + validation, rank the
 * test events, measure. */
#include "eval/internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const kgr__ranker *const rankers[] = {
	&kgr__ranker_pop, &kgr__ranker_itemknn, &kgr__ranker_graph, &kgr__ranker_graph_nokg,
	&kgr__ranker_graph_open, &kgr__ranker_llm, &kgr__ranker_learned, &kgr__ranker_learned_nokg,
	&kgr__ranker_sequence, &kgr__ranker_graph_sequence,
};
#define N_RANKERS (sizeof(rankers) / sizeof(rankers[0]))

const char *kgr_eval_protocol_name(kgr_eval_protocol p)
{
	switch (p) {
	case KGR_EVAL_LOO: return "loo";
	case KGR_EVAL_TEMPORAL: return "temporal";
	case KGR_EVAL_SAMPLED: return "sampled";
	}
	return "?";
}

int kgr_eval_protocol_parse(kgr_eval_protocol *out, const char *name)
{
	if (!strcmp(name, "loo"))
		*out = KGR_EVAL_LOO;
	else if (!strcmp(name, "temporal"))
		*out = KGR_EVAL_TEMPORAL;
	else if (!strcmp(name, "sampled"))
		*out = KGR_EVAL_SAMPLED;
	else
		return kgr__error_set(KGR_EINVALID,
			"eval: unknown protocol '%s' (loo, temporal, sampled)", name);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* First position in events (sorted by user) whose user is >= u. */
static size_t lower_user(const kgr_interaction *ev, size_t n, kgr_id u)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ev[mid].user < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void user_range(const kgr_interaction *ev, size_t n, kgr_id u, size_t *b, size_t *e)
{
	*b = lower_user(ev, n, u);
	*e = *b;
	while (*e < n && ev[*e].user == u)
		(*e)++;
}

/* One relation pattern of evidence paths (predicates and directions) and how often it came. */
typedef struct {
	uint64_t hash;
	size_t count;
	size_t n;
	kgr_id p[KGR_MAX_PATH_EDGES];
	unsigned char rev[KGR_MAX_PATH_EDGES];
} pattern_rec;

typedef struct {
	kgr__eval_ctx ctx;
	const kgr_eval_options *opts;
	const size_t *ks;
	size_t n_ks;
	kgr_id *users;        /* evaluated users, sorted */
	size_t n_users;
	uint32_t **negatives; /* sampled protocol: per evaluated user, n_negatives[u] items */
	size_t *n_negatives;
	/* scratch */
	double *scores;
	unsigned char *skip;
	size_t *top;
	kgr_id *ranked;
	uint32_t *rel;
	kgr_id *rel_ids;
	kgr_id *excl;
	unsigned char *covered;
	pattern_rec *patterns;  /* open addressing on the pattern hash; hash 0 = empty slot */
	size_t n_patterns, cap_patterns, n_paths;
	kgr_id *deg_key;      /* cache: node -> number of distinct items linked to it */
	uint32_t *deg_val;
	size_t deg_cap, deg_n;
	kgr_id *scratch;
	size_t scratch_cap;
} harness;

/* A node is a hub when it is linked to more than this many distinct items. */
static double hub_threshold(const harness *h)
{
	double t = h->opts->hub_degree;
	if (t > 0)
		return t;
	t = 0.02 * (double)h->ctx.n_items; /* the graph view's own default */
	return t > 100 ? t : 100;
}

static int add_pattern(harness *h, const kgr_path *path, uint64_t hash)
{
	size_t slot, e;
	if (hash == 0)
		hash = 1;
	if ((h->n_patterns + 1) * 2 > h->cap_patterns) {
		size_t cap = h->cap_patterns ? h->cap_patterns * 2 : 64, j;
		pattern_rec *np = calloc(cap, sizeof(*np));
		if (!np)
			return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
		for (j = 0; j < h->cap_patterns; j++) {
			if (!h->patterns[j].hash)
				continue;
			slot = h->patterns[j].hash & (cap - 1);
			while (np[slot].hash)
				slot = (slot + 1) & (cap - 1);
			np[slot] = h->patterns[j];
		}
		free(h->patterns);
		h->patterns = np;
		h->cap_patterns = cap;
	}
	slot = hash & (h->cap_patterns - 1);
	while (h->patterns[slot].hash && h->patterns[slot].hash != hash)
		slot = (slot + 1) & (h->cap_patterns - 1);
	if (!h->patterns[slot].hash) {
		pattern_rec *r = &h->patterns[slot];
		r->hash = hash;
		r->n = path->n_edges < KGR_MAX_PATH_EDGES ? path->n_edges : KGR_MAX_PATH_EDGES;
		for (e = 0; e < r->n; e++) {
			r->p[e] = path->edges[e].p;
			r->rev[e] = path->edges[e].reversed != 0;
		}
		h->n_patterns++;
	}
	h->patterns[slot].count++;
	h->n_paths++;
	return 0;
}

static int by_count_desc(const void *a, const void *b)
{
	const pattern_rec *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* "review^-1 / review / hasAttribute": local names, ^-1 for an edge walked backwards. */
static void render_pattern(const kgr_store *store, const pattern_rec *r, char *out, size_t size)
{
	kgr_path_pattern pt;
	size_t e;
	memset(&pt, 0, sizeof(pt));
	pt.n_edges = r->n;
	for (e = 0; e < r->n; e++) {
		pt.rel[e] = r->p[e];
		pt.reversed[e] = r->rev[e];
	}
	kgr_path_pattern_name(store, &pt, out, size);
}

static int by_id(const void *a, const void *b);

static int push_scratch(harness *h, size_t *n, kgr_id id)
{
	if (*n == h->scratch_cap) {
		size_t cap = h->scratch_cap ? h->scratch_cap * 2 : 1024;
		kgr_id *p = realloc(h->scratch, cap * sizeof(*p));
		if (!p)
			return -1;
		h->scratch = p;
		h->scratch_cap = cap;
	}
	h->scratch[(*n)++] = id;
	return 0;
}

/* Distinct items linked to a node by any triple, either direction (cached). */
static int item_degree(harness *h, kgr_id node, uint32_t *out)
{
	const kgr_store *store = h->ctx.store;
	kgr_iter it;
	kgr_quad q;
	size_t slot, n = 0, i, distinct = 0;
	if (h->deg_n * 2 >= h->deg_cap) {
		size_t cap = h->deg_cap ? h->deg_cap * 2 : 1024, j;
		kgr_id *nk = calloc(cap, sizeof(*nk));
		uint32_t *nv = calloc(cap, sizeof(*nv));
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
		}
		for (j = 0; j < h->deg_cap; j++) {
			if (!h->deg_key[j])
				continue;
			slot = kgr__eval_mix(h->deg_key[j]) & (cap - 1);
			while (nk[slot])
				slot = (slot + 1) & (cap - 1);
			nk[slot] = h->deg_key[j];
			nv[slot] = h->deg_val[j];
		}
		free(h->deg_key);
		free(h->deg_val);
		h->deg_key = nk;
		h->deg_val = nv;
		h->deg_cap = cap;
	}
	slot = kgr__eval_mix(node) & (h->deg_cap - 1);
	while (h->deg_key[slot] && h->deg_key[slot] != node)
		slot = (slot + 1) & (h->deg_cap - 1);
	if (h->deg_key[slot]) {
		*out = h->deg_val[slot];
		return 0;
	}
	kgr_store_match(store, &it, node, 0, 0, KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &q))
		if (kgr__eval_item(&h->ctx, q.o) != KGR__NO_ITEM && push_scratch(h, &n, q.o) < 0)
			return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	kgr_store_match(store, &it, 0, 0, node, KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &q))
		if (kgr__eval_item(&h->ctx, q.s) != KGR__NO_ITEM && push_scratch(h, &n, q.s) < 0)
			return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	if (n > 1)
		qsort(h->scratch, n, sizeof(kgr_id), by_id);
	for (i = 0; i < n; i++)
		distinct += i == 0 || h->scratch[i] != h->scratch[i - 1];
	h->deg_key[slot] = node;
	h->deg_val[slot] = (uint32_t)distinct;
	h->deg_n++;
	*out = (uint32_t)distinct;
	return 0;
}

/* Explanation metrics of one user's list: every listed item is looked up in the ranker's
 * own result to read its evidence. */
static int explain_user(harness *h, kgr_eval_explain *ex, const kgr_recs *recs,
	const kgr_id *ranked, size_t n_ranked, double *sum_len, size_t *with_path, size_t *hub_paths)
{
	size_t i, j, p, e;
	double thr = hub_threshold(h);
	for (i = 0; i < n_ranked; i++) {
		const kgr_rec_item *it = NULL;
		for (j = 0; j < recs->n; j++)
			if (recs->items[j].item == ranked[i]) {
				it = &recs->items[j];
				break;
			}
		ex->items++;
		if (!it || it->n_paths == 0)
			continue;
		(*with_path)++;
		for (p = 0; p < it->n_paths && p < KGR_MAX_PATHS; p++) {
			const kgr_path *path = &it->paths[p];
			uint64_t pat = 0x51ed270b27d5ull;
			int hub = 0;
			ex->paths++;
			*sum_len += (double)path->n_edges;
			for (e = 0; e < path->n_edges && e < KGR_MAX_PATH_EDGES; e++) {
				const kgr_edge *ed = &path->edges[e];
				pat = kgr__eval_mix(pat ^ ((uint64_t)ed->p << 1) ^ (uint64_t)(ed->reversed != 0));
				if (e + 1 < path->n_edges) {
					kgr_id node = ed->reversed ? ed->s : ed->o;
					uint32_t deg = 0;
					if (item_degree(h, node, &deg) < 0)
						return KGR_ENOMEM;
					if ((double)deg > thr)
						hub = 1;
				}
			}
			if (hub)
				(*hub_paths)++;
			if (add_pattern(h, path, pat) < 0)
				return KGR_ENOMEM;
		}
	}
	return 0;
}

/* A ranker fitted on one set of events. A ranker with a configure hook serves every
 * configuration from one fit; the others are fitted per configuration. */
typedef struct {
	const kgr_interaction *events;
	size_t n;
	uint32_t *items; /* dense item index of each event */
	void *state;
	double seconds;  /* time the fit took */
} fitted;

static void fitted_free(const kgr__ranker *r, fitted *f)
{
	if (f->state && r->free)
		r->free(f->state);
	free(f->items);
	memset(f, 0, sizeof(*f));
}

/* Fit r on `fit`; a ranker with a configure hook gets only its fit_params of params. */
static int fit_ranker(harness *h, const kgr__ranker *r, const char *params, const char *phase,
	const kgr_interaction *fit, size_t n_fit, int explain, fitted *f)
{
	const kgr_eval_options *o = h->opts;
	kgr__eval_ctx *ctx = &h->ctx;
	double t0 = now();
	char fit_part[256];
	size_t i;
	int error;

	if (r->configure) {
		if ((error = kgr__eval_params_pick(params, r->fit_params, 1, fit_part,
			     sizeof(fit_part))) < 0)
			return error;
		params = error > 0 ? fit_part : NULL;
	}
	fitted_free(r, f);
	f->items = malloc((n_fit ? n_fit : 1) * sizeof(*f->items));
	if (!f->items)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	for (i = 0; i < n_fit; i++)
		f->items[i] = kgr__eval_item(ctx, fit[i].item);
	f->events = fit;
	f->n = n_fit;
	if (o->on_fit)
		o->on_fit(phase, fit, n_fit, o->on_fit_payload);
	ctx->explain = explain;
	error = r->fit(&f->state, ctx, fit, f->items, n_fit, params);
	if (error < 0) {
		kgr__error_prefix("%s: fit (%s phase)", r->name, phase);
		fitted_free(r, f);
		return error;
	}
	f->seconds = now() - t0;
	return 0;
}

/* One phase in progress: what it ranks with and against, where its figures go, and the sums
 * the figures are made of, so that each user's ranking can be a step of its own. */
typedef struct {
	harness *h;
	const kgr__ranker *r;
	const fitted *f;
	const kgr_interaction *held;
	size_t n_held;
	int explain;
	kgr_eval_metrics *m;
	kgr_eval_explain *ex;
	size_t n_cov, with_path, hub_paths;
	double sum_len;
} phase_run;

/* The history is not a candidate; the held-out items that are not in it are relevant. Marks
 * the history in h->skip (the caller clears it after the user) and returns how many relevant
 * items went to h->rel. */
static size_t relevant_items(phase_run *p, size_t fb, size_t fe, size_t hb, size_t he)
{
	harness *h = p->h;
	const uint32_t *items = p->f->items;
	size_t i, k, n_rel = 0;

	for (i = fb; i < fe; i++)
		if (items[i] != KGR__NO_ITEM)
			h->skip[items[i]] = 1;
	for (i = hb; i < he; i++) {
		uint32_t it = kgr__eval_item(&h->ctx, p->held[i].item);
		if (it == KGR__NO_ITEM || h->skip[it])
			continue;
		for (k = 0; k < n_rel && h->rel[k] != it; k++)
			;
		if (k == n_rel)
			h->rel[n_rel++] = it;
		if (h->opts->protocol != KGR_EVAL_TEMPORAL)
			break; /* leave-one-out: one held-out event per user and phase */
	}
	return n_rel;
}

/* The sampled protocol ranks the held-out item among the user's negatives only: everything
 * else is skipped, and rankers that return lists get it as their exclusion list. */
static void sampled_candidates(harness *h, size_t u, kgr__eval_query *q)
{
	size_t i, k;

	memset(h->skip, 1, h->ctx.n_items);
	h->skip[h->rel[0]] = 0;
	for (k = 0; k < h->n_negatives[u]; k++)
		h->skip[h->negatives[u][k]] = 0;
	for (i = 0; i < h->ctx.n_items; i++)
		if (h->skip[i])
			h->excl[q->n_exclude++] = h->ctx.items[i];
	q->exclude = h->excl;
}

/* The user's list cut from the scores, and what it earns: the coverage it adds, the hit rate
 * and NDCG at every cut-off, the reciprocal rank of the best-ranked relevant item. Returns the
 * length of the list (in h->ranked). */
static size_t measure_user(phase_run *p, size_t n_rel, uint64_t useed)
{
	harness *h = p->h;
	const kgr__eval_ctx *ctx = &h->ctx;
	kgr_eval_metrics *m = p->m;
	size_t i, k, n_top, best = 0;

	/* -inf means "not recommended": those items never enter the list */
	for (i = 0; i < ctx->n_items; i++)
		if (h->scores[i] == -INFINITY && !h->skip[i])
			h->skip[i] = 2;
	n_top = kgr_eval_top(h->top, ctx->list_len, h->scores, ctx->n_items, h->skip, useed);
	for (i = 0; i < n_top; i++) {
		h->ranked[i] = ctx->items[h->top[i]];
		if (!h->covered[h->top[i]]) {
			h->covered[h->top[i]] = 1;
			p->n_cov++;
		}
	}
	for (k = 0; k < n_rel; k++) {
		size_t rk;
		h->rel_ids[k] = ctx->items[h->rel[k]];
		if (h->skip[h->rel[k]])
			continue; /* not recommended at all */
		rk = kgr_eval_rank(h->scores, ctx->n_items, h->rel[k], h->skip, useed);
		if (rk && (!best || rk < best))
			best = rk;
	}
	for (k = 0; k < h->n_ks; k++) {
		m->hr[k] += kgr_eval_hit(h->ranked, n_top, h->rel_ids, n_rel, h->ks[k]);
		m->ndcg[k] += kgr_eval_ndcg(h->ranked, n_top, h->rel_ids, n_rel, h->ks[k]);
	}
	if (best)
		m->mrr += 1.0 / (double)best;
	m->users++;
	return n_top;
}

/* One evaluated user: ranked from their history in the fit set and measured against their
 * held-out items. A user with nothing held out in this phase is not counted; one with no
 * history or no relevant item is counted as skipped. */
static int rank_user(phase_run *p, size_t u)
{
	harness *h = p->h;
	const kgr__ranker *r = p->r;
	const fitted *f = p->f;
	kgr__eval_ctx *ctx = &h->ctx;
	kgr__eval_query q;
	kgr_recs *recs = NULL;
	size_t fb, fe, hb, he, n_rel, n_top;
	kgr_id user = h->users[u];
	uint64_t useed = h->opts->seed ^ kgr__eval_mix(user);
	int error = 0;

	user_range(p->held, p->n_held, user, &hb, &he);
	if (hb == he)
		return 0; /* nothing held out for this user in this phase */
	user_range(f->events, f->n, user, &fb, &fe);
	if (fb == fe) {
		p->m->skipped++; /* no history to rank from (a user new after a time cut) */
		return 0;
	}
	n_rel = relevant_items(p, fb, fe, hb, he);
	if (n_rel == 0) {
		p->m->skipped++;
		goto done;
	}
	q.exclude = NULL;
	q.n_exclude = 0;
	if (h->opts->protocol == KGR_EVAL_SAMPLED)
		sampled_candidates(h, u, &q);
	q.user = user;
	q.history = f->events + fb;
	q.n_history = fe - fb;
	q.items = f->items + fb;
	q.seed = useed;
	error = r->score(f->state, ctx, &q, h->scores, p->explain && r->explains ? &recs : NULL);
	if (error < 0) {
		kgr__error_prefix("%s: user %s", r->name, kgr_term_value(ctx->store, user, NULL));
		goto done;
	}
	n_top = measure_user(p, n_rel, useed);
	if (recs && p->ex) {
		p->ex->measured = 1;
		error = explain_user(h, p->ex, recs, h->ranked, n_top, &p->sum_len, &p->with_path,
			&p->hub_paths);
	}
done:
	if (recs)
		kgr__eval_recs_free(recs);
	memset(h->skip, 0, ctx->n_items);
	return error;
}

/* The relation patterns of the phase's evidence paths, most frequent first: how many, how
 * evenly spread (entropy), the top ones by name. The table is emptied for the next phase. */
static void pattern_summary(harness *h, kgr_eval_explain *ex)
{
	size_t i, j = 0;
	double total = (double)h->n_paths, ent = 0;

	/* compact the table, most frequent first */
	for (i = 0; i < h->cap_patterns; i++)
		if (h->patterns[i].hash)
			h->patterns[j++] = h->patterns[i];
	qsort(h->patterns, j, sizeof(*h->patterns), by_count_desc);
	for (i = 0; i < j; i++) {
		double p = (double)h->patterns[i].count / total;
		ent -= p * log2(p);
	}
	for (i = 0; i < j && i < KGR_EVAL_TOP_PATTERNS; i++) {
		render_pattern(h->ctx.store, &h->patterns[i], ex->top_patterns[i],
			sizeof(ex->top_patterns[i]));
		ex->top_pattern_share[i] = (double)h->patterns[i].count / total;
	}
	ex->n_top_patterns = i;
	ex->patterns = j;
	ex->pattern_entropy = ent;
	ex->pattern_diversity = (double)j / total;
	memset(h->patterns, 0, h->cap_patterns * sizeof(*h->patterns));
	h->n_patterns = 0;
}

/* One phase: with the ranker fitted on f->events (and configured with params), rank every
 * evaluated user's held-out items. m->seconds is the time of the ranking, not of the fit. */
static int run_phase(harness *h, const kgr__ranker *r, const fitted *f, const char *params,
	const char *phase, const kgr_interaction *held, size_t n_held, int explain,
	kgr_eval_metrics *m, kgr_eval_explain *ex, kgr_eval_result *report)
{
	const kgr_eval_options *o = h->opts;
	kgr__eval_ctx *ctx = &h->ctx;
	phase_run p;
	size_t u, k, done = 0;
	double t0 = now();
	int error = 0;

	memset(&p, 0, sizeof(p));
	p.h = h;
	p.r = r;
	p.f = f;
	p.held = held;
	p.n_held = n_held;
	p.explain = explain;
	p.m = m;
	p.ex = ex;
	memset(m, 0, sizeof(*m));
	if (ex)
		memset(ex, 0, sizeof(*ex));
	h->n_patterns = 0;
	h->n_paths = 0;
	if (h->patterns)
		memset(h->patterns, 0, h->cap_patterns * sizeof(*h->patterns));
	ctx->explain = explain;
	if (r->configure && (error = r->configure(f->state, ctx, params)) < 0) {
		kgr__error_prefix("%s: parameters (%s phase)", r->name, phase);
		goto cleanup;
	}
	memset(h->covered, 0, ctx->n_items);

	for (u = 0; u < h->n_users; u++) {
		if (o->progress && (++done % 64 == 0 || done == h->n_users))
			o->progress(done, h->n_users, o->progress_payload);
		if ((error = rank_user(&p, u)) < 0)
			goto cleanup;
	}
	if (m->users) {
		for (k = 0; k < h->n_ks; k++) {
			m->hr[k] /= (double)m->users;
			m->ndcg[k] /= (double)m->users;
		}
		m->mrr /= (double)m->users;
	}
	m->coverage = ctx->n_items ? (double)p.n_cov / (double)ctx->n_items : 0;
	if (ex && ex->measured) {
		ex->hub_degree = hub_threshold(h);
		ex->fidelity = ex->items ? (double)p.with_path / (double)ex->items : 0;
		ex->mean_path_length = ex->paths ? p.sum_len / (double)ex->paths : 0;
		ex->hub_share = ex->paths ? (double)p.hub_paths / (double)ex->paths : 0;
		if (h->n_patterns)
			pattern_summary(h, ex);
	}
	m->seconds = now() - t0;
	if (report && f->state && r->report)
		r->report(f->state, report);
cleanup:
	return error;
}

/* ---------------------------------------------------------------- negatives */

/* Local-name lookup for the negatives file: "17" finds .../user/17 or .../item/17. */
typedef struct {
	const char **key;
	kgr_id *val;
	size_t cap;
} name_map;

static const char *local_name(const char *iri)
{
	const char *p = iri + strlen(iri);
	while (p > iri && p[-1] != '/' && p[-1] != '#' && p[-1] != ':')
		p--;
	return p;
}

static int name_map_build(name_map *m, const kgr_store *store, const kgr_id *ids, size_t n)
{
	size_t i;
	m->cap = 16;
	while (m->cap < n * 2)
		m->cap *= 2;
	m->key = calloc(m->cap, sizeof(*m->key));
	m->val = calloc(m->cap, sizeof(*m->val));
	if (!m->key || !m->val)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	for (i = 0; i < n; i++) {
		const char *v = kgr_term_value(store, ids[i], NULL), *ln;
		size_t slot;
		if (!v)
			continue;
		ln = local_name(v);
		slot = kgr__hash64(ln, strlen(ln), 0) & (m->cap - 1);
		while (m->key[slot] && strcmp(m->key[slot], ln) != 0)
			slot = (slot + 1) & (m->cap - 1);
		if (m->key[slot])
			m->val[slot] = 0; /* ambiguous local name */
		else {
			m->key[slot] = ln;
			m->val[slot] = ids[i];
		}
	}
	return 0;
}

static kgr_id name_map_get(const name_map *m, const kgr_store *store, const char *tok)
{
	size_t slot;
	if (strchr(tok, ':')) {
		kgr_id id = kgr_store_iri(store, tok);
		if (id)
			return id;
	}
	slot = kgr__hash64(tok, strlen(tok), 0) & (m->cap - 1);
	while (m->key[slot]) {
		if (!strcmp(m->key[slot], tok))
			return m->val[slot];
		slot = (slot + 1) & (m->cap - 1);
	}
	return 0;
}

static void name_map_free(name_map *m)
{
	free(m->key);
	free(m->val);
}

static int by_id(const void *a, const void *b)
{
	const kgr_id *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

static int load_negatives(harness *h, const char *path)
{
	const kgr_store *store = h->ctx.store;
	name_map users = { 0 }, items = { 0 };
	const kgr_id *su, *si;
	size_t nsu, nsi, i;
	FILE *f = NULL;
	char *line = NULL, *tok, *save;
	size_t cap = 0;
	long lineno = 0;
	int error;

	su = kgr_store_users(store, &nsu);
	si = kgr_store_items(store, &nsi);
	if ((error = name_map_build(&users, store, su, nsu)) < 0 ||
		(error = name_map_build(&items, store, si, nsi)) < 0)
		goto cleanup;
	f = fopen(path, "r");
	if (!f) {
		error = kgr__error_set(errno == ENOENT ? KGR_ENOTFOUND : KGR_EIO,
			"eval: negatives file %s: %s", path, strerror(errno));
		goto cleanup;
	}
	while (getline(&line, &cap, f) >= 0) {
		kgr_id user, *hit;
		size_t u, n = 0, ncap = 128;
		uint32_t *neg;
		lineno++;
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok)
			continue;
		user = name_map_get(&users, store, tok);
		if (!user) {
			error = kgr__error_set(KGR_EPARSE, "eval: %s:%ld: unknown user '%s'", path, lineno, tok);
			goto cleanup;
		}
		hit = bsearch(&user, h->users, h->n_users, sizeof(kgr_id), by_id);
		if (!hit)
			continue; /* not evaluated */
		u = (size_t)(hit - h->users);
		if (h->negatives[u]) {
			error = kgr__error_set(KGR_EPARSE, "eval: %s:%ld: second line for user '%s'", path,
				lineno, tok);
			goto cleanup;
		}
		neg = malloc(ncap * sizeof(*neg));
		if (!neg) {
			error = kgr__error_set(KGR_ENOMEM, "eval: out of memory");
			goto cleanup;
		}
		h->negatives[u] = neg;
		while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
			kgr_id it = name_map_get(&items, store, tok);
			uint32_t d = kgr__eval_item(&h->ctx, it);
			if (!it || d == KGR__NO_ITEM) {
				error = kgr__error_set(KGR_EPARSE, "eval: %s:%ld: unknown item '%s'", path,
					lineno, tok);
				goto cleanup;
			}
			if (n == ncap) {
				uint32_t *p = realloc(h->negatives[u], (ncap *= 2) * sizeof(*p));
				if (!p) {
					error = kgr__error_set(KGR_ENOMEM, "eval: out of memory");
					goto cleanup;
				}
				h->negatives[u] = p;
			}
			h->negatives[u][n++] = d;
		}
		h->n_negatives[u] = n;
	}
	if (ferror(f)) {
		error = kgr__error_set(KGR_EIO, "eval: %s: read error", path);
		goto cleanup;
	}
	for (i = 0; i < h->n_users; i++)
		if (!h->negatives[i]) {
			error = kgr__error_set(KGR_EPARSE, "eval: %s: no negatives for user %s", path,
				kgr_term_value(store, h->users[i], NULL));
			goto cleanup;
		}
	error = 0;
cleanup:
	if (f)
		fclose(f);
	free(line);
	name_map_free(&users);
	name_map_free(&items);
	return error;
}

/* Negatives drawn with the seed among the items the user never interacted with. */
static int draw_negatives(harness *h, const kgr_interaction *all, size_t n_all, size_t count)
{
	size_t u, i, b, e, n_items = h->ctx.n_items;
	unsigned char *seen = calloc(n_items ? n_items : 1, 1);
	if (!seen)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	for (u = 0; u < h->n_users; u++) {
		uint64_t ctr = 0, seed = h->opts->seed ^ kgr__eval_mix(h->users[u] ^ 0x6e6567ull);
		size_t n = 0, free_items = n_items, tries = 0;
		user_range(all, n_all, h->users[u], &b, &e);
		for (i = b; i < e; i++) {
			uint32_t it = kgr__eval_item(&h->ctx, all[i].item);
			if (it != KGR__NO_ITEM && !seen[it]) {
				seen[it] = 1;
				free_items--;
			}
		}
		h->negatives[u] = malloc((count ? count : 1) * sizeof(uint32_t));
		if (!h->negatives[u]) {
			free(seen);
			return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
		}
		while (n < count && n < free_items && tries++ < count * 1000) {
			uint32_t it = (uint32_t)(kgr__eval_mix(seed + ctr++) % n_items);
			if (seen[it])
				continue;
			seen[it] = 2;
			h->negatives[u][n++] = it;
		}
		h->n_negatives[u] = n;
		for (i = b; i < e; i++) {
			uint32_t it = kgr__eval_item(&h->ctx, all[i].item);
			if (it != KGR__NO_ITEM)
				seen[it] = 0;
		}
		for (i = 0; i < n; i++)
			seen[h->negatives[u][i]] = 0;
	}
	free(seen);
	return 0;
}

/* ---------------------------------------------------------------- the run */

static const kgr__ranker *find_ranker(const char *name)
{
	size_t i;
	for (i = 0; i < N_RANKERS; i++)
		if (!strcmp(rankers[i]->name, name))
			return rankers[i];
	return NULL;
}

/* Index of the cut-off that tuning optimises: 10 if asked for, else the largest. */
static size_t tune_k_index(const harness *h)
{
	size_t i;
	for (i = 0; i < h->n_ks; i++)
		if (h->ks[i] == 10)
			return i;
	return h->n_ks - 1;
}

static int merge_events(kgr_interaction **out, const kgr_eval_split *s)
{
	size_t i = 0, j = 0, n = 0;
	kgr_interaction *m = malloc((s->n_train + s->n_valid + 1) * sizeof(*m));
	if (!m)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	while (i < s->n_train || j < s->n_valid) {
		int take_train;
		if (i == s->n_train)
			take_train = 0;
		else if (j == s->n_valid)
			take_train = 1;
		else {
			take_train = kgr__interaction_cmp(&s->train[i], &s->valid[j]) <= 0;
		}
		m[n++] = take_train ? s->train[i++] : s->valid[j++];
	}
	*out = m;
	return 0;
}

void kgr_eval_result_free(kgr_eval_result *result)
{
	free(result);
}

/* The ranker asked for (*rp), the cut-offs (into h), the parameters and the protocol's
 * options checked: 0 or KGR_EINVALID naming what is wrong. */
static int check_run(harness *h, const kgr__ranker **rp, const kgr_eval_options *opts)
{
	static const size_t default_ks[] = { 5, 10, 20 };
	const kgr__ranker *r;
	size_t i;
	int error;

	*rp = r = find_ranker(opts->ranker ? opts->ranker : "pop");
	if (!r)
		return kgr__error_set(KGR_EINVALID,
			"eval: unknown ranker '%s' (pop, itemknn, graph, graph-nokg, graph-open, llm, "
			"learned, learned-nokg, sequence, graph-sequence)",
			opts->ranker);
	h->ks = opts->ks ? opts->ks : default_ks;
	h->n_ks = opts->ks ? opts->n_ks : 3;
	if (h->n_ks == 0 || h->n_ks > KGR_EVAL_MAX_KS)
		return kgr__error_set(KGR_EINVALID, "eval: between 1 and %d cut-offs", KGR_EVAL_MAX_KS);
	for (i = 0; i < h->n_ks; i++) {
		if (h->ks[i] == 0 || h->ks[i] > KGR_MAX_K)
			return kgr__error_set(KGR_EINVALID, "eval: cut-off %zu out of range 1 .. %d",
				h->ks[i], KGR_MAX_K);
		if (h->ks[i] > h->ctx.list_len)
			h->ctx.list_len = h->ks[i];
	}
	if (opts->params && (error = kgr__eval_params_check(opts->params, r->param_names, r->name)) < 0)
		return error;
	if (opts->negatives_path && opts->protocol != KGR_EVAL_SAMPLED)
		return kgr__error_set(KGR_EINVALID, "eval: a negatives file needs the sampled protocol");

	return 0;
}

/* The evaluated users: those with a held-out event (validation or test), optionally a
 * seeded sample of them, sorted; each phase ranks the ones that have an event held out in it. */
static int pick_users(harness *h, const kgr_eval_split *split, const kgr_eval_options *opts)
{
	size_t i, j;

	h->users = malloc((split->n_test + split->n_valid + 1) * sizeof(kgr_id));
	if (!h->users)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	for (i = 0; i < split->n_test; i++)
		h->users[h->n_users++] = split->test[i].user;
	for (i = 0; i < split->n_valid; i++)
		h->users[h->n_users++] = split->valid[i].user;
	qsort(h->users, h->n_users, sizeof(kgr_id), by_id);
	for (i = j = 0; i < h->n_users; i++)
		if (j == 0 || h->users[j - 1] != h->users[i])
			h->users[j++] = h->users[i];
	h->n_users = j;
	if (h->n_users == 0) {
		return kgr__error_set(KGR_ENOTFOUND, "eval: no user has a held-out event");
	}
	if (opts->max_users && opts->max_users < h->n_users) {
		for (i = 0; i < opts->max_users; i++) {
			size_t k = i + (size_t)(kgr__eval_mix(opts->seed ^ (0x7573657273ull + i)) %
				(h->n_users - i));
			kgr_id t = h->users[i];
			h->users[i] = h->users[k];
			h->users[k] = t;
		}
		h->n_users = opts->max_users;
		qsort(h->users, h->n_users, sizeof(kgr_id), by_id);
	}

	return 0;
}

/* The validation phase: fit on the training events only, then rank the validation events;
 * with a grid and no parameters given, every configuration (one fit when the ranker can be
 * configured after fitting) and the best by NDCG at the tuning cut-off. The chosen
 * parameters go to best_params, the figures to res->valid. */
static int validation_phase(harness *h, const kgr__ranker *r, const kgr_eval_split *split,
	kgr_eval_result *res, char *best_params, size_t best_size, fitted *fit_valid)
{
	const char *given = h->opts->params;
	char fit_part[256], cfg[256];
	size_t j;
	int error, n_fit_part = 0, tune = !given;

	/* only fit parameters given: the others are still tuned, with them */
	if (given && r->configure && r->fit_params) {
		if ((error = kgr__eval_params_pick(given, r->fit_params, 0, cfg, sizeof(cfg))) < 0 ||
			(n_fit_part = kgr__eval_params_pick(given, r->fit_params, 1, fit_part,
				 sizeof(fit_part))) < 0)
			return error < 0 ? error : n_fit_part;
		tune = error == 0;
	}
	if (tune && !h->opts->no_tune && r->n_grid > 0) {
		size_t ki = tune_k_index(h);
		double best = -1, total = 0;
		kgr_eval_metrics m;
		for (j = 0; j < r->n_grid; j++) {
			if (snprintf(cfg, sizeof(cfg), "%s%s%s", r->grid[j], n_fit_part ? "," : "",
				    n_fit_part ? fit_part : "") >= (int)sizeof(cfg))
				return kgr__error_set(KGR_EINVALID, "eval: parameters too long: %s", given);
			if (!fit_valid->items || !r->configure) {
				error = fit_ranker(h, r, cfg, "valid", split->train, split->n_train, 0,
					fit_valid);
				if (error < 0)
					return error;
				total += fit_valid->seconds;
			}
			error = run_phase(h, r, fit_valid, cfg, "valid", split->valid, split->n_valid, 0,
				&m, NULL, NULL);
			if (error < 0)
				return error;
			total += m.seconds;
			if (m.ndcg[ki] > best) {
				best = m.ndcg[ki];
				res->valid = m;
				snprintf(best_params, best_size, "%s", cfg);
			}
		}
		res->valid.seconds = total;
		res->tuned_configs = r->n_grid;
	} else {
		snprintf(best_params, best_size, "%s", h->opts->params ? h->opts->params : r->defaults);
		error = fit_ranker(h, r, best_params, "valid", split->train, split->n_train, 0,
			fit_valid);
		if (error < 0)
			return error;
		error = run_phase(h, r, fit_valid, best_params, "valid", split->valid, split->n_valid,
			0, &res->valid, NULL, NULL);
		if (error < 0)
			return error;
		res->valid.seconds += fit_valid->seconds;
	}
	return 0;
}

static void harness_free(harness *h)
{
	size_t i;
	if (h->negatives)
		for (i = 0; i < h->n_users; i++)
			free(h->negatives[i]);
	free(h->negatives);
	free(h->n_negatives);
	free(h->ctx.index);
	free(h->users);
	free(h->scores);
	free(h->skip);
	free(h->covered);
	free(h->top);
	free(h->ranked);
	free(h->rel);
	free(h->rel_ids);
	free(h->excl);
	free(h->patterns);
	free(h->deg_key);
	free(h->deg_val);
	free(h->scratch);
}

/* The catalog as dense indices: ctx.index maps a term id to its item's position in
 * ctx.items, all ones for a term that is not an item. */
static int index_catalog(harness *h, const kgr_store *store)
{
	const kgr_id *items;
	size_t i, n_items;

	items = kgr_store_items(store, &n_items);
	h->ctx.items = items;
	h->ctx.n_items = n_items;
	h->ctx.n_index = kgr_store_term_count(store) + 1;
	h->ctx.index = malloc(h->ctx.n_index * sizeof(uint32_t));
	if (!h->ctx.index)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	memset(h->ctx.index, 0xff, h->ctx.n_index * sizeof(uint32_t));
	for (i = 0; i < n_items; i++)
		h->ctx.index[items[i]] = (uint32_t)i;
	if (n_items == 0)
		return kgr__error_set(KGR_ENOTFOUND, "eval: the store has no items");
	return 0;
}

/* The buffers every user's ranking reuses, sized by the catalog and the longest cut-off once
 * per run so that ranking a user allocates nothing. */
static int alloc_scratch(harness *h)
{
	size_t n_items = h->ctx.n_items;

	h->scores = malloc(n_items * sizeof(double));
	h->skip = calloc(n_items, 1);
	h->covered = calloc(n_items, 1);
	h->top = malloc(h->ctx.list_len * sizeof(size_t));
	h->ranked = malloc(h->ctx.list_len * sizeof(kgr_id));
	h->rel = malloc(n_items * sizeof(uint32_t));
	h->rel_ids = malloc(n_items * sizeof(kgr_id));
	h->excl = malloc(n_items * sizeof(kgr_id));
	if (!h->scores || !h->skip || !h->covered || !h->top || !h->ranked || !h->rel || !h->rel_ids ||
		!h->excl)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	return 0;
}

/* The sampled protocol's negatives of every evaluated user: from the file when one is given,
 * otherwise drawn with the seed (99 unless asked). */
static int prepare_negatives(harness *h, const kgr_interaction *all, size_t n_all)
{
	const kgr_eval_options *opts = h->opts;

	h->negatives = calloc(h->n_users, sizeof(*h->negatives));
	h->n_negatives = calloc(h->n_users, sizeof(*h->n_negatives));
	if (!h->negatives || !h->n_negatives)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	if (opts->negatives_path)
		return load_negatives(h, opts->negatives_path);
	return draw_negatives(h, all, n_all, opts->n_negatives ? opts->n_negatives : 99);
}

/* User plus system CPU time in a getrusage() result, in seconds. */
static double cpu_seconds(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6 +
		(double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
}

/* What the result says of the run: ranker, protocol, parameters, seed, cut-offs, sizes. */
static void describe_run(kgr_eval_result *res, const harness *h, const kgr__ranker *r,
	const kgr_eval_split *split, const char *best_params, size_t n_items)
{
	snprintf(res->ranker, sizeof(res->ranker), "%s", r->name);
	snprintf(res->protocol, sizeof(res->protocol), "%s", kgr_eval_protocol_name(h->opts->protocol));
	snprintf(res->params, sizeof(res->params), "%s", best_params);
	res->seed = h->opts->seed;
	res->n_ks = h->n_ks;
	memcpy(res->ks, h->ks, h->n_ks * sizeof(size_t));
	res->items = n_items;
	res->train_events = split->n_train;
	res->valid_events = split->n_valid;
	res->test_events = split->n_test;
	res->valid_cut = split->valid_cut;
	res->test_cut = split->test_cut;
}

int kgr_eval_run(kgr_eval_result **out, const kgr_store *store, const kgr_eval_options *opts)
{
	harness h;
	kgr_eval_result *res = NULL;
	kgr_eval_split *split = NULL;
	kgr_interaction *fit_test = NULL;
	fitted fit_valid = { 0 }, fit_final = { 0 };
	const kgr__ranker *r = NULL;
	const kgr_interaction *all;
	size_t n_all;
	double t0 = now(), cpu0;
	char best_params[256];
	struct rusage ru;
	int error;

	*out = NULL;
	KGR__CHECK_VERSION(opts, KGR_EVAL_OPTIONS_VERSION, "eval");
	getrusage(RUSAGE_SELF, &ru);
	cpu0 = cpu_seconds(&ru);
	memset(&h, 0, sizeof(h));
	h.opts = opts;
	h.ctx.opts = opts;
	h.ctx.store = store;
	if ((error = check_run(&h, &r, opts)) < 0)
		return error;

	res = calloc(1, sizeof(*res));
	if (!res)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");

	if ((error = index_catalog(&h, store)) < 0)
		goto cleanup;

	all = kgr_store_interactions(store, &n_all);
	if ((error = kgr_eval_split_new(&split, all, n_all, opts)) < 0)
		goto cleanup;
	if ((error = merge_events(&fit_test, split)) < 0)
		goto cleanup;

	/* evaluated users: those with a held-out event (validation or test), optionally a seeded
	 * sample of them; each phase ranks the ones that have an event held out in it */
	if ((error = pick_users(&h, split, opts)) < 0)
		goto cleanup;

	if ((error = alloc_scratch(&h)) < 0)
		goto cleanup;

	if (opts->protocol == KGR_EVAL_SAMPLED) {
		if ((error = prepare_negatives(&h, all, n_all)) < 0)
			goto cleanup;
		res->negatives = h.n_negatives[0];
	}

	/* validation phase: fit on training events only; tune when the ranker has a grid (one
	 * fit for every configuration when the ranker can be configured after fitting) */
	if ((error = validation_phase(&h, r, split, res, best_params, sizeof(best_params), &fit_valid)) < 0)
		goto cleanup;
	fitted_free(r, &fit_valid);

	/* test phase: fit on training + validation events, rank the test events */
	error = fit_ranker(&h, r, best_params, "test", fit_test, split->n_train + split->n_valid,
		r->explains, &fit_final);
	if (error < 0)
		goto cleanup;
	error = run_phase(&h, r, &fit_final, best_params, "test", split->test, split->n_test,
		r->explains, &res->test, &res->explain, res);
	if (error < 0)
		goto cleanup;
	res->test.seconds += fit_final.seconds;
	fitted_free(r, &fit_final);

	describe_run(res, &h, r, split, best_params, h.ctx.n_items);
	res->seconds = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	res->peak_rss_kb = ru.ru_maxrss;
	res->cpu_seconds = cpu_seconds(&ru) - cpu0;
	*out = res;
	res = NULL;
	error = 0;
cleanup:
	harness_free(&h);
	if (r) {
		fitted_free(r, &fit_valid);
		fitted_free(r, &fit_final);
	}
	free(fit_test);
	kgr_eval_split_free(split);
	free(res);
	return error;
}
