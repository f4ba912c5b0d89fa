/* Product feeds in: a Google-Merchant-style CSV or TSV (one product a row, a header naming
 * the columns) becomes schema.org and SKOS triples, written as N-Triples and loaded through
 * the store's own N-Triples reader, so every term is checked as any RDF input is.
 *
 * Category paths ("Electronics > Audio > Headphones", in google_product_category and
 * product_type) become a skos:broader taxonomy, one concept per path prefix, so that a
 * category shared by two products, or a parent they share, is a node evidence paths can
 * walk. Brands, materials and audiences are nodes too; colours, sizes and labels are
 * literals. docs/FEEDS.md lists every column. */
#include "kg/store_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA "http://schema.org/"
#define SKOS "http://www.w3.org/2004/02/skos/core#"
#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#define XSD "http://www.w3.org/2001/XMLSchema#"

enum {
	COL_ID, COL_GROUP, COL_TITLE, COL_DESCRIPTION, COL_BRAND, COL_GTIN, COL_MPN, COL_GOOGLE_CAT,
	COL_TYPE, COL_PRICE, COL_SALE_PRICE, COL_AVAILABILITY, COL_CONDITION, COL_COLOR, COL_SIZE,
	COL_MATERIAL, COL_GENDER, COL_AGE_GROUP, COL_LINK, COL_IMAGE, COL_LABEL0, COL_LABEL1,
	COL_LABEL2, COL_LABEL3, COL_LABEL4, COL__COUNT
};

static const char *const col_names[COL__COUNT] = { "id", "item_group_id", "title", "description",
	"brand", "gtin", "mpn", "google_product_category", "product_type", "price", "sale_price",
	"availability", "condition", "color", "size", "material", "gender", "age_group", "link",
	"image_link", "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3",
	"custom_label_4" };

/* One row's fields, pointing into the row buffer. */
typedef struct {
	char **f;
	size_t n, cap;
} fields;

typedef struct {
	const char *path;
	const kgr_feed_options *o;
	int col[COL__COUNT]; /* column index of each known column, or -1 */
	char delim;
	size_t line;         /* line of the row being read */
	kgr__buf nt;         /* the triples */
	kgr__buf val;        /* scratch */
} feed;

/* N-Triples IRI of base + text, with every byte outside the unreserved set of RFC 3986
 * percent-encoded, so that any id or name makes a valid IRI. */
static void put_iri(kgr__buf *b, const char *base, const char *text, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	kgr__buf_puts(b, "<");
	kgr__buf_puts(b, base);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			kgr__buf_put(b, (const char *)&text[i], 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			kgr__buf_put(b, e, 3);
		}
	}
	kgr__buf_puts(b, ">");
}

/* put_iri() with @p suffix added inside the brackets ("#offer"). */
static void put_iri_suffix(kgr__buf *b, const char *base, const char *text, size_t len, const char *suffix)
{
	put_iri(b, base, text, len);
	if (b->len && !b->oom) {
		b->len--; /* the closing '>' */
		kgr__buf_puts(b, suffix);
		kgr__buf_puts(b, ">");
	}
}

/* A lowercase slug for names that become nodes ("Acme Sports" -> "acme-sports"). */
static void slug(kgr__buf *out, const char *s, size_t len)
{
	size_t i;
	int dash = 0;
	out->len = 0;
	if (out->s)
		out->s[0] = 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c >= 0x80) {
			if (dash && out->len)
				kgr__buf_puts(out, "-");
			dash = 0;
			c = (unsigned char)tolower(c);
			kgr__buf_put(out, (const char *)&c, 1);
		} else {
			dash = 1;
		}
	}
	if (!out->len)
		kgr__buf_puts(out, "x");
}

