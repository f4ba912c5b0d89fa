/* RDF in: the raptor adapter. Every syntax raptor parses, plain or gzip-compressed (zlib reads
 * both), streamed in chunks into the term dictionary. A failed file leaves the store as it
 * was before the file. */
#include "kg/ingest_internal.h"
#include "kg/rdf_guard.h"
#include "kg/store_internal.h"
#include "kg/text_check.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <strings.h>
#include <raptor2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define CHUNK (256 * 1024)

/* raptor's syntaxes are parsed in two threads: raptor's callback (the producer) validates each
 * statement and copies its terms into a batch; a consumer thread interns the batches into the
 * store. On two cores this hides most of the dictionary's cost behind raptor's own. (N-Triples
 * and N-Quads have a reader of their own on every core: kg/ingest_nt.c.) */
#define BATCH_BYTES (1u << 20)
#define N_BATCHES 3

typedef kgr__buf batch;

typedef struct {
	kgr_store *store;
	const char *name;
	kgr_id graph;  /* forced graph, or 0 to keep the input's */
	int error;     /* first error code (under lock) */
	char msg[768]; /* first error message */
	size_t triples;
	char bnode_prefix[32];
	size_t bnode_prefix_len;
	raptor_world *world;
	raptor_parser *parser;
	raptor_uri *base_uri;

	pthread_t thread;
	int thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	batch batches[N_BATCHES];
	batch *filling;       /* producer's */
	batch *queued;        /* handed over, not yet taken */
	batch *free_list[N_BATCHES];
	size_t n_free;
	int finished;         /* producer is done */

	char *scratch;
	size_t scratch_cap;
} load_ctx;

static void fail(load_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void kgr__load_fail(pthread_mutex_t *lock, pthread_cond_t *cv, int *error, char *msg, size_t cap,
	int code, const char *fmt, va_list ap)
{
	pthread_mutex_lock(lock);
	if (!*error) {
		*error = code;
		vsnprintf(msg, cap, fmt, ap);
	}
	pthread_cond_broadcast(cv);
	pthread_mutex_unlock(lock);
}

static void fail(load_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kgr__load_fail(&c->lock, &c->cv, &c->error, c->msg, sizeof(c->msg), code, fmt, ap);
	va_end(ap);
}

static int failed(load_ctx *c)
{
	int e;
	pthread_mutex_lock(&c->lock);
	e = c->error;
	pthread_mutex_unlock(&c->lock);
	return e;
}

static void log_handler(void *data, raptor_log_message *m)
{
	load_ctx *c = data;
	if (m->level < RAPTOR_LOG_LEVEL_ERROR)
		return;
	raptor_locator *l = m->locator && m->locator->line > 0 ? m->locator
			    : c->parser ? raptor_parser_get_locator(c->parser) : NULL;
	if (l && l->line > 0)
		fail(c, KGR_EPARSE, "%s:%d:%d: %s", c->name, l->line, l->column > 0 ? l->column : 1,
			m->text ? m->text : "syntax error");
	else
		fail(c, KGR_EPARSE, "%s: %s", c->name, m->text ? m->text : "syntax error");
	if (c->parser)
		raptor_parser_parse_abort(c->parser);
}

/* RDF 1.1 IRIREF: no controls, spaces or <>"{}|^`\ ; and an absolute IRI has a scheme. */
static unsigned char iri_bad[256];
static pthread_once_t iri_once = PTHREAD_ONCE_INIT;

static void iri_table(void)
{
	const char *bad = "<>\"{}|^`\\";
	int i;
	for (i = 0; i <= 0x20; i++)
		iri_bad[i] = 1;
	for (; *bad; bad++)
		iri_bad[(unsigned char)*bad] = 1;
}

static int iri_ok(const unsigned char *v, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++) {
		unsigned char ch = v[i];
		if (ch == ':')
			break;
		if (iri_bad[ch] || ch == '/' || ch == '?' || ch == '#')
			return 0;
	}
	if (i == 0 || i == len)
		return 0;
	for (; i < len; i++)
		if (iri_bad[v[i]])
			return 0;
	return 1;
}

