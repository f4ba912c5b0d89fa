/* String functions that rasqal 0.9.33 gets wrong, in the query process.
 *
 * - The query process reads text as UTF-8 (LC_CTYPE C.UTF-8), so glibc's regcomp(), which
 *   rasqal's REGEX and REPLACE use, matches characters, not bytes: [^a-z] is one character of
 *   "日本語", not one of its nine bytes, and the flag 'i' folds case beyond ASCII.
 * - REPLACE (rasqal_expression_evaluate_replace() and its POSIX regex code) gave each
 *   captured group one byte too many ($1 of (ab) in "abcd" was "abc"), other text for a group
 *   that took no part ($2 of (ab)|(a) in "abcd" was "abc" too), and moved the language tag
 *   out of its argument: the argument is kgrec's one cached literal of a store term, so
 *   "日本語"@ja lost its tag for the rest of the query (SELECT ?str showed "日本語").
 *   kgrec's definition (below) takes its place.
 * - SUBSTR (rasqal_expression_evaluate_substr()) failed when the start was past the end
 *   (SUBSTR("abc", 5) is "" by XPath's fn:substring).
 * - UCASE and LCASE (rasqal_expression_evaluate_set_case()) changed ASCII letters only:
 *   UCASE("äbcé") was "äBCé".
 *
 * librasqal calls both through its PLT, so these exported definitions (in an object the
 * library and the command line always link: the query process calls kgr__sparql_text_setup())
 * are the ones it calls, as with rasqal_xsd_format_double() in sparql/sparql_fixups.c.
 * Strings handed to rasqal are malloc()ed: it frees them with free(). */
#include "sparql/rdf_world.h"
#include "sparql/sparql_result.h"

#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "util/util.h"

/* rasqal 0.9.33 exports these without declaring them in rasqal.h */
void rasqal_log_error_simple(rasqal_world *world, raptor_log_level level, raptor_locator *locator,
	const char *message, ...);
double rasqal_literal_as_double(rasqal_literal *l, int *error_p);

void kgr__sparql_text_setup(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	kgr__sparql_cast_setup();
}

/* ---- REPLACE ---- */

/* XPath's rule for the replacement: '\' only before '\' or '$', '$' only before a digit
 * (err:FORX0004). */
static int replacement_valid(const char *r, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if (r[i] == '\\') {
			if (i + 1 >= n || (r[i + 1] != '\\' && r[i + 1] != '$'))
				return 0;
			i++;
		} else if (r[i] == '$') {
			if (i + 1 >= n || r[i + 1] < '0' || r[i + 1] > '9')
				return 0;
		}
	}
	return 1;
}

/* The replacement for one match: $N is group N's text ("" when the group did not take part
 * or the pattern has fewer groups), its number the longest run of digits that names a group
 * (XPath), \$ and \\ the characters. */
static void expand(kgr__buf *out, const char *base, const regmatch_t *m, size_t groups, const char *r, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (r[i] == '\\') {
			kgr__buf_put(out, r + i + 1, 1);
			i += 2;
		} else if (r[i] == '$') {
			size_t g = (size_t)(r[i + 1] - '0');
			i += 2;
			while (i < n && r[i] >= '0' && r[i] <= '9' && g * 10 + (size_t)(r[i] - '0') <= groups) {
				g = g * 10 + (size_t)(r[i] - '0');
				i++;
			}
			if (g <= groups && m[g].rm_so >= 0)
				kgr__buf_put(out, base + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
		} else {
			kgr__buf_put(out, r + i, 1);
			i++;
		}
	}
}

/* Every match of @p re in @p subject, left to right and not overlapping, replaced. */
static char *replace_all(const regex_t *re, const char *subject, size_t subject_len, const char *r, size_t rn,
	size_t *len_out)
{
	size_t groups = re->re_nsub, off = 0;
	regmatch_t *m = calloc(groups + 1, sizeof(*m));
	kgr__buf out = { 0 };
	if (!m)
		return NULL;
	while (off <= subject_len && regexec(re, subject + off, groups + 1, m, off ? REG_NOTBOL : 0) == 0) {
		size_t end = off + (size_t)m[0].rm_eo;
		kgr__buf_put(&out, subject + off, (size_t)m[0].rm_so);
		expand(&out, subject + off, m, groups, r, rn);
		if (m[0].rm_eo == m[0].rm_so) {
			/* an empty match inside the text (a pattern that matches "" is refused before):
			 * keep the next character and go on after it */
			if (end >= subject_len)
				break;
			do
				kgr__buf_put(&out, subject + end++, 1);
			while (end < subject_len && ((unsigned char)subject[end] & 0xC0) == 0x80);
		}
		off = end;
	}
	if (off < subject_len)
		kgr__buf_put(&out, subject + off, subject_len - off);
	free(m);
	if (out.oom) {
		kgr__buf_free(&out);
		return NULL;
	}
	if (!out.s)
		kgr__buf_put(&out, "", 0);
	*len_out = out.len;
	return kgr__buf_take(&out);
}

