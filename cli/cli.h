/* The CLI's sub-command table and shared helpers. */
#ifndef KGREC_CLI_H
#define KGREC_CLI_H

#include <stdio.h>

typedef struct {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the sub-command name */
	const char *summary;
} kgr_cli_command;

/* Print "kgrec: <what>: <kgr_error_last()>" to stderr and return the exit code 1. */
int kgr_cli_fail(const char *what);
/* Print a usage error and return exit code 2. */
int kgr_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage errors printed from now on start with "<where>: " (a configuration file's
 * "FILE:LINE"), or not (NULL). */
void kgr_cli_usage_where(const char *where);
/* While quiet, kgr_cli_usage() prints nothing (a parser asked which flags it knows). */
void kgr_cli_usage_quiet(int quiet);

#define KGR_CLI_DECLARE(n) int kgr_cmd_##n(int argc, char **argv)
KGR_CLI_DECLARE(load);
KGR_CLI_DECLARE(stats);
KGR_CLI_DECLARE(export);
KGR_CLI_DECLARE(query);
KGR_CLI_DECLARE(recommend);
KGR_CLI_DECLARE(similar);
KGR_CLI_DECLARE(explain);
KGR_CLI_DECLARE(train);
KGR_CLI_DECLARE(prompt);
KGR_CLI_DECLARE(audit);
KGR_CLI_DECLARE(serve);
KGR_CLI_DECLARE(compact);
KGR_CLI_DECLARE(db);
KGR_CLI_DECLARE(eval);

/* kgrec train --model sequence (cli/train_sequence.c). */
int kgr_cli_train_sequence(int argc, char **argv);

#endif