/* An N-Triples literal with the escapes the syntax needs. */
static void put_lit(kgr__buf *b, const char *s, size_t len, const char *datatype)
{
	size_t i;
	kgr__buf_puts(b, "\"");
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '"': kgr__buf_puts(b, "\\\""); break;
		case '\\': kgr__buf_puts(b, "\\\\"); break;
		case '\n': kgr__buf_puts(b, "\\n"); break;
		case '\r': kgr__buf_puts(b, "\\r"); break;
		default: kgr__buf_put(b, s + i, 1);
		}
	}
	kgr__buf_puts(b, "\"");
	if (datatype)
		kgr__buf_printf(b, "^^<%s>", datatype);
}

static const char *field(const feed *fd, const fields *r, int col, size_t *len)
{
	const char *v;
	int i = fd->col[col];
	if (i < 0 || (size_t)i >= r->n)
		return NULL;
	v = r->f[i];
	while (*v == ' ' || *v == '\t')
		v++;
	*len = strlen(v);
	while (*len && (v[*len - 1] == ' ' || v[*len - 1] == '\t'))
		(*len)--;
	return *len ? v : NULL;
}

/* Subject and predicate of a triple about the row's product. */
static void about(feed *fd, const char *id, size_t id_len, const char *pred)
{
	put_iri(&fd->nt, fd->o->item_base, id, id_len);
	kgr__buf_printf(&fd->nt, " <%s> ", pred);
}

/* A node for a name (brand, material, audience): IRI base + kind/ + slug, typed and named. */
static void node(feed *fd, const char *kind, const char *cls, const char *name, size_t len)
{
	kgr__buf node_iri = { 0 };
	slug(&fd->val, name, len);
	kgr__buf_printf(&node_iri, "%s%s/", fd->o->node_base, kind);
	put_iri(&fd->nt, node_iri.s ? node_iri.s : "", fd->val.s, fd->val.len);
	kgr__buf_puts(&fd->nt, " .\n");
	put_iri(&fd->nt, node_iri.s ? node_iri.s : "", fd->val.s, fd->val.len);
	kgr__buf_printf(&fd->nt, " <" RDF_TYPE "> <%s> .\n", cls);
	put_iri(&fd->nt, node_iri.s ? node_iri.s : "", fd->val.s, fd->val.len);
	kgr__buf_puts(&fd->nt, " <" SCHEMA "name> ");
	put_lit(&fd->nt, name, len, NULL);
	kgr__buf_puts(&fd->nt, " .\n");
	kgr__buf_free(&node_iri);
}

/* The IRI of a category: base + its slugs joined by '/' (slugs are [a-z0-9-] and bytes of
 * UTF-8 letters, which IRIs take as they are). */
static void concept_iri(kgr__buf *b, const char *base, const char *path, size_t len)
{
	kgr__buf_puts(b, "<");
	kgr__buf_puts(b, base);
	kgr__buf_put(b, path, len);
	kgr__buf_puts(b, ">");
}

/* A category path "A > B > C" (or "A/B/C"): one skos:Concept per prefix, each with its
 * label and its parent as skos:broader; the product is in the last one. */
static void category(feed *fd, const char *id, size_t id_len, const char *scheme, const char *v, size_t len)
{
	kgr__buf path = { 0 }, iri = { 0 };
	size_t i = 0, parent_len = 0;
	char *parent = NULL;
	kgr__buf_printf(&iri, "%scategory/%s/", fd->o->node_base, scheme);
	while (i < len) {
		size_t s = i, e;
		while (i < len && v[i] != '>' && !(v[i] == '/' && strchr(v, '>') == NULL))
			i++;
		e = i;
		while (s < e && (v[s] == ' ' || v[s] == '\t'))
			s++;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		i++;
		if (e == s)
			continue;
		slug(&fd->val, v + s, e - s);
		if (path.len)
			kgr__buf_puts(&path, "/");
		kgr__buf_put(&path, fd->val.s, fd->val.len);
		concept_iri(&fd->nt, iri.s, path.s, path.len);
		kgr__buf_puts(&fd->nt, " <" RDF_TYPE "> <" SKOS "Concept> .\n");
		concept_iri(&fd->nt, iri.s, path.s, path.len);
		kgr__buf_puts(&fd->nt, " <" SKOS "prefLabel> ");
		put_lit(&fd->nt, v + s, e - s, NULL);
		kgr__buf_puts(&fd->nt, " .\n");
		if (parent) {
			concept_iri(&fd->nt, iri.s, path.s, path.len);
			kgr__buf_puts(&fd->nt, " <" SKOS "broader> ");
			concept_iri(&fd->nt, iri.s, parent, parent_len);
			kgr__buf_puts(&fd->nt, " .\n");
		}
		free(parent);
		parent = path.s ? strndup(path.s, path.len) : NULL;
		parent_len = path.len;
	}
	if (parent) {
		about(fd, id, id_len, SCHEMA "category");
		concept_iri(&fd->nt, iri.s, parent, parent_len);
		kgr__buf_puts(&fd->nt, " .\n");
	}
	free(parent);
	kgr__buf_free(&path);
	kgr__buf_free(&iri);
}

