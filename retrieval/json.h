/* JSON pieces of a recommendation list shared by `kgrec recommend --format json` and
 * `kgrec serve`, so the two cannot drift. Not installed. */
#ifndef KGREC_RETRIEVAL_JSON_H
#define KGREC_RETRIEVAL_JSON_H

#include <cjson/cJSON.h>

#include "kgrec/retrieval.h"
#include "util/json_print.h"

/** Meta-paths listed per item at most; the rest are counted in "meta_paths_total". */
#define KGR__JSON_MAX_META_PATHS 8

/**
 * A ranked list as `kgrec recommend --format json` prints it and `kgrec serve` answers it,
 * written to @p w without building a tree: user, cold_start, candidates, notes (@p extra
 * first, then the list's own), matches, constraints, and the first @p limit items with rank,
 * item, label, score, generators, features, parts, contributions, rationale, paths,
 * "meta_paths": [{"pattern": "category / category^-1", "count": 4}, ...] (the most frequent
 * first, at most KGR__JSON_MAX_META_PATHS) and "meta_paths_total". @p request_id (NULL:
 * none) comes first.
 */
void kgr__recs_write(kgr__jw *w, const kgr_store *store, const kgr_recs *recs,
	const char *request_id, const char *const *extra, size_t n_extra, size_t limit);

/* The same as compact text (malloc'd; its length in *len when len is set); NULL when out of
 * memory. */
char *kgr__recs_text(const kgr_store *store, const kgr_recs *recs, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit, size_t *len);

/* Text of a reply tree (freed here): indented with tabs (pretty) or compact; KGR_ENOMEM. */
int kgr__json_text(char **out, cJSON *root, int pretty);

#endif
