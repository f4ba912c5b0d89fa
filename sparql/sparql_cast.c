/* XSD casts (xsd:integer(?x), xsd:boolean(?x), ...) that rasqal 0.9.33 refuses although XPath's
 * casting rules (F&O 3.1, 19) define them; each refusal was an error, so the value was unbound,
 * a FILTER false and a GROUP BY key one group of errors:
 *
 * - to xsd:integer from xsd:decimal, xsd:double, xsd:float: the value truncated toward zero
 *   (xsd:integer(2.7) is 2; xsd:integer(?price) grouped every price under "no value");
 * - to xsd:integer, xsd:decimal, xsd:double, xsd:float from xsd:boolean: 1 or 0;
 * - to xsd:boolean from a number: false for 0 and NaN, else true;
 * - to a number or xsd:boolean from a string with white space around it (XSD collapses it:
 *   xsd:integer(" 12 ") is 12);
 * - to xsd:boolean and xsd:string from a boolean: the value's canonical form, where rasqal
 *   kept the argument's ("0"^^xsd:boolean cast to xsd:string was "0", XPath's is "false").
 *
 * rasqal_literal_cast() is exported and librasqal calls it through its PLT, so this definition
 * is the one it calls (as with rasqal_xsd_format_double(), sparql/sparql_fixups.c); every other
 * cast goes on to rasqal's own, found with dlsym(RTLD_NEXT).
 *
 * Arithmetic on two integers of different derived types ("3"^^xsd:short - "1"^^xsd:int)
 * failed too: rasqal promotes two integer subtypes to neither, and does not know
 * xsd:unsignedByte, xsd:positiveInteger and other derived types as numbers at all. XPath
 * computes on their xsd:integer values, so rasqal_literal_add(), _subtract(), _multiply() and
 * _divide() (also exported, also called through the PLT) hand rasqal xsd:integer literals of
 * those values in those cases.
 *
 * `=` and `!=` between a boolean and a number were true or false (rasqal promotes the boolean
 * to 0 or 1); XPath has no such comparison, so in SPARQL it is a type error (a FILTER drops the
 * row). rasqal_literal_equals_flags() and _not_equals_flags(), under XQuery comparison rules
 * (the flag rasqal evaluates expressions with), now report the error. */
#define _GNU_SOURCE
#include "sparql/rdf_world.h"
#include "sparql/sparql_result.h"

#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double rasqal_literal_as_double(rasqal_literal *l, int *error_p);

typedef rasqal_literal *(*cast_fn)(rasqal_literal *, raptor_uri *, int, int *);

static cast_fn rasqal_cast;
static pthread_once_t rasqal_cast_once = PTHREAD_ONCE_INIT;

typedef rasqal_literal *(*arith_fn)(rasqal_literal *, rasqal_literal *, int *);

enum { A_ADD, A_SUBTRACT, A_MULTIPLY, A_DIVIDE, N_ARITH };
static const char *const arith_names[N_ARITH] = { "rasqal_literal_add", "rasqal_literal_subtract",
	"rasqal_literal_multiply", "rasqal_literal_divide" };
static arith_fn rasqal_arith[N_ARITH];

typedef int (*equals_fn)(rasqal_literal *, rasqal_literal *, int, int *);
static equals_fn rasqal_equals, rasqal_not_equals;

static void find_rasqal_cast(void)
{
	int i;
	rasqal_cast = (cast_fn)dlsym(RTLD_NEXT, "rasqal_literal_cast");
	for (i = 0; i < N_ARITH; i++)
		rasqal_arith[i] = (arith_fn)dlsym(RTLD_NEXT, arith_names[i]);
	rasqal_equals = (equals_fn)dlsym(RTLD_NEXT, "rasqal_literal_equals_flags");
	rasqal_not_equals = (equals_fn)dlsym(RTLD_NEXT, "rasqal_literal_not_equals_flags");
}

void kgr__sparql_cast_setup(void)
{
	pthread_once(&rasqal_cast_once, find_rasqal_cast);
}

