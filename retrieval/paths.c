/* Evidence paths: short walks (at most 3 hops) from the user's history items (or seeds) to a
 * candidate, every step a triple of the store.
 *
 * Meet in the middle: kgr__paths_prepare() expands once per request forwards from the
 * sources, one hop (M1: catalog neighbours and the other users of each source) and two hops
 * (M2: catalog only, never through hubs); kgr__paths_find() then looks at the candidate's
 * own neighbours only: a neighbour that is a source closes a 1-hop path, one in M1 a 2-hop
 * path, one in M2 a 3-hop path. Paths are scored by specificity: each inner node divides by
 * log2(2 + the number of items it links), hubs cost a further factor 10, relation weights
 * multiply, longer paths divide by the square of their length.
 * Complexity: prepare O(sources * degree + M1 * capped degree); find O(candidate degree *
 * parents). */
#define _GNU_SOURCE /* qsort_r: the patterns sorted by index */
#include "retrieval/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARENTS 3
#define SRC_DEGREE_CAP 2000
#define SRC_USERS_CAP 20
#define M2_PER_NODE_CAP 50
#define M2_TOTAL_CAP 2000
#define CAND_DEGREE_CAP 1000
#define CAND_USERS_CAP 50
#define MAX_FOUND 64


/* A path as found: its nodes and how each step was taken. The triples (kgr_edge) are
 * derived only for the paths that are counted or returned (path_edges()). */
typedef struct {
	uint32_t src;   /* source index */
	uint32_t hops;
	uint32_t nodes[4];
	uint32_t rel[3]; /* catalog step i: adjacency entry rel of nodes[i] towards nodes[i + 1] */
	uint32_t ix[2]; /* a 2-hop path through another user (rel[0] KGR__NONE): the source's and the
	                 * candidate's interactions */
	kgr_edge e[3];  /* filled by path_edges() */
	double score;
	int check;      /* 1: steps through another user, not yet checked against the store;
	                   -1: checked and absent (a live event), or not shown (a crossing of
	                   sameAs cliques longer than a path holds) */
	int same;       /* 1: a step has an end in a sameAs clique (path_edges() sets it) */
} found_path;

static inline double spec(const kgr_graph *g, uint32_t node)
{
	return g->spec[node];
}

