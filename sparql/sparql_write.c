/* SPARQL result formats: aligned table, W3C SPARQL 1.1 Query Results JSON, CSV and TSV,
 * and Turtle, N-Triples, RDF/XML (raptor's writer) and JSON-LD for graph results. */
#include "sparql/sparql_result.h"

#include <raptor2.h>
#include <stdlib.h>
#include <string.h>

#define XSD "http://www.w3.org/2001/XMLSchema#"

static const struct {
	kgr_sparql_format format;
	const char *name, *alias, *media_type;
} formats[] = {
	{ KGR_SPARQL_FORMAT_TABLE, "table", "text", "text/plain; charset=utf-8" },
	{ KGR_SPARQL_FORMAT_JSON, "json", "srj", "application/sparql-results+json" },
	{ KGR_SPARQL_FORMAT_CSV, "csv", NULL, "text/csv; charset=utf-8" },
	{ KGR_SPARQL_FORMAT_TSV, "tsv", NULL, "text/tab-separated-values; charset=utf-8" },
	{ KGR_SPARQL_FORMAT_TURTLE, "turtle", "ttl", "text/turtle; charset=utf-8" },
	{ KGR_SPARQL_FORMAT_NTRIPLES, "ntriples", "nt", "application/n-triples" },
	{ KGR_SPARQL_FORMAT_RDFXML, "rdfxml", "rdf", "application/rdf+xml" },
	{ KGR_SPARQL_FORMAT_JSONLD, "jsonld", "json-ld", "application/ld+json" },
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

int kgr_sparql_format_from_name(kgr_sparql_format *out, const char *name)
{
	size_t i;
	for (i = 0; name && i < N_FORMATS; i++) {
		if (!strcmp(name, formats[i].name) || (formats[i].alias && !strcmp(name, formats[i].alias))) {
			*out = formats[i].format;
			return 0;
		}
	}
	return kgr__error_set(KGR_EINVALID,
		"unknown SPARQL result format '%s' (use table, json, csv, tsv, turtle, ntriples, "
		"rdfxml or jsonld)",
		name ? name : "(null)");
}

const char *kgr_sparql_format_name(kgr_sparql_format format)
{
	size_t i;
	for (i = 0; i < N_FORMATS; i++)
		if (formats[i].format == format)
			return formats[i].name;
	return "unknown";
}

const char *kgr_sparql_format_media_type(kgr_sparql_format format)
{
	size_t i;
	for (i = 0; i < N_FORMATS; i++)
		if (formats[i].format == format)
			return formats[i].media_type;
	return "application/octet-stream";
}

/* ---- cells are rendered into a growable string ---- */

typedef kgr__buf buf;

static void buf_putc(buf *b, char c)
{
	kgr__buf_put(b, &c, 1);
}

/* N-Triples string escapes (also valid in Turtle and SPARQL TSV). */
static void put_escaped(buf *b, const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\\':
			kgr__buf_puts(b, "\\\\");
			break;
		case '"':
			kgr__buf_puts(b, "\\\"");
			break;
		case '\n':
			kgr__buf_puts(b, "\\n");
			break;
		case '\r':
			kgr__buf_puts(b, "\\r");
			break;
		case '\t':
			kgr__buf_puts(b, "\\t");
			break;
		default:
			if (c < 0x20) {
				char esc[8];
				snprintf(esc, sizeof(esc), "\\u%04X", c);
				kgr__buf_puts(b, esc);
			} else {
				buf_putc(b, (char)c);
			}
		}
	}
}

static void put_iri(buf *b, const char *s, size_t n)
{
	size_t i;
	buf_putc(b, '<');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || strchr("<>\"{}|^`\\", c)) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			kgr__buf_puts(b, esc);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '>');
}

