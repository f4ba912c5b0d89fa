/**
 * @file eval.h
 * @brief Offline evaluation: splits, ranking metrics, baselines and the evaluation harness.
 *
 * The harness splits a store's interactions (leave-one-out, temporal cut, or leave-one-out
 * with sampled negatives), fits a ranker on the training part only, tunes its
 * hyper-parameters on the validation events only, and measures HR@K, NDCG@K, MRR and catalog
 * coverage on the test events; for rankers that explain, it also measures the evidence
 * paths. Results are deterministic for a given seed.
 */
#ifndef KGREC_EVAL_H
#define KGREC_EVAL_H

#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How held-out events are chosen and ranked. */
typedef enum {
	/** Per user: last event = test, second last = validation, the rest = training; the test
	 *  item is ranked against every item the user has not interacted with (full ranking). */
	KGR_EVAL_LOO = 0,
	/** Global time cut: events after the cut are test, events in the slice before it are
	 *  validation; every unseen item is a candidate. */
	KGR_EVAL_TEMPORAL = 1,
	/** Leave-one-out split; the held-out item is ranked against N sampled negatives only. */
	KGR_EVAL_SAMPLED = 2
} kgr_eval_protocol;

/** @brief Name of a protocol ("loo", "temporal", "sampled"). */
KGR_API const char *kgr_eval_protocol_name(kgr_eval_protocol p);
/** @brief Parse a protocol name. @return 0 or KGR_EINVALID (message lists the names). */
KGR_API int kgr_eval_protocol_parse(kgr_eval_protocol *out, const char *name);

/* ---------------------------------------------------------------- metrics */

/**
 * @brief 1-based rank of candidate @p target among the candidates not skipped, by descending
 *        score. Equal scores are ordered by a hash of the candidate index and @p tie_seed, so a
 *        ranker that scores everything alike is placed at random but reproducibly.
 * @param scores one score per candidate; NaN is not allowed.
 * @param skip NULL, or one flag per candidate (non-zero: not a candidate).
 * @return the rank (1 = best); 0 when @p target is itself skipped or out of range.
 * Complexity: O(n).
 */
KGR_API size_t kgr_eval_rank(const double *scores, size_t n, size_t target, const unsigned char *skip,
	uint64_t tie_seed);

/**
 * @brief Order of candidates by descending score with the tie rule of kgr_eval_rank(): writes
 *        the first @p k candidate indices (fewer when fewer are not skipped) into @p out.
 * @return the number written. Complexity: O(n log k).
 */
KGR_API size_t kgr_eval_top(size_t *out, size_t k, const double *scores, size_t n,
	const unsigned char *skip, uint64_t tie_seed);

/**
 * @brief NDCG@k of a ranked list against a set of relevant items (binary relevance):
 *        DCG = sum over relevant items at 1-based position i <= k of 1/log2(i+1), divided by
 *        the DCG of the ideal list, min(k, n_relevant) relevant items first. Positions beyond
 *        the list's end count as misses, so k may exceed @p n_ranked.
 * @return a value in [0, 1]; 0 when @p n_relevant is 0.
 */
KGR_API double kgr_eval_ndcg(const kgr_id *ranked, size_t n_ranked, const kgr_id *relevant,
	size_t n_relevant, size_t k);

/** @brief HR@k: 1 when a relevant item is among the first k of the list, else 0. */
KGR_API double kgr_eval_hit(const kgr_id *ranked, size_t n_ranked, const kgr_id *relevant,
	size_t n_relevant, size_t k);

/** @brief Reciprocal rank of the first relevant item of the list; 0 when none is in it. */
KGR_API double kgr_eval_rr(const kgr_id *ranked, size_t n_ranked, const kgr_id *relevant,
	size_t n_relevant);

/** @brief NDCG@k of one relevant item at 1-based @p rank: 1/log2(rank+1) when
 *         1 <= rank <= k, else 0. */
KGR_API double kgr_eval_ndcg_at_rank(size_t rank, size_t k);

/* ---------------------------------------------------------------- split */

