/* Helpers shared by the test suites. */
#ifndef KGREC_TESTUTIL_H
#define KGREC_TESTUTIL_H

#include <check.h>
#include <stddef.h>

#include "kgrec/store.h"

/* Path of a fixture under tests/data (static buffer per call slot, 8 slots). */
const char *kgr_test_data(const char *rel);
/* A fresh temporary directory for this process; returns its path joined with name. */
const char *kgr_test_tmp(const char *name);
/* Build a finalized store from RDF fixtures (NULL-terminated) and an optional CSV; aborts the
 * test on failure via ck_abort. */
kgr_store *kgr_test_store(const char *csv, ...);
/* Run a shell command; capture stdout (and stderr when merge) into a malloc'd string. */
char *kgr_test_run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run a suite (CK_NORMAL: each test forked unless CK_FORK=no); the exit status: 0 when
 * every test passed, else 1. */
int kgr_test_run_suite(Suite *suite);
/* Read a whole file (malloc'd, NUL-terminated) or NULL. */
char *kgr_test_slurp(const char *path, size_t *len);

#endif
