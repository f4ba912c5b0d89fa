/* The audit trail: writing records (one write() per JSON line on an O_APPEND descriptor),
 * reading them back, and verifying them against a store. */
#include "audit/audit_internal.h"
#include "kg/internal.h"
#include "kgrec/sequence.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct kgr_audit_log {
	int fd;
	char *path;
	kgr_audit_options opts;
	/* the chain: the link of the last record this log wrote, and the file's size after it;
	 * when the file has not grown since, the link is not read back */
	char last_link[33];
	off_t last_size;
	int have_link;
	/* writers of this process (flock() does not tell apart threads sharing a descriptor) */
	pthread_mutex_t mu;
};

/* ---- terms ---- */

char *kgr__audit_nt(const kgr_store *store, kgr_id id)
{
	size_t n;
	char *s;
	if (!id)
		return strdup("");
	n = kgr_term_to_ntriples(store, id, NULL, 0);
	if (!(s = malloc(n + 1)))
		return NULL;
	kgr_term_to_ntriples(store, id, s, n + 1);
	return s;
}

/* Unescapes s[0..n) (N-Triples \uXXXX \UXXXXXXXX \t \n ...) into out (at least n + 1 bytes).
 * Returns the length, or (size_t)-1 on a bad escape. */
static size_t unescape(char *out, const char *s, size_t n)
{
	size_t i, k = 0;
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[k++] = s[i];
			continue;
		}
		if (++i >= n)
			return (size_t)-1;
		switch (s[i]) {
		case 't': out[k++] = '\t'; break;
		case 'b': out[k++] = '\b'; break;
		case 'n': out[k++] = '\n'; break;
		case 'r': out[k++] = '\r'; break;
		case 'f': out[k++] = '\f'; break;
		case '"': out[k++] = '"'; break;
		case '\'': out[k++] = '\''; break;
		case '\\': out[k++] = '\\'; break;
		case 'u':
		case 'U': {
			uint32_t cp;
			size_t d = kgr__ntriples_uchar(s + i - 1, s + n, &cp);
			if (!d)
				return (size_t)-1;
			k += kgr__utf8_put(out + k, cp);
			i += d - 2; /* to the last digit */
			break;
		}
		default:
			return (size_t)-1;
		}
	}
	out[k] = '\0';
	return k;
}

kgr_id kgr__audit_term(const kgr_store *store, const char *nt, const char **why)
{
	size_t n = nt ? strlen(nt) : 0, len;
	char *buf = NULL, *dt = NULL;
	const char *lang = NULL, *end;
	kgr_id id = 0;
	if (why)
		*why = "not an N-Triples term";
	if (n < 2)
		return 0;
	if (!(buf = malloc(n + 1)))
		return 0;
	if (nt[0] == '<' && nt[n - 1] == '>') {
		if (unescape(buf, nt + 1, n - 2) == (size_t)-1)
			goto done;
		if (why)
			*why = "no such IRI in the store";
		id = kgr_store_iri(store, buf);
	} else if (nt[0] == '_' && nt[1] == ':') {
		if (why)
			*why = "no such blank node in the store";
		id = kgr_store_blank(store, nt + 2);
	} else if (nt[0] == '"') {
		/* the closing quote is the last unescaped one */
		size_t i;
		end = NULL;
		for (i = 1; i < n; i++) {
			if (nt[i] == '\\') {
				i++;
				continue;
			}
			if (nt[i] == '"') {
				end = nt + i;
				break;
			}
		}
		if (!end)
			goto done;
		if ((len = unescape(buf, nt + 1, (size_t)(end - nt - 1))) == (size_t)-1)
			goto done;
		if (end[1] == '@' && end[2])
			lang = end + 2;
		else if (end[1] == '^' && end[2] == '^' && end[3] == '<' && nt[n - 1] == '>') {
			size_t dl = (size_t)(nt + n - 1 - (end + 4));
			if (!(dt = malloc(dl + 1)) || unescape(dt, end + 4, dl) == (size_t)-1)
				goto done;
		} else if (end[1])
			goto done;
		if (why)
			*why = "no such literal in the store";
		id = kgr_store_literal(store, buf, len, lang, dt);
	}
done:
	free(buf);
	free(dt);
	return id;
}

const char *kgr__audit_term_text(const char *nt, char *buf, size_t size)
{
	size_t n = nt ? strlen(nt) : 0, k = 0, i;
	const char *from = nt, *to = nt + n;
	if (!size)
		return buf;
	if (n >= 2 && nt[0] == '<' && nt[n - 1] == '>') {
		from = nt + 1;
		to = nt + n - 1;
	} else if (n >= 2 && nt[0] == '"') {
		from = nt + 1;
		for (i = 1; i < n; i++) {
			if (nt[i] == '\\') {
				i++;
				continue;
			}
			if (nt[i] == '"')
				break;
		}
		to = nt + (i < n ? i : n);
	}
	for (; from < to && k + 1 < size; from++) {
		if (*from == '\\' && from + 1 < to && strchr("\"\\", from[1]))
			from++;
		buf[k++] = *from;
	}
	buf[k] = '\0';
	return buf;
}

const char *kgr__audit_term_short(const char *nt, char *buf, size_t size)
{
	const char *s = kgr__audit_term_text(nt, buf, size), *p;
	if (nt && nt[0] == '<') {
		p = strrchr(s, '#');
		if (!p || !p[1])
			p = strrchr(s, '/');
		if (p && p[1])
			memmove(buf, p + 1, strlen(p + 1) + 1);
	}
	return buf;
}

/* ---- digests ---- */

