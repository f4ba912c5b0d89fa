/* Rules of the SPARQL 1.1 grammar and its notes that rasqal 0.9.33 does not enforce, checked
 * on the text the user wrote, before kgrec's rewrites and before rasqal parses it. rasqal
 * accepts such queries and answers them as if they meant something; an analyst gets an error
 * naming the line, the column and the rule instead:
 *
 * - a blank node label used in two basic graph patterns (19.6, "the same blank node label
 *   cannot be used in two different basic graph patterns"): across OPTIONAL, UNION, GRAPH,
 *   MINUS, SERVICE or a nested group;
 * - a blank node in an expression (FILTER(_:x)): the expression grammar has none;
 * - in a grouped query (GROUP BY, or an aggregate in SELECT, HAVING or ORDER BY), SELECT *
 *   or a projected variable that is neither grouped nor inside an aggregate (18.2.4.1);
 * - a SELECT expression's variable already in scope (18.2.1: the same AS twice, or a
 *   variable of the WHERE clause), a BIND's variable already in scope in its group;
 * - a VALUES row with more or fewer terms than variables;
 * - a triple pattern with a subject and no predicate (`:a:b:c .`: in SPARQL 1.1 a local
 *   name may hold ':', so that is one term);
 * - a \u or \U escape of a lone surrogate (U+D800 to U+DFFF) or beyond U+10FFFF.
 *
 * The checker reads the query with a small recursive-descent parser. It refuses only what it
 * has understood: on anything it does not follow (a syntax error, a construct it does not
 * know) it gives up and accepts, and rasqal reports whatever is wrong. Blank node labels are
 * counted as one basic graph pattern across FILTER, BIND and VALUES, and the scope of a
 * variable is the one the specification gives (triple patterns, nested groups, OPTIONAL,
 * UNION, GRAPH, BIND, VALUES, a sub-SELECT's projection; not FILTER, MINUS or EXISTS), so a
 * query is refused only when the rule is broken on every reading. Recursion deeper than 200
 * levels gives up too.
 *
 * The same tokenizer writes the prefixed names rasqal's lexer rejects as full IRIs
 * (kgr__sparql_pname_rewrite, at the end). */
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { T_END, T_PUNCT, T_IRI, T_PNAME, T_BNODE, T_VAR, T_LIT, T_NUM, T_WORD };

typedef struct {
	int k;
	const char *p;
	size_t n;
} tok;

typedef struct {
	const char *p;
	size_t n;
} name;

typedef struct {
	name *v;
	size_t n, cap;
} nameset;

/* GRAPH ?g { P } where P names ?g: the keyword, the '}' of P, the variable, and its
 * occurrences in P (gocc[first .. first + n)), whether any is visible in P's solutions. */
struct graph_wrap {
	const char *kw, *close;
	name var;
	size_t first, n;
	int visible;
};

/* An occurrence of a GRAPH's variable in its pattern: its wrap (index), and 0 or the number of
 * the sub-select (1, 2, ...) that hides it (does not project it). */
typedef struct {
	const char *p;
	size_t n, wrap, sub;
} gname;

/* An aggregated variable that the WHERE pattern of its SELECT does not bind: where to bind it
 * (the '}' of that pattern) and its name. */
struct unbound {
	const char *at;
	const char *p;
	size_t n;
};

typedef struct {
	const char *p; /* the label's first occurrence */
	size_t n;
	int bgp;
} label;

typedef struct {
	const char *text;
	tok t; /* the current token */
	label *labels;
	size_t nlabels, cap_labels;
	int next_bgp;
	int depth;
	int error; /* set with the message before longjmp */
	jmp_buf out;
	int quiet; /* a rewrite: no refusal, what breaks a rule is left alone */
	nameset *agg_vars; /* when set: the variables met inside aggregates */
	const char *last_close; /* the '}' of the group read last */
	struct unbound *unbound; /* aggregated variables their pattern never binds */
	size_t nunbound, cap_unbound;
	/* the scope rewrite (fix_scope): the variables written in FILTER and BIND expressions
	 * (occ), whether such an expression holds EXISTS, whether the next group is an
	 * OPTIONAL's, and the occurrences to rename (ren) */
	int fix_scope, occ_exists, optional_group;
	name *occ, *ren;
	size_t nocc, cap_occ, nren, cap_ren;
	/* GRAPH ?g { P } whose P names ?g (the scope rewrite too): the wraps and, for each, its
	 * occurrences of ?g in P, in gocc */
	struct graph_wrap *wraps;
	size_t nwraps, cap_wraps;
	gname *gocc;
	size_t ngocc, cap_gocc, nsub;
	void **allocs; /* every block, freed at the end (a refusal unwinds with longjmp) */
	size_t nallocs, cap_allocs;
} vstate;

/* ---- errors ---- */

