/**
 * @file learned.h
 * @brief The learned ranker: LambdaMART (XGBoost, objective rank:ndcg) over every candidate's
 *        features, fitted on held-back interactions of the store itself.
 *
 * A request: the graph's candidate generators (kgr_recommend()) and an item-kNN over the
 * interactions (cosine of co-interactions, recency-decayed over the history) propose
 * candidates; each gets the feature vector of kgr_learned_feature_name(); the model orders
 * them; the first k keep their evidence paths and rationale from the graph and get their
 * score split into per-feature contributions (TreeSHAP, XGBoost's pred_contribs).
 *
 * A kgr_model is read-only after it is made: any number of threads may rank with it at once.
 */
#ifndef KGREC_LEARNED_H
#define KGREC_LEARNED_H

#include "retrieval.h"
#include "sequence.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kgr_model kgr_model;

/** Number of features of the learned ranker (this build's feature set). */
KGR_API size_t kgr_learned_n_features(void);
/** Stable name of feature @p i ("ppr", ..., "knn_d07", "pop_recent"); NULL past the end. */
KGR_API const char *kgr_learned_feature_name(size_t i);

/** Options of kgr_model_train(). */
typedef struct {
	unsigned int version;
	uint64_t seed;             /**< user sampling and XGBoost's seed: same seed and threads, same model */
	int threads;               /**< feature extraction and XGBoost; 0: the core count */
	size_t max_users;          /**< users with a held-back event used (seeded sample); 0: all */
	size_t n_candidates;       /**< graph candidates per request (also at ranking time) */
	size_t knn_candidates;     /**< item-kNN candidates added per request */
	int rounds;                /**< boosting rounds at most */
	int early_stop;            /**< stop after this many rounds without a better validation NDCG@10 */
	double learning_rate;      /**< XGBoost eta */
	int max_depth;             /**< tree depth */
	double valid_share;        /**< share of the users held back to choose the rounds */
	/** Held-back positions per user: cut m leaves each user's last m events out of the graph
	 *  view and labels the m-th last; 0: automatic (1 on a large store, up to 8 so that about
	 *  16,000 groups are in sight on a small one). */
	size_t cuts;
	/** When set, training uses these interactions (sorted by user, time) instead of the
	 *  store's; evaluation passes its fit split. */
	const kgr_interaction *interactions;
	size_t n_interactions;
	const char *config_path;   /**< relation configuration of the graph view, or NULL */
	double hub_degree;         /**< see kgr_graph_options; 0: automatic */
	int no_catalog;            /**< graph view without catalog relations (a baseline) */
	/** 1: fit a sequence model (kgr_seq_train()) on the same interactions without the
	 *  held-back events, and learn from its scores as features ("seq", "seq_rel",
	 *  "seq_rank"); the model keeps it (kgr_model_sequence()) and ranking needs one. */
	int sequence;
	/** Options of that sequence model; NULL: its defaults with this seed. */
	const kgr_seq_options *seq_options;
	/** Called with (steps done, steps total): users whose features are extracted, then
	 *  boosting rounds. */
	kgr_progress_cb progress;
	void *progress_payload;
	/** 1: once the validation users have chosen the number of rounds (where their NDCG@10,
	 *  smoothed over 11 rounds, peaks), fit the model again on every group, theirs included,
	 *  for that many rounds; 0: keep the model fitted without them. (Version 3; a version 2
	 *  struct reads as 0.) */
	int refit;
	/** With sequence, which sequence model ranks: 2 (the default): once the ranker is
	 *  fitted, the sequence model fitted again on every event: with the held-back events (as
	 *  the graph view that ranks sees them), and, once its validation has chosen the
	 *  epochs, trained again that long with its own validation users' last events too
	 *  (kgr_seq_options.refit); 1: fitted again with the held-back events only (its
	 *  validation users' last events aside); 0: the one the features were learned from.
	 *  (Version 4; an older struct reads as 0. Level 2 is read from version 4 too.) */
	int seq_refit;
	/** With sequence: the sequence model's best items added to each request's candidates
	 *  (those not proposed by the graph or the item-kNN), at fitting and at ranking time;
	 *  0 (the default): none. (Version 4; an older struct reads as 0.) */
	size_t seq_candidates;
} kgr_learn_options;

#define KGR_LEARN_OPTIONS_VERSION 4
#define KGR_LEARN_OPTIONS_INIT { .version = KGR_LEARN_OPTIONS_VERSION, .seed = 42, \
	.n_candidates = 200, .knn_candidates = 100, .rounds = 400, .early_stop = 100, \
	.learning_rate = 0.1, .max_depth = 6, .valid_share = 0.2, .refit = 1, .seq_refit = 2 }

