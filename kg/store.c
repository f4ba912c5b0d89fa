/* The store: term dictionary, life cycle, pattern matching over the indexes, accessors and
 * name resolution. Finalizing (sorting, indexes, closures, derived tables) is kg/finalize.c.
 *
 * Terms are interned into dense ids with an open-addressing hash table; quads are id tuples.
 * Finalizing sorts them once and builds two permutation arrays (POS and OSP, 4 bytes per quad
 * each) so every triple pattern is a contiguous range found by binary search. See
 * docs/STORE.md. */
#include "kg/store_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const well_known[] = {
	NULL,
	"http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
	"http://www.w3.org/2000/01/rdf-schema#label",
	"http://www.w3.org/2000/01/rdf-schema#subClassOf",
	"http://www.w3.org/2000/01/rdf-schema#subPropertyOf",
	"http://schema.org/name",
	"http://www.w3.org/2004/02/skos/core#prefLabel",
	"http://xmlns.com/foaf/0.1/name",
	"http://purl.org/dc/terms/title",
	"http://www.w3.org/2002/07/owl#TransitiveProperty",
	KGR_NS "closure",
	KGR_NS "Interaction",
	KGR_NS "user",
	KGR_NS "item",
	KGR_NS "action",
	KGR_NS "time",
	KGR_NS "weight",
	KGR_NS "Item",
	KGR_NS "User",
	KGR_NS "Action",
	KGR_NS "interact",
	KGR_NS "interactedWith",
	"http://schema.org/Product",
	"http://www.w3.org/2001/XMLSchema#dateTime",
	"http://www.w3.org/2001/XMLSchema#double",
	"http://www.w3.org/2001/XMLSchema#string",
	KGR_GRAPH_ONTOLOGY,
	KGR_GRAPH_INFERRED,
};

static const char *const default_prefixes[][2] = {
	{ "rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#" },
	{ "rdfs", "http://www.w3.org/2000/01/rdf-schema#" },
	{ "owl", "http://www.w3.org/2002/07/owl#" },
	{ "xsd", "http://www.w3.org/2001/XMLSchema#" },
	{ "skos", "http://www.w3.org/2004/02/skos/core#" },
	{ "schema", "http://schema.org/" },
	{ "kgr", KGR_NS },
	{ "prov", "http://www.w3.org/ns/prov#" },
	{ "dcterms", "http://purl.org/dc/terms/" },
	{ "foaf", "http://xmlns.com/foaf/0.1/" },
};

/* ------------------------------------------------------------------ terms */

static uint32_t term_hash(kgr_term_kind kind, const char *val, size_t len, const char *lang,
	size_t lang_len, kgr_id datatype)
{
	uint64_t h = kgr__hash64(val, len, (uint64_t)kind * 0x9e3779b97f4a7c15ULL + datatype);
	if (lang_len)
		h ^= kgr__hash64(lang, lang_len, 77) * 31;
	return (uint32_t)(h ^ (h >> 32));
}

static int term_equals(const kgr_store *s, kgr_id id, kgr_term_kind kind, const char *val, size_t len,
	const char *lang, size_t lang_len, kgr_id datatype)
{
	const kgr__term *t = &s->terms[id];
	const char *v = kgr__term_bytes(s, id);
	if (kgr__term_len(s, id) != len || memcmp(v, val, len) != 0 || s->kinds[id] != kind)
		return 0;
	if (kind != KGR_TERM_LITERAL)
		return 1;
	if (lang_len) {
		return (t->extra & KGR__LANG_FLAG) && (t->extra & ~KGR__LANG_FLAG) == lang_len &&
			memcmp(v + len + 1, lang, lang_len) == 0;
	}
	return t->extra == datatype;
}

/* The term table keeps the hash beside the id so a probe touches one cache line until the
 * final comparison with the term's bytes. A hash's first slot is its place in [0, cap) by
 * multiplication (the hash's high bits), so the table can have any size: a loading store's
 * is a power of two at most half full, a finalized store's (and so a snapshot's) 85% full
 * (kgr__table_final_size()): a term found takes about 4 probes, mostly in one cache line,
 * one not found about 20, in three or four lines read in order. */
static inline size_t slot_of(uint32_t hash, size_t cap)
{
	return (size_t)(((uint64_t)hash * cap) >> 32);
}

static inline size_t slot_next(size_t i, size_t cap)
{
	return i + 1 == cap ? 0 : i + 1;
}

static void table64_insert(uint64_t *table, size_t cap, uint32_t hash, kgr_id id)
{
	size_t i = slot_of(hash, cap);
	while (table[i])
		i = slot_next(i, cap);
	table[i] = (uint64_t)hash << 32 | id;
}

/* The term table is the store's own allocation (not a section of its snapshot: a table
 * rebuilt after opening one is). */
static int table_owned(const kgr_store *s)
{
	return !s->snap || (s->table && ((const char *)s->table < (const char *)s->snap ||
		(const char *)s->table >= (const char *)s->snap + s->snap_len));
}

/* The term table's size for n terms while loading: the smallest power of two from 1,024 that
 * keeps it at most half full, so that inserting stays cheap. */
static size_t table_size(size_t n_terms)
{
	size_t cap = 1024;
	while (cap < (n_terms + 1) * 2)
		cap *= 2;
	return cap;
}

size_t kgr__table_final_size(size_t n_terms)
{
	size_t n = n_terms + 1;
	return n + n * 3 / 17 + 1; /* n / 0.85 */
}

/* Every term's hash (index 0 unused), read from the term table's slots; NULL when out of
 * memory. For stores that do not keep s->hashes (those opened from a snapshot). */
static uint32_t *table_hashes(const kgr_store *s)
{
	uint32_t *hs = calloc(s->n_terms + 1, sizeof(*hs));
	size_t i;
	if (!hs)
		return NULL;
	for (i = 0; i < s->table_cap; i++) {
		uint64_t e = s->table[i];
		if (e && (kgr_id)e <= s->n_terms)
			hs[(kgr_id)e] = (uint32_t)(e >> 32);
	}
	return hs;
}

/* The term table rebuilt at cap slots (more than n_terms), filled in id order, so a table
 * of a given size holds the same slots however it grew. The hashes come from s->hashes or,
 * in a store opened from a snapshot (which does not keep them), from the table's own slots. */
static int rebuild_table_at(kgr_store *s, size_t cap)
{
	size_t id;
	uint64_t *t;
	uint32_t *hs = s->hashes;
	if (!hs && s->n_terms && !(hs = table_hashes(s)))
		return kgr__error_set(KGR_ENOMEM, "out of memory (hashes of %zu terms)", s->n_terms);
	t = calloc(cap, sizeof(*t));
	if (!t) {
		if (hs != s->hashes)
			free(hs);
		return kgr__error_set(KGR_ENOMEM, "out of memory (term table of %zu slots)", cap);
	}
	kgr__advise_huge(t, cap * sizeof(*t));
	for (id = 1; id <= s->n_terms; id++)
		table64_insert(t, cap, hs[id], (kgr_id)id);
	if (hs != s->hashes)
		free(hs);
	if (table_owned(s))
		free(s->table);
	s->table = t;
	s->table_cap = cap;
	return 0;
}

int kgr__rebuild_table(kgr_store *s)
{
	return rebuild_table_at(s, table_size(s->n_terms));
}

int kgr__table_canonical(kgr_store *s)
{
	size_t cap = kgr__table_final_size(s->n_terms);
	return s->table_cap == cap ? 0 : rebuild_table_at(s, cap);
}

