/* One option table per sub-command: the flags every command shares (--format, -k,
 * --candidates, --at, --config, --weights ...) are parsed by one function from a table of
 * entries, so a flag is spelt, checked and reported alike everywhere. */
#ifndef KGREC_CLI_OPTIONS_H
#define KGREC_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	KGR_OPT_SET,     /* no value: *(int *)dest = value */
	KGR_OPT_STRING,  /* *(const char **)dest = the value */
	KGR_OPT_SIZE,    /* *(size_t *)dest = an integer in [min, max] */
	KGR_OPT_LONG,    /* *(long long *)dest = an integer in [min, max] */
	KGR_OPT_TIME,    /* *(int64_t *)dest = epoch seconds or an ISO-8601 time */
	KGR_OPT_APPEND,  /* the value appended to (const char **)dest, *(size_t *)count */
	KGR_OPT_PARSE    /* parse(cmd, value, dest): 0, or exit code 2 after a usage error */
} kgr_cli_opt_kind;

typedef struct {
	const char *name;     /* "--candidates" */
	const char *alias;    /* another spelling ("-k"), or NULL */
	kgr_cli_opt_kind kind;
	void *dest;
	long long min, max;   /* KGR_OPT_SIZE / KGR_OPT_LONG */
	int value;            /* KGR_OPT_SET */
	size_t *count;        /* KGR_OPT_APPEND */
	int (*parse)(const char *cmd, const char *value, void *dest); /* KGR_OPT_PARSE */
} kgr_cli_opt;

/* argv[*i] against a table ending with a NULL name: 1 when it was one of its options (the
 * value taken, *i on the last argument used), 0 when it is not in the table, or exit code 2
 * (negated: -2) after a usage error naming the option ("<cmd>: --x needs a value", a value
 * out of range). */
int kgr_cli_opt_parse(const char *cmd, const kgr_cli_opt *table, int argc, char **argv, int *i);

/* The --format of recommend, similar and explain (text, json, dot) for KGR_OPT_PARSE. */
int kgr_cli_opt_format(const char *cmd, const char *value, void *dest);

#endif
