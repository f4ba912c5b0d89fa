/* Property paths in the query text: found, parsed and replaced before rasqal 0.9.33, which
 * has none, parses the query.
 *
 * A small scanner walks the text token by token (strings, IRIs, comments and variables are
 * single tokens, so a '*' or '/' inside them is never seen) and keeps a stack of where it is:
 * the query's own clauses (SELECT expressions, CONSTRUCT template, solution modifiers, VALUES
 * data), a group graph pattern, a blank-node property list, a collection, or a FILTER / BIND
 * expression. Only at a verb position of a group, a property list or a sub-SELECT's pattern
 * is a path read: there '*', '/', '+', '?', '|', '^', '!' and '(' are path operators; in the
 * expressions they are arithmetic and left alone. A verb that is one IRI, 'a' or a variable
 * is left as written. Any other verb is parsed (SPARQL 1.1 grammar, productions [88]-[96])
 * with its IRIs resolved against the query's PREFIX and BASE declarations, stored in the
 * path set and replaced by the IRI KGR__PATH_IRI<n>; the newlines it spanned are kept so
 * rasqal's later line numbers still match the text as written. */
#include "sparql/sparql_path.h"
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#define MAX_FRAMES 128
#define MAX_PREFIXES 256

/* ---- the path set ---- */

void kgr__path_set_free(kgr__path_set *set)
{
	size_t i;
	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		free(set->nodes[i].iri);
	free(set->nodes);
	free(set->roots);
	free(set);
}

int kgr__path_lookup(const kgr__path_set *set, const char *iri)
{
	size_t n = strlen(KGR__PATH_IRI);
	char *end;
	unsigned long i;
	if (!set || strncmp(iri, KGR__PATH_IRI, n) || !isdigit((unsigned char)iri[n]))
		return -1;
	i = strtoul(iri + n, &end, 10);
	return *end || i >= set->nroots ? -1 : set->roots[i];
}

/* A new node (index), or -1 when out of memory; takes @p iri. */
static int node_new(kgr__path_set *set, kgr__path_op op, int a, int b, char *iri)
{
	kgr__path_node *nd;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		kgr__path_node *nodes = realloc(set->nodes, cap * sizeof(*nodes));
		if (!nodes) {
			free(iri);
			return -1;
		}
		set->nodes = nodes;
		set->cap = cap;
	}
	nd = &set->nodes[set->n];
	nd->op = op;
	nd->a = a;
	nd->b = b;
	nd->inverse = 0;
	nd->iri = iri;
	return (int)set->n++;
}

/* ---- tokens ---- */

typedef enum { T_END, T_IRI, T_PNAME, T_VAR, T_LIT, T_WORD, T_PUNCT } tkind;

typedef struct {
	tkind k;
	const char *p;
	size_t n;
} token;

static int name_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c == ':' || c >= 0x80;
}

static int name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '%' || c >= 0x80;
}

static const char *skip_ws(const char *p)
{
	for (;;) {
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (*p == '#') {
			while (*p && *p != '\n')
				p++;
		} else {
			return p;
		}
	}
}

/* Past an IRI reference starting at '<', or NULL when this '<' is a comparison. */
static const char *skip_iri(const char *p)
{
	const char *q = p + 1;
	while (*q && *q != '>' && !isspace((unsigned char)*q) && !strchr("<\"{}|^`", *q))
		q++;
	return *q == '>' ? q + 1 : NULL;
}

static const char *skip_name(const char *p)
{
	const char *q = p;
	while (name_char((unsigned char)*q) || (*q == '\\' && q[1]))
		q += *q == '\\' ? 2 : 1;
	while (q > p + 1 && q[-1] == '.')
		q--; /* a final '.' ends the triple */
	return q;
}

/* Past a number starting at a digit or '.', keeping a final '.' out of it. */
static const char *skip_number(const char *p)
{
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if ((*p == 'e' || *p == 'E') &&
		(isdigit((unsigned char)p[1]) || ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2]))))
		for (p += 2; isdigit((unsigned char)*p); p++)
			;
	return p;
}

