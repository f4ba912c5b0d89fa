/* Internal declarations of the retrieval module: the graph view, per-request scratch,
 * generators, evidence paths. Not installed. */
#ifndef KGREC_RETRIEVAL_INTERNAL_H
#define KGREC_RETRIEVAL_INTERNAL_H

#include "kg/internal.h"
#include "kgrec/retrieval.h"

#include <stdint.h>

#define KGR__NONE 0xffffffffu

/* Node flags. */
#define KGR__NODE_ITEM 1u
#define KGR__NODE_USER 2u
#define KGR__NODE_HUB 4u
#define KGR__NODE_SAMEAS 8u /* stands for (or is one of the items of) an owl:sameAs clique */

/* A relation the graph walks (one per predicate). */
typedef struct {
	kgr_id pred;
	double weight;
	char *phrase;  /* "is in the category" */
	char *shared;  /* "the category" */
	char *inverse; /* read against the edge: "is the category of", or NULL */
	char *tmpl;    /* the phrase with the object's place: "added {o} to the cart", or NULL */
} kgr__relation;

/* One adjacency entry of the catalog CSR. rel = relation index << 1 | reversed, where
 * reversed 0 means the triple is (this node, p, nbr) and 1 means (nbr, p, this node). */
typedef struct {
	uint32_t nbr;
	uint32_t rel;
} kgr__adj;

typedef struct {
	kgr_id action;
	double weight;
} kgr__action_w;

typedef struct kgr__text_index kgr__text_index;

/* One owl:sameAs link of a clique member: the triple (member, owl:sameAs, other) when
 * reversed is 0, (other, owl:sameAs, member) when 1. other is a member index (clq_term). */
typedef struct {
	uint32_t other;
	uint32_t reversed;
} kgr__same_link;

/* The owl:sameAs cliques (connected components of sameAs links, either direction), each
 * walked as one node: see graph.c, build_cliques(). All NULL / 0 when the store has none. */
typedef struct {
	uint32_t n;           /* cliques */
	uint32_t *off;        /* per clique: its first member in term (n + 1 entries) */
	kgr_id *term;         /* members, each clique's in term id order */
	uint32_t *link_off;   /* per member: its first link in link (members + 1 entries) */
	kgr__same_link *link;
	uint32_t *node_off;   /* per clique: its first walk node in node (n + 1 entries) */
	uint32_t *node;       /* walk nodes: the clique's items, or the one node standing for it */
	uint32_t *of_term;    /* term id -> clique + 1 (0: none); of_term_n entries */
	size_t of_term_n;
	uint32_t *by_node;    /* pairs (walk node, clique), sorted by node */
	size_t n_by_node;
} kgr__cliques;

/* The steps of kgr_graph_new(), timed (wall ms) for bench_recommend. */
enum {
	KGR__BUILD_EVENTS,   /* configuration, term -> node table, events copied and sorted */
	KGR__BUILD_NODES,    /* item and user nodes */
	KGR__BUILD_CATALOG,  /* sameAs cliques, catalog edges */
	KGR__BUILD_INTS,     /* interaction index: histories, item lists, popularity */
	KGR__BUILD_CSR,      /* catalog adjacency */
	KGR__BUILD_SPEC,     /* hubs, specificity */
	KGR__BUILD_TEXT,     /* token index */
	KGR__BUILD_STEPS
};

struct kgr_graph {
	const kgr_store *store;
	double build_ms[KGR__BUILD_STEPS];
	kgr_graph_options opts;
	double hub_degree;
	double half_life;

	/* nodes */
	uint32_t n_nodes, cap_nodes;
	kgr_id *node_id;      /* node -> term id */
	uint32_t *id_node;    /* term id -> node + 1 (0: not a node) */
	size_t id_cap;
	uint8_t *flags;
	uint32_t *itemdeg;    /* catalog neighbours that are items */
	float *spec;          /* log2(2 + items linked, or history length), x10 for hubs */

	/* catalog adjacency (static after build); nodes >= n_cat_nodes have none */
	uint32_t n_cat_nodes;
	uint32_t *cat_off;
	kgr__adj *cat;
	double *cat_wdeg;
	size_t n_cat_edges;   /* undirected edges */

	kgr__relation *rels;
	size_t n_rels;

	kgr__action_w *actions;
	size_t n_actions;

