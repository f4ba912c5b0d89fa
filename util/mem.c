/* What the machine offers: memory advice for the large arrays of loading and indexing (the
 * quads, the term table, the radix sorts' scratch), the processors to run threads on, and
 * names for those threads. */
#include "util/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

/* Below this an array is not worth a system call. */
#define HUGE_MIN ((size_t)4 << 20)

void kgr__advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	static size_t page;
	uintptr_t a, e;
	if (!p || len < HUGE_MIN)
		return;
	if (!page) {
		long ps = sysconf(_SC_PAGESIZE);
		page = ps > 0 ? (size_t)ps : 4096;
	}
	a = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
	e = ((uintptr_t)p + len) & ~(uintptr_t)(page - 1);
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE); /* advice only: an error changes nothing */
#else
	(void)p;
	(void)len;
#endif
}

/* From this size up, kgr__huge_calloc() gives whole 2 MiB pages. */
#define HUGE_CALLOC_MIN ((size_t)512 << 10)
#define HUGE_PAGE ((size_t)2 << 20)

void *kgr__huge_calloc(size_t size)
{
#ifdef MADV_HUGEPAGE
	size_t len = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	void *p;
	if (size < HUGE_CALLOC_MIN || len < size)
		return calloc(1, size ? size : 1);
	if (!(p = aligned_alloc(HUGE_PAGE, len)))
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE); /* advice only: an error changes nothing */
	memset(p, 0, size);
	return p;
#else
	return calloc(1, size ? size : 1);
#endif
}

int kgr__cpu_count(int max)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > max ? max : (int)n;
}

void kgr__thread_name(const char *name)
{
#ifdef __linux__
	(void)prctl(PR_SET_NAME, name, 0, 0, 0); /* a name is only a label: an error changes nothing */
#else
	(void)name;
#endif
}
