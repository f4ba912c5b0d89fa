/* The OpenAI-compatible chat-completions client: the only file that includes libcurl.
 *
 * POST {base_url}/chat/completions with a bearer token, JSON body {model, messages, temperature,
 * max_tokens, stream:false[, response_format]}. Works against OpenAI, vLLM, llama.cpp's server
 * and Ollama's /v1. Requests run on `parallel` threads, each with its own easy handle
 * (CURLOPT_NOSIGNAL, connection reuse); each request is retried on timeouts, connection
 * failures, 429 (Retry-After honoured), 5xx and unusable content, with exponential back-off. */
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BODY (16u << 20)
#define MAX_RETRY_AFTER_MS 60000L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

/* Easy handles kept between runs so that their connections (and TLS sessions) are reused;
 * a handle is used by one thread at a time. */
#define POOL_MAX 64
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *pool[POOL_MAX];
static size_t n_pool;

static void pool_cleanup(void)
{
	pthread_mutex_lock(&pool_lock);
	while (n_pool > 0)
		curl_easy_cleanup(pool[--n_pool]);
	pthread_mutex_unlock(&pool_lock);
}

static CURL *pool_get(void)
{
	CURL *h = NULL;
	pthread_mutex_lock(&pool_lock);
	if (n_pool > 0)
		h = pool[--n_pool];
	pthread_mutex_unlock(&pool_lock);
	return h ? h : curl_easy_init();
}

static void pool_put(CURL *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&pool_lock);
	if (n_pool < POOL_MAX) {
		pool[n_pool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

static void curl_init_fn(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (curl_init_code == CURLE_OK)
		atexit(pool_cleanup);
}

double kgr__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

typedef struct {
	const kgr_llm_options *opts;
	kgr__llm_req *reqs;
	size_t n;
	size_t next;
	int schema_off;          /* the server rejected response_format: stop sending it */
	double end_ms;           /* no attempt runs past this kgr__now_ms() time; 0: none */
	char url[2048];
	pthread_mutex_t lock;
} batch;

static void req_error(kgr__llm_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void req_error(kgr__llm_req *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	kgr__buf *b = userp;
	size_t n = size * nmemb;
	if (b->len + n > MAX_BODY)
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	kgr__buf_put(b, data, n);
	return b->oom ? 0 : n;
}

static char *request_body(const kgr_llm_options *o, const kgr__llm_req *r, int with_schema)
{
	cJSON *root = cJSON_CreateObject(), *msgs, *m, *rf, *js, *schema;
	char *out = NULL;
	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "model", o->model);
	msgs = cJSON_AddArrayToObject(root, "messages");
	if (r->system && *r->system) {
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "system");
		cJSON_AddStringToObject(m, "content", r->system);
		cJSON_AddItemToArray(msgs, m);
	}
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", r->user ? r->user : "");
	cJSON_AddItemToArray(msgs, m);
	cJSON_AddNumberToObject(root, "temperature", o->temperature);
	if (o->max_tokens > 0)
		cJSON_AddNumberToObject(root, "max_tokens", o->max_tokens);
	cJSON_AddBoolToObject(root, "stream", 0);
	if (with_schema && r->schema && (schema = cJSON_Parse(r->schema)) != NULL) {
		rf = cJSON_AddObjectToObject(root, "response_format");
		cJSON_AddStringToObject(rf, "type", "json_schema");
		js = cJSON_AddObjectToObject(rf, "json_schema");
		cJSON_AddStringToObject(js, "name", r->schema_name ? r->schema_name : "reply");
		cJSON_AddItemToObject(js, "schema", schema);
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

/* Reads choices[0].message.content and usage from a chat-completions response. */
static int parse_response(kgr__llm_req *r, const char *body, const char *url)
{
	cJSON *root = cJSON_Parse(body), *choices, *msg, *content, *usage, *v;
	int error = 0;
	if (!root) {
		error = KGR_EUPSTREAM;
		req_error(r, "LLM server %s: response is not JSON", url);
		goto cleanup;
	}
	choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	msg = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(choices, 0), "message");
	content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	if (!cJSON_IsString(content) || !content->valuestring) {
		error = KGR_EUPSTREAM;
		req_error(r,
			"LLM server %s: response has no choices[0].message.content", url);
		goto cleanup;
	}
	free(r->content);
	if (!(r->content = strdup(content->valuestring))) {
		error = KGR_ENOMEM;
		req_error(r, "out of memory");
		goto cleanup;
	}
	usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	v = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
	r->acct.prompt_tokens = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
	v = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
	r->acct.completion_tokens = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
cleanup:
	cJSON_Delete(root);
	return error;
}

/* Short excerpt of an error body for messages (servers explain their 4xx there). */
static void excerpt(char *dst, size_t size, const char *body)
{
	size_t i, j = 0;
	for (i = 0; body && body[i] && j + 1 < size && i < 160; i++)
		dst[j++] = (body[i] == '\n' || body[i] == '\r') ? ' ' : body[i];
	dst[j] = '\0';
}

/* One attempt as its steps share it: the request, the handle it goes out on, how long it may
 * take, whether it carries the schema, and what the caller learns about trying again. */
typedef struct {
	batch *bt;
	CURL *h;
	kgr__llm_req *r;
	long timeout;    /* ms: the option, or what is left of the ranking's deadline */
	int with_schema; /* response_format sent */
	int *retry_ok;
	long *wait_ms;
} exchange;

/* The ranking's deadline bounds every attempt: this one gets what is left of it, and none
 * starts once it has passed. */
static int fit_deadline(exchange *x)
{
	const batch *bt = x->bt;
	double left;

	if (bt->end_ms <= 0)
		return 0;
	left = bt->end_ms - kgr__now_ms();
	if (left < 1) {
		req_error(x->r, "LLM server %s: the ranking's deadline of %ld ms passed before this request",
			bt->url, bt->opts->deadline_ms);
		return KGR_ETIMEOUT;
	}
	if ((double)x->timeout > left)
		x->timeout = (long)left;
	return 0;
}

/* Every option of the request is set again on each attempt: handles come from the pool
 * with whatever their previous request left in them. Returns the header list, which the
 * caller frees after the transfer. */
static struct curl_slist *setup_handle(const exchange *x, const char *req_body, kgr__buf *body,
	char *errbuf)
{
	const kgr_llm_options *o = x->bt->opts;
	struct curl_slist *hdrs = NULL;
	char auth[1024];
	CURL *h = x->h;

	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
	if (o->api_key && *o->api_key) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->api_key);
		hdrs = curl_slist_append(hdrs, auth);
	}
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, x->bt->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req_body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(req_body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, x->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, x->timeout);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kgrec/" KGR_VERSION_STRING);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	return hdrs;
}