static void hash_hex(char out[33], const char *s, size_t n)
{
	uint64_t a = kgr__hash64(s, n, 0x6b67726563617564ULL), b = kgr__hash64(s, n, 0x61756469742d7631ULL);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

void kgr__audit_digest(char out[33], const cJSON *section)
{
	char *s = section ? cJSON_PrintUnformatted(section) : NULL;
	hash_hex(out, s ? s : "null", s ? strlen(s) : 4);
	free(s);
}

void kgr__audit_link(char out[33], const cJSON *rec)
{
	const cJSON *dig = cJSON_GetObjectItemCaseSensitive(rec, "digest");
	const char *id = kgr__audit_str(rec, "id");
	char *d = dig ? cJSON_PrintUnformatted(dig) : NULL;
	kgr__buf b = { 0 };
	kgr__buf_puts(&b, id ? id : "");
	kgr__buf_puts(&b, "\n");
	kgr__buf_puts(&b, d ? d : "null");
	hash_hex(out, b.s ? b.s : "", b.len);
	kgr__buf_free(&b);
	free(d);
}

void kgr__audit_prompt_hash(char out[33], const char *system, const char *user)
{
	size_t a = strlen(system), b = strlen(user);
	char *s = malloc(a + b + 2);
	if (!s) {
		memset(out, '0', 32);
		out[32] = '\0';
		return;
	}
	memcpy(s, system, a);
	s[a] = '\n';
	memcpy(s + a + 1, user, b + 1);
	hash_hex(out, s, a + b + 1);
	free(s);
}

/* ---- writing ---- */

int kgr_audit_open(kgr_audit_log **out, const char *path, const kgr_audit_options *opts)
{
	kgr_audit_options dflt = KGR_AUDIT_OPTIONS_INIT;
	kgr_audit_log *log;
	*out = NULL;
	if (!opts)
		opts = &dflt;
	KGR__CHECK_VERSION(opts, KGR_AUDIT_OPTIONS_VERSION, "audit");
	if (!(log = calloc(1, sizeof(*log))) || !(log->path = strdup(path))) {
		free(log);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	log->opts = *opts;
	pthread_mutex_init(&log->mu, NULL);
	log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log->fd < 0) {
		int e = errno;
		pthread_mutex_destroy(&log->mu);
		free(log->path);
		free(log);
		return kgr__error_set(KGR_EIO, "audit log %s: %s", path, strerror(e));
	}
	/* A crash may have left a record without its newline: end that line so that the next
	 * record starts on its own (readers report the cut line and skip it). */
	{
		int rfd = open(path, O_RDONLY | O_CLOEXEC);
		char last = '\n';
		if (rfd >= 0) {
			if (lseek(rfd, -1, SEEK_END) >= 0 && read(rfd, &last, 1) == 1 && last != '\n' &&
				write(log->fd, "\n", 1) != 1) {
				int e = errno;
				close(rfd);
				kgr_audit_close(log);
				return kgr__error_set(KGR_EIO, "audit log %s: %s", path, strerror(e));
			}
			close(rfd);
		}
	}
	*out = log;
	return 0;
}

void kgr_audit_close(kgr_audit_log *log)
{
	if (!log)
		return;
	if (log->fd >= 0)
		close(log->fd);
	pthread_mutex_destroy(&log->mu);
	free(log->path);
	free(log);
}

/* Adds a term in N-Triples syntax (null for 0). */
static int add_term(cJSON *o, const char *key, const kgr_store *store, kgr_id id)
{
	char *s;
	if (!id)
		return cJSON_AddNullToObject(o, key) ? 0 : -1;
	if (!(s = kgr__audit_nt(store, id)))
		return -1;
	cJSON_AddStringToObject(o, key, s);
	free(s);
	return 0;
}

static cJSON *term_json(const kgr_store *store, kgr_id id)
{
	char *s = kgr__audit_nt(store, id);
	cJSON *j = s ? cJSON_CreateString(s) : NULL;
	free(s);
	return j;
}

static cJSON *edge_json(const kgr_store *store, const kgr_edge *e, int with_rev)
{
	cJSON *o = cJSON_CreateObject();
	add_term(o, "s", store, e->s);
	add_term(o, "p", store, e->p);
	add_term(o, "o", store, e->o);
	if (with_rev)
		cJSON_AddBoolToObject(o, "rev", e->reversed);
	return o;
}

static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *request_json(const kgr_store *store, const kgr_audit_entry *e)
{
	const kgr_rec_options *r = e->rec;
	cJSON *o = cJSON_CreateObject(), *a;
	size_t i;
	add_term(o, "user", store, e->user);
	add_str_or_null(o, "user_text", e->user_text);
	cJSON_AddNumberToObject(o, "k", (double)r->k);
	cJSON_AddNumberToObject(o, "n_candidates", (double)r->n_candidates);
	cJSON_AddBoolToObject(o, "explain", r->explain);
	cJSON_AddBoolToObject(o, "exclude_seen", r->exclude_seen);
	cJSON_AddNumberToObject(o, "at", (double)r->at);
	add_str_or_null(o, "query", r->query);
	a = cJSON_AddArrayToObject(o, "seeds");
	for (i = 0; i < r->n_seeds; i++)
		cJSON_AddItemToArray(a, term_json(store, r->seeds[i]));
	a = cJSON_AddArrayToObject(o, "exclude");
	for (i = 0; i < r->n_exclude; i++)
		cJSON_AddItemToArray(a, term_json(store, r->exclude[i]));
	cJSON_AddNumberToObject(o, "generators", (double)r->generators);
	cJSON_AddBoolToObject(o, "require_path", r->require_path);
	if (r->weights) {
		cJSON *w = cJSON_AddObjectToObject(o, "weights"), *ws;
		add_str_or_null(w, "path", e->weights_path);
		ws = cJSON_AddObjectToObject(w, "w");
		for (i = 0; i < KGR_FEAT__COUNT; i++)
			cJSON_AddNumberToObject(ws, kgr_feature_name((kgr_feature)i), r->weights->w[i]);
		cJSON_AddNumberToObject(w, "bias", r->weights->bias);
	} else {
		cJSON_AddNullToObject(o, "weights");
	}
	add_str_or_null(o, "graph_config", e->graph_config);
	if (r->sequence) {
		/* the sequence model that proposed candidates and scored them; replay reads it */
		cJSON *m = cJSON_AddObjectToObject(o, "sequence");
		kgr_seq_info info;
		kgr_seq_info_get(&info, r->sequence);
		add_str_or_null(m, "path", e->sequence_path);
		cJSON_AddStringToObject(m, "checksum", kgr_seq_checksum(r->sequence));
		cJSON_AddStringToObject(m, "store", kgr_seq_store_checksum(r->sequence));
		cJSON_AddNumberToObject(m, "items", (double)info.items);
		cJSON_AddNumberToObject(m, "dims", info.dims);
		cJSON_AddNumberToObject(m, "n", (double)r->n_sequence);
		cJSON_AddNumberToObject(m, "weight", r->w_sequence);
	}
	if (e->model) {
		cJSON *m = cJSON_AddObjectToObject(o, "model");
		add_str_or_null(m, "path", e->model_path);
		cJSON_AddStringToObject(m, "checksum", kgr_model_checksum(e->model));
		cJSON_AddStringToObject(m, "snapshot", kgr_model_snapshot(e->model));
	} else {
		cJSON_AddNullToObject(o, "model");
	}
	return o;
}

static cJSON *candidates_json(const kgr_store *store, const kgr_recs *c)
{
	cJSON *a = cJSON_CreateArray();
	size_t i, g;
	for (i = 0; i < c->n; i++) {
		const kgr_rec_item *it = &c->items[i];
		cJSON *o = cJSON_CreateObject(), *gens, *feat;
		add_term(o, "item", store, it->item);
		cJSON_AddNumberToObject(o, "rank", (double)i + 1);
		cJSON_AddNumberToObject(o, "score", it->score);
		gens = cJSON_AddObjectToObject(o, "generators");
		/* the generators' features carry their scores (KGR_FEAT_PPR .. KGR_FEAT_QUERY) */
		for (g = 0; g < KGR_GEN__COUNT; g++)
			if (it->generators & (1u << g))
				cJSON_AddNumberToObject(gens, kgr_generator_name((kgr_generator)g),
					g == KGR_GEN_SEQUENCE ? it->seq_feature : it->features[g]);
		feat = cJSON_AddObjectToObject(o, "features");
		for (g = 0; g < KGR_FEAT__COUNT; g++)
			cJSON_AddNumberToObject(feat, kgr_feature_name((kgr_feature)g), it->features[g]);
		if (c->sequence)
			cJSON_AddNumberToObject(feat, "sequence", it->seq_feature);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *history_json(const kgr_store *store, kgr_id user, int64_t at)
{
	cJSON *a = cJSON_CreateArray();
	size_t n, i, from;
	const kgr_interaction *h = kgr__user_history(store, user, at, &n);
	if (!h)
		return a;
	from = n > 50 ? n - 50 : 0;
	for (i = from; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		add_term(o, "item", store, h[i].item);
		cJSON_AddNumberToObject(o, "time", (double)h[i].time);
		add_term(o, "action", store, h[i].action);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *llm_json(const kgr_store *store, const kgr_audit_entry *e, int hash_only)
{
	const kgr_llm_options *lo = e->llm;
	const kgr_llm_result *res = e->llm_result;
	cJSON *o = cJSON_CreateObject(), *p, *a, *v;
	size_t i, k;
	char h[33], id[32];

	add_str_or_null(o, "model", lo->model);
	add_str_or_null(o, "base_url", lo->base_url);
	p = cJSON_AddObjectToObject(o, "params");
	cJSON_AddStringToObject(p, "mode", kgr_llm_mode_name(lo->mode));
	cJSON_AddStringToObject(p, "history", kgr_llm_history_name(lo->history));
	cJSON_AddStringToObject(p, "fusion", lo->fusion == KGR_LLM_FUSION_RRF ? "rrf" : "borda");
	cJSON_AddNumberToObject(p, "temperature", lo->temperature);
	cJSON_AddNumberToObject(p, "max_tokens", lo->max_tokens);
	cJSON_AddNumberToObject(p, "boots", lo->boots);
	cJSON_AddNumberToObject(p, "alpha", lo->alpha);
	cJSON_AddNumberToObject(p, "seed", lo->seed);
	cJSON_AddNumberToObject(p, "max_history", (double)lo->max_history);
	cJSON_AddNumberToObject(p, "max_facts", (double)lo->max_facts);
	cJSON_AddNumberToObject(p, "max_text", (double)lo->max_text);
	cJSON_AddBoolToObject(p, "json_schema", lo->json_schema);
	cJSON_AddNumberToObject(p, "retries", lo->retries);
	cJSON_AddNumberToObject(p, "timeout_ms", (double)lo->timeout_ms);
	cJSON_AddNumberToObject(p, "deadline_ms", (double)lo->deadline_ms);
	add_str_or_null(p, "request", lo->request);
	add_str_or_null(p, "prompt_dir", lo->prompt_dir);
	a = cJSON_AddArrayToObject(o, "exchanges");
	for (i = 0; e->llm_trace && i < e->llm_trace->n; i++) {
		const kgr_llm_exchange *x = &e->llm_trace->exchanges[i];
		cJSON *xo = cJSON_CreateObject(), *fa, *ca;
		kgr__audit_prompt_hash(h, x->system, x->user);
		cJSON_AddStringToObject(xo, "prompt_hash", h);
		if (!hash_only) {
			cJSON_AddStringToObject(xo, "system", x->system);
			cJSON_AddStringToObject(xo, "user", x->user);
		}
		fa = cJSON_AddArrayToObject(xo, "facts");
		for (k = 0; k < x->n_facts; k++) {
			cJSON *f = edge_json(store, &x->facts[k], 0);
			snprintf(id, sizeof(id), "F%zu", k + 1);
			cJSON_AddStringToObject(f, "id", id);
			cJSON_AddItemToArray(fa, f);
		}
		ca = cJSON_AddArrayToObject(xo, "candidates");
		for (k = 0; k < x->n_cands; k++)
			cJSON_AddItemToArray(ca, term_json(store, x->cands[k]));
		add_str_or_null(xo, "reply", x->reply);
		add_str_or_null(xo, "error", x->error);
		cJSON_AddNumberToObject(xo, "http_status", x->acct.http_status);
		cJSON_AddBoolToObject(xo, "cached", x->acct.cached);
		cJSON_AddNumberToObject(xo, "retries", x->acct.retries);
		cJSON_AddNumberToObject(xo, "prompt_tokens", (double)x->acct.prompt_tokens);
		cJSON_AddNumberToObject(xo, "completion_tokens", (double)x->acct.completion_tokens);
		cJSON_AddNumberToObject(xo, "latency_ms", x->acct.latency_ms);
		cJSON_AddItemToArray(a, xo);
	}
	v = cJSON_AddObjectToObject(o, "validation");
	if (res) {
		cJSON_AddBoolToObject(v, "fallback", res->fallback);
		cJSON_AddNumberToObject(v, "validity_rate", res->stats.validity_rate);
		cJSON_AddNumberToObject(v, "replies_invalid", (double)res->stats.replies_invalid);
		cJSON_AddNumberToObject(v, "ids_unknown", (double)res->stats.ids_unknown);
		cJSON_AddNumberToObject(v, "ids_duplicate", (double)res->stats.ids_duplicate);
		cJSON_AddNumberToObject(v, "ids_missing", (double)res->stats.ids_missing);
		cJSON_AddNumberToObject(v, "citations_invalid", (double)res->stats.citations_invalid);
		a = cJSON_AddArrayToObject(v, "notes");
		for (i = 0; i < res->n_notes; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(res->notes[i]));
		a = cJSON_AddArrayToObject(o, "items");
		for (i = 0; i < res->n; i++) {
			const kgr_llm_item *it = &res->items[i];
			cJSON *io = cJSON_CreateObject(), *cited;
			add_term(io, "item", store, it->item);
			cJSON_AddNumberToObject(io, "score", it->score);
			cJSON_AddNumberToObject(io, "llm_score", it->llm_score);
			cJSON_AddNumberToObject(io, "graph_score", it->graph_score);
			cJSON_AddNumberToObject(io, "graph_rank", (double)it->graph_rank + 1);
			cJSON_AddBoolToObject(io, "llm_valid", it->llm_valid);
			cJSON_AddBoolToObject(io, "grounded", it->grounded);
			add_str_or_null(io, "rationale", it->rationale);
			cited = cJSON_AddArrayToObject(io, "cited");
			for (k = 0; k < it->n_cited; k++)
				cJSON_AddItemToArray(cited, edge_json(store, &it->cited[k], 0));
			cJSON_AddItemToArray(a, io);
		}
	}
	return o;
}

static const kgr_llm_item *llm_item_of(const kgr_llm_result *res, kgr_id item)
{
	size_t i;
	for (i = 0; res && i < res->n; i++)
		if (res->items[i].item == item)
			return &res->items[i];
	return NULL;
}

/* The graph ranker's rationale for an item of the candidate set, or NULL. */
static const char *graph_rationale_of(const kgr_recs *cands, kgr_id item)
{
	size_t i;
	for (i = 0; cands && i < cands->n; i++)
		if (cands->items[i].item == item)
			return cands->items[i].rationale;
	return NULL;
}

static cJSON *list_json(const kgr_store *store, const kgr_audit_entry *e)
{
	cJSON *a = cJSON_CreateArray();
	size_t i, k, j;
	for (i = 0; i < e->final->n; i++) {
		const kgr_rec_item *it = &e->final->items[i];
		const kgr_llm_item *li = llm_item_of(e->llm_result, it->item);
		cJSON *o = cJSON_CreateObject(), *parts, *paths, *cited;
		add_term(o, "item", store, it->item);
		cJSON_AddNumberToObject(o, "rank", (double)i + 1);
		cJSON_AddStringToObject(o, "label", kgr_store_label(store, it->item));
		cJSON_AddNumberToObject(o, "score", it->score);
		parts = cJSON_AddObjectToObject(o, "parts");
		for (k = 0; k < KGR_FEAT__COUNT; k++)
			if (it->parts[k] != 0.0)
				cJSON_AddNumberToObject(parts, kgr_feature_name((kgr_feature)k), it->parts[k]);
		if (it->seq_part != 0.0)
			cJSON_AddNumberToObject(parts, "sequence", it->seq_part);
		if (li) {
			cJSON_AddNumberToObject(parts, "llm", li->llm_score);
			cJSON_AddNumberToObject(parts, "graph", li->graph_score);
		}
		if (it->n_contribs) {
			/* the learned ranker: every feature's share of the score (they add up to it) */
			cJSON *cs = cJSON_AddObjectToObject(o, "contributions");
			for (k = 0; cs && k < it->n_contribs; k++)
				cJSON_AddNumberToObject(cs, it->contribs[k].feature, it->contribs[k].contribution);
		}
		add_str_or_null(o, "rationale", it->rationale);
		if (li) {
			cJSON_AddBoolToObject(o, "grounded", li->grounded && li->rationale);
			/* what the model said of this item, even when it could not be trusted, and what
			 * the graph said of it */
			add_str_or_null(o, "llm_rationale", li->rationale);
			add_str_or_null(o, "graph_rationale", graph_rationale_of(e->candidates, it->item));
			cJSON_AddBoolToObject(o, "llm_valid", li->llm_valid);
		}
		paths = cJSON_AddArrayToObject(o, "paths");
		for (k = 0; k < it->n_paths; k++) {
			const kgr_path *p = &it->paths[k];
			cJSON *po = cJSON_CreateObject(), *edges;
			add_term(po, "from", store, p->from);
			cJSON_AddNumberToObject(po, "score", p->score);
			edges = cJSON_AddArrayToObject(po, "edges");
			for (j = 0; j < p->n_edges; j++)
				cJSON_AddItemToArray(edges, edge_json(store, &p->edges[j], 1));
			cJSON_AddItemToArray(paths, po);
		}
		cited = cJSON_AddArrayToObject(o, "cited");
		for (k = 0; li && li->grounded && k < li->n_cited; k++)
			cJSON_AddItemToArray(cited, edge_json(store, &li->cited[k], 0));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static void new_id(char out[65])
{
	unsigned char r[16];
	size_t i;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), ok = 0;
	if (fd >= 0) {
		ok = read(fd, r, sizeof(r)) == (ssize_t)sizeof(r);
		close(fd);
	}
	if (!ok) {
		struct timespec ts;
		uint64_t a, b;
		clock_gettime(CLOCK_REALTIME, &ts);
		a = kgr__hash64(&ts, sizeof(ts), (uint64_t)getpid());
		b = kgr__hash64(&a, sizeof(a), (uint64_t)ts.tv_nsec);
		memcpy(r, &a, 8);
		memcpy(r + 8, &b, 8);
	}
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static const char *const sections[] = { "prev", "snapshot", "request", "history", "candidates", "llm", "list",
	"notes", NULL };

/* The link of the last whole record of the log (its last line that ends with a newline and
 * parses), or "" for a log without one. Called with the log locked. */
static int last_link(kgr_audit_log *log, char out[33])
{
	struct stat st;
	int rfd, error = 0;
	off_t end, start;
	char *buf = NULL;
	size_t cap = 0;

	out[0] = 0;
	if (fstat(log->fd, &st) < 0)
		return kgr__error_set(KGR_EIO, "audit log %s: %s", log->path, strerror(errno));
	if (log->have_link && st.st_size == log->last_size) {
		memcpy(out, log->last_link, 33);
		return 0;
	}
	if ((rfd = open(log->path, O_RDONLY | O_CLOEXEC)) < 0)
		return kgr__error_set(KGR_EIO, "audit log %s: %s", log->path, strerror(errno));
	/* walk back over whole lines from the end until one parses as a record */
	end = st.st_size;
	while (end > 0 && !out[0]) {
		size_t n;
		cJSON *rec;
		char c;
		/* end: just past a line's newline; a last line without one was cut short */
		if (pread(rfd, &c, 1, end - 1) == 1 && c != '\n') {
			while (end > 0 && pread(rfd, &c, 1, end - 1) == 1 && c != '\n')
				end--;
			continue;
		}
		start = end - 1;
		while (start > 0 && pread(rfd, &c, 1, start - 1) == 1 && c != '\n')
			start--;
		n = (size_t)(end - start);
		if (n + 1 > cap) {
			char *b = realloc(buf, n + 1);
			if (!b) {
				error = kgr__error_set(KGR_ENOMEM, "out of memory");
				break;
			}
			buf = b;
			cap = n + 1;
		}
		if (pread(rfd, buf, n, start) != (ssize_t)n) {
			error = kgr__error_set(KGR_EIO, "audit log %s: %s", log->path, strerror(errno));
			break;
		}
		buf[n] = 0;
		if ((rec = cJSON_Parse(buf)) && kgr__audit_str(rec, "id") &&
			cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rec, "digest")))
			kgr__audit_link(out, rec);
		cJSON_Delete(rec);
		end = start;
	}
	free(buf);
	close(rfd);
	return error;
}

int kgr_audit_write(kgr_audit_log *log, const kgr_store *store, const kgr_audit_entry *e, char *id_out)
{
	cJSON *root = NULL, *snap, *dig, *notes;
	char id[65], when[32], hex[17], d[33], prev[33], *text = NULL;
	int locked = 0;
	struct tm tm;
	time_t t;
	size_t i, len, done = 0;
	int error = 0;

	if (!e || e->version != KGR_AUDIT_ENTRY_VERSION || !e->rec || !e->candidates || !e->final)
		return kgr__error_set(KGR_EINVALID, "audit entry: version, options, candidates and final list are required");
	if (e->id && strlen(e->id) > 64)
		return kgr__error_set(KGR_EINVALID, "audit entry: id longer than 64 bytes");
	if (e->id)
		snprintf(id, sizeof(id), "%s", e->id);
	else
		new_id(id);
	t = e->time ? (time_t)e->time : time(NULL);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (!(root = cJSON_CreateObject()))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	cJSON_AddNumberToObject(root, "v", KGR_AUDIT_FORMAT_VERSION);
	cJSON_AddStringToObject(root, "id", id);
	cJSON_AddStringToObject(root, "time", when);
	cJSON_AddNumberToObject(root, "t", (double)t);
	/* the chain: written after the log's last record, which is read under the locks (this
	 * process's writers, then every process's) */
	pthread_mutex_lock(&log->mu);
	locked = 1;
	if (flock(log->fd, LOCK_EX) < 0) {
		error = kgr__error_set(KGR_EIO, "audit log %s: lock: %s", log->path, strerror(errno));
		goto cleanup;
	}
	locked = 2;
	if ((error = last_link(log, prev)) < 0)
		goto cleanup;
	cJSON_AddStringToObject(root, "prev", prev);
	snap = cJSON_AddObjectToObject(root, "snapshot");
	cJSON_AddStringToObject(snap, "checksum", kgr_store_checksum_hex(store, hex));
	add_str_or_null(snap, "path", e->store_path);
	cJSON_AddItemToObject(root, "request", request_json(store, e));
	cJSON_AddItemToObject(root, "history", history_json(store, e->user, e->rec->at));
	cJSON_AddItemToObject(root, "candidates", candidates_json(store, e->candidates));
	if (e->llm)
		cJSON_AddItemToObject(root, "llm", llm_json(store, e, log->opts.prompt_hash));
	else
		cJSON_AddNullToObject(root, "llm");
	cJSON_AddItemToObject(root, "list", list_json(store, e));
	notes = cJSON_AddArrayToObject(root, "notes");
	for (i = 0; i < e->final->n_notes; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(e->final->notes[i]));
	dig = cJSON_AddObjectToObject(root, "digest");
	for (i = 0; sections[i]; i++) {
		kgr__audit_digest(d, cJSON_GetObjectItemCaseSensitive(root, sections[i]));
		cJSON_AddStringToObject(dig, sections[i], d);
	}
	if (!(text = cJSON_PrintUnformatted(root))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory writing an audit record");
		goto cleanup;
	}
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL: the record is written with its newline at once */
	while (done < len) {
		ssize_t w = write(log->fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			error = kgr__error_set(KGR_EIO, "audit log %s: %s", log->path, strerror(errno));
			goto cleanup;
		}
		done += (size_t)w;
	}
	if (log->opts.fsync && fsync(log->fd) < 0) {
		error = kgr__error_set(KGR_EIO, "audit log %s: fsync: %s", log->path, strerror(errno));
		goto cleanup;
	}
	{
		struct stat st;
		log->have_link = 0;
		if (fstat(log->fd, &st) == 0) {
			kgr__audit_link(log->last_link, root);
			log->last_size = st.st_size;
			log->have_link = 1;
		}
	}
	if (id_out)
		memcpy(id_out, id, strlen(id) + 1);
cleanup:
	if (locked == 2)
		flock(log->fd, LOCK_UN);
	if (locked)
		pthread_mutex_unlock(&log->mu);
	free(text);
	cJSON_Delete(root);
	return error;
}

/* ---- reading ---- */

const char *kgr__audit_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

double kgr__audit_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1 : 0) : dflt;
}

/* Whether a line nests arrays and objects deeper than cJSON reads (CJSON_NESTING_LIMIT), so
 * its failure to parse says nothing about a cut. Strings are skipped with their escapes. */
static int too_deep(const char *s, size_t n)
{
	size_t i, depth = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		} else if (s[i] == '[' || s[i] == '{') {
			if (++depth > CJSON_NESTING_LIMIT)
				return 1;
		} else if ((s[i] == ']' || s[i] == '}') && depth) {
			depth--;
		}
	}
	return 0;
}

int kgr__audit_read(kgr__audit_file *out, const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, no = 0;
	ssize_t n;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (!(f = fopen(path, "rb"))) {
		if (errno == ENOENT)
			return kgr__error_set(KGR_ENOTFOUND, "audit log %s: no such file", path);
		return kgr__error_set(KGR_EIO, "audit log %s: %s", path, strerror(errno));
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		kgr__audit_line *l, *p;
		int has_nl = n > 0 && line[n - 1] == '\n';
		no++;
		if (has_nl)
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (!(p = realloc(out->lines, (out->n + 1) * sizeof(*p)))) {
			error = kgr__error_set(KGR_ENOMEM, "out of memory");
			goto cleanup;
		}
		out->lines = p;
		l = &out->lines[out->n++];
		memset(l, 0, sizeof(*l));
		l->line = no;
		if (!(l->rec = cJSON_ParseWithLength(line, (size_t)n)) || !cJSON_IsObject(l->rec)) {
			const char *at = cJSON_GetErrorPtr();
			cJSON_Delete(l->rec);
			l->rec = NULL;
			/* cut short: the last line without its newline, or a record's start that does
			 * not parse (a crash mid-write; the next writer ended the line). A line nested
			 * deeper than any record is damage, not a cut. */
			l->truncated = (!has_nl || !strncmp(line, "{\"v\":", 5)) && !too_deep(line, (size_t)n);
			snprintf(l->error, sizeof(l->error), "not a JSON object%s%.*s%s",
				at && *at ? " near '" : "", at && *at ? 20 : 0, at && *at ? at : "", at && *at ? "'" : "");
		}
	}
	if (ferror(f))
		error = kgr__error_set(KGR_EIO, "audit log %s: %s", path, strerror(errno));
cleanup:
	free(line);
	fclose(f);
	if (error)
		kgr__audit_file_free(out);
	return error;
}

void kgr__audit_file_free(kgr__audit_file *f)
{
	size_t i;
	for (i = 0; i < f->n; i++)
		cJSON_Delete(f->lines[i].rec);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

int kgr__audit_find(kgr_audit_result *res, kgr_audit_severity sev, size_t line, const char *id,
	const char *field, const char *fmt, ...)
{
	kgr_audit_finding *p = realloc(res->findings, (res->n_findings + 1) * sizeof(*p)), *f;
	char msg[1024];
	va_list ap;
	if (!p)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	res->findings = p;
	f = &p[res->n_findings];
	memset(f, 0, sizeof(*f));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->severity = sev;
	f->line = line;
	f->message = strdup(msg);
	f->id = id ? strdup(id) : NULL;
	f->field = field ? strdup(field) : NULL;
	if (!f->message || (id && !f->id) || (field && !f->field)) {
		free(f->message);
		free(f->id);
		free(f->field);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	res->n_findings++;
	return 0;
}

void kgr_audit_result_free(kgr_audit_result *res)
{
	size_t i;
	if (!res)
		return;
	for (i = 0; i < res->n_findings; i++) {
		free(res->findings[i].id);
		free(res->findings[i].field);
		free(res->findings[i].message);
	}
	free(res->findings);
	free(res);
}

int kgr__audit_check_version(kgr_audit_result *res, const kgr__audit_line *l, int *error)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(l->rec, "v");
	const char *id = kgr__audit_str(l->rec, "id");
	if (cJSON_IsNumber(v) && v->valuedouble == KGR_AUDIT_FORMAT_VERSION)
		return 0;
	res->failed++;
	if (!cJSON_IsNumber(v)) {
		*error = kgr__audit_find(res, KGR_AUDIT_FAIL, l->line, id, "v",
			"record has no format version \"v\"; not an audit record");
		return 1;
	}
	res->refused++;
	*error = kgr__audit_find(res, KGR_AUDIT_FAIL, l->line, id, "v",
		"record %s is format version %g, %s than this kgrec's %d: refused", id ? id : "(no id)",
		v->valuedouble, v->valuedouble > KGR_AUDIT_FORMAT_VERSION ? "newer" : "other",
		KGR_AUDIT_FORMAT_VERSION);
	return 1;
}

int kgr__audit_each(kgr_audit_result **out, const char *log_path, const kgr_store *store,
	const char *only_id, kgr__audit_check_fn check, void *payload)
{
	kgr__audit_file file;
	kgr_audit_result *res;
	char hex[17];
	size_t i;
	int error, r;

	*out = NULL;
	if ((error = kgr__audit_read(&file, log_path)))
		return error;
	if (!(res = calloc(1, sizeof(*res)))) {
		kgr__audit_file_free(&file);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	kgr_store_checksum_hex(store, hex);
	res->lines = file.n;
	for (i = 0; i < file.n && !error; i++) {
		const kgr__audit_line *l = &file.lines[i];
		const char *id = l->rec ? kgr__audit_str(l->rec, "id") : NULL;
		if (!l->rec) {
			if (l->truncated) {
				res->truncated++;
				error = kgr__audit_find(res, KGR_AUDIT_FAIL, l->line, NULL, NULL,
					"truncated record (a write that did not finish, e.g. a crash): reported and skipped");
			} else if (!only_id) {
				res->failed++;
				error = kgr__audit_find(res, KGR_AUDIT_FAIL, l->line, NULL, NULL, "line %zu is %s",
					l->line, l->error);
			}
			continue;
		}
		if (only_id && (!id || strcmp(id, only_id)))
			continue;
		if (kgr__audit_check_version(res, l, &error))
			continue;
		res->records++;
		if ((r = check(res, l, id, hex, payload)) < 0)
			error = r;
		else if (r)
			res->failed++;
		else
			res->passed++;
	}
	kgr__audit_file_free(&file);
	if (error) {
		kgr_audit_result_free(res);
		return error;
	}
	*out = res;
	return 0;
}

/* ---- verification ---- */

typedef struct {
	kgr_audit_result *res;
	const kgr_store *store;
	const kgr__audit_line *l;
	const char *id;
	int same_snapshot;
	int failed;
	int error;
} vctx;

#define VFIND(vc, sev, field, ...)                                                               \
	do {                                                                                     \
		if (!(vc)->error)                                                                \
			(vc)->error = kgr__audit_find((vc)->res, sev, (vc)->l->line, (vc)->id, field, \
				__VA_ARGS__);                                                    \
		if ((sev) == KGR_AUDIT_FAIL)                                                     \
			(vc)->failed = 1;                                                        \
	} while (0)

/* What the store has where a logged edge was expected: up to three objects it has for the
 * logged subject and predicate, else whether the subject has the predicate at all. */
static void store_instead(const kgr_store *store, const kgr_id id[3], char *buf, size_t size)
{
	kgr_iter it;
	kgr_quad q;
	size_t n = 0, len;
	buf[0] = 0;
	if (!id[0]) {
		snprintf(buf, size, "; the store has no such subject");
		return;
	}
	if (!id[1]) {
		snprintf(buf, size, "; the store has no such predicate");
		return;
	}
	kgr_store_match(store, &it, id[0], id[1], 0, 0);
	while (n < 3 && kgr_iter_next(&it, &q)) {
		len = strlen(buf);
		if (!n)
			snprintf(buf + len, size - len, "; the store has instead: ");
		len = strlen(buf);
		if (n)
			snprintf(buf + len, size - len, ", ");
		len = strlen(buf);
		kgr_term_to_ntriples(store, q.o, buf + len, size - len);
		n++;
	}
	if (!n)
		snprintf(buf, size, "; the store has nothing for that subject and predicate");
}

/* Checks that the edge {s,p,o} exists in the store; @p field names it. Every message quotes
 * the edge as the record logged it, and says what the store has instead. Returns 1 when the
 * edge is there. */
static int check_edge(vctx *vc, const cJSON *e, const char *field)
{
	const char *t[3], *why = NULL, *names[3] = { "s", "p", "o" };
	kgr_id id[3] = { 0, 0, 0 };
	char instead[1200];
	int i, unknown = -1;
	vc->res->edges_checked++;
	for (i = 0; i < 3; i++)
		t[i] = kgr__audit_str(e, names[i]);
	for (i = 0; i < 3; i++) {
		char f[300];
		snprintf(f, sizeof(f), "%s.%s", field, names[i]);
		if (!t[i]) {
			VFIND(vc, KGR_AUDIT_FAIL, f, "edge has no '%s' term", names[i]);
			vc->res->edges_missing++;
			return 0;
		}
	}
	for (i = 0; i < 3; i++) {
		const char *w = NULL;
		if (!(id[i] = kgr__audit_term(vc->store, t[i], &w)) && unknown < 0) {
			unknown = i;
			why = w;
		}
	}
	if (unknown >= 0) {
		char f[300];
		snprintf(f, sizeof(f), "%s.%s", field, names[unknown]);
		vc->res->edges_missing++;
		store_instead(vc->store, id, instead, sizeof(instead));
		if (vc->same_snapshot)
			VFIND(vc, KGR_AUDIT_FAIL, f, "logged edge %s %s %s: %s: %s%s", t[0], t[1], t[2],
				t[unknown], why ? why : "unknown", instead);
		else
			VFIND(vc, KGR_AUDIT_INFO, f, "gone since the record's snapshot: %s %s %s (%s: %s)%s",
				t[0], t[1], t[2], t[unknown], why ? why : "unknown", instead);
		return 0;
	}
	if (kgr_store_count(vc->store, id[0], id[1], id[2]) == 0) {
		vc->res->edges_missing++;
		store_instead(vc->store, id, instead, sizeof(instead));
		if (vc->same_snapshot)
			VFIND(vc, KGR_AUDIT_FAIL, field, "edge %s %s %s is not in the store%s", t[0], t[1], t[2],
				instead);
		else
			VFIND(vc, KGR_AUDIT_INFO, field, "gone since the record's snapshot: %s %s %s%s", t[0], t[1],
				t[2], instead);
		return 0;
	}
	return 1;
}

/* "s p o" key of an edge object, for set membership (malloc'd or NULL). */
static char *edge_key(const cJSON *e)
{
	const char *s = kgr__audit_str(e, "s"), *p = kgr__audit_str(e, "p"), *o = kgr__audit_str(e, "o");
	size_t n;
	char *k;
	if (!s || !p || !o)
		return NULL;
	n = strlen(s) + strlen(p) + strlen(o) + 3;
	if ((k = malloc(n)))
		snprintf(k, n, "%s %s %s", s, p, o);
	return k;
}

static int in_set(char **set, size_t n, const char *k)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(set[i], k))
			return 1;
	return 0;
}

static void check_cited(vctx *vc, const cJSON *cited, const char *base, char **given, size_t n_given)
{
	const cJSON *e;
	size_t k = 0;
	char f[300];
	cJSON_ArrayForEach(e, cited) {
		char *key = edge_key(e);
		snprintf(f, sizeof(f), "%s[%zu]", base, k++);
		vc->res->citations_checked++;
		if (!key) {
			VFIND(vc, KGR_AUDIT_FAIL, f, "cited fact is not an edge {s,p,o}");
			vc->res->citations_foreign++;
			continue;
		}
		if (!in_set(given, n_given, key)) {
			vc->res->citations_foreign++;
			VFIND(vc, KGR_AUDIT_FAIL, f, "cited fact %s was not given in any prompt", key);
		}
		free(key);
		check_edge(vc, e, f);
	}
}

/* The sets a record's parts are checked against: the items of its candidate set (borrowed
 * from the record) and the facts given in its prompts ("s p o" keys, owned). */
typedef struct {
	char **cand_items, **given;
	size_t n_cand, n_given;
} vsets;

/* A section that no longer matches its digest was edited after the record was written. */
static void verify_digests(vctx *vc)
{
	const cJSON *rec = vc->l->rec, *dig;
	char d[33];
	size_t i;
	dig = cJSON_GetObjectItemCaseSensitive(rec, "digest");
	if (!cJSON_IsObject(dig))
		VFIND(vc, KGR_AUDIT_FAIL, "digest", "record has no digest");
	for (i = 0; cJSON_IsObject(dig) && sections[i]; i++) {
		const char *want = kgr__audit_str(dig, sections[i]);
		if (!strcmp(sections[i], "prev") && !want && !cJSON_GetObjectItemCaseSensitive(rec, "prev"))
			continue; /* a record written before the log was chained */
		kgr__audit_digest(d, cJSON_GetObjectItemCaseSensitive(rec, sections[i]));
		if (!want || strcmp(want, d))
			VFIND(vc, KGR_AUDIT_FAIL, sections[i],
				"section '%s' does not match its digest: it was changed after the record was written",
				sections[i]);
	}
}

/* Whether the record was made on this store decides whether an edge missing now is a failure
 * or only gone since. */
static void verify_snapshot(vctx *vc, const char *store_hex)
{
	const cJSON *snap = cJSON_GetObjectItemCaseSensitive(vc->l->rec, "snapshot");
	const char *cs = kgr__audit_str(snap, "checksum");
	if (!cs) {
		VFIND(vc, KGR_AUDIT_FAIL, "snapshot.checksum", "record has no snapshot checksum");
		vc->same_snapshot = 0;
	} else if (strcmp(cs, store_hex)) {
		vc->same_snapshot = 0;
		vc->res->other_snapshot++;
		VFIND(vc, KGR_AUDIT_INFO, "snapshot.checksum",
			"made on snapshot %s, the store is %s: edges missing now are reported as gone since", cs,
			store_hex);
	} else {
		vc->same_snapshot = 1;
	}
}

/* The items of the candidate set, which every item shown or ranked must come from. */
static int collect_candidates(vctx *vc, vsets *vs)
{
	const cJSON *cands, *c;
	cands = cJSON_GetObjectItemCaseSensitive(vc->l->rec, "candidates");
	if (!cJSON_IsArray(cands))
		VFIND(vc, KGR_AUDIT_FAIL, "candidates", "record has no candidate set");
	if (!(vs->cand_items = calloc((size_t)cJSON_GetArraySize(cands) + 1, sizeof(char *))))
		return vc->error = kgr__error_set(KGR_ENOMEM, "out of memory");
	cJSON_ArrayForEach(c, cands) {
		const char *item = kgr__audit_str(c, "item");
		if (item)
			vs->cand_items[vs->n_cand++] = (char *)item;
	}
	return 0;
}

/* The facts given to the LLM, which are all it may cite; on the way, each prompt must match
 * its hash and hold the facts said to be in it. */
static int collect_given(vctx *vc, const cJSON *llm, vsets *vs)
{
	const cJSON *x, *ex = cJSON_GetObjectItemCaseSensitive(llm, "exchanges");
	size_t xi = 0, total = 0, k;
	char f[300], d[33];
	cJSON_ArrayForEach(x, ex)
		total += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(x, "facts"));
	if (!(vs->given = calloc(total + 1, sizeof(char *))))
		return vc->error = kgr__error_set(KGR_ENOMEM, "out of memory");
	cJSON_ArrayForEach(x, ex) {
		const char *sys = kgr__audit_str(x, "system"), *usr = kgr__audit_str(x, "user");
		const char *ph = kgr__audit_str(x, "prompt_hash");
		const cJSON *fa = cJSON_GetObjectItemCaseSensitive(x, "facts"), *fe;
		if (sys && usr) {
			kgr__audit_prompt_hash(d, sys, usr);
			if (!ph || strcmp(ph, d)) {
				snprintf(f, sizeof(f), "llm.exchanges[%zu].user", xi);
				VFIND(vc, KGR_AUDIT_FAIL, f, "the prompt text does not match its hash");
			}
		}
		k = 0;
		cJSON_ArrayForEach(fe, fa) {
			char *key = edge_key(fe), tag[40];
			const char *fid = kgr__audit_str(fe, "id");
			snprintf(f, sizeof(f), "llm.exchanges[%zu].facts[%zu]", xi, k++);
			if (!key) {
				VFIND(vc, KGR_AUDIT_FAIL, f, "fact is not an edge {s,p,o}");
				continue;
			}
			vs->given[vs->n_given++] = key;
			if (usr && fid) {
				snprintf(tag, sizeof(tag), "[%s]", fid);
				if (!strstr(usr, tag))
					VFIND(vc, KGR_AUDIT_FAIL, f, "fact %s is not in the prompt it is said to be in", fid);
			}
		}
		xi++;
	}
	return 0;
}

