/* JSON-LD in: the cJSON adapter. A JSON-LD 1.1 document (expanded or compacted) becomes
 * N-Quads text, which the store's own N-Quads reader then loads, so every term is interned and
 * checked as any RDF input is.
 *
 * The conversion follows the JSON-LD 1.1 Processing Algorithms (W3C Recommendation, 2020):
 * context processing and IRI expansion (section 4.1, 4.2, 5.2), expansion of node and value
 * objects (5.1) and deserialisation to RDF (8.1, 8.2, 8.4: native numbers and booleans, lists
 * as rdf:first / rdf:rest), done in one walk without building the expanded document. Remote
 * contexts are not fetched: the schema.org context, by its names, is answered from a copy
 * bundled with kgrec (ontologies/schemaorg-context.jsonld); any other URL is refused.
 * docs/FEEDS.md lists what is read and what is refused.
 *
 * Complexity: linear in the document, times the number of terms of the active context for
 * each key (contexts are small). */
#include "kg/rdf_guard.h"
#include "kg/store_internal.h"
#include "kg/text_check.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char kgr__schemaorg_context[];
extern const size_t kgr__schemaorg_context_len;

#define RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define XSD "http://www.w3.org/2001/XMLSchema#"

/* A term definition (JSON-LD 1.1, 4.2.2). Strings live in the document's arena. */
typedef struct {
	const char *term;
	const char *id;   /* an absolute IRI, a blank node, a keyword, or NULL (null mapping) */
	const char *type; /* "@id", "@vocab", a datatype IRI, or NULL */
	const char *lang; /* with has_lang: a language tag, or NULL for "no language" */
	unsigned has_lang : 1, list : 1, reverse : 1, prefix : 1;
} tdef;

typedef struct {
	tdef **defs;
	size_t n;
	const char *vocab, *base, *lang;
} ctx;

typedef struct block {
	struct block *next;
	size_t used, cap;
	char data[];
} block;

typedef struct {
	kgr__buf *out;
	const char *name;
	const char *doc_base;
	char path[1024];
	size_t plen;
	const char *text; /* the document, to find the line of a path */
	size_t text_len;
	struct {
		const char *key; /* or NULL for an index */
		size_t index, plen;
	} comp[128];     /* the path's members, for locate() */
	size_t ncomp;
	unsigned long fresh; /* blank nodes made here */
	block *arena;
	cJSON *schema;       /* the bundled schema.org context, parsed on first use */
	int depth;
} jl;

/* ---- memory: one arena per document, freed at once ---- */

static void *alloc(jl *j, size_t n)
{
	block *b = j->arena;
	n = (n + 7) & ~(size_t)7;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = j->arena;
		j->arena = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static char *cat(jl *j, const char *a, size_t alen, const char *b, size_t blen)
{
	char *s = alloc(j, alen + blen + 1);
	if (!s)
		return NULL;
	memcpy(s, a, alen);
	memcpy(s + alen, b, blen);
	s[alen + blen] = '\0';
	return s;
}

#define NOMEM ((const char *)1) /* a returned string that means "out of memory" */

/* ---- errors: the file, the JSON path, what is wrong ---- */

static int jfail(jl *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the JSON value at @p p (the text already parsed, so well-formed). */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;
	do {
		if (p >= end)
			return end;
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (*p == '{' || *p == '[') {
			depth++, p++;
		} else if (*p == '}' || *p == ']') {
			depth--, p++;
		} else if (depth && (*p == ',' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n' ||
					    *p == '\r')) {
			p++;
		} else {
			const char *from = p;
			while (p < end && *p && !strchr(",:]} \t\r\n\"", *p))
				p++;
			if (p == from)
				p++; /* a byte no JSON value starts with: step over it */
		}
	} while (depth > 0);
	return p;
}

/* Where the member the current path names starts in the text, so that an error can give its
 * line (cJSON keeps no positions): the path is walked again over the text. NULL when it cannot
 * be followed (a key written with escapes, a path too deep, a bundled context). */
static const char *locate(const jl *j)
{
	const char *p = j->text, *end = j->text + j->text_len;
	size_t c;
	if (!p || j->ncomp >= sizeof(j->comp) / sizeof(j->comp[0]))
		return NULL;
	p = skip_ws(p, end);
	for (c = 0; c < j->ncomp; c++) {
		if (j->comp[c].key) {
			size_t klen = strlen(j->comp[c].key);
			if (p >= end || *p != '{')
				return NULL;
			p = skip_ws(p + 1, end);
			for (;;) {
				const char *k, *q;
				if (p >= end || *p != '"')
					return NULL;
				k = p + 1;
				q = skip_value(p, end);
				p = skip_ws(q, end);
				if (p >= end || *p != ':')
					return NULL;
				p = skip_ws(p + 1, end);
				if ((size_t)(q - 1 - k) == klen && !memcmp(k, j->comp[c].key, klen))
					break;
				p = skip_ws(skip_value(p, end), end);
				if (p >= end || *p != ',')
					return NULL;
				p = skip_ws(p + 1, end);
			}
		} else {
			size_t i;
			if (p >= end || *p != '[')
				return NULL;
			p = skip_ws(p + 1, end);
			for (i = 0; i < j->comp[c].index; i++) {
				p = skip_ws(skip_value(p, end), end);
				if (p >= end || *p != ',')
					return NULL;
				p = skip_ws(p + 1, end);
			}
		}
	}
	return p < end ? p : NULL;
}

static void line_col(const char *text, size_t off, size_t *line, size_t *col);

static int jfail(jl *j, const char *fmt, ...)
{
	char msg[512];
	const char *at = locate(j);
	size_t line, col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at) {
		line_col(j->text, (size_t)(at - j->text), &line, &col);
		return kgr__error_set(KGR_EPARSE, "%s:%zu:%zu: %s: %s", j->name, line, col,
			j->plen ? j->path : "$", msg);
	}
	return kgr__error_set(KGR_EPARSE, "%s: %s: %s", j->name, j->plen ? j->path : "$", msg);
}

static int oom(jl *j)
{
	return kgr__error_set(KGR_ENOMEM, "%s: out of memory", j->name);
}

