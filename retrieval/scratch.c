/* Per-thread scratch for requests: node maps (an open-addressing index over insertion-ordered
 * keys and values) and the push queue, kept between requests so a request costs what it
 * touches, not the size of the graph. Freed at thread exit. */
#include "retrieval/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MIN_BITS 10

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
	kgr__scratch *sc = p;
	size_t i;
	if (!sc)
		return;
	for (i = 0; i < KGR__MAP__COUNT; i++) {
		free(sc->maps[i].tab);
		free(sc->maps[i].keys);
		free(sc->maps[i].vals);
	}
	free(sc->queue);
	free(sc->ppr);
	free(sc->ppr_queued);
	free(sc->cand);
	free(sc->src);
	free(sc->par);
	free(sc->found);
	free(sc->pat);
	free(sc);
}

static void scratch_key_init(void)
{
	pthread_key_create(&scratch_key, scratch_free);
}

/* A table of 2^bits empty slots. */
static int map_table(kgr__map *m, uint32_t bits)
{
	uint32_t *t = calloc((size_t)2 << bits, sizeof(uint32_t));
	if (!t)
		return -1;
	free(m->tab);
	m->tab = t;
	m->mask = (1u << bits) - 1;
	m->shift = 32 - bits;
	return 0;
}

kgr__scratch *kgr__scratch_get(size_t n_nodes)
{
	kgr__scratch *sc;
	size_t i;
	pthread_once(&scratch_once, scratch_key_init);
	sc = pthread_getspecific(scratch_key);
	if (!sc) {
		if (!(sc = calloc(1, sizeof(*sc))))
			return NULL;
		for (i = 0; i < KGR__MAP__COUNT; i++)
			if (map_table(&sc->maps[i], MAP_MIN_BITS) < 0) {
				scratch_free(sc);
				return NULL;
			}
		if (pthread_setspecific(scratch_key, sc) != 0) {
			scratch_free(sc);
			return NULL;
		}
	}
	if (sc->node_cap < n_nodes)
		sc->node_cap = n_nodes + n_nodes / 4 + 64;
	return sc;
}

void kgr__map_reset(kgr__map *m)
{
	size_t i;
	if (!m->n)
		return;
	if (m->n * 8 >= (size_t)m->mask + 1)
		memset(m->tab, 0, ((size_t)m->mask + 1) * 2 * sizeof(uint32_t));
	else
		for (i = 0; i < m->n; i++) {
			uint32_t h = kgr__map_home(m, m->keys[i]);
			while (m->tab[2 * h] != m->keys[i] || !m->tab[2 * h + 1])
				h = (h + 1) & m->mask;
			m->tab[2 * h + 1] = 0;
		}
	m->n = 0;
}

void kgr__scratch_reset(kgr__scratch *sc)
{
	size_t i;
	for (i = 0; i < KGR__MAP__COUNT; i++)
		kgr__map_reset(&sc->maps[i]);
}

/* Double the table and put every key back at its index. */
static int map_grow(kgr__map *m)
{
	uint32_t bits = 32 - m->shift + 1;
	size_t i;
	if (bits > 31 || map_table(m, bits) < 0)
		return -1;
	for (i = 0; i < m->n; i++) {
		uint32_t h = kgr__map_home(m, m->keys[i]);
		while (m->tab[2 * h + 1])
			h = (h + 1) & m->mask;
		m->tab[2 * h] = m->keys[i];
		m->tab[2 * h + 1] = (uint32_t)i + 1;
	}
	return 0;
}

double *kgr__map_put(kgr__map *m, uint32_t node)
{
	uint32_t h = kgr__map_home(m, node), s;
	for (; (s = m->tab[2 * h + 1]); h = (h + 1) & m->mask)
		if (m->tab[2 * h] == node)
			return &m->vals[s - 1];
	if ((m->n + 1) * 2 > (size_t)m->mask + 1) {
		if (map_grow(m) < 0)
			return NULL;
		h = kgr__map_home(m, node);
		while (m->tab[2 * h + 1])
			h = (h + 1) & m->mask;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint32_t *k = realloc(m->keys, cap * sizeof(uint32_t));
		double *v;
		if (!k)
			return NULL;
		m->keys = k;
		if (!(v = realloc(m->vals, cap * sizeof(double))))
			return NULL;
		m->vals = v;
		m->cap = cap;
	}
	m->keys[m->n] = node;
	m->vals[m->n] = 0;
	m->n++;
	m->tab[2 * h] = node;
	m->tab[2 * h + 1] = (uint32_t)m->n;
	return &m->vals[m->n - 1];
}

/* Move a buffer and its capacity from (*fp, *fc) to (*tp, *tc) when the target is empty. */
static void move_buf(void **fp, size_t *fc, void **tp, size_t *tc)
{
	if (*tp || !*fp)
		return;
	*tp = *fp;
	*tc = *fc;
	*fp = NULL;
	*fc = 0;
}

void kgr__scratch_lend(kgr__scratch *sc, kgr__req *rq, void **cand, size_t *cand_cap)
{
	size_t none = 0;
	move_buf(&sc->cand, &sc->cand_cap, cand, cand_cap);
	move_buf(&sc->src, &sc->src_cap, (void **)&rq->src, &rq->cap_src);
	move_buf(&sc->par, &sc->par_cap, (void **)&rq->par, &rq->cap_par);
	move_buf(&sc->found, &none, &rq->found, &none);
	move_buf(&sc->pat, &sc->pat_cap, (void **)&rq->pat, &rq->cap_pat);
}

void kgr__scratch_take_back(kgr__scratch *sc, kgr__req *rq, void **cand, size_t *cand_cap)
{
	size_t none = 0;
	move_buf(cand, cand_cap, &sc->cand, &sc->cand_cap);
	move_buf((void **)&rq->src, &rq->cap_src, &sc->src, &sc->src_cap);
	move_buf((void **)&rq->par, &rq->cap_par, &sc->par, &sc->par_cap);
	move_buf(&rq->found, &none, &sc->found, &none);
	move_buf((void **)&rq->pat, &rq->cap_pat, &sc->pat, &sc->pat_cap);
	rq->n_src = rq->n_par = rq->n_pat = 0;
}
