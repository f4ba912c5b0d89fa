/* Declarations shared by the server's files. Only server/http.c sees libmicrohttpd: the
 * handlers work on the neutral kgr__req / kgr__resp below. Not installed. */
#ifndef KGREC_SERVER_INTERNAL_H
#define KGREC_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "kg/internal.h"
#include "kgrec/learned.h"
#include "kgrec/sequence.h"
#include "kgrec/retrieval.h"
#include "kgrec/server.h"

struct cJSON;

/* ---- the loaded snapshot: reference-counted, swapped whole on reload ---- */

typedef struct kgr__state {
	atomic_int refs;
	kgr_store *store;
	kgr_graph *graph;
	/* graph_lock: writer = kgr_graph_add_interactions, readers = recommend/similar/explain.
	 * It prefers writers, so a stream of readers cannot starve events. The store needs no
	 * lock: the only thing that changes in it, kgr_store_intern_extra (new users), is safe
	 * against its readers, so SPARQL queries and LLM calls never hold back an event. */
	pthread_rwlock_t graph_lock;
	char checksum[17];
	kgr_model *model;        /* the learned ranker, read with the snapshot; or NULL */
	kgr_seq_model *sequence; /* the sequence model, read with the snapshot; or NULL */
	/* the snapshot's products by name and code, for the items of events (built at the first
	 * event that needs it, under events_mu, which every use holds) */
	kgr__item_index *items;
	/* events applied to this state's graph view since it was loaded (by requests, and by
	 * the events database's listener), beside those its replay applied: /readyz */
	atomic_ullong events_live;
} kgr__state;

/* ---- metrics ---- */

typedef enum {
	KGR__EP_RECOMMEND = 0,
	KGR__EP_SIMILAR,
	KGR__EP_EXPLAIN,
	KGR__EP_EVENTS,
	KGR__EP_SPARQL,
	KGR__EP_HEALTHZ,
	KGR__EP_READYZ,
	KGR__EP_METRICS,
	KGR__EP_RELOAD,
	KGR__EP_OPENAPI,
	KGR__EP_OTHER,
	KGR__EP_CONSOLE, /* the console's files and JSON (server/console.c) */
	KGR__EP__COUNT
} kgr__endpoint;

#define KGR__N_BUCKETS 14

typedef struct {
	atomic_ullong by_code[KGR__EP__COUNT][6][100]; /* [endpoint][code/100][code%100] */
	atomic_ullong hist[KGR__EP__COUNT][KGR__N_BUCKETS + 1];
	atomic_ullong hist_sum_us[KGR__EP__COUNT];
	atomic_ullong events_applied, event_applies, events_replayed, events_duplicate, torn_lines;
	atomic_ullong events_pending; /* posted naming an item the snapshot lacks */
	atomic_ullong events_ignored; /* rows of a shop's events table that are no events */
	atomic_ullong reloads, reload_failures;
	atomic_ullong llm_calls, llm_fallbacks, llm_cache_hits;
	atomic_ullong sparql_timeouts, sparql_truncated;
	atomic_int in_flight;
} kgr__metrics;

const char *kgr__endpoint_name(kgr__endpoint ep);
void kgr__metrics_observe(kgr__metrics *m, kgr__endpoint ep, int status, double seconds);
/* Prometheus text exposition; returns a malloc'd string. */
char *kgr__metrics_render(const kgr__metrics *m, const kgr__state *st, size_t *len_out);

/* ---- the server ---- */

struct kgr_server {
	kgr_server_options opts; /* strings below are owned copies */
	char *store_path, *listen_host, *events_path, *access_path, *graph_config, *weights_path;
	char *model_path;
	char *sequence_path;
	unsigned int listen_port;
	int listen_ipv6;
	char *token;             /* NULL: no authentication */
	void (*log)(const char *message, void *payload); /* operator messages, or NULL */
	void *log_payload;
	struct kgr__limits *limits; /* connection deadlines and per-address limits (limits.c) */
	kgr_weights weights;
	int have_weights;
	struct kgr_audit_log *audit; /* or NULL */
	kgr_llm_options llm;        /* valid when have_llm */
	int have_llm;
	size_t llm_candidates;

	pthread_mutex_t state_mu; /* guards the state pointer only */
	kgr__state *state;
	pthread_mutex_t reload_mu;  /* one reload at a time */
	pthread_mutex_t events_mu;  /* log append + new user ids, and reload's replay */
	/* Group commit: logged batches wait in apply_queue; one waiting request at a time
	 * (applying) takes the whole queue and applies it in one kgr_graph_add_interactions(). */
	pthread_mutex_t apply_mu;
	pthread_cond_t apply_cv;
	struct kgr__apply_job *apply_queue;
	int applying;
	struct kgr__pglog *pg;      /* the events database (server/pglog.c), or NULL */
	kgr__action_map *actions;   /* the operator's action names (opts.action_map), or NULL */
	int wal_fd;                 /* -1 without an events log file */
	uint64_t wal_batches;
	kgr_server_replay_info replay;

