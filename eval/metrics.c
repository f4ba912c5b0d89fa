/* Ranking metrics: rank with reproducible tie breaking, top-k selection, HR, NDCG, MRR. */
#include "eval/internal.h"

#include <math.h>
#include <stdlib.h>

uint64_t kgr__eval_mix(uint64_t x)
{
	/* splitmix64 finaliser (Steele, Lea, Flood 2014) */
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* 1 when candidate a goes before candidate b. */
static int ahead(const double *s, size_t a, size_t b, uint64_t seed)
{
	uint64_t ha, hb;
	if (s[a] != s[b])
		return s[a] > s[b];
	ha = kgr__eval_mix(a ^ seed);
	hb = kgr__eval_mix(b ^ seed);
	if (ha != hb)
		return ha < hb;
	return a < b;
}

size_t kgr_eval_rank(const double *scores, size_t n, size_t target, const unsigned char *skip,
	uint64_t tie_seed)
{
	size_t j, rank = 1;
	double st;
	uint64_t ht;
	if (target >= n || (skip && skip[target]))
		return 0;
	st = scores[target];
	ht = kgr__eval_mix(target ^ tie_seed);
	for (j = 0; j < n; j++) {
		if (j == target || (skip && skip[j]))
			continue;
		if (scores[j] > st)
			rank++;
		else if (scores[j] == st) {
			uint64_t hj = kgr__eval_mix(j ^ tie_seed);
			if (hj < ht || (hj == ht && j < target))
				rank++;
		}
	}
	return rank;
}

/* Min-heap on "ahead": the root is the worst of the kept candidates. */
static void sift_down(size_t *h, size_t n, size_t i, const double *s, uint64_t seed)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i, t;
		if (l < n && ahead(s, h[w], h[l], seed))
			w = l;
		if (r < n && ahead(s, h[w], h[r], seed))
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void sift_up(size_t *h, size_t i, const double *s, uint64_t seed)
{
	while (i > 0) {
		size_t p = (i - 1) / 2, t;
		if (!ahead(s, h[p], h[i], seed))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

size_t kgr_eval_top(size_t *out, size_t k, const double *scores, size_t n,
	const unsigned char *skip, uint64_t tie_seed)
{
	size_t j, m = 0, i;
	if (k == 0)
		return 0;
	for (j = 0; j < n; j++) {
		if (skip && skip[j])
			continue;
		if (m < k) {
			out[m] = j;
			sift_up(out, m, scores, tie_seed);
			m++;
		} else if (ahead(scores, j, out[0], tie_seed)) {
			out[0] = j;
			sift_down(out, m, 0, scores, tie_seed);
		}
	}
	/* heap sort: repeatedly move the worst to the end */
	for (i = m; i > 1; i--) {
		size_t t = out[0];
		out[0] = out[i - 1];
		out[i - 1] = t;
		sift_down(out, i - 1, 0, scores, tie_seed);
	}
	return m;
}

static int is_relevant(kgr_id x, const kgr_id *rel, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (rel[i] == x)
			return 1;
	return 0;
}

double kgr_eval_ndcg(const kgr_id *ranked, size_t n_ranked, const kgr_id *relevant,
	size_t n_relevant, size_t k)
{
	double dcg = 0, idcg = 0;
	size_t i, m;
	if (n_relevant == 0 || k == 0)
		return 0;
	m = n_ranked < k ? n_ranked : k;
	for (i = 0; i < m; i++)
		if (is_relevant(ranked[i], relevant, n_relevant))
			dcg += 1.0 / log2((double)i + 2.0);
	m = n_relevant < k ? n_relevant : k;
	for (i = 0; i < m; i++)
		idcg += 1.0 / log2((double)i + 2.0);
	return dcg / idcg;
}

double kgr_eval_hit(const kgr_id *ranked, size_t n_ranked, const kgr_id *relevant,
	size_t n_relevant, size_t k)
{
	size_t i, m = n_ranked < k ? n_ranked : k;
	for (i = 0; i < m; i++)
		if (is_relevant(ranked[i], relevant, n_relevant))
			return 1;
	return 0;
}

double kgr_eval_rr(const kgr_id *ranked, size_t n_ranked, const kgr_id *relevant,
	size_t n_relevant)
{
	size_t i;
	for (i = 0; i < n_ranked; i++)
		if (is_relevant(ranked[i], relevant, n_relevant))
			return 1.0 / (double)(i + 1);
	return 0;
}

double kgr_eval_ndcg_at_rank(size_t rank, size_t k)
{
	if (rank == 0 || rank > k)
		return 0;
	return 1.0 / log2((double)rank + 1.0);
}
