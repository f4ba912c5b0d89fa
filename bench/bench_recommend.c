/* Graph retrieval benchmark: open a snapshot, build the graph view (time, memory), run
 * kgr_recommend() with explanations for random users (latency percentiles), and compare
 * igraph's full PRPACK personalized PageRank with the forward-push approximation (latency
 * and top-20 overlap).
 *
 * usage: bench_recommend STORE [--users N] [--seed S] [--ppr N] [-k K] [--candidates N]
 *                              [--threads T] [--ppr-eps E] [--generators MASK]
 *                              [--holdout N [--weights FILE]] [--digest] [--model FILE
 *                              [--sequence FILE] [--rounds R] [--stages N]]
 *
 * --digest prints one FNV-1a digest over every list (items, scores, features, contributions,
 * evidence paths, path counts, rationales) in user order: two builds that must rank alike can
 * be compared on a large store. It also prints a digest of the graph view's token index.
 *
 * --model FILE runs the same users a second time through the learned ranker
 * (kgr_learned_recommend(), same options) right after the graph formula, and prints both
 * latencies and their difference: what the model adds to a request. --sequence FILE gives
 * a model fitted with the sequence model's scores the sequence model to read them from.
 * --rounds R runs that pair R times in turn and prints the median of the R differences (the
 * host's speed drifts between runs; each difference compares two runs next to each other).
 * --stages N times the learned ranker's stages alone on the first 200 users, N passes: the
 * graph's candidate list, the whole candidate stage (that list, the item-kNN, the features)
 * and the trees on its rows (kgr__ltr_predict()); then the whole requests of the graph
 * formula and of the learned ranker on the same users, and what the second adds to the
 * first; the best and the median pass per request. The best of many passes moves less with
 * the host's load than one pass over many users.
 *
 * --holdout N also measures quality: every user's last interaction is held back, the graph
 * view is built on the rest, and HR@10 (the held-back item among the 10 recommended) is
 * computed for N users spread evenly over the users with two or more interactions. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kgrec/learned.h"
#include "kgrec/retrieval.h"
#include "ranker/ltr_internal.h"
#include "retrieval/internal.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of the calling thread: what a request costs when the machine is shared. */
static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Resident set size and its peak, in MB, from /proc/self/status. */
static void rss_mb(double *rss, double *peak)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	*rss = *peak = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmRSS:", 6))
			*rss = atof(line + 6) / 1024.0;
		else if (!strncmp(line, "VmHWM:", 6))
			*peak = atof(line + 6) / 1024.0;
	}
	fclose(f);
}

static const char *loadavg(void)
{
	static char buf[64];
	FILE *f = fopen("/proc/loadavg", "r");
	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static uint64_t rng_state = 42;
static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)ceil(p / 100.0 * (double)n);
	if (i == 0)
		i = 1;
	return sorted[i - 1];
}

typedef struct {
	const kgr_graph *g;
	const kgr_id *users;
	size_t n;
	kgr_rec_options o;
	double *lat, *cpu;
	uint64_t *digest;     /* per user, or NULL */
	const kgr_model *model; /* the learned ranker, or NULL: the graph formula */
	size_t results, paths, failures;
} worker;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/* Everything a list says, in order (rationales and notes by their text). */
static uint64_t digest_of(const kgr_recs *r)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i, j;
	h = fnv(h, &r->n, sizeof(r->n));
	h = fnv(h, &r->n_candidates, sizeof(r->n_candidates));
	for (i = 0; i < r->n_notes; i++)
		h = fnv(h, r->notes[i], strlen(r->notes[i]));
	for (i = 0; i < r->n; i++) {
		const kgr_rec_item *it = &r->items[i];
		h = fnv(h, &it->item, sizeof(it->item));
		h = fnv(h, &it->score, sizeof(it->score));
		h = fnv(h, it->features, sizeof(it->features));
		h = fnv(h, &it->generators, sizeof(it->generators));
		h = fnv(h, &it->n_paths, sizeof(it->n_paths));
		for (j = 0; j < it->n_paths; j++) {
			const kgr_path *p = &it->paths[j];
			size_t e;
			h = fnv(h, &p->from, sizeof(p->from));
			h = fnv(h, &p->score, sizeof(p->score));
			for (e = 0; e < p->n_edges; e++) {
				h = fnv(h, &p->edges[e].s, sizeof(kgr_id));
				h = fnv(h, &p->edges[e].p, sizeof(kgr_id));
				h = fnv(h, &p->edges[e].o, sizeof(kgr_id));
				h = fnv(h, &p->edges[e].reversed, sizeof(p->edges[e].reversed));
			}
		}
		for (j = 0; j < it->n_patterns; j++) {
			const kgr_path_pattern *pt = &it->patterns[j];
			h = fnv(h, &pt->count, sizeof(pt->count));
			h = fnv(h, pt->rel, pt->n_edges * sizeof(pt->rel[0]));
		}
		if (it->rationale)
			h = fnv(h, it->rationale, strlen(it->rationale));
		for (j = 0; j < it->n_contribs; j++) {
			h = fnv(h, it->contribs[j].feature, strlen(it->contribs[j].feature));
			h = fnv(h, &it->contribs[j].value, sizeof(it->contribs[j].value));
			h = fnv(h, &it->contribs[j].contribution, sizeof(it->contribs[j].contribution));
		}
	}
	return h;
}

