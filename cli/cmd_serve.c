#include "cli/cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_file.h"
#include "cli/llm_flags.h"
#include "kgrec/server.h"

static const char usage_text[] =
	"usage: kgrec serve STORE [options]\n"
	"       kgrec serve --config FILE [STORE] [options]\n"
	"\n"
	"  --config F             settings from F: one 'key = value' a line, keys the options\n"
	"                         below without '--' and 'store'; switches take true or false;\n"
	"                         '#' starts a comment line; flags given here win (docs/DEPLOY.md)\n"
	"  --listen HOST:PORT     address to listen on (default 127.0.0.1:8080; port 0: any free)\n"
	"  --threads N            requests computed at once (default: 2 per CPU)\n"
	"  --token-file F         bearer token clients must send (required off loopback)\n"
	"  --events-log F         write-ahead log for POST /v1/events (replayed at start)\n"
	"  --events URL           the events log in PostgreSQL that replicas share, instead of\n"
	"                         --events-log (postgresql://user@host/db; 'kgrec db init URL'\n"
	"                         creates its table; docs/DEPLOY.md)\n"
	"  --events-table T       with --events: the shop's own events table T (shop.events)\n"
	"                         instead of kgrec_events ('kgrec db init URL --events-table T\n"
	"                         ...' installs its trigger; docs/DEPLOY.md)\n"
	"  --events-columns L     its columns, ROLE=COLUMN,... for the roles id, user, item,\n"
	"                         action, time and weight (optional); a role left out is a\n"
	"                         column of its name (id=event_id,user=customer,item=sku,\n"
	"                         action=event_name,time=created_at)\n"
	"  --events-time-unit U   s or ms: the unit of an integer time column\n"
	"  --events-timeout MS    with --events: a statement on the database, or a connection in\n"
	"                         the making, gives up after MS (default 5000): a batch without\n"
	"                         a reply by then is answered 503, /readyz says degraded; the\n"
	"                         URL's connect_timeout, keepalives... win (docs/DEPLOY.md)\n"
	"  --action-map F         more action names for POST /v1/events and the rows of the\n"
	"                         shop's own table: a CSV of name,action rows, as 'kgrec load\n"
	"                         --action-map' reads (docs/EVENTS.md); every replica the same\n"
	"  --strict-items         refuse events for items the snapshot lacks (default: log them\n"
	"                         and count them from the reload that brings the items)\n"
	"  --max-body BYTES       largest request body (default 1048576)\n"
	"  --sparql-timeout MS    per-query time limit (default 10000)\n"
	"  --sparql-max-rows N    result rows at most (default 10000)\n"
	"  --sparql-process-per-query  fork a process for every SPARQL query (default: two\n"
	"                         kept ready, reused after queries kgrec evaluates itself)\n"
	"  --access-log F         one JSON line per request ('-': stderr)\n"
	"  --client-timeout S     idle / slow client timeout in seconds (default 30)\n"
	"  --header-timeout S     a request's headers must arrive within this (default 10)\n"
	"  --min-body-rate B      request bodies must arrive at B bytes/s at least (default 256)\n"
	"  --max-per-ip N         connections open at once from one address (default 32)\n"
	"  --graph-config F       relation configuration for the graph view\n"
	"  --weights F            graph ranker weights (kgrec train --linear)\n"
	"  --model F              order lists with the learned ranker (kgrec train); read again\n"
	"                         on reload\n"
	"  --sequence F           the sequence model (kgrec train --model sequence): its best items\n"
	"                         after the user's history, events posted included, join the\n"
	"                         candidates, its score a part of each item's; requests may opt\n"
	"                         out with \"sequence\": false; read again on reload\n"
	"  --audit-log F          audit record of every list served (kgrec audit verify/replay)\n"
	"  --audit-prompt-hash    log the prompts' hashes instead of their text\n"
	"  --audit-fsync          fsync the audit log after each record\n"
	"  --llm                  re-rank POST /v1/recommend with an LLM (requests may opt out with\n"
	"                         \"llm\": {\"enabled\": false}; \"deadline_ms\" bounds the call)\n"
	"  --llm-candidates N     graph candidates the LLM re-ranks (default 20, at least k)\n"
	"  LLM flags (--llm-url, --llm-model, --timeout MS, --mode, ...; see 'kgrec recommend --help')\n"
	"\n"
	"Endpoints: POST /v1/recommend, GET /v1/items/{iri}/similar, GET /v1/explain,\n"
	"POST /v1/events, GET|POST /sparql, GET /healthz /readyz /metrics, POST /admin/reload.\n"
	"SIGHUP reloads the snapshot; SIGTERM finishes requests in flight and exits.\n";