/* A numeric literal whose lexical form Turtle and TSV can show bare. */
static int bare_number(const kgr_sparql_term *t)
{
	const char *p = t->value;
	int digits = 0, dot = 0, exp = 0;
	if (!t->datatype || t->lang)
		return 0;
	if (strcmp(t->datatype, XSD "integer") && strcmp(t->datatype, XSD "decimal") &&
		strcmp(t->datatype, XSD "double"))
		return 0;
	if (*p == '+' || *p == '-')
		p++;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			digits++;
		} else if (*p == '.' && !dot && !exp) {
			dot = 1;
		} else if ((*p == 'e' || *p == 'E') && digits && !exp) {
			exp = 1;
			if (p[1] == '+' || p[1] == '-')
				p++;
			if (!p[1])
				return 0;
		} else {
			return 0;
		}
	}
	if (!digits || (size_t)(p - t->value) != t->len)
		return 0;
	if (!strcmp(t->datatype, XSD "integer"))
		return !dot && !exp;
	if (!strcmp(t->datatype, XSD "decimal"))
		return dot && !exp && t->value[t->len - 1] != '.';
	return exp;
}

/* A term in N-Triples syntax; TSV, Turtle and the table show some numbers bare. */
static void put_term(buf *b, const kgr_sparql_term *t, int numbers_bare)
{
	switch (t->kind) {
	case KGR_TERM_IRI:
		put_iri(b, t->value, t->len);
		break;
	case KGR_TERM_BLANK:
		kgr__buf_puts(b, "_:");
		kgr__buf_put(b, t->value, t->len);
		break;
	case KGR_TERM_LITERAL:
		if (numbers_bare && bare_number(t)) {
			kgr__buf_put(b, t->value, t->len);
			break;
		}
		buf_putc(b, '"');
		put_escaped(b, t->value, t->len);
		buf_putc(b, '"');
		if (t->lang) {
			buf_putc(b, '@');
			kgr__buf_puts(b, t->lang);
		} else if (t->datatype) {
			kgr__buf_puts(b, "^^");
			put_iri(b, t->datatype, strlen(t->datatype));
		}
		break;
	default:
		break;
	}
}

static int flush(FILE *f, buf *b)
{
	if (b->oom)
		return kgr__error_set(KGR_ENOMEM, "out of memory while writing SPARQL results");
	if (b->len && fwrite(b->s, 1, b->len, f) != b->len)
		return kgr__error_set(KGR_EIO, "cannot write SPARQL results");
	b->len = 0;
	return 0;
}

static const kgr_sparql_term *cell(const kgr_sparql_result *r, size_t row, size_t col)
{
	return &r->cells[row * r->ncols + col];
}

/* ---- JSON ---- */

static void put_json_string(buf *b, const char *s, size_t n)
{
	size_t i;
	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n') {
			kgr__buf_puts(b, "\\n");
		} else if (c == '\r') {
			kgr__buf_puts(b, "\\r");
		} else if (c == '\t') {
			kgr__buf_puts(b, "\\t");
		} else if (c < 0x20) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			kgr__buf_puts(b, esc);
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}

static void put_json_term(buf *b, const kgr_sparql_term *t)
{
	kgr__buf_puts(b, "{\"type\":");
	kgr__buf_puts(b, t->kind == KGR_TERM_IRI ? "\"uri\"" : t->kind == KGR_TERM_BLANK ? "\"bnode\"" : "\"literal\"");
	kgr__buf_puts(b, ",\"value\":");
	put_json_string(b, t->value, t->len);
	if (t->kind == KGR_TERM_LITERAL && t->lang) {
		kgr__buf_puts(b, ",\"xml:lang\":");
		put_json_string(b, t->lang, strlen(t->lang));
	} else if (t->kind == KGR_TERM_LITERAL && t->datatype) {
		kgr__buf_puts(b, ",\"datatype\":");
		put_json_string(b, t->datatype, strlen(t->datatype));
	}
	buf_putc(b, '}');
}

/* An IRI, or a blank node as "_:label" (JSON-LD's blank node identifiers). */
static void put_jsonld_id(buf *b, const kgr_sparql_term *t)
{
	if (t->kind == KGR_TERM_BLANK) {
		char *id = malloc(t->len + 3);
		if (!id) {
			b->oom = 1;
			return;
		}
		memcpy(id, "_:", 2);
		memcpy(id + 2, t->value, t->len);
		put_json_string(b, id, t->len + 2);
		free(id);
		return;
	}
	put_json_string(b, t->value, t->len);
}

