/* Internal declarations of the evaluation harness. Not installed. */
#ifndef KGREC_EVAL_INTERNAL_H
#define KGREC_EVAL_INTERNAL_H

#include "kg/internal.h"
#include "kgrec/eval.h"
#include "kgrec/retrieval.h"
#include "kgrec/sequence.h"

#define KGR__NO_ITEM UINT32_MAX

/** splitmix64: the harness's only source of randomness (seeded, reproducible). */
uint64_t kgr__eval_mix(uint64_t x);

/** What every ranker may read: the catalog as dense item indices. */
typedef struct {
	const kgr_store *store;
	size_t n_items;
	const kgr_id *items;   /* dense index -> term id */
	uint32_t *index;       /* term id -> dense index, KGR__NO_ITEM for non-items */
	size_t n_index;
	const kgr_eval_options *opts;
	size_t list_len;       /* length of the lists the metrics look at (max of ks) */
	int explain;           /* the phase wants evidence paths */
} kgr__eval_ctx;

static inline uint32_t kgr__eval_item(const kgr__eval_ctx *ctx, kgr_id id)
{
	return (size_t)id < ctx->n_index ? ctx->index[id] : KGR__NO_ITEM;
}

/** One ranking request: a user and their history in the fit set. */
typedef struct {
	kgr_id user;
	const kgr_interaction *history; /* the user's fit events, in time order */
	size_t n_history;
	const uint32_t *items;          /* dense item index of each history event */
	uint64_t seed;                  /* the user's seed */
	const kgr_id *exclude;          /* sampled protocol: the items that are not candidates */
	size_t n_exclude;
} kgr__eval_query;

/** A ranker as the harness drives it. */
typedef struct {
	const char *name;
	int explains;
	const char *defaults;            /* parameters when neither given nor tuned */
	const char *const *grid;         /* configurations tried on the validation events */
	size_t n_grid;
	const char *const *param_names;  /* accepted parameter names, NULL-terminated */
	/* Fit on events (sorted by user, time), items[i] the dense index of events[i].item.
	 * A ranker with configure gets params NULL here: its fit depends on the events and
	 * ctx->opts only, so the harness fits it once per fit set and configures it per grid
	 * point. A ranker without configure is fitted for every configuration. */
	int (*fit)(void **state, const kgr__eval_ctx *ctx, const kgr_interaction *events,
		const uint32_t *items, size_t n, const char *params);
	/* Optional: set the parameters of a fitted state (cheap; called before each scoring
	 * pass, may be called again on the same state with other parameters). */
	int (*configure)(void *state, const kgr__eval_ctx *ctx, const char *params);
	/* Score every item for the user (higher is better; -INFINITY: not ranked). A ranker
	 * that explains may hand its list back through *recs (freed by the harness). */
	int (*score)(void *state, const kgr__eval_ctx *ctx, const kgr__eval_query *q,
		double *scores, kgr_recs **recs);
	void (*free)(void *state);
	/* Optional: adds what the ranker counted during the test phase to the result. */
	void (*report)(void *state, kgr_eval_result *res);
	/* Optional, rankers with configure: the parameters their fit reads (the rest are
	 * configure's). Given ones reach the fit, and the others are still tuned when none of
	 * them is given. */
	const char *const *fit_params;
} kgr__ranker;

/** A ranked list as the harness's scores: listed items by position (the first highest), the
 *  rest -inf (ordered by the harness's seeded tie rule, as a random order would be). The list
 *  goes to *recs_out when set, else it is freed. */
void kgr__eval_list_scores(const kgr__eval_ctx *ctx, kgr_recs *recs, double *scores,
	kgr_recs **recs_out);

/** Free a list a ranker handed back (kgr_recs_free() when graph retrieval is linked). */
void kgr__eval_recs_free(kgr_recs *recs);

extern const kgr__ranker kgr__ranker_pop;
extern const kgr__ranker kgr__ranker_itemknn;
extern const kgr__ranker kgr__ranker_graph;
extern const kgr__ranker kgr__ranker_graph_nokg;
extern const kgr__ranker kgr__ranker_graph_open;
extern const kgr__ranker kgr__ranker_graph_sequence;
extern const kgr__ranker kgr__ranker_llm;
extern const kgr__ranker kgr__ranker_learned;
extern const kgr__ranker kgr__ranker_learned_nokg;
extern const kgr__ranker kgr__ranker_sequence;

/**
 * Read a numeric parameter from "name=value,name=value". Unknown names are checked by the
 * harness against the ranker's list before fit is called.
 * @return 1 when found (value in *out), 0 when absent (*out = def), KGR_EINVALID when the
 *         value is not a number.
 */
int kgr__eval_param(const char *params, const char *name, double def, double *out);

/** Copy into out the fields of params named in names (named_ones) or not named there, in
 *  their order. @return the length copied; KGR_EINVALID when out is too small. */
int kgr__eval_params_pick(const char *params, const char *const *names, int named_ones,
	char *out, size_t size);

/** Check that every name in params is in names. KGR_EINVALID naming the first unknown one. */
int kgr__eval_params_check(const char *params, const char *const *names, const char *ranker);

/** The options of a sequence model a ranker fits, from its parameters seq_negatives,
 *  seq_epochs and seq_threads (each left as it is when absent). KGR_EINVALID when a value
 *  is not a number; values out of range are refused by the model's own checks. */
int kgr__eval_seq_params(kgr_seq_options *so, const char *params);

#endif
