/* FILTER expressions of a group of triple patterns, evaluated on each solution's term ids
 * (sparql/sparql_vfilter.c): comparisons, the logical connectives and the term tests, by the
 * specification's operator mapping (17.3) and its error rules (17.2). Internal. */
#ifndef KGR_SPARQL_VFILTER_H
#define KGR_SPARQL_VFILTER_H

#include "kgrec/store.h"

#include <stddef.h>

#define KGR__VF_NODES 64
#define KGR__VF_ROOTS 16

/* An operand: a variable of the patterns (var >= 0) or a term written in the expression. */
typedef struct {
	int var;
	int kind;          /* kgr_term_kind of a constant */
	kgr_id id;         /* a constant's id in the store, 0 when the store lacks it */
	const char *lex;   /* a constant's lexical form, language tag and datatype IRI */
	size_t len;
	const char *lang;
	const char *datatype;
} kgr__vf_operand;

typedef struct {
	int op;   /* VF_* of sparql_vfilter.c */
	int a, b; /* children (nodes) or operands, by op */
} kgr__vf_node;

typedef struct {
	kgr__vf_node node[KGR__VF_NODES];
	kgr__vf_operand operand[KGR__VF_NODES];
	int root[KGR__VF_ROOTS];
	size_t n_node, n_operand, n_root;
	const kgr_store *store;
	kgr_id last_dt;    /* the datatype a value had last (0: none), and its class (0: none yet) */
	int last_class;
	int unsure; /* a solution met a case left to rasqal: the evaluation is abandoned */
} kgr__vfilter;

/* @p expr (a rasqal_expression) as one more FILTER of @p f, the conjunction of its filters:
 * 1 when every part of it is of a form evaluated here and each variable it reads is among
 * vars[0 .. nv) (rasqal_variable pointers: the patterns' variables, in value order), else 0
 * (f is then unusable). Strings are borrowed from the query, which must outlive f. */
int kgr__vfilter_add(kgr__vfilter *f, const kgr_store *store, void *expr, void *const *vars, size_t nv);

/* Whether the solution @p values passes every filter of @p f: 1 yes, 0 no (false or an
 * error), -1 when a comparison is one rasqal must make (f->unsure is set). */
int kgr__vfilter_keep(kgr__vfilter *f, const kgr_id *values);

#endif