static int write_json(const kgr_sparql_result *r, FILE *f)
{
	buf b = { 0 };
	size_t row, col;
	int error = 0;
	if (r->kind == KGR_SPARQL_BOOLEAN) {
		kgr__buf_puts(&b, r->boolean ? "{\"head\":{},\"boolean\":true}\n" : "{\"head\":{},\"boolean\":false}\n");
		goto done;
	}
	kgr__buf_puts(&b, "{\"head\":{\"vars\":[");
	for (col = 0; col < r->ncols; col++) {
		if (col)
			buf_putc(&b, ',');
		put_json_string(&b, r->cols[col], strlen(r->cols[col]));
	}
	kgr__buf_puts(&b, "]},\"results\":{\"bindings\":[");
	for (row = 0; row < r->nrows; row++) {
		int first = 1;
		kgr__buf_puts(&b, row ? ",\n{" : "\n{");
		for (col = 0; col < r->ncols; col++) {
			const kgr_sparql_term *t = cell(r, row, col);
			if (t->kind == KGR_TERM_NONE)
				continue;
			if (!first)
				buf_putc(&b, ',');
			first = 0;
			put_json_string(&b, r->cols[col], strlen(r->cols[col]));
			buf_putc(&b, ':');
			put_json_term(&b, t);
		}
		buf_putc(&b, '}');
		if (b.len > 65536 && (error = flush(f, &b)))
			goto done;
	}
	kgr__buf_puts(&b, "]}}\n");
done:
	if (!error)
		error = flush(f, &b);
	free(b.s);
	return error;
}

/* ---- CSV and TSV ---- */

static void put_csv_field(buf *b, const char *s, size_t n)
{
	size_t i;
	int quote = 0;
	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			quote = 1;
	if (!quote) {
		kgr__buf_put(b, s, n);
		return;
	}
	buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_putc(b, '"');
		buf_putc(b, s[i]);
	}
	buf_putc(b, '"');
}

static int write_sv(const kgr_sparql_result *r, FILE *f, int tsv)
{
	buf b = { 0 };
	size_t row, col;
	const char *eol = tsv ? "\n" : "\r\n";
	int error = 0;
	if (r->kind == KGR_SPARQL_BOOLEAN) {
		kgr__buf_puts(&b, tsv ? "?_askResult" : "_askResult");
		kgr__buf_puts(&b, eol);
		kgr__buf_puts(&b, r->boolean ? "true" : "false");
		kgr__buf_puts(&b, eol);
		goto done;
	}
	for (col = 0; col < r->ncols; col++) {
		if (col)
			buf_putc(&b, tsv ? '\t' : ',');
		if (tsv)
			buf_putc(&b, '?');
		kgr__buf_puts(&b, r->cols[col]);
	}
	kgr__buf_puts(&b, eol);
	for (row = 0; row < r->nrows; row++) {
		for (col = 0; col < r->ncols; col++) {
			const kgr_sparql_term *t = cell(r, row, col);
			if (col)
				buf_putc(&b, tsv ? '\t' : ',');
			if (t->kind == KGR_TERM_NONE)
				continue;
			if (tsv) {
				put_term(&b, t, 1);
			} else if (t->kind == KGR_TERM_BLANK) {
				kgr__buf_puts(&b, "_:");
				put_csv_field(&b, t->value, t->len);
			} else {
				put_csv_field(&b, t->value, t->len);
			}
		}
		kgr__buf_puts(&b, eol);
		if (b.len > 65536 && (error = flush(f, &b)))
			goto done;
	}
done:
	if (!error)
		error = flush(f, &b);
	free(b.s);
	return error;
}

/* ---- table ---- */

