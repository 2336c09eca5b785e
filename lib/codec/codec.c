/*
 * codec.c - the canonical binary encoding (docs/codec.md).
 *
 * Deterministic CBOR subset, RFC 8949 §4.2.1 ("core deterministic encoding
 * requirements") restricted to major types 0-5, with map keys limited to
 * unsigned integers in strictly ascending order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doteros/codec.h"

const struct dot_codec_limits dot_codec_default_limits = {
	.max_depth = DOT_CODEC_MAX_DEPTH,
	.max_str = 1u << 20,
	.max_items = 1u << 16,
};

/* ---- encoder ---- */

static void
enc_head(struct dot_buf *b, unsigned major, uint64_t v)
{
	uint8_t h[9];
	size_t n;

	major <<= 5;
	if (v < 24) {
		h[0] = (uint8_t)(major | v);
		n = 1;
	} else if (v <= 0xff) {
		h[0] = (uint8_t)(major | 24);
		h[1] = (uint8_t)v;
		n = 2;
	} else if (v <= 0xffff) {
		h[0] = (uint8_t)(major | 25);
		h[1] = (uint8_t)(v >> 8);
		h[2] = (uint8_t)v;
		n = 3;
	} else if (v <= 0xffffffff) {
		h[0] = (uint8_t)(major | 26);
		for (int i = 0; i < 4; i++)
			h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
		n = 5;
	} else {
		h[0] = (uint8_t)(major | 27);
		for (int i = 0; i < 8; i++)
			h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
		n = 9;
	}
	dot_buf_put(b, h, n);
}

void
dot_enc_uint(struct dot_buf *b, uint64_t v)
{
	enc_head(b, DOT_CBOR_UINT, v);
}

void
dot_enc_int(struct dot_buf *b, int64_t v)
{
	if (v >= 0)
		enc_head(b, DOT_CBOR_UINT, (uint64_t)v);
	else
		enc_head(b, DOT_CBOR_NINT, (uint64_t)(-(v + 1)));
}

void
dot_enc_bstr(struct dot_buf *b, const void *p, size_t n)
{
	enc_head(b, DOT_CBOR_BSTR, n);
	dot_buf_put(b, p, n);
}

void
dot_enc_tstr(struct dot_buf *b, const char *s, size_t n)
{
	enc_head(b, DOT_CBOR_TSTR, n);
	dot_buf_put(b, s, n);
}

void
dot_enc_array(struct dot_buf *b, uint64_t n)
{
	enc_head(b, DOT_CBOR_ARRAY, n);
}

void
dot_enc_map(struct dot_buf *b, uint64_t n)
{
	enc_head(b, DOT_CBOR_MAP, n);
}

void
dot_enc_raw(struct dot_buf *b, const void *p, size_t n)
{
	dot_buf_put(b, p, n);
}

/* ---- strict checker ---- */

struct checker {
	const uint8_t *buf;
	size_t len;
	size_t off;
	const struct dot_codec_limits *lim;
	struct dot_err *e;
};

/*
 * Read one head at c->off: major type and argument, refusing what the subset
 * excludes and any argument not in its shortest form.
 */
static int
read_head(struct checker *c, unsigned *major, uint64_t *arg)
{
	size_t at = c->off, extra;
	uint8_t ib;
	unsigned ai;
	uint64_t v = 0;

	*major = 0; /* defined outputs on every path */
	*arg = 0;
	if (at >= c->len)
		return dot_err_set(c->e, DOT_ECODEC_TRUNCATED,
				   "encoding ends at byte %zu where an item "
				   "was expected",
				   at);
	ib = c->buf[at];
	*major = ib >> 5;
	ai = ib & 31;
	if (*major > DOT_CBOR_MAP)
		return dot_err_set(c->e, DOT_ECODEC_UNSUPPORTED,
				   "byte %zu: major type %u (%s) is not in the "
				   "canonical subset",
				   at, *major,
				   *major == 6 ? "tag" : "float or simple value");
	if (ai < 24) {
		*arg = ai;
		c->off = at + 1;
		return DOT_OK;
	}
	if (ai == 31)
		return dot_err_set(c->e, DOT_ECODEC_UNSUPPORTED,
				   "byte %zu: indefinite length is not allowed",
				   at);
	if (ai > 27)
		return dot_err_set(c->e, DOT_ECODEC_UNSUPPORTED,
				   "byte %zu: reserved additional info %u", at,
				   ai);
	extra = (size_t)1 << (ai - 24);
	if (c->len - at - 1 < extra)
		return dot_err_set(c->e, DOT_ECODEC_TRUNCATED,
				   "byte %zu: head needs %zu more bytes, %zu "
				   "remain",
				   at, extra, c->len - at - 1);
	for (size_t i = 0; i < extra; i++)
		v = v << 8 | c->buf[at + 1 + i];
	/* Shortest form (RFC 8949 §4.2.1): each width only above the last. */
	if ((ai == 24 && v < 24) || (ai == 25 && v <= 0xff) ||
	    (ai == 26 && v <= 0xffff) || (ai == 27 && v <= 0xffffffff))
		return dot_err_set(c->e, DOT_ECODEC_NONCANONICAL,
				   "byte %zu: value %" PRIu64
				   " is not in its shortest form",
				   at, v);
	*arg = v;
	c->off = at + 1 + extra;
	return DOT_OK;
}

