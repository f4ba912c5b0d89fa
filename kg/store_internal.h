/* The store's internal layout, shared by store.c, ingest.c, interactions.c, snapshot.c. */
#ifndef KGREC_KG_STORE_INTERNAL_H
#define KGREC_KG_STORE_INTERNAL_H

#include "kg/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Extra terms (kgr_store_intern_extra): chunk sizes and the hash table readers probe. */
#define KGR__EXTRA_FIRST 64u
#define KGR__EXTRA_CHUNKS 26
typedef struct kgr__extra_table {
	size_t cap;                         /* a power of two */
	struct kgr__extra_table *retired;   /* the table this one replaced */
	_Atomic uint32_t slots[];           /* term ids, 0: empty */
} kgr__extra_table;

/* Chunk and offset of extra value i. */
static inline size_t kgr__extra_chunk(size_t i, size_t *off)
{
	size_t q = i / KGR__EXTRA_FIRST + 1, k = 0;
	while (q >>= 1)
		k++;
	*off = i - KGR__EXTRA_FIRST * (((size_t)1 << k) - 1);
	return k;
}

/* A term's record: where its bytes start in the blob, relative to the base offset of its
 * block of 2^KGR__TERM_BLOCK_BITS ids (term_base), so 32 bits suffice while the blob may
 * exceed 4 GiB. The bytes are NUL-terminated; terms lie in the blob in id order, so a term's
 * length is the distance to the next one's start, less its NUL and language tag (a record
 * past the last term marks the end). For a literal, extra is its datatype id, or
 * KGR__LANG_FLAG | language length with the tag stored after the value's NUL. */
typedef struct {
	uint32_t off;
	uint32_t extra;
} kgr__term;

#define KGR__TERM_BLOCK_BITS 16

#define KGR__LANG_FLAG 0x80000000u

/* Per-term flags. */
#define KGR__F_ITEM 1u
#define KGR__F_USER 2u

/* Well-known terms, interned in every store at creation so their ids are fixed and small. */
enum {
	KGR__RDF_TYPE = 1,
	KGR__RDFS_LABEL,
	KGR__RDFS_SUBCLASSOF,
	KGR__RDFS_SUBPROPERTYOF,
	KGR__SCHEMA_NAME,
	KGR__SKOS_PREFLABEL,
	KGR__FOAF_NAME,
	KGR__DCT_TITLE,
	KGR__OWL_TRANSITIVE,
	KGR__KGR_CLOSURE,
	KGR__KGR_INTERACTION,
	KGR__KGR_USER,
	KGR__KGR_ITEM,
	KGR__KGR_ACTION,
	KGR__KGR_TIME,
	KGR__KGR_WEIGHT,
	KGR__KGR_ITEMCLASS,
	KGR__KGR_USERCLASS,
	KGR__KGR_ACTIONCLASS,
	KGR__KGR_INTERACT,
	KGR__KGR_INTERACTEDWITH,
	KGR__SCHEMA_PRODUCT,
	KGR__XSD_DATETIME,
	KGR__XSD_DOUBLE,
	KGR__XSD_STRING,
	KGR__GRAPH_ONTOLOGY,
	KGR__GRAPH_INFERRED,
	KGR__WELL_KNOWN_END
};

/* Called first by kgr_store_free() when set: the SPARQL layer's query processes forked from a
 * store end before its memory can be reused (sparql/sparql_pool.c sets it). */
typedef void (*kgr__store_free_fn)(const struct kgr_store *s);
extern _Atomic(kgr__store_free_fn) kgr__store_free_hook;

struct kgr_store {
	int finalized;

	/* terms: ids 1..n_terms; index 0 unused */
	kgr__term *terms;
	uint8_t *kinds;
	uint32_t *hashes;  /* per term; NULL in a store opened from a snapshot (the table has them) */
	uint64_t *term_base; /* per block of 2^KGR__TERM_BLOCK_BITS ids: the offset records add to */
	size_t n_terms, cap_terms;
	char *blob;
	size_t blob_len, blob_cap;
	uint64_t *table; /* open addressing: hash << 32 | id, 0 = empty */
	size_t table_cap;  /* loading: a power of two; finalized: kgr__table_final_size() */