static void push_comp(jl *j, const char *key, size_t index)
{
	if (j->ncomp < sizeof(j->comp) / sizeof(j->comp[0])) {
		j->comp[j->ncomp].key = key;
		j->comp[j->ncomp].index = index;
		j->comp[j->ncomp].plen = j->plen;
	}
	j->ncomp++;
}

static size_t push_key(jl *j, const char *key)
{
	size_t mark = j->plen;
	push_comp(j, key, 0);
	int n = snprintf(j->path + j->plen, sizeof(j->path) - j->plen, "%s%s", j->plen ? "." : "$.", key);
	if (n > 0)
		j->plen = j->plen + (size_t)n < sizeof(j->path) ? j->plen + (size_t)n : sizeof(j->path) - 1;
	return mark;
}

static size_t push_index(jl *j, size_t i)
{
	size_t mark = j->plen;
	push_comp(j, NULL, i);
	int n = snprintf(j->path + j->plen, sizeof(j->path) - j->plen, "%s[%zu]", j->plen ? "" : "$", i);
	if (n > 0)
		j->plen = j->plen + (size_t)n < sizeof(j->path) ? j->plen + (size_t)n : sizeof(j->path) - 1;
	return mark;
}

static void pop(jl *j, size_t mark)
{
	while (j->ncomp > 0 && (j->ncomp > sizeof(j->comp) / sizeof(j->comp[0]) ||
				       j->comp[j->ncomp - 1].plen >= mark))
		j->ncomp--;
	j->plen = mark;
	j->path[mark] = '\0';
}

/* ---- IRIs ---- */

static int scheme_len(const char *v)
{
	size_t i;
	if (!isalpha((unsigned char)v[0]))
		return 0;
	for (i = 1; v[i] && v[i] != ':'; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '+' && v[i] != '-' && v[i] != '.')
			return 0;
	return v[i] == ':' ? (int)i : 0;
}

static int is_absolute(const char *v)
{
	return v && scheme_len(v) > 0;
}

static tdef *find_def(const ctx *c, const char *term, size_t len)
{
	size_t i;
	for (i = c->n; i-- > 0;)
		if (!strncmp(c->defs[i]->term, term, len) && c->defs[i]->term[len] == '\0')
			return c->defs[i];
	return NULL;
}

/* RFC 3986 5.2.4: "." and ".." segments out of the path that starts at @p path. */
static void remove_dots(char *path)
{
	char *in = path, *out = path;
	while (*in && *in != '?' && *in != '#') {
		if (!strncmp(in, "/./", 3) || !strcmp(in, "/.") || (in[0] == '/' && in[1] == '.' && (in[2] == '?' || in[2] == '#'))) {
			in += 2;
			if (*in != '/') {
				*out++ = '/';
				if (*in == '\0')
					break;
			}
			continue;
		}
		if (!strncmp(in, "/../", 4) || !strcmp(in, "/..") ||
			(!strncmp(in, "/..", 3) && (in[3] == '?' || in[3] == '#'))) {
			in += 3;
			while (out > path && *--out != '/')
				;
			if (*in != '/') {
				*out++ = '/';
				if (*in == '\0')
					break;
			}
			continue;
		}
		do
			*out++ = *in++;
		while (*in && *in != '/' && *in != '?' && *in != '#');
	}
	memmove(out, in, strlen(in) + 1);
}

/* @p v resolved against the absolute IRI @p base (RFC 3986 5.2.2), or v itself without a base. */
static const char *resolve(jl *j, const char *base, const char *v)
{
	size_t sl, auth_end, blen, vlen = strlen(v);
	const char *q;
	char *r;
	if (!base || is_absolute(v))
		return v;
	sl = (size_t)scheme_len(base);
	blen = strcspn(base, "#");
	auth_end = sl + 1;
	if (base[sl + 1] == '/' && base[sl + 2] == '/')
		auth_end = sl + 3 + strcspn(base + sl + 3, "/?#");
	if (v[0] == '/' && v[1] == '/')
		r = cat(j, base, sl + 1, v, vlen);
	else if (v[0] == '\0' || v[0] == '#')
		r = cat(j, base, blen, v, vlen);
	else if (v[0] == '?')
		r = cat(j, base, strcspn(base, "?#"), v, vlen);
	else if (v[0] == '/')
		r = cat(j, base, auth_end, v, vlen);
	else {
		size_t plen = strcspn(base, "?#");
		for (q = base + plen; q > base + auth_end && q[-1] != '/'; q--)
			;
		if (q == base + auth_end)
			r = cat(j, base, auth_end, "/", 1), r = r ? cat(j, r, strlen(r), v, vlen) : NULL;
		else
			r = cat(j, base, (size_t)(q - base), v, vlen);
	}
	if (!r)
		return NOMEM;
	if (v[0] != '/' || v[1] != '/')
		remove_dots(r + auth_end);
	return r;
}

/* IRI expansion (JSON-LD 1.1, 5.2.2): a keyword stays itself; with @p vocab a term maps to
 * its IRI (NULL for a null mapping); prefix:suffix through a prefix term; otherwise @vocab,
 * or the base IRI with @p docrel. NOMEM on allocation failure. */
static const char *expand_iri(jl *j, const ctx *c, const char *v, int vocab, int docrel)
{
	const char *colon;
	tdef *d;
	if (v[0] == '@')
		return v;
	if (vocab && (d = find_def(c, v, strlen(v))) != NULL)
		return d->id;
	if ((colon = strchr(v, ':')) != NULL) {
		size_t plen = (size_t)(colon - v);
		if (plen == 1 && v[0] == '_')
			return v;
		if (colon[1] == '/' && colon[2] == '/')
			return v;
		if ((d = find_def(c, v, plen)) != NULL && d->id && d->prefix) {
			const char *r = cat(j, d->id, strlen(d->id), colon + 1, strlen(colon + 1));
			return r ? r : NOMEM;
		}
		if (is_absolute(v))
			return v;
	}
	if (vocab && c->vocab) {
		const char *r = cat(j, c->vocab, strlen(c->vocab), v, strlen(v));
		return r ? r : NOMEM;
	}
	if (docrel)
		return resolve(j, c->base, v);
	return v;
}

/* ---- output: N-Quads terms ---- */

