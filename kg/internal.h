/* Internal declarations shared by the library's modules. Not installed. */
#ifndef KGREC_KG_INTERNAL_H
#define KGREC_KG_INTERNAL_H

#include "kgrec/common.h"
#include "kgrec/store.h"

/** Set the per-thread error message and return @p code. */
int kgr__error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Prefix the current message with "prefix: " and return the current code. */
int kgr__error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The embedded ontology (ontologies/kgrec.ttl). */
extern const unsigned char kgr__ontology_ttl[];
extern const size_t kgr__ontology_ttl_len;

/** The order of interaction tables: by user, then time, then item; <0, 0 or >0. */
int kgr__interaction_cmp(const kgr_interaction *a, const kgr_interaction *b);

/** 64-bit hash of a byte string (fast, not cryptographic). */
uint64_t kgr__hash64(const void *data, size_t len, uint64_t seed);

#endif
