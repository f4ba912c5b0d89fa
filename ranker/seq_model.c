/* The sequence network: its parameter layout, initialisation, the forward and backward passes
 * over a batch, and the scores of every item after a history.
 *
 * Pre-LN blocks (R. Xiong et al., ICML 2020) over x0 = dropout(E[item] + P[pos]):
 *   x = x + dropout(Wo attention(LN1(x) Wqkv))
 *   x = x + dropout(W2 relu(LN2(x) W1))
 * then a final layer norm; the score of item j at a position is h . E[j] (tied embeddings). */
#include "ranker/seq_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int kgr__seq_dims_check(const kgr__seq_dims *dm)
{
	if (dm->n_items < 2)
		return kgr__error_set(KGR_EINVALID, "sequence model: need at least 2 items, have %d",
			dm->n_items);
	if (dm->d < 2 || dm->d > 4096)
		return kgr__error_set(KGR_EINVALID, "sequence model: dims %d out of 2 .. 4096", dm->d);
	if (dm->max_len < 1 || dm->max_len > 512)
		return kgr__error_set(KGR_EINVALID, "sequence model: max_len %d out of 1 .. 512",
			dm->max_len);
	if (dm->blocks < 1 || dm->blocks > KGR__SEQ_MAX_BLOCKS)
		return kgr__error_set(KGR_EINVALID, "sequence model: blocks %d out of 1 .. %d",
			dm->blocks, KGR__SEQ_MAX_BLOCKS);
	if (dm->heads < 1 || dm->d % dm->heads)
		return kgr__error_set(KGR_EINVALID, "sequence model: heads %d do not divide dims %d",
			dm->heads, dm->d);
	if (dm->ff < 1 || dm->ff > 65536)
		return kgr__error_set(KGR_EINVALID, "sequence model: ff %d out of 1 .. 65536", dm->ff);
	return 0;
}

static float *take(float *base, size_t *at, size_t count, int decay, kgr__seq_tensor *tensors,
	size_t *n_tensors)
{
	float *p = base ? base + *at : NULL;
	if (tensors) {
		tensors[*n_tensors].offset = *at;
		tensors[*n_tensors].count = count;
		tensors[*n_tensors].decay = decay;
	}
	if (n_tensors)
		(*n_tensors)++;
	*at += count;
	return p;
}

size_t kgr__seq_layout(const kgr__seq_dims *dm, float *base, kgr__seq_params *p,
	kgr__seq_tensor *tensors, size_t *n_tensors)
{
	size_t at = 0, d = (size_t)dm->d, f = (size_t)dm->ff, nt = 0;
	kgr__seq_params tmp;
	int l;
	if (!p)
		p = &tmp;
	memset(p, 0, sizeof(*p));
	p->emb = take(base, &at, (size_t)dm->n_items * d, 1, tensors, &nt);
	p->pos = take(base, &at, (size_t)dm->max_len * d, 1, tensors, &nt);
	for (l = 0; l < dm->blocks; l++) {
		kgr__seq_block *b = &p->blk[l];
		b->ln1_g = take(base, &at, d, 0, tensors, &nt);
		b->ln1_b = take(base, &at, d, 0, tensors, &nt);
		b->wqkv = take(base, &at, d * 3 * d, 1, tensors, &nt);
		b->bqkv = take(base, &at, 3 * d, 0, tensors, &nt);
		b->wo = take(base, &at, d * d, 1, tensors, &nt);
		b->bo = take(base, &at, d, 0, tensors, &nt);
		b->ln2_g = take(base, &at, d, 0, tensors, &nt);
		b->ln2_b = take(base, &at, d, 0, tensors, &nt);
		b->w1 = take(base, &at, d * f, 1, tensors, &nt);
		b->b1 = take(base, &at, f, 0, tensors, &nt);
		b->w2 = take(base, &at, f * d, 1, tensors, &nt);
		b->b2 = take(base, &at, d, 0, tensors, &nt);
	}
	p->lnf_g = take(base, &at, d, 0, tensors, &nt);
	p->lnf_b = take(base, &at, d, 0, tensors, &nt);
	if (n_tensors)
		*n_tensors = nt;
	return at;
}

