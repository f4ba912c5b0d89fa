/* The N-Triples / N-Quads reader's pieces shared by kg/ingest.c (the grammar, one line at a
 * time) and kg/ingest_nt.c (the parallel pipeline around it). Internal, not installed. */
#ifndef KGREC_KG_INGEST_INTERNAL_H
#define KGREC_KG_INGEST_INTERNAL_H

#include "kg/store_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The next string of an encoded run of terms at *q (a tag byte, a u32 length, the bytes): its
 * bytes through *v, its length returned; *q moves past it. */
static inline uint32_t kgr__get_str(const char **q, const char **v)
{
	uint32_t l;
	memcpy(&l, *q + 1, 4);
	*v = *q + 5;
	*q += 5 + l;
	return l;
}

/* A loader's first error: under lock, unless *error is set already, sets it to code and msg
 * (cap bytes) to the formatted message; then wakes every thread waiting on cv, which each
 * look for an error before they go on. */
void kgr__load_fail(pthread_mutex_t *lock, pthread_cond_t *cv, int *error, char *msg, size_t cap,
	int code, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

/* Room for unescaped IRIs and strings. */
typedef struct {
	char *buf;
	size_t cap;
} kgr__scratch;

/* What is wrong with a line and where. */
typedef struct {
	const char *why;
	const char *at;
} kgr__nt_err;

/* Reads up to cap bytes; *got 0 at the end; *pos the bytes consumed of the source. */
typedef int (*kgr__read_fn)(void *src, char *buf, size_t cap, size_t *got, uint64_t *pos);

/* A term of a line: 'I' IRI, 'B' blank node (its label), 'L' plain literal, 'G' language
 * literal (v2: its tag, lower-case), 'D' typed literal (v2: the datatype IRI), 'N' no term
 * (no graph named). */
typedef struct {
	char tag;
	const char *v, *v2;
	uint32_t len, len2;
} kgr__nt_term;

/* One line of N-Triples (quads 0) or N-Quads (quads 1) as its four terms (the fourth 'N'
 * when the line names no graph). Their bytes are the line's own, or those of sb[position]
 * (sb[4] for a tag or datatype) where they needed unescaping. 0; 1 for an empty or comment
 * line; -1 a syntax error (e says what and where); -2 out of memory. */
int kgr__nt_line(kgr__nt_term t[4], const char *p, const char *end, int quads, kgr__scratch sb[5],
	kgr__nt_err *e);

/* Loads N-Triples or N-Quads read from rd into s: the text is cut at line boundaries into
 * pieces parsed by `threads` threads, and one more thread interns the pieces' terms in the
 * order of the text, so terms get the same ids and quads the same order whatever the number
 * of threads. Blank nodes are labelled bnode_prefix + their label; graph forces the graph of
 * lines that name none (0: the default graph). 0, or a KGR_E* code with the message set
 * (what and where: name:line:column); on error the caller rolls the store back. */
int kgr__nt_load(kgr_store *s, kgr__read_fn rd, void *src, uint64_t total, int quads,
	const char *name, kgr_id graph, const char *bnode_prefix, int threads);

#endif