static int parse_size(const char *opt, const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || v == 0 || v > max || s[0] == '-')
		return kgr_cli_usage("serve: %s expects a positive integer up to %llu, got '%s'", opt, max, s);
	*out = v;
	return 0;
}

/* Operator messages of the server, on standard error like the command's own. */
static void log_to_stderr(const char *message, void *payload)
{
	(void)payload;
	fprintf(stderr, "kgrec serve: %s\n", message);
}

static pthread_t serve_thread;

/* Threads that libraries start before the signals are blocked (OpenBLAS's pool starts when
 * the library is loaded) would take a signal with its default action, ending the process:
 * their handler hands it to the serving thread, where it is blocked, so sigwait() gets it. */
static void forward_signal(int sig)
{
	pthread_kill(serve_thread, sig);
}

/* Serve until SIGTERM or SIGINT, reloading the snapshot on SIGHUP; then stop accepting and
 * let requests in flight finish (at most drain_ms). The signals are blocked in every thread
 * kgrec starts, and forwarded from the others, so sigwait() here is the only place they are
 * taken. */
static void serve_until_signal(kgr_server *srv, const char *store_path, unsigned int drain_ms)
{
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		if (kgr_server_reload(srv) < 0)
			fprintf(stderr, "kgrec serve: reload failed, keeping the old snapshot: %s\n",
				kgr_error_last());
		else
			fprintf(stderr, "kgrec serve: reloaded %s\n", store_path);
	}
	fprintf(stderr, "kgrec serve: %s received, finishing requests in flight\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	kgr_server_stop(srv, drain_ms);
}

/* What the command line (and --config) set. */
typedef struct {
	kgr_server_options o;
	kgr_llm_options lo;
	int use_llm;
} serve_args;

typedef enum { SERVE_SWITCH, SERVE_STRING, SERVE_UINT, SERVE_SIZE } serve_kind;

/* The flags of `kgrec serve` (the LLM ones are kgr_cli_llm_flag()'s): one table that both the
 * parser and --config read, so a flag added here is also a key of the configuration file. */
