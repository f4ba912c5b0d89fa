/**
 * @file pipeline.h
 * @brief One recommendation request from start to end: retrieve and score candidates on the
 *        graph, optionally re-rank them with an LLM under a deadline, cut the list to k, and
 *        append the audit record.
 *
 * The command line, the service, audit replay and the evaluation harness all rank through
 * kgr_rank_request(), so a list is made the same way wherever it is shown.
 *
 * With an LLM, the graph list is widened to `llm_candidates` items (the LLM is given the
 * evidence paths as facts), re-ranked, and cut back to `rec.k`. When the LLM ranking fails,
 * kgr_rank_request() either fails (the default) or, with `llm_fallback`, returns the graph
 * order and says why in the result.
 */
#ifndef KGREC_PIPELINE_H
#define KGREC_PIPELINE_H

#include "audit.h"
#include "learned.h"
#include "llm.h"
#include "retrieval.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of kgr_rank_request(). Start from KGR_RANK_OPTIONS_INIT or kgr_rank_options_init(). */
typedef struct {
	unsigned int version;
	kgr_rec_options rec;            /**< retrieval; rec.k is the length of the list returned */
	const kgr_llm_options *llm;     /**< NULL: the graph ranker's order */
	size_t llm_candidates;          /**< graph items the LLM re-ranks (at least rec.k); 0: rec.k */
	int llm_fallback;               /**< 1: a failed LLM ranking keeps the graph order (noted) */
	/** The history the LLM is shown; NULL: the user's interactions before rec.at. */
	const kgr_interaction *history;
	size_t n_history;
	/** The request's deadline in milliseconds, counted from started_us (0: none). The LLM
	 *  gets what retrieval left of it, less reserve_ms. */
	long deadline_ms;
	int64_t started_us;             /**< kgr_rank_now_us() when the request arrived; 0: now */
	long reserve_ms;                /**< kept back for the caller's own work after ranking */
	/** Called just before and just after the LLM is asked (the service releases its locks
	 *  and work slot meanwhile); either may be NULL. */
	void (*llm_begin)(void *payload);
	void (*llm_end)(void *payload);
	void *payload;
	int keep_candidates;            /**< 1: also return the candidate set before re-ranking */
	kgr_audit_log *audit;           /**< NULL: no audit record */
	/** The record's request fields: id, store_path, user_text, graph_config, weights_path
	 *  (the rest is filled in); NULL: none of them. */
	const kgr_audit_entry *audit_entry;
	/** The learned ranker (kgr_learned_recommend()) instead of the graph formula; NULL: the
	 *  graph formula. With an LLM, the LLM re-ranks the learned list. */
	const kgr_model *model;
} kgr_rank_options;

/* 3: rec grew (kgr_rec_options version 2: the sequence model) */
#define KGR_RANK_OPTIONS_VERSION 3
#define KGR_RANK_OPTIONS_INIT { .version = KGR_RANK_OPTIONS_VERSION, .rec = KGR_REC_OPTIONS_INIT }

/** @brief Set @p opts to the defaults of this version (same as KGR_RANK_OPTIONS_INIT). */
KGR_API void kgr_rank_options_init(kgr_rank_options *opts);

/** The stage of a request that failed. */
typedef enum {
	KGR_STAGE_NONE = 0,
	KGR_STAGE_RETRIEVE,  /**< kgr_recommend() */
	KGR_STAGE_LLM,       /**< the LLM ranking (only without llm_fallback) */
	KGR_STAGE_AUDIT      /**< writing the audit record: the list must not be shown */
} kgr_rank_stage;

/** What kgr_rank_request() made. Zero-initialise; release with kgr_ranking_clear(). */
typedef struct {
	kgr_recs *recs;              /**< the list to show, at most rec.k items */
	/** With keep_candidates (or an audit log): the graph list before re-ranking, with items,
	 *  scores, generators, features, paths and the graph's rationales (no pattern counts). */
	kgr_recs *candidates;
	kgr_llm_result *llm;         /**< the LLM's ranking, or NULL (none asked, or it failed) */
	kgr_llm_trace *trace;        /**< the LLM exchanges, when an audit record was written */
	int llm_failed;              /**< 1: the LLM ranking failed and the graph order was kept */
	char llm_error[1024];        /**< why, when llm_failed */
	long llm_deadline_ms;        /**< the deadline the LLM was given (0: none) */
	char audit_id[65];           /**< the audit record's id, or "" */
	kgr_rank_stage failed;       /**< the stage that failed when kgr_rank_request() failed */
} kgr_ranking;

/**
 * @brief Rank for one request: retrieve, optionally re-rank with the LLM, cut to k, audit.
 *
 * @param[out] out filled in (zero it first); release with kgr_ranking_clear() whether or not
 *             the call succeeded. On failure out->failed names the stage.
 * @param graph the graph view (its store is the one ranked over and audited).
 * @param user the user, or 0 for an anonymous request (seeds or a query).
 * @return 0; the error of kgr_recommend(), of the LLM ranking, or of kgr_audit_write(),
 *         with out->failed naming which; KGR_EINVALID (wrong options version); KGR_ENOMEM.
 */
KGR_API int kgr_rank_request(kgr_ranking *out, const kgr_graph *graph, kgr_id user,
	const kgr_rank_options *opts);

/** @brief Free what a ranking holds and zero it. Accepts NULL. */
KGR_API void kgr_ranking_clear(kgr_ranking *r);

/** @brief CLOCK_MONOTONIC in microseconds: the clock of kgr_rank_options.started_us. */
KGR_API int64_t kgr_rank_now_us(void);

#ifdef __cplusplus
}
#endif

#endif
