/* The graph ranker's training: fitting the weights of the feature sum (retrieval/weights.c)
 * on held-back last interactions with a pairwise logistic loss (as in BPR, S. Rendle et al.,
 * UAI 2009, but over fixed features: a linear RankNet). */
#include "retrieval/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- training ---- */

static size_t rng_below(uint64_t *s, size_t n)
{
	return (size_t)(kgr__rng_next(s) % (uint64_t)n);
}

typedef struct {
	double d[KGR_FEAT__COUNT]; /* f_pos - f_neg */
} pair;

typedef struct {
	size_t pos;     /* index of the positive in lists, or (size_t)-1 */
	size_t first, n; /* range in the feature table */
} user_list;

static double pair_loss(const kgr_weights *w, const pair *p)
{
	double m = 0;
	int i;
	for (i = 0; i < KGR_FEAT__COUNT; i++)
		m += w->w[i] * p->d[i];
	return m > 0 ? log1p(exp(-m)) : -m + log1p(exp(m));
}

/* Share of users whose positive ranks in the top 10 of its list under w. */
static double hits_at_10(const kgr_weights *w, const user_list *ul, size_t n_users,
	const double (*feat)[KGR_FEAT__COUNT])
{
	size_t u, hits = 0;
	if (!n_users)
		return 0;
	for (u = 0; u < n_users; u++) {
		size_t i, above = 0;
		double sp;
		if (ul[u].pos == (size_t)-1)
			continue;
		sp = kgr__ranker_score(w, feat[ul[u].first + ul[u].pos], NULL);
		for (i = 0; i < ul[u].n; i++)
			if (i != ul[u].pos && kgr__ranker_score(w, feat[ul[u].first + i], NULL) >= sp)
				above++;
		if (above < 10)
			hits++;
	}
	return (double)hits / (double)n_users;
}

/* What gathering the examples and fitting them share: the sampled users' candidate lists
 * (every candidate's features, user after user, so that hits@10 can rank a positive among
 * all of them under any weights) and the pairs (positive minus a sampled negative) that
 * the descent sees; one random stream runs through both, in that order. */
typedef struct {
	const kgr_train_options *opts;
	uint64_t rng;
	kgr_train_report rep;
	double (*feat)[KGR_FEAT__COUNT];
	size_t n_feat, cap_feat;
	pair *pairs;
	size_t n_pairs, cap_pairs;
} trainer;

/* Each user's last interaction is held back as the positive to look for in their list; a
 * user with a single interaction keeps it in the graph, where it still connects items. */
static void hold_back_last(kgr_interaction *train, size_t *n_train, kgr_interaction *held,
	size_t *n_held, const kgr_interaction *all, size_t n_all)
{
	size_t i, j;

	for (i = 0; i < n_all; i = j) {
		for (j = i; j < n_all && all[j].user == all[i].user; j++)
			;
		if (j - i >= 2) {
			memcpy(train + *n_train, all + i, (j - i - 1) * sizeof(*train));
			*n_train += j - i - 1;
			held[(*n_held)++] = all[j - 1];
		} else {
			memcpy(train + *n_train, all + i, (j - i) * sizeof(*train));
			*n_train += j - i;
		}
	}
}

/* Keeps the features of a whole candidate list, not only of the pairs drawn from it: the
 * hit rates before and after rank the positive among all of them. *pos gets the place of
 * item in the list, or (size_t)-1. */
static int add_list(trainer *t, user_list *ul, const kgr_recs *recs, kgr_id item, size_t *pos)
{
	size_t k;

	*pos = (size_t)-1;
	ul->first = t->n_feat;
	ul->n = recs->n;
	ul->pos = (size_t)-1;
	if (t->n_feat + recs->n > t->cap_feat) {
		size_t cap = t->cap_feat ? t->cap_feat * 2 : 4096;
		void *nf;
		while (cap < t->n_feat + recs->n)
			cap *= 2;
		if (!(nf = realloc(t->feat, cap * sizeof(*t->feat))))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		t->feat = nf;
		t->cap_feat = cap;
	}
	for (k = 0; k < recs->n; k++) {
		memcpy(t->feat[t->n_feat + k], recs->items[k].features, sizeof(t->feat[0]));
		if (recs->items[k].item == item)
			*pos = k;
	}
	t->n_feat += recs->n;
	return 0;
}

/* The positive against want negatives drawn from the rest of its list (with replacement):
 * the difference of their features is all the pairwise loss needs. */
static int add_pairs(trainer *t, const kgr_recs *recs, size_t pos, size_t want)
{
	size_t m;

	for (m = 0; m < want; m++) {
		size_t neg;
		int f;
		do
			neg = rng_below(&t->rng, recs->n);
		while (neg == pos);
		if (t->n_pairs == t->cap_pairs) {
			size_t cap = t->cap_pairs ? t->cap_pairs * 2 : 4096;
			pair *np = realloc(t->pairs, cap * sizeof(*np));
			if (!np)
				return kgr__error_set(KGR_ENOMEM, "out of memory");
			t->pairs = np;
			t->cap_pairs = cap;
		}
		for (f = 0; f < KGR_FEAT__COUNT; f++)
			t->pairs[t->n_pairs].d[f] = recs->items[pos].features[f] - recs->items[neg].features[f];
		t->n_pairs++;
	}
	return 0;
}

/* One held-back event: the user's candidate list under the default weights, as the graph
 * ranker shows it today, is what the new weights must reorder. */
