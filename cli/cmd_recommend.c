#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/llm_flags.h"
#include "cli/options.h"
#include "cli/recs_output.h"
#include "kgrec/audit.h"
#include "kgrec/pipeline.h"
#include "kgrec/retrieval.h"
#include "kgrec/sequence.h"

#include <errno.h>
#include <math.h>

static const char usage[] =
	"usage: kgrec recommend STORE --user USER [options]\n"
	"  --user USER          IRI, prefixed name or local name (unknown: cold start)\n"
	"  -k N                 items to return (1..1000, default 10)\n"
	"  --candidates N       candidates scored before the cut to k (default 100)\n"
	"  --format F           text (default), json or dot (the evidence subgraph)\n"
	"  --explain            evidence paths and a rationale per item\n"
	"  --exclude-seen       leave out items the user already has (default)\n"
	"  --include-seen       keep them\n"
	"  --at TIME            only history before TIME (epoch seconds or ISO-8601)\n"
	"  --query TEXT         free-text wish, matched against labels and literals\n"
	"  --seed ITEM          an item the user wants something like (repeatable)\n"
	"  --exclude ITEM       an item never to return (repeatable)\n"
	"  --require-path       only items with an evidence path\n"
	"  --weights FILE       graph ranker weights written by 'kgrec train --linear'\n"
	"  --model FILE         order with the learned ranker written by 'kgrec train'\n"
	"  --sequence FILE      the sequence model ('kgrec train --model sequence'): its best\n"
	"                       items after the user's history join the candidates and its\n"
	"                       score is a part of each item's (\"sequence\")\n"
	"  --sequence-weight X  weight of that part (default 1)\n"
	"  --sequence-candidates N  the model's items proposed (1..1000, default 100)\n"
	"  --config FILE        relation configuration of the graph view (JSON)\n"
	"  --llm                re-rank with an LLM citing the graph's facts (flags below)\n"
	"  --llm-candidates N   graph candidates the LLM re-ranks (default 20, at least k)\n"
	"  --audit-log FILE     append an audit record of the list to FILE (JSON Lines);\n"
	"                       default: $KGREC_AUDIT_LOG when set\n"
	"  --audit-prompt-hash  log the prompts' hashes instead of their text\n"
	"  --audit-fsync        fsync the audit log after the record\n"
	"  --request-id ID      id of the audit record (default: random)\n";

/* What the command line asked for. */
typedef struct {
	const char *path, *user_text, *weights_path, *model_path, *config, *audit_path, *request_id;
	const char *seq_path;
	kgr_rec_options ro;
	kgr_out_format fmt;
	const char **seed_text, **excl_text;
	size_t n_seed, n_excl, llm_cands;
	int use_llm;
	kgr_llm_options llm;
	kgr_audit_options aopts;
} rec_args;

/* A finite number for KGR_OPT_PARSE. */
static int real_arg(const char *cmd, const char *value, void *dest)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end || !isfinite(v))
		return kgr_cli_usage("%s: '%s' is not a number", cmd, value);
	*(double *)dest = v;
	return 0;
}

/* The arguments into *a: -1 to go on, or the exit code (0 after --help, 2 after a usage
 * error). */
