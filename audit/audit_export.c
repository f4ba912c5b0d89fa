/* An audit log as RDF with PROV-O, and as a self-contained HTML report with the evidence drawn
 * by Graphviz. The RDF vocabulary is described in docs/AUDIT.md. */
#include "audit/audit_internal.h"
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS_PROV "http://www.w3.org/ns/prov#"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define NS_XSD "http://www.w3.org/2001/XMLSchema#"
#define NS_KGA "https://w3id.org/kgrec/audit#"
#define BASE "https://w3id.org/kgrec/audit/"

static const char *const prefixes[][2] = {
	{ "prov", NS_PROV }, { "rdf", NS_RDF }, { "rdfs", NS_RDFS }, { "xsd", NS_XSD }, { "kga", NS_KGA },
	{ "kgl", BASE }, { NULL, NULL }
};

/* ---- triples as N-Triples terms ---- */

typedef struct {
	char *s, *p, *o;
	size_t idx; /* insertion order, so that sorting by subject is stable */
} triple;

typedef struct {
	triple *t;
	size_t n, cap;
	uint64_t *seen; /* statement nodes already described */
	size_t n_seen, cap_seen;
	int oom;
} graph;

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	kgr__buf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	kgr__buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return kgr__buf_take(&b);
}

static void add(graph *g, char *s, char *p, char *o)
{
	if (!s || !p || !o || g->oom) {
		g->oom = 1;
		free(s), free(p), free(o);
		return;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		triple *t = realloc(g->t, cap * sizeof(*t));
		if (!t) {
			g->oom = 1;
			free(s), free(p), free(o);
			return;
		}
		g->t = t;
		g->cap = cap;
	}
	g->t[g->n].s = s;
	g->t[g->n].p = p;
	g->t[g->n].o = o;
	g->t[g->n].idx = g->n;
	g->n++;
}

static char *iri(const char *ns, const char *local)
{
	return dupf("<%s%s>", ns, local);
}

/* A literal in N-Triples syntax with an optional datatype (xsd local name). */
static char *lit(const char *v, const char *xsd)
{
	kgr__buf b = { 0 };
	const unsigned char *c;
	kgr__buf_puts(&b, "\"");
	for (c = (const unsigned char *)v; *c; c++) {
		switch (*c) {
		case '"': kgr__buf_puts(&b, "\\\""); break;
		case '\\': kgr__buf_puts(&b, "\\\\"); break;
		case '\n': kgr__buf_puts(&b, "\\n"); break;
		case '\r': kgr__buf_puts(&b, "\\r"); break;
		case '\t': kgr__buf_puts(&b, "\\t"); break;
		default:
			if (*c < 0x20)
				kgr__buf_printf(&b, "\\u%04X", *c);
			else
				kgr__buf_put(&b, (const char *)c, 1);
		}
	}
	kgr__buf_puts(&b, "\"");
	if (xsd)
		kgr__buf_printf(&b, "^^<" NS_XSD "%s>", xsd);
	return kgr__buf_take(&b);
}

static char *num(double v, const char *xsd)
{
	char tmp[64];
	if (!strcmp(xsd, "integer"))
		snprintf(tmp, sizeof(tmp), "%.0f", v);
	else
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	return lit(tmp, xsd);
}

/* Percent-encodes what is not an unreserved IRI character. */
static char *pct(const char *s)
{
	kgr__buf b = { 0 };
	const unsigned char *c;
	for (c = (const unsigned char *)s; *c; c++) {
		if (isalnum(*c) || strchr("-._~", *c))
			kgr__buf_put(&b, (const char *)c, 1);
		else
			kgr__buf_printf(&b, "%%%02X", *c);
	}
	if (!b.s)
		kgr__buf_puts(&b, "");
	return kgr__buf_take(&b);
}

static char *P(const char *ns, const char *local)
{
	return iri(ns, local);
}

