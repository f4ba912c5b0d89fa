#include "server/internal.h"
#include "server/json_body.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t kgr__now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one form component in place semantics: '+' is a space, %XX a byte. */
static char *form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *w = out;
	size_t i;
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			*w++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*w++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return out;
}

char *kgr__form_value(const char *body, size_t len, const char *name, int *count_out)
{
	size_t nl = strlen(name), i = 0;
	char *found = NULL;
	int count = 0;
	while (i < len) {
		size_t j = i, eq;
		while (j < len && body[j] != '&')
			j++;
		eq = i;
		while (eq < j && body[eq] != '=')
			eq++;
		if (eq - i == nl && !memcmp(body + i, name, nl)) {
			count++;
			if (!found)
				found = form_decode(eq < j ? body + eq + 1 : body + j, eq < j ? j - eq - 1 : 0);
		}
		i = j + 1;
	}
	if (count_out)
		*count_out = count;
	return found;
}

int kgr__token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = (unsigned char)(la != lb);
	for (i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return diff == 0;
}

int kgr__name_in(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(k, *list))
			return 1;
	return 0;
}

cJSON *kgr__parse_json_body(const kgr__req *req, kgr__resp *resp)
{
	const char *end = NULL;
	cJSON *root;
	if (kgr__json_body_check(req->body, req->body_len, resp))
		return NULL;
	root = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		kgr__resp_error(resp, 400, "malformed_json", "the body is not valid JSON (error near byte "
			"%ld)", at && at >= req->body ? (long)(at - req->body) : 0L);
	} else if (kgr__json_body_rest(req->body, req->body_len, end, resp)) {
		cJSON_Delete(root);
		root = NULL;
	}
	return root;
}
