/* FILTER expressions evaluated on term ids, for the groups of triple patterns that kgrec
 * evaluates itself (sparql/sparql.c, bgp_form()).
 *
 * Forms: &&, ||, !, =, !=, <, <=, >, >=, BOUND, isIRI / isURI, isBlank, isLiteral, isNumeric
 * and sameTerm, over the patterns' variables and terms written in the query. Values by the
 * specification (SPARQL 1.1, 17.2 and 17.3):
 *
 * - numbers (xsd:integer and the types derived from it, xsd:decimal, xsd:float, xsd:double)
 *   compare by value: integers and decimals exactly, on their digits; with a float or double,
 *   as doubles (the promotion of 17.3, NaN unequal to everything); a lexical form that is not
 *   of its type is an error;
 * - simple literals and xsd:strings compare by code point (UTF-8 bytes in order), booleans
 *   false < true;
 * - = and != otherwise by RDFterm-equal: the same term is equal; an IRI or blank node and any
 *   other term are not; a language-tagged string equals only one of the same lexical form and
 *   tag (tags compared without case) and no literal of another kind; two other literals
 *   (a string and a number, an ill-typed "xyz"^^xsd:integer and anything but itself) are an
 *   error (17.4.1.7; the W3C tests open-eq-07 to 12);
 * - < and friends between kinds without an operator (a number and a string, an IRI) are an
 *   error;
 * - an error is false for the FILTER, and the connectives take it as 17.2's truth tables do.
 *
 * What is left to rasqal, decided per solution (kgr__vfilter_keep() returns -1 and the whole
 * query goes to rasqal): two values of other datatypes (xsd:dateTime, xsd:date and the like
 * have operators of their own) that are not the same term, and the order of two
 * language-tagged strings. */
#include "sparql/sparql_vfilter.h"
#include "sparql/sparql_result.h"
#include "sparql/rdf_world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XSD "http://www.w3.org/2001/XMLSchema#"

enum {
	VF_AND = 1, VF_OR, VF_NOT, /* a, b: nodes */
	VF_EQ, VF_NE, VF_LT, VF_LE, VF_GT, VF_GE, VF_SAMETERM, /* a, b: operands */
	VF_ISIRI, VF_ISBLANK, VF_ISLITERAL, VF_ISNUMERIC, VF_TRUE /* a: operand */
};

/* truth values: 17.2's three, and a fourth for a case left to rasqal */
enum { F = 0, T = 1, E = 2, U = 3 };

/* kinds of literal value */
enum { DT_STRING = 1, DT_LANG, DT_INT, DT_DEC, DT_DBL, DT_BOOL, DT_OTHER };

static int datatype_class(const char *dt, const char *lang)
{
	if (lang && *lang)
		return DT_LANG;
	if (!dt)
		return DT_STRING;
	if (strncmp(dt, XSD, sizeof(XSD) - 1))
		return DT_OTHER;
	dt += sizeof(XSD) - 1;
	if (!strcmp(dt, "string"))
		return DT_STRING;
	if (!strcmp(dt, "decimal"))
		return DT_DEC;
	if (!strcmp(dt, "double") || !strcmp(dt, "float"))
		return DT_DBL;
	if (!strcmp(dt, "boolean"))
		return DT_BOOL;
	return kgr__xsd_integer_type(dt - (sizeof(XSD) - 1)) ? DT_INT : DT_OTHER;
}

/* ---- compiling ---- */

static int add_node(kgr__vfilter *f, int op, int a, int b)
{
	if (f->n_node == KGR__VF_NODES)
		return -1;
	f->node[f->n_node].op = op;
	f->node[f->n_node].a = a;
	f->node[f->n_node].b = b;
	return (int)f->n_node++;
}

