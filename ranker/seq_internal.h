/* Internal declarations of the sequence model (ranker/seq_*.c). Not installed.
 *
 * A SASRec-style causal transformer (W.-C. Kang and J. McAuley, "Self-Attentive Sequential
 * Recommendation", ICDM 2018) in plain C over float arrays, with the matrix products through
 * cblas_sgemm, in the manner of llm.c: every layer is a forward and a backward function over
 * rows of a batch, backward functions accumulate (+=) into the gradients they are given.
 *
 * A batch is a concatenation of sequences (segments) without padding: row r of every
 * activation belongs to one segment; attention stays within a segment and is causal. */
#ifndef KGREC_RANKER_SEQ_INTERNAL_H
#define KGREC_RANKER_SEQ_INTERNAL_H

#include "kgrec/sequence.h"
#include "util/util.h"

#include <stddef.h>
#include <stdint.h>

#define KGR__SEQ_NONE UINT32_MAX
#define KGR__SEQ_MAX_BLOCKS 8
#define KGR__SEQ_LN_EPS 1e-5f

/* ---- the layers (seq_layers.c) ---- */

/* out[T x o] = in[T x i] W[i x o] + b[o] (b may be NULL). */
void kgr__seq_matmul_fwd(float *out, const float *in, const float *w, const float *b, size_t T,
	size_t i, size_t o);
/* din += dout W^T; dw += in^T dout; db += column sums of dout (each may be NULL). */
void kgr__seq_matmul_bwd(float *din, float *dw, float *db, const float *dout, const float *in,
	const float *w, size_t T, size_t i, size_t o);

/* Layer norm over the last dimension d of T rows (J. L. Ba et al., 2016). */
void kgr__seq_layernorm_fwd(float *out, float *mean, float *rstd, const float *in,
	const float *g, const float *b, size_t T, size_t d);
void kgr__seq_layernorm_bwd(float *din, float *dg, float *db, const float *dout, const float *in,
	const float *mean, const float *rstd, const float *g, size_t T, size_t d);

void kgr__seq_relu_fwd(float *out, const float *in, size_t n);
/* din += dout where in > 0. */
void kgr__seq_relu_bwd(float *din, const float *dout, const float *in, size_t n);

/* out = in * mask, mask[i] 0 with probability p and 1/(1-p) otherwise; p == 0 or a NULL
 * mask copies. */
void kgr__seq_dropout_fwd(float *out, float *mask, const float *in, size_t n, float p,
	uint64_t *rng);
/* din += dout * mask (mask NULL: += dout). */
void kgr__seq_dropout_bwd(float *din, const float *dout, const float *mask, size_t n);

/* out[t] = E[items[t]] + P[pos[t]]. */
void kgr__seq_embed_fwd(float *out, const float *E, const float *P, const uint32_t *items,
	const int *pos, size_t T, size_t d);
void kgr__seq_embed_bwd(float *dE, float *dP, const float *dout, const uint32_t *items,
	const int *pos, size_t T, size_t d);

/* Rows of a batch: segment s covers rows start[s] .. start[s] + len[s]. */
typedef struct {
	size_t n_seg;
	size_t rows;
	const size_t *start;
	const size_t *len;
} kgr__seq_segs;

/* Floats of the attention probabilities of a batch: heads * sum len^2. */
size_t kgr__seq_attention_size(const kgr__seq_segs *sg, int heads);
/* Causal multi-head self-attention inside each segment. qkv [T x 3d] holds q | k | v, head h
 * the columns h*d/heads ..; out [T x d] the heads side by side; probs the softmax weights. */
void kgr__seq_attention_fwd(float *out, float *probs, const float *qkv, const kgr__seq_segs *sg,
	size_t d, int heads);
void kgr__seq_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
	const kgr__seq_segs *sg, size_t d, int heads);

/* Sampled softmax over the positive and the segment's negatives (neg[s * n_neg ..]); a
 * negative equal to the positive is left out. logq (may be NULL) is subtracted from every
 * logit (the sampling correction). Rows whose target is KGR__SEQ_NONE do not count. Returns
 * the mean loss over the counted rows (0 when none) and, when dh is not NULL, accumulates
 * the gradient of that mean into dh [T x d] and dE. work holds (2 * d + L) * n_neg floats,
 * L the longest segment. */
double kgr__seq_loss(float *dh, float *dE, const float *h, const float *E, const uint32_t *target,
	const uint32_t *neg, size_t n_neg, const float *logq, const kgr__seq_segs *sg, size_t d,
	float *work);

/* ---- the network (seq_model.c) ---- */

typedef struct {
	int n_items, d, max_len, blocks, heads, ff;
} kgr__seq_dims;

