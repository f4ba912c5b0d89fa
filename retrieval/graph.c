/* The graph view: resource nodes, walkable catalog relations and user -> item interaction
 * edges, built once per finalized store. This is the only file that talks to igraph: the
 * view is kept as flat CSR arrays that request threads read without calling igraph at all
 * (igraph is built with IGRAPH_THREAD_SAFE 0), and, built on the first full PRPACK solve
 * (the reference the forward push is measured against), as an igraph_t with the edge
 * weights in a vector. */
#define _GNU_SOURCE /* qsort_r: the comparisons read the graph being built */
#include "retrieval/internal.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <igraph.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RDF_NS "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define RDFS_NS "http://www.w3.org/2000/01/rdf-schema#"
#define OWL_NS "http://www.w3.org/2002/07/owl#"

/* Walk relations nobody annotated? Yes by default (weight 1): most catalogs bring their own
 * vocabulary; rdf:, rdfs: and owl: terms and the interaction vocabulary never. */
typedef struct {
	kgr_id pred;
	int traversable; /* -1 unset */
	double weight;   /* < 0 unset */
	char *phrase, *shared, *inverse;
} rel_config;

typedef struct {
	rel_config *rels;
	size_t n;
	int walk_unannotated;
	double hub_degree;
} graph_config;

double kgr__action_weight(const kgr_graph *g, kgr_id action)
{
	size_t i;
	for (i = 0; i < g->n_actions; i++)
		if (g->actions[i].action == action)
			return g->actions[i].weight;
	return 1.0;
}

static char *dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

/* Literal value of (s, p, ?) or NULL. */
static const char *literal_of(const kgr_store *st, kgr_id s, kgr_id p)
{
	kgr_id o;
	if (!s || !p)
		return NULL;
	o = kgr_store_object(st, s, p);
	if (!o || kgr_term_kind_of(st, o) != KGR_TERM_LITERAL)
		return NULL;
	return kgr_term_value(st, o, NULL);
}

static int grow_nodes(kgr_graph *g, size_t need)
{
	size_t cap = g->cap_nodes;
	void *p;
	if (need <= cap)
		return 0;
	cap = cap ? cap : 1024;
	while (cap < need)
		cap *= 2;
	if (!(p = realloc(g->node_id, cap * sizeof(kgr_id))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->node_id = p;
	if (!(p = realloc(g->flags, cap)))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->flags = p;
	memset(g->flags + g->cap_nodes, 0, cap - g->cap_nodes);
	if (!(p = realloc(g->itemdeg, cap * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->itemdeg = p;
	memset(g->itemdeg + g->cap_nodes, 0, (cap - g->cap_nodes) * sizeof(uint32_t));
	g->cap_nodes = (uint32_t)cap;
	return 0;
}

static int grow_ids(kgr_graph *g, size_t need)
{
	size_t cap = g->id_cap;
	uint32_t *p;
	if (need <= cap)
		return 0;
	while (cap < need)
		cap = cap ? cap * 2 : 1024;
	if (!(p = realloc(g->id_node, cap * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	memset(p + g->id_cap, 0, (cap - g->id_cap) * sizeof(uint32_t));
	g->id_node = p;
	g->id_cap = cap;
	return 0;
}

/* Node of a term, created when missing. KGR__NONE on ENOMEM. */
static uint32_t node_add(kgr_graph *g, kgr_id id)
{
	uint32_t n;
	if (grow_ids(g, (size_t)id + 1) < 0)
		return KGR__NONE;
	if (g->id_node[id])
		return g->id_node[id] - 1;
	if (grow_nodes(g, (size_t)g->n_nodes + 1) < 0)
		return KGR__NONE;
	n = g->n_nodes++;
	g->node_id[n] = id;
	g->flags[n] = 0;
	g->itemdeg[n] = 0;
	g->id_node[id] = n + 1;
	return n;
}

static void config_free(graph_config *c)
{
	size_t i;
	for (i = 0; i < c->n; i++) {
		free(c->rels[i].phrase);
		free(c->rels[i].shared);
		free(c->rels[i].inverse);
	}
	free(c->rels);
	memset(c, 0, sizeof(*c));
}

/* Per-store relation configuration:
 * { "walk_unannotated": bool, "hub_degree": n,
 *   "relations": { "IRI or prefixed name": { "traversable": bool, "weight": x,
 *                  "phrase": "...", "shared_phrase": "..." } } } */
static int config_load(graph_config *c, const kgr_store *st, const char *path)
{
	char *text = NULL;
	cJSON *root = NULL, *rels, *it, *v;
	int error = 0;
	c->walk_unannotated = 1;
	c->hub_degree = 0;
	if (!path)
		return 0;
	if ((error = kgr__read_file(&text, NULL, path, "relation configuration")) < 0)
		return error;
	root = cJSON_Parse(text);
	if (!root || !cJSON_IsObject(root)) {
		error = kgr__error_set(KGR_EPARSE, "%s: not a JSON object (near byte %ld)", path,
			root ? 0L : (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : 0));
		goto cleanup;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "walk_unannotated"))) {
		if (!cJSON_IsBool(v)) {
			error = kgr__error_set(KGR_EPARSE, "%s: walk_unannotated must be true or false", path);
			goto cleanup;
		}
		c->walk_unannotated = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "hub_degree"))) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0) {
			error = kgr__error_set(KGR_EPARSE, "%s: hub_degree must be a number >= 0", path);
			goto cleanup;
		}
		c->hub_degree = v->valuedouble;
	}
	rels = cJSON_GetObjectItemCaseSensitive(root, "relations");
	if (rels && !cJSON_IsObject(rels)) {
		error = kgr__error_set(KGR_EPARSE, "%s: relations must be an object", path);
		goto cleanup;
	}
	c->rels = calloc((size_t)cJSON_GetArraySize(rels) + 1, sizeof(rel_config));
	if (!c->rels) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	cJSON_ArrayForEach(it, rels) {
		rel_config *r = &c->rels[c->n];
		kgr_id p = kgr_store_resolve(st, it->string);
		if (!p) {
			/* a relation the store does not use: nothing to configure */
			kgr_error_clear();
			continue;
		}
		if (!cJSON_IsObject(it)) {
			error = kgr__error_set(KGR_EPARSE, "%s: relation %s: expected an object", path, it->string);
			goto cleanup;
		}
		r->pred = p;
		r->traversable = -1;
		r->weight = -1;
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "traversable"))) {
			if (!cJSON_IsBool(v)) {
				error = kgr__error_set(KGR_EPARSE, "%s: relation %s: traversable must be true or false",
					path, it->string);
				goto cleanup;
			}
			r->traversable = cJSON_IsTrue(v);
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "weight"))) {
			if (!cJSON_IsNumber(v) || v->valuedouble <= 0 || !isfinite(v->valuedouble)) {
				error = kgr__error_set(KGR_EPARSE, "%s: relation %s: weight must be a number > 0",
					path, it->string);
				goto cleanup;
			}
			r->weight = v->valuedouble;
		}
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "phrase")) && cJSON_IsString(v))
			r->phrase = dupstr(v->valuestring);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "shared_phrase")) && cJSON_IsString(v))
			r->shared = dupstr(v->valuestring);
		if ((v = cJSON_GetObjectItemCaseSensitive(it, "inverse_phrase")) && cJSON_IsString(v))
			r->inverse = dupstr(v->valuestring);
		c->n++;
	}
cleanup:
	cJSON_Delete(root);
	free(text);
	return error;
}

typedef struct {
	kgr_id traversable, rel_weight, phrase, shared, inverse, tmpl, default_weight;
	kgr_id k_user, k_item, k_action, interacted, subprop;
} vocab;

static int is_excluded_ns(const char *iri)
{
	return !strncmp(iri, RDF_NS, strlen(RDF_NS)) || !strncmp(iri, RDFS_NS, strlen(RDFS_NS)) ||
		!strncmp(iri, OWL_NS, strlen(OWL_NS));
}

