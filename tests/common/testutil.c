#define _XOPEN_SOURCE 700 /* nftw() */
#include "testutil.h"

#include <check.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *kgr_test_data(const char *rel)
{
	static char bufs[8][4096];
	static int slot;
	char *b = bufs[slot++ & 7];
	snprintf(b, 4096, "%s/%s", KGR_TEST_DATA, rel);
	return b;
}

static char tmp_dir[256];
static pid_t tmp_owner;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The directory goes with the process that made it (a test forked after it keeps it for
 * that process); KGR_TEST_KEEP=1 keeps it to look at. */
static void remove_tmp_dir(void)
{
	const char *keep = getenv("KGR_TEST_KEEP");
	if (getpid() != tmp_owner || (keep && *keep && strcmp(keep, "0") != 0))
		return;
	nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *kgr_test_tmp(const char *name)
{
	static char bufs[8][512];
	static int slot;
	char *b;
	if (!tmp_dir[0]) {
		snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/kgrec-test-XXXXXX");
		if (!mkdtemp(tmp_dir))
			abort();
		tmp_owner = getpid();
		atexit(remove_tmp_dir);
	}
	b = bufs[slot++ & 7];
	snprintf(b, 512, "%s/%s", tmp_dir, name);
	return b;
}

kgr_store *kgr_test_store(const char *csv, ...)
{
	kgr_store *s = NULL;
	va_list ap;
	const char *f;
	int rc = kgr_store_new(&s, 1);
	ck_assert_msg(rc == 0, "kgr_store_new: %s", kgr_error_last());
	va_start(ap, csv);
	while ((f = va_arg(ap, const char *)) != NULL) {
		rc = kgr_store_load_rdf(s, kgr_test_data(f), NULL, NULL);
		ck_assert_msg(rc == 0, "load %s: %s", f, kgr_error_last());
	}
	va_end(ap);
	if (csv) {
		kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
		o.user_base = "http://shop.example.org/user/";
		o.item_base = "http://shop.example.org/";
		rc = kgr_store_load_interactions(s, kgr_test_data(csv), &o);
		ck_assert_msg(rc == 0, "load %s: %s", csv, kgr_error_last());
	}
	rc = kgr_store_finalize(s);
	ck_assert_msg(rc == 0, "finalize: %s", kgr_error_last());
	return s;
}

char *kgr_test_run(int *status, const char *fmt, ...)
{
	char cmd[8192], *out = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	va_list ap;
	int c;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "popen %s", cmd);
	while ((c = fgetc(p)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 4096;
			out = realloc(out, cap);
			ck_assert(out != NULL);
		}
		out[len++] = (char)c;
	}
	if (!out)
		out = calloc(1, 1);
	else
		out[len] = '\0';
	c = pclose(p);
	if (status)
		*status = WIFEXITED(c) ? WEXITSTATUS(c) : -1;
	return out;
}

char *kgr_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return b;
}

int kgr_test_run_suite(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
