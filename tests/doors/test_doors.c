/* Input refused at the door it comes in by, with the place named, and nothing stored lost:
 * names that are not IRIs, invalid UTF-8, U+0000, trailing bytes after a JSON body, CSV rows,
 * token files. Over real HTTP on loopback (a `kgrec serve` child) and real files. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/helper_http.h"
#include "common/testutil.h"
#include "kgrec/audit.h"
#include "kgrec/server.h"
#include "kgrec/store.h"
#include "ranker/llm_internal.h"

#define TOKEN "supersecret-token-42"
#define SHOP "http://example.org/shop/"

static char *dir, *store, *evlog;

static void setup(void)
{
	dir = th_tmpdir();
	store = th_path(dir, "shop.kgr");
	evlog = th_path(dir, "events.log");
	th_build_store(store, 0);
}

static void teardown(void)
{
	th_rmdir(dir);
	free(dir);
	free(store);
	free(evlog);
}

static void assert_error(th_resp *r, int status, const char *code, const char *needle)
{
	cJSON *j = cJSON_Parse(r->body), *e;
	ck_assert_msg(r->status == status, "expected %d, got %d: %s", status, r->status, r->body);
	ck_assert_msg(j != NULL, "reply is not JSON: %s", r->body);
	e = cJSON_GetObjectItem(j, "error");
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")), code), "code %s: %s",
		cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")), r->body);
	ck_assert_msg(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")), needle) != NULL,
		"message '%s' does not name '%s'", cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")),
		needle);
	cJSON_Delete(j);
	th_resp_free(r);
}

static size_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* ------------------------------------------------------------------ POST /v1/events */

START_TEST(test_event_names_must_be_iris)
{
	th_server s;
	th_resp r;
	size_t logged;
	int status;
	char *out;
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\"}", NULL);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	th_resp_free(&r);
	logged = file_size(evlog);
	ck_assert_uint_gt(logged, 0);

	th_post(&r, &s, "/v1/events", "{\"user\":\"<http://ex.org/a b>\",\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "invalid_user", "event.user: '<http://ex.org/a b>' is not a valid IRI");
	th_post(&r, &s, "/v1/events", "{\"user\":\"http://ex.org/a>b\",\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "invalid_user", "event.user: 'http://ex.org/a>b' is not a valid IRI");
	th_post(&r, &s, "/v1/events", "{\"user\":\"<>\",\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "invalid_user", "event.user: '<>' is not a valid IRI");
	th_post(&r, &s, "/v1/events", "{\"user\":\"http://ex.org/a\\u0000b\",\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "invalid_string", "user: a string contains U+0000");
	th_post(&r, &s, "/v1/events", "{\"events\":[{\"user\":\"zed\",\"item\":\"" SHOP "ball\"},"
		"{\"user\":\"zed\",\"item\":\"<" SHOP "a b>\"}]}", NULL);
	assert_error(&r, 400, "invalid_item", "events[1].item: '<" SHOP "a b>' is not a valid IRI");
	/* nothing of a refused batch is logged */
	ck_assert_uint_eq(file_size(evlog), logged);
	ck_assert_int_eq(th_stop(&s, 15), 0);

	/* and the log still compacts: what was acknowledged is kept */
	out = kgr_test_run(&status, "%s compact '%s' --events-log '%s' -o '%s/new.kgr' 2>&1", KGR_CLI, store,
		evlog, dir);
	ck_assert_msg(status == 0, "%s", out);
	free(out);
}
END_TEST

/* ------------------------------------------------------------------ JSON bodies */

START_TEST(test_json_bodies)
{
	th_server s;
	th_resp r;
	ck_assert_int_eq(th_serve(&s, store, NULL), 0);
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\"}", NULL);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	th_resp_free(&r);
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\"} \r\n", NULL);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	th_resp_free(&r);
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"u001\"} x", NULL);
	assert_error(&r, 400, "malformed_json", "more after its JSON value (byte 16)");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\"}{}", NULL);
	assert_error(&r, 400, "malformed_json", "more after its JSON value");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"al\xffice\"}", NULL);
	assert_error(&r, 400, "invalid_utf8", "not valid UTF-8 (byte 11)");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"\xc0\xafx\"}", NULL);
	assert_error(&r, 400, "invalid_utf8", "not valid UTF-8 (byte 9)");
	/* an escaped backslash before u0000 is text, not U+0000 */
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"query\":\"a\\\\u0000\"}", NULL);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	th_resp_free(&r);
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"query\":\"a\\u0000b\"}", NULL);
	assert_error(&r, 400, "invalid_string", "query: a string contains U+0000");
	ck_assert_int_eq(th_stop(&s, 15), 0);
}
END_TEST