static int parse_args(rec_args *a, int argc, char **argv)
{
	const kgr_cli_opt opts[] = {
		{ "--llm", NULL, KGR_OPT_SET, &a->use_llm, 0, 0, 1, NULL, NULL },
		{ "--llm-candidates", NULL, KGR_OPT_SIZE, &a->llm_cands, 1, 100, 0, NULL, NULL },
		{ "--audit-log", NULL, KGR_OPT_STRING, &a->audit_path, 0, 0, 0, NULL, NULL },
		{ "--audit-prompt-hash", NULL, KGR_OPT_SET, &a->aopts.prompt_hash, 0, 0, 1, NULL, NULL },
		{ "--audit-fsync", NULL, KGR_OPT_SET, &a->aopts.fsync, 0, 0, 1, NULL, NULL },
		{ "--request-id", NULL, KGR_OPT_STRING, &a->request_id, 0, 0, 0, NULL, NULL },
		{ "--user", NULL, KGR_OPT_STRING, &a->user_text, 0, 0, 0, NULL, NULL },
		{ "--k", "-k", KGR_OPT_SIZE, &a->ro.k, 1, KGR_MAX_K, 0, NULL, NULL },
		{ "--candidates", NULL, KGR_OPT_SIZE, &a->ro.n_candidates, 1, 10000, 0, NULL, NULL },
		{ "--format", NULL, KGR_OPT_PARSE, &a->fmt, 0, 0, 0, NULL, kgr_cli_opt_format },
		{ "--explain", NULL, KGR_OPT_SET, &a->ro.explain, 0, 0, 1, NULL, NULL },
		{ "--exclude-seen", NULL, KGR_OPT_SET, &a->ro.exclude_seen, 0, 0, 1, NULL, NULL },
		{ "--include-seen", NULL, KGR_OPT_SET, &a->ro.exclude_seen, 0, 0, 0, NULL, NULL },
		{ "--require-path", NULL, KGR_OPT_SET, &a->ro.require_path, 0, 0, 1, NULL, NULL },
		{ "--at", NULL, KGR_OPT_TIME, &a->ro.at, 0, 0, 0, NULL, NULL },
		{ "--query", NULL, KGR_OPT_STRING, &a->ro.query, 0, 0, 0, NULL, NULL },
		{ "--seed", NULL, KGR_OPT_APPEND, a->seed_text, 0, 0, 0, &a->n_seed, NULL },
		{ "--exclude", NULL, KGR_OPT_APPEND, a->excl_text, 0, 0, 0, &a->n_excl, NULL },
		{ "--weights", NULL, KGR_OPT_STRING, &a->weights_path, 0, 0, 0, NULL, NULL },
		{ "--model", NULL, KGR_OPT_STRING, &a->model_path, 0, 0, 0, NULL, NULL },
		{ "--config", NULL, KGR_OPT_STRING, &a->config, 0, 0, 0, NULL, NULL },
		{ "--sequence", NULL, KGR_OPT_STRING, &a->seq_path, 0, 0, 0, NULL, NULL },
		{ "--sequence-weight", NULL, KGR_OPT_PARSE, &a->ro.w_sequence, 0, 0, 0, NULL, real_arg },
		{ "--sequence-candidates", NULL, KGR_OPT_SIZE, &a->ro.n_sequence, 1, KGR_MAX_K, 0, NULL,
			NULL },
		{ NULL, NULL, KGR_OPT_SET, NULL, 0, 0, 0, NULL, NULL }
	};
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			kgr_cli_llm_usage(stdout);
			return 0;
		}
		if ((r = kgr_cli_opt_parse("recommend", opts, argc, argv, &i)) < 0)
			return 2;
		if (r)
			continue;
		if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
			if ((r = kgr_cli_llm_flag(&a->llm, argc, argv, &i)) == 2)
				return 2;
			if (r == 0)
				return kgr_cli_usage("recommend: unknown option or missing value '%s'", arg);
		} else if (kgr_cli_operand("recommend", arg, &a->path)) {
			return 2;
		}
	}
	if (!a->path)
		return kgr_cli_usage("recommend: missing STORE");
	if (!a->user_text && !a->n_seed && !a->ro.query)
		return kgr_cli_usage("recommend: give --user, --seed or --query");
	if (!a->audit_path && getenv("KGREC_AUDIT_LOG") && *getenv("KGREC_AUDIT_LOG"))
		a->audit_path = getenv("KGREC_AUDIT_LOG");
	if (a->fmt == KGR_OUT_DOT || a->use_llm)
		a->ro.explain = 1;
	return -1;
}

/* The items named by texts as ids (*out, n + 1 of them); 0, or 1 after a message naming
 * the one the store lacks. */
static int resolve_items(kgr_id **out, const kgr_store *store, const char *path, const char *what,
	const char **texts, size_t n)
{
	size_t i;
	if (!(*out = calloc(n + 1, sizeof(kgr_id)))) {
		fputs("kgrec: recommend: out of memory\n", stderr);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!((*out)[i] = kgr_cli_resolve(store, path, what, texts[i], "item")))
			return 1;
	return 0;
}

/* The list as the format asks: the LLM's answer, or the graph's list with its notes. */
static void print_result(const rec_args *a, const kgr_store *store, const kgr_graph *graph,
	const kgr_ranking *rk, kgr_id user, size_t k, const char *const *notes, size_t n_notes)
{
	char title[600];
	size_t i;
	if (user)
		snprintf(title, sizeof(title), "Recommendations for %s", kgr_store_label(store, user));
	else
		snprintf(title, sizeof(title), "Recommendations");
	if (a->use_llm && a->fmt != KGR_OUT_DOT)
		kgr_cli_llm_print(stdout, store, rk->llm, a->fmt == KGR_OUT_JSON, k);
	else
		kgr_cli_print_recs(stdout, graph, rk->recs, a->fmt, title, notes, n_notes);
	if (a->fmt != KGR_OUT_TEXT)
		for (i = 0; i < n_notes; i++)
			fprintf(stderr, "kgrec: note: %s\n", notes[i]);
}