static void position(const char *text, const char *p, int *line, int *col)
{
	const char *s;
	*line = 1;
	*col = 1;
	for (s = text; s < p; s++) {
		if (*s == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)*s & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

/* Gives up: the query is left to rasqal. */
static void bail(vstate *v)
{
	v->error = 0;
	longjmp(v->out, 1);
}

static void refuse(vstate *v, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(vstate *v, const char *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int line, col;
	if (v->quiet) /* a rewrite reading the text: it leaves what it cannot follow alone */
		bail(v);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	position(v->text, at, &line, &col);
	v->error = kgr__error_set(KGR_EPARSE, "SPARQL syntax error at line %d, column %d: %s", line,
		col, msg);
	longjmp(v->out, 1);
}

/* realloc() of a block kept in v->allocs. */
static void *grow(vstate *v, void *old, size_t size)
{
	void *p;
	size_t i;
	if (!old && v->nallocs == v->cap_allocs) {
		size_t cap = v->cap_allocs ? 2 * v->cap_allocs : 32;
		void **na = realloc(v->allocs, cap * sizeof(*na));
		if (!na)
			goto oom;
		v->allocs = na;
		v->cap_allocs = cap;
	}
	if (!(p = realloc(old, size)))
		goto oom;
	if (!old) {
		v->allocs[v->nallocs++] = p;
		return p;
	}
	for (i = v->nallocs; i-- > 0;) /* the block grown is usually a recent one */
		if (v->allocs[i] == old) {
			v->allocs[i] = p;
			break;
		}
	return p;
oom:
	v->error = kgr__error_set(KGR_ENOMEM, "out of memory");
	longjmp(v->out, 1);
}

/* One level deeper in the recursion: deeper than any query a person writes, it gives up
 * (rasqal then parses it, in the query's own process). */
static void enter(vstate *v)
{
	if (++v->depth > 200)
		bail(v);
}

/* ---- tokens ---- */

static int pn_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c >= 0x80;
}

static int hexval(const char *p, int n, unsigned long *out)
{
	int i;
	*out = 0;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return 0;
		*out = *out * 16 + (unsigned long)(isdigit((unsigned char)p[i]) ? p[i] - '0' : (p[i] | 32) - 'a' + 10);
	}
	return 1;
}

/* A \u or \U escape between p and end naming no character: a lone surrogate (a high one
 * followed by a low one is taken as the pair) or a code point beyond U+10FFFF. */
static void check_escapes(vstate *v, const char *p, const char *end)
{
	if (v->quiet)
		return;
	for (; p < end; p++) {
		unsigned long cp, lo;
		int n;
		if (*p != '\\')
			continue;
		if (p[1] != 'u' && p[1] != 'U') {
			p++;
			continue;
		}
		n = p[1] == 'u' ? 4 : 8;
		if (end - p < 2 + n || !hexval(p + 2, n, &cp))
			continue;
		if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 4 + n + 4 && p[2 + n] == '\\' &&
			p[3 + n] == 'u' && hexval(p + 4 + n, 4, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
			p += 2 + n + 5;
			continue;
		}
		if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			refuse(v, p,
				"the escape '%.*s' is not a character (a lone UTF-16 surrogate or beyond "
				"U+10FFFF): write the character itself or its \\U escape",
				2 + n, p);
		p += 1 + n;
	}
}

/* Past a local name at p: a final '.' ends the triple, unless escaped. */
static const char *skip_local(const char *p)
{
	const char *q = p, *good = p;
	for (;;) {
		if (*q == '.') {
			q++;
		} else if (pn_char((unsigned char)*q) || *q == ':') {
			good = ++q;
		} else if (*q == '%' && isxdigit((unsigned char)q[1]) && isxdigit((unsigned char)q[2])) {
			good = q += 3;
		} else if (*q == '\\' && q[1] && strchr("_~.-!$&'()*+,;=/?#@%", q[1])) {
			good = q += 2;
		} else {
			break;
		}
	}
	return good;
}

static void next(vstate *v)
{
	const char *p = kgr__sparql_skip_blank(v->t.p + v->t.n), *e = p + 1;
	tok t = { T_PUNCT, p, 0 };
	unsigned char c = (unsigned char)*p;
	if (!c) {
		t.k = T_END;
		e = p;
	} else if (c == '<') {
		const char *q = p + 1;
		while (*q && *q != '>' && !isspace((unsigned char)*q) && *q != '<' && *q != '"' &&
			*q != '{' && *q != '}')
			q++;
		if (*q == '>' && q > p + 1 && !(p[1] == '=' && isspace((unsigned char)p[2]))) {
			t.k = T_IRI;
			e = q + 1;
			check_escapes(v, p, e);
		} else if (p[1] == '=') {
			e = p + 2;
		}
	} else if (c == '"' || c == '\'') {
		if (!(e = kgr__sparql_skip_string(p)))
			bail(v);
		check_escapes(v, p, e);
		t.k = T_LIT;
		if (*e == '@') {
			for (e++; isalnum((unsigned char)*e) || *e == '-'; e++)
				;
		} else if (e[0] == '^' && e[1] == '^') {
			const char *q = kgr__sparql_skip_blank(e + 2);
			if (*q == '<') {
				while (*q && *q != '>')
					q++;
				if (!*q)
					bail(v);
				e = q + 1;
			} else {
				while (isalpha((unsigned char)*q) || (*q && pn_char((unsigned char)*q)) || *q == '.')
					q++;
				if (*q != ':')
					bail(v);
				e = skip_local(q + 1);
			}
		}
	} else if ((c == '?' || c == '$') && pn_char((unsigned char)p[1]) && p[1] != '-') {
		for (e = p + 1; pn_char((unsigned char)*e) && *e != '-'; e++)
			;
		t.k = T_VAR;
	} else if (c == '_' && p[1] == ':') {
		e = skip_local(p + 2);
		t.k = T_BNODE;
	} else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
		for (e = p; isdigit((unsigned char)*e); e++)
			;
		if (*e == '.' && isdigit((unsigned char)e[1]))
			for (e++; isdigit((unsigned char)*e); e++)
				;
		if ((*e == 'e' || *e == 'E') && (isdigit((unsigned char)e[1]) ||
						     ((e[1] == '+' || e[1] == '-') && isdigit((unsigned char)e[2]))))
			for (e += 2; isdigit((unsigned char)*e); e++)
				;
		t.k = T_NUM;
	} else if (isalpha(c) || c >= 0x80 || c == ':') {
		for (e = p; pn_char((unsigned char)*e) || *e == '.'; e++)
			;
		while (e > p && e[-1] == '.')
			e--;
		if (*e == ':') {
			e = skip_local(e + 1);
			t.k = T_PNAME;
		} else {
			t.k = T_WORD;
		}
	} else if ((c == '&' && p[1] == '&') || (c == '|' && p[1] == '|') || (c == '!' && p[1] == '=') ||
		   (c == '>' && p[1] == '=') || (c == '^' && p[1] == '^')) {
		e = p + 2;
	}
	t.n = (size_t)(e - p);
	v->t = t;
}

static int punct(const vstate *v, char c)
{
	return v->t.k == T_PUNCT && v->t.n == 1 && *v->t.p == c;
}

static int word(const vstate *v, const char *w)
{
	return v->t.k == T_WORD && v->t.n == strlen(w) && !strncasecmp(v->t.p, w, v->t.n);
}

static void expect_punct(vstate *v, char c)
{
	if (!punct(v, c))
		bail(v);
	next(v);
}

/* ---- variable sets ---- */

static void add_name(vstate *v, nameset *s, const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		if (s->v[i].n == n && !memcmp(s->v[i].p + 1, p + 1, n - 1))
			return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		s->v = grow(v, s->v, cap * sizeof(*s->v));
		s->cap = cap;
	}
	s->v[s->n].p = p;
	s->v[s->n].n = n;
	s->n++;
}

/* Variables compare without their sigil: ?x and $x are one. */
static int has_name(const nameset *s, const char *p, size_t n)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		if (s->v[i].n == n && !memcmp(s->v[i].p + 1, p + 1, n - 1))
			return 1;
	return 0;
}

static void add_all(vstate *v, nameset *to, const nameset *from)
{
	size_t i;
	for (i = 0; i < from->n; i++)
		add_name(v, to, from->v[i].p, from->v[i].n);
}

/* ---- patterns ---- */

static void group(vstate *v, nameset *scope);

static void use_label(vstate *v, int bgp)
{
	size_t i;
	for (i = 0; i < v->nlabels; i++) {
		label *l = &v->labels[i];
		if (l->n == v->t.n && !memcmp(l->p, v->t.p, l->n)) {
			if (l->bgp != bgp) {
				int line, col;
				position(v->text, l->p, &line, &col);
				refuse(v, v->t.p,
					"the blank node label %.*s is also used at line %d, column %d, in "
					"another basic graph pattern (OPTIONAL, UNION, GRAPH, MINUS or a "
					"group lies between them); a blank node label cannot be shared "
					"between basic graph patterns: use a variable",
					(int)l->n, l->p, line, col);
			}
			return;
		}
	}
	if (v->nlabels == v->cap_labels) {
		size_t cap = v->cap_labels ? 2 * v->cap_labels : 16;
		v->labels = grow(v, v->labels, cap * sizeof(*v->labels));
		v->cap_labels = cap;
	}
	v->labels[v->nlabels].p = v->t.p;
	v->labels[v->nlabels].n = v->t.n;
	v->labels[v->nlabels].bgp = bgp;
	v->nlabels++;
}

static void property_list(vstate *v, nameset *scope, int bgp, int required);

