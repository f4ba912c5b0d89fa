/*
 * gen_graph: a deterministic generator of product-shaped RDF graphs for benchmarks.
 *
 *   gen_graph --triples N [--seed S] [--users U] [--no-interactions] -o DIR
 *
 * writes DIR/graph.nt (N-Triples, at least N triples) and DIR/interactions.csv
 * (user,item,timestamp,action,weight). The same arguments always give the same bytes.
 *
 * Shape, close to a shop catalog in schema.org terms (about 50 triples per product):
 *   a 3-level SKOS taxonomy (department -> group -> leaf, skos:broader, kgr:Category),
 *   brands (schema:Brand) per department, materials, audiences, occasions and attribute
 *   values as resources; products with name, description, sku, gtin13, release date,
 *   brand, leaf category, colours (literals), materials, audience, occasions, attributes,
 *   keywords, an offer and a rating (blank nodes), additional properties (blank nodes),
 *   accessory (schema:isAccessoryOrSparePartFor), complement (kgr:complements, written both
 *   ways), related and similar links.
 * Interactions: about one user per two products; each user has favourite groups, views
 * items of a leaf with Zipf-like popularity, buys some, and often buys an accessory or a
 * complement of what they bought, so a recommender has signal to find.
 *
 * IRIs: https://bench.example.org/{product,brand,category,attribute,material,audience,image,
 * occasion}/<id>. The CSV holds local names (u123, p456): load it with
 *   --user-base https://bench.example.org/user/ --item-base https://bench.example.org/product/
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BASE "https://bench.example.org/"
#define RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define XSD "http://www.w3.org/2001/XMLSchema#"
#define SKOS "http://www.w3.org/2004/02/skos/core#"
#define SCHEMA "http://schema.org/"
#define KGR "https://w3id.org/kgrec/ns#"

#define LEAVES_PER_GROUP 8
#define GROUPS_PER_DEPT 6
#define N_MATERIALS 60
#define N_AUDIENCES 8
#define N_OCCASIONS 20
#define T0 1735689600LL /* 2025-01-01T00:00:00Z */
#define SPAN_DAYS 180

/* ---------------------------------------------------------------- random numbers */

typedef struct {
	uint64_t s;
} rng_t;