float kgr__seq_uniform(uint64_t *rng)
{
	return (float)(kgr__rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

float kgr__seq_normal(uint64_t *rng)
{
	double u1 = ((double)(kgr__rng_next(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
	double u2 = (double)(kgr__rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
	return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

static void fill_normal(float *w, size_t n, double sd, uint64_t *rng)
{
	size_t i;
	for (i = 0; i < n; i++)
		w[i] = (float)(sd * kgr__seq_normal(rng));
}

static void fill(float *w, size_t n, float v)
{
	size_t i;
	for (i = 0; i < n; i++)
		w[i] = v;
}

/* Matrices Glorot normal (X. Glorot and Y. Bengio, 2010), as SASRec initialises them;
 * embeddings N(0, 1/d) so that a dot product of two starts near unit scale; gains 1,
 * biases 0. */
int kgr__seq_net_new(kgr__seq_net **out, const kgr__seq_dims *dims, uint64_t seed)
{
	kgr__seq_net *n;
	size_t d = (size_t)dims->d, f = (size_t)dims->ff;
	uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	int l, error;

	*out = NULL;
	if ((error = kgr__seq_dims_check(dims)) < 0)
		return error;
	if (!rng)
		rng = 1;
	n = calloc(1, sizeof(*n));
	if (!n)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	n->dims = *dims;
	n->n_params = kgr__seq_layout(dims, NULL, NULL, NULL, NULL);
	n->w = calloc(n->n_params, sizeof(float));
	if (!n->w) {
		free(n);
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory (%zu weights)",
			kgr__seq_layout(dims, NULL, NULL, NULL, NULL));
	}
	kgr__seq_layout(dims, n->w, &n->p, NULL, NULL);
	fill_normal(n->p.emb, (size_t)dims->n_items * d, 1.0 / sqrt((double)d), &rng);
	fill_normal(n->p.pos, (size_t)dims->max_len * d, 1.0 / sqrt((double)d), &rng);
	for (l = 0; l < dims->blocks; l++) {
		kgr__seq_block *b = &n->p.blk[l];
		fill(b->ln1_g, d, 1);
		fill(b->ln2_g, d, 1);
		fill_normal(b->wqkv, d * 3 * d, sqrt(2.0 / (double)(d + d)), &rng);
		fill_normal(b->wo, d * d, sqrt(2.0 / (double)(d + d)), &rng);
		fill_normal(b->w1, d * f, sqrt(2.0 / (double)(d + f)), &rng);
		fill_normal(b->w2, f * d, sqrt(2.0 / (double)(d + f)), &rng);
	}
	fill(n->p.lnf_g, d, 1);
	*out = n;
	return 0;
}

void kgr__seq_net_free(kgr__seq_net *net)
{
	if (!net)
		return;
	free(net->w);
	free(net);
}

/* ---- workspace ---- */

typedef struct {
	float *ln1, *ln1_mean, *ln1_rstd, *qkv, *probs, *att, *proj, *mask1, *xmid;
	float *ln2, *ln2_mean, *ln2_rstd, *fc1, *fc1r, *fc2, *mask2;
} block_act;

struct kgr__seq_ws {
	kgr__seq_dims dims;
	size_t max_rows, max_att, max_neg;
	float *emb, *mask0;
	float *x[KGR__SEQ_MAX_BLOCKS + 1]; /* the residual stream after each block */
	block_act a[KGR__SEQ_MAX_BLOCKS];
	float *out, *out_mean, *out_rstd;
	/* backward scratch */
	float *dx, *dout, *dsmall, *dbig, *dqkv, *dln;
	float *loss_work;
	int has_mask;
	float *all;
};

int kgr__seq_ws_new(kgr__seq_ws **out, const kgr__seq_dims *dm, size_t max_rows, size_t max_att,
	size_t max_neg)
{
	kgr__seq_ws *ws = calloc(1, sizeof(*ws));
	size_t T = max_rows ? max_rows : 1, d = (size_t)dm->d, f = (size_t)dm->ff, total = 0, at = 0;
	size_t loss_work = (2 * d + (size_t)dm->max_len) * (max_neg ? max_neg : 1);
	int pass, l;

	*out = NULL;
	if (!ws)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	ws->dims = *dm;
	ws->max_rows = T;
	ws->max_att = max_att ? max_att : 1;
	ws->max_neg = max_neg;
	/* two passes: count, then point into one allocation */
	for (pass = 0; pass < 2; pass++) {
		float *base = pass ? ws->all : NULL;
#define TAKE(ptr, n) do { (ptr) = base ? base + at : NULL; at += (n); } while (0)
		at = 0;
		TAKE(ws->emb, T * d);
		TAKE(ws->mask0, T * d);
		for (l = 0; l <= dm->blocks; l++)
			TAKE(ws->x[l], T * d);
		for (l = 0; l < dm->blocks; l++) {
			block_act *a = &ws->a[l];
			TAKE(a->ln1, T * d);
			TAKE(a->ln1_mean, T);
			TAKE(a->ln1_rstd, T);
			TAKE(a->qkv, T * 3 * d);
			TAKE(a->probs, ws->max_att);
			TAKE(a->att, T * d);
			TAKE(a->proj, T * d);
			TAKE(a->mask1, T * d);
			TAKE(a->xmid, T * d);
			TAKE(a->ln2, T * d);
			TAKE(a->ln2_mean, T);
			TAKE(a->ln2_rstd, T);
			TAKE(a->fc1, T * f);
			TAKE(a->fc1r, T * f);
			TAKE(a->fc2, T * d);
			TAKE(a->mask2, T * d);
		}
		TAKE(ws->out, T * d);
		TAKE(ws->out_mean, T);
		TAKE(ws->out_rstd, T);
		TAKE(ws->dx, T * d);
		TAKE(ws->dout, T * d);
		TAKE(ws->dsmall, T * d);
		TAKE(ws->dbig, T * (f > d ? f : d));
		TAKE(ws->dqkv, T * 3 * d);
		TAKE(ws->dln, T * (f > d ? f : d));
		TAKE(ws->loss_work, loss_work);
#undef TAKE
		if (!pass) {
			total = at;
			ws->all = malloc(total * sizeof(float));
			if (!ws->all) {
				free(ws);
				return kgr__error_set(KGR_ENOMEM,
					"sequence model: out of memory (%zu rows of activations)", T);
			}
		}
	}
	*out = ws;
	return 0;
}

void kgr__seq_ws_free(kgr__seq_ws *ws)
{
	if (!ws)
		return;
	free(ws->all);
	free(ws);
}

const float *kgr__seq_ws_out(const kgr__seq_ws *ws)
{
	return ws->out;
}

static void add(float *out, const float *a, const float *b, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

void kgr__seq_forward(kgr__seq_ws *ws, const kgr__seq_net *net, const kgr__seq_batch *b, float p,
	uint64_t *rng)
{
	const kgr__seq_dims *dm = &net->dims;
	size_t T = b->segs.rows, d = (size_t)dm->d, f = (size_t)dm->ff;
	int l, drop = p > 0;

	ws->has_mask = drop;
	kgr__seq_embed_fwd(ws->emb, net->p.emb, net->p.pos, b->items, b->pos, T, d);
	kgr__seq_dropout_fwd(ws->x[0], drop ? ws->mask0 : NULL, ws->emb, T * d, p, rng);
	for (l = 0; l < dm->blocks; l++) {
		const kgr__seq_block *w = &net->p.blk[l];
		block_act *a = &ws->a[l];
		kgr__seq_layernorm_fwd(a->ln1, a->ln1_mean, a->ln1_rstd, ws->x[l], w->ln1_g, w->ln1_b,
			T, d);
		kgr__seq_matmul_fwd(a->qkv, a->ln1, w->wqkv, w->bqkv, T, d, 3 * d);
		kgr__seq_attention_fwd(a->att, a->probs, a->qkv, &b->segs, d, dm->heads);
		kgr__seq_matmul_fwd(a->proj, a->att, w->wo, w->bo, T, d, d);
		kgr__seq_dropout_fwd(a->xmid, drop ? a->mask1 : NULL, a->proj, T * d, p, rng);
		add(a->xmid, a->xmid, ws->x[l], T * d);
		kgr__seq_layernorm_fwd(a->ln2, a->ln2_mean, a->ln2_rstd, a->xmid, w->ln2_g, w->ln2_b,
			T, d);
		kgr__seq_matmul_fwd(a->fc1, a->ln2, w->w1, w->b1, T, d, f);
		kgr__seq_relu_fwd(a->fc1r, a->fc1, T * f);
		kgr__seq_matmul_fwd(a->fc2, a->fc1r, w->w2, w->b2, T, f, d);
		kgr__seq_dropout_fwd(ws->x[l + 1], drop ? a->mask2 : NULL, a->fc2, T * d, p, rng);
		add(ws->x[l + 1], ws->x[l + 1], a->xmid, T * d);
	}
	kgr__seq_layernorm_fwd(ws->out, ws->out_mean, ws->out_rstd, ws->x[dm->blocks],
		net->p.lnf_g, net->p.lnf_b, T, d);
}

double kgr__seq_loss_backward(kgr__seq_ws *ws, const kgr__seq_net *net, const kgr__seq_batch *b,
	const float *logq, float *grad)
{
	const kgr__seq_dims *dm = &net->dims;
	size_t T = b->segs.rows, d = (size_t)dm->d, f = (size_t)dm->ff;
	kgr__seq_params g;
	const float *m0, *m1, *m2;
	double loss;
	int l;

	if (!grad)
		return kgr__seq_loss(NULL, NULL, ws->out, net->p.emb, b->target, b->neg, b->n_neg, logq,
			&b->segs, d, ws->loss_work);
	kgr__seq_layout(dm, grad, &g, NULL, NULL);
	memset(ws->dout, 0, T * d * sizeof(float));
	loss = kgr__seq_loss(ws->dout, g.emb, ws->out, net->p.emb, b->target, b->neg, b->n_neg, logq,
		&b->segs, d, ws->loss_work);
	memset(ws->dx, 0, T * d * sizeof(float));
	kgr__seq_layernorm_bwd(ws->dx, g.lnf_g, g.lnf_b, ws->dout, ws->x[dm->blocks], ws->out_mean,
		ws->out_rstd, net->p.lnf_g, T, d);
	for (l = dm->blocks - 1; l >= 0; l--) {
		const kgr__seq_block *w = &net->p.blk[l];
		kgr__seq_block *gw = &g.blk[l];
		block_act *a = &ws->a[l];
		m2 = ws->has_mask ? a->mask2 : NULL;
		m1 = ws->has_mask ? a->mask1 : NULL;
		/* x_out = xmid + drop(fc2): dx flows to xmid unchanged */
		memset(ws->dsmall, 0, T * d * sizeof(float));
		kgr__seq_dropout_bwd(ws->dsmall, ws->dx, m2, T * d);
		memset(ws->dbig, 0, T * f * sizeof(float));
		kgr__seq_matmul_bwd(ws->dbig, gw->w2, gw->b2, ws->dsmall, a->fc1r, w->w2, T, f, d);
		memset(ws->dln, 0, T * f * sizeof(float));
		kgr__seq_relu_bwd(ws->dln, ws->dbig, a->fc1, T * f);
		memset(ws->dsmall, 0, T * d * sizeof(float));
		kgr__seq_matmul_bwd(ws->dsmall, gw->w1, gw->b1, ws->dln, a->ln2, w->w1, T, d, f);
		kgr__seq_layernorm_bwd(ws->dx, gw->ln2_g, gw->ln2_b, ws->dsmall, a->xmid, a->ln2_mean,
			a->ln2_rstd, w->ln2_g, T, d);
		/* xmid = x_in + drop(proj) */
		memset(ws->dsmall, 0, T * d * sizeof(float));
		kgr__seq_dropout_bwd(ws->dsmall, ws->dx, m1, T * d);
		memset(ws->dbig, 0, T * d * sizeof(float));
		kgr__seq_matmul_bwd(ws->dbig, gw->wo, gw->bo, ws->dsmall, a->att, w->wo, T, d, d);
		memset(ws->dqkv, 0, T * 3 * d * sizeof(float));
		kgr__seq_attention_bwd(ws->dqkv, ws->dbig, a->qkv, a->probs, &b->segs, d, dm->heads);
		memset(ws->dsmall, 0, T * d * sizeof(float));
		kgr__seq_matmul_bwd(ws->dsmall, gw->wqkv, gw->bqkv, ws->dqkv, a->ln1, w->wqkv, T, d,
			3 * d);
		kgr__seq_layernorm_bwd(ws->dx, gw->ln1_g, gw->ln1_b, ws->dsmall, ws->x[l], a->ln1_mean,
			a->ln1_rstd, w->ln1_g, T, d);
	}
	m0 = ws->has_mask ? ws->mask0 : NULL;
	memset(ws->dsmall, 0, T * d * sizeof(float));
	kgr__seq_dropout_bwd(ws->dsmall, ws->dx, m0, T * d);
	kgr__seq_embed_bwd(g.emb, g.pos, ws->dsmall, b->items, b->pos, T, d);
	return loss;
}

/* ---- scores ---- */

int kgr__seq_hidden_many(float *last, const kgr__seq_net *net, const uint32_t *const *hist,
	const size_t *len, size_t n_users, kgr__seq_ws *ws)
{
	const kgr__seq_dims *dm = &net->dims;
	size_t d = (size_t)dm->d, rows = 0, u, j, r = 0, L = (size_t)dm->max_len;
	size_t *start = NULL, *slen = NULL;
	uint32_t *items = NULL;
	int *pos = NULL;
	kgr__seq_ws *own = NULL;
	kgr__seq_batch b;
	int error = 0;

	for (u = 0; u < n_users; u++)
		rows += len[u] < L ? len[u] : L;
	start = malloc((n_users + 1) * sizeof(*start));
	slen = malloc((n_users + 1) * sizeof(*slen));
	items = malloc((rows + 1) * sizeof(*items));
	pos = malloc((rows + 1) * sizeof(*pos));
	if (!start || !slen || !items || !pos) {
		error = kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
		goto cleanup;
	}
	for (u = 0; u < n_users; u++) {
		size_t n = len[u] < L ? len[u] : L, from = len[u] - n;
		start[u] = r;
		slen[u] = n;
		for (j = 0; j < n; j++) {
			items[r] = hist[u][from + j];
			pos[r] = kgr__seq_position(dm->max_len, n, j);
			r++;
		}
	}
	memset(&b, 0, sizeof(b));
	b.segs.n_seg = n_users;
	b.segs.rows = rows;
	b.segs.start = start;
	b.segs.len = slen;
	b.items = items;
	b.pos = pos;
	if (!ws || ws->max_rows < rows || ws->max_att < kgr__seq_attention_size(&b.segs, dm->heads)) {
		if ((error = kgr__seq_ws_new(&own, dm, rows, kgr__seq_attention_size(&b.segs, dm->heads),
			0)) < 0)
			goto cleanup;
		ws = own;
	}
	if (rows)
		kgr__seq_forward(ws, net, &b, 0, NULL);
	/* an empty history reads the final layer norm of nothing: its bias alone */
	for (u = 0; u < n_users; u++) {
		if (slen[u])
			memcpy(last + u * d, ws->out + (start[u] + slen[u] - 1) * d, d * sizeof(float));
		else
			memcpy(last + u * d, net->p.lnf_b, d * sizeof(float));
	}
cleanup:
	kgr__seq_ws_free(own);
	free(start);
	free(slen);
	free(items);
	free(pos);
	return error;
}

int kgr__seq_score_many(float *scores, const kgr__seq_net *net, const uint32_t *const *hist,
	const size_t *len, size_t n_users, kgr__seq_ws *ws)
{
	size_t d = (size_t)net->dims.d;
	float *last = calloc(n_users * d + 1, sizeof(*last));
	int error;
	if (!last)
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory");
	if ((error = kgr__seq_hidden_many(last, net, hist, len, n_users, ws)) == 0)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n_users, net->dims.n_items,
			(int)d, 1.0f, last, (int)d, net->p.emb, (int)d, 0.0f, scores, net->dims.n_items);
	free(last);
	return error;
}

int kgr__seq_score_items(float *scores, const kgr__seq_net *net, const uint32_t *history,
	size_t n, kgr__seq_ws *ws)
{
	const uint32_t *h[1];
	h[0] = history;
	return kgr__seq_score_many(scores, net, h, &n, 1, ws);
}
