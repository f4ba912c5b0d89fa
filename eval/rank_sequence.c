/* The sequence model (ranker/seq_*.c) as an eval ranker: trained on the phase's fit events
 * (the last fit event of its validation users held out for its early stopping), it scores
 * every item after the user's fit history. */
#include "eval/internal.h"
#include "ranker/seq_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kgr__seq_net *net;
	kgr__seq_ws *ws;
	uint32_t *hist;
	size_t cap;
	float *scores;
} seq_state;

static const char *const seq_params[] = {
	"epochs", "dims", "blocks", "heads", "negatives", "max_len", "lr", "dropout",
	"weight_decay", "batch", "patience", "val_users", "popularity", "holdout_all", "threads",
	"refit", NULL
};

static void seq_free(void *state)
{
	seq_state *s = state;
	if (!s)
		return;
	kgr__seq_net_free(s->net);
	kgr__seq_ws_free(s->ws);
	free(s->hist);
	free(s->scores);
	free(s);
}

/* The options from "name=value,..." over the library's defaults. */
static int seq_options(kgr_seq_options *o, const char *params)
{
	static const struct {
		const char *name;
		size_t off;
		int is_int;
	} map[] = {
		{ "epochs", offsetof(kgr_seq_options, epochs), 1 },
		{ "dims", offsetof(kgr_seq_options, dims), 1 },
		{ "blocks", offsetof(kgr_seq_options, blocks), 1 },
		{ "heads", offsetof(kgr_seq_options, heads), 1 },
		{ "negatives", offsetof(kgr_seq_options, negatives), 1 },
		{ "max_len", offsetof(kgr_seq_options, max_len), 1 },
		{ "batch", offsetof(kgr_seq_options, batch), 1 },
		{ "patience", offsetof(kgr_seq_options, patience), 1 },
		{ "threads", offsetof(kgr_seq_options, threads), 1 },
		{ "holdout_all", offsetof(kgr_seq_options, holdout_all), 1 },
		{ "refit", offsetof(kgr_seq_options, refit), 1 },
		{ "lr", offsetof(kgr_seq_options, lr), 0 },
		{ "dropout", offsetof(kgr_seq_options, dropout), 0 },
		{ "weight_decay", offsetof(kgr_seq_options, weight_decay), 0 },
	};
	size_t k;
	double v;
	for (k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		char *field = (char *)o + map[k].off;
		double def = map[k].is_int ? (double)*(int *)field : *(double *)field;
		if (kgr__eval_param(params, map[k].name, def, &v) < 0)
			return kgr_error_last_code();
		if (map[k].is_int) {
			if (v != floor(v) || fabs(v) > 1e9)
				return kgr__error_set(KGR_EINVALID, "eval: sequence: %s must be an integer",
					map[k].name);
			*(int *)field = (int)v;
		} else {
			*(double *)field = v;
		}
	}
	if (kgr__eval_param(params, "val_users", (double)o->val_users, &v) < 0)
		return kgr_error_last_code();
	if (v < 0 || v != floor(v))
		return kgr__error_set(KGR_EINVALID, "eval: sequence: val_users must be an integer >= 0");
	o->val_users = (size_t)v;
	if (kgr__eval_param(params, "popularity", 0, &v) < 0)
		return kgr_error_last_code();
	o->sampler = v != 0 ? KGR_SEQ_SAMPLE_POPULARITY : KGR_SEQ_SAMPLE_UNIFORM;
	return 0;
}

static int seq_fit(void **out, const kgr__eval_ctx *ctx, const kgr_interaction *ev,
	const uint32_t *items, size_t n, const char *params)
{
	kgr_seq_options o = KGR_SEQ_OPTIONS_INIT;
	seq_state *s = NULL;
	uint32_t *seq = NULL;
	size_t *start = NULL, i, m = 0, n_users = 0;
	int error;

	*out = NULL;
	o.seed = ctx->opts->seed;
	if ((error = seq_options(&o, params)) < 0)
		return error;
	s = calloc(1, sizeof(*s));
	seq = malloc((n ? n : 1) * sizeof(*seq));
	start = malloc((n + 2) * sizeof(*start));
	if (!s || !seq || !start) {
		error = kgr__error_set(KGR_ENOMEM, "eval: sequence: out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (i == 0 || ev[i].user != ev[i - 1].user)
			start[n_users++] = m;
		if (items[i] != KGR__NO_ITEM)
			seq[m++] = items[i];
	}
	start[n_users] = m;
	if ((error = kgr__seq_fit(&s->net, seq, start, n_users, ctx->n_items, &o, NULL)) < 0)
		goto cleanup;
	s->cap = (size_t)s->net->dims.max_len;
	s->hist = malloc(s->cap * sizeof(*s->hist));
	s->scores = malloc((ctx->n_items ? ctx->n_items : 1) * sizeof(*s->scores));
	if (!s->hist || !s->scores) {
		error = kgr__error_set(KGR_ENOMEM, "eval: sequence: out of memory");
		goto cleanup;
	}
	if ((error = kgr__seq_ws_new(&s->ws, &s->net->dims, s->cap,
		s->cap * s->cap * (size_t)s->net->dims.heads, 0)) < 0)
		goto cleanup;
	*out = s;
	s = NULL;
cleanup:
	seq_free(s);
	free(seq);
	free(start);
	return error;
}

static int seq_score(void *state, const kgr__eval_ctx *ctx, const kgr__eval_query *q,
	double *scores, kgr_recs **recs)
{
	seq_state *s = state;
	size_t i, n = 0;
	int error;
	(void)recs;
	/* the newest max_len known items of the history */
	for (i = q->n_history; i > 0 && n < s->cap; i--)
		if (q->items[i - 1] != KGR__NO_ITEM)
			n++;
	for (n = 0; i < q->n_history; i++)
		if (q->items[i] != KGR__NO_ITEM)
			s->hist[n++] = q->items[i];
	if ((error = kgr__seq_score_items(s->scores, s->net, s->hist, n, s->ws)) < 0)
		return error;
	for (i = 0; i < ctx->n_items; i++)
		scores[i] = s->scores[i];
	return 0;
}

const kgr__ranker kgr__ranker_sequence = {
	"sequence", 0, "", NULL, 0, seq_params, seq_fit, NULL, seq_score, seq_free, NULL, NULL
};
