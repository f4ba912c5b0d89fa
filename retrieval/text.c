/* Token index over the literals of graph nodes (labels, names, descriptions...) for free-text
 * queries, scored BM25-style (Robertson et al., Okapi at TREC-3, 1994): a word that occurs
 * on few nodes counts more, a label counts twice, long texts are normalised.
 * Complexity: build O(total tokens log); query O(postings of the query's words). */
#include "retrieval/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define BM25_K1 1.2
#define BM25_B 0.75
#define MAX_LITERAL 4096
#define MAX_TOKEN KGR__TOKEN_MAX

typedef struct {
	uint32_t tok, node;
	float tf;
} posting;

struct kgr__text_index {
	char *arena;            /* token strings, NUL-terminated */
	size_t arena_len, arena_cap;
	uint32_t *tok_off;      /* token id -> offset in arena */
	size_t n_tok, cap_tok;
	uint32_t *table;        /* hash table of token id + 1 */
	size_t table_cap;
	uint32_t *post_off;     /* token id -> first posting (CSR, n_tok + 1) */
	uint32_t *post_node;
	float *post_tf;
	size_t n_post;
	float *doclen;          /* per node */
	double avglen;
	size_t n_docs;
};

static const char *const stopwords[] = { "a", "an", "and", "the", "of", "for", "in", "on", "to",
	"with", "by", "at", "is", "it", "or", "as", "from", "this", "that", "be", "are", NULL };

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The stop words are at most 4 letters: a longer word (most of a catalog's) is not one and
 * costs no comparison. */
static int is_stop(const char *w, size_t n)
{
	size_t i;
	if (n > 4)
		return 0;
	for (i = 0; stopwords[i]; i++)
		if (!strcmp(w, stopwords[i]))
			return 1;
	return 0;
}

/* Declared in retrieval/internal.h. Non-ASCII bytes are kept as word characters so that
 * words in other scripts are indexed whole. */
int kgr__next_token(const char *s, size_t len, size_t *pos, char *buf)
{
	size_t i = *pos, n;
	for (;;) {
		while (i < len && !(isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80))
			i++;
		if (i >= len) {
			*pos = i;
			return 0;
		}
		n = 0;
		while (i < len && (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)) {
			if (n < MAX_TOKEN)
				buf[n++] = (char)tolower((unsigned char)s[i]);
			i++;
		}
		buf[n] = '\0';
		if (n >= 2 && !is_stop(buf, n)) {
			*pos = i;
			return 1;
		}
	}
}

static uint32_t tok_find(const kgr__text_index *t, const char *w, size_t n)
{
	size_t h;
	if (!t->table_cap)
		return KGR__NONE;
	h = hash_str(w, n) & (t->table_cap - 1);
	while (t->table[h]) {
		uint32_t id = t->table[h] - 1;
		if (!strcmp(t->arena + t->tok_off[id], w))
			return id;
		h = (h + 1) & (t->table_cap - 1);
	}
	return KGR__NONE;
}

static int tok_intern(kgr__text_index *t, const char *w, uint32_t *out)
{
	size_t n = strlen(w), h, i;
	uint32_t id;
	if (t->n_tok * 2 >= t->table_cap) {
		size_t cap = t->table_cap ? t->table_cap * 2 : 4096;
		uint32_t *nt = calloc(cap, sizeof(uint32_t));
		if (!nt)
			return KGR_ENOMEM;
		for (i = 0; i < t->n_tok; i++) {
			const char *s = t->arena + t->tok_off[i];
			h = hash_str(s, strlen(s)) & (cap - 1);
			while (nt[h])
				h = (h + 1) & (cap - 1);
			nt[h] = (uint32_t)i + 1;
		}
		free(t->table);
		t->table = nt;
		t->table_cap = cap;
	}
	if ((id = tok_find(t, w, n)) != KGR__NONE) {
		*out = id;
		return 0;
	}
	if (t->arena_len + n + 1 > t->arena_cap) {
		size_t cap = t->arena_cap ? t->arena_cap * 2 : 65536;
		char *na;
		while (cap < t->arena_len + n + 1)
			cap *= 2;
		if (!(na = realloc(t->arena, cap)))
			return KGR_ENOMEM;
		t->arena = na;
		t->arena_cap = cap;
	}
	if (t->n_tok == t->cap_tok) {
		size_t cap = t->cap_tok ? t->cap_tok * 2 : 4096;
		uint32_t *no = realloc(t->tok_off, cap * sizeof(uint32_t));
		if (!no)
			return KGR_ENOMEM;
		t->tok_off = no;
		t->cap_tok = cap;
	}
	memcpy(t->arena + t->arena_len, w, n + 1);
	t->tok_off[t->n_tok] = (uint32_t)t->arena_len;
	t->arena_len += n + 1;
	id = (uint32_t)t->n_tok++;
	h = hash_str(w, n) & (t->table_cap - 1);
	while (t->table[h])
		h = (h + 1) & (t->table_cap - 1);
	t->table[h] = id + 1;
	*out = id;
	return 0;
}

static int cmp_posting(const void *a, const void *b)
{
	const posting *x = a, *y = b;
	if (x->tok != y->tok)
		return x->tok < y->tok ? -1 : 1;
	return x->node < y->node ? -1 : (x->node > y->node);
}

/* One stable counting pass of n postings from `from` into `to` by token (by_tok) or by node,
 * keys below nb; at: nb + 1 counters. */
static void counting_pass(const posting *from, posting *to, size_t n, uint32_t *at, size_t nb,
	int by_tok)
{
	size_t i;
	memset(at, 0, (nb + 1) * sizeof(*at));
	for (i = 0; i < n; i++)
		at[(by_tok ? from[i].tok : from[i].node) + 1]++;
	for (i = 1; i <= nb; i++)
		at[i] += at[i - 1];
	for (i = 0; i < n; i++)
		to[at[by_tok ? from[i].tok : from[i].node]++] = from[i];
}

/* Postings in (token, node) order by two counting passes (node, then token: each pass keeps
 * the order of the one before), linear in the postings where a comparison sort was a sixth of
 * the graph view's build at 5M triples. The order is the comparison's, so the index is the
 * same. -1 when out of memory. */
static int sort_postings(posting *ps, size_t n, uint32_t n_tok, uint32_t n_nodes)
{
	size_t nb = n_tok > n_nodes ? n_tok : n_nodes;
	posting *tmp = malloc(n * sizeof(*tmp));
	uint32_t *at = malloc((nb + 1) * sizeof(*at));
	if (!tmp || !at) {
		free(tmp);
		free(at);
		return -1;
	}
	counting_pass(ps, tmp, n, at, n_nodes, 0);
	counting_pass(tmp, ps, n, at, n_tok, 1);
	free(tmp);
	free(at);
	return 0;
}

void kgr__text_free(kgr__text_index *t)
{
	if (!t)
		return;
	free(t->arena);
	free(t->tok_off);
	free(t->table);
	free(t->post_off);
	free(t->post_node);
	free(t->post_tf);
	free(t->doclen);
	free(t);
}

size_t kgr__text_tokens(const kgr_graph *g)
{
	return g->text ? g->text->n_tok : 0;
}

int kgr__text_build(kgr_graph *g)
{
	const kgr_store *st = g->store;
	kgr__text_index *t;
	posting *ps = NULL;
	size_t n_ps = 0, cap_ps = 0, nq, i, j;
	const kgr_quad *q = kgr_store_quads(st, &nq);
	kgr_id label_p[4], g_onto = kgr_store_iri(st, KGR_GRAPH_ONTOLOGY);
	char buf[MAX_TOKEN + 1];
	double total = 0;
	int error = 0;

	label_p[0] = kgr_store_iri(st, "http://www.w3.org/2000/01/rdf-schema#label");
	label_p[1] = kgr_store_iri(st, "http://schema.org/name");
	label_p[2] = kgr_store_iri(st, "http://www.w3.org/2004/02/skos/core#prefLabel");
	label_p[3] = kgr_store_iri(st, "http://xmlns.com/foaf/0.1/name");
	if (!(t = calloc(1, sizeof(*t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	if (!(t->doclen = calloc((size_t)g->n_nodes + 1, sizeof(float)))) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto cleanup;
	}
	for (i = 0; q && i < nq; i++) {
		uint32_t node = kgr__node_of(g, q[i].s);
		const uint32_t *nodes = &node;
		const char *v;
		size_t len, pos = 0, n_nodes = 1, k;
		float fw = 1.0f;
		if (q[i].g && q[i].g == g_onto)
			continue;
		if (node != KGR__NONE) {
			if (g->flags[node] & KGR__NODE_USER)
				continue;
		} else if (!g->same.n || !(n_nodes = kgr__clique_nodes(g, q[i].s, &nodes)))
			continue; /* a sameAs member that is no node: its words go to its clique's nodes */
		if (kgr_term_kind_of(st, q[i].o) != KGR_TERM_LITERAL)
			continue;
		if (i > 0 && q[i - 1].s == q[i].s && q[i - 1].p == q[i].p && q[i - 1].o == q[i].o)
			continue;
		for (j = 0; j < 4; j++)
			if (label_p[j] && q[i].p == label_p[j])
				fw = 2.0f;
		v = kgr_term_value(st, q[i].o, &len);
		if (!v)
			continue;
		if (len > MAX_LITERAL)
			len = MAX_LITERAL;
		while (kgr__next_token(v, len, &pos, buf)) {
			uint32_t tok;
			if (tok_intern(t, buf, &tok) < 0) {
				error = kgr__error_set(KGR_ENOMEM, "graph: out of memory (text index)");
				goto cleanup;
			}
			for (k = 0; k < n_nodes; k++) {
				uint32_t nd = nodes[k];
				if (nd == KGR__NONE)
					continue; /* a clique no edge reached has no node */
				if (n_ps == cap_ps) {
					size_t cap = cap_ps ? cap_ps * 2 : 4096;
					posting *np = realloc(ps, cap * sizeof(posting));
					if (!np) {
						error = kgr__error_set(KGR_ENOMEM, "graph: out of memory (text index)");
						goto cleanup;
					}
					ps = np;
					cap_ps = cap;
				}
				ps[n_ps].tok = tok;
				ps[n_ps].node = nd;
				ps[n_ps].tf = fw;
				n_ps++;
				if (t->doclen[nd] == 0)
					t->n_docs++;
				t->doclen[nd] += fw;
				total += fw;
			}
		}
	}
	if (n_ps && sort_postings(ps, n_ps, (uint32_t)t->n_tok, g->n_nodes) < 0)
		qsort(ps, n_ps, sizeof(posting), cmp_posting);
	t->post_off = calloc(t->n_tok + 1, sizeof(uint32_t));
	t->post_node = malloc((n_ps + 1) * sizeof(uint32_t));
	t->post_tf = malloc((n_ps + 1) * sizeof(float));
	if (!t->post_off || !t->post_node || !t->post_tf) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory (text index)");
		goto cleanup;
	}
	for (i = 0; i < n_ps; i++) {
		if (t->n_post && i > 0 && ps[i - 1].tok == ps[i].tok && ps[i - 1].node == ps[i].node) {
			t->post_tf[t->n_post - 1] += ps[i].tf;
			continue;
		}
		t->post_node[t->n_post] = ps[i].node;
		t->post_tf[t->n_post] = ps[i].tf;
		t->post_off[ps[i].tok + 1]++;
		t->n_post++;
	}
	for (i = 0; i < t->n_tok; i++)
		t->post_off[i + 1] += t->post_off[i];
	t->avglen = t->n_docs ? total / (double)t->n_docs : 1.0;
	g->text = t;
	t = NULL;
cleanup:
	free(ps);
	kgr__text_free(t);
	return error;
}

typedef struct {
	uint32_t words; /* bit k: the query's k-th word matched */
} hit_info;

static int cmp_hit(const void *a, const void *b)
{
	const kgr__text_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->node < y->node ? -1 : (x->node > y->node);
}

int kgr__text_query(const kgr_graph *g, const char *query, kgr__text_hit **out, size_t *n_out,
	size_t max)
{
	const kgr__text_index *t = g->text;
	kgr__scratch *sc = kgr__scratch_get(g->n_nodes);
	kgr__map *m;
	hit_info *info = NULL;
	size_t info_cap = 0, pos = 0, len = strlen(query), i;
	char buf[MAX_TOKEN + 1], words[16][MAX_TOKEN + 1];
	size_t n_words = 0;
	kgr__text_hit *hits = NULL;
	int error = 0;

	*out = NULL;
	*n_out = 0;
	if (!sc)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	m = &sc->maps[KGR__MAP_TMP];
	kgr__map_reset(m);
	while (n_words < 16 && kgr__next_token(query, len, &pos, buf)) {
		uint32_t tok;
		size_t k, df;
		double idf;
		for (k = 0; k < n_words; k++)
			if (!strcmp(words[k], buf))
				break;
		if (k < n_words)
			continue;
		memcpy(words[n_words], buf, sizeof(buf));
		n_words++;
		if (!t || (tok = tok_find(t, buf, strlen(buf))) == KGR__NONE)
			continue;
		df = t->post_off[tok + 1] - t->post_off[tok];
		idf = log(1.0 + ((double)t->n_docs - (double)df + 0.5) / ((double)df + 0.5));
		for (k = t->post_off[tok]; k < t->post_off[tok + 1]; k++) {
			uint32_t node = t->post_node[k];
			double tf = t->post_tf[k], s, *v;
			hit_info *hi;
			s = idf * tf * (BM25_K1 + 1) /
				(tf + BM25_K1 * (1 - BM25_B + BM25_B * t->doclen[node] / t->avglen));
			if (!(v = kgr__map_put(m, node))) {
				error = kgr__error_set(KGR_ENOMEM, "out of memory");
				goto cleanup;
			}
			if (m->n > info_cap) {
				size_t cap = info_cap ? info_cap * 2 : 1024;
				hit_info *ni = realloc(info, cap * sizeof(*ni));
				if (!ni) {
					error = kgr__error_set(KGR_ENOMEM, "out of memory");
					goto cleanup;
				}
				info = ni;
				info_cap = cap;
			}
			hi = &info[v - m->vals];
			if (*v == 0)
				hi->words = 0;
			*v += s;
			hi->words |= 1u << (n_words - 1);
		}
	}
	if (m->n) {
		if (!(hits = malloc(m->n * sizeof(*hits)))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		for (i = 0; i < m->n; i++) {
			size_t k, used = 0;
			hits[i].node = m->keys[i];
			hits[i].score = m->vals[i];
			hits[i].word[0] = '\0';
			for (k = 0; k < n_words; k++)
				if (info[i].words & (1u << k)) {
					int w = snprintf(hits[i].word + used, sizeof(hits[i].word) - used, "%s%s",
						used ? " " : "", words[k]);
					if (w < 0 || (size_t)w >= sizeof(hits[i].word) - used)
						break;
					used += (size_t)w;
				}
		}
		qsort(hits, m->n, sizeof(*hits), cmp_hit);
		*n_out = m->n < max ? m->n : max;
		*out = hits;
		hits = NULL;
	}
cleanup:
	kgr__map_reset(m);
	free(hits);
	free(info);
	return error;
}

/* Declared in retrieval/internal.h. */
uint64_t kgr__text_digest(const kgr_graph *g)
{
	const kgr__text_index *t = g->text;
	uint64_t h = 1469598103934665603ull;
	size_t i;
#define MIX(p, n)                                                    \
	do {                                                         \
		const unsigned char *b_ = (const unsigned char *)(p); \
		size_t n_ = (n), k_;                                 \
		for (k_ = 0; k_ < n_; k_++) {                         \
			h ^= b_[k_];                                  \
			h *= 1099511628211ull;                        \
		}                                                    \
	} while (0)
	if (!t)
		return 0;
	MIX(&t->n_tok, sizeof(t->n_tok));
	MIX(&t->n_post, sizeof(t->n_post));
	for (i = 0; i < t->n_tok; i++) {
		const char *w = t->arena + t->tok_off[i];
		MIX(w, strlen(w) + 1);
	}
	MIX(t->post_off, (t->n_tok + 1) * sizeof(uint32_t));
	MIX(t->post_node, t->n_post * sizeof(uint32_t));
	MIX(t->post_tf, t->n_post * sizeof(float));
	MIX(t->doclen, (size_t)g->n_nodes * sizeof(float));
	MIX(&t->avglen, sizeof(t->avglen));
#undef MIX
	return h;
}
