/* Training the sequence network on users' item sequences: windows of at most max_len + 1
 * items, shuffled into batches, the sampled softmax at every position, AdamW, and early
 * stopping on the NDCG@10 of the validation users' held-out last items ranked against every
 * item.
 *
 * With threads > 1 every batch is cut into that many shares of about equal rows at window
 * boundaries; each thread runs the forward and backward pass of its share into its own
 * gradient, and the gradients are summed weighted by their shares of the rows, which is the
 * gradient of the whole batch's mean loss. The negatives and the shuffle come from the one
 * seeded stream as with one thread; the first share's dropout masks too, the others' from
 * streams seeded from it per batch. So the model depends on the seed and the thread count,
 * not on timing; one thread is exactly the serial computation. */
#include "ranker/seq_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

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
	if (o->threads < 0 || o->threads > 256)
		return kgr__error_set(KGR_EINVALID, "sequence model: threads %d out of 0 .. 256 "
			"(0: the core count)", o->threads);
	return 0;
}

/* A training window: items seq[from .. from + n), n >= 2 (n - 1 transitions). */
typedef struct {
	size_t from;
	size_t n;
} window;

typedef struct {
	size_t *users;      /* validation users (their last item is the target) */
	size_t n_users;
	double *gain;       /* per validation user: its NDCG@10 term, or -1 when not counted */
} validation;

#define VAL_CHUNK 256

/* One thread's share: of a batch (its windows as a batch of their own), of the validation
 * users (chunks s, s + threads, ...), and of the gradients' sum. */
typedef struct {
	kgr__seq_ws *ws;
	float *grad;        /* share 0: the trainer's */
	size_t *sstart;     /* its segments' starts, from its first row */
	kgr__seq_batch b;
	size_t counted;     /* rows with a target */
	uint64_t rng;       /* dropout masks of shares after the first */
	double loss;
	uint32_t *stamp;    /* per item: the last validation user whose history it is in (+1) */
	float *scores;      /* [vchunk x n_items] */
	size_t vchunk;
	int error;
	char msg[256];
} shard;

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
	int T;                  /* threads, each with its share */
	int kept_zero;          /* the shares' gradients are zeroed by each step's update */
	shard *sh;
	float *share;           /* [T] each share's weight in the batch's gradient */
	kgr__pool *pool;
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

/* A failed call in a share's thread: its message is that thread's, so it is kept for the
 * caller to set again. */
static void shard_fail(shard *h, int error)
{
	h->error = error;
	snprintf(h->msg, sizeof(h->msg), "%s", kgr_error_last());
}

static int shards_error(const trainer *t)
{
	int s;
	for (s = 0; s < t->T; s++)
		if (t->sh[s].error)
			return kgr__error_set(t->sh[s].error, "%s", t->sh[s].msg);
	return 0;
}

/* The threads' shares, t->T of them: the threads asked for (0: the core count), at most one
 * a window of a batch. A share's workspace is sized for the most rows a share of a batch can
 * have (with one thread: the larger of a batch and a validation chunk, as both run through
 * it); its validation chunks fit in it. */
static int shards_alloc(trainer *t)
{
	size_t L = t->L, B = t->B, N = t->N;
	int error, s;

	t->T = t->o->threads > 0 ? t->o->threads : kgr__cpu_count(256);
	t->T = t->T < (int)B ? t->T : (int)B;
	if (t->T < 1)
		t->T = 1;
	t->sh = calloc((size_t)t->T, sizeof(*t->sh));
	t->share = malloc((size_t)t->T * sizeof(*t->share));
	if (!t->sh || !t->share)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	for (s = 0; s < t->T; s++) {
		shard *h = &t->sh[s];
		size_t rows, att;
		if (t->T == 1) {
			rows = B * L > VAL_CHUNK * L ? B * L : VAL_CHUNK * L;
			att = (B > VAL_CHUNK ? B : VAL_CHUNK) * L * L * (size_t)t->dm.heads;
		} else { /* a share starts within a window of its even cut and ends within one */
			rows = (B * L + (size_t)t->T - 1) / (size_t)t->T + L;
			att = rows * L * (size_t)t->dm.heads;
		}
		if ((error = kgr__seq_ws_new(&h->ws, &t->dm, rows, att, N)) < 0)
			return error;
		h->vchunk = rows / L < VAL_CHUNK ? rows / L : VAL_CHUNK;
		h->grad = s ? calloc(t->net->n_params, sizeof(*h->grad)) : t->grad;
		h->sstart = malloc(B * sizeof(*h->sstart));
		h->stamp = calloc(t->n_items, sizeof(*h->stamp));
		h->scores = malloc(h->vchunk * t->n_items * sizeof(*h->scores));
		if (!h->grad || !h->sstart || !h->stamp || !h->scores)
			return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	}
	return kgr__pool_new(&t->pool, t->T, "kgr-seq-train");
}

