/* The W3C SPARQL test runner: terms, graphs and result tables as the runner compares them,
 * read with raptor (manifests, data, RDF result sets, SPARQL XML results) and cJSON (SPARQL
 * JSON results), independently of the store under test. */
#ifndef KGREC_TESTS_W3C_H
#define KGREC_TESTS_W3C_H

#include <stddef.h>

#include <raptor2.h>

#include "kgrec/sparql.h"

#define W3C_XSD "http://www.w3.org/2001/XMLSchema#"
#define W3C_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

/* One RDF term; kind is a kgr_term_kind (KGR_TERM_NONE: unbound). Strings are malloc'd. */
typedef struct {
	int kind;
	char *value;
	char *lang;
	char *dt;
} w3c_term;

typedef struct {
	w3c_term s, p, o;
} w3c_triple;

typedef struct {
	w3c_triple *t;
	size_t n, cap;
} w3c_graph;

enum { W3C_BINDINGS = 1, W3C_BOOLEAN = 2, W3C_GRAPH = 3 };

/* A query result as the runner compares it. */
typedef struct {
	int kind;
	size_t nvars;
	char **vars;
	size_t nrows;
	w3c_term *cells; /* nrows * nvars */
	int boolean;
	w3c_graph graph;
	int csv; /* values as CSV shows them: no datatype or language, IRIs as plain text */
} w3c_result;

raptor_world *w3c_raptor(void);

/* Parse an RDF file (syntax from the extension) with @p base_uri into @p g. Blank node
 * labels are prefixed with @p bnode_prefix (NULL: none). 0, or -1 with a message in err. */
int w3c_graph_parse(w3c_graph *g, const char *path, const char *base_uri, const char *bnode_prefix,
	char *err, size_t errlen);
void w3c_graph_free(w3c_graph *g);
/* The object of (s, p) at or after index *from, or NULL; *from moves past it. */
const w3c_term *w3c_graph_next_object(const w3c_graph *g, const w3c_term *s, const char *p, size_t *from);
const w3c_term *w3c_graph_object(const w3c_graph *g, const w3c_term *s, const char *p);
/* Appends the members of the RDF list starting at @p head to @p out (pointers into g). */
size_t w3c_graph_list(const w3c_graph *g, const w3c_term *head, const w3c_term **out, size_t max);
/* Writes the graph as N-Quads lines in graph @p graph_iri (NULL: default graph). */
int w3c_graph_nquads(const w3c_graph *g, const char *graph_iri, char **buf, size_t *len);

int w3c_term_eq(const w3c_term *a, const w3c_term *b);
void w3c_term_free(w3c_term *t);
int w3c_term_set(w3c_term *t, int kind, const char *value, size_t len, const char *lang, const char *dt);

/* Reads an expected result file (.srx, .srj, .tsv, .csv, .ttl, .rdf). */
int w3c_result_read(w3c_result *r, const char *path, const char *base_uri, char *err, size_t errlen);
/* Converts what kgrec answered. */
int w3c_result_from_kgr(w3c_result *r, const kgr_sparql_result *k);
void w3c_result_free(w3c_result *r);

/* 1 when @p got equals @p want: terms exactly, blank nodes up to a bijection, rows in order
 * when @p ordered (only the columns in @p order_vars, NULL-terminated, must agree row by
 * row: rows that tie on them may come in any order), rows as sets when @p lax (the
 * manifest's mf:LaxCardinality: REDUCED may keep any number of a row's copies). Else 0 and
 * a reason in why. */
int w3c_result_compare(const w3c_result *want, const w3c_result *got, int ordered,
	char **order_vars, int lax, char *why, size_t whylen);

#endif
