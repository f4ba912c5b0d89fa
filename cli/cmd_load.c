#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kgrec/store.h"

static const char usage[] =
	"usage: kgrec load FILE... [--interactions FILE.csv]... -o STORE\n"
	"  FILE                 RDF: N-Triples, Turtle, RDF/XML, N-Quads, TriG, RDF/JSON, JSON-LD\n"
	"                       (.jsonld; the schema.org context is bundled, docs/FEEDS.md); .gz too\n"
	"  --format NAME        syntax of the RDF files (default: from the extension): ntriples,\n"
	"                       turtle, rdfxml, nquads, trig, json (RDF/JSON), jsonld\n"
	"  --base IRI           base IRI for relative IRIs (default: the file's URI)\n"
	"  --interactions FILE  an event log: user,item,timestamp[,action][,weight] with a header row,\n"
	"                       comma, semicolon or tab separated; GA4 and Segment exports too\n"
	"                       (docs/EVENTS.md); items are matched against the catalog's products\n"
	"  --product-feed FILE  a Google-Merchant-style product feed (CSV or TSV, header row) as\n"
	"                       schema.org and SKOS triples (docs/FEEDS.md); ids under --item-base\n"
	"  --user-base IRI      prefix for user names that are not IRIs\n"
	"  --item-base IRI      prefix for items that are no catalog product (and feed product ids)\n"
	"  --action-map FILE    more action names: a CSV of name,action rows (docs/EVENTS.md)\n"
	"  --time-unit UNIT     s, ms or us: the unit of integer timestamps (default: by magnitude)\n"
	"  --strict-items       an event whose item is no catalog product is an error\n"
	"  --skip-bad-rows      skip (and count) malformed interaction and feed rows instead of failing\n"
	"  --no-ontology        do not add the kgrec vocabulary to the store\n"
	"  -o, --output STORE   snapshot file to write (replaced atomically)\n"
	"  --threads N          threads that parse N-Triples and N-Quads (default: the processors\n"
	"                       online); the snapshot is the same for any N\n"
	"  --timings            print the time of parsing, indexing and writing\n"
	"  -q, --quiet          no progress bar, no summary (warnings and errors are still printed)\n";

typedef struct {
	const char *name;
	struct timespec last;
	int shown;
} progress;

