/* `kgrec serve` driven over real HTTP on loopback: endpoints, bad input, authentication,
 * events log durability (kill -9 and replay), reload, compaction, SPARQL protocol. */
#include <arpa/inet.h>
#include <check.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_http.h"
#include "common/testutil.h"
#include "kgrec/retrieval.h"
#include "kgrec/server.h"
#include "kgrec/store.h"

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

static cJSON *body_json(const th_resp *r)
{
	cJSON *j = cJSON_Parse(r->body);
	ck_assert_msg(j != NULL, "reply is not JSON: %s", r->body);
	return j;
}

/* Assert a JSON error reply: status, error.code, and a message containing @p needle. */
static void assert_error(th_resp *r, int status, const char *code, const char *needle)
{
	cJSON *j, *e;
	ck_assert_msg(r->status == status, "expected %d, got %d: %s", status, r->status, r->body);
	ck_assert_str_eq(r->content_type, "application/json");
	j = body_json(r);
	e = cJSON_GetObjectItem(j, "error");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")), code);
	ck_assert_msg(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")), needle) != NULL,
		"message '%s' does not name '%s'", cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")),
		needle);
	cJSON_Delete(j);
	th_resp_free(r);
}

static double json_num(const cJSON *o, const char *path1, const char *path2)
{
	const cJSON *v = cJSON_GetObjectItem(o, path1);
	if (path2)
		v = cJSON_GetObjectItem(v, path2);
	ck_assert_msg(cJSON_IsNumber(v), "%s%s%s is not a number", path1, path2 ? "." : "",
		path2 ? path2 : "");
	return v->valuedouble;
}

static size_t count_lines(const char *path)
{
	size_t n = 0, len;
	char *s = kgr_test_slurp(path, &len), *p;
	if (!s)
		return 0;
	for (p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* ------------------------------------------------------------------ health, auth, startup */

START_TEST(test_health_and_auth)
{
	th_server s;
	th_resp r;
	cJSON *j;
	ck_assert_int_eq(th_serve(&s, store, "--token-file", KGR_TEST_DATA "/server/token.txt", NULL), 0);

	/* health checks need no token */
	ck_assert_int_eq(th_get(&r, &s, "/healthz", NULL), 200);
	j = body_json(&r);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")), "ok");
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")), "ready");
	ck_assert_int_eq((int)json_num(j, "items", NULL), 11);
	ck_assert_int_eq((int)strlen(cJSON_GetStringValue(cJSON_GetObjectItem(j, "snapshot"))), 16);
	cJSON_Delete(j);
	th_resp_free(&r);

	/* everything else does */
	th_get(&r, &s, "/metrics", NULL);
	assert_error(&r, 401, "unauthorized", "bearer token");
	th_get(&r, &s, "/metrics", "wrong-token");
	assert_error(&r, 401, "unauthorized", "bearer token");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\"}", NULL);
	assert_error(&r, 401, "unauthorized", "bearer token");
	th_get(&r, &s, "/sparql?query=ASK%7B%7D", "supersecret-token-4");
	assert_error(&r, 401, "unauthorized", "bearer token");
	ck_assert_int_eq(th_get(&r, &s, "/metrics", TOKEN), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_http_requests_total{endpoint=\"metrics\",code=\"401\"} 2"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_http_requests_total{endpoint=\"readyz\",code=\"200\"} 1"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_http_request_duration_seconds_bucket{endpoint=\"healthz\",le=\"+Inf\"} 1"));
	ck_assert_ptr_nonnull(strstr(r.body, "# TYPE kgrec_http_request_duration_seconds histogram"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_events_applied_total 0"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_llm_fallbacks_total"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_llm_cache_hits_total"));
	ck_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
	th_resp_free(&r);

	/* unknown endpoint and wrong method */
	th_get(&r, &s, "/v2/nothing", TOKEN);
	assert_error(&r, 404, "no_such_endpoint", "/v2/nothing");
	th_get(&r, &s, "/v1/recommend", TOKEN);
	assert_error(&r, 405, "method_not_allowed", "GET is not allowed on /v1/recommend");
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);
}
END_TEST

START_TEST(test_refuses_open_address_without_token)
{
	th_server s;
	kgr_server *srv = NULL;
	kgr_server_options o = KGR_SERVER_OPTIONS_INIT;
	char *empty = th_path(dir, "empty-token");

	/* the CLI: exit status 1 and the reason */
	const char *argv_listen = "0.0.0.0:0";
	int st;
	pid_t pid;
	int errp[2];
	char buf[2048] = "";
	ssize_t n;
	ck_assert_int_eq(pipe(errp), 0);
	pid = fork();
	if (pid == 0) {
		dup2(errp[1], 2);
		execl(KGR_CLI, KGR_CLI, "serve", store, "--listen", argv_listen, (char *)NULL);
		_exit(127);
	}
	close(errp[1]);
	n = read(errp[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(errp[0]);
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert_msg(strstr(buf, "refusing to listen on 0.0.0.0:0 without --token-file") != NULL, "%s", buf);

	/* the library: same check, same code */
	o.store_path = store;
	o.listen = "0.0.0.0:0";
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "without --token-file"));
	ck_assert_ptr_null(srv);

	/* a malformed address, an empty token file, a missing store */
	o.listen = "127.0.0.1";
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "--listen '127.0.0.1'"));
	o.listen = "127.0.0.1:0";
	th_write_file(empty, "\n");
	o.token_file = empty;
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "is empty"));
	o.token_file = NULL;
	o.store_path = "/nonexistent/shop.kgr";
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_ENOTFOUND);

	/* usage errors of the CLI: exit status 2 and the option named */
	ck_assert_int_eq(th_serve(&s, store, "--bogus", "1", NULL), 2);
	ck_assert_msg(strstr(s.err, "unknown option '--bogus'") != NULL, "%s", s.err);
	ck_assert_int_eq(th_serve(&s, store, "--max-body", "0", NULL), 2);
	ck_assert_msg(strstr(s.err, "--max-body expects a positive integer") != NULL, "%s", s.err);
	ck_assert_int_eq(th_serve(&s, store, "--threads", "many", NULL), 2);
	ck_assert_msg(strstr(s.err, "got 'many'") != NULL, "%s", s.err);
	ck_assert_int_eq(th_serve(&s, "/nonexistent/shop.kgr", NULL), 1);
	ck_assert_msg(strstr(s.err, "/nonexistent/shop.kgr") != NULL, "%s", s.err);

	/* with a token an open address is allowed */
	ck_assert_int_eq(th_serve(&s, store, "--token-file", KGR_TEST_DATA "/server/token.txt", NULL), 0);
	th_stop(&s, SIGTERM);
	free(empty);
}
END_TEST

/* ------------------------------------------------------------------ events */

START_TEST(test_events_validation)
{
	th_server s;
	th_resp r;
	cJSON *j;
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);

	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",", NULL);
	assert_error(&r, 400, "malformed_json", "not valid JSON");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"when\":3}", NULL);
	assert_error(&r, 400, "unknown_field", "unknown field 'when'");
	th_post(&r, &s, "/v1/events", "{\"user\":7,\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "wrong_type", "event.user: expected a non-empty string");
	th_post(&r, &s, "/v1/events", "{\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "missing_field", "event.user: required");
	th_post(&r, &s, "/v1/events", "{\"events\":[{\"user\":\"zed\",\"item\":\"" SHOP "ball\"},"
		"{\"user\":\"zed\",\"item\":\"" SHOP "brand-kick\"}]}", NULL);
	assert_error(&r, 404, "unknown_item", "events[1].item: '" SHOP "brand-kick' is <" SHOP
		"brand-kick>, which is not a catalog item");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"bad\\u0001sku\"}", NULL);
	assert_error(&r, 400, "invalid_item", "event.item: a control character at byte 3");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"action\":\"juggle\"}", NULL);
	assert_error(&r, 400, "unknown_action", "unknown action 'juggle'");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"weight\":\"heavy\"}", NULL);
	assert_error(&r, 400, "wrong_type", "event.weight: expected a number");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"time\":\"yesterday\"}", NULL);
	assert_error(&r, 400, "invalid_time", "event.time: 'yesterday' is neither ISO-8601");
	/* 1e14 is neither milliseconds nor microseconds: refused, without the CLI's --time-unit */
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"time\":100000000000000}", NULL);
	ck_assert_ptr_null(strstr(r.body, "--time-unit"));
	assert_error(&r, 400, "invalid_time", "event.time: 100000000000000 is out of range");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"time\":1.5}", NULL);
	assert_error(&r, 400, "wrong_type", "event.time: expected whole epoch seconds, milliseconds");
	th_post(&r, &s, "/v1/events", "{\"user\":\"z e d\",\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "invalid_user", "'z e d'");
	th_post(&r, &s, "/v1/events", "{\"events\":[]}", NULL);
	assert_error(&r, 400, "empty_batch", "no event");
	th_post(&r, &s, "/v1/events", "{\"events\":[],\"extra\":1}", NULL);
	assert_error(&r, 400, "unknown_field", "unknown field 'extra'");
	th_post(&r, &s, "/v1/events", "42", NULL);
	assert_error(&r, 400, "wrong_type", "expected an event object");
	/* nothing was logged for any of those */
	ck_assert_int_eq((int)count_lines(evlog), 0);

	/* one event, then a batch (array form), then {"events": [...]} */
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\","
		"\"action\":\"purchase\",\"time\":\"2024-06-01T10:00:00Z\",\"weight\":2}", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "accepted", NULL), 1);
	ck_assert_int_eq((int)json_num(j, "batch", NULL), 1);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "request_id")), r.request_id);
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "[{\"user\":\"" "https://w3id.org/kgrec/user/yan\","
		"\"item\":\"" SHOP "racket\",\"time\":1717236000123},{\"user\":\"alice\",\"item\":\"" SHOP "boots\","
		"\"action\":\"cart\",\"time\":\"1717236000000000\"}]", NULL), 200);
	th_resp_free(&r);
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"events\":[{\"user\":\"zed\",\"item\":\"" SHOP
		"gloves\",\"action\":\"" "https://w3id.org/kgrec/ns#view\"}]}", NULL), 200);
	th_resp_free(&r);
	ck_assert_int_eq((int)count_lines(evlog), 3);
	{
		char *log = kgr_test_slurp(evlog, NULL);
		ck_assert_ptr_nonnull(strstr(log, "\"user\":\"https://w3id.org/kgrec/user/zed\",\"item\":\""
			SHOP "ball\",\"action\":\"https://w3id.org/kgrec/ns#purchase\",\"time\":1717236000,\"weight\":2"));
		ck_assert_ptr_nonnull(strstr(log, "\"action\":\"https://w3id.org/kgrec/ns#interact\""));
		/* epoch milliseconds (a number) and microseconds (a string), as the event logs have them */
		ck_assert_ptr_nonnull(strstr(log, "racket\",\"action\":\"https://w3id.org/kgrec/ns#interact\",\"time\":1717236000,"));
		ck_assert_ptr_nonnull(strstr(log, "boots\",\"action\":\"https://w3id.org/kgrec/ns#cart\",\"time\":1717236000,"));
		free(log);
	}
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_events_applied_total 4"));
	th_resp_free(&r);
	/* the snapshot in service counts them as applied to it since it was loaded */
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "live_events", NULL), 4);
	ck_assert_int_eq((int)json_num(j, "replay", "applied"), 0);
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);

	/* a restart replays the four events, none of them live */
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "replay", "batches"), 3);
	ck_assert_int_eq((int)json_num(j, "replay", "events"), 4);
	ck_assert_int_eq((int)json_num(j, "replay", "torn_bytes"), 0);
	ck_assert_int_eq((int)json_num(j, "live_events", NULL), 0);
	cJSON_Delete(j);
	th_resp_free(&r);
	th_stop(&s, SIGTERM);
}
END_TEST

