/* Finalizing a store: the quads sorted once by (s,p,o,g) with an LSD radix sort, duplicates
 * dropped, the POS and OSP permutations built; closures of transitive properties into the
 * inferred graph; the interaction table and the item and user tables derived from the graph.
 * See docs/STORE.md. */
#include "kg/store_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ sorting */

#define RADIX 65536 /* 16-bit digits */

/* The digit counts of a radix sort: one table of RADIX counters per 16-bit digit. */
static size_t *radix_counts(int digits)
{
	return calloc((size_t)digits * RADIX, sizeof(size_t));
}

/* Digit counts -> the first output position of each digit. */
static void radix_offsets(size_t *count)
{
	size_t i, sum = 0;
	for (i = 0; i < RADIX; i++) {
		size_t c = count[i];
		count[i] = sum;
		sum += c;
	}
}

static inline uint32_t quad_field(const kgr_quad *q, int field)
{
	return ((const uint32_t *)q)[field];
}

/* Stable LSD radix sort of quads by the key (s, p, o, g), 16 bits a pass. The counts of all
 * eight digits come from one sequential pass (a count does not depend on the order); passes
 * whose digit is the same for every quad are skipped. Complexity: O(9 n) time, O(n) extra
 * space. */
static int sort_quads(kgr_quad *q, size_t n)
{
	static const int fields[4] = { 3, 2, 1, 0 }; /* g, o, p, s: least significant first */
	kgr_quad *tmp, *src = q, *dst;
	size_t *count, i;
	int d;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	kgr__advise_huge(tmp, n * sizeof(*tmp));
	count = radix_counts(8);
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return kgr__error_set(KGR_ENOMEM, "out of memory sorting %zu quads", n);
	}
	for (i = 0; i < n; i++)
		for (d = 0; d < 8; d++)
			count[(size_t)d * RADIX + ((quad_field(&q[i], fields[d / 2]) >> (16 * (d & 1))) & 0xffff)]++;
	dst = tmp;
	for (d = 0; d < 8; d++) {
		size_t *c = count + (size_t)d * RADIX;
		int f = fields[d / 2], shift = 16 * (d & 1);
		if (c[(quad_field(&src[0], f) >> shift) & 0xffff] == n)
			continue;
		radix_offsets(c);
		for (i = 0; i < n; i++)
			dst[c[(quad_field(&src[i], f) >> shift) & 0xffff]++] = src[i];
		{
			kgr_quad *t = src;
			src = dst;
			dst = t;
		}
	}
	if (src != q)
		memcpy(q, src, n * sizeof(*q));
	free(tmp);
	free(count);
	return 0;
}

/* Stable radix sort of a permutation of the n quads q by one field of the quads it points at;
 * tmp holds n ids of scratch. Both digits are counted in one sequential pass over the quads
 * (the counts do not depend on the permutation's order) and a digit that is the same for
 * every quad (the high half of predicate ids, say) costs no pass. */
static int sort_perm(uint32_t *perm, uint32_t *tmp, size_t n, const kgr_quad *q, int field)
{
	uint32_t *src = perm, *dst = tmp;
	size_t *count, i;
	int d;
	if (n < 2)
		return 0;
	if (!(count = radix_counts(2)))
		return kgr__error_set(KGR_ENOMEM, "out of memory building indexes");
	for (i = 0; i < n; i++) {
		uint32_t v = quad_field(&q[i], field);
		count[v & 0xffff]++;
		count[RADIX + (v >> 16)]++;
	}
	for (d = 0; d < 2; d++) {
		size_t *c = count + (size_t)d * RADIX;
		int shift = 16 * d;
		if (c[(quad_field(&q[0], field) >> shift) & 0xffff] == n)
			continue;
		radix_offsets(c);
		for (i = 0; i < n; i++)
			dst[c[(quad_field(&q[src[i]], field) >> shift) & 0xffff]++] = src[i];
		{
			uint32_t *t = src;
			src = dst;
			dst = t;
		}
	}
	if (src != perm)
		memcpy(perm, src, n * sizeof(*perm));
	free(count);
	return 0;
}

