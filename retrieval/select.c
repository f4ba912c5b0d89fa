/* The best entries of a stream (kgr__top, retrieval/internal.h): a buffer cut to its best by
 * quickselect whenever it fills. */
#include "retrieval/internal.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

int kgr__scored_best_first(const void *a, const void *b)
{
	const kgr__scored *x = a, *y = b;
	if (x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return x->node < y->node ? -1 : (x->node > y->node);
}

int kgr__top_init(kgr__top *t, size_t limit)
{
	memset(t, 0, sizeof(*t));
	t->limit = limit;
	if (!(t->a = malloc(2 * limit * sizeof(*t->a))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* 1 when a ranks above b (kgr__scored_worse(b, a)), as an integer for the partition's
 * arithmetic. */
static inline size_t better(const kgr__scored *a, const kgr__scored *b)
{
	return (size_t)(a->v > b->v) | ((size_t)(a->v == b->v) & (size_t)(a->node < b->node));
}

/* Puts the k best of a[0 .. n) first and the k-th best at a[k - 1] (1 <= k < n): quickselect
 * with a median of three as the pivot and a partition without branches (every element
 * swapped into place or back, the boundary advanced by the comparison's 0 or 1), so the
 * many unpredictable comparisons cost no mispredictions. */
static void select_best(kgr__scored *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	kgr__scored t;
#define SWAP(i, j) (t = a[i], a[i] = a[j], a[j] = t)
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2, i, b;
		/* the median of a[lo], a[mid], a[hi] to a[hi] as the pivot */
		if (better(&a[mid], &a[lo]))
			SWAP(lo, mid);
		if (better(&a[hi], &a[mid]))
			SWAP(mid, hi);
		if (better(&a[mid], &a[lo]))
			SWAP(lo, mid);
		SWAP(mid, hi);
		/* a[lo .. b) rank above the pivot, a[b .. i) below it */
		for (b = lo, i = lo; i < hi; i++) {
			kgr__scored x = a[i];
			size_t up = better(&x, &a[hi]);
			a[i] = a[b];
			a[b] = x;
			b += up;
		}
		SWAP(b, hi);
		/* lo <= k - 1 <= hi stays true: the loop ends with a[k - 1] in its place */
		if (k - 1 == b)
			break;
		if (k - 1 < b)
			hi = b - 1;
		else
			lo = b + 1;
	}
#undef SWAP
}

void kgr__top_cut(kgr__top *t)
{
	select_best(t->a, t->n, t->limit);
	t->bar = t->a[t->limit - 1];
	t->n = t->limit;
	t->cut = 1;
}