/* A term, '[ ... ]' or '( ... )' of a triple pattern. bgp < 0: a CONSTRUCT template. */
static void graph_node_in(vstate *v, nameset *scope, int bgp);

static void graph_node(vstate *v, nameset *scope, int bgp)
{
	enter(v);
	graph_node_in(v, scope, bgp);
	v->depth--;
}

static void graph_node_in(vstate *v, nameset *scope, int bgp)
{
	switch (v->t.k) {
	case T_VAR:
		if (scope)
			add_name(v, scope, v->t.p, v->t.n);
		next(v);
		return;
	case T_BNODE:
		if (bgp >= 0)
			use_label(v, bgp);
		next(v);
		return;
	case T_IRI:
	case T_PNAME:
	case T_LIT:
	case T_NUM:
		next(v);
		return;
	case T_WORD:
		if (word(v, "true") || word(v, "false")) {
			next(v);
			return;
		}
		bail(v);
		return;
	default:
		break;
	}
	if (punct(v, '+') || punct(v, '-')) {
		next(v);
		if (v->t.k != T_NUM)
			bail(v);
		next(v);
	} else if (punct(v, '[')) {
		next(v);
		if (!punct(v, ']'))
			property_list(v, scope, bgp, 1);
		expect_punct(v, ']');
	} else if (punct(v, '(')) {
		next(v);
		while (!punct(v, ')'))
			graph_node(v, scope, bgp);
		next(v);
	} else {
		bail(v);
	}
}

static void path(vstate *v);

static void path_primary(vstate *v)
{
	enter(v);
	if (punct(v, '^'))
		next(v);
	if (v->t.k == T_IRI || v->t.k == T_PNAME || word(v, "a")) {
		next(v);
	} else if (punct(v, '!')) {
		next(v);
		if (punct(v, '(')) {
			next(v);
			while (!punct(v, ')')) {
				if (v->t.k == T_END)
					bail(v);
				next(v);
			}
			next(v);
		} else {
			if (punct(v, '^'))
				next(v);
			if (v->t.k != T_IRI && v->t.k != T_PNAME && !word(v, "a"))
				bail(v);
			next(v);
		}
	} else if (punct(v, '(')) {
		next(v);
		path(v);
		expect_punct(v, ')');
	} else {
		bail(v);
	}
	while (punct(v, '*') || punct(v, '+') || punct(v, '?'))
		next(v);
	v->depth--;
}

static void path(vstate *v)
{
	path_primary(v);
	while (punct(v, '/') || punct(v, '|')) {
		next(v);
		path_primary(v);
	}
}

/* verb object (, object)* (; verb object ...)* */
static void property_list(vstate *v, nameset *scope, int bgp, int required)
{
	for (;;) {
		if (v->t.k == T_VAR) {
			if (scope)
				add_name(v, scope, v->t.p, v->t.n);
			next(v);
		} else if (v->t.k == T_IRI || v->t.k == T_PNAME || word(v, "a") || punct(v, '^') ||
			   punct(v, '!') || punct(v, '(')) {
			path(v);
		} else if (required) {
			bail(v);
		} else {
			return;
		}
		graph_node(v, scope, bgp);
		while (punct(v, ',')) {
			next(v);
			graph_node(v, scope, bgp);
		}
		if (!punct(v, ';'))
			return;
		while (punct(v, ';'))
			next(v);
		required = 0;
	}
}

static void triples(vstate *v, nameset *scope, int bgp)
{
	const char *subject = v->t.p;
	size_t subject_n = v->t.n;
	int node = punct(v, '[') || punct(v, '('), colons = 0;
	size_t i;
	for (i = 0; i < subject_n; i++)
		colons += subject[i] == ':';
	graph_node(v, scope, bgp);
	if (!node && (punct(v, '.') || punct(v, '}')))
		refuse(v, subject, "the triple pattern '%.*s' has no predicate and object%s",
			subject_n > 60 ? 60 : (int)subject_n, subject,
			colons > 1 ?
				" (a local name may hold ':', so this is one name)" : "");
	property_list(v, scope, bgp, !node);
}

/* ---- expressions ---- */

static void push_name(vstate *v, name **list, size_t *n, size_t *cap, const char *p, size_t len)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*list = grow(v, *list, *cap * sizeof(**list));
	}
	(*list)[*n].p = p;
	(*list)[*n].n = len;
	(*n)++;
}

/* A variable written in an expression, for the scope rewrite. */
static void note_occ(vstate *v)
{
	if (v->fix_scope)
		push_name(v, &v->occ, &v->nocc, &v->cap_occ, v->t.p, v->t.n);
}

/* The occurrences v->occ[from..] that @p scope lacks are to be renamed; drops them from occ. */
static void rename_out_of_scope(vstate *v, size_t from, const nameset *scope)
{
	size_t i;
	for (i = from; i < v->nocc && !v->occ_exists; i++)
		if (!has_name(scope, v->occ[i].p, v->occ[i].n))
			push_name(v, &v->ren, &v->nren, &v->cap_ren, v->occ[i].p, v->occ[i].n);
	v->nocc = from;
}

static int aggregate_word(const vstate *v)
{
	static const char *const aggs[] = { "count", "sum", "min", "max", "avg", "sample",
		"group_concat" };
	size_t i;
	for (i = 0; i < sizeof(aggs) / sizeof(*aggs); i++)
		if (word(v, aggs[i]))
			return 1;
	return 0;
}

typedef struct {
	nameset vars; /* outside aggregates */
	int aggregate;
	const char *as; /* AS ?v at depth 0 inside the parentheses */
	size_t as_n;
} expr_info;

/* From '(' to its ')', inclusive: the variables outside aggregates, whether an aggregate
 * occurs, the AS variable of '(' expr AS ?v ')'. EXISTS patterns are checked as groups. */
static void paren_expr(vstate *v, expr_info *ei, int in_agg)
{
	int depth = 0;
	if (!punct(v, '('))
		bail(v);
	enter(v);
	for (;;) {
		if (v->t.k == T_END || punct(v, '}'))
			bail(v);
		if (punct(v, '(')) {
			depth++;
			next(v);
		} else if (punct(v, ')')) {
			next(v);
			if (--depth == 0) {
				v->depth--;
				return;
			}
		} else if (v->t.k == T_BNODE || punct(v, '[')) {
			refuse(v, v->t.p, "a blank node '%.*s' in an expression: expressions take "
					  "variables, IRIs and literals",
				v->t.k == T_BNODE ? (int)v->t.n : 1, v->t.p);
		} else if (v->t.k == T_VAR) {
			if (!in_agg && ei) {
				add_name(v, &ei->vars, v->t.p, v->t.n);
				note_occ(v);
			}
			else if (in_agg && v->agg_vars)
				add_name(v, v->agg_vars, v->t.p, v->t.n);
			next(v);
		} else if (word(v, "exists")) {
			nameset inner = { 0 };
			v->occ_exists = 1;
			next(v);
			if (!punct(v, '{'))
				bail(v);
			group(v, &inner);
		} else if (aggregate_word(v)) {
			next(v);
			if (ei)
				ei->aggregate = 1;
			if (punct(v, '('))
				paren_expr(v, NULL, 1);
		} else if (word(v, "as") && depth == 1 && ei) {
			next(v);
			if (v->t.k != T_VAR)
				bail(v);
			ei->as = v->t.p;
			ei->as_n = v->t.n;
			next(v);
			if (!punct(v, ')'))
				bail(v);
		} else if (punct(v, '{')) {
			bail(v);
		} else {
			next(v);
		}
	}
}

