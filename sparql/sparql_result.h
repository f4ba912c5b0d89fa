/* The in-memory SPARQL result shared by sparql/sparql.c (evaluation) and sparql/sparql_write.c
 * (formats). Internal, not installed. */
#ifndef KGREC_KG_SPARQL_RESULT_H
#define KGREC_KG_SPARQL_RESULT_H

#include "kg/internal.h"
#include "kgrec/sparql.h"

typedef struct kgr_arena_block kgr_arena_block;

struct kgr_sparql_result {
	kgr_sparql_kind kind;
	int truncated;
	int boolean;
	size_t ncols;
	char **cols;
	/* bindings: nrows * ncols cells; graph: ntriples * 3 cells (s, p, o) */
	kgr_sparql_term *cells;
	size_t ncells, cap_cells;
	size_t nrows, ntriples;
	kgr_arena_block *arena;
};

/** A new, empty result of a kind. NULL when out of memory. */
kgr_sparql_result *kgr__sparql_result_new(kgr_sparql_kind kind);
/** Copy @p len bytes into the result's arena (NUL-terminated). NULL when out of memory. */
char *kgr__sparql_strdup(kgr_sparql_result *r, const char *s, size_t len);
/** Append one cell, copying its strings. 0, or KGR_ENOMEM. */
int kgr__sparql_push(kgr_sparql_result *r, kgr_term_kind kind, const char *value, size_t len,
	const char *lang, const char *datatype);

/** Past a string literal starting at @p p (single, double or triple quotes, backslash
 *  escapes); NULL when it is not closed (sparql/sparql_reorder.c). */
const char *kgr__sparql_skip_string(const char *p);

/** The query text with the triple patterns of its plain groups in a selective-first order
 *  (sparql/sparql_reorder.c); NULL when nothing changes (or *oom set when out of memory). */
char *kgr__sparql_reorder(const kgr_store *store, const char *text, int *oom);

/** kgr_sparql_query() in this process, under the librdf lock (sparql/sparql.c); the public
 *  function runs it in a child process (sparql/sparql_child.c). */
int kgr__sparql_query_here(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts);

/** Queries of this process answered by kgrec's own evaluation of a basic graph pattern
 *  (sparql/sparql_bgp.c) rather than by rasqal; read by the tests. */
extern unsigned long kgr__sparql_bgp_answered;

struct rasqal_query_s;
/** 1 when @p rq is a CONSTRUCT with an empty template (rasqal crashes on it; the answer is
 *  the empty graph) (sparql/sparql_fixups.c). Takes a rasqal_query. */
int kgr__sparql_empty_template(struct rasqal_query_s *rq);
/** What the one row of an aggregate query without GROUP BY over no match holds, per column
 *  (rasqal gives no row; SPARQL 1.1 gives one): n is 0 when the query is not of that form.
 *  Taken before execution, which rewrites the projection (sparql/sparql_fixups.c). */
enum { KGR__AGG_ZERO = 1, KGR__AGG_EMPTY, KGR__AGG_UNBOUND };
typedef struct {
	int n;
	unsigned char kind[64];
} kgr__agg_plan;
void kgr__sparql_aggregate_plan(kgr__agg_plan *plan, struct rasqal_query_s *rq);
/** Adds that row to an empty result (COUNT, SUM, AVG 0, GROUP_CONCAT "", MIN, MAX, SAMPLE
 *  unbound), unless OFFSET or LIMIT 0 drop it; @p offset and @p limit are those kgrec applies
 *  itself (-1: none). 0 or KGR_ENOMEM. */
int kgr__sparql_empty_aggregates(kgr_sparql_result *r, const kgr__agg_plan *plan,
	struct rasqal_query_s *rq, long offset, long limit);

/** 0, or KGR_EUNSUPPORTED (message: line, column, the argument and the rewrite) when a CONCAT
 *  argument is an expression, which rasqal 0.9.33 reads after freeing it
 *  (sparql/sparql_guard.c). */
