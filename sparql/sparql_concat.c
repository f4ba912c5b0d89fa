/* GROUP_CONCAT's SEPARATOR for rasqal 0.9.33, which parses it and then joins the values with
 * a space whatever it says. Before rasqal parses a query,
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

char *kgr__sparql_separator_rewrite(const char *text, int *oom)
{
	kgr__buf out = { 0 };
	const char *p = text, *from = text;
	int changed = 0;
	*oom = 0;
	while (*p) {
		const char *next;
		if (*p == '"' || *p == '\'' || *p == '<' || *p == '#') {
			p = kgr__sparql_skip_opaque(p);
			continue;
		}
		if ((p != text && (is_word(p[-1]) || p[-1] == '?' || p[-1] == '$' || p[-1] == ':')) ||
			strncasecmp(p, "GROUP_CONCAT", 12) || is_word(p[12])) {
			p++;
			continue;
		}
		/* the name itself is written by rewrite_call() (inside two REPLACEs) */
		kgr__buf_put(&out, from, (size_t)(p - from));
		next = rewrite_call(&out, p + 12);
		if (next == p + 12) {
			kgr__buf_put(&out, p, 12);
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
