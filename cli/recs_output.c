#define _XOPEN_SOURCE 700
#include "cli/recs_output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

int kgr_cli_format(const char *cmd, const char *s, kgr_out_format *out)
{
	if (!strcmp(s, "text"))
		*out = KGR_OUT_TEXT;
	else if (!strcmp(s, "json"))
		*out = KGR_OUT_JSON;
	else if (!strcmp(s, "dot"))
		*out = KGR_OUT_DOT;
	else
		return kgr_cli_usage("%s: unknown format '%s' (json, text or dot)", cmd, s);
	return 0;
}

int kgr_cli_int(const char *opt, const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end) {
		kgr_cli_usage("%s: '%s' is not an integer", opt, s);
		return -1;
	}
	if (v < lo || v > hi) {
		kgr_cli_usage("%s must be between %lld and %lld (got %lld)", opt, lo, hi, v);
		return -1;
	}
	*out = v;
	return 0;
}

int kgr_cli_time(const char *s, int64_t *out)
{
	return kgr_time_parse(out, s);
}

static const char *val(const kgr_store *st, kgr_id id)
{
	const char *v = id ? kgr_term_value(st, id, NULL) : NULL;
	return v ? v : "";
}

static void print_json(FILE *f, const kgr_graph *g, const kgr_recs *r, const char *const *extra,
	size_t n_extra)
{
	char *text = NULL;
	if (kgr_recs_json(&text, kgr_graph_store(g), r, NULL, extra, n_extra, r->n, 1) == 0) {
		fputs(text, f);
		fputc('\n', f);
		free(text);
	}
}

static void print_text(FILE *f, const kgr_graph *g, const kgr_recs *r, const char *title,
	const char *const *extra, size_t n_extra)
{
	const kgr_store *st = kgr_graph_store(g);
	size_t i, j, k;
	fprintf(f, "%s%s\n", title, r->cold_start ? " (cold start)" : "");
	for (i = 0; i < n_extra; i++)
		fprintf(f, "note: %s\n", extra[i]);
	for (i = 0; i < r->n_notes; i++)
		fprintf(f, "note: %s\n", r->notes[i]);
	for (i = 0; i < r->n_matches; i++)
		fprintf(f, "match: \"%s\" -> %s <%s>\n", r->matches[i].word,
			kgr_store_label(st, r->matches[i].node), val(st, r->matches[i].node));
	for (i = 0; i < r->n; i++) {
		const kgr_rec_item *it = &r->items[i];
		int first = 1;
		fprintf(f, "%3zu. %s <%s> score %.4f [", i + 1, kgr_store_label(st, it->item),
			val(st, it->item), it->score);
		for (k = 0; k < KGR_GEN__COUNT; k++)
			if (it->generators & (1u << k)) {
				fprintf(f, "%s%s", first ? "" : ", ", kgr_generator_name((kgr_generator)k));
				first = 0;
			}
		fprintf(f, "]\n");
		if (r->sequence)
			fprintf(f, "     sequence model part %+.4f (feature %.4f)\n", it->seq_part,
				it->seq_feature);
		if (it->n_contribs) {
			/* the learned score's largest shares (the list is sorted by size) */
			fprintf(f, "     learned score parts:");
			for (k = 0; k < it->n_contribs && k < 5; k++)
				fprintf(f, "%s %s %+.3f", k ? "," : "", it->contribs[k].feature,
					it->contribs[k].contribution);
			fprintf(f, "%s\n", it->n_contribs > 5 ? ", ..." : "");
		}
		if (it->rationale)
			fprintf(f, "     %s\n", it->rationale);
		for (j = 0; j < it->n_paths; j++) {
			const kgr_path *p = &it->paths[j];
			fprintf(f, "     path %zu (%.3f):", j + 1, p->score);
			for (k = 0; k < p->n_edges; k++)
				fprintf(f, "%s %s -%s-> %s", k ? " ;" : "", kgr_store_label(st, p->edges[k].s),
					kgr_store_label(st, p->edges[k].p), kgr_store_label(st, p->edges[k].o));
			fputc('\n', f);
		}
	}
}

