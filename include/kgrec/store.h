/**
 * @file store.h
 * @brief The knowledge-graph store: interned terms, indexed quads, interactions, snapshots.
 *
 * A store is built in two phases. While loading, RDF files and interaction logs are parsed
 * and their terms interned (kgr_store_load_rdf(), kgr_store_load_interactions()); then
 * kgr_store_finalize() sorts and deduplicates the quads, builds the SPO/POS/OSP indexes,
 * materialises transitive closures and derives the interaction table. A finalized store is
 * read-only and may be read from any number of threads. kgr_store_save() writes it as one
 * checksummed snapshot file; kgr_store_open() maps it back.
 */
#ifndef KGREC_STORE_H
#define KGREC_STORE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Namespace of the kgrec vocabulary (ontologies/kgrec.ttl). */
#define KGR_NS "https://w3id.org/kgrec/ns#"
/** Named graph that holds the embedded kgrec ontology. */
#define KGR_GRAPH_ONTOLOGY "https://w3id.org/kgrec/graph/ontology"
/** Named graph that holds triples inferred at finalize (closures, interaction edges). */
#define KGR_GRAPH_INFERRED "https://w3id.org/kgrec/graph/inferred"

typedef struct kgr_store kgr_store;

/** Kind of an RDF term. */
typedef enum {
	KGR_TERM_NONE = 0,
	KGR_TERM_IRI = 1,
	KGR_TERM_BLANK = 2,
	KGR_TERM_LITERAL = 3
} kgr_term_kind;

/** A quad of term ids. g is 0 for the default graph. */
typedef struct {
	kgr_id s, p, o, g;
} kgr_quad;

/** One user -> item interaction. Sorted by (user, time) in the store; the events of one user
 *  at the same time in the order they were loaded. */
typedef struct {
	kgr_id user;   /**< IRI of the user */
	kgr_id item;   /**< IRI of the item */
	kgr_id action; /**< IRI of the action (kgr:purchase, kgr:view, ...); 0 if unknown */
	kgr_id event;  /**< the event node that describes it in the graph */
	int64_t time;  /**< seconds since the epoch, UTC */
	float weight;  /**< explicit weight (rating, count...), or 1 */
} kgr_interaction;

/** The unit of integer timestamps in an interaction log. */
typedef enum {
	KGR_TIME_UNIT_AUTO = 0, /**< told apart by magnitude: below 1e12 seconds, 1e12 to 1e13
	                             milliseconds, 1e15 to 1e16 microseconds (docs/EVENTS.md) */
	KGR_TIME_UNIT_S,        /**< epoch seconds */
	KGR_TIME_UNIT_MS,       /**< epoch milliseconds */
	KGR_TIME_UNIT_US        /**< epoch microseconds (a GA4 export's event_timestamp) */
} kgr_time_unit;

/** What kgr_store_load_interactions() read, filled when kgr_interaction_options.report_out is
 *  set (zeroed first; when the load fails, as far as it got). */
typedef struct {
	size_t events;           /**< rows loaded as interaction events */
	size_t skipped;          /**< bad rows skipped (skip_bad_rows) */
	size_t not_recorded;     /**< rows not loaded because their action is not an interaction
	                              (a refund, a list impression: docs/EVENTS.md) */
	size_t catalog_items;    /**< catalog products the log's items were matched against */
	size_t items_by_iri;     /**< events naming a catalog product by its IRI (or item_base + id) */
	size_t items_by_name;    /**< ... by the local name of the product's IRI */
	size_t items_by_code;    /**< ... by its schema:sku, schema:productID or schema:gtin* */
	size_t items_unmatched;  /**< events whose item is no catalog product: item_base + id, or
	                              an IRI the catalog does not type as a product */
	char unmatched[3][96];   /**< up to three distinct unmatched items, as written in the log */
	size_t unknown_actions;  /**< events whose action name kgrec does not know (loaded as new
	                              actions under https://w3id.org/kgrec/action/) */
	char unknown[3][48];     /**< up to three distinct such names */
	char delimiter;          /**< the delimiter the file was read with */
} kgr_interaction_report;

