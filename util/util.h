/* The library's utilities (util/): errors, growable strings, whole-file reads, hashing and
 * random numbers. The bottom layer: it uses only the public error codes. Not installed. */
#ifndef KGREC_UTIL_UTIL_H
#define KGREC_UTIL_UTIL_H

#include "kgrec/common.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/** Set the per-thread error message and return @p code. */
int kgr__error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Prefix the current message with "prefix: " and return the current code. */
int kgr__error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** A growable, NUL-terminated string (util/buf.c). Zero-initialise; after a failed allocation
 *  oom is set and further appends do nothing. */
typedef struct {
	char *s;
	size_t len, cap;
	int oom;
} kgr__buf;

void kgr__buf_put(kgr__buf *b, const char *s, size_t n);
void kgr__buf_puts(kgr__buf *b, const char *s);
void kgr__buf_printf(kgr__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kgr__buf_vprintf(kgr__buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** Append; 0, or KGR_ENOMEM with the message set. */
int kgr__buf_append(kgr__buf *b, const void *data, size_t len);
/** Returns the string (caller frees) or NULL after an allocation failure. */
char *kgr__buf_take(kgr__buf *b);
void kgr__buf_free(kgr__buf *b);

/** The whole file at path, NUL-terminated, through *out (caller frees) and its length through
 *  *len_out (may be NULL). KGR_ENOTFOUND ("<path>: cannot open <what>: <reason>"),
 *  a directory too; KGR_EIO, KGR_ENOMEM. */
int kgr__read_file(char **out, size_t *len_out, const char *path, const char *what);

/** Advise the kernel to back the pages of a large array (at least 4 MiB; smaller ones are
 *  left alone) with transparent huge pages: a page fault then maps 2 MiB instead of 4 KiB,
 *  and random access into the array misses the TLB less. Only advice: nothing changes where
 *  the system has no such pages or refuses (util/mem.c). */
void kgr__advise_huge(void *p, size_t len);

/** @p size bytes, zeroed, for a large transient table that is filled at random (a hash
 *  table): from 512 KiB up, in whole 2 MiB pages aligned to 2 MiB and advised as huge
 *  pages, so that filling it costs one page fault per 2 MiB rather than 512 (on a virtual
 *  machine that shadows page tables, each costs tens of microseconds). Freed with free();
 *  NULL when out of memory (util/mem.c). */
void *kgr__huge_calloc(size_t size);

/** The processors online, at least 1 and at most @p max: the default number of threads. */
int kgr__cpu_count(int max);

/** A fixed set of threads running one function on every worker index together (util/pool.c).
 *  kgr__pool_run(p, fn, arg) calls fn(arg, w) for every w in 0 .. n - 1, w 0 on the caller,
 *  and returns when all have returned. Should a thread fail to start, the caller makes its
 *  calls after its own, so what the calls compute depends on n alone. One run at a time. */
typedef struct kgr__pool kgr__pool;
int kgr__pool_new(kgr__pool **out, int n, const char *name);
void kgr__pool_run(kgr__pool *p, void (*fn)(void *arg, int w), void *arg);
int kgr__pool_size(const kgr__pool *p);
void kgr__pool_free(kgr__pool *p);

/** Names the calling thread (at most 15 bytes), as top -H, ps -L and perf show it: nothing
 *  where the system has no names. */
void kgr__thread_name(const char *name);

/** 64-bit hash of a byte string (fast, not cryptographic). */
uint64_t kgr__hash64(const void *data, size_t len, uint64_t seed);

/** Next number of a xorshift64* generator (Vigna 2016) whose non-zero state is *state. */
uint64_t kgr__rng_next(uint64_t *state);

/** Return KGR_EINVALID from the calling function, naming @p what, when the options struct at
 *  @p opts is not of the version this library was built with (every versioned struct). */
#define KGR__CHECK_VERSION(opts, expected, what) KGR__CHECK_VERSIONS(opts, expected, expected, what)

/** KGR__CHECK_VERSION() for a struct that still takes its older versions, from @p oldest (their
 *  new members read as unset). */
#define KGR__CHECK_VERSIONS(opts, oldest, expected, what)                                       \
	do {                                                                                   \
		if ((opts)->version < (unsigned)(oldest) || (opts)->version > (unsigned)(expected)) \
			return kgr__error_set(KGR_EINVALID, "%s: options version %u, expected %u", \
				(what), (opts)->version, (unsigned)(expected));                 \
	} while (0)

#endif
