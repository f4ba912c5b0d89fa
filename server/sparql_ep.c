/* /sparql: the SPARQL 1.1 Protocol over the snapshot in service.
 *
 * Query by GET ?query=, by form POST (application/x-www-form-urlencoded, query=) or by an
 * application/sparql-query body. Updates (update= or application/sparql-update, or a query
 * whose first keyword after the prologue is an update operation) are refused with 403.
 * Results by Accept: SPARQL JSON (default), SPARQL XML (what rasqal's `roqet -p` asks for;
 * converted here from the JSON results), CSV, TSV; Turtle (default) or N-Triples for
 * CONSTRUCT / DESCRIBE, or RDF/XML or JSON-LD. librdf is not thread-safe: queries run one at a time behind
 * sparql_mu, each with a time limit and a row limit. */
#include "server/internal.h"
#include "kgrec/sparql.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- query form ---- */

static const char *skip_ws(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		return p;
	}
}

static int kw(const char *p, const char *word)
{
	size_t n = strlen(word);
	return !strncasecmp(p, word, n) && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

kgr__qform kgr__sparql_form(const char *q)
{
	static const char *const updates[] = { "INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP",
		"COPY", "MOVE", "ADD", "WITH", NULL };
	const char *const *u;
	const char *p = skip_ws(q);
	/* the prologue: BASE <iri> and PREFIX name: <iri>, any number, in any order */
	for (;;) {
		if (kw(p, "BASE")) {
			p = strchr(p, '>');
			if (!p)
				return KGR__Q_UNKNOWN;
			p = skip_ws(p + 1);
		} else if (kw(p, "PREFIX")) {
			p = strchr(p, '>');
			if (!p)
				return KGR__Q_UNKNOWN;
			p = skip_ws(p + 1);
		} else {
			break;
		}
	}
	if (kw(p, "SELECT"))
		return KGR__Q_SELECT;
	if (kw(p, "ASK"))
		return KGR__Q_ASK;
	if (kw(p, "CONSTRUCT"))
		return KGR__Q_CONSTRUCT;
	if (kw(p, "DESCRIBE"))
		return KGR__Q_DESCRIBE;
	for (u = updates; *u; u++)
		if (kw(p, *u))
			return KGR__Q_UPDATE;
	return KGR__Q_UNKNOWN;
}

/* ---- Accept negotiation ---- */

typedef struct {
	const char *type;
	kgr__fmt fmt;
	int graph; /* 1: a graph syntax (CONSTRUCT/DESCRIBE), 0: a results syntax */
} media;

static const media medias[] = {
	{ "application/sparql-results+json", KGR__FMT_JSON, 0 },
	{ "application/json", KGR__FMT_JSON, 0 },
	{ "application/sparql-results+xml", KGR__FMT_XML, 0 },
	{ "application/xml", KGR__FMT_XML, 0 },
	{ "text/xml", KGR__FMT_XML, 0 },
	{ "text/csv", KGR__FMT_CSV, 0 },
	{ "text/tab-separated-values", KGR__FMT_TSV, 0 },
	{ "text/turtle", KGR__FMT_TURTLE, 1 },
	{ "application/x-turtle", KGR__FMT_TURTLE, 1 },
	{ "application/n-triples", KGR__FMT_NTRIPLES, 1 },
	{ "text/plain", KGR__FMT_NTRIPLES, 1 },
	/* SPARQLWrapper's default for CONSTRUCT and DESCRIBE */
	{ "application/rdf+xml", KGR__FMT_RDFXML, 1 },
	{ "application/xml", KGR__FMT_RDFXML, 1 },
	{ "text/xml", KGR__FMT_RDFXML, 1 },
	{ "application/ld+json", KGR__FMT_JSONLD, 1 },
	{ "application/x-json+ld", KGR__FMT_JSONLD, 1 },
	{ "application/json", KGR__FMT_JSONLD, 1 },
};

kgr__fmt kgr__sparql_negotiate(const char *accept, kgr__qform form)
{
	int graph = form == KGR__Q_CONSTRUCT || form == KGR__Q_DESCRIBE;
	kgr__fmt dflt = graph ? KGR__FMT_TURTLE : KGR__FMT_JSON, best = KGR__FMT_NONE;
	double best_q = 0;
	const char *p = accept;
	if (!accept || !*accept)
		return dflt;
	while (*p) {
		char type[128];
		size_t n = 0, i;
		double q = 1.0;
		kgr__fmt f = KGR__FMT_NONE;
		while (*p == ' ' || *p == ',')
			p++;
		while (*p && *p != ',' && *p != ';' && *p != ' ' && n < sizeof(type) - 1)
			type[n++] = (char)tolower((unsigned char)*p++);
		type[n] = '\0';
		while (*p && *p != ',') {
			if (*p == ';') {
				const char *a = p + 1;
				while (*a == ' ')
					a++;
				if (a[0] == 'q' && a[1] == '=')
					q = strtod(a + 2, NULL);
			}
			p++;
		}
		if (!n)
			continue;
		if (!strcmp(type, "*/*") || (!graph && !strcmp(type, "application/*")) ||
			(graph && !strcmp(type, "text/*"))) {
			f = dflt;
		} else {
			for (i = 0; i < sizeof(medias) / sizeof(medias[0]); i++)
				if (!strcmp(type, medias[i].type) && medias[i].graph == graph) {
					f = medias[i].fmt;
					break;
				}
		}
		/* strictly greater: among equal q the first listed wins */
		if (f != KGR__FMT_NONE && q > best_q) {
			best = f;
			best_q = q;
		}
	}
	return best;
}

static const char *fmt_content_type(kgr__fmt f)
{
	switch (f) {
	case KGR__FMT_JSON: return "application/sparql-results+json";
	case KGR__FMT_XML: return "application/sparql-results+xml";
	case KGR__FMT_CSV: return "text/csv; charset=utf-8";
	case KGR__FMT_TSV: return "text/tab-separated-values; charset=utf-8";
	case KGR__FMT_TURTLE: return "text/turtle; charset=utf-8";
	case KGR__FMT_NTRIPLES: return "application/n-triples";
	case KGR__FMT_RDFXML: return "application/rdf+xml";
	case KGR__FMT_JSONLD: return "application/ld+json";
	default: return "application/octet-stream";
	}
}

/* ---- SPARQL JSON results -> SPARQL XML results ---- */

static void xesc(kgr__buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': kgr__buf_puts(b, "&lt;"); break;
		case '>': kgr__buf_puts(b, "&gt;"); break;
		case '&': kgr__buf_puts(b, "&amp;"); break;
		case '"': kgr__buf_puts(b, "&quot;"); break;
		default: kgr__buf_put(b, s, 1); break;
		}
	}
}

