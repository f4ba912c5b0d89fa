/* Ranking with the learned model: candidates and features (ltr_features.c), the model's
 * order, then evidence from the graph (kgr_explain()) and the per-feature contributions for
 * the items shown. */
#include "ranker/ltr_internal.h"

#include <math.h>
#include <pthread.h>
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

/* 1: a comes before b (by_score()'s order). */
static int ord_before(const ordered *a, const ordered *b)
{
	return a->score != b->score ? a->score > b->score : a->i < b->i;
}

/* Puts the best `want` of ord[0 .. n) first, in by_score()'s order (the rest after them in
 * no order): a heap of the best so far, where sorting all n would order hundreds of
 * candidates to show ten. Returns how many are in place (n when it sorted them all). */
static size_t best_first(ordered *ord, size_t n, size_t want)
{
	size_t *h, i, m = 0, j, k, t;
	ordered *best;
	unsigned char *in;
	if (want >= n || !(h = malloc(want * sizeof(*h)))) {
		qsort(ord, n, sizeof(*ord), by_score);
		return n;
	}
	if (!(in = calloc(n, 1)) || !(best = malloc(want * sizeof(*best)))) {
		free(in);
		free(h);
		qsort(ord, n, sizeof(*ord), by_score);
		return n;
	}
	for (i = 0; i < n; i++) { /* h: positions of the best seen, the worst of them on top */
		if (m == want && !ord_before(&ord[i], &ord[h[0]]))
			continue;
		if (m < want) {
			for (j = m++, h[j] = i; j && ord_before(&ord[h[(j - 1) / 2]], &ord[h[j]]);
				j = (j - 1) / 2) {
				t = h[j];
				h[j] = h[(j - 1) / 2];
				h[(j - 1) / 2] = t;
			}
			continue;
		}
		h[0] = i;
		for (j = 0;;) {
			size_t l = 2 * j + 1, w = j;
			if (l < m && ord_before(&ord[h[w]], &ord[h[l]]))
				w = l;
			if (l + 1 < m && ord_before(&ord[h[w]], &ord[h[l + 1]]))
				w = l + 1;
			if (w == j)
				break;
			t = h[j];
			h[j] = h[w];
			h[w] = t;
			j = w;
		}
	}
	for (j = 0; j < m; j++) {
		in[h[j]] = 1;
		best[j] = ord[h[j]];
	}
	qsort(best, m, sizeof(*best), by_score);
	for (i = 0, k = 0; i < n; i++) /* the others after them, in their order */
		if (!in[i])
			ord[k++] = ord[i];
	memmove(ord + m, ord, k * sizeof(*ord));
	memcpy(ord, best, m * sizeof(*best));
	free(h);
	free(in);
	free(best);
	return m;
}

/* Makes ord[0 .. upto) sorted when ord[0 .. *sorted) is (and holds the best): the best of
 * the rest put after them, as many again as asked for. */
