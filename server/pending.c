/* Weak stand-ins for the graph retrieval API until retrieval/ is part of the build: each
 * reports KGR_EUNSUPPORTED with a message, and any real definition replaces it at link time.
 * This file goes away when retrieval/ is merged. */
#include "server/internal.h"

#define WEAK __attribute__((weak))

WEAK int kgr_graph_new(kgr_graph **out, const kgr_store *store, const kgr_graph_options *opts)
{
	(void)store;
	(void)opts;
	*out = NULL;
	return kgr__error_set(KGR_EUNSUPPORTED, "this build has no graph retrieval module");
}

WEAK void kgr_graph_free(kgr_graph *graph)
{
	(void)graph;
}

WEAK int kgr_graph_add_interactions(kgr_graph *graph, const kgr_interaction *events, size_t n)
{
	(void)graph;
	(void)events;
	(void)n;
	return kgr__error_set(KGR_EUNSUPPORTED, "this build has no graph retrieval module");
}

WEAK int kgr_recommend(kgr_recs **out, const kgr_graph *graph, kgr_id user, const kgr_rec_options *opts)
{
	(void)graph;
	(void)user;
	(void)opts;
	*out = NULL;
	return kgr__error_set(KGR_EUNSUPPORTED, "this build has no graph retrieval module");
}

WEAK int kgr_similar(kgr_recs **out, const kgr_graph *graph, kgr_id item, const kgr_rec_options *opts)
{
	(void)graph;
	(void)item;
	(void)opts;
	*out = NULL;
	return kgr__error_set(KGR_EUNSUPPORTED, "this build has no graph retrieval module");
}

WEAK int kgr_explain(kgr_recs **out, const kgr_graph *graph, kgr_id user, kgr_id item, int max_hops)
{
	(void)graph;
	(void)user;
	(void)item;
	(void)max_hops;
	*out = NULL;
	return kgr__error_set(KGR_EUNSUPPORTED, "this build has no graph retrieval module");
}

WEAK void kgr_recs_free(kgr_recs *recs)
{
	(void)recs;
}

WEAK const char *kgr_feature_name(kgr_feature f)
{
	(void)f;
	return "feature";
}

WEAK const char *kgr_generator_name(kgr_generator g)
{
	(void)g;
	return "generator";
}

WEAK int kgr_weights_load(kgr_weights *out, const char *path)
{
	(void)out;
	(void)path;
	return kgr__error_set(KGR_EUNSUPPORTED, "this build has no graph retrieval module");
}