int kgr__sparql_check_concat(const char *text);
/** 0, or KGR_EINVALID (message: line, column, the value) for a LIMIT or OFFSET beyond
 *  INT_MAX, which rasqal 0.9.33 wraps (sparql/sparql_guard.c). */
int kgr__sparql_check_limits(const char *text);

/** 0, or KGR_EPARSE (message: line, column, the rule) when the query breaks a rule of the
 *  SPARQL 1.1 grammar or its notes that rasqal 0.9.33 does not check: a blank node label in
 *  two basic graph patterns, a blank node in an expression, an ungrouped projection, a
 *  SELECT or BIND variable already in scope, a VALUES row of the wrong width, a subject
 *  without predicate, an escape of no character. Text it cannot follow is accepted (rasqal
 *  reports it). KGR_ENOMEM when out of memory (sparql/sparql_validate.c). */
int kgr__sparql_validate(const char *text);
/** KGR_EUNSUPPORTED naming line and column when the query writes an IRI that begins with
 *  urn:x-kgrec: (in full, through a PREFIX or as the BASE) or a variable named __kgr_...:
 *  the markers of kgrec's own rewrites. 0 otherwise. */
int kgr__sparql_check_reserved(const char *text);
/** A predicate no store holds: `OPTIONAL { ?x <this> ?x }` leaves ?x unbound in every
 *  solution, and rasqal then takes ?x as a variable of the pattern. */
#define KGR__UNBOUND_IRI "urn:x-kgrec:unbound"
/** The variable of that OPTIONAL after the first VALUES block of a group without a triple
 *  pattern (rasqal 0.9.33 reads such a block right only beside another pattern). Its name
 *  begins with KGR__EXISTS_VAR, so a SELECT * column of it is dropped with the markers. */
#define KGR__VALUES_ONLY_VAR "__kgr_ev"
/** What a FILTER or BIND expression reads in place of a variable that is not in its scope
 *  (18.2.1): a variable nothing binds. Its name begins with KGR__EXISTS_VAR, so a SELECT *
 *  column of it is dropped with the markers. */
#define KGR__OUT_OF_SCOPE_VAR "__kgr_es"
/** What P reads in place of ?g in GRAPH ?g { P } when P names ?g (18.6: P is evaluated
 *  without the graph's name, then joined with it); a number follows. Dropped from SELECT *
 *  with the markers. */
#define KGR__GRAPH_INNER_VAR "__kgr_en"
/** The query text with `OPTIONAL { ?x <KGR__UNBOUND_IRI> ?x }` at the end of the WHERE
 *  pattern of each SELECT whose aggregates use a variable ?x that the pattern never binds
 *  (`SELECT (COUNT(?x) AS ?c) {}`: SPARQL 1.1 gives 0, rasqal 0.9.33 fails, "Variable x was
 *  not bound") and after the first VALUES block of each group without a triple pattern; the
 *  variables of FILTER and BIND expressions that are out of their scope as
 *  KGR__OUT_OF_SCOPE_VAR; and GRAPH ?g { P } whose P names ?g as
 *  { GRAPH ?g { P'} FILTER(!BOUND(?v) || sameTerm(?v, ?g)) }, P' naming it
 *  KGR__GRAPH_INNER_VAR (sparql/sparql_validate.c). NULL when nothing changes (or *oom set when out
 *  of memory); otherwise malloc'd. Run on a query kgr__sparql_validate() accepted. */
char *kgr__sparql_unbound_rewrite(const char *text, int *oom);
/** The query text with each prefixed name whose local name holds ':', a '\\' escape or a
 *  %-escape (valid SPARQL 1.1 that rasqal 0.9.33 cannot read) written as its full IRI
 *  (sparql/sparql_validate.c). NULL when nothing changes (or *oom set when out of memory);
 *  otherwise malloc'd. */
