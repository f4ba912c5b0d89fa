/* COUNT(DISTINCT ?x) per group, answered by kgrec.
 *
 * rasqal 0.9.33 counts distinct values wrongly when a query groups or holds more than one of
 * them: two COUNT(DISTINCT ...) in one SELECT give the same number (23 | 23 for 23 brands and
 * 313 products), and "users who bought from 3 or more brands" (GROUP BY ?u, HAVING) gave 2,069
 * rows, then 2,063, on one 1M-triple store, against 2,058. So the form
 *
 *   SELECT ?g1 ... (COUNT([DISTINCT] ?x | *) AS ?n) ... [WHERE] { P }
 *     [GROUP BY ?g1 ...] [HAVING (?n | COUNT(DISTINCT ?x)) OP INTEGER)]
 *     [ORDER BY [ASC|DESC](?v) ...] [LIMIT n] [OFFSET n]
 *
 * (every projected variable grouped, every aggregate a COUNT(DISTINCT) of a variable, or of
 * `*`, which rasqal counts as 1) is answered from SELECT DISTINCT ?g1 ... ?x ... WHERE { P }
 * (SELECT DISTINCT * for COUNT(DISTINCT *), a row of which is one solution), which kgrec
 * deduplicates itself:
 * a hash table of groups, one of (group, aggregate, value) triples, then HAVING, ORDER BY,
 * OFFSET and LIMIT. Other queries go to rasqal as before.
 *
 * A plain COUNT(?x) or COUNT(*) in the same SELECT counts every solution of its group (with
 * ?x bound): the inner SELECT is then without DISTINCT, a multiset of solutions, and the
 * distinct counts beside it still count each value once. rasqal's counts were right there,
 * but slow: it groups row by row through literals it builds for every solution, while the
 * inner SELECT of one basic graph pattern is kgrec's (sparql/sparql_bgp.c), so
 * `SELECT ?b (COUNT(?p) AS ?n) { ?p schema:brand ?b } GROUP BY ?b` reads term ids only.
 * COUNT(DISTINCT *) beside a plain count stays rasqal's (its rows are the distinct solutions).
 *
 * And GROUP BY (expr AS ?v), which rasqal 0.9.33 gets wrong (all solutions in one group,
 * keyed by the first one's value: `GROUP BY ((?price > 50) AS ?dear)` gave true 313 for 208
 * false and 105 true). In a query without sub-selects it becomes BIND(expr AS ?v) at the end
 * of the WHERE pattern and GROUP BY ?v: the same solutions keyed by the same values (a BIND
 * whose expression fails leaves ?v unbound, as the group key of an error is). The same
 * rewrite gives every grouped variable two keys grouped on first, its kind and its value,
 * neither ever unbound: rasqal compares keys by value and takes a failed comparison (2
 * against "x") or an unbound key as equal, which merged groups.
 *
 * And aggregates in ORDER BY and HAVING: rasqal evaluates an aggregate there only when the
 * SELECT clause computes the same one (ORDER BY DESC(COUNT(?p)) fails, "Aggregate expressions
 * cannot be evaluated in a general scalar expression"; HAVING (COUNT(*) > 1) fails, "Found
 * new aggregate expression in HAVING", unless the SELECT has COUNT(*)). In a query without
 * sub-selects, an aggregate of ORDER BY becomes the variable of the SELECT expression that
 * computes it, and one that no SELECT expression computes, there or in HAVING, is computed by
 * a marker column added to the SELECT clause (no result shows it). */
#include "sparql/rdf_world.h"
#include "sparql/sparql_result.h"
#include "sparql/sparql_bgp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XSD "http://www.w3.org/2001/XMLSchema#"
#define MAX_COLS 8
#define NAME_MAX_LEN 128
#define MAX_KEYS 16 /* grouped variables given kind, language and value keys */

typedef struct {
	size_t n_keys, n_aggs, n_cols;
	char keys[MAX_COLS][NAME_MAX_LEN];
	char agg_var[MAX_COLS][NAME_MAX_LEN], agg_as[MAX_COLS][NAME_MAX_LEN];
	int agg_plain[MAX_COLS]; /* COUNT(?x) or COUNT(*), every solution counted, not DISTINCT */
	/* other aggregates (SUM, AVG, MIN, MAX, COUNT, SAMPLE, GROUP_CONCAT, not DISTINCT) beside
	 * COUNT(DISTINCT): computed by a grouped query of their own, then joined by group key */
	size_t n_other;
	char other_as[MAX_COLS][NAME_MAX_LEN];
	/* each one's function (OTHER_SUM, OTHER_AVG, or OTHER_ELSE) and, for SUM and AVG of a
	 * variable, its name (else "") */
	int other_fn[MAX_COLS];
	char other_var[MAX_COLS][NAME_MAX_LEN];
	int sums; /* every other aggregate a SUM or AVG of a variable: the inner SELECT has them */
	const char *other_p[MAX_COLS]; /* "(AGG(...) AS ?v)" in the text read */
	size_t other_len[MAX_COLS];
	/* projection order: >= 0 a key, AGG_COL(i) COUNT(DISTINCT) i, OTHER_COL(k) other k */
	int col[3 * MAX_COLS];
	int having;          /* 0 none; else the aggregate is having_agg */
	size_t having_agg;
	char having_op[3];
	long long having_value;
	size_t n_order;
	int order_col[MAX_COLS]; /* index into col[] */
	int order_desc[MAX_COLS];
	long limit, offset;  /* -1: none */
} group_plan;

enum { OTHER_SUM = 1, OTHER_AVG, OTHER_ELSE };

#define AGG_COL(i) (-1 - (int)(i))
#define OTHER_COL(k) (-1 - MAX_COLS - (int)(k))
#define IS_AGG(c) ((c) < 0 && (c) >= -MAX_COLS)
#define AGG_OF(c) ((size_t)(-1 - (c)))
#define OTHER_OF(c) ((size_t)(-1 - MAX_COLS - (c)))

/* ---- the form ---- */

/* Past @p word (any case, whole word) and the space after it, or NULL. */
static const char *word(const char *p, const char *w)
{
	size_t n = strlen(w);
	p = kgr__sparql_skip_blank(p);
	if (strncasecmp(p, w, n) || (isalnum((unsigned char)w[n - 1]) &&
					    (isalnum((unsigned char)p[n]) || p[n] == '_')))
		return NULL;
	return kgr__sparql_skip_blank(p + n);
}

/* Past a variable copied into buf, or NULL. */
static const char *var(const char *p, char *buf)
{
	size_t n = 0;
	p = kgr__sparql_skip_blank(p);
	if (*p != '?' && *p != '$')
		return NULL;
	for (p++; (isalnum((unsigned char)*p) || *p == '_') && n + 1 < NAME_MAX_LEN; p++)
		buf[n++] = *p;
	buf[n] = '\0';
	return n && !isalnum((unsigned char)*p) && *p != '_' ? kgr__sparql_skip_blank(p) : NULL;
}

static const char *integer(const char *p, long long *out)
{
	char *end;
	p = kgr__sparql_skip_blank(p);
	if (!isdigit((unsigned char)*p))
		return NULL;
	*out = strtoll(p, &end, 10);
	return kgr__sparql_skip_blank(end);
}

/* "(COUNT(DISTINCT ?x) AS ?n)" after its '(': fills var/as. */
static const char *count_distinct(const char *p, char *x, char *as)
{
	const char *star;
	if (!(p = word(p, "COUNT")) || !(p = word(p, "(")) || !(p = word(p, "DISTINCT")))
		return NULL;
	if ((star = word(p, "*"))) /* COUNT(DISTINCT *): the distinct solutions */
		strcpy(x, "*");
	if (!(p = star ? star : var(p, x)) || !(p = word(p, ")")))
		return NULL;
	if (as && (!(p = word(p, "AS")) || !(p = var(p, as)) || !(p = word(p, ")"))))
		return NULL;
	return p;
}

/* "(COUNT(?x) AS ?n)" or "(COUNT(*) AS ?n)" after its '(': fills x ("*") and as. */
static const char *plain_count(const char *p, char *x, char *as)
{
	const char *star;
	if (!(p = word(p, "COUNT")) || !(p = word(p, "(")) || word(p, "DISTINCT"))
		return NULL;
	if ((star = word(p, "*")))
		strcpy(x, "*");
	if (!(p = star ? star : var(p, x)) || !(p = word(p, ")")) || !(p = word(p, "AS")) ||
		!(p = var(p, as)) || !(p = word(p, ")")))
		return NULL;
	return p;
}

