/* The learned ranker's candidates and features: the graph's candidate list (its generators'
 * scores, path features and formula), an item-kNN over the graph view's interactions, and
 * item and user statistics read from the same view.
 *
 * The item-kNN is the harness's baseline computed per request: sim(h, x) = c(h, x) /
 * sqrt(n(h) n(x)), c the users who took both (each user counted once), n the item's
 * interactions; a user's score for x sums sim(h, x) over the history events h, the event j
 * steps before the last weighted decay^j. Bounded per request: the 50 newest history events,
 * the 500 newest users of each history item, the 200 newest items of each such user. The
 * items reached are sorted once (a radix sort): that order gives the item-kNN's candidates
 * and every candidate's rank among all of them. */
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

/* The items co-interacted with one history item: a slot per node, set when its stamp is the
 * map's epoch, and the nodes set, in the order they were first met. */
typedef struct {
	uint32_t stamp, count, last; /* co-interactions; the last user (1-based) that counted it */
} co_slot;

typedef struct {
	co_slot *slot;
	uint32_t *list;
	size_t cap;
	uint32_t epoch;
} co_map;

static int co_begin(co_map *m, size_t n_nodes)
{
	if (n_nodes > m->cap) {
		free(m->slot);
		free(m->list);
		m->cap = 0;
		m->epoch = 0;
		m->slot = calloc(n_nodes + n_nodes / 8 + 1, sizeof(co_slot));
		m->list = malloc((n_nodes + n_nodes / 8 + 1) * sizeof(uint32_t));
		if (!m->slot || !m->list)
			return -1;
		m->cap = n_nodes + n_nodes / 8 + 1;
	}
	if (++m->epoch == 0) {
		memset(m->slot, 0, m->cap * sizeof(co_slot));
		m->epoch = 1;
	}
	return 0;
}

/* The users met in one history item's list, to count each once: a small hash set (at most
 * KNN_USERS of them, so at most half full) that stays in the first-level cache, where a slot
 * per graph node was a cache miss for nearly every user. A slot is set when its stamp is the
 * set's epoch. */
#define USER_SLOTS 1024
_Static_assert(2 * KNN_USERS <= USER_SLOTS, "the user set must stay at most half full");

typedef struct {
	uint32_t user[USER_SLOTS], stamp[USER_SLOTS];
	uint32_t epoch;
} user_set;

static void users_begin(user_set *u)
{
	if (++u->epoch == 0) {
		memset(u->stamp, 0, sizeof(u->stamp));
		u->epoch = 1;
	}
}

/* Adds user; returns 1 when it was not in the set. */
static int users_add(user_set *u, uint32_t user)
{
	size_t i = (size_t)((uint32_t)(user * 0x9E3779B1u) >> 22);
	while (u->stamp[i] == u->epoch) {
		if (u->user[i] == user)
			return 0;
		i = (i + 1) & (USER_SLOTS - 1);
	}
	u->stamp[i] = u->epoch;
	u->user[i] = user;
	return 1;
}

typedef struct {
	dmap hits;
	co_map co;
	user_set users;
} knn_maps;

static pthread_key_t maps_key;
static pthread_once_t maps_once = PTHREAD_ONCE_INIT;
static int maps_key_ok;