	pthread_mutex_t sparql_mu;  /* librdf is not thread-safe */
	pthread_mutex_t log_mu;
	FILE *access_log;
	int access_log_owned;

	/* requests computed at once */
	pthread_mutex_t work_mu;
	pthread_cond_t work_cv;
	unsigned int work_busy, work_max;

	kgr__metrics metrics;
	atomic_ullong next_request;
	uint64_t boot_nonce;
	void *daemon; /* struct MHD_Daemon * */
	unsigned int bound_port;
	atomic_int stopping;
	int sparql_pool;    /* kgr__sparql_pool_start() was called by kgr_server_start() */
};

kgr__state *kgr__state_acquire(kgr_server *srv);
/* Both read locks (recommend, similar, explain). */
void kgr__state_rdlock(kgr__state *st);
void kgr__state_unlock(kgr__state *st);
void kgr__state_release(kgr__state *st);
/* Load store + graph view of srv->store_path. */
int kgr__state_open(kgr_server *srv, kgr__state **out);
/* Replay the events log into a state (caller holds events_mu when the server runs) and,
 * when it succeeds, count the replayed and duplicate events in srv->metrics (at start and at
 * reload alike); good_len_out receives the length of the complete lines. */
int kgr__state_replay(kgr_server *srv, kgr__state *st, kgr_server_replay_info *info,
	uint64_t *good_len_out);

void kgr__work_enter(kgr_server *srv);
void kgr__work_leave(kgr_server *srv);

/* ---- requests and responses as the handlers see them ---- */

typedef struct {
	const char *method;
	const char *path;           /* percent-decoded path, without the query string */
	const char *body;
	size_t body_len;
	const char *content_type;   /* or NULL */
	const char *accept;         /* or NULL */
	const char *request_id;
	int64_t t0_us;              /* kgr__now_us() when the request line arrived */
	/* query-string argument lookup (decoded), NULL when absent */
	const char *(*arg)(void *ctx, const char *name);
	/* first query-string argument not in the NULL-terminated list, or NULL */
	const char *(*unknown_arg)(void *ctx, const char *const *allowed);
	void *arg_ctx;
} kgr__req;

typedef struct {
	int status;
	char *body;                 /* malloc'd; may be NULL */
	size_t len;
	const char *content_type;
	const char *allow;          /* Allow header for 405 */
	const char *note;           /* short reason for the access log */
	size_t truncated_at;        /* > 0: the result was cut at this many rows or triples
	                               (KGrec-Result-Truncated and KGrec-Result-Limit headers) */
	unsigned int retry_after;   /* > 0: a Retry-After header, in seconds */
} kgr__resp;