	/* quads: loading phase appends; finalize sorts (s,p,o,g) */
	kgr_quad *quads;
	size_t n_quads, cap_quads;
	uint32_t *pos;  /* permutation sorted (p,o,s,g) */
	uint32_t *osp;  /* permutation sorted (o,s,p,g) */
	/* when set (kgr__store_index_subjects(), in a SPARQL query process): the first SPO
	 * position of each subject id, n_terms + 2 of them, so a subject's range is two loads */
	uint32_t *subj_first;

	kgr_id *graphs;
	size_t n_graphs;

	/* derived at finalize */
	/* labels: bit id of label_bits marks a term that has one; the label literals of the
	 * marked terms in id order in labels, label_rank[w] the marks in the words before w
	 * (kgr__label_of()) */
	uint64_t *label_bits;
	uint32_t *label_rank;
	uint32_t *labels;
	size_t n_labels;
	uint8_t *flags;   /* per term: KGR__F_* */
	uint32_t *pop;    /* per item (beside items): interactions with it */
	kgr_interaction *inter;
	size_t n_inter;
	kgr_id *users;
	size_t n_users;
	uint64_t *user_off; /* n_users + 1 offsets into inter */
	kgr_id *items;
	size_t n_items;

	/* prefixes: "prefix\0namespace\0" pairs */
	kgr__buf prefixes;
	size_t n_prefixes;
	const char **prefix_ptrs; /* 2 * n_prefixes, into prefixes.data */

	/* snapshot: when set, the arrays above point into it and are not freed one by one */
	void *snap;
	size_t snap_len;
	uint64_t checksum;
	int checksum_valid;

	/* terms added after finalize (live events): ids n_terms+1 .. Read without a lock while
	 * kgr_store_intern_extra() adds more (writers take extra_lock): the values live in
	 * chunks that never move (chunk k holds KGR__EXTRA_FIRST << k of them), a value is
	 * written before n is raised (release), and a new hash table is published whole
	 * (release) while the old ones stay allocated until kgr_store_free(). */
	struct {
		char **chunks[KGR__EXTRA_CHUNKS];
		atomic_size_t n;
		_Atomic(struct kgr__extra_table *) table;
	} extra;
	pthread_mutex_t extra_lock;

	/* loading: a cache of recently interned short terms, bytes inline, so that terms that
	 * repeat (predicates, classes, brands, the subject of consecutive lines) are found without
	 * touching the big table or the blob */
	struct kgr__recent *recent;

	/* finalized: IRIs by their last path segment (after the last '/' or '#'), for
	 * kgr_store_resolve(); slots hold hash << 32 | id, several per hash, built on first use
	 * under extra_lock and published whole (release) */
	_Atomic(uint64_t *) local_names;
	size_t local_names_cap;

	/* loading */
	kgr_progress_cb progress;
	void *progress_payload;
	unsigned int load_serial; /* blank-node scope per parsed document */
	int load_threads;         /* N-Triples / N-Quads parsing threads; 0: the processors */
};

/* Term id's bytes (ids 1 .. n_terms, and n_terms + 1 for the end of the last one). */
static inline uint64_t kgr__term_off(const struct kgr_store *s, size_t id)
{
	return s->term_base[id >> KGR__TERM_BLOCK_BITS] + s->terms[id].off;
}

static inline const char *kgr__term_bytes(const struct kgr_store *s, size_t id)
{
	return s->blob + kgr__term_off(s, id);
}

/* The words of a label bitmap over term ids 0 .. n_terms. */
static inline size_t kgr__label_words(size_t n_terms)
{
	return ((n_terms + 1) >> 6) + 1;
}

/* The literal id of term id's label (id <= n_terms), 0 when it has none. */
static inline uint32_t kgr__label_of(const struct kgr_store *s, size_t id)
{
	uint64_t w = s->label_bits[id >> 6], bit = (uint64_t)1 << (id & 63);
	if (!(w & bit))
		return 0;
	return s->labels[s->label_rank[id >> 6] + (uint32_t)__builtin_popcountll(w & (bit - 1))];
}