static const char *iri_term(jl *j, const char *iri)
{
	const char *why;
	char *t;
	if (iri[0] == '_' && iri[1] == ':') {
		/* a document's blank node label, made a valid N-Quads label: "d", then the label's
		 * letters and digits, every other byte as _XX */
		size_t n = strlen(iri + 2), i, o = 0;
		t = alloc(j, 3 * n + 5);
		if (!t)
			return NOMEM;
		memcpy(t, "_:d", 3);
		o = 3;
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)iri[2 + i];
			if (isalnum(ch))
				t[o++] = (char)ch;
			else
				o += (size_t)sprintf(t + o, "_%02X", ch);
		}
		t[o] = '\0';
		return t;
	}
	if ((why = kgr__iri_problem(iri, strlen(iri))) != NULL) {
		jfail(j, "'%.200s' is not an absolute IRI: %s", iri, why);
		return NULL;
	}
	t = alloc(j, strlen(iri) + 3);
	if (!t)
		return NOMEM;
	sprintf(t, "<%s>", iri);
	return t;
}

static const char *fresh_blank(jl *j)
{
	char *t = alloc(j, 32);
	if (!t)
		return NOMEM;
	snprintf(t, 32, "_:g%lu", ++j->fresh);
	return t;
}

/* A literal in N-Quads form; a datatype of xsd:string is left out, as RDF 1.1 does. */
static const char *literal(jl *j, const char *text, const char *lang, const char *datatype)
{
	kgr__buf b = { 0 };
	const char *p, *why;
	char *t;
	kgr__buf_puts(&b, "\"");
	for (p = text; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '"' || ch == '\\')
			kgr__buf_printf(&b, "\\%c", ch);
		else if (ch == '\n')
			kgr__buf_puts(&b, "\\n");
		else if (ch == '\r')
			kgr__buf_puts(&b, "\\r");
		else if (ch < 0x20 || ch == 0x7f)
			kgr__buf_printf(&b, "\\u%04X", ch);
		else
			kgr__buf_put(&b, p, 1);
	}
	kgr__buf_puts(&b, "\"");
	if (lang) {
		if ((why = kgr__langtag_problem(lang, strlen(lang))) != NULL) {
			kgr__buf_free(&b);
			jfail(j, "language tag '%.80s': %s", lang, why);
			return NULL;
		}
		kgr__buf_printf(&b, "@%s", lang);
	} else if (datatype && strcmp(datatype, XSD "string")) {
		if ((why = kgr__iri_problem(datatype, strlen(datatype))) != NULL) {
			kgr__buf_free(&b);
			jfail(j, "datatype '%.200s' is not an absolute IRI: %s", datatype, why);
			return NULL;
		}
		kgr__buf_printf(&b, "^^<%s>", datatype);
	}
	if (b.oom)
		return NOMEM;
	t = alloc(j, b.len + 1);
	if (t)
		memcpy(t, b.s, b.len + 1);
	kgr__buf_free(&b);
	return t ? t : NOMEM;
}

static void emit(jl *j, const char *s, const char *p, const char *o, const char *g)
{
	kgr__buf_puts(j->out, s);
	kgr__buf_puts(j->out, " ");
	kgr__buf_puts(j->out, p);
	kgr__buf_puts(j->out, " ");
	kgr__buf_puts(j->out, o);
	if (g) {
		kgr__buf_puts(j->out, " ");
		kgr__buf_puts(j->out, g);
	}
	kgr__buf_puts(j->out, " .\n");
}

/* ---- contexts ---- */

static ctx *ctx_copy(jl *j, const ctx *c)
{
	ctx *n = alloc(j, sizeof(*n));
	if (!n)
		return NULL;
	*n = *c;
	n->defs = alloc(j, (c->n + 1) * sizeof(*n->defs));
	if (!n->defs)
		return NULL;
	if (c->n)
		memcpy(n->defs, c->defs, c->n * sizeof(*n->defs));
	return n;
}

/* Add or replace a term definition (the context is a private copy being built). */
static int ctx_set(jl *j, ctx *c, tdef *d)
{
	size_t i;
	tdef **n;
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->defs[i]->term, d->term)) {
			c->defs[i] = d;
			return 0;
		}
	n = alloc(j, (c->n + 1) * sizeof(*n));
	if (!n)
		return oom(j);
	memcpy(n, c->defs, c->n * sizeof(*n));
	n[c->n++] = d;
	c->defs = n;
	return 0;
}

typedef struct {
	cJSON *local;
	unsigned char *state; /* per member of local: 0 not yet, 1 being defined, 2 defined */
} defining;

static int create_term(jl *j, ctx *c, defining *df, cJSON *item, size_t idx);

/* Before a value of the context being processed is expanded, the terms it uses (itself, or its
 * prefix) are defined, whatever their order in the context. */
static int define_used(jl *j, ctx *c, defining *df, const char *v)
{
	const char *colon = strchr(v, ':');
	size_t len = colon ? (size_t)(colon - v) : strlen(v), i = 0;
	cJSON *m;
	for (m = df->local->child; m; m = m->next, i++)
		if (!strncmp(m->string, v, len) && m->string[len] == '\0' && df->state[i] != 2)
			return create_term(j, c, df, m, i);
	return 0;
}

static int container_of(jl *j, cJSON *v, tdef *d)
{
	cJSON *e;
	if (cJSON_IsString(v)) {
		if (!strcmp(v->valuestring, "@list"))
			d->list = 1;
		else if (strcmp(v->valuestring, "@set"))
			return jfail(j, "\"@container\": \"%.40s\" is not supported (only @list and @set)",
				v->valuestring);
		return 0;
	}
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
			if (!cJSON_IsString(e) || container_of(j, e, d) < 0)
				return cJSON_IsString(e) ? KGR_EPARSE : jfail(j, "@container holds strings");
		return 0;
	}
	return jfail(j, "@container must be a string or an array of strings");
}

/* A term defined by a string: "name": "name" is the term under @vocab; any other string is
 * expanded, and an IRI ending in a gen-delim (or a blank node) makes the term a prefix. */