/* POST /v1/events takes the action names of the event-log loader (one table): GA4's, Segment's
 * and kgrec's own; refunds are valid and not recorded; any other name is refused with the
 * accepted ones listed. */
START_TEST(test_events_action_names)
{
	th_server s;
	th_resp r;
	cJSON *j;
	char *log;
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);

	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"action\":\"juggle\"}", NULL);
	assert_error(&r, 400, "unknown_action", "event.action: unknown action 'juggle'; accepted: view: view, "
		"views, pageview, detail, view_item, select_item, Product Viewed, Product Clicked; click: ");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"action\":\"juggle\"}", NULL);
	assert_error(&r, 400, "unknown_action", "purchase: purchase, buy, bought, order, transaction, Order Completed;");
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"action\":\"juggle\"}", NULL);
	assert_error(&r, 400, "unknown_action", "; not recorded: refund, Order Refunded");
	/* a term of the vocabulary that is no action name is no longer taken for one */
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\",\"action\":\"interactedWith\"}", NULL);
	assert_error(&r, 400, "unknown_action", "unknown action 'interactedWith'");
	/* a refund is checked like any event */
	th_post(&r, &s, "/v1/events", "{\"user\":\"z e d\",\"item\":\"" SHOP "ball\",\"action\":\"refund\"}", NULL);
	assert_error(&r, 400, "invalid_user", "'z e d'");
	ck_assert_int_eq((int)count_lines(evlog), 0);

	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "[{\"user\":\"zed\",\"item\":\"" SHOP "ball\","
		"\"action\":\"view_item\",\"time\":1717236000},{\"user\":\"zed\",\"item\":\"" SHOP "gloves\","
		"\"action\":\"Product Added\",\"time\":1717236001},{\"user\":\"zed\",\"item\":\"" SHOP "ball\","
		"\"action\":\"refund\",\"time\":1717236002},{\"user\":\"zed\",\"item\":\"" SHOP "gloves\","
		"\"action\":\"order_completed\",\"time\":1717236003},{\"user\":\"zed\",\"item\":\"" SHOP "boots\","
		"\"action\":\"add_to_wishlist\",\"time\":1717236004}]", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "accepted", NULL), 4);
	ck_assert_int_eq((int)json_num(j, "not_recorded", NULL), 1);
	ck_assert_int_eq((int)json_num(j, "batch", NULL), 1);
	cJSON_Delete(j);
	th_resp_free(&r);
	log = kgr_test_slurp(evlog, NULL);
	ck_assert_ptr_nonnull(strstr(log, "\"item\":\"" SHOP "ball\",\"action\":\"https://w3id.org/kgrec/ns#view\""));
	ck_assert_ptr_nonnull(strstr(log, "\"item\":\"" SHOP "gloves\",\"action\":\"https://w3id.org/kgrec/ns#cart\""));
	ck_assert_ptr_nonnull(strstr(log, "\"item\":\"" SHOP "gloves\",\"action\":\"https://w3id.org/kgrec/ns#purchase\""));
	ck_assert_ptr_nonnull(strstr(log, "\"item\":\"" SHOP "boots\",\"action\":\"https://w3id.org/kgrec/ns#wishlist\""));
	ck_assert_ptr_null(strstr(log, "1717236002"));
	free(log);

	/* a batch of refunds only: valid, nothing logged, no batch */
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "gloves\","
		"\"action\":\"Order Refunded\"}", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "accepted", NULL), 0);
	ck_assert_int_eq((int)json_num(j, "not_recorded", NULL), 1);
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "batch"));
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_int_eq((int)count_lines(evlog), 1);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_events_applied_total 4"));
	th_resp_free(&r);
	th_stop(&s, SIGTERM);
}
END_TEST

START_TEST(test_events_without_log)
{
	th_server s;
	th_resp r;
	ck_assert_int_eq(th_serve(&s, store, NULL), 0);
	th_post(&r, &s, "/v1/events", "{\"user\":\"zed\",\"item\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 503, "events_disabled", "--events-log");
	th_stop(&s, SIGTERM);
}
END_TEST

START_TEST(test_torn_last_line)
{
	th_server s;
	th_resp r;
	cJSON *j;
	char *log;
	/* two good batches and half of a third, as a crash in the middle of a write leaves it */
	th_write_file(evlog,
		"{\"batch\":1,\"events\":[{\"user\":\"https://w3id.org/kgrec/user/t1\",\"item\":\"" SHOP "ball\","
		"\"action\":\"https://w3id.org/kgrec/ns#view\",\"time\":1717236000,\"weight\":1}]}\n"
		"{\"batch\":2,\"events\":[{\"user\":\"https://w3id.org/kgrec/user/t2\",\"item\":\"" SHOP "ball\","
		"\"action\":\"https://w3id.org/kgrec/ns#view\",\"time\":1717236001,\"weight\":1}]}\n"
		"{\"batch\":3,\"events\":[{\"user\":\"https://w3id.org/kgr");
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	ck_assert_ptr_nonnull(strstr(th_drain_stderr(&s), "dropped a torn last line"));
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "replay", "events"), 2);
	ck_assert_int_gt((int)json_num(j, "replay", "torn_bytes"), 10);
	cJSON_Delete(j);
	th_resp_free(&r);
	/* the next batch starts on a clean line */
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"t3\",\"item\":\"" SHOP "ball\"}", NULL), 200);
	th_resp_free(&r);
	th_stop(&s, SIGTERM);
	log = kgr_test_slurp(evlog, NULL);
	ck_assert_ptr_null(strstr(log, "https://w3id.org/kgr\n"));
	ck_assert_ptr_null(strstr(log, "kgr{"));
	free(log);
	ck_assert_int_eq((int)count_lines(evlog), 3);
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "replay", "events"), 3);
	ck_assert_int_eq((int)json_num(j, "replay", "torn_bytes"), 0);
	cJSON_Delete(j);
	th_resp_free(&r);
	th_stop(&s, SIGTERM);

	/* damage in the middle is not a torn line: the server refuses to start, naming the line */
	th_write_file(evlog, "{\"batch\":1,\"events\":[]}\nnot json\n{\"batch\":3,\"events\":[]}\n");
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 1);
	ck_assert_msg(strstr(s.err, "line 2 is damaged") != NULL, "%s", s.err);
}
END_TEST

/* Post events one by one until the server dies; return how many got a 2xx. */
typedef struct {
	th_server *s;
	atomic_int acked;
	int last_status;
} stream_ctx;

static void *stream_events(void *p)
{
	stream_ctx *c = p;
	char body[256];
	int i;
	for (i = 0; i < 100000; i++) {
		th_resp r;
		snprintf(body, sizeof(body), "{\"user\":\"k9u%d\",\"item\":\"" SHOP "ball\",\"action\":\"view\","
			"\"time\":%d}", i, 1700000000 + i);
		th_post(&r, c->s, "/v1/events", body, NULL);
		c->last_status = r.status;
		th_resp_free(&r);
		if (r.status != 200)
			break;
		atomic_store(&c->acked, i + 1);
	}
	return NULL;
}

START_TEST(test_kill9_during_events)
{
	th_server s;
	th_resp r;
	stream_ctx c;
	pthread_t t;
	cJSON *j;
	char *log, needle[64];
	int i, replayed;

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	memset(&c, 0, sizeof(c));
	c.s = &s;
	pthread_create(&t, NULL, stream_events, &c);
	/* kill in the middle of the stream: once a few events were acknowledged (a loaded
	 * machine may take a while to get there), whatever is in flight then */
	for (i = 0; i < 3000 && atomic_load(&c.acked) <= 5; i++)
		usleep(10000);
	usleep(50000);
	ck_assert_int_eq(th_stop(&s, SIGKILL), 128 + SIGKILL);
	pthread_join(t, NULL);
	ck_assert_int_gt(c.acked, 5);
	ck_assert_int_ne(c.last_status, 200);

	/* every acknowledged event is in the log ... */
	log = kgr_test_slurp(evlog, NULL);
	for (i = 0; i < c.acked; i++) {
		snprintf(needle, sizeof(needle), "/user/k9u%d\"", i);
		ck_assert_msg(strstr(log, needle) != NULL, "acknowledged event %d is not in the log", i);
	}
	free(log);
	/* ... and applied after a restart */
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	replayed = (int)json_num(j, "replay", "applied");
	/* at most the one batch in flight at the kill was logged without its reply */
	ck_assert_msg(replayed == c.acked || replayed == c.acked + 1, "acked %d, replayed %d", c.acked,
		replayed);
	cJSON_Delete(j);
	th_resp_free(&r);
	th_stop(&s, SIGTERM);
}
END_TEST

/* Group commit: batches posted at once from several connections are applied together, and
 * still every reply comes after its own batch is applied: the very next request of the same
 * client sees it (each event brings a user never seen before, so a cold start would show). */
typedef struct {
	const th_server *s;
	int id, acked, failed;
	char why[256];
} gc_ctx;

static void *group_commit_client(void *p)
{
	static const char *items[] = { "ball", "racket", "gloves", "boots", "jersey" };
	gc_ctx *c = p;
	char body[320];
	int i;
	for (i = 0; i < 25; i++) {
		th_resp r;
		cJSON *j;
		snprintf(body, sizeof(body), "[{\"user\":\"gc%d-%d\",\"item\":\"" SHOP "%s\","
			"\"action\":\"purchase\",\"time\":%d},{\"user\":\"gc%d-%d\",\"item\":\"" SHOP
			"ball\",\"action\":\"view\",\"time\":%d}]", c->id, i, items[(c->id + i) % 5],
			1700000000 + i, c->id, i, 1700000001 + i);
		if (th_post(&r, c->s, "/v1/events", body, NULL) != 200) {
			snprintf(c->why, sizeof(c->why), "event %d: HTTP %d %s", i, r.status, r.body ? r.body : "");
			th_resp_free(&r);
			c->failed++;
			break;
		}
		th_resp_free(&r);
		c->acked++;
		snprintf(body, sizeof(body), "{\"user\":\"gc%d-%d\",\"k\":5}", c->id, i);
		if (th_post(&r, c->s, "/v1/recommend", body, NULL) != 200 || !(j = cJSON_Parse(r.body))) {
			snprintf(c->why, sizeof(c->why), "recommend %d: HTTP %d", i, r.status);
			th_resp_free(&r);
			c->failed++;
			break;
		}
		if (!cJSON_IsFalse(cJSON_GetObjectItem(j, "cold_start")) || strstr(r.body, SHOP "ball\"")) {
			snprintf(c->why, sizeof(c->why), "user gc%d-%d: its events are not applied yet: %.150s",
				c->id, i, r.body);
			c->failed++;
		}
		cJSON_Delete(j);
		th_resp_free(&r);
	}
	return NULL;
}

