/* The events log: one JSON line per accepted batch,
 *   {"batch":N,"events":[{"user":IRI,"item":IRI,"action":IRI,"time":SECONDS,"weight":W},...]}
 * (an event whose item the snapshot did not have holds the item as written and "pending":true)
 * appended with one write() and made durable with fdatasync() before the HTTP reply. A batch is
 * one line, so a crash can only ever leave a torn LAST line (never acknowledged): reading drops
 * it, reports it, and opening for append cuts it off so the next line starts clean. */
#include "server/internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kgr__wal_event(kgr__event *out, const cJSON *obj)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(obj, "user");
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(obj, "item");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "action");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "time");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(obj, "weight");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "pending");
	if ((p && !cJSON_IsBool(p)) || !cJSON_IsString(u) || !cJSON_IsString(i) || !cJSON_IsString(a) || !cJSON_IsNumber(t) ||
		!cJSON_IsNumber(w) || !isfinite(w->valuedouble))
		return KGR_ECORRUPT;
	out->user = u->valuestring;
	out->item = i->valuestring;
	out->action = a->valuestring;
	out->time = (int64_t)t->valuedouble;
	out->weight = w->valuedouble;
	out->pending = cJSON_IsTrue(p);
	return 0;
}

int kgr__wal_read(const char *path, kgr__wal_cb cb, void *payload, uint64_t *good_len_out,
	size_t *torn_out, size_t *lines_out)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, line_no = 0;
	ssize_t n;
	uint64_t good = 0;
	int error = 0;

	*good_len_out = 0;
	*torn_out = 0;
	if (lines_out)
		*lines_out = 0;
	f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return kgr__error_set(KGR_EIO, "events log %s: %s", path, strerror(errno));
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		cJSON *root, *events;
		int complete = line[n - 1] == '\n';
		line_no++;
		root = complete ? cJSON_ParseWithLength(line, (size_t)n) : NULL;
		events = root ? cJSON_GetObjectItemCaseSensitive(root, "events") : NULL;
		if (!cJSON_IsArray(events)) {
			/* Torn only when nothing follows; a bad line in the middle is damage. */
			int c = fgetc(f);
			cJSON_Delete(root);
			if (c == EOF) {
				*torn_out = (size_t)n;
				break;
			}
			error = kgr__error_set(KGR_ECORRUPT, "events log %s: line %zu is damaged "
				"(not a JSON batch of events) and is not the last line", path, line_no);
			goto cleanup;
		}
		if (cb) {
			error = cb(events, line_no, payload);
			if (error < 0) {
				cJSON_Delete(root);
				goto cleanup;
			}
		}
		cJSON_Delete(root);
		good += (uint64_t)n;
		if (lines_out)
			(*lines_out)++;
	}
	if (ferror(f))
		error = kgr__error_set(KGR_EIO, "events log %s: %s", path, strerror(errno));
cleanup:
	*good_len_out = good;
	free(line);
	fclose(f);
	return error;
}

/* A new log's directory entry must be durable too, or a power cut could lose the file. */
static void sync_parent_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int dfd;
	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

int kgr__wal_open(int *fd_out, const char *path, uint64_t good_len)
{
	struct stat st;
	int existed = access(path, F_OK) == 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return kgr__error_set(KGR_EIO, "events log %s: cannot open for appending: %s", path,
			strerror(errno));
	if (!existed)
		sync_parent_dir(path);
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > good_len) {
		if (ftruncate(fd, (off_t)good_len) != 0 || fdatasync(fd) != 0) {
			int e = errno;
			close(fd);
			return kgr__error_set(KGR_EIO, "events log %s: cannot cut the torn last line: %s",
				path, strerror(e));
		}
	}
	*fd_out = fd;
	return 0;
}

int kgr__wal_append(int fd, const char *line, size_t len)
{
	struct stat st;
	off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, line + off, len - off);
		if (w < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			/* Never leave half a line in front of the next batch. */
			if (before >= 0 && ftruncate(fd, before) != 0)
				e = errno;
			return kgr__error_set(KGR_EIO, "events log: write failed: %s", strerror(e));
		}
		off += (size_t)w;
	}
	if (fdatasync(fd) != 0)
		return kgr__error_set(KGR_EIO, "events log: fdatasync failed: %s", strerror(errno));
	return 0;
}
