/**
 * @file retrieval.h
 * @brief Graph view, candidate generation, evidence paths and the graph ranker.
 *
 * A kgr_graph is built once per finalized store (kgr_graph_new()) and is read-only after
 * that: any number of threads may call kgr_recommend() on it at once.
 */
#ifndef KGREC_RETRIEVAL_H
#define KGREC_RETRIEVAL_H

#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kgr_graph kgr_graph;
/** A trained sequence model (sequence.h). */
typedef struct kgr_seq_model kgr_seq_model;

/** Candidate generators. Bit i of kgr_rec_item.generators is generator i. */
typedef enum {
	KGR_GEN_PPR = 0,        /**< personalized PageRank from the user's recent items */
	KGR_GEN_COVISIT = 1,    /**< item-item co-interaction */
	KGR_GEN_METAPATH = 2,   /**< same brand / category / accessory ... */
	KGR_GEN_SEQUENTIAL = 3, /**< what others took right after the user's last items */
	KGR_GEN_POPULAR = 4,    /**< global or per-category popularity (cold start) */
	KGR_GEN_NEWITEM = 5,    /**< items without interactions reached through the catalog */
	KGR_GEN_QUERY = 6,      /**< free-text query or explicit seeds */
	KGR_GEN_SEQUENCE = 7,   /**< the sequence model's top items after the user's history
	                             (kgr_rec_options.sequence); it has no kgr_feature of the same
	                             index: its share is kgr_rec_item.seq_feature */
	KGR_GEN__COUNT = 8
} kgr_generator;

/** Features of a candidate (the same for the graph ranker, the LLM ranker and eval). */
typedef enum {
	KGR_FEAT_PPR = 0,
	KGR_FEAT_COVISIT,
	KGR_FEAT_METAPATH,
	KGR_FEAT_SEQUENTIAL,
	KGR_FEAT_POPULAR,
	KGR_FEAT_NEWITEM,
	KGR_FEAT_QUERY,
	KGR_FEAT_PATHS,       /**< log(1 + number of evidence paths found) */
	KGR_FEAT_SHORTEST,    /**< 1 / shortest path length (0 when none) */
	KGR_FEAT_RECENCY,     /**< recency of the history item the best path starts from, 0..1 */
	KGR_FEAT_ITEMPOP,     /**< log(1 + interactions with the item), normalised */
	KGR_FEAT_HUB,         /**< share of hop nodes that are hubs (penalty), 0..1 */
	KGR_FEAT__COUNT
} kgr_feature;

/** Short stable name of a feature ("ppr", "covisit", ...). */
KGR_API const char *kgr_feature_name(kgr_feature f);
/** Short stable name of a generator ("ppr", "covisit", ...). */
KGR_API const char *kgr_generator_name(kgr_generator g);

/** One step of an evidence path: a real triple of the store (s p o), walked forwards when
 *  @c reversed is 0 (from s to o) or backwards when 1 (from o to s). */
typedef struct {
	kgr_id s, p, o;
	int reversed;
} kgr_edge;

/** Edges an evidence path holds: the user's own interaction, at most 3 steps, and the
 *  owl:sameAs links crossed where a step meets a sameAs clique (a path that needs more is not
 *  returned). */
#define KGR_MAX_PATH_EDGES 8
#define KGR_MAX_PATHS 3

/** An evidence path from a node of the user's history (or a seed) to the candidate. Where
 *  the walk crosses an owl:sameAs clique (walked as one node), the sameAs triples between the
 *  member a step arrives at and the member the next one leaves from are edges of the path. */
typedef struct {
	size_t n_edges;
	kgr_edge edges[KGR_MAX_PATH_EDGES];
	kgr_id from;   /**< the history item or seed the path starts at */
	double score;  /**< specificity: higher is better (hub hops penalised) */
} kgr_path;

/** A meta-path pattern: the relations an evidence path walks from the history item (or
 *  seed) to the candidate, with their directions, and how many paths of that pattern the
 *  path search found for one item. The user's own interaction that opens a returned path is
 *  not part of the pattern, nor are owl:sameAs links crossed inside a clique (identity, not a
 *  step). */
typedef struct {
	size_t n_edges;                               /**< 1 .. 3 */
	kgr_id rel[KGR_MAX_PATH_EDGES];               /**< predicate of each step */
	unsigned char reversed[KGR_MAX_PATH_EDGES];   /**< 1: the step walks the triple o -> s */
	size_t count;                                 /**< paths of this pattern found */
} kgr_path_pattern;