static int row_error(feed *fd, int col, const char *fmt, const char *value, size_t len)
{
	char msg[400];
	snprintf(msg, sizeof(msg), fmt, (int)(len > 100 ? 100 : len), value);
	return kgr__error_set(KGR_EPARSE, "%s:%zu:%d: %s: %s", fd->path, fd->line, fd->col[col] + 1,
		col_names[col], msg);
}

/* "12.99 USD" or "USD 12.99" or "12.99": the amount and the currency (or NULL). */
static int parse_price(const char *v, size_t len, char *amount, size_t asz, char *cur, size_t csz)
{
	char tmp[128], *tok, *save, *num = NULL, *c = NULL, *end;
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, len);
	tmp[len] = 0;
	for (tok = strtok_r(tmp, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		errno = 0;
		(void)strtod(tok, &end);
		if (!*end && !errno && !num)
			num = tok;
		else if (strlen(tok) == 3 && isalpha((unsigned char)tok[0]) && isalpha((unsigned char)tok[1]) &&
			isalpha((unsigned char)tok[2]) && !c)
			c = tok;
		else
			return -1;
	}
	if (!num || strtod(num, NULL) < 0)
		return -1;
	snprintf(amount, asz, "%s", num);
	snprintf(cur, csz, "%s", c ? c : "");
	return 0;
}

/* A schema.org enumeration member for availability and condition values. */
static const char *enum_member(int col, const char *v, size_t len)
{
	static const char *const avail[][2] = { { "in_stock", "InStock" }, { "in stock", "InStock" },
		{ "out_of_stock", "OutOfStock" }, { "out of stock", "OutOfStock" }, { "preorder", "PreOrder" },
		{ "backorder", "BackOrder" } };
	static const char *const cond[][2] = { { "new", "NewCondition" }, { "used", "UsedCondition" },
		{ "refurbished", "RefurbishedCondition" } };
	size_t i, n = col == COL_AVAILABILITY ? sizeof(avail) / sizeof(avail[0]) : sizeof(cond) / sizeof(cond[0]);
	for (i = 0; i < n; i++) {
		const char *k = col == COL_AVAILABILITY ? avail[i][0] : cond[i][0];
		if (strlen(k) == len && !strncasecmp(k, v, len))
			return col == COL_AVAILABILITY ? avail[i][1] : cond[i][1];
	}
	return NULL;
}

static void literal_about(feed *fd, const char *id, size_t id_len, const char *pred, const char *v,
	size_t len, const char *datatype)
{
	about(fd, id, id_len, pred);
	put_lit(&fd->nt, v, len, datatype);
	kgr__buf_puts(&fd->nt, " .\n");
}