static int term_from_string(jl *j, ctx *c, defining *df, tdef *d, cJSON *item)
{
	const char *term = d->term, *v;
	int error;

	if (!strcmp(item->valuestring, term) && !strchr(term, ':')) {
		if (!c->vocab)
			return jfail(j, "the term maps to itself and the context has no @vocab");
		if (!(d->id = cat(j, c->vocab, strlen(c->vocab), term, strlen(term))))
			return oom(j);
		return 0;
	}
	if ((error = define_used(j, c, df, item->valuestring)) < 0)
		return error;
	v = expand_iri(j, c, item->valuestring, 1, 0);
	if (v == NOMEM)
		return oom(j);
	d->id = v;
	if (v && !strchr(term, ':') && *v && strchr(":/?#[]@", v[strlen(v) - 1]))
		d->prefix = 1;
	if (v && v[0] == '_' && v[1] == ':')
		d->prefix = 1;
	return 0;
}

/* The IRI of a term defined by an object: its @reverse or @id, else the term itself as a
 * compact IRI or under @vocab; and its @prefix flag. {"@id": null} leaves the term unmapped. */
static int term_object_iri(jl *j, ctx *c, defining *df, tdef *d, cJSON *item)
{
	cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "@id");
	cJSON *rev = cJSON_GetObjectItemCaseSensitive(item, "@reverse");
	cJSON *m;
	const char *term = d->term, *src = NULL, *v;
	int error;

	if (rev) {
		if (!cJSON_IsString(rev))
			return jfail(j, "@reverse must be a string");
		src = rev->valuestring;
		d->reverse = 1;
	} else if (id && cJSON_IsNull(id)) {
		d->id = NULL;
		return 0;
	} else if (id) {
		if (!cJSON_IsString(id))
			return jfail(j, "@id must be a string or null");
		src = id->valuestring;
	}
	if (src && !strcmp(src, term) && !d->reverse)
		src = NULL; /* {"@id": term} is the term without @id */
	if (src) {
		if ((error = define_used(j, c, df, src)) < 0)
			return error;
		v = expand_iri(j, c, src, 1, 0);
	} else if (strchr(term, ':')) {
		if ((error = define_used(j, c, df, term)) < 0)
			return error;
		v = expand_iri(j, c, term, 1, 0);
	} else if (c->vocab) {
		v = cat(j, c->vocab, strlen(c->vocab), term, strlen(term));
	} else {
		return jfail(j, "the term has no @id and the context no @vocab");
	}
	if (v == NOMEM || !v)
		return oom(j);
	d->id = v;
	m = cJSON_GetObjectItemCaseSensitive(item, "@prefix");
	if (m)
		d->prefix = cJSON_IsTrue(m);
	return 0;
}

/* A term's "@type": @id and @vocab make its string values IRIs; anything else must expand to
 * an absolute datatype IRI (other keywords are refused). */
static int term_type(jl *j, ctx *c, defining *df, tdef *d, cJSON *m)
{
	const char *v;
	int error;

	if (!cJSON_IsString(m))
		return jfail(j, "@type in a term definition must be a string");
	if (!strcmp(m->valuestring, "@id") || !strcmp(m->valuestring, "@vocab")) {
		d->type = m->valuestring;
		return 0;
	}
	if (m->valuestring[0] == '@')
		return jfail(j, "\"@type\": \"%.40s\" is not supported (only @id, @vocab and "
			"datatype IRIs)", m->valuestring);
	if ((error = define_used(j, c, df, m->valuestring)) < 0)
		return error;
	v = expand_iri(j, c, m->valuestring, 1, 0);
	if (v == NOMEM)
		return oom(j);
	if (!is_absolute(v))
		return jfail(j, "the datatype '%.80s' does not expand to an absolute IRI", m->valuestring);
	d->type = v;
	return 0;
}

/* A term defined by an object: its IRI, then the members that qualify its values (@type,
 * @language, @container). Scoped contexts and @nest are refused; other members ignored. */
static int term_from_object(jl *j, ctx *c, defining *df, tdef *d, cJSON *item)
{
	cJSON *m;
	int error = 0;

	for (m = item->child; m; m = m->next)
		if (!strcmp(m->string, "@context"))
			return jfail(j, "scoped contexts (@context inside a term definition) are not supported");
	if ((error = term_object_iri(j, c, df, d, item)) < 0)
		return error;
	for (m = item->child; m && !error; m = m->next) {
		if (!strcmp(m->string, "@type")) {
			error = term_type(j, c, df, d, m);
		} else if (!strcmp(m->string, "@language")) {
			if (!cJSON_IsString(m) && !cJSON_IsNull(m))
				return jfail(j, "@language must be a string or null");
			d->has_lang = 1;
			d->lang = cJSON_IsString(m) ? m->valuestring : NULL;
		} else if (!strcmp(m->string, "@container")) {
			size_t mk = push_key(j, "@container");
			error = container_of(j, m, d);
			pop(j, mk);
		} else if (!strcmp(m->string, "@nest")) {
			error = jfail(j, "@nest is not supported");
		}
	}
	return error;
}

/* Create term definition (JSON-LD 1.1, 4.2.2), for the features listed in docs/FEEDS.md. */
static int create_term(jl *j, ctx *c, defining *df, cJSON *item, size_t idx)
{
	const char *term = item->string;
	tdef *d;
	size_t mark;
	int error = 0;

	if (df->state[idx] == 2)
		return 0;
	if (df->state[idx] == 1)
		return jfail(j, "the definition of '%.80s' refers to itself (cyclic IRI mapping)", term);
	df->state[idx] = 1;
	mark = push_key(j, term);
	d = alloc(j, sizeof(*d));
	if (!d) {
		error = oom(j);
		goto done;
	}
	memset(d, 0, sizeof(*d));
	d->term = term;
	if (cJSON_IsNull(item))
		d->id = NULL;
	else if (cJSON_IsString(item))
		error = term_from_string(j, c, df, d, item);
	else if (cJSON_IsObject(item))
		error = term_from_object(j, c, df, d, item);
	else
		error = jfail(j, "a term definition must be a string, an object or null");
	if (error < 0)
		goto done;
	if (d->id && !strcmp(d->id, "@context")) {
		error = jfail(j, "@context cannot be aliased");
		goto done;
	}
	if ((error = ctx_set(j, c, d)) < 0)
		goto done;
	df->state[idx] = 2;
done:
	pop(j, mark);
	return error;
}

