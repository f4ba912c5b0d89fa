/* EXISTS, NOT EXISTS and MINUS: the text rewrite (sparql/sparql_exists.h says why and how;
 * the evaluation is in sparql/sparql.c).
 *
 * Only a group that holds nothing but triple patterns and FILTERs is rewritten (or, for
 * EXISTS, a group whose only part is one such group or a SELECT * of one): there rasqal
 * evaluates the patterns as one set of nested loops, so the marker pattern written last sees
 * the whole solution, and the solution binds every variable of the group. Beside OPTIONAL,
 * UNION, GRAPH, BIND, VALUES, a sub-SELECT or a nested group rasqal evaluates parts apart and
 * the marker would see stale values: such a query is refused, never answered wrongly. */
#include "sparql/sparql_exists.h"
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Groups nest by recursion: deeper than this is refused rather than risk the stack. */
#define MAX_DEPTH 200
#define KGR__STR2(x) #x
#define KGR__STR(x) KGR__STR2(x)

typedef enum { X_END, X_WORD, X_VAR, X_STRING, X_IRI, X_PUNCT } xkind;

typedef struct {
	xkind kind;
	const char *p, *end;
} xtok;

static int name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c >= 0x80;
}

/* Declared in sparql/sparql_result.h. */
const char *kgr__sparql_skip_blank(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '#')
			return p;
		while (*p && *p != '\n')
			p++;
	}
}

/* Past an IRI reference at '<', or NULL when the '<' is an operator. */
static const char *iri_end(const char *p)
{
	const char *q = p + 1;
	while (*q && *q != '>' && !isspace((unsigned char)*q) && *q != '<' && *q != '"' && *q != '{' &&
		*q != '}')
		q++;
	return *q == '>' ? q + 1 : NULL;
}

static xtok next(const char *p)
{
	xtok t;
	const char *e;
	p = kgr__sparql_skip_blank(p);
	t.p = t.end = p;
	t.kind = X_END;
	if (!*p)
		return t;
	if (*p == '"' || *p == '\'') {
		e = kgr__sparql_skip_string(p);
		t.kind = X_STRING;
		t.end = e ? e : p + strlen(p);
	} else if (*p == '<' && (e = iri_end(p))) {
		t.kind = X_IRI;
		t.end = e;
	} else if ((*p == '?' || *p == '$') && name_char((unsigned char)p[1]) && p[1] != '.' && p[1] != ':') {
		for (e = p + 1; isalnum((unsigned char)*e) || *e == '_' || (unsigned char)*e >= 0x80; e++)
			;
		t.kind = X_VAR;
		t.end = e;
	} else if (name_char((unsigned char)*p) && *p != '.') {
		for (e = p; name_char((unsigned char)*e); e++)
			;
		while (e > p + 1 && e[-1] == '.')
			e--; /* a name never ends with '.': that is the end of a triple */
		t.kind = X_WORD;
		t.end = e;
	} else {
		t.kind = X_PUNCT;
		t.end = p + 1;
	}
	return t;
}

static int is_kw(const xtok *t, const char *w)
{
	size_t n = strlen(w);
	return t->kind == X_WORD && (size_t)(t->end - t->p) == n && !strncasecmp(t->p, w, n);
}

static int is_punct(const xtok *t, char c)
{
	return t->kind == X_PUNCT && *t->p == c;
}

/* Past the bracket that closes the one at @p (@open ... @close), or NULL when it is not
 * closed; with @braces_end, also NULL at a '{' or '}' on the way (for parentheses). */
static const char *bracket_end(const char *p, char open, char close, int braces_end)
{
	int depth = 0;
	xtok t;
	for (t = next(p); t.kind != X_END; t = next(t.end)) {
		if (is_punct(&t, open))
			depth++;
		else if (is_punct(&t, close) && --depth == 0)
			return t.end;
		else if (braces_end && (is_punct(&t, '{') || is_punct(&t, '}')))
			return NULL;
	}
	return NULL;
}

/* Past the group whose '{' is at @p, or NULL when it is not closed. */
static const char *group_end(const char *p)
{
	return bracket_end(p, '{', '}', 0);
}