	/* interactions: each user's history is one block of slots, sorted by time, the events
	 * of one second in the order they came (the input's at a build, then live events after
	 * them); blocks are in user order after a build, and a block that outgrows its slots
	 * after live events moves to the end (its old slots are left unused). */
	kgr_interaction *ints;
	size_t n_ints;        /* interactions */
	size_t ints_len;      /* slots in use (>= n_ints) */
	size_t ints_cap;      /* slots allocated */
	float *int_w;         /* graph weight of each interaction (action weight) */
	uint32_t *int_unode;  /* user node of each interaction */
	uint32_t *int_inode;  /* item node of each interaction */
	uint32_t *hist_off;   /* per node: first interaction of a user node */
	uint32_t *hist_len;   /* per node: number of interactions of a user node */
	uint32_t *hist_cap;   /* per node: slots of its block */
	uint32_t *iu_off;     /* per node: first entry of an item's list in iu */
	uint32_t *iu_end;     /* per node: end of the item's list */
	uint32_t *iu_cap;     /* per node: slots of the item's list */
	uint32_t *iu;         /* interaction indices, by item, in time order (ties: by user,
	                       * then the order the user's events came in) */
	uint32_t *iu_user;    /* the user node of each iu entry */
	float *iu_w;          /* the graph weight of each iu entry (int_w of its interaction) */
	int64_t *iu_time;     /* the time of each iu entry (searched without reading ints) */
	size_t iu_len, iu_alloc; /* iu slots in use / allocated */
	uint32_t int_cap_nodes; /* nodes the per-node interaction arrays and spec hold */
	double *int_wdeg;     /* per node: sum of interaction weights */
	double *wdeg;         /* per node: cat_wdeg + int_wdeg, the degree the push divides by */
	uint32_t *pop;        /* per node: interactions with an item */
	uint32_t *popular;    /* item nodes with pop > 0, most popular first */
	size_t n_popular;
	uint32_t max_pop;
	int64_t t_min, t_max;

	kgr__text_index *text;

	kgr__cliques same;

	/* vocabulary */
	kgr_id id_interact;
	kgr_id id_phrase;
	kgr_id id_inverse;  /* kgr:inversePhrase */
	kgr_id id_tmpl;     /* kgr:phraseTemplate */
	kgr_id id_sameas;
	/* prices and the node constraints of free-text requests (constraints.c) */
	kgr_id id_price, id_lowprice, id_currency, id_offers, id_audience, id_occasion;

	/* igraph view (igraph_t *, igraph_vector_t * of weights), owned by graph.c */
	void *ig;
	void *ig_weights;
};

/* ---- graph.c (the igraph adapter) ---- */
static inline uint32_t kgr__node_of(const kgr_graph *g, kgr_id id)
{
	if (id == 0 || id >= g->id_cap)
		return KGR__NONE;
	return g->id_node[id] ? g->id_node[id] - 1 : KGR__NONE;
}

double kgr__action_weight(const kgr_graph *g, kgr_id action);
/* log1p(n), the same double, from a table for small counts (recommend.c). */
double kgr__log1p_count(size_t n);
/* Full personalized PageRank by igraph's PRPACK solver on the same weighted graph the push
 * walks (catalog + interaction edges). out[n_nodes], caller allocated. Not thread-safe: the
 * first call on a view builds its igraph copy (for tests and benchmarks, never requests). */
int kgr__graph_ppr_exact(const kgr_graph *g, const uint32_t *seeds, const double *w, size_t n,
	double damping, double *out);
/* Build the interaction structures from g->ints, packed (called at build; live events
 * update them in place, see kgr_graph_add_interactions()). */
int kgr__graph_index_interactions(kgr_graph *g);
/* Compute g->spec and g->wdeg (at build; live events update the nodes they touch). */
int kgr__graph_spec(kgr_graph *g);
/* The owl:sameAs clique of a term (a member), or KGR__NONE. */
static inline uint32_t kgr__clique_of_term(const kgr_graph *g, kgr_id id)
{
	return id < g->same.of_term_n && g->same.of_term[id] ? g->same.of_term[id] - 1 : KGR__NONE;
}
/* The clique a walk node stands for (flag KGR__NODE_SAMEAS), or KGR__NONE. */
uint32_t kgr__clique_of_node(const kgr_graph *g, uint32_t node);
/* The walk nodes of a clique member that is not a node itself (its literals belong to them):
 * returns their count and sets *out; 0 when the term is in no clique. */
