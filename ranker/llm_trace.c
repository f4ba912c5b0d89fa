/* kgr_llm_rank() with its exchanges kept: the prompts, the raw replies and the facts shown,
 * for the audit trail. */
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <stdlib.h>

int kgr_llm_rank_traced(kgr_llm_result **out, kgr_llm_trace **trace_out, const kgr_store *store,
	const kgr_recs *recs, const kgr_interaction *history, size_t n_history, const kgr_llm_options *opts)
{
	kgr__llm_input *in = NULL;
	int error;
	*out = NULL;
	*trace_out = NULL;
	if ((error = kgr__llm_input_from_store(&in, store, recs, history, n_history, opts)))
		return error;
	error = kgr__llm_rank_input_ex(out, trace_out, in, opts, NULL, NULL);
	kgr__llm_input_free(in);
	return error;
}

void kgr_llm_trace_free(kgr_llm_trace *t)
{
	size_t i;
	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		kgr_llm_exchange *x = &t->exchanges[i];
		free(x->system);
		free(x->user);
		free(x->reply);
		free(x->error);
		free(x->facts);
		free(x->cands);
	}
	free(t->exchanges);
	free(t);
}