/* REPLACE's text: NULL for an error (rasqal's error log has the compile failure). */
static char *regex_replace(rasqal_evaluation_context *ctx, const char *pattern, const char *flags,
	const char *subject, size_t subject_len, const char *replace, size_t replace_len, size_t *len_out)
{
	regex_t re;
	int cflags = REG_EXTENDED, rc;
	const char *f;
	char *result = NULL;
	for (f = flags; f && *f; f++)
		if (*f == 'i')
			cflags |= REG_ICASE;
	if ((rc = regcomp(&re, pattern, cflags)) != 0) {
		rasqal_log_error_simple(ctx->world, RAPTOR_LOG_LEVEL_ERROR, ctx->locator,
			"Regex compile of '%s' failed - %d", pattern, rc);
		return NULL;
	}
	/* XPath: an error (no value) when the pattern matches the empty string (err:FORX0003)
	 * or the replacement is malformed (err:FORX0004) */
	if (regexec(&re, "", 0, NULL, 0) != 0 && replacement_valid(replace, replace_len))
		result = replace_all(&re, subject, subject_len, replace, replace_len, len_out);
	regfree(&re);
	return result;
}

static int string_literal(const rasqal_literal *l)
{
	return l && (l->type == RASQAL_LITERAL_STRING || l->type == RASQAL_LITERAL_XSD_STRING);
}

/* The literal of @p s (malloc()ed, becomes the literal's) with @p like's language tag or
 * datatype, copied: rasqal's REPLACE moved the tag out of its argument, which is kgrec's
 * cached literal of a store term, so the term lost its tag for the rest of the query. */
static rasqal_literal *string_like(rasqal_world *world, unsigned char *s, const rasqal_literal *like)
{
	char *lang = NULL;
	raptor_uri *dt = NULL;
	if (like->language && !(lang = strdup(like->language))) {
		free(s);
		return NULL;
	}
	if (like->datatype)
		dt = raptor_uri_copy(like->datatype);
	return rasqal_new_string_literal(world, s, lang, dt, NULL);
}

__attribute__((visibility("default"))) rasqal_literal *rasqal_expression_evaluate_replace(rasqal_expression *e,
	rasqal_evaluation_context *ctx, int *error_p);

/* REPLACE(arg, pattern, replacement [, flags]) by SPARQL 17.4.3.15 (XPath's fn:replace). */
__attribute__((visibility("default"))) rasqal_literal *rasqal_expression_evaluate_replace(rasqal_expression *e,
	rasqal_evaluation_context *ctx, int *error_p)
{
	rasqal_literal *l[4] = { NULL, NULL, NULL, NULL }, *result = NULL;
	rasqal_expression *args[4] = { e->arg1, e->arg2, e->arg3, e->arg4 };
	const char *subject, *replace;
	size_t subject_len = 0, replace_len = 0, len = 0;
	char *text;
	int i;
	for (i = 0; i < 4 && args[i]; i++) {
		l[i] = rasqal_expression_evaluate2(args[i], ctx, error_p);
		if (*error_p || !string_literal(l[i]))
			goto done;
	}
	if (i < 3)
		goto done;
	subject = (const char *)rasqal_literal_as_counted_string(l[0], &subject_len, ctx->flags, error_p);
	replace = *error_p ? NULL : (const char *)rasqal_literal_as_counted_string(l[2], &replace_len, ctx->flags, error_p);
	if (*error_p || !subject || !replace || !l[1]->string)
		goto done;
	text = regex_replace(ctx, (const char *)l[1]->string, l[3] ? (const char *)l[3]->string : NULL, subject,
		subject_len, replace, replace_len, &len);
	if (text)
		result = string_like(ctx->world, (unsigned char *)text, l[0]);
done:
	for (i = 0; i < 4; i++)
		if (l[i])
			rasqal_free_literal(l[i]);
	if (!result)
		*error_p = 1;
	return result;
}

/* ---- SUBSTR ---- */

__attribute__((visibility("default"))) rasqal_literal *rasqal_expression_evaluate_substr(rasqal_expression *e,
	rasqal_evaluation_context *ctx, int *error_p);

/* XPath's fn:round: the nearest integer, halves up; NaN stays NaN. */
static double xpath_round(double d)
{
	return isnan(d) || isinf(d) ? d : floor(d + 0.5);
}

static int numeric(const rasqal_literal *l)
{
	return l->type == RASQAL_LITERAL_INTEGER || l->type == RASQAL_LITERAL_INTEGER_SUBTYPE ||
	       l->type == RASQAL_LITERAL_DECIMAL || l->type == RASQAL_LITERAL_DOUBLE || l->type == RASQAL_LITERAL_FLOAT;
}

