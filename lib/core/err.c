/* err.c - error table, messages and context. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

/*
 * Replace every byte that is not part of a well-formed UTF-8 sequence with
 * '?': context strings quote input and cut it short (%.*s), and a cut may
 * split a character. Messages go into receipts and JSON, which need UTF-8.
 */
static void
utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t k;
		uint32_t cp, min;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			k = 1, cp = *p & 0x1f, min = 0x80;
		else if ((*p & 0xf0) == 0xe0)
			k = 2, cp = *p & 0x0f, min = 0x800;
		else if ((*p & 0xf8) == 0xf0)
			k = 3, cp = *p & 0x07, min = 0x10000;
		else
			goto bad;
		for (size_t j = 1; j <= k; j++) {
			if ((p[j] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		p += k + 1;
		continue;
	bad:
		*p++ = '?';
	}
}

int
dot_err_set(struct dot_err *e, int code, const char *fmt, ...)
{
	char tmp[sizeof(e->msg)];
	va_list ap;

	if (e == NULL)
		return code;
	/* Format into a scratch buffer: an argument may be e->msg itself. */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	utf8_clean(tmp);
	memcpy(e->msg, tmp, sizeof(tmp));
	e->code = code;
	return code;
}
