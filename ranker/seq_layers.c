/* The sequence model's layers, forward and backward: linear maps (cblas_sgemm), layer norm,
 * ReLU, dropout, item and position embeddings, causal multi-head self-attention and the
 * sampled softmax. Backward functions accumulate into the gradients they are given.
 * The layer norm's backward follows llm.c (A. Karpathy). */
#include "ranker/seq_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void kgr__seq_matmul_fwd(float *out, const float *in, const float *w, const float *b, size_t T,
	size_t i, size_t o)
{
	size_t t;
	if (!T)
		return;
	if (b) {
		for (t = 0; t < T; t++)
			memcpy(out + t * o, b, o * sizeof(float));
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)o, (int)i, 1.0f, in,
		(int)i, w, (int)o, b ? 1.0f : 0.0f, out, (int)o);
}

void kgr__seq_matmul_bwd(float *din, float *dw, float *db, const float *dout, const float *in,
	const float *w, size_t T, size_t i, size_t o)
{
	size_t t, j;
	if (!T)
		return;
	if (din)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)i, (int)o, 1.0f,
			dout, (int)o, w, (int)o, 1.0f, din, (int)i);
	if (dw)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)i, (int)o, (int)T, 1.0f,
			in, (int)i, dout, (int)o, 1.0f, dw, (int)o);
	if (db)
		for (t = 0; t < T; t++)
			for (j = 0; j < o; j++)
				db[j] += dout[t * o + j];
}

void kgr__seq_layernorm_fwd(float *out, float *mean, float *rstd, const float *in,
	const float *g, const float *b, size_t T, size_t d)
{
	size_t t, i;
	for (t = 0; t < T; t++) {
		const float *x = in + t * d;
		float *y = out + t * d;
		double m = 0, v = 0;
		float s;
		for (i = 0; i < d; i++)
			m += x[i];
		m /= (double)d;
		for (i = 0; i < d; i++)
			v += (x[i] - m) * (x[i] - m);
		v /= (double)d;
		s = (float)(1.0 / sqrt(v + KGR__SEQ_LN_EPS));
		for (i = 0; i < d; i++)
			y[i] = ((x[i] - (float)m) * s) * g[i] + b[i];
		mean[t] = (float)m;
		rstd[t] = s;
	}
}

void kgr__seq_layernorm_bwd(float *din, float *dg, float *db, const float *dout, const float *in,
	const float *mean, const float *rstd, const float *g, size_t T, size_t d)
{
	size_t t, i;
	for (t = 0; t < T; t++) {
		const float *x = in + t * d, *dy = dout + t * d;
		float *dx = din + t * d;
		float m = mean[t], s = rstd[t];
		double dnorm_mean = 0, dnorm_norm_mean = 0;
		for (i = 0; i < d; i++) {
			float norm = (x[i] - m) * s;
			float dnorm = g[i] * dy[i];
			dnorm_mean += dnorm;
			dnorm_norm_mean += dnorm * norm;
		}
		dnorm_mean /= (double)d;
		dnorm_norm_mean /= (double)d;
		for (i = 0; i < d; i++) {
			float norm = (x[i] - m) * s;
			float dnorm = g[i] * dy[i];
			db[i] += dy[i];
			dg[i] += norm * dy[i];
			dx[i] += (dnorm - (float)dnorm_mean - norm * (float)dnorm_norm_mean) * s;
		}
	}
}

void kgr__seq_relu_fwd(float *out, const float *in, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		out[i] = in[i] > 0 ? in[i] : 0;
}

void kgr__seq_relu_bwd(float *din, const float *dout, const float *in, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (in[i] > 0)
			din[i] += dout[i];
}

void kgr__seq_dropout_fwd(float *out, float *mask, const float *in, size_t n, float p,
	uint64_t *rng)
{
	size_t i;
	float keep = 1.0f / (1.0f - p);
	if (p <= 0 || !mask) {
		if (out != in)
			memcpy(out, in, n * sizeof(float));
		return;
	}
	for (i = 0; i < n; i++) {
		mask[i] = kgr__seq_uniform(rng) < p ? 0.0f : keep;
		out[i] = in[i] * mask[i];
	}
}

void kgr__seq_dropout_bwd(float *din, const float *dout, const float *mask, size_t n)
{
	size_t i;
	if (!mask) {
		for (i = 0; i < n; i++)
			din[i] += dout[i];
		return;
	}
	for (i = 0; i < n; i++)
		din[i] += dout[i] * mask[i];
}

