/* libFuzzer target: an interactions CSV (header, delimiters, quoting, timestamps and their
 * units, action names, weights, IRIs and local names, items matched against a small catalog)
 * loaded into a store, then finalized into the interaction table. */
#include "kgrec/store.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

/* Products the items of the log are matched against: by local name, SKU, product id, GTIN. */
static const char catalog[] =
	"@prefix s: <http://schema.org/> .\n"
	"<http://shop.example/p/1> a s:Product ; s:sku \"SKU-1\" ; s:gtin13 \"0012345678905\" .\n"
	"<http://shop.example/p/2> a s:Product ; <https://schema.org/productID> \"P2\" .\n"
	"<http://other.example/p/2> a s:Product ; s:sku \"SKU-1\" .\n";

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
	snprintf(path, sizeof(path), "/tmp/kgrec-fuzz-csv-%ld.csv", (long)getpid());
	atexit(remove_file);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
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
	o.strict_items = size && (data[0] & 2);
	o.time_unit = size ? (kgr_time_unit)((data[0] >> 2) & 3) : KGR_TIME_UNIT_AUTO;
	if (kgr_store_new(&s, 0) == 0 &&
		kgr_store_load_rdf_buffer(s, catalog, sizeof(catalog) - 1, "turtle", NULL, "catalog") == 0 &&
		kgr_store_load_interactions(s, path, &o) == 0)
		kgr_store_finalize(s);
	kgr_store_free(s);
	return 0;
}
