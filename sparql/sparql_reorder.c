/* Join order for rasqal. rasqal 0.9.33 evaluates the triple patterns of a group in the order
 * they are written, as nested loops: a pattern written first that matches 140,000 triples
 * makes a query 15 times slower than the same query with its 140-triple pattern first.
 *
 * This pass rewrites the text of each innermost group that holds only triple patterns and
 * FILTERs: it counts the matches of each pattern in the store (constants bound, variables
 * free: one binary search in the indexes), then writes the patterns most selective first,
 * each next one sharing a variable with those before it when possible (no cross products),
 * and the FILTERs after them (a FILTER applies to its whole group wherever it is written).
 * Anything it does not fully understand (nested groups, BIND, VALUES, property lists in
 * brackets, collections, escapes) is left as written. The caller parses the original text
 * first, so syntax errors are reported against what the user wrote. */
#include "sparql/sparql_exists.h"
#include "sparql/sparql_path.h"
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#define XSD "http://www.w3.org/2001/XMLSchema#"
#define MAX_PATTERNS 64
#define MAX_TOKENS (4 * MAX_PATTERNS)
#define MAX_PREFIXES 64

typedef enum { T_TERM, T_VAR, T_DOT, T_SEMI, T_COMMA, T_FILTER } tok_kind;

typedef struct {
	tok_kind kind;
	const char *p;
	size_t n;
} tok;

typedef struct {
	const char *name, *ns;
	size_t name_len, ns_len;
} prefix;

typedef struct {
	tok t[3];
	size_t count;
} pattern;

typedef struct {
	const kgr_store *store;
	prefix prefixes[MAX_PREFIXES];
	size_t nprefixes;
} ctx;

const char *kgr__sparql_skip_string(const char *p)
{
	char c = *p;
	int triple = p[1] == c && p[2] == c;
	p += triple ? 3 : 1;
	while (*p) {
		if (*p == '\\' && p[1]) {
			p += 2;
			continue;
		}
		if (*p == c && (!triple || (p[1] == c && p[2] == c)))
			return p + (triple ? 3 : 1);
		p++;
	}
	return NULL;
}

/* Past an IRI reference starting at '<', or NULL when this '<' is not one. */
static const char *skip_iri(const char *p)
{
	const char *q = p + 1;
	while (*q && *q != '>' && !isspace((unsigned char)*q) && *q != '<' && *q != '"' && *q != '{' &&
		*q != '}')
		q++;
	return *q == '>' ? q + 1 : NULL;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end) {
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
		} else {
			break;
		}
	}
	return p;
}