/** Options of kgr_store_load_interactions(). */
typedef struct {
	unsigned int version;
	const char *user_base;  /**< prefix for user columns that are not IRIs */
	const char *item_base;  /**< prefix for item columns that name no catalog product */
	char delimiter;         /**< ',', ';' or '\t'; 0 guesses from the file name and header */
	int skip_bad_rows;      /**< skip and count malformed rows instead of failing */
	size_t *skipped_out;    /**< when set, receives the number of rows skipped */
	const char *action_map; /**< a CSV file of name,action rows naming more actions, or NULL */
	kgr_time_unit time_unit; /**< unit of integer timestamps */
	int strict_items;       /**< an item that is no catalog product is a bad row */
	kgr_interaction_report *report_out; /**< when set, receives what was read */
} kgr_interaction_options;

#define KGR_INTERACTION_OPTIONS_VERSION 2
#define KGR_INTERACTION_OPTIONS_INIT { .version = KGR_INTERACTION_OPTIONS_VERSION, \
	.user_base = "https://w3id.org/kgrec/user/", .item_base = "https://w3id.org/kgrec/item/" }

/** Options of kgr_store_load_product_feed(). */
typedef struct {
	unsigned int version;
	const char *item_base;  /**< prefix of product IRIs: item_base + the id column (percent-encoded) */
	const char *node_base;  /**< prefix of brand, category, material, audience and group IRIs */
	char delimiter;         /**< ',', ';' or '\t'; 0 guesses from the header */
	int skip_bad_rows;      /**< skip and count bad rows instead of failing */
	size_t *skipped_out;    /**< when set, receives the number of rows skipped */
} kgr_feed_options;

#define KGR_FEED_OPTIONS_VERSION 1
#define KGR_FEED_OPTIONS_INIT { .version = KGR_FEED_OPTIONS_VERSION, \
	.item_base = "https://w3id.org/kgrec/item/", .node_base = "https://w3id.org/kgrec/catalog/" }

/** Progress callback: bytes read so far out of total (0 when unknown). */
typedef void (*kgr_progress_cb)(uint64_t done, uint64_t total, void *payload);

/**
 * @brief Create an empty store in its loading phase.
 * @param[out] out the new store; free with kgr_store_free().
 * @param with_ontology load the embedded kgrec ontology into KGR_GRAPH_ONTOLOGY.
 * @return 0, or KGR_ENOMEM.
 */
KGR_API int kgr_store_new(kgr_store **out, int with_ontology);

/**
 * @brief A store in its loading phase holding what a finalized @p base holds: its terms (same
 *        ids), prefixes and asserted quads in every graph (the inferred graph is derived again
 *        by kgr_store_finalize()). Load more into it, finalize and save: a snapshot plus new
 *        triples without exporting and parsing the snapshot again. @p base is not changed.
 * @param[out] out the new store; free with kgr_store_free().
 * @return 0; KGR_EINVALID (@p base is still loading); KGR_ENOMEM.
 */
KGR_API int kgr_store_new_from(kgr_store **out, const kgr_store *base);

/** @brief Free a store. Accepts NULL. */
KGR_API void kgr_store_free(kgr_store *store);

/** @brief Set a progress callback for the following loads. */
KGR_API void kgr_store_set_progress(kgr_store *store, kgr_progress_cb cb, void *payload);

/**
 * @brief Set how many threads parse N-Triples and N-Quads in the following loads (besides
 *        the one that reads the input and the one that interns the terms in input order).
 *        The store's terms, ids and quads are the same for every number of threads.
 * @param threads 1 to 64; 0 (the default): the processors online.
 * @return 0; KGR_EINVALID (out of range; the setting is unchanged).
 */
KGR_API int kgr_store_set_threads(kgr_store *store, int threads);

/**
 * @brief Parse an RDF file (optionally gzip-compressed) into the store.
 * @param path the file; "-" reads standard input.
 * @param format a raptor parser name ("ntriples", "turtle", "rdfxml", "nquads", "trig",
 *        "json") or NULL to guess from the extension (.gz stripped first).
 * @param base base IRI, or NULL for the file's own URI.
 * @return 0; KGR_ENOTFOUND (no such file), KGR_EPARSE (syntax error; the message names
 *         file, line and column), KGR_EIO, KGR_EINVALID (unknown format, store finalized).
 *         On error the store holds no triple of this file.
 */
KGR_API int kgr_store_load_rdf(kgr_store *store, const char *path, const char *format, const char *base);

/** @brief Parse RDF from memory. @p name is used in error messages. Same codes. */
KGR_API int kgr_store_load_rdf_buffer(kgr_store *store, const char *data, size_t len, const char *format,
	const char *base, const char *name);

