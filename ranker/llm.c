/* The LLM ranker: modes, bootstrapping, fusion, fallbacks, hybrid scores.
 *
 * Listwise and conversational (Hou et al. 2024, "Large Language Models are Zero-Shot Rankers
 * for Recommender Systems"): the candidate list in B shuffled orders, each reply validated and
 * completed in graph order, merged by Borda count or reciprocal rank fusion (Cormack et al.
 * 2009); bootstrapping stops early when the first rankings agree. Pointwise (Kang et al. 2023,
 * "Do LLMs Understand User Preferences?"): a 1-5 rating per candidate. Pairwise (Qin et al.
 * 2024, "Large Language Models are Effective Text Rankers with Pairwise Ranking Prompting"):
 * a bottom-up merge sort whose comparisons are LLM calls, all merges of a level advancing in
 * lock step so that their comparisons go out in parallel. */
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAILURE_NOTES 3
#define AGREE_TOP 10

static const char *const mode_names[] = { "listwise", "pointwise", "pairwise", "conversational" };
static const char *const history_names[] = { "sequential", "recency", "in-context" };

int kgr_llm_mode_parse(kgr_llm_mode *out, const char *name)
{
	int i;
	for (i = 0; i < 4; i++)
		if (name && !strcmp(name, mode_names[i])) {
			*out = (kgr_llm_mode)i;
			return 0;
		}
	return kgr__error_set(KGR_EINVALID,
		"unknown LLM mode '%s' (listwise, pointwise, pairwise, conversational)", name ? name : "");
}

int kgr_llm_history_parse(kgr_llm_history *out, const char *name)
{
	int i;
	for (i = 0; i < 3; i++)
		if (name && !strcmp(name, history_names[i])) {
			*out = (kgr_llm_history)i;
			return 0;
		}
	if (name && !strcmp(name, "incontext")) {
		*out = KGR_LLM_HISTORY_INCONTEXT;
		return 0;
	}
	return kgr__error_set(KGR_EINVALID, "unknown history style '%s' (sequential, recency, in-context)",
		name ? name : "");
}

int kgr_llm_fusion_parse(kgr_llm_fusion *out, const char *name)
{
	if (name && !strcmp(name, "borda")) {
		*out = KGR_LLM_FUSION_BORDA;
		return 0;
	}
	if (name && !strcmp(name, "rrf")) {
		*out = KGR_LLM_FUSION_RRF;
		return 0;
	}
	return kgr__error_set(KGR_EINVALID, "unknown fusion '%s' (borda, rrf)", name ? name : "");
}

const char *kgr_llm_mode_name(kgr_llm_mode mode)
{
	return (unsigned)mode < 4 ? mode_names[mode] : "?";
}

