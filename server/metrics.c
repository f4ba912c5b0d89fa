/* Prometheus text exposition (format 0.0.4): counters per endpoint and status code, latency
 * histograms per endpoint, events, reloads, SPARQL limits and the LLM ranker's counters. All
 * counters are lock-free atomics updated by connection threads. */
#include "server/internal.h"

#include <stdlib.h>
#include <string.h>

static const double buckets[KGR__N_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

static const char *const ep_names[KGR__EP__COUNT] = { "recommend", "similar", "explain", "events",
	"sparql", "healthz", "readyz", "metrics", "reload", "openapi", "other",
	"console" };

const char *kgr__endpoint_name(kgr__endpoint ep)
{
	return (unsigned)ep < KGR__EP__COUNT ? ep_names[ep] : "other";
}

void kgr__metrics_observe(kgr__metrics *m, kgr__endpoint ep, int status, double seconds)
{
	size_t b;
	if ((unsigned)ep >= KGR__EP__COUNT)
		ep = KGR__EP_OTHER;
	if (status < 100 || status > 599)
		status = 599;
	atomic_fetch_add(&m->by_code[ep][status / 100][status % 100], 1);
	for (b = 0; b < KGR__N_BUCKETS && seconds > buckets[b]; b++)
		;
	atomic_fetch_add(&m->hist[ep][b], 1);
	atomic_fetch_add(&m->hist_sum_us[ep], (unsigned long long)(seconds * 1e6));
}

static void counter(kgr__buf *s, const char *name, const char *help, unsigned long long v)
{
	kgr__buf_printf(s, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, v);
}

char *kgr__metrics_render(const kgr__metrics *m, const kgr__state *st, size_t *len_out)
{
	kgr__buf s = { 0 };
	size_t e, c1, c2, b;
	kgr__buf_printf(&s, "# HELP kgrec_http_requests_total HTTP requests by endpoint and status code.\n"
		"# TYPE kgrec_http_requests_total counter\n");
	for (e = 0; e < KGR__EP__COUNT; e++)
		for (c1 = 1; c1 < 6; c1++)
			for (c2 = 0; c2 < 100; c2++) {
				unsigned long long v = atomic_load(&m->by_code[e][c1][c2]);
				if (v)
					kgr__buf_printf(&s, "kgrec_http_requests_total{endpoint=\"%s\",code=\"%zu\"} %llu\n",
						ep_names[e], c1 * 100 + c2, v);
			}
	kgr__buf_printf(&s, "# HELP kgrec_http_request_duration_seconds Time from request line to reply.\n"
		"# TYPE kgrec_http_request_duration_seconds histogram\n");
	for (e = 0; e < KGR__EP__COUNT; e++) {
		unsigned long long cum = 0;
		for (b = 0; b < KGR__N_BUCKETS; b++) {
			cum += atomic_load(&m->hist[e][b]);
			kgr__buf_printf(&s, "kgrec_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
				ep_names[e], buckets[b], cum);
		}
		cum += atomic_load(&m->hist[e][KGR__N_BUCKETS]);
		kgr__buf_printf(&s, "kgrec_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
			ep_names[e], cum);
		kgr__buf_printf(&s, "kgrec_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", ep_names[e],
			(double)atomic_load(&m->hist_sum_us[e]) / 1e6);
		kgr__buf_printf(&s, "kgrec_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
			ep_names[e], cum);
	}
	kgr__buf_printf(&s, "# HELP kgrec_http_requests_in_flight Requests being processed.\n"
		"# TYPE kgrec_http_requests_in_flight gauge\nkgrec_http_requests_in_flight %d\n",
		atomic_load(&m->in_flight));
	counter(&s, "kgrec_events_applied_total", "Events posted and applied to the graph view.",
		atomic_load(&m->events_applied));
	counter(&s, "kgrec_event_applies_total", "Calls that applied posted batches to the graph view "
		"(batches that arrive during an apply are applied together by the next call).",
		atomic_load(&m->event_applies));
	counter(&s, "kgrec_events_pending_total", "Events posted for items the snapshot lacks: logged, "
		"and applied by the reload whose snapshot has the items.", atomic_load(&m->events_pending));
	counter(&s, "kgrec_events_replayed_total", "Events applied from the events log at start or reload.",
		atomic_load(&m->events_replayed));
	counter(&s, "kgrec_events_duplicate_total", "Logged events skipped because the snapshot holds them.",
		atomic_load(&m->events_duplicate));
	counter(&s, "kgrec_events_ignored_total", "Rows of a shop's own events table passed over by "
		"the listener: an empty column, an action that is unknown or no interaction, a user "
		"name that makes no IRI.", atomic_load(&m->events_ignored));
	counter(&s, "kgrec_events_log_torn_total", "Torn last lines of the events log dropped at load.",
		atomic_load(&m->torn_lines));
	counter(&s, "kgrec_reloads_total", "Snapshots swapped in.", atomic_load(&m->reloads));
	counter(&s, "kgrec_reload_failures_total", "Reloads that failed (old snapshot kept).",
		atomic_load(&m->reload_failures));
	counter(&s, "kgrec_llm_calls_total", "Calls to the LLM ranker.", atomic_load(&m->llm_calls));
	counter(&s, "kgrec_llm_fallbacks_total", "Requests answered in graph order because the LLM "
		"ranker was unavailable, late or invalid.", atomic_load(&m->llm_fallbacks));
	counter(&s, "kgrec_llm_cache_hits_total", "LLM answers served from the response cache.",
		atomic_load(&m->llm_cache_hits));
	counter(&s, "kgrec_sparql_timeouts_total", "SPARQL queries stopped at the time limit.",
		atomic_load(&m->sparql_timeouts));
	counter(&s, "kgrec_sparql_truncated_total", "SPARQL results cut at the row limit.",
		atomic_load(&m->sparql_truncated));
	if (st) {
		kgr_store_stats stats;
		kgr_store_get_stats(st->store, &stats);
		kgr__buf_printf(&s, "# HELP kgrec_snapshot_info The snapshot in service.\n"
			"# TYPE kgrec_snapshot_info gauge\nkgrec_snapshot_info{checksum=\"%s\"} 1\n",
			st->checksum);
		kgr__buf_printf(&s, "# HELP kgrec_snapshot_quads Quads in the snapshot in service.\n"
			"# TYPE kgrec_snapshot_quads gauge\nkgrec_snapshot_quads %zu\n", stats.quads);
	}
	*len_out = s.len;
	return kgr__buf_take(&s);
}
