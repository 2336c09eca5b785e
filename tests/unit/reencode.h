/*
 * reencode.h - walk one canonical item with the cursor API and encode it
 * again; shared by the codec unit test and the codec fuzz target, which both
 * hold that decoding then encoding gives back the same bytes.
 */
#ifndef DOT_TEST_REENCODE_H
#define DOT_TEST_REENCODE_H

#include "doteros/codec.h"

/*
 * Walk one item with the cursor API and encode it again into out. Negative
 * integers below INT64_MIN (which dot_dec_int refuses with DOT_ERANGE) are
 * copied through dot_dec_item.
 */
static int
reencode(struct dot_dec *d, struct dot_buf *out)
{
	const uint8_t *p;
	const char *s;
	uint64_t u, n;
	int64_t i;
	size_t len;
	int rv;

	switch (dot_dec_peek(d)) {
	case DOT_CBOR_UINT:
		rv = dot_dec_uint(d, &u);
		if (rv == DOT_OK)
			dot_enc_uint(out, u);
		return rv;
	case DOT_CBOR_NINT:
		rv = dot_dec_int(d, &i);
		if (rv == DOT_OK) {
			dot_enc_int(out, i);
			return rv;
		}
		if (rv != DOT_ERANGE)
			return rv;
		rv = dot_dec_item(d, &p, &len);
		if (rv != DOT_OK)
			return rv;
		if (len != 9 || p[0] != 0x3b || !(p[1] & 0x80))
			return DOT_EINVAL;
		dot_enc_raw(out, p, len);
		return DOT_OK;
	case DOT_CBOR_BSTR:
		rv = dot_dec_bstr(d, &p, &len);
		if (rv == DOT_OK)
			dot_enc_bstr(out, p, len);
		return rv;
	case DOT_CBOR_TSTR:
		rv = dot_dec_tstr(d, &s, &len);
		if (rv == DOT_OK)
			dot_enc_tstr(out, s, len);
		return rv;
	case DOT_CBOR_ARRAY:
		rv = dot_dec_array(d, &n);
		if (rv != DOT_OK)
			return rv;
		dot_enc_array(out, n);
		for (uint64_t k = 0; k < n; k++) {
			rv = reencode(d, out);
			if (rv != DOT_OK)
				return rv;
		}
		return DOT_OK;
	case DOT_CBOR_MAP:
		rv = dot_dec_map(d, &n);
		if (rv != DOT_OK)
			return rv;
		dot_enc_map(out, n);
		for (uint64_t k = 0; k < n; k++) {
			rv = dot_dec_uint(d, &u);
			if (rv != DOT_OK)
				return rv;
			dot_enc_uint(out, u);
			rv = reencode(d, out);
			if (rv != DOT_OK)
				return rv;
		}
		return DOT_OK;
	default:
		return DOT_ECODEC_TRUNCATED;
	}
}

#endif