/* What an HTTP status other than 200 means for the next attempt: a 400 to response_format
 * is a server without json_schema (ask again without it, not a retry); 429 and 5xx are
 * passing states, so they are retried (after the Retry-After, bounded); any other status
 * would only come again. */
static int status_error(exchange *x, long status, const char *body)
{
	batch *bt = x->bt;
	curl_off_t ra = -1;
	char ex[200];

	excerpt(ex, sizeof(ex), body);
	if (status == 400 && x->with_schema) {
		pthread_mutex_lock(&bt->lock);
		bt->schema_off = 1;
		pthread_mutex_unlock(&bt->lock);
		x->r->schema_rejected = 1;
		*x->retry_ok = 2;
		req_error(x->r, "LLM server %s: HTTP 400 to response_format: %s",
			bt->url, ex);
		return KGR_EUPSTREAM;
	}
	if (status == 429 || status >= 500) {
		*x->retry_ok = 1;
		if (status == 429 && curl_easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra >= 0)
			*x->wait_ms = ra * 1000 > MAX_RETRY_AFTER_MS ? MAX_RETRY_AFTER_MS : (long)ra * 1000;
		req_error(x->r, "LLM server %s: HTTP %ld%s: %s", bt->url, status,
			status == 429 ? " (rate limited)" : "", ex);
		return KGR_EUPSTREAM;
	}
	if (status != 200) {
		req_error(x->r, "LLM server %s: HTTP %ld%s: %s", bt->url, status,
			status == 401 || status == 403 ? " (check the API key)" :
			status == 404 ? " (check the URL and the model name)" : "", ex);
		return KGR_EUPSTREAM;
	}
	return 0;
}

/* One attempt. Returns 0 on a usable reply; else the error code and sets *retry_ok and
 * *wait_ms (a Retry-After). */
static int attempt(batch *bt, CURL *h, kgr__llm_req *r, int *retry_ok, long *wait_ms)
{
	const kgr_llm_options *o = bt->opts;
	exchange x;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	kgr__buf body = { 0 };
	char *req_body = NULL;
	CURLcode cc;
	long status = 0;
	int error = 0;

	x.bt = bt;
	x.h = h;
	x.r = r;
	x.timeout = o->timeout_ms;
	x.with_schema = 0;
	x.retry_ok = retry_ok;
	x.wait_ms = wait_ms;
	*retry_ok = 0;
	*wait_ms = 0;
	if ((error = fit_deadline(&x)))
		return error;
	pthread_mutex_lock(&bt->lock);
	x.with_schema = o->json_schema && !bt->schema_off && r->schema;
	pthread_mutex_unlock(&bt->lock);
	if (!(req_body = request_body(o, r, x.with_schema))) {
		req_error(r, "out of memory");
		return KGR_ENOMEM;
	}
	hdrs = setup_handle(&x, req_body, &body, errbuf);

	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	r->acct.http_status = (int)status;
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		error = KGR_ETIMEOUT;
		*retry_ok = 1;
		if (x.timeout < o->timeout_ms)
			req_error(r, "LLM server %s: no answer within the ranking's deadline of %ld ms", bt->url,
				o->deadline_ms);
		else
			req_error(r, "LLM server %s: no answer within %ld ms", bt->url, o->timeout_ms);
		goto cleanup;
	}
	if (cc != CURLE_OK) {
		error = body.oom ? KGR_ENOMEM : KGR_EUPSTREAM;
		*retry_ok = !body.oom;
		req_error(r, "LLM server %s: %s%s%s", bt->url,
			curl_easy_strerror(cc), errbuf[0] ? ": " : "", errbuf);
		goto cleanup;
	}
	if ((error = status_error(&x, status, body.s)))
		goto cleanup;
	if ((error = parse_response(r, body.s ? body.s : "", bt->url))) {
		*retry_ok = error != KGR_ENOMEM;
		goto cleanup;
	}
	if (r->accept && !r->accept(r, r->content, r->payload)) {
		error = KGR_EPARSE;
		*retry_ok = 1;
		req_error(r, "LLM server %s: unusable reply: %s", bt->url,
			kgr_error_last());
		free(r->rejected); /* kept for the audit trail: what the model said */
		r->rejected = r->content;
		r->content = NULL;
		goto cleanup;
	}
