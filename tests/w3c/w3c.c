/* kgrec_w3c: runs the W3C SPARQL 1.0 and 1.1 query tests against kgrec and checks the
 * counts against a floor recorded in the repository (tests/w3c/floor.txt).
 *
 *   kgrec_w3c [--suite DIR] [--floor FILE] [--update-floor] [--only TEXT] [--timeout MS]
 *
 * The suites are read from DIR (default: $KGR_W3C_DIR, else ../shared/w3c-sparql beside the
 * source tree; see its SOURCE.md), never written. Each mf:QueryEvaluationTest (and
 * mf:CSVResultFormatTest) gets a fresh store holding its qt:data (default graph) and its
 * qt:graphData and FROM / FROM NAMED files (named graphs named by their file IRI), runs its
 * query with kgr_sparql_query() under a time limit and compares with mf:result: terms
 * exactly, blank nodes up to a renaming, rows as a multiset or, under a top-level ORDER BY,
 * in sequence on the projected sort keys. Positive syntax tests must run (on an empty store),
 * negative ones must be refused with a syntax or unsupported error.
 *
 * Prints the count per manifest directory, the totals of evaluation, positive syntax and
 * negative syntax, and each failing test with a reason. Exit status 1 when a count falls
 * below its floor or a test the floor lists as passing fails (or the suites are absent). */
#include "w3c/w3c.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "kgrec/sparql.h"
#include "kgrec/store.h"

#define MF "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
#define QT "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
#define RDFS "http://www.w3.org/2000/01/rdf-schema#"

enum { T_EVAL, T_POSITIVE, T_NEGATIVE, T_KINDS };
static const char *const kind_names[T_KINDS] = { "evaluation", "positive-syntax", "negative-syntax" };

typedef struct {
	char *id;       /* category/local name */
	char *category; /* manifest directory relative to the suite */
	char *name;     /* mf:name, or NULL */
	int kind;
	int passed;
	char reason[400];
} test_rec;

static test_rec *tests;
static size_t ntests, cap_tests;
static char suite_root[PATH_MAX];
static unsigned int timeout_ms = 10000;
static const char *only;
static char **visited;
static size_t nvisited;
static kgr_store *empty_store;

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

static char *slurp_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static const char *uri_path(const char *uri)
{
	return !strncmp(uri, "file://", 7) ? uri + 7 : NULL;
}