/* The statement node of an edge, described once per export. */
static char *statement(graph *g, const cJSON *e)
{
	const char *s = kgr__audit_str(e, "s"), *p = kgr__audit_str(e, "p"), *o = kgr__audit_str(e, "o");
	char key[33], *node;
	uint64_t h;
	size_t i;
	if (!s || !p || !o)
		return NULL;
	{
		size_t n = strlen(s) + strlen(p) + strlen(o) + 3;
		char *k = malloc(n);
		if (!k) {
			g->oom = 1;
			return NULL;
		}
		snprintf(k, n, "%s %s %s", s, p, o);
		h = kgr__hash64(k, strlen(k), 0x73746d74);
		snprintf(key, sizeof(key), "%016llx", (unsigned long long)h);
		free(k);
	}
	node = dupf("<" BASE "statement/%s>", key);
	for (i = 0; i < g->n_seen; i++)
		if (g->seen[i] == h)
			return node;
	if (g->n_seen == g->cap_seen) {
		size_t cap = g->cap_seen ? 2 * g->cap_seen : 64;
		uint64_t *a = realloc(g->seen, cap * sizeof(*a));
		if (!a) {
			g->oom = 1;
			return node;
		}
		g->seen = a;
		g->cap_seen = cap;
	}
	g->seen[g->n_seen++] = h;
	add(g, node ? strdup(node) : NULL, P(NS_RDF, "type"), P(NS_RDF, "Statement"));
	add(g, node ? strdup(node) : NULL, P(NS_RDF, "subject"), strdup(s));
	add(g, node ? strdup(node) : NULL, P(NS_RDF, "predicate"), strdup(p));
	add(g, node ? strdup(node) : NULL, P(NS_RDF, "object"), strdup(o));
	return node;
}

static void record_rdf(graph *g, const cJSON *rec)
{
	const char *id = kgr__audit_str(rec, "id"), *when = kgr__audit_str(rec, "time");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(rec, "request");
	const cJSON *snap = cJSON_GetObjectItemCaseSensitive(rec, "snapshot");
	const cJSON *llm = cJSON_GetObjectItemCaseSensitive(rec, "llm"), *list, *it, *x, *n;
	const char *cs = kgr__audit_str(snap, "checksum"), *user = kgr__audit_str(req, "user");
	char *eid = pct(id ? id : "unknown"), *L, *A, *S = NULL;
	size_t rank = 0;

	L = dupf("<" BASE "list/%s>", eid);
	A = dupf("<" BASE "activity/%s>", eid);
#define T(s, p, o) add(g, (s) ? strdup(s) : NULL, p, o)
	T(L, P(NS_RDF, "type"), P(NS_PROV, "Entity"));
	T(L, P(NS_RDF, "type"), P(NS_KGA, "RecommendationList"));
	T(L, P(NS_KGA, "requestId"), lit(id ? id : "", NULL));
	T(L, P(NS_PROV, "wasGeneratedBy"), A ? strdup(A) : NULL);
	if (when) {
		T(L, P(NS_PROV, "generatedAtTime"), lit(when, "dateTime"));
		T(A, P(NS_PROV, "startedAtTime"), lit(when, "dateTime"));
	}
	if (user)
		T(L, P(NS_KGA, "user"), strdup(user));
	T(A, P(NS_RDF, "type"), P(NS_PROV, "Activity"));
	T(A, P(NS_RDF, "type"), P(NS_KGA, "Recommendation"));
	if (cs) {
		S = dupf("<https://w3id.org/kgrec/snapshot/%s>", cs);
		T(A, P(NS_PROV, "used"), S ? strdup(S) : NULL);
		T(L, P(NS_KGA, "snapshot"), S ? strdup(S) : NULL);
		T(S, P(NS_RDF, "type"), P(NS_PROV, "Entity"));
		T(S, P(NS_RDF, "type"), P(NS_KGA, "Snapshot"));
		T(S, P(NS_KGA, "checksum"), lit(cs, NULL));
	}
	if (cJSON_IsObject(llm)) {
		const char *model = kgr__audit_str(llm, "model");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(llm, "validation");
		if (model) {
			char *pm = pct(model), *M = dupf("<https://w3id.org/kgrec/model/%s>", pm ? pm : "");
			T(A, P(NS_PROV, "used"), M ? strdup(M) : NULL);
			T(M, P(NS_RDF, "type"), P(NS_PROV, "Entity"));
			T(M, P(NS_RDF, "type"), P(NS_KGA, "Model"));
			T(M, P(NS_RDFS, "label"), lit(model, NULL));
			free(pm);
			free(M);
		}
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(llm, "exchanges")) {
			const cJSON *f;
			cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(x, "facts")) {
				char *st = statement(g, f);
				if (st) {
					T(A, P(NS_PROV, "used"), strdup(st));
					T(A, P(NS_KGA, "factGiven"), strdup(st));
				}
				free(st);
			}
		}
		cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(val, "notes"))
			if (cJSON_IsString(n))
				T(A, P(NS_KGA, "validationNote"), lit(n->valuestring, NULL));
		T(A, P(NS_KGA, "fallback"), lit(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(val, "fallback")) ?
			"true" : "false", "boolean"));
	}
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(rec, "notes"))
		if (cJSON_IsString(n))
			T(A, P(NS_KGA, "note"), lit(n->valuestring, NULL));
	list = cJSON_GetObjectItemCaseSensitive(rec, "list");
	cJSON_ArrayForEach(it, list) {
		const char *item = kgr__audit_str(it, "item"), *why = kgr__audit_str(it, "rationale");
		const cJSON *p, *e, *grounded = cJSON_GetObjectItemCaseSensitive(it, "grounded");
		char *E = dupf("<" BASE "list/%s/%zu>", eid, ++rank);
		T(L, P(NS_KGA, "entry"), E ? strdup(E) : NULL);
		T(E, P(NS_RDF, "type"), P(NS_KGA, "Entry"));
		T(E, P(NS_KGA, "rank"), num((double)rank, "integer"));
		if (item)
			T(E, P(NS_KGA, "item"), strdup(item));
		T(E, P(NS_KGA, "score"), num(kgr__audit_num(it, "score", 0), "double"));
		if (why)
			T(E, P(NS_KGA, "rationale"), lit(why, NULL));
		if (cJSON_IsBool(grounded))
			T(E, P(NS_KGA, "grounded"), lit(cJSON_IsTrue(grounded) ? "true" : "false", "boolean"));
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(it, "paths"))
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p, "edges")) {
				char *st = statement(g, e);
				if (st)
					T(E, P(NS_KGA, "evidence"), st);
			}
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "cited")) {
			char *st = statement(g, e);
			if (st)
				T(E, P(NS_KGA, "cites"), st);
		}
		free(E);
	}
