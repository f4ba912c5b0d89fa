/* The graph ranker (kgr_recommend) in the harness: with the catalog, without it (an
 * interactions-only baseline), allowed to return unexplained items, and with a sequence model
 * fitted on the phase's fit events as a generator and a weighted score part (w_sequence,
 * tuned on the validation events with the graph's weights). */
#include "eval/internal.h"
#include "ranker/seq_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kgr_graph *graph;
	size_t candidates;
	int require_path;
	kgr_weights weights;
	kgr_seq_model *seq;  /* graph-sequence: the model fitted on the phase's fit events */
	size_t n_sequence;   /* its best items proposed */
	double w_sequence;   /* the weight of its score part */
} graph_state;

/* Parameters: "candidates" and one "w_<feature>" per ranker weight (kgr_feature_name()),
 * starting from kgr_weights_default(). */
#define GRAPH_PARAMS "candidates", "w_ppr", "w_covisit", "w_metapath", "w_sequential", \
	"w_popular", "w_newitem", "w_query", "w_paths", "w_shortest", "w_recency", "w_itempop", "w_hub"
static const char *const graph_params[] = { GRAPH_PARAMS, NULL };
static const char *const graph_seq_params[] = { GRAPH_PARAMS, "w_sequence", "seq_candidates",
	"seq_negatives", "seq_epochs", "seq_threads", "seq_refit", NULL };
/* what graph-sequence's fit reads: the sequence model's options */
static const char *const graph_seq_fit_params[] = { "seq_negatives", "seq_epochs", "seq_threads",
	"seq_refit", NULL };

static int read_weights(kgr_weights *w, const char *params)
{
	int f;
	kgr_weights_default(w);
	for (f = 0; f < KGR_FEAT__COUNT; f++) {
		char name[32];
		snprintf(name, sizeof(name), "w_%s", kgr_feature_name((kgr_feature)f));
		if (kgr__eval_param(params, name, w->w[f], &w->w[f]) < 0)
			return kgr_error_last_code();
	}
	return 0;
}

/* The graph depends on the fit events and the run's options only (hub degree, graph
 * configuration): it is built once per fit set; the parameters are set by graph_configure. */
static int fit_common(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev, size_t n,
	int no_catalog, int require_path)
{
	kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
	graph_state *s;
	int error;
	s = calloc(1, sizeof(*s));
	if (!s)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	/* The training split overrides the store's interactions: nothing held out is in it. */
	go.interactions = ev;
	go.n_interactions = n;
	go.no_catalog = no_catalog;
	go.hub_degree = ctx->opts->hub_degree;
	go.config_path = ctx->opts->graph_config;
	error = kgr_graph_new(&s->graph, ctx->store, &go);
	if (error < 0) {
		free(s);
		return error;
	}
	s->require_path = require_path;
	*out = s;
	return 0;
}

static int graph_configure(void *state, const kgr__eval_ctx *ctx, const char *params)
{
	graph_state *s = state;
	kgr_weights w;
	double cand;
	int error;
	(void)ctx;
	if (kgr__eval_param(params, "candidates", 200, &cand) < 0)
		return kgr_error_last_code();
	if (cand < 1 || cand > 100000)
		return kgr__error_set(KGR_EINVALID, "eval: graph: candidates must be 1 .. 100000");
	if ((error = read_weights(&w, params)) < 0)
		return error;
	s->candidates = (size_t)cand;
	s->weights = w;
	if (s->seq) {
		kgr_rec_options d = KGR_REC_OPTIONS_INIT;
		if (kgr__eval_param(params, "w_sequence", d.w_sequence, &s->w_sequence) < 0 ||
			kgr__eval_param(params, "seq_candidates", (double)d.n_sequence, &cand) < 0)
			return kgr_error_last_code();
		if (!isfinite(s->w_sequence) || cand < 1 || cand > KGR_MAX_K)
			return kgr__error_set(KGR_EINVALID, "eval: graph-sequence: w_sequence must be "
				"finite and seq_candidates 1 .. %d", KGR_MAX_K);
		s->n_sequence = (size_t)cand;
	}
	return 0;
}

static int fit_graph(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	(void)items;
	(void)params;
	return fit_common(out, ctx, ev, n, 0, 1);
}

static void graph_free(void *state);

/* The graph of fit_graph and a sequence model fitted on the same events (the library's
 * options but for seq_negatives, seq_epochs, seq_threads and seq_refit, its own refit;
 * seeded by the run), which ranks nothing the graph could not see. */
static int fit_graph_seq(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	kgr_seq_options so = KGR_SEQ_OPTIONS_INIT;
	graph_state *s;
	double v;
	int error;
	(void)items;
	if (kgr__eval_seq_params(&so, params) < 0)
		return kgr_error_last_code();
	if (kgr__eval_param(params, "seq_refit", so.refit, &v) < 0)
		return kgr_error_last_code();
	so.refit = v != 0;
	so.seed = ctx->opts->seed;
	if ((error = fit_common(out, ctx, ev, n, 0, 1)) < 0)
		return error;
	s = *out;
	if ((error = kgr__seq_train_events(&s->seq, ctx->store, ev, n, 0, &so, NULL)) < 0) {
		graph_free(s);
		*out = NULL;
	}
	return error;
}

