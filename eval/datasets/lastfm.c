/* Last.FM (HetRec 2011) with the Satori/Freebase KG of KGCN and the SisInfLab DBpedia mapping. */
#include "convert.h"

#include <stdlib.h>
#include <string.h>

#define BASE BASE_IRI "lastfm/"
#define NS_FREEBASE "http://rdf.freebase.com/ns/"
#define MAX_ID 100000000LL

/* A growable array of strings indexed by a non-negative integer id. */
typedef struct {
	char **v;
	size_t n;
} strmap;

static int strmap_set(strmap *m, long long id, const char *s)
{
	if (id < 0 || id > MAX_ID)
		return -1;
	if ((size_t)id >= m->n) {
		size_t n = (size_t)id * 2 + 1024;
		char **p = realloc(m->v, n * sizeof(*p));
		if (!p)
			return -1;
		memset(p + m->n, 0, (n - m->n) * sizeof(*p));
		m->v = p;
		m->n = n;
	}
	free(m->v[id]);
	m->v[id] = s ? strdup(s) : NULL;
	return (s && !m->v[id]) ? -1 : 0;
}

static const char *strmap_get(const strmap *m, long long id)
{
	return (id >= 0 && (size_t)id < m->n) ? m->v[id] : NULL;
}

static void strmap_free(strmap *m)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int by_iri(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	return strcmp(*x, *y);
}

typedef struct {
	strmap dbpedia; /* artistID -> DBpedia IRI, only when no other artist maps to it */
	strmap shared;  /* artistID -> DBpedia IRI that several artists map to */
	strmap entity;  /* KG entity id -> IRI of the artist it stands for */
} lastfm;

static void artist_iri(const lastfm *l, long long id, char *out, size_t size)
{
	const char *d = strmap_get(&l->dbpedia, id);
	if (d)
		snprintf(out, size, "%s", d);
	else
		snprintf(out, size, "%sartist/%lld", BASE, id);
}

static void entity_iri(const lastfm *l, long long id, char *out, size_t size)
{
	const char *a = strmap_get(&l->entity, id);
	if (a)
		snprintf(out, size, "%s", a);
	else
		snprintf(out, size, "%sentity/%lld", BASE, id);
}

/* The mapping: artistID name IRI. An IRI that several artists share ("Deadmau5 & Wolfgang
 * Gartner" and "Deadmau5") would merge distinct artists: those keep their own IRI and point to
 * DBpedia with rdfs:seeAlso instead. */
static int read_mapping(lastfm *l, const char *src)
{
	conv_reader r;
	char *line, *f[3];
	long long id;
	char **iris = NULL;
	size_t n = 0, cap = 0, i, j;
	strmap tmp = { 0 };
	int error = -1;
	if (conv_open(&r, src, "dbpedia_mapping/MappingLastfm2DBpedia-1.2.tsv") != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 3) != 3 || conv_long(f[0], &id) != 0) {
			conv_fail("%s:%ld: expected 'artistID<TAB>name<TAB>IRI'", r.path, r.line);
			goto cleanup;
		}
		if (strncmp(f[2], "http", 4) != 0) {
			conv_fail("%s:%ld: '%s' is not an IRI", r.path, r.line, f[2]);
			goto cleanup;
		}
		if (strmap_set(&tmp, id, f[2]) != 0)
			goto nomem;
		if (n == cap) {
			char **p = realloc(iris, (cap = cap ? cap * 2 : 4096) * sizeof(*p));
			if (!p)
				goto nomem;
			iris = p;
		}
		iris[n++] = tmp.v[id];
	}
	if (ferror(r.f))
		goto cleanup;
	qsort(iris, n, sizeof(*iris), by_iri);
	for (i = 0; i < tmp.n; i++) {
		const char *iri = tmp.v[i], **hit;
		size_t lo, hi;
		if (!iri)
			continue;
		hit = bsearch(&iri, iris, n, sizeof(*iris), by_iri);
		lo = hi = (size_t)(hit - (const char **)iris);
		while (lo > 0 && !strcmp(iris[lo - 1], iri))
			lo--;
		while (hi + 1 < n && !strcmp(iris[hi + 1], iri))
			hi++;
		j = hi - lo + 1;
		if (strmap_set(j == 1 ? &l->dbpedia : &l->shared, (long long)i, iri) != 0)
			goto nomem;
	}
	error = 0;
	goto cleanup;