/* Relation index of predicate p, creating it; -1 when p is never walked. */
static int classify_pred(kgr_graph *g, const vocab *vc, const graph_config *cfg, kgr_id p)
{
	const kgr_store *st = g->store;
	const rel_config *rc = NULL;
	const char *v, *iri, *inv, *tmpl, *shared;
	int trav = -1;
	double w = 1.0;
	size_t i;
	kgr__relation *r;
	char buf[256];

	for (i = 0; i < cfg->n; i++)
		if (cfg->rels[i].pred == p)
			rc = &cfg->rels[i];
	if (p == vc->k_user || p == vc->k_item || p == vc->k_action || p == vc->interacted)
		return -1;
	if (vc->interacted && vc->subprop && kgr_store_count(st, p, vc->subprop, vc->interacted) > 0)
		return -1; /* an action: user -> item edges come from the interaction table */
	if ((v = literal_of(st, p, vc->traversable)))
		trav = !strcmp(v, "true") || !strcmp(v, "1");
	if (rc && rc->traversable >= 0)
		trav = rc->traversable;
	iri = kgr_term_value(st, p, NULL);
	if (trav < 0)
		trav = cfg->walk_unannotated && iri && !is_excluded_ns(iri);
	if (!trav)
		return -1;
	if ((v = literal_of(st, p, vc->rel_weight))) {
		char *end;
		double x = strtod(v, &end);
		if (end != v && x > 0 && isfinite(x))
			w = x;
	}
	if (rc && rc->weight > 0)
		w = rc->weight;
	if (g->n_rels % 16 == 0) {
		void *np = realloc(g->rels, (g->n_rels + 16) * sizeof(*g->rels));
		if (!np)
			return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		g->rels = np;
	}
	r = &g->rels[g->n_rels];
	memset(r, 0, sizeof(*r));
	r->pred = p;
	r->weight = w;
	if (rc && rc->phrase)
		r->phrase = dupstr(rc->phrase);
	else if ((v = literal_of(st, p, vc->phrase)))
		r->phrase = dupstr(v);
	else
		r->phrase = dupstr(kgr_store_label(st, p));
	/* a relation phrased but without a shared phrase is one between products: two items meet
	 * at a product, they do not share it (the rationale says "A, like B, ...") */
	shared = rc && rc->shared ? rc->shared : literal_of(st, p, vc->shared);
	if (!shared && !literal_of(st, p, vc->phrase)) {
		snprintf(buf, sizeof(buf), "the %s", kgr_store_label(st, p));
		shared = buf;
	}
	r->shared = shared ? dupstr(shared) : NULL;
	inv = rc && rc->inverse ? rc->inverse : literal_of(st, p, vc->inverse);
	tmpl = rc && rc->phrase ? NULL : literal_of(st, p, vc->tmpl);
	if (tmpl && !strstr(tmpl, "{o}"))
		tmpl = NULL;
	r->inverse = inv ? dupstr(inv) : NULL;
	r->tmpl = tmpl ? dupstr(tmpl) : NULL;
	if (!r->phrase || (shared && !r->shared) || (inv && !r->inverse) || (tmpl && !r->tmpl)) {
		free(r->phrase);
		free(r->shared);
		free(r->inverse);
		free(r->tmpl);
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	}
	return (int)g->n_rels++;
}

/* The graph's table: by user and time; the events of one user at the same second keep the
 * order they come in (a build keeps its input's order, a live event goes after them). */
static int cmp_int(const kgr_interaction *x, const kgr_interaction *y)
{
	return kgr__interaction_cmp(x, y);
}

static int cmp_given(const void *a, const void *b, void *payload)
{
	const kgr_interaction *v = payload;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = cmp_int(&v[x], &v[y]);
	if (c)
		return c;
	return x < y ? -1 : (x > y);
}

/* src into dst by (user, time), equal events in src's order (qsort is not stable, so the
 * positions break ties); an input already in order (the store's, eval's split) is copied. */
static int sort_events(kgr_interaction *dst, const kgr_interaction *src, size_t n)
{
	uint32_t *order;
	size_t i;
	for (i = 1; i < n && cmp_int(&src[i - 1], &src[i]) <= 0; i++)
		;
	if (i >= n) {
		if (n)
			memcpy(dst, src, n * sizeof(*src));
		return 0;
	}
	if (n > UINT32_MAX)
		return kgr__error_set(KGR_ENOMEM, "graph: too many interactions (%zu)", n);
	if (!(order = malloc(n * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(uint32_t), cmp_given, (void *)src);
	for (i = 0; i < n; i++)
		dst[i] = src[order[i]];
	free(order);
	return 0;
}

static int cmp_pop(const void *a, const void *b, void *payload)
{
	const kgr_graph *sort_graph = payload;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (sort_graph->pop[x] != sort_graph->pop[y])
		return sort_graph->pop[x] > sort_graph->pop[y] ? -1 : 1;
	return x < y ? -1 : (x > y);
}

static int action_weights(kgr_graph *g, const vocab *vc, const kgr_interaction *ints, size_t n)
{
	size_t i, j;
	for (i = 0; i < n; i++) {
		kgr_id a = ints[i].action;
		for (j = 0; j < g->n_actions; j++)
			if (g->actions[j].action == a)
				break;
		if (j < g->n_actions)
			continue;
		if (g->n_actions % 8 == 0) {
			void *p = realloc(g->actions, (g->n_actions + 8) * sizeof(*g->actions));
			if (!p)
				return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
			g->actions = p;
		}
		g->actions[g->n_actions].action = a;
		g->actions[g->n_actions].weight = 1.0;
		if (a) {
			const char *v = literal_of(g->store, a, vc->default_weight);
			if (v) {
				char *end;
				double x = strtod(v, &end);
				if (end != v && x > 0 && isfinite(x))
					g->actions[g->n_actions].weight = x;
			}
		}
		g->n_actions++;
	}
	return 0;
}

/* The arrays kgr__graph_index_interactions() derives from the interaction table. */
static void free_interaction_index(kgr_graph *g)
{
	free(g->int_w);
	free(g->int_unode);
	free(g->int_inode);
	free(g->hist_off);
	free(g->hist_len);
	free(g->hist_cap);
	free(g->iu_off);
	free(g->iu_end);
	free(g->iu_cap);
	free(g->iu);
	free(g->iu_user);
	free(g->iu_w);
	free(g->iu_time);
	free(g->int_wdeg);
	free(g->pop);
	free(g->popular);
}

/* The recency half-life: the option when given, else an eighth of the events' time span,
 * at least a day. */
static void set_half_life(kgr_graph *g)
{
	if (g->opts.recency_half_life > 0)
		g->half_life = g->opts.recency_half_life;
	else {
		double span = (double)(g->t_max - g->t_min);
		g->half_life = span / 8 > 86400.0 ? span / 8 : 86400.0;
	}
}

/* One event in its item's list while the lists are built: what the list keeps of it, carried
 * along so that the lists are filled from sequential reads. */
typedef struct {
	int64_t time;
	double w;
	uint32_t ix, user;
} iu_rec;

static int iu_before(const iu_rec *a, const iu_rec *b)
{
	return a->time != b->time ? a->time < b->time : a->ix < b->ix;
}

static int cmp_iu_rec(const void *a, const void *b)
{
	const iu_rec *x = a, *y = b;
	return iu_before(x, y) ? -1 : iu_before(y, x);
}

/* Each item's list in (time, table position) order. The events go to their items' ranges in
 * table order (one pass), then each range is sorted on its own: a range is contiguous and
 * mostly short, so the sorts stay within the cache at any size, where one sort of every
 * event by time through an index read the table at random (superlinear from 1M to 5M
 * triples). The item's weighted degree is summed in its list's order, as live events redo it.
 * cnt: g->n_nodes + 1 zeroed counters. */
static int item_lists(kgr_graph *g, uint32_t *cnt)
{
	iu_rec *r = malloc((g->n_ints + 1) * sizeof(*r));
	size_t i, n = g->n_nodes;
	if (!r)
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory indexing interactions");
	for (i = 0; i < g->n_ints; i++) {
		uint32_t it = g->int_inode[i];
		iu_rec *x = &r[g->iu_off[it] + cnt[it]++];
		x->time = g->ints[i].time;
		x->w = kgr__action_weight(g, g->ints[i].action);
		x->ix = (uint32_t)i;
		x->user = g->int_unode[i];
	}
	for (i = 0; i < n; i++) {
		uint32_t a = g->iu_off[i], b = g->iu_off[i + 1], k, j;
		if (b - a > 24)
			qsort(r + a, b - a, sizeof(*r), cmp_iu_rec);
		else
			for (k = a + 1; k < b; k++) { /* insertion: a short range, mostly in order */
				iu_rec v = r[k];
				for (j = k; j > a && iu_before(&v, &r[j - 1]); j--)
					r[j] = r[j - 1];
				r[j] = v;
			}
		for (k = a; k < b; k++) {
			g->iu_user[k] = r[k].user;
			g->iu_w[k] = (float)r[k].w;
			g->iu_time[k] = r[k].time;
			g->iu[k] = r[k].ix;
			g->int_wdeg[i] += r[k].w;
		}
	}
	free(r);
	return 0;
}

int kgr__graph_index_interactions(kgr_graph *g)
{
	size_t i, n = g->n_nodes;
	uint32_t *cnt = NULL;
	int error = 0;

	free_interaction_index(g);
	g->int_unode = malloc((g->n_ints + 1) * sizeof(uint32_t));
	g->int_inode = malloc((g->n_ints + 1) * sizeof(uint32_t));
	g->iu_user = malloc((g->n_ints + 1) * sizeof(uint32_t));
	g->iu_w = malloc((g->n_ints + 1) * sizeof(float));
	g->iu_time = malloc((g->n_ints + 1) * sizeof(int64_t));
	g->int_w = malloc((g->n_ints + 1) * sizeof(float));
	g->hist_off = calloc(n + 1, sizeof(uint32_t));
	g->hist_len = calloc(n + 1, sizeof(uint32_t));
	g->hist_cap = calloc(n + 1, sizeof(uint32_t));
	g->iu_off = calloc(n + 2, sizeof(uint32_t));
	g->iu_end = calloc(n + 1, sizeof(uint32_t));
	g->iu_cap = calloc(n + 1, sizeof(uint32_t));
	g->iu = malloc((g->n_ints + 1) * sizeof(uint32_t));
	g->int_wdeg = calloc(n + 1, sizeof(double));
	g->pop = calloc(n + 1, sizeof(uint32_t));
	g->popular = malloc((n + 1) * sizeof(uint32_t));
	cnt = calloc(n + 1, sizeof(uint32_t));
	if (!g->int_unode || !g->int_inode || !g->iu_user || !g->iu_w || !g->iu_time || !g->int_w || !g->hist_off || !g->hist_len ||
		!g->hist_cap || !g->iu_off || !g->iu_end || !g->iu_cap || !g->iu || !g->int_wdeg || !g->pop ||
		!g->popular || !cnt) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory indexing interactions");
		goto cleanup;
	}
	g->t_min = g->n_ints ? g->ints[0].time : 0;
	g->t_max = g->t_min;
	for (i = 0; i < g->n_ints; i++) {
		const kgr_interaction *e = &g->ints[i];
		uint32_t u = kgr__node_of(g, e->user), it = kgr__node_of(g, e->item);
		double w = kgr__action_weight(g, e->action);
		g->int_w[i] = (float)w;
		g->int_unode[i] = u;
		g->int_inode[i] = it;
		if (i == 0 || e->user != g->ints[i - 1].user)
			g->hist_off[u] = (uint32_t)i;
		g->hist_len[u]++;
		g->pop[it]++;
		g->int_wdeg[u] += w;
		if (e->time < g->t_min)
			g->t_min = e->time;
		if (e->time > g->t_max)
			g->t_max = e->time;
	}
	for (i = 0; i < n; i++) {
		g->iu_off[i + 1] = g->iu_off[i] + g->pop[i];
		g->iu_end[i] = g->iu_off[i + 1];
		g->iu_cap[i] = g->pop[i];
		g->hist_cap[i] = g->hist_len[i];
	}
	g->ints_len = g->n_ints;
	g->ints_cap = g->n_ints + 1;
	g->iu_len = g->n_ints;
	g->iu_alloc = g->n_ints + 1;
	g->int_cap_nodes = (uint32_t)n;
	/* each item's list in time order, newest last, equal times in table order */
	if ((error = item_lists(g, cnt)) < 0)
		goto cleanup;
	g->n_popular = 0;
	g->max_pop = 0;
	for (i = 0; i < n; i++) {
		if (g->pop[i]) {
			g->popular[g->n_popular++] = (uint32_t)i;
			if (g->pop[i] > g->max_pop)
				g->max_pop = g->pop[i];
		}
	}
	qsort_r(g->popular, g->n_popular, sizeof(uint32_t), cmp_pop, g);
	set_half_life(g);
cleanup:
	free(cnt);
	return error;
}

static float spec_of(const kgr_graph *g, uint32_t n)
{
	double d = (g->flags[n] & KGR__NODE_USER) ? g->hist_len[n] : g->itemdeg[n];
	double s = log2(2.0 + d);
	if (g->flags[n] & KGR__NODE_HUB)
		s *= 10.0;
	return (float)s;
}

int kgr__graph_spec(kgr_graph *g)
{
	size_t i;
	free(g->spec);
	free(g->wdeg);
	g->wdeg = malloc(((size_t)g->n_nodes + 1) * sizeof(double));
	if (!(g->spec = malloc(((size_t)g->n_nodes + 1) * sizeof(float))) || !g->wdeg)
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	for (i = 0; i < g->n_nodes; i++) {
		g->wdeg[i] = kgr__wdeg_of(g, (uint32_t)i);
		g->spec[i] = spec_of(g, (uint32_t)i);
	}
	return 0;
}

/* The igraph view: catalog edges then one edge per interaction, with weights. */
static int build_igraph(kgr_graph *g)
{
	igraph_t *ig = NULL;
	igraph_vector_t *w = NULL;
	igraph_vector_int_t ev;
	size_t m = 0, e = 0;
	uint32_t u;
	int ev_init = 0, error = 0;

	ig = calloc(1, sizeof(*ig));
	w = calloc(1, sizeof(*w));
	if (!ig || !w) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto cleanup;
	}
	m = g->n_cat_edges + g->n_ints;
	if (igraph_vector_int_init(&ev, (igraph_integer_t)(2 * m)) != IGRAPH_SUCCESS) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto cleanup;
	}
	ev_init = 1;
	if (igraph_vector_init(w, (igraph_integer_t)m) != IGRAPH_SUCCESS) {
		free(w);
		w = NULL;
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto cleanup;
	}
	for (u = 0; u < g->n_cat_nodes; u++) {
		uint32_t k;
		for (k = g->cat_off[u]; k < g->cat_off[u + 1]; k++) {
			const kgr__adj *a = &g->cat[k];
			if ((a->rel & 1) || a->nbr == u)
				continue; /* each triple once, from its subject */
			VECTOR(ev)[2 * e] = u;
			VECTOR(ev)[2 * e + 1] = a->nbr;
			VECTOR(*w)[e] = g->rels[a->rel >> 1].weight;
			e++;
		}
	}
	/* per user block: after live events the slots between blocks hold nothing */
	for (u = 0; u < g->n_nodes; u++) {
		uint32_t k;
		for (k = g->hist_off[u]; k < g->hist_off[u] + g->hist_len[u]; k++) {
			VECTOR(ev)[2 * e] = u;
			VECTOR(ev)[2 * e + 1] = g->int_inode[k];
			VECTOR(*w)[e] = g->int_w[k];
			e++;
		}
	}
	igraph_vector_int_resize(&ev, (igraph_integer_t)(2 * e));
	igraph_vector_resize(w, (igraph_integer_t)e);
	if (igraph_create(ig, &ev, g->n_nodes, IGRAPH_UNDIRECTED) != IGRAPH_SUCCESS) {
		error = kgr__error_prefix("graph: building the igraph view");
		goto cleanup;
	}
	g->ig = ig;
	g->ig_weights = w;
	ig = NULL;
	w = NULL;