static int find_name(const char (*names)[NAME_MAX_LEN], size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

/* "(AGG(...) AS ?v)" at @p open, AGG one that rasqal computes right beside COUNT(DISTINCT)
 * when they are computed apart: past it, noted in g, or NULL. */
static const char *other_aggregate(const char *open, group_plan *g)
{
	static const char *const fn[] = { "SUM", "AVG", "MIN", "MAX", "COUNT", "SAMPLE", "GROUP_CONCAT",
		NULL };
	const char *p = NULL, *q;
	size_t i;
	for (i = 0; fn[i] && !(p = word(open + 1, fn[i])); i++)
		;
	if (!p || *p != '(' || word(p + 1, "DISTINCT") || g->n_other == MAX_COLS)
		return NULL;
	g->other_fn[g->n_other] = i == 0 ? OTHER_SUM : i == 1 ? OTHER_AVG : OTHER_ELSE;
	g->other_var[g->n_other][0] = '\0';
	if (i <= 1 && (q = var(kgr__sparql_skip_blank(p + 1), g->other_var[g->n_other])) &&
		*kgr__sparql_skip_blank(q) != ')')
		g->other_var[g->n_other][0] = '\0'; /* an expression: rasqal's */
	q = kgr__sparql_arg_end(p + 1, ')');
	if (*q != ')' || !(q = word(q + 1, "AS")) || !(q = var(q, g->other_as[g->n_other])) ||
		*q != ')')
		return NULL;
	g->other_p[g->n_other] = open;
	g->other_len[g->n_other++] = (size_t)(q + 1 - open);
	return kgr__sparql_skip_blank(q + 1);
}

static const char *projection(const char *p, group_plan *g)
{
	size_t n_cols = 0;
	for (;;) {
		const char *q;
		char name[NAME_MAX_LEN];
		if (n_cols == 3 * MAX_COLS)
			return NULL;
		if ((q = var(p, name))) {
			if (g->n_keys == MAX_COLS)
				return NULL;
			strcpy(g->keys[g->n_keys], name);
			g->col[n_cols++] = (int)g->n_keys++;
		} else if ((q = word(p, "("))) {
			const char *o;
			if (g->n_aggs < MAX_COLS &&
				(o = count_distinct(q, g->agg_var[g->n_aggs], g->agg_as[g->n_aggs]))) {
				g->col[n_cols++] = AGG_COL(g->n_aggs++);
				q = o;
			} else if (g->n_aggs < MAX_COLS &&
				   (o = plain_count(q, g->agg_var[g->n_aggs], g->agg_as[g->n_aggs]))) {
				g->agg_plain[g->n_aggs] = 1;
				g->col[n_cols++] = AGG_COL(g->n_aggs++);
				q = o;
			} else if ((q = other_aggregate(kgr__sparql_skip_blank(p), g))) {
				g->col[n_cols++] = OTHER_COL(g->n_other - 1);
			} else {
				return NULL;
			}
		} else {
			break;
		}
		p = q;
	}
	g->n_cols = n_cols;
	return g->n_aggs || g->n_keys || g->n_other ? p : NULL;
}

/* The group { P } starting at p: the position after its '}', or NULL. */
static const char *group_end(const char *p)
{
	const char *c = kgr__sparql_close_brace(p);
	return c ? c + 1 : NULL;
}

static const char *group_by(const char *p, group_plan *g)
{
	const char *q;
	size_t n = 0;
	char name[NAME_MAX_LEN];
	if (!(q = word(p, "GROUP")))
		return g->n_keys ? NULL : p; /* projected variables need GROUP BY */
	if (!(p = word(q, "BY")))
		return NULL;
	while ((q = var(p, name))) {
		p = q;
		/* without aggregates, the keys that kgr__sparql_group_alias_rewrite() adds for the
		 * kind and value of a projected key group as that key does */
		if (!g->n_aggs && !strncmp(name, KGR__GROUP_VAR "k", strlen(KGR__GROUP_VAR "k")))
			continue;
		if (find_name(g->keys, g->n_keys, name) < 0)
			return NULL; /* grouped by a variable not projected: not this form */
		n++;
	}
	return n == g->n_keys && n ? p : NULL;
}

static const char *having(const char *p, group_plan *g)
{
	static const char *const ops[] = { ">=", "<=", "!=", ">", "<", "=", NULL };
	const char *q;
	char name[NAME_MAX_LEN], x[NAME_MAX_LEN];
	size_t i;
	int a = -1;
	if (!(q = word(p, "HAVING")))
		return p;
	if (!(q = word(q, "(")))
		return NULL;
	if ((p = var(q, name))) {
		a = find_name(g->agg_as, g->n_aggs, name);
	} else if ((p = count_distinct(q, x, NULL))) {
		size_t k;
		for (k = 0; k < g->n_aggs && a < 0; k++)
			if (!g->agg_plain[k] && !strcmp(g->agg_var[k], x))
				a = (int)k;
	}
	if (!p || a < 0)
		return NULL;
	for (i = 0; ops[i] && strncmp(p, ops[i], strlen(ops[i])); i++)
		;
	if (!ops[i] || !(p = integer(p + strlen(ops[i]), &g->having_value)) || !(p = word(p, ")")))
		return NULL;
	g->having = 1;
	g->having_agg = (size_t)a;
	strcpy(g->having_op, ops[i]);
	return p;
}

static const char *col_name(const group_plan *g, int col)
{
	return col >= 0 ? g->keys[col] : IS_AGG(col) ? g->agg_as[AGG_OF(col)] : g->other_as[OTHER_OF(col)];
}

/* The projected column named @p name, or -1. */
static int column_of(const group_plan *g, const char *name)
{
	size_t c;
	for (c = 0; c < g->n_cols; c++) {
		if (!strcmp(col_name(g, g->col[c]), name))
			return (int)c;
	}
	return -1;
}

static const char *order_by(const char *p, group_plan *g)
{
	const char *q;
	char name[NAME_MAX_LEN];
	if (!(q = word(p, "ORDER")))
		return p;
	if (!(p = word(q, "BY")))
		return NULL;
	for (;;) {
		int desc = -1, c;
		if ((q = word(p, "ASC")))
			desc = 0;
		else if ((q = word(p, "DESC")))
			desc = 1;
		if (desc >= 0) {
			if (!(q = word(q, "(")) || !(q = var(q, name)) || !(q = word(q, ")")))
				return NULL;
		} else if (!(q = var(p, name))) {
			break;
		}
		if ((c = column_of(g, name)) < 0 || g->n_order == MAX_COLS)
			return NULL;
		g->order_col[g->n_order] = c;
		g->order_desc[g->n_order++] = desc == 1;
		p = q;
	}
	return g->n_order ? p : NULL;
}

static const char *slice(const char *p, group_plan *g)
{
	const char *q;
	long long v;
	for (;;) {
		if ((q = word(p, "LIMIT")) && g->limit < 0 && (q = integer(q, &v)) && v <= 2147483647LL)
			g->limit = (long)v;
		else if ((q = word(p, "OFFSET")) && g->offset < 0 && (q = integer(q, &v)) && v <= 2147483647LL)
			g->offset = (long)v;
		else
			return p;
		p = q;
	}
}

/* Reads the form at the SELECT keyword @kw into @g: the position after its LIMIT / OFFSET, or
 * NULL when it is not the form; [*body, *end) is its WHERE group. */
static const char *read_form(const char *kw, group_plan *g, const char **body, const char **end)
{
	const char *p;
	memset(g, 0, sizeof(*g));
	g->limit = g->offset = -1;
	if (!(p = projection(kw + 6, g)))
		return NULL;
	*body = word(p, "WHERE");
	*body = *body ? *body : p;
	if (**body != '{' || !(*end = group_end(*body)))
		return NULL;
	if (!(p = group_by(*end, g)) || !(p = having(p, g)) || !(p = order_by(p, g)))
		return NULL;
	return slice(p, g);
}

/* The grouped query of the other aggregates: the keys, those aggregates as written, the same
 * pattern and GROUP BY (malloc'd), or NULL when out of memory. */
static char *other_query(const char *text, const char *kw, const group_plan *g, const char *body,
	const char *end)
{
	kgr__buf b = { 0 };
	size_t i;
	kgr__buf_append(&b, text, (size_t)(kw - text));
	kgr__buf_puts(&b, "SELECT");
	for (i = 0; i < g->n_keys; i++)
		kgr__buf_printf(&b, " ?%s", g->keys[i]);
	for (i = 0; i < g->n_other; i++) {
		kgr__buf_puts(&b, " ");
		kgr__buf_append(&b, g->other_p[i], g->other_len[i]);
	}
	kgr__buf_puts(&b, " WHERE ");
	kgr__buf_append(&b, body, (size_t)(end - body));
	if (g->n_keys)
		kgr__buf_puts(&b, " GROUP BY");
	for (i = 0; i < g->n_keys; i++)
		kgr__buf_printf(&b, " ?%s", g->keys[i]);
	if (b.oom) {
		kgr__buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* 1 and the inner SELECT (malloc'd) when @p text has the form, and *other the grouped query of
 * the other aggregates when it has any (else NULL); 0 when not; -1 out of memory. */
static int group_form(const char *text, group_plan *g, char **inner, char **other)
{
	const char *kw = kgr__sparql_find_keyword(text, "SELECT"), *p, *body, *end;
	kgr__buf b = { 0 };
	size_t i, n_cols = 0;
	int star = 0, plain = 0;
	*inner = *other = NULL;
	if (!kw || !(p = read_form(kw, g, &body, &end)) || *kgr__sparql_skip_blank(p))
		return 0;
	for (i = 0; i < g->n_aggs; i++) {
		plain |= g->agg_plain[i];
		star |= !g->agg_plain[i] && !strcmp(g->agg_var[i], "*");
	}
	g->sums = g->n_other > 0 && !star;
	for (i = 0; i < g->n_other; i++)
		g->sums &= g->other_fn[i] != OTHER_ELSE && g->other_var[i][0];
	if (!g->n_aggs && !g->sums)
		return 0; /* without a count: kgr__sparql_group_distinct_rewrite() */
	if (star && plain)
		return 0; /* distinct solutions beside all of them: rasqal's */
	/* a plain count counts every solution, and so do SUM and AVG: the rows stay a multiset
	 * (then only kgrec's evaluation over ids reads them: sparql/sparql.c, grouped_count()) */
	kgr__buf_append(&b, text, (size_t)(kw - text));
	kgr__buf_printf(&b, plain || g->sums ? "SELECT" : "SELECT DISTINCT");
	if (star) /* every variable: each row is a solution */
		kgr__buf_puts(&b, " *");
	for (i = 0; i < g->n_keys && !star; i++, n_cols++)
		kgr__buf_printf(&b, " ?%s", g->keys[i]);
	for (i = 0; i < g->n_aggs && !star; i++)
		if (strcmp(g->agg_var[i], "*") && find_name(g->agg_var, i, g->agg_var[i]) < 0 &&
			find_name(g->keys, g->n_keys, g->agg_var[i]) < 0) {
			kgr__buf_printf(&b, " ?%s", g->agg_var[i]);
			n_cols++;
		}
	for (i = 0; i < g->n_other && g->sums; i++)
		if (find_name(g->other_var, i, g->other_var[i]) < 0 &&
			find_name(g->agg_var, g->n_aggs, g->other_var[i]) < 0 &&
			find_name(g->keys, g->n_keys, g->other_var[i]) < 0) {
			kgr__buf_printf(&b, " ?%s", g->other_var[i]);
			n_cols++;
		}
	if (!star && !n_cols) /* COUNT(*) alone: the solutions */
		kgr__buf_puts(&b, " *");
	kgr__buf_printf(&b, " WHERE ");
	kgr__buf_append(&b, body, (size_t)(end - body));
	if (b.oom || (g->n_other && !(*other = other_query(text, kw, g, body, end)))) {
		kgr__buf_free(&b);
		return -1;
	}
	*inner = b.s;
	return 1;
}

/* Declared in sparql/sparql_result.h. */
char *kgr__sparql_group_distinct_rewrite(const char *text, int *oom)
{
	kgr__buf b = { 0 };
	const char *at = text, *kw = text;
	int changed = 0;
	*oom = 0;
	while ((kw = kgr__sparql_find_keyword(kw, "SELECT"))) {
		group_plan g;
		const char *body, *end, *after, *gb_end, *c;
		/* the whole query, or a sub-SELECT: nothing after the form but its '}' */
		if ((after = read_form(kw, &g, &body, &end)) && !g.n_aggs && !g.n_other && !g.having &&
			(*(c = kgr__sparql_skip_blank(after)) == '}' || !*c) &&
			(gb_end = group_by(end, &g)) && gb_end != end) {
			/* SELECT ?a ?b WHERE { P } GROUP BY ?a ?b -> SELECT DISTINCT ?a ?b WHERE { P } */
			kgr__buf_append(&b, at, (size_t)(kw + 6 - at));
			kgr__buf_puts(&b, " DISTINCT");
			kgr__buf_append(&b, kw + 6, (size_t)(end - (kw + 6)));
			for (c = end; c < gb_end; c++)
				kgr__buf_append(&b, *c == '\n' ? "\n" : " ", 1);
			at = gb_end;
			changed = 1;
		}
		kw += 6;
	}
	if (!changed)
		return NULL;
	kgr__buf_puts(&b, at);
	if (b.oom) {
		kgr__buf_free(&b);
		*oom = 1;
		return NULL;
	}
	return kgr__buf_take(&b);
}

int kgr__sparql_group_sums(const void *plan)
{
	return ((const group_plan *)plan)->sums;
}

int kgr__sparql_group_plain_only(const void *plan)
{
	const group_plan *g = plan;
	size_t i;
	for (i = 0; i < g->n_aggs; i++)
		if (!g->agg_plain[i])
			return 0;
	return 1;
}

int kgr__sparql_group_form(const char *text, void **plan, char **inner, char **other)
{
	group_plan *g = malloc(sizeof(*g));
	int r;
	*plan = NULL;
	*inner = *other = NULL;
	if (!g)
		return -1;
	r = group_form(text, g, inner, other);
	if (r == 1)
		*plan = g;
	else
		free(g);
	return r;
}

/* ---- the answer ---- */

/* A set of byte strings, each with a number (open addressing; keys in an arena). */
typedef struct {
	char **key;
	size_t *len;
	size_t *val;
	size_t cap, n;
} strmap;

static void map_free(strmap *m)
{
	size_t i;
	for (i = 0; i < m->cap; i++)
		free(m->key[i]);
	free(m->key);
	free(m->len);
	free(m->val);
}

static int map_grow(strmap *m)
{
	strmap nm = { 0 };
	size_t i;
	nm.cap = m->cap ? 2 * m->cap : 1024;
	if (!(nm.key = calloc(nm.cap, sizeof(char *))) || !(nm.len = calloc(nm.cap, sizeof(size_t))) ||
		!(nm.val = calloc(nm.cap, sizeof(size_t)))) {
		map_free(&nm);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		size_t k;
		if (!m->key[i])
			continue;
		k = kgr__hash64(m->key[i], m->len[i], 0) & (nm.cap - 1);
		while (nm.key[k])
			k = (k + 1) & (nm.cap - 1);
		nm.key[k] = m->key[i];
		nm.len[k] = m->len[i];
		nm.val[k] = m->val[i];
	}
	nm.n = m->n;
	free(m->key);
	free(m->len);
	free(m->val);
	*m = nm;
	return 0;
}

/* The number kept for key (*added 0), or @p val kept for it now (*added 1); -1 out of memory. */
static int map_put(strmap *m, const char *key, size_t len, size_t val, size_t *out, int *added)
{
	size_t k;
	if ((m->n + 1) * 2 > m->cap && map_grow(m) < 0)
		return -1;
	k = kgr__hash64(key, len, 0) & (m->cap - 1);
	for (; m->key[k]; k = (k + 1) & (m->cap - 1))
		if (m->len[k] == len && !memcmp(m->key[k], key, len)) {
			*out = m->val[k];
			*added = 0;
			return 0;
		}
	if (!(m->key[k] = malloc(len ? len : 1)))
		return -1;
	memcpy(m->key[k], key, len);
	m->len[k] = len;
	m->val[k] = val;
	m->n++;
	*out = val;
	*added = 1;
	return 0;
}

static void term_key(kgr__buf *b, const kgr_sparql_term *t)
{
	kgr__buf_printf(b, "%d", (int)t->kind);
	kgr__buf_append(b, t->value ? t->value : "", t->value ? t->len : 0);
	kgr__buf_printf(b, "\x1f%s\x1f%s\x1e", t->lang ? t->lang : "", t->datatype ? t->datatype : "");
}

typedef struct {
	const group_plan *g;
	const kgr_sparql_result *rows;
	int key_col[MAX_COLS], agg_col[MAX_COLS]; /* columns of the inner result */
	size_t n_groups;
	size_t *first_row; /* per group */
	size_t *count;     /* per group and aggregate */
	/* the other aggregates' result, its columns, and each group's row there (SIZE_MAX: none) */
	const kgr_sparql_result *rows2;
	int key2_col[MAX_COLS], other_col[MAX_COLS];
	size_t *other_row;
} group_table;

/* The index of @p name among names[0 .. n), or -1. */
static int name_at(const char *const *names, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -1;
}

static int column_in(const kgr_sparql_result *r, const char *name)
{
	return name_at((const char *const *)r->cols, r->ncols, name);
}

/* Rows into groups and distinct values into counts. */
static int count_rows(group_table *t)
{
	const group_plan *g = t->g;
	const kgr_sparql_result *r = t->rows;
	strmap groups = { 0 }, seen = { 0 };
	kgr__buf key = { 0 };
	size_t i, j, cap = 0, gid;
	int added, error = -1;
	for (i = 0; i < r->nrows; i++) {
		const kgr_sparql_term *row = r->cells + i * r->ncols;
		key.len = 0;
		for (j = 0; j < g->n_keys; j++)
			term_key(&key, &row[t->key_col[j]]);
		if (key.oom || map_put(&groups, key.s ? key.s : "", key.len, t->n_groups, &gid, &added) < 0)
			goto done;
		if (added) {
			if (t->n_groups == cap) {
				size_t nc = cap ? 2 * cap : 256, *f = realloc(t->first_row, nc * sizeof(*f)),
					*c = f ? realloc(t->count, nc * g->n_aggs * sizeof(*c)) : NULL;
				if (f)
					t->first_row = f;
				if (!c)
					goto done;
				t->count = c;
				cap = nc;
			}
			t->first_row[gid] = i;
			memset(t->count + gid * g->n_aggs, 0, g->n_aggs * sizeof(*t->count));
			t->n_groups++;
		}
		for (j = 0; j < g->n_aggs; j++) {
			const kgr_sparql_term *v = t->agg_col[j] < 0 ? NULL : &row[t->agg_col[j]];
			size_t dummy;
			if (!v) { /* COUNT(DISTINCT *) over the distinct rows */
				t->count[gid * g->n_aggs + j]++;
				continue;
			}
			if (v->kind == KGR_TERM_NONE)
				continue; /* COUNT counts bound values */
			if (g->agg_plain[j]) {
				t->count[gid * g->n_aggs + j]++;
				continue;
			}
			key.len = 0;
			kgr__buf_printf(&key, "%zu\x1d%zu\x1d", gid, j);
			term_key(&key, v);
			if (key.oom || map_put(&seen, key.s, key.len, 0, &dummy, &added) < 0)
				goto done;
			t->count[gid * g->n_aggs + j] += (size_t)added;
		}
	}
	error = 0;
done:
	map_free(&groups);
	map_free(&seen);
	kgr__buf_free(&key);
	return error;
}

/* Each group's row in the other aggregates' result, found by the group's key. */
static int match_other(group_table *t)
{
	const group_plan *g = t->g;
	const kgr_sparql_result *r = t->rows, *r2 = t->rows2;
	strmap rows = { 0 };
	kgr__buf key = { 0 };
	size_t i, j, at;
	int added, error = -1;
	if (!g->n_other)
		return 0;
	if (!(t->other_row = malloc((t->n_groups + 1) * sizeof(*t->other_row))))
		return -1;
	for (i = 0; i < r2->nrows + t->n_groups; i++) {
		int group = i >= r2->nrows;
		size_t row = group ? t->first_row[i - r2->nrows] : i;
		key.len = 0;
		for (j = 0; j < g->n_keys && (group ? r->nrows : 1); j++)
			term_key(&key, group ? &r->cells[row * r->ncols + t->key_col[j]] :
				&r2->cells[row * r2->ncols + t->key2_col[j]]);
		if (key.oom || map_put(&rows, key.s ? key.s : "", key.len, group ? SIZE_MAX : i, &at,
				       &added) < 0)
			goto done;
		if (group)
			t->other_row[i - r2->nrows] = at;
	}
	error = 0;
done:
	map_free(&rows);
	kgr__buf_free(&key);
	return error;
}

/* Group @p gid's value of other aggregate k (an unbound term when it has none). */
static const kgr_sparql_term *other_value(const group_table *t, size_t gid, size_t k)
{
	static const kgr_sparql_term none = { KGR_TERM_NONE, NULL, 0, NULL, NULL };
	size_t row = t->other_row[gid];
	return row == SIZE_MAX ? &none : &t->rows2->cells[row * t->rows2->ncols + t->other_col[k]];
}

static int having_ok(const group_plan *g, size_t count)
{
	long long c = (long long)count, v = g->having_value;
	const char *op = g->having_op;
	if (!g->having)
		return 1;
	if (!strcmp(op, ">="))
		return c >= v;
	if (!strcmp(op, "<="))
		return c <= v;
	if (!strcmp(op, "!="))
		return c != v;
	if (!strcmp(op, ">"))
		return c > v;
	if (!strcmp(op, "<"))
		return c < v;
	return c == v;
}

/* SPARQL's order of terms, simplified: unbound, blank nodes, IRIs, literals; numeric
 * literals by value, other literals by their lexical form. */
static int term_cmp(const kgr_sparql_term *a, const kgr_sparql_term *b)
{
	static const int rank[] = { [KGR_TERM_NONE] = 0, [KGR_TERM_BLANK] = 1, [KGR_TERM_IRI] = 2,
		[KGR_TERM_LITERAL] = 3 };
	char *ea, *eb;
	double x, y;
	size_t n;
	int c;
	if (rank[a->kind] != rank[b->kind])
		return rank[a->kind] < rank[b->kind] ? -1 : 1;
	if (a->kind == KGR_TERM_NONE)
		return 0;
	if (a->kind == KGR_TERM_LITERAL && a->datatype && b->datatype &&
		!strncmp(a->datatype, XSD, strlen(XSD)) &&
		!strncmp(b->datatype, XSD, strlen(XSD))) {
		x = strtod(a->value, &ea);
		y = strtod(b->value, &eb);
		if (ea != a->value && !*ea && eb != b->value && !*eb && x != y)
			return x < y ? -1 : 1;
	}
	n = a->len < b->len ? a->len : b->len;
	if ((c = memcmp(a->value, b->value, n)))
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int group_cmp(const group_table *t, size_t ga, size_t gb)
{
	const group_plan *g = t->g;
	size_t k;
	for (k = 0; k < g->n_order; k++) {
		int col = g->col[g->order_col[k]], c;
		if (col >= 0) {
			const kgr_sparql_result *r = t->rows;
			int ic = t->key_col[col];
			c = term_cmp(&r->cells[t->first_row[ga] * r->ncols + ic],
				&r->cells[t->first_row[gb] * r->ncols + ic]);
		} else if (IS_AGG(col)) {
			size_t x = t->count[ga * g->n_aggs + AGG_OF(col)];
			size_t y = t->count[gb * g->n_aggs + AGG_OF(col)];
			c = x < y ? -1 : x > y;
		} else {
			c = term_cmp(other_value(t, ga, OTHER_OF(col)), other_value(t, gb, OTHER_OF(col)));
		}
		if (c)
			return g->order_desc[k] ? -c : c;
	}
	return 0;
}

/* Declared in sparql/sparql_result.h. */
void kgr__sparql_merge_sort(size_t *v, size_t *tmp, size_t n,
	int (*cmp)(const void *ctx, size_t a, size_t b), const void *ctx)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;
	if (n < 2)
		return;
	kgr__sparql_merge_sort(v, tmp, mid, cmp, ctx);
	kgr__sparql_merge_sort(v + mid, tmp, n - mid, cmp, ctx);
	while (i < mid && j < n)
		tmp[k++] = cmp(ctx, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static int group_order(const void *t, size_t a, size_t b)
{
	return group_cmp(t, a, b);
}

/* The groups that pass HAVING, in ORDER BY order, sliced: into *out (malloc'd). */
static int pick_groups(const group_table *t, size_t **out, size_t *n_out)
{
	const group_plan *g = t->g;
	size_t *v = malloc((t->n_groups + 1) * sizeof(*v)), *tmp, n = 0, i, off;
	if (!v)
		return -1;
	for (i = 0; i < t->n_groups; i++)
		if (having_ok(g, g->having ? t->count[i * g->n_aggs + g->having_agg] : 0))
			v[n++] = i;
	if (g->n_order) {
		if (!(tmp = malloc((n + 1) * sizeof(*tmp)))) {
			free(v);
			return -1;
		}
		kgr__sparql_merge_sort(v, tmp, n, group_order, t);
		free(tmp);
	}
	off = g->offset > 0 ? ((size_t)g->offset < n ? (size_t)g->offset : n) : 0;
	memmove(v, v + off, (n - off) * sizeof(*v));
	n -= off;
	if (g->limit >= 0 && (size_t)g->limit < n)
		n = (size_t)g->limit;
	*out = v;
	*n_out = n;
	return 0;
}

static int emit(kgr_sparql_result *r, const group_table *t, const size_t *v, size_t n, size_t max_rows)
{
	const group_plan *g = t->g;
	size_t i, c;
	if (!(r->cols = calloc(g->n_cols, sizeof(char *))))
		return -1;
	r->ncols = g->n_cols;
	for (c = 0; c < g->n_cols; c++) {
		const char *name = col_name(g, g->col[c]);
		if (!(r->cols[c] = kgr__sparql_strdup(r, name, strlen(name))))
			return -1;
	}
	for (i = 0; i < n; i++) {
		if (max_rows && r->nrows == max_rows) {
			r->truncated = 1;
			break;
		}
		for (c = 0; c < g->n_cols; c++) {
			int col = g->col[c];
			if (col >= 0) {
				const kgr_sparql_term *k = t->rows->nrows ?
					&t->rows->cells[t->first_row[v[i]] * t->rows->ncols + t->key_col[col]] : NULL;
				if (kgr__sparql_push(r, k->kind, k->value, k->len, k->lang, k->datatype))
					return -1;
			} else if (IS_AGG(col)) {
				char num[32];
				int len = snprintf(num, sizeof(num), "%zu", t->count[v[i] * g->n_aggs + AGG_OF(col)]);
				if (kgr__sparql_push(r, KGR_TERM_LITERAL, num, (size_t)len, NULL, XSD "integer"))
					return -1;
			} else {
				const kgr_sparql_term *o = other_value(t, v[i], OTHER_OF(col));
				if (kgr__sparql_push(r, o->kind, o->value, o->len, o->lang, o->datatype))
					return -1;
			}
		}
		r->nrows++;
	}
	return 0;
}

/* HAVING, ORDER BY, the slice and the rows of the groups counted in @p t, whose count,
 * first_row and other_row are freed here. 0, or -1 when out of memory. */
static int answer_groups(kgr_sparql_result **out, group_table *t, size_t max_rows)
{
	const group_plan *g = t->g;
	kgr_sparql_result *r = NULL;
	size_t *v = NULL, n = 0;
	int error = -1;
	/* without GROUP BY, no match is one group of zeros (SPARQL 1.1, 18.5) */
	if (!g->n_keys && !t->n_groups) {
		free(t->count);
		free(t->first_row);
		t->first_row = NULL;
		if (!(t->count = calloc(g->n_aggs, sizeof(*t->count))) ||
			!(t->first_row = calloc(1, sizeof(*t->first_row))))
			goto done;
		t->n_groups = 1;
	}
	if (match_other(t) < 0 || pick_groups(t, &v, &n) < 0 ||
		!(r = kgr__sparql_result_new(KGR_SPARQL_BINDINGS)) || emit(r, t, v, n, max_rows) < 0)
		goto done;
	*out = r;
	r = NULL;
	error = 0;
done:
	free(v);
	free(t->first_row);
	free(t->count);
	free(t->other_row);
	kgr_sparql_result_free(r);
	return error;
}

int kgr__sparql_group_answer(kgr_sparql_result **out, const void *plan, const kgr_sparql_result *rows,
	const kgr_sparql_result *other, size_t max_rows)
{
	group_table t;
	size_t i;
	memset(&t, 0, sizeof(t));
	t.g = plan;
	t.rows = rows;
	t.rows2 = other;
	if (t.g->n_other && !other)
		return kgr__error_set(KGR_ERROR, "grouped count: no result of the other aggregates");
	for (i = 0; i < t.g->n_other; i++)
		if ((t.other_col[i] = column_in(other, t.g->other_as[i])) < 0)
			return kgr__error_set(KGR_ERROR, "grouped count: no column %s", t.g->other_as[i]);
	for (i = 0; i < t.g->n_keys && t.g->n_other; i++)
		if ((t.key2_col[i] = column_in(other, t.g->keys[i])) < 0)
			return kgr__error_set(KGR_ERROR, "grouped count: no column %s", t.g->keys[i]);
	for (i = 0; i < t.g->n_keys; i++)
		if ((t.key_col[i] = column_in(rows, t.g->keys[i])) < 0)
			return kgr__error_set(KGR_ERROR, "grouped count: no column %s", t.g->keys[i]);
	for (i = 0; i < t.g->n_aggs; i++)
		if ((t.agg_col[i] = column_in(rows, t.g->agg_var[i])) < 0 && strcmp(t.g->agg_var[i], "*"))
			return kgr__error_set(KGR_ERROR, "grouped count: no column %s", t.g->agg_var[i]);
	if (count_rows(&t) < 0) {
		free(t.first_row);
		free(t.count);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	return answer_groups(out, &t, max_rows) < 0 ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
}

/* ---- the same counts over term ids ----
 *
 * When kgrec evaluates the inner SELECT itself (one basic graph pattern), its solutions are
 * term ids: they are grouped by the ids of their keys and each COUNT(DISTINCT) keeps the
 * (group, value id) pairs it has counted, so no term's text is read until the groups' keys
 * are written. Two ids are two RDF terms, as two cells of different text are above. */

/* A SUM or AVG of one group: the exact sum of xsd:integer and xsd:decimal values, times
 * 10^scale, and how many values. */
typedef struct {
	__int128 v;
	unsigned int scale, decimal; /* decimal: a value was an xsd:decimal */
	size_t n;
} exact_sum;

#define SUM_LAG 8

struct kgr__group_ids {
	const group_plan *g;
	const kgr_store *store;
	int key_in[MAX_COLS], agg_in[MAX_COLS]; /* each key's and aggregate's column (-1: *) */
	int other_in[MAX_COLS];                 /* each SUM's or AVG's column */
	kgr__idset groups;                      /* the keys of each group, numbered */
	kgr__idset seen[MAX_COLS];              /* (group, value) counted by each COUNT(DISTINCT) */
	size_t *count;                          /* per group and aggregate */
	exact_sum *sum;                         /* per group and other aggregate */
	kgr_id last_dt;                         /* the datatype of the value summed last */
	int last_kind;                          /* its kind: 0 other, 1 integer, 2 decimal */
	size_t cap;                             /* groups count has room for */
	/* sorted: the rows kept as (key << 32 | value) words, one vector per COUNT(DISTINCT),
	 * grouped by sorting them at the end */
	int sorted;
	/* the values of SUM and AVG waiting to be added: each one's term is prefetched as it
	 * comes, its text SUM_LAG values later, and it is added SUM_LAG values after that (the
	 * terms of a large store miss the caches, three loads each) */
	struct {
		size_t gid, k;
		kgr_id id;
	} pend[2 * SUM_LAG];
	size_t pend_in, pend_out;
	kgr__words pair[MAX_COLS]; /* as many words each: the i-th of every one is a solution's */
	int vec_of[MAX_COLS]; /* each aggregate's vector (-1: a plain count, the run's length) */
	size_t n_vec;
};

/* A grouped COUNT(DISTINCT) with one key (or none) and no sums keeps its solutions as pairs
 * and sorts them, up to kgr__sparql_sort_max solutions; past it (or with more keys, or sums,
 * or plain counts alone) it hashes. Sorting costs a few sequential passes over 8 bytes a
 * solution and a COUNT(DISTINCT); the hash tables of groups and counted pairs are probed at
 * random, and once they outgrow the processor's caches every probe waits for memory, so a
 * count over many groups grew faster than the data (docs/SPARQL.md, "Counting by sorting").
 * Past the limit the pairs go into the hash tables, so memory stays in proportion to the
 * groups. */

#define SUM_LIMIT ((__int128)1000000000000000000 * (__int128)1000000000000000000) /* 10^36 */

/* Adds term @p id to @p acc: 0, or 1 when it is no xsd:integer or xsd:decimal of a valid
 * lexical form, or the sum would leave the range kept exactly (rasqal computes it then). */
static int sum_add(kgr__group_ids *gi, exact_sum *acc, kgr_id id)
{
	const kgr_store *store = gi->store;
	kgr_id dt_id;
	const char *lex;
	size_t len, i = 0, frac = 0;
	int neg = 0, decimal, seen_digit = 0, point = 0;
	__int128 v = 0;
	if (kgr_term_kind_of(store, id) != KGR_TERM_LITERAL || !(dt_id = kgr_term_datatype(store, id)))
		return 1;
	if (dt_id != gi->last_dt) { /* the datatype's name read once for a run of values */
		const char *dt = kgr_term_value(store, dt_id, NULL);
		gi->last_dt = dt_id;
		gi->last_kind = !dt ? 0 : !strcmp(dt, XSD "decimal") ? 2 : kgr__xsd_integer_type(dt);
	}
	if (!gi->last_kind)
		return 1;
	decimal = gi->last_kind == 2;
	lex = kgr_term_value(store, id, &len);
	if (i < len && (lex[i] == '+' || lex[i] == '-'))
		neg = lex[i++] == '-';
	for (; i < len; i++) {
		if (lex[i] == '.' && decimal && !point) {
			point = 1;
			continue;
		}
		if (lex[i] < '0' || lex[i] > '9' || v >= SUM_LIMIT / 10)
			return 1;
		v = v * 10 + (lex[i] - '0');
		seen_digit = 1;
		frac += (size_t)point;
	}
	if (!seen_digit || frac > 18)
		return 1;
	if (neg)
		v = -v;
	while (acc->scale < frac) { /* the sum to the value's scale */
		if (acc->v >= SUM_LIMIT / 10 || acc->v <= -SUM_LIMIT / 10)
			return 1;
		acc->v *= 10;
		acc->scale++;
	}
	for (; frac < acc->scale; frac++) { /* the value to the sum's */
		if (v >= SUM_LIMIT / 10 || v <= -SUM_LIMIT / 10)
			return 1;
		v *= 10;
	}
	acc->v += v;
	if (acc->v >= SUM_LIMIT || acc->v <= -SUM_LIMIT)
		return 1;
	acc->decimal |= (unsigned int)decimal;
	acc->n++;
	return 0;
}

/* The sum as a lexical form: an integer, or a decimal with its scale's digits. */
static void sum_text(const exact_sum *acc, char *out, size_t size)
{
	char digits[64];
	unsigned __int128 u = acc->v < 0 ? (unsigned __int128)(-acc->v) : (unsigned __int128)acc->v;
	size_t n = 0, i, o = 0;
	do {
		digits[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	while (n <= acc->scale)
		digits[n++] = '0';
	if (acc->v < 0)
		out[o++] = '-';
	for (i = n; i-- > 0 && o + 2 < size;) {
		out[o++] = digits[i];
		if (i == acc->scale && acc->scale)
			out[o++] = '.';
	}
	out[o] = '\0';
}

int kgr__sparql_group_ids_new(kgr__group_ids **out, const void *plan, const kgr_store *store,
	const char *const *cols, size_t ncols)
{
	const group_plan *g = plan;
	kgr__group_ids *gi;
	size_t i;
	*out = NULL;
	if (g->n_other && !g->sums)
		return 1;
	if (!(gi = calloc(1, sizeof(*gi))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	gi->g = g;
	gi->store = store;
	for (i = 0; i < g->n_other; i++)
		if ((gi->other_in[i] = name_at(cols, ncols, g->other_var[i])) < 0)
			goto unsupported;
	gi->groups.width = g->n_keys;
	for (i = 0; i < g->n_keys; i++)
		if ((gi->key_in[i] = name_at(cols, ncols, g->keys[i])) < 0)
			goto unsupported;
	for (i = 0; i < g->n_aggs; i++) {
		gi->seen[i].width = 2;
		gi->agg_in[i] = name_at(cols, ncols, g->agg_var[i]);
		/* COUNT(*) counts solutions; COUNT(DISTINCT *) would need whole solutions */
		if (gi->agg_in[i] < 0 && (strcmp(g->agg_var[i], "*") || !g->agg_plain[i]))
			goto unsupported;
	}
	if (g->n_keys <= 1 && !g->n_other) {
		for (i = 0; i < g->n_aggs; i++)
			gi->vec_of[i] = g->agg_plain[i] ? -1 : (int)gi->n_vec++;
		/* plain counts alone probe one small table of groups: they stay hashed */
		gi->sorted = gi->n_vec > 0;
	}
	*out = gi;
	return 0;
unsupported:
	kgr__sparql_group_ids_free(gi);
	return 1;
}

/* Adds the oldest @p n values waiting (all when n is 0) to their sums: 0, or 1 when one is
 * left to rasqal (sum_add()). */
static int add_pending(kgr__group_ids *gi, size_t n)
{
	const group_plan *g = gi->g;
	size_t stop = n ? gi->pend_out + n : gi->pend_in;
	while (gi->pend_out < stop) {
		size_t at = gi->pend_out++ % (2 * SUM_LAG);
		if (sum_add(gi, &gi->sum[gi->pend[at].gid * g->n_other + gi->pend[at].k], gi->pend[at].id))
			return 1;
	}
	return 0;
}

static int hash_add(kgr__group_ids *gi, const kgr_id *row)
{
	const group_plan *g = gi->g;
	kgr_id key[MAX_COLS], pair[2];
	size_t gid, j, at;
	int added;
	for (j = 0; j < g->n_keys; j++)
		key[j] = row[gi->key_in[j]];
	if ((added = kgr__idset_add(&gi->groups, key, &gid)) < 0)
		return -1;
	if (added) {
		if (gid == gi->cap) {
			size_t nc = gi->cap ? 2 * gi->cap : 256,
			       *c = realloc(gi->count, nc * (g->n_aggs ? g->n_aggs : 1) * sizeof(*c));
			exact_sum *e;
			if (!c)
				return -1;
			gi->count = c;
			if (!(e = realloc(gi->sum, nc * (g->n_other ? g->n_other : 1) * sizeof(*e))))
				return -1;
			gi->sum = e;
			gi->cap = nc;
		}
		memset(gi->count + gid * g->n_aggs, 0, g->n_aggs * sizeof(*gi->count));
		memset(gi->sum + gid * g->n_other, 0, g->n_other * sizeof(*gi->sum));
	}
	for (j = 0; j < g->n_other; j++) {
		kgr_id id = row[gi->other_in[j]];
		size_t slot = gi->pend_in++ % (2 * SUM_LAG);
		kgr__store_prefetch_term(gi->store, id, 0);
		gi->pend[slot].gid = gid;
		gi->pend[slot].k = j;
		gi->pend[slot].id = id;
		if (gi->pend_in - gi->pend_out > SUM_LAG)
			kgr__store_prefetch_term(gi->store, gi->pend[(gi->pend_in - 1 - SUM_LAG) % (2 * SUM_LAG)].id, 1);
		if (gi->pend_in - gi->pend_out == 2 * SUM_LAG && add_pending(gi, 1))
			return 1;
	}
	for (j = 0; j < g->n_aggs; j++) {
		size_t *c = &gi->count[gid * g->n_aggs + j];
		if (g->agg_plain[j]) {
			++*c; /* a basic graph pattern binds every variable it names */
			continue;
		}
		pair[0] = (kgr_id)gid;
		pair[1] = row[gi->agg_in[j]];
		if ((added = kgr__idset_add(&gi->seen[j], pair, &at)) < 0)
			return -1;
		*c += (size_t)added;
	}
	return 0;
}

/* The pairs kept so far into the hash tables (past kgr__sparql_sort_max): the i-th word of
 * every vector is the same solution's, made a row again and added as any other from now. */
static int unsort(kgr__group_ids *gi)
{
	const group_plan *g = gi->g;
	kgr_id row[KGR__BGP_VARS];
	size_t i, j;
	int r = 0;
	gi->sorted = 0;
	memset(row, 0, sizeof(row));
	for (i = 0; i < gi->pair[0].n && r >= 0; i++) {
		if (g->n_keys)
			row[gi->key_in[0]] = (kgr_id)(gi->pair[0].v[i] >> 32);
		for (j = 0; j < g->n_aggs; j++)
			if (gi->vec_of[j] >= 0)
				row[gi->agg_in[j]] = (kgr_id)gi->pair[gi->vec_of[j]].v[i];
		r = kgr__sparql_group_ids_add(gi, row);
	}
	for (j = 0; j < gi->n_vec; j++)
		kgr__words_free(&gi->pair[j]);
	return r;
}

int kgr__sparql_group_ids_add(kgr__group_ids *gi, const kgr_id *row)
{
	const group_plan *g = gi->g;
	size_t j;
	if (gi->sorted && gi->pair[0].n >= kgr__sparql_sort_max) {
		int r = unsort(gi);
		if (r)
			return r;
	}
	if (gi->sorted) {
		uint64_t k = g->n_keys ? (uint64_t)row[gi->key_in[0]] << 32 : 0;
		for (j = 0; j < g->n_aggs; j++)
			if (gi->vec_of[j] >= 0 && kgr__words_push(&gi->pair[gi->vec_of[j]], k | row[gi->agg_in[j]]) < 0)
				return -1;
		return 0;
	}
	return hash_add(gi, row);
}

/* The value of other aggregate @p k of a group (its sum @p acc) as a cell of @p r: SUM an
 * xsd:integer or xsd:decimal, AVG the sum divided by the count in rasqal's decimal arithmetic
 * (the digits rasqal gives the same AVG), both in canonical form. 0, or -1 out of memory. */
static int push_sum(kgr_sparql_result *r, const group_plan *g, size_t k, const exact_sum *acc,
	rasqal_world *rw)
{
	char text[80], canon[96];
	size_t n;
	sum_text(acc, text, sizeof(text));
	if (g->other_fn[k] == OTHER_SUM && !acc->decimal)
		return kgr__sparql_push(r, KGR_TERM_LITERAL, text, strlen(text), NULL, XSD "integer");
	if (g->other_fn[k] == OTHER_AVG) {
		rasqal_xsd_decimal *a = rasqal_new_xsd_decimal(rw), *b = rasqal_new_xsd_decimal(rw),
				   *q = rasqal_new_xsd_decimal(rw);
		char *quotient = NULL;
		int ok = a && b && q && !rasqal_xsd_decimal_set_string(a, text) &&
			!rasqal_xsd_decimal_set_long(b, (long)acc->n) && !rasqal_xsd_decimal_divide(q, a, b) &&
			(quotient = rasqal_xsd_decimal_as_string(q)) && strlen(quotient) < sizeof(text);
		if (ok)
			strcpy(text, quotient);
		if (a)
			rasqal_free_xsd_decimal(a);
		if (b)
			rasqal_free_xsd_decimal(b);
		if (q)
			rasqal_free_xsd_decimal(q); /* the string is the decimal's */
		if (!ok)
			return -1;
	}
	if (!(n = kgr__xsd_canon_decimal(canon, sizeof(canon), text, strlen(text))))
		return -1;
	return kgr__sparql_push(r, KGR_TERM_LITERAL, canon, n, NULL, XSD "decimal");
}

/* The other aggregates' rows, one for each group of @p keep (n_keep group numbers) in that
 * order: the keys, then each SUM or AVG (t->rows2 then matches them to the groups). */
static kgr_sparql_result *sum_rows(const kgr__group_ids *gi, const size_t *keep, size_t n_keep,
	const kgr_store *store, void *rasqal_world)
{
	const group_plan *g = gi->g;
	kgr_sparql_result *r = kgr__sparql_result_new(KGR_SPARQL_BINDINGS);
	size_t i, j;
	if (!r || !(r->cols = calloc(g->n_keys + g->n_other + 1, sizeof(char *))))
		goto fail;
	r->ncols = g->n_keys + g->n_other;
	for (j = 0; j < g->n_keys; j++)
		if (!(r->cols[j] = kgr__sparql_strdup(r, g->keys[j], strlen(g->keys[j]))))
			goto fail;
	for (j = 0; j < g->n_other; j++)
		if (!(r->cols[g->n_keys + j] = kgr__sparql_strdup(r, g->other_as[j], strlen(g->other_as[j]))))
			goto fail;
	for (i = 0; i < n_keep; i++) {
		for (j = 0; j < g->n_keys; j++)
			if (kgr__sparql_push_id(r, store, kgr__idset_at(&gi->groups, keep[i])[j]))
				goto fail;
		for (j = 0; j < g->n_other; j++)
			if (push_sum(r, g, j, &gi->sum[keep[i] * g->n_other + j], rasqal_world) < 0)
				goto fail;
		r->nrows++;
	}
	return r;
fail:
	kgr_sparql_result_free(r);
	return NULL;
}

/* The groups and counts of the pairs kept (gi->sorted): each vector sorted, a group is a run
 * of one key, as long in every vector (the same solutions), and the groups are numbered in
 * ascending order of their key's id. 0, or -1 out of memory. */
static int group_sorted(kgr__group_ids *gi)
{
	const group_plan *g = gi->g;
	size_t n = gi->pair[0].n, na = g->n_aggs ? g->n_aggs : 1, ng = 0, i, j, gid;
	const uint64_t *k0;
	kgr_id *keys;
	size_t *count;
	for (j = 0; j < gi->n_vec; j++)
		if (kgr__sort_u64(gi->pair[j].v, n) < 0)
			return -1;
	k0 = gi->pair[0].v;
	for (i = 0; i < n; i++)
		ng += i == 0 || k0[i] >> 32 != k0[i - 1] >> 32;
	if (!(keys = malloc((ng + 1) * sizeof(*keys))) || !(count = calloc(ng + 1, na * sizeof(*count)))) {
		free(keys);
		return -1;
	}
	for (i = 0, gid = 0; i < n; gid++) {
		size_t e = i + 1, r;
		while (e < n && k0[e] >> 32 == k0[i] >> 32)
			e++;
		keys[gid] = (kgr_id)(k0[i] >> 32);
		for (j = 0; j < g->n_aggs; j++) {
			const uint64_t *v = gi->vec_of[j] < 0 ? NULL : gi->pair[gi->vec_of[j]].v;
			size_t c = e - i; /* a plain count: every solution */
			if (v)
				for (c = 1, r = i + 1; r < e; r++)
					c += v[r] != v[r - 1];
			count[gid * g->n_aggs + j] = c;
		}
		i = e;
	}
	kgr__idset_free(&gi->groups);
	gi->groups.width = g->n_keys;
	gi->groups.tuple = keys; /* numbered, never probed: no slots */
	gi->groups.tuple_cap = ng + 1;
	gi->groups.n = ng;
	free(gi->count);
	gi->count = count;
	gi->cap = ng;
	for (j = 0; j < gi->n_vec; j++)
		kgr__words_free(&gi->pair[j]);
	gi->sorted = 0;
	return 0;
}

int kgr__sparql_group_ids_answer(kgr_sparql_result **out, kgr__group_ids *gi, const kgr_store *store,
	size_t max_rows, void *rasqal_world)
{
	const group_plan *g = gi->g;
	group_table t;
	kgr_sparql_result *keys = NULL, *sums = NULL;
	size_t i, j, *keep = NULL, n_keep = 0;
	int error = -1;
	if (g->n_other && !g->n_keys && !gi->groups.n)
		return 1; /* SUM and AVG over nothing are 0: the path of rows says so */
	if (add_pending(gi, 0))
		return 1; /* a value rasqal sums */
	if (gi->sorted && group_sorted(gi) < 0)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	/* HAVING first, so that only the groups it keeps have their keys' text read; with no
	 * GROUP BY the one group is left to answer_groups(), which gives a group of zeros when
	 * nothing matched */
	if (!(keep = malloc((gi->groups.n + 1) * sizeof(*keep))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < gi->groups.n; i++)
		if (!g->n_keys || having_ok(g, g->having ? gi->count[i * g->n_aggs + g->having_agg] : 0)) {
			memmove(gi->count + n_keep * g->n_aggs, gi->count + i * g->n_aggs,
				g->n_aggs * sizeof(*gi->count));
			keep[n_keep++] = i;
		}
	if (g->n_other && !(sums = sum_rows(gi, keep, n_keep, store, rasqal_world)))
		goto done;
	keys = kgr__sparql_result_new(KGR_SPARQL_BINDINGS);
	memset(&t, 0, sizeof(t));
	t.rows2 = sums;
	for (j = 0; j < g->n_keys; j++)
		t.key2_col[j] = (int)j;
	for (j = 0; j < g->n_other; j++)
		t.other_col[j] = (int)(g->n_keys + j);
	t.g = g;
	t.rows = keys;
	t.n_groups = n_keep;
	t.count = gi->count; /* t's now, freed by answer_groups() */
	gi->count = NULL;
	gi->cap = 0;
	if (!keys || !(keys->cols = calloc(g->n_keys + 1, sizeof(char *))) ||
		!(t.first_row = malloc((t.n_groups + 1) * sizeof(*t.first_row)))) {
		free(t.count);
		goto done;
	}
	/* one row of key cells per group kept, in the order of the groups */
	keys->ncols = g->n_keys;
	for (j = 0; j < g->n_keys; j++) {
		t.key_col[j] = (int)j;
		if (!(keys->cols[j] = kgr__sparql_strdup(keys, g->keys[j], strlen(g->keys[j]))))
			goto fail;
	}
	for (i = 0; i < t.n_groups; i++) {
		for (j = 0; j < g->n_keys; j++)
			if (kgr__sparql_push_id(keys, store, kgr__idset_at(&gi->groups, keep[i])[j]))
				goto fail;
		keys->nrows++;
		t.first_row[i] = i;
	}
	error = answer_groups(out, &t, max_rows);
	goto done;
fail:
	free(t.first_row);
	free(t.count);
done:
	free(keep);
	kgr_sparql_result_free(keys);
	kgr_sparql_result_free(sums);
	return error < 0 ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
}

void kgr__sparql_group_ids_free(kgr__group_ids *gi)
{
	size_t i;
	if (!gi)
		return;
	kgr__idset_free(&gi->groups);
	for (i = 0; i < MAX_COLS; i++) {
		kgr__idset_free(&gi->seen[i]);
		kgr__words_free(&gi->pair[i]);
	}
	free(gi->count);
	free(gi->sum);
	free(gi);
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* In the condition from '(' at p to its ')' at close: 1 when it is (expr AS ?v), with the
 * expression [*e0, *e1) and the variable [*v0, *v1). */
static int alias_of(const char *p, const char *close, const char **e0, const char **e1,
	const char **v0, const char **v1)
{
	const char *q = p + 1, *as = NULL;
	int depth = 0;
	while (q < close) {
		if (*q == '"' || *q == '\'' || *q == '<' || *q == '#') {
			q = kgr__sparql_skip_opaque(q);
			continue;
		}
		if (*q == '(')
			depth++;
		else if (*q == ')')
			depth--;
		else if (!depth && !strncasecmp(q, "AS", 2) && !name_char(q[2]) && !name_char(q[-1]))
			as = q;
		q++;
	}
	if (!as)
		return 0;
	*v0 = kgr__sparql_skip_blank(as + 2);
	if (**v0 != '?' && **v0 != '$')
		return 0;
	for (*v1 = *v0 + 1; name_char(**v1); (*v1)++)
		;
	if (*v1 == *v0 + 1 || kgr__sparql_skip_blank(*v1) != close)
		return 0;
	*e0 = p + 1;
	*e1 = as;
	return 1;
}

/* 1 when the text from p to end has the variable ?name (or $name). */
static int mentions(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (; p < end; p++)
		if ((*p == '?' || *p == '$') && !strncmp(p + 1, name, n) && !name_char(p[1 + n]))
			return 1;
	return 0;
}

/* The BINDs of grouped variable @p v's keys number @p i: its kind and its value, never
 * unbound, grouped on before the query's own keys. */
static void kind_and_value(kgr__buf *binds, const char *v, size_t n, size_t i)
{
	const int vn = (int)n;
	kgr__buf_printf(binds,
		" BIND(COALESCE(STR(DATATYPE(%.*s)), IF(isIRI(%.*s), \"i\", \"b\"), \"u\") AS ?" KGR__GROUP_VAR
		"k%zut) BIND(COALESCE(%.*s, \"\") AS ?" KGR__GROUP_VAR "k%zuv)",
		vn, v, vn, v, i, vn, v, i);
}

/* Declared in sparql/sparql_result.h. */
char *kgr__sparql_group_alias_rewrite(const char *text, int *oom)
{
	const char *sel, *open, *close, *gb, *p, *c, *by;
	kgr__buf binds = { 0 }, out = { 0 };
	struct {
		const char *p;
		size_t n;
	} keys[MAX_KEYS];
	size_t nkeys = 0, i;
	int n = 0, bad = 0;

	*oom = 0;
	if (!(sel = kgr__sparql_find_keyword(text, "SELECT")) || kgr__sparql_find_keyword(sel + 6, "SELECT") ||
		!(gb = kgr__sparql_find_keyword(sel, "GROUP")))
		return NULL;
	for (open = sel; *open && *open != '{';)
		open = *open == '"' || *open == '\'' || *open == '<' || *open == '#' ? kgr__sparql_skip_opaque(open) : open + 1;
	if (*open != '{' || !(close = kgr__sparql_close_brace(open)) || close > gb)
		return NULL;
	p = kgr__sparql_skip_blank(gb + 5);
	if (strncasecmp(p, "BY", 2) || name_char(p[2]))
		return NULL;
	by = p + 2;
	/* the conditions: variables, calls and bracketed expressions, up to the next clause */
	for (p = kgr__sparql_skip_blank(p + 2); *p && *p != '}';) {
		const char *e0, *e1, *v0, *v1, *end;
		if (*p == '?' || *p == '$') {
			for (end = p + 1; name_char(*end); end++)
				;
			if (nkeys < MAX_KEYS) {
				keys[nkeys].p = p;
				keys[nkeys++].n = (size_t)(end - p);
			}
		} else if (*p == '(') {
			end = kgr__sparql_arg_end(p + 1, ')');
			if (*end != ')')
				break;
			if (alias_of(p, end, &e0, &e1, &v0, &v1)) {
				char name[128];
				snprintf(name, sizeof name, "%.*s", (int)(v1 - v0 - 1), v0 + 1);
				/* a variable the pattern writes already would be bound twice */
				if (mentions(open, close, name)) {
					bad = 1;
					break;
				}
				kgr__buf_puts(&binds, " BIND(");
				kgr__sparql_put_flat(&binds, e0, (size_t)(e1 - e0));
				kgr__buf_printf(&binds, "AS %.*s)", (int)(v1 - v0), v0);
				if (nkeys < MAX_KEYS) {
					keys[nkeys].p = v0;
					keys[nkeys++].n = (size_t)(v1 - v0);
				}
				n++;
			}
			end++;
		} else if (name_char(*p) && !(!strncasecmp(p, "HAVING", 6) || !strncasecmp(p, "ORDER", 5) ||
						 !strncasecmp(p, "LIMIT", 5) || !strncasecmp(p, "OFFSET", 6) ||
						 !strncasecmp(p, "VALUES", 6))) {
			/* a call: name ( args ) */
			for (end = p; *end && *end != '(' && !isspace((unsigned char)*end); end++)
				;
			if (*end != '(' || *(end = kgr__sparql_arg_end(end + 1, ')')) != ')')
				break;
			end++;
		} else if (*p == '<') {
			/* an IRI call: <f>(args) */
			end = kgr__sparql_skip_opaque(p);
			if (*end != '(' || *(end = kgr__sparql_arg_end(end + 1, ')')) != ')')
				break;
			end++;
		} else {
			break;
		}
		p = kgr__sparql_skip_blank(end);
	}
	if (bad || (!n && !nkeys) || binds.oom) {
		*oom = binds.oom;
		kgr__buf_free(&binds);
		return NULL;
	}
	for (i = 0; i < nkeys; i++)
		kind_and_value(&binds, keys[i].p, keys[i].n, i);
	/* the pattern with the BINDs at its end; GROUP BY with the keys above first and each
	 * (expr AS ?v) as ?v */
	kgr__buf_put(&out, text, (size_t)(close - text));
	kgr__buf_put(&out, binds.s, binds.len);
	kgr__buf_put(&out, close, (size_t)(by - close));
	for (i = 0; i < nkeys; i++)
		kgr__buf_printf(&out, " ?" KGR__GROUP_VAR "k%zut ?" KGR__GROUP_VAR "k%zuv", i, i);
	for (c = by; c < p;) {
		const char *e0, *e1, *v0, *v1, *end;
		if (*c == '(' && *(end = kgr__sparql_arg_end(c + 1, ')')) == ')' && alias_of(c, end, &e0, &e1, &v0, &v1)) {
			const char *k;
			kgr__buf_put(&out, v0, (size_t)(v1 - v0));
			for (k = c; k < end; k++)
				if (*k == '\n')
					kgr__buf_puts(&out, "\n");
			c = end + 1;
			continue;
		}
		if (*c == '"' || *c == '\'' || *c == '<' || *c == '#') {
			end = kgr__sparql_skip_opaque(c);
			kgr__buf_put(&out, c, (size_t)(end - c));
			c = end;
			continue;
		}
		kgr__buf_put(&out, c, 1);
		c++;
	}
	kgr__buf_puts(&out, p);
	kgr__buf_free(&binds);
	if (out.oom) {
		kgr__buf_free(&out);
		*oom = 1;
		return NULL;
	}
	return kgr__buf_take(&out);
}

static const char *const AGGREGATES[] = { "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", NULL };

/* At p an aggregate call: the position after its ')', else NULL. */
static const char *aggregate_call(const char *text, const char *p)
{
	size_t i, n;
	if (p > text && (name_char(p[-1]) || p[-1] == '?' || p[-1] == '$' || p[-1] == ':'))
		return NULL;
	for (i = 0; AGGREGATES[i]; i++) {
		n = strlen(AGGREGATES[i]);
		if (!strncasecmp(p, AGGREGATES[i], n) && !name_char(p[n])) {
			const char *a = kgr__sparql_skip_blank(p + n), *e;
			if (*a != '(')
				return NULL;
			e = kgr__sparql_arg_end(a + 1, ')');
			return *e == ')' ? e + 1 : NULL;
		}
	}
	return NULL;
}

/* [a0, a1) and [b0, b1) are the same but for white space. */
static int same_text(const char *a0, const char *a1, const char *b0, const char *b1)
{
	for (;;) {
		while (a0 < a1 && isspace((unsigned char)*a0))
			a0++;
		while (b0 < b1 && isspace((unsigned char)*b0))
			b0++;
		if (a0 == a1 || b0 == b1)
			return a0 == a1 && b0 == b1;
		if (*a0++ != *b0++)
			return 0;
	}
}

#define MAX_EXPRS 32

typedef struct {
	const char *e0, *e1; /* the expression */
	const char *v0, *v1; /* its variable, with '?' */
	char hidden[32];     /* a marker column's name ("" for the query's own) */
} sel_expr;

typedef struct {
	sel_expr x[MAX_EXPRS];
	size_t n, n_own;
} sel_exprs;

/* The SELECT expression computing [c, e), added as a marker column (prefix: 'o' for ORDER
 * BY, 'h' for HAVING) when none does; NULL when there is no room. */
static sel_expr *expr_for(sel_exprs *xs, const char *c, const char *e, char prefix)
{
	size_t i;
	for (i = 0; i < xs->n; i++)
		if (same_text(xs->x[i].e0, xs->x[i].e1, c, e))
			return &xs->x[i];
	if (xs->n == MAX_EXPRS)
		return NULL;
	xs->x[xs->n].e0 = c;
	xs->x[xs->n].e1 = e;
	snprintf(xs->x[xs->n].hidden, sizeof(xs->x[xs->n].hidden), "?" KGR__GROUP_VAR "%c%zu", prefix, xs->n);
	return &xs->x[xs->n++];
}

/* Declared in sparql/sparql_result.h. */
char *kgr__sparql_order_having_rewrite(const char *text, int *oom)
{
	const char *sel, *p, *proj_end, *open, *close, *having, *order, *c;
	sel_exprs xs;
	kgr__buf out = { 0 };
	size_t i;
	int changed = 0;

	*oom = 0;
	xs.n = 0;
	if (!(sel = kgr__sparql_find_keyword(text, "SELECT")) || kgr__sparql_find_keyword(sel + 6, "SELECT"))
		return NULL;
	p = kgr__sparql_skip_blank(sel + 6);
	if (!strncasecmp(p, "DISTINCT", 8) || !strncasecmp(p, "REDUCED", 7))
		return NULL; /* a marker column would change what is distinct */
	/* the projection: variables and (expr AS ?v) */
	for (;; p = kgr__sparql_skip_blank(p)) {
		const char *e, *e0, *e1, *v0, *v1;
		if (*p == '?' || *p == '$') {
			for (p++; name_char(*p); p++)
				;
			continue;
		}
		if (*p != '(' || *(e = kgr__sparql_arg_end(p + 1, ')')) != ')')
			break;
		if (alias_of(p, e, &e0, &e1, &v0, &v1) && xs.n < MAX_EXPRS) {
			xs.x[xs.n].e0 = e0;
			xs.x[xs.n].e1 = e1;
			xs.x[xs.n].v0 = v0;
			xs.x[xs.n].v1 = v1;
			xs.x[xs.n++].hidden[0] = '\0';
		}
		p = e + 1;
	}
	xs.n_own = xs.n;
	proj_end = p;
	for (open = p; *open && *open != '{';)
		open = *open == '"' || *open == '\'' || *open == '<' || *open == '#' ? kgr__sparql_skip_opaque(open) : open + 1;
	if (*open != '{' || !(close = kgr__sparql_close_brace(open)))
		return NULL;
	having = kgr__sparql_find_keyword(close, "HAVING");
	order = kgr__sparql_find_keyword(close, "ORDER");
	if (!having && !order)
		return NULL;
	/* the aggregates after the pattern, HAVING's and ORDER BY's: a marker column for each that
	 * no SELECT expression computes; ORDER BY's are rewritten either way */
	for (c = close; *c;) {
		const char *e;
		sel_expr *x;
		if (*c == '"' || *c == '\'' || *c == '<' || *c == '#') {
			c = kgr__sparql_skip_opaque(c);
			continue;
		}
		if (!(e = aggregate_call(text, c))) {
			c++;
			continue;
		}
		if (!(x = expr_for(&xs, c, e, order && c > order ? 'o' : 'h')))
			return NULL;
		changed |= x->hidden[0] != '\0' || (order && c > order);
		c = e;
	}
	if (!changed)
		return NULL;
	kgr__buf_put(&out, text, (size_t)(proj_end - text));
	for (i = xs.n_own; i < xs.n; i++) {
		kgr__buf_puts(&out, " (");
		kgr__sparql_put_flat(&out, xs.x[i].e0, (size_t)(xs.x[i].e1 - xs.x[i].e0));
		kgr__buf_printf(&out, " AS %s)", xs.x[i].hidden);
	}
	/* the rest, with ORDER BY's aggregates as their variables */
	for (c = proj_end; *c;) {
		const char *e, *k;
		sel_expr *x;
		if (*c == '"' || *c == '\'' || *c == '<' || *c == '#') {
			e = kgr__sparql_skip_opaque(c);
			kgr__buf_put(&out, c, (size_t)(e - c));
			c = e;
			continue;
		}
		if (!order || c <= order || !(e = aggregate_call(text, c))) {
			kgr__buf_put(&out, c, 1);
			c++;
			continue;
		}
		x = expr_for(&xs, c, e, 'o');
		if (x->hidden[0])
			kgr__buf_puts(&out, x->hidden);
		else
			kgr__buf_put(&out, x->v0, (size_t)(x->v1 - x->v0));
		for (k = c; k < e; k++)
			if (*k == '\n')
				kgr__buf_puts(&out, "\n");
		c = e;
	}
	if (out.oom) {
		kgr__buf_free(&out);
		*oom = 1;
		return NULL;
	}
	return kgr__buf_take(&out);
}