int kgr_cmd_recommend(int argc, char **argv)
{
	rec_args a;
	kgr_rec_options dflt = KGR_REC_OPTIONS_INIT;
	kgr_audit_options adflt = KGR_AUDIT_OPTIONS_INIT;
	kgr_store *store = NULL;
	kgr_graph *graph = NULL;
	kgr_rank_options rq = KGR_RANK_OPTIONS_INIT;
	kgr_ranking rk;
	kgr_audit_entry ae = KGR_AUDIT_ENTRY_INIT;
	kgr_weights w;
	kgr_model *model = NULL;
	kgr_seq_model *seq = NULL;
	kgr_id user = 0, *seeds = NULL, *excl = NULL;
	size_t n_notes = 0;
	char note_buf[600];
	const char *notes[1];
	int rc = 2;
	kgr_audit_log *alog = NULL;

	memset(&rk, 0, sizeof(rk));
	memset(&a, 0, sizeof(a));
	a.ro = dflt;
	a.aopts = adflt;
	a.fmt = KGR_OUT_TEXT;
	a.llm_cands = 20;
	a.llm = kgr_llm_options_from_env();
	a.seed_text = calloc((size_t)argc + 1, sizeof(char *));
	a.excl_text = calloc((size_t)argc + 1, sizeof(char *));
	if (!a.seed_text || !a.excl_text) {
		fputs("kgrec: recommend: out of memory\n", stderr);
		rc = 1;
		goto done;
	}
	if ((rc = parse_args(&a, argc, argv)) >= 0)
		goto done;
	rc = 1;
	if (a.weights_path) {
		if (kgr_weights_load(&w, a.weights_path) < 0) {
			rc = kgr_cli_fail("recommend");
			goto done;
		}
		a.ro.weights = &w;
	}
	if (a.model_path && kgr_model_load(&model, a.model_path) < 0) {
		rc = kgr_cli_fail("recommend: --model");
		goto done;
	}
	if (a.audit_path && kgr_audit_open(&alog, a.audit_path, &a.aopts) < 0) {
		rc = kgr_cli_fail("recommend: --audit-log");
		goto done;
	}
	if (kgr_store_open(&store, a.path) < 0) {
		rc = kgr_cli_fail("recommend");
		goto done;
	}
	if (a.seq_path) {
		if (kgr_seq_load(&seq, a.seq_path, store) < 0) {
			rc = kgr_cli_fail("recommend: --sequence");
			goto done;
		}
		a.ro.sequence = seq;
	}
	if (a.user_text && !(user = kgr_store_resolve(store, a.user_text))) {
		snprintf(note_buf, sizeof(note_buf), "unknown user '%s': cold-start recommendations",
			a.user_text);
		notes[n_notes++] = note_buf;
	}
	if (resolve_items(&seeds, store, a.path, "recommend: seed", a.seed_text, a.n_seed) ||
		resolve_items(&excl, store, a.path, "recommend: --exclude", a.excl_text, a.n_excl))
		goto done;
	a.ro.seeds = seeds;
	a.ro.n_seeds = a.n_seed;
	a.ro.exclude = excl;
	a.ro.n_exclude = a.n_excl;
	if (kgr_cli_graph(&graph, store, a.config, "recommend"))
		goto done;
	if (a.use_llm)
		kgr_cli_llm_link_query(&a.llm, &a.ro);
	rq.rec = a.ro;
	rq.llm = a.use_llm ? &a.llm : NULL;
	rq.llm_candidates = a.llm_cands;
	rq.audit = alog;
	ae.id = a.request_id;
	ae.store_path = a.path;
	ae.user_text = a.user_text;
	ae.graph_config = a.config;
	ae.weights_path = a.weights_path;
	ae.model_path = a.model_path;
	ae.sequence_path = a.seq_path;
	rq.model = model;
	rq.audit_entry = &ae;
	if (kgr_rank_request(&rk, graph, user, &rq) < 0) {
		rc = kgr_cli_fail(rk.failed == KGR_STAGE_LLM ? "recommend: llm" :
			rk.failed == KGR_STAGE_AUDIT ? "recommend: --audit-log" : "recommend");
		goto done;
	}
	if (alog)
		fprintf(stderr, "kgrec: audit record %s appended to %s\n", rk.audit_id, a.audit_path);
	print_result(&a, store, graph, &rk, user, a.ro.k, notes, n_notes);
	rc = 0;
done:
	kgr_ranking_clear(&rk);
	kgr_model_free(model);
	kgr_seq_free(seq);
	kgr_audit_close(alog);
	kgr_graph_free(graph);
	kgr_store_free(store);
	free(seeds);
	free(excl);
	free(a.seed_text);
	free(a.excl_text);
	return rc;
}