cleanup:
	if (ev_init)
		igraph_vector_int_destroy(&ev);
	if (w) {
		igraph_vector_destroy(w);
		free(w);
	}
	free(ig);
	return error;
}

static void free_igraph(kgr_graph *g)
{
	if (g->ig) {
		igraph_destroy(g->ig);
		free(g->ig);
		g->ig = NULL;
	}
	if (g->ig_weights) {
		igraph_vector_destroy(g->ig_weights);
		free(g->ig_weights);
		g->ig_weights = NULL;
	}
}

int kgr__graph_ppr_exact(const kgr_graph *g, const uint32_t *seeds, const double *w, size_t n,
	double damping, double *out)
{
	igraph_vector_t reset, res;
	size_t i;
	int error = 0;
	/* dropped by live events: build it again (this function is not thread-safe anyway) */
	if (!g->ig && (error = build_igraph((kgr_graph *)g)) < 0)
		return error;
	if (igraph_vector_init(&reset, g->n_nodes) != IGRAPH_SUCCESS)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (igraph_vector_init(&res, 0) != IGRAPH_SUCCESS) {
		igraph_vector_destroy(&reset);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		VECTOR(reset)[seeds[i]] += w ? w[i] : 1.0;
	if (igraph_personalized_pagerank(g->ig, IGRAPH_PAGERANK_ALGO_PRPACK, &res, NULL,
		    igraph_vss_all(), 0, damping, &reset, g->ig_weights, NULL) != IGRAPH_SUCCESS) {
		error = kgr__error_prefix("personalized PageRank");
		goto cleanup;
	}
	for (i = 0; i < g->n_nodes; i++)
		out[i] = VECTOR(res)[i];
cleanup:
	igraph_vector_destroy(&reset);
	igraph_vector_destroy(&res);
	return error;
}

typedef struct {
	uint32_t s, o, rel;
} raw_edge;

/* ---- owl:sameAs cliques ---- */

typedef struct {
	kgr_id s, o;
} same_pair;

static int cmp_pair(const void *a, const void *b)
{
	const same_pair *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->o < y->o ? -1 : (x->o > y->o);
}

static int cmp_id(const void *a, const void *b)
{
	kgr_id x = *(const kgr_id *)a, y = *(const kgr_id *)b;
	return x < y ? -1 : (x > y);
}

static int cmp_node_clique(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : (x[1] > y[1]);
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void cliques_free(kgr__cliques *c)
{
	free(c->off);
	free(c->term);
	free(c->link_off);
	free(c->link);
	free(c->node_off);
	free(c->node);
	free(c->of_term);
	free(c->by_node);
	memset(c, 0, sizeof(*c));
}

/* The sameAs links the graph view takes as identity: between two resources, outside the
 * ontology and the inferred graph, not a loop, no user at either end; each once. */
static int collect_same_links(const kgr_graph *g, const kgr_store *store, same_pair **out, size_t *n_out)
{
	kgr_id g_onto = kgr_store_iri(store, KGR_GRAPH_ONTOLOGY), g_inf = kgr_store_iri(store, KGR_GRAPH_INFERRED);
	same_pair *l = NULL;
	size_t n = 0, cap = 0, i, m;
	kgr_iter it;
	kgr_quad x;

	*out = NULL;
	*n_out = 0;
	kgr_store_match(store, &it, 0, g->id_sameas, 0, KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &x)) {
		uint32_t sn = kgr__node_of(g, x.s), on = kgr__node_of(g, x.o);
		if ((x.g && (x.g == g_onto || x.g == g_inf)) || x.s == x.o ||
			kgr_term_kind_of(store, x.s) == KGR_TERM_LITERAL || kgr_term_kind_of(store, x.o) == KGR_TERM_LITERAL)
			continue;
		if ((sn != KGR__NONE && (g->flags[sn] & KGR__NODE_USER)) ||
			(on != KGR__NONE && (g->flags[on] & KGR__NODE_USER)))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *p = realloc(l, nc * sizeof(*l));
			if (!p) {
				free(l);
				return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
			}
			l = p;
			cap = nc;
		}
		l[n].s = x.s;
		l[n].o = x.o;
		n++;
	}
	if (n > 1)
		qsort(l, n, sizeof(*l), cmp_pair);
	for (i = 0, m = 0; i < n; i++)
		if (m == 0 || cmp_pair(&l[m - 1], &l[i]))
			l[m++] = l[i];
	*out = l;
	*n_out = m;
	return 0;
}

