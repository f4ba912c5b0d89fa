/* kgrec train STORE --model sequence: trains the sequence model and writes its file. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/common.h"
#include "cli/recs_output.h"
#include "kgrec/sequence.h"

static const char usage[] =
	"usage: kgrec train STORE --model sequence -o MODEL.ckpt [options]\n"
	"  Trains the sequence model (SASRec-style transformer, sampled softmax, AdamW) on the\n"
	"  store's interactions; the last event of a sample of users is held out for early\n"
	"  stopping on NDCG@10 over all items.\n"
	"  --max-len N       history length read (default 50)\n"
	"  --dims N          width (default 64)\n"
	"  --blocks N        transformer blocks (default 2)\n"
	"  --heads N         attention heads (default 1)\n"
	"  --negatives N     sampled negatives per position (default 128)\n"
	"  --sampler S       uniform or popularity (default uniform)\n"
	"  --epochs N        at most N epochs (default 100)\n"
	"  --patience N      stop after N epochs without a better NDCG (default 8)\n"
	"  --batch N         sequences per step (default 128)\n"
	"  --lr X            AdamW learning rate (default 0.003)\n"
	"  --weight-decay X  AdamW weight decay (default 0)\n"
	"  --dropout X       dropout rate (default 0.3)\n"
	"  --val-users N     validation users, whose last event is held out (default 5000,\n"
	"                    0: all)\n"
	"  --holdout-all     hold out every user's last event (the validation NDCG still\n"
	"                    ranks --val-users of them)\n"
	"  --refit           once validation has chosen the epochs, train again from the start\n"
	"                    for that many epochs on every event, the validation users' last\n"
	"                    ones included, and write that model\n"
	"  --seed N          seed (default 42)\n"
	"  --threads N       threads, each taking a share of every batch and of the validation\n"
	"                    users (default: the core count); the same seed and threads give the\n"
	"                    same model, and 1 the serial computation of the figures in the docs\n"
	"  --curve FILE.tsv  write the training curve: one line per epoch with its mean loss,\n"
	"                    validation NDCG@10 and elapsed seconds (scripts/plot-curve.sh\n"
	"                    draws it)\n"
	"  -q, --quiet       no progress bar\n";

typedef struct {
	struct timespec last;
	double t0;
	int show;    /* draw the bar on stderr */
	FILE *curve; /* the training curve, or NULL */
} bar;

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One line per epoch (its loss and validation NDCG stay on screen: the training curve), and
 * a bar within the epoch redrawn at most five times a second. */
static void on_progress(const kgr_seq_progress *p, void *payload)
{
	bar *b = payload;
	struct timespec now;
	size_t fill = p->n_batches ? p->batch * 30 / p->n_batches : 0, i;
	if (b->curve && p->val_ndcg >= 0) {
		fprintf(b->curve, "%d\t%.6f\t%.6f\t%.1f\n", p->epoch, p->loss, p->val_ndcg,
			seconds() - b->t0);
		fflush(b->curve);
	}
	if (!b->show)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->val_ndcg < 0 &&
		(now.tv_sec - b->last.tv_sec) * 1000 + (now.tv_nsec - b->last.tv_nsec) / 1000000 < 200)
		return;
	b->last = now;
	fprintf(stderr, "\repoch %3d/%d [", p->epoch, p->epochs);
	for (i = 0; i < 30; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] loss %.4f", p->loss);
	if (p->val_ndcg >= 0)
		fprintf(stderr, "  val NDCG@10 %.4f (best %.4f)  %.0f s\n", p->val_ndcg, p->best_ndcg,
			seconds() - b->t0);
	fflush(stderr);
}

static int real(const char *name, const char *s, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end)
		return kgr_cli_usage("train: %s '%s' is not a number", name, s);
	return 0;
}

static int whole(const char *name, const char *s, long long lo, long long hi, int *out)
{
	long long v;
	if (kgr_cli_int(name, s, lo, hi, &v) < 0)
		return 2;
	*out = (int)v;
	return 0;
}