/* Display width of UTF-8 text: code points (continuation bytes do not count). */
static size_t utf8_width(const char *s, size_t n)
{
	size_t i, w = 0;
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

static void put_padded(buf *b, const char *s, size_t n, size_t width)
{
	size_t w = utf8_width(s, n);
	kgr__buf_put(b, s, n);
	while (w++ < width)
		buf_putc(b, ' ');
}

static void put_rule(buf *b, const size_t *widths, size_t ncols)
{
	size_t col, i;
	for (col = 0; col < ncols; col++) {
		kgr__buf_puts(b, col ? "-+-" : "+-");
		for (i = 0; i < widths[col]; i++)
			buf_putc(b, '-');
	}
	kgr__buf_puts(b, "-+\n");
}

static int write_table(const kgr_sparql_result *r, FILE *f)
{
	static const char *const spo[] = { "subject", "predicate", "object" };
	buf b = { 0 }, tmp = { 0 };
	size_t ncols = r->kind == KGR_SPARQL_GRAPH ? 3 : r->ncols;
	size_t nrows = r->kind == KGR_SPARQL_GRAPH ? r->ntriples : r->nrows;
	size_t *widths = NULL, row, col;
	int error = 0;
	if (r->kind == KGR_SPARQL_BOOLEAN) {
		kgr__buf_puts(&b, r->boolean ? "true\n" : "false\n");
		goto done;
	}
	widths = calloc(ncols ? ncols : 1, sizeof(*widths));
	if (!widths) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory while writing SPARQL results");
		goto done;
	}
	for (col = 0; col < ncols; col++) {
		const char *name = r->kind == KGR_SPARQL_GRAPH ? spo[col] : r->cols[col];
		widths[col] = utf8_width(name, strlen(name)) + (r->kind == KGR_SPARQL_GRAPH ? 0 : 1);
	}
	for (row = 0; row < nrows; row++) {
		for (col = 0; col < ncols; col++) {
			size_t w;
			tmp.len = 0;
			put_term(&tmp, &r->cells[row * ncols + col], 1);
			w = tmp.s ? utf8_width(tmp.s, tmp.len) : 0;
			if (w > widths[col])
				widths[col] = w;
		}
	}
	put_rule(&b, widths, ncols);
	for (col = 0; col < ncols; col++) {
		kgr__buf_puts(&b, col ? " | " : "| ");
		if (r->kind == KGR_SPARQL_GRAPH) {
			put_padded(&b, spo[col], strlen(spo[col]), widths[col]);
		} else {
			buf_putc(&b, '?');
			put_padded(&b, r->cols[col], strlen(r->cols[col]), widths[col] - 1);
		}
	}
	kgr__buf_puts(&b, " |\n");
	put_rule(&b, widths, ncols);
	for (row = 0; row < nrows; row++) {
		for (col = 0; col < ncols; col++) {
			tmp.len = 0;
			put_term(&tmp, &r->cells[row * ncols + col], 1);
			kgr__buf_puts(&b, col ? " | " : "| ");
			put_padded(&b, tmp.s ? tmp.s : "", tmp.len, widths[col]);
		}
		kgr__buf_puts(&b, " |\n");
		if (b.len > 65536 && (error = flush(f, &b)))
			goto done;
	}
	put_rule(&b, widths, ncols);
	if (tmp.oom)
		b.oom = 1;
done:
	if (!error)
		error = flush(f, &b);
	free(widths);
	free(tmp.s);
	free(b.s);
	return error;
}

/* ---- N-Triples and Turtle ---- */

static int write_ntriples(const kgr_sparql_result *r, FILE *f)
{
	buf b = { 0 };
	size_t i;
	int error = 0;
	for (i = 0; i < r->ntriples; i++) {
		put_term(&b, &r->cells[3 * i], 0);
		buf_putc(&b, ' ');
		put_term(&b, &r->cells[3 * i + 1], 0);
		buf_putc(&b, ' ');
		put_term(&b, &r->cells[3 * i + 2], 0);
		kgr__buf_puts(&b, " .\n");
		if (b.len > 65536 && (error = flush(f, &b)))
			break;
	}
	if (!error)
		error = flush(f, &b);
	free(b.s);
	return error;
}

static const struct {
	const char *prefix, *ns;
} known_prefixes[] = {
	{ "rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#" },
	{ "rdfs", "http://www.w3.org/2000/01/rdf-schema#" },
	{ "xsd", XSD },
	{ "owl", "http://www.w3.org/2002/07/owl#" },
	{ "skos", "http://www.w3.org/2004/02/skos/core#" },
	{ "schema", "http://schema.org/" },
	{ "dcterms", "http://purl.org/dc/terms/" },
	{ "foaf", "http://xmlns.com/foaf/0.1/" },
	{ "kgr", "https://w3id.org/kgrec/ns#" },
};
#define N_PREFIXES (sizeof(known_prefixes) / sizeof(known_prefixes[0]))

