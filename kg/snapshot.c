/* Snapshot files: the finalized store's arrays, as they are in memory, in one file.
 *
 * Layout: a 64-byte header (magic "KGRSNAP\0", format version, section count, payload length,
 * checksum), then sections (u32 tag, u32 element size, u64 byte length, data padded to 8
 * bytes). Opening reads the file into one buffer, checks every length and the checksum, and
 * points the store's arrays into the buffer: nothing is parsed or rebuilt. Writing goes to a
 * temporary file in the same directory, fsync, rename, fsync of the directory. */
#include "kg/store_internal.h"
#include "kg/snapshot_check.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_MAGIC "KGRSNAP"
#define SNAP_VERSION 3u /* 2: term table slots hold hash << 32 | id; 3: the table 85%
                            * full, slots by multiplication, no per-term hashes,
                            * 8-byte term records (offsets per block of ids, lengths from
                            * the next offset), interaction counts for the items only,
                            * labels for the labelled terms only (a bit per term) */
#define HEADER_SIZE 64

enum {
	SEC_TERMS = 1, SEC_KINDS, SEC_HASHES /* format 2 only */, SEC_BLOB, SEC_TABLE, SEC_QUADS, SEC_POS, SEC_OSP,
	SEC_GRAPHS, SEC_LABELS, SEC_FLAGS, SEC_POP, SEC_INTER, SEC_USERS, SEC_USEROFF, SEC_ITEMS,
	SEC_PREFIXES, SEC_EXTRA, SEC_TERM_BASE, SEC_LABEL_BITS, SEC_LABEL_RANK, SEC__END
};

typedef struct {
	uint32_t tag, elem;
	uint64_t len;
	const void *data;
} section;

typedef struct {
	uint32_t tag, elem;
	uint64_t len;
} section_header;

/* The sections of a store, in file order. extra_blob receives the live-event IRIs (freed by
 * the caller). */
static size_t store_sections(const kgr_store *s, section *sec, char **extra_blob)
{
	size_t n = 0, i, elen = 0, n_extra = kgr__extra_count(s);
	char *eb = NULL;
	size_t nt = s->n_terms + 1, nb = ((s->n_terms + 1) >> KGR__TERM_BLOCK_BITS) + 1;
#define ADD(t, ptr, count, size) \
	sec[n++] = (section){ (t), (uint32_t)(size), (uint64_t)(count) * (size), (ptr) }
	ADD(SEC_TERMS, s->terms, nt + 1, sizeof(kgr__term)); /* and the end of the last term */
	ADD(SEC_KINDS, s->kinds, nt, 1);
	ADD(SEC_BLOB, s->blob, s->blob_len, 1);
	ADD(SEC_TABLE, s->table, s->table_cap, sizeof(uint64_t));
	ADD(SEC_QUADS, s->quads, s->n_quads, sizeof(kgr_quad));
	ADD(SEC_POS, s->pos, s->n_quads, sizeof(uint32_t));
	ADD(SEC_OSP, s->osp, s->n_quads, sizeof(uint32_t));
	ADD(SEC_GRAPHS, s->graphs, s->n_graphs, sizeof(kgr_id));
	ADD(SEC_LABELS, s->labels, s->n_labels, sizeof(uint32_t));
	ADD(SEC_FLAGS, s->flags, nt, 1);
	ADD(SEC_POP, s->pop, s->n_items, sizeof(uint32_t));
	ADD(SEC_INTER, s->inter, s->n_inter, sizeof(kgr_interaction));
	ADD(SEC_USERS, s->users, s->n_users, sizeof(kgr_id));
	ADD(SEC_USEROFF, s->user_off, s->n_users + 1, sizeof(uint64_t));
	ADD(SEC_ITEMS, s->items, s->n_items, sizeof(kgr_id));
	ADD(SEC_PREFIXES, s->prefixes.s, s->prefixes.len, 1);
	for (i = 0; i < n_extra; i++)
		elen += strlen(kgr__extra_value(s, i)) + 1;
	if (elen) {
		eb = malloc(elen);
		if (eb) {
			char *p = eb;
			for (i = 0; i < n_extra; i++) {
				size_t l = strlen(kgr__extra_value(s, i)) + 1;
				memcpy(p, kgr__extra_value(s, i), l);
				p += l;
			}
		} else {
			elen = 0;
		}
	}
	ADD(SEC_EXTRA, eb, elen, 1);
	ADD(SEC_TERM_BASE, s->term_base, nb, sizeof(uint64_t));
	ADD(SEC_LABEL_BITS, s->label_bits, kgr__label_words(s->n_terms), sizeof(uint64_t));
	ADD(SEC_LABEL_RANK, s->label_rank, kgr__label_words(s->n_terms), sizeof(uint32_t));
#undef ADD
	*extra_blob = eb;
	return n;
}

