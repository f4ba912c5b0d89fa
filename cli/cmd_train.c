#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/recs_output.h"
#include "kgrec/retrieval.h"

static const char usage[] =
	"usage: kgrec train STORE -o WEIGHTS.json [options]\n"
	"  Fits the graph ranker's weights on each user's held-back last interaction.\n"
	"  --seed N          sampling and shuffling seed (default 42)\n"
	"  --users N         users sampled (default 2000, 0: all)\n"
	"  --candidates N    candidates per user (default 100)\n"
	"  --negatives N     negatives per held-back item (default 20)\n"
	"  --epochs N        passes of gradient descent (default 30)\n"
	"  --config FILE     relation configuration of the graph view (JSON)\n"
	"  --model sequence  train the sequence model instead (kgrec train --model sequence -h)\n";

int kgr_cmd_train(int argc, char **argv)
{
	const char *path = NULL, *out = NULL;
	kgr_train_options to = KGR_TRAIN_OPTIONS_INIT;
	kgr_train_report rep;
	kgr_store *store = NULL;
	kgr_weights w;
	long long v;
	int i, rc = 1;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--model"))
			return kgr_cli_train_sequence(argc, argv);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && more) {
			out = argv[++i];
		} else if (!strcmp(a, "--seed") && more) {
			if (kgr_cli_int("--seed", argv[++i], 0, 0x7fffffffffffffffLL, &v) < 0)
				return 2;
			to.seed = (uint64_t)v;
		} else if (!strcmp(a, "--users") && more) {
			if (kgr_cli_int("--users", argv[++i], 0, 100000000, &v) < 0)
				return 2;
			to.max_users = (size_t)v;
		} else if (!strcmp(a, "--candidates") && more) {
			if (kgr_cli_int("--candidates", argv[++i], 2, KGR_MAX_K, &v) < 0)
				return 2;
			to.n_candidates = (size_t)v;
		} else if (!strcmp(a, "--negatives") && more) {
			if (kgr_cli_int("--negatives", argv[++i], 1, KGR_MAX_K, &v) < 0)
				return 2;
			to.negatives = (size_t)v;
		} else if (!strcmp(a, "--epochs") && more) {
			if (kgr_cli_int("--epochs", argv[++i], 0, 10000, &v) < 0)
				return 2;
			to.epochs = (int)v;
		} else if (!strcmp(a, "--config") && more) {
			to.config_path = argv[++i];
		} else if (kgr_cli_operand("train", a, &path)) {
			return 2;
		}
	}
	if (!path || !out)
		return kgr_cli_usage("train: need STORE and -o WEIGHTS.json");
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("train");
	if (kgr_weights_train(&w, store, &to, &rep) < 0) {
		rc = kgr_cli_fail("train");
		goto done;
	}
	if (kgr_weights_save(&w, out) < 0) {
		rc = kgr_cli_fail("train");
		goto done;
	}
	printf("users %zu, held-back items among the candidates %zu, pairs %zu\n", rep.users,
		rep.positives, rep.pairs);
	printf("pairwise loss %.4f -> %.4f; held-back item in the top 10: %.1f%% -> %.1f%%\n",
		rep.loss_before, rep.loss_after, 100 * rep.hits_before, 100 * rep.hits_after);
	printf("weights written to %s\n", out);
	rc = 0;
done:
	kgr_store_free(store);
	return rc;
}
