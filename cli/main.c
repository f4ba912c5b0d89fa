#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kgrec/common.h"

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("kgrec %s\n", KGR_VERSION_STRING);
	return 0;
}

static const kgr_cli_command commands[] = {
	{ "load", kgr_cmd_load, "parse RDF files and interaction logs into a snapshot" },
	{ "stats", kgr_cmd_stats, "counts: triples, terms, predicates, classes, users, items" },
	{ "export", kgr_cmd_export, "write a snapshot back out as Turtle, N-Triples or N-Quads" },
	{ "query", kgr_cmd_query, "run a SPARQL query on a snapshot" },
	{ "recommend", kgr_cmd_recommend, "recommend items for a user, with evidence paths" },
	{ "similar", kgr_cmd_similar, "items related to an item, with evidence paths" },
	{ "explain", kgr_cmd_explain, "the paths from a user's history to an item" },
	{ "train", kgr_cmd_train, "fit the learned ranker (or, with --linear, the graph formula's weights) on held-back interactions" },
	{ "prompt", kgr_cmd_prompt, "print the prompt the LLM ranker would send (nothing sent)" },
	{ "audit", kgr_cmd_audit, "verify, replay, export or report an audit log" },
	{ "serve", kgr_cmd_serve, "HTTP service: recommendations, SPARQL endpoint, live events" },
	{ "compact", kgr_cmd_compact, "fold a server's events log into a new snapshot" },
	{ "db", kgr_cmd_db, "set up the events database that replicas share (db init URL)" },
	{ "eval", kgr_cmd_eval, "offline evaluation: protocols, metrics, baselines" },
	{ "version", cmd_version, "print the version" },
};

int kgr_cli_fail(const char *what)
{
	fprintf(stderr, "kgrec: %s: %s\n", what, kgr_error_last());
	return 1;
}

/* Where the arguments being parsed came from ("kgrec.conf:12"), so that a bad value read from
 * a configuration file is reported at its line; NULL for the command line. */
static const char *usage_where;
static int usage_quiet;

void kgr_cli_usage_where(const char *where)
{
	usage_where = where;
}

void kgr_cli_usage_quiet(int quiet)
{
	usage_quiet = quiet;
}

int kgr_cli_usage(const char *fmt, ...)
{
	va_list ap;
	if (usage_quiet)
		return 2;
	fputs("kgrec: ", stderr);
	if (usage_where)
		fprintf(stderr, "%s: ", usage_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see 'kgrec help')\n", stderr);
	return 2;
}

static void usage(FILE *f)
{
	size_t i;
	fprintf(f, "kgrec %s - knowledge-graph-augmented recommender\n\nusage: kgrec <command> [options]\n\n",
		KGR_VERSION_STRING);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'kgrec <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	size_t i;
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kgrec %s\n", KGR_VERSION_STRING);
		return 0;
	}
	kgr_init();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return kgr_cli_usage("unknown command '%s'", argv[1]);
}
