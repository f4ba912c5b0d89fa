/* Interaction logs in: CSV/TSV rows `user,item,timestamp[,action][,weight]` become interaction
 * events in RDF (ontologies/kgrec.ttl), so they are queryable like any other triple and the
 * interaction table is derived from the graph at finalize, whatever the input was. The event
 * exports of GA4 and Segment load as they are: their column names, their action names (the
 * table of kg/actions.c), timestamps in seconds, milliseconds or microseconds (kg/time.c), and
 * items named by SKU, product id or GTIN, matched against the catalog (kg/item_match.c).
 * docs/EVENTS.md describes the shapes accepted. */
#include "kg/store_internal.h"
#include "kg/text_check.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

/* ------------------------------------------------------------------ CSV */

typedef struct {
	gzFile f;
	char *line;
	size_t cap, len;
	long lineno;
} reader;

/* Reads one physical line (without the newline) into r->line. 1 = a line, 0 = EOF. */
static int read_line(reader *r)
{
	int c;
	r->len = 0;
	for (;;) {
		c = gzgetc(r->f);
		if (c < 0)
			break;
		if (r->len + 2 > r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 1024;
			char *l = realloc(r->line, cap);
			if (!l)
				return -1;
			r->line = l;
			r->cap = cap;
		}
		if (c == '\n')
			break;
		r->line[r->len++] = (char)c;
	}
	if (c < 0 && r->len == 0)
		return 0;
	if (r->len && r->line[r->len - 1] == '\r')
		r->len--;
	r->line[r->len] = '\0';
	r->lineno++;
	return 1;
}

#define MAX_FIELDS 256

/* Split a line in place. Double-quoted fields may contain the delimiter and "" for a quote. */
static int split(char *line, char delim, char **f, int max)
{
	int n = 0;
	char *p = line;
	for (;;) {
		char *start, *w;
		if (n == max)
			return -1;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			start = w = ++p;
			while (*p) {
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
			while (*p && *p != delim)
				p++;
			f[n++] = start;
			if (!*p) {
				*w = '\0';
				return n;
			}
			*w = '\0';
			p++;
			continue;
		}
		start = p;
		while (*p && *p != delim)
			p++;
		f[n++] = start;
		if (!*p)
			break;
		*p++ = '\0';
	}
	{
		int i;
		for (i = 0; i < n; i++) {
			char *e = f[i] + strlen(f[i]);
			while (e > f[i] && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = '\0';
		}
	}
	return n;
}

static int looks_like_iri(const char *t)
{
	const char *p = t;
	if (*p == '<')
		return 1;
	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':' && (p[1] == '/' || !strncmp(t, "urn:", 4));
}

/* user / item column -> IRI: an IRI as is, a local name under the base, percent-encoding
 * what an IRI cannot hold. */
static int to_iri(kgr__buf *out, const char *base, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	out->len = 0;
	if (looks_like_iri(v)) {
		size_t n = strlen(v);
		if (v[0] == '<' && n > 2 && v[n - 1] == '>')
			return kgr__buf_append(out, v + 1, n - 2);
		return kgr__buf_append(out, v, n);
	}
	if (kgr__buf_append(out, base, strlen(base)) < 0)
		return KGR_ENOMEM;
	for (p = (const unsigned char *)v; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p >= 0x80) {
			if (kgr__buf_append(out, p, 1) < 0)
				return KGR_ENOMEM;
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			if (kgr__buf_append(out, e, 3) < 0)
				return KGR_ENOMEM;
		}
	}
	return 0;
}

/* The kinds of columns, and the header names of each (compared as action names are: case,
 * spaces, '_' and '-' do not matter). GA4 exports name them event_timestamp, event_name,
 * user_pseudo_id and item_id; Segment's warehouses event, user_id / anonymous_id and
 * product_id or sku. */
enum { COL_USER, COL_ITEM, COL_TIME, COL_ACTION, COL_WEIGHT, COL__N };

static const char *const column_names[COL__N][12] = {
	{ "user", "user_id", "uid", "customer", "customer_id", "visitorid", "user_pseudo_id",
		"anonymous_id", NULL },
	{ "item", "item_id", "product", "product_id", "movieid", "sku", NULL },
	{ "timestamp", "time", "ts", "datetime", "date", "event_time", "event_timestamp", NULL },
	{ "action", "event", "type", "event_type", "behavior", "behaviour", "event_name", "event_text",
		NULL },
	{ "weight", "rating", "value", "count", "score", "amount", NULL },
};