/* ------------------------------------------------------------------ CSV */

static void load_csv(const char *csv, int skip, int expect_rc, const char *needle)
{
	char *path = th_path(dir, "rows.csv");
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	size_t skipped = 0;
	int rc;
	th_write_file(path, csv);
	o.user_base = "http://shop.example.org/user/";
	o.item_base = "http://shop.example.org/";
	o.skip_bad_rows = skip;
	o.skipped_out = &skipped;
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	rc = kgr_store_load_interactions(s, path, &o);
	ck_assert_msg(rc == expect_rc, "%s: rc %d: %s", csv, rc, kgr_error_last());
	if (needle)
		ck_assert_msg(strstr(kgr_error_last(), needle) && strstr(kgr_error_last(), path), "%s",
			kgr_error_last());
	if (skip)
		ck_assert_uint_eq(skipped, 1);
	kgr_store_free(s);
	free(path);
}

START_TEST(test_csv_iris)
{
	load_csv("user,item,timestamp\n<http://ex.org/a b>,p1,2024-01-01T00:00:00Z\n", 0, KGR_EPARSE,
		"rows.csv:2: column 1 (user): '<http://ex.org/a b>' is not a valid IRI");
	load_csv("user,item,timestamp\nu1,http://ex.org/a>b,2024-01-01T00:00:00Z\n", 0, KGR_EPARSE,
		":2: column 2 (item): 'http://ex.org/a>b' is not a valid IRI");
	load_csv("item,timestamp,user\np1,2024-01-01T00:00:00Z,<>\n", 0, KGR_EPARSE,
		":2: column 3 (user): '<>' is not a valid IRI");
	load_csv("user,item,timestamp\nu\xff,p1,2024-01-01T00:00:00Z\n", 0, KGR_EPARSE,
		"column 1 (user)");
	load_csv("user,item,timestamp,action\nu1,p1,2024-01-01T00:00:00Z,http://ex.org/x y\n", 0, KGR_EPARSE,
		"column 4 (action)");
	/* a bad row is skipped when asked, the good ones kept */
	load_csv("user,item,timestamp\nu1,p1,2024-01-01T00:00:00Z\nu2,http://ex.org/a>b,2024-01-01T00:00:00Z\n",
		1, 0, NULL);
}
END_TEST

/* Timestamps that are not real times in the years 1000 to 9999 are bad rows: refused with
 * the line, or skipped with --skip-bad-rows, never a failed load or a shifted date. */