/* The scheme part of iri_ok() alone, for an IRI whose every character has been checked
 * against iri_bad already (the N-Triples reader's). */
static int has_scheme(const unsigned char *v, size_t len)
{
	size_t i;
	for (i = 0; i < len && v[i] != ':'; i++)
		if (v[i] == '/' || v[i] == '?' || v[i] == '#')
			return 0;
	return i > 0 && i < len;
}

static void locate(load_ctx *c, int *line, int *col)
{
	raptor_locator *l = c->parser ? raptor_parser_get_locator(c->parser) : NULL;
	*line = l && l->line > 0 ? l->line : 0;
	*col = l && l->column > 0 ? l->column : 1;
}

/* ---- producer side: encode terms into the batch ---- */

static int put_str(batch *b, unsigned char tag, const void *v, size_t len)
{
	uint32_t l = (uint32_t)len;
	return kgr__buf_append(b, &tag, 1) || kgr__buf_append(b, &l, 4) || kgr__buf_append(b, v, len) ? -1 : 0;
}

/* Term encoding: tag byte, u32 length, bytes. Tags: 'I' IRI, 'B' blank, 'L' plain literal,
 * 'G' language literal (followed by the tag as an 'I'-less string), 'D' typed literal
 * (followed by the datatype IRI), 'N' no term. */
static int encode_term(load_ctx *c, batch *b, raptor_term *t)
{
	size_t len;
	const unsigned char *v;
	int line, col;

	if (!t)
		return put_str(b, 'N', "", 0);
	switch (t->type) {
	case RAPTOR_TERM_TYPE_URI:
		v = raptor_uri_as_counted_string(t->value.uri, &len);
		if (!iri_ok(v, len)) {
			locate(c, &line, &col);
			fail(c, KGR_EPARSE, "%s:%d:%d: invalid IRI <%.*s>", c->name, line, col,
				(int)(len > 200 ? 200 : len), (const char *)v);
			return -1;
		}
		return put_str(b, 'I', v, len);
	case RAPTOR_TERM_TYPE_BLANK:
		return put_str(b, 'B', t->value.blank.string, t->value.blank.string_len);
	case RAPTOR_TERM_TYPE_LITERAL:
		if (t->value.literal.language && t->value.literal.language_len)
			return put_str(b, 'G', t->value.literal.string, t->value.literal.string_len) ||
			       put_str(b, 'g', t->value.literal.language, t->value.literal.language_len);
		if (t->value.literal.datatype) {
			v = raptor_uri_as_counted_string(t->value.literal.datatype, &len);
			/* xsd:string is the same term as a plain literal (RDF 1.1) */
			if (!(len == 39 && !memcmp(v, "http://www.w3.org/2001/XMLSchema#string", 39))) {
				if (!iri_ok(v, len)) {
					locate(c, &line, &col);
					fail(c, KGR_EPARSE, "%s:%d:%d: invalid datatype IRI <%.*s>", c->name,
						line, col, (int)(len > 200 ? 200 : len), (const char *)v);
					return -1;
				}
				return put_str(b, 'D', t->value.literal.string, t->value.literal.string_len) ||
				       put_str(b, 'd', v, len);
			}
		}
		return put_str(b, 'L', t->value.literal.string, t->value.literal.string_len);
	default:
		fail(c, KGR_EPARSE, "%s: unsupported term type", c->name);
		return -1;
	}
}

/* Hand the filled batch to the consumer and take an empty one. */
static int hand_over(load_ctx *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->queued && !c->error)
		pthread_cond_wait(&c->cv, &c->lock);
	if (c->error) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	c->queued = c->filling;
	while (c->n_free == 0 && !c->error)
		pthread_cond_wait(&c->cv, &c->lock);
	c->filling = c->n_free ? c->free_list[--c->n_free] : NULL;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
	return c->filling ? 0 : -1;
}