char *kgr__sparql_pname_rewrite(const char *text, int *oom);

/** The '}' that closes the '{' at @p p (strings, IRIs and comments skipped), or NULL
 *  (sparql/sparql_subselect.c). */
const char *kgr__sparql_close_brace(const char *p);
/** 1 when the WHERE clause of the query @p text is one `SELECT DISTINCT` sub-select and nothing
 *  else (`WHERE { SELECT DISTINCT ... }` or `WHERE { { SELECT DISTINCT ... } }`), or one
 *  sub-select and FILTERs (`WHERE { { SELECT ... } FILTER (...) }`), and the text has no
 *  GRAPH, FROM or SERVICE: *open and *close are the offsets of the braces around the
 *  sub-select, *inner (malloc'd) the query's prologue and the sub-select as a query of its own;
 *  0 when not; -1 when out of memory (sparql/sparql_subselect.c). */
int kgr__sparql_lone_subselect(const char *text, size_t *open, size_t *close, char **inner);
/** 1 when a sub-select of the SELECT query @p text is in the form kgr__sparql_group_form()
 *  answers (COUNT(DISTINCT), which rasqal 0.9.33 gets wrong there too) and the text has no
 *  GRAPH, FROM or SERVICE: *open and *close are the offsets of its braces, *inner (malloc'd)
 *  the query's prologue and the sub-select as a query of its own; 0 when none; -1 when out
 *  of memory (sparql/sparql_subselect.c). */
int kgr__sparql_counted_subselect(const char *text, size_t *open, size_t *close, char **inner);
/** 1 when the WHERE group of SELECT query @p text ends with MINUS { P } and also holds
 *  OPTIONAL, UNION, BIND, VALUES, a sub-select or a nested group (where kgrec's MINUS marker
 *  cannot go), with *left the query `SELECT * WHERE { the group before the MINUS }`, *right
 *  `SELECT * WHERE { P }` (both with the prologue; malloc'd) and [*open, *close] the group's
 *  braces in @p text; 0 when not (GRAPH, FROM or SERVICE anywhere, another MINUS, anything
 *  after it); -1 out of memory (sparql/sparql_subselect.c). */
int kgr__sparql_trailing_minus(const char *text, size_t *open, size_t *close, char **left, char **right);
/** @p text with the braces at @p open and @p close and what they hold replaced by
 *  `{ VALUES (...) { ... } }` holding @p rows, the lines kept; NULL when a row holds what
 *  VALUES cannot write (a blank node) or the rows were cut (*oom set when out of memory). */
char *kgr__sparql_values_text(const char *text, size_t open, size_t close, const kgr_sparql_result *rows,
	int *oom);
/** The query text with each GROUP BY (expr AS ?v) written as BIND(expr AS ?v) at the end of
 *  the WHERE pattern and GROUP BY ?v (rasqal 0.9.33 puts every solution in one group), in a
 *  query without sub-selects (sparql/sparql_group.c). NULL when nothing changes (or *oom set
 *  when out of memory); otherwise malloc'd. */
char *kgr__sparql_group_alias_rewrite(const char *text, int *oom);
/** Prefix of the marker columns that compute aggregates of ORDER BY and HAVING; a result
 *  never shows them (the EXISTS markers' prefix). */
#define KGR__GROUP_VAR "__kgr_eg"
/** The query text with each aggregate of ORDER BY written as the variable of the SELECT
 *  expression that computes it, and a marker column (KGR__GROUP_VAR) added to the SELECT
 *  clause for each aggregate of ORDER BY or HAVING that none computes: rasqal 0.9.33
 *  evaluates no other, in a query without sub-selects and without DISTINCT
 *  (sparql/sparql_group.c). NULL when nothing changes (or *oom set); otherwise malloc'd. */