/**
 * @brief Load a product feed: a Google-Merchant-style CSV or TSV with a header row (id,
 *        item_group_id, title, description, brand, gtin, mpn, google_product_category,
 *        product_type, price, sale_price, availability, condition, color, size, material,
 *        gender, age_group, link, image_link, custom_label_0..4; other columns are ignored),
 *        as schema.org and SKOS triples: category paths ("A > B > C") become a skos:broader
 *        taxonomy, variants schema:isVariantOf. docs/FEEDS.md lists the mapping.
 * @return 0; KGR_ENOTFOUND / KGR_EIO (the file); KGR_EPARSE naming the file, line, column and
 *         the value (a bad price, availability or URL; an empty id; no 'id' column; an
 *         unclosed quote); KGR_EINVALID (finalized store, options version).
 */
KGR_API int kgr_store_load_product_feed(kgr_store *store, const char *path, const kgr_feed_options *opts);

/**
 * @brief Read an interaction log `user,item,timestamp[,action][,weight]` with a header row
 *        (comma, semicolon or tab separated; GA4 and Segment column names too) and add each
 *        row as an interaction event in RDF. Action names are mapped to kgrec's actions (the
 *        table of docs/EVENTS.md, then @c action_map); an item that is not an IRI is matched
 *        against the products loaded so far by the local name of their IRI, schema:sku,
 *        schema:productID and schema:gtin*, else it becomes item_base + id.
 * @return 0; KGR_ENOTFOUND, KGR_EPARSE (message names file and line, and the column for a
 *         bad value; a header error names the delimiter assumed), KGR_EIO; KGR_ENOTFOUND
 *         naming the file, line and item when @c strict_items is set and an item is no
 *         catalog product; the action map's own errors. On error the store holds no event
 *         of this file.
 */
KGR_API int kgr_store_load_interactions(kgr_store *store, const char *path,
	const kgr_interaction_options *opts);

/**
 * @brief End the loading phase: sort, deduplicate, index, materialise closures of
 *        transitive properties and interaction edges, derive the interaction table.
 * @return 0; KGR_ENOMEM; KGR_EPARSE when an interaction event is malformed.
 */
KGR_API int kgr_store_finalize(kgr_store *store);

/**
 * @brief Write a finalized store as a snapshot file, atomically (temporary file, fsync,
 *        rename): on any error the previous file at @p path is untouched.
 * @return 0; KGR_EIO; KGR_EINVALID when the store is not finalized.
 */
KGR_API int kgr_store_save(const kgr_store *store, const char *path);

/**
 * @brief Open a snapshot file. A file this process did not save itself is checked before use:
 *        every term offset, id, permutation entry and count in its sections (linear in the
 *        file's size); one it saved is used as it is.
 * @param[out] out the store, finalized; free with kgr_store_free().
 * @return 0; KGR_ENOTFOUND; KGR_ECORRUPT (bad magic, truncated, checksum mismatch, an id,
 *         offset or order inside a section that is wrong, named in the message);
 *         KGR_EVERSION (written by another format version, named in the message); KGR_EIO.
 */
KGR_API int kgr_store_open(kgr_store **out, const char *path);

/** @brief 64-bit checksum of the store's content (the snapshot's checksum). */
KGR_API uint64_t kgr_store_checksum(const kgr_store *store);

/** @brief Checksum as 16 hex digits into buf (at least 17 bytes). Returns buf. */
KGR_API char *kgr_store_checksum_hex(const kgr_store *store, char *buf);

/* ---- terms ---- */

/** @brief Number of interned terms; valid ids are 1 .. count. */
KGR_API size_t kgr_store_term_count(const kgr_store *store);

/** @brief Kind of a term; KGR_TERM_NONE for an invalid id. */
KGR_API kgr_term_kind kgr_term_kind_of(const kgr_store *store, kgr_id id);

/**
 * @brief Lexical value of a term: the IRI, the blank node label, or the literal's lexical form.
 * @param[out] len_out when set, receives the byte length.
 * @return borrowed from the store; NULL for an invalid id.
 */
KGR_API const char *kgr_term_value(const kgr_store *store, kgr_id id, size_t *len_out);

/** @brief Language tag of a literal, or NULL. Borrowed. */
KGR_API const char *kgr_term_lang(const kgr_store *store, kgr_id id);

/** @brief Datatype IRI term of a literal, or 0 (plain / language-tagged). */
KGR_API kgr_id kgr_term_datatype(const kgr_store *store, kgr_id id);