/* An offer node <item#offer> (or #sale) with its price and currency. */
static int offer(feed *fd, const char *id, size_t id_len, int col, const char *v, size_t len)
{
	char amount[64], cur[8];
	if (parse_price(v, len, amount, sizeof(amount), cur, sizeof(cur)) < 0)
		return row_error(fd, col, "'%.*s' is not a price (a number, then an optional ISO 4217 code)", v, len);
	char frag[16];
	snprintf(frag, sizeof(frag), "#%s", col == COL_PRICE ? "offer" : "sale");
	about(fd, id, id_len, SCHEMA "offers");
	put_iri_suffix(&fd->nt, fd->o->item_base, id, id_len, frag);
	kgr__buf_puts(&fd->nt, " .\n");
	put_iri_suffix(&fd->nt, fd->o->item_base, id, id_len, frag);
	kgr__buf_printf(&fd->nt, " <" RDF_TYPE "> <" SCHEMA "Offer> .\n");
	put_iri_suffix(&fd->nt, fd->o->item_base, id, id_len, frag);
	kgr__buf_printf(&fd->nt, " <" SCHEMA "price> \"%s\"^^<" XSD "decimal> .\n", amount);
	if (*cur) {
		put_iri_suffix(&fd->nt, fd->o->item_base, id, id_len, frag);
		kgr__buf_printf(&fd->nt, " <" SCHEMA "priceCurrency> \"%s\" .\n", cur);
	}
	return 0;
}

