#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgrec/audit.h"

/* Each verb's usage: what it checks and every option it takes. */
static const struct {
	const char *verb, *text;
} verbs[] = {
	{ "verify", "  verify LOG --store STORE [--json]\n"
		"      every evidence edge in the store, every cited fact among those given, every item\n"
		"      a candidate, each section's digest and the snapshot checksum\n"
		"      --store STORE   the snapshot the lists were made on (required)\n"
		"      --json          the findings as one JSON object\n" },
	{ "replay", "  replay LOG --store STORE [--id ID] [--json]\n"
		"      re-run each record on its snapshot with the logged LLM replies; the lists must\n"
		"      come out the same\n"
		"      --store STORE   the snapshot the lists were made on (required)\n"
		"      --id ID         only the record with this id\n"
		"      --json          the findings as one JSON object\n" },
	{ "export", "  export LOG [--format turtle|ntriples] [-o FILE]\n"
		"      the log as RDF (PROV-O), loadable with kgrec load beside the catalog\n"
		"      --format F      turtle (default) or ntriples\n"
		"      -o, --output F  write to F (default: standard output)\n" },
	{ "report", "  report LOG -o FILE.html [--store STORE]\n"
		"      one HTML page: a verification banner per record and per item, the request and\n"
		"      its parameters, score parts, rationales and each item's evidence drawing\n"
		"      -o, --output F  the page to write (required)\n"
		"      --store STORE   verify against this snapshot and show its labels\n" },
};

static void print_usage(FILE *f, const char *verb)
{
	size_t i, shown = 0;
	fputs("usage: kgrec audit <verb> LOG [options]\n", f);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!verb || !strcmp(verb, verbs[i].verb)) {
			fputs(verbs[i].text, f);
			shown++;
		}
	if (!shown)
		for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			fputs(verbs[i].text, f);
	fputs("Exit status: 0 when every record holds, 1 when one does not, 2 on a usage error.\n", f);
}

typedef struct {
	const char *verb, *log, *store, *id, *format, *out;
	int json;
} args;

static int parse(args *a, int argc, char **argv)
{
	int i;
	memset(a, 0, sizeof(*a));
	if (argc < 2) {
		print_usage(stderr, NULL);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		print_usage(stdout, argc > 2 ? argv[2] : NULL);
		return 1;
	}
	a->verb = argv[1];
	for (i = 2; i < argc; i++) {
		const char *s = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			print_usage(stdout, a->verb);
			return 1;
		} else if (!strcmp(s, "--store") && more) {
			a->store = argv[++i];
		} else if (!strcmp(s, "--id") && more) {
			a->id = argv[++i];
		} else if (!strcmp(s, "--format") && more) {
			a->format = argv[++i];
		} else if ((!strcmp(s, "-o") || !strcmp(s, "--output")) && more) {
			a->out = argv[++i];
		} else if (!strcmp(s, "--json")) {
			a->json = 1;
		} else if (s[0] == '-' && s[1]) {
			return kgr_cli_usage("audit %s: unknown option or missing value '%s'", a->verb, s);
		} else if (!a->log) {
			a->log = s;
		} else {
			return kgr_cli_usage("audit %s: unexpected argument '%s'", a->verb, s);
		}
	}
	if (!a->log)
		return kgr_cli_usage("audit %s: missing LOG", a->verb);
	return 0;
}

