/* Ranking with the learned model: candidates and features (ltr_features.c), the model's
 * order, then evidence from the graph (kgr_explain()) and the per-feature contributions for
 * the items shown. */
#include "ranker/ltr_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	size_t i;      /* candidate index */
	float score;
} ordered;

static int by_score(const void *pa, const void *pb)
{
	const ordered *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i; /* the graph's order, then the item-kNN's */
}

static int add_note(kgr_recs *r, const char *text)
{
	char **p = realloc(r->notes, (r->n_notes + 1) * sizeof(*p));
	if (!p)
		return -1;
	r->notes = p;
	if (!(p[r->n_notes] = strdup(text)))
		return -1;
	r->n_notes++;
	return 0;
}

/* Moves the graph's list-level fields (notes, matches, constraints, cold start) into r. */
static void take_list(kgr_recs *r, kgr_recs *graph)
{
	size_t i, m = 0;
	r->user = graph->user;
	r->cold_start = graph->cold_start;
	/* the graph's notes on its own list length speak of the candidate count, not of k */
	for (i = 0; i < graph->n_notes; i++) {
		if (!strncmp(graph->notes[i], "only ", 5) || !strncmp(graph->notes[i], "candidates raised", 17))
			free(graph->notes[i]);
		else
			graph->notes[m++] = graph->notes[i];
	}
	r->notes = graph->notes;
	r->n_notes = m;
	r->matches = graph->matches;
	r->n_matches = graph->n_matches;
	graph->notes = NULL;
	graph->n_notes = 0;
	graph->matches = NULL;
	graph->n_matches = 0;
	r->constraints = graph->constraints;
	r->n_constraints = graph->n_constraints;
	graph->constraints = NULL;
	graph->n_constraints = 0;
}

static int by_contribution(const void *pa, const void *pb)
{
	const kgr_contrib *a = pa, *b = pb;
	double x = fabs(a->contribution), y = fabs(b->contribution);
	if (x != y)
		return x > y ? -1 : 1;
	return strcmp(a->feature, b->feature);
}

static int fill_contribs(const kgr_model *m, kgr_recs *r, const float *rows)
{
	size_t i, k, w = KGR__LTR_NF + 1;
	float *c = malloc((r->n ? r->n : 1) * w * sizeof(float));
	int error;
	if (!c)
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	if ((error = kgr__ltr_contribs(m, rows, r->n, c)) < 0) {
		free(c);
		return error;
	}
	for (i = 0; i < r->n; i++) {
		kgr_rec_item *it = &r->items[i];
		const float *ci = c + i * w;
		if (!(it->contribs = calloc(w, sizeof(kgr_contrib)))) {
			free(c);
			return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		}
		it->n_contribs = w;
		for (k = 0; k < KGR__LTR_NF; k++) {
			it->contribs[k].feature = kgr_learned_feature_name(k);
			it->contribs[k].value = rows[i * KGR__LTR_NF + k];
			it->contribs[k].contribution = ci[k];
			if (k < KGR_FEAT__COUNT)
				it->parts[k] = ci[k];
		}
		it->contribs[KGR__LTR_NF].feature = "bias";
		it->contribs[KGR__LTR_NF].contribution = ci[KGR__LTR_NF];
		qsort(it->contribs, w, sizeof(kgr_contrib), by_contribution);
	}
	free(c);
	return 0;
}

/* Moves the evidence of src (paths, patterns, rationale) into it. */
static void take_evidence(kgr_rec_item *it, kgr_rec_item *src)
{
	it->n_paths = src->n_paths;
	memcpy(it->paths, src->paths, sizeof(it->paths));
	it->rationale = src->rationale;
	it->patterns = src->patterns;
	it->n_patterns = src->n_patterns;
	src->rationale = NULL;
	src->patterns = NULL;
	src->n_patterns = 0;
}

/* The evidence of the candidates ord[from .. from + n) in one request context. */
static int evidence_of(kgr_recs **out, const kgr_graph *g, const kgr__ltr_cands *c,
	const ordered *ord, size_t from, size_t n, kgr_id user)
{
	kgr_id *ids = malloc((n + 1) * sizeof(*ids));
	size_t i;
	int error;
	if (!ids)
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	for (i = 0; i < n; i++)
		ids[i] = g->node_id[c->node[ord[from + i].i]];
	error = kgr__explain_items(out, g, user, ids, n, 3);
	free(ids);
	return error;
}

