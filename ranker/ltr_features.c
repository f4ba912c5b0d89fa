/* The learned ranker's candidates and features: the graph's candidate list (its generators'
 * scores, path features and formula), an item-kNN over the graph view's interactions, and
 * item and user statistics read from the same view.
 *
 * The item-kNN is the harness's baseline computed per request: sim(h, x) = c(h, x) /
 * sqrt(n(h) n(x)), c the users who took both (each user counted once), n the item's
 * interactions; a user's score for x sums sim(h, x) over the history events h, the event j
 * steps before the last weighted decay^j. Bounded per request: the 50 newest history events,
 * the 500 newest users of each history item, the 200 newest items of each such user. The
 * items reached are not sorted: the best of them are picked with a heap, and the candidates'
 * ranks among all of them are counted. */
#include "ranker/ltr_internal.h"
#include "ranker/seq_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KNN_HISTORY 50
#define KNN_USERS 500
#define KNN_USER_ITEMS 200

/* ---- a small open-addressing map node -> dense index ---- */

typedef struct {
	uint32_t *key;  /* node + 1, 0: empty */
	uint32_t *val;
	uint32_t *used; /* the slots in use, in insertion order (to clear them alone) */
	size_t mask, n;
} nmap;

static int nmap_init(nmap *m, size_t want)
{
	size_t cap = 64;
	while (cap < want * 2)
		cap <<= 1;
	m->key = calloc(cap, sizeof(*m->key));
	m->val = malloc(cap * sizeof(*m->val));
	m->used = malloc(cap / 2 * sizeof(*m->used));
	m->mask = cap - 1;
	m->n = 0;
	return m->key && m->val && m->used ? 0 : -1;
}

