/* SPARQL text that would reach a known memory error in rasqal 0.9.33, refused before rasqal
 * parses it.
 *
 * rasqal_expression_evaluate_concat() evaluates each argument, takes its string, frees the
 * argument's value and only then appends the string. A variable or a constant is a shared
 * value (freeing drops one reference), but a value computed for the call, such as STR(?o),
 * UCASE(?n), an arithmetic expression or a nested CONCAT, is freed for good: its string is
 * read after the free (a heap use-after-free under ASan, garbage bytes without it). So every
 * argument of CONCAT must be a variable or a constant; anything else is refused with the
 * rewrite that gives the same answer safely (BIND the inner value to a variable first).
 *
 * rasqal also reads LIMIT and OFFSET into an int: beyond 2147483647 the value wraps, and
 * OFFSET 4294967296 skipped nothing (measured). Such values are refused. */
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

static int word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == ':' || c >= 0x80;
}

/* Past an IRI at p ('<'), or NULL when the '<' is a comparison. */
static const char *skip_iri(const char *p)
{
	const char *q = p + 1;
	while (*q && *q != '>' && !isspace((unsigned char)*q) && *q != '<' && *q != '"')
		q++;
	return *q == '>' ? q + 1 : NULL;
}

/* Past one constant or variable token at p, or NULL when p does not start one. */
static const char *simple_term(const char *p)
{
	const char *q;
	if (*p == '?' || *p == '$') {
		for (q = p + 1; word_char((unsigned char)*q) && *q != ':'; q++)
			;
		return q > p + 1 ? q : NULL;
	}
	if (*p == '"' || *p == '\'') {
		if (!(q = kgr__sparql_skip_string(p)))
			return NULL;
		if (*q == '@') {
			for (q++; isalnum((unsigned char)*q) || *q == '-'; q++)
				;
		} else if (q[0] == '^' && q[1] == '^') {
			q += 2;
			if (*q == '<')
				return skip_iri(q);
			while (word_char((unsigned char)*q) || *q == '.' || *q == '-')
				q++;
		}
		return q;
	}
	if (*p == '<')
		return skip_iri(p);
	/* a number, a prefixed name, true / false */
	q = p;
	if (*q == '+' || *q == '-')
		q++;
	while (word_char((unsigned char)*q) || *q == '.' || *q == '-')
		q++;
	if (q == p || *q == '(')
		return NULL;
	return q;
}

/* Start of the argument list's end: the matching ')' of the '(' at p, skipping strings and
 * IRIs; NULL when not closed. Sets *bad to the first argument that is not simple. */
static const char *scan_args(const char *p, const char **bad, const char **bad_end)
{
	const char *arg = p + 1;
	int depth = 0;
	*bad = NULL;
	for (p = p + 1; *p; p++) {
		if (*p == '"' || *p == '\'') {
			const char *q = kgr__sparql_skip_string(p);
			if (!q)
				return NULL;
			p = q - 1;
			continue;
		}
		if (*p == '<') {
			const char *q = skip_iri(p);
			if (q)
				p = q - 1;
			continue;
		}
		if (*p == '(') {
			depth++;
			continue;
		}
		if (depth > 0 && *p == ')') {
			depth--;
			continue;
		}
		if (depth == 0 && (*p == ',' || *p == ')')) {
			const char *a = arg, *e = p, *t;
			while (a < e && isspace((unsigned char)*a))
				a++;
			while (e > a && isspace((unsigned char)e[-1]))
				e--;
			t = a < e ? simple_term(a) : a;
			if (!*bad && (!t || t != e)) {
				*bad = a;
				*bad_end = e;
			}
			if (*p == ')')
				return p;
			arg = p + 1;
		}
	}
	return NULL;
}

int kgr__sparql_check_concat(const char *text)
{
	const char *p = text;
	while (*p) {
		const char *q;
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			q = kgr__sparql_skip_string(p);
			if (!q)
				return 0; /* rasqal reports the unclosed string */
			p = q;
			continue;
		}
		if (*p == '<' && (q = skip_iri(p))) {
			p = q;
			continue;
		}
		if (!strncasecmp(p, "concat", 6) && (p == text || !word_char((unsigned char)p[-1])) &&
			!word_char((unsigned char)p[6])) {
			const char *open = p + 6, *bad = NULL, *bad_end = NULL, *s;
			int line = 1, col = 1;
			while (isspace((unsigned char)*open))
				open++;
			if (*open != '(' || !scan_args(open, &bad, &bad_end) || !bad) {
				p += 6;
				continue;
			}
			for (s = text; s < p; s++) {
				if (*s == '\n') {
					line++;
					col = 1;
				} else {
					col++;
				}
			}
			return kgr__error_set(KGR_EUNSUPPORTED,
				"SPARQL CONCAT at line %d, column %d: the argument '%.*s%s' is an expression; "
				"rasqal 0.9.33 reads such a value after freeing it, so CONCAT takes only "
				"variables and constants here: bind it first, e.g. BIND(STR(?o) AS ?s) ... "
				"CONCAT(?s, \"x\") (docs/SPARQL.md)",
				line, col, bad_end - bad > 40 ? 40 : (int)(bad_end - bad), bad,
				bad_end - bad > 40 ? "..." : "");
		}
		p++;
	}
	return 0;
}

/* Line and column of p in text. */
static void position(const char *text, const char *p, int *line, int *col)
{
	const char *s;
	*line = 1;
	*col = 1;
	for (s = text; s < p; s++) {
		if (*s == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int kgr__sparql_check_limits(const char *text)
{
	const char *p = text;
	while (*p) {
		const char *q;
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			if (!(q = kgr__sparql_skip_string(p)))
				return 0;
			p = q;
			continue;
		}
		if (*p == '<' && (q = skip_iri(p))) {
			p = q;
			continue;
		}
		if ((p == text || !word_char((unsigned char)p[-1])) &&
			((!strncasecmp(p, "limit", 5) && !word_char((unsigned char)p[5])) ||
				(!strncasecmp(p, "offset", 6) && !word_char((unsigned char)p[6])))) {
			int kw = (p[0] | 32) == 'l' ? 5 : 6, line, col;
			const char *d = p + kw, *e;
			size_t digits;
			while (isspace((unsigned char)*d))
				d++;
			for (e = d; *e == '0'; e++)
				;
			for (q = e; isdigit((unsigned char)*q); q++)
				;
			digits = (size_t)(q - e);
			if (q > d && (digits > 10 || (digits == 10 && strncmp(e, "2147483647", 10) > 0))) {
				position(text, p, &line, &col);
				return kgr__error_set(KGR_EINVALID,
					"SPARQL %s at line %d, column %d: %.*s is beyond %d, the largest value "
					"rasqal 0.9.33 reads%s", kw == 5 ? "LIMIT" : "OFFSET", line, col, (int)(q - d) > 40 ? 40 : (int)(q - d), d,
					INT_MAX, kw == 5 ? " (leave LIMIT out for no limit)" : "");
			}
			p += kw;
			continue;
		}
		p++;
	}
	return 0;
}
