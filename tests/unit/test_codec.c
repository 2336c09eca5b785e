/*
 * test_codec.c - the canonical binary encoding (docs/codec.md).
 *
 * Round trips at every head width, RFC 8949 Appendix A vectors in the
 * subset, each strictness rule with its precise error code and byte offset,
 * the cursor API, diagnostic notation, a seeded property test (generation
 * and mutation) and the sticky out-of-memory state of struct dot_buf.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/codec.h"
#include "doteros/heap.h"
#include "harness.h"
#include "reencode.h"

#define NO_OFFSET ((size_t)-1)

/* t_unhex, ignoring spaces (used to group the bytes of an item). */
static size_t
unhex(uint8_t *out, size_t cap, const char *hex)
{
	char tmp[1024];
	size_t o = 0;

	for (const char *c = hex; *c && o + 1 < sizeof(tmp); c++)
		if (*c != ' ')
			tmp[o++] = *c;
	tmp[o] = '\0';
	return t_unhex(out, cap, tmp);
}

/* 1 if msg contains "byte <off>" not followed by another digit. */
static int
msg_names_offset(const char *msg, size_t off)
{
	char want[40];
	const char *p = msg;
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "byte %zu", off);
	while ((p = strstr(p, want)) != NULL) {
		if (!isdigit((unsigned char)p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * Check hex under lim; compare the code and, unless NO_OFFSET, that the
 * message names the byte offset. Returns 1 when everything matched.
 */
static int
expect_lim(const char *hex, const struct dot_codec_limits *lim, int want,
	   size_t off, int line)
{
	static uint8_t buf[4096];
	struct dot_err e = {0};
	size_t n = unhex(buf, sizeof(buf), hex);
	int rv = dot_codec_check(buf, n, lim, &e);

	t_checks_++;
	if (rv != want) {
		t_fail_(__FILE__, line, "%s: got %s, want %s (%s)", hex,
			dot_errname(rv), dot_errname(want), e.msg);
		return 0;
	}
	if (want != DOT_OK && e.code != want) {
		t_fail_(__FILE__, line, "%s: e.code %s, want %s", hex,
			dot_errname(e.code), dot_errname(want));
		return 0;
	}
	if (want != DOT_OK && off != NO_OFFSET &&
	    !msg_names_offset(e.msg, off)) {
		t_fail_(__FILE__, line, "%s: message \"%s\" lacks byte %zu",
			hex, e.msg, off);
		return 0;
	}
	return 1;
}
#define EXPECT(hex, rc, off) expect_lim((hex), NULL, (rc), (off), __LINE__)
#define EXPECT_LIM(hex, lim, rc, off)                                          \
	expect_lim((hex), (lim), (rc), (off), __LINE__)

static void
hexify(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The buffer's bytes equal hex (and are free of a sticky error). */
static int
buf_is(const struct dot_buf *b, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(want, sizeof(want), hex);

	return b->err == DOT_OK && b->len == n &&
	       (n == 0 || memcmp(b->data, want, n) == 0);
}


/* Decode buf whole and re-encode it; 1 when the result is byte-identical. */
static int
roundtrips(const uint8_t *buf, size_t n, const struct dot_codec_limits *lim)
{
	struct dot_dec d;
	struct dot_buf out = {0};
	int ok;

	if (dot_dec_init(&d, buf, n, lim, NULL) != DOT_OK)
		return 0;
	ok = reencode(&d, &out) == DOT_OK && dot_dec_done(&d) &&
	     out.err == DOT_OK && out.len == n &&
	     (n == 0 || memcmp(out.data, buf, n) == 0);
	dot_buf_free(&out);
	return ok;
}

/* ---- integers ---- */

static void uint_boundaries(void);
static void
uint_boundaries(void)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} cases[] = {
		{0, "00"},
		{23, "17"},
		{24, "1818"},
		{255, "18ff"},
		{256, "190100"},
		{65535, "19ffff"},
		{65536, "1a00010000"},
		{0xffffffffu, "1affffffff"},
		{0x100000000u, "1b0000000100000000"},
		{UINT64_MAX, "1bffffffffffffffff"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dot_buf b = {0};
		struct dot_dec d;
		uint64_t v = 1;
		int64_t sv = 0;

		dot_enc_uint(&b, cases[i].v);
		CHECK(buf_is(&b, cases[i].hex));
		REQUIRE_RC(dot_dec_init(&d, b.data, b.len, NULL, NULL), DOT_OK);
		CHECK(dot_dec_peek(&d) == DOT_CBOR_UINT);
		CHECK_RC(dot_dec_uint(&d, &v), DOT_OK);
		CHECK(v == cases[i].v);
		CHECK(dot_dec_done(&d));
		CHECK(dot_dec_peek(&d) == -1);
		/* The signed reader takes what fits in int64_t. */
		REQUIRE_RC(dot_dec_init(&d, b.data, b.len, NULL, NULL), DOT_OK);
		if (cases[i].v <= (uint64_t)INT64_MAX) {
			CHECK_RC(dot_dec_int(&d, &sv), DOT_OK);
			CHECK((uint64_t)sv == cases[i].v);
		} else {
			CHECK_RC(dot_dec_int(&d, &sv), DOT_ERANGE);
			CHECK(d.off == 0); /* a failed read does not move */
		}
		CHECK(roundtrips(b.data, b.len, NULL));
		dot_buf_free(&b);
	}
}

static void nint_boundaries(void);
static void
nint_boundaries(void)
{
	static const struct {
		int64_t v;
		const char *hex;
	} cases[] = {
		{-1, "20"},
		{-24, "37"},
		{-25, "3818"},
		{-256, "38ff"},
		{-257, "390100"},
		{-65536, "39ffff"},
		{-65537, "3a00010000"},
		{-4294967296, "3affffffff"},
		{-4294967297, "3b0000000100000000"},
		{INT64_MIN, "3b7fffffffffffffff"},
		{INT64_MAX, "1b7fffffffffffffff"},
		{0, "00"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dot_buf b = {0};
		struct dot_dec d;
		uint64_t u;
		int64_t v = 1;

		dot_enc_int(&b, cases[i].v);
		CHECK(buf_is(&b, cases[i].hex));
		REQUIRE_RC(dot_dec_init(&d, b.data, b.len, NULL, NULL), DOT_OK);
		CHECK_RC(dot_dec_int(&d, &v), DOT_OK);
		CHECK(v == cases[i].v);
		CHECK(dot_dec_done(&d));
		if (cases[i].v < 0) {
			REQUIRE_RC(dot_dec_init(&d, b.data, b.len, NULL, NULL),
				   DOT_OK);
			CHECK(dot_dec_peek(&d) == DOT_CBOR_NINT);
			CHECK_RC(dot_dec_uint(&d, &u), DOT_ECODEC_TYPE);
		}
		CHECK(roundtrips(b.data, b.len, NULL));
		dot_buf_free(&b);
	}
}

/* -2^63-1 .. -2^64 are canonical but outside int64_t. */
static void nint_below_int64(void);
static void
nint_below_int64(void)
{
	static const char *const hex[] = {"3b8000000000000000",
					  "3bffffffffffffffff"};

	for (size_t i = 0; i < 2; i++) {
		uint8_t buf[9];
		struct dot_dec d;
		struct dot_err e = {0};
		const uint8_t *p;
		size_t n;
		int64_t v;

		unhex(buf, sizeof(buf), hex[i]);
		REQUIRE_RC(dot_dec_init(&d, buf, 9, NULL, &e), DOT_OK);
		CHECK_RC(dot_dec_int(&d, &v), DOT_ERANGE);
		CHECK(msg_names_offset(e.msg, 0));
		CHECK(d.off == 0);
		CHECK_RC(dot_dec_item(&d, &p, &n), DOT_OK);
		CHECK(p == buf && n == 9);
		CHECK(dot_dec_done(&d));
	}
}

/* ---- RFC 8949 Appendix A, the examples inside the subset ---- */

static void rfc8949_appendix_a(void);
static void
rfc8949_appendix_a(void)
{
	static const struct {
		const char *hex;
		const char *diag;
	} cases[] = {
		{"00", "0"},
		{"01", "1"},
		{"0a", "10"},
		{"17", "23"},
		{"1818", "24"},
		{"1819", "25"},
		{"1864", "100"},
		{"1903e8", "1000"},
		{"1a000f4240", "1000000"},
		{"1b000000e8d4a51000", "1000000000000"},
		{"1bffffffffffffffff", "18446744073709551615"},
		{"3bffffffffffffffff", "-18446744073709551616"},
		{"20", "-1"},
		{"29", "-10"},
		{"3863", "-100"},
		{"3903e7", "-1000"},
		{"40", "h''"},
		{"4401020304", "h'01020304'"},
		{"60", "\"\""},
		{"6161", "\"a\""},
		{"6449455446", "\"IETF\""},
		{"62225c", "\"\\\"\\\\\""},
		{"62c3bc", "\"\xc3\xbc\""},
		{"63e6b0b4", "\"\xe6\xb0\xb4\""},
		{"64f0908591", "\"\xf0\x90\x85\x91\""},
		{"80", "[]"},
		{"83010203", "[1, 2, 3]"},
		{"8301820203820405", "[1, [2, 3], [4, 5]]"},
		{"98190102030405060708090a0b0c0d0e0f101112131415161718181819",
		 "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, "
		 "18, 19, 20, 21, 22, 23, 24, 25]"},
		{"a0", "{}"},
		{"a201020304", "{1: 2, 3: 4}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64];
		size_t n = unhex(buf, sizeof(buf), cases[i].hex);
		struct dot_buf out = {0};

		EXPECT(cases[i].hex, DOT_OK, NO_OFFSET);
		CHECK(roundtrips(buf, n, NULL));
		CHECK_RC(dot_codec_diag(buf, n, &out), DOT_OK);
		REQUIRE(out.data != NULL);
		if (strcmp((char *)out.data, cases[i].diag) != 0 ||
		    out.len != strlen(cases[i].diag))
			t_fail_(__FILE__, __LINE__, "%s: diag %s, want %s",
				cases[i].hex, (char *)out.data, cases[i].diag);
		dot_buf_free(&out);
	}

	/* The encoder produces the same bytes. */
	{
		struct dot_buf b = {0};

		dot_enc_array(&b, 3);
		dot_enc_uint(&b, 1);
		dot_enc_array(&b, 2);
		dot_enc_uint(&b, 2);
		dot_enc_uint(&b, 3);
		dot_enc_array(&b, 2);
		dot_enc_uint(&b, 4);
		dot_enc_uint(&b, 5);
		CHECK(buf_is(&b, "8301820203820405"));
		dot_buf_free(&b);
		dot_enc_map(&b, 2);
		dot_enc_uint(&b, 1);
		dot_enc_uint(&b, 2);
		dot_enc_uint(&b, 3);
		dot_enc_uint(&b, 4);
		CHECK(buf_is(&b, "a201020304"));
		dot_buf_free(&b);
		dot_enc_tstr(&b, "IETF", 4);
		dot_enc_bstr(&b, "\x01\x02\x03\x04", 4);
		dot_enc_tstr(&b, "", 0);
		dot_enc_bstr(&b, NULL, 0);
		CHECK(buf_is(&b, "6449455446440102030460" "40"));
		dot_buf_free(&b);
		dot_enc_int(&b, -1000);
		dot_enc_raw(&b, "\x83\x01\x02\x03", 4);
		CHECK(buf_is(&b, "3903e783010203"));
		dot_buf_free(&b);
	}
}

/* ---- strings and containers at every head width ---- */

static const uint64_t len_bounds[] = {0, 1, 23, 24, 255, 256, 65535, 65536};
#define NBOUNDS (sizeof(len_bounds) / sizeof(len_bounds[0]))

static size_t
head_len(uint64_t v)
{
	return v < 24 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffff ? 5
									     : 9;
}

static void string_lengths(void);
static void
string_lengths(void)
{
	size_t maxn = 1u << 20;
	char *src = malloc(maxn + 1);

	REQUIRE(src != NULL);
	for (size_t i = 0; i < maxn + 1; i++)
		src[i] = (char)('a' + i % 26);
	for (size_t k = 0; k < NBOUNDS + 1; k++) {
		/* Every width boundary, then the default limit itself. */
		size_t n = k < NBOUNDS ? (size_t)len_bounds[k] : maxn;
		for (int text = 0; text < 2; text++) {
			struct dot_buf b = {0};
			struct dot_dec d;
			const uint8_t *p = NULL;
			const char *s = NULL;
			size_t got = 0;

			if (text)
				dot_enc_tstr(&b, src, n);
			else
				dot_enc_bstr(&b, src, n);
			REQUIRE(b.err == DOT_OK);
			CHECK(b.len == head_len(n) + n);
			CHECK(b.data[0] >> 5 == (text ? 3 : 2));
			REQUIRE_RC(dot_dec_init(&d, b.data, b.len, NULL, NULL),
				   DOT_OK);
			if (text) {
				CHECK_RC(dot_dec_tstr(&d, &s, &got), DOT_OK);
				p = (const uint8_t *)s;
			} else {
				CHECK_RC(dot_dec_bstr(&d, &p, &got), DOT_OK);
			}
			CHECK(got == n);
			CHECK(p == b.data + head_len(n)); /* a slice, no copy */
			CHECK(n == 0 || memcmp(p, src, n) == 0);
			CHECK(dot_dec_done(&d));
			CHECK(roundtrips(b.data, b.len, NULL));
			dot_buf_free(&b);
		}
	}
	/* One byte over the default limit. */
	{
		struct dot_buf b = {0};
		struct dot_err e = {0};

		dot_enc_bstr(&b, src, maxn + 1);
		REQUIRE(b.err == DOT_OK);
		CHECK_RC(dot_codec_check(b.data, b.len, NULL, &e),
			 DOT_ECODEC_LENGTH);
		CHECK(msg_names_offset(e.msg, 0));
		dot_buf_free(&b);
	}
	free(src);
}

static void container_lengths(void);
static void
container_lengths(void)
{
	for (size_t k = 0; k < NBOUNDS + 1; k++) {
		uint64_t n = k < NBOUNDS ? len_bounds[k] : 65537;
		for (int map = 0; map < 2; map++) {
			struct dot_buf b = {0};
			struct dot_dec d;
			struct dot_err e = {0};
			uint64_t got = 0, v;
			int ok = 1;

			if (map)
				dot_enc_map(&b, n);
			else
				dot_enc_array(&b, n);
			for (uint64_t i = 0; i < n; i++) {
				if (map)
					dot_enc_uint(&b, i);
				dot_enc_uint(&b, i % 24);
			}
			REQUIRE(b.err == DOT_OK);
			CHECK(b.data[0] >> 5 == (map ? 5 : 4));
			if (n > dot_codec_default_limits.max_items) {
				CHECK_RC(dot_codec_check(b.data, b.len, NULL,
							 &e),
					 DOT_ECODEC_LENGTH);
				CHECK(msg_names_offset(e.msg, 0));
				dot_buf_free(&b);
				continue;
			}
			REQUIRE_RC(dot_dec_init(&d, b.data, b.len, NULL, NULL),
				   DOT_OK);
			if (map)
				CHECK_RC(dot_dec_map(&d, &got), DOT_OK);
			else
				CHECK_RC(dot_dec_array(&d, &got), DOT_OK);
			CHECK(got == n);
			for (uint64_t i = 0; ok && i < n; i++) {
				if (map && (dot_dec_uint(&d, &v) != DOT_OK ||
					    v != i))
					ok = 0;
				if (dot_dec_uint(&d, &v) != DOT_OK ||
				    v != i % 24)
					ok = 0;
			}
			CHECK(ok);
			CHECK(dot_dec_done(&d));
			CHECK(roundtrips(b.data, b.len, NULL));
			dot_buf_free(&b);
		}
	}
}

static void nested(void);
static void
nested(void)
{
	/* {0: [1, {2: h'aa', 3: "t"}, []], 24: {}, 256: [[-1]]} */
	static const char hex[] =
		"a3 00 83 01 a2 02 41aa 03 6174 80 1818 a0 190100 8181 20";
	struct dot_buf b = {0};
	struct dot_dec d;
	struct dot_err e = {0};
	uint64_t n, k;
	int64_t v;
	const uint8_t *p;
	const char *s;
	size_t len;

	dot_enc_map(&b, 3);
	dot_enc_uint(&b, 0);
	dot_enc_array(&b, 3);
	dot_enc_uint(&b, 1);
	dot_enc_map(&b, 2);
	dot_enc_uint(&b, 2);
	dot_enc_bstr(&b, "\xaa", 1);
	dot_enc_uint(&b, 3);
	dot_enc_tstr(&b, "t", 1);
	dot_enc_array(&b, 0);
	dot_enc_uint(&b, 24);
	dot_enc_map(&b, 0);
	dot_enc_uint(&b, 256);
	dot_enc_array(&b, 1);
	dot_enc_array(&b, 1);
	dot_enc_int(&b, -1);
	REQUIRE(buf_is(&b, hex));
	CHECK(roundtrips(b.data, b.len, NULL));

	REQUIRE_RC(dot_dec_init(&d, b.data, b.len, NULL, &e), DOT_OK);
	CHECK_RC(dot_dec_map(&d, &n), DOT_OK);
	CHECK(n == 3);
	CHECK_RC(dot_dec_uint(&d, &k), DOT_OK);
	CHECK(k == 0);
	CHECK_RC(dot_dec_array(&d, &n), DOT_OK);
	CHECK(n == 3);
	CHECK_RC(dot_dec_int(&d, &v), DOT_OK);
	CHECK(v == 1);
	/* Skip the inner map whole, as a slice. */
	CHECK_RC(dot_dec_item(&d, &p, &len), DOT_OK);
	CHECK(p == b.data + 4 && len == 7);
	CHECK_RC(dot_dec_array(&d, &n), DOT_OK);
	CHECK(n == 0);
	CHECK_RC(dot_dec_uint(&d, &k), DOT_OK);
	CHECK(k == 24);
	CHECK_RC(dot_dec_map(&d, &n), DOT_OK);
	CHECK(n == 0);
	CHECK_RC(dot_dec_uint(&d, &k), DOT_OK);
	CHECK(k == 256);
	CHECK_RC(dot_dec_item(&d, &p, &len), DOT_OK);
	CHECK(len == 3 && p[0] == 0x81 && p[1] == 0x81 && p[2] == 0x20);
	CHECK(dot_dec_done(&d));
	CHECK_RC(dot_dec_item(&d, &p, &len), DOT_ECODEC_TRUNCATED);
	CHECK_RC(dot_dec_tstr(&d, &s, &len), DOT_ECODEC_TRUNCATED);
	dot_buf_free(&b);
}

/* ---- strictness ---- */

static void noncanonical_heads(void);
static void
noncanonical_heads(void)
{
	/* Each width used for a value the next smaller one holds. */
	static const struct {
		const char *arg;
		int shortest;
	} forms[] = {
		{"1800", 0},
		{"1805", 0},
		{"1817", 0},
		{"1818", 1},
		{"190000", 0},
		{"1900ff", 0},
		{"190100", 1},
		{"1a00000000", 0},
		{"1a0000ffff", 0},
		{"1a00010000", 1},
		{"1b0000000000000000", 0},
		{"1b00000000ffffffff", 0},
		{"1b0000000100000000", 1},
	};
	for (unsigned major = 0; major <= 5; major++) {
		for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			uint8_t buf[16];
			char hex[40];
			size_t n = unhex(buf, sizeof(buf), forms[i].arg);
			int want;

			buf[0] = (uint8_t)(buf[0] | major << 5);
			if (major >= 2)
				buf[n++] = 0; /* one byte of content */
			hexify(hex, buf, n);
			if (!forms[i].shortest)
				want = DOT_ECODEC_NONCANONICAL;
			else if (major <= 1)
				want = DOT_OK;
			else if (forms[i].arg[1] == 'b')
				want = DOT_ECODEC_LENGTH; /* 2^32: over a limit */
			else
				want = DOT_ECODEC_TRUNCATED;
			if (!EXPECT(hex, want, want == DOT_OK ? NO_OFFSET : 0))
				printf("# major %u form %s\n", major,
				       forms[i].arg);
		}
	}
	/* Some of them whole, and inside containers and as map keys. */
	EXPECT("5805" "0102030405", DOT_ECODEC_NONCANONICAL, 0);
	EXPECT("7801" "61", DOT_ECODEC_NONCANONICAL, 0);
	EXPECT("980101", DOT_ECODEC_NONCANONICAL, 0);
	EXPECT("b8010000", DOT_ECODEC_NONCANONICAL, 0);
	EXPECT("38170000", DOT_ECODEC_NONCANONICAL, 0);
	EXPECT("8201" "1900ff", DOT_ECODEC_NONCANONICAL, 2);
	EXPECT("a1" "1801" "00", DOT_ECODEC_NONCANONICAL, 1);
	EXPECT("a2" "00" "00" "1801" "00", DOT_ECODEC_NONCANONICAL, 3);
}

static void unsupported(void);
static void
unsupported(void)
{
	static const char *const bad[] = {
		/* indefinite lengths and break */
		"5f4101ff", "7f6161ff", "9f01ff", "bf0101ff", "ff", "1f", "3f",
		/* tags */
		"c074323031332d30332d32315432303a30343a30305a", "c11a514b67b0",
		"c249010000000000000000", "d818456449455446", "d9d9f700",
		"db000000000000000000",
		/* simple values and floats */
		"f4", "f5", "f6", "f7", "f0", "f818", "f90000", "f93c00",
		"fa47c35000", "fb3ff199999999999a", "fbfff0000000000000",
		/* reserved additional information 28..30, every major */
		"1c", "1d", "1e", "3c", "3d", "3e", "5c", "5d", "5e", "7c", "7d",
		"7e", "9c", "9d", "9e", "bc", "bd", "be", "dc", "fc", "fe",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT(bad[i], DOT_ECODEC_UNSUPPORTED, 0);
	/* The offset names the item, wherever it is. */
	EXPECT("8301f402", DOT_ECODEC_UNSUPPORTED, 2);
	EXPECT("a100f6", DOT_ECODEC_UNSUPPORTED, 2);
	EXPECT("a10001f6", DOT_ECODEC_TRAILING, 3);
	EXPECT("a101f6", DOT_ECODEC_UNSUPPORTED, 2);
	EXPECT("a1f600", DOT_ECODEC_UNSUPPORTED, 1);
	EXPECT("a100c0", DOT_ECODEC_UNSUPPORTED, 2);
	EXPECT("8182019f", DOT_ECODEC_UNSUPPORTED, 3);
	EXPECT("81019f", DOT_ECODEC_TRAILING, 2);
	EXPECT("82019fff", DOT_ECODEC_UNSUPPORTED, 2);
	EXPECT("8201bf", DOT_ECODEC_UNSUPPORTED, 2);
}

static void trailing_and_empty(void);
static void
trailing_and_empty(void)
{
	struct dot_err e = {0};
	uint8_t one = 0;

	EXPECT("", DOT_ECODEC_TRUNCATED, 0);
	CHECK_RC(dot_codec_check(NULL, 0, NULL, &e), DOT_ECODEC_TRUNCATED);
	CHECK_RC(dot_codec_check(NULL, 1, NULL, &e), DOT_EINVAL);
	CHECK_RC(dot_codec_check(&one, 1, NULL, NULL), DOT_OK);
	EXPECT("0000", DOT_ECODEC_TRAILING, 1);
	EXPECT("8001", DOT_ECODEC_TRAILING, 1);
	EXPECT("a0a0", DOT_ECODEC_TRAILING, 1);
	EXPECT("420102ff", DOT_ECODEC_TRAILING, 3);
	EXPECT("1b000000010000000000", DOT_ECODEC_TRAILING, 9);
	EXPECT("a1000100", DOT_ECODEC_TRAILING, 3);
}

static void truncation_everywhere(void);
static void
truncation_everywhere(void)
{
	struct dot_buf b = {0};
	struct dot_err e = {0};

	dot_enc_map(&b, 4);
	dot_enc_uint(&b, 1);
	dot_enc_array(&b, 3);
	dot_enc_uint(&b, 0x100000000u);
	dot_enc_int(&b, -70000);
	dot_enc_bstr(&b, "0123456789abcdefghijklmnopqrstuvwxyz", 36);
	dot_enc_uint(&b, 300);
	dot_enc_tstr(&b, "h\xc3\xa9llo w\xf0\x9f\x98\x80rld", 16);
	dot_enc_uint(&b, 70000);
	dot_enc_map(&b, 1);
	dot_enc_uint(&b, 0);
	dot_enc_array(&b, 0);
	dot_enc_uint(&b, UINT64_MAX);
	dot_enc_int(&b, INT64_MIN);
	REQUIRE(b.err == DOT_OK);
	REQUIRE_RC(dot_codec_check(b.data, b.len, NULL, &e), DOT_OK);
	for (size_t n = 0; n < b.len; n++) {
		int rv = dot_codec_check(b.data, n, NULL, &e);

		if (rv != DOT_ECODEC_TRUNCATED || !strstr(e.msg, "byte "))
			t_fail_(__FILE__, __LINE__, "prefix %zu of %zu: %s (%s)",
				n, b.len, dot_errname(rv), e.msg);
	}
	/* And a byte more is trailing. */
	dot_buf_put(&b, "", 1);
	CHECK_RC(dot_codec_check(b.data, b.len, NULL, &e), DOT_ECODEC_TRAILING);
	CHECK(msg_names_offset(e.msg, b.len - 1));
	dot_buf_free(&b);
}

static void depth_limit(void);
static void
depth_limit(void)
{
	char hex[2 * 40 + 1];
	struct dot_codec_limits lim = dot_codec_default_limits;
	struct dot_err e = {0};
	uint8_t x = 0;

	/* 16 nested arrays (the innermost empty) pass, 17 do not. */
	for (int depth = 1; depth <= 18; depth++) {
		hex[0] = '\0';
		for (int i = 0; i < depth - 1; i++)
			strcat(hex, "81");
		strcat(hex, "80");
		EXPECT(hex, depth <= 16 ? DOT_OK : DOT_ECODEC_DEPTH,
		       depth <= 16 ? NO_OFFSET : 16);
	}
	/* The same with maps {0: {0: ... {}}}. */
	for (int depth = 16; depth <= 17; depth++) {
		hex[0] = '\0';
		for (int i = 0; i < depth - 1; i++)
			strcat(hex, "a100");
		strcat(hex, "a0");
		EXPECT(hex, depth <= 16 ? DOT_OK : DOT_ECODEC_DEPTH,
		       depth <= 16 ? NO_OFFSET : 32);
	}
	/* A scalar at the bottom of 16 containers is fine. */
	EXPECT("8181818181818181818181818181818100", DOT_OK, NO_OFFSET);
	/* A caller's tighter limit. */
	lim.max_depth = 3;
	EXPECT_LIM("818180", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("81818180", &lim, DOT_ECODEC_DEPTH, 3);
	EXPECT_LIM("a10081a100a0", &lim, DOT_ECODEC_DEPTH, 5);
	lim.max_depth = 0;
	EXPECT_LIM("00", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("80", &lim, DOT_ECODEC_DEPTH, 0);
	EXPECT_LIM("a0", &lim, DOT_ECODEC_DEPTH, 0);
	/* No limit may raise the ceiling. */
	lim.max_depth = DOT_CODEC_MAX_DEPTH + 1;
	CHECK_RC(dot_codec_check(&x, 1, &lim, &e), DOT_EINVAL);
}

static void length_limits(void);
static void
length_limits(void)
{
	struct dot_codec_limits lim = dot_codec_default_limits;

	lim.max_str = 4;
	lim.max_items = 2;
	EXPECT_LIM("4401020304", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("450102030405", &lim, DOT_ECODEC_LENGTH, 0);
	EXPECT_LIM("6461626364", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("656162636465", &lim, DOT_ECODEC_LENGTH, 0);
	EXPECT_LIM("820102", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("83010203", &lim, DOT_ECODEC_LENGTH, 0);
	EXPECT_LIM("a200000100", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("a3000001000200", &lim, DOT_ECODEC_LENGTH, 0);
	EXPECT_LIM("8201450102030405", &lim, DOT_ECODEC_LENGTH, 2);
	/* The limit is checked before the bytes are looked for. */
	EXPECT_LIM("45", &lim, DOT_ECODEC_LENGTH, 0);
	EXPECT_LIM("83", &lim, DOT_ECODEC_LENGTH, 0);
	lim.max_str = 0;
	lim.max_items = 0;
	EXPECT_LIM("40", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("80", &lim, DOT_OK, NO_OFFSET);
	EXPECT_LIM("4100", &lim, DOT_ECODEC_LENGTH, 0);
	EXPECT_LIM("8100", &lim, DOT_ECODEC_LENGTH, 0);
}

/*
 * Declared lengths far past the input: refused at the head, without
 * allocating or looping over the declared count.
 */
static void huge_declared_lengths(void);
static void
huge_declared_lengths(void)
{
	struct dot_codec_limits big = {DOT_CODEC_MAX_DEPTH, UINT64_MAX,
				       UINT64_MAX};
	static const char *const heads[] = {
		"5bffffffffffffffff", "7bffffffffffffffff", "9bffffffffffffffff",
		"bbffffffffffffffff", "5b0000000100000000", "9a00010000",
		"5a00100000",	      "7a00100000",	    "990100",
		"b90100",
	};

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		char hex[64];

		/* Under the default limits most are over a limit first. */
		snprintf(hex, sizeof(hex), "%s0102", heads[i]);
		EXPECT_LIM(hex, &big, DOT_ECODEC_TRUNCATED, 0);
	}
	EXPECT("5bffffffffffffffff00", DOT_ECODEC_LENGTH, 0);
	EXPECT("9bffffffffffffffff00", DOT_ECODEC_LENGTH, 0);
	EXPECT("bb0000000100000000", DOT_ECODEC_LENGTH, 0);
	EXPECT("5a0010000000", DOT_ECODEC_TRUNCATED, 0);
	EXPECT("9a0001000000", DOT_ECODEC_TRUNCATED, 0);
	EXPECT("b9ffff0000", DOT_ECODEC_TRUNCATED, 0);
	/* A map of n pairs needs 2n bytes: n bytes are not enough. */
	EXPECT("a3000102", DOT_ECODEC_TRUNCATED, 0);
	/* Nested: each level refuses early. */
	EXPECT("81818199ffff", DOT_ECODEC_TRUNCATED, 3);
	/* A header heavy with nested huge arrays runs in linear time. */
	{
		uint8_t *buf = malloc(60000);
		struct dot_err e = {0};

		REQUIRE(buf != NULL);
		for (size_t i = 0; i < 60000; i += 3) {
			buf[i] = 0x99;
			buf[i + 1] = 0xff;
			buf[i + 2] = 0xff;
		}
		CHECK_RC(dot_codec_check(buf, 60000, &big, &e),
			 DOT_ECODEC_TRUNCATED);
		memset(buf, 0x81, 60000);
		CHECK_RC(dot_codec_check(buf, 60000, &big, &e),
			 DOT_ECODEC_DEPTH);
		/* 30000 one-byte items in one array: fine, and quick. */
		buf[0] = 0x99;
		buf[1] = 0x75;
		buf[2] = 0x2e; /* 29998 */
		memset(buf + 3, 0x00, 60000 - 3);
		CHECK_RC(dot_codec_check(buf, 3 + 29998, &big, &e), DOT_OK);
		CHECK_RC(dot_codec_check(buf, 60000, &big, &e),
			 DOT_ECODEC_TRAILING);
		free(buf);
	}
}

static void map_keys(void);
static void
map_keys(void)
{
	EXPECT("a2000001000200", DOT_ECODEC_TRAILING, 5);
	EXPECT("a3000001000200", DOT_OK, NO_OFFSET);
	EXPECT("a2010000", DOT_ECODEC_TRUNCATED, NO_OFFSET);
	EXPECT("a201000000", DOT_ECODEC_KEYORDER, 3);
	EXPECT("a201000100", DOT_ECODEC_KEYORDER, 3);
	EXPECT("a3000001000100", DOT_ECODEC_KEYORDER, 5);
	EXPECT("a217001818 00", DOT_OK, NO_OFFSET);
	EXPECT("a2181800 1700", DOT_ECODEC_KEYORDER, 4);
	EXPECT("a21901000018ff00", DOT_ECODEC_KEYORDER, 5);
	EXPECT("a21bffffffffffffffff00 00 00", DOT_ECODEC_KEYORDER, 11);
	EXPECT("a2001bffffffffffffffff 00 00", DOT_ECODEC_KEYORDER, 11);
	EXPECT("a2 00 1bffffffffffffffff 01 00", DOT_OK, NO_OFFSET);
	/* Keys must be unsigned integers. */
	EXPECT("a12000", DOT_ECODEC_TYPE, 1);
	EXPECT("a1616100", DOT_ECODEC_TYPE, 1);
	EXPECT("a1410000", DOT_ECODEC_TYPE, 1);
	EXPECT("a18000", DOT_ECODEC_TYPE, 1);
	EXPECT("a1a000", DOT_ECODEC_TYPE, 1);
	EXPECT("a2000020 00", DOT_ECODEC_TYPE, 3);
	/* Order is checked at every depth. */
	EXPECT("81a2020001 00", DOT_ECODEC_KEYORDER, 4);
	/* A value can be anything. */
	EXPECT("a4 00 20 01 4100 02 6161 03 a10080", DOT_OK, NO_OFFSET);
}

static void utf8_rules(void);
static void
utf8_rules(void)
{
	static const struct {
		const char *text; /* hex of the string's bytes */
		int ok;
		size_t bad; /* offset of the bad sequence in the string */
	} cases[] = {
		{"00", 1, 0},
		{"7f", 1, 0},
		{"c280", 1, 0},
		{"dfbf", 1, 0},
		{"e0a080", 1, 0},
		{"ed9fbf", 1, 0},   /* U+D7FF */
		{"ee8080", 1, 0},   /* U+E000 */
		{"efbfbf", 1, 0},   /* U+FFFF */
		{"f0908080", 1, 0}, /* U+10000 */
		{"f48fbfbf", 1, 0}, /* U+10FFFF */
		{"80", 0, 0},	    /* lone continuation */
		{"bf", 0, 0},
		{"61 80", 0, 1},
		{"c080", 0, 0},	     /* overlong NUL */
		{"c1bf", 0, 0},	     /* overlong U+7F */
		{"e08080", 0, 0},    /* overlong */
		{"e09fbf", 0, 0},    /* overlong U+7FF */
		{"f0808080", 0, 0},  /* overlong */
		{"f08fbfbf", 0, 0},  /* overlong U+FFFF */
		{"eda080", 0, 0},    /* U+D800 */
		{"edb080", 0, 0},    /* U+DC00 */
		{"edbfbf", 0, 0},    /* U+DFFF */
		{"eda0bdedb080", 0, 0}, /* CESU-8 pair */
		{"f4908080", 0, 0},  /* U+110000 */
		{"f5808080", 0, 0},
		{"f7bfbfbf", 0, 0},
		{"f888808080", 0, 0}, /* 5-byte form */
		{"fc8480808080", 0, 0},
		{"fe", 0, 0},
		{"ff", 0, 0},
		{"c3", 0, 0},	    /* truncated sequences */
		{"e6b0", 0, 0},
		{"f09085", 0, 0},
		{"6162 c3", 0, 2},
		{"c328", 0, 0},	    /* bad continuation */
		{"e628b4", 0, 0},
		{"f09028 91", 0, 0},
		{"61c3bc62 e6b0b4 63 f0908591 64 ed", 0, 13},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t s[32];
		char hex[80];
		size_t n = unhex(s, sizeof(s), cases[i].text);
		struct dot_buf b = {0};

		dot_enc_tstr(&b, (const char *)s, n);
		REQUIRE(b.err == DOT_OK);
		hexify(hex, b.data, b.len);
		if (!EXPECT(hex, cases[i].ok ? DOT_OK : DOT_ECODEC_UTF8,
			    1 + cases[i].bad))
			printf("# case %s\n", cases[i].text);
		/* The same bytes as a byte string are fine. */
		b.data[0] = (uint8_t)(0x40 | (b.data[0] & 31));
		hexify(hex, b.data, b.len);
		EXPECT(hex, DOT_OK, NO_OFFSET);
		dot_buf_free(&b);
	}
	/* Inside a container, the offset is from the buffer's start. */
	EXPECT("a2 00 6161 01 63 61 c0 80", DOT_ECODEC_UTF8, 7);
}

/* ---- the cursor ---- */

static void cursor_types(void);
static void
cursor_types(void)
{
	/* {1: 5, 2: -3, 3: h'0102', 4: "hi", 5: [1, 2], 6: {}} */
	uint8_t buf[64];
	size_t n = unhex(buf, sizeof(buf),
			 "a6 0105 0222 03420102 04626869 0582 0102 06a0");
	struct dot_dec d;
	struct dot_err e = {0};
	uint64_t u;
	int64_t i;
	const uint8_t *p;
	const char *s;
	size_t len;

	REQUIRE_RC(dot_dec_init(&d, buf, n, NULL, &e), DOT_OK);
	CHECK(dot_dec_peek(&d) == DOT_CBOR_MAP);
	/* Every reader but the right one refuses, naming byte 0. */
	CHECK_RC(dot_dec_uint(&d, &u), DOT_ECODEC_TYPE);
	CHECK(e.code == DOT_ECODEC_TYPE && msg_names_offset(e.msg, 0));
	CHECK_RC(dot_dec_int(&d, &i), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_bstr(&d, &p, &len), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_bstr_fixed(&d, &p, 2), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_tstr(&d, &s, &len), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_array(&d, &u), DOT_ECODEC_TYPE);
	CHECK(d.off == 0);
	REQUIRE_RC(dot_dec_map(&d, &u), DOT_OK);
	CHECK(u == 6);

	CHECK_RC(dot_dec_uint(&d, &u), DOT_OK); /* 1: 5 */
	CHECK(u == 1);
	CHECK(dot_dec_peek(&d) == DOT_CBOR_UINT);
	CHECK_RC(dot_dec_map(&d, &u), DOT_ECODEC_TYPE);
	CHECK(msg_names_offset(e.msg, 2));
	CHECK_RC(dot_dec_int(&d, &i), DOT_OK);
	CHECK(i == 5);

	CHECK_RC(dot_dec_uint(&d, &u), DOT_OK); /* 2: -3 */
	CHECK(dot_dec_peek(&d) == DOT_CBOR_NINT);
	CHECK_RC(dot_dec_uint(&d, &u), DOT_ECODEC_TYPE);
	CHECK(msg_names_offset(e.msg, 4));
	CHECK_RC(dot_dec_int(&d, &i), DOT_OK);
	CHECK(i == -3);

	CHECK_RC(dot_dec_uint(&d, &u), DOT_OK); /* 3: h'0102' */
	CHECK(dot_dec_peek(&d) == DOT_CBOR_BSTR);
	CHECK_RC(dot_dec_tstr(&d, &s, &len), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_bstr_fixed(&d, &p, 3), DOT_ECODEC_LENGTH);
	CHECK(msg_names_offset(e.msg, 6));
	CHECK_RC(dot_dec_bstr_fixed(&d, &p, 1), DOT_ECODEC_LENGTH);
	CHECK_RC(dot_dec_bstr_fixed(&d, &p, 0), DOT_ECODEC_LENGTH);
	CHECK(d.off == 6); /* failed reads leave the cursor */
	CHECK_RC(dot_dec_bstr_fixed(&d, &p, 2), DOT_OK);
	CHECK(p == buf + 7 && p[0] == 1 && p[1] == 2);

	CHECK_RC(dot_dec_uint(&d, &u), DOT_OK); /* 4: "hi" */
	CHECK(dot_dec_peek(&d) == DOT_CBOR_TSTR);
	CHECK_RC(dot_dec_bstr(&d, &p, &len), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_tstr(&d, &s, &len), DOT_OK);
	CHECK(len == 2 && memcmp(s, "hi", 2) == 0);

	CHECK_RC(dot_dec_uint(&d, &u), DOT_OK); /* 5: [1, 2] */
	CHECK(dot_dec_peek(&d) == DOT_CBOR_ARRAY);
	CHECK_RC(dot_dec_map(&d, &u), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_item(&d, &p, &len), DOT_OK);
	CHECK(p == buf + 14 && len == 3);

	CHECK_RC(dot_dec_uint(&d, &u), DOT_OK); /* 6: {} */
	CHECK(u == 6);
	CHECK(dot_dec_peek(&d) == DOT_CBOR_MAP);
	CHECK_RC(dot_dec_array(&d, &u), DOT_ECODEC_TYPE);
	CHECK_RC(dot_dec_map(&d, &u), DOT_OK);
	CHECK(u == 0);
	CHECK(dot_dec_done(&d));
	CHECK(dot_dec_peek(&d) == -1);
	CHECK_RC(dot_dec_uint(&d, &u), DOT_ECODEC_TRUNCATED);
	CHECK_RC(dot_dec_int(&d, &i), DOT_ECODEC_TRUNCATED);

	/* A cursor whose buffer failed the check reads nothing. */
	CHECK_RC(dot_dec_init(&d, buf, n - 1, NULL, &e),
		 DOT_ECODEC_TRUNCATED);
	CHECK(dot_dec_peek(&d) == -1);
	CHECK(dot_dec_done(&d));
	CHECK_RC(dot_dec_map(&d, &u), DOT_ECODEC_TRUNCATED);
	CHECK_RC(dot_dec_item(&d, &p, &len), DOT_ECODEC_TRUNCATED);
	/* The error context is optional. */
	CHECK_RC(dot_dec_init(&d, buf, n, NULL, NULL), DOT_OK);
	CHECK_RC(dot_dec_uint(&d, &u), DOT_ECODEC_TYPE);
}

/* A buffer checked under limits above the defaults stays readable whole. */
static void cursor_custom_limits(void);
static void
cursor_custom_limits(void)
{
	struct dot_codec_limits lim = {DOT_CODEC_MAX_DEPTH, 4u << 20,
				       1u << 20};
	size_t big = (2u << 20) + 1;
	uint8_t *blob = calloc(1, big);
	struct dot_buf b = {0}, out = {0};
	struct dot_dec d;
	struct dot_err e = {0};
	const uint8_t *p;
	size_t len;
	uint64_t n;

	REQUIRE(blob != NULL);
	dot_enc_array(&b, 2);
	dot_enc_bstr(&b, blob, big);
	dot_enc_array(&b, 70000);
	for (int i = 0; i < 70000; i++)
		dot_enc_uint(&b, 0);
	REQUIRE(b.err == DOT_OK);
	CHECK_RC(dot_codec_check(b.data, b.len, NULL, &e), DOT_ECODEC_LENGTH);
	REQUIRE_RC(dot_dec_init(&d, b.data, b.len, &lim, &e), DOT_OK);
	CHECK_RC(dot_dec_array(&d, &n), DOT_OK);
	CHECK_RC(dot_dec_item(&d, &p, &len), DOT_OK);
	CHECK(len == big + 5);
	CHECK_RC(dot_dec_item(&d, &p, &len), DOT_OK);
	CHECK(len == 5 + 70000);
	CHECK(dot_dec_done(&d));
	CHECK(roundtrips(b.data, b.len, &lim));
	CHECK_RC(dot_codec_diag(b.data, b.len, &out), DOT_OK);
	/* [h'00...', [0, 0, ...]] */
	CHECK(out.len == 1 + 2 + 2 * big + 1 + 2 + 1 + 70000 + 2 * 69999 + 2);
	dot_buf_free(&out);
	dot_buf_free(&b);
	free(blob);
}

/* ---- diagnostic notation ---- */

static void diag_sample(void);
static void
diag_sample(void)
{
	static const struct {
		const char *hex;
		const char *diag;
	} cases[] = {
		{"a3 01 4200ff 02 6178 03 820121",
		 "{1: h'00ff', 2: \"x\", 3: [1, -2]}"},
		{"66 61225c0a7f62", "\"a\\\"\\\\\\u000a\\u007fb\""},
		{"3b7fffffffffffffff", "-9223372036854775808"},
		{"82 a0 80", "[{}, []]"},
		{"a1 1bffffffffffffffff 40",
		 "{18446744073709551615: h''}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64];
		size_t n = unhex(buf, sizeof(buf), cases[i].hex);
		struct dot_buf out = {0};

		CHECK_RC(dot_codec_diag(buf, n, &out), DOT_OK);
		REQUIRE(out.data != NULL);
		CHECK(out.len == strlen(cases[i].diag));
		if (strcmp((char *)out.data, cases[i].diag) != 0)
			t_fail_(__FILE__, __LINE__, "diag %s, want %s",
				(char *)out.data, cases[i].diag);
		dot_buf_free(&out);
	}
	/* It appends, and refuses what the checker refuses, adding nothing. */
	{
		struct dot_buf out = {0};
		uint8_t bad[] = {0x18, 0x01};
		uint8_t ok[] = {0x01};

		dot_buf_put(&out, "x=", 2);
		CHECK_RC(dot_codec_diag(bad, 2, &out), DOT_ECODEC_NONCANONICAL);
		CHECK(out.len == 2);
		CHECK_RC(dot_codec_diag(ok, 1, &out), DOT_OK);
		CHECK(out.len == 3 && memcmp(out.data, "x=1", 4) == 0);
		dot_buf_free(&out);
	}
}

/* ---- property tests ---- */

static void
gen_text(struct dot_buf *b, uint64_t *seed, size_t maxchars)
{
	struct dot_buf s = {0};
	size_t n = (size_t)(t_rand(seed) % (maxchars + 1));

	for (size_t i = 0; i < n; i++) {
		uint32_t cp;
		uint8_t u[4];

		switch (t_rand(seed) % 4) {
		case 0:
			cp = (uint32_t)(t_rand(seed) % 0x80);
			break;
		case 1:
			cp = 0x80 + (uint32_t)(t_rand(seed) % (0x800 - 0x80));
			break;
		case 2:
			cp = 0x800 + (uint32_t)(t_rand(seed) % (0x10000 - 0x800));
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			break;
		default:
			cp = 0x10000 +
			     (uint32_t)(t_rand(seed) % (0x110000 - 0x10000));
			break;
		}
		if (cp < 0x80) {
			u[0] = (uint8_t)cp;
			dot_buf_put(&s, u, 1);
		} else if (cp < 0x800) {
			u[0] = (uint8_t)(0xc0 | cp >> 6);
			u[1] = (uint8_t)(0x80 | (cp & 63));
			dot_buf_put(&s, u, 2);
		} else if (cp < 0x10000) {
			u[0] = (uint8_t)(0xe0 | cp >> 12);
			u[1] = (uint8_t)(0x80 | (cp >> 6 & 63));
			u[2] = (uint8_t)(0x80 | (cp & 63));
			dot_buf_put(&s, u, 3);
		} else {
			u[0] = (uint8_t)(0xf0 | cp >> 18);
			u[1] = (uint8_t)(0x80 | (cp >> 12 & 63));
			u[2] = (uint8_t)(0x80 | (cp >> 6 & 63));
			u[3] = (uint8_t)(0x80 | (cp & 63));
			dot_buf_put(&s, u, 4);
		}
	}
	dot_enc_tstr(b, (const char *)s.data, s.len);
	dot_buf_free(&s);
}

/* A random value whose magnitude class is uniform over the head widths. */
static uint64_t
gen_arg(uint64_t *seed)
{
	static const uint64_t lo[] = {0, 24, 256, 65536, 0x100000000u};
	static const uint64_t hi[] = {23, 255, 65535, 0xffffffffu, UINT64_MAX};
	unsigned w = (unsigned)(t_rand(seed) % 5);
	uint64_t r = t_rand(seed);

	if (t_rand(seed) % 4 == 0) /* the edges themselves */
		return t_rand(seed) & 1 ? lo[w] : hi[w];
	if (w == 4)
		return r | lo[4];
	return lo[w] + r % (hi[w] - lo[w] + 1);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
gen_item(struct dot_buf *b, uint64_t *seed, unsigned depth)
{
	unsigned kind = (unsigned)(t_rand(seed) % (depth < 5 ? 8 : 5));

	switch (kind) {
	case 0:
		dot_enc_uint(b, gen_arg(seed));
		break;
	case 1: {
		uint64_t a = gen_arg(seed);
		if (a <= (uint64_t)INT64_MAX) {
			dot_enc_int(b, -(int64_t)a - 1);
		} else {
			/* Below INT64_MIN: only through the raw head. */
			uint8_t h[9] = {0x3b};
			for (int i = 0; i < 8; i++)
				h[1 + i] = (uint8_t)(a >> (56 - 8 * i));
			dot_enc_raw(b, h, 9);
		}
		break;
	}
	case 2: {
		uint8_t s[300];
		size_t n = t_rand(seed) % 4 == 0 ? 256 + t_rand(seed) % 44
						 : t_rand(seed) % 30;
		for (size_t i = 0; i < n; i++)
			s[i] = (uint8_t)t_rand(seed);
		dot_enc_bstr(b, s, n);
		break;
	}
	case 3:
	case 4:
		gen_text(b, seed, t_rand(seed) % 8 == 0 ? 100 : 12);
		break;
	case 5:
	case 6: {
		uint64_t n = t_rand(seed) % 6;
		if (t_rand(seed) % 16 == 0)
			n = 24 + t_rand(seed) % 8;
		dot_enc_array(b, n);
		for (uint64_t i = 0; i < n; i++)
			gen_item(b, seed, depth + 1);
		break;
	}
	default: {
		uint64_t keys[8];
		size_t n = (size_t)(t_rand(seed) % 7), u = 0;

		/* Distinct keys, ascending, of every head width. */
		for (size_t i = 0; i < n; i++)
			keys[i] = t_rand(seed) % 2 ? t_rand(seed) % 30
						   : gen_arg(seed);
		qsort(keys, n, sizeof(keys[0]), cmp_u64);
		for (size_t i = 0; i < n; i++)
			if (u == 0 || keys[i] != keys[u - 1])
				keys[u++] = keys[i];
		dot_enc_map(b, u);
		for (size_t i = 0; i < u; i++) {
			dot_enc_uint(b, keys[i]);
			gen_item(b, seed, depth + 1);
		}
		break;
	}
	}
}

static void property_roundtrip(void);
static void
property_roundtrip(void)
{
	uint64_t seed = 0x646f7465726f73; /* "doteros" */
	int bad = 0, accepted_mutants = 0, mutants = 0;

	for (int it = 0; it < 2000 && bad < 5; it++) {
		struct dot_buf b = {0}, out = {0};
		struct dot_err e = {0};
		int rv;

		gen_item(&b, &seed, 0);
		REQUIRE(b.err == DOT_OK);
		rv = dot_codec_check(b.data, b.len, NULL, &e);
		if (rv != DOT_OK || !roundtrips(b.data, b.len, NULL)) {
			t_fail_(__FILE__, __LINE__, "item %d (%zu bytes): %s %s",
				it, b.len, dot_errname(rv), e.msg);
			bad++;
		}
		CHECK_RC(dot_codec_diag(b.data, b.len, &out), DOT_OK);
		dot_buf_free(&out);

		/* Mutants: never a crash; accepted means canonical. */
		for (int m = 0; m < 8; m++) {
			struct dot_buf x = {0};
			size_t pos;

			dot_buf_put(&x, b.data, b.len);
			REQUIRE(x.err == DOT_OK);
			pos = (size_t)(t_rand(&seed) % x.len);
			switch (t_rand(&seed) % 6) {
			case 0:
				x.data[pos] ^= (uint8_t)(1u << t_rand(&seed) % 8);
				break;
			case 1:
				x.data[pos] = (uint8_t)t_rand(&seed);
				break;
			case 2: /* insert a byte */
				dot_buf_put(&x, "", 1);
				REQUIRE(x.err == DOT_OK);
				memmove(x.data + pos + 1, x.data + pos,
					x.len - 1 - pos);
				x.data[pos] = (uint8_t)t_rand(&seed);
				break;
			case 3: /* delete a byte */
				memmove(x.data + pos, x.data + pos + 1,
					x.len - 1 - pos);
				x.len--;
				break;
			case 4: /* truncate */
				x.len = pos;
				break;
			default: /* the head's low bits */
				x.data[pos] = (uint8_t)((x.data[pos] & 0xe0) |
							(t_rand(&seed) % 32));
				break;
			}
			mutants++;
			rv = dot_codec_check(x.data, x.len, NULL, &e);
			if (rv == DOT_OK) {
				accepted_mutants++;
				if (!roundtrips(x.data, x.len, NULL)) {
					t_fail_(__FILE__, __LINE__,
						"mutant of item %d accepted "
						"but not canonical",
						it);
					bad++;
				}
				CHECK_RC(dot_codec_diag(x.data, x.len, &out),
					 DOT_OK);
				dot_buf_free(&out);
			} else {
				CHECK(rv > DOT_OK && rv < DOT_ERRCOUNT);
				CHECK(e.code == rv && strstr(e.msg, "byte "));
			}
			dot_buf_free(&x);
		}
		dot_buf_free(&b);
	}
	printf("# %d mutants, %d accepted (re-encoded identically)\n", mutants,
	       accepted_mutants);
}

/* ---- out of memory ---- */

struct fail_heap {
	int allow; /* allocations left before failing */
	int calls;
};

static void *
fh_malloc(void *data, size_t n)
{
	struct fail_heap *h = data;

	h->calls++;
	if (h->allow-- <= 0)
		return NULL;
	return malloc(n);
}

static void *
fh_realloc(void *data, void *p, size_t n)
{
	struct fail_heap *h = data;

	h->calls++;
	if (h->allow-- <= 0)
		return NULL;
	return realloc(p, n);
}

static void
fh_free(void *data, void *p)
{
	(void)data;
	free(p);
}

static void buf_enomem(void);
static void
buf_enomem(void)
{
	struct fail_heap fh = {0, 0};
	const struct dot_heap heap = {&fh, fh_malloc, fh_realloc, fh_free};
	struct dot_buf b = {0};
	uint8_t big[100] = {0};

	/* The first allocation fails: nothing is written, the error sticks. */
	dot_heap_set(&heap);
	dot_enc_uint(&b, 1);
	CHECK(b.err == DOT_ENOMEM);
	CHECK(b.len == 0 && b.data == NULL);
	fh.allow = 100;
	dot_enc_uint(&b, 2); /* sticky: even when memory is back */
	CHECK(b.err == DOT_ENOMEM && b.len == 0);
	CHECK_RC(dot_buf_reserve(&b, 1), DOT_ENOMEM);
	dot_buf_free(&b);
	CHECK(b.err == DOT_OK && b.data == NULL && b.len == 0 && b.cap == 0);

	/* Growth past the first block fails: what was written stays. */
	fh.allow = 1;
	fh.calls = 0;
	dot_enc_array(&b, 2);
	dot_enc_uint(&b, 7);
	CHECK(b.err == DOT_OK && b.len == 2);
	dot_enc_bstr(&b, big, sizeof(big));
	CHECK(b.err == DOT_ENOMEM);
	CHECK(b.len == 2 || b.len == 4); /* head may fit, the bytes do not */
	CHECK(b.data[0] == 0x82 && b.data[1] == 0x07);
	CHECK(fh.calls == 2);
	dot_enc_uint(&b, 1);
	CHECK(fh.calls == 2); /* no further attempts */
	dot_buf_free(&b);

	/* Diagnostic output reports the buffer's error. */
	{
		uint8_t item[] = {0x82, 0x01, 0x02};
		fh.allow = 0;
		CHECK_RC(dot_codec_diag(item, sizeof(item), &b), DOT_ENOMEM);
		dot_buf_free(&b);
	}
	/* A request that cannot be sized at all. */
	fh.allow = 100;
	dot_buf_put(&b, "x", 1);
	CHECK_RC(dot_buf_reserve(&b, SIZE_MAX), DOT_ENOMEM);
	CHECK(b.len == 1 && b.data[0] == 'x');
	dot_buf_free(&b);
	dot_heap_set(NULL);

	/* The C library's heap is back. */
	dot_enc_uint(&b, 1);
	CHECK(b.err == DOT_OK && b.len == 1);
	dot_buf_free(&b);
	dot_buf_free(NULL);
}

T_MAIN(T_CASE(uint_boundaries), T_CASE(nint_boundaries),
       T_CASE(nint_below_int64), T_CASE(rfc8949_appendix_a),
       T_CASE(string_lengths), T_CASE(container_lengths), T_CASE(nested),
       T_CASE(noncanonical_heads), T_CASE(unsupported),
       T_CASE(trailing_and_empty), T_CASE(truncation_everywhere),
       T_CASE(depth_limit), T_CASE(length_limits),
       T_CASE(huge_declared_lengths), T_CASE(map_keys), T_CASE(utf8_rules),
       T_CASE(cursor_types), T_CASE(cursor_custom_limits),
       T_CASE(diag_sample), T_CASE(property_roundtrip), T_CASE(buf_enomem))
