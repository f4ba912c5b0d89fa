#include "cli/config_file.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, NUL-terminated: 0, or 1 after printing why it cannot be read. */
static int read_text(char **out, const char *cmd, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL, *grown;
	size_t len = 0, cap = 0, n;
	if (!f) {
		fprintf(stderr, "kgrec: %s: --config %s: %s\n", cmd, path, strerror(errno));
		return 1;
	}
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (!(grown = realloc(text, cap))) {
				fprintf(stderr, "kgrec: %s: --config %s: out of memory\n", cmd, path);
				free(text);
				fclose(f);
				return 1;
			}
			text = grown;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "kgrec: %s: --config %s: %s\n", cmd, path, strerror(errno));
		free(text);
		fclose(f);
		return 1;
	}
	fclose(f);
	text[len] = '\0';
	if (strlen(text) != len) {
		fprintf(stderr, "kgrec: %s: --config %s: a NUL byte: not a text file\n", cmd, path);
		free(text);
		return 1;
	}
	*out = text;
	return 0;
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The index of the --config flag in argv (its value follows), 0 when there is none, or -2
 * after a usage error. Flags that take a value are stepped over with it, so a value that
 * happens to read "--config" is left to its flag. */
static int find_config(const char *cmd, int argc, char **argv, kgr_cli_flag_arity arity, void *payload)
{
	int i, at = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			if (at)
				return kgr_cli_usage("%s: --config given twice", cmd), -2;
			if (i + 1 >= argc)
				return kgr_cli_usage("%s: --config needs a value", cmd), -2;
			at = i++;
		} else if (argv[i][0] == '-' && arity(argv[i], payload) == 1) {
			i++;
		}
	}
	return at;
}

typedef struct {
	const char *cmd, *path;
	kgr_cli_flag_arity arity;
	void *payload;
	kgr_cli_config *out;
	char *arena;          /* "--key" and "FILE:LINE" strings */
	size_t arena_used;
	const char **keys;    /* keys seen, with their lines, for "given twice" */
	int *key_lines;
	int n_keys;
} file_ctx;

/* "FILE:LINE" and "--key" strings live in one arena sized for the whole file. */
static char *arena_where(file_ctx *fx, int lineno)
{
	char *s = fx->arena + fx->arena_used;
	int w = sprintf(s, "%s:%d", fx->path, lineno);
	fx->arena_used += (size_t)w + 1;
	return s;
}

static char *arena_flag(file_ctx *fx, const char *key)
{
	char *s = fx->arena + fx->arena_used;
	int w = sprintf(s, "--%s", key);
	fx->arena_used += (size_t)w + 1;
	return s;
}

static void push(file_ctx *fx, char *arg, char *where)
{
	fx->out->argv[fx->out->argc] = arg;
	fx->out->where[fx->out->argc] = where;
	fx->out->argc++;
}

/* A usage error at FILE:LINE: returns 2. */
static int bad_line(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_line(const char *where, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kgr_cli_usage_where(where);
	kgr_cli_usage("%s", msg);
	kgr_cli_usage_where(NULL);
	return 2;
}

/* One `key = value` line into the argument list: 0, or 2 after a usage error. */
static int take_line(file_ctx *fx, char *line, int lineno)
{
	char *eq = strchr(line, '='), *key, *value, *flag, *where;
	const char *k;
	int i, n;

	where = arena_where(fx, lineno);
	if (!eq)
		return bad_line(where, "expected 'key = value', got '%s'", line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!strncmp(key, "--", 2))
		return bad_line(where, "key '%s': write it without '--' ('%s')", key, key + 2);
	for (k = key; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-'))
			return bad_line(where, "'%s' is not a key (lower-case letters, digits and '-')",
				key);
	if (!*key)
		return bad_line(where, "no key before '='");
	for (i = 0; i < fx->n_keys; i++)
		if (!strcmp(fx->keys[i], key)) {
			return bad_line(where, "'%s' given twice (first on line %d)", key,
				fx->key_lines[i]);
		}
	fx->keys[fx->n_keys] = key;
	fx->key_lines[fx->n_keys++] = lineno;
	if (!*value)
		return bad_line(where, "'%s' has no value", key);
	if (!strcmp(key, "store")) {
		push(fx, value, where);
		return 0;
	}
	flag = arena_flag(fx, key);
	n = fx->arity(flag, fx->payload);
	if (n < 0)
		return bad_line(where, "unknown key '%s' (the keys are 'store' and the options "
			"of 'kgrec %s --help' without '--')", key, fx->cmd);
	if (n == 0) {
		if (!strcmp(value, "true"))
			push(fx, flag, where);
		else if (strcmp(value, "false"))
			return bad_line(where, "'%s' is a switch: true or false, not '%s'", key, value);
		return 0;
	}
	push(fx, flag, where);
	push(fx, value, where);
	return 0;
}

/* The file's lines into fx->out: 0, or 2 after a usage error. */
static int take_file(file_ctx *fx, char *text)
{
	char *line = text, *nl;
	int lineno = 0, rc;
	for (; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		if ((rc = take_line(fx, line, lineno)) != 0)
			return rc;
	}
	return 0;
}

int kgr_cli_config_expand(kgr_cli_config *out, const char *cmd, int argc, char **argv,
	kgr_cli_flag_arity arity, void *payload)
{
	file_ctx fx;
	size_t lines = 1, cap;
	const char *p;
	int at, i, rc;

	memset(out, 0, sizeof(*out));
	memset(&fx, 0, sizeof(fx));
	if ((at = find_config(cmd, argc, argv, arity, payload)) < 0)
		return 2;
	if (at && (rc = read_text(&out->text, cmd, argv[at + 1])) != 0)
		return rc;
	for (p = out->text; p && *p; p++)
		lines += *p == '\n';
	/* at most two arguments a line, besides the command line's own */
	cap = (size_t)argc + 2 * lines + 1;
	out->argv = calloc(cap, sizeof(*out->argv));
	out->where = calloc(cap, sizeof(*out->where));
	fx.path = at ? argv[at + 1] : "";
	out->where_buf = fx.arena = malloc(lines * (strlen(fx.path) + 32) +
		(out->text ? strlen(out->text) + 3 * lines : 0) + 1);
	fx.keys = calloc(lines, sizeof(*fx.keys));
	fx.key_lines = calloc(lines, sizeof(*fx.key_lines));
	if (!out->argv || !out->where || !fx.arena || !fx.keys || !fx.key_lines) {
		fprintf(stderr, "kgrec: %s: out of memory\n", cmd);
		rc = 1;
		goto done;
	}
	fx.cmd = cmd;
	fx.arity = arity;
	fx.payload = payload;
	fx.out = out;
	out->argv[out->argc++] = argv[0];
	if (at && (rc = take_file(&fx, out->text)) != 0)
		goto done;
	out->n_file = out->argc - 1;
	for (i = 1; i < argc; i++)
		if (!at || (i != at && i != at + 1))
			out->argv[out->argc++] = argv[i];
	rc = 0;
done:
	free(fx.keys);
	free(fx.key_lines);
	if (rc)
		kgr_cli_config_free(out);
	return rc;
}

void kgr_cli_config_free(kgr_cli_config *c)
{
	if (!c)
		return;
	free(c->argv);
	free(c->where);
	free(c->text);
	free(c->where_buf);
	memset(c, 0, sizeof(*c));
}