/* A constraint or condition: '(' expr ')', a function call name '(' ... ')', or a variable. */
static void constraint(vstate *v, expr_info *ei)
{
	if (punct(v, '(')) {
		paren_expr(v, ei, 0);
	} else if (v->t.k == T_VAR) {
		add_name(v, &ei->vars, v->t.p, v->t.n);
		note_occ(v);
		next(v);
	} else if (aggregate_word(v)) {
		next(v);
		ei->aggregate = 1;
		paren_expr(v, NULL, 1);
	} else if (word(v, "not") || word(v, "exists")) {
		v->occ_exists = 1;
		if (word(v, "not"))
			next(v);
		if (!word(v, "exists"))
			bail(v);
		next(v);
		{
			nameset inner = { 0 };
			if (!punct(v, '{'))
				bail(v);
			group(v, &inner);
		}
	} else if (v->t.k == T_WORD || v->t.k == T_IRI || v->t.k == T_PNAME) {
		next(v);
		paren_expr(v, ei, 0);
	} else {
		bail(v);
	}
}

static void ei_reset(expr_info *ei)
{
	memset(ei, 0, sizeof(*ei));
}

/* ---- VALUES ---- */

static void data_block(vstate *v, nameset *scope)
{
	size_t nvars = 0;
	int one = 0;
	if (v->t.k == T_VAR) {
		add_name(v, scope, v->t.p, v->t.n);
		next(v);
		one = 1;
		nvars = 1;
	} else {
		expect_punct(v, '(');
		while (v->t.k == T_VAR) {
			add_name(v, scope, v->t.p, v->t.n);
			nvars++;
			next(v);
		}
		expect_punct(v, ')');
	}
	expect_punct(v, '{');
	while (!punct(v, '}')) {
		size_t n = 0;
		const char *row = v->t.p;
		if (one) {
			if (word(v, "undef"))
				next(v);
			else
				graph_node(v, NULL, -1);
			continue;
		}
		expect_punct(v, '(');
		while (!punct(v, ')')) {
			if (word(v, "undef"))
				next(v);
			else if (v->t.k == T_IRI || v->t.k == T_PNAME || v->t.k == T_LIT ||
				 v->t.k == T_NUM || word(v, "true") || word(v, "false") ||
				 punct(v, '+') || punct(v, '-'))
				graph_node(v, NULL, -1);
			else
				bail(v);
			n++;
		}
		if (n != nvars)
			refuse(v, row, "this VALUES row has %zu value%s for %zu variable%s",
				n, n == 1 ? "" : "s", nvars, nvars == 1 ? "" : "s");
		next(v);
	}
	next(v);
}

/* ---- queries ---- */

static void select_query(vstate *v, nameset *projected);

static void solution_modifiers(vstate *v, int *grouped, nameset *group_vars, int *agg_elsewhere)
{
	expr_info ei = { 0 };
	if (word(v, "group")) {
		next(v);
		if (!word(v, "by"))
			bail(v);
		next(v);
		*grouped = 1;
		for (;;) {
			if (v->t.k == T_VAR) {
				add_name(v, group_vars, v->t.p, v->t.n);
				next(v);
			} else if (punct(v, '(')) {
				const char *open = v->t.p;
				paren_expr(v, &ei, 0);
				if (ei.as)
					add_name(v, group_vars, ei.as, ei.as_n);
				else if (ei.vars.n == 1 && !ei.aggregate) {
					/* (?x) groups ?x */
					const char *q = kgr__sparql_skip_blank(open + 1);
					if (q == ei.vars.v[0].p && *kgr__sparql_skip_blank(q + ei.vars.v[0].n) == ')')
						add_name(v, group_vars, q, ei.vars.v[0].n);
				}
				ei_reset(&ei);
			} else if ((v->t.k == T_WORD && !word(v, "having") && !word(v, "order") &&
					   !word(v, "limit") && !word(v, "offset") && !word(v, "values")) ||
				   v->t.k == T_IRI || v->t.k == T_PNAME) {
				next(v);
				paren_expr(v, &ei, 0);
				ei_reset(&ei);
			} else {
				break;
			}
		}
	}
	if (word(v, "having")) {
		next(v);
		while (punct(v, '(') || (v->t.k == T_WORD && !word(v, "order") && !word(v, "limit") &&
					       !word(v, "offset") && !word(v, "values")) ||
			v->t.k == T_IRI || v->t.k == T_PNAME) {
			constraint(v, &ei);
			*agg_elsewhere |= ei.aggregate;
			ei_reset(&ei);
		}
	}
	if (word(v, "order")) {
		next(v);
		if (!word(v, "by"))
			bail(v);
		next(v);
		for (;;) {
			if (word(v, "asc") || word(v, "desc")) {
				next(v);
				paren_expr(v, &ei, 0);
			} else if (punct(v, '(') || v->t.k == T_VAR || v->t.k == T_IRI || v->t.k == T_PNAME ||
				   (v->t.k == T_WORD && !word(v, "limit") && !word(v, "offset") &&
					   !word(v, "values"))) {
				constraint(v, &ei);
			} else {
				break;
			}
			*agg_elsewhere |= ei.aggregate;
			ei_reset(&ei);
		}
	}
	while (word(v, "limit") || word(v, "offset")) {
		next(v);
		if (v->t.k != T_NUM)
			bail(v);
		next(v);
	}
}

/* SELECT ... WHERE { } modifiers (VALUES of the outer query read by the caller). Puts the
 * variables the SELECT projects into *projected. */
typedef struct {
	const char *p;
	size_t n;
	int expr; /* (expr AS ?v): vars of the expression in evars[from, to) */
	size_t from, to;
} item;

/* 18.2.4.1: in a grouped query every projected variable is grouped or aggregated, and a
 * SELECT expression uses, outside aggregates, grouped variables and earlier SELECT
 * expressions' variables only. */
static void check_grouping(vstate *v, const char *star, const item *items, size_t nitems,
	const nameset *evars, const nameset *group_vars, int grouped)
{
	nameset ok = { 0 };
	size_t i, j;
	if (star)
		refuse(v, star, "SELECT * in a query with GROUP BY or aggregates: project "
				"the grouped variables and aggregates by name");
	add_all(v, &ok, group_vars);
	for (i = 0; i < nitems; i++) {
		if (!items[i].expr) {
			if (!has_name(&ok, items[i].p, items[i].n))
				refuse(v, items[i].p,
					"%.*s is projected but is not in GROUP BY%s: project "
					"only grouped variables, or aggregate it, e.g. "
					"(SAMPLE(%.*s) AS ?any)",
					(int)items[i].n, items[i].p,
					grouped ? "" : " (there is none; an aggregate makes the "
						       "query one group)",
					(int)items[i].n, items[i].p);
			continue;
		}
		for (j = items[i].from; j < items[i].to; j++)
			if (!has_name(&ok, evars->v[j].p, evars->v[j].n))
				refuse(v, evars->v[j].p,
					"%.*s is used outside an aggregate in the SELECT "
					"expression for %.*s but is not in GROUP BY: group by it "
					"(or by (EXPR AS ?v) and project ?v), or aggregate it",
					(int)evars->v[j].n, evars->v[j].p, (int)items[i].n,
					items[i].p);
		add_name(v, &ok, items[i].p, items[i].n);
	}
}

