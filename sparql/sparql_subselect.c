/* A query over one sub-select, evaluated as two queries.
 *
 * rasqal 0.9.33 deduplicates a sub-select's rows in a map whose every insertion compares with
 * the rows kept so far: `SELECT (COUNT(*) AS ?n) WHERE { { SELECT DISTINCT ?u ?b WHERE { ... } } }`
 * took 2.6 s on a 1M-triple catalog and 165 s on a 5M one (docs/SPARQL.md). kgrec's own
 * DISTINCT at the top of a query is a hash set. So when the WHERE clause of a query is that
 * sub-select and nothing else, the sub-select runs first as a query of its own, and its rows
 * take its place as a VALUES block (SPARQL 1.1, 18.2.4: a sub-select is evaluated on its own
 * and its solutions joined with the rest of the group, which here is empty). The outer query
 * (grouping, aggregates, ORDER BY) then reads those rows.
 *
 * The same is done for any sub-select followed by FILTERs and nothing else in the WHERE
 * clause, for another of rasqal's faults: a FILTER after a grouped sub-select sees the next
 * group's keys (`{ { SELECT ?b (COUNT(?p) AS ?n) ... GROUP BY ?b } FILTER(?n > 19) }` pairs
 * each count above 19 with the brand after its own).
 *
 * Only the WHERE clause that is the sub-select alone (and its FILTERs) is taken: rasqal joins a VALUES block with a triple pattern by reading
 * every pair, which is slower still. A query with GRAPH, FROM or SERVICE is left as written
 * (the active graph and dataset would have to be carried into the sub-select), and so are
 * rows that VALUES cannot write (a blank node: it would be a new one) or that are too many.
 * Internal (sparql/sparql.c calls it). */
#include "sparql/sparql_exists.h"
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

static int is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int keyword_at(const char *p, const char *kw)
{
	size_t n = strlen(kw);
	return !strncasecmp(p, kw, n) && !is_word(p[n]);
}

