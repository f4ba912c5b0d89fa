/* Item matching for interaction logs: an item id that is not an IRI ("SKU-100", "8711253",
 * "p-trail-tee") is looked up among the catalog's products (the resources typed
 * schema:Product or kgr:Item, or a subclass declared in the store) by the local name of
 * their IRI, schema:sku, schema:productID and schema:gtin* (https schema.org is stored as http),
 * before the loader falls back to item_base + id; the service matches the items of POST
 * /v1/events the same way. The loader's store is still loading, so there are no indexes to
 * use: the quads are scanned once per log (once per snapshot in the service), and the keys
 * kept in a hash table that points back into the store's terms (their bytes are read again at
 * each comparison, since the blob moves as the log adds terms). */
#include "kg/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	uint64_t h;
	kgr_id term;    /* the term whose bytes hold the key */
	uint32_t off;   /* the key starts off bytes into it */
	kgr_id product;
	uint8_t kind;
} entry;

struct kgr__item_index {
	uint8_t *is_product; /* per term id <= n_ids */
	size_t n_ids, n_products;
	entry *e;
	size_t n, cap;
	uint32_t *slots;     /* entry index + 1, 0: empty */
	size_t mask;
};

void kgr__item_index_free(kgr__item_index *ix)
{
	if (!ix)
		return;
	free(ix->is_product);
	free(ix->e);
	free(ix->slots);
	free(ix);
}

static int has_id(const kgr_id *v, size_t n, kgr_id id)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
}

/* The item classes: kgr:Item, schema:Product (http and https) and, transitively, the
 * classes declared rdfs:subClassOf one of them. *out is malloc'd. */
static int item_classes(kgr_id **out, size_t *n_out, const kgr_store *s)
{
	size_t n = 0, cap = 8, i, before;
	kgr_id *c = malloc(cap * sizeof(*c));
	if (!c)
		return KGR_ENOMEM;
	c[n++] = KGR__KGR_ITEMCLASS;
	c[n++] = KGR__SCHEMA_PRODUCT; /* https://schema.org/Product too: the store keeps it so */
	do {
		before = n;
		for (i = 0; i < s->n_quads; i++) {
			const kgr_quad *q = &s->quads[i];
			if (q->p != KGR__RDFS_SUBCLASSOF || !has_id(c, n, q->o) || has_id(c, n, q->s))
				continue;
			if (n == cap) {
				kgr_id *t = realloc(c, 2 * cap * sizeof(*c));
				if (!t) {
					free(c);
					return KGR_ENOMEM;
				}
				c = t;
				cap *= 2;
			}
			c[n++] = q->s;
		}
	} while (n != before);
	*out = c;
	*n_out = n;
	return 0;
}

/* The key bytes of an entry, read from the store now. */
static const char *key_of(const kgr_store *s, const entry *e, size_t *len)
{
	size_t n;
	const char *v = kgr_term_value(s, e->term, &n);
	*len = n - e->off;
	return v + e->off;
}

/* The part of an IRI after its last '/' or '#' (after its last ':' when it has neither). */
static size_t local_name_off(const char *iri, size_t len)
{
	size_t i = len;
	while (i > 0 && iri[i - 1] != '/' && iri[i - 1] != '#')
		i--;
	if (i == 0) {
		i = len;
		while (i > 0 && iri[i - 1] != ':')
			i--;
	}
	return i;
}

/* GTINs are compared without their leading zeros: a GTIN-13 and the GTIN-14 that pads it
 * are one number. Returns how many leading zeros @p v has when it is all digits, else 0. */
static size_t gtin_zeros(const char *v, size_t len)
{
	size_t i, z = 0;
	for (i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	while (z < len && v[z] == '0')
		z++;
	return z;
}

static uint64_t key_hash(const char *v, size_t len, int kind)
{
	return kgr__hash64(v, len, 0x6974656dull + (uint64_t)kind);
}

static int add_entry(kgr__item_index *ix, const kgr_store *s, kgr_id term, size_t off, kgr_id product,
	int kind)
{
	size_t len;
	const char *v;
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 256;
		entry *t = realloc(ix->e, cap * sizeof(*t));
		if (!t)
			return KGR_ENOMEM;
		ix->e = t;
		ix->cap = cap;
	}
	v = kgr_term_value(s, term, &len);
	if (off >= len)
		return 0; /* an empty key matches nothing */
	ix->e[ix->n] = (entry){ key_hash(v + off, len - off, kind), term, (uint32_t)off, product, (uint8_t)kind };
	ix->n++;
	return 0;
}

static int build_table(kgr__item_index *ix)
{
	size_t cap = 16, i;
	while (cap < 2 * ix->n)
		cap *= 2;
	ix->slots = calloc(cap, sizeof(*ix->slots));
	if (!ix->slots)
		return KGR_ENOMEM;
	ix->mask = cap - 1;
	for (i = 0; i < ix->n; i++) {
		size_t k = ix->e[i].h & ix->mask;
		while (ix->slots[k])
			k = (k + 1) & ix->mask;
		ix->slots[k] = (uint32_t)(i + 1);
	}
	return 0;
}

