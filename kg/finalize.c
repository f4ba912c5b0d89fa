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

/* The scratch of a radix sort of n elements: the digit counts in *count and, returned, a
 * second array; NULL (nothing allocated) when out of memory. */
static void *radix_buffers(size_t elem, size_t n, size_t **count)
{
	void *tmp = malloc(n * elem);
	*count = malloc(RADIX * sizeof(**count));
	if (tmp && *count)
		return tmp;
	free(tmp);
	free(*count);
	return NULL;
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

/* The sorted elements end in src after the last pass: back into out (bytes long) when src is
 * the scratch; the scratch is freed. */
static void radix_done(void *out, const void *src, size_t bytes, void *tmp, size_t *count)
{
	if (src != out)
		memcpy(out, src, bytes);
	free(tmp);
	free(count);
}

static inline uint32_t quad_field(const kgr_quad *q, int field)
{
	return ((const uint32_t *)q)[field];
}

/* Stable LSD radix sort of quads by the key (s, p, o, g), 16 bits a pass; passes whose digit
 * is the same for every quad are skipped. Complexity: O(8 n) time, O(n) extra space. */
static int sort_quads(kgr_quad *q, size_t n)
{
	static const int fields[4] = { 3, 2, 1, 0 }; /* g, o, p, s: least significant first */
	kgr_quad *tmp, *src = q, *dst;
	size_t *count;
	int f, shift;

	if (n < 2)
		return 0;
	if (!(tmp = radix_buffers(sizeof(*tmp), n, &count)))
		return kgr__error_set(KGR_ENOMEM, "out of memory sorting %zu quads", n);
	dst = tmp;
	for (f = 0; f < 4; f++) {
		for (shift = 0; shift < 32; shift += 16) {
			size_t i;
			memset(count, 0, RADIX * sizeof(*count));
			for (i = 0; i < n; i++)
				count[(quad_field(&src[i], fields[f]) >> shift) & 0xffff]++;
			if (count[(quad_field(&src[0], fields[f]) >> shift) & 0xffff] == n)
				continue;
			radix_offsets(count);
			for (i = 0; i < n; i++)
				dst[count[(quad_field(&src[i], fields[f]) >> shift) & 0xffff]++] = src[i];
			{
				kgr_quad *t = src;
				src = dst;
				dst = t;
			}
		}
	}
	radix_done(q, src, n * sizeof(*q), tmp, count);
	return 0;
}

/* Stable radix sort of a permutation by one field of the quads it points at. */
static int sort_perm(uint32_t *perm, size_t n, const kgr_quad *q, int field)
{
	uint32_t *tmp, *src = perm, *dst;
	size_t *count;
	int shift;
	if (n < 2)
		return 0;
	if (!(tmp = radix_buffers(sizeof(*tmp), n, &count)))
		return kgr__error_set(KGR_ENOMEM, "out of memory building indexes");
	dst = tmp;
	for (shift = 0; shift < 32; shift += 16) {
		size_t i;
		memset(count, 0, RADIX * sizeof(*count));
		for (i = 0; i < n; i++)
			count[(quad_field(&q[src[i]], field) >> shift) & 0xffff]++;
		radix_offsets(count);
		for (i = 0; i < n; i++)
			dst[count[(quad_field(&q[src[i]], field) >> shift) & 0xffff]++] = src[i];
		{
			uint32_t *t = src;
			src = dst;
			dst = t;
		}
	}
	radix_done(perm, src, n * sizeof(*perm), tmp, count);
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

static int build_indexes(kgr_store *s)
{
	size_t i;
	free(s->pos);
	free(s->osp);
	s->pos = malloc((s->n_quads + 1) * sizeof(uint32_t));
	s->osp = malloc((s->n_quads + 1) * sizeof(uint32_t));
	if (!s->pos || !s->osp)
		return kgr__error_set(KGR_ENOMEM, "out of memory building indexes");
	for (i = 0; i < s->n_quads; i++)
		s->osp[i] = (uint32_t)i;
	/* SPO order, stable by o -> (o, s, p, g); that, stable by p -> (p, o, s, g). */
	if (sort_perm(s->osp, s->n_quads, s->quads, 2) < 0)
		return KGR_ENOMEM;
	memcpy(s->pos, s->osp, s->n_quads * sizeof(uint32_t));
	return sort_perm(s->pos, s->n_quads, s->quads, 1);
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
	v = strtod(s->blob + s->terms[id].off, &end);
	return end == s->blob + s->terms[id].off ? dflt : v;
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
				s->blob + s->terms[e].off, bad_user ? "kgr:user" : "kgr:item");
		}
		if (!t || s->kinds[t] != KGR_TERM_LITERAL ||
			kgr__parse_time(s->blob + s->terms[t].off, s->terms[t].len, &r->time) < 0) {
			free(v);
			return kgr__error_set(KGR_EPARSE, "interaction event %s has no valid kgr:time%s%s",
				s->blob + s->terms[e].off, t ? ": " : "", t ? s->blob + s->terms[t].off : "");
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

static int derive_tables(kgr_store *s)
{
	size_t i, n_users = 0, n_items = 0, cap_items;
	kgr_iter it;
	kgr_quad x;
	kgr_id *classes = NULL;
	size_t n_classes = 0, done = 0;
	int error = 0;

	s->flags = calloc(s->n_terms + 1, 1);
	s->pop = calloc(s->n_terms + 1, sizeof(uint32_t));
	s->labels = calloc(s->n_terms + 1, sizeof(uint32_t));
	if (!s->flags || !s->pop || !s->labels)
		return kgr__error_set(KGR_ENOMEM, "out of memory");

	/* users */
	for (i = 0; i < s->n_inter; i++) {
		if (!i || s->inter[i].user != s->inter[i - 1].user)
			n_users++;
		s->pop[s->inter[i].item]++;
		s->flags[s->inter[i].item] |= KGR__F_ITEM;
		s->flags[s->inter[i].user] |= KGR__F_USER;
	}
	s->users = malloc((n_users + 1) * sizeof(kgr_id));
	s->user_off = malloc((n_users + 1) * sizeof(uint64_t));
	if (!s->users || !s->user_off)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
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

	/* item classes: schema:Product, kgr:Item and their subclasses */
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
	cap_items = 0;
	for (i = 1; i <= s->n_terms; i++)
		cap_items += (s->flags[i] & KGR__F_ITEM) != 0;
	s->items = malloc((cap_items + 1) * sizeof(kgr_id));
	if (!s->items)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 1; i <= s->n_terms; i++)
		if (s->flags[i] & KGR__F_ITEM)
			s->items[n_items++] = (kgr_id)i;
	s->n_items = n_items;

	/* labels: the first label property in this order wins; English or untagged first */
	{
		static const kgr_id label_props[] = { KGR__RDFS_LABEL, KGR__SCHEMA_NAME, KGR__SKOS_PREFLABEL,
			KGR__FOAF_NAME, KGR__DCT_TITLE };
		uint8_t *rank = malloc(s->n_terms + 1);
		size_t pi;
		if (!rank)
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		memset(rank, 0xff, s->n_terms + 1);
		for (pi = 0; pi < sizeof(label_props) / sizeof(label_props[0]); pi++) {
			kgr_store_match(s, &it, 0, label_props[pi], 0, KGR_ANY_GRAPH);
			while (kgr_iter_next(&it, &x)) {
				const kgr__term *t = &s->terms[x.o];
				uint8_t r;
				/* a label is shown as a C string: one holding U+0000 would be shown cut */
				if (s->kinds[x.o] != KGR_TERM_LITERAL || memchr(s->blob + t->off, '\0', t->len))
					continue;
				r = (uint8_t)(pi * 2);
				if (t->extra & KGR__LANG_FLAG) {
					const char *lang = s->blob + t->off + t->len + 1;
					if (!(tolower((unsigned char)lang[0]) == 'e' &&
						    tolower((unsigned char)lang[1]) == 'n' &&
						    (lang[2] == '\0' || lang[2] == '-')))
						r++;
				}
				if (r < rank[x.s]) {
					rank[x.s] = r;
					s->labels[x.s] = x.o;
				}
			}
		}
		free(rank);
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
	if ((error = sort_quads(s->quads, s->n_quads)) < 0)
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
		/* merge the inferred quads in and re-index */
		size_t total = s->n_quads + n_add;
		if (total > s->cap_quads) {
			kgr_quad *t = realloc(s->quads, total * sizeof(*t));
			if (!t) {
				error = kgr__error_set(KGR_ENOMEM, "out of memory");
				goto cleanup;
			}
			s->quads = t;
			s->cap_quads = total;
		}
		/* the inferred quads are few: sort them alone, then one backward merge */
		if ((error = sort_quads(add, n_add)) < 0)
			goto cleanup;
		n_add = dedupe(add, n_add);
		total = s->n_quads + n_add;
		{
			size_t a = s->n_quads, b = n_add, k = total;
			while (b > 0) {
				if (a > 0 && quad_cmp(&s->quads[a - 1], &add[b - 1]) > 0)
					s->quads[--k] = s->quads[--a];
				else
					s->quads[--k] = add[--b];
			}
		}
		s->n_quads = dedupe(s->quads, total);
		if ((error = build_indexes(s)) < 0)
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
