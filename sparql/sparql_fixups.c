/* Answers rasqal 0.9.33 gets wrong for queries over nothing, put right after it ran (or
 * instead of running it).
 *
 * - An aggregate query without GROUP BY over no match is one group, the empty one: SPARQL
 *   1.1 (section 18.5) gives one row, COUNT and SUM 0, AVG 0, GROUP_CONCAT "", MIN, MAX and
 *   SAMPLE unbound. rasqal returns no row at all.
 * - CONSTRUCT with an empty template crashes rasqal (segmentation fault); its answer is the
 *   empty graph, whatever the pattern matches.
 * - rasqal formats an infinite or NaN double past the end of its buffer: this file's
 *   rasqal_xsd_format_double() takes the place of rasqal's (below).
 * - GRAPH X {} (an empty pattern) gives rasqal's assertions on stderr and one row whether or
 *   not the graph exists. SPARQL 1.1 gives one row for each named graph that X matches:
 *   before rasqal reads the query, GRAPH ?g {} becomes
 *   { SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } } and GRAPH <g> {} becomes
 *   { SELECT * WHERE { GRAPH <g> { ?s ?p ?o } } LIMIT 1 }, with ?s ?p ?o marker variables
 *   that no result shows. (A named graph with no triple is not in a kgrec store.) */
#include "sparql/rdf_world.h"
#include "sparql/sparql_exists.h"
#include "sparql/sparql_result.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XSD_INTEGER KGR_XSD "integer"

int kgr__sparql_empty_template(rasqal_query *rq)
{
	raptor_sequence *seq;
	if (rasqal_query_get_verb(rq) != RASQAL_QUERY_VERB_CONSTRUCT)
		return 0;
	seq = rasqal_query_get_construct_triples_sequence(rq);
	return !seq || raptor_sequence_size(seq) == 0;
}

/* 1 for the REPLACE(REPLACE(GROUP_CONCAT(...), ...), ...) that a GROUP_CONCAT with a
 * SEPARATOR becomes (sparql/sparql_concat.c): over no match it is "" too. */
static int separated_concat(const rasqal_expression *e)
{
	return e->op == RASQAL_EXPR_REPLACE && e->arg1 && e->arg1->op == RASQAL_EXPR_REPLACE &&
	       e->arg1->arg1 && e->arg1->arg1->op == RASQAL_EXPR_GROUP_CONCAT;
}

void kgr__sparql_aggregate_plan(kgr__agg_plan *plan, rasqal_query *rq)
{
	raptor_sequence *vars, *groups, *having;
	int i, n;
	plan->n = 0;
	if (rasqal_query_get_verb(rq) != RASQAL_QUERY_VERB_SELECT)
		return;
	groups = rasqal_query_get_group_conditions_sequence(rq);
	having = rasqal_query_get_having_conditions_sequence(rq);
	if ((groups && raptor_sequence_size(groups) > 0) || (having && raptor_sequence_size(having) > 0))
		return;
	vars = rasqal_query_get_bound_variable_sequence(rq);
	if (!vars || (n = raptor_sequence_size(vars)) <= 0 || n > (int)sizeof(plan->kind))
		return;
	/* every column must be a plain aggregate: anything else and the row is not known here */
	for (i = 0; i < n; i++) {
		rasqal_variable *v = raptor_sequence_get_at(vars, i);
		if (!v || !v->expression)
			return;
		switch (separated_concat(v->expression) ? RASQAL_EXPR_GROUP_CONCAT : v->expression->op) {
		case RASQAL_EXPR_COUNT: case RASQAL_EXPR_SUM: case RASQAL_EXPR_AVG:
			plan->kind[i] = KGR__AGG_ZERO;
			break;
		case RASQAL_EXPR_GROUP_CONCAT:
			plan->kind[i] = KGR__AGG_EMPTY;
			break;
		case RASQAL_EXPR_MIN: case RASQAL_EXPR_MAX: case RASQAL_EXPR_SAMPLE:
			plan->kind[i] = KGR__AGG_UNBOUND;
			break;
		default:
			return;
		}
	}
	plan->n = n;
}