static void statement_handler(void *data, raptor_statement *st)
{
	load_ctx *c = data;
	batch *b = c->filling;
	size_t mark;

	if (!b)
		return;
	mark = b->len;
	if (encode_term(c, b, st->subject) || encode_term(c, b, st->predicate) ||
		encode_term(c, b, st->object) || encode_term(c, b, c->graph ? NULL : st->graph)) {
		b->len = mark;
		if (!failed(c))
			fail(c, KGR_ENOMEM, "%s: out of memory", c->name);
		raptor_parser_parse_abort(c->parser);
		return;
	}
	if (b->len >= BATCH_BYTES && hand_over(c) < 0)
		raptor_parser_parse_abort(c->parser);
}

/* ---- consumer side ---- */

/* The terms of a batch are hashed AHEAD terms before they are interned and their table slots
 * prefetched, so the slots' cache misses (the table outgrows the caches: most of the
 * interner's time at 20M triples) overlap instead of coming one at a time. */
#define AHEAD 16

typedef struct {
	const char *q;          /* the next term to hash */
	uint32_t hash[AHEAD];   /* ring: the hashes of the terms after the one being interned */
	kgr_id id[AHEAD];       /* ... the id their home slot holds, once looked at */
	size_t head, tail;
	char nbuf[512];         /* a blank node's label with its scope prefix */
} lookahead;

/* Hashes the term at la->q (for a typed literal its datatype IRI, whose id its hash needs)
 * and prefetches its slot; 0 for a term interned without a precomputed hash. */
static void peek_term(load_ctx *c, lookahead *la)
{
	char tag = *la->q;
	const char *v, *v2;
	uint32_t len = kgr__get_str(&la->q, &v), len2, h = 0;
	switch (tag) {
	case 'I':
		h = kgr__term_hash(KGR_TERM_IRI, v, len, NULL, 0, 0);
		break;
	case 'B':
		if (c->bnode_prefix_len + len <= sizeof(la->nbuf)) {
			memcpy(la->nbuf, c->bnode_prefix, c->bnode_prefix_len);
			memcpy(la->nbuf + c->bnode_prefix_len, v, len);
			h = kgr__term_hash(KGR_TERM_BLANK, la->nbuf, c->bnode_prefix_len + len, NULL, 0, 0);
		}
		break;
	case 'L':
		h = kgr__term_hash(KGR_TERM_LITERAL, v, len, NULL, 0, 0);
		break;
	case 'G':
		len2 = kgr__get_str(&la->q, &v2);
		h = kgr__term_hash(KGR_TERM_LITERAL, v, len, v2, len2, 0);
		break;
	case 'D':
		len2 = kgr__get_str(&la->q, &v2);
		h = kgr__term_hash(KGR_TERM_IRI, v2, len2, NULL, 0, 0);
		break;
	default:
		break;
	}
	if (h)
		kgr__term_prefetch(c->store, h);
	la->id[la->tail % AHEAD] = 0;
	la->hash[la->tail++ % AHEAD] = h;
}

static kgr_id decode_term(load_ctx *c, const char **p, lookahead *la, const char *end)
{
	kgr_store *s = c->store;
	char tag = **p;
	const char *v, *v2;
	uint32_t len = kgr__get_str(p, &v), len2, h = la->hash[la->head++ % AHEAD];
	const uint32_t *pre = h ? &h : NULL;
	kgr_id dt;

	/* half way: the slot has come, its term's entry is fetched; a quarter of the way: the
	 * entry has come, the term's bytes are fetched (what the comparison reads) */
	if (la->tail - la->head > AHEAD / 2) {
		size_t k = (la->head + AHEAD / 2) % AHEAD;
		la->id[k] = la->hash[k] ? kgr__term_prefetch_entry(s, la->hash[k]) : 0;
	}
	if (la->tail - la->head > AHEAD / 4) {
		size_t k = (la->head + AHEAD / 4) % AHEAD;
		if (la->id[k])
			kgr__term_prefetch_bytes(s, la->id[k]);
	}
	if (la->q < end)
		peek_term(c, la);
	switch (tag) {
	case 'I':
		return kgr__intern_hashed(s, KGR_TERM_IRI, v, len, NULL, 0, 0, pre);
	case 'B':
		if (c->bnode_prefix_len + len + 1 > c->scratch_cap) {
			char *n = realloc(c->scratch, c->bnode_prefix_len + len + 64);
			if (!n)
				return 0;
			c->scratch = n;
			c->scratch_cap = c->bnode_prefix_len + len + 64;
		}
		memcpy(c->scratch, c->bnode_prefix, c->bnode_prefix_len);
		memcpy(c->scratch + c->bnode_prefix_len, v, len);
		return kgr__intern_hashed(s, KGR_TERM_BLANK, c->scratch, c->bnode_prefix_len + len, NULL, 0,
			0, pre);
	case 'L':
		return kgr__intern_hashed(s, KGR_TERM_LITERAL, v, len, NULL, 0, 0, pre);
	case 'G':
		len2 = kgr__get_str(p, &v2);
		return kgr__intern_hashed(s, KGR_TERM_LITERAL, v, len, v2, len2, 0, pre);
	case 'D':
		len2 = kgr__get_str(p, &v2);
		dt = kgr__intern_hashed(s, KGR_TERM_IRI, v2, len2, NULL, 0, 0, pre);
		return dt ? kgr__intern(s, KGR_TERM_LITERAL, v, len, NULL, 0, dt) : 0;
	default: /* 'N' */
		return KGR_ANY_GRAPH;
	}
}