static int file_exists(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static test_rec *add_test(const char *category, const w3c_term *node, int kind)
{
	const char *local = strrchr(node->value, '#');
	char id[PATH_MAX + 600];
	test_rec *t;
	if (!local)
		local = strrchr(node->value, '/');
	local = local ? local + 1 : node->value;
	snprintf(id, sizeof(id), "%s/%s", category, local);
	if (ntests == cap_tests) {
		cap_tests = cap_tests ? cap_tests * 2 : 256;
		tests = realloc(tests, cap_tests * sizeof(*tests));
		if (!tests)
			abort();
	}
	t = &tests[ntests++];
	memset(t, 0, sizeof(*t));
	t->id = xstrdup(id);
	t->category = xstrdup(category);
	t->kind = kind;
	return t;
}

static void fail(test_rec *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(test_rec *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
	va_end(ap);
	t->passed = 0;
}

/* ---- the query text ---- */

/* Past a string, IRI or comment starting at p (which is one of them), else p + 1. */
static const char *skip_token(const char *p)
{
	if (*p == '#') {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	if (*p == '<') {
		const char *q = p + 1;
		while (*q && *q != '>' && !isspace((unsigned char)*q) && *q != '<')
			q++;
		return *q == '>' ? q + 1 : p + 1;
	}
	if (*p == '"' || *p == '\'') {
		char quote = *p;
		int longq = p[1] == quote && p[2] == quote;
		p += longq ? 3 : 1;
		while (*p) {
			if (*p == '\\' && p[1]) {
				p += 2;
				continue;
			}
			if (*p == quote && (!longq || (p[1] == quote && p[2] == quote)))
				return p + (longq ? 3 : 1);
			p++;
		}
		return p;
	}
	return p + 1;
}

static int word_at(const char *p, const char *start, const char *w)
{
	size_t n = strlen(w);
	return (p == start || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '?' ||
				      p[-1] == '$' || p[-1] == ':')) &&
	       !strncasecmp(p, w, n) && !(isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == ':');
}

/* A top-level ORDER BY (outside every group): 1 and its plain variable keys (?v, ASC(?v),
 * DESC(?v); expressions are not checked) in vars, NULL-terminated; else 0. */
static int top_order_by(const char *q, char **vars, size_t max)
{
	const char *p = q;
	int depth = 0;
	size_t n = 0;
	vars[0] = NULL;
	while (*p) {
		if (*p == '#' || *p == '<' || *p == '"' || *p == '\'') {
			p = skip_token(p);
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}')
			depth--;
		else if (depth == 0 && word_at(p, q, "ORDER")) {
			const char *r = p + 5;
			while (isspace((unsigned char)*r))
				r++;
			if (word_at(r, q, "BY")) {
				p = r + 2;
				break;
			}
		}
		p++;
	}
	if (!*p)
		return 0;
	while (*p && !word_at(p, q, "LIMIT") && !word_at(p, q, "OFFSET") && !word_at(p, q, "VALUES") &&
		*p != '{') {
		if (*p == '?' || *p == '$') {
			const char *s = ++p;
			while (isalnum((unsigned char)*p) || *p == '_')
				p++;
			if (n + 1 < max) {
				vars[n] = strndup(s, (size_t)(p - s));
				vars[++n] = NULL;
			}
			continue;
		}
		if (word_at(p, q, "ASC") || word_at(p, q, "DESC")) {
			/* ASC(?v) / DESC(?v): a plain key; ASC(expression): skipped below */
			const char *r = p + (toupper((unsigned char)*p) == 'A' ? 3 : 4), *s, *e;
			while (isspace((unsigned char)*r))
				r++;
			p = r;
			if (*r == '(') {
				r++;
				while (isspace((unsigned char)*r))
					r++;
				if (*r == '?' || *r == '$') {
					s = ++r;
					while (isalnum((unsigned char)*r) || *r == '_')
						r++;
					e = r;
					while (isspace((unsigned char)*r))
						r++;
					if (*r == ')' && n + 1 < max) {
						vars[n] = strndup(s, (size_t)(e - s));
						vars[++n] = NULL;
					}
				}
			}
			continue;
		}
		if (*p == '(') { /* an expression key */
			int d = 0;
			do {
				if (*p == '(')
					d++;
				else if (*p == ')')
					d--;
				p++;
			} while (*p && d);
			continue;
		}
		p++;
	}
	return 1;
}

/* The IRIs of FROM and FROM NAMED clauses, resolved against the query's base. */
static size_t from_clauses(const char *q, const char *base, char **out, int *named, size_t max)
{
	raptor_world *w = w3c_raptor();
	raptor_uri *b = raptor_new_uri(w, (const unsigned char *)base);
	const char *p = q;
	size_t n = 0;
	while (*p && n < max) {
		if (*p == '#' || *p == '"' || *p == '\'') {
			p = skip_token(p);
			continue;
		}
		if (word_at(p, q, "FROM")) {
			const char *r = p + 4;
			int is_named = 0;
			while (isspace((unsigned char)*r))
				r++;
			if (word_at(r, q, "NAMED")) {
				is_named = 1;
				r += 5;
				while (isspace((unsigned char)*r))
					r++;
			}
			if (*r == '<') {
				const char *e = strchr(r, '>');
				if (e) {
					char *rel = strndup(r + 1, (size_t)(e - r - 1));
					raptor_uri *u = raptor_new_uri_relative_to_base(w, b, (const unsigned char *)rel);
					if (u) {
						out[n] = xstrdup((const char *)raptor_uri_as_string(u));
						named[n++] = is_named;
						raptor_free_uri(u);
					}
					free(rel);
					p = e + 1;
					continue;
				}
			}
		}
		p++;
	}
	raptor_free_uri(b);
	return n;
}

/* ---- running a test ---- */

static int query_kgrec(kgr_sparql_result **out, const kgr_store *store, const char *text, const char *base)
{
	kgr_sparql_options opts = KGR_SPARQL_OPTIONS_INIT;
	opts.timeout_ms = timeout_ms;
	opts.base_iri = base;
	/* the test suites' dataset: qt:data is the default graph, qt:graphData named graphs */
	opts.unnamed_default_graph = 1;
	return kgr_sparql_query(out, store, text, &opts);
}

static int add_graph(char **nq, size_t *len, const char *file_uri, const char *graph_iri, size_t k,
	char *err, size_t errlen)
{
	w3c_graph g = { 0 };
	char prefix[32];
	const char *path = uri_path(file_uri);
	snprintf(prefix, sizeof(prefix), "f%zux", k);
	if (!path) {
		snprintf(err, errlen, "data is not a local file: %s", file_uri);
		return -1;
	}
	if (w3c_graph_parse(&g, path, file_uri, prefix, err, errlen)) {
		w3c_graph_free(&g);
		return -1;
	}
	w3c_graph_nquads(&g, graph_iri, nq, len);
	w3c_graph_free(&g);
	return 0;
}

static void run_eval(test_rec *t, const w3c_graph *m, const w3c_term *node)
{
	const w3c_term *action = w3c_graph_object(m, node, MF "action");
	const w3c_term *result = w3c_graph_object(m, node, MF "result");
	const w3c_term *query = action ? w3c_graph_object(m, action, QT "query") : NULL, *d, *card;
	char *text = NULL, *nq = NULL, *from[32], *loaded[64], err[400], *order[32];
	int named[32];
	size_t len = 0, k = 0, i, nfrom = 0, nloaded = 0, from_i;
	kgr_store *store = NULL;
	kgr_sparql_result *res = NULL;
	w3c_result want = { 0 }, got = { 0 };
	int rc, ordered;

	order[0] = NULL;
	if (!query || !result) {
		fail(t, "manifest entry without qt:query or mf:result");
		return;
	}
	if (!(text = slurp_text(uri_path(query->value) ? uri_path(query->value) : ""))) {
		fail(t, "cannot read the query %s", query->value);
		return;
	}
	from_i = 0;
	while ((d = w3c_graph_next_object(m, action, QT "data", &from_i))) {
		if (add_graph(&nq, &len, d->value, NULL, k++, err, sizeof(err))) {
			fail(t, "test data: %s", err);
			goto done;
		}
	}
	from_i = 0;
	while ((d = w3c_graph_next_object(m, action, QT "graphData", &from_i))) {
		const char *file = d->value, *name = d->value;
		if (d->kind == KGR_TERM_BLANK) { /* [ qt:graph <file> ; rdfs:label "name" ] */
			const w3c_term *g = w3c_graph_object(m, d, QT "graph"), *l = w3c_graph_object(m, d, RDFS "label");
			if (!g)
				continue;
			file = g->value;
			name = l ? l->value : g->value;
		}
		if (add_graph(&nq, &len, file, name, k++, err, sizeof(err))) {
			fail(t, "test data: %s", err);
			goto done;
		}
		if (nloaded < 64)
			loaded[nloaded++] = xstrdup(name);
	}
	/* graphs a FROM / FROM NAMED clause names are loaded as named graphs of that name */
	nfrom = from_clauses(text, query->value, from, named, 32);
	for (i = 0; i < nfrom; i++) {
		size_t j;
		for (j = 0; j < nloaded && strcmp(loaded[j], from[i]); j++)
			;
		if (j < nloaded || !file_exists(uri_path(from[i])))
			continue;
		if (add_graph(&nq, &len, from[i], from[i], k++, err, sizeof(err))) {
			fail(t, "test data: %s", err);
			goto done;
		}
		if (nloaded < 64)
			loaded[nloaded++] = xstrdup(from[i]);
	}
	if (kgr_store_new(&store, 0) || (len && kgr_store_load_rdf_buffer(store, nq, len, "nquads", NULL, t->id)) ||
		kgr_store_finalize(store)) {
		fail(t, "kgrec refused the test data: %s", kgr_error_last());
		goto done;
	}
	if ((rc = query_kgrec(&res, store, text, query->value))) {
		fail(t, "kgrec error %d: %s", rc, kgr_error_last());
		goto done;
	}
	if (w3c_result_read(&want, uri_path(result->value) ? uri_path(result->value) : "", result->value,
		    err, sizeof(err))) {
		fail(t, "expected result: %s", err);
		goto done;
	}
	w3c_result_from_kgr(&got, res);
	ordered = top_order_by(text, order, 32);
	card = w3c_graph_object(m, node, MF "resultCardinality");
	t->passed = w3c_result_compare(&want, &got, ordered, order,
		card && card->kind == KGR_TERM_IRI && !strcmp(card->value, MF "LaxCardinality"), t->reason,
		sizeof(t->reason));
done:
	for (i = 0; order[i]; i++)
		free(order[i]);
	for (i = 0; i < nfrom; i++)
		free(from[i]);
	for (i = 0; i < nloaded; i++)
		free(loaded[i]);
	w3c_result_free(&want);
	w3c_result_free(&got);
	kgr_sparql_result_free(res);
	kgr_store_free(store);
	free(nq);
	free(text);
}

static void run_syntax(test_rec *t, const w3c_graph *m, const w3c_term *node)
{
	const w3c_term *action = w3c_graph_object(m, node, MF "action");
	kgr_sparql_result *res = NULL;
	char *text;
	int rc;
	if (!action || !(text = slurp_text(uri_path(action->value) ? uri_path(action->value) : ""))) {
		fail(t, "cannot read the query");
		return;
	}
	rc = query_kgrec(&res, empty_store, text, action->value);
	kgr_sparql_result_free(res);
	free(text);
	if (t->kind == T_POSITIVE) {
		t->passed = rc == 0;
		if (rc)
			fail(t, "refused (error %d): %s", rc, kgr_error_last());
	} else {
		t->passed = rc == KGR_EPARSE || rc == KGR_EUNSUPPORTED || rc == KGR_EINVALID;
		if (rc == 0)
			fail(t, "accepted");
		else if (!t->passed)
			fail(t, "not refused as invalid (error %d): %s", rc, kgr_error_last());
	}
}

/* ---- manifests ---- */

static int test_kind(const char *type)
{
	if (!strcmp(type, MF "QueryEvaluationTest") || !strcmp(type, MF "CSVResultFormatTest"))
		return T_EVAL;
	if (!strcmp(type, MF "PositiveSyntaxTest") || !strcmp(type, MF "PositiveSyntaxTest11"))
		return T_POSITIVE;
	if (!strcmp(type, MF "NegativeSyntaxTest") || !strcmp(type, MF "NegativeSyntaxTest11"))
		return T_NEGATIVE;
	return -1;
}

static int run_manifest(const char *path)
{
	char uri[PATH_MAX + 8], err[400], category[PATH_MAX];
	w3c_graph m = { 0 };
	const w3c_term *list[1024], *head;
	size_t n, i, mi;
	const char *slash;

	for (i = 0; i < nvisited; i++)
		if (!strcmp(visited[i], path))
			return 0;
	visited = realloc(visited, (nvisited + 1) * sizeof(*visited));
	if (!visited)
		abort();
	visited[nvisited++] = xstrdup(path);

	snprintf(uri, sizeof(uri), "file://%s", path);
	if (w3c_graph_parse(&m, path, uri, NULL, err, sizeof(err))) {
		fprintf(stderr, "kgrec_w3c: %s\n", err);
		w3c_graph_free(&m);
		return -1;
	}
	/* the category: the manifest's directory below the suite root */
	snprintf(category, sizeof(category), "%s", path + strlen(suite_root) + 1);
	slash = strrchr(category, '/');
	if (slash)
		category[slash - category] = '\0';
	/* the manifest node: <> or a blank node typed mf:Manifest */
	for (mi = 0; mi < m.n; mi++) {
		const w3c_term *self = &m.t[mi].s;
		if (strcmp(m.t[mi].p.value, W3C_RDF "type") || m.t[mi].o.kind != KGR_TERM_IRI ||
			strcmp(m.t[mi].o.value, MF "Manifest"))
			continue;
		if ((head = w3c_graph_object(&m, self, MF "include"))) {
			n = w3c_graph_list(&m, head, list, 1024);
			for (i = 0; i < n; i++) {
				const char *p = uri_path(list[i]->value);
				if (p && run_manifest(p)) {
					w3c_graph_free(&m);
					return -1;
				}
			}
		}
		if ((head = w3c_graph_object(&m, self, MF "entries"))) {
			n = w3c_graph_list(&m, head, list, 1024);
			for (i = 0; i < n; i++) {
				const w3c_term *type = w3c_graph_object(&m, list[i], W3C_RDF "type");
				int kind = type ? test_kind(type->value) : -1;
				test_rec *t;
				if (kind < 0)
					continue;
				t = add_test(category, list[i], kind);
				if ((type = w3c_graph_object(&m, list[i], MF "name")) && type->kind == KGR_TERM_LITERAL &&
					!strstr(t->id, type->value))
					t->name = xstrdup(type->value);
				if (only && !strstr(t->id, only)) {
					ntests--;
					free(t->id);
					free(t->category);
					free(t->name);
					continue;
				}
				if (kind == T_EVAL)
					run_eval(t, &m, list[i]);
				else
					run_syntax(t, &m, list[i]);
			}
		}
	}
	w3c_graph_free(&m);
	return 0;
}

/* ---- counts and the floor ---- */

typedef struct {
	char *name;
	size_t passed, total;
} count;

static count *counts;
static size_t ncounts;

static count *count_of(const char *name)
{
	size_t i;
	for (i = 0; i < ncounts; i++)
		if (!strcmp(counts[i].name, name))
			return &counts[i];
	counts = realloc(counts, (ncounts + 1) * sizeof(*counts));
	if (!counts)
		abort();
	counts[ncounts].name = xstrdup(name);
	counts[ncounts].passed = counts[ncounts].total = 0;
	return &counts[ncounts++];
}

static const test_rec *find_test(const char *id)
{
	size_t i;
	for (i = 0; i < ntests; i++)
		if (!strcmp(tests[i].id, id))
			return &tests[i];
	return NULL;
}

/* Checks the run against the floor file; returns the number of problems (printed). */
static int check_floor(const char *path, int *have_floor)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int problems = 0, lineno = 0;
	*have_floor = f != NULL;
	if (!f) {
		printf("FAIL: no floor file %s (%s); write one with --update-floor\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char word[32], name[900];
		long n;
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "floor %899s %ld", name, &n) == 2) {
			count *c;
			if (only)
				continue; /* a partial run: only its listed tests are checked */
			c = count_of(name);
			if ((long)c->passed < n) {
				printf("FAIL: %s: %zu passed, below its floor of %ld\n", name, c->passed, n);
				problems++;
			}
		} else if (sscanf(line, "pass %899s", name) == 1) {
			const test_rec *t = find_test(name);
			if (only && !strstr(name, only))
				continue;
			if (!t) {
				printf("FAIL: %s passed at the floor and was not run now\n", name);
				problems++;
			} else if (!t->passed) {
				printf("FAIL: regression: %s passed at the floor and fails now: %s\n", name, t->reason);
				problems++;
			}
		} else if (sscanf(line, "%31s", word) == 1) {
			printf("FAIL: %s:%d: cannot read '%s'\n", path, lineno, line);
			problems++;
		}
	}
	fclose(f);
	return problems;
}

