#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli/common.h"
#include "cli/options.h"
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
	"  --early-stop N     stop after N rounds without a better validation NDCG@10 (smoothed\n"
	"                     over 11 rounds; default 100)\n"
	"  --eta X            learning rate (default 0.1)\n"
	"  --depth N          tree depth (default 6)\n"
	"  --valid-share X    share of users held back to choose the rounds (default 0.2)\n"
	"  --no-refit         keep the model fitted without them (default: fit again on every\n"
	"                     user for the rounds chosen)\n"
	"  --cuts N           held-back events a user (the last N in turn; default 0: 1 on a large\n"
	"                     store, more on a small one, at most 8)\n"
	"  --config FILE      relation configuration of the graph view (JSON)\n"
	"  --no-catalog       without catalog relations (a baseline)\n"
	"  --sequence FILE    also fit a sequence model on the same events without the held-back\n"
	"                     ones, learn from its scores, and write it to FILE (ranking with the\n"
	"                     model then needs --sequence FILE); the model written is fitted\n"
	"                     again on every event once the ranker is fitted\n"
	"  --seq-refit N      which sequence model is written: 2, fitted again on every event\n"
	"                     (default); 1, again with the held-back events but without its own\n"
	"                     validation users' last ones; 0, the one the ranker learned from\n"
	"  --no-seq-refit     the same as --seq-refit 0\n"
	"  --seq-candidates N that sequence model's best items added to each request's candidates\n"
	"                     (default 0)\n"
	"  --seq-negatives N  that sequence model's sampled negatives a position (default 128)\n"
	"  --seq-epochs N     ... and its epochs at most (default 100; early stopping ends most)\n"
	"  --seq-threads N    ... and its threads, each taking a share of every batch (default:\n"
	"                     --threads); same seed and threads, same model\n"
	"  -q, --quiet        no progress bar\n"
	"\n"
	"usage: kgrec train STORE --linear -o WEIGHTS.json [options]\n"
	"  Fits the graph ranker's linear weights on each user's held-back last interaction.\n"
	"  --seed N          sampling and shuffling seed (default 42)\n"
	"  --users N         users sampled (default 2000, 0: all)\n"
	"  --candidates N    candidates per user (default 100)\n"
	"  --negatives N     negatives per held-back item (default 20)\n"
	"  --epochs N        passes of gradient descent (default 30)\n"
	"  --config FILE     relation configuration of the graph view (JSON)\n"
	"  --model sequence  train the sequence model instead (kgrec train --model sequence -h)\n";

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
		if (p->last_total && p->phase < 2)
			p->phase++;
		p->last_total = total;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < total && (p->last.tv_sec || p->last.tv_nsec) &&
		(now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 200)
		return;
	p->last = now;
	pct = total ? (int)(done * 100 / total) : 0;
	bar = pct * 30 / 100;
	fprintf(stderr, "\r%s [", p->phase == 2 ? "on every user  " : p->phase ? "boosting rounds" :
		"users' features");
	for (i = 0; i < 30; i++)
		fputc(i < bar ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%% %llu/%llu", pct, (unsigned long long)done, (unsigned long long)total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* A number for KGR_OPT_PARSE (--eta, --valid-share). */
static int parse_double(const char *cmd, const char *value, void *dest)
{
	char *end;
	double d = strtod(value, &end);
	if (!*value || *end)
		return kgr_cli_usage("%s: not a number: '%s'", cmd, value);
	*(double *)dest = d;
	return 0;
}

/* The operands and options of argv through table: -1 to go on, 0 after --help, 2 after a
 * usage error. */
static int parse(const kgr_cli_opt *table, int argc, char **argv, const char **path)
{
	int i, r;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if ((r = kgr_cli_opt_parse("train", table, argc, argv, &i)) < 0)
			return 2;
		if (!r && kgr_cli_operand("train", argv[i], path))
			return 2;
	}
	return -1;
}