#undef T
	free(eid);
	free(L);
	free(A);
	free(S);
}

static void graph_free(graph *g)
{
	size_t i;
	for (i = 0; i < g->n; i++) {
		free(g->t[i].s);
		free(g->t[i].p);
		free(g->t[i].o);
	}
	free(g->t);
	free(g->seen);
}

/* An IRI term as a prefixed name when a prefix fits and the local part is plain. */
static void put_turtle(FILE *f, const char *term)
{
	size_t i, n = strlen(term);
	if (n > 2 && term[0] == '<') {
		for (i = 0; prefixes[i][0]; i++) {
			size_t k = strlen(prefixes[i][1]), j;
			const char *local = term + 1 + k;
			int ok = 1;
			if (n - 2 <= k || strncmp(term + 1, prefixes[i][1], k))
				continue;
			for (j = 0; local + j < term + n - 1 && ok; j++)
				ok = isalnum((unsigned char)local[j]) || local[j] == '_' || (j > 0 && local[j] == '-');
			if (!ok)
				continue;
			fprintf(f, "%s:%.*s", prefixes[i][0], (int)(n - 2 - k), local);
			return;
		}
	}
	fputs(term, f);
}

static int cmp_triple(const void *a, const void *b)
{
	const triple *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	if (!c)
		c = strcmp(x->p, y->p);
	if (!c)
		c = strcmp(x->o, y->o);
	return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_idx(const void *a, const void *b)
{
	const triple *x = a, *y = b;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Drops repeated triples (the snapshot and the model are described by every record), keeping
 * the first of each in insertion order. */
static void dedupe(graph *g)
{
	size_t i, k = 0;
	qsort(g->t, g->n, sizeof(*g->t), cmp_triple);
	for (i = 0; i < g->n; i++) {
		if (k > 0 && !strcmp(g->t[i].s, g->t[k - 1].s) && !strcmp(g->t[i].p, g->t[k - 1].p) &&
			!strcmp(g->t[i].o, g->t[k - 1].o)) {
			free(g->t[i].s);
			free(g->t[i].p);
			free(g->t[i].o);
			continue;
		}
		g->t[k++] = g->t[i];
	}
	g->n = k;
	qsort(g->t, g->n, sizeof(*g->t), cmp_idx);
}

static int cmp_subject(const void *a, const void *b)
{
	const triple *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

int kgr_audit_export(const char *log_path, void *out, const char *format)
{
	FILE *f = out;
	kgr__audit_file file;
	graph g;
	size_t i, records = 0;
	int turtle, error;

	turtle = !strcmp(format, "turtle") || !strcmp(format, "ttl");
	if (!turtle && strcmp(format, "ntriples") && strcmp(format, "nt"))
		return kgr__error_set(KGR_EINVALID, "unknown audit export format '%s' (turtle, ntriples)", format);
	if ((error = kgr__audit_read(&file, log_path)))
		return error;
	memset(&g, 0, sizeof(g));
	for (i = 0; i < file.n; i++) {
		const cJSON *v = file.lines[i].rec ? cJSON_GetObjectItemCaseSensitive(file.lines[i].rec, "v") : NULL;
		if (!cJSON_IsNumber(v) || v->valuedouble != KGR_AUDIT_FORMAT_VERSION)
			continue; /* truncated, or of another version: `kgrec audit verify` names them */
		record_rdf(&g, file.lines[i].rec);
		records++;
	}
	if (g.oom) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (!records && file.n) {
		error = kgr__error_set(KGR_EPARSE, "audit log %s: no readable record of format version %d", log_path,
			KGR_AUDIT_FORMAT_VERSION);
		goto cleanup;
	}
	dedupe(&g);
	if (turtle) {
		qsort(g.t, g.n, sizeof(*g.t), cmp_subject);
		for (i = 0; prefixes[i][0]; i++)
			fprintf(f, "@prefix %s: <%s> .\n", prefixes[i][0], prefixes[i][1]);
		fputc('\n', f);
		for (i = 0; i < g.n; i++) {
			int same = i > 0 && !strcmp(g.t[i].s, g.t[i - 1].s);
			if (!same) {
				if (i > 0)
					fputs(" .\n\n", f);
				put_turtle(f, g.t[i].s);
				fputs("\n    ", f);
			} else {
				fputs(" ;\n    ", f);
			}
			put_turtle(f, g.t[i].p);
			fputc(' ', f);
			put_turtle(f, g.t[i].o);
		}
		if (g.n)
			fputs(" .\n", f);
	} else {
		for (i = 0; i < g.n; i++)
			fprintf(f, "%s %s %s .\n", g.t[i].s, g.t[i].p, g.t[i].o);
	}
	if (fflush(f) != 0 || ferror(f))
		error = kgr__error_set(KGR_EIO, "audit export: write failed: %s", strerror(errno));
cleanup:
	graph_free(&g);
	kgr__audit_file_free(&file);
	return error;
}

/* ---- HTML report ---- */

static void html(kgr__buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': kgr__buf_puts(b, "&lt;"); break;
		case '>': kgr__buf_puts(b, "&gt;"); break;
		case '&': kgr__buf_puts(b, "&amp;"); break;
		case '"': kgr__buf_puts(b, "&quot;"); break;
		default: kgr__buf_put(b, s, 1);
		}
	}
}

/* A readable name for a term: the store's label when it knows the term, else its local name. */
static const char *name_of(const kgr_store *store, const char *nt, char *buf, size_t size)
{
	kgr_id id = store && nt ? kgr__audit_term(store, nt, NULL) : 0;
	if (id) {
		snprintf(buf, size, "%s", kgr_store_label(store, id));
		return buf;
	}
	return kgr__audit_term_short(nt ? nt : "", buf, size);
}

static void dot_str(kgr__buf *b, const char *s)
{
	kgr__buf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			kgr__buf_puts(b, "\\");
		if (*s == '\n')
			kgr__buf_puts(b, " ");
		else
			kgr__buf_put(b, s, 1);
	}
	kgr__buf_puts(b, "\"");
}