/* A JSON error body {"error":{"code":..,"message":..}}; returns resp->status. */
int kgr__resp_error(kgr__resp *resp, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Print a cJSON tree into resp (takes ownership of nothing; the caller frees root). */
int kgr__resp_json(kgr__resp *resp, int status, const struct cJSON *root);
/* A JSON text (malloc'd; NULL: out of memory, a 503) as resp's body, which takes it. */
int kgr__resp_json_text(kgr__resp *resp, int status, char *text, size_t len);
/* Status and JSON error code for a KGR_E* code. */
int kgr__status_of(int kgr_code, const char **code_out);

/* Handlers (server/api.c, server/events.c, server/sparql_ep.c). */
void kgr__handle_recommend(kgr_server *srv, const kgr__req *req, kgr__resp *resp);
void kgr__handle_similar(kgr_server *srv, const kgr__req *req, const char *item, kgr__resp *resp);
void kgr__handle_explain(kgr_server *srv, const kgr__req *req, kgr__resp *resp);
void kgr__handle_events(kgr_server *srv, const kgr__req *req, kgr__resp *resp);
void kgr__handle_sparql(kgr_server *srv, const kgr__req *req, kgr__resp *resp);
/* The web console (server/console.c): public files ("/", "/console/..."), and the read-only
 * JSON of /v1/users, /v1/history, /v1/node, /v1/vocab, /v1/status. */
int kgr__console_public(const char *path);
int kgr__console_route(const char *path);
void kgr__handle_console(kgr_server *srv, const kgr__req *req, kgr__resp *resp);

/* ---- events log (server/wal.c) ---- */

/* One event as logged: IRIs and values. */
typedef struct {
	const char *user, *item, *action; /* IRIs; item is as the client wrote it when pending */
	int64_t time;
	double weight;
	/* The snapshot had no item by that name when the event was logged ("pending": true in
	 * the log): each replay and compaction matches it again (kgr__event_item()), so the
	 * event counts from the snapshot that brings the item. */
	int pending;
} kgr__event;

/* What an event's item text names in a store (kgr__event_item()). */
typedef enum {
	KGR__EVITEM_FOUND = 0, /* a catalog item */
	KGR__EVITEM_NEW,       /* nothing yet: a new product the catalog does not have */
	KGR__EVITEM_NOT_ITEM,  /* a resource that is not a catalog item (a brand, a user) */
	KGR__EVITEM_AMBIGUOUS  /* a name or code several items share */
} kgr__evitem;

/* The item @p text names, as the loader matches an interaction log's ids: an IRI (written
 * <...>, with a scheme, or with a prefix the store declares) exactly; any other text also by
 * the local name of a product's IRI, schema:sku, schema:productID or a GTIN. *ix is the
 * store's item index, built at the first code lookup (the caller serialises calls on one
 * *ix). Returns a KGR__EVITEM_* (the id in *out when FOUND or NOT_ITEM) or KGR_ENOMEM. */
int kgr__event_item(const kgr_store *store, kgr__item_index **ix, const char *text, kgr_id *out);

/* Called for each complete log line with its parsed "events" array. */
typedef int (*kgr__wal_cb)(const struct cJSON *events, size_t line_no, void *payload);

/* Read a log. Stops at the first error of the callback. A last line without its newline or
 * that does not parse is torn: its length goes to *torn_out and *good_len_out is where it
 * starts. Any other damaged line is KGR_ECORRUPT naming the line. A missing file is empty. */
int kgr__wal_read(const char *path, kgr__wal_cb cb, void *payload, uint64_t *good_len_out,
	size_t *torn_out, size_t *lines_out);
/* Open for appending, cutting the file at good_len first (drops a torn tail). */
int kgr__wal_open(int *fd_out, const char *path, uint64_t good_len);
/* Append one line (with its newline) and fdatasync it. */
int kgr__wal_append(int fd, const char *line, size_t len);
/* Parse one logged event. Returns 0 or KGR_ECORRUPT. Strings borrowed from @p obj. */
int kgr__wal_event(kgr__event *out, const struct cJSON *obj);

/* Logged events on their way into a state: kgr__replay_event() checks one against the
 * snapshot and keeps it, kgr__replay_apply() applies those kept so far (graph write lock). */
typedef struct {
	kgr__state *st;
	kgr_server_replay_info *info;
	kgr_interaction *buf;
	size_t n, cap;
	const char *path; /* for messages */
} kgr__replay;
/* 0 (kept, or counted as a duplicate or skipped: its item or action is not in the store) or
 * an error. */
int kgr__replay_event(kgr__replay *rc, const kgr__event *ev);
int kgr__replay_apply(kgr__replay *rc);

/* Resolve a logged event against a store (a pending item through kgr__event_item() with
 * the index *ix), interning a new user; KGR_ENOTFOUND when its item or action is not in
 * the store, 0 ids on error. */
int kgr__event_to_interaction(kgr_store *store, kgr__item_index **ix, const kgr__event *ev,
	kgr_interaction *out);
/* A row of a shop's own events table as an event (server/events.c): the user's IRI as
 * kgr__user_iri() makes it into *user_owned (free it), the item as written (pending: matched
 * by name and code at each replay), the action looked up as POST /v1/events does (in
 * @p map first, which may be NULL). When the row is no event kgrec takes (a user name that
 * makes no IRI, an unknown action name, an action that is no interaction), why says so and
 * *user_owned is NULL. */
void kgr__event_from_names(const kgr_store *store, const kgr__action_map *map, const char *user,
	const char *item, const char *action, kgr__event *ev, char **user_owned, char *why,
	size_t size);
/* 1 when the snapshot already holds this interaction. */
int kgr__event_in_snapshot(const kgr_store *store, const kgr_interaction *in);

/* ---- the events database (server/pglog.c) ---- */

typedef struct kgr__pglog kgr__pglog;
/* Connect and check the table, kgrec's own or @p map's, with @p timeout_ms the events
 * timeout (0: 5000; srv->actions, read before, is used for the table's rows; srv->pg is set
 * even on error: kgr__pg_free() frees it). */
int kgr__pg_open(kgr_server *srv, const char *url, const kgr_events_map *map,
	unsigned int timeout_ms);
/* Whether the events are in a table of the shop's own (names written as the client gave
 * them). */
int kgr__pg_mapped(const kgr_server *srv);
/* NULL, or the field of a posted event ("user", "item", "weight") that such a table cannot
 * hold as given (a weight other than 1 without a weight column, a fraction for an integer
 * one, a name that is no integer for an integer column), with the reason in why. */
const char *kgr__pg_unstorable(const kgr_server *srv, const char *user, const char *item,
	double weight, char *why, size_t size);
/* Start the listener that applies every replica's events to the live state. */
int kgr__pg_start(kgr_server *srv);
void kgr__pg_free(kgr_server *srv);
/* Commit a batch (events_mu held); *last_id is its last event's id. The caller applies the
 * batch to the live state: the listener skips these ids. KGR_EIO when the database cannot
 * take it. */
int kgr__pg_append(kgr_server *srv, const kgr__event *ev, size_t n, int64_t *last_id);
/* Replay the whole table into rc's state and set the listener's cursor after it (events_mu
 * held, or no listener yet). */
int kgr__pg_replay(kgr_server *srv, kgr__replay *rc);
/* 1 when the listener is connected and no write failed for want of the database since it
 * last read; else 0 and the reason in why. */
int kgr__pg_status(kgr_server *srv, char *why, size_t size);
/* Whether an events log "path" is a PostgreSQL connection string. */
int kgr__is_db_url(const char *path);
/* A snapshot compacted from the database holds the id up to which it has every event
 * (kgrec compact), as this triple; replicas on it read the events after it. */
#define KGR__PG_MARK_NODE "urn:kgrec:events-database"
#define KGR__PG_MARK_PRED KGR_NS "eventsThrough"
int64_t kgr__pg_mark(const kgr_store *store);
/* Every event after id @p after, in id order, to cb (which returns 0 or an error); the rows
 * of a shop's own table (@p map) are matched against @p store, and those that are no events
 * passed over. */
int kgr__pg_each(const char *url, const kgr_events_map *map, const kgr_store *store, int64_t after,
	int (*cb)(const kgr__event *ev, int64_t id, void *payload), void *payload);

/* ---- SPARQL (server/sparql_ep.c) ---- */

/* Result format a client asked for. */
typedef enum {
	KGR__FMT_NONE = 0,
	KGR__FMT_JSON,
	KGR__FMT_XML,
	KGR__FMT_CSV,
	KGR__FMT_TSV,
	KGR__FMT_TURTLE,
	KGR__FMT_NTRIPLES,
	KGR__FMT_RDFXML,
	KGR__FMT_JSONLD
} kgr__fmt;

/* Query forms. */
typedef enum {
	KGR__Q_UNKNOWN = 0,
	KGR__Q_SELECT,
	KGR__Q_ASK,
	KGR__Q_CONSTRUCT,
	KGR__Q_DESCRIBE,
	KGR__Q_UPDATE
} kgr__qform;

kgr__qform kgr__sparql_form(const char *query);
kgr__fmt kgr__sparql_negotiate(const char *accept, kgr__qform form);

/* ---- small helpers (server/util.c) ---- */
int64_t kgr__now_us(void);
/* Time parsing and formatting: kgr__parse_time(), kgr__format_time() (kg/internal.h). */
/* The IRI of a user a client named (an IRI, <IRI>, a prefixed name the store knows, a known
 * user's local name, or a new local name under the default user base); malloc'd, NULL when
 * the name cannot be a user's (server/events.c). Events and recommendations read names alike. */
char *kgr__user_iri(const kgr_store *store, const char *text);
/* Decode application/x-www-form-urlencoded value of @p name from body; malloc'd or NULL. */
char *kgr__form_value(const char *body, size_t len, const char *name, int *count_out);
/* Constant-time comparison. */
int kgr__token_equal(const char *a, const char *b);
/* 1 when k is one of the NULL-terminated names in list, else 0. */
int kgr__name_in(const char *k, const char *const *list);
/* The request body parsed as JSON (caller frees with cJSON_Delete), or NULL after replying
 * 400 malformed_json with the byte offset of the error. */
struct cJSON *kgr__parse_json_body(const kgr__req *req, kgr__resp *resp);

#define KGR__USER_BASE "https://w3id.org/kgrec/user/"

/** Tell the operator (kgr_server_options.log), when a log callback is set. */
void kgr__server_log(kgr_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** docs/openapi.json, built in (openapi_data.c). */
extern const unsigned char kgr__openapi_json[];
extern const size_t kgr__openapi_json_len;

#endif
