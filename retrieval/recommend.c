/* Candidate generation, features and the ranked, explained list.
 *
 * A request: the user's recent history (and any seeds or query matches) become weighted
 * sources; each generator proposes items with a score; scores are normalised per generator
 * (max 1), a first cut keeps the n_candidates best by the generator part of the ranker, the
 * evidence paths give the path features, the graph ranker gives the final order. */
#include "retrieval/internal.h"
#include "kgrec/sequence.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_SOURCES 20
#define EXPLAIN_SOURCES 50
#define QUERY_SOURCES 5
#define PPR_ALPHA 0.15
#define PPR_TOP 300
#define GEN_TOP 300 /* candidates a generator hands on */
#define COVISIT_USERS 30
#define COVISIT_WINDOW 10
#define SEQ_LAST 3
#define SEQ_USERS 100
#define POP_PER_NODE 10
#define MAX_CANDIDATES 10000
/* Generators below this index have the feature of the same index (KGR_FEAT_PPR ..
 * KGR_FEAT_QUERY); the sequence model's share is a feature of its own (seq). */
#define FEATURE_GENS KGR_GEN_SEQUENCE

double kgr__ppr_eps = 1e-4;

static const char *const feature_names[KGR_FEAT__COUNT] = { "ppr", "covisit", "metapath",
	"sequential", "popular", "newitem", "query", "paths", "shortest", "recency", "itempop", "hub" };
static const char *const generator_names[KGR_GEN__COUNT] = { "ppr", "covisit", "metapath",
	"sequential", "popular", "newitem", "query", "sequence" };

const char *kgr_feature_name(kgr_feature f)
{
	return (unsigned)f < KGR_FEAT__COUNT ? feature_names[f] : "?";
}

const char *kgr_generator_name(kgr_generator g)
{
	return (unsigned)g < KGR_GEN__COUNT ? generator_names[g] : "?";
}

typedef struct {
	uint32_t node;
	unsigned int gens;
	double gen[KGR_GEN__COUNT];
	double feat[KGR_FEAT__COUNT];
	double parts[KGR_FEAT__COUNT];
	double seq;      /* the sequence model's feature, exp(s - s_top) */
	double pre, score;
	size_t n_found;  /* evidence paths found (unchecked) */
	size_t n_catalog, n_collab; /* ... by family */
} cand;

typedef struct {
	kgr__req rq;
	const kgr_rec_options *o;
	cand *c;
	size_t n, cap;
	kgr_recs *recs;
	unsigned int gens;
	int oom;
	kgr__query_constraints qc; /* a free-text query's price bounds and the text left */
} ctx;