START_TEST(test_events_group_commit)
{
	th_server s;
	th_resp r;
	pthread_t t[6];
	gc_ctx c[6];
	int i, total = 0, applies;
	char needle[96];

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	for (i = 0; i < 6; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].s = &s;
		c[i].id = i;
		pthread_create(&t[i], NULL, group_commit_client, &c[i]);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(c[i].failed == 0, "client %d: %s", i, c[i].why);
		total += c[i].acked;
	}
	ck_assert_int_eq(total, 150);
	/* one log line per batch, every event counted once */
	ck_assert_uint_eq(count_lines(evlog), 150);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	snprintf(needle, sizeof(needle), "kgrec_events_applied_total %d\n", 2 * total);
	ck_assert_msg(strstr(r.body, needle) != NULL, "no '%s' in /metrics", needle);
	/* never more apply calls than batches (fewer when batches met) */
	{
		const char *m = strstr(r.body, "\nkgrec_event_applies_total ");
		ck_assert_ptr_nonnull(m);
		applies = atoi(m + strlen("\nkgrec_event_applies_total "));
		ck_assert_int_ge(applies, 1);
		ck_assert_int_le(applies, 150);
	}
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);
}
END_TEST

/* ------------------------------------------------------------------ bodies and clients */

static int raw_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

START_TEST(test_body_cap_and_slow_client)
{
	th_server s;
	th_resp r;
	char *big = malloc(5001), buf[4096], head[256];
	int fd;
	ssize_t n;
	int64_t t0;

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, "--max-body", "1000", "--client-timeout", "1",
		NULL), 0);
	memset(big, ' ', 5000);
	big[0] = '[';
	big[4999] = ']';
	big[5000] = '\0';
	/* declared length over the cap: refused before the body is read */
	th_post(&r, &s, "/v1/events", big, NULL);
	assert_error(&r, 413, "body_too_large", "over the limit of 1000 bytes");
	th_post(&r, &s, "/v1/recommend", big, NULL);
	assert_error(&r, 413, "body_too_large", "--max-body");

	/* chunked body over the cap: refused once it passes the cap */
	fd = raw_connect(s.port);
	snprintf(head, sizeof(head), "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Transfer-Encoding: chunked\r\n\r\n%x\r\n", 1500);
	send_all(fd, head, strlen(head));
	send_all(fd, big, 1500);
	send_all(fd, "\r\n0\r\n\r\n", 7);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 12);
	buf[n] = '\0';
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 413", 12), "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "body_too_large"));
	close(fd);
	ck_assert_int_eq((int)count_lines(evlog), 0);

	/* a client that sends half a request holds only its own connection ... */
	fd = raw_connect(s.port);
	send_all(fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n", 32);
	t0 = th_now_ms();
	ck_assert_int_eq(th_get(&r, &s, "/healthz", NULL), 200);
	th_resp_free(&r);
	ck_assert_int_lt(th_now_ms() - t0, 500);
	/* ... and is disconnected after the timeout */
	{
		struct timeval tv = { 5, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	n = recv(fd, buf, sizeof(buf), 0);
	ck_assert_int_le(n, 0);
	ck_assert_int_lt(th_now_ms() - t0, 4000);
	close(fd);
	free(big);
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);
}
END_TEST

/* ------------------------------------------------------------------ recommend input */

START_TEST(test_recommend_bad_input)
{
	th_server s;
	th_resp r;
	ck_assert_int_eq(th_serve(&s, store, NULL), 0);
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\"", NULL);
	assert_error(&r, 400, "malformed_json", "not valid JSON");
	th_post(&r, &s, "/v1/recommend", "[1,2]", NULL);
	assert_error(&r, 400, "wrong_type", "expected a JSON object");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"kk\":3}", NULL);
	assert_error(&r, 400, "unknown_field", "unknown field 'kk'");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"k\":0}", NULL);
	assert_error(&r, 400, "out_of_range", "k: must be between 1 and 1000, got 0");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"k\":1001}", NULL);
	assert_error(&r, 400, "out_of_range", "got 1001");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"k\":-5}", NULL);
	assert_error(&r, 400, "out_of_range", "got -5");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"k\":\"3\"}", NULL);
	assert_error(&r, 400, "wrong_type", "k: expected an integer");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"k\":2.5}", NULL);
	assert_error(&r, 400, "wrong_type", "k: expected an integer");
	th_post(&r, &s, "/v1/recommend", "{\"user\":[\"alice\"]}", NULL);
	assert_error(&r, 400, "wrong_type", "user: expected a non-empty string");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"explain\":\"yes\"}", NULL);
	assert_error(&r, 400, "wrong_type", "explain: expected true or false");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"seeds\":\"" SHOP "ball\"}", NULL);
	assert_error(&r, 400, "wrong_type", "seeds: expected an array");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"seeds\":[\"" SHOP "ball\",\"" SHOP "unicorn\"]}", NULL);
	assert_error(&r, 404, "unknown_item", "seeds[1]: unknown item '" SHOP "unicorn'");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"exclude\":[3]}", NULL);
	assert_error(&r, 400, "wrong_type", "exclude[0]: expected a string");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"llm\":{\"enabled\":true,\"temperature\":1}}", NULL);
	assert_error(&r, 400, "unknown_field", "llm: unknown field 'temperature'");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"llm\":true}", NULL);
	assert_error(&r, 400, "wrong_type", "llm: expected an object");
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\",\"at\":\"last week\"}", NULL);
	assert_error(&r, 400, "wrong_type", "at: expected seconds since the epoch");

	th_get(&r, &s, "/v1/items/" "unicorn" "/similar", NULL);
	assert_error(&r, 404, "unknown_item", "unknown item 'unicorn'");
	th_get(&r, &s, "/v1/items/ball/similar?k=0", NULL);
	assert_error(&r, 400, "out_of_range", "k: must be an integer between 1 and 1000, got '0'");
	th_get(&r, &s, "/v1/items/ball/similar?k=abc", NULL);
	assert_error(&r, 400, "wrong_type", "got 'abc'");
	th_get(&r, &s, "/v1/items/ball/similar?limit=3", NULL);
	assert_error(&r, 400, "unknown_parameter", "unknown parameter 'limit'");
	th_get(&r, &s, "/v1/explain?user=alice", NULL);
	assert_error(&r, 400, "missing_parameter", "item is missing");
	th_get(&r, &s, "/v1/explain?user=alice&item=unicorn", NULL);
	assert_error(&r, 404, "unknown_item", "unknown item 'unicorn'");
	th_get(&r, &s, "/v1/explain?user=alice&item=ball&max_hops=9", NULL);
	assert_error(&r, 400, "out_of_range", "max_hops");
	th_stop(&s, SIGTERM);
}
END_TEST

/* ------------------------------------------------------------------ recommendations */

static int has_item(const cJSON *reply, const char *iri)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(reply, "items"))
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "item")), iri))
			return 1;
	return 0;
}

static cJSON *recommend(th_server *s, const char *body)
{
	th_resp r;
	cJSON *j;
	ck_assert_int_eq(th_post(&r, s, "/v1/recommend", body, NULL), 200);
	j = body_json(&r);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "request_id")), r.request_id);
	th_resp_free(&r);
	return j;
}

/* Run the CLI and parse its JSON output. */
static cJSON *cli_json(const char *args)
{
	char cmd[2048], *buf = malloc(1 << 20);
	size_t n;
	FILE *p;
	cJSON *j;
	snprintf(cmd, sizeof(cmd), "'%s' %s", KGR_CLI, args);
	p = popen(cmd, "r");
	n = fread(buf, 1, (1 << 20) - 1, p);
	buf[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	j = cJSON_Parse(buf);
	ck_assert_msg(j != NULL, "not JSON: %s", buf);
	free(buf);
	return j;
}

START_TEST(test_recommend_endpoints)
{
	th_server s;
	th_resp r;
	cJSON *j, *it;
	char args[1024];
	int with_rationale = 0;

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);

	/* a known user: explained items she does not have yet */
	j = recommend(&s, "{\"user\":\"alice\",\"k\":3,\"explain\":true}");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "user")), "https://w3id.org/kgrec/user/alice");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "cold_start")));
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	ck_assert_int_le(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 3);
	ck_assert(!has_item(j, SHOP "ball") && !has_item(j, SHOP "gloves"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items")) {
		const cJSON *p, *e;
		ck_assert(!strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "item")), SHOP, strlen(SHOP)));
		with_rationale += cJSON_IsString(cJSON_GetObjectItem(it, "rationale"));
		cJSON_ArrayForEach(p, cJSON_GetObjectItem(it, "paths"))
			cJSON_ArrayForEach(e, cJSON_GetObjectItem(p, "edges")) {
				ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(e, "s"))) > 0);
				ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(e, "p"))) > 0);
				ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(e, "o"))) > 0);
			}
		{
			/* path counts per meta-path: they add up to the path feature, log(1 + paths) */
			double sum = 0, feat = cJSON_GetNumberValue(
				cJSON_GetObjectItem(cJSON_GetObjectItem(it, "features"), "paths"));
			cJSON_ArrayForEach(p, cJSON_GetObjectItem(it, "meta_paths")) {
				ck_assert(strlen(cJSON_GetStringValue(cJSON_GetObjectItem(p, "pattern"))) > 0);
				ck_assert(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "count")) >= 1);
				sum += cJSON_GetNumberValue(cJSON_GetObjectItem(p, "count"));
			}
			ck_assert(cJSON_IsArray(cJSON_GetObjectItem(it, "meta_paths")));
			/* the most frequent patterns are listed, all of them are counted */
			if (cJSON_GetNumberValue(cJSON_GetObjectItem(it, "meta_paths_total")) <=
				cJSON_GetArraySize(cJSON_GetObjectItem(it, "meta_paths")))
				ck_assert_double_eq_tol(sum, exp(feat) - 1, 1e-6);
			else
				ck_assert(sum < exp(feat) - 1 + 1e-6);
		}
	}
	ck_assert_int_ge(with_rationale, 1);

	/* the same JSON as `kgrec recommend --format json`, plus the request id */
	cJSON_DeleteItemFromObject(j, "request_id");
	snprintf(args, sizeof(args), "recommend '%s' --user alice -k 3 --explain --format json", store);
	{
		cJSON *cli = cli_json(args);
		ck_assert_msg(cJSON_Compare(j, cli, 1), "server and CLI disagree:\n%s\n%s", cJSON_Print(j),
			cJSON_Print(cli));
		cJSON_Delete(cli);
	}
	cJSON_Delete(j);

	/* an unknown user gets cold-start results and a note, not an error */
	j = recommend(&s, "{\"user\":\"nobody\",\"k\":2}");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "user")));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "cold_start")));
	ck_assert_ptr_nonnull(strstr(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "notes"), 0)),
		"unknown user 'nobody'"));
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	cJSON_Delete(j);
	/* an item's local name is no user: read as /v1/events reads it, a user never seen */
	j = recommend(&s, "{\"user\":\"racket\",\"k\":2}");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "user")));
	ck_assert_ptr_nonnull(strstr(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "notes"), 0)),
		"unknown user 'racket'"));
	cJSON_Delete(j);

	/* an event changes the very next recommendation */
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"newbie\",\"item\":\"" SHOP "racket\","
		"\"action\":\"purchase\",\"time\":\"2024-06-01T00:00:00Z\"}", NULL), 200);
	th_resp_free(&r);
	j = recommend(&s, "{\"user\":\"newbie\",\"k\":3,\"explain\":true}");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "user")), "https://w3id.org/kgrec/user/newbie");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "cold_start")));
	ck_assert(!has_item(j, SHOP "racket"));
	ck_assert(has_item(j, SHOP "tballs") || has_item(j, SHOP "grip"));
	cJSON_Delete(j);

	/* seeds and exclusions; an LLM request on a server without one falls back with a note */
	j = recommend(&s, "{\"seeds\":[\"" SHOP "racket\"],\"exclude\":[\"" SHOP "tballs\",\"" SHOP "gone\"],\"k\":3,"
		"\"llm\":{\"enabled\":true,\"deadline_ms\":500}}");
	ck_assert(!has_item(j, SHOP "tballs"));
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	{
		char *notes = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "notes"));
		ck_assert_ptr_nonnull(strstr(notes, "graph order returned"));
		free(notes);
	}
	cJSON_Delete(j);

	/* similar items and an explanation */
	ck_assert_int_eq(th_get(&r, &s, "/v1/items/http%3A%2F%2Fexample.org%2Fshop%2Fball/similar?k=3&explain=true",
		NULL), 200);
	j = body_json(&r);
	th_resp_free(&r);
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
	ck_assert(!has_item(j, SHOP "ball"));
	cJSON_Delete(j);
	ck_assert_int_eq(th_get(&r, &s, "/v1/explain?user=alice&item=" SHOP "boots", NULL), 200);
	j = body_json(&r);
	th_resp_free(&r);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(it, "item")), SHOP "boots");
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(it, "paths")), 1);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(it, "paths"), 0), "edges"), 0), "s")),
		"https://w3id.org/kgrec/user/alice");
	cJSON_Delete(j);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_llm_fallbacks_total 1"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_http_requests_total{endpoint=\"recommend\",code=\"200\"} 5"));
	th_resp_free(&r);
	th_stop(&s, SIGTERM);

	/* after a restart the replayed event still counts */
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	j = recommend(&s, "{\"user\":\"newbie\",\"k\":3}");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "cold_start")));
	ck_assert(!has_item(j, SHOP "racket"));
	cJSON_Delete(j);
	th_stop(&s, SIGTERM);
}
END_TEST