/* The members of the cliques: the ends of the links, union-find over them, cliques numbered
 * by their smallest term and their members in term order; of_term maps each to its clique. */
static int clique_members(kgr__cliques *c, const same_pair *l, size_t n_links, size_t id_cap)
{
	kgr_id *terms = NULL;
	uint32_t *parent = NULL, *clq = NULL, *fill = NULL, n_cl = 0, k;
	size_t n_terms = 0, i, m = 0;
	int error = 0;

	if (!(terms = malloc(2 * n_links * sizeof(kgr_id))) || !(parent = malloc(2 * n_links * sizeof(uint32_t))) ||
		!(clq = malloc(2 * n_links * sizeof(uint32_t))) || !(c->of_term = calloc(id_cap, sizeof(uint32_t)))) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto cleanup;
	}
	c->of_term_n = id_cap;
	for (i = 0; i < n_links; i++) {
		terms[n_terms++] = l[i].s;
		terms[n_terms++] = l[i].o;
	}
	qsort(terms, n_terms, sizeof(kgr_id), cmp_id);
	for (i = 0; i < n_terms; i++)
		if (m == 0 || terms[m - 1] != terms[i])
			terms[m++] = terms[i];
	n_terms = m;
	for (i = 0; i < n_terms; i++) {
		parent[i] = (uint32_t)i;
		c->of_term[terms[i]] = (uint32_t)i + 1; /* for now: the member's index + 1 */
	}
	for (i = 0; i < n_links; i++) {
		uint32_t a = uf_find(parent, c->of_term[l[i].s] - 1), b = uf_find(parent, c->of_term[l[i].o] - 1);
		if (a != b)
			parent[a > b ? a : b] = a < b ? a : b; /* the root is the smallest term */
	}
	for (i = 0; i < n_terms; i++) {
		uint32_t r = uf_find(parent, (uint32_t)i);
		clq[i] = r == i ? n_cl++ : clq[r];
	}
	c->n = n_cl;
	c->off = calloc((size_t)n_cl + 1, sizeof(uint32_t));
	c->term = malloc(n_terms * sizeof(kgr_id));
	fill = calloc((size_t)n_cl + 1, sizeof(uint32_t));
	if (!c->off || !c->term || !fill) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto cleanup;
	}
	for (i = 0; i < n_terms; i++)
		c->off[clq[i] + 1]++;
	for (k = 0; k < n_cl; k++)
		c->off[k + 1] += c->off[k];
	for (i = 0; i < n_terms; i++) {
		c->term[c->off[clq[i]] + fill[clq[i]]++] = terms[i];
		c->of_term[terms[i]] = clq[i] + 1;
	}
cleanup:
	free(terms);
	free(parent);
	free(clq);
	free(fill);
	return error;
}