/* Past a string literal and its language tag or datatype, or NULL when it is not closed. */
static const char *skip_literal(const char *p)
{
	const char *q = kgr__sparql_skip_string(p);
	if (!q)
		return NULL;
	if (*q == '@') {
		for (q++; isalnum((unsigned char)*q) || *q == '-'; q++)
			;
	} else if (q[0] == '^' && q[1] == '^') {
		q += 2;
		if (*q == '<') {
			const char *e = skip_iri(q);
			q = e ? e : q;
		} else if (name_start((unsigned char)*q)) {
			q = skip_name(q);
		}
	}
	return q;
}

/* The token at p (after white space and comments). */
static token next_token(const char *p)
{
	token t;
	const char *e;
	p = skip_ws(p);
	t.p = p;
	t.k = T_PUNCT;
	e = p + 1;
	if (!*p) {
		t.k = T_END;
		e = p;
	} else if (*p == '<' && (e = skip_iri(p))) {
		t.k = T_IRI;
	} else if (*p == '"' || *p == '\'') {
		e = skip_literal(p);
		t.k = e ? T_LIT : T_END;
		if (!e)
			e = p;
	} else if ((*p == '?' || *p == '$') && (isalnum((unsigned char)p[1]) || p[1] == '_' ||
						       (unsigned char)p[1] >= 0x80)) {
		for (e = p + 1; isalnum((unsigned char)*e) || *e == '_' || (unsigned char)*e >= 0x80; e++)
			;
		t.k = T_VAR;
	} else if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
		e = skip_number(p);
		t.k = T_LIT;
	} else if (name_start((unsigned char)*p)) {
		e = skip_name(p);
		t.k = memchr(p, ':', (size_t)(e - p)) ? T_PNAME : T_WORD;
	} else if (*p == '<') {
		e = p + 1;
	}
	t.n = (size_t)(e - p);
	return t;
}

static int is_punct(const token *t, char c)
{
	return t->k == T_PUNCT && *t->p == c;
}

static int is_word(const token *t, const char *w)
{
	return t->k == T_WORD && t->n == strlen(w) && !strncasecmp(t->p, w, t->n);
}

/* ---- the scanner's state ---- */

enum { F_QUERY, F_GROUP, F_BNODE, F_COLL, F_EXPR };
enum { S_SUBJ, S_VERB, S_OBJ, S_AFTER };

typedef struct {
	int kind, state;
	int depth;	     /* F_QUERY, F_EXPR: open parentheses */
	int sub;	     /* F_QUERY: a sub-SELECT, ended by the '}' of its group */
	int construct;	     /* F_QUERY: CONSTRUCT seen, its template not yet */
	int after_where;     /* F_QUERY: the last token was WHERE */
	int values;	     /* the next '{' opens VALUES data */
	int expect_name;     /* F_GROUP: after GRAPH / SERVICE, the next term is a name */
} frame;

typedef struct {
	char *name; /* without the ':' */
	char *iri;
} prefix;

typedef struct {
	const char *text;
	raptor_world *raptor;
	raptor_uri *base;
	prefix prefixes[MAX_PREFIXES];
	size_t nprefixes;
	kgr__path_set *set;
	kgr__buf out;
	const char *copied; /* text before this is in out */
	frame st[MAX_FRAMES];
	int top;
	int error;
} scanner;

