/* Reading for the W3C runner: RDF files (manifests, test data, expected graphs and RDF result
 * sets) with raptor, SPARQL XML results with raptor's SAX2 reader, SPARQL JSON results with
 * cJSON, and the CSV and TSV result formats. */
#include "w3c/w3c.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static raptor_world *world;
static char log_msg[512];
static int log_errors;

static void log_handler(void *data, raptor_log_message *m)
{
	(void)data;
	if (m->level < RAPTOR_LOG_LEVEL_ERROR)
		return;
	if (!log_errors++) {
		if (m->locator && m->locator->line > 0)
			snprintf(log_msg, sizeof(log_msg), "line %d: %s", m->locator->line, m->text);
		else
			snprintf(log_msg, sizeof(log_msg), "%s", m->text);
	}
}

raptor_world *w3c_raptor(void)
{
	if (!world) {
		world = raptor_new_world();
		if (!world || raptor_world_open(world))
			abort();
		raptor_world_set_log_handler(world, NULL, log_handler);
	}
	return world;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (!buf)
		abort();
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* ---- terms ---- */

int w3c_term_set(w3c_term *t, int kind, const char *value, size_t len, const char *lang, const char *dt)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (kind == KGR_TERM_NONE)
		return 0;
	t->value = dup_n(value ? value : "", value ? len : 0);
	if (lang && *lang)
		t->lang = dup_n(lang, strlen(lang));
	/* RDF 1.1: a simple literal is an xsd:string; a tagged one an rdf:langString */
	if (dt && strcmp(dt, W3C_XSD "string") && strcmp(dt, W3C_RDF "langString"))
		t->dt = dup_n(dt, strlen(dt));
	return 0;
}

void w3c_term_free(w3c_term *t)
{
	free(t->value);
	free(t->lang);
	free(t->dt);
	memset(t, 0, sizeof(*t));
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int w3c_term_eq(const w3c_term *a, const w3c_term *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == KGR_TERM_NONE)
		return 1;
	if (strcmp(a->value, b->value) || !str_eq(a->dt, b->dt))
		return 0;
	/* language tags are case-insensitive (BCP 47) */
	return a->lang == b->lang || (a->lang && b->lang && !strcasecmp(a->lang, b->lang));
}

static void raptor_to_term(w3c_term *t, raptor_term *r, const char *bnode_prefix)
{
	switch (r->type) {
	case RAPTOR_TERM_TYPE_URI: {
		size_t n = 0;
		const unsigned char *s = raptor_uri_as_counted_string(r->value.uri, &n);
		w3c_term_set(t, KGR_TERM_IRI, (const char *)s, n, NULL, NULL);
		break;
	}
	case RAPTOR_TERM_TYPE_BLANK: {
		size_t pn = bnode_prefix ? strlen(bnode_prefix) : 0, n = r->value.blank.string_len;
		char *label = malloc(pn + n + 1);
		if (!label)
			abort();
		memcpy(label, bnode_prefix ? bnode_prefix : "", pn);
		memcpy(label + pn, r->value.blank.string, n);
		label[pn + n] = '\0';
		w3c_term_set(t, KGR_TERM_BLANK, label, pn + n, NULL, NULL);
		free(label);
		break;
	}
	case RAPTOR_TERM_TYPE_LITERAL:
		w3c_term_set(t, KGR_TERM_LITERAL, (const char *)r->value.literal.string,
			r->value.literal.string_len, (const char *)r->value.literal.language,
			r->value.literal.datatype ? (const char *)raptor_uri_as_string(r->value.literal.datatype)
						  : NULL);
		break;
	default:
		memset(t, 0, sizeof(*t));
	}
}

/* ---- graphs ---- */

typedef struct {
	w3c_graph *g;
	const char *prefix;
} parse_ctx;

static void on_statement(void *data, raptor_statement *st)
{
	parse_ctx *c = data;
	w3c_graph *g = c->g;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->t = realloc(g->t, g->cap * sizeof(*g->t));
		if (!g->t)
			abort();
	}
	raptor_to_term(&g->t[g->n].s, st->subject, c->prefix);
	raptor_to_term(&g->t[g->n].p, st->predicate, c->prefix);
	raptor_to_term(&g->t[g->n].o, st->object, c->prefix);
	g->n++;
}

