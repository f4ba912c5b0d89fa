/* The audit trail through its API: terms in N-Triples syntax round-trip, records written by
 * several threads at once stay whole, verification of an in-process log, and every public
 * function's failure codes and messages. The CLI end to end is tests/audit/t_audit.sh. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common/testutil.h"
#include "kgrec/audit.h"
#include "kgrec/pipeline.h"
#include "kgrec/server.h"
#include "kgrec/sparql.h"
#include "audit/audit_internal.h"

static const char terms_ttl[] =
	"@prefix ex: <http://example.org/> .\n"
	"@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
	"ex:a ex:says \"plain\" , \"caf\\u00e9\"@fr , \"two\\nlines \\\"quoted\\\" back\\\\slash\" ;\n"
	"     ex:count \"5\"^^xsd:integer ; ex:knows ex:b , <http://example.org/with%20space\\u00e9> .\n"
	"_:x ex:p ex:a .\n";

START_TEST(terms_roundtrip)
{
	kgr_store *s = NULL;
	size_t i, n;
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_msg(kgr_store_load_rdf_buffer(s, terms_ttl, strlen(terms_ttl), "turtle", "http://example.org/",
		"terms.ttl") == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	n = kgr_store_term_count(s);
	ck_assert_uint_ge(n, 10);
	for (i = 1; i <= n; i++) {
		char *nt = kgr__audit_nt(s, (kgr_id)i);
		ck_assert_ptr_nonnull(nt);
		ck_assert_msg(kgr__audit_term(s, nt, NULL) == (kgr_id)i, "term %zu %s does not round-trip", i, nt);
		free(nt);
	}
	{
		const char *why = NULL;
		ck_assert_uint_eq(kgr__audit_term(s, "<http://example.org/nothing>", &why), 0);
		ck_assert_str_eq(why, "no such IRI in the store");
		ck_assert_uint_eq(kgr__audit_term(s, "\"plain\"@de", &why), 0);
		ck_assert_str_eq(why, "no such literal in the store");
		ck_assert_uint_eq(kgr__audit_term(s, "plain", &why), 0);
		ck_assert_str_eq(why, "not an N-Triples term");
		ck_assert_uint_eq(kgr__audit_term(s, "\"bad \\q escape\"", &why), 0);
		ck_assert_str_eq(why, "not an N-Triples term");
		/* \u and \U escapes name the same literal as its UTF-8 text; a surrogate, a short or a
		 * too large escape is no term */
		ck_assert_uint_ne(kgr__audit_term(s, "\"caf\\u00e9\"@fr", NULL), 0);
		ck_assert_uint_eq(kgr__audit_term(s, "\"caf\\U000000E9\"@fr", NULL),
			kgr__audit_term(s, "\"caf\\u00e9\"@fr", NULL));
		ck_assert_uint_eq(kgr__audit_term(s, "\"caf\\u00e\"@fr", &why), 0);
		ck_assert_str_eq(why, "not an N-Triples term");
		ck_assert_uint_eq(kgr__audit_term(s, "\"x\\ud800\"", &why), 0);
		ck_assert_str_eq(why, "not an N-Triples term");
		ck_assert_uint_eq(kgr__audit_term(s, "\"x\\U00110000\"", &why), 0);
		ck_assert_str_eq(why, "not an N-Triples term");
	}
	kgr_store_free(s);
}
END_TEST

/* A store, its graph view and alice's list: what recommend --audit-log logs. */
typedef struct {
	kgr_store *store;
	kgr_graph *graph;
	kgr_recs *recs;
	kgr_rec_options ro;
	kgr_id user;
} fixture;

static void fixture_open(fixture *f)
{
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	memset(f, 0, sizeof(*f));
	f->store = kgr_test_store("retrieval/interactions.csv", "retrieval/shop.ttl", NULL);
	ck_assert_int_eq(kgr_graph_new(&f->graph, f->store, NULL), 0);
	f->user = kgr_store_resolve(f->store, "alice");
	ck_assert_uint_ne(f->user, 0);
	f->ro = ro;
	f->ro.k = 3;
	f->ro.explain = 1;
	ck_assert_int_eq(kgr_recommend(&f->recs, f->graph, f->user, &f->ro), 0);
	ck_assert_uint_eq(f->recs->n, 3);
}

static void fixture_close(fixture *f)
{
	kgr_recs_free(f->recs);
	kgr_graph_free(f->graph);
	kgr_store_free(f->store);
}

