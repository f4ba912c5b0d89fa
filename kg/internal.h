/* The store layer's internal declarations, for the layers above it. Not installed. */
#ifndef KGREC_KG_INTERNAL_H
#define KGREC_KG_INTERNAL_H

#include "kgrec/common.h"
#include "kgrec/store.h"
#include "util/util.h"

#include <stdarg.h>

/** The embedded ontology (ontologies/kgrec.ttl). */
extern const unsigned char kgr__ontology_ttl[];
extern const size_t kgr__ontology_ttl_len;

/** UTF-8 bytes of code point cp (at most 0x10FFFF) into out (room for 4); returns how many. */
size_t kgr__utf8_put(char *out, uint32_t cp);
/** An N-Triples \uXXXX or \UXXXXXXXX escape at p (p[0] == '\\', the text ending at end):
 *  the code point through *cp and the bytes it takes, or 0 when it is not a valid one (bad
 *  digits, beyond 0x10FFFF, a surrogate). */
size_t kgr__ntriples_uchar(const char *p, const char *end, uint32_t *cp);

/** The order every interaction table keeps: by user, then time; <0, 0 or >0. Events of one
 *  user at the same time are equal here: each table says how it orders them. */
int kgr__interaction_cmp(const kgr_interaction *a, const kgr_interaction *b);
/* The store's table order for qsort(): (user, time), then the event node, whose id says when
 * the event was first loaded (terms are numbered as they are first met), so that same-time
 * events keep the order of the input; then item and action for events without a node. */
int kgr__interaction_qsort_cmp(const void *a, const void *b);
/* Put the same-time events of each user in the order they were loaded (by event id), where a
 * table is not (a snapshot saved when ties went by item id). */
void kgr__interactions_load_order(kgr_interaction *v, size_t n);

/** ISO-8601 date or date-time (YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM]) or integer
 *  epoch seconds, surrounding blanks ignored, as epoch seconds through *out; 0 or -1 (no
 *  message set). (kg/interactions.c) */
int kgr__parse_time(const char *text, size_t len, int64_t *out);
/** Epoch seconds as YYYY-MM-DDTHH:MM:SSZ into buf. */
void kgr__format_time(int64_t t, char *buf, size_t size);
/** Whether epoch seconds t fall in the years 1000 to 9999 (the range times are accepted in). */
int kgr__time_ok(int64_t t);

/** A user's interactions before @p at (all when 0), in time order; NULL (and 0) for no user.
 *  Borrowed from the store. What the LLM ranker and the audit trail show as history. */
const kgr_interaction *kgr__user_history(const kgr_store *s, kgr_id user, int64_t at, size_t *n_out);

#endif