static int quad_cmp(const kgr_quad *x, const kgr_quad *y)
{
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	if (x->o != y->o)
		return x->o < y->o ? -1 : 1;
	return x->g < y->g ? -1 : x->g > y->g;
}

static size_t dedupe(kgr_quad *q, size_t n)
{
	size_t i, j = 0;
	for (i = 0; i < n; i++) {
		if (j && q[j - 1].s == q[i].s && q[j - 1].p == q[i].p && q[j - 1].o == q[i].o &&
			q[j - 1].g == q[i].g)
			continue;
		q[j++] = q[i];
	}
	return j;
}

/* The OSP and POS permutations of the (s,p,o,g)-sorted quads: SPO order, stable by o ->
 * (o, s, p, g); that, stable by p -> (p, o, s, g). */
static int build_indexes(kgr_store *s)
{
	size_t i, n = s->n_quads;
	uint32_t *tmp;
	int error;
	free(s->pos);
	free(s->osp);
	s->pos = malloc((n + 1) * sizeof(uint32_t));
	s->osp = malloc((n + 1) * sizeof(uint32_t));
	tmp = malloc((n + 1) * sizeof(uint32_t));
	if (!s->pos || !s->osp || !tmp) {
		free(tmp);
		return kgr__error_set(KGR_ENOMEM, "out of memory building indexes");
	}
	kgr__advise_huge(s->pos, (n + 1) * sizeof(uint32_t));
	kgr__advise_huge(s->osp, (n + 1) * sizeof(uint32_t));
	kgr__advise_huge(tmp, (n + 1) * sizeof(uint32_t));
	for (i = 0; i < n; i++)
		s->osp[i] = (uint32_t)i;
	if ((error = sort_perm(s->osp, tmp, n, s->quads, 2)) == 0) {
		memcpy(s->pos, s->osp, n * sizeof(uint32_t));
		error = sort_perm(s->pos, tmp, n, s->quads, 1);
	}
	free(tmp);
	return error;
}

/* Order of two quads in the OSP permutation, (o, s, p, g), or with by_p in the POS
 * permutation, (p, o, s, g). */
