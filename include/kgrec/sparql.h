/**
 * @file sparql.h
 * @brief SPARQL 1.1 queries over a finalized store (rasqal through librdf), result access
 *        and the W3C result formats.
 *
 * The dataset a query sees is the store itself: the default graph is the union (RDF merge)
 * of all graphs of the store (or its unnamed graph alone, kgr_sparql_options), and every
 * named graph of the store is available to `GRAPH <iri> { ... }` and `GRAPH ?g { ... }`.
 * `FROM <g>` and `FROM NAMED <g>` choose graphs of the store (SPARQL 1.1's dataset: the
 * default graph is then the merge of the FROM graphs, the named graphs the FROM NAMED ones;
 * a graph the store does not have is empty); nothing is ever fetched from the network, and
 * SERVICE is refused. SELECT, ASK
 * and CONSTRUCT are evaluated by rasqal; DESCRIBE is answered with the Concise Bounded
 * Description of each resource named or matched; SPARQL Update is refused (the store is
 * read-only).
 *
 * Each call of kgr_sparql_query() runs the query in a child process of its own (fork, no
 * exec), under the time limit: parse, prepare and evaluation are all cut at the deadline,
 * queries from several threads run at the same time, and a crash inside rasqal is an error
 * of that query. A result, once returned, is plain memory and may be read and written out
 * from any thread. See docs/SPARQL.md for the costs, what rasqal 0.9.33 supports and the
 * workarounds.
 */
#ifndef KGREC_SPARQL_H
#define KGREC_SPARQL_H

#include <stdio.h>

#include "common.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kgr_sparql_result kgr_sparql_result;

/** What a query returned. */
typedef enum {
	KGR_SPARQL_BINDINGS = 1, /**< SELECT: a table of variable bindings */
	KGR_SPARQL_BOOLEAN = 2,  /**< ASK: true or false */
	KGR_SPARQL_GRAPH = 3     /**< CONSTRUCT, DESCRIBE: a set of triples */
} kgr_sparql_kind;

/** Output formats of kgr_sparql_write(). */
typedef enum {
	KGR_SPARQL_FORMAT_TABLE = 0, /**< aligned text for people (terms in N-Triples syntax) */
	KGR_SPARQL_FORMAT_JSON,      /**< W3C SPARQL 1.1 Query Results JSON */
	KGR_SPARQL_FORMAT_CSV,       /**< W3C SPARQL 1.1 Query Results CSV */
	KGR_SPARQL_FORMAT_TSV,       /**< W3C SPARQL 1.1 Query Results TSV */
	KGR_SPARQL_FORMAT_TURTLE,    /**< Turtle (graph results only) */
	KGR_SPARQL_FORMAT_NTRIPLES,  /**< N-Triples (graph results only) */
	KGR_SPARQL_FORMAT_RDFXML,    /**< RDF/XML (graph results only; raptor's writer) */
	KGR_SPARQL_FORMAT_JSONLD     /**< JSON-LD 1.1, expanded form (graph results only) */
} kgr_sparql_format;

/** Options of kgr_sparql_query(). */
typedef struct {
	unsigned int version;
	/** Keep at most this many rows (or triples); further ones are dropped and
	 *  kgr_sparql_result_truncated() says so. 0: no limit. */
	size_t max_rows;
	/** Give up after this many milliseconds with KGR_ETIMEOUT. 0: no limit. */
	unsigned int timeout_ms;
	/** Base IRI for relative IRIs in the query, or NULL for https://w3id.org/kgrec/query. */
	const char *base_iri;
	/** rasqal joins triple patterns in the order written; kgrec rewrites plain groups of
	 *  triple patterns most selective first (counted in the store). 1 keeps the order. */
	int keep_order;
	/** The default graph of a query without FROM / FROM NAMED. 0: the union of all graphs
	 *  of the store (kgrec's default: closures and named graphs are seen without GRAPH).
	 *  1: the store's unnamed graph alone, as SPARQL's test suites and most stores have it
	 *  (named graphs only through GRAPH). With FROM or FROM NAMED the query chooses.
	 *  (version 2) */
	int unnamed_default_graph;
} kgr_sparql_options;

#define KGR_SPARQL_OPTIONS_VERSION 2
#define KGR_SPARQL_OPTIONS_INIT { .version = KGR_SPARQL_OPTIONS_VERSION }

/** One RDF term of a result. Strings are borrowed from the result. */
typedef struct {
	kgr_term_kind kind;   /**< KGR_TERM_NONE for an unbound variable */
	const char *value;    /**< IRI, blank node label (without "_:") or lexical form */
	size_t len;           /**< byte length of value */
	const char *lang;     /**< language tag of a literal, or NULL */
	const char *datatype; /**< datatype IRI of a literal, or NULL (plain or tagged) */
} kgr_sparql_term;

