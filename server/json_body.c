/* What a JSON request body must be before cJSON reads it, and after.
 *
 * cJSON takes invalid UTF-8 as it comes and turns "\u0000" into a NUL that ends the C string,
 * so a name "a\u0000b" would be read as "a" and a field could carry bytes that JSON output
 * then repeats raw; and cJSON_ParseWithLength() stops after the first value, so "{...} x" was
 * accepted. The body is checked here: well-formed UTF-8, no U+0000 in any string (the error
 * names the field it is in), nothing but white space after the value. */
#include "server/json_body.h"

#include "kg/text_check.h"

#include <string.h>

/* The key whose value holds the first "\u0000" escape (or "" for a string outside an object
 * member), into key; 1 when there is one. Strings are followed with their escapes, so an
 * escaped backslash before "u0000" is not taken for one. */
static int find_nul_escape(const char *b, size_t len, char *key, size_t key_size)
{
	size_t i = 0, last_start = 0, last_len = 0, cur_key_start = 0, cur_key_len = 0;
	int have_key = 0;
	while (i < len) {
		size_t start;
		int nul = 0;
		if (b[i] != '"') {
			if (b[i] == ':' && last_len != (size_t)-1) {
				cur_key_start = last_start;
				cur_key_len = last_len;
				have_key = 1;
			}
			i++;
			continue;
		}
		start = ++i;
		while (i < len && b[i] != '"') {
			if (b[i] == '\\' && i + 1 < len) {
				if (b[i + 1] == 'u' && i + 5 < len && !memcmp(b + i + 2, "0000", 4))
					nul = 1;
				i += 2;
			} else {
				i++;
			}
		}
		if (nul) {
			/* a key holding U+0000 is named by itself; a value by the key before it */
			size_t j = i + 1;
			while (j < len && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n'))
				j++;
			if (j < len && b[j] == ':') {
				cur_key_start = start;
				cur_key_len = i - start;
				have_key = 1;
			}
			if (!have_key)
				cur_key_len = 0;
			if (cur_key_len >= key_size)
				cur_key_len = key_size - 1;
			memcpy(key, b + cur_key_start, cur_key_len);
			key[cur_key_len] = '\0';
			return 1;
		}
		last_start = start;
		last_len = i - start;
		i++;
	}
	return 0;
}

int kgr__json_body_check(const char *body, size_t len, kgr__resp *resp)
{
	size_t bad = kgr__utf8_invalid_at(body, len);
	char key[64];
	if (bad != len)
		return kgr__resp_error(resp, 400, "invalid_utf8", "the body is not valid UTF-8 (byte %zu)",
			bad);
	if (memchr(body, '\0', len))
		return kgr__resp_error(resp, 400, "malformed_json", "the body contains a NUL byte (byte %zu)",
			(size_t)((const char *)memchr(body, '\0', len) - body));
	if (find_nul_escape(body, len, key, sizeof(key)))
		return kgr__resp_error(resp, 400, "invalid_string", "%s%sa string contains U+0000, which "
			"no name or value may hold", key, key[0] ? ": " : "");
	return 0;
}

int kgr__json_body_rest(const char *body, size_t len, const char *end, kgr__resp *resp)
{
	const char *p = end, *stop = body + len;
	while (p < stop && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p < stop)
		return kgr__resp_error(resp, 400, "malformed_json", "the body has more after its JSON "
			"value (byte %ld)", (long)(p - body));
	return 0;
}
