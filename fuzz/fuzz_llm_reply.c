/* libFuzzer target: whatever an LLM answers. The input is the reply to every prompt of one
 * ranking (listwise, pointwise, pairwise or conversational, with or without bootstrapped
 * shuffles, as the first byte says), taken through parsing, validation against the candidate
 * set and the facts given, fusion and the final list. */
#include "ranker/llm_internal.h"

#include "kgrec/retrieval.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kgr_store *store;
static kgr__llm_input *input;
static kgr_llm_options base;

typedef struct {
	const char *text;
	size_t len;
} reply;

static int answer(char **content_out, char *error, size_t size, const char *system, const char *user,
	void *payload)
{
	const reply *r = payload;
	(void)system;
	(void)user;
	if (!(*content_out = malloc(r->len + 1))) {
		snprintf(error, size, "out of memory");
		return 0;
	}
	memcpy(*content_out, r->text, r->len);
	(*content_out)[r->len] = 0;
	return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	kgr_llm_options d = KGR_LLM_OPTIONS_INIT;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_graph *g = NULL;
	kgr_recs *recs = NULL;
	const kgr_interaction *h;
	size_t n = 0;
	kgr_id user;
	(void)argc;
	(void)argv;
	kgr_init();
	base = d;
	base.prompt_dir = KGR_SOURCE_DIR "/prompts";
	ro.k = 5;
	ro.explain = 1;
	if (kgr_store_new(&store, 1) < 0 ||
		kgr_store_load_rdf(store, KGR_TEST_DATA "/llm/shop.ttl", NULL, NULL) < 0 ||
		kgr_store_load_interactions(store, KGR_TEST_DATA "/llm/shop_events.csv", NULL) < 0 ||
		kgr_store_finalize(store) < 0 || kgr_graph_new(&g, store, NULL) < 0 ||
		!(user = kgr_store_resolve(store, "u1")) || kgr_recommend(&recs, g, user, &ro) < 0 ||
		recs->n < 2) {
		fprintf(stderr, "fuzz_llm_reply: cannot build the shop: %s\n", kgr_error_last());
		abort();
	}
	h = kgr_store_user_history(store, user, 0, &n);
	if (kgr__llm_input_from_store(&input, store, recs, h, n, &base) < 0) {
		fprintf(stderr, "fuzz_llm_reply: %s\n", kgr_error_last());
		abort();
	}
	kgr_recs_free(recs);
	kgr_graph_free(g);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const kgr_llm_mode modes[] = { KGR_LLM_LISTWISE, KGR_LLM_POINTWISE, KGR_LLM_PAIRWISE,
		KGR_LLM_CONVERSATIONAL };
	kgr_llm_options o = base;
	kgr_llm_result *res = NULL;
	reply r;
	if (size < 1)
		return 0;
	o.mode = modes[data[0] % 4];
	o.boots = 1 + (data[0] >> 2) % 3;
	o.request = o.mode == KGR_LLM_CONVERSATIONAL ? "something for the garden" : NULL;
	r.text = (const char *)data + 1;
	r.len = size - 1;
	if (kgr__llm_rank_input_ex(&res, NULL, input, &o, answer, &r) == 0 && res->n != input->n_cands)
		abort(); /* a ranking always covers every candidate */
	kgr_llm_result_free(res);
	return 0;
}
