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
	KGR__CHECK_VERSION(o, KGR_SEQ_OPTIONS_VERSION, "sequence model");
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

int kgr__seq_fit(kgr__seq_net **out, const uint32_t *seq, const size_t *start, size_t n_users,
	size_t n_items, const kgr_seq_options *opts, kgr_seq_report *report)
{
	kgr_seq_options defaults = KGR_SEQ_OPTIONS_INIT;
	const kgr_seq_options *o = opts ? opts : &defaults;
	kgr__seq_dims dm;
	kgr__seq_net *net = NULL;
	kgr__seq_ws *ws = NULL;
	kgr__seq_adamw opt = { 0 };
	kgr__seq_sampler sampler = { 0 };
	kgr__seq_tensor tensors[KGR__SEQ_MAX_TENSORS];
	size_t n_tensors = 0, n_win = 0, cap_win = 0, u, i, positions = 0, L, B, N;
	window *win = NULL;
	size_t *order = NULL, *bstart = NULL, *blen = NULL;
	unsigned char *held = NULL;
	uint32_t *counts = NULL, *bitems = NULL, *btarget = NULL, *bneg = NULL;
	int *bpos = NULL;
	float *grad = NULL, *best = NULL;
	validation v;
	kgr_seq_report rep;
	kgr_seq_progress pr;
	uint64_t rng;
	double t0 = now();
	int error, ep;

	*out = NULL;
	memset(&v, 0, sizeof(v));
	memset(&rep, 0, sizeof(rep));
	if ((error = options_check(o)) < 0)
		return error;
	if (n_items > (size_t)INT32_MAX)
		return kgr__error_set(KGR_EINVALID, "sequence model: %zu items is too many", n_items);
	dm.n_items = (int)n_items;
	dm.d = o->dims;
	dm.max_len = o->max_len;
	dm.blocks = o->blocks;
	dm.heads = o->heads;
	dm.ff = o->ff ? o->ff : o->dims;
	if ((error = kgr__seq_dims_check(&dm)) < 0)
		return error;
	kgr__seq_threads(o->threads);
	rng = o->seed * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL;
	if (!rng)
		rng = 1;
	L = (size_t)dm.max_len;
	B = (size_t)o->batch;
	N = (size_t)o->negatives;

	/* the validation users: a seeded sample of the users with two events or more, in user
	 * order; their last event is held out (every user's with holdout_all) */
	counts = calloc(n_items, sizeof(*counts));
	v.users = malloc((n_users ? n_users : 1) * sizeof(*v.users));
	held = calloc(n_users ? n_users : 1, 1);
	if (!counts || !v.users || !held)
		goto nomem;
	for (u = 0; u < n_users; u++)
		if (start[u + 1] - start[u] >= 2)
			v.users[v.n_users++] = u;
	if (o->val_users && v.n_users > o->val_users) {
		uint64_t vr = rng ^ 0x5851F42D4C957F2DULL;
		shuffle(v.users, v.n_users, &vr);
		v.n_users = o->val_users;
		qsort(v.users, v.n_users, sizeof(*v.users), by_size);
	}
	for (i = 0; i < v.n_users; i++)
		held[v.users[i]] = 1;
	/* windows over each user's training events, newest first, max_len transitions each */
	for (u = 0; u < n_users; u++) {
		size_t m = start[u + 1] - start[u], e;
		if (m >= 2 && (held[u] || o->holdout_all))
			m--;
		for (i = 0; i < m; i++)
			counts[seq[start[u] + i]]++;
		if (m >= 2)
			rep.users++;
		for (e = m; e >= 2; e = e > L ? e - L : 0) {
			size_t from = e > L + 1 ? e - L - 1 : 0;
			if (n_win == cap_win) {
				size_t nc = cap_win ? 2 * cap_win : 1024;
				window *nw = realloc(win, nc * sizeof(*nw));
				if (!nw)
					goto nomem;
				win = nw;
				cap_win = nc;
			}
			win[n_win].from = start[u] + from;
			win[n_win].n = e - from;
			positions += e - from - 1;
			n_win++;
		}
	}
	v.seq = seq;
	v.start = start;
	v.stamp = calloc(n_items, sizeof(*v.stamp));
	v.scores = malloc(VAL_CHUNK * n_items * sizeof(*v.scores));

	if ((error = kgr__seq_net_new(&net, &dm, o->seed)) < 0)
		goto cleanup;
	kgr__seq_layout(&dm, NULL, NULL, tensors, &n_tensors);
	if ((error = kgr__seq_adamw_init(&opt, net->n_params, o->lr, o->weight_decay)) < 0)
		goto cleanup;
	if ((error = kgr__seq_sampler_init(&sampler, o->sampler, counts, n_items)) < 0)
		goto cleanup;
	{
		size_t val_rows = VAL_CHUNK * L, rows = B * L > val_rows ? B * L : val_rows;
		size_t att = (B > VAL_CHUNK ? B : VAL_CHUNK) * L * L * (size_t)dm.heads;
		if ((error = kgr__seq_ws_new(&ws, &dm, rows, att, N)) < 0)
			goto cleanup;
	}
	grad = malloc(net->n_params * sizeof(*grad));
	best = malloc(net->n_params * sizeof(*best));
	order = malloc((n_win ? n_win : 1) * sizeof(*order));
	bstart = malloc(B * sizeof(*bstart));
	blen = malloc(B * sizeof(*blen));
	bitems = malloc(B * L * sizeof(*bitems));
	btarget = malloc(B * L * sizeof(*btarget));
	bpos = malloc(B * L * sizeof(*bpos));
	bneg = malloc(B * N * sizeof(*bneg));
	if (!v.stamp || !v.scores || !grad || !best || !order || !bstart || !blen || !bitems ||
		!btarget || !bpos || !bneg)
		goto nomem;
	for (i = 0; i < n_win; i++)
		order[i] = i;
	memcpy(best, net->w, net->n_params * sizeof(float));
	rep.items = n_items;
	rep.positions = positions;
	rep.val_users = v.n_users;
	rep.params = net->n_params;
	rep.best_ndcg = -1;
	memset(&pr, 0, sizeof(pr));
	pr.epochs = o->epochs;
	pr.n_batches = (n_win + B - 1) / B;
	pr.best_ndcg = -1;

	for (ep = 1; ep <= o->epochs; ep++) {
		size_t w0, nb = 0;
		double loss_sum = 0, loss_rows = 0, ndcg;
		shuffle(order, n_win, &rng);
		for (w0 = 0; w0 < n_win; w0 += B) {
			size_t nw = n_win - w0 < B ? n_win - w0 : B, r = 0, s, j;
			kgr__seq_batch b;
			double loss;
			for (s = 0; s < nw; s++) {
				const window *w = &win[order[w0 + s]];
				size_t n_in = w->n - 1;
				bstart[s] = r;
				blen[s] = n_in;
				for (j = 0; j < n_in; j++) {
					bitems[r] = seq[w->from + j];
					btarget[r] = seq[w->from + j + 1];
					bpos[r] = kgr__seq_position(dm.max_len, n_in, j);
					r++;
				}
				kgr__seq_sampler_draw(&sampler, bneg + s * N, N, &rng);
			}
			memset(&b, 0, sizeof(b));
			b.segs.n_seg = nw;
			b.segs.rows = r;
			b.segs.start = bstart;
			b.segs.len = blen;
			b.items = bitems;
			b.pos = bpos;
			b.target = btarget;
			b.neg = bneg;
			b.n_neg = N;
			memset(grad, 0, net->n_params * sizeof(float));
			kgr__seq_forward(ws, net, &b, (float)o->dropout, &rng);
			loss = kgr__seq_loss_backward(ws, net, &b, sampler.logq, grad);
			kgr__seq_adamw_step(&opt, net->w, grad, tensors, n_tensors);
			loss_sum += loss * (double)r;
			loss_rows += (double)r;
			nb++;
			if (o->progress && (nb % 8 == 0 || nb == pr.n_batches)) {
				pr.epoch = ep;
				pr.batch = nb;
				pr.loss = loss_sum / loss_rows;
				pr.val_ndcg = -1;
				o->progress(&pr, o->progress_payload);
			}
		}
		if ((error = val_ndcg(&ndcg, &v, net, ws)) < 0)
			goto cleanup;
		rep.epochs_run = ep;
		rep.last_loss = loss_rows > 0 ? loss_sum / loss_rows : 0;
		if (ndcg > rep.best_ndcg) {
			rep.best_ndcg = ndcg;
			rep.best_epoch = ep;
			memcpy(best, net->w, net->n_params * sizeof(float));
		}
		if (o->progress) {
			pr.epoch = ep;
			pr.batch = nb;
			pr.loss = rep.last_loss;
			pr.val_ndcg = ndcg;
			pr.best_ndcg = rep.best_ndcg;
			o->progress(&pr, o->progress_payload);
		}
		if (ep - rep.best_epoch >= o->patience)
			break;
	}
	memcpy(net->w, best, net->n_params * sizeof(float));
	if (rep.best_ndcg < 0)
		rep.best_ndcg = 0;
	rep.seconds = now() - t0;
	if (report)
		*report = rep;
	*out = net;
	net = NULL;
	error = 0;
	goto cleanup;
nomem:
	error = kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
cleanup:
	kgr__seq_net_free(net);
	kgr__seq_ws_free(ws);
	kgr__seq_adamw_free(&opt);
	kgr__seq_sampler_free(&sampler);
	free(win);
	free(order);
	free(bstart);
	free(blen);
	free(counts);
	free(bitems);
	free(btarget);
	free(bpos);
	free(bneg);
	free(grad);
	free(best);
	free(v.users);
	free(held);
	free(v.stamp);
	free(v.scores);
	return error;
}