int kgr_cli_train_sequence(int argc, char **argv)
{
	const char *path = NULL, *out = NULL, *curve = NULL;
	kgr_seq_options o = KGR_SEQ_OPTIONS_INIT;
	kgr_seq_report rep;
	kgr_seq_model *model = NULL;
	kgr_store *store = NULL;
	bar b;
	long long v;
	int i, rc = 1, quiet = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc, bad = 0;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--model") && more) {
			if (strcmp(argv[++i], "sequence"))
				return kgr_cli_usage("train: unknown --model '%s'", argv[i]);
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && more) {
			out = argv[++i];
		} else if (!strcmp(a, "--curve") && more) {
			curve = argv[++i];
		} else if (!strcmp(a, "--holdout-all")) {
			o.holdout_all = 1;
		} else if (!strcmp(a, "--refit")) {
			o.refit = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(a, "--max-len") && more) {
			bad = whole(a, argv[++i], 1, 512, &o.max_len);
		} else if (!strcmp(a, "--dims") && more) {
			bad = whole(a, argv[++i], 2, 4096, &o.dims);
		} else if (!strcmp(a, "--blocks") && more) {
			bad = whole(a, argv[++i], 1, 8, &o.blocks);
		} else if (!strcmp(a, "--heads") && more) {
			bad = whole(a, argv[++i], 1, 64, &o.heads);
		} else if (!strcmp(a, "--negatives") && more) {
			bad = whole(a, argv[++i], 1, 100000, &o.negatives);
		} else if (!strcmp(a, "--epochs") && more) {
			bad = whole(a, argv[++i], 0, 100000, &o.epochs);
		} else if (!strcmp(a, "--patience") && more) {
			bad = whole(a, argv[++i], 1, 100000, &o.patience);
		} else if (!strcmp(a, "--batch") && more) {
			bad = whole(a, argv[++i], 1, 100000, &o.batch);
		} else if (!strcmp(a, "--threads") && more) {
			bad = whole(a, argv[++i], 0, 256, &o.threads);
		} else if (!strcmp(a, "--lr") && more) {
			bad = real(a, argv[++i], &o.lr);
		} else if (!strcmp(a, "--weight-decay") && more) {
			bad = real(a, argv[++i], &o.weight_decay);
		} else if (!strcmp(a, "--dropout") && more) {
			bad = real(a, argv[++i], &o.dropout);
		} else if (!strcmp(a, "--sampler") && more) {
			i++;
			if (!strcmp(argv[i], "uniform"))
				o.sampler = KGR_SEQ_SAMPLE_UNIFORM;
			else if (!strcmp(argv[i], "popularity"))
				o.sampler = KGR_SEQ_SAMPLE_POPULARITY;
			else
				return kgr_cli_usage("train: --sampler '%s': uniform or popularity", argv[i]);
		} else if (!strcmp(a, "--val-users") && more) {
			if (kgr_cli_int(a, argv[++i], 0, 100000000, &v) < 0)
				return 2;
			o.val_users = (size_t)v;
		} else if (!strcmp(a, "--seed") && more) {
			if (kgr_cli_int(a, argv[++i], 0, 0x7fffffffffffffffLL, &v) < 0)
				return 2;
			o.seed = (uint64_t)v;
		} else if (kgr_cli_operand("train", a, &path)) {
			return 2;
		}
		if (bad)
			return bad;
	}
	if (!path || !out)
		return kgr_cli_usage("train: need STORE and -o MODEL.ckpt");
	memset(&b, 0, sizeof(b));
	b.t0 = seconds();
	b.show = !quiet;
	if (curve) {
		b.curve = fopen(curve, "w");
		if (!b.curve) {
			fprintf(stderr, "kgrec: train: cannot write %s: %s\n", curve, strerror(errno));
			return 1;
		}
		fputs("epoch\tloss\tval_ndcg10\tseconds\n", b.curve);
	}
	if (!quiet || curve) {
		o.progress = on_progress;
		o.progress_payload = &b;
	}
	if (kgr_store_open(&store, path) < 0) {
		rc = kgr_cli_fail("train");
		goto done;
	}
	if (kgr_seq_train(&model, store, &o, &rep) < 0 || kgr_seq_save(model, out) < 0) {
		rc = kgr_cli_fail("train");
		goto done;
	}
	printf("users %zu, items %zu, training positions %zu, validation users %zu, weights %zu, "
		"threads %d\n", rep.users, rep.items, rep.positions, rep.val_users, rep.params,
		rep.threads);
	printf("epochs %d, kept epoch %d: validation NDCG@10 %.4f (full ranking), last loss %.4f, "
		"%.1f s\n", rep.epochs_run, rep.best_epoch, rep.best_ndcg, rep.last_loss, rep.seconds);
	if (rep.refit_positions)
		printf("trained again for %d epochs on every event: %zu training positions, %.1f s\n",
			rep.best_epoch, rep.refit_positions, rep.refit_seconds);
	printf("model written to %s\n", out);
	rc = 0;
done:
	if (b.curve && fclose(b.curve) != 0 && rc == 0) {
		fprintf(stderr, "kgrec: train: cannot write %s: %s\n", curve, strerror(errno));
		rc = 1;
	}
	kgr_seq_free(model);
	kgr_store_free(store);
	return rc;
}
