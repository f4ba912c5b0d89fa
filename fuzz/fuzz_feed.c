/* libFuzzer target: a product feed (header, delimiters, RFC 4180 quoting, prices, category
 * paths, enumerations, URLs) loaded into a store through its N-Triples, then finalized. */
#include "kgrec/store.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

/* The input file goes when the fuzzer ends. */
static void remove_file(void)
{
	remove(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kgr_init();
	snprintf(path, sizeof(path), "/tmp/kgrec-fuzz-feed-%ld.csv", (long)getpid());
	atexit(remove_file);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kgr_feed_options o = KGR_FEED_OPTIONS_INIT;
	kgr_store *s = NULL;
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) {
		fclose(f);
		return 0;
	}
	fclose(f);
	o.skip_bad_rows = size && (data[0] & 1);
	if (kgr_store_new(&s, 0) == 0 && kgr_store_load_product_feed(s, path, &o) == 0)
		kgr_store_finalize(s);
	kgr_store_free(s);
	return 0;
}
