/*
 * buf.h - a growable byte buffer and the base64url text form.
 */
#ifndef DOTEROS_BUF_H
#define DOTEROS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct dot_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err; /* sticky: DOT_ENOMEM once a growth failed */
};

/* Buffers start zeroed: struct dot_buf b = {0}. */
DOT_API DOT_MUST int dot_buf_reserve(struct dot_buf *b, size_t extra);
DOT_API void dot_buf_put(struct dot_buf *b, const void *p, size_t n);
DOT_API void dot_buf_free(struct dot_buf *b); /* frees and zeroes; NULL ok */

/* Characters needed for base64url of n bytes (no padding), without NUL. */
DOT_API size_t dot_b64url_len(size_t n);
/* Encode n bytes into out (size >= dot_b64url_len(n) + 1), NUL-terminated. */
DOT_API void dot_b64url_encode(char *out, const uint8_t *in, size_t n);
/*
 * Decode base64url without padding, strictly: only the URL-safe alphabet, no
 * whitespace, no '=' and zero unused bits in the last character. Returns
 * DOT_OK and the length in *outlen, DOT_ETEXT_BASE64, or DOT_ETOOBIG when
 * outcap is too small.
 */
DOT_API DOT_MUST int dot_b64url_decode(uint8_t *out, size_t outcap,
				       size_t *outlen, const char *in,
				       size_t inlen);

#endif
