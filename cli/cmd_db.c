#include "cli/cli.h"

#include <string.h>

#include "kgrec/server.h"

static const char usage_text[] =
	"usage: kgrec db init URL\n"
	"\n"
	"Creates the events table (kgrec_events) in the PostgreSQL database URL\n"
	"(postgresql://user@host:port/db) unless it is there; replicas share it through\n"
	"'kgrec serve STORE --events URL' (docs/DEPLOY.md).\n";

int kgr_cmd_db(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "init"))
		return kgr_cli_usage("db: usage: kgrec db init URL");
	if (kgr_db_init(argv[2]) < 0)
		return kgr_cli_fail("db init");
	puts("kgrec db: the events table is ready");
	return 0;
}
