/* The console's files compiled into the binary (cmake/embed_assets.cmake writes the table
 * from console/ and examples/queries/). Not installed. */
#ifndef KGREC_SERVER_CONSOLE_ASSETS_H
#define KGREC_SERVER_CONSOLE_ASSETS_H

#include <stddef.h>

typedef struct {
	const char *name;          /* path in the source tree: "console/app.js" */
	const unsigned char *data; /* NUL-terminated */
	size_t len;                /* without the NUL */
} kgr__asset;

extern const kgr__asset kgr__console_assets[];
extern const size_t kgr__console_asset_count;

#endif