/* The variables of the SELECT clause's aggregates that the WHERE pattern just read never binds
 * (SELECT (COUNT(?x) AS ?c) {}): each is unbound in every solution, and rasqal 0.9.33 refuses
 * the query ("Variable x was not bound") or counts it. */
static void push_unbound(vstate *v, const char *at, const char *p, size_t n)
{
	if (v->nunbound == v->cap_unbound) {
		v->cap_unbound = v->cap_unbound ? 2 * v->cap_unbound : 4;
		v->unbound = grow(v, v->unbound, v->cap_unbound * sizeof(*v->unbound));
	}
	v->unbound[v->nunbound].at = at;
	v->unbound[v->nunbound].p = p;
	v->unbound[v->nunbound].n = n;
	v->nunbound++;
}

static void note_unbound(vstate *v, const nameset *aggv, const nameset *where)
{
	size_t i;
	for (i = 0; i < aggv->n; i++)
		if (!has_name(where, aggv->v[i].p, aggv->v[i].n))
			push_unbound(v, v->last_close, aggv->v[i].p, aggv->v[i].n);
}

/* rasqal 0.9.33 loses the values of a VALUES block in a group without a triple pattern once
 * anything else reads them: a FILTER (SELECT ?t { VALUES ?t { "a" "b" } FILTER(?t = "a") }
 * gives no row, FILTER(true) two rows with ?t unbound, the same with the VALUES in a nested
 * group, a UNION or a GRAPH), a BIND after it (BIND(?t AS ?u) gives ?u unbound, then "a" for
 * "b"), or an aggregate (GROUP_CONCAT(?o) gives "", GROUP BY ?o one group). Beside a triple
 * pattern it is right. The rewrite adds an OPTIONAL that matches nothing right after the
 * group's first VALUES block, through the same list as note_unbound(). */
#define VALUES_ONLY_VAR "?" KGR__VALUES_ONLY_VAR

static void note_values_only(vstate *v, const char *at)
{
	push_unbound(v, at, VALUES_ONLY_VAR, sizeof(VALUES_ONLY_VAR) - 1);
}

static void select_query(vstate *v, nameset *projected)
{
	item *items = NULL;
	size_t nitems = 0, cap = 0, i;
	nameset evars = { 0 }, where = { 0 }, group_vars = { 0 }, assigned = { 0 }, aggv = { 0 };
	nameset *outer_agg = v->agg_vars;
	const char *star = NULL;
	int grouped = 0, agg = 0, agg_elsewhere = 0;
	expr_info ei = { 0 };

	{
		next(v); /* SELECT */
		if (word(v, "distinct") || word(v, "reduced"))
			next(v);
		if (punct(v, '*')) {
			star = v->t.p;
			next(v);
		}
		v->agg_vars = &aggv;
		while (!star && (v->t.k == T_VAR || punct(v, '('))) {
			if (nitems == cap) {
				cap = cap ? 2 * cap : 8;
				items = grow(v, items, cap * sizeof(*items));
			}
			if (v->t.k == T_VAR) {
				items[nitems].p = v->t.p;
				items[nitems].n = v->t.n;
				items[nitems].expr = 0;
				next(v);
			} else {
				paren_expr(v, &ei, 0);
				if (!ei.as)
					bail(v);
				if (has_name(&assigned, ei.as, ei.as_n))
					refuse(v, ei.as, "%.*s is assigned twice in the SELECT clause",
						(int)ei.as_n, ei.as);
				add_name(v, &assigned, ei.as, ei.as_n);
				items[nitems].p = ei.as;
				items[nitems].n = ei.as_n;
				items[nitems].expr = 1;
				items[nitems].from = evars.n;
				for (i = 0; i < ei.vars.n; i++) {
					if (evars.n == evars.cap) {
						evars.cap = evars.cap ? 2 * evars.cap : 16;
						evars.v = grow(v, evars.v, evars.cap * sizeof(*evars.v));
					}
					evars.v[evars.n++] = ei.vars.v[i]; /* in order, with repeats */
				}
				items[nitems].to = evars.n;
				agg |= ei.aggregate;
				ei_reset(&ei);
			}
			nitems++;
		}
		v->agg_vars = outer_agg;
		if (!star && !nitems)
			bail(v);
		while (word(v, "from")) {
			next(v);
			if (word(v, "named"))
				next(v);
			if (v->t.k != T_IRI && v->t.k != T_PNAME)
				bail(v);
			next(v);
		}
		if (word(v, "where"))
			next(v);
		if (!punct(v, '{'))
			bail(v);
		group(v, &where);
		note_unbound(v, &aggv, &where);
		solution_modifiers(v, &grouped, &group_vars, &agg_elsewhere);

		/* 18.2.1: a SELECT expression's variable must not be in scope: in a grouped query
		 * only the grouped variables are (18.2.4.1), otherwise those of the WHERE clause */
		for (i = 0; i < nitems; i++)
			if (items[i].expr && (grouped || agg || agg_elsewhere ?
							 has_name(&group_vars, items[i].p, items[i].n) :
							 has_name(&where, items[i].p, items[i].n)))
				refuse(v, items[i].p,
					"%.*s is assigned in the SELECT clause but is already %s: choose "
					"another name",
					(int)items[i].n, items[i].p,
					grouped || agg || agg_elsewhere ? "a grouped variable" :
									  "a variable of the WHERE pattern");
		if (grouped || agg || agg_elsewhere)
			check_grouping(v, star, items, nitems, &evars, &group_vars, grouped);
		if (star)
			add_all(v, projected, &where);
		for (i = 0; i < nitems; i++)
			add_name(v, projected, items[i].p, items[i].n);
	}
	ei_reset(&ei);
}

/* BIND ( expr AS ?v ) in a group whose variables so far are @p here; adds ?v to them. */
static void bind_clause(vstate *v, nameset *here)
{
	expr_info ei = { 0 };
	size_t from = v->nocc;
	next(v);
	v->occ_exists = 0;
	paren_expr(v, &ei, 0);
	/* 18.2.1: BIND sees what the group bound before it */
	rename_out_of_scope(v, from, here);
	if (!ei.as) {
		ei_reset(&ei);
		bail(v);
	}
	if (has_name(here, ei.as, ei.as_n)) {
		const char *as = ei.as;
		size_t as_n = ei.as_n;
		ei_reset(&ei);
		refuse(v, as, "BIND assigns %.*s, which the group already binds before the BIND: choose "
			      "another name",
			(int)as_n, as);
	}
	add_name(v, here, ei.as, ei.as_n);
	ei_reset(&ei);
}

/* '{' ... '}': a group graph pattern or a sub-SELECT. Adds the variables in scope after it
 * to *scope. */
/* Whether the sub-select whose SELECT keyword is s's token projects the variable gv: '*',
 * the variable itself, or AS it. */
