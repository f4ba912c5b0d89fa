/* RDF in: the raptor adapter. Every syntax raptor parses, plain or gzip-compressed (zlib reads
 * both), streamed in chunks into the term dictionary. A failed file leaves the store as it
 * was before the file. */
#include "kg/store_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <raptor2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define CHUNK (256 * 1024)

typedef struct {
	kgr_store *store;
	const char *name;
	kgr_id graph;  /* forced graph, or 0 to keep the input's */
	int error;     /* first error code */
	char msg[768]; /* first error message */
	size_t triples;
	char bnode_prefix[32];
	size_t bnode_prefix_len;
	raptor_parser *parser;
	char *scratch;
	size_t scratch_cap;
} load_ctx;

static void fail(load_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(load_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	if (c->error)
		return;
	c->error = code;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	if (c->parser)
		raptor_parser_parse_abort(c->parser);
}

static void log_handler(void *data, raptor_log_message *m)
{
	load_ctx *c = data;
	if (m->level < RAPTOR_LOG_LEVEL_ERROR)
		return;
	if (m->locator && m->locator->line > 0)
		fail(c, KGR_EPARSE, "%s:%d:%d: %s", c->name, m->locator->line,
			m->locator->column > 0 ? m->locator->column : 1, m->text ? m->text : "syntax error");
	else
		fail(c, KGR_EPARSE, "%s: %s", c->name, m->text ? m->text : "syntax error");
}

/* RDF 1.1 IRIREF: no controls, spaces or <>"{}|^`\ ; and an absolute IRI has a scheme. */
static int iri_ok(const unsigned char *v, size_t len)
{
	size_t i;
	int scheme = 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = v[i];
		if (ch <= 0x20 || ch == '<' || ch == '>' || ch == '"' || ch == '{' || ch == '}' ||
			ch == '|' || ch == '^' || ch == '`' || ch == '\\')
			return 0;
		if (ch == ':' && i > 0 && !scheme)
			scheme = 1;
		if (!scheme && (ch == '/' || ch == '?' || ch == '#'))
			return 0;
	}
	return scheme;
}

static void locate(load_ctx *c, int *line, int *col)
{
	raptor_locator *l = c->parser ? raptor_parser_get_locator(c->parser) : NULL;
	*line = l && l->line > 0 ? l->line : 0;
	*col = l && l->column > 0 ? l->column : 1;
}

static kgr_id intern_term(load_ctx *c, raptor_term *t)
{
	kgr_store *s = c->store;
	size_t len;
	const unsigned char *v;
	int line, col;

	switch (t->type) {
	case RAPTOR_TERM_TYPE_URI:
		v = raptor_uri_as_counted_string(t->value.uri, &len);
		if (!iri_ok(v, len)) {
			locate(c, &line, &col);
			fail(c, KGR_EPARSE, "%s:%d:%d: invalid IRI <%.*s>", c->name, line, col,
				(int)(len > 200 ? 200 : len), (const char *)v);
			return 0;
		}
		return kgr__intern(s, KGR_TERM_IRI, (const char *)v, len, NULL, 0, 0);
	case RAPTOR_TERM_TYPE_BLANK: {
		size_t need = c->bnode_prefix_len + t->value.blank.string_len;
		if (need + 1 > c->scratch_cap) {
			char *p = realloc(c->scratch, need + 64);
			if (!p)
				return 0;
			c->scratch = p;
			c->scratch_cap = need + 64;
		}
		memcpy(c->scratch, c->bnode_prefix, c->bnode_prefix_len);
		memcpy(c->scratch + c->bnode_prefix_len, t->value.blank.string, t->value.blank.string_len);
		return kgr__intern(s, KGR_TERM_BLANK, c->scratch, need, NULL, 0, 0);
	}
	case RAPTOR_TERM_TYPE_LITERAL: {
		kgr_id dt = 0;
		if (t->value.literal.language && t->value.literal.language_len)
			return kgr__intern(s, KGR_TERM_LITERAL, (const char *)t->value.literal.string,
				t->value.literal.string_len, (const char *)t->value.literal.language,
				t->value.literal.language_len, 0);
		if (t->value.literal.datatype) {
			v = raptor_uri_as_counted_string(t->value.literal.datatype, &len);
			/* xsd:string is the same term as a plain literal (RDF 1.1) */
			if (!(len == 39 && !memcmp(v, "http://www.w3.org/2001/XMLSchema#string", 39))) {
				if (!iri_ok(v, len)) {
					locate(c, &line, &col);
					fail(c, KGR_EPARSE, "%s:%d:%d: invalid datatype IRI <%.*s>", c->name,
						line, col, (int)(len > 200 ? 200 : len), (const char *)v);
					return 0;
				}
				dt = kgr__intern(s, KGR_TERM_IRI, (const char *)v, len, NULL, 0, 0);
				if (!dt)
					return 0;
			}
		}
		return kgr__intern(s, KGR_TERM_LITERAL, (const char *)t->value.literal.string,
			t->value.literal.string_len, NULL, 0, dt);
	}
	default:
		return 0;
	}
}

