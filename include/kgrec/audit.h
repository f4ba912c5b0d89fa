/**
 * @file audit.h
 * @brief The audit trail: an append-only log of every list shown, and its verification,
 *        replay, RDF export and HTML report.
 *
 * A log is a JSON Lines file: one record per list, each a JSON object on one line that starts
 * with the format version (`"v":1`). A record holds the request (id, time, user, every option),
 * the snapshot it was made on (its checksum), the candidate set with each generator's score,
 * the LLM exchanges when the LLM ranker ran (facts shown, rendered prompt or its hash, model and
 * parameters, the raw reply, what validation changed), and the final list with score parts,
 * rationales and evidence edges. Terms are written in N-Triples syntax (`<iri>`, `"lit"@en`,
 * `_:b`) so that an edge can be looked up in any store. Each section carries a digest so that
 * an edit made after writing is detected and named.
 *
 * Records are appended with one write() on a descriptor opened with O_APPEND: concurrent writers
 * (threads or processes) never interleave inside a record, and a crash leaves at most a
 * truncated last line, which readers report and skip.
 */
#ifndef KGREC_AUDIT_H
#define KGREC_AUDIT_H

#include "learned.h"
#include "llm.h"
#include "retrieval.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The record format version this library writes and reads. */
#define KGR_AUDIT_FORMAT_VERSION 1

typedef struct kgr_audit_log kgr_audit_log;

/** Options of kgr_audit_open(). */
typedef struct {
	unsigned int version;
	int fsync;        /**< 1: fsync() after each record (durable, slower) */
	int prompt_hash;  /**< 1: log each prompt's hash instead of its text */
} kgr_audit_options;

#define KGR_AUDIT_OPTIONS_VERSION 1
#define KGR_AUDIT_OPTIONS_INIT { .version = KGR_AUDIT_OPTIONS_VERSION }

/**
 * @brief Open (create when missing) an audit log for appending.
 * @param[out] out the log; close with kgr_audit_close().
 * @return 0; KGR_EIO (the message names the file and the reason); KGR_EINVALID (bad options).
 */
KGR_API int kgr_audit_open(kgr_audit_log **out, const char *path, const kgr_audit_options *opts);

/** @brief Close a log. Accepts NULL. */
KGR_API void kgr_audit_close(kgr_audit_log *log);

/** What one record is made of. Everything is borrowed for the duration of kgr_audit_write(). */
typedef struct {
	unsigned int version;
	const char *id;                  /**< request id; NULL: a new random one */
	int64_t time;                    /**< seconds since the epoch; 0: now */
	const char *store_path;          /**< the snapshot file, shown in the record (may be NULL) */
	kgr_id user;                     /**< 0 for an anonymous request */
	const char *user_text;           /**< the user as the caller named it, or NULL */
	const kgr_rec_options *rec;      /**< the options of kgr_recommend() */
	const char *graph_config;        /**< kgr_graph_options.config_path, or NULL */
	const char *weights_path;        /**< where rec->weights came from, or NULL */
	const kgr_recs *candidates;      /**< kgr_recommend()'s list, before any re-ranking */
	const kgr_llm_options *llm;      /**< NULL when the LLM ranker did not run */
	const kgr_llm_result *llm_result;
	const kgr_llm_trace *llm_trace;  /**< kgr_llm_rank_traced()'s exchanges, or NULL */
	const kgr_recs *final;           /**< the list shown (candidates itself when not re-ranked) */
	const kgr_model *model;          /**< the learned ranker that ordered the list, or NULL */
	const char *model_path;          /**< where it was read from, or NULL */
	/** where rec->sequence (the sequence model) was read from, or NULL; replay reads it */
	const char *sequence_path;
} kgr_audit_entry;

/* 2: sequence_path */
#define KGR_AUDIT_ENTRY_VERSION 2
#define KGR_AUDIT_ENTRY_INIT { .version = KGR_AUDIT_ENTRY_VERSION }

/**
 * @brief Append one record. Thread-safe: one write() per record.
 * @param id_out when set, receives the record's id (at least 65 bytes).
 * @return 0; KGR_EINVALID (no candidates, final list or options); KGR_EIO; KGR_ENOMEM.
 */