/* UTF-8 per RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF. */
static int
utf8_valid(const uint8_t *s, size_t n, size_t *bad)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			*bad = i;
			return 0;
		}
		if (n - i - 1 < k) {
			*bad = i;
			return 0;
		}
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80) {
				*bad = i;
				return 0;
			}
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			*bad = i;
			return 0;
		}
		i += k + 1;
	}
	return 1;
}

static int
check_item(struct checker *c, unsigned depth)
{
	size_t at = c->off;
	unsigned major;
	uint64_t arg;
	int rv;

	rv = read_head(c, &major, &arg);
	if (rv != DOT_OK)
		return rv;
	switch (major) {
	case DOT_CBOR_UINT:
	case DOT_CBOR_NINT:
		return DOT_OK;
	case DOT_CBOR_BSTR:
	case DOT_CBOR_TSTR:
		if (arg > c->lim->max_str)
			return dot_err_set(c->e, DOT_ECODEC_LENGTH,
					   "byte %zu: string of %" PRIu64
					   " bytes exceeds the limit of %" PRIu64,
					   at, arg, c->lim->max_str);
		if (arg > c->len - c->off)
			return dot_err_set(c->e, DOT_ECODEC_TRUNCATED,
					   "byte %zu: string of %" PRIu64
					   " bytes, only %zu remain",
					   at, arg, c->len - c->off);
		if (major == DOT_CBOR_TSTR) {
			size_t bad = 0;
			if (!utf8_valid(c->buf + c->off, (size_t)arg, &bad))
				return dot_err_set(c->e, DOT_ECODEC_UTF8,
						   "byte %zu: invalid UTF-8 in "
						   "text string",
						   c->off + bad);
		}
		c->off += (size_t)arg;
		return DOT_OK;
	case DOT_CBOR_ARRAY:
	case DOT_CBOR_MAP:
		break;
	}
	if (depth >= c->lim->max_depth)
		return dot_err_set(c->e, DOT_ECODEC_DEPTH,
				   "byte %zu: container nested deeper than %u",
				   at, c->lim->max_depth);
	if (arg > c->lim->max_items)
		return dot_err_set(c->e, DOT_ECODEC_LENGTH,
				   "byte %zu: container of %" PRIu64
				   " entries exceeds the limit of %" PRIu64,
				   at, arg, c->lim->max_items);
	/* Every entry takes at least one byte (two for a map pair). */
	if (arg > (c->len - c->off) / (major == DOT_CBOR_MAP ? 2 : 1))
		return dot_err_set(c->e, DOT_ECODEC_TRUNCATED,
				   "byte %zu: container of %" PRIu64
				   " entries cannot fit in %zu remaining bytes",
				   at, arg, c->len - c->off);
	if (major == DOT_CBOR_ARRAY) {
		for (uint64_t i = 0; i < arg; i++) {
			rv = check_item(c, depth + 1);
			if (rv != DOT_OK)
				return rv;
		}
		return DOT_OK;
	}
	uint64_t prev = 0;
	for (uint64_t i = 0; i < arg; i++) {
		size_t kat = c->off;
		unsigned kmajor;
		uint64_t key;

		rv = read_head(c, &kmajor, &key);
		if (rv != DOT_OK)
			return rv;
		if (kmajor != DOT_CBOR_UINT)
			return dot_err_set(c->e, DOT_ECODEC_TYPE,
					   "byte %zu: map key must be an "
					   "unsigned integer",
					   kat);
		if (i > 0 && key <= prev)
			return dot_err_set(c->e, DOT_ECODEC_KEYORDER,
					   "byte %zu: map key %" PRIu64
					   " follows key %" PRIu64,
					   kat, key, prev);
		prev = key;
		rv = check_item(c, depth + 1);
		if (rv != DOT_OK)
			return rv;
	}
	return DOT_OK;
}