static void print_result(const kgr_audit_result *r, const char *verb, int json)
{
	size_t i;
	if (json) {
		cJSON *root = cJSON_CreateObject(), *s = cJSON_AddObjectToObject(root, "summary"), *fa;
		char *text;
		cJSON_AddStringToObject(root, "verb", verb);
		cJSON_AddBoolToObject(root, "ok", r->failed == 0);
		cJSON_AddNumberToObject(s, "lines", (double)r->lines);
		cJSON_AddNumberToObject(s, "records", (double)r->records);
		cJSON_AddNumberToObject(s, "passed", (double)r->passed);
		cJSON_AddNumberToObject(s, "failed", (double)r->failed);
		cJSON_AddNumberToObject(s, "truncated", (double)r->truncated);
		cJSON_AddNumberToObject(s, "refused", (double)r->refused);
		cJSON_AddNumberToObject(s, "other_snapshot", (double)r->other_snapshot);
		cJSON_AddNumberToObject(s, "edges_checked", (double)r->edges_checked);
		cJSON_AddNumberToObject(s, "edges_missing", (double)r->edges_missing);
		cJSON_AddNumberToObject(s, "items_checked", (double)r->items_checked);
		cJSON_AddNumberToObject(s, "items_foreign", (double)r->items_foreign);
		cJSON_AddNumberToObject(s, "citations_checked", (double)r->citations_checked);
		cJSON_AddNumberToObject(s, "citations_foreign", (double)r->citations_foreign);
		fa = cJSON_AddArrayToObject(root, "findings");
		for (i = 0; i < r->n_findings; i++) {
			const kgr_audit_finding *f = &r->findings[i];
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "severity", f->severity == KGR_AUDIT_FAIL ? "fail" : "info");
			cJSON_AddNumberToObject(o, "line", (double)f->line);
			if (f->id)
				cJSON_AddStringToObject(o, "id", f->id);
			else
				cJSON_AddNullToObject(o, "id");
			if (f->field)
				cJSON_AddStringToObject(o, "field", f->field);
			else
				cJSON_AddNullToObject(o, "field");
			cJSON_AddStringToObject(o, "message", f->message);
			cJSON_AddItemToArray(fa, o);
		}
		text = cJSON_Print(root);
		if (text)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(root);
		return;
	}
	for (i = 0; i < r->n_findings; i++) {
		const kgr_audit_finding *f = &r->findings[i];
		printf("line %zu%s%s: %s%s%s%s\n", f->line, f->id ? " record " : "", f->id ? f->id : "",
			f->severity == KGR_AUDIT_FAIL ? "FAIL " : "note ", f->field ? f->field : "", f->field ? ": " : "",
			f->message);
	}
	if (!strcmp(verb, "verify"))
		printf("%s: %zu record(s), %zu passed, %zu failed; %zu truncated line(s) skipped, %zu refused "
		       "(format version), %zu on another snapshot; edges %zu checked, %zu missing; items %zu "
		       "checked, %zu outside the candidates; cited facts %zu checked, %zu not given\n",
			r->failed ? "FAILED" : r->truncated ? "INCOMPLETE" : "OK", r->records, r->passed, r->failed, r->truncated, r->refused,
			r->other_snapshot, r->edges_checked, r->edges_missing, r->items_checked, r->items_foreign,
			r->citations_checked, r->citations_foreign);
	else
		printf("%s: %zu record(s) replayed, %zu identical, %zu different; %zu truncated line(s) skipped, "
		       "%zu refused (format version)\n",
			r->failed ? "FAILED" : r->truncated ? "INCOMPLETE" : "OK", r->records, r->passed, r->failed - r->refused, r->truncated,
			r->refused);
}

static int check_or_replay(const args *a, int replay)
{
	kgr_store *store = NULL;
	kgr_audit_result *r = NULL;
	int rc;
	if (!a->store)
		return kgr_cli_usage("audit %s: missing --store STORE", a->verb);
	if (kgr_store_open(&store, a->store) < 0)
		return kgr_cli_fail("audit: --store");
	if ((replay ? kgr_audit_replay(&r, a->log, a->id, store) : kgr_audit_verify(&r, a->log, store)) < 0) {
		rc = kgr_cli_fail(replay ? "audit replay" : "audit verify");
		kgr_store_free(store);
		return rc;
	}
	print_result(r, replay ? "replay" : "verify", a->json);
	rc = r->failed || r->truncated ? 1 : 0;
	kgr_audit_result_free(r);
	kgr_store_free(store);
	return rc;
}

static int do_export(const args *a)
{
	FILE *f = stdout;
	const char *fmt = a->format ? a->format : "turtle";
	int rc = 0;
	if (a->out && !(f = fopen(a->out, "w"))) {
		fprintf(stderr, "kgrec: audit export: cannot write %s: %s\n", a->out, strerror(errno));
		return 1;
	}
	if (kgr_audit_export(a->log, f, fmt) < 0)
		rc = kgr_cli_fail("audit export");
	if (a->out && fclose(f) != 0 && !rc) {
		fprintf(stderr, "kgrec: audit export: writing %s failed\n", a->out);
		rc = 1;
	}
	return rc;
}

static int do_report(const args *a)
{
	kgr_store *store = NULL;
	int rc = 0;
	if (!a->out)
		return kgr_cli_usage("audit report: missing -o FILE.html");
	if (a->store && kgr_store_open(&store, a->store) < 0)
		return kgr_cli_fail("audit: --store");
	if (kgr_audit_report_html(a->log, a->out, store) < 0)
		rc = kgr_cli_fail("audit report");
	kgr_store_free(store);
	return rc;
}

int kgr_cmd_audit(int argc, char **argv)
{
	args a;
	int r = parse(&a, argc, argv);
	if (r == 1)
		return 0;
	if (r)
		return r;
	if (!strcmp(a.verb, "verify"))
		return check_or_replay(&a, 0);
	if (!strcmp(a.verb, "replay"))
		return check_or_replay(&a, 1);
	if (!strcmp(a.verb, "export"))
		return do_export(&a);
	if (!strcmp(a.verb, "report"))
		return do_report(&a);
	return kgr_cli_usage("audit: unknown verb '%s' (verify, replay, export, report)", a.verb);
}
