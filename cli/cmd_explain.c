#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/options.h"
#include "cli/recs_output.h"
#include "kgrec/retrieval.h"

static const char usage[] =
	"usage: kgrec explain STORE --user USER --item ITEM [--hops N] [--format text|json|dot]\n"
	"                     [--config FILE]\n"
	"  The evidence paths (at most N hops, 1..3, default 3) from the user's history to ITEM.\n";

int kgr_cmd_explain(int argc, char **argv)
{
	const char *path = NULL, *user_text = NULL, *item_text = NULL, *config = NULL;
	kgr_out_format fmt = KGR_OUT_TEXT;
	kgr_store *store = NULL;
	kgr_graph *graph = NULL;
	kgr_recs *recs = NULL;
	kgr_id user, item;
	char title[800];
	long long hops = 3;
	int i, r, rc = 1;
	const kgr_cli_opt opts[] = {
		{ "--user", NULL, KGR_OPT_STRING, &user_text, 0, 0, 0, NULL, NULL },
		{ "--item", NULL, KGR_OPT_STRING, &item_text, 0, 0, 0, NULL, NULL },
		{ "--hops", NULL, KGR_OPT_LONG, &hops, 1, 3, 0, NULL, NULL },
		{ "--format", NULL, KGR_OPT_PARSE, &fmt, 0, 0, 0, NULL, kgr_cli_opt_format },
		{ "--config", NULL, KGR_OPT_STRING, &config, 0, 0, 0, NULL, NULL },
		{ NULL, NULL, KGR_OPT_SET, NULL, 0, 0, 0, NULL, NULL }
	};

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if ((r = kgr_cli_opt_parse("explain", opts, argc, argv, &i)) < 0)
			return 2;
		if (!r && kgr_cli_operand("explain", a, &path))
			return 2;
	}
	if (!path || !user_text || !item_text)
		return kgr_cli_usage("explain: need STORE, --user USER and --item ITEM");
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("explain");
	if (!(user = kgr_cli_resolve(store, path, "explain: user", user_text, "user")) ||
		!(item = kgr_cli_resolve(store, path, "explain: item", item_text, "item")) ||
		kgr_cli_graph(&graph, store, config, "explain"))
		goto done;
	if (kgr_explain(&recs, graph, user, item, (int)hops) < 0) {
		rc = kgr_cli_fail("explain");
		goto done;
	}
	snprintf(title, sizeof(title), "Why %s for %s", kgr_store_label(store, item),
		kgr_store_label(store, user));
	kgr_cli_print_recs(stdout, graph, recs, fmt, title, NULL, 0);
	rc = 0;
done:
	kgr_recs_free(recs);
	kgr_graph_free(graph);
	kgr_store_free(store);
	return rc;
}