/* The operand of expression @p e (a variable or a term), or -1. */
static int add_operand(kgr__vfilter *f, rasqal_expression *e, void *const *vars, size_t nv)
{
	kgr__vf_operand *o;
	rasqal_literal *l;
	rasqal_variable *v;
	raptor_uri *dt;
	size_t i;
	if (!e || e->op != RASQAL_EXPR_LITERAL || !(l = e->literal) || f->n_operand == KGR__VF_NODES)
		return -1;
	o = &f->operand[f->n_operand];
	memset(o, 0, sizeof(*o));
	if ((v = rasqal_literal_as_variable(l))) {
		for (i = 0; i < nv && vars[i] != (void *)v; i++)
			;
		if (i == nv)
			return -1; /* a variable the patterns do not bind */
		o->var = (int)i;
		return (int)f->n_operand++;
	}
	o->var = -1;
	switch (l->type) {
	case RASQAL_LITERAL_URI:
		o->kind = KGR_TERM_IRI;
		o->lex = (const char *)raptor_uri_as_string(l->value.uri);
		o->len = strlen(o->lex);
		o->id = kgr_store_iri(f->store, o->lex);
		break;
	case RASQAL_LITERAL_STRING:
	case RASQAL_LITERAL_XSD_STRING:
	case RASQAL_LITERAL_INTEGER_SUBTYPE:
	case RASQAL_LITERAL_DATETIME:
	case RASQAL_LITERAL_DATE:
	case RASQAL_LITERAL_BOOLEAN:
	case RASQAL_LITERAL_INTEGER:
	case RASQAL_LITERAL_DECIMAL:
	case RASQAL_LITERAL_DOUBLE:
	case RASQAL_LITERAL_FLOAT:
	case RASQAL_LITERAL_UDT:
		o->kind = KGR_TERM_LITERAL;
		o->lex = (const char *)l->string;
		o->len = l->string_len;
		o->lang = l->language && *l->language ? l->language : NULL;
		dt = rasqal_literal_datatype(l);
		o->datatype = dt ? (const char *)raptor_uri_as_string(dt) : NULL;
		if (!o->lex)
			return -1;
		o->id = kgr__store_literal_id(f->store, o->lex, o->len, o->lang, o->datatype);
		break;
	default:
		return -1;
	}
	return (int)f->n_operand++;
}

static int compile(kgr__vfilter *f, rasqal_expression *e, void *const *vars, size_t nv)
{
	int a, b, op;
	if (!e)
		return -1;
	switch (e->op) {
	case RASQAL_EXPR_AND:
	case RASQAL_EXPR_OR:
		if ((a = compile(f, e->arg1, vars, nv)) < 0 || (b = compile(f, e->arg2, vars, nv)) < 0)
			return -1;
		return add_node(f, e->op == RASQAL_EXPR_AND ? VF_AND : VF_OR, a, b);
	case RASQAL_EXPR_BANG:
		if ((a = compile(f, e->arg1, vars, nv)) < 0)
			return -1;
		return add_node(f, VF_NOT, a, 0);
	case RASQAL_EXPR_EQ: op = VF_EQ; break;
	case RASQAL_EXPR_NEQ: op = VF_NE; break;
	case RASQAL_EXPR_LT: op = VF_LT; break;
	case RASQAL_EXPR_LE: op = VF_LE; break;
	case RASQAL_EXPR_GT: op = VF_GT; break;
	case RASQAL_EXPR_GE: op = VF_GE; break;
	case RASQAL_EXPR_SAMETERM: op = VF_SAMETERM; break;
	case RASQAL_EXPR_BOUND: /* every variable of the patterns is bound in each solution */
		if ((a = add_operand(f, e->arg1, vars, nv)) < 0 || f->operand[a].var < 0)
			return -1;
		return add_node(f, VF_TRUE, a, 0);
	case RASQAL_EXPR_ISURI: op = VF_ISIRI; goto unary;
	case RASQAL_EXPR_ISBLANK: op = VF_ISBLANK; goto unary;
	case RASQAL_EXPR_ISLITERAL: op = VF_ISLITERAL; goto unary;
	case RASQAL_EXPR_ISNUMERIC: op = VF_ISNUMERIC; goto unary;
	default:
		return -1;
	}
	if ((a = add_operand(f, e->arg1, vars, nv)) < 0 || (b = add_operand(f, e->arg2, vars, nv)) < 0 ||
		(f->operand[a].var < 0 && f->operand[b].var < 0))
		return -1; /* two constants: rasqal's */
	return add_node(f, op, a, b);
unary:
	if ((a = add_operand(f, e->arg1, vars, nv)) < 0)
		return -1;
	return add_node(f, op, a, 0);
}