/** @brief Id of an IRI, or 0 when the store has no such IRI. */
KGR_API kgr_id kgr_store_iri(const kgr_store *store, const char *iri);

/** @brief Id of a blank node label, or 0. */
KGR_API kgr_id kgr_store_blank(const kgr_store *store, const char *label);

/**
 * @brief Id of a literal, or 0.
 * @param lang language tag or NULL; @param datatype datatype IRI string or NULL.
 */
KGR_API kgr_id kgr_store_literal(const kgr_store *store, const char *lexical, size_t len,
	const char *lang, const char *datatype);

/**
 * @brief Resolve what a user typed: a full IRI, `<IRI>`, a prefixed name with a prefix the
 *        store knows (schema:, kgr:, rdf:, rdfs:, skos:, owl:, xsd:, and those of the input),
 *        or a local name matched against the user / item base or the end of an IRI when that
 *        is unambiguous.
 * @return the id, or 0 (and an error message naming @p text) when nothing matches.
 */
KGR_API kgr_id kgr_store_resolve(const kgr_store *store, const char *text);

/**
 * @brief Give an id to an IRI that a finalized store does not have yet (a new user arriving
 *        with a live event). The term has no triples; it is kept in memory only and is
 *        written by the next kgr_store_save(). Safe against concurrent readers of terms
 *        (kgr_term_value(), kgr_store_iri(), kgr_store_label() ... take no lock and see
 *        every term added before they were called) and against other callers of this
 *        function (they are serialised).
 * @return the id (the existing one when the IRI is known), or 0 on KGR_ENOMEM.
 */
KGR_API kgr_id kgr_store_intern_extra(kgr_store *store, const char *iri);

/**
 * @brief Display label of a term: rdfs:label, schema:name, skos:prefLabel, foaf:name
 *        (English or untagged first), else the IRI's local name, else the value.
 * @return borrowed from the store.
 */
KGR_API const char *kgr_store_label(const kgr_store *store, kgr_id id);

/**
 * @brief A user's interactions before @p at (all of them when @p at is 0), in time order: what
 *        the LLM ranker and the audit trail show as the user's history.
 * @param n_out receives how many.
 * @return borrowed from the store; NULL (and 0) for an id that is not a user with interactions.
 */
KGR_API const kgr_interaction *kgr_store_user_history(const kgr_store *store, kgr_id user, int64_t at,
	size_t *n_out);

/**
 * @brief Parse a time as the interaction tables take it: ISO-8601 date or date-time
 *        (YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM]) or integer epoch seconds.
 * @param[out] out seconds since the epoch.
 * @return 0; KGR_EINVALID when @p text is neither (the message quotes it).
 */
KGR_API int kgr_time_parse(int64_t *out, const char *text);

/** @brief Writes a term in N-Triples syntax into buf; returns the length it needs (snprintf-like). */
KGR_API size_t kgr_term_to_ntriples(const kgr_store *store, kgr_id id, char *buf, size_t size);

/* ---- triples ---- */

/** @brief Number of distinct quads. */
KGR_API size_t kgr_store_quad_count(const kgr_store *store);

/**
 * @brief All quads, sorted by (s, p, o, g). Borrowed; valid for the life of the store.
 * @param[out] n_out number of quads.
 */
KGR_API const kgr_quad *kgr_store_quads(const kgr_store *store, size_t *n_out);

/** @brief Quads whose subject is @p s, sorted by (p, o, g). Borrowed. */
KGR_API const kgr_quad *kgr_store_by_subject(const kgr_store *store, kgr_id s, size_t *n_out);

/**
 * @brief Iterator over quads matching a pattern; 0 in s, p or o is a wildcard.
 *
 * Uses the index that fits the bound positions: SPO for s or (s,p) or (s,p,o), POS for p or
 * (p,o), OSP for o or (o,s). A graph constraint is a filter.
 */
typedef struct {
	const kgr_store *store;
	kgr_quad pattern;
	int any_graph;
	const uint32_t *perm;  /* permutation in use, or NULL for the SPO array */
	size_t pos, end;
} kgr_iter;

/** Value of g in kgr_store_match() that matches quads of every graph. */
#define KGR_ANY_GRAPH ((kgr_id)0xffffffffu)

/**
 * @brief Start iterating quads that match (s, p, o) in graph @p g (KGR_ANY_GRAPH for all
 *        graphs, 0 for the default graph only, else that named graph).
 * Complexity: O(log n) to start, O(1) per match.
 */