static void on_progress(uint64_t done, uint64_t total, void *payload)
{
	progress *p = payload;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->shown && (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	p->shown = 1;
	if (total) {
		int pct = (int)(done * 100 / total), bar = pct * 30 / 100, i;
		fprintf(stderr, "\r%-30.30s [", p->name);
		for (i = 0; i < 30; i++)
			fputc(i < bar ? '#' : '.', stderr);
		fprintf(stderr, "] %3d%% %7.1f MB", pct, done / 1048576.0);
	} else {
		fprintf(stderr, "\r%-30.30s %7.1f MB", p->name, done / 1048576.0);
	}
	fflush(stderr);
}

/* A new file: its name on the bar. */
static void progress_start(progress *p, const char *name)
{
	p->name = name;
	p->shown = 0;
}

/* The file is read: end the bar's line, if one was drawn. */
static void progress_end(const progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
}

static double seconds(struct timespec from, struct timespec to)
{
	return (double)(to.tv_sec - from.tv_sec) + (to.tv_nsec - from.tv_nsec) / 1e9;
}

/* "'a', 'b', 'c'" of up to three examples. */
static void print_examples(const char *ex, size_t n, size_t width)
{
	size_t i;
	for (i = 0; i < n && ex[i * width]; i++)
		fprintf(stderr, "%s'%s'", i ? ", " : "", ex + i * width);
}

/* What a log held: its events and how their items met the catalog, what was not loaded, and
 * a warning for items that are no catalog product and for action names kgrec does not know. */
static void print_report(const char *path, const kgr_interaction_report *r, const char *item_base,
	int quiet)
{
	size_t matched = r->items_by_iri + r->items_by_name + r->items_by_code;
	if (!quiet) {
		fprintf(stderr, "kgrec: %s: %zu events; items: %zu matched catalog products", path, r->events,
			matched);
		if (matched) {
			const char *sep = " (";
			if (r->items_by_iri)
				fprintf(stderr, "%s%zu by IRI", sep, r->items_by_iri), sep = ", ";
			if (r->items_by_name)
				fprintf(stderr, "%s%zu by local name", sep, r->items_by_name), sep = ", ";
			if (r->items_by_code)
				fprintf(stderr, "%s%zu by SKU, product id or GTIN", sep, r->items_by_code);
			fputc(')', stderr);
		}
		fprintf(stderr, ", %zu did not\n", r->items_unmatched);
		if (r->not_recorded)
			fprintf(stderr, "kgrec: %s: %zu rows not loaded: their actions are not interactions "
				"(refunds, list views, removals: docs/EVENTS.md)\n", path, r->not_recorded);
	}
	if (r->items_unmatched && r->catalog_items) {
		fprintf(stderr, "kgrec: warning: %s: %zu of %zu events name items that are not among the "
			"%zu catalog products, e.g. ", path, r->items_unmatched, r->events, r->catalog_items);
		print_examples(r->unmatched[0], 3, sizeof(r->unmatched[0]));
		fprintf(stderr, "; they became new items under %s. If they are catalog products, give "
			"--item-base the namespace of the product IRIs, or give the products a schema:sku, "
			"schema:productID or schema:gtin equal to these ids (--strict-items makes this an "
			"error)\n", item_base);
	} else if (r->items_unmatched && !quiet) {
		fprintf(stderr, "kgrec: %s: no catalog products were loaded before this log: its items "
			"are new items under %s\n", path, item_base);
	}
	if (r->unknown_actions) {
		fprintf(stderr, "kgrec: warning: %s: %zu events have action names kgrec does not know (",
			path, r->unknown_actions);
		print_examples(r->unknown[0], 3, sizeof(r->unknown[0]));
		fprintf(stderr, "): they were loaded as new actions, which explanations quote as "
			"they are; map them to kgrec's actions with --action-map FILE (docs/EVENTS.md)\n");
	}
}

/* The product feeds, then the interaction logs, each with its count of skipped rows; 0, or
 * the first error (its message set). */
static int load_tables(kgr_store *store, const char **feeds, size_t n_feeds, kgr_feed_options *fo,
	const char **logs, size_t n_logs, kgr_interaction_options *io, progress *prog, size_t *skipped_total,
	int quiet)
{
	size_t i;
	for (i = 0; i < n_feeds; i++) {
		size_t skipped = 0;
		int e;
		fo->skipped_out = &skipped;
		if ((e = kgr_store_load_product_feed(store, feeds[i], fo)) < 0)
			return e;
		if (skipped)
			fprintf(stderr, "kgrec: %s: skipped %zu bad product rows\n", feeds[i], skipped);
		*skipped_total += skipped;
	}
	for (i = 0; i < n_logs; i++) {
		size_t skipped = 0;
		kgr_interaction_report report;
		int e;
		io->skipped_out = &skipped;
		io->report_out = &report;
		progress_start(prog, logs[i]);
		e = kgr_store_load_interactions(store, logs[i], io);
		progress_end(prog);
		if (e < 0)
			return e;
		if (skipped)
			fprintf(stderr, "kgrec: %s: skipped %zu malformed rows\n", logs[i], skipped);
		print_report(logs[i], &report, io->item_base, quiet);
		*skipped_total += skipped;
	}
	return 0;
}

/* What the command line asked for. */
typedef struct {
	const char *out, *format, *base, **files, **logs, **feeds;
	size_t n_files, n_logs, n_feeds;
	kgr_interaction_options io;
	int with_ontology, quiet, timings, threads;
} load_args;

/* The arguments into *a (its arrays have room for every argument): -1 to go on, or the exit
 * code (0 after --help, 2 after a usage error). */
static int parse_args(load_args *a, int argc, char **argv)
{
	size_t i;

	for (i = 1; i < (size_t)argc; i++) {
		const char *arg = argv[i];
		int more = i + 1 < (size_t)argc;
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if ((!strcmp(arg, "-o") || !strcmp(arg, "--output")) && more) {
			a->out = argv[++i];
		} else if (!strcmp(arg, "--format") && more) {
			a->format = argv[++i];
		} else if (!strcmp(arg, "--base") && more) {
			a->base = argv[++i];
		} else if (!strcmp(arg, "--interactions") && more) {
			a->logs[a->n_logs++] = argv[++i];
		} else if (!strcmp(arg, "--product-feed") && more) {
			a->feeds[a->n_feeds++] = argv[++i];
		} else if (!strcmp(arg, "--user-base") && more) {
			a->io.user_base = argv[++i];
		} else if (!strcmp(arg, "--item-base") && more) {
			a->io.item_base = argv[++i];
		} else if (!strcmp(arg, "--action-map") && more) {
			a->io.action_map = argv[++i];
		} else if (!strcmp(arg, "--time-unit") && more) {
			const char *u = argv[++i];
			if (!strcmp(u, "s"))
				a->io.time_unit = KGR_TIME_UNIT_S;
			else if (!strcmp(u, "ms"))
				a->io.time_unit = KGR_TIME_UNIT_MS;
			else if (!strcmp(u, "us"))
				a->io.time_unit = KGR_TIME_UNIT_US;
			else
				return kgr_cli_usage("load: --time-unit takes s, ms or us, not '%s'", u);
		} else if (!strcmp(arg, "--strict-items")) {
			a->io.strict_items = 1;
		} else if (!strcmp(arg, "--skip-bad-rows")) {
			a->io.skip_bad_rows = 1;
		} else if (!strcmp(arg, "--no-ontology")) {
			a->with_ontology = 0;
		} else if (!strcmp(arg, "--timings")) {
			a->timings = 1;
		} else if (!strcmp(arg, "--threads") && more) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (end == argv[i] || *end || n < 1 || n > 64)
				return kgr_cli_usage("load: --threads takes a whole number from 1 to 64, not '%s'", argv[i]);
			a->threads = (int)n;
		} else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			a->quiet = 1;
		} else if (arg[0] == '-' && arg[1]) {
			return kgr_cli_usage("load: unknown or incomplete option '%s'", arg);
		} else {
			a->files[a->n_files++] = arg;
		}
	}
	if (!a->out)
		return kgr_cli_usage("load: missing -o STORE");
	if (a->n_files == 0 && a->n_logs == 0 && a->n_feeds == 0)
		return kgr_cli_usage("load: no input files");
	return -1;
}

