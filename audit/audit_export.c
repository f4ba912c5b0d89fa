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

#define T(s, p, o) add(g, (s) ? strdup(s) : NULL, p, o)

/* The software that made a list, and the parameters it ran with: the activity is
 * associated with a prov:SoftwareAgent (kgrec and its version); every request option and,
 * with an LLM, the model's parameters become values of the activity. */
static void activity_params(graph *g, const char *A, const char *L, const cJSON *req, const cJSON *llm)
{
	static const char *const nums[][2] = { { "k", "k" }, { "n_candidates", "candidates" },
		{ "at", "historyBefore" }, { "generators", "generators" } };
	static const char *const bools[][2] = { { "explain", "explain" }, { "exclude_seen", "excludeSeen" },
		{ "require_path", "requirePath" } };
	const char *agent = "<https://w3id.org/kgrec/software/kgrec/" KGR_VERSION_STRING ">";
	const cJSON *pa = cJSON_IsObject(llm) ? cJSON_GetObjectItemCaseSensitive(llm, "params") : NULL, *v;
	size_t i;
	T(A, P(NS_PROV, "wasAssociatedWith"), strdup(agent));
	T(L, P(NS_PROV, "wasAttributedTo"), strdup(agent));
	T(agent, P(NS_RDF, "type"), P(NS_PROV, "SoftwareAgent"));
	T(agent, P(NS_RDFS, "label"), lit("kgrec", NULL));
	T(agent, P(NS_KGA, "version"), lit(KGR_VERSION_STRING, NULL));
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(req, nums[i][0])))
			T(A, P(NS_KGA, nums[i][1]), num(v->valuedouble, "integer"));
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(req, bools[i][0])) && (cJSON_IsBool(v) || cJSON_IsNumber(v)))
			T(A, P(NS_KGA, bools[i][1]), lit(cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble) ?
				"true" : "false", "boolean"));
	if (kgr__audit_str(req, "query"))
		T(A, P(NS_KGA, "query"), lit(kgr__audit_str(req, "query"), NULL));
	if (kgr__audit_str(cJSON_GetObjectItemCaseSensitive(req, "model"), "checksum"))
		T(A, P(NS_KGA, "learnedModel"), lit(kgr__audit_str(cJSON_GetObjectItemCaseSensitive(req, "model"),
			"checksum"), NULL));
	if (pa) {
		if (kgr__audit_str(pa, "mode"))
			T(A, P(NS_KGA, "mode"), lit(kgr__audit_str(pa, "mode"), NULL));
		if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(pa, "boots")))
			T(A, P(NS_KGA, "shuffles"), num(v->valuedouble, "integer"));
		if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(pa, "alpha")))
			T(A, P(NS_KGA, "alpha"), num(v->valuedouble, "double"));
		if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(pa, "temperature")))
			T(A, P(NS_KGA, "temperature"), num(v->valuedouble, "double"));
	}
}

/* An entry's structure: its score parts as values, and each evidence path in order as a
 * kga:EvidencePath whose kga:statements is an RDF list of the statements it walks. */