static int perm_cmp(const kgr_quad *x, const kgr_quad *y, int by_p)
{
	if (by_p && x->p != y->p)
		return x->p < y->p ? -1 : 1;
	if (x->o != y->o)
		return x->o < y->o ? -1 : 1;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (!by_p && x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->g < y->g ? -1 : x->g > y->g;
}

/* Merge one permutation with the added quads: old is the permutation of the old quads, now
 * at map[i]; aperm the added quads in the same order, added quad b now at at[b] + b. Each
 * added quad finds its place by binary search from the previous one's, so the old entries
 * are read once, in order. */
static uint32_t *merge_perm(const kgr_quad *q, const uint32_t *old, size_t n, const uint32_t *map,
	const kgr_quad *add, const uint32_t *aperm, const uint32_t *at, size_t m, int by_p)
{
	uint32_t *out = malloc((n + m + 1) * sizeof(*out));
	size_t j = 0, k = 0, b;
	if (!out)
		return NULL;
	kgr__advise_huge(out, (n + m + 1) * sizeof(*out));
	for (b = 0; b < m; b++) {
		const kgr_quad *x = &add[aperm[b]];
		size_t lo = j, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (perm_cmp(&q[map[old[mid]]], x, by_p) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; j < lo; j++)
			out[k++] = map[old[j]];
		out[k++] = at[aperm[b]] + aperm[b];
	}
	for (; j < n; j++)
		out[k++] = map[old[j]];
	return out;
}

/* Merge the sorted, deduplicated quads add (n_add of them; the array is reused) into the
 * finalized quads and into both permutations, which stay what build_indexes() would give
 * (both orders are total over distinct quads), without sorting the whole store again: the
 * inferred quads are few next to the asserted ones. Quads already stored are dropped.
 * Complexity: O(n + m log n) for n stored and m added quads, besides sorting the m. */
static int merge_quads(kgr_store *s, kgr_quad *add, size_t n_add)
{
	size_t n = s->n_quads, m = 0, b, i, lo = 0, total;
	uint32_t *at = NULL, *map = NULL, *aperm = NULL, *tmp = NULL, *out;
	int error = 0, by_p;

	if (!(at = malloc((n_add + 1) * sizeof(*at))))
		goto nomem;
	/* at[b]: how many stored quads come before added quad b */
	for (b = 0; b < n_add; b++) {
		size_t hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (quad_cmp(&s->quads[mid], &add[b]) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && quad_cmp(&s->quads[lo], &add[b]) == 0)
			continue;
		add[m] = add[b];
		at[m++] = (uint32_t)lo;
	}
	if (!m)
		goto done;
	total = n + m;
	if (total > s->cap_quads) {
		kgr_quad *t = realloc(s->quads, total * sizeof(*t));
		if (!t)
			goto nomem;
		s->quads = t;
		s->cap_quads = total;
	}
	map = malloc((n + 1) * sizeof(*map));
	aperm = malloc(m * sizeof(*aperm));
	tmp = malloc(m * sizeof(*tmp));
	if (!map || !aperm || !tmp)
		goto nomem;
	kgr__advise_huge(map, (n + 1) * sizeof(*map));
	/* a stored quad moves up by the number of added quads before it */
	for (i = 0, b = 0; i < n; i++) {
		while (b < m && at[b] <= i)
			b++;
		map[i] = (uint32_t)(i + b);
	}
	for (i = n; i-- > 0;)
		s->quads[map[i]] = s->quads[i];
	for (b = 0; b < m; b++) {
		s->quads[at[b] + b] = add[b];
		aperm[b] = (uint32_t)b;
	}
	s->n_quads = total;
	/* the added quads in OSP order, then (stable by p) in POS order, each merged in turn */
	for (by_p = 0; by_p < 2; by_p++) {
		uint32_t **perm = by_p ? &s->pos : &s->osp;
		if ((error = sort_perm(aperm, tmp, m, add, by_p ? 1 : 2)) < 0)
			goto done;
		if (!(out = merge_perm(s->quads, *perm, n, map, add, aperm, at, m, by_p)))
			goto nomem;
		free(*perm);
		*perm = out;
	}
	goto done;
nomem:
	error = kgr__error_set(KGR_ENOMEM, "out of memory merging the inferred quads");
done:
	free(at);
	free(map);
	free(aperm);
	free(tmp);
	return error;
}

/* ------------------------------------------------------------------ finalize */

/* Append v to the growable array *a of *n ids (capacity *cap); 0, or -1 when out of memory. */
static int push_id(kgr_id **a, size_t *n, size_t *cap, kgr_id v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		kgr_id *t = realloc(*a, c * sizeof(*t));
		if (!t)
			return -1;
		*a = t;
		*cap = c;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static int push_quad(kgr_quad **add, size_t *n, size_t *cap, kgr_quad q)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		kgr_quad *t = realloc(*add, c * sizeof(*t));
		if (!t)
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		*add = t;
		*cap = c;
	}
	(*add)[(*n)++] = q;
	return 0;
}

/* Push the objects of node over p and over q onto the stack. */
static int push_objects(const kgr_store *s, kgr_id node, kgr_id p, kgr_id q, kgr_id **stack, size_t *n,
	size_t *cap)
{
	kgr_iter it;
	kgr_quad x;
	int pass;
	for (pass = 0; pass < 2; pass++) {
		kgr_store_match(s, &it, node, pass ? q : p, 0, KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &x))
			if (push_id(stack, n, cap, x.o) < 0)
				return -1;
	}
	return 0;
}

/* Transitive closure of p, added as q in the inferred graph: a DFS from every subject of p
 * over p (and existing q) edges. Complexity: O(sum of reachable sets). */