enum target { T_OTHER, T_INTEGER, T_DECIMAL, T_DOUBLE, T_FLOAT, T_BOOLEAN, T_STRING };

static enum target target_of(raptor_uri *dt)
{
	static const struct {
		const char *name;
		enum target t;
	} names[] = { { "integer", T_INTEGER }, { "decimal", T_DECIMAL }, { "double", T_DOUBLE },
		{ "float", T_FLOAT }, { "boolean", T_BOOLEAN }, { "string", T_STRING } };
	const char *u = dt ? (const char *)raptor_uri_as_string(dt) : "";
	size_t i;
	if (strncmp(u, KGR_XSD, strlen(KGR_XSD)) != 0)
		return T_OTHER;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(u + strlen(KGR_XSD), names[i].name))
			return names[i].t;
	return T_OTHER;
}

static int is_number(const rasqal_literal *l)
{
	return l->type == RASQAL_LITERAL_INTEGER || l->type == RASQAL_LITERAL_INTEGER_SUBTYPE ||
	       l->type == RASQAL_LITERAL_DECIMAL || l->type == RASQAL_LITERAL_DOUBLE || l->type == RASQAL_LITERAL_FLOAT;
}

static int xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The integer part of a decimal's lexical form ("-2.70" -> "-2", "-0.5" -> "0"), or NULL. */
static rasqal_literal *decimal_to_integer(rasqal_world *w, const char *lex)
{
	char buf[64];
	size_t n = 0;
	int neg = 0;
	if (*lex == '+' || *lex == '-')
		neg = *lex++ == '-';
	while (*lex == '0' && lex[1] >= '0' && lex[1] <= '9')
		lex++;
	if (neg)
		buf[n++] = '-';
	while (*lex >= '0' && *lex <= '9' && n < sizeof(buf) - 1)
		buf[n++] = *lex++;
	if (n == (size_t)neg && *lex == '.' && lex[1] >= '0' && lex[1] <= '9')
		buf[n++] = '0'; /* ".5" */
	if ((*lex && *lex != '.') || n == (size_t)neg || n >= sizeof(buf) - 1)
		return NULL;
	buf[n] = '\0';
	if (!strcmp(buf, "-0"))
		strcpy(buf, "0");
	return rasqal_new_typed_literal(w, RASQAL_LITERAL_INTEGER, (const unsigned char *)buf);
}

/* A number or boolean held as a double: 1 when it is one of those. */
static int value_of(rasqal_literal *l, double *d)
{
	int error = 0;
	if (l->type == RASQAL_LITERAL_BOOLEAN) {
		*d = l->value.integer ? 1.0 : 0.0;
		return 1;
	}
	if (!is_number(l))
		return 0;
	*d = rasqal_literal_as_double(l, &error);
	return !error;
}

/* A boolean's canonical form as an xsd:string literal ("0"^^xsd:boolean is "false"). */
static rasqal_literal *boolean_string(rasqal_world *w, int b, raptor_uri *dt)
{
	char *s = strdup(b ? "true" : "false");
	return s ? rasqal_new_string_literal(w, (unsigned char *)s, NULL, raptor_uri_copy(dt), NULL) : NULL;
}

/* The casts rasqal refuses or answers with the argument's own form; NULL with *handled 0 for
 * every other. */