/* Everything the epochs use, made before the first one. */
static int trainer_alloc(trainer *t)
{
	size_t L = t->L, B = t->B, N = t->N, i;
	int error;

	t->v.gain = malloc((t->v.n_users ? t->v.n_users : 1) * sizeof(*t->v.gain));
	if ((error = kgr__seq_net_new(&t->net, &t->dm, t->o->seed)) < 0)
		return error;
	kgr__seq_layout(&t->dm, NULL, NULL, t->tensors, &t->n_tensors);
	if ((error = kgr__seq_adamw_init(&t->opt, t->net->n_params, t->o->lr,
		t->o->weight_decay)) < 0)
		return error;
	if ((error = kgr__seq_sampler_init(&t->sampler, t->o->sampler, t->counts, t->n_items)) < 0)
		return error;
	t->grad = calloc(t->net->n_params, sizeof(*t->grad));
	t->best = malloc(t->net->n_params * sizeof(*t->best));
	t->order = malloc((t->n_win ? t->n_win : 1) * sizeof(*t->order));
	t->bstart = malloc(B * sizeof(*t->bstart));
	t->blen = malloc(B * sizeof(*t->blen));
	t->bitems = malloc(B * L * sizeof(*t->bitems));
	t->btarget = malloc(B * L * sizeof(*t->btarget));
	t->bpos = malloc(B * L * sizeof(*t->bpos));
	t->bneg = malloc(B * N * sizeof(*t->bneg));
	if (!t->v.gain || !t->grad || !t->best || !t->order || !t->bstart || !t->blen ||
		!t->bitems || !t->btarget || !t->bpos || !t->bneg)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	if ((error = shards_alloc(t)) < 0)
		return error;
	t->kept_zero = t->T > 1; /* every gradient starts zeroed (calloc) */
	for (i = 0; i < t->n_win; i++)
		t->order[i] = i;
	memcpy(t->best, t->net->w, t->net->n_params * sizeof(float));
	return 0;
}

static void shards_free(trainer *t)
{
	int s;

	kgr__pool_free(t->pool);
	for (s = 0; t->sh && s < t->T; s++) {
		shard *h = &t->sh[s];
		kgr__seq_ws_free(h->ws);
		if (s)
			free(h->grad);
		free(h->sstart);
		free(h->stamp);
		free(h->scores);
	}
	free(t->sh);
	free(t->share);
}

static void trainer_free(trainer *t)
{
	shards_free(t);
	kgr__seq_net_free(t->net);
	kgr__seq_adamw_free(&t->opt);
	kgr__seq_sampler_free(&t->sampler);
	free(t->win);
	free(t->order);
	free(t->bstart);
	free(t->blen);
	free(t->counts);
	free(t->bitems);
	free(t->btarget);
	free(t->bpos);
	free(t->bneg);
	free(t->grad);
	free(t->best);
	free(t->v.users);
	free(t->v.gain);
	free(t->held);
}

/* A share of the validation: the held-out items of chunks s, s + T, ... ranked against every
 * item (full ranking); a user whose item is already in their history is left out, as the
 * evaluation harness does. */
static void val_part(void *arg, int s)
{
	trainer *t = arg;
	shard *h = &t->sh[s];
	validation *v = &t->v;
	size_t ni = t->n_items, C = h->vchunk, b, k;
	const uint32_t *hist[VAL_CHUNK];
	size_t len[VAL_CHUNK];
	int error;

	h->error = 0;
	for (b = (size_t)s * C; b < v->n_users; b += (size_t)t->T * C) {
		size_t n = v->n_users - b < C ? v->n_users - b : C;
		for (k = 0; k < n; k++) {
			size_t u = v->users[b + k];
			hist[k] = t->seq + t->start[u];
			len[k] = t->start[u + 1] - t->start[u] - 1;
		}
		if ((error = kgr__seq_score_many(h->scores, t->net, hist, len, n, h->ws)) < 0) {
			shard_fail(h, error);
			return;
		}
		for (k = 0; k < n; k++) {
			size_t j, above = 0;
			uint32_t y = hist[k][len[k]], mark = (uint32_t)(b + k + 1);
			const float *sc = h->scores + k * ni;
			for (j = 0; j < len[k]; j++)
				h->stamp[hist[k][j]] = mark;
			v->gain[b + k] = -1;
			if (h->stamp[y] == mark)
				continue;
			for (j = 0; j < ni; j++)
				if (sc[j] > sc[y] && h->stamp[j] != mark)
					above++;
			v->gain[b + k] = above < 10 ? 1.0 / log2((double)above + 2.0) : 0;
		}
	}
}

