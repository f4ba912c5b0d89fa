/* Guards in front of third-party RDF parsers (kg/rdf_guard.c). Internal, not installed. */
#ifndef KGREC_KG_RDF_GUARD_H
#define KGREC_KG_RDF_GUARD_H

#include <stddef.h>

/** Longest language tag kgrec reads, in bytes. */
#define KGR_LANGTAG_MAX 64

/** NULL when @p tag (without '@') has the BCP 47 shape: 1-8 letters, then '-' subtags of
 *  1-8 letters or digits, at most KGR_LANGTAG_MAX bytes in all; else what is wrong. */
const char *kgr__langtag_problem(const char *tag, size_t len);

/** A Turtle / TriG scanner that finds the language tags in text fed in chunks. */
typedef struct {
	int state, quote, run, escape;
	long line, col, tag_line, tag_col;
	char tag[KGR_LANGTAG_MAX + 1];
	size_t tag_len;
	/** "LINE:COLUMN: what" after a refusal */
	char message[160];
} kgr__ttl_scan;

void kgr__ttl_scan_init(kgr__ttl_scan *sc);
/** Scan the next chunk (@p eof on the last call). 0, or -1 with sc->message set. */
int kgr__ttl_scan_feed(kgr__ttl_scan *sc, const char *data, size_t len, int eof);

#endif
