/* The learned ranker's model: an XGBoost booster with the header that says what it was
 * fitted on, and its file format.
 *
 * File: "KGREC-LTR 1\n", one line of JSON (format, features, snapshot, n_graph, n_knn,
 * sequence, info), "\n", the booster as UBJSON (its length is in the header), then
 * "\nchecksum <16 hex digits>\n" over everything before it. */
#include "ranker/ltr_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#define MAGIC "KGREC-LTR 1\n"
#define FORMAT 1

static const char *const names[KGR__LTR_NF] = { "ppr", "covisit", "metapath", "sequential",
	"popular", "newitem", "query", "paths", "shortest", "recency", "itempop", "hub",
	"graph_score", "graph_rank", "in_graph", "knn", "knn_d07", "knn_d04", "knn_last",
	"knn_rank", "knn_rel", "pop_log", "pop_recent", "pop_trend", "item_age", "item_idle",
	"user_len", "hist_pop", "paths_catalog", "paths_collab", "catalog_share", "seq", "seq_rel",
	"seq_rank" };

size_t kgr_learned_n_features(void)
{
	return KGR__LTR_NF;
}

const char *kgr_learned_feature_name(size_t i)
{
	return i < KGR__LTR_NF ? names[i] : NULL;
}

int kgr__ltr_xgb_error(const char *what)
{
	return kgr__error_set(KGR_ERROR, "learned ranker: %s: XGBoost: %s", what, XGBGetLastError());
}

int kgr__ltr_model_new(kgr_model **out, void *booster, const char *snapshot, const char *info,
	size_t n_graph, size_t n_knn)
{
	kgr_model *m = calloc(1, sizeof(*m));
	int error;
	if (!m || !(m->info = strdup(info ? info : "{}"))) {
		free(m);
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	}
	pthread_mutex_init(&m->lock, NULL);
	m->booster = booster;
	snprintf(m->snapshot, sizeof(m->snapshot), "%s", snapshot ? snapshot : "");
	m->snapshot_sum = strtoull(m->snapshot, NULL, 16);
	m->n_graph = n_graph;
	m->n_knn = n_knn;
	XGBoosterSetParam(booster, "nthread", "1");
	if ((error = kgr__ltr_trees_load(&m->trees, booster)) < 0) {
		m->booster = NULL; /* the caller still owns it */
		kgr_model_free(m);
		return error;
	}
	*out = m;
	return 0;
}

void kgr_model_free(kgr_model *m)
{
	if (!m)
		return;
	if (m->booster)
		XGBoosterFree(m->booster);
	kgr__ltr_trees_free(m->trees);
	kgr_seq_free(m->seq_own);
	pthread_mutex_destroy(&m->lock);
	free(m->info);
	free(m);
}

const char *kgr_model_snapshot(const kgr_model *m)
{
	return m->snapshot;
}

const char *kgr_model_checksum(const kgr_model *m)
{
	return m->checksum;
}

const char *kgr_model_info_json(const kgr_model *m)
{
	return m->info;
}

int kgr_model_uses_sequence(const kgr_model *m)
{
	return m->uses_seq;
}

const kgr_seq_model *kgr_model_sequence(const kgr_model *m)
{
	return m->seq_own;
}

int kgr_model_set_sequence(kgr_model *m, const kgr_seq_model *seq)
{
	if (!m)
		return kgr__error_set(KGR_EINVALID, "learned ranker: no model");
	if (seq && !m->uses_seq)
		return kgr__error_set(KGR_EINVALID, "learned ranker: the model was fitted without the "
			"sequence model's scores; it cannot use one (fit it with one)");
	m->seq = seq ? seq : m->seq_own;
	return 0;
}