typedef struct {
	float *ln1_g, *ln1_b, *wqkv, *bqkv, *wo, *bo, *ln2_g, *ln2_b, *w1, *b1, *w2, *b2;
} kgr__seq_block;

/* Views into one float array (parameters, gradients or optimiser moments alike). */
typedef struct {
	float *emb;  /* [n_items x d], input and output alike */
	float *pos;  /* [max_len x d] */
	kgr__seq_block blk[KGR__SEQ_MAX_BLOCKS];
	float *lnf_g, *lnf_b;
} kgr__seq_params;

/* One tensor of the layout: its place and whether weight decay applies. */
typedef struct {
	size_t offset, count;
	int decay;
} kgr__seq_tensor;

#define KGR__SEQ_MAX_TENSORS (4 + 12 * KGR__SEQ_MAX_BLOCKS)

typedef struct {
	kgr__seq_dims dims;
	size_t n_params;
	float *w;
	kgr__seq_params p;
} kgr__seq_net;

/* Lays the tensors out over base (may be NULL to count). Returns the number of floats. */
size_t kgr__seq_layout(const kgr__seq_dims *dims, float *base, kgr__seq_params *p,
	kgr__seq_tensor *tensors, size_t *n_tensors);
/* KGR_EINVALID naming the first bad dimension. */
int kgr__seq_dims_check(const kgr__seq_dims *dims);
/* A network with its weights initialised from seed (seq_model.c says how). */
int kgr__seq_net_new(kgr__seq_net **out, const kgr__seq_dims *dims, uint64_t seed);
void kgr__seq_net_free(kgr__seq_net *net);

/* A batch: rows of input items and positions, per-row targets, per-segment negatives. */
typedef struct {
	kgr__seq_segs segs;
	const uint32_t *items;  /* [rows] */
	const int *pos;         /* [rows] position index 0 .. max_len - 1 */
	const uint32_t *target; /* [rows], KGR__SEQ_NONE: no loss at that row */
	const uint32_t *neg;    /* [n_seg x n_neg] */
	size_t n_neg;
} kgr__seq_batch;

/* Activations and scratch for batches of at most max_rows rows and max_att attention floats. */
typedef struct kgr__seq_ws kgr__seq_ws;
int kgr__seq_ws_new(kgr__seq_ws **out, const kgr__seq_dims *dims, size_t max_rows, size_t max_att,
	size_t max_neg);
void kgr__seq_ws_free(kgr__seq_ws *ws);
/* The output of the last forward pass: [rows x d], after the final layer norm. */
const float *kgr__seq_ws_out(const kgr__seq_ws *ws);

/* Forward pass (dropout p, rng for its masks; p 0 for inference). */
void kgr__seq_forward(kgr__seq_ws *ws, const kgr__seq_net *net, const kgr__seq_batch *b, float p,
	uint64_t *rng);
/* Loss of the last forward pass; with grad (n_params floats, accumulated), its gradient. */
double kgr__seq_loss_backward(kgr__seq_ws *ws, const kgr__seq_net *net, const kgr__seq_batch *b,
	const float *logq, float *grad);

/* Positions of a window of n items (right-aligned, as SASRec's left padding does). */
static inline int kgr__seq_position(int max_len, size_t n, size_t j)
{
	return max_len - (int)n + (int)j;
}

/* Scores of every item after a history of dense items (the newest max_len are read) into
 * scores [n_items]. ws may be NULL (one is made for the call). */
int kgr__seq_score_items(float *scores, const kgr__seq_net *net, const uint32_t *history,
	size_t n, kgr__seq_ws *ws);
/* The model's state after each of many histories (hist[u] of len[u] items) into
 * last [n_users x dims]: an item's score is its dot product with the item's embedding. */
int kgr__seq_hidden_many(float *last, const kgr__seq_net *net, const uint32_t *const *hist,
	const size_t *len, size_t n_users, kgr__seq_ws *ws);
/* The same for many histories at once: hist[u] of len[u] items, scores [n_users x n_items]. */
int kgr__seq_score_many(float *scores, const kgr__seq_net *net, const uint32_t *const *hist,
	const size_t *len, size_t n_users, kgr__seq_ws *ws);

/* ---- AdamW (seq_adamw.c), I. Loshchilov and F. Hutter, ICLR 2019 ---- */

typedef struct {
	float *m, *v;
	size_t n;
	long t;
	double lr, beta1, beta2, eps, weight_decay;
	float c1, c2;  /* this step's bias corrections */
} kgr__seq_adamw;

int kgr__seq_adamw_init(kgr__seq_adamw *opt, size_t n, double lr, double weight_decay);
void kgr__seq_adamw_step(kgr__seq_adamw *opt, float *w, const float *grad,
	const kgr__seq_tensor *tensors, size_t n_tensors);