static int note(kgr_recs *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(kgr_recs *r, const char *fmt, ...)
{
	char buf[512], **nn, *s;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!(nn = realloc(r->notes, (r->n_notes + 1) * sizeof(char *))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	r->notes = nn;
	if (!(s = malloc(strlen(buf) + 1)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	strcpy(s, buf);
	r->notes[r->n_notes++] = s;
	return 0;
}

void kgr_recs_free(kgr_recs *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->items[i].rationale);
		free(r->items[i].patterns);
		free(r->items[i].contribs);
	}
	free(r->items);
	for (i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->notes);
	for (i = 0; i < r->n_matches; i++)
		free(r->matches[i].word);
	free(r->matches);
	free(r->constraints);
	free(r);
}

void kgr_recs_truncate(kgr_recs *r, size_t k)
{
	size_t i;
	if (!r || r->n <= k)
		return;
	for (i = k; i < r->n; i++) {
		free(r->items[i].rationale);
		free(r->items[i].patterns);
		free(r->items[i].contribs);
		r->items[i].rationale = NULL;
		r->items[i].patterns = NULL;
		r->items[i].contribs = NULL;
	}
	r->n = k;
}

/* Whether a node may be proposed at all: an item, not a user, not excluded. */
static int proposable(const ctx *x, uint32_t node, kgr_generator gen)
{
	const kgr_graph *g = x->rq.g;
	return (x->gens & (1u << gen)) && (g->flags[node] & KGR__NODE_ITEM) &&
	       !(g->flags[node] & KGR__NODE_USER) && !kgr__map_get(&x->rq.sc->maps[KGR__MAP_EXCL], node);
}

/* Add score to a candidate from a generator; exclusions and non-items are skipped here. */
static void propose(ctx *x, uint32_t node, kgr_generator gen, double score)
{
	kgr__map *C = &x->rq.sc->maps[KGR__MAP_CAND];
	double *v;
	cand *c;
	if (score <= 0 || !proposable(x, node, gen))
		return;
	if (!(v = kgr__map_get(C, node))) {
		if (x->n == x->cap) {
			size_t cap = x->cap ? x->cap * 2 : 256;
			cand *nc = realloc(x->c, cap * sizeof(cand));
			if (!nc) {
				x->oom = 1;
				return;
			}
			x->c = nc;
			x->cap = cap;
		}
		if (!(v = kgr__map_put(C, node))) {
			x->oom = 1;
			return;
		}
		*v = (double)x->n;
		c = &x->c[x->n++];
		memset(c, 0, sizeof(*c));
		c->node = node;
	}
	c = &x->c[(size_t)*v];
	c->gen[gen] += score;
	c->gens |= 1u << gen;
}

/* log1p of small counts, computed once (popularity and path counts are mostly small). */
#define LOG1P_TABLE 4096
static double log1p_table[LOG1P_TABLE];
static pthread_once_t log1p_once = PTHREAD_ONCE_INIT;

static void log1p_table_init(void)
{
	size_t i;
	for (i = 0; i < LOG1P_TABLE; i++)
		log1p_table[i] = log1p((double)i);
}

static double log1p_count(size_t n)
{
	return n < LOG1P_TABLE ? log1p_table[n] : log1p((double)n);
}

double kgr__log1p_count(size_t n)
{
	pthread_once(&log1p_once, log1p_table_init);
	return log1p_count(n);
}

static double item_pop_feature(const kgr_graph *g, uint32_t node)
{
	return g->max_pop ? log1p_count(g->pop[node]) / log1p_count(g->max_pop) : 0.0;
}

/* Propose the `limit` entries of m with the highest positive values: a generator that
 * touches thousands of items hands on its best. */
static int propose_top(ctx *x, const kgr__map *m, kgr_generator gen, size_t limit)
{
	kgr__top t;
	size_t i;
	int error;
	if (!m->n)
		return 0;
	if ((error = kgr__top_init(&t, limit)) < 0)
		return error;
	for (i = 0; i < m->n; i++) {
		kgr__scored e = { m->vals[i], m->keys[i], (uint32_t)i };
		if (e.v <= 0 || !kgr__top_wants(&t, &e))
			continue; /* not among the best so far: no need to look further */
		/* what cannot be proposed takes no place among the best (excluded items, say) */
		if (proposable(x, e.node, gen))
			kgr__top_add(&t, e);
	}
	kgr__top_finish(&t);
	for (i = 0; i < t.n; i++)
		propose(x, t.a[i].node, gen, t.a[i].v);
	free(t.a);
	return 0;
}

static int gen_ppr(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	kgr__map P = { 0 };
	uint32_t *seeds;
	double *w;
	size_t i;
	int error;
	if (!x->rq.n_src)
		return 0;
	seeds = malloc(x->rq.n_src * sizeof(uint32_t));
	w = malloc(x->rq.n_src * sizeof(double));
	if (!seeds || !w) {
		free(seeds);
		free(w);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	for (i = 0; i < x->rq.n_src; i++) {
		seeds[i] = x->rq.src[i].node;
		w[i] = x->rq.src[i].w;
	}
	error = kgr__ppr_push(g, x->rq.sc, seeds, w, x->rq.n_src, PPR_ALPHA, kgr__ppr_eps, x->rq.at);
	free(seeds);
	free(w);
	if (error < 0)
		return error;
	/* the PPR_TOP best items (a list of the nodes reached and their estimates); sources are
	 * no candidates of their own walk */
	P.keys = x->rq.sc->maps[KGR__MAP_R].keys;
	P.vals = x->rq.sc->ppr;
	P.n = x->rq.sc->maps[KGR__MAP_R].n;
	for (i = 0; i < P.n; i++)
		if (!(g->flags[P.keys[i]] & KGR__NODE_ITEM) || kgr__map_get(&x->rq.sc->maps[KGR__MAP_SRC], P.keys[i]))
			P.vals[i] = 0;
	return propose_top(x, &P, KGR_GEN_PPR, PPR_TOP);
}

static void gen_covisit(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	kgr__map *T = &x->rq.sc->maps[KGR__MAP_TMP];
	uint32_t met[COVISIT_USERS][2]; /* a source's users taken: interaction, user */
	size_t i;
	kgr__map_reset(T);
	for (i = 0; i < x->rq.n_src; i++) {
		uint32_t s = x->rq.src[i].node, k, t, taken = 0;
		double ws;
		if (!(g->flags[s] & KGR__NODE_ITEM) || !g->pop[s])
			continue;
		ws = x->rq.src[i].w / sqrt((double)g->pop[s]);
		/* the users first, each one's history and window asked for, then their windows */
		for (k = g->iu_end[s]; k > g->iu_off[s] && taken < COVISIT_USERS; k--) {
			uint32_t ix = g->iu[k - 1], u = g->iu_user[k - 1];
			if (u == x->rq.unode || (x->rq.at && g->iu_time[k - 1] >= x->rq.at))
				continue;
			__builtin_prefetch(&g->hist_off[u]);
			__builtin_prefetch(&g->hist_len[u]);
			__builtin_prefetch(&g->int_inode[ix]);
			__builtin_prefetch(&g->int_inode[ix >= COVISIT_WINDOW ? ix - COVISIT_WINDOW : 0]);
			met[taken][0] = ix;
			met[taken][1] = u;
			taken++;
		}
		for (t = 0; t < taken; t++) {
			uint32_t ix = met[t][0], u = met[t][1], a, b, j;
			a = ix > g->hist_off[u] + COVISIT_WINDOW ? ix - COVISIT_WINDOW : g->hist_off[u];
			b = g->hist_off[u] + g->hist_len[u];
			if (b > ix + COVISIT_WINDOW + 1)
				b = ix + COVISIT_WINDOW + 1;
			for (j = a; j < b; j++) {
				uint32_t c = g->int_inode[j];
				double *v;
				if (c == s || (x->rq.at && g->ints[j].time >= x->rq.at))
					continue;
				if (!(v = kgr__map_put(T, c))) {
					x->oom = 1;
					return;
				}
				*v += ws;
			}
		}
	}
	for (i = 0; i < T->n; i++) {
		uint32_t c = T->keys[i];
		T->vals[i] /= sqrt((double)(g->pop[c] ? g->pop[c] : 1));
	}
	if (propose_top(x, T, KGR_GEN_COVISIT, GEN_TOP) < 0)
		x->oom = 1;
	kgr__map_reset(T);
}

static void gen_sequential(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	size_t i, used = 0;
	double decay = 1.0;
	for (i = 0; i < x->rq.n_src && used < SEQ_LAST; i++) {
		uint32_t s = x->rq.src[i].node, k, taken = 0;
		if (x->rq.src[i].int_idx == KGR__NONE || !g->pop[s])
			continue;
		used++;
		for (k = g->iu_end[s]; k > g->iu_off[s] && taken < SEQ_USERS; k--) {
			uint32_t ix = g->iu[k - 1], u = g->iu_user[k - 1], j, end;
			if (u == x->rq.unode || (x->rq.at && g->iu_time[k - 1] >= x->rq.at))
				continue;
			taken++;
			end = g->hist_off[u] + g->hist_len[u];
			for (j = ix + 1; j < end; j++) {
				uint32_t c = g->int_inode[j];
				if (x->rq.at && g->ints[j].time >= x->rq.at)
					break;
				if (c == s)
					continue;
				propose(x, c, KGR_GEN_SEQUENTIAL, decay / (double)g->pop[s]);
				break;
			}
		}
		decay *= 0.5;
	}
}

/* Items one catalog hop from a source (accessory, complement...) and items sharing a node
 * with a source (brand, category...): read from the reach maps of the path search. Items
 * without interactions found this way are the new-item generator's; the most popular items
 * next to each shared node are per-category popularity. */
static void gen_catalog(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	const kgr__map *M1 = &x->rq.sc->maps[KGR__MAP_M1], *M2 = &x->rq.sc->maps[KGR__MAP_M2];
	kgr__map *T = &x->rq.sc->maps[KGR__MAP_TMP];
	const struct kgr__parent *par = x->rq.par;
	size_t i;
	int pass;
	/* pass 0: items with interactions (metapath); 1: without (new items); 2: popularity */
	for (pass = 0; pass < 3; pass++) {
		kgr__map_reset(T);
		for (i = 0; i < M1->n; i++) {
			uint32_t node = M1->keys[i], k;
			double s = 0, *v;
			for (k = (uint32_t)M1->vals[i]; k != KGR__NONE; k = par[k].next)
				if (par[k].rel != KGR__NONE)
					s += par[k].score;
			if (s <= 0)
				continue;
			if (g->flags[node] & KGR__NODE_ITEM) {
				if (pass == 2 || (pass == 0) != (g->pop[node] > 0))
					continue;
				if (!(v = kgr__map_put(T, node)))
					goto oom;
				*v += s;
			} else if (pass == 2 && !(g->flags[node] & (KGR__NODE_USER | KGR__NODE_HUB)) &&
				node < g->n_cat_nodes) {
				uint32_t taken = 0;
				/* adjacency is sorted by popularity: the first items are the most popular */
				for (k = g->cat_off[node]; k < g->cat_off[node + 1] && taken < POP_PER_NODE; k++) {
					uint32_t y = g->cat[k].nbr;
					if (!(g->flags[y] & KGR__NODE_ITEM) || !g->pop[y])
						break;
					if (!(v = kgr__map_put(T, y)))
						goto oom;
					*v += s * item_pop_feature(g, y);
					taken++;
				}
			}
		}
		for (i = 0; pass < 2 && i < M2->n; i++) {
			uint32_t node = M2->keys[i], k;
			double s = 0, *v;
			if (!(g->flags[node] & KGR__NODE_ITEM) || (pass == 0) != (g->pop[node] > 0))
				continue;
			for (k = (uint32_t)M2->vals[i]; k != KGR__NONE; k = par[k].next)
				s += par[k].score;
			if (!(v = kgr__map_put(T, node)))
				goto oom;
			*v += s;
		}
		if (propose_top(x, T, pass == 0 ? KGR_GEN_METAPATH : pass == 1 ? KGR_GEN_NEWITEM : KGR_GEN_POPULAR,
			    GEN_TOP) < 0)
			goto oom;
	}
	kgr__map_reset(T);
	return;
oom:
	kgr__map_reset(T);
	x->oom = 1;
}

/* The sequence model's n_sequence best items after the user's newest events (the model reads
 * at most max_len of them), each proposed with exp(s - s_top): its probability under the
 * model relative to the model's first item. The graph's history is read, so live events
 * count. Complexity: one forward pass over the history and a heap over every item. */
static int gen_sequence(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	const kgr_seq_model *m = x->o->sequence;
	kgr_seq_info info;
	kgr_id *hist = NULL, *items = NULL;
	float *scores = NULL;
	size_t n_top = 0, nh = 0, i;
	uint32_t u = x->rq.unode, a, b, k;
	int error = 0;

	if (u == KGR__NONE || !(g->flags[u] & KGR__NODE_USER))
		return 0;
	a = g->hist_off[u];
	b = a + g->hist_len[u];
	while (b > a && x->rq.at && g->ints[b - 1].time >= x->rq.at)
		b--;
	if (b == a)
		return 0;
	kgr_seq_info_get(&info, m);
	if (b - a > (uint32_t)info.max_len)
		a = b - (uint32_t)info.max_len;
	hist = malloc((b - a) * sizeof(*hist));
	items = malloc(x->o->n_sequence * sizeof(*items));
	scores = malloc(x->o->n_sequence * sizeof(*scores));
	if (!hist || !items || !scores) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (k = a; k < b; k++)
		hist[nh++] = g->node_id[g->int_inode[k]];
	if ((error = kgr_seq_recommend(items, scores, &n_top, m, hist, nh, x->o->n_sequence)) < 0)
		goto cleanup;
	for (i = 0; i < n_top; i++) {
		uint32_t node = kgr__node_of(g, items[i]);
		if (node != KGR__NONE)
			propose(x, node, KGR_GEN_SEQUENCE, exp((double)scores[i] - (double)scores[0]));
	}
	x->recs->sequence = 1;
cleanup:
	free(hist);
	free(items);
	free(scores);
	return error;
}

static void gen_popular_global(ctx *x, size_t n)
{
	const kgr_graph *g = x->rq.g;
	size_t i;
	for (i = 0; i < g->n_popular && i < n; i++)
		propose(x, g->popular[i], KGR_GEN_POPULAR, item_pop_feature(x->rq.g, g->popular[i]));
}

static int cmp_src(const void *a, const void *b)
{
	const kgr__source *x = a, *y = b;
	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	return x->node < y->node ? -1 : (x->node > y->node);
}

static int add_source(ctx *x, uint32_t node, double w, double recency, uint32_t ix, size_t *cap)
{
	kgr__map *S = &x->rq.sc->maps[KGR__MAP_SRC];
	double *v = kgr__map_get(S, node);
	if (v) {
		kgr__source *s = &x->rq.src[(size_t)*v];
		if (w > s->w) {
			s->w = w;
			s->recency = recency;
			s->int_idx = ix;
		}
		return 0;
	}
	if (x->rq.n_src == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		kgr__source *ns = realloc(x->rq.src, nc * sizeof(*ns));
		if (!ns)
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		x->rq.src = ns;
		*cap = nc;
	}
	if (!(v = kgr__map_put(S, node)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	*v = (double)x->rq.n_src;
	x->rq.src[x->rq.n_src].node = node;
	x->rq.src[x->rq.n_src].w = w;
	x->rq.src[x->rq.n_src].recency = recency;
	x->rq.src[x->rq.n_src].int_idx = ix;
	x->rq.n_src++;
	return 0;
}

/* A seed (the item of similar(), an item asked for): a full-weight source, never returned. */
static int add_seed(ctx *x, uint32_t node, size_t *cap)
{
	int error;
	if ((error = add_source(x, node, 1.0, 1.0, KGR__NONE, cap)) < 0)
		return error;
	if (!kgr__map_put(&x->rq.sc->maps[KGR__MAP_EXCL], node))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* The user's history before `at`, newest first, as sources weighted by action and recency.
 * Also marks every seen item in the exclusion map when asked to. Returns the number of
 * usable history events. */
static int history_sources(ctx *x, size_t max_sources, int exclude_seen, size_t *cap)
{
	const kgr_graph *g = x->rq.g;
	uint32_t u = x->rq.unode, a, b, k;
	int64_t ref = 0;
	size_t used = 0;
	int error;
	if (u == KGR__NONE || !(g->flags[u] & KGR__NODE_USER))
		return 0;
	a = g->hist_off[u];
	b = a + g->hist_len[u];
	while (b > a && x->rq.at && g->ints[b - 1].time >= x->rq.at)
		b--;
	if (b == a)
		return 0;
	ref = x->rq.at ? x->rq.at : g->ints[b - 1].time;
	for (k = b; k > a; k--) {
		uint32_t ix = k - 1, it = g->int_inode[ix];
		double age = (double)(ref - g->ints[ix].time), rec;
		if (age < 0)
			age = 0;
		rec = exp2(-age / g->half_life);
		if (exclude_seen) {
			double *v = kgr__map_put(&x->rq.sc->maps[KGR__MAP_EXCL], it);
			if (!v)
				return kgr__error_set(KGR_ENOMEM, "out of memory");
		}
		if (used < max_sources || kgr__map_get(&x->rq.sc->maps[KGR__MAP_SRC], it)) {
			size_t before = x->rq.n_src;
			if ((error = add_source(x, it, g->int_w[ix] * rec, rec, ix, cap)) < 0)
				return error;
			if (x->rq.n_src > before)
				used++;
		}
	}
	return (int)(b - a);
}

/* Strongest sources first; weights relative to the strongest; the source map points at the
 * new order. */
static void rank_sources(kgr__req *rq)
{
	kgr__map *S = &rq->sc->maps[KGR__MAP_SRC];
	size_t i;
	double top;
	if (!rq->n_src)
		return;
	qsort(rq->src, rq->n_src, sizeof(kgr__source), cmp_src);
	top = rq->src[0].w;
	for (i = 0; i < rq->n_src; i++) {
		rq->src[i].w = top > 0 ? rq->src[i].w / top : 1.0;
		*kgr__map_get(S, rq->src[i].node) = (double)i;
	}
}

/* The features read from a candidate's evidence paths. */
static void path_features(double *feat, const kgr__path_stats *st)
{
	feat[KGR_FEAT_PATHS] = log1p_count(st->n_found);
	feat[KGR_FEAT_SHORTEST] = st->shortest ? 1.0 / st->shortest : 0.0;
	feat[KGR_FEAT_RECENCY] = st->recency;
	feat[KGR_FEAT_HUB] = st->hub_share;
}

/* The item's own copy of the path counts per pattern of its explained search. */
static int take_patterns(kgr_rec_item *it, const kgr__path_stats *st)
{
	if (st->patterns_oom)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (!st->n_patterns)
		return 0;
	if (!(it->patterns = malloc(st->n_patterns * sizeof(*it->patterns))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (kgr__paths_patterns_sorted(st, it->patterns) < 0) {
		free(it->patterns);
		it->patterns = NULL;
		return KGR_ENOMEM;
	}
	it->n_patterns = st->n_patterns;
	return 0;
}

/* Puts x->c in the order of the entries e[0 .. n) (indices into x->c) sorted best first:
 * the 16-byte entries are sorted and each candidate record (a few hundred bytes) is moved
 * once, into x->c[0 .. n). */
static int order_cands(ctx *x, kgr__scored *e, size_t n)
{
	cand *sorted = malloc((n ? n : 1) * sizeof(cand));
	size_t i;
	if (!sorted)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	qsort(e, n, sizeof(*e), kgr__scored_best_first);
	for (i = 0; i < n; i++)
		sorted[i] = x->c[e[i].at];
	memcpy(x->c, sorted, n * sizeof(cand));
	free(sorted);
	return 0;
}

static const char *generator_rationale(unsigned int gens)
{
	if (gens & (1u << KGR_GEN_QUERY))
		return "Matches what you asked for";
	if (gens & (1u << KGR_GEN_SEQUENTIAL))
		return "Often chosen right after items in your history";
	if (gens & (1u << KGR_GEN_COVISIT))
		return "Often chosen together with items in your history";
	if (gens & (1u << KGR_GEN_PPR))
		return "Close to your history in the product graph";
	if (gens & (1u << KGR_GEN_SEQUENCE))
		return "What shoppers with histories like yours took next";
	if (gens & (1u << KGR_GEN_NEWITEM))
		return "New in the catalog, next to items you know";
	if (gens & (1u << KGR_GEN_POPULAR))
		return "Popular with other customers";
	return "Related to your history";
}

/* Move the n best candidates by the first-cut score to the front, in order: the n best
 * (score, node, index) entries selected (kgr__top), sorted, and only the n kept records moved. */
static int select_top(ctx *x, size_t n)
{
	kgr__top t;
	size_t i;
	int error;
	if (n == 0 || x->n == 0)
		return 0;
	if ((error = kgr__top_init(&t, n)) < 0)
		return error;
	for (i = 0; i < x->n; i++) {
		kgr__scored e = { x->c[i].pre, x->c[i].node, (uint32_t)i };
		if (kgr__top_wants(&t, &e))
			kgr__top_add(&t, e);
	}
	kgr__top_finish(&t);
	error = order_cands(x, t.a, t.n);
	free(t.a);
	return error;
}

/* A request's context for the list r: the user's node and the calling thread's scratch maps. */
static int req_begin(ctx *x, const kgr_graph *g, kgr_id user, kgr_recs *r)
{
	pthread_once(&log1p_once, log1p_table_init);
	x->recs = r;
	x->rq.g = g;
	x->rq.user = user;
	x->rq.unode = user ? kgr__node_of(g, user) : KGR__NONE;
	if (!(x->rq.sc = kgr__scratch_get(g->n_nodes)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	kgr__scratch_reset(x->rq.sc);
	kgr__scratch_lend(x->rq.sc, &x->rq, (void **)&x->c, &x->cap);
	return 0;
}

static void req_end(ctx *x)
{
	if (x->rq.sc) {
		kgr__scratch_reset(x->rq.sc);
		kgr__scratch_take_back(x->rq.sc, &x->rq, (void **)&x->c, &x->cap);
	}
	kgr__req_free(&x->rq);
	kgr__query_constraints_free(&x->qc);
	free(x->c);
}

typedef enum { MODE_RECOMMEND, MODE_SIMILAR } run_mode;

static int check_options(const kgr_rec_options *o)
{
	KGR__CHECK_VERSION(o, KGR_REC_OPTIONS_VERSION, "recommend");
	if (o->k < 1 || o->k > KGR_MAX_K)
		return kgr__error_set(KGR_EINVALID, "k must be between 1 and %d (got %zu)", KGR_MAX_K, o->k);
	if (o->sequence && (o->n_sequence < 1 || o->n_sequence > KGR_MAX_K))
		return kgr__error_set(KGR_EINVALID, "n_sequence must be between 1 and %d (got %zu)",
			KGR_MAX_K, o->n_sequence);
	if (o->sequence && !isfinite(o->w_sequence))
		return kgr__error_set(KGR_EINVALID, "w_sequence must be a finite number");
	return 0;
}

static const char *id_name(const kgr_store *st, kgr_id id)
{
	const char *v = id ? kgr_term_value(st, id, NULL) : NULL;
	return v ? v : "(none)";
}

/* Items asked to be left out; an id the graph does not know has nothing to exclude. */
static int add_exclusions(ctx *x)
{
	const kgr_rec_options *o = x->o;
	size_t i;
	for (i = 0; i < o->n_exclude; i++) {
		uint32_t n = kgr__node_of(x->rq.g, o->exclude[i]);
		if (n != KGR__NONE && !kgr__map_put(&x->rq.sc->maps[KGR__MAP_EXCL], n))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	return 0;
}

/* The query's best matches in the catalog: kept in the list (the rationale cites the word
 * matched), proposed by the query generator and made sources, each relative to the best
 * match, so that the walks start from what was asked for as well. */
static int query_sources(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	kgr_recs *r = x->recs;
	kgr__text_hit *hits = NULL;
	size_t n_hits = 0, i;
	int error;
	if ((error = kgr__query_parse(x->o->query, &x->qc)) < 0 ||
		(error = kgr__text_query(g, x->qc.text, &hits, &n_hits, QUERY_SOURCES)) < 0)
		return error;
	if (n_hits && !(r->matches = calloc(n_hits, sizeof(*r->matches)))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n_hits; i++) {
		double s = hits[i].score / hits[0].score;
		if (!(r->matches[i].word = malloc(strlen(hits[i].word) + 1))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		strcpy(r->matches[i].word, hits[i].word);
		r->matches[i].node = g->node_id[hits[i].node];
		r->matches[i].score = hits[i].score;
		r->n_matches++;
		propose(x, hits[i].node, KGR_GEN_QUERY, s);
		if ((error = add_source(x, hits[i].node, s, 1.0, KGR__NONE, &x->rq.cap_src)) < 0)
			goto cleanup;
	}
	if (n_hits == 0 && (error = note(r, "no word of the query \"%s\" matches the catalog", x->o->query)) < 0)
		goto cleanup;
	error = kgr__constraints_build(g, &x->qc, x->qc.text, r);
cleanup:
	free(hits);
	return error;
}

/* Where the walks start: the user's history (or the item of similar()), the seeds and the
 * query's matches, strongest first. *n_hist gets the usable history events, which decide a
 * cold start. */
static int request_sources(ctx *x, run_mode mode, kgr_id item, size_t *n_hist)
{
	const kgr_graph *g = x->rq.g;
	const kgr_rec_options *o = x->o;
	size_t i;
	int error;
	if (mode == MODE_SIMILAR) {
		if ((error = add_seed(x, kgr__node_of(g, item), &x->rq.cap_src)) < 0)
			return error;
	} else {
		int h = history_sources(x, HISTORY_SOURCES, o->exclude_seen, &x->rq.cap_src);
		if (h < 0)
			return h;
		*n_hist = (size_t)h;
	}
	for (i = 0; i < o->n_seeds; i++)
		if ((error = add_seed(x, kgr__node_of(g, o->seeds[i]), &x->rq.cap_src)) < 0)
			return error;
	if (o->query && *o->query && (error = query_sources(x)) < 0)
		return error;
	rank_sources(&x->rq);
	return 0;
}

/* A list without history says so, so that a caller can tell generic recommendations from
 * personal ones. */
static int note_cold_start(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	kgr_id user = x->rq.user;
	int error = 0;
	x->recs->cold_start = 1;
	if (user && (error = note(x->recs, "user %s has no history%s: cold-start recommendations",
			     id_name(g->store, user), x->o->at ? " before the given time" : "")) < 0)
		return error;
	if (!user && !x->rq.n_src)
		error = note(x->recs, "no user, seed or query: cold-start recommendations");
	return error;
}

/* The reach maps are built before the generators: the catalog generator reads them, and the
 * path search of every candidate reuses them. Global popularity only fills in when nothing
 * starts a walk. */
static int run_generators(ctx *x, run_mode mode, size_t n_hist)
{
	const kgr_rec_options *o = x->o;
	int error;
	if ((error = kgr__paths_prepare(&x->rq, 3)) < 0)
		return error;
	if (x->gens & (1u << KGR_GEN_PPR) && (error = gen_ppr(x)) < 0)
		return error;
	gen_covisit(x);
	gen_sequential(x);
	gen_catalog(x);
	if (mode == MODE_RECOMMEND && o->sequence && n_hist && (x->gens & (1u << KGR_GEN_SEQUENCE)) &&
		(error = gen_sequence(x)) < 0)
		return error;
	if (x->rq.n_src == 0)
		gen_popular_global(x, o->n_candidates > o->k ? o->n_candidates : o->k);
	if (x->oom)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* The first cut's score of every candidate: generator scores relative to each generator's
 * best (so no generator's scale dominates), with item popularity and the sequence model,
 * weighted as in the final score. It needs no path search, which is what makes it cheap
 * enough for every candidate. */
static void first_cut_scores(ctx *x, const kgr_weights *w)
{
	const kgr_graph *g = x->rq.g;
	const kgr_rec_options *o = x->o;
	const kgr_recs *r = x->recs;
	double mx[KGR_GEN__COUNT] = { 0 };
	size_t i, gi;
	for (i = 0; i < x->n; i++)
		for (gi = 0; gi < FEATURE_GENS; gi++)
			if (x->c[i].gen[gi] > mx[gi])
				mx[gi] = x->c[i].gen[gi];
	for (i = 0; i < x->n; i++) {
		cand *c = &x->c[i];
		for (gi = 0; gi < FEATURE_GENS; gi++)
			c->feat[gi] = mx[gi] > 0 ? c->gen[gi] / mx[gi] : 0;
		c->feat[KGR_FEAT_ITEMPOP] = item_pop_feature(g, c->node);
		/* already relative to the model's top item: not normalised again */
		c->seq = c->gen[KGR_GEN_SEQUENCE];
		c->pre = 0;
		for (gi = 0; gi < FEATURE_GENS; gi++)
			c->pre += w->w[gi] * c->feat[gi];
		c->pre += w->w[KGR_FEAT_ITEMPOP] * c->feat[KGR_FEAT_ITEMPOP];
		if (r->sequence)
			c->pre += o->w_sequence * c->seq;
	}
}

/* x->c[0 .. m) best first by score, then node. */
static int sort_by_score(ctx *x, size_t m)
{
	kgr__scored *e = malloc(m * sizeof(*e));
	size_t i;
	int error;
	if (!e)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < m; i++) {
		e[i].v = x->c[i].score;
		e[i].node = x->c[i].node;
		e[i].at = (uint32_t)i;
	}
	error = order_cands(x, e, m);
	free(e);
	return error;
}

/* Candidates whose offsets are asked for ahead of their path search, and half as many whose
 * lists are (kgr__paths_prefetch()). */
#define PATHS_AHEAD 4

/* The graph ranker's order of the n_cand kept by the first cut: their path features (the
 * best path only, unchecked) and final scores. Returns how many are left. */
static size_t rank_candidates(ctx *x, const kgr_weights *w, size_t n_cand)
{
	const kgr_rec_options *o = x->o;
	const kgr_recs *r = x->recs;
	size_t i, m = 0;
	for (i = 0; i < n_cand && i < PATHS_AHEAD; i++)
		kgr__paths_prefetch(&x->rq, x->c[i].node, 0);
	for (i = 0; i < n_cand; i++) {
		cand *c = &x->c[i];
		kgr__path_stats st;
		if (i + PATHS_AHEAD < n_cand)
			kgr__paths_prefetch(&x->rq, x->c[i + PATHS_AHEAD].node, 0);
		if (i + PATHS_AHEAD / 2 < n_cand)
			kgr__paths_prefetch(&x->rq, x->c[i + PATHS_AHEAD / 2].node, 1);
		kgr__paths_find(&x->rq, c->node, NULL, NULL, &st);
		c->n_found = st.n_found;
		c->n_catalog = st.n_catalog;
		c->n_collab = st.n_collab;
		path_features(c->feat, &st);
		c->score = kgr__ranker_score(w, c->feat, c->parts);
		if (r->sequence)
			c->score += o->w_sequence * c->seq;
	}
	/* a far PageRank hit with no path within 3 hops explains nothing: never pad with it */
	for (i = 0; i < n_cand; i++)
		if (x->c[i].n_found || (!o->require_path && x->c[i].gens != (1u << KGR_GEN_PPR)))
			x->c[m++] = x->c[i];
	if (m > 1 && sort_by_score(x, m) < 0)
		x->oom = 1; /* run() reports it */
	return m;
}

/* What a constraint says, for the notes: "price at most 100 EUR", "for the audience Kids". */
static void constraint_name(const kgr_graph *g, const kgr_query_constraint *c, char *out, size_t size)
{
	if (c->node)
		snprintf(out, size, "for the %s %s", c->kind, kgr_store_label(g->store, c->node));
	else
		snprintf(out, size, "price %s %g%s%s", !strcmp(c->kind, "max_price") ? "at most" : "at least",
			c->value, c->currency[0] ? " " : "", c->currency);
}

/* Leaves out the candidates that miss a constraint of the query, and says what each left out.
 * A price bound no candidate has a price for is dropped with a note (nothing could be checked
 * against it); an item without a price otherwise misses the bound. */
static int apply_constraints(ctx *x)
{
	const kgr_graph *g = x->rq.g;
	kgr_recs *r = x->recs;
	const kgr_query_constraint *price = NULL;
	size_t i, k, m = 0;
	char name[160];
	int error = 0, known = 0;
	for (k = 0; k < r->n_constraints && !price; k++)
		if (!r->constraints[k].node)
			price = &r->constraints[k];
	for (i = 0; price && i < x->n && !known; i++)
		kgr__constraint_admits(g, price, g->node_id[x->c[i].node], &known);
	for (k = 0; price && !known && k < r->n_constraints; k++) {
		if (r->constraints[k].node) {
			r->constraints[m++] = r->constraints[k];
			continue;
		}
		constraint_name(g, &r->constraints[k], name, sizeof(name));
		if ((error = note(r, "%s not applied: no candidate has a price", name)) < 0)
			return error;
	}
	if (price && !known)
		r->n_constraints = m;
	m = 0;
	for (i = 0; i < x->n; i++) {
		int ok = 1;
		for (k = 0; k < r->n_constraints; k++)
			if (!kgr__constraint_admits(g, &r->constraints[k], g->node_id[x->c[i].node], &known)) {
				r->constraints[k].removed++;
				r->constraints[k].unpriced += !r->constraints[k].node && !known;
				ok = 0;
			}
		if (ok)
			x->c[m++] = x->c[i];
	}
	x->n = m;
	for (k = 0; k < r->n_constraints && !error; k++) {
		const kgr_query_constraint *c = &r->constraints[k];
		constraint_name(g, c, name, sizeof(name));
		if (c->unpriced)
			error = note(r, "%s: %zu candidates left out (%zu without a price)", name, c->removed, c->unpriced);
		else
			error = note(r, "%s: %zu candidates left out", name, c->removed);
	}
	return error;
}

/* An item shown, from its candidate: score, features and their parts, path counts. */
static void fill_item(const ctx *x, kgr_rec_item *it, const cand *c)
{
	it->item = x->rq.g->node_id[c->node];
	it->score = c->score;
	memcpy(it->features, c->feat, sizeof(it->features));
	memcpy(it->parts, c->parts, sizeof(it->parts));
	it->generators = c->gens;
	if (x->recs->sequence) {
		it->seq_feature = c->seq;
		it->seq_part = x->o->w_sequence * c->seq;
	}
	it->n_catalog_paths = c->n_catalog;
	it->n_collab_paths = c->n_collab;
}

/* The opening of a rationale when the best path's start is not best told as the user's own
 * event: the item of similar(), a query match, or a history item whose event is not a
 * triple of the store. NULL: the usual opening (the event cited). */
static const char *rationale_lead(const ctx *x, const kgr_rec_item *it, run_mode mode, char *lead,
	size_t size)
{
	const kgr_graph *g = x->rq.g;
	const kgr_recs *r = x->recs;
	kgr_id user = x->rq.user, from = it->paths[0].from;
	const char *ld = NULL;
	size_t q;
	if (mode == MODE_SIMILAR) {
		snprintf(lead, size, "Like %s", kgr_store_label(g->store, from));
		ld = lead;
	}
	for (q = 0; q < r->n_matches && !ld; q++)
		if (r->matches[q].node == from) {
			snprintf(lead, size, "You searched for \"%s\" (%s)", r->matches[q].word,
				kgr_store_label(g->store, from));
			ld = lead;
		}
	if (!ld && !(it->paths[0].n_edges && it->paths[0].edges[0].s == user && user)) {
		/* a history item whose event is not a triple of the store yet (a live
		 * event) is not cited as evidence, but it is still the user's own */
		uint32_t fn = kgr__node_of(g, from), ix = KGR__NONE;
		double *sv = fn != KGR__NONE ? kgr__map_get(&x->rq.sc->maps[KGR__MAP_SRC], fn) : NULL;
		if (sv && user)
			ix = x->rq.src[(size_t)*sv].int_idx;
		if (ix != KGR__NONE)
			kgr__clause_format(lead, size, g, "You",
				g->ints[ix].action ? g->ints[ix].action : g->id_interact, kgr_store_label(g->store, from));
		else
			snprintf(lead, size, "You asked for items like %s", kgr_store_label(g->store, from));
		ld = lead;
	}
	return ld;
}

/* The evidence of an item shown with explain: its checked paths, their patterns and a
 * rationale; without a path, the reason its generators give. */
static int explain_item(ctx *x, kgr_rec_item *it, const cand *c, run_mode mode)
{
	const kgr_graph *g = x->rq.g;
	const char *gr;
	kgr__path_stats st;
	char lead[512];
	int error;
	kgr__paths_find(&x->rq, c->node, it->paths, &it->n_paths, &st);
	if ((error = take_patterns(it, &st)) < 0)
		return error;
	if (it->n_paths)
		it->rationale = kgr__path_rationale(g, x->rq.user, &it->paths[0], it->item,
			rationale_lead(x, it, mode, lead, sizeof(lead)));
	else if ((gr = generator_rationale(c->gens)) && (it->rationale = malloc(strlen(gr) + 1)))
		strcpy(it->rationale, gr);
	if (!it->rationale)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* A list shorter than k, or a candidate count raised to k, says why. */
static int shortfall_notes(ctx *x)
{
	kgr_recs *r = x->recs;
	const kgr_rec_options *o = x->o;
	size_t n_excluded = x->rq.sc->maps[KGR__MAP_EXCL].n;
	int error = 0;
	if (r->n < o->k) {
		if (n_excluded)
			error = note(r, "only %zu of %zu items could be recommended: %zu excluded (seen or asked "
					"to exclude), nothing else connected closely enough",
				r->n, o->k, n_excluded);
		else
			error = note(r, "only %zu of %zu items could be recommended: nothing else connected "
					"closely enough",
				r->n, o->k);
		if (error < 0)
			return error;
	}
	if (o->n_candidates < o->k)
		error = note(r, "candidates raised from %zu to k = %zu", o->n_candidates, o->k);
	return error;
}

static int run(kgr_recs **out, const kgr_graph *g, kgr_id user, kgr_id item,
	const kgr_rec_options *o, run_mode mode)
{
	ctx x;
	kgr_recs *r = NULL;
	size_t i, n_cand, n_hist = 0;
	kgr_weights defw;
	const kgr_weights *w = o->weights;
	int error = 0;

	*out = NULL;
	kgr_init();
	memset(&x, 0, sizeof(x));
	if ((error = check_options(o)) < 0)
		return error;
	for (i = 0; i < o->n_seeds; i++) {
		uint32_t n = kgr__node_of(g, o->seeds[i]);
		if (n == KGR__NONE || !(g->flags[n] & KGR__NODE_ITEM))
			return kgr__error_set(KGR_ENOTFOUND, "seed %s: not an item of the store",
				id_name(g->store, o->seeds[i]));
	}
	if (!w) {
		kgr_weights_default(&defw);
		w = &defw;
	}
	if (!(r = calloc(1, sizeof(*r))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	r->user = user;
	x.o = o;
	x.gens = o->generators ? o->generators : (1u << KGR_GEN__COUNT) - 1;
	x.rq.at = o->at;
	if ((error = req_begin(&x, g, user, r)) < 0)
		goto cleanup;
	if ((error = add_exclusions(&x)) < 0)
		goto cleanup;
	if ((error = request_sources(&x, mode, item, &n_hist)) < 0)
		goto cleanup;
	if (mode == MODE_RECOMMEND && n_hist == 0 && (error = note_cold_start(&x)) < 0)
		goto cleanup;
	if ((error = run_generators(&x, mode, n_hist)) < 0)
		goto cleanup;
	if (r->n_constraints && (error = apply_constraints(&x)) < 0)
		goto cleanup;
	first_cut_scores(&x, w);
	n_cand = o->n_candidates < o->k ? o->k : o->n_candidates;
	if (n_cand > MAX_CANDIDATES)
		n_cand = MAX_CANDIDATES;
	if (n_cand > x.n)
		n_cand = x.n;
	if ((error = select_top(&x, n_cand)) < 0)
		goto cleanup;
	r->n_candidates = n_cand;
	n_cand = rank_candidates(&x, w, n_cand);
	if (x.oom) {
		error = KGR_ENOMEM; /* the message is set */
		goto cleanup;
	}
	r->n = n_cand < o->k ? n_cand : o->k;
	if (r->n && !(r->items = calloc(r->n, sizeof(kgr_rec_item)))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < r->n; i++) {
		fill_item(&x, &r->items[i], &x.c[i]);
		if (o->explain && (error = explain_item(&x, &r->items[i], &x.c[i], mode)) < 0)
			goto cleanup;
	}
	if ((error = shortfall_notes(&x)) < 0)
		goto cleanup;
	*out = r;
	r = NULL;
cleanup:
	req_end(&x);
	kgr_recs_free(r);
	return error;
}

int kgr_recommend(kgr_recs **out, const kgr_graph *g, kgr_id user, const kgr_rec_options *opts)
{
	kgr_rec_options defaults = KGR_REC_OPTIONS_INIT;
	return run(out, g, user, 0, opts ? opts : &defaults, MODE_RECOMMEND);
}

int kgr_similar(kgr_recs **out, const kgr_graph *g, kgr_id item, const kgr_rec_options *opts)
{
	kgr_rec_options defaults = KGR_REC_OPTIONS_INIT;
	uint32_t n = kgr__node_of(g, item);
	*out = NULL;
	if (n == KGR__NONE || !(g->flags[n] & KGR__NODE_ITEM))
		return kgr__error_set(KGR_ENOTFOUND, "item %s: not an item of the store",
			id_name(g->store, item));
	return run(out, g, 0, item, opts ? opts : &defaults, MODE_SIMILAR);
}

int kgr__explain_items(kgr_recs **out, const kgr_graph *g, kgr_id user, const kgr_id *items,
	size_t n_items, int max_hops)
{
	ctx x;
	kgr_recs *r = NULL;
	kgr_weights w;
	size_t i;
	int error = 0, h;

	*out = NULL;
	kgr_init();
	for (i = 0; i < n_items; i++) {
		uint32_t n = kgr__node_of(g, items[i]);
		if (n == KGR__NONE || !(g->flags[n] & KGR__NODE_ITEM))
			return kgr__error_set(KGR_ENOTFOUND, "item %s: not an item of the store",
				id_name(g->store, items[i]));
	}
	if (max_hops < 1 || max_hops > 3)
		return kgr__error_set(KGR_EINVALID, "max_hops must be between 1 and 3 (got %d)", max_hops);
	memset(&x, 0, sizeof(x));
	if (!(r = calloc(1, sizeof(*r))) || !(r->items = calloc(n_items + 1, sizeof(kgr_rec_item)))) {
		free(r);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	r->user = user;
	r->n = n_items;
	if ((error = req_begin(&x, g, user, r)) < 0)
		goto cleanup;
	if ((h = history_sources(&x, EXPLAIN_SOURCES, 0, &x.rq.cap_src)) < 0) {
		error = h;
		goto cleanup;
	}
	if (h == 0) {
		r->cold_start = 1;
		if ((error = note(r, "user %s has no history: nothing to explain from", id_name(g->store, user))) < 0)
			goto cleanup;
	}
	rank_sources(&x.rq);
	/* the history and the reach maps are the same for every item: built once */
	if ((error = kgr__paths_prepare(&x.rq, max_hops)) < 0)
		goto cleanup;
	kgr_weights_default(&w);
	for (i = 0; i < n_items; i++) {
		kgr_rec_item *it = &r->items[i];
		uint32_t n = kgr__node_of(g, items[i]);
		kgr__path_stats st;
		it->item = items[i];
		kgr__paths_find(&x.rq, n, it->paths, &it->n_paths, &st);
		it->n_catalog_paths = st.n_catalog;
		it->n_collab_paths = st.n_collab;
		if ((error = take_patterns(it, &st)) < 0)
			goto cleanup;
		path_features(it->features, &st);
		it->features[KGR_FEAT_ITEMPOP] = item_pop_feature(g, n);
		it->score = kgr__ranker_score(&w, it->features, it->parts);
		if (it->n_paths && !(it->rationale = kgr_path_rationale(g, user, &it->paths[0], items[i]))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	*out = r;
	r = NULL;
cleanup:
	req_end(&x);
	kgr_recs_free(r);
	return error;
}

int kgr_explain(kgr_recs **out, const kgr_graph *g, kgr_id user, kgr_id item, int max_hops)
{
	int error = kgr__explain_items(out, g, user, &item, 1, max_hops);
	if (error < 0 || (*out)->items[0].n_paths || (*out)->cold_start)
		return error;
	if ((error = note(*out, "no path within %d hops from the history of %s to %s", max_hops,
		     id_name(g->store, user), id_name(g->store, item))) < 0) {
		kgr_recs_free(*out);
		*out = NULL;
	}
	return error;
}
