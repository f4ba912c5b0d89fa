/* The LLM ranker in the harness: the graph ranker's candidates with their evidence, re-ranked
 * by kgr_llm_rank() (which falls back to the graph order when no answer is usable). */
#include "eval/internal.h"

#include "kgrec/llm.h"
#include "kgrec/pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kgr_graph *graph;
	kgr_llm_options lo;
	kgr_weights weights;
	size_t candidates;
	kgr_eval_llm acc;
	double validity_sum;
	size_t grounded;
} llm_state;

static const char *const llm_params[] = { "candidates", "alpha", NULL };

/* The endpoint and the graph depend on the run's options and the fit events only; the
 * parameters (candidates, alpha) are set by llm_configure. */
static int llm_fit(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
	llm_state *s;
	int error;
	(void)items;
	(void)params;
	if (!ctx->opts->llm_url && !getenv("KGREC_LLM_URL") && !getenv("OPENAI_BASE_URL"))
		return kgr__error_set(KGR_EINVALID,
			"eval: the llm ranker needs an endpoint: --llm-url (or KGREC_LLM_URL)");
	s = calloc(1, sizeof(*s));
	if (!s)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	s->lo = kgr_llm_options_from_env();
	if (ctx->opts->llm_url)
		s->lo.base_url = ctx->opts->llm_url;
	if (ctx->opts->llm_model)
		s->lo.model = ctx->opts->llm_model;
	s->lo.seed = (unsigned int)ctx->opts->seed;
	kgr_weights_default(&s->weights);
	go.interactions = ev;
	go.n_interactions = n;
	go.hub_degree = ctx->opts->hub_degree;
	go.config_path = ctx->opts->graph_config;
	if ((error = kgr_graph_new(&s->graph, ctx->store, &go)) < 0) {
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

/* Sets the parameters and starts the accounting afresh: what report() gives covers the
 * scoring done since the last configuration. */
static int llm_configure(void *state, const kgr__eval_ctx *ctx, const char *params)
{
	llm_state *s = state;
	double cand, alpha;
	(void)ctx;
	if (kgr__eval_param(params, "candidates", 20, &cand) < 0 ||
		kgr__eval_param(params, "alpha", 0.5, &alpha) < 0)
		return kgr_error_last_code();
	if (cand < 1 || cand > 100 || alpha < 0 || alpha > 1)
		return kgr__error_set(KGR_EINVALID,
			"eval: llm: need 1 <= candidates <= 100 and 0 <= alpha <= 1");
	s->lo.alpha = alpha;
	s->candidates = (size_t)cand;
	memset(&s->acc, 0, sizeof(s->acc));
	s->validity_sum = 0;
	s->grounded = 0;
	return 0;
}

static int llm_score(void *state, const kgr__eval_ctx *ctx, const kgr__eval_query *q,
	double *scores, kgr_recs **recs_out)
{
	llm_state *s = state;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_rank_options rq = KGR_RANK_OPTIONS_INIT;
	kgr_ranking rk;
	const kgr_llm_result *res;
	size_t i;
	int error;
	memset(&rk, 0, sizeof(rk));
	for (i = 0; i < ctx->n_items; i++)
		scores[i] = -INFINITY;
	ro.k = s->candidates;
	ro.n_candidates = s->candidates > 200 ? s->candidates : 200;
	ro.explain = 1; /* the prompt quotes the evidence as facts */
	ro.exclude_seen = 1;
	ro.exclude = q->exclude;
	ro.n_exclude = q->n_exclude;
	ro.require_path = 1;
	ro.weights = &s->weights;
	rq.rec = ro;
	rq.llm = &s->lo;
	rq.history = q->history;
	rq.n_history = q->n_history;
	if ((error = kgr_rank_request(&rk, s->graph, q->user, &rq)) < 0) {
		kgr_ranking_clear(&rk);
		return error;
	}
	res = rk.llm;
	if (rk.recs->n == 0)
		goto done; /* nothing was re-ranked: no request is counted */
	for (i = 0; i < res->n; i++) {
		uint32_t it = kgr__eval_item(ctx, res->items[i].item);
		if (it != KGR__NO_ITEM)
			scores[it] = (double)(res->n - i);
		if (res->items[i].rationale) {
			s->acc.rationales++;
			s->grounded += res->items[i].grounded != 0;
		}
	}
	s->acc.users++;
	s->acc.fallbacks += res->fallback != 0;
	s->acc.calls += res->stats.calls;
	s->acc.cache_hits += res->stats.cache_hits;
	s->acc.failures += res->stats.failures;
	s->acc.replies_invalid += res->stats.replies_invalid;
	s->acc.prompt_tokens += res->stats.prompt_tokens;
	s->acc.completion_tokens += res->stats.completion_tokens;
	s->validity_sum += res->stats.validity_rate;
done:
	if (recs_out) {
		/* the list in the LLM's order: its evidence paths are the graph's */
		*recs_out = rk.recs;
		rk.recs = NULL;
	}
	kgr_ranking_clear(&rk);
	return 0;
}

static void llm_report(void *state, kgr_eval_result *r)
{
	llm_state *s = state;
	r->llm = s->acc;
	r->llm.measured = 1;
	r->llm.validity = s->acc.users ? s->validity_sum / (double)s->acc.users : 0;
	r->llm.grounding = s->acc.rationales ? (double)s->grounded / (double)s->acc.rationales : 0;
}

static void llm_free(void *state)
{
	llm_state *s = state;
	if (!s)
		return;
	kgr_graph_free(s->graph);
	free(s);
}

const kgr__ranker kgr__ranker_llm = {
	"llm", 1, "candidates=20,alpha=0.5", NULL, 0, llm_params, llm_fit, llm_configure,
	llm_score, llm_free, llm_report, NULL
};
