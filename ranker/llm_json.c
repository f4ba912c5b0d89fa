/* An LLM-ranked list as JSON, shared by `kgrec recommend --llm --format json` and
 * `kgrec serve`. */
#include "ranker/llm_json.h"
#include "retrieval/json.h"

static const char *val(const kgr_store *st, kgr_id id)
{
	const char *v = id ? kgr_term_value(st, id, NULL) : NULL;
	return v ? v : "";
}

cJSON *kgr__llm_json(const kgr_store *st, const kgr_llm_result *res, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit)
{
	cJSON *root = cJSON_CreateObject(), *items, *acct, *notes;
	size_t i, k;
	if (!root)
		return NULL;
	if (request_id)
		cJSON_AddStringToObject(root, "request_id", request_id);
	cJSON_AddStringToObject(root, "user", val(st, res->user));
	cJSON_AddBoolToObject(root, "fallback", res->fallback);
	items = cJSON_AddArrayToObject(root, "items");
	for (i = 0; items && i < res->n && i < limit; i++) {
		const kgr_llm_item *it = &res->items[i];
		cJSON *o = cJSON_CreateObject(), *cited;
		if (!o)
			break;
		cJSON_AddStringToObject(o, "item", val(st, it->item));
		cJSON_AddStringToObject(o, "label", kgr_store_label(st, it->item));
		cJSON_AddNumberToObject(o, "score", it->score);
		cJSON_AddNumberToObject(o, "llm_score", it->llm_score);
		cJSON_AddNumberToObject(o, "graph_score", it->graph_score);
		cJSON_AddNumberToObject(o, "graph_raw", it->graph_raw);
		cJSON_AddNumberToObject(o, "graph_rank", (double)it->graph_rank + 1);
		cJSON_AddBoolToObject(o, "llm_valid", it->llm_valid);
		if (it->rationale)
			cJSON_AddStringToObject(o, "rationale", it->rationale);
		else
			cJSON_AddNullToObject(o, "rationale");
		cJSON_AddBoolToObject(o, "grounded", it->grounded);
		cited = cJSON_AddArrayToObject(o, "cited");
		for (k = 0; cited && k < it->n_cited; k++) {
			cJSON *e = cJSON_CreateObject();
			if (!e)
				break;
			cJSON_AddStringToObject(e, "s", val(st, it->cited[k].s));
			cJSON_AddStringToObject(e, "p", val(st, it->cited[k].p));
			cJSON_AddStringToObject(e, "o", val(st, it->cited[k].o));
			cJSON_AddItemToArray(cited, e);
		}
		cJSON_AddItemToArray(items, o);
	}
	acct = cJSON_AddObjectToObject(root, "accounting");
	if (acct) {
		cJSON_AddNumberToObject(acct, "calls", (double)res->stats.calls);
		cJSON_AddNumberToObject(acct, "cache_hits", (double)res->stats.cache_hits);
		cJSON_AddNumberToObject(acct, "retries", (double)res->stats.retries);
		cJSON_AddNumberToObject(acct, "failures", (double)res->stats.failures);
		cJSON_AddNumberToObject(acct, "prompt_tokens", (double)res->stats.prompt_tokens);
		cJSON_AddNumberToObject(acct, "completion_tokens", (double)res->stats.completion_tokens);
		cJSON_AddNumberToObject(acct, "latency_ms", res->stats.latency_ms);
		cJSON_AddNumberToObject(acct, "validity_rate", res->stats.validity_rate);
		cJSON_AddNumberToObject(acct, "ids_unknown", (double)res->stats.ids_unknown);
		cJSON_AddNumberToObject(acct, "ids_duplicate", (double)res->stats.ids_duplicate);
		cJSON_AddNumberToObject(acct, "ids_missing", (double)res->stats.ids_missing);
		cJSON_AddNumberToObject(acct, "citations_invalid", (double)res->stats.citations_invalid);
		cJSON_AddNumberToObject(acct, "boots_run", (double)res->stats.boots_run);
	}
	notes = cJSON_AddArrayToObject(root, "notes");
	for (i = 0; notes && i < n_extra; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(extra[i]));
	for (i = 0; notes && i < res->n_notes; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(res->notes[i]));
	return root;
}

int kgr_llm_result_json(char **out, const kgr_store *store, const kgr_llm_result *res,
	const char *request_id, const char *const *extra, size_t n_extra, size_t limit, int pretty)
{
	return kgr__json_text(out, kgr__llm_json(store, res, request_id, extra, n_extra, limit), pretty);
}
