/* Checks of text that comes in from outside (kg/text_check.c): UTF-8 and IRIs. */
#ifndef KGREC_KG_TEXT_CHECK_H
#define KGREC_KG_TEXT_CHECK_H

#include <stddef.h>

/** Offset of the first byte of @p s that does not start a well-formed UTF-8 sequence
 *  (overlong forms, surrogates and code points past U+10FFFF are ill-formed), or @p len when
 *  all of it is well-formed. */
size_t kgr__utf8_invalid_at(const char *s, size_t len);

/** Why @p v is not an absolute IRI that N-Triples can carry (RDF 1.1 IRIREF: well-formed
 *  UTF-8, no controls, space or <>"{}|^`\, a scheme), or NULL when it is one. A static
 *  string. */
const char *kgr__iri_problem(const char *v, size_t len);

#endif