char *kgr__sparql_order_having_rewrite(const char *text, int *oom);
/** COUNT(DISTINCT ?x) per group (sparql/sparql_group.c): 1 when @p text is a SELECT of
 *  grouped variables and COUNT(DISTINCT ?var), COUNT(?var) or COUNT(*) columns (with GROUP
 *  BY, a HAVING that compares one of them with an integer, ORDER BY, LIMIT, OFFSET), and
 *  maybe other aggregates (SUM, AVG, MIN, MAX, SAMPLE, GROUP_CONCAT, not DISTINCT), with
 *  *plan (free()) and *inner, the SELECT of those variables over the same pattern (DISTINCT
 *  unless a count is plain), and *other, the grouped query of the other aggregates or NULL
 *  (malloc'd); 0 when not; -1 when out of memory. */
int kgr__sparql_group_form(const char *text, void **plan, char **inner, char **other);
/** 1 when every COUNT of the form's @p plan is a plain COUNT(?x) or COUNT(*), which rasqal
 *  counts right too (kgrec's form is then only worth it when kgrec evaluates the inner SELECT
 *  and there is no other aggregate, which rasqal would compute in the same pass); 0 when one
 *  is a COUNT(DISTINCT) (sparql/sparql_group.c). */
int kgr__sparql_group_plain_only(const void *plan);
/** 1 when the form's other aggregates are each a SUM or an AVG of a variable: its *inner
 *  SELECT then gives every solution with those variables, which only the answer over ids
 *  (below) reads; 0 otherwise. */
int kgr__sparql_group_sums(const void *plan);
/** The answer of that query from the rows of *inner and of *other (NULL when it has none);
 *  at most @p max_rows rows (0: all). */
int kgr__sparql_group_answer(kgr_sparql_result **out, const void *plan, const kgr_sparql_result *rows,
	const kgr_sparql_result *other, size_t max_rows);
/** The same answer counted over the term ids of the inner SELECT's solutions, when kgrec
 *  evaluates that SELECT (sparql/sparql_group.c): kgr__sparql_group_ids_new() takes the
 *  names of its @p ncols columns and gives 0 and *out, or 1 when the form has aggregates ids
 *  cannot count (other aggregates but SUM and AVG of a variable, COUNT(DISTINCT *), a column
 *  missing), or KGR_ENOMEM; each solution row (ids in the columns' order) is then added (0,
 *  -1 when out of memory, 1 when a SUM or AVG met a value other than an xsd:integer or
 *  xsd:decimal: rasqal computes the query), and the answer written with the keys' terms read
 *  from @p store (0, an error, or 1 for a SUM or AVG over no solution at all, which the path
 *  of rows answers). AVG divides in the decimal arithmetic of @p rasqal_world. */
typedef struct kgr__group_ids kgr__group_ids;
int kgr__sparql_group_ids_new(kgr__group_ids **out, const void *plan, const kgr_store *store,
	const char *const *cols, size_t ncols);
int kgr__sparql_group_ids_add(kgr__group_ids *gi, const kgr_id *row);
int kgr__sparql_group_ids_answer(kgr_sparql_result **out, kgr__group_ids *gi, const kgr_store *store,
	size_t max_rows, void *rasqal_world);
void kgr__sparql_group_ids_free(kgr__group_ids *gi);
/** Append the cell of term @p id of @p store. 0, or KGR_ENOMEM (sparql/sparql.c). */
int kgr__sparql_push_id(kgr_sparql_result *r, const kgr_store *store, kgr_id id);
/** A stable merge sort of the @p n numbers in @p v by @p cmp (its first argument @p ctx), with
 *  @p tmp of n numbers to work in (sparql/sparql_group.c). */
void kgr__sparql_merge_sort(size_t *v, size_t *tmp, size_t n,
	int (*cmp)(const void *ctx, size_t a, size_t b), const void *ctx);
