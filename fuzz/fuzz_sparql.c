/* libFuzzer target: SPARQL text from anyone, on a small shop, through kgr_sparql_query() as the
 * service runs it: the guards before rasqal (the CONCAT forms rasqal frees too early, LIMIT and
 * OFFSET ranges, empty CONSTRUCT templates), the join reordering, the query's child process
 * with its deadline, and the result coming back through the pipe and written as JSON. */
#include "kgrec/sparql.h"
#include "kgrec/store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kgr_store *store;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kgr_init();
	if (kgr_store_new(&store, 1) < 0 ||
		kgr_store_load_rdf(store, KGR_TEST_DATA "/sparql/shop.ttl", NULL, NULL) < 0 ||
		kgr_store_finalize(store) < 0) {
		fprintf(stderr, "fuzz_sparql: cannot build the shop: %s\n", kgr_error_last());
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kgr_sparql_options o = KGR_SPARQL_OPTIONS_INIT;
	kgr_sparql_result *res = NULL;
	char *q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = 0;
	o.timeout_ms = 2000;
	o.max_rows = 200;
	if (kgr_sparql_query(&res, store, q, &o) < 0 && strstr(kgr_error_last(), "ended with signal")) {
		/* the query's child process crashed (a sanitizer aborts it there too): a finding, which
		 * the parent would otherwise turn into an error reply */
		fprintf(stderr, "fuzz_sparql: %s\n", kgr_error_last());
		abort();
	}
	if (res) {
		FILE *f = fopen("/dev/null", "w");
		if (f) {
			kgr_sparql_write(res, f, KGR_SPARQL_FORMAT_JSON);
			fclose(f);
		}
		kgr_sparql_result_free(res);
	}
	free(q);
	return 0;
}