static char *json_to_xml(const char *json, size_t len, size_t *len_out)
{
	cJSON *root = cJSON_ParseWithLength(json, len), *vars, *v, *res, *bool_;
	kgr__buf b = { 0 };
	if (!root)
		return NULL;
	kgr__buf_puts(&b, "<?xml version=\"1.0\"?>\n<sparql xmlns=\"http://www.w3.org/2005/sparql-results#\">\n<head>\n");
	vars = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "head"), "vars");
	cJSON_ArrayForEach(v, vars) {
		if (cJSON_IsString(v)) {
			kgr__buf_puts(&b, "  <variable name=\"");
			xesc(&b, v->valuestring);
			kgr__buf_puts(&b, "\"/>\n");
		}
	}
	kgr__buf_puts(&b, "</head>\n");
	bool_ = cJSON_GetObjectItemCaseSensitive(root, "boolean");
	if (cJSON_IsBool(bool_)) {
		kgr__buf_puts(&b, cJSON_IsTrue(bool_) ? "<boolean>true</boolean>\n" : "<boolean>false</boolean>\n");
	} else {
		const cJSON *row;
		res = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "results"),
			"bindings");
		kgr__buf_puts(&b, "<results>\n");
		cJSON_ArrayForEach(row, res) {
			const cJSON *bnd;
			kgr__buf_puts(&b, "  <result>\n");
			cJSON_ArrayForEach(bnd, row) {
				const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bnd, "type"));
				const char *val = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bnd, "value"));
				const char *lang = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bnd, "xml:lang"));
				const char *dt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bnd, "datatype"));
				if (!type || !val)
					continue;
				kgr__buf_puts(&b, "    <binding name=\"");
				xesc(&b, bnd->string);
				kgr__buf_puts(&b, "\">");
				if (!strcmp(type, "uri")) {
					kgr__buf_puts(&b, "<uri>");
					xesc(&b, val);
					kgr__buf_puts(&b, "</uri>");
				} else if (!strcmp(type, "bnode")) {
					kgr__buf_puts(&b, "<bnode>");
					xesc(&b, val);
					kgr__buf_puts(&b, "</bnode>");
				} else {
					kgr__buf_puts(&b, "<literal");
					if (lang) {
						kgr__buf_puts(&b, " xml:lang=\"");
						xesc(&b, lang);
						kgr__buf_puts(&b, "\"");
					} else if (dt) {
						kgr__buf_puts(&b, " datatype=\"");
						xesc(&b, dt);
						kgr__buf_puts(&b, "\"");
					}
					kgr__buf_puts(&b, ">");
					xesc(&b, val);
					kgr__buf_puts(&b, "</literal>");
				}
				kgr__buf_puts(&b, "</binding>\n");
			}
			kgr__buf_puts(&b, "  </result>\n");
		}
		kgr__buf_puts(&b, "</results>\n");
	}
	kgr__buf_puts(&b, "</sparql>\n");
	cJSON_Delete(root);
	*len_out = b.len;
	return kgr__buf_take(&b);
}