int
dot_codec_check(const uint8_t *buf, size_t n,
		const struct dot_codec_limits *lim, struct dot_err *e)
{
	struct checker c = {buf, n, 0, lim ? lim : &dot_codec_default_limits,
			    e};
	int rv;

	if (c.lim->max_depth > DOT_CODEC_MAX_DEPTH)
		return dot_err_set(e, DOT_EINVAL, "codec depth limit %u is over "
				   "the ceiling of %d",
				   c.lim->max_depth, DOT_CODEC_MAX_DEPTH);
	if (buf == NULL && n > 0)
		return dot_err_set(e, DOT_EINVAL, "no buffer");
	rv = check_item(&c, 0);
	if (rv != DOT_OK)
		return rv;
	if (c.off != n)
		return dot_err_set(e, DOT_ECODEC_TRAILING,
				   "byte %zu: %zu trailing byte%s after the item",
				   c.off, n - c.off, n - c.off == 1 ? "" : "s");
	return DOT_OK;
}

/* ---- cursor ---- */

int
dot_dec_init(struct dot_dec *d, const uint8_t *buf, size_t n,
	     const struct dot_codec_limits *lim, struct dot_err *e)
{
	int rv = dot_codec_check(buf, n, lim, e);

	d->buf = buf;
	d->len = rv == DOT_OK ? n : 0;
	d->off = 0;
	d->err = e;
	return rv;
}

int
dot_dec_done(const struct dot_dec *d)
{
	return d->off >= d->len;
}

int
dot_dec_peek(const struct dot_dec *d)
{
	if (d->off >= d->len)
		return -1;
	return d->buf[d->off] >> 5;
}

/*
 * The buffer was checked whole, so heads here are canonical and in bounds;
 * only the type and the cursor's own end are checked.
 */
static int
dec_head(struct dot_dec *d, unsigned want, uint64_t *arg)
{
	struct checker c = {d->buf, d->len, d->off, &dot_codec_default_limits,
			    d->err};
	unsigned major;
	int rv;

	*arg = 0;
	if (d->off >= d->len)
		return dot_err_set(d->err, DOT_ECODEC_TRUNCATED,
				   "byte %zu: expected an item, found the end",
				   d->off);
	if ((unsigned)(d->buf[d->off] >> 5) != want)
		return dot_err_set(d->err, DOT_ECODEC_TYPE,
				   "byte %zu: expected major type %u, found %u",
				   d->off, want, (unsigned)(d->buf[d->off] >> 5));
	rv = read_head(&c, &major, arg);
	if (rv != DOT_OK)
		return rv;
	d->off = c.off;
	return DOT_OK;
}

int
dot_dec_uint(struct dot_dec *d, uint64_t *v)
{
	return dec_head(d, DOT_CBOR_UINT, v);
}

int
dot_dec_int(struct dot_dec *d, int64_t *v)
{
	size_t at = d->off;
	uint64_t a = 0;
	int rv;

	if (dot_dec_peek(d) == DOT_CBOR_NINT) {
		rv = dec_head(d, DOT_CBOR_NINT, &a);
		if (rv != DOT_OK)
			return rv;
		if (a > (uint64_t)INT64_MAX) {
			d->off = at;
			return dot_err_set(d->err, DOT_ERANGE,
					   "byte %zu: negative integer below "
					   "the 64-bit range",
					   at);
		}
		*v = -(int64_t)a - 1;
		return DOT_OK;
	}
	rv = dec_head(d, DOT_CBOR_UINT, &a);
	if (rv != DOT_OK)
		return rv;
	if (a > (uint64_t)INT64_MAX) {
		d->off = at;
		return dot_err_set(d->err, DOT_ERANGE,
				   "byte %zu: integer above the signed 64-bit "
				   "range",
				   at);
	}
	*v = (int64_t)a;
	return DOT_OK;
}

static int
dec_str(struct dot_dec *d, unsigned major, const uint8_t **p, size_t *n)
{
	uint64_t a = 0;
	int rv = dec_head(d, major, &a);

	if (rv != DOT_OK)
		return rv;
	*p = d->buf + d->off;
	*n = (size_t)a;
	d->off += (size_t)a;
	return DOT_OK;
}

int
dot_dec_bstr(struct dot_dec *d, const uint8_t **p, size_t *n)
{
	return dec_str(d, DOT_CBOR_BSTR, p, n);
}

int
dot_dec_bstr_fixed(struct dot_dec *d, const uint8_t **p, size_t n)
{
	size_t at = d->off, got;
	int rv = dec_str(d, DOT_CBOR_BSTR, p, &got);

	if (rv != DOT_OK)
		return rv;
	if (got != n) {
		d->off = at; /* a failed read leaves the cursor where it was */
		return dot_err_set(d->err, DOT_ECODEC_LENGTH,
				   "byte %zu: byte string of %zu bytes where "
				   "%zu are required",
				   at, got, n);
	}
	return DOT_OK;
}

int
dot_dec_tstr(struct dot_dec *d, const char **s, size_t *n)
{
	const uint8_t *p;
	int rv = dec_str(d, DOT_CBOR_TSTR, &p, n);

	if (rv == DOT_OK)
		*s = (const char *)p;
	return rv;
}

