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

int kgr__ppr_push(const kgr_graph *g, kgr__scratch *sc, const uint32_t *seeds, const double *w,
	size_t n, double alpha, double eps, int64_t at)
{
	kgr__map *P = &sc->maps[KGR__MAP_P], *R = &sc->maps[KGR__MAP_R], *Q = &sc->maps[KGR__MAP_TMP];
	size_t i, head = 0, tail = 0, qcap = sc->node_cap, visits = 0;
	double total = 0;
	double *v;

	kgr__map_reset(P);
	kgr__map_reset(R);
	kgr__map_reset(Q);
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
		if (!(v = kgr__map_put(R, seeds[i])))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		*v += (w ? w[i] : 1.0) / total;
	}
	for (i = 0; i < R->n; i++) {
		if (!(v = kgr__map_put(Q, R->keys[i])))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		*v = 1;
		sc->queue[tail] = R->keys[i];
		tail = (tail + 1) % qcap;
	}
	while (head != tail) {
		uint32_t u = sc->queue[head], k;
		double ru, d, push;
		head = (head + 1) % qcap;
		*kgr__map_get(Q, u) = 0;
		ru = *kgr__map_get(R, u);
		d = wdeg(g, u);
		if (ru <= eps * d || ru <= 0)
			continue;
		if (!(v = kgr__map_put(P, u)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		*kgr__map_get(R, u) = 0;
		if (d <= 0) {
			*v += ru; /* a dead end keeps its mass */
			continue;
		}
		*v += alpha * ru;
		push = (1 - alpha) * ru / d;
#define PUSH_TO(node, weight)                                                                   \
	do {                                                                                        \
		uint32_t nb_ = (node);                                                                  \
		double *rv_ = kgr__map_put(R, nb_), *qv_;                                               \
		if (!rv_)                                                                               \
			return kgr__error_set(KGR_ENOMEM, "out of memory");                                 \
		*rv_ += push * (weight);                                                                \
		if (*rv_ > eps * wdeg(g, nb_)) {                                                        \
			if (!(qv_ = kgr__map_put(Q, nb_)))                                                  \
				return kgr__error_set(KGR_ENOMEM, "out of memory");                             \
			if (*qv_ == 0) {                                                                    \
				*qv_ = 1;                                                                       \
				sc->queue[tail] = nb_;                                                          \
				tail = (tail + 1) % qcap;                                                       \
			}                                                                                   \
		}                                                                                       \
	} while (0)
		if (u < g->n_cat_nodes)
			for (k = g->cat_off[u]; k < g->cat_off[u + 1]; k++)
				PUSH_TO(g->cat[k].nbr, g->rels[g->cat[k].rel >> 1].weight);
		if (g->flags[u] & KGR__NODE_USER) {
			uint32_t a = g->hist_off[u], b = a + g->hist_len[u];
			for (k = a; k < b; k++) {
				if (at && g->ints[k].time >= at)
					continue;
				PUSH_TO(g->int_inode[k], g->int_w[k]);
			}
			visits += b - a;
		}
		if (g->flags[u] & KGR__NODE_ITEM) {
			for (k = g->iu_off[u]; k < g->iu_end[u]; k++) {
				uint32_t ix = g->iu[k];
				if (at && g->ints[ix].time >= at)
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
	for (i = 0; i < R->n; i++) {
		if (R->vals[i] <= 0)
			continue;
		if (!(v = kgr__map_put(P, R->keys[i])))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		*v += alpha * R->vals[i];
	}
	kgr__map_reset(Q);
	return 0;
}
