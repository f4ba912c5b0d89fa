/* The prompt input built by hand (tests, benches) or from a store (ranker/llm_store.c). */
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int kgr__llm_input_new(kgr__llm_input **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : kgr__error_set(KGR_ENOMEM, "out of memory");
}

/* Grows an array of @p size-byte elements to hold n + 1. */
static int grow(void **arr, size_t n, size_t size)
{
	void *p;
	if (n & (n - 1) && n > 4)
		return 0; /* capacity is the next power of two above 4 */
	p = realloc(*arr, (n < 4 ? 4 : 2 * n) * size);
	if (!p)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	*arr = p;
	return 0;
}

int kgr__llm_input_add_fact(kgr__llm_input *in, kgr_edge e, const char *s, const char *p, const char *o,
	size_t *index_out)
{
	size_t i;
	kgr__llm_fact *f;
	for (i = 0; i < in->n_facts; i++) {
		kgr_edge *x = &in->facts[i].edge;
		if (x->s == e.s && x->p == e.p && x->o == e.o) {
			if (index_out)
				*index_out = i;
			return 0;
		}
	}
	if (grow((void **)&in->facts, in->n_facts, sizeof(*in->facts)))
		return KGR_ENOMEM;
	f = &in->facts[in->n_facts];
	f->edge = e;
	f->s = dup_or_empty(s);
	f->p = dup_or_empty(p);
	f->o = dup_or_empty(o);
	if (!f->s || !f->p || !f->o) {
		free(f->s);
		free(f->p);
		free(f->o);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	if (index_out)
		*index_out = in->n_facts;
	in->n_facts++;
	return 0;
}

int kgr__llm_input_add_cand(kgr__llm_input *in, kgr_id item, const char *label, const char *desc,
	double graph_score, const size_t *facts, size_t n_facts)
{
	kgr__llm_cand *c;
	size_t i, j;
	if (grow((void **)&in->cands, in->n_cands, sizeof(*in->cands)))
		return KGR_ENOMEM;
	c = &in->cands[in->n_cands];
	memset(c, 0, sizeof(*c));
	c->item = item;
	c->graph_score = graph_score;
	c->label = dup_or_empty(label);
	c->desc = desc ? strdup(desc) : NULL;
	c->facts = malloc((n_facts ? n_facts : 1) * sizeof(size_t));
	if (!c->label || (desc && !c->desc) || !c->facts) {
		free(c->label);
		free(c->desc);
		free(c->facts);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	for (i = 0; i < n_facts; i++) {
		for (j = 0; j < c->n_facts; j++)
			if (c->facts[j] == facts[i])
				break;
		if (j == c->n_facts && facts[i] < in->n_facts)
			c->facts[c->n_facts++] = facts[i];
	}
	in->n_cands++;
	return 0;
}

int kgr__llm_input_add_hist(kgr__llm_input *in, kgr_id item, const char *label, const char *action,
	int64_t time, double weight)
{
	kgr__llm_hist *h;
	if (grow((void **)&in->hist, in->n_hist, sizeof(*in->hist)))
		return KGR_ENOMEM;
	h = &in->hist[in->n_hist];
	h->item = item;
	h->time = time;
	h->weight = weight;
	h->label = dup_or_empty(label);
	h->action = action ? strdup(action) : NULL;
	if (!h->label || (action && !h->action)) {
		free(h->label);
		free(h->action);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	in->n_hist++;
	return 0;
}

void kgr__llm_input_free(kgr__llm_input *in)
{
	size_t i;
	if (!in)
		return;
	for (i = 0; i < in->n_facts; i++) {
		free(in->facts[i].s);
		free(in->facts[i].p);
		free(in->facts[i].o);
	}
	for (i = 0; i < in->n_cands; i++) {
		free(in->cands[i].label);
		free(in->cands[i].desc);
		free(in->cands[i].facts);
	}
	for (i = 0; i < in->n_hist; i++) {
		free(in->hist[i].label);
		free(in->hist[i].action);
	}
	free(in->facts);
	free(in->cands);
	free(in->hist);
	free(in);
}
