#include "retrieval/json.h"
#include "util/util.h"

#include <stdlib.h>

static const char *val(const kgr_store *st, kgr_id id)
{
	const char *v = id ? kgr_term_value(st, id, NULL) : NULL;
	return v ? v : "";
}

static void meta_paths(kgr__jw *w, const kgr_store *st, const kgr_rec_item *it)
{
	size_t j;
	kgr__jw_open(w, "meta_paths", 1);
	for (j = 0; j < it->n_patterns && j < KGR__JSON_MAX_META_PATHS; j++) {
		char buf[512], *name = buf;
		size_t len = kgr_path_pattern_name(st, &it->patterns[j], buf, sizeof(buf));
		if (len >= sizeof(buf)) {
			if (!(name = malloc(len + 1))) {
				w->b.oom = 1;
				break;
			}
			kgr_path_pattern_name(st, &it->patterns[j], name, len + 1);
		}
		kgr__jw_open(w, NULL, 0);
		kgr__jw_str(w, "pattern", name);
		kgr__jw_num(w, "count", (double)it->patterns[j].count);
		kgr__jw_close(w, 0);
		if (name != buf)
			free(name);
	}
	kgr__jw_close(w, 1);
	kgr__jw_num(w, "meta_paths_total", (double)it->n_patterns);
}

static void edge(kgr__jw *w, const kgr_store *st, const kgr_edge *e)
{
	kgr__jw_open(w, NULL, 0);
	kgr__jw_str(w, "s", val(st, e->s));
	kgr__jw_str(w, "p", val(st, e->p));
	kgr__jw_str(w, "o", val(st, e->o));
	kgr__jw_str(w, "s_label", kgr_store_label(st, e->s));
	kgr__jw_str(w, "p_label", kgr_store_label(st, e->p));
	kgr__jw_str(w, "o_label", kgr_store_label(st, e->o));
	kgr__jw_bool(w, "reversed", e->reversed);
	kgr__jw_close(w, 0);
}

static void paths(kgr__jw *w, const kgr_store *st, const kgr_rec_item *it)
{
	size_t j, k;
	kgr__jw_open(w, "paths", 1);
	for (j = 0; j < it->n_paths; j++) {
		kgr__jw_open(w, NULL, 0);
		kgr__jw_str(w, "from", val(st, it->paths[j].from));
		kgr__jw_num(w, "score", it->paths[j].score);
		kgr__jw_open(w, "edges", 1);
		for (k = 0; k < it->paths[j].n_edges; k++)
			edge(w, st, &it->paths[j].edges[k]);
		kgr__jw_close(w, 1);
		kgr__jw_close(w, 0);
	}
	kgr__jw_close(w, 1);
}

static void constraint(kgr__jw *w, const kgr_store *st, const kgr_query_constraint *c)
{
	kgr__jw_open(w, NULL, 0);
	kgr__jw_str(w, "kind", c->kind);
	if (c->node) {
		kgr__jw_str(w, "node", val(st, c->node));
		kgr__jw_str(w, "label", kgr_store_label(st, c->node));
	} else {
		kgr__jw_num(w, "value", c->value);
		if (c->currency[0])
			kgr__jw_str(w, "currency", c->currency);
		kgr__jw_num(w, "unpriced", (double)c->unpriced);
	}
	kgr__jw_num(w, "removed", (double)c->removed);
	kgr__jw_close(w, 0);
}

/* An object of one value per feature, and the sequence model's (a part of the score beside
 * the graph's) when the list has one. */
static void by_feature(kgr__jw *w, const char *key, const double *v, int sequence, double seq)
{
	size_t k;
	kgr__jw_open(w, key, 0);
	for (k = 0; k < KGR_FEAT__COUNT; k++)
		kgr__jw_num(w, kgr_feature_name((kgr_feature)k), v[k]);
	if (sequence)
		kgr__jw_num(w, "sequence", seq);
	kgr__jw_close(w, 0);
}