static int projects(vstate s, const name *gv)
{
	int paren = 0, as = 0;
	for (next(&s); s.t.k != T_END && !word(&s, "where") && !punct(&s, '{'); next(&s)) {
		paren += punct(&s, '(') - punct(&s, ')');
		if ((punct(&s, '*') && !paren) ||
			(s.t.k == T_VAR && (!paren || as) && s.t.n == gv->n &&
				!memcmp(s.t.p + 1, gv->p + 1, gv->n - 1)))
			return 1;
		as = word(&s, "as");
	}
	return 0;
}

/* GRAPH ?g { P } where P itself names ?g: P is evaluated without the graph's name and then
 * joined with it (18.6: Join(eval(D[g], P), {?g -> g})), so ?g in P is an ordinary variable,
 * unbound where P leaves it so; rasqal binds it to the graph's name inside P. Notes the
 * occurrences of ?g between open and close for the rewrite, and for each the sub-select
 * that hides it (rasqal lets a sub-select's variables reach the group around it), unless a
 * GRAPH of the same variable is nested there (then P is left as it is). */
static void graph_wrap(vstate *v, const char *kw, const char *open, const char *close,
	const name *gv)
{
	vstate s = *v;
	size_t first = v->ngocc, depth = 0, nst = 0;
	struct {
		size_t depth, sub;
	} st[32]; /* the sub-selects that hide ?g, innermost last */
	int visible = 0;
	s.t.p = open;
	s.t.n = 1;
	for (;;) {
		int after_graph = word(&s, "graph");
		depth += punct(&s, '{');
		if (punct(&s, '}')) {
			depth--;
			while (nst && st[nst - 1].depth > depth)
				nst--;
		}
		next(&s);
		if (s.t.k == T_END || s.t.p >= close)
			break;
		if (word(&s, "select") && !projects(s, gv)) {
			if (nst == sizeof(st) / sizeof(*st))
				goto leave;
			st[nst].depth = depth;
			st[nst++].sub = ++v->nsub;
		}
		if (s.t.k != T_VAR || s.t.n != gv->n || memcmp(s.t.p + 1, gv->p + 1, gv->n - 1))
			continue;
		if (after_graph)
			goto leave;
		if (v->ngocc == v->cap_gocc) {
			v->cap_gocc = v->cap_gocc ? 2 * v->cap_gocc : 8;
			v->gocc = grow(v, v->gocc, v->cap_gocc * sizeof(*v->gocc));
		}
		v->gocc[v->ngocc++] = (gname){ s.t.p, s.t.n, v->nwraps, nst ? st[nst - 1].sub : 0 };
		visible |= !nst;
	}
	if (v->ngocc == first)
		return;
	if (v->nwraps == v->cap_wraps) {
		v->cap_wraps = v->cap_wraps ? 2 * v->cap_wraps : 4;
		v->wraps = grow(v, v->wraps, v->cap_wraps * sizeof(*v->wraps));
	}
	v->wraps[v->nwraps++] = (struct graph_wrap){ kw, close, *gv, first, v->ngocc - first, visible };
	return;
leave:
	v->ngocc = first;
}

static void group(vstate *v, nameset *scope)
{
	nameset here = { 0 }, inner = { 0 };
	int bgp = v->next_bgp++, triple_parts = 0;
	int optional = v->optional_group;
	const char *values_end = NULL; /* after the first VALUES block */
	int outer_exists = v->occ_exists;
	name *filters = NULL; /* the variables of this group's FILTERs */
	size_t nfilters = 0, cap_filters = 0, i;

	v->optional_group = 0;

	enter(v);
	{
		next(v); /* '{' */
		if (word(v, "select")) {
			select_query(v, &here);
			if (word(v, "values")) {
				nameset dummy = { 0 };
				next(v);
				data_block(v, &dummy);
			}
			v->last_close = v->t.p;
			expect_punct(v, '}');
		} else {
			while (!punct(v, '}')) {
				inner.n = 0;
				if (punct(v, '.')) {
					next(v);
				} else if (word(v, "optional")) {
					next(v);
					if (!punct(v, '{'))
						bail(v);
					v->optional_group = 1;
					group(v, &here);
					bgp = v->next_bgp++;
				} else if (word(v, "minus")) {
					next(v);
					if (!punct(v, '{'))
						bail(v);
					group(v, &inner); /* not in scope after it */
					bgp = v->next_bgp++;
				} else if (word(v, "graph") || word(v, "service")) {
					int service = word(v, "service");
					const char *kw = v->t.p, *open;
					name gv = { NULL, 0 };
					next(v);
					if (service && word(v, "silent"))
						next(v);
					if (v->t.k == T_VAR) {
						add_name(v, &here, v->t.p, v->t.n);
						if (!service)
							gv = (name){ v->t.p, v->t.n };
					} else if (v->t.k != T_IRI && v->t.k != T_PNAME) {
						bail(v);
					}
					next(v);
					if (!punct(v, '{'))
						bail(v);
					open = v->t.p;
					group(v, &here);
					if (gv.p && v->fix_scope)
						graph_wrap(v, kw, open, v->last_close, &gv);
					bgp = v->next_bgp++;
				} else if (punct(v, '{')) {
					group(v, &here);
					while (word(v, "union")) {
						next(v);
						if (!punct(v, '{'))
							bail(v);
						group(v, &here);
					}
					bgp = v->next_bgp++;
				} else if (word(v, "filter")) {
					expr_info ei = { 0 };
					size_t from = v->nocc;
					next(v);
					v->occ_exists = 0;
					constraint(v, &ei);
					for (i = from; i < v->nocc && !v->occ_exists; i++)
						push_name(v, &filters, &nfilters, &cap_filters, v->occ[i].p, v->occ[i].n);
					v->nocc = from;
					ei_reset(&ei);
				} else if (word(v, "bind")) {
					bind_clause(v, &here);
				} else if (word(v, "values")) {
					next(v);
					data_block(v, &here);
					if (!values_end)
						values_end = v->t.p;
				} else if (v->t.k == T_END) {
					bail(v);
				} else {
					triple_parts++;
					triples(v, &here, bgp);
					/* a triple ends with '.', '}' or the next pattern */
					if (!punct(v, '.') && !punct(v, '}') && !punct(v, '{') &&
						!word(v, "optional") && !word(v, "minus") && !word(v, "graph") &&
						!word(v, "service") && !word(v, "filter") && !word(v, "bind") &&
						!word(v, "values"))
						bail(v);
				}
			}
			v->last_close = v->t.p;
			if (values_end && !triple_parts && v->fix_scope)
				note_values_only(v, values_end);
			/* a FILTER sees the variables of its group, and those of the left side too
			 * when the group is an OPTIONAL's (18.2.2.5: LeftJoin) */
			for (i = 0; i < nfilters && !optional; i++)
				if (!has_name(&here, filters[i].p, filters[i].n))
					push_name(v, &v->ren, &v->nren, &v->cap_ren, filters[i].p, filters[i].n);
			next(v); /* '}' */
		}
		v->occ_exists = outer_exists;
		add_all(v, scope, &here);
	}
	v->depth--;
}

