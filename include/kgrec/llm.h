/**
 * @file llm.h
 * @brief LLM re-ranking of graph candidates, grounded in the graph's evidence facts.
 *
 * The graph proposes candidates and, for each, evidence paths made of real triples of the
 * store (see retrieval.h). kgr_llm_rank() renders a prompt from a template in which every
 * evidence edge is a numbered fact `[F1] Goalie Gloves | category | Soccer` and every
 * candidate a numbered line `[C1] "Soccer Jersey"`, asks an OpenAI-compatible chat-completions
 * server to rank the candidates and cite facts by id, checks every answer (ids in the candidate
 * set, no duplicates, cited facts among those given for that candidate) and returns a hybrid
 * ranking `alpha * llm + (1 - alpha) * graph`. Anything it cannot trust falls back to the graph
 * order, and the result says so in its notes.
 *
 * Thread safety: kgr_llm_rank() may be called from several threads at once with the same
 * finalized store; each call uses its own HTTP handles.
 */
#ifndef KGREC_LLM_H
#define KGREC_LLM_H

#include "retrieval.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the LLM is asked. */
typedef enum {
	KGR_LLM_LISTWISE = 0,       /**< rank the whole candidate list (default) */
	KGR_LLM_POINTWISE = 1,      /**< a 1-5 rating per candidate, one request each */
	KGR_LLM_PAIRWISE = 2,       /**< which of two candidates; merged by a merge sort */
	KGR_LLM_CONVERSATIONAL = 3  /**< a request in words plus the history, listwise */
} kgr_llm_mode;

/** How the user's history is shown (listwise and conversational modes). */
typedef enum {
	KGR_LLM_HISTORY_SEQUENTIAL = 0, /**< the items in time order */
	KGR_LLM_HISTORY_RECENCY = 1,    /**< time order plus the most recent items singled out */
	KGR_LLM_HISTORY_INCONTEXT = 2   /**< the user's own last item as a worked example */
} kgr_llm_history;

/** How the rankings of bootstrapped shuffles are merged. */
typedef enum {
	KGR_LLM_FUSION_BORDA = 0, /**< sum of (n - position) */
	KGR_LLM_FUSION_RRF = 1    /**< reciprocal rank fusion, sum of 1 / (60 + position) */
} kgr_llm_fusion;

/** Options of the LLM ranker. Start from KGR_LLM_OPTIONS_INIT or kgr_llm_options_from_env(). */
typedef struct {
	unsigned int version;
	const char *base_url;     /**< e.g. "http://127.0.0.1:8000/v1"; {base_url}/chat/completions */
	const char *model;        /**< model name sent in the request */
	const char *api_key;      /**< bearer token, or NULL (local servers) */
	double temperature;       /**< sampling temperature (0: deterministic where supported) */
	int max_tokens;           /**< completion limit per request */
	long timeout_ms;          /**< per HTTP attempt, connection included */
	int parallel;             /**< requests in flight at once (1 .. 64) */
	int retries;              /**< extra attempts after a failed one (0 .. 10) */
	long retry_base_ms;       /**< first back-off delay; doubles each attempt */
	kgr_llm_mode mode;
	kgr_llm_history history;
	int boots;                /**< bootstrapped shuffles of the candidate order (1 .. 32) */
	kgr_llm_fusion fusion;    /**< how bootstrapped rankings are merged */
	double alpha;             /**< weight of the LLM part in the hybrid score, 0 .. 1 */
	const char *prompt_dir;   /**< template directory; NULL: the installed/default one */
	const char *cache_dir;    /**< response cache directory; NULL: no cache */
	int no_cache;             /**< 1: neither read nor write the cache */
	const char *request;      /**< the user's request in words (conversational mode) */
	size_t max_history;       /**< history items shown (most recent); 0: 20 */
	size_t max_facts;         /**< facts shown per candidate; 0: all of its evidence edges */
	size_t max_text;          /**< bytes of catalog text (label, description) shown; 0: 160 */
	int json_schema;          /**< 1: ask for response_format json_schema (dropped if the
	                               server rejects it with 400); 0: never */
	unsigned int seed;        /**< seed of the bootstrapped shuffles */
	long deadline_ms;         /**< the whole ranking (every request, retry and back-off) ends
	                               within this many ms of its start: an attempt gets only the
	                               time left, no retry starts past it, and a ranking that runs
	                               out fails with KGR_ETIMEOUT; 0: no limit */
} kgr_llm_options;

/* 2: deadline_ms added (options of version 1 are refused with KGR_EINVALID) */
#define KGR_LLM_OPTIONS_VERSION 2
#define KGR_LLM_OPTIONS_INIT { .version = KGR_LLM_OPTIONS_VERSION, .max_tokens = 1024, \
	.timeout_ms = 30000, .parallel = 4, .retries = 2, .retry_base_ms = 250, \
	.mode = KGR_LLM_LISTWISE, .history = KGR_LLM_HISTORY_SEQUENTIAL, .boots = 1, \
	.fusion = KGR_LLM_FUSION_BORDA, .alpha = 0.5, .json_schema = 1, .seed = 1 }