static uint64_t chain(uint64_t h, const section_header *sh, const void *data)
{
	h = kgr__hash64(sh, sizeof(*sh), h);
	return sh->len ? kgr__hash64(data, sh->len, h) : h;
}

uint64_t kgr__store_compute_checksum(const kgr_store *s)
{
	section sec[SEC__END];
	char *eb;
	size_t n = store_sections(s, sec, &eb), i;
	uint64_t h = SNAP_VERSION;
	for (i = 0; i < n; i++) {
		section_header sh = { sec[i].tag, sec[i].elem, sec[i].len };
		h = chain(h, &sh, sec[i].data);
	}
	free(eb);
	return h;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int kgr_store_save(const kgr_store *s, const char *path)
{
	section sec[SEC__END];
	char *eb = NULL, *tmp = NULL, *dircopy = NULL;
	unsigned char header[HEADER_SIZE];
	size_t n, i;
	uint64_t payload = 0, h = SNAP_VERSION;
	static const char zeros[8] = { 0 };
	int fd = -1, error = 0;
	uint32_t v;

	if (!s->finalized)
		return kgr__error_set(KGR_EINVALID, "cannot save a store that is not finalized");
	n = store_sections(s, sec, &eb);
	for (i = 0; i < n; i++) {
		section_header sh = { sec[i].tag, sec[i].elem, sec[i].len };
		h = chain(h, &sh, sec[i].data);
		payload += sizeof(sh) + ((sec[i].len + 7) & ~(uint64_t)7);
	}
	memset(header, 0, sizeof(header));
	memcpy(header, SNAP_MAGIC, 8);
	v = SNAP_VERSION;
	memcpy(header + 8, &v, 4);
	v = (uint32_t)n;
	memcpy(header + 12, &v, 4);
	memcpy(header + 16, &payload, 8);
	memcpy(header + 24, &h, 8);

	tmp = malloc(strlen(path) + 16);
	if (!tmp) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	sprintf(tmp, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		error = kgr__error_set(KGR_EIO, "%s: cannot create a temporary file next to it: %s", path,
			strerror(errno));
		goto cleanup;
	}
	if (write_all(fd, header, sizeof(header)) < 0)
		goto io_error;
	for (i = 0; i < n; i++) {
		section_header sh = { sec[i].tag, sec[i].elem, sec[i].len };
		if (write_all(fd, &sh, sizeof(sh)) < 0 || (sec[i].len && write_all(fd, sec[i].data, sec[i].len) < 0) ||
			write_all(fd, zeros, ((sec[i].len + 7) & ~(uint64_t)7) - sec[i].len) < 0)
			goto io_error;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto io_error;
	if (close(fd) < 0) {
		fd = -1;
		goto io_error;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto io_error;
	dircopy = strdup(path);
	if (dircopy) {
		int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	((kgr_store *)s)->checksum = h;
	((kgr_store *)s)->checksum_valid = 1;
	kgr__snapshot_written(h);
	goto cleanup;
io_error:
	error = kgr__error_set(KGR_EIO, "%s: cannot write the snapshot: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
cleanup:
	free(eb);
	free(tmp);
	free(dircopy);
	return error;
}

/* Element size of each section, as this version writes it. */
static const uint32_t elem_size[SEC__END] = {
	[SEC_TERMS] = sizeof(kgr__term), [SEC_KINDS] = 1, [SEC_HASHES] = 4, [SEC_BLOB] = 1,
	[SEC_TABLE] = 8, [SEC_QUADS] = sizeof(kgr_quad), [SEC_POS] = 4, [SEC_OSP] = 4,
	[SEC_GRAPHS] = sizeof(kgr_id), [SEC_LABELS] = 4, [SEC_FLAGS] = 1, [SEC_POP] = 4,
	[SEC_INTER] = sizeof(kgr_interaction), [SEC_USERS] = sizeof(kgr_id), [SEC_USEROFF] = 8,
	[SEC_ITEMS] = sizeof(kgr_id), [SEC_PREFIXES] = 1, [SEC_EXTRA] = 1, [SEC_TERM_BASE] = 8,
	[SEC_LABEL_BITS] = 8, [SEC_LABEL_RANK] = 4,
};

static int corrupt(const char *path, const char *what)
{
	return kgr__error_set(KGR_ECORRUPT, "%s: not a valid kgrec snapshot: %s", path, what);
}

/* The snapshot's buffer is aligned for huge pages and asks for them (where the kernel gives
 * them on request: transparent huge pages in "madvise" mode). Each SPARQL query runs in a
 * forked child (sparql/sparql_child.c) whose first touch of each page of the store costs a
 * walk of page tables made for it; on a virtual machine that shadows the guest's page tables
 * that walk traps to the hypervisor, and a query that reads 7,000 pages of the 1M store's
 * index paid about 30 ms for it. A 2 MiB page stands for 512 of them. */
#define SNAP_ALIGN ((size_t)2 << 20)

static void huge_pages(void *buf, size_t len)
{
#ifdef MADV_HUGEPAGE
	if (len >= SNAP_ALIGN)
		madvise(buf, len & ~(SNAP_ALIGN - 1), MADV_HUGEPAGE);
#else
	(void)buf;
	(void)len;
#endif
}

/* The whole file at @p path into a 2 MiB aligned buffer (*buf, caller frees) with its
 * status in *st: KGR_ENOTFOUND, KGR_EIO (a directory too), KGR_ECORRUPT (shorter than the
 * header), KGR_ENOMEM. */
static int read_whole(const char *path, unsigned char **bufp, struct stat *stp)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	int fd, error = 0;

	*bufp = NULL;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return kgr__error_set(errno == ENOENT ? KGR_ENOTFOUND : KGR_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return kgr__error_set(KGR_EIO, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
	}
	if ((size_t)st.st_size < HEADER_SIZE) {
		close(fd);
		return corrupt(path, st.st_size == 0 ? "empty file" : "shorter than the header (truncated?)");
	}
	if (posix_memalign((void **)&buf, SNAP_ALIGN, (size_t)st.st_size) != 0) {
		close(fd);
		return kgr__error_set(KGR_ENOMEM, "%s: out of memory (%lld bytes)", path, (long long)st.st_size);
	}
	huge_pages(buf, (size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			error = kgr__error_set(KGR_EIO, "%s: read failed: %s", path, r < 0 ? strerror(errno) : "short read");
			close(fd);
			free(buf);
			return error;
		}
		got += (size_t)r;
	}
	close(fd);
	*bufp = buf;
	*stp = st;
	return 0;
}

/* The store's arrays point into the snapshot's sections, which it then owns. */
static void point_at_sections(kgr_store *s, const void *const *ptr, const uint64_t *len)
{
	s->n_terms = len[SEC_TERMS] / sizeof(kgr__term) - 2;
	s->terms = (kgr__term *)ptr[SEC_TERMS];
	s->term_base = (uint64_t *)ptr[SEC_TERM_BASE];
	s->kinds = (uint8_t *)ptr[SEC_KINDS];
	s->hashes = NULL; /* the table's slots hold them */
	s->blob = (char *)ptr[SEC_BLOB];
	s->blob_len = len[SEC_BLOB];
	s->table = (uint64_t *)ptr[SEC_TABLE];
	s->table_cap = len[SEC_TABLE] / sizeof(uint64_t);
	s->quads = (kgr_quad *)ptr[SEC_QUADS];
	s->n_quads = len[SEC_QUADS] / sizeof(kgr_quad);
	s->pos = (uint32_t *)ptr[SEC_POS];
	s->osp = (uint32_t *)ptr[SEC_OSP];
	s->graphs = (kgr_id *)ptr[SEC_GRAPHS];
	s->n_graphs = len[SEC_GRAPHS] / sizeof(kgr_id);
	s->labels = (uint32_t *)ptr[SEC_LABELS];
	s->n_labels = len[SEC_LABELS] / sizeof(uint32_t);
	s->label_bits = (uint64_t *)ptr[SEC_LABEL_BITS];
	s->label_rank = (uint32_t *)ptr[SEC_LABEL_RANK];
	s->flags = (uint8_t *)ptr[SEC_FLAGS];
	s->pop = (uint32_t *)ptr[SEC_POP];
	s->inter = (kgr_interaction *)ptr[SEC_INTER];
	s->n_inter = len[SEC_INTER] / sizeof(kgr_interaction);
	s->users = (kgr_id *)ptr[SEC_USERS];
	s->n_users = len[SEC_USERS] / sizeof(kgr_id);
	s->user_off = (uint64_t *)ptr[SEC_USEROFF];
	s->items = (kgr_id *)ptr[SEC_ITEMS];
	s->n_items = len[SEC_ITEMS] / sizeof(kgr_id);
	s->prefixes.s = (char *)ptr[SEC_PREFIXES];
	s->prefixes.len = len[SEC_PREFIXES];
}

/* How many NUL-terminated strings @p len bytes at @p p hold. */
static size_t count_strings(const char *p, size_t len)
{
	const char *end = p + len;
	size_t k;
	for (k = 0; p < end; k++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z)
			break;
		p = z + 1;
	}
	return k;
}

/* The header checked against the file before anything in it is trusted: the magic number,
 * this format version, the payload length. Gives the section count and the checksum. */
static int check_header(const char *path, const unsigned char *buf, const struct stat *st,
	uint32_t *n_sec, uint64_t *sum)
{
	uint32_t version;
	uint64_t payload;

	if (memcmp(buf, SNAP_MAGIC, 8) != 0)
		return corrupt(path, "bad magic number (is this a snapshot written by 'kgrec load'?)");
	memcpy(&version, buf + 8, 4);
	memcpy(n_sec, buf + 12, 4);
	memcpy(&payload, buf + 16, 8);
	memcpy(sum, buf + 24, 8);
	if (version != SNAP_VERSION)
		return kgr__error_set(KGR_EVERSION,
			"%s: snapshot format version %u; this kgrec reads version %u: load the RDF again with 'kgrec load'",
			path, version, SNAP_VERSION);
	if (payload != (uint64_t)st->st_size - HEADER_SIZE) {
		char what[160];
		snprintf(what, sizeof(what), "truncated or padded: header says %llu bytes of data, file has %llu",
			(unsigned long long)payload, (unsigned long long)((uint64_t)st->st_size - HEADER_SIZE));
		return corrupt(path, what);
	}
	return 0;
}

/* The section table walked: every section inside the file with this version's element size,
 * the checksum chained over them equal to the header's, none missing. ptr and len receive
 * each known section's data and length; unknown tags are skipped. */
static int index_sections(const char *path, const unsigned char *buf, const struct stat *st,
	uint32_t n_sec, uint64_t sum, const void **ptr, uint64_t *len)
{
	size_t off = HEADER_SIZE;
	uint64_t h = SNAP_VERSION;
	uint32_t i;

	for (i = 0; i < n_sec; i++) {
		section_header sh;
		if (off + sizeof(sh) > (size_t)st->st_size)
			return corrupt(path, "section table runs past the end");
		memcpy(&sh, buf + off, sizeof(sh));
		off += sizeof(sh);
		if (sh.len > (uint64_t)st->st_size - off)
			return corrupt(path, "a section runs past the end");
		h = chain(h, &sh, buf + off);
		if (sh.tag > 0 && sh.tag < SEC__END && sh.elem != elem_size[sh.tag])
			return corrupt(path, "a section's element size is not this version's");
		if (sh.tag > 0 && sh.tag < SEC__END) {
			ptr[sh.tag] = buf + off;
			len[sh.tag] = sh.len;
		}
		off += (sh.len + 7) & ~(uint64_t)7;
	}
	if (h != sum)
		return corrupt(path, "checksum mismatch (the file is damaged)");
	for (i = 1; i < SEC__END; i++)
		if (!ptr[i] && i != SEC_HASHES)
			return corrupt(path, "a section is missing");
	return 0;
}

/* The live-event IRIs saved with the store, interned again (the first that fails ends it). */
static void reload_extra(kgr_store *s, const char *p, uint64_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		if (!z || !kgr_store_intern_extra(s, p))
			break;
		p = z + 1;
	}
}

int kgr_store_open(kgr_store **out, const char *path)
{
	kgr_store *s = NULL;
	struct stat st;
	unsigned char *buf = NULL;
	uint32_t n_sec = 0;
	uint64_t sum = 0;
	int error = 0;
	const void *ptr[SEC__END] = { 0 };
	uint64_t len[SEC__END] = { 0 };

	*out = NULL;
	memset(&st, 0, sizeof(st));
	kgr_init();
	if ((error = read_whole(path, &buf, &st)) < 0)
		return error;
	if ((error = check_header(path, buf, &st, &n_sec, &sum)) < 0 ||
		(error = index_sections(path, buf, &st, n_sec, sum, ptr, len)) < 0)
		goto cleanup;
	s = calloc(1, sizeof(*s));
	if (!s) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	pthread_mutex_init(&s->extra_lock, NULL);
	s->snap = buf;
	s->snap_len = (size_t)st.st_size;
	s->finalized = 1;
	point_at_sections(s, ptr, len);
	s->checksum = sum;
	s->checksum_valid = 1;
	/* structural checks that a checksum cannot give: sizes agree with each other */
	if (len[SEC_TERMS] < 2 * sizeof(kgr__term) || len[SEC_KINDS] != s->n_terms + 1 ||
		len[SEC_TERM_BASE] != (((s->n_terms + 1) >> KGR__TERM_BLOCK_BITS) + 1) * 8 ||
		len[SEC_POP] != s->n_items * 4 ||
		len[SEC_LABEL_BITS] != kgr__label_words(s->n_terms) * 8 ||
		len[SEC_LABEL_RANK] != kgr__label_words(s->n_terms) * 4 || len[SEC_FLAGS] != s->n_terms + 1 ||
		len[SEC_POS] != s->n_quads * 4 || len[SEC_OSP] != s->n_quads * 4 ||
		len[SEC_USEROFF] != (s->n_users + 1) * 8 ||
		s->table_cap != kgr__table_final_size(s->n_terms)) {
		buf = NULL; /* owned by s now */
		error = corrupt(path, "section sizes disagree");
		goto cleanup;
	}
	/* a file this process did not write is checked id by id before anything reads it */
	if (!kgr__snapshot_written_here(sum) && (error = kgr__snapshot_check(s, path)) < 0) {
		buf = NULL;
		goto cleanup;
	}
	/* same-time events in the order they were loaded: a file saved while such ties went by
	 * item id gets that order from its event ids (a linear pass when there is nothing to do) */
	kgr__interactions_load_order(s->inter, s->n_inter);
	s->n_prefixes = count_strings(s->prefixes.s, s->prefixes.len) / 2;
	buf = NULL;
	if ((error = kgr__rebuild_prefix_ptrs(s)) < 0)
		goto cleanup;
	reload_extra(s, ptr[SEC_EXTRA], len[SEC_EXTRA]);
	*out = s;
	return 0;
cleanup:
	free(buf);
	kgr_store_free(s);
	return error;
}
