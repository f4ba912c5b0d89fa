/* Argument handling and opening shared by the sub-commands: the STORE operand, names resolved
 * in a store, the graph view. Each prints its own message naming the input. */
#ifndef KGREC_CLI_COMMON_H
#define KGREC_CLI_COMMON_H

#include "kgrec/retrieval.h"

/* An argument no option of command cmd took: an unknown option or a missing value, the STORE
 * operand (stored in *path) or one operand too many. 0, or exit code 2 after a usage error. */
int kgr_cli_operand(const char *cmd, const char *arg, const char **path);

/* The term text names in the store at path; when there is none, prints
 * "kgrec: <what> '<text>': no such <kind> in <path>" (or, when the name is a local name of
 * several resources, the store's message listing two of them) and returns 0. */
kgr_id kgr_cli_resolve(const kgr_store *store, const char *path, const char *what, const char *text,
	const char *kind);

/* The graph view of store with the relation configuration config (or NULL): 0, or exit code 1
 * after "kgrec: <cmd>: graph view: <error>". */
int kgr_cli_graph(kgr_graph **out, const kgr_store *store, const char *config, const char *cmd);

#endif
