#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kgrec/store.h"

int kgr_cmd_export(int argc, char **argv)
{
	const char *path = NULL, *format = "turtle", *out = NULL;
	unsigned int flags = 0;
	kgr_store *store = NULL;
	FILE *f = stdout;
	char what[4200];
	int i, rc = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			format = argv[++i];
		} else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--inferred")) {
			flags |= KGR_EXPORT_INFERRED;
		} else if (!strcmp(argv[i], "--ontology")) {
			flags |= KGR_EXPORT_ONTOLOGY;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			puts("usage: kgrec export STORE [--format turtle|ntriples|nquads] [--inferred] [--ontology] [-o FILE]\n"
			     "  writes what was loaded; --inferred adds materialised closures and interaction\n"
			     "  edges, --ontology the kgrec vocabulary");
			return 0;
		} else if (argv[i][0] == '-') {
			return kgr_cli_usage("export: unknown or incomplete option '%s'", argv[i]);
		} else if (!path) {
			path = argv[i];
		} else {
			return kgr_cli_usage("export: one STORE only");
		}
	}
	if (!path)
		return kgr_cli_usage("export: missing STORE");
	if (kgr_store_open(&store, path) < 0)
		return kgr_cli_fail("export");
	if (out && !(f = fopen(out, "w"))) {
		fprintf(stderr, "kgrec: export: cannot write %s: %s\n", out, strerror(errno));
		goto done;
	}
	/* a failed write names the file written */
	snprintf(what, sizeof(what), "export: %s", out ? out : "standard output");
	if (kgr_store_export(store, f, format, flags) < 0) {
		rc = kgr_cli_fail(what);
		goto done;
	}
	rc = 0;
done:
	if (out && f && fclose(f) && rc == 0) {
		fprintf(stderr, "kgrec: %s: write failed: %s\n", what, strerror(errno));
		rc = 1;
	}
	kgr_store_free(store);
	return rc;
}
