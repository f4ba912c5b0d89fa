/* bench_sequence STORE MODEL [--users N] [--k K]: thread CPU time of kgr_seq_recommend() per
 * user (the newest 50 events of the user's history, the top k over every item), one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kgrec/sequence.h"

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	kgr_store *store = NULL;
	kgr_seq_model *model = NULL;
	const kgr_id *users;
	size_t n_users, want = 1000, k = 10, u, done = 0, i;
	kgr_id hist[50], top[100];
	double *ms, sum = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_sequence STORE MODEL [--users N] [--k K]\n");
		return 2;
	}
	for (i = 3; i + 1 < (size_t)argc; i += 2) {
		if (!strcmp(argv[i], "--users"))
			want = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--k"))
			k = (size_t)atol(argv[i + 1]);
	}
	if (k < 1 || k > 100)
		k = 10;
	if (kgr_store_open(&store, argv[1]) < 0 || kgr_seq_load(&model, argv[2], store) < 0) {
		fprintf(stderr, "bench_sequence: %s\n", kgr_error_last());
		return 1;
	}
	users = kgr_store_users(store, &n_users);
	ms = malloc((want ? want : 1) * sizeof(*ms));
	for (u = 0; u < n_users && done < want; u++) {
		size_t n;
		const kgr_interaction *ev = kgr_store_user_interactions(store, users[u], &n);
		size_t from = n > 50 ? n - 50 : 0, got;
		double t0;
		for (i = from; i < n; i++)
			hist[i - from] = ev[i].item;
		t0 = cpu_ms();
		if (kgr_seq_recommend(top, NULL, &got, model, hist, n - from, k) < 0) {
			fprintf(stderr, "bench_sequence: %s\n", kgr_error_last());
			return 1;
		}
		ms[done] = cpu_ms() - t0;
		sum += ms[done++];
	}
	qsort(ms, done, sizeof(*ms), by_value);
	if (done)
		printf("users %zu, k %zu: mean %.3f ms, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms\n", done, k,
			sum / (double)done, ms[done / 2], ms[done * 9 / 10], ms[done * 99 / 100]);
	free(ms);
	kgr_seq_free(model);
	kgr_store_free(store);
	return 0;
}