size_t kgr__clique_nodes(const kgr_graph *g, kgr_id id, const uint32_t **out);
static inline double kgr__wdeg_of(const kgr_graph *g, uint32_t n)
{
	return (n < g->n_cat_nodes ? g->cat_wdeg[n] : 0.0) + g->int_wdeg[n];
}

/* ---- scratch.c: thread-local node maps ---- */
/* A map node -> double that remembers insertion order (keys/vals are dense, iterated in the
 * order nodes were first put). The index is an open-addressing table sized to what the
 * request touches (load at most 1/2), so the few thousand nodes of a request stay in the
 * cache instead of costing a miss each in a node-sized array. */
typedef struct {
	uint32_t *tab;   /* 2 words per slot: node, index + 1 (0: empty) */
	uint32_t mask;   /* slots - 1 (slots: a power of two) */
	uint32_t shift;  /* 32 - log2(slots) */
	uint32_t *keys;
	double *vals;
	size_t n, cap;
} kgr__map;

enum { KGR__MAP_R, KGR__MAP_CAND, KGR__MAP_M1, KGR__MAP_M2, KGR__MAP_TMP,
	KGR__MAP_SRC, KGR__MAP_EXCL, KGR__MAP__COUNT };

typedef struct {
	kgr__map maps[KGR__MAP__COUNT];
	size_t node_cap;
	uint32_t *queue;
	size_t queue_cap;
	/* the push's estimates and queue marks, beside maps[KGR__MAP_R] (same indices) */
	double *ppr;
	uint8_t *ppr_queued;
	size_t ppr_cap;
	/* the growing buffers of a request (kgr__req's and the candidates), lent to each
	 * request and taken back at its end so that requests do not allocate them again */
	void *cand, *src, *par, *found, *pat;
	size_t cand_cap, src_cap, par_cap, pat_cap;
} kgr__scratch;

kgr__scratch *kgr__scratch_get(size_t n_nodes);
void kgr__scratch_reset(kgr__scratch *sc);
static inline uint32_t kgr__map_home(const kgr__map *m, uint32_t node)
{
	return (uint32_t)(node * 0x9e3779b1u) >> m->shift;
}
/* Index of node in keys/vals, or -1. */
static inline long kgr__map_index(const kgr__map *m, uint32_t node)
{
	uint32_t h = kgr__map_home(m, node);
	for (;; h = (h + 1) & m->mask) {
		uint32_t s = m->tab[2 * h + 1];
		if (!s)
			return -1;
		if (m->tab[2 * h] == node)
			return (long)s - 1;
	}
}
static inline double *kgr__map_get(kgr__map *m, uint32_t node)
{
	long i = kgr__map_index(m, node);
	return i < 0 ? NULL : &m->vals[i];
}
/* Pointer to the value of node, inserting it with 0. NULL on ENOMEM. */
double *kgr__map_put(kgr__map *m, uint32_t node);
void kgr__map_reset(kgr__map *m);

/* ---- select.c: the best entries of a stream ---- */

/* A node with a value (and where it came from). Lower value, then higher node id, ranks
 * below; entries of one selection have different nodes, so no two tie. */
typedef struct {
	double v;
	uint32_t node;
	uint32_t at;
} kgr__scored;

static inline int kgr__scored_worse(const kgr__scored *a, const kgr__scored *b)
{
	return a->v < b->v || (a->v == b->v && a->node > b->node);
}

/* The `limit` best of the entries offered: they gather in a buffer of twice that; a full
 * buffer is cut to its `limit` best by selection, and the worst of those becomes the bar the
 * next entries must beat. O(n) on average where a heap of the best costs O(n log limit) in
 * unpredictable branches. The set kept is exactly the `limit` best, in no particular order.
 * Use: init; for each entry, add it when wanted; finish; the best are a[0 .. n); free a. */
typedef struct {
	kgr__scored *a;
	size_t n, limit;
	kgr__scored bar; /* the worst kept at the last cut; valid once cut */
	int cut;
} kgr__top;

/* qsort order of kgr__scored entries, best first (the higher value, then the lower node). */
int kgr__scored_best_first(const void *a, const void *b);
/* 0, or KGR_ENOMEM with the message set. limit >= 1. */
int kgr__top_init(kgr__top *t, size_t limit);
/* Cuts the buffer to its `limit` best (n > limit). */
void kgr__top_cut(kgr__top *t);