static const char *syntax_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot)
		return "turtle";
	if (!strcmp(dot, ".rdf") || !strcmp(dot, ".xml") || !strcmp(dot, ".owl"))
		return "rdfxml";
	if (!strcmp(dot, ".nt"))
		return "ntriples";
	if (!strcmp(dot, ".nq"))
		return "nquads";
	if (!strcmp(dot, ".trig"))
		return "trig";
	return "turtle";
}

int w3c_graph_parse(w3c_graph *g, const char *path, const char *base_uri, const char *bnode_prefix,
	char *err, size_t errlen)
{
	raptor_world *w = w3c_raptor();
	raptor_parser *p = raptor_new_parser(w, syntax_of(path));
	raptor_uri *base = raptor_new_uri(w, (const unsigned char *)base_uri);
	FILE *f = fopen(path, "rb");
	parse_ctx c = { g, bnode_prefix };
	int rc = -1;
	if (!p || !base)
		abort();
	if (!f) {
		snprintf(err, errlen, "cannot open %s", path);
		goto done;
	}
	log_errors = 0;
	log_msg[0] = '\0';
	raptor_parser_set_statement_handler(p, &c, on_statement);
	if (raptor_parser_parse_file_stream(p, f, path, base) || log_errors) {
		snprintf(err, errlen, "cannot parse %s: %s", path, log_msg[0] ? log_msg : "raptor failed");
		goto done;
	}
	rc = 0;
done:
	if (f)
		fclose(f);
	raptor_free_uri(base);
	raptor_free_parser(p);
	return rc;
}

void w3c_graph_free(w3c_graph *g)
{
	size_t i;
	for (i = 0; i < g->n; i++) {
		w3c_term_free(&g->t[i].s);
		w3c_term_free(&g->t[i].p);
		w3c_term_free(&g->t[i].o);
	}
	free(g->t);
	memset(g, 0, sizeof(*g));
}

const w3c_term *w3c_graph_next_object(const w3c_graph *g, const w3c_term *s, const char *p, size_t *from)
{
	size_t i;
	for (i = *from; i < g->n; i++) {
		if (g->t[i].p.kind == KGR_TERM_IRI && !strcmp(g->t[i].p.value, p) && w3c_term_eq(&g->t[i].s, s)) {
			*from = i + 1;
			return &g->t[i].o;
		}
	}
	*from = g->n;
	return NULL;
}

const w3c_term *w3c_graph_object(const w3c_graph *g, const w3c_term *s, const char *p)
{
	size_t from = 0;
	return w3c_graph_next_object(g, s, p, &from);
}

size_t w3c_graph_list(const w3c_graph *g, const w3c_term *head, const w3c_term **out, size_t max)
{
	size_t n = 0;
	while (head && n < max && !(head->kind == KGR_TERM_IRI && !strcmp(head->value, W3C_RDF "nil"))) {
		const w3c_term *first = w3c_graph_object(g, head, W3C_RDF "first");
		if (!first)
			break;
		out[n++] = first;
		head = w3c_graph_object(g, head, W3C_RDF "rest");
	}
	return n;
}

/* ---- N-Quads ---- */

typedef struct {
	char *s;
	size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_escaped(sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		if (c == '\\')
			puts_(b, "\\\\");
		else if (c == '"')
			puts_(b, "\\\"");
		else if (c == '\n')
			puts_(b, "\\n");
		else if (c == '\r')
			puts_(b, "\\r");
		else if (c == '\t')
			puts_(b, "\\t");
		else if (c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04X", c);
			puts_(b, tmp);
		} else
			put(b, s, 1);
	}
}