int kgr__vfilter_add(kgr__vfilter *f, const kgr_store *store, void *expr, void *const *vars, size_t nv)
{
	int root;
	if (!f->n_node && !f->n_root) {
		memset(f, 0, sizeof(*f));
		f->store = store;
	}
	if (f->n_root == KGR__VF_ROOTS || (root = compile(f, expr, vars, nv)) < 0)
		return 0;
	f->root[f->n_root++] = root;
	return 1;
}

/* ---- evaluating ---- */

typedef struct {
	int kind;
	kgr_id id;
	const char *lex;
	size_t len;
	const char *lang;
	int dt; /* DT_* of a literal */
} value;

static void value_of(kgr__vfilter *f, const kgr__vf_operand *o, const kgr_id *values, value *v)
{
	if (o->var >= 0) {
		kgr_id dt;
		v->id = values[o->var];
		v->kind = kgr_term_kind_of(f->store, v->id);
		v->lex = kgr_term_value(f->store, v->id, &v->len);
		v->lang = v->kind == KGR_TERM_LITERAL ? kgr_term_lang(f->store, v->id) : NULL;
		v->dt = 0;
		if (v->kind == KGR_TERM_LITERAL && v->lang && *v->lang) {
			v->dt = DT_LANG;
		} else if (v->kind == KGR_TERM_LITERAL) {
			/* the class of the datatype, read once for a run of values of one datatype */
			if ((dt = kgr_term_datatype(f->store, v->id)) != f->last_dt || !f->last_class) {
				f->last_class = datatype_class(dt ? kgr_term_value(f->store, dt, NULL) : NULL, NULL);
				f->last_dt = dt;
			}
			v->dt = f->last_class;
		}
		return;
	}
	v->kind = o->kind;
	v->id = o->id;
	v->lex = o->lex;
	v->len = o->len;
	v->lang = o->lang;
	v->dt = o->kind == KGR_TERM_LITERAL ? datatype_class(o->datatype, o->lang) : 0;
}

/* Whether two values are the same RDF term. */
static int same_term(const value *a, const value *b)
{
	if (a->id && b->id)
		return a->id == b->id;
	if (a->kind != b->kind || a->len != b->len || memcmp(a->lex, b->lex, a->len))
		return 0;
	if (a->kind != KGR_TERM_LITERAL)
		return 1;
	/* a term the store lacks against one it has, both literals: the store would have
	 * found it, had it the same lexical form, tag and datatype */
	return !a->id == !b->id;
}

static int is_num(int dt)
{
	return dt == DT_INT || dt == DT_DEC || dt == DT_DBL;
}

/* A decimal lexical form [+-]?digits[.digits] (integers without the point): its sign, and
 * the digits without leading zeros before the point and trailing zeros after it. */
typedef struct {
	int neg;
	const char *ip, *fp;  /* integer and fraction digits */
	size_t ni, nf;
} decimal;

static int parse_decimal(const char *s, size_t n, int integer, decimal *d)
{
	size_t i = 0, start;
	memset(d, 0, sizeof(*d));
	if (i < n && (s[i] == '+' || s[i] == '-'))
		d->neg = s[i++] == '-';
	start = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	d->ip = s + start;
	d->ni = i - start;
	if (i < n && s[i] == '.' && !integer) {
		size_t fs = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		d->fp = s + fs;
		d->nf = i - fs;
	}
	if (i != n || d->ni + d->nf == 0)
		return -1;
	while (d->ni && *d->ip == '0') {
		d->ip++;
		d->ni--;
	}
	while (d->nf && d->fp[d->nf - 1] == '0')
		d->nf--;
	if (!d->ni && !d->nf)
		d->neg = 0; /* -0 is 0 */
	return 0;
}