/* http://schema.org/ and https://schema.org/ are one vocabulary: an IRI under the https form
 * is kept (and looked up) under the http form, the one kgrec's ontology and schema.org's own
 * JSON-LD context use (docs/FEEDS.md). *val and *len are redirected to @p buf (of @p cap bytes)
 * when the IRI is rewritten; 1 then, else 0 (also when it does not fit: then it stays as it is). */
#define SCHEMA_HTTPS "https://schema.org/"
static int schema_http(const char **val, size_t *len, char *buf, size_t cap)
{
	if (*len < sizeof(SCHEMA_HTTPS) - 1 || memcmp(*val, SCHEMA_HTTPS, sizeof(SCHEMA_HTTPS) - 1) ||
		*len > cap)
		return 0;
	memcpy(buf, "http", 4);
	memcpy(buf + 4, *val + 5, *len - 5);
	*val = buf;
	*len -= 1;
	return 1;
}

/* The id of a term whose value is as stored (schema_http() applied) and whose hash is h. */
static kgr_id find_hashed(const kgr_store *s, uint32_t h, kgr_term_kind kind, const char *val,
	size_t len, const char *lang, size_t lang_len, kgr_id datatype)
{
	size_t i;
	if (!s->table_cap)
		return 0;
	for (i = slot_of(h, s->table_cap); s->table[i]; i = slot_next(i, s->table_cap)) {
		uint64_t e = s->table[i];
		if ((uint32_t)(e >> 32) == h &&
			term_equals(s, (kgr_id)e, kind, val, len, lang, lang_len, datatype))
			return (kgr_id)e;
	}
	return 0;
}

kgr_id kgr__find(const kgr_store *s, kgr_term_kind kind, const char *val, size_t len, const char *lang,
	size_t lang_len, kgr_id datatype)
{
	char nbuf[512];
	if (kind == KGR_TERM_IRI)
		schema_http(&val, &len, nbuf, sizeof(nbuf));
	return find_hashed(s, term_hash(kind, val, len, lang, lang_len, datatype), kind, val, len, lang,
		lang_len, datatype);
}

#define RECENT_SLOTS 8192
#define RECENT_BYTES 52

struct kgr__recent {
	uint32_t hash, id;
	uint32_t len, kind;
	char bytes[RECENT_BYTES];
};

/* Remember a short term's id in its slot of the recent-terms cache. */
static inline void recent_put(struct kgr__recent *r, uint32_t hash, kgr_id id, kgr_term_kind kind,
	const char *val, size_t len)
{
	r->hash = hash;
	r->id = id;
	r->len = (uint32_t)len;
	r->kind = (uint32_t)kind;
	memcpy(r->bytes, val, len);
}

/* The term arrays (terms, kinds, hashes, the block bases) grown to cap entries; -1 when out
 * of memory (what could be grown stays grown). */
static int grow_terms(kgr_store *s, size_t cap)
{
	kgr__term *t = realloc(s->terms, cap * sizeof(*t));
	uint8_t *k;
	uint32_t *hs;
	uint64_t *tb;
	if (!t)
		return -1;
	s->terms = t;
	tb = realloc(s->term_base, (((cap - 1) >> KGR__TERM_BLOCK_BITS) + 1) * sizeof(*tb));
	if (!tb)
		return -1;
	s->term_base = tb;
	k = realloc(s->kinds, cap);
	if (!k)
		return -1;
	s->kinds = k;
	hs = realloc(s->hashes, cap * sizeof(*hs));
	if (!hs)
		return -1;
	s->hashes = hs;
	kgr__advise_huge(t, cap * sizeof(*t));
	kgr__advise_huge(hs, cap * sizeof(*hs));
	if (!s->cap_terms) {
		/* id 0 is never a term, but it is written with the arrays */
		memset(&s->terms[0], 0, sizeof(s->terms[0]));
		s->kinds[0] = 0;
		s->hashes[0] = 0;
		s->term_base[0] = 0;
		memset(&s->terms[1], 0, sizeof(s->terms[1]));
	}
	s->cap_terms = cap;
	return 0;
}

/* The record past the last term: where the next term's bytes would start (its block's base
 * set when it opens a block). Needs room for n_terms + 2 records, so interning keeps room
 * for n_terms + 3. */
static void mark_terms_end(kgr_store *s)
{
	size_t id = s->n_terms + 1;
	if (!(id & (((size_t)1 << KGR__TERM_BLOCK_BITS) - 1)))
		s->term_base[id >> KGR__TERM_BLOCK_BITS] = s->blob_len;
	s->terms[id].off = (uint32_t)(s->blob_len - s->term_base[id >> KGR__TERM_BLOCK_BITS]);
	s->terms[id].extra = 0;
}

static int grow_blob(kgr_store *s, size_t cap)
{
	char *b = realloc(s->blob, cap);
	if (!b)
		return -1;
	s->blob = b;
	s->blob_cap = cap;
	kgr__advise_huge(b, cap);
	return 0;
}

static int grow_quads(kgr_store *s, size_t cap)
{
	kgr_quad *q = realloc(s->quads, cap * sizeof(*q));
	if (!q)
		return -1;
	s->quads = q;
	s->cap_quads = cap;
	kgr__advise_huge(q, cap * sizeof(*q));
	return 0;
}

/* Room for what about input_bytes of RDF hold, from ratios of N-Triples product graphs (about
 * 90 bytes a triple, a new term every 3 or 4 triples, term bytes 6% of the input), rounded
 * up. Growing by doubling copies every array and touches its pages twice; one allocation of
 * the right size touches them once, and pages never reached are never backed. A short
 * estimate only means the arrays double from there. */
void kgr__store_reserve(kgr_store *s, uint64_t input_bytes)
{
	size_t quads = s->n_quads + (size_t)(input_bytes / 64) + 1;
	size_t terms = s->n_terms + (size_t)(input_bytes / 256) + 2;
	size_t blob = s->blob_len + (size_t)(input_bytes / 12) + 1;
	if (input_bytes < ((uint64_t)1 << 20) || s->finalized)
		return;
	if (quads > s->cap_quads)
		(void)grow_quads(s, quads);
	if (terms > s->cap_terms)
		(void)grow_terms(s, terms);
	if (blob > s->blob_cap)
		(void)grow_blob(s, blob);
	/* the term table, too, is built once at its final size rather than rebuilt at every
	 * doubling; finalize gives it the size the terms call for (kgr__table_canonical()) */
	if (table_size(terms) > s->table_cap)
		(void)rebuild_table_at(s, table_size(terms));
}

uint32_t kgr__term_hash(kgr_term_kind kind, const char *val, size_t len, const char *lang,
	size_t lang_len, kgr_id datatype)
{
	char nbuf[512];
	if (kind == KGR_TERM_IRI)
		schema_http(&val, &len, nbuf, sizeof(nbuf));
	return term_hash(kind, val, len, lang, lang_len, datatype);
}

void kgr__term_prefetch(const kgr_store *s, uint32_t h)
{
	if (s->table_cap)
		__builtin_prefetch(&s->table[slot_of(h, s->table_cap)]);
}

kgr_id kgr__term_prefetch_entry(const kgr_store *s, uint32_t h)
{
	uint64_t e;
	if (!s->table_cap)
		return 0;
	e = s->table[slot_of(h, s->table_cap)];
	if (!e || (uint32_t)(e >> 32) != h)
		return 0;
	__builtin_prefetch(&s->terms[(kgr_id)e]);
	return (kgr_id)e;
}

