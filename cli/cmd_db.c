#include "cli/cli.h"

#include <string.h>

#include "kgrec/server.h"

static const char usage_text[] =
	"usage: kgrec db init URL [--events-table T [--events-columns L] [--events-time-unit U]]\n"
	"\n"
	"Creates the events table (kgrec_events) in the PostgreSQL database URL\n"
	"(postgresql://user@host:port/db) unless it is there; replicas share it through\n"
	"'kgrec serve STORE --events URL' (docs/DEPLOY.md).\n"
	"\n"
	"With --events-table, the shop's own events table T is the events log instead: its\n"
	"mapped columns are checked, and a trigger is installed on it (again) through which\n"
	"the inserts of every application keep their ids in commit order and notify the\n"
	"replicas. Give the replicas the same --events-table, --events-columns and\n"
	"--events-time-unit ('kgrec serve --help').\n";

int kgr_cmd_db(int argc, char **argv)
{
	kgr_events_map map = KGR_EVENTS_MAP_INIT;
	const char *url = NULL;
	int i;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "init"))
		return kgr_cli_usage("db: usage: kgrec db init URL [--events-table T ...]");
	for (i = 2; i < argc; i++) {
		const char **field = !strcmp(argv[i], "--events-table") ? &map.table :
			!strcmp(argv[i], "--events-columns") ? &map.columns :
			!strcmp(argv[i], "--events-time-unit") ? &map.time_unit : NULL;
		if (field) {
			if (i + 1 >= argc)
				return kgr_cli_usage("db: %s needs a value", argv[i]);
			*field = argv[++i];
		} else if (argv[i][0] == '-') {
			return kgr_cli_usage("db: unknown option '%s'", argv[i]);
		} else if (url) {
			return kgr_cli_usage("db: more than one URL");
		} else {
			url = argv[i];
		}
	}
	if (!url)
		return kgr_cli_usage("db: usage: kgrec db init URL [--events-table T ...]");
	if (!map.table && (map.columns || map.time_unit))
		return kgr_cli_usage("db: --events-columns and --events-time-unit go with --events-table");
	if (kgr_db_init_map(url, &map) < 0)
		return kgr_cli_fail("db init");
	if (map.table)
		printf("kgrec db: the events table %s is ready, with its trigger\n", map.table);
	else
		puts("kgrec db: the events table is ready");
	return 0;
}