static int same_header(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '_' || *a == '-')
			a++;
		while (*b == ' ' || *b == '_' || *b == '-')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

static int column_of(const char *h)
{
	int c, i;
	for (c = 0; c < COL__N; c++)
		for (i = 0; column_names[c][i]; i++)
			if (same_header(h, column_names[c][i]))
				return c;
	return -1;
}

/* One log being read. */
typedef struct {
	kgr_store *s;
	const char *path;
	const kgr_interaction_options *o;
	reader r;
	char delim;
	int col[COL__N];         /* the column of each kind, -1 when absent */
	int ucol[MAX_FIELDS];    /* the user columns, pseudonymous ids last: a row's first
	                          * non-empty one is its user */
	int n_ucol;
	char time_name[64];      /* the header's name of the time column */
	kgr__action_map *map;
	kgr__item_index *items;
	kgr_interaction_report rep;
	kgr__buf ubuf, ibuf, ebuf, tbuf, abuf;
	char why[400];
	int why_code;            /* the code of a bad row: KGR_EPARSE, or KGR_ENOTFOUND (an item) */
} loader;

/* What the action column says: *act is the action's IRI in abuf (an IRI as written, a name
 * of the table or of the action map, or a new action under .../action/ for a name neither
 * knows); 1 = a known action, 2 = a new one, 0 = not recorded (a refund), <0 KGR_ENOMEM. */
static int action_iri(loader *L, const char *act)
{
	const char *a;
	kgr__action_kind k;
	kgr__buf *out = &L->abuf;
	out->len = 0;
	if (looks_like_iri(act))
		return to_iri(out, "", act) < 0 ? KGR_ENOMEM : 1;
	k = kgr__action_resolve(L->map, act, &a);
	if (k == KGR__ACTION_NOT_RECORDED)
		return 0;
	if (k == KGR__ACTION_KNOWN) {
		if (strchr(a, ':'))
			return to_iri(out, "", a) < 0 ? KGR_ENOMEM : 1;
		if (kgr__buf_append(out, KGR_NS, strlen(KGR_NS)) < 0 || kgr__buf_append(out, a, strlen(a)) < 0)
			return KGR_ENOMEM;
		return 1;
	}
	L->tbuf.len = 0;
	if (to_iri(&L->tbuf, "https://w3id.org/kgrec/action/", act) < 0 ||
		kgr__buf_append(out, L->tbuf.s, L->tbuf.len) < 0)
		return KGR_ENOMEM;
	return 2;
}

/* NULL when the IRI made of a column is one N-Triples can carry; else why, into buf, naming
 * the column (1-based) and the value. */
static const char *bad_iri(char *buf, size_t size, const kgr__buf *iri, int column, const char *name,
	const char *value)
{
	const char *why = kgr__iri_problem(iri->s, iri->len);
	if (!why)
		return NULL;
	snprintf(buf, size, "column %d (%s): '%.120s' is not a valid IRI: %s", column + 1, name, value, why);
	return buf;
}

/* How an event's item was found. */
enum { ITEM_NEW, ITEM_BY_IRI, ITEM_BY_NAME, ITEM_BY_CODE };

/* The item column -> its IRI in ibuf: a catalog product when the value names one (its IRI,
 * item_base + id, the local name of its IRI, its SKU, product id or GTIN), else the IRI as
 * written or item_base + id. Returns an ITEM_* or KGR_ENOMEM; *ambiguous when a key named
 * several products. */
static int item_iri(loader *L, const char *v, int *ambiguous)
{
	kgr__match_kind how;
	kgr_id id;
	size_t base_len = strlen(L->o->item_base);
	const char *pv;
	size_t pn;

	*ambiguous = 0;
	if (to_iri(&L->ibuf, L->o->item_base, v) < 0)
		return KGR_ENOMEM;
	id = kgr__find(L->s, KGR_TERM_IRI, L->ibuf.s, L->ibuf.len, NULL, 0, 0);
	if (kgr__item_index_is_product(L->items, id))
		return ITEM_BY_IRI;
	if (looks_like_iri(v))
		return ITEM_NEW;
	id = kgr__item_index_find(L->items, L->s, v, L->ibuf.s + base_len, &how, ambiguous);
	if (!id)
		return ITEM_NEW;
	pv = kgr_term_value(L->s, id, &pn);
	L->ibuf.len = 0;
	if (kgr__buf_append(&L->ibuf, pv, pn) < 0)
		return KGR_ENOMEM;
	return how == KGR__MATCH_LOCAL ? ITEM_BY_NAME : ITEM_BY_CODE;
}