/* Whether e can still be among the best. */
static inline int kgr__top_wants(const kgr__top *t, const kgr__scored *e)
{
	return !t->cut || kgr__scored_worse(&t->bar, e);
}

static inline void kgr__top_add(kgr__top *t, kgr__scored e)
{
	t->a[t->n++] = e;
	if (t->n == 2 * t->limit)
		kgr__top_cut(t);
}

/* The best entries, t->n of them (at most limit), now in t->a. */
static inline void kgr__top_finish(kgr__top *t)
{
	if (t->n > t->limit)
		kgr__top_cut(t);
}

/* ---- ppr.c ---- */
/* Residual threshold of the push in kgr_recommend() (a benchmark knob). */
extern double kgr__ppr_eps;
/* Andersen-Chung-Lang forward push. seeds/w: the teleport distribution (normalised inside).
 * Result: the nodes reached are sc->maps[KGR__MAP_R].keys[i] with estimates sc->ppr[i]
 * (i < maps[KGR__MAP_R].n, in the order they were reached). Returns 0 or KGR_ENOMEM. */
int kgr__ppr_push(const kgr_graph *g, kgr__scratch *sc, const uint32_t *seeds, const double *w,
	size_t n, double alpha, double eps, int64_t at);
/* The estimate of one node after kgr__ppr_push() (0 when the walk did not reach it). */
static inline double kgr__ppr_value(kgr__scratch *sc, uint32_t node)
{
	long i = kgr__map_index(&sc->maps[KGR__MAP_R], node);
	return i < 0 ? 0.0 : sc->ppr[i];
}

/* ---- text.c ---- */
int kgr__text_build(kgr_graph *g);
void kgr__text_free(kgr__text_index *t);
typedef struct {
	uint32_t node;
	double score;
	char word[160];  /* the query's words that matched it, in the query's order */
} kgr__text_hit;
/* Match a query: returns up to max nodes with scores and the words that matched each. */
int kgr__text_query(const kgr_graph *g, const char *query, kgr__text_hit **out, size_t *n_out,
	size_t max);
size_t kgr__text_tokens(const kgr_graph *g);
/* A digest (FNV-1a) of the token index: its words, postings and lengths (bench_recommend
 * --digest: a change that should not move the index can be checked). */
uint64_t kgr__text_digest(const kgr_graph *g);

/* ---- paths.c ---- */
/* How a node of the reach maps M1/M2 was reached (chained per node). */
struct kgr__parent {
	uint32_t prev;  /* M1: source index; M2: the M1 node */
	uint32_t rel;   /* catalog step prev -> node (prev's adjacency), or KGR__NONE */
	uint32_t ix;    /* user step: the interaction (user, action, source item), or KGR__NONE */
	uint32_t next;  /* next parent of the same node, or KGR__NONE */
	double score;
};

typedef struct {
	uint32_t node;
	double w;             /* recency/seed weight, normalised to max 1 */
	double recency;       /* 0..1 */
	uint32_t int_idx;     /* interaction that put it in the history, or KGR__NONE (seed) */
} kgr__source;

typedef struct {
	const kgr_graph *g;
	kgr__scratch *sc;
	kgr_id user;
	uint32_t unode;
	int64_t at;
	kgr__source *src;
	size_t n_src, cap_src;
	/* M1/M2 parent records */
	struct kgr__parent *par;
	size_t n_par, cap_par;
	void *found;          /* paths.c's working set */
	int max_hops;
	/* path counts per pattern of the last explained candidate */
	kgr_path_pattern *pat;
	size_t n_pat, cap_pat;
	int pat_oom;
} kgr__req;

/* Build the forward reach maps M1 (1 hop) and M2 (2 hops) from the sources. */
int kgr__paths_prepare(kgr__req *rq, int max_hops);
/* Evidence paths of one candidate (up to KGR_MAX_PATHS, distinct patterns first) and the
 * path features. With paths NULL only the features (cheaper: nothing is checked against the
 * store). */
typedef struct {
	size_t n_found;
	int shortest;         /* hops, 0: none */
	double recency;
	double hub_share;
	size_t n_catalog;     /* paths found whose last step is a catalog relation */
	size_t n_collab;      /* paths found through another user (history item <- user -> it) */
	/* with paths: the count of every path found per relation pattern, in the order found
	 * (borrowed from the request until its next kgr__paths_find; kgr__paths_patterns_sorted()
	 * gives them most frequent first); patterns_oom when a pattern could not be stored */
	const kgr_path_pattern *patterns;
	size_t n_patterns;
	int patterns_oom;
} kgr__path_stats;
void kgr__paths_find(kgr__req *rq, uint32_t cand, kgr_path *paths, size_t *n_paths,
	kgr__path_stats *st);