const char *kgr_llm_history_name(kgr_llm_history history)
{
	return (unsigned)history < 3 ? history_names[history] : "?";
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

kgr_llm_options kgr_llm_options_from_env(void)
{
	kgr_llm_options o = KGR_LLM_OPTIONS_INIT;
	static _Thread_local char cache[4096];
	const char *v;
	o.base_url = env("KGREC_LLM_URL");
	if (!o.base_url)
		o.base_url = env("OPENAI_BASE_URL");
	if (!o.base_url)
		o.base_url = "https://api.openai.com/v1";
	o.model = env("KGREC_LLM_MODEL");
	if (!o.model)
		o.model = "gpt-4o-mini";
	o.api_key = env("KGREC_LLM_API_KEY");
	if (!o.api_key)
		o.api_key = env("OPENAI_API_KEY");
	if ((v = env("KGREC_LLM_CACHE")) != NULL)
		o.cache_dir = v;
	else if ((v = env("XDG_CACHE_HOME")) != NULL) {
		snprintf(cache, sizeof(cache), "%s/kgrec/llm", v);
		o.cache_dir = cache;
	} else if ((v = env("HOME")) != NULL) {
		snprintf(cache, sizeof(cache), "%s/.cache/kgrec/llm", v);
		o.cache_dir = cache;
	}
	return o;
}

int kgr__llm_options_check(const kgr_llm_options *o, int need_server)
{
	KGR__CHECK_VERSION(o, KGR_LLM_OPTIONS_VERSION, "LLM");
	if ((unsigned)o->mode > KGR_LLM_CONVERSATIONAL)
		return kgr__error_set(KGR_EINVALID, "LLM options: mode %d is unknown", (int)o->mode);
	if ((unsigned)o->history > KGR_LLM_HISTORY_INCONTEXT)
		return kgr__error_set(KGR_EINVALID, "LLM options: history %d is unknown", (int)o->history);
	if ((unsigned)o->fusion > KGR_LLM_FUSION_RRF)
		return kgr__error_set(KGR_EINVALID, "LLM options: fusion %d is unknown", (int)o->fusion);
	if (!(o->alpha >= 0.0 && o->alpha <= 1.0))
		return kgr__error_set(KGR_EINVALID, "LLM options: alpha %g is outside 0..1", o->alpha);
	if (o->boots < 1 || o->boots > 32)
		return kgr__error_set(KGR_EINVALID, "LLM options: boots %d is outside 1..32", o->boots);
	if (o->parallel < 1 || o->parallel > 64)
		return kgr__error_set(KGR_EINVALID, "LLM options: parallel %d is outside 1..64", o->parallel);
	if (o->retries < 0 || o->retries > 10)
		return kgr__error_set(KGR_EINVALID, "LLM options: retries %d is outside 0..10", o->retries);
	if (o->timeout_ms < 1 || o->timeout_ms > 3600000L)
		return kgr__error_set(KGR_EINVALID, "LLM options: timeout %ld ms is outside 1..3600000",
			o->timeout_ms);
	if (o->deadline_ms < 0 || o->deadline_ms > 3600000L)
		return kgr__error_set(KGR_EINVALID, "LLM options: deadline %ld ms is outside 0..3600000",
			o->deadline_ms);
	if (!(o->temperature >= 0.0 && o->temperature <= 2.0))
		return kgr__error_set(KGR_EINVALID, "LLM options: temperature %g is outside 0..2",
			o->temperature);
	if (o->max_tokens < 0)
		return kgr__error_set(KGR_EINVALID, "LLM options: max_tokens %d is negative", o->max_tokens);
	if (o->mode == KGR_LLM_CONVERSATIONAL && (!o->request || !*o->request))
		return kgr__error_set(KGR_EINVALID, "LLM options: conversational mode needs a request");
	if (need_server && (!o->base_url || !*o->base_url))
		return kgr__error_set(KGR_EINVALID, "LLM options: no base_url (set KGREC_LLM_URL)");
	if (need_server && (!o->model || !*o->model))
		return kgr__error_set(KGR_EINVALID, "LLM options: no model (set KGREC_LLM_MODEL)");
	return 0;
}

/* ---- reply schemas (response_format json_schema) ---- */

#define EVIDENCE_SCHEMA "\"rationale\":{\"type\":\"string\"},\"evidence\":{\"type\":\"array\"," \
	"\"items\":{\"type\":\"string\"}}"
static const char ranking_schema[] =
	"{\"type\":\"object\",\"properties\":{\"ranking\":{\"type\":\"array\",\"items\":{"
	"\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"score\":{\"type\":\"number\"},"
	EVIDENCE_SCHEMA "},\"required\":[\"id\",\"score\",\"rationale\",\"evidence\"]}}},"
	"\"required\":[\"ranking\"]}";
static const char rating_schema[] =
	"{\"type\":\"object\",\"properties\":{\"rating\":{\"type\":\"integer\",\"minimum\":1,"
	"\"maximum\":5}," EVIDENCE_SCHEMA "},\"required\":[\"rating\",\"rationale\",\"evidence\"]}";
static const char preference_schema[] =
	"{\"type\":\"object\",\"properties\":{\"preferred\":{\"type\":\"string\",\"enum\":[\"C1\",\"C2\"]},"
	EVIDENCE_SCHEMA "},\"required\":[\"preferred\",\"rationale\",\"evidence\"]}";

/* ---- jobs: one prompt, its request and its checked reply ---- */

typedef int (*parse_fn)(kgr__reply *, const char *, const kgr__prompt_view *, const kgr__llm_input *);

typedef struct ctx ctx;

typedef struct {
	ctx *c;
	char *system, *user;
	kgr__prompt_view view;
	kgr__reply reply;
	kgr__llm_req req;
	char key[33];
	int ok;
} job;

struct ctx {
	const kgr__llm_input *in;
	const kgr_llm_options *o;
	kgr__template *tpl;
	kgr_llm_result *res;
	parse_fn parse;
	const char *schema_name, *schema;
	int use_cache;
	double end_ms;     /* kgr__now_ms() time the ranking must end by (deadline_ms), or 0 */
	int schema_note;
	size_t failure_notes;
	size_t n_kept;
	job **kept;        /* job arrays whose reply entries the outcome points into */
	size_t *kept_len;
	kgr__llm_answer_cb answer; /* replay: replies come from here, never the network */
	void *answer_payload;
};

static int note(kgr_llm_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(kgr_llm_result *res, const char *fmt, ...)
{
	char line[512], **p;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!(p = realloc(res->notes, (res->n_notes + 1) * sizeof(*p))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	res->notes = p;
	if (!(p[res->n_notes] = strdup(line)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	res->n_notes++;
	return 0;
}

static int job_prepare(ctx *c, job *j, const size_t *order, size_t n)
{
	int error;
	memset(j, 0, sizeof(*j));
	j->c = c;
	if ((error = kgr__prompt_render(&j->system, &j->user, &j->view, c->tpl, c->in, order, n, c->o)))
		return error;
	c->res->stats.prompt_bytes += strlen(j->system) + strlen(j->user);
	kgr__llm_cache_key(j->key, c->o, j->system, j->user, c->in->checksum);
	return 0;
}

static void job_clear(job *j)
{
	free(j->system);
	free(j->user);
	free(j->req.content);
	free(j->req.rejected);
	kgr__prompt_view_free(&j->view);
	kgr__reply_free(&j->reply);
	memset(j, 0, sizeof(*j));
}

static int job_accept(kgr__llm_req *req, const char *content, void *payload)
{
	job *j = payload;
	(void)req;
	kgr__reply_free(&j->reply);
	return j->c->parse(&j->reply, content, &j->view, j->c->in) == 0;
}

static int add_call(kgr_llm_result *res, const kgr_llm_call *call)
{
	kgr_llm_call *p = realloc(res->calls, (res->n_calls + 1) * sizeof(*p));
	if (!p)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	res->calls = p;
	res->calls[res->n_calls++] = *call;
	return 0;
}

/* Answers each job from the cache or the server, then records the accounting. */
static int run_jobs(ctx *c, job *jobs, size_t n)
{
	kgr_llm_stats *st = &c->res->stats;
	kgr__llm_req *reqs = NULL;
	size_t i, n_miss = 0;
	int error = 0;

	if (!(reqs = calloc(n ? n : 1, sizeof(*reqs))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		job *j = &jobs[i];
		char *content = NULL;
		long pt = -1, ct = -1;
		memset(&j->req, 0, sizeof(j->req));
		if (c->answer) {
			if (c->answer(&content, j->req.error, sizeof(j->req.error), j->system, j->user,
				c->answer_payload) && content && job_accept(&j->req, content, j)) {
				j->ok = 1;
				j->req.content = content;
				j->req.acct.http_status = 200;
				continue;
			}
			free(content);
			kgr__reply_free(&j->reply);
			if (!j->req.error[0])
				snprintf(j->req.error, sizeof(j->req.error), "replayed reply unusable: %s",
					kgr_error_last());
			j->req.acct.error = KGR_EPARSE;
			st->failures++;
			st->replies_invalid++;
			if (c->failure_notes++ < MAX_FAILURE_NOTES &&
				(error = note(c->res, "LLM call failed after %d retries: %s", j->req.acct.retries,
					j->req.error)))
				goto cleanup;
			continue;
		}
		if (c->use_cache && kgr__llm_cache_get(c->o->cache_dir, j->key, &content, &pt, &ct)) {
			if (job_accept(&j->req, content, j)) {
				j->ok = 1;
				j->req.content = content;
				j->req.acct.cached = 1;
				j->req.acct.prompt_tokens = pt;
				j->req.acct.completion_tokens = ct;
				j->req.acct.http_status = 200;
				continue;
			}
			free(content);
			kgr__reply_free(&j->reply);
		}
		reqs[n_miss].system = j->system;
		reqs[n_miss].user = j->user;
		reqs[n_miss].schema_name = c->schema_name;
		reqs[n_miss].schema = c->schema;
		reqs[n_miss].accept = job_accept;
		reqs[n_miss].payload = j;
		n_miss++;
	}
	if (n_miss && (error = kgr__llm_chat_many(c->o, reqs, n_miss, c->end_ms)))
		goto cleanup;
	for (i = 0; i < n_miss; i++) {
		job *j = reqs[i].payload;
		j->req = reqs[i];
		j->ok = j->req.acct.error == 0 && j->req.content;
		if (j->req.schema_rejected && !c->schema_note) {
			c->schema_note = 1;
			if ((error = note(c->res, "the server rejected response_format json_schema; asked without it")))
				goto cleanup;
		}
		if (j->ok && c->use_cache)
			kgr__llm_cache_put(c->o->cache_dir, j->key, j->req.content, j->req.acct.prompt_tokens,
				j->req.acct.completion_tokens);
		if (!j->ok) {
			kgr__reply_free(&j->reply);
			st->failures++;
			if (j->req.acct.error == KGR_EPARSE)
				st->replies_invalid++;
			if (c->failure_notes++ < MAX_FAILURE_NOTES &&
				(error = note(c->res, "LLM call failed after %d retries: %s", j->req.acct.retries,
					j->req.error)))
				goto cleanup;
		}
	}
	for (i = 0; i < n; i++) {
		job *j = &jobs[i];
		j->req.acct.valid = j->ok;
		st->calls++;
		st->retries += (size_t)j->req.acct.retries;
		if (j->req.acct.cached)
			st->cache_hits++;
		else {
			if (j->req.acct.prompt_tokens > 0)
				st->prompt_tokens += j->req.acct.prompt_tokens;
			if (j->req.acct.completion_tokens > 0)
				st->completion_tokens += j->req.acct.completion_tokens;
		}
		if (j->ok) {
			st->ids_unknown += j->reply.unknown;
			st->ids_duplicate += j->reply.duplicate;
			st->citations_invalid += j->reply.citations_invalid;
		}
		if ((error = add_call(c->res, &j->req.acct)))
			goto cleanup;
	}
cleanup:
	free(reqs);
	return error;
}

/* ---- per-candidate outcome and the result ---- */

typedef struct {
	double llm;                   /* 0..1 */
	int valid;
	const kgr__reply_entry *entry; /* rationale source, or NULL */
} outcome;

/* Keeps the best rationale seen so far: grounded beats ungrounded beats none. */
static void offer_entry(outcome *oc, const kgr__reply_entry *e)
{
	int cur = !oc->entry ? 0 : oc->entry->grounded ? 2 : oc->entry->rationale ? 1 : 0;
	int neu = e->grounded ? 2 : e->rationale ? 1 : 0;
	if (neu > cur)
		oc->entry = e;
}

static int cmp_item(const void *a, const void *b)
{
	const kgr_llm_item *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->graph_rank < y->graph_rank ? -1 : x->graph_rank > y->graph_rank;
}

/* A place in a best-first list of n as a score: 1 for the first, 0 for the last. */
static double rank_score(size_t i, size_t n)
{
	return n > 1 ? (double)(n - 1 - i) / (double)(n - 1) : 1.0;
}

static int build_items(ctx *c, const outcome *oc)
{
	const kgr__llm_input *in = c->in;
	kgr_llm_result *res = c->res;
	double lo = INFINITY, hi = -INFINITY, a = c->o->alpha;
	size_t i, k, n = in->n_cands, n_valid = 0;

	if (!(res->items = calloc(n ? n : 1, sizeof(*res->items))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	res->n = n;
	for (i = 0; i < n; i++) {
		if (in->cands[i].graph_score < lo)
			lo = in->cands[i].graph_score;
		if (in->cands[i].graph_score > hi)
			hi = in->cands[i].graph_score;
	}
	for (i = 0; i < n; i++) {
		kgr_llm_item *it = &res->items[i];
		const kgr__reply_entry *e = oc[i].entry;
		it->item = in->cands[i].item;
		it->graph_raw = in->cands[i].graph_score;
		it->graph_rank = i;
		it->graph_score = hi > lo ? (it->graph_raw - lo) / (hi - lo) : rank_score(i, n);
		it->llm_score = oc[i].llm;
		it->llm_valid = oc[i].valid;
		it->score = a * it->llm_score + (1.0 - a) * it->graph_score;
		n_valid += oc[i].valid ? 1 : 0;
		if (e && e->rationale) {
			if (!(it->rationale = strdup(e->rationale)))
				return kgr__error_set(KGR_ENOMEM, "out of memory");
			it->grounded = e->grounded;
			if (e->n_cited) {
				if (!(it->cited = malloc(e->n_cited * sizeof(kgr_edge))))
					return kgr__error_set(KGR_ENOMEM, "out of memory");
				for (k = 0; k < e->n_cited; k++)
					it->cited[k] = in->facts[e->cited[k]].edge;
				it->n_cited = e->n_cited;
			}
		}
	}
	qsort(res->items, n, sizeof(*res->items), cmp_item);
	res->stats.validity_rate = n ? (double)n_valid / (double)n : 0.0;
	return 0;
}

/* LLM part from a best-first order: 1 for the first, 0 for the last. */
static void scores_from_order(outcome *oc, const size_t *order, size_t n)
{
	size_t r;
	for (r = 0; r < n; r++)
		oc[order[r]].llm = rank_score(r, n);
}

static void fallback_graph(ctx *c, outcome *oc)
{
	size_t i, n = c->in->n_cands;
	for (i = 0; i < n; i++) {
		oc[i].llm = rank_score(i, n);
		oc[i].valid = 0;
		oc[i].entry = NULL;
	}
	c->res->fallback = 1;
}

/* ---- listwise and conversational ---- */

static void shuffle(size_t *a, size_t n, unsigned int seed, int boot)
{
	uint64_t s = ((uint64_t)seed << 32) ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(boot + 1));
	size_t i;
	if (!s)
		s = 1;
	for (i = n; i > 1; i--) {
		size_t j = (size_t)(kgr__rng_next(&s) % i), t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* The reply's ranking completed in graph order: rank[] (n) of candidate indexes. */
static void completed_ranking(size_t *rank, const kgr__reply *r, size_t n, unsigned char *mark)
{
	size_t i, k = 0;
	memset(mark, 0, n);
	for (i = 0; i < r->n; i++) {
		rank[k++] = r->entries[i].cand;
		mark[r->entries[i].cand] = 1;
	}
	for (i = 0; i < n; i++)
		if (!mark[i])
			rank[k++] = i;
}

static int rankings_agree(size_t *const *ranks, size_t m, size_t n)
{
	size_t b, top = n < AGREE_TOP ? n : AGREE_TOP;
	for (b = 1; b < m; b++)
		if (memcmp(ranks[0], ranks[b], top * sizeof(size_t)))
			return 0;
	return 1;
}

/* Takes ownership of a job array; its entries stay valid until the result is built. */
static int keep_jobs(ctx *c, job *jobs, size_t n)
{
	job **a = realloc(c->kept, (c->n_kept + 1) * sizeof(*a));
	size_t *l;
	if (!a)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	c->kept = a;
	if (!(l = realloc(c->kept_len, (c->n_kept + 1) * sizeof(*l))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	c->kept_len = l;
	c->kept[c->n_kept] = jobs;
	c->kept_len[c->n_kept] = n;
	c->n_kept++;
	return 0;
}

static void free_jobs(job *jobs, size_t n)
{
	size_t i;
	for (i = 0; jobs && i < n; i++)
		job_clear(&jobs[i]);
	free(jobs);
}

typedef struct {
	double points;
	size_t cand;
} scored;

static int cmp_scored(const void *a, const void *b)
{
	const scored *x = a, *y = b;
	if (x->points != y->points)
		return x->points > y->points ? -1 : 1;
	return x->cand < y->cand ? -1 : x->cand > y->cand;
}

int kgr__llm_fuse(size_t *out, const size_t *const *ranks, size_t m, size_t n, kgr_llm_fusion fusion)
{
	scored *sc = calloc(n ? n : 1, sizeof(*sc));
	size_t b, i;
	if (!sc)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		sc[i].cand = i;
	/* Borda gives n - position, RRF 1 / (60 + position), position 1-based */
	for (b = 0; b < m; b++)
		for (i = 0; i < n; i++)
			sc[ranks[b][i]].points += fusion == KGR_LLM_FUSION_RRF ?
				1.0 / (60.0 + (double)i + 1.0) : (double)(n - i);
	qsort(sc, n, sizeof(*sc), cmp_scored);
	for (i = 0; i < n; i++)
		out[i] = sc[i].cand;
	free(sc);
	return 0;
}

static int rank_listwise(ctx *c, outcome *oc)
{
	const kgr__llm_input *in = c->in;
	size_t n = in->n_cands, B = (size_t)c->o->boots, b, i, done = 0, m = 0;
	job *jobs = NULL;
	size_t **ranks = NULL, *order = NULL;
	unsigned char *mark = NULL;
	int error = 0;
	char first_error[300] = "";

	jobs = calloc(B, sizeof(*jobs));
	if (!jobs || (error = keep_jobs(c, jobs, B))) {
		free(jobs);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	ranks = calloc(B, sizeof(*ranks));
	order = malloc(n * sizeof(size_t));
	mark = malloc(n);
	if (!ranks || !order || !mark) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	/* The first batch is two shuffles (or one); later batches fill the parallel slots. */
	while (done < B) {
		size_t batch = done == 0 ? (B < 2 ? B : 2) : (size_t)c->o->parallel;
		if (batch > B - done)
			batch = B - done;
		for (b = done; b < done + batch; b++) {
			for (i = 0; i < n; i++)
				order[i] = i;
			if (b > 0)
				shuffle(order, n, c->o->seed, (int)b);
			if ((error = job_prepare(c, &jobs[b], order, n)))
				goto cleanup;
		}
		if ((error = run_jobs(c, jobs + done, batch)))
			goto cleanup;
		for (b = done; b < done + batch; b++) {
			if (!jobs[b].ok) {
				if (!first_error[0])
					snprintf(first_error, sizeof(first_error), "%s", jobs[b].req.error);
				continue;
			}
			if (!(ranks[m] = malloc(n * sizeof(size_t)))) {
				error = kgr__error_set(KGR_ENOMEM, "out of memory");
				goto cleanup;
			}
			completed_ranking(ranks[m], &jobs[b].reply, n, mark);
			c->res->stats.ids_missing += n - jobs[b].reply.n;
			for (i = 0; i < jobs[b].reply.n; i++) {
				const kgr__reply_entry *e = &jobs[b].reply.entries[i];
				oc[e->cand].valid = 1;
				offer_entry(&oc[e->cand], e);
			}
			m++;
		}
		done += batch;
		c->res->stats.boots_run = done;
		if (done < B && m >= 2 && rankings_agree(ranks, m, n)) {
			if ((error = note(c->res, "bootstrapping stopped after %zu of %zu shuffles: the rankings agree",
				done, B)))
				goto cleanup;
			break;
		}
	}
	if (!m) {
		fallback_graph(c, oc);
		error = note(c->res, "no usable LLM ranking (%s); graph order kept",
			first_error[0] ? first_error : "no reply");
		goto cleanup;
	}
	if ((error = kgr__llm_fuse(order, (const size_t *const *)ranks, m, n, c->o->fusion)))
		goto cleanup;
	scores_from_order(oc, order, n);
	if (c->res->stats.ids_missing)
		error = note(c->res, "the LLM left out %zu candidate place(s); completed in graph order",
			c->res->stats.ids_missing);
cleanup:
	for (b = 0; b < B; b++)
		free(ranks ? ranks[b] : NULL);
	free(ranks);
	free(order);
	free(mark);
	return error;
}

/* ---- pointwise ---- */

static int rank_pointwise(ctx *c, outcome *oc)
{
	size_t n = c->in->n_cands, i, n_ok = 0;
	job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	int error;

	if (!jobs || (error = keep_jobs(c, jobs, n))) {
		free(jobs);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		if ((error = job_prepare(c, &jobs[i], &i, 1)))
			return error;
	if ((error = run_jobs(c, jobs, n)))
		return error;
	c->res->stats.boots_run = 1;
	for (i = 0; i < n; i++) {
		if (jobs[i].ok && jobs[i].reply.n == 1) {
			const kgr__reply_entry *e = &jobs[i].reply.entries[0];
			oc[i].llm = (e->value - 1.0) / 4.0;
			oc[i].valid = 1;
			offer_entry(&oc[i], e);
			n_ok++;
		}
	}
	if (!n_ok) {
		fallback_graph(c, oc);
		return n ? note(c->res, "no usable LLM rating (%s); graph order kept", jobs[0].req.error) : 0;
	}
	if (n_ok < n) {
		/* An unrated candidate takes its graph rank as its LLM part. */
		for (i = 0; i < n; i++)
			if (!oc[i].valid)
				oc[i].llm = rank_score(i, n);
		return note(c->res, "%zu of %zu candidates got no usable rating; their LLM part is their graph rank",
			n - n_ok, n);
	}
	return 0;
}

/* ---- pairwise ---- */

/* The pairwise merge sort: the order being sorted, the answer to every comparison asked,
 * and, for the level being merged, where each merge stands and which comparisons it waits
 * for. The merges of a level advance in lock step so that the comparisons they wait for
 * are asked of the model together. */
typedef struct {
	size_t n, width, n_merges;
	size_t *cur, *next;
	signed char *memo;       /* n * n: 1 row wins, -1 column wins, 0 not asked, 2 failed */
	size_t *li, *ri, *oi;    /* per merge: taken from the left run, from the right, written */
	size_t *need_a, *need_b; /* the comparisons the merges wait for */
	size_t n_need, n_cmp, n_valid_cmp;
	int both;                /* each pair asked in both orders */
} merge_sort;

/* Advances every merge of the level as far as the comparisons answered allow (a failed one
 * keeps graph order); each merge stops at its first pair not yet asked. Returns the number
 * of such pairs. */
static size_t advance_merges(merge_sort *s)
{
	size_t n = s->n, width = s->width, k;

	s->n_need = 0;
	for (k = 0; k < s->n_merges; k++) {
		size_t lo = k * 2 * width, mid = lo + width < n ? lo + width : n;
		size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
		for (;;) {
			size_t a, b;
			signed char w;
			if (lo + s->li[k] >= mid || mid + s->ri[k] >= hi) {
				while (lo + s->li[k] < mid)
					s->next[lo + s->oi[k]++] = s->cur[lo + s->li[k]++];
				while (mid + s->ri[k] < hi)
					s->next[lo + s->oi[k]++] = s->cur[mid + s->ri[k]++];
				break;
			}
			a = s->cur[lo + s->li[k]];
			b = s->cur[mid + s->ri[k]];
			w = s->memo[a * n + b];
			if (w == 0) {
				s->need_a[s->n_need] = a;
				s->need_b[s->n_need] = b;
				s->n_need++;
				break;
			}
			if (w == 1 || (w == 2 && a < b)) {
				s->next[lo + s->oi[k]++] = a;
				s->li[k]++;
			} else {
				s->next[lo + s->oi[k]++] = b;
				s->ri[k]++;
			}
		}
	}
	return s->n_need;
}

/* Asks the comparisons the merges wait for, in both orders when bootstrapping, in one run
 * of jobs. A pair is decided only when every order gives one valid winner and the orders
 * agree, so that its place in the prompt does not decide it; otherwise it is marked failed. */
static int compare_pending(ctx *c, outcome *oc, merge_sort *s, job *jobs)
{
	size_t n = s->n, q;
	int error = 0, both = s->both;

	for (q = 0; q < s->n_need && !error; q++) {
		size_t ab[2] = { s->need_a[q], s->need_b[q] }, ba[2] = { s->need_b[q], s->need_a[q] };
		error = job_prepare(c, &jobs[q * (both ? 2 : 1)], ab, 2);
		if (!error && both)
			error = job_prepare(c, &jobs[q * 2 + 1], ba, 2);
	}
	if (!error)
		error = run_jobs(c, jobs, s->n_need * (both ? 2 : 1));
	for (q = 0; q < s->n_need && !error; q++) {
		size_t a = s->need_a[q], b = s->need_b[q], win1, win2 = 0;
		job *j1 = &jobs[q * (both ? 2 : 1)], *j2 = both ? j1 + 1 : NULL;
		int ok = j1->ok && j1->reply.n == 1 && (!j2 || (j2->ok && j2->reply.n == 1));
		s->n_cmp++;
		if (ok) {
			win1 = j1->reply.entries[0].cand;
			if (j2)
				win2 = j2->reply.entries[0].cand;
			ok = !j2 || win1 == win2;
		}
		if (!ok) {
			s->memo[a * n + b] = s->memo[b * n + a] = 2;
			continue;
		}
		s->n_valid_cmp++;
		s->memo[a * n + b] = win1 == a ? 1 : -1;
		s->memo[b * n + a] = win1 == b ? 1 : -1;
		oc[a].valid = oc[b].valid = 1;
		offer_entry(&oc[win1], &j1->reply.entries[0]);
	}
	return error;
}

/* One level of the bottom-up merge sort, runs of width merged into runs of twice that
 * (into s->next): as many rounds of questions as its longest merge needs, not one per
 * comparison. */
static int merge_level(ctx *c, outcome *oc, merge_sort *s, size_t width)
{
	size_t n_merges = (s->n + 2 * width - 1) / (2 * width), n_jobs;
	job *jobs;
	int error = 0;

	s->width = width;
	s->n_merges = n_merges;
	s->li = calloc(n_merges, sizeof(size_t));
	s->ri = calloc(n_merges, sizeof(size_t));
	s->oi = calloc(n_merges, sizeof(size_t));
	s->need_a = malloc(n_merges * sizeof(size_t));
	s->need_b = malloc(n_merges * sizeof(size_t));
	if (!s->li || !s->ri || !s->oi || !s->need_a || !s->need_b) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	/* a round that could not ask its questions ends the level with its error: asking the
	 * same comparisons again would not do better */
	while (!error && advance_merges(s)) {
		n_jobs = s->n_need * (s->both ? 2 : 1);
		if (!(jobs = calloc(n_jobs, sizeof(*jobs)))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			break;
		}
		if ((error = keep_jobs(c, jobs, n_jobs)) < 0) {
			free(jobs);
			break;
		}
		error = compare_pending(c, oc, s, jobs);
	}
cleanup:
	free(s->li);
	free(s->ri);
	free(s->oi);
	free(s->need_a);
	free(s->need_b);
	s->li = s->ri = s->oi = s->need_a = s->need_b = NULL;
	return error;
}

static int rank_pairwise(ctx *c, outcome *oc)
{
	size_t n = c->in->n_cands, width, i;
	merge_sort s;
	int error = 0;

	memset(&s, 0, sizeof(s));
	s.n = n;
	s.both = c->o->boots >= 2;
	s.cur = malloc((n ? n : 1) * sizeof(size_t));
	s.next = malloc((n ? n : 1) * sizeof(size_t));
	s.memo = calloc(n ? n * n : 1, 1);
	if (!s.cur || !s.next || !s.memo) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		s.cur[i] = i;
	c->res->stats.boots_run = s.both ? 2 : 1;
	for (width = 1; width < n; width *= 2) {
		if ((error = merge_level(c, oc, &s, width)))
			goto cleanup;
		memcpy(s.cur, s.next, n * sizeof(size_t));
	}
	if (n > 1 && !s.n_valid_cmp) {
		fallback_graph(c, oc);
		error = note(c->res, "no usable LLM comparison; graph order kept");
		goto cleanup;
	}
	scores_from_order(oc, s.cur, n);
	if (s.n_valid_cmp < s.n_cmp)
		error = note(c->res, "%zu of %zu comparisons failed or disagreed across orders; graph order decided them",
			s.n_cmp - s.n_valid_cmp, s.n_cmp);
cleanup:
	free(s.cur);
	free(s.next);
	free(s.memo);
	return error;
}

/* ---- entry points ---- */

static void ctx_free(ctx *c)
{
	size_t i;
	for (i = 0; i < c->n_kept; i++)
		free_jobs(c->kept[i], c->kept_len[i]);
	free(c->kept);
	free(c->kept_len);
	kgr__template_free(c->tpl);
}

/* The exchanges of a run, in the order they were made, for the audit trail. */
static int build_trace(kgr_llm_trace **out, const ctx *c)
{
	kgr_llm_trace *t = calloc(1, sizeof(*t));
	size_t a, i, k, n = 0;
	if (!t)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (a = 0; a < c->n_kept; a++)
		n += c->kept_len[a];
	if (!(t->exchanges = calloc(n ? n : 1, sizeof(*t->exchanges))))
		goto oom;
	for (a = 0; a < c->n_kept; a++)
		for (i = 0; i < c->kept_len[a]; i++) {
			const job *j = &c->kept[a][i];
			kgr_llm_exchange *x = &t->exchanges[t->n];
			if (!j->system)
				continue; /* never prepared (bootstrapping stopped early) */
			t->n++;
			x->acct = j->req.acct;
			if (!(x->system = strdup(j->system)) || !(x->user = strdup(j->user)))
				goto oom;
			/* the reply used, else the last one validation refused */
			if ((j->req.content || j->req.rejected) &&
				!(x->reply = strdup(j->req.content ? j->req.content : j->req.rejected)))
				goto oom;
			if (!j->ok && j->req.error[0] && !(x->error = strdup(j->req.error)))
				goto oom;
			if (!(x->facts = malloc((j->view.n_facts ? j->view.n_facts : 1) * sizeof(kgr_edge))) ||
				!(x->cands = malloc((j->view.n_cands ? j->view.n_cands : 1) * sizeof(kgr_id))))
				goto oom;
			for (k = 0; k < j->view.n_facts; k++)
				x->facts[k] = c->in->facts[j->view.facts[k]].edge;
			x->n_facts = j->view.n_facts;
			for (k = 0; k < j->view.n_cands; k++)
				x->cands[k] = c->in->cands[j->view.cands[k]].item;
			x->n_cands = j->view.n_cands;
		}
	*out = t;
	return 0;
oom:
	kgr_llm_trace_free(t);
	return kgr__error_set(KGR_ENOMEM, "out of memory");
}

int kgr__llm_rank_input(kgr_llm_result **out, const kgr__llm_input *in, const kgr_llm_options *opts)
{
	return kgr__llm_rank_input_ex(out, NULL, in, opts, NULL, NULL);
}

int kgr__llm_rank_input_ex(kgr_llm_result **out, kgr_llm_trace **trace_out, const kgr__llm_input *in,
	const kgr_llm_options *opts, kgr__llm_answer_cb answer, void *payload)
{
	kgr_llm_options defaults = KGR_LLM_OPTIONS_INIT;
	kgr_llm_result *res = NULL;
	outcome *oc = NULL;
	ctx c;
	double t0 = kgr__now_ms();
	int error;

	*out = NULL;
	if (trace_out)
		*trace_out = NULL;
	memset(&c, 0, sizeof(c));
	c.answer = answer;
	c.answer_payload = payload;
	if (!opts)
		opts = &defaults;
	if ((error = kgr__llm_options_check(opts, 0)))
		return error;
	if (!(res = calloc(1, sizeof(*res))) || !(oc = calloc(in->n_cands ? in->n_cands : 1, sizeof(*oc)))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	res->user = in->user;
	c.in = in;
	c.o = opts;
	c.res = res;
	c.end_ms = opts->deadline_ms > 0 ? t0 + (double)opts->deadline_ms : 0;
	c.use_cache = opts->cache_dir && *opts->cache_dir && !opts->no_cache && !answer;
	switch (opts->mode) {
	case KGR_LLM_POINTWISE:
		c.parse = kgr__reply_rating, c.schema_name = "rating", c.schema = rating_schema;
		break;
	case KGR_LLM_PAIRWISE:
		c.parse = kgr__reply_preference, c.schema_name = "preference", c.schema = preference_schema;
		break;
	default:
		c.parse = kgr__reply_ranking, c.schema_name = "ranking", c.schema = ranking_schema;
	}
	if ((error = kgr__template_load(&c.tpl, opts->prompt_dir, kgr__template_name(opts->mode, opts->history))))
		goto cleanup;
	if (!in->n_cands) {
		error = note(res, "no candidates to rank");
	} else if (!answer && (!opts->base_url || !*opts->base_url || !opts->model || !*opts->model)) {
		fallback_graph(&c, oc);
		error = note(res, "no LLM configured (base_url and model); graph order kept");
	} else if (opts->mode == KGR_LLM_POINTWISE) {
		error = rank_pointwise(&c, oc);
	} else if (opts->mode == KGR_LLM_PAIRWISE) {
		error = rank_pairwise(&c, oc);
	} else {
		error = rank_listwise(&c, oc);
	}
	if (!error && res->stats.ids_unknown)
		error = note(res, "%zu ranked id(s) outside the candidate set dropped", res->stats.ids_unknown);
	if (!error && res->stats.ids_duplicate)
		error = note(res, "%zu duplicate id(s) dropped", res->stats.ids_duplicate);
	if (!error && res->stats.citations_invalid)
		error = note(res, "%zu cited fact id(s) not given for that candidate removed; rationale marked ungrounded",
			res->stats.citations_invalid);
	if (!error)
		error = build_items(&c, oc);
	if (!error && trace_out)
		error = build_trace(trace_out, &c);
	res->stats.latency_ms = kgr__now_ms() - t0;
cleanup:
	ctx_free(&c);
	free(oc);
	if (error) {
		kgr_llm_result_free(res);
		return error;
	}
	*out = res;
	return 0;
}

int kgr__llm_render_input(char **out, const kgr__llm_input *in, const kgr_llm_options *opts)
{
	kgr_llm_options defaults = KGR_LLM_OPTIONS_INIT;
	kgr__template *t = NULL;
	kgr__prompt_view view;
	kgr__buf b = { 0 };
	char *sys = NULL, *usr = NULL;
	size_t order[2] = { 0, 1 }, *all = NULL, i, n;
	int error;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if ((error = kgr__llm_options_check(opts, 0)))
		return error;
	if ((error = kgr__template_load(&t, opts->prompt_dir, kgr__template_name(opts->mode, opts->history))))
		return error;
	n = in->n_cands;
	if (opts->mode == KGR_LLM_POINTWISE)
		n = n < 1 ? n : 1;
	else if (opts->mode == KGR_LLM_PAIRWISE)
		n = n < 2 ? n : 2;
	if (opts->mode == KGR_LLM_POINTWISE || opts->mode == KGR_LLM_PAIRWISE) {
		error = kgr__prompt_render(&sys, &usr, &view, t, in, order, n, opts);
	} else {
		if (!(all = malloc((n ? n : 1) * sizeof(size_t)))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		for (i = 0; i < n; i++)
			all[i] = i;
		error = kgr__prompt_render(&sys, &usr, &view, t, in, all, n, opts);
	}
	if (error)
		goto cleanup;
	kgr__prompt_view_free(&view);
	kgr__buf_puts(&b, "### system\n");
	kgr__buf_puts(&b, sys);
	kgr__buf_puts(&b, "\n### user\n");
	kgr__buf_puts(&b, usr);
	kgr__buf_puts(&b, "\n");
	if (!(*out = kgr__buf_take(&b)))
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
cleanup:
	kgr__buf_free(&b);
	free(all);
	free(sys);
	free(usr);
	kgr__template_free(t);
	return error;
}

void kgr_llm_result_free(kgr_llm_result *res)
{
	size_t i;
	if (!res)
		return;
	for (i = 0; i < res->n; i++) {
		free(res->items[i].rationale);
		free(res->items[i].cited);
	}
	for (i = 0; i < res->n_notes; i++)
		free(res->notes[i]);
	free(res->items);
	free(res->notes);
	free(res->calls);
	free(res);
}

int kgr_llm_apply(kgr_recs *recs, const kgr_llm_result *res)
{
	kgr_rec_item *items;
	char **notes;
	size_t i, j;

	if (recs->n != res->n)
		return kgr__error_set(KGR_EINVALID, "LLM result has %zu items, the list %zu", res->n, recs->n);
	for (i = 0; i < res->n; i++)
		if (res->items[i].graph_rank >= recs->n ||
			recs->items[res->items[i].graph_rank].item != res->items[i].item)
			return kgr__error_set(KGR_EINVALID, "LLM result item %zu is not in the list", i);
	if (!(items = malloc((recs->n ? recs->n : 1) * sizeof(*items))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	notes = realloc(recs->notes, (recs->n_notes + res->n_notes + 1) * sizeof(char *));
	if (!notes) {
		free(items);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	recs->notes = notes;
	for (j = 0; j < res->n_notes; j++) {
		char *s = strdup(res->notes[j]);
		if (!s) {
			free(items);
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		}
		recs->notes[recs->n_notes++] = s;
	}
	for (i = 0; i < res->n; i++) {
		const kgr_llm_item *li = &res->items[i];
		items[i] = recs->items[li->graph_rank];
		items[i].score = li->score;
		if (li->grounded && li->rationale) {
			char *r = strdup(li->rationale);
			if (r) {
				free(items[i].rationale);
				items[i].rationale = r;
			}
		}
	}
	memcpy(recs->items, items, recs->n * sizeof(*items));
	free(items);
	return 0;
}
