/* Interaction logs in: CSV/TSV rows `user,item,timestamp[,action][,weight]` become interaction
 * events in RDF (ontologies/kgrec.ttl), so they are queryable like any other triple and the
 * interaction table is derived from the graph at finalize, whatever the input was. */
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

#define MAX_FIELDS 16

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

static const char *action_name(const char *a);

/* action column -> IRI: an IRI as is, a known action (or a synonym) in the kgrec namespace,
 * anything else under .../action/; kept whole however long (tmp is scratch space). */
static int action_iri(kgr__buf *out, kgr__buf *tmp, const char *act)
{
	out->len = 0;
	if (looks_like_iri(act))
		return to_iri(out, "", act);
	if (action_name(act)) {
		if (kgr__buf_append(out, KGR_NS, strlen(KGR_NS)) < 0 ||
			kgr__buf_append(out, action_name(act), strlen(action_name(act))) < 0)
			return KGR_ENOMEM;
		return 0;
	}
	tmp->len = 0;
	if (to_iri(tmp, "https://w3id.org/kgrec/action/", act) < 0 ||
		kgr__buf_append(out, tmp->s, tmp->len) < 0)
		return KGR_ENOMEM;
	return 0;
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

static const char *action_name(const char *a)
{
	static const char *const syn[][2] = {
		{ "view", "view" }, { "views", "view" }, { "pageview", "view" }, { "detail", "view" },
		{ "click", "click" }, { "clicks", "click" },
		{ "cart", "cart" }, { "addtocart", "cart" }, { "add_to_cart", "cart" }, { "add-to-cart", "cart" },
		{ "wishlist", "wishlist" }, { "save", "wishlist" },
		{ "purchase", "purchase" }, { "buy", "purchase" }, { "order", "purchase" },
		{ "transaction", "purchase" }, { "bought", "purchase" },
		{ "rate", "rate" }, { "rating", "rate" }, { "rated", "rate" },
		{ "review", "review" }, { "listen", "listen" }, { "play", "listen" }, { "plays", "listen" },
		{ "tag", "tag" }, { "interact", "interact" }, { "", "interact" },
	};
	size_t i;
	for (i = 0; i < sizeof(syn) / sizeof(syn[0]); i++)
		if (!strcasecmp(a, syn[i][0]))
			return syn[i][1];
	return NULL;
}

enum { COL_USER, COL_ITEM, COL_TIME, COL_ACTION, COL_WEIGHT, COL__N };

static int column_of(const char *h)
{
	static const char *const names[][6] = {
		{ "user", "user_id", "userid", "uid", "customer", "visitorid" },
		{ "item", "item_id", "itemid", "product", "product_id", "movieid" },
		{ "timestamp", "time", "ts", "datetime", "date", "event_time" },
		{ "action", "event", "type", "event_type", "behavior", "behaviour" },
		{ "weight", "rating", "value", "count", "score", "amount" },
	};
	int c, i;
	for (c = 0; c < COL__N; c++)
		for (i = 0; i < 6; i++)
			if (!strcasecmp(h, names[c][i]))
				return c;
	return -1;
}

/* One interaction as RDF: an event node named by a hash of what it says (the same event twice
 * is one event) with its user, item, action, time and weight, the user typed, and a new
 * action declared a sub-property of kgr:interactedWith. 0, or KGR_ENOMEM. */
static int add_event(kgr_store *s, const kgr__buf *ubuf, const kgr__buf *ibuf, const kgr__buf *abuf,
	kgr__buf *ebuf, const char *act, int64_t t, int has_w, double w)
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
	if (a > KGR__WELL_KNOWN_END && !looks_like_iri(act) && !action_name(act)) {
		/* a new action: typed, and a sub-property of kgr:interactedWith like the others */
		if (kgr__add_quad(s, a, KGR__RDF_TYPE, KGR__KGR_ACTIONCLASS, 0) < 0 ||
			kgr__add_quad(s, a, KGR__RDFS_SUBPROPERTYOF, KGR__KGR_INTERACTEDWITH, 0) < 0) {
			return KGR_ENOMEM;
		}
	}
	return 0;
}

/* The delimiter (@p want_delim, or a tab when the header has one or the file is .tsv, else a
 * comma) and the column of each field named by the header @p line (-1 when absent); the
 * header is split in place. KGR_EPARSE when user, item or timestamp is missing. */
static int header_columns(int col[COL__N], char *delim, const char *path, char *line, char want_delim)
{
	char *f[MAX_FIELDS];
	int nf, i;
	*delim = want_delim;
	if (!*delim) {
		size_t n = strlen(path);
		*delim = (strchr(line, '\t') || (n > 4 && !strcasecmp(path + n - 4, ".tsv"))) ? '\t' : ',';
	}
	for (i = 0; i < COL__N; i++)
		col[i] = -1;
	nf = split(line, *delim, f, MAX_FIELDS);
	for (i = 0; i < nf; i++) {
		int c = column_of(f[i]);
		if (c >= 0 && col[c] < 0)
			col[c] = i;
	}
	if (col[COL_USER] < 0 || col[COL_ITEM] < 0 || col[COL_TIME] < 0) {
		return kgr__error_set(KGR_EPARSE,
			"%s:1: header must name the columns user, item and timestamp (and optionally action, weight); got '%s'",
			path, line);
	}
	return 0;
}

