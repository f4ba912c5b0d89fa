/* The public entry points of the LLM ranker: resolve labels, facts and history from the store,
 * then rank (ranker/llm.c) or render (ranker/prompt_render.c). */
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const description_iris[] = {
	"http://schema.org/description", /* https://schema.org/ is stored as http://schema.org/ */
	"http://purl.org/dc/terms/description", "http://www.w3.org/2000/01/rdf-schema#comment", NULL
};

static const char *description_of(const kgr_store *store, kgr_id item)
{
	size_t i;
	for (i = 0; description_iris[i]; i++) {
		kgr_id p = kgr_store_iri(store, description_iris[i]), o;
		if (p && (o = kgr_store_object(store, item, p)) && kgr_term_kind_of(store, o) == KGR_TERM_LITERAL)
			return kgr_term_value(store, o, NULL);
	}
	return NULL;
}

int kgr__llm_input_from_store(kgr__llm_input **out, const kgr_store *store, const kgr_recs *recs,
	const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts)
{
	kgr__llm_input *in = NULL;
	size_t i, j, k, *facts = NULL, nf, max_hist, from;
	int error;

	*out = NULL;
	if (opts && (error = kgr__llm_options_check(opts, 0)))
		return error;
	if ((error = kgr__llm_input_new(&in)))
		return error;
	in->user = recs->user;
	in->checksum = kgr_store_checksum(store);
	if (!(facts = malloc(KGR_MAX_PATHS * KGR_MAX_PATH_EDGES * sizeof(size_t)))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < recs->n; i++) {
		const kgr_rec_item *it = &recs->items[i];
		nf = 0;
		for (j = 0; j < it->n_paths && j < KGR_MAX_PATHS; j++) {
			const kgr_path *p = &it->paths[j];
			for (k = 0; k < p->n_edges && k < KGR_MAX_PATH_EDGES; k++) {
				const kgr_edge *e = &p->edges[k];
				if ((error = kgr__llm_input_add_fact(in, *e, kgr_store_label(store, e->s),
					kgr_store_label(store, e->p), kgr_store_label(store, e->o), &facts[nf])))
					goto cleanup;
				nf++;
			}
		}
		if ((error = kgr__llm_input_add_cand(in, it->item, kgr_store_label(store, it->item),
			description_of(store, it->item), it->score, facts, nf)))
			goto cleanup;
	}
	max_hist = opts && opts->max_history ? opts->max_history : 20;
	from = n_history > max_hist ? n_history - max_hist : 0;
	for (i = from; i < n_history; i++) {
		const kgr_interaction *h = &history[i];
		if ((error = kgr__llm_input_add_hist(in, h->item, kgr_store_label(store, h->item),
			h->action ? kgr_store_label(store, h->action) : NULL, h->time, h->weight)))
			goto cleanup;
	}
	*out = in;
	in = NULL;
cleanup:
	free(facts);
	kgr__llm_input_free(in);
	return error;
}

int kgr_llm_rank(kgr_llm_result **out, const kgr_store *store, const kgr_recs *recs,
	const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts)
{
	kgr__llm_input *in = NULL;
	int error;
	*out = NULL;
	if ((error = kgr__llm_input_from_store(&in, store, recs, history, n_history, opts)))
		return error;
	error = kgr__llm_rank_input(out, in, opts);
	kgr__llm_input_free(in);
	return error;
}

int kgr_llm_render(char **out, const kgr_store *store, const kgr_recs *recs,
	const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts)
{
	kgr__llm_input *in = NULL;
	int error;
	*out = NULL;
	if ((error = kgr__llm_input_from_store(&in, store, recs, history, n_history, opts)))
		return error;
	error = kgr__llm_render_input(out, in, opts);
	kgr__llm_input_free(in);
	return error;
}
