/* Internal interfaces of the LLM ranker: prompt input, renderer, reply checks, HTTP client,
 * response cache. Not installed. */
#ifndef KGREC_RANKER_LLM_INTERNAL_H
#define KGREC_RANKER_LLM_INTERNAL_H

#include "kg/internal.h"
#include "kgrec/llm.h"

/* ---- what a prompt is made of, every catalog string already resolved ---- */

typedef struct {
	kgr_edge edge;
	char *s, *p, *o;          /* labels */
} kgr__llm_fact;

typedef struct {
	kgr_id item;
	char *label;
	char *desc;               /* description, or NULL */
	double graph_score;
	size_t n_facts;
	size_t *facts;            /* indexes into kgr__llm_input.facts, distinct */
} kgr__llm_cand;

typedef struct {
	kgr_id item;
	char *label;
	char *action;             /* "purchase", "view", ... or NULL */
	int64_t time;
	double weight;
} kgr__llm_hist;

typedef struct {
	kgr_id user;
	uint64_t checksum;        /* snapshot checksum (cache key) */
	size_t n_cands;
	kgr__llm_cand *cands;     /* graph order */
	size_t n_facts;
	kgr__llm_fact *facts;     /* distinct edges */
	size_t n_hist;
	kgr__llm_hist *hist;      /* time order, oldest first */
} kgr__llm_input;

/* Check the options (when given), then resolve labels, facts and history from the store
 * (ranker/llm_store.c). */
int kgr__llm_input_from_store(kgr__llm_input **out, const kgr_store *store, const kgr_recs *recs,
	const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts);
/* Build an input by hand: takes ownership of nothing; copies. Used by tests and benches. */
int kgr__llm_input_new(kgr__llm_input **out);
int kgr__llm_input_add_fact(kgr__llm_input *in, kgr_edge e, const char *s, const char *p, const char *o,
	size_t *index_out);
int kgr__llm_input_add_cand(kgr__llm_input *in, kgr_id item, const char *label, const char *desc,
	double graph_score, const size_t *facts, size_t n_facts);
int kgr__llm_input_add_hist(kgr__llm_input *in, kgr_id item, const char *label, const char *action,
	int64_t time, double weight);
void kgr__llm_input_free(kgr__llm_input *in);

/* The ranker on a resolved input (ranker/llm.c); kgr_llm_rank() and kgr_llm_render() are
 * these after kgr__llm_input_from_store(). */
int kgr__llm_rank_input(kgr_llm_result **out, const kgr__llm_input *in, const kgr_llm_options *opts);
int kgr__llm_render_input(char **out, const kgr__llm_input *in, const kgr_llm_options *opts);
/* Replay source of kgr__llm_rank_input_ex(): sets *content_out (malloc'd) to the reply of the
 * prompt (system, user) and returns 1, or returns 0 after writing why into error (size bytes).
 * When it is set, nothing is read from the cache or sent over the network. */
typedef int (*kgr__llm_answer_cb)(char **content_out, char *error, size_t size, const char *system,
	const char *user, void *payload);
/* kgr__llm_rank_input() that also returns the exchanges (when trace_out is set) and may take
 * its replies from @p answer instead of the server (audit replay). */
int kgr__llm_rank_input_ex(kgr_llm_result **out, kgr_llm_trace **trace_out, const kgr__llm_input *in,
	const kgr_llm_options *opts, kgr__llm_answer_cb answer, void *payload);
/* Merges m rankings (each a permutation of 0..n-1, best first) into @p out; ties go to the
 * smaller index (the graph order). Complexity: O(m n + n log n). */
int kgr__llm_fuse(size_t *out, const size_t *const *ranks, size_t m, size_t n, kgr_llm_fusion fusion);
/* Checks option ranges; KGR_EINVALID names the field. need_server: base_url and model set. */
int kgr__llm_options_check(const kgr_llm_options *opts, int need_server);

/* ---- growable string (kgr__buf, kg/internal.h) ---- */

/* Catalog text as quoted data: "..." with \" \\ \n and < > | escaped, cut at max bytes
 * (on a UTF-8 boundary) with "..." appended. */
void kgr__buf_quote(kgr__buf *b, const char *s, size_t max);

/* ---- templates (ranker/prompt_render.c) ---- */

typedef struct kgr__template kgr__template;

/* Load <dir>/<name>.txt. dir NULL: KGR_SOURCE_PROMPT_DIR when present, else KGR_PROMPT_DIR.
 * Checks every {{placeholder}}: KGR_EPARSE names file and line of an unknown one. */