/* The characters of s[0..len) at positions p (from 1) with from <= p < to, malloc()ed. */
static unsigned char *utf8_slice(const unsigned char *s, size_t len, double from, double to)
{
	unsigned char *out = malloc(len + 1);
	size_t i, n = 0;
	double pos = 0;
	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			pos++;
		if (pos >= from && pos < to)
			out[n++] = s[i];
	}
	out[n] = '\0';
	return out;
}

/* SUBSTR(str, start [, length]) by SPARQL 17.4.3.3 (XPath's fn:substring): the string's
 * characters at positions p with round(start) <= p < round(start) + round(length), the
 * language tag or datatype kept; "" when none is (also a start past the end). */
__attribute__((visibility("default"))) rasqal_literal *rasqal_expression_evaluate_substr(rasqal_expression *e,
	rasqal_evaluation_context *ctx, int *error_p)
{
	rasqal_literal *l1 = NULL, *l2 = NULL, *l3 = NULL, *result = NULL;
	const unsigned char *s;
	unsigned char *new_s = NULL;
	size_t len = 0;
	double from, to = INFINITY;
	l1 = rasqal_expression_evaluate2(e->arg1, ctx, error_p);
	if (*error_p || !string_literal(l1))
		goto failed;
	s = rasqal_literal_as_counted_string(l1, &len, ctx->flags, error_p);
	if (*error_p || !s)
		goto failed;
	l2 = rasqal_expression_evaluate2(e->arg2, ctx, error_p);
	if (*error_p || !l2 || !numeric(l2))
		goto failed;
	from = xpath_round(rasqal_literal_as_double(l2, error_p));
	if (*error_p)
		goto failed;
	if (e->arg3) {
		l3 = rasqal_expression_evaluate2(e->arg3, ctx, error_p);
		if (*error_p || !l3 || !numeric(l3))
			goto failed;
		to = from + xpath_round(rasqal_literal_as_double(l3, error_p));
		if (*error_p)
			goto failed;
	}
	if (!(new_s = utf8_slice(s, len, from, to)))
		goto failed;
	result = string_like(ctx->world, new_s, l1); /* new_s is the literal's, or freed */
	new_s = NULL;
failed:
	if (!result)
		*error_p = 1;
	free(new_s);
	if (l1)
		rasqal_free_literal(l1);
	if (l2)
		rasqal_free_literal(l2);
	if (l3)
		rasqal_free_literal(l3);
	return result;
}

/* ---- UCASE, LCASE ---- */

__attribute__((visibility("default"))) rasqal_literal *rasqal_expression_evaluate_set_case(rasqal_expression *e,
	rasqal_evaluation_context *ctx, int *error_p);

/* @p s[0..len) with every character mapped by towupper() or towlower() (the C.UTF-8 locale's
 * one-to-one Unicode mappings; XPath's special casings such as "ß" to "SS" are not made), a
 * byte that is not UTF-8 kept as it is. malloc()ed. */
static unsigned char *utf8_case(const unsigned char *s, size_t len, int upper)
{
	unsigned char *out = malloc(len * 2 + MB_CUR_MAX + 1);
	mbstate_t in_state, out_state;
	size_t i = 0, n = 0;
	if (!out)
		return NULL;
	memset(&in_state, 0, sizeof(in_state));
	memset(&out_state, 0, sizeof(out_state));
	while (i < len) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, (const char *)s + i, len - i, &in_state), w;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&in_state, 0, sizeof(in_state));
			out[n++] = s[i++];
			continue;
		}
		w = wcrtomb((char *)out + n, (wchar_t)(upper ? towupper((wint_t)wc) : towlower((wint_t)wc)), &out_state);
		if (w == (size_t)-1 || w > k + 1) {
			/* not written, or longer than the room kept for it: the character as it was */
			memcpy(out + n, s + i, k);
			w = k;
		}
		n += w;
		i += k;
	}
	out[n] = '\0';
	return out;
}

/* UCASE(str) and LCASE(str) by SPARQL 17.4.3.7-8: the string literal with its characters'
 * case changed, its language tag or datatype kept. */
__attribute__((visibility("default"))) rasqal_literal *rasqal_expression_evaluate_set_case(rasqal_expression *e,
	rasqal_evaluation_context *ctx, int *error_p)
{
	rasqal_literal *l1 = rasqal_expression_evaluate2(e->arg1, ctx, error_p), *result = NULL;
	const unsigned char *s;
	unsigned char *new_s;
	size_t len = 0;
	if (!*error_p && string_literal(l1) &&
		(s = rasqal_literal_as_counted_string(l1, &len, ctx->flags, error_p)) != NULL && !*error_p &&
		(new_s = utf8_case(s, len, e->op == RASQAL_EXPR_UCASE)) != NULL)
		result = string_like(ctx->world, new_s, l1);
	if (l1)
		rasqal_free_literal(l1);
	if (!result)
		*error_p = 1;
	return result;
}