/* Distinct strings, in first-seen order, each with a small tag. */
typedef struct {
	const char **v;
	int *tag;
	size_t n, cap;
} strset;

/* Adds @p s (borrowed) unless present; a higher tag wins. Returns 0, or -1 on ENOMEM. */
static int strset_add(strset *set, const char *s, int tag)
{
	size_t i;
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i], s)) {
			if (tag > set->tag[i])
				set->tag[i] = tag;
			return 0;
		}
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 32;
		const char **v = realloc(set->v, cap * sizeof(*v));
		int *t;
		if (!v)
			return -1;
		set->v = v;
		if (!(t = realloc(set->tag, cap * sizeof(*t))))
			return -1;
		set->tag = t;
		set->cap = cap;
	}
	set->v[set->n] = s;
	set->tag[set->n++] = tag;
	return 0;
}

enum { NODE_OTHER = 0, NODE_HISTORY = 1, NODE_LISTED = 2 };

/* The evidence subgraph of a list in the dot language: every node once (history items blue,
 * listed items green with their rank), every edge once. */
static char *evidence_dot(const cJSON *rec, const kgr_store *store)
{
	kgr__buf b = { 0 };
	strset nodes = { 0 };
	const cJSON *it, *p, *e, *h, *list = cJSON_GetObjectItemCaseSensitive(rec, "list");
	const cJSON **edges = NULL;
	size_t n_edges = 0, cap = 0, i, j;
	char name[256], lab[300];
	int oom = 0;

	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(rec, "history"))
		if (kgr__audit_str(h, "item"))
			oom |= strset_add(&nodes, kgr__audit_str(h, "item"), NODE_HISTORY);
	cJSON_ArrayForEach(it, list)
		if (kgr__audit_str(it, "item"))
			oom |= strset_add(&nodes, kgr__audit_str(it, "item"), NODE_LISTED);
	cJSON_ArrayForEach(it, list)
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(it, "paths"))
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p, "edges")) {
				const char *s = kgr__audit_str(e, "s"), *pr = kgr__audit_str(e, "p"), *o = kgr__audit_str(e, "o");
				int dup = 0;
				if (!s || !pr || !o)
					continue;
				for (j = 0; j < n_edges && !dup; j++)
					dup = !strcmp(kgr__audit_str(edges[j], "s"), s) &&
					      !strcmp(kgr__audit_str(edges[j], "p"), pr) &&
					      !strcmp(kgr__audit_str(edges[j], "o"), o);
				if (dup)
					continue;
				if (n_edges == cap) {
					const cJSON **a = realloc(edges, (cap ? 2 * cap : 32) * sizeof(*a));
					if (!a) {
						oom = 1;
						continue;
					}
					edges = a;
					cap = cap ? 2 * cap : 32;
				}
				edges[n_edges++] = e;
				oom |= strset_add(&nodes, s, NODE_OTHER);
				oom |= strset_add(&nodes, o, NODE_OTHER);
			}
	kgr__buf_puts(&b, "digraph evidence {\n  rankdir=LR; node [shape=box, style=\"rounded,filled\", "
		"fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10]; edge [fontname=\"Helvetica\", "
		"fontsize=9, color=\"#555555\"];\n");
	for (i = 0; i < nodes.n; i++) {
		const char *label = name_of(store, nodes.v[i], name, sizeof(name));
		kgr__buf_puts(&b, "  ");
		dot_str(&b, nodes.v[i]);
		if (nodes.tag[i] == NODE_LISTED) {
			int rank = 0;
			cJSON_ArrayForEach(it, list)
				if (!rank && kgr__audit_str(it, "item") && !strcmp(kgr__audit_str(it, "item"), nodes.v[i]))
					rank = (int)kgr__audit_num(it, "rank", 0);
			snprintf(lab, sizeof(lab), "#%d %s", rank, label);
			kgr__buf_puts(&b, " [fillcolor=\"#dcfce7\", penwidth=2, label=");
			dot_str(&b, lab);
		} else {
			kgr__buf_puts(&b, nodes.tag[i] == NODE_HISTORY ? " [fillcolor=\"#dbeafe\", label=" : " [label=");
			dot_str(&b, label);
		}
		kgr__buf_puts(&b, "];\n");
	}
	for (i = 0; i < n_edges; i++) {
		kgr__buf_puts(&b, "  ");
		dot_str(&b, kgr__audit_str(edges[i], "s"));
		kgr__buf_puts(&b, " -> ");
		dot_str(&b, kgr__audit_str(edges[i], "o"));
		kgr__buf_puts(&b, " [label=");
		dot_str(&b, kgr__audit_term_short(kgr__audit_str(edges[i], "p"), name, sizeof(name)));
		kgr__buf_puts(&b, "];\n");
	}
	kgr__buf_puts(&b, "}\n");
	free(edges);
	free(nodes.v);
	free(nodes.tag);
	if (oom) {
		kgr__buf_free(&b);
		return NULL;
	}
	return kgr__buf_take(&b);
}