START_TEST(test_csv_timestamps)
{
	static const char *const bad[] = { "99999999999999999", "-99999999999", "0999-12-31", "2025-02-29",
		"1900-02-29T00:00:00Z", "2024-01-01T24:59:60Z", "2024-01-01T12:00:60Z", "2024-01-01T00:00:00+25:00",
		"253402300800" };
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char csv[256], needle[96];
		snprintf(csv, sizeof(csv), "user,item,timestamp\nu1,p1,2024-02-29T23:59:60Z\nu2,p2,%s\n", bad[i]);
		snprintf(needle, sizeof(needle), "rows.csv:3: unparseable timestamp '%s'", bad[i]);
		load_csv(csv, 0, KGR_EPARSE, needle);
		load_csv(csv, 1, 0, NULL);
	}
	/* the last second of 9999 and a leap day are kept as they are */
	{
		char *path = th_path(dir, "edge.csv");
		kgr_store *s = NULL;
		kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
		const kgr_interaction *in;
		size_t n;
		th_write_file(path, "user,item,timestamp\nu1,p1,253402300799\nu1,p2,2000-02-29T00:00:00Z\n");
		o.user_base = "http://shop.example.org/user/";
		o.item_base = "http://shop.example.org/";
		ck_assert_int_eq(kgr_store_new(&s, 0), 0);
		ck_assert_msg(kgr_store_load_interactions(s, path, &o) == 0, "%s", kgr_error_last());
		ck_assert_int_eq(kgr_store_finalize(s), 0);
		in = kgr_store_interactions(s, &n);
		ck_assert_uint_eq(n, 2);
		ck_assert_int_eq(in[0].time, 951782400);
		ck_assert_int_eq(in[1].time, 253402300799LL);
		kgr_store_free(s);
		free(path);
	}
}
END_TEST

/* Two long action IRIs that differ only after 255 bytes stay two actions. */
START_TEST(test_csv_long_actions)
{
	char *path = th_path(dir, "long.csv"), a1[500], a2[500], csv[1400];
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	memset(a1, 'x', sizeof(a1));
	memcpy(a1, "http://ex.org/", 14);
	a1[450] = '\0';
	memcpy(a2, a1, sizeof(a2));
	a1[440] = '1';
	a2[440] = '2';
	snprintf(csv, sizeof(csv), "user,item,timestamp,action\nu1,p1,2024-01-01T00:00:00Z,%s\n"
		"u1,p1,2024-01-01T00:00:00Z,%s\n", a1, a2);
	th_write_file(path, csv);
	o.user_base = "http://shop.example.org/user/";
	o.item_base = "http://shop.example.org/";
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_msg(kgr_store_load_interactions(s, path, &o) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	ck_assert_uint_ne(kgr_store_iri(s, a1), 0);
	ck_assert_uint_ne(kgr_store_iri(s, a2), 0);
	{
		size_t n;
		kgr_store_interactions(s, &n);
		ck_assert_uint_eq(n, 2);
	}
	kgr_store_free(s);
	free(path);
}
END_TEST

/* ------------------------------------------------------------------ token file */

START_TEST(test_token_file_whole)
{
	char *tok = th_path(dir, "token");
	kgr_server *srv = NULL;
	kgr_server_options o = KGR_SERVER_OPTIONS_INIT;
	FILE *f = fopen(tok, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite("x\0secret\n", 1, 9, f);
	fclose(f);
	o.store_path = store;
	o.token_file = tok;
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
	ck_assert_ptr_null(srv);
	ck_assert_msg(strstr(kgr_error_last(), tok) && strstr(kgr_error_last(), "NUL"), "%s", kgr_error_last());
	free(tok);
}
END_TEST

/* ------------------------------------------------------------------ N-Triples */

/* Invalid UTF-8 is refused with file, line and column, and what was loaded before is kept;
 * a literal holding U+0000 is written back whole. */
START_TEST(test_ntriples_utf8)
{
	char *bad = th_path(dir, "bad.nt"), *nul = th_path(dir, "nul.nt"), *out = th_path(dir, "out.nt");
	kgr_store *s = NULL;
	size_t before, len;
	char *text;
	FILE *f;
	th_write_file(bad, "<http://ex.org/a> <http://ex.org/p> \"ok\" .\n"
		"<http://ex.org/a> <http://ex.org/p> \"caf\xe9\" .\n");
	th_write_file(nul, "<http://ex.org/a> <http://ex.org/p> \"a\\u0000b\" .\n"
		"<http://ex.org/a> <http://www.w3.org/2000/01/rdf-schema#label> \"x\\u0000y\" .\n");
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf(s, nul, NULL, NULL), 0);
	before = kgr_store_quad_count(s);
	ck_assert_int_eq(kgr_store_load_rdf(s, bad, NULL, NULL), KGR_EPARSE);
	ck_assert_msg(strstr(kgr_error_last(), "bad.nt:2:41: invalid UTF-8") != NULL, "%s", kgr_error_last());
	ck_assert_uint_eq(kgr_store_quad_count(s), before);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	f = fopen(out, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(kgr_store_export(s, f, "ntriples", 0), 0);
	fclose(f);
	text = kgr_test_slurp(out, &len);
	ck_assert_msg(strstr(text, "\"a\\u0000b\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"x\\u0000y\"") != NULL, "%s", text);
	/* a label holding U+0000 is not shown (it would be cut at the NUL): the local name is */
	ck_assert_str_eq(kgr_store_label(s, kgr_store_iri(s, "http://ex.org/a")), "a");
	free(text);
	kgr_store_free(s);
	free(bad);
	free(nul);
	free(out);
}
END_TEST

/* ------------------------------------------------------------------ slow clients */

static int connect_to(const th_server *s)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)s->port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One GET /healthz on a fresh connection, answered within wait_ms: 1 when "200" came back. */
static int healthz_once(const th_server *s, int wait_ms)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char buf[256];
	struct pollfd p;
	ssize_t n;
	int fd = connect_to(s), ok = 0;
	if (fd < 0)
		return 0;
	if (send_all(fd, req, sizeof(req) - 1) == 0) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, wait_ms) == 1 && (n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = '\0';
			ok = strstr(buf, " 200 ") != NULL;
		}
	}
	close(fd);
	return ok;
}