nomem:
	conv_fail("out of memory");
cleanup:
	free(iris);
	strmap_free(&tmp);
	conv_close(&r);
	return error;
}

static int read_artists(lastfm *l, const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[4], iri[2048], *name;
	long long id;
	size_t i;
	if (conv_open(&r, src, "hetrec2011/artists.dat") != 0)
		return -1;
	conv_next(&r, NULL); /* header */
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 4) < 2 || conv_long(f[0], &id) != 0) {
			conv_fail("%s:%ld: expected 'id<TAB>name<TAB>url<TAB>pictureURL'", r.path, r.line);
			conv_close(&r);
			return -1;
		}
		artist_iri(l, id, iri, sizeof(iri));
		nt_iri(o, iri, RDF_TYPE, NS_KGR "Item");
		nt_iri(o, iri, RDF_TYPE, NS_SCHEMA "MusicGroup");
		nt_lit(o, iri, NS_SCHEMA "identifier", f[0], NULL, NULL);
		name = conv_utf8(f[1]);
		if (!name) {
			conv_close(&r);
			return conv_fail("out of memory");
		}
		nt_lit(o, iri, RDFS_LABEL, name, NULL, NULL);
		free(name);
		for (i = 2; i < 4; i++)
			if (f[i] && *f[i])
				nt_lit(o, iri, i == 2 ? NS_SCHEMA "url" : NS_SCHEMA "image", f[i], NS_XSD "anyURI", NULL);
		if (strmap_get(&l->shared, id))
			nt_iri(o, iri, NS_RDFS "seeAlso", strmap_get(&l->shared, id));
	}
	conv_close(&r);
	return 0;
}

/* item_index2entity_id.txt: artistID entity (CRLF). */
static int read_entities(lastfm *l, const char *src)
{
	conv_reader r;
	char *line, *f[2], iri[2048];
	long long id, e;
	if (conv_open(&r, src, "item_index2entity_id.txt") != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 2) != 2 || conv_long(f[0], &id) != 0 ||
			conv_long(f[1], &e) != 0) {
			conv_fail("%s:%ld: expected 'artistID<TAB>entityID'", r.path, r.line);
			conv_close(&r);
			return -1;
		}
		artist_iri(l, id, iri, sizeof(iri));
		if (strmap_set(&l->entity, e, iri) != 0) {
			conv_close(&r);
			return conv_fail("%s:%ld: entity id %lld out of range", r.path, r.line, e);
		}
	}
	conv_close(&r);
	return 0;
}

static int read_kg(lastfm *l, const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[3], h[2048], t[2048], p[1024];
	long long hid, tid;
	if (conv_open(&r, src, "kg.txt") != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 3) != 3 || conv_long(f[0], &hid) != 0 ||
			conv_long(f[2], &tid) != 0 || !*f[1] || strpbrk(f[1], " <>\"")) {
			conv_fail("%s:%ld: expected 'head<TAB>relation<TAB>tail'", r.path, r.line);
			conv_close(&r);
			return -1;
		}
		entity_iri(l, hid, h, sizeof(h));
		entity_iri(l, tid, t, sizeof(t));
		snprintf(p, sizeof(p), "%s%s", NS_FREEBASE, f[1]);
		nt_iri(o, h, p, t);
	}
	conv_close(&r);
	return 0;
}

static int read_listens(lastfm *l, const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[3], user[512], artist[2048];
	long long uid, aid;
	double w;
	if (conv_open(&r, src, "user_artists.dat") != 0)
		return -1;
	conv_next(&r, NULL); /* header */
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 3) != 3 || conv_long(f[0], &uid) != 0 ||
			conv_long(f[1], &aid) != 0 || conv_double(f[2], &w) != 0) {
			conv_fail("%s:%ld: expected 'userID<TAB>artistID<TAB>weight'", r.path, r.line);
			conv_close(&r);
			return -1;
		}
		snprintf(user, sizeof(user), "%suser/%lld", BASE, uid);
		artist_iri(l, aid, artist, sizeof(artist));
		/* HetRec gives listening counts without times: timestamp 0 means "unknown". */
		csv_row(o, user, artist, 0, NS_KGR "listen", w);
	}
	conv_close(&r);
	return 0;
}

