/* Negatives of the sequence model's sampled softmax: uniform over the items, or in proportion
 * to their interactions (+1, so every item can be drawn) with the log-probability kept for
 * the logQ correction (Y. Bengio and J.-S. Senecal, 2008; S. Jean et al., 2015). */
#include "ranker/seq_internal.h"

#include <math.h>
#include <stdlib.h>

int kgr__seq_sampler_init(kgr__seq_sampler *s, kgr_seq_sampler kind, const uint32_t *counts,
	size_t n_items)
{
	size_t i;
	double total = 0;

	s->kind = kind;
	s->n_items = n_items;
	s->cum = NULL;
	s->logq = NULL;
	if (kind == KGR_SEQ_SAMPLE_UNIFORM)
		return 0;
	if (kind != KGR_SEQ_SAMPLE_POPULARITY)
		return kgr__error_set(KGR_EINVALID, "sequence model: unknown sampler %d", (int)kind);
	s->cum = malloc((n_items ? n_items : 1) * sizeof(*s->cum));
	s->logq = malloc((n_items ? n_items : 1) * sizeof(*s->logq));
	if (!s->cum || !s->logq) {
		kgr__seq_sampler_free(s);
		return kgr__error_set(KGR_ENOMEM, "sequence model: out of memory (sampler)");
	}
	for (i = 0; i < n_items; i++) {
		total += (double)counts[i] + 1;
		s->cum[i] = total;
	}
	for (i = 0; i < n_items; i++)
		s->logq[i] = (float)log(((double)counts[i] + 1) / total);
	return 0;
}

void kgr__seq_sampler_draw(const kgr__seq_sampler *s, uint32_t *out, size_t n, uint64_t *rng)
{
	size_t k;
	for (k = 0; k < n; k++) {
		if (!s->cum) {
			out[k] = (uint32_t)(kgr__rng_next(rng) % s->n_items);
		} else {
			/* first item whose cumulative weight exceeds a uniform draw over the total */
			double x = (double)(kgr__rng_next(rng) >> 11) * (1.0 / 9007199254740992.0) *
				s->cum[s->n_items - 1];
			size_t lo = 0, hi = s->n_items - 1;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (s->cum[mid] > x)
					hi = mid;
				else
					lo = mid + 1;
			}
			out[k] = (uint32_t)lo;
		}
	}
}

void kgr__seq_sampler_free(kgr__seq_sampler *s)
{
	free(s->cum);
	free(s->logq);
	s->cum = NULL;
	s->logq = NULL;
}