static int error_at(scanner *sc, const char *at, const char *fmt, const char *arg, int argn)
{
	int line = 1, col = 1;
	const char *p;
	char msg[256];
	for (p = sc->text; p < at && *p; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(msg, sizeof(msg), fmt, argn, arg);
	sc->error = kgr__error_set(KGR_EPARSE, "SPARQL syntax error at line %d, column %d: %s", line,
		col, msg);
	return sc->error;
}

static int oom(scanner *sc)
{
	if (!sc->error)
		sc->error = kgr__error_set(KGR_ENOMEM, "out of memory while reading property paths");
	return sc->error;
}

static char *copy(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* The absolute IRI of @p rel (without its angle brackets) against the current base. */
static char *resolve(scanner *sc, const char *rel, size_t n)
{
	char *s = copy(rel, n), *abs = NULL;
	raptor_uri *u;
	if (!s)
		return NULL;
	u = raptor_new_uri_relative_to_base(sc->raptor, sc->base, (const unsigned char *)s);
	if (u) {
		abs = copy((const char *)raptor_uri_as_string(u), strlen((const char *)raptor_uri_as_string(u)));
		raptor_free_uri(u);
	}
	free(s);
	return abs;
}

/* PREFIX name: <iri> and BASE <iri> of the prologue; returns the position after them. */
static const char *declare(scanner *sc, const token *kw)
{
	token a = next_token(kw->p + kw->n), b;
	if (is_word(kw, "BASE")) {
		raptor_uri *u;
		char *s;
		if (a.k != T_IRI || !(s = copy(a.p + 1, a.n - 2)))
			return a.p;
		u = raptor_new_uri_relative_to_base(sc->raptor, sc->base, (const unsigned char *)s);
		free(s);
		if (u) {
			raptor_free_uri(sc->base);
			sc->base = u;
		}
		return a.p + a.n;
	}
	b = next_token(a.p + a.n);
	if (a.k != T_PNAME || a.p[a.n - 1] != ':' || b.k != T_IRI || sc->nprefixes == MAX_PREFIXES)
		return a.p;
	sc->prefixes[sc->nprefixes].name = copy(a.p, a.n - 1);
	sc->prefixes[sc->nprefixes].iri = resolve(sc, b.p + 1, b.n - 2);
	if (!sc->prefixes[sc->nprefixes].name || !sc->prefixes[sc->nprefixes].iri) {
		free(sc->prefixes[sc->nprefixes].name);
		free(sc->prefixes[sc->nprefixes].iri);
		oom(sc);
		return b.p + b.n;
	}
	sc->nprefixes++;
	return b.p + b.n;
}

/* The IRI of a prefixed name (local-name escapes removed); "" with *undeclared set to the
 * name when its prefix is not declared (an error only if the verb is a path: a plain verb is
 * left to rasqal's own message); NULL when out of memory. */
static char *expand(scanner *sc, const token *t, const char **undeclared)
{
	const char *colon = memchr(t->p, ':', t->n), *l;
	size_t plen = (size_t)(colon - t->p), i;
	kgr__buf b = { 0 };
	for (i = sc->nprefixes; i-- > 0;) {
		if (strlen(sc->prefixes[i].name) != plen || strncmp(sc->prefixes[i].name, t->p, plen))
			continue;
		kgr__buf_puts(&b, sc->prefixes[i].iri);
		for (l = colon + 1; l < t->p + t->n; l++) {
			if (*l == '\\' && l + 1 < t->p + t->n)
				l++;
			kgr__buf_put(&b, l, 1);
		}
		if (b.oom || !b.s) {
			kgr__buf_free(&b);
			if (!b.oom && (b.s = copy("", 0)))
				return b.s;
			oom(sc);
			return NULL;
		}
		return kgr__buf_take(&b);
	}
	if (!*undeclared)
		*undeclared = t->p;
	return copy("", 0);
}

/* ---- the path grammar ---- */

typedef struct {
	scanner *sc;
	token t;	     /* the next token */
	const char *end;     /* past the last token taken */
	int path;	     /* an operator was seen: errors are reported, not left to rasqal */
	const char *undeclared; /* the first prefixed name whose prefix is not declared */
} parser;

static void take(parser *ps)
{
	ps->end = ps->t.p + ps->t.n;
	ps->t = next_token(ps->end);
}

static int fail(parser *ps, const char *what)
{
	if (ps->path && !ps->sc->error) {
		if (ps->t.k == T_VAR && !strncmp(what, "expected an IRI", 15))
			error_at(ps->sc, ps->t.p, "the variable '%.*s' cannot be part of a property path "
				"(only IRIs and 'a' can)", ps->t.p, (int)ps->t.n);
		else if (ps->t.k == T_END)
			error_at(ps->sc, ps->t.p, "%.*s, found the end of the query", what, (int)strlen(what));
		else
			error_at(ps->sc, ps->t.p, "%.*s in the property path", what, (int)strlen(what));
	}
	return -1;
}

/* An IRI, a prefixed name or 'a' (taken), as an absolute IRI; NULL when the token is none. */
static char *iri_of(parser *ps)
{
	char *s = NULL;
	if (ps->t.k == T_IRI)
		s = resolve(ps->sc, ps->t.p + 1, ps->t.n - 2);
	else if (ps->t.k == T_PNAME && !(ps->t.p[0] == '_' && ps->t.p[1] == ':'))
		s = expand(ps->sc, &ps->t, &ps->undeclared);
	else if (ps->t.k == T_WORD && ps->t.n == 1 && *ps->t.p == 'a')
		s = copy(RDF_TYPE, strlen(RDF_TYPE));
	else
		return NULL;
	if (!s && !ps->sc->error)
		oom(ps->sc);
	if (s)
		take(ps);
	return s;
}

static int link_node(parser *ps, int inverse)
{
	char *iri = iri_of(ps);
	int n;
	if (!iri)
		return ps->sc->error ? -1 : fail(ps, "expected an IRI, a prefixed name or 'a'");
	if ((n = node_new(ps->sc->set, KGR__P_LINK, -1, -1, iri)) < 0)
		return oom(ps->sc), -1;
	ps->sc->set->nodes[n].inverse = inverse;
	return n;
}

/* PathNegatedPropertySet after '!': one member or a parenthesised list of them. */
static int nps(parser *ps)
{
	int head = -1, last = -1, n, m;
	int list = is_punct(&ps->t, '(');
	if (list)
		take(ps);
	while (!(list && is_punct(&ps->t, ')'))) {
		int inverse = is_punct(&ps->t, '^');
		if (inverse)
			take(ps);
		if ((m = link_node(ps, inverse)) < 0)
			return -1;
		if (last < 0)
			head = m;
		else
			ps->sc->set->nodes[last].b = m;
		last = m;
		if (!list)
			break;
		if (is_punct(&ps->t, '|'))
			take(ps);
		else if (!is_punct(&ps->t, ')'))
			return fail(ps, "expected '|' or ')'");
	}
	if (list)
		take(ps);
	if ((n = node_new(ps->sc->set, KGR__P_NPS, head, -1, NULL)) < 0)
		return oom(ps->sc), -1;
	return n;
}

static int alternative(parser *ps);

static int primary(parser *ps)
{
	int n;
	if (is_punct(&ps->t, '!')) {
		ps->path = 1;
		take(ps);
		return nps(ps);
	}
	if (is_punct(&ps->t, '(')) {
		ps->path = 1;
		take(ps);
		if ((n = alternative(ps)) < 0)
			return -1;
		if (!is_punct(&ps->t, ')'))
			return fail(ps, "expected ')'");
		take(ps);
		return n;
	}
	return link_node(ps, 0);
}

/* PathEltOrInverse: '^'? primary ('*' | '+' | '?')?  ('?' before a name is a variable). */
static int element(parser *ps)
{
	int inverse = is_punct(&ps->t, '^'), n;
	kgr__path_op op;
	if (inverse) {
		ps->path = 1;
		take(ps);
	}
	if ((n = primary(ps)) < 0)
		return -1;
	/* "+1" after a verb is a number (INTEGER_POSITIVE is the longer token) */
	if (is_punct(&ps->t, '*') || is_punct(&ps->t, '?') ||
		(is_punct(&ps->t, '+') && !isdigit((unsigned char)ps->t.p[1]) && ps->t.p[1] != '.')) {
		op = *ps->t.p == '*' ? KGR__P_STAR : *ps->t.p == '+' ? KGR__P_PLUS : KGR__P_OPT;
		ps->path = 1;
		take(ps);
		if ((n = node_new(ps->sc->set, op, n, -1, NULL)) < 0)
			return oom(ps->sc), -1;
	}
	if (inverse && (n = node_new(ps->sc->set, KGR__P_INV, n, -1, NULL)) < 0)
		return oom(ps->sc), -1;
	return n;
}

static int sequence(parser *ps)
{
	int n = element(ps), m;
	while (n >= 0 && is_punct(&ps->t, '/')) {
		ps->path = 1;
		take(ps);
		if ((m = element(ps)) < 0 || (n = node_new(ps->sc->set, KGR__P_SEQ, n, m, NULL)) < 0)
			return m < 0 ? -1 : (oom(ps->sc), -1);
	}
	return n;
}

static int alternative(parser *ps)
{
	int n = sequence(ps), m;
	while (n >= 0 && is_punct(&ps->t, '|')) {
		ps->path = 1;
		take(ps);
		if ((m = sequence(ps)) < 0 || (n = node_new(ps->sc->set, KGR__P_ALT, n, m, NULL)) < 0)
			return m < 0 ? -1 : (oom(ps->sc), -1);
	}
	return n;
}

/* The verb at @p t: left as written when it is one IRI or 'a', replaced by a path IRI (or by
 * the IRI of a parenthesised single IRI) otherwise. Returns the position after the verb;
 * on an error that is the path's own, sc->error is set. */
static const char *verb(scanner *sc, const token *t)
{
	parser ps;
	size_t mark = sc->set->n;
	int root;
	const char *nl;
	ps.sc = sc;
	ps.t = *t;
	ps.end = t->p;
	ps.path = 0;
	ps.undeclared = NULL;
	root = alternative(&ps);
	if (root >= 0 && is_punct(&ps.t, '{')) {
		static const char braces[] = "a path length in braces (p{2}, p{1,2}) is not SPARQL 1.1: "
					     "write p/p, or p/p? for one to two steps";
		error_at(sc, ps.t.p, "%.*s", braces, (int)strlen(braces));
		root = -1;
	}
	if (root >= 0 && ps.path && ps.undeclared) {
		const char *colon = strchr(ps.undeclared, ':');
		error_at(sc, ps.undeclared, "the prefix '%.*s:' is not declared", ps.undeclared,
			(int)(colon - ps.undeclared));
		root = -1;
	}
	if (root < 0 || (!ps.path && sc->set->nodes[root].op == KGR__P_LINK)) {
		while (sc->set->n > mark)
			free(sc->set->nodes[--sc->set->n].iri);
		return root < 0 && !sc->error ? t->p + t->n : ps.end;
	}
	if (sc->set->nroots == sc->set->cap_roots) {
		size_t cap = sc->set->cap_roots ? sc->set->cap_roots * 2 : 8;
		int *roots = realloc(sc->set->roots, cap * sizeof(*roots));
		if (!roots)
			return oom(sc), ps.end;
		sc->set->roots = roots;
		sc->set->cap_roots = cap;
	}
	kgr__buf_put(&sc->out, sc->copied, (size_t)(t->p - sc->copied));
	if (sc->set->nodes[root].op == KGR__P_LINK && !sc->set->nodes[root].inverse) {
		kgr__buf_printf(&sc->out, " <%s> ", sc->set->nodes[root].iri);
	} else {
		kgr__buf_printf(&sc->out, " <" KGR__PATH_IRI "%zu> ", sc->set->nroots);
		sc->set->roots[sc->set->nroots++] = root;
	}
	for (nl = t->p; nl < ps.end; nl++)
		if (*nl == '\n')
			kgr__buf_puts(&sc->out, "\n");
	sc->copied = ps.end;
	return ps.end;
}

/* ---- the scanner ---- */

static int push(scanner *sc, int kind, int state)
{
	frame *f;
	if (sc->top + 1 >= MAX_FRAMES)
		return -1;
	f = &sc->st[++sc->top];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->state = state;
	return 0;
}

/* A group ends; when it was the body of FILTER [NOT] EXISTS, the expression ends with it. */
static void pop(scanner *sc)
{
	int kind = sc->st[sc->top].kind;
	if (sc->top > 0)
		sc->top--;
	if (kind == F_GROUP && sc->top > 0 && sc->st[sc->top].kind == F_EXPR && sc->st[sc->top].depth == 0)
		sc->top--;
}

/* Past the '}' that closes the block whose '{' is just before @p p (VALUES data, a
 * CONSTRUCT template: no path there). */
static const char *skip_block(const char *p)
{
	int depth = 1;
	for (;;) {
		token t = next_token(p);
		if (t.k == T_END)
			return t.p;
		p = t.p + t.n;
		if (is_punct(&t, '{'))
			depth++;
		else if (is_punct(&t, '}') && --depth == 0)
			return p;
	}
}

/* The query's own clauses (top level or a sub-SELECT): the first '{' outside parentheses
 * opens the pattern, except a CONSTRUCT template and VALUES data. */
static const char *on_query(scanner *sc, const token *t)
{
	frame *f = &sc->st[sc->top];
	int after_where = f->after_where;
	const char *next = t->p + t->n;
	f->after_where = 0;
	if (t->k == T_WORD) {
		if (is_word(t, "CONSTRUCT"))
			f->construct = 1;
		else if (is_word(t, "WHERE"))
			f->after_where = 1;
		else if (is_word(t, "VALUES"))
			f->values = 1;
		else if (!f->sub && (is_word(t, "PREFIX") || is_word(t, "BASE")))
			return declare(sc, t);
	} else if (is_punct(t, '(')) {
		f->depth++;
	} else if (is_punct(t, ')')) {
		f->depth--;
	} else if (is_punct(t, '{')) {
		if (f->depth <= 0 && f->values) {
			f->values = 0;
			return skip_block(next);
		}
		if (f->depth <= 0 && f->construct && !after_where) {
			f->construct = 0;
			return skip_block(next);
		}
		f->construct = 0;
		return push(sc, F_GROUP, S_SUBJ) ? NULL : next;
	} else if (is_punct(t, '}') && f->sub) {
		pop(sc);
		return t->p; /* it closes the group that holds the sub-SELECT */
	}
	return next;
}

/* FILTER and BIND: skipped up to their closing parenthesis, except EXISTS groups. */
static const char *on_expr(scanner *sc, const token *t)
{
	frame *f = &sc->st[sc->top];
	if (is_punct(t, '(')) {
		f->depth++;
	} else if (is_punct(t, ')')) {
		if (--f->depth <= 0)
			pop(sc);
	} else if (is_punct(t, '{')) {
		return push(sc, F_GROUP, S_SUBJ) ? NULL : t->p + t->n;
	} else if (is_punct(t, '}') || is_punct(t, '.')) {
		pop(sc);
		return t->p;
	}
	return t->p + t->n;
}

/* A keyword where a triple could start; 1 when it was one. */
static int group_keyword(scanner *sc, frame *f, const token *t)
{
	if (is_word(t, "OPTIONAL") || is_word(t, "MINUS") || is_word(t, "UNION") || is_word(t, "SILENT")) {
		f->state = S_SUBJ;
	} else if (is_word(t, "GRAPH") || is_word(t, "SERVICE")) {
		f->state = S_SUBJ;
		f->expect_name = 1;
	} else if (is_word(t, "FILTER") || is_word(t, "BIND")) {
		f->state = S_SUBJ;
		if (push(sc, F_EXPR, 0))
			return -1;
	} else if (is_word(t, "VALUES")) {
		f->state = S_SUBJ;
		f->values = 1;
	} else if (is_word(t, "SELECT")) {
		f->state = S_SUBJ;
		if (push(sc, F_QUERY, 0))
			return -1;
		sc->st[sc->top].sub = 1;
	} else {
		return 0;
	}
	return 1;
}

/* A variable verb: a path operator after it is the grammar's error, said plainly. */
static const char *var_verb(scanner *sc, const token *t)
{
	token n = next_token(t->p + t->n);
	if (is_punct(&n, '/') || is_punct(&n, '|') || is_punct(&n, '*') || is_punct(&n, '?') ||
		(is_punct(&n, '+') && !isdigit((unsigned char)n.p[1]))) {
		error_at(sc, t->p, "the variable '%.*s' cannot be part of a property path "
			"(only IRIs and 'a' can)", t->p, (int)t->n);
		return NULL;
	}
	return t->p + t->n;
}

/* Triples of a group, a [ property list ] or a ( collection ). */
static const char *on_triples(scanner *sc, const token *t)
{
	frame *f = &sc->st[sc->top];
	const char *next = t->p + t->n;
	int k;
	if (f->state == S_VERB && f->kind != F_COLL) {
		if (t->k == T_VAR) {
			f->state = S_OBJ;
			return var_verb(sc, t);
		}
		if (t->k == T_IRI || t->k == T_PNAME || t->k == T_WORD || is_punct(t, '^') ||
			is_punct(t, '!') || is_punct(t, '(')) {
			f->state = S_OBJ;
			next = verb(sc, t);
			return sc->error ? NULL : next;
		}
	}
	if (t->k == T_PUNCT) {
		switch (*t->p) {
		case '{':
			f->state = S_SUBJ;
			if (f->values) {
				f->values = 0;
				return skip_block(next);
			}
			return push(sc, F_GROUP, S_SUBJ) ? NULL : next;
		case '}':
			pop(sc);
			return f->kind == F_GROUP ? next : t->p;
		case ']':
		case ')':
			if ((*t->p == ']') == (f->kind == F_BNODE) && f->kind != F_GROUP)
				pop(sc);
			return next;
		case '.':
			f->state = S_SUBJ;
			return next;
		case ';':
			f->state = S_VERB;
			return next;
		case ',':
			f->state = S_OBJ;
			return next;
		case '[':
		case '(':
			f->state = f->state == S_SUBJ ? S_VERB : S_AFTER;
			return push(sc, *t->p == '[' ? F_BNODE : F_COLL, *t->p == '[' ? S_VERB : S_OBJ) ? NULL : next;
		default:
			return next;
		}
	}
	if (f->kind == F_GROUP && (f->state == S_SUBJ || f->state == S_AFTER) &&
		(k = group_keyword(sc, f, t)) != 0)
		return k < 0 ? NULL : next;
	if (f->expect_name)
		f->expect_name = 0;
	else if (f->state == S_SUBJ)
		f->state = S_VERB;
	else if (f->state == S_OBJ)
		f->state = S_AFTER;
	return next;
}

/* The whole text, token by token; NULL from a handler ends the scan (an error, or nesting
 * too deep to follow: the rest is left as written). */
static void scan(scanner *sc)
{
	const char *p = sc->text;
	for (;;) {
		token t = next_token(p);
		const char *next;
		if (t.k == T_END)
			return;
		switch (sc->st[sc->top].kind) {
		case F_QUERY:
			next = on_query(sc, &t);
			break;
		case F_EXPR:
			next = on_expr(sc, &t);
			break;
		default:
			next = on_triples(sc, &t);
			break;
		}
		if (!next || sc->error)
			return;
		p = next;
	}
}

int kgr__sparql_paths_rewrite(char **out, kgr__path_set **paths, const char *text,
	raptor_world *raptor, const char *base_iri)
{
	scanner *sc;
	size_t i;
	int error = 0;
	*out = NULL;
	*paths = NULL;
	if (!strpbrk(text, "/|*+?^!("))
		return 0; /* no operator: nothing to do */
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return kgr__error_set(KGR_ENOMEM, "out of memory while reading property paths");
	sc->text = sc->copied = text;
	sc->raptor = raptor;
	sc->base = raptor_new_uri(raptor, (const unsigned char *)base_iri);
	sc->set = calloc(1, sizeof(*sc->set));
	if (!sc->base || !sc->set) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory while reading property paths");
		goto cleanup;
	}
	scan(sc);
	if ((error = sc->error))
		goto cleanup;
	if (sc->copied == text)
		goto cleanup; /* no verb was rewritten */
	/* a query that writes KGR__PATH_IRI itself was refused before (kgr__sparql_check_reserved) */
	kgr__buf_puts(&sc->out, sc->copied);
	if (!(*out = kgr__buf_take(&sc->out))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory while reading property paths");
		goto cleanup;
	}
	if (sc->set->nroots) {
		*paths = sc->set;
		sc->set = NULL;
	}
cleanup:
	for (i = 0; i < sc->nprefixes; i++) {
		free(sc->prefixes[i].name);
		free(sc->prefixes[i].iri);
	}
	if (sc->base)
		raptor_free_uri(sc->base);
	kgr__buf_free(&sc->out);
	kgr__path_set_free(sc->set);
	free(sc);
	return error;
}