static int consume(load_ctx *c, batch *b)
{
	const char *p = b->s, *end = b->s + b->len;
	lookahead la;
	la.q = p;
	la.head = la.tail = 0;
	while (la.q < end && la.tail < AHEAD)
		peek_term(c, &la);
	while (p < end) {
		kgr_id sid = decode_term(c, &p, &la, end), pid = decode_term(c, &p, &la, end);
		kgr_id oid = decode_term(c, &p, &la, end);
		kgr_id gid = decode_term(c, &p, &la, end);
		if (!sid || !pid || !oid || !gid) {
			fail(c, KGR_ENOMEM, "%s: %s", c->name, kgr_error_last()[0] ? kgr_error_last() : "out of memory");
			return -1;
		}
		if (gid == KGR_ANY_GRAPH)
			gid = c->graph;
		if (kgr__add_quad(c->store, sid, pid, oid, gid) < 0) {
			fail(c, KGR_ENOMEM, "%s: out of memory", c->name);
			return -1;
		}
		c->triples++;
	}
	b->len = 0;
	return 0;
}

static void *consumer_main(void *arg)
{
	load_ctx *c = arg;
	kgr__thread_name("kgr-intern");
	for (;;) {
		batch *b;
		pthread_mutex_lock(&c->lock);
		while (!c->queued && !c->finished && !c->error)
			pthread_cond_wait(&c->cv, &c->lock);
		if (c->error || (!c->queued && c->finished)) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		b = c->queued;
		c->queued = NULL;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->lock);
		if (consume(c, b) < 0)
			return NULL;
		pthread_mutex_lock(&c->lock);
		c->free_list[c->n_free++] = b;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->lock);
	}
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
		{ ".json", "json" }, { ".rj", "json" }, { ".jsonld", "jsonld" }, { ".json-ld", "jsonld" },
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
	if (!strcmp(f, "json-ld") || !strcmp(f, "application/ld+json"))
		return "jsonld";
	return f;
}

typedef kgr__read_fn read_fn;

/* ---- native N-Triples / N-Quads ----
 * Line-based formats need no general parser: this one follows the W3C grammar (IRIREF,
 * BLANK_NODE_LABEL, STRING_LITERAL_QUOTE with ECHAR/UCHAR, LANGTAG, comments) one line at a
 * time, for the parallel reader of kg/ingest_nt.c, at several times raptor's speed. */

typedef kgr__scratch scratch_buf;