void kgr__term_prefetch_bytes(const kgr_store *s, kgr_id id)
{
	__builtin_prefetch(kgr__term_bytes(s, id));
}

kgr_id kgr__intern(kgr_store *s, kgr_term_kind kind, const char *val, size_t len, const char *lang,
	size_t lang_len, kgr_id datatype)
{
	return kgr__intern_hashed(s, kind, val, len, lang, lang_len, datatype, NULL);
}

kgr_id kgr__intern_hashed(kgr_store *s, kgr_term_kind kind, const char *val, size_t len,
	const char *lang, size_t lang_len, kgr_id datatype, const uint32_t *hash)
{
	char nbuf[512];
	uint32_t h;
	size_t need;
	kgr_id id;
	struct kgr__recent *r = NULL;

	if (kind == KGR_TERM_IRI)
		schema_http(&val, &len, nbuf, sizeof(nbuf));
	h = hash ? *hash : term_hash(kind, val, len, lang, lang_len, datatype);

	if (len <= RECENT_BYTES && !lang_len && !datatype) {
		if (!s->recent)
			s->recent = calloc(RECENT_SLOTS, sizeof(*s->recent));
		if (s->recent) {
			r = &s->recent[(h ^ (h >> 13)) & (RECENT_SLOTS - 1)];
			if (r->id && r->hash == h && r->len == len && r->kind == (uint32_t)kind &&
				!memcmp(r->bytes, val, len))
				return r->id;
		}
	}
	id = find_hashed(s, h, kind, val, len, lang, lang_len, datatype);
	if (id) {
		if (r)
			recent_put(r, h, id, kind, val, len);
		return id;
	}

	if (s->n_terms + 1 >= 0x7fffffffu) {
		kgr__error_set(KGR_ENOMEM, "too many terms (limit 2^31)");
		return 0;
	}
	if (s->n_terms + 3 > s->cap_terms && grow_terms(s, s->cap_terms ? s->cap_terms * 2 : 4096) < 0)
		goto nomem;
	need = len + 1 + (lang_len ? lang_len + 1 : 0);
	if (s->blob_len + need - s->term_base[(s->n_terms + 1) >> KGR__TERM_BLOCK_BITS] > UINT32_MAX) {
		kgr__error_set(KGR_ENOMEM, "too much term text: the %d terms from id %zu hold over 4 GiB",
			1 << KGR__TERM_BLOCK_BITS, (s->n_terms + 1) & ~(((size_t)1 << KGR__TERM_BLOCK_BITS) - 1));
		return 0;
	}
	if (s->blob_len + need > s->blob_cap) {
		size_t cap = s->blob_cap ? s->blob_cap * 2 : 65536;
		while (cap < s->blob_len + need)
			cap *= 2;
		if (grow_blob(s, cap) < 0)
			goto nomem;
	}
	id = (kgr_id)++s->n_terms;
	s->terms[id].extra = lang_len ? (KGR__LANG_FLAG | (uint32_t)lang_len) : datatype;
	s->kinds[id] = (uint8_t)kind;
	s->hashes[id] = h;
	memcpy(s->blob + s->blob_len, val, len);
	s->blob[s->blob_len + len] = '\0';
	if (lang_len) {
		memcpy(s->blob + s->blob_len + len + 1, lang, lang_len);
		s->blob[s->blob_len + len + 1 + lang_len] = '\0';
	}
	s->blob_len += need;
	mark_terms_end(s);
	table64_insert(s->table, s->table_cap, h, id);
	if (r)
		recent_put(r, h, id, kind, val, len);
	if ((s->n_terms + 1) * 2 > s->table_cap && kgr__rebuild_table(s) < 0)
		return 0;
	return id;
nomem:
	kgr__error_set(KGR_ENOMEM, "out of memory (%zu terms)", s->n_terms);
	return 0;
}

kgr_id kgr__intern_iri(kgr_store *s, const char *iri)
{
	return kgr__intern(s, KGR_TERM_IRI, iri, strlen(iri), NULL, 0, 0);
}

int kgr__add_quad(kgr_store *s, kgr_id subj, kgr_id pred, kgr_id obj, kgr_id graph)
{
	if (s->n_quads == s->cap_quads && grow_quads(s, s->cap_quads ? s->cap_quads * 2 : 65536) < 0)
		return kgr__error_set(KGR_ENOMEM, "out of memory (%zu quads)", s->n_quads);
	s->quads[s->n_quads].s = subj;
	s->quads[s->n_quads].p = pred;
	s->quads[s->n_quads].o = obj;
	s->quads[s->n_quads].g = graph;
	s->n_quads++;
	return 0;
}

void kgr__rollback(kgr_store *s, size_t n_terms, size_t n_quads, size_t blob_len)
{
	s->n_quads = n_quads;
	if (s->recent)
		memset(s->recent, 0, RECENT_SLOTS * sizeof(*s->recent));
	if (s->n_terms != n_terms) {
		s->n_terms = n_terms;
		s->blob_len = blob_len;
		mark_terms_end(s);
		kgr__rebuild_table(s);
	}
}

int kgr__add_prefix(kgr_store *s, const char *prefix, const char *ns)
{
	size_t i;
	const char *p = s->prefixes.s;
	for (i = 0; i < s->n_prefixes; i++) {
		const char *n = p + strlen(p) + 1;
		if (!strcmp(p, prefix))
			return 0; /* first declaration wins */
		p = n + strlen(n) + 1;
	}
	if (kgr__buf_append(&s->prefixes, prefix, strlen(prefix) + 1) < 0 ||
		kgr__buf_append(&s->prefixes, ns, strlen(ns) + 1) < 0)
		return KGR_ENOMEM;
	s->n_prefixes++;
	return kgr__rebuild_prefix_ptrs(s);
}

int kgr__rebuild_prefix_ptrs(kgr_store *s)
{
	const char **pp = realloc(s->prefix_ptrs, (2 * s->n_prefixes + 1) * sizeof(*pp));
	const char *p = s->prefixes.s;
	size_t i;
	if (!pp)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < 2 * s->n_prefixes; i++) {
		pp[i] = p;
		p += strlen(p) + 1;
	}
	s->prefix_ptrs = pp;
	return 0;
}

/* ------------------------------------------------------------------ local names */

/* The last path segment of an IRI (after its last '/' or '#'), or NULL when it has none. */
static const char *last_segment(const char *v, size_t len, size_t *seg_len)
{
	size_t i = len;
	while (i > 0 && v[i - 1] != '/' && v[i - 1] != '#')
		i--;
	if (i == 0 || i == len)
		return NULL;
	*seg_len = len - i;
	return v + i;
}

/* The local-name index of a finalized store, built on first use (a scan of every term each
 * time a client names a resource by its local name was the cost before). NULL when out of
 * memory: the caller scans then. */