static void entry_structure(graph *g, const char *E, const cJSON *it)
{
	const cJSON *part, *p, *e, *parts = cJSON_GetObjectItemCaseSensitive(it, "contributions");
	size_t j = 0, k, n;
	/* a learned ranking's contributions are its score parts */
	if (!parts)
		parts = cJSON_GetObjectItemCaseSensitive(it, "parts");
	cJSON_ArrayForEach(part, parts) {
		char *pp = pct(part->string ? part->string : ""), *V = dupf("%.*s/part/%s>", (int)strlen(E) - 1, E, pp ? pp : "");
		if (cJSON_IsNumber(part)) {
			T(E, P(NS_KGA, "scorePart"), V ? strdup(V) : NULL);
			T(V, P(NS_KGA, "feature"), lit(part->string ? part->string : "", NULL));
			T(V, P(NS_RDF, "value"), num(part->valuedouble, "double"));
		}
		free(pp);
		free(V);
	}
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(it, "paths")) {
		char *PA = dupf("%.*s/path/%zu>", (int)strlen(E) - 1, E, ++j), *cell = NULL;
		const char *from = kgr__audit_str(p, "from");
		T(E, P(NS_KGA, "path"), PA ? strdup(PA) : NULL);
		T(PA, P(NS_RDF, "type"), P(NS_KGA, "EvidencePath"));
		T(PA, P(NS_KGA, "pathIndex"), num((double)j, "integer"));
		T(PA, P(NS_KGA, "pathScore"), num(kgr__audit_num(p, "score", 0), "double"));
		if (from)
			T(PA, P(NS_KGA, "from"), strdup(from));
		n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "edges"));
		k = 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p, "edges")) {
			char *st = statement(g, e), *C;
			if (!st) {
				n--; /* an edge the record does not spell out whole: not part of the list */
				continue;
			}
			C = dupf("%.*s/%zu>", (int)strlen(PA) - 1, PA, ++k);
			T(k == 1 ? PA : cell, k == 1 ? P(NS_KGA, "statements") : P(NS_RDF, "rest"), C ? strdup(C) : NULL);
			T(PA, P(NS_KGA, "uses"), st ? strdup(st) : NULL);
			T(C, P(NS_RDF, "first"), st);
			if (k == n)
				T(C, P(NS_RDF, "rest"), P(NS_RDF, "nil"));
			free(cell);
			cell = C;
		}
		free(cell);
		free(PA);
	}
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
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(rec, "history"))
		if (kgr__audit_str(x, "item"))
			T(A, P(NS_KGA, "historyItem"), strdup(kgr__audit_str(x, "item")));
	T(A, P(NS_RDF, "type"), P(NS_PROV, "Activity"));
	T(A, P(NS_RDF, "type"), P(NS_KGA, "Recommendation"));
	activity_params(g, A, L, req, llm);
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
			const cJSON *f, *c;
			cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(x, "candidates"))
				if (cJSON_IsString(c) && c->valuestring[0] == '<')
					T(A, P(NS_KGA, "candidateShown"), strdup(c->valuestring));
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
		entry_structure(g, E, it);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "cited")) {
			char *st = statement(g, e);
			if (st)
				T(E, P(NS_KGA, "cites"), st);
		}
		free(E);
	}
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

/* The colours of the evidence drawings, the same in `kgrec recommend --format dot`: history
 * blue, recommended items green, an edge the store no longer has red. */
#define COLOR_HISTORY "#dbeafe"
#define COLOR_LISTED "#dcfce7"
#define COLOR_FAILED "#dc2626"

/* The findings of verification that concern one record: the fields at fault. */
typedef struct {
	const kgr_audit_finding **f;
	size_t n;
} record_findings;

/* Whether a finding names field @p field or a field inside it ("list[2]" covers
 * "list[2].paths[0].edges[1]"). */
static int finding_in(const record_findings *rf, const char *field)
{
	size_t i, n = strlen(field);
	for (i = 0; i < rf->n; i++) {
		const char *f = rf->f[i]->field;
		if (rf->f[i]->severity == KGR_AUDIT_FAIL && f && !strncmp(f, field, n) &&
			(f[n] == 0 || f[n] == '.' || f[n] == '['))
			return 1;
	}
	return 0;
}

/* What readers see for a property: the ontology's phrase ("is in the category"), else its
 * label, else its local name. */
static const char *property_name(const kgr_store *store, const char *nt, char *buf, size_t size)
{
	kgr_id id = store && nt ? kgr__audit_term(store, nt, NULL) : 0;
	if (id) {
		kgr_id phrase = kgr_store_iri(store, KGR_NS "phrase");
		kgr_id o = phrase ? kgr_store_object(store, id, phrase) : 0;
		const char *v = o ? kgr_term_value(store, o, NULL) : NULL;
		if (v) {
			snprintf(buf, size, "%s", v);
			return buf;
		}
	}
	return name_of(store, nt, buf, size);
}

/* The evidence of one listed item in the dot language: its paths in order (edge labels carry
 * the path's number and the property's phrase), the history items they start from in blue,
 * the item in green, and each edge verification found missing in red. */
