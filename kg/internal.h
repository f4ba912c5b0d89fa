/* Internal declarations shared by the library's modules. Not installed. */
#ifndef KGREC_KG_INTERNAL_H
#define KGREC_KG_INTERNAL_H

#include "kgrec/common.h"
#include "kgrec/store.h"

#include <stdarg.h>

/** Set the per-thread error message and return @p code. */
int kgr__error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Prefix the current message with "prefix: " and return the current code. */
int kgr__error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The embedded ontology (ontologies/kgrec.ttl). */
extern const unsigned char kgr__ontology_ttl[];
extern const size_t kgr__ontology_ttl_len;

/** A growable, NUL-terminated string (kg/buf.c). Zero-initialise; after a failed allocation
 *  oom is set and further appends do nothing. */
typedef struct {
	char *s;
	size_t len, cap;
	int oom;
} kgr__buf;

void kgr__buf_put(kgr__buf *b, const char *s, size_t n);
void kgr__buf_puts(kgr__buf *b, const char *s);
void kgr__buf_printf(kgr__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kgr__buf_vprintf(kgr__buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** Append; 0, or KGR_ENOMEM with the message set. */
int kgr__buf_append(kgr__buf *b, const void *data, size_t len);
/** Returns the string (caller frees) or NULL after an allocation failure. */
char *kgr__buf_take(kgr__buf *b);
void kgr__buf_free(kgr__buf *b);

/** The whole file at path, NUL-terminated, through *out (caller frees) and its length through
 *  *len_out (may be NULL). KGR_ENOTFOUND ("<path>: cannot open <what>: <reason>"),
 *  a directory too; KGR_EIO, KGR_ENOMEM. */
int kgr__read_file(char **out, size_t *len_out, const char *path, const char *what);

/** UTF-8 bytes of code point cp (at most 0x10FFFF) into out (room for 4); returns how many. */
size_t kgr__utf8_put(char *out, uint32_t cp);
/** An N-Triples \uXXXX or \UXXXXXXXX escape at p (p[0] == '\\', the text ending at end):
 *  the code point through *cp and the bytes it takes, or 0 when it is not a valid one (bad
 *  digits, beyond 0x10FFFF, a surrogate). */
size_t kgr__ntriples_uchar(const char *p, const char *end, uint32_t *cp);

/** The order of interaction tables: by user, then time, then item; <0, 0 or >0. */
int kgr__interaction_cmp(const kgr_interaction *a, const kgr_interaction *b);
/* The store's table order for qsort(): (user, time, item), then event. */
int kgr__interaction_qsort_cmp(const void *a, const void *b);

/** ISO-8601 date or date-time (YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM]) or integer
 *  epoch seconds, surrounding blanks ignored, as epoch seconds through *out; 0 or -1 (no
 *  message set). (kg/interactions.c) */
int kgr__parse_time(const char *text, size_t len, int64_t *out);
/** Epoch seconds as YYYY-MM-DDTHH:MM:SSZ into buf. */
void kgr__format_time(int64_t t, char *buf, size_t size);
/** Whether epoch seconds t fall in the years 1000 to 9999 (the range times are accepted in). */
int kgr__time_ok(int64_t t);

/** Next number of a xorshift64* generator (Vigna 2016) whose non-zero state is *state. */
uint64_t kgr__rng_next(uint64_t *state);

/** A user's interactions before @p at (all when 0), in time order; NULL (and 0) for no user.
 *  Borrowed from the store. What the LLM ranker and the audit trail show as history. */
const kgr_interaction *kgr__user_history(const kgr_store *s, kgr_id user, int64_t at, size_t *n_out);

/** 64-bit hash of a byte string (fast, not cryptographic). */
uint64_t kgr__hash64(const void *data, size_t len, uint64_t seed);

#endif