static int add_parent(kgr__req *rq, kgr__map *m, uint32_t node, uint32_t prev, uint32_t rel,
	uint32_t ix, double score)
{
	double *v = kgr__map_get(m, node);
	uint32_t head = KGR__NONE, k, count = 0;
	struct kgr__parent *p;
	if (v) {
		head = (uint32_t)*v;
		for (k = head; k != KGR__NONE; k = rq->par[k].next) {
			if (rq->par[k].prev == prev)
				return 0;
			count++;
		}
		if (count >= MAX_PARENTS)
			return 0;
	} else if (!(v = kgr__map_put(m, node)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (rq->n_par == rq->cap_par) {
		size_t cap = rq->cap_par ? rq->cap_par * 2 : 256;
		struct kgr__parent *np = realloc(rq->par, cap * sizeof(*np));
		if (!np)
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		rq->par = np;
		rq->cap_par = cap;
	}
	p = &rq->par[rq->n_par];
	p->prev = prev;
	p->rel = rel;
	p->ix = ix;
	p->score = score;
	/* append at the end of the chain so that the first parents (strongest sources) lead */
	p->next = KGR__NONE;
	if (head == KGR__NONE)
		*v = (double)rq->n_par;
	else {
		for (k = head; rq->par[k].next != KGR__NONE; k = rq->par[k].next)
			;
		rq->par[k].next = (uint32_t)rq->n_par;
	}
	rq->n_par++;
	return 0;
}

static double best_parent_score(const kgr__req *rq, const kgr__map *m, uint32_t node)
{
	uint32_t k = (uint32_t)m->vals[kgr__map_index(m, node)];
	double best = 0;
	for (; k != KGR__NONE; k = rq->par[k].next)
		if (rq->par[k].score > best)
			best = rq->par[k].score;
	return best;
}

int kgr__paths_prepare(kgr__req *rq, int max_hops)
{
	const kgr_graph *g = rq->g;
	kgr__map *M1 = &rq->sc->maps[KGR__MAP_M1], *M2 = &rq->sc->maps[KGR__MAP_M2];
	size_t i, total = 0;
	int error;

	kgr__map_reset(M1);
	kgr__map_reset(M2);
	rq->n_par = 0;
	if (!rq->found && !(rq->found = malloc(2 * MAX_FOUND * sizeof(found_path)))) /* set, sorted */
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	rq->max_hops = max_hops;
	for (i = 0; i < rq->n_src; i++) {
		uint32_t s = rq->src[i].node, k, lim, taken = 0;
		if (max_hops < 2)
			break;
		if (s < g->n_cat_nodes) {
			lim = g->cat_off[s + 1] - g->cat_off[s];
			if (lim > SRC_DEGREE_CAP)
				lim = SRC_DEGREE_CAP;
			for (k = g->cat_off[s]; k < g->cat_off[s] + lim; k++) {
				const kgr__adj *a = &g->cat[k];
				double sc = rq->src[i].w * g->rels[a->rel >> 1].weight / spec(g, a->nbr);
				if ((error = add_parent(rq, M1, a->nbr, (uint32_t)i, a->rel, KGR__NONE, sc)) < 0)
					return error;
			}
		}
		if (g->flags[s] & KGR__NODE_ITEM) {
			/* other users of the source, newest first */
			for (k = g->iu_end[s]; k > g->iu_off[s] && taken < SRC_USERS_CAP; k--) {
				uint32_t ix = g->iu[k - 1], u = g->iu_user[k - 1];
				double sc;
				if (u == rq->unode || (rq->at && g->iu_time[k - 1] >= rq->at))
					continue;
				sc = rq->src[i].w * g->iu_w[k - 1] / spec(g, u);
				if ((error = add_parent(rq, M1, u, (uint32_t)i, KGR__NONE, ix, sc)) < 0)
					return error;
				taken++;
			}
		}
	}
	if (max_hops < 3)
		return 0;
	for (i = 0; i < M1->n && total < M2_TOTAL_CAP; i++) {
		uint32_t x = M1->keys[i], k, lim;
		double bx;
		if (x >= g->n_cat_nodes || (g->flags[x] & (KGR__NODE_USER | KGR__NODE_HUB)))
			continue;
		bx = best_parent_score(rq, M1, x);
		lim = g->cat_off[x + 1] - g->cat_off[x];
		if (lim > M2_PER_NODE_CAP)
			lim = M2_PER_NODE_CAP;
		for (k = g->cat_off[x]; k < g->cat_off[x] + lim; k++) {
			const kgr__adj *a = &g->cat[k];
			double sc = bx * g->rels[a->rel >> 1].weight / spec(g, a->nbr);
			if ((error = add_parent(rq, M2, a->nbr, x, a->rel, KGR__NONE, sc)) < 0)
				return error;
			total++;
		}
	}
	return 0;
}

/* The triple walked when stepping from node a to node b through adjacency entry rel of a. */
static void cat_edge(const kgr_graph *g, uint32_t a, uint32_t b, uint32_t rel, kgr_edge *e)
{
	kgr_id p = g->rels[rel >> 1].pred;
	e->p = p;
	if (rel & 1) {
		e->s = g->node_id[b];
		e->o = g->node_id[a];
		e->reversed = 1;
	} else {
		e->s = g->node_id[a];
		e->o = g->node_id[b];
		e->reversed = 0;
	}
}

static kgr_id action_of(const kgr_graph *g, uint32_t ix)
{
	return g->ints[ix].action ? g->ints[ix].action : g->id_interact;
}

/* Steps through another user are only evidence when the store holds the triple (a live
 * event added after the snapshot does not). */
static void user_edges(const kgr_graph *g, uint32_t ix_src, uint32_t ix_cand, kgr_edge *e)
{
	const kgr_interaction *a = &g->ints[ix_src], *b = &g->ints[ix_cand];
	e[0].s = a->user;
	e[0].p = action_of(g, ix_src);
	e[0].o = a->item;
	e[0].reversed = 1;
	e[1].s = b->user;
	e[1].p = action_of(g, ix_cand);
	e[1].o = b->item;
	e[1].reversed = 0;
}

/* ---- identity: evidence across owl:sameAs cliques ----
 * The graph view walks a clique as one node (graph.c, build_cliques()), but a path shown to
 * anyone is made of the store's triples: each step across a clique node is the triple of
 * one member, and where the member a step arrives at is not the one the next step leaves
 * from, the sameAs links between the two (the fewest, found breadth-first) are shown as
 * steps of their own. */

/* The terms a step may start or end at on node n: its clique's members, or its own term. */
static const kgr_id *members_of(const kgr_graph *g, uint32_t n, kgr_id *one, uint32_t *count,
	uint32_t *first)
{
	uint32_t k = (g->flags[n] & KGR__NODE_SAMEAS) ? kgr__clique_of_node(g, n) : KGR__NONE;
	if (k == KGR__NONE) {
		*one = g->node_id[n];
		*count = 1;
		*first = KGR__NONE;
		return one;
	}
	*first = g->same.off[k];
	*count = g->same.off[k + 1] - g->same.off[k];
	return g->same.term + *first;
}

/* Index in same.term of member t of the clique whose members start at first, or KGR__NONE. */
static uint32_t member_index(const kgr_graph *g, uint32_t first, uint32_t count, kgr_id t)
{
	uint32_t lo = 0, hi = count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		kgr_id x = g->same.term[first + mid];
		if (x == t)
			return first + mid;
		if (x < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return KGR__NONE;
}

/* Breadth-first over the sameAs links of the clique whose count members start at first,
 * from member from: order[] gets the members by their number of links from it; par[2 * i]
 * and par[2 * i + 1] (i: member - first) the member and the link it was reached by
 * (KGR__NONE for from). Returns the members reached (all: a clique is connected). */
static uint32_t same_bfs(const kgr_graph *g, uint32_t first, uint32_t count, uint32_t from, uint32_t *order,
	uint32_t *par)
{
	uint32_t head = 0, n = 0, i, l;
	for (i = 0; i < 2 * count; i++)
		par[i] = KGR__NONE - 1; /* not reached */
	order[n++] = from;
	par[2 * (from - first)] = KGR__NONE;
	while (head < n) {
		uint32_t x = order[head++];
		for (l = g->same.link_off[x]; l < g->same.link_off[x + 1]; l++) {
			uint32_t y = g->same.link[l].other;
			if (par[2 * (y - first)] != KGR__NONE - 1)
				continue;
			par[2 * (y - first)] = x;
			par[2 * (y - first) + 1] = l;
			order[n++] = y;
		}
	}
	return n;
}

/* The triple of step a -> b (adjacency rel of a) when a or b stands for a clique, leaving
 * from member cur of a: the members of a in order of their distance from cur, each with b's
 * own term first, until the store holds the triple. -1 when none is found. */
static int hop_triple(const kgr_graph *g, uint32_t a, uint32_t b, uint32_t rel, kgr_id cur, kgr_edge *e)
{
	kgr_id p = g->rels[rel >> 1].pred, one_a, one_b, tb = g->node_id[b];
	uint32_t na, nb, fa, fb, ia, ib, *buf = NULL, *order = NULL;
	const kgr_id *ma = members_of(g, a, &one_a, &na, &fa), *mb = members_of(g, b, &one_b, &nb, &fb);
	int found = -1;

	(void)fb;
	if (fa != KGR__NONE) {
		uint32_t from = member_index(g, fa, na, cur);
		if (from != KGR__NONE && (buf = malloc(3 * (size_t)na * sizeof(uint32_t)))) {
			order = buf;
			na = same_bfs(g, fa, na, from, order, buf + na);
		}
	}
	for (ia = 0; ia < na && found < 0; ia++) {
		kgr_id x = order ? g->same.term[order[ia]] : ma[ia];
		for (ib = 0; ib <= nb && found < 0; ib++) {
			kgr_id y = ib == 0 ? tb : mb[ib - 1], s = rel & 1 ? y : x, o = rel & 1 ? x : y;
			if (ib > 0 && y == tb)
				continue;
			if (kgr_store_count(g->store, s, p, o) > 0) {
				e->s = s;
				e->p = p;
				e->o = o;
				e->reversed = (int)(rel & 1);
				found = 0;
			}
		}
	}
	free(buf);
	return found;
}

/* The sameAs steps from member from to member to inside the clique of node n, appended to
 * out[*n_out .. cap). -1 when they do not fit (or out of memory). */
static int same_chain(const kgr_graph *g, uint32_t n, kgr_id from, kgr_id to, kgr_edge *out, size_t cap,
	size_t *n_out)
{
	kgr_id one;
	uint32_t count, first, f, t, x, steps = 0, *buf;
	size_t at;
	int error = 0;

	members_of(g, n, &one, &count, &first);
	if (first == KGR__NONE || (f = member_index(g, first, count, from)) == KGR__NONE ||
		(t = member_index(g, first, count, to)) == KGR__NONE)
		return -1;
	if (!(buf = malloc(3 * (size_t)count * sizeof(uint32_t))))
		return -1;
	same_bfs(g, first, count, f, buf, buf + count);
	for (x = t; x != f && buf[count + 2 * (x - first)] < KGR__NONE - 1; x = buf[count + 2 * (x - first)])
		steps++;
	if (x != f || *n_out + steps > cap) {
		error = -1;
		goto done;
	}
	/* written from the far end back */
	at = *n_out + steps;
	for (x = t; x != f; x = buf[count + 2 * (x - first)]) {
		uint32_t prev = buf[count + 2 * (x - first)];
		const kgr__same_link *l = &g->same.link[buf[count + 2 * (x - first) + 1]];
		kgr_edge *e = &out[--at];
		/* link l of prev: (prev sameAs x), or (x sameAs prev) when reversed */
		e->p = g->id_sameas;
		e->s = l->reversed ? g->same.term[x] : g->same.term[prev];
		e->o = l->reversed ? g->same.term[prev] : g->same.term[x];
		e->reversed = (int)l->reversed;
	}
	*n_out += steps;
done:
	free(buf);
	return error;
}

/* The steps of a found path as triples (path_edges() first), from the source's term to the
 * candidate's, with the sameAs steps a crossing needs. -1 when they do not fit in cap. */
static int path_steps(const kgr_graph *g, const found_path *p, kgr_edge *out, size_t cap, size_t *n_out)
{
	kgr_id cur = g->node_id[p->nodes[0]], last = g->node_id[p->nodes[p->hops]];
	size_t n = 0;
	uint32_t i;
	for (i = 0; i < p->hops; i++) {
		const kgr_edge *e = &p->e[i];
		kgr_id from = e->reversed ? e->o : e->s;
		if (p->same && from != cur && same_chain(g, p->nodes[i], cur, from, out, cap, &n) < 0)
			return -1;
		if (n == cap)
			return -1;
		out[n++] = *e;
		cur = e->reversed ? e->s : e->o;
	}
	if (p->same && cur != last && same_chain(g, p->nodes[p->hops], cur, last, out, cap, &n) < 0)
		return -1;
	*n_out = n;
	return 0;
}

/* The triples of a found path. */
static void path_edges(const kgr_graph *g, found_path *p)
{
	kgr_id cur;
	uint32_t i;
	p->same = 0;
	if (p->rel[0] == KGR__NONE) {
		user_edges(g, p->ix[0], p->ix[1], p->e);
		return;
	}
	cur = g->node_id[p->nodes[0]];
	for (i = 0; i < p->hops; i++) {
		cat_edge(g, p->nodes[i], p->nodes[i + 1], p->rel[i], &p->e[i]);
		if ((g->flags[p->nodes[i]] | g->flags[p->nodes[i + 1]]) & KGR__NODE_SAMEAS) {
			p->same = 1;
			if (hop_triple(g, p->nodes[i], p->nodes[i + 1], p->rel[i], cur, &p->e[i]) < 0)
				p->check = -1;
		}
		cur = p->e[i].reversed ? p->e[i].s : p->e[i].o;
	}
}

/* Checked only for the paths about to be returned: two index lookups each, and a path
 * across a sameAs clique must fit with its sameAs steps after the user's own event. */
static int path_ok(const kgr_graph *g, found_path *p)
{
	if (p->check == 1)
		p->check = p->e[0].p && p->e[1].p && kgr_store_count(g->store, p->e[0].s, p->e[0].p, p->e[0].o) > 0 &&
				kgr_store_count(g->store, p->e[1].s, p->e[1].p, p->e[1].o) > 0
			? 0
			: -1;
	if (p->check == 0 && p->same == 1) {
		kgr_edge steps[KGR_MAX_PATH_EDGES];
		size_t n;
		p->same = 2; /* checked */
		if (path_steps(g, p, steps, KGR_MAX_PATH_EDGES - 1, &n) < 0)
			p->check = -1;
	}
	return p->check == 0;
}

static int cmp_found(const void *a, const void *b)
{
	const found_path *x = a, *y = b;
	uint32_t i;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->hops != y->hops)
		return x->hops < y->hops ? -1 : 1;
	for (i = 0; i <= x->hops; i++)
		if (x->nodes[i] != y->nodes[i])
			return x->nodes[i] < y->nodes[i] ? -1 : 1;
	return 0;
}

/* The same walk through the same nodes (a symmetric relation stated both ways). */
static int same_nodes(const found_path *a, const found_path *b)
{
	uint32_t i;
	if (a->hops != b->hops || a->src != b->src)
		return 0;
	for (i = 0; i <= a->hops; i++)
		if (a->nodes[i] != b->nodes[i])
			return 0;
	return 1;
}

static int same_pattern(const found_path *a, const found_path *b)
{
	uint32_t i;
	if (a->hops != b->hops)
		return 0;
	for (i = 0; i < a->hops; i++)
		if (a->e[i].p != b->e[i].p || a->e[i].reversed != b->e[i].reversed)
			return 0;
	return 1;
}

typedef struct {
	found_path *f;
	size_t n, cap;
	uint32_t min_hops;
	uint8_t h[MAX_FOUND]; /* f's indices as a heap whose root h[0] is the worst kept */
} found_set;

/* Heap entry i above j: in a heap of the worst kept (best 0), by cmp_found() the worse; in a
 * heap of the best (best 1), the better. Of two that tie (the same walk through a relation
 * stated both ways) the one in the lower slot goes above in both: it is the one a scan
 * would replace first, and the one a stable sort of the slots puts first. */
static inline int found_above(const found_set *fs, size_t i, size_t j, int best)
{
	int c = cmp_found(&fs->f[fs->h[i]], &fs->f[fs->h[j]]);
	return (best ? c < 0 : c > 0) || (c == 0 && fs->h[i] < fs->h[j]);
}

static void found_sift_down(found_set *fs, size_t n, size_t q, int best)
{
	for (;;) {
		size_t m = q, l = 2 * q + 1, r = l + 1;
		uint8_t t;
		if (l < n && found_above(fs, l, m, best))
			m = l;
		if (r < n && found_above(fs, r, m, best))
			m = r;
		if (m == q)
			return;
		t = fs->h[m];
		fs->h[m] = fs->h[q];
		fs->h[q] = t;
		q = m;
	}
}

/* Keep the MAX_FOUND best paths in a heap of their indices whose root is the worst kept, so a
 * full set costs one comparison per rejected path and a logarithmic sift per kept one. The
 * slots filled and replaced are those a scan for the first worst slot would pick, so the set
 * and its order of ties are the same. */
static void push_found(found_set *fs, const found_path *p)
{
	found_path *worst;
	size_t q;
	if (p->hops < fs->min_hops)
		fs->min_hops = p->hops;
	if (fs->n < fs->cap) {
		fs->f[fs->n] = *p;
		fs->h[fs->n] = (uint8_t)fs->n;
		for (q = fs->n++; q > 0 && found_above(fs, q, (q - 1) / 2, 0); q = (q - 1) / 2) {
			uint8_t t = fs->h[q];
			fs->h[q] = fs->h[(q - 1) / 2];
			fs->h[(q - 1) / 2] = t;
		}
		return;
	}
	/* most paths lose on the score alone */
	worst = &fs->f[fs->h[0]];
	if (p->score < worst->score || (p->score == worst->score && cmp_found(p, worst) >= 0))
		return;
	*worst = *p;
	found_sift_down(fs, fs->n, 0, 0);
}

/* 1 when a node of p stands for a sameAs clique (or is one of its items). */
static int path_in_clique(const kgr_graph *g, const found_path *p)
{
	uint32_t i;
	for (i = 0; i <= p->hops; i++)
		if (g->flags[p->nodes[i]] & KGR__NODE_SAMEAS)
			return 1;
	return 0;
}

/* The kept paths best first, taken as they are asked for: the set's heap turned into a heap
 * of the best, and each path popped from it gets its triples (path_edges()). The shown
 * paths are mostly among the first few, so most of the set is neither sorted nor derived. */
typedef struct {
	found_set *fs;
	const kgr_graph *g;
	found_path *out; /* out[0 .. filled): the best, in order (ties in slot order) */
	size_t filled, left;
} found_iter;

static void found_iter_begin(found_iter *it, found_set *fs, const kgr_graph *g, found_path *out)
{
	size_t q;
	it->fs = fs;
	it->g = g;
	it->out = out;
	it->filled = 0;
	it->left = fs->n;
	for (q = fs->n / 2; q-- > 0;)
		found_sift_down(fs, fs->n, q, 1);
}

/* The i-th best path (i < the set's size). */
static found_path *found_at(found_iter *it, size_t i)
{
	while (it->filled <= i) {
		found_set *fs = it->fs;
		found_path *p = &it->out[it->filled++];
		*p = fs->f[fs->h[0]];
		path_edges(it->g, p);
		fs->h[0] = fs->h[--it->left];
		found_sift_down(fs, it->left, 0, 1);
	}
	return &it->out[i];
}

/* Specificity: the relation weights, divided by log2(2 + items linked) of each inner node
 * (hubs ten times more) and by the square of the number of hops; the source's recency
 * weight counts half, so a short path from an older item beats a long one from the last. */
static double path_score(const kgr__req *rq, const found_path *p, const double *w)
{
	const kgr_graph *g = rq->g;
	double s = 0.5 + 0.5 * rq->src[p->src].w;
	uint32_t i;
	for (i = 0; i < p->hops; i++) {
		s *= w[i];
		if (i > 0)
			s /= spec(g, p->nodes[i]);
	}
	return s / (p->hops * p->hops);
}

#define RELW(rel) (g->rels[(rel) >> 1].weight)

/* A new path of `hops` steps from source index src through nodes[0 .. hops], each step
 * through the catalog (rels[i]) or, with rels NULL, through another user (interactions ix). */
static void path_start(found_path *p, uint32_t src, uint32_t hops, const uint32_t *nodes,
	const uint32_t *rels, const uint32_t *ix)
{
	p->src = src;
	p->hops = hops;
	memcpy(p->nodes, nodes, (hops + 1) * sizeof(uint32_t));
	p->same = 0;
	if (rels) {
		memcpy(p->rel, rels, hops * sizeof(uint32_t));
		p->check = 0;
	} else {
		p->rel[0] = KGR__NONE;
		p->ix[0] = ix[0];
		p->ix[1] = ix[1];
		p->check = 1;
	}
}

/* Count one found path under its relation pattern (explained candidates only): the
 * predicate and direction of each step, as path_edges() would give them. */
static void count_pattern(kgr__req *rq, const found_path *p)
{
	const kgr_graph *g = rq->g;
	kgr_path_pattern *pt;
	kgr_id pred[3];
	int rev[3];
	size_t i;
	uint32_t j;
	for (j = 0; j < p->hops; j++) {
		if (p->rel[0] == KGR__NONE) {
			pred[j] = action_of(g, p->ix[j]);
			rev[j] = j == 0;
		} else {
			pred[j] = g->rels[p->rel[j] >> 1].pred;
			rev[j] = (p->rel[j] & 1) != 0;
		}
	}
	for (i = 0; i < rq->n_pat; i++) {
		pt = &rq->pat[i];
		if (pt->n_edges != p->hops)
			continue;
		for (j = 0; j < p->hops; j++)
			if (pt->rel[j] != pred[j] || pt->reversed[j] != rev[j])
				break;
		if (j == p->hops) {
			pt->count++;
			return;
		}
	}
	if (rq->n_pat == rq->cap_pat) {
		size_t cap = rq->cap_pat ? rq->cap_pat * 2 : 16;
		kgr_path_pattern *np = realloc(rq->pat, cap * sizeof(*np));
		if (!np) {
			rq->pat_oom = 1;
			return;
		}
		rq->pat = np;
		rq->cap_pat = cap;
	}
	pt = &rq->pat[rq->n_pat++];
	memset(pt, 0, sizeof(*pt));
	pt->n_edges = p->hops;
	for (j = 0; j < p->hops; j++) {
		pt->rel[j] = pred[j];
		pt->reversed[j] = rev[j];
	}
	pt->count = 1;
}

/* Most frequent first; ties by length, then predicates and directions (deterministic). */
static int cmp_pattern(const void *a, const void *b)
{
	const kgr_path_pattern *x = a, *y = b;
	size_t i;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->n_edges != y->n_edges)
		return x->n_edges < y->n_edges ? -1 : 1;
	for (i = 0; i < x->n_edges; i++) {
		if (x->rel[i] != y->rel[i])
			return x->rel[i] < y->rel[i] ? -1 : 1;
		if (x->reversed[i] != y->reversed[i])
			return x->reversed[i] < y->reversed[i] ? -1 : 1;
	}
	return 0;
}

/* Score a complete path with its step weights w and keep it if it is among the best; with
 * patterns set, count it under its relation pattern too. */
static void path_add(found_set *fs, kgr__req *rq, found_path *p, const double *w, size_t *total,
	int patterns)
{
	p->score = path_score(rq, p, w);
	if (patterns)
		count_pattern(rq, p);
	push_found(fs, p);
	(*total)++;
}

/* 1 when a path would be rejected by a full set on its score alone (what push_found() would
 * do), having counted it: then it need not be built. Its score is num / den, num the product
 * of the source's recency weight (0.5 + 0.5 w) and the step weights, den that of the inner
 * nodes' specificities and hops squared; products instead of path_score()'s divisions, so
 * this bound is not the exact score: only a path clearly below the worst kept (by more than
 * their rounding) is skipped, and the others are scored exactly. Paths counted by pattern
 * are never skipped. */
static inline int path_skip(found_set *fs, int patterns, double num, double den, uint32_t hops,
	size_t *total)
{
	if (patterns || fs->n < fs->cap || num >= fs->f[fs->h[0]].score * den * (1 - 1e-12))
		return 0;
	if (hops < fs->min_hops)
		fs->min_hops = hops;
	(*total)++;
	return 1;
}

/* A source's recency weight in a path's score (path_score()). */
static inline double src_weight(const kgr__req *rq, uint32_t src)
{
	return 0.5 + 0.5 * rq->src[src].w;
}

/* One candidate's search: the best paths kept so far, shared by the catalog and the
 * collaborative search so that both feed one ranking. */
typedef struct {
	kgr__req *rq;
	uint32_t c;    /* the candidate */
	found_set fs;
	int patterns;  /* count paths per relation pattern (explained candidates) */
} path_search;

/* Paths whose last step is a catalog relation of the candidate: each neighbour closes a
 * path when it is a source (1 hop), in M1 (2 hops) or in M2 (3 hops), so the search costs
 * the candidate's degree, not the sources' reach. Returns the number of paths found. */
static size_t search_catalog(path_search *ps)
{
	kgr__req *rq = ps->rq;
	const kgr_graph *g = rq->g;
	kgr__map *M1 = &rq->sc->maps[KGR__MAP_M1], *M2 = &rq->sc->maps[KGR__MAP_M2];
	kgr__map *S = &rq->sc->maps[KGR__MAP_SRC];
	uint32_t c = ps->c, k, lim;
	int patterns = ps->patterns;
	size_t total = 0;
	found_path p;
	double pw[3];

	lim = g->cat_off[c + 1] - g->cat_off[c];
	if (lim > CAND_DEGREE_CAP)
		lim = CAND_DEGREE_CAP;
	for (k = g->cat_off[c]; k < g->cat_off[c] + lim; k++) {
		uint32_t z = g->cat[k].nbr, r = g->cat[k].rel ^ 1, a, b;
		double *v;
		if ((v = kgr__map_get(S, z)) && rq->src[(uint32_t)*v].node != c) {
			path_start(&p, (uint32_t)*v, 1, (const uint32_t[]){ z, c }, &r, NULL);
			pw[0] = RELW(r);
			path_add(&ps->fs, rq, &p, pw, &total, patterns);
		}
		if (rq->max_hops >= 2 && (v = kgr__map_get(M1, z))) {
			for (a = (uint32_t)*v; a != KGR__NONE; a = rq->par[a].next) {
				const struct kgr__parent *pa = &rq->par[a];
				uint32_t s = rq->src[pa->prev].node;
				const uint32_t nodes[3] = { s, z, c };
				if (pa->rel == KGR__NONE || s == c)
					continue;
				pw[0] = RELW(pa->rel);
				pw[1] = RELW(r);
				if (path_skip(&ps->fs, patterns, src_weight(rq, pa->prev) * pw[0] * pw[1],
					    spec(g, z) * 4, 2, &total))
					continue;
				path_start(&p, pa->prev, 2, nodes, (const uint32_t[]){ pa->rel, r }, NULL);
				path_add(&ps->fs, rq, &p, pw, &total, patterns);
			}
		}
		if (rq->max_hops >= 3 && (v = kgr__map_get(M2, z))) {
			for (b = (uint32_t)*v; b != KGR__NONE; b = rq->par[b].next) {
				const struct kgr__parent *pb = &rq->par[b];
				uint32_t x = pb->prev;
				double *vx = kgr__map_get(M1, x);
				double w12, den;
				if (x == c || !vx)
					continue;
				w12 = RELW(pb->rel) * RELW(r);
				den = spec(g, x) * spec(g, z) * 9;
				for (a = (uint32_t)*vx; a != KGR__NONE; a = rq->par[a].next) {
					const struct kgr__parent *pa = &rq->par[a];
					uint32_t s = rq->src[pa->prev].node;
					const uint32_t nodes[4] = { s, x, z, c };
					if (pa->rel == KGR__NONE || s == c || s == z)
						continue;
					pw[0] = RELW(pa->rel);
					pw[1] = RELW(pb->rel);
					pw[2] = RELW(r);
					if (path_skip(&ps->fs, patterns, src_weight(rq, pa->prev) * pw[0] * w12, den, 3,
						    &total))
						continue;
					path_start(&p, pa->prev, 3, nodes, (const uint32_t[]){ pa->rel, pb->rel, r },
						NULL);
					path_add(&ps->fs, rq, &p, pw, &total, patterns);
				}
			}
		}
	}
	return total;
}

/* Paths through another user (source <- user -> candidate): the candidate's users newest
 * first, capped so that a popular item costs no more than a niche one; events from `at` on
 * are not known to the request. Returns the number of paths found. */
static size_t search_collab(path_search *ps)
{
	kgr__req *rq = ps->rq;
	const kgr_graph *g = rq->g;
	kgr__map *M1 = &rq->sc->maps[KGR__MAP_M1];
	uint32_t c = ps->c, k, taken = 0;
	int patterns = ps->patterns;
	size_t total = 0;
	found_path p;
	double pw[3];

	for (k = g->iu_end[c]; k > g->iu_off[c] && taken < CAND_USERS_CAP; k--) {
		uint32_t ix = g->iu[k - 1], u = g->iu_user[k - 1], a;
		double *v, wc = g->iu_w[k - 1];
		if (rq->at && g->iu_time[k - 1] >= rq->at)
			continue;
		taken++;
		if (!(v = kgr__map_get(M1, u)))
			continue;
		for (a = (uint32_t)*v; a != KGR__NONE; a = rq->par[a].next) {
			const struct kgr__parent *pa = &rq->par[a];
			uint32_t s = rq->src[pa->prev].node;
			const uint32_t nodes[3] = { s, u, c };
			if (pa->ix == KGR__NONE || s == c)
				continue;
			pw[0] = g->int_w[pa->ix];
			pw[1] = wc;
			if (path_skip(&ps->fs, patterns, src_weight(rq, pa->prev) * pw[0] * pw[1],
				    spec(g, u) * 4, 2, &total))
				continue;
			path_start(&p, pa->prev, 2, nodes, NULL, (const uint32_t[]){ pa->ix, ix });
			path_add(&ps->fs, rq, &p, pw, &total, patterns);
		}
	}
	return total;
}

/* The paths to show among the n found (sorted best first): distinct relation patterns
 * first, so that the evidence is varied, then the best of the rest; each checked against
 * the store before it is taken. chosen[] gets their indexes in score order; returns how
 * many. */
static size_t choose_paths(const kgr_graph *g, found_iter *it, size_t n, size_t *chosen)
{
	size_t i, j, n_chosen = 0;
	for (i = 0; i < n && n_chosen < KGR_MAX_PATHS; i++) {
		found_path *fi = found_at(it, i);
		for (j = 0; j < n_chosen; j++)
			if (same_pattern(fi, &it->out[chosen[j]]) || same_nodes(fi, &it->out[chosen[j]]))
				break;
		if (j == n_chosen && path_ok(g, fi))
			chosen[n_chosen++] = i;
	}
	for (i = 0; i < n && n_chosen < KGR_MAX_PATHS; i++) {
		found_path *fi = found_at(it, i);
		for (j = 0; j < n_chosen; j++)
			if (chosen[j] == i || same_nodes(fi, &it->out[chosen[j]]))
				break;
		if (j == n_chosen && path_ok(g, fi))
			chosen[n_chosen++] = i;
	}
	/* keep them in score order */
	for (i = 1; i < n_chosen; i++)
		for (j = i; j > 0 && chosen[j - 1] > chosen[j]; j--) {
			size_t t = chosen[j];
			chosen[j] = chosen[j - 1];
			chosen[j - 1] = t;
		}
	return n_chosen;
}

/* A chosen path as shown: the user's own event first when the store holds it (a live
 * event is not evidence yet), then the path's triples with any sameAs steps. */
static void path_out(const kgr__req *rq, const found_path *fp, kgr_path *out)
{
	const kgr_graph *g = rq->g;
	const kgr__source *src = &rq->src[fp->src];
	size_t e = 0, j;
	memset(out, 0, sizeof(*out));
	out->from = g->node_id[src->node];
	out->score = fp->score;
	if (rq->user && src->int_idx != KGR__NONE) {
		const kgr_interaction *in = &g->ints[src->int_idx];
		kgr_edge ue = { in->user, action_of(g, src->int_idx), in->item, 0 };
		if (ue.p && kgr_store_count(g->store, ue.s, ue.p, ue.o) > 0)
			out->edges[e++] = ue;
	}
	if (fp->same) {
		size_t n_steps = 0;
		/* fits: path_ok() tried it */
		path_steps(g, fp, out->edges + e, KGR_MAX_PATH_EDGES - e, &n_steps);
		e += n_steps;
	} else
		for (j = 0; j < fp->hops; j++)
			out->edges[e++] = fp->e[j];
	out->n_edges = e;
}

/* Recency and hub share describe the best path alone (the first shown, or with no paths
 * asked the best found, unchecked): the one a rationale would cite. */
static void best_path_stats(const kgr__req *rq, const found_path *best, kgr__path_stats *st)
{
	const kgr_graph *g = rq->g;
	uint32_t j;
	st->recency = rq->src[best->src].recency;
	if (best->hops > 1) {
		uint32_t hubs = 0;
		for (j = 1; j < best->hops; j++)
			if (g->flags[best->nodes[j]] & KGR__NODE_HUB)
				hubs++;
		st->hub_share = (double)hubs / (double)(best->hops - 1);
	}
}

void kgr__paths_prefetch(const kgr__req *rq, uint32_t c, int stage)
{
	const kgr_graph *g = rq->g;
	int cat = c < g->n_cat_nodes, ints = c < g->int_cap_nodes;
	if (stage == 0) {
		if (cat)
			__builtin_prefetch(&g->cat_off[c]);
		if (ints) {
			__builtin_prefetch(&g->iu_off[c]);
			__builtin_prefetch(&g->iu_end[c]);
		}
		__builtin_prefetch(&g->flags[c]);
		return;
	}
	if (cat && g->cat_off[c + 1] > g->cat_off[c])
		__builtin_prefetch(&g->cat[g->cat_off[c]]);
	if (ints && g->iu_end[c] > g->iu_off[c]) {
		uint32_t k = g->iu_end[c] - 1;
		__builtin_prefetch(&g->iu[k]);
		__builtin_prefetch(&g->iu_user[k]);
		__builtin_prefetch(&g->iu_w[k]);
		__builtin_prefetch(&g->iu_time[k]);
	}
}

void kgr__paths_find(kgr__req *rq, uint32_t c, kgr_path *paths, size_t *n_paths, kgr__path_stats *st)
{
	const kgr_graph *g = rq->g;
	found_path *f = rq->found;
	path_search ps;
	found_iter it;
	size_t n, total = 0, i, chosen[KGR_MAX_PATHS], n_chosen;

	memset(st, 0, sizeof(*st));
	if (n_paths)
		*n_paths = 0;
	ps.rq = rq;
	ps.c = c;
	ps.fs.f = f;
	ps.fs.n = 0;
	ps.fs.cap = paths ? MAX_FOUND : 1; /* features need the best path only */
	ps.fs.min_hops = 99;
	ps.patterns = paths != NULL;
	rq->n_pat = 0;
	rq->pat_oom = 0;
	if (c < g->n_cat_nodes) {
		st->n_catalog = search_catalog(&ps);
		total += st->n_catalog;
	}
	if (rq->max_hops >= 2 && (g->flags[c] & KGR__NODE_ITEM)) {
		st->n_collab = search_collab(&ps);
		total += st->n_collab;
	}
	if (paths) {
		st->patterns = rq->pat;
		st->n_patterns = rq->n_pat;
		st->patterns_oom = rq->pat_oom;
	}
	n = ps.fs.n;
	if (n == 0)
		return;
	if (!paths) {
		/* features only: the best path (the set holds one), unchecked */
		st->n_found = total;
		st->shortest = (int)ps.fs.min_hops;
		best_path_stats(rq, &f[0], st);
		return;
	}
	found_iter_begin(&it, &ps.fs, g, f + MAX_FOUND);
	if ((n_chosen = choose_paths(g, &it, n, chosen)) == 0)
		return;
	for (i = 0; i < n_chosen; i++)
		path_out(rq, &it.out[chosen[i]], &paths[i]);
	*n_paths = n_chosen;
	st->shortest = 0;
	st->n_found = total;
	/* the shortest path that is not known to be unshowable: of those not taken from the set,
	 * only a step through a sameAs clique can make one so (path_edges()) */
	for (i = 0; i < it.filled + it.left; i++) {
		found_path *p = i < it.filled ? &it.out[i] : &ps.fs.f[ps.fs.h[i - it.filled]];
		if (i >= it.filled && path_in_clique(g, p))
			path_edges(g, p);
		if (p->check != -1 && (!st->shortest || (int)p->hops < st->shortest))
			st->shortest = (int)p->hops;
	}
	best_path_stats(rq, &it.out[chosen[0]], st);
}

static int cmp_pattern_at(const void *a, const void *b, void *pat)
{
	const kgr_path_pattern *p = pat;
	return cmp_pattern(&p[*(const uint32_t *)a], &p[*(const uint32_t *)b]);
}

int kgr__paths_patterns_sorted(const kgr__path_stats *st, kgr_path_pattern *out)
{
	uint32_t small[256], *ord = small, i;
	size_t n = st->n_patterns;
	if (n > 256 && !(ord = malloc(n * sizeof(*ord))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		ord[i] = i;
	if (n <= 48) {
		/* a request's few patterns: insertion with the comparison inlined (no two patterns
		 * compare equal, so this is the order qsort_r gives) */
		for (i = 1; i < n; i++) {
			uint32_t x = ord[i], j = i;
			for (; j > 0 && cmp_pattern(&st->patterns[x], &st->patterns[ord[j - 1]]) < 0; j--)
				ord[j] = ord[j - 1];
			ord[j] = x;
		}
	} else {
		qsort_r(ord, n, sizeof(*ord), cmp_pattern_at, (void *)st->patterns);
	}
	for (i = 0; i < n; i++)
		out[i] = st->patterns[ord[i]];
	if (ord != small)
		free(ord);
	return 0;
}

void kgr__req_free(kgr__req *rq)
{
	free(rq->found);
	rq->found = NULL;
	free(rq->pat);
	rq->pat = NULL;
	rq->n_pat = rq->cap_pat = 0;
	free(rq->par);
	free(rq->src);
	rq->par = NULL;
	rq->src = NULL;
	rq->cap_par = rq->cap_src = 0;
}

/* ---- rationale ---- */

const char *kgr__phrase_of(const kgr_graph *g, kgr_id p)
{
	size_t r;
	kgr_id ph, o;
	for (r = 0; r < g->n_rels; r++)
		if (g->rels[r].pred == p)
			return g->rels[r].phrase;
	ph = g->id_phrase;
	if (ph && (o = kgr_store_object(g->store, p, ph)) &&
		kgr_term_kind_of(g->store, o) == KGR_TERM_LITERAL)
		return kgr_term_value(g->store, o, NULL);
	if (p && p == g->id_sameas)
		return "is the same as"; /* a store made before the ontology gave it a phrase */
	return kgr_store_label(g->store, p);
}

static const char *shared_of(const kgr_graph *g, kgr_id p)
{
	size_t r;
	for (r = 0; r < g->n_rels; r++)
		if (g->rels[r].pred == p)
			return g->rels[r].shared;
	return NULL;
}

/* An annotation of a predicate that is not a walked relation (an action): its literal, or NULL. */
static const char *annotation_of(const kgr_graph *g, kgr_id p, kgr_id annotation)
{
	kgr_id o;
	if (!p || !annotation || !(o = kgr_store_object(g->store, p, annotation)) ||
		kgr_term_kind_of(g->store, o) != KGR_TERM_LITERAL)
		return NULL;
	return kgr_term_value(g->store, o, NULL);
}

/* The phrase with the object's place ("added {o} to the cart"), or NULL when the object simply
 * follows the phrase. */
static const char *template_of(const kgr_graph *g, kgr_id p)
{
	size_t r;
	const char *t;
	for (r = 0; r < g->n_rels; r++)
		if (g->rels[r].pred == p)
			return g->rels[r].tmpl;
	t = annotation_of(g, p, g->id_tmpl);
	return t && strstr(t, "{o}") ? t : NULL;
}

/* The phrase read against the edge ("is the category of"), or NULL when the ontology has none. */
static const char *inverse_of(const kgr_graph *g, kgr_id p)
{
	size_t r;
	for (r = 0; r < g->n_rels; r++)
		if (g->rels[r].pred == p)
			return g->rels[r].inverse;
	return annotation_of(g, p, g->id_inverse);
}

void kgr__put_predicate(kgr__buf *b, const kgr_graph *g, kgr_id p, const char *object)
{
	const char *t = template_of(g, p), *at;
	if (!t) {
		kgr__buf_puts(b, kgr__phrase_of(g, p));
		kgr__buf_puts(b, " ");
		kgr__buf_puts(b, object);
		return;
	}
	for (; (at = strstr(t, "{o}")); t = at + 3) {
		kgr__buf_put(b, t, (size_t)(at - t));
		kgr__buf_puts(b, object);
	}
	kgr__buf_puts(b, t);
}

void kgr__clause_format(char *out, size_t size, const kgr_graph *g, const char *subject, kgr_id p,
	const char *object)
{
	const char *t = template_of(g, p), *at = t ? strstr(t, "{o}") : NULL;
	if (at)
		snprintf(out, size, "%s %.*s%s%s", subject, (int)(at - t), t, object, at + 3);
	else
		snprintf(out, size, "%s %s %s", subject, kgr__phrase_of(g, p), object);
}

void kgr__put_clause(kgr__buf *b, const kgr_graph *g, const char *subject, kgr_id p, const char *object)
{
	kgr__buf_puts(b, subject);
	kgr__buf_puts(b, " ");
	kgr__put_predicate(b, g, p, object);
}

static int is_user(const kgr_graph *g, kgr_id id)
{
	uint32_t n = kgr__node_of(g, id);
	return n != KGR__NONE && (g->flags[n] & KGR__NODE_USER);
}

static int is_item(const kgr_graph *g, kgr_id id)
{
	uint32_t n = kgr__node_of(g, id);
	return n != KGR__NONE && (g->flags[n] & KGR__NODE_ITEM);
}

/* Name of a node in a sentence: "it" for the history item the path starts from (a category or
 * a word's node it starts from keeps its name), "you" for the user, "a customer" for others. */
static const char *name_of(const kgr_graph *g, kgr_id id, kgr_id from, kgr_id user)
{
	if (id == from && is_item(g, id))
		return "it";
	if (id == user && user)
		return "you";
	if (is_user(g, id))
		return "a customer";
	return kgr_store_label(g->store, id);
}

/* The walk from the history item to the candidate, one clause an edge, each read from the node
 * the walk is at: "it goes well with A, which has the accessory B". An edge whose relation has
 * no inverse phrase and is walked backwards is said the way it is stored ("..., and B is an
 * accessory for A"). A one-edge walk against its edge keeps the candidate first ("B is an
 * accessory for it"), the most natural order for the one sentence that explains an item. */
static void put_walk(kgr__buf *b, const kgr_graph *g, const kgr_path *path, size_t i, kgr_id user)
{
	const kgr_edge *e = path->edges;
	size_t first = i, n = path->n_edges;
	kgr_id at = path->from;

	for (; i < n; i++) {
		kgr_id next = e[i].reversed ? e[i].s : e[i].o;
		const char *inv = e[i].reversed && n - first > 1 ? inverse_of(g, e[i].p) : NULL;
		int from_here = !e[i].reversed || inv;
		if (i > first)
			kgr__buf_puts(b, from_here ? (is_user(g, at) ? ", who " : ", which ") : ", and ");
		if (from_here && i == first)
			kgr__buf_puts(b, name_of(g, at, path->from, user));
		if (from_here && i == first)
			kgr__buf_puts(b, " ");
		if (!e[i].reversed)
			kgr__put_predicate(b, g, e[i].p, name_of(g, next, path->from, user));
		else if (inv) {
			kgr__buf_puts(b, inv);
			kgr__buf_puts(b, " ");
			kgr__buf_puts(b, name_of(g, next, path->from, user));
		} else
			kgr__put_clause(b, g, name_of(g, next, path->from, user), e[i].p,
				name_of(g, at, path->from, user));
		at = next;
	}
}

char *kgr_path_rationale(const kgr_graph *g, kgr_id user, const kgr_path *path, kgr_id item)
{
	return kgr__path_rationale(g, user, path, item, NULL);
}

char *kgr__path_rationale(const kgr_graph *g, kgr_id user, const kgr_path *path, kgr_id item,
	const char *lead)
{
	kgr__buf b = { 0 };
	size_t i = 0, n = path->n_edges;
	const kgr_edge *e = path->edges;
	const char *from = kgr_store_label(g->store, path->from);

	if (n == 0)
		return NULL;
	if (lead) {
		kgr__buf_puts(&b, lead);
		if (user && e[0].s == user && e[0].o == path->from && !e[0].reversed)
			i = 1;
	} else if (user && e[0].s == user && e[0].o == path->from && !e[0].reversed) {
		kgr__put_clause(&b, g, "You", e[0].p, from);
		i = 1;
	} else {
		kgr__buf_puts(&b, "You asked about ");
		kgr__buf_puts(&b, from);
	}
	kgr__buf_puts(&b, "; ");
	if (n - i == 2 && e[i].p == e[i + 1].p && !e[i].reversed && e[i + 1].reversed &&
		e[i + 1].s == item && (is_item(g, e[i].o) || !shared_of(g, e[i].p))) {
		/* from -p-> x <-p- item, x a product (or p a relation between products): the
		 * candidate, like it, is an accessory for x */
		kgr__buf_puts(&b, kgr_store_label(g->store, item));
		kgr__buf_puts(&b, ", like ");
		kgr__buf_puts(&b, name_of(g, path->from, path->from, user));
		kgr__buf_puts(&b, ", ");
		kgr__put_predicate(&b, g, e[i].p, kgr_store_label(g->store, e[i].o));
	} else if (n - i == 2 && e[i].p == e[i + 1].p && !e[i].reversed && e[i + 1].reversed &&
		e[i + 1].s == item) {
		/* from -p-> x <-p- item: they share the brand x */
		kgr__buf_puts(&b, kgr_store_label(g->store, item));
		kgr__buf_puts(&b, " shares ");
		kgr__buf_puts(&b, shared_of(g, e[i].p));
		kgr__buf_puts(&b, " ");
		kgr__buf_puts(&b, kgr_store_label(g->store, e[i].o));
		kgr__buf_puts(&b, is_item(g, path->from) ? " with it" : " with ");
		if (!is_item(g, path->from))
			kgr__buf_puts(&b, from);
	} else if (n - i == 2 && is_user(g, e[i].s) && e[i].s == e[i + 1].s && e[i].reversed &&
		!e[i + 1].reversed) {
		/* from <-a- customer -b-> item */
		kgr__put_clause(&b, g, "a customer who", e[i].p, name_of(g, path->from, path->from, user));
		kgr__buf_puts(&b, " also ");
		kgr__put_predicate(&b, g, e[i + 1].p, kgr_store_label(g->store, item));
	} else
		put_walk(&b, g, path, i, user);
	return kgr__buf_take(&b);
}

/* Appends s to out[0 .. size) at len as snprintf would (what fits, NUL-terminated); returns
 * the length the whole text would have. */
static size_t name_part(char *out, size_t size, size_t len, const char *s, size_t n)
{
	if (len < size) {
		size_t c = n < size - len - 1 ? n : size - len - 1;
		memcpy(out + len, s, c);
		out[len + c] = '\0';
	}
	return len + n;
}

size_t kgr_path_pattern_name(const kgr_store *store, const kgr_path_pattern *pattern, char *out, size_t size)
{
	size_t e, len = 0;
	if (size)
		out[0] = '\0';
	for (e = 0; e < pattern->n_edges && e < KGR_MAX_PATH_EDGES; e++) {
		const char *v = pattern->rel[e] ? kgr_term_value(store, pattern->rel[e], NULL) : NULL, *ln, *end;
		if (!v)
			v = "?";
		end = ln = v + strlen(v);
		while (ln > v && ln[-1] != '/' && ln[-1] != '#')
			ln--;
		if (e)
			len = name_part(out, size, len, " / ", 3);
		len = name_part(out, size, len, ln, (size_t)(end - ln));
		if (pattern->reversed[e])
			len = name_part(out, size, len, "^-1", 3);
	}
	return len;
}