/* Declared in sparql/sparql_result.h. */
const char *kgr__sparql_close_brace(const char *p)
{
	int depth = 0;
	while (*p) {
		if (*p == '"' || *p == '\'' || *p == '<' || *p == '#') {
			p = kgr__sparql_skip_opaque(p);
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
		p++;
	}
	return NULL;
}

/* Past the FILTERs (and '.') from p up to end; NULL when something else is there. *n counts
 * them. */
static const char *skip_filters(const char *p, const char *end, int *n)
{
	for (p = kgr__sparql_skip_blank(p); p < end; p = kgr__sparql_skip_blank(p)) {
		const char *a;
		if (*p == '.') {
			p++;
			continue;
		}
		if (!keyword_at(p, "FILTER"))
			return NULL;
		/* FILTER ( expr ) or FILTER name ( args ): up to the '(' and past its ')' */
		for (a = p + 6; a < end && *a != '(' && *a != '{' && *a != '}';)
			a = *a == '"' || *a == '\'' || *a == '<' || *a == '#' ? kgr__sparql_skip_opaque(a) : a + 1;
		if (a >= end || *a != '(' || *(a = kgr__sparql_arg_end(a + 1, ')')) != ')' || a >= end)
			return NULL;
		p = a + 1;
		(*n)++;
	}
	return p == end ? p : NULL;
}

/* The SELECT keyword of a SELECT query whose text has no GRAPH, FROM or SERVICE (the active
 * graph and the dataset would have to be carried into a sub-select run on its own), or NULL.
 * The first SELECT is the query's own: nothing but the prologue before it. */
static const char *query_select(const char *text)
{
	const char *kw, *p;
	if (!(kw = kgr__sparql_find_keyword(text, "SELECT")) || kgr__sparql_find_keyword(text, "GRAPH") ||
		kgr__sparql_find_keyword(text, "FROM") || kgr__sparql_find_keyword(text, "SERVICE"))
		return NULL;
	for (p = text; p < kw; p = *p == '"' || *p == '\'' || *p == '<' || *p == '#' ? kgr__sparql_skip_opaque(p) : p + 1)
		if (*p == '{' || *p == '(')
			return NULL;
	return kw;
}

/* 1 when @p text is a SELECT query as query_select() takes it, with *kw its SELECT keyword
 * and *open, *close the braces of its WHERE group. */
static int where_group(const char *text, const char **kw, const char **open, const char **close)
{
	const char *o;
	if (!(*kw = query_select(text)))
		return 0;
	for (o = *kw; *o && *o != '{';)
		o = *o == '"' || *o == '\'' || *o == '<' || *o == '#' ? kgr__sparql_skip_opaque(o) : o + 1;
	*open = o;
	return *o == '{' && (*close = kgr__sparql_close_brace(o)) != NULL;
}

int kgr__sparql_lone_subselect(const char *text, size_t *open, size_t *close, char **inner)
{
	const char *kw, *o, *q, *sub, *sub_end, *c, *span;
	kgr__buf b = { 0 };
	int filters = 0;

	*inner = NULL;
	if (!where_group(text, &kw, &o, &c))
		return 0;
	q = kgr__sparql_skip_blank(o + 1);
	if (*q == '{') { /* WHERE { { SELECT ... } FILTER ... } */
		if (!(sub_end = kgr__sparql_close_brace(q)) || !skip_filters(sub_end + 1, c, &filters))
			return 0;
		span = q;
		q = kgr__sparql_skip_blank(q + 1);
	} else { /* WHERE { SELECT ... } */
		sub_end = c;
		span = o;
	}
	sub = q;
	if (!keyword_at(sub, "SELECT") || (!filters && !keyword_at(kgr__sparql_skip_blank(sub + 6), "DISTINCT")))
		return 0;
	kgr__buf_put(&b, text, (size_t)(kw - text));
	kgr__buf_put(&b, sub, (size_t)(sub_end - sub));
	kgr__buf_puts(&b, "\n");
	if (!(*inner = kgr__buf_take(&b)))
		return -1;
	*open = (size_t)(span - text);
	*close = (size_t)(sub_end - text);
	return 1;
}

/* Declared in sparql/sparql_result.h. */
int kgr__sparql_counted_subselect(const char *text, size_t *open, size_t *close, char **inner)
{
	const char *kw, *sub, *o, *c;
	*inner = NULL;
	if (!(kw = query_select(text)))
		return 0;
	for (sub = kw + 6; (sub = kgr__sparql_find_keyword(sub, "SELECT")); sub += 6) {
		kgr__buf b = { 0 };
		void *plan = NULL;
		char *i1 = NULL, *i2 = NULL;
		int form;
		for (o = sub; o > text && isspace((unsigned char)o[-1]); o--)
			;
		if (o == text || o[-1] != '{' || !(c = kgr__sparql_close_brace(o - 1)))
			continue;
		kgr__buf_put(&b, text, (size_t)(kw - text));
		kgr__buf_put(&b, sub, (size_t)(c - sub));
		kgr__buf_puts(&b, "\n");
		if (!(*inner = kgr__buf_take(&b)))
			return -1;
		form = kgr__sparql_group_form(*inner, &plan, &i1, &i2);
		free(plan);
		free(i1);
		free(i2);
		if (form == 1) {
			*open = (size_t)(o - 1 - text);
			*close = (size_t)(c - text);
			return 1;
		}
		free(*inner);
		*inner = NULL;
		if (form < 0)
			return -1;
	}
	return 0;
}

/* A term as a VALUES block writes it; -1 when it cannot be written there. */
static int put_term(kgr__buf *out, const kgr_sparql_term *t)
{
	size_t i;
	switch (t->kind) {
	case KGR_TERM_NONE:
		kgr__buf_puts(out, "UNDEF");
		return 0;
	case KGR_TERM_IRI:
		for (i = 0; i < t->len; i++)
			if ((unsigned char)t->value[i] <= 0x20 || strchr("<>\"{}|^`\\", t->value[i]))
				return -1;
		kgr__buf_puts(out, "<");
		kgr__buf_put(out, t->value, t->len);
		kgr__buf_puts(out, ">");
		return 0;
	case KGR_TERM_LITERAL:
		kgr__buf_puts(out, "\"");
		for (i = 0; i < t->len; i++) {
			char ch = t->value[i];
			switch (ch) {
			case '\0': return -1;
			case '"': kgr__buf_puts(out, "\\\""); break;
			case '\\': kgr__buf_puts(out, "\\\\"); break;
			case '\n': kgr__buf_puts(out, "\\n"); break;
			case '\r': kgr__buf_puts(out, "\\r"); break;
			default: kgr__buf_put(out, &ch, 1);
			}
		}
		kgr__buf_puts(out, "\"");
		if (t->lang && *t->lang)
			kgr__buf_printf(out, "@%s", t->lang);
		else if (t->datatype)
			kgr__buf_printf(out, "^^<%s>", t->datatype);
		return 0;
	default: /* a blank node: in VALUES it would be a new one */
		return -1;
	}
}

char *kgr__sparql_values_text(const char *text, size_t open, size_t close, const kgr_sparql_result *rows,
	int *oom)
{
	kgr__buf b = { 0 };
	size_t i, j, lines = 0;

	*oom = 0;
	if (rows->kind != KGR_SPARQL_BINDINGS || !rows->ncols || rows->truncated)
		return NULL;
	kgr__buf_put(&b, text, open);
	kgr__buf_puts(&b, "{ VALUES (");
	for (j = 0; j < rows->ncols; j++)
		kgr__buf_printf(&b, "%s?%s", j ? " " : "", rows->cols[j]);
	kgr__buf_puts(&b, ") {");
	for (i = 0; i < rows->nrows; i++) {
		kgr__buf_puts(&b, " (");
		for (j = 0; j < rows->ncols; j++) {
			if (j)
				kgr__buf_puts(&b, " ");
			if (put_term(&b, &rows->cells[i * rows->ncols + j]) < 0) {
				kgr__buf_free(&b);
				return NULL;
			}
		}
		kgr__buf_puts(&b, ")");
	}
	/* rasqal groups the rows of a VALUES block alone as one group: the OPTIONAL that
	 * kgr__sparql_unbound_rewrite() puts after a VALUES block without a triple pattern
	 * makes it group them by their values */
	kgr__buf_puts(&b, " } }");
	/* the lines of the sub-select, so that the text after it keeps its line numbers */
	for (i = open; i < close; i++)
		lines += text[i] == '\n';
	while (lines--)
		kgr__buf_puts(&b, "\n");
	kgr__buf_puts(&b, text + close + 1);
	if (b.oom) {
		kgr__buf_free(&b);
		*oom = 1;
		return NULL;
	}
	return kgr__buf_take(&b);
}

/* 1 when @p p starts the keyword @p kw as a word of its own (not a prefixed name's local part
 * or a variable's name). */
static int keyword_here(const char *text, const char *p, const char *kw)
{
	return keyword_at(p, kw) &&
	       (p == text || (!is_word(p[-1]) && p[-1] != ':' && p[-1] != '?' && p[-1] != '$'));
}

/* Declared in sparql/sparql_result.h. */
int kgr__sparql_trailing_minus(const char *text, size_t *open, size_t *close, char **left, char **right)
{
	const char *kw, *o, *c, *p, *m = NULL, *m_open = NULL, *m_close = NULL;
	kgr__buf l = { 0 }, r = { 0 };
	int apart = 0;

	*left = *right = NULL;
	if (!where_group(text, &kw, &o, &c))
		return 0;
	/* the elements of the WHERE group, at its own level */
	for (p = o + 1; p < c;) {
		const char *e;
		if (*p == '"' || *p == '\'' || *p == '<' || *p == '#') {
			if (m)
				return 0; /* something after the MINUS */
			p = kgr__sparql_skip_opaque(p);
			continue;
		}
		if (keyword_here(text, p, "MINUS")) {
			const char *q = kgr__sparql_skip_blank(p + 5);
			if (m || *q != '{' || !(e = kgr__sparql_close_brace(q)) || e > c)
				return 0; /* two of them: the marker's way, or rasqal's error */
			m = p;
			m_open = q;
			m_close = e;
			p = e + 1;
			continue;
		}
		if (m && !isspace((unsigned char)*p) && *p != '.')
			return 0;
		if (*p == '{') { /* OPTIONAL, UNION, a nested group, a sub-select, FILTER EXISTS */
			if (!(e = kgr__sparql_close_brace(p)) || e > c)
				return 0;
			apart = 1;
			p = e + 1;
			continue;
		}
		if (keyword_here(text, p, "BIND") || keyword_here(text, p, "VALUES"))
			apart = 1;
		p++;
	}
	if (!m || !apart)
		return 0; /* a group of triple patterns and FILTERs: the marker's way */
	kgr__buf_put(&l, text, (size_t)(kw - text));
	kgr__buf_puts(&l, "SELECT * WHERE {");
	kgr__buf_put(&l, o + 1, (size_t)(m - (o + 1)));
	kgr__buf_puts(&l, "\n}\n");
	kgr__buf_put(&r, text, (size_t)(kw - text));
	kgr__buf_puts(&r, "SELECT * WHERE ");
	kgr__buf_put(&r, m_open, (size_t)(m_close + 1 - m_open));
	kgr__buf_puts(&r, "\n");
	if (l.oom || r.oom) {
		kgr__buf_free(&l);
		kgr__buf_free(&r);
		return -1;
	}
	*left = kgr__buf_take(&l);
	*right = kgr__buf_take(&r);
	*open = (size_t)(o - text);
	*close = (size_t)(c - text);
	return 1;
}
