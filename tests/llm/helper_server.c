/* Starts tests/llm/fake_openai.py on a free loopback port and reads its counters. */
#include "helper_server.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t server_pid;
static char server_url[128];

const char *fake_url(void)
{
	return server_url;
}

int fake_start(void)
{
	int fd[2];
	char script[1024], line[64];
	FILE *f;
	pid_t pid;
	snprintf(script, sizeof(script), "%s/llm/fake_openai.py", KGR_TEST_SRC);
	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execlp("python3", "python3", script, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -1;
	}
	fclose(f);
	server_pid = pid;
	snprintf(server_url, sizeof(server_url), "http://127.0.0.1:%d/v1", atoi(line));
	return 0;
}

void fake_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
}

static size_t collect(char *d, size_t s, size_t n, void *u)
{
	size_t len = strlen(u), add = s * n;
	if (len + add >= 65536)
		add = 65535 - len;
	memcpy((char *)u + len, d, add);
	((char *)u)[len + add] = '\0';
	return s * n;
}

/* "requests", "max_inflight", or the count of one model ("model:NAME"). -1 on failure. */
long fake_stat(const char *what)
{
	static char body[65536];
	char url[160];
	CURL *h = curl_easy_init();
	cJSON *root, *v;
	long out = -1;
	body[0] = '\0';
	snprintf(url, sizeof(url), "%.*s/stats", (int)(strlen(server_url) - 3), server_url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	if (curl_easy_perform(h) != CURLE_OK) {
		curl_easy_cleanup(h);
		return -1;
	}
	curl_easy_cleanup(h);
	root = cJSON_Parse(body);
	if (!strncmp(what, "model:", 6))
		v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "by_model"), what + 6);
	else
		v = cJSON_GetObjectItemCaseSensitive(root, what);
	if (cJSON_IsNumber(v))
		out = (long)v->valuedouble;
	else if (root && !strncmp(what, "model:", 6))
		out = 0;
	cJSON_Delete(root);
	return out;
}
