/* The sequence model over a store: its users' interactions as item sequences, the mapping
 * between the store's item ids and the network's dense items, and what callers ask of a
 * trained model (the top k after a history, the scores of given candidates). */
#include "ranker/seq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t dense_of(const kgr_id *sorted, const uint32_t *dense, size_t n, kgr_id id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sorted[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && sorted[lo] == id ? dense[lo] : KGR__SEQ_NONE;
}

uint32_t kgr__seq_model_item(const kgr_seq_model *m, kgr_id id)
{
	return dense_of(m->sorted_ids, m->by_id_dense, m->n_items, id);
}

typedef struct {
	kgr_id id;
	uint32_t dense;
} id_pair;

static int by_id(const void *a, const void *b)
{
	const id_pair *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Fills sorted_ids and by_id_dense from items. */
static int index_items(kgr_seq_model *m)
{
	id_pair *pairs = malloc((m->n_items ? m->n_items : 1) * sizeof(*pairs));
	size_t i;
	m->sorted_ids = malloc((m->n_items ? m->n_items : 1) * sizeof(*m->sorted_ids));
	m->by_id_dense = malloc((m->n_items ? m->n_items : 1) * sizeof(*m->by_id_dense));
	if (!pairs || !m->sorted_ids || !m->by_id_dense) {
		free(pairs);
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	}
	for (i = 0; i < m->n_items; i++) {
		pairs[i].id = m->items[i];
		pairs[i].dense = (uint32_t)i;
	}
	qsort(pairs, m->n_items, sizeof(*pairs), by_id);
	for (i = 0; i < m->n_items; i++) {
		m->sorted_ids[i] = pairs[i].id;
		m->by_id_dense[i] = pairs[i].dense;
	}
	free(pairs);
	return 0;
}

int kgr__seq_model_wrap(kgr_seq_model **out, kgr__seq_net *net, const kgr_store *store)
{
	kgr_seq_model *m = calloc(1, sizeof(*m));
	const kgr_id *items;
	size_t n, i;
	int error;

	*out = NULL;
	if (!m)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	items = kgr_store_items(store, &n);
	m->n_items = n;
	m->items = malloc((n ? n : 1) * sizeof(*m->items));
	if (!m->items) {
		free(m);
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	}
	memcpy(m->items, items, n * sizeof(*items));
	m->iris = calloc(n ? n : 1, sizeof(*m->iris));
	if (!m->iris) {
		kgr_seq_free(m);
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	}
	for (i = 0; i < n; i++)
		if (!(m->iris[i] = strdup(kgr_term_value(store, items[i], NULL)))) {
			kgr_seq_free(m);
			return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
		}
	if ((error = index_items(m)) < 0) {
		kgr_seq_free(m);
		return error;
	}
	kgr_store_checksum_hex(store, m->checksum);
	m->net = net;
	*out = m;
	return 0;
}

int kgr__seq_model_index(kgr_seq_model *m)
{
	return index_items(m);
}

int kgr_seq_train(kgr_seq_model **out, const kgr_store *store, const kgr_seq_options *opts,
	kgr_seq_report *report)
{
	size_t n_ev;
	const kgr_interaction *ev = kgr_store_interactions(store, &n_ev);
	return kgr__seq_train_events(out, store, ev, n_ev, 0, opts, report);
}

int kgr__seq_train_events(kgr_seq_model **out, const kgr_store *store, const kgr_interaction *ev,
	size_t n_ev, size_t drop_last, const kgr_seq_options *opts, kgr_seq_report *report)
{
	const kgr_id *items;
	size_t n_items, i, j, k, m = 0, n_users = 0;
	uint32_t *seq = NULL, *dense = NULL;
	size_t *start = NULL;
	kgr__seq_net *net = NULL;
	kgr_seq_report rep;
	int error;

	*out = NULL;
	items = kgr_store_items(store, &n_items);
	seq = malloc((n_ev ? n_ev : 1) * sizeof(*seq));
	start = malloc((n_ev + 2) * sizeof(*start));
	dense = malloc((n_items ? n_items : 1) * sizeof(*dense));
	if (!seq || !start || !dense) {
		error = kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
		goto cleanup;
	}
	for (i = 0; i < n_items; i++)
		dense[i] = (uint32_t)i;
	for (i = 0; i < n_ev; i = j) {
		size_t keep;
		for (j = i; j < n_ev && ev[j].user == ev[i].user; j++)
			;
		keep = j - i > drop_last ? j - i - drop_last : 0;
		if (!keep)
			continue;
		start[n_users++] = m;
		for (k = i; k < i + keep; k++) {
			seq[m] = dense_of(items, dense, n_items, ev[k].item);
			if (seq[m++] == KGR__SEQ_NONE) {
				error = kgr__error_set(KGR_EINVALID, "sequence model: interaction %zu: %s is "
					"not an item", k, kgr_term_value(store, ev[k].item, NULL));
				goto cleanup;
			}
		}
	}
	start[n_users] = m;
	if ((error = kgr__seq_fit(&net, seq, start, n_users, n_items, opts, &rep)) < 0)
		goto cleanup;
	if (!rep.users) {
		error = kgr__error_set(KGR_EINVALID,
			"sequence model: no user has three events (two to learn from, one to validate)");
		goto cleanup;
	}
	if (report)
		*report = rep;
	if ((error = kgr__seq_model_wrap(out, net, store)) < 0)
		goto cleanup;
	net = NULL;
cleanup:
	kgr__seq_net_free(net);
	free(seq);
	free(start);
	free(dense);
	return error;
}

void kgr_seq_free(kgr_seq_model *model)
{
	size_t i;
	if (!model)
		return;
	kgr__seq_net_free(model->net);
	free(model->items);
	free(model->sorted_ids);
	free(model->by_id_dense);
	if (model->iris)
		for (i = 0; i < model->n_items; i++)
			free(model->iris[i]);
	free(model->iris);
	free(model);
}

const char *kgr_seq_store_checksum(const kgr_seq_model *model)
{
	return model->checksum;
}

const char *kgr_seq_checksum(const kgr_seq_model *model)
{
	return model->file_sum;
}

void kgr_seq_info_get(kgr_seq_info *out, const kgr_seq_model *model)
{
	const kgr__seq_dims *d = &model->net->dims;
	out->items = model->n_items;
	out->dims = d->d;
	out->max_len = d->max_len;
	out->blocks = d->blocks;
	out->heads = d->heads;
	out->params = model->net->n_params;
}

/* The dense history of known items. */
static int dense_history(uint32_t **out, size_t *n_out, const kgr_seq_model *m,
	const kgr_id *history, size_t n)
{
	uint32_t *h = malloc((n ? n : 1) * sizeof(*h));
	size_t i, k = 0;
	if (!h)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	for (i = 0; i < n; i++) {
		uint32_t d = kgr__seq_model_item(m, history[i]);
		if (d != KGR__SEQ_NONE)
			h[k++] = d;
	}
	*out = h;
	*n_out = k;
	return 0;
}

int kgr__seq_model_score_all(float *out, const kgr_seq_model *m, const kgr_id *history,
	size_t n_history)
{
	uint32_t *h = NULL;
	size_t n = 0;
	int error;
	if ((error = dense_history(&h, &n, m, history, n_history)) < 0)
		return error;
	error = kgr__seq_score_items(out, m->net, h, n, NULL);
	free(h);
	return error;
}

/* Heap order for the top k: the root is the weakest kept item (lower score, then higher
 * dense index). */
static int weaker(const float *s, uint32_t a, uint32_t b)
{
	return s[a] < s[b] || (s[a] == s[b] && a > b);
}

static void sift_down(uint32_t *heap, size_t n, size_t i, const float *s)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t t;
		if (l < n && weaker(s, heap[l], heap[m]))
			m = l;
		if (r < n && weaker(s, heap[r], heap[m]))
			m = r;
		if (m == i)
			return;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

size_t kgr__seq_top_k(uint32_t *out, const float *scores, const unsigned char *skip, size_t n,
	size_t k)
{
	size_t i, len = 0;
	if (!k)
		return 0;
	for (i = 0; i < n; i++) {
		if ((skip && skip[i]) || scores[i] == -INFINITY || isnan(scores[i]))
			continue;
		if (len < k) {
			size_t c = len++;
			out[c] = (uint32_t)i;
			while (c > 0 && weaker(scores, out[c], out[(c - 1) / 2])) {
				uint32_t t = out[c];
				out[c] = out[(c - 1) / 2];
				out[(c - 1) / 2] = t;
				c = (c - 1) / 2;
			}
		} else if (weaker(scores, out[0], (uint32_t)i)) {
			out[0] = (uint32_t)i;
			sift_down(out, len, 0, scores);
		}
	}
	/* heap sort: the weakest goes to the end */
	for (i = len; i > 1; i--) {
		uint32_t t = out[0];
		out[0] = out[i - 1];
		out[i - 1] = t;
		sift_down(out, i - 1, 0, scores);
	}
	return len;
}

int kgr_seq_recommend(kgr_id *items_out, float *scores_out, size_t *n_out,
	const kgr_seq_model *model, const kgr_id *history, size_t n_history, size_t k)
{
	uint32_t *h = NULL, *top = NULL;
	float *all = NULL;
	unsigned char *skip = NULL;
	size_t n = 0, i, got;
	int error;

	*n_out = 0;
	if ((error = dense_history(&h, &n, model, history, n_history)) < 0)
		return error;
	all = malloc(model->n_items * sizeof(*all));
	skip = calloc(model->n_items, 1);
	top = malloc((k ? k : 1) * sizeof(*top));
	if (!all || !skip || !top) {
		error = kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
		goto cleanup;
	}
	if ((error = kgr__seq_score_items(all, model->net, h, n, NULL)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++)
		skip[h[i]] = 1;
	got = kgr__seq_top_k(top, all, skip, model->n_items, k);
	for (i = 0; i < got; i++) {
		items_out[i] = model->items[top[i]];
		if (scores_out)
			scores_out[i] = all[top[i]];
	}
	*n_out = got;
cleanup:
	free(h);
	free(all);
	free(skip);
	free(top);
	return error;
}
