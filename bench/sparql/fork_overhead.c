/* Cost of running each SPARQL query in a child process: the same query N times through
 * kgr_sparql_query() (a child per query) and through the in-process path it wraps, in one
 * process with the snapshot open. Build and run: bench/sparql/fork_overhead.sh.
 * Usage: fork_overhead STORE.kgr 'QUERY' [N]. Then in process once more with the store's
 * subjects indexed, as a query process kept ready by the service has them. It also prints how
 * much of the process is in huge pages. */
#include "kg/internal.h"
#include "sparql/sparql_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The process's resident memory and the part of it in transparent huge pages (the store's
 * snapshot asks for them: docs/STORE.md), where the kernel tells. */
static void print_huge_pages(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long rss = -1, huge = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Rss: %ld kB", &rss);
		sscanf(line, "AnonHugePages: %ld kB", &huge);
	}
	fclose(f);
	if (rss >= 0 && huge >= 0)
		printf("resident %.0f MB, of which %.0f MB in huge pages\n", rss / 1024.0, huge / 1024.0);
}

int main(int argc, char **argv)
{
	kgr_store *store = NULL;
	kgr_sparql_result *r;
	int i, n = argc > 3 ? atoi(argv[3]) : 50, pass;
	double t[3];
	if (argc < 3) {
		fprintf(stderr, "usage: %s STORE.kgr 'QUERY' [N]\n", argv[0]);
		return 2;
	}
	if (kgr_store_open(&store, argv[1]) < 0) {
		fprintf(stderr, "%s\n", kgr_error_last());
		return 1;
	}
	for (pass = 0; pass < 3; pass++) {
		double t0;
		if (pass == 2 && kgr__store_index_subjects(store) < 0) {
			fprintf(stderr, "%s\n", kgr_error_last());
			return 1;
		}
		/* one warm-up call of each: the in-process world is made once */
		for (i = -1; i < n; i++) {
			if (i == 0)
				t0 = now_ms();
			if ((pass ? kgr__sparql_query_here(&r, store, argv[2], NULL)
				  : kgr_sparql_query(&r, store, argv[2], NULL)) < 0) {
				fprintf(stderr, "%s\n", kgr_error_last());
				return 1;
			}
			kgr_sparql_result_free(r);
		}
		t[pass] = (now_ms() - t0) / n;
	}
	printf("child process %.2f ms/query, in process %.2f ms/query, overhead %.2f ms\n", t[0], t[1],
		t[0] - t[1]);
	printf("in process with the subjects indexed (a query process kept ready) %.2f ms/query\n", t[2]);
	print_huge_pages();
	kgr_store_free(store);
	return 0;
}