static char *item_dot(const cJSON *rec, const cJSON *item, size_t index, const kgr_store *store,
	const record_findings *rf)
{
	kgr__buf b = { 0 };
	strset nodes = { 0 };
	const cJSON *p, *e, *h;
	const char *me = kgr__audit_str(item, "item");
	size_t i, np = 0, ne;
	char name[256], lab[300], field[96];
	int oom = 0;

	if (!me)
		return NULL;
	oom |= strset_add(&nodes, me, NODE_LISTED);
	kgr__buf_puts(&b, "digraph evidence {\n  rankdir=LR; node [shape=box, style=\"rounded,filled\", "
		"fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10]; edge [fontname=\"Helvetica\", "
		"fontsize=9, color=\"#555555\"];\n");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(item, "paths")) {
		ne = 0;
		np++;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(p, "edges")) {
			const char *s = kgr__audit_str(e, "s"), *pr = kgr__audit_str(e, "p"), *o = kgr__audit_str(e, "o");
			int failed;
			snprintf(field, sizeof(field), "list[%zu].paths[%zu].edges[%zu]", index, np - 1, ne++);
			if (!s || !pr || !o)
				continue;
			failed = finding_in(rf, field);
			oom |= strset_add(&nodes, s, NODE_OTHER);
			oom |= strset_add(&nodes, o, NODE_OTHER);
			kgr__buf_puts(&b, "  ");
			dot_str(&b, s);
			kgr__buf_puts(&b, " -> ");
			dot_str(&b, o);
			snprintf(lab, sizeof(lab), "%zu: %s", np, property_name(store, pr, name, sizeof(name)));
			kgr__buf_puts(&b, " [label=");
			dot_str(&b, lab);
			if (failed)
				kgr__buf_puts(&b, ", color=\"" COLOR_FAILED "\", fontcolor=\"" COLOR_FAILED "\", penwidth=2.5, "
					"style=dashed, class=\"failed\"");
			kgr__buf_puts(&b, "];\n");
		}
	}
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(rec, "history"))
		for (i = 0; i < nodes.n; i++)
			if (kgr__audit_str(h, "item") && !strcmp(nodes.v[i], kgr__audit_str(h, "item")))
				oom |= strset_add(&nodes, nodes.v[i], NODE_HISTORY);
	for (i = 0; i < nodes.n; i++) {
		const char *label = name_of(store, nodes.v[i], name, sizeof(name));
		kgr__buf_puts(&b, "  ");
		dot_str(&b, nodes.v[i]);
		if (nodes.tag[i] == NODE_LISTED) {
			snprintf(lab, sizeof(lab), "#%d %s", (int)kgr__audit_num(item, "rank", 0), label);
			kgr__buf_puts(&b, " [fillcolor=\"" COLOR_LISTED "\", penwidth=2, label=");
			dot_str(&b, lab);
		} else {
			kgr__buf_puts(&b, nodes.tag[i] == NODE_HISTORY ? " [fillcolor=\"" COLOR_HISTORY "\", label=" :
				" [label=");
			dot_str(&b, label);
		}
		kgr__buf_puts(&b, "];\n");
	}
	kgr__buf_puts(&b, "}\n");
	free(nodes.v);
	free(nodes.tag);
	if (oom || !np) {
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

/* A banner: the state of a record or an item at a glance, with the reasons. */
static void banner(kgr__buf *b, const char *cls, const char *state, const char *why)
{
	kgr__buf_printf(b, "<div class=\"banner %s\" data-state=\"%s\"><b>", cls, state);
	html(b, state);
	kgr__buf_puts(b, "</b>");
	if (why && *why) {
		kgr__buf_puts(b, ": ");
		html(b, why);
	}
	kgr__buf_puts(b, "</div>\n");
}

/* The record's state from its findings: "verified", or the kinds of failure found. */
static const char *record_state(const record_findings *rf, int verified, char *why, size_t size)
{
	size_t i, fails = 0;
	int edges = 0, digest = 0, ungrounded = 0, other = 0;
	why[0] = 0;
	if (!verified)
		return "not verified";
	for (i = 0; i < rf->n; i++) {
		const char *f = rf->f[i]->field ? rf->f[i]->field : "";
		if (rf->f[i]->severity != KGR_AUDIT_FAIL)
			continue;
		fails++;
		if (strstr(f, ".edges[") || strstr(f, ".cited["))
			edges = 1;
		else if (strstr(f, "digest") || strstr(rf->f[i]->message, "digest"))
			digest = 1;
		else if (strstr(f, "grounded") || strstr(f, "rationale"))
			ungrounded = 1;
		else
			other = 1;
	}
	if (!fails)
		return "verified";
	snprintf(why, size, "%s%s%s%s", edges ? "edges missing; " : "", digest ? "digest mismatch; " : "",
		ungrounded ? "rationale ungrounded; " : "", other ? "other findings; " : "");
	if (*why)
		why[strlen(why) - 2] = 0;
	return "failed";
}

static void report_meta(kgr__buf *b, const cJSON *rec, const kgr_store *store, size_t line)
{
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(rec, "request");
	const cJSON *llm = cJSON_GetObjectItemCaseSensitive(rec, "llm");
	const char *user = kgr__audit_str(req, "user"), *q = kgr__audit_str(req, "query");
	char name[256];

	kgr__buf_puts(b, "<dl class=\"meta\">\n<dt>time</dt><dd>");
	html(b, kgr__audit_str(rec, "time"));
	kgr__buf_puts(b, "</dd>\n<dt>user</dt><dd>");
	html(b, user ? name_of(store, user, name, sizeof(name)) : "anonymous");
	kgr__buf_puts(b, "</dd>\n<dt>snapshot</dt><dd><code>");
	html(b, kgr__audit_str(cJSON_GetObjectItemCaseSensitive(rec, "snapshot"), "checksum"));
	kgr__buf_printf(b, "</code></dd>\n<dt>log line</dt><dd>%zu</dd>\n<dt>parameters</dt><dd>k %d, "
		"candidates %d, explain %s, exclude seen %s", line, (int)kgr__audit_num(req, "k", 0),
		(int)kgr__audit_num(req, "n_candidates", 0), kgr__audit_num(req, "explain", 0) ? "yes" : "no",
		kgr__audit_num(req, "exclude_seen", 0) ? "yes" : "no");
	if (kgr__audit_num(req, "at", 0))
		kgr__buf_printf(b, ", history before %.0f", kgr__audit_num(req, "at", 0));
	if (kgr__audit_str(cJSON_GetObjectItemCaseSensitive(req, "model"), "checksum")) {
		kgr__buf_puts(b, ", learned model <code>");
		html(b, kgr__audit_str(cJSON_GetObjectItemCaseSensitive(req, "model"), "checksum"));
		kgr__buf_puts(b, "</code>");
	}
	if (q) {
		kgr__buf_puts(b, ", query &ldquo;");
		html(b, q);
		kgr__buf_puts(b, "&rdquo;");
	}
	kgr__buf_puts(b, "</dd>\n");
	if (cJSON_IsObject(llm)) {
		const cJSON *pa = cJSON_GetObjectItemCaseSensitive(llm, "params");
		kgr__buf_puts(b, "<dt>model</dt><dd><code>");
		html(b, kgr__audit_str(llm, "model"));
		kgr__buf_puts(b, "</code> (");
		html(b, kgr__audit_str(pa, "mode"));
		kgr__buf_printf(b, ", %d shuffle(s), alpha %.2f, temperature %.2f)</dd>\n",
			(int)kgr__audit_num(pa, "boots", 1), kgr__audit_num(pa, "alpha", 0),
			kgr__audit_num(pa, "temperature", 0));
	} else {
		kgr__buf_puts(b, "<dt>ranker</dt><dd>graph</dd>\n");
	}
	kgr__buf_puts(b, "</dl>\n");
}

static void report_history(kgr__buf *b, const cJSON *rec, const kgr_store *store)
{
	const cJSON *h;
	char name[256];
	kgr__buf_puts(b, "<h3>History</h3>\n<ol class=\"history\">\n");
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(rec, "history")) {
		kgr__buf_puts(b, "<li>");
		html(b, name_of(store, kgr__audit_str(h, "item"), name, sizeof(name)));
		if (kgr__audit_str(h, "action")) {
			kgr__buf_puts(b, " <span class=\"action\">(");
			html(b, property_name(store, kgr__audit_str(h, "action"), name, sizeof(name)));
			kgr__buf_puts(b, ")</span>");
		}
		if (kgr__audit_str(h, "time")) {
			kgr__buf_puts(b, " <span class=\"when\">");
			html(b, kgr__audit_str(h, "time"));
			kgr__buf_puts(b, "</span>");
		}
		kgr__buf_puts(b, "</li>\n");
	}
	kgr__buf_puts(b, "</ol>\n");
}