static void put_term(sbuf *b, const w3c_term *t)
{
	switch (t->kind) {
	case KGR_TERM_IRI:
		puts_(b, "<");
		puts_(b, t->value);
		puts_(b, ">");
		break;
	case KGR_TERM_BLANK:
		puts_(b, "_:");
		puts_(b, t->value);
		break;
	default:
		puts_(b, "\"");
		put_escaped(b, t->value);
		puts_(b, "\"");
		if (t->lang) {
			puts_(b, "@");
			puts_(b, t->lang);
		} else if (t->dt) {
			puts_(b, "^^<");
			puts_(b, t->dt);
			puts_(b, ">");
		}
	}
}

int w3c_graph_nquads(const w3c_graph *g, const char *graph_iri, char **buf, size_t *len)
{
	sbuf b = { *buf, *len, *buf ? *len + 1 : 0 };
	size_t i;
	for (i = 0; i < g->n; i++) {
		put_term(&b, &g->t[i].s);
		puts_(&b, " ");
		put_term(&b, &g->t[i].p);
		puts_(&b, " ");
		put_term(&b, &g->t[i].o);
		if (graph_iri) {
			puts_(&b, " <");
			puts_(&b, graph_iri);
			puts_(&b, ">");
		}
		puts_(&b, " .\n");
	}
	if (!b.s)
		put(&b, "", 0);
	*buf = b.s;
	*len = b.n;
	return 0;
}

/* ---- results ---- */

static int var_index(w3c_result *r, const char *name, int add)
{
	size_t i;
	for (i = 0; i < r->nvars; i++)
		if (!strcmp(r->vars[i], name))
			return (int)i;
	if (!add)
		return -1;
	r->vars = realloc(r->vars, (r->nvars + 1) * sizeof(*r->vars));
	if (!r->vars)
		abort();
	r->vars[r->nvars] = dup_n(name, strlen(name));
	/* widen the rows read so far */
	if (r->nrows) {
		w3c_term *cells = calloc(r->nrows * (r->nvars + 1), sizeof(*cells));
		size_t row, c;
		if (!cells)
			abort();
		for (row = 0; row < r->nrows; row++)
			for (c = 0; c < r->nvars; c++)
				cells[row * (r->nvars + 1) + c] = r->cells[row * r->nvars + c];
		free(r->cells);
		r->cells = cells;
	}
	return (int)r->nvars++;
}

static w3c_term *add_row(w3c_result *r)
{
	w3c_term *cells = realloc(r->cells, (r->nrows + 1) * (r->nvars ? r->nvars : 1) * sizeof(*cells));
	if (!cells)
		abort();
	r->cells = cells;
	memset(cells + r->nrows * r->nvars, 0, r->nvars * sizeof(*cells));
	return cells + r->nrows++ * r->nvars;
}

void w3c_result_free(w3c_result *r)
{
	size_t i;
	for (i = 0; i < r->nrows * r->nvars; i++)
		w3c_term_free(&r->cells[i]);
	for (i = 0; i < r->nvars; i++)
		free(r->vars[i]);
	free(r->vars);
	free(r->cells);
	w3c_graph_free(&r->graph);
	memset(r, 0, sizeof(*r));
}

/* SPARQL XML results, read with raptor's SAX2 reader. */
typedef struct {
	w3c_result *r;
	raptor_sax2 *sax;
	int in_results, have_row;
	size_t row;
	int col;          /* binding being read, -1 none */
	int term_kind;    /* element being read: uri, bnode, literal */
	int in_boolean;
	char *lang, *dt;
	sbuf text;
} srx_ctx;

static const char *el_name(raptor_xml_element *el)
{
	return (const char *)raptor_qname_get_local_name(raptor_xml_element_get_name(el));
}

static const char *el_attr(raptor_xml_element *el, const char *name)
{
	raptor_qname **attrs = raptor_xml_element_get_attributes(el);
	int i, n = raptor_xml_element_get_attributes_count(el);
	for (i = 0; i < n; i++)
		if (!strcmp((const char *)raptor_qname_get_local_name(attrs[i]), name))
			return (const char *)raptor_qname_get_value(attrs[i]);
	return NULL;
}

