/* The store layer's internal declarations, for the layers above it. Not installed. */
#ifndef KGREC_KG_INTERNAL_H
#define KGREC_KG_INTERNAL_H

#include "kgrec/common.h"
#include "kgrec/store.h"
#include "util/util.h"

#include <stdarg.h>

/** The embedded ontology (ontologies/kgrec.ttl). */
extern const unsigned char kgr__ontology_ttl[];
extern const size_t kgr__ontology_ttl_len;

/** UTF-8 bytes of code point cp (at most 0x10FFFF) into out (room for 4); returns how many. */
size_t kgr__utf8_put(char *out, uint32_t cp);
/** An N-Triples \uXXXX or \UXXXXXXXX escape at p (p[0] == '\\', the text ending at end):
 *  the code point through *cp and the bytes it takes, or 0 when it is not a valid one (bad
 *  digits, beyond 0x10FFFF, a surrogate). */
size_t kgr__ntriples_uchar(const char *p, const char *end, uint32_t *cp);

/** The order every interaction table keeps: by user, then time; <0, 0 or >0. Events of one
 *  user at the same time are equal here: each table says how it orders them. */
int kgr__interaction_cmp(const kgr_interaction *a, const kgr_interaction *b);
/* The store's table order for qsort(): (user, time), then the event node, whose id says when
 * the event was first loaded (terms are numbered as they are first met), so that same-time
 * events keep the order of the input; then item and action for events without a node. */
int kgr__interaction_qsort_cmp(const void *a, const void *b);
/* Put the same-time events of each user in the order they were loaded (by event id), where a
 * table is not (a snapshot saved when ties went by item id). */
void kgr__interactions_load_order(kgr_interaction *v, size_t n);

/** ISO-8601 date or date-time (YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM]) or integer
 *  epoch seconds, surrounding blanks ignored, as epoch seconds through *out; 0 or -1 (no
 *  message set). (kg/time.c) */
int kgr__parse_time(const char *text, size_t len, int64_t *out);
/** A timestamp of an interaction log as epoch seconds through *out: ISO-8601 as
 *  kgr__parse_time() takes it, or an integer in @p unit; KGR_TIME_UNIT_AUTO tells the unit by
 *  magnitude (below 1e12 seconds; 1e12 to 1e13 milliseconds; 1e15 to 1e16 microseconds; other
 *  magnitudes are out of range). 0; -1 neither; -2 an integer out of range. *why receives the
 *  reason ("out of range: read as epoch seconds ... it falls in the year 10000 ..."), without
 *  the value. (kg/time.c) */
int kgr__parse_log_time(const char *text, size_t len, kgr_time_unit unit, int64_t *out, char *why,
	size_t why_size);
/** Epoch seconds as YYYY-MM-DDTHH:MM:SSZ into buf. */
void kgr__format_time(int64_t t, char *buf, size_t size);
/** Whether epoch seconds t fall in the years 1000 to 9999 (the range times are accepted in). */
int kgr__time_ok(int64_t t);

/** What an action name of an event log or of POST /v1/events means. (kg/actions.c) */
typedef enum {
	KGR__ACTION_UNKNOWN = 0,  /**< not a name kgrec knows */
	KGR__ACTION_KNOWN,        /**< an action: its local name in the kgrec namespace ("view") */
	KGR__ACTION_NOT_RECORDED  /**< accepted and not loaded: not an interaction (a refund) */
} kgr__action_kind;

/** The action @p name means by the table both the loader and the service use (case, spaces,
 *  '_' and '-' do not matter); *action_out receives the action's local name for
 *  KGR__ACTION_KNOWN, else NULL. */
kgr__action_kind kgr__action_lookup(const char *name, const char **action_out);
/** The names of that table, grouped by the action they mean, for messages. */
void kgr__action_names(kgr__buf *out);

/** Action names read from an --action-map file (name,action rows). */
typedef struct kgr__action_map kgr__action_map;
/** Read an action map. 0; KGR_ENOTFOUND, KGR_EIO, KGR_ENOMEM; KGR_EPARSE naming the file, line
 *  and the value (a row without two columns, an action that is none). */