/* ---- the rewrite ---- */

/* A replacement of [from, to) by text; applied in the order of from when the scan ends,
 * since a group's markers may go into a group written before the FILTER that needs them. */
typedef struct {
	const char *from, *to;
	char *text;
	size_t seq; /* edits at the same place apply in the order they were made */
} edit;

typedef struct {
	const char *text;
	edit *edits;
	size_t nedits, cap;
	kgr__neg_set *set;
	int error;
	int depth; /* of group(): each nested group is a call */
} rw;

typedef struct {
	const char *p;
	size_t n;
} span;

/* The variables of a group's triple patterns, the patterns made for it, and what it holds. */
typedef struct grp_s {
	span vars[256];
	size_t nvars;
	int made[64];
	size_t nmade;
	int plain, optional, last_dot;
	const char *first; /* the first EXISTS or MINUS of the group, for an error */
	const char *close; /* its '}' */
	/* a group whose only part is one nested group (or a sub-SELECT * of one group, with no
	 * modifier): that group, where the markers of its FILTERs can go */
	int nchildren, others, select_state;
	struct grp_s *inner;
} grp;

static void position(const char *text, const char *at, int *line, int *col)
{
	const char *p;
	*line = 1;
	*col = 1;
	for (p = text; p < at && *p; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int refuse(rw *w, const char *at, const char *what, const char *hint)
{
	int line, col;
	if (w->error)
		return w->error;
	position(w->text, at, &line, &col);
	w->error = kgr__error_set(KGR_EUNSUPPORTED, "SPARQL %s at line %d, column %d is not supported "
		"by kgrec: %s (docs/SPARQL.md, \"EXISTS and MINUS\")", what, line, col, hint);
	return w->error;
}

/* Writes @p with instead of [from, to), keeping its newlines so that rasqal's line numbers
 * still hold. */
static void replace(rw *w, const char *from, const char *to, const char *with)
{
	kgr__buf b = { 0 };
	const char *p;
	edit *e;
	kgr__buf_puts(&b, with);
	for (p = from; p < to; p++)
		if (*p == '\n')
			kgr__buf_puts(&b, "\n");
	if (w->nedits == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		edit *v = realloc(w->edits, cap * sizeof(*v));
		if (!v) {
			kgr__buf_free(&b);
			w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
			return;
		}
		w->edits = v;
		w->cap = cap;
	}
	e = &w->edits[w->nedits];
	if (!(e->text = kgr__buf_take(&b))) {
		w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
		return;
	}
	e->from = from;
	e->to = to;
	e->seq = w->nedits++;
}

static int edit_cmp(const void *a, const void *b)
{
	const edit *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The text with the edits applied; NULL when out of memory. */
static char *apply_edits(rw *w)
{
	kgr__buf out = { 0 };
	const char *copied = w->text;
	size_t i;
	qsort(w->edits, w->nedits, sizeof(*w->edits), edit_cmp);
	for (i = 0; i < w->nedits; i++) {
		kgr__buf_put(&out, copied, (size_t)(w->edits[i].from - copied));
		kgr__buf_puts(&out, w->edits[i].text);
		copied = w->edits[i].to;
	}
	kgr__buf_puts(&out, copied);
	return kgr__buf_take(&out);
}

static void free_edits(rw *w)
{
	size_t i;
	for (i = 0; i < w->nedits; i++)
		free(w->edits[i].text);
	free(w->edits);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* A new pattern for the group @p g; its index, or -1. */
static int make(rw *w, grp *g, int minus, const char *kw, const char *open, const char *close)
{
	kgr__neg *e;
	if (g->nmade == sizeof(g->made) / sizeof(g->made[0])) {
		refuse(w, kw, "EXISTS / MINUS", "more than 64 in one group; split the group");
		return -1;
	}
	if (w->set->n == w->set->cap) {
		size_t cap = w->set->cap ? w->set->cap * 2 : 8;
		kgr__neg *v = realloc(w->set->v, cap * sizeof(*v));
		if (!v) {
			w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
			return -1;
		}
		w->set->v = v;
		w->set->cap = cap;
	}
	e = &w->set->v[w->set->n];
	memset(e, 0, sizeof(*e));
	e->minus = minus;
	position(w->text, kw, &e->line, &e->col);
	{
		int c;
		position(w->text, open, &e->body_line, &c);
	}
	if (!(e->body = dup_n(open, (size_t)(close - open)))) {
		w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
		return -1;
	}
	g->made[g->nmade++] = (int)w->set->n;
	if (!g->first)
		g->first = kw;
	return (int)w->set->n++;
}

static int set_vars(rw *w, kgr__neg *e, const grp *g)
{
	size_t i;
	e->vars = calloc(g->nvars ? g->nvars : 1, sizeof(char *));
	if (!e->vars)
		return w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
	for (i = 0; i < g->nvars; i++) {
		if (!(e->vars[i] = dup_n(g->vars[i].p, g->vars[i].n)))
			return w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
		e->nvars++;
	}
	return 0;
}

static void add_var(grp *g, const xtok *t)
{
	size_t i, n = (size_t)(t->end - t->p - 1);
	for (i = 0; i < g->nvars; i++)
		if (g->vars[i].n == n && !memcmp(g->vars[i].p, t->p + 1, n))
			return;
	if (g->nvars < sizeof(g->vars) / sizeof(g->vars[0])) {
		g->vars[g->nvars].p = t->p + 1;
		g->vars[g->nvars++].n = n;
	} else {
		g->plain = 0; /* too many to follow: refused if it has EXISTS */
	}
}

/* [NOT] EXISTS { P } at @p t (the EXISTS or NOT token) inside a FILTER: replaced by the
 * marker variable. Returns the token after it. */
static xtok exists_expr(rw *w, grp *g, xtok t)
{
	const char *kw = t.p;
	int negated = is_kw(&t, "NOT");
	const char *close;
	char with[64];
	int idx;
	if (negated)
		t = next(t.end);
	t = next(t.end);
	if (!is_punct(&t, '{') || !(close = group_end(t.p)))
		return t; /* a syntax error: rasqal reports it */
	if ((idx = make(w, g, 0, kw, t.p, close)) < 0)
		return next(close);
	snprintf(with, sizeof(with), "(%s?" KGR__EXISTS_VAR "%d)", negated ? "!" : "", idx);
	replace(w, kw, close, with);
	return next(close);
}

static int is_exists_at(const xtok *t);

/* The expression of a FILTER, from the token after the keyword; the token after it. */
static xtok filter_expr(rw *w, grp *g, xtok t)
{
	int depth = 0;
	if (is_exists_at(&t))
		return exists_expr(w, g, t);
	if (t.kind == X_WORD || t.kind == X_IRI)
		t = next(t.end); /* a function call: FILTER regex(...) */
	if (!is_punct(&t, '('))
		return t;
	for (; t.kind != X_END && !w->error; ) {
		if (is_punct(&t, '('))
			depth++;
		else if (is_punct(&t, ')') && --depth == 0)
			return next(t.end);
		if (is_exists_at(&t))
			t = exists_expr(w, g, t);
		else if (is_punct(&t, '{'))
			return t; /* a syntax error: rasqal reports it */
		else
			t = next(t.end);
	}
	return t;
}

static xtok group(rw *w, xtok open, int optional, grp **keep);

/* MINUS { P } at @p t: replaced by a FILTER on the marker variable; the variables before it
 * are those it compares (SPARQL 1.1, 18.2.2.6: the group so far is its left side). */
static xtok minus(rw *w, grp *g, xtok t)
{
	const char *kw = t.p, *close;
	char with[64];
	int idx;
	t = next(t.end);
	if (!is_punct(&t, '{') || !(close = group_end(t.p)))
		return t;
	if ((idx = make(w, g, 1, kw, t.p, close)) < 0 || set_vars(w, &w->set->v[idx], g))
		return next(close);
	snprintf(with, sizeof(with), "FILTER(!?" KGR__EXISTS_VAR "%d)", idx);
	replace(w, kw, close, with);
	g->last_dot = 0;
	return next(close);
}

static size_t var_count(const char *text, const char *name, size_t n)
{
	size_t count = 0;
	xtok t;
	for (t = next(text); t.kind != X_END; t = next(t.end))
		count += t.kind == X_VAR && (size_t)(t.end - t.p - 1) == n && !memcmp(t.p + 1, name, n);
	return count;
}

static int is_minus_at(const char *p)
{
	return !strncasecmp(p, "MINUS", 5);
}

/* 1 when @p body has a variable that no triple pattern of @p g has and that the query also
 * writes elsewhere (a variable only P has cannot come from outside). */
static int outside_var(const rw *w, const char *body, const grp *g)
{
	xtok t;
	for (t = next(body); t.kind != X_END; t = next(t.end)) {
		size_t j, n = (size_t)(t.end - t.p - 1);
		int known = 0;
		if (t.kind != X_VAR)
			continue;
		for (j = 0; j < g->nvars; j++)
			known |= g->vars[j].n == n && !memcmp(g->vars[j].p, t.p + 1, n);
		if (!known && var_count(w->text, t.p + 1, n) > var_count(body, t.p + 1, n))
			return 1;
	}
	return 0;
}

/* Where the markers of a group's FILTERs can go: the group itself when it is plain, else
 * its only part when that is a plain group or a SELECT * of one (no modifier: its solutions
 * are that group's), with nothing beside it but FILTERs (no MINUS: its left side would be
 * what comes before it). NULL when there is no such place. */
static grp *marker_place(const rw *w, grp *g)
{
	grp *c = g->inner;
	size_t k;
	if (g->plain)
		return g;
	if (g->nchildren != 1 || g->others || !c)
		return NULL;
	for (k = 0; k < g->nmade; k++)
		if (w->set->v[g->made[k]].minus)
			return NULL;
	if (c->plain)
		return c;
	if (c->select_state == 3 && c->nchildren == 1 && c->inner && c->inner->plain)
		return c->inner;
	return NULL;
}

/* The marker patterns at the end of the group where they can go, or the refusal of a group
 * that has none. */
static void group_close(rw *w, grp *g)
{
	size_t k;
	kgr__buf m = { 0 };
	grp *at = marker_place(w, g);
	if (!g->nmade || w->error)
		return;
	if (!at) {
		refuse(w, g->first, is_minus_at(g->first) ? "MINUS" : "EXISTS", "its group also holds OPTIONAL, UNION, GRAPH, "
			"BIND, VALUES, a sub-SELECT or a nested group; kgrec evaluates it only beside triple "
			"patterns and FILTERs. Write those triple patterns and the FILTER or MINUS in a group "
			"of their own, { { ?s ?p ?o FILTER NOT EXISTS { ... } } OPTIONAL { ... } }, when the "
			"pattern does not test the other parts' variables, or use OPTIONAL { ... } "
			"FILTER(!BOUND(?v)) where that means the same");
		return;
	}
	for (k = 0; k < g->nmade; k++) {
		kgr__neg *e = &w->set->v[g->made[k]];
		if (!e->minus && set_vars(w, e, at))
			return;
		/* a FILTER of OPTIONAL { } also sees the solution it extends, which the marker
		 * cannot: there only a pattern over the group's own variables is right */
		if (g->optional && !e->minus && outside_var(w, e->body, at)) {
			refuse(w, g->first, "EXISTS inside OPTIONAL", "its pattern has a variable that the "
				"OPTIONAL group's triple patterns do not bind, which may come from the solution "
				"the OPTIONAL extends; move the FILTER out of the OPTIONAL");
			return;
		}
		kgr__buf_printf(&m, "%s<" KGR__EXISTS_IRI "%d> <" KGR__EXISTS_IRI "%d> ?" KGR__EXISTS_VAR "%d",
			k || at->last_dot ? " " : " . ", g->made[k], g->made[k], g->made[k]);
		kgr__buf_puts(&m, " .");
	}
	kgr__buf_puts(&m, " ");
	at->last_dot = 1; /* the next markers there follow these */
	if (m.oom) {
		kgr__buf_free(&m);
		w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
		return;
	}
	replace(w, at->close, at->close, m.s);
	kgr__buf_free(&m);
}

static void free_grp(grp *g)
{
	if (g) {
		free_grp(g->inner);
		free(g);
	}
}

/* Follows the form SELECT * [WHERE] { ... } } of a sub-SELECT without modifiers:
 * select_state 3 at its end when that is all the group holds, -1 once it is not. */
static void select_form(grp *g, const xtok *t, int child)
{
	if (g->select_state < 0)
		return;
	if (child)
		g->select_state = g->select_state == 2 ? 3 : -1;
	else if (g->select_state == 0 && is_kw(t, "SELECT"))
		g->select_state = 1;
	else if (g->select_state == 1 && is_punct(t, '*'))
		g->select_state = 2;
	else if (!(g->select_state == 2 && is_kw(t, "WHERE")))
		g->select_state = -1;
}

static int is_exists_at(const xtok *t)
{
	xtok n;
	if (is_kw(t, "EXISTS"))
		return 1;
	if (!is_kw(t, "NOT"))
		return 0;
	n = next(t->end);
	return is_kw(&n, "EXISTS");
}

static int splits_group(const xtok *t)
{
	static const char *const words[] = { "OPTIONAL", "UNION", "GRAPH", "BIND", "VALUES", "SERVICE",
		"SELECT", NULL };
	size_t i;
	for (i = 0; words[i]; i++)
		if (is_kw(t, words[i]))
			return 1;
	return 0;
}

/* The group whose '{' is @p open, nested groups first; the token after its '}'. With
 * @p keep, the group's record goes there (the caller frees it with free_grp()). */
static xtok group(rw *w, xtok open, int optional, grp **keep)
{
	grp *g;
	xtok t = next(open.end);
	int next_optional = 0;
	if (w->depth >= MAX_DEPTH) {
		refuse(w, open.p, "group", "nested more than " KGR__STR(MAX_DEPTH) " deep in a query with "
			"EXISTS or MINUS");
		return t;
	}
	if (!(g = calloc(1, sizeof(*g)))) {
		w->error = kgr__error_set(KGR_ENOMEM, "out of memory");
		return t;
	}
	g->plain = 1;
	g->optional = optional;
	while (t.kind != X_END && !w->error) {
		if (is_punct(&t, '}')) {
			g->close = t.p;
			group_close(w, g);
			if (keep)
				*keep = g;
			else
				free_grp(g);
			return next(t.end);
		}
		if (is_punct(&t, '{')) {
			grp *c = NULL;
			g->plain = 0;
			w->depth++;
			t = group(w, t, next_optional, &c);
			w->depth--;
			if (++g->nchildren == 1)
				g->inner = c;
			else
				free_grp(c);
			select_form(g, &t, 1);
			next_optional = g->last_dot = 0;
			continue;
		}
		select_form(g, &t, 0);
		next_optional = is_kw(&t, "OPTIONAL");
		if (is_kw(&t, "FILTER")) {
			t = filter_expr(w, g, next(t.end));
			g->last_dot = 0;
			continue;
		}
		if (is_kw(&t, "MINUS")) {
			t = minus(w, g, t);
			continue;
		}
		if (is_exists_at(&t)) {
			refuse(w, t.p, "EXISTS", "outside a FILTER (BIND, SELECT, HAVING, ORDER BY) kgrec "
				"does not evaluate it; test it in a FILTER of the group instead");
			break;
		}
		if (splits_group(&t))
			g->plain = 0;
		if (t.kind == X_VAR)
			add_var(g, &t);
		g->others += !is_punct(&t, '.');
		g->last_dot = is_punct(&t, '.');
		t = next(t.end);
	}
	free_grp(g);
	return t;
}

int kgr__neg_contains(const char *text, const char *w)
{
	size_t n = strlen(w);
	for (; *text; text++)
		if (!strncasecmp(text, w, n))
			return 1;
	return 0;
}

static int is_query_word(const xtok *t)
{
	return is_kw(t, "SELECT") || is_kw(t, "ASK") || is_kw(t, "CONSTRUCT") || is_kw(t, "DESCRIBE");
}

/* Keeps the PREFIX and BASE declarations, which the patterns run on their own need. */
static int keep_prologue(kgr__neg_set *set, const char *text, const char *end)
{
	if (set->prologue)
		return 0;
	if (!(set->prologue = dup_n(text, (size_t)(end - text))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

int kgr__sparql_negation_rewrite(char **out, kgr__neg_set *set, const char *text)
{
	rw w;
	xtok t;
	size_t before = set->n;
	int seen_query = 0;
	*out = NULL;
	if (!kgr__neg_contains(text, "EXISTS") && !kgr__neg_contains(text, "MINUS"))
		return 0;
	/* a query that writes the markers itself was refused before (kgr__sparql_check_reserved) */
	memset(&w, 0, sizeof(w));
	w.text = text;
	w.set = set;
	for (t = next(text); t.kind != X_END && !w.error;) {
		if (!seen_query && is_query_word(&t)) {
			seen_query = 1;
			w.error = keep_prologue(set, text, t.p);
		}
		if (is_punct(&t, '{')) {
			t = group(&w, t, 0, NULL);
			continue;
		}
		if (is_exists_at(&t) || is_kw(&t, "MINUS")) {
			refuse(&w, t.p, is_kw(&t, "MINUS") ? "MINUS" : "EXISTS", is_kw(&t, "MINUS") ?
				"outside a group" : "outside a FILTER (BIND, SELECT, HAVING, ORDER BY) kgrec does "
				"not evaluate it; test it in a FILTER of the group instead");
			break;
		}
		t = next(t.end);
	}
	if (!w.error && !seen_query)
		w.error = keep_prologue(set, text, text);
	if (!w.error && set->n != before && !(*out = apply_edits(&w)))
		w.error = kgr__error_set(KGR_ENOMEM, "out of memory");
	free_edits(&w);
	return w.error;
}

void kgr__neg_set_free(kgr__neg_set *set)
{
	size_t i, j;
	for (i = 0; i < set->n; i++) {
		for (j = 0; j < set->v[i].nvars; j++)
			free(set->v[i].vars[j]);
		free(set->v[i].vars);
		free(set->v[i].body);
		free(set->v[i].rows);
	}
	free(set->v);
	free(set->prologue);
	memset(set, 0, sizeof(*set));
}

int kgr__neg_lookup(const kgr__neg_set *set, const char *iri)
{
	size_t n = strlen(KGR__EXISTS_IRI);
	char *end;
	long i;
	if (!set->n || strncmp(iri, KGR__EXISTS_IRI, n) || !isdigit((unsigned char)iri[n]))
		return -1;
	i = strtol(iri + n, &end, 10);
	return *end || i < 0 || (size_t)i >= set->n ? -1 : (int)i;
}

static int var_is(const xtok *t, const char *name)
{
	size_t n = strlen(name);
	return t->kind == X_VAR && (size_t)(t->end - t->p - 1) == n && !memcmp(t->p + 1, name, n);
}

void kgr__neg_substitute(kgr__buf *out, const char *body, char *const *names,
	char *const *texts, size_t n)
{
	const char *copied = body;
	xtok t;
	size_t i;
	for (t = next(body); t.kind != X_END; t = next(t.end)) {
		for (i = 0; i < n && !var_is(&t, names[i]); i++)
			;
		if (i == n || !texts[i])
			continue;
		kgr__buf_put(out, copied, (size_t)(t.p - copied));
		kgr__buf_puts(out, texts[i]);
		copied = t.end;
	}
	kgr__buf_puts(out, copied);
}

int kgr__neg_mentions(const char *body, const char *name)
{
	xtok t;
	for (t = next(body); t.kind != X_END; t = next(t.end))
		if (var_is(&t, name))
			return 1;
	return 0;
}

/* ---- OPTIONAL { P } FILTER(!BOUND(?v)) as FILTER NOT EXISTS { P } ---- */

/* Past the ')' that closes the '(' at @p, or NULL. */
static const char *paren_end(const char *p)
{
	return bracket_end(p, '(', ')', 1);
}

static int same_var(const xtok *a, const xtok *b)
{
	return a->kind == X_VAR && b->kind == X_VAR && a->end - a->p == b->end - b->p &&
		!memcmp(a->p + 1, b->p + 1, (size_t)(a->end - a->p - 1));
}

/* Uses of variable @v in [p, end). */
static size_t uses(const char *p, const char *end, const xtok *v)
{
	size_t n = 0;
	xtok t;
	for (t = next(p); t.kind != X_END && t.p < end; t = next(t.end))
		n += same_var(&t, v);
	return n;
}

typedef struct {
	const char *open, *close;            /* the group's braces */
	const char *opt, *body, *body_end;   /* OPTIONAL, its '{' and past its '}' */
	const char *fkw[32], *filters[32], *fends[32]; /* each FILTER ( ... ): FILTER, its '(' and past its ')' */
	size_t nfilters;
} aj_group;

/* Reads the group at @open: 1 when it holds triple patterns, FILTERs and one OPTIONAL whose
 * group holds triple patterns alone. */
static int aj_read(aj_group *g, const char *open)
{
	xtok t;
	memset(g, 0, sizeof(*g));
	g->open = open;
	for (t = next(open + 1); t.kind != X_END && !is_punct(&t, '}'); t = next(t.end)) {
		if (is_kw(&t, "OPTIONAL")) {
			xtok b = next(t.end), u;
			if (g->opt || !is_punct(&b, '{') || !(g->body_end = group_end(b.p)))
				return 0;
			/* triple patterns alone: no FILTER, no keyword that splits a group, no group */
			for (u = next(b.end); u.p < g->body_end - 1; u = next(u.end))
				if (u.kind == X_END || is_punct(&u, '{') || splits_group(&u) || is_kw(&u, "FILTER"))
					return 0;
			g->opt = t.p;
			g->body = b.p;
			t.end = g->body_end;
		} else if (is_kw(&t, "FILTER")) {
			xtok e = next(t.end);
			const char *pe;
			if (!is_punct(&e, '(') || !(pe = paren_end(e.p)) || g->nfilters == 32)
				return 0;
			g->fkw[g->nfilters] = t.p;
			g->filters[g->nfilters] = e.p;
			g->fends[g->nfilters++] = pe;
			t.end = pe;
		} else if (is_punct(&t, '{') || splits_group(&t)) {
			return 0; /* a nested group, a MINUS's, a second OPTIONAL, UNION, BIND, ... */
		}
	}
	g->close = t.p;
	return g->opt && is_punct(&t, '}');
}

/* In the FILTER at @kw, whose parentheses are [f, fe): a conjunct "!BOUND(?v)" of the '&&'
 * chain at its top level, with ?v written in the OPTIONAL's group; [*from, *to) is what to
 * blank out (the conjunct and one '&&' beside it, or the whole FILTER). 0 when there is none. */
static int aj_conjunct(const aj_group *g, const char *kw, const char *f, const char *fe, xtok *v,
	const char **from, const char **to)
{
	const char *cs[64], *ce[64]; /* the conjuncts: first token, past the last */
	size_t n = 0, i;
	int depth = 0;
	xtok t, last = { X_END, NULL, NULL };
	cs[0] = NULL;
	for (t = next(f + 1); t.p < fe - 1; t = next(t.end)) {
		if (depth == 0 && (is_punct(&t, '|') || is_punct(&t, '&'))) {
			xtok t2 = next(t.end);
			if (is_punct(&t, '|') || !is_punct(&t2, '&') || !cs[n] || n == 63)
				return 0;
			ce[n++] = last.end;
			cs[n] = NULL;
			t.end = t2.end;
			continue;
		}
		depth += is_punct(&t, '(') - is_punct(&t, ')');
		if (!cs[n])
			cs[n] = t.p;
		last = t;
	}
	if (!cs[n])
		return 0;
	ce[n++] = last.end;
	for (i = 0; i < n; i++) {
		xtok a = next(cs[i]), b = next(a.end), c = next(b.end), d = next(c.end), e = next(d.end);
		if (!is_punct(&a, '!') || !is_kw(&b, "BOUND") || !is_punct(&c, '(') || d.kind != X_VAR ||
			!is_punct(&e, ')') || e.end != ce[i] || !uses(g->body, g->body_end, &d))
			continue;
		*v = d;
		if (n == 1) {
			*from = kw;
			*to = fe;
		} else if (i > 0) {
			*from = ce[i - 1];
			*to = ce[i];
		} else {
			*from = cs[0];
			*to = cs[1];
		}
		return 1;
	}
	return 0;
}

/* Whether every variable of the OPTIONAL's group that its group's patterns do not also bind
 * is written nowhere else in the query (@v once more, in the FILTER). */
static int aj_vars_local(const char *text, const aj_group *g, const xtok *v)
{
	xtok t;
	for (t = next(g->body + 1); t.p < g->body_end - 1; t = next(t.end)) {
		size_t in_body, in_group, all;
		if (t.kind != X_VAR)
			continue;
		in_body = uses(g->body, g->body_end, &t);
		in_group = uses(g->open, g->close, &t);
		all = uses(text, text + strlen(text), &t);
		if (in_group > in_body + (same_var(&t, v) ? 1 : 0))
			continue; /* bound by the group's own patterns (or used in its FILTERs) */
		if (all != in_body + (same_var(&t, v) ? 1 : 0))
			return 0;
	}
	return 1;
}

static int has_select_star(const char *text)
{
	xtok t, u;
	for (t = next(text); t.kind != X_END; t = next(t.end)) {
		if (!is_kw(&t, "SELECT"))
			continue;
		u = next(t.end);
		if (is_kw(&u, "DISTINCT") || is_kw(&u, "REDUCED"))
			u = next(u.end);
		if (is_punct(&u, '*'))
			return 1;
	}
	return 0;
}

/* Blank out [from, to) of @s (newlines kept, so lines and columns stay where they were). */
static void blank(char *s, const char *text, const char *from, const char *to)
{
	for (; from < to; from++)
		if (*from != '\n')
			s[from - text] = ' ';
}

char *kgr__sparql_antijoin_rewrite(const char *text, int *oom)
{
	xtok t;
	char *s = NULL;
	const char *opts[64];
	size_t nopts = 0, i, len = strlen(text);
	*oom = 0;
	if (!kgr__neg_contains(text, "OPTIONAL") || !kgr__neg_contains(text, "BOUND") || has_select_star(text))
		return NULL;
	for (t = next(text); t.kind != X_END && nopts < 64; t = next(t.end)) {
		aj_group g;
		size_t k;
		if (!is_punct(&t, '{') || !aj_read(&g, t.p))
			continue;
		for (k = 0; k < g.nfilters; k++) {
			const char *from, *to;
			xtok v;
			if (!aj_conjunct(&g, g.fkw[k], g.filters[k], g.fends[k], &v, &from, &to) ||
				!aj_vars_local(text, &g, &v))
				continue;
			if (!s && !(s = malloc(len + 1))) {
				*oom = 1;
				return NULL;
			}
			if (!nopts)
				memcpy(s, text, len + 1);
			blank(s, text, from, to);
			opts[nopts++] = g.opt;
			break;
		}
	}
	if (!nopts)
		return NULL;
	{
		/* "OPTIONAL" (8 bytes) becomes "FILTER NOT EXISTS" (17): one more pass with room */
		kgr__buf b = { 0 };
		const char *at = s;
		for (i = 0; i < nopts; i++) {
			const char *o = s + (opts[i] - text);
			kgr__buf_put(&b, at, (size_t)(o - at));
			kgr__buf_puts(&b, "FILTER NOT EXISTS");
			at = o + 8;
		}
		kgr__buf_puts(&b, at);
		free(s);
		if (!(s = kgr__buf_take(&b)))
			*oom = 1;
	}
	return s;
}