static int scratch_reserve(scratch_buf *sb, size_t n)
{
	if (n > sb->cap) {
		char *b = realloc(sb->buf, n + 256);
		if (!b)
			return -1;
		sb->buf = b;
		sb->cap = n + 256;
	}
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

size_t kgr__utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t kgr__ntriples_uchar(const char *p, const char *end, uint32_t *cp)
{
	int n = p + 1 < end && p[1] == 'u' ? 4 : p + 1 < end && p[1] == 'U' ? 8 : 0, i;
	uint32_t v = 0;
	if (!n || end - p < n + 2)
		return 0;
	for (i = 0; i < n; i++) {
		int h = hexval((unsigned char)p[2 + i]);
		if (h < 0)
			return 0;
		v = v << 4 | (uint32_t)h;
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return (size_t)n + 2;
}

typedef kgr__nt_err nt_err;

/* IRIREF at *pp ('<'), unescaped into sb when it holds escapes; sets v and len. */
static int nt_iri(const char **pp, const char *end, scratch_buf *sb, const char **v, size_t *len, nt_err *e)
{
	const char *p = *pp + 1, *start = p;
	size_t n = 0;
	int escaped = 0;
	while (p < end && *p != '>') {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\\') {
			escaped = 1;
			break;
		}
		if (iri_bad[ch]) {
			e->why = "invalid character in IRI";
			e->at = p;
			return -1;
		}
		p++;
	}
	if (!escaped) {
		if (p >= end) {
			e->why = "IRI not closed with '>'";
			e->at = *pp;
			return -1;
		}
		*v = start;
		*len = (size_t)(p - start);
		*pp = p + 1;
	} else {
		if (scratch_reserve(sb, (size_t)(end - start) * 2) < 0)
			return -2;
		for (p = start; p < end && *p != '>';) {
			unsigned char ch = (unsigned char)*p;
			if (ch == '\\') {
				uint32_t cp;
				size_t k = kgr__ntriples_uchar(p, end, &cp);
				if (!k) {
					e->why = "bad escape in IRI (only \\uXXXX and \\UXXXXXXXX)";
					e->at = p;
					return -1;
				}
				if (cp <= 0x20 || (cp < 0x80 && iri_bad[cp])) {
					e->why = "escaped character not allowed in IRI";
					e->at = p;
					return -1;
				}
				n += kgr__utf8_put(sb->buf + n, cp);
				p += k;
				continue;
			}
			if (iri_bad[ch]) {
				e->why = "invalid character in IRI";
				e->at = p;
				return -1;
			}
			sb->buf[n++] = (char)ch;
			p++;
		}
		if (p >= end) {
			e->why = "IRI not closed with '>'";
			e->at = *pp;
			return -1;
		}
		*v = sb->buf;
		*len = n;
		*pp = p + 1;
	}
	if (!has_scheme((const unsigned char *)*v, *len)) {
		e->why = "IRI is not absolute (no scheme)";
		e->at = start;
		return -1;
	}
	return 0;
}

static int pn_char(unsigned char ch)
{
	return ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.' || ch == ':';
}

static int nt_blank(const char **pp, const char *end, const char **v, size_t *len, nt_err *e)
{
	const char *p = *pp;
	if (end - p < 3 || p[1] != ':' || !pn_char((unsigned char)p[2]) || p[2] == '-' || p[2] == '.') {
		e->why = "bad blank node label (expected _:name)";
		e->at = p;
		return -1;
	}
	p += 2;
	*v = p;
	while (p < end && pn_char((unsigned char)*p))
		p++;
	while (p[-1] == '.') /* a label does not end with '.': that is the statement's end */
		p--;
	*len = (size_t)(p - *v);
	*pp = p;
	return 0;
}

static int nt_string(const char **pp, const char *end, scratch_buf *sb, const char **v, size_t *len, nt_err *e)
{
	const char *p = *pp + 1, *start = p;
	size_t n = 0;
	while (p < end && *p != '"' && *p != '\\')
		p++;
	if (p < end && *p == '"') {
		*v = start;
		*len = (size_t)(p - start);
		*pp = p + 1;
		return 0;
	}
	if (scratch_reserve(sb, (size_t)(end - start) * 2) < 0)
		return -2;
	for (p = start; p < end && *p != '"';) {
		if (*p == '\\') {
			static const char from[] = "tbnrf\"'\\", to[] = "\t\b\n\r\f\"'\\";
			const char *f = p + 1 < end ? strchr(from, p[1]) : NULL;
			uint32_t cp;
			size_t k;
			if (f && p[1]) {
				sb->buf[n++] = to[f - from];
				p += 2;
				continue;
			}
			k = kgr__ntriples_uchar(p, end, &cp);
			if (!k) {
				e->why = "bad escape in string";
				e->at = p;
				return -1;
			}
			n += kgr__utf8_put(sb->buf + n, cp);
			p += k;
			continue;
		}
		sb->buf[n++] = *p++;
	}
	if (p >= end) {
		e->why = "string not closed with '\"'";
		e->at = *pp;
		return -1;
	}
	*v = sb->buf;
	*len = n;
	*pp = p + 1;
	return 0;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* One line's terms (kg/ingest_internal.h): each term's bytes are the line's own where they
 * need no unescaping, else those of the scratch buffer of its position. */
int kgr__nt_line(kgr__nt_term t[4], const char *p, const char *end, int quads, kgr__scratch sb[5],
	kgr__nt_err *e)
{
	const char *v, *v2;
	size_t len, len2;
	int r, pos;

	p = skip_ws(p, end);
	if (p == end || *p == '#')
		return 1;
	for (pos = 0; pos < 4; pos++) {
		kgr__nt_term *tt = &t[pos];
		p = skip_ws(p, end);
		tt->v2 = NULL;
		tt->len2 = 0;
		if (pos == 3) {
			if (p < end && *p == '.') {
				tt->tag = 'N';
				tt->v = "";
				tt->len = 0;
				break;
			}
			if (!quads)
				goto bad_end;
		}
		if (p >= end)
			goto bad_end;
		if (*p == '<') {
			if ((r = nt_iri(&p, end, &sb[pos], &v, &len, e)) < 0)
				return r;
			tt->tag = 'I';
		} else if (*p == '_' && pos != 1) {
			if ((r = nt_blank(&p, end, &v, &len, e)) < 0)
				return r;
			tt->tag = 'B';
		} else if (*p == '"' && pos == 2) {
			if ((r = nt_string(&p, end, &sb[pos], &v, &len, e)) < 0)
				return r;
			tt->tag = 'L';
			if (p < end && *p == '@') {
				const char *g = ++p;
				while (p < end && (((*p | 32) >= 'a' && (*p | 32) <= 'z') || *p == '-' ||
							 (p > g && *p >= '0' && *p <= '9')))
					p++;
				if (p == g || p[-1] == '-') {
					e->why = "bad language tag";
					e->at = g;
					return -1;
				}
				if ((e->why = kgr__langtag_problem(g, (size_t)(p - g)))) {
					e->at = g;
					return -1;
				}
				/* tags compare case-insensitively; stored lower-case, as raptor does */
				if (scratch_reserve(&sb[4], (size_t)(p - g)) < 0)
					return -2;
				for (len2 = 0; len2 < (size_t)(p - g); len2++)
					sb[4].buf[len2] = (char)tolower((unsigned char)g[len2]);
				tt->tag = 'G';
				tt->v2 = sb[4].buf;
				tt->len2 = (uint32_t)len2;
			} else if (end - p >= 2 && p[0] == '^' && p[1] == '^') {
				p += 2;
				if (p >= end || *p != '<') {
					e->why = "expected a datatype IRI after ^^";
					e->at = p;
					return -1;
				}
				if ((r = nt_iri(&p, end, &sb[4], &v2, &len2, e)) < 0)
					return r;
				/* xsd:string is the same term as a plain literal (RDF 1.1) */
				if (!(len2 == 39 && !memcmp(v2, "http://www.w3.org/2001/XMLSchema#string", 39))) {
					tt->tag = 'D';
					tt->v2 = v2;
					tt->len2 = (uint32_t)len2;
				}
			}
		} else {
			e->why = pos == 0 ? "expected a subject (<IRI> or _:label)"
				 : pos == 1 ? "expected a predicate <IRI>"
				 : pos == 2 ? "expected an object (<IRI>, _:label or \"literal\")"
					    : "expected '.' or a graph label";
			e->at = p;
			return -1;
		}
		tt->v = v;
		tt->len = (uint32_t)len;
	}
	p = skip_ws(p, end);
	if (p >= end || *p != '.')
		goto bad_end;
	p = skip_ws(p + 1, end);
	if (p < end && *p != '#') {
		e->why = "text after the final '.'";
		e->at = p;
		return -1;
	}
	return 0;
bad_end:
	e->why = "expected '.' at the end of the statement";
	e->at = p;
	return -1;
}

static int parse_stream(kgr_store *s, read_fn rd, void *src, uint64_t total, const char *format,
	const char *base, const char *name, kgr_id graph);

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

/* JSON-LD is one JSON value, not a stream: the whole document is read, turned into N-Quads
 * (kg/jsonld.c) and those loaded by the N-Quads reader under the document's name. */
static int jsonld_stream(kgr_store *s, read_fn rd, void *src, uint64_t total, const char *base,
	const char *name, kgr_id graph)
{
	kgr__buf text = { 0 }, nq = { 0 };
	char *chunk = malloc(CHUNK);
	size_t got = 0;
	uint64_t pos = 0;
	int error = 0;
	if (!chunk)
		return kgr__error_set(KGR_ENOMEM, "%s: out of memory", name);
	for (;;) {
		if ((error = rd(src, chunk, CHUNK, &got, &pos)) < 0)
			goto cleanup;
		if (!got)
			break;
		if ((error = kgr__buf_append(&text, chunk, got)) < 0)
			goto cleanup;
		if (s->progress)
			s->progress(pos, total, s->progress_payload);
	}
	if ((error = kgr__jsonld_to_nquads(&nq, text.s ? text.s : "", text.len, base, name)) < 0)
		goto cleanup;
	{
		mem_src m = { nq.s ? nq.s : "", nq.len, 0 };
		kgr_progress_cb cb = s->progress;
		s->progress = NULL;
		error = parse_stream(s, mem_read, &m, nq.len, "nquads", base, name, graph);
		s->progress = cb;
	}
cleanup:
	free(chunk);
	kgr__buf_free(&text);
	kgr__buf_free(&nq);
	return error;
}

/* One load's state before anything runs: the store and names, a blank-node prefix of its own
 * (so labels of different loads never meet), the lock, and the batches, all free but one. */
static void load_ctx_init(load_ctx *c, kgr_store *s, const char *name, kgr_id graph)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->store = s;
	c->name = name;
	c->graph = graph;
	c->bnode_prefix_len = (size_t)snprintf(c->bnode_prefix, sizeof(c->bnode_prefix), "b%u_",
		++s->load_serial);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->filling = &c->batches[0];
	for (i = 1; i < N_BATCHES; i++)
		c->free_list[c->n_free++] = &c->batches[i];
}

static int start_consumer(load_ctx *c)
{
	if (pthread_create(&c->thread, NULL, consumer_main, c) != 0)
		return kgr__error_set(KGR_ENOMEM, "cannot start a thread");
	c->thread_started = 1;
	return 0;
}

/* The producer is done, whether it finished or failed: the consumer interns what is queued
 * (unless a failure stopped it) and ends, so the store is complete or can be rolled back. */
static void stop_consumer(load_ctx *c)
{
	if (!c->thread_started)
		return;
	pthread_mutex_lock(&c->lock);
	c->finished = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
}

/* Everything a load holds, once the consumer has stopped: raptor's parser, base IRI and
 * world, the batches, the lock. */
static void load_ctx_release(load_ctx *c)
{
	size_t i;

	if (c->parser)
		raptor_free_parser(c->parser);
	if (c->base_uri)
		raptor_free_uri(c->base_uri);
	if (c->world)
		raptor_free_world(c->world);
	for (i = 0; i < N_BATCHES; i++)
		kgr__buf_free(&c->batches[i]);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cv);
	free(c->scratch);
}