/* Position of member t in c->term (t is a member). */
static uint32_t member_pos(const kgr__cliques *c, kgr_id t)
{
	uint32_t k = c->of_term[t] - 1, lo = c->off[k], hi = c->off[k + 1];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c->term[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Each member's sameAs links, both ways, for the evidence paths' breadth-first search. */
static int clique_links(kgr__cliques *c, const same_pair *l, size_t n_links)
{
	size_t n_members = c->off[c->n], i;
	uint32_t *fill;

	c->link_off = calloc(n_members + 1, sizeof(uint32_t));
	c->link = malloc(2 * n_links * sizeof(kgr__same_link));
	fill = calloc(n_members + 1, sizeof(uint32_t));
	if (!c->link_off || !c->link || !fill) {
		free(fill);
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	}
	for (i = 0; i < n_links; i++) {
		c->link_off[member_pos(c, l[i].s) + 1]++;
		c->link_off[member_pos(c, l[i].o) + 1]++;
	}
	for (i = 0; i < n_members; i++)
		c->link_off[i + 1] += c->link_off[i];
	for (i = 0; i < n_links; i++) {
		uint32_t a = member_pos(c, l[i].s), b = member_pos(c, l[i].o);
		kgr__same_link *x = &c->link[c->link_off[a] + fill[a]++];
		x->other = b;
		x->reversed = 0;
		x = &c->link[c->link_off[b] + fill[b]++];
		x->other = a;
		x->reversed = 1;
	}
	free(fill);
	return 0;
}

/* The nodes walked for each clique: its items (flagged), else one slot left KGR__NONE for the
 * node clique_walk_nodes() makes when an edge needs it. */
static int clique_items(kgr_graph *g)
{
	kgr__cliques *c = &g->same;
	uint32_t k, m;

	if (!(c->node_off = calloc((size_t)c->n + 1, sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	for (k = 0; k < c->n; k++) {
		uint32_t items = 0;
		for (m = c->off[k]; m < c->off[k + 1]; m++) {
			uint32_t n = kgr__node_of(g, c->term[m]);
			items += n != KGR__NONE && (g->flags[n] & KGR__NODE_ITEM);
		}
		c->node_off[k + 1] = c->node_off[k] + (items ? items : 1);
	}
	if (!(c->node = malloc(((size_t)c->node_off[c->n] + 1) * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	for (k = 0; k < c->n; k++) {
		uint32_t at = c->node_off[k];
		c->node[at] = KGR__NONE;
		for (m = c->off[k]; m < c->off[k + 1]; m++) {
			uint32_t n = kgr__node_of(g, c->term[m]);
			if (n != KGR__NONE && (g->flags[n] & KGR__NODE_ITEM)) {
				c->node[at++] = n;
				g->flags[n] |= KGR__NODE_SAMEAS;
			}
		}
	}
	return 0;
}

/* owl:sameAs says two IRIs name one thing, so the graph view walks each clique (connected
 * component of sameAs links, either direction) as one node: the catalog edges of every member
 * are reachable from any member. Which node stands for a clique: its item when it has one;
 * with several items, each of them (an item is taken and recommended on its own, so none may
 * disappear) and each carries the clique's edges; without an item, one node named by the
 * smallest term id, made when the first edge meets the clique. The other members are no
 * nodes. The links are kept per member so that evidence paths can show a crossing as real
 * sameAs triples (retrieval/paths.c). Nothing is allocated when the store has no link.
 * Complexity: O(L log L + T) for L links and T terms (the member table). */
static int build_cliques(kgr_graph *g, const kgr_store *store)
{
	same_pair *l = NULL;
	size_t n_links = 0;
	int error = 0;

	if (!g->id_sameas)
		return 0;
	if ((error = collect_same_links(g, store, &l, &n_links)) < 0 || n_links == 0)
		goto cleanup;
	if ((error = clique_members(&g->same, l, n_links, g->id_cap)) < 0 ||
		(error = clique_links(&g->same, l, n_links)) < 0 || (error = clique_items(g)) < 0)
		cliques_free(&g->same);
cleanup:
	free(l);
	return error;
}

/* The walk nodes of clique k, making the one node of a clique without items. */
static int clique_walk_nodes(kgr_graph *g, uint32_t k, const uint32_t **out, size_t *n_out)
{
	kgr__cliques *c = &g->same;
	uint32_t at = c->node_off[k];
	if (c->node[at] == KGR__NONE) {
		uint32_t n = node_add(g, c->term[c->off[k]]);
		if (n == KGR__NONE)
			return KGR_ENOMEM;
		g->flags[n] |= KGR__NODE_SAMEAS;
		c->node[at] = n;
	}
	*out = c->node + at;
	*n_out = c->node_off[k + 1] - at;
	return 0;
}

/* The node -> clique table of the walk nodes, once every clique node exists. */
static int index_clique_nodes(kgr_graph *g)
{
	kgr__cliques *c = &g->same;
	uint32_t k, j;
	size_t n = 0;
	if (!c->n)
		return 0;
	if (!(c->by_node = malloc(2 * ((size_t)c->node_off[c->n] + 1) * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	for (k = 0; k < c->n; k++)
		for (j = c->node_off[k]; j < c->node_off[k + 1]; j++)
			if (c->node[j] != KGR__NONE) {
				c->by_node[2 * n] = c->node[j];
				c->by_node[2 * n + 1] = k;
				n++;
			}
	qsort(c->by_node, n, 2 * sizeof(uint32_t), cmp_node_clique);
	c->n_by_node = n;
	return 0;
}

uint32_t kgr__clique_of_node(const kgr_graph *g, uint32_t node)
{
	size_t lo = 0, hi = g->same.n_by_node;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t x = g->same.by_node[2 * mid];
		if (x == node)
			return g->same.by_node[2 * mid + 1];
		if (x < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return KGR__NONE;
}

size_t kgr__clique_nodes(const kgr_graph *g, kgr_id id, const uint32_t **out)
{
	uint32_t k = kgr__clique_of_term(g, id);
	if (k == KGR__NONE)
		return 0;
	*out = g->same.node + g->same.node_off[k];
	return g->same.node_off[k + 1] - g->same.node_off[k];
}

/* A catalog triple with an end in a clique: one edge between each walk node of the one end
 * and each of the other's. A triple inside one clique is a loop on it and is left out. */
static int add_clique_edges(kgr_graph *g, kgr_id s, kgr_id o, uint32_t rel, raw_edge **edges, size_t *n,
	size_t *cap)
{
	uint32_t ks = kgr__clique_of_term(g, s), ko = kgr__clique_of_term(g, o), one_s, one_o;
	const uint32_t *S = &one_s, *O = &one_o;
	size_t ns = 1, no = 1, i, j;
	int error;

	if (ks != KGR__NONE && ks == ko)
		return 0;
	if (ks != KGR__NONE) {
		if ((error = clique_walk_nodes(g, ks, &S, &ns)) < 0)
			return error;
	} else if ((one_s = node_add(g, s)) == KGR__NONE)
		return KGR_ENOMEM;
	if (ko != KGR__NONE) {
		if ((error = clique_walk_nodes(g, ko, &O, &no)) < 0)
			return error;
	} else if ((one_o = node_add(g, o)) == KGR__NONE)
		return KGR_ENOMEM;
	for (i = 0; i < ns; i++)
		for (j = 0; j < no; j++) {
			if (S[i] == O[j])
				continue;
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 256;
				void *p = realloc(*edges, nc * sizeof(**edges));
				if (!p)
					return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
				*edges = p;
				*cap = nc;
			}
			(*edges)[*n].s = S[i];
			(*edges)[*n].o = O[j];
			(*edges)[*n].rel = rel;
			(*n)++;
		}
	return 0;
}

static int cmp_raw_edge(const void *a, const void *b)
{
	const raw_edge *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->o != y->o)
		return x->o < y->o ? -1 : 1;
	return x->rel < y->rel ? -1 : (x->rel > y->rel);
}

/* The clique edges after the others, each once: two members' triples with the same
 * predicate to the same node are one edge of the merged node. */
static int append_clique_edges(raw_edge **edges, size_t *n, size_t *cap, raw_edge *ce, size_t n_ce)
{
	size_t i, m = 0;
	if (n_ce == 0)
		return 0;
	qsort(ce, n_ce, sizeof(*ce), cmp_raw_edge);
	for (i = 0; i < n_ce; i++)
		if (m == 0 || cmp_raw_edge(&ce[m - 1], &ce[i]))
			ce[m++] = ce[i];
	if (*n + m > *cap) {
		void *p = realloc(*edges, (*n + m) * sizeof(**edges));
		if (!p)
			return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		*edges = p;
		*cap = *n + m;
	}
	memcpy(*edges + *n, ce, m * sizeof(*ce));
	*n += m;
	return 0;
}

/* The catalog's edges between resources, in the store's order: each triple once (the
 * ontology's and the inferred graph's left out), no literal and no self-loop, only relations
 * the configuration walks, nothing that touches a user. New nodes are added as met. */
static int collect_catalog_edges(kgr_graph *g, const kgr_store *store, const kgr_graph_options *opts,
	const vocab *vc, graph_config *cfg, raw_edge **edges_out, size_t *n_out)
{
	int32_t *pred_rel = NULL;
	raw_edge *ce = NULL;
	size_t i, nq, cap_edges = 0, n_ce = 0, cap_ce = 0;
	const kgr_quad *q;
	kgr_id g_onto = kgr_store_iri(store, KGR_GRAPH_ONTOLOGY), g_inf = kgr_store_iri(store, KGR_GRAPH_INFERRED);
	kgr_id prev_s = 0, prev_p = 0, prev_o = 0;
	int error = 0;

	if (!(pred_rel = malloc(g->id_cap * sizeof(int32_t)))) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto done;
	}
	for (i = 0; i < g->id_cap; i++)
		pred_rel[i] = -2;
	q = opts->no_catalog ? NULL : kgr_store_quads(store, &nq);
	if (!q)
		nq = 0;
	for (i = 0; i < nq; i++) {
		uint32_t sn, on;
		int r;
		if (q[i].g && (q[i].g == g_onto || q[i].g == g_inf))
			continue;
		if (q[i].s == prev_s && q[i].p == prev_p && q[i].o == prev_o)
			continue;
		prev_s = q[i].s;
		prev_p = q[i].p;
		prev_o = q[i].o;
		if (q[i].s == q[i].o || kgr_term_kind_of(store, q[i].o) == KGR_TERM_LITERAL)
			continue;
		if (pred_rel[q[i].p] == -2) {
			r = classify_pred(g, vc, cfg, q[i].p);
			if (r < -1) {
				error = r;
				goto done;
			}
			pred_rel[q[i].p] = r;
		}
		r = pred_rel[q[i].p];
		if (r < 0)
			continue;
		sn = kgr__node_of(g, q[i].s);
		on = kgr__node_of(g, q[i].o);
		if ((sn != KGR__NONE && (g->flags[sn] & KGR__NODE_USER)) ||
			(on != KGR__NONE && (g->flags[on] & KGR__NODE_USER)))
			continue;
		if (g->same.n &&
			(kgr__clique_of_term(g, q[i].s) != KGR__NONE || kgr__clique_of_term(g, q[i].o) != KGR__NONE)) {
			if ((error = add_clique_edges(g, q[i].s, q[i].o, (uint32_t)r, &ce, &n_ce, &cap_ce)) < 0)
				goto done;
			continue;
		}
		if (sn == KGR__NONE && (sn = node_add(g, q[i].s)) == KGR__NONE) {
			error = KGR_ENOMEM;
			goto done;
		}
		if (on == KGR__NONE && (on = node_add(g, q[i].o)) == KGR__NONE) {
			error = KGR_ENOMEM;
			goto done;
		}
		if (*n_out == cap_edges) {
			size_t nc = cap_edges ? cap_edges * 2 : 4096;
			void *p = realloc(*edges_out, nc * sizeof(**edges_out));
			if (!p) {
				error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
				goto done;
			}
			*edges_out = p;
			cap_edges = nc;
		}
		(*edges_out)[*n_out].s = sn;
		(*edges_out)[*n_out].o = on;
		(*edges_out)[*n_out].rel = (uint32_t)r;
		(*n_out)++;
	}
	error = append_clique_edges(edges_out, n_out, &cap_edges, ce, n_ce);
done:
	free(pred_rel);
	free(ce);
	return error;
}

static int drop_dead_ends(kgr_graph *g, raw_edge *edges, size_t *n_edges)
{
	uint32_t *cnt;
	size_t i;

	/* dead ends: a resource that is not an item and meets one edge (an image, a rating
	 * node, an offer) links nothing to anything; leave it out */
	if (!(cnt = calloc((size_t)g->n_nodes + 1, sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	for (i = 0; i < *n_edges; i++) {
		cnt[edges[i].s]++;
		cnt[edges[i].o]++;
	}
	{
		size_t m = 0;
		for (i = 0; i < *n_edges; i++) {
			uint32_t a = edges[i].s, b = edges[i].o;
			if ((cnt[a] < 2 && !(g->flags[a] & KGR__NODE_ITEM)) ||
				(cnt[b] < 2 && !(g->flags[b] & KGR__NODE_ITEM)))
				continue;
			edges[m++] = edges[i];
		}
		*n_edges = m;
	}
	free(cnt);
	return 0;
}

/* A neighbour's place in a node's list: its popularity (descending) and node in one key, then
 * the relation. */
typedef struct {
	uint64_t key;
	uint32_t rel;
} adj_key;

static int adj_key_before(const adj_key *a, const adj_key *b)
{
	return a->key != b->key ? a->key < b->key : a->rel < b->rel;
}

static int cmp_adj_key(const void *pa, const void *pb)
{
	const adj_key *a = pa, *b = pb;
	return adj_key_before(a, b) ? -1 : adj_key_before(b, a);
}

/* Each node's neighbours by popularity (descending), then node, then relation (as
 * adj_before()). Each neighbour's popularity is read once into a key, in a loop whose reads
 * do not wait for each other, and the list is sorted by the keys: a sort that compared
 * through pop[] waited on one cache miss after another (the catalog CSR 0.6x to 0.8x at 1M
 * to 20M triples, docs/BENCHMARKS.md). -1 when out of memory. */
static int sort_adjacency(kgr_graph *g)
{
	size_t i, most = 0, k, j;
	adj_key *t;
	for (i = 0; i < g->n_nodes; i++)
		if (g->cat_off[i + 1] - g->cat_off[i] > most)
			most = g->cat_off[i + 1] - g->cat_off[i];
	if (most < 2)
		return 0;
	if (!(t = malloc(most * sizeof(*t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	for (i = 0; i < g->n_nodes; i++) {
		kgr__adj *a = g->cat + g->cat_off[i];
		size_t n = g->cat_off[i + 1] - g->cat_off[i];
		if (n < 2)
			continue;
		for (k = 0; k < n; k++) {
			t[k].key = (uint64_t)(UINT32_MAX - g->pop[a[k].nbr]) << 32 | a[k].nbr;
			t[k].rel = a[k].rel;
		}
		if (n > 16)
			qsort(t, n, sizeof(*t), cmp_adj_key);
		else
			for (k = 1; k < n; k++) { /* insertion: a short list */
				adj_key v = t[k];
				for (j = k; j > 0 && adj_key_before(&v, &t[j - 1]); j--)
					t[j] = t[j - 1];
				t[j] = v;
			}
		for (k = 0; k < n; k++) {
			a[k].nbr = (uint32_t)t[k].key;
			a[k].rel = t[k].rel;
		}
	}
	free(t);
	return 0;
}

/* The catalog as CSR in both directions (a reversed step's relation has its low bit set),
 * each node's neighbours sorted, with weighted degrees and item degrees. */
static int build_catalog_csr(kgr_graph *g, const raw_edge *edges, size_t n_edges)
{
	uint32_t *cnt;
	size_t i;

	/* catalog CSR, both directions */
	g->n_cat_nodes = g->n_nodes;
	g->cat_off = calloc((size_t)g->n_nodes + 1, sizeof(uint32_t));
	g->cat = malloc((2 * n_edges + 1) * sizeof(kgr__adj));
	g->cat_wdeg = calloc((size_t)g->n_nodes + 1, sizeof(double));
	cnt = calloc((size_t)g->n_nodes + 1, sizeof(uint32_t));
	if (!g->cat_off || !g->cat || !g->cat_wdeg || !cnt) {
		free(cnt);
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	}
	for (i = 0; i < n_edges; i++) {
		cnt[edges[i].s]++;
		cnt[edges[i].o]++;
	}
	for (i = 0; i < g->n_nodes; i++)
		g->cat_off[i + 1] = g->cat_off[i] + cnt[i];
	memset(cnt, 0, (size_t)g->n_nodes * sizeof(uint32_t));
	for (i = 0; i < n_edges; i++) {
		const raw_edge *e = &edges[i];
		double w = g->rels[e->rel].weight;
		kgr__adj *a = &g->cat[g->cat_off[e->s] + cnt[e->s]++];
		a->nbr = e->o;
		a->rel = e->rel << 1;
		a = &g->cat[g->cat_off[e->o] + cnt[e->o]++];
		a->nbr = e->s;
		a->rel = e->rel << 1 | 1;
		g->cat_wdeg[e->s] += w;
		g->cat_wdeg[e->o] += w;
		if (g->flags[e->o] & KGR__NODE_ITEM)
			g->itemdeg[e->s]++;
		if (g->flags[e->s] & KGR__NODE_ITEM)
			g->itemdeg[e->o]++;
	}
	free(cnt);
	return sort_adjacency(g);
}

/* The hub degree (options, the configuration, else 2% of the items and at least 100) and the
 * nodes above it. */
static void set_hubs(kgr_graph *g, const kgr_graph_options *opts, const graph_config *cfg, size_t n_items)
{
	size_t i;
	/* hubs: nodes linked to many items explain nothing */
	if (opts->hub_degree > 0)
		g->hub_degree = opts->hub_degree;
	else if (cfg->hub_degree > 0)
		g->hub_degree = cfg->hub_degree;
	else {
		double x = 0.02 * (double)n_items;
		g->hub_degree = x > 100 ? x : 100;
	}
	for (i = 0; i < g->n_nodes; i++)
		if ((double)g->itemdeg[i] > g->hub_degree)
			g->flags[i] |= KGR__NODE_HUB;
}

/* The ontology's terms the graph view reads, as ids of this store (0 when it lacks one). */
static void vocab_of(kgr_graph *g, vocab *vc)
{
	const kgr_store *store = g->store;
	vc->traversable = kgr_store_iri(store, KGR_NS "traversable");
	vc->rel_weight = kgr_store_iri(store, KGR_NS "relationWeight");
	vc->phrase = kgr_store_iri(store, KGR_NS "phrase");
	vc->shared = kgr_store_iri(store, KGR_NS "sharedPhrase");
	vc->inverse = kgr_store_iri(store, KGR_NS "inversePhrase");
	vc->tmpl = kgr_store_iri(store, KGR_NS "phraseTemplate");
	vc->default_weight = kgr_store_iri(store, KGR_NS "defaultWeight");
	vc->k_user = kgr_store_iri(store, KGR_NS "user");
	vc->k_item = kgr_store_iri(store, KGR_NS "item");
	vc->k_action = kgr_store_iri(store, KGR_NS "action");
	vc->interacted = kgr_store_iri(store, KGR_NS "interactedWith");
	vc->subprop = kgr_store_iri(store, RDFS_NS "subPropertyOf");
	g->id_interact = kgr_store_iri(store, KGR_NS "interact");
	g->id_phrase = vc->phrase;
	g->id_inverse = vc->inverse;
	g->id_tmpl = vc->tmpl;
	g->id_sameas = kgr_store_iri(store, OWL_NS "sameAs");
	g->id_price = kgr_store_iri(store, "http://schema.org/price");
	g->id_lowprice = kgr_store_iri(store, "http://schema.org/lowPrice");
	g->id_currency = kgr_store_iri(store, "http://schema.org/priceCurrency");
	g->id_offers = kgr_store_iri(store, "http://schema.org/offers");
	g->id_audience = kgr_store_iri(store, "http://schema.org/audience");
	g->id_occasion = kgr_store_iri(store, KGR_NS "occasion");
}

static double wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Ends step k of the build: its time since *t0, which moves on. */
static void step_done(kgr_graph *g, int k, double *t0)
{
	double t = wall_ms();
	g->build_ms[k] += t - *t0;
	*t0 = t;
}

int kgr_graph_new(kgr_graph **out, const kgr_store *store, const kgr_graph_options *opts)
{
	double t0 = wall_ms();
	kgr_graph_options defaults = KGR_GRAPH_OPTIONS_INIT;
	graph_config cfg;
	kgr_graph *g = NULL;
	vocab vc;
	raw_edge *edges = NULL;
	size_t n_edges = 0, i, n_items, n_users;
	const kgr_id *items, *users;
	const kgr_interaction *src;
	int error = 0;

	kgr_init();
	memset(&cfg, 0, sizeof(cfg));
	*out = NULL;
	if (!opts)
		opts = &defaults;
	KGR__CHECK_VERSION(opts, KGR_GRAPH_OPTIONS_VERSION, "graph");
	if (!(g = calloc(1, sizeof(*g))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->store = store;
	g->opts = *opts;
	g->opts.config_path = NULL;
	g->opts.interactions = NULL;

	if ((error = config_load(&cfg, store, opts->config_path)) < 0)
		goto cleanup;
	vocab_of(g, &vc);

	if ((error = grow_ids(g, kgr_store_term_count(store) + 1)) < 0)
		goto cleanup;
	/* interactions: the store's or the caller's training split */
	if (opts->interactions) {
		src = opts->interactions;
		g->n_ints = opts->n_interactions;
	} else
		src = kgr_store_interactions(store, &g->n_ints);
	if (!(g->ints = malloc((g->n_ints + 1) * sizeof(kgr_interaction)))) {
		error = kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		goto cleanup;
	}
	if ((error = sort_events(g->ints, src, g->n_ints)) < 0 ||
		(error = action_weights(g, &vc, g->ints, g->n_ints)) < 0)
		goto cleanup;
	step_done(g, KGR__BUILD_EVENTS, &t0);

	/* nodes: items, then users */
	items = kgr_store_items(store, &n_items);
	for (i = 0; i < n_items; i++) {
		uint32_t n = node_add(g, items[i]);
		if (n == KGR__NONE) {
			error = KGR_ENOMEM;
			goto cleanup;
		}
		g->flags[n] |= KGR__NODE_ITEM;
	}
	users = kgr_store_users(store, &n_users);
	for (i = 0; i < g->n_ints; i++) {
		uint32_t u = node_add(g, g->ints[i].user), it;
		if (u == KGR__NONE || (it = node_add(g, g->ints[i].item)) == KGR__NONE) {
			error = KGR_ENOMEM;
			goto cleanup;
		}
		g->flags[u] |= KGR__NODE_USER;
		g->flags[it] |= KGR__NODE_ITEM;
	}
	/* user nodes of the full store too, so that a held-out user's triples stay out */
	for (i = 0; i < n_users; i++) {
		uint32_t u = node_add(g, users[i]);
		if (u == KGR__NONE) {
			error = KGR_ENOMEM;
			goto cleanup;
		}
		g->flags[u] |= KGR__NODE_USER;
	}

	step_done(g, KGR__BUILD_NODES, &t0);

	/* catalog edges, each owl:sameAs clique walked as one node */
	if (!opts->no_catalog && (error = build_cliques(g, store)) < 0)
		goto cleanup;
	if ((error = collect_catalog_edges(g, store, opts, &vc, &cfg, &edges, &n_edges)) < 0 ||
		(error = index_clique_nodes(g)) < 0 || (error = drop_dead_ends(g, edges, &n_edges)) < 0)
		goto cleanup;
	g->n_cat_edges = n_edges;
	step_done(g, KGR__BUILD_CATALOG, &t0);

	if ((error = kgr__graph_index_interactions(g)) < 0)
		goto cleanup;
	step_done(g, KGR__BUILD_INTS, &t0);

	if ((error = build_catalog_csr(g, edges, n_edges)) < 0)
		goto cleanup;
	step_done(g, KGR__BUILD_CSR, &t0);
	free(edges);
	edges = NULL;
	set_hubs(g, opts, &cfg, n_items);

	if ((error = kgr__graph_spec(g)) < 0)
		goto cleanup;
	step_done(g, KGR__BUILD_SPEC, &t0);
	/* no igraph view yet: only the full PRPACK solve reads it, and builds it when asked
	 * (kgr__graph_ppr_exact()); requests never do, and building it took about a third of
	 * the view's time and memory */
	if ((error = kgr__text_build(g)) < 0)
		goto cleanup;
	step_done(g, KGR__BUILD_TEXT, &t0);
	*out = g;
	g = NULL;
cleanup:
	config_free(&cfg);
	free(edges);
	kgr_graph_free(g);
	return error;
}

/* Grow the per-node interaction arrays (and spec) to hold g->n_nodes nodes, zero-filled. */
static int grow_int_nodes(kgr_graph *g)
{
	uint32_t old = g->int_cap_nodes, cap = old ? old : 1024;
	size_t i;
	uint32_t **u32[] = { &g->hist_off, &g->hist_len, &g->hist_cap, &g->iu_off, &g->iu_end, &g->iu_cap,
		&g->pop, &g->popular };
	void *p;
	if (g->n_nodes <= old)
		return 0;
	while (cap < g->n_nodes)
		cap *= 2;
	for (i = 0; i < sizeof(u32) / sizeof(u32[0]); i++) {
		if (!(p = realloc(*u32[i], ((size_t)cap + 2) * sizeof(uint32_t))))
			return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
		*u32[i] = p;
	}
	if (!(p = realloc(g->int_wdeg, ((size_t)cap + 1) * sizeof(double))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->int_wdeg = p;
	if (!(p = realloc(g->spec, ((size_t)cap + 1) * sizeof(float))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->spec = p;
	if (!(p = realloc(g->wdeg, ((size_t)cap + 1) * sizeof(double))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->wdeg = p;
	/* popular keeps its entries; the rest starts empty */
	for (i = 0; i < sizeof(u32) / sizeof(u32[0]) - 1; i++)
		memset(*u32[i] + old, 0, ((size_t)cap + 2 - old) * sizeof(uint32_t));
	memset(g->int_wdeg + old, 0, ((size_t)cap + 1 - old) * sizeof(double));
	memset(g->spec + old, 0, ((size_t)cap + 1 - old) * sizeof(float));
	memset(g->wdeg + old, 0, ((size_t)cap + 1 - old) * sizeof(double));
	g->int_cap_nodes = cap;
	return 0;
}

/* Room for need more interaction slots at the end of the user blocks. */
static int reserve_ints(kgr_graph *g, size_t need)
{
	size_t cap = g->ints_cap;
	void *p;
	if (g->ints_len + need <= g->ints_cap)
		return 0;
	while (cap < g->ints_len + need)
		cap = cap < 1024 ? 2048 : cap + cap / 2;
	if (!(p = realloc(g->ints, cap * sizeof(kgr_interaction))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->ints = p;
	if (!(p = realloc(g->int_w, cap * sizeof(float))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->int_w = p;
	if (!(p = realloc(g->int_unode, cap * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->int_unode = p;
	if (!(p = realloc(g->int_inode, cap * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->int_inode = p;
	g->ints_cap = cap;
	return 0;
}

static int reserve_iu(kgr_graph *g, size_t need)
{
	size_t cap = g->iu_alloc;
	void *p;
	if (g->iu_len + need <= g->iu_alloc)
		return 0;
	while (cap < g->iu_len + need)
		cap = cap < 1024 ? 2048 : cap + cap / 2;
	if (!(p = realloc(g->iu, cap * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->iu = p;
	if (!(p = realloc(g->iu_user, cap * sizeof(uint32_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->iu_user = p;
	if (!(p = realloc(g->iu_w, cap * sizeof(float))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->iu_w = p;
	if (!(p = realloc(g->iu_time, cap * sizeof(int64_t))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	g->iu_time = p;
	g->iu_alloc = cap;
	return 0;
}

/* Interaction slot from moved to slot to: the item's list follows it. */
static void move_int(kgr_graph *g, uint32_t from, uint32_t to)
{
	uint32_t it = g->int_inode[from], k;
	g->ints[to] = g->ints[from];
	g->int_w[to] = g->int_w[from];
	g->int_unode[to] = g->int_unode[from];
	g->int_inode[to] = it;
	for (k = g->iu_end[it]; k > g->iu_off[it]; k--)
		if (g->iu[k - 1] == from) {
			g->iu[k - 1] = to;
			break;
		}
}

/* Order of an item's list: time, then user (a build's order: by time, then by place in the
 * table; a live event goes after the equal ones). */
static int cmp_iu(const kgr_interaction *x, const kgr_interaction *y)
{
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return cmp_int(x, y);
}

/* Popularity order (cmp_pop): does node x with count px come before node y with count py? */
static int pop_before(uint32_t x, uint32_t px, uint32_t y, uint32_t py)
{
	if (px != py)
		return px > py;
	return x < y;
}

/* Item it just got one more interaction (g->pop[it] already counts it): move it up the
 * popularity list, which is still ordered by the old count at its place. */
static void popular_bump(kgr_graph *g, uint32_t it)
{
	uint32_t now = g->pop[it], old = now - 1;
	size_t lo = 0, hi = g->n_popular, pos = g->n_popular;
	if (old > 0) {
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			uint32_t y = g->popular[mid];
			if (y == it) {
				pos = mid;
				break;
			}
			if (pop_before(y, g->pop[y], it, old))
				lo = mid + 1;
			else
				hi = mid;
		}
		assert(pos < g->n_popular);
	} else
		g->n_popular++;
	lo = 0;
	hi = pos;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t y = g->popular[mid];
		if (pop_before(y, g->pop[y], it, now))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(g->popular + lo + 1, g->popular + lo, (pos - lo) * sizeof(uint32_t));
	g->popular[lo] = it;
	if (now > g->max_pop)
		g->max_pop = now;
}

/* Order of an adjacency list (sort_adjacency()): does (nbr x, count px, rel rx) come before y's? */
static int adj_before(uint32_t x, uint32_t px, uint32_t rx, uint32_t y, uint32_t py, uint32_t ry)
{
	if (px != py)
		return px > py;
	if (x != y)
		return x < y;
	return rx < ry;
}

/* Item it just got one more interaction: in the adjacency list of each catalog neighbour,
 * its entries (one per relation, side by side) move up to where a build sorts them. */
static void catalog_bump(kgr_graph *g, uint32_t it)
{
	uint32_t now = g->pop[it], old = now - 1, k;
	kgr__adj moved[16];
	if (it >= g->n_cat_nodes)
		return;
	for (k = g->cat_off[it]; k < g->cat_off[it + 1]; k++) {
		uint32_t y = g->cat[k].nbr, lo, hi, first, end, c;
		kgr__adj *l;
		if (k > g->cat_off[it] && g->cat[k - 1].nbr == y)
			continue; /* same neighbour by another relation: its list is done */
		l = g->cat;
		/* the block of it's entries, ordered by the old count */
		lo = g->cat_off[y];
		hi = g->cat_off[y + 1];
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2, z = l[mid].nbr;
			if (z != it && adj_before(z, g->pop[z], l[mid].rel, it, old, 0))
				lo = mid + 1;
			else
				hi = mid;
		}
		first = lo;
		while (first < g->cat_off[y + 1] && l[first].nbr != it)
			first++; /* not reached: it is in the list */
		for (end = first; end < g->cat_off[y + 1] && l[end].nbr == it; end++)
			;
		c = end - first;
		if (c == 0)
			continue;
		/* its new place among the entries before it */
		lo = g->cat_off[y];
		hi = first;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2, z = l[mid].nbr;
			if (adj_before(z, g->pop[z], l[mid].rel, it, now, 0))
				lo = mid + 1;
			else
				hi = mid;
		}
		/* move the block before [lo, first), 16 entries at a time */
		while (lo < first) {
			uint32_t step = c < 16 ? c : 16;
			memcpy(moved, l + first, step * sizeof(kgr__adj));
			memmove(l + lo + step, l + lo, (first - lo) * sizeof(kgr__adj));
			memcpy(l + lo, moved, step * sizeof(kgr__adj));
			lo += step;
			first += step;
			c -= step;
			if (c == 0)
				break;
		}
	}
}

/* Weighted degree of a node, summed in the order a build sums it (its history, then its
 * list as an item), so that it comes out bit for bit the same. */
static void wdeg_redo(kgr_graph *g, uint32_t n)
{
	double d = 0;
	uint32_t k;
	for (k = g->hist_off[n]; k < g->hist_off[n] + g->hist_len[n]; k++)
		d += kgr__action_weight(g, g->ints[k].action);
	g->int_wdeg[n] = d;
	for (k = g->iu_off[n]; k < g->iu_end[n]; k++)
		g->int_wdeg[n] += kgr__action_weight(g, g->ints[g->iu[k]].action);
	g->wdeg[n] = kgr__wdeg_of(g, n);
}

/* One event into the interaction structures, exactly where a build would put it. */
static int add_one(kgr_graph *g, const kgr_interaction *e)
{
	uint32_t u = kgr__node_of(g, e->user), it = kgr__node_of(g, e->item), p, k, q;
	double w = kgr__action_weight(g, e->action);
	int error;

	/* the user's block: full, so it moves to the end with room to grow */
	if (g->hist_len[u] == g->hist_cap[u]) {
		uint32_t len = g->hist_len[u], cap = len < 4 ? 8 : 2 * len, from = g->hist_off[u], to;
		if ((error = reserve_ints(g, cap)) < 0)
			return error;
		if (g->ints_len + cap > UINT32_MAX)
			return kgr__error_set(KGR_ENOMEM, "graph: too many interaction slots");
		to = (uint32_t)g->ints_len;
		for (k = 0; k < len; k++)
			move_int(g, from + k, to + k);
		g->hist_off[u] = to;
		g->hist_cap[u] = cap;
		g->ints_len += cap;
	}
	/* the item's list: likewise */
	if (g->iu_end[it] - g->iu_off[it] == g->iu_cap[it]) {
		uint32_t len = g->iu_cap[it], cap = len < 4 ? 8 : 2 * len, from = g->iu_off[it];
		if ((error = reserve_iu(g, cap)) < 0)
			return error;
		if (g->iu_len + cap > UINT32_MAX)
			return kgr__error_set(KGR_ENOMEM, "graph: too many interaction slots");
		memcpy(g->iu + g->iu_len, g->iu + from, len * sizeof(uint32_t));
		memcpy(g->iu_user + g->iu_len, g->iu_user + from, len * sizeof(uint32_t));
		memcpy(g->iu_w + g->iu_len, g->iu_w + from, len * sizeof(float));
		memcpy(g->iu_time + g->iu_len, g->iu_time + from, len * sizeof(int64_t));
		g->iu_off[it] = (uint32_t)g->iu_len;
		g->iu_end[it] = (uint32_t)g->iu_len + len;
		g->iu_cap[it] = cap;
		g->iu_len += cap;
	}
	/* place in the user's history (after the events of the same second), later events shift up */
	p = g->hist_off[u] + g->hist_len[u];
	while (p > g->hist_off[u] && cmp_int(&g->ints[p - 1], e) > 0)
		p--;
	for (k = g->hist_off[u] + g->hist_len[u]; k > p; k--)
		move_int(g, k - 1, k);
	g->ints[p] = *e;
	g->int_w[p] = (float)w;
	g->int_unode[p] = u;
	g->int_inode[p] = it;
	g->hist_len[u]++;
	/* place in the item's list */
	q = g->iu_end[it];
	while (q > g->iu_off[it] && cmp_iu(&g->ints[g->iu[q - 1]], e) > 0)
		q--;
	memmove(g->iu + q + 1, g->iu + q, (g->iu_end[it] - q) * sizeof(uint32_t));
	memmove(g->iu_user + q + 1, g->iu_user + q, (g->iu_end[it] - q) * sizeof(uint32_t));
	memmove(g->iu_w + q + 1, g->iu_w + q, (g->iu_end[it] - q) * sizeof(float));
	memmove(g->iu_time + q + 1, g->iu_time + q, (g->iu_end[it] - q) * sizeof(int64_t));
	g->iu[q] = p;
	g->iu_user[q] = u;
	g->iu_w[q] = (float)w;
	g->iu_time[q] = e->time;
	g->iu_end[it]++;
	/* counts */
	g->pop[it]++;
	popular_bump(g, it);
	catalog_bump(g, it);
	wdeg_redo(g, u);
	if (it != u)
		wdeg_redo(g, it);
	if (g->n_ints == 0)
		g->t_min = g->t_max = e->time;
	if (e->time < g->t_min)
		g->t_min = e->time;
	if (e->time > g->t_max)
		g->t_max = e->time;
	g->n_ints++;
	g->spec[u] = spec_of(g, u);
	g->spec[it] = spec_of(g, it);
	return 0;
}

/* Live events, incrementally: each event goes into its user's block and its item's list at
 * the place a build would give it, and only the counts it touches change (popularity,
 * weighted degrees, the user's specificity, the time span). A block or list that is full
 * moves to the end of its array with twice the room, so the cost of an event is its user's
 * history plus its item's list, not the whole table.
 * Complexity: O(h + l + log P) per event (h: the user's history, l: the item's list, P:
 * items with interactions), amortised. */
int kgr_graph_add_interactions(kgr_graph *g, const kgr_interaction *events, size_t n)
{
	kgr_interaction *sorted = NULL;
	uint32_t old_nodes = g->n_nodes;
	size_t i;
	int error = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!events[i].user || !events[i].item)
			return kgr__error_set(KGR_EINVALID, "live event %zu: user and item must be set", i);
	}
	/* new nodes, and room for them in every per-node array before anyone can reach them */
	for (i = 0; i < n && error == 0; i++)
		if (node_add(g, events[i].user) == KGR__NONE || node_add(g, events[i].item) == KGR__NONE)
			error = KGR_ENOMEM;
	if (grow_int_nodes(g) < 0) {
		/* take the new nodes back: nothing may reach a node the arrays do not cover */
		for (i = old_nodes; i < g->n_nodes; i++)
			g->id_node[g->node_id[i]] = 0;
		g->n_nodes = old_nodes;
		return KGR_ENOMEM;
	}
	for (i = old_nodes; i < g->n_nodes; i++)
		g->spec[i] = spec_of(g, (uint32_t)i);
	if (error < 0)
		return error;
	for (i = 0; i < n; i++) {
		g->flags[kgr__node_of(g, events[i].user)] |= KGR__NODE_USER;
		g->flags[kgr__node_of(g, events[i].item)] |= KGR__NODE_ITEM;
	}
	/* new actions get their weights */
	{
		vocab vc;
		memset(&vc, 0, sizeof(vc));
		vc.default_weight = kgr_store_iri(g->store, KGR_NS "defaultWeight");
		if ((error = action_weights(g, &vc, events, n)) < 0)
			return error;
	}
	/* The igraph view (the full PRPACK solve only), when one was built, is dropped rather
	 * than extended: igraph_add_edges() re-sorts every edge, about half a second on a
	 * 5M-triple store. kgr__graph_ppr_exact() builds it again when asked. */
	free_igraph(g);
	if (!(sorted = malloc(n * sizeof(*sorted))))
		return kgr__error_set(KGR_ENOMEM, "graph: out of memory");
	if ((error = sort_events(sorted, events, n)) < 0) {
		free(sorted);
		return error;
	}
	for (i = 0; i < n; i++)
		if ((error = add_one(g, &sorted[i])) < 0)
			break; /* the events before it are in, consistently */
	free(sorted);
	set_half_life(g);
	return error;
}

void kgr_graph_free(kgr_graph *g)
{
	size_t i;
	if (!g)
		return;
	free_igraph(g);
	kgr__text_free(g->text);
	for (i = 0; i < g->n_rels; i++) {
		free(g->rels[i].phrase);
		free(g->rels[i].shared);
		free(g->rels[i].inverse);
		free(g->rels[i].tmpl);
	}
	free(g->rels);
	free(g->actions);
	free(g->node_id);
	free(g->id_node);
	free(g->flags);
	free(g->itemdeg);
	free(g->spec);
	free(g->wdeg);
	free(g->cat_off);
	free(g->cat);
	free(g->cat_wdeg);
	free(g->ints);
	free_interaction_index(g);
	cliques_free(&g->same);
	free(g);
}

const kgr_store *kgr_graph_store(const kgr_graph *g)
{
	return g->store;
}