int
dot_dec_array(struct dot_dec *d, uint64_t *n)
{
	return dec_head(d, DOT_CBOR_ARRAY, n);
}

int
dot_dec_map(struct dot_dec *d, uint64_t *n)
{
	return dec_head(d, DOT_CBOR_MAP, n);
}

/*
 * The cursor's buffer passed dot_codec_check under the caller's limits, which
 * may be above the defaults; walking one of its items again must not apply
 * tighter ones, so only the hard depth ceiling stays.
 */
static const struct dot_codec_limits ceiling_limits = {
	.max_depth = DOT_CODEC_MAX_DEPTH,
	.max_str = UINT64_MAX,
	.max_items = UINT64_MAX,
};

int
dot_dec_item(struct dot_dec *d, const uint8_t **p, size_t *n)
{
	struct checker c = {d->buf, d->len, d->off, &ceiling_limits, d->err};
	int rv;

	if (d->off >= d->len)
		return dot_err_set(d->err, DOT_ECODEC_TRUNCATED,
				   "byte %zu: expected an item, found the end",
				   d->off);
	rv = check_item(&c, 0);
	if (rv != DOT_OK)
		return rv;
	*p = d->buf + d->off;
	*n = c.off - d->off;
	d->off = c.off;
	return DOT_OK;
}

/* ---- diagnostic notation ---- */

static void
diag_str(struct dot_buf *o, const char *s)
{
	dot_buf_put(o, s, strlen(s));
}

static int
diag_item(struct checker *c, struct dot_buf *o)
{
	static const char hex[] = "0123456789abcdef";
	unsigned major;
	uint64_t arg;
	char num[32];
	int rv = read_head(c, &major, &arg);

	if (rv != DOT_OK)
		return rv;
	switch (major) {
	case DOT_CBOR_UINT:
		snprintf(num, sizeof(num), "%" PRIu64, arg);
		diag_str(o, num);
		break;
	case DOT_CBOR_NINT:
		if (arg == UINT64_MAX)
			snprintf(num, sizeof(num), "-18446744073709551616");
		else
			snprintf(num, sizeof(num), "-%" PRIu64, arg + 1);
		diag_str(o, num);
		break;
	case DOT_CBOR_BSTR:
		diag_str(o, "h'");
		for (uint64_t i = 0; i < arg; i++) {
			uint8_t b = c->buf[c->off + i];
			char h[2] = {hex[b >> 4], hex[b & 15]};
			dot_buf_put(o, h, 2);
		}
		diag_str(o, "'");
		c->off += (size_t)arg;
		break;
	case DOT_CBOR_TSTR:
		dot_buf_put(o, "\"", 1);
		for (uint64_t i = 0; i < arg; i++) {
			uint8_t b = c->buf[c->off + i];
			if (b == '"' || b == '\\') {
				char esc[2] = {'\\', (char)b};
				dot_buf_put(o, esc, 2);
			} else if (b < 0x20 || b == 0x7f) {
				snprintf(num, sizeof(num), "\\u%04x", b);
				diag_str(o, num);
			} else {
				dot_buf_put(o, &b, 1);
			}
		}
		dot_buf_put(o, "\"", 1);
		c->off += (size_t)arg;
		break;
	case DOT_CBOR_ARRAY:
		dot_buf_put(o, "[", 1);
		for (uint64_t i = 0; i < arg; i++) {
			if (i)
				diag_str(o, ", ");
			rv = diag_item(c, o);
			if (rv != DOT_OK)
				return rv;
		}
		dot_buf_put(o, "]", 1);
		break;
	case DOT_CBOR_MAP:
		dot_buf_put(o, "{", 1);
		for (uint64_t i = 0; i < arg; i++) {
			if (i)
				diag_str(o, ", ");
			rv = diag_item(c, o);
			if (rv != DOT_OK)
				return rv;
			diag_str(o, ": ");
			rv = diag_item(c, o);
			if (rv != DOT_OK)
				return rv;
		}
		dot_buf_put(o, "}", 1);
		break;
	}
	return DOT_OK;
}

int
dot_codec_diag(const uint8_t *buf, size_t n, struct dot_buf *out)
{
	struct checker c = {buf, n, 0, &ceiling_limits, NULL};
	/* Any canonical item renders, whatever limits its format applies. */
	int rv = dot_codec_check(buf, n, &ceiling_limits, NULL);

	if (rv != DOT_OK)
		return rv;
	rv = diag_item(&c, out);
	if (rv != DOT_OK)
		return rv;
	dot_buf_put(out, "", 1); /* NUL-terminate */
	if (out->err)
		return out->err;
	out->len--;
	return DOT_OK;
}
