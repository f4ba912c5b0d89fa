/* Baselines that need no graph: popularity and item-kNN over co-interactions. */
#include "eval/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- popularity */

typedef struct {
	double *count; /* distinct users per item in the fit set */
} pop_state;

/* Calls fn(user_begin, user_end) for each user's run of events. Returns the distinct dense
 * items of the run in `set` (stamp marks seen ones). */
static size_t distinct_items(const uint32_t *items, size_t b, size_t e, uint32_t *stamp,
	uint32_t mark, uint32_t *set)
{
	size_t i, n = 0;
	for (i = b; i < e; i++) {
		uint32_t it = items[i];
		if (it == KGR__NO_ITEM || stamp[it] == mark)
			continue;
		stamp[it] = mark;
		set[n++] = it;
	}
	return n;
}

static int pop_fit(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	pop_state *s = calloc(1, sizeof(*s));
	uint32_t *stamp = calloc(ctx->n_items ? ctx->n_items : 1, sizeof(*stamp));
	uint32_t *set = malloc((n ? n : 1) * sizeof(*set));
	size_t b, e, k, m;
	uint32_t mark = 0;
	(void)params;
	if (!s || !stamp || !set || !(s->count = calloc(ctx->n_items ? ctx->n_items : 1, sizeof(double)))) {
		if (s)
			free(s->count);
		free(s);
		free(stamp);
		free(set);
		return kgr__error_set(KGR_ENOMEM, "eval: pop: out of memory");
	}
	for (b = 0; b < n; b = e) {
		for (e = b; e < n && ev[e].user == ev[b].user; e++)
			;
		m = distinct_items(items, b, e, stamp, ++mark, set);
		for (k = 0; k < m; k++)
			s->count[set[k]] += 1;
	}
	free(stamp);
	free(set);
	*out = s;
	return 0;
}

static int pop_score(void *state, const kgr__eval_ctx *ctx, const kgr__eval_query *q,
	double *scores, kgr_recs **recs)
{
	pop_state *s = state;
	(void)q;
	(void)recs;
	memcpy(scores, s->count, ctx->n_items * sizeof(double));
	return 0;
}

static void pop_free(void *state)
{
	pop_state *s = state;
	if (s)
		free(s->count);
	free(s);
}

const kgr__ranker kgr__ranker_pop = {
	"pop", 0, "", NULL, 0, NULL, pop_fit, NULL, pop_score, pop_free, NULL, NULL
};

/* ---------------------------------------------------------------- item-kNN */

/* sim(a, b) = c(a, b) / (n(a)^alpha * n(b)^(1 - alpha)), c = users who took both, n = users
 * who took the item; alpha 0.5 is the cosine. Each item keeps its `neighbours` most similar
 * items (0: all). A user's score for b sums sim(h, b) over history items h, the h taken j
 * steps before the last weighted by decay^j (decay 1: the plain item-kNN).
 * Sarwar et al. 2001 (item-based CF); Deshpande & Karypis 2004 (top-N item-based). */
typedef struct {
	size_t *row;     /* CSR over items: neighbours of item a are nb[row[a] .. row[a+1]) */
	uint32_t *nb;
	float *sim;
	double decay;
	size_t n_items;
} knn_state;

typedef struct {
	uint32_t item;
	float sim;
} knn_pair;