static void maps_free(void *p)
{
	knn_maps *k = p;
	free(k->co.slot);
	free(k->co.list);
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

/* The hit of node, a new one (zero) when it has none yet. Without a branch on which: the next
 * free hit is made ready for node either way and taken only when node is new, so the loop
 * over a history item's co-items does not stop at each mispredicted guess. NULL: out of
 * memory. */
static knn_hit *knn_slot(knn_acc *k, uint32_t node)
{
	dslot *d = &k->ix->slot[node];
	uint32_t fresh = d->stamp != k->ix->epoch, v = fresh ? (uint32_t)k->n : d->val;
	if (k->n + 1 > k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 256;
		knn_hit *p = realloc(k->hits, nc * sizeof(*p));
		if (!p)
			return NULL;
		k->hits = p;
		k->cap = nc;
	}
	memset(&k->hits[k->n], 0, sizeof(knn_hit));
	k->hits[k->n].node = node;
	d->stamp = k->ix->epoch;
	d->val = v;
	k->n += fresh;
	return &k->hits[v];
}

static int has_ints(const kgr_graph *g, uint32_t n)
{
	return n != KGR__NONE && n < g->int_cap_nodes;
}

/* Adds sim(h, .) * w[] for one history item h. users, co: scratch maps. Counting a user's
 * item takes no branch on what the map holds (whether the item is new, whether this user
 * counted it already): those are the walk's unpredictable outcomes, and a mispredicted
 * branch each cost more than the few instructions that do both cases. */
static int knn_item(knn_acc *k, const kgr_graph *g, uint32_t h, const double w[4],
	user_set *users, co_map *co)
{
	uint32_t a = g->iu_off[h], b = g->iu_end[h], j, n_users = 0, ep;
	size_t n_co = 0, q;
	double nh = g->pop[h] ? (double)g->pop[h] : 1.0;
	if (co_begin(co, g->n_nodes) < 0)
		return -1;
	users_begin(users);
	ep = co->epoch;
	for (j = b; j > a && n_users < KNN_USERS; j--) {
		uint32_t u = g->iu_user[j - 1], ha, t;
		size_t taken = 0;
		if (!users_add(users, u) || !has_ints(g, u))
			continue;
		n_users++;
		ha = g->hist_off[u];
		for (t = ha + g->hist_len[u]; t > ha && taken < KNN_USER_ITEMS; t--) {
			uint32_t x = g->int_inode[t - 1], fresh, count;
			co_slot *c;
			if (x == h)
				continue;
			taken++;
			c = &co->slot[x];
			fresh = c->stamp != ep;
			co->list[n_co] = x;
			n_co += fresh;
			count = fresh ? 0 : c->count;
			c->count = count + (fresh | (c->last != n_users));
			c->last = n_users;
			c->stamp = ep;
		}
	}
	for (q = 0; q < n_co; q++) {
		uint32_t x = co->list[q];
		double nx = g->pop[x] ? (double)g->pop[x] : 1.0;
		double sim = (double)co->slot[x].count / sqrt(nh * nx);
		knn_hit *hit = knn_slot(k, x);
		int d;
		if (!hit)
			return -1;
		for (d = 0; d < 4; d++)
			hit->s[d] += w[d] * sim;
	}
	return 0;
}

/* Interactions with item x up to time t (the item's list is in time order). A search without
 * branches: its steps depend on the data only through their loads, so the searches of the
 * next candidates start while this one's loads are under way, where a branch on each step
 * would be mispredicted half the time. */
static uint32_t count_until(const kgr_graph *g, uint32_t x, int64_t t)
{
	const int64_t *base = g->iu_time + g->iu_off[x], *p = base;
	uint32_t n = g->iu_end[x] - g->iu_off[x];
	if (!n)
		return 0;
	while (n > 1) {
		uint32_t half = n / 2;
		p = p[half - 1] <= t ? p + half : p;
		n -= half;
	}
	return (uint32_t)(p - base) + (*p <= t);
}

static void item_features(float *f, const kgr_graph *g, uint32_t x, int64_t t_ref)
{
	double hl = g->half_life > 0 ? g->half_life : 1.0;
	uint32_t pop = g->pop[x], upto, recent;
	f[KGR__LTR_POP_LOG] = (float)kgr__log1p_count(pop);
	if (!has_ints(g, x) || g->iu_end[x] == g->iu_off[x])
		return;
	upto = count_until(g, x, t_ref);
	recent = upto - count_until(g, x, t_ref - (int64_t)hl);
	f[KGR__LTR_POP_RECENT] = (float)kgr__log1p_count(recent);
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
	uint32_t *order; /* the hits in the item-kNN's order (knn_order()) */
} ltr_scratch;

static void scratch_free(ltr_scratch *s)
{
	free(s->k.hits);
	nmap_free(&s->cand);
	nmap_free(&s->excl);
	free(s->order);
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
		if (knn_item(&s->k, g, h, w, &s->maps->users, &s->maps->co) < 0)
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

/* ---- the item-kNN's order: every hit sorted once ---- */

/* A hit's place key: its score at decay 0.7 turned into an unsigned integer that orders the
 * other way (the highest score first), and its node. */
typedef struct {
	uint64_t s;
	uint32_t node, hit;
} order_key;

static uint64_t desc_bits(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	u = u >> 63 ? ~u : u | 1ull << 63; /* IEEE 754 bits that order as the numbers do */
	return ~u;
}

/* 1: key a comes before key b (the score, then the node). */
static int order_before(const order_key *a, const order_key *b)
{
	return a->s != b->s ? a->s < b->s : a->node < b->node;
}

static int by_order(const void *pa, const void *pb)
{
	return order_before(pa, pb) ? -1 : order_before(pb, pa);
}

/* The radix sort's digits, least significant first: the node's four bytes, then the high
 * four bytes of the score (its sign, exponent and first 20 bits). */
#define ORDER_DIGITS 8

static unsigned order_digit(const order_key *k, int d)
{
	return d < 4 ? k->node >> (8 * d) & 0xff : (unsigned)(k->s >> (8 * d) & 0xff);
}

/* The hits in the item-kNN's order (score at decay 0.7 descending, then node ascending) into
 * s->order, and each hit's rank (1 + the hits before it). A stable radix sort, a byte at a
 * time, by the node and then by the high half of the score; digits the same in every hit
 * (the nodes' high bytes, the scores' signs and exponents) are neither counted nor sorted on. Hits whose scores
 * share the high half (equal scores, already in node order, and the rare ones that differ
 * by less than a millionth) are then put in order by the whole key: by insertion in short
 * runs, else by a comparison sort. A comparison sort of the few thousand hits a request
 * reaches, through a callback, cost more than the walk that found them. */
static int knn_order(ltr_scratch *s)
{
	size_t n = s->k.n, i, j, at;
	uint32_t (*cnt)[256] = calloc(ORDER_DIGITS, sizeof(*cnt));
	order_key *a = malloc((n + 1) * sizeof(*a)), *b = malloc((n + 1) * sizeof(*b)), *t;
	uint32_t *order = realloc(s->order, (n + 1) * sizeof(*order));
	uint32_t lo_n = UINT32_MAX, hi_n = 0, lo_s = UINT32_MAX, hi_s = 0;
	int d, q, live[ORDER_DIGITS], n_live = 0;
	if (order)
		s->order = order;
	if (!cnt || !a || !b || !order) {
		free(cnt);
		free(a);
		free(b);
		return -1;
	}
	for (i = 0; i < n; i++) {
		a[i].s = desc_bits(s->k.hits[i].s[1]);
		a[i].node = s->k.hits[i].node;
		a[i].hit = (uint32_t)i;
	}
	/* the digits that differ somewhere: those where the lowest and highest key differ, or
	 * below (every key lies between the two, so they share all the digits above) */
	for (i = 0; i < n; i++) {
		uint32_t hi = (uint32_t)(a[i].s >> 32);
		lo_n = a[i].node < lo_n ? a[i].node : lo_n;
		hi_n = a[i].node > hi_n ? a[i].node : hi_n;
		lo_s = hi < lo_s ? hi : lo_s;
		hi_s = hi > hi_s ? hi : hi_s;
	}
	for (d = 0; d < ORDER_DIGITS; d++)
		if (((d < 4 ? lo_n ^ hi_n : lo_s ^ hi_s) >> (8 * (d & 3))) != 0)
			live[n_live++] = d;
	for (i = 0; i < n; i++)
		for (q = 0; q < n_live; q++)
			cnt[live[q]][order_digit(&a[i], live[q])]++;
	for (q = 0; q < n_live; q++) {
		uint32_t sum = 0, c;
		unsigned v;
		d = live[q];
		for (v = 0; v < 256; v++) {
			c = cnt[d][v];
			cnt[d][v] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[cnt[d][order_digit(&a[i], d)]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (i = 0; i < n; i = j) { /* runs that share the high half of the score */
		for (j = i + 1; j < n && a[j].s >> 32 == a[i].s >> 32; j++)
			;
		if (j - i > 64) {
			qsort(a + i, j - i, sizeof(*a), by_order);
		} else {
			size_t p, r;
			for (p = i + 1; p < j; p++) {
				order_key x = a[p];
				for (r = p; r > i && order_before(&x, &a[r - 1]); r--)
					a[r] = a[r - 1];
				a[r] = x;
			}
		}
	}
	for (at = 0; at < n; at++) {
		order[at] = a[at].hit;
		s->k.hits[a[at].hit].rank = (uint32_t)(at + 1);
	}
	free(cnt);
	free(a);
	free(b);
	return 0;
}

/* The item-kNN's best items that are not candidates yet, in its order, until cap. Whether an
 * item meets the constraints of the request's query is checked too (the graph's list applied
 * them to its own candidates; the item-kNN's must meet them too). */
static int knn_candidates(kgr__ltr_cands *c, ltr_scratch *s, const kgr_graph *g, size_t cap)
{
	size_t i;
	for (i = 0; i < s->k.n && c->n < cap; i++) {
		const knn_hit *x = &s->k.hits[s->order[i]];
		if (nmap_get(&s->excl, x->node) != UINT32_MAX || !(g->flags[x->node] & KGR__NODE_ITEM) ||
			nmap_get(&s->cand, x->node) != UINT32_MAX || !kgr__constraints_admit(g, c->graph, g->node_id[x->node]))
			continue;
		if (add_cand(c, s, x->node, -1, cap) < 0)
			return -1;
	}
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
		hist_pop += kgr__log1p_count(g->pop[g->int_inode[t]]);
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
	for (i = 0; i < out->graph->n; i++) {
		uint32_t n = kgr__node_of(g, out->graph->items[i].item);
		if (n != KGR__NONE && add_cand(out, &s, n, (int32_t)i, cap) < 0)
			goto oom;
	}
	if (knn_order(&s) < 0 || knn_candidates(out, &s, g, cap - n_seq) < 0)
		goto oom;
	best_knn = s.k.n ? s.k.hits[s.order[0]].s[1] : 0; /* the item-kNN's first */
	if (seq && (error = seq_scores(&sp, g, seq, a, b)) < 0) {
		scratch_free(&s);
		kgr__ltr_cands_free(out);
		free(sp.all);
		return error;
	}
	if (n_seq && seq_candidates(out, &s, g, seq, &sp, out->n + n_seq) < 0)
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
			f[KGR__LTR_PATHS_CATALOG] = (float)kgr__log1p_count(it->n_catalog_paths);
			f[KGR__LTR_PATHS_COLLAB] = (float)kgr__log1p_count(it->n_collab_paths);
			if (it->n_catalog_paths + it->n_collab_paths)
				f[KGR__LTR_CATALOG_SHARE] = (float)((double)it->n_catalog_paths /
					(double)(it->n_catalog_paths + it->n_collab_paths));
		} else {
			f[KGR_FEAT_ITEMPOP] = g->max_pop ? (float)(kgr__log1p_count(g->pop[n]) /
				kgr__log1p_count(g->max_pop)) : 0.0f;
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
		f[KGR__LTR_USER_LEN] = (float)kgr__log1p_count(n_hist);
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