/* Past a balanced (...) starting at '('; NULL when unbalanced or a brace is inside. */
static const char *skip_parens(const char *p, const char *end)
{
	int depth = 0;
	while (p < end) {
		if (*p == '"' || *p == '\'') {
			p = kgr__sparql_skip_string(p);
			if (!p || p > end)
				return NULL;
			continue;
		}
		if (*p == '<') {
			const char *q = skip_iri(p);
			p = q && q <= end ? q : p + 1;
			continue;
		}
		if (*p == '{' || *p == '}')
			return NULL;
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == ':' || c == '.' ||
	       (unsigned char)c >= 0x80;
}

/* Tokens of a group body; returns the count, or -1 for anything this pass leaves alone. */
static int tokenize(const char *p, const char *end, tok *out, int max)
{
	int n = 0;
	for (;;) {
		const char *s;
		p = skip_space(p, end);
		if (p >= end)
			return n;
		if (n == max)
			return -1;
		s = p;
		if (*p == '.' || *p == ';' || *p == ',') {
			out[n].kind = *p == '.' ? T_DOT : *p == ';' ? T_SEMI : T_COMMA;
			p++;
		} else if (*p == '?' || *p == '$') {
			p++;
			while (p < end && (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80))
				p++;
			if (p == s + 1)
				return -1;
			out[n].kind = T_VAR;
		} else if (*p == '<') {
			p = skip_iri(p);
			if (!p || p > end)
				return -1;
			out[n].kind = T_TERM;
		} else if (*p == '"' || *p == '\'') {
			p = kgr__sparql_skip_string(p);
			if (!p || p > end)
				return -1;
			if (*p == '@') {
				p++;
				while (p < end && (isalnum((unsigned char)*p) || *p == '-'))
					p++;
			} else if (p[0] == '^' && p[1] == '^') {
				p += 2;
				if (*p == '<') {
					p = skip_iri(p);
					if (!p || p > end)
						return -1;
				} else {
					while (p < end && name_char(*p))
						p++;
					while (p[-1] == '.')
						p--;
				}
			}
			out[n].kind = T_TERM;
		} else if (isdigit((unsigned char)*p) || ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]))) {
			p++;
			while (p < end && isdigit((unsigned char)*p))
				p++;
			if (*p == '.' && isdigit((unsigned char)p[1])) {
				p++;
				while (p < end && isdigit((unsigned char)*p))
					p++;
			}
			if (*p == 'e' || *p == 'E') {
				p++;
				if (*p == '+' || *p == '-')
					p++;
				while (p < end && isdigit((unsigned char)*p))
					p++;
			}
			out[n].kind = T_TERM;
		} else if (isalpha((unsigned char)*p) || *p == ':' || *p == '_') {
			while (p < end && name_char(*p))
				p++;
			while (p[-1] == '.') /* a dot ending a name ends the triple */
				p--;
			if (memchr(s, ':', (size_t)(p - s))) {
				if (memchr(s, '\\', (size_t)(p - s)))
					return -1;
				out[n].kind = T_TERM; /* prefixed name or blank node label */
			} else if ((p - s == 1 && *s == 'a') || (p - s == 4 && !strncmp(s, "true", 4)) ||
				   (p - s == 5 && !strncmp(s, "false", 5))) {
				out[n].kind = T_TERM;
			} else if (p - s == 6 && !strncasecmp(s, "FILTER", 6)) {
				p = skip_space(p, end);
				if (*p != '(') { /* FILTER regex(...), FILTER bound(...) */
					while (p < end && name_char(*p))
						p++;
					p = skip_space(p, end);
				}
				if (*p != '(' || !(p = skip_parens(p, end)))
					return -1;
				out[n].kind = T_FILTER;
			} else {
				return -1; /* BIND, VALUES, OPTIONAL ...: left as written */
			}
		} else {
			return -1; /* [ ] property lists, ( ) collections, nested groups */
		}
		out[n].p = s;
		out[n].n = (size_t)(p - s);
		n++;
	}
}

/* Triple patterns and FILTERs of a token list; 0 on success, -1 when not plain triples. */
static int parse_patterns(const tok *t, int n, pattern *pats, size_t *npats, const tok **filters,
	size_t *nfilters)
{
	int i = 0;
	*npats = *nfilters = 0;
	while (i < n) {
		tok s, p;
		if (t[i].kind == T_FILTER) {
			filters[(*nfilters)++] = &t[i++];
			continue;
		}
		if (t[i].kind == T_DOT) { /* a stray '.' between blocks */
			i++;
			continue;
		}
		if (t[i].kind != T_TERM && t[i].kind != T_VAR)
			return -1;
		s = t[i++];
		for (;;) { /* predicate-object lists */
			if (i >= n || (t[i].kind != T_TERM && t[i].kind != T_VAR))
				return -1;
			p = t[i++];
			for (;;) { /* object lists */
				if (i >= n || (t[i].kind != T_TERM && t[i].kind != T_VAR))
					return -1;
				if (*npats == MAX_PATTERNS)
					return -1;
				pats[*npats].t[0] = s;
				pats[*npats].t[1] = p;
				pats[*npats].t[2] = t[i++];
				(*npats)++;
				if (i < n && t[i].kind == T_COMMA) {
					i++;
					continue;
				}
				break;
			}
			if (i < n && t[i].kind == T_SEMI) {
				while (i < n && t[i].kind == T_SEMI)
					i++;
				if (i >= n || t[i].kind == T_DOT || t[i].kind == T_FILTER)
					break;
				continue;
			}
			break;
		}
		if (i < n && t[i].kind == T_DOT)
			i++;
		else if (i < n && t[i].kind != T_FILTER)
			return -1;
	}
	return 0;
}

/* Store id of a constant term; 0 when the store lacks it; -1 (as kgr_id max) when this pass
 * cannot tell, so that the position is treated as free. */
