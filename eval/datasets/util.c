#include "convert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int conv_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("kgrec-convert: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

int conv_open(conv_reader *r, const char *dir, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s/%s", dir, name);
	r->f = fopen(r->path, "rb");
	if (!r->f)
		return conv_fail("%s: %s", r->path, strerror(errno));
	return 0;
}

char *conv_next(conv_reader *r, size_t *len)
{
	ssize_t n = getline(&r->buf, &r->cap, r->f);
	if (n < 0) {
		if (ferror(r->f))
			conv_fail("%s: read error after line %ld", r->path, r->line);
		return NULL;
	}
	r->line++;
	while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
		r->buf[--n] = '\0';
	if (len)
		*len = (size_t)n;
	return r->buf;
}

void conv_close(conv_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

char *conv_slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *data = NULL;
	size_t cap = 0, n = 0, got;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		conv_fail("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 65536 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			char *p = realloc(data, ncap);
			if (!p) {
				conv_fail("%s: out of memory", path);
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
			cap = ncap;
		}
		got = fread(data + n, 1, 65536, f);
		n += got;
		if (got < 65536)
			break;
	}
	if (ferror(f)) {
		conv_fail("%s: read error", path);
		free(data);
		fclose(f);
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

size_t conv_split(char *line, char sep, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;
	if (max == 0)
		return 0;
	fields[n++] = p;
	while (*p) {
		if (*p == sep) {
			*p = '\0';
			if (n == max)
				return n;
			fields[n++] = p + 1;
		}
		p++;
	}
	return n;
}

int conv_split_csv(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *r = line, *w;
	while (n < max) {
		if (*r == '"') {
			r++;
			w = r;
			fields[n++] = w;
			for (;;) {
				if (*r == '\0')
					return -1; /* unterminated quote */
				if (*r == '"') {
					if (r[1] == '"') {
						*w++ = '"';
						r += 2;
						continue;
					}
					r++;
					break;
				}
				*w++ = *r++;
			}
			if (*r != ',' && *r != '\0')
				return -1; /* text after the closing quote */
			*w = '\0';
		} else {
			fields[n++] = r;
			while (*r && *r != ',')
				r++;
		}
		if (*r == '\0') {
			*r = '\0';
			return (int)n;
		}
		*r++ = '\0';
	}
	return (int)n;
}

int conv_long(const char *s, long long *out)
{
	char *end;
	if (!*s)
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno || *end) ? -1 : 0;
}

int conv_double(const char *s, double *out)
{
	char *end;
	if (!*s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return (errno || *end) ? -1 : 0;
}

void conv_iri_piece(char *out, size_t size, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)text;
	for (; *p && n + 4 < size; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '.' || *p == '_' || *p == '~') {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n] = '\0';
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static int utf8_seq(const unsigned char *p)
{
	int n, i;
	if (*p < 0x80)
		return 1;
	if ((*p & 0xE0) == 0xC0 && *p >= 0xC2)
		n = 2;
	else if ((*p & 0xF0) == 0xE0)
		n = 3;
	else if ((*p & 0xF8) == 0xF0 && *p <= 0xF4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

char *conv_utf8(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), i = 0;
	int valid = 1;
	char *out;
	while (i < len) {
		int n = utf8_seq(p + i);
		if (!n) {
			valid = 0;
			break;
		}
		i += (size_t)n;
	}
	if (valid)
		return strdup(text);
	/* Not UTF-8: the HetRec files are ISO-8859-1, where every byte is its code point. */
	out = malloc(len * 2 + 1);
	if (!out)
		return NULL;
	for (i = 0; p[0]; p++) {
		if (*p < 0x80) {
			out[i++] = (char)*p;
		} else {
			out[i++] = (char)(0xC0 | (*p >> 6));
			out[i++] = (char)(0x80 | (*p & 0x3F));
		}
	}
	out[i] = '\0';
	return out;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
	char path[4096], *p;
	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return (mkdir(path, 0777) != 0 && errno != EEXIST) ? -1 : 0;
}

int conv_out_open(conv_out *o, const char *dir)
{
	memset(o, 0, sizeof(*o));
	if (make_dirs(dir) != 0)
		return conv_fail("%s: cannot create: %s", dir, strerror(errno));
	snprintf(o->nt_path, sizeof(o->nt_path), "%s/graph.nt", dir);
	snprintf(o->nt_tmp, sizeof(o->nt_tmp), "%s/.graph.nt.tmp", dir);
	snprintf(o->csv_path, sizeof(o->csv_path), "%s/interactions.csv", dir);
	snprintf(o->csv_tmp, sizeof(o->csv_tmp), "%s/.interactions.csv.tmp", dir);
	o->nt = fopen(o->nt_tmp, "wb");
	if (!o->nt)
		return conv_fail("%s: %s", o->nt_tmp, strerror(errno));
	o->csv = fopen(o->csv_tmp, "wb");
	if (!o->csv) {
		fclose(o->nt);
		remove(o->nt_tmp);
		return conv_fail("%s: %s", o->csv_tmp, strerror(errno));
	}
	fputs("user,item,timestamp,action,weight\n", o->csv);
	return 0;
}

int conv_out_close(conv_out *o, int ok)
{
	int bad = 0;
	if (ferror(o->nt) || fclose(o->nt) != 0)
		bad = conv_fail("%s: write error", o->nt_tmp);
	if (ferror(o->csv) || fclose(o->csv) != 0)
		bad = conv_fail("%s: write error", o->csv_tmp);
	if (!ok || bad) {
		remove(o->nt_tmp);
		remove(o->csv_tmp);
		return -1;
	}
	if (rename(o->nt_tmp, o->nt_path) != 0 || rename(o->csv_tmp, o->csv_path) != 0)
		return conv_fail("%s: cannot rename into place: %s", o->nt_path, strerror(errno));
	return 0;
}

/* IRIREF forbids these; the inputs are percent-encoded where they are built, so any left is a
 * defect in the data and gets %XX too. */
static void put_iri(FILE *f, const char *iri)
{
	const unsigned char *p = (const unsigned char *)iri;
	fputc('<', f);
	for (; *p; p++) {
		if (*p <= 0x20 || strchr("<>\"{}|^`\\", *p))
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
	fputc('>', f);
}

static void put_literal(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04X", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void nt_iri(conv_out *o, const char *s, const char *p, const char *obj)
{
	put_iri(o->nt, s);
	fputc(' ', o->nt);
	put_iri(o->nt, p);
	fputc(' ', o->nt);
	put_iri(o->nt, obj);
	fputs(" .\n", o->nt);
	o->triples++;
}

void nt_lit(conv_out *o, const char *s, const char *p, const char *lex, const char *datatype,
	const char *lang)
{
	put_iri(o->nt, s);
	fputc(' ', o->nt);
	put_iri(o->nt, p);
	fputc(' ', o->nt);
	put_literal(o->nt, lex);
	if (datatype) {
		fputs("^^", o->nt);
		put_iri(o->nt, datatype);
	} else if (lang) {
		fprintf(o->nt, "@%s", lang);
	}
	fputs(" .\n", o->nt);
	o->triples++;
}

/* RFC 4180: a field with a comma, quote or line break is quoted. DBpedia IRIs have commas. */
static void put_csv(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void csv_row(conv_out *o, const char *user, const char *item, long long ts, const char *action,
	double weight)
{
	put_csv(o->csv, user);
	fputc(',', o->csv);
	put_csv(o->csv, item);
	fprintf(o->csv, ",%lld,", ts);
	put_csv(o->csv, action);
	fprintf(o->csv, ",%.17g\n", weight);
	o->interactions++;
}
