/**
 * @file sequence.h
 * @brief The sequence model: a SASRec-style causal transformer over a user's items in time
 *        order, trained from the store's interactions (docs/SEQUENCE.md).
 */
#ifndef KGREC_SEQUENCE_H
#define KGREC_SEQUENCE_H

#include "kgrec/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A trained sequence model with its item mapping. Opaque; freed with kgr_seq_free(). */
typedef struct kgr_seq_model kgr_seq_model;

/** How negatives are drawn for the sampled softmax. */
typedef enum {
	KGR_SEQ_SAMPLE_UNIFORM = 0,   /**< every item alike */
	KGR_SEQ_SAMPLE_POPULARITY = 1 /**< in proportion to interactions (+1), logQ-corrected */
} kgr_seq_sampler;

/** What the training reports after each epoch (and during one, with val_ndcg < 0). */
typedef struct {
	int epoch;          /**< 1-based */
	int epochs;         /**< the maximum */
	size_t batch;       /**< batches done in this epoch */
	size_t n_batches;   /**< batches of an epoch */
	double loss;        /**< mean sampled-softmax loss of the epoch so far */
	double val_ndcg;    /**< validation NDCG@10 after the epoch; -1 within an epoch */
	double best_ndcg;   /**< best validation NDCG@10 so far; -1 before the first */
} kgr_seq_progress;

/** Progress callback of kgr_seq_train(). */
typedef void (*kgr_seq_progress_cb)(const kgr_seq_progress *p, void *payload);

/** Options of kgr_seq_train(). */
typedef struct {
	unsigned int version;
	int max_len;          /**< history length the model reads (the newest events) */
	int dims;             /**< embedding and hidden width */
	int blocks;           /**< transformer blocks */
	int heads;            /**< attention heads; must divide dims */
	int ff;               /**< hidden width of the feed-forward layers; 0: dims */
	int negatives;        /**< sampled negatives per sequence position */
	int epochs;           /**< at most this many passes over the sequences */
	int patience;         /**< stop after this many epochs without a better validation NDCG */
	int batch;            /**< sequences per AdamW step */
	double lr;            /**< AdamW learning rate */
	double weight_decay;  /**< AdamW decoupled weight decay (matrices and embeddings) */
	double dropout;       /**< dropout rate of the embeddings and the residual branches */
	kgr_seq_sampler sampler;
	uint64_t seed;        /**< initialisation, shuffling, negatives, dropout */
	int threads;          /**< threads, each taking a share of every batch's windows and of the
	                           validation users (0: the core count; at most 256); the same seed
	                           and threads give the same model, and 1 the serial computation */
	size_t val_users;     /**< validation users: a seeded sample of this many; 0: all */
	int holdout_all;      /**< 1: hold out every user's last event; 0: only the validation
	                           users' (the others' last events are trained on) */
	kgr_seq_progress_cb progress;
	void *progress_payload;
	/** 1: once validation has chosen the epochs, fit the model again from its initial
	 *  weights for that many epochs on every transition, the validation users' last ones
	 *  included (not with holdout_all), and keep that model; the reported validation NDCG is
	 *  the first fit's. (Version 2; a version 1 struct reads as 0.) */
	int refit;
} kgr_seq_options;

#define KGR_SEQ_OPTIONS_VERSION 2
#define KGR_SEQ_OPTIONS_INIT { .version = KGR_SEQ_OPTIONS_VERSION, .max_len = 50, .dims = 64, \
	.blocks = 2, .heads = 1, .ff = 0, .negatives = 128, .epochs = 100, .patience = 8,        \
	.batch = 128, .lr = 3e-3, .weight_decay = 0.0, .dropout = 0.3,                           \
	.sampler = KGR_SEQ_SAMPLE_UNIFORM, .seed = 42, .threads = 1, .val_users = 5000 }

