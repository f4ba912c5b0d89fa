/* AdamW for the sequence model: Adam's moments with the weight decay applied to the weights
 * directly rather than through the gradient (I. Loshchilov and F. Hutter, "Decoupled Weight
 * Decay Regularization", ICLR 2019). Layer norm gains and biases are not decayed. */
#include "ranker/seq_internal.h"

#include <math.h>
#include <stdlib.h>

int kgr__seq_adamw_init(kgr__seq_adamw *opt, size_t n, double lr, double weight_decay)
{
	opt->m = calloc(n ? n : 1, sizeof(float));
	opt->v = calloc(n ? n : 1, sizeof(float));
	if (!opt->m || !opt->v) {
		kgr__seq_adamw_free(opt);
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory (optimiser)");
	}
	opt->n = n;
	opt->t = 0;
	opt->lr = lr;
	opt->beta1 = 0.9;
	opt->beta2 = 0.98;
	opt->eps = 1e-8;
	opt->weight_decay = weight_decay;
	return 0;
}

void kgr__seq_adamw_begin(kgr__seq_adamw *opt)
{
	opt->t++;
	opt->c1 = (float)(1.0 - pow(opt->beta1, (double)opt->t));
	opt->c2 = (float)(1.0 - pow(opt->beta2, (double)opt->t));
}

/* Each element is updated on its own, so a step cut into ranges (one a thread) is the same
 * step. */
void kgr__seq_adamw_range(const kgr__seq_adamw *opt, float *w, const float *grad,
	const kgr__seq_tensor *tensors, size_t n_tensors, size_t lo, size_t hi)
{
	float b1 = (float)opt->beta1, b2 = (float)opt->beta2, eps = (float)opt->eps;
	float lr = (float)opt->lr, c1 = opt->c1, c2 = opt->c2;
	size_t k, i;

	for (k = 0; k < n_tensors; k++) {
		float wd = tensors[k].decay ? (float)opt->weight_decay : 0.0f;
		size_t from = tensors[k].offset, to = from + tensors[k].count, n;
		float *restrict pw, *restrict pm, *restrict pv;
		const float *restrict pg;
		if (from < lo)
			from = lo;
		if (to > hi)
			to = hi;
		if (from >= to)
			continue;
		n = to - from;
		/* distinct arrays: restrict lets the compiler vectorise the loop */
		pw = w + from;
		pm = opt->m + from;
		pv = opt->v + from;
		pg = grad + from;
		for (i = 0; i < n; i++) {
			float g = pg[i];
			float m = pm[i] = b1 * pm[i] + (1 - b1) * g;
			float v = pv[i] = b2 * pv[i] + (1 - b2) * g * g;
			pw[i] -= lr * ((m / c1) / (sqrtf(v / c2) + eps) + wd * pw[i]);
		}
	}
}

void kgr__seq_adamw_step(kgr__seq_adamw *opt, float *w, const float *grad,
	const kgr__seq_tensor *tensors, size_t n_tensors)
{
	kgr__seq_adamw_begin(opt);
	kgr__seq_adamw_range(opt, w, grad, tensors, n_tensors, 0, opt->n);
}

void kgr__seq_adamw_free(kgr__seq_adamw *opt)
{
	free(opt->m);
	free(opt->v);
	opt->m = opt->v = NULL;
}