/* ------------------------------------------------------------------ LLM ranking */

/* The scripted chat-completions server of the LLM tests, on a free loopback port. */
static pid_t start_fake_llm(int *port)
{
	int fds[2];
	char line[64];
	ssize_t n = 0;
	pid_t pid;
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("python3", "python3", KGR_SOURCE_DIR "/tests/llm/fake_openai.py", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (n < (ssize_t)sizeof(line) - 1) {
		ssize_t r = read(fds[0], line + n, 1);
		if (r <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(fds[0]);
	*port = atoi(line);
	ck_assert_int_gt(*port, 0);
	return pid;
}

START_TEST(test_recommend_llm)
{
	th_server s;
	th_resp r;
	cJSON *j, *cli, *it;
	char *shop = th_path(dir, "llmshop.kgr"), *audit = th_path(dir, "audit.jsonl"), url[128], args[2048];
	char first_id[80], *log;
	kgr_store *st = NULL;
	kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
	int port;
	pid_t fake;
	int64_t t0;

	ck_assert_int_eq(kgr_store_new(&st, 1), 0);
	ck_assert_int_eq(kgr_store_load_rdf(st, KGR_TEST_DATA "/llm/shop.ttl", NULL, NULL), 0);
	ck_assert_int_eq(kgr_store_load_interactions(st, KGR_TEST_DATA "/llm/shop_events.csv", &io), 0);
	ck_assert_int_eq(kgr_store_finalize(st), 0);
	ck_assert_int_eq(kgr_store_save(st, shop), 0);
	kgr_store_free(st);
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	fake = start_fake_llm(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", port);
	ck_assert_int_eq(th_serve(&s, shop, "--llm", "--llm-url", url, "--llm-model", "good/srv", "--alpha", "1",
		"--no-cache", "--audit-log", audit, NULL), 0);

	/* the scripted model orders by label; the facts it cites are checked */
	j = recommend(&s, "{\"user\":\"u1\",\"k\":2}");
	snprintf(first_id, sizeof(first_id), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(j, "request_id")));
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "fallback")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 2);
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 0);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(it, "label")), "Baseball Cap");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(it, "grounded")));
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(it, "cited"), 0),
		"p")), "https://w3id.org/kgrec/ns#purchase");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "items"), 1),
		"label")), "Shin Guards");
	/* the same items as `kgrec recommend --llm --format json` */
	snprintf(args, sizeof(args), "recommend '%s' --user u1 -k 2 --llm --llm-url %s --llm-model good/srv --alpha 1 "
		"--no-cache --format json", shop, url);
	cli = cli_json(args);
	ck_assert_msg(cJSON_Compare(cJSON_GetObjectItem(j, "items"), cJSON_GetObjectItem(cli, "items"), 1),
		"server and CLI disagree");
	ck_assert(cJSON_Compare(cJSON_GetObjectItem(j, "user"), cJSON_GetObjectItem(cli, "user"), 1));
	cJSON_Delete(cli);
	cJSON_Delete(j);

	/* a model slower than the request's deadline: graph order, on time, with a note */
	t0 = th_now_ms();
	j = recommend(&s, "{\"user\":\"u1\",\"k\":2,\"llm\":{\"model\":\"slow/srv\",\"deadline_ms\":300}}");
	ck_assert_int_lt(th_now_ms() - t0, 1500);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "fallback")));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 2);
	{
		char *notes = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "notes"));
		ck_assert_msg(strstr(notes, "300 ms") != NULL, "%s", notes);
		free(notes);
	}
	cJSON_Delete(j);

	/* opting out gives the graph ranker's list */
	j = recommend(&s, "{\"user\":\"u1\",\"k\":2,\"llm\":{\"enabled\":false}}");
	ck_assert(cJSON_IsBool(cJSON_GetObjectItem(j, "cold_start")));
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "fallback"));
	cJSON_Delete(j);
	th_post(&r, &s, "/v1/recommend", "{\"user\":\"u1\",\"llm\":{\"mode\":\"sideways\"}}", NULL);
	assert_error(&r, 400, "invalid", "llm.mode");
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_llm_fallbacks_total 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_llm_calls_total 2\n"));
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);

	/* every list served is in the audit trail under its request id, and it verifies and
	 * replays with `kgrec audit` (the LLM list, the timed-out one, the graph-only one) */
	log = kgr_test_slurp(audit, NULL);
	ck_assert_ptr_nonnull(log);
	ck_assert_int_eq((int)count_lines(audit), 3);
	ck_assert_ptr_nonnull(strstr(log, first_id));
	/* the timed-out list's record says how much of its 300 ms deadline the LLM had */
	ck_assert_ptr_nonnull(strstr(log, "\"deadline_ms\":2"));
	free(log);
	snprintf(args, sizeof(args), "'%s' audit verify '%s' --store '%s' >/dev/null", KGR_CLI, audit, shop);
	ck_assert_int_eq(system(args), 0);
	snprintf(args, sizeof(args), "'%s' audit replay '%s' --store '%s' --id '%s' >/dev/null", KGR_CLI, audit,
		shop, first_id);
	ck_assert_int_eq(system(args), 0);

	/* LLM options out of range stop the start: the CLI's flag check, the library's own */
	ck_assert_int_eq(th_serve(&s, shop, "--llm", "--llm-url", url, "--llm-model", "good/srv", "--parallel", "0",
		NULL), 2);
	ck_assert_msg(strstr(s.err, "--parallel") != NULL, "%s", s.err);
	{
		kgr_server_options o = KGR_SERVER_OPTIONS_INIT;
		kgr_llm_options lo = KGR_LLM_OPTIONS_INIT;
		kgr_server *srv = NULL;
		lo.base_url = url;
		lo.model = "good/srv";
		lo.parallel = 0;
		o.store_path = shop;
		o.listen = "127.0.0.1:0";
		o.llm = &lo;
		ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
		ck_assert_msg(strstr(kgr_error_last(), "LLM options") != NULL, "%s", kgr_error_last());
		ck_assert_ptr_null(srv);
	}
	kill(fake, SIGTERM);
	waitpid(fake, NULL, 0);
	free(shop);
	free(audit);
}
END_TEST

/* ------------------------------------------------------------------ reload, compaction */

static char *readyz_snapshot(th_server *s)
{
	th_resp r;
	cJSON *j;
	char *sum;
	ck_assert_int_eq(th_get(&r, s, "/readyz", NULL), 200);
	j = body_json(&r);
	sum = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "snapshot")));
	cJSON_Delete(j);
	th_resp_free(&r);
	return sum;
}

START_TEST(test_reload_and_sighup)
{
	th_server s;
	th_resp r;
	cJSON *j;
	char *before, *after, *next = th_path(dir, "next.kgr"), *bad = th_path(dir, "bad.kgr");
	int64_t deadline;

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, "--token-file",
		KGR_TEST_DATA "/server/token.txt", NULL), 0);
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"rel1\",\"item\":\"" SHOP "ball\"}", TOKEN), 200);
	th_resp_free(&r);
	before = readyz_snapshot(&s);
	th_post(&r, &s, "/admin/reload", "", NULL);
	assert_error(&r, 401, "unauthorized", "bearer");

	/* a new snapshot replaces the file; reload swaps it in and replays the log onto it */
	th_build_store(next, 1);
	ck_assert_int_eq(rename(next, store), 0);
	ck_assert_int_eq(th_post(&r, &s, "/admin/reload", "", TOKEN), 200);
	j = body_json(&r);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")), "reloaded");
	ck_assert_int_eq((int)json_num(j, "replayed_events", NULL), 1);
	after = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "snapshot")));
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_str_ne(before, after);
	free(before);
	before = readyz_snapshot(&s);
	ck_assert_str_eq(before, after);
	/* the new item is there: an event about it is accepted */
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"rel1\",\"item\":\"" SHOP "bottle\"}", TOKEN), 200);
	th_resp_free(&r);

	/* a damaged snapshot: reload fails, the old one stays in service */
	th_write_file(bad, "this is not a snapshot");
	ck_assert_int_eq(rename(bad, store), 0);
	th_post(&r, &s, "/admin/reload", "", TOKEN);
	assert_error(&r, 500, "reload_failed", "the previous snapshot stays in service");
	free(before);
	before = readyz_snapshot(&s);
	ck_assert_str_eq(before, after);

	/* SIGHUP does the same as POST /admin/reload */
	th_build_store(next, 0);
	ck_assert_int_eq(rename(next, store), 0);
	kill(s.pid, SIGHUP);
	deadline = th_now_ms() + 10000;
	for (;;) {
		char *now = readyz_snapshot(&s);
		int changed = strcmp(now, after) != 0;
		free(now);
		if (changed)
			break;
		ck_assert_msg(th_now_ms() < deadline, "SIGHUP did not reload: %s", th_drain_stderr(&s));
		usleep(20000);
	}
	ck_assert_int_eq(th_get(&r, &s, "/metrics", TOKEN), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_reloads_total 2"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_reload_failures_total 1"));
	th_resp_free(&r);
	/* the item of the removed catalog update is gone again, the replay skipped its event */
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "replay", "skipped"), 1);
	ck_assert_int_eq((int)json_num(j, "replay", "applied"), 1);
	cJSON_Delete(j);
	th_resp_free(&r);
	/* an event for it now waits in the log for a snapshot that has the item again */
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"rel1\",\"item\":\"" SHOP "bottle\"}",
		TOKEN), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "pending", NULL), 1);
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);
	ck_assert_ptr_nonnull(strstr(s.err, "reloaded"));
	free(before);
	free(after);
	free(next);
	free(bad);
}
END_TEST