static kgr_audit_entry entry_of(fixture *f, const char *id)
{
	kgr_audit_entry e = KGR_AUDIT_ENTRY_INIT;
	e.id = id;
	e.time = 1790000000;
	e.user = f->user;
	e.rec = &f->ro;
	e.candidates = f->recs;
	e.final = f->recs;
	return e;
}

START_TEST(write_and_verify)
{
	fixture f;
	kgr_audit_log *log = NULL;
	kgr_audit_result *r = NULL;
	kgr_audit_entry e;
	char id[65];
	const char *path = kgr_test_tmp("one.log");
	char *text;

	fixture_open(&f);
	remove(path);
	ck_assert_int_eq(kgr_audit_open(&log, path, NULL), 0);
	e = entry_of(&f, NULL);
	ck_assert_msg(kgr_audit_write(log, f.store, &e, id) == 0, "%s", kgr_error_last());
	ck_assert_uint_eq(strlen(id), 32);
	kgr_audit_close(log);
	text = kgr_test_slurp(path, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(!strncmp(text, "{\"v\":1,\"id\":\"", 13), "record starts with its version: %.40s", text);
	ck_assert_ptr_nonnull(strstr(text, id));
	ck_assert_ptr_nonnull(strstr(text, "\"time\":\"2026-09-21T"));
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	ck_assert_ptr_null(strchr(text, '\n') + 1 == text + strlen(text) ? NULL : strchr(text, '\n') + 1);
	free(text);

	ck_assert_int_eq(kgr_audit_verify(&r, path, f.store), 0);
	ck_assert_uint_eq(r->records, 1);
	ck_assert_uint_eq(r->passed, 1);
	ck_assert_uint_eq(r->failed, 0);
	ck_assert_uint_gt(r->edges_checked, 3);
	ck_assert_uint_eq(r->edges_missing, 0);
	ck_assert_uint_eq(r->items_checked, 3);
	kgr_audit_result_free(r);

	ck_assert_int_eq(kgr_audit_replay(&r, path, id, f.store), 0);
	ck_assert_uint_eq(r->records, 1);
	ck_assert_uint_eq(r->passed, 1);
	kgr_audit_result_free(r);
	fixture_close(&f);
}
END_TEST

typedef struct {
	fixture *f;
	kgr_audit_log *log;
	int n, failures;
} writer;

static void *write_many(void *arg)
{
	writer *w = arg;
	int i;
	for (i = 0; i < w->n; i++) {
		kgr_audit_entry e = entry_of(w->f, NULL);
		if (kgr_audit_write(w->log, w->f->store, &e, NULL) != 0)
			w->failures++;
	}
	return NULL;
}

START_TEST(concurrent_writers_never_interleave)
{
	fixture f;
	kgr_audit_log *a = NULL, *b = NULL;
	kgr_audit_result *r = NULL;
	pthread_t th[4];
	writer w[4];
	const char *path = kgr_test_tmp("many.log");
	int i;

	fixture_open(&f);
	remove(path);
	/* two descriptors on one file, as two processes would have */
	ck_assert_int_eq(kgr_audit_open(&a, path, NULL), 0);
	ck_assert_int_eq(kgr_audit_open(&b, path, NULL), 0);
	for (i = 0; i < 4; i++) {
		w[i].f = &f;
		w[i].log = i % 2 ? a : b;
		w[i].n = 25;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	kgr_audit_close(a);
	kgr_audit_close(b);
	ck_assert_int_eq(kgr_audit_verify(&r, path, f.store), 0);
	ck_assert_uint_eq(r->lines, 100);
	ck_assert_uint_eq(r->records, 100);
	ck_assert_uint_eq(r->passed, 100);
	ck_assert_uint_eq(r->truncated, 0);
	kgr_audit_result_free(r);
	fixture_close(&f);
}
END_TEST

START_TEST(failures_name_what_and_where)
{
	fixture f;
	kgr_audit_log *log = NULL;
	kgr_audit_result *r = NULL;
	kgr_audit_options bad = KGR_AUDIT_OPTIONS_INIT;
	kgr_audit_entry e;
	const char *path = kgr_test_tmp("fail.log");
	FILE *out;

	fixture_open(&f);
	ck_assert_int_eq(kgr_audit_open(&log, "/nonexistent-dir/a.log", NULL), KGR_EIO);
	ck_assert_ptr_null(log);
	ck_assert_msg(strstr(kgr_error_last(), "/nonexistent-dir/a.log") != NULL, "%s", kgr_error_last());
	bad.version = 99;
	ck_assert_int_eq(kgr_audit_open(&log, path, &bad), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "audit: options version 99, expected 1");

	ck_assert_int_eq(kgr_audit_open(&log, path, NULL), 0);
	e = entry_of(&f, NULL);
	e.candidates = NULL;
	ck_assert_int_eq(kgr_audit_write(log, f.store, &e, NULL), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(),
		"audit entry: version, options, candidates and final list are required");
	e = entry_of(&f, "0123456789012345678901234567890123456789012345678901234567890123456789");
	ck_assert_int_eq(kgr_audit_write(log, f.store, &e, NULL), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "audit entry: id longer than 64 bytes");
	e = entry_of(&f, "ok-1");
	ck_assert_int_eq(kgr_audit_write(log, f.store, &e, NULL), 0);
	kgr_audit_close(log);
	kgr_audit_close(NULL);

	ck_assert_int_eq(kgr_audit_verify(&r, kgr_test_tmp("none.log"), f.store), KGR_ENOTFOUND);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(kgr_error_last(), "none.log: no such file") != NULL, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_audit_replay(&r, path, "nosuch", f.store), KGR_ENOTFOUND);
	ck_assert_msg(strstr(kgr_error_last(), "no record with id 'nosuch'") != NULL, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_audit_replay(&r, kgr_test_tmp("none.log"), NULL, f.store), KGR_ENOTFOUND);

	out = tmpfile();
	ck_assert_int_eq(kgr_audit_export(path, out, "rdfxml"), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "unknown audit export format 'rdfxml' (turtle, ntriples)");
	ck_assert_int_eq(kgr_audit_export(kgr_test_tmp("none.log"), out, "turtle"), KGR_ENOTFOUND);
	ck_assert_int_eq(kgr_audit_export(path, out, "ntriples"), 0);
	ck_assert_int_gt(ftell(out), 1000);
	fclose(out);

	ck_assert_int_eq(kgr_audit_report_html(path, "/nonexistent-dir/r.html", NULL), KGR_EIO);
	ck_assert_msg(strstr(kgr_error_last(), "/nonexistent-dir/r.html") != NULL, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_audit_report_html(kgr_test_tmp("none.log"), kgr_test_tmp("r.html"), NULL),
		KGR_ENOTFOUND);
	kgr_audit_result_free(NULL);
	fixture_close(&f);
}
END_TEST

START_TEST(garbage_and_cut_lines)
{
	fixture f;
	kgr_audit_log *log = NULL;
	kgr_audit_result *r = NULL;
	kgr_audit_entry e;
	const char *path = kgr_test_tmp("garbage.log");
	FILE *fp;

	fixture_open(&f);
	remove(path);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("not json at all\n{\"v\":1,\"id\":\"cut", fp); /* a line of garbage, then a cut record */
	fclose(fp);
	ck_assert_int_eq(kgr_audit_open(&log, path, NULL), 0); /* ends the cut line */
	e = entry_of(&f, "after");
	ck_assert_int_eq(kgr_audit_write(log, f.store, &e, NULL), 0);
	kgr_audit_close(log);
	ck_assert_int_eq(kgr_audit_verify(&r, path, f.store), 0);
	ck_assert_uint_eq(r->lines, 3);
	ck_assert_uint_eq(r->records, 1);
	ck_assert_uint_eq(r->passed, 1);
	ck_assert_uint_eq(r->truncated, 1);
	ck_assert_uint_eq(r->failed, 1); /* the garbage line */
	ck_assert_uint_eq(r->n_findings, 2);
	ck_assert_uint_eq(r->findings[0].line, 1);
	ck_assert_msg(strstr(r->findings[0].message, "not a JSON object") != NULL, "%s", r->findings[0].message);
	ck_assert_uint_eq(r->findings[1].line, 2);
	ck_assert_msg(strstr(r->findings[1].message, "truncated record") != NULL, "%s", r->findings[1].message);
	kgr_audit_result_free(r);
	fixture_close(&f);
}
END_TEST

START_TEST(llm_rank_traced_failures)
{
	fixture f;
	kgr_llm_options o = KGR_LLM_OPTIONS_INIT;
	kgr_llm_result *res = NULL;
	kgr_llm_trace *trace = NULL;

	fixture_open(&f);
	o.alpha = 2.0;
	ck_assert_int_eq(kgr_llm_rank_traced(&res, &trace, f.store, f.recs, NULL, 0, &o), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "LLM options: alpha 2 is outside 0..1");
	ck_assert_ptr_null(res);
	ck_assert_ptr_null(trace);
	/* no server configured: the graph order, a note, and a trace with no exchange */
	o.alpha = 0.5;
	ck_assert_int_eq(kgr_llm_rank_traced(&res, &trace, f.store, f.recs, NULL, 0, &o), 0);
	ck_assert_int_eq(res->fallback, 1);
	ck_assert_ptr_nonnull(trace);
	ck_assert_uint_eq(trace->n, 0);
	kgr_llm_trace_free(trace);
	kgr_llm_trace_free(NULL);
	kgr_llm_result_free(res);
	fixture_close(&f);
}
END_TEST


/* ---- the request pipeline (kgr_rank_request) ---- */

static int hook_calls[2];
static void hook_begin(void *payload) { (void)payload; hook_calls[0]++; }
static void hook_end(void *payload) { (void)payload; hook_calls[1]++; }

START_TEST(pipeline_graph_order)
{
	fixture f;
	kgr_rank_options o;
	kgr_ranking r;
	size_t i;

	fixture_open(&f);
	kgr_rank_options_init(&o);
	o.rec = f.ro;
	memset(&r, 0, sizeof(r));
	ck_assert_msg(kgr_rank_request(&r, f.graph, f.user, &o) == 0, "%s", kgr_error_last());
	ck_assert_uint_eq(r.recs->n, f.recs->n);
	for (i = 0; i < r.recs->n; i++) {
		ck_assert_uint_eq(r.recs->items[i].item, f.recs->items[i].item);
		ck_assert(r.recs->items[i].score == f.recs->items[i].score);
	}
	ck_assert_ptr_null(r.candidates);
	ck_assert_ptr_null(r.llm);
	ck_assert_str_eq(r.audit_id, "");
	kgr_ranking_clear(&r);
	ck_assert_ptr_null(r.recs);
	kgr_ranking_clear(NULL);

	o.keep_candidates = 1;
	ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), 0);
	ck_assert_uint_eq(r.candidates->n, r.recs->n);
	for (i = 0; i < r.candidates->n; i++) {
		ck_assert_uint_eq(r.candidates->items[i].item, r.recs->items[i].item);
		/* the graph's rationale, a copy the candidate set owns */
		ck_assert_ptr_nonnull(r.candidates->items[i].rationale);
		ck_assert_str_eq(r.candidates->items[i].rationale, r.recs->items[i].rationale);
		ck_assert_ptr_ne(r.candidates->items[i].rationale, r.recs->items[i].rationale);
		ck_assert_ptr_null(r.candidates->items[i].patterns);
	}
	kgr_ranking_clear(&r);

	o.version = 99;
	ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "rank options: options version 99, expected 3");
	kgr_ranking_clear(&r);
	o.version = KGR_RANK_OPTIONS_VERSION;
	o.rec.k = 0;
	ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), KGR_EINVALID);
	ck_assert_int_eq(r.failed, KGR_STAGE_RETRIEVE);
	kgr_ranking_clear(&r);
	fixture_close(&f);
}
END_TEST