static void sorted_upto(ordered *ord, size_t n, size_t *sorted, size_t upto)
{
	if (upto > *sorted && *sorted < n)
		*sorted += best_first(ord + *sorted, n - *sorted, 2 * (upto - *sorted) + 8);
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

/* Each feature's place in the names' order ("bias" last of the KGR__LTR_NF + 1), so that
 * contributions the same in size are ordered by a number, not by comparing names. */
static uint16_t name_place[KGR__LTR_NF + 1];
static pthread_once_t name_once = PTHREAD_ONCE_INIT;

static const char *contrib_name(size_t k)
{
	return k < KGR__LTR_NF ? kgr_learned_feature_name(k) : "bias";
}

static int by_name(const void *pa, const void *pb)
{
	return strcmp(contrib_name(*(const uint16_t *)pa), contrib_name(*(const uint16_t *)pb));
}

static void name_places(void)
{
	uint16_t ix[KGR__LTR_NF + 1];
	size_t k;
	for (k = 0; k <= KGR__LTR_NF; k++)
		ix[k] = (uint16_t)k;
	qsort(ix, KGR__LTR_NF + 1, sizeof(ix[0]), by_name);
	for (k = 0; k <= KGR__LTR_NF; k++)
		name_place[ix[k]] = (uint16_t)k;
}

typedef struct {
	double size;   /* |contribution| */
	uint16_t place, k;
} contrib_key;

/* 1: a comes before b: the larger contribution first, then the feature's name. */
static int contrib_before(const contrib_key *a, const contrib_key *b)
{
	return a->size != b->size ? a->size > b->size : a->place < b->place;
}

/* The contributions of the items shown, from the leaves their rows reached when the
 * prediction kept them (leaves not NULL: rows_of[i] is item i's candidate among n_cands),
 * else by walking their rows again. */
static int fill_contribs(const kgr_model *m, kgr_recs *r, const float *rows,
	const uint8_t *leaves, size_t n_cands, const size_t *row_of)
{
	size_t i, k, w = KGR__LTR_NF + 1;
	float *c = malloc((r->n ? r->n : 1) * w * sizeof(float));
	int error;
	if (!c)
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	if (leaves)
		kgr__ltr_trees_contribs_leaves(m->trees, leaves, n_cands, row_of, r->n, c);
	else if ((error = kgr__ltr_contribs(m, rows, r->n, c)) < 0) {
		free(c);
		return error;
	}
	pthread_once(&name_once, name_places);
	for (i = 0; i < r->n; i++) {
		kgr_rec_item *it = &r->items[i];
		const float *ci = c + i * w;
		contrib_key key[KGR__LTR_NF + 1];
		if (!(it->contribs = calloc(w, sizeof(kgr_contrib)))) {
			free(c);
			return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		}
		it->n_contribs = w;
		for (k = 0; k < w; k++) {
			key[k].size = fabs((double)ci[k]);
			key[k].place = name_place[k];
			key[k].k = (uint16_t)k;
		}
		for (k = 1; k < w; k++) { /* by insertion: a few dozen, most of them zero */
			contrib_key x = key[k];
			size_t j;
			for (j = k; j > 0 && contrib_before(&x, &key[j - 1]); j--)
				key[j] = key[j - 1];
			key[j] = x;
		}
		for (k = 0; k < w; k++) {
			size_t f = key[k].k;
			it->contribs[k].feature = contrib_name(f);
			it->contribs[k].value = f < KGR__LTR_NF ? rows[i * KGR__LTR_NF + f] : 0;
			it->contribs[k].contribution = ci[f];
		}
		for (k = 0; k < KGR_FEAT__COUNT; k++)
			it->parts[k] = ci[k];
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
	const kgr_rec_options *o, size_t n_checked, size_t n_keep, int contribs)
{
	kgr__ltr_cands c;
	kgr_recs *r = NULL, *ev = NULL; /* ev: evidence of ord[ev_from ..], ev_at used */
	size_t ev_from = 0, ev_at = 0;
	ordered *ord = NULL;
	float *score = NULL, *rows = NULL;
	uint8_t *leaves = NULL; /* the leaf of each candidate in each tree, when the walk gives it */
	size_t i, n = 0, *row_of = NULL, n_items, sorted;
	int error;

	const kgr_seq_model *seq = m->uses_seq ? (o->sequence ? o->sequence : m->seq) : NULL;

	*out = NULL;
	if (m->uses_seq && !seq)
		return kgr__error_set(KGR_EINVALID, "learned ranker: the model was fitted with the "
			"sequence model's scores, and none is loaded (kgrec: --sequence FILE)");
	if ((error = kgr__ltr_candidates(&c, g, user, o, m->n_graph, m->n_knn, m->n_seq, seq)) < 0)
		return error;
	n_items = n_keep < c.n ? n_keep : c.n;
	if (!(r = calloc(1, sizeof(*r))) || !(score = malloc((c.n + 1) * sizeof(float))) ||
		!(ord = malloc((c.n + 1) * sizeof(*ord))) ||
		!(r->items = calloc(n_items + 1, sizeof(kgr_rec_item))) ||
		!(rows = malloc((n_items + 1) * KGR__LTR_NF * sizeof(float))) ||
		!(row_of = malloc((n_items + 1) * sizeof(*row_of)))) {
		error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		goto done;
	}
	take_list(r, c.graph);
	r->n_candidates = c.n;
	if (contribs && (leaves = malloc(kgr__ltr_trees_count(m->trees) * c.n + 1)) &&
		!kgr__ltr_trees_predict_leaves(m->trees, c.x, c.n, score, leaves, KGR__LTR_WALK_AUTO)) {
		free(leaves);
		leaves = NULL;
	}
	if (!leaves && (error = kgr__ltr_predict(m, c.x, c.n, score)) < 0)
		goto done;
	for (i = 0; i < c.n; i++) {
		ord[i].i = i;
		ord[i].score = score[i];
	}
	/* the items kept and as many again (for those require_path skips) put first; the whole
	 * order only when more are looked at */
	sorted = best_first(ord, c.n, n_items < c.n / 4 ? 2 * n_items + 8 : c.n);
	for (i = 0; i < c.n && n < n_items; i++) {
		size_t ci;
		kgr_rec_item *it = &r->items[n];
		sorted_upto(ord, c.n, &sorted, i + 1);
		ci = ord[i].i;
		if (n < n_checked && (o->explain || o->require_path)) {
			/* evidence for as many as are still to be checked, all in one request */
			if (!ev || ev_at == ev->n) {
				size_t want = n_checked - n < c.n - i ? n_checked - n : c.n - i;
				kgr_recs_free(ev);
				ev = NULL;
				ev_from = i;
				ev_at = 0;
				sorted_upto(ord, c.n, &sorted, i + want);
				if ((error = evidence_of(&ev, g, &c, ord, i, want, user)) < 0)
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
		row_of[n] = ci;
		n++;
	}
	r->n = n;
	if (contribs) {
		size_t keep = r->n;
		r->n = n < n_checked ? n : n_checked;
		error = fill_contribs(m, r, rows, leaves, c.n, row_of);
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
	free(row_of);
	free(leaves);
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
	if ((error = kgr__learned_rank(out, g, m, user, o, o->k, o->k, 1)) < 0)
		return error;
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