static int read_tags(const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[2], iri[512], *label;
	long long id;
	if (conv_open(&r, src, "hetrec2011/tags.dat") != 0)
		return -1;
	conv_next(&r, NULL);
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 2) != 2 || conv_long(f[0], &id) != 0) {
			conv_fail("%s:%ld: expected 'tagID<TAB>tagValue'", r.path, r.line);
			conv_close(&r);
			return -1;
		}
		snprintf(iri, sizeof(iri), "%stag/%lld", BASE, id);
		label = conv_utf8(f[1]); /* tags.dat is ISO-8859-1 */
		if (!label) {
			conv_close(&r);
			return conv_fail("out of memory");
		}
		nt_lit(o, iri, RDFS_LABEL, label, NULL, NULL);
		free(label);
	}
	conv_close(&r);
	return 0;
}

/* user_taggedartists.dat: each row is a tagging event with its day; the artist gets the tag
 * (kgr:hasTag) and the event is written in RDF with the kgrec interaction vocabulary. */
static int read_taggings(lastfm *l, const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[6], user[512], artist[2048], tag[512], ev[1024], date[64];
	long long uid, aid, tid, d, m, y;
	if (conv_open(&r, src, "hetrec2011/user_taggedartists.dat") != 0)
		return -1;
	conv_next(&r, NULL);
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 6) != 6 || conv_long(f[0], &uid) != 0 ||
			conv_long(f[1], &aid) != 0 || conv_long(f[2], &tid) != 0 ||
			conv_long(f[3], &d) != 0 || conv_long(f[4], &m) != 0 || conv_long(f[5], &y) != 0 ||
			d < 1 || d > 31 || m < 1 || m > 12 || y < 1 || y > 9999) {
			conv_fail("%s:%ld: expected 'userID<TAB>artistID<TAB>tagID<TAB>day<TAB>month<TAB>year'",
				r.path, r.line);
			conv_close(&r);
			return -1;
		}
		snprintf(user, sizeof(user), "%suser/%lld", BASE, uid);
		artist_iri(l, aid, artist, sizeof(artist));
		snprintf(tag, sizeof(tag), "%stag/%lld", BASE, tid);
		snprintf(ev, sizeof(ev), "%stagging/%lld-%lld-%lld", BASE, uid, aid, tid);
		snprintf(date, sizeof(date), "%04lld-%02lld-%02lldT00:00:00Z", y, m, d);
		nt_iri(o, artist, NS_KGR "hasTag", tag);
		nt_iri(o, ev, RDF_TYPE, NS_KGR "Interaction");
		nt_iri(o, ev, NS_KGR "user", user);
		nt_iri(o, ev, NS_KGR "item", artist);
		nt_iri(o, ev, NS_KGR "action", NS_KGR "tag");
		nt_lit(o, ev, NS_KGR "time", date, NS_XSD "dateTime", NULL);
		nt_iri(o, ev, NS_KGR "hasTag", tag);
	}
	conv_close(&r);
	return 0;
}

static int read_friends(const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[2], a[512], b[512];
	long long x, y;
	if (conv_open(&r, src, "hetrec2011/user_friends.dat") != 0)
		return -1;
	conv_next(&r, NULL);
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split(line, '\t', f, 2) != 2 || conv_long(f[0], &x) != 0 || conv_long(f[1], &y) != 0) {
			conv_fail("%s:%ld: expected 'userID<TAB>friendID'", r.path, r.line);
			conv_close(&r);
			return -1;
		}
		snprintf(a, sizeof(a), "%suser/%lld", BASE, x);
		snprintf(b, sizeof(b), "%suser/%lld", BASE, y);
		nt_iri(o, a, NS_FOAF "knows", b);
	}
	conv_close(&r);
	return 0;
}

int conv_lastfm(const char *src, conv_out *o)
{
	lastfm l;
	int error = -1;
	memset(&l, 0, sizeof(l));
	if (read_mapping(&l, src) != 0 || read_artists(&l, src, o) != 0 ||
		read_entities(&l, src) != 0 || read_kg(&l, src, o) != 0 ||
		read_listens(&l, src, o) != 0 || read_tags(src, o) != 0 ||
		read_taggings(&l, src, o) != 0 || read_friends(src, o) != 0)
		goto cleanup;
	error = 0;
cleanup:
	strmap_free(&l.dbpedia);
	strmap_free(&l.shared);
	strmap_free(&l.entity);
	return error;
}