static int write_floor(const char *path)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	size_t i;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w"))) {
		fprintf(stderr, "kgrec_w3c: cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fputs("# The W3C SPARQL floor: what kgrec passes today of the W3C SPARQL 1.0 and 1.1 query\n"
	      "# tests (../shared/w3c-sparql). The ctest test 'w3c' (tests/w3c/) fails when a count\n"
	      "# falls below its floor or a test listed as 'pass' fails.\n"
	      "#\n"
	      "# The floor only rises. After a change that makes more tests pass, run\n"
	      "#   build/tests/kgrec_w3c --update-floor\n"
	      "# (it refuses to write while anything is below the current floor) and commit this\n"
	      "# file with the change.\n"
	      "#\n"
	      "# floor NAME N: at least N tests of NAME pass (a kind of test, or a manifest directory)\n"
	      "# pass ID: a test that passes (category/local name of its IRI)\n",
		f);
	for (i = 0; i < ncounts; i++)
		fprintf(f, "floor %s %zu\n", counts[i].name, counts[i].passed);
	for (i = 0; i < ntests; i++)
		if (tests[i].passed)
			fprintf(f, "pass %s\n", tests[i].id);
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "kgrec_w3c: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("floor written to %s\n", path);
	return 0;
}

static void usage(void)
{
	fputs("usage: kgrec_w3c [--suite DIR] [--floor FILE] [--update-floor] [--only TEXT] [--timeout MS]\n"
	      "  --suite DIR     the W3C suites (default: $KGR_W3C_DIR, else " KGR_W3C_DIR ")\n"
	      "  --floor FILE    the floor to check (default: " KGR_W3C_FLOOR ")\n"
	      "  --update-floor  write the counts of this run as the new floor (never lower)\n"
	      "  --only TEXT     run only the tests whose id contains TEXT\n"
	      "  --timeout MS    time limit of each query (default 10000)\n",
		stderr);
}