static int by_sim_desc(const void *a, const void *b)
{
	const knn_pair *x = a, *y = b;
	if (x->sim != y->sim)
		return x->sim > y->sim ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

static void knn_free(void *state)
{
	knn_state *s = state;
	if (!s)
		return;
	free(s->row);
	free(s->nb);
	free(s->sim);
	free(s);
}

/* What knn_fit builds the neighbour lists from: the users as sets of distinct items and the
 * items as lists of their users (both CSR over the fit events), the two powers of each item's
 * user count, and the per-item scratch of the similarity pass, allocated once for all items. */
typedef struct {
	size_t ni, nu;
	uint32_t *stamp;
	uint32_t *uitems;  /* items of user k: uitems[ustart[k] .. ustart[k + 1]) */
	size_t *ustart;
	double *cnt;       /* users per item */
	size_t *irow;      /* users of item a: iusers[irow[a] .. irow[a + 1]) */
	size_t *ifill;
	uint32_t *iusers;
	double *pa, *pb;   /* cnt^alpha, cnt^(1 - alpha) */
	double *acc;       /* co-counts of the item in hand, zero between items */
	uint32_t *touched;
	knn_pair *pairs;
	size_t nnz, cap;   /* neighbours written to the state so far, and room for them */
} knn_build;

static void knn_build_free(knn_build *kb)
{
	free(kb->stamp);
	free(kb->uitems);
	free(kb->ustart);
	free(kb->cnt);
	free(kb->irow);
	free(kb->ifill);
	free(kb->iusers);
	free(kb->acc);
	free(kb->touched);
	free(kb->pairs);
	free(kb->pa);
	free(kb->pb);
}

/* The users' item sets, the items' user counts with their powers, and the items' user lists,
 * from the fit events (grouped by user). -1 when out of memory. */
static int knn_cooccur(knn_build *kb, const kgr_interaction *ev, const uint32_t *items, size_t n,
	double alpha)
{
	size_t ni = kb->ni, b, e, k, m, a;
	uint32_t mark = 0;

	/* users as sets of distinct items (CSR), and item -> users (CSR) */
	kb->ustart[0] = 0;
	for (b = 0; b < n; b = e) {
		for (e = b; e < n && ev[e].user == ev[b].user; e++)
			;
		m = distinct_items(items, b, e, kb->stamp, ++mark, kb->uitems + kb->ustart[kb->nu]);
		for (k = 0; k < m; k++)
			kb->cnt[kb->uitems[kb->ustart[kb->nu] + k]] += 1;
		kb->ustart[kb->nu + 1] = kb->ustart[kb->nu] + m;
		kb->nu++;
	}
	for (a = 0; a < ni; a++) {
		kb->irow[a + 1] = kb->irow[a] + (size_t)kb->cnt[a];
		kb->pa[a] = pow(kb->cnt[a], alpha);
		kb->pb[a] = pow(kb->cnt[a], 1 - alpha);
	}
	kb->iusers = malloc((kb->irow[ni] + 1) * sizeof(*kb->iusers));
	kb->ifill = malloc((ni + 1) * sizeof(*kb->ifill));
	if (!kb->iusers || !kb->ifill)
		return -1;
	memcpy(kb->ifill, kb->irow, ni * sizeof(*kb->ifill));
	for (k = 0; k < kb->nu; k++)
		for (b = kb->ustart[k]; b < kb->ustart[k + 1]; b++)
			kb->iusers[kb->ifill[kb->uitems[b]]++] = (uint32_t)k;
	return 0;
}

/* Item a's neighbour list appended to the state: the items its users also took, with their
 * similarity, cut to the `neighbours` most similar when asked. -1 when out of memory. */
static int knn_row(knn_build *kb, knn_state *s, size_t a, double neighbours)
{
	const uint32_t *uitems = kb->uitems, *iusers = kb->iusers;
	const size_t *ustart = kb->ustart;
	double *acc = kb->acc;
	uint32_t *touched = kb->touched;
	knn_pair *pairs = kb->pairs;
	size_t nt = 0, keep, b, e, k;

	for (b = kb->irow[a]; b < kb->irow[a + 1]; b++) {
		uint32_t u = iusers[b];
		for (e = ustart[u]; e < ustart[u + 1]; e++) {
			uint32_t x = uitems[e];
			if (x == a)
				continue;
			if (acc[x] == 0)
				touched[nt++] = x;
			acc[x] += 1;
		}
	}
	for (k = 0; k < nt; k++) {
		uint32_t x = touched[k];
		pairs[k].item = x;
		pairs[k].sim = (float)(acc[x] / (kb->pa[a] * kb->pb[x]));
		acc[x] = 0;
	}
	keep = nt;
	if (neighbours > 0 && (size_t)neighbours < nt) {
		qsort(pairs, nt, sizeof(*pairs), by_sim_desc);
		keep = (size_t)neighbours;
	}
	if (kb->nnz + keep > kb->cap) {
		size_t ncap = (kb->nnz + keep) * 2 + 1024;
		uint32_t *p1 = realloc(s->nb, ncap * sizeof(*p1));
		float *p2;
		if (!p1)
			return -1;
		s->nb = p1;
		p2 = realloc(s->sim, ncap * sizeof(*p2));
		if (!p2)
			return -1;
		s->sim = p2;
		kb->cap = ncap;
	}
	for (k = 0; k < keep; k++) {
		s->nb[kb->nnz] = pairs[k].item;
		s->sim[kb->nnz++] = pairs[k].sim;
	}
	s->row[a + 1] = kb->nnz;
	return 0;
}

static int knn_fit(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	size_t ni = ctx->n_items, a;
	double neighbours, alpha, decay;
	knn_state *s = NULL;
	knn_build kb;
	int error = KGR_ENOMEM;

	if (kgr__eval_param(params, "neighbours", 0, &neighbours) < 0 ||
		kgr__eval_param(params, "alpha", 0.5, &alpha) < 0 ||
		kgr__eval_param(params, "decay", 1.0, &decay) < 0)
		return kgr_error_last_code();
	if (neighbours < 0 || alpha < 0 || alpha > 1 || decay <= 0 || decay > 1)
		return kgr__error_set(KGR_EINVALID,
			"eval: itemknn: need neighbours >= 0, 0 <= alpha <= 1, 0 < decay <= 1");

	memset(&kb, 0, sizeof(kb));
	kb.ni = ni;
	s = calloc(1, sizeof(*s));
	kb.stamp = calloc(ni + 1, sizeof(*kb.stamp));
	kb.uitems = malloc((n + 1) * sizeof(*kb.uitems));
	kb.ustart = malloc((n + 2) * sizeof(*kb.ustart));
	kb.cnt = calloc(ni + 1, sizeof(*kb.cnt));
	kb.irow = calloc(ni + 2, sizeof(*kb.irow));
	kb.acc = calloc(ni + 1, sizeof(*kb.acc));
	kb.touched = malloc((ni + 1) * sizeof(*kb.touched));
	kb.pairs = malloc((ni + 1) * sizeof(*kb.pairs));
	kb.pa = malloc((ni + 1) * sizeof(*kb.pa));
	kb.pb = malloc((ni + 1) * sizeof(*kb.pb));
	if (!s || !kb.stamp || !kb.uitems || !kb.ustart || !kb.cnt || !kb.irow || !kb.acc ||
		!kb.touched || !kb.pairs || !kb.pa || !kb.pb)
		goto cleanup;
	s->decay = decay;
	s->n_items = ni;

	if (knn_cooccur(&kb, ev, items, n, alpha) < 0)
		goto cleanup;
	s->row = calloc(ni + 1, sizeof(*s->row));
	if (!s->row)
		goto cleanup;
	for (a = 0; a < ni; a++)
		if (knn_row(&kb, s, a, neighbours) < 0)
			goto cleanup;
	*out = s;
	s = NULL;
	error = 0;
cleanup:
	if (error)
		kgr__error_set(KGR_ENOMEM, "eval: itemknn: out of memory");
	knn_free(s);
	knn_build_free(&kb);
	return error;
}

static int knn_score(void *state, const kgr__eval_ctx *ctx, const kgr__eval_query *q,
	double *scores, kgr_recs **recs)
{
	knn_state *s = state;
	size_t h, j;
	double w = 1;
	(void)recs;
	memset(scores, 0, ctx->n_items * sizeof(double));
	for (h = q->n_history; h-- > 0; w *= s->decay) {
		uint32_t a = q->items[h];
		if (a == KGR__NO_ITEM)
			continue;
		for (j = s->row[a]; j < s->row[a + 1]; j++)
			scores[s->nb[j]] += w * s->sim[j];
	}
	return 0;
}

static const char *const knn_params[] = { "neighbours", "alpha", "decay", NULL };
static const char *const knn_grid[] = {
	"neighbours=0,alpha=0.5,decay=1",
	"neighbours=0,alpha=0.5,decay=0.9",
	"neighbours=0,alpha=0.5,decay=0.7",
	"neighbours=0,alpha=0.5,decay=0.5",
	"neighbours=0,alpha=0.5,decay=0.3",
	"neighbours=100,alpha=0.5,decay=1",
	"neighbours=100,alpha=0.5,decay=0.7",
	"neighbours=100,alpha=0.5,decay=0.5",
	"neighbours=20,alpha=0.5,decay=1",
	"neighbours=20,alpha=0.5,decay=0.5",
};

const kgr__ranker kgr__ranker_itemknn = {
	"itemknn", 0, "neighbours=0,alpha=0.5,decay=1", knn_grid,
	sizeof(knn_grid) / sizeof(knn_grid[0]), knn_params, knn_fit, NULL, knn_score, knn_free,
	NULL, NULL
};
