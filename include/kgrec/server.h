/**
 * @file server.h
 * @brief The HTTP service: JSON recommendation API, SPARQL 1.1 Protocol endpoint, live
 *        interaction events with a write-ahead log, metrics, atomic snapshot reload.
 *
 * A server owns a loaded snapshot (store + graph view). Requests run on their own connection
 * threads and hold a reference to the snapshot they started on, so a reload swaps the
 * snapshot atomically while requests in flight finish on the old one. Events posted to
 * `/v1/events` are appended to the events log and flushed to disk (fdatasync) before the
 * reply, then applied to the graph view under a write lock; a restart replays the log.
 */
#ifndef KGREC_SERVER_H
#define KGREC_SERVER_H

#include "common.h"
#include "llm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kgr_server kgr_server;

/** Options of kgr_server_new(). Strings are copied. */
typedef struct {
	unsigned int version;
	const char *store_path;     /**< snapshot file (required) */
	const char *listen;         /**< "HOST:PORT" ("127.0.0.1:8080"); port 0 picks a free one */
	unsigned int threads;       /**< requests computed at once (0: 2 per CPU) */
	const char *token_file;     /**< file holding the bearer token, or NULL */
	const char *events_log;     /**< write-ahead log of events, or NULL (POST /v1/events refused) */
	size_t max_body;            /**< largest request body in bytes (0: 1 MiB) */
	unsigned int sparql_timeout_ms; /**< per-query time limit (0: 10000) */
	size_t sparql_max_rows;     /**< result rows at most (0: 10000) */
	const char *access_log;     /**< JSON-lines access log path, "-" for stderr, NULL for none */
	unsigned int conn_timeout_s;/**< idle / slow client timeout in seconds (0: 30) */
	const char *graph_config;   /**< relation configuration for the graph view, or NULL */
	const char *weights_path;   /**< graph ranker weights (kgr_weights_load()), or NULL */
	unsigned int max_connections; /**< concurrent connections at most (0: 256) */
	/** LLM ranker for POST /v1/recommend, or NULL for graph order only. Copied; the strings
	 *  it points to are borrowed and must outlive the server. */
	const kgr_llm_options *llm;
	size_t llm_candidates;      /**< graph candidates the LLM re-ranks (0: 20; at least k) */
	const char *audit_log;      /**< audit trail of every list served (audit.h), or NULL */
	int audit_prompt_hash;      /**< log the prompts' hashes instead of their text */
	int audit_fsync;            /**< fsync the audit log after each record */
	unsigned int max_per_ip;    /**< connections open at once from one address (0: 32) */
	unsigned int header_timeout_s; /**< a request's headers complete within this (0: 10 s) */
	unsigned int min_body_rate; /**< request bodies arrive at this many bytes/s at least (0: 256) */
	/** Called with a one-line message for what an operator should know (a torn line dropped
	 *  from the events log...); NULL: not told. The library never prints. */
	void (*log)(const char *message, void *payload);
	void *log_payload;
	/** The learned ranker's model file (kgr_model_load()), or NULL: /v1/recommend orders with
	 *  it unless the body asks for "ranker": "graph"; a reload reads it again. */
	const char *model_path;
	/** The sequence model's file (kgr_seq_load(), bound to the snapshot's items), or NULL:
	 *  its best items after the user's history, live events included, join the candidates
	 *  of /v1/recommend and its score is a part of each item's, unless the body says
	 *  "sequence": false; a reload reads it again. */
	const char *sequence_path;
	/** POST /v1/events refuses (404) an event whose item the snapshot does not have. By
	 *  default such an event (a new SKU) is logged "pending" and counts from the reload whose
	 *  snapshot has an item of that IRI, local name, SKU, product id or GTIN. */
	int strict_items;
	/** A PostgreSQL connection string ("postgresql://user@host/db") for the events log that
	 *  replicas share, instead of events_log: POST /v1/events is acknowledged once committed
	 *  there, and every replica applies every replica's events (kgr_db_init() makes the
	 *  table; docs/DEPLOY.md). */
	const char *events_db;
	/** With events_db: a table of the shop's own to use as the events log instead of
	 *  kgrec_events ("shop.events", as SQL names it), or NULL. kgr_db_init_map() installs
	 *  its trigger; docs/DEPLOY.md. */
	const char *events_table;
	/** With events_table: its columns, "id=event_id,user=customer,item=sku,
	 *  action=event_name,time=created_at,weight=qty"; a role left out is a column of its
	 *  own name, but weight, which is optional. NULL: every role its own name. */
	const char *events_columns;
	/** With events_table: "s" or "ms", the unit of an integer time column (required for
	 *  one; NULL otherwise). */
	const char *events_time_unit;
	/** More action names, a CSV file of name,action rows as `kgrec load --action-map` reads
	 *  (docs/EVENTS.md), or NULL: the action names of POST /v1/events and of the rows of a
	 *  shop's own events table are looked up there before kgrec's table of names. Read once,
	 *  at start. */
	const char *action_map;
	/** With events_db: how long a statement on the events database may take, and a
	 *  connection be in the making, in milliseconds (0: 5000). A batch without a reply by
	 *  then is answered 503, not acknowledged; /readyz says "degraded" until the database
	 *  answers again. The connection string's own connect_timeout, keepalives... win. */
	unsigned int events_timeout_ms;
	/** 1: every SPARQL query runs in a process forked for it alone. 0 (the default): two
	 *  query processes are kept ready, and one is used again after a query kgrec evaluated
	 *  itself (not rasqal), which saves the fork (docs/SPARQL.md, "Query processes"). */
	int sparql_process_per_query;
} kgr_server_options;

