/* Property paths evaluated over the store (SPARQL 1.1, section 18.4).
 *
 * A path is evaluated from one node at a time: step() lists the nodes that one traversal of
 * a path reaches from a node, forward (subject to object) or backward, with the multiplicity
 * of the algebra: an IRI gives each triple of the active graph once, a sequence is a join
 * over the middle node (the counts multiply), an alternative a union (they add), a negated
 * property set one answer per triple whose predicate is not in the set. The arbitrary-length
 * paths '*' and '+' are a breadth-first search with a visited set, '?' the node and one
 * step: each reached node once (the spec's ALP sets), and cycles end because a node is
 * expanded once. With both ends free, every node of the active graph (its subjects and
 * objects) is a start, so zero-length paths give each of them to itself.
 *
 * Complexity: a '*' or '+' from one node reads each reachable node's triples once; with
 * both ends free, once per start node (quadratic on a long chain). env->stop() is asked
 * every few hundred triples, so a time limit cuts it. */
#include "sparql/sparql_path.h"

#include <stdlib.h>
#include <string.h>

/* A growable list of node ids with an optional hash set beside it (ids are never 0). */
typedef struct {
	kgr_id *v;
	size_t n, cap;
	kgr_id *set;
	size_t set_cap, set_n;
} idlist;

typedef struct {
	const kgr__path_set *ps;
	const kgr__path_env *env;
	unsigned int ticks;
	int error; /* KGR_ETIMEOUT or KGR_ENOMEM once set */
} evaluator;

