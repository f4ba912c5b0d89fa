/* The library's growable string: append, format, take. A failed allocation is remembered
 * (oom) and later appends do nothing, so a writer checks once at the end. And small files
 * read whole. */
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int buf_grow(kgr__buf *b, size_t extra)
{
	size_t need, cap;
	char *p;
	if (b->oom)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->s, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->s = p;
	b->cap = cap;
	return 0;
}

void kgr__buf_put(kgr__buf *b, const char *s, size_t n)
{
	if (buf_grow(b, n))
		return;
	if (n) /* s may be NULL then */
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void kgr__buf_puts(kgr__buf *b, const char *s)
{
	kgr__buf_put(b, s, strlen(s));
}

void kgr__buf_vprintf(kgr__buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;
	char small[256];
	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0)
		goto done;
	if ((size_t)n < sizeof(small)) {
		kgr__buf_put(b, small, (size_t)n);
		goto done;
	}
	if (buf_grow(b, (size_t)n))
		goto done;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, again);
	b->len += (size_t)n;
done:
	va_end(again);
}

void kgr__buf_printf(kgr__buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kgr__buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *kgr__buf_take(kgr__buf *b)
{
	char *s;
	if (b->oom) {
		kgr__buf_free(b);
		return NULL;
	}
	if (!b->s && buf_grow(b, 0))
		return NULL;
	s = b->s;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void kgr__buf_free(kgr__buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

int kgr__buf_append(kgr__buf *b, const void *data, size_t len)
{
	kgr__buf_put(b, data, len);
	return b->oom ? kgr__error_set(KGR_ENOMEM, "out of memory") : 0;
}

int kgr__read_file(char **out, size_t *len_out, const char *path, const char *what)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;
	long len;
	*out = NULL;
	if (!f)
		return kgr__error_set(KGR_ENOTFOUND, "%s: cannot open %s: %s", path, what, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) { /* fopen() takes a directory */
		fclose(f);
		return kgr__error_set(KGR_ENOTFOUND, "%s: cannot open %s: is a directory", path, what);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return kgr__error_set(KGR_EIO, "%s: cannot read", path);
	}
	if (!(buf = malloc((size_t)len + 1))) {
		fclose(f);
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return kgr__error_set(KGR_EIO, "%s: cannot read", path);
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	if (len_out)
		*len_out = (size_t)len;
	return 0;
}