static int user_examples(trainer *t, user_list *ul, const kgr_graph *g,
	const kgr_interaction *ev, const kgr_weights *w0)
{
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_recs *recs = NULL;
	size_t pos;
	int error;

	ro.k = t->opts->n_candidates;
	ro.n_candidates = t->opts->n_candidates;
	ro.weights = w0;
	if ((error = kgr_recommend(&recs, g, ev->user, &ro)) < 0)
		return error;
	if ((error = add_list(t, ul, recs, ev->item, &pos)) < 0)
		goto cleanup;
	t->rep.users++;
	if (pos != (size_t)-1 && recs->n > 1) {
		size_t want = t->opts->negatives ? t->opts->negatives : recs->n - 1;
		ul->pos = pos;
		t->rep.positives++;
		if (want > recs->n - 1)
			want = recs->n - 1;
		error = add_pairs(t, recs, pos, want);
	}
cleanup:
	kgr_recs_free(recs);
	return error;
}

/* Stochastic gradient descent on the pairs' logistic loss with an L2 pull towards zero, the
 * pairs reshuffled and the step shrunk each epoch. *w holds the starting weights on entry
 * (the report's loss before is theirs) and the fitted ones on return. */
static int fit_pairs(kgr_weights *w, trainer *t)
{
	const kgr_train_options *opts = t->opts;
	size_t *order, i, n_pairs = t->n_pairs;
	int ep;

	if (!(order = malloc(n_pairs * sizeof(*order))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < n_pairs; i++) {
		order[i] = i;
		t->rep.loss_before += pair_loss(w, &t->pairs[i]);
	}
	t->rep.loss_before /= (double)n_pairs;
	for (ep = 0; ep < opts->epochs; ep++) {
		double lr = opts->learning_rate / (1.0 + 0.1 * ep);
		for (i = n_pairs; i > 1; i--) {
			size_t k = rng_below(&t->rng, i), tmp = order[i - 1];
			order[i - 1] = order[k];
			order[k] = tmp;
		}
		for (i = 0; i < n_pairs; i++) {
			const pair *p = &t->pairs[order[i]];
			double m = 0, gr;
			int f;
			for (f = 0; f < KGR_FEAT__COUNT; f++)
				m += w->w[f] * p->d[f];
			gr = 1.0 / (1.0 + exp(m)); /* -dloss/dm */
			for (f = 0; f < KGR_FEAT__COUNT; f++)
				w->w[f] += lr * (gr * p->d[f] - opts->l2 * w->w[f]);
		}
	}
	for (i = 0; i < n_pairs; i++)
		t->rep.loss_after += pair_loss(w, &t->pairs[i]);
	t->rep.loss_after /= (double)n_pairs;
	free(order);
	return 0;
}

int kgr_weights_train(kgr_weights *out, const kgr_store *store, const kgr_train_options *opts,
	kgr_train_report *report)
{
	kgr_train_options defaults = KGR_TRAIN_OPTIONS_INIT;
	kgr_graph_options gopts = KGR_GRAPH_OPTIONS_INIT;
	const kgr_interaction *all;
	kgr_interaction *train = NULL;
	kgr_interaction *held = NULL;
	size_t n_all, n_train = 0, n_held = 0, i;
	kgr_graph *g = NULL;
	kgr_weights w0, w;
	user_list *ul = NULL;
	trainer t;
	int error = 0;

	if (!opts)
		opts = &defaults;
	memset(&t, 0, sizeof(t));
	KGR__CHECK_VERSION(opts, KGR_TRAIN_OPTIONS_VERSION, "train");
	if (opts->n_candidates < 2 ||
		opts->n_candidates > KGR_MAX_K || opts->epochs < 0 || opts->learning_rate <= 0 ||
		opts->l2 < 0)
		return kgr__error_set(KGR_EINVALID,
			"train: bad options (candidates 2..%d, epochs >= 0, learning rate > 0, l2 >= 0)",
			KGR_MAX_K);
	t.opts = opts;
	t.rng = opts->seed ? opts->seed : 0x9E3779B97F4A7C15ull;
	all = kgr_store_interactions(store, &n_all);
	train = malloc((n_all + 1) * sizeof(*train));
	held = malloc((n_all + 1) * sizeof(*held));
	if (!train || !held) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	hold_back_last(train, &n_train, held, &n_held, all, n_all);
	if (!n_held) {
		error = kgr__error_set(KGR_EINVALID, "train: no user has two interactions to hold one back");
		goto cleanup;
	}
	gopts.interactions = train;
	gopts.n_interactions = n_train;
	gopts.config_path = opts->config_path;
	if ((error = kgr_graph_new(&g, store, &gopts)) < 0)
		goto cleanup;
	/* sample users: Fisher-Yates over the held-back events */
	for (i = n_held; i > 1; i--) {
		size_t k = rng_below(&t.rng, i);
		kgr_interaction tmp = held[i - 1];
		held[i - 1] = held[k];
		held[k] = tmp;
	}
	if (opts->max_users && n_held > opts->max_users)
		n_held = opts->max_users;
	if (!(ul = calloc(n_held, sizeof(*ul)))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	kgr_weights_default(&w0);
	for (i = 0; i < n_held; i++)
		if ((error = user_examples(&t, &ul[i], g, &held[i], &w0)) < 0)
			goto cleanup;
	t.rep.pairs = t.n_pairs;
	w = w0;
	if (t.n_pairs && (error = fit_pairs(&w, &t)) < 0)
		goto cleanup;
	t.rep.hits_before = hits_at_10(&w0, ul, n_held, (const double(*)[KGR_FEAT__COUNT])t.feat);
	t.rep.hits_after = hits_at_10(&w, ul, n_held, (const double(*)[KGR_FEAT__COUNT])t.feat);
	*out = w;
	if (report)
		*report = t.rep;
cleanup:
	kgr_graph_free(g);
	free(train);
	free(held);
	free(t.pairs);
	free(t.feat);
	free(ul);
	return error;
}