static int predict(const kgr_model *m, const float *x, size_t n, int type, float *out, size_t per_row)
{
	kgr_model *mm = (kgr_model *)m;
	DMatrixHandle d = NULL;
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0, total = 1, k;
	const float *res = NULL;
	char cfg[128];
	int error = 0;
	if (n == 0)
		return 0;
	snprintf(cfg, sizeof(cfg), "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, "
		"\"iteration_end\": 0, \"strict_shape\": false}", type);
	pthread_mutex_lock(&mm->lock);
	if (XGDMatrixCreateFromMat(x, (bst_ulong)n, KGR__LTR_NF, NAN, &d) != 0 ||
		XGBoosterPredictFromDMatrix(m->booster, d, cfg, &shape, &dim, &res) != 0) {
		error = kgr__ltr_xgb_error("predict");
		goto done;
	}
	for (k = 0; k < dim; k++)
		total *= shape[k];
	if (total != (bst_ulong)(n * per_row)) {
		error = kgr__error_set(KGR_ERROR, "learned ranker: XGBoost returned %llu values for %zu rows",
			(unsigned long long)total, n);
		goto done;
	}
	memcpy(out, res, n * per_row * sizeof(float));
done:
	if (d)
		XGDMatrixFree(d);
	pthread_mutex_unlock(&mm->lock);
	return error;
}

int kgr__ltr_xgb_predict(const kgr_model *m, const float *x, size_t n, int type, float *out)
{
	return predict(m, x, n, type, out, type == 1 ? 1 : KGR__LTR_NF + 1);
}

int kgr__ltr_predict(const kgr_model *m, const float *x, size_t n, float *out)
{
	kgr__ltr_trees_predict(m->trees, x, n, out);
	return 0;
}

int kgr__ltr_contribs(const kgr_model *m, const float *x, size_t n, float *out)
{
	kgr__ltr_trees_contribs(m->trees, x, n, out);
	return 0;
}

/* ---- file ---- */

static int model_bytes(const kgr_model *m, const char **buf, bst_ulong *len)
{
	if (XGBoosterSaveModelToBuffer(m->booster, "{\"format\": \"ubj\"}", len, buf) != 0)
		return kgr__ltr_xgb_error("save");
	return 0;
}

static char *header_json(const kgr_model *m, bst_ulong len)
{
	cJSON *root = cJSON_CreateObject(), *feats, *info;
	char *txt = NULL;
	size_t i;
	if (!root)
		return NULL;
	cJSON_AddNumberToObject(root, "format", FORMAT);
	cJSON_AddStringToObject(root, "kgrec", KGR_VERSION_STRING);
	cJSON_AddStringToObject(root, "snapshot", m->snapshot);
	cJSON_AddNumberToObject(root, "n_graph", (double)m->n_graph);
	cJSON_AddNumberToObject(root, "n_knn", (double)m->n_knn);
	if (m->n_seq)
		cJSON_AddNumberToObject(root, "n_seq", (double)m->n_seq);
	cJSON_AddBoolToObject(root, "sequence", m->uses_seq != 0);
	cJSON_AddNumberToObject(root, "model_bytes", (double)len);
	feats = cJSON_AddArrayToObject(root, "features");
	for (i = 0; feats && i < KGR__LTR_NF; i++)
		cJSON_AddItemToArray(feats, cJSON_CreateString(names[i]));
	if ((info = cJSON_Parse(m->info)))
		cJSON_AddItemToObject(root, "info", info);
	txt = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return txt;
}

/* The checksum of a model's bytes as they are written (header and booster). */
static uint64_t content_hash(const char *hdr, const char *buf, bst_ulong len)
{
	uint64_t h = kgr__hash64(MAGIC, strlen(MAGIC), 0);
	h = kgr__hash64(hdr, strlen(hdr), h);
	return kgr__hash64(buf, (size_t)len, h);
}

