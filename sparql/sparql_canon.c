/* Canonical lexical forms for the numbers a query computes (sparql/sparql.c reads a result
 * through them; terms of the data and constants of the query are never passed here).
 *
 * xsd:integer: no '+', no leading zeros ("+01" is "1"). xsd:double and xsd:float: XSD 1.1's
 * doubleCanonicalMap, a mantissa with one non-zero digit before the point and at least one
 * after it, no trailing zeros beyond that one, and an exponent ("1.0E6", "2.5E-1", "0.0E0",
 * "-0.0E0", "INF", "-INF", "NaN"); the mantissa has the fewest digits that read back as the
 * value (rasqal's own writer, which read past its buffer for INF and NaN, is replaced by
 * kgrec's in sparql/sparql_fixups.c; this map does not depend on it). xsd:decimal: no
 * '+', no leading zeros, at least one digit after the point and no trailing zeros beyond it
 * ("6.0", "1.5", "0.0"). XSD 1.1 writes an integral decimal without its point ("6"); the W3C
 * suites expect both forms in different tests, so kgrec keeps the form SPARQL results have
 * long used (and that rasqal already writes). */
#include "sparql/sparql_result.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Writes @p s (length @p n) to out; 0 when it does not fit. */
static size_t put(char *out, size_t size, const char *s, size_t n)
{
	if (n + 1 > size)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

size_t kgr__xsd_canon_decimal(char *out, size_t size, const char *lex, size_t len)
{
	const char *p = lex, *end = lex + len, *ib, *ie, *fb = NULL, *fe = NULL;
	int neg = 0;
	size_t n = 0;
	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	ib = p;
	while (p < end && is_digit(*p))
		p++;
	ie = p;
	if (p < end && *p == '.') {
		fb = ++p;
		while (p < end && is_digit(*p))
			p++;
		fe = p;
	}
	if (p != end || (ib == ie && (!fb || fb == fe)))
		return 0; /* not a decimal lexical form */
	while (ib < ie && *ib == '0')
		ib++;
	while (fb && fe > fb && fe[-1] == '0')
		fe--;
	if (ib == ie && (!fb || fb == fe))
		return put(out, size, "0.0", 3); /* zero has no sign */
	if (size < (size_t)(ie - ib) + (fb ? (size_t)(fe - fb) : 0) + 4)
		return 0;
	if (neg)
		out[n++] = '-';
	if (ib == ie)
		out[n++] = '0';
	memcpy(out + n, ib, (size_t)(ie - ib));
	n += (size_t)(ie - ib);
	out[n++] = '.';
	if (fb && fe > fb) {
		memcpy(out + n, fb, (size_t)(fe - fb));
		n += (size_t)(fe - fb);
	} else {
		out[n++] = '0';
	}
	out[n] = '\0';
	return n;
}

size_t kgr__xsd_canon_integer(char *out, size_t size, const char *lex, size_t len)
{
	size_t i, n;
	for (i = 0; i < len; i++)
		if (lex[i] == '.')
			return 0;
	n = kgr__xsd_canon_decimal(out, size, lex, len);
	if (n < 2)
		return 0;
	out[n - 2] = '\0'; /* without the ".0" */
	return n - 2;
}

size_t kgr__xsd_canon_double(char *out, size_t size, double d, int single)
{
	char buf[64], *e, *m;
	int prec, exp10;
	size_t n, mlen;
	if (single)
		d = (double)(float)d;
	if (isnan(d))
		return put(out, size, "NaN", 3);
	if (isinf(d))
		return d < 0 ? put(out, size, "-INF", 4) : put(out, size, "INF", 3);
	if (d == 0)
		return signbit(d) ? put(out, size, "-0.0E0", 6) : put(out, size, "0.0E0", 5);
	/* the fewest significant digits that read back as the same value */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (single ? (float)strtod(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			break;
	}
	/* buf is [-]D[.DDD]e(+|-)XX: mantissa with one digit before the point, at least one after,
	 * no trailing zeros beyond that one; exponent without '+' or leading zeros */
	e = strchr(buf, 'e');
	if (!e)
		return 0;
	exp10 = atoi(e + 1);
	*e = '\0';
	m = buf;
	mlen = strlen(m);
	if (!strchr(m, '.')) {
		m[mlen++] = '.';
		m[mlen++] = '0';
		m[mlen] = '\0';
	}
	while (mlen > 2 && m[mlen - 1] == '0' && m[mlen - 2] != '.')
		m[--mlen] = '\0';
	n = (size_t)snprintf(out, size, "%sE%d", m, exp10);
	return n < size ? n : 0;
}

/* Declared in sparql/sparql_result.h. */
int kgr__xsd_integer_type(const char *dt)
{
	static const char *const ints[] = { "integer", "int", "long", "short", "byte",
		"nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
		"unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte", NULL };
	static const char xsd[] = "http://www.w3.org/2001/XMLSchema#";
	size_t i;
	if (!dt || strncmp(dt, xsd, sizeof(xsd) - 1))
		return 0;
	for (i = 0; ints[i]; i++)
		if (!strcmp(dt + sizeof(xsd) - 1, ints[i]))
			return 1;
	return 0;
}