/** One feature's additive share of a learned score (see learned.h). */
typedef struct {
	const char *feature;   /**< kgr_learned_feature_name(), or "bias"; static storage */
	double value;          /**< the feature's value (0 for the bias) */
	double contribution;   /**< its share of the score; the shares add up to the score */
} kgr_contrib;

/** One recommended item. */
typedef struct {
	kgr_id item;
	double score;                       /**< final score */
	double features[KGR_FEAT__COUNT];   /**< raw feature values */
	double parts[KGR_FEAT__COUNT];      /**< weight * feature: the score's parts */
	unsigned int generators;            /**< bit mask of kgr_generator */
	size_t n_paths;
	kgr_path paths[KGR_MAX_PATHS];      /**< evidence, best first (when explained) */
	char *rationale;                    /**< one line rendered from the best path, or NULL */
	size_t n_patterns;
	/** path counts per meta-path pattern over every path the search found, most frequent
	 *  first (in kgr_recommend() and kgr_similar() they add up to the count KGR_FEAT_PATHS is
	 *  computed from); filled when explained, else NULL. Owned by the list. */
	kgr_path_pattern *patterns;
	/** evidence paths the search found (they add up to the count KGR_FEAT_PATHS is computed
	 *  from), by family: those whose last step is a catalog relation, and those through another
	 *  user who took a history item and this one */
	size_t n_catalog_paths, n_collab_paths;
	size_t n_contribs;
	/** the learned ranker's per-feature contributions (kgr_learned_recommend()), else NULL.
	 *  Owned by the list. */
	kgr_contrib *contribs;
	/** the sequence model's feature (kgr_rec_options.sequence): exp(s - s_top), s the model's
	 *  score of the item after the user's history and s_top that of its first item (the
	 *  item's probability under the model relative to the top item's), 0 for an item outside
	 *  the model's n_sequence best */
	double seq_feature;
	/** the sequence model's score part, w_sequence * seq_feature; part of score */
	double seq_part;
} kgr_rec_item;

/** Weights of the graph ranker. */
typedef struct {
	double w[KGR_FEAT__COUNT];
	double bias;
} kgr_weights;

/** @brief Default weights. */
KGR_API void kgr_weights_default(kgr_weights *out);
/** @brief Read weights from a JSON file written by kgr_weights_save(). KGR_ENOTFOUND, KGR_EPARSE. */
KGR_API int kgr_weights_load(kgr_weights *out, const char *path);
/** @brief Write weights as JSON. KGR_EIO. */
KGR_API int kgr_weights_save(const kgr_weights *w, const char *path);

/** Options of kgr_weights_train(). */
typedef struct {
	unsigned int version;
	uint64_t seed;          /**< sampling and shuffling; same seed, same weights */
	size_t max_users;       /**< users sampled for training (0: every user with >= 2 events) */
	size_t n_candidates;    /**< candidates per user */
	size_t negatives;       /**< negatives sampled per held-back item */
	int epochs;
	double learning_rate;
	double l2;
	const char *config_path; /**< relation configuration for the graph view, or NULL */
} kgr_train_options;

#define KGR_TRAIN_OPTIONS_VERSION 1
#define KGR_TRAIN_OPTIONS_INIT { .version = KGR_TRAIN_OPTIONS_VERSION, .seed = 42, \
	.max_users = 2000, .n_candidates = 100, .negatives = 20, .epochs = 30, .learning_rate = 0.05, \
	.l2 = 1e-4 }

/** What kgr_weights_train() did. */
typedef struct {
	size_t users;           /**< users with a held-back interaction that were sampled */
	size_t positives;       /**< held-back items found among the candidates */
	size_t pairs;           /**< (positive, negative) training pairs */
	double loss_before;     /**< mean pairwise logistic loss with the default weights */
	double loss_after;      /**< ... with the fitted weights */
	double hits_before;     /**< share of sampled users whose held-back item ranks in the top 10 */
	double hits_after;
} kgr_train_report;

/**
 * @brief Fit the graph ranker's weights on held-back last interactions: each user's last
 *        interaction is removed, the graph view is built on the rest, and a pairwise logistic
 *        loss (held-back item above the other candidates) is minimised by stochastic gradient
 *        descent starting from the defaults. Deterministic for a given seed.
 * @param[out] out the weights. @param[out] report when set, receives the figures.
 * @return 0; KGR_EINVALID (bad options, or no user with two interactions); KGR_ENOMEM;
 *         the codes of kgr_graph_new().
 */
