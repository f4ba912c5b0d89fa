/* SPARQL 1.1 EXISTS, NOT EXISTS and MINUS (sparql/sparql_exists.c), which rasqal 0.9.33
 * cannot parse or run. Internal, not installed.
 *
 * Before rasqal sees a query, kgr__sparql_negation_rewrite() replaces in each group of
 * triple patterns and FILTERs
 *   FILTER EXISTS { P }      by  FILTER(?__kgr_eN)
 *   FILTER NOT EXISTS { P }  by  FILTER(!?__kgr_eN)   (also inside a FILTER expression)
 *   MINUS { P }              by  FILTER(!?__kgr_eN)
 * and ends the group with the pattern <urn:x-kgrec:exists:N> <...N> ?__kgr_eN. rasqal joins a
 * group's patterns in order as nested loops, so when it reaches that last pattern every
 * variable of the group has the value of the current solution; the triples source
 * (sparql/sparql.c) then answers it with one row binding ?__kgr_eN to true or false, which
 * it computes by running P as a query of its own: for EXISTS with the solution's values
 * written into P (SPARQL 1.1, 18.6 substitute), for MINUS once per active graph, keeping
 * P's rows to compare with each solution (18.5 Minus). */
#ifndef KGREC_SPARQL_EXISTS_H
#define KGREC_SPARQL_EXISTS_H

#include "kg/internal.h"

/** Prefix of the marker patterns' IRI; a query that writes it is refused. */
#define KGR__EXISTS_IRI "urn:x-kgrec:exists:"
/** Prefix of the marker variables; a query that writes it is refused. */
#define KGR__EXISTS_VAR "__kgr_e"
/** A blank node of the store written into a pattern: urn:x-kgrec:bnode:<term id>. */
#define KGR__BNODE_IRI "urn:x-kgrec:bnode:"

typedef struct {
	int minus;  /* MINUS { P }; else EXISTS (NOT is in the FILTER) */
	char *body; /* P with its braces, as written (after the property-path rewrite) */
	int line, col;
	int body_line; /* the line of P's '{' */
	/* the variables of the group's triple patterns that P sees (for MINUS, those before it) */
	char **vars;
	size_t nvars;
	/* MINUS: the rows of P over vars (0 unbound, KGR__NOT_STORED for a value the store lacks)
	 * in the graph rows_graph, computed once per graph */
	int have_rows;
	kgr_id rows_graph;
	kgr_id *rows;
	size_t nrows;
	/* EXISTS whose P is one triple pattern of variables, IRIs and prefixed names, checked
	 * on the store's indexes (sparql/sparql.c, exists_direct()): 0 not looked at yet, 1 yes,
	 * -1 no. Per position: the index in vars of a variable the solution gives, -1 a constant
	 * (id; 0 when the store lacks it), -2 a variable of P alone. */
	int direct;
	int direct_var[3];
	kgr_id direct_id[3];
} kgr__neg;

#define KGR__NOT_STORED ((kgr_id)0xfffffffbu)

typedef struct {
	kgr__neg *v;
	size_t n, cap;
	char *prologue; /* the PREFIX / BASE declarations of the query */
} kgr__neg_set;

/**
 * @brief Replace EXISTS, NOT EXISTS and MINUS in @p text (see above).
 * @param[out] out the rewritten text (caller frees), NULL when there is nothing to replace
 * @param set receives the patterns (appended: numbering goes on across calls)
 * @return 0; KGR_EUNSUPPORTED naming line and column for a place kgrec cannot evaluate
 *         right (EXISTS outside FILTER, beside OPTIONAL / UNION / GRAPH / BIND / VALUES /
 *         a nested group, ...), or when the text writes the reserved names; KGR_ENOMEM.
 */
int kgr__sparql_negation_rewrite(char **out, kgr__neg_set *set, const char *text);

/**
 * @brief Anti-joins written as OPTIONAL: in a group of triple patterns and FILTERs with one
 * `OPTIONAL { P }` (P triple patterns alone) and a FILTER whose top-level '&&' chain has the
 * conjunct `!BOUND(?v)`, ?v written in P, the conjunct goes (the FILTER too when it was all
 * of it) and the OPTIONAL becomes `FILTER NOT EXISTS { P }`. The same solutions (SPARQL 1.1,
 * 18.5: a solution of the group is kept exactly when no solution of P is compatible with it,
 * and for triple patterns that is P with its values written in having none), for as long as
 * the other variables of P are written nowhere else and the query is no SELECT *, which
 * would show them. kgr__sparql_negation_rewrite() then evaluates P once per solution instead
 * of rasqal's left join running P again for every row and keeping all its matches.
 * @param[out] oom set to 1 when memory ran out
 * @return the rewritten text (caller frees), or NULL when nothing was rewritten
 */
char *kgr__sparql_antijoin_rewrite(const char *text, int *oom);

/** Frees what @p set holds (not @p set itself). */
void kgr__neg_set_free(kgr__neg_set *set);

/** The pattern a marker IRI stands for, or -1. */
int kgr__neg_lookup(const kgr__neg_set *set, const char *iri);

/** Appends @p body to @p out with each variable named in names[] replaced by texts[]. */
void kgr__neg_substitute(kgr__buf *out, const char *body, char *const *names,
	char *const *texts, size_t n);

/** 1 when @p text contains @p w, compared without case. */
int kgr__neg_contains(const char *text, const char *w);

/** 1 when @p body has the variable @p name (?name or $name) as a token. */
int kgr__neg_mentions(const char *body, const char *name);

#endif