int main(int argc, char **argv)
{
	const char *suite = getenv("KGR_W3C_DIR"), *floor_path = KGR_W3C_FLOOR;
	const char *roots[] = { "sparql10/manifest.ttl", "sparql11/manifest-sparql11-query.ttl",
		"sparql11/manifest-sparql11-results.ttl", NULL };
	int update = 0, problems, have_floor, i, k;
	size_t j;
	char path[PATH_MAX * 2];

	if (!suite || !*suite)
		suite = KGR_W3C_DIR;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--suite") && i + 1 < argc)
			suite = argv[++i];
		else if (!strcmp(argv[i], "--floor") && i + 1 < argc)
			floor_path = argv[++i];
		else if (!strcmp(argv[i], "--update-floor"))
			update = 1;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_ms = (unsigned int)strtoul(argv[++i], NULL, 10);
		else {
			usage();
			return 2;
		}
	}
	if (!realpath(suite, suite_root)) {
		printf("FAIL: the W3C SPARQL test suites are not at %s (%s). They live in the shared\n"
		       "directory beside the repository (../shared/w3c-sparql, see its SOURCE.md); set\n"
		       "KGR_W3C_DIR or --suite to where they are.\n",
			suite, strerror(errno));
		return 1;
	}
	if (kgr_store_new(&empty_store, 0) || kgr_store_finalize(empty_store)) {
		printf("FAIL: cannot make an empty store: %s\n", kgr_error_last());
		return 1;
	}
	for (i = 0; roots[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", suite_root, roots[i]);
		if (!file_exists(path)) {
			printf("FAIL: %s is missing: not a copy of the W3C SPARQL suites (see SOURCE.md)\n", path);
			return 1;
		}
		if (run_manifest(path)) {
			printf("FAIL: cannot read the manifests under %s\n", suite_root);
			return 1;
		}
	}

	for (k = 0; k < T_KINDS; k++)
		count_of(kind_names[k]);
	for (j = 0; j < ntests; j++) {
		count *c = count_of(tests[j].category), *t = count_of(kind_names[tests[j].kind]);
		c->total++;
		t->total++;
		c->passed += tests[j].passed != 0;
		t->passed += tests[j].passed != 0;
	}
	printf("W3C SPARQL tests in %s\n\n%-34s %7s %7s\n", suite_root, "category", "passed", "total");
	for (j = T_KINDS; j < ncounts; j++)
		printf("%-34s %7zu %7zu\n", counts[j].name, counts[j].passed, counts[j].total);
	printf("\n");
	for (k = 0; k < T_KINDS; k++)
		printf("%-34s %7zu %7zu\n", counts[k].name, counts[k].passed, counts[k].total);
	printf("\nfailing tests:\n");
	for (j = 0; j < ntests; j++)
		if (!tests[j].passed)
			printf("  %s (%s%s%s): %s\n", tests[j].id, kind_names[tests[j].kind],
				tests[j].name ? ", " : "", tests[j].name ? tests[j].name : "", tests[j].reason);
	printf("\n");

	problems = check_floor(floor_path, &have_floor);
	if (update) {
		if (have_floor && problems) {
			printf("the floor only rises: not written while the run is below it\n");
			return 1;
		}
		return write_floor(floor_path) ? 1 : 0;
	}
	if (problems) {
		printf("FAIL: %d problem(s) against the floor %s\n", problems, floor_path);
		return 1;
	}
	printf("OK: every count at or above the floor %s, no regression\n", floor_path);
	kgr_store_free(empty_store);
	return 0;
}
