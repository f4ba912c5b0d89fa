/* The process-wide librdf world and the kgrec storage module. Internal, not installed.
 *
 * librdf, rasqal and raptor are not thread-safe: every object of theirs is created, used
 * and freed between kgr__rdf_lock() and kgr__rdf_unlock(). */
#ifndef KGREC_KG_RDF_WORLD_H
#define KGREC_KG_RDF_WORLD_H

#include <redland.h>

#include "kg/internal.h"

/** Name under which the storage module is registered with librdf. */
#define KGR_RDF_STORAGE_NAME "kgrec"

/**
 * Take the process-wide lock and return the librdf world, creating it on first use
 * (logger installed, storage module registered). Clears the captured log.
 * Returns NULL with the lock released and an error set when the world cannot be made.
 */
librdf_world *kgr__rdf_lock(void);
/** Release the lock taken by kgr__rdf_lock(). */
void kgr__rdf_unlock(void);
/** In a child process forked while the parent held kgr__rdf_lock(): the world is whole
 *  (no thread was inside librdf) and is the child's own copy; the lock is made free again. */
void kgr__rdf_after_fork_child(void);

/** Captured log since kgr__rdf_lock(): the first error, its line and column (-1 if unknown). */
typedef struct {
	int errors, warnings;
	int line, column;
	char message[512];
} kgr_rdf_log;

/** The log captured since the lock was taken (valid while it is held). */
const kgr_rdf_log *kgr__rdf_log(void);
/** Forget what was captured. */
void kgr__rdf_log_reset(void);

/** Log handler for raptor and rasqal worlds: records into the captured log. */
void kgr__rdf_raptor_log(void *user_data, raptor_log_message *message);

/**
 * A librdf storage over a finalized store (world locked). Read-only; the default graph of
 * find_statements is the union of all graphs, each triple once; contexts are the named
 * graphs. The store must outlive the storage. Free with librdf_free_storage().
 */
librdf_storage *kgr__rdf_storage_new(librdf_world *world, const kgr_store *store);

/** The store under a storage made by kgr__rdf_storage_new() (only for those). */
const kgr_store *kgr__rdf_storage_store(librdf_storage *storage);

/** librdf node for a store term (world locked); NULL for an invalid id. */
librdf_node *kgr__rdf_node_from_id(librdf_world *world, const kgr_store *store, kgr_id id);

/** Store id of a librdf node, or 0 when the store does not have it. */
kgr_id kgr__rdf_id_from_node(const kgr_store *store, librdf_node *node);

/** Store id of a literal: as given, and a plain literal also as xsd:string (and back). */
kgr_id kgr__store_literal_id(const kgr_store *store, const char *lex, size_t len, const char *lang,
	const char *datatype);

#define KGR_XSD "http://www.w3.org/2001/XMLSchema#"

#endif