START_TEST(pipeline_llm_widen_cut_and_fail)
{
	fixture f;
	kgr_rank_options o = KGR_RANK_OPTIONS_INIT;
	kgr_llm_options lo = KGR_LLM_OPTIONS_INIT;
	kgr_ranking r;

	fixture_open(&f);
	memset(&r, 0, sizeof(r));
	o.rec = f.ro;
	o.rec.k = 2;
	o.llm = &lo;
	o.llm_candidates = 4;
	o.llm_begin = hook_begin;
	o.llm_end = hook_end;
	hook_calls[0] = hook_calls[1] = 0;
	/* no model configured: the ranker keeps the graph order of the widened list, then the cut */
	ck_assert_msg(kgr_rank_request(&r, f.graph, f.user, &o) == 0, "%s", kgr_error_last());
	ck_assert_ptr_nonnull(r.llm);
	ck_assert_uint_gt(r.llm->n, 2);
	ck_assert_uint_eq(r.recs->n, 2);
	ck_assert_int_eq(r.llm->fallback, 1);
	ck_assert_int_eq(hook_calls[0], 1);
	ck_assert_int_eq(hook_calls[1], 1);
	kgr_ranking_clear(&r);

	/* a failing LLM ranking: an error naming the stage, or the graph order with fallback */
	lo.alpha = 2.0;
	ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), KGR_EINVALID);
	ck_assert_int_eq(r.failed, KGR_STAGE_LLM);
	ck_assert_str_eq(kgr_error_last(), "LLM options: alpha 2 is outside 0..1");
	kgr_ranking_clear(&r);
	o.llm_fallback = 1;
	ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), 0);
	ck_assert_int_eq(r.llm_failed, 1);
	ck_assert_str_eq(r.llm_error, "LLM options: alpha 2 is outside 0..1");
	ck_assert_ptr_null(r.llm);
	ck_assert_uint_eq(r.recs->n, 2);
	ck_assert_uint_eq(r.recs->items[0].item, f.recs->items[0].item);
	kgr_ranking_clear(&r);

	/* the request's deadline passed during retrieval: the LLM is not asked */
	lo.alpha = 0.5;
	hook_calls[0] = hook_calls[1] = 0;
	o.deadline_ms = 5;
	o.started_us = kgr_rank_now_us() - 1000000;
	ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), 0);
	ck_assert_int_eq(r.llm_failed, 1);
	ck_assert_str_eq(r.llm_error, "the deadline of 5 ms passed before the LLM was asked");
	ck_assert_int_eq(hook_calls[0], 0);
	kgr_ranking_clear(&r);
	/* time left: the LLM gets it, less the reserve */
	o.deadline_ms = 60000;
	o.started_us = 0;
	o.reserve_ms = 1000;
	ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), 0);
	ck_assert_int_eq(r.llm_failed, 0);
	ck_assert(r.llm_deadline_ms > 58000 && r.llm_deadline_ms <= 59000);
	kgr_ranking_clear(&r);
	fixture_close(&f);
}
END_TEST

