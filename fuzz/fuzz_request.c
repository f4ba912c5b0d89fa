/* libFuzzer target: the service's JSON request handlers, in process, on a small shop. The
 * first byte picks the endpoint (POST /v1/recommend or POST /v1/events); the rest is the
 * body exactly as a client would send it. Every reply must be a complete response. */
#include "server/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kgr_server *srv;

static const char *no_arg(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

static const char *no_unknown(void *ctx, const char *const *allowed)
{
	(void)ctx;
	(void)allowed;
	return NULL;
}

static char snap[64], evlog[64];

/* The shop's snapshot and the events log go when the fuzzer ends. */
static void remove_files(void)
{
	remove(snap);
	remove(evlog);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
	kgr_server_options so = KGR_SERVER_OPTIONS_INIT;
	kgr_store *s = NULL;
	(void)argc;
	(void)argv;
	kgr_init();
	snprintf(snap, sizeof(snap), "/tmp/kgrec-fuzz-%ld.snap", (long)getpid());
	snprintf(evlog, sizeof(evlog), "/tmp/kgrec-fuzz-%ld.events", (long)getpid());
	remove(evlog);
	atexit(remove_files);
	io.user_base = "http://shop.example.org/user/";
	io.item_base = "http://shop.example.org/";
	if (kgr_store_new(&s, 1) < 0 ||
		kgr_store_load_rdf(s, KGR_TEST_DATA "/retrieval/shop.ttl", NULL, NULL) < 0 ||
		kgr_store_load_interactions(s, KGR_TEST_DATA "/retrieval/interactions.csv", &io) < 0 ||
		kgr_store_finalize(s) < 0 || kgr_store_save(s, snap) < 0) {
		fprintf(stderr, "fuzz_request: cannot build the shop: %s\n", kgr_error_last());
		abort();
	}
	kgr_store_free(s);
	so.store_path = snap;
	so.events_log = evlog;
	so.listen = "127.0.0.1:0";
	if (kgr_server_new(&srv, &so) < 0) {
		fprintf(stderr, "fuzz_request: %s\n", kgr_error_last());
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kgr__req req;
	kgr__resp resp;
	char *body;
	if (size < 1)
		return 0;
	if (!(body = malloc(size)))
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = 0;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = "POST";
	req.body = body;
	req.body_len = size - 1;
	req.content_type = "application/json";
	req.request_id = "fuzz";
	req.arg = no_arg;
	req.unknown_arg = no_unknown;
	if (data[0] & 1) {
		req.path = "/v1/events";
		kgr__handle_events(srv, &req, &resp);
	} else {
		req.path = "/v1/recommend";
		kgr__handle_recommend(srv, &req, &resp);
	}
	if (resp.status < 200 || resp.status > 599)
		abort();
	free(resp.body);
	free(body);
	return 0;
}
