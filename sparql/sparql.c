/* SPARQL over a kgr_store: rasqal parses and evaluates, a triples source reads the store.
 *
 * librdf's own bridge to rasqal deletes the query's dataset before evaluation, so GRAPH
 * patterns never match through it (measured with rasqal 0.9.33 / librdf 1.0.17), and it
 * converts every matched term twice (id -> librdf node -> rasqal literal). kgrec therefore
 * installs its own rasqal triples source on the rasqal world owned by the librdf world: it
 * declares the store's named graphs as the query's named graphs, maps pattern terms to ids,
 * walks kgr_store_match() and hands out cached rasqal literals per term id. The default
 * graph is the union of all graphs, each triple once.
 *
 * Around rasqal 0.9.33's gaps (docs/SPARQL.md has the measurements): DESCRIBE is answered
 * here with Concise Bounded Descriptions; SPARQL Update and SERVICE are refused; EXISTS and
 * MINUS are evaluated by the triples source (sparql/sparql_exists.h); the
 * one-variable VALUES form is rewritten to the form rasqal reads right; a top-level
 * DISTINCT (with its OFFSET/LIMIT) and COUNT(DISTINCT ?v) columns (sparql_group.c) are done here
 * (rasqal leaks on the first and miscounts the second); sparql/sparql_reorder.c puts the most
 * selective triple patterns first. */
#include "sparql/rdf_world.h"
#include "sparql/sparql_exists.h"
#include "sparql/sparql_path.h"
#include "sparql/sparql_bgp.h"
#include "sparql/sparql_vfilter.h"
#include "sparql/sparql_child.h"
#include "sparql/sparql_result.h"
#include "kg/store_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_BASE "https://w3id.org/kgrec/query"

/* ---- results ---- */

struct kgr_arena_block {
	kgr_arena_block *next;
	size_t used, cap;
	char data[];
};

kgr_sparql_result *kgr__sparql_result_new(kgr_sparql_kind kind)
{
	kgr_sparql_result *r = calloc(1, sizeof(*r));
	if (r)
		r->kind = kind;
	return r;
}