void kgr__seq_embed_fwd(float *out, const float *E, const float *P, const uint32_t *items,
	const int *pos, size_t T, size_t d)
{
	size_t t, i;
	for (t = 0; t < T; t++) {
		const float *e = E + (size_t)items[t] * d, *p = P + (size_t)pos[t] * d;
		for (i = 0; i < d; i++)
			out[t * d + i] = e[i] + p[i];
	}
}

void kgr__seq_embed_bwd(float *dE, float *dP, const float *dout, const uint32_t *items,
	const int *pos, size_t T, size_t d)
{
	size_t t, i;
	for (t = 0; t < T; t++) {
		float *de = dE + (size_t)items[t] * d, *dp = dP + (size_t)pos[t] * d;
		for (i = 0; i < d; i++) {
			de[i] += dout[t * d + i];
			dp[i] += dout[t * d + i];
		}
	}
}

size_t kgr__seq_attention_size(const kgr__seq_segs *sg, int heads)
{
	size_t s, n = 0;
	for (s = 0; s < sg->n_seg; s++)
		n += sg->len[s] * sg->len[s];
	return n * (size_t)heads;
}

/* Scaled dot-product attention (A. Vaswani et al., NeurIPS 2017), causal: position i sees
 * positions 0 .. i of its own segment. Segments are short (at most max_len), so plain loops. */
void kgr__seq_attention_fwd(float *out, float *probs, const float *qkv, const kgr__seq_segs *sg,
	size_t d, int heads)
{
	size_t hd = d / (size_t)heads, C3 = 3 * d, s, off = 0;
	float scale = 1.0f / sqrtf((float)hd);
	for (s = 0; s < sg->n_seg; s++) {
		size_t L = sg->len[s], r0 = sg->start[s], i, j, k;
		int h;
		for (h = 0; h < heads; h++) {
			float *P = probs + off + (size_t)h * L * L;
			for (i = 0; i < L; i++) {
				const float *q = qkv + (r0 + i) * C3 + (size_t)h * hd;
				float *pi = P + i * L, mx = -INFINITY, sum = 0;
				float *o = out + (r0 + i) * d + (size_t)h * hd;
				for (j = 0; j <= i; j++) {
					const float *kk = qkv + (r0 + j) * C3 + d + (size_t)h * hd;
					float a = 0;
					for (k = 0; k < hd; k++)
						a += q[k] * kk[k];
					a *= scale;
					pi[j] = a;
					if (a > mx)
						mx = a;
				}
				for (j = 0; j <= i; j++) {
					pi[j] = expf(pi[j] - mx);
					sum += pi[j];
				}
				for (j = 0; j <= i; j++)
					pi[j] /= sum;
				for (j = i + 1; j < L; j++)
					pi[j] = 0;
				memset(o, 0, hd * sizeof(float));
				for (j = 0; j <= i; j++) {
					const float *v = qkv + (r0 + j) * C3 + 2 * d + (size_t)h * hd;
					for (k = 0; k < hd; k++)
						o[k] += pi[j] * v[k];
				}
			}
		}
		off += (size_t)heads * L * L;
	}
}

void kgr__seq_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
	const kgr__seq_segs *sg, size_t d, int heads)
{
	size_t hd = d / (size_t)heads, C3 = 3 * d, s, off = 0;
	float scale = 1.0f / sqrtf((float)hd);
	float dp[512];
	for (s = 0; s < sg->n_seg; s++) {
		size_t L = sg->len[s], r0 = sg->start[s], i, j, k;
		int h;
		for (h = 0; h < heads; h++) {
			const float *P = probs + off + (size_t)h * L * L;
			for (i = 0; i < L; i++) {
				const float *pi = P + i * L, *q = qkv + (r0 + i) * C3 + (size_t)h * hd;
				const float *dy = dout + (r0 + i) * d + (size_t)h * hd;
				float *dq = dqkv + (r0 + i) * C3 + (size_t)h * hd, dot = 0;
				for (j = 0; j <= i; j++) {
					const float *v = qkv + (r0 + j) * C3 + 2 * d + (size_t)h * hd;
					float *dv = dqkv + (r0 + j) * C3 + 2 * d + (size_t)h * hd;
					float a = 0;
					for (k = 0; k < hd; k++) {
						a += dy[k] * v[k];
						dv[k] += pi[j] * dy[k];
					}
					dp[j] = a;
					dot += pi[j] * a;
				}
				for (j = 0; j <= i; j++) {
					const float *kk = qkv + (r0 + j) * C3 + d + (size_t)h * hd;
					float *dk = dqkv + (r0 + j) * C3 + d + (size_t)h * hd;
					float ds = pi[j] * (dp[j] - dot) * scale;
					for (k = 0; k < hd; k++) {
						dq[k] += ds * kk[k];
						dk[k] += ds * q[k];
					}
				}
			}
		}
		off += (size_t)heads * L * L;
	}
}

