#include "cli/common.h"

#include <stdio.h>

#include "cli/cli.h"

int kgr_cli_operand(const char *cmd, const char *arg, const char **path)
{
	if (arg[0] == '-' && arg[1])
		return kgr_cli_usage("%s: unknown option or missing value '%s'", cmd, arg);
	if (*path)
		return kgr_cli_usage("%s: unexpected argument '%s'", cmd, arg);
	*path = arg;
	return 0;
}

kgr_id kgr_cli_resolve(const kgr_store *store, const char *path, const char *what, const char *text,
	const char *kind)
{
	kgr_id id = kgr_store_resolve(store, text);
	if (id)
		return id;
	if (kgr_error_last_code() == KGR_EINVALID) /* a local name of several resources */
		fprintf(stderr, "kgrec: %s '%s': %s\n", what, text, kgr_error_last());
	else
		fprintf(stderr, "kgrec: %s '%s': no such %s in %s\n", what, text, kind, path);
	return 0;
}

int kgr_cli_graph(kgr_graph **out, const kgr_store *store, const char *config, const char *cmd)
{
	kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
	char what[100];
	go.config_path = config;
	if (kgr_graph_new(out, store, &go) < 0) {
		snprintf(what, sizeof(what), "%s: graph view", cmd);
		return kgr_cli_fail(what);
	}
	return 0;
}