/** Options of the split and of kgr_eval_run(). */
typedef struct {
	unsigned int version;
	kgr_eval_protocol protocol;
	/** Ranker: "pop", "itemknn", "graph", "graph-nokg" (the graph ranker without catalog
	 *  relations), "graph-open" (the graph ranker allowed to return unexplained items),
	 *  "llm", "sequence" (the sequence model, docs/SEQUENCE.md), "graph-sequence" (the
	 *  graph ranker with a sequence model fitted on the same events), "learned",
	 *  "learned-nokg" (docs/LEARNED.md). */
	const char *ranker;
	const size_t *ks;          /**< cut-offs; NULL: 5, 10, 20 */
	size_t n_ks;
	size_t max_users;          /**< evaluate a seeded sample of this many users; 0: all */
	uint64_t seed;             /**< drives user sampling, negatives and tie breaking */
	/** Sampled protocol: a file `user neg1 neg2 ...` (ids or local names of user and item
	 *  IRIs), or NULL to draw @c n_negatives per user with the seed. */
	const char *negatives_path;
	size_t n_negatives;        /**< sampled protocol without a file; 0: 99 */
	double temporal_test;      /**< temporal: share of events before the test cut; 0: 0.8 */
	double temporal_valid;     /**< temporal: share before the validation cut; 0: test - 0.1 */
	kgr_id action;             /**< only interactions with this action; 0: all */
	/** Fixed hyper-parameters "name=value,name=value"; NULL: tune on the validation events
	 *  (rankers with hyper-parameters), or the ranker's defaults when @c no_tune is set. */
	const char *params;
	int no_tune;
	double hub_degree;         /**< a node linked to more distinct items than this is a hub
	                                (graph view and explanation metrics); 0: automatic,
	                                max(100, 2% of the items) */
	kgr_progress_cb progress;  /**< called with (users done, users total) per phase */
	void *progress_payload;
	/** Called before every fit with the events the ranker is fitted on ("valid" phase:
	 *  training events only; "test" phase: training and validation events). For audits. */
	void (*on_fit)(const char *phase, const kgr_interaction *events, size_t n, void *payload);
	void *on_fit_payload;
	/** Graph rankers: the per-store relation configuration (JSON, see kgr_graph_options),
	 *  e.g. to switch a relation off; NULL: the ontology's annotations. */
	const char *graph_config;
	/** LLM ranker: the OpenAI-compatible endpoint and model; NULL: KGREC_LLM_URL /
	 *  KGREC_LLM_MODEL from the environment (see kgr_llm_options_from_env()). The other LLM
	 *  settings (key, cache, ...) come from the environment too. */
	const char *llm_url;
	const char *llm_model;
} kgr_eval_options;

#define KGR_EVAL_OPTIONS_VERSION 1
#define KGR_EVAL_OPTIONS_INIT { .version = KGR_EVAL_OPTIONS_VERSION, .protocol = KGR_EVAL_LOO, \
	.ranker = "pop", .seed = 42 }

/** A split of interactions. Each array is sorted by (user, time), a user's same-time events
 *  in the order they were loaded. */
typedef struct {
	kgr_interaction *train; /**< fitted on in the validation phase */
	size_t n_train;
	kgr_interaction *valid; /**< held out for tuning; added to the fit set for the test phase */
	size_t n_valid;
	kgr_interaction *test;  /**< held out for the reported figures; never fitted on */
	size_t n_test;
	int64_t valid_cut, test_cut; /**< temporal protocol: the cut times; 0 otherwise */
} kgr_eval_split;

/**
 * @brief Split interactions by the protocol of @p opts (and its action filter). They are
 *        ordered as the store keeps them: by user and time, a user's events of the same time
 *        by their event node (the order they were loaded), so leave-one-out holds out the
 *        last rows of the input, whatever the IRIs. Leave-one-out: users with fewer than 3
 *        events stay entirely in training.
 * @param[out] out the split; free with kgr_eval_split_free().
 * @return 0; KGR_EINVALID (bad temporal shares, named); KGR_ENOTFOUND (no interactions
 *         left after the filter); KGR_ENOMEM.
 */
KGR_API int kgr_eval_split_new(kgr_eval_split **out, const kgr_interaction *events, size_t n,
	const kgr_eval_options *opts);

/** @brief Free a split. Accepts NULL. */
KGR_API void kgr_eval_split_free(kgr_eval_split *split);

/* ---------------------------------------------------------------- harness */

#define KGR_EVAL_MAX_KS 8
#define KGR_EVAL_TOP_PATTERNS 5

