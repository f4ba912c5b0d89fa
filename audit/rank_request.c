/* One recommendation request: retrieve, re-rank with the LLM when asked, cut to k, audit.
 * The command line, the service, audit replay and eval all rank through here. */
#include "audit/audit_internal.h"
#include "kg/internal.h"
#include "ranker/llm_internal.h"

#include "kgrec/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void kgr_rank_options_init(kgr_rank_options *opts)
{
	kgr_rank_options d = KGR_RANK_OPTIONS_INIT;
	*opts = d;
}

int64_t kgr_rank_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void kgr_ranking_clear(kgr_ranking *r)
{
	if (!r)
		return;
	kgr_recs_free(r->recs);
	if (r->candidates) {
		size_t i;
		for (i = 0; i < r->candidates->n; i++)
			free(r->candidates->items[i].rationale);
		free(r->candidates->items);
		free(r->candidates);
	}
	kgr_llm_result_free(r->llm);
	kgr_llm_trace_free(r->trace);
	memset(r, 0, sizeof(*r));
}

/* A copy of the graph list before re-ranking: the re-ranking reorders the items and may
 * replace their rationales, so the copy owns its item array and its rationales (the graph's,
 * which the audit record shows beside the model's) and has no pattern counts. */
static int keep_candidates(kgr_recs **out, const kgr_recs *recs)
{
	kgr_recs *c = calloc(1, sizeof(*c));
	size_t i;
	if (!c || !(c->items = malloc((recs->n ? recs->n : 1) * sizeof(*c->items)))) {
		free(c);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	memcpy(c->items, recs->items, recs->n * sizeof(*c->items));
	for (i = 0; i < recs->n; i++) {
		c->items[i].patterns = NULL;
		c->items[i].n_patterns = 0;
		if (recs->items[i].rationale && !(c->items[i].rationale = strdup(recs->items[i].rationale))) {
			while (i--)
				free(c->items[i].rationale);
			free(c->items);
			free(c);
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		}
	}
	c->user = recs->user;
	c->cold_start = recs->cold_start;
	c->n = recs->n;
	c->n_candidates = recs->n_candidates;
	c->n_notes = 0;
	c->notes = NULL;
	c->n_matches = 0;
	c->matches = NULL;
	*out = c;
	return 0;
}

/* The LLM ranking of out->recs, applied to it. *lo is the caller's copy of the options: its
 * deadline becomes what the request has left. */
static int llm_rerank(kgr_ranking *out, const kgr_store *store, kgr_id user, const kgr_rank_options *o,
	kgr_llm_options *lo, kgr__llm_answer_cb answer, void *payload)
{
	const kgr_interaction *hist = o->history;
	size_t n_hist = o->n_history;
	kgr__llm_input *in = NULL;
	int error;

	if (!hist)
		hist = kgr__user_history(store, user, o->rec.at, &n_hist);
	if (o->deadline_ms > 0) {
		int64_t t0 = o->started_us ? o->started_us : kgr_rank_now_us();
		long left = o->deadline_ms - (long)((kgr_rank_now_us() - t0) / 1000) - o->reserve_ms;
		if (left < 1)
			return kgr__error_set(KGR_ETIMEOUT, "the deadline of %ld ms passed before the LLM "
				"was asked", o->deadline_ms);
		lo->deadline_ms = left;
	}
	out->llm_deadline_ms = lo->deadline_ms;
	if (o->llm_begin)
		o->llm_begin(o->payload);
	error = kgr__llm_input_from_store(&in, store, out->recs, hist, n_hist, lo);
	if (!error)
		error = kgr__llm_rank_input_ex(&out->llm, o->audit ? &out->trace : NULL, in, lo, answer, payload);
	kgr__llm_input_free(in);
	if (o->llm_end)
		o->llm_end(o->payload);
	if (!error)
		error = kgr_llm_apply(out->recs, out->llm);
	return error;
}

static int audit(kgr_ranking *out, const kgr_store *store, kgr_id user, const kgr_rank_options *o,
	const kgr_rec_options *ro, const kgr_llm_options *lo)
{
	kgr_audit_entry ae = KGR_AUDIT_ENTRY_INIT;
	if (o->audit_entry) {
		ae.id = o->audit_entry->id;
		ae.store_path = o->audit_entry->store_path;
		ae.user_text = o->audit_entry->user_text;
		ae.graph_config = o->audit_entry->graph_config;
		ae.weights_path = o->audit_entry->weights_path;
		ae.model_path = o->audit_entry->model_path;
		ae.sequence_path = o->audit_entry->sequence_path;
	}
	ae.model = o->model;
	ae.user = user;
	ae.rec = ro;
	ae.candidates = out->candidates;
	if (out->llm) {
		ae.llm = lo;
		ae.llm_result = out->llm;
		ae.llm_trace = out->trace;
	}
	ae.final = out->recs;
	return kgr_audit_write(o->audit, store, &ae, out->audit_id);
}

/* A note at the end of a list's notes. */
static int add_note(kgr_recs *r, const char *text)
{
	char **nn = realloc(r->notes, (r->n_notes + 1) * sizeof(char *));
	if (!nn)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	r->notes = nn;
	if (!(r->notes[r->n_notes] = strdup(text)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	r->n_notes++;
	return 0;
}

int kgr__rank_request_ex(kgr_ranking *out, const kgr_graph *graph, kgr_id user,
	const kgr_rank_options *o, kgr__llm_answer_cb answer, void *payload)
{
	const kgr_store *store = kgr_graph_store(graph);
	kgr_rec_options ro = o->rec;
	kgr_llm_options lo;
	int error;

	KGR__CHECK_VERSION(o, KGR_RANK_OPTIONS_VERSION, "rank options");
	if (o->llm) {
		lo = *o->llm;
		ro.explain = 1; /* the LLM is given the evidence paths as facts */
		if (ro.k < o->llm_candidates)
			ro.k = o->llm_candidates;
		if (ro.n_candidates < ro.k)
			ro.n_candidates = ro.k;
	}
	if (o->model) {
		/* a model fitted with the sequence model's scores reads them from ro.sequence;
		 * another model reads the graph formula's score as a feature, which the sequence
		 * model's part must not change */
		int had_sequence = ro.sequence != NULL && !kgr_model_uses_sequence(o->model);
		if (had_sequence)
			ro.sequence = NULL;
		error = kgr_learned_recommend(&out->recs, graph, o->model, user, &ro);
		if (!error && had_sequence)
			error = add_note(out->recs, "the learned ranker ordered this list: the sequence "
				"model is not one of its features");
	} else {
		error = kgr_recommend(&out->recs, graph, user, &ro);
	}
	if (error < 0) {
		out->failed = KGR_STAGE_RETRIEVE;
		return error;
	}
	if ((o->keep_candidates || o->audit) && (error = keep_candidates(&out->candidates, out->recs)) < 0)
		return error;
	if (o->llm) {
		if ((error = llm_rerank(out, store, user, o, &lo, answer, payload)) < 0) {
			if (!o->llm_fallback) {
				out->failed = KGR_STAGE_LLM;
				return error;
			}
			out->llm_failed = 1;
			snprintf(out->llm_error, sizeof(out->llm_error), "%s", kgr_error_last());
			kgr_llm_result_free(out->llm);
			kgr_llm_trace_free(out->trace);
			out->llm = NULL;
			out->trace = NULL;
		}
		kgr_recs_truncate(out->recs, o->rec.k);
	}
	if (o->audit && (error = audit(out, store, user, o, &ro, o->llm ? &lo : NULL)) < 0) {
		out->failed = KGR_STAGE_AUDIT;
		return error;
	}
	return 0;
}

int kgr_rank_request(kgr_ranking *out, const kgr_graph *graph, kgr_id user, const kgr_rank_options *opts)
{
	return kgr__rank_request_ex(out, graph, user, opts, NULL, NULL);
}
