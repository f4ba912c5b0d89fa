/* `--config FILE`: a command's flags written in a file, one `key = value` a line, turned into
 * the argument list the command's own parser reads, so every flag it knows (today's and any
 * added later) is a key without a second table. docs/DEPLOY.md describes the format. */
#ifndef KGREC_CLI_CONFIG_FILE_H
#define KGREC_CLI_CONFIG_FILE_H

/* How the command's parser takes @p flag ("--threads"): 0 when it takes no value (a switch),
 * 1 when it takes one, -1 when it is none of its flags. */
typedef int (*kgr_cli_flag_arity)(const char *flag, void *payload);

typedef struct {
	int argc;
	char **argv;     /* argv[0], the file's arguments, then the command line's other ones */
	int n_file;      /* argv[1 .. n_file] come from the file */
	char **where;    /* "FILE:LINE" of each argument from the file, NULL for the others */
	char *text;      /* the file's text, which the arguments point into */
	char *where_buf;
} kgr_cli_config;

/*
 * Looks for `--config FILE` in argv (walking the flags with @p arity, so a flag's value is
 * never taken for it). Without it, @p out lists argv as it is. With it, the file's settings
 * come first and the command line's other arguments after them, so that the command line
 * wins where the parser lets a later flag replace an earlier one. The key `store` gives the
 * operand (the parser decides what a second operand means). Free with kgr_cli_config_free().
 * Returns 0, 1 after an error reading the file (printed), or 2 after a usage error printed as
 * "kgrec: FILE:LINE: ..." (unknown key, no value, not true/false for a switch, a key twice,
 * a line that is not `key = value`).
 */
int kgr_cli_config_expand(kgr_cli_config *out, const char *cmd, int argc, char **argv,
	kgr_cli_flag_arity arity, void *payload);

void kgr_cli_config_free(kgr_cli_config *c);

#endif