static void query(vstate *v)
{
	nameset projected = { 0 };

	next(v);
	/* the prologue */
	for (;;) {
		if (word(v, "base")) {
			next(v);
			next(v);
		} else if (word(v, "prefix")) {
			next(v);
			next(v);
			next(v);
		} else {
			break;
		}
	}
	{
		if (word(v, "select")) {
			select_query(v, &projected);
		} else if (word(v, "ask") || word(v, "describe") || word(v, "construct")) {
			int grouped = 0, agg = 0;
			nameset where = { 0 };
			int construct = word(v, "construct"), describe = word(v, "describe");
			next(v);
			if (construct && punct(v, '{')) {
				/* the template: its blank nodes are new in each solution */
				next(v);
				while (!punct(v, '}')) {
					if (punct(v, '.'))
						next(v);
					else if (v->t.k == T_END)
						bail(v);
					else {
						graph_node(v, NULL, -1);
						property_list(v, NULL, -1, 0);
					}
				}
				next(v);
			} else if (describe) {
				while (v->t.k == T_VAR || v->t.k == T_IRI || v->t.k == T_PNAME || punct(v, '*'))
					next(v);
			}
			while (word(v, "from")) {
				next(v);
				if (word(v, "named"))
					next(v);
				next(v);
			}
			if (word(v, "where"))
				next(v);
			if (punct(v, '{')) {
				group(v, &where);
				where.v = NULL;
				where.n = where.cap = 0;
				solution_modifiers(v, &grouped, &where, &agg);
			}
		} else {
			bail(v);
		}
		if (word(v, "values")) {
			next(v);
			data_block(v, &projected);
		}
	}
}

int kgr__sparql_validate(const char *text)
{
	vstate v;
	memset(&v, 0, sizeof(v));
	v.text = text;
	v.t.p = text;
	if (setjmp(v.out) == 0)
		query(&v);
	while (v.nallocs)
		free(v.allocs[--v.nallocs]);
	free(v.allocs);
	return v.error;
}

/* ---- aggregated variables nothing binds ---- */

/* query() on v; 0, or -1 when it stopped (v->error says why: 0 when it could not follow). */
static int parse(vstate *v)
{
	if (setjmp(v->out))
		return -1;
	query(v);
	return 0;
}

/* One change of the scope rewrite's text: at `at`, `del` bytes replaced by what `kind` and
 * `ix` give. Edits at one place apply in `pri` order: a GRAPH wrap's end before an
 * insertion at the '}' that follows it. */
enum { E_REN, E_GOCC, E_OPEN, E_CLOSE, E_UNBOUND };

typedef struct {
	const char *at;
	size_t del;
	int kind, pri;
	size_t ix, seq;
} edit;

static int by_edit(const void *a, const void *b)
{
	const edit *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->pri != y->pri)
		return x->pri - y->pri;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void push_edit(edit *e, size_t *n, const char *at, size_t del, int kind, size_t ix)
{
	static const int pri[] = { 1, 1, 0, 0, 2 };
	e[*n] = (edit){ at, del, kind, pri[kind], ix, *n };
	(*n)++;
}

/* The edits of a parse, in the order of the text (malloc'd; NULL when out of memory). */
static edit *collect_edits(const vstate *v, size_t *n)
{
	edit *e = malloc((v->nren + v->nunbound + 2 * v->nwraps + v->ngocc + 1) * sizeof(*e));
	size_t i, k;
	*n = 0;
	if (!e)
		return NULL;
	for (i = 0; i < v->nren; i++)
		push_edit(e, n, v->ren[i].p, v->ren[i].n, E_REN, i);
	for (i = 0; i < v->nunbound; i++)
		push_edit(e, n, v->unbound[i].at, 0, E_UNBOUND, i);
	for (i = 0; i < v->nwraps; i++) {
		const struct graph_wrap *w = &v->wraps[i];
		if (w->visible) {
			push_edit(e, n, w->kw, 0, E_OPEN, i);
			push_edit(e, n, w->close + 1, 0, E_CLOSE, i);
		}
		for (k = w->first; k < w->first + w->n; k++)
			push_edit(e, n, v->gocc[k].p, v->gocc[k].n, E_GOCC, k);
	}
	if (*n)
		qsort(e, *n, sizeof(*e), by_edit);
	return e;
}

static void apply_edit(const vstate *v, kgr__buf *out, const edit *e)
{
	const struct unbound *u = &v->unbound[e->ix];
	const struct graph_wrap *w = &v->wraps[e->ix];
	const gname *g = &v->gocc[e->ix];
	switch (e->kind) {
	case E_REN:
		kgr__buf_puts(out, "?" KGR__OUT_OF_SCOPE_VAR);
		break;
	case E_GOCC: /* the wrap's variable, or one of the sub-select's own */
		if (g->sub)
			kgr__buf_printf(out, "?" KGR__GRAPH_INNER_VAR "s%zu", g->sub);
		else
			kgr__buf_printf(out, "?" KGR__GRAPH_INNER_VAR "%zu", g->wrap);
		break;
	case E_OPEN:
		kgr__buf_puts(out, "{ ");
		break;
	case E_CLOSE:
		kgr__buf_printf(out, " FILTER(!BOUND(?" KGR__GRAPH_INNER_VAR "%zu) || sameTerm(?"
			KGR__GRAPH_INNER_VAR "%zu, %.*s)) }", e->ix, e->ix, (int)w->var.n, w->var.p);
		break;
	default:
		kgr__buf_printf(out, " OPTIONAL { ?%.*s <" KGR__UNBOUND_IRI "> ?%.*s } ", (int)u->n - 1,
			u->p + 1, (int)u->n - 1, u->p + 1);
	}
}

char *kgr__sparql_unbound_rewrite(const char *text, int *oom)
{
	vstate v;
	kgr__buf out = { 0 };
	const char *copied = text;
	char *res = NULL;
	edit *e;
	size_t i, n;

	*oom = 0;
	memset(&v, 0, sizeof(v));
	v.text = text;
	v.t.p = text;
	v.quiet = 1;
	v.fix_scope = 1;
	if (parse(&v) < 0) {
		*oom = v.error == KGR_ENOMEM;
	} else if (!(e = collect_edits(&v, &n))) {
		*oom = 1;
	} else {
		for (i = 0; i < n; i++) {
			if (e[i].at < copied)
				continue; /* the same occurrence twice */
			kgr__buf_put(&out, copied, (size_t)(e[i].at - copied));
			apply_edit(&v, &out, &e[i]);
			copied = e[i].at + e[i].del;
		}
		if (n) {
			kgr__buf_puts(&out, copied);
			if (!(res = kgr__buf_take(&out)))
				*oom = 1;
		}
		free(e);
	}
	kgr__buf_free(&out);
	while (v.nallocs)
		free(v.allocs[--v.nallocs]);
	free(v.allocs);
	return res;
}

/* ---- prefixed names rasqal cannot read ---- */

/* rasqal 0.9.33's lexer rejects a local name holding ':', a '\' escape or a %-escape
 * (og:audio:title, :c\~z, og:audio%3Atitle), all valid SPARQL 1.1. Such a name is written
 * as the full IRI: the prefix's IRI, then the local name with its '\' escapes removed
 * (%-escapes stay as written, 19.8 note 8). A name whose prefix is not declared is left for
 * rasqal to report. */