/* The prefix that can abbreviate @p iri (local part a plain name), or -1. */
static int prefix_of(const char *iri, size_t len)
{
	size_t i, j;
	for (i = 0; i < N_PREFIXES; i++) {
		size_t n = strlen(known_prefixes[i].ns);
		if (len <= n || strncmp(iri, known_prefixes[i].ns, n))
			continue;
		if (iri[n] == '-')
			return -1;
		for (j = n; j < len; j++) {
			char c = iri[j];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				    c == '_' || c == '-'))
				return -1;
		}
		return (int)i;
	}
	return -1;
}

static void put_turtle_term(buf *b, const kgr_sparql_term *t)
{
	int pi;
	if (t->kind == KGR_TERM_IRI && (pi = prefix_of(t->value, t->len)) >= 0) {
		size_t n = strlen(known_prefixes[pi].ns);
		kgr__buf_puts(b, known_prefixes[pi].prefix);
		buf_putc(b, ':');
		kgr__buf_put(b, t->value + n, t->len - n);
		return;
	}
	if (t->kind == KGR_TERM_LITERAL && !t->lang && t->datatype &&
		(pi = prefix_of(t->datatype, strlen(t->datatype))) >= 0 && !bare_number(t)) {
		buf_putc(b, '"');
		put_escaped(b, t->value, t->len);
		kgr__buf_puts(b, "\"^^");
		kgr__buf_puts(b, known_prefixes[pi].prefix);
		buf_putc(b, ':');
		kgr__buf_puts(b, t->datatype + strlen(known_prefixes[pi].ns));
		return;
	}
	put_term(b, t, 1);
}

