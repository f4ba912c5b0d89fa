/* kgrec prompt: the prompt the LLM ranker would send for a user, rendered, nothing sent. */
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/llm_flags.h"
#include "cli/recs_output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kgrec/llm.h"
#include "kgrec/retrieval.h"

static const char usage[] =
	"usage: kgrec prompt STORE --user USER [options]\n"
	"Prints the prompt the LLM ranker would send (system and user parts); sends nothing.\n"
	"  --user USER          IRI, prefixed name or local name\n"
	"  -k N                 candidates shown (1..100, default 20)\n"
	"  --query TEXT         free-text wish passed to retrieval\n"
	"  --at TIME            only history before TIME (epoch seconds or ISO-8601)\n"
	"  --config FILE        relation configuration of the graph view (JSON)\n"
	"  --tokens             also print the size estimate in tokens (stderr)\n";

int kgr_cmd_prompt(int argc, char **argv)
{
	const char *path = NULL, *user_text = NULL, *config = NULL;
	kgr_llm_options lo = kgr_llm_options_from_env();
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_store *store = NULL;
	kgr_graph *graph = NULL;
	kgr_recs *recs = NULL;
	const kgr_interaction *hist;
	size_t n_hist;
	char *text = NULL;
	kgr_id user;
	int i, rc = 2, tokens = 0, r;

	ro.k = 20;
	ro.explain = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			kgr_cli_llm_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--user") && more) {
			user_text = argv[++i];
		} else if ((!strcmp(a, "-k") || !strcmp(a, "--k")) && more) {
			long long v;
			if (kgr_cli_int("-k", argv[++i], 1, 100, &v) < 0)
				return 2;
			ro.k = (size_t)v;
		} else if (!strcmp(a, "--query") && more) {
			ro.query = argv[++i];
		} else if (!strcmp(a, "--at") && more) {
			if (kgr_cli_time(argv[++i], &ro.at) < 0)
				return kgr_cli_usage("prompt: --at: '%s' is neither epoch seconds nor an ISO-8601 time",
					argv[i]);
		} else if (!strcmp(a, "--config") && more) {
			config = argv[++i];
		} else if (!strcmp(a, "--tokens")) {
			tokens = 1;
		} else if ((r = kgr_cli_llm_flag(&lo, argc, argv, &i)) != 0) {
			if (r == 2)
				return 2;
		} else if (kgr_cli_operand("prompt", a, &path)) {
			return 2;
		}
	}
	if (!path)
		return kgr_cli_usage("prompt: missing STORE");
	if (!user_text)
		return kgr_cli_usage("prompt: missing --user");
	kgr_cli_llm_link_query(&lo, &ro);
	rc = 1;
	if (kgr_store_open(&store, path) < 0) {
		rc = kgr_cli_fail("prompt");
		goto done;
	}
	if (!(user = kgr_store_resolve(store, user_text))) {
		rc = kgr_cli_fail("prompt: --user");
		goto done;
	}
	if (kgr_cli_graph(&graph, store, config, "prompt"))
		goto done;
	if (kgr_recommend(&recs, graph, user, &ro) < 0) {
		rc = kgr_cli_fail("prompt: candidates");
		goto done;
	}
	hist = kgr_store_user_history(store, user, ro.at, &n_hist);
	if (kgr_llm_render(&text, store, recs, hist, n_hist, &lo) < 0) {
		rc = kgr_cli_fail("prompt");
		goto done;
	}
	fputs(text, stdout);
	if (tokens)
		fprintf(stderr, "kgrec: prompt: about %zu tokens for %zu candidates\n",
			kgr_llm_token_estimate(text), recs->n);
	rc = 0;
done:
	free(text);
	kgr_recs_free(recs);
	kgr_graph_free(graph);
	kgr_store_free(store);
	return rc;
}
