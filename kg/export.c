/* RDF out: N-Triples, N-Quads and Turtle written straight from the sorted SPO array. */
#include "kg/store_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int skip_graph(kgr_id g, unsigned int flags)
{
	return (g == KGR__GRAPH_INFERRED && !(flags & KGR_EXPORT_INFERRED)) ||
	       (g == KGR__GRAPH_ONTOLOGY && !(flags & KGR_EXPORT_ONTOLOGY));
}

/* The buffer a term is written into; oom is set when a term could not be (the export fails). */
typedef struct {
	char *s;
	size_t cap;
	int oom;
} term_buf;

static void put_term(const kgr_store *s, kgr_id id, FILE *f, term_buf *b)
{
	size_t n = kgr_term_to_ntriples(s, id, b->s, b->cap);
	if (n + 1 > b->cap) {
		char *nb = realloc(b->s, n + 1);
		if (!nb) {
			b->oom = 1;
			return;
		}
		b->s = nb;
		b->cap = n + 1;
		kgr_term_to_ntriples(s, id, b->s, b->cap);
	}
	fwrite(b->s, 1, n, f);
}

/* A prefixed name for an IRI when a prefix fits and the rest is a safe local name. */
static int pname(const kgr_store *s, kgr_id id, FILE *f)
{
	size_t i, len;
	const char *v = kgr_term_value(s, id, &len);
	for (i = 0; i < kgr_store_prefix_count(s); i++) {
		const char *pre, *ns, *local;
		size_t nl, k;
		int ok = 1;
		kgr_store_prefix(s, i, &pre, &ns);
		nl = strlen(ns);
		if (nl >= len || memcmp(v, ns, nl) != 0)
			continue;
		local = v + nl;
		for (k = 0; local[k] && ok; k++)
			ok = isalnum((unsigned char)local[k]) || local[k] == '_' ||
			     (k > 0 && local[k] == '-');
		if (!ok || local[k - 1] == '.')
			continue;
		fprintf(f, "%s:%s", pre, local);
		return 1;
	}
	return 0;
}

static void put_turtle_term(const kgr_store *s, kgr_id id, FILE *f, term_buf *b)
{
	if (kgr_term_kind_of(s, id) == KGR_TERM_IRI && pname(s, id, f))
		return;
	put_term(s, id, f, b);
}

int kgr_store_export(const kgr_store *s, void *out, const char *format, unsigned int flags)
{
	FILE *f = out;
	size_t n, i;
	const kgr_quad *q = kgr_store_quads(s, &n);
	term_buf tb = { malloc(1024), 1024, 0 };
	int nq, turtle;
	kgr_id last_s = 0, last_p = 0;

	if (!tb.s)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	nq = !strcmp(format, "nquads");
	turtle = !strcmp(format, "turtle") || !strcmp(format, "ttl");
	if (!nq && !turtle && strcmp(format, "ntriples") && strcmp(format, "nt")) {
		free(tb.s);
		return kgr__error_set(KGR_EINVALID, "unknown export format '%s' (turtle, ntriples, nquads)", format);
	}
	if (turtle) {
		for (i = 0; i < kgr_store_prefix_count(s); i++) {
			const char *pre, *ns;
			kgr_store_prefix(s, i, &pre, &ns);
			fprintf(f, "@prefix %s: ", pre);
			fputc('<', f);
			fputs(ns, f);
			fputs("> .\n", f);
		}
		fputc('\n', f);
	}
	for (i = 0; i < n; i++) {
		const kgr_quad *x = &q[i];
		if (skip_graph(x->g, flags))
			continue;
		/* without graphs, the same triple in several graphs is written once */
		if (!nq && i > 0) {
			size_t j = i;
			int dup = 0;
			while (j > 0 && q[j - 1].s == x->s && q[j - 1].p == x->p && q[j - 1].o == x->o) {
				if (!skip_graph(q[j - 1].g, flags)) {
					dup = 1;
					break;
				}
				j--;
			}
			if (dup)
				continue;
		}
		if (turtle) {
			if (x->s == last_s && x->p == last_p) {
				fputs(" ,\n        ", f);
			} else if (x->s == last_s) {
				fputs(" ;\n    ", f);
				if (x->p == KGR__RDF_TYPE)
					fputs("a", f);
				else
					put_turtle_term(s, x->p, f, &tb);
				fputc(' ', f);
			} else {
				if (last_s)
					fputs(" .\n\n", f);
				put_turtle_term(s, x->s, f, &tb);
				fputs("\n    ", f);
				if (x->p == KGR__RDF_TYPE)
					fputs("a", f);
				else
					put_turtle_term(s, x->p, f, &tb);
				fputc(' ', f);
			}
			put_turtle_term(s, x->o, f, &tb);
			last_s = x->s;
			last_p = x->p;
			continue;
		}
		put_term(s, x->s, f, &tb);
		fputc(' ', f);
		put_term(s, x->p, f, &tb);
		fputc(' ', f);
		put_term(s, x->o, f, &tb);
		if (nq && x->g) {
			fputc(' ', f);
			put_term(s, x->g, f, &tb);
		}
		fputs(" .\n", f);
	}
	if (turtle && last_s)
		fputs(" .\n", f);
	free(tb.s);
	if (tb.oom)
		return kgr__error_set(KGR_ENOMEM, "out of memory writing a term");
	if (fflush(f) != 0 || ferror(f))
		return kgr__error_set(KGR_EIO, "write failed");
	return 0;
}