static const uint64_t *local_names(const kgr_store *cs)
{
	kgr_store *s = (kgr_store *)cs;
	uint64_t *t = atomic_load_explicit(&s->local_names, memory_order_acquire);
	size_t cap = 1024, id;
	if (t || !s->finalized)
		return t;
	pthread_mutex_lock(&s->extra_lock);
	if ((t = atomic_load_explicit(&s->local_names, memory_order_relaxed)))
		goto done;
	while (cap < (s->n_terms + 1) * 2)
		cap *= 2;
	if (!(t = calloc(cap, sizeof(*t))))
		goto done;
	for (id = 1; id <= s->n_terms; id++) {
		const char *seg;
		size_t n;
		if (s->kinds[id] != KGR_TERM_IRI ||
			!(seg = last_segment(kgr__term_bytes(s, id), kgr__term_len(s, id), &n)))
			continue;
		table64_insert(t, cap, (uint32_t)kgr__hash64(seg, n, 0), (kgr_id)id);
	}
	s->local_names_cap = cap;
	atomic_store_explicit(&s->local_names, t, memory_order_release);
done:
	pthread_mutex_unlock(&s->extra_lock);
	return t;
}

/* ------------------------------------------------------------------ life cycle */

int kgr_store_new(kgr_store **out, int with_ontology)
{
	kgr_store *s;
	size_t i;
	int error = 0;

	*out = NULL;
	kgr_init();
	s = calloc(1, sizeof(*s));
	if (!s)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	pthread_mutex_init(&s->extra_lock, NULL);
	if ((error = kgr__rebuild_table(s)) < 0)
		goto cleanup;
	for (i = 1; i < KGR__WELL_KNOWN_END; i++) {
		if (kgr__intern_iri(s, well_known[i]) != i) {
			error = KGR_ENOMEM;
			goto cleanup;
		}
	}
	for (i = 0; i < sizeof(default_prefixes) / sizeof(default_prefixes[0]); i++)
		if ((error = kgr__add_prefix(s, default_prefixes[i][0], default_prefixes[i][1])) < 0)
			goto cleanup;
	if (with_ontology) {
		error = kgr__load_buffer(s, (const char *)kgr__ontology_ttl, kgr__ontology_ttl_len,
			"turtle", KGR_NS, "ontologies/kgrec.ttl", KGR__GRAPH_ONTOLOGY);
		if (error < 0)
			goto cleanup;
	}
	*out = s;
	return 0;
cleanup:
	kgr_store_free(s);
	return error;
}

/* A malloc'd copy of n bytes (NULL when n is 0 or out of memory; *oom set then). */
static void *dup_bytes(const void *p, size_t n, int *oom)
{
	void *d;
	if (!n)
		return NULL;
	if (!(d = malloc(n)))
		*oom = 1;
	else
		memcpy(d, p, n);
	return d;
}