int kgr__action_map_load(kgr__action_map **out, const char *path);
/** kgr__action_lookup() with @p map (may be NULL) consulted first; there *action_out may be an
 *  IRI (it holds a ':') instead of a local name. */
kgr__action_kind kgr__action_resolve(const kgr__action_map *map, const char *name, const char **action_out);
void kgr__action_map_free(kgr__action_map *map);

/* Where the last kgr__store_match_hinted() range of a caller began: a caller that asks for
 * keys in ascending order (the subjects of one pattern after another's sorted objects) has
 * each range searched onwards from the one before, instead of from the whole array. Zeroed
 * is unused. */
typedef struct {
	int used, view, fb;
	uint32_t a, b;
	size_t lo;
} kgr__match_hint;
/* Index the subjects of finalized store @p s: each subject's SPO range found by two loads
 * rather than a search of the whole array. For a process that queries a store it alone
 * holds (a SPARQL query process kept for reuse: its copy of the store is its own); never
 * freed. 0, or KGR_ENOMEM (the store is then searched as before). */
int kgr__store_index_subjects(kgr_store *s);
/* Whether @p s has its subjects indexed (kgr__store_index_subjects()). */
int kgr__store_subjects_indexed(const kgr_store *s);
/* Asks the processor for what a match of subject @p subj will read, without waiting for it:
 * @p stage 0 the subject's entry of the index, 1 (later, once that entry has arrived) the
 * first quads of its SPO range. A caller that will look up many subjects prefetches a batch
 * of them at stage 0, then at stage 1, so that their cache misses overlap. Nothing without
 * the subject index. */
void kgr__store_prefetch_subject(const kgr_store *s, kgr_id subj, int stage);

/* The same for what kgr_term_kind_of(), kgr_term_datatype() and kgr_term_value() will read
 * of term @p id: stage 0 its kind and record, 1 (once the record has arrived) its text. */
void kgr__store_prefetch_term(const kgr_store *s, kgr_id id, int stage);

/* kgr_store_match() with @p hint, which it reads and updates (kg/store.c). */
void kgr__store_match_hinted(const kgr_store *s, kgr_iter *it, kgr_id subj, kgr_id pred, kgr_id obj,
	kgr_id g, kgr__match_hint *hint);

/** A user's interactions before @p at (all when 0), in time order; NULL (and 0) for no user.
 *  Borrowed from the store. What the LLM ranker and the audit trail show as history. */
const kgr_interaction *kgr__user_history(const kgr_store *s, kgr_id user, int64_t at, size_t *n_out);

/* Catalog items named the way interaction logs name them (kg/item_match.c): the loader
 * matches a log's ids with it, the service the items of POST /v1/events. */
typedef struct kgr__item_index kgr__item_index;
typedef enum {
	KGR__MATCH_NONE = 0,
	KGR__MATCH_LOCAL,     /* the local name of the product's IRI */
	KGR__MATCH_SKU,       /* schema:sku */
	KGR__MATCH_PRODUCTID, /* schema:productID */
	KGR__MATCH_GTIN       /* schema:gtin, gtin8, gtin12, gtin13, gtin14; leading zeros ignored */
} kgr__match_kind;
/* The products of a store (loading or opened) and their keys; 0 or KGR_ENOMEM (message set). */
int kgr__item_index_build(kgr__item_index **out, const kgr_store *s);
/* The product @p value names (tried in the order of kgr__match_kind; a local name as written
 * and, when given, percent-encoded as @p encoded), or 0 with *ambiguous set when a key named
 * several products. */
kgr_id kgr__item_index_find(const kgr__item_index *ix, const kgr_store *s, const char *value,
	const char *encoded, kgr__match_kind *how, int *ambiguous);
int kgr__item_index_is_product(const kgr__item_index *ix, kgr_id id);
size_t kgr__item_index_products(const kgr__item_index *ix);
void kgr__item_index_free(kgr__item_index *ix);

#endif
