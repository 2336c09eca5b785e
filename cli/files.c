/*
 * files.c - the files a command is given: read with the argument's name in
 * the message of a failure, and the context of an error put in front of
 * what the failing call said.
 */
#include <stdarg.h>
#include <stdio.h>

#include "dot.h"

int
cli_err_prefix(struct dot_err *e, int rv, const char *fmt, ...)
{
	char what[sizeof(e->msg)], ctx[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(ctx, sizeof(ctx), "%s", e->msg[0] ? e->msg : dot_strerror(rv));
	return dot_err_set(e, rv, "%s: %s", what, ctx);
}

int
cli_read_named(const char *path, size_t max, struct dot_buf *out,
	       struct dot_err *e, const char *fmt, ...)
{
	char what[sizeof(e->msg)];
	va_list ap;
	int rv = cli_read_file(path, max, out, e);

	if (rv == DOT_OK)
		return DOT_OK;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cli_err_prefix(e, rv, "%s", what);
}
