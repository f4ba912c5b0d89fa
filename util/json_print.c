#include "util/json_print.h"
#include "util/util.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef kgr__jw printer;

/* kgr__buf_put with the common case (room left) inline: a reply is thousands of short puts. */
static inline void put(printer *p, const char *s, size_t n)
{
	kgr__buf *b = &p->b;
	if (b->len + n < b->cap) {
		memcpy(b->s + b->len, s, n);
		b->len += n;
		b->s[b->len] = '\0';
	} else {
		kgr__buf_put(b, s, n);
	}
}

static void put_string(printer *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)(s ? s : ""), *run = u;
	put(p, "\"", 1);
	for (; *u; u++) {
		char esc[6];
		size_t n = 2;
		if (*u > 31 && *u != '"' && *u != '\\')
			continue;
		put(p, (const char *)run, (size_t)(u - run));
		run = u + 1;
		esc[0] = '\\';
		switch (*u) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*u >> 4];
			esc[5] = hex[*u & 15];
			n = 6;
		}
		put(p, esc, n);
	}
	put(p, (const char *)run, (size_t)(u - run));
	put(p, "\"", 1);
}

/* 10^0 .. 10^19; up to 10^22 they are exact as doubles too. */
static const uint64_t pow10_64[] = { 1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull,
	1000000ull, 10000000ull, 100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
	1000000000000ull, 10000000000000ull, 100000000000000ull, 1000000000000000ull,
	10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull };

/* 10^k for 0 <= k <= 20 */
static unsigned __int128 pow10_u(int k)
{
	return k <= 19 ? pow10_64[k] : (unsigned __int128)pow10_64[19] * 10;
}

/* The prec significant digits (15 or 17) of a = m * 2^-s (m < 2^53, 3 <= s <= 66), whose
 * decimal exponent is p (10^p <= a < 10^(p+1)), rounded to nearest with ties to even as
 * printf rounds the exact binary value: floor(a * 10^(prec-1-p)) and its remainder, in
 * 128-bit integers (m * 10^20 < 2^120). Returns -1 when the estimate p is off by one in
 * either direction, with *p mended, so the caller tries again. */
static int exact_digits(uint64_t m, int s, int *p, int prec, uint64_t *digits)
{
	int k = prec - 1 - *p;
	unsigned __int128 x = (unsigned __int128)m * pow10_u(k), half = (unsigned __int128)1 << (s - 1);
	unsigned __int128 q = x >> s, r = x & (((unsigned __int128)1 << s) - 1);
	unsigned __int128 lo = pow10_u(prec - 1), hi = lo * 10;
	if (q >= hi) {
		++*p;
		return -1;
	}
	if (q < lo) {
		--*p;
		return -1;
	}
	if (r > half || (r == half && (q & 1)))
		q++;
	if (q == hi) { /* 9.99..95 rounded up to 10.00..0 */
		q = lo;
		++*p;
	}
	*digits = (uint64_t)q;
	return 0;
}

/* The prec digits of a = mant * 2^-s and its decimal exponent p, which %g writes in fixed
 * notation (-4 <= p < prec); -1 when it would not (the caller falls back) or when log10's
 * estimate is off by more than one. */
static int digits_of(uint64_t mant, int s, double a, int prec, int *p, uint64_t *digits)
{
	int tries;
	*p = (int)floor(log10(a));
	for (tries = 0; tries < 3; tries++) {
		if (*p < -4 || *p > prec - 1)
			return -1;
		if (exact_digits(mant, s, p, prec, digits) == 0)
			return *p <= prec - 1 ? 0 : -1; /* rounding up may reach 10^prec */
	}
	return -1;
}

/* printf's "%1.<prec>g" of digits (prec of them, the first not 0) times 10^(p-prec+1), for
 * -4 <= p < prec: fixed notation, the trailing zeros of the fraction and a bare point dropped. */
static int write_fixed(char *out, int neg, uint64_t digits, int p, int prec)
{
	char d[20];
	int i, n = prec, len = 0;
	for (i = prec - 1; i >= 0; i--, digits /= 10)
		d[i] = (char)('0' + digits % 10);
	while (n > (p >= 0 ? p + 1 : 0) && d[n - 1] == '0')
		n--;
	if (neg)
		out[len++] = '-';
	if (p >= 0) {
		memcpy(out + len, d, (size_t)(p + 1));
		len += p + 1;
		if (n > p + 1) {
			out[len++] = '.';
			memcpy(out + len, d + p + 1, (size_t)(n - p - 1));
			len += n - p - 1;
		}
	} else {
		out[len++] = '0';
		out[len++] = '.';
		for (i = 0; i < -p - 1; i++)
			out[len++] = '0';
		memcpy(out + len, d, (size_t)n);
		len += n;
	}
	return len;
}

/* cJSON's rule for d with 1e-4 <= |d| < 1e15, written as snprintf would write it (the bytes
 * are the same; tests/kg compares them over about 62,000 values) without formatting twice
 * and reading back: the 15 digits' value is (double)digits / 10^(14-p), exactly what strtod
 * returns for them (both operands exact, one correctly rounded division). Returns the length,
 * or 0 for a d this does not cover (the caller formats it with snprintf). */
