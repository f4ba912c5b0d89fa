/* Snapshot editing for tests: the layout of kg/snapshot.c (64-byte header: magic, version,
 * section count, payload length, checksum; then per section u32 tag, u32 element size, u64
 * length, data padded to 8 bytes), and its checksum chain. */
#include "snapshot/helper_snapshot_edit.h"

#include "kg/internal.h"

#include <stdio.h>
#include <string.h>

#define HEADER_SIZE 64

typedef struct {
	uint32_t tag, elem;
	uint64_t len;
} sec_header;

int kgr_test_snapshot_sections(kgr_test_section *out, size_t max, const unsigned char *buf, size_t len)
{
	uint32_t n_sec, i;
	size_t off = HEADER_SIZE;
	if (len < HEADER_SIZE || memcmp(buf, "KGRSNAP", 8) != 0)
		return -1;
	memcpy(&n_sec, buf + 12, 4);
	if (n_sec > max)
		return -1;
	for (i = 0; i < n_sec; i++) {
		sec_header sh;
		if (off + sizeof(sh) > len)
			return -1;
		memcpy(&sh, buf + off, sizeof(sh));
		off += sizeof(sh);
		if (sh.len > len - off)
			return -1;
		out[i] = (kgr_test_section){ sh.tag, sh.elem, off, (size_t)sh.len };
		off += (size_t)((sh.len + 7) & ~(uint64_t)7);
	}
	return (int)n_sec;
}

int kgr_test_snapshot_rechecksum(unsigned char *buf, size_t len)
{
	kgr_test_section sec[64];
	uint32_t version;
	uint64_t h;
	int n = kgr_test_snapshot_sections(sec, 64, buf, len), i;
	if (n < 0)
		return -1;
	memcpy(&version, buf + 8, 4);
	h = version;
	for (i = 0; i < n; i++) {
		sec_header sh = { sec[i].tag, sec[i].elem, sec[i].len };
		h = kgr__hash64(&sh, sizeof(sh), h);
		if (sec[i].len)
			h = kgr__hash64(buf + sec[i].off, sec[i].len, h);
	}
	memcpy(buf + 24, &h, 8);
	return 0;
}

int kgr_test_write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;
	if (!f)
		return -1;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}