int kgr_model_save(const kgr_model *m, const char *path)
{
	const char *buf;
	bst_ulong len;
	char *hdr, *tmp;
	FILE *f;
	int error, ok;
	if ((error = model_bytes(m, &buf, &len)) < 0)
		return error;
	if (!(hdr = header_json(m, len)))
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	if (!(tmp = malloc(strlen(path) + 8))) {
		free(hdr);
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	}
	sprintf(tmp, "%s.tmpXX", path);
	if (!(f = fopen(tmp, "wb"))) {
		error = kgr__error_set(KGR_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto done;
	}
	ok = fputs(MAGIC, f) >= 0 && fputs(hdr, f) >= 0 && fputc('\n', f) != EOF &&
		fwrite(buf, 1, (size_t)len, f) == (size_t)len &&
		fprintf(f, "\nchecksum %016" PRIx64 "\n", content_hash(hdr, buf, len)) > 0;
	ok = fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		error = kgr__error_set(KGR_EIO, "%s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
	}
done:
	free(tmp);
	free(hdr);
	return error;
}

/* Checks the header's format and feature list against this build. */
static int check_header(const cJSON *h, const char *path)
{
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(h, "format");
	const cJSON *feats = cJSON_GetObjectItemCaseSensitive(h, "features");
	int i, n;
	if (!cJSON_IsNumber(fmt))
		return kgr__error_set(KGR_ECORRUPT, "%s: the model header has no format", path);
	if (fmt->valuedouble != FORMAT)
		return kgr__error_set(KGR_EVERSION, "%s: model format %g; this kgrec reads format %d "
			"(fit it again with 'kgrec train')", path, fmt->valuedouble, FORMAT);
	if (!cJSON_IsArray(feats))
		return kgr__error_set(KGR_ECORRUPT, "%s: the model header lists no features", path);
	n = cJSON_GetArraySize(feats);
	for (i = 0; i < n && i < KGR__LTR_NF; i++) {
		const cJSON *f = cJSON_GetArrayItem(feats, i);
		if (!cJSON_IsString(f) || strcmp(f->valuestring, names[i]))
			return kgr__error_set(KGR_EINVALID, "%s: feature %d of the model is \"%s\", this "
				"kgrec computes \"%s\" there: the feature sets differ (fit the model again)",
				path, i + 1, cJSON_IsString(f) ? f->valuestring : "?", names[i]);
	}
	if (n != KGR__LTR_NF)
		return kgr__error_set(KGR_EINVALID, "%s: the model has %d features, this kgrec computes "
			"%d (fit the model again)", path, n, KGR__LTR_NF);
	return 0;
}

static int parse_file(kgr_model **out, const char *data, size_t len, const char *path)
{
	const char *hdr_end, *buf, *tail;
	cJSON *h = NULL, *info;
	char *hdr = NULL, *info_txt = NULL;
	double mb;
	uint64_t want, got;
	BoosterHandle bst = NULL;
	const cJSON *v;
	int error;
	size_t hl;

	if (len < strlen(MAGIC) || memcmp(data, MAGIC, strlen(MAGIC)) != 0) {
		if (len >= 10 && !memcmp(data, "KGREC-LTR ", 10))
			return kgr__error_set(KGR_EVERSION, "%s: a model file of another format version "
				"(fit it again with 'kgrec train')", path);
		return kgr__error_set(KGR_ECORRUPT, "%s: not a kgrec model file", path);
	}
	data += strlen(MAGIC);
	len -= strlen(MAGIC);
	if (!(hdr_end = memchr(data, '\n', len)))
		return kgr__error_set(KGR_ECORRUPT, "%s: truncated (no header line)", path);
	hl = (size_t)(hdr_end - data);
	if (!(hdr = malloc(hl + 1)))
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	memcpy(hdr, data, hl);
	hdr[hl] = 0;
	if (!(h = cJSON_Parse(hdr))) {
		error = kgr__error_set(KGR_ECORRUPT, "%s: the model header is not JSON", path);
		goto done;
	}
	if ((error = check_header(h, path)) < 0)
		goto done;
	v = cJSON_GetObjectItemCaseSensitive(h, "model_bytes");
	mb = cJSON_IsNumber(v) ? v->valuedouble : -1;
	buf = hdr_end + 1;
	if (mb < 0 || (double)(len - hl - 1) < mb + 27) {
		error = kgr__error_set(KGR_ECORRUPT, "%s: truncated (the header announces %.0f model bytes)",
			path, mb);
		goto done;
	}
	tail = buf + (size_t)mb;
	if (sscanf(tail, "\nchecksum %16" SCNx64 "\n", &want) != 1) {
		error = kgr__error_set(KGR_ECORRUPT, "%s: truncated (no checksum line)", path);
		goto done;
	}
	got = content_hash(hdr, buf, (bst_ulong)mb);
	if (got != want) {
		error = kgr__error_set(KGR_ECORRUPT, "%s: checksum mismatch (file %016" PRIx64
			", content %016" PRIx64 "): the file is damaged", path, want, got);
		goto done;
	}
	if (XGBoosterCreate(NULL, 0, &bst) != 0 ||
		XGBoosterLoadModelFromBuffer(bst, buf, (bst_ulong)mb) != 0) {
		error = kgr__ltr_xgb_error(path);
		goto done;
	}
	info = cJSON_GetObjectItemCaseSensitive(h, "info");
	info_txt = info ? cJSON_PrintUnformatted(info) : NULL;
	{
		const cJSON *snap = cJSON_GetObjectItemCaseSensitive(h, "snapshot");
		const cJSON *ng = cJSON_GetObjectItemCaseSensitive(h, "n_graph");
		const cJSON *nk = cJSON_GetObjectItemCaseSensitive(h, "n_knn");
		const cJSON *ns = cJSON_GetObjectItemCaseSensitive(h, "n_seq"); /* optional */
		if (!cJSON_IsString(snap) || !cJSON_IsNumber(ng) || !cJSON_IsNumber(nk) ||
			ng->valuedouble < 1 || ng->valuedouble > KGR_MAX_K || nk->valuedouble < 0 ||
			nk->valuedouble > KGR_MAX_K || (ns && (!cJSON_IsNumber(ns) ||
			ns->valuedouble < 0 || ns->valuedouble > KGR_MAX_K))) {
			error = kgr__error_set(KGR_ECORRUPT, "%s: the model header lacks snapshot, n_graph "
				"or n_knn, or has a bad n_seq", path);
			goto done;
		}
		if ((error = kgr__ltr_model_new(out, bst, snap->valuestring, info_txt,
			     (size_t)ng->valuedouble, (size_t)nk->valuedouble)) < 0)
			goto done;
		bst = NULL;
		(*out)->uses_seq = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "sequence"));
		(*out)->n_seq = ns && (*out)->uses_seq ? (size_t)ns->valuedouble : 0;
		snprintf((*out)->checksum, sizeof((*out)->checksum), "%016" PRIx64, got);
	}
done:
	if (bst)
		XGBoosterFree(bst);
	free(info_txt);
	cJSON_Delete(h);
	free(hdr);
	return error;
}

int kgr_model_load(kgr_model **out, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	int error;
	*out = NULL;
	kgr_init();
	if ((error = kgr__read_file(&data, &len, path, "model")) < 0)
		return error;
	error = parse_file(out, data, len, path);
	free(data);
	return error;
}

/* The checksum a model would be saved with (a trained model carries it before any save). */
int kgr__ltr_model_seal(kgr_model *m)
{
	const char *buf;
	bst_ulong len;
	char *hdr;
	int error;
	if ((error = model_bytes(m, &buf, &len)) < 0)
		return error;
	if (!(hdr = header_json(m, len)))
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	snprintf(m->checksum, sizeof(m->checksum), "%016" PRIx64, content_hash(hdr, buf, len));
	free(hdr);
	return 0;
}