START_TEST(pipeline_audit_record)
{
	fixture f;
	kgr_rank_options o = KGR_RANK_OPTIONS_INIT;
	kgr_audit_entry ae = KGR_AUDIT_ENTRY_INIT;
	kgr_audit_log *log = NULL;
	kgr_audit_result *v = NULL;
	kgr_ranking r;
	const char *path = kgr_test_tmp("pipeline.log");
	char *text;

	fixture_open(&f);
	memset(&r, 0, sizeof(r));
	remove(path);
	ck_assert_int_eq(kgr_audit_open(&log, path, NULL), 0);
	o.rec = f.ro;
	o.audit = log;
	ae.id = "req-1";
	ae.user_text = "alice";
	o.audit_entry = &ae;
	ck_assert_msg(kgr_rank_request(&r, f.graph, f.user, &o) == 0, "%s", kgr_error_last());
	ck_assert_str_eq(r.audit_id, "req-1");
	ck_assert_ptr_nonnull(r.candidates);
	kgr_ranking_clear(&r);
	kgr_audit_close(log);
	text = kgr_test_slurp(path, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\"id\":\"req-1\""));
	free(text);
	ck_assert_int_eq(kgr_audit_replay(&v, path, NULL, f.store), 0);
	ck_assert_uint_eq(v->records, 1);
	ck_assert_uint_eq(v->failed, 0);
	kgr_audit_result_free(v);

	/* a record that cannot be written (the file may not grow): the list must not be shown */
	{
		struct rlimit old, lim;
		struct stat sb;
		ck_assert_int_eq(kgr_audit_open(&log, path, NULL), 0);
		ck_assert_int_eq(stat(path, &sb), 0);
		signal(SIGXFSZ, SIG_IGN);
		ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
		lim = old;
		lim.rlim_cur = (rlim_t)sb.st_size;
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
		o.audit = log;
		ae.id = "req-2";
		ck_assert_int_eq(kgr_rank_request(&r, f.graph, f.user, &o), KGR_EIO);
		setrlimit(RLIMIT_FSIZE, &old);
		ck_assert_int_eq(r.failed, KGR_STAGE_AUDIT);
		kgr_ranking_clear(&r);
		kgr_audit_close(log);
	}
	fixture_close(&f);
}
END_TEST