int kgr_store_load_interactions(kgr_store *s, const char *path, const kgr_interaction_options *opts)
{
	kgr_interaction_options dflt = KGR_INTERACTION_OPTIONS_INIT;
	reader r = { 0 };
	char *f[MAX_FIELDS];
	int col[COL__N], nf, r_ok, error = 0, has_weight;
	char delim;
	size_t n_terms = s->n_terms, n_quads = s->n_quads, blob_len = s->blob_len, skipped = 0, rows = 0;
	kgr__buf ubuf = { 0 }, ibuf = { 0 }, ebuf = { 0 }, tbuf = { 0 }, abuf = { 0 };
	struct stat st;

	if (!opts)
		opts = &dflt;
	KGR__CHECK_VERSION(opts, KGR_INTERACTION_OPTIONS_VERSION, "interactions");
	if (s->finalized)
		return kgr__error_set(KGR_EINVALID, "%s: the store is finalized; load before finalizing", path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) /* gzopen() takes a directory */
		return kgr__error_set(KGR_EIO, "%s: is a directory", path);
	r.f = gzopen(path, "rb");
	if (!r.f)
		return kgr__error_set(errno == ENOENT ? KGR_ENOTFOUND : KGR_EIO, "%s: %s", path, strerror(errno));
	r_ok = read_line(&r);
	if (r_ok <= 0) {
		error = kgr__error_set(KGR_EPARSE, "%s: empty file (expected a header row user,item,timestamp[,action][,weight])", path);
		goto cleanup;
	}
	if ((error = header_columns(col, &delim, path, r.line, opts->delimiter)) < 0)
		goto cleanup;
	has_weight = col[COL_WEIGHT] >= 0;
	kgr__add_prefix(s, "user", opts->user_base);
	kgr__add_prefix(s, "item", opts->item_base);
	while ((r_ok = read_line(&r)) > 0) {
		int64_t t;
		double w = 1.0;
		const char *act = "";
		char whybuf[320], *end;
		const char *why = NULL;

		if (r.len == 0)
			continue;
		nf = split(r.line, delim, f, MAX_FIELDS);
		if (nf < 0)
			why = "too many columns";
		else if (nf <= col[COL_USER] || nf <= col[COL_ITEM] || nf <= col[COL_TIME])
			why = "missing column";
		else if (!*f[col[COL_USER]])
			why = "empty user";
		else if (!*f[col[COL_ITEM]])
			why = "empty item";
		else if (kgr__parse_time(f[col[COL_TIME]], strlen(f[col[COL_TIME]]), &t) < 0)
			why = "unparseable timestamp";
		else if (has_weight && nf > col[COL_WEIGHT] && *f[col[COL_WEIGHT]] &&
			 ((w = strtod(f[col[COL_WEIGHT]], &end)), *end != '\0'))
			why = "weight is not a number";
		if (!why) {
			act = col[COL_ACTION] >= 0 && nf > col[COL_ACTION] ? f[col[COL_ACTION]] : "";
			if ((error = to_iri(&ubuf, opts->user_base, f[col[COL_USER]])) < 0 ||
				(error = to_iri(&ibuf, opts->item_base, f[col[COL_ITEM]])) < 0 ||
				(error = action_iri(&abuf, &tbuf, act)) < 0)
				goto cleanup;
			why = bad_iri(whybuf, sizeof(whybuf), &ubuf, col[COL_USER], "user", f[col[COL_USER]]);
			if (!why)
				why = bad_iri(whybuf, sizeof(whybuf), &ibuf, col[COL_ITEM], "item", f[col[COL_ITEM]]);
			if (!why && col[COL_ACTION] >= 0)
				why = bad_iri(whybuf, sizeof(whybuf), &abuf, col[COL_ACTION], "action", act);
		}
		if (why) {
			if (opts->skip_bad_rows) {
				skipped++;
				continue;
			}
			error = kgr__error_set(KGR_EPARSE, "%s:%ld: %s%s%s%s", path, r.lineno, why,
				!strcmp(why, "unparseable timestamp") ? " '" : "",
				!strcmp(why, "unparseable timestamp") ? f[col[COL_TIME]] : "",
				!strcmp(why, "unparseable timestamp") ? "' (ISO-8601 or epoch seconds, a real date in the years 1000 to 9999)" : "");
			goto cleanup;
		}
		if ((error = add_event(s, &ubuf, &ibuf, &abuf, &ebuf, act, t,
			     has_weight && nf > col[COL_WEIGHT] && *f[col[COL_WEIGHT]], w)) < 0)
			goto cleanup;
		rows++;
		if (s->progress && (rows & 0xffff) == 0)
			s->progress((uint64_t)gzoffset(r.f), 0, s->progress_payload);
	}
	if (r_ok < 0) {
		error = kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	{
		int zerr;
		const char *zmsg = gzerror(r.f, &zerr);
		if (zerr != Z_OK && zerr != Z_STREAM_END) {
			error = kgr__error_set(KGR_ECORRUPT, "%s:%ld: %s", path, r.lineno, zmsg);
			goto cleanup;
		}
	}
	if (rows == 0 && skipped == 0) {
		error = kgr__error_set(KGR_EPARSE, "%s: no interaction rows after the header", path);
		goto cleanup;
	}
	if (opts->skipped_out)
		*opts->skipped_out = skipped;
cleanup:
	if (error) {
		if (error == KGR_ENOMEM && !kgr_error_last()[0])
			kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
		kgr__rollback(s, n_terms, n_quads, blob_len);
	}
	gzclose(r.f);
	free(r.line);
	free(ubuf.s);
	free(ibuf.s);
	free(ebuf.s);
	free(tbuf.s);
	free(abuf.s);
	return error;
}