/* A shop's event stream names products by SKU and GTIN, and names new products before the
 * snapshot has them: known codes are matched like the loader matches them, unknown ones are
 * logged "pending" and count from the reload whose snapshot has the product; compaction
 * keeps them in the log until then. With --strict-items they are refused. */
START_TEST(test_events_new_items)
{
	th_server s;
	th_resp r;
	cJSON *j, *names, *it;
	char *next = th_path(dir, "next.kgr"), *old = th_path(dir, "old.kgr");
	char *out = th_path(dir, "compacted.kgr"), *log, *text;
	kgr_store *cs = NULL;
	const kgr_interaction *in;
	size_t added = 0, skipped = 0, n;
	int with_bottle = 0;

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "[{\"user\":\"nina\",\"item\":\"KB-5\","
		"\"action\":\"view\",\"time\":\"2024-06-01T09:00:00Z\"},{\"user\":\"nina\",\"item\":\"BTL-100\","
		"\"action\":\"purchase\",\"time\":\"2024-06-01T10:00:00Z\"},{\"user\":\"nina\",\"item\":"
		"\"12345678905\",\"action\":\"add_to_cart\",\"time\":\"2024-06-01T11:00:00Z\"},{\"user\":"
		"\"nina\",\"item\":\"BTL-100\",\"action\":\"view\",\"time\":\"2024-06-01T12:00:00Z\"}]", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "accepted", NULL), 4);
	ck_assert_int_eq((int)json_num(j, "pending", NULL), 3);
	names = cJSON_GetObjectItem(j, "pending_items");
	ck_assert_int_eq(cJSON_GetArraySize(names), 2);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(names, 0)), "BTL-100");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(names, 1)), "12345678905");
	ck_assert_ptr_nonnull(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "note")), "reload"));
	cJSON_Delete(j);
	th_resp_free(&r);
	/* the SKU of a product the snapshot has is that product; the new ones are logged as written */
	log = kgr_test_slurp(evlog, NULL);
	ck_assert_ptr_nonnull(strstr(log, "\"item\":\"" SHOP "ball\",\"action\":\"https://w3id.org/kgrec/ns#view\""));
	ck_assert_ptr_nonnull(strstr(log, "\"item\":\"BTL-100\",\"action\":\"https://w3id.org/kgrec/ns#purchase\""));
	ck_assert_ptr_nonnull(strstr(log, "\"weight\":1,\"pending\":true"));
	free(log);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_events_applied_total 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_events_pending_total 3\n"));
	th_resp_free(&r);
	/* compacting onto a snapshot without the product leaves its events in the log only */
	ck_assert_int_eq(kgr_server_compact(store, evlog, out, &added, &skipped), 0);
	ck_assert_uint_eq(added, 1);
	ck_assert_uint_eq(skipped, 3);

	/* the catalog update brings the product, named by its SKU and GTIN: the reload counts
	 * the three waiting events, and it is a candidate like any other product */
	ck_assert_int_eq(rename(store, old), 0);
	th_build_store(next, 1);
	ck_assert_int_eq(rename(next, store), 0);
	ck_assert_int_eq(th_post(&r, &s, "/admin/reload", "", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "replayed_events", NULL), 4);
	cJSON_Delete(j);
	th_resp_free(&r);
	j = recommend(&s, "{\"user\":\"nina\",\"k\":5,\"explain\":true}");
	ck_assert(!has_item(j, SHOP "ball") && !has_item(j, SHOP "bottle"));
	/* her purchase of it is what explains the list */
	text = cJSON_PrintUnformatted(j);
	ck_assert_ptr_nonnull(strstr(text, "Water Bottle"));
	free(text);
	cJSON_Delete(j);
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"runner\",\"item\":\"socks\","
		"\"action\":\"purchase\"}", NULL), 200);
	th_resp_free(&r);
	j = recommend(&s, "{\"user\":\"runner\",\"k\":5}");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
		with_bottle += !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "item")), SHOP "bottle");
	ck_assert_int_eq(with_bottle, 1);
	cJSON_Delete(j);
	th_stop(&s, SIGTERM);

	/* compaction onto that snapshot takes them, matched by SKU and GTIN */
	ck_assert_int_eq(kgr_server_compact(store, evlog, out, &added, &skipped), 0);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_int_eq(kgr_store_open(&cs, out), 0);
	in = kgr_store_user_interactions(cs, kgr_store_iri(cs, "https://w3id.org/kgrec/user/nina"), &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(kgr_term_value(cs, in[1].item, NULL), SHOP "bottle");
	ck_assert_str_eq(kgr_term_value(cs, in[2].item, NULL), SHOP "bottle");
	ck_assert_str_eq(kgr_term_value(cs, in[2].action, NULL), "https://w3id.org/kgrec/ns#cart");
	kgr_store_free(cs);

	/* --strict-items: refused, nothing logged */
	ck_assert_int_eq(th_serve(&s, old, "--events-log", evlog, "--strict-items", NULL), 0);
	th_post(&r, &s, "/v1/events", "{\"user\":\"nina\",\"item\":\"BTL-200\"}", NULL);
	assert_error(&r, 404, "unknown_item", "event.item: unknown item 'BTL-200' (this server runs "
		"with --strict-items");
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "{\"user\":\"nina\",\"item\":\"KB-5\"}", NULL), 200);
	th_resp_free(&r);
	th_stop(&s, SIGTERM);
	ck_assert_int_eq((int)count_lines(evlog), 3);
	free(next);
	free(old);
	free(out);
}
END_TEST

START_TEST(test_compact)
{
	th_server s;
	th_resp r;
	cJSON *j;
	kgr_store *ns = NULL;
	kgr_store_stats st0, st1;
	char *out = th_path(dir, "compacted.kgr"), cmd[2048];
	kgr_id u;
	size_t n;

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	ck_assert_int_eq(th_post(&r, &s, "/v1/events", "[{\"user\":\"cmp1\",\"item\":\"" SHOP "ball\","
		"\"action\":\"purchase\",\"time\":\"2024-07-01T00:00:00Z\",\"weight\":3},{\"user\":\"alice\","
		"\"item\":\"" SHOP "boots\",\"time\":1720000000}]", NULL), 200);
	th_resp_free(&r);
	th_stop(&s, SIGTERM);

	snprintf(cmd, sizeof(cmd), "'%s' compact '%s' --events-log '%s' -o '%s' >/dev/null", KGR_CLI, store,
		evlog, out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(kgr_store_open(&ns, out), 0);
	kgr_store_get_stats(ns, &st1);
	{
		kgr_store *old = NULL;
		ck_assert_int_eq(kgr_store_open(&old, store), 0);
		kgr_store_get_stats(old, &st0);
		kgr_store_free(old);
	}
	ck_assert_int_eq((int)st1.interactions, (int)st0.interactions + 2);
	ck_assert_int_eq((int)st1.users, (int)st0.users + 1);
	u = kgr_store_iri(ns, "https://w3id.org/kgrec/user/cmp1");
	ck_assert_uint_ne(u, 0);
	{
		const kgr_interaction *in = kgr_store_user_interactions(ns, u, &n);
		ck_assert_int_eq((int)n, 1);
		ck_assert_int_eq((long long)in[0].time, 1719792000LL);
		ck_assert(in[0].weight == 3.0f);
		ck_assert_str_eq(kgr_term_value(ns, in[0].action, NULL), "https://w3id.org/kgrec/ns#purchase");
	}
	kgr_store_free(ns);

	/* the compacted snapshot with the same log: every logged event is already in it */
	ck_assert_int_eq(th_serve(&s, out, "--events-log", evlog, NULL), 0);
	ck_assert_int_eq(th_get(&r, &s, "/readyz", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "replay", "events"), 2);
	ck_assert_int_eq((int)json_num(j, "replay", "duplicates"), 2);
	ck_assert_int_eq((int)json_num(j, "replay", "applied"), 0);
	cJSON_Delete(j);
	th_resp_free(&r);
	/* a reload replays the log again and counts its duplicates as the start did */
	ck_assert_int_eq(th_post(&r, &s, "/admin/reload", "", NULL), 200);
	th_resp_free(&r);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_events_duplicate_total 4\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_events_replayed_total 0\n"));
	th_resp_free(&r);
	th_stop(&s, SIGTERM);

	/* compacting it again with nothing new keeps every term and quad as they are */
	{
		char *out2 = th_path(dir, "compacted2.kgr");
		kgr_store *a = NULL, *b = NULL;
		const kgr_quad *qa, *qb;
		size_t na, nb, i;
		size_t added = 99;
		ck_assert_int_eq(kgr_server_compact(out, evlog, out2, &added, NULL), 0);
		ck_assert_uint_eq(added, 0);
		ck_assert_int_eq(kgr_store_open(&a, out), 0);
		ck_assert_int_eq(kgr_store_open(&b, out2), 0);
		qa = kgr_store_quads(a, &na);
		qb = kgr_store_quads(b, &nb);
		ck_assert_uint_eq(na, nb);
		ck_assert(memcmp(qa, qb, na * sizeof(*qa)) == 0);
		ck_assert_uint_eq(kgr_store_term_count(a), kgr_store_term_count(b));
		for (i = 1; i <= kgr_store_term_count(a); i++)
			ck_assert_str_eq(kgr_term_value(a, (kgr_id)i, NULL), kgr_term_value(b, (kgr_id)i, NULL));
		kgr_store_free(a);
		kgr_store_free(b);
		free(out2);
	}

	/* compacting onto the input is refused */
	snprintf(cmd, sizeof(cmd), "'%s' compact '%s' --events-log '%s' -o '%s' 2>/dev/null", KGR_CLI, store,
		evlog, store);
	ck_assert_int_eq(WEXITSTATUS(system(cmd)), 1);
	ck_assert_int_eq(kgr_server_compact(store, evlog, store, NULL, NULL), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "is the input snapshot"));
	ck_assert_int_eq(kgr_server_compact(store, "/nonexistent/events.log", out, NULL, NULL), KGR_ENOTFOUND);
	{
		/* a shop's events table is for an events database only */
		kgr_events_map map = KGR_EVENTS_MAP_INIT;
		map.table = "shop.events";
		ck_assert_int_eq(kgr_server_compact_map(store, evlog, &map, out, NULL, NULL), KGR_EINVALID);
		ck_assert_ptr_nonnull(strstr(kgr_error_last(), "an events table is for an events database"));
	}
	free(out);
}
END_TEST