/* Keep @p v as one of up to @p n_ex distinct examples, slots of @p width bytes at ex. */
static void example(char *ex, size_t n_ex, size_t width, const char *v)
{
	size_t i;
	for (i = 0; i < n_ex; i++) {
		char *slot = ex + i * width;
		if (!slot[0]) {
			snprintf(slot, width, "%s", v);
			return;
		}
		if (!strncmp(slot, v, width - 1))
			return;
	}
}

/* One interaction as RDF: an event node named by a hash of what it says (the same event twice
 * is one event) with its user, item, action, time and weight, the user typed, and a new
 * action declared a sub-property of kgr:interactedWith. 0, or KGR_ENOMEM. */
static int add_event(kgr_store *s, const kgr__buf *ubuf, const kgr__buf *ibuf, const kgr__buf *abuf,
	kgr__buf *ebuf, int new_action, int64_t t, int has_w, double w)
{
	char wbuf[64], tiso[40];
	kgr_id u, it, e, a, tl, wl = 0;
	uint64_t h;

	kgr__format_time(t, tiso, sizeof(tiso));
	/* the event's IRI is a hash of what it says: the same event twice is one event */
	ebuf->len = 0;
	if (kgr__buf_append(ebuf, ubuf->s, ubuf->len) < 0 || kgr__buf_append(ebuf, "\t", 1) < 0 ||
		kgr__buf_append(ebuf, ibuf->s, ibuf->len) < 0 || kgr__buf_append(ebuf, "\t", 1) < 0 ||
		kgr__buf_append(ebuf, tiso, strlen(tiso)) < 0 || kgr__buf_append(ebuf, "\t", 1) < 0 ||
		kgr__buf_append(ebuf, abuf->s, abuf->len) < 0) {
		return KGR_ENOMEM;
	}
	h = kgr__hash64(ebuf->s, ebuf->len, 0x6b677265);
	snprintf(wbuf, sizeof(wbuf), "urn:kgrec:event:%016llx", (unsigned long long)h);
	u = kgr__intern(s, KGR_TERM_IRI, ubuf->s, ubuf->len, NULL, 0, 0);
	it = kgr__intern(s, KGR_TERM_IRI, ibuf->s, ibuf->len, NULL, 0, 0);
	e = kgr__intern_iri(s, wbuf);
	a = kgr__intern(s, KGR_TERM_IRI, abuf->s, abuf->len, NULL, 0, 0);
	tl = kgr__intern(s, KGR_TERM_LITERAL, tiso, strlen(tiso), NULL, 0, KGR__XSD_DATETIME);
	if (has_w) {
		snprintf(wbuf, sizeof(wbuf), "%.17g", w);
		if (!strchr(wbuf, '.') && !strchr(wbuf, 'e') && !strchr(wbuf, 'n') && !strchr(wbuf, 'i'))
			strcat(wbuf, ".0");
		wl = kgr__intern(s, KGR_TERM_LITERAL, wbuf, strlen(wbuf), NULL, 0, KGR__XSD_DOUBLE);
		if (!wl) {
			return KGR_ENOMEM;
		}
	}
	if (!u || !it || !e || !a || !tl || kgr__add_quad(s, e, KGR__RDF_TYPE, KGR__KGR_INTERACTION, 0) < 0 ||
		kgr__add_quad(s, e, KGR__KGR_USER, u, 0) < 0 || kgr__add_quad(s, e, KGR__KGR_ITEM, it, 0) < 0 ||
		kgr__add_quad(s, e, KGR__KGR_ACTION, a, 0) < 0 || kgr__add_quad(s, e, KGR__KGR_TIME, tl, 0) < 0 ||
		(wl && kgr__add_quad(s, e, KGR__KGR_WEIGHT, wl, 0) < 0) ||
		kgr__add_quad(s, u, KGR__RDF_TYPE, KGR__KGR_USERCLASS, 0) < 0) {
		return KGR_ENOMEM;
	}
	if (a > KGR__WELL_KNOWN_END && new_action) {
		/* a new action: typed, and a sub-property of kgr:interactedWith like the others */
		if (kgr__add_quad(s, a, KGR__RDF_TYPE, KGR__KGR_ACTIONCLASS, 0) < 0 ||
			kgr__add_quad(s, a, KGR__RDFS_SUBPROPERTYOF, KGR__KGR_INTERACTEDWITH, 0) < 0) {
			return KGR_ENOMEM;
		}
	}
	return 0;
}

