/* JSON pieces of a recommendation list shared by `kgrec recommend --format json` and
 * `kgrec serve`, so the two cannot drift. Not installed. */
#ifndef KGREC_RETRIEVAL_JSON_H
#define KGREC_RETRIEVAL_JSON_H

#include <cjson/cJSON.h>

#include "kgrec/retrieval.h"

/** Meta-paths listed per item at most; the rest are counted in "meta_paths_total". */
#define KGR__JSON_MAX_META_PATHS 8

/**
 * Adds "meta_paths": [{"pattern": "category / category^-1", "count": 4}, ...] (the most
 * frequent first, at most KGR__JSON_MAX_META_PATHS) and "meta_paths_total" (how many patterns
 * there are) to @p obj. Returns 0, or -1 when out of memory.
 */
int kgr__json_add_meta_paths(cJSON *obj, const kgr_store *store, const kgr_rec_item *item);

/**
 * A ranked list as `kgrec recommend --format json` prints it and `kgrec serve` answers it: user,
 * cold_start, candidates, notes (@p extra first, then the list's own), matches, and the first
 * @p limit items with rank, item, label, score, generators, features, parts, rationale, paths
 * and meta-paths. @p request_id (NULL: none) is added first. Returns NULL when out of memory.
 * The tree points at the store's terms and labels, the list's notes and rationales, @p extra
 * and @p request_id instead of copying them: delete it before any of those go.
 */
cJSON *kgr__recs_json(const kgr_store *store, const kgr_recs *recs, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit);

/* Text of a reply tree (freed here): indented with tabs (pretty) or compact; KGR_ENOMEM. */
int kgr__json_text(char **out, cJSON *root, int pretty);

#endif