#define UNKNOWN ((kgr_id)0xffffffffu)

static kgr_id iri_id(const ctx *c, const char *iri, size_t n)
{
	char buf[2048];
	if (n >= sizeof(buf))
		return UNKNOWN;
	memcpy(buf, iri, n);
	buf[n] = '\0';
	return kgr_store_iri(c->store, buf);
}

static kgr_id pname_id(const ctx *c, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t i, plen = (size_t)(colon - s);
	char buf[2048];
	if (!colon)
		return UNKNOWN;
	if (plen == 1 && s[0] == '_')
		return UNKNOWN; /* a blank node label */
	for (i = 0; i < c->nprefixes; i++) {
		const prefix *pf = &c->prefixes[i];
		if (pf->name_len == plen && !memcmp(pf->name, s, plen)) {
			size_t local = n - plen - 1;
			if (pf->ns_len + local >= sizeof(buf))
				return UNKNOWN;
			memcpy(buf, pf->ns, pf->ns_len);
			memcpy(buf + pf->ns_len, colon + 1, local);
			buf[pf->ns_len + local] = '\0';
			return kgr_store_iri(c->store, buf);
		}
	}
	return UNKNOWN;
}

static kgr_id term_id(const ctx *c, const tok *t)
{
	const char *s = t->p;
	size_t n = t->n;
	if (t->kind != T_TERM)
		return UNKNOWN;
	if (*s == '<') {
		size_t i;
		for (i = 1; i < n - 1 && (isalnum((unsigned char)s[i]) || strchr("+-.", s[i])); i++)
			;
		if (i == 1 || s[i] != ':')
			return UNKNOWN; /* relative IRI: depends on BASE */
		return iri_id(c, s + 1, n - 2);
	}
	if (n == 1 && *s == 'a')
		return kgr_store_iri(c->store, RDF_TYPE);
	if (*s == '"' || *s == '\'') {
		const char *close, *rest;
		char lang[64], dt[2048];
		const char *dtp = NULL, *langp = NULL;
		if (n >= 3 && s[1] == s[0] && s[2] == s[0])
			return UNKNOWN;
		close = memchr(s + 1, s[0], n - 1);
		if (!close || memchr(s, '\\', (size_t)(close - s)))
			return UNKNOWN;
		rest = close + 1;
		if (rest < s + n && *rest == '@') {
			size_t l = (size_t)(s + n - rest - 1);
			if (l >= sizeof(lang))
				return UNKNOWN;
			memcpy(lang, rest + 1, l);
			lang[l] = '\0';
			langp = lang;
		} else if (rest < s + n && *rest == '^') {
			tok d = { T_TERM, rest + 2, (size_t)(s + n - rest - 2) };
			kgr_id id = d.p[0] == '<' ? term_id(c, &d) : pname_id(c, d.p, d.n);
			size_t len = 0;
			const char *v;
			if (id == UNKNOWN)
				return UNKNOWN;
			if (!id)
				return 0;
			v = kgr_term_value(c->store, id, &len);
			if (!v || len >= sizeof(dt))
				return UNKNOWN;
			memcpy(dt, v, len);
			dt[len] = '\0';
			dtp = dt;
		}
		/* a plain literal and an xsd:string are the same term to kgr_store_literal() */
		return kgr_store_literal(c->store, s + 1, (size_t)(close - s - 1), langp, dtp);
	}
	if (isdigit((unsigned char)*s) || *s == '+' || *s == '-') {
		const char *dtp = memchr(s, 'e', n) || memchr(s, 'E', n) ? XSD "double" :
				  memchr(s, '.', n)			   ? XSD "decimal" :
										     XSD "integer";
		return kgr_store_literal(c->store, s, n, NULL, dtp);
	}
	if ((n == 4 && !strncmp(s, "true", 4)) || (n == 5 && !strncmp(s, "false", 5)))
		return kgr_store_literal(c->store, s, n, NULL, XSD "boolean");
	return pname_id(c, s, n);
}

/* 1 for a property path's stand-in IRI (sparql/sparql_path.c): the store has no such
 * predicate, yet the pattern can match many pairs. */
