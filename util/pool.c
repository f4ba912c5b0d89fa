/* A fixed set of threads that run one function on every worker index at once, for work that
 * is split the same way every time (the shares of a training batch): the threads are started
 * once and wait on a generation counter between runs, so a run costs a wake-up, not a thread. */
#include "util/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kgr__pool *p;
	int w;
} slot;

struct kgr__pool {
	int n;                /* worker indices 0 .. n - 1 */
	int started;          /* threads running indices 1 .. started */
	pthread_t *th;
	slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long gen;    /* the run the threads are to do */
	int pending;          /* threads still in this run */
	int stop;
	void (*fn)(void *arg, int w);
	void *arg;
	char name[16];
};

static void *worker(void *a)
{
	slot *s = a;
	kgr__pool *p = s->p;
	unsigned long seen = 0;

	kgr__thread_name(p->name);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		void (*fn)(void *, int);
		void *arg;
		while (p->gen == seen && !p->stop)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->stop)
			break;
		seen = p->gen;
		fn = p->fn;
		arg = p->arg;
		pthread_mutex_unlock(&p->mu);
		fn(arg, s->w);
		pthread_mutex_lock(&p->mu);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int kgr__pool_new(kgr__pool **out, int n, const char *name)
{
	kgr__pool *p;
	int i;

	*out = NULL;
	if (n < 1)
		n = 1;
	if (!(p = calloc(1, sizeof(*p))))
		return kgr__error_set(KGR_ENOMEM, "out of memory (a pool of %d threads)", n);
	p->n = n;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "kgr-pool");
	if (n > 1) {
		p->th = calloc((size_t)n, sizeof(*p->th));
		p->slots = calloc((size_t)n, sizeof(*p->slots));
		if (!p->th || !p->slots) {
			free(p->th);
			free(p->slots);
			free(p);
			return kgr__error_set(KGR_ENOMEM, "out of memory (a pool of %d threads)", n);
		}
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	/* a thread that cannot be started leaves its index, and those after it, to the caller */
	for (i = 1; i < n; i++) {
		p->slots[i].p = p;
		p->slots[i].w = i;
		if (pthread_create(&p->th[i], NULL, worker, &p->slots[i]) != 0)
			break;
		p->started = i;
	}
	*out = p;
	return 0;
}

void kgr__pool_run(kgr__pool *p, void (*fn)(void *arg, int w), void *arg)
{
	int w;

	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->fn = fn;
		p->arg = arg;
		p->pending = p->started;
		p->gen++;
		pthread_cond_broadcast(&p->go);
		pthread_mutex_unlock(&p->mu);
	}
	fn(arg, 0);
	for (w = p->started + 1; w < p->n; w++)
		fn(arg, w);
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		while (p->pending)
			pthread_cond_wait(&p->done, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
}

int kgr__pool_size(const kgr__pool *p)
{
	return p->n;
}

void kgr__pool_free(kgr__pool *p)
{
	int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (i = 1; i <= p->started; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->th);
	free(p->slots);
	free(p);
}