/* 2: log, log_payload and the connection limits added; 3: model_path; 4: sequence_path;
 * 5: strict_items, events_db; 6: events_table, events_columns, events_time_unit; 7:
 * action_map, events_timeout_ms; 8: sparql_process_per_query (options of an older version
 * are refused with KGR_EINVALID) */
#define KGR_SERVER_OPTIONS_VERSION 8
#define KGR_SERVER_OPTIONS_INIT { .version = KGR_SERVER_OPTIONS_VERSION, \
	.listen = "127.0.0.1:8080" }

/** What happened when a server replayed its events log. */
typedef struct {
	size_t batches;        /**< complete log lines read */
	size_t events;         /**< events read from them */
	size_t applied;        /**< events applied to the graph view */
	size_t duplicates;     /**< events already in the snapshot (skipped) */
	size_t skipped;        /**< events naming an item or action the snapshot lacks (skipped;
	                            they stay in the log and count from a snapshot that has them) */
	size_t torn_bytes;     /**< bytes of an incomplete last line dropped (0: none) */
} kgr_server_replay_info;

/**
 * @brief Load the snapshot, build its graph view and replay the events log.
 *        Does not listen yet (see kgr_server_start()).
 * @param[out] out the server; free with kgr_server_free().
 * @return 0; KGR_EINVALID (bad option: unparsable listen address, a non-loopback address
 *         without a token file, an empty token file, LLM options out of range); KGR_ENOTFOUND (store or token file
 *         missing); KGR_ECORRUPT (a damaged line in the events log other than a torn last
 *         line: the message names the line); KGR_EIO; KGR_ENOMEM; and the codes of
 *         kgr_store_open() and kgr_graph_new().
 */
KGR_API int kgr_server_new(kgr_server **out, const kgr_server_options *opts);

/**
 * @brief Start listening (connection threads run in the background). Signals are the
 *        caller's: a program that waits for them with sigwait() blocks them before this call,
 *        so that the connection threads inherit the mask (as `kgrec serve` does).
 * @return 0; KGR_EIO (the address cannot be bound: the message says why).
 */
KGR_API int kgr_server_start(kgr_server *server);

/** @brief The TCP port the server listens on (useful with port 0); 0 before start. */
KGR_API unsigned int kgr_server_port(const kgr_server *server);

/** @brief The address the server listens on ("127.0.0.1", "::1"). Borrowed. */
KGR_API const char *kgr_server_host(const kgr_server *server);