static int fast_number(char *out, double d)
{
	double a = fabs(d), back, m;
	uint64_t bits, mant, digits;
	int s, p;
	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	memcpy(&bits, &a, sizeof(bits));
	mant = (bits & ((1ull << 52) - 1)) | (1ull << 52);
	s = 1075 - (int)(bits >> 52);
	if (s < 3 || s > 66 || digits_of(mant, s, a, 15, &p, &digits) < 0)
		return 0;
	back = (double)digits / (double)pow10_64[14 - p];
	m = back > a ? back : a;
	if (fabs(back - a) <= m * DBL_EPSILON)
		return write_fixed(out, d < 0, digits, p, 15);
	if (digits_of(mant, s, a, 17, &p, &digits) < 0)
		return 0;
	return write_fixed(out, d < 0, digits, p, 17);
}

/* cJSON's rule: null for NaN and infinities; else 15 significant digits when they read back
 * within a relative DBL_EPSILON, else 17. Whole numbers below 1e15 (what %1.15g writes as
 * plain digits) are written directly, and so are the others from 1e-4 up (fast_number). */
static void put_number(printer *p, double d)
{
	double back;
	char num[32];
	int len, i;
	if (isnan(d) || isinf(d)) {
		put(p, "null", 4);
		return;
	}
	if (d == floor(d) && fabs(d) < 1e15) {
		long long v = (long long)d;
		unsigned long long a = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
		char *e = num + sizeof(num), *q = e;
		do
			*--q = (char)('0' + a % 10);
		while (a /= 10);
		if (v < 0 || (v == 0 && signbit(d)))
			*--q = '-';
		put(p, q, (size_t)(e - q));
		return;
	}
	if ((len = fast_number(num, d)) > 0) {
		put(p, num, (size_t)len);
		return;
	}
	len = snprintf(num, sizeof(num), "%1.15g", d);
	back = strtod(num, NULL);
	{
		double m = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
		if (!(fabs(back - d) <= m * DBL_EPSILON))
			len = snprintf(num, sizeof(num), "%1.17g", d);
	}
	if (len < 0 || (size_t)len >= sizeof(num)) {
		p->b.oom = 1;
		return;
	}
	for (i = 0; i < len; i++)
		if (num[i] == p->point)
			num[i] = '.';
	put(p, num, (size_t)len);
}

static void put_value(printer *p, const cJSON *item)
{
	const cJSON *c;
	switch (item->type & 0xff) {
	case cJSON_NULL: put(p, "null", 4); break;
	case cJSON_False: put(p, "false", 5); break;
	case cJSON_True: put(p, "true", 4); break;
	case cJSON_Number: put_number(p, item->valuedouble); break;
	case cJSON_String: put_string(p, item->valuestring); break;
	case cJSON_Raw:
		if (!item->valuestring)
			p->bad = 1;
		else
			kgr__buf_puts(&p->b, item->valuestring);
		break;
	case cJSON_Array:
		put(p, "[", 1);
		for (c = item->child; c; c = c->next) {
			put_value(p, c);
			if (c->next)
				put(p, ",", 1);
		}
		put(p, "]", 1);
		break;
	case cJSON_Object:
		put(p, "{", 1);
		for (c = item->child; c; c = c->next) {
			put_string(p, c->string);
			put(p, ":", 1);
			put_value(p, c);
			if (c->next)
				put(p, ",", 1);
		}
		put(p, "}", 1);
		break;
	default:
		p->bad = 1;
	}
}

void kgr__jw_init(kgr__jw *w)
{
	const struct lconv *lc = localeconv();
	memset(w, 0, sizeof(*w));
	w->point = lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.';
}

char *kgr__jw_take(kgr__jw *w, size_t *len)
{
	if (w->bad || w->b.oom || !w->b.s) {
		kgr__buf_free(&w->b);
		return NULL;
	}
	if (len)
		*len = w->b.len;
	return kgr__buf_take(&w->b);
}

char *kgr__json_print(const cJSON *item, size_t *len)
{
	printer p;
	if (!item)
		return NULL;
	kgr__jw_init(&p);
	put_value(&p, item);
	return kgr__jw_take(&p, len);
}

/* ---- writing without a tree: each value is preceded by a comma when one was written in
 * the same container before it, and by its key inside an object */

static inline void lead(kgr__jw *w, const char *key)
{
	if (w->comma)
		put(w, ",", 1);
	if (key) {
		put_string(w, key);
		put(w, ":", 1);
	}
	w->comma = 1;
}

void kgr__jw_open(kgr__jw *w, const char *key, int array)
{
	lead(w, key);
	put(w, array ? "[" : "{", 1);
	w->comma = 0;
}

void kgr__jw_close(kgr__jw *w, int array)
{
	put(w, array ? "]" : "}", 1);
	w->comma = 1;
}

void kgr__jw_str(kgr__jw *w, const char *key, const char *s)
{
	lead(w, key);
	put_string(w, s);
}

void kgr__jw_num(kgr__jw *w, const char *key, double d)
{
	lead(w, key);
	put_number(w, d);
}

void kgr__jw_bool(kgr__jw *w, const char *key, int v)
{
	lead(w, key);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void kgr__jw_null(kgr__jw *w, const char *key)
{
	lead(w, key);
	put(w, "null", 4);
}
