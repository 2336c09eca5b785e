/* buf.c - growable buffers and base64url (RFC 4648 §5, no padding). */
#include <string.h>

#include "doteros/buf.h"
#include "doteros/heap.h"

int
dot_buf_reserve(struct dot_buf *b, size_t extra)
{
	size_t want, cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (extra > SIZE_MAX - b->len) {
		b->err = DOT_ENOMEM;
		return b->err;
	}
	want = b->len + extra;
	if (want <= b->cap)
		return DOT_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = dot_realloc(b->data, cap);
	if (p == NULL) {
		b->err = DOT_ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return DOT_OK;
}

void
dot_buf_put(struct dot_buf *b, const void *p, size_t n)
{
	if (n == 0 || dot_buf_reserve(b, n) != DOT_OK)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
dot_buf_free(struct dot_buf *b)
{
	if (b == NULL)
		return;
	dot_free(b->data);
	memset(b, 0, sizeof(*b));
}

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
dot_b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

void
dot_b64url_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
dot_b64url_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
		  size_t inlen)
{
	size_t i, o = 0, need;
	uint32_t acc = 0;
	int bits = 0;

	if (inlen % 4 == 1)
		return DOT_ETEXT_BASE64;
	need = inlen / 4 * 3 + (inlen % 4 == 0 ? 0 : inlen % 4 - 1);
	if (need > outcap)
		return DOT_ETOOBIG;
	for (i = 0; i < inlen; i++) {
		int v = b64val(in[i]);
		if (v < 0)
			return DOT_ETEXT_BASE64;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Unused low bits of the last character must be zero (canonical). */
	if (acc != 0)
		return DOT_ETEXT_BASE64;
	*outlen = o;
	return DOT_OK;
}
