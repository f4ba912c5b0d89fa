/* SPARQL regular expressions (XPath's, with the flags s, m, i, x, q) for rasqal 0.9.33,
 * which hands pattern and flags to POSIX regcomp(): there '.' also matches a line break,
 * "\n" inside [...] is a backslash and an 'n', and the flags s, m, x and q are refused or
 * ignored. Before rasqal parses a query, REGEX() and REPLACE() calls whose pattern and flags
 * are string literals get a POSIX pattern that means what the XPath one means, and only the
 * flag 'i', which rasqal passes on. A pattern this does not know how to write (\p{..}, class
 * subtraction, an escaped ']' in a class, ...) is left as written. */
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Declared in sparql/sparql_result.h. */
int kgr__sparql_string_value(kgr__buf *out, const char *p, const char *end)
{
	size_t q = (end - p >= 6 && (p[1] == p[0] && p[2] == p[0])) ? 3 : 1;
	const char *s = p + q, *e = end - q;
	if (*end == '@' || (end[0] == '^' && end[1] == '^'))
		return -1;
	while (s < e) {
		char c = *s++;
		if (c != '\\') {
			kgr__buf_put(out, &c, 1);
			continue;
		}
		switch (*s++) {
		case 't': c = '\t'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case '"': c = '"'; break;
		case '\'': c = '\''; break;
		case '\\': c = '\\'; break;
		default: return -1;
		}
		kgr__buf_put(out, &c, 1);
	}
	return 0;
}

/* Declared in sparql/sparql_result.h. */
void kgr__sparql_put_string(kgr__buf *out, const char *s)
{
	kgr__buf_puts(out, "\"");
	for (; *s; s++) {
		switch (*s) {
		case '"': kgr__buf_puts(out, "\\\""); break;
		case '\\': kgr__buf_puts(out, "\\\\"); break;
		case '\n': kgr__buf_puts(out, "\\n"); break;
		case '\r': kgr__buf_puts(out, "\\r"); break;
		case '\t': kgr__buf_puts(out, "\\t"); break;
		default: kgr__buf_put(out, s, 1);
		}
	}
	kgr__buf_puts(out, "\"");
}

/* One escape \c inside a character class, as POSIX bracket contents; -1 when it cannot be. */
static int class_escape(kgr__buf *out, char c)
{
	switch (c) {
	case 'n': kgr__buf_puts(out, "\n"); return 0;
	case 'r': kgr__buf_puts(out, "\r"); return 0;
	case 't': kgr__buf_puts(out, "\t"); return 0;
	case 'd': kgr__buf_puts(out, "0-9"); return 0;
	case 's': kgr__buf_puts(out, " \t\n\r"); return 0;
	case 'w': kgr__buf_puts(out, "[:alnum:]_"); return 0;
	case '\\': case '.': case '*': case '+': case '?': case '(': case ')': case '{': case '}':
	case '|': case '$':
		kgr__buf_put(out, &c, 1);
		return 0;
	default:
		return -1; /* ']', '-', '^', '[' need their place in a POSIX class; \p{..}, \D, ... */
	}
}

/* The POSIX extended pattern for XPath pattern @p re under flags s, m, x, q (@p in_replace:
 * m rewrites ^ and $ as alternatives that take the line break along, right for a match test
 * only). 0, or -1 when it cannot be written. */
static int translate(kgr__buf *out, const char *re, int s, int m, int x, int q, int in_replace)
{
	const char *p = re;
	if (q) {
		for (; *p; p++) {
			if (strchr(".[]()*+?{}|^$\\", *p))
				kgr__buf_puts(out, "\\");
			kgr__buf_put(out, p, 1);
		}
		return 0;
	}
	while (*p) {
		char c = *p++;
		if (x && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
			continue;
		if (c == '.') {
			kgr__buf_puts(out, s ? "." : "[^\n\r]");
		} else if (m && (c == '^' || c == '$')) {
			if (in_replace)
				return -1;
			kgr__buf_puts(out, c == '^' ? "(^|\n)" : "($|\n)");
		} else if (c == '\\') {
			char e = *p;
			if (!e)
				return -1; /* a trailing backslash: rasqal reports it */
			p++;
			switch (e) {
			case 'n': kgr__buf_puts(out, "\n"); break;
			case 'r': kgr__buf_puts(out, "\r"); break;
			case 't': kgr__buf_puts(out, "\t"); break;
			case 'd': kgr__buf_puts(out, "[0-9]"); break;
			case 'D': kgr__buf_puts(out, "[^0-9]"); break;
			case 's': kgr__buf_puts(out, "[ \t\n\r]"); break;
			case 'S': kgr__buf_puts(out, "[^ \t\n\r]"); break;
			case 'w': case 'W':
				kgr__buf_put(out, p - 2, 2); /* glibc's */
				break;
			default:
				if (!strchr(".[]()*+?{}|^$\\-", e))
					return -1;
				kgr__buf_put(out, p - 2, 2);
			}
		} else if (c == '[') {
			kgr__buf_puts(out, "[");
			if (*p == '^')
				kgr__buf_put(out, p++, 1);
			if (*p == ']')
				return -1;
			while (*p && *p != ']') {
				if (*p == '\\') {
					if (class_escape(out, p[1]))
						return -1;
					p += 2;
				} else if (*p == '[' || (*p == '-' && p[1] == '[')) {
					return -1; /* POSIX [: :] syntax, or XPath class subtraction */
				} else {
					kgr__buf_put(out, p++, 1);
				}
			}
			if (*p != ']')
				return -1;
			kgr__buf_put(out, p++, 1);
		} else {
			kgr__buf_put(out, &c, 1);
		}
	}
	return 0;
}

/* Declared in sparql/sparql_result.h. */
const char *kgr__sparql_arg_end(const char *p, char sep)
{
	int depth = 0;
	while (*p) {
		if (*p == '"' || *p == '\'' || *p == '<' || *p == '#') {
			p = kgr__sparql_skip_opaque(p);
			continue;
		}
		if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			if (depth == 0)
				return p;
			depth--;
		} else if (*p == sep && depth == 0) {
			return p;
		}
		p++;
	}
	return p;
}

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* A string literal token at p: its end, else NULL. */
static const char *string_token(const char *p)
{
	return *p == '"' || *p == '\'' ? kgr__sparql_skip_string(p) : NULL;
}

