/* A basic graph pattern evaluated by kgrec over the store's indexes.
 *
 * rasqal evaluates a group of triple patterns as nested loops through its triples source,
 * building a literal, a row and a binding per match: about 5 µs a solution, so a pattern of
 * 100,000 solutions (the products of every brand) costs half a second before any grouping.
 * The same nested loops over term ids, with the variables' values in an array and nothing
 * allocated per match, cost a small fraction of that. kgr__bgp_run() is that loop: the
 * patterns in an order chosen from the store's counts (the most selective first, each next
 * one sharing a variable with those before it when one does), each pattern a
 * kgr_store_match() with its constants and the values bound so far. As in kgrec's triples
 * source for rasqal, the default graph is the merge of the graphs the caller admits: a
 * triple stated in several of them is matched once (the store yields its copies one after
 * another). */
#include "sparql/sparql_bgp.h"

#include <string.h>

/* Matches of p in the store with only its constants bound: the estimate used for order. */
static size_t constant_count(const kgr_store *store, const kgr__bgp_pattern *p)
{
	return kgr_store_count(store, p->var[0] < 0 ? p->id[0] : 0, p->var[1] < 0 ? p->id[1] : 0,
		p->var[2] < 0 ? p->id[2] : 0);
}

static int shares_bound(const kgr__bgp_pattern *p, const unsigned char *bound)
{
	int k;
	for (k = 0; k < 3; k++)
		if (p->var[k] >= 0 && bound[p->var[k]])
			return 1;
	return 0;
}

/* The order: at each step, among the patterns left, those sharing a variable with the ones
 * chosen (any pattern at the first step, or when none shares one), the one with the fewest
 * matches for its constants; ties keep the written order. */
static void choose_order(kgr__bgp *b, size_t *order)
{
	unsigned char used[KGR__BGP_MAX] = { 0 }, bound[KGR__BGP_VARS] = { 0 };
	size_t count[KGR__BGP_MAX], i, step;
	for (i = 0; i < b->n_pat; i++)
		count[i] = constant_count(b->store, &b->pat[i]);
	for (step = 0; step < b->n_pat; step++) {
		size_t best = SIZE_MAX;
		int best_shares = 0, k;
		for (i = 0; i < b->n_pat; i++) {
			int sh;
			if (used[i])
				continue;
			sh = step > 0 && shares_bound(&b->pat[i], bound);
			if (best == SIZE_MAX || (sh && !best_shares) ||
				(sh == best_shares && count[i] < count[best])) {
				best = i;
				best_shares = sh;
			}
		}
		used[best] = 1;
		order[step] = best;
		for (k = 0; k < 3; k++)
			if (b->pat[best].var[k] >= 0)
				bound[b->pat[best].var[k]] = 1;
	}
}

typedef struct {
	kgr__bgp *b;
	size_t order[KGR__BGP_MAX];
	kgr_id val[KGR__BGP_VARS];
	unsigned long ticks;
	int stopped;
} run_ctx;

static int step(run_ctx *x, size_t depth)
{
	kgr__bgp *b = x->b;
	const kgr__bgp_pattern *p;
	kgr_id q[3], prev[3] = { 0, 0, 0 };
	int fresh[3], k, have_prev = 0;
	kgr_iter it;
	kgr_quad quad;
	if (depth == b->n_pat)
		return b->solution(b->payload, x->val) ? (x->stopped = 1) : 0;
	p = &b->pat[x->order[depth]];
	for (k = 0; k < 3; k++) {
		fresh[k] = p->var[k] >= 0 && !x->val[p->var[k]];
		q[k] = p->var[k] < 0 ? p->id[k] : x->val[p->var[k]]; /* 0: any */
	}
	kgr_store_match(b->store, &it, q[0], q[1], q[2], KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &quad)) {
		const kgr_id t[3] = { quad.s, quad.p, quad.o };
		int ok = 1;
		if ((++x->ticks & 4095u) == 0 && b->stop(b->payload))
			return x->stopped = 1;
		if (!b->graph_ok(b->payload, quad.g))
			continue;
		if (have_prev && t[0] == prev[0] && t[1] == prev[1] && t[2] == prev[2])
			continue; /* the same triple in another graph of the default graph */
		memcpy(prev, t, sizeof(prev));
		have_prev = 1;
		for (k = 0; k < 3; k++)
			if (fresh[k]) {
				if (x->val[p->var[k]] && x->val[p->var[k]] != t[k])
					ok = 0; /* a variable twice in the pattern, another value */
				else
					x->val[p->var[k]] = t[k];
			}
		if (ok && step(x, depth + 1))
			return 1;
		for (k = 0; k < 3; k++)
			if (fresh[k])
				x->val[p->var[k]] = 0;
	}
	return 0;
}

int kgr__bgp_run(kgr__bgp *b)
{
	run_ctx x;
	size_t i;
	int k;
	memset(&x, 0, sizeof(x));
	x.b = b;
	for (i = 0; i < b->n_pat; i++)
		for (k = 0; k < 3; k++)
			if (b->pat[i].var[k] < 0 && !b->pat[i].id[k])
				return 0; /* a constant the store does not hold: no solution */
	choose_order(b, x.order);
	step(&x, 0);
	return x.stopped;
}