static int context_object(jl *j, ctx *c, cJSON *obj)
{
	defining df;
	cJSON *m;
	size_t n = 0, i;
	int error = 0;
	for (m = obj->child; m; m = m->next)
		n++;
	df.local = obj;
	df.state = alloc(j, n + 1);
	if (!df.state)
		return oom(j);
	memset(df.state, 0, n + 1);
	for (m = obj->child, i = 0; m; m = m->next, i++) {
		size_t mark;
		if (m->string[0] != '@')
			continue;
		df.state[i] = 2;
		mark = push_key(j, m->string);
		if (!strcmp(m->string, "@base")) {
			if (cJSON_IsNull(m))
				c->base = NULL;
			else if (cJSON_IsString(m))
				c->base = resolve(j, c->base, m->valuestring);
			else
				error = jfail(j, "@base must be a string or null");
			if (c->base == NOMEM)
				error = oom(j);
		} else if (!strcmp(m->string, "@vocab")) {
			if (cJSON_IsNull(m)) {
				c->vocab = NULL;
			} else if (cJSON_IsString(m)) {
				const char *v = expand_iri(j, c, m->valuestring, 1, 1);
				if (v == NOMEM)
					error = oom(j);
				else if (!v || (!is_absolute(v) && strncmp(v, "_:", 2)))
					error = jfail(j, "@vocab '%.80s' is not an absolute IRI", m->valuestring);
				else
					c->vocab = v;
			} else {
				error = jfail(j, "@vocab must be a string or null");
			}
		} else if (!strcmp(m->string, "@language")) {
			if (cJSON_IsNull(m))
				c->lang = NULL;
			else if (cJSON_IsString(m))
				c->lang = m->valuestring;
			else
				error = jfail(j, "@language must be a string or null");
		} else if (!strcmp(m->string, "@import")) {
			error = jfail(j, "@import would need network access and is refused");
		}
		pop(j, mark);
		if (error < 0)
			return error;
	}
	for (m = obj->child, i = 0; m; m = m->next, i++)
		if (m->string[0] != '@' && (error = create_term(j, c, &df, m, i)) < 0)
			return error;
	return 0;
}

static int is_schema_org(const char *url)
{
	return !strcmp(url, "https://schema.org") || !strcmp(url, "https://schema.org/") ||
	       !strcmp(url, "http://schema.org") || !strcmp(url, "http://schema.org/");
}

/* Context processing (JSON-LD 1.1, 4.1.2): a new active context from @p c and @p local. */
static int process_context(jl *j, const ctx *c, cJSON *local, ctx **out)
{
	ctx *r = ctx_copy(j, c);
	cJSON *e, *one[1];
	size_t i = 0, n = 1, mark = push_key(j, "@context");
	int error = 0, array = cJSON_IsArray(local);
	if (!r)
		return oom(j);
	if (array)
		n = (size_t)cJSON_GetArraySize(local);
	one[0] = local;
	for (e = array ? local->child : one[0]; i < n && e; e = array ? e->next : NULL, i++) {
		size_t m2 = array ? push_index(j, i) : j->plen;
		if (cJSON_IsNull(e)) {
			memset(r, 0, sizeof(*r));
			r->base = j->doc_base;
		} else if (cJSON_IsString(e)) {
			if (!is_schema_org(e->valuestring)) {
				error = jfail(j, "remote context <%.300s> refused: loading it would need network "
					"access; kgrec bundles only the schema.org context (\"https://schema.org\", "
					"http or https); put the context in the document instead", e->valuestring);
			} else {
				if (!j->schema)
					j->schema = cJSON_ParseWithLength((const char *)kgr__schemaorg_context,
						kgr__schemaorg_context_len);
				if (!j->schema)
					error = oom(j);
				else
					error = context_object(j, r,
						cJSON_GetObjectItemCaseSensitive(j->schema, "@context"));
			}
		} else if (cJSON_IsObject(e)) {
			error = context_object(j, r, e);
		} else {
			error = jfail(j, "a context must be an object, an array, the schema.org URL or null");
		}
		pop(j, m2);
		if (error < 0)
			break;
	}
	pop(j, mark);
	*out = r;
	return error;
}

/* ---- documents ---- */

/* The keyword @p key expands to through the active context (aliases like "id"), or NULL. */
static const char *keyword(jl *j, const ctx *c, const char *key)
{
	const tdef *d;
	(void)j;
	if (key[0] == '@')
		return key;
	d = find_def(c, key, strlen(key));
	return d && d->id && d->id[0] == '@' ? d->id : NULL;
}

static cJSON *member(jl *j, const ctx *c, cJSON *obj, const char *kw)
{
	cJSON *m;
	for (m = obj->child; m; m = m->next) {
		const char *k = keyword(j, c, m->string);
		if (k && !strcmp(k, kw))
			return m;
	}
	return NULL;
}

static int node(jl *j, const ctx *c, cJSON *obj, const char *graph, int top, const char **subj_out);
static int value(jl *j, const ctx *c, cJSON *v, const tdef *d, const char *graph, const char **out);

/* A JSON number as RDF (JSON-LD 1.1, 8.4 step 10-11): a whole number below 10^21 as
 * xsd:integer, anything else as xsd:double in canonical form (1.2999E2). */
static const char *number(jl *j, double x, const char *datatype)
{
	char buf[64];
	if (x == floor(x) && fabs(x) < 1e21 && !(datatype && !strcmp(datatype, XSD "double"))) {
		snprintf(buf, sizeof(buf), "%.0f", x);
		return literal(j, buf, NULL, datatype ? datatype : XSD "integer");
	} else {
		char m[40], *e, *z;
		int ex;
		snprintf(m, sizeof(m), "%.15E", x);
		e = strchr(m, 'E');
		ex = atoi(e + 1);
		*e = '\0';
		for (z = e - 1; *z == '0' && z[-1] != '.'; z--)
			*z = '\0';
		snprintf(buf, sizeof(buf), "%sE%d", m, ex);
		return literal(j, buf, NULL, datatype ? datatype : XSD "double");
	}
}