static rasqal_literal *cast_here(rasqal_literal *l, enum target t, raptor_uri *dt, int *handled)
{
	rasqal_world *w = l->world;
	double d;
	*handled = 1;
	if (t == T_BOOLEAN && is_number(l) && value_of(l, &d))
		return rasqal_new_boolean_literal(w, !(d == 0.0 || isnan(d)));
	if (l->type == RASQAL_LITERAL_BOOLEAN && value_of(l, &d)) {
		switch (t) {
		case T_BOOLEAN: return rasqal_new_boolean_literal(w, d != 0.0);
		case T_STRING: return boolean_string(w, d != 0.0, dt);
		case T_INTEGER: return rasqal_new_integer_literal(w, RASQAL_LITERAL_INTEGER, (int)d);
		case T_DECIMAL: return rasqal_new_decimal_literal(w, (const unsigned char *)(d ? "1.0" : "0.0"));
		case T_DOUBLE: return rasqal_new_double_literal(w, d);
		case T_FLOAT: return rasqal_new_floating_literal(w, RASQAL_LITERAL_FLOAT, d);
		default: break;
		}
	}
	if (t == T_INTEGER && l->type == RASQAL_LITERAL_DECIMAL && l->string)
		return decimal_to_integer(w, (const char *)l->string);
	if (t == T_INTEGER && (l->type == RASQAL_LITERAL_DOUBLE || l->type == RASQAL_LITERAL_FLOAT) && value_of(l, &d)) {
		/* NaN and the infinities have no integer (err:FOCA0002); beyond a long, no value */
		if (isnan(d) || fabs(d) >= 9.2e18)
			return NULL;
		return rasqal_new_numeric_literal_from_long(w, RASQAL_LITERAL_INTEGER, (long)trunc(d));
	}
	*handled = 0;
	return NULL;
}

/* @p l's string without the white space around it, as a simple literal; NULL when there is
 * none to take away (or out of memory). */
static rasqal_literal *trimmed(rasqal_literal *l)
{
	const char *s = (const char *)l->string, *e;
	char *copy;
	if (!s || (l->type != RASQAL_LITERAL_STRING && l->type != RASQAL_LITERAL_XSD_STRING) || l->language)
		return NULL;
	e = s + strlen(s);
	if (s == e || (!xml_space(*s) && !xml_space(e[-1])))
		return NULL;
	while (s < e && xml_space(*s))
		s++;
	while (e > s && xml_space(e[-1]))
		e--;
	if (!(copy = strndup(s, (size_t)(e - s))))
		return NULL;
	return rasqal_new_string_literal(l->world, (unsigned char *)copy, NULL, NULL, NULL);
}

__attribute__((visibility("default"))) rasqal_literal *rasqal_literal_cast(rasqal_literal *l, raptor_uri *to_datatype,
	int flags, int *error_p);
__attribute__((visibility("default"))) rasqal_literal *rasqal_literal_cast(rasqal_literal *l, raptor_uri *to_datatype,
	int flags, int *error_p)
{
	enum target t = l ? target_of(to_datatype) : T_OTHER;
	rasqal_literal *r, *trim;
	int handled = 0;
	kgr__sparql_cast_setup();
	if (t != T_OTHER) {
		r = cast_here(l, t, to_datatype, &handled);
		if (handled) {
			if (!r && error_p)
				*error_p = 1;
			return r;
		}
		if (t != T_STRING && (trim = trimmed(l)) != NULL) {
			r = rasqal_cast ? rasqal_cast(trim, to_datatype, flags, error_p) : NULL;
			rasqal_free_literal(trim);
			if (!r && error_p)
				*error_p = 1;
			return r;
		}
	}
	if (!rasqal_cast) {
		if (error_p)
			*error_p = 1;
		return NULL;
	}
	return rasqal_cast(l, to_datatype, flags, error_p);
}

/* ---- arithmetic on integers of two derived types ---- */

/* 1 when @p l is an integer of a type derived from xsd:integer: rasqal knows some of them
 * (xsd:int, xsd:short, ...) as integer subtypes, others (xsd:unsignedByte,
 * xsd:positiveInteger, ...) only as datatypes it does not know. */