/* The triples of one product row; KGR_EPARSE naming the line and column of a bad value. */
static int product(feed *fd, const fields *r)
{
	static const struct { int col; const char *pred; } literals[] = {
		{ COL_TITLE, SCHEMA "name" }, { COL_DESCRIPTION, SCHEMA "description" },
		{ COL_GTIN, SCHEMA "gtin" }, { COL_MPN, SCHEMA "mpn" }, { COL_COLOR, SCHEMA "color" },
		{ COL_SIZE, SCHEMA "size" }, { COL_LABEL0, KGR_NS "customLabel" }, { COL_LABEL1, KGR_NS "customLabel" },
		{ COL_LABEL2, KGR_NS "customLabel" }, { COL_LABEL3, KGR_NS "customLabel" },
		{ COL_LABEL4, KGR_NS "customLabel" } };
	const char *id, *v;
	size_t id_len, len, i, mark = fd->nt.len;
	int error;

	if (!(id = field(fd, r, COL_ID, &id_len)))
		return kgr__error_set(KGR_EPARSE, "%s:%zu:%d: id: empty (every product needs one)", fd->path,
			fd->line, fd->col[COL_ID] + 1);
	about(fd, id, id_len, RDF_TYPE);
	kgr__buf_puts(&fd->nt, "<" SCHEMA "Product> .\n");
	literal_about(fd, id, id_len, SCHEMA "productID", id, id_len, NULL);
	literal_about(fd, id, id_len, SCHEMA "sku", id, id_len, NULL);
	for (i = 0; i < sizeof(literals) / sizeof(literals[0]); i++)
		if ((v = field(fd, r, literals[i].col, &len)))
			literal_about(fd, id, id_len, literals[i].pred, v, len, NULL);
	if ((v = field(fd, r, COL_BRAND, &len))) {
		about(fd, id, id_len, SCHEMA "brand");
		node(fd, "brand", SCHEMA "Brand", v, len);
	}
	if ((v = field(fd, r, COL_MATERIAL, &len))) {
		about(fd, id, id_len, SCHEMA "material");
		node(fd, "material", KGR_NS "Attribute", v, len);
	}
	if ((v = field(fd, r, COL_GENDER, &len))) {
		about(fd, id, id_len, SCHEMA "audience");
		node(fd, "audience", SCHEMA "PeopleAudience", v, len);
	}
	if ((v = field(fd, r, COL_AGE_GROUP, &len))) {
		about(fd, id, id_len, SCHEMA "audience");
		node(fd, "audience", SCHEMA "PeopleAudience", v, len);
	}
	if ((v = field(fd, r, COL_GOOGLE_CAT, &len)))
		category(fd, id, id_len, "google", v, len);
	if ((v = field(fd, r, COL_TYPE, &len)))
		category(fd, id, id_len, "type", v, len);
	if ((v = field(fd, r, COL_GROUP, &len))) {
		kgr__buf g = { 0 };
		kgr__buf_printf(&g, "%sgroup/", fd->o->node_base);
		about(fd, id, id_len, SCHEMA "isVariantOf");
		put_iri(&fd->nt, g.s ? g.s : "", v, len);
		kgr__buf_puts(&fd->nt, " .\n");
		put_iri(&fd->nt, g.s ? g.s : "", v, len);
		kgr__buf_puts(&fd->nt, " <" RDF_TYPE "> <" SCHEMA "ProductGroup> .\n");
		put_iri(&fd->nt, g.s ? g.s : "", v, len);
		kgr__buf_puts(&fd->nt, " <" SCHEMA "productGroupID> ");
		put_lit(&fd->nt, v, len, NULL);
		kgr__buf_puts(&fd->nt, " .\n");
		kgr__buf_free(&g);
	}
	for (i = COL_PRICE; i <= COL_SALE_PRICE; i++)
		if ((v = field(fd, r, (int)i, &len)) && (error = offer(fd, id, id_len, (int)i, v, len)) < 0)
			goto bad;
	for (i = COL_AVAILABILITY; i <= COL_CONDITION; i++)
		if ((v = field(fd, r, (int)i, &len))) {
			const char *m = enum_member((int)i, v, len);
			if (!m) {
				error = row_error(fd, (int)i, i == COL_AVAILABILITY ? "'%.*s' is not in_stock, "
					"out_of_stock, preorder or backorder" : "'%.*s' is not new, used or refurbished", v, len);
				goto bad;
			}
			about(fd, id, id_len, i == COL_AVAILABILITY ? SCHEMA "availability" : SCHEMA "itemCondition");
			kgr__buf_printf(&fd->nt, "<" SCHEMA "%s> .\n", m);
		}
	for (i = COL_LINK; i <= COL_IMAGE; i++)
		if ((v = field(fd, r, (int)i, &len))) {
			if (len < 8 || (strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
				strcspn(v, " <>\"{}|\\^`") < len) {
				error = row_error(fd, (int)i, "'%.*s' is not an http(s) URL", v, len);
				goto bad;
			}
			about(fd, id, id_len, i == COL_LINK ? SCHEMA "url" : SCHEMA "image");
			kgr__buf_puts(&fd->nt, "<");
			kgr__buf_put(&fd->nt, v, len);
			kgr__buf_puts(&fd->nt, "> .\n");
		}
	return 0;
bad:
	fd->nt.len = mark;
	if (fd->nt.s)
		fd->nt.s[mark] = 0;
	return error;
}

/* Splits one CSV record starting at *pp (RFC 4180 quoting, quoted fields may hold the
 * delimiter, newlines and doubled quotes) into r; the record's text is unquoted in place.
 * Returns 1 with a record, 0 at the end, -1 on an unterminated quote. *lines counts the
 * lines the record spans. */
static int next_record(char **pp, char *end, char delim, fields *r, size_t *lines)
{
	char *p = *pp, *w;
	if (p >= end)
		return 0;
	r->n = 0;
	*lines = 1;
	for (;;) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 32;
			char **f = realloc(r->f, cap * sizeof(*f));
			if (!f)
				return -2;
			r->f = f;
			r->cap = cap;
		}
		r->f[r->n++] = w = p;
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				if (p >= end)
					return -1;
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n')
					(*lines)++;
				*w++ = *p++;
			}
			while (p < end && *p != delim && *p != '\n')
				p++;
		} else {
			while (p < end && *p != delim && *p != '\n')
				*w++ = *p++;
			if (w > r->f[r->n - 1] && w[-1] == '\r')
				w--;
		}
		if (p >= end || *p == '\n') {
			*w = 0;
			*pp = p < end ? p + 1 : p;
			return 1;
		}
		*w = 0;
		p++; /* the delimiter */
	}
}