int kgr__learned_rank(kgr_recs **out, const kgr_graph *g, const kgr_model *m, kgr_id user,
	const kgr_rec_options *o, size_t n_checked, int contribs)
{
	kgr__ltr_cands c;
	kgr_recs *r = NULL, *ev = NULL; /* ev: evidence of ord[ev_from ..], ev_at used */
	size_t ev_from = 0, ev_at = 0;
	ordered *ord = NULL;
	float *score = NULL, *rows = NULL;
	size_t i, n = 0;
	int error;

	const kgr_seq_model *seq = m->uses_seq ? (o->sequence ? o->sequence : m->seq) : NULL;

	*out = NULL;
	if (m->uses_seq && !seq)
		return kgr__error_set(KGR_EINVALID, "learned ranker: the model was fitted with the "
			"sequence model's scores, and none is loaded (kgrec: --sequence FILE)");
	if ((error = kgr__ltr_candidates(&c, g, user, o, m->n_graph, m->n_knn, m->n_seq, seq)) < 0)
		return error;
	if (!(r = calloc(1, sizeof(*r))) || !(score = malloc((c.n + 1) * sizeof(float))) ||
		!(ord = malloc((c.n + 1) * sizeof(*ord))) ||
		!(r->items = calloc(c.n + 1, sizeof(kgr_rec_item))) ||
		!(rows = malloc((c.n + 1) * KGR__LTR_NF * sizeof(float)))) {
		error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		goto done;
	}
	take_list(r, c.graph);
	r->n_candidates = c.n;
	if ((error = kgr__ltr_predict(m, c.x, c.n, score)) < 0)
		goto done;
	for (i = 0; i < c.n; i++) {
		ord[i].i = i;
		ord[i].score = score[i];
	}
	qsort(ord, c.n, sizeof(*ord), by_score);
	for (i = 0; i < c.n; i++) {
		size_t ci = ord[i].i;
		kgr_rec_item *it = &r->items[n];
		if (n < n_checked && (o->explain || o->require_path)) {
			/* evidence for as many as are still to be checked, all in one request */
			if (!ev || ev_at == ev->n) {
				kgr_recs_free(ev);
				ev = NULL;
				ev_from = i;
				ev_at = 0;
				if ((error = evidence_of(&ev, g, &c, ord, i, n_checked - n < c.n - i ?
					     n_checked - n : c.n - i, user)) < 0)
					goto done;
			}
			if (o->require_path && ev->items[i - ev_from].n_paths == 0) {
				ev_at++;
				continue;
			}
			if (o->explain)
				take_evidence(it, &ev->items[i - ev_from]);
			ev_at++;
		}
		it->item = g->node_id[c.node[ci]];
		it->score = ord[i].score;
		if (c.graph_ix[ci] >= 0) {
			const kgr_rec_item *gi = &c.graph->items[c.graph_ix[ci]];
			memcpy(it->features, gi->features, sizeof(it->features));
			it->generators = gi->generators;
		} else {
			it->features[KGR_FEAT_ITEMPOP] = c.x[ci * KGR__LTR_NF + KGR_FEAT_ITEMPOP];
		}
		memcpy(rows + n * KGR__LTR_NF, c.x + ci * KGR__LTR_NF, KGR__LTR_NF * sizeof(float));
		n++;
	}
	r->n = n;
	if (contribs) {
		size_t keep = r->n;
		r->n = n < n_checked ? n : n_checked;
		error = fill_contribs(m, r, rows);
		r->n = keep;
		if (error < 0)
			goto done;
	}
	if (kgr_store_checksum(kgr_graph_store(g)) != m->snapshot_sum) {
		char note[160], snap[17];
		kgr_store_checksum_hex(kgr_graph_store(g), snap);
		snprintf(note, sizeof(note), "the learned model was fitted on snapshot %s; this store is %s",
			m->snapshot, snap);
		if (add_note(r, note) < 0) {
			error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
			goto done;
		}
	}
	*out = r;
	r = NULL;
done:
	kgr_recs_free(ev);
	kgr_recs_free(r);
	kgr__ltr_cands_free(&c);
	free(score);
	free(ord);
	free(rows);
	return error;
}

int kgr_learned_recommend(kgr_recs **out, const kgr_graph *g, const kgr_model *m, kgr_id user,
	const kgr_rec_options *o)
{
	kgr_rec_options defaults = KGR_REC_OPTIONS_INIT;
	int error;
	*out = NULL;
	kgr_init();
	if (!o)
		o = &defaults;
	if (!m)
		return kgr__error_set(KGR_EINVALID, "learned ranker: no model");
	KGR__CHECK_VERSION(o, KGR_REC_OPTIONS_VERSION, "recommend");
	if (o->k < 1 || o->k > KGR_MAX_K)
		return kgr__error_set(KGR_EINVALID, "k must be between 1 and %d (got %zu)", KGR_MAX_K, o->k);
	if ((error = kgr__learned_rank(out, g, m, user, o, o->k, 1)) < 0)
		return error;
	kgr_recs_truncate(*out, o->k);
	if ((*out)->n < o->k) {
		char note[200];
		snprintf(note, sizeof(note), "only %zu of %zu items could be recommended: nothing else "
			"among the %zu candidates%s", (*out)->n, o->k, (*out)->n_candidates,
			o->require_path ? " with an evidence path" : "");
		if (add_note(*out, note) < 0) {
			kgr_recs_free(*out);
			*out = NULL;
			return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		}
	}
	return 0;
}
