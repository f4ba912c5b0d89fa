/* The processes SPARQL queries run in: what the one-off child of each query
 * (sparql/sparql_child.c) and the reused query processes (sparql/sparql_pool.c) share.
 * Internal, not installed. */
#ifndef KGREC_SPARQL_CHILD_H
#define KGREC_SPARQL_CHILD_H

#include "sparql/sparql_result.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* GCC 12's AddressSanitizer and ThreadSanitizer runtimes are not fork-safe: a child forked
 * while another thread is inside malloc (or inside the runtime's own bookkeeping) can wait
 * forever on one of the runtime's locks (glibc's malloc takes its locks across fork; the
 * sanitizers only do from LLVM 18). In a sanitizer build, queries therefore fork one at a
 * time, and a child found waiting on a futex (it has one thread: nothing can wake it) is
 * killed and the query forked again. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KGR__SERIAL_FORKS 1
#else
#define KGR__SERIAL_FORKS 0
#endif

/** Held across each fork in a sanitizer build (KGR__SERIAL_FORKS). */
extern pthread_mutex_t kgr__sparql_serial_lock;

/** A query in flight in a process, for kgr__sparql_cancel_all(). */
typedef struct kgr__sparql_running {
	struct kgr__sparql_running *next;
	pid_t pid;
	int cancelled;
} kgr__sparql_running;

void kgr__sparql_running_add(kgr__sparql_running *r);
/** Off the list (before the process is reaped, so that no pid is killed after reuse);
 *  returns 1 when kgr__sparql_cancel_all() killed it. */
int kgr__sparql_running_remove(kgr__sparql_running *r);

/** The result, or the error, as bytes on the pipe (same machine and build). 0, or -1 when
 *  the write failed. */
int kgr__sparql_wire_result(FILE *f, const kgr_sparql_result *r);
int kgr__sparql_wire_error(FILE *f, int code, const char *message);
/** The result or the error that @p data holds: 0 with *out set, the error's code (set as
 *  the last error), or 1 when the bytes are incomplete. */
int kgr__sparql_unwire(kgr_sparql_result **out, const char *data, size_t len);

/** In a query process just forked: dies with the thread that forked it, every signal
 *  unblocked, only @p fd kept open, the address-space cap, text as UTF-8, the librdf lock
 *  free again. Exits when @p parent is gone already. */
void kgr__sparql_child_setup(int fd, pid_t parent);
/** Bytes this process maps now (0 when unknown). */
uint64_t kgr__sparql_mapped_bytes(void);
/** In a query process: at most CHILD_MEMORY_MB more address space than it maps now. */
void kgr__sparql_memory_cap(void);
/** In a query process: CPU time up to what it used so far plus @p timeout_ms and 2 s;
 *  0: as much as the hard limit allows. */
void kgr__sparql_cpu_cap(unsigned int timeout_ms);
/** 1 when the single-threaded process @p pid waits in futex(2): no thread can wake it. */
int kgr__sparql_child_stuck(pid_t pid);

int64_t kgr__sparql_now_ms(void);
#define KGR__WAIT_DEADLINE (-2)
/** Waits for @p fd to be readable until @p deadline (kgr__sparql_now_ms(); 0: none; at most
 *  200 ms at a time in a sanitizer build): 1 readable, 0 not yet, -1 poll() failed,
 *  KGR__WAIT_DEADLINE when the deadline has passed. */
int kgr__sparql_wait(int fd, int64_t deadline);
/** What a query process's end by signal @p sig most likely was. */
const char *kgr__sparql_signal_name(int sig);

/** Queries rasqal has evaluated in this process (rasqal_query_execute() calls). A reused
 *  query process is reused only after queries it did not count (sparql/sparql.c). */
extern unsigned long kgr__sparql_rasqal_runs;

/**
 * Run the query in a reused query process of @p store (sparql/sparql_pool.c): 0 or an
 * error code as kgr_sparql_query(); 1 when no such process is ready (the caller starts a
 * process of its own, and the pool readies one for the next query).
 */
int kgr__sparql_pool_query(kgr_sparql_result **out, const kgr_store *store, const char *query,
	const kgr_sparql_options *opts);

#endif