static int closure(kgr_store *s, kgr_id p, kgr_id q, kgr_quad **add, size_t *n_add, size_t *cap_add)
{
	kgr_iter it;
	kgr_quad x;
	kgr_id *subs = NULL, *stack = NULL, *seen = NULL;
	size_t n_subs = 0, cap_subs = 0, n_stack = 0, cap_stack = 0, n_seen = 0, cap_seen = 0, i, k;
	kgr_id last_s = 0;
	int error = 0;

	/* POS order groups by object, so collect subjects first. */
	kgr_store_match(s, &it, 0, p, 0, KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &x))
		if ((error = push_id(&subs, &n_subs, &cap_subs, x.s)) < 0)
			goto done;
	for (i = 0; i < n_subs; i++) {
		kgr_id root = subs[i];
		if (root == last_s)
			continue;
		last_s = root;
		n_stack = n_seen = 0;
		if ((error = push_objects(s, root, p, q, &stack, &n_stack, &cap_stack)) < 0)
			goto done;
		while (n_stack) {
			kgr_id node = stack[--n_stack];
			int dup = node == root;
			for (k = 0; k < n_seen && !dup; k++)
				dup = seen[k] == node;
			if (dup)
				continue;
			if ((error = push_id(&seen, &n_seen, &cap_seen, node)) < 0 ||
				(error = push_objects(s, node, p, q, &stack, &n_stack, &cap_stack)) < 0)
				goto done;
		}
		for (k = 0; k < n_seen; k++)
			if ((error = push_quad(add, n_add, cap_add,
				     (kgr_quad){ root, q, seen[k], KGR__GRAPH_INFERRED })) < 0)
				goto done;
	}
done:
	free(subs);
	free(stack);
	free(seen);
	if (error)
		return kgr__error_set(KGR_ENOMEM, "out of memory (closure)");
	return 0;
}

static double literal_double(const kgr_store *s, kgr_id id, double dflt)
{
	char *end;
	double v;
	if (!id || s->kinds[id] != KGR_TERM_LITERAL)
		return dflt;
	v = strtod(kgr__term_bytes(s, id), &end);
	return end == kgr__term_bytes(s, id) ? dflt : v;
}

int kgr__interaction_cmp(const kgr_interaction *x, const kgr_interaction *y)
{
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return 0;
}

int kgr__interaction_qsort_cmp(const void *a, const void *b)
{
	const kgr_interaction *x = a, *y = b;
	int c = kgr__interaction_cmp(x, y);
	if (c)
		return c;
	if (x->event != y->event)
		return x->event < y->event ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->action != y->action)
		return x->action < y->action ? -1 : 1;
	return 0;
}

void kgr__interactions_load_order(kgr_interaction *v, size_t n)
{
	size_t i, j;
	for (i = 0; i < n; i = j) {
		int sorted = 1;
		for (j = i + 1; j < n && kgr__interaction_cmp(&v[i], &v[j]) == 0; j++)
			if (kgr__interaction_qsort_cmp(&v[j - 1], &v[j]) > 0)
				sorted = 0;
		if (!sorted)
			qsort(v + i, j - i, sizeof(*v), kgr__interaction_qsort_cmp);
	}
}

int kgr__id_qsort_cmp(const void *a, const void *b)
{
	kgr_id x = *(const kgr_id *)a, y = *(const kgr_id *)b;
	return x < y ? -1 : x > y;
}

/* Interaction events (subjects typed kgr:Interaction) -> the interaction table, and one
 * direct edge user --action--> item per event in the inferred graph. */
