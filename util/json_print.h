/* Compact JSON text: of a cJSON tree, byte for byte what cJSON_PrintUnformatted() prints,
 * without its per-number sscanf and its buffer re-measuring (a large share of a reply's cost
 * in the service); and written directly, without a tree, in the same bytes (kgr__jw_*). Not
 * installed. */
#ifndef KGREC_UTIL_JSON_PRINT_H
#define KGREC_UTIL_JSON_PRINT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "util/util.h"

/* The text (malloc'd, NUL-terminated; its length in *len when len is set), or NULL when out
 * of memory or the tree holds a raw item without text. */
char *kgr__json_print(const cJSON *item, size_t *len);

/* A JSON text written value by value: strings and numbers as kgr__json_print() writes them
 * (so a text written here is the one a tree of the same values would print), commas between
 * the values of a container. Every call takes the member's key inside an object and NULL
 * inside an array or for the outermost value. Zero-initialised by kgr__jw_init(). */
typedef struct {
	kgr__buf b;
	char point; /* the locale's decimal point, written as '.' */
	int bad;    /* a raw item without text (trees only) */
	int comma;  /* a value was written in the open container */
} kgr__jw;

void kgr__jw_init(kgr__jw *w);
void kgr__jw_open(kgr__jw *w, const char *key, int array);
void kgr__jw_close(kgr__jw *w, int array);
/* A string value (NULL writes ""). */
void kgr__jw_str(kgr__jw *w, const char *key, const char *s);
/* A number, as cJSON writes it (null for NaN and infinities). */
void kgr__jw_num(kgr__jw *w, const char *key, double d);
void kgr__jw_bool(kgr__jw *w, const char *key, int v);
void kgr__jw_null(kgr__jw *w, const char *key);
/* The text written (malloc'd, its length in *len when len is set), or NULL when out of
 * memory; the writer is empty afterwards. */
char *kgr__jw_take(kgr__jw *w, size_t *len);

#endif
