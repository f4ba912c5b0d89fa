/* Tolerant reading and strict checking of LLM replies.
 *
 * Reading is tolerant: the JSON object may sit in a code fence or between sentences, ids may
 * be "C3", "[C3]", "c3" or 3. Checking is strict and uses only what the prompt showed: an id
 * must name a shown candidate, once; a cited fact must be one shown for that candidate. */
#include "ranker/llm_internal.h"
#include "kg/internal.h"
#include "kg/text_check.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RATIONALE 1000
#define MAX_ATTEMPTS 64

void *kgr__reply_json(const char *text, const char *want_key)
{
	const char *p;
	int attempts = 0;
	if (!text)
		goto fail;
	{
		/* what the reply says ends up in JSON output: it must be UTF-8 */
		size_t n = strlen(text), bad = kgr__utf8_invalid_at(text, n);
		if (bad != n) {
			kgr__error_set(KGR_EPARSE, "reply is not valid UTF-8 (byte %zu)", bad);
			return NULL;
		}
	}
	for (p = text; *p && attempts < MAX_ATTEMPTS; p++) {
		cJSON *root;
		const char *end = NULL;
		if (*p != '{' && *p != '[')
			continue;
		attempts++;
		root = cJSON_ParseWithOpts(p, &end, 0);
		if (!root)
			continue;
		if (cJSON_IsObject(root) && (!want_key || cJSON_GetObjectItemCaseSensitive(root, want_key)))
			return root;
		/* a bare array of ids, but only as the reply's first JSON value (never an array
		 * found inside a broken object) */
		if (cJSON_IsArray(root) && attempts == 1 && want_key && !strcmp(want_key, "ranking") &&
			cJSON_GetArraySize(root) > 0) {
			cJSON *obj = cJSON_CreateObject();
			if (!obj) {
				cJSON_Delete(root);
				kgr__error_set(KGR_ENOMEM, "out of memory");
				return NULL;
			}
			cJSON_AddItemToObject(obj, "ranking", root);
			return obj;
		}
		cJSON_Delete(root);
		/* an object without the key: look inside it too */
	}
fail:
	kgr__error_set(KGR_EPARSE, "reply holds no JSON object%s%s%s", want_key ? " with \"" : "",
		want_key ? want_key : "", want_key ? "\"" : "");
	return NULL;
}

/* "C3", "[C3]", " c3 ", 3 -> 3; anything else -> 0. */
static size_t parse_id(const cJSON *v, char prefix)
{
	const char *s;
	size_t n = 0;
	int digits = 0;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		return d >= 1 && d <= 1e6 && d == floor(d) ? (size_t)d : 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring)
		return 0;
	s = v->valuestring;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '[')
		s++;
	if (toupper((unsigned char)*s) != prefix)
		return 0;
	s++;
	while (isdigit((unsigned char)*s) && digits < 7) {
		n = n * 10 + (size_t)(*s - '0');
		s++;
		digits++;
	}
	if (!digits)
		return 0;
	if (*s == ']')
		s++;
	while (isspace((unsigned char)*s))
		s++;
	return *s ? 0 : n;
}

static const cJSON *get_any(const cJSON *obj, const char *const *names)
{
	for (; *names; names++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, *names);
		if (v)
			return v;
	}
	return NULL;
}

/* 1 when input fact @p f is among the facts the view showed for candidate @p cand. */
static int fact_shown_for(const kgr__llm_input *in, const kgr__prompt_view *v, size_t cand, size_t f)
{
	const kgr__llm_cand *c = &in->cands[cand];
	size_t j, nf = v->max_facts && c->n_facts > v->max_facts ? v->max_facts : c->n_facts;
	for (j = 0; j < nf; j++)
		if (c->facts[j] == f)
			return 1;
	return 0;
}

static void entry_clear(kgr__reply_entry *e)
{
	free(e->rationale);
	free(e->cited);
	memset(e, 0, sizeof(*e));
}

