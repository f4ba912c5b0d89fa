#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kgrec/eval.h"

static const char usage[] =
	"usage: kgrec eval STORE [--protocol loo|temporal|sampled] [--ranker NAME] [options]\n"
	"  --protocol P        loo: last event test, second last validation, full ranking (default)\n"
	"                      temporal: global time cut; sampled: leave-one-out against negatives\n"
	"  --ranker NAME       pop, itemknn, graph, graph-nokg, graph-open, llm, learned, learned-nokg,\n"
	"                      sequence, graph-sequence (default pop)\n"
	"  --negatives FILE|N  sampled: a file 'user neg1 neg2 ...' or a count drawn with the seed\n"
	"                      (default 99)\n"
	"  --k LIST            cut-offs, comma-separated (default 5,10,20)\n"
	"  --users N           evaluate a seeded sample of N users (default all)\n"
	"  --seed S            seed for sampling and tie breaking (default 42)\n"
	"  --params P          fixed hyper-parameters 'name=value,...' (default: tuned on the\n"
	"                      validation events)\n"
	"  --no-tune           use the ranker's default hyper-parameters\n"
	"  --action IRI        only interactions with this action\n"
	"  --temporal-test F   temporal: share of events before the test cut (default 0.8)\n"
	"  --temporal-valid F  temporal: share before the validation cut (default test - 0.1)\n"
	"  --llm-url URL       llm: OpenAI-compatible endpoint (default KGREC_LLM_URL)\n"
	"  --llm-model NAME    llm: model (default KGREC_LLM_MODEL)\n"
	"  --graph-config FILE relation configuration for the graph rankers (JSON)\n"
	"  --hub-degree N      hub: a node linked to more than N items (default max(100, 2% of items))\n"
	"  --out FILE          write the result as JSON\n"
	"  -q, --quiet         no progress bar\n";

typedef struct {
	const char *phase;
	struct timespec last;
	int shown;
} progress;