static int list_push(evaluator *ev, idlist *l, kgr_id id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		kgr_id *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return ev->error = KGR_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

/* 1 when @p id was added to the set, 0 when it was there, -1 when out of memory. */
static int set_add(evaluator *ev, idlist *l, kgr_id id)
{
	size_t i;
	if ((l->set_n + 1) * 2 > l->set_cap) {
		size_t cap = l->set_cap ? l->set_cap * 2 : 64, j;
		kgr_id *set = calloc(cap, sizeof(*set));
		if (!set) {
			ev->error = KGR_ENOMEM;
			return -1;
		}
		for (j = 0; j < l->set_cap; j++) {
			if (!l->set[j])
				continue;
			for (i = (l->set[j] * 2654435761u) & (cap - 1); set[i]; i = (i + 1) & (cap - 1))
				;
			set[i] = l->set[j];
		}
		free(l->set);
		l->set = set;
		l->set_cap = cap;
	}
	for (i = (id * 2654435761u) & (l->set_cap - 1); l->set[i]; i = (i + 1) & (l->set_cap - 1))
		if (l->set[i] == id)
			return 0;
	l->set[i] = id;
	l->set_n++;
	return 1;
}

/* Adds @p id to the list when it is new to its set. */
static int push_distinct(evaluator *ev, idlist *l, kgr_id id)
{
	int added = set_add(ev, l, id);
	if (added < 0)
		return -1;
	return added ? list_push(ev, l, id) : 0;
}

static void list_free(idlist *l)
{
	free(l->v);
	free(l->set);
}

static int stopped(evaluator *ev)
{
	if (!ev->error && (++ev->ticks & 255u) == 0 && ev->env->stop(ev->env->payload))
		ev->error = KGR_ETIMEOUT;
	return ev->error != 0;
}

/* Iterates the triples of the active graph matching (s, p, o): each triple once. Returns 1
 * with *q, 0 at the end (or when stopped). */
typedef struct {
	kgr_iter it;
	kgr_quad prev;
	int have_prev;
} triples;

static void triples_start(evaluator *ev, triples *tr, kgr_id s, kgr_id p, kgr_id o)
{
	kgr_store_match(ev->env->store, &tr->it, s, p, o, ev->env->graph);
	tr->have_prev = 0;
}

static int triples_next(evaluator *ev, triples *tr, kgr_quad *q)
{
	const kgr__path_env *env = ev->env;
	while (!stopped(ev) && kgr_iter_next(&tr->it, q)) {
		if (env->graph == KGR_ANY_GRAPH) {
			if (!env->in_default(env->payload, q->g))
				continue;
			if (tr->have_prev && q->s == tr->prev.s && q->p == tr->prev.p && q->o == tr->prev.o)
				continue;
		}
		tr->prev = *q;
		tr->have_prev = 1;
		return 1;
	}
	return 0;
}

static kgr_id iri_id(evaluator *ev, const kgr__path_node *nd)
{
	return kgr_store_iri(ev->env->store, nd->iri);
}

static int step(evaluator *ev, int node, kgr_id x, int forward, idlist *out);

/* One link: the objects of (x, p) forward, the subjects of (p, x) backward. */
static int step_link(evaluator *ev, const kgr__path_node *nd, kgr_id x, int forward, idlist *out)
{
	kgr_id p = iri_id(ev, nd);
	triples tr;
	kgr_quad q;
	if (!p)
		return 0;
	triples_start(ev, &tr, forward ? x : 0, p, forward ? 0 : x);
	while (triples_next(ev, &tr, &q))
		if (list_push(ev, out, forward ? q.o : q.s))
			return -1;
	return ev->error ? -1 : 0;
}

/* 1 when predicate @p p is excluded by the members of the given direction. */
static int excluded(evaluator *ev, const kgr__path_node *nps, int inverse, kgr_id p)
{
	int m;
	for (m = nps->a; m >= 0; m = ev->ps->nodes[m].b)
		if (ev->ps->nodes[m].inverse == inverse && iri_id(ev, &ev->ps->nodes[m]) == p)
			return 1;
	return 0;
}

/* A negated property set: its forward members say which triples from x do not count, its
 * inverse members which triples into x do not count (spec 18.2.2.8: with both kinds, the
 * union of the two). */
static int step_nps(evaluator *ev, const kgr__path_node *nd, kgr_id x, int forward, idlist *out)
{
	int m, has_fwd = 0, has_inv = 0, pass;
	for (m = nd->a; m >= 0; m = ev->ps->nodes[m].b) {
		if (ev->ps->nodes[m].inverse)
			has_inv = 1;
		else
			has_fwd = 1;
	}
	if (!has_inv)
		has_fwd = 1; /* !() excludes nothing */
	for (pass = 0; pass < 2; pass++) {
		int inverse = pass == 1, out_of_x;
		triples tr;
		kgr_quad q;
		if (inverse ? !has_inv : !has_fwd)
			continue;
		/* a forward member read forward, or an inverse one read backward, leaves x */
		out_of_x = inverse != forward;
		triples_start(ev, &tr, out_of_x ? x : 0, 0, out_of_x ? 0 : x);
		while (triples_next(ev, &tr, &q))
			if (!excluded(ev, nd, inverse, q.p) && list_push(ev, out, out_of_x ? q.o : q.s))
				return -1;
		if (ev->error)
			return -1;
	}
	return 0;
}

/* '*' (zero = 1), '+' (zero = 0): every node reached from x, once; a breadth-first search. */
static int step_closure(evaluator *ev, int inner, kgr_id x, int forward, int zero, idlist *out)
{
	idlist next = { 0 };
	size_t head = 0, i;
	int error = 0;
	if (zero && push_distinct(ev, out, x))
		return -1;
	if ((error = step(ev, inner, x, forward, &next)))
		goto done;
	for (i = 0; i < next.n; i++)
		if ((error = push_distinct(ev, out, next.v[i])))
			goto done;
	head = zero ? 1 : 0;
	while (head < out->n) {
		kgr_id y = out->v[head++];
		next.n = 0;
		if ((error = step(ev, inner, y, forward, &next)))
			goto done;
		for (i = 0; i < next.n; i++)
			if ((error = push_distinct(ev, out, next.v[i])))
				goto done;
	}
done:
	list_free(&next);
	return error ? -1 : 0;
}

/* The nodes one traversal of path @p node reaches from @p x, appended to @p out with their
 * multiplicity ('*', '+' and '?' give each node once). */
static int step(evaluator *ev, int node, kgr_id x, int forward, idlist *out)
{
	const kgr__path_node *nd = &ev->ps->nodes[node];
	idlist mid = { 0 };
	size_t i;
	int error = 0;
	switch (nd->op) {
	case KGR__P_LINK:
		return nd->inverse ? step_link(ev, nd, x, !forward, out) : step_link(ev, nd, x, forward, out);
	case KGR__P_NPS:
		return step_nps(ev, nd, x, forward, out);
	case KGR__P_INV:
		return step(ev, nd->a, x, !forward, out);
	case KGR__P_ALT:
		return step(ev, nd->a, x, forward, out) || step(ev, nd->b, x, forward, out) ? -1 : 0;
	case KGR__P_SEQ:
		if ((error = step(ev, forward ? nd->a : nd->b, x, forward, &mid)))
			goto done;
		for (i = 0; i < mid.n; i++)
			if ((error = step(ev, forward ? nd->b : nd->a, mid.v[i], forward, out)))
				goto done;
		break;
	case KGR__P_OPT:
		if ((error = list_push(ev, &mid, x)) || (error = step(ev, nd->a, x, forward, &mid)))
			goto done;
		for (i = 0; i < mid.n; i++) {
			int added = set_add(ev, &mid, mid.v[i]);
			if (added < 0 || (added && list_push(ev, out, mid.v[i]))) {
				error = -1;
				goto done;
			}
		}
		break;
	case KGR__P_STAR:
	case KGR__P_PLUS: {
		idlist reached = { 0 };
		error = step_closure(ev, nd->a, x, forward, nd->op == KGR__P_STAR, &reached);
		for (i = 0; !error && i < reached.n; i++)
			error = list_push(ev, out, reached.v[i]);
		list_free(&reached);
		break;
	}
	}
done:
	list_free(&mid);
	return error ? -1 : 0;
}

size_t kgr__path_nullable(const kgr__path_set *set, int path)
{
	const kgr__path_node *nd = &set->nodes[path];
	switch (nd->op) {
	case KGR__P_STAR:
	case KGR__P_OPT:
		return 1;
	case KGR__P_PLUS:
		return kgr__path_nullable(set, nd->a) ? 1 : 0;
	case KGR__P_INV:
		return kgr__path_nullable(set, nd->a);
	case KGR__P_SEQ:
		return kgr__path_nullable(set, nd->a) * kgr__path_nullable(set, nd->b);
	case KGR__P_ALT:
		return kgr__path_nullable(set, nd->a) + kgr__path_nullable(set, nd->b);
	default:
		return 0;
	}
}

int kgr__path_node_in_graph(const kgr__path_env *env, kgr_id id)
{
	int pass;
	for (pass = 0; pass < 2; pass++) {
		kgr_iter it;
		kgr_quad q;
		kgr_store_match(env->store, &it, pass ? 0 : id, 0, pass ? id : 0, env->graph);
		while (kgr_iter_next(&it, &q))
			if (env->graph != KGR_ANY_GRAPH || env->in_default(env->payload, q.g))
				return 1;
	}
	return 0;
}

/* Every subject and object of the active graph, once. */
static int all_nodes(evaluator *ev, idlist *out)
{
	triples tr;
	kgr_quad q;
	triples_start(ev, &tr, 0, 0, 0);
	while (triples_next(ev, &tr, &q))
		if (push_distinct(ev, out, q.s) || push_distinct(ev, out, q.o))
			return -1;
	return ev->error ? -1 : 0;
}

static int pair_push(evaluator *ev, kgr__path_pair **v, size_t *n, size_t *cap, kgr_id s, kgr_id o)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		kgr__path_pair *p = realloc(*v, c * sizeof(*p));
		if (!p)
			return ev->error = KGR_ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[*n].s = s;
	(*v)[(*n)++].o = o;
	return 0;
}