static void srx_start(void *data, raptor_xml_element *el)
{
	srx_ctx *c = data;
	const char *name = el_name(el);
	c->text.n = 0;
	if (c->text.s)
		c->text.s[0] = '\0';
	if (!strcmp(name, "variable")) {
		const char *v = el_attr(el, "name");
		if (v)
			var_index(c->r, v, 1);
	} else if (!strcmp(name, "results")) {
		c->r->kind = W3C_BINDINGS;
	} else if (!strcmp(name, "result")) {
		add_row(c->r);
		c->row = c->r->nrows - 1;
		c->have_row = 1;
	} else if (!strcmp(name, "binding")) {
		const char *v = el_attr(el, "name");
		c->col = v ? var_index(c->r, v, 1) : -1;
	} else if (!strcmp(name, "uri")) {
		c->term_kind = KGR_TERM_IRI;
	} else if (!strcmp(name, "bnode")) {
		c->term_kind = KGR_TERM_BLANK;
	} else if (!strcmp(name, "literal")) {
		const char *lang = (const char *)raptor_xml_element_get_language(el), *dt = el_attr(el, "datatype");
		if (!lang)
			lang = el_attr(el, "lang");
		c->term_kind = KGR_TERM_LITERAL;
		free(c->lang);
		free(c->dt);
		c->lang = lang ? dup_n(lang, strlen(lang)) : NULL;
		c->dt = dt ? dup_n(dt, strlen(dt)) : NULL;
	} else if (!strcmp(name, "boolean")) {
		c->in_boolean = 1;
		c->r->kind = W3C_BOOLEAN;
	}
}

static void srx_chars(void *data, raptor_xml_element *el, const unsigned char *s, int len)
{
	srx_ctx *c = data;
	(void)el;
	if (c->term_kind || c->in_boolean)
		put(&c->text, (const char *)s, (size_t)len);
}

static void srx_end(void *data, raptor_xml_element *el)
{
	srx_ctx *c = data;
	const char *name = el_name(el);
	if (c->term_kind && (!strcmp(name, "uri") || !strcmp(name, "bnode") || !strcmp(name, "literal"))) {
		if (c->have_row && c->col >= 0) {
			w3c_term *t = &c->r->cells[c->row * c->r->nvars + (size_t)c->col];
			w3c_term_free(t);
			w3c_term_set(t, c->term_kind, c->text.s ? c->text.s : "", c->text.n,
				c->term_kind == KGR_TERM_LITERAL ? c->lang : NULL,
				c->term_kind == KGR_TERM_LITERAL ? c->dt : NULL);
		}
		c->term_kind = 0;
	} else if (!strcmp(name, "boolean")) {
		const char *s = c->text.s ? c->text.s : "";
		while (isspace((unsigned char)*s))
			s++;
		c->r->boolean = !strncmp(s, "true", 4);
		c->in_boolean = 0;
	} else if (!strcmp(name, "binding")) {
		c->col = -1;
	}
}

static int read_srx(w3c_result *r, const char *path, const char *base_uri, char *err, size_t errlen)
{
	raptor_world *w = w3c_raptor();
	size_t len = 0;
	char *text = slurp(path, &len);
	srx_ctx c;
	raptor_uri *base;
	raptor_locator loc;
	int rc;
	if (!text) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.col = -1;
	r->kind = W3C_BINDINGS;
	log_errors = 0;
	memset(&loc, 0, sizeof(loc));
	c.sax = raptor_new_sax2(w, &loc, &c);
	base = raptor_new_uri(w, (const unsigned char *)base_uri);
	if (!c.sax || !base)
		abort();
	raptor_sax2_set_start_element_handler(c.sax, srx_start);
	raptor_sax2_set_end_element_handler(c.sax, srx_end);
	raptor_sax2_set_characters_handler(c.sax, srx_chars);
	raptor_sax2_parse_start(c.sax, base);
	rc = raptor_sax2_parse_chunk(c.sax, (const unsigned char *)text, len, 1);
	raptor_free_sax2(c.sax);
	raptor_free_uri(base);
	free(text);
	free(c.text.s);
	free(c.lang);
	free(c.dt);
	if (rc || log_errors) {
		snprintf(err, errlen, "cannot parse %s: %s", path, log_msg[0] ? log_msg : "XML error");
		return -1;
	}
	return 0;
}