KGR_API int kgr_weights_train(kgr_weights *out, const kgr_store *store, const kgr_train_options *opts,
	kgr_train_report *report);

/** Options of kgr_recommend(). */
typedef struct {
	unsigned int version;
	size_t k;                /**< items to return (1 .. KGR_MAX_K) */
	size_t n_candidates;     /**< candidates to score before cutting to k */
	int explain;             /**< find evidence paths and rationales */
	int exclude_seen;        /**< drop items the user already interacted with */
	int64_t at;              /**< only history before this time (0: all) */
	const char *query;       /**< free-text query, or NULL */
	const kgr_id *seeds;     /**< explicit seed items, or NULL */
	size_t n_seeds;
	const kgr_id *exclude;   /**< items never to return */
	size_t n_exclude;
	const kgr_weights *weights; /**< NULL: defaults */
	unsigned int generators; /**< bit mask of generators to run; 0: all */
	int require_path;        /**< only return items with at least one evidence path */
	/** A sequence model (kgr_seq_load(), bound to the graph's store), or NULL. Its n_sequence
	 *  best items after the user's newest events (before @c at; live events included) join
	 *  the candidates (generator KGR_GEN_SEQUENCE), and every candidate's seq_feature, weighted
	 *  by w_sequence, is part of its score. A user without history gets the other
	 *  generators' candidates. Borrowed; thread-safe to share. */
	const kgr_seq_model *sequence;
	size_t n_sequence;       /**< the model's best items proposed (1 .. 1000) */
	double w_sequence;       /**< weight of seq_feature in the graph formula (not in
	                              kgr_weights: not fitted by kgr_weights_train()) */
} kgr_rec_options;

#define KGR_MAX_K 1000
/* 2: sequence, n_sequence, w_sequence (options of an older version are refused with
 * KGR_EINVALID) */
#define KGR_REC_OPTIONS_VERSION 2
#define KGR_REC_OPTIONS_INIT { .version = KGR_REC_OPTIONS_VERSION, .k = 10, \
	.n_candidates = 100, .exclude_seen = 1, .n_sequence = 100, .w_sequence = 1.0 }

/** A constraint a free-text query states ("under 100", "for kids"). Every item of the list
 *  meets it. */
typedef struct kgr_query_constraint {
	const char *kind;  /**< "max_price", "min_price", "audience" or "occasion" (static string) */
	double value;      /**< the price bound */
	char currency[4];  /**< the bound's ISO 4217 currency as the query named it, or "" */
	kgr_id node;       /**< the audience or occasion node (0 for prices) */
	size_t removed;    /**< candidates it left out */
	size_t unpriced;   /**< prices: candidates left out because they have no price */
} kgr_query_constraint;

/** A ranked list. */
typedef struct {
	kgr_id user;           /**< 0 for an anonymous / item-to-item request */
	int cold_start;        /**< 1 when the user had no usable history */
	size_t n;
	kgr_rec_item *items;   /**< best first */
	size_t n_candidates;   /**< candidates considered */
	size_t n_notes;
	char **notes;          /**< human-readable notes (cold start, clamped k, fewer results ...) */
	size_t n_matches;      /**< free-text query: word -> node matches */
	struct kgr_query_match { char *word; kgr_id node; double score; } *matches;
	/** 1: a sequence model scored the candidates (items carry seq_feature and seq_part) */
	int sequence;
	size_t n_constraints;  /**< free-text query: the constraints it states, all applied */
	kgr_query_constraint *constraints;
} kgr_recs;

/** Options of kgr_graph_new(). */
typedef struct {
	unsigned int version;
	const char *config_path;   /**< per-store relation configuration (JSON), or NULL */
	double hub_degree;         /**< a node with more item neighbours than this is a hub; 0: automatic */
	double recency_half_life;  /**< seconds; 0: automatic from the data */
	/** When set, the graph uses these interactions (sorted by user, time) instead of the
	 *  store's: evaluation passes its training split so no held-out event leaks in. The
	 *  array is copied; events of one user at the same time keep the order they have in it. */
	const kgr_interaction *interactions;
	size_t n_interactions;
	int no_catalog;            /**< ignore catalog relations (interactions only; a baseline) */
} kgr_graph_options;

#define KGR_GRAPH_OPTIONS_VERSION 1
#define KGR_GRAPH_OPTIONS_INIT { .version = KGR_GRAPH_OPTIONS_VERSION }

/**
 * @brief Build the graph view of a finalized store.
 * @param[out] out the graph; free with kgr_graph_free(). It borrows @p store, which must
 *        outlive it.
 * @return 0; KGR_ENOMEM; KGR_EPARSE (bad relation configuration); KGR_ENOTFOUND (the relation
 *         configuration cannot be opened).
 */