/* Whether the server has closed fd (EOF or reset), waiting at most wait_ms. */
static int closed_by_server(int fd, int wait_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;
	if (poll(&p, 1, wait_ms) != 1)
		return 0;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

START_TEST(test_slow_headers_do_not_lock_out)
{
	th_server s;
	int fds[300], i, n_open = 0, ok = 0;
	int64_t t0, waited;
	ck_assert_int_eq(th_serve(&s, store, NULL), 0);
	ck_assert(healthz_once(&s, 2000));
	for (i = 0; i < 300; i++) {
		static const char half[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
		fds[i] = connect_to(&s);
		if (fds[i] >= 0) {
			n_open++;
			send_all(fds[i], half, sizeof(half) - 1);
		}
	}
	ck_assert_int_gt(n_open, 200);
	/* a new client gets an answer within about a second, however the 300 behave */
	t0 = th_now_ms();
	while (!ok && th_now_ms() - t0 < 5000) {
		ok = healthz_once(&s, 1000);
		if (!ok)
			usleep(50000);
	}
	waited = th_now_ms() - t0;
	ck_assert_msg(ok && waited <= 1500, "a new client waited %lld ms (answered: %d)", (long long)waited, ok);
	for (i = 0; i < 300; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ck_assert_int_eq(th_stop(&s, 15), 0);
}
END_TEST

START_TEST(test_slow_body_and_header_deadlines)
{
	th_server s;
	static const char head[] = "POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		"Content-Length: 100\r\n\r\n";
	int fd, i, dropped = 0;
	int64_t t0;
	ck_assert_int_eq(th_serve(&s, store, "--header-timeout", "2", NULL), 0);

	/* a body at one byte a second is dropped within a few seconds */
	fd = connect_to(&s);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send_all(fd, head, sizeof(head) - 1), 0);
	t0 = th_now_ms();
	for (i = 0; i < 10 && !dropped; i++) {
		if (send_all(fd, "{", 1) < 0 || closed_by_server(fd, 1000))
			dropped = 1;
	}
	ck_assert_msg(dropped, "a body at 1 byte/s was still open after %lld ms", (long long)(th_now_ms() - t0));
	ck_assert_int_le(th_now_ms() - t0, 5000);
	close(fd);

	/* headers sent a byte at a time, never finished, are dropped after --header-timeout */
	fd = connect_to(&s);
	ck_assert_int_ge(fd, 0);
	t0 = th_now_ms();
	dropped = 0;
	for (i = 0; i < 40 && !dropped; i++) {
		if (send_all(fd, i ? "a" : "GET /healthz HTTP/1.1\r\nX-Slow: ", i ? 1 : 32) < 0 ||
			closed_by_server(fd, 250))
			dropped = 1;
	}
	ck_assert_msg(dropped, "unfinished headers were still open after %lld ms", (long long)(th_now_ms() - t0));
	ck_assert_int_ge(th_now_ms() - t0, 1500);
	close(fd);

	/* an ordinary client is unaffected */
	ck_assert(healthz_once(&s, 2000));
	ck_assert_int_eq(th_stop(&s, 15), 0);
}
END_TEST

/* ------------------------------------------------------------------ LLM replies */

START_TEST(test_llm_reply_utf8)
{
	cJSON *j = kgr__reply_json("{\"ranking\":[\"C1\"],\"rationale\":{\"C1\":\"caf\xe9\"}}", "ranking");
	ck_assert_ptr_null(j);
	ck_assert_msg(strstr(kgr_error_last(), "reply is not valid UTF-8 (byte 40)") != NULL, "%s",
		kgr_error_last());
	j = kgr__reply_json("{\"ranking\":[\"C1\"],\"rationale\":{\"C1\":\"caf\xc3\xa9\"}}", "ranking");
	ck_assert_ptr_nonnull(j);
	cJSON_Delete(j);
}
END_TEST

/* ------------------------------------------------------------------ audit logs */

START_TEST(test_audit_nested_and_empty)
{
	char *deep = th_path(dir, "deep.log"), *empty = th_path(dir, "empty.log"), *text;
	kgr_store *s = NULL;
	kgr_audit_result *r = NULL;
	size_t i, n = 0;
	ck_assert_int_eq(kgr_store_open(&s, store), 0);
	text = malloc(8000);
	ck_assert_ptr_nonnull(text);
	n += (size_t)sprintf(text, "{\"v\":1,\"id\":\"x\",\"n\":");
	for (i = 0; i < 1500; i++)
		text[n++] = '[';
	for (i = 0; i < 1500; i++)
		text[n++] = ']';
	strcpy(text + n, "}\n");
	th_write_file(deep, text);
	free(text);
	ck_assert_int_eq(kgr_audit_verify(&r, deep, s), 0);
	ck_assert_uint_eq(r->truncated, 0);
	ck_assert_uint_eq(r->failed, 1);
	ck_assert_uint_eq(r->n_findings, 1);
	ck_assert_msg(strstr(r->findings[0].message, "line 1 is not a JSON object") != NULL, "%s",
		r->findings[0].message);
	kgr_audit_result_free(r);
	r = NULL;
	th_write_file(empty, "");
	ck_assert_int_eq(kgr_audit_verify(&r, empty, s), KGR_EINVALID);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(kgr_error_last(), "holds no records") && strstr(kgr_error_last(), empty), "%s",
		kgr_error_last());
	kgr_store_free(s);
	free(deep);
	free(empty);
}
END_TEST

static Suite *doors_suite(void)
{
	Suite *s = suite_create("doors");
	TCase *tc = tcase_create("doors");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_event_names_must_be_iris);
	tcase_add_test(tc, test_json_bodies);
	tcase_add_test(tc, test_csv_iris);
	tcase_add_test(tc, test_csv_long_actions);
	tcase_add_test(tc, test_csv_timestamps);
	tcase_add_test(tc, test_token_file_whole);
	tcase_add_test(tc, test_ntriples_utf8);
	tcase_add_test(tc, test_llm_reply_utf8);
	tcase_add_test(tc, test_audit_nested_and_empty);
	tcase_add_test(tc, test_slow_headers_do_not_lock_out);
	tcase_add_test(tc, test_slow_body_and_header_deadlines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return kgr_test_run_suite(doors_suite());
}