/**
 * @brief Options from the environment, on top of KGR_LLM_OPTIONS_INIT.
 *
 * KGREC_LLM_URL (else OPENAI_BASE_URL, else "https://api.openai.com/v1"), KGREC_LLM_MODEL
 * (else "gpt-4o-mini"), KGREC_LLM_API_KEY (else OPENAI_API_KEY), KGREC_LLM_CACHE (else
 * $XDG_CACHE_HOME/kgrec/llm, else $HOME/.cache/kgrec/llm). The strings are borrowed from the
 * environment and stay valid while it is not changed.
 */
KGR_API kgr_llm_options kgr_llm_options_from_env(void);

/** @brief Parse a mode name ("listwise", "pointwise", "pairwise", "conversational").
 *  @return 0; KGR_EINVALID (message lists the names). */
KGR_API int kgr_llm_mode_parse(kgr_llm_mode *out, const char *name);
/** @brief Parse a history style ("sequential", "recency", "in-context"). 0; KGR_EINVALID. */
KGR_API int kgr_llm_history_parse(kgr_llm_history *out, const char *name);
/** @brief Parse a fusion name ("borda", "rrf"). 0; KGR_EINVALID. */
KGR_API int kgr_llm_fusion_parse(kgr_llm_fusion *out, const char *name);
/** @brief Stable names of the enums. */
KGR_API const char *kgr_llm_mode_name(kgr_llm_mode mode);
KGR_API const char *kgr_llm_history_name(kgr_llm_history history);

/** One re-ranked item. */
typedef struct {
	kgr_id item;
	double score;        /**< hybrid: alpha * llm_score + (1 - alpha) * graph_score */
	double llm_score;    /**< 0..1 from the fused LLM ranking (or rating) */
	double graph_score;  /**< 0..1: the graph score, min-max normalised over the candidates */
	double graph_raw;    /**< the graph score as retrieval returned it */
	size_t graph_rank;   /**< 0-based position in the graph ranking */
	int llm_valid;       /**< 1 when an answer placed this item validly; 0 when its LLM part
	                          comes from the graph order (fallback or completion) */
	char *rationale;     /**< the model's rationale, or NULL */
	int grounded;        /**< 1 when the rationale cites at least one fact and every cited id
	                          was among the facts given for this candidate */
	size_t n_cited;
	kgr_edge *cited;     /**< the cited facts as edges of the store (invalid citations removed) */
} kgr_llm_item;

/** Accounting of one HTTP exchange (after its retries). */
typedef struct {
	long prompt_tokens;      /**< as reported by the server; -1 when not reported */
	long completion_tokens;  /**< as reported; -1 when not reported */
	double latency_ms;       /**< wall time including retries and back-off */
	int retries;             /**< attempts beyond the first */
	int cached;              /**< 1: answered from the cache, no request sent */
	int http_status;         /**< last HTTP status (0: no response) */
	int error;               /**< 0 or the KGR_E* code of the final failure */
	int valid;               /**< 1 when the reply parsed and passed validation */
} kgr_llm_call;

/** Accounting of one kgr_llm_rank() run. */
typedef struct {
	size_t calls;            /**< exchanges (cache hits included) */
	size_t cache_hits;
	size_t retries;          /**< sum of retries over calls */
	size_t failures;         /**< exchanges that ended in an error */
	size_t replies_invalid;  /**< replies that could not be parsed or held no valid entry */
	long prompt_tokens;      /**< sums of what the server reported (cached calls count 0) */
	long completion_tokens;
	double latency_ms;       /**< wall time of the whole run */
	size_t ids_unknown;      /**< ranked ids outside the candidate set (dropped) */
	size_t ids_duplicate;    /**< repeated ids (dropped) */
	size_t ids_missing;      /**< candidates an answer left out (completed in graph order) */
	size_t citations_invalid;/**< cited fact ids not given for that candidate (removed) */
	size_t boots_run;        /**< bootstrapped shuffles actually asked (early stop) */
	double validity_rate;    /**< share of items whose LLM part is valid, 0..1 */
	size_t prompt_bytes;     /**< bytes of rendered prompts (system + user) */
} kgr_llm_stats;

/** The re-ranked list. */
typedef struct {
	kgr_id user;
	size_t n;
	kgr_llm_item *items;     /**< best hybrid score first */
	kgr_llm_stats stats;
	size_t n_calls;
	kgr_llm_call *calls;     /**< per exchange, in the order they were made */
	size_t n_notes;
	char **notes;            /**< fallbacks and other notes, one line each */
	int fallback;            /**< 1 when no answer was usable and the order is the graph's */
} kgr_llm_result;