/* Sampled softmax (S. Jean et al., ACL 2015; with many negatives it is what makes SASRec
 * strong: A. Klenitskiy and A. Vasilev, RecSys 2023). A segment shares its negatives, so its
 * logits are one product [L x d] [d x n_neg]. */
double kgr__seq_loss(float *dh, float *dE, const float *h, const float *E, const uint32_t *target,
	const uint32_t *neg, size_t n_neg, const float *logq, const kgr__seq_segs *sg, size_t d,
	float *work)
{
	float *eneg = work, *deneg = work + n_neg * d, *lg = work + 2 * n_neg * d;
	size_t s, n_rows = 0, t, j, k;
	double total = 0, inv;

	for (t = 0; t < sg->rows; t++)
		n_rows += target[t] != KGR__SEQ_NONE;
	if (!n_rows)
		return 0;
	inv = 1.0 / (double)n_rows;
	for (s = 0; s < sg->n_seg; s++) {
		const uint32_t *ng = neg + s * n_neg;
		size_t r0 = sg->start[s], L = sg->len[s];
		if (!L)
			continue;
		for (j = 0; j < n_neg; j++)
			memcpy(eneg + j * d, E + (size_t)ng[j] * d, d * sizeof(float));
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)L, (int)n_neg, (int)d, 1.0f,
			h + r0 * d, (int)d, eneg, (int)d, 0.0f, lg, (int)n_neg);
		for (t = 0; t < L; t++) {
			const float *ht = h + (r0 + t) * d, *ep;
			float *lt = lg + t * n_neg;
			uint32_t y = target[r0 + t];
			float pos = 0, mx;
			double sum, ppos;
			if (y == KGR__SEQ_NONE) {
				memset(lt, 0, n_neg * sizeof(float));
				continue;
			}
			ep = E + (size_t)y * d;
			for (k = 0; k < d; k++)
				pos += ht[k] * ep[k];
			if (logq)
				pos -= logq[y];
			mx = pos;
			for (j = 0; j < n_neg; j++) {
				if (ng[j] == y) {
					lt[j] = -INFINITY; /* an accidental hit is not a negative */
					continue;
				}
				if (logq)
					lt[j] -= logq[ng[j]];
				if (lt[j] > mx)
					mx = lt[j];
			}
			ppos = exp((double)(pos - mx));
			sum = ppos;
			for (j = 0; j < n_neg; j++) {
				lt[j] = lt[j] == -INFINITY ? 0.0f : expf(lt[j] - mx);
				sum += lt[j];
			}
			total += (double)mx + log(sum) - (double)pos;
			if (dh) {
				/* d loss / d logit = softmax - one-hot, scaled for the mean over rows */
				float gpos = (float)((ppos / sum - 1.0) * inv);
				float *dht = dh + (r0 + t) * d, *dep = dE + (size_t)y * d;
				for (j = 0; j < n_neg; j++)
					lt[j] = (float)((double)lt[j] / sum * inv);
				for (k = 0; k < d; k++) {
					dht[k] += gpos * ep[k];
					dep[k] += gpos * ht[k];
				}
			}
		}
		if (!dh)
			continue;
		/* dh += G eneg; deneg = G^T h, scattered to the negatives' rows of dE */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)L, (int)d, (int)n_neg, 1.0f,
			lg, (int)n_neg, eneg, (int)d, 1.0f, dh + r0 * d, (int)d);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_neg, (int)d, (int)L, 1.0f,
			lg, (int)n_neg, h + r0 * d, (int)d, 0.0f, deneg, (int)d);
		for (j = 0; j < n_neg; j++) {
			float *de = dE + (size_t)ng[j] * d;
			for (k = 0; k < d; k++)
				de[k] += deneg[j * d + k];
		}
	}
	return total * inv;
}