/* Fills rationale and citations of an entry from a reply object. */
static int entry_fill(kgr__reply_entry *e, kgr__reply *r, const cJSON *obj, const kgr__prompt_view *v,
	const kgr__llm_input *in)
{
	static const char *const rat_names[] = { "rationale", "reason", "explanation", NULL };
	static const char *const ev_names[] = { "evidence", "facts", "citations", NULL };
	const cJSON *rat = obj ? get_any(obj, rat_names) : NULL;
	const cJSON *ev = obj ? get_any(obj, ev_names) : NULL;
	const cJSON *x;
	int bad = 0;
	size_t n_ev;

	if (cJSON_IsString(rat) && rat->valuestring && *rat->valuestring) {
		size_t len = strlen(rat->valuestring);
		if (len > MAX_RATIONALE)
			len = MAX_RATIONALE;
		if (!(e->rationale = strndup(rat->valuestring, len)))
			return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	if (ev && !cJSON_IsArray(ev)) {
		bad = 1;
		ev = NULL;
	}
	n_ev = ev ? (size_t)cJSON_GetArraySize(ev) : 0;
	if (n_ev && !(e->cited = malloc(n_ev * sizeof(size_t))))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	cJSON_ArrayForEach(x, ev) {
		size_t k = parse_id(x, 'F'), f, j;
		if (!k || k > v->n_facts || !fact_shown_for(in, v, e->cand, f = v->facts[k - 1])) {
			bad = 1;
			r->citations_invalid++;
			continue;
		}
		for (j = 0; j < e->n_cited; j++)
			if (e->cited[j] == f)
				break;
		if (j == e->n_cited)
			e->cited[e->n_cited++] = f;
	}
	e->grounded = e->rationale && e->n_cited > 0 && !bad;
	return 0;
}

static int reply_push(kgr__reply *r, const kgr__reply_entry *e)
{
	kgr__reply_entry *p = realloc(r->entries, (r->n + 1) * sizeof(*p));
	if (!p)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	r->entries = p;
	r->entries[r->n++] = *e;
	return 0;
}

void kgr__reply_free(kgr__reply *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		entry_clear(&r->entries[i]);
	free(r->entries);
	memset(r, 0, sizeof(*r));
}

int kgr__reply_ranking(kgr__reply *out, const char *text, const kgr__prompt_view *view,
	const kgr__llm_input *in)
{
	static const char *const id_names[] = { "id", "item", "candidate", NULL };
	static const char *const score_names[] = { "score", "confidence", NULL };
	cJSON *root = kgr__reply_json(text, "ranking");
	const cJSON *arr, *x;
	unsigned char *seen = NULL;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (!root)
		return kgr_error_last_code();
	arr = cJSON_GetObjectItemCaseSensitive(root, "ranking");
	if (!cJSON_IsArray(arr)) {
		error = kgr__error_set(KGR_EPARSE, "reply: \"ranking\" is not an array");
		goto cleanup;
	}
	if (!(seen = calloc(view->n_cands + 1, 1))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	cJSON_ArrayForEach(x, arr) {
		kgr__reply_entry e;
		const cJSON *idv = cJSON_IsObject(x) ? get_any(x, id_names) : x;
		const cJSON *sc = cJSON_IsObject(x) ? get_any(x, score_names) : NULL;
		size_t k = parse_id(idv, 'C');
		if (!k || k > view->n_cands) {
			out->unknown++;
			continue;
		}
		if (seen[k]) {
			out->duplicate++;
			continue;
		}
		seen[k] = 1;
		memset(&e, 0, sizeof(e));
		e.cand = view->cands[k - 1];
		e.value = cJSON_IsNumber(sc) ? sc->valuedouble : NAN;
		if ((error = entry_fill(&e, out, cJSON_IsObject(x) ? x : NULL, view, in)) ||
			(error = reply_push(out, &e))) {
			entry_clear(&e);
			goto cleanup;
		}
	}
	if (!out->n)
		error = kgr__error_set(KGR_EPARSE, "reply ranks none of the %zu candidates (%zu unknown ids)",
			view->n_cands, out->unknown);
cleanup:
	free(seen);
	cJSON_Delete(root);
	if (error && error != KGR_EPARSE) {
		kgr__reply_free(out);
	}
	return error;
}

int kgr__reply_rating(kgr__reply *out, const char *text, const kgr__prompt_view *view,
	const kgr__llm_input *in)
{
	cJSON *root = kgr__reply_json(text, "rating");
	const cJSON *rv;
	kgr__reply_entry e;
	double rating = NAN;
	int error = 0;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	if (!root)
		return kgr_error_last_code();
	rv = cJSON_GetObjectItemCaseSensitive(root, "rating");
	if (cJSON_IsNumber(rv))
		rating = rv->valuedouble;
	else if (cJSON_IsString(rv) && rv->valuestring) {
		char *end;
		rating = strtod(rv->valuestring, &end);
		if (end == rv->valuestring)
			rating = NAN;
	}
	if (!(rating >= 1.0 && rating <= 5.0) || !view->n_cands) {
		error = kgr__error_set(KGR_EPARSE, "reply: \"rating\" is missing or outside 1..5");
		goto cleanup;
	}
	e.cand = view->cands[0];
	e.value = rating;
	if ((error = entry_fill(&e, out, root, view, in)) || (error = reply_push(out, &e)))
		entry_clear(&e);
cleanup:
	cJSON_Delete(root);
	return error;
}

int kgr__reply_preference(kgr__reply *out, const char *text, const kgr__prompt_view *view,
	const kgr__llm_input *in)
{
	cJSON *root = kgr__reply_json(text, "preferred");
	kgr__reply_entry e;
	size_t k;
	int error = 0;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	if (!root)
		return kgr_error_last_code();
	k = parse_id(cJSON_GetObjectItemCaseSensitive(root, "preferred"), 'C');
	if (!k || k > view->n_cands) {
		out->unknown++;
		error = kgr__error_set(KGR_EPARSE, "reply: \"preferred\" is not one of C1..C%zu", view->n_cands);
		goto cleanup;
	}
	e.cand = view->cands[k - 1];
	e.value = NAN;
	if ((error = entry_fill(&e, out, root, view, in)) || (error = reply_push(out, &e)))
		entry_clear(&e);
cleanup:
	cJSON_Delete(root);
	return error;
}
