#include "cli/cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/llm_flags.h"
#include "kgrec/server.h"

static const char usage_text[] =
	"usage: kgrec serve STORE [options]\n"
	"\n"
	"  --listen HOST:PORT     address to listen on (default 127.0.0.1:8080; port 0: any free)\n"
	"  --threads N            requests computed at once (default: 2 per CPU)\n"
	"  --token-file F         bearer token clients must send (required off loopback)\n"
	"  --events-log F         write-ahead log for POST /v1/events (replayed at start)\n"
	"  --events URL           the events log in PostgreSQL that replicas share, instead of\n"
	"                         --events-log (postgresql://user@host/db; 'kgrec db init URL'\n"
	"                         creates its table; docs/DEPLOY.md)\n"
	"  --strict-items         refuse events for items the snapshot lacks (default: log them\n"
	"                         and count them from the reload that brings the items)\n"
	"  --max-body BYTES       largest request body (default 1048576)\n"
	"  --sparql-timeout MS    per-query time limit (default 10000)\n"
	"  --sparql-max-rows N    result rows at most (default 10000)\n"
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

/* The arguments into *o, *lo and *use_llm: -1 to go on, or the exit code (0 after --help,
 * 2 after a usage error). */
static int parse_args(kgr_server_options *o, kgr_llm_options *lo, int *use_llm, int argc, char **argv)
{
	unsigned long long v;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(a, "--llm")) {
			*use_llm = 1;
			continue;
		}
		if (!strcmp(a, "--strict-items")) {
			o->strict_items = 1;
			continue;
		}
		if (!strcmp(a, "--audit-prompt-hash") || !strcmp(a, "--audit-fsync")) {
			if (a[8] == 'p')
				o->audit_prompt_hash = 1;
			else
				o->audit_fsync = 1;
			continue;
		}
		{
			int ii = i, r = kgr_cli_llm_flag(lo, argc, argv, &ii);
			if (r == 2)
				return 2;
			if (r == 1) {
				i = ii;
				continue;
			}
		}
		if (a[0] != '-') {
			if (o->store_path)
				return kgr_cli_usage("serve: more than one STORE ('%s' and '%s')", o->store_path, a);
			o->store_path = a;
			continue;
		}
		if (!val)
			return kgr_cli_usage("serve: %s needs a value", a);
		i++;
		if (!strcmp(a, "--listen"))
			o->listen = val;
		else if (!strcmp(a, "--token-file"))
			o->token_file = val;
		else if (!strcmp(a, "--events-log"))
			o->events_log = val;
		else if (!strcmp(a, "--events"))
			o->events_db = val;
		else if (!strcmp(a, "--access-log"))
			o->access_log = val;
		else if (!strcmp(a, "--graph-config"))
			o->graph_config = val;
		else if (!strcmp(a, "--weights"))
			o->weights_path = val;
		else if (!strcmp(a, "--model"))
			o->model_path = val;
		else if (!strcmp(a, "--sequence"))
			o->sequence_path = val;
		else if (!strcmp(a, "--audit-log"))
			o->audit_log = val;
		else if (!strcmp(a, "--llm-candidates")) {
			if (parse_size(a, val, 100, &v))
				return 2;
			o->llm_candidates = (size_t)v;
		}
		else if (!strcmp(a, "--threads")) {
			if (parse_size(a, val, 1024, &v))
				return 2;
			o->threads = (unsigned int)v;
		} else if (!strcmp(a, "--max-body")) {
			if (parse_size(a, val, 1ull << 32, &v))
				return 2;
			o->max_body = (size_t)v;
		} else if (!strcmp(a, "--sparql-timeout")) {
			if (parse_size(a, val, 3600000, &v))
				return 2;
			o->sparql_timeout_ms = (unsigned int)v;
		} else if (!strcmp(a, "--sparql-max-rows")) {
			if (parse_size(a, val, 100000000, &v))
				return 2;
			o->sparql_max_rows = (size_t)v;
		} else if (!strcmp(a, "--client-timeout")) {
			if (parse_size(a, val, 86400, &v))
				return 2;
			o->conn_timeout_s = (unsigned int)v;
		} else if (!strcmp(a, "--header-timeout")) {
			if (parse_size(a, val, 86400, &v))
				return 2;
			o->header_timeout_s = (unsigned int)v;
		} else if (!strcmp(a, "--min-body-rate")) {
			if (parse_size(a, val, 1u << 30, &v))
				return 2;
			o->min_body_rate = (unsigned int)v;
		} else if (!strcmp(a, "--max-per-ip")) {
			if (parse_size(a, val, 100000, &v))
				return 2;
			o->max_per_ip = (unsigned int)v;
		} else
			return kgr_cli_usage("serve: unknown option '%s'", a);
	}
	return -1;
}

int kgr_cmd_serve(int argc, char **argv)
{
	kgr_server_options o = KGR_SERVER_OPTIONS_INIT;
	kgr_llm_options lo = kgr_llm_options_from_env();
	int use_llm = 0;
	kgr_server *srv = NULL;
	sigset_t set;
	int rc;

	o.log = log_to_stderr;

	if ((rc = parse_args(&o, &lo, &use_llm, argc, argv)) >= 0)
		return rc;
	if (!o.store_path)
		return kgr_cli_usage("serve: missing STORE");
	if (use_llm)
		o.llm = &lo;
	if (!o.audit_log && getenv("KGREC_AUDIT_LOG") && *getenv("KGREC_AUDIT_LOG"))
		o.audit_log = getenv("KGREC_AUDIT_LOG");
	if (kgr_server_new(&srv, &o) < 0)
		return kgr_cli_fail("serve");
	{
		kgr_server_replay_info ri;
		kgr_server_replay_stats(srv, &ri);
		if (o.events_log)
			fprintf(stderr, "kgrec serve: events log %s: %zu events replayed (%zu already in the "
				"snapshot, %zu about items it lacks)%s\n", o.events_log, ri.applied, ri.duplicates,
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
		serve_until_signal(srv, o.store_path, 10000);
	}
	kgr_server_free(srv);
	return rc;
}