/* Rewrites one call whose name ends at p (REGEX: pattern is argument 2, flags 3; REPLACE:
 * pattern 2, flags 4). Appends the text from p up to the end of what it read to @p out and
 * returns the position after it (p itself when the call is left as written). */
static const char *rewrite_call(kgr__buf *out, const char *p, int replace)
{
	const char *a = skip_space(p), *pat, *pat_end, *fl = NULL, *fl_end = NULL, *q, *close;
	kgr__buf re = { 0 }, flags = { 0 }, posix = { 0 };
	int s = 0, m = 0, x = 0, qf = 0, i = 0, newlines = 0;
	const char *f;
	if (*a != '(')
		return p;
	q = kgr__sparql_arg_end(a + 1, ',');
	if (*q != ',')
		return p;
	pat = skip_space(q + 1);
	if (!(pat_end = string_token(pat)))
		return p;
	q = skip_space(pat_end);
	if (replace) {
		if (*q != ',')
			return p;
		q = kgr__sparql_arg_end(q + 1, ',');
	}
	if (*q == ',') {
		fl = skip_space(q + 1);
		if (!(fl_end = string_token(fl)))
			return p;
		q = skip_space(fl_end);
	}
	if (*q != ')')
		return p;
	close = q;
	if (kgr__sparql_string_value(&re, pat, pat_end) || (fl && kgr__sparql_string_value(&flags, fl, fl_end)) || re.oom ||
		flags.oom)
		goto keep;
	for (f = flags.s ? flags.s : ""; *f; f++) {
		switch (*f) {
		case 's': s = 1; break;
		case 'm': m = 1; break;
		case 'x': x = 1; break;
		case 'q': qf = 1; break;
		case 'i': i = 1; break;
		default: goto keep; /* rasqal reports it */
		}
	}
	if (translate(&posix, re.s ? re.s : "", s, m, x, qf, replace) || posix.oom)
		goto keep;
	if (!strcmp(posix.s ? posix.s : "", re.s ? re.s : "") && !s && !m && !x && !qf)
		goto keep; /* nothing to change */
	for (q = pat; q < pat_end; q++)
		newlines += *q == '\n';
	/* ( arg1 , "posix" [, arg3] , "i" or "" ) with the pattern's line breaks kept after it */
	kgr__buf_put(out, p, (size_t)(pat - p));
	kgr__sparql_put_string(out, posix.s ? posix.s : "");
	while (newlines-- > 0)
		kgr__buf_puts(out, "\n");
	if (fl) {
		kgr__buf_put(out, pat_end, (size_t)(fl - pat_end));
		kgr__buf_puts(out, i ? "\"i\"" : "\"\"");
		kgr__buf_put(out, fl_end, (size_t)(close + 1 - fl_end));
		for (q = fl; q < fl_end; q++)
			if (*q == '\n')
				kgr__buf_puts(out, "\n");
	} else {
		kgr__buf_put(out, pat_end, (size_t)(close + 1 - pat_end));
	}
	kgr__buf_free(&re);
	kgr__buf_free(&flags);
	kgr__buf_free(&posix);
	return close + 1;
keep:
	kgr__buf_free(&re);
	kgr__buf_free(&flags);
	kgr__buf_free(&posix);
	return p;
}

/* The call whose name (n bytes, as written) ends at p: the name, then rewrite_call()'s text;
 * nothing written when it leaves the call as it is. */
static const char *rewrite_named(kgr__buf *out, const char *p, size_t n, int replace)
{
	size_t at = out->len;
	const char *next;
	kgr__buf_put(out, p - n, n);
	if ((next = rewrite_call(out, p, replace)) == p && !out->oom) {
		out->len = at;
		out->s[at] = '\0';
	}
	return next;
}

static const char *rewrite_regex(kgr__buf *out, const char *p)
{
	return rewrite_named(out, p, 5, 0);
}

static const char *rewrite_replace(kgr__buf *out, const char *p)
{
	return rewrite_named(out, p, 7, 1);
}

char *kgr__sparql_regex_rewrite(const char *text, int *oom)
{
	char *t = kgr__sparql_rewrite_calls(text, oom, "REGEX", rewrite_regex), *u;
	if (*oom)
		return NULL;
	u = kgr__sparql_rewrite_calls(t ? t : text, oom, "REPLACE", rewrite_replace);
	if (!u) {
		if (*oom) {
			free(t);
			return NULL;
		}
		return t;
	}
	free(t);
	return u;
}