/** Past white space and comments at @p p (sparql/sparql_exists.c). */
const char *kgr__sparql_skip_blank(const char *p);
/** Past a comment, an IRI or a string literal at @p p (one byte past anything else). */
const char *kgr__sparql_skip_opaque(const char *p);
/** The first keyword @p kw (any case, whole word) of @p text outside strings, IRIs and
 *  comments, or NULL. */
const char *kgr__sparql_find_keyword(const char *text, const char *kw);

/** End every SPARQL query in flight in this process (their child processes are killed; each
 *  kgr_sparql_query() returns KGR_ERROR "cancelled"). For a service that is stopping
 *  (sparql/sparql_child.c). */
void kgr__sparql_cancel_all(void);

/** Keep up to @p keep query processes ready for the next SPARQL queries of this process
 *  (0: 2), each used again after a query kgrec evaluated itself (sparql/sparql_pool.c). For
 *  a service; calls nest, each ended by kgr__sparql_pool_stop(). 0 or KGR_ENOMEM. */
int kgr__sparql_pool_start(unsigned int keep);
/** End what kgr__sparql_pool_start() began: the ready processes end, and the pool's thread. */
void kgr__sparql_pool_stop(void);
/** Query processes the pool forked ready, queries after which one was kept, and how many
 *  are ready now; for the tests. */
void kgr__sparql_pool_counts(unsigned long *forked, unsigned long *reused, unsigned int *ready_now);

/** The value of the SPARQL string literal from @p p to @p end (its closing quote included),
 *  appended to @p out: 0, or -1 when it has a \\u or \\U escape or a language tag or datatype
 *  follows (sparql/sparql_regex.c). */
int kgr__sparql_string_value(kgr__buf *out, const char *p, const char *end);
/** Appends @p s as a SPARQL string literal "..." (sparql/sparql_regex.c). */
void kgr__sparql_put_string(kgr__buf *out, const char *s);
/** The query text with each COUNT(?v) written as SUM(IF(BOUND(?v), 1, 0)): rasqal 0.9.33
 *  counts the solutions where ?v is unbound too (sparql/sparql_concat.c). NULL when nothing
 *  changes (or *oom set); otherwise malloc'd. */
char *kgr__sparql_count_rewrite(const char *text, int *oom);
/** The query text with each GRAPH X {} (an empty pattern) written as a sub-select that has a
 *  row for each named graph X matches (sparql/sparql_fixups.c). NULL when nothing changes (or
 *  *oom set); otherwise malloc'd. */
char *kgr__sparql_empty_graph_rewrite(const char *text, int *oom);
/** Each call of the function @p name (any case, a whole word, outside strings, IRIs and
 *  comments) of @p text handed to @p rewrite with the position after the name: it writes the
 *  call's new text to its buffer and returns the position after the call, or the position
 *  it was given to leave the call as written. The new text (malloc'd), or NULL when nothing
 *  changed (*oom set when out of memory) (sparql/sparql_concat.c). */
char *kgr__sparql_rewrite_calls(const char *text, int *oom, const char *name,
	const char *(*rewrite)(kgr__buf *, const char *));
/** Appends @p s [0, @p n) to @p out with its line ends as spaces: a copy of query text that
 *  must not move the lines after it (sparql/sparql_concat.c). */
void kgr__sparql_put_flat(kgr__buf *out, const char *s, size_t n);
/** The query text with IRI(X) and URI(X) written as IF(isIRI(X), X, IRI(X)) (rasqal 0.9.33
 *  gives an IRI unbound), CONCAT() as "" (a syntax error to rasqal) and BNODE(X) as
 *  BNODE(CONCAT(KGR__BNODE_MARK, X)) (sparql/sparql_concat.c). NULL when nothing changes (or
 *  *oom set); otherwise malloc'd. */
char *kgr__sparql_function_rewrite(const char *text, int *oom);
/** The start of the label of a blank node that BNODE(str) made (U+E001, private use): the
 *  result gets a label of its own for each solution and string. */