/* One listed item: its banner, score and score parts, rationale (and the model's, with the
 * facts it cited), and its own evidence drawing. */
static void report_item(kgr__buf *b, const cJSON *rec, const cJSON *it, size_t index,
	const kgr_store *store, const record_findings *rf, int verified)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(it, "grounded"), *part, *parts, *e;
	char name[256], field[32], *dot, *svg;
	int edges_bad, other_bad;

	snprintf(field, sizeof(field), "list[%zu]", index);
	edges_bad = 0;
	other_bad = finding_in(rf, field);
	{
		size_t k;
		for (k = 0; k < rf->n; k++)
			if (rf->f[k]->field && !strncmp(rf->f[k]->field, field, strlen(field)) &&
				(strstr(rf->f[k]->field, ".edges[") || strstr(rf->f[k]->field, ".cited[")))
				edges_bad = 1;
	}
	kgr__buf_printf(b, "<div class=\"item\" id=\"%s-%zu\">\n<h4>#%d ", "item", index,
		(int)kgr__audit_num(it, "rank", 0));
	html(b, name_of(store, kgr__audit_str(it, "item"), name, sizeof(name)));
	kgr__buf_printf(b, " <span class=\"score\">score %.4f</span></h4>\n", kgr__audit_num(it, "score", 0));
	if (!verified)
		banner(b, "unknown", "not verified", "no store was given");
	else if (edges_bad)
		banner(b, "fail", "edges missing", "an evidence or cited edge is not in the store (red below)");
	else if (other_bad)
		banner(b, "fail", "failed", "see the record's findings");
	else if (cJSON_IsBool(g) && !cJSON_IsTrue(g))
		banner(b, "warn", "rationale ungrounded", "the model's rationale cited no fact it was given; the graph's is shown");
	else
		banner(b, "ok", "verified", NULL);
	if ((parts = cJSON_GetObjectItemCaseSensitive(it, "contributions")))
		kgr__buf_puts(b, "<table class=\"parts\"><tr><th>feature (learned ranker)</th>"
			"<th>contribution</th></tr>\n");
	else
		kgr__buf_puts(b, "<table class=\"parts\"><tr><th>score part</th><th>value</th></tr>\n");
	if (!parts)
		parts = cJSON_GetObjectItemCaseSensitive(it, "parts");
	cJSON_ArrayForEach(part, parts) {
		kgr__buf_puts(b, "<tr><td>");
		html(b, part->string);
		kgr__buf_printf(b, "</td><td>%.4f</td></tr>\n", cJSON_IsNumber(part) ? part->valuedouble : 0.0);
	}
	kgr__buf_puts(b, "</table>\n<p class=\"rationale\">");
	html(b, kgr__audit_str(it, "rationale"));
	if (cJSON_IsBool(g))
		kgr__buf_puts(b, cJSON_IsTrue(g) ? " <span class=\"ok\">(the model's, grounded)</span>" :
			" <span class=\"warn\">(the graph's: the model's was ungrounded)</span>");
	kgr__buf_puts(b, "</p>\n");
	if (cJSON_IsBool(g) && cJSON_IsTrue(g) && kgr__audit_str(it, "graph_rationale")) {
		kgr__buf_puts(b, "<p class=\"graph-said\">The graph's rationale: &ldquo;");
		html(b, kgr__audit_str(it, "graph_rationale"));
		kgr__buf_puts(b, "&rdquo;</p>\n");
	}
	if (cJSON_IsBool(g) && !cJSON_IsTrue(g) && kgr__audit_str(it, "llm_rationale")) {
		kgr__buf_puts(b, "<p class=\"model-said\">The model said: &ldquo;");
		html(b, kgr__audit_str(it, "llm_rationale"));
		kgr__buf_puts(b, "&rdquo; <span class=\"warn\">(no valid citation)</span></p>\n");
	}
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "llm_valid")))
		kgr__buf_puts(b, "<p class=\"validation\">Validation: no answer of the model placed this item "
			"validly; its LLM part comes from the graph order.</p>\n");
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(it, "cited")) > 0) {
		kgr__buf_puts(b, "<p>Facts the model cited:</p>\n<ul class=\"cited\">\n");
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(it, "cited")) {
			kgr__buf_puts(b, "<li>");
			html(b, name_of(store, kgr__audit_str(e, "s"), name, sizeof(name)));
			kgr__buf_puts(b, " &rarr; ");
			html(b, property_name(store, kgr__audit_str(e, "p"), name, sizeof(name)));
			kgr__buf_puts(b, " &rarr; ");
			html(b, name_of(store, kgr__audit_str(e, "o"), name, sizeof(name)));
			kgr__buf_puts(b, "</li>\n");
		}
		kgr__buf_puts(b, "</ul>\n");
	}
	dot = item_dot(rec, it, index, store, rf);
	svg = dot ? dot_svg(dot) : NULL;
	if (svg) {
		kgr__buf_puts(b, "<div class=\"evidence\">\n");
		kgr__buf_puts(b, svg);
		kgr__buf_puts(b, "\n</div>\n");
	} else if (dot) {
		kgr__buf_puts(b, "<p class=\"warn\">Graphviz (dot) could not draw the evidence.</p>\n");
	} else {
		kgr__buf_puts(b, "<p class=\"none\">No evidence path.</p>\n");
	}
	free(dot);
	free(svg);
	kgr__buf_puts(b, "</div>\n");
}

