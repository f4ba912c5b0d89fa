/* UTF-8 and IRI checks for the doors text comes in by (RDF, CSV, HTTP, LLM replies), so that
 * nothing the store keeps has to be re-checked on the way out: what is exported as N-Triples
 * or JSON is then readable by strict parsers. */
#include "kg/text_check.h"

#include <stdint.h>
#include <string.h>

size_t kgr__utf8_invalid_at(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned char c;
		size_t n, k;
		uint32_t cp, min;
		uint64_t w;
		/* ASCII eight bytes at a time: most RDF text is ASCII */
		while (len - i >= 8) {
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i == len)
			break;
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

const char *kgr__iri_problem(const char *v, size_t len)
{
	size_t i;
	if (len == 0)
		return "it is empty";
	if (!((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')))
		return "it does not start with a scheme (such as http:)";
	for (i = 1; i < len && v[i] != ':'; i++) {
		char c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
			    c == '-' || c == '.'))
			return "it does not start with a scheme (such as http:)";
	}
	if (i == len)
		return "it does not start with a scheme (such as http:)";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == 0)
			return "it contains a NUL character";
		if (c <= 0x20 || c == 0x7f)
			return "it contains a space or a control character";
		if (c == '<' || c == '>' || c == '"' || c == '{' || c == '}' || c == '|' || c == '^' ||
			c == '`' || c == '\\')
			return "it contains one of <>\"{}|^`\\";
	}
	if (kgr__utf8_invalid_at(v, len) != len)
		return "it is not valid UTF-8";
	return NULL;
}