/* The length of term id's value (its bytes before the NUL). */
static inline size_t kgr__term_len(const struct kgr_store *s, size_t id)
{
	uint32_t x = s->terms[id].extra;
	return (size_t)(kgr__term_off(s, id + 1) - kgr__term_off(s, id)) - 1 -
		((x & KGR__LANG_FLAG) ? (x & ~KGR__LANG_FLAG) + 1 : 0);
}

/* terms */
/* A term's hash as the term table keys it (kgr__term_hash(): an IRI in its stored form), a
 * prefetch of its table slot, and interning with that hash given (NULL: computed). Loaders
 * hash the terms a few ahead of interning them so the slots' cache misses overlap. */
uint32_t kgr__term_hash(kgr_term_kind kind, const char *val, size_t len, const char *lang,
	size_t lang_len, kgr_id datatype);
void kgr__term_prefetch(const kgr_store *s, uint32_t h);
/* Later stages, once the slot is in the cache: the term its home slot holds when that has
 * the hash (its entry prefetched, its id returned; else 0), then that term's bytes. */
kgr_id kgr__term_prefetch_entry(const kgr_store *s, uint32_t h);
void kgr__term_prefetch_bytes(const kgr_store *s, kgr_id id);
kgr_id kgr__intern_hashed(kgr_store *s, kgr_term_kind kind, const char *val, size_t len,
	const char *lang, size_t lang_len, kgr_id datatype, const uint32_t *hash);
kgr_id kgr__intern(kgr_store *s, kgr_term_kind kind, const char *val, size_t len, const char *lang,
	size_t lang_len, kgr_id datatype);
kgr_id kgr__intern_iri(kgr_store *s, const char *iri);
kgr_id kgr__find(const kgr_store *s, kgr_term_kind kind, const char *val, size_t len, const char *lang,
	size_t lang_len, kgr_id datatype);
int kgr__add_quad(kgr_store *s, kgr_id subj, kgr_id pred, kgr_id obj, kgr_id graph);
/* Room in the loading arrays for about input_bytes more of RDF text (a hint: nothing fails). */
void kgr__store_reserve(kgr_store *s, uint64_t input_bytes);
void kgr__rollback(kgr_store *s, size_t n_terms, size_t n_quads, size_t blob_len);
int kgr__add_prefix(kgr_store *s, const char *prefix, const char *ns);
int kgr__rebuild_prefix_ptrs(kgr_store *s);
int kgr__rebuild_table(kgr_store *s);
/* The term table rebuilt at the size its terms alone call for, if it is not already (a table
 * reserved from a size hint may be larger): what a snapshot holds must not depend on hints. */
int kgr__table_canonical(kgr_store *s);
/* The slots of a finalized store's term table (85% full). */
size_t kgr__table_final_size(size_t n_terms);


/* ingest */
int kgr__load_buffer(kgr_store *s, const char *data, size_t len, const char *format, const char *base,
	const char *name, kgr_id graph);

/* JSON-LD (kg/jsonld.c): @p text, a JSON-LD document, as N-Quads appended to @p out, its
 * relative IRIs resolved against @p base. 0, KGR_EPARSE (the message names the file @p name and
 * the JSON path, or the line and column of malformed JSON) or KGR_ENOMEM. */
int kgr__jsonld_to_nquads(kgr__buf *out, const char *text, size_t len, const char *base, const char *name);


/* checksum over the snapshot's payload sections */
uint64_t kgr__store_compute_checksum(const kgr_store *s);

/* Value of extra term i (i < extra.n, read with acquire or after the writer's unlock). */
static inline const char *kgr__extra_value(const kgr_store *s, size_t i)
{
	size_t off, k = kgr__extra_chunk(i, &off);
	return s->extra.chunks[k][off];
}

/* Number of extra terms, read with acquire: values below it are complete. */
static inline size_t kgr__extra_count(const kgr_store *s)
{
	return atomic_load_explicit(&s->extra.n, memory_order_acquire);
}

/* Term ids in ascending order, for qsort() (kg/finalize.c). */
int kgr__id_qsort_cmp(const void *a, const void *b);

#endif
