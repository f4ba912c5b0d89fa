/* kgrec query STORE (QUERY | -f FILE.rq) [--format F] [--limit N] [--timeout MS] [--base IRI]
 *              [--keep-order] [--default-graph union|unnamed] */
#include "cli/cli.h"
#include "cli/recs_output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kgrec/sparql.h"
#include "kgrec/store.h"

static void query_usage(FILE *f)
{
	fputs("usage: kgrec query STORE (QUERY | -f FILE.rq) [options]\n"
	      "\n"
	      "Run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE) on a snapshot.\n"
	      "\n"
	      "  -f, --file FILE     read the query from FILE (- for standard input)\n"
	      "  --format F          table (default), json, csv, tsv; turtle, ntriples, rdfxml,\n"
	      "                      jsonld for graphs (CONSTRUCT, DESCRIBE)\n"
	      "  --limit N           keep at most N rows or triples\n"
	      "  --timeout MS        give up after MS milliseconds\n"
	      "  --base IRI          base IRI for relative IRIs in the query\n"
	      "  --keep-order        join the triple patterns in the order written\n"
	      "  --default-graph G   without FROM: union (default: all graphs of the store) or\n"
	      "                      unnamed (the unnamed graph alone; named graphs through GRAPH)\n",
		f);
}

static char *read_all(FILE *in)
{
	size_t len = 0, cap = 4096, n;
	char *s = malloc(cap), *p;
	if (!s)
		return NULL;
	while ((n = fread(s + len, 1, cap - len - 1, in)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			if (!(p = realloc(s, cap))) {
				free(s);
				return NULL;
			}
			s = p;
		}
	}
	if (ferror(in)) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

int kgr_cmd_query(int argc, char **argv)
{
	const char *store_path = NULL, *text = NULL, *file = NULL, *format_name = "table";
	kgr_sparql_options opts = KGR_SPARQL_OPTIONS_INIT;
	kgr_sparql_format format;
	kgr_sparql_result *result = NULL;
	kgr_store *store = NULL;
	char *owned = NULL;
	long long n;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			query_usage(stdout);
			return 0;
		} else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
			if (++i >= argc)
				return kgr_cli_usage("%s needs a file name", a);
			file = argv[i];
		} else if (!strcmp(a, "--format")) {
			if (++i >= argc)
				return kgr_cli_usage("--format needs a value");
			format_name = argv[i];
		} else if (!strcmp(a, "--limit")) {
			if (++i >= argc)
				return kgr_cli_usage("--limit needs a number");
			if (kgr_cli_int("--limit", argv[i], 0, (long long)((unsigned long)-1 / 2), &n) < 0)
				return 2;
			opts.max_rows = n;
		} else if (!strcmp(a, "--timeout")) {
			if (++i >= argc)
				return kgr_cli_usage("--timeout needs a number of milliseconds");
			if (kgr_cli_int("--timeout", argv[i], 0, 86400000, &n) < 0)
				return 2;
			opts.timeout_ms = (unsigned int)n;
		} else if (!strcmp(a, "--keep-order")) {
			opts.keep_order = 1;
		} else if (!strcmp(a, "--default-graph")) {
			if (++i >= argc)
				return kgr_cli_usage("--default-graph needs union or unnamed");
			if (!strcmp(argv[i], "unnamed"))
				opts.unnamed_default_graph = 1;
			else if (strcmp(argv[i], "union"))
				return kgr_cli_usage("--default-graph: '%s' is neither union nor unnamed", argv[i]);
		} else if (!strcmp(a, "--base")) {
			if (++i >= argc)
				return kgr_cli_usage("--base needs an IRI");
			opts.base_iri = argv[i];
		} else if (a[0] == '-' && a[1]) {
			return kgr_cli_usage("query: unknown option '%s'", a);
		} else if (!store_path) {
			store_path = a;
		} else if (!text) {
			text = a;
		} else {
			return kgr_cli_usage("query: unexpected argument '%s'", a);
		}
	}
	if (!store_path)
		return kgr_cli_usage("query: no STORE given");
	if (!text == !file)
		return kgr_cli_usage("query: give the query as an argument or with -f FILE, not %s",
			text ? "both" : "neither");
	if (kgr_sparql_format_from_name(&format, format_name))
		return kgr_cli_usage("query: %s", kgr_error_last());

	if (file) {
		FILE *in = strcmp(file, "-") ? fopen(file, "rb") : stdin;
		if (!in) {
			fprintf(stderr, "kgrec: query: cannot open '%s': %s\n", file, strerror(errno));
			return 1;
		}
		errno = 0;
		owned = read_all(in);
		if (!owned) {
			fprintf(stderr, "kgrec: query: cannot read '%s': %s\n", file,
				strerror(errno ? errno : ENOMEM));
			if (in != stdin)
				fclose(in);
			return 1;
		}
		if (in != stdin)
			fclose(in);
		text = owned;
	}
	if (kgr_store_open(&store, store_path)) {
		rc = kgr_cli_fail(store_path);
		goto cleanup;
	}
	if (kgr_sparql_query(&result, store, text, &opts)) {
		rc = kgr_cli_fail(file ? file : "query");
		goto cleanup;
	}
	if (kgr_sparql_write(result, stdout, format)) {
		rc = kgr_cli_fail("query");
		goto cleanup;
	}
	if (fflush(stdout)) {
		fprintf(stderr, "kgrec: query: cannot write the results: %s\n", strerror(errno));
		rc = 1;
		goto cleanup;
	}
	if (kgr_sparql_result_truncated(result))
		fprintf(stderr, "kgrec: query: results cut at --limit %zu\n", opts.max_rows);
cleanup:
	kgr_sparql_result_free(result);
	kgr_store_free(store);
	free(owned);
	return rc;
}