static void *run_worker(void *p)
{
	worker *w = p;
	size_t i, j;
	for (i = 0; i < w->n; i++) {
		kgr_recs *r = NULL;
		double t0 = now_ms(), c0 = cpu_ms();
		int rc = w->model ? kgr_learned_recommend(&r, w->g, w->model, w->users[i], &w->o) :
			kgr_recommend(&r, w->g, w->users[i], &w->o);
		if (rc < 0) {
			w->failures++;
			continue;
		}
		w->lat[i] = now_ms() - t0;
		w->cpu[i] = cpu_ms() - c0;
		w->results += r->n;
		if (w->digest)
			w->digest[i] = digest_of(r);
		for (j = 0; j < r->n; j++)
			w->paths += r->items[j].n_paths ? 1 : 0;
		kgr_recs_free(r);
	}
	return NULL;
}

typedef struct {
	uint32_t node;
	double v;
} scored;

static int cmp_scored(const void *a, const void *b)
{
	const scored *x = a, *y = b;
	if (x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return x->node < y->node ? -1 : (x->node > y->node);
}

/* The PageRank seeds of a user as kgr_recommend() forms them: up to 20 most recent distinct
 * items, weighted by action and recency. */
static size_t user_seeds(const kgr_graph *g, uint32_t u, uint32_t *seeds, double *w)
{
	uint32_t a = g->hist_off[u], b = a + g->hist_len[u], k;
	size_t n = 0, i;
	int64_t ref = b > a ? g->ints[b - 1].time : 0;
	for (k = b; k > a && n < 20; k--) {
		uint32_t it = g->int_inode[k - 1];
		for (i = 0; i < n; i++)
			if (seeds[i] == it)
				break;
		if (i < n)
			continue;
		seeds[n] = it;
		w[n] = g->int_w[k - 1] * exp2(-(double)(ref - g->ints[k - 1].time) / g->half_life);
		n++;
	}
	return n;
}

static size_t top_items(const kgr_graph *g, const double *val, const uint32_t *nodes, size_t n,
	const uint32_t *seeds, size_t n_seeds, scored *out, size_t k)
{
	size_t i, m = 0, j;
	scored *all = malloc((n + 1) * sizeof(scored));
	for (i = 0; i < n; i++) {
		uint32_t node = nodes ? nodes[i] : (uint32_t)i;
		if (!(g->flags[node] & KGR__NODE_ITEM) || val[i] <= 0)
			continue;
		for (j = 0; j < n_seeds; j++)
			if (seeds[j] == node)
				break;
		if (j < n_seeds)
			continue;
		all[m].node = node;
		all[m].v = val[i];
		m++;
	}
	qsort(all, m, sizeof(scored), cmp_scored);
	if (m > k)
		m = k;
	memcpy(out, all, m * sizeof(scored));
	free(all);
	return m;
}

/* Leave-last-out HR@10 and candidate recall on n users; returns 0 or a KGR code. */
static int holdout(const kgr_store *store, size_t n_users, const kgr_weights *w, unsigned gens)
{
	const kgr_interaction *all;
	kgr_interaction *train, *held;
	size_t n, i, j, nt = 0, nh = 0, hits = 0, found = 0, tot = 0, step;
	kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
	kgr_graph *g = NULL;
	double t0 = now_ms();
	all = kgr_store_interactions(store, &n);
	train = malloc((n + 1) * sizeof(*train));
	held = malloc((n + 1) * sizeof(*held));
	if (!train || !held)
		return KGR_ENOMEM;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && all[j].user == all[i].user; j++)
			;
		if (j - i >= 2) {
			memcpy(train + nt, all + i, (j - i - 1) * sizeof(*train));
			nt += j - i - 1;
			held[nh++] = all[j - 1];
		} else {
			memcpy(train + nt, all + i, (j - i) * sizeof(*train));
			nt += j - i;
		}
	}
	go.interactions = train;
	go.n_interactions = nt;
	if (nh == 0 || kgr_graph_new(&g, store, &go) < 0) {
		free(train);
		free(held);
		return KGR_ERROR;
	}
	step = nh > n_users ? nh / n_users : 1;
	for (i = 0; i < nh && tot < n_users; i += step) {
		kgr_rec_options o = KGR_REC_OPTIONS_INIT;
		kgr_recs *r = NULL;
		o.k = 100;
		o.weights = w;
		o.generators = gens;
		if (kgr_recommend(&r, g, held[i].user, &o) < 0)
			continue;
		for (j = 0; j < r->n; j++)
			if (r->items[j].item == held[i].item) {
				found++;
				if (j < 10)
					hits++;
			}
		tot++;
		kgr_recs_free(r);
	}
	printf("holdout (last interaction of %zu users, %zu users with two or more): HR@10 %.4f, "
	       "held-back item among the 100 best %.4f; %.1f s\n",
		tot, nh, tot ? (double)hits / (double)tot : 0.0, tot ? (double)found / (double)tot : 0.0,
		(now_ms() - t0) / 1000.0);
	kgr_graph_free(g);
	free(train);
	free(held);
	return 0;
}