/* The mapping of a shop's events table, refused before any database is reached; an
 * unreachable database is named without its password. */
START_TEST(test_events_map_errors)
{
	kgr_server_options o = KGR_SERVER_OPTIONS_INIT;
	kgr_events_map map = KGR_EVENTS_MAP_INIT;
	kgr_server *srv = NULL;
	o.store_path = "/nonexistent.snap";
	o.events_table = "shop.events";
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "without an events database"));
	o.events_table = NULL;
	o.events_db = "postgresql://kgrec@127.0.0.1:1/x";
	o.events_columns = "user=customer";
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "without an events table"));
	ck_assert_ptr_null(srv);
	o.events_columns = NULL;
	o.events_db = NULL;
	o.events_timeout_ms = 2000;
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "an events table, its columns, its time unit or an events "
		"timeout without an events database: give the database too");
	o.events_timeout_ms = 0;
	/* a malformed action map stops the start, naming its file and line */
	o.action_map = KGR_TEST_DATA "/events/bad-action-map.csv";
	ck_assert_int_eq(kgr_server_new(&srv, &o), KGR_EPARSE);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "bad-action-map.csv:2: column 2: 'teleport' is "
		"not an action"));
	ck_assert_ptr_null(srv);
	o.action_map = NULL;

	map.table = "shop.events";
	ck_assert_int_eq(kgr_db_init_map("postgresql://kgrec:s3cret@127.0.0.1:1/x?connect_timeout=2",
		&map), KGR_EIO);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "postgresql://kgrec:***@127.0.0.1:1/x"));
	ck_assert_ptr_null(strstr(kgr_error_last(), "s3cret"));
	map.version = 1; /* before action_map: still taken */
	ck_assert_int_eq(kgr_db_init_map("postgresql://kgrec@127.0.0.1:1/x?connect_timeout=2", &map),
		KGR_EIO);
	map.version = 0;
	ck_assert_int_eq(kgr_db_init_map("postgresql://kgrec@127.0.0.1:1/x?connect_timeout=2", &map),
		KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "options version 0"));
	map.version = KGR_EVENTS_MAP_VERSION + 1;
	ck_assert_int_eq(kgr_db_init_map("postgresql://kgrec@127.0.0.1:1/x?connect_timeout=2", &map),
		KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "expected 2"));
}
END_TEST

/* Recommendations, events and SPARQL queries keep flowing while the snapshot is swapped:
 * every request gets its answer from one snapshot or the other, none fails. */
typedef struct {
	th_server *s;
	int kind; /* 0 recommend, 1 events, 2 sparql */
	atomic_int *stop;
	int ok, failed, last_status;
	char last_body[200]; /* the last failure's reply, for the message */
} load_ctx;

static void *load_loop(void *p)
{
	load_ctx *c = p;
	int i = 0;
	while (!atomic_load(c->stop)) {
		th_resp r;
		char body[256];
		if (c->kind == 0) {
			th_post(&r, c->s, "/v1/recommend", i % 2 ? "{\"user\":\"alice\",\"k\":3,\"explain\":true}" :
				"{\"user\":\"carol\",\"k\":5}", NULL);
		} else if (c->kind == 1) {
			snprintf(body, sizeof(body), "{\"user\":\"live%d\",\"item\":\"" SHOP "%s\",\"time\":%d}", i % 7,
				i % 2 ? "ball" : "racket", 1718000000 + i);
			th_post(&r, c->s, "/v1/events", body, NULL);
		} else {
			th_get(&r, c->s, "/sparql?query=SELECT%20%3Fi%20WHERE%20%7B%3Fi%20a%20%3Chttp%3A%2F%2Fschema.org"
				"%2FProduct%3E%7D", NULL);
		}
		if (r.status == 200)
			c->ok++;
		else {
			c->failed++;
			c->last_status = r.status;
			snprintf(c->last_body, sizeof(c->last_body), "%s", r.body ? r.body : "");
		}
		th_resp_free(&r);
		i++;
	}
	return NULL;
}

START_TEST(test_reload_under_load)
{
	th_server s;
	th_resp r;
	pthread_t t[4];
	load_ctx c[4];
	atomic_int stop = 0;
	int i, reloads = 0;
	cJSON *j;

	/* the SPARQL time limit raised: under a sanitizer on a loaded machine a query can take
	 * seconds, and this test is about the swap, not the limit (test_sparql_time_limit) */
	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, "--sparql-timeout", "60000", NULL), 0);
	for (i = 0; i < 4; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].s = &s;
		c[i].kind = i < 2 ? 0 : i - 1;
		c[i].stop = &stop;
		pthread_create(&t[i], NULL, load_loop, &c[i]);
	}
	for (i = 0; i < 5; i++) {
		usleep(100000);
		ck_assert_int_eq(th_post(&r, &s, "/admin/reload", "", NULL), 200);
		th_resp_free(&r);
		reloads++;
	}
	usleep(100000);
	atomic_store(&stop, 1);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(c[i].failed == 0, "load %d: %d failed (last HTTP %d: %s), %d ok", i,
			c[i].failed, c[i].last_status, c[i].last_body, c[i].ok);
		ck_assert_int_gt(c[i].ok, 0);
	}
	/* every event acknowledged under load is in the state in service */
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_reloads_total 5"));
	th_resp_free(&r);
	ck_assert_int_eq(th_post(&r, &s, "/admin/reload", "", NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq((int)json_num(j, "replayed_events", NULL), c[2].ok);
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);
	(void)reloads;
}
END_TEST

/* ------------------------------------------------------------------ SPARQL protocol */

START_TEST(test_sparql_protocol_refusals)
{
	th_server s;
	th_resp r;
	char *u;
	ck_assert_int_eq(th_serve(&s, store, NULL), 0);
	th_get(&r, &s, "/sparql", NULL);
	assert_error(&r, 400, "missing_query", "no query");
	th_get(&r, &s, "/sparql?update=CLEAR%20ALL", NULL);
	assert_error(&r, 403, "update_forbidden", "not allowed");
	th_get(&r, &s, "/sparql?query=PREFIX%20ex%3A%20%3Chttp%3A%2F%2Fex.org%2F%3E%0AINSERT%20DATA%20%7B%20ex%3Aa%20ex%3Ab%20ex%3Ac%20%7D", NULL);
	assert_error(&r, 403, "update_forbidden", "read-only");
	u = th_url(&s, "/sparql");
	th_http(&r, "POST", u, "update=DELETE%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D",
		"application/x-www-form-urlencoded", NULL, NULL);
	assert_error(&r, 403, "update_forbidden", "not allowed");
	th_http(&r, "POST", u, "DROP ALL", "application/sparql-update", NULL, NULL);
	assert_error(&r, 403, "update_forbidden", "not allowed");
	th_http(&r, "POST", u, "SELECT * WHERE {?s ?p ?o}", "text/plain", NULL, NULL);
	assert_error(&r, 415, "unsupported_media_type", "got 'text/plain'");
	th_http(&r, "POST", u, "other=1", "application/x-www-form-urlencoded", NULL, NULL);
	assert_error(&r, 400, "missing_query", "no query= field");
	th_http(&r, "GET", u, NULL, NULL, NULL, "image/png");
	th_resp_free(&r);
	free(u);
	u = th_url(&s, "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D");
	th_http(&r, "GET", u, NULL, NULL, NULL, "image/png");
	assert_error(&r, 406, "not_acceptable", "image/png");
	th_http(&r, "DELETE", u, NULL, NULL, NULL, NULL);
	assert_error(&r, 405, "method_not_allowed", "GET, POST");
	free(u);
	th_stop(&s, SIGTERM);
}
END_TEST

/* GET /sparql?query=Q with an Accept header. */
static int sparql_get(th_resp *r, th_server *s, const char *q, const char *accept, const char *token)
{
	char *e = th_escape(q), *path = malloc(strlen(e) + 32), *u;
	int st;
	sprintf(path, "/sparql?query=%s", e);
	u = th_url(s, path);
	st = th_http(r, "GET", u, NULL, NULL, token, accept);
	free(u);
	free(path);
	free(e);
	return st;
}

#define Q_BRAND "SELECT ?b WHERE { <" SHOP "ball> <http://schema.org/brand> ?b }"