/* ---- execution ---- */

typedef struct {
	int timed_out;
	int truncated;
} exec_info;

static kgr_sparql_format to_sparql_format(kgr__fmt f)
{
	switch (f) {
	case KGR__FMT_CSV: return KGR_SPARQL_FORMAT_CSV;
	case KGR__FMT_TSV: return KGR_SPARQL_FORMAT_TSV;
	case KGR__FMT_TURTLE: return KGR_SPARQL_FORMAT_TURTLE;
	case KGR__FMT_NTRIPLES: return KGR_SPARQL_FORMAT_NTRIPLES;
	case KGR__FMT_RDFXML: return KGR_SPARQL_FORMAT_RDFXML;
	case KGR__FMT_JSONLD: return KGR_SPARQL_FORMAT_JSONLD;
	default: return KGR_SPARQL_FORMAT_JSON;
	}
}

/* Run one query on a store and return the serialised result; *fmt may change when the query
 * form turns out other than the prologue scan said (a graph for a results format, or the
 * reverse). The one place that knows the SPARQL module's API. */
static int run_query(kgr_server *srv, const kgr_store *store, const char *query, kgr__fmt *fmt,
	char **out, size_t *len_out, exec_info *info)
{
	kgr_sparql_options so = KGR_SPARQL_OPTIONS_INIT;
	kgr_sparql_result *res = NULL;
	FILE *mf;
	char *buf = NULL;
	size_t len = 0;
	int err, graph;

	so.max_rows = srv->opts.sparql_max_rows;
	so.timeout_ms = srv->opts.sparql_timeout_ms;
	if ((err = kgr_sparql_query(&res, store, query, &so)) < 0) {
		info->timed_out = err == KGR_ETIMEOUT;
		return err;
	}
	info->truncated = kgr_sparql_result_truncated(res);
	graph = kgr_sparql_result_kind(res) == KGR_SPARQL_GRAPH;
	if (graph && *fmt != KGR__FMT_TURTLE && *fmt != KGR__FMT_NTRIPLES && *fmt != KGR__FMT_RDFXML &&
		*fmt != KGR__FMT_JSONLD)
		*fmt = KGR__FMT_TURTLE;
	else if (!graph && (*fmt == KGR__FMT_TURTLE || *fmt == KGR__FMT_NTRIPLES || *fmt == KGR__FMT_RDFXML ||
				   *fmt == KGR__FMT_JSONLD))
		*fmt = KGR__FMT_JSON;
	mf = open_memstream(&buf, &len);
	if (!mf) {
		kgr_sparql_result_free(res);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	err = kgr_sparql_write(res, mf, to_sparql_format(*fmt));
	if (fclose(mf) != 0 && err == 0)
		err = kgr__error_set(KGR_ENOMEM, "out of memory writing the results");
	kgr_sparql_result_free(res);
	if (err < 0) {
		free(buf);
		return err;
	}
	*out = buf;
	*len_out = len;
	return 0;
}

/* The query text, from whichever of the protocol's three ways the client sent it; an update
 * sent as one (update=, application/sparql-update) is refused before any text is read.
 * Returns 0 with *out set (the caller frees it), or -1 with the error reply written. */
static int query_of(char **out, const kgr__req *req, kgr__resp *resp)
{
	const char *ct = req->content_type;
	char *query = NULL;
	int count = 0;

	*out = NULL;
	if (!strcmp(req->method, "GET")) {
		const char *q = req->arg(req->arg_ctx, "query");
		if (req->arg(req->arg_ctx, "update")) {
			kgr__resp_error(resp, 403, "update_forbidden", "SPARQL Update is not allowed on this "
				"endpoint (read-only)");
			return -1;
		}
		if (!q || !*q) {
			kgr__resp_error(resp, 400, "missing_query", "no query: send ?query=<SPARQL> (GET), a "
				"form field query= (POST) or an application/sparql-query body");
			return -1;
		}
		query = strdup(q);
	} else if (ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
		char *upd = kgr__form_value(req->body, req->body_len, "update", NULL);
		if (upd) {
			free(upd);
			kgr__resp_error(resp, 403, "update_forbidden", "SPARQL Update is not allowed on this "
				"endpoint (read-only)");
			return -1;
		}
		query = kgr__form_value(req->body, req->body_len, "query", &count);
		if (!query || !*query) {
			free(query);
			kgr__resp_error(resp, 400, "missing_query", "the form has no query= field");
			return -1;
		}
		if (count > 1) {
			free(query);
			kgr__resp_error(resp, 400, "invalid", "the form has %d query= fields; send exactly one",
				count);
			return -1;
		}
	} else if (ct && !strncasecmp(ct, "application/sparql-query", 24)) {
		query = strndup(req->body, req->body_len);
	} else if (ct && !strncasecmp(ct, "application/sparql-update", 25)) {
		kgr__resp_error(resp, 403, "update_forbidden", "SPARQL Update is not allowed on this "
			"endpoint (read-only)");
		return -1;
	} else {
		kgr__resp_error(resp, 415, "unsupported_media_type", "POST /sparql needs Content-Type "
			"application/x-www-form-urlencoded or application/sparql-query, got '%s'",
			ct ? ct : "(none)");
		return -1;
	}
	if (!query) {
		kgr__resp_error(resp, 503, "out_of_memory", "out of memory");
		return -1;
	}
	*out = query;
	return 0;
}

/* A timeout is the service's own limit and a syntax error the client's mistake, each with its
 * own status; other failures map as everywhere else in the service. */
static void reply_query_error(kgr_server *srv, kgr__resp *resp, int err)
{
	const char *code;
	int status = kgr__status_of(err, &code);
	if (err == KGR_ETIMEOUT) {
		atomic_fetch_add(&srv->metrics.sparql_timeouts, 1);
		kgr__resp_error(resp, 503, "timeout", "the query ran past the time limit of %u ms "
			"(--sparql-timeout)", srv->opts.sparql_timeout_ms);
	} else if (err == KGR_EPARSE) {
		kgr__resp_error(resp, 400, "query_syntax", "%s", kgr_error_last());
	} else {
		kgr__resp_error(resp, status, code, "%s", kgr_error_last());
	}
}

void kgr__handle_sparql(kgr_server *srv, const kgr__req *req, kgr__resp *resp)
{
	char *query = NULL, *body = NULL;
	kgr__qform form;
	kgr__fmt fmt, run_fmt;
	kgr__state *st = NULL;
	exec_info info = { 0, 0 };
	size_t len = 0;
	int err;

	if (query_of(&query, req, resp) < 0)
		return;
	form = kgr__sparql_form(query);
	if (form == KGR__Q_UPDATE) {
		kgr__resp_error(resp, 403, "update_forbidden", "SPARQL Update is not allowed on this "
			"endpoint (read-only)");
		goto cleanup;
	}
	fmt = kgr__sparql_negotiate(req->accept, form);
	if (fmt == KGR__FMT_NONE) {
		kgr__resp_error(resp, 406, "not_acceptable", "cannot produce any of '%s' for a %s query "
			"(results: application/sparql-results+json, application/sparql-results+xml, "
			"text/csv, text/tab-separated-values; graphs: text/turtle, application/n-triples, "
			"application/rdf+xml, application/ld+json)",
			req->accept, form == KGR__Q_CONSTRUCT || form == KGR__Q_DESCRIBE ? "graph" : "SELECT/ASK");
		goto cleanup;
	}
	run_fmt = fmt == KGR__FMT_XML ? KGR__FMT_JSON : fmt;
	st = kgr__state_acquire(srv);
	if (!st) {
		kgr__resp_error(resp, 503, "not_ready", "no snapshot is loaded");
		goto cleanup;
	}
	/* each query runs in a process of its own (kgr_sparql_query): no lock here */
	err = run_query(srv, st->store, query, &run_fmt, &body, &len, &info);
	if (fmt != KGR__FMT_XML || (run_fmt != KGR__FMT_JSON))
		fmt = run_fmt;
	if (info.truncated)
		atomic_fetch_add(&srv->metrics.sparql_truncated, 1);
	if (err < 0) {
		reply_query_error(srv, resp, err);
		goto cleanup;
	}
	if (fmt == KGR__FMT_XML) {
		size_t xlen = 0;
		char *x = json_to_xml(body, len, &xlen);
		free(body);
		body = x;
		len = xlen;
		if (!body) {
			kgr__resp_error(resp, 500, "internal", "could not convert the results to XML");
			goto cleanup;
		}
	}
	resp->status = 200;
	resp->body = body;
	resp->len = len;
	resp->content_type = fmt_content_type(fmt);
	resp->note = info.truncated ? "results cut at the row limit" : NULL;
	/* a cut result says so, or a client cannot tell it from a complete one */
	resp->truncated_at = info.truncated ? srv->opts.sparql_max_rows : 0;
	body = NULL;
cleanup:
	kgr__state_release(st);
	free(body);
	free(query);
}
