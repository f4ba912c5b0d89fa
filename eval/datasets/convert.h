/* Shared pieces of kgrec-convert: line reader, CSV fields, N-Triples and CSV writers. */
#ifndef KGR_CONVERT_H
#define KGR_CONVERT_H

#include <stddef.h>
#include <stdio.h>

#define NS_KGR "https://w3id.org/kgrec/ns#"
#define NS_SCHEMA "http://schema.org/"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RDFS "http://www.w3.org/2000/01/rdf-schema#"
#define NS_XSD "http://www.w3.org/2001/XMLSchema#"
#define NS_FOAF "http://xmlns.com/foaf/0.1/"
#define RDF_TYPE NS_RDF "type"
#define RDFS_LABEL NS_RDFS "label"
#define BASE_IRI "https://w3id.org/kgrec/dataset/"

/* A file read line by line; lines lose their "\n" / "\r\n". */
typedef struct {
	FILE *f;
	char path[4096];
	long line;
	char *buf;
	size_t cap;
} conv_reader;

/* Opens dir/name; prints an error naming the path and returns -1 when it cannot. */
int conv_open(conv_reader *r, const char *dir, const char *name);
/* Next line, or NULL at the end (or on a read error, reported; see r->f). */
char *conv_next(conv_reader *r, size_t *len);
void conv_close(conv_reader *r);
/* Reads a whole file into a NUL-terminated buffer (caller frees); NULL with a message on error. */
char *conv_slurp(const char *dir, const char *name, size_t *len);

/* Prints "kgrec-convert: <message>" to stderr; returns -1. */
int conv_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Splits a line at `sep` in place (no quoting); returns the number of fields (<= max). */
size_t conv_split(char *line, char sep, char **fields, size_t max);
/* Splits an RFC 4180 CSV line in place ("" inside quotes is a quote); -1 on a bad quote. */
int conv_split_csv(char *line, char **fields, size_t max);

/* Parses a whole decimal number; 0 on success. */
int conv_long(const char *s, long long *out);
int conv_double(const char *s, double *out);

/* Writes `text` into out as an IRI path segment: unreserved bytes kept, others %XX. */
void conv_iri_piece(char *out, size_t size, const char *text);
/* Returns a UTF-8 copy of a string that may be ISO-8859-1 (kept as is when valid UTF-8). */
char *conv_utf8(const char *text);

/* The two outputs. */
typedef struct {
	FILE *nt, *csv;
	char nt_tmp[4200], nt_path[4200], csv_tmp[4200], csv_path[4200];
	unsigned long long triples, interactions;
	int error;
} conv_out;

int conv_out_open(conv_out *o, const char *dir);
/* Flushes, checks for write errors and renames the files into place; -1 on error. */
int conv_out_close(conv_out *o, int ok);

void nt_iri(conv_out *o, const char *s, const char *p, const char *obj);
/* A literal object; datatype and lang may be NULL. */
void nt_lit(conv_out *o, const char *s, const char *p, const char *lex, const char *datatype,
	const char *lang);
/* One interaction row. The timestamp is epoch seconds. */
void csv_row(conv_out *o, const char *user, const char *item, long long ts, const char *action,
	double weight);

/* The converters. Each returns 0 or -1 (after printing the error). */
int conv_beauty(const char *src, conv_out *o);
int conv_sports(const char *src, conv_out *o);
int conv_toys(const char *src, conv_out *o);
int conv_s3rec_lastfm(const char *src, conv_out *o);
int conv_lastfm(const char *src, conv_out *o);
int conv_movielens(const char *src, conv_out *o);

/* Shared by the sequence formats (Beauty.txt, LastFM.txt): `user item1 item2 ...`.
 * Timestamps are synthesised: the i-th item of a user (from 1) gets i seconds. */
int conv_sequences(conv_out *o, const char *src, const char *file, const char *base,
	const char *action, const char **item_types, size_t n_types);
/* Shared by the item2attributes JSON files: {item: [attribute ids]}. */
int conv_item_attributes(conv_out *o, const char *src, const char *file, const char *base,
	const char *attr_kind, const char *predicate);

#endif
