/* A basic graph pattern evaluated over the store's indexes (sparql/sparql_bgp.c). */
#ifndef KGR_SPARQL_BGP_H
#define KGR_SPARQL_BGP_H

#include "kgrec/store.h"

#include <stddef.h>

#define KGR__BGP_MAX 16  /* triple patterns */
#define KGR__BGP_VARS 32 /* variables */

/* One triple pattern: subject, predicate, object; var[k] >= 0 is a variable's index, else
 * id[k] is a term of the store (0: a term the store does not hold, so nothing matches). */
typedef struct {
	int var[3];
	kgr_id id[3];
} kgr__bgp_pattern;

typedef struct {
	const kgr_store *store;
	kgr__bgp_pattern pat[KGR__BGP_MAX];
	size_t n_pat; /* the variables' indexes are below KGR__BGP_VARS */
	/* whether a quad of graph g is in the default graph */
	int (*graph_ok)(void *payload, kgr_id g);
	/* asked now and then: nonzero stops the evaluation (a deadline) */
	int (*stop)(void *payload);
	/* one solution, every variable's value (never 0); nonzero stops the evaluation */
	int (*solution)(void *payload, const kgr_id *values);
	void *payload;
} kgr__bgp;

/* Every solution of the patterns, each once per way it matches (a multiset, as SPARQL's
 * BGP). 0 when every solution was given, 1 when stop() or solution() stopped it. */
int kgr__bgp_run(kgr__bgp *b);

#endif