START_TEST(test_sparql_results)
{
	th_server s;
	th_resp r;
	cJSON *j, *rows;
	char *u;
	ck_assert_int_eq(th_serve(&s, store, "--sparql-max-rows", "3", NULL), 0);

	/* SELECT in each results format */
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, NULL, NULL), 200);
	ck_assert_str_eq(r.content_type, "application/sparql-results+json");
	ck_assert_str_eq(r.truncated, ""); /* complete: no truncation headers */
	ck_assert_str_eq(r.limit, "");
	j = body_json(&r);
	rows = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "bindings");
	ck_assert_int_eq(cJSON_GetArraySize(rows), 1);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0),
		"b"), "value")), SHOP "brand-kick");
	cJSON_Delete(j);
	th_resp_free(&r);
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, "text/csv", NULL), 200);
	ck_assert_str_eq(r.content_type, "text/csv; charset=utf-8");
	ck_assert_str_eq(r.body, "b\r\n" SHOP "brand-kick\r\n");
	th_resp_free(&r);
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, "text/tab-separated-values", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "?b\n<" SHOP "brand-kick>"));
	th_resp_free(&r);
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, "application/sparql-results+xml", NULL), 200);
	ck_assert_str_eq(r.content_type, "application/sparql-results+xml");
	ck_assert_ptr_nonnull(strstr(r.body, "<variable name=\"b\"/>"));
	ck_assert_ptr_nonnull(strstr(r.body, "<binding name=\"b\"><uri>" SHOP "brand-kick</uri></binding>"));
	th_resp_free(&r);
	/* q-values: CSV preferred over JSON */
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, "application/sparql-results+json;q=0.5, text/csv", NULL), 200);
	ck_assert_str_eq(r.content_type, "text/csv; charset=utf-8");
	th_resp_free(&r);

	/* ASK, CONSTRUCT in Turtle and N-Triples */
	ck_assert_int_eq(sparql_get(&r, &s, "ASK { <" SHOP "tballs> <http://schema.org/isConsumableFor> <" SHOP "racket> }",
		NULL, NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"boolean\":true"));
	th_resp_free(&r);
	ck_assert_int_eq(sparql_get(&r, &s, "CONSTRUCT { ?i <http://schema.org/brand> ?b } WHERE { ?i <http://schema.org/brand> ?b "
		"FILTER(?i = <" SHOP "shoes>) }", "application/n-triples", NULL), 200);
	ck_assert_str_eq(r.content_type, "application/n-triples");
	ck_assert_str_eq(r.body, "<" SHOP "shoes> <http://schema.org/brand> <" SHOP "brand-kick> .\n");
	th_resp_free(&r);
	ck_assert_int_eq(sparql_get(&r, &s, "CONSTRUCT { ?i <http://schema.org/brand> ?b } WHERE { ?i <http://schema.org/brand> ?b "
		"FILTER(?i = <" SHOP "shoes>) }", NULL, NULL), 200);
	ck_assert_str_eq(r.content_type, "text/turtle; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body, "brand-kick"));
	th_resp_free(&r);
	/* RDF/XML (SPARQLWrapper's default Accept for CONSTRUCT) and JSON-LD */
	ck_assert_int_eq(sparql_get(&r, &s, "CONSTRUCT { ?i <http://schema.org/brand> ?b } WHERE { ?i <http://schema.org/brand> ?b "
		"FILTER(?i = <" SHOP "shoes>) }", "application/rdf+xml, application/xml;q=0.9", NULL), 200);
	ck_assert_str_eq(r.content_type, "application/rdf+xml");
	ck_assert_msg(strstr(r.body, "<rdf:Description rdf:about=\"" SHOP "shoes\">") &&
		strstr(r.body, "<schema:brand rdf:resource=\"" SHOP "brand-kick\"/>"), "%s", r.body);
	th_resp_free(&r);
	ck_assert_int_eq(sparql_get(&r, &s, "CONSTRUCT { ?i <http://schema.org/brand> ?b } WHERE { ?i <http://schema.org/brand> ?b "
		"FILTER(?i = <" SHOP "shoes>) }", "application/ld+json", NULL), 200);
	ck_assert_str_eq(r.content_type, "application/ld+json");
	ck_assert_str_eq(r.body, "[\n{\"@id\":\"" SHOP "shoes\",\n  \"http://schema.org/brand\":[{\"@id\":\"" SHOP
		"brand-kick\"}]}\n]\n");
	th_resp_free(&r);
	/* JSON-LD is a graph syntax: a SELECT asking only for it gets 406 */
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, "application/ld+json", NULL), 406);
	th_resp_free(&r);

	/* form POST and application/sparql-query bodies */
	u = th_url(&s, "/sparql");
	ck_assert_int_eq(th_http(&r, "POST", u, "query=SELECT%20%3Fb%20WHERE%20%7B%3C" "http%3A%2F%2Fexample.org%2Fshop%2F"
		"ball%3E%20%3Chttp%3A%2F%2Fschema.org%2Fbrand%3E%20%3Fb%7D", "application/x-www-form-urlencoded", NULL,
		"text/csv"), 200);
	ck_assert_str_eq(r.body, "b\r\n" SHOP "brand-kick\r\n");
	th_resp_free(&r);
	ck_assert_int_eq(th_http(&r, "POST", u, Q_BRAND, "application/sparql-query", NULL, "text/csv"), 200);
	ck_assert_str_eq(r.body, "b\r\n" SHOP "brand-kick\r\n");
	th_resp_free(&r);
	free(u);

	/* the row limit */
	ck_assert_int_eq(sparql_get(&r, &s, "SELECT ?i WHERE { ?i a <http://schema.org/Product> }", NULL, NULL), 200);
	j = body_json(&r);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "results"), "bindings")), 3);
	cJSON_Delete(j);
	/* the cut is said in the headers: 200 with 3 rows alone looks complete */
	ck_assert_str_eq(r.truncated, "true");
	ck_assert_str_eq(r.limit, "3");
	th_resp_free(&r);
	/* a graph result cut at the limit too */
	ck_assert_int_eq(sparql_get(&r, &s, "CONSTRUCT { ?i a <http://schema.org/Product> } WHERE { ?i a <http://schema.org/Product> }",
		"application/n-triples", NULL), 200);
	ck_assert_str_eq(r.truncated, "true");
	ck_assert_str_eq(r.limit, "3");
	th_resp_free(&r);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_sparql_truncated_total 2"));
	th_resp_free(&r);

	/* a syntax error names the line */
	sparql_get(&r, &s, "SELECT * WHERE { ?a ?b ", NULL, NULL);
	assert_error(&r, 400, "query_syntax", "line 1");
	th_stop(&s, SIGTERM);
}
END_TEST

/* The service's query processes, read from /proc: how many children @p pid has, and the
 * first of them in *first. */
static int children_of(pid_t pid, pid_t *first)
{
	char cmd[128];
	FILE *ls;
	int n = 0, c;
	snprintf(cmd, sizeof(cmd), "cat /proc/%d/task/*/children", (int)pid);
	*first = 0;
	ck_assert_ptr_nonnull(ls = popen(cmd, "r"));
	while (fscanf(ls, "%d", &c) == 1)
		if (n++ == 0)
			*first = c;
	pclose(ls);
	return n;
}

/* Query processes kept ready: one is used again after queries kgrec evaluates itself (the
 * same process before and after five of them), a rasqal-evaluated query ends its own, and
 * every answer is the same as with --sparql-process-per-query, which leaves no process
 * behind a query. */
START_TEST(test_sparql_processes_kept_ready)
{
	static const char *const qs[] = {
		Q_BRAND,
		"ASK { ?s ?p ?o }",
		"SELECT ?s ?o WHERE { ?s <http://schema.org/brand> ?o FILTER(?o != <" SHOP "none>) }",
		"SELECT ?s ?o WHERE { ?s <http://schema.org/brand> ?o OPTIONAL { ?s ?x ?o } }",
	};
	th_server kept, each;
	th_resp a, b;
	pid_t first = 0, again = 0;
	size_t i;
	int n, tries;
	ck_assert_int_eq(th_serve(&kept, store, NULL), 0);
	ck_assert_int_eq(th_serve(&each, store, "--sparql-process-per-query", NULL), 0);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		ck_assert_int_eq(sparql_get(&a, &kept, qs[i], "text/csv", NULL), 200);
		ck_assert_int_eq(sparql_get(&b, &each, qs[i], "text/csv", NULL), 200);
		ck_assert_str_eq(a.body, b.body);
		th_resp_free(&a);
		th_resp_free(&b);
	}
	ck_assert_int_eq(children_of(each.pid, &first), 0);
	for (tries = 0; tries < 100 && children_of(kept.pid, &first) == 0; tries++)
		usleep(20000);
	ck_assert_int_ge(children_of(kept.pid, &first), 1);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(sparql_get(&a, &kept, Q_BRAND, "text/csv", NULL), 200);
		th_resp_free(&a);
	}
	n = children_of(kept.pid, &again);
	ck_assert_int_ge(n, 1);
	ck_assert_int_le(n, 2);
	{ /* still there, and not a zombie waiting to be reaped */
		char path[64], state = 'Z';
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)first);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
				state = 'Z';
			fclose(f);
		}
		ck_assert_msg(state != 'Z', "the ready process %d was not used again", (int)first);
	}
	th_stop(&kept, SIGTERM);
	th_stop(&each, SIGTERM);
}
END_TEST

START_TEST(test_sparql_time_limit)
{
	th_server s;
	th_resp r;
	int64_t t0;
	ck_assert_int_eq(th_serve(&s, store, "--sparql-timeout", "300", "--sparql-max-rows", "100000000", NULL), 0);
	t0 = th_now_ms();
	sparql_get(&r, &s, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", NULL, NULL);
	assert_error(&r, 503, "timeout", "time limit of 300 ms");
	ck_assert_int_lt(th_now_ms() - t0, 5000);
	/* the endpoint still answers */
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, "text/csv", NULL), 200);
	th_resp_free(&r);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_sparql_timeouts_total 1"));
	th_resp_free(&r);
	th_stop(&s, SIGTERM);
}
END_TEST

/* 15 nested OPTIONALs: rasqal spends tens of seconds preparing it, where no check of the
 * clock can reach. */
static char *nested_optionals(void)
{
	char *q = malloc(1024), *p = q;
	int i;
	p += sprintf(p, "SELECT * WHERE { ?s0 ?p0 ?o0 ");
	for (i = 1; i <= 15; i++)
		p += sprintf(p, "OPTIONAL { ?s%d ?p%d ?o%d ", i, i, i);
	for (i = 1; i <= 15; i++)
		*p++ = '}';
	strcpy(p, " }");
	return q;
}

