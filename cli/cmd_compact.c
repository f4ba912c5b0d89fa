#include "cli/cli.h"

#include <string.h>

#include "kgrec/server.h"

int kgr_cmd_compact(int argc, char **argv)
{
	const char *store = NULL, *log = NULL, *out = NULL;
	kgr_events_map map = KGR_EVENTS_MAP_INIT;
	size_t added = 0, skipped = 0;
	int i;

	for (i = 1; i < argc; i++) {
		const char **field;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			puts("usage: kgrec compact STORE --events-log F -o NEWSTORE\n"
			     "       kgrec compact STORE --events postgresql://... -o NEWSTORE\n\n"
			     "Writes a new snapshot holding STORE's triples plus every event of the log that\n"
			     "STORE does not hold yet. Swap it in with POST /admin/reload or SIGHUP; the\n"
			     "server skips logged events a snapshot already holds, so the log may stay.\n"
			     "From the events database, the snapshot also records the id up to which it has\n"
			     "every event: replicas on it read only the events after that id. A shop's own\n"
			     "events table is read with the replicas' --events-table, --events-columns,\n"
			     "--events-time-unit and --action-map (its rows' action names).");
			return 0;
		}
		if (!strcmp(argv[i], "--events-log") || !strcmp(argv[i], "--events") || !strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				return kgr_cli_usage("compact: %s needs a value", argv[i]);
			if (argv[i][1] == 'o')
				out = argv[++i];
			else
				log = argv[++i];
		} else if ((field = !strcmp(argv[i], "--events-table") ? &map.table :
				    !strcmp(argv[i], "--events-columns") ? &map.columns :
				    !strcmp(argv[i], "--events-time-unit") ? &map.time_unit :
				    !strcmp(argv[i], "--action-map") ? &map.action_map : NULL)) {
			if (i + 1 >= argc)
				return kgr_cli_usage("compact: %s needs a value", argv[i]);
			*field = argv[++i];
		} else if (argv[i][0] == '-') {
			return kgr_cli_usage("compact: unknown option '%s'", argv[i]);
		} else if (store) {
			return kgr_cli_usage("compact: more than one STORE ('%s' and '%s')", store, argv[i]);
		} else {
			store = argv[i];
		}
	}
	if (!store || !log || !out)
		return kgr_cli_usage("compact: usage: kgrec compact STORE --events-log F|--events URL -o "
			"NEWSTORE");
	if (!map.table && (map.columns || map.time_unit || map.action_map))
		return kgr_cli_usage("compact: --events-columns, --events-time-unit and --action-map go "
			"with --events-table");
	if (kgr_server_compact_map(store, log, &map, out, &added, &skipped) < 0)
		return kgr_cli_fail("compact");
	/* a connection string may hold a password: it is not printed */
	if (strstr(log, "://"))
		log = "the events database";
	printf("kgrec compact: %s written with %zu new events from %s\n", out, added, log);
	if (skipped)
		printf("kgrec compact: %zu events left out: their item or action is not in %s; they "
			"stay in %s only: keep it, a later snapshot with their items takes them\n", skipped,
			store, log);
	return 0;
}
