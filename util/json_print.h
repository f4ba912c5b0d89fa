/* Compact JSON text of a cJSON tree: byte for byte what cJSON_PrintUnformatted() prints,
 * without its per-number sscanf and its buffer re-measuring (a large share of a reply's cost
 * in the service). Not installed. */
#ifndef KGREC_UTIL_JSON_PRINT_H
#define KGREC_UTIL_JSON_PRINT_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* The text (malloc'd, NUL-terminated; its length in *len when len is set), or NULL when out
 * of memory or the tree holds a raw item without text. */
char *kgr__json_print(const cJSON *item, size_t *len);

#endif