static void report_record(kgr__buf *b, const cJSON *rec, const kgr_store *store, size_t line,
	const record_findings *rf, int verified)
{
	const char *id = kgr__audit_str(rec, "id");
	const cJSON *llm = cJSON_GetObjectItemCaseSensitive(rec, "llm"), *val, *it, *n;
	char why[200];
	const char *state = record_state(rf, verified, why, sizeof(why));
	size_t i;
	int any_note = 0;

	kgr__buf_printf(b, "<section class=\"list\" data-state=\"%s\">\n<h2>List ", state);
	html(b, id ? id : "(no id)");
	kgr__buf_puts(b, "</h2>\n");
	banner(b, !verified ? "unknown" : strcmp(state, "verified") ? "fail" : "ok", state,
		!verified ? "no store was given (kgrec audit report LOG --store STORE)" : why);
	if (rf->n) {
		kgr__buf_puts(b, "<ul class=\"findings\">\n");
		for (i = 0; i < rf->n; i++) {
			kgr__buf_printf(b, "<li class=\"%s\">", rf->f[i]->severity == KGR_AUDIT_FAIL ? "fail" : "info");
			if (rf->f[i]->field) {
				kgr__buf_puts(b, "<code>");
				html(b, rf->f[i]->field);
				kgr__buf_puts(b, "</code>: ");
			}
			html(b, rf->f[i]->message);
			kgr__buf_puts(b, "</li>\n");
		}
		kgr__buf_puts(b, "</ul>\n");
	}
	report_meta(b, rec, store, line);
	report_history(b, rec, store);
	kgr__buf_puts(b, "<h3>Items</h3>\n");
	i = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "list"))
		report_item(b, rec, it, i++, store, rf, verified);
	kgr__buf_puts(b, "<h3>Validation</h3>\n<ul class=\"notes\">\n");
	val = cJSON_IsObject(llm) ? cJSON_GetObjectItemCaseSensitive(llm, "validation") : NULL;
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(val, "notes")) {
		kgr__buf_puts(b, "<li class=\"validation\">");
		html(b, cJSON_IsString(n) ? n->valuestring : "");
		kgr__buf_puts(b, "</li>\n");
		any_note = 1;
	}
	if (!any_note)
		kgr__buf_puts(b, "<li class=\"none\">no validation notes</li>\n");
	kgr__buf_puts(b, "</ul>\n</section>\n");
}