/**
 * @brief Run a SPARQL query over a finalized store.
 * @param[out] out the result; free with kgr_sparql_result_free(). NULL on error.
 * @param store a finalized store (kgr_store_finalize() or kgr_store_open()).
 * @param query the SPARQL 1.1 query text (UTF-8).
 * @param opts options, or NULL for KGR_SPARQL_OPTIONS_INIT.
 * @return 0;
 *   KGR_EPARSE for a syntax error (the message gives rasqal's message, the line and, when
 *   it can be told, the column);
 *   KGR_EUNSUPPORTED for SPARQL Update, SERVICE, and MINUS (which rasqal cannot execute;
 *   the message gives the workaround);
 *   KGR_ETIMEOUT when opts->timeout_ms passed (message gives the limit);
 *   KGR_EINVALID when the store is not finalized;
 *   KGR_ENOMEM; KGR_EIO when the query process cannot be started;
 *   KGR_ERROR when rasqal fails while executing (its message), when the query process ends
 *   abnormally (the signal) or when the query was cancelled.
 */
KGR_API int kgr_sparql_query(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts);

/** @brief Free a result. Accepts NULL. */
KGR_API void kgr_sparql_result_free(kgr_sparql_result *result);

/** @brief Kind of the result. */
KGR_API kgr_sparql_kind kgr_sparql_result_kind(const kgr_sparql_result *result);

/** @brief 1 when rows (or triples) were dropped because of kgr_sparql_options.max_rows. */
KGR_API int kgr_sparql_result_truncated(const kgr_sparql_result *result);

/** @brief Number of variables (columns) of a bindings result; 0 for other kinds. */
KGR_API size_t kgr_sparql_result_column_count(const kgr_sparql_result *result);

/** @brief Name of column @p i without the '?'. Borrowed; NULL when out of range. */
KGR_API const char *kgr_sparql_result_column_name(const kgr_sparql_result *result, size_t i);

/** @brief Number of rows of a bindings result; 0 for other kinds. */
KGR_API size_t kgr_sparql_result_row_count(const kgr_sparql_result *result);

/**
 * @brief The value of column @p col in row @p row.
 * @param[out] out the term (kind KGR_TERM_NONE when the variable is unbound).
 * @return 1 when bound, 0 when unbound or out of range.
 */
KGR_API int kgr_sparql_result_get(const kgr_sparql_result *result, size_t row, size_t col,
	kgr_sparql_term *out);

/** @brief The answer of an ASK query (0 or 1); 0 for other kinds. */
KGR_API int kgr_sparql_result_boolean(const kgr_sparql_result *result);

/** @brief Number of triples of a graph result; 0 for other kinds. */
KGR_API size_t kgr_sparql_result_triple_count(const kgr_sparql_result *result);

/**
 * @brief Triple @p i of a graph result.
 * @return 1, or 0 when out of range (the terms are then left untouched).
 */
KGR_API int kgr_sparql_result_triple(const kgr_sparql_result *result, size_t i, kgr_sparql_term *s,
	kgr_sparql_term *p, kgr_sparql_term *o);

/**
 * @brief Write a result in a format.
 *
 * Bindings and booleans: table, json, csv, tsv. Graphs: turtle, ntriples, rdfxml, jsonld
 * (expanded form: one node object per subject, values as @id, or @value with @language or
 * @type, rdf:type objects as @type), and table (one triple per row). ASK in json is `{"head":{},"boolean":true}`; in csv and tsv it is
 * a header `_askResult` and one line `true` or `false`.
 * @return 0; KGR_EINVALID when the format cannot show this kind of result (message names
 *         both) or when RDF/XML cannot write a predicate IRI (one with no XML local name,
 *         e.g. ending in '/' or a digit after the last '/' or '#'); KGR_EIO when writing
 *         fails; KGR_ENOMEM.
 */
KGR_API int kgr_sparql_write(const kgr_sparql_result *result, FILE *f, kgr_sparql_format format);

/**
 * @brief Format from its name: "table", "json", "csv", "tsv", "turtle" (or "ttl"),
 *        "ntriples" (or "nt"), "rdfxml" (or "rdf"), "jsonld" (or "json-ld").
 * @return 0; KGR_EINVALID for an unknown name (message lists the valid ones).
 */
KGR_API int kgr_sparql_format_from_name(kgr_sparql_format *out, const char *name);

/** @brief Name of a format ("table", "json", ...). */
KGR_API const char *kgr_sparql_format_name(kgr_sparql_format format);

/** @brief Media type of a format ("application/sparql-results+json", "text/turtle",
 *         "application/rdf+xml", "application/ld+json", ...). */
KGR_API const char *kgr_sparql_format_media_type(kgr_sparql_format format);

#ifdef __cplusplus
}
#endif
#endif
