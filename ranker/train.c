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

int kgr_weights_train(kgr_weights *out, const kgr_store *store, const kgr_train_options *opts,
	kgr_train_report *report)
{
	kgr_train_options defaults = KGR_TRAIN_OPTIONS_INIT;
	kgr_graph_options gopts = KGR_GRAPH_OPTIONS_INIT;
	const kgr_interaction *all;
	kgr_interaction *train = NULL;
	kgr_interaction *held = NULL;
	size_t n_all, n_train = 0, n_held = 0, i, j, n_pairs = 0, cap_pairs = 0, n_feat = 0, cap_feat = 0;
	kgr_graph *g = NULL;
	kgr_weights w0, w;
	pair *pairs = NULL;
	double (*feat)[KGR_FEAT__COUNT] = NULL;
	user_list *ul = NULL;
	size_t *order = NULL;
	uint64_t rng;
	kgr_train_report rep;
	int error = 0, ep;

	if (!opts)
		opts = &defaults;
	memset(&rep, 0, sizeof(rep));
	if (opts->version != KGR_TRAIN_OPTIONS_VERSION || opts->n_candidates < 2 ||
		opts->n_candidates > KGR_MAX_K || opts->epochs < 0 || opts->learning_rate <= 0 ||
		opts->l2 < 0)
		return kgr__error_set(KGR_EINVALID,
			"train: bad options (candidates 2..%d, epochs >= 0, learning rate > 0, l2 >= 0)",
			KGR_MAX_K);
	rng = opts->seed ? opts->seed : 0x9E3779B97F4A7C15ull;
	all = kgr_store_interactions(store, &n_all);
	train = malloc((n_all + 1) * sizeof(*train));
	held = malloc((n_all + 1) * sizeof(*held));
	if (!train || !held) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	/* hold back each user's last interaction (users with at least two) */
	for (i = 0; i < n_all; i = j) {
		for (j = i; j < n_all && all[j].user == all[i].user; j++)
			;
		if (j - i >= 2) {
			memcpy(train + n_train, all + i, (j - i - 1) * sizeof(*train));
			n_train += j - i - 1;
			held[n_held++] = all[j - 1];
		} else {
			memcpy(train + n_train, all + i, (j - i) * sizeof(*train));
			n_train += j - i;
		}
	}
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
		size_t k = rng_below(&rng, i);
		kgr_interaction t = held[i - 1];
		held[i - 1] = held[k];
		held[k] = t;
	}
	if (opts->max_users && n_held > opts->max_users)
		n_held = opts->max_users;
	if (!(ul = calloc(n_held, sizeof(*ul)))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	kgr_weights_default(&w0);
	for (i = 0; i < n_held; i++) {
		kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
		kgr_recs *recs = NULL;
		size_t pos = (size_t)-1, k;
		ro.k = opts->n_candidates;
		ro.n_candidates = opts->n_candidates;
		ro.weights = &w0;
		if ((error = kgr_recommend(&recs, g, held[i].user, &ro)) < 0)
			goto cleanup;
		ul[i].first = n_feat;
		ul[i].n = recs->n;
		ul[i].pos = (size_t)-1;
		if (n_feat + recs->n > cap_feat) {
			size_t cap = cap_feat ? cap_feat * 2 : 4096;
			void *nf;
			while (cap < n_feat + recs->n)
				cap *= 2;
			if (!(nf = realloc(feat, cap * sizeof(*feat)))) {
				kgr_recs_free(recs);
				error = kgr__error_set(KGR_ENOMEM, "out of memory");
				goto cleanup;
			}
			feat = nf;
			cap_feat = cap;
		}
		for (k = 0; k < recs->n; k++) {
			memcpy(feat[n_feat + k], recs->items[k].features, sizeof(feat[0]));
			if (recs->items[k].item == held[i].item)
				pos = k;
		}
		n_feat += recs->n;
		rep.users++;
		if (pos != (size_t)-1 && recs->n > 1) {
			size_t m, want = opts->negatives ? opts->negatives : recs->n - 1;
			ul[i].pos = pos;
			rep.positives++;
			if (want > recs->n - 1)
				want = recs->n - 1;
			for (m = 0; m < want; m++) {
				size_t neg;
				int f;
				do
					neg = rng_below(&rng, recs->n);
				while (neg == pos);
				if (n_pairs == cap_pairs) {
					size_t cap = cap_pairs ? cap_pairs * 2 : 4096;
					pair *np = realloc(pairs, cap * sizeof(*np));
					if (!np) {
						kgr_recs_free(recs);
						error = kgr__error_set(KGR_ENOMEM, "out of memory");
						goto cleanup;
					}
					pairs = np;
					cap_pairs = cap;
				}
				for (f = 0; f < KGR_FEAT__COUNT; f++)
					pairs[n_pairs].d[f] = recs->items[pos].features[f] - recs->items[neg].features[f];
				n_pairs++;
			}
		}
		kgr_recs_free(recs);
	}
	rep.pairs = n_pairs;
	w = w0;
	if (n_pairs) {
		if (!(order = malloc(n_pairs * sizeof(*order)))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		for (i = 0; i < n_pairs; i++) {
			order[i] = i;
			rep.loss_before += pair_loss(&w0, &pairs[i]);
		}
		rep.loss_before /= (double)n_pairs;
		for (ep = 0; ep < opts->epochs; ep++) {
			double lr = opts->learning_rate / (1.0 + 0.1 * ep);
			for (i = n_pairs; i > 1; i--) {
				size_t k = rng_below(&rng, i), t = order[i - 1];
				order[i - 1] = order[k];
				order[k] = t;
			}
			for (i = 0; i < n_pairs; i++) {
				const pair *p = &pairs[order[i]];
				double m = 0, gr;
				int f;
				for (f = 0; f < KGR_FEAT__COUNT; f++)
					m += w.w[f] * p->d[f];
				gr = 1.0 / (1.0 + exp(m)); /* -dloss/dm */
				for (f = 0; f < KGR_FEAT__COUNT; f++)
					w.w[f] += lr * (gr * p->d[f] - opts->l2 * w.w[f]);
			}
		}
		for (i = 0; i < n_pairs; i++)
			rep.loss_after += pair_loss(&w, &pairs[i]);
		rep.loss_after /= (double)n_pairs;
	}
	rep.hits_before = hits_at_10(&w0, ul, n_held, (const double(*)[KGR_FEAT__COUNT])feat);
	rep.hits_after = hits_at_10(&w, ul, n_held, (const double(*)[KGR_FEAT__COUNT])feat);
	*out = w;
	if (report)
		*report = rep;
cleanup:
	kgr_graph_free(g);
	free(train);
	free(held);
	free(pairs);
	free(feat);
	free(ul);
	free(order);
	return error;
}