KGR_API int kgr_graph_new(kgr_graph **out, const kgr_store *store, const kgr_graph_options *opts);

/**
 * @brief Apply new interactions (live events) to a graph view: the next kgr_recommend()
 *        sees them, exactly as a graph built with them would (built with them after the
 *        events it had: an event goes after the user's events of the same second, the events
 *        of one call in the order given). Not thread-safe against
 *        readers: the caller holds a write lock. Users and items must already have ids (see
 *        kgr_store_intern_extra()).
 *        Complexity: per event, the user's history and the item's interactions and catalog
 *        neighbours (amortised), not the whole interaction table.
 * @return 0; KGR_EINVALID (an event without user or item, nothing applied); KGR_ENOMEM (the
 *         events before the failing one are applied).
 */
KGR_API int kgr_graph_add_interactions(kgr_graph *graph, const kgr_interaction *events, size_t n);

/** @brief Free a graph view. Accepts NULL. */
KGR_API void kgr_graph_free(kgr_graph *graph);

/** @brief The store a graph was built from. Borrowed. */
KGR_API const kgr_store *kgr_graph_store(const kgr_graph *graph);

/**
 * @brief Recommend items for a user (or, with user 0, for seeds / a query alone).
 * @param[out] out the ranked list; free with kgr_recs_free().
 * @param user the user's IRI id; an unknown user (0 or no history) gets cold-start results
 *        and a note.
 * @return 0; KGR_EINVALID (k out of range: message says the limits); KGR_ENOTFOUND (a seed
 *         that is not an item); KGR_ENOMEM.
 */
KGR_API int kgr_recommend(kgr_recs **out, const kgr_graph *graph, kgr_id user, const kgr_rec_options *opts);

/**
 * @brief Items similar to one item, with evidence paths from that item.
 * @return 0; KGR_ENOTFOUND (not an item); KGR_EINVALID; KGR_ENOMEM.
 */
KGR_API int kgr_similar(kgr_recs **out, const kgr_graph *graph, kgr_id item, const kgr_rec_options *opts);

/**
 * @brief Evidence paths from the user's history to one item (at most @p max_hops hops).
 * @param[out] out a list with the one item (n == 1) and its paths; n_paths == 0 when there
 *        is no path within max_hops. Free with kgr_recs_free().
 * @return 0; KGR_ENOTFOUND (unknown item); KGR_ENOMEM.
 */
KGR_API int kgr_explain(kgr_recs **out, const kgr_graph *graph, kgr_id user, kgr_id item, int max_hops);

/** @brief Free a ranked list. Accepts NULL. */
KGR_API void kgr_recs_free(kgr_recs *recs);

/**
 * @brief A ranked list as JSON: {"request_id"?, "user", "cold_start", "items": [{item, label,
 *        score, features, parts, generators, paths, meta_paths, rationale}], "notes"}, the
 *        reply of the service's /v1/recommend and of `kgrec recommend --format json`.
 * @param[out] out NUL-terminated text; free with free().
 * @param request_id included when not NULL.
 * @param extra notes added after the list's own.
 * @param limit at most this many items.
 * @param pretty 1: indented with tabs; 0: compact.
 * @return 0; KGR_ENOMEM.
 */
KGR_API int kgr_recs_json(char **out, const kgr_store *store, const kgr_recs *recs, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit, int pretty);

/** @brief Keep the first @p k items of a list and free the rest (their rationales and pattern
 *         counts). A list of k items or fewer is left as it is. */
KGR_API void kgr_recs_truncate(kgr_recs *recs, size_t k);

/**
 * @brief Render a one-line rationale for a path with the relation phrases of the ontology
 *        ("You bought Goalie Gloves; Soccer Jersey shares the category Soccer with it").
 * @return a new string the caller frees with free(), or NULL on ENOMEM.
 */
KGR_API char *kgr_path_rationale(const kgr_graph *graph, kgr_id user, const kgr_path *path, kgr_id item);

/**
 * @brief Name a meta-path pattern by the local names of its predicates, " / " between steps
 *        and "^-1" after a step walked backwards ("purchase^-1 / purchase", "category /
 *        category^-1"), the form eval reports its top patterns in.
 * @return the length of the full name (as snprintf); @p out is always terminated when
 *         @p size > 0.
 */
KGR_API size_t kgr_path_pattern_name(const kgr_store *store, const kgr_path_pattern *pattern, char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
