/* kgr_server_compact(): fold an events log into a new snapshot with the public store API.
 * The snapshot is copied into a loading store (kgr_store_new_from(): its terms, prefixes and
 * asserted quads in every graph; the inferred graph is derived again by finalize), each logged
 * event not already in the snapshot is written as N-Triples of a kgr:Interaction node exactly
 * like kgr_store_load_interactions() writes one (same hashed event IRI, so the same event twice
 * is one event) and parsed into it, and the store is finalized and saved atomically. */
#include "server/internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	const kgr_store *base;
	kgr__item_index *items; /* the snapshot's products by name and code, for pending events */
	FILE *f;
	const char *log;
	size_t added, duplicates, skipped;
	int64_t first_skipped, last_id; /* database ids: the first event left out, the last read */
} compact_ctx;

static int iri_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || strchr("<>\"{}|^`\\", *s))
			return 0;
	return 1;
}

/* One logged event into the new snapshot's text (or counted as a duplicate or skipped);
 * @p where names it in messages ("line 3", "event 1207"). */
static int compact_event(compact_ctx *c, kgr__event ev, const char *where)
{
	char tiso[40], wbuf[64], hbuf[4096], ebuf[64];
	kgr_id u, it, a;
	uint64_t h;
	int n;
	if (!iri_ok(ev.user) || !iri_ok(ev.action) || (!ev.pending && !iri_ok(ev.item)))
		return kgr__error_set(KGR_ECORRUPT, "events log %s: %s: a malformed event", c->log, where);
	if (ev.pending) {
		int kind = kgr__event_item(c->base, &c->items, ev.item, &it);
		if (kind < 0)
			return kgr__error_set(KGR_ENOMEM, "compact: out of memory");
		if (kind != KGR__EVITEM_FOUND)
			it = 0;
		else
			ev.item = kgr_term_value(c->base, it, NULL);
	} else {
		it = kgr_store_iri(c->base, ev.item);
	}
	a = kgr_store_iri(c->base, ev.action);
	if (!it || !kgr_store_is_item(c->base, it) || !a) {
		/* the catalog dropped the item since the event was logged, or does not have it
		 * yet (a pending event): the event stays in the log only */
		c->skipped++;
		return 1;
	}
	u = kgr_store_iri(c->base, ev.user);
	if (u) {
		kgr_interaction in = { u, it, a, 0, ev.time, (float)ev.weight };
		if (kgr__event_in_snapshot(c->base, &in)) {
			c->duplicates++;
			return 0;
		}
	}
	kgr__format_time(ev.time, tiso, sizeof(tiso));
	n = snprintf(hbuf, sizeof(hbuf), "%s\t%s\t%s\t%s", ev.user, ev.item, tiso, ev.action);
	if (n < 0 || (size_t)n >= sizeof(hbuf))
		return kgr__error_set(KGR_ECORRUPT, "events log %s: %s: IRIs too long", c->log, where);
	h = kgr__hash64(hbuf, (size_t)n, 0x6b677265);
	snprintf(ebuf, sizeof(ebuf), "urn:kgrec:event:%016llx", (unsigned long long)h);
	snprintf(wbuf, sizeof(wbuf), "%.17g", ev.weight);
	if (!strpbrk(wbuf, ".eni"))
		strcat(wbuf, ".0");
	fprintf(c->f,
		"<%s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" KGR_NS "Interaction> .\n"
		"<%s> <" KGR_NS "user> <%s> .\n"
		"<%s> <" KGR_NS "item> <%s> .\n"
		"<%s> <" KGR_NS "action> <%s> .\n"
		"<%s> <" KGR_NS "time> \"%s\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n"
		"<%s> <" KGR_NS "weight> \"%s\"^^<http://www.w3.org/2001/XMLSchema#double> .\n"
		"<%s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <" KGR_NS "User> .\n",
		ebuf, ebuf, ev.user, ebuf, ev.item, ebuf, ev.action, ebuf, tiso, ebuf, wbuf, ev.user);
	c->added++;
	return 0;
}

static int compact_line(const cJSON *events, size_t line_no, void *payload)
{
	compact_ctx *c = payload;
	const cJSON *e;
	char where[32];
	snprintf(where, sizeof(where), "line %zu", line_no);
	cJSON_ArrayForEach(e, events) {
		kgr__event ev;
		int r;
		if (kgr__wal_event(&ev, e) < 0)
			return kgr__error_set(KGR_ECORRUPT, "events log %s: %s: a malformed event", c->log,
				where);
		if ((r = compact_event(c, ev, where)) < 0)
			return r;
	}
	return 0;
}

