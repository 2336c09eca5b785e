/*
 * codec.h - the canonical binary encoding (docs/codec.md).
 *
 * A deterministic subset of CBOR (RFC 8949 §4.2.1): unsigned and negative
 * integers, byte strings, UTF-8 text strings, arrays, and maps whose keys are
 * unsigned integers in strictly ascending order. Every argument uses the
 * shortest form; no indefinite lengths, tags, floats or simple values. Each
 * value therefore has exactly one encoding, so hashes and signatures over
 * encodings are well defined.
 *
 * The encoder appends to a struct dot_buf (errors are sticky in the buffer).
 * The decoder is a cursor over a buffer that dot_dec_init() has first checked
 * whole: canonical forms, key order, UTF-8, depth, lengths, exactly one item
 * and no trailing bytes. The typed readers then only check types.
 */
#ifndef DOTEROS_CODEC_H
#define DOTEROS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum dot_cbor_type {
	DOT_CBOR_UINT = 0,
	DOT_CBOR_NINT = 1,
	DOT_CBOR_BSTR = 2,
	DOT_CBOR_TSTR = 3,
	DOT_CBOR_ARRAY = 4,
	DOT_CBOR_MAP = 5,
};

/* Hard ceilings: no limits structure may exceed them. */
#define DOT_CODEC_MAX_DEPTH 16

struct dot_codec_limits {
	unsigned max_depth;  /* containers nested deeper are refused (<= 16) */
	uint64_t max_str;    /* longest byte or text string */
	uint64_t max_items;  /* most elements in one array or pairs in a map */
};

/* max_depth 16, max_str 1 MiB, max_items 65536. */
DOT_API extern const struct dot_codec_limits dot_codec_default_limits;

/* Encoder. Each call appends one item head (and its bytes for strings). */
DOT_API void dot_enc_uint(struct dot_buf *b, uint64_t v);
DOT_API void dot_enc_int(struct dot_buf *b, int64_t v);
DOT_API void dot_enc_bstr(struct dot_buf *b, const void *p, size_t n);
DOT_API void dot_enc_tstr(struct dot_buf *b, const char *s, size_t n);
DOT_API void dot_enc_array(struct dot_buf *b, uint64_t n);
DOT_API void dot_enc_map(struct dot_buf *b, uint64_t n);
/* Append an already-encoded canonical item verbatim. */
DOT_API void dot_enc_raw(struct dot_buf *b, const void *p, size_t n);

/*
 * Check that buf[0..n) is exactly one canonical item within the limits (NULL
 * for the defaults). On failure e->msg names the byte offset and the rule.
 */
DOT_API DOT_MUST int dot_codec_check(const uint8_t *buf, size_t n,
				     const struct dot_codec_limits *lim,
				     struct dot_err *e);

struct dot_dec {
	const uint8_t *buf;
	size_t len;
	size_t off;
	struct dot_err *err;
};

/* Check the whole buffer (dot_codec_check) and set a cursor at its start. */
DOT_API DOT_MUST int dot_dec_init(struct dot_dec *d, const uint8_t *buf,
				  size_t n, const struct dot_codec_limits *lim,
				  struct dot_err *e);

/* Type of the next item, or -1 at the end. */
DOT_API int dot_dec_peek(const struct dot_dec *d);
DOT_API int dot_dec_done(const struct dot_dec *d); /* 1 when all consumed */

/* Typed readers: DOT_ECODEC_TYPE (with the offset) when the type differs. */
DOT_API DOT_MUST int dot_dec_uint(struct dot_dec *d, uint64_t *v);
DOT_API DOT_MUST int dot_dec_int(struct dot_dec *d, int64_t *v);
DOT_API DOT_MUST int dot_dec_bstr(struct dot_dec *d, const uint8_t **p,
				  size_t *n);
/* A byte string of exactly n bytes, else DOT_ECODEC_LENGTH. */
DOT_API DOT_MUST int dot_dec_bstr_fixed(struct dot_dec *d, const uint8_t **p,
					size_t n);
DOT_API DOT_MUST int dot_dec_tstr(struct dot_dec *d, const char **s,
				  size_t *n);
DOT_API DOT_MUST int dot_dec_array(struct dot_dec *d, uint64_t *n);
DOT_API DOT_MUST int dot_dec_map(struct dot_dec *d, uint64_t *n);
/* The next whole item (any type) as a slice of the buffer, and skip it. */
DOT_API DOT_MUST int dot_dec_item(struct dot_dec *d, const uint8_t **p,
				  size_t *n);

/*
 * Render one canonical item in CBOR diagnostic notation (RFC 8949 §8), e.g.
 * {1: h'00ff', 2: "x", 3: [1, -2]}. For `dot ... inspect` and debugging.
 */
DOT_API DOT_MUST int dot_codec_diag(const uint8_t *buf, size_t n,
				    struct dot_buf *out);

#endif