/* --events N: N live events, one per kgr_graph_add_interactions() call (a view of a random
 * item by a random user, each later than everything before), then the same N as one batch. */
static int live_events(kgr_graph *g, const kgr_store *store, const kgr_id *users, size_t n_users,
	size_t n)
{
	size_t n_items, i;
	const kgr_id *items = kgr_store_items(store, &n_items);
	kgr_interaction *ev = calloc(n, sizeof(*ev));
	double *lat = calloc(n, sizeof(double)), t0, t_batch;
	kgr_id view = kgr_store_iri(store, KGR_NS "view");
	if (!ev || !lat || !n_items)
		return -1;
	for (i = 0; i < n; i++) {
		ev[i].user = users[rng() % n_users];
		ev[i].item = items[rng() % n_items];
		ev[i].action = view;
		ev[i].time = g->t_max + 1 + (int64_t)i;
		ev[i].weight = 1;
	}
	for (i = 0; i < n; i++) {
		t0 = now_ms();
		if (kgr_graph_add_interactions(g, &ev[i], 1) < 0) {
			fprintf(stderr, "bench: live event: %s\n", kgr_error_last());
			return -1;
		}
		lat[i] = now_ms() - t0;
	}
	qsort(lat, n, sizeof(double), cmp_double);
	for (i = 0; i < n; i++)
		ev[i].time += (int64_t)n;
	t0 = now_ms();
	if (kgr_graph_add_interactions(g, ev, n) < 0) {
		fprintf(stderr, "bench: live events: %s\n", kgr_error_last());
		return -1;
	}
	t_batch = now_ms() - t0;
	printf("live events: %zu single-event calls: p50 %.3f ms, p99 %.3f ms, max %.3f ms; one batch of "
	       "%zu: %.3f ms; now %zu interactions\n", n, pct(lat, n, 50), pct(lat, n, 99), lat[n - 1], n,
		t_batch, g->n_ints);
	free(ev);
	free(lat);
	return 0;
}

/* Runs every user once on `threads` threads and prints the latencies; *p50_cpu receives the
 * p50 of the thread CPU time. */
