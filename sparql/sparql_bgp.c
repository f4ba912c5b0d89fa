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
 * another). Each depth keeps where its last range began (kgr__match_hint): the values a
 * POS or OSP range binds come in ascending order, so the next pattern's ranges are searched
 * onwards from the last one, a merge join in effect. A FILTER EXISTS / NOT EXISTS of one
 * triple pattern is a check of each complete solution (kgr__bgp_check), one range lookup.
 * A property path with one end written is a pattern of the values its other end takes,
 * found before the loops (kgr__bgp_pattern.set).
 *
 * The id sets below (kgr__idset) hold the distinct rows, groups and counted values of the
 * grouped counts kgrec answers over these solutions (sparql/sparql_group.c), so that no
 * term's text is read for a solution. */
#include "sparql/sparql_bgp.h"

#include "kg/internal.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/* Matches of p in the store with only its constants bound: the estimate used for order. */
static size_t constant_count(const kgr_store *store, const kgr__bgp_pattern *p)
{
	if (p->set)
		return p->n_set;
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
	/* each depth's last range: the values bound before a pattern often come in ascending
	 * order (a POS or OSP range yields its subjects sorted), and each next range is then
	 * searched onwards from the last one */
	kgr__match_hint hint[KGR__BGP_MAX], check_hint[KGR__BGP_MAX];
	unsigned long ticks;
	int stopped;
} run_ctx;

/* Whether check c's pattern matches in the default graph with the solution's values. */
static int holds(run_ctx *x, size_t c)
{
	const kgr__bgp_check *ck = &x->b->check[c];
	kgr_id q[3];
	kgr_iter it;
	kgr_quad quad;
	int k;
	for (k = 0; k < 3; k++) {
		q[k] = ck->var[k] >= 0 ? x->val[ck->var[k]] : ck->var[k] == -1 ? ck->id[k] : 0;
		if (ck->var[k] == -1 && !q[k])
			return 0;
	}
	kgr__store_match_hinted(x->b->store, &it, q[0], q[1], q[2], KGR_ANY_GRAPH, &x->check_hint[c]);
	while (kgr_iter_next(&it, &quad))
		if (x->b->graph_ok(x->b->payload, quad.g))
			return 1;
	return 0;
}

static int step(run_ctx *x, size_t depth);

/* A pattern of values found before: each value in turn, or, when the variable has one, that
 * value as often as the set holds it. */
static int set_step(run_ctx *x, size_t depth, const kgr__bgp_pattern *p)
{
	kgr_id *v = &x->val[p->var[0]];
	size_t lo = 0, hi = p->n_set, i;
	if (*v) {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (p->set[mid] < *v)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (i = lo; i < p->n_set && p->set[i] == *v; i++)
			if (step(x, depth + 1))
				return 1;
		return 0;
	}
	for (i = 0; i < p->n_set; i++) {
		if ((++x->ticks & 4095u) == 0 && x->b->stop(x->b->payload))
			return x->stopped = 1;
		*v = p->set[i];
		if (step(x, depth + 1))
			return 1;
	}
	*v = 0;
	return 0;
}

static int step(run_ctx *x, size_t depth)
{
	kgr__bgp *b = x->b;
	const kgr__bgp_pattern *p;
	kgr_id q[3], prev[3] = { 0, 0, 0 };
	int fresh[3], k, have_prev = 0;
	kgr_iter it;
	kgr_quad quad;
	if (depth == b->n_pat) {
		size_t c;
		for (c = 0; c < b->n_check; c++)
			if (holds(x, c) != b->check[c].exists)
				return 0;
		if (b->keep) {
			int keep = b->keep(b->payload, x->val);
			if (keep <= 0)
				return keep < 0 ? (x->stopped = 1) : 0;
		}
		return b->solution(b->payload, x->val) ? (x->stopped = 1) : 0;
	}
	p = &b->pat[x->order[depth]];
	if (p->set)
		return set_step(x, depth, p);
	for (k = 0; k < 3; k++) {
		fresh[k] = p->var[k] >= 0 && !x->val[p->var[k]];
		q[k] = p->var[k] < 0 ? p->id[k] : x->val[p->var[k]]; /* 0: any */
	}
	kgr__store_match_hinted(b->store, &it, q[0], q[1], q[2], KGR_ANY_GRAPH, &x->hint[depth]);
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
		for (k = 0; k < 3 && !b->pat[i].set; k++)
			if (b->pat[i].var[k] < 0 && !b->pat[i].id[k])
				return 0; /* a constant the store does not hold: no solution */
	choose_order(b, x.order);
	step(&x, 0);
	return x.stopped;
}

/* ---- sets of id tuples ---- */

static uint64_t tuple_hash(const kgr_id *t, size_t width)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ width;
	size_t i;
	for (i = 0; i < width; i++) {
		h = (h ^ t[i]) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	h *= 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 29);
}

static int idset_grow(kgr__idset *s)
{
	size_t cap = s->cap ? 2 * s->cap : 256, i;
	uint64_t *slot = kgr__huge_calloc(cap * sizeof(*slot));
	if (!slot)
		return -1;
	for (i = 0; i < s->n; i++) {
		uint64_t h = tuple_hash(kgr__idset_at(s, i), s->width);
		size_t k = (size_t)h & (cap - 1);
		while (slot[k])
			k = (k + 1) & (cap - 1);
		slot[k] = (h & 0xffffffff00000000u) | (uint64_t)(i + 1);
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

int kgr__idset_add(kgr__idset *s, const kgr_id *t, size_t *index)
{
	uint64_t h = tuple_hash(t, s->width), tag = h & 0xffffffff00000000u;
	size_t k;
	if ((s->n + 1) * 2 > s->cap && idset_grow(s) < 0)
		return -1;
	for (k = (size_t)h & (s->cap - 1); s->slot[k]; k = (k + 1) & (s->cap - 1)) {
		size_t i = (size_t)(s->slot[k] & 0xffffffffu) - 1;
		if ((s->slot[k] & 0xffffffff00000000u) == tag &&
			!memcmp(kgr__idset_at(s, i), t, s->width * sizeof(*t))) {
			*index = i;
			return 0;
		}
	}
	if (s->n == 0xffffffffu - 1)
		return -1;
	if (s->n == s->tuple_cap) {
		size_t nc = s->tuple_cap ? 2 * s->tuple_cap : 256;
		kgr_id *nt = kgr__huge_calloc((s->width ? nc * s->width : 1) * sizeof(*nt));
		if (!nt)
			return -1;
		if (s->n)
			memcpy(nt, s->tuple, s->n * s->width * sizeof(*nt));
		free(s->tuple);
		s->tuple = nt;
		s->tuple_cap = nc;
	}
	if (s->width)
		memcpy(s->tuple + s->n * s->width, t, s->width * sizeof(*t));
	s->slot[k] = tag | (uint64_t)(s->n + 1);
	*index = s->n++;
	return 1;
}

void kgr__idset_free(kgr__idset *s)
{
	free(s->tuple);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
