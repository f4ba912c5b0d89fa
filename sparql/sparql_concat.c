/* Aggregates and functions that rasqal 0.9.33 evaluates wrong, written as expressions it
 * evaluates right.
 *
 * IRI(X) and URI(X) of an IRI are unbound (SPARQL 1.1: the IRI itself), and CONCAT() without
 * arguments is a syntax error (SPARQL 1.1: ""). Before rasqal parses a query,
 *   IRI(X), URI(X)  become  IF(isIRI(X), X, IRI(X))
 *   CONCAT()        becomes  ""
 *
 * COUNT of a variable counts every solution, the variable bound or not (an OPTIONAL that found
 * nothing counts 1: SELECT ?s (COUNT(?o) AS ?n) { ?s a :T OPTIONAL { ?s :p ?o } } GROUP BY ?s
 * gives 1 for an ?s without :p, where SPARQL 1.1 gives 0). Before rasqal parses a query,
 *   COUNT(?v)  becomes  SUM(IF(BOUND(?v), 1, 0))
 * the same xsd:integer (0 for a group of no solution, as COUNT). COUNT(DISTINCT ?v) counts an
 * unbound ?v as one more value; in a query with GROUP BY (and no sub-select)
 *   COUNT(DISTINCT ?v)  becomes  (COUNT(DISTINCT ?v) - MAX(IF(BOUND(?v), 0, 1)))
 * COUNT(*) and COUNT of an expression are left as written.
 *
 * GROUP_CONCAT's SEPARATOR, which rasqal parses and then joins the values with a space
 * whatever it says. Before rasqal parses a query,
 *   GROUP_CONCAT([DISTINCT] X ; SEPARATOR = "s")
 * becomes
 *   REPLACE(REPLACE(GROUP_CONCAT([DISTINCT] REPLACE(STR(X), " ", "\uE000")), " ", "s"),
 *           "\uE000", " ")
 * rasqal joins values whose own spaces are U+E000 (a private-use character) with a space;
 * the spaces are then the joints, which become the separator, and the U+E000 spaces again.
 * rasqal joins the strings of the values (STR), as GROUP_CONCAT does. A value that holds
 * U+E000 itself comes out with a space there; a separator with '\' or '$' (special in a
 * REPLACE replacement) is left to rasqal as written. */
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static int is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* The ';' of the call whose argument list starts at p (after '('), or NULL (no ';' at depth 0
 * before the closing ')'). */
static const char *find_semicolon(const char *p)
{
	const char *q = kgr__sparql_arg_end(p, ';');
	return *q == ';' ? q : NULL;
}

/* Rewrites the call whose name ends at p: appends the new text to @p out and returns the
 * position after the call, or p when it is left as written. */
static const char *rewrite_call(kgr__buf *out, const char *p)
{
	const char *a = skip_space(p), *x, *semi, *q, *lit, *lit_end;
	kgr__buf sep = { 0 };
	int distinct = 0, newlines = 0;
	if (*a != '(')
		return p;
	x = skip_space(a + 1);
	if (!strncasecmp(x, "DISTINCT", 8) && !is_word(x[8])) {
		distinct = 1;
		x = skip_space(x + 8);
	}
	if (!(semi = find_semicolon(x)))
		return p;
	q = skip_space(semi + 1);
	if (strncasecmp(q, "SEPARATOR", 9) || is_word(q[9]))
		return p;
	q = skip_space(q + 9);
	if (*q != '=')
		return p;
	lit = skip_space(q + 1);
	if ((*lit != '"' && *lit != '\'') || !(lit_end = kgr__sparql_skip_string(lit)))
		return p;
	q = skip_space(lit_end);
	if (*q != ')' || kgr__sparql_string_value(&sep, lit, lit_end) || sep.oom ||
		(sep.s && (strchr(sep.s, '\\') || strchr(sep.s, '$')))) {
		kgr__buf_free(&sep);
		return p;
	}
	for (a = semi; a < q; a++)
		newlines += *a == '\n';
	kgr__buf_puts(out, "REPLACE(REPLACE(GROUP_CONCAT(");
	if (distinct)
		kgr__buf_puts(out, "DISTINCT ");
	kgr__buf_puts(out, "REPLACE(STR(");
	kgr__buf_put(out, x, (size_t)(semi - x));
	kgr__buf_puts(out, "), \" \", \"\\uE000\")), \" \", ");
	kgr__sparql_put_string(out, sep.s ? sep.s : "");
	kgr__buf_puts(out, "), \"\\uE000\", \" \")");
	while (newlines-- > 0)
		kgr__buf_puts(out, "\n");
	kgr__buf_free(&sep);
	return q + 1;
}

