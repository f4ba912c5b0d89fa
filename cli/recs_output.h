/* Printing ranked lists (JSON, text, Graphviz) and option parsing shared by the
 * recommend, similar and explain sub-commands. */
#ifndef KGREC_CLI_RECS_OUTPUT_H
#define KGREC_CLI_RECS_OUTPUT_H

#include <stdio.h>

#include "kgrec/retrieval.h"

typedef enum { KGR_OUT_TEXT, KGR_OUT_JSON, KGR_OUT_DOT } kgr_out_format;

/* Parse the --format value of command cmd: "json", "text" or "dot". 0, or exit code 2 after a
 * usage error. */
int kgr_cli_format(const char *cmd, const char *s, kgr_out_format *out);
/* Parse an integer option in [lo, hi]; prints a usage error naming the option and returns -1. */
int kgr_cli_int(const char *opt, const char *s, long long lo, long long hi, long long *out);
/* Epoch seconds or ISO-8601 (YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM]); -1 on error. */
int kgr_cli_time(const char *s, int64_t *out);
/* Print a list. extra_notes are printed before the list's own notes. */
void kgr_cli_print_recs(FILE *f, const kgr_graph *g, const kgr_recs *r, kgr_out_format fmt,
	const char *title, const char *const *extra_notes, size_t n_extra);

#endif