/* The delimiter of a log: the one asked for, a tab for a .tsv file, else the most frequent of
 * tab, semicolon and comma in the header (a comma when it has none). */
static char guess_delimiter(const char *path, const char *header)
{
	size_t n = strlen(path), n_tab = 0, n_semi = 0, n_comma = 0;
	const char *p;
	if (n > 4 && !strcasecmp(path + n - 4, ".tsv"))
		return '\t';
	for (p = header; *p; p++) {
		n_tab += *p == '\t';
		n_semi += *p == ';';
		n_comma += *p == ',';
	}
	if (n_tab && n_tab >= n_semi && n_tab >= n_comma)
		return '\t';
	return n_semi > n_comma ? ';' : ',';
}

static const char *delimiter_name(char d)
{
	return d == '\t' ? "tab" : d == ';' ? "semicolon" : d == ',' ? "comma" : "the delimiter given";
}

/* A device's or a visitor's id (GA4's user_pseudo_id, Segment's anonymous_id): the user of a
 * row only when the row has no other user id (user_id, customer ...). */
static int pseudonymous(const char *h)
{
	return same_header(h, "user_pseudo_id") || same_header(h, "anonymous_id");
}

/* The delimiter and the column of each kind named by the header line (split in place; a
 * UTF-8 byte order mark before it is dropped). KGR_EPARSE when user, item or timestamp is
 * missing, naming the delimiter the header was split at. */
static int header_columns(loader *L)
{
	char *f[MAX_FIELDS], *line = L->r.line;
	int nf, i;
	if (!strncmp(line, "\xEF\xBB\xBF", 3))
		line += 3;
	L->delim = L->o->delimiter ? L->o->delimiter : guess_delimiter(L->path, line);
	for (i = 0; i < COL__N; i++)
		L->col[i] = -1;
	nf = split(line, L->delim, f, MAX_FIELDS);
	for (i = 0; i < nf; i++) {
		int c = column_of(f[i]);
		if (c == COL_USER && !pseudonymous(f[i]))
			L->ucol[L->n_ucol++] = i;
		if (c >= 0 && L->col[c] < 0)
			L->col[c] = i;
	}
	for (i = 0; i < nf; i++)
		if (column_of(f[i]) == COL_USER && pseudonymous(f[i]))
			L->ucol[L->n_ucol++] = i;
	if (L->n_ucol)
		L->col[COL_USER] = L->ucol[0];
	if (L->col[COL_TIME] >= 0)
		snprintf(L->time_name, sizeof(L->time_name), "%s", f[L->col[COL_TIME]]);
	if (L->col[COL_USER] < 0 || L->col[COL_ITEM] < 0 || L->col[COL_TIME] < 0) {
		kgr__buf got = { 0 };
		for (i = 0; i < (nf < 0 ? MAX_FIELDS : nf) && got.len < 300; i++)
			kgr__buf_printf(&got, "%s'%.60s'", i ? ", " : "", f[i]);
		kgr__error_set(KGR_EPARSE, "%s:1: header must name the columns user, item and timestamp "
			"(and optionally action, weight); split at each %s ('%s', %s) it has the columns %s%s",
			L->path, delimiter_name(L->delim), L->delim == '\t' ? "\\t" : (char[]){ L->delim, 0 },
			L->o->delimiter ? "as given" : "guessed from the header", got.s ? got.s : "''",
			nf < 0 || i < nf ? ", ..." : "");
		kgr__buf_free(&got);
		return KGR_EPARSE;
	}
	return 0;
}