/* Runs `dot -Tsvg` on @p src; returns the <svg> element (malloc'd) or NULL. Node attributes
 * are given once per node by evidence_dot(). */
static char *dot_svg(const char *src)
{
	char tmpl[] = "/tmp/kgrec-audit-XXXXXX", cmd[128], buf[4096];
	kgr__buf b = { 0 };
	FILE *p;
	int fd = mkstemp(tmpl), st;
	size_t n;
	char *svg, *start;
	if (fd < 0)
		return NULL;
	n = strlen(src);
	if (write(fd, src, n) != (ssize_t)n) {
		close(fd);
		unlink(tmpl);
		return NULL;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' 2>/dev/null", tmpl);
	if (!(p = popen(cmd, "r"))) {
		unlink(tmpl);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		kgr__buf_put(&b, buf, n);
	st = pclose(p);
	unlink(tmpl);
	svg = kgr__buf_take(&b);
	if (st != 0 || !svg || !(start = strstr(svg, "<svg"))) {
		free(svg);
		return NULL;
	}
	memmove(svg, start, strlen(start) + 1);
	return svg;
}

static void report_record(kgr__buf *b, const cJSON *rec, const kgr_store *store, size_t line)
{
	const char *id = kgr__audit_str(rec, "id"), *when = kgr__audit_str(rec, "time");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(rec, "request");
	const cJSON *llm = cJSON_GetObjectItemCaseSensitive(rec, "llm"), *val, *h, *it, *n, *e;
	const char *user = kgr__audit_str(req, "user");
	char name[256], *dot, *svg;
	int any_note = 0;

	kgr__buf_puts(b, "<section class=\"list\">\n<h2>List ");
	html(b, id ? id : "(no id)");
	kgr__buf_puts(b, "</h2>\n<p class=\"meta\">");
	html(b, when ? when : "");
	kgr__buf_puts(b, " &middot; user <b>");
	html(b, user ? name_of(store, user, name, sizeof(name)) : "anonymous");
	kgr__buf_puts(b, "</b> &middot; snapshot <code>");
	html(b, kgr__audit_str(cJSON_GetObjectItemCaseSensitive(rec, "snapshot"), "checksum"));
	kgr__buf_printf(b, "</code> &middot; log line %zu", line);
	if (cJSON_IsObject(llm)) {
		kgr__buf_puts(b, " &middot; model <code>");
		html(b, kgr__audit_str(llm, "model"));
		kgr__buf_puts(b, "</code>");
	}
	kgr__buf_puts(b, "</p>\n<h3>History</h3>\n<ol class=\"history\">\n");
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(rec, "history")) {
		kgr__buf_puts(b, "<li>");
		html(b, name_of(store, kgr__audit_str(h, "item"), name, sizeof(name)));
		if (kgr__audit_str(h, "action")) {
			kgr__buf_puts(b, " <span class=\"action\">(");
			html(b, kgr__audit_term_short(kgr__audit_str(h, "action"), name, sizeof(name)));
			kgr__buf_puts(b, ")</span>");
		}
		kgr__buf_puts(b, "</li>\n");
	}
	kgr__buf_puts(b, "</ol>\n<h3>Items</h3>\n<table>\n<tr><th>#</th><th>item</th><th>score</th><th>rationale</th>"
		"<th>cited facts</th></tr>\n");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "list")) {
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(it, "grounded");
		kgr__buf_printf(b, "<tr><td>%d</td><td>", (int)kgr__audit_num(it, "rank", 0));
		html(b, name_of(store, kgr__audit_str(it, "item"), name, sizeof(name)));
		kgr__buf_printf(b, "</td><td>%.4f</td><td>", kgr__audit_num(it, "score", 0));
		html(b, kgr__audit_str(it, "rationale"));
		if (cJSON_IsBool(g))
			kgr__buf_puts(b, cJSON_IsTrue(g) ? " <span class=\"ok\">grounded</span>" :
				" <span class=\"warn\">ungrounded</span>");
		kgr__buf_puts(b, "</td><td>");
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "cited")) {
			kgr__buf_puts(b, "<div>");
			html(b, name_of(store, kgr__audit_str(e, "s"), name, sizeof(name)));
			kgr__buf_puts(b, " &rarr; ");
			html(b, kgr__audit_term_short(kgr__audit_str(e, "p"), name, sizeof(name)));
			kgr__buf_puts(b, " &rarr; ");
			html(b, name_of(store, kgr__audit_str(e, "o"), name, sizeof(name)));
			kgr__buf_puts(b, "</div>");
		}
		kgr__buf_puts(b, "</td></tr>\n");
	}
	kgr__buf_puts(b, "</table>\n<h3>Validation</h3>\n<ul class=\"notes\">\n");
	val = cJSON_IsObject(llm) ? cJSON_GetObjectItemCaseSensitive(llm, "validation") : NULL;
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(val, "notes")) {
		kgr__buf_puts(b, "<li class=\"validation\">");
		html(b, cJSON_IsString(n) ? n->valuestring : "");
		kgr__buf_puts(b, "</li>\n");
		any_note = 1;
	}
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(rec, "notes")) {
		kgr__buf_puts(b, "<li class=\"validation\">");
		html(b, cJSON_IsString(n) ? n->valuestring : "");
		kgr__buf_puts(b, "</li>\n");
		any_note = 1;
	}
	if (!any_note)
		kgr__buf_puts(b, "<li class=\"none\">no validation notes</li>\n");
	kgr__buf_puts(b, "</ul>\n<h3>Evidence</h3>\n<div class=\"evidence\">\n");
	dot = evidence_dot(rec, store);
	svg = dot ? dot_svg(dot) : NULL;
	if (svg)
		kgr__buf_puts(b, svg);
	else
		kgr__buf_puts(b, "<p class=\"warn\">Graphviz (dot) could not draw the evidence graph.</p>\n");
	free(dot);
	free(svg);
	kgr__buf_puts(b, "\n</div>\n</section>\n");
}