/* The findings of one log line, borrowed from @p vr. */
static int findings_of(record_findings *rf, const kgr_audit_result *vr, size_t line)
{
	size_t i;
	rf->n = 0;
	rf->f = NULL;
	if (!vr)
		return 0;
	for (i = 0; i < vr->n_findings; i++)
		if (vr->findings[i].line == line) {
			const kgr_audit_finding **a = realloc(rf->f, (rf->n + 1) * sizeof(*a));
			if (!a)
				return -1;
			rf->f = a;
			rf->f[rf->n++] = &vr->findings[i];
		}
	return 0;
}

static const char report_style[] =
	"body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#1f2937;background:#f9fafb}\n"
	"h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:2px solid #16a34a;padding-bottom:.2em}\n"
	"h4{margin:.4em 0}.score{color:#6b7280;font-weight:normal;font-size:.9em}\n"
	"section.list{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1em 1.5em;margin-bottom:2em}\n"
	"section.list[data-state=failed]{border:2px solid #dc2626}\n"
	"div.item{border-top:1px solid #e5e7eb;padding:.6em 0}\n"
	".banner{padding:.4em .8em;border-radius:6px;margin:.4em 0}.banner.ok{background:#dcfce7;color:#14532d}\n"
	".banner.fail{background:#fee2e2;color:#7f1d1d;border-left:6px solid #dc2626}\n"
	".banner.warn{background:#fef3c7;color:#78350f}.banner.unknown{background:#e5e7eb;color:#374151}\n"
	"ul.findings li.fail{color:#7f1d1d}ul.findings li.info{color:#374151}\n"
	"dl.meta{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;color:#374151}dl.meta dt{font-weight:bold}\n"
	"dl.meta dd{margin:0}\n"
	"table{border-collapse:collapse}td,th{border:1px solid #e5e7eb;padding:.2em .5em;text-align:left}\n"
	"th{background:#f3f4f6}.ok{color:#15803d;font-weight:bold}.when{color:#6b7280}\n"
	".warn{color:#b45309;font-weight:bold}li.validation{background:#fef08a;border-left:4px solid #ca8a04;"
	"padding:.3em .6em;margin:.2em 0;list-style:none}li.none,p.none{color:#6b7280;list-style:none}\n"
	".evidence svg{max-width:100%;height:auto}.skipped{background:#fee2e2;padding:.5em}\n"
	".legend span{display:inline-block;padding:.1em .6em;margin-right:.6em;border-radius:4px;border:1px solid #9ca3af}\n";

