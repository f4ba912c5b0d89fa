/* "name=value,name=value" hyper-parameter strings. */
#include "eval/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Finds `name=` at the start of a field; returns the value's start or NULL. */
static const char *find(const char *params, const char *name)
{
	size_t len = strlen(name);
	const char *p = params;
	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == '=')
			return p + len + 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return NULL;
}

int kgr__eval_param(const char *params, const char *name, double def, double *out)
{
	const char *v = params ? find(params, name) : NULL;
	char *end;
	*out = def;
	if (!v)
		return 0;
	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || (*end && *end != ','))
		return kgr__error_set(KGR_EINVALID, "eval: parameter %s: '%.*s' is not a number", name,
			(int)strcspn(v, ","), v);
	return 1;
}

/* Whether the field at p ("name=value...") is named in names. */
static int named(const char *p, const char *const *names)
{
	size_t len = strcspn(p, "=,");
	const char *const *n;
	for (n = names; n && *n; n++)
		if (strlen(*n) == len && !strncmp(*n, p, len))
			return 1;
	return 0;
}

int kgr__eval_params_check(const char *params, const char *const *names, const char *ranker)
{
	const char *p = params;
	while (p && *p) {
		size_t len = strcspn(p, "=,");
		if (p[len] != '=')
			return kgr__error_set(KGR_EINVALID, "eval: parameter '%.*s' has no '=value'",
				(int)strcspn(p, ","), p);
		if (!named(p, names))
			return kgr__error_set(KGR_EINVALID, "eval: ranker %s has no parameter '%.*s'",
				ranker, (int)len, p);
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

int kgr__eval_params_pick(const char *params, const char *const *names, int named_ones,
	char *out, size_t size)
{
	const char *p = params;
	size_t used = 0;
	if (size)
		out[0] = '\0';
	while (p && *p) {
		size_t len = strcspn(p, ",");
		if (named(p, names) == (named_ones != 0)) {
			if (used + (used > 0) + len + 1 > size)
				return kgr__error_set(KGR_EINVALID, "eval: parameters too long (%zu bytes)",
					strlen(params));
			if (used)
				out[used++] = ',';
			memcpy(out + used, p, len);
			used += len;
			out[used] = '\0';
		}
		p = p[len] ? p + len + 1 : p + len;
	}
	return (int)used;
}

int kgr__eval_seq_params(kgr_seq_options *so, const char *params)
{
	double v;
	if (kgr__eval_param(params, "seq_negatives", so->negatives, &v) < 0)
		return kgr_error_last_code();
	so->negatives = (int)v;
	if (kgr__eval_param(params, "seq_epochs", so->epochs, &v) < 0)
		return kgr_error_last_code();
	so->epochs = (int)v;
	if (kgr__eval_param(params, "seq_threads", so->threads, &v) < 0)
		return kgr_error_last_code();
	so->threads = v >= -1e6 && v <= 1e6 ? (int)v : -1; /* refused by name when out of range */
	return 0;
}
