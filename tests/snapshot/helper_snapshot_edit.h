/* Editing snapshot files in tests: change bytes inside a section, then make the checksum right
 * again, so that what is tested is the check of the contents, not the checksum. */
#ifndef KGREC_TEST_SNAPSHOT_EDIT_H
#define KGREC_TEST_SNAPSHOT_EDIT_H

#include <stddef.h>
#include <stdint.h>

/* One section of a snapshot file held in memory: its tag and where its data lies. */
typedef struct {
	uint32_t tag, elem;
	size_t off, len;
} kgr_test_section;

/* The sections of a snapshot in buf (at most max); returns how many, or -1 when the layout is
 * not a snapshot's. */
int kgr_test_snapshot_sections(kgr_test_section *out, size_t max, const unsigned char *buf, size_t len);

/* Recompute the header's checksum over the sections as they now are. 0, or -1 as above. */
int kgr_test_snapshot_rechecksum(unsigned char *buf, size_t len);

/* Write buf to path (replacing it). 0 or -1. */
int kgr_test_write_file(const char *path, const void *buf, size_t len);

#endif
