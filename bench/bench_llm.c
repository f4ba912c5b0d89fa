/* kgrec's own overhead per LLM-ranked request, the LLM's time excluded.
 *
 * A store of N-Triples generated here (items with a name, a category and a brand), 20
 * candidates with 3 evidence edges each (60 distinct facts), 20 history items. An in-process
 * chat-completions server (libmicrohttpd) answers every request at once with a canned reply,
 * so the time measured is kgrec's: label lookups, rendering, the HTTP exchange over loopback,
 * parsing, validation, fusion.
 *
 * usage: bench_llm [iterations]   (default 2000) */
#include "ranker/llm_internal.h"

#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_ITEMS 200
#define N_CANDS 20
#define FACTS_PER 3

static char canned[16384];

typedef struct {
	size_t got;
} upload;

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *data, size_t *size, void **con_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	(void)cls, (void)url, (void)method, (void)version, (void)data;
	if (!*con_cls) {
		static int marker;
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*size) {
		*size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(strlen(canned), canned, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* A reply that both the ranking and the rating parsers accept: C20 .. C1, each citing its
 * first two facts (valid in the unshuffled prompt, where Ck's facts are F3k-2 .. F3k). */
static void make_canned(void)
{
	char content[12000];
	size_t n = 0, k;
	char *esc, *p;
	n += (size_t)snprintf(content + n, sizeof(content) - n, "{\"ranking\":[");
	for (k = N_CANDS; k >= 1; k--)
		n += (size_t)snprintf(content + n, sizeof(content) - n,
			"%s{\"id\":\"C%zu\",\"score\":0.%02zu,\"rationale\":\"fits the history\",\"evidence\":[\"F%zu\",\"F%zu\"]}",
			k == N_CANDS ? "" : ",", k, k, 3 * k - 2, 3 * k - 1);
	snprintf(content + n, sizeof(content) - n,
		"],\"rating\":4,\"rationale\":\"fits\",\"evidence\":[\"F1\"]}");
	/* JSON-escape the quotes for the envelope */
	esc = malloc(2 * strlen(content) + 1);
	for (p = esc, k = 0; content[k]; k++) {
		if (content[k] == '"')
			*p++ = '\\';
		*p++ = content[k];
	}
	*p = '\0';
	snprintf(canned, sizeof(canned),
		"{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
		"{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":1500,\"completion_tokens\":400}}", esc);
	free(esc);
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static size_t sink(char *d, size_t s, size_t n, void *u)
{
	(void)d, (void)u;
	return s * n;
}

/* The floor: the same POST over loopback with one reused handle and nothing else. */
static double http_floor_ms(const char *url, int iters)
{
	char full[128], *body = malloc(6000);
	CURL *h = curl_easy_init();
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	double t0;
	int i;
	hd = curl_slist_append(hd, "Expect:");
	memset(body, 'x', 5999);
	body[5999] = '\0';
	snprintf(full, sizeof(full), "%s/chat/completions", url);
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	t0 = kgr__now_ms();
	for (i = 0; i < iters; i++)
		curl_easy_perform(h);
	t0 = (kgr__now_ms() - t0) / iters;
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	free(body);
	return t0;
}

static kgr_store *make_store(void)
{
	kgr_store *s;
	size_t cap = 1 << 20, n = 0, i;
	char *nt = malloc(cap);
	for (i = 0; i < N_ITEMS; i++)
		n += (size_t)snprintf(nt + n, cap - n,
			"<http://ex.org/item/%zu> <http://schema.org/name> \"Product number %zu\" .\n"
			"<http://ex.org/item/%zu> <http://schema.org/category> <http://ex.org/cat/%zu> .\n"
			"<http://ex.org/item/%zu> <http://schema.org/brand> <http://ex.org/brand/%zu> .\n"
			"<http://ex.org/item/%zu> <http://schema.org/color> <http://ex.org/color/%zu> .\n",
			i, i, i, i % 50, i, i % 40, i, i % 30);
	if (kgr_store_new(&s, 0) || kgr_store_load_rdf_buffer(s, nt, n, "ntriples", NULL, "bench") ||
		kgr_store_finalize(s)) {
		fprintf(stderr, "bench_llm: %s\n", kgr_error_last());
		exit(1);
	}
	free(nt);
	return s;
}

static kgr_id iri(const kgr_store *s, const char *fmt, size_t i)
{
	char buf[128];
	snprintf(buf, sizeof(buf), fmt, i);
	return kgr_store_iri(s, buf);
}

/* Candidate c (item 100 + c) reached from history item c through its category, brand and
 * colour: three distinct evidence edges per candidate, 60 facts in all. */
static void make_recs(const kgr_store *s, kgr_recs *recs, kgr_rec_item *items, size_t n_cands,
	size_t facts_per, kgr_interaction *hist)
{
	static const char *const preds[3] = { "http://schema.org/category", "http://schema.org/brand",
		"http://schema.org/color" };
	size_t c, k;
	memset(recs, 0, sizeof(*recs));
	memset(items, 0, n_cands * sizeof(*items));
	for (c = 0; c < n_cands; c++) {
		kgr_id it = iri(s, "http://ex.org/item/%zu", 100 + c);
		items[c].item = it;
		items[c].score = 1.0 - 0.01 * (double)c;
		for (k = 0; k < facts_per; k++) {
			kgr_path *p = &items[c].paths[items[c].n_paths++];
			kgr_id pred = kgr_store_iri(s, preds[k]);
			p->n_edges = 1;
			p->edges[0].s = it;
			p->edges[0].p = pred;
			p->edges[0].o = kgr_store_object(s, it, pred);
		}
	}
	memset(hist, 0, 20 * sizeof(*hist));
	for (c = 0; c < 20; c++) {
		hist[c].item = iri(s, "http://ex.org/item/%zu", c);
		hist[c].time = 1700000000 + 3600 * (int64_t)c;
		hist[c].weight = 1;
	}
	recs->n = n_cands;
	recs->items = items;
}

typedef struct {
	const kgr_store *s;
	const kgr_recs *recs;
	const kgr_interaction *hist;
	const kgr_llm_options *o;
	int iters;
} thread_arg;

static void *hammer(void *arg)
{
	thread_arg *a = arg;
	int i;
	for (i = 0; i < a->iters; i++) {
		kgr_llm_result *res;
		if (kgr_llm_rank(&res, a->s, a->recs, a->hist, 20, a->o) || res->fallback) {
			fprintf(stderr, "bench_llm: rank failed\n");
			exit(1);
		}
		kgr_llm_result_free(res);
	}
	return NULL;
}

static size_t render_tokens(const kgr_store *s, size_t n_cands, size_t facts_per, const kgr_llm_options *o)
{
	kgr_rec_item items[N_CANDS];
	kgr_interaction hist[20];
	kgr_recs recs;
	char *text;
	size_t t;
	make_recs(s, &recs, items, n_cands, facts_per, hist);
	if (kgr_llm_render(&text, s, &recs, hist, 20, o)) {
		fprintf(stderr, "bench_llm: %s\n", kgr_error_last());
		exit(1);
	}
	t = kgr_llm_token_estimate(text);
	free(text);
	return t;
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 2000, i;
	kgr_store *s = make_store();
	kgr_rec_item items[N_CANDS];
	kgr_interaction hist[20];
	kgr_recs recs;
	kgr_llm_options o = KGR_LLM_OPTIONS_INIT;
	struct MHD_Daemon *d;
	char url[64];
	double t0, t_render, t_parse, t_total, t_point, t_floor, t_cpu, t_p50, t_p90;
	kgr__llm_input *in;
	kgr_llm_result *res;
	char *text;
	size_t t20_0, t10_0, t20_60;
	pthread_t th[16];
	thread_arg ta;

	if (iters < 1)
		iters = 1;
	make_canned();
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
		answer, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "bench_llm: cannot start the HTTP server\n");
		return 1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1",
		(unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	o.base_url = url;
	o.model = "bench";
	o.alpha = 0.8;
	o.prompt_dir = KGR_SOURCE_DIR "/prompts";
	o.retries = 0;
	o.parallel = 1;
	make_recs(s, &recs, items, N_CANDS, FACTS_PER, hist);

	/* the result must be the canned ranking, valid and grounded */
	if (kgr_llm_rank(&res, s, &recs, hist, 20, &o) || res->fallback || res->stats.citations_invalid ||
		res->items[0].item != items[N_CANDS - 1].item || !res->items[0].grounded) {
		fprintf(stderr, "bench_llm: unexpected result: %s fb=%d inval=%zu notes=%s\n", kgr_error_last(), res ? res->fallback : -1, res ? res->stats.citations_invalid : 0, res && res->n_notes ? res->notes[0] : "");
		return 1;
	}
	printf("facts in the prompt: %zu, candidates: %zu, validity %.2f\n",
		(size_t)FACTS_PER * N_CANDS, res->n, res->stats.validity_rate);
	kgr_llm_result_free(res);

	t0 = kgr__now_ms();
	for (i = 0; i < iters; i++) {
		kgr_llm_render(&text, s, &recs, hist, 20, &o);
		free(text);
	}
	t_render = (kgr__now_ms() - t0) / iters;

	kgr__llm_input_from_store(&in, s, &recs, hist, 20, &o);
	{
		kgr__template *t;
		kgr__prompt_view v;
		char *sys, *usr, *content;
		size_t order[N_CANDS];
		kgr__reply r;
		const char *c0 = strstr(canned, "\"content\":\"") + 11;
		const char *c1 = strstr(c0, "\"},\"finish");
		char *q;
		content = strndup(c0, (size_t)(c1 - c0));
		for (q = content; *q; q++) /* un-escape \" */
			if (q[0] == '\\' && q[1] == '"')
				memmove(q, q + 1, strlen(q));
		for (i = 0; i < N_CANDS; i++)
			order[i] = (size_t)i;
		kgr__template_load(&t, o.prompt_dir, "listwise_sequential");
		kgr__prompt_render(&sys, &usr, &v, t, in, order, N_CANDS, &o);
		t0 = kgr__now_ms();
		for (i = 0; i < iters; i++) {
			kgr__reply_ranking(&r, content, &v, in);
			kgr__reply_free(&r);
		}
		t_parse = (kgr__now_ms() - t0) / iters;
		free(sys), free(usr), free(content);
		kgr__prompt_view_free(&v);
		kgr__template_free(t);
	}
	kgr__llm_input_free(in);

	{
		double *lat = malloc((size_t)iters * sizeof(double)), c0 = cpu_ms(), t1;
		t0 = kgr__now_ms();
		for (i = 0; i < iters; i++) {
			t1 = kgr__now_ms();
			kgr_llm_rank(&res, s, &recs, hist, 20, &o);
			kgr_llm_result_free(res);
			lat[i] = kgr__now_ms() - t1;
		}
		t_total = (kgr__now_ms() - t0) / iters;
		t_cpu = (cpu_ms() - c0) / iters;
		qsort(lat, (size_t)iters, sizeof(double), cmp_double);
		t_p50 = lat[iters / 2];
		t_p90 = lat[iters * 9 / 10];
		free(lat);
	}

	t_floor = http_floor_ms(url, iters);
	printf("listwise, 20 candidates, 60 facts, 20 history items, %d iterations:\n", iters);
	printf("  render (labels + template)      %8.1f us\n", 1e3 * t_render);
	printf("  parse + validate the reply      %8.1f us\n", 1e3 * t_parse);
	printf("  whole request (render, HTTP, parse, validate, fuse): mean %.1f us, median %.1f us, p90 %.1f us\n",
		1e3 * t_total, 1e3 * t_p50, 1e3 * t_p90);
	printf("  CPU time of the calling thread per request (user + system)  %8.1f us\n", 1e3 * t_cpu);
	printf("  the bare HTTP exchange (same POST, curl alone), mean        %8.1f us\n", 1e3 * t_floor);

	t20_60 = render_tokens(s, 20, 3, &o);
	t20_0 = render_tokens(s, 20, 0, &o);
	t10_0 = render_tokens(s, 10, 0, &o);
	printf("prompt size (estimate, 4 bytes a token): %zu tokens; %.1f per candidate, %.1f per fact,"
		" %zu fixed (template + 20 history items)\n", t20_60, (double)(t20_0 - t10_0) / 10.0,
		(double)(t20_60 - t20_0) / 60.0, t10_0 - (t20_0 - t10_0));

	/* 16 parallel requests: pointwise asks one request per candidate */
	o.mode = KGR_LLM_POINTWISE;
	o.parallel = 16;
	recs.n = 16;
	t0 = kgr__now_ms();
	for (i = 0; i < iters / 16 + 1; i++) {
		kgr_llm_rank(&res, s, &recs, hist, 20, &o);
		kgr_llm_result_free(res);
	}
	t_point = kgr__now_ms() - t0;
	printf("pointwise, 16 requests in parallel per call: %.0f requests/s\n",
		16.0 * (iters / 16 + 1) / (t_point / 1e3));

	/* 16 threads each ranking listwise */
	o.mode = KGR_LLM_LISTWISE;
	o.parallel = 1;
	recs.n = N_CANDS;
	ta.s = s, ta.recs = &recs, ta.hist = hist, ta.o = &o, ta.iters = iters / 16 + 1;
	t0 = kgr__now_ms();
	for (i = 0; i < 16; i++)
		pthread_create(&th[i], NULL, hammer, &ta);
	for (i = 0; i < 16; i++)
		pthread_join(th[i], NULL);
	t_point = kgr__now_ms() - t0;
	printf("listwise, 16 concurrent callers: %.0f ranked requests/s\n",
		16.0 * ta.iters / (t_point / 1e3));

	MHD_stop_daemon(d);
	kgr_store_free(s);
	return 0;
}