/** @brief Replay statistics of the last load (start or reload). */
KGR_API void kgr_server_replay_stats(const kgr_server *server, kgr_server_replay_info *out);

/**
 * @brief Load the snapshot file again (it may have been replaced), replay the events log
 *        onto it and swap it in. Requests in flight finish on the old snapshot.
 * @return 0; the codes of kgr_server_new() for the store: on error the old snapshot stays.
 */
KGR_API int kgr_server_reload(kgr_server *server);

/**
 * @brief Stop listening, wait for requests in flight (at most @p drain_ms milliseconds),
 *        close connections. Idempotent.
 */
KGR_API void kgr_server_stop(kgr_server *server, unsigned int drain_ms);

/** @brief Stop (if running) and free. Accepts NULL. */
KGR_API void kgr_server_free(kgr_server *server);

/**
 * @brief Create the events table of a shared events database (kgr_server_options.events_db)
 *        when it does not exist yet.
 * @param url a PostgreSQL connection string.
 * @return 0; KGR_EIO (cannot connect, or the statement failed: the message says why).
 */
KGR_API int kgr_db_init(const char *url);

/** A table of the shop's own used as the events log (kgr_server_options.events_table). */
typedef struct {
	unsigned int version;
	const char *table;     /**< "shop.events", as SQL names it; NULL: kgrec's own table */
	const char *columns;   /**< "id=event_id,user=customer,..." (kgr_server_options.events_columns) */
	const char *time_unit; /**< "s" or "ms" for an integer time column, else NULL */
	/** More action names for the table's rows (kgr_server_options.action_map), or NULL */
	const char *action_map;
} kgr_events_map;

/* 2: action_map (a map of version 1 is still taken, without one) */
#define KGR_EVENTS_MAP_VERSION 2
#define KGR_EVENTS_MAP_INIT { .version = KGR_EVENTS_MAP_VERSION }

/**
 * @brief kgr_db_init() for an events table of the shop's own: check that the table and its
 *        mapped columns exist with usable types, and install (again) the trigger through
 *        which inserts of any application take their ids in commit order and notify the
 *        replicas. Without @p map or its table, kgr_db_init().
 * @return 0; KGR_EINVALID (a bad mapping, a missing table or column, a column of an unusable
 *         type: the message names it and the type found); KGR_EIO.
 */
KGR_API int kgr_db_init_map(const char *url, const kgr_events_map *map);

/**
 * @brief Fold an events log into a new snapshot: the triples of @p store_path plus one RDF
 *        interaction event (kgr:Interaction) per logged event that the snapshot does not
 *        already hold, finalized and saved atomically at @p out_path. Events naming an item
 *        or an action the snapshot lacks are left out and counted: they are only in the log,
 *        which must be kept (an event logged "pending", for a new SKU, is matched again by
 *        name and code here, and counts once a snapshot has its item).
 * @param[out] n_events_out when set, receives the number of events added.
 * @param[out] n_skipped_out when set, receives the number of events left out.
 * @return 0; KGR_ENOTFOUND; KGR_ECORRUPT (damaged log line); KGR_EIO; KGR_EINVALID
 *         (@p out_path equals @p store_path); KGR_ENOMEM.
 */
KGR_API int kgr_server_compact(const char *store_path, const char *events_log, const char *out_path,
	size_t *n_events_out, size_t *n_skipped_out);

/**
 * @brief kgr_server_compact() from an events database whose events are in a table of the
 *        shop's own (@p map; NULL or without a table: kgrec's own table). Rows that can be
 *        no event (an empty column, an action name neither kgrec nor the map's action_map
 *        knows) are not counted.
 * @return the codes of kgr_server_compact() and of kgr_db_init_map() for the mapping;
 *         KGR_EPARSE (a malformed action map: the message names its file and line).
 */
KGR_API int kgr_server_compact_map(const char *store_path, const char *events_log,
	const kgr_events_map *map, const char *out_path, size_t *n_events_out, size_t *n_skipped_out);

#ifdef __cplusplus
}
#endif
#endif