KGR_API void kgr_store_match(const kgr_store *store, kgr_iter *it, kgr_id s, kgr_id p, kgr_id o, kgr_id g);

/** @brief Next match; returns 1 and fills @p out, or 0 at the end. */
KGR_API int kgr_iter_next(kgr_iter *it, kgr_quad *out);

/** @brief Number of quads matching (s, p, o) in any graph, without iterating. */
KGR_API size_t kgr_store_count(const kgr_store *store, kgr_id s, kgr_id p, kgr_id o);

/** @brief First object of (s, p, ?) in any graph, or 0. */
KGR_API kgr_id kgr_store_object(const kgr_store *store, kgr_id s, kgr_id p);

/** @brief Distinct named graphs (ids), sorted. Borrowed. */
KGR_API const kgr_id *kgr_store_graphs(const kgr_store *store, size_t *n_out);

/** @brief Prefix -> namespace pairs declared in the loaded files (for export and display). */
KGR_API size_t kgr_store_prefix_count(const kgr_store *store);
KGR_API void kgr_store_prefix(const kgr_store *store, size_t i, const char **prefix_out, const char **ns_out);

/* ---- interactions, users, items ---- */

/** @brief All interactions sorted by (user, time); a user's events of the same time in the
 *  order they were loaded (rows of an interactions file in file order; an event loaded
 *  twice keeps its first place). Borrowed. */
KGR_API const kgr_interaction *kgr_store_interactions(const kgr_store *store, size_t *n_out);

/** @brief Interactions of one user in time order (empty for an unknown user). Borrowed. */
KGR_API const kgr_interaction *kgr_store_user_interactions(const kgr_store *store, kgr_id user, size_t *n_out);

/** @brief Distinct users (ids of users with at least one interaction), sorted. Borrowed. */
KGR_API const kgr_id *kgr_store_users(const kgr_store *store, size_t *n_out);

/**
 * @brief Distinct items, sorted: every resource typed schema:Product or kgr:Item (or a
 *        subclass declared in the store) plus every item that has an interaction. Borrowed.
 */
KGR_API const kgr_id *kgr_store_items(const kgr_store *store, size_t *n_out);

/** @brief 1 when @p id is an item of the store. O(log n). */
KGR_API int kgr_store_is_item(const kgr_store *store, kgr_id id);

/** @brief Number of interactions with an item. O(1). */
KGR_API uint32_t kgr_store_item_popularity(const kgr_store *store, kgr_id item);

/* ---- export ---- */

/** Flags of kgr_store_export(). */
enum {
	KGR_EXPORT_INFERRED = 1, /**< include quads of KGR_GRAPH_INFERRED (closures, interaction edges) */
	KGR_EXPORT_ONTOLOGY = 2  /**< include the embedded kgrec ontology (KGR_GRAPH_ONTOLOGY) */
};

/**
 * @brief Write the store as RDF: "ntriples", "nquads" (keeps named graphs) or "turtle"
 *        (subjects grouped, the store's prefixes). By default only what was loaded is
 *        written: the inferred and ontology graphs are left out unless @p flags ask for them.
 * @param out an open stdio stream (void * so this header needs no <stdio.h>).
 * @return 0; KGR_EINVALID (unknown format); KGR_EIO (write failed).
 */
KGR_API int kgr_store_export(const kgr_store *store, void *out, const char *format, unsigned int flags);

/* ---- statistics ---- */

typedef struct {
	size_t quads, terms, iris, blanks, literals;
	size_t subjects, predicates, graphs;
	size_t users, items, interactions;
	size_t inferred;  /**< quads in KGR_GRAPH_INFERRED */
} kgr_store_stats;

/** @brief Fill @p out with counts. */
KGR_API void kgr_store_get_stats(const kgr_store *store, kgr_store_stats *out);

/** A term with a count. */
typedef struct {
	kgr_id id;
	size_t count;
} kgr_term_count;

/**
 * @brief Distinct predicates with their number of quads (@p p = 0), or distinct objects of
 *        predicate @p p with counts (p = rdf:type gives the classes), most frequent first.
 * @param[out] out array the caller frees with free(); @param[out] n_out its length.
 * @return 0; KGR_ENOMEM.
 */
KGR_API int kgr_store_histogram(kgr_term_count **out, size_t *n_out, const kgr_store *store, kgr_id p);

#ifdef __cplusplus
}
#endif
#endif