int kgr_audit_report_html(const char *log_path, const char *out_path, const kgr_store *store)
{
	kgr__audit_file file;
	kgr_audit_result *vr = NULL;
	record_findings rf = { NULL, 0 };
	kgr__buf b = { 0 };
	const char *base = strrchr(log_path, '/');
	FILE *f = NULL;
	size_t i, shown = 0;
	char *text = NULL;
	int error;

	if ((error = kgr__audit_read(&file, log_path)))
		return error;
	if (store && (error = kgr_audit_verify(&vr, log_path, store)) < 0)
		goto cleanup;
	error = 0;
	base = base ? base + 1 : log_path;
	kgr__buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>kgrec audit report: ");
	html(&b, base);
	kgr__buf_puts(&b, "</title>\n<style>\n");
	kgr__buf_puts(&b, report_style);
	kgr__buf_puts(&b, "</style>\n</head>\n<body>\n<h1>kgrec audit report: ");
	html(&b, base);
	kgr__buf_puts(&b, "</h1>\n");
	if (vr)
		kgr__buf_printf(&b, "<p class=\"summary\" data-failed=\"%zu\">Verified against the store: %zu "
			"record(s), %zu passed, %zu failed; %zu of %zu evidence edges missing.</p>\n", vr->failed,
			vr->records, vr->passed, vr->failed, vr->edges_missing, vr->edges_checked);
	else
		kgr__buf_puts(&b, "<p class=\"summary\">Not verified: give the store the lists were made on "
			"(<code>--store</code>) to check every edge.</p>\n");
	kgr__buf_puts(&b, "<p class=\"legend\"><span style=\"background:" COLOR_HISTORY "\">history</span>"
		"<span style=\"background:" COLOR_LISTED "\">recommended</span><span style=\"border-color:"
		COLOR_FAILED ";color:" COLOR_FAILED "\">edge missing from the store</span></p>\n");
	for (i = 0; i < file.n; i++) {
		const kgr__audit_line *l = &file.lines[i];
		const cJSON *v = l->rec ? cJSON_GetObjectItemCaseSensitive(l->rec, "v") : NULL;
		if (!l->rec || !cJSON_IsNumber(v) || v->valuedouble != KGR_AUDIT_FORMAT_VERSION) {
			kgr__buf_printf(&b, "<p class=\"skipped\">Line %zu skipped: %s.</p>\n", l->line,
				!l->rec ? (l->truncated ? "truncated record" : "not a record") : "another format version");
			continue;
		}
		if (findings_of(&rf, vr, l->line) < 0) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		report_record(&b, l->rec, store, l->line, &rf, vr != NULL);
		free(rf.f);
		rf.f = NULL;
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
	free(rf.f);
	kgr__buf_free(&b);
	kgr_audit_result_free(vr);
	kgr__audit_file_free(&file);
	return error;
}
