/* Checks of JSON request bodies around cJSON (server/json_body.c). */
#ifndef KGREC_SERVER_JSON_BODY_H
#define KGREC_SERVER_JSON_BODY_H

#include "server/internal.h"

#include <stddef.h>

/** Before parsing: well-formed UTF-8, no NUL byte, no "\u0000" in a string. 0, or the status
 *  of a 400 written to @p resp naming the byte or the field. */
int kgr__json_body_check(const char *body, size_t len, kgr__resp *resp);

/** After parsing, with cJSON's end pointer: only white space may follow the value. 0, or a
 *  400 as above. */
int kgr__json_body_rest(const char *body, size_t len, const char *end, kgr__resp *resp);

#endif