KGR_API int kgr_audit_write(kgr_audit_log *log, const kgr_store *store, const kgr_audit_entry *entry,
	char *id_out);

/** Severity of a finding. */
typedef enum {
	KGR_AUDIT_INFO = 0,    /**< worth saying (another snapshot, a skipped truncated line) */
	KGR_AUDIT_FAIL = 1     /**< the record does not hold */
} kgr_audit_severity;

/** One thing verification or replay found. */
typedef struct {
	kgr_audit_severity severity;
	size_t line;        /**< 1-based line of the log */
	char *id;           /**< the record's id, or NULL when it could not be read */
	char *field;        /**< the field at fault, as a path ("list[2].paths[0].edges[1]"), or NULL */
	char *message;
} kgr_audit_finding;

/** Outcome of kgr_audit_verify() or kgr_audit_replay(). */
typedef struct {
	size_t lines;            /**< non-empty lines read */
	size_t records;          /**< records checked */
	size_t passed;           /**< records without failure */
	size_t failed;           /**< records with at least one failure (refused ones included) */
	size_t truncated;        /**< records cut short by a write that did not finish, skipped
	                              (each is also a failure finding: the trail is incomplete) */
	size_t refused;          /**< records of another format version, refused */
	size_t other_snapshot;   /**< records made on a snapshot other than the store given */
	size_t edges_checked, edges_missing;
	size_t items_checked, items_foreign;     /**< items of lists, items outside the candidates */
	size_t citations_checked, citations_foreign; /**< cited facts, cited facts not given */
	size_t n_findings;
	kgr_audit_finding *findings;
} kgr_audit_result;

/** @brief Free a result. Accepts NULL. */
KGR_API void kgr_audit_result_free(kgr_audit_result *res);

/**
 * @brief Verify every record of a log against a store: every evidence edge and cited fact
 *        exists in the store, every cited fact was given in a prompt, every listed item was in
 *        the candidate set, the section digests match, the snapshot checksum matches (when it
 *        does not, the record is reported as made on another snapshot, with the edges gone
 *        since). A truncated record (a crash while writing) is reported and skipped, the rest
 *        verified; a record of a newer format version is refused by name.
 * @param[out] out the result; free with kgr_audit_result_free(). failed == 0 means it holds.
 * @return 0 (whatever was found); KGR_ENOTFOUND (no log); KGR_EIO; KGR_ENOMEM.
 */
KGR_API int kgr_audit_verify(kgr_audit_result **out, const char *log_path, const kgr_store *store);

/**
 * @brief Re-run records with their logged options on @p store and the logged LLM replies
 *        (nothing is sent anywhere): the candidates and the final list must come out the same.
 *        Each difference is a failure finding that shows both values.
 * @param id the record to replay, or NULL for all.
 * @return 0; KGR_ENOTFOUND (no log, or no record with that id); KGR_EIO; KGR_ENOMEM.
 */
KGR_API int kgr_audit_replay(kgr_audit_result **out, const char *log_path, const char *id,
	const kgr_store *store);

/**
 * @brief Write a log as RDF with PROV-O: each list a prov:Entity generated by a prov:Activity
 *        that used the snapshot, the model and the facts; each evidence edge an rdf:Statement.
 *        Vocabulary: see docs/AUDIT.md.
 * @param out an open stdio stream. @param format "turtle" or "ntriples".
 * @return 0; KGR_EINVALID (format); KGR_ENOTFOUND; KGR_EIO; KGR_EPARSE (no readable record).
 */
KGR_API int kgr_audit_export(const char *log_path, void *out, const char *format);

/**
 * @brief Write a self-contained HTML report: one section per list with the user's history,
 *        the items, rationales, validation notes and the evidence subgraph as inline SVG
 *        (drawn by Graphviz `dot`; without it the section says so and shows the edges as text).
 * @param store when set, gives labels (and the user's history); NULL: IRIs only.
 * @return 0; KGR_ENOTFOUND; KGR_EIO.
 */
KGR_API int kgr_audit_report_html(const char *log_path, const char *out_path, const kgr_store *store);

#ifdef __cplusplus
}
#endif
#endif
