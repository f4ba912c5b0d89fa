/* The learned ranker (kgr_model_train(), ranker/ltr_*.c) in the harness: fitted on the fit
 * events of the phase only (each user's last fit event held back as its label), with the
 * catalog or without it; with sequence=1 also a sequence model, fitted on the same events
 * without the held-back ones, whose scores are features (and which ranks with it). */
#include "eval/internal.h"
#include "ranker/ltr_internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
	kgr_model *model;
	kgr_graph *graph;
	size_t checked; /* list places checked for an evidence path; 0: the list's length */
} learned_state;

static const char *const learned_params[] = { "candidates", "knn_candidates", "rounds",
	"early_stop", "eta", "depth", "users", "checked", "threads", "cuts", "sequence",
	"seq_negatives", "seq_epochs", "seq_threads", "refit", "seq_refit", "seq_candidates",
	"valid_share", NULL };

static int read_options(kgr_learn_options *lo, kgr_seq_options *so, const char *params)
{
	double v;
	if (kgr__eval_param(params, "sequence", 0, &v) < 0)
		return kgr_error_last_code();
	lo->sequence = v != 0;
	if (kgr__eval_seq_params(so, params) < 0)
		return kgr_error_last_code();
	if (kgr__eval_param(params, "candidates", (double)lo->n_candidates, &v) < 0)
		return kgr_error_last_code();
	lo->n_candidates = (size_t)v;
	if (kgr__eval_param(params, "knn_candidates", (double)lo->knn_candidates, &v) < 0)
		return kgr_error_last_code();
	lo->knn_candidates = (size_t)v;
	if (kgr__eval_param(params, "rounds", lo->rounds, &v) < 0)
		return kgr_error_last_code();
	lo->rounds = (int)v;
	if (kgr__eval_param(params, "early_stop", lo->early_stop, &v) < 0)
		return kgr_error_last_code();
	lo->early_stop = (int)v;
	if (kgr__eval_param(params, "eta", lo->learning_rate, &lo->learning_rate) < 0)
		return kgr_error_last_code();
	if (kgr__eval_param(params, "depth", lo->max_depth, &v) < 0)
		return kgr_error_last_code();
	lo->max_depth = (int)v;
	if (kgr__eval_param(params, "users", (double)lo->max_users, &v) < 0)
		return kgr_error_last_code();
	lo->max_users = (size_t)v;
	if (kgr__eval_param(params, "cuts", (double)lo->cuts, &v) < 0)
		return kgr_error_last_code();
	lo->cuts = (size_t)v;
	if (kgr__eval_param(params, "refit", lo->refit, &v) < 0)
		return kgr_error_last_code();
	lo->refit = v != 0;
	if (kgr__eval_param(params, "seq_refit", lo->seq_refit, &v) < 0)
		return kgr_error_last_code();
	lo->seq_refit = v >= 0 && v <= 2 ? (int)v : -1; /* refused by name when not 0 .. 2 */
	if (kgr__eval_param(params, "seq_candidates", (double)lo->seq_candidates, &v) < 0)
		return kgr_error_last_code();
	lo->seq_candidates = (size_t)v;
	if (kgr__eval_param(params, "valid_share", lo->valid_share, &lo->valid_share) < 0)
		return kgr_error_last_code();
	if (kgr__eval_param(params, "threads", lo->threads, &v) < 0)
		return kgr_error_last_code();
	lo->threads = (int)v;
	return 0;
}

static void learned_free(void *state)
{
	learned_state *s = state;
	if (!s)
		return;
	kgr_model_free(s->model);
	kgr_graph_free(s->graph);
	free(s);
}

static int fit_common(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev, size_t n,
	const char *params, int no_catalog)
{
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
	kgr_seq_options so = KGR_SEQ_OPTIONS_INIT;
	learned_state *s;
	double checked;
	int error;
	if ((error = read_options(&lo, &so, params)) < 0)
		return error;
	so.seed = ctx->opts->seed;
	lo.seq_options = &so;
	if (kgr__eval_param(params, "checked", 0, &checked) < 0)
		return kgr_error_last_code();
	lo.seed = ctx->opts->seed;
	lo.interactions = ev;
	lo.n_interactions = n;
	lo.config_path = ctx->opts->graph_config;
	lo.hub_degree = ctx->opts->hub_degree;
	lo.no_catalog = no_catalog;
	if (!(s = calloc(1, sizeof(*s))))
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory");
	s->checked = checked > 0 ? (size_t)checked : 0;
	if ((error = kgr_model_train(&s->model, ctx->store, &lo, NULL)) < 0) {
		free(s);
		return error;
	}
	/* ranking sees every fit event, the held-back ones included */
	go.interactions = ev;
	go.n_interactions = n;
	go.no_catalog = no_catalog;
	go.hub_degree = ctx->opts->hub_degree;
	go.config_path = ctx->opts->graph_config;
	if ((error = kgr_graph_new(&s->graph, ctx->store, &go)) < 0) {
		learned_free(s);
		return error;
	}
	*out = s;
	return 0;
}

static int fit_learned(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	(void)items;
	return fit_common(out, ctx, ev, n, params, 0);
}

static int fit_learned_nokg(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	(void)items;
	return fit_common(out, ctx, ev, n, params, 1);
}

/* Listed items score by position; the rest tie at -inf (the harness's seeded tie rule). The
 * first list_len items (or "checked" when smaller: a list beyond it is the candidate set in
 * the model's order, to measure its recall) are checked for an evidence path. */
static int learned_score(void *state, const kgr__eval_ctx *ctx, const kgr__eval_query *q,
	double *scores, kgr_recs **recs_out)
{
	learned_state *s = state;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_recs *recs = NULL;
	int error;
	ro.k = ctx->list_len;
	ro.explain = ctx->explain;
	ro.exclude_seen = 1;
	ro.exclude = q->exclude;
	ro.n_exclude = q->n_exclude;
	ro.require_path = 1;
	if ((error = kgr__learned_rank(&recs, s->graph, s->model, q->user, &ro,
		     s->checked && s->checked < ctx->list_len ? s->checked : ctx->list_len, SIZE_MAX,
		     0)) < 0)
		return error;
	kgr__eval_list_scores(ctx, recs, scores, recs_out);
	return 0;
}

const kgr__ranker kgr__ranker_learned = {
	"learned", 1, "", NULL, 0, learned_params, fit_learned, NULL, learned_score, learned_free, NULL,
	NULL
};
const kgr__ranker kgr__ranker_learned_nokg = {
	"learned-nokg", 1, "", NULL, 0, learned_params, fit_learned_nokg, NULL, learned_score,
	learned_free, NULL, NULL
};