int kgr__template_load(kgr__template **out, const char *dir, const char *name);
void kgr__template_free(kgr__template *t);
/* The template's file name for a mode and history style ("listwise_recency", ...). */
const char *kgr__template_name(kgr_llm_mode mode, kgr_llm_history history);

/* The part of the input one prompt shows: candidates in prompt order ([C1] is cands[0]) and
 * the facts shown, numbered in first-appearance order ([F1] is facts[0]). */
typedef struct {
	size_t n_cands;
	size_t *cands;            /* candidate indexes into the input */
	size_t n_facts;
	size_t *facts;            /* fact indexes into the input */
	size_t max_facts;         /* facts shown per candidate (0: all) */
} kgr__prompt_view;

void kgr__prompt_view_free(kgr__prompt_view *v);

/* Render one prompt for the candidates @p order (indexes into in->cands). */
int kgr__prompt_render(char **system_out, char **user_out, kgr__prompt_view *view,
	const kgr__template *t, const kgr__llm_input *in, const size_t *order, size_t n_order,
	const kgr_llm_options *opts);

/* ---- replies (ranker/llm_reply.c) ---- */

/* Find the JSON object in a reply: code fences and prose around it are skipped. Returns a
 * cJSON root (as void * so that this header needs no cJSON) or NULL with KGR_EPARSE set. */
void *kgr__reply_json(const char *text, const char *want_key);

typedef struct {
	size_t cand;              /* candidate index into the input */
	char *rationale;          /* or NULL */
	int grounded;
	size_t n_cited;
	size_t *cited;            /* fact indexes into the input */
	double value;             /* the model's score / rating when given, else NAN */
} kgr__reply_entry;

typedef struct {
	size_t n;
	kgr__reply_entry *entries; /* in the model's order, validated */
	size_t unknown, duplicate, citations_invalid;
} kgr__reply;

void kgr__reply_free(kgr__reply *r);

/* Listwise / conversational: {"ranking":[{"id":"C3","score":..,"rationale":"..",
 * "evidence":["F2"]}, ...]} (or a bare array of ids). 0, or KGR_EPARSE when there is no
 * usable ranking (nothing valid in it). */
int kgr__reply_ranking(kgr__reply *out, const char *text, const kgr__prompt_view *view,
	const kgr__llm_input *in);
/* Pointwise: {"rating":1..5,"rationale":"..","evidence":[..]} about view->cands[0]. */
int kgr__reply_rating(kgr__reply *out, const char *text, const kgr__prompt_view *view,
	const kgr__llm_input *in);
/* Pairwise: {"preferred":"C1"|"C2","rationale":"..","evidence":[..]}; entries[0] is the
 * preferred candidate. */
int kgr__reply_preference(kgr__reply *out, const char *text, const kgr__prompt_view *view,
	const kgr__llm_input *in);

/* ---- HTTP client (ranker/llm_client.c) ---- */

typedef struct kgr__llm_req kgr__llm_req;
/* Returns 1 when a reply's content is usable; 0 makes the client try again. */
typedef int (*kgr__llm_accept_cb)(kgr__llm_req *req, const char *content, void *payload);

struct kgr__llm_req {
	const char *system, *user;
	const char *schema_name;   /* response_format json_schema name, or NULL */
	const char *schema;        /* the schema as JSON text, or NULL */
	kgr__llm_accept_cb accept; /* or NULL: any content is usable */
	void *payload;
	/* out */
	char *content;             /* the assistant message, or NULL after a failure */
	char *rejected;            /* the last message the accept callback refused, or NULL */
	kgr_llm_call acct;
	char error[300];
	int schema_rejected;       /* the server answered 400 to response_format */
};

/* Send the requests, `parallel` at a time, each with its retries. Failures are recorded in
 * each request (acct.error, error); the return value is 0 or KGR_ENOMEM / KGR_EINVALID.
 * end_ms: when set (kgr__now_ms() time), no attempt runs past it (KGR_ETIMEOUT). */
int kgr__llm_chat_many(const kgr_llm_options *opts, kgr__llm_req *reqs, size_t n, double end_ms);

/* ---- response cache (ranker/llm_cache.c) ---- */

/* 32 hex digits naming a reply: model, parameters, prompt, snapshot. */
void kgr__llm_cache_key(char out[33], const kgr_llm_options *opts, const char *system,
	const char *user, uint64_t checksum);
/* 1 and a new content string when cached, 0 when not. */
int kgr__llm_cache_get(const char *dir, const char key[33], char **content_out, long *ptok,
	long *ctok);
/* Write atomically; failures are ignored (the cache is an optimisation). */
void kgr__llm_cache_put(const char *dir, const char key[33], const char *content, long ptok,
	long ctok);

double kgr__now_ms(void);

#endif