START_TEST(recs_truncate_history_time)
{
	fixture f;
	const kgr_interaction *h;
	size_t n = 99, i;
	int64_t t = 0;

	fixture_open(&f);
	kgr_recs_truncate(f.recs, 10);
	ck_assert_uint_eq(f.recs->n, 3);
	kgr_recs_truncate(f.recs, 1);
	ck_assert_uint_eq(f.recs->n, 1);
	kgr_recs_truncate(NULL, 1);

	h = kgr_store_user_history(f.store, f.user, 0, &n);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_ge(n, 1);
	for (i = 1; i < n; i++)
		ck_assert(h[i - 1].time <= h[i].time);
	ck_assert_ptr_null(kgr_store_user_history(f.store, 0, 0, &n));
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(kgr_time_parse(&t, "2026-01-02T03:04:05Z"), 0);
	ck_assert(t == 1767323045);
	ck_assert_int_eq(kgr_time_parse(&t, "1767323045"), 0);
	ck_assert(t == 1767323045);
	ck_assert_int_eq(kgr_time_parse(&t, "yesterday"), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "'yesterday' is neither epoch seconds nor an ISO-8601 time");

	/* every versioned options struct refuses another version, naming itself */
	{
		kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
		kgr_sparql_options so = KGR_SPARQL_OPTIONS_INIT;
		kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
		kgr_server_options sv = KGR_SERVER_OPTIONS_INIT;
		kgr_graph *g = NULL;
		kgr_sparql_result *sr = NULL;
		kgr_server *srv = NULL;
		kgr_store *st = NULL;
		go.version = so.version = io.version = sv.version = 7;
		ck_assert_int_eq(kgr_graph_new(&g, f.store, &go), KGR_EINVALID);
		ck_assert_str_eq(kgr_error_last(), "graph: options version 7, expected 1");
		ck_assert_int_eq(kgr_sparql_query(&sr, f.store, "ASK {}", &so), KGR_EINVALID);
		ck_assert_str_eq(kgr_error_last(), "SPARQL: options version 7, expected 2");
		ck_assert_int_eq(kgr_store_new(&st, 0), 0);
		ck_assert_int_eq(kgr_store_load_interactions(st, kgr_test_data("retrieval/interactions.csv"), &io),
			KGR_EINVALID);
		ck_assert_str_eq(kgr_error_last(), "interactions: options version 7, expected 2");
		kgr_store_free(st);
		sv.store_path = "x.snap";
		sv.version = KGR_SERVER_OPTIONS_VERSION + 1; /* one the library does not know yet */
		ck_assert_int_eq(kgr_server_new(&srv, &sv), KGR_EINVALID);
		{
			char expect[64];
			snprintf(expect, sizeof(expect), "server: options version %d, expected %d",
				KGR_SERVER_OPTIONS_VERSION + 1, KGR_SERVER_OPTIONS_VERSION);
			ck_assert_str_eq(kgr_error_last(), expect);
		}
	}
	{
		kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
		kgr_train_options to = KGR_TRAIN_OPTIONS_INIT;
		kgr_llm_options lo = KGR_LLM_OPTIONS_INIT;
		kgr_recs *rr = NULL;
		kgr_llm_result *lr = NULL;
		kgr_weights w;
		char want[64];
		ro.version = to.version = lo.version = 7;
		ck_assert_int_eq(kgr_recommend(&rr, f.graph, f.user, &ro), KGR_EINVALID);
		snprintf(want, sizeof(want), "recommend: options version 7, expected %u", KGR_REC_OPTIONS_VERSION);
		ck_assert_str_eq(kgr_error_last(), want);
		ck_assert_int_eq(kgr_weights_train(&w, f.store, &to, NULL), KGR_EINVALID);
		snprintf(want, sizeof(want), "train: options version 7, expected %u", KGR_TRAIN_OPTIONS_VERSION);
		ck_assert_str_eq(kgr_error_last(), want);
		ck_assert_int_eq(kgr_llm_rank(&lr, f.store, f.recs, NULL, 0, &lo), KGR_EINVALID);
		snprintf(want, sizeof(want), "LLM: options version 7, expected %u", KGR_LLM_OPTIONS_VERSION);
		ck_assert_str_eq(kgr_error_last(), want);
		ck_assert_ptr_null(rr);
		ck_assert_ptr_null(lr);
	}
	fixture_close(&f);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, terms_roundtrip);
	tcase_add_test(tc, write_and_verify);
	tcase_add_test(tc, concurrent_writers_never_interleave);
	tcase_add_test(tc, failures_name_what_and_where);
	tcase_add_test(tc, garbage_and_cut_lines);
	tcase_add_test(tc, llm_rank_traced_failures);
	tcase_add_test(tc, pipeline_graph_order);
	tcase_add_test(tc, pipeline_llm_widen_cut_and_fail);
	tcase_add_test(tc, pipeline_audit_record);
	tcase_add_test(tc, recs_truncate_history_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	kgr_init();
	return kgr_test_run_suite(audit_suite());
}