static const struct {
	const char *name;
	serve_kind kind;
	size_t offset;                /* in serve_args */
	unsigned long long max;       /* SERVE_UINT, SERVE_SIZE: 1..max */
} serve_flags[] = {
	{ "--llm", SERVE_SWITCH, offsetof(serve_args, use_llm), 0 },
	{ "--strict-items", SERVE_SWITCH, offsetof(serve_args, o.strict_items), 0 },
	{ "--audit-prompt-hash", SERVE_SWITCH, offsetof(serve_args, o.audit_prompt_hash), 0 },
	{ "--audit-fsync", SERVE_SWITCH, offsetof(serve_args, o.audit_fsync), 0 },
	{ "--sparql-process-per-query", SERVE_SWITCH, offsetof(serve_args, o.sparql_process_per_query), 0 },
	{ "--listen", SERVE_STRING, offsetof(serve_args, o.listen), 0 },
	{ "--token-file", SERVE_STRING, offsetof(serve_args, o.token_file), 0 },
	{ "--events-log", SERVE_STRING, offsetof(serve_args, o.events_log), 0 },
	{ "--events", SERVE_STRING, offsetof(serve_args, o.events_db), 0 },
	{ "--events-table", SERVE_STRING, offsetof(serve_args, o.events_table), 0 },
	{ "--events-columns", SERVE_STRING, offsetof(serve_args, o.events_columns), 0 },
	{ "--events-time-unit", SERVE_STRING, offsetof(serve_args, o.events_time_unit), 0 },
	{ "--action-map", SERVE_STRING, offsetof(serve_args, o.action_map), 0 },
	{ "--access-log", SERVE_STRING, offsetof(serve_args, o.access_log), 0 },
	{ "--graph-config", SERVE_STRING, offsetof(serve_args, o.graph_config), 0 },
	{ "--weights", SERVE_STRING, offsetof(serve_args, o.weights_path), 0 },
	{ "--model", SERVE_STRING, offsetof(serve_args, o.model_path), 0 },
	{ "--sequence", SERVE_STRING, offsetof(serve_args, o.sequence_path), 0 },
	{ "--audit-log", SERVE_STRING, offsetof(serve_args, o.audit_log), 0 },
	{ "--llm-candidates", SERVE_SIZE, offsetof(serve_args, o.llm_candidates), 100 },
	{ "--threads", SERVE_UINT, offsetof(serve_args, o.threads), 1024 },
	{ "--max-body", SERVE_SIZE, offsetof(serve_args, o.max_body), 1ull << 32 },
	{ "--sparql-timeout", SERVE_UINT, offsetof(serve_args, o.sparql_timeout_ms), 3600000 },
	{ "--events-timeout", SERVE_UINT, offsetof(serve_args, o.events_timeout_ms), 3600000 },
	{ "--sparql-max-rows", SERVE_SIZE, offsetof(serve_args, o.sparql_max_rows), 100000000 },
	{ "--client-timeout", SERVE_UINT, offsetof(serve_args, o.conn_timeout_s), 86400 },
	{ "--header-timeout", SERVE_UINT, offsetof(serve_args, o.header_timeout_s), 86400 },
	{ "--min-body-rate", SERVE_UINT, offsetof(serve_args, o.min_body_rate), 1u << 30 },
	{ "--max-per-ip", SERVE_UINT, offsetof(serve_args, o.max_per_ip), 100000 },
};

static int serve_flag(const char *name)
{
	size_t i;
	for (i = 0; i < sizeof(serve_flags) / sizeof(serve_flags[0]); i++)
		if (!strcmp(name, serve_flags[i].name))
			return (int)i;
	return -1;
}

/* --config's question: does the parser know this flag, and does it take a value? The LLM
 * flags' parser is asked with the flag alone, quietly: it takes a switch, and reports a flag
 * of its own that lacks its value. */
static int serve_arity(const char *flag, void *payload)
{
	kgr_llm_options scratch = kgr_llm_options_from_env();
	char *one[2];
	int f = serve_flag(flag), i = 0, r;
	(void)payload;
	if (f >= 0)
		return serve_flags[f].kind == SERVE_SWITCH ? 0 : 1;
	one[0] = (char *)flag;
	one[1] = NULL;
	kgr_cli_usage_quiet(1);
	r = kgr_cli_llm_flag(&scratch, 1, one, &i);
	kgr_cli_usage_quiet(0);
	return r == 1 ? 0 : r == 2 ? 1 : -1;
}

/* The value of serve_flags[f] into *a: 0, or 2 after a usage error. */
static int set_flag(serve_args *a, int f, const char *val)
{
	char *field = (char *)a + serve_flags[f].offset;
	unsigned long long v = 0;
	switch (serve_flags[f].kind) {
	case SERVE_SWITCH:
		*(int *)field = 1;
		break;
	case SERVE_STRING:
		*(const char **)field = val;
		break;
	case SERVE_UINT:
	case SERVE_SIZE:
		if (parse_size(serve_flags[f].name, val, serve_flags[f].max, &v))
			return 2;
		if (serve_flags[f].kind == SERVE_UINT)
			*(unsigned int *)field = (unsigned int)v;
		else
			*(size_t *)field = (size_t)v;
		break;
	}
	return 0;
}