/* POST the query on a raw connection and return it without waiting for the answer. */
static int sparql_post_raw(const th_server *s, const char *q)
{
	char head[256];
	int fd = raw_connect(s->port);
	snprintf(head, sizeof(head), "POST /sparql HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		"Content-Type: application/sparql-query\r\nContent-Length: %zu\r\n\r\n", strlen(q));
	send_all(fd, head, strlen(head));
	send_all(fd, q, strlen(q));
	return fd;
}

static char *recv_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	while ((n = recv(fd, buf + len, cap - len - 1, 0)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

START_TEST(test_sparql_deadline_covers_prepare)
{
	th_server s;
	th_resp r;
	int64_t t0;
	char *q = nested_optionals(), *reply;
	int fd, st;

	ck_assert_int_eq(th_serve(&s, store, "--sparql-timeout", "3000", NULL), 0);
	t0 = th_now_ms();
	fd = sparql_post_raw(&s, q);
	usleep(200000);
	/* while it runs, other queries and the API answer at once */
	ck_assert_int_eq(sparql_get(&r, &s, Q_BRAND, "text/csv", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "brand-kick"));
	th_resp_free(&r);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) /* there, queries fork one at a time (sparql/sparql_child.c) */
	ck_assert_int_lt(th_now_ms() - t0, 2500); /* not after the other's 3 s */
#endif
	ck_assert_int_eq(th_post(&r, &s, "/v1/recommend", "{\"user\":\"alice\"}", NULL), 200);
	th_resp_free(&r);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	ck_assert_int_lt(th_now_ms() - t0, 2800);
#endif
	/* and the query is cut at its time limit */
	reply = recv_all(fd);
	close(fd);
	ck_assert_msg(!strncmp(reply, "HTTP/1.1 503", 12), "%s", reply);
	ck_assert_ptr_nonnull(strstr(reply, "time limit of 3000 ms"));
	free(reply);
	ck_assert_int_lt(th_now_ms() - t0, 6000);
	ck_assert_int_eq(th_get(&r, &s, "/metrics", NULL), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "kgrec_sparql_timeouts_total 1"));
	th_resp_free(&r);
	th_stop(&s, SIGTERM);

	/* SIGTERM during such a query stops the service promptly */
	ck_assert_int_eq(th_serve(&s, store, "--sparql-timeout", "60000", NULL), 0);
	fd = sparql_post_raw(&s, q);
	usleep(300000);
	t0 = th_now_ms();
	kill(s.pid, SIGTERM);
	ck_assert_int_eq(waitpid(s.pid, &st, 0), s.pid);
	s.pid = 0;
	ck_assert_int_lt(th_now_ms() - t0, 2000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	reply = recv_all(fd);
	close(fd);
	ck_assert_ptr_nonnull(strstr(reply, "cancelled"));
	free(reply);
	th_stop(&s, SIGTERM);
	free(q);
}
END_TEST

/* Clients nobody here wrote: rasqal's roqet and Python's SPARQLWrapper. */
START_TEST(test_sparql_foreign_clients)
{
	th_server s;
	char cmd[1024], out[4096];
	size_t n;
	FILE *p;
	ck_assert_int_eq(th_serve(&s, store, "--token-file", KGR_TEST_DATA "/server/token.txt", NULL), 0);

	snprintf(cmd, sizeof(cmd), "roqet -q -i sparql -p %s/sparql -e '" Q_BRAND "' 2>&1", s.base);
	/* roqet sends no token: refused */
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	ck_assert_ptr_null(strstr(out, "brand-kick"));
	th_stop(&s, SIGTERM);

	ck_assert_int_eq(th_serve(&s, store, NULL), 0);
	snprintf(cmd, sizeof(cmd), "roqet -q -i sparql -p %s/sparql -e '" Q_BRAND "' 2>&1", s.base);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(strstr(out, "row: [b=uri<" SHOP "brand-kick>]") != NULL, "roqet printed: %s", out);
	th_stop(&s, SIGTERM);

	ck_assert_int_eq(th_serve(&s, store, "--token-file", KGR_TEST_DATA "/server/token.txt", NULL), 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/server/sparqlwrapper_client.py %s/sparql %s 2>&1", KGR_TEST_SRC,
		s.base, TOKEN);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_msg(pclose(p) == 0, "SPARQLWrapper failed: %s", out);
	ck_assert_msg(strstr(out, "select " SHOP "grip " SHOP "jersey " SHOP "racket " SHOP "socks " SHOP "tballs\n"),
		"%s", out);
	ck_assert_msg(strstr(out, "ask True\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "csv label|Soccer Ball\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "construct True\n") != NULL, "%s", out);
	th_stop(&s, SIGTERM);
}
END_TEST

/* ------------------------------------------------------------------ access log, shutdown */

START_TEST(test_access_log_and_request_id)
{
	th_server s;
	th_resp r;
	char *alog = th_path(dir, "access.log"), *text, *line, *save = NULL, *u;
	int lines = 0, saw_custom = 0, saw_401 = 0;
	ck_assert_int_eq(th_serve(&s, store, "--access-log", alog, "--token-file",
		KGR_TEST_DATA "/server/token.txt", NULL), 0);
	ck_assert_int_eq(th_get(&r, &s, "/healthz", NULL), 200);
	ck_assert_int_gt((int)strlen(r.request_id), 8);
	th_resp_free(&r);
	th_get(&r, &s, "/metrics", NULL);
	th_resp_free(&r);
	u = th_url(&s, "/readyz");
	/* a client's own request id is kept; a hostile one is replaced */
	th_extra_header = "X-Request-Id: shop-req-0042";
	ck_assert_int_eq(th_http(&r, "GET", u, NULL, NULL, NULL, NULL), 200);
	ck_assert_str_eq(r.request_id, "shop-req-0042");
	th_resp_free(&r);
	th_extra_header = "X-Request-Id: <script>";
	ck_assert_int_eq(th_http(&r, "GET", u, NULL, NULL, NULL, NULL), 200);
	ck_assert_str_ne(r.request_id, "<script>");
	th_resp_free(&r);
	th_extra_header = NULL;
	free(u);
	ck_assert_int_eq(th_stop(&s, SIGTERM), 0);
	text = kgr_test_slurp(alog, NULL);
	ck_assert_ptr_nonnull(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(line);
		ck_assert_msg(j != NULL, "access log line is not JSON: %s", line);
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(j, "request_id")));
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(j, "time")));
		ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "duration_ms")));
		ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "remote")), "127.0.0.1");
		if ((int)json_num(j, "status", NULL) == 401) {
			saw_401 = 1;
			ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "endpoint")), "metrics");
		}
		saw_custom |= !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "request_id")), "shop-req-0042");
		cJSON_Delete(j);
		lines++;
	}
	ck_assert_int_eq(lines, 4);
	ck_assert(saw_401 && saw_custom);
	free(text);
	free(alog);
}
END_TEST

/* ------------------------------------------------------------------ shutdown, library API */

START_TEST(test_sigterm_finishes_request_in_flight)
{
	th_server s;
	const char *body = "{\"user\":\"late\",\"item\":\"" SHOP "ball\"}";
	char head[256], buf[2048];
	size_t half = strlen(body) / 2;
	ssize_t n;
	int fd, st;

	ck_assert_int_eq(th_serve(&s, store, "--events-log", evlog, NULL), 0);
	fd = raw_connect(s.port);
	snprintf(head, sizeof(head), "POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\n\r\n", strlen(body));
	send_all(fd, head, strlen(head));
	send_all(fd, body, half);
	usleep(200000);
	kill(s.pid, SIGTERM);
	usleep(300000);
	/* still running: the request is in flight */
	ck_assert_int_eq(waitpid(s.pid, &st, WNOHANG), 0);
	send_all(fd, body + half, strlen(body) - half);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 12);
	buf[n] = '\0';
	ck_assert_msg(!strncmp(buf, "HTTP/1.1 200", 12), "%s", buf);
	close(fd);
	ck_assert_int_eq(waitpid(s.pid, &st, 0), s.pid);
	s.pid = 0;
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	th_stop(&s, SIGTERM);
	ck_assert_ptr_nonnull(strstr(s.err, "SIGTERM received"));
	ck_assert_int_eq((int)count_lines(evlog), 1);
}
END_TEST

/* The library never prints: what the operator should know reaches the log callback. */
static char logged[2048];
static void log_cb(const char *message, void *payload)
{
	size_t n = strlen(logged);
	(void)payload;
	snprintf(logged + n, sizeof(logged) - n, "%s\n", message);
}

START_TEST(test_library_log_callback)
{
	kgr_server *srv = NULL;
	kgr_server_options o = KGR_SERVER_OPTIONS_INIT;
	o.store_path = store;
	o.listen = "127.0.0.1:0";
	o.events_log = evlog;
	th_write_file(evlog, "{\"batch\":1,\"events\":[{\"user\":\"https://w3id.org/kgrec/user/lib\",\"item\":\""
		SHOP "ball\",\"action\":\"https://w3id.org/kgrec/ns#view\",\"time\":1717236000,\"weight\":1}]}\n"
		"{\"batch\":2,\"events\":[{\"user\":\"https://w3id.org/kg");
	logged[0] = 0;
	o.log = log_cb;
	ck_assert_int_eq(kgr_server_new(&srv, &o), 0);
	ck_assert_msg(strstr(logged, "dropped a torn last line") != NULL, "logged: %s", logged);
	ck_assert_ptr_null(strchr(logged, '\n') + 1 == logged + strlen(logged) ? NULL : logged);
	kgr_server_free(srv);
	srv = NULL;
	/* without a callback nothing is told, and nothing fails */
	th_write_file(evlog, "{\"batch\":1,\"events\":[{\"user\":\"https://w3id.org/kg");
	o.log = NULL;
	logged[0] = 0;
	ck_assert_int_eq(kgr_server_new(&srv, &o), 0);
	ck_assert_str_eq(logged, "");
	kgr_server_free(srv);
}
END_TEST

START_TEST(test_library_in_process)
{
	kgr_server *srv = NULL;
	kgr_server_options o = KGR_SERVER_OPTIONS_INIT;
	kgr_server_replay_info ri;
	th_server fake;
	th_resp r;
	o.store_path = store;
	o.listen = "127.0.0.1:0";
	o.events_log = evlog;
	th_write_file(evlog, "{\"batch\":1,\"events\":[{\"user\":\"https://w3id.org/kgrec/user/lib\",\"item\":\""
		SHOP "ball\",\"action\":\"https://w3id.org/kgrec/ns#view\",\"time\":1717236000,\"weight\":1}]}\n");
	ck_assert_int_eq(kgr_server_new(&srv, &o), 0);
	kgr_server_replay_stats(srv, &ri);
	ck_assert_int_eq((int)ri.events, 1);
	ck_assert_int_eq((int)ri.batches, 1);
	ck_assert_uint_eq(kgr_server_port(srv), 0);
	ck_assert_int_eq(kgr_server_start(srv), 0);
	ck_assert_uint_gt(kgr_server_port(srv), 0);
	ck_assert_str_eq(kgr_server_host(srv), "127.0.0.1");
	memset(&fake, 0, sizeof(fake));
	snprintf(fake.base, sizeof(fake.base), "http://127.0.0.1:%u", kgr_server_port(srv));
	ck_assert_int_eq(th_get(&r, &fake, "/healthz", NULL), 200);
	th_resp_free(&r);
	ck_assert_int_eq(th_post(&r, &fake, "/v1/events", "{\"user\":\"lib2\",\"item\":\"" SHOP "gloves\"}", NULL), 200);
	th_resp_free(&r);
	ck_assert_int_eq(kgr_server_reload(srv), 0);
	kgr_server_replay_stats(srv, &ri);
	ck_assert_int_eq((int)ri.events, 2);
	/* a second server on the same port cannot start, and says why */
	{
		kgr_server *other = NULL;
		char listen[32];
		snprintf(listen, sizeof(listen), "127.0.0.1:%u", kgr_server_port(srv));
		o.listen = listen;
		o.events_log = NULL;
		ck_assert_int_eq(kgr_server_new(&other, &o), 0);
		ck_assert_int_eq(kgr_server_start(other), KGR_EIO);
		ck_assert_ptr_nonnull(strstr(kgr_error_last(), "cannot listen on 127.0.0.1:"));
		kgr_server_free(other);
	}
	kgr_server_stop(srv, 1000);
	ck_assert_uint_eq(kgr_server_port(srv), 0);
	ck_assert_int_lt(th_get(&r, &fake, "/healthz", NULL), 0);
	th_resp_free(&r);
	kgr_server_free(srv);
	kgr_server_free(NULL);
}
END_TEST

Suite *server_suite(void);
Suite *server_suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("http");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_health_and_auth);
	tcase_add_test(tc, test_refuses_open_address_without_token);
	tcase_add_test(tc, test_events_validation);
	tcase_add_test(tc, test_events_action_names);
	tcase_add_test(tc, test_events_without_log);
	tcase_add_test(tc, test_torn_last_line);
	tcase_add_test(tc, test_kill9_during_events);
	tcase_add_test(tc, test_events_group_commit);
	tcase_add_test(tc, test_body_cap_and_slow_client);
	tcase_add_test(tc, test_recommend_bad_input);
	tcase_add_test(tc, test_recommend_endpoints);
	tcase_add_test(tc, test_recommend_llm);
	tcase_add_test(tc, test_reload_and_sighup);
	tcase_add_test(tc, test_reload_under_load);
	tcase_add_test(tc, test_compact);
	tcase_add_test(tc, test_events_map_errors);
	tcase_add_test(tc, test_events_new_items);
	tcase_add_test(tc, test_sparql_protocol_refusals);
	tcase_add_test(tc, test_access_log_and_request_id);
	tcase_add_test(tc, test_sigterm_finishes_request_in_flight);
	tcase_add_test(tc, test_library_in_process);
	tcase_add_test(tc, test_sparql_results);
	tcase_add_test(tc, test_library_log_callback);
	tcase_add_test(tc, test_sparql_processes_kept_ready);
	tcase_add_test(tc, test_sparql_time_limit);
	tcase_add_test(tc, test_sparql_deadline_covers_prepare);
	tcase_add_test(tc, test_sparql_foreign_clients);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(server_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