/* Declared in sparql/sparql_result.h. */
char *kgr__sparql_rewrite_calls(const char *text, int *oom, const char *name,
	const char *(*rewrite)(kgr__buf *, const char *))
{
	kgr__buf out = { 0 };
	const char *p = text, *from = text;
	size_t n = strlen(name);
	int changed = 0;
	*oom = 0;
	while (*p) {
		const char *next;
		if (*p == '"' || *p == '\'' || *p == '<' || *p == '#') {
			p = kgr__sparql_skip_opaque(p);
			continue;
		}
		/* the first letter first: this runs over every byte of every query prepared */
		if ((*p | 0x20) != (*name | 0x20) ||
			(p != text && (is_word(p[-1]) || p[-1] == '?' || p[-1] == '$' || p[-1] == ':')) ||
			strncasecmp(p, name, n) || is_word(p[n])) {
			p++;
			continue;
		}
		/* the name itself is written by the rewrite */
		kgr__buf_put(&out, from, (size_t)(p - from));
		next = rewrite(&out, p + n);
		if (next == p + n) {
			kgr__buf_put(&out, p, n);
		} else {
			changed = 1;
		}
		from = p = next;
	}
	if (!changed) {
		kgr__buf_free(&out);
		return NULL;
	}
	kgr__buf_puts(&out, from);
	if (out.oom) {
		kgr__buf_free(&out);
		*oom = 1;
		return NULL;
	}
	return kgr__buf_take(&out);
}

char *kgr__sparql_separator_rewrite(const char *text, int *oom)
{
	return kgr__sparql_rewrite_calls(text, oom, "GROUP_CONCAT", rewrite_call);
}

/* COUNT(?v) whose name ends at p as SUM(IF(BOUND(?v), 1, 0)); p when it is another COUNT. */
/* COUNT([DISTINCT] ?v) whose name ends at p, the variable's name through *v / *e; the
 * position after the ')', or NULL when it is another COUNT. */
static const char *count_call(const char *p, int *distinct, const char **v, const char **e)
{
	const char *a = skip_space(p), *q;
	if (*a != '(')
		return NULL;
	*v = skip_space(a + 1);
	*distinct = !strncasecmp(*v, "DISTINCT", 8) && !is_word((*v)[8]);
	if (*distinct)
		*v = skip_space(*v + 8);
	if ((**v != '?' && **v != '$') || !is_word((*v)[1]))
		return NULL;
	for (*e = *v + 1; is_word(**e); (*e)++)
		;
	q = skip_space(*e);
	return *q == ')' ? q + 1 : NULL;
}

/* COUNT(?v) as SUM(IF(BOUND(?v), 1, 0)); with distinct_too, COUNT(DISTINCT ?v) as
 * (COUNT(DISTINCT ?v) - MAX(IF(BOUND(?v), 0, 1))): rasqal counts an unbound ?v as one more
 * value, which is taken off where a solution of the group has it unbound. That form is only
 * right over a group that has a solution (over none MAX is unbound), so it is written only
 * in a grouped query. */
static const char *rewrite_count_in(kgr__buf *out, const char *p, int distinct_too)
{
	const char *v, *e, *end = NULL;
	int distinct = 0, newlines = 0;
	if (!(end = count_call(p, &distinct, &v, &e)) || (distinct && !distinct_too))
		return p;
	for (; p < end; p++)
		newlines += *p == '\n';
	if (distinct)
		kgr__buf_printf(out, "(COUNT(DISTINCT %.*s) - MAX(IF(BOUND(%.*s), 0, 1)))", (int)(e - v), v,
			(int)(e - v), v);
	else
		kgr__buf_printf(out, "SUM(IF(BOUND(%.*s), 1, 0))", (int)(e - v), v);
	while (newlines-- > 0)
		kgr__buf_puts(out, "\n");
	return end;
}

static const char *rewrite_count(kgr__buf *out, const char *p)
{
	return rewrite_count_in(out, p, 0);
}

static const char *rewrite_count_grouped(kgr__buf *out, const char *p)
{
	return rewrite_count_in(out, p, 1);
}

char *kgr__sparql_count_rewrite(const char *text, int *oom)
{
	/* grouped: one SELECT, with GROUP BY (a sub-select's groups are not told apart here) */
	const char *sel = kgr__sparql_find_keyword(text, "SELECT");
	int grouped = sel && !kgr__sparql_find_keyword(sel + 6, "SELECT") && kgr__sparql_find_keyword(text, "GROUP");
	return kgr__sparql_rewrite_calls(text, oom, "COUNT", grouped ? rewrite_count_grouped : rewrite_count);
}

/* Declared in sparql/sparql_result.h. */
void kgr__sparql_put_flat(kgr__buf *out, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		kgr__buf_put(out, s[i] == '\n' ? " " : s + i, 1);
}

/* 1 when the call whose name ends at p has one argument, not empty, from *x up to its ')'
 * at *e. */
static int one_argument(const char *p, const char **x, const char **e)
{
	const char *a = skip_space(p);
	if (*a != '(')
		return 0;
	*x = a + 1;
	*e = kgr__sparql_arg_end(*x, ')');
	return **e == ')' && skip_space(*x) != *e;
}

/* The call F(X) whose name ends at p as <head>X<mid>X<tail>F(X)), X copied flat; p when it
 * has no single argument. */