int kgr__sparql_empty_aggregates(kgr_sparql_result *r, const kgr__agg_plan *plan, rasqal_query *rq,
	long offset, long limit)
{
	int i;
	if (plan->n == 0 || r->kind != KGR_SPARQL_BINDINGS || r->nrows != 0 || (size_t)plan->n != r->ncols ||
		offset > 0 || limit == 0 || rasqal_query_get_offset(rq) > 0 || rasqal_query_get_limit(rq) == 0)
		return 0;
	for (i = 0; i < plan->n; i++) {
		int error;
		if (plan->kind[i] == KGR__AGG_ZERO)
			error = kgr__sparql_push(r, KGR_TERM_LITERAL, "0", 1, NULL, XSD_INTEGER);
		else if (plan->kind[i] == KGR__AGG_EMPTY)
			error = kgr__sparql_push(r, KGR_TERM_LITERAL, "", 0, NULL, NULL);
		else
			error = kgr__sparql_push(r, KGR_TERM_NONE, NULL, 0, NULL, NULL);
		if (error)
			return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	r->nrows = 1;
	return 0;
}

/* rasqal 0.9.33 writes every double it computes with rasqal_xsd_format_double(): "%1.14E",
 * then the mantissa's trailing zeros and the exponent's sign and leading zeros cut, so 1.5 is
 * "1.5E0", 1e6 "1.0E6" and 0.2 "2.0E-1". For INF, -INF and NaN there is no 'E' to find, and
 * it writes one over the string's end and reads on past its 21-byte buffer: a release build
 * answered STR(1.0e300 * 1.0e300) with "INFE" and stray heap bytes, and AddressSanitizer stops
 * at the read. librasqal calls the function through its PLT, so this definition (exported,
 * in an object the library and the command line always link) is the one it calls: the same
 * text for every finite double, and "INF", "-INF", "NaN" (XSD's forms) for the others. The
 * string is malloc()ed, as rasqal frees it with free(). */
__attribute__((visibility("default"))) unsigned char *rasqal_xsd_format_double(double d, size_t *len_p);
__attribute__((visibility("default"))) unsigned char *rasqal_xsd_format_double(double d, size_t *len_p)
{
	char tmp[64], out[64];
	const char *e;
	size_t m;
	unsigned char *buf;

	if (isnan(d))
		snprintf(out, sizeof(out), "NaN");
	else if (isinf(d))
		snprintf(out, sizeof(out), "%s", d < 0 ? "-INF" : "INF");
	else {
		snprintf(tmp, sizeof(tmp), "%1.14E", d);
		if (!(e = strchr(tmp, 'E')))
			return NULL;
		/* the mantissa without trailing zeros, one digit after the point kept */
		m = (size_t)(e - tmp);
		while (m > 0 && tmp[m - 1] == '0' && tmp[m - 2] != '.')
			m--;
		snprintf(out, sizeof(out), "%.*sE%d", (int)m, tmp, atoi(e + 1));
	}
	if (!(buf = malloc(strlen(out) + 1)))
		return NULL;
	memcpy(buf, out, strlen(out) + 1);
	if (len_p)
		*len_p = strlen(out);
	return buf;
}

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Past the graph term at p (a variable, an IRI, a prefixed name), or p when none. */
static const char *graph_term_end(const char *p)
{
	const char *q = p;
	if (*p == '?' || *p == '$') {
		for (q = p + 1; word_char(*q); q++)
			;
		return q > p + 1 ? q : p;
	}
	if (*p == '<')
		return kgr__sparql_skip_opaque(p);
	while (*q && !isspace((unsigned char)*q) && *q != '{' && *q != '#')
		q++;
	return memchr(p, ':', (size_t)(q - p)) ? q : p;
}

/* GRAPH X {} whose keyword ends at p as the sub-select of a row for each graph X matches; p
 * when it is another GRAPH. The marker variables are numbered by where they are written. */
static const char *rewrite_empty_graph(kgr__buf *out, const char *p)
{
	const char *t = kgr__sparql_skip_blank(p), *te = graph_term_end(t), *b = kgr__sparql_skip_blank(te), *e, *c;
	int var = *t == '?' || *t == '$';
	size_t n = out->len;
	if (te == t || *b != '{' || *(e = kgr__sparql_skip_blank(b + 1)) != '}')
		return p;
	if (var)
		kgr__buf_printf(out, "{ SELECT DISTINCT %.*s WHERE { GRAPH %.*s", (int)(te - t), t, (int)(te - t), t);
	else
		kgr__buf_printf(out, "{ SELECT * WHERE { GRAPH %.*s", (int)(te - t), t);
	kgr__buf_printf(out, " { ?" KGR__EXISTS_VAR "g%zu_s ?" KGR__EXISTS_VAR "g%zu_p ?" KGR__EXISTS_VAR "g%zu_o } } %s}",
		n, n, n, var ? "" : "LIMIT 1 ");
	for (c = p; c < e; c++)
		if (*c == '\n')
			kgr__buf_puts(out, "\n");
	return e + 1;
}

char *kgr__sparql_empty_graph_rewrite(const char *text, int *oom)
{
	return kgr__sparql_rewrite_calls(text, oom, "GRAPH", rewrite_empty_graph);
}