static int derived_integer(const rasqal_literal *l)
{
	static const char *const types[] = { "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
		"nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "positiveInteger" };
	const char *u, *s;
	size_t i;
	if (l->type == RASQAL_LITERAL_INTEGER_SUBTYPE)
		return 1;
	if (l->type != RASQAL_LITERAL_UDT || !l->datatype || !(s = (const char *)l->string))
		return 0;
	u = (const char *)raptor_uri_as_string(l->datatype);
	if (strncmp(u, KGR_XSD, strlen(KGR_XSD)) != 0)
		return 0;
	for (i = 0; i < sizeof(types) / sizeof(types[0]) && strcmp(u + strlen(KGR_XSD), types[i]); i++)
		;
	if (i == sizeof(types) / sizeof(types[0]))
		return 0;
	s += *s == '+' || *s == '-';
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* @p l as an xsd:integer literal of its value when it is of a derived integer type (a new
 * literal through *made, which the caller frees), else @p l itself. */
static rasqal_literal *as_integer(rasqal_literal *l, rasqal_literal **made)
{
	*made = NULL;
	if (!derived_integer(l))
		return l;
	*made = rasqal_new_typed_literal(l->world, RASQAL_LITERAL_INTEGER, l->string);
	return *made;
}

static rasqal_literal *arith(int op, rasqal_literal *l1, rasqal_literal *l2, int *error_p)
{
	rasqal_literal *a, *b, *ma, *mb, *r = NULL;
	kgr__sparql_cast_setup();
	if (!rasqal_arith[op]) {
		if (error_p)
			*error_p = 1;
		return NULL;
	}
	/* rasqal computes with two integers of one subtype, or one of a subtype and a number */
	if (!l1 || !l2 || !(derived_integer(l1) || derived_integer(l2)) ||
		(l1->type != RASQAL_LITERAL_UDT && l2->type != RASQAL_LITERAL_UDT &&
			!(l1->type == RASQAL_LITERAL_INTEGER_SUBTYPE && l2->type == RASQAL_LITERAL_INTEGER_SUBTYPE &&
				!raptor_uri_equals(l1->datatype, l2->datatype))))
		return rasqal_arith[op](l1, l2, error_p);
	a = as_integer(l1, &ma);
	b = as_integer(l2, &mb);
	if (a && b)
		r = rasqal_arith[op](a, b, error_p);
	else if (error_p)
		*error_p = 1;
	if (ma)
		rasqal_free_literal(ma);
	if (mb)
		rasqal_free_literal(mb);
	return r;
}

#define ARITH(name, op)                                                                                        \
	__attribute__((visibility("default"))) rasqal_literal *name(rasqal_literal *l1, rasqal_literal *l2, int *e); \
	__attribute__((visibility("default"))) rasqal_literal *name(rasqal_literal *l1, rasqal_literal *l2, int *e)  \
	{                                                                                                          \
		return arith(op, l1, l2, e);                                                                       \
	}
ARITH(rasqal_literal_add, A_ADD)
ARITH(rasqal_literal_subtract, A_SUBTRACT)
ARITH(rasqal_literal_multiply, A_MULTIPLY)
ARITH(rasqal_literal_divide, A_DIVIDE)

/* ---- = and != between a boolean and a number ---- */

static int bool_and_number(const rasqal_literal *l1, const rasqal_literal *l2, int flags)
{
	return (flags & RASQAL_COMPARE_XQUERY) && l1 && l2 &&
	       ((l1->type == RASQAL_LITERAL_BOOLEAN && is_number(l2)) ||
		       (l2->type == RASQAL_LITERAL_BOOLEAN && is_number(l1)));
}

static int equals(equals_fn f, rasqal_literal *l1, rasqal_literal *l2, int flags, int *error_p)
{
	kgr__sparql_cast_setup();
	if (!f || bool_and_number(l1, l2, flags)) {
		if (error_p)
			*error_p = 1;
		return 0;
	}
	return f(l1, l2, flags, error_p);
}

__attribute__((visibility("default"))) int rasqal_literal_equals_flags(rasqal_literal *l1, rasqal_literal *l2,
	int flags, int *error_p);
__attribute__((visibility("default"))) int rasqal_literal_equals_flags(rasqal_literal *l1, rasqal_literal *l2,
	int flags, int *error_p)
{
	return equals(rasqal_equals, l1, l2, flags, error_p);
}

__attribute__((visibility("default"))) int rasqal_literal_not_equals_flags(rasqal_literal *l1, rasqal_literal *l2,
	int flags, int *error_p);
__attribute__((visibility("default"))) int rasqal_literal_not_equals_flags(rasqal_literal *l1, rasqal_literal *l2,
	int flags, int *error_p)
{
	return equals(rasqal_not_equals, l1, l2, flags, error_p);
}