static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* What an edge says, as the audit report says it: the ontology's phrase for the property
 * ("is in the category"), else its label. */
static const char *phrase_of(const kgr_store *st, kgr_id p)
{
	kgr_id phrase = kgr_store_iri(st, KGR_NS "phrase");
	kgr_id o = phrase ? kgr_store_object(st, p, phrase) : 0;
	const char *v = o ? kgr_term_value(st, o, NULL) : NULL;
	return v ? v : kgr_store_label(st, p);
}

/* The evidence subgraph: every edge of every path once; the user, history items and the
 * recommended items styled apart. */
static void print_dot(FILE *f, const kgr_graph *g, const kgr_recs *r, const char *title)
{
	const kgr_store *st = kgr_graph_store(g);
	size_t i, j, k, n_seen = 0, cap = 0;
	kgr_id *seen = NULL;
	kgr_edge *done = NULL;
	size_t n_done = 0, cap_done = 0;
	fprintf(f, "digraph evidence {\n  rankdir=LR;\n  label=");
	dot_str(f, title);
	fprintf(f, ";\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
#define NODE(id, extra)                                                                         \
	do {                                                                                        \
		size_t q_;                                                                              \
		for (q_ = 0; q_ < n_seen; q_++)                                                         \
			if (seen[q_] == (id))                                                               \
				break;                                                                          \
		if (q_ == n_seen) {                                                                     \
			if (n_seen == cap) {                                                                \
				kgr_id *ns_ = realloc(seen, (cap ? cap * 2 : 64) * sizeof(kgr_id));             \
				if (!ns_)                                                                       \
					goto done;                                                                  \
				seen = ns_;                                                                     \
				cap = cap ? cap * 2 : 64;                                                       \
			}                                                                                   \
			seen[n_seen++] = (id);                                                              \
			fprintf(f, "  n%u [label=", (unsigned)(id));                                        \
			dot_str(f, kgr_store_label(st, (id)));                                              \
			fprintf(f, "%s];\n", extra);                                                        \
		}                                                                                       \
	} while (0)
	if (r->user)
		NODE(r->user, ", shape=ellipse, style=filled, fillcolor=\"#e5e7eb\"");
	for (i = 0; i < r->n; i++)
		NODE(r->items[i].item, ", style=\"rounded,filled\", fillcolor=\"#dcfce7\"");
	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->items[i].n_paths; j++) {
			const kgr_path *p = &r->items[i].paths[j];
			NODE(p->from, ", style=\"rounded,filled\", fillcolor=\"#dbeafe\"");
			for (k = 0; k < p->n_edges; k++) {
				const kgr_edge *e = &p->edges[k];
				size_t q;
				NODE(e->s, "");
				NODE(e->o, "");
				for (q = 0; q < n_done; q++)
					if (done[q].s == e->s && done[q].p == e->p && done[q].o == e->o)
						break;
				if (q < n_done)
					continue;
				if (n_done == cap_done) {
					kgr_edge *nd = realloc(done, (cap_done ? cap_done * 2 : 64) * sizeof(kgr_edge));
					if (!nd)
						goto done;
					done = nd;
					cap_done = cap_done ? cap_done * 2 : 64;
				}
				done[n_done++] = *e;
				fprintf(f, "  n%u -> n%u [label=", (unsigned)e->s, (unsigned)e->o);
				dot_str(f, phrase_of(st, e->p));
				fprintf(f, "];\n");
			}
		}
#undef NODE
done:
	fprintf(f, "}\n");
	free(seen);
	free(done);
}

void kgr_cli_print_recs(FILE *f, const kgr_graph *g, const kgr_recs *r, kgr_out_format fmt,
	const char *title, const char *const *extra, size_t n_extra)
{
	switch (fmt) {
	case KGR_OUT_JSON:
		print_json(f, g, r, extra, n_extra);
		break;
	case KGR_OUT_DOT:
		print_dot(f, g, r, title);
		break;
	default:
		print_text(f, g, r, title, extra, n_extra);
	}
}
