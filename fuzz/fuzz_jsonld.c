/* libFuzzer target: a JSON-LD document into a store (kg/jsonld.c: contexts, IRI expansion,
 * value objects, lists, the bundled schema.org context); a store that loads is finalized. */
#include "kgrec/store.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kgr_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kgr_store *s = NULL;
	if (kgr_store_new(&s, 0) < 0)
		return 0;
	if (kgr_store_load_rdf_buffer(s, (const char *)data, size, "jsonld", "http://fuzz.example.org/",
		    "fuzz") == 0)
		kgr_store_finalize(s);
	kgr_store_free(s);
	return 0;
}
