/* The result of an evaluation as JSON (the cJSON adapter of eval/). */
#include "eval/internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

static cJSON *metrics_json(const kgr_eval_result *r, const kgr_eval_metrics *m)
{
	cJSON *o = cJSON_CreateObject(), *hr, *ndcg;
	size_t i;
	char key[32];
	if (!o)
		return NULL;
	hr = cJSON_AddObjectToObject(o, "hr");
	ndcg = cJSON_AddObjectToObject(o, "ndcg");
	if (!hr || !ndcg)
		goto fail;
	for (i = 0; i < r->n_ks; i++) {
		snprintf(key, sizeof(key), "%zu", r->ks[i]);
		if (!cJSON_AddNumberToObject(hr, key, m->hr[i]) ||
			!cJSON_AddNumberToObject(ndcg, key, m->ndcg[i]))
			goto fail;
	}
	if (!cJSON_AddNumberToObject(o, "mrr", m->mrr) ||
		!cJSON_AddNumberToObject(o, "coverage", m->coverage) ||
		!cJSON_AddNumberToObject(o, "users", (double)m->users) ||
		!cJSON_AddNumberToObject(o, "skipped", (double)m->skipped) ||
		!cJSON_AddNumberToObject(o, "seconds", m->seconds))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int kgr_eval_result_json(char **out, const kgr_eval_result *r)
{
	cJSON *root = cJSON_CreateObject(), *ks, *x;
	size_t i;
	int ok = root != NULL;
	*out = NULL;
	ok = ok && cJSON_AddStringToObject(root, "ranker", r->ranker);
	ok = ok && cJSON_AddStringToObject(root, "protocol", r->protocol);
	ok = ok && cJSON_AddStringToObject(root, "params", r->params);
	/* the seed travels as a string: cJSON numbers are doubles */
	if (ok) {
		char seed[32];
		snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
		ok = cJSON_AddStringToObject(root, "seed", seed) != NULL;
	}
	ok = ok && (ks = cJSON_AddArrayToObject(root, "ks"));
	for (i = 0; ok && i < r->n_ks; i++) {
		x = cJSON_CreateNumber((double)r->ks[i]);
		ok = x && cJSON_AddItemToArray(ks, x);
	}
	ok = ok && cJSON_AddNumberToObject(root, "items", (double)r->items);
	if (ok && r->negatives)
		ok = cJSON_AddNumberToObject(root, "negatives", (double)r->negatives) != NULL;
	ok = ok && cJSON_AddNumberToObject(root, "train_events", (double)r->train_events);
	ok = ok && cJSON_AddNumberToObject(root, "valid_events", (double)r->valid_events);
	ok = ok && cJSON_AddNumberToObject(root, "test_events", (double)r->test_events);
	ok = ok && cJSON_AddNumberToObject(root, "tuned_configs", (double)r->tuned_configs);
	if (ok && (r->valid_cut || r->test_cut))
		ok = cJSON_AddNumberToObject(root, "valid_cut", (double)r->valid_cut) &&
			cJSON_AddNumberToObject(root, "test_cut", (double)r->test_cut);
	if (ok && (x = metrics_json(r, &r->valid)))
		cJSON_AddItemToObject(root, "valid", x);
	else
		ok = 0;
	if (ok && (x = metrics_json(r, &r->test)))
		cJSON_AddItemToObject(root, "test", x);
	else
		ok = 0;
	if (ok && r->explain.measured) {
		cJSON *e = cJSON_AddObjectToObject(root, "explanations");
		ok = e && cJSON_AddNumberToObject(e, "items", (double)r->explain.items) &&
			cJSON_AddNumberToObject(e, "paths", (double)r->explain.paths) &&
			cJSON_AddNumberToObject(e, "fidelity", r->explain.fidelity) &&
			cJSON_AddNumberToObject(e, "mean_path_length", r->explain.mean_path_length) &&
			cJSON_AddNumberToObject(e, "patterns", (double)r->explain.patterns) &&
			cJSON_AddNumberToObject(e, "pattern_diversity", r->explain.pattern_diversity) &&
			cJSON_AddNumberToObject(e, "pattern_entropy_bits", r->explain.pattern_entropy) &&
			cJSON_AddNumberToObject(e, "hub_share", r->explain.hub_share) &&
			cJSON_AddNumberToObject(e, "hub_degree", r->explain.hub_degree);
		if (ok) {
			cJSON *top = cJSON_AddArrayToObject(e, "top_patterns");
			ok = top != NULL;
			for (i = 0; ok && i < r->explain.n_top_patterns; i++) {
				cJSON *p = cJSON_CreateObject();
				ok = p && cJSON_AddItemToArray(top, p) &&
					cJSON_AddStringToObject(p, "pattern", r->explain.top_patterns[i]) &&
					cJSON_AddNumberToObject(p, "share", r->explain.top_pattern_share[i]);
			}
		}
	}
	if (ok && r->llm.measured) {
		cJSON *l = cJSON_AddObjectToObject(root, "llm");
		ok = l && cJSON_AddNumberToObject(l, "users", (double)r->llm.users) &&
			cJSON_AddNumberToObject(l, "fallbacks", (double)r->llm.fallbacks) &&
			cJSON_AddNumberToObject(l, "calls", (double)r->llm.calls) &&
			cJSON_AddNumberToObject(l, "cache_hits", (double)r->llm.cache_hits) &&
			cJSON_AddNumberToObject(l, "failures", (double)r->llm.failures) &&
			cJSON_AddNumberToObject(l, "replies_invalid", (double)r->llm.replies_invalid) &&
			cJSON_AddNumberToObject(l, "prompt_tokens", (double)r->llm.prompt_tokens) &&
			cJSON_AddNumberToObject(l, "completion_tokens", (double)r->llm.completion_tokens) &&
			cJSON_AddNumberToObject(l, "validity", r->llm.validity) &&
			cJSON_AddNumberToObject(l, "rationales", (double)r->llm.rationales) &&
			cJSON_AddNumberToObject(l, "grounding", r->llm.grounding);
	}
	ok = ok && cJSON_AddNumberToObject(root, "seconds", r->seconds);
	ok = ok && cJSON_AddNumberToObject(root, "cpu_seconds", r->cpu_seconds);
	ok = ok && cJSON_AddNumberToObject(root, "peak_rss_mb", (double)r->peak_rss_kb / 1024.0);
	if (ok)
		*out = cJSON_Print(root);
	cJSON_Delete(root);
	if (!*out)
		return kgr__error_set(KGR_ENOMEM, "eval: out of memory writing the result as JSON");
	return 0;
}
