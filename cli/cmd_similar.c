#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/options.h"
#include "cli/recs_output.h"
#include "kgrec/retrieval.h"

static const char usage[] =
	"usage: kgrec similar STORE --item ITEM [-k N] [--format text|json|dot] [--no-explain]\n"
	"                     [--require-path] [--weights FILE] [--config FILE]\n"
	"  Items related to ITEM, each with the paths that connect them.\n";

int kgr_cmd_similar(int argc, char **argv)
{
	const char *path = NULL, *item_text = NULL, *weights_path = NULL, *config = NULL;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_out_format fmt = KGR_OUT_TEXT;
	kgr_store *store = NULL;
	kgr_graph *graph = NULL;
	kgr_recs *recs = NULL;
	kgr_weights w;
	kgr_id item;
	char title[600];
	int i, r, rc = 2;
	const kgr_cli_opt opts[] = {
		{ "--item", NULL, KGR_OPT_STRING, &item_text, 0, 0, 0, NULL, NULL },
		{ "--k", "-k", KGR_OPT_SIZE, &ro.k, 1, KGR_MAX_K, 0, NULL, NULL },
		{ "--format", NULL, KGR_OPT_PARSE, &fmt, 0, 0, 0, NULL, kgr_cli_opt_format },
		{ "--no-explain", NULL, KGR_OPT_SET, &ro.explain, 0, 0, 0, NULL, NULL },
		{ "--explain", NULL, KGR_OPT_SET, &ro.explain, 0, 0, 1, NULL, NULL },
		{ "--require-path", NULL, KGR_OPT_SET, &ro.require_path, 0, 0, 1, NULL, NULL },
		{ "--weights", NULL, KGR_OPT_STRING, &weights_path, 0, 0, 0, NULL, NULL },
		{ "--config", NULL, KGR_OPT_STRING, &config, 0, 0, 0, NULL, NULL },
		{ NULL, NULL, KGR_OPT_SET, NULL, 0, 0, 0, NULL, NULL }
	};

	ro.explain = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if ((r = kgr_cli_opt_parse("similar", opts, argc, argv, &i)) < 0)
			return 2;
		if (!r && kgr_cli_operand("similar", a, &path))
			return 2;
	}
	if (!path || !item_text)
		return kgr_cli_usage("similar: need STORE and --item ITEM");
	if (fmt == KGR_OUT_DOT)
		ro.explain = 1;
	rc = 1;
	if (weights_path) {
		if (kgr_weights_load(&w, weights_path) < 0)
			return kgr_cli_fail("similar");
		ro.weights = &w;
	}
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("similar");
	if (!(item = kgr_cli_resolve(store, path, "similar: item", item_text, "item")) ||
		kgr_cli_graph(&graph, store, config, "similar"))
		goto done;
	if (kgr_similar(&recs, graph, item, &ro) < 0) {
		rc = kgr_cli_fail("similar");
		goto done;
	}
	snprintf(title, sizeof(title), "Items related to %s", kgr_store_label(store, item));
	kgr_cli_print_recs(stdout, graph, recs, fmt, title, NULL, 0);
	rc = 0;
done:
	kgr_recs_free(recs);
	kgr_graph_free(graph);
	kgr_store_free(store);
	return rc;
}