static int term_cmp(const kgr_sparql_term *a, const kgr_sparql_term *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	c = memcmp(a->value, b->value, n);
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

static int is_rdf_type(const kgr_sparql_term *t)
{
	return t->kind == KGR_TERM_IRI && t->len == strlen(RDF_TYPE) && !memcmp(t->value, RDF_TYPE, t->len);
}

static const kgr_sparql_result *sort_result;

static int triple_order(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const kgr_sparql_term *c = sort_result->cells;
	int d = term_cmp(&c[3 * i], &c[3 * j]);
	if (!d)
		d = is_rdf_type(&c[3 * j + 1]) - is_rdf_type(&c[3 * i + 1]);
	if (!d)
		d = term_cmp(&c[3 * i + 1], &c[3 * j + 1]);
	if (!d)
		d = i < j ? -1 : i > j;
	return d;
}

static void put_predicate(buf *b, const kgr_sparql_term *t)
{
	if (is_rdf_type(t))
		kgr__buf_puts(b, "a ");
	else {
		put_turtle_term(b, t);
		buf_putc(b, ' ');
	}
}

static int write_turtle(const kgr_sparql_result *r, FILE *f)
{
	buf b = { 0 };
	size_t *order = NULL, i, k;
	int used[N_PREFIXES] = { 0 }, error = 0, pi;
	order = malloc((r->ntriples ? r->ntriples : 1) * sizeof(*order));
	if (!order)
		return kgr__error_set(KGR_ENOMEM, "out of memory while writing SPARQL results");
	for (i = 0; i < r->ntriples; i++)
		order[i] = i;
	/* group by subject and predicate, keeping the result's order otherwise */
	sort_result = r;
	qsort(order, r->ntriples, sizeof(*order), triple_order);
	for (i = 0; i < 3 * r->ntriples; i++) {
		const kgr_sparql_term *t = &r->cells[i];
		if (i % 3 == 1 && is_rdf_type(t))
			continue; /* written as 'a' */
		if (t->kind == KGR_TERM_IRI && (pi = prefix_of(t->value, t->len)) >= 0)
			used[pi] = 1;
		if (t->kind == KGR_TERM_LITERAL && !t->lang && t->datatype && !bare_number(t) &&
			(pi = prefix_of(t->datatype, strlen(t->datatype))) >= 0)
			used[pi] = 1;
	}
	for (k = 0; k < N_PREFIXES; k++) {
		if (!used[k])
			continue;
		kgr__buf_puts(&b, "@prefix ");
		kgr__buf_puts(&b, known_prefixes[k].prefix);
		kgr__buf_puts(&b, ": <");
		kgr__buf_puts(&b, known_prefixes[k].ns);
		kgr__buf_puts(&b, "> .\n");
	}
	for (i = 0; i < r->ntriples; i++) {
		const kgr_sparql_term *c = &r->cells[3 * order[i]];
		const kgr_sparql_term *prev = i ? &r->cells[3 * order[i - 1]] : NULL;
		if (prev && !term_cmp(&prev[0], &c[0])) {
			if (!term_cmp(&prev[1], &c[1])) {
				kgr__buf_puts(&b, " ,\n        ");
			} else {
				kgr__buf_puts(&b, " ;\n    ");
				put_predicate(&b, &c[1]);
			}
		} else {
			if (prev)
				kgr__buf_puts(&b, " .\n");
			buf_putc(&b, '\n');
			put_turtle_term(&b, &c[0]);
			kgr__buf_puts(&b, "\n    ");
			put_predicate(&b, &c[1]);
		}
		put_turtle_term(&b, &c[2]);
		if (b.len > 65536 && (error = flush(f, &b)))
			goto done;
	}
	if (r->ntriples)
		kgr__buf_puts(&b, " .\n");
done:
	if (!error)
		error = flush(f, &b);
	free(order);
	free(b.s);
	return error;
}

/* ---- JSON-LD ---- */

#define XSD_STRING XSD "string"

/* One value of a node object, expanded form: {"@id": ...} for IRIs and blank nodes,
 * {"@value": ..., "@language" or "@type"} for literals (xsd:string is the default type). */
static void put_jsonld_value(buf *b, const kgr_sparql_term *t)
{
	if (t->kind == KGR_TERM_IRI || t->kind == KGR_TERM_BLANK) {
		kgr__buf_puts(b, "{\"@id\":");
		put_jsonld_id(b, t);
		buf_putc(b, '}');
		return;
	}
	kgr__buf_puts(b, "{\"@value\":");
	put_json_string(b, t->value, t->len);
	if (t->lang) {
		kgr__buf_puts(b, ",\"@language\":");
		put_json_string(b, t->lang, strlen(t->lang));
	} else if (t->datatype && strcmp(t->datatype, XSD_STRING)) {
		kgr__buf_puts(b, ",\"@type\":");
		put_json_string(b, t->datatype, strlen(t->datatype));
	}
	buf_putc(b, '}');
}

/* rdf:type with an IRI or blank node object: a value of "@type" in JSON-LD. */
static int jsonld_type(const kgr_sparql_term *t)
{
	return is_rdf_type(&t[1]) && t[2].kind != KGR_TERM_LITERAL;
}

/* Subjects together, "@type" first, then each predicate's values together, so that no key
 * of a node object repeats (an rdf:type with a literal object is an ordinary key). */
static int jsonld_order(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const kgr_sparql_term *a = &sort_result->cells[3 * i], *b = &sort_result->cells[3 * j];
	int d = term_cmp(&a[0], &b[0]);
	if (!d)
		d = jsonld_type(b) - jsonld_type(a);
	if (!d)
		d = term_cmp(&a[1], &b[1]);
	if (!d)
		d = i < j ? -1 : i > j;
	return d;
}

/* JSON-LD 1.1 in expanded form, as the RDF-to-JSON-LD algorithm (useNativeTypes false,
 * useRdfType false) gives it for a graph without lists: an array of node objects, one per
 * subject, with rdf:type IRIs under "@type" and every other predicate as a key holding an
 * array of values. Numbers stay strings with their datatype, so nothing is rounded. raptor
 * 2.0.15 has no JSON-LD writer. */
static int write_jsonld(const kgr_sparql_result *r, FILE *f)
{
	buf b = { 0 };
	size_t *order = NULL, i;
	int error = 0;
	order = malloc((r->ntriples ? r->ntriples : 1) * sizeof(*order));
	if (!order)
		return kgr__error_set(KGR_ENOMEM, "out of memory while writing SPARQL results");
	for (i = 0; i < r->ntriples; i++)
		order[i] = i;
	sort_result = r;
	qsort(order, r->ntriples, sizeof(*order), jsonld_order);
	buf_putc(&b, '[');
	for (i = 0; i < r->ntriples; i++) {
		const kgr_sparql_term *c = &r->cells[3 * order[i]];
		const kgr_sparql_term *prev = i ? &r->cells[3 * order[i - 1]] : NULL;
		int type = jsonld_type(c), prev_type = prev && jsonld_type(prev);
		if (prev && !term_cmp(&prev[0], &c[0])) {
			if (!term_cmp(&prev[1], &c[1]) && type == prev_type) {
				buf_putc(&b, ',');
			} else {
				kgr__buf_puts(&b, "],\n  ");
				if (type) {
					kgr__buf_puts(&b, "\"@type\":[");
				} else {
					put_json_string(&b, c[1].value, c[1].len);
					kgr__buf_puts(&b, ":[");
				}
			}
		} else {
			kgr__buf_puts(&b, prev ? "]},\n{" : "\n{");
			kgr__buf_puts(&b, "\"@id\":");
			put_jsonld_id(&b, &c[0]);
			kgr__buf_puts(&b, ",\n  ");
			if (type) {
				kgr__buf_puts(&b, "\"@type\":[");
			} else {
				put_json_string(&b, c[1].value, c[1].len);
				kgr__buf_puts(&b, ":[");
			}
		}
		if (type)
			put_jsonld_id(&b, &c[2]);
		else
			put_jsonld_value(&b, &c[2]);
		if (b.len > 65536 && (error = flush(f, &b)))
			goto done;
	}
	kgr__buf_puts(&b, r->ntriples ? "]}\n]\n" : "]\n");
done:
	if (!error)
		error = flush(f, &b);
	free(order);
	free(b.s);
	return error;
}

/* ---- RDF/XML (raptor's writer) ---- */

typedef struct {
	int errors;
	char message[256];
} rdfxml_log;

static void rdfxml_log_handler(void *data, raptor_log_message *m)
{
	rdfxml_log *log = data;
	if (m->level >= RAPTOR_LOG_LEVEL_ERROR && !log->errors++)
		snprintf(log->message, sizeof(log->message), "%s", m->text);
}

static raptor_term *raptor_term_of(raptor_world *w, const kgr_sparql_term *t)
{
	switch (t->kind) {
	case KGR_TERM_IRI:
		return raptor_new_term_from_counted_uri_string(w, (const unsigned char *)t->value, t->len);
	case KGR_TERM_BLANK:
		return raptor_new_term_from_counted_blank(w, (const unsigned char *)t->value, t->len);
	case KGR_TERM_LITERAL: {
		raptor_uri *dt = NULL;
		raptor_term *term;
		if (!t->lang && t->datatype && strcmp(t->datatype, XSD_STRING) &&
			!(dt = raptor_new_uri(w, (const unsigned char *)t->datatype)))
			return NULL;
		term = raptor_new_term_from_counted_literal(w, (const unsigned char *)t->value, t->len, dt,
			(const unsigned char *)t->lang, t->lang ? (unsigned char)strlen(t->lang) : 0);
		if (dt)
			raptor_free_uri(dt);
		return term;
	}
	default:
		return NULL;
	}
}

/* A raptor world of its own per call: kgr_sparql_write() may run on any thread, and the
 * librdf world of the query path is not thread-safe. */
static int write_rdfxml(const kgr_sparql_result *r, FILE *f)
{
	raptor_world *w = raptor_new_world();
	raptor_serializer *ser = NULL;
	rdfxml_log log = { 0, "" };
	size_t i;
	int error = 0, k;
	if (!w || raptor_world_open(w)) {
		error = kgr__error_set(KGR_ENOMEM, "cannot start raptor to write RDF/XML");
		goto done;
	}
	raptor_world_set_log_handler(w, &log, rdfxml_log_handler);
	if (!(ser = raptor_new_serializer(w, "rdfxml")) || raptor_serializer_start_to_file_handle(ser, NULL, f)) {
		error = kgr__error_set(KGR_ENOMEM, "cannot start raptor's RDF/XML writer");
		goto done;
	}
	/* the common namespaces declared once on the root element, as in Turtle */
	for (i = 0; i < N_PREFIXES; i++) {
		raptor_uri *ns;
		if (!strcmp(known_prefixes[i].prefix, "rdf"))
			continue; /* raptor declares it itself */
		ns = raptor_new_uri(w, (const unsigned char *)known_prefixes[i].ns);
		if (ns) {
			raptor_serializer_set_namespace(ser, ns, (const unsigned char *)known_prefixes[i].prefix);
			raptor_free_uri(ns);
		}
	}
	for (i = 0; i < r->ntriples && !error; i++) {
		raptor_statement st;
		raptor_term *terms[3];
		memset(&st, 0, sizeof(st));
		for (k = 0; k < 3; k++)
			terms[k] = raptor_term_of(w, &r->cells[3 * i + (size_t)k]);
		if (!terms[0] || !terms[1] || !terms[2]) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory while writing RDF/XML");
		} else {
			st.world = w;
			st.subject = terms[0];
			st.predicate = terms[1];
			st.object = terms[2];
			if (raptor_serializer_serialize_statement(ser, &st) || log.errors)
				error = kgr__error_set(KGR_EINVALID,
					"RDF/XML cannot write the predicate <%s> (%s): use turtle, ntriples or jsonld",
					r->cells[3 * i + 1].value, log.errors ? log.message : "raptor failed");
		}
		for (k = 0; k < 3; k++)
			if (terms[k])
				raptor_free_term(terms[k]);
	}
	if (raptor_serializer_serialize_end(ser) && !error)
		error = kgr__error_set(KGR_EIO, "cannot write SPARQL results as RDF/XML");
	if (!error && (ferror(f) || log.errors))
		error = kgr__error_set(KGR_EIO, "cannot write SPARQL results as RDF/XML%s%s",
			log.errors ? ": " : "", log.message);
done:
	if (ser)
		raptor_free_serializer(ser);
	if (w)
		raptor_free_world(w);
	return error;
}