/* NDCG@10 of the validation users, summed in user order whatever the threads. */
static int val_ndcg(double *out, trainer *t)
{
	size_t i, counted = 0;
	double sum = 0;
	int error;

	kgr__pool_run(t->pool, val_part, t);
	if ((error = shards_error(t)) < 0)
		return error;
	for (i = 0; i < t->v.n_users; i++)
		if (t->v.gain[i] >= 0) {
			sum += t->v.gain[i];
			counted++;
		}
	*out = counted ? sum / (double)counted : 0;
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

/* Cuts the batch into the threads' shares: share s takes the windows that start before row
 * (s + 1) rows / T from where share s - 1 ended, so it has fewer than rows / T + max_len rows
 * (a share may be empty when the batch has fewer rows than threads). */
static void split(trainer *t, const kgr__seq_batch *b)
{
	size_t nw = b->segs.n_seg, R = b->segs.rows, T = (size_t)t->T, w = 0, s, k, r;
	const size_t *st = b->segs.start;

	for (s = 0; s < T; s++) {
		shard *h = &t->sh[s];
		size_t w0 = w, r0 = w0 < nw ? st[w0] : R, cut = (s + 1) * R / T;
		while (w < nw && (s == T - 1 || st[w] < cut))
			w++;
		for (k = w0; k < w; k++)
			h->sstart[k - w0] = st[k] - r0;
		memset(&h->b, 0, sizeof(h->b));
		h->b.segs.n_seg = w - w0;
		h->b.segs.rows = (w < nw ? st[w] : R) - r0;
		h->b.segs.start = h->sstart;
		h->b.segs.len = b->segs.len + w0;
		h->b.items = b->items + r0;
		h->b.pos = b->pos + r0;
		h->b.target = b->target + r0;
		h->b.neg = b->neg + w0 * t->N;
		h->b.n_neg = t->N;
		h->counted = 0;
		for (r = 0; r < h->b.segs.rows; r++)
			h->counted += h->b.target[r] != KGR__SEQ_NONE;
	}
}

/* A share's forward and backward pass into its own gradient (share 0: the trainer's), which
 * is zero before it: cleared here, or in training on more threads by the last step's update
 * (update_part). */
static void step_part(void *arg, int s)
{
	trainer *t = arg;
	shard *h = &t->sh[s];

	if (!t->kept_zero)
		memset(h->grad, 0, t->net->n_params * sizeof(float));
	h->loss = 0;
	if (!h->b.segs.rows)
		return;
	kgr__seq_forward(h->ws, t->net, &h->b, (float)t->o->dropout, s ? &h->rng : &t->rng);
	h->loss = kgr__seq_loss_backward(h->ws, t->net, &h->b, t->sampler.logq, h->grad);
}

/* Elements [lo, hi) of the weighted sum of the shares' gradients into share 0's: each
 * share's is the gradient of its own mean loss, so weighted by its share of the rows they
 * sum to the gradient of the batch's mean. Every element is summed in share order. With
 * clear, the other shares' elements are zeroed once read. */
static void reduce_range(trainer *t, size_t lo, size_t hi, int clear)
{
	float *g0 = t->sh[0].grad, a0 = t->share[0];
	size_t i;
	int k;

	for (i = lo; i < hi; i++)
		g0[i] *= a0;
	for (k = 1; k < t->T; k++) {
		float *g = t->sh[k].grad, a = t->share[k];
		if (!t->sh[k].counted)
			continue; /* an empty share wrote nothing */
		for (i = lo; i < hi; i++)
			g0[i] += a * g[i];
		if (clear)
			memset(g + lo, 0, (hi - lo) * sizeof(float));
	}
}

static void reduce_part(void *arg, int s)
{
	trainer *t = arg;
	size_t n = t->net->n_params;

	reduce_range(t, n * (size_t)s / (size_t)t->T, n * (size_t)(s + 1) / (size_t)t->T, 0);
}

#define UPDATE_CHUNK 4096

/* Training on more threads: a slice of the sum of the gradients, the AdamW step on it, and
 * every share's gradient cleared for the next batch, a chunk at a time while it is in the
 * cache (the same sums and the same step as reduce_part then the step: each element on its
 * own). This pass over the weights is the part of a step that memory, not the cores, sets
 * the pace of; done in three passes it cost a fifth of Beauty's training. */
static void update_part(void *arg, int s)
{
	trainer *t = arg;
	size_t n = t->net->n_params, lo = n * (size_t)s / (size_t)t->T;
	size_t hi = n * (size_t)(s + 1) / (size_t)t->T, c;

	for (c = lo; c < hi; c += UPDATE_CHUNK) {
		size_t e = hi - c < UPDATE_CHUNK ? hi : c + UPDATE_CHUNK;
		reduce_range(t, c, e, 1);
		kgr__seq_adamw_range(&t->opt, t->net->w, t->sh[0].grad, t->tensors, t->n_tensors, c,
			e);
		memset(t->sh[0].grad + c, 0, (e - c) * sizeof(float));
	}
}

/* The gradient of a batch's mean loss over its counted rows, computed in the threads' shares;
 * returns that mean. The gradient is in t->grad, but when training on more threads
 * (kept_zero), where the shares' gradients are still to be summed by update_part. */
static double batch_gradient(trainer *t, const kgr__seq_batch *b)
{
	size_t counted = 0;
	double loss = 0;
	int s;

	split(t, b);
	for (s = 1; s < t->T; s++)
		if (!(t->sh[s].rng = kgr__rng_next(&t->rng)))
			t->sh[s].rng = 1;
	kgr__pool_run(t->pool, step_part, t);
	if (t->T == 1) {
		loss = t->sh[0].loss;
	} else {
		for (s = 0; s < t->T; s++)
			counted += t->sh[s].counted;
		for (s = 0; s < t->T; s++) {
			t->share[s] = counted ? (float)((double)t->sh[s].counted / (double)counted) : 0;
			loss += counted ? t->sh[s].loss * (double)t->sh[s].counted / (double)counted : 0;
		}
		if (!t->kept_zero)
			kgr__pool_run(t->pool, reduce_part, t);
	}
	return loss;
}

/* The AdamW step after batch_gradient(). */
static void adam_step(trainer *t)
{
	if (!t->kept_zero) {
		kgr__seq_adamw_step(&t->opt, t->net->w, t->grad, t->tensors, t->n_tensors);
		return;
	}
	kgr__seq_adamw_begin(&t->opt);
	kgr__pool_run(t->pool, update_part, t);
}

/* A trainer for the test hooks below: one batch b on net (read only unless stepped), threads
 * shares, no dropout; grad: the gradient buffer of share 0. */
static int hook_trainer(trainer *t, kgr_seq_options *o, const kgr__seq_net *net,
	const kgr__seq_batch *b, int threads, float *grad)
{
	size_t s;

	memset(t, 0, sizeof(*t));
	*o = (kgr_seq_options)KGR_SEQ_OPTIONS_INIT;
	o->threads = threads;
	o->dropout = 0;
	t->o = o;
	t->net = (kgr__seq_net *)net; /* not freed here */
	t->dm = net->dims;
	t->n_items = (size_t)net->dims.n_items;
	t->L = (size_t)net->dims.max_len;
	t->B = b->segs.n_seg ? b->segs.n_seg : 1;
	t->N = b->n_neg;
	t->grad = grad;
	for (s = 0; s < b->segs.n_seg; s++)
		if (b->segs.len[s] > t->L)
			return kgr__error_set(KGR_EINVALID, "sequence model: a segment longer than max_len");
	return shards_alloc(t);
}

int kgr__seq_batch_gradient(float *grad, double *loss, const kgr__seq_net *net,
	const kgr__seq_batch *b, int threads)
{
	kgr_seq_options o;
	trainer t;
	int error;

	if ((error = hook_trainer(&t, &o, net, b, threads, grad)) == 0)
		*loss = batch_gradient(&t, b); /* not kept_zero: summed by reduce_part */
	shards_free(&t);
	return error;
}

int kgr__seq_batch_steps(kgr__seq_net *net, const kgr__seq_batch *b, int threads, int steps,
	double lr, double weight_decay, double *loss)
{
	kgr_seq_options o;
	trainer t;
	float *grad = calloc(net->n_params, sizeof(*grad));
	int error, k;

	if (!grad)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	if ((error = hook_trainer(&t, &o, net, b, threads, grad)) == 0 &&
		(error = kgr__seq_adamw_init(&t.opt, net->n_params, lr, weight_decay)) == 0) {
		kgr__seq_layout(&t.dm, NULL, NULL, t.tensors, &t.n_tensors);
		t.kept_zero = t.T > 1; /* as training sets it: the gradients start zeroed */
		for (k = 0; k < steps; k++) {
			*loss = batch_gradient(&t, b);
			adam_step(&t);
		}
	}
	kgr__seq_adamw_free(&t.opt);
	shards_free(&t);
	free(grad);
	return error;
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
		l = batch_gradient(t, &b);
		adam_step(t);
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
	kgr__seq_threads(1); /* the threads take shares of the batches, not of the products */
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
	t.rep.threads = t.T;
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
		if ((error = val_ndcg(&ndcg, &t)) < 0)
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
	trainer_free(&t);
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
