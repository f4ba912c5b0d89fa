#include "retrieval/json.h"
#include "util/json_print.h"
#include "util/util.h"

#include <stdlib.h>

static const char *val(const kgr_store *st, kgr_id id)
{
	const char *v = id ? kgr_term_value(st, id, NULL) : NULL;
	return v ? v : "";
}

/* Members under a constant key (a literal, a feature's or a generator's name): the key is
 * not copied, so a number or a flag costs one allocation instead of two. Each returns the
 * member, NULL when out of memory. */
static cJSON *add_cs(cJSON *obj, const char *key, cJSON *v)
{
	if (v && !cJSON_AddItemToObjectCS(obj, key, v)) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/* A string member that points at text the tree does not outlive (the store's terms and
 * labels, the list's notes and rationales, string constants): no copy of the key or value,
 * which is most of the cost of building a reply. */
static void add_ref(cJSON *obj, const char *key, const char *value)
{
	add_cs(obj, key, cJSON_CreateStringReference(value));
}

static cJSON *add_num(cJSON *obj, const char *key, double x)
{
	return add_cs(obj, key, cJSON_CreateNumber(x));
}


int kgr__json_add_meta_paths(cJSON *obj, const kgr_store *st, const kgr_rec_item *it)
{
	cJSON *arr = cJSON_CreateArray();
	size_t j;
	if (!arr)
		return -1;
	for (j = 0; j < it->n_patterns && j < KGR__JSON_MAX_META_PATHS; j++) {
		char buf[512], *name = buf;
		size_t len = kgr_path_pattern_name(st, &it->patterns[j], buf, sizeof(buf));
		cJSON *p;
		if (len >= sizeof(buf)) {
			if (!(name = malloc(len + 1)))
				break;
			kgr_path_pattern_name(st, &it->patterns[j], name, len + 1);
		}
		if ((p = cJSON_CreateObject())) {
			add_cs(p, "pattern", cJSON_CreateString(name));
			add_num(p, "count", (double)it->patterns[j].count);
			cJSON_AddItemToArray(arr, p);
		}
		if (name != buf)
			free(name);
	}
	add_cs(obj, "meta_paths", arr);
	return add_num(obj, "meta_paths_total", (double)it->n_patterns) ? 0 : -1;
}

static cJSON *edge_json(const kgr_store *st, const kgr_edge *e)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	add_ref(o, "s", val(st, e->s));
	add_ref(o, "p", val(st, e->p));
	add_ref(o, "o", val(st, e->o));
	add_ref(o, "s_label", kgr_store_label(st, e->s));
	add_ref(o, "p_label", kgr_store_label(st, e->p));
	add_ref(o, "o_label", kgr_store_label(st, e->o));
	add_cs(o, "reversed", cJSON_CreateBool(e->reversed));
	return o;
}

static cJSON *paths_json(const kgr_store *st, const kgr_rec_item *it)
{
	cJSON *paths = cJSON_CreateArray();
	size_t j, k;
	for (j = 0; paths && j < it->n_paths; j++) {
		cJSON *p = cJSON_CreateObject(), *edges;
		if (!p)
			break;
		add_ref(p, "from", val(st, it->paths[j].from));
		add_num(p, "score", it->paths[j].score);
		edges = add_cs(p, "edges", cJSON_CreateArray());
		for (k = 0; edges && k < it->paths[j].n_edges; k++)
			cJSON_AddItemToArray(edges, edge_json(st, &it->paths[j].edges[k]));
		cJSON_AddItemToArray(paths, p);
	}
	return paths;
}