/** Ranking metrics of one phase, averaged over its users. */
typedef struct {
	size_t users;                   /**< users evaluated */
	size_t skipped;                 /**< users with no history in the fit set, or whose
	                                     held-out items were all seen before */
	double hr[KGR_EVAL_MAX_KS];     /**< HR@ks[i] */
	double ndcg[KGR_EVAL_MAX_KS];   /**< NDCG@ks[i] */
	double mrr;                     /**< mean reciprocal rank of the first relevant item */
	double coverage;                /**< distinct items in the top-max(ks) lists / items */
	double seconds;                 /**< wall time of this phase (fit and ranking) */
} kgr_eval_metrics;

/** Explanation metrics over the top-max(ks) lists of the test phase. */
typedef struct {
	int measured;              /**< 0 when the ranker does not explain */
	size_t items;              /**< recommended items looked at */
	size_t paths;              /**< evidence paths among them */
	double fidelity;           /**< share of items with at least one evidence path */
	double mean_path_length;   /**< edges per path */
	size_t patterns;           /**< distinct relation patterns (predicates and directions) */
	double pattern_diversity;  /**< distinct relation patterns / paths */
	double pattern_entropy;    /**< Shannon entropy of the pattern distribution, bits */
	double hub_share;          /**< share of paths with a hub among their inner nodes */
	double hub_degree;         /**< the hub threshold used (distinct items linked) */
	/** The most frequent patterns, e.g. "review^-1 / review" (predicate local names, ^-1
	 *  for an edge walked backwards), and the share of paths each accounts for. */
	size_t n_top_patterns;
	char top_patterns[KGR_EVAL_TOP_PATTERNS][160];
	double top_pattern_share[KGR_EVAL_TOP_PATTERNS];
} kgr_eval_explain;

/** LLM ranker accounting over the test phase. */
typedef struct {
	int measured;              /**< 0 unless the ranker is the LLM ranker */
	size_t users;              /**< lists re-ranked */
	size_t fallbacks;          /**< lists left in graph order (no usable answer) */
	size_t calls, cache_hits, failures, replies_invalid;
	long prompt_tokens, completion_tokens; /**< as the server reported them */
	double validity;           /**< mean share of items whose LLM placement was valid */
	size_t rationales;         /**< items with a rationale */
	double grounding;          /**< share of those rationales whose citations survived */
} kgr_eval_llm;

/** Result of kgr_eval_run(). */
typedef struct {
	char ranker[32];
	char protocol[16];
	char params[256];          /**< hyper-parameters used for the test phase */
	uint64_t seed;
	size_t n_ks;
	size_t ks[KGR_EVAL_MAX_KS];
	size_t items;              /**< catalog size (candidates before removing seen items) */
	size_t negatives;          /**< sampled protocol: negatives per user */
	size_t train_events, valid_events, test_events;
	int64_t valid_cut, test_cut; /**< temporal protocol: the cut times (epoch seconds) */
	size_t tuned_configs;      /**< configurations tried on the validation events */
	kgr_eval_metrics valid;    /**< validation phase (with the chosen parameters) */
	kgr_eval_metrics test;     /**< the reported figures */
	kgr_eval_explain explain;
	kgr_eval_llm llm;
	double seconds;            /**< whole run, wall clock */
	double cpu_seconds;        /**< whole run, CPU time of the process (user + system) */
	long peak_rss_kb;          /**< peak resident memory of the process */
} kgr_eval_result;

/**
 * @brief Run one evaluation: split, tune on validation, fit on training + validation, rank
 *        the test events, measure.
 * @param[out] out the result; free with kgr_eval_result_free().
 * @return 0; KGR_EINVALID (unknown ranker, bad option or parameter, named in the message);
 *         KGR_ENOTFOUND (no users to evaluate; a negatives file that does not exist);
 *         KGR_EPARSE (a malformed negatives file: file and line in the message);
 *         KGR_EUNSUPPORTED (a ranker this build lacks); KGR_ENOMEM.
 */
KGR_API int kgr_eval_run(kgr_eval_result **out, const kgr_store *store, const kgr_eval_options *opts);

/** @brief Free a result. Accepts NULL. */
KGR_API void kgr_eval_result_free(kgr_eval_result *result);

/**
 * @brief The result as a JSON document.
 * @param[out] out a NUL-terminated string; the caller frees it with free().
 * @return 0 or KGR_ENOMEM.
 */
KGR_API int kgr_eval_result_json(char **out, const kgr_eval_result *result);

#ifdef __cplusplus
}
#endif
#endif