/** What kgr_seq_train() did. */
typedef struct {
	size_t users;          /**< users with at least one training transition */
	size_t items;          /**< items of the model (every item of the store) */
	size_t positions;      /**< training positions (transitions) per epoch */
	size_t val_users;      /**< users in the validation NDCG */
	size_t params;         /**< floats in the model */
	int epochs_run;
	int best_epoch;        /**< the epoch whose weights were kept */
	double best_ndcg;      /**< validation NDCG@10 (full ranking) of the kept weights */
	double last_loss;      /**< mean training loss of the last epoch */
	double seconds;        /**< wall time of the training (the first fit) */
	size_t refit_positions; /**< training positions of the refit; 0: no refit */
	double refit_seconds;  /**< wall time of the refit */
	int threads;           /**< threads the training ran on (kgr_seq_options.threads resolved:
	                            the core count for 0, at most one a sequence of a batch) */
} kgr_seq_report;

/**
 * @brief Train the model on the store's interactions. The last event of each validation user
 *        (of every user with holdout_all) is held out; its NDCG@10 over all items (the user's
 *        other items excluded) decides when to stop, and the weights of the best epoch are
 *        kept.
 * @param[out] out the model; the caller frees it with kgr_seq_free().
 * @param opts NULL for the defaults.
 * @param report may be NULL.
 * @return 0; KGR_EINVALID (bad options, or no user with two events), KGR_ENOMEM.
 */
KGR_API int kgr_seq_train(kgr_seq_model **out, const kgr_store *store, const kgr_seq_options *opts,
	kgr_seq_report *report);

/**
 * @brief Write the model (versioned and checksummed) to a temporary file, sync, rename.
 * @return 0; KGR_EIO naming the path.
 */
KGR_API int kgr_seq_save(const kgr_seq_model *model, const char *path);

/**
 * @brief Read a model and bind it to the store's items.
 * @param[out] out the model; the caller frees it with kgr_seq_free().
 * @return 0; KGR_ENOTFOUND (no file), KGR_EPARSE (not a sequence model), KGR_EVERSION (another
 *         format version), KGR_ECORRUPT (truncated, checksum mismatch), KGR_EINVALID (its items
 *         are not the store's items: the message names the first difference), KGR_ENOMEM.
 */
KGR_API int kgr_seq_load(kgr_seq_model **out, const char *path, const kgr_store *store);

/** @brief Free a model; NULL is fine. */
KGR_API void kgr_seq_free(kgr_seq_model *model);

/** @brief Snapshot checksum (16 hex digits) of the store the model was trained on. Borrowed. */
KGR_API const char *kgr_seq_store_checksum(const kgr_seq_model *model);

/** @brief Checksum (16 hex digits) of the file the model was read from (its last line), ""
 *         for a model that was not read by kgr_seq_load(). Borrowed. */
KGR_API const char *kgr_seq_checksum(const kgr_seq_model *model);

/** The shape of a model. */
typedef struct {
	size_t items;  /**< items it scores (the store's items) */
	int dims;      /**< embedding width */
	int max_len;   /**< newest events of a history it reads */
	int blocks;    /**< transformer blocks */
	int heads;     /**< attention heads */
	size_t params; /**< floats in the model */
} kgr_seq_info;

/** @brief The shape of a model into @p out. */
KGR_API void kgr_seq_info_get(kgr_seq_info *out, const kgr_seq_model *model);

/**
 * @brief The k items the model scores highest after a history (oldest first), the history's
 *        items left out. Items of the history that the model does not know are skipped.
 * @param[out] items_out at least k ids.
 * @param[out] scores_out at least k scores, or NULL.
 * @param[out] n_out how many were written (fewer than k when the catalog is small).
 * @return 0; KGR_ENOMEM.
 */
KGR_API int kgr_seq_recommend(kgr_id *items_out, float *scores_out, size_t *n_out,
	const kgr_seq_model *model, const kgr_id *history, size_t n_history, size_t k);

#ifdef __cplusplus
}
#endif

#endif