/* st's patterns most frequent first (ties by length, then relations and directions) into
 * out[0 .. st->n_patterns): an index sort, each pattern copied once. 0, or KGR_ENOMEM. */
int kgr__paths_patterns_sorted(const kgr__path_stats *st, kgr_path_pattern *out);
/* Ask for what kgr__paths_find() will read first of a candidate, so that the cache misses of
 * several candidates overlap: stage 0 its offsets, stage 1 (a few candidates later, once
 * they have come) the first entries of its catalog and interaction lists. */
void kgr__paths_prefetch(const kgr__req *rq, uint32_t cand, int stage);
void kgr__req_free(kgr__req *rq);
/* Lend the scratch's buffers to a request (and its candidate array *cand / *cand_cap), and
 * take them back at its end (whatever the request grew them to). */
void kgr__scratch_lend(kgr__scratch *sc, kgr__req *rq, void **cand, size_t *cand_cap);
void kgr__scratch_take_back(kgr__scratch *sc, kgr__req *rq, void **cand, size_t *cand_cap);
/* The verb phrase of a predicate in rationales ("bought", "is in the category"). */
const char *kgr__phrase_of(const kgr_graph *g, kgr_id p);
/* A free-text request's price bounds, taken out of its text (retrieval/constraints.c). */
typedef struct {
	char *text;           /* the query without its price phrases (owned) */
	int has_price;
	double min_price;     /* -INFINITY when open */
	double max_price;     /* INFINITY when open */
	char currency[4];     /* ISO 4217 code the query named, or "" */
} kgr__query_constraints;

int kgr__query_parse(const char *query, kgr__query_constraints *c);
void kgr__query_constraints_free(kgr__query_constraints *c);
/* The lowest price of an item (its own schema:price or its offers'), in @p currency when one
 * is given ("" for any); 0 when it has none. */
int kgr__item_price(const kgr_graph *g, kgr_id item, const char *currency, double *price);

/* The constraints of a request into r->constraints: its price bounds, and each matched node
 * that is an audience or an occasion of some item and whose label the query names in full. */
int kgr__constraints_build(const kgr_graph *g, const kgr__query_constraints *qc, const char *query,
	kgr_recs *r);
/* Whether an item meets one constraint; *priced says whether its price was known (prices). */
int kgr__constraint_admits(const kgr_graph *g, const kgr_query_constraint *c, kgr_id item, int *priced);
/* Whether an item meets every constraint of @p r. */
int kgr__constraints_admit(const kgr_graph *g, const kgr_recs *r, kgr_id item);
/* The next word of s[*pos..len) into buf (room for KGR__TOKEN_MAX + 1 bytes), lowercased,
 * as the text index cuts labels (stop words and one-letter words skipped); 0 at the end. */
#define KGR__TOKEN_MAX 63
int kgr__next_token(const char *s, size_t len, size_t *pos, char *buf);

/* The predicate part of a clause: "bought X", or by the template "added X to the cart". */
void kgr__put_predicate(kgr__buf *b, const kgr_graph *g, kgr_id p, const char *object);
/* A whole clause: "You bought X", "a customer who added it to the cart". */
void kgr__put_clause(kgr__buf *b, const kgr_graph *g, const char *subject, kgr_id p, const char *object);
/* kgr__put_clause() into a fixed buffer (cut at @p size). */
void kgr__clause_format(char *out, size_t size, const kgr_graph *g, const char *subject, kgr_id p,
	const char *object);
/* kgr_path_rationale() with another opening clause than "You bought X" (NULL: the usual). */
char *kgr__path_rationale(const kgr_graph *g, kgr_id user, const kgr_path *path, kgr_id item,
	const char *lead);

/* Evidence of several items for one user (kgr_explain() for each, without its "no path"
 * note): the history is read and the reach maps are built once for all of them. */
int kgr__explain_items(kgr_recs **out, const kgr_graph *g, kgr_id user, const kgr_id *items,
	size_t n_items, int max_hops);

/* ---- ranker ---- */
double kgr__ranker_score(const kgr_weights *w, const double *features, double *parts);

#endif