char *kgr__sparql_strdup(kgr_sparql_result *r, const char *s, size_t len)
{
	kgr_arena_block *b = r->arena;
	char *p;
	if (!b || b->cap - b->used < len + 1) {
		size_t cap = len + 1 > 65536 ? len + 1 : 65536;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = r->arena;
		r->arena = b;
	}
	p = b->data + b->used;
	memcpy(p, s, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

int kgr__sparql_push(kgr_sparql_result *r, kgr_term_kind kind, const char *value, size_t len,
	const char *lang, const char *datatype)
{
	kgr_sparql_term *t;
	if (r->ncells == r->cap_cells) {
		size_t cap = r->cap_cells ? r->cap_cells * 2 : 64;
		kgr_sparql_term *cells = realloc(r->cells, cap * sizeof(*cells));
		if (!cells)
			return KGR_ENOMEM;
		r->cells = cells;
		r->cap_cells = cap;
	}
	t = &r->cells[r->ncells];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (kind != KGR_TERM_NONE) {
		t->value = kgr__sparql_strdup(r, value ? value : "", value ? len : 0);
		t->len = value ? len : 0;
		t->lang = lang && *lang ? kgr__sparql_strdup(r, lang, strlen(lang)) : NULL;
		t->datatype = datatype ? kgr__sparql_strdup(r, datatype, strlen(datatype)) : NULL;
		if (!t->value || (lang && *lang && !t->lang) || (datatype && !t->datatype))
			return KGR_ENOMEM;
	}
	r->ncells++;
	return 0;
}

void kgr_sparql_result_free(kgr_sparql_result *r)
{
	kgr_arena_block *b, *next;
	if (!r)
		return;
	for (b = r->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	free(r->cols);
	free(r->cells);
	free(r);
}

kgr_sparql_kind kgr_sparql_result_kind(const kgr_sparql_result *r)
{
	return r->kind;
}

int kgr_sparql_result_truncated(const kgr_sparql_result *r)
{
	return r->truncated;
}

size_t kgr_sparql_result_column_count(const kgr_sparql_result *r)
{
	return r->kind == KGR_SPARQL_BINDINGS ? r->ncols : 0;
}

const char *kgr_sparql_result_column_name(const kgr_sparql_result *r, size_t i)
{
	return r->kind == KGR_SPARQL_BINDINGS && i < r->ncols ? r->cols[i] : NULL;
}

size_t kgr_sparql_result_row_count(const kgr_sparql_result *r)
{
	return r->kind == KGR_SPARQL_BINDINGS ? r->nrows : 0;
}

int kgr_sparql_result_get(const kgr_sparql_result *r, size_t row, size_t col, kgr_sparql_term *out)
{
	memset(out, 0, sizeof(*out));
	if (r->kind != KGR_SPARQL_BINDINGS || row >= r->nrows || col >= r->ncols)
		return 0;
	*out = r->cells[row * r->ncols + col];
	return out->kind != KGR_TERM_NONE;
}

int kgr_sparql_result_boolean(const kgr_sparql_result *r)
{
	return r->kind == KGR_SPARQL_BOOLEAN ? r->boolean : 0;
}

size_t kgr_sparql_result_triple_count(const kgr_sparql_result *r)
{
	return r->kind == KGR_SPARQL_GRAPH ? r->ntriples : 0;
}

int kgr_sparql_result_triple(const kgr_sparql_result *r, size_t i, kgr_sparql_term *s,
	kgr_sparql_term *p, kgr_sparql_term *o)
{
	if (r->kind != KGR_SPARQL_GRAPH || i >= r->ntriples)
		return 0;
	if (s)
		*s = r->cells[3 * i];
	if (p)
		*p = r->cells[3 * i + 1];
	if (o)
		*o = r->cells[3 * i + 2];
	return 1;
}

/* ---- evaluation context and the literal cache ---- */

#define EXEC_MAGIC 0x6b677271u

/* An ORDER BY that kgrec sorts itself (order_by_kgrec()): its variables (names owned by the
 * query read first), whether each is descending, and the OFFSET and LIMIT after it. A variable
 * the query does not project is sorted by as a hidden column (var a name of ORDER_HIDDEN,
 * hide the variable's own name), which the result loses with the EXISTS markers. */
#define ORDER_MAX 8
typedef struct {
	size_t n;
	const char *var[ORDER_MAX];
	const char *hide[ORDER_MAX];
	int desc[ORDER_MAX];
	long offset, limit;
} order_by;

/* The answers of one path pattern with both ends free (exec_ctx.memo). */
#define PATH_MEMO 8
typedef struct {
	const kgr__path_set *set;
	int path;
	kgr_id graph;
	kgr__path_pair *pairs;
	size_t n;
} path_memo_entry;

typedef struct {
	unsigned int magic; /* EXEC_MAGIC: the query was started by kgr_sparql_query() */
	const kgr_store *store;
	rasqal_world *rw;
	raptor_world *raptor;
	struct timespec deadline;
	int has_deadline;
	int timed_out;
	unsigned int ticks;
	/* open-addressing map id -> rasqal literal (one reference held here) */
	kgr_id *keys;
	rasqal_literal **vals;
	size_t cap, count;
	/* the xsd:boolean literals whose lexical form make_literal() put back (rasqal had
	 * rewritten it), with that copy and the static string rasqal had set */
	rasqal_literal **restored;
	const unsigned char **restored_copy, **restored_orig;
	size_t nrestored, cap_restored;
	/* the literals written in the expressions of the query being executed, and its text
	 * (VALUES): a result gives them as written */
	rasqal_literal **consts;
	size_t nconsts, cap_consts;
	const char *text;
	int oom;
	/* the dataset: the default graph is the merge of the graphs in from[] (and the unnamed
	 * graph, g = 0, when from_unnamed) when restrict_default, else of all graphs; the named
	 * graphs are those in named[] when restrict_named, else every named graph */
	int restrict_default, from_unnamed, restrict_named;
	int unnamed_default; /* the option: without FROM, the default graph is g = 0 alone */
	kgr_id *from, *named;
	size_t nfrom, nnamed;
	/* the property paths of the query (sparql/sparql_path.c) and its text with them replaced */
	kgr__path_set *paths;
	char *path_text;
	/* EXISTS / MINUS (sparql/sparql_exists.c): the patterns, the rewritten text, how deep in
	 * patterns run on their own the evaluation is, and the first error of one of them */
	kgr__neg_set negs;
	char *neg_text;
	char *aj_text;  /* OPTIONAL / !BOUND written as FILTER NOT EXISTS (sparql_exists.c) */
	char *sub_text; /* a lone DISTINCT sub-select's rows as VALUES (sparql_subselect.c) */
	kgr_sparql_result *answer; /* the query's answer, found before rasqal read it */
	/* the answers of path patterns evaluated with both ends free, kept for the query: rasqal
	 * evaluates the right side of an OPTIONAL (and a nested group) again for every row on
	 * its left, with the variables it binds first freed (unbind_parts()) */
	path_memo_entry memo[PATH_MEMO];
	size_t nmemo;
	/* the top-level SELECT's ORDER BY when kgrec sorts, and the text without it */
	order_by order;
	char *order_text;
	const char *base_iri;
	int nesting;
	int neg_error;
	char neg_msg[512];
	/* the FILTER expressions of the group that bgp_form() read last */
	kgr__vfilter vf;
	/* the values of the free end of path patterns with one end written (bgp_path_set()) */
	struct {
		int path;
		kgr_id s, o;
		kgr_id *vals;
		size_t n;
	} pset[KGR__BGP_MAX];
	size_t npset;
} exec_ctx;

static void exec_free(exec_ctx *ex)
{
	size_t i;
	/* a boolean's string is rasqal's static "true" / "false": give it back before the free
	 * (unless rasqal already did: it makes a value native again before comparing it, and
	 * then frees the copy itself) */
	for (i = 0; i < ex->nrestored; i++) {
		rasqal_literal *l = ex->restored[i];
		if (l->string == ex->restored_copy[i]) {
			rasqal_free_memory((void *)l->string);
			l->string = ex->restored_orig[i];
			l->string_len = (unsigned int)strlen((const char *)l->string);
		}
	}
	for (i = 0; i < ex->cap; i++)
		if (ex->keys[i])
			rasqal_free_literal(ex->vals[i]);
	free(ex->keys);
	free(ex->vals);
	free(ex->restored);
	free(ex->restored_copy);
	free(ex->restored_orig);
	free(ex->consts);
	ex->restored = NULL;
	ex->restored_copy = ex->restored_orig = NULL;
	ex->nrestored = ex->cap_restored = 0;
	ex->consts = NULL;
	ex->nconsts = ex->cap_consts = 0;
	free(ex->from);
	free(ex->named);
	kgr__path_set_free(ex->paths);
	free(ex->path_text);
	kgr__neg_set_free(&ex->negs);
	free(ex->neg_text);
	ex->neg_text = NULL;
	free(ex->aj_text);
	ex->aj_text = NULL;
	free(ex->sub_text);
	ex->sub_text = NULL;
	kgr_sparql_result_free(ex->answer);
	ex->answer = NULL;
	free(ex->order_text);
	ex->order_text = NULL;
	for (i = 0; i < PATH_MEMO; i++) {
		free(ex->memo[i].pairs);
		ex->memo[i].pairs = NULL;
		ex->memo[i].set = NULL;
	}
	for (i = 0; i < ex->npset; i++)
		free(ex->pset[i].vals);
	ex->npset = 0;
	ex->nmemo = 0;
	ex->paths = NULL;
	ex->path_text = NULL;
	ex->keys = NULL;
	ex->vals = NULL;
	ex->from = ex->named = NULL;
	ex->cap = ex->count = 0;
}

static int id_listed(const kgr_id *ids, size_t n, kgr_id id)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* Whether a quad of graph @p g belongs to the dataset: to the default graph (in_graph 0,
 * a pattern outside GRAPH) or to a named graph (in_graph 1, inside GRAPH, where the unnamed
 * graph g = 0 never matches). */
static int graph_in_dataset(const exec_ctx *ex, kgr_id g, int in_graph)
{
	if (in_graph)
		return g != 0 && (!ex->restrict_named || id_listed(ex->named, ex->nnamed, g));
	if (!ex->restrict_default)
		return 1;
	return g == 0 ? ex->from_unnamed : id_listed(ex->from, ex->nfrom, g);
}

/* Also 1 once rasqal has logged an error (an invalid regular expression, say): the query
 * fails then anyway (collect()), and reading on would only let it run into its time limit,
 * which would then be reported instead of the error. */
static int deadline_passed(exec_ctx *ex)
{
	struct timespec now;
	if (kgr__rdf_log()->errors || ex->neg_error)
		return 1;
	if (!ex->has_deadline)
		return 0;
	if (ex->timed_out)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > ex->deadline.tv_sec ||
		(now.tv_sec == ex->deadline.tv_sec && now.tv_nsec >= ex->deadline.tv_nsec))
		ex->timed_out = 1;
	return ex->timed_out;
}

/* Checks the clock every 1024 calls: cheap enough for the innermost loop. */
static int tick(exec_ctx *ex)
{
	if (kgr__rdf_log()->errors || ex->neg_error)
		return 1;
	if (!ex->has_deadline)
		return 0;
	if (ex->timed_out)
		return 1;
	if ((++ex->ticks & 1023u) != 0)
		return 0;
	return deadline_passed(ex);
}

static char *rasqal_copy(const char *s, size_t len)
{
	char *p = rasqal_alloc_memory(len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* rasqal rewrites the lexical form of an xsd:boolean ("0" becomes "false"), xsd:date and
 * xsd:dateTime (a time zone "+00:00" becomes "-00:00") when it makes the literal; the value
 * it keeps beside the string is what it compares and computes with. A term of the data is
 * given back exactly as stored, so its own lexical form is put back into the string, which
 * rasqal copies into results and returns from STR(). A boolean's string is one of two static
 * strings of rasqal that it never frees: exec_free() puts that back before the last free. */
static int restore_lexical(exec_ctx *ex, rasqal_literal *l, const char *lex, size_t len)
{
	unsigned char *copy;
	if (l->type != RASQAL_LITERAL_BOOLEAN && l->type != RASQAL_LITERAL_DATE &&
		l->type != RASQAL_LITERAL_DATETIME)
		return 0;
	if (l->string && l->string_len == len && !memcmp(l->string, lex, len))
		return 0;
	if (l->type == RASQAL_LITERAL_BOOLEAN && ex->nrestored == ex->cap_restored) {
		size_t cap = ex->cap_restored ? ex->cap_restored * 2 : 16;
		rasqal_literal **v = realloc(ex->restored, cap * sizeof(*v));
		const unsigned char **c, **o;
		if (!v)
			return -1;
		ex->restored = v;
		if (!(c = realloc(ex->restored_copy, cap * sizeof(*c))))
			return -1;
		ex->restored_copy = c;
		if (!(o = realloc(ex->restored_orig, cap * sizeof(*o))))
			return -1;
		ex->restored_orig = o;
		ex->cap_restored = cap;
	}
	if (!(copy = (unsigned char *)rasqal_copy(lex, len)))
		return -1;
	if (l->type == RASQAL_LITERAL_BOOLEAN) {
		ex->restored[ex->nrestored] = l;
		ex->restored_copy[ex->nrestored] = copy;
		ex->restored_orig[ex->nrestored++] = l->string;
	} else {
		rasqal_free_memory((void *)l->string); /* rasqal's own, freed with the literal */
	}
	l->string = copy;
	l->string_len = (unsigned int)len;
	return 0;
}

static rasqal_literal *make_literal(exec_ctx *ex, kgr_id id)
{
	size_t len = 0;
	const char *value = kgr_term_value(ex->store, id, &len);
	if (!value)
		return NULL;
	switch (kgr_term_kind_of(ex->store, id)) {
	case KGR_TERM_IRI: {
		raptor_uri *u = raptor_new_uri_from_counted_string(ex->raptor,
			(const unsigned char *)value, len);
		return u ? rasqal_new_uri_literal(ex->rw, u) : NULL;
	}
	case KGR_TERM_BLANK: {
		char *b = rasqal_copy(value, len);
		return b ? rasqal_new_simple_literal(ex->rw, RASQAL_LITERAL_BLANK, (unsigned char *)b)
			 : NULL;
	}
	case KGR_TERM_LITERAL: {
		const char *lang = kgr_term_lang(ex->store, id);
		kgr_id dt = kgr_term_datatype(ex->store, id);
		char *lex = rasqal_copy(value, len), *lang_copy = NULL;
		raptor_uri *dt_uri = NULL;
		rasqal_literal *l;
		if (!lex)
			return NULL;
		if (lang && *lang && !(lang_copy = rasqal_copy(lang, strlen(lang)))) {
			rasqal_free_memory(lex);
			return NULL;
		}
		if (dt) {
			dt_uri = raptor_new_uri(ex->raptor,
				(const unsigned char *)kgr_term_value(ex->store, dt, NULL));
			if (!dt_uri) {
				rasqal_free_memory(lex);
				if (lang_copy)
					rasqal_free_memory(lang_copy);
				return NULL;
			}
		}
		/* takes lex, lang_copy and dt_uri */
		l = rasqal_new_string_literal(ex->rw, (unsigned char *)lex, lang_copy, dt_uri, NULL);
		if (l && restore_lexical(ex, l, value, len)) {
			rasqal_free_literal(l);
			return NULL;
		}
		return l;
	}
	default:
		return NULL;
	}
}

/* A new reference to the literal of a term (rasqal literals are reference counted). */
static rasqal_literal *id_literal(exec_ctx *ex, kgr_id id)
{
	size_t i;
	if (ex->count * 2 >= ex->cap) {
		size_t cap = ex->cap ? ex->cap * 2 : 1024, j;
		kgr_id *keys = calloc(cap, sizeof(*keys));
		rasqal_literal **vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals) {
			free(keys);
			free(vals);
			ex->oom = 1;
			return NULL;
		}
		for (j = 0; j < ex->cap; j++) {
			if (!ex->keys[j])
				continue;
			i = (ex->keys[j] * 2654435761u) & (cap - 1);
			while (keys[i])
				i = (i + 1) & (cap - 1);
			keys[i] = ex->keys[j];
			vals[i] = ex->vals[j];
		}
		free(ex->keys);
		free(ex->vals);
		ex->keys = keys;
		ex->vals = vals;
		ex->cap = cap;
	}
	i = (id * 2654435761u) & (ex->cap - 1);
	while (ex->keys[i] && ex->keys[i] != id)
		i = (i + 1) & (ex->cap - 1);
	if (!ex->keys[i]) {
		rasqal_literal *l = make_literal(ex, id);
		if (!l) {
			ex->oom = 1;
			return NULL;
		}
		ex->keys[i] = id;
		ex->vals[i] = l;
		ex->count++;
	}
	return rasqal_new_literal_from_literal(ex->vals[i]);
}

/* An IRI's id, or the store's blank node that an EXISTS pattern wrote as
 * <urn:x-kgrec:bnode:ID> (a blank node label in a query would be a new variable). */
static kgr_id neg_bnode_id(exec_ctx *ex, const char *iri)
{
	size_t n = strlen(KGR__BNODE_IRI);
	unsigned long id;
	char *end;
	if (strncmp(iri, KGR__BNODE_IRI, n))
		return kgr_store_iri(ex->store, iri);
	id = strtoul(iri + n, &end, 10);
	if (*end || !id || id >= KGR__NOT_STORED || kgr_term_kind_of(ex->store, (kgr_id)id) != KGR_TERM_BLANK)
		return 0;
	return (kgr_id)id;
}

/* Id of a constant term of a query; 0 when the store does not have it. */
static kgr_id literal_id(exec_ctx *ex, rasqal_literal *l)
{
	switch (rasqal_literal_get_rdf_term_type(l)) {
	case RASQAL_LITERAL_URI:
		if (ex->negs.n)
			return neg_bnode_id(ex, (const char *)raptor_uri_as_string(l->value.uri));
		return kgr_store_iri(ex->store, (const char *)raptor_uri_as_string(l->value.uri));
	case RASQAL_LITERAL_BLANK:
		return kgr_store_blank(ex->store, (const char *)l->string);
	case RASQAL_LITERAL_STRING: {
		size_t len = 0;
		const unsigned char *lex = rasqal_literal_as_counted_string(l, &len, 0, NULL);
		raptor_uri *dt = rasqal_literal_datatype(l);
		if (!lex)
			return 0;
		return kgr__store_literal_id(ex->store, (const char *)lex, len, l->language,
			dt ? (const char *)raptor_uri_as_string(dt) : NULL);
	}
	default:
		return 0;
	}
}

/* ---- the triples source ---- */

typedef struct {
	exec_ctx *ex;
	kgr_iter it;
	kgr_quad cur;
	int have;
	int union_mode;
	int in_graph; /* the pattern is inside GRAPH: named graphs only */
	/* a path pattern: its answers, computed at the start (path_rows()) */
	int is_path;
	kgr_quad *rows;
	size_t nrows, next;
	rasqal_literal *foreign; /* the constant end that FOREIGN_ID stands for */
} match_ctx;

/* In a path's answer, the constant end the store does not hold (a zero-length path gives it
 * to itself); term ids never come near it. */
#define FOREIGN_ID ((kgr_id)0xfffffffeu)
/* The value of an EXISTS / MINUS marker variable (sparql/sparql_exists.h) */
#define TRUE_ID ((kgr_id)0xfffffffdu)
#define FALSE_ID ((kgr_id)0xfffffffcu)

static void match_advance(match_ctx *mc)
{
	kgr_quad q;
	if (tick(mc->ex)) {
		mc->have = 0;
		return;
	}
	if (mc->is_path) {
		mc->have = mc->next < mc->nrows;
		if (mc->have)
			mc->cur = mc->rows[mc->next++];
		return;
	}
	while (kgr_iter_next(&mc->it, &q)) {
		if (!graph_in_dataset(mc->ex, q.g, mc->in_graph))
			continue;
		if (mc->union_mode && mc->have && q.s == mc->cur.s && q.p == mc->cur.p && q.o == mc->cur.o)
			continue;
		mc->cur = q;
		mc->have = 1;
		return;
	}
	mc->have = 0;
}

static int bind_var(match_ctx *mc, rasqal_variable *v, kgr_id id)
{
	rasqal_literal *l = id == FOREIGN_ID ? rasqal_new_literal_from_literal(mc->foreign) :
			    id == TRUE_ID || id == FALSE_ID ? rasqal_new_boolean_literal(mc->ex->rw, id == TRUE_ID) :
			    id ? id_literal(mc->ex, id) : NULL;
	if (id && !l)
		return 0;
	rasqal_variable_set_value(v, l);
	return 1;
}

static rasqal_triple_parts match_bind(struct rasqal_triples_match_s *rtm, void *user_data,
	rasqal_variable *bindings[4], rasqal_triple_parts parts)
{
	match_ctx *mc = rtm->user_data;
	unsigned int result = 0;
	(void)user_data;
	if (!mc->have)
		return (rasqal_triple_parts)0;
	if (bindings[0] && (parts & RASQAL_TRIPLE_SUBJECT)) {
		if (!bind_var(mc, bindings[0], mc->cur.s))
			return (rasqal_triple_parts)0;
		result |= RASQAL_TRIPLE_SUBJECT;
	}
	if (bindings[1] && (parts & RASQAL_TRIPLE_PREDICATE)) {
		if (bindings[0] == bindings[1]) {
			if (mc->cur.s != mc->cur.p)
				return (rasqal_triple_parts)0;
		} else {
			if (!bind_var(mc, bindings[1], mc->cur.p))
				return (rasqal_triple_parts)0;
			result |= RASQAL_TRIPLE_PREDICATE;
		}
	}
	if (bindings[2] && (parts & RASQAL_TRIPLE_OBJECT)) {
		int bind = 1;
		if (bindings[0] == bindings[2]) {
			if (mc->cur.s != mc->cur.o)
				return (rasqal_triple_parts)0;
			bind = 0;
		}
		if (bindings[1] == bindings[2] && bindings[0] != bindings[1]) {
			if (mc->cur.p != mc->cur.o)
				return (rasqal_triple_parts)0;
			bind = 0;
		}
		if (bind) {
			if (!bind_var(mc, bindings[2], mc->cur.o))
				return (rasqal_triple_parts)0;
			result |= RASQAL_TRIPLE_OBJECT;
		}
	}
	if (bindings[3] && (parts & RASQAL_TRIPLE_ORIGIN)) {
		if (!bind_var(mc, bindings[3], mc->cur.g))
			return (rasqal_triple_parts)0;
		result |= RASQAL_TRIPLE_ORIGIN;
	}
	return (rasqal_triple_parts)result;
}

static void match_next(struct rasqal_triples_match_s *rtm, void *user_data)
{
	(void)user_data;
	match_advance(rtm->user_data);
}

static int match_is_end(struct rasqal_triples_match_s *rtm, void *user_data)
{
	(void)user_data;
	return !((match_ctx *)rtm->user_data)->have;
}

static void match_finish(struct rasqal_triples_match_s *rtm, void *user_data)
{
	match_ctx *mc = rtm->user_data;
	(void)user_data;
	if (mc) {
		free(mc->rows);
		if (mc->foreign)
			rasqal_free_literal(mc->foreign);
	}
	free(rtm->user_data);
	rtm->user_data = NULL;
}

/* One position of a pattern: 1 with *id (0 when free), or 0 when nothing can match. */
static int position_id(exec_ctx *ex, rasqal_literal *l, rasqal_variable **var_out, kgr_id *id)
{
	rasqal_variable *v = rasqal_literal_as_variable(l);
	*id = 0;
	if (var_out)
		*var_out = v;
	if (v) {
		if (!v->value)
			return 1;
		l = v->value;
	}
	*id = literal_id(ex, l);
	return *id != 0;
}

/* ---- property paths (sparql/sparql_path.c) ---- */

static int path_in_default(void *payload, kgr_id g)
{
	return graph_in_dataset(payload, g, 0);
}

static int path_stop(void *payload)
{
	return tick(payload);
}

/* The path a pattern's predicate stands for, or -1. */
static int pattern_path(exec_ctx *ex, rasqal_triple *t)
{
	if (!ex->paths || !t->predicate || t->predicate->type != RASQAL_LITERAL_URI)
		return -1;
	return kgr__path_lookup(ex->paths, (const char *)raptor_uri_as_string(t->predicate->value.uri));
}

/* A quad of a path's answers: 0 (out of memory sets ex->oom). */
static int row_push(match_ctx *mc, size_t *cap, kgr_id s, kgr_id o, kgr_id g)
{
	kgr_quad *q;
	if (mc->nrows == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		kgr_quad *rows = realloc(mc->rows, c * sizeof(*rows));
		if (!rows) {
			mc->ex->oom = 1;
			return -1;
		}
		mc->rows = rows;
		*cap = c;
	}
	q = &mc->rows[mc->nrows++];
	q->s = s;
	q->p = 0;
	q->o = o;
	q->g = g;
	return 0;
}

/* The kept answers of @p path with both ends free in @p graph, or NULL. */
static path_memo_entry *path_memo(exec_ctx *ex, int path, kgr_id graph)
{
	size_t i;
	for (i = 0; i < PATH_MEMO; i++)
		if (ex->memo[i].set == ex->paths && ex->memo[i].path == path && ex->memo[i].graph == graph &&
			ex->memo[i].set)
			return &ex->memo[i];
	return NULL;
}

/* Keeps @p pairs (taken) as those answers, in place of the oldest kept. */
static void path_memo_keep(exec_ctx *ex, int path, kgr_id graph, kgr__path_pair *pairs, size_t n)
{
	size_t i = ex->nmemo++ % PATH_MEMO;
	free(ex->memo[i].pairs);
	ex->memo[i].set = ex->paths;
	ex->memo[i].path = path;
	ex->memo[i].graph = graph;
	ex->memo[i].pairs = pairs;
	ex->memo[i].n = n;
}

/* The answers of a path pattern in one active graph (env->graph). A constant end the store
 * lacks (s or o FOREIGN_ID) meets only zero-length paths; an end that is a variable bound
 * by an earlier pattern must be a node of the graph (spec 18.4: a zero-length path joins
 * only the graph's nodes). */
static int path_rows_in(match_ctx *mc, size_t *cap, const kgr__path_env *env, int path,
	kgr_id s, kgr_id o, int s_var, int o_var, int same_var)
{
	path_memo_entry *memo = NULL;
	kgr__path_pair *pairs = NULL;
	size_t n = 0, i;
	kgr_id g = env->graph == KGR_ANY_GRAPH ? 0 : env->graph;
	int error;
	if (s == FOREIGN_ID || o == FOREIGN_ID) {
		n = kgr__path_nullable(mc->ex->paths, path);
		for (i = 0; i < n; i++)
			if (row_push(mc, cap, FOREIGN_ID, FOREIGN_ID, g))
				return -1;
		return 0;
	}
	if ((s && s_var && !kgr__path_node_in_graph(env, s)) || (o && o_var && !kgr__path_node_in_graph(env, o)))
		return 0;
	if (!s && !o && (memo = path_memo(mc->ex, path, env->graph))) {
		pairs = memo->pairs;
		n = memo->n;
		error = 0;
	} else {
		error = kgr__path_eval(&pairs, &n, mc->ex->paths, path, env, s, o);
	}
	if (error == KGR_ENOMEM)
		mc->ex->oom = 1;
	for (i = 0; !error && i < n; i++)
		if ((!same_var || pairs[i].s == pairs[i].o) && row_push(mc, cap, pairs[i].s, pairs[i].o, g))
			error = -1;
	if (!error && !s && !o && !memo)
		path_memo_keep(mc->ex, path, env->graph, pairs, n);
	else if (!memo)
		free(pairs);
	return error ? -1 : 0;
}

/* One end of a path pattern: its id (0 when free, FOREIGN_ID for a constant or a value the
 * store lacks, with *lit set); *is_var when it is a variable that has a value. */
static kgr_id path_end(exec_ctx *ex, rasqal_literal *l, int *is_var, rasqal_literal **lit)
{
	rasqal_variable *v = rasqal_literal_as_variable(l);
	kgr_id id;
	*is_var = v != NULL;
	*lit = v ? v->value : l;
	if (v && !v->value)
		return 0;
	id = literal_id(ex, *lit);
	return id ? id : FOREIGN_ID;
}

/* All answers of a path pattern into mc->rows: in the default graph, in the graph the
 * pattern names, or in each named graph of the dataset for an unbound GRAPH variable. */
static void path_rows(exec_ctx *ex, match_ctx *mc, rasqal_triple *t, int path)
{
	kgr__path_env env = { ex->store, KGR_ANY_GRAPH, path_in_default, path_stop, ex };
	rasqal_literal *sl, *ol;
	int s_var, o_var, same;
	kgr_id s = path_end(ex, t->subject, &s_var, &sl), o = path_end(ex, t->object, &o_var, &ol);
	size_t cap = 0, i, n = 0;
	const kgr_id *graphs;
	mc->is_path = 1;
	same = s_var && o_var && rasqal_literal_as_variable(t->subject) == rasqal_literal_as_variable(t->object);
	/* a value a variable has that the store lacks is in no graph; two foreign constants
	 * meet only when they are the same term */
	if ((s == FOREIGN_ID && (s_var || (o && o != FOREIGN_ID))) ||
		(o == FOREIGN_ID && (o_var || (s && s != FOREIGN_ID))) ||
		(s == FOREIGN_ID && o == FOREIGN_ID && !rasqal_literal_equals(sl, ol)))
		return;
	if ((s == FOREIGN_ID || o == FOREIGN_ID) &&
		!(mc->foreign = rasqal_new_literal_from_literal(s == FOREIGN_ID ? sl : ol))) {
		ex->oom = 1;
		return;
	}
	if (!t->origin) {
		path_rows_in(mc, &cap, &env, path, s, o, s_var, o_var, same);
		return;
	}
	if (rasqal_literal_as_variable(t->origin) && !rasqal_literal_as_variable(t->origin)->value) {
		graphs = kgr_store_graphs(ex->store, &n);
		for (i = 0; i < n; i++) {
			if (!graph_in_dataset(ex, graphs[i], 1))
				continue;
			env.graph = graphs[i];
			if (path_rows_in(mc, &cap, &env, path, s, o, s_var, o_var, same))
				return;
		}
		return;
	}
	if (!position_id(ex, t->origin, NULL, &env.graph) || !graph_in_dataset(ex, env.graph, 1))
		return;
	path_rows_in(mc, &cap, &env, path, s, o, s_var, o_var, same);
}

/* ---- EXISTS and MINUS (sparql/sparql_exists.h) ---- */

/* The triples source's own data: the context and the rasqal query it serves, whose
 * variables hold the current solution when a marker pattern is reached. */
typedef struct {
	exec_ctx *ex;
	rasqal_query *query;
	/* the variables of GRAPH ?g patterns, sub-SELECTs included (ts_init_match) */
	rasqal_variable **graph_vars;
	size_t n_graph_vars;
} ts_data;

static int prepare(rasqal_query **rq_out, rasqal_world *rw, raptor_world *raptor, const char *text,
	const char *base_iri);

/* Keeps the first error of an EXISTS or MINUS pattern; the query fails with it at the end
 * (rasqal goes on reading until the triples source reports the end). */
static int neg_fail(exec_ctx *ex, int code)
{
	if (!ex->neg_error) {
		ex->neg_error = code;
		snprintf(ex->neg_msg, sizeof(ex->neg_msg), "%s", kgr_error_last());
	}
	return code;
}

static void put_escaped(kgr__buf *b, const unsigned char *s, size_t len)
{
	size_t i;
	kgr__buf_puts(b, "\"");
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			kgr__buf_printf(b, "\\%c", s[i]);
		else if (s[i] == '\n')
			kgr__buf_puts(b, "\\n");
		else if (s[i] == '\r')
			kgr__buf_puts(b, "\\r");
		else
			kgr__buf_put(b, (const char *)&s[i], 1);
	}
	kgr__buf_puts(b, "\"");
}

/* A term in SPARQL syntax; a blank node of the store as <urn:x-kgrec:bnode:ID>. 0, or -1. */
static int term_text(exec_ctx *ex, rasqal_literal *l, kgr__buf *b)
{
	switch (rasqal_literal_get_rdf_term_type(l)) {
	case RASQAL_LITERAL_URI:
		kgr__buf_printf(b, "<%s>", (const char *)raptor_uri_as_string(l->value.uri));
		return 0;
	case RASQAL_LITERAL_BLANK: {
		kgr_id id = literal_id(ex, l);
		if (!id)
			return -1;
		kgr__buf_printf(b, "<" KGR__BNODE_IRI "%u>", (unsigned)id);
		return 1;
	}
	case RASQAL_LITERAL_STRING: {
		size_t len = 0;
		const unsigned char *lex = rasqal_literal_as_counted_string(l, &len, 0, NULL);
		raptor_uri *dt = rasqal_literal_datatype(l);
		if (!lex)
			return -1;
		put_escaped(b, lex, len);
		if (l->language && *l->language)
			kgr__buf_printf(b, "@%s", l->language);
		else if (dt)
			kgr__buf_printf(b, "^^<%s>", (const char *)raptor_uri_as_string(dt));
		return 0;
	}
	default:
		return -1;
	}
}

/* The value variable @p name has in @p query now, or NULL. */
static rasqal_literal *var_value(rasqal_query *query, const char *name)
{
	raptor_sequence *seq = rasqal_query_get_all_variable_sequence(query);
	int i, n = seq ? raptor_sequence_size(seq) : 0;
	for (i = 0; i < n; i++) {
		rasqal_variable *v = raptor_sequence_get_at(seq, i);
		if (v && !strcmp((const char *)v->name, name))
			return v->value;
	}
	return NULL;
}

/* "GRAPH <g> { " for a pattern run on its own in the active graph g. */
static void put_graph(exec_ctx *ex, kgr__buf *b, kgr_id g)
{
	if (kgr_term_kind_of(ex->store, g) == KGR_TERM_BLANK)
		kgr__buf_printf(b, "GRAPH <" KGR__BNODE_IRI "%u> { ", (unsigned)g);
	else
		kgr__buf_printf(b, "GRAPH <%s> { ", kgr_term_value(ex->store, g, NULL));
}

/* The start of a pattern run on its own: the query's prologue, @p head, and GRAPH when the
 * active graph is a named graph @p g (0: the default graph). */
static void nested_head(exec_ctx *ex, kgr__buf *b, const char *head, kgr_id g)
{
	kgr__buf_puts(b, ex->negs.prologue ? ex->negs.prologue : "");
	kgr__buf_printf(b, "\n%s { ", head);
	if (g)
		put_graph(ex, b, g);
}

/* Prepares and starts @p text, a pattern run on its own, over the query's dataset. */
static int run_nested(exec_ctx *ex, const char *text, rasqal_query **rq, rasqal_query_results **res)
{
	char *rewritten = NULL;
	int error = kgr__sparql_negation_rewrite(&rewritten, &ex->negs, text);
	*rq = NULL;
	*res = NULL;
	if (!error)
		error = prepare(rq, ex->rw, ex->raptor, rewritten ? rewritten : text, ex->base_iri);
	free(rewritten);
	if (error)
		return neg_fail(ex, error);
	rasqal_query_set_user_data(*rq, ex);
	ex->nesting++;
	kgr__sparql_rasqal_runs++;
	*res = rasqal_query_execute(*rq);
	ex->nesting--;
	if (!*res)
		return neg_fail(ex, kgr__error_set(KGR_ERROR, "SPARQL evaluation of an EXISTS or MINUS "
			"pattern failed: %s", kgr__rdf_log()->errors ? kgr__rdf_log()->message : "no reason"));
	return 0;
}

static int free_texts(char **texts, size_t n, int ret)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	return ret;
}

/* The solution's values of the variables P mentions, as SPARQL text (texts[i] NULL for the
 * others); 0, or an error code. */
static int exists_values(ts_data *td, const kgr__neg *e, char **texts)
{
	size_t i;
	int bnode = 0;
	for (i = 0; i < e->nvars; i++) {
		kgr__buf t = { 0 };
		rasqal_literal *l;
		int kind;
		if (!kgr__neg_mentions(e->body, e->vars[i]))
			continue;
		if (!(l = var_value(td->query, e->vars[i])))
			return kgr__error_set(KGR_EUNSUPPORTED, "EXISTS at line %d, column %d: ?%s has no "
				"value where kgrec evaluates the pattern", e->line, e->col, e->vars[i]);
		if ((kind = term_text(td->ex, l, &t)) < 0 || !(texts[i] = kgr__buf_take(&t)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		bnode |= kind == 1;
	}
	/* a blank node is written as an IRI: patterns match it, but isBlank() or STR() in the
	 * pattern would see the IRI */
	if (bnode && (kgr__neg_contains(e->body, "FILTER") || kgr__neg_contains(e->body, "BIND") ||
			     kgr__neg_contains(e->body, "SELECT") || kgr__neg_contains(e->body, "VALUES")))
		return kgr__error_set(KGR_EUNSUPPORTED, "EXISTS at line %d, column %d: a blank node "
			"value in a pattern with FILTER, BIND, VALUES or a sub-SELECT is not supported",
			e->line, e->col);
	return 0;
}

/* ---- EXISTS of one triple pattern, on the indexes ---- */

/* The IRI of the prefixed name [p, e) through the PREFIX declarations of @p prologue (the
 * last one of a name counts); malloc'd, or NULL when undeclared or out of memory. */
static char *prologue_iri(const char *prologue, const char *p, const char *e)
{
	const char *colon = memchr(p, ':', (size_t)(e - p)), *q, *found = NULL, *found_end = NULL;
	size_t n;
	char *iri;
	if (!colon || !prologue)
		return NULL;
	n = (size_t)(colon - p) + 1;
	for (q = prologue; (q = kgr__sparql_find_keyword(q, "PREFIX"));) {
		const char *name = kgr__sparql_skip_blank(q + 6), *lt;
		q = name;
		if (strncmp(name, p, n) || !(lt = kgr__sparql_skip_blank(name + n)) || *lt != '<')
			continue;
		found = lt + 1;
		found_end = strchr(found, '>');
	}
	if (!found || !found_end || !(iri = malloc((size_t)(found_end - found) + (size_t)(e - colon))))
		return NULL;
	memcpy(iri, found, (size_t)(found_end - found));
	memcpy(iri + (found_end - found), colon + 1, (size_t)(e - colon - 1));
	iri[(found_end - found) + (e - colon - 1)] = '\0';
	return iri;
}

/* Past a prefixed name with a plain local name at @p p. */
static const char *pname_end(const char *p)
{
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == ':')
		p++;
	return p;
}

/* A literal object of an EXISTS pattern at @p t: "..." or '...' (no escape, no line end, not
 * a long string), optionally ^^<IRI> or ^^prefix:name; bare digits an xsd:integer. Its id
 * (0: the store lacks it) into *id and the end into *end; -1 when it is not of this form
 * (a language tag, an escape: the pattern runs on its own). */
static int direct_literal(exec_ctx *ex, const char *t, const char **end, kgr_id *id)
{
	const char *q, *lex = t + 1, *d;
	char *dt = NULL;
	if (isdigit((unsigned char)*t)) {
		for (q = t; isdigit((unsigned char)*q); q++)
			;
		if (*q == '.' || *q == 'e' || *q == 'E' || isalpha((unsigned char)*q))
			return -1;
		*id = kgr__store_literal_id(ex->store, t, (size_t)(q - t), NULL,
			"http://www.w3.org/2001/XMLSchema#integer");
		*end = q;
		return 0;
	}
	if (t[1] == t[0] && t[2] == t[0])
		return -1;
	for (q = lex; *q && *q != *t; q++)
		if (*q == '\\' || *q == '\n' || *q == '\r')
			return -1;
	if (*q != *t || q[1] == '@')
		return -1;
	*end = q + 1;
	if (q[1] == '^' && q[2] == '^') {
		d = q + 3;
		if (*d == '<') {
			const char *gt = strchr(d, '>');
			if (!gt || !(dt = malloc((size_t)(gt - d))))
				return -1;
			memcpy(dt, d + 1, (size_t)(gt - d - 1));
			dt[gt - d - 1] = '\0';
			*end = gt + 1;
		} else {
			const char *e = pname_end(d);
			if (!(dt = prologue_iri(ex->negs.prologue, d, e)))
				return -1;
			*end = e;
		}
	}
	*id = kgr__store_literal_id(ex->store, lex, (size_t)(q - lex), NULL, dt);
	if (*id == KGR__NOT_STORED)
		*id = 0;
	free(dt);
	return 0;
}

/* Reads P of EXISTS e for exists_direct(): 1 when it is one triple pattern of variables,
 * absolute IRIs, prefixed names with plain local names and 'a', and as object maybe a
 * literal (direct_literal()), else -1. */
static int direct_form(exec_ctx *ex, kgr__neg *e)
{
	const char *p = kgr__sparql_skip_blank(e->body);
	int pos, k;
	if (e->minus || *p != '{')
		return -1;
	p = kgr__sparql_skip_blank(p + 1);
	for (pos = 0; pos < 3; pos++) {
		const char *t = p, *end;
		char *iri = NULL;
		if (*t == '?' || *t == '$') {
			char name[128];
			size_t i;
			for (end = t + 1; isalnum((unsigned char)*end) || *end == '_'; end++)
				;
			if (end == t + 1 || (size_t)(end - t) >= sizeof name)
				return -1;
			snprintf(name, sizeof name, "%.*s", (int)(end - t - 1), t + 1);
			e->direct_var[pos] = -2;
			for (i = 0; i < e->nvars; i++)
				if (!strcmp(e->vars[i], name))
					e->direct_var[pos] = (int)i;
			/* a variable of P alone written twice would have to match itself */
			for (k = 0; k < pos && e->direct_var[pos] == -2; k++)
				if (e->direct_var[k] == -2)
					return -1;
		} else if (*t == '<') {
			const char *c = t + 1;
			while (isalnum((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.')
				c++;
			/* absolute (a scheme, then ':'), without escapes */
			if (!isalpha((unsigned char)t[1]) || *c != ':' || !(end = strchr(t, '>')) ||
				memchr(t, '\\', (size_t)(end - t)) || memchr(t, ' ', (size_t)(end - t)))
				return -1;
			if (!(iri = malloc((size_t)(end - t))))
				return -1;
			memcpy(iri, t + 1, (size_t)(end - t - 1));
			iri[end - t - 1] = '\0';
			end++;
		} else if (pos == 2 && (*t == '"' || *t == '\'' || isdigit((unsigned char)*t))) {
			if (direct_literal(ex, t, &end, &e->direct_id[pos]) < 0)
				return -1;
			e->direct_var[pos] = -1;
		} else if (pos == 1 && *t == 'a' && (isspace((unsigned char)t[1]) || t[1] == '<' || t[1] == '?')) {
			end = t + 1;
			if (!(iri = strdup("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")))
				return -1;
		} else if (isalpha((unsigned char)*t) || *t == ':') {
			end = pname_end(t);
			if (!memchr(t, ':', (size_t)(end - t)) || !(iri = prologue_iri(ex->negs.prologue, t, end)))
				return -1;
		} else {
			return -1;
		}
		if (iri) {
			e->direct_var[pos] = -1;
			e->direct_id[pos] = kgr_store_iri(ex->store, iri);
			free(iri);
		}
		p = kgr__sparql_skip_blank(end);
		if (pos < 2 && p == end)
			return -1; /* terms are separated */
	}
	if (*p == '.')
		p = kgr__sparql_skip_blank(p + 1);
	return *p == '}' && !*kgr__sparql_skip_blank(p + 1) ? 1 : -1;
}

/* EXISTS e on the store's indexes: 1 when P matches in the active graph @p g (0: the default
 * graph of the dataset) with the solution's values, 0 when not, -1 when the values must go
 * through the pattern run on its own (a variable without a value). The same answer as the
 * ASK neg_exists() runs, without preparing a query for every solution. */
static int exists_direct(ts_data *td, kgr__neg *e, kgr_id g)
{
	exec_ctx *ex = td->ex;
	kgr_id id[3];
	kgr_iter it;
	kgr_quad q;
	int pos;
	for (pos = 0; pos < 3; pos++) {
		if (e->direct_var[pos] == -2) {
			id[pos] = 0;
		} else if (e->direct_var[pos] == -1) {
			if (!(id[pos] = e->direct_id[pos]))
				return 0;
		} else {
			rasqal_literal *l = var_value(td->query, e->vars[e->direct_var[pos]]);
			if (!l)
				return -1;
			if (!(id[pos] = literal_id(ex, l)) || id[pos] == KGR__NOT_STORED)
				return 0;
		}
	}
	kgr_store_match(ex->store, &it, id[0], id[1], id[2], KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &q))
		if (g ? q.g == g && graph_in_dataset(ex, q.g, 1) : graph_in_dataset(ex, q.g, 0))
			return 1;
	return 0;
}

/* EXISTS: P with the solution's values substituted (SPARQL 1.1, 18.6), run as ASK in the
 * active graph @p g. */
static int neg_exists(ts_data *td, int idx, kgr_id g, int *holds)
{
	exec_ctx *ex = td->ex;
	const kgr__neg *e = &ex->negs.v[idx];
	kgr__buf b = { 0 };
	char **texts, *text;
	rasqal_query *rq;
	rasqal_query_results *res;
	int error;
	if (!e->direct)
		ex->negs.v[idx].direct = direct_form(ex, &ex->negs.v[idx]);
	if (e->direct > 0 && (error = exists_direct(td, &ex->negs.v[idx], g)) >= 0) {
		*holds = error;
		return 0;
	}
	if (!(texts = calloc(e->nvars ? e->nvars : 1, sizeof(char *))))
		return neg_fail(ex, kgr__error_set(KGR_ENOMEM, "out of memory"));
	if ((error = exists_values(td, e, texts)))
		return free_texts(texts, e->nvars, neg_fail(ex, error));
	nested_head(ex, &b, "ASK", g);
	kgr__neg_substitute(&b, e->body, e->vars, texts, e->nvars);
	kgr__buf_puts(&b, g ? " } }\n" : " }\n");
	free_texts(texts, e->nvars, 0);
	if (!(text = kgr__buf_take(&b)))
		return neg_fail(ex, kgr__error_set(KGR_ENOMEM, "out of memory"));
	error = run_nested(ex, text, &rq, &res);
	free(text);
	if (!error) {
		*holds = rasqal_query_results_get_boolean(res) > 0;
		rasqal_free_query_results(res);
	}
	if (rq)
		rasqal_free_query(rq);
	return error;
}

/* The rows of a MINUS pattern's results that bind a variable it compares. */
static int minus_collect(exec_ctx *ex, int idx, rasqal_query_results *res)
{
	size_t cap = 0, i;
	while (!rasqal_query_results_finished(res) && !ex->neg_error && !tick(ex)) {
		/* re-read: the evaluation of a row may add patterns and move the array */
		kgr__neg *e = &ex->negs.v[idx];
		kgr_id *row;
		int bound = 0;
		if (e->nrows == cap) {
			size_t c = cap ? cap * 2 : 16;
			kgr_id *rows = realloc(e->rows, c * e->nvars * sizeof(*rows));
			if (!rows)
				return neg_fail(ex, kgr__error_set(KGR_ENOMEM, "out of memory"));
			e->rows = rows;
			cap = c;
		}
		row = e->rows + e->nrows * e->nvars;
		for (i = 0; i < e->nvars; i++) {
			rasqal_literal *l = rasqal_query_results_get_binding_value_by_name(res,
				(const unsigned char *)e->vars[i]);
			kgr_id id = l ? literal_id(ex, l) : 0;
			row[i] = l && !id ? KGR__NOT_STORED : id;
			bound |= row[i] != 0;
		}
		if (bound)
			e->nrows++;
		if (rasqal_query_results_next(res))
			break;
	}
	return ex->neg_error;
}

/* MINUS: the rows of P in the active graph @p g over the variables before the MINUS that
 * P mentions (only those can make a row compatible and shared), computed once per graph. */
static int minus_rows(exec_ctx *ex, int idx, kgr_id g)
{
	kgr__neg *e = &ex->negs.v[idx];
	kgr__buf b = { 0 };
	rasqal_query *rq;
	rasqal_query_results *res;
	char *text;
	size_t i, any = 0;
	int error;
	if (e->have_rows && e->rows_graph == g)
		return 0;
	free(e->rows);
	e->rows = NULL;
	e->nrows = 0;
	e->have_rows = 1;
	e->rows_graph = g;
	kgr__buf_puts(&b, ex->negs.prologue ? ex->negs.prologue : "");
	kgr__buf_puts(&b, "\nSELECT");
	for (i = 0; i < e->nvars; i++)
		if (kgr__neg_mentions(e->body, e->vars[i]) && ++any)
			kgr__buf_printf(&b, " ?%s", e->vars[i]);
	if (!any) {
		kgr__buf_free(&b);
		return 0; /* P shares no variable: MINUS removes nothing */
	}
	kgr__buf_puts(&b, " WHERE { ");
	if (g)
		put_graph(ex, &b, g);
	kgr__buf_puts(&b, e->body);
	kgr__buf_puts(&b, g ? " } }\n" : " }\n");
	if (!(text = kgr__buf_take(&b)))
		return neg_fail(ex, kgr__error_set(KGR_ENOMEM, "out of memory"));
	error = run_nested(ex, text, &rq, &res);
	free(text);
	if (!error) {
		error = minus_collect(ex, idx, res);
		rasqal_free_query_results(res);
	}
	if (rq)
		rasqal_free_query(rq);
	return error;
}

/* MINUS (SPARQL 1.1, 18.5): the solution is removed when a row of P binds one of its
 * variables and agrees with it on every variable both bind. */
static int neg_minus(ts_data *td, int idx, kgr_id g, int *removed)
{
	exec_ctx *ex = td->ex;
	const kgr__neg *e;
	kgr_id *mu;
	size_t i, r;
	int error = minus_rows(ex, idx, g);
	*removed = 0;
	if (error)
		return error;
	e = &ex->negs.v[idx];
	if (!e->nrows)
		return 0;
	if (!(mu = calloc(e->nvars, sizeof(*mu))))
		return neg_fail(ex, kgr__error_set(KGR_ENOMEM, "out of memory"));
	for (i = 0; i < e->nvars; i++) {
		rasqal_literal *l;
		if (!kgr__neg_mentions(e->body, e->vars[i]))
			continue;
		if (!(l = var_value(td->query, e->vars[i])) || !(mu[i] = literal_id(ex, l))) {
			free(mu);
			return neg_fail(ex, kgr__error_set(KGR_EUNSUPPORTED, "MINUS at line %d, column %d: "
				"?%s has no value of the store where kgrec evaluates it", e->line, e->col,
				e->vars[i]));
		}
	}
	for (r = 0; r < e->nrows && !*removed; r++) {
		const kgr_id *row = e->rows + r * e->nvars;
		int ok = 1;
		for (i = 0; i < e->nvars && ok; i++)
			ok = !row[i] || row[i] == mu[i];
		*removed = ok;
	}
	free(mu);
	return 0;
}

/* One row of a marker pattern in the active graph @p g: its variable true or false. */
static int neg_row(ts_data *td, match_ctx *mc, size_t *cap, int idx, kgr_id g)
{
	int b = 0;
	int error = td->ex->negs.v[idx].minus ? neg_minus(td, idx, g, &b) : neg_exists(td, idx, g, &b);
	if (error)
		return -1;
	return row_push(mc, cap, 0, b ? TRUE_ID : FALSE_ID, g);
}

/* The rows of a marker pattern: in the default graph, in the graph the pattern names, or
 * in each named graph for a GRAPH variable that nothing before it bound. */
static void neg_rows(ts_data *td, match_ctx *mc, rasqal_triple *t, int idx)
{
	exec_ctx *ex = td->ex;
	size_t cap = 0, i, n = 0;
	const kgr_id *graphs;
	kgr_id g;
	rasqal_variable *gv = t->origin ? rasqal_literal_as_variable(t->origin) : NULL;
	mc->is_path = 1;
	if (ex->neg_error)
		return;
	if (!t->origin) {
		neg_row(td, mc, &cap, idx, 0);
		return;
	}
	if (gv && !gv->value) {
		graphs = kgr_store_graphs(ex->store, &n);
		for (i = 0; i < n; i++)
			if (graph_in_dataset(ex, graphs[i], 1) && neg_row(td, mc, &cap, idx, graphs[i]))
				return;
		return;
	}
	if (position_id(ex, t->origin, NULL, &g) && graph_in_dataset(ex, g, 1))
		neg_row(td, mc, &cap, idx, g);
}

/* The EXISTS / MINUS pattern a marker's predicate stands for, or -1. */
static int pattern_neg(exec_ctx *ex, rasqal_triple *t)
{
	if (!ex->negs.n || !t->predicate || t->predicate->type != RASQAL_LITERAL_URI)
		return -1;
	return kgr__neg_lookup(&ex->negs, (const char *)raptor_uri_as_string(t->predicate->value.uri));
}

static int is_graph_var(const ts_data *td, const rasqal_variable *v)
{
	size_t i;
	for (i = 0; i < td->n_graph_vars; i++)
		if (td->graph_vars[i] == v)
			return 1;
	return 0;
}

static void unbind_part(const ts_data *td, rasqal_literal *l, unsigned int parts, unsigned int part)
{
	rasqal_variable *v = l && (parts & part) ? rasqal_literal_as_variable(l) : NULL;
	if (v && v->value && !is_graph_var(td, v))
		rasqal_variable_set_value(v, NULL);
}

/* A variable this pattern binds (rasqal's m->parts: its first binding in its group) starts
 * free, whatever value an enclosing group gave it: a group is evaluated on its own and
 * joined afterwards (SPARQL 1.1, 18.5), so a value from outside must not narrow its matches
 * (`{ :x1 :p ?v OPTIONAL { :x3 :q ?w OPTIONAL { :x2 :p ?v } } }` is v=1 alone). Variables
 * bound earlier in the same group stay constants. The name of the active graph of GRAPH ?g
 * is kept: rasqal joins nothing on it afterwards, and a pattern inside that names ?g must
 * meet that graph's name. */
static void unbind_parts(const ts_data *td, rasqal_triple *t, unsigned int parts)
{
	unbind_part(td, t->subject, parts, RASQAL_TRIPLE_SUBJECT);
	unbind_part(td, t->predicate, parts, RASQAL_TRIPLE_PREDICATE);
	unbind_part(td, t->object, parts, RASQAL_TRIPLE_OBJECT);
	unbind_part(td, t->origin, parts, RASQAL_TRIPLE_ORIGIN);
}

static int ts_init_match(rasqal_triples_match *rtm, rasqal_triples_source *rts, void *user_data,
	rasqal_triple_meta *m, rasqal_triple *t)
{
	exec_ctx *ex = *(exec_ctx **)user_data;
	match_ctx *mc;
	kgr_id s, p, o, g = KGR_ANY_GRAPH;
	int ok, path;
	(void)rts;

	rtm->bind_match = match_bind;
	rtm->next_match = match_next;
	rtm->is_end = match_is_end;
	rtm->finish = match_finish;
	mc = calloc(1, sizeof(*mc));
	if (!mc)
		return 1;
	rtm->user_data = mc;
	mc->ex = ex;

	unbind_parts(user_data, t, m->parts);
	if ((path = pattern_neg(ex, t)) >= 0) {
		m->bindings[0] = m->bindings[1] = NULL;
		m->bindings[2] = rasqal_literal_as_variable(t->object);
		m->bindings[3] = t->origin ? rasqal_literal_as_variable(t->origin) : NULL;
		if (!deadline_passed(ex))
			neg_rows(user_data, mc, t, path);
		match_advance(mc);
		return 0;
	}
	if ((path = pattern_path(ex, t)) >= 0) {
		m->bindings[0] = rasqal_literal_as_variable(t->subject);
		m->bindings[1] = NULL;
		m->bindings[2] = rasqal_literal_as_variable(t->object);
		m->bindings[3] = t->origin ? rasqal_literal_as_variable(t->origin) : NULL;
		if (!deadline_passed(ex))
			path_rows(ex, mc, t, path);
		match_advance(mc);
		return 0;
	}
	ok = position_id(ex, t->subject, &m->bindings[0], &s);
	ok = position_id(ex, t->predicate, &m->bindings[1], &p) && ok;
	ok = position_id(ex, t->object, &m->bindings[2], &o) && ok;
	if (t->origin) {
		kgr_id gid;
		rasqal_variable *gv;
		ok = position_id(ex, t->origin, &gv, &gid) && ok;
		m->bindings[3] = gv;
		if (gid)
			g = gid;
	}
	if (!ok || deadline_passed(ex))
		return 0; /* mc->have == 0: no match */
	/* Without a graph the default graph is the merge of its graphs: each triple once. */
	mc->union_mode = t->origin == NULL;
	mc->in_graph = t->origin != NULL;
	kgr_store_match(ex->store, &mc->it, s, p, o, g);
	match_advance(mc);
	return 0;
}

static int ts_triple_present(rasqal_triples_source *rts, void *user_data, rasqal_triple *t)
{
	exec_ctx *ex = *(exec_ctx **)user_data;
	kgr_id s, p, o, g = KGR_ANY_GRAPH;
	kgr_iter it;
	kgr_quad q;
	int path = pattern_path(ex, t);
	(void)rts;
	if (path >= 0) {
		match_ctx mc;
		memset(&mc, 0, sizeof(mc));
		mc.ex = ex;
		path_rows(ex, &mc, t, path);
		free(mc.rows);
		if (mc.foreign)
			rasqal_free_literal(mc.foreign);
		return mc.nrows > 0;
	}
	if (!position_id(ex, t->subject, NULL, &s) || !position_id(ex, t->predicate, NULL, &p) ||
		!position_id(ex, t->object, NULL, &o))
		return 0;
	if (t->origin && !position_id(ex, t->origin, NULL, &g))
		return 0;
	kgr_store_match(ex->store, &it, s, p, o, g ? g : KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &q))
		if (graph_in_dataset(ex, q.g, t->origin != NULL))
			return 1;
	return 0;
}

static void ts_free(void *user_data)
{
	ts_data *td = user_data;
	free(td->graph_vars);
	td->graph_vars = NULL;
	td->n_graph_vars = 0;
}

/* Every variable of a GRAPH ?g pattern under @p gp into td->graph_vars; 1 when out of memory. */
static int collect_graph_vars(ts_data *td, rasqal_graph_pattern *gp)
{
	int i;
	rasqal_graph_pattern *sub;
	if (!gp)
		return 0;
	if (rasqal_graph_pattern_get_operator(gp) == RASQAL_GRAPH_PATTERN_OPERATOR_GRAPH) {
		rasqal_variable *v = rasqal_literal_as_variable(rasqal_graph_pattern_get_origin(gp));
		if (v && !is_graph_var(td, v)) {
			rasqal_variable **a = realloc(td->graph_vars, (td->n_graph_vars + 1) * sizeof(*a));
			if (!a)
				return 1;
			td->graph_vars = a;
			a[td->n_graph_vars++] = v;
		}
	}
	for (i = 0; (sub = rasqal_graph_pattern_get_sub_graph_pattern(gp, i)); i++)
		if (collect_graph_vars(td, sub))
			return 1;
	return 0;
}

static void add_named_graph(exec_ctx *ex, rasqal_query *query, const char *iri)
{
	raptor_uri *u = raptor_new_uri(ex->raptor, (const unsigned char *)iri);
	rasqal_data_graph *dg;
	if (!u)
		return;
	dg = rasqal_new_data_graph_from_uri(ex->rw, u, u, RASQAL_DATA_GRAPH_NAMED, NULL, NULL, NULL);
	raptor_free_uri(u);
	if (dg)
		rasqal_query_add_data_graph(query, dg);
}

/* GRAPH <iri> on an IRI that is not a named graph makes rasqal 0.9.33 answer one empty
 * row instead of none; declaring the IRI as a (then empty) named graph avoids that. */
static void add_graph_constants(exec_ctx *ex, rasqal_query *query, rasqal_graph_pattern *gp)
{
	int i;
	rasqal_graph_pattern *sub;
	if (!gp)
		return;
	if (rasqal_graph_pattern_get_operator(gp) == RASQAL_GRAPH_PATTERN_OPERATOR_GRAPH) {
		rasqal_literal *origin = rasqal_graph_pattern_get_origin(gp);
		kgr_id id = origin && origin->type == RASQAL_LITERAL_URI ?
			kgr_store_iri(ex->store, (const char *)raptor_uri_as_string(origin->value.uri)) : 0;
		size_t n = 0;
		const kgr_id *graphs = kgr_store_graphs(ex->store, &n);
		/* also a term of the store that names no graph (EXISTS { GRAPH ?g { } } with ?g
		 * bound to any IRI writes it) */
		if (origin && origin->type == RASQAL_LITERAL_URI &&
			(!id || !id_listed(graphs, n, id) || (ex->restrict_named && !id_listed(ex->named, ex->nnamed, id))))
			add_named_graph(ex, query, (const char *)raptor_uri_as_string(origin->value.uri));
	}
	for (i = 0; (sub = rasqal_graph_pattern_get_sub_graph_pattern(gp, i)); i++)
		add_graph_constants(ex, query, sub);
}

/* The dataset of the query (SPARQL 1.1, 13.2): with FROM or FROM NAMED, the default graph
 * is the merge of the FROM graphs (empty when there are none) and the named graphs are the
 * FROM NAMED ones (none when there are none); a graph the store does not have is empty.
 * Without either, the store's choice (the union of all graphs, or the unnamed graph alone
 * under unnamed_default_graph) and all its named graphs. 0, or 1 when out of memory. */
static int dataset_from_query(exec_ctx *ex, raptor_sequence *seq)
{
	int i, size = seq ? raptor_sequence_size(seq) : 0;
	ex->nfrom = ex->nnamed = 0;
	ex->restrict_named = 0;
	ex->restrict_default = ex->from_unnamed = ex->unnamed_default;
	if (size <= 0)
		return 0;
	free(ex->from);
	free(ex->named);
	ex->from = calloc((size_t)size, sizeof(*ex->from));
	ex->named = calloc((size_t)size, sizeof(*ex->named));
	if (!ex->from || !ex->named)
		return 1;
	ex->nfrom = ex->nnamed = 0;
	ex->restrict_default = ex->restrict_named = 1;
	ex->from_unnamed = 0;
	for (i = 0; i < size; i++) {
		rasqal_data_graph *dg = raptor_sequence_get_at(seq, i);
		raptor_uri *u;
		kgr_id id;
		if (!dg)
			continue;
		u = dg->flags == RASQAL_DATA_GRAPH_NAMED && dg->name_uri ? dg->name_uri : dg->uri;
		id = u ? kgr_store_iri(ex->store, (const char *)raptor_uri_as_string(u)) : 0;
		if (!id)
			continue; /* a graph the store does not have: empty */
		if (dg->flags == RASQAL_DATA_GRAPH_NAMED) {
			if (!id_listed(ex->named, ex->nnamed, id))
				ex->named[ex->nnamed++] = id;
		} else if (!id_listed(ex->from, ex->nfrom, id)) {
			ex->from[ex->nfrom++] = id;
		}
	}
	return 0;
}

static int ts_new(rasqal_query *query, void *factory_user_data, void *user_data,
	rasqal_triples_source *rts)
{
	exec_ctx *ex = rasqal_query_get_user_data(query);
	raptor_sequence *seq = rasqal_query_get_data_graph_sequence(query);
	const kgr_id *graphs;
	size_t n = 0, i;
	(void)factory_user_data;
	/* a query run through librdf's API (librdf_query_execute) has no kgrec context */
	if (!ex || ex->magic != EXEC_MAGIC)
		return 1;
	((ts_data *)user_data)->ex = ex;
	((ts_data *)user_data)->query = query;
	/* FROM / FROM NAMED choose graphs of the store (nothing is fetched): rasqal's own data
	 * graphs are replaced by the store's; a pattern of EXISTS or MINUS run on its own keeps
	 * the dataset of its query */
	if (!ex->nesting && dataset_from_query(ex, seq))
		return 1;
	while (seq && raptor_sequence_size(seq) > 0)
		rasqal_free_data_graph((rasqal_data_graph *)raptor_sequence_pop(seq));
	if (ex->restrict_named) {
		for (i = 0; i < ex->nnamed; i++)
			add_named_graph(ex, query, kgr_term_value(ex->store, ex->named[i], NULL));
	} else {
		graphs = kgr_store_graphs(ex->store, &n);
		for (i = 0; i < n; i++)
			if (graphs[i] && kgr_term_kind_of(ex->store, graphs[i]) == KGR_TERM_IRI)
				add_named_graph(ex, query, kgr_term_value(ex->store, graphs[i], NULL));
	}
	add_graph_constants(ex, query, rasqal_query_get_query_graph_pattern(query));
	if (collect_graph_vars(user_data, rasqal_query_get_query_graph_pattern(query)))
		return 1;
	rts->version = 1;
	rts->init_triples_match = ts_init_match;
	rts->triple_present = ts_triple_present;
	rts->free_triples_source = ts_free;
	return 0;
}

static int ts_register(rasqal_triples_source_factory *factory)
{
	factory->version = 1;
	factory->user_data_size = sizeof(ts_data);
	factory->new_triples_source = ts_new;
	return 0;
}

/* ---- errors ---- */

static int is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* rasqal gives the line of a syntax error but no column; when the token it names
 * ("unexpected '}'", "at '\"'", "unexpected NOT") occurs once on that line, its column is
 * certain. A keyword token is matched as a whole word in any case. */
static int guess_column(const char *query, int line, const char *message)
{
	const char *p = query, *end, *tok, *hit = NULL;
	char token[64];
	size_t tlen = 0;
	int l = 1, keyword = 0;
	if (line < 1)
		return -1;
	tok = strstr(message, "unexpected ");
	if (tok) {
		tok += strlen("unexpected ");
	} else if ((tok = strstr(message, " at '"))) {
		tok += 4;
	} else {
		return -1;
	}
	if (*tok == '\'') {
		const char *close = strchr(tok + 1, '\'');
		if (close == tok + 1 && tok[2] == '\'')
			close = tok + 2; /* a quote character is shown as ''' */
		if (!close || close == tok + 1)
			return -1;
		tlen = (size_t)(close - tok - 1);
		if (tlen >= sizeof(token))
			return -1;
		memcpy(token, tok + 1, tlen);
	} else {
		while (tlen < sizeof(token) - 1 && (isupper((unsigned char)tok[tlen]) || tok[tlen] == '_'))
			tlen++;
		if (tlen == 0 || is_word(tok[tlen]))
			return -1; /* $end or a token class: not in the text as such */
		memcpy(token, tok, tlen);
		keyword = 1;
	}
	token[tlen] = '\0';
	while (l < line && *p) {
		if (*p++ == '\n')
			l++;
	}
	if (l != line)
		return -1;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	for (tok = p; tok + tlen <= end; tok++) {
		int match = keyword ? !strncasecmp(tok, token, tlen) && (tok == p || !is_word(tok[-1])) &&
					      !is_word(tok[tlen]) :
				      !memcmp(tok, token, tlen);
		if (match) {
			if (hit)
				return -1;
			hit = tok;
		}
	}
	return hit ? (int)(hit - p) + 1 : -1;
}

static int parse_error(const char *query)
{
	const kgr_rdf_log *log = kgr__rdf_log();
	const char *msg = log->errors ? log->message : "the query could not be parsed";
	int col = log->column > 0 ? log->column : guess_column(query, log->line, msg);
	int lines = 1, line = log->line;
	const char *p;
	/* the end of the text is on its last line, not on the one after a final newline */
	for (p = query; *p; p++)
		if (*p == '\n' && p[1])
			lines++;
	if (line > lines)
		line = lines;
	if (line > 0 && col > 0)
		return kgr__error_set(KGR_EPARSE, "SPARQL syntax error at line %d, column %d: %s",
			line, col, msg);
	if (line > 0 && strstr(msg, "unexpected $end"))
		return kgr__error_set(KGR_EPARSE,
			"SPARQL syntax error at line %d: the query ends too early (%s)", line, msg);
	if (line > 0)
		return kgr__error_set(KGR_EPARSE, "SPARQL syntax error at line %d: %s", line, msg);
	return kgr__error_set(KGR_EPARSE, "SPARQL error: %s", msg);
}

/* ---- query text ---- */

/* Skips what cannot hold a keyword: comments, IRIs, strings. Returns the next position. */
static const char *skip_opaque(const char *p)
{
	if (*p == '#') {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	if (*p == '<') {
		const char *q = p + 1;
		while (*q && *q != '>' && !isspace((unsigned char)*q))
			q++;
		return *q == '>' ? q + 1 : p + 1; /* a '<' comparison is not an IRI */
	}
	if (*p == '"' || *p == '\'') {
		const char *q = kgr__sparql_skip_string(p);
		return q ? q : p + strlen(p);
	}
	return p + 1;
}

/* Position of keyword @p kw (case-insensitive, whole word) outside strings, IRIs and
 * comments, starting at @p from; NULL when absent. Also stops at '{' when @p brace. */
static const char *find_keyword(const char *from, const char *start, const char *kw, int brace)
{
	size_t n = strlen(kw);
	const char *p = from;
	while (*p) {
		if (*p == '#' || *p == '<' || *p == '"' || *p == '\'') {
			p = skip_opaque(p);
			continue;
		}
		if (brace && *p == '{')
			return p;
		if ((p == start || !is_word(p[-1])) && !strncasecmp(p, kw, n) && !is_word(p[n]) &&
			(p == start || (p[-1] != '?' && p[-1] != '$' && p[-1] != ':')))
			return p;
		p++;
	}
	return NULL;
}

/* End of one RDF term of a VALUES block starting at p (IRI, literal, prefixed name,
 * number, UNDEF). */
static const char *term_end(const char *p)
{
	if (*p == '<' || *p == '"' || *p == '\'') {
		int literal = *p != '<';
		p = skip_opaque(p);
		if (literal && *p == '@') {
			p++;
			while (isalnum((unsigned char)*p) || *p == '-')
				p++;
		} else if (literal && p[0] == '^' && p[1] == '^') {
			p += 2;
			if (*p == '<')
				return skip_opaque(p);
			while (*p && !isspace((unsigned char)*p) && *p != '}' && *p != '#')
				p++;
		}
		return p;
	}
	while (*p && !isspace((unsigned char)*p) && *p != '}' && *p != '#' && *p != '(' && *p != ')')
		p++;
	return p;
}

/* rasqal 0.9.33 reads `VALUES ?v { a b }` as one row of two values (and can crash on it);
 * the equivalent `VALUES (?v) { (a) (b) }` works. Returns the rewritten text, NULL when
 * nothing needs rewriting (or on a form it does not recognise, left to rasqal), and sets
 * *oom on allocation failure. */
static char *rewrite_values(const char *text, int *oom)
{
	const char *from = text, *kw;
	kgr__buf out = { 0 };
	*oom = 0;
	while ((kw = find_keyword(from, text, "VALUES", 0))) {
		const char *p = kw + 6, *var, *var_end, *q;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '?' && *p != '$') {
			from = kw + 6;
			continue;
		}
		var = p++;
		while (is_word(*p))
			p++;
		var_end = p;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '{') {
			from = kw + 6;
			continue;
		}
		kgr__buf_put(&out, from, (size_t)(kw - from));
		kgr__buf_puts(&out, "VALUES (");
		kgr__buf_put(&out, var, (size_t)(var_end - var));
		kgr__buf_puts(&out, ") {");
		q = p + 1;
		for (;;) {
			const char *end;
			while (isspace((unsigned char)*q) || *q == '#') {
				if (*q == '#')
					q = skip_opaque(q);
				else
					q++;
			}
			if (!*q || *q == '}')
				break;
			end = term_end(q);
			if (end == q) {
				if (out.oom)
					goto nomem;
				kgr__buf_free(&out);
				return NULL; /* not a term: let rasqal report it */
			}
			kgr__buf_puts(&out, " (");
			kgr__buf_put(&out, q, (size_t)(end - q));
			kgr__buf_puts(&out, ")");
			q = end;
		}
		kgr__buf_puts(&out, " ");
		from = q; /* the closing brace (or the end) is copied by the next round */
	}
	if (out.oom)
		goto nomem;
	if (!out.s)
		return NULL;
	kgr__buf_puts(&out, from);
	if (out.oom)
		goto nomem;
	return kgr__buf_take(&out);
nomem:
	kgr__buf_free(&out);
	*oom = 1;
	return NULL;
}

/* ---- evaluation ---- */

static int add_const(void *user_data, rasqal_expression *e)
{
	exec_ctx *ex = user_data;
	if (e->op != RASQAL_EXPR_LITERAL || !e->literal || !e->literal->string)
		return 0;
	if (ex->nconsts == ex->cap_consts) {
		size_t cap = ex->cap_consts ? ex->cap_consts * 2 : 32;
		rasqal_literal **v = realloc(ex->consts, cap * sizeof(*v));
		if (!v) {
			ex->oom = 1;
			return 1;
		}
		ex->consts = v;
		ex->cap_consts = cap;
	}
	ex->consts[ex->nconsts++] = e->literal;
	return 0;
}

static void visit_sequence(exec_ctx *ex, raptor_sequence *seq)
{
	int i, n = seq ? raptor_sequence_size(seq) : 0;
	for (i = 0; i < n; i++) {
		rasqal_expression *e = raptor_sequence_get_at(seq, i);
		if (e)
			rasqal_expression_visit(e, add_const, ex);
	}
}

static void pattern_consts(exec_ctx *ex, rasqal_graph_pattern *gp)
{
	rasqal_graph_pattern *sub;
	rasqal_expression *e;
	int i;
	if (!gp)
		return;
	if ((e = rasqal_graph_pattern_get_filter_expression(gp)))
		rasqal_expression_visit(e, add_const, ex);
	for (i = 0; (sub = rasqal_graph_pattern_get_sub_graph_pattern(gp, i)); i++)
		pattern_consts(ex, sub);
}

/* Records the literals written in the expressions of @p rq (SELECT expressions, BIND,
 * FILTER, GROUP BY, HAVING, ORDER BY), which a result writes as the query wrote them. */
static void query_consts(exec_ctx *ex, rasqal_query *rq)
{
	raptor_sequence *vars = rasqal_query_get_all_variable_sequence(rq);
	int i, n = vars ? raptor_sequence_size(vars) : 0;
	ex->nconsts = 0;
	for (i = 0; i < n; i++) {
		rasqal_variable *v = raptor_sequence_get_at(vars, i);
		if (v && v->expression)
			rasqal_expression_visit(v->expression, add_const, ex);
	}
	pattern_consts(ex, rasqal_query_get_query_graph_pattern(rq));
	visit_sequence(ex, rasqal_query_get_group_conditions_sequence(rq));
	visit_sequence(ex, rasqal_query_get_having_conditions_sequence(rq));
	visit_sequence(ex, rasqal_query_get_order_conditions_sequence(rq));
}

/* 1 when a literal of the query's expressions has lexical form @p s and datatype @p dt. */
static int is_const(const exec_ctx *ex, const unsigned char *s, size_t len, raptor_uri *dt)
{
	size_t i;
	for (i = 0; i < ex->nconsts; i++) {
		const rasqal_literal *c = ex->consts[i];
		raptor_uri *cdt = c->datatype;
		if (c->string_len == len && !memcmp(c->string, s, len) && cdt &&
			!strcmp((const char *)raptor_uri_as_string(cdt), (const char *)raptor_uri_as_string(dt)))
			return 1;
	}
	return 0;
}

/* 1 when the query text binds variable @p name with VALUES (`VALUES ?name {` or
 * `VALUES (... ?name ...) {`): its values are the query's own terms, which rasqal keeps in
 * rows kgrec cannot read, so that column is written as rasqal gives it. */
static int values_column(const char *text, const char *name)
{
	const char *from = text, *kw;
	size_t n = strlen(name);
	while (text && (kw = find_keyword(from, text, "VALUES", 0))) {
		const char *p = kw + 6;
		int list;
		while (isspace((unsigned char)*p))
			p++;
		list = *p == '(';
		if (list)
			p++;
		for (;;) {
			while (isspace((unsigned char)*p))
				p++;
			if (*p != '?' && *p != '$')
				break;
			if (!strncmp(p + 1, name, n) && !is_word(p[1 + n]))
				return 1;
			p++;
			while (is_word(*p))
				p++;
			if (!list)
				break;
		}
		from = kw + 6;
	}
	return 0;
}

#define XSD_NS "http://www.w3.org/2001/XMLSchema#"

/* The canonical form of a number rasqal wrote (@p s) in @p buf; NULL when the datatype is
 * none of xsd:integer, xsd:decimal, xsd:double, xsd:float or @p s is no number of it. A
 * double is read back and written again: rasqal writes an infinite one as "INF" followed by
 * stray bytes. */
static const char *canonical_number(const char *dt, const unsigned char *s, size_t len, char *buf,
	size_t size, size_t *out_len)
{
	const char *p = (const char *)s;
	size_t n = 0;
	if (strncmp(dt, XSD_NS, sizeof(XSD_NS) - 1))
		return NULL;
	dt += sizeof(XSD_NS) - 1;
	if (!strcmp(dt, "integer")) {
		n = kgr__xsd_canon_integer(buf, size, p, len);
	} else if (!strcmp(dt, "decimal")) {
		n = kgr__xsd_canon_decimal(buf, size, p, len);
	} else if (!strcmp(dt, "double") || !strcmp(dt, "float")) {
		int single = dt[0] == 'f';
		char tmp[64];
		double d;
		char *end;
		if (len >= 3 && !strncmp(p, "INF", 3))
			d = HUGE_VAL;
		else if (len >= 4 && !strncmp(p, "-INF", 4))
			d = -HUGE_VAL;
		else if (len >= 3 && !strncmp(p, "NaN", 3))
			d = NAN;
		else {
			if (len >= sizeof(tmp))
				return NULL;
			memcpy(tmp, p, len);
			tmp[len] = '\0';
			d = strtod(tmp, &end);
			if (end == tmp || *end)
				return NULL;
		}
		n = kgr__xsd_canon_double(buf, size, d, single);
	}
	if (!n)
		return NULL;
	*out_len = n;
	return buf;
}

/* A blank node's cell. One that BNODE(str) made (its label starts with KGR__BNODE_MARK, the
 * string follows) is labelled for its solution @p row and string: the same string in one
 * solution is one node, in another solution another (SPARQL 1.1, 17.4.2.9); @p row SIZE_MAX (a
 * graph's triples) labels it for its string alone. */
static int blank_to_cell(kgr_sparql_result *r, const char *label, size_t len, size_t row)
{
	size_t mark = sizeof(KGR__BNODE_MARK) - 1;
	char name[64];
	int n;
	if (len < mark || memcmp(label, KGR__BNODE_MARK, mark) != 0)
		return kgr__sparql_push(r, KGR_TERM_BLANK, label, len, NULL, NULL);
	if (row == SIZE_MAX)
		n = snprintf(name, sizeof(name), "kgrb_%016" PRIx64, kgr__hash64(label + mark, len - mark, 0));
	else
		n = snprintf(name, sizeof(name), "kgrb%zu_%016" PRIx64, row, kgr__hash64(label + mark, len - mark, 0));
	return kgr__sparql_push(r, KGR_TERM_BLANK, name, (size_t)n, NULL, NULL);
}

/* One cell of a result. rasqal hands out copies (strings, datatypes) of its values, so where a
 * value came from is read from the value: a literal that is a term of the store (the data
 * gave it; make_literal() kept its lexical form) or that the query's expressions or VALUES
 * wrote is written as it is; any other number is one the query computed (arithmetic, casts,
 * aggregates, functions) and is written in its canonical form of XSD 1.1 (@p as_given: a
 * column of VALUES, written as rasqal gives it). */
static int literal_to_cell(exec_ctx *ex, kgr_sparql_result *r, rasqal_literal *l, int as_given)
{
	if (!l)
		return kgr__sparql_push(r, KGR_TERM_NONE, NULL, 0, NULL, NULL);
	switch (rasqal_literal_get_rdf_term_type(l)) {
	case RASQAL_LITERAL_URI: {
		size_t len = 0;
		const unsigned char *s = raptor_uri_as_counted_string(l->value.uri, &len);
		return kgr__sparql_push(r, KGR_TERM_IRI, (const char *)s, len, NULL, NULL);
	}
	case RASQAL_LITERAL_BLANK:
		return blank_to_cell(r, (const char *)l->string, strlen((const char *)l->string),
			r->ncols ? r->ncells / r->ncols : 0);
	default: {
		size_t len = 0;
		const unsigned char *s = rasqal_literal_as_counted_string(l, &len, 0, NULL);
		raptor_uri *dt = rasqal_literal_datatype(l);
		const char *dts = dt && !l->language ? (const char *)raptor_uri_as_string(dt) : NULL;
		char buf[128];
		const char *canon;
		if (!s)
			return kgr__sparql_push(r, KGR_TERM_NONE, NULL, 0, NULL, NULL);
		if (dts && !as_given && (canon = canonical_number(dts, s, len, buf, sizeof(buf), &(size_t){ 0 })) &&
			(strlen(canon) != len || memcmp(canon, s, len)) &&
			!kgr__store_literal_id(ex->store, (const char *)s, len, NULL, dts) &&
			!is_const(ex, s, len, dt)) {
			s = (const unsigned char *)canon;
			len = strlen(canon);
		}
		return kgr__sparql_push(r, KGR_TERM_LITERAL, (const char *)s, len, l->language, dts);
	}
	}
}

static int raptor_term_to_cell(kgr_sparql_result *r, raptor_term *t)
{
	if (!t)
		return kgr__sparql_push(r, KGR_TERM_NONE, NULL, 0, NULL, NULL);
	switch (t->type) {
	case RAPTOR_TERM_TYPE_URI: {
		size_t len = 0;
		const unsigned char *s = raptor_uri_as_counted_string(t->value.uri, &len);
		return kgr__sparql_push(r, KGR_TERM_IRI, (const char *)s, len, NULL, NULL);
	}
	case RAPTOR_TERM_TYPE_BLANK:
		return blank_to_cell(r, (const char *)t->value.blank.string, t->value.blank.string_len, SIZE_MAX);
	case RAPTOR_TERM_TYPE_LITERAL:
		return kgr__sparql_push(r, KGR_TERM_LITERAL, (const char *)t->value.literal.string,
			t->value.literal.string_len, (const char *)t->value.literal.language,
			t->value.literal.datatype ?
				(const char *)raptor_uri_as_string(t->value.literal.datatype) :
				NULL);
	default:
		return kgr__sparql_push(r, KGR_TERM_NONE, NULL, 0, NULL, NULL);
	}
}

/* Declared in sparql/sparql_result.h. */
int kgr__sparql_push_id(kgr_sparql_result *r, const kgr_store *store, kgr_id id)
{
	size_t len = 0;
	const char *v = kgr_term_value(store, id, &len);
	kgr_term_kind kind = kgr_term_kind_of(store, id);
	kgr_id dt = kind == KGR_TERM_LITERAL ? kgr_term_datatype(store, id) : 0;
	return kgr__sparql_push(r, kind, v, len, kind == KGR_TERM_LITERAL ? kgr_term_lang(store, id) : NULL,
		dt ? kgr_term_value(store, dt, NULL) : NULL);
}

static int exec_error(exec_ctx *ex, const kgr_sparql_options *opts, const char *what)
{
	const kgr_rdf_log *log = kgr__rdf_log();
	if (ex->timed_out && !log->errors)
		return kgr__error_set(KGR_ETIMEOUT, "SPARQL query exceeded its time limit of %u ms",
			opts->timeout_ms);
	if (ex->oom)
		return kgr__error_set(KGR_ENOMEM, "out of memory while evaluating the SPARQL query");
	return kgr__error_set(KGR_ERROR, "SPARQL %s failed: %s", what,
		log->errors ? log->message : "rasqal gave no reason");
}

/* Solution modifiers kgrec applies itself: rasqal 0.9.33 leaks about 2 KB on every
 * SELECT DISTINCT, so a top-level DISTINCT (and the OFFSET / LIMIT that come after it in
 * the algebra) is taken off the rasqal query and done while reading the rows. */
typedef struct {
	int distinct;
	long offset, limit; /* -1: none */
	uint64_t *hashes;
	size_t *rows;
	size_t cap, count;
	/* ORDER BY of projected variables, taken off the query too (order_take()): the columns,
	 * whether descending, and each kept row's values of them (rasqal's literals, copied) */
	order_by order;
	int order_col[ORDER_MAX];
	rasqal_world *rw;
	rasqal_literal **keys;
	size_t keys_cap;
} row_filter;

static uint64_t row_hash(const kgr_sparql_result *r, size_t row)
{
	uint64_t h = 1469598103934665603ull;
	size_t c;
	for (c = 0; c < r->ncols; c++) {
		const kgr_sparql_term *t = &r->cells[row * r->ncols + c];
		h = kgr__hash64(t->value ? t->value : "", t->len, h ^ (uint64_t)t->kind);
		if (t->lang)
			h = kgr__hash64(t->lang, strlen(t->lang), h);
		if (t->datatype)
			h = kgr__hash64(t->datatype, strlen(t->datatype), h);
	}
	return h;
}

static int opt_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int rows_equal(const kgr_sparql_result *r, size_t a, size_t b)
{
	size_t c;
	for (c = 0; c < r->ncols; c++) {
		const kgr_sparql_term *x = &r->cells[a * r->ncols + c], *y = &r->cells[b * r->ncols + c];
		if (x->kind != y->kind || x->len != y->len || (x->len && memcmp(x->value, y->value, x->len)) ||
			!opt_eq(x->lang, y->lang) || !opt_eq(x->datatype, y->datatype))
			return 0;
	}
	return 1;
}

/* 1 when row @p row (the last one read) repeats an earlier row, else records it; -1 on OOM. */
static int seen_row(row_filter *f, const kgr_sparql_result *r, size_t row)
{
	uint64_t h = row_hash(r, row);
	size_t i;
	if (f->count * 2 >= f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256, j;
		uint64_t *hashes = calloc(cap, sizeof(*hashes));
		size_t *rows = calloc(cap, sizeof(*rows));
		if (!hashes || !rows) {
			free(hashes);
			free(rows);
			return -1;
		}
		for (j = 0; j < f->cap; j++) {
			if (!f->rows[j])
				continue;
			i = (size_t)f->hashes[j] & (cap - 1);
			while (rows[i])
				i = (i + 1) & (cap - 1);
			hashes[i] = f->hashes[j];
			rows[i] = f->rows[j];
		}
		free(f->hashes);
		free(f->rows);
		f->hashes = hashes;
		f->rows = rows;
		f->cap = cap;
	}
	for (i = (size_t)h & (f->cap - 1); f->rows[i]; i = (i + 1) & (f->cap - 1))
		if (f->hashes[i] == h && rows_equal(r, f->rows[i] - 1, row))
			return 1;
	f->hashes[i] = h;
	f->rows[i] = row + 1; /* 0 marks an empty slot */
	f->count++;
	return 0;
}

/* Reads all results of an executed query into @p r. */
/* ---- ORDER BY of projected variables, sorted by kgrec ----
 *
 * rasqal 0.9.33 sorts by inserting each row into a binary tree that it does not balance, with
 * the row's place in the input as the last key: rows that arrive in order, or share their
 * sort key, make it a list, and the sort quadratic (ORDER BY ?brand over 20,720 products of
 * the 1M catalog: 2.1 s for the sort). When every condition is a projected variable, ASC or
 * DESC, kgrec takes the ORDER BY (and the LIMIT and OFFSET after it) off the query and sorts
 * the rows itself, stably, with rasqal's own comparison of two values
 * (rasqal_literal_compare() with the flags rasqal's sort uses; an unbound value first, also
 * under DESC; a comparison that fails counts as equal): the same order. */

/* 1 when the query @p rq projects the variable @p name. */
static int projects(rasqal_query *rq, const char *name)
{
	raptor_sequence *proj = rasqal_query_get_bound_variable_sequence(rq);
	int j;
	for (j = 0; proj && j < raptor_sequence_size(proj); j++) {
		rasqal_variable *pv = raptor_sequence_get_at(proj, j);
		if (pv && !strcmp((const char *)pv->name, name))
			return 1;
	}
	return 0;
}

/* The hidden columns' names: the prefix of the EXISTS markers, which no result shows. */
static const char *const ORDER_HIDDEN[ORDER_MAX] = { KGR__EXISTS_VAR "o0", KGR__EXISTS_VAR "o1",
	KGR__EXISTS_VAR "o2", KGR__EXISTS_VAR "o3", KGR__EXISTS_VAR "o4", KGR__EXISTS_VAR "o5", KGR__EXISTS_VAR "o6",
	KGR__EXISTS_VAR "o7" };

/* 1 when every ORDER BY condition of the SELECT @p rq is a variable, ASC or DESC: the variables
 * and directions into @p o. A variable it does not project becomes a hidden column, in a query
 * without DISTINCT, REDUCED, GROUP BY or HAVING (a column more would change what they do).
 * 0 otherwise. */
static int order_plan(rasqal_query *rq, order_by *o)
{
	raptor_sequence *conds = rasqal_query_get_order_conditions_sequence(rq);
	raptor_sequence *groups = rasqal_query_get_group_conditions_sequence(rq);
	raptor_sequence *having = rasqal_query_get_having_conditions_sequence(rq);
	int n = conds ? raptor_sequence_size(conds) : 0, i;
	int plain = !rasqal_query_get_distinct(rq) && (!groups || raptor_sequence_size(groups) == 0) &&
		    (!having || raptor_sequence_size(having) == 0);
	if (n < 1 || n > ORDER_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		rasqal_expression *e = raptor_sequence_get_at(conds, i);
		rasqal_variable *v;
		o->desc[i] = e && e->op == RASQAL_EXPR_ORDER_COND_DESC;
		if (e && (e->op == RASQAL_EXPR_ORDER_COND_ASC || e->op == RASQAL_EXPR_ORDER_COND_DESC))
			e = e->arg1;
		if (!e || e->op != RASQAL_EXPR_LITERAL || !(v = rasqal_literal_as_variable(e->literal)))
			return 0;
		o->var[i] = (const char *)v->name;
		o->hide[i] = NULL;
		if (!projects(rq, o->var[i])) {
			if (!plain)
				return 0;
			o->hide[i] = o->var[i];
			o->var[i] = ORDER_HIDDEN[i];
		}
	}
	o->n = (size_t)n;
	o->offset = rasqal_query_get_offset(rq);
	o->limit = rasqal_query_get_limit(rq);
	return 1;
}

/* The result's column of each ORDER BY variable; -1 when one is missing. */
static int order_columns(row_filter *f, const kgr_sparql_result *r)
{
	size_t k, c;
	for (k = 0; k < f->order.n; k++) {
		for (c = 0; c < r->ncols && strcmp(r->cols[c], f->order.var[k]); c++)
			;
		if (c == r->ncols)
			return -1;
		f->order_col[k] = (int)c;
	}
	return 0;
}

/* The value rasqal's sort compares for @p l: a string with a datatype rasqal knows read as that
 * type (the triples source hands typed literals over as written), else a copy of @p l. */
static rasqal_literal *order_value(rasqal_world *rw, rasqal_literal *l)
{
	raptor_uri *dt = l->type == RASQAL_LITERAL_STRING && !l->language ? rasqal_literal_datatype(l) : NULL;
	unsigned char *lex;
	if (!dt || !(lex = rasqal_alloc_memory(l->string_len + 1)))
		return rasqal_new_literal_from_literal(l);
	memcpy(lex, l->string, l->string_len);
	lex[l->string_len] = '\0';
	return rasqal_new_string_literal(rw, lex, NULL, raptor_uri_copy(dt), NULL);
}

/* Keeps row @p row's ORDER BY values (copies of the literals rasqal gave). */
static int order_keep(row_filter *f, rasqal_query_results *res, size_t row)
{
	size_t k;
	if ((row + 1) * f->order.n > f->keys_cap) {
		size_t cap = f->keys_cap ? 2 * f->keys_cap : 64 * f->order.n;
		rasqal_literal **keys = realloc(f->keys, cap * sizeof(*keys));
		if (!keys)
			return -1;
		memset(keys + f->keys_cap, 0, (cap - f->keys_cap) * sizeof(*keys));
		f->keys = keys;
		f->keys_cap = cap;
	}
	for (k = 0; k < f->order.n; k++) {
		rasqal_literal *l = rasqal_query_results_get_binding_value(res, f->order_col[k]);
		f->keys[row * f->order.n + k] = l ? order_value(f->rw, l) : NULL;
	}
	return 0;
}

/* The rank of a value's kind in the order (15.1: no value, blank nodes, IRIs, literals; the
 * literals by type: numbers, booleans, dates and times, strings, other types), so that values
 * rasqal cannot compare (a number and a string) still have one order. */
static int order_rank(const rasqal_literal *l)
{
	if (!l)
		return 0;
	switch (l->type) {
	case RASQAL_LITERAL_BLANK:
		return 1;
	case RASQAL_LITERAL_URI:
		return 2;
	case RASQAL_LITERAL_INTEGER:
	case RASQAL_LITERAL_INTEGER_SUBTYPE:
	case RASQAL_LITERAL_FLOAT:
	case RASQAL_LITERAL_DOUBLE:
	case RASQAL_LITERAL_DECIMAL:
		return 3;
	case RASQAL_LITERAL_BOOLEAN:
		return 4;
	case RASQAL_LITERAL_DATE:
	case RASQAL_LITERAL_DATETIME:
		return 5;
	case RASQAL_LITERAL_STRING:
	case RASQAL_LITERAL_XSD_STRING:
		return rasqal_literal_datatype((rasqal_literal *)l) && l->type == RASQAL_LITERAL_STRING ? 7 : 6;
	default:
		return 7;
	}
}

/* The order of rows a and b: by each condition in turn, values of one rank by rasqal's own
 * comparison (rasqal_literal_compare() with the flags of rasqal's sort), by their text where it
 * fails; DESC reverses the whole order of a condition. */
static int order_cmp(const row_filter *f, size_t a, size_t b)
{
	size_t k;
	for (k = 0; k < f->order.n; k++) {
		rasqal_literal *x = f->keys[a * f->order.n + k], *y = f->keys[b * f->order.n + k];
		int rx = order_rank(x), ry = order_rank(y), c = rx - ry, error = 0;
		if (!c && x && y) {
			c = rasqal_literal_compare(x, y, RASQAL_COMPARE_XQUERY | RASQAL_COMPARE_URI, &error);
			if (error) {
				raptor_uri *dx = rasqal_literal_datatype(x), *dy = rasqal_literal_datatype(y);
				c = strcmp(x->string ? (const char *)x->string : "", y->string ? (const char *)y->string : "");
				if (!c)
					c = strcmp(dx ? (const char *)raptor_uri_as_string(dx) : "",
						dy ? (const char *)raptor_uri_as_string(dy) : "");
			}
		}
		if (c)
			return f->order.desc[k] ? -c : c;
	}
	return 0;
}

static int row_order(const void *f, size_t a, size_t b)
{
	return order_cmp(f, a, b);
}

/* Sorts the rows of @p r, then applies the OFFSET, the LIMIT and @p max_rows. */
static int order_apply(row_filter *f, kgr_sparql_result *r, size_t max_rows)
{
	size_t *v = malloc((r->nrows + 1) * sizeof(*v)), *tmp = malloc((r->nrows + 1) * sizeof(*tmp));
	kgr_sparql_term *cells = malloc((r->ncells + 1) * sizeof(*cells));
	size_t i, from, n;
	if (!v || !tmp || !cells) {
		free(v);
		free(tmp);
		free(cells);
		return -1;
	}
	for (i = 0; i < r->nrows; i++)
		v[i] = i;
	kgr__sparql_merge_sort(v, tmp, r->nrows, row_order, f);
	from = f->order.offset > 0 ? ((size_t)f->order.offset < r->nrows ? (size_t)f->order.offset : r->nrows) : 0;
	n = r->nrows - from;
	if (f->order.limit >= 0 && (size_t)f->order.limit < n)
		n = (size_t)f->order.limit;
	if (max_rows && n > max_rows) {
		n = max_rows;
		r->truncated = 1;
	}
	for (i = 0; i < n; i++)
		memcpy(cells + i * r->ncols, r->cells + v[from + i] * r->ncols, r->ncols * sizeof(*cells));
	if (n)
		memcpy(r->cells, cells, n * r->ncols * sizeof(*cells));
	r->nrows = n;
	r->ncells = n * r->ncols;
	free(v);
	free(tmp);
	free(cells);
	return 0;
}

static void order_free(row_filter *f)
{
	size_t i;
	for (i = 0; f->keys && i < f->keys_cap; i++)
		if (f->keys[i])
			rasqal_free_literal(f->keys[i]);
	free(f->keys);
	f->keys = NULL;
}

/* The @p n column names of @p r: the result's, or the projection's (@p projected) when it
 * has no row. -1 when out of memory. */
static int result_columns(kgr_sparql_result *r, rasqal_query_results *res, raptor_sequence *projected,
	int n)
{
	int i;
	r->ncols = n > 0 ? (size_t)n : 0;
	if (!(r->cols = calloc(r->ncols ? r->ncols : 1, sizeof(char *))))
		return -1;
	for (i = 0; i < n; i++) {
		const char *name;
		if (projected) {
			rasqal_variable *v = raptor_sequence_get_at(projected, i);
			name = v ? (const char *)v->name : NULL;
		} else {
			name = (const char *)rasqal_query_results_get_binding_name(res, i);
		}
		if (!name)
			name = "";
		if (!(r->cols[i] = kgr__sparql_strdup(r, name, strlen(name))))
			return -1;
	}
	return 0;
}

/* Drops the first @p skip rows of @p r (an OFFSET applied after the rows were read). */
static void drop_rows(kgr_sparql_result *r, size_t skip)
{
	size_t drop = skip < r->nrows ? skip : r->nrows;
	memmove(r->cells, r->cells + drop * r->ncols, (r->nrows - drop) * r->ncols * sizeof(*r->cells));
	r->nrows -= drop;
	r->ncells = r->nrows * r->ncols;
}

static int collect(kgr_sparql_result **out, rasqal_query *rq, rasqal_query_results *res,
	exec_ctx *ex, const kgr_sparql_options *opts, row_filter *f)
{
	kgr_sparql_result *r = NULL;
	int error = 0;
	size_t limit = opts->max_rows, skip = f->offset > 0 ? (size_t)f->offset : 0;
	char *as_given = NULL;

	if (rasqal_query_results_is_boolean(res)) {
		int b = rasqal_query_results_get_boolean(res);
		if (ex->timed_out || b < 0)
			return exec_error(ex, opts, "ASK");
		if (!(r = kgr__sparql_result_new(KGR_SPARQL_BOOLEAN)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		r->boolean = b > 0;
	} else if (rasqal_query_results_is_bindings(res)) {
		int n = rasqal_query_results_get_bindings_count(res), i;
		/* rasqal 0.9.33 knows the result's variables only once it has a row: for an empty
		 * result the columns come from the query's projection */
		raptor_sequence *projected = n > 0 ? NULL : rasqal_query_get_bound_variable_sequence(rq);
		if (projected)
			n = raptor_sequence_size(projected);
		if (!(r = kgr__sparql_result_new(KGR_SPARQL_BINDINGS)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		if (result_columns(r, res, projected, n) < 0) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		if (!(as_given = calloc(r->ncols + 1, 1))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		for (i = 0; i < n; i++)
			as_given[i] = (char)values_column(ex->text, r->cols[i]);
		if (order_columns(f, r) < 0) {
			error = kgr__error_set(KGR_ERROR, "ORDER BY: a variable is not a column of the result");
			goto cleanup;
		}
		/* rows before skip are read (DISTINCT needs them) and dropped at the end */
		while (!projected && !rasqal_query_results_finished(res)) {
			int dup = 0;
			if (ex->timed_out || ex->oom)
				break;
			if (f->limit >= 0 && r->nrows >= skip + (size_t)f->limit)
				break;
			if (limit && r->nrows >= skip + limit) {
				r->truncated = 1;
				break;
			}
			for (i = 0; i < n; i++) {
				if (literal_to_cell(ex, r, rasqal_query_results_get_binding_value(res, i),
					    as_given[i])) {
					error = kgr__error_set(KGR_ENOMEM, "out of memory");
					goto cleanup;
				}
			}
			if (f->distinct && (dup = seen_row(f, r, r->nrows)) < 0) {
				error = kgr__error_set(KGR_ENOMEM, "out of memory");
				goto cleanup;
			}
			if (dup) {
				r->ncells -= r->ncols;
			} else {
				if (f->order.n && order_keep(f, res, r->nrows) < 0) {
					error = kgr__error_set(KGR_ENOMEM, "out of memory");
					goto cleanup;
				}
				r->nrows++;
			}
			if (rasqal_query_results_next(res))
				break;
		}
		if (skip)
			drop_rows(r, skip);
	} else if (rasqal_query_results_is_graph(res)) {
		raptor_statement *st;
		if (!(r = kgr__sparql_result_new(KGR_SPARQL_GRAPH)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		for (st = rasqal_query_results_get_triple(res); st;
			st = rasqal_query_results_get_triple(res)) {
			if (ex->timed_out || ex->oom)
				break;
			if (limit && r->ntriples >= limit) {
				r->truncated = 1;
				break;
			}
			if (raptor_term_to_cell(r, st->subject) || raptor_term_to_cell(r, st->predicate) ||
				raptor_term_to_cell(r, st->object)) {
				error = kgr__error_set(KGR_ENOMEM, "out of memory");
				goto cleanup;
			}
			r->ntriples++;
			if (rasqal_query_results_next_triple(res))
				break;
		}
	} else {
		return kgr__error_set(KGR_EUNSUPPORTED, "this kind of SPARQL result is not supported");
	}
	if (ex->timed_out || ex->oom || kgr__rdf_log()->errors)
		error = exec_error(ex, opts, "evaluation");
cleanup:
	free(as_given);
	if (error) {
		kgr_sparql_result_free(r);
		return error;
	}
	*out = r;
	return 0;
}

/* The rewrites of a query's text before rasqal parses it, in this order; each returns the new
 * text (NULL: nothing to rewrite) and sets *oom when memory ran out. GROUP BY without an
 * aggregate becomes DISTINCT before the GROUP BY (expr AS ?v) rewrite, and again after it for
 * what that rewrite made of such a query. */
static char *(*const text_rewrites[])(const char *, int *) = {
	kgr__sparql_pname_rewrite, kgr__sparql_unbound_rewrite, kgr__sparql_group_distinct_rewrite,
	kgr__sparql_group_alias_rewrite, kgr__sparql_group_distinct_rewrite, kgr__sparql_order_having_rewrite,
	rewrite_values,
	kgr__sparql_count_rewrite,
	kgr__sparql_function_rewrite, kgr__sparql_empty_graph_rewrite, kgr__sparql_separator_rewrite,
	kgr__sparql_regex_rewrite,
};

/* Prepares @p text; on success *rq_out is the prepared query. */
static int prepare(rasqal_query **rq_out, rasqal_world *rw, raptor_world *raptor, const char *text,
	const char *base_iri)
{
	rasqal_query *rq;
	raptor_uri *base;
	char *rewritten;
	size_t i;
	int rc, oom;
	*rq_out = NULL;
	rq = rasqal_new_query(rw, "sparql11", NULL);
	if (!rq)
		return kgr__error_set(KGR_ENOMEM, "cannot create a rasqal query");
	base = raptor_new_uri(raptor, (const unsigned char *)(base_iri ? base_iri : DEFAULT_BASE));
	if (!base) {
		rasqal_free_query(rq);
		return kgr__error_set(KGR_EINVALID, "invalid base IRI '%s'", base_iri);
	}
	/* the text rewrites, in turn: prefixed names rasqal's lexer rejects and aggregated
	 * variables that nothing binds (sparql/sparql_validate.c), GROUP BY (expr AS ?v) and the
	 * aggregates of ORDER BY and HAVING (sparql/sparql_group.c), one-variable VALUES, COUNT of a
	 * variable, IRI() of an IRI, CONCAT() and GROUP_CONCAT's separator (sparql/sparql_concat.c),
	 * GRAPH X {} (sparql/sparql_fixups.c), a grouping SELECT without aggregates as a DISTINCT one
	 * (sparql/sparql_group.c), XPath regular expressions as POSIX ones (sparql/sparql_regex.c) */
	rewritten = NULL;
	oom = 0;
	for (i = 0; i < sizeof(text_rewrites) / sizeof(*text_rewrites) && !oom; i++) {
		char *t = text_rewrites[i](rewritten ? rewritten : text, &oom);
		if (t) {
			free(rewritten);
			rewritten = t;
		}
	}
	if (oom) {
		free(rewritten);
		rasqal_free_query(rq);
		raptor_free_uri(base);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	/* rasqal 0.9.33 rejects a comment that ends the text without a newline */
	{
		const char *src = rewritten ? rewritten : text;
		size_t n = strlen(src);
		if (n && src[n - 1] != '\n') {
			char *t = malloc(n + 2);
			if (!t) {
				free(rewritten);
				rasqal_free_query(rq);
				raptor_free_uri(base);
				return kgr__error_set(KGR_ENOMEM, "out of memory");
			}
			memcpy(t, src, n);
			t[n] = '\n';
			t[n + 1] = '\0';
			free(rewritten);
			rewritten = t;
		}
	}
	/* nothing is ever fetched: FROM graphs are ignored, SERVICE is refused */
	rasqal_query_set_feature(rq, RASQAL_FEATURE_NO_NET, 1);
	rc = rasqal_query_prepare(rq, (const unsigned char *)(rewritten ? rewritten : text), base);
	raptor_free_uri(base);
	if (rc) {
		rasqal_free_query(rq);
		rc = parse_error(rewritten ? rewritten : text);
		free(rewritten);
		return rc;
	}
	free(rewritten);
	*rq_out = rq;
	return 0;
}

static int has_operator(rasqal_graph_pattern *gp, rasqal_graph_pattern_operator op)
{
	int i;
	rasqal_graph_pattern *sub;
	if (!gp)
		return 0;
	if (rasqal_graph_pattern_get_operator(gp) == op)
		return 1;
	for (i = 0; (sub = rasqal_graph_pattern_get_sub_graph_pattern(gp, i)); i++)
		if (has_operator(sub, op))
			return 1;
	return 0;
}

/* ---- a SELECT of one basic graph pattern, evaluated by kgrec (sparql/sparql_bgp.c) ---- */

typedef struct {
	exec_ctx *ex; /* first: bgp_graph_ok() and bgp_stop() read it from any payload */
	kgr_sparql_result *r;
	row_filter f;
	int col_var[KGR__BGP_VARS]; /* each column's variable */
	size_t ncols, keep;         /* keep: rows to read (OFFSET + LIMIT, max_rows), 0: all */
	int truncate;               /* keep is max_rows: a cut result says so */
	int oom;
} bgp_rows;

/* The payload of these two begins with the query's exec_ctx pointer. */
static int bgp_graph_ok(void *payload, kgr_id g)
{
	return graph_in_dataset(*(exec_ctx **)payload, g, 0);
}

static int bgp_stop(void *payload)
{
	return deadline_passed(*(exec_ctx **)payload);
}

static int bgp_keep(void *payload, const kgr_id *values)
{
	return kgr__vfilter_keep(&(*(exec_ctx **)payload)->vf, values);
}

/* The top-level && chain of @p e, its parts into conj[*n ..), at most max; -1 when more. */
static int conjuncts(rasqal_expression *e, rasqal_expression **conj, size_t *n, size_t max)
{
	if (e && e->op == RASQAL_EXPR_AND)
		return conjuncts(e->arg1, conj, n, max) || conjuncts(e->arg2, conj, n, max) ? -1 : 0;
	if (*n == max)
		return -1;
	conj[(*n)++] = e;
	return 0;
}

static int bgp_solution(void *payload, const kgr_id *val)
{
	bgp_rows *br = payload;
	kgr_sparql_result *r = br->r;
	size_t i;
	int dup = 0;
	if (br->keep && r->nrows >= br->keep) {
		r->truncated = br->truncate;
		return 1;
	}
	for (i = 0; i < br->ncols; i++)
		if (kgr__sparql_push_id(r, br->ex->store, val[br->col_var[i]])) {
			br->oom = 1;
			return 1;
		}
	if (br->f.distinct && (dup = seen_row(&br->f, r, r->nrows)) < 0) {
		br->oom = 1;
		return 1;
	}
	if (dup)
		r->ncells -= r->ncols;
	else
		r->nrows++;
	/* LIMIT reached: done (the row limit reads one more, to tell that it cut) */
	return br->keep && r->nrows >= br->keep && !br->truncate;
}

/* The variable's index among vars[0 .. *n), added when new; -1 when there are too many. */
static int bgp_var(rasqal_variable **vars, size_t *n, rasqal_variable *v)
{
	size_t i;
	for (i = 0; i < *n; i++)
		if (vars[i] == v)
			return (int)i;
	if (*n == KGR__BGP_VARS)
		return -1;
	vars[*n] = v;
	return (int)(*n)++;
}

/* The variable of a FILTER(?m) or FILTER(!?m) (the negation rewrite's test of a marker),
 * with *exists 1 or 0; NULL for any other expression. */
static rasqal_variable *marker_test(rasqal_expression *e, int *exists)
{
	*exists = !(e && e->op == RASQAL_EXPR_BANG);
	if (e && e->op == RASQAL_EXPR_BANG)
		e = e->arg1;
	return e && e->op == RASQAL_EXPR_LITERAL && e->literal ? rasqal_literal_as_variable(e->literal) : NULL;
}

/* The EXISTS marker triple @p t (pattern_neg() idx) as check c of @p b, when its pattern is
 * one triple that exists_direct() could answer and every variable of the group it reads is
 * one of vars[0 .. nv); 0 otherwise. The polarity is set later, from the FILTER. */
static int bgp_check(exec_ctx *ex, kgr__bgp_check *c, int idx, rasqal_variable **vars, size_t nv)
{
	kgr__neg *e = &ex->negs.v[idx];
	int k;
	if (e->minus)
		return 0;
	if (!e->direct)
		e->direct = direct_form(ex, e);
	if (e->direct < 0)
		return 0;
	for (k = 0; k < 3; k++) {
		size_t j;
		c->var[k] = e->direct_var[k] < 0 ? e->direct_var[k] : -3;
		c->id[k] = e->direct_var[k] == -1 ? e->direct_id[k] : 0;
		for (j = 0; j < nv && c->var[k] == -3; j++)
			if (!strcmp((const char *)vars[j]->name, e->vars[e->direct_var[k]]))
				c->var[k] = (int)j;
		if (c->var[k] == -3)
			return 0;
	}
	return 1;
}

static int id_order(const void *a, const void *b)
{
	kgr_id x = *(const kgr_id *)a, y = *(const kgr_id *)b;
	return x < y ? -1 : x > y;
}

/* Path pattern @p t (path @p path) as pattern @p pt: when one end is a term the store holds
 * and the other a variable, the values of that variable, found now in the query's default
 * graph (and kept for the query), become a pattern of values (kgr__bgp_pattern.set). 1, or 0
 * when the pattern is not of that form or cannot be evaluated now (rasqal's then). */
static int bgp_path_set(exec_ctx *ex, rasqal_query *rq, rasqal_triple *t, int path,
	kgr__bgp_pattern *pt, rasqal_variable **vars, size_t *nv)
{
	kgr__path_env env = { ex->store, KGR_ANY_GRAPH, path_in_default, path_stop, ex };
	rasqal_variable *sv = rasqal_literal_as_variable(t->subject);
	rasqal_variable *ov = rasqal_literal_as_variable(t->object);
	rasqal_variable *v = sv ? sv : ov;
	kgr__path_pair *pairs = NULL;
	kgr_id s = 0, o = 0, *vals;
	size_t n = 0, i;
	if (!sv == !ov || v->expression || ex->npset == KGR__BGP_MAX || t->origin)
		return 0;
	if ((sv ? rasqal_literal_get_rdf_term_type(t->object)
		: rasqal_literal_get_rdf_term_type(t->subject)) == RASQAL_LITERAL_BLANK)
		return 0;
	if (!(sv ? (o = literal_id(ex, t->object)) : (s = literal_id(ex, t->subject))))
		return 0; /* a term the store lacks: only zero-length paths meet it (rasqal's) */
	if ((pt->var[0] = bgp_var(vars, nv, v)) < 0)
		return 0;
	pt->var[1] = pt->var[2] = -1;
	for (i = 0; i < ex->npset; i++)
		if (ex->pset[i].path == path && ex->pset[i].s == s && ex->pset[i].o == o) {
			pt->set = ex->pset[i].vals;
			pt->n_set = ex->pset[i].n;
			return 1;
		}
	/* FROM chooses the default graph the path runs in */
	if (!ex->nesting && dataset_from_query(ex, rasqal_query_get_data_graph_sequence(rq)))
		return 0;
	if (kgr__path_eval(&pairs, &n, ex->paths, path, &env, s, o))
		return 0; /* out of memory or out of time: rasqal's path says which */
	if (!(vals = malloc((n ? n : 1) * sizeof(*vals)))) {
		free(pairs);
		return 0;
	}
	for (i = 0; i < n; i++)
		vals[i] = sv ? pairs[i].s : pairs[i].o;
	free(pairs);
	qsort(vals, n, sizeof(*vals), id_order);
	ex->pset[ex->npset].path = path;
	ex->pset[ex->npset].s = s;
	ex->pset[ex->npset].o = o;
	ex->pset[ex->npset].vals = vals;
	ex->pset[ex->npset++].n = n;
	pt->set = vals;
	pt->n_set = n;
	return 1;
}

/* The query as kgr__bgp patterns when it is a SELECT of plain variables (or *, which rasqal
 * has expanded into the pattern's variables) over one group of triple patterns and nothing
 * else (no FILTER, OPTIONAL, GRAPH, path, MINUS marker, VALUES, sub-select, grouping,
 * aggregate, ORDER BY; DISTINCT, LIMIT and OFFSET allowed), with every projected variable in
 * a pattern; 0 otherwise. The one FILTER allowed is the negation rewrite's test of an EXISTS
 * or NOT EXISTS marker whose pattern is a single triple (sparql/sparql_exists.h): it becomes
 * a check of each solution (kgr__bgp_check). */
static int bgp_form(exec_ctx *ex, rasqal_query *rq, kgr__bgp *b, rasqal_variable **vars,
	int *col_var, size_t *ncols)
{
	rasqal_graph_pattern *gp = rasqal_query_get_query_graph_pattern(rq), *sub;
	raptor_sequence *proj = rasqal_query_get_bound_variable_sequence(rq);
	raptor_sequence *g = rasqal_query_get_group_conditions_sequence(rq);
	raptor_sequence *h = rasqal_query_get_having_conditions_sequence(rq);
	raptor_sequence *o = rasqal_query_get_order_conditions_sequence(rq);
	rasqal_variable *test_var[KGR__BGP_MAX], *marker_var[KGR__BGP_MAX];
	rasqal_expression *conj[KGR__VF_ROOTS], *value_test[KGR__VF_ROOTS];
	int test_exists[KGR__BGP_MAX], marker_idx[KGR__BGP_MAX];
	size_t nv = 0, n = 0, n_test = 0, n_marker = 0, n_value = 0, m, j;
	int i, k, si, ask = rasqal_query_get_verb(rq) == RASQAL_QUERY_VERB_ASK;
	if ((!ask && rasqal_query_get_verb(rq) != RASQAL_QUERY_VERB_SELECT) || ex->order.n || !gp ||
		(!ask && !proj) ||
		(g && raptor_sequence_size(g) > 0) ||
		(h && raptor_sequence_size(h) > 0) || (o && raptor_sequence_size(o) > 0) ||
		rasqal_query_get_bindings_variables_sequence(rq) || rasqal_graph_pattern_get_filter_expression(gp))
		return 0;
	memset(b, 0, sizeof(*b));
	for (si = 0;; si++) {
		rasqal_triple *t;
		if (rasqal_graph_pattern_get_operator(gp) != RASQAL_GRAPH_PATTERN_OPERATOR_GROUP)
			sub = si ? NULL : gp;
		else
			sub = rasqal_graph_pattern_get_sub_graph_pattern(gp, si);
		if (!sub)
			break;
		if (rasqal_graph_pattern_get_operator(sub) == RASQAL_GRAPH_PATTERN_OPERATOR_FILTER) {
			size_t nc = 0, c;
			if (conjuncts(rasqal_graph_pattern_get_filter_expression(sub), conj, &nc, KGR__VF_ROOTS))
				return 0;
			for (c = 0; c < nc; c++) {
				if (n_test == KGR__BGP_MAX || n_value == KGR__VF_ROOTS)
					return 0;
				if ((test_var[n_test] = marker_test(conj[c], &test_exists[n_test])))
					n_test++;
				else
					value_test[n_value++] = conj[c]; /* read once the variables are known */
			}
			continue;
		}
		if (rasqal_graph_pattern_get_operator(sub) != RASQAL_GRAPH_PATTERN_OPERATOR_BASIC ||
			rasqal_graph_pattern_get_filter_expression(sub) || rasqal_graph_pattern_get_sub_graph_pattern(sub, 0))
			return 0;
		for (i = 0; (t = rasqal_graph_pattern_get_triple(sub, i)); i++) {
			rasqal_literal *part[3] = { t->subject, t->predicate, t->object };
			kgr__bgp_pattern *pt;
			int neg = pattern_neg(ex, t), path = pattern_path(ex, t);
			if (t->origin)
				return 0;
			if (path >= 0) { /* a path with one end written: the values of the other */
				if (n == KGR__BGP_MAX || !bgp_path_set(ex, rq, t, path, &b->pat[n], vars, &nv))
					return 0;
				n++;
				continue;
			}
			if (neg >= 0) { /* an EXISTS marker: its variable is tested by a FILTER */
				if (n_marker == KGR__BGP_MAX || !(marker_var[n_marker] = rasqal_literal_as_variable(t->object)))
					return 0;
				marker_idx[n_marker++] = neg;
				continue;
			}
			if (n == KGR__BGP_MAX)
				return 0;
			pt = &b->pat[n++];
			for (k = 0; k < 3; k++) {
				rasqal_variable *v = rasqal_literal_as_variable(part[k]);
				if (v) {
					if (v->expression || (pt->var[k] = bgp_var(vars, &nv, v)) < 0)
						return 0;
				} else if (rasqal_literal_get_rdf_term_type(part[k]) == RASQAL_LITERAL_BLANK) {
					return 0;
				} else {
					pt->var[k] = -1;
					pt->id[k] = literal_id(ex, part[k]);
				}
			}
		}
	}
	if ((!n && !(ask && !n_test && !n_value)) || n_test != n_marker)
		return 0; /* ASK {}: the empty pattern's one solution */
	b->n_pat = n;
	/* the other FILTERs, evaluated on the solutions' ids (sparql/sparql_vfilter.c) */
	ex->vf.n_node = ex->vf.n_root = 0;
	for (j = 0; j < n_value; j++)
		if (!kgr__vfilter_add(&ex->vf, ex->store, value_test[j], (void *const *)vars, nv))
			return 0;
	ex->vf.unsure = 0;
	if (n_value)
		b->keep = bgp_keep;
	/* each marker tested by exactly one FILTER */
	for (m = 0; m < n_marker; m++) {
		kgr__bgp_check *c = &b->check[b->n_check];
		size_t tests = 0;
		for (j = 0; j < n_test; j++)
			if (test_var[j] == marker_var[m]) {
				tests++;
				c->exists = test_exists[j];
			}
		if (tests != 1 || !bgp_check(ex, c, marker_idx[m], vars, nv))
			return 0;
		b->n_check++;
	}
	*ncols = ask ? 0 : (size_t)raptor_sequence_size(proj);
	if (*ncols > KGR__BGP_VARS)
		return 0;
	for (i = 0; (size_t)i < *ncols; i++) {
		rasqal_variable *v = raptor_sequence_get_at(proj, i);
		if (!v || v->expression)
			return 0;
		for (j = 0; j < nv && vars[j] != v; j++)
			;
		if (j == nv)
			return 0; /* a projected variable no pattern binds: rasqal's */
		col_var[i] = (int)j;
	}
	return 1;
}

/* Declared in sparql/sparql_result.h. */
unsigned long kgr__sparql_bgp_answered;

/* Whether bgp_select() would answer the query. */
static int bgp_applies(exec_ctx *ex, rasqal_query *rq)
{
	kgr__bgp b;
	rasqal_variable *vars[KGR__BGP_VARS];
	int col_var[KGR__BGP_VARS];
	size_t ncols;
	return bgp_form(ex, rq, &b, vars, col_var, &ncols);
}

/* A SELECT of one basic graph pattern answered by kgr__bgp_run(): 1 when answered (or an
 * error, < 0), 0 when the query is not of that form (rasqal answers it). */
static int bgp_select(kgr_sparql_result **out, rasqal_query *rq, exec_ctx *ex,
	const kgr_sparql_options *opts)
{
	kgr__bgp b;
	rasqal_variable *vars[KGR__BGP_VARS];
	bgp_rows br;
	size_t skip;
	long limit = rasqal_query_get_limit(rq), offset = rasqal_query_get_offset(rq);
	int error = 0, ask = rasqal_query_get_verb(rq) == RASQAL_QUERY_VERB_ASK;
	memset(&br, 0, sizeof(br));
	if (!bgp_form(ex, rq, &b, vars, br.col_var, &br.ncols))
		return 0;
	if (ask) /* the first solution answers */
		limit = 1, offset = 0;
	/* FROM chooses the default graph, as in ts_new() */
	if (!ex->nesting && dataset_from_query(ex, rasqal_query_get_data_graph_sequence(rq)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	skip = offset > 0 ? (size_t)offset : 0;
	br.ex = ex;
	br.f.distinct = rasqal_query_get_distinct(rq) != 0;
	if (limit >= 0)
		br.keep = skip + (size_t)limit;
	if (opts->max_rows && (!br.keep || skip + opts->max_rows < br.keep)) {
		br.keep = skip + opts->max_rows;
		br.truncate = 1;
	}
	if (!(br.r = kgr__sparql_result_new(KGR_SPARQL_BINDINGS)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (!ask && result_columns(br.r, NULL, rasqal_query_get_bound_variable_sequence(rq), (int)br.ncols) < 0) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto done;
	}
	b.store = ex->store;
	b.graph_ok = bgp_graph_ok;
	b.stop = bgp_stop;
	b.solution = bgp_solution;
	b.payload = &br;
	if (!(limit == 0))
		kgr__bgp_run(&b);
	if (ex->vf.unsure) { /* a comparison rasqal makes: the query is its */
		free(br.f.hashes);
		free(br.f.rows);
		kgr_sparql_result_free(br.r);
		return 0;
	}
	if (br.oom || ex->oom)
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
	else if (ex->timed_out || kgr__rdf_log()->errors)
		error = exec_error(ex, opts, "evaluation");
	if (!error && skip)
		drop_rows(br.r, skip);
	if (!error && ask) {
		int yes = br.r->nrows > 0;
		kgr_sparql_result_free(br.r);
		if (!(br.r = kgr__sparql_result_new(KGR_SPARQL_BOOLEAN)))
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
		else
			br.r->boolean = yes;
	}
done:
	free(br.f.hashes);
	free(br.f.rows);
	if (error) {
		kgr_sparql_result_free(br.r);
		return error;
	}
	*out = br.r;
	kgr__sparql_bgp_answered++;
	return 1;
}

/* ---- a grouped count over the solutions of one basic graph pattern, by term ids ---- */

typedef struct {
	exec_ctx *ex; /* first, as in bgp_rows */
	int col_var[KGR__BGP_VARS];
	size_t ncols;
	int distinct;     /* the SELECT's DISTINCT: each row once */
	kgr__idset rows;  /* the rows so far, when distinct */
	/* or, when distinct with at most two columns and no slice: the rows as words (the first
	 * id in the high half), sorted and counted once each at the end */
	kgr__words words;
	int sorting;
	size_t skip, keep; /* OFFSET rows passed over, then at most keep counted (0: all) */
	size_t n;          /* rows so far, those skipped included */
	kgr__group_ids *gi;
	int oom;
	int unsure; /* a SUM or AVG met a value it leaves to rasqal */
} id_counts;

/* Distinct rows are kept as words up to kgr__sparql_sort_max of them, then in the hash set
 * (as kgr__group_ids does: sorting is a few sequential passes, where a hash set outgrowing the
 * caches waits for memory at every probe; past the limit memory stays in proportion to the
 * distinct rows). */

static uint64_t row_word(const id_counts *c, const kgr_id *row)
{
	return c->ncols == 2 ? (uint64_t)row[0] << 32 | row[1] : c->ncols ? row[0] : 0;
}

static void word_row(const id_counts *c, uint64_t w, kgr_id *row)
{
	if (c->ncols == 2)
		row[0] = (kgr_id)(w >> 32), row[1] = (kgr_id)w;
	else if (c->ncols)
		row[0] = (kgr_id)w;
}

/* The rows kept as words, each once, into the counts: in ascending order (@p sort) at the
 * end, or in the order met into the hash set past kgr__sparql_sort_max.
 * 0, or -1 out of memory. */
static int unword(id_counts *c, int sort)
{
	kgr_id row[2];
	size_t i, at;
	int added;
	c->sorting = 0;
	if (sort && kgr__sort_u64(c->words.v, c->words.n) < 0)
		return -1;
	for (i = 0; i < c->words.n; i++) {
		if (sort && i && c->words.v[i] == c->words.v[i - 1])
			continue;
		word_row(c, c->words.v[i], row);
		if (!sort && (added = kgr__idset_add(&c->rows, row, &at)) <= 0) {
			if (added < 0)
				return -1;
			continue;
		}
		c->n++;
		if ((added = kgr__sparql_group_ids_add(c->gi, row)) != 0) {
			if (added < 0)
				return -1;
			c->unsure = 1;
		}
	}
	kgr__words_free(&c->words);
	return 0;
}

static int id_count_solution(void *payload, const kgr_id *val)
{
	id_counts *c = payload;
	kgr_id row[KGR__BGP_VARS];
	size_t i, at;
	int added;
	for (i = 0; i < c->ncols; i++)
		row[i] = val[c->col_var[i]];
	if (c->sorting && c->words.n >= kgr__sparql_sort_max && unword(c, 0) < 0)
		return c->oom = 1;
	if (c->sorting)
		return kgr__words_push(&c->words, row_word(c, row)) < 0 ? (c->oom = 1) : 0;
	if (c->distinct && (added = kgr__idset_add(&c->rows, row, &at)) <= 0)
		return added < 0 ? (c->oom = 1) : 0;
	if (c->n++ < c->skip)
		return 0;
	if ((added = kgr__sparql_group_ids_add(c->gi, row)) != 0)
		return added < 0 ? (c->oom = 1) : (c->unsure = 1);
	return c->keep && c->n >= c->skip + c->keep;
}

/* The grouped count of @p plan (kgr__sparql_group_form()) over the rows of @p rq when rq is
 * a SELECT that kgrec evaluates itself (bgp_form()), counted over term ids without making
 * the rows: 1 when answered (or an error, < 0), 0 when rq or the plan is not of that form.
 * @p as_written: rq's DISTINCT, LIMIT and OFFSET apply (a sub-select as the user wrote it);
 * otherwise rq is the inner SELECT of the plan, whose distinct counts do without them. */
static int count_over_ids(kgr_sparql_result **out, exec_ctx *ex, rasqal_query *rq, const void *plan,
	int as_written, const kgr_sparql_options *opts)
{
	raptor_sequence *proj = rasqal_query_get_bound_variable_sequence(rq);
	rasqal_variable *vars[KGR__BGP_VARS];
	const char *names[KGR__BGP_VARS];
	long limit = rasqal_query_get_limit(rq), offset = rasqal_query_get_offset(rq);
	kgr__bgp b;
	id_counts c;
	size_t i;
	int error;
	memset(&c, 0, sizeof(c));
	if (!bgp_form(ex, rq, &b, vars, c.col_var, &c.ncols))
		return 0;
	for (i = 0; i < c.ncols; i++)
		names[i] = (const char *)((rasqal_variable *)raptor_sequence_get_at(proj, (int)i))->name;
	if ((error = kgr__sparql_group_ids_new(&c.gi, plan, ex->store, names, c.ncols)) != 0)
		return error == 1 ? 0 : error;
	if (!ex->nesting && dataset_from_query(ex, rasqal_query_get_data_graph_sequence(rq))) {
		kgr__sparql_group_ids_free(c.gi);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	c.ex = ex;
	c.rows.width = c.ncols;
	if (as_written) {
		c.distinct = rasqal_query_get_distinct(rq) != 0;
		c.skip = offset > 0 ? (size_t)offset : 0;
		c.keep = limit > 0 ? (size_t)limit : 0;
		c.sorting = c.distinct && c.ncols <= 2 && !c.skip && !c.keep;
	}
	b.store = ex->store;
	b.graph_ok = bgp_graph_ok;
	b.stop = bgp_stop;
	b.solution = id_count_solution;
	b.payload = &c;
	if (!(as_written && limit == 0))
		kgr__bgp_run(&b);
	if (c.sorting && !c.oom && !ex->oom && !ex->timed_out && unword(&c, 1) < 0)
		c.oom = 1;
	kgr__words_free(&c.words);
	if (ex->vf.unsure || c.unsure) { /* a comparison or a sum rasqal makes: the rows are its */
		kgr__idset_free(&c.rows);
		kgr__sparql_group_ids_free(c.gi);
		return 0;
	}
	if (c.oom || ex->oom)
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
	else if (ex->timed_out || kgr__rdf_log()->errors)
		error = exec_error(ex, opts, "evaluation");
	else
		error = kgr__sparql_group_ids_answer(out, c.gi, ex->store, opts->max_rows, ex->rw);
	kgr__idset_free(&c.rows);
	kgr__sparql_group_ids_free(c.gi);
	if (error)
		return error == 1 ? 0 : error;
	kgr__sparql_bgp_answered++;
	return 1;
}

static int execute(kgr_sparql_result **out, rasqal_query *rq, exec_ctx *ex,
	const kgr_sparql_options *opts)
{
	rasqal_query_results *res;
	row_filter f;
	kgr__agg_plan plan;
	int error;
	if (has_operator(rasqal_query_get_query_graph_pattern(rq), RASQAL_GRAPH_PATTERN_OPERATOR_SERVICE))
		return kgr__error_set(KGR_EUNSUPPORTED,
			"SPARQL SERVICE (federated query) is not supported: a kgrec query reads only its store");
	if (has_operator(rasqal_query_get_query_graph_pattern(rq), RASQAL_GRAPH_PATTERN_OPERATOR_MINUS))
		return kgr__error_set(KGR_EUNSUPPORTED,
			"SPARQL MINUS is supported only in a group of triple patterns and FILTERs "
			"(docs/SPARQL.md, \"EXISTS and MINUS\")");
	if ((error = bgp_select(out, rq, ex, opts)) != 0)
		return error < 0 ? error : 0;
	memset(&f, 0, sizeof(f));
	f.offset = f.limit = -1;
	if (rasqal_query_get_verb(rq) == RASQAL_QUERY_VERB_SELECT && rasqal_query_get_distinct(rq)) {
		f.distinct = 1;
		f.limit = rasqal_query_get_limit(rq);
		f.offset = rasqal_query_get_offset(rq);
		rasqal_query_set_distinct(rq, 0);
		rasqal_query_set_limit(rq, -1);
		rasqal_query_set_offset(rq, -1);
	}
	if (ex->order.n) { /* the top-level SELECT's ORDER BY, taken off its text (order_by_kgrec()) */
		f.order = ex->order;
		f.rw = ex->rw;
		ex->order.n = 0;
	}
	rasqal_query_set_user_data(rq, ex);
	query_consts(ex, rq);
	kgr__sparql_aggregate_plan(&plan, rq);
	kgr__sparql_rasqal_runs++;
	res = rasqal_query_execute(rq);
	if (!res) {
		error = exec_error(ex, opts, "execution");
		goto cleanup;
	}
	{
		kgr_sparql_options all = *opts;
		all.max_rows = f.order.n ? 0 : opts->max_rows; /* cut after the sort */
		error = collect(out, rq, res, ex, &all, &f);
	}
	rasqal_free_query_results(res);
	if (!error && f.order.n && (*out)->kind == KGR_SPARQL_BINDINGS && order_apply(&f, *out, opts->max_rows) < 0) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		kgr_sparql_result_free(*out);
		*out = NULL;
	}
	if (!error && (error = kgr__sparql_empty_aggregates(*out, &plan, rq,
			       f.order.n ? f.order.offset : f.offset, f.order.n ? f.order.limit : f.limit))) {
		kgr_sparql_result_free(*out);
		*out = NULL;
	}
cleanup:
	order_free(&f);
	free(f.hashes);
	free(f.rows);
	return error;
}

/* ---- DESCRIBE ---- */

/* A list of term ids in insertion order with a hash set beside it (ids are never 0). */
typedef struct {
	kgr_id *v;
	size_t n, cap;
	kgr_id *set;
	size_t set_cap;
} id_vec;

static int id_seen(const id_vec *vec, kgr_id id)
{
	size_t i;
	if (!vec->set_cap)
		return 0;
	for (i = (id * 2654435761u) & (vec->set_cap - 1); vec->set[i]; i = (i + 1) & (vec->set_cap - 1))
		if (vec->set[i] == id)
			return 1;
	return 0;
}

static void id_set_add(kgr_id *set, size_t cap, kgr_id id)
{
	size_t i = (id * 2654435761u) & (cap - 1);
	while (set[i] && set[i] != id)
		i = (i + 1) & (cap - 1);
	set[i] = id;
}

/* Appends @p id (also when already present: callers check id_seen() first). */
static int id_push(id_vec *vec, kgr_id id)
{
	size_t i;
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 16;
		kgr_id *v = realloc(vec->v, cap * sizeof(*v));
		if (!v)
			return KGR_ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	if ((vec->n + 1) * 2 > vec->set_cap) {
		size_t cap = vec->set_cap ? vec->set_cap * 2 : 64;
		kgr_id *set = calloc(cap, sizeof(*set));
		if (!set)
			return KGR_ENOMEM;
		for (i = 0; i < vec->set_cap; i++)
			if (vec->set[i])
				id_set_add(set, cap, vec->set[i]);
		free(vec->set);
		vec->set = set;
		vec->set_cap = cap;
	}
	vec->v[vec->n++] = id;
	id_set_add(vec->set, vec->set_cap, id);
	return 0;
}

static void id_vec_free(id_vec *vec)
{
	free(vec->v);
	free(vec->set);
}

/* Concise Bounded Description: every triple with the resource as subject, and recursively
 * the descriptions of the blank nodes among their objects. */
static int describe_ids(kgr_sparql_result *r, const kgr_store *store, id_vec *todo,
	const kgr_sparql_options *opts)
{
	id_vec done = { 0, 0, 0, NULL, 0 };
	size_t next = 0;
	int error = 0;
	while (next < todo->n) {
		kgr_id subject = todo->v[next++];
		kgr_iter it;
		kgr_quad q, prev = { 0, 0, 0, 0 };
		int have_prev = 0;
		if (id_seen(&done, subject))
			continue;
		if ((error = id_push(&done, subject)))
			goto cleanup;
		kgr_store_match(store, &it, subject, 0, 0, KGR_ANY_GRAPH);
		while (kgr_iter_next(&it, &q)) {
			if (have_prev && q.p == prev.p && q.o == prev.o)
				continue;
			prev = q;
			have_prev = 1;
			if (opts->max_rows && r->ntriples >= opts->max_rows) {
				r->truncated = 1;
				goto cleanup;
			}
			if ((error = kgr__sparql_push_id(r, store, q.s)) || (error = kgr__sparql_push_id(r, store, q.p)) ||
				(error = kgr__sparql_push_id(r, store, q.o)))
				goto cleanup;
			r->ntriples++;
			if (kgr_term_kind_of(store, q.o) == KGR_TERM_BLANK && !id_seen(&done, q.o) &&
				(error = id_push(todo, q.o)))
				goto cleanup;
		}
	}
cleanup:
	id_vec_free(&done);
	if (error)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	return 0;
}

/* Rewrites "DESCRIBE ?a <iri> ... WHERE { P } modifiers" to
 * "SELECT ?a ... WHERE { P } modifiers" (or SELECT * for DESCRIBE *); the resources found
 * are deduplicated while describing them. */
static char *describe_to_select(const char *text, raptor_sequence *seq, int wildcard)
{
	const char *kw = find_keyword(text, text, "DESCRIBE", 0), *body;
	size_t cap, n, i;
	char *sql, *p;
	int size = seq ? raptor_sequence_size(seq) : 0;
	if (!kw)
		return NULL;
	body = find_keyword(kw + 8, text, "WHERE", 1);
	if (!body)
		return NULL;
	cap = strlen(text) + 32;
	for (i = 0; i < (size_t)size; i++) {
		rasqal_literal *l = raptor_sequence_get_at(seq, (int)i);
		rasqal_variable *v = rasqal_literal_as_variable(l);
		if (v)
			cap += strlen((const char *)v->name) + 2;
	}
	sql = malloc(cap);
	if (!sql)
		return NULL;
	n = (size_t)(kw - text);
	memcpy(sql, text, n);
	p = sql + n;
	p += sprintf(p, "SELECT");
	if (wildcard) {
		p += sprintf(p, " *");
	} else {
		for (i = 0; i < (size_t)size; i++) {
			rasqal_variable *v = rasqal_literal_as_variable(raptor_sequence_get_at(seq, (int)i));
			if (v)
				p += sprintf(p, " ?%s", (const char *)v->name);
		}
	}
	*p++ = ' ';
	strcpy(p, body);
	return sql;
}

static int describe(kgr_sparql_result **out, rasqal_query *rq, exec_ctx *ex, const char *text,
	const kgr_sparql_options *opts)
{
	raptor_sequence *seq = rasqal_query_get_describe_sequence(rq);
	int wildcard = rasqal_query_get_wildcard(rq), size = seq ? raptor_sequence_size(seq) : 0, i;
	int nvars = 0, error = 0;
	id_vec todo = { 0, 0, 0, NULL, 0 };
	kgr_sparql_result *r = NULL, *sel = NULL;
	rasqal_query *srq = NULL;
	char *select = NULL;

	if (!(r = kgr__sparql_result_new(KGR_SPARQL_GRAPH))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < size; i++) {
		rasqal_literal *l = raptor_sequence_get_at(seq, i);
		if (rasqal_literal_as_variable(l)) {
			nvars++;
		} else {
			kgr_id id = literal_id(ex, l);
			if (id && !id_seen(&todo, id) && (error = id_push(&todo, id)))
				goto cleanup;
		}
	}
	if (nvars || wildcard) {
		size_t row, col;
		kgr_sparql_options sopts = *opts;
		sopts.max_rows = 0;
		if (!(select = describe_to_select(text, seq, wildcard))) {
			error = kgr__error_set(KGR_EUNSUPPORTED,
				"DESCRIBE with variables needs a WHERE pattern");
			goto cleanup;
		}
		kgr__rdf_log_reset();
		if ((error = prepare(&srq, ex->rw, ex->raptor, select, opts->base_iri)))
			goto cleanup;
		if ((error = execute(&sel, srq, ex, &sopts)))
			goto cleanup;
		for (row = 0; row < sel->nrows; row++) {
			for (col = 0; col < sel->ncols; col++) {
				kgr_sparql_term *t = &sel->cells[row * sel->ncols + col];
				kgr_id id = 0;
				if (t->kind == KGR_TERM_IRI)
					id = kgr_store_iri(ex->store, t->value);
				else if (t->kind == KGR_TERM_BLANK)
					id = kgr_store_blank(ex->store, t->value);
				if (id && !id_seen(&todo, id) && (error = id_push(&todo, id)))
					goto cleanup;
			}
		}
	}
	if ((error = describe_ids(r, ex->store, &todo, opts)))
		goto cleanup;
	*out = r;
	r = NULL;
cleanup:
	if (error == KGR_ENOMEM && !*kgr_error_last())
		kgr__error_set(KGR_ENOMEM, "out of memory");
	id_vec_free(&todo);
	free(select);
	kgr_sparql_result_free(sel);
	kgr_sparql_result_free(r);
	if (srq)
		rasqal_free_query(srq);
	return error;
}

/* ---- COUNT(DISTINCT ?v) ---- */

/* KGR_EUNSUPPORTED naming line and column for a COUNT(DISTINCT *) in a query kgrec does not
 * answer itself: rasqal 0.9.33 gives 1 for it, and COUNT(*) beside it 1 too. 0 otherwise. */
static int count_distinct_star(const char *text)
{
	const char *p = text;
	while ((p = find_keyword(p, text, "COUNT", 0))) {
		const char *q = kgr__sparql_skip_blank(p + 5);
		if (*q == '(' && !strncasecmp((q = kgr__sparql_skip_blank(q + 1)), "DISTINCT", 8) &&
			!is_word(q[8]) && *kgr__sparql_skip_blank(q + 8) == '*') {
			int line = 1, col = 1;
			for (q = text; q < p; q++, col++)
				if (*q == '\n') {
					line++;
					col = 0;
				}
			return kgr__error_set(KGR_EUNSUPPORTED, "SPARQL COUNT(DISTINCT *) at line %d, "
				"column %d is answered only in a SELECT of grouped variables and "
				"COUNT(DISTINCT ...) columns (rasqal 0.9.33 counts 1 elsewhere): count the "
				"rows of a sub-select, SELECT (COUNT(*) AS ?n) { SELECT DISTINCT * { ... } }",
				line, col);
		}
		p += 5;
	}
	return 0;
}

/* rasqal 0.9.33 gets COUNT(DISTINCT ?v) wrong at scale (509 brands counted for 500), with
 * GROUP BY and beside another one, and needs minutes for 72,000 distinct values: kgrec
 * answers SELECTs of grouped variables and COUNT(DISTINCT ?v) columns itself
 * (sparql/sparql_group.c). 1 when answered, 0 when the query is not of that form, or an
 * error. */
static int grouped_count(kgr_sparql_result **out, exec_ctx *ex, const char *text,
	const kgr_sparql_options *opts)
{
	kgr_sparql_options sopts = *opts;
	kgr_sparql_result *rows = NULL, *others = NULL;
	rasqal_query *rq = NULL, *rq2 = NULL;
	void *plan = NULL;
	char *inner = NULL, *other = NULL;
	int form = kgr__sparql_group_form(text, &plan, &inner, &other), error, plain, sums;
	if (form == 0 && (error = count_distinct_star(text)) < 0)
		return error;
	if (form <= 0)
		return form < 0 ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
	sopts.max_rows = 0;
	plain = kgr__sparql_group_plain_only(plan);
	sums = kgr__sparql_group_sums(plan);
	if ((plain && other && !sums) || (!(error = prepare(&rq, ex->rw, ex->raptor, inner, opts->base_iri)) &&
				    (plain || sums) && !bgp_applies(ex, rq))) {
		/* plain counts beside other aggregates, or over rows rasqal would make: rasqal's own
		 * grouping costs less (SUM and AVG are computed over ids or by rasqal alone) */
		if (rq)
			rasqal_free_query(rq);
		free(plan);
		free(inner);
		free(other);
		return 0;
	}
	if (!error && (error = count_over_ids(out, ex, rq, plan, 0, opts)) == 1) {
		error = 0;
	} else if (!error && sums) { /* the inner rows have the sums' values: rasqal's query */
		rasqal_free_query(rq);
		free(plan);
		free(inner);
		free(other);
		return 0;
	} else if (!error && !(error = execute(&rows, rq, ex, &sopts)) &&
		(!other || (!(error = prepare(&rq2, ex->rw, ex->raptor, other, opts->base_iri)) &&
				   !(error = execute(&others, rq2, ex, &sopts)))))
		error = kgr__sparql_group_answer(out, plan, rows, others, opts->max_rows);
	kgr_sparql_result_free(rows);
	kgr_sparql_result_free(others);
	if (rq)
		rasqal_free_query(rq);
	if (rq2)
		rasqal_free_query(rq2);
	free(plan);
	free(inner);
	free(other);
	return error < 0 ? error : 1;
}

/* ---- GROUP BY over no match ---- */

/* "prologue ASK [FROM ...] { pattern }" for "prologue SELECT ... [FROM ...] [WHERE] { pattern }
 * modifiers" (malloc'd), or NULL when the text has no such shape. */
static char *ask_of_select(const char *text)
{
	const char *kw = find_keyword(text, text, "SELECT", 0), *from, *open, *p;
	char *ask;
	size_t n;
	if (!kw)
		return NULL;
	from = find_keyword(kw + 6, text, "FROM", 1);
	if (from && *from == '{')
		from = NULL;
	for (open = from ? from : kw + 6; *open && *open != '{';)
		open = *open == '#' || *open == '<' || *open == '"' || *open == '\'' ? skip_opaque(open) : open + 1;
	if (*open != '{' || !(p = kgr__sparql_close_brace(open)))
		return NULL;
	n = (size_t)(kw - text);
	ask = malloc(n + (size_t)(p + 1 - (from ? from : open)) + 8);
	if (!ask)
		return NULL;
	memcpy(ask, text, n);
	memcpy(ask + n, "ASK ", 4);
	memcpy(ask + n + 4, from ? from : open, (size_t)(p + 1 - (from ? from : open)));
	ask[n + 4 + (size_t)(p + 1 - (from ? from : open))] = '\0';
	return ask;
}

/* rasqal 0.9.33 answers a GROUP BY over no match with one row (COUNT 1, the other aggregates
 * unbound) where SPARQL has no group and so no row. A grouped result of exactly one row is
 * checked with an ASK of the same pattern and dataset: when nothing matches, the row goes.
 * The check costs one more evaluation of the pattern, up to its first match, and only for
 * one-row grouped results; if it cannot be made, the result stays as rasqal gave it. */
static void drop_empty_group(kgr_sparql_result *r, rasqal_query *rq, exec_ctx *ex, const char *text,
	const kgr_sparql_options *opts)
{
	raptor_sequence *groups = rasqal_query_get_group_conditions_sequence(rq);
	kgr_sparql_options aopts = *opts;
	kgr_sparql_result *ar = NULL;
	rasqal_query *arq = NULL;
	char *ask;
	if (!r || r->kind != KGR_SPARQL_BINDINGS || r->nrows != 1 || !groups ||
		raptor_sequence_size(groups) <= 0 || !(ask = ask_of_select(text)))
		return;
	aopts.max_rows = 0;
	kgr__rdf_log_reset();
	if (!prepare(&arq, ex->rw, ex->raptor, ask, opts->base_iri) && !execute(&ar, arq, ex, &aopts) &&
		ar->kind == KGR_SPARQL_BOOLEAN && !ar->boolean) {
		r->nrows = 0;
		r->ncells = 0;
	}
	kgr__rdf_log_reset();
	kgr_error_clear();
	kgr_sparql_result_free(ar);
	if (arq)
		rasqal_free_query(arq);
	free(ask);
}

/* ---- entry point ---- */

static int tried_update(const char *text)
{
	static const char *const words[] = { "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE",
		"ADD", "MOVE", "COPY", NULL };
	const char *p = text;
	size_t i;
	/* after the prologue (PREFIX/BASE declarations), an update starts with one of these */
	for (;;) {
		while (*p && (isspace((unsigned char)*p) || *p == '#')) {
			if (*p == '#')
				p = skip_opaque(p);
			else
				p++;
		}
		if (!strncasecmp(p, "PREFIX", 6) || !strncasecmp(p, "BASE", 4)) {
			const char *iri = strchr(p, '<');
			if (!iri)
				return 0;
			p = skip_opaque(iri);
			continue;
		}
		break;
	}
	for (i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);
		if (!strncasecmp(p, words[i], n) && !is_word(p[n]))
			return 1;
	}
	return 0;
}

/* Replaces the property paths of *query (sparql/sparql_path.c): every later step (join
 * order, DESCRIBE, the COUNT(DISTINCT) and GROUP BY forms) then reads the rewritten text,
 * which rasqal 0.9.33 can parse. */
static int rewrite_paths(exec_ctx *ex, const char **query, const kgr_sparql_options *opts)
{
	int error = kgr__sparql_paths_rewrite(&ex->path_text, &ex->paths, *query, ex->raptor,
		opts->base_iri ? opts->base_iri : DEFAULT_BASE);
	if (!error && ex->path_text)
		*query = ex->path_text;
	return error;
}

/* Replaces EXISTS, NOT EXISTS and MINUS (sparql/sparql_exists.c), after the paths, then
 * checks that each pattern parses on its own, so that a syntax error inside one is reported
 * even when no solution reaches it. */
static int rewrite_negation(exec_ctx *ex, const char **query)
{
	size_t i;
	int error, oom;
	char *aj = kgr__sparql_antijoin_rewrite(*query, &oom);
	if (oom)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	/* the anti-join form is kept only where the negation rewrite takes it: a group that it
	 * refuses keeps its OPTIONAL, which rasqal can run (ex->negs is empty until here) */
	error = aj ? kgr__sparql_negation_rewrite(&ex->neg_text, &ex->negs, aj) : -1;
	if (aj && !error) {
		ex->aj_text = aj;
	} else {
		if (aj) {
			free(aj);
			free(ex->neg_text);
			ex->neg_text = NULL;
			kgr__neg_set_free(&ex->negs);
			kgr_error_clear();
		}
		error = kgr__sparql_negation_rewrite(&ex->neg_text, &ex->negs, *query);
	}
	if (error || !ex->neg_text)
		return error;
	*query = ex->neg_text;
	for (i = 0; i < ex->negs.n && !error; i++) {
		kgr__buf b = { 0 };
		char *text, *rewritten = NULL;
		rasqal_query *rq = NULL;
		int line = ex->negs.v[i].line, col = ex->negs.v[i].col;
		const char *pro = ex->negs.prologue ? ex->negs.prologue : "", *c;
		int l = 1;
		/* P on the line it was written on, so that rasqal's line numbers are the query's */
		for (c = pro; *c; c++)
			l += *c == '\n';
		kgr__buf_puts(&b, pro);
		kgr__buf_puts(&b, " ASK { ");
		for (; l < ex->negs.v[i].body_line; l++)
			kgr__buf_puts(&b, "\n");
		kgr__buf_printf(&b, "%s }\n", ex->negs.v[i].body);
		if (!(text = kgr__buf_take(&b)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		error = kgr__sparql_negation_rewrite(&rewritten, &ex->negs, text);
		if (!error && !(error = prepare(&rq, ex->rw, ex->raptor, rewritten ? rewritten : text, ex->base_iri)))
			rasqal_free_query(rq);
		else
			kgr__error_prefix("in the pattern of the EXISTS or MINUS at line %d, column %d", line, col);
		free(rewritten);
		free(text);
	}
	return error;
}

/* The rows of a lone DISTINCT sub-select written as VALUES beyond this many would cost rasqal
 * more to read than to deduplicate: such a query is left as written. */
#define SUBSELECT_MAX_ROWS 250000
/* At most this many pairs of rows compared by a MINUS run apart (minus_apart()). */
#define MINUS_APART_PAIRS 1e8

/* The query, whose WHERE clause is a sub-select, answered by kgrec's grouped count when it
 * has that form with no other aggregate: counted over the sub-select's solutions by term ids
 * when @p rq, the sub-select, is one kgrec evaluates (count_over_ids()), or else from the
 * @p rows it gave. 1 with *out, 0 when it does not have the form, or an error. */
static int count_subselect(kgr_sparql_result **out, exec_ctx *ex, const char *query, rasqal_query *rq,
	const kgr_sparql_result *rows, const kgr_sparql_options *opts)
{
	void *plan = NULL;
	char *inner = NULL, *other = NULL;
	int form = kgr__sparql_group_form(query, &plan, &inner, &other), error = 0;
	if (form < 0)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (form == 1 && !other && rq) {
		error = count_over_ids(out, ex, rq, plan, 1, opts);
	} else if (form == 1 && !other && rows && !rows->truncated) {
		error = kgr__sparql_group_answer(out, plan, rows, NULL, opts->max_rows);
		if (error && error != KGR_ENOMEM) { /* a column the rows lack: the query as written */
			kgr_error_clear();
			error = 0;
		} else if (!error) {
			error = 1;
		}
	}
	free(plan);
	free(inner);
	free(other);
	return error;
}

/* A query whose WHERE clause is one DISTINCT sub-select and nothing else: the sub-select runs
 * first, as a query of its own (kgrec's DISTINCT), and its rows replace it in the text as a
 * VALUES block (sparql/sparql_subselect.c); or, when the query counts them (a grouped count of
 * the form above), they are counted at once into ex->answer. Where the sub-select fails, the
 * query is left as written for rasqal to report what is wrong; running out of time or memory
 * ends it. */
static int lone_subselect(exec_ctx *ex, const char **query, const kgr_sparql_options *opts)
{
	kgr_sparql_options sopts = *opts;
	kgr_sparql_result *rows = NULL;
	rasqal_query *rq = NULL;
	const char *saved = ex->text;
	char *inner = NULL, *text = NULL;
	size_t open, close;
	int form = kgr__sparql_lone_subselect(*query, &open, &close, &inner), error, oom = 0, counted = 0;
	if (form <= 0)
		return form < 0 ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
	sopts.max_rows = SUBSELECT_MAX_ROWS;
	if (!(error = prepare(&rq, ex->rw, ex->raptor, inner, opts->base_iri))) {
		ex->text = inner;
		if ((counted = count_subselect(&ex->answer, ex, *query, rq, NULL, opts)) < 0)
			error = counted;
		else if (!counted)
			error = execute(&rows, rq, ex, &sopts);
		ex->text = saved;
	}
	if (!error && !counted && (counted = count_subselect(&ex->answer, ex, *query, NULL, rows, opts)) < 0)
		error = counted;
	if (!error && !counted)
		text = kgr__sparql_values_text(*query, open, close, rows, &oom);
	kgr_sparql_result_free(rows);
	if (rq)
		rasqal_free_query(rq);
	free(inner);
	if (oom || error == KGR_ENOMEM || error == KGR_ETIMEOUT || ex->neg_error)
		return oom ? kgr__error_set(KGR_ENOMEM, "out of memory") : ex->neg_error ? 0 : error;
	if (error) {
		kgr__rdf_log_reset();
		kgr_error_clear();
	}
	if (text) {
		free(ex->sub_text); /* a counted sub-select's text, which text was made from */
		ex->sub_text = text;
		*query = text;
	}
	return 0;
}

/* Each sub-select with COUNT(DISTINCT) that kgrec's grouped count answers (rasqal 0.9.33
 * gives every group of `?b a schema:Brand { SELECT ?b (COUNT(DISTINCT ?c) AS ?n) ... GROUP BY
 * ?b }` the same wrong number) runs first through grouped_count(), and its rows take its
 * place as a VALUES block: a sub-select is evaluated on its own (18.2.4), so that is the same
 * answer. Rows VALUES cannot write, or too many, leave the query as written. */
static int counted_subselects(exec_ctx *ex, const char **query, const kgr_sparql_options *opts)
{
	kgr_sparql_options sopts = *opts;
	int round;
	sopts.max_rows = SUBSELECT_MAX_ROWS;
	for (round = 0; round < 16; round++) {
		kgr_sparql_result *rows = NULL;
		char *inner = NULL, *text = NULL;
		size_t open, close;
		int form = kgr__sparql_counted_subselect(*query, &open, &close, &inner), oom = 0, error;
		if (form <= 0)
			return form < 0 ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
		error = grouped_count(&rows, ex, inner, &sopts);
		free(inner);
		if (error < 0) {
			kgr_sparql_result_free(rows);
			return error;
		}
		if (error == 1)
			text = kgr__sparql_values_text(*query, open, close, rows, &oom);
		kgr_sparql_result_free(rows);
		if (oom)
			return kgr__error_set(KGR_ENOMEM, "out of memory");
		if (!text)
			return 0;
		free(ex->sub_text);
		ex->sub_text = text;
		*query = text;
	}
	return 0;
}

/* @p text with its top-level ORDER BY clause and the LIMIT and OFFSET after it blanked out
 * (line ends kept; a VALUES clause after them stays), malloc'd; NULL when there is none or out
 * of memory (*oom). */
static char *strip_order(const char *text, int *oom)
{
	const char *p = text, *order = NULL, *end = NULL;
	int depth = 0;
	char *t;
	size_t i;
	*oom = 0;
	while (*p) {
		if (*p == '#' || *p == '<' || *p == '"' || *p == '\'') {
			p = skip_opaque(p);
			continue;
		}
		depth += (*p == '{') - (*p == '}');
		if (!depth && (p == text || (!is_word(p[-1]) && p[-1] != '?' && p[-1] != '$'))) {
			const char *by = !strncasecmp(p, "ORDER", 5) && !is_word(p[5]) ? kgr__sparql_skip_blank(p + 5) : NULL;
			if (by && !strncasecmp(by, "BY", 2) && !is_word(by[2]))
				order = p, end = NULL;
			else if (order && !end && !strncasecmp(p, "VALUES", 6) && !is_word(p[6]))
				end = p;
		}
		p++;
	}
	if (!order)
		return NULL;
	if (!end)
		end = p;
	if (!(t = strdup(text))) {
		*oom = 1;
		return NULL;
	}
	for (i = (size_t)(order - text); i < (size_t)(end - text); i++)
		if (t[i] != '\n')
			t[i] = ' ';
	return t;
}

/* 1 when the word at @p p is an aggregate's name followed by its '('. */
static int aggregate_at(const char *p)
{
	static const char *const names[] = { "COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE", "GROUP_CONCAT" };
	size_t i, n;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (!strncasecmp(p, names[i], n) && !is_word(p[n]) && *kgr__sparql_skip_blank(p + n) == '(')
			return 1;
	}
	return 0;
}

/* @p text (malloc'd; freed here) with a column (?v AS ?h) more at the end of its SELECT clause
 * for each hidden ORDER BY variable of @p o (order_plan()); NULL when that clause holds an
 * aggregate (the column would be grouped) or out of memory (*oom). */
static char *add_hidden(char *text, const order_by *o, int *oom)
{
	const char *kw = kgr__sparql_find_keyword(text, "SELECT"), *p;
	kgr__buf b = { 0 };
	int depth = 0;
	size_t k;
	*oom = 0;
	for (p = kw ? kw + 6 : ""; *p;) {
		int word = !is_word(p[-1]) && p[-1] != '?' && p[-1] != '$';
		if (*p == '#' || *p == '<' || *p == '"' || *p == '\'') {
			p = skip_opaque(p);
			continue;
		}
		if (word && aggregate_at(p))
			break;
		depth += (*p == '(') - (*p == ')');
		if (!depth && (*p == '{' || (word && ((!strncasecmp(p, "WHERE", 5) && !is_word(p[5])) ||
							    (!strncasecmp(p, "FROM", 4) && !is_word(p[4]))))))
			break;
		p++;
	}
	if (!kw || !*p || aggregate_at(p)) {
		free(text);
		return NULL;
	}
	kgr__buf_put(&b, text, (size_t)(p - text));
	for (k = 0; k < o->n; k++)
		if (o->hide[k])
			kgr__buf_printf(&b, "(?%s AS ?%s) ", o->hide[k], o->var[k]);
	kgr__buf_puts(&b, p);
	free(text);
	if (b.oom) {
		kgr__buf_free(&b);
		*oom = 1;
		return NULL;
	}
	return kgr__buf_take(&b);
}

/* 1 when @p rq projects every variable of @p o (a column that a rewrite adds for an aggregate
 * of ORDER BY is gone with the ORDER BY). */
static int projects_all(rasqal_query *rq, const order_by *o)
{
	size_t k;
	for (k = 0; k < o->n; k++)
		if (!projects(rq, o->var[k]))
			return 0;
	return 1;
}

/* When kgrec can sort the SELECT @p rq itself (order_plan()), *sorted is the same query
 * prepared without its ORDER BY, LIMIT and OFFSET, and ex->order says how to sort; otherwise
 * *sorted stays NULL and rasqal sorts. */
static int order_by_kgrec(exec_ctx *ex, rasqal_query *rq, const char **query, rasqal_query **sorted,
	const kgr_sparql_options *opts)
{
	order_by o;
	char *text;
	int oom;
	size_t k;
	*sorted = NULL;
	if (!order_plan(rq, &o))
		return 0;
	if (!(text = strip_order(*query, &oom)))
		return oom ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
	for (k = 0; k < o.n && !o.hide[k]; k++)
		;
	if (k < o.n && !(text = add_hidden(text, &o, &oom)))
		return oom ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
	if (prepare(sorted, ex->rw, ex->raptor, text, opts->base_iri) || !projects_all(*sorted, &o)) {
		if (*sorted)
			rasqal_free_query(*sorted);
		*sorted = NULL;
		free(text);
		kgr__rdf_log_reset();
		kgr_error_clear();
		return 0;
	}
	free(ex->order_text);
	ex->order_text = text;
	ex->text = text;
	ex->order = o;
	*query = text;
	return 0;
}

/* Removes the marker variables of EXISTS and MINUS from a SELECT * result. */
static void drop_marker_columns(kgr_sparql_result *r)
{
	size_t c, row, keep = 0, n = strlen(KGR__EXISTS_VAR);
	size_t *cols;
	if (!r || r->kind != KGR_SPARQL_BINDINGS || !(cols = calloc(r->ncols + 1, sizeof(*cols))))
		return;
	for (c = 0; c < r->ncols; c++)
		if (strncmp(r->cols[c], KGR__EXISTS_VAR, n))
			cols[keep++] = c;
	if (keep < r->ncols) {
		for (row = 0; row < r->nrows; row++)
			for (c = 0; c < keep; c++)
				r->cells[row * keep + c] = r->cells[row * r->ncols + cols[c]];
		for (c = 0; c < keep; c++)
			r->cols[c] = r->cols[cols[c]];
		r->ncols = keep;
		r->ncells = r->nrows * keep;
	}
	free(cols);
}

/* The world the triples source was installed on. Set in a query process only (on its copy of
 * the world), so each query process installs it. */
static librdf_world *registered;

/* The time limit counts from when the query has the library (kgr__rdf_lock()): waiting for
 * another query's turn is not included. */
static void start_clock(exec_ctx *ex, unsigned int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, &ex->deadline);
	ex->deadline.tv_sec += timeout_ms / 1000;
	ex->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ex->deadline.tv_nsec >= 1000000000L) {
		ex->deadline.tv_sec++;
		ex->deadline.tv_nsec -= 1000000000L;
	}
	ex->has_deadline = 1;
}

/* rasqal joins the patterns in the order they are written, and a join written
 * unselective-first runs thousands of times slower. Once the text as written has parsed, the
 * same query in the store's better order, if any, replaces *rq and *query; a reordered text
 * that does not parse leaves them as they were. *reordered is the new text, for the caller
 * to free. */
static int better_order(rasqal_query **rq, const char **query, char **reordered, exec_ctx *ex,
	const kgr_sparql_options *opts)
{
	rasqal_query *rq2 = NULL;
	int oom = 0;
	*reordered = kgr__sparql_reorder(ex->store, *query, &oom);
	if (oom)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (*reordered && !prepare(&rq2, ex->rw, ex->raptor, *reordered, opts->base_iri)) {
		rasqal_free_query(*rq);
		*rq = rq2;
		*query = *reordered;
	}
	kgr__rdf_log_reset();
	kgr_error_clear();
	return 0;
}

static int same_term(const kgr_sparql_term *a, const kgr_sparql_term *b)
{
	return a->kind == b->kind && a->len == b->len && !memcmp(a->value, b->value, a->len) &&
	       !strcmp(a->lang ? a->lang : "", b->lang ? b->lang : "") &&
	       !strcmp(a->datatype ? a->datatype : "", b->datatype ? b->datatype : "");
}

/* 1 when row @p i of @p l has a row of @p r that shares a bound variable with it and agrees
 * with it on every one both bind (18.5: MINUS removes it); @p at[a] is l's column a in r, or
 * SIZE_MAX. */
static int minus_removes(const kgr_sparql_result *l, size_t i, const kgr_sparql_result *r, const size_t *at)
{
	size_t j, a;
	for (j = 0; j < r->nrows; j++) {
		int shared = 0, compatible = 1;
		for (a = 0; a < l->ncols && compatible; a++) {
			const kgr_sparql_term *x = &l->cells[i * l->ncols + a], *y;
			if (at[a] == SIZE_MAX || x->kind == KGR_TERM_NONE)
				continue;
			y = &r->cells[j * r->ncols + at[a]];
			if (y->kind == KGR_TERM_NONE)
				continue;
			shared = 1;
			compatible = same_term(x, y);
		}
		if (shared && compatible)
			return 1;
	}
	return 0;
}

/* The rows of @p l that no row of @p r removes (MINUS), as a result of their own; NULL when
 * out of memory. */
static kgr_sparql_result *minus_kept(const kgr_sparql_result *l, const kgr_sparql_result *r)
{
	kgr_sparql_result *kept = kgr__sparql_result_new(KGR_SPARQL_BINDINGS);
	size_t *at = calloc(l->ncols ? l->ncols : 1, sizeof(*at)), a, b, i;
	int bad = !kept || !at || !(kept->cols = calloc(l->ncols ? l->ncols : 1, sizeof(char *)));
	for (a = 0; a < l->ncols && !bad; a++) {
		at[a] = SIZE_MAX;
		for (b = 0; b < r->ncols; b++)
			if (!strcmp(l->cols[a], r->cols[b]))
				at[a] = b;
		bad = !(kept->cols[a] = kgr__sparql_strdup(kept, l->cols[a], strlen(l->cols[a])));
	}
	if (!bad)
		kept->ncols = l->ncols;
	for (i = 0; i < l->nrows && !bad; i++) {
		if (minus_removes(l, i, r, at))
			continue;
		for (a = 0; a < l->ncols && !bad; a++) {
			const kgr_sparql_term *t = &l->cells[i * l->ncols + a];
			bad = kgr__sparql_push(kept, t->kind, t->value, t->len, t->lang, t->datatype) != 0;
		}
		kept->nrows++;
	}
	free(at);
	if (bad) {
		kgr_sparql_result_free(kept);
		return NULL;
	}
	return kept;
}

/* A WHERE group that ends with MINUS { P } and also holds OPTIONAL, UNION, BIND, VALUES, a
 * sub-select or a nested group, where kgrec's MINUS marker cannot go ("EXISTS and MINUS" in
 * docs/SPARQL.md): the group before the MINUS and P run as queries of their own, kgrec removes
 * the rows of the first that a row of P is compatible with and shares a variable with (18.5),
 * and the rows kept take the group's place as a VALUES block, which the query's projection and
 * modifiers then read. *text_out is that query (malloc'd), or NULL to go on as written (the
 * form does not apply, a part fails, or the rows are more than VALUES takes or hold blank
 * nodes). */
static int minus_apart(char **text_out, const kgr_store *store, const char *query, const kgr_sparql_options *opts)
{
	kgr_sparql_options sopts = *opts;
	kgr_sparql_result *l = NULL, *r = NULL, *kept = NULL;
	char *left = NULL, *right = NULL;
	size_t open, close;
	int form = kgr__sparql_trailing_minus(query, &open, &close, &left, &right), oom = 0, error;
	*text_out = NULL;
	if (form <= 0)
		return form < 0 ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
	sopts.max_rows = SUBSELECT_MAX_ROWS;
	error = kgr__sparql_query_here(&l, store, left, &sopts);
	if (!error)
		error = kgr__sparql_query_here(&r, store, right, &sopts);
	/* every row of the one compared with every row of the other: bounded */
	if (!error && !l->truncated && !r->truncated && (double)l->nrows * (double)r->nrows <= MINUS_APART_PAIRS) {
		if ((kept = minus_kept(l, r)) != NULL)
			*text_out = kgr__sparql_values_text(query, open, close, kept, &oom);
		else
			oom = 1;
	}
	kgr_sparql_result_free(l);
	kgr_sparql_result_free(r);
	kgr_sparql_result_free(kept);
	free(left);
	free(right);
	if (oom || error == KGR_ENOMEM || error == KGR_ETIMEOUT) {
		free(*text_out);
		*text_out = NULL;
		return oom ? kgr__error_set(KGR_ENOMEM, "out of memory") : error;
	}
	kgr_error_clear();
	return 0;
}

/* What is refused from the text as written: Update, the grammar's rules rasqal does not
 * check, and what would reach a known memory error in rasqal. */
static int check_text(const char *query)
{
	int error;
	if (tried_update(query))
		return kgr__error_set(KGR_EUNSUPPORTED,
			"SPARQL Update is not supported: a kgrec store is a read-only snapshot "
			"(rebuild it with 'kgrec load')");
	if ((error = kgr__sparql_validate(query)) || (error = kgr__sparql_check_reserved(query)) ||
		(error = kgr__sparql_check_concat(query)) || (error = kgr__sparql_check_limits(query)))
		return error;
	return 0;
}

/* The query's text before rasqal reads it: property paths and EXISTS / MINUS replaced,
 * counted and lone sub-selects run first (which may answer the whole query: ex->answer). */
static int rewrite_text(exec_ctx *ex, const char **query, const kgr_sparql_options *opts)
{
	int error;
	if ((error = rewrite_paths(ex, query, opts)) || (error = rewrite_negation(ex, query)) ||
		(error = counted_subselects(ex, query, opts)) || (error = lone_subselect(ex, query, opts)))
		return error;
	return 0;
}

int kgr__sparql_query_here(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts)
{
	kgr_sparql_options defaults = KGR_SPARQL_OPTIONS_INIT;
	exec_ctx ex;
	librdf_world *w;
	rasqal_query *rq = NULL;
	rasqal_query_verb verb;
	char *reordered = NULL, *apart = NULL;
	int error;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	/* version 1 has no unnamed_default_graph */
	KGR__CHECK_VERSIONS(opts, 1, KGR_SPARQL_OPTIONS_VERSION, "SPARQL");
	if (!query)
		return kgr__error_set(KGR_EINVALID, "no SPARQL query given");
	if (!store->finalized)
		return kgr__error_set(KGR_EINVALID,
			"the store is still loading: call kgr_store_finalize() before querying it");
	if ((error = check_text(query)) || (error = minus_apart(&apart, store, query, opts)))
		return error;
	if (apart)
		query = apart;
	memset(&ex, 0, sizeof(ex));
	ex.magic = EXEC_MAGIC;
	ex.store = store;
	ex.unnamed_default = opts->version >= 2 && opts->unnamed_default_graph;

	if (!(w = kgr__rdf_lock())) {
		free(apart);
		return kgr_error_last_code();
	}
	if (opts->timeout_ms)
		start_clock(&ex, opts->timeout_ms);
	ex.rw = librdf_world_get_rasqal(w);
	ex.raptor = librdf_world_get_raptor(w);
	if (registered != w) {
		if (rasqal_set_triples_source_factory(ex.rw, ts_register, NULL)) {
			error = kgr__error_set(KGR_ERROR, "cannot install the kgrec rasqal triples source");
			goto cleanup;
		}
		registered = w;
	}
	kgr_error_clear();
	ex.base_iri = opts->base_iri;
	if ((error = rewrite_text(&ex, &query, opts)))
		goto cleanup;
	if (ex.answer) { /* the sub-select's rows counted */
		*out = ex.answer;
		ex.answer = NULL;
		goto cleanup;
	}
	if ((error = prepare(&rq, ex.rw, ex.raptor, query, opts->base_iri)))
		goto cleanup;
	verb = rasqal_query_get_verb(rq);
	/* the text as written parsed: now the same query with a better join order, if any */
	if (!opts->keep_order && (verb == RASQAL_QUERY_VERB_SELECT || verb == RASQAL_QUERY_VERB_ASK ||
				     verb == RASQAL_QUERY_VERB_CONSTRUCT || verb == RASQAL_QUERY_VERB_DESCRIBE) &&
		(error = better_order(&rq, &query, &reordered, &ex, opts)))
		goto cleanup;
	ex.text = query;
	switch (verb) {
	case RASQAL_QUERY_VERB_SELECT: {
		int form = grouped_count(out, &ex, query, opts);
		rasqal_query *sorted = NULL;
		if (form != 0)
			error = form < 0 ? form : 0;
		else if (!(error = order_by_kgrec(&ex, rq, &query, &sorted, opts)) &&
			 !(error = execute(out, sorted ? sorted : rq, &ex, opts)))
			drop_empty_group(*out, sorted ? sorted : rq, &ex, query, opts);
		if (sorted)
			rasqal_free_query(sorted);
		break;
	}
	case RASQAL_QUERY_VERB_ASK:
	case RASQAL_QUERY_VERB_CONSTRUCT:
		if (kgr__sparql_empty_template(rq))
			error = (*out = kgr__sparql_result_new(KGR_SPARQL_GRAPH)) ? 0
				: kgr__error_set(KGR_ENOMEM, "out of memory");
		else
			error = execute(out, rq, &ex, opts);
		break;
	case RASQAL_QUERY_VERB_DESCRIBE:
		error = describe(out, rq, &ex, query, opts);
		break;
	case RASQAL_QUERY_VERB_INSERT:
	case RASQAL_QUERY_VERB_DELETE:
	case RASQAL_QUERY_VERB_UPDATE:
		error = kgr__error_set(KGR_EUNSUPPORTED,
			"SPARQL Update (%s) is not supported: a kgrec store is a read-only snapshot "
			"(rebuild it with 'kgrec load')",
			rasqal_query_verb_as_string(verb));
		break;
	default:
		error = kgr__error_set(KGR_EUNSUPPORTED, "unsupported SPARQL query form (%s)",
			rasqal_query_verb_as_string(verb));
		break;
	}
	if (ex.neg_error) {
		kgr_sparql_result_free(*out);
		*out = NULL;
		error = kgr__error_set(ex.neg_error, "%s", ex.neg_msg);
	} else if (!error) {
		drop_marker_columns(*out);
	}
cleanup:
	if (rq)
		rasqal_free_query(rq);
	exec_free(&ex);
	kgr__rdf_unlock();
	free(reordered);
	free(apart);
	return error;
}

/* Declared in sparql/sparql_result.h. */
const char *kgr__sparql_skip_opaque(const char *p)
{
	return skip_opaque(p);
}

/* Declared in sparql/sparql_result.h. */
const char *kgr__sparql_find_keyword(const char *text, const char *kw)
{
	return find_keyword(text, text, kw, 0);
}