/* A scalar with the literal rules of its term: coerced to an IRI, typed, or a language string. */
static const char *scalar(jl *j, const ctx *c, cJSON *v, const tdef *d, const char *type, const char *lang,
	int has_lang)
{
	if (!type && d)
		type = d->type;
	if (cJSON_IsString(v)) {
		if (type && (!strcmp(type, "@id") || !strcmp(type, "@vocab"))) {
			const char *iri = expand_iri(j, c, v->valuestring, type[1] == 'v', 1);
			if (iri == NOMEM)
				return NOMEM;
			if (!iri || (!is_absolute(iri) && strncmp(iri, "_:", 2)))
				return "";
			return iri_term(j, iri);
		}
		if (type)
			return literal(j, v->valuestring, NULL, type);
		if (!has_lang && d && d->has_lang)
			has_lang = 1, lang = d->lang;
		if (!has_lang)
			lang = c->lang;
		return literal(j, v->valuestring, lang, NULL);
	}
	if (type && (!strcmp(type, "@id") || !strcmp(type, "@vocab")))
		type = NULL;
	if (cJSON_IsBool(v))
		return literal(j, cJSON_IsTrue(v) ? "true" : "false", NULL, type ? type : XSD "boolean");
	return number(j, v->valuedouble, type);
}

/* A value object: @value with @type or @language. */
static int value_object(jl *j, const ctx *c, cJSON *obj, const char **out)
{
	cJSON *m, *val = NULL, *type = NULL, *lang = NULL;
	const char *t = NULL;
	for (m = obj->child; m; m = m->next) {
		const char *k = keyword(j, c, m->string);
		if (k && !strcmp(k, "@value"))
			val = m;
		else if (k && !strcmp(k, "@type"))
			type = m;
		else if (k && !strcmp(k, "@language"))
			lang = m;
		else if (!k || (strcmp(k, "@index") && strcmp(k, "@context") && strcmp(k, "@direction")))
			return jfail(j, "a value object holds only @value, @type, @language and @index, not "
				"'%.80s'", m->string);
	}
	if (cJSON_IsNull(val)) {
		*out = NULL;
		return 0;
	}
	if (!cJSON_IsString(val) && !cJSON_IsNumber(val) && !cJSON_IsBool(val))
		return jfail(j, "@value must be a string, a number, true or false, not %s",
			cJSON_IsArray(val) ? "an array" : "an object");
	if (type && lang)
		return jfail(j, "a value object has @type or @language, not both");
	if (lang && !cJSON_IsNull(lang) && (!cJSON_IsString(lang) || !cJSON_IsString(val)))
		return jfail(j, "@language must be a string, and only a string @value has one");
	if (type) {
		if (!cJSON_IsString(type))
			return jfail(j, "@type in a value object must be a string (a datatype IRI)");
		if (!strcmp(type->valuestring, "@json"))
			return jfail(j, "JSON literals (\"@type\": \"@json\") are not supported");
		t = expand_iri(j, c, type->valuestring, 1, 1);
		if (t == NOMEM)
			return oom(j);
		if (!is_absolute(t))
			return jfail(j, "the datatype '%.80s' does not expand to an absolute IRI", type->valuestring);
	}
	if (cJSON_IsString(val))
		*out = literal(j, val->valuestring, !t && lang && cJSON_IsString(lang) ? lang->valuestring : NULL, t);
	else if (cJSON_IsBool(val))
		*out = literal(j, cJSON_IsTrue(val) ? "true" : "false", NULL, t ? t : XSD "boolean");
	else
		*out = number(j, val->valuedouble, t);
	if (*out == NOMEM)
		return oom(j);
	return *out ? 0 : KGR_EPARSE;
}

/* The members of a list, then the rdf:first / rdf:rest chain; *out is its head (rdf:nil when
 * empty). */
static int list(jl *j, const ctx *c, cJSON *items, const tdef *d, const char *graph, const char **out)
{
	const char **terms = NULL, *cur, *next;
	size_t n = 0, cap = 0, i = 0;
	cJSON *e, *one = NULL;
	int array = cJSON_IsArray(items), error = 0;
	if (!array)
		one = items;
	for (e = array ? items->child : one; e; e = array ? e->next : NULL, i++) {
		const char *t = NULL;
		size_t mark = array ? push_index(j, i) : j->plen;
		if (cJSON_IsArray(e))
			error = list(j, c, e, d, graph, &t);
		else
			error = value(j, c, e, d, graph, &t);
		pop(j, mark);
		if (error < 0)
			return error;
		if (t && *t) {
			if (n == cap) {
				const char **nt = alloc(j, (cap = cap ? 2 * cap : 8) * sizeof(*nt));
				if (!nt)
					return oom(j);
				if (n)
					memcpy(nt, terms, n * sizeof(*nt));
				terms = nt;
			}
			terms[n++] = t;
		}
	}
	if (!n) {
		*out = "<" RDF "nil>";
		return 0;
	}
	*out = cur = fresh_blank(j);
	for (i = 0; i < n; i++) {
		if (cur == NOMEM)
			return oom(j);
		next = i + 1 < n ? fresh_blank(j) : "<" RDF "nil>";
		emit(j, cur, "<" RDF "first>", terms[i], graph);
		emit(j, cur, "<" RDF "rest>", next, graph);
		cur = next;
	}
	return 0;
}

/* One value of a property as an RDF term (*out NULL or "" when it gives none: null, a relative
 * IRI). Node objects are walked (their triples emitted) and give their subject. */
static int value(jl *j, const ctx *c, cJSON *v, const tdef *d, const char *graph, const char **out)
{
	cJSON *m;
	*out = NULL;
	if (cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v)) {
		*out = scalar(j, c, v, d, NULL, NULL, 0);
		if (*out == NOMEM)
			return oom(j);
		return *out ? 0 : KGR_EPARSE;
	}
	if (cJSON_IsArray(v))
		return jfail(j, "an array inside an array is only allowed in a list");
	if (member(j, c, v, "@value"))
		return value_object(j, c, v, out);
	if ((m = member(j, c, v, "@list")) != NULL) {
		size_t mark = push_key(j, m->string);
		int error = list(j, c, m, d, graph, out);
		pop(j, mark);
		return error;
	}
	if ((m = member(j, c, v, "@set")) != NULL)
		return jfail(j, "@set here would give several values; write them as an array");
	return node(j, c, v, graph, 0, out);
}