static void statement_handler(void *data, raptor_statement *st)
{
	load_ctx *c = data;
	kgr_id sid, pid, oid, gid = c->graph;

	if (c->error)
		return;
	sid = intern_term(c, st->subject);
	pid = sid ? intern_term(c, st->predicate) : 0;
	oid = pid ? intern_term(c, st->object) : 0;
	if (oid && !gid && st->graph)
		gid = intern_term(c, st->graph);
	if (!oid || (st->graph && !c->graph && !gid)) {
		if (!c->error)
			fail(c, kgr_error_last_code() ? kgr_error_last_code() : KGR_ENOMEM, "%s: %s",
				c->name, kgr_error_last());
		return;
	}
	if (kgr__add_quad(c->store, sid, pid, oid, gid) < 0) {
		fail(c, KGR_ENOMEM, "%s: out of memory", c->name);
		return;
	}
	c->triples++;
}

static void namespace_handler(void *data, raptor_namespace *ns)
{
	load_ctx *c = data;
	const unsigned char *prefix = raptor_namespace_get_prefix(ns);
	raptor_uri *uri = raptor_namespace_get_uri(ns);
	if (prefix && uri)
		kgr__add_prefix(c->store, (const char *)prefix, (const char *)raptor_uri_as_string(uri));
}

static const char *guess_format(const char *path)
{
	static const struct {
		const char *ext, *name;
	} map[] = {
		{ ".nt", "ntriples" }, { ".ntriples", "ntriples" }, { ".ttl", "turtle" },
		{ ".turtle", "turtle" }, { ".n3", "turtle" }, { ".rdf", "rdfxml" }, { ".xml", "rdfxml" },
		{ ".owl", "rdfxml" }, { ".nq", "nquads" }, { ".nquads", "nquads" }, { ".trig", "trig" },
		{ ".json", "json" }, { ".rj", "json" },
	};
	size_t n = strlen(path), i;
	char tmp[4096];
	if (n >= sizeof(tmp))
		return NULL;
	memcpy(tmp, path, n + 1);
	if (n > 3 && !strcmp(tmp + n - 3, ".gz"))
		tmp[n -= 3] = '\0';
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t e = strlen(map[i].ext);
		if (n > e && !strcasecmp(tmp + n - e, map[i].ext))
			return map[i].name;
	}
	return NULL;
}

static const char *canonical_format(const char *f)
{
	if (!strcmp(f, "nt") || !strcmp(f, "n-triples"))
		return "ntriples";
	if (!strcmp(f, "ttl"))
		return "turtle";
	if (!strcmp(f, "xml") || !strcmp(f, "rdf/xml") || !strcmp(f, "rdf"))
		return "rdfxml";
	if (!strcmp(f, "nq") || !strcmp(f, "n-quads"))
		return "nquads";
	return f;
}

typedef int (*read_fn)(void *src, char *buf, size_t cap, size_t *got, uint64_t *pos);

/* Drive one raptor parse over chunks from a reader. On failure the store is rolled back. */
static int parse_stream(kgr_store *s, read_fn rd, void *src, uint64_t total, const char *format,
	const char *base, const char *name, kgr_id graph)
{
	raptor_world *world = NULL;
	raptor_uri *base_uri = NULL;
	load_ctx c;
	char *buf = NULL;
	size_t n_terms = s->n_terms, n_quads = s->n_quads, blob_len = s->blob_len, got = 0;
	uint64_t pos = 0;
	int error = 0, eof = 0;

	memset(&c, 0, sizeof(c));
	c.store = s;
	c.name = name;
	c.graph = graph;
	c.bnode_prefix_len = (size_t)snprintf(c.bnode_prefix, sizeof(c.bnode_prefix), "b%u_",
		++s->load_serial);

	if (s->finalized)
		return kgr__error_set(KGR_EINVALID, "%s: the store is finalized; load before finalizing", name);
	if (!format)
		return kgr__error_set(KGR_EINVALID,
			"%s: cannot tell the RDF syntax from the file name; give --format "
			"(ntriples, turtle, rdfxml, nquads, trig, json)", name);
	format = canonical_format(format);
	world = raptor_new_world();
	if (!world || raptor_world_open(world)) {
		error = kgr__error_set(KGR_ENOMEM, "cannot start raptor");
		goto cleanup;
	}
	raptor_world_set_log_handler(world, &c, log_handler);
	if (!raptor_world_is_parser_name(world, format)) {
		error = kgr__error_set(KGR_EINVALID,
			"%s: unknown RDF syntax '%s' (ntriples, turtle, rdfxml, nquads, trig, json)", name, format);
		goto cleanup;
	}
	c.parser = raptor_new_parser(world, format);
	buf = malloc(CHUNK);
	if (!c.parser || !buf) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	raptor_parser_set_statement_handler(c.parser, &c, statement_handler);
	raptor_parser_set_namespace_handler(c.parser, &c, namespace_handler);
	base_uri = raptor_new_uri(world, (const unsigned char *)base);
	if (!base_uri || raptor_parser_parse_start(c.parser, base_uri)) {
		error = kgr__error_set(KGR_EINVALID, "%s: bad base IRI <%s>", name, base);
		goto cleanup;
	}
	while (!eof && !c.error) {
		int r = rd(src, buf, CHUNK, &got, &pos);
		if (r < 0) {
			fail(&c, r, "%s", kgr_error_last());
			break;
		}
		eof = got == 0;
		if (raptor_parser_parse_chunk(c.parser, (const unsigned char *)buf, got, eof) && !c.error)
			fail(&c, KGR_EPARSE, "%s: syntax error", name);
		if (s->progress)
			s->progress(pos, total, s->progress_payload);
	}
	if (!c.error && c.triples == 0)
		fail(&c, KGR_EPARSE, "%s: no triples (empty file?)", name);
	if (c.error)
		error = kgr__error_set(c.error, "%s", c.msg);
cleanup:
	if (error)
		kgr__rollback(s, n_terms, n_quads, blob_len);
	if (c.parser)
		raptor_free_parser(c.parser);
	if (base_uri)
		raptor_free_uri(base_uri);
	if (world)
		raptor_free_world(world);
	free(c.scratch);
	free(buf);
	return error;
}