/* The LLM may only rank candidates and cite facts it was given. */
static void verify_llm_items(vctx *vc, const cJSON *llm, const vsets *vs)
{
	const cJSON *it, *c;
	char f[300];
	size_t i = 0;
	it = cJSON_GetObjectItemCaseSensitive(llm, "items");
	cJSON_ArrayForEach(c, it) {
		const char *item = kgr__audit_str(c, "item");
		snprintf(f, sizeof(f), "llm.items[%zu].item", i);
		if (!item || !in_set(vs->cand_items, vs->n_cand, item))
			VFIND(vc, KGR_AUDIT_FAIL, f, "LLM item %s is not in the candidate set", item ? item : "(none)");
		snprintf(f, sizeof(f), "llm.items[%zu].cited", i);
		check_cited(vc, cJSON_GetObjectItemCaseSensitive(c, "cited"), f, vs->given, vs->n_given);
		i++;
	}
}

/* What was shown: candidates only, every edge of every evidence path in the store, and
 * citations only of facts an LLM was given. */
static void verify_list(vctx *vc, const cJSON *llm, const vsets *vs)
{
	const cJSON *list, *it;
	char f[300];
	size_t i = 0;
	list = cJSON_GetObjectItemCaseSensitive(vc->l->rec, "list");
	if (!cJSON_IsArray(list))
		VFIND(vc, KGR_AUDIT_FAIL, "list", "record has no list");
	cJSON_ArrayForEach(it, list) {
		const char *item = kgr__audit_str(it, "item");
		const cJSON *paths = cJSON_GetObjectItemCaseSensitive(it, "paths"), *p;
		size_t pi = 0;
		vc->res->items_checked++;
		snprintf(f, sizeof(f), "list[%zu].item", i);
		if (!item || !in_set(vs->cand_items, vs->n_cand, item)) {
			vc->res->items_foreign++;
			VFIND(vc, KGR_AUDIT_FAIL, f, "item %s is not in the candidate set", item ? item : "(none)");
		}
		cJSON_ArrayForEach(p, paths) {
			const cJSON *edges = cJSON_GetObjectItemCaseSensitive(p, "edges"), *e;
			size_t ei = 0;
			cJSON_ArrayForEach(e, edges) {
				snprintf(f, sizeof(f), "list[%zu].paths[%zu].edges[%zu]", i, pi, ei++);
				check_edge(vc, e, f);
			}
			pi++;
		}
		snprintf(f, sizeof(f), "list[%zu].cited", i);
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(it, "cited")) > 0 && !cJSON_IsObject(llm)) {
			VFIND(vc, KGR_AUDIT_FAIL, f, "cites facts but no LLM ran");
		} else {
			check_cited(vc, cJSON_GetObjectItemCaseSensitive(it, "cited"), f, vs->given, vs->n_given);
		}
		i++;
	}
}