/* SPARQL JSON results. */
static int read_srj(w3c_result *r, const char *path, char *err, size_t errlen)
{
	char *text = slurp(path, NULL);
	cJSON *root, *vars, *v, *rows, *row, *b;
	if (!text || !(root = cJSON_Parse(text))) {
		free(text);
		snprintf(err, errlen, "cannot read JSON results %s", path);
		return -1;
	}
	free(text);
	if (cJSON_IsBool(cJSON_GetObjectItem(root, "boolean"))) {
		r->kind = W3C_BOOLEAN;
		r->boolean = cJSON_IsTrue(cJSON_GetObjectItem(root, "boolean"));
		cJSON_Delete(root);
		return 0;
	}
	r->kind = W3C_BINDINGS;
	vars = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "head"), "vars");
	cJSON_ArrayForEach(v, vars)
		if (cJSON_IsString(v))
			var_index(r, v->valuestring, 1);
	rows = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "results"), "bindings");
	cJSON_ArrayForEach(row, rows) {
		size_t at;
		add_row(r);
		at = r->nrows - 1;
		cJSON_ArrayForEach(b, row) {
			const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(b, "type"));
			const char *value = cJSON_GetStringValue(cJSON_GetObjectItem(b, "value"));
			const char *lang = cJSON_GetStringValue(cJSON_GetObjectItem(b, "xml:lang"));
			const char *dt = cJSON_GetStringValue(cJSON_GetObjectItem(b, "datatype"));
			int col = var_index(r, b->string, 1), kind;
			if (!type || !value)
				continue;
			kind = !strcmp(type, "uri") ? KGR_TERM_IRI : !strcmp(type, "bnode") ? KGR_TERM_BLANK
											: KGR_TERM_LITERAL;
			w3c_term_set(&r->cells[at * r->nvars + (size_t)col], kind, value, strlen(value),
				kind == KGR_TERM_LITERAL ? lang : NULL, kind == KGR_TERM_LITERAL ? dt : NULL);
		}
	}
	cJSON_Delete(root);
	return 0;
}

/* One TSV cell: an RDF term in Turtle syntax (numbers and booleans bare). */
static void tsv_term(w3c_term *t, const char *s, size_t n)
{
	char *c = dup_n(s, n), *p, *q;
	if (!n) {
		memset(t, 0, sizeof(*t));
	} else if (c[0] == '<' && c[n - 1] == '>') {
		w3c_term_set(t, KGR_TERM_IRI, c + 1, n - 2, NULL, NULL);
	} else if (!strncmp(c, "_:", 2)) {
		w3c_term_set(t, KGR_TERM_BLANK, c + 2, n - 2, NULL, NULL);
	} else if (c[0] == '"') {
		sbuf b = { 0 };
		for (p = c + 1; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				put(&b, *p == 'n' ? "\n" : *p == 't' ? "\t" : *p == 'r' ? "\r" : p, 1);
			} else {
				put(&b, p, 1);
			}
		}
		q = *p ? p + 1 : p;
		if (*q == '@')
			w3c_term_set(t, KGR_TERM_LITERAL, b.s ? b.s : "", b.n, q + 1, NULL);
		else if (!strncmp(q, "^^<", 3) && q[strlen(q) - 1] == '>') {
			q[strlen(q) - 1] = '\0';
			w3c_term_set(t, KGR_TERM_LITERAL, b.s ? b.s : "", b.n, NULL, q + 3);
		} else
			w3c_term_set(t, KGR_TERM_LITERAL, b.s ? b.s : "", b.n, NULL, NULL);
		free(b.s);
	} else if (!strcmp(c, "true") || !strcmp(c, "false")) {
		w3c_term_set(t, KGR_TERM_LITERAL, c, n, NULL, W3C_XSD "boolean");
	} else if (strpbrk(c, "eE")) {
		w3c_term_set(t, KGR_TERM_LITERAL, c, n, NULL, W3C_XSD "double");
	} else if (strchr(c, '.')) {
		w3c_term_set(t, KGR_TERM_LITERAL, c, n, NULL, W3C_XSD "decimal");
	} else {
		w3c_term_set(t, KGR_TERM_LITERAL, c, n, NULL, W3C_XSD "integer");
	}
	free(c);
}