static int read_header(feed *fd, fields *h)
{
	size_t i, c;
	for (c = 0; c < COL__COUNT; c++)
		fd->col[c] = -1;
	for (i = 0; i < h->n; i++) {
		char *name = h->f[i];
		if (i == 0 && !strncmp(name, "\xEF\xBB\xBF", 3)) /* a byte order mark */
			name += 3;
		for (c = 0; c < COL__COUNT; c++)
			if (!strcasecmp(name, col_names[c]) && fd->col[c] < 0)
				fd->col[c] = (int)i;
	}
	if (fd->col[COL_ID] < 0)
		return kgr__error_set(KGR_EPARSE, "%s:1: the header has no 'id' column (columns: id, title, "
			"brand, google_product_category, product_type, price, ...; see docs/FEEDS.md)", fd->path);
	return 0;
}

int kgr_store_load_product_feed(kgr_store *s, const char *path, const kgr_feed_options *opts)
{
	kgr_feed_options dflt = KGR_FEED_OPTIONS_INIT;
	feed fd;
	fields r = { NULL, 0, 0 };
	char *text = NULL, *p, *end;
	size_t len, lines, skipped = 0, rows = 0;
	int error, got;

	if (!opts)
		opts = &dflt;
	KGR__CHECK_VERSION(opts, KGR_FEED_OPTIONS_VERSION, "product feed");
	if (s->finalized)
		return kgr__error_set(KGR_EINVALID, "%s: the store is finalized; load before finalizing", path);
	memset(&fd, 0, sizeof(fd));
	fd.path = path;
	fd.o = opts;
	if ((error = kgr__read_file(&text, &len, path, "product feed")) < 0)
		return error;
	p = text;
	end = text + len;
	fd.delim = opts->delimiter;
	if (!fd.delim) {
		/* the header's most frequent of tab, semicolon and comma */
		size_t n_tab = 0, n_semi = 0, n_comma = 0;
		char *q;
		for (q = p; q < end && *q != '\n'; q++)
			n_tab += *q == '\t', n_semi += *q == ';', n_comma += *q == ',';
		fd.delim = n_tab >= n_semi && n_tab >= n_comma && n_tab ? '\t' : n_semi > n_comma ? ';' : ',';
	}
	fd.line = 1;
	if ((got = next_record(&p, end, fd.delim, &r, &lines)) <= 0) {
		error = got == -2 ? kgr__error_set(KGR_ENOMEM, "out of memory") :
			kgr__error_set(KGR_EPARSE, "%s: empty product feed (a header row is needed)", path);
		goto cleanup;
	}
	if ((error = read_header(&fd, &r)) < 0)
		goto cleanup;
	fd.line += lines;
	while ((got = next_record(&p, end, fd.delim, &r, &lines)) > 0) {
		size_t at = fd.line;
		fd.line = at;
		if (r.n == 1 && !r.f[0][0]) {
			fd.line += lines;
			continue; /* an empty line */
		}
		if ((error = product(&fd, &r)) < 0) {
			if (!opts->skip_bad_rows)
				goto cleanup;
			skipped++;
			error = 0;
		} else {
			rows++;
		}
		fd.line = at + lines;
	}
	if (got == -1) {
		error = kgr__error_set(KGR_EPARSE, "%s:%zu: a quoted field is not closed", path, fd.line);
		goto cleanup;
	}
	if (got == -2 || fd.nt.oom) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (opts->skipped_out)
		*opts->skipped_out = skipped;
	if (!rows) {
		error = kgr__error_set(KGR_EPARSE, "%s: no product rows", path);
		goto cleanup;
	}
	error = kgr__load_buffer(s, fd.nt.s, fd.nt.len, "ntriples", NULL, path, 0);
cleanup:
	free(r.f);
	free(text);
	kgr__buf_free(&fd.nt);
	kgr__buf_free(&fd.val);
	return error;
}