/* The same step in parts: begin once, then the elements [lo, hi) of each range, in any order
 * or at once on separate threads. */
void kgr__seq_adamw_begin(kgr__seq_adamw *opt);
void kgr__seq_adamw_range(const kgr__seq_adamw *opt, float *w, const float *grad,
	const kgr__seq_tensor *tensors, size_t n_tensors, size_t lo, size_t hi);
void kgr__seq_adamw_free(kgr__seq_adamw *opt);

/* ---- negatives (seq_sampler.c) ---- */

typedef struct {
	kgr_seq_sampler kind;
	size_t n_items;
	double *cum;  /* popularity: cumulative weights */
	float *logq;  /* popularity: log of each item's probability; NULL for uniform */
} kgr__seq_sampler;

/* counts[n_items] (interactions per item in the training sequences), used by popularity. */
int kgr__seq_sampler_init(kgr__seq_sampler *s, kgr_seq_sampler kind, const uint32_t *counts,
	size_t n_items);
void kgr__seq_sampler_draw(const kgr__seq_sampler *s, uint32_t *out, size_t n, uint64_t *rng);
void kgr__seq_sampler_free(kgr__seq_sampler *s);

/* Uniform float in [0, 1) and a standard normal from a xorshift state. */
float kgr__seq_uniform(uint64_t *rng);
float kgr__seq_normal(uint64_t *rng);

/* ---- training on dense sequences (seq_train.c) ---- */

/* users' sequences: seq[start[u] .. start[u + 1]) dense items in time order. The last item of
 * each validation user (every user's with holdout_all) is held out. Without any training transition (no user with three
 * items) the network keeps its initial weights and report->users is 0. */
int kgr__seq_fit(kgr__seq_net **out, const uint32_t *seq, const size_t *start, size_t n_users,
	size_t n_items, const kgr_seq_options *opts, kgr_seq_report *report);

/* kgr_seq_train() on given interactions (sorted by user, then time) without each user's last
 * drop_last of them. */
int kgr__seq_train_events(kgr_seq_model **out, const kgr_store *store, const kgr_interaction *ev,
	size_t n_ev, size_t drop_last, const kgr_seq_options *opts, kgr_seq_report *report);

/* The gradient of a batch's mean loss (no dropout) into grad (n_params floats, overwritten)
 * and the loss into *loss, computed in threads shares as training computes it. */
int kgr__seq_batch_gradient(float *grad, double *loss, const kgr__seq_net *net,
	const kgr__seq_batch *b, int threads);

/* steps AdamW steps of training on the one batch b (no dropout) in threads shares, on net's
 * weights in place, as training takes them; *loss: the last step's loss. */
int kgr__seq_batch_steps(kgr__seq_net *net, const kgr__seq_batch *b, int threads, int steps,
	double lr, double weight_decay, double *loss);

/* Sets the OpenBLAS thread count (process-wide). */
void kgr__seq_threads(int threads);

/* ---- the public model (seq_store.c, seq_checkpoint.c) ---- */

struct kgr_seq_model {
	kgr__seq_net *net;
	size_t n_items;
	kgr_id *items;          /* dense index -> the store's item id */
	uint32_t *by_id_dense;  /* dense index of items sorted by id (for kgr_id -> dense) */
	kgr_id *sorted_ids;     /* the item ids sorted */
	char checksum[17];      /* snapshot checksum of the store it was trained on */
	char file_sum[17];      /* checksum line of the file it was read from, or "" */
	char **iris;            /* item IRIs (checkpoint) */
};

/* Dense index of an item id, or KGR__SEQ_NONE. */
uint32_t kgr__seq_model_item(const kgr_seq_model *m, kgr_id id);
/* The model of a network over the store's items (dense index = position in kgr_store_items);
 * it takes net. */
int kgr__seq_model_wrap(kgr_seq_model **out, kgr__seq_net *net, const kgr_store *store);
/* Fills sorted_ids and by_id_dense from items. */
int kgr__seq_model_index(kgr_seq_model *m);

/* The score of every item of the model (by dense index: m->items[i]) after a history of
 * store ids into out [m->n_items]. */
int kgr__seq_model_score_all(float *out, const kgr_seq_model *m, const kgr_id *history,
	size_t n_history);

/* The k best of scores[0 .. n) (skip[i] set, -inf and NaN left out) into out, best first;
 * ties go to the lower index. Returns how many. Complexity: O(n log k) (a heap of k). */
size_t kgr__seq_top_k(uint32_t *out, const float *scores, const unsigned char *skip, size_t n,
	size_t k);

#endif
