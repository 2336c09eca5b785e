/*
 * test_sha3.c - FIPS 202 SHA3-256, SHA3-512, SHAKE128 and SHAKE256
 * (include/doteros/sha3.h, lib/crypto/sha3.c).
 *
 * Known answers: the empty string and "abc" (FIPS 202's NIST example
 * values, the ones everyone quotes), the NIST examples' 1600-bit message
 * (200 bytes of 0xa3) and the classic million 'a'. Then every message
 * length 0..599 (across one, two and four block boundaries for every
 * rate), SHAKE output read far past the first block, and incremental
 * absorption and squeezing cut at seeded random points, which must give
 * the one-shot bytes.
 *
 * Every expected value was computed when this test was written with
 * Python 3.11's hashlib (sha3_256, sha3_512, shake_128, shake_256, over
 * OpenSSL), an implementation independent of lib/crypto/sha3.c, and is
 * hard-coded here. The sweeps' values are SHA3-256 of the concatenated
 * outputs, e.g. for SHA3-256:
 *
 *   msg = bytes((i * 7 + 3) & 0xff for i in range(600))
 *   sha3_256(b"".join(sha3_256(msg[:n]).digest() for n in range(600)))
 *
 * (SHAKE outputs 200 bytes per length there).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/sha3.h"
#include "harness.h"

static void
check_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[256];

	REQUIRE(strlen(hex) == 2 * n && n <= sizeof(want));
	t_unhex(want, sizeof(want), hex);
	CHECK_MEM(got, want, n);
}

enum kind { SHA3_256, SHA3_512, SHAKE128, SHAKE256 };

/* One-shot output of n bytes (n = 32 / 64 for the SHA3 functions). */
static void
oneshot(enum kind k, uint8_t *out, size_t n, const void *in, size_t len)
{
	switch (k) {
	case SHA3_256:
		dot_sha3_256(out, in, len);
		break;
	case SHA3_512:
		dot_sha3_512(out, in, len);
		break;
	case SHAKE128:
		dot_shake128(out, n, in, len);
		break;
	case SHAKE256:
		dot_shake256(out, n, in, len);
		break;
	}
}

static void
init(enum kind k, struct dot_sha3_ctx *c)
{
	switch (k) {
	case SHA3_256:
		dot_sha3_256_init(c);
		break;
	case SHA3_512:
		dot_sha3_512_init(c);
		break;
	case SHAKE128:
		dot_shake128_init(c);
		break;
	case SHAKE256:
		dot_shake256_init(c);
		break;
	}
}

static size_t
outlen(enum kind k)
{
	return k == SHA3_256 || k == SHAKE128 ? 32 : 64;
}

static void
test_empty_and_abc(void)
{
	static const struct {
		enum kind k;
		const char *msg, *hex;
	} v[] = {
		{SHA3_256, "",
		 "a7ffc6f8bf1ed76651c14756a061d662"
		 "f580ff4de43b49fa82d80a4b80f8434a"},
		{SHA3_256, "abc",
		 "3a985da74fe225b2045c172d6bd390bd"
		 "855f086e3e9d525b46bfe24511431532"},
		{SHA3_512, "",
		 "a69f73cca23a9ac5c8b567dc185a756e"
		 "97c982164fe25859e0d1dcc1475c80a6"
		 "15b2123af1f5f94c11e3e9402c3ac558"
		 "f500199d95b6d3e301758586281dcd26"},
		{SHA3_512, "abc",
		 "b751850b1a57168a5693cd924b6b096e"
		 "08f621827444f70d884f5d0240d2712e"
		 "10e116e9192af3c91a7ec57647e39340"
		 "57340b4cf408d5a56592f8274eec53f0"},
		{SHAKE128, "",
		 "7f9c2ba4e88f827d616045507605853e"
		 "d73b8093f6efbc88eb1a6eacfa66ef26"},
		{SHAKE128, "abc",
		 "5881092dd818bf5cf8a3ddb793fbcba7"
		 "4097d5c526a6d35f97b83351940f2cc8"},
		{SHAKE256, "",
		 "46b9dd2b0ba88d13233b3feb743eeb24"
		 "3fcd52ea62b81b82b50c27646ed5762f"
		 "d75dc4ddd8c0f200cb05019d67b592f6"
		 "fc821c49479ab48640292eacb3b7c4be"},
		{SHAKE256, "abc",
		 "483366601360a8771c6863080cc4114d"
		 "8db44530f8f1e1ee4f94ea37e78b5739"
		 "d5a15bef186a5386c75744c0527e1faa"
		 "9f8726e462a12a4feb06bd8801e751e4"},
	};
	uint8_t out[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		oneshot(v[i].k, out, outlen(v[i].k), v[i].msg,
			strlen(v[i].msg));
		check_hex(out, outlen(v[i].k), v[i].hex);
	}
	CHECK(DOT_SHA3_256_LEN == 32 && DOT_SHA3_512_LEN == 64);
	CHECK(DOT_SHAKE128_RATE == 168 && DOT_SHAKE256_RATE == 136);
}