cJSON *kgr__recs_json(const kgr_store *st, const kgr_recs *r, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit)
{
	cJSON *root = cJSON_CreateObject(), *notes, *items, *matches, *cons;
	size_t i, k;
	if (!root)
		return NULL;
	if (request_id)
		add_ref(root, "request_id", request_id);
	if (r->user)
		add_ref(root, "user", val(st, r->user));
	else
		cJSON_AddNullToObject(root, "user");
	cJSON_AddBoolToObject(root, "cold_start", r->cold_start);
	cJSON_AddNumberToObject(root, "candidates", (double)r->n_candidates);
	notes = cJSON_AddArrayToObject(root, "notes");
	for (i = 0; notes && i < n_extra; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(extra[i]));
	for (i = 0; notes && i < r->n_notes; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));
	if (r->n_matches) {
		matches = cJSON_AddArrayToObject(root, "matches");
		for (i = 0; matches && i < r->n_matches; i++) {
			cJSON *m = cJSON_CreateObject();
			if (!m)
				break;
			add_ref(m, "word", r->matches[i].word);
			add_ref(m, "node", val(st, r->matches[i].node));
			add_ref(m, "label", kgr_store_label(st, r->matches[i].node));
			cJSON_AddNumberToObject(m, "score", r->matches[i].score);
			cJSON_AddItemToArray(matches, m);
		}
	}
	if (r->n_constraints && (cons = cJSON_AddArrayToObject(root, "constraints"))) {
		for (i = 0; i < r->n_constraints; i++) {
			const kgr_query_constraint *c = &r->constraints[i];
			cJSON *m = cJSON_CreateObject();
			if (!m)
				break;
			add_ref(m, "kind", c->kind);
			if (c->node) {
				add_ref(m, "node", val(st, c->node));
				add_ref(m, "label", kgr_store_label(st, c->node));
			} else {
				cJSON_AddNumberToObject(m, "value", c->value);
				if (c->currency[0])
					cJSON_AddStringToObject(m, "currency", c->currency);
				cJSON_AddNumberToObject(m, "unpriced", (double)c->unpriced);
			}
			cJSON_AddNumberToObject(m, "removed", (double)c->removed);
			cJSON_AddItemToArray(cons, m);
		}
	}
	items = cJSON_AddArrayToObject(root, "items");
	for (i = 0; items && i < r->n && i < limit; i++) {
		const kgr_rec_item *it = &r->items[i];
		cJSON *o = cJSON_CreateObject(), *gens, *feats, *parts;
		if (!o)
			break;
		add_num(o, "rank", (double)(i + 1));
		add_ref(o, "item", val(st, it->item));
		add_ref(o, "label", kgr_store_label(st, it->item));
		add_num(o, "score", it->score);
		gens = add_cs(o, "generators", cJSON_CreateArray());
		for (k = 0; gens && k < KGR_GEN__COUNT; k++)
			if (it->generators & (1u << k))
				cJSON_AddItemToArray(gens, cJSON_CreateStringReference(kgr_generator_name((kgr_generator)k)));
		feats = add_cs(o, "features", cJSON_CreateObject());
		parts = add_cs(o, "parts", cJSON_CreateObject());
		for (k = 0; feats && parts && k < KGR_FEAT__COUNT; k++) {
			add_num(feats, kgr_feature_name((kgr_feature)k), it->features[k]);
			add_num(parts, kgr_feature_name((kgr_feature)k), it->parts[k]);
		}
		if (feats && parts && r->sequence) {
			/* the sequence model's share: a part of the score beside the graph's */
			cJSON_AddNumberToObject(feats, "sequence", it->seq_feature);
			cJSON_AddNumberToObject(parts, "sequence", it->seq_part);
		}
		if (it->n_contribs) {
			/* the learned ranker: each feature's value and share of the score, largest first */
			cJSON *cs = cJSON_AddArrayToObject(o, "contributions");
			for (k = 0; cs && k < it->n_contribs; k++) {
				cJSON *c = cJSON_CreateObject();
				if (!c)
					break;
				cJSON_AddStringToObject(c, "feature", it->contribs[k].feature);
				cJSON_AddNumberToObject(c, "value", it->contribs[k].value);
				cJSON_AddNumberToObject(c, "contribution", it->contribs[k].contribution);
				cJSON_AddItemToArray(cs, c);
			}
		}
		if (it->rationale)
			add_ref(o, "rationale", it->rationale);
		add_cs(o, "paths", paths_json(st, it));
		kgr__json_add_meta_paths(o, st, it);
		cJSON_AddItemToArray(items, o);
	}
	return root;
}


/* Text of a reply tree: cJSON's indented print, or the compact print of util/json_print.c. */
int kgr__json_text(char **out, cJSON *root, int pretty)
{
	*out = NULL;
	if (root)
		*out = pretty ? cJSON_Print(root) : kgr__json_print(root, NULL);
	cJSON_Delete(root);
	return *out ? 0 : kgr__error_set(KGR_ENOMEM, "out of memory");
}

int kgr_recs_json(char **out, const kgr_store *store, const kgr_recs *recs, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit, int pretty)
{
	return kgr__json_text(out, kgr__recs_json(store, recs, request_id, extra, n_extra, limit), pretty);
}