static void on_progress(uint64_t done, uint64_t total, void *payload)
{
	progress *p = payload;
	struct timespec now;
	int pct, bar, i;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total && p->shown &&
		(now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	p->shown = 1;
	pct = total ? (int)(done * 100 / total) : 0;
	bar = pct * 30 / 100;
	fputs("\reval users [", stderr);
	for (i = 0; i < 30; i++)
		fputc(i < bar ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%% %llu/%llu", pct, (unsigned long long)done, (unsigned long long)total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return (errno || end == s || *end) ? -1 : 0;
}

static void print_metrics(const char *name, const kgr_eval_result *r, const kgr_eval_metrics *m)
{
	size_t i;
	printf("%-6s", name);
	for (i = 0; i < r->n_ks; i++)
		printf("  %8.4f %8.4f", m->hr[i], m->ndcg[i]);
	printf("  %8.4f %8.4f  %6zu %7.1f\n", m->mrr, m->coverage, m->users, m->seconds);
}

static void print_result(const kgr_eval_result *r)
{
	size_t i;
	char h[32];
	printf("ranker %s, protocol %s, seed %llu, params %s\n", r->ranker, r->protocol,
		(unsigned long long)r->seed, *r->params ? r->params : "-");
	printf("items %zu, events train %zu / validation %zu / test %zu", r->items, r->train_events,
		r->valid_events, r->test_events);
	if (r->negatives)
		printf(", %zu negatives per user", r->negatives);
	if (r->test_cut) {
		char a[32], b[32];
		time_t ta = (time_t)r->valid_cut, tb = (time_t)r->test_cut;
		struct tm tm;
		strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S", gmtime_r(&ta, &tm));
		strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", gmtime_r(&tb, &tm));
		printf(", cuts %s / %s UTC", a, b);
	}
	if (r->tuned_configs)
		printf(", %zu configurations tuned on validation", r->tuned_configs);
	printf("\n%-6s", "");
	for (i = 0; i < r->n_ks; i++) {
		snprintf(h, sizeof(h), "HR@%zu", r->ks[i]);
		printf("  %8s", h);
		snprintf(h, sizeof(h), "NDCG@%zu", r->ks[i]);
		printf(" %8s", h);
	}
	printf("  %8s %8s  %6s %7s\n", "MRR", "coverage", "users", "seconds");
	print_metrics("valid", r, &r->valid);
	print_metrics("test", r, &r->test);
	if (r->explain.measured)
		printf("explanations: fidelity %.4f, %.2f edges per path, %zu relation patterns "
			"(%.4f per path, entropy %.2f bits), paths through hubs %.4f (hub: > %.0f items), "
			"%zu items, %zu paths\n",
			r->explain.fidelity, r->explain.mean_path_length, r->explain.patterns,
			r->explain.pattern_diversity, r->explain.pattern_entropy, r->explain.hub_share,
			r->explain.hub_degree, r->explain.items, r->explain.paths);
	for (i = 0; r->explain.measured && i < r->explain.n_top_patterns; i++)
		printf("  pattern %5.1f%%  %s\n", 100.0 * r->explain.top_pattern_share[i],
			r->explain.top_patterns[i]);
	if (r->llm.measured)
		printf("llm: %zu lists, %zu in graph order (fallback), validity %.4f, grounded rationales "
			"%.4f of %zu, %zu calls (%zu cached, %zu failed, %zu invalid replies), tokens %ld + %ld\n",
			r->llm.users, r->llm.fallbacks, r->llm.validity, r->llm.grounding, r->llm.rationales,
			r->llm.calls, r->llm.cache_hits, r->llm.failures, r->llm.replies_invalid,
			r->llm.prompt_tokens, r->llm.completion_tokens);
	printf("time %.1f s (CPU %.1f s), peak memory %.1f MB\n", r->seconds, r->cpu_seconds,
		(double)r->peak_rss_kb / 1024.0);
}

/* What the command line asked for. */
typedef struct {
	kgr_eval_options o;
	const char *path, *out_path, *action;
	size_t ks[KGR_EVAL_MAX_KS], n_ks;
	int quiet;
} eval_args;

/* The arguments into *a: -1 to go on, or the exit code (0 after --help, 2 after a usage
 * error, 1 when out of memory). */
static int parse_args(eval_args *a, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			a->quiet = 1;
			continue;
		} else if (!strcmp(arg, "--no-tune")) {
			a->o.no_tune = 1;
			continue;
		} else if (arg[0] == '-' && arg[1] == '-' && !v) {
			return kgr_cli_usage("eval: %s needs a value", arg);
		}
		if (!strcmp(arg, "--protocol")) {
			if (kgr_eval_protocol_parse(&a->o.protocol, v) < 0)
				return kgr_cli_usage("%s", kgr_error_last());
		} else if (!strcmp(arg, "--ranker")) {
			a->o.ranker = v;
		} else if (!strcmp(arg, "--negatives")) {
			if (parse_size(v, &a->o.n_negatives) != 0) {
				a->o.n_negatives = 0;
				a->o.negatives_path = v;
			} else if (a->o.n_negatives == 0) {
				return kgr_cli_usage("eval: --negatives needs a file or a count >= 1");
			}
		} else if (!strcmp(arg, "--k")) {
			char *copy = strdup(v), *tok, *save;
			if (!copy)
				return 1;
			for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (a->n_ks == KGR_EVAL_MAX_KS || parse_size(tok, &a->ks[a->n_ks]) != 0 || a->ks[a->n_ks] == 0) {
					free(copy);
					return kgr_cli_usage("eval: --k takes up to %d positive numbers, "
						"comma-separated: '%s'", KGR_EVAL_MAX_KS, v);
				}
				a->n_ks++;
			}
			free(copy);
		} else if (!strcmp(arg, "--users")) {
			if (parse_size(v, &a->o.max_users) != 0)
				return kgr_cli_usage("eval: --users takes a count: '%s'", v);
		} else if (!strcmp(arg, "--seed")) {
			size_t s;
			if (parse_size(v, &s) != 0)
				return kgr_cli_usage("eval: --seed takes a non-negative number: '%s'", v);
			a->o.seed = s;
		} else if (!strcmp(arg, "--params")) {
			a->o.params = v;
		} else if (!strcmp(arg, "--llm-url")) {
			a->o.llm_url = v;
		} else if (!strcmp(arg, "--llm-model")) {
			a->o.llm_model = v;
		} else if (!strcmp(arg, "--graph-config")) {
			a->o.graph_config = v;
		} else if (!strcmp(arg, "--action")) {
			a->action = v;
		} else if (!strcmp(arg, "--temporal-test")) {
			if (parse_double(v, &a->o.temporal_test) != 0)
				return kgr_cli_usage("eval: --temporal-test takes a number: '%s'", v);
		} else if (!strcmp(arg, "--temporal-valid")) {
			if (parse_double(v, &a->o.temporal_valid) != 0)
				return kgr_cli_usage("eval: --temporal-valid takes a number: '%s'", v);
		} else if (!strcmp(arg, "--hub-degree")) {
			if (parse_double(v, &a->o.hub_degree) != 0 || a->o.hub_degree < 0)
				return kgr_cli_usage("eval: --hub-degree takes a number >= 0: '%s'", v);
		} else if (!strcmp(arg, "--out") || !strcmp(arg, "-o")) {
			a->out_path = v;
		} else if (arg[0] == '-') {
			return kgr_cli_usage("eval: unknown option '%s'", arg);
		} else if (!a->path) {
			a->path = arg;
			continue;
		} else {
			return kgr_cli_usage("eval: unexpected argument '%s'", arg);
		}
		i++;
	}
	return -1;
}