int kgr_audit_report_html(const char *log_path, const char *out_path, const kgr_store *store)
{
	kgr__audit_file file;
	kgr__buf b = { 0 };
	const char *base = strrchr(log_path, '/');
	FILE *f = NULL;
	size_t i, shown = 0;
	char *text = NULL;
	int error;

	if ((error = kgr__audit_read(&file, log_path)))
		return error;
	base = base ? base + 1 : log_path;
	kgr__buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>kgrec audit report: ");
	html(&b, base);
	kgr__buf_puts(&b, "</title>\n<style>\n"
		"body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#1f2937;background:#f9fafb}\n"
		"h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:2px solid #16a34a;padding-bottom:.2em}\n"
		"section.list{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1em 1.5em;margin-bottom:2em}\n"
		"table{border-collapse:collapse;width:100%}td,th{border:1px solid #e5e7eb;padding:.3em .5em;text-align:left;vertical-align:top}\n"
		"th{background:#f3f4f6}.meta{color:#6b7280}.ok{color:#15803d;font-weight:bold}\n"
		".warn{color:#b45309;font-weight:bold}li.validation{background:#fef08a;border-left:4px solid #ca8a04;"
		"padding:.3em .6em;margin:.2em 0;list-style:none}li.none{color:#6b7280;list-style:none}\n"
		".evidence svg{max-width:100%;height:auto}.skipped{background:#fee2e2;padding:.5em}\n"
		"</style>\n</head>\n<body>\n<h1>kgrec audit report: ");
	html(&b, base);
	kgr__buf_puts(&b, "</h1>\n");
	for (i = 0; i < file.n; i++) {
		const kgr__audit_line *l = &file.lines[i];
		const cJSON *v = l->rec ? cJSON_GetObjectItemCaseSensitive(l->rec, "v") : NULL;
		if (!l->rec || !cJSON_IsNumber(v) || v->valuedouble != KGR_AUDIT_FORMAT_VERSION) {
			kgr__buf_printf(&b, "<p class=\"skipped\">Line %zu skipped: %s.</p>\n", l->line,
				!l->rec ? (l->truncated ? "truncated record" : "not a record") : "another format version");
			continue;
		}
		report_record(&b, l->rec, store, l->line);
		shown++;
	}
	kgr__buf_printf(&b, "<p class=\"meta\">%zu list(s).</p>\n</body>\n</html>\n", shown);
	if (!(text = kgr__buf_take(&b))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (!(f = fopen(out_path, "w"))) {
		error = kgr__error_set(KGR_EIO, "audit report %s: %s", out_path, strerror(errno));
		goto cleanup;
	}
	if (fputs(text, f) < 0 || fclose(f) != 0) {
		f = NULL;
		error = kgr__error_set(KGR_EIO, "audit report %s: write failed", out_path);
		goto cleanup;
	}
	f = NULL;
cleanup:
	if (f)
		fclose(f);
	free(text);
	kgr__buf_free(&b);
	kgr__audit_file_free(&file);
	return error;
}