static int derive_interactions(kgr_store *s, kgr_quad **add, size_t *n_add, size_t *cap_add)
{
	kgr_iter it;
	kgr_quad x;
	size_t n = kgr_store_count(s, 0, KGR__RDF_TYPE, KGR__KGR_INTERACTION), i = 0;
	kgr_interaction *v = calloc(n + 1, sizeof(*v));
	if (!v)
		return kgr__error_set(KGR_ENOMEM, "out of memory (%zu interactions)", n);
	kgr_store_match(s, &it, 0, KGR__RDF_TYPE, KGR__KGR_INTERACTION, KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &x)) {
		kgr_id e = x.s, t;
		kgr_interaction *r = &v[i];
		if (i && v[i - 1].event == e)
			continue; /* typed in several graphs */
		r->event = e;
		r->user = kgr_store_object(s, e, KGR__KGR_USER);
		r->item = kgr_store_object(s, e, KGR__KGR_ITEM);
		r->action = kgr_store_object(s, e, KGR__KGR_ACTION);
		if (!r->action)
			r->action = KGR__KGR_INTERACT;
		r->weight = (float)literal_double(s, kgr_store_object(s, e, KGR__KGR_WEIGHT), 1.0);
		t = kgr_store_object(s, e, KGR__KGR_TIME);
		if (!r->user || !r->item || s->kinds[r->user] != KGR_TERM_IRI ||
			s->kinds[r->item] != KGR_TERM_IRI) {
			int bad_user = !r->user || s->kinds[r->user] != KGR_TERM_IRI;
			free(v);
			return kgr__error_set(KGR_EPARSE, "interaction event %s has no %s IRI",
				kgr__term_bytes(s, e), bad_user ? "kgr:user" : "kgr:item");
		}
		if (!t || s->kinds[t] != KGR_TERM_LITERAL ||
			kgr__parse_time(kgr__term_bytes(s, t), kgr__term_len(s, t), &r->time) < 0) {
			free(v);
			return kgr__error_set(KGR_EPARSE, "interaction event %s has no valid kgr:time%s%s",
				kgr__term_bytes(s, e), t ? ": " : "", t ? kgr__term_bytes(s, t) : "");
		}
		if (push_quad(add, n_add, cap_add,
			    (kgr_quad){ r->user, r->action, r->item, KGR__GRAPH_INFERRED }) < 0) {
			free(v);
			return KGR_ENOMEM;
		}
		i++;
	}
	qsort(v, i, sizeof(*v), kgr__interaction_qsort_cmp);
	s->inter = v;
	s->n_inter = i;
	return 0;
}

/* Subjects typed schema:Product, kgr:Item or a subclass of either flagged as items. */
static int flag_item_classes(kgr_store *s)
{
	kgr_iter it;
	kgr_quad x;
	kgr_id *classes;
	size_t n_classes = 0, done = 0, i;

	classes = malloc(2 * sizeof(kgr_id));
	if (!classes)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	classes[n_classes++] = KGR__KGR_ITEMCLASS;
	classes[n_classes++] = KGR__SCHEMA_PRODUCT;
	while (done < n_classes) {
		kgr_id c = classes[done++];
		kgr_store_match(s, &it, 0, KGR__RDFS_SUBCLASSOF, c, KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &x)) {
			size_t k;
			int dup = 0;
			for (k = 0; k < n_classes && !dup; k++)
				dup = classes[k] == x.s;
			if (dup)
				continue;
			kgr_id *t = realloc(classes, (n_classes + 1) * sizeof(kgr_id));
			if (!t) {
				free(classes);
				return kgr__error_set(KGR_ENOMEM, "out of memory");
			}
			classes = t;
			classes[n_classes++] = x.s;
		}
	}
	for (i = 0; i < n_classes; i++) {
		kgr_store_match(s, &it, 0, KGR__RDF_TYPE, classes[i], KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &x))
			if (s->kinds[x.s] == KGR_TERM_IRI)
				s->flags[x.s] |= KGR__F_ITEM;
	}
	free(classes);
	return 0;
}

/* The per-term labels lab (0: none) kept for the labelled terms only: a bit per term and
 * the labels in id order, found by counting the bits before (kgr__label_of()). */