/* Every value of one property: an array's members (an array of arrays refused), a list, a set. */
static int property(jl *j, const ctx *c, const char *subj, const char *pred, cJSON *v, const tdef *d,
	const char *graph)
{
	cJSON *e, *set;
	size_t i = 0;
	int error = 0;
	const char *o;
	if (d && d->list && !(cJSON_IsObject(v) && member(j, c, v, "@list"))) {
		if ((error = list(j, c, v, d, graph, &o)) < 0)
			return error;
		if (d->reverse)
			return jfail(j, "a reverse property cannot hold a list");
		emit(j, subj, pred, o, graph);
		return 0;
	}
	if (cJSON_IsObject(v) && (set = member(j, c, v, "@set")) != NULL) {
		size_t mark = push_key(j, set->string);
		error = property(j, c, subj, pred, set, d, graph);
		pop(j, mark);
		return error;
	}
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v) {
			size_t mark = push_index(j, i++);
			if (cJSON_IsArray(e))
				error = jfail(j, "an array inside an array is only allowed in a list");
			else
				error = property(j, c, subj, pred, e, d, graph);
			pop(j, mark);
			if (error < 0)
				return error;
		}
		return 0;
	}
	if ((error = value(j, c, v, d, graph, &o)) < 0)
		return error;
	if (!o || !*o)
		return 0;
	if (d && d->reverse) {
		if (o[0] == '"')
			return jfail(j, "the value of a reverse property must be a node, not a literal");
		emit(j, o, pred, subj, graph);
	} else {
		emit(j, subj, pred, o, graph);
	}
	return 0;
}

static int types(jl *j, const ctx *c, const char *subj, cJSON *t, const char *graph)
{
	cJSON *e;
	size_t i = 0;
	if (cJSON_IsArray(t)) {
		cJSON_ArrayForEach(e, t) {
			size_t mark = push_index(j, i++);
			int error = types(j, c, subj, e, graph);
			pop(j, mark);
			if (error < 0)
				return error;
		}
		return 0;
	}
	if (!cJSON_IsString(t))
		return jfail(j, "@type must be a string or an array of strings");
	{
		const char *iri = expand_iri(j, c, t->valuestring, 1, 1), *o;
		if (iri == NOMEM)
			return oom(j);
		if (!iri || (!is_absolute(iri) && strncmp(iri, "_:", 2)))
			return 0;
		if (!(o = iri_term(j, iri)))
			return KGR_EPARSE;
		if (o == NOMEM)
			return oom(j);
		emit(j, subj, "<" RDF "type>", o, graph);
	}
	return 0;
}

/* What a node object's keys say before its members are read: its @id and @graph members,
 * and whether it has any other key. */
typedef struct {
	cJSON *id, *graph;
	int others;
} node_shape;

/* The shape of a node object. A value's keywords (@value, @list, @set) make it no node: an
 * error, except at the top, where such a free-floating value only gives no triple (1). */
static int node_shape_of(jl *j, const ctx *c, cJSON *obj, int top, node_shape *sh)
{
	cJSON *m;
	size_t mark;
	int error;

	memset(sh, 0, sizeof(*sh));
	for (m = obj->child; m; m = m->next) {
		const char *k = keyword(j, c, m->string);
		if (k && !strcmp(k, "@id"))
			sh->id = m;
		else if (k && !strcmp(k, "@graph"))
			sh->graph = m;
		else if (k && (!strcmp(k, "@value") || !strcmp(k, "@list") || !strcmp(k, "@set"))) {
			if (top)
				return 1;
			mark = push_key(j, m->string);
			error = jfail(j, "%s cannot be used in a node object", k);
			pop(j, mark);
			return error;
		} else if (!k || strcmp(k, "@context"))
			sh->others = 1;
	}
	return 0;
}

/* The subject a node's @id names: an absolute IRI (resolved against the base) or a blank
 * node; *subj is what iri_term gave, also on failure. */
static int node_id(jl *j, const ctx *c, cJSON *idm, const char **subj)
{
	const char *iri;
	size_t mark = push_key(j, idm->string);
	int error = 0;

	if (!cJSON_IsString(idm)) {
		error = jfail(j, "@id must be a string");
	} else if ((iri = expand_iri(j, c, idm->valuestring, 0, 1)) == NOMEM) {
		error = oom(j);
	} else if (!is_absolute(iri) && strncmp(iri, "_:", 2)) {
		error = jfail(j, "'%.200s' is not an absolute IRI and there is no base to resolve it "
			"against", idm->valuestring);
	} else if (!(*subj = iri_term(j, iri)) || *subj == NOMEM) {
		error = *subj ? oom(j) : KGR_EPARSE;
	}
	pop(j, mark);
	return error;
}

/* "@reverse": {...}: each property inside links its values to the node rather than the node
 * to them (a property defined as reverse there turns forward again). */
static int reverse_members(jl *j, const ctx *c, const char *subj, cJSON *m, const char *graph)
{
	cJSON *r;
	int error = 0;

	if (!cJSON_IsObject(m))
		error = jfail(j, "@reverse must be an object");
	for (r = cJSON_IsObject(m) ? m->child : NULL; r && !error; r = r->next) {
		const char *rp = expand_iri(j, c, r->string, 1, 0), *pt;
		tdef rd = { 0 };
		size_t mk = push_key(j, r->string);
		if (rp == NOMEM) {
			error = oom(j);
		} else if (rp && is_absolute(rp)) {
			const tdef *fd = find_def(c, r->string, strlen(r->string));
			if (fd)
				rd = *fd;
			rd.reverse = !rd.reverse;
			if (!(pt = iri_term(j, rp)) || pt == NOMEM)
				error = pt ? oom(j) : KGR_EPARSE;
			else
				error = property(j, c, subj, pt, r, &rd, graph);
		}
		pop(j, mk);
	}
	return error;
}

