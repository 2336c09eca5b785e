/* err.c - error table, messages and context. */
#include <stdarg.h>
#include <stdio.h>

#include "doteros/err.h"

static const char *const messages[] = {
#define DOT_X_MSG(name, msg) msg,
	DOT_ERRORS(DOT_X_MSG)
#undef DOT_X_MSG
};

static const char *const names[] = {
#define DOT_X_NAME(name, msg) #name,
	DOT_ERRORS(DOT_X_NAME)
#undef DOT_X_NAME
};

const char *
dot_strerror(int code)
{
	if (code < 0 || code >= DOT_ERRCOUNT)
		return "unknown error";
	return messages[code];
}

const char *
dot_errname(int code)
{
	if (code < 0 || code >= DOT_ERRCOUNT)
		return "DOT_EUNKNOWN";
	return names[code];
}

int
dot_err_set(struct dot_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}
