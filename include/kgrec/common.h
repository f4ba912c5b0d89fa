/**
 * @file common.h
 * @brief Error codes, the per-thread error message, library initialisation.
 */
#ifndef KGREC_COMMON_H
#define KGREC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KGR_VERSION_STRING "0.1.0"

/** Marks the library's public functions: the shared library exports these and nothing else
 *  (it is built with -fvisibility=hidden). */
#if defined(__GNUC__) || defined(__clang__)
#define KGR_API __attribute__((visibility("default")))
#else
#define KGR_API
#endif

/** Return codes. 0 is success; errors are negative. Only ever appended. */
enum {
	KGR_OK = 0,
	KGR_ERROR = -1,      /**< generic failure */
	KGR_ENOTFOUND = -2,  /**< a named thing (file, term, user, item) does not exist */
	KGR_EINVALID = -3,   /**< an argument or a value is out of range or malformed */
	KGR_EPARSE = -4,     /**< input could not be parsed (RDF, CSV, SPARQL, JSON) */
	KGR_EUPSTREAM = -5,  /**< a remote service answered with an error */
	KGR_ETIMEOUT = -6,   /**< a deadline passed */
	KGR_ENOMEM = -7,     /**< out of memory */
	KGR_EIO = -8,        /**< reading or writing a file failed */
	KGR_ECORRUPT = -9,   /**< a file is damaged (checksum, truncation) */
	KGR_EVERSION = -10,  /**< a file was written by another format version */
	KGR_EUNSUPPORTED = -11 /**< the operation is not supported */
};

/** Integer id of an interned RDF term. 0 means "no term" / wildcard. */
typedef uint32_t kgr_id;

/**
 * @brief The message of the last error on this thread.
 * @return a NUL-terminated string owned by the library, valid until the next failing call
 *         on the same thread; "" when no error was recorded.
 */
KGR_API const char *kgr_error_last(void);

/** @brief The code of the last error on this thread (0 when none). */
KGR_API int kgr_error_last_code(void);

/** @brief Forget the last error on this thread. */
KGR_API void kgr_error_clear(void);

/**
 * @brief Initialise the library (igraph error handler, RNG seed). Idempotent and cheap;
 *        every entry point that needs it calls it, so calling it is optional.
 */
KGR_API void kgr_init(void);

#ifdef __cplusplus
}
#endif
#endif