/**
 * @brief Re-rank graph candidates with an LLM.
 *
 * A failing LLM never fails the call: timeouts, HTTP errors, unparsable or invalid replies
 * are retried (`retries`, exponential back-off from `retry_base_ms`, a 429's Retry-After
 * honoured) and then replaced by the graph order with a note and `fallback` set.
 *
 * @param[out] out the result; free with kgr_llm_result_free().
 * @param store the finalized store the candidates come from (labels, checksum).
 * @param recs candidates with evidence paths (kgr_recommend() with explain on). Not changed.
 * @param history the user's interactions in time order (kgr_store_user_interactions()),
 *        or NULL with @p n_history 0.
 * @param opts options; NULL: KGR_LLM_OPTIONS_INIT (which has no server: fallback).
 * @return 0; KGR_EINVALID (options out of range, no base_url or model, conversational mode
 *         without a request; the message names the field); KGR_ENOTFOUND / KGR_EPARSE (a
 *         template file missing or naming an unknown placeholder); KGR_ENOMEM.
 */
KGR_API int kgr_llm_rank(kgr_llm_result **out, const kgr_store *store, const kgr_recs *recs,
	const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts);

/**
 * @brief An LLM ranking as JSON (items with their LLM and graph ranks, rationales, cited facts,
 *        groundedness; fallback, notes, accounting): the reply of /v1/recommend with the LLM
 *        and of `kgrec recommend --llm --format json`.
 * @param[out] out NUL-terminated text; free with free().
 * @param limit at most this many items. @param pretty 1: indented; 0: compact.
 * @return 0; KGR_ENOMEM.
 */
KGR_API int kgr_llm_result_json(char **out, const kgr_store *store, const kgr_llm_result *res,
	const char *request_id, const char *const *extra, size_t n_extra, size_t limit, int pretty);

/** @brief Free a result. Accepts NULL. */
KGR_API void kgr_llm_result_free(kgr_llm_result *res);

/**
 * @brief Render the prompt(s) kgr_llm_rank() would send, without sending anything.
 *
 * Listwise and conversational: the prompt of the first (unshuffled) order. Pointwise: the
 * prompt of the first candidate. Pairwise: the prompt comparing the first two candidates.
 * Each prompt is "### system\n...\n### user\n...".
 *
 * @param[out] out a new NUL-terminated string; free with free().
 * @return 0; KGR_EINVALID; KGR_ENOTFOUND / KGR_EPARSE (template); KGR_ENOMEM.
 */
KGR_API int kgr_llm_render(char **out, const kgr_store *store, const kgr_recs *recs,
	const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts);

/**
 * @brief Put a result back into a ranked list: reorder @p recs by hybrid score, set each
 *        item's score to the hybrid score and, when the LLM rationale is grounded, replace
 *        its rationale with it; append the result's notes to @p recs->notes.
 * @return 0; KGR_EINVALID (the result is not about these items); KGR_ENOMEM.
 */
KGR_API int kgr_llm_apply(kgr_recs *recs, const kgr_llm_result *res);

/** One exchange with the model as it happened: what was shown, what came back. */
typedef struct {
	char *system;        /**< the rendered system prompt */
	char *user;          /**< the rendered user prompt */
	char *reply;         /**< the raw assistant message: the one used, else the last one that
	                          failed validation (then @c error says why), or NULL */
	char *error;         /**< why the exchange failed, or NULL */
	size_t n_facts;
	kgr_edge *facts;     /**< the facts shown: facts[0] is [F1] */
	size_t n_cands;
	kgr_id *cands;       /**< the candidates shown: cands[0] is [C1] */
	kgr_llm_call acct;
} kgr_llm_exchange;

/** Every exchange of one kgr_llm_rank_traced() run, in the order they were made. */
typedef struct {
	size_t n;
	kgr_llm_exchange *exchanges;
} kgr_llm_trace;

/**
 * @brief kgr_llm_rank() that also returns what was sent and received (for the audit trail,
 *        see audit.h).
 * @param[out] trace_out the exchanges; free with kgr_llm_trace_free(). NULL on error.
 * @return the codes of kgr_llm_rank().
 */
KGR_API int kgr_llm_rank_traced(kgr_llm_result **out, kgr_llm_trace **trace_out, const kgr_store *store,
	const kgr_recs *recs, const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts);

/** @brief Free a trace. Accepts NULL. */
KGR_API void kgr_llm_trace_free(kgr_llm_trace *trace);

/**
 * @brief A rough token count for a text (about 4 bytes per token), for cost estimates.
 */
KGR_API size_t kgr_llm_token_estimate(const char *text);

#ifdef __cplusplus
}
#endif
#endif
