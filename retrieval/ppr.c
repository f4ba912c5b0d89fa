/* Personalized PageRank by forward push (R. Andersen, F. Chung, K. Lang, "Local graph
 * partitioning using PageRank vectors", FOCS 2006), on the weighted undirected graph of
 * catalog relations and interactions. A full solve (igraph's PRPACK) costs seconds on a
 * multi-million-edge graph; the push touches only the neighbourhood of the seeds.
 *
 * Invariant: p + PPR(r) = PPR(seeds). A node u is pushed while r[u] > eps * d(u); at the end
 * every node satisfies |p[u] - ppr[u]| <= eps * d(u) (d: weighted degree). The result adds
 * alpha * r[u], the part of the residual a push would settle on u itself.
 * Complexity: O(1 / (alpha * eps)) edge visits, independent of the graph's size. */
#include "retrieval/internal.h"

#include <stdlib.h>

#define PUSH_MAX_VISITS 4000000u

static inline double wdeg(const kgr_graph *g, uint32_t u)
{
	return g->wdeg[u];
}

/* Asks for what pushing node u reads first: its degree, flags and list offsets. */
static inline void ask_node(const kgr_graph *g, uint32_t u)
{
	__builtin_prefetch(&g->wdeg[u]);
	__builtin_prefetch(&g->flags[u]);
	if (u < g->n_cat_nodes)
		__builtin_prefetch(&g->cat_off[u]);
}

/* Asks for what pushing to node nb reads: its degree and its slot in R. A node's neighbours
 * are all asked for before the first is pushed to, so that their cache misses overlap. */
static inline void ask_slot(const kgr_graph *g, const kgr__map *R, uint32_t nb)
{
	__builtin_prefetch(&g->wdeg[nb]);
	__builtin_prefetch(&R->tab[2 * kgr__map_home(R, nb)]);
}

/* Room for the value arrays of every node R holds. */
static int ppr_room(kgr__scratch *sc, size_t n)
{
	size_t cap = sc->ppr_cap ? sc->ppr_cap : 1024;
	double *p;
	uint8_t *q;
	if (n <= sc->ppr_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (!(p = realloc(sc->ppr, cap * sizeof(double))))
		return -1;
	sc->ppr = p;
	if (!(q = realloc(sc->ppr_queued, cap)))
		return -1;
	sc->ppr_queued = q;
	sc->ppr_cap = cap;
	return 0;
}

int kgr__ppr_push(const kgr_graph *g, kgr__scratch *sc, const uint32_t *seeds, const double *w,
	size_t n, double alpha, double eps, int64_t at)
{
	/* one map of the nodes reached (R: residuals) with two arrays beside it: the estimate p
	 * and whether the node waits in the queue; the queue holds indices into R */
	kgr__map *R = &sc->maps[KGR__MAP_R];
	size_t i, head = 0, tail = 0, qcap = sc->node_cap, visits = 0;
	double total = 0, *p, *r;

	kgr__map_reset(R);
	if (!sc->queue || sc->queue_cap < qcap) {
		uint32_t *nq = realloc(sc->queue, qcap * sizeof(uint32_t));
		if (!nq)
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		sc->queue = nq;
		sc->queue_cap = qcap;
	}
	for (i = 0; i < n; i++)
		total += w ? w[i] : 1.0;
	if (total <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!(r = kgr__map_put(R, seeds[i])))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		*r += (w ? w[i] : 1.0) / total;
	}
	if (ppr_room(sc, R->n) < 0)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < R->n; i++) {
		sc->ppr[i] = 0;
		sc->ppr_queued[i] = 1;
		sc->queue[tail] = (uint32_t)i;
		tail = (tail + 1) % qcap;
	}
	while (head != tail) {
		uint32_t ui = sc->queue[head], u = R->keys[ui], k;
		double ru, d, push;
		head = (head + 1) % qcap;
		sc->ppr_queued[ui] = 0;
		ru = R->vals[ui];
		d = wdeg(g, u);
		if (ru <= eps * d || ru <= 0)
			continue;
		p = &sc->ppr[ui];
		R->vals[ui] = 0;
		if (d <= 0) {
			*p += ru; /* a dead end keeps its mass */
			continue;
		}
		*p += alpha * ru;
		push = (1 - alpha) * ru / d;
#define PUSH_TO(node, weight)                                                                   \
	do {                                                                                        \
		uint32_t nb_ = (node);                                                                  \
		size_t n_ = R->n, ix_;                                                                  \
		double *rv_ = kgr__map_put(R, nb_);                                                     \
		if (!rv_)                                                                               \
			return kgr__error_set(KGR_ENOMEM, "out of memory");                                 \
		ix_ = (size_t)(rv_ - R->vals);                                                          \
		if (R->n > n_) {                                                                        \
			if (ppr_room(sc, R->n) < 0)                                                         \
				return kgr__error_set(KGR_ENOMEM, "out of memory");                             \
			sc->ppr[ix_] = 0;                                                                   \
			sc->ppr_queued[ix_] = 0;                                                            \
		}                                                                                       \
		*rv_ += push * (weight);                                                                \
		if (*rv_ > eps * wdeg(g, nb_) && !sc->ppr_queued[ix_]) {                                \
			sc->ppr_queued[ix_] = 1;                                                            \
			sc->queue[tail] = (uint32_t)ix_;                                                    \
			tail = (tail + 1) % qcap;                                                           \
		}                                                                                       \
	} while (0)
		if (head != tail)
			ask_node(g, R->keys[sc->queue[head]]);
		if (u < g->n_cat_nodes) {
			for (k = g->cat_off[u]; k < g->cat_off[u + 1]; k++)
				ask_slot(g, R, g->cat[k].nbr);
			for (k = g->cat_off[u]; k < g->cat_off[u + 1]; k++)
				PUSH_TO(g->cat[k].nbr, g->rels[g->cat[k].rel >> 1].weight);
		}
		if (g->flags[u] & KGR__NODE_USER) {
			uint32_t a = g->hist_off[u], b = a + g->hist_len[u];
			for (k = a; k < b; k++)
				ask_slot(g, R, g->int_inode[k]);
			for (k = a; k < b; k++) {
				if (at && g->ints[k].time >= at)
					continue;
				PUSH_TO(g->int_inode[k], g->int_w[k]);
			}
			visits += b - a;
		}
		if (g->flags[u] & KGR__NODE_ITEM) {
			for (k = g->iu_off[u]; k < g->iu_end[u]; k++)
				ask_slot(g, R, g->iu_user[k]);
			for (k = g->iu_off[u]; k < g->iu_end[u]; k++) {
				if (at && g->iu_time[k] >= at)
					continue;
				PUSH_TO(g->iu_user[k], g->iu_w[k]);
			}
			visits += g->iu_end[u] - g->iu_off[u];
		}
#undef PUSH_TO
		if (u < g->n_cat_nodes)
			visits += g->cat_off[u + 1] - g->cat_off[u];
		if (visits > PUSH_MAX_VISITS)
			break;
	}
	/* what a push would settle on each node now: p + alpha r is still a lower bound of the
	 * exact value and ranks the nodes the walk reached but did not push */
	for (i = 0; i < R->n; i++)
		if (R->vals[i] > 0)
			sc->ppr[i] += alpha * R->vals[i];
	return 0;
}
