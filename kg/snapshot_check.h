/* Validation of a snapshot's contents before use (kg/snapshot_check.c). */
#ifndef KGREC_KG_SNAPSHOT_CHECK_H
#define KGREC_KG_SNAPSHOT_CHECK_H

#include "kg/store_internal.h"

#include <stdint.h>

/** Check every id, offset and count of a store whose arrays point into a snapshot just read
 *  from @p path (named in the message). Complexity: O(file size).
 *  @return 0; KGR_ECORRUPT naming the first thing wrong; KGR_ENOMEM. */
int kgr__snapshot_check(const kgr_store *s, const char *path);

/** Record that this process wrote a snapshot with this checksum (kgr_store_save()). */
void kgr__snapshot_written(uint64_t checksum);

/** Whether this process wrote a snapshot with this checksum: such a file is opened without
 *  kgr__snapshot_check(). */
int kgr__snapshot_written_here(uint64_t checksum);

#endif