static void verify_record(vctx *vc, const char *store_hex)
{
	const cJSON *llm = cJSON_GetObjectItemCaseSensitive(vc->l->rec, "llm");
	vsets vs;
	size_t i;
	memset(&vs, 0, sizeof(vs));
	verify_digests(vc);
	verify_snapshot(vc, store_hex);
	if (collect_candidates(vc, &vs) < 0)
		return;
	if (cJSON_IsObject(llm)) {
		if (collect_given(vc, llm, &vs) < 0)
			goto cleanup;
		verify_llm_items(vc, llm, &vs);
	}
	verify_list(vc, llm, &vs);
cleanup:
	for (i = 0; i < vs.n_given; i++)
		free(vs.given[i]);
	free(vs.given);
	free(vs.cand_items);
}

/* The chain of a log as verification walks it: the link of the last record, and the ids
 * seen with their lines. */
typedef struct {
	const kgr_store *store;
	char link[33];
	int any;
	char **ids;
	size_t *id_lines, n_ids, cap_ids;
} vchain;

/* A record is where the chain says: its "prev" is the link of the record before it (or "" for
 * the first), so a deleted, duplicated or moved record breaks the chain where it happened; and
 * no id comes twice. Records written before logs were chained have no "prev". */
static void verify_chain(vctx *vc, vchain *ch)
{
	const cJSON *rec = vc->l->rec;
	const char *prev = kgr__audit_str(rec, "prev");
	size_t i;
	if (prev && strcmp(prev, ch->any ? ch->link : ""))
		VFIND(vc, KGR_AUDIT_FAIL, "prev", ch->any ? "the record before it in the log is not the one it "
			"was written after: a record was deleted, duplicated or moved here" :
			"the first record of the log was written after another one: records were removed "
			"from the start of the log");
	if (vc->id) {
		for (i = 0; i < ch->n_ids; i++)
			if (!strcmp(ch->ids[i], vc->id)) {
				VFIND(vc, KGR_AUDIT_FAIL, "id", "id %s was already used by the record at line %zu",
					vc->id, ch->id_lines[i]);
				break;
			}
		if (ch->n_ids == ch->cap_ids) {
			size_t cap = ch->cap_ids ? 2 * ch->cap_ids : 64;
			char **a = realloc(ch->ids, cap * sizeof(*a));
			size_t *b = a ? realloc(ch->id_lines, cap * sizeof(*b)) : NULL;
			if (a)
				ch->ids = a;
			if (!a || !b) {
				vc->error = kgr__error_set(KGR_ENOMEM, "out of memory");
				return;
			}
			ch->id_lines = b;
			ch->cap_ids = cap;
		}
		if (!(ch->ids[ch->n_ids] = strdup(vc->id))) {
			vc->error = kgr__error_set(KGR_ENOMEM, "out of memory");
			return;
		}
		ch->id_lines[ch->n_ids++] = vc->l->line;
	}
	kgr__audit_link(ch->link, rec);
	ch->any = 1;
}

static int verify_one(kgr_audit_result *res, const kgr__audit_line *l, const char *id,
	const char *store_hex, void *payload)
{
	vchain *ch = payload;
	vctx vc;
	memset(&vc, 0, sizeof(vc));
	vc.res = res;
	vc.store = ch->store;
	vc.l = l;
	vc.id = id;
	verify_chain(&vc, ch);
	if (!vc.error)
		verify_record(&vc, store_hex);
	return vc.error < 0 ? vc.error : vc.failed;
}

int kgr_audit_verify(kgr_audit_result **out, const char *log_path, const kgr_store *store)
{
	vchain ch;
	size_t i;
	int error;
	memset(&ch, 0, sizeof(ch));
	ch.store = store;
	error = kgr__audit_each(out, log_path, store, NULL, verify_one, &ch);
	for (i = 0; i < ch.n_ids; i++)
		free(ch.ids[i]);
	free(ch.ids);
	free(ch.id_lines);
	if (!error && (*out)->lines == 0) {
		/* nothing to vouch for: an emptied log must not read as a clean one */
		kgr_audit_result_free(*out);
		*out = NULL;
		return kgr__error_set(KGR_EINVALID, "audit log %s holds no records", log_path);
	}
	return error;
}
