/* MovieLens latest-small: ratings (with timestamps), titles, genres, tags, links. */
#include "convert.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BASE BASE_IRI "ml-latest-small/"

/* Opens a CSV file and checks its header. */
static int open_csv(conv_reader *r, const char *src, const char *name, const char *header)
{
	char *line;
	if (conv_open(r, src, name) != 0)
		return -1;
	line = conv_next(r, NULL);
	if (!line || strcmp(line, header) != 0) {
		conv_fail("%s:1: expected the header '%s'", r->path, header);
		conv_close(r);
		return -1;
	}
	return 0;
}

static int bad_row(conv_reader *r, const char *what)
{
	conv_fail("%s:%ld: expected %s", r->path, r->line, what);
	conv_close(r);
	return -1;
}

static int read_movies(const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[3], movie[512], genre[1200], piece[1024], *g, *save;
	long long id;
	if (open_csv(&r, src, "movies.csv", "movieId,title,genres") != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split_csv(line, f, 3) != 3 || conv_long(f[0], &id) != 0)
			return bad_row(&r, "'movieId,title,genres'");
		snprintf(movie, sizeof(movie), "%smovie/%lld", BASE, id);
		nt_iri(o, movie, RDF_TYPE, NS_KGR "Item");
		nt_iri(o, movie, RDF_TYPE, NS_SCHEMA "Movie");
		nt_lit(o, movie, RDFS_LABEL, f[1], NULL, NULL);
		for (g = strtok_r(f[2], "|", &save); g; g = strtok_r(NULL, "|", &save)) {
			if (!strcmp(g, "(no genres listed)"))
				continue; /* the absence of a genre, not a genre */
			conv_iri_piece(piece, sizeof(piece), g);
			snprintf(genre, sizeof(genre), "%sgenre/%s", BASE, piece);
			nt_iri(o, movie, NS_SCHEMA "genre", genre);
			nt_lit(o, genre, RDFS_LABEL, g, NULL, NULL);
		}
	}
	conv_close(&r);
	return 0;
}

static int read_links(const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[3], movie[512], url[512];
	long long id, x;
	int n;
	if (open_csv(&r, src, "links.csv", "movieId,imdbId,tmdbId") != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		n = conv_split_csv(line, f, 3);
		if (n < 2 || conv_long(f[0], &id) != 0 || conv_long(f[1], &x) != 0 ||
			(n == 3 && *f[2] && conv_long(f[2], &x) != 0))
			return bad_row(&r, "'movieId,imdbId,tmdbId'");
		snprintf(movie, sizeof(movie), "%smovie/%lld", BASE, id);
		snprintf(url, sizeof(url), "https://www.imdb.com/title/tt%s/", f[1]);
		nt_iri(o, movie, NS_RDFS "seeAlso", url);
		if (n == 3 && *f[2]) {
			snprintf(url, sizeof(url), "https://www.themoviedb.org/movie/%s", f[2]);
			nt_iri(o, movie, NS_RDFS "seeAlso", url);
		}
	}
	conv_close(&r);
	return 0;
}

static int read_ratings(const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[4], user[512], movie[512];
	long long uid, mid, ts;
	double rating;
	if (open_csv(&r, src, "ratings.csv", "userId,movieId,rating,timestamp") != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split_csv(line, f, 4) != 4 || conv_long(f[0], &uid) != 0 ||
			conv_long(f[1], &mid) != 0 || conv_double(f[2], &rating) != 0 ||
			conv_long(f[3], &ts) != 0)
			return bad_row(&r, "'userId,movieId,rating,timestamp'");
		snprintf(user, sizeof(user), "%suser/%lld", BASE, uid);
		snprintf(movie, sizeof(movie), "%smovie/%lld", BASE, mid);
		csv_row(o, user, movie, ts, NS_KGR "rate", rating);
	}
	conv_close(&r);
	return 0;
}

/* tags.csv: the movie gets the tag (kgr:hasTag, the tag text as its label) and the tagging is
 * written as an interaction event in RDF with its time. */
static int read_tags(const char *src, conv_out *o)
{
	conv_reader r;
	char *line, *f[4], user[512], movie[512], tag[2048], ev[4096], piece[1800], date[64];
	long long uid, mid, ts;
	time_t t;
	struct tm tm;
	if (open_csv(&r, src, "tags.csv", "userId,movieId,tag,timestamp") != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		if (!*line)
			continue;
		if (conv_split_csv(line, f, 4) != 4 || conv_long(f[0], &uid) != 0 ||
			conv_long(f[1], &mid) != 0 || !*f[2] || conv_long(f[3], &ts) != 0)
			return bad_row(&r, "'userId,movieId,tag,timestamp'");
		t = (time_t)ts;
		if (!gmtime_r(&t, &tm))
			return bad_row(&r, "a timestamp in epoch seconds");
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(user, sizeof(user), "%suser/%lld", BASE, uid);
		snprintf(movie, sizeof(movie), "%smovie/%lld", BASE, mid);
		conv_iri_piece(piece, sizeof(piece), f[2]);
		snprintf(tag, sizeof(tag), "%stag/%s", BASE, piece);
		snprintf(ev, sizeof(ev), "%stagging/%lld-%lld-%lld-%s", BASE, uid, mid, ts, piece);
		nt_iri(o, movie, NS_KGR "hasTag", tag);
		nt_lit(o, tag, RDFS_LABEL, f[2], NULL, NULL);
		nt_iri(o, ev, RDF_TYPE, NS_KGR "Interaction");
		nt_iri(o, ev, NS_KGR "user", user);
		nt_iri(o, ev, NS_KGR "item", movie);
		nt_iri(o, ev, NS_KGR "action", NS_KGR "tag");
		nt_lit(o, ev, NS_KGR "time", date, NS_XSD "dateTime", NULL);
		nt_iri(o, ev, NS_KGR "hasTag", tag);
	}
	conv_close(&r);
	return 0;
}

int conv_movielens(const char *src, conv_out *o)
{
	if (read_movies(src, o) != 0 || read_links(src, o) != 0 || read_ratings(src, o) != 0 ||
		read_tags(src, o) != 0)
		return -1;
	return 0;
}
