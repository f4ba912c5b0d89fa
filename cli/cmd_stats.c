#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "kgrec/store.h"

static void print_hist(const kgr_store *store, kgr_id p, const char *title, size_t limit, int json)
{
	kgr_term_count *h;
	size_t n, i;
	if (kgr_store_histogram(&h, &n, store, p) < 0)
		return;
	if (json) {
		printf(",\n  \"%s\": [", title);
		for (i = 0; i < n && i < limit; i++)
			printf("%s\n    {\"iri\": \"%s\", \"count\": %zu}", i ? "," : "",
				kgr_term_value(store, h[i].id, NULL), h[i].count);
		printf("\n  ]");
	} else {
		printf("\n%s (%zu):\n", title, n);
		for (i = 0; i < n && i < limit; i++)
			printf("  %10zu  %s\n", h[i].count, kgr_term_value(store, h[i].id, NULL));
		if (n > limit)
			printf("  ... %zu more (--all to list every one)\n", n - limit);
	}
	free(h);
}

int kgr_cmd_stats(int argc, char **argv)
{
	const char *path = NULL;
	int i, json = 0;
	size_t limit = 25;
	kgr_store *store = NULL;
	kgr_store_stats st;
	char sum[17];

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[++i], "json")))
			json = 1;
		else if (!strcmp(argv[i], "--all"))
			limit = (size_t)-1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			puts("usage: kgrec stats STORE [--json] [--all]");
			return 0;
		} else if (argv[i][0] == '-')
			return kgr_cli_usage("stats: unknown option '%s'", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		return kgr_cli_usage("stats: missing STORE");
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("stats");
	kgr_store_get_stats(store, &st);
	kgr_store_checksum_hex(store, sum);
	if (json) {
		printf("{\n  \"store\": \"%s\",\n  \"checksum\": \"%s\",\n  \"triples\": %zu,\n  \"inferred\": %zu,\n"
		       "  \"terms\": %zu,\n  \"iris\": %zu,\n  \"blank_nodes\": %zu,\n  \"literals\": %zu,\n"
		       "  \"subjects\": %zu,\n  \"predicates\": %zu,\n  \"graphs\": %zu,\n  \"users\": %zu,\n"
		       "  \"items\": %zu,\n  \"interactions\": %zu",
			path, sum, st.quads, st.inferred, st.terms, st.iris, st.blanks, st.literals, st.subjects,
			st.predicates, st.graphs, st.users, st.items, st.interactions);
	} else {
		printf("store         %s (checksum %s)\n", path, sum);
		printf("triples       %zu (%zu inferred)\n", st.quads, st.inferred);
		printf("terms         %zu (%zu IRIs, %zu blank nodes, %zu literals)\n", st.terms, st.iris,
			st.blanks, st.literals);
		printf("subjects      %zu\npredicates    %zu\nnamed graphs  %zu\n", st.subjects, st.predicates, st.graphs);
		printf("users         %zu\nitems         %zu\ninteractions  %zu\n", st.users, st.items, st.interactions);
	}
	print_hist(store, 0, "predicates", limit, json);
	print_hist(store, kgr_store_iri(store, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), "classes", limit, json);
	if (json)
		printf("\n}\n");
	kgr_store_free(store);
	return 0;
}