/* NIST's SHA-3 example values: the 1600-bit message 0xa3 * 200. */
static void
test_1600_bits(void)
{
	uint8_t msg[200], out[64];

	memset(msg, 0xa3, sizeof(msg));
	dot_sha3_256(out, msg, sizeof(msg));
	check_hex(out, 32, "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973"
			   "c65fa1bd9de31787");
	dot_sha3_512(out, msg, sizeof(msg));
	check_hex(out, 64, "e76dfad22084a8b1467fcf2ffa58361bec7628edf5f3fdc0"
			   "e4805dc48caeeca81b7c13c30adf52a3659584739a2df46b"
			   "e589c51ca1a4a8416df6545a1ce8ba00");
	dot_shake128(out, 32, msg, sizeof(msg));
	check_hex(out, 32, "131ab8d2b594946b9c81333f9bb6e0ce75c3b93104fa3469"
			   "d3917457385da037");
	dot_shake256(out, 64, msg, sizeof(msg));
	check_hex(out, 64, "cd8a920ed141aa0407a22d59288652e9d9f1a7ee0c1e7c1c"
			   "a699424da84a904d2d700caae7396ece96604440577da4f3"
			   "aa22aeb8857f961c4cd8e06f0ae6610b");
}

/* One million 'a', absorbed 1000 bytes at a time. */
static void
test_million_a(void)
{
	static const char *const want[] = {
		"5c8875ae474a3634ba4fd55ec85bffd6"
		"61f32aca75c6d699d0cdcb6c115891c1",
		"3c3a876da14034ab60627c077bb98f7e"
		"120a2a5370212dffb3385a18d4f38859"
		"ed311d0a9d5141ce9cc5c66ee689b266"
		"a8aa18ace8282a0e0db596c90b0a7b87",
		"9d222c79c4ff9d092cf6ca86143aa411"
		"e369973808ef97093255826c5572ef58",
		"3578a7a4ca9137569cdf76ed617d31bb"
		"994fca9c1bbf8b184013de8234dfd13a"
		"3fd124d4df76c0a539ee7dd2f6e1ec34"
		"6124c815d9410e145eb561bcd97b18ab",
	};
	uint8_t chunk[1000], out[64];
	struct dot_sha3_ctx c;

	memset(chunk, 'a', sizeof(chunk));
	for (int k = SHA3_256; k <= SHAKE256; k++) {
		init((enum kind)k, &c);
		for (int i = 0; i < 1000; i++)
			dot_sha3_update(&c, chunk, sizeof(chunk));
		if (k <= SHA3_512)
			dot_sha3_final(&c, out);
		else
			dot_shake_squeeze(&c, out, outlen((enum kind)k));
		check_hex(out, outlen((enum kind)k), want[k]);
		dot_sha3_wipe(&c);
	}
}

/* Every length 0..599 of a fixed message: all padding positions,
 * including the one where the suffix and the final bit share a byte. */