/* A raptor parser for the syntax, started at the base IRI, whose statements, prefixes and
 * errors go to c. */
static int raptor_open(load_ctx *c, const char *format, const char *base)
{
	c->world = raptor_new_world();
	if (!c->world || raptor_world_open(c->world))
		return kgr__error_set(KGR_ENOMEM, "cannot start raptor");
	raptor_world_set_log_handler(c->world, c, log_handler);
	if (!raptor_world_is_parser_name(c->world, format))
		return kgr__error_set(KGR_EINVALID,
			"%s: unknown RDF syntax '%s' (ntriples, turtle, rdfxml, nquads, trig, json, jsonld)",
			c->name, format);
	c->parser = raptor_new_parser(c->world, format);
	if (!c->parser)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	raptor_parser_set_statement_handler(c->parser, c, statement_handler);
	raptor_parser_set_namespace_handler(c->parser, c, namespace_handler);
	c->base_uri = raptor_new_uri(c->world, (const unsigned char *)base);
	if (!c->base_uri || raptor_parser_parse_start(c->parser, c->base_uri))
		return kgr__error_set(KGR_EINVALID, "%s: bad base IRI <%s>", c->name, base);
	return 0;
}

/* The producer loop for raptor's syntaxes: chunks from the reader into the parser until the
 * end or the first failure, then the last batch to the consumer. */