static int pack_labels(kgr_store *s, const uint32_t *lab)
{
	size_t words = kgr__label_words(s->n_terms), i, n = 0;
	for (i = 1; i <= s->n_terms; i++)
		n += lab[i] != 0;
	s->label_bits = calloc(words, sizeof(uint64_t));
	s->label_rank = malloc(words * sizeof(uint32_t));
	s->labels = malloc((n + 1) * sizeof(uint32_t));
	if (!s->label_bits || !s->label_rank || !s->labels)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	n = 0;
	for (i = 0; i < words * 64; i++) {
		if (!(i & 63))
			s->label_rank[i >> 6] = (uint32_t)n;
		if (i && i <= s->n_terms && lab[i]) {
			s->label_bits[i >> 6] |= (uint64_t)1 << (i & 63);
			s->labels[n++] = lab[i];
		}
	}
	s->n_labels = n;
	return 0;
}

static int derive_tables(kgr_store *s)
{
	size_t i, n_users = 0, n_items = 0, cap_items;
	kgr_iter it;
	kgr_quad x;
	int error = 0;
	uint32_t *pop;

	s->flags = calloc(s->n_terms + 1, 1);
	/* interactions per term while deriving; the store keeps them for its items only */
	pop = calloc(s->n_terms + 1, sizeof(uint32_t));
	if (!s->flags || !pop) {
		free(pop);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}

	/* users */
	for (i = 0; i < s->n_inter; i++) {
		if (!i || s->inter[i].user != s->inter[i - 1].user)
			n_users++;
		pop[s->inter[i].item]++;
		s->flags[s->inter[i].item] |= KGR__F_ITEM;
		s->flags[s->inter[i].user] |= KGR__F_USER;
	}
	s->users = malloc((n_users + 1) * sizeof(kgr_id));
	s->user_off = malloc((n_users + 1) * sizeof(uint64_t));
	if (!s->users || !s->user_off) {
		free(pop);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	n_users = 0;
	for (i = 0; i < s->n_inter; i++) {
		if (!i || s->inter[i].user != s->inter[i - 1].user) {
			s->users[n_users] = s->inter[i].user;
			s->user_off[n_users++] = i;
		}
	}
	s->user_off[n_users] = s->n_inter;
	s->n_users = n_users;
	/* users are sorted by id because inter is sorted by user id */

	if ((error = flag_item_classes(s)) < 0) {
		free(pop);
		return error;
	}
	cap_items = 0;
	for (i = 1; i <= s->n_terms; i++)
		cap_items += (s->flags[i] & KGR__F_ITEM) != 0;
	s->items = malloc((cap_items + 1) * sizeof(kgr_id));
	s->pop = malloc((cap_items + 1) * sizeof(uint32_t));
	if (!s->items || !s->pop) {
		free(pop);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	for (i = 1; i <= s->n_terms; i++)
		if (s->flags[i] & KGR__F_ITEM) {
			s->pop[n_items] = pop[i];
			s->items[n_items++] = (kgr_id)i;
		}
	s->n_items = n_items;
	free(pop);

	/* labels: the first label property in this order wins; English or untagged first */
	{
		static const kgr_id label_props[] = { KGR__RDFS_LABEL, KGR__SCHEMA_NAME, KGR__SKOS_PREFLABEL,
			KGR__FOAF_NAME, KGR__DCT_TITLE };
		uint8_t *rank = malloc(s->n_terms + 1);
		uint32_t *lab = calloc(s->n_terms + 1, sizeof(uint32_t));
		size_t pi;
		if (!rank || !lab) {
			free(rank);
			free(lab);
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		}
		memset(rank, 0xff, s->n_terms + 1);
		for (pi = 0; pi < sizeof(label_props) / sizeof(label_props[0]); pi++) {
			kgr_store_match(s, &it, 0, label_props[pi], 0, KGR_ANY_GRAPH);
			while (kgr_iter_next(&it, &x)) {
				const kgr__term *t = &s->terms[x.o];
				const char *v = kgr__term_bytes(s, x.o);
				size_t vl = kgr__term_len(s, x.o);
				uint8_t r;
				/* a label is shown as a C string: one holding U+0000 would be shown cut */
				if (s->kinds[x.o] != KGR_TERM_LITERAL || memchr(v, '\0', vl))
					continue;
				r = (uint8_t)(pi * 2);
				if (t->extra & KGR__LANG_FLAG) {
					const char *lang = v + vl + 1;
					if (!(tolower((unsigned char)lang[0]) == 'e' &&
						    tolower((unsigned char)lang[1]) == 'n' &&
						    (lang[2] == '\0' || lang[2] == '-')))
						r++;
				}
				if (r < rank[x.s]) {
					rank[x.s] = r;
					lab[x.s] = x.o;
				}
			}
		}
		free(rank);
		error = pack_labels(s, lab);
		free(lab);
	}
	return error;
}

static int collect_graphs(kgr_store *s)
{
	size_t i, n = 0, cap = 8;
	kgr_id *g = malloc(cap * sizeof(kgr_id));
	if (!g)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < s->n_quads; i++) {
		kgr_id x = s->quads[i].g;
		size_t k;
		int dup = 0;
		if (!x)
			continue;
		for (k = 0; k < n && !dup; k++)
			dup = g[k] == x;
		if (dup)
			continue;
		if (n == cap) {
			kgr_id *t = realloc(g, (cap *= 2) * sizeof(kgr_id));
			if (!t) {
				free(g);
				return kgr__error_set(KGR_ENOMEM, "out of memory");
			}
			g = t;
		}
		g[n++] = x;
	}
	qsort(g, n, sizeof(kgr_id), kgr__id_qsort_cmp);
	free(s->graphs);
	s->graphs = g;
	s->n_graphs = n;
	return 0;
}

int kgr_store_finalize(kgr_store *s)
{
	kgr_quad *add = NULL;
	size_t n_add = 0, cap_add = 0, i;
	kgr_iter it;
	kgr_quad x;
	int error;

	if (s->finalized)
		return kgr__error_set(KGR_EINVALID, "store is already finalized");
	free(s->recent);
	s->recent = NULL;
	if ((error = kgr__table_canonical(s)) < 0 || (error = sort_quads(s->quads, s->n_quads)) < 0)
		return error;
	s->n_quads = dedupe(s->quads, s->n_quads);
	s->finalized = 1;
	if ((error = build_indexes(s)) < 0)
		goto cleanup;

	/* closures: p kgr:closure q, and p a owl:TransitiveProperty (closure into p itself) */
	{
		kgr_quad *rules = NULL;
		size_t n_rules = 0, cap_rules = 0;
		kgr_store_match(s, &it, 0, KGR__KGR_CLOSURE, 0, KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &x))
			if ((error = push_quad(&rules, &n_rules, &cap_rules, x)) < 0)
				break;
		kgr_store_match(s, &it, 0, KGR__RDF_TYPE, KGR__OWL_TRANSITIVE, KGR_ANY_GRAPH);
		while (!error && kgr_iter_next(&it, &x))
			error = push_quad(&rules, &n_rules, &cap_rules, (kgr_quad){ x.s, 0, x.s, 0 });
		for (i = 0; !error && i < n_rules; i++)
			if (s->kinds[rules[i].o] == KGR_TERM_IRI)
				error = closure(s, rules[i].s, rules[i].o, &add, &n_add, &cap_add);
		free(rules);
		if (error)
			goto cleanup;
	}
	if ((error = derive_interactions(s, &add, &n_add, &cap_add)) < 0)
		goto cleanup;

	if (n_add) {
		/* the inferred quads are few: sort them alone and merge them in */
		if ((error = sort_quads(add, n_add)) < 0 ||
			(error = merge_quads(s, add, dedupe(add, n_add))) < 0)
			goto cleanup;
	}
	if ((error = collect_graphs(s)) < 0 || (error = derive_tables(s)) < 0)
		goto cleanup;
	/* give back the slack of the loading phase */
	if (s->cap_quads > s->n_quads + 1) {
		kgr_quad *t = realloc(s->quads, (s->n_quads + 1) * sizeof(*t));
		if (t) {
			s->quads = t;
			s->cap_quads = s->n_quads + 1;
		}
	}
cleanup:
	free(add);
	if (error) {
		s->finalized = 0;
		free(s->inter);
		s->inter = NULL;
		s->n_inter = 0;
	}
	return error;
}