typedef struct {
	kgr__buf out;
	const char *copied; /* text before this is in out */
	struct {
		const char *p, *iri;
		size_t n, iri_n;
	} pfx[64];
	size_t npfx;
	int changed;
} pname_state;

static void pname_scan(vstate *v, pname_state *ps)
{
	int after_prefix = 0;
	size_t i;
	for (next(v); v->t.k != T_END; next(v)) {
		const char *local, *end;
		int odd = 0;
		if (word(v, "prefix")) {
			after_prefix = 1;
			continue;
		}
		if (after_prefix) {
			/* PREFIX p: <iri> */
			tok decl = v->t;
			after_prefix = 0;
			if (decl.k != T_PNAME)
				continue;
			next(v);
			if (v->t.k == T_IRI && ps->npfx < sizeof(ps->pfx) / sizeof(*ps->pfx)) {
				for (i = 0; i < ps->npfx; i++)
					if (ps->pfx[i].n == decl.n && !memcmp(ps->pfx[i].p, decl.p, decl.n))
						break;
				ps->pfx[i].p = decl.p;
				ps->pfx[i].n = decl.n;
				ps->pfx[i].iri = v->t.p + 1;
				ps->pfx[i].iri_n = v->t.n - 2;
				if (i == ps->npfx)
					ps->npfx++;
			}
			continue;
		}
		if (v->t.k != T_PNAME)
			continue;
		local = (const char *)memchr(v->t.p, ':', v->t.n) + 1;
		end = v->t.p + v->t.n;
		for (i = 0; local + i < end; i++)
			odd |= local[i] == ':' || local[i] == '\\' || local[i] == '%';
		if (!odd)
			continue;
		for (i = 0; i < ps->npfx; i++)
			if (ps->pfx[i].n == (size_t)(local - v->t.p) && !memcmp(ps->pfx[i].p, v->t.p, ps->pfx[i].n))
				break;
		if (i == ps->npfx)
			continue;
		kgr__buf_put(&ps->out, ps->copied, (size_t)(v->t.p - ps->copied));
		kgr__buf_put(&ps->out, "<", 1);
		kgr__buf_put(&ps->out, ps->pfx[i].iri, ps->pfx[i].iri_n);
		for (; local < end; local++) {
			if (*local == '\\')
				local++;
			kgr__buf_put(&ps->out, local, 1);
		}
		kgr__buf_put(&ps->out, ">", 1);
		ps->copied = end;
		ps->changed = 1;
	}
}

char *kgr__sparql_pname_rewrite(const char *text, int *oom)
{
	vstate v;
	pname_state ps;

	*oom = 0;
	memset(&v, 0, sizeof(v));
	memset(&ps, 0, sizeof(ps));
	v.text = text;
	v.t.p = text;
	v.quiet = 1;
	ps.copied = text;
	if (setjmp(v.out)) {
		kgr__buf_free(&ps.out);
		return NULL;
	}
	pname_scan(&v, &ps);
	if (!ps.changed) {
		kgr__buf_free(&ps.out);
		return NULL;
	}
	kgr__buf_puts(&ps.out, ps.copied);
	if (ps.out.oom) {
		*oom = 1;
		kgr__buf_free(&ps.out);
		return NULL;
	}
	return kgr__buf_take(&ps.out);
}

/* ---- names kgrec reserves ---- */

#define RESERVED_IRI "urn:x-kgrec:"
#define RESERVED_VAR "__kgr_"

/* Whether the IRI written as @p a (escapes as in the query) then @p b begins with
 * RESERVED_IRI, compared case-insensitively (URN scheme and namespace are), with \u and \U
 * escapes of ASCII characters and a local name's '\' escapes read as the characters. */
static int reserved_iri(const char *a, size_t an, const char *b, size_t bn)
{
	const size_t want = sizeof(RESERVED_IRI) - 1;
	char got[sizeof(RESERVED_IRI)];
	size_t n = 0, part;
	for (part = 0; part < 2 && n < want; part++) {
		const char *p = part ? b : a, *end = p + (part ? bn : an);
		while (p < end && n < want) {
			unsigned long cp;
			int len = p[0] == '\\' && end - p > 1 ? (p[1] == 'u' ? 4 : p[1] == 'U' ? 8 : 0) : -1;
			if (len > 0 && end - p >= 2 + len && hexval(p + 2, len, &cp) && cp < 0x80) {
				got[n++] = (char)cp;
				p += 2 + len;
			} else if (len == 0 && part) {
				got[n++] = p[1];
				p += 2;
			} else {
				got[n++] = *p++;
			}
		}
	}
	return n == want && !strncasecmp(got, RESERVED_IRI, want);
}

/* The first token of the query that writes a reserved name, or NULL. */
static const char *reserved_scan(vstate *v)
{
	struct {
		const char *p, *iri;
		size_t n, iri_n;
	} pfx[64];
	size_t npfx = 0, i;
	tok decl = { T_END, NULL, 0 };
	int after = 0; /* 1 after PREFIX, 2 after PREFIX p: */
	for (next(v); v->t.k != T_END; next(v)) {
		const tok t = v->t;
		if (t.k == T_VAR && t.n > sizeof(RESERVED_VAR) && !strncmp(t.p + 1, RESERVED_VAR, sizeof(RESERVED_VAR) - 1))
			return t.p;
		if (t.k == T_IRI && reserved_iri(t.p + 1, t.n - 2, "", 0))
			return t.p;
		if (word(v, "prefix")) { /* a BASE that is reserved is refused as an IRI */
			after = 1;
			continue;
		}
		if (after == 1 && t.k == T_PNAME) {
			decl = t; /* "p:" */
			after = 2;
			continue;
		}
		if (after == 2 && t.k == T_IRI && npfx < sizeof(pfx) / sizeof(*pfx)) {
			pfx[npfx].p = decl.p;
			pfx[npfx].n = decl.n;
			pfx[npfx].iri = t.p + 1;
			pfx[npfx].iri_n = t.n - 2;
			npfx++;
		}
		after = 0;
		if (t.k != T_PNAME)
			continue;
		for (i = npfx; i-- > 0;) /* a prefix declared again: the last declaration */
			if (t.n >= pfx[i].n && !memcmp(t.p, pfx[i].p, pfx[i].n))
				break;
		if (i != (size_t)-1 && reserved_iri(pfx[i].iri, pfx[i].iri_n, t.p + pfx[i].n, t.n - pfx[i].n))
			return t.p;
	}
	return NULL;
}

int kgr__sparql_check_reserved(const char *text)
{
	vstate v;
	const char *at = NULL;
	int line, col;
	memset(&v, 0, sizeof(v));
	v.text = text;
	v.t.p = text;
	v.quiet = 1;
	if (setjmp(v.out) == 0)
		at = reserved_scan(&v);
	while (v.nallocs)
		free(v.allocs[--v.nallocs]);
	free(v.allocs);
	if (!at)
		return 0;
	position(text, at, &line, &col);
	return kgr__error_set(KGR_EUNSUPPORTED,
		"the SPARQL query writes a name kgrec reserves at line %d, column %d: IRIs that begin "
		"with '" RESERVED_IRI "' and variables named " RESERVED_VAR "... stand for its own "
		"markers in the queries it runs",
		line, col);
}
