#include "retrieval/json.h"

#include <stdlib.h>

int kgr__json_add_meta_paths(cJSON *obj, const kgr_store *st, const kgr_rec_item *it)
{
	cJSON *arr = cJSON_CreateArray();
	size_t j;
	if (!arr)
		return -1;
	for (j = 0; j < it->n_patterns && j < KGR__JSON_MAX_META_PATHS; j++) {
		char buf[512], *name = buf;
		size_t len = kgr_path_pattern_name(st, &it->patterns[j], buf, sizeof(buf));
		cJSON *p;
		if (len >= sizeof(buf)) {
			if (!(name = malloc(len + 1)))
				break;
			kgr_path_pattern_name(st, &it->patterns[j], name, len + 1);
		}
		if ((p = cJSON_CreateObject())) {
			cJSON_AddStringToObject(p, "pattern", name);
			cJSON_AddNumberToObject(p, "count", (double)it->patterns[j].count);
			cJSON_AddItemToArray(arr, p);
		}
		if (name != buf)
			free(name);
	}
	cJSON_AddItemToObject(obj, "meta_paths", arr);
	return cJSON_AddNumberToObject(obj, "meta_paths_total", (double)it->n_patterns) ? 0 : -1;
}
