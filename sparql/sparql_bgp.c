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
 * found before the loops (kgr__bgp_pattern.set). In a process whose store has its subjects
 * indexed, a pattern whose matches bind the next pattern's subject takes them a few ahead and
 * prefetches the lookups they lead to (step_ahead()).
 *
 * The id sets below (kgr__idset) hold the distinct rows, groups and counted values of the
 * grouped counts kgrec answers over these solutions (sparql/sparql_group.c), so that no
 * term's text is read for a solution; those that can be pairs of ids are sorted instead
 * (kgr__sort_u64()). */
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

/* When the next pattern's subject is bound by a pattern's matches, they are taken BATCH
 * ahead of binding them: as a match is taken its subject's index entry is prefetched, LAG
 * matches later the start of that subject's range, and LAG more later it is bound, so that
 * the lookups' cache misses overlap instead of each stalling the loop in turn (a subject's
 * range lies anywhere in the store's hundreds of megabytes once it is large). */
#define BATCH 16
#define LAG 8

static kgr_id quad_field(const kgr_quad *q, int k)
{
	return k == 0 ? q->s : k == 1 ? q->p : q->o;
}

/* Which field of pattern @p p's matches (fresh[k]: its variable unbound before) is the
 * subject of the pattern after it, looked up through the subject index; -1 when none. */
static int lookahead(const run_ctx *x, size_t depth, const kgr__bgp_pattern *p, const int *fresh)
{
	const kgr__bgp_pattern *next;
	int k;
	if (depth + 1 >= x->b->n_pat || !kgr__store_subjects_indexed(x->b->store))
		return -1;
	next = &x->b->pat[x->order[depth + 1]];
	if (next->set || next->var[0] < 0)
		return -1;
	for (k = 0; k < 3; k++)
		if (fresh[k] && p->var[k] == next->var[0])
			return k;
	return -1;
}

/* Match @p m of pattern @p p bound to its fresh variables, then the patterns after it. */
static inline int bind_step(run_ctx *x, size_t depth, const kgr__bgp_pattern *p, const int *fresh,
	const kgr_quad *m)
{
	int k, ok = 1, stop;
	for (k = 0; k < 3; k++)
		if (fresh[k]) {
			kgr_id v = quad_field(m, k);
			if (x->val[p->var[k]] && x->val[p->var[k]] != v)
				ok = 0; /* a variable twice in the pattern, another value */
			else
				x->val[p->var[k]] = v;
		}
	stop = ok && step(x, depth + 1);
	for (k = 0; k < 3; k++)
		if (fresh[k])
			x->val[p->var[k]] = 0;
	return stop;
}

/* The next match of @p it in the default graph into *quad: 1, or 0 at the end of the range,
 * or -1 when the evaluation is to stop. @p prev: the triple taken last (all 0 before the
 * first), so that a triple stated in several graphs of the default graph is taken once. */
static inline int take(run_ctx *x, kgr_iter *it, kgr_quad *quad, kgr_id *prev)
{
	kgr__bgp *b = x->b;
	while (kgr_iter_next(it, quad)) {
		if ((++x->ticks & 4095u) == 0 && b->stop(b->payload))
			return -1;
		if (!b->graph_ok(b->payload, quad->g))
			continue;
		if (prev[1] && quad->s == prev[0] && quad->p == prev[1] && quad->o == prev[2])
			continue; /* the same triple in another graph of the default graph */
		prev[0] = quad->s, prev[1] = quad->p, prev[2] = quad->o;
		return 1;
	}
	return 0;
}

/* The loop of step() over @p it when field @p ahead of the matches is the next pattern's
 * subject: each match is taken BATCH ahead of binding it and its subject's lookup
 * prefetched in two stages LAG matches apart. */
static int step_ahead(run_ctx *x, size_t depth, const kgr__bgp_pattern *p, const int *fresh,
	kgr_iter *it, int ahead)
{
	kgr__bgp *b = x->b;
	kgr_id prev[3] = { 0, 0, 0 };
	int more = 1;
	size_t in = 0, out = 0, staged = 0; /* matches taken, bound, prefetched at stage 1 */
	kgr_quad quad, ring[BATCH];
	for (;;) {
		while (more && in - out < BATCH) {
			if ((more = take(x, it, &quad, prev)) <= 0) {
				if (more < 0)
					return x->stopped = 1;
				break;
			}
			ring[in++ % BATCH] = quad;
			kgr__store_prefetch_subject(b->store, quad_field(&quad, ahead), 0);
			if (in - staged > LAG) /* its entry asked for LAG matches ago */
				kgr__store_prefetch_subject(b->store, quad_field(&ring[staged++ % BATCH], ahead), 1);
		}
		if (out == in)
			return 0;
		while (!more && staged < in) /* the range's last ones */
			kgr__store_prefetch_subject(b->store, quad_field(&ring[staged++ % BATCH], ahead), 1);
		if (bind_step(x, depth, p, fresh, &ring[out++ % BATCH]))
			return 1;
	}
}

static int step(run_ctx *x, size_t depth)
{
	kgr__bgp *b = x->b;
	const kgr__bgp_pattern *p;
	kgr_id q[3], prev[3] = { 0, 0, 0 };
	int fresh[3], k, ahead;
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
	if ((ahead = lookahead(x, depth, p, fresh)) >= 0)
		return step_ahead(x, depth, p, fresh, &it, ahead);
	while ((k = take(x, &it, &quad, prev)) > 0)
		if (bind_step(x, depth, p, fresh, &quad))
			return 1;
	return k < 0 ? (x->stopped = 1) : 0;
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

size_t kgr__sparql_sort_max = (size_t)1 << 23;

/* Least significant digit first, eleven bits a pass, skipping the digits every word shares:
 * a pair of ids uses the low bits of each half, so two or three passes a half. */
int kgr__sort_u64(uint64_t *v, size_t n)
{
	uint64_t diff = 0, *a = v, *b, *tmp;
	size_t i, count[2048];
	int shift;
	for (i = 1; i < n; i++)
		diff |= v[i] ^ v[0];
	if (!diff)
		return 0;
	if (!(tmp = malloc(n * sizeof(*tmp))))
		return -1;
	b = tmp;
	for (shift = 0; shift < 64; shift += 11) {
		size_t sum = 0;
		uint64_t *swap;
		if (!((diff >> shift) & 2047u))
			continue;
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(a[i] >> shift) & 2047u]++;
		for (i = 0; i < 2048; i++) {
			size_t c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[count[(a[i] >> shift) & 2047u]++] = a[i];
		swap = a, a = b, b = swap;
	}
	if (a != v)
		memcpy(v, a, n * sizeof(*v));
	free(tmp);
	return 0;
}

int kgr__words_push(kgr__words *ws, uint64_t w)
{
	if (ws->n == ws->cap) {
		size_t nc = ws->cap ? 2 * ws->cap : 4096;
		uint64_t *v = realloc(ws->v, nc * sizeof(*v));
		if (!v)
			return -1;
		ws->v = v;
		ws->cap = nc;
	}
	ws->v[ws->n++] = w;
	return 0;
}

void kgr__words_free(kgr__words *ws)
{
	free(ws->v);
	memset(ws, 0, sizeof(*ws));
}

void kgr__idset_free(kgr__idset *s)
{
	free(s->tuple);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