static void item(kgr__jw *w, const kgr_store *st, const kgr_recs *r, size_t i)
{
	const kgr_rec_item *it = &r->items[i];
	size_t k;
	kgr__jw_open(w, NULL, 0);
	kgr__jw_num(w, "rank", (double)(i + 1));
	kgr__jw_str(w, "item", val(st, it->item));
	kgr__jw_str(w, "label", kgr_store_label(st, it->item));
	kgr__jw_num(w, "score", it->score);
	kgr__jw_open(w, "generators", 1);
	for (k = 0; k < KGR_GEN__COUNT; k++)
		if (it->generators & (1u << k))
			kgr__jw_str(w, NULL, kgr_generator_name((kgr_generator)k));
	kgr__jw_close(w, 1);
	by_feature(w, "features", it->features, r->sequence, it->seq_feature);
	by_feature(w, "parts", it->parts, r->sequence, it->seq_part);
	if (it->n_contribs) {
		/* the learned ranker: each feature's value and share of the score, largest first */
		kgr__jw_open(w, "contributions", 1);
		for (k = 0; k < it->n_contribs; k++) {
			kgr__jw_open(w, NULL, 0);
			kgr__jw_str(w, "feature", it->contribs[k].feature);
			kgr__jw_num(w, "value", it->contribs[k].value);
			kgr__jw_num(w, "contribution", it->contribs[k].contribution);
			kgr__jw_close(w, 0);
		}
		kgr__jw_close(w, 1);
	}
	if (it->rationale)
		kgr__jw_str(w, "rationale", it->rationale);
	paths(w, st, it);
	meta_paths(w, st, it);
	kgr__jw_close(w, 0);
}

void kgr__recs_write(kgr__jw *w, const kgr_store *st, const kgr_recs *r, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit)
{
	size_t i;
	kgr__jw_open(w, NULL, 0);
	if (request_id)
		kgr__jw_str(w, "request_id", request_id);
	if (r->user)
		kgr__jw_str(w, "user", val(st, r->user));
	else
		kgr__jw_null(w, "user");
	kgr__jw_bool(w, "cold_start", r->cold_start);
	kgr__jw_num(w, "candidates", (double)r->n_candidates);
	kgr__jw_open(w, "notes", 1);
	for (i = 0; i < n_extra; i++)
		kgr__jw_str(w, NULL, extra[i]);
	for (i = 0; i < r->n_notes; i++)
		kgr__jw_str(w, NULL, r->notes[i]);
	kgr__jw_close(w, 1);
	if (r->n_matches) {
		kgr__jw_open(w, "matches", 1);
		for (i = 0; i < r->n_matches; i++) {
			kgr__jw_open(w, NULL, 0);
			kgr__jw_str(w, "word", r->matches[i].word);
			kgr__jw_str(w, "node", val(st, r->matches[i].node));
			kgr__jw_str(w, "label", kgr_store_label(st, r->matches[i].node));
			kgr__jw_num(w, "score", r->matches[i].score);
			kgr__jw_close(w, 0);
		}
		kgr__jw_close(w, 1);
	}
	if (r->n_constraints) {
		kgr__jw_open(w, "constraints", 1);
		for (i = 0; i < r->n_constraints; i++)
			constraint(w, st, &r->constraints[i]);
		kgr__jw_close(w, 1);
	}
	kgr__jw_open(w, "items", 1);
	for (i = 0; i < r->n && i < limit; i++)
		item(w, st, r, i);
	kgr__jw_close(w, 1);
	kgr__jw_close(w, 0);
}

char *kgr__recs_text(const kgr_store *st, const kgr_recs *r, const char *request_id,
	const char *const *extra, size_t n_extra, size_t limit, size_t *len)
{
	kgr__jw w;
	kgr__jw_init(&w);
	kgr__recs_write(&w, st, r, request_id, extra, n_extra, limit);
	return kgr__jw_take(&w, len);
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
	char *text = kgr__recs_text(store, recs, request_id, extra, n_extra, limit, NULL);
	cJSON *root;
	*out = NULL;
	if (!text)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (!pretty) {
		*out = text;
		return 0;
	}
	/* indented: the compact text read back and printed by cJSON (numbers read back print
	 * the same digits) */
	root = cJSON_Parse(text);
	free(text);
	if (!root)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return kgr__json_text(out, root, 1);
}