typedef struct {
	gzFile f;
	const char *name;
} gz_src;

static int gz_read(void *src, char *buf, size_t cap, size_t *got, uint64_t *pos)
{
	gz_src *g = src;
	int n = gzread(g->f, buf, (unsigned)cap), err;
	const char *msg;
	if (n < 0 || (n == 0 && !gzeof(g->f))) {
		msg = gzerror(g->f, &err);
		return kgr__error_set(err == Z_ERRNO ? KGR_EIO : KGR_ECORRUPT, "%s: %s", g->name,
			err == Z_ERRNO ? strerror(errno) : msg);
	}
	if (n == 0) {
		msg = gzerror(g->f, &err);
		if (err != Z_OK && err != Z_STREAM_END)
			return kgr__error_set(KGR_ECORRUPT, "%s: %s (truncated or damaged gzip data)", g->name, msg);
	}
	*got = (size_t)n;
	*pos = (uint64_t)gzoffset(g->f);
	return 0;
}

typedef struct {
	const char *data;
	size_t len, off;
} mem_src;

static int mem_read(void *src, char *buf, size_t cap, size_t *got, uint64_t *pos)
{
	mem_src *m = src;
	size_t n = m->len - m->off < cap ? m->len - m->off : cap;
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	*got = n;
	*pos = m->off;
	return 0;
}

int kgr__load_buffer(kgr_store *s, const char *data, size_t len, const char *format, const char *base,
	const char *name, kgr_id graph)
{
	mem_src m = { data, len, 0 };
	return parse_stream(s, mem_read, &m, len, format, base ? base : "urn:kgrec:buffer", name, graph);
}

int kgr_store_load_rdf_buffer(kgr_store *s, const char *data, size_t len, const char *format,
	const char *base, const char *name)
{
	return kgr__load_buffer(s, data, len, format, base, name ? name : "(buffer)", 0);
}

int kgr_store_load_rdf(kgr_store *s, const char *path, const char *format, const char *base)
{
	gz_src g;
	struct stat st;
	char *abs = NULL, *base_iri = NULL;
	int error;

	if (!format)
		format = guess_format(path);
	g.name = path;
	if (!strcmp(path, "-")) {
		g.f = gzdopen(0, "rb");
		st.st_size = 0;
	} else {
		if (stat(path, &st) != 0)
			return kgr__error_set(errno == ENOENT ? KGR_ENOTFOUND : KGR_EIO, "%s: %s", path,
				strerror(errno));
		if (S_ISDIR(st.st_mode))
			return kgr__error_set(KGR_EINVALID, "%s: is a directory", path);
		if (st.st_size == 0)
			return kgr__error_set(KGR_EPARSE, "%s: empty file", path);
		g.f = gzopen(path, "rb");
	}
	if (!g.f)
		return kgr__error_set(KGR_EIO, "%s: %s", path, strerror(errno));
	gzbuffer(g.f, CHUNK);
	if (!base && strcmp(path, "-")) {
		abs = realpath(path, NULL);
		base_iri = malloc(strlen(abs ? abs : path) + 8);
		if (base_iri)
			sprintf(base_iri, "file://%s", abs ? abs : path);
	}
	error = parse_stream(s, gz_read, &g, (uint64_t)st.st_size, format,
		base ? base : base_iri ? base_iri : "urn:kgrec:stdin", path, 0);
	gzclose(g.f);
	free(abs);
	free(base_iri);
	return error;
}