int kgr__item_index_build(kgr__item_index **out, const kgr_store *s)
{
	static const char *const props[] = { "sku", "productID", "gtin", "gtin8", "gtin12", "gtin13",
		"gtin14" };
	static const int prop_kind[] = { KGR__MATCH_SKU, KGR__MATCH_PRODUCTID, KGR__MATCH_GTIN,
		KGR__MATCH_GTIN, KGR__MATCH_GTIN, KGR__MATCH_GTIN, KGR__MATCH_GTIN };
	kgr_id pid[7];
	int pkind[7];
	size_t n_props = 0, n_classes = 0, i, k;
	kgr_id *classes = NULL;
	kgr__item_index *ix = calloc(1, sizeof(*ix));
	int error = KGR_ENOMEM;

	*out = NULL;
	if (!ix)
		goto done;
	/* https://schema.org/ terms are stored under http://schema.org/ (kg/store.c) */
	for (i = 0; i < 7; i++) {
		char iri[64];
		int n = snprintf(iri, sizeof(iri), "http://schema.org/%s", props[i]);
		kgr_id id = kgr__find(s, KGR_TERM_IRI, iri, (size_t)n, NULL, 0, 0);
		if (id) {
			pid[n_props] = id;
			pkind[n_props++] = prop_kind[i];
		}
	}
	if (item_classes(&classes, &n_classes, s) < 0)
		goto done;
	ix->n_ids = s->n_terms;
	if (!(ix->is_product = calloc(ix->n_ids + 1, 1)))
		goto done;
	for (i = 0; i < s->n_quads; i++) {
		const kgr_quad *q = &s->quads[i];
		if (q->p == KGR__RDF_TYPE && q->s <= ix->n_ids && s->kinds[q->s] == KGR_TERM_IRI &&
			!ix->is_product[q->s] && has_id(classes, n_classes, q->o)) {
			ix->is_product[q->s] = 1;
			ix->n_products++;
		}
	}
	for (i = 1; i <= ix->n_ids; i++) {
		size_t len;
		const char *v;
		if (!ix->is_product[i])
			continue;
		v = kgr_term_value(s, (kgr_id)i, &len);
		if (add_entry(ix, s, (kgr_id)i, local_name_off(v, len), (kgr_id)i, KGR__MATCH_LOCAL) < 0)
			goto done;
	}
	for (i = 0; n_props && i < s->n_quads; i++) {
		const kgr_quad *q = &s->quads[i];
		if (q->s > ix->n_ids || !ix->is_product[q->s] || s->kinds[q->o] != KGR_TERM_LITERAL)
			continue;
		for (k = 0; k < n_props; k++) {
			if (q->p == pid[k]) {
				size_t len, off = 0;
				const char *v = kgr_term_value(s, q->o, &len);
				if (pkind[k] == KGR__MATCH_GTIN)
					off = gtin_zeros(v, len);
				if (add_entry(ix, s, q->o, off, q->s, pkind[k]) < 0)
					goto done;
				break;
			}
		}
	}
	if (build_table(ix) < 0)
		goto done;
	*out = ix;
	ix = NULL;
	error = 0;
done:
	free(classes);
	kgr__item_index_free(ix);
	return error == KGR_ENOMEM ? kgr__error_set(KGR_ENOMEM, "out of memory (catalog item index)") : error;
}

size_t kgr__item_index_products(const kgr__item_index *ix)
{
	return ix->n_products;
}

int kgr__item_index_is_product(const kgr__item_index *ix, kgr_id id)
{
	return id && id <= ix->n_ids && ix->is_product[id];
}

/* The product whose key of @p kind is v[0..len), or 0; *ambiguous set when several are. */
static kgr_id find_kind(const kgr__item_index *ix, const kgr_store *s, const char *v, size_t len, int kind,
	int *ambiguous)
{
	uint64_t h = key_hash(v, len, kind);
	size_t k = h & ix->mask;
	kgr_id found = 0;
	for (; ix->slots[k]; k = (k + 1) & ix->mask) {
		const entry *e = &ix->e[ix->slots[k] - 1];
		size_t kl;
		const char *kv;
		if (e->h != h || e->kind != kind)
			continue;
		kv = key_of(s, e, &kl);
		if (kl != len || memcmp(kv, v, len))
			continue;
		if (found && found != e->product)
			*ambiguous = 1;
		found = e->product;
	}
	return *ambiguous ? 0 : found;
}

kgr_id kgr__item_index_find(const kgr__item_index *ix, const kgr_store *s, const char *value,
	const char *encoded, kgr__match_kind *how, int *ambiguous)
{
	size_t len = strlen(value), z;
	int amb = 0, any_amb = 0;
	kgr_id id;
	*how = KGR__MATCH_NONE;
	*ambiguous = 0;
	if (!ix->n || !len)
		goto none;
	if ((id = find_kind(ix, s, value, len, KGR__MATCH_LOCAL, &amb)) ||
		(!amb && encoded && strcmp(encoded, value) &&
			(id = find_kind(ix, s, encoded, strlen(encoded), KGR__MATCH_LOCAL, &amb)))) {
		*how = KGR__MATCH_LOCAL;
		return id;
	}
	any_amb |= amb;
	amb = 0;
	if ((id = find_kind(ix, s, value, len, KGR__MATCH_SKU, &amb))) {
		*how = KGR__MATCH_SKU;
		return id;
	}
	any_amb |= amb;
	amb = 0;
	if ((id = find_kind(ix, s, value, len, KGR__MATCH_PRODUCTID, &amb))) {
		*how = KGR__MATCH_PRODUCTID;
		return id;
	}
	any_amb |= amb;
	amb = 0;
	z = gtin_zeros(value, len);
	if (z < len && (id = find_kind(ix, s, value + z, len - z, KGR__MATCH_GTIN, &amb))) {
		*how = KGR__MATCH_GTIN;
		return id;
	}
	any_amb |= amb;
none:
	*ambiguous = any_amb;
	return 0;
}