static int fit_nokg(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	(void)items;
	(void)params;
	return fit_common(out, ctx, ev, n, 1, 0);
}

static int fit_open(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	(void)items;
	(void)params;
	return fit_common(out, ctx, ev, n, 0, 0);
}

/* The ranker returns a list, not scores: listed items score by position, the rest tie at
 * -inf and are ordered by the harness's seeded tie rule (as a random order would). */
static int graph_score(void *state, const kgr__eval_ctx *ctx, const kgr__eval_query *q,
	double *scores, kgr_recs **recs_out)
{
	graph_state *s = state;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_recs *recs = NULL;
	int error;
	ro.k = ctx->list_len > s->candidates ? ctx->list_len : s->candidates;
	if (ro.k > KGR_MAX_K)
		ro.k = KGR_MAX_K;
	ro.n_candidates = ro.k > s->candidates ? ro.k : s->candidates;
	ro.explain = ctx->explain;
	ro.exclude_seen = 1;
	ro.exclude = q->exclude;
	ro.n_exclude = q->n_exclude;
	ro.require_path = s->require_path;
	ro.weights = &s->weights;
	if (s->seq) {
		ro.sequence = s->seq;
		ro.n_sequence = s->n_sequence;
		ro.w_sequence = s->w_sequence;
	}
	error = kgr_recommend(&recs, s->graph, q->user, &ro);
	if (error < 0)
		return error;
	kgr__eval_list_scores(ctx, recs, scores, recs_out);
	return 0;
}

void kgr__eval_list_scores(const kgr__eval_ctx *ctx, kgr_recs *recs, double *scores,
	kgr_recs **recs_out)
{
	size_t i;
	for (i = 0; i < ctx->n_items; i++)
		scores[i] = -INFINITY;
	for (i = 0; i < recs->n; i++) {
		uint32_t it = kgr__eval_item(ctx, recs->items[i].item);
		if (it != KGR__NO_ITEM)
			scores[it] = (double)(recs->n - i);
	}
	if (recs_out)
		*recs_out = recs;
	else
		kgr_recs_free(recs);
}

void kgr__eval_recs_free(kgr_recs *recs)
{
	kgr_recs_free(recs);
}

static void graph_free(void *state)
{
	graph_state *s = state;
	if (!s)
		return;
	kgr_graph_free(s->graph);
	kgr_seq_free(s->seq);
	free(s);
}

/* Weight sets tried on the validation events, each a change from the library's defaults
 * fixed before any evaluation: the defaults; more weight on popularity; more on what the user
 * did last (sequential, recency); more on co-interaction; more on the catalog (meta-paths,
 * paths). */
static const char *const graph_grid[] = {
	"candidates=200",
	"candidates=200,w_popular=0.6,w_itempop=0.8",
	"candidates=200,w_sequential=1.5,w_recency=0.8",
	"candidates=200,w_covisit=1.5,w_ppr=0.5",
	"candidates=200,w_metapath=1.5,w_paths=0.6",
};
#define GRAPH_GRID (sizeof(graph_grid) / sizeof(graph_grid[0]))

/* graph-sequence: each of the graph's weight sets with the sequence model's part weighted
 * from nothing (its items are still candidates) to four generators' (its feature is 1 for
 * the model's first item, exp(s - s_top) for the others; a generator's is at most 1). */
#define SEQ_W(g) g ",w_sequence=0", g ",w_sequence=0.5", g ",w_sequence=1", g ",w_sequence=2", \
	g ",w_sequence=4"
static const char *const graph_seq_grid[] = {
	SEQ_W("candidates=200"),
	SEQ_W("candidates=200,w_popular=0.6,w_itempop=0.8"),
	SEQ_W("candidates=200,w_sequential=1.5,w_recency=0.8"),
	SEQ_W("candidates=200,w_covisit=1.5,w_ppr=0.5"),
	SEQ_W("candidates=200,w_metapath=1.5,w_paths=0.6"),
};
#undef SEQ_W
#define GRAPH_SEQ_GRID (sizeof(graph_seq_grid) / sizeof(graph_seq_grid[0]))

const kgr__ranker kgr__ranker_graph = {
	"graph", 1, "candidates=200", graph_grid, GRAPH_GRID, graph_params, fit_graph,
	graph_configure, graph_score, graph_free, NULL, NULL
};
const kgr__ranker kgr__ranker_graph_nokg = {
	"graph-nokg", 1, "candidates=200", graph_grid, GRAPH_GRID, graph_params, fit_nokg,
	graph_configure, graph_score, graph_free, NULL, NULL
};
const kgr__ranker kgr__ranker_graph_open = {
	"graph-open", 1, "candidates=200", graph_grid, GRAPH_GRID, graph_params, fit_open,
	graph_configure, graph_score, graph_free, NULL, NULL
};
const kgr__ranker kgr__ranker_graph_sequence = {
	"graph-sequence", 1, "candidates=200,w_sequence=1", graph_seq_grid, GRAPH_SEQ_GRID,
	graph_seq_params, fit_graph_seq, graph_configure, graph_score, graph_free, NULL,
	graph_seq_fit_params
};
