#include "util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char error_msg[1024];
static _Thread_local int error_code;

const char *kgr_error_last(void)
{
	return error_msg;
}

int kgr_error_last_code(void)
{
	return error_code;
}

void kgr_error_clear(void)
{
	error_msg[0] = '\0';
	error_code = 0;
}

int kgr__error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error_msg, sizeof(error_msg), fmt, ap);
	va_end(ap);
	error_code = code;
	return code;
}

int kgr__error_prefix(const char *fmt, ...)
{
	char prefix[512], old[sizeof(error_msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	size_t n;
	memcpy(old, error_msg, sizeof(old));
	n = strlen(prefix);
	if (n > sizeof(error_msg) - 3)
		n = sizeof(error_msg) - 3;
	memcpy(error_msg, prefix, n);
	error_msg[n++] = ':';
	error_msg[n++] = ' ';
	memcpy(error_msg + n, old, sizeof(error_msg) - n - 1);
	error_msg[sizeof(error_msg) - 1] = '\0';
	return error_code;
}