int kgr_sparql_write(const kgr_sparql_result *r, FILE *f, kgr_sparql_format format)
{
	int graph = r->kind == KGR_SPARQL_GRAPH;
	switch (format) {
	case KGR_SPARQL_FORMAT_TABLE:
		return write_table(r, f);
	case KGR_SPARQL_FORMAT_JSON:
	case KGR_SPARQL_FORMAT_CSV:
	case KGR_SPARQL_FORMAT_TSV:
		if (graph)
			return kgr__error_set(KGR_EINVALID,
				"format %s cannot show a graph result (CONSTRUCT/DESCRIBE): use turtle, "
				"ntriples, rdfxml, jsonld or table",
				kgr_sparql_format_name(format));
		if (format == KGR_SPARQL_FORMAT_JSON)
			return write_json(r, f);
		return write_sv(r, f, format == KGR_SPARQL_FORMAT_TSV);
	case KGR_SPARQL_FORMAT_TURTLE:
	case KGR_SPARQL_FORMAT_NTRIPLES:
	case KGR_SPARQL_FORMAT_RDFXML:
	case KGR_SPARQL_FORMAT_JSONLD:
		if (!graph)
			return kgr__error_set(KGR_EINVALID,
				"format %s shows graph results only; this %s result needs table, json, csv "
				"or tsv",
				kgr_sparql_format_name(format),
				r->kind == KGR_SPARQL_BOOLEAN ? "ASK" : "SELECT");
		if (format == KGR_SPARQL_FORMAT_RDFXML)
			return write_rdfxml(r, f);
		if (format == KGR_SPARQL_FORMAT_JSONLD)
			return write_jsonld(r, f);
		return format == KGR_SPARQL_FORMAT_TURTLE ? write_turtle(r, f) : write_ntriples(r, f);
	default:
		return kgr__error_set(KGR_EINVALID, "unknown SPARQL result format %d", (int)format);
	}
}