static int decimal_cmp(const decimal *a, const decimal *b)
{
	int sign = a->neg ? -1 : 1, c;
	size_t i;
	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	if (a->ni != b->ni)
		return a->ni < b->ni ? -sign : sign;
	if ((c = memcmp(a->ip, b->ip, a->ni)))
		return c < 0 ? -sign : sign;
	for (i = 0; i < a->nf || i < b->nf; i++) {
		char x = i < a->nf ? a->fp[i] : '0', y = i < b->nf ? b->fp[i] : '0';
		if (x != y)
			return x < y ? -sign : sign;
	}
	return 0;
}

/* xsd:double's lexical space: a decimal with an optional exponent, INF, -INF, +INF, NaN. */
static int parse_double(const char *s, size_t n, double *out)
{
	char buf[128], *end;
	size_t i;
	if (n == 3 && !memcmp(s, "NaN", 3)) {
		*out = NAN;
		return 0;
	}
	if ((n == 3 && !memcmp(s, "INF", 3)) || (n == 4 && !memcmp(s, "+INF", 4))) {
		*out = INFINITY;
		return 0;
	}
	if (n == 4 && !memcmp(s, "-INF", 4)) {
		*out = -INFINITY;
		return 0;
	}
	if (!n || n >= sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE", s[i]))
			return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return end == buf + n ? 0 : -1;
}

static int parse_boolean(const value *v, int *out)
{
	if ((v->len == 4 && !memcmp(v->lex, "true", 4)) || (v->len == 1 && v->lex[0] == '1'))
		*out = 1;
	else if ((v->len == 5 && !memcmp(v->lex, "false", 5)) || (v->len == 1 && v->lex[0] == '0'))
		*out = 0;
	else
		return -1;
	return 0;
}

/* c (< 0, 0, > 0) read through the operator: T or F */
static int by_order(int op, int c)
{
	switch (op) {
	case VF_EQ: return c == 0 ? T : F;
	case VF_NE: return c != 0 ? T : F;
	case VF_LT: return c < 0 ? T : F;
	case VF_LE: return c <= 0 ? T : F;
	case VF_GT: return c > 0 ? T : F;
	default: return c >= 0 ? T : F;
	}
}

/* Two numbers; an ill-typed one ("xyz"^^xsd:integer) equals only itself, else is an error. */
static int numeric_compare(int op, const value *a, const value *b)
{
	int eq_op = op == VF_EQ || op == VF_NE;
	if (a->dt != DT_DBL && b->dt != DT_DBL) {
		decimal x, y;
		if (parse_decimal(a->lex, a->len, a->dt == DT_INT, &x) ||
			parse_decimal(b->lex, b->len, b->dt == DT_INT, &y))
			return eq_op && same_term(a, b) ? by_order(op, 0) : E;
		return by_order(op, decimal_cmp(&x, &y));
	} else {
		double x, y;
		decimal d;
		/* the promotion to xsd:double; a decimal or an integer must be valid as one */
		if ((a->dt != DT_DBL && parse_decimal(a->lex, a->len, a->dt == DT_INT, &d)) ||
			(b->dt != DT_DBL && parse_decimal(b->lex, b->len, b->dt == DT_INT, &d)) ||
			parse_double(a->lex, a->len, &x) || parse_double(b->lex, b->len, &y))
			return eq_op && same_term(a, b) ? by_order(op, 0) : E;
		if (isnan(x) || isnan(y))
			return op == VF_NE ? T : F;
		return by_order(op, x < y ? -1 : x > y);
	}
}

/* Two literals, one of them language-tagged. Equal when both are, with the same lexical form
 * and tags that are the same but for case; never equal to another kind of literal. */
static int tagged_compare(int op, const value *a, const value *b)
{
	if (op != VF_EQ && op != VF_NE)
		return a->dt == b->dt ? U : E; /* an order of tagged strings: rasqal's */
	if (a->dt != b->dt)
		return by_order(op, 1);
	return by_order(op, a->len == b->len && !memcmp(a->lex, b->lex, a->len) &&
				    !strcasecmp(a->lang, b->lang) ? 0 : 1);
}

static int compare(kgr__vfilter *f, int op, const kgr__vf_operand *oa, const kgr__vf_operand *ob,
	const kgr_id *values)
{
	value a, b;
	int eq_op = op == VF_EQ || op == VF_NE;
	value_of(f, oa, values, &a);
	value_of(f, ob, values, &b);
	if (op == VF_SAMETERM)
		return same_term(&a, &b) ? T : F;
	if (a.kind != KGR_TERM_LITERAL || b.kind != KGR_TERM_LITERAL) {
		if (!eq_op)
			return E; /* no order between an IRI or a blank node and anything */
		return by_order(op, same_term(&a, &b) ? 0 : 1);
	}
	if (a.dt == DT_LANG || b.dt == DT_LANG)
		return tagged_compare(op, &a, &b);
	if (is_num(a.dt) && is_num(b.dt))
		return numeric_compare(op, &a, &b);
	if (a.dt == DT_STRING && b.dt == DT_STRING) {
		size_t n = a.len < b.len ? a.len : b.len;
		int c = memcmp(a.lex, b.lex, n);
		return by_order(op, c ? c : a.len < b.len ? -1 : a.len > b.len);
	}
	if (a.dt == DT_BOOL && b.dt == DT_BOOL) {
		int x, y;
		if (parse_boolean(&a, &x) || parse_boolean(&b, &y))
			return eq_op && same_term(&a, &b) ? by_order(op, 0) : E;
		return by_order(op, x - y);
	}
	if (eq_op && same_term(&a, &b))
		return by_order(op, 0);
	if (a.dt == DT_OTHER && b.dt == DT_OTHER)
		return U; /* two dates, times, or values of types unknown here: rasqal's */
	/* kinds without an operator between them (a number and a string, a string and a value
	 * of another type...): for = and != too, two literals whose values cannot be told
	 * equal or not are an error (17.4.1.7) */
	return E;
}

static int eval(kgr__vfilter *f, int n, const kgr_id *values)
{
	const kgr__vf_node *nd = &f->node[n];
	int a, b;
	value v;
	switch (nd->op) {
	case VF_AND:
		if ((a = eval(f, nd->a, values)) == U)
			return U;
		if (a == F)
			return F;
		if ((b = eval(f, nd->b, values)) == U || b == F)
			return b;
		return a == E || b == E ? E : T;
	case VF_OR:
		if ((a = eval(f, nd->a, values)) == U)
			return U;
		if (a == T)
			return T;
		if ((b = eval(f, nd->b, values)) == U || b == T)
			return b;
		return a == E || b == E ? E : F;
	case VF_NOT:
		a = eval(f, nd->a, values);
		return a == T ? F : a == F ? T : a;
	case VF_TRUE:
		return T;
	case VF_ISIRI:
	case VF_ISBLANK:
	case VF_ISLITERAL:
	case VF_ISNUMERIC:
		value_of(f, &f->operand[nd->a], values, &v);
		if (nd->op == VF_ISIRI)
			return v.kind == KGR_TERM_IRI ? T : F;
		if (nd->op == VF_ISBLANK)
			return v.kind == KGR_TERM_BLANK ? T : F;
		if (nd->op == VF_ISLITERAL)
			return v.kind == KGR_TERM_LITERAL ? T : F;
		if (v.kind != KGR_TERM_LITERAL || !is_num(v.dt))
			return F;
		{ /* a numeric datatype with a valid lexical form */
			decimal d;
			double x;
			return (v.dt == DT_DBL ? parse_double(v.lex, v.len, &x)
					       : parse_decimal(v.lex, v.len, v.dt == DT_INT, &d)) ? F : T;
		}
	default:
		return compare(f, nd->op, &f->operand[nd->a], &f->operand[nd->b], values);
	}
}

int kgr__vfilter_keep(kgr__vfilter *f, const kgr_id *values)
{
	size_t i;
	for (i = 0; i < f->n_root; i++) {
		int t = eval(f, f->root[i], values);
		if (t == U) {
			f->unsure = 1;
			return -1;
		}
		if (t != T)
			return 0;
	}
	return 1;
}