static const char *rewrite_twice(kgr__buf *out, const char *p, const char *head, const char *mid,
	const char *tail)
{
	const char *x, *e;
	if (!one_argument(p, &x, &e))
		return p;
	kgr__buf_puts(out, head);
	kgr__sparql_put_flat(out, x, (size_t)(e - x));
	kgr__buf_puts(out, mid);
	kgr__sparql_put_flat(out, x, (size_t)(e - x));
	kgr__buf_puts(out, tail);
	kgr__buf_put(out, p, (size_t)(e - p) + 1);
	kgr__buf_puts(out, ")");
	return e + 1;
}

/* IRI(X) or URI(X) whose name ends at p as IF(isIRI(X), X, IRI(X)). */
static const char *rewrite_iri(kgr__buf *out, const char *p)
{
	return rewrite_twice(out, p, "IF(isIRI(", "), ", ", IRI");
}

/* DATATYPE(X) whose name ends at p as
 * IF(isLiteral(X) && LANG(X) != "", rdf:langString, DATATYPE(X)): rasqal 0.9.33 fails on a
 * literal with a language tag, which SPARQL 1.1 (17.4.2.7, RDF 1.1) types rdf:langString. */
static const char *rewrite_datatype(kgr__buf *out, const char *p)
{
	return rewrite_twice(out, p, "IF(isLiteral(", ") && LANG(",
		") != \"\", <http://www.w3.org/1999/02/22-rdf-syntax-ns#langString>, DATATYPE");
}

/* BNODE(X) whose name ends at p as BNODE(CONCAT("<KGR__BNODE_MARK>", X)): rasqal 0.9.33 makes
 * X's string the blank node's label, one node for the whole query (and the data's own node
 * when the data has a node of that label); SPARQL 1.1 (17.4.2.9) gives each solution its own.
 * The mark tells the result collection (sparql/sparql.c) which labels to make per solution. */
static const char *rewrite_bnode(kgr__buf *out, const char *p)
{
	const char *x, *e;
	if (!one_argument(p, &x, &e))
		return p;
	kgr__buf_puts(out, "BNODE");
	kgr__buf_put(out, p, (size_t)(x - p));
	kgr__buf_puts(out, "CONCAT(\"" KGR__BNODE_MARK "\", ");
	kgr__buf_put(out, x, (size_t)(e - x));
	kgr__buf_puts(out, "))");
	return e + 1;
}

/* CONCAT() whose name ends at p as "". */
static const char *rewrite_concat(kgr__buf *out, const char *p)
{
	const char *a = skip_space(p), *b;
	if (*a != '(' || *(b = skip_space(a + 1)) != ')')
		return p;
	kgr__buf_puts(out, "\"\"");
	for (; p < b; p++)
		if (*p == '\n')
			kgr__buf_puts(out, "\n");
	return b + 1;
}

/* BIND(expr AS ?v) whose name ends at p as BIND(COALESCE(expr) AS ?v): rasqal 0.9.33 drops
 * a solution whose BIND expression fails, where SPARQL 1.1 (18.6, Extend) keeps it with ?v
 * unbound; its COALESCE of one failing argument gives unbound. */
static const char *rewrite_bind(kgr__buf *out, const char *p)
{
	const char *a = skip_space(p), *x, *e, *q, *as = NULL;
	int depth = 0;
	if (*a != '(')
		return p;
	x = a + 1;
	e = kgr__sparql_arg_end(x, ')');
	if (*e != ')')
		return p;
	for (q = x; q < e;) {
		if (*q == '"' || *q == '\'' || *q == '<' || *q == '#') {
			q = kgr__sparql_skip_opaque(q);
			continue;
		}
		depth += (*q == '(') - (*q == ')');
		if (!depth && (q[0] | 0x20) == 'a' && (q[1] | 0x20) == 's' && isspace((unsigned char)q[-1]) &&
			!is_word(q[2]) && q[2] != ':')
			as = q; /* the last one: AS cannot be inside the expression at depth 0 */
		q++;
	}
	if (!as || skip_space(x) == as)
		return p;
	kgr__buf_puts(out, "BIND");
	kgr__buf_put(out, p, (size_t)(x - p));
	kgr__buf_puts(out, "COALESCE(");
	kgr__buf_put(out, x, (size_t)(as - x));
	kgr__buf_puts(out, ") ");
	kgr__buf_put(out, as, (size_t)(e - as) + 1);
	return e + 1;
}

char *kgr__sparql_function_rewrite(const char *text, int *oom)
{
	static const struct {
		const char *name;
		const char *(*rewrite)(kgr__buf *, const char *);
	} calls[] = { { "IRI", rewrite_iri }, { "URI", rewrite_iri }, { "CONCAT", rewrite_concat },
		{ "BIND", rewrite_bind }, { "DATATYPE", rewrite_datatype }, { "BNODE", rewrite_bnode } };
	char *res = NULL, *t;
	size_t i;
	for (i = 0; i < sizeof(calls) / sizeof(*calls); i++) {
		t = kgr__sparql_rewrite_calls(res ? res : text, oom, calls[i].name, calls[i].rewrite);
		if (*oom) {
			free(res);
			return NULL;
		}
		if (t) {
			free(res);
			res = t;
		}
	}
	return res;
}
