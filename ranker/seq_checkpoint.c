/* The sequence model's file:
 *
 *   KGREC-SEQ 1
 *   dims D max_len L blocks B heads H ff F items N params P
 *   store <snapshot checksum of the training store, 16 hex>
 *   items
 *   <IRI of dense item 0>
 *   ...                                  (N lines)
 *   weights
 *   <P float32, little-endian, in the order of kgr__seq_layout()>
 *   checksum <kgr__hash64 of every byte before this line, 16 hex>
 *
 * Written to a temporary file, synced and renamed; read back against a store, whose items
 * must be exactly the model's (by IRI). */
#include "ranker/seq_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "KGREC-SEQ "
#define FORMAT_VERSION 1
#define CHECKSUM_LINE 26 /* "checksum " + 16 hex + "\n" */

static int little_endian(void)
{
	const uint16_t one = 1;
	return *(const unsigned char *)&one == 1;
}

int kgr_seq_save(const kgr_seq_model *m, const char *path)
{
	const kgr__seq_dims *dm = &m->net->dims;
	kgr__buf b = { 0 };
	char *tmp = NULL, line[64];
	size_t i, len;
	FILE *f = NULL;
	int error = 0;

	if (!little_endian())
		return kgr__error_set(KGR_EUNSUPPORTED, "%s: sequence models are written little-endian",
			path);
	kgr__buf_printf(&b, "%s%d\n", MAGIC, FORMAT_VERSION);
	kgr__buf_printf(&b, "dims %d max_len %d blocks %d heads %d ff %d items %zu params %zu\n",
		dm->d, dm->max_len, dm->blocks, dm->heads, dm->ff, m->n_items, m->net->n_params);
	kgr__buf_printf(&b, "store %s\nitems\n", m->checksum);
	for (i = 0; i < m->n_items; i++)
		kgr__buf_printf(&b, "%s\n", m->iris[i]);
	kgr__buf_puts(&b, "weights\n");
	kgr__buf_append(&b, m->net->w, m->net->n_params * sizeof(float));
	kgr__buf_puts(&b, "\n");
	if (b.oom) {
		error = kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	len = b.len;
	snprintf(line, sizeof(line), "checksum %016" PRIx64 "\n", kgr__hash64(b.s, len, 0));
	kgr__buf_puts(&b, line);
	tmp = malloc(strlen(path) + 8);
	if (b.oom || !tmp) {
		error = kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	sprintf(tmp, "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f || fwrite(b.s, 1, b.len, f) != b.len || fflush(f) || fsync(fileno(f))) {
		error = kgr__error_set(KGR_EIO, "%s: cannot write the sequence model: %s", tmp,
			strerror(errno));
		if (f)
			fclose(f);
		f = NULL;
		unlink(tmp);
		goto cleanup;
	}
	if (fclose(f)) {
		f = NULL;
		error = kgr__error_set(KGR_EIO, "%s: cannot write the sequence model: %s", tmp,
			strerror(errno));
		unlink(tmp);
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		error = kgr__error_set(KGR_EIO, "%s: cannot rename to %s: %s", tmp, path,
			strerror(errno));
		unlink(tmp);
	}
cleanup:
	free(tmp);
	kgr__buf_free(&b);
	return error;
}

/* The line at *at (without its newline) in s[0 .. end); NULL when no newline is left. */
static char *next_line(char *s, size_t *at, size_t end)
{
	char *p = s + *at, *nl;
	if (*at >= end)
		return NULL;
	nl = memchr(p, '\n', end - *at);
	if (!nl)
		return NULL;
	*nl = 0;
	*at = (size_t)(nl - s) + 1;
	return p;
}

/* A model file being read: its lines are taken in turn from at, up to end, where the
 * checksum line starts. */
typedef struct {
	char *data;
	size_t at, end;
	const char *path;
} reader;

/* The file's frame is checked before any line is read, so that a damaged or foreign file is
 * named as such instead of as a parse error somewhere inside: the magic and format version,
 * the byte order of the weights, and the checksum line over everything before it. */
static int check_frame(size_t *end, unsigned long long *sum, const char *data, size_t len,
	const char *path)
{
	int version;

	if (len < strlen(MAGIC) || memcmp(data, MAGIC, strlen(MAGIC)))
		return kgr__error_set(KGR_EPARSE, "%s: not a kgrec sequence model", path);
	if (sscanf(data + strlen(MAGIC), "%d", &version) != 1)
		return kgr__error_set(KGR_EPARSE, "%s: no format version", path);
	if (version != FORMAT_VERSION)
		return kgr__error_set(KGR_EVERSION,
			"%s: sequence model format %d, this kgrec reads format %d", path, version,
			FORMAT_VERSION);
	if (!little_endian())
		return kgr__error_set(KGR_EUNSUPPORTED, "%s: sequence models are little-endian", path);
	if (len < CHECKSUM_LINE || memcmp(data + len - CHECKSUM_LINE, "checksum ", 9) ||
		data[len - 1] != '\n' ||
		sscanf(data + len - CHECKSUM_LINE + 9, "%16llx", sum) != 1)
		return kgr__error_set(KGR_ECORRUPT, "%s: truncated (no checksum line at the end)", path);
	*end = len - CHECKSUM_LINE;
	if ((uint64_t)*sum != kgr__hash64(data, *end, 0))
		return kgr__error_set(KGR_ECORRUPT, "%s: checksum mismatch (the file is damaged)", path);
	return 0;
}

/* The lines up to the item list. The dimensions must account for exactly the number of
 * weights the header announces, or the weights could not be laid out. */
static int read_header(kgr__seq_dims *dm, size_t *n_items, size_t *n_params, char *hex,
	reader *rd)
{
	const char *path = rd->path;
	char *line;
	int used = 0;

	next_line(rd->data, &rd->at, rd->end); /* the magic, checked with the frame */
	line = next_line(rd->data, &rd->at, rd->end);
	memset(dm, 0, sizeof(*dm));
	if (!line || sscanf(line, "dims %d max_len %d blocks %d heads %d ff %d items %zu params %zu%n",
		&dm->d, &dm->max_len, &dm->blocks, &dm->heads, &dm->ff, n_items, n_params, &used) != 7 ||
		line[used] || *n_items > (size_t)INT32_MAX)
		return kgr__error_set(KGR_EPARSE, "%s: bad header line", path);
	dm->n_items = (int)*n_items;
	if (kgr__seq_dims_check(dm) < 0 || *n_params != kgr__seq_layout(dm, NULL, NULL, NULL, NULL))
		return kgr__error_set(KGR_EPARSE, "%s: the header's dimensions do not add up", path);
	line = next_line(rd->data, &rd->at, rd->end);
	if (!line || sscanf(line, "store %16s", hex) != 1 || strlen(line) != 22)
		return kgr__error_set(KGR_EPARSE, "%s: bad store line", path);
	line = next_line(rd->data, &rd->at, rd->end);
	if (!line || strcmp(line, "items"))
		return kgr__error_set(KGR_EPARSE, "%s: no item list", path);
	return 0;
}

/* The model's items by IRI, each resolved in the store: the model scores dense item
 * indexes, so it is usable only on a store whose items are exactly the ones it was trained
 * on. */
static int read_items(kgr_seq_model *m, reader *rd, const kgr_store *store)
{
	const char *path = rd->path;
	size_t i, store_items;
	char *line;

	for (i = 0; i < m->n_items; i++) {
		kgr_id id;
		line = next_line(rd->data, &rd->at, rd->end);
		if (!line)
			return kgr__error_set(KGR_EPARSE, "%s: the item list ends after %zu of %zu items",
				path, i, m->n_items);
		if (!(m->iris[i] = strdup(line)))
			return kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
		id = kgr_store_iri(store, line);
		if (!id || !kgr_store_is_item(store, id))
			return kgr__error_set(KGR_EINVALID,
				"%s: the model's item %s is not an item of the store", path, line);
		m->items[i] = id;
	}
	kgr_store_items(store, &store_items);
	if (store_items != m->n_items)
		return kgr__error_set(KGR_EINVALID,
			"%s: the model knows %zu items, the store has %zu: train it on this store", path,
			m->n_items, store_items);
	return 0;
}

int kgr_seq_load(kgr_seq_model **out, const char *path, const kgr_store *store)
{
	kgr_seq_model *m = NULL;
	kgr__seq_dims dm;
	reader rd;
	char *data = NULL, *line, hex[17];
	size_t len, n_items = 0, n_params = 0, i;
	unsigned long long sum;
	int error;

	*out = NULL;
	if ((error = kgr__read_file(&data, &len, path, "sequence model")) < 0)
		return error;
	rd.data = data;
	rd.at = 0;
	rd.end = 0;
	rd.path = path;
	if ((error = check_frame(&rd.end, &sum, data, len, path)) < 0 ||
		(error = read_header(&dm, &n_items, &n_params, hex, &rd)) < 0)
		goto cleanup;
	m = calloc(1, sizeof(*m));
	error = KGR_ENOMEM; /* until each allocation below succeeds */
	if (!m)
		goto cleanup;
	m->n_items = n_items;
	memcpy(m->checksum, hex, sizeof(hex));
	snprintf(m->file_sum, sizeof(m->file_sum), "%016llx", sum);
	m->items = calloc(n_items ? n_items : 1, sizeof(*m->items));
	m->iris = calloc(n_items ? n_items : 1, sizeof(*m->iris));
	if (!m->items || !m->iris)
		goto cleanup;
	if ((error = read_items(m, &rd, store)) < 0)
		goto cleanup;
	line = next_line(data, &rd.at, rd.end);
	if (!line || strcmp(line, "weights") || rd.end - rd.at != n_params * sizeof(float) + 1 ||
		data[rd.end - 1] != '\n') {
		error = kgr__error_set(KGR_EPARSE, "%s: bad weights section", path);
		goto cleanup;
	}
	if (!(m->net = calloc(1, sizeof(*m->net))) ||
		!(m->net->w = malloc((n_params ? n_params : 1) * sizeof(float)))) {
		error = KGR_ENOMEM;
		goto cleanup;
	}
	m->net->dims = dm;
	m->net->n_params = n_params;
	memcpy(m->net->w, data + rd.at, n_params * sizeof(float));
	kgr__seq_layout(&dm, m->net->w, &m->net->p, NULL, NULL);
	if ((error = kgr__seq_model_index(m)) < 0)
		goto cleanup;
	for (i = 1; i < n_items; i++)
		if (m->sorted_ids[i] == m->sorted_ids[i - 1]) {
			error = kgr__error_set(KGR_EPARSE, "%s: an item is listed twice", path);
			goto cleanup;
		}
	*out = m;
	m = NULL;
	error = 0;
cleanup:
	if (error == KGR_ENOMEM)
		kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
	kgr_seq_free(m);
	free(data);
	return error;
}
