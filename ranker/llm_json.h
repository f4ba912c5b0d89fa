/* JSON of an LLM-ranked list, shared by the CLI and the server so the two cannot drift.
 * Not installed. */
#ifndef KGREC_RANKER_LLM_JSON_H
#define KGREC_RANKER_LLM_JSON_H

#include <cjson/cJSON.h>

#include "kgrec/llm.h"

/**
 * user, fallback, the first @p limit items (item, label, score, llm_score, graph_score,
 * graph_raw, graph_rank, llm_valid, rationale, grounded, cited edges), accounting and notes
 * (@p extra first). @p request_id (NULL: none) comes first. Returns NULL when out of memory.
 */
cJSON *kgr__llm_json(const kgr_store *store, const kgr_llm_result *res, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit);

#endif
