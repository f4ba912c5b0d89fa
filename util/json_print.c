#include "util/json_print.h"
#include "util/util.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kgr__buf b;
	char point;  /* the locale's decimal point, written as '.' */
	int bad;     /* a raw item without text */
} printer;

static void put_string(printer *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)(s ? s : ""), *run = u;
	kgr__buf_put(&p->b, "\"", 1);
	for (; *u; u++) {
		char esc[6];
		size_t n = 2;
		if (*u > 31 && *u != '"' && *u != '\\')
			continue;
		kgr__buf_put(&p->b, (const char *)run, (size_t)(u - run));
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
		kgr__buf_put(&p->b, esc, n);
	}
	kgr__buf_put(&p->b, (const char *)run, (size_t)(u - run));
	kgr__buf_put(&p->b, "\"", 1);
}

/* cJSON's rule: null for NaN and infinities; else 15 significant digits when they read back
 * within a relative DBL_EPSILON, else 17. Whole numbers below 1e15 (what %1.15g writes as
 * plain digits) are written directly. */
static void put_number(printer *p, const cJSON *item)
{
	double d = item->valuedouble, back;
	char num[32];
	int len, i;
	if (isnan(d) || isinf(d)) {
		kgr__buf_put(&p->b, "null", 4);
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
		kgr__buf_put(&p->b, q, (size_t)(e - q));
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
	kgr__buf_put(&p->b, num, (size_t)len);
}

static void put_value(printer *p, const cJSON *item)
{
	const cJSON *c;
	switch (item->type & 0xff) {
	case cJSON_NULL: kgr__buf_put(&p->b, "null", 4); break;
	case cJSON_False: kgr__buf_put(&p->b, "false", 5); break;
	case cJSON_True: kgr__buf_put(&p->b, "true", 4); break;
	case cJSON_Number: put_number(p, item); break;
	case cJSON_String: put_string(p, item->valuestring); break;
	case cJSON_Raw:
		if (!item->valuestring)
			p->bad = 1;
		else
			kgr__buf_puts(&p->b, item->valuestring);
		break;
	case cJSON_Array:
		kgr__buf_put(&p->b, "[", 1);
		for (c = item->child; c; c = c->next) {
			put_value(p, c);
			if (c->next)
				kgr__buf_put(&p->b, ",", 1);
		}
		kgr__buf_put(&p->b, "]", 1);
		break;
	case cJSON_Object:
		kgr__buf_put(&p->b, "{", 1);
		for (c = item->child; c; c = c->next) {
			put_string(p, c->string);
			kgr__buf_put(&p->b, ":", 1);
			put_value(p, c);
			if (c->next)
				kgr__buf_put(&p->b, ",", 1);
		}
		kgr__buf_put(&p->b, "}", 1);
		break;
	default:
		p->bad = 1;
	}
}

char *kgr__json_print(const cJSON *item, size_t *len)
{
	printer p;
	const struct lconv *lc = localeconv();
	memset(&p, 0, sizeof(p));
	p.point = lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.';
	if (!item)
		return NULL;
	put_value(&p, item);
	if (p.bad || p.b.oom || !p.b.s) {
		kgr__buf_free(&p.b);
		return NULL;
	}
	if (len)
		*len = p.b.len;
	return kgr__buf_take(&p.b);
}
