/* libFuzzer target: snapshot files edited inside their sections, with the checksum made right
 * again, so that what is fuzzed is the check of the contents that opening does for a file this
 * process did not write. The input is a list of edits (4 bytes of offset, 1 byte of value) to
 * a real small snapshot; a file that opens must then work through stats, the graph view,
 * recommend and a SPARQL query. */
#include "kgrec/retrieval.h"
#include "kgrec/store.h"
#include "snapshot/helper_snapshot_edit.h"
#include "sparql/sparql_result.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *base;
static size_t base_len;
static char path[64];

/* The input file goes when the fuzzer ends. */
static void remove_file(void)
{
	remove(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
	kgr_store *s = NULL;
	FILE *f;
	long n;
	(void)argc;
	(void)argv;
	kgr_init();
	snprintf(path, sizeof(path), "/tmp/kgrec-fuzz-snap-%ld.kgr", (long)getpid());
	atexit(remove_file);
	io.user_base = "http://shop.example.org/user/";
	io.item_base = "http://shop.example.org/";
	if (kgr_store_new(&s, 1) < 0 ||
		kgr_store_load_rdf(s, KGR_TEST_DATA "/retrieval/shop.ttl", NULL, NULL) < 0 ||
		kgr_store_load_interactions(s, KGR_TEST_DATA "/retrieval/interactions.csv", &io) < 0 ||
		kgr_store_finalize(s) < 0 || kgr_store_save(s, path) < 0) {
		fprintf(stderr, "fuzz_snapshot: cannot build the shop: %s\n", kgr_error_last());
		abort();
	}
	kgr_store_free(s);
	if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
		!(base = malloc((size_t)n)) || fread(base, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	base_len = (size_t)n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *buf = malloc(base_len);
	kgr_store *s = NULL;
	size_t i;
	if (!buf)
		return 0;
	memcpy(buf, base, base_len);
	for (i = 0; i + 5 <= size; i += 5) {
		uint32_t off;
		memcpy(&off, data + i, 4);
		buf[off % base_len] = data[i + 4];
	}
	/* a file another process wrote: the process never saved these bytes itself */
	if (kgr_test_snapshot_rechecksum(buf, base_len) == 0 && kgr_test_write_file(path, buf, base_len) == 0 &&
		kgr_store_open(&s, path) == 0) {
		kgr_store_stats st;
		kgr_graph *g = NULL;
		size_t n_users = 0;
		const kgr_id *users = kgr_store_users(s, &n_users);
		kgr_store_get_stats(s, &st);
		if (kgr_graph_new(&g, s, NULL) == 0) {
			kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
			kgr_recs *r = NULL;
			ro.explain = 1;
			if (n_users && kgr_recommend(&r, g, users[0], &ro) == 0)
				kgr_recs_free(r);
			kgr_graph_free(g);
		}
		{
			kgr_sparql_result *res = NULL;
			if (kgr__sparql_query_here(&res, s, "SELECT * WHERE { ?s ?p ?o } LIMIT 20", NULL) == 0)
				kgr_sparql_result_free(res);
		}
		kgr_store_free(s);
	}
	free(buf);
	return 0;
}