static int is_path(const tok *t)
{
	size_t n = strlen(KGR__PATH_IRI);
	return t->kind == T_TERM && t->n > n + 1 && t->p[0] == '<' && !strncmp(t->p + 1, KGR__PATH_IRI, n);
}

static size_t estimate(const ctx *c, const pattern *pt)
{
	kgr_id id[3];
	int i;
	size_t m = strlen(KGR__EXISTS_IRI);
	/* an EXISTS / MINUS marker must come after every pattern of its group */
	if (pt->t[1].kind == T_TERM && pt->t[1].n > m + 1 && !strncmp(pt->t[1].p + 1, KGR__EXISTS_IRI, m))
		return (size_t)-1;
	if (is_path(&pt->t[1])) {
		/* from a constant end, its triples; with both ends free, every node may start */
		kgr_id s = pt->t[0].kind == T_TERM ? term_id(c, &pt->t[0]) : UNKNOWN;
		kgr_id o = pt->t[2].kind == T_TERM ? term_id(c, &pt->t[2]) : UNKNOWN;
		if (s == UNKNOWN && o == UNKNOWN)
			return kgr_store_count(c->store, 0, 0, 0);
		return 1 + kgr_store_count(c->store, s == UNKNOWN ? 0 : s, 0, o == UNKNOWN ? 0 : o);
	}
	for (i = 0; i < 3; i++) {
		id[i] = term_id(c, &pt->t[i]);
		if (pt->t[i].kind == T_TERM && id[i] == 0)
			return 0; /* a constant the store lacks: nothing matches */
		if (id[i] == UNKNOWN)
			id[i] = 0;
	}
	return kgr_store_count(c->store, id[0], id[1], id[2]);
}

static int is_variable(const tok *t)
{
	return t->kind == T_VAR || (t->kind == T_TERM && t->n > 2 && t->p[0] == '_' && t->p[1] == ':');
}

static int same_tok(const tok *a, const tok *b)
{
	return a->n == b->n && !memcmp(a->p, b->p, a->n);
}

/* 1 when a pattern shares a variable with one of the chosen ones. */
static int connected(const pattern *pats, const int *order, size_t nchosen, const pattern *pt)
{
	size_t k;
	int i, j;
	for (k = 0; k < nchosen; k++)
		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++)
				if (is_variable(&pt->t[i]) && is_variable(&pats[order[k]].t[j]) &&
					same_tok(&pt->t[i], &pats[order[k]].t[j]))
					return 1;
	return 0;
}

/* The new body of a group, or 0 with *body NULL when its order stays as written. */
static int reorder_group(const ctx *c, const char *start, const char *end, char **body)
{
	tok toks[MAX_TOKENS];
	pattern pats[MAX_PATTERNS];
	const tok *filters[MAX_TOKENS];
	size_t npats, nfilters, cost[MAX_PATTERNS], k, i;
	kgr__buf b = { 0 };
	int order[MAX_PATTERNS], used[MAX_PATTERNS] = { 0 }, n, changed = 0;
	*body = NULL;
	n = tokenize(start, end, toks, MAX_TOKENS);
	if (n <= 0 || parse_patterns(toks, n, pats, &npats, filters, &nfilters) || npats < 2)
		return 0;
	for (i = 0; i < npats; i++)
		cost[i] = estimate(c, &pats[i]);
	for (k = 0; k < npats; k++) {
		int best = -1, best_conn = 0;
		for (i = 0; i < npats; i++) {
			int conn;
			if (used[i])
				continue;
			conn = k == 0 || connected(pats, order, k, &pats[i]);
			if (best < 0 || conn > best_conn || (conn == best_conn && cost[i] < cost[best])) {
				best = (int)i;
				best_conn = conn;
			}
		}
		order[k] = best;
		used[best] = 1;
		if ((size_t)best != k)
			changed = 1;
	}
	if (!changed)
		return 0;
	for (k = 0; k < npats; k++) {
		const pattern *pt = &pats[order[k]];
		for (i = 0; i < 3; i++) {
			kgr__buf_puts(&b, " ");
			kgr__buf_put(&b, pt->t[i].p, pt->t[i].n);
		}
		kgr__buf_puts(&b, " .");
	}
	for (k = 0; k < nfilters; k++) {
		kgr__buf_puts(&b, " ");
		kgr__buf_put(&b, filters[k]->p, filters[k]->n);
	}
	kgr__buf_puts(&b, " ");
	if (!(*body = kgr__buf_take(&b)))
		return KGR_ENOMEM;
	return 0;
}

