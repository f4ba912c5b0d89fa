/* Test helpers: build the fixture store, run `kgrec serve` as a child process on a free
 * loopback port, and talk to it over real HTTP with libcurl. */
#include "helper_http.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kgrec/store.h"

char *th_tmpdir(void)
{
	char tmpl[] = "/tmp/kgr_srv_XXXXXX";
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

char *th_path(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

void th_rmdir(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

void th_build_store(const char *out, int extra)
{
	kgr_store *s = NULL;
	kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_int_eq(kgr_store_load_rdf(s, KGR_TEST_DATA "/server/catalog.ttl", NULL, NULL), 0);
	if (extra)
		ck_assert_int_eq(kgr_store_load_rdf(s, KGR_TEST_DATA "/server/extra.ttl", NULL, NULL), 0);
	ck_assert_int_eq(kgr_store_load_interactions(s, KGR_TEST_DATA "/server/interactions.csv", &io), 0);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	ck_assert_int_eq(kgr_store_save(s, out), 0);
	kgr_store_free(s);
}

void th_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- the server as a child process ---- */

int th_serve(th_server *out, const char *store, ...)
{
	const char *argv[40];
	int argc = 0, pipefd[2], errfd[2];
	pid_t pid;
	va_list ap;
	char line[512];
	size_t n = 0;
	int64_t deadline;

	memset(out, 0, sizeof(*out));
	argv[argc++] = KGR_CLI;
	argv[argc++] = "serve";
	argv[argc++] = store;
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	va_start(ap, store);
	for (;;) {
		const char *a = va_arg(ap, const char *);
		if (!a)
			break;
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(pipe(errfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(errfd[1], 2);
		close(pipefd[0]);
		close(errfd[0]);
		execv(KGR_CLI, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	close(errfd[1]);
	fcntl(errfd[0], F_SETFL, O_NONBLOCK);
	out->pid = pid;
	out->errfd = errfd[0];
	/* Wait for "listening on http://127.0.0.1:PORT/" (or the child's exit). */
	deadline = th_now_ms() + 20000;
	while (th_now_ms() < deadline && n < sizeof(line) - 1) {
		char c;
		ssize_t r = read(pipefd[0], &c, 1);
		if (r <= 0)
			break;
		if (c == '\n') {
			const char *p = strstr(line, "127.0.0.1:");
			line[n] = '\0';
			if (p) {
				out->port = atoi(p + 10);
				break;
			}
			n = 0;
			continue;
		}
		line[n++] = c;
		line[n] = '\0';
	}
	close(pipefd[0]);
	if (!out->port) {
		int st;
		waitpid(pid, &st, 0);
		out->pid = 0;
		th_drain_stderr(out);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	snprintf(out->base, sizeof(out->base), "http://127.0.0.1:%d", out->port);
	return 0;
}

const char *th_drain_stderr(th_server *s)
{
	for (;;) {
		ssize_t r;
		if (s->err_len >= sizeof(s->err) - 1)
			break;
		r = read(s->errfd, s->err + s->err_len, sizeof(s->err) - 1 - s->err_len);
		if (r <= 0)
			break;
		s->err_len += (size_t)r;
	}
	s->err[s->err_len] = '\0';
	return s->err;
}

int th_stop(th_server *s, int sig)
{
	int st = 0;
	if (s->pid > 0) {
		kill(s->pid, sig);
		waitpid(s->pid, &st, 0);
		s->pid = 0;
	}
	th_drain_stderr(s);
	if (s->errfd > 0)
		close(s->errfd);
	s->errfd = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int64_t th_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- HTTP ---- */

const char *th_extra_header;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	th_resp *r = ud;
	size_t n = size * nmemb;
	char *nb = realloc(r->body, r->len + n + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Copies the value of header @p name into @p out when the line @p ptr is that header. */
static void header_value(const char *ptr, size_t n, const char *name, char *out, size_t size)
{
	size_t i = strlen(name), j;
	if (n <= i || strncasecmp(ptr, name, i))
		return;
	while (i < n && ptr[i] == ' ')
		i++;
	j = n;
	while (j > i && (ptr[j - 1] == '\r' || ptr[j - 1] == '\n'))
		j--;
	snprintf(out, size, "%.*s", (int)(j - i), ptr + i);
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	th_resp *r = ud;
	size_t n = size * nmemb;
	header_value(ptr, n, "KGrec-Result-Truncated:", r->truncated, sizeof(r->truncated));
	header_value(ptr, n, "KGrec-Result-Limit:", r->limit, sizeof(r->limit));
	if (n > 14 && !strncasecmp(ptr, "Content-Type:", 13)) {
		size_t i = 13, j;
		while (i < n && ptr[i] == ' ')
			i++;
		j = n;
		while (j > i && (ptr[j - 1] == '\r' || ptr[j - 1] == '\n'))
			j--;
		snprintf(r->content_type, sizeof(r->content_type), "%.*s", (int)(j - i), ptr + i);
	}
	if (n > 14 && !strncasecmp(ptr, "X-Request-Id:", 13)) {
		size_t i = 13, j;
		while (i < n && ptr[i] == ' ')
			i++;
		j = n;
		while (j > i && (ptr[j - 1] == '\r' || ptr[j - 1] == '\n'))
			j--;
		snprintf(r->request_id, sizeof(r->request_id), "%.*s", (int)(j - i), ptr + i);
	}
	return n;
}

int th_http(th_resp *r, const char *method, const char *url, const char *body,
	const char *content_type, const char *token, const char *accept)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char hb[600];
	long code = 0;
	CURLcode rc;
	memset(r, 0, sizeof(*r));
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	snprintf(hb, sizeof(hb), "Content-Type: %s", content_type ? content_type : "application/json");
	h = curl_slist_append(h, hb);
	h = curl_slist_append(h, "Expect:");
	if (th_extra_header)
		h = curl_slist_append(h, th_extra_header);
	if (token) {
		snprintf(hb, sizeof(hb), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, hb);
	}
	if (accept) {
		snprintf(hb, sizeof(hb), "Accept: %s", accept);
		h = curl_slist_append(h, hb);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	r->status = rc == CURLE_OK ? (int)code : -(int)rc;
	if (!r->body)
		r->body = strdup("");
	return r->status;
}

void th_resp_free(th_resp *r)
{
	free(r->body);
	r->body = NULL;
}

char *th_url(const th_server *s, const char *path)
{
	char *u = malloc(strlen(s->base) + strlen(path) + 1);
	strcpy(u, s->base);
	strcat(u, path);
	return u;
}

int th_get(th_resp *r, const th_server *s, const char *path, const char *token)
{
	char *u = th_url(s, path);
	int st = th_http(r, "GET", u, NULL, NULL, token, NULL);
	free(u);
	return st;
}

int th_post(th_resp *r, const th_server *s, const char *path, const char *body, const char *token)
{
	char *u = th_url(s, path);
	int st = th_http(r, "POST", u, body, "application/json", token, NULL);
	free(u);
	return st;
}

char *th_escape(const char *s)
{
	CURL *c = curl_easy_init();
	char *e = curl_easy_escape(c, s, 0), *out = strdup(e);
	curl_free(e);
	curl_easy_cleanup(c);
	return out;
}
