/*
 * librdf_load: the reference point for the kgrec store. Loads an RDF file into a Redland
 * storage and, optionally, runs SPARQL queries over it through librdf/rasqal.
 *
 *   librdf_load [-s STORAGE] [-O OPTIONS] [-f FORMAT] FILE... [-q QUERY.rq ...]
 *
 * STORAGE defaults to "hashes" with OPTIONS "hash-type='memory'" (in memory); "trees" and
 * "memory" need no options. FORMAT is a raptor parser name (default: ntriples).
 * Prints one line for the load (statements, wall seconds, peak RSS) and one per query
 * (rows and wall seconds). Exit status 1 when the load or a query fails, or when the
 * storage rejected statements (errors were logged).
 */
#include <redland.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
	unsigned long errors, warnings;
} log_counts;

/* librdf's default logger prints to stderr for every message, including a spurious
 * warning per aggregate; count them and print the first few errors only. */
static int on_log(void *payload, librdf_log_message *m)
{
	log_counts *c = payload;
	librdf_log_level lv = librdf_log_message_level(m);
	const char *msg = librdf_log_message_message(m);
	if (lv >= LIBRDF_LOG_ERROR) {
		if (c->errors < 5)
			fprintf(stderr, "librdf_load: error: %s\n", msg ? msg : "(no message)");
		c->errors++;
	} else if (lv == LIBRDF_LOG_WARN) {
		c->warnings++;
	}
	return 1;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_maxrss;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto done;
	buf = malloc((size_t)n + 1);
	if (!buf)
		goto done;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto done;
	}
	buf[n] = '\0';
done:
	fclose(f);
	return buf;
}

static int run_query(librdf_world *world, librdf_model *model, const char *path, log_counts *lc)
{
	char *text = read_file(path);
	librdf_query *q = NULL;
	librdf_query_results *res = NULL;
	unsigned long rows = 0, errors_before = lc->errors;
	double t0;
	int error = 1;

	if (!text) {
		fprintf(stderr, "librdf_load: cannot read query %s\n", path);
		return 1;
	}
	t0 = now();
	q = librdf_new_query(world, "sparql", NULL, (const unsigned char *)text, NULL);
	if (!q) {
		fprintf(stderr, "librdf_load: %s: query does not parse\n", path);
		goto done;
	}
	res = librdf_model_query_execute(model, q);
	if (!res) {
		fprintf(stderr, "librdf_load: %s: query failed to execute\n", path);
		goto done;
	}
	if (librdf_query_results_is_bindings(res)) {
		while (!librdf_query_results_finished(res)) {
			rows++;
			librdf_query_results_next(res);
		}
	} else if (librdf_query_results_is_graph(res)) {
		librdf_stream *st = librdf_query_results_as_stream(res);
		if (st) {
			while (!librdf_stream_end(st)) {
				rows++;
				librdf_stream_next(st);
			}
			librdf_free_stream(st);
		}
	} else {
		rows = librdf_query_results_get_boolean(res) > 0;
	}
	printf("query\t%s\trows=%lu\tseconds=%.4f\n", path, rows, now() - t0);
	fflush(stdout);
	error = lc->errors != errors_before;
done:
	if (res)
		librdf_free_query_results(res);
	if (q)
		librdf_free_query(q);
	free(text);
	return error;
}

static void usage(FILE *f)
{
	fputs("usage: librdf_load [-s STORAGE] [-O OPTIONS] [-f FORMAT] FILE... [-q QUERY.rq ...]\n"
	      "  STORAGE: hashes (default, with -O \"hash-type='memory'\"), trees, memory, ...\n", f);
}

int main(int argc, char **argv)
{
	const char *storage_name = "hashes", *options = NULL, *format = "ntriples";
	int i, qstart = -1, error = 1, n_files = 0, first_file = 0;
	librdf_world *world = NULL;
	librdf_storage *storage = NULL;
	librdf_model *model = NULL;
	librdf_parser *parser = NULL;
	librdf_uri *uri = NULL;
	log_counts lc = { 0, 0 };
	double t0, load_s;
	int size;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			storage_name = argv[++i];
		} else if (!strcmp(argv[i], "-O") && i + 1 < argc) {
			options = argv[++i];
		} else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			format = argv[++i];
		} else if (!strcmp(argv[i], "-q")) {
			qstart = i + 1;
			break;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || (n_files && first_file + n_files != i)) {
			fprintf(stderr, "librdf_load: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			if (!n_files++)
				first_file = i;
		}
	}
	if (!n_files) {
		usage(stderr);
		return 2;
	}
	if (!options)
		options = strcmp(storage_name, "hashes") ? "" : "hash-type='memory'";

	world = librdf_new_world();
	if (!world)
		goto cleanup;
	librdf_world_open(world);
	librdf_world_set_logger(world, &lc, on_log);

	t0 = now();
	storage = librdf_new_storage(world, storage_name, "bench", options);
	if (!storage) {
		fprintf(stderr, "librdf_load: cannot create storage '%s' with options \"%s\"\n", storage_name, options);
		goto cleanup;
	}
	model = librdf_new_model(world, storage, NULL);
	parser = librdf_new_parser(world, format, NULL, NULL);
	if (!model || !parser) {
		fprintf(stderr, "librdf_load: cannot create a model or a '%s' parser\n", format);
		goto cleanup;
	}
	for (i = first_file; i < first_file + n_files; i++) {
		uri = librdf_new_uri_from_filename(world, argv[i]);
		if (!uri) {
			fprintf(stderr, "librdf_load: cannot make a URI for %s\n", argv[i]);
			goto cleanup;
		}
		if (librdf_parser_parse_into_model(parser, uri, NULL, model)) {
			fprintf(stderr, "librdf_load: parsing %s failed\n", argv[i]);
			goto cleanup;
		}
		librdf_free_uri(uri);
		uri = NULL;
	}
	load_s = now() - t0;
	size = librdf_model_size(model);
	printf("load\tfiles=%d\tstorage=%s\tstatements=%d\tseconds=%.3f\tpeak_rss_kb=%ld\terrors=%lu\n", n_files,
		storage_name, size, load_s, peak_rss_kb(), lc.errors);
	fflush(stdout);
	error = lc.errors != 0;
	if (qstart > 0) {
		for (i = qstart; i < argc; i++)
			error |= run_query(world, model, argv[i], &lc);
		printf("peak_rss_kb=%ld\n", peak_rss_kb());
	}
cleanup:
	if (uri)
		librdf_free_uri(uri);
	if (parser)
		librdf_free_parser(parser);
	if (model)
		librdf_free_model(model);
	if (storage)
		librdf_free_storage(storage);
	if (world)
		librdf_free_world(world);
	return error;
}
