/* Internal interfaces of the audit trail: reading a log, terms in N-Triples syntax, digests,
 * findings. Not installed. */
#ifndef KGREC_AUDIT_AUDIT_INTERNAL_H
#define KGREC_AUDIT_AUDIT_INTERNAL_H

#include "kgrec/audit.h"
#include "kgrec/pipeline.h"
#include "ranker/llm_internal.h"

#include <cjson/cJSON.h>

/* A term of the store in N-Triples syntax, malloc'd ("" for id 0), or NULL on ENOMEM. */
char *kgr__audit_nt(const kgr_store *store, kgr_id id);
/* The id of an N-Triples term in @p store, 0 when the store has no such term or the text is
 * not a term (why is in *why when set: "not a term", "unknown"). */
kgr_id kgr__audit_term(const kgr_store *store, const char *nt, const char **why);
/* The readable value of an N-Triples term (IRI, lexical form, label) into buf. */
const char *kgr__audit_term_text(const char *nt, char *buf, size_t size);
/* The local name of an IRI term (after the last '#' or '/'), or the literal's text. */
const char *kgr__audit_term_short(const char *nt, char *buf, size_t size);

/* 32 hex digits of a two-seed 64-bit hash of a JSON section as printed unformatted. */
void kgr__audit_digest(char out[33], const cJSON *section);
/* The link of a record in the log's chain: a hash of its id and its digest object. The next
 * record's "prev" is this link; the first record's is "". */
void kgr__audit_link(char out[33], const cJSON *rec);
/* The same over "system\nuser". */
void kgr__audit_prompt_hash(char out[33], const char *system, const char *user);

/* One line of a log as read. */
typedef struct {
	size_t line;      /* 1-based */
	cJSON *rec;       /* parsed record, or NULL (see error) */
	int truncated;    /* the last line, cut short (no newline and not JSON) */
	char error[200];  /* why rec is NULL */
} kgr__audit_line;

typedef struct {
	size_t n;
	kgr__audit_line *lines;
} kgr__audit_file;

/* Read and parse every non-empty line. KGR_ENOTFOUND, KGR_EIO, KGR_ENOMEM. */
int kgr__audit_read(kgr__audit_file *out, const char *path);
void kgr__audit_file_free(kgr__audit_file *f);

/* The string member @p key of @p o, or NULL. */
const char *kgr__audit_str(const cJSON *o, const char *key);
/* The number member @p key, or @p dflt. */
double kgr__audit_num(const cJSON *o, const char *key, double dflt);

/* Append a finding (message printf-style). KGR_ENOMEM. */
int kgr__audit_find(kgr_audit_result *res, kgr_audit_severity sev, size_t line, const char *id,
	const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Checks "v" of a record: 0 when it is this version; otherwise records a finding (a newer
 * version is refused by name) and returns 1. */
int kgr__audit_check_version(kgr_audit_result *res, const kgr__audit_line *l, int *error);

/* Checks one record (its id, or NULL) against the store whose checksum is store_hex: 1 when
 * it failed, 0 when it passed, or a negative KGR_E* code to stop. */
typedef int (*kgr__audit_check_fn)(kgr_audit_result *res, const kgr__audit_line *l, const char *id,
	const char *store_hex, void *payload);

/* Reads the log and runs check on each record of this format version, counting lines, records,
 * passed and failed; unreadable lines and other versions are findings. With only_id, only the
 * record of that id is checked and unreadable lines (but a truncated last one) pass unreported.
 * The result through *out, to free with kgr_audit_result_free(). */
int kgr__audit_each(kgr_audit_result **out, const char *log_path, const kgr_store *store,
	const char *only_id, kgr__audit_check_fn check, void *payload);

/* kgr_rank_request() whose LLM replies come from @p answer when it is set (audit replay). */
int kgr__rank_request_ex(kgr_ranking *out, const kgr_graph *graph, kgr_id user,
	const kgr_rank_options *o, kgr__llm_answer_cb answer, void *payload);

#endif