static int measure(const kgr_graph *g, const kgr_id *users, size_t n_users, size_t threads,
	const kgr_rec_options *o, const kgr_model *model, double *lat, double *cpu, uint64_t *digests,
	double *p50_cpu)
{
	worker *wk = calloc(threads, sizeof(worker));
	pthread_t *tid = calloc(threads, sizeof(pthread_t));
	size_t i, results = 0, with_path = 0, failures = 0;
	double t0, sum = 0;
	if (!wk || !tid) {
		free(wk);
		free(tid);
		return -1;
	}
	t0 = now_ms();
	for (i = 0; i < threads; i++) {
		size_t a = n_users * i / threads, b = n_users * (i + 1) / threads;
		wk[i].g = g;
		wk[i].users = users + a;
		wk[i].n = b - a;
		wk[i].o = *o;
		wk[i].model = model;
		wk[i].lat = lat + a;
		wk[i].cpu = cpu + a;
		wk[i].digest = digests ? digests + a : NULL;
		pthread_create(&tid[i], NULL, run_worker, &wk[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		results += wk[i].results;
		with_path += wk[i].paths;
		failures += wk[i].failures;
	}
	t0 = now_ms() - t0;
	if (digests) {
		uint64_t h = 0xcbf29ce484222325ull;
		for (i = 0; i < n_users; i++)
			h = fnv(h, &digests[i], sizeof(digests[i]));
		printf("digest of the %zu lists: %016llx\n", n_users, (unsigned long long)h);
	}
	qsort(lat, n_users, sizeof(double), cmp_double);
	qsort(cpu, n_users, sizeof(double), cmp_double);
	for (i = 0; i < n_users; i++)
		sum += lat[i];
	printf("%s k=%zu candidates=%zu explain, %zu users, %zu thread(s): "
	       "p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms, mean %.3f ms; "
	       "%.0f requests/s; %.1f items per list, %.1f%% with an evidence path; %zu failures\n",
		model ? "kgr_learned_recommend" : "kgr_recommend", o->k, o->n_candidates, n_users, threads,
		pct(lat, n_users, 50), pct(lat, n_users, 90), pct(lat, n_users, 99), lat[n_users - 1],
		sum / (double)n_users, (double)n_users / (t0 / 1000.0), (double)results / (double)n_users,
		results ? 100.0 * (double)with_path / (double)results : 0.0, failures);
	printf("  thread CPU time per request: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms "
	       "(load average at the end: %s)\n",
		pct(cpu, n_users, 50), pct(cpu, n_users, 90), pct(cpu, n_users, 99), cpu[n_users - 1],
		loadavg());
	*p50_cpu = pct(cpu, n_users, 50);
	free(wk);
	free(tid);
	return 0;
}

/* Times the learned ranker's stages alone on the first (at most) 200 users, `passes` passes,
 * best and median pass per request: the graph's candidate list as the learned ranker asks
 * for it (kgr_recommend(), unexplained), the whole candidate stage (that list, the item-kNN
 * and the features: kgr__ltr_candidates()) and the trees on the rows it gave. */
static int time_stages(const kgr_graph *g, const kgr_model *m, const kgr_id *users,
	size_t n_users, const kgr_rec_options *o, size_t passes)
{
	size_t n = n_users < 200 ? n_users : 200, u, p, rows = 0, most = 0, k;
	kgr__ltr_cands *c = calloc(n, sizeof(*c));
	double *per[5];
	const char *what[5] = { "the graph's list", "the candidate stage", "the trees",
		"the graph formula's request", "the learned ranker's request" };
	float *out = NULL;
	kgr_rec_options ro = *o;
	const kgr_seq_model *seq = m->uses_seq ? m->seq : NULL;
	ro.k = ro.n_candidates = m->n_graph;
	ro.explain = ro.require_path = 0;
	for (k = 0; k < 5; k++)
		if (!(per[k] = calloc(passes, sizeof(double))))
			return -1;
	if (!c)
		return -1;
	for (u = 0; u < n; u++) {
		if (kgr__ltr_candidates(&c[u], g, users[u], o, m->n_graph, m->n_knn, m->n_seq, seq) < 0) {
			fprintf(stderr, "bench: stages: %s\n", kgr_error_last());
			return -1;
		}
		rows += c[u].n;
		if (c[u].n > most)
			most = c[u].n;
	}
	if (!(out = malloc((most + 1) * sizeof(float))))
		return -1;
	for (p = 0; p < passes; p++) {
		double t0 = cpu_ms();
		for (u = 0; u < n; u++) {
			kgr_recs *r = NULL;
			if (kgr_recommend(&r, g, users[u], &ro) < 0)
				return -1;
			kgr_recs_free(r);
		}
		per[0][p] = (cpu_ms() - t0) / (double)n;
		t0 = cpu_ms();
		for (u = 0; u < n; u++) {
			kgr__ltr_cands x;
			if (kgr__ltr_candidates(&x, g, users[u], o, m->n_graph, m->n_knn, m->n_seq, seq) < 0)
				return -1;
			kgr__ltr_cands_free(&x);
		}
		per[1][p] = (cpu_ms() - t0) / (double)n;
		t0 = cpu_ms();
		for (u = 0; u < n; u++)
			if (kgr__ltr_predict(m, c[u].x, c[u].n, out) < 0)
				return -1;
		per[2][p] = (cpu_ms() - t0) / (double)n;
		for (k = 3; k < 5; k++) { /* whole requests, as the clients make them */
			t0 = cpu_ms();
			for (u = 0; u < n; u++) {
				kgr_recs *r = NULL;
				if ((k == 3 ? kgr_recommend(&r, g, users[u], o) :
					     kgr_learned_recommend(&r, g, m, users[u], o)) < 0)
					return -1;
				kgr_recs_free(r);
			}
			per[k][p] = (cpu_ms() - t0) / (double)n;
		}
	}
	printf("the learned ranker's stages alone (%zu passes over %zu users, %.0f rows a request, "
	       "thread CPU time per request, best / median pass):\n", passes, n,
		(double)rows / (double)n);
	for (k = 0; k < 5; k++) {
		qsort(per[k], passes, sizeof(double), cmp_double);
		printf("  %s: %.1f / %.1f us\n", what[k], per[k][0] * 1000.0,
			pct(per[k], passes, 50) * 1000.0);
	}
	printf("  what the learned ranker adds to a request: %.1f / %.1f us\n",
		(per[4][0] - per[3][0]) * 1000.0, (pct(per[4], passes, 50) - pct(per[3], passes, 50)) *
		1000.0);
	for (k = 0; k < 5; k++)
		free(per[k]);
	for (u = 0; u < n; u++)
		kgr__ltr_cands_free(&c[u]);
	free(c);
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	size_t n_users = 1000, n_ppr = 20, i, j, n_all, threads = 1;
	kgr_rec_options o = KGR_REC_OPTIONS_INIT;
	kgr_store *store = NULL;
	kgr_graph *g = NULL;
	const kgr_id *all;
	kgr_id *users;
	double t0, t_open, t_graph, rss0, rss1, peak, *lat, *cpu;
	size_t n_holdout = 0, n_events = 0, n_rounds = 1, n_tree_passes = 0;
	int want_digest = 0;
	uint64_t *digests = NULL;
	kgr_weights weights;
	const char *weights_path = NULL, *model_path = NULL, *seq_path = NULL;
	kgr_model *model = NULL;
	kgr_seq_model *seq = NULL;
	double p50_graph = 0;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--users") && i + 1 < (size_t)argc)
			n_users = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < (size_t)argc)
			rng_state = strtoull(argv[++i], NULL, 10) | 1;
		else if (!strcmp(argv[i], "--ppr") && i + 1 < (size_t)argc)
			n_ppr = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-k") && i + 1 < (size_t)argc)
			o.k = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--candidates") && i + 1 < (size_t)argc)
			o.n_candidates = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--generators") && i + 1 < (size_t)argc)
			o.generators = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ppr-eps") && i + 1 < (size_t)argc)
			kgr__ppr_eps = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--holdout") && i + 1 < (size_t)argc)
			n_holdout = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--weights") && i + 1 < (size_t)argc)
			weights_path = argv[++i];
		else if (!strcmp(argv[i], "--model") && i + 1 < (size_t)argc)
			model_path = argv[++i];
		else if (!strcmp(argv[i], "--sequence") && i + 1 < (size_t)argc)
			seq_path = argv[++i];
		else if (!strcmp(argv[i], "--threads") && i + 1 < (size_t)argc)
			threads = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--events") && i + 1 < (size_t)argc)
			n_events = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < (size_t)argc)
			n_rounds = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--stages") && i + 1 < (size_t)argc)
			n_tree_passes = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--digest"))
			want_digest = 1;
		else
			path = argv[i];
	}
	if (!path || !threads || !n_rounds) {
		fprintf(stderr, "usage: bench_recommend STORE [--users N] [--seed S] [--ppr N] [-k K] "
				"[--candidates N] [--threads T] [--ppr-eps E] [--generators MASK] "
				"[--holdout N [--weights FILE]] [--events N] [--digest] [--model FILE "
				"[--sequence FILE] [--rounds R] [--stages N]]\n");
		return 2;
	}
	kgr_init();
	if (weights_path) {
		if (kgr_weights_load(&weights, weights_path) < 0) {
			fprintf(stderr, "bench: %s\n", kgr_error_last());
			return 1;
		}
		o.weights = &weights;
	}
	if (model_path && kgr_model_load(&model, model_path) < 0) {
		fprintf(stderr, "bench: %s\n", kgr_error_last());
		return 1;
	}
	t0 = now_ms();
	if (kgr_store_open(&store, path) < 0) {
		fprintf(stderr, "bench: %s\n", kgr_error_last());
		return 1;
	}
	t_open = now_ms() - t0;
	if (seq_path && (!model || kgr_seq_load(&seq, seq_path, store) < 0 ||
			 kgr_model_set_sequence(model, seq) < 0)) {
		fprintf(stderr, "bench: --sequence: %s\n", model ? kgr_error_last() : "needs --model");
		return 1;
	}
	rss_mb(&rss0, &peak);
	t0 = now_ms();
	if (kgr_graph_new(&g, store, NULL) < 0) {
		fprintf(stderr, "bench: graph: %s\n", kgr_error_last());
		return 1;
	}
	t_graph = now_ms() - t0;
	rss_mb(&rss1, &peak);
	printf("store %s: %zu quads, %zu users, %zu items; open %.0f ms, RSS %.0f MB\n", path,
		kgr_store_quad_count(store), (size_t)0 + (kgr_store_users(store, &n_all), n_all),
		(kgr_store_items(store, &j), j), t_open, rss0);
	printf("graph view: %u nodes, %zu catalog edges, %zu interactions, %zu relations, %zu words; "
	       "build %.0f ms, +%.0f MB RSS (peak %.0f MB)\n",
		g->n_nodes, g->n_cat_edges, g->n_ints, g->n_rels, kgr__text_tokens(g), t_graph, rss1 - rss0,
		peak);
	printf("graph view steps (ms): events %.0f, nodes %.0f, catalog edges %.0f, interaction index "
	       "%.0f, catalog CSR %.0f, specificity %.0f, token index %.0f\n",
		g->build_ms[KGR__BUILD_EVENTS], g->build_ms[KGR__BUILD_NODES], g->build_ms[KGR__BUILD_CATALOG],
		g->build_ms[KGR__BUILD_INTS], g->build_ms[KGR__BUILD_CSR], g->build_ms[KGR__BUILD_SPEC],
		g->build_ms[KGR__BUILD_TEXT]);

	all = kgr_store_users(store, &n_all);
	if (!n_all) {
		fprintf(stderr, "bench: the store has no users\n");
		return 1;
	}
	if (n_events && live_events(g, store, all, n_all, n_events) < 0)
		return 1;
	users = malloc(n_users * sizeof(kgr_id));
	lat = calloc(n_users, sizeof(double));
	cpu = calloc(n_users, sizeof(double));
	if (want_digest) {
		digests = calloc(n_users, sizeof(uint64_t));
		printf("digest of the token index: %016llx\n", (unsigned long long)kgr__text_digest(g));
	}
	for (i = 0; i < n_users; i++)
		users[i] = all[rng() % n_all];
	o.explain = 1;
	/* warm-up: page in the snapshot and the scratch */
	for (i = 0; i < 20 && i < n_users; i++) {
		kgr_recs *r = NULL;
		if (kgr_recommend(&r, g, users[i], &o) == 0)
			kgr_recs_free(r);
	}
	if (measure(g, users, n_users, threads, &o, NULL, lat, cpu, digests, &p50_graph) < 0)
		return 1;
	if (model) {
		double *adds = calloc(n_rounds, sizeof(double)), p50_model;
		size_t r;
		for (r = 0; r < n_rounds; r++) {
			if ((r && measure(g, users, n_users, threads, &o, NULL, lat, cpu, NULL,
				      &p50_graph) < 0) ||
				measure(g, users, n_users, threads, &o, model, lat, cpu, r ? NULL : digests,
					&p50_model) < 0)
				return 1;
			adds[r] = p50_model - p50_graph;
			printf("the learned ranker adds %.3f ms to the p50 of a request (thread CPU time)\n",
				adds[r]);
		}
		if (n_rounds > 1) {
			qsort(adds, n_rounds, sizeof(double), cmp_double);
			printf("over %zu rounds: median %.3f ms, from %.3f to %.3f ms\n", n_rounds,
				pct(adds, n_rounds, 50), adds[0], adds[n_rounds - 1]);
		}
		free(adds);
		if (n_tree_passes && time_stages(g, model, users, n_users, &o, n_tree_passes) < 0)
			return 1;
	}
	free(digests);

	/* PRPACK vs push on the same seeds */
	if (n_ppr) {
		double *exact = malloc(g->n_nodes * sizeof(double)), t_exact = 0, t_push = 0, overlap = 0;
		double *pv = NULL;
		uint32_t seeds[20];
		double w[20];
		scored te[20], tp[300];
		double recall = 0;
		size_t done = 0;
		kgr__scratch *sc = kgr__scratch_get(g->n_nodes);
		for (i = 0; i < n_ppr * 10 && done < n_ppr; i++) {
			uint32_t u = kgr__node_of(g, all[rng() % n_all]);
			size_t ns = user_seeds(g, u, seeds, w), ne, np, a, b, same = 0;
			kgr__map *R = &sc->maps[KGR__MAP_R];
			if (!ns)
				continue;
			t0 = now_ms();
			if (kgr__graph_ppr_exact(g, seeds, w, ns, 0.85, exact) < 0) {
				fprintf(stderr, "bench: PRPACK: %s\n", kgr_error_last());
				break;
			}
			t_exact += now_ms() - t0;
			kgr__scratch_reset(sc);
			t0 = now_ms();
			kgr__ppr_push(g, sc, seeds, w, ns, 0.15, kgr__ppr_eps, 0);
			t_push += now_ms() - t0;
			free(pv);
			pv = malloc((R->n + 1) * sizeof(double));
			memcpy(pv, sc->ppr, R->n * sizeof(double));
			ne = top_items(g, exact, NULL, g->n_nodes, seeds, ns, te, 20);
			np = top_items(g, pv, R->keys, R->n, seeds, ns, tp, 300);
			for (a = 0; a < ne; a++)
				for (b = 0; b < np && b < 20; b++)
					if (te[a].node == tp[b].node)
						same++;
			overlap += ne ? (double)same / (double)ne : 1.0;
			for (same = 0, a = 0; a < ne; a++)
				for (b = 0; b < np; b++)
					if (te[a].node == tp[b].node)
						same++;
			recall += ne ? (double)same / (double)ne : 1.0;
			done++;
		}
		if (done)
			printf("personalized PageRank, %zu users: PRPACK (igraph) %.1f ms per call, push (eps %g) "
			       "%.3f ms per call; top-20 item overlap %.1f%%; exact top 20 among the push's top 300 (the candidates it proposes) %.1f%%\n",
				done, t_exact / (double)done, kgr__ppr_eps, t_push / (double)done, 100 * overlap / (double)done, 100 * recall / (double)done);
		free(pv);
		free(exact);
	}
	if (n_holdout && holdout(store, n_holdout, o.weights, o.generators) < 0)
		fprintf(stderr, "bench: holdout: %s\n", kgr_error_last());
	free(users);
	free(lat);
	free(cpu);
	kgr_model_free(model);
	kgr_seq_free(seq);
	kgr_graph_free(g);
	kgr_store_free(store);
	return 0;
}
