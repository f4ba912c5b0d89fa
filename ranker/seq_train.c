/* Training the sequence network on users' item sequences: windows of at most max_len + 1
 * items, shuffled into batches, the sampled softmax at every position, AdamW, and early
 * stopping on the NDCG@10 of the validation users' held-out last items ranked against every
 * item. */
#include "ranker/seq_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void kgr__seq_threads(int threads)
{
	openblas_set_num_threads(threads > 0 ? threads : 1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int options_check(const kgr_seq_options *o)
{
	KGR__CHECK_VERSIONS(o, 1, KGR_SEQ_OPTIONS_VERSION, "sequence model");
	if (o->negatives < 1 || o->negatives > 100000)
		return kgr__error_set(KGR_EINVALID, "sequence model: negatives %d out of 1 .. 100000",
			o->negatives);
	if (o->epochs < 0 || o->patience < 1 || o->batch < 1 || o->batch > 100000)
		return kgr__error_set(KGR_EINVALID,
			"sequence model: need epochs >= 0, patience >= 1, 1 <= batch <= 100000");
	if (!(o->lr > 0) || !(o->weight_decay >= 0) || !(o->dropout >= 0) || !(o->dropout < 1))
		return kgr__error_set(KGR_EINVALID,
			"sequence model: need lr > 0, weight_decay >= 0, 0 <= dropout < 1");
	if (o->threads < 1 || o->threads > 256)
		return kgr__error_set(KGR_EINVALID, "sequence model: threads %d out of 1 .. 256",
			o->threads);
	return 0;
}

/* A training window: items seq[from .. from + n), n >= 2 (n - 1 transitions). */
typedef struct {
	size_t from;
	size_t n;
} window;

typedef struct {
	const uint32_t *seq;
	const size_t *start;
	size_t *users;      /* validation users (their last item is the target) */
	size_t n_users;
	uint32_t *stamp;    /* per item: the last user whose history it is in (+1) */
	float *scores;      /* [chunk x n_items] */
	size_t chunk;
} validation;

#define VAL_CHUNK 256

/* NDCG@10 of the held-out items, full ranking; a user whose item is already in their history
 * is left out, as the evaluation harness does. */
static int val_ndcg(double *out, validation *v, const kgr__seq_net *net, kgr__seq_ws *ws)
{
	size_t ni = (size_t)net->dims.n_items, b, k, counted = 0;
	const uint32_t *hist[VAL_CHUNK];
	size_t len[VAL_CHUNK];
	double sum = 0;
	int error;

	for (b = 0; b < v->n_users; b += VAL_CHUNK) {
		size_t n = v->n_users - b < VAL_CHUNK ? v->n_users - b : VAL_CHUNK;
		for (k = 0; k < n; k++) {
			size_t u = v->users[b + k];
			hist[k] = v->seq + v->start[u];
			len[k] = v->start[u + 1] - v->start[u] - 1;
		}
		if ((error = kgr__seq_score_many(v->scores, net, hist, len, n, ws)) < 0)
			return error;
		for (k = 0; k < n; k++) {
			size_t u = v->users[b + k], j, above = 0;
			uint32_t y = hist[k][len[k]], mark = (uint32_t)(b + k + 1);
			const float *s = v->scores + k * ni;
			for (j = 0; j < len[k]; j++)
				v->stamp[hist[k][j]] = mark;
			(void)u;
			if (v->stamp[y] == mark)
				continue;
			for (j = 0; j < ni; j++)
				if (s[j] > s[y] && v->stamp[j] != mark)
					above++;
			counted++;
			if (above < 10)
				sum += 1.0 / log2((double)above + 2.0);
		}
	}
	*out = counted ? sum / (double)counted : 0;
	return 0;
}

static int by_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static void shuffle(size_t *a, size_t n, uint64_t *rng)
{
	size_t i;
	for (i = n; i > 1; i--) {
		size_t j = (size_t)(kgr__rng_next(rng) % i), t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* What one fit shares between its stages: the data, the network with its optimiser and
 * sampler, the training windows, the buffers every batch is assembled in (made once, so that
 * no batch allocates) and the validation users. */
typedef struct {
	const kgr_seq_options *o;
	const uint32_t *seq;
	const size_t *start;
	size_t n_users, n_items;
	kgr__seq_dims dm;
	size_t L, B, N;         /* max_len, batch, negatives */
	uint64_t rng;
	kgr__seq_net *net;
	kgr__seq_ws *ws;
	kgr__seq_adamw opt;
	kgr__seq_sampler sampler;
	kgr__seq_tensor tensors[KGR__SEQ_MAX_TENSORS];
	size_t n_tensors;
	window *win;
	size_t n_win, cap_win, positions;
	size_t *order;          /* the windows in this epoch's order */
	unsigned char *held;    /* per user: the last event is held out for validation */
	uint32_t *counts;       /* per item: its training events, for the sampler */
	size_t *bstart, *blen;  /* the batch being assembled */
	uint32_t *bitems, *btarget, *bneg;
	int *bpos;
	float *grad, *best;
	int refit_epochs;   /* > 0: the refit, that many epochs without validation */
	validation v;
	kgr_seq_report rep;
	kgr_seq_progress pr;
} trainer;

/* The validation users: a seeded sample of the users with two events or more, in user
 * order; their last event is held out (every user's with holdout_all), so it must be known
 * before any window is cut. */
static int pick_val_users(trainer *t)
{
	validation *v = &t->v;
	size_t u, i;

	v->users = malloc((t->n_users ? t->n_users : 1) * sizeof(*v->users));
	t->held = calloc(t->n_users ? t->n_users : 1, 1);
	if (!v->users || !t->held)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	if (t->refit_epochs)
		return 0; /* the refit: no validation user, nothing held but with holdout_all */
	for (u = 0; u < t->n_users; u++)
		if (t->start[u + 1] - t->start[u] >= 2)
			v->users[v->n_users++] = u;
	if (t->o->val_users && v->n_users > t->o->val_users) {
		uint64_t vr = t->rng ^ 0x5851F42D4C957F2DULL;
		shuffle(v->users, v->n_users, &vr);
		v->n_users = t->o->val_users;
		qsort(v->users, v->n_users, sizeof(*v->users), by_size);
	}
	for (i = 0; i < v->n_users; i++)
		t->held[v->users[i]] = 1;
	return 0;
}

/* Windows over each user's training events, newest first, max_len transitions each: a
 * history longer than the model sees is still trained on in full. The item counts of the
 * same events feed the popularity sampler. */
static int make_windows(trainer *t)
{
	size_t u, i, L = t->L;

	if (!(t->counts = calloc(t->n_items, sizeof(*t->counts))))
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	for (u = 0; u < t->n_users; u++) {
		size_t m = t->start[u + 1] - t->start[u], e;
		if (m >= 2 && (t->held[u] || t->o->holdout_all))
			m--;
		for (i = 0; i < m; i++)
			t->counts[t->seq[t->start[u] + i]]++;
		if (m >= 2)
			t->rep.users++;
		for (e = m; e >= 2; e = e > L ? e - L : 0) {
			size_t from = e > L + 1 ? e - L - 1 : 0;
			if (t->n_win == t->cap_win) {
				size_t nc = t->cap_win ? 2 * t->cap_win : 1024;
				window *nw = realloc(t->win, nc * sizeof(*nw));
				if (!nw)
					return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
				t->win = nw;
				t->cap_win = nc;
			}
			t->win[t->n_win].from = t->start[u] + from;
			t->win[t->n_win].n = e - from;
			t->positions += e - from - 1;
			t->n_win++;
		}
	}
	return 0;
}

/* Everything the epochs use, made before the first one: the workspace is sized for the
 * larger of a training batch and a validation chunk, since both run through it. */
static int trainer_alloc(trainer *t)
{
	size_t L = t->L, B = t->B, N = t->N, i;
	int error;

	t->v.seq = t->seq;
	t->v.start = t->start;
	t->v.stamp = calloc(t->n_items, sizeof(*t->v.stamp));
	t->v.scores = malloc(VAL_CHUNK * t->n_items * sizeof(*t->v.scores));
	if ((error = kgr__seq_net_new(&t->net, &t->dm, t->o->seed)) < 0)
		return error;
	kgr__seq_layout(&t->dm, NULL, NULL, t->tensors, &t->n_tensors);
	if ((error = kgr__seq_adamw_init(&t->opt, t->net->n_params, t->o->lr,
		t->o->weight_decay)) < 0)
		return error;
	if ((error = kgr__seq_sampler_init(&t->sampler, t->o->sampler, t->counts, t->n_items)) < 0)
		return error;
	{
		size_t val_rows = VAL_CHUNK * L, rows = B * L > val_rows ? B * L : val_rows;
		size_t att = (B > VAL_CHUNK ? B : VAL_CHUNK) * L * L * (size_t)t->dm.heads;
		if ((error = kgr__seq_ws_new(&t->ws, &t->dm, rows, att, N)) < 0)
			return error;
	}
	t->grad = malloc(t->net->n_params * sizeof(*t->grad));
	t->best = malloc(t->net->n_params * sizeof(*t->best));
	t->order = malloc((t->n_win ? t->n_win : 1) * sizeof(*t->order));
	t->bstart = malloc(B * sizeof(*t->bstart));
	t->blen = malloc(B * sizeof(*t->blen));
	t->bitems = malloc(B * L * sizeof(*t->bitems));
	t->btarget = malloc(B * L * sizeof(*t->btarget));
	t->bpos = malloc(B * L * sizeof(*t->bpos));
	t->bneg = malloc(B * N * sizeof(*t->bneg));
	if (!t->v.stamp || !t->v.scores || !t->grad || !t->best || !t->order || !t->bstart ||
		!t->blen || !t->bitems || !t->btarget || !t->bpos || !t->bneg)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	for (i = 0; i < t->n_win; i++)
		t->order[i] = i;
	memcpy(t->best, t->net->w, t->net->n_params * sizeof(float));
	return 0;
}

/* A batch is its windows side by side without padding (seq_internal.h): each window's rows
 * start where the previous one's ended, and its negatives are drawn with it. */
static void fill_batch(trainer *t, kgr__seq_batch *b, size_t w0, size_t nw)
{
	size_t r = 0, s, j, N = t->N;

	for (s = 0; s < nw; s++) {
		const window *w = &t->win[t->order[w0 + s]];
		size_t n_in = w->n - 1;
		t->bstart[s] = r;
		t->blen[s] = n_in;
		for (j = 0; j < n_in; j++) {
			t->bitems[r] = t->seq[w->from + j];
			t->btarget[r] = t->seq[w->from + j + 1];
			t->bpos[r] = kgr__seq_position(t->dm.max_len, n_in, j);
			r++;
		}
		kgr__seq_sampler_draw(&t->sampler, t->bneg + s * N, N, &t->rng);
	}
	memset(b, 0, sizeof(*b));
	b->segs.n_seg = nw;
	b->segs.rows = r;
	b->segs.start = t->bstart;
	b->segs.len = t->blen;
	b->items = t->bitems;
	b->pos = t->bpos;
	b->target = t->btarget;
	b->neg = t->bneg;
	b->n_neg = N;
}

/* One pass over the shuffled windows, an AdamW step per batch. The loss is averaged over
 * rows, not batches, as batches differ in rows; *loss gets that mean, *nb the batches run. */
static void train_epoch(trainer *t, int ep, double *loss, size_t *nb)
{
	const kgr_seq_options *o = t->o;
	size_t w0;
	double loss_sum = 0, loss_rows = 0;

	*nb = 0;
	shuffle(t->order, t->n_win, &t->rng);
	for (w0 = 0; w0 < t->n_win; w0 += t->B) {
		size_t nw = t->n_win - w0 < t->B ? t->n_win - w0 : t->B;
		kgr__seq_batch b;
		double l;
		fill_batch(t, &b, w0, nw);
		memset(t->grad, 0, t->net->n_params * sizeof(float));
		kgr__seq_forward(t->ws, t->net, &b, (float)o->dropout, &t->rng);
		l = kgr__seq_loss_backward(t->ws, t->net, &b, t->sampler.logq, t->grad);
		kgr__seq_adamw_step(&t->opt, t->net->w, t->grad, t->tensors, t->n_tensors);
		loss_sum += l * (double)b.segs.rows;
		loss_rows += (double)b.segs.rows;
		(*nb)++;
		if (o->progress && (*nb % 8 == 0 || *nb == t->pr.n_batches)) {
			t->pr.epoch = ep;
			t->pr.batch = *nb;
			t->pr.loss = loss_sum / loss_rows;
			t->pr.val_ndcg = -1;
			o->progress(&t->pr, o->progress_payload);
		}
	}
	*loss = loss_rows > 0 ? loss_sum / loss_rows : 0;
}

/* One fit: with refit_epochs 0, epochs with validation and early stopping, the best epoch's
 * weights kept; else exactly refit_epochs epochs over every transition, the last weights kept. */
static int fit(kgr__seq_net **out, const uint32_t *seq, const size_t *start, size_t n_users,
	size_t n_items, const kgr_seq_options *o, int refit_epochs, kgr_seq_report *report)
{
	trainer t;
	size_t nb;
	double t0 = now(), loss, ndcg;
	int error, ep;

	*out = NULL;
	memset(&t, 0, sizeof(t));
	t.refit_epochs = refit_epochs;
	t.o = o;
	t.seq = seq;
	t.start = start;
	t.n_users = n_users;
	t.n_items = n_items;
	t.dm.n_items = (int)n_items;
	t.dm.d = o->dims;
	t.dm.max_len = o->max_len;
	t.dm.blocks = o->blocks;
	t.dm.heads = o->heads;
	t.dm.ff = o->ff ? o->ff : o->dims;
	if ((error = kgr__seq_dims_check(&t.dm)) < 0)
		return error;
	kgr__seq_threads(o->threads);
	t.rng = o->seed * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL;
	if (!t.rng)
		t.rng = 1;
	t.L = (size_t)t.dm.max_len;
	t.B = (size_t)o->batch;
	t.N = (size_t)o->negatives;
	if ((error = pick_val_users(&t)) < 0 || (error = make_windows(&t)) < 0 ||
		(error = trainer_alloc(&t)) < 0)
		goto cleanup;
	t.rep.items = n_items;
	t.rep.positions = t.positions;
	t.rep.val_users = t.v.n_users;
	t.rep.params = t.net->n_params;
	t.rep.best_ndcg = -1;
	t.pr.epochs = refit_epochs ? refit_epochs : o->epochs;
	t.pr.n_batches = (t.n_win + t.B - 1) / t.B;
	t.pr.best_ndcg = -1;

	for (ep = 1; ep <= t.pr.epochs; ep++) {
		train_epoch(&t, ep, &loss, &nb);
		if (refit_epochs) { /* no validation: the last epoch's weights are kept */
			t.rep.epochs_run = t.rep.best_epoch = ep;
			t.rep.last_loss = loss;
			continue;
		}
		if ((error = val_ndcg(&ndcg, &t.v, t.net, t.ws)) < 0)
			goto cleanup;
		t.rep.epochs_run = ep;
		t.rep.last_loss = loss;
		if (ndcg > t.rep.best_ndcg) {
			t.rep.best_ndcg = ndcg;
			t.rep.best_epoch = ep;
			memcpy(t.best, t.net->w, t.net->n_params * sizeof(float));
		}
		if (o->progress) {
			t.pr.epoch = ep;
			t.pr.batch = nb;
			t.pr.loss = t.rep.last_loss;
			t.pr.val_ndcg = ndcg;
			t.pr.best_ndcg = t.rep.best_ndcg;
			o->progress(&t.pr, o->progress_payload);
		}
		if (ep - t.rep.best_epoch >= o->patience)
			break;
	}
	if (!refit_epochs)
		memcpy(t.net->w, t.best, t.net->n_params * sizeof(float));
	if (t.rep.best_ndcg < 0)
		t.rep.best_ndcg = 0;
	t.rep.seconds = now() - t0;
	if (report)
		*report = t.rep;
	*out = t.net;
	t.net = NULL;
	error = 0;
cleanup:
	kgr__seq_net_free(t.net);
	kgr__seq_ws_free(t.ws);
	kgr__seq_adamw_free(&t.opt);
	kgr__seq_sampler_free(&t.sampler);
	free(t.win);
	free(t.order);
	free(t.bstart);
	free(t.blen);
	free(t.counts);
	free(t.bitems);
	free(t.btarget);
	free(t.bpos);
	free(t.bneg);
	free(t.grad);
	free(t.best);
	free(t.v.users);
	free(t.held);
	free(t.v.stamp);
	free(t.v.scores);
	return error;
}

int kgr__seq_fit(kgr__seq_net **out, const uint32_t *seq, const size_t *start, size_t n_users,
	size_t n_items, const kgr_seq_options *opts, kgr_seq_report *report)
{
	kgr_seq_options defaults = KGR_SEQ_OPTIONS_INIT;
	const kgr_seq_options *o = opts ? opts : &defaults;
	kgr_seq_report rep, rr;
	kgr__seq_net *all = NULL;
	int error;

	*out = NULL;
	if ((error = options_check(o)) < 0)
		return error;
	if (n_items > (size_t)INT32_MAX)
		return kgr__error_set(KGR_EINVALID, "sequence model: %zu items is too many", n_items);
	if ((error = fit(out, seq, start, n_users, n_items, o, 0, &rep)) < 0)
		return error;
	/* the refit: as many epochs as validation chose, over every transition (the validation
	 * users' last ones too; with holdout_all there is nothing to add) */
	if (o->version >= 2 && o->refit && !o->holdout_all && rep.best_epoch > 0 && rep.users) {
		if ((error = fit(&all, seq, start, n_users, n_items, o, rep.best_epoch, &rr)) < 0) {
			kgr__seq_net_free(*out);
			*out = NULL;
			return error;
		}
		kgr__seq_net_free(*out);
		*out = all;
		rep.refit_positions = rr.positions;
		rep.refit_seconds = rr.seconds;
	}
	if (report)
		*report = rep;
	return 0;
}