int kgr__path_eval(kgr__path_pair **out, size_t *n, const kgr__path_set *set, int path,
	const kgr__path_env *env, kgr_id s, kgr_id o)
{
	evaluator ev = { set, env, 0, 0 };
	idlist starts = { 0 }, reached = { 0 };
	kgr__path_pair *pairs = NULL;
	size_t npairs = 0, cap = 0, i, j;
	int forward = s || !o, error = 0;
	*out = NULL;
	*n = 0;
	if (s || o)
		error = list_push(&ev, &starts, s ? s : o);
	else
		error = all_nodes(&ev, &starts);
	for (i = 0; !error && i < starts.n; i++) {
		reached.n = 0;
		if ((error = step(&ev, path, starts.v[i], forward, &reached)))
			break;
		for (j = 0; !error && j < reached.n; j++) {
			kgr_id end = reached.v[j];
			if (s && o && end != o)
				continue;
			error = forward ? pair_push(&ev, &pairs, &npairs, &cap, starts.v[i], end) :
					  pair_push(&ev, &pairs, &npairs, &cap, end, starts.v[i]);
		}
	}
	list_free(&starts);
	list_free(&reached);
	if (error) {
		free(pairs);
		return ev.error ? ev.error : KGR_ENOMEM;
	}
	*out = pairs;
	*n = npairs;
	return 0;
}