static void
test_length_sweep(void)
{
	static const char *const want[] = {
		"1c6b61900f878217318023955b823aba"
		"ce11a51c2b71ba4dbce2c5babe5a6749",
		"c9477ccf7851814092fdc43e5006a47d"
		"e3fb8ef3791ae9ca896d1d758e867d50",
		"5391eca71c5544d2a2ab82404eb43369"
		"5b9c9fd2df167c9852b07f3f566c27b2",
		"b6be8024f515e6ddfebb6b930b841298"
		"dfa00b1811ac49db69d10a68262129d5",
	};
	uint8_t msg[600], out[200], digest[32];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (int k = SHA3_256; k <= SHAKE256; k++) {
		struct dot_sha3_ctx all;
		size_t n = k <= SHA3_512 ? outlen((enum kind)k) : 200;

		dot_sha3_256_init(&all);
		for (size_t len = 0; len < sizeof(msg); len++) {
			oneshot((enum kind)k, out, n, msg, len);
			dot_sha3_update(&all, out, n);
		}
		dot_sha3_final(&all, digest);
		check_hex(digest, 32, want[k]);
	}
}

/* SHAKE output well past the first block, squeezed in pieces. */
static void
test_long_squeeze(void)
{
	uint8_t out[1000], piece[1000], digest[32];
	struct dot_sha3_ctx c;
	uint64_t seed = 7;

	dot_shake128(out, sizeof(out), "abc", 3);
	dot_sha3_256(digest, out, sizeof(out));
	check_hex(digest, 32, "222b03fb9bee8d3ab642f1dafd392af23c93e55093698d92"
			      "cb46ef4472f84313");
	check_hex(out + 990, 10, "57202a6cfe2237dfde3a");
	/* The same bytes read 0..200 at a time, from a stream that is never
	 * restarted (SampleNTT's pattern). */
	for (int round = 0; round < 50; round++) {
		size_t got = 0;

		dot_shake128_init(&c);
		dot_sha3_update(&c, "abc", 3);
		while (got < sizeof(piece)) {
			size_t n = (size_t)(t_rand(&seed) % 201);
			if (n > sizeof(piece) - got)
				n = sizeof(piece) - got;
			dot_shake_squeeze(&c, piece + got, n);
			got += n;
		}
		dot_sha3_wipe(&c);
		CHECK_MEM(piece, out, sizeof(out));
	}
	dot_shake256(out, sizeof(out), "abc", 3);
	dot_sha3_256(digest, out, sizeof(out));
	check_hex(digest, 32, "c6ca244f2b23d7380518aea9a84a5000f35fb56777807d08"
			      "4c138e170cff7a75");
	dot_shake256_init(&c);
	dot_sha3_update(&c, "abc", 3);
	for (size_t i = 0; i < sizeof(piece); i++)
		dot_shake_squeeze(&c, piece + i, 1);
	dot_sha3_wipe(&c);
	CHECK_MEM(piece, out, sizeof(out));
}

/* Absorbing in random pieces (including empty ones) equals one shot. */
static void
test_incremental(void)
{
	uint8_t msg[1500], a[64], b[64];
	uint64_t seed = 42;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)t_rand(&seed);
	for (int round = 0; round < 200; round++) {
		enum kind k = (enum kind)(round % 4);
		size_t len = (size_t)(t_rand(&seed) % (sizeof(msg) + 1));
		size_t off = 0;
		struct dot_sha3_ctx c;

		oneshot(k, a, outlen(k), msg, len);
		init(k, &c);
		while (off < len) {
			size_t n = (size_t)(t_rand(&seed) % 300);
			if (n > len - off)
				n = len - off;
			dot_sha3_update(&c, msg + off, n);
			off += n;
		}
		if (k <= SHA3_512) {
			dot_sha3_final(&c, b);
			/* final wipes the context */
			uint8_t zero[sizeof(c)] = {0};
			CHECK_MEM(&c, zero, sizeof(c));
		} else {
			dot_shake_squeeze(&c, b, outlen(k));
			dot_sha3_wipe(&c);
		}
		CHECK_MEM(a, b, outlen(k));
	}
}

T_MAIN(T_CASE(test_empty_and_abc), T_CASE(test_1600_bits),
       T_CASE(test_million_a), T_CASE(test_length_sweep),
       T_CASE(test_long_squeeze), T_CASE(test_incremental))
