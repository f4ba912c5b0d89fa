/* The graph ranker's scoring: a weighted sum of the candidate features, the default
 * weights, and weights as JSON (what `kgrec train` writes and every ranking reads). */
#include "retrieval/internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kgr_weights_default(kgr_weights *out)
{
	memset(out, 0, sizeof(*out));
	out->w[KGR_FEAT_PPR] = 1.0;
	out->w[KGR_FEAT_COVISIT] = 1.0;
	out->w[KGR_FEAT_METAPATH] = 0.8;
	out->w[KGR_FEAT_SEQUENTIAL] = 0.8;
	out->w[KGR_FEAT_POPULAR] = 0.3;
	out->w[KGR_FEAT_NEWITEM] = 0.3;
	out->w[KGR_FEAT_QUERY] = 1.5;
	out->w[KGR_FEAT_PATHS] = 0.2;
	out->w[KGR_FEAT_SHORTEST] = 0.3;
	out->w[KGR_FEAT_RECENCY] = 0.3;
	out->w[KGR_FEAT_ITEMPOP] = 0.2;
	out->w[KGR_FEAT_HUB] = -0.5;
	out->bias = 0;
}

double kgr__ranker_score(const kgr_weights *w, const double *f, double *parts)
{
	double s = w->bias;
	int i;
	for (i = 0; i < KGR_FEAT__COUNT; i++) {
		double p = w->w[i] * f[i];
		if (parts)
			parts[i] = p;
		s += p;
	}
	return s;
}

int kgr_weights_save(const kgr_weights *w, const char *path)
{
	cJSON *root = cJSON_CreateObject(), *ws;
	char *text = NULL, tmp[4096];
	FILE *f = NULL;
	int i, error = 0;

	if (!root || !(ws = cJSON_AddObjectToObject(root, "weights"))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	cJSON_AddNumberToObject(root, "version", 1);
	for (i = 0; i < KGR_FEAT__COUNT; i++)
		if (!cJSON_AddNumberToObject(ws, kgr_feature_name((kgr_feature)i), w->w[i])) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
	cJSON_AddNumberToObject(root, "bias", w->bias);
	if (!(text = cJSON_Print(root))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		error = kgr__error_set(KGR_EIO, "%s: path too long", path);
		goto cleanup;
	}
	if (!(f = fopen(tmp, "w"))) {
		error = kgr__error_set(KGR_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto cleanup;
	}
	if (fputs(text, f) < 0 || fputc('\n', f) < 0 || fclose(f) != 0) {
		f = NULL;
		remove(tmp);
		error = kgr__error_set(KGR_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		remove(tmp);
		error = kgr__error_set(KGR_EIO, "%s: cannot write: %s", path, strerror(errno));
	}
cleanup:
	if (f)
		fclose(f);
	free(text);
	cJSON_Delete(root);
	return error;
}

int kgr_weights_load(kgr_weights *out, const char *path)
{
	char *text = NULL;
	size_t len;
	cJSON *root = NULL, *ws, *it, *b;
	kgr_weights w;
	int error = 0;

	if ((error = kgr__read_file(&text, &len, path, "weights")) < 0)
		return error;
	kgr_weights_default(&w);
	root = cJSON_Parse(text);
	if (!root || !cJSON_IsObject(root)) {
		const char *ep = cJSON_GetErrorPtr();
		error = kgr__error_set(KGR_EPARSE, "%s: not a JSON object (at byte %ld)", path,
			ep && ep >= text && ep <= text + len ? (long)(ep - text) : 0L);
		goto cleanup;
	}
	ws = cJSON_GetObjectItemCaseSensitive(root, "weights");
	if (!cJSON_IsObject(ws)) {
		error = kgr__error_set(KGR_EPARSE, "%s: no \"weights\" object", path);
		goto cleanup;
	}
	cJSON_ArrayForEach(it, ws) {
		int i;
		for (i = 0; i < KGR_FEAT__COUNT; i++)
			if (!strcmp(it->string, kgr_feature_name((kgr_feature)i)))
				break;
		if (i == KGR_FEAT__COUNT) {
			error = kgr__error_set(KGR_EPARSE, "%s: unknown feature \"%s\"", path, it->string);
			goto cleanup;
		}
		if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
			error = kgr__error_set(KGR_EPARSE, "%s: weight of \"%s\" is not a number", path, it->string);
			goto cleanup;
		}
		w.w[i] = it->valuedouble;
	}
	if ((b = cJSON_GetObjectItemCaseSensitive(root, "bias"))) {
		if (!cJSON_IsNumber(b)) {
			error = kgr__error_set(KGR_EPARSE, "%s: bias is not a number", path);
			goto cleanup;
		}
		w.bias = b->valuedouble;
	}
	*out = w;
cleanup:
	cJSON_Delete(root);
	free(text);
	return error;
}
