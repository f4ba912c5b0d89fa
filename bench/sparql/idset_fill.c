/* What filling a query's id set costs in fresh memory, and what a page fault costs here:
 * the time to touch N MiB of fresh anonymous memory in 4 KiB pages and in 2 MiB huge pages
 * (advised), then an id set of PAIRS pairs (kgr__idset_add(), sparql/sparql_bgp.c) filled
 * three times in one process. Build and run: bench/sparql/idset_fill.sh BUILD [PAIRS] [MIB]. */
#include "sparql/sparql_bgp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Milliseconds to write one byte in every 4 KiB of @p mib fresh MiB, huge pages or not. */
static double touch(size_t mib, int huge)
{
	size_t len = mib << 20, i;
	unsigned char *p = mmap(NULL, len + ((size_t)2 << 20), PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *a;
	double t;
	if (p == MAP_FAILED)
		return -1;
	a = (unsigned char *)(((uintptr_t)p + ((size_t)2 << 20) - 1) & ~(uintptr_t)(((size_t)2 << 20) - 1));
	madvise(a, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	t = now_ms();
	for (i = 0; i < len; i += 4096)
		a[i] = 1;
	t = now_ms() - t;
	munmap(p, len + ((size_t)2 << 20));
	return t;
}

int main(int argc, char **argv)
{
	size_t pairs = argc > 1 ? strtoul(argv[1], NULL, 10) : 80000;
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 64;
	int rep;
	double t4 = touch(mib, 0), t2 = touch(mib, 1);
	printf("fresh memory, %zu MiB: 4 KiB pages %.2f ms (%.2f us a page), 2 MiB pages %.2f ms "
	       "(%.1f us a huge page)\n", mib, t4, t4 * 1e3 / (double)(mib * 256), t2,
		t2 * 1e3 / (double)(mib / 2));
	for (rep = 1; rep <= 3; rep++) {
		kgr__idset s;
		size_t i, at;
		double t;
		memset(&s, 0, sizeof(s));
		s.width = 2;
		t = now_ms();
		for (i = 0; i < pairs; i++) {
			kgr_id tuple[2] = { (kgr_id)(1000000 + (i / 4) * 37), (kgr_id)(5000 + (i % 4) * 13 + i % 7) };
			if (kgr__idset_add(&s, tuple, &at) < 0)
				return 1;
		}
		t = now_ms() - t;
		printf("id set of %zu pairs, fill %d: %.2f ms (%zu slots)\n", s.n, rep, t, s.cap);
		kgr__idset_free(&s);
	}
	return 0;
}
