/* libFuzzer target: RDF text into a store. The first byte picks the syntax (kgrec's own
 * N-Triples and N-Quads reader, or Turtle through raptor); a store that loads is finalized,
 * so closures and derived tables run on whatever was read. */
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
	static const char *const formats[] = { "ntriples", "nquads", "turtle" };
	kgr_store *s = NULL;
	if (size < 1)
		return 0;
	if (kgr_store_new(&s, 0) < 0)
		return 0;
	if (kgr_store_load_rdf_buffer(s, (const char *)data + 1, size - 1, formats[data[0] % 3],
		    "http://fuzz.example.org/", "fuzz") == 0)
		kgr_store_finalize(s);
	kgr_store_free(s);
	return 0;
}