/* The RDF files, in the order given; 0, or the first error (its message set). A file that
 * adds no triple is loaded and warned about. */
static int load_rdf(kgr_store *store, const load_args *a, progress *prog)
{
	size_t i;
	for (i = 0; i < a->n_files; i++) {
		size_t before = kgr_store_quad_count(store);
		int e;
		progress_start(prog, a->files[i]);
		e = kgr_store_load_rdf(store, a->files[i], a->format, a->base);
		progress_end(prog);
		if (e < 0)
			return e;
		/* an empty dataset is a valid store; a file without triples may still be a mistake */
		if (kgr_store_quad_count(store) == before)
			fprintf(stderr, "kgrec: warning: %s: no triples\n", a->files[i]);
	}
	return 0;
}

int kgr_cmd_load(int argc, char **argv)
{
	kgr_interaction_options io_init = KGR_INTERACTION_OPTIONS_INIT;
	kgr_feed_options fo = KGR_FEED_OPTIONS_INIT;
	size_t skipped_total = 0;
	int rc = 1;
	struct timespec tp, tf;
	kgr_store *store = NULL;
	kgr_store_stats st;
	progress prog = { 0 };
	struct timespec t0, t1;
	load_args a;

	memset(&a, 0, sizeof(a));
	a.io = io_init;
	a.with_ontology = 1;
	a.files = calloc((size_t)argc, sizeof(*a.files));
	a.logs = calloc((size_t)argc, sizeof(*a.logs));
	a.feeds = calloc((size_t)argc, sizeof(*a.feeds));
	if (!a.files || !a.logs || !a.feeds) {
		free(a.files);
		free(a.logs);
		free(a.feeds);
		return 1;
	}
	if ((rc = parse_args(&a, argc, argv)) >= 0)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (kgr_store_new(&store, a.with_ontology) < 0) {
		rc = kgr_cli_fail("load");
		goto done;
	}
	if (!a.quiet && isatty(2))
		kgr_store_set_progress(store, on_progress, &prog);
	(void)kgr_store_set_threads(store, a.threads); /* 0: the processors online */
	if (load_rdf(store, &a, &prog) < 0) {
		rc = kgr_cli_fail("load");
		goto done;
	}
	fo.item_base = a.io.item_base;
	fo.skip_bad_rows = a.io.skip_bad_rows;
	if (load_tables(store, a.feeds, a.n_feeds, &fo, a.logs, a.n_logs, &a.io, &prog, &skipped_total, a.quiet) < 0) {
		rc = kgr_cli_fail("load");
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &tp);
	if (kgr_store_finalize(store) < 0) {
		rc = kgr_cli_fail("load");
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &tf);
	if (kgr_store_save(store, a.out) < 0) {
		rc = kgr_cli_fail("load");
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (a.timings)
		fprintf(stderr, "timings: parse %.3f s, finalize %.3f s, save %.3f s\n", seconds(t0, tp),
			seconds(tp, tf), seconds(tf, t1));
	if (!a.quiet) {
		/* the counts read every quad: only for the summary line */
		kgr_store_get_stats(store, &st);
		fprintf(stderr, "%s: %zu triples (%zu inferred), %zu terms, %zu users, %zu items, %zu interactions%s in %.2f s\n",
			a.out, st.quads, st.inferred, st.terms, st.users, st.items, st.interactions,
			skipped_total ? " (rows skipped: see above)" : "", seconds(t0, t1));
	}
	rc = 0;
done:
	kgr_store_free(store);
	free(a.files);
	free(a.logs);
	free(a.feeds);
	return rc;
}