#define KGR__BNODE_MARK "\xEE\x80\x81"
/** The query text with each GROUP_CONCAT(X; SEPARATOR="s") written as an expression rasqal
 *  0.9.33 evaluates right (it joins with a space whatever the separator):
 *  REPLACE(REPLACE(GROUP_CONCAT(REPLACE(STR(X), " ", "\\uE000")), " ", "s"), "\\uE000", " ")
 *  (sparql/sparql_concat.c). NULL when nothing changes (or *oom set); otherwise malloc'd. */
char *kgr__sparql_separator_rewrite(const char *text, int *oom);

/** The query text with the pattern and flags of each REGEX() and REPLACE() whose pattern and
 *  flags are string literals written for POSIX regcomp(), which rasqal 0.9.33 uses: the
 *  XPath flags s, m, x and q applied to the pattern, '.' not matching a line break without
 *  's', the escapes \n \r \t \d \s (also in a class) written out; only 'i' is left as a
 *  flag (sparql/sparql_regex.c). NULL when nothing changes (or *oom set when out of
 *  memory); otherwise malloc'd. */
char *kgr__sparql_regex_rewrite(const char *text, int *oom);

/** Makes the query process read text as UTF-8 (LC_CTYPE), for rasqal's regular expressions;
 *  the object that defines it also holds kgrec's REPLACE and SUBSTR, which take the place of
 *  rasqal's (sparql/sparql_strings.c). Called in the query process only. */
void kgr__sparql_text_setup(void);

/** Finds rasqal's own rasqal_literal_cast(), to which kgrec's (which takes its place for the
 *  casts rasqal refuses, sparql/sparql_cast.c) hands every other cast. Called by
 *  kgr__sparql_text_setup(), and on first use. */
void kgr__sparql_cast_setup(void);

/**
 * @brief Past one argument of a call starting at @p p (after the '(' or a separator): the
 * @p sep at depth 0 that ends it, the ')' that closes the call, or the end of the text.
 * Strings, IRIs and comments are skipped whole.
 */
const char *kgr__sparql_arg_end(const char *p, char sep);

/**
 * @brief A SELECT (the query's or a sub-SELECT) that groups by exactly the variables it
 * projects and has no aggregate (`SELECT ?a ?b WHERE { P } GROUP BY ?a ?b ...`) written as
 * `SELECT DISTINCT ?a ?b WHERE { P } ...`: rasqal 0.9.33 gives such a GROUP BY a row for
 * every solution. The query's own DISTINCT kgrec then does itself. Newlines are kept.
 * @param[out] oom set to 1 when memory ran out
 * @return the rewritten text (caller frees), or NULL when there was nothing to rewrite
 */
char *kgr__sparql_group_distinct_rewrite(const char *text, int *oom);

/** The canonical lexical form of a number the query computed (sparql/sparql_canon.c):
 *  kgr__xsd_canon_decimal() of an xsd:decimal lexical form ("6" is "6.0", "+01.50" is "1.5",
 *  "-0" is "0.0"), kgr__xsd_canon_integer() of an xsd:integer one ("+01" is "1"),
 *  kgr__xsd_canon_double() of a double or, with @p single, a float value ("6.0E0", "1.0E6",
 *  "2.0E-1", "0.0E0", "INF", "NaN"; the fewest digits that read back as the value). Each
 *  writes a NUL-terminated string to @p out and returns its length; 0 when @p lex is no such
 *  lexical form or @p size is too small. */
size_t kgr__xsd_canon_decimal(char *out, size_t size, const char *lex, size_t len);
/** 1 when @p dt is the IRI of xsd:integer or of a type derived from it (sparql/sparql_canon.c). */
int kgr__xsd_integer_type(const char *dt);
size_t kgr__xsd_canon_integer(char *out, size_t size, const char *lex, size_t len);
size_t kgr__xsd_canon_double(char *out, size_t size, double d, int single);

#endif