int kgr_cmd_eval(int argc, char **argv)
{
	kgr_eval_options dflt = KGR_EVAL_OPTIONS_INIT, o;
	const char *path, *out_path, *action;
	size_t n_ks;
	kgr_store *store = NULL;
	kgr_eval_result *res = NULL;
	progress prog = { 0 };
	char *json = NULL;
	eval_args args;
	int quiet, rc;

	memset(&args, 0, sizeof(args));
	args.o = dflt;
	if ((rc = parse_args(&args, argc, argv)) >= 0)
		return rc;
	o = args.o;
	path = args.path;
	out_path = args.out_path;
	action = args.action;
	quiet = args.quiet;
	n_ks = args.n_ks;
	rc = 1;
	if (!path)
		return kgr_cli_usage("eval: which store? usage: kgrec eval STORE [options]");
	if (n_ks) {
		o.ks = args.ks;
		o.n_ks = n_ks;
	}
	if (!quiet && isatty(2)) {
		o.progress = on_progress;
		o.progress_payload = &prog;
	}
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail(path);
	if (action) {
		o.action = kgr_store_resolve(store, action);
		if (!o.action) {
			rc = kgr_cli_fail("eval: --action");
			goto done;
		}
	}
	if (kgr_eval_run(&res, store, &o) < 0) {
		rc = kgr_cli_fail("eval");
		goto done;
	}
	print_result(res);
	if (out_path) {
		FILE *f;
		if (kgr_eval_result_json(&json, res) < 0) {
			rc = kgr_cli_fail("eval");
			goto done;
		}
		f = fopen(out_path, "w");
		if (!f || fputs(json, f) < 0 || fputc('\n', f) < 0 || fclose(f) != 0) {
			fprintf(stderr, "kgrec: eval: cannot write %s: %s\n", out_path, strerror(errno));
			goto done;
		}
	}
	rc = 0;
done:
	free(json);
	kgr_eval_result_free(res);
	kgr_store_free(store);
	return rc;
}
