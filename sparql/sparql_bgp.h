/* A basic graph pattern evaluated over the store's indexes (sparql/sparql_bgp.c). */
#ifndef KGR_SPARQL_BGP_H
#define KGR_SPARQL_BGP_H

#include "kgrec/store.h"

#include <stddef.h>
#include <stdint.h>

#define KGR__BGP_MAX 16  /* triple patterns */
#define KGR__BGP_VARS 32 /* variables */

/* One triple pattern: subject, predicate, object; var[k] >= 0 is a variable's index, else
 * id[k] is a term of the store (0: a term the store does not hold, so nothing matches).
 * Or, when set is not NULL, the variable var[0] takes each value of set (n_set ids in
 * ascending order, a value as often as it is there): a property path with one end written,
 * its answers found before (var[1], var[2] unused). */
typedef struct {
	int var[3];
	kgr_id id[3];
	const kgr_id *set;
	size_t n_set;
} kgr__bgp_pattern;

/* A test of each solution: whether one triple pattern matches with the solution's values
 * (FILTER EXISTS / NOT EXISTS { one triple pattern }). var[k] >= 0 is a variable of the
 * patterns, -1 the term id[k] (0: one the store lacks, so nothing matches), -2 any term (a
 * variable of the tested pattern alone, each written once). */
typedef struct {
	int var[3];
	kgr_id id[3];
	int exists; /* 1: a solution is kept when the pattern matches; 0: when it does not */
} kgr__bgp_check;

typedef struct {
	const kgr_store *store;
	kgr__bgp_pattern pat[KGR__BGP_MAX];
	size_t n_pat; /* the variables' indexes are below KGR__BGP_VARS */
	kgr__bgp_check check[KGR__BGP_MAX];
	size_t n_check;
	/* whether a quad of graph g is in the default graph */
	int (*graph_ok)(void *payload, kgr_id g);
	/* asked now and then: nonzero stops the evaluation (a deadline) */
	int (*stop)(void *payload);
	/* when set, a last test of each solution that passed the checks: 1 keeps it, 0 drops it,
	 * -1 stops the evaluation (FILTER expressions, sparql/sparql_vfilter.h) */
	int (*keep)(void *payload, const kgr_id *values);
	/* one solution, every variable's value (never 0); nonzero stops the evaluation */
	int (*solution)(void *payload, const kgr_id *values);
	void *payload;
} kgr__bgp;

/* Every solution of the patterns that passes the checks, each once per way it matches (a
 * multiset, as SPARQL's BGP). 0 when every solution was given, 1 when stop() or solution() stopped it. */
int kgr__bgp_run(kgr__bgp *b);

/* A set of tuples of term ids, all of one width (at most KGR__BGP_VARS), numbered in the
 * order they were added: the distinct rows of a solution sequence, or groups and the values
 * counted in them. Zeroed is empty. */
typedef struct {
	size_t width, n;
	kgr_id *tuple;   /* n * width ids, in order of addition */
	size_t tuple_cap; /* tuples */
	uint64_t *slot;  /* cap slots: 0 empty, else (hash's high half << 32) | (number + 1) */
	size_t cap;
} kgr__idset;

/* 1 when @p t (width ids) was added, 0 when the set held it; its number in *index either
 * way. -1 when out of memory or past 2^32 - 1 tuples. */
int kgr__idset_add(kgr__idset *s, const kgr_id *t, size_t *index);
/* The tuple numbered @p i. */
static inline const kgr_id *kgr__idset_at(const kgr__idset *s, size_t i)
{
	return s->tuple + i * s->width;
}
void kgr__idset_free(kgr__idset *s);

/* Sorts the @p n words of @p v in ascending order (a radix sort: a few sequential passes,
 * where a hash table of as many entries is probed at random). 0, or -1 out of memory. */
int kgr__sort_u64(uint64_t *v, size_t n);
/* Words kept to be sorted by kgr__sort_u64() rather than hashed: a pair of ids each (the
 * first in the high half), or an id. Zeroed is empty. */
typedef struct {
	uint64_t *v;
	size_t n, cap;
} kgr__words;
/* Appends @p w: 0, or -1 out of memory. */
int kgr__words_push(kgr__words *ws, uint64_t w);
void kgr__words_free(kgr__words *ws);
/* How many solutions a count keeps as words to sort before it turns to hash sets
 * (2^23; set lower by the tests, to take the other way). */
extern size_t kgr__sparql_sort_max;

#endif