/* One member of a node object: @type, @reverse, or a property; the other keywords were read
 * by node_shape_of, and a key that expands to no absolute IRI is dropped, as JSON-LD says. */
static int node_member(jl *j, const ctx *c, cJSON *m, const char *subj, const char *graph)
{
	const char *k = keyword(j, c, m->string), *p = NULL;
	const tdef *d;
	size_t mark;
	int error = 0;

	if (k == NULL && (p = expand_iri(j, c, m->string, 1, 0)) == NOMEM)
		return oom(j);
	mark = push_key(j, m->string);
	if (k) {
		if (!strcmp(k, "@type")) {
			error = types(j, c, subj, m, graph);
		} else if (!strcmp(k, "@reverse")) {
			error = reverse_members(j, c, subj, m, graph);
		} else if (!strcmp(k, "@nest") || !strcmp(k, "@included")) {
			error = jfail(j, "%s is not supported", k);
		}
	} else if (p && is_absolute(p)) {
		const char *pt = iri_term(j, p);
		d = find_def(c, m->string, strlen(m->string));
		if (!pt || pt == NOMEM)
			error = pt ? oom(j) : KGR_EPARSE;
		else
			error = property(j, c, subj, pt, m, d, graph);
	} /* a key that expands to no absolute IRI is dropped, as JSON-LD says */
	pop(j, mark);
	return error;
}

/* The node objects of a @graph member, in graph g (other members give no triple). */
static int graph_members(jl *j, const ctx *c, cJSON *graphm, const char *g)
{
	cJSON *e, *one = graphm;
	size_t i = 0, mark;
	int error = 0, array = cJSON_IsArray(graphm);

	mark = push_key(j, graphm->string);
	for (e = array ? graphm->child : one; e && !error; e = array ? e->next : NULL, i++) {
		size_t mk = array ? push_index(j, i) : j->plen;
		const char *ignored;
		if (cJSON_IsObject(e))
			error = node(j, c, e, g, 1, &ignored);
		pop(j, mk);
	}
	pop(j, mark);
	return error;
}

/* A node object: its subject (@id, or a new blank node), @type, its properties, @reverse and
 * @graph. @p top marks a member of the document or of a top-level @graph array. */
static int node(jl *j, const ctx *c, cJSON *obj, const char *graph, int top, const char **subj_out)
{
	cJSON *m;
	node_shape sh;
	const char *subj = NULL;
	int error = 0;
	ctx *local = NULL;

	if (++j->depth > 512) {
		error = jfail(j, "nodes nested more than 512 deep");
		goto done;
	}
	if (!cJSON_IsObject(obj)) {
		error = jfail(j, "expected a node object");
		goto done;
	}
	if ((m = cJSON_GetObjectItemCaseSensitive(obj, "@context")) != NULL) {
		if ((error = process_context(j, c, m, &local)) < 0)
			goto done;
		c = local;
	}
	if ((error = node_shape_of(j, c, obj, top, &sh)) != 0) {
		if (error > 0)
			error = 0; /* a free-floating value gives no triple */
		goto done;
	}
	if (sh.id) {
		if ((error = node_id(j, c, sh.id, &subj)) < 0)
			goto done;
	} else if (sh.others || sh.graph || !top) {
		if ((subj = fresh_blank(j)) == NOMEM) {
			error = oom(j);
			goto done;
		}
	}
	for (m = obj->child; m && !error; m = m->next)
		error = node_member(j, c, m, subj, graph);
	/* a document's wrapper ({"@context": ..., "@graph": [...]}) is the default graph;
	 * otherwise @graph names a graph after the node */
	if (!error && sh.graph)
		error = graph_members(j, c, sh.graph, top && !sh.id && !sh.others ? graph : subj);
done:
	j->depth--;
	*subj_out = subj;
	return error;
}

/* Line and column (from 1) of byte @p off of @p text. */
static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t i, l = 1, start = 0;
	for (i = 0; i < off; i++)
		if (text[i] == '\n')
			l++, start = i + 1;
	*line = l;
	*col = off - start + 1;
}

int kgr__jsonld_to_nquads(kgr__buf *out, const char *text, size_t len, const char *base, const char *name)
{
	jl j;
	ctx root;
	cJSON *doc = NULL, *e;
	const char *end = NULL, *ignored;
	size_t bad, line, col, i = 0;
	int error = 0;
	block *b;

	memset(&j, 0, sizeof(j));
	memset(&root, 0, sizeof(root));
	j.out = out;
	j.name = name;
	j.text = text;
	j.text_len = len;
	j.doc_base = root.base = base;
	if ((bad = kgr__utf8_invalid_at(text, len)) != len) {
		line_col(text, bad, &line, &col);
		return kgr__error_set(KGR_EPARSE, "%s:%zu:%zu: invalid UTF-8", name, line, col);
	}
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!doc) {
		size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		line_col(text, off, &line, &col);
		return kgr__error_set(KGR_EPARSE, "%s:%zu:%zu: malformed JSON%s", name, line, col,
			off >= len ? " (the document ends too early)" : "");
	}
	for (; end && (size_t)(end - text) < len && isspace((unsigned char)*end); end++)
		;
	if (end && (size_t)(end - text) < len) {
		line_col(text, (size_t)(end - text), &line, &col);
		error = kgr__error_set(KGR_EPARSE, "%s:%zu:%zu: text after the JSON document", name, line, col);
		goto cleanup;
	}
	if (cJSON_IsArray(doc)) {
		cJSON_ArrayForEach(e, doc) {
			size_t mark = push_index(&j, i++);
			if (cJSON_IsObject(e))
				error = node(&j, &root, e, NULL, 1, &ignored);
			pop(&j, mark);
			if (error < 0)
				break;
		}
	} else if (cJSON_IsObject(doc)) {
		error = node(&j, &root, doc, NULL, 1, &ignored);
	} else {
		error = kgr__error_set(KGR_EPARSE, "%s: a JSON-LD document is an object or an array", name);
	}
	if (!error && out->oom)
		error = oom(&j);
cleanup:
	cJSON_Delete(doc);
	cJSON_Delete(j.schema);
	while ((b = j.arena) != NULL) {
		j.arena = b->next;
		free(b);
	}
	return error;
}