/* A bad row: skipped and counted with skip_bad_rows, else the error, naming the line. */
static int bad_row(loader *L, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad_row(loader *L, int code, const char *fmt, ...)
{
	va_list ap;
	if (L->o->skip_bad_rows) {
		L->rep.skipped++;
		return 0;
	}
	va_start(ap, fmt);
	vsnprintf(L->why, sizeof(L->why), fmt, ap);
	va_end(ap);
	return kgr__error_set(code, "%s:%ld: %s", L->path, L->r.lineno, L->why);
}

/* The column of a row's user: its first user column that is not empty, else the first. */
static int row_user(const loader *L, char **f, int nf)
{
	int i;
	for (i = 0; i < L->n_ucol; i++)
		if (L->ucol[i] < nf && *f[L->ucol[i]])
			return L->ucol[i];
	return L->ucol[0];
}

/* One data row (split into f[0..nf)) as an event: 0 (loaded, skipped or not recorded), or an
 * error with its message set. */
static int load_row(loader *L, char **f, int nf)
{
	const int *col = L->col;
	const char *user, *item, *act, *why;
	int64_t t;
	double w = 1.0;
	int has_w, act_kind, item_kind, ambiguous, e, ucol, rc;
	char *end;

	if (nf < 0)
		return bad_row(L, KGR_EPARSE, "too many columns");
	if (nf <= col[COL_USER] || nf <= col[COL_ITEM] || nf <= col[COL_TIME])
		return bad_row(L, KGR_EPARSE, "missing column");
	ucol = row_user(L, f, nf);
	user = f[ucol];
	item = f[col[COL_ITEM]];
	act = col[COL_ACTION] >= 0 && nf > col[COL_ACTION] ? f[col[COL_ACTION]] : "";
	if (!*user)
		return bad_row(L, KGR_EPARSE, "empty user");
	if (!*item)
		return bad_row(L, KGR_EPARSE, "empty item");
	if ((act_kind = action_iri(L, act)) < 0)
		return KGR_ENOMEM;
	if (act_kind == 0) {
		L->rep.not_recorded++;
		return 0;
	}
	if ((rc = kgr__parse_log_time(f[col[COL_TIME]], strlen(f[col[COL_TIME]]), L->o->time_unit, &t,
		L->why, sizeof(L->why))) < 0) {
		char msg[sizeof(L->why)];
		memcpy(msg, L->why, sizeof(msg));
		/* an integer whose unit was told by its magnitude: the loader's option can set it */
		return bad_row(L, KGR_EPARSE, "unparseable timestamp '%.80s' in column %d (%s): %s%s",
			f[col[COL_TIME]], col[COL_TIME] + 1, L->time_name, msg,
			rc == -2 && L->o->time_unit == KGR_TIME_UNIT_AUTO && strstr(msg, "out of range: too") == NULL ?
			"; the unit can be set (--time-unit s|ms|us)" : "");
	}
	has_w = col[COL_WEIGHT] >= 0 && nf > col[COL_WEIGHT] && *f[col[COL_WEIGHT]];
	if (has_w && ((w = strtod(f[col[COL_WEIGHT]], &end)), *end != '\0'))
		return bad_row(L, KGR_EPARSE, "weight is not a number");
	if (to_iri(&L->ubuf, L->o->user_base, user) < 0 || (item_kind = item_iri(L, item, &ambiguous)) < 0)
		return KGR_ENOMEM;
	if ((why = bad_iri(L->why, sizeof(L->why), &L->ubuf, ucol, "user", user)) ||
		(why = bad_iri(L->why, sizeof(L->why), &L->ibuf, col[COL_ITEM], "item", item)) ||
		(col[COL_ACTION] >= 0 && (why = bad_iri(L->why, sizeof(L->why), &L->abuf, col[COL_ACTION], "action", act)))) {
		char msg[sizeof(L->why)];
		memcpy(msg, why, sizeof(msg));
		return bad_row(L, KGR_EPARSE, "%s", msg);
	}
	if (item_kind == ITEM_NEW && L->o->strict_items)
		return bad_row(L, KGR_ENOTFOUND, "column %d (item): '%.120s' is not a catalog product%s "
			"(looked up by IRI, the local name of product IRIs, schema:sku, schema:productID "
			"and schema:gtin*)", col[COL_ITEM] + 1, item,
			ambiguous ? ": it names several" : "");
	if ((e = add_event(L->s, &L->ubuf, &L->ibuf, &L->abuf, &L->ebuf, act_kind == 2, t, has_w, w)) < 0)
		return e;
	L->rep.events++;
	if (act_kind == 2) {
		L->rep.unknown_actions++;
		example(L->rep.unknown[0], 3, sizeof(L->rep.unknown[0]), act);
	}
	switch (item_kind) {
	case ITEM_BY_IRI: L->rep.items_by_iri++; break;
	case ITEM_BY_NAME: L->rep.items_by_name++; break;
	case ITEM_BY_CODE: L->rep.items_by_code++; break;
	default:
		L->rep.items_unmatched++;
		example(L->rep.unmatched[0], 3, sizeof(L->rep.unmatched[0]), item);
	}
	return 0;
}

/* The rows after the header; 0, or the first error with its message set. */
static int load_rows(loader *L)
{
	char *f[MAX_FIELDS];
	int r_ok, error;
	while ((r_ok = read_line(&L->r)) > 0) {
		if (L->r.len == 0)
			continue;
		if ((error = load_row(L, f, split(L->r.line, L->delim, f, MAX_FIELDS))) < 0)
			return error;
		if (L->s->progress && (L->r.lineno & 0xffff) == 0)
			L->s->progress((uint64_t)gzoffset(L->r.f), 0, L->s->progress_payload);
	}
	if (r_ok < 0)
		return kgr__error_set(KGR_ENOMEM, "%s: out of memory", L->path);
	{
		int zerr;
		const char *zmsg = gzerror(L->r.f, &zerr);
		if (zerr != Z_OK && zerr != Z_STREAM_END)
			return kgr__error_set(KGR_ECORRUPT, "%s:%ld: %s", L->path, L->r.lineno, zmsg);
	}
	if (L->rep.events == 0 && L->rep.skipped == 0 && L->rep.not_recorded == 0)
		return kgr__error_set(KGR_EPARSE, "%s: no interaction rows after the header", L->path);
	return 0;
}

int kgr_store_load_interactions(kgr_store *s, const char *path, const kgr_interaction_options *opts)
{
	kgr_interaction_options dflt = KGR_INTERACTION_OPTIONS_INIT;
	loader L;
	int error = 0;
	size_t n_terms = s->n_terms, n_quads = s->n_quads, blob_len = s->blob_len;
	struct stat st;

	if (!opts)
		opts = &dflt;
	KGR__CHECK_VERSION(opts, KGR_INTERACTION_OPTIONS_VERSION, "interactions");
	if (opts->report_out)
		memset(opts->report_out, 0, sizeof(*opts->report_out));
	if (s->finalized)
		return kgr__error_set(KGR_EINVALID, "%s: the store is finalized; load before finalizing", path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) /* gzopen() takes a directory */
		return kgr__error_set(KGR_EIO, "%s: is a directory", path);
	memset(&L, 0, sizeof(L));
	L.s = s;
	L.path = path;
	L.o = opts;
	if (opts->action_map && (error = kgr__action_map_load(&L.map, opts->action_map)) < 0)
		return error;
	L.r.f = gzopen(path, "rb");
	if (!L.r.f) {
		error = kgr__error_set(errno == ENOENT ? KGR_ENOTFOUND : KGR_EIO, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (read_line(&L.r) <= 0) {
		error = kgr__error_set(KGR_EPARSE, "%s: empty file (expected a header row user,item,timestamp[,action][,weight])", path);
		goto cleanup;
	}
	if ((error = header_columns(&L)) < 0)
		goto cleanup;
	L.rep.delimiter = L.delim;
	if ((error = kgr__item_index_build(&L.items, s)) < 0)
		goto cleanup;
	L.rep.catalog_items = kgr__item_index_products(L.items);
	kgr__add_prefix(s, "user", opts->user_base);
	kgr__add_prefix(s, "item", opts->item_base);
	if ((error = load_rows(&L)) < 0)
		goto cleanup;
	if (opts->skipped_out)
		*opts->skipped_out = L.rep.skipped;
cleanup:
	if (error) {
		if (error == KGR_ENOMEM && !kgr_error_last()[0])
			kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
		kgr__rollback(s, n_terms, n_quads, blob_len);
	}
	if (opts->report_out)
		*opts->report_out = L.rep;
	if (L.r.f)
		gzclose(L.r.f);
	free(L.r.line);
	kgr__buf_free(&L.ubuf);
	kgr__buf_free(&L.ibuf);
	kgr__buf_free(&L.ebuf);
	kgr__buf_free(&L.tbuf);
	kgr__buf_free(&L.abuf);
	kgr__action_map_free(L.map);
	kgr__item_index_free(L.items);
	return error;
}