static int raptor_feed(load_ctx *c, read_fn rd, void *src, uint64_t total, int turtle)
{
	kgr_store *s = c->store;
	kgr__ttl_scan scan;
	char *buf = malloc(CHUNK);
	size_t got = 0;
	uint64_t pos = 0;
	int eof = 0;

	if (!buf)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	if (turtle)
		kgr__ttl_scan_init(&scan);
	while (!eof && !failed(c)) {
		int r = rd(src, buf, CHUNK, &got, &pos);
		if (r < 0) {
			fail(c, r, "%s", kgr_error_last());
			break;
		}
		eof = got == 0;
		/* raptor's Turtle lexer overflows on long language tags: they never reach it */
		if (turtle && kgr__ttl_scan_feed(&scan, buf, got, eof) < 0) {
			fail(c, KGR_EPARSE, "%s:%s", c->name, scan.message);
			break;
		}
		if (raptor_parser_parse_chunk(c->parser, (const unsigned char *)buf, got, eof) && !failed(c))
			fail(c, KGR_EPARSE, "%s: syntax error", c->name);
		if (s->progress)
			s->progress(pos, total, s->progress_payload);
	}
	if (!failed(c) && c->filling && c->filling->len)
		hand_over(c);
	free(buf);
	return 0;
}

static int parse_stream(kgr_store *s, read_fn rd, void *src, uint64_t total, const char *format,
	const char *base, const char *name, kgr_id graph)
{
	load_ctx c;
	size_t n_terms = s->n_terms, n_quads = s->n_quads, blob_len = s->blob_len;
	int error = 0, turtle;

	if (s->finalized)
		return kgr__error_set(KGR_EINVALID, "%s: the store is finalized; load before finalizing", name);
	if (!format)
		return kgr__error_set(KGR_EINVALID,
			"%s: cannot tell the RDF syntax from the file name; give --format "
			"(ntriples, turtle, rdfxml, nquads, trig, json, jsonld)", name);
	format = canonical_format(format);
	if (!strcmp(format, "jsonld"))
		return jsonld_stream(s, rd, src, total, base, name, graph);
	pthread_once(&iri_once, iri_table);
	kgr__store_reserve(s, total);
	load_ctx_init(&c, s, name, graph);

	if (!strcmp(format, "ntriples") || !strcmp(format, "nquads")) {
		error = kgr__nt_load(s, rd, src, total, format[1] == 'q', name, graph, c.bnode_prefix,
			s->load_threads);
		goto cleanup;
	}
	turtle = !strcmp(format, "turtle") || !strcmp(format, "trig");
	if (!strcmp(format, "raptor-ntriples") || !strcmp(format, "raptor-nquads"))
		format += 7; /* raptor's own parser, for comparison */
	if ((error = raptor_open(&c, format, base)) < 0 || (error = start_consumer(&c)) < 0)
		goto cleanup;
	error = raptor_feed(&c, rd, src, total, turtle);
cleanup:
	stop_consumer(&c);
	if (!error && c.error)
		error = kgr__error_set(c.error, "%s", c.msg);
	if (error)
		kgr__rollback(s, n_terms, n_quads, blob_len);
	load_ctx_release(&c);
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