/* CSV and TSV results: a header of variable names, then one line per row. CSV cells are
 * plain text (quoted when they hold a comma, quote or line break): IRIs and literals alike,
 * blank nodes as _:label. */
static int read_xsv(w3c_result *r, const char *path, int csv, char *err, size_t errlen)
{
	size_t len = 0, col = 0;
	char *text = slurp(path, &len), *p, *end;
	int header = 1;
	if (!text) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	r->kind = W3C_BINDINGS;
	r->csv = csv;
	p = text;
	end = text + len;
	while (p < end) {
		sbuf cell = { 0 };
		int quoted = 0;
		char sep;
		if (csv && *p == '"') {
			quoted = 1;
			for (p++; p < end; p++) {
				if (*p == '"' && p + 1 < end && p[1] == '"') {
					put(&cell, "\"", 1);
					p++;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					put(&cell, p, 1);
				}
			}
		} else {
			const char *stop = csv ? ",\r\n" : "\t\r\n";
			while (p < end && !strchr(stop, *p))
				put(&cell, p++, 1);
		}
		sep = p < end ? *p : '\n';
		if (sep == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		if (p < end)
			p++;
		if (header) {
			const char *name = cell.s ? cell.s : "";
			if (name[0] == '?')
				name++;
			var_index(r, name, 1);
		} else if (col < r->nvars) {
			w3c_term *t;
			if (col == 0)
				add_row(r);
			t = &r->cells[(r->nrows - 1) * r->nvars + col];
			if (csv) {
				if (cell.n == 0 && !quoted)
					memset(t, 0, sizeof(*t));
				else if (!strncmp(cell.s, "_:", 2))
					w3c_term_set(t, KGR_TERM_BLANK, cell.s + 2, cell.n - 2, NULL, NULL);
				else
					w3c_term_set(t, KGR_TERM_LITERAL, cell.s, cell.n, NULL, NULL);
			} else {
				tsv_term(t, cell.s ? cell.s : "", cell.n);
			}
		}
		free(cell.s);
		col++;
		if (sep == '\r' || sep == '\n') {
			header = 0;
			col = 0;
		}
	}
	free(text);
	return 0;
}

#define RS "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"

/* An RDF result set (rs: vocabulary), or else a graph (CONSTRUCT, DESCRIBE). */
static int read_rdf(w3c_result *r, const char *path, const char *base_uri, char *err, size_t errlen)
{
	w3c_graph g = { 0 };
	const w3c_term *set = NULL, *v, *sol, *b;
	size_t i, from;
	if (w3c_graph_parse(&g, path, base_uri, NULL, err, errlen))
		return -1;
	for (i = 0; i < g.n; i++) {
		if (g.t[i].p.kind == KGR_TERM_IRI && !strcmp(g.t[i].p.value, W3C_RDF "type") &&
			g.t[i].o.kind == KGR_TERM_IRI && !strcmp(g.t[i].o.value, RS "ResultSet")) {
			set = &g.t[i].s;
			break;
		}
	}
	if (!set) {
		r->kind = W3C_GRAPH;
		r->graph = g;
		return 0;
	}
	if ((v = w3c_graph_object(&g, set, RS "boolean"))) {
		r->kind = W3C_BOOLEAN;
		r->boolean = !strcmp(v->value, "true") || !strcmp(v->value, "1");
		w3c_graph_free(&g);
		return 0;
	}
	r->kind = W3C_BINDINGS;
	from = 0;
	while ((v = w3c_graph_next_object(&g, set, RS "resultVariable", &from)))
		var_index(r, v->value, 1);
	/* rows ordered by rs:index when present (ORDER BY results) */
	{
		const w3c_term **sols = NULL;
		long *idx = NULL;
		size_t ns = 0, j;
		from = 0;
		while ((sol = w3c_graph_next_object(&g, set, RS "solution", &from))) {
			const w3c_term *ix = w3c_graph_object(&g, sol, RS "index");
			sols = realloc(sols, (ns + 1) * sizeof(*sols));
			idx = realloc(idx, (ns + 1) * sizeof(*idx));
			if (!sols || !idx)
				abort();
			sols[ns] = sol;
			idx[ns] = ix ? atol(ix->value) : (long)ns;
			ns++;
		}
		for (i = 1; i < ns; i++) { /* insertion sort by index */
			const w3c_term *s = sols[i];
			long k = idx[i];
			for (j = i; j > 0 && idx[j - 1] > k; j--) {
				sols[j] = sols[j - 1];
				idx[j] = idx[j - 1];
			}
			sols[j] = s;
			idx[j] = k;
		}
		for (i = 0; i < ns; i++) {
			size_t at, bf = 0;
			add_row(r);
			at = r->nrows - 1;
			while ((b = w3c_graph_next_object(&g, sols[i], RS "binding", &bf))) {
				const w3c_term *name = w3c_graph_object(&g, b, RS "variable");
				const w3c_term *val = w3c_graph_object(&g, b, RS "value");
				int col;
				if (!name || !val)
					continue;
				col = var_index(r, name->value, 1);
				at = r->nrows - 1;
				w3c_term_set(&r->cells[at * r->nvars + (size_t)col], val->kind, val->value,
					strlen(val->value), val->lang, val->dt);
			}
		}
		free(sols);
		free(idx);
	}
	w3c_graph_free(&g);
	return 0;
}

int w3c_result_read(w3c_result *r, const char *path, const char *base_uri, char *err, size_t errlen)
{
	const char *dot = strrchr(path, '.');
	memset(r, 0, sizeof(*r));
	if (dot && !strcmp(dot, ".srx"))
		return read_srx(r, path, base_uri, err, errlen);
	if (dot && !strcmp(dot, ".srj"))
		return read_srj(r, path, err, errlen);
	if (dot && !strcmp(dot, ".tsv"))
		return read_xsv(r, path, 0, err, errlen);
	if (dot && !strcmp(dot, ".csv"))
		return read_xsv(r, path, 1, err, errlen);
	return read_rdf(r, path, base_uri, err, errlen);
}

static void kgr_to_term(w3c_term *t, const kgr_sparql_term *k)
{
	w3c_term_set(t, k->kind, k->value, k->len, k->lang, k->datatype);
}

int w3c_result_from_kgr(w3c_result *r, const kgr_sparql_result *k)
{
	size_t i, c;
	memset(r, 0, sizeof(*r));
	switch (kgr_sparql_result_kind(k)) {
	case KGR_SPARQL_BOOLEAN:
		r->kind = W3C_BOOLEAN;
		r->boolean = kgr_sparql_result_boolean(k);
		break;
	case KGR_SPARQL_GRAPH:
		r->kind = W3C_GRAPH;
		r->graph.n = r->graph.cap = kgr_sparql_result_triple_count(k);
		r->graph.t = calloc(r->graph.n ? r->graph.n : 1, sizeof(*r->graph.t));
		if (!r->graph.t)
			abort();
		for (i = 0; i < r->graph.n; i++) {
			kgr_sparql_term s, p, o;
			kgr_sparql_result_triple(k, i, &s, &p, &o);
			kgr_to_term(&r->graph.t[i].s, &s);
			kgr_to_term(&r->graph.t[i].p, &p);
			kgr_to_term(&r->graph.t[i].o, &o);
		}
		break;
	default:
		r->kind = W3C_BINDINGS;
		for (c = 0; c < kgr_sparql_result_column_count(k); c++)
			var_index(r, kgr_sparql_result_column_name(k, c), 1);
		for (i = 0; i < kgr_sparql_result_row_count(k); i++) {
			w3c_term *row = add_row(r);
			for (c = 0; c < r->nvars; c++) {
				kgr_sparql_term t;
				if (kgr_sparql_result_get(k, i, c, &t))
					kgr_to_term(&row[c], &t);
			}
		}
	}
	return 0;
}