cleanup:
	curl_slist_free_all(hdrs);
	kgr__buf_free(&body);
	free(req_body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	return error;
}

static void run_one(batch *bt, CURL *h, kgr__llm_req *r)
{
	const kgr_llm_options *o = bt->opts;
	double t0 = kgr__now_ms();
	int tries = 0, error, retry_ok, schema_retries = 0;
	long wait_ms, backoff = o->retry_base_ms > 0 ? o->retry_base_ms : 0;

	r->acct.prompt_tokens = r->acct.completion_tokens = -1;
	for (;;) {
		error = attempt(bt, h, r, &retry_ok, &wait_ms);
		if (!error)
			break;
		if (retry_ok == 2 && schema_retries++ == 0)
			continue;
		if (!retry_ok || tries >= o->retries)
			break;
		if (bt->end_ms > 0 && kgr__now_ms() + (double)(wait_ms > backoff ? wait_ms : backoff) >= bt->end_ms)
			break; /* a retry would start past the deadline */
		tries++;
		sleep_ms(wait_ms > backoff ? wait_ms : backoff);
		backoff = backoff ? backoff * 2 : 0;
		if (backoff > 30000)
			backoff = 30000;
	}
	r->acct.retries = tries;
	r->acct.error = error;
	r->acct.latency_ms = kgr__now_ms() - t0;
	if (!error)
		r->error[0] = '\0';
}

static void *worker(void *arg)
{
	batch *bt = arg;
	CURL *h = pool_get();
	for (;;) {
		size_t i;
		pthread_mutex_lock(&bt->lock);
		i = bt->next++;
		pthread_mutex_unlock(&bt->lock);
		if (i >= bt->n)
			break;
		if (!h) {
			bt->reqs[i].acct.error = KGR_ENOMEM;
			req_error(&bt->reqs[i], "curl_easy_init failed");
			continue;
		}
		run_one(bt, h, &bt->reqs[i]);
	}
	pool_put(h);
	return NULL;
}

int kgr__llm_chat_many(const kgr_llm_options *opts, kgr__llm_req *reqs, size_t n, double end_ms)
{
	batch bt;
	pthread_t th[64];
	size_t i, nth, started = 0;
	size_t blen;

	if (!opts->base_url || !*opts->base_url || !opts->model || !*opts->model)
		return kgr__error_set(KGR_EINVALID, "LLM options: base_url and model are required");
	pthread_once(&curl_once, curl_init_fn);
	if (curl_init_code != CURLE_OK)
		return kgr__error_set(KGR_EUPSTREAM, "curl_global_init: %s", curl_easy_strerror(curl_init_code));
	memset(&bt, 0, sizeof(bt));
	bt.opts = opts;
	bt.reqs = reqs;
	bt.n = n;
	bt.end_ms = end_ms;
	blen = strlen(opts->base_url);
	while (blen > 0 && opts->base_url[blen - 1] == '/')
		blen--;
	if (blen + sizeof("/chat/completions") > sizeof(bt.url))
		return kgr__error_set(KGR_EINVALID, "LLM options: base_url is too long");
	memcpy(bt.url, opts->base_url, blen);
	memcpy(bt.url + blen, "/chat/completions", sizeof("/chat/completions"));
	pthread_mutex_init(&bt.lock, NULL);
	nth = opts->parallel < 1 ? 1 : (size_t)opts->parallel;
	if (nth > 64)
		nth = 64;
	if (nth > n)
		nth = n;
	if (nth <= 1) {
		worker(&bt);
	} else {
		for (i = 0; i < nth; i++)
			if (pthread_create(&th[i], NULL, worker, &bt) == 0)
				started++;
		if (!started)
			worker(&bt);
		for (i = 0; i < started; i++)
			pthread_join(th[i], NULL);
	}
	pthread_mutex_destroy(&bt.lock);
	return 0;
}