static void nmap_free(nmap *m)
{
	free(m->key);
	free(m->val);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

static size_t nmap_slot(const nmap *m, uint32_t node)
{
	size_t i = ((uint64_t)node * 0x9E3779B97F4A7C15ull >> 20) & m->mask;
	while (m->key[i] && m->key[i] != node + 1)
		i = (i + 1) & m->mask;
	return i;
}

static uint32_t nmap_get(const nmap *m, uint32_t node)
{
	size_t i = nmap_slot(m, node);
	return m->key[i] ? m->val[i] : UINT32_MAX;
}

/* Inserts node with value v when absent; returns its value, or UINT32_MAX - 1 on ENOMEM. */
static uint32_t nmap_put(nmap *m, uint32_t node, uint32_t v)
{
	size_t i;
	if ((m->n + 1) * 2 > m->mask + 1) {
		nmap old = *m;
		size_t k;
		if (nmap_init(m, old.mask + 1) < 0) {
			nmap_free(m);
			*m = old;
			return UINT32_MAX - 1;
		}
		for (k = 0; k < old.n; k++) {
			size_t from = old.used[k], j = nmap_slot(m, old.key[from] - 1);
			m->key[j] = old.key[from];
			m->val[j] = old.val[from];
			m->used[m->n++] = (uint32_t)j;
		}
		nmap_free(&old);
	}
	i = nmap_slot(m, node);
	if (m->key[i])
		return m->val[i];
	m->key[i] = node + 1;
	m->val[i] = v;
	m->used[m->n++] = (uint32_t)i;
	return v;
}

/* ---- node-indexed maps of one thread, emptied in O(1) ---- */

/* A slot is set when its stamp is the map's epoch; a new epoch empties the map. The item-kNN
 * looks up every item of every neighbour's history: indexing by node reads one slot where a
 * hash map probes, and nothing is allocated or grown per request (each thread keeps its
 * maps, sized to the graph's nodes and an eighth more: 27 bytes a node). */
typedef struct {
	uint32_t stamp, val;
} dslot;

typedef struct {
	dslot *slot;
	size_t cap;
	uint32_t epoch;
} dmap;

static int dmap_begin(dmap *m, size_t n_nodes)
{
	if (n_nodes > m->cap) {
		free(m->slot);
		m->cap = 0;
		m->epoch = 0;
		if (!(m->slot = calloc(n_nodes + n_nodes / 8 + 1, sizeof(dslot))))
			return -1;
		m->cap = n_nodes + n_nodes / 8 + 1;
	}
	if (++m->epoch == 0) {
		memset(m->slot, 0, m->cap * sizeof(dslot));
		m->epoch = 1;
	}
	return 0;
}

static inline uint32_t dmap_get(const dmap *m, uint32_t node)
{
	return m->slot[node].stamp == m->epoch ? m->slot[node].val : UINT32_MAX;
}

/* Sets node to v unless it is set; returns 1 when it was not. */
static inline int dmap_add(dmap *m, uint32_t node, uint32_t v)
{
	dslot *d = &m->slot[node];
	if (d->stamp == m->epoch)
		return 0;
	d->stamp = m->epoch;
	d->val = v;
	return 1;
}

typedef struct {
	dmap users, co, hits;
} knn_maps;

static pthread_key_t maps_key;
static pthread_once_t maps_once = PTHREAD_ONCE_INIT;
static int maps_key_ok;

static void maps_free(void *p)
{
	knn_maps *k = p;
	free(k->users.slot);
	free(k->co.slot);
	free(k->hits.slot);
	free(k);
}

static void maps_key_make(void)
{
	maps_key_ok = pthread_key_create(&maps_key, maps_free) == 0;
}

/* This thread's maps, or NULL when they cannot be had (out of memory). */
static knn_maps *thread_maps(void)
{
	knn_maps *k;
	pthread_once(&maps_once, maps_key_make);
	if (!maps_key_ok)
		return NULL;
	if ((k = pthread_getspecific(maps_key)))
		return k;
	if (!(k = calloc(1, sizeof(*k))))
		return NULL;
	if (pthread_setspecific(maps_key, k)) {
		free(k);
		return NULL;
	}
	return k;
}

/* ---- item-kNN over the graph view ---- */

typedef struct {
	uint32_t node;
	double s[4]; /* decay 1, 0.7, 0.4, last event only */
	uint32_t rank;
} knn_hit;

typedef struct {
	dmap *ix;       /* node -> index in hits */
	knn_hit *hits;
	size_t n, cap;
} knn_acc;

static knn_hit *knn_slot(knn_acc *k, uint32_t node)
{
	uint32_t v = dmap_add(k->ix, node, (uint32_t)k->n) ? (uint32_t)k->n : dmap_get(k->ix, node);
	if (v == k->n) {
		if (k->n == k->cap) {
			size_t nc = k->cap ? k->cap * 2 : 256;
			knn_hit *p = realloc(k->hits, nc * sizeof(*p));
			if (!p)
				return NULL;
			k->hits = p;
			k->cap = nc;
		}
		memset(&k->hits[k->n], 0, sizeof(knn_hit));
		k->hits[k->n].node = node;
		k->n++;
	}
	return &k->hits[v];
}

static int has_ints(const kgr_graph *g, uint32_t n)
{
	return n != KGR__NONE && n < g->int_cap_nodes;
}

typedef struct {
	uint32_t node, count, last; /* co-interactions; the last user (1-based) that counted it */
} co_entry;

/* Adds sim(h, .) * w[] for one history item h. users, co: scratch maps. */
static int knn_item(knn_acc *k, const kgr_graph *g, uint32_t h, const double w[4], dmap *users,
	dmap *co, co_entry **ce, size_t *ce_cap)
{
	uint32_t a = g->iu_off[h], b = g->iu_end[h], j, n_users = 0;
	size_t n_co = 0, q;
	double nh = g->pop[h] ? (double)g->pop[h] : 1.0;
	if (dmap_begin(users, g->n_nodes) < 0 || dmap_begin(co, g->n_nodes) < 0)
		return -1;
	for (j = b; j > a && n_users < KNN_USERS; j--) {
		uint32_t u = g->iu_user[j - 1], ha, t;
		size_t taken = 0;
		if (!dmap_add(users, u, 0) || !has_ints(g, u))
			continue;
		n_users++;
		ha = g->hist_off[u];
		for (t = ha + g->hist_len[u]; t > ha && taken < KNN_USER_ITEMS; t--) {
			uint32_t x = g->int_inode[t - 1], c;
			if (x == h)
				continue;
			taken++;
			c = dmap_get(co, x);
			if (c == UINT32_MAX) {
				if (n_co == *ce_cap) {
					size_t nc = *ce_cap ? *ce_cap * 2 : 256;
					co_entry *p = realloc(*ce, nc * sizeof(*p));
					if (!p)
						return -1;
					*ce = p;
					*ce_cap = nc;
				}
				dmap_add(co, x, (uint32_t)n_co);
				(*ce)[n_co].node = x;
				(*ce)[n_co].count = 1;
				(*ce)[n_co].last = n_users;
				n_co++;
			} else if ((*ce)[c].last != n_users) {
				(*ce)[c].count++;
				(*ce)[c].last = n_users;
			}
		}
	}
	for (q = 0; q < n_co; q++) {
		uint32_t x = (*ce)[q].node;
		double nx = g->pop[x] ? (double)g->pop[x] : 1.0;
		double sim = (double)(*ce)[q].count / sqrt(nh * nx);
		knn_hit *hit = knn_slot(k, x);
		int d;
		if (!hit)
			return -1;
		for (d = 0; d < 4; d++)
			hit->s[d] += w[d] * sim;
	}
	return 0;
}

/* Interactions with item x up to time t (the item's list is in time order). */
static uint32_t count_until(const kgr_graph *g, uint32_t x, int64_t t)
{
	uint32_t lo = g->iu_off[x], hi = g->iu_end[x], a = lo;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (g->iu_time[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - a;
}

static void item_features(float *f, const kgr_graph *g, uint32_t x, int64_t t_ref)
{
	double hl = g->half_life > 0 ? g->half_life : 1.0;
	uint32_t pop = g->pop[x], upto, recent;
	f[KGR__LTR_POP_LOG] = (float)log1p((double)pop);
	if (!has_ints(g, x) || g->iu_end[x] == g->iu_off[x])
		return;
	upto = count_until(g, x, t_ref);
	recent = upto - count_until(g, x, t_ref - (int64_t)hl);
	f[KGR__LTR_POP_RECENT] = (float)log1p((double)recent);
	f[KGR__LTR_POP_TREND] = (float)((double)recent / (double)(pop ? pop : 1));
	f[KGR__LTR_ITEM_AGE] = (float)((double)(t_ref - g->iu_time[g->iu_off[x]]) / hl);
	f[KGR__LTR_ITEM_IDLE] = upto ? (float)((double)(t_ref -
		g->iu_time[g->iu_off[x] + upto - 1]) / hl) : -1.0f;
}

void kgr__ltr_cands_free(kgr__ltr_cands *c)
{
	if (!c)
		return;
	free(c->node);
	free(c->x);
	free(c->graph_ix);
	kgr_recs_free(c->graph);
	memset(c, 0, sizeof(*c));
}

typedef struct {
	knn_acc k;
	knn_maps *maps; /* the thread's: users, co-items, hits */
	nmap cand, excl;
	co_entry *ce;
	size_t ce_cap;
} ltr_scratch;

static void scratch_free(ltr_scratch *s)
{
	free(s->k.hits);
	nmap_free(&s->cand);
	nmap_free(&s->excl);
	free(s->ce);
}

/* The user's history range [*a, *b) before o->at in the graph view. */
static void history_range(const kgr_graph *g, uint32_t un, const kgr_rec_options *o, uint32_t *a,
	uint32_t *b)
{
	*a = *b = 0;
	if (!has_ints(g, un) || !(g->flags[un] & KGR__NODE_USER))
		return;
	*a = g->hist_off[un];
	*b = *a + g->hist_len[un];
	while (*b > *a && o->at && g->ints[*b - 1].time >= o->at)
		(*b)--;
}

static int knn_history(ltr_scratch *s, const kgr_graph *g, uint32_t a, uint32_t b)
{
	uint32_t t;
	double w07 = 1, w04 = 1;
	size_t j = 0;
	for (t = b; t > a && j < KNN_HISTORY; t--, j++, w07 *= 0.7, w04 *= 0.4) {
		uint32_t h = g->int_inode[t - 1];
		double w[4] = { 1.0, w07, w04, j == 0 ? 1.0 : 0.0 };
		if (!has_ints(g, h))
			continue;
		if (knn_item(&s->k, g, h, w, &s->maps->users, &s->maps->co, &s->ce, &s->ce_cap) < 0)
			return -1;
	}
	return 0;
}

static int add_cand(kgr__ltr_cands *c, ltr_scratch *s, uint32_t node, int32_t gix, size_t cap)
{
	uint32_t v;
	if (c->n == cap)
		return 0;
	v = nmap_put(&s->cand, node, (uint32_t)c->n);
	if (v == UINT32_MAX - 1)
		return -1;
	if (v != c->n)
		return 0;
	c->node[c->n] = node;
	c->graph_ix[c->n] = gix;
	c->n++;
	return 0;
}

/* 1: hit a comes before hit b in the item-kNN's order (score at decay 0.7, then node). */
static int knn_before(const knn_hit *a, const knn_hit *b)
{
	return a->s[1] != b->s[1] ? a->s[1] > b->s[1] : a->node < b->node;
}

static int by_knn(const void *pa, const void *pb)
{
	const knn_hit *a = *(const knn_hit *const *)pa, *b = *(const knn_hit *const *)pb;
	return knn_before(a, b) ? -1 : knn_before(b, a);
}

/* Sifts the hit in slot i of a heap (the worst on top) down. */
static void heap_down(const knn_hit **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, w = i;
		const knn_hit *t;
		if (l < n && knn_before(h[w], h[l]))
			w = l;
		if (l + 1 < n && knn_before(h[w], h[l + 1]))
			w = l + 1;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/* The item-kNN's best items that are not candidates yet, in its order, until cap: a heap of
 * the best `cap - n` eligible hits, then a sort of those alone (not of everything reached). */
/* Whether an item meets the constraints of the request's query (the graph's list applied them
 * to its own candidates; the item-kNN's must meet them too). */
static int knn_candidates(kgr__ltr_cands *c, ltr_scratch *s, const kgr_graph *g, size_t cap)
{
	size_t want = cap - c->n, n = 0, i;
	const knn_hit **h;
	if (!want || !s->k.n)
		return 0;
	if (!(h = malloc((want < s->k.n ? want : s->k.n) * sizeof(*h))))
		return -1;
	for (i = 0; i < s->k.n; i++) {
		const knn_hit *x = &s->k.hits[i];
		if (n == want && !knn_before(x, h[0]))
			continue; /* not among the best so far: no need to look further */
		if (nmap_get(&s->excl, x->node) != UINT32_MAX || !(g->flags[x->node] & KGR__NODE_ITEM) ||
			nmap_get(&s->cand, x->node) != UINT32_MAX || !kgr__constraints_admit(g, c->graph, g->node_id[x->node]))
			continue;
		if (n < want) {
			size_t j = n++;
			h[j] = x;
			while (j && knn_before(h[(j - 1) / 2], h[j])) { /* the worse one goes up */
				const knn_hit *t = h[j];
				h[j] = h[(j - 1) / 2];
				h[(j - 1) / 2] = t;
				j = (j - 1) / 2;
			}
		} else if (knn_before(x, h[0])) {
			h[0] = x;
			heap_down(h, n, 0);
		}
	}
	qsort(h, n, sizeof(*h), by_knn);
	for (i = 0; i < n; i++)
		if (add_cand(c, s, h[i]->node, -1, cap) < 0) {
			free(h);
			return -1;
		}
	free(h);
	return 0;
}

/* A candidate's place key for knn_ranks(): its hit's score at decay 0.7 and node, copied
 * out of the hits so the searches read one contiguous array. */
typedef struct {
	double s;
	uint32_t node;
	uint32_t hit;
} rank_key;

/* 1: key (s, node) comes before k in the item-kNN's order (as knn_before()). */
static inline int key_before(double s, uint32_t node, const rank_key *k)
{
	return s != k->s ? s > k->s : node < k->node;
}

static int by_key(const void *pa, const void *pb)
{
	const rank_key *a = pa, *b = pb;
	return key_before(a->s, a->node, b) ? -1 : key_before(b->s, b->node, a);
}

#define RANK_LANES 8

/* Each candidate's rank among every hit (1 + the hits before it), without sorting the hits:
 * the candidates' keys are sorted, and each hit counts once for the candidates after it
 * (a binary search, then a running sum). A search without branches takes the same number of
 * steps for every hit, so RANK_LANES hits are searched side by side: their steps do not wait
 * for each other's loads, where one search alone is a chain of them. */
static int knn_ranks(kgr__ltr_cands *c, ltr_scratch *s)
{
	rank_key *ck = malloc((c->n + 1) * sizeof(*ck));
	uint32_t *below = calloc(c->n + 2, sizeof(*below));
	uint32_t *todo = malloc((s->k.n + 1) * sizeof(*todo));
	size_t m = 0, i, run = 0, n_todo = 0;
	if (!ck || !below || !todo) {
		free(ck);
		free(below);
		free(todo);
		return -1;
	}
	for (i = 0; i < c->n; i++) {
		uint32_t ki = dmap_get(s->k.ix, c->node[i]);
		if (ki != UINT32_MAX) {
			ck[m].s = s->k.hits[ki].s[1];
			ck[m].node = s->k.hits[ki].node;
			ck[m++].hit = ki;
		}
	}
	qsort(ck, m, sizeof(*ck), by_key);
	for (i = 0; m && i < s->k.n; i++) /* the hits before some candidate */
		if (key_before(s->k.hits[i].s[1], s->k.hits[i].node, &ck[m - 1]))
			todo[n_todo++] = (uint32_t)i;
	for (i = 0; i < n_todo; i += RANK_LANES) {
		size_t at[RANK_LANES], len = m, q, lanes = n_todo - i < RANK_LANES ? n_todo - i :
			RANK_LANES;
		double xs[RANK_LANES];
		uint32_t xn[RANK_LANES];
		for (q = 0; q < RANK_LANES; q++) { /* idle lanes search the last hit again */
			const knn_hit *h = &s->k.hits[todo[i + (q < lanes ? q : lanes - 1)]];
			at[q] = 0;
			xs[q] = h->s[1];
			xn[q] = h->node;
		}
		while (len > 1) {
			size_t half = len / 2;
			for (q = 0; q < RANK_LANES; q++)
				at[q] += (size_t)!key_before(xs[q], xn[q], &ck[at[q] + half - 1]) * half;
			len -= half;
		}
		for (q = 0; q < lanes; q++)
			below[at[q]]++;
	}
	for (i = 0; i < m; i++) {
		run += below[i];
		s->k.hits[ck[i].hit].rank = (uint32_t)(run + 1);
	}
	free(ck);
	free(below);
	free(todo);
	return 0;
}

static int by_float_desc(const void *pa, const void *pb)
{
	float a = *(const float *)pa, b = *(const float *)pb;
	return a > b ? -1 : a < b;
}

/* The sequence model's scores of every item after the history [a, b) of g (its newest
 * max_len events), and their log-sum-exp. */
typedef struct {
	float *all;   /* by the model's dense item index */
	size_t n_all;
	double lse;
} seq_pass;

static int seq_scores(seq_pass *p, const kgr_graph *g, const kgr_seq_model *seq, uint32_t a,
	uint32_t b)
{
	size_t i, nh = 0, L = (size_t)seq->net->dims.max_len;
	kgr_id *hist;
	double top = -INFINITY, lse = 0;
	int error;
	p->n_all = seq->n_items;
	if (b - a > L)
		a = b - (uint32_t)L;
	hist = malloc((b - a + 1) * sizeof(*hist));
	p->all = malloc((p->n_all + 1) * sizeof(*p->all));
	if (!hist || !p->all) {
		free(hist);
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	}
	for (; a < b; a++)
		hist[nh++] = g->node_id[g->int_inode[a]];
	error = kgr__seq_model_score_all(p->all, seq, hist, nh);
	free(hist);
	if (error < 0)
		return error;
	for (i = 0; i < p->n_all; i++)
		if (p->all[i] > top)
			top = p->all[i];
	for (i = 0; i < p->n_all; i++)
		lse += exp((double)p->all[i] - top);
	p->lse = top + log(lse);
	return 0;
}

/* Whether the sequence model's item d may join the candidates (the item-kNN's rules). */
static uint32_t seq_eligible(const kgr__ltr_cands *c, const ltr_scratch *s, const kgr_graph *g,
	const kgr_seq_model *seq, uint32_t d)
{
	uint32_t node = kgr__node_of(g, seq->items[d]);
	if (node == KGR__NONE || nmap_get(&s->excl, node) != UINT32_MAX ||
		!(g->flags[node] & KGR__NODE_ITEM) || !kgr__constraints_admit(g, c->graph, seq->items[d]))
		return KGR__NONE;
	return node;
}

/* The sequence model's best items that are not candidates yet, in its order, until cap:
 * kgr__seq_top_k() past the candidates, asked for twice as many while too few of those it
 * gives are eligible. */
static int seq_candidates(kgr__ltr_cands *c, ltr_scratch *s, const kgr_graph *g,
	const kgr_seq_model *seq, const seq_pass *p, size_t cap)
{
	unsigned char *skip = calloc(p->n_all + 1, 1);
	uint32_t *top = NULL;
	size_t i, want = cap - c->n, ask = want, got, ok;
	int error = 0;
	if (!skip)
		return -1;
	for (i = 0; i < c->n; i++) {
		uint32_t d = kgr__seq_model_item(seq, g->node_id[c->node[i]]);
		if (d != KGR__SEQ_NONE)
			skip[d] = 1;
	}
	for (; want; ask *= 2) {
		uint32_t *t = realloc(top, ask * sizeof(*t));
		if (!t) {
			error = -1;
			break;
		}
		top = t;
		got = kgr__seq_top_k(top, p->all, skip, p->n_all, ask);
		for (i = ok = 0; i < got; i++)
			ok += seq_eligible(c, s, g, seq, top[i]) != KGR__NONE;
		if (ok < want && got == ask)
			continue; /* some of the best were not eligible: look further */
		for (i = 0; i < got && c->n < cap && !error; i++) {
			uint32_t node = seq_eligible(c, s, g, seq, top[i]);
			if (node != KGR__NONE && add_cand(c, s, node, -1, cap) < 0)
				error = -1;
		}
		break;
	}
	free(top);
	free(skip);
	return error;
}

/* The sequence model's features of every candidate from the scores of every item: the
 * candidates' log-probabilities under the softmax over all items, and their ranks among all
 * items (the candidates' scores sorted, each item counted once for those it beats: a binary
 * search each); missing (NaN) without a model or for an item it does not know. */
static int seq_features(kgr__ltr_cands *c, const kgr_graph *g, const kgr_seq_model *seq,
	const seq_pass *p)
{
	size_t i, n_all, ns = 0;
	float *sc = NULL, *sorted = NULL, best = -INFINITY;
	const float *all;
	uint32_t *above = NULL;
	int error = 0;
	if (!seq) {
		for (i = 0; i < c->n; i++) {
			float *f = c->x + i * KGR__LTR_NF;
			f[KGR__LTR_SEQ] = f[KGR__LTR_SEQ_REL] = f[KGR__LTR_SEQ_RANK] = NAN;
		}
		return 0;
	}
	all = p->all;
	n_all = p->n_all;
	sc = malloc((c->n + 1) * sizeof(*sc));
	sorted = malloc((c->n + 1) * sizeof(*sorted));
	above = calloc(c->n + 2, sizeof(*above));
	if (!sc || !sorted || !above) {
		error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		goto done;
	}
	for (i = 0; i < c->n; i++) {
		uint32_t d = kgr__seq_model_item(seq, g->node_id[c->node[i]]);
		sc[i] = d == KGR__SEQ_NONE ? NAN : all[d];
		if (!isnan(sc[i])) {
			sorted[ns++] = sc[i];
			if (sc[i] > best)
				best = sc[i];
		}
	}
	qsort(sorted, ns, sizeof(*sorted), by_float_desc);
	/* above[j]: items whose score beats sorted[j] but not sorted[j - 1] */
	for (i = 0; ns && i < n_all; i++) {
		size_t lo = 0, hi = ns; /* the first candidate score below all[i] */
		if (!(all[i] > sorted[ns - 1]))
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (all[i] > sorted[mid])
				hi = mid;
			else
				lo = mid + 1;
		}
		above[lo]++;
	}
	for (i = 1; i < ns; i++)
		above[i] += above[i - 1];
	for (i = 0; i < c->n; i++) {
		float *f = c->x + i * KGR__LTR_NF;
		size_t lo = 0, hi = ns;
		if (isnan(sc[i])) {
			f[KGR__LTR_SEQ] = f[KGR__LTR_SEQ_REL] = f[KGR__LTR_SEQ_RANK] = NAN;
			continue;
		}
		while (lo < hi) { /* its place among the sorted candidate scores */
			size_t mid = lo + (hi - lo) / 2;
			if (sorted[mid] > sc[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		f[KGR__LTR_SEQ] = (float)((double)sc[i] - p->lse);
		f[KGR__LTR_SEQ_REL] = sc[i] - best;
		f[KGR__LTR_SEQ_RANK] = (float)(above[lo] + 1);
	}
done:
	free(sc);
	free(sorted);
	free(above);
	return error;
}

int kgr__ltr_candidates(kgr__ltr_cands *out, const kgr_graph *g, kgr_id user,
	const kgr_rec_options *o, size_t n_graph, size_t n_knn, size_t n_seq, const kgr_seq_model *seq)
{
	kgr_rec_options ro = *o;
	ltr_scratch s;
	seq_pass sp = { NULL, 0, 0 };
	uint32_t un = kgr__node_of(g, user), a, b, t;
	int64_t t_ref;
	double hist_pop = 0, best_knn;
	size_t i, cap, n_hist;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	ro.k = n_graph < 1 ? 1 : n_graph > KGR_MAX_K ? KGR_MAX_K : n_graph;
	ro.n_candidates = ro.k;
	ro.explain = 0;
	ro.require_path = 0;
	ro.sequence = NULL; /* the graph's features stay the graph's: the model has its own */
	if ((error = kgr_recommend(&out->graph, g, user, &ro)) < 0)
		return error;
	history_range(g, un, o, &a, &b);
	n_hist = b - a;
	t_ref = n_hist ? g->ints[b - 1].time : (o->at ? o->at : g->t_max);
	if (!seq)
		n_seq = 0;
	cap = out->graph->n + n_knn + n_seq;
	if (!(s.maps = thread_maps()) || dmap_begin(&s.maps->hits, g->n_nodes) < 0 ||
		nmap_init(&s.cand, cap + 1) < 0 ||
		nmap_init(&s.excl, n_hist + o->n_exclude + 1) < 0 ||
		!(out->node = malloc((cap + 1) * sizeof(*out->node))) ||
		!(out->graph_ix = malloc((cap + 1) * sizeof(*out->graph_ix))))
		goto oom;
	s.k.ix = &s.maps->hits;
	for (t = a; t < b; t++) {
		hist_pop += log1p((double)g->pop[g->int_inode[t]]);
		if (o->exclude_seen && nmap_put(&s.excl, g->int_inode[t], 0) == UINT32_MAX - 1)
			goto oom;
	}
	for (i = 0; i < o->n_exclude; i++) {
		uint32_t n = kgr__node_of(g, o->exclude[i]);
		if (n != KGR__NONE && nmap_put(&s.excl, n, 0) == UINT32_MAX - 1)
			goto oom;
	}
	if (knn_history(&s, g, a, b) < 0)
		goto oom;
	best_knn = 0;
	for (i = 0; i < s.k.n; i++)
		if (s.k.hits[i].s[1] > best_knn)
			best_knn = s.k.hits[i].s[1];
	for (i = 0; i < out->graph->n; i++) {
		uint32_t n = kgr__node_of(g, out->graph->items[i].item);
		if (n != KGR__NONE && add_cand(out, &s, n, (int32_t)i, cap) < 0)
			goto oom;
	}
	if (knn_candidates(out, &s, g, cap - n_seq) < 0)
		goto oom;
	if (seq && (error = seq_scores(&sp, g, seq, a, b)) < 0) {
		scratch_free(&s);
		kgr__ltr_cands_free(out);
		free(sp.all);
		return error;
	}
	if ((n_seq && seq_candidates(out, &s, g, seq, &sp, out->n + n_seq) < 0) ||
		knn_ranks(out, &s) < 0)
		goto oom;
	if (!(out->x = calloc((out->n ? out->n : 1) * KGR__LTR_NF, sizeof(float))))
		goto oom;
	for (i = 0; i < out->n; i++) {
		float *f = out->x + i * KGR__LTR_NF;
		uint32_t n = out->node[i], ki = dmap_get(s.k.ix, n);
		int k;
		if (out->graph_ix[i] >= 0) {
			const kgr_rec_item *it = &out->graph->items[out->graph_ix[i]];
			for (k = 0; k < KGR_FEAT__COUNT; k++)
				f[k] = (float)it->features[k];
			f[KGR__LTR_GRAPH_SCORE] = (float)it->score;
			f[KGR__LTR_GRAPH_RANK] = (float)(out->graph_ix[i] + 1);
			f[KGR__LTR_IN_GRAPH] = 1;
			f[KGR__LTR_PATHS_CATALOG] = (float)log1p((double)it->n_catalog_paths);
			f[KGR__LTR_PATHS_COLLAB] = (float)log1p((double)it->n_collab_paths);
			if (it->n_catalog_paths + it->n_collab_paths)
				f[KGR__LTR_CATALOG_SHARE] = (float)((double)it->n_catalog_paths /
					(double)(it->n_catalog_paths + it->n_collab_paths));
		} else {
			f[KGR_FEAT_ITEMPOP] = g->max_pop ? (float)(log1p((double)g->pop[n]) /
				log1p((double)g->max_pop)) : 0.0f;
			f[KGR__LTR_GRAPH_RANK] = (float)(out->graph->n + 1);
		}
		if (ki != UINT32_MAX) {
			const knn_hit *h = &s.k.hits[ki];
			f[KGR__LTR_KNN] = (float)h->s[0];
			f[KGR__LTR_KNN_D07] = (float)h->s[1];
			f[KGR__LTR_KNN_D04] = (float)h->s[2];
			f[KGR__LTR_KNN_LAST] = (float)h->s[3];
			f[KGR__LTR_KNN_RANK] = (float)h->rank;
			f[KGR__LTR_KNN_REL] = best_knn > 0 ? (float)(h->s[1] / best_knn) : 0.0f;
		} else {
			f[KGR__LTR_KNN_RANK] = (float)(s.k.n + 1);
		}
		item_features(f, g, n, t_ref);
		f[KGR__LTR_USER_LEN] = (float)log1p((double)n_hist);
		f[KGR__LTR_HIST_POP] = n_hist ? (float)(hist_pop / (double)n_hist) : 0.0f;
	}
	scratch_free(&s);
	error = seq_features(out, g, seq, &sp);
	free(sp.all);
	if (error < 0) {
		kgr__ltr_cands_free(out);
		return error;
	}
	return 0;
oom:
	scratch_free(&s);
	free(sp.all);
	kgr__ltr_cands_free(out);
	return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
}
