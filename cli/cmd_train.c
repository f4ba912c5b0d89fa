#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/recs_output.h"
#include "kgrec/learned.h"

#include <stdio.h>
#include <time.h>

static const char usage[] =
	"usage: kgrec train STORE -o RANKER.model [options]\n"
	"  Fits the learned ranker (LambdaMART over every candidate's features) on each user's\n"
	"  held-back last interaction, the graph view and item-kNN built without it.\n"
	"  --seed N           sampling and boosting seed (default 42)\n"
	"  --threads N        threads (default: the core count); same seed and threads, same model\n"
	"  --users N          users with a held-back interaction used (default 0: all)\n"
	"  --candidates N     graph candidates per request (default 200)\n"
	"  --knn-candidates N item-kNN candidates added per request (default 100)\n"
	"  --rounds N         boosting rounds at most (default 400)\n"
	"  --early-stop N     stop after N rounds without a better validation NDCG@10 (default 100)\n"
	"  --eta X            learning rate (default 0.05)\n"
	"  --depth N          tree depth (default 6)\n"
	"  --valid-share X    share of users held for early stopping (default 0.1)\n"
	"  --config FILE      relation configuration of the graph view (JSON)\n"
	"  --no-catalog       without catalog relations (a baseline)\n"
	"  -q, --quiet        no progress bar\n"
	"\n"
	"usage: kgrec train STORE --linear -o WEIGHTS.json [options]\n"
	"  Fits the graph ranker's linear weights on each user's held-back last interaction.\n"
	"  --seed N          sampling and shuffling seed (default 42)\n"
	"  --users N         users sampled (default 2000, 0: all)\n"
	"  --candidates N    candidates per user (default 100)\n"
	"  --negatives N     negatives per held-back item (default 20)\n"
	"  --epochs N        passes of gradient descent (default 30)\n"
	"  --config FILE     relation configuration of the graph view (JSON)\n";

typedef struct {
	uint64_t last_total;
	int phase;
	struct timespec last;
} progress;

static void on_progress(uint64_t done, uint64_t total, void *payload)
{
	progress *p = payload;
	struct timespec now;
	int pct, bar, i;
	if (total != p->last_total) {
		if (p->last_total)
			p->phase = 1;
		p->last_total = total;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total && (p->last.tv_sec || p->last.tv_nsec) &&
		(now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	pct = total ? (int)(done * 100 / total) : 0;
	bar = pct * 30 / 100;
	fprintf(stderr, "\r%s [", p->phase ? "boosting rounds" : "users' features");
	for (i = 0; i < 30; i++)
		fputc(i < bar ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%% %llu/%llu", pct, (unsigned long long)done, (unsigned long long)total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int train_learned(int argc, char **argv)
{
	const char *path = NULL, *out = NULL;
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_learn_report rep;
	kgr_store *store = NULL;
	kgr_model *model = NULL;
	progress prog = { 0 };
	int i, rc = 1, quiet = 0;
	long long v;

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
			lo.seed = (uint64_t)v;
		} else if (!strcmp(a, "--threads") && more) {
			if (kgr_cli_int("--threads", argv[++i], 0, 64, &v) < 0)
				return 2;
			lo.threads = (int)v;
		} else if (!strcmp(a, "--users") && more) {
			if (kgr_cli_int("--users", argv[++i], 0, 100000000, &v) < 0)
				return 2;
			lo.max_users = (size_t)v;
		} else if (!strcmp(a, "--candidates") && more) {
			if (kgr_cli_int("--candidates", argv[++i], 1, KGR_MAX_K, &v) < 0)
				return 2;
			lo.n_candidates = (size_t)v;
		} else if (!strcmp(a, "--knn-candidates") && more) {
			if (kgr_cli_int("--knn-candidates", argv[++i], 0, KGR_MAX_K, &v) < 0)
				return 2;
			lo.knn_candidates = (size_t)v;
		} else if (!strcmp(a, "--rounds") && more) {
			if (kgr_cli_int("--rounds", argv[++i], 1, 100000, &v) < 0)
				return 2;
			lo.rounds = (int)v;
		} else if (!strcmp(a, "--early-stop") && more) {
			if (kgr_cli_int("--early-stop", argv[++i], 1, 100000, &v) < 0)
				return 2;
			lo.early_stop = (int)v;
		} else if (!strcmp(a, "--depth") && more) {
			if (kgr_cli_int("--depth", argv[++i], 1, 16, &v) < 0)
				return 2;
			lo.max_depth = (int)v;
		} else if ((!strcmp(a, "--eta") || !strcmp(a, "--valid-share")) && more) {
			char *end;
			double d = strtod(argv[++i], &end);
			if (*end || end == argv[i]) {
				fprintf(stderr, "kgrec: train: %s: not a number: '%s'\n", a, argv[i]);
				return 2;
			}
			if (!strcmp(a, "--eta"))
				lo.learning_rate = d;
			else
				lo.valid_share = d;
		} else if (!strcmp(a, "--config") && more) {
			lo.config_path = argv[++i];
		} else if (!strcmp(a, "--no-catalog")) {
			lo.no_catalog = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (kgr_cli_operand("train", a, &path)) {
			return 2;
		}
	}
	if (!path || !out)
		return kgr_cli_usage("train: need STORE and -o RANKER.model");
	if (!quiet) {
		lo.progress = on_progress;
		lo.progress_payload = &prog;
	}
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("train");
	if (kgr_model_train(&model, store, &lo, &rep) < 0 || kgr_model_save(model, out) < 0) {
		if (prog.last_total)
			fputc('\n', stderr);
		rc = kgr_cli_fail("train");
		goto done;
	}
	if (prog.last_total)
		fputc('\n', stderr);
	printf("users %zu; held-back item among the candidates for %zu (recall %.3f); %zu rows\n",
		rep.users, rep.groups, rep.recall, rep.rows);
	printf("validation users %zu: NDCG@10 of the graph formula %.4f, of the model %.4f\n",
		rep.valid_groups, rep.valid_ndcg_graph, rep.valid_ndcg);
	printf("rounds %d, kept %d; features %.1f s, boosting %.1f s\n", rep.rounds, rep.best_round,
		rep.seconds_features, rep.seconds_boosting);
	printf("model %s (snapshot %s) written to %s\n", kgr_model_checksum(model),
		kgr_model_snapshot(model), out);
	rc = 0;
done:
	kgr_model_free(model);
	kgr_store_free(store);
	return rc;
}

int kgr_cmd_train(int argc, char **argv)
{
	const char *path = NULL, *out = NULL;
	kgr_train_options to = KGR_TRAIN_OPTIONS_INIT;
	kgr_train_report rep;
	kgr_store *store = NULL;
	kgr_weights w;
	long long v;
	int i, rc = 1;

	for (i = 1; i < argc && strcmp(argv[i], "--linear"); i++)
		;
	if (i == argc)
		return train_learned(argc, argv);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--linear")) {
			continue;
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
