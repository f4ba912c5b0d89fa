#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/llm_flags.h"
#include "cli/recs_output.h"
#include "kgrec/audit.h"
#include "kgrec/pipeline.h"
#include "kgrec/retrieval.h"

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
	"  --weights FILE       ranker weights written by 'kgrec train'\n"
	"  --config FILE        relation configuration of the graph view (JSON)\n"
	"  --llm                re-rank with an LLM citing the graph's facts (flags below)\n"
	"  --llm-candidates N   graph candidates the LLM re-ranks (default 20, at least k)\n"
	"  --audit-log FILE     append an audit record of the list to FILE (JSON Lines);\n"
	"                       default: $KGREC_AUDIT_LOG when set\n"
	"  --audit-prompt-hash  log the prompts' hashes instead of their text\n"
	"  --audit-fsync        fsync the audit log after the record\n"
	"  --request-id ID      id of the audit record (default: random)\n";

int kgr_cmd_recommend(int argc, char **argv)
{
	const char *path = NULL, *user_text = NULL, *weights_path = NULL, *config = NULL;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_out_format fmt = KGR_OUT_TEXT;
	kgr_store *store = NULL;
	kgr_graph *graph = NULL;
	const kgr_recs *recs = NULL;
	kgr_rank_options rq = KGR_RANK_OPTIONS_INIT;
	kgr_ranking rk;
	kgr_audit_entry ae = KGR_AUDIT_ENTRY_INIT;
	kgr_weights w;
	kgr_id user = 0, *seeds = NULL, *excl = NULL;
	const char **seed_text = NULL, **excl_text = NULL;
	size_t n_seed = 0, n_excl = 0, i, n_notes = 0;
	char note_buf[600], title[600];
	const char *notes[1];
	long long v;
	int rc = 2, use_llm = 0, r;
	size_t llm_cands = 20, k_out;
	kgr_llm_options llm_opts = kgr_llm_options_from_env();
	kgr_audit_options aopts = KGR_AUDIT_OPTIONS_INIT;
	kgr_audit_log *alog = NULL;
	const char *audit_path = NULL, *request_id = NULL;

	memset(&rk, 0, sizeof(rk));
	seed_text = calloc((size_t)argc + 1, sizeof(char *));
	excl_text = calloc((size_t)argc + 1, sizeof(char *));
	if (!seed_text || !excl_text) {
		fputs("kgrec: recommend: out of memory\n", stderr);
		rc = 1;
		goto done;
	}
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < (size_t)argc;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			kgr_cli_llm_usage(stdout);
			rc = 0;
			goto done;
		} else if (!strcmp(a, "--llm")) {
			use_llm = 1;
		} else if (!strcmp(a, "--llm-candidates") && more) {
			if (kgr_cli_int("--llm-candidates", argv[++i], 1, 100, &v) < 0)
				goto done;
			llm_cands = (size_t)v;
		} else if (!strcmp(a, "--audit-log") && more) {
			audit_path = argv[++i];
		} else if (!strcmp(a, "--audit-prompt-hash")) {
			aopts.prompt_hash = 1;
		} else if (!strcmp(a, "--audit-fsync")) {
			aopts.fsync = 1;
		} else if (!strcmp(a, "--request-id") && more) {
			request_id = argv[++i];
		} else if (!strcmp(a, "--user") && more) {
			user_text = argv[++i];
		} else if ((!strcmp(a, "-k") || !strcmp(a, "--k")) && more) {
			if (kgr_cli_int("-k", argv[++i], 1, KGR_MAX_K, &v) < 0)
				goto done;
			ro.k = (size_t)v;
		} else if (!strcmp(a, "--candidates") && more) {
			if (kgr_cli_int("--candidates", argv[++i], 1, 10000, &v) < 0)
				goto done;
			ro.n_candidates = (size_t)v;
		} else if (!strcmp(a, "--format") && more) {
			if (kgr_cli_format("recommend", argv[++i], &fmt))
				goto done;
		} else if (!strcmp(a, "--explain")) {
			ro.explain = 1;
		} else if (!strcmp(a, "--exclude-seen")) {
			ro.exclude_seen = 1;
		} else if (!strcmp(a, "--include-seen")) {
			ro.exclude_seen = 0;
		} else if (!strcmp(a, "--require-path")) {
			ro.require_path = 1;
		} else if (!strcmp(a, "--at") && more) {
			if (kgr_cli_time(argv[++i], &ro.at) < 0) {
				kgr_cli_usage("--at: '%s' is neither epoch seconds nor an ISO-8601 time", argv[i]);
				goto done;
			}
		} else if (!strcmp(a, "--query") && more) {
			ro.query = argv[++i];
		} else if (!strcmp(a, "--seed") && more) {
			seed_text[n_seed++] = argv[++i];
		} else if (!strcmp(a, "--exclude") && more) {
			excl_text[n_excl++] = argv[++i];
		} else if (!strcmp(a, "--weights") && more) {
			weights_path = argv[++i];
		} else if (!strcmp(a, "--config") && more) {
			config = argv[++i];
		} else if (a[0] == '-' && a[1] == '-' && a[2]) {
			int ii = (int)i;
			if ((r = kgr_cli_llm_flag(&llm_opts, argc, argv, &ii)) == 2)
				goto done;
			if (r == 0) {
				kgr_cli_usage("recommend: unknown option or missing value '%s'", a);
				goto done;
			}
			i = (size_t)ii;
		} else if (kgr_cli_operand("recommend", a, &path)) {
			goto done;
		}
	}
	if (!path) {
		kgr_cli_usage("recommend: missing STORE");
		goto done;
	}
	if (!user_text && !n_seed && !ro.query) {
		kgr_cli_usage("recommend: give --user, --seed or --query");
		goto done;
	}
	if (!audit_path && getenv("KGREC_AUDIT_LOG") && *getenv("KGREC_AUDIT_LOG"))
		audit_path = getenv("KGREC_AUDIT_LOG");
	if (fmt == KGR_OUT_DOT || use_llm)
		ro.explain = 1;
	rc = 1;
	if (weights_path) {
		if (kgr_weights_load(&w, weights_path) < 0) {
			rc = kgr_cli_fail("recommend");
			goto done;
		}
		ro.weights = &w;
	}
	if (audit_path && kgr_audit_open(&alog, audit_path, &aopts) < 0) {
		rc = kgr_cli_fail("recommend: --audit-log");
		goto done;
	}
	if (kgr_store_open(&store, path) < 0) {
		rc = kgr_cli_fail("recommend");
		goto done;
	}
	if (user_text) {
		user = kgr_store_resolve(store, user_text);
		if (!user) {
			snprintf(note_buf, sizeof(note_buf), "unknown user '%s': cold-start recommendations",
				user_text);
			notes[n_notes++] = note_buf;
		}
	}
	seeds = calloc(n_seed + 1, sizeof(kgr_id));
	excl = calloc(n_excl + 1, sizeof(kgr_id));
	if (!seeds || !excl) {
		fputs("kgrec: recommend: out of memory\n", stderr);
		goto done;
	}
	for (i = 0; i < n_seed; i++)
		if (!(seeds[i] = kgr_cli_resolve(store, path, "recommend: seed", seed_text[i], "item")))
			goto done;
	for (i = 0; i < n_excl; i++)
		if (!(excl[i] = kgr_cli_resolve(store, path, "recommend: --exclude", excl_text[i], "item")))
			goto done;
	ro.seeds = seeds;
	ro.n_seeds = n_seed;
	ro.exclude = excl;
	ro.n_exclude = n_excl;
	if (kgr_cli_graph(&graph, store, config, "recommend"))
		goto done;
	k_out = ro.k;
	if (use_llm)
		kgr_cli_llm_link_query(&llm_opts, &ro);
	rq.rec = ro;
	rq.llm = use_llm ? &llm_opts : NULL;
	rq.llm_candidates = llm_cands;
	rq.audit = alog;
	ae.id = request_id;
	ae.store_path = path;
	ae.user_text = user_text;
	ae.graph_config = config;
	ae.weights_path = weights_path;
	rq.audit_entry = &ae;
	if (kgr_rank_request(&rk, graph, user, &rq) < 0) {
		rc = kgr_cli_fail(rk.failed == KGR_STAGE_LLM ? "recommend: llm" :
			rk.failed == KGR_STAGE_AUDIT ? "recommend: --audit-log" : "recommend");
		goto done;
	}
	recs = rk.recs;
	if (alog)
		fprintf(stderr, "kgrec: audit record %s appended to %s\n", rk.audit_id, audit_path);
	if (user)
		snprintf(title, sizeof(title), "Recommendations for %s", kgr_store_label(store, user));
	else
		snprintf(title, sizeof(title), "Recommendations");
	if (use_llm && fmt != KGR_OUT_DOT)
		kgr_cli_llm_print(stdout, store, rk.llm, fmt == KGR_OUT_JSON, k_out);
	else
		kgr_cli_print_recs(stdout, graph, recs, fmt, title, notes, n_notes);
	if (fmt != KGR_OUT_TEXT)
		for (i = 0; i < n_notes; i++)
			fprintf(stderr, "kgrec: note: %s\n", notes[i]);
	rc = 0;
done:
	kgr_ranking_clear(&rk);
	kgr_audit_close(alog);
	kgr_graph_free(graph);
	kgr_store_free(store);
	free(seeds);
	free(excl);
	free(seed_text);
	free(excl_text);
	return rc;
}