static int train_learned(int argc, char **argv)
{
	const char *path = NULL, *out = NULL, *seq_out = NULL;
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_seq_options so = KGR_SEQ_OPTIONS_INIT;
	long long seq_neg = so.negatives, seq_epochs = so.epochs, seq_cands = (long long)lo.seq_candidates,
		seq_refit = -1, seq_threads = -1;
	kgr_learn_report rep;
	kgr_store *store = NULL;
	kgr_model *model = NULL;
	progress prog = { 0 };
	long long seed = (long long)lo.seed, threads = 0, rounds = lo.rounds, early = lo.early_stop,
		depth = lo.max_depth;
	int rc = 1, quiet = 0;
	const kgr_cli_opt opts[] = {
		{ "--output", "-o", KGR_OPT_STRING, &out, 0, 0, 0, NULL, NULL },
		{ "--seed", NULL, KGR_OPT_LONG, &seed, 0, 0x7fffffffffffffffLL, 0, NULL, NULL },
		{ "--threads", NULL, KGR_OPT_LONG, &threads, 0, 64, 0, NULL, NULL },
		{ "--users", NULL, KGR_OPT_SIZE, &lo.max_users, 0, 100000000, 0, NULL, NULL },
		{ "--candidates", NULL, KGR_OPT_SIZE, &lo.n_candidates, 1, KGR_MAX_K, 0, NULL, NULL },
		{ "--knn-candidates", NULL, KGR_OPT_SIZE, &lo.knn_candidates, 0, KGR_MAX_K, 0, NULL, NULL },
		{ "--rounds", NULL, KGR_OPT_LONG, &rounds, 1, 100000, 0, NULL, NULL },
		{ "--early-stop", NULL, KGR_OPT_LONG, &early, 1, 100000, 0, NULL, NULL },
		{ "--depth", NULL, KGR_OPT_LONG, &depth, 1, 16, 0, NULL, NULL },
		{ "--eta", NULL, KGR_OPT_PARSE, &lo.learning_rate, 0, 0, 0, NULL, parse_double },
		{ "--valid-share", NULL, KGR_OPT_PARSE, &lo.valid_share, 0, 0, 0, NULL, parse_double },
		{ "--cuts", NULL, KGR_OPT_SIZE, &lo.cuts, 0, 64, 0, NULL, NULL },
		{ "--no-refit", NULL, KGR_OPT_SET, &lo.refit, 0, 0, 0, NULL, NULL },
		{ "--no-seq-refit", NULL, KGR_OPT_SET, &lo.seq_refit, 0, 0, 0, NULL, NULL },
		{ "--seq-refit", NULL, KGR_OPT_LONG, &seq_refit, 0, 2, 0, NULL, NULL },
		{ "--config", NULL, KGR_OPT_STRING, &lo.config_path, 0, 0, 0, NULL, NULL },
		{ "--no-catalog", NULL, KGR_OPT_SET, &lo.no_catalog, 0, 0, 1, NULL, NULL },
		{ "--sequence", NULL, KGR_OPT_STRING, &seq_out, 0, 0, 0, NULL, NULL },
		{ "--seq-negatives", NULL, KGR_OPT_LONG, &seq_neg, 1, 100000, 0, NULL, NULL },
		{ "--seq-candidates", NULL, KGR_OPT_LONG, &seq_cands, 0, KGR_MAX_K, 0, NULL, NULL },
		{ "--seq-epochs", NULL, KGR_OPT_LONG, &seq_epochs, 1, 100000, 0, NULL, NULL },
		{ "--seq-threads", NULL, KGR_OPT_LONG, &seq_threads, 0, 256, 0, NULL, NULL },
		{ "--quiet", "-q", KGR_OPT_SET, &quiet, 0, 0, 1, NULL, NULL },
		{ NULL, NULL, KGR_OPT_SET, NULL, 0, 0, 0, NULL, NULL }
	};

	if ((rc = parse(opts, argc, argv, &path)) >= 0)
		return rc;
	rc = 1;
	if (!path || !out)
		return kgr_cli_usage("train: need STORE and -o RANKER.model");
	lo.seed = (uint64_t)seed;
	lo.threads = (int)threads;
	lo.rounds = (int)rounds;
	lo.early_stop = (int)early;
	lo.max_depth = (int)depth;
	if (seq_out) {
		so.seed = lo.seed;
		so.negatives = (int)seq_neg;
		lo.seq_candidates = (size_t)seq_cands;
		if (seq_refit >= 0)
			lo.seq_refit = (int)seq_refit;
		so.epochs = (int)seq_epochs;
		so.threads = (int)(seq_threads >= 0 ? seq_threads : threads); /* 0: the core count */
		lo.sequence = 1;
		lo.seq_options = &so;
		if (!quiet)
			fprintf(stderr, "fitting the sequence model (the held-back events left out)...\n");
	}
	if (!quiet) {
		lo.progress = on_progress;
		lo.progress_payload = &prog;
	}
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("train");
	if (kgr_model_train(&model, store, &lo, &rep) < 0 || kgr_model_save(model, out) < 0 ||
		(seq_out && kgr_seq_save(kgr_model_sequence(model), seq_out) < 0)) {
		if (prog.last_total)
			fputc('\n', stderr);
		rc = kgr_cli_fail("train");
		goto done;
	}
	if (prog.last_total)
		fputc('\n', stderr);
	printf("held-back events %zu (%zu cut%s a user); among the candidates %zu (recall %.3f); %zu rows\n",
		rep.users, rep.cuts, rep.cuts == 1 ? "" : "s", rep.groups, rep.recall, rep.rows);
	printf("validation users %zu: NDCG@10 of the graph formula %.4f, of the model %.4f\n",
		rep.valid_groups, rep.valid_ndcg_graph, rep.valid_ndcg);
	if (seq_out)
		printf("sequence model: %d epochs, kept %d (validation NDCG@10 %.4f), %.1f s; %s %s\n",
			rep.sequence.epochs_run, rep.sequence.best_epoch, rep.sequence.best_ndcg,
			rep.seconds_sequence, lo.seq_refit ? "the ranker learned from" : "written to",
			lo.seq_refit ? "its scores" : seq_out);
	if (seq_out && lo.seq_refit) {
		printf("sequence model fitted again with the held-back events: %d epochs, kept %d "
			"(validation NDCG@10 %.4f)", rep.sequence_refit.epochs_run,
			rep.sequence_refit.best_epoch, rep.sequence_refit.best_ndcg);
		if (rep.sequence_refit.refit_positions)
			printf(", then %d epochs on every event (%zu positions)",
				rep.sequence_refit.best_epoch, rep.sequence_refit.refit_positions);
		printf(", %.1f s; written to %s\n", rep.seconds_sequence_refit, seq_out);
	}
	printf("rounds %d, kept %d%s; features %.1f s, boosting %.1f s\n", rep.rounds, rep.best_round,
		lo.refit && rep.valid_groups ? " (then fitted again on every user)" : "",
		rep.seconds_features, rep.seconds_boosting);
	printf("model %s (snapshot %s) written to %s\n", kgr_model_checksum(model),
		kgr_model_snapshot(model), out);
	rc = 0;
done:
	kgr_model_free(model);
	kgr_store_free(store);
	return rc;
}

