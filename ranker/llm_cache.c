/* On-disk cache of LLM replies, one small JSON file per reply, named by a 128-bit hash of
 * everything that decides the reply: model, sampling parameters, the rendered prompt and the
 * snapshot checksum. Written atomically (temporary file, rename), so concurrent runs never
 * read half a file; any failure only means a cache miss. */
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each field is hashed with its length so that ("ab","c") and ("a","bc") differ; two
 * independent 64-bit chains give the 128-bit key. */
static void feed(uint64_t h[2], const char *s)
{
	size_t len = s ? strlen(s) : 0;
	h[0] = kgr__hash64(s ? s : "", len, h[0] ^ len);
	h[1] = kgr__hash64(s ? s : "", len, h[1] + len);
}

void kgr__llm_cache_key(char out[33], const kgr_llm_options *opts, const char *system,
	const char *user, uint64_t checksum)
{
	uint64_t h[2] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL };
	char params[128], sum[17];
	snprintf(params, sizeof(params), "v1 t=%.6g max=%d schema=%d", opts->temperature,
		opts->max_tokens, opts->json_schema);
	snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)checksum);
	feed(h, opts->model);
	feed(h, params);
	feed(h, system);
	feed(h, user);
	feed(h, sum);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

static int mkdir_p(const char *dir)
{
	char tmp[4096], *p;
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, n + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

int kgr__llm_cache_get(const char *dir, const char key[33], char **content_out, long *ptok, long *ctok)
{
	char path[4200];
	char *text = NULL;
	cJSON *root = NULL, *k, *c, *v;
	int hit = 0;

	*content_out = NULL;
	if (strlen(dir) > 4000)
		return 0;
	snprintf(path, sizeof(path), "%.4000s/%.2s/%.32s.json", dir, key, key);
	/* a miss is no error: leave no message behind */
	if (access(path, R_OK) != 0)
		return 0;
	if (kgr__read_file(&text, NULL, path, "LLM cache entry") < 0) {
		kgr_error_clear();
		return 0;
	}
	root = cJSON_Parse(text);
	k = cJSON_GetObjectItemCaseSensitive(root, "key");
	c = cJSON_GetObjectItemCaseSensitive(root, "content");
	if (!cJSON_IsString(k) || strcmp(k->valuestring, key) || !cJSON_IsString(c))
		goto cleanup;
	if (!(*content_out = strdup(c->valuestring)))
		goto cleanup;
	v = cJSON_GetObjectItemCaseSensitive(root, "prompt_tokens");
	*ptok = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
	v = cJSON_GetObjectItemCaseSensitive(root, "completion_tokens");
	*ctok = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
	hit = 1;
cleanup:
	cJSON_Delete(root);
	free(text);
	return hit;
}

void kgr__llm_cache_put(const char *dir, const char key[33], const char *content, long ptok, long ctok)
{
	char sub[4100], path[4100], tmp[4100];
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;
	FILE *f = NULL;
	int fd;

	if (!root)
		return;
	cJSON_AddStringToObject(root, "key", key);
	cJSON_AddStringToObject(root, "content", content);
	cJSON_AddNumberToObject(root, "prompt_tokens", (double)ptok);
	cJSON_AddNumberToObject(root, "completion_tokens", (double)ctok);
	text = cJSON_PrintUnformatted(root);
	if (strlen(dir) > 4000)
		goto cleanup;
	snprintf(sub, sizeof(sub), "%.4000s/%.2s", dir, key);
	snprintf(path, sizeof(path), "%.4000s/%.2s/%.32s.json", dir, key, key);
	snprintf(tmp, sizeof(tmp), "%.4000s/%.2s/.%.32s.XXXXXX", dir, key, key);
	if (!text || mkdir_p(sub))
		goto cleanup;
	if ((fd = mkstemp(tmp)) < 0)
		goto cleanup;
	if (!(f = fdopen(fd, "wb"))) {
		close(fd);
		unlink(tmp);
		goto cleanup;
	}
	if (fputs(text, f) < 0 || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		goto cleanup;
	}
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
cleanup:
	free(text);
	cJSON_Delete(root);
}
