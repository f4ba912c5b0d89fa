/* SPARQL 1.1 property paths (sparql/sparql_path.c), which rasqal 0.9.33 cannot parse.
 * Internal, not installed.
 *
 * Before rasqal sees a query, kgr__sparql_paths_rewrite() replaces each verb that is a path
 * (`p/q`, `^p`, `p|q`, `p*`, `p+`, `p?`, `!p`, `!(p|^q)`, groups) by a reserved IRI
 * KGR__PATH_IRI<n> and keeps the parsed path; the triples source (sparql/sparql.c) answers
 * a pattern with such a predicate by kgr__path_eval() over the store. */
#ifndef KGREC_SPARQL_PATH_H
#define KGREC_SPARQL_PATH_H

#include "kg/internal.h"

#include <redland.h>

/* ---- shared by sparql_path.c (parsing) and sparql_path_eval.c (evaluation) ---- */

typedef enum {
	KGR__P_LINK, /* one IRI */
	KGR__P_INV,  /* ^a */
	KGR__P_SEQ,  /* a/b */
	KGR__P_ALT,  /* a|b */
	KGR__P_STAR, /* a* */
	KGR__P_PLUS, /* a+ */
	KGR__P_OPT,  /* a? */
	KGR__P_NPS   /* !(...): members are LINK nodes from a, chained by b, inverse when ^ */
} kgr__path_op;

typedef struct {
	kgr__path_op op;
	int a, b; /* operands (node indices), -1 when none */
	int inverse;
	char *iri; /* LINK: the absolute IRI */
} kgr__path_node;

struct kgr__path_set {
	kgr__path_node *nodes;
	size_t n, cap;
	int *roots; /* path i of the query is the tree at nodes[roots[i]] */
	size_t nroots, cap_roots;
};

/** Prefix of the IRIs that stand for paths; a query that has paths and also writes an IRI
 *  with this prefix is refused, so a path IRI never names data. */
#define KGR__PATH_IRI "urn:x-kgrec:path:"

typedef struct kgr__path_set kgr__path_set;

/** Where a path is evaluated: the store, the active graph and the time limit. */
typedef struct {
	const kgr_store *store;
	/** A named graph, or KGR_ANY_GRAPH for the default graph (the quads whose graph
	 *  in_default() accepts, each triple once) */
	kgr_id graph;
	int (*in_default)(void *payload, kgr_id g);
	/** Non-zero when evaluation must stop (time limit); called often */
	int (*stop)(void *payload);
	void *payload;
} kgr__path_env;

/** One answer of a path: a subject and an object; the same pair repeats as often as the
 *  path's multiplicity gives it. */
typedef struct {
	kgr_id s, o;
} kgr__path_pair;

/**
 * @brief Replace the property paths in the verbs of @p text by path IRIs.
 * @param[out] out the rewritten text (caller frees), NULL when the text has no path
 * @param[out] paths the parsed paths (free with kgr__path_set_free()), NULL when none
 * @param raptor resolves prefixed names and relative IRIs
 * @param base_iri the base IRI before any BASE declaration
 * @return 0, KGR_EPARSE (message with line and column) for a malformed path or a variable
 *         inside a path, KGR_EUNSUPPORTED when the text also writes a KGR__PATH_IRI IRI,
 *         KGR_ENOMEM.
 */
int kgr__sparql_paths_rewrite(char **out, kgr__path_set **paths, const char *text,
	raptor_world *raptor, const char *base_iri);

/** Frees a path set; accepts NULL. */
void kgr__path_set_free(kgr__path_set *set);

/** The path an IRI stands for (an index for the functions below), or -1 when the IRI is
 *  not one of @p set. */
int kgr__path_lookup(const kgr__path_set *set, const char *iri);

/** How many zero-length matches the path has from a term to itself (0 when it needs at
 *  least one triple): used for a constant end that the store does not hold. */
size_t kgr__path_nullable(const kgr__path_set *set, int path);

/** 1 when @p id is a subject or an object of a triple of the active graph of @p env. */
int kgr__path_node_in_graph(const kgr__path_env *env, kgr_id id);

/**
 * @brief The (subject, object) pairs of path @p path in the active graph of @p env.
 * @param s the subject's term, 0 when free
 * @param o the object's term, 0 when free (with @p s also free, every node of the graph is
 *        a start: zero-length paths give each node to itself)
 * @param[out] out the pairs (caller frees), *n of them
 * @return 0, KGR_ETIMEOUT when env->stop() said stop, KGR_ENOMEM (no message set: the caller
 *         reports it).
 */
int kgr__path_eval(kgr__path_pair **out, size_t *n, const kgr__path_set *set, int path,
	const kgr__path_env *env, kgr_id s, kgr_id o);

#endif
