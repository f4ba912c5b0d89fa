#include "kg/internal.h"

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
	memcpy(old, error_msg, sizeof(old));
	snprintf(error_msg, sizeof(error_msg), "%s: %s", prefix, old);
	return error_code;
}