/* splitmix64: small, fast, good enough for synthetic data, and seedable with any value */
static uint64_t rng_next(rng_t *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rng_below(rng_t *r, uint32_t n)
{
	return n ? (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

static double rng_unit(rng_t *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Rank in [0, n) with P(rank r) roughly proportional to 1/(r+1): log-uniform sampling. */
static uint32_t rng_zipf(rng_t *r, uint32_t n)
{
	double x;
	uint32_t k;
	if (n <= 1)
		return 0;
	x = exp(rng_unit(r) * log((double)n + 1.0));
	k = (uint32_t)x;
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return k - 1;
}

/* ---------------------------------------------------------------- words */

static const char *ADJ[] = { "Swift", "Classic", "Urban", "Alpine", "Nova", "Prime", "Eco", "Ultra",
	"Compact", "Royal", "Vivid", "Silent", "Rapid", "Solar", "Arctic", "Golden", "Rustic",
	"Modern", "Smart", "Pro", "Lite", "Max", "Fresh", "Bold", "Pure", "Wild", "Quiet", "Bright" };
static const char *NOUN[] = { "Ball", "Racket", "Helmet", "Shoe", "Jacket", "Lamp", "Charger", "Cable",
	"Camera", "Lens", "Bag", "Tripod", "Speaker", "Headphones", "Candle", "Balloon", "Banner",
	"Plate", "Cup", "Napkin", "Cake Mix", "Frosting", "Cookie", "Chocolate", "Sauce", "Stuffing",
	"Phone", "Case", "Watch", "Bottle", "Glove", "Lock", "Light", "Bike", "Mat", "Tent" };
static const char *COLOR[] = { "black", "white", "red", "blue", "green", "yellow", "orange", "pink",
	"purple", "grey", "brown", "silver", "gold", "navy", "teal", "beige", "olive", "maroon",
	"turquoise", "ivory", "coral", "lime", "charcoal", "multicolour" };
static const char *FEATURE[] = { "lightweight", "durable", "waterproof", "rechargeable", "compact",
	"machine washable", "recyclable", "gift-ready", "easy to clean", "award-winning", "handmade",
	"energy-saving", "shock-resistant", "organic", "gluten-free", "fast-charging", "foldable" };
static const char *PROPNAME[] = { "weight", "width", "height", "depth", "capacity", "power", "size" };
static const char *PROPUNIT[] = { "g", "cm", "cm", "cm", "ml", "W", "" };

#define NWORDS(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

/* ---------------------------------------------------------------- output */

typedef struct {
	FILE *f;
	uint64_t n;
} out_t;

static void t_iri(out_t *o, const char *s, const char *p, const char *obj)
{
	fprintf(o->f, "<%s> <%s> <%s> .\n", s, p, obj);
	o->n++;
}

static void t_lit(out_t *o, const char *s, const char *p, const char *lit, const char *dt_or_lang)
{
	if (!dt_or_lang)
		fprintf(o->f, "<%s> <%s> \"%s\" .\n", s, p, lit);
	else if (dt_or_lang[0] == '@')
		fprintf(o->f, "<%s> <%s> \"%s\"%s .\n", s, p, lit, dt_or_lang);
	else
		fprintf(o->f, "<%s> <%s> \"%s\"^^<%s> .\n", s, p, lit, dt_or_lang);
	o->n++;
}

/* subject or object given as an already-formatted N-Triples term (blank nodes) */
static void t_raw(out_t *o, const char *s, const char *p, const char *obj)
{
	fprintf(o->f, "%s <%s> %s .\n", s, p, obj);
	o->n++;
}

/* ---------------------------------------------------------------- dynamic arrays */

typedef struct {
	uint32_t *v;
	uint32_t n, cap;
} vec_t;

static int vec_push(vec_t *a, uint32_t x)
{
	if (a->n == a->cap) {
		uint32_t cap = a->cap ? a->cap * 2 : 8;
		uint32_t *nv = realloc(a->v, (size_t)cap * sizeof(*nv));
		if (!nv)
			return -1;
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

typedef struct {
	uint32_t a, b;
} edge_t;

typedef struct {
	edge_t *v;
	size_t n, cap;
} edges_t;

static int edges_push(edges_t *e, uint32_t a, uint32_t b)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 1024;
		edge_t *nv = realloc(e->v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		e->v = nv;
		e->cap = cap;
	}
	e->v[e->n].a = a;
	e->v[e->n].b = b;
	e->n++;
	return 0;
}

/* ---------------------------------------------------------------- the generator */

typedef struct {
	uint64_t target;
	uint64_t seed;
	uint32_t users; /* 0: one per two products */
	int interactions;
	const char *dir;
} opts_t;

typedef struct {
	uint32_t n_dept, n_group, n_leaf, n_brand, n_attr;
	vec_t *leaf_items;  /* products per leaf, in creation order (= popularity rank) */
	uint32_t *item_leaf;
	uint32_t n_items, cap_items;
	edges_t goes_with; /* (x, y): y is an accessory or complement of x */
} graph_t;

static uint32_t leaf_group(uint32_t leaf)
{
	return leaf / LEAVES_PER_GROUP;
}

static uint32_t group_dept(uint32_t group)
{
	return group / GROUPS_PER_DEPT;
}

static void write_vocab(out_t *o, graph_t *g, rng_t *r)
{
	char s[160], o2[160], lab[128];
	uint32_t i;

	snprintf(s, sizeof s, BASE "category/scheme");
	t_iri(o, s, RDF "type", SKOS "ConceptScheme");
	t_lit(o, s, SKOS "prefLabel", "Benchmark categories", NULL);
	for (i = 0; i < g->n_dept + g->n_group + g->n_leaf; i++) {
		const char *level;
		uint32_t k;
		if (i < g->n_dept) {
			level = "d";
			k = i;
		} else if (i < g->n_dept + g->n_group) {
			level = "g";
			k = i - g->n_dept;
		} else {
			level = "l";
			k = i - g->n_dept - g->n_group;
		}
		snprintf(s, sizeof s, BASE "category/%s%u", level, k);
		t_iri(o, s, RDF "type", SKOS "Concept");
		t_iri(o, s, RDF "type", KGR "Category");
		snprintf(lab, sizeof lab, "%s %s %u", ADJ[rng_below(r, NWORDS(ADJ))],
			level[0] == 'l' ? NOUN[k % NWORDS(NOUN)] : level[0] == 'g' ? "Group" : "Department", k);
		t_lit(o, s, SKOS "prefLabel", lab, "@en");
		if (level[0] == 'd') {
			t_iri(o, s, SKOS "topConceptOf", BASE "category/scheme");
		} else if (level[0] == 'g') {
			snprintf(o2, sizeof o2, BASE "category/d%u", group_dept(k));
			t_iri(o, s, SKOS "broader", o2);
		} else {
			snprintf(o2, sizeof o2, BASE "category/g%u", leaf_group(k));
			t_iri(o, s, SKOS "broader", o2);
		}
	}
	for (i = 0; i < g->n_brand; i++) {
		snprintf(s, sizeof s, BASE "brand/b%u", i);
		t_iri(o, s, RDF "type", SCHEMA "Brand");
		snprintf(lab, sizeof lab, "%s%s %u", ADJ[rng_below(r, NWORDS(ADJ))], "works", i);
		t_lit(o, s, SCHEMA "name", lab, NULL);
	}
	for (i = 0; i < N_MATERIALS; i++) {
		snprintf(s, sizeof s, BASE "material/m%u", i);
		t_iri(o, s, RDF "type", SCHEMA "DefinedTerm");
		snprintf(lab, sizeof lab, "material %u", i);
		t_lit(o, s, SCHEMA "name", lab, NULL);
	}
	for (i = 0; i < N_AUDIENCES; i++) {
		snprintf(s, sizeof s, BASE "audience/a%u", i);
		t_iri(o, s, RDF "type", SCHEMA "Audience");
		snprintf(lab, sizeof lab, "audience %u", i);
		t_lit(o, s, SCHEMA "name", lab, NULL);
	}
	for (i = 0; i < N_OCCASIONS; i++) {
		snprintf(s, sizeof s, BASE "occasion/o%u", i);
		t_iri(o, s, RDF "type", KGR "Occasion");
		snprintf(lab, sizeof lab, "occasion %u", i);
		t_lit(o, s, RDFS "label", lab, NULL);
	}
	for (i = 0; i < g->n_attr; i++) {
		snprintf(s, sizeof s, BASE "attribute/v%u", i);
		snprintf(lab, sizeof lab, "%s %u", FEATURE[i % NWORDS(FEATURE)], i);
		t_lit(o, s, RDFS "label", lab, NULL);
	}
}

/* Up to k distinct earlier products of a leaf, picked by popularity. */
static uint32_t pick_in_leaf(rng_t *r, const vec_t *leaf, uint32_t k, uint32_t *out)
{
	uint32_t n = 0, tries = 0;
	while (n < k && leaf->n && tries < 4 * k) {
		uint32_t x = leaf->v[rng_zipf(r, leaf->n)], j;
		tries++;
		for (j = 0; j < n && out[j] != x; j++)
			;
		if (j == n)
			out[n++] = x;
	}
	return n;
}

/* k (at most 4) distinct values below n, uniformly. */
static void pick_distinct(rng_t *r, uint32_t k, uint32_t n, uint32_t *out)
{
	uint32_t i = 0, j;
	while (i < k) {
		out[i] = rng_below(r, n);
		for (j = 0; j < i && out[j] != out[i]; j++)
			;
		if (j == i)
			i++;
	}
}

static int write_product(out_t *o, graph_t *g, rng_t *r, uint32_t id)
{
	char s[96], obj[128], lit[256];
	uint32_t leaf = rng_below(r, g->n_leaf);
	uint32_t group = leaf_group(leaf), dept = group_dept(group);
	uint32_t brands_in_dept = (g->n_brand - dept + g->n_dept - 1) / g->n_dept;
	uint32_t brand = dept + g->n_dept * rng_zipf(r, brands_in_dept ? brands_in_dept : 1);
	uint32_t i, k, t[4], attrs[8];
	const char *adj = ADJ[rng_below(r, NWORDS(ADJ))], *noun = NOUN[leaf % NWORDS(NOUN)];
	uint32_t day;
	int role = (int)(leaf % 4); /* 0 main, 1 main, 2 complement of leaf^1, 3 accessory of leaf-1 */

	if (brand >= g->n_brand)
		brand = dept;
	snprintf(s, sizeof s, BASE "product/p%u", id);
	t_iri(o, s, RDF "type", SCHEMA "Product");
	snprintf(lit, sizeof lit, "%s %s %c%u", adj, noun, 'A' + (int)(id % 26), id % 1000);
	t_lit(o, s, SCHEMA "name", lit, NULL);
	snprintf(lit, sizeof lit, "%s %s from brand %u: %s, %s and %s.", adj, noun, brand,
		FEATURE[rng_below(r, NWORDS(FEATURE))], FEATURE[rng_below(r, NWORDS(FEATURE))],
		FEATURE[rng_below(r, NWORDS(FEATURE))]);
	t_lit(o, s, SCHEMA "description", lit, "@en");
	snprintf(lit, sizeof lit, "%c%u-%u", 'A' + (int)(brand % 26), 100 + leaf % 900, id % 997);
	t_lit(o, s, SCHEMA "model", lit, NULL);
	snprintf(obj, sizeof obj, BASE "image/p%u.jpg", id);
	t_iri(o, s, SCHEMA "image", obj);
	snprintf(lit, sizeof lit, "SKU-%08u", id);
	t_lit(o, s, SCHEMA "sku", lit, NULL);
	snprintf(lit, sizeof lit, "40%011" PRIu64, (uint64_t)id * 7919u % (uint64_t)100000000000);
	t_lit(o, s, SCHEMA "gtin13", lit, NULL);
	day = rng_below(r, 3 * 365);
	{
		time_t tt = (time_t)(T0 - 2LL * 365 * 86400 + (long long)day * 86400);
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(lit, sizeof lit, "%Y-%m-%d", &tm);
	}
	t_lit(o, s, SCHEMA "releaseDate", lit, XSD "date");
	snprintf(obj, sizeof obj, BASE "brand/b%u", brand);
	t_iri(o, s, SCHEMA "brand", obj);
	snprintf(obj, sizeof obj, BASE "category/l%u", leaf);
	t_iri(o, s, SCHEMA "category", obj);

	k = 1 + (rng_below(r, 10) < 3);
	pick_distinct(r, k, NWORDS(COLOR), t);
	for (i = 0; i < k; i++)
		t_lit(o, s, SCHEMA "color", COLOR[t[i]], NULL);
	k = 1 + (rng_below(r, 10) < 4);
	for (i = 0; i < k; i++) {
		snprintf(obj, sizeof obj, BASE "material/m%u", (leaf * 7 + i * 13 + rng_below(r, 5)) % N_MATERIALS);
		t_iri(o, s, SCHEMA "material", obj);
	}
	snprintf(obj, sizeof obj, BASE "audience/a%u", rng_zipf(r, N_AUDIENCES));
	t_iri(o, s, SCHEMA "audience", obj);
	k = rng_below(r, 10) < 6 ? 1 + (rng_below(r, 4) == 0) : 0;
	if (k == 2 && (t[0] = rng_zipf(r, N_OCCASIONS)) == (t[1] = rng_zipf(r, N_OCCASIONS)))
		k = 1;
	else if (k == 1)
		t[0] = rng_zipf(r, N_OCCASIONS);
	for (i = 0; i < k; i++) {
		snprintf(obj, sizeof obj, BASE "occasion/o%u", (dept * 3 + t[i]) % N_OCCASIONS);
		t_iri(o, s, KGR "occasion", obj);
	}
	/* attribute values: mostly specific to the group, so they say something */
	k = 2 + rng_below(r, 5);
	for (i = 0; i < k; i++) {
		uint32_t a = (group * 17 + rng_zipf(r, 40)) % g->n_attr, j;
		if (rng_below(r, 5) == 0)
			a = rng_below(r, g->n_attr);
		for (j = 0; j < i && attrs[j] != a; j++)
			;
		attrs[i] = a;
		if (j < i)
			continue;
		snprintf(obj, sizeof obj, BASE "attribute/v%u", a);
		t_iri(o, s, KGR "hasAttribute", obj);
	}
	k = 2 + rng_below(r, 4);
	t_lit(o, s, SCHEMA "keywords", noun, NULL);
	pick_distinct(r, k - 1, NWORDS(FEATURE), t);
	for (i = 0; i + 1 < k; i++) {
		snprintf(lit, sizeof lit, "%s %s", FEATURE[t[i]], noun);
		t_lit(o, s, SCHEMA "keywords", lit, NULL);
	}
	/* offer */
	{
		char b[48];
		snprintf(b, sizeof b, "_:o%u", id);
		snprintf(obj, sizeof obj, "<%s>", s);
		t_raw(o, obj, SCHEMA "offers", b);
		t_raw(o, b, RDF "type", "<" SCHEMA "Offer>");
		snprintf(lit, sizeof lit, "\"%u.%02u\"^^<" XSD "decimal>", 2 + rng_zipf(r, 500), rng_below(r, 100));
		t_raw(o, b, SCHEMA "price", lit);
		t_raw(o, b, SCHEMA "priceCurrency", "\"EUR\"");
		t_raw(o, b, SCHEMA "availability",
			rng_below(r, 10) ? "<" SCHEMA "InStock>" : "<" SCHEMA "OutOfStock>");
		snprintf(b, sizeof b, "_:r%u", id);
		t_raw(o, obj, SCHEMA "aggregateRating", b);
		t_raw(o, b, RDF "type", "<" SCHEMA "AggregateRating>");
		snprintf(lit, sizeof lit, "\"%u.%u\"^^<" XSD "decimal>", 2 + rng_below(r, 3), rng_below(r, 10));
		t_raw(o, b, SCHEMA "ratingValue", lit);
		snprintf(lit, sizeof lit, "\"%u\"^^<" XSD "integer>", rng_zipf(r, 2000));
		t_raw(o, b, SCHEMA "reviewCount", lit);
		k = 2 + rng_below(r, 4);
		for (i = 0; i < k; i++) {
			uint32_t pn = rng_below(r, NWORDS(PROPNAME));
			snprintf(b, sizeof b, "_:v%ux%u", id, i);
			t_raw(o, obj, SCHEMA "additionalProperty", b);
			t_raw(o, b, RDF "type", "<" SCHEMA "PropertyValue>");
			snprintf(lit, sizeof lit, "\"%s\"", PROPNAME[pn]);
			t_raw(o, b, SCHEMA "name", lit);
			snprintf(lit, sizeof lit, "\"%u%s%s\"", 1 + rng_zipf(r, 3000), PROPUNIT[pn][0] ? " " : "", PROPUNIT[pn]);
			t_raw(o, b, SCHEMA "value", lit);
		}
	}
	/* links to earlier products */
	if (role == 3) {
		k = pick_in_leaf(r, &g->leaf_items[leaf - 1], 1 + rng_below(r, 3), t);
		for (i = 0; i < k; i++) {
			snprintf(obj, sizeof obj, BASE "product/p%u", t[i]);
			t_iri(o, s, SCHEMA "isAccessoryOrSparePartFor", obj);
			if (edges_push(&g->goes_with, t[i], id))
				return -1;
		}
	} else if (role == 2) {
		k = (leaf ^ 1u) < g->n_leaf ? pick_in_leaf(r, &g->leaf_items[leaf ^ 1u], rng_below(r, 3), t) : 0;
		for (i = 0; i < k; i++) {
			char sb[96];
			snprintf(obj, sizeof obj, BASE "product/p%u", t[i]);
			t_iri(o, s, KGR "complements", obj);
			snprintf(sb, sizeof sb, BASE "product/p%u", t[i]);
			t_iri(o, sb, KGR "complements", s);
			if (edges_push(&g->goes_with, t[i], id) || edges_push(&g->goes_with, id, t[i]))
				return -1;
		}
	}
	{
		uint32_t other = group * LEAVES_PER_GROUP + rng_below(r, LEAVES_PER_GROUP);
		if (other < g->n_leaf) {
			k = pick_in_leaf(r, &g->leaf_items[other], rng_below(r, 4), t);
			for (i = 0; i < k; i++) {
				snprintf(obj, sizeof obj, BASE "product/p%u", t[i]);
				t_iri(o, s, SCHEMA "isRelatedTo", obj);
			}
		}
	}
	k = pick_in_leaf(r, &g->leaf_items[leaf], rng_below(r, 3), t);
	for (i = 0; i < k; i++) {
		snprintf(obj, sizeof obj, BASE "product/p%u", t[i]);
		t_iri(o, s, SCHEMA "isSimilarTo", obj);
	}

	if (vec_push(&g->leaf_items[leaf], id))
		return -1;
	if (g->n_items == g->cap_items) {
		uint32_t cap = g->cap_items ? g->cap_items * 2 : 1024;
		uint32_t *nv = realloc(g->item_leaf, (size_t)cap * sizeof(*nv));
		if (!nv)
			return -1;
		g->item_leaf = nv;
		g->cap_items = cap;
	}
	g->item_leaf[g->n_items++] = leaf;
	return 0;
}

static int cmp_edge(const void *a, const void *b)
{
	const edge_t *x = a, *y = b;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

typedef struct {
	FILE *f;
	uint64_t rows;
	uint32_t user;
	int64_t t;
} csv_t;

static void event(csv_t *c, uint32_t item, const char *action, unsigned weight)
{
	char ts[32];
	time_t tt = (time_t)c->t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(c->f, "u%u,p%u,%s,%s,%u\n", c->user, item, ts, action, weight);
	c->rows++;
}

/* start offsets into the sorted goes_with edges, per product */
static int goes_with_index(graph_t *g, uint32_t **start_out)
{
	uint32_t *start = calloc((size_t)g->n_items + 1, sizeof(*start));
	size_t i;
	if (!start)
		return -1;
	qsort(g->goes_with.v, g->goes_with.n, sizeof(edge_t), cmp_edge);
	for (i = 0; i < g->goes_with.n; i++)
		start[g->goes_with.v[i].a + 1]++;
	for (i = 0; i < g->n_items; i++)
		start[i + 1] += start[i];
	*start_out = start;
	return 0;
}

static int write_interactions(FILE *f, graph_t *g, rng_t *r, uint32_t n_users, uint64_t *rows_out)
{
	csv_t c = { f, 0, 0, 0 };
	uint32_t *start = NULL, u;

	if (goes_with_index(g, &start))
		return -1;
	fputs("user,item,timestamp,action,weight\n", f);
	for (u = 0; u < n_users; u++) {
		uint32_t fav[3], n_fav = 1 + rng_below(r, 3), sessions, s, i;
		for (i = 0; i < n_fav; i++)
			fav[i] = rng_zipf(r, (g->n_leaf + LEAVES_PER_GROUP - 1) / LEAVES_PER_GROUP);
		c.user = u;
		c.t = T0 + (int64_t)rng_below(r, (SPAN_DAYS - 30) * 86400u);
		sessions = 1 + rng_zipf(r, 12);
		for (s = 0; s < sessions; s++) {
			uint32_t group = rng_below(r, 10) < 8 ? fav[rng_below(r, n_fav)]
				: rng_below(r, (g->n_leaf + LEAVES_PER_GROUP - 1) / LEAVES_PER_GROUP);
			uint32_t leaf = group * LEAVES_PER_GROUP + (rng_below(r, 3) ? rng_below(r, 2) : rng_below(r, LEAVES_PER_GROUP));
			uint32_t views, last = UINT32_MAX;
			const vec_t *items;
			if (leaf >= g->n_leaf)
				leaf = rng_below(r, g->n_leaf);
			items = &g->leaf_items[leaf];
			if (!items->n)
				continue;
			views = 1 + rng_below(r, 5);
			for (i = 0; i < views; i++) {
				last = rng_below(r, 10) < 9 ? items->v[rng_zipf(r, items->n)] : rng_zipf(r, g->n_items);
				event(&c, last, "view", 1);
				c.t += 20 + rng_below(r, 300);
			}
			/* u0 always buys in its first session: the benchmark queries start from it */
			if (rng_below(r, 10) < 4 || (u == 0 && s == 0)) {
				event(&c, last, "cart", 1);
				c.t += 30 + rng_below(r, 600);
				if (rng_below(r, 10) < 8 || (u == 0 && s == 0)) {
					uint32_t n_with = start[last + 1] - start[last];
					event(&c, last, "purchase", 1);
					if (rng_below(r, 10) < 3) {
						int64_t back = c.t;
						c.t += 86400LL * (3 + rng_below(r, 20));
						event(&c, last, "rate", 5 - rng_zipf(r, 5));
						c.t = back;
					}
					/* the accessory or complement, now or a few days later */
					if (n_with && rng_below(r, 10) < 5) {
						uint32_t y = g->goes_with.v[start[last] + rng_zipf(r, n_with)].b;
						c.t += rng_below(r, 2) ? 120 + rng_below(r, 600) : 86400LL * (1 + rng_below(r, 14));
						event(&c, y, "view", 1);
						c.t += 30 + rng_below(r, 300);
						if (rng_below(r, 10) < 6)
							event(&c, y, "purchase", 1);
					}
				}
			}
			c.t += 3600LL * (2 + rng_below(r, 24 * 12));
		}
	}
	free(start);
	*rows_out = c.rows;
	return ferror(f) ? -1 : 0;
}

static void usage(FILE *f)
{
	fputs("usage: gen_graph --triples N [--seed S] [--users U] [--no-interactions] -o DIR\n"
	      "  writes DIR/graph.nt (at least N triples) and DIR/interactions.csv\n", f);
}

static int parse_u64(const char *name, const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;
	errno = 0;
	x = strtoull(v ? v : "", &end, 10);
	if (!v || !*v || *end || errno) {
		fprintf(stderr, "gen_graph: %s wants a non-negative integer, got '%s'\n", name, v ? v : "");
		return -1;
	}
	*out = x;
	return 0;
}

int main(int argc, char **argv)
{
	opts_t op = { 0, 1, 0, 1, NULL };
	graph_t g;
	rng_t r;
	out_t o = { NULL, 0 };
	char path[4096];
	uint64_t est, rows = 0, x;
	struct timespec t0, t1;
	FILE *csv = NULL;
	int i, error = 1;

	memset(&g, 0, sizeof g);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--triples")) {
			if (parse_u64(a, v, &op.target))
				return 2;
			i++;
		} else if (!strcmp(a, "--seed")) {
			if (parse_u64(a, v, &op.seed))
				return 2;
			i++;
		} else if (!strcmp(a, "--users")) {
			if (parse_u64(a, v, &x) || x > UINT32_MAX)
				return 2;
			op.users = (uint32_t)x;
			i++;
		} else if (!strcmp(a, "--no-interactions")) {
			op.interactions = 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (!v) {
				usage(stderr);
				return 2;
			}
			op.dir = v;
			i++;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "gen_graph: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!op.target || !op.dir) {
		usage(stderr);
		return 2;
	}
	if (op.target > 2000000000ULL) {
		fprintf(stderr, "gen_graph: --triples %" PRIu64 " is more than this generator's 2e9\n", op.target);
		return 2;
	}
	if (mkdir(op.dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "gen_graph: cannot create %s: %s\n", op.dir, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);

	est = op.target / 50 + 1;
	g.n_leaf = (uint32_t)(est / 100 < 16 ? 16 : est / 100);
	g.n_group = (g.n_leaf + LEAVES_PER_GROUP - 1) / LEAVES_PER_GROUP;
	g.n_dept = (g.n_group + GROUPS_PER_DEPT - 1) / GROUPS_PER_DEPT;
	g.n_brand = (uint32_t)(est / 40 < 12 ? 12 : est / 40);
	g.n_attr = (uint32_t)(est / 20 < 200 ? 200 : est / 20);
	g.leaf_items = calloc(g.n_leaf, sizeof(*g.leaf_items));
	if (!g.leaf_items)
		goto nomem;

	snprintf(path, sizeof path, "%s/graph.nt", op.dir);
	o.f = fopen(path, "w");
	if (!o.f) {
		fprintf(stderr, "gen_graph: cannot write %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	setvbuf(o.f, NULL, _IOFBF, 1 << 20);
	r.s = op.seed * 0x2545f4914f6cdd1dULL + 1;
	write_vocab(&o, &g, &r);
	while (o.n < op.target) {
		if (write_product(&o, &g, &r, g.n_items))
			goto nomem;
	}
	if (fclose(o.f)) {
		o.f = NULL;
		fprintf(stderr, "gen_graph: writing %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	o.f = NULL;

	if (op.interactions) {
		uint32_t n_users = op.users ? op.users : (g.n_items / 2 ? g.n_items / 2 : 1);
		snprintf(path, sizeof path, "%s/interactions.csv", op.dir);
		csv = fopen(path, "w");
		if (!csv) {
			fprintf(stderr, "gen_graph: cannot write %s: %s\n", path, strerror(errno));
			goto cleanup;
		}
		setvbuf(csv, NULL, _IOFBF, 1 << 20);
		r.s = op.seed * 0x9e3779b97f4a7c15ULL + 7;
		if (write_interactions(csv, &g, &r, n_users, &rows)) {
			fprintf(stderr, "gen_graph: writing %s failed\n", path);
			goto cleanup;
		}
		if (fclose(csv)) {
			csv = NULL;
			fprintf(stderr, "gen_graph: writing %s: %s\n", path, strerror(errno));
			goto cleanup;
		}
		csv = NULL;
		op.users = n_users;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("triples=%" PRIu64 " products=%u brands=%u categories=%u users=%u events=%" PRIu64 " seconds=%.2f\n",
		o.n, g.n_items, g.n_brand, g.n_dept + g.n_group + g.n_leaf, op.users, rows,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	error = 0;
	goto cleanup;
nomem:
	fprintf(stderr, "gen_graph: out of memory\n");
cleanup:
	if (o.f)
		fclose(o.f);
	if (csv)
		fclose(csv);
	if (g.leaf_items) {
		uint32_t l;
		for (l = 0; l < g.n_leaf; l++)
			free(g.leaf_items[l].v);
		free(g.leaf_items);
	}
	free(g.item_leaf);
	free(g.goes_with.v);
	return error;
}