int kgr_store_new_from(kgr_store **out, const kgr_store *base)
{
	kgr_store *s;
	size_t i, n_extra;
	int oom = 0, error = 0;

	*out = NULL;
	kgr_init();
	if (!base->finalized)
		return kgr__error_set(KGR_EINVALID, "copy of a store: the store is still loading");
	if (!(s = calloc(1, sizeof(*s))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	pthread_mutex_init(&s->extra_lock, NULL);
	/* terms, with their ids */
	s->n_terms = base->n_terms;
	s->cap_terms = base->n_terms + 2;
	s->terms = dup_bytes(base->terms, s->cap_terms * sizeof(*s->terms), &oom);
	s->term_base = dup_bytes(base->term_base,
		(((s->cap_terms - 1) >> KGR__TERM_BLOCK_BITS) + 1) * sizeof(*s->term_base), &oom);
	s->kinds = dup_bytes(base->kinds, s->cap_terms, &oom);
	if (base->hashes)
		s->hashes = dup_bytes(base->hashes, s->cap_terms * sizeof(*s->hashes), &oom);
	else if (!(s->hashes = table_hashes(base)))
		oom = 1;
	s->blob_len = s->blob_cap = base->blob_len;
	s->blob = dup_bytes(base->blob, base->blob_len, &oom);
	if (oom || (error = kgr__rebuild_table(s)) < 0)
		goto fail;
	/* terms added to base after it was finalized keep their ids too */
	n_extra = kgr__extra_count(base);
	for (i = 0; i < n_extra; i++)
		if (kgr__intern_iri(s, kgr__extra_value(base, i)) != (kgr_id)(base->n_terms + 1 + i)) {
			oom = 1;
			goto fail;
		}
	/* prefixes */
	if (kgr__buf_append(&s->prefixes, base->prefixes.s, base->prefixes.len) < 0)
		goto fail;
	s->n_prefixes = base->n_prefixes;
	if ((error = kgr__rebuild_prefix_ptrs(s)) < 0)
		goto fail;
	/* the asserted quads; finalize sorts and derives the rest again */
	if (!(s->quads = malloc((base->n_quads + 1) * sizeof(*s->quads))))
		goto fail;
	s->cap_quads = base->n_quads + 1;
	for (i = 0; i < base->n_quads; i++)
		if (base->quads[i].g != KGR__GRAPH_INFERRED)
			s->quads[s->n_quads++] = base->quads[i];
	*out = s;
	return 0;
fail:
	kgr_store_free(s);
	return error < 0 ? error : kgr__error_set(KGR_ENOMEM, "out of memory copying a store");
}

_Atomic(kgr__store_free_fn) kgr__store_free_hook;

void kgr_store_free(kgr_store *s)
{
	kgr__store_free_fn hook;
	size_t i;
	if (!s)
		return;
	if ((hook = atomic_load(&kgr__store_free_hook)))
		hook(s);
	if (!s->snap) {
		free(s->terms);
		free(s->term_base);
		free(s->kinds);
		free(s->hashes);
		free(s->blob);
		free(s->table);
		free(s->quads);
		free(s->pos);
		free(s->osp);
		free(s->graphs);
		free(s->labels);
		free(s->label_bits);
		free(s->label_rank);
		free(s->flags);
		free(s->pop);
		free(s->inter);
		free(s->users);
		free(s->user_off);
		free(s->items);
		free(s->prefixes.s);
	} else {
		if (table_owned(s))
			free(s->table);
		free(s->snap);
	}
	free(s->prefix_ptrs);
	free(s->recent);
	free(s->subj_first);
	free(atomic_load_explicit(&s->local_names, memory_order_relaxed));
	{
		size_t n = kgr__extra_count(s);
		kgr__extra_table *t = atomic_load_explicit(&s->extra.table, memory_order_acquire), *next;
		for (i = 0; i < n; i++)
			free((char *)kgr__extra_value(s, i));
		for (i = 0; i < KGR__EXTRA_CHUNKS; i++)
			free(s->extra.chunks[i]);
		for (; t; t = next) {
			next = t->retired;
			free(t);
		}
	}
	pthread_mutex_destroy(&s->extra_lock);
	free(s);
}

void kgr_store_set_progress(kgr_store *s, kgr_progress_cb cb, void *payload)
{
	s->progress = cb;
	s->progress_payload = payload;
}

int kgr_store_set_threads(kgr_store *s, int threads)
{
	if (threads < 0 || threads > 64)
		return kgr__error_set(KGR_EINVALID, "threads %d out of range (0 to 64; 0: the processors online)",
			threads);
	s->load_threads = threads;
	return 0;
}

/* ------------------------------------------------------------------ matching */

/* First index in [lo, hi) of the sorted view whose key >= (a, b) on fields fa, fb. */
static size_t lower_bound(const kgr_quad *q, const uint32_t *perm, size_t lo, size_t hi, int fa,
	uint32_t a, int fb, uint32_t b)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint32_t *k = (const uint32_t *)&q[perm ? perm[mid] : mid];
		if (k[fa] < a || (k[fa] == a && fb >= 0 && k[fb] < b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* lower_bound() over [lo, hi) when the answer is likely near lo: probes lo, lo + 1, lo + 3,
 * lo + 7, ... and searches between the last two probes. The end of a range found by its
 * start is usually a few quads on, where a search from the middle of the whole array would
 * miss the cache at every step until it got there. */
static size_t gallop_bound(const kgr_quad *q, const uint32_t *perm, size_t lo, size_t hi, int fa,
	uint32_t a, int fb, uint32_t b)
{
	size_t from = lo, at = lo, step = 1;
	while (at < hi) {
		const uint32_t *k = (const uint32_t *)&q[perm ? perm[at] : at];
		if (!(k[fa] < a || (k[fa] == a && fb >= 0 && k[fb] < b)))
			break;
		from = at + 1;
		at = step < hi - lo ? lo + step : hi;
		step = 2 * step + 1;
	}
	return lower_bound(q, perm, from, at < hi ? at : hi, fa, a, fb, b);
}

/* The range of the sorted view whose keys are (a, b) on fields fa, fb (fb < 0: a alone).
 * @p after: every key before index @p from is smaller, so the search starts there. */
static void range(const kgr_quad *q, const uint32_t *perm, size_t n, int fa, uint32_t a, int fb,
	uint32_t b, int after, size_t from, size_t *lo, size_t *hi)
{
	*lo = after ? gallop_bound(q, perm, from, n, fa, a, fb, b) : lower_bound(q, perm, 0, n, fa, a, fb, b);
	if (fb >= 0)
		*hi = b == UINT32_MAX ? gallop_bound(q, perm, *lo, n, fa, a + 1, -1, 0)
				      : gallop_bound(q, perm, *lo, n, fa, a, fb, b + 1);
	else
		*hi = a == UINT32_MAX ? n : gallop_bound(q, perm, *lo, n, fa, a + 1, -1, 0);
}

/* Declared in kg/internal.h. */
int kgr__store_index_subjects(kgr_store *s)
{
	size_t id, pos = 0;
	uint32_t *first;
	if (!s->finalized || s->subj_first)
		return 0;
	if (s->n_quads >= UINT32_MAX)
		return 0;
	if (!(first = malloc((s->n_terms + 2) * sizeof(*first))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (id = 0; id < s->n_terms + 2; id++) {
		while (pos < s->n_quads && s->quads[pos].s < id)
			pos++;
		first[id] = (uint32_t)pos;
	}
	s->subj_first = first;
	return 0;
}

/* Declared in kg/internal.h. */
int kgr__store_subjects_indexed(const kgr_store *s)
{
	return s->subj_first != NULL;
}

/* The quads of a subject's range prefetched at stage 1: enough for a product's few
 * predicates (a quad is 16 bytes, four to a cache line). */
#define PREFETCH_QUADS 16

/* Declared in kg/internal.h. */
void kgr__store_prefetch_subject(const kgr_store *s, kgr_id subj, int stage)
{
	size_t lo, hi, i;
	if (!s->subj_first || subj > s->n_terms)
		return;
	if (stage == 0) {
		__builtin_prefetch(&s->subj_first[subj]);
		__builtin_prefetch(&s->subj_first[subj + 1]);
		return;
	}
	lo = s->subj_first[subj];
	hi = s->subj_first[subj + 1];
	if (hi > lo + PREFETCH_QUADS)
		hi = lo + PREFETCH_QUADS;
	for (i = lo; i < hi; i += 4)
		__builtin_prefetch(&s->quads[i]);
	if (hi > lo)
		__builtin_prefetch(&s->quads[hi - 1]);
}

/* Declared in kg/internal.h. */
void kgr__store_prefetch_term(const kgr_store *s, kgr_id id, int stage)
{
	if (id == 0 || id > s->n_terms)
		return;
	if (stage == 0) {
		__builtin_prefetch(&s->kinds[id]);
		__builtin_prefetch(&s->terms[id]);
	} else {
		__builtin_prefetch(kgr__term_bytes(s, id));
	}
}

static void match(const kgr_store *s, kgr_iter *it, kgr_id subj, kgr_id pred, kgr_id obj, kgr_id g,
	kgr__match_hint *h)
{
	size_t lo = 0, hi = s->finalized ? s->n_quads : 0;
	int view = -1, fa = 0, fb = -1, after;
	uint32_t a = 0, b = 0;
	it->store = s;
	it->pattern.s = subj;
	it->pattern.p = pred;
	it->pattern.o = obj;
	it->pattern.g = g;
	it->any_graph = g == KGR_ANY_GRAPH;
	it->perm = NULL;
	if (!s->finalized) {
		it->pos = it->end = 0;
		return;
	}
	if (subj && obj && !pred) { /* OSP: the object, then the subject */
		view = 2, fa = 2, a = obj, fb = 0, b = subj;
	} else if (subj) { /* SPO: the subject, then the predicate */
		view = 0, fa = 0, a = subj, fb = pred ? 1 : -1, b = pred;
	} else if (pred) { /* POS: the predicate, then the object */
		view = 1, fa = 1, a = pred, fb = obj ? 2 : -1, b = obj;
	} else if (obj) {
		view = 2, fa = 2, a = obj;
	}
	if (view == 0 && s->subj_first && subj <= s->n_terms) { /* the subject's range, indexed */
		lo = s->subj_first[subj];
		hi = s->subj_first[subj + 1];
		if (fb >= 0) {
			size_t l0 = lo, h0 = hi;
			lo = lower_bound(s->quads, NULL, l0, h0, 0, a, 1, b);
			hi = b == UINT32_MAX ? h0 : lower_bound(s->quads, NULL, lo, h0, 0, a, 1, b + 1);
		}
		view = -1;
	}
	if (view >= 0) {
		it->perm = view == 1 ? s->pos : view == 2 ? s->osp : NULL;
		after = h && h->used && h->view == view && h->fb == fb &&
			(a > h->a || (a == h->a && (fb < 0 || b >= h->b)));
		range(s->quads, it->perm, s->n_quads, fa, a, fb, b, after, after ? h->lo : 0, &lo, &hi);
		if (h) {
			h->used = 1;
			h->view = view;
			h->fb = fb;
			h->a = a;
			h->b = b;
			h->lo = lo;
		}
	}
	it->pos = lo;
	it->end = hi;
}

void kgr_store_match(const kgr_store *s, kgr_iter *it, kgr_id subj, kgr_id pred, kgr_id obj, kgr_id g)
{
	match(s, it, subj, pred, obj, g, NULL);
}

/* Declared in kg/internal.h. */
void kgr__store_match_hinted(const kgr_store *s, kgr_iter *it, kgr_id subj, kgr_id pred, kgr_id obj,
	kgr_id g, kgr__match_hint *hint)
{
	match(s, it, subj, pred, obj, g, hint);
}

/* How many quads ahead kgr_iter_next() prefetches in a permuted range. */
#define ITER_AHEAD 8

int kgr_iter_next(kgr_iter *it, kgr_quad *out)
{
	const kgr_quad *q = it->store->quads;
	while (it->pos < it->end) {
		const kgr_quad *x;
		if (it->perm) {
			/* the quads of a POS or OSP range lie all over the array: ask for one a few
			 * steps ahead, so that its cache miss overlaps with this one's work */
			if (it->pos + ITER_AHEAD < it->end)
				__builtin_prefetch(&q[it->perm[it->pos + ITER_AHEAD]]);
			x = &q[it->perm[it->pos]];
		} else {
			x = &q[it->pos];
		}
		it->pos++;
		if (it->pattern.s && x->s != it->pattern.s)
			continue;
		if (it->pattern.p && x->p != it->pattern.p)
			continue;
		if (it->pattern.o && x->o != it->pattern.o)
			continue;
		if (!it->any_graph && x->g != it->pattern.g)
			continue;
		*out = *x;
		return 1;
	}
	return 0;
}

size_t kgr_store_count(const kgr_store *s, kgr_id subj, kgr_id pred, kgr_id obj)
{
	kgr_iter it;
	kgr_quad q;
	size_t n = 0;
	kgr_store_match(s, &it, subj, pred, obj, KGR_ANY_GRAPH);
	if ((!subj || !obj || pred) && !(subj && obj && pred))
		return it.end - it.pos; /* the range is exact for these patterns */
	while (kgr_iter_next(&it, &q))
		n++;
	return n;
}

kgr_id kgr_store_object(const kgr_store *s, kgr_id subj, kgr_id pred)
{
	kgr_iter it;
	kgr_quad q;
	kgr_store_match(s, &it, subj, pred, 0, KGR_ANY_GRAPH);
	return kgr_iter_next(&it, &q) ? q.o : 0;
}

const kgr_quad *kgr_store_quads(const kgr_store *s, size_t *n_out)
{
	*n_out = s->finalized ? s->n_quads : 0;
	return s->quads;
}

const kgr_quad *kgr_store_by_subject(const kgr_store *s, kgr_id subj, size_t *n_out)
{
	size_t lo, hi;
	if (!s->finalized || !subj) {
		*n_out = 0;
		return s->quads;
	}
	range(s->quads, NULL, s->n_quads, 0, subj, -1, 0, 0, 0, &lo, &hi);
	*n_out = hi - lo;
	return s->quads + lo;
}

size_t kgr_store_quad_count(const kgr_store *s)
{
	return s->n_quads;
}

const kgr_id *kgr_store_graphs(const kgr_store *s, size_t *n_out)
{
	*n_out = s->n_graphs;
	return s->graphs;
}

/* ------------------------------------------------------------------ accessors */

size_t kgr_store_term_count(const kgr_store *s)
{
	return s->n_terms + kgr__extra_count(s);
}

kgr_term_kind kgr_term_kind_of(const kgr_store *s, kgr_id id)
{
	if (id == 0)
		return KGR_TERM_NONE;
	if (id <= s->n_terms)
		return (kgr_term_kind)s->kinds[id];
	return id - s->n_terms <= kgr__extra_count(s) ? KGR_TERM_IRI : KGR_TERM_NONE;
}

const char *kgr_term_value(const kgr_store *s, kgr_id id, size_t *len_out)
{
	const char *v;
	if (id == 0 || id > s->n_terms + kgr__extra_count(s))
		return NULL;
	if (id > s->n_terms) {
		v = kgr__extra_value(s, id - s->n_terms - 1);
		if (len_out)
			*len_out = strlen(v);
		return v;
	}
	if (len_out)
		*len_out = kgr__term_len(s, id);
	return kgr__term_bytes(s, id);
}

const char *kgr_term_lang(const kgr_store *s, kgr_id id)
{
	const kgr__term *t;
	if (id == 0 || id > s->n_terms || s->kinds[id] != KGR_TERM_LITERAL)
		return NULL;
	t = &s->terms[id];
	return (t->extra & KGR__LANG_FLAG) ? kgr__term_bytes(s, id) + kgr__term_len(s, id) + 1 : NULL;
}

kgr_id kgr_term_datatype(const kgr_store *s, kgr_id id)
{
	const kgr__term *t;
	if (id == 0 || id > s->n_terms || s->kinds[id] != KGR_TERM_LITERAL)
		return 0;
	t = &s->terms[id];
	return (t->extra & KGR__LANG_FLAG) ? 0 : t->extra;
}

static uint32_t extra_hash(const char *v)
{
	uint64_t h = kgr__hash64(v, strlen(v), 991);
	return (uint32_t)(h ^ (h >> 32));
}

/* Lock-free lookup: the table and each slot are read with acquire, so an id found comes
 * with its value written. A term interned at this very moment may be missed (it is being
 * added concurrently: its slot may be there before the count says so, and such an id is not
 * returned, as kgr_term_value() would not know it yet); one interned before is always
 * found. */
static kgr_id extra_find(const kgr_store *s, const char *iri)
{
	const kgr__extra_table *t = atomic_load_explicit(&s->extra.table, memory_order_acquire);
	size_t mask, i;
	kgr_id id;
	if (!t)
		return 0;
	mask = t->cap - 1;
	for (i = extra_hash(iri) & mask;
	     (id = atomic_load_explicit(&t->slots[i], memory_order_acquire)) != 0; i = (i + 1) & mask) {
		if (!strcmp(kgr__extra_value(s, id - s->n_terms - 1), iri))
			return id - s->n_terms <= kgr__extra_count(s) ? id : 0;
	}
	return 0;
}

static void extra_table_insert(kgr__extra_table *t, uint32_t hash, kgr_id id)
{
	size_t mask = t->cap - 1, i = hash & mask;
	while (atomic_load_explicit(&t->slots[i], memory_order_relaxed))
		i = (i + 1) & mask;
	atomic_store_explicit(&t->slots[i], id, memory_order_release);
}

/* @p iri, or its http://schema.org/ form in @p buf (NUL-terminated). */
static const char *schema_http_str(const char *iri, char *buf, size_t cap)
{
	const char *v = iri;
	size_t n = strlen(iri);
	if (!schema_http(&v, &n, buf, cap - 1))
		return iri;
	buf[n] = '\0';
	return buf;
}

kgr_id kgr_store_iri(const kgr_store *s, const char *iri)
{
	char nbuf[512];
	kgr_id id;
	iri = schema_http_str(iri, nbuf, sizeof(nbuf));
	id = kgr__find(s, KGR_TERM_IRI, iri, strlen(iri), NULL, 0, 0);
	return id ? id : extra_find(s, iri);
}

kgr_id kgr_store_blank(const kgr_store *s, const char *label)
{
	return kgr__find(s, KGR_TERM_BLANK, label, strlen(label), NULL, 0, 0);
}

kgr_id kgr_store_literal(const kgr_store *s, const char *lexical, size_t len, const char *lang,
	const char *datatype)
{
	kgr_id dt = 0;
	if (lang && *lang)
		return kgr__find(s, KGR_TERM_LITERAL, lexical, len, lang, strlen(lang), 0);
	if (datatype && strcmp(datatype, "http://www.w3.org/2001/XMLSchema#string") != 0) {
		dt = kgr__find(s, KGR_TERM_IRI, datatype, strlen(datatype), NULL, 0, 0);
		if (!dt)
			return 0;
	}
	return kgr__find(s, KGR_TERM_LITERAL, lexical, len, NULL, 0, dt);
}

/* Safe against concurrent readers (see extra in store_internal.h); writers take
 * extra_lock. Nothing a reader may be looking at is moved or freed. */
kgr_id kgr_store_intern_extra(kgr_store *s, const char *iri)
{
	char nbuf[512];
	kgr__extra_table *t, *nt = NULL;
	size_t i, n, k, off;
	kgr_id id;
	char *v = NULL;
	iri = schema_http_str(iri, nbuf, sizeof(nbuf));
	if ((id = kgr_store_iri(s, iri)) != 0)
		return id;
	pthread_mutex_lock(&s->extra_lock);
	if ((id = kgr_store_iri(s, iri)) != 0)
		goto done; /* another writer was first */
	n = atomic_load_explicit(&s->extra.n, memory_order_relaxed);
	k = kgr__extra_chunk(n, &off);
	if (k >= KGR__EXTRA_CHUNKS || s->n_terms + 1 + n > UINT32_MAX) {
		kgr__error_set(KGR_ENOMEM, "too many terms added after loading (%zu)", n);
		goto done;
	}
	if (!s->extra.chunks[k] &&
		!(s->extra.chunks[k] = malloc(((size_t)KGR__EXTRA_FIRST << k) * sizeof(char *))))
		goto nomem;
	if (!(v = strdup(iri)))
		goto nomem;
	t = atomic_load_explicit(&s->extra.table, memory_order_relaxed);
	if (!t || (n + 1) * 2 > t->cap) {
		size_t cap = t ? t->cap * 2 : 128;
		if (!(nt = calloc(1, sizeof(*nt) + cap * sizeof(nt->slots[0]))))
			goto nomem;
		nt->cap = cap;
		nt->retired = t;
		for (i = 0; i < n; i++)
			extra_table_insert(nt, extra_hash(kgr__extra_value(s, i)), (kgr_id)(s->n_terms + 1 + i));
		atomic_store_explicit(&s->extra.table, nt, memory_order_release);
		t = nt;
	}
	/* value, then its slot, then the count: whoever sees the count finds the slot */
	s->extra.chunks[k][off] = v;
	id = (kgr_id)(s->n_terms + 1 + n);
	extra_table_insert(t, extra_hash(iri), id);
	atomic_store_explicit(&s->extra.n, n + 1, memory_order_release);
	goto done;
nomem:
	free(v);
	kgr__error_set(KGR_ENOMEM, "out of memory");
done:
	pthread_mutex_unlock(&s->extra_lock);
	return id;
}

static const char *local_name(const char *iri)
{
	const char *p = iri + strlen(iri);
	while (p > iri && p[-1] != '/' && p[-1] != '#' && p[-1] != ':')
		p--;
	return *p ? p : iri;
}

const char *kgr_store_label(const kgr_store *s, kgr_id id)
{
	const char *v;
	uint32_t lab;
	if (id == 0 || id > s->n_terms + kgr__extra_count(s))
		return "";
	if (id <= s->n_terms && s->label_bits && (lab = kgr__label_of(s, id)))
		return kgr__term_bytes(s, lab);
	v = kgr_term_value(s, id, NULL);
	return kgr_term_kind_of(s, id) == KGR_TERM_IRI ? local_name(v) : v;
}

size_t kgr_term_to_ntriples(const kgr_store *s, kgr_id id, char *buf, size_t size)
{
	size_t n = 0, len, i;
	const char *v = kgr_term_value(s, id, &len);
	kgr_term_kind k = kgr_term_kind_of(s, id);
#define PUT(c)                          \
	do {                            \
		if (n + 1 < size)       \
			buf[n] = (char)(c); \
		n++;                    \
	} while (0)
	if (!v) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	if (k == KGR_TERM_IRI) {
		PUT('<');
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)v[i];
			if (c <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' ||
				c == '|' || c == '^' || c == '`' || c == '\\') {
				static const char hex[] = "0123456789ABCDEF";
				PUT('\\');
				PUT('u');
				PUT('0');
				PUT('0');
				PUT(hex[c >> 4]);
				PUT(hex[c & 15]);
			} else {
				PUT(c);
			}
		}
		PUT('>');
	} else if (k == KGR_TERM_BLANK) {
		PUT('_');
		PUT(':');
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)v[i];
			PUT(isalnum(c) || c == '_' || c == '-' || (c >= 0x80) ? c : '_');
		}
	} else {
		const char *lang = kgr_term_lang(s, id);
		kgr_id dt = kgr_term_datatype(s, id);
		PUT('"');
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)v[i];
			switch (c) {
			case '"': PUT('\\'); PUT('"'); break;
			case '\\': PUT('\\'); PUT('\\'); break;
			case '\n': PUT('\\'); PUT('n'); break;
			case '\r': PUT('\\'); PUT('r'); break;
			case '\t': PUT('\\'); PUT('t'); break;
			default:
				if (c < 0x20) {
					static const char hex[] = "0123456789ABCDEF";
					PUT('\\'); PUT('u'); PUT('0'); PUT('0'); PUT(hex[c >> 4]); PUT(hex[c & 15]);
				} else {
					PUT(c);
				}
			}
		}
		PUT('"');
		if (lang) {
			PUT('@');
			for (; *lang; lang++)
				PUT(*lang);
		} else if (dt) {
			size_t m;
			PUT('^');
			PUT('^');
			m = kgr_term_to_ntriples(s, dt, n < size ? buf + n : NULL, n < size ? size - n : 0);
			n += m;
		}
	}
#undef PUT
	if (size)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

/* ------------------------------------------------------------------ resolve */

static int has_scheme(const char *t)
{
	const char *p = t;
	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':' && (p[1] == '/' || !strncmp(t, "urn:", 4) || !strncmp(t, "mailto:", 7));
}

/* Term id as a candidate for local name text: counted when it is an IRI ending with /text
 * or #text; users and items are preferred over other resources of the same local name. */
static void consider_local(const kgr_store *s, kgr_id id, const char *text, size_t len, kgr_id *found,
	kgr_id *other, size_t *found_n)
{
	size_t tl;
	const char *v;
	if (s->kinds[id] != KGR_TERM_IRI || (tl = kgr__term_len(s, id)) <= len)
		return;
	v = kgr__term_bytes(s, id);
	if ((v[tl - len - 1] != '/' && v[tl - len - 1] != '#') || memcmp(v + tl - len, text, len))
		return;
	if (!*found) {
		*found = id;
	} else if (!(s->flags && (s->flags[id] & (KGR__F_ITEM | KGR__F_USER)) &&
			   !(s->flags[*found] & (KGR__F_ITEM | KGR__F_USER)))) {
		*other = id;
	} else {
		*other = *found;
		*found = id;
	}
	(*found_n)++;
}

kgr_id kgr_store_resolve(const kgr_store *s, const char *text)
{
	char buf[4096];
	size_t i, len = strlen(text), found_n = 0;
	kgr_id id, found = 0, other = 0;
	const char *colon;
	const uint64_t *names;

	if (len == 0) {
		kgr__error_set(KGR_ENOTFOUND, "empty name");
		return 0;
	}
	if (text[0] == '<' && text[len - 1] == '>' && len - 2 < sizeof(buf)) {
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = '\0';
		if ((id = kgr_store_iri(s, buf)))
			return id;
		kgr__error_set(KGR_ENOTFOUND, "no such IRI in the store: %s", text);
		return 0;
	}
	if (has_scheme(text)) {
		if ((id = kgr_store_iri(s, text)))
			return id;
		kgr__error_set(KGR_ENOTFOUND, "no such IRI in the store: <%s>", text);
		return 0;
	}
	colon = strchr(text, ':');
	if (colon) {
		for (i = 0; i < s->n_prefixes; i++) {
			const char *pre = s->prefix_ptrs[2 * i], *ns = s->prefix_ptrs[2 * i + 1];
			if (strlen(pre) == (size_t)(colon - text) && !strncmp(pre, text, colon - text)) {
				snprintf(buf, sizeof(buf), "%s%s", ns, colon + 1);
				if ((id = kgr_store_iri(s, buf)))
					return id;
			}
		}
	}
	/* a local name: the IRI that ends with /name or #name, when there is one; without a '/'
	 * or '#' in the name that is the IRI's last segment, which the index finds */
	if (!strpbrk(text, "/#") && (names = local_names(s))) {
		size_t cap = s->local_names_cap, n = 0;
		uint32_t h = (uint32_t)kgr__hash64(text, len, 0);
		kgr_id ids[64];
		for (i = slot_of(h, cap); names[i]; i = slot_next(i, cap)) {
			if ((uint32_t)(names[i] >> 32) != h)
				continue;
			if (n == sizeof(ids) / sizeof(ids[0])) {
				n = 0; /* a name shared by that many: scan as below */
				break;
			}
			ids[n++] = (kgr_id)names[i];
		}
		if (n || !names[i]) {
			qsort(ids, n, sizeof(ids[0]), kgr__id_qsort_cmp);
			for (i = 0; i < n; i++)
				consider_local(s, ids[i], text, len, &found, &other, &found_n);
			goto matched;
		}
	}
	for (id = 1; id <= s->n_terms; id++)
		consider_local(s, id, text, len, &found, &other, &found_n);
matched:
	if (found_n == 1 || (found && s->flags && (s->flags[found] & (KGR__F_ITEM | KGR__F_USER)) &&
				     !(s->flags[other] & (KGR__F_ITEM | KGR__F_USER))))
		return found;
	for (i = 0; i < kgr__extra_count(s); i++) {
		const char *v = kgr__extra_value(s, i);
		size_t vl = strlen(v);
		if (vl > len && (v[vl - len - 1] == '/' || v[vl - len - 1] == '#') &&
			!strcmp(v + vl - len, text) && !found)
			return (kgr_id)(s->n_terms + 1 + i);
	}
	if (found_n > 1)
		kgr__error_set(KGR_EINVALID, "'%s' is ambiguous: <%s> or <%s>; give the full IRI", text,
			kgr__term_bytes(s, found), kgr__term_bytes(s, other));
	else
		kgr__error_set(KGR_ENOTFOUND, "no resource named '%s' in the store", text);
	return 0;
}

size_t kgr_store_prefix_count(const kgr_store *s)
{
	return s->n_prefixes;
}

void kgr_store_prefix(const kgr_store *s, size_t i, const char **prefix_out, const char **ns_out)
{
	*prefix_out = s->prefix_ptrs[2 * i];
	*ns_out = s->prefix_ptrs[2 * i + 1];
}

/* ------------------------------------------------------------------ interactions */

const kgr_interaction *kgr_store_interactions(const kgr_store *s, size_t *n_out)
{
	*n_out = s->n_inter;
	return s->inter;
}

/* Where id is in ids[0 .. n) (ascending), or SIZE_MAX. */
static size_t id_index(const kgr_id *ids, size_t n, kgr_id id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id ? lo : SIZE_MAX;
}

static size_t user_index(const kgr_store *s, kgr_id user)
{
	return id_index(s->users, s->n_users, user);
}

const kgr_interaction *kgr_store_user_interactions(const kgr_store *s, kgr_id user, size_t *n_out)
{
	size_t u = user_index(s, user);
	if (u == SIZE_MAX) {
		*n_out = 0;
		return s->inter;
	}
	*n_out = (size_t)(s->user_off[u + 1] - s->user_off[u]);
	return s->inter + s->user_off[u];
}

const kgr_interaction *kgr_store_user_history(const kgr_store *s, kgr_id user, int64_t at, size_t *n_out)
{
	return kgr__user_history(s, user, at, n_out);
}

const kgr_interaction *kgr__user_history(const kgr_store *s, kgr_id user, int64_t at, size_t *n_out)
{
	size_t n = 0;
	const kgr_interaction *h = user ? kgr_store_user_interactions(s, user, &n) : NULL;
	if (h && at)
		while (n > 0 && h[n - 1].time >= at)
			n--;
	*n_out = h ? n : 0;
	return h;
}

const kgr_id *kgr_store_users(const kgr_store *s, size_t *n_out)
{
	*n_out = s->n_users;
	return s->users;
}

const kgr_id *kgr_store_items(const kgr_store *s, size_t *n_out)
{
	*n_out = s->n_items;
	return s->items;
}

int kgr_store_is_item(const kgr_store *s, kgr_id id)
{
	return id && id <= s->n_terms && s->flags && (s->flags[id] & KGR__F_ITEM);
}

uint32_t kgr_store_item_popularity(const kgr_store *s, kgr_id item)
{
	/* the items are in id order, their counts beside them */
	size_t i = s->pop ? id_index(s->items, s->n_items, item) : SIZE_MAX;
	return i == SIZE_MAX ? 0 : s->pop[i];
}

void kgr_store_get_stats(const kgr_store *s, kgr_store_stats *out)
{
	size_t i;
	memset(out, 0, sizeof(*out));
	out->quads = s->n_quads;
	out->terms = s->n_terms + kgr__extra_count(s);
	for (i = 1; i <= s->n_terms; i++) {
		if (s->kinds[i] == KGR_TERM_IRI)
			out->iris++;
		else if (s->kinds[i] == KGR_TERM_BLANK)
			out->blanks++;
		else
			out->literals++;
	}
	out->iris += kgr__extra_count(s);
	if (s->finalized) {
		for (i = 0; i < s->n_quads; i++) {
			if (!i || s->quads[i].s != s->quads[i - 1].s)
				out->subjects++;
			if (s->quads[i].g == KGR__GRAPH_INFERRED)
				out->inferred++;
		}
		for (i = 0; i < s->n_quads; i++)
			if (!i || s->quads[s->pos[i]].p != s->quads[s->pos[i - 1]].p)
				out->predicates++;
	}
	out->graphs = s->n_graphs;
	out->users = s->n_users;
	out->items = s->n_items;
	out->interactions = s->n_inter;
}

uint64_t kgr_store_checksum(const kgr_store *s)
{
	kgr_store *m = (kgr_store *)s;
	if (!m->checksum_valid) {
		m->checksum = kgr__store_compute_checksum(s);
		m->checksum_valid = 1;
	}
	return m->checksum;
}

char *kgr_store_checksum_hex(const kgr_store *s, char *buf)
{
	snprintf(buf, 17, "%016llx", (unsigned long long)kgr_store_checksum(s));
	return buf;
}

static int cmp_count_desc(const void *a, const void *b)
{
	const kgr_term_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int kgr_store_histogram(kgr_term_count **out, size_t *n_out, const kgr_store *s, kgr_id p)
{
	size_t lo = 0, hi = s->n_quads, i, n = 0;
	kgr_term_count *v;
	int field = p ? 2 : 1;
	*out = NULL;
	*n_out = 0;
	if (!s->finalized)
		return 0;
	if (p)
		range(s->quads, s->pos, s->n_quads, 1, p, -1, 0, 0, 0, &lo, &hi);
	v = malloc((hi - lo + 1) * sizeof(*v));
	if (!v)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = lo; i < hi; i++) {
		kgr_id id = ((const uint32_t *)&s->quads[s->pos[i]])[field];
		if (n && v[n - 1].id == id) {
			v[n - 1].count++;
		} else {
			v[n].id = id;
			v[n++].count = 1;
		}
	}
	qsort(v, n, sizeof(*v), cmp_count_desc);
	*out = v;
	*n_out = n;
	return 0;
}
