/* Per-thread scratch for requests: dense node -> slot arrays with a list of touched keys,
 * so a request costs what it touches, not the size of the graph, and no request allocates
 * a node-sized array. Freed at thread exit. */
#include "retrieval/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
	kgr__scratch *sc = p;
	size_t i;
	if (!sc)
		return;
	for (i = 0; i < KGR__MAP__COUNT; i++) {
		free(sc->maps[i].slot);
		free(sc->maps[i].keys);
		free(sc->maps[i].vals);
	}
	free(sc->queue);
	free(sc);
}

static void scratch_key_init(void)
{
	pthread_key_create(&scratch_key, scratch_free);
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
		if (pthread_setspecific(scratch_key, sc) != 0) {
			free(sc);
			return NULL;
		}
	}
	if (sc->node_cap < n_nodes) {
		size_t cap = n_nodes + n_nodes / 4 + 64;
		for (i = 0; i < KGR__MAP__COUNT; i++) {
			uint32_t *s = calloc(cap, sizeof(uint32_t));
			if (!s)
				return NULL;
			free(sc->maps[i].slot);
			sc->maps[i].slot = s;
			sc->maps[i].n = 0;
		}
		sc->node_cap = cap;
	}
	return sc;
}

void kgr__map_reset(kgr__map *m)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		m->slot[m->keys[i]] = 0;
	m->n = 0;
}

void kgr__scratch_reset(kgr__scratch *sc)
{
	size_t i;
	for (i = 0; i < KGR__MAP__COUNT; i++)
		kgr__map_reset(&sc->maps[i]);
}

double *kgr__map_put(kgr__map *m, uint32_t node)
{
	uint32_t s = m->slot[node];
	if (s)
		return &m->vals[s - 1];
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
	m->slot[node] = (uint32_t)++m->n;
	return &m->vals[m->n - 1];
}