/* PREFIX declarations of the prologue. */
static void read_prefixes(ctx *c, const char *text)
{
	const char *p = text;
	for (;;) {
		const char *name, *colon, *iri, *iri_end;
		p = skip_space(p, p + strlen(p));
		if (!strncasecmp(p, "BASE", 4) && !name_char(p[4])) {
			p = skip_space(p + 4, p + strlen(p));
			if (*p != '<' || !(p = skip_iri(p)))
				return;
			continue;
		}
		if (strncasecmp(p, "PREFIX", 6) || name_char(p[6]))
			return;
		name = skip_space(p + 6, p + strlen(p));
		colon = strchr(name, ':');
		if (!colon)
			return;
		iri = skip_space(colon + 1, colon + 1 + strlen(colon + 1));
		if (*iri != '<' || !(iri_end = skip_iri(iri)))
			return;
		if (c->nprefixes < MAX_PREFIXES) {
			prefix *pf = &c->prefixes[c->nprefixes++];
			pf->name = name;
			pf->name_len = (size_t)(colon - name);
			pf->ns = iri + 1;
			pf->ns_len = (size_t)(iri_end - iri - 2);
		}
		p = iri_end;
	}
}

/* What precedes a '{' decides whether its body is a graph pattern this pass may reorder. */
static int group_allowed(const char *text, const char *brace)
{
	const char *p = brace;
	while (p > text && isspace((unsigned char)p[-1]))
		p--;
	if (p == text)
		return 0;
	if (p[-1] == '{' || p[-1] == '}' || p[-1] == '.')
		return 1;
	if (p[-1] == ')')
		return 0; /* VALUES (?a ?b) { ... } */
	if (isalpha((unsigned char)p[-1])) {
		const char *w = p;
		while (w > text && isalpha((unsigned char)w[-1]))
			w--;
		return (p - w == 5 && !strncasecmp(w, "WHERE", 5)) || (p - w == 3 && !strncasecmp(w, "ASK", 3)) ||
		       (p - w == 8 && !strncasecmp(w, "OPTIONAL", 8)) ||
		       (p - w == 5 && !strncasecmp(w, "UNION", 5));
	}
	/* GRAPH ?g { or GRAPH <g> {; but not VALUES ?v { */
	{
		const char *w = p;
		while (w > text && !isspace((unsigned char)w[-1]))
			w--;
		while (w > text && isspace((unsigned char)w[-1]))
			w--;
		return w - text >= 5 && !strncasecmp(w - 5, "GRAPH", 5) &&
		       (w - text == 5 || !isalnum((unsigned char)w[-6]));
	}
}

char *kgr__sparql_reorder(const kgr_store *store, const char *text, int *oom)
{
	ctx c;
	const char *p = text, *open = NULL, *from = text;
	kgr__buf out = { 0 };
	*oom = 0;
	memset(&c, 0, sizeof(c));
	c.store = store;
	read_prefixes(&c, text);
	while (*p) {
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			const char *q = kgr__sparql_skip_string(p);
			if (!q)
				break;
			p = q;
			continue;
		}
		if (*p == '<') {
			const char *q = skip_iri(p);
			p = q ? q : p + 1;
			continue;
		}
		if (*p == '{') {
			open = p; /* the innermost group so far */
		} else if (*p == '}' && open) {
			char *body = NULL;
			if (group_allowed(text, open) && reorder_group(&c, open + 1, p, &body))
				goto nomem;
			if (body) {
				kgr__buf_put(&out, from, (size_t)(open + 1 - from));
				kgr__buf_puts(&out, body);
				free(body);
				if (out.oom)
					goto nomem;
				from = p;
			}
			open = NULL;
		} else if (*p == '}') {
			open = NULL;
		}
		p++;
	}
	if (!out.s)
		return NULL;
	kgr__buf_puts(&out, from);
	if (out.oom)
		goto nomem;
	return kgr__buf_take(&out);
nomem:
	kgr__buf_free(&out);
	*oom = 1;
	return NULL;
}