static int train_linear(int argc, char **argv)
{
	const char *path = NULL, *out = NULL;
	kgr_train_options to = KGR_TRAIN_OPTIONS_INIT;
	kgr_train_report rep;
	kgr_store *store = NULL;
	kgr_weights w;
	long long seed = (long long)to.seed, epochs = to.epochs;
	int rc, linear = 1;
	const kgr_cli_opt opts[] = {
		{ "--linear", NULL, KGR_OPT_SET, &linear, 0, 0, 1, NULL, NULL },
		{ "--output", "-o", KGR_OPT_STRING, &out, 0, 0, 0, NULL, NULL },
		{ "--seed", NULL, KGR_OPT_LONG, &seed, 0, 0x7fffffffffffffffLL, 0, NULL, NULL },
		{ "--users", NULL, KGR_OPT_SIZE, &to.max_users, 0, 100000000, 0, NULL, NULL },
		{ "--candidates", NULL, KGR_OPT_SIZE, &to.n_candidates, 2, KGR_MAX_K, 0, NULL, NULL },
		{ "--negatives", NULL, KGR_OPT_SIZE, &to.negatives, 1, KGR_MAX_K, 0, NULL, NULL },
		{ "--epochs", NULL, KGR_OPT_LONG, &epochs, 0, 10000, 0, NULL, NULL },
		{ "--config", NULL, KGR_OPT_STRING, &to.config_path, 0, 0, 0, NULL, NULL },
		{ NULL, NULL, KGR_OPT_SET, NULL, 0, 0, 0, NULL, NULL }
	};

	if ((rc = parse(opts, argc, argv, &path)) >= 0)
		return rc;
	if (!path || !out)
		return kgr_cli_usage("train: need STORE and -o WEIGHTS.json");
	to.seed = (uint64_t)seed;
	to.epochs = (int)epochs;
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("train");
	rc = 1;
	if (kgr_weights_train(&w, store, &to, &rep) < 0 || kgr_weights_save(&w, out) < 0) {
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

int kgr_cmd_train(int argc, char **argv)
{
	int i;
	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--model"))
			return kgr_cli_train_sequence(argc, argv);
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--linear"))
			return train_linear(argc, argv);
	return train_learned(argc, argv);
}