/** What kgr_model_train() did. */
typedef struct {
	size_t users;              /**< held-back interactions looked at (users x cuts) */
	size_t cuts;               /**< cuts used */
	size_t groups;             /**< of them, users whose held-back item was among the candidates */
	size_t rows;               /**< candidates (training rows) in all groups */
	size_t valid_groups;       /**< groups held back for early stopping */
	int rounds;                /**< boosting rounds run */
	int best_round;            /**< rounds kept (the smoothed validation NDCG@10's peak) */
	double valid_ndcg_graph;   /**< validation groups: NDCG@10 of the graph formula's order */
	double valid_ndcg;         /**< ... of the model's order (XGBoost's ndcg@10 at the rounds kept,
	                            *   before the refit) */
	double recall;             /**< share of looked-at users whose held-back item was a candidate */
	double seconds_features;
	double seconds_boosting;
	double seconds_sequence;   /**< fitting the sequence model (with opts->sequence) */
	kgr_seq_report sequence;   /**< ... and what it did */
	double seconds_sequence_refit; /**< fitting it again (seq_refit), its own refit included */
	kgr_seq_report sequence_refit; /**< ... and what that did (epochs_run 0: not done) */
} kgr_learn_report;

/**
 * @brief Fit the learned ranker on the store's (or the given) interactions: each user's last
 *        event is held back, the graph view and the item-kNN are built on the rest (never on
 *        a held-back event), and every user whose held-back item is among the candidates is
 *        one listwise group.
 * @param[out] out the model; free with kgr_model_free().
 * @param[out] report when set, the figures.
 * @return 0; KGR_EINVALID (bad options; no user with two events; no group); KGR_ENOMEM;
 *         KGR_ERROR (XGBoost failed: its message is in the error); the codes of kgr_graph_new().
 */
KGR_API int kgr_model_train(kgr_model **out, const kgr_store *store, const kgr_learn_options *opts,
	kgr_learn_report *report);

/** @brief Write a model file: a magic line, a JSON header (format, feature names, the
 *         snapshot it was fitted on, options, report), the XGBoost model (UBJSON) and a
 *         checksum line. Written to a temporary file and renamed. KGR_EIO, KGR_ENOMEM. */
KGR_API int kgr_model_save(const kgr_model *model, const char *path);

/**
 * @brief Read a model file.
 * @return 0; KGR_ENOTFOUND; KGR_EIO; KGR_ECORRUPT (not a model file, truncated, checksum
 *         mismatch); KGR_EVERSION (another format version); KGR_EINVALID (its feature set is
 *         not this build's: the first difference is named); KGR_ENOMEM.
 */
KGR_API int kgr_model_load(kgr_model **out, const char *path);

/** @brief Free a model. Accepts NULL. */
KGR_API void kgr_model_free(kgr_model *model);

/** @brief The snapshot checksum (16 hex digits) of the store the model was fitted on. */
KGR_API const char *kgr_model_snapshot(const kgr_model *model);
/** @brief A 16-hex-digit checksum of the model file's content (for audit records). */
KGR_API const char *kgr_model_checksum(const kgr_model *model);
/** @brief The model's training options and report as a JSON object (borrowed). */
KGR_API const char *kgr_model_info_json(const kgr_model *model);

/** @brief 1 when the model was fitted with a sequence model's scores as features. */
KGR_API int kgr_model_uses_sequence(const kgr_model *model);

/**
 * @brief The sequence model whose scores ranking feeds to a model fitted with them (borrowed:
 * keep it alive while the model ranks). A freshly fitted model uses the one fitted with it
 * until another is set; NULL goes back to that one (a loaded model then has none).
 * @return 0; KGR_EINVALID when the model was fitted without sequence features.
 */
KGR_API int kgr_model_set_sequence(kgr_model *model, const kgr_seq_model *seq);

/** @brief The sequence model fitted with this model by kgr_model_train(), or NULL (borrowed). */
KGR_API const kgr_seq_model *kgr_model_sequence(const kgr_model *model);

/**
 * @brief Rank with the learned model: candidates from kgr_recommend() (with @p opts'
 *        exclusions, time and generators; its k is raised to the model's n_candidates) and
 *        from the item-kNN, ordered by the model, cut to opts->k. Each item keeps the graph's
 *        features and evidence (paths and rationale when opts->explain), its score is the
 *        model's, and contribs holds the per-feature contributions (they add up to the score,
 *        with "bias"); parts[] holds the contributions of the graph features.
 *        A model fitted on another snapshot than the graph's store adds a note. A model
 *        fitted with sequence features scores the candidates with opts->sequence, else with
 *        its own (kgr_model_set_sequence(), or the one fitted with it); the graph's
 *        candidates and features are computed without opts->sequence.
 * @return 0; the codes of kgr_recommend(); KGR_EINVALID (a model fitted with sequence
 *         features has no sequence model); KGR_ERROR (XGBoost failed); KGR_ENOMEM.
 */
KGR_API int kgr_learned_recommend(kgr_recs **out, const kgr_graph *graph, const kgr_model *model,
	kgr_id user, const kgr_rec_options *opts);

#ifdef __cplusplus
}
#endif
#endif