/* An event of the events database (kgr__pg_each()): the snapshot's mark stays below the
 * first event it cannot take, so replicas on it still replay that one. */
static int compact_row(const kgr__event *ev, int64_t id, void *payload)
{
	compact_ctx *c = payload;
	char where[40];
	int r;
	snprintf(where, sizeof(where), "event %lld", (long long)id);
	if ((r = compact_event(c, *ev, where)) < 0)
		return r;
	if (r == 1 && !c->first_skipped)
		c->first_skipped = id;
	c->last_id = id;
	return 0;
}

/* The events of the log file or database (its table kgrec's own or @p map's) into the text
 * of the new snapshot. */
static int read_events(compact_ctx *c, const char *events_log, const kgr_events_map *map)
{
	uint64_t good;
	size_t torn = 0;
	int64_t mark;
	if (!kgr__is_db_url(events_log)) {
		if (map && map->table)
			return kgr__error_set(KGR_EINVALID, "compact: an events table is for an events "
				"database (postgresql://...), not the file %s", events_log);
		if (access(events_log, R_OK) != 0)
			return kgr__error_set(errno == ENOENT ? KGR_ENOTFOUND : KGR_EIO, "events log %s: %s",
				events_log, strerror(errno));
		return kgr__wal_read(events_log, compact_line, c, &good, &torn, NULL);
	}
	c->log = "(database)";
	mark = kgr__pg_mark(c->base);
	if (kgr__pg_each(events_log, map, c->base, mark, compact_row, c) < 0)
		return kgr_error_last_code();
	if ((c->first_skipped ? c->first_skipped - 1 : c->last_id) <= mark)
		return 0; /* the snapshot's own mark stands */
	mark = c->first_skipped ? c->first_skipped - 1 : c->last_id;
	fprintf(c->f, "<" KGR__PG_MARK_NODE "> <" KGR__PG_MARK_PRED "> \"%lld\"^^"
		"<http://www.w3.org/2001/XMLSchema#integer> .\n", (long long)mark);
	return 0;
}

int kgr_server_compact(const char *store_path, const char *events_log, const char *out_path,
	size_t *n_events_out, size_t *n_skipped_out)
{
	return kgr_server_compact_map(store_path, events_log, NULL, out_path, n_events_out,
		n_skipped_out);
}

int kgr_server_compact_map(const char *store_path, const char *events_log,
	const kgr_events_map *map, const char *out_path, size_t *n_events_out, size_t *n_skipped_out)
{
	kgr_store *base = NULL, *ns = NULL;
	compact_ctx c;
	char *text = NULL;
	size_t text_len = 0;
	struct stat s1, s2;
	int error;

	kgr_init();
	memset(&c, 0, sizeof(c));
	if (!strcmp(store_path, out_path) ||
		(stat(store_path, &s1) == 0 && stat(out_path, &s2) == 0 && s1.st_ino == s2.st_ino &&
			s1.st_dev == s2.st_dev))
		return kgr__error_set(KGR_EINVALID, "compact: the output %s is the input snapshot; write "
			"a new file and swap it in with a reload", out_path);
	if ((error = kgr_store_open(&base, store_path)) < 0)
		return error;
	if (!(c.f = open_memstream(&text, &text_len))) {
		error = kgr__error_set(KGR_ENOMEM, "compact: out of memory");
		goto cleanup;
	}
	c.base = base;
	c.log = events_log;
	if ((error = read_events(&c, events_log, map)) < 0)
		goto cleanup;
	if (fclose(c.f) != 0) {
		c.f = NULL;
		error = kgr__error_set(KGR_ENOMEM, "compact: out of memory");
		goto cleanup;
	}
	c.f = NULL;
	if ((error = kgr_store_new_from(&ns, base)) < 0)
		goto cleanup;
	if (text_len && (error = kgr_store_load_rdf_buffer(ns, text, text_len, "ntriples", NULL, events_log)) < 0)
		goto cleanup;
	if ((error = kgr_store_finalize(ns)) < 0 || (error = kgr_store_save(ns, out_path)) < 0)
		goto cleanup;
	if (n_events_out)
		*n_events_out = c.added;
	if (n_skipped_out)
		*n_skipped_out = c.skipped;
	error = 0;
cleanup:
	if (c.f)
		fclose(c.f);
	free(text);
	kgr__item_index_free(c.items);
	kgr_store_free(ns);
	kgr_store_free(base);
	return error;
}