/* The arguments into *a: -1 to go on, or the exit code (0 after --help, 2 after a usage
 * error). argv[1 .. n_file] came from --config (where[] says from which line): a STORE
 * given there is replaced by one on the command line. */
static int parse_args(serve_args *a, int argc, char **argv, int n_file, char **where)
{
	int i, f, r, store_from_file = 0;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		kgr_cli_usage_where(where[i]);
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if ((f = serve_flag(arg)) >= 0) {
			if (serve_flags[f].kind != SERVE_SWITCH && i + 1 >= argc)
				return kgr_cli_usage("serve: %s needs a value", arg);
			if (set_flag(a, f, serve_flags[f].kind == SERVE_SWITCH ? NULL : argv[++i]))
				return 2;
			continue;
		}
		{
			int ii = i;
			r = kgr_cli_llm_flag(&a->lo, argc, argv, &ii);
			if (r == 2)
				return 2;
			if (r == 1) {
				i = ii;
				continue;
			}
		}
		if (arg[0] == '-')
			return kgr_cli_usage("serve: unknown option '%s'", arg);
		if (a->o.store_path && !store_from_file)
			return kgr_cli_usage("serve: more than one STORE ('%s' and '%s')", a->o.store_path, arg);
		a->o.store_path = arg;
		store_from_file = i <= n_file;
	}
	kgr_cli_usage_where(NULL);
	return -1;
}

/* Start the server, serve until SIGTERM or SIGINT: the exit code. */
static int serve(const kgr_server_options *o)
{
	kgr_server *srv = NULL;
	sigset_t set;
	int rc;

	if (kgr_server_new(&srv, o) < 0)
		return kgr_cli_fail("serve");
	{
		kgr_server_replay_info ri;
		kgr_server_replay_stats(srv, &ri);
		if (o->events_log)
			fprintf(stderr, "kgrec serve: events log %s: %zu events replayed (%zu already in the "
				"snapshot, %zu about items it lacks)%s\n", o->events_log, ri.applied, ri.duplicates,
				ri.skipped,
				ri.torn_bytes ? ", torn last line dropped" : "");
	}
	/* Connection threads inherit the signal mask: block the signals waited for below before
	 * they start. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = forward_signal;
		sigemptyset(&sa.sa_mask);
		serve_thread = pthread_self();
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = 0;
	if (kgr_server_start(srv) < 0) {
		rc = kgr_cli_fail("serve");
	} else {
		printf("kgrec serve: listening on http://%s:%u/\n", kgr_server_host(srv), kgr_server_port(srv));
		fflush(stdout);
		serve_until_signal(srv, o->store_path, 10000);
	}
	kgr_server_free(srv);
	return rc;
}

int kgr_cmd_serve(int argc, char **argv)
{
	serve_args a = { .o = KGR_SERVER_OPTIONS_INIT, .lo = kgr_llm_options_from_env() };
	kgr_server_options o;
	kgr_cli_config cfg;
	int rc;

	a.o.log = log_to_stderr;
	if ((rc = kgr_cli_config_expand(&cfg, "serve", argc, argv, serve_arity, NULL)) != 0)
		return rc;
	rc = parse_args(&a, cfg.argc, cfg.argv, cfg.n_file, cfg.where);
	kgr_cli_usage_where(NULL);
	if (rc >= 0)
		goto done;
	o = a.o;
	rc = 2;
	if (!o.store_path) {
		kgr_cli_usage("serve: missing STORE");
		goto done;
	}
	if (a.use_llm)
		o.llm = &a.lo;
	if (!o.audit_log && getenv("KGREC_AUDIT_LOG") && *getenv("KGREC_AUDIT_LOG"))
		o.audit_log = getenv("KGREC_AUDIT_LOG");
	rc = serve(&o);
done:
	kgr_cli_config_free(&cfg);
	return rc;
}
