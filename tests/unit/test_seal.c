/*
 * test_seal.c - sealed payloads (include/doteros/seal.h, lib/crypto/seal.c,
 * docs/seal-format.md).
 *
 * Round trips to 1, several and the maximum of 32 recipients, named and
 * anonymous, each recipient opening; refusals with their exact codes: a
 * key that is not a recipient, another binding, every single-byte change
 * of a sealed payload (three masks at every offset, for one recipient and
 * for the middle one of three), every truncation and an extension, too
 * many recipients, bad arguments. test_format_by_hand opens a sealed
 * payload following docs/seal-format.md alone (offsets, labels,
 * derivations), with libsodium and X-Wing, to pin the document to the
 * code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/crypto.h"
#include "doteros/mlkem.h"
#include "doteros/seal.h"
#include "doteros/xwing.h"
#include "harness.h"

#define PK DOT_XWING_PK_LEN
#define NKEYS (DOT_SEAL_MAX_RECIPIENTS + 2)

/* ------------------------------------------------------------------ */
/* fixtures                                                            */

struct rng {
	uint64_t s;
	int calls;
	size_t sizes[64];
};

static void
rng_fill(void *ctx, uint8_t *out, size_t n)
{
	struct rng *r = ctx;

	if (r->calls < 64)
		r->sizes[r->calls] = n;
	r->calls++;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)t_rand(&r->s);
}

static struct {
	int ready;
	uint8_t sk[NKEYS][32];
	uint8_t pk[NKEYS][PK];
	const uint8_t *pks[NKEYS];
} K;

static void
keys(void)
{
	uint64_t s = 99;

	if (K.ready)
		return;
	for (int i = 0; i < NKEYS; i++) {
		uint8_t rnd[32];
		for (int j = 0; j < 32; j++)
			rnd[j] = (uint8_t)t_rand(&s);
		dot_xwing_keypair(K.sk[i], K.pk[i], rnd);
		K.pks[i] = K.pk[i];
	}
	K.ready = 1;
}

static const uint8_t bind_a[] = "block 7f3a: /docs/plan.txt v12";
static const uint8_t bind_b[] = "block 7f3b: /docs/plan.txt v12";

static uint8_t *
payload_of(size_t n, uint64_t seed)
{
	uint8_t *p = malloc(n ? n : 1);

	for (size_t i = 0; p && i < n; i++)
		p[i] = (uint8_t)t_rand(&seed);
	return p;
}

/* Seal payload to keys first .. first + r - 1; NULL on failure. */
static uint8_t *
seal_to(size_t first, size_t r, const uint8_t *payload, size_t n,
	const uint8_t *binding, size_t blen, unsigned flags, uint64_t seed,
	size_t *len)
{
	struct rng g = {seed, 0, {0}};
	size_t cap = DOT_SEAL_LEN(r, n);
	uint8_t *out = malloc(cap);
	struct dot_err e = {0, ""};
	int rv;

	*len = 0;
	if (out == NULL)
		return NULL;
	rv = dot_seal(out, cap, len, payload, n, K.pks + first, r, binding,
		      blen, flags, rng_fill, &g, &e);
	if (rv != DOT_OK) {
		printf("# seal: %s: %s\n", dot_errname(rv), e.msg);
		free(out);
		return NULL;
	}
	return out;
}

/* Open as key k; on success the payload must be want. On failure, out
 * must hold no plaintext: *outlen 0, every byte the fill or zero. */
static int
open_as(size_t k, const uint8_t *s, size_t len, const uint8_t *binding,
	size_t blen, const uint8_t *want, size_t wantlen)
{
	size_t cap = len + 8, outlen = 12345; /* room for any payload */
	uint8_t *out = malloc(cap);
	struct dot_err e = {0, ""};
	int rv;

	if (out == NULL)
		return -1;
	memset(out, 0xa5, cap);
	rv = dot_seal_open(out, cap, &outlen, s, len, K.sk[k], 32, binding,
			   blen, &e);
	if (rv == DOT_OK) {
		if (outlen != wantlen || memcmp(out, want, wantlen) != 0) {
			t_fail_(__FILE__, __LINE__, "opened to other bytes");
			rv = -1;
		}
	} else {
		int clean = outlen == 0;
		for (size_t i = 0; i < cap; i++)
			clean &= out[i] == 0xa5 || out[i] == 0;
		if (!clean) {
			t_fail_(__FILE__, __LINE__,
				"refused (%s) but out holds other bytes",
				dot_errname(rv));
			rv = -1;
		}
		if (e.code != rv || e.msg[0] == '\0') {
			t_fail_(__FILE__, __LINE__, "%s without context",
				dot_errname(rv));
			rv = -1;
		}
	}
	free(out);
	return rv;
}

/* ------------------------------------------------------------------ */
/* round trips                                                         */

static void
test_sizes(void)
{
	CHECK(DOT_SEAL_LEN(1, 0) == 1253);
	CHECK(DOT_SEAL_LEN(2, 10) == 77 + 2 * 1176 + 10);
	CHECK(DOT_SEAL_STANZA_LEN == 8 + DOT_XWING_CT_LEN + 32 + 16);
	CHECK(DOT_SEAL_MAX_RECIPIENTS == 32);
	CHECK(strcmp(dot_errname(DOT_ESEAL_FORMAT), "DOT_ESEAL_FORMAT") == 0);
	CHECK(strcmp(dot_errname(DOT_ESEAL_OPEN), "DOT_ESEAL_OPEN") == 0);
}

static void
test_one_recipient(void)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 1000, 65539};
	struct dot_seal_info info;
	uint8_t kid[DOT_SEAL_KID_LEN];

	keys();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], len;
		uint8_t *p = payload_of(n, 1000 + i), *s;
		REQUIRE(p != NULL);
		s = seal_to(0, 1, p, n, bind_a, sizeof(bind_a), 0, i, &len);
		REQUIRE(s != NULL);
		CHECK(len == DOT_SEAL_LEN(1, n));
		CHECK_RC(open_as(0, s, len, bind_a, sizeof(bind_a), p, n),
			 DOT_OK);
		CHECK_RC(dot_seal_parse(s, len, &info, NULL), DOT_OK);
		CHECK(info.nrecipients == 1 && info.payload_len == n &&
		      info.flags == 0);
		CHECK_RC(dot_seal_kid(kid, K.pk[0], PK, bind_a,
				      sizeof(bind_a)), DOT_OK);
		CHECK_MEM(info.kid[0], kid, sizeof(kid));
		/* the payload is not in the clear */
		if (n >= 16)
			CHECK(memmem(s, len, p, 16) == NULL);
		free(s);
		free(p);
	}
}

static void
test_many_recipients(void)
{
	static const size_t counts[] = {2, 5, DOT_SEAL_MAX_RECIPIENTS};
	uint8_t *p = payload_of(333, 7);

	keys();
	REQUIRE(p != NULL);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		size_t r = counts[c], len;
		uint8_t *s = seal_to(1, r, p, 333, bind_a, sizeof(bind_a), 0,
				     50 + c, &len);
		struct dot_seal_info info;
		REQUIRE(s != NULL);
		CHECK(len == DOT_SEAL_LEN(r, 333));
		for (size_t k = 1; k <= r; k++)
			CHECK_RC(open_as(k, s, len, bind_a, sizeof(bind_a), p,
					 333), DOT_OK);
		/* keys 0 and r + 1 are not recipients */
		CHECK_RC(open_as(0, s, len, bind_a, sizeof(bind_a), p, 333),
			 DOT_ESEAL_NOT_RECIPIENT);
		if (r + 1 < NKEYS)
			CHECK_RC(open_as(r + 1, s, len, bind_a,
					 sizeof(bind_a), p, 333),
				 DOT_ESEAL_NOT_RECIPIENT);
		CHECK_RC(dot_seal_parse(s, len, &info, NULL), DOT_OK);
		CHECK(info.nrecipients == r);
		for (size_t i = 0; i < r; i++)
			for (size_t j = 0; j < i; j++)
				CHECK(memcmp(info.kid[i], info.kid[j],
					     DOT_SEAL_KID_LEN) != 0);
		free(s);
	}
	free(p);
}

static void
test_anonymous(void)
{
	static const uint8_t zero[DOT_SEAL_KID_LEN];
	struct dot_seal_info info;
	uint8_t *p = payload_of(100, 8), *s;
	size_t len;

	keys();
	REQUIRE(p != NULL);
	s = seal_to(3, 4, p, 100, bind_a, sizeof(bind_a), DOT_SEAL_ANONYMOUS,
		    9, &len);
	REQUIRE(s != NULL);
	CHECK_RC(dot_seal_parse(s, len, &info, NULL), DOT_OK);
	CHECK(info.flags == DOT_SEAL_ANONYMOUS && info.nrecipients == 4);
	for (size_t i = 0; i < 4; i++)
		CHECK_MEM(info.kid[i], zero, sizeof(zero));
	for (size_t k = 3; k < 7; k++)
		CHECK_RC(open_as(k, s, len, bind_a, sizeof(bind_a), p, 100),
			 DOT_OK);
	CHECK_RC(open_as(0, s, len, bind_a, sizeof(bind_a), p, 100),
		 DOT_ESEAL_NOT_RECIPIENT);
	CHECK_RC(open_as(3, s, len, bind_b, sizeof(bind_b), p, 100),
		 DOT_ESEAL_BINDING);
	/* a changed stanza cannot be told from another's: not a recipient */
	s[DOT_SEAL_HEAD_LEN + 100] ^= 1;
	CHECK_RC(open_as(3, s, len, bind_a, sizeof(bind_a), p, 100),
		 DOT_ESEAL_NOT_RECIPIENT);
	/* the others still find theirs, and then the MAC fails */
	CHECK_RC(open_as(4, s, len, bind_a, sizeof(bind_a), p, 100),
		 DOT_ESEAL_OPEN);
	s[DOT_SEAL_HEAD_LEN + 100] ^= 1;
	/* a key id in an anonymous payload is malformed */
	s[DOT_SEAL_HEAD_LEN + DOT_SEAL_STANZA_LEN] ^= 1;
	CHECK_RC(open_as(3, s, len, bind_a, sizeof(bind_a), p, 100),
		 DOT_ESEAL_FORMAT);
	free(s);
	free(p);
}

/* ------------------------------------------------------------------ */
/* refusals                                                            */

static void
test_wrong_binding(void)
{
	uint8_t *p = payload_of(64, 10), *s;
	size_t len;

	keys();
	REQUIRE(p != NULL);
	s = seal_to(0, 2, p, 64, bind_a, sizeof(bind_a), 0, 11, &len);
	REQUIRE(s != NULL);
	CHECK_RC(open_as(0, s, len, bind_b, sizeof(bind_b), p, 64),
		 DOT_ESEAL_BINDING);
	/* a prefix, an extension, one byte */
	CHECK_RC(open_as(0, s, len, bind_a, sizeof(bind_a) - 1, p, 64),
		 DOT_ESEAL_BINDING);
	CHECK_RC(open_as(1, s, len, bind_a, 1, p, 64), DOT_ESEAL_BINDING);
	/* checked before whether the key is a recipient */
	CHECK_RC(open_as(9, s, len, bind_b, sizeof(bind_b), p, 64),
		 DOT_ESEAL_BINDING);
	CHECK_RC(open_as(1, s, len, bind_a, sizeof(bind_a), p, 64), DOT_OK);
	/* the binding is in the derivations too, not only in the
	 * fingerprint: with the fingerprint made to match binding b, the
	 * stanza no longer opens */
	{
		uint8_t fp[16];
		uint8_t bl = (uint8_t)sizeof(bind_b);
		crypto_generichash_state st;
		crypto_generichash_init(&st, NULL, 0, 16);
		crypto_generichash_update(
			&st, (const uint8_t *)"dot-seal-v1 binding", 19);
		crypto_generichash_update(&st, &bl, 1);
		crypto_generichash_update(&st, bind_b, sizeof(bind_b));
		crypto_generichash_final(&st, fp, 16);
		memcpy(s + 13, fp, 16);
		CHECK_RC(open_as(0, s, len, bind_b, sizeof(bind_b), p, 64),
			 DOT_ESEAL_NOT_RECIPIENT); /* the key id moved */
		/* and with key 0's id under b too, the wrap key differs */
		CHECK_RC(dot_seal_kid(s + DOT_SEAL_HEAD_LEN, K.pk[0], PK,
				      bind_b, sizeof(bind_b)), DOT_OK);
		CHECK_RC(open_as(0, s, len, bind_b, sizeof(bind_b), p, 64),
			 DOT_ESEAL_OPEN);
	}
	free(s);
	free(p);
}

/* The code a change at offset i of a sealed payload of len bytes must
 * give, opened by stanza `me`. */
static int
want_for(size_t i, size_t len, size_t r, size_t me, size_t mask)
{
	size_t st0 = DOT_SEAL_HEAD_LEN, mine = st0 + DOT_SEAL_STANZA_LEN * me;
	size_t c = (r ^ mask) & 0xff;

	if (i < 12)
		return DOT_ESEAL_FORMAT;
	if (i == 12) /* the count: too many, too long, or a shorter header
			(the payload then starts elsewhere: the MAC fails) */
		return c > DOT_SEAL_MAX_RECIPIENTS	? DOT_ESEAL_TOO_MANY
		       : c == 0 || DOT_SEAL_LEN(c, 0) > len ? DOT_ESEAL_FORMAT
		       : me >= c ? DOT_ESEAL_NOT_RECIPIENT
				 : DOT_ESEAL_OPEN;
	if (i < st0)
		return DOT_ESEAL_BINDING;
	if (i >= mine && i < mine + DOT_SEAL_KID_LEN)
		return DOT_ESEAL_NOT_RECIPIENT;
	return DOT_ESEAL_OPEN; /* our stanza, another's (by the MAC), the
				  MAC, the payload, the tag */
}

static void
flips(size_t r, size_t me, const size_t *masks, size_t nmasks)
{
	uint8_t *p = payload_of(40, 12), *s;
	size_t len, bad = 0;

	keys();
	REQUIRE(p != NULL);
	s = seal_to(0, r, p, 40, bind_a, sizeof(bind_a), 0, 13 + r, &len);
	REQUIRE(s != NULL);
	REQUIRE_RC(open_as(me, s, len, bind_a, sizeof(bind_a), p, 40),
		   DOT_OK);
	for (size_t i = 0; i < len; i++)
		for (size_t m = 0; m < nmasks; m++) {
			int want = want_for(i, len, r, me, masks[m]), got;
			s[i] ^= (uint8_t)masks[m];
			got = open_as(me, s, len, bind_a, sizeof(bind_a), p,
				      40);
			s[i] ^= (uint8_t)masks[m];
			t_checks_++;
			if (got != want && bad++ < 10)
				t_fail_(__FILE__, __LINE__,
					"offset %zu ^ 0x%02zx: %s, want %s", i,
					masks[m], dot_errname(got),
					dot_errname(want));
		}
	printf("# %zu recipients: %zu offsets x %zu masks, %zu wrong\n", r,
	       len, nmasks, bad);
	CHECK(bad == 0);
	free(s);
	free(p);
}

static void
test_every_flip_one(void)
{
	static const size_t masks[] = {0x01, 0x80, 0xff};

	flips(1, 0, masks, 3);
}

static void
test_every_flip_three(void)
{
	static const size_t masks[] = {0x01, 0xff};

	flips(3, 1, masks, 2);
}

static void
test_every_truncation(void)
{
	uint8_t *p = payload_of(40, 14), *s, *x;
	size_t len, bad = 0;

	keys();
	REQUIRE(p != NULL);
	for (size_t r = 1; r <= 2; r++) {
		s = seal_to(0, r, p, 40, bind_a, sizeof(bind_a), 0, 15, &len);
		REQUIRE(s != NULL);
		for (size_t n = 0; n < len; n++) {
			int want = n < DOT_SEAL_LEN(r, 0) ? DOT_ESEAL_FORMAT
							  : DOT_ESEAL_OPEN;
			int got = open_as(r - 1, s, n, bind_a, sizeof(bind_a),
					  p, 40);
			t_checks_++;
			if (got != want && bad++ < 10)
				t_fail_(__FILE__, __LINE__,
					"%zu of %zu bytes: %s, want %s", n,
					len, dot_errname(got),
					dot_errname(want));
		}
		/* one byte more */
		x = malloc(len + 1);
		REQUIRE(x != NULL);
		memcpy(x, s, len);
		x[len] = 0;
		CHECK_RC(open_as(r - 1, x, len + 1, bind_a, sizeof(bind_a), p,
				 40), DOT_ESEAL_OPEN);
		free(x);
		free(s);
	}
	CHECK(bad == 0);
	free(p);
}

static void
test_too_many(void)
{
	uint8_t *p = payload_of(10, 16), *s, out[64];
	size_t len, outlen = 1;
	struct dot_seal_info info;
	struct rng g = {1, 0, {0}};
	static uint8_t big[DOT_SEAL_LEN(DOT_SEAL_MAX_RECIPIENTS + 1, 10)];

	keys();
	REQUIRE(p != NULL);
	CHECK_RC(dot_seal(big, sizeof(big), &outlen, p, 10, K.pks,
			  DOT_SEAL_MAX_RECIPIENTS + 1, bind_a, sizeof(bind_a),
			  0, rng_fill, &g, NULL),
		 DOT_ESEAL_TOO_MANY);
	CHECK(outlen == 0 && g.calls == 0);
	s = seal_to(0, 1, p, 10, bind_a, sizeof(bind_a), 0, 17, &len);
	REQUIRE(s != NULL);
	for (unsigned c = DOT_SEAL_MAX_RECIPIENTS + 1; c < 256; c++) {
		s[12] = (uint8_t)c;
		CHECK_RC(dot_seal_parse(s, len, &info, NULL),
			 DOT_ESEAL_TOO_MANY);
		CHECK(info.nrecipients == 0);
		CHECK_RC(dot_seal_open(out, sizeof(out), &outlen, s, len,
				       K.sk[0], 32, bind_a, sizeof(bind_a),
				       NULL), DOT_ESEAL_TOO_MANY);
	}
	free(s);
	free(p);
}

static void
test_bad_arguments(void)
{
	static uint8_t badpk[PK], out[DOT_SEAL_LEN(3, 10) + 10];
	const uint8_t *pks[3];
	uint8_t p[10] = {1, 2, 3}, small[9];
	struct rng g = {2, 0, {0}};
	size_t outlen = 7, len;
	uint8_t *s, bigb[DOT_SEAL_BINDING_MAX + 1];

	keys();
	memset(bigb, 'b', sizeof(bigb));
#define SEAL(n_, pks_, npk_, b_, bl_, fl_, cap_)                              \
	dot_seal(out, (cap_), &outlen, p, (n_), (pks_), (npk_), (b_), (bl_),   \
		 (fl_), rng_fill, &g, NULL)
	CHECK_RC(SEAL(10, K.pks, 0, bind_a, 5, 0, sizeof(out)), DOT_EINVAL);
	CHECK_RC(SEAL(10, K.pks, 1, bind_a, 0, 0, sizeof(out)), DOT_EINVAL);
	CHECK_RC(SEAL(10, K.pks, 1, bigb, DOT_SEAL_BINDING_MAX + 1, 0,
		      sizeof(out)), DOT_EINVAL);
	CHECK_RC(SEAL(10, K.pks, 1, bigb, DOT_SEAL_BINDING_MAX, 0,
		      sizeof(out)), DOT_OK);
	CHECK_RC(SEAL(10, K.pks, 1, bind_a, 5, 2, sizeof(out)), DOT_EINVAL);
	CHECK_RC(SEAL((size_t)DOT_SEAL_PAYLOAD_MAX + 1, K.pks, 1, bind_a, 5,
		      0, sizeof(out)), DOT_ERANGE);
	pks[0] = K.pk[0];
	pks[1] = K.pk[1];
	pks[2] = K.pk[0];
	CHECK_RC(SEAL(10, pks, 3, bind_a, 5, 0, sizeof(out)), DOT_EINVAL);
	/* a recipient key with a coefficient of q */
	memcpy(badpk, K.pk[2], PK);
	badpk[0] = 0x01;
	badpk[1] = (uint8_t)((badpk[1] & 0xf0) | 0x0d); /* 0xd01 = 3329 */
	pks[2] = badpk;
	CHECK_RC(SEAL(10, pks, 3, bind_a, 5, 0, sizeof(out)),
		 DOT_ECRYPTO_XWING_PK);
	CHECK(outlen == 0);
	CHECK_RC(SEAL(10, K.pks, 1, bind_a, 5, 0, DOT_SEAL_LEN(1, 10) - 1),
		 DOT_ETOOBIG);
	CHECK(outlen == 0);
	CHECK(g.calls == 1 + 1); /* only the max-length binding sealed */
	CHECK_RC(SEAL(10, K.pks, 1, bind_a, 5, 0, DOT_SEAL_LEN(1, 10)),
		 DOT_OK);
	CHECK(outlen == DOT_SEAL_LEN(1, 10));
#undef SEAL
	/* an empty payload may be NULL, and so may the output of its open */
	CHECK_RC(dot_seal(out, sizeof(out), &len, NULL, 0, K.pks, 1, bind_a, 5,
			  0, rng_fill, &g, NULL), DOT_OK);
	CHECK(len == DOT_SEAL_LEN(1, 0));
	CHECK_RC(dot_seal_open(NULL, 0, &outlen, out, len, K.sk[0], 32,
			       bind_a, 5, NULL), DOT_OK);
	CHECK(outlen == 0);
	out[len - 1] ^= 1;
	CHECK_RC(dot_seal_open(NULL, 0, &outlen, out, len, K.sk[0], 32,
			       bind_a, 5, NULL), DOT_ESEAL_OPEN);
	CHECK_RC(dot_seal(out, sizeof(out), &len, NULL, 1, K.pks, 1, bind_a, 5,
			  0, rng_fill, &g, NULL), DOT_EINVAL);
	/* opening */
	s = seal_to(0, 1, p, 10, bind_a, 5, 0, 18, &len);
	REQUIRE(s != NULL);
	CHECK_RC(dot_seal_open(out, sizeof(out), &outlen, s, len, K.sk[0], 31,
			       bind_a, 5, NULL), DOT_ECRYPTO_XWING_SK);
	CHECK_RC(dot_seal_open(out, sizeof(out), &outlen, s, len, K.sk[0], 32,
			       bind_a, 0, NULL), DOT_EINVAL);
	CHECK_RC(dot_seal_open(small, sizeof(small), &outlen, s, len, K.sk[0],
			       32, bind_a, 5, NULL), DOT_ETOOBIG);
	CHECK(outlen == 0);
	CHECK_RC(dot_seal_open(out, 10, &outlen, s, len, K.sk[0], 32, bind_a,
			       5, NULL), DOT_OK);
	CHECK(outlen == 10 && memcmp(out, p, 10) == 0);
	/* a forged key id: key 1's id on key 0's stanza gets key 1 as far
	 * as the stanza, which then fails */
	CHECK_RC(dot_seal_kid(s + DOT_SEAL_HEAD_LEN, K.pk[1], PK, bind_a, 5),
		 DOT_OK);
	CHECK_RC(open_as(1, s, len, bind_a, 5, p, 10), DOT_ESEAL_OPEN);
	CHECK_RC(open_as(0, s, len, bind_a, 5, p, 10),
		 DOT_ESEAL_NOT_RECIPIENT);
	free(s);
}

/* Two stanzas with one key id are malformed (a sealer never writes
 * them: it refuses a repeated recipient). */
static void
test_repeated_kid(void)
{
	uint8_t *p = payload_of(5, 24), *s;
	struct dot_seal_info info;
	size_t len;

	keys();
	REQUIRE(p != NULL);
	s = seal_to(0, 3, p, 5, bind_a, sizeof(bind_a), 0, 25, &len);
	REQUIRE(s != NULL);
	memcpy(s + DOT_SEAL_HEAD_LEN + 2 * DOT_SEAL_STANZA_LEN,
	       s + DOT_SEAL_HEAD_LEN, DOT_SEAL_KID_LEN);
	CHECK_RC(dot_seal_parse(s, len, &info, NULL), DOT_ESEAL_FORMAT);
	CHECK_RC(open_as(1, s, len, bind_a, sizeof(bind_a), p, 5),
		 DOT_ESEAL_FORMAT);
	free(s);
	free(p);
}

/* A header with another seal's payload, and the reverse, fail. */
static void
test_splice(void)
{
	uint8_t *p = payload_of(50, 19), *a, *b;
	size_t la, lb, h = DOT_SEAL_LEN(2, 0) - DOT_SEAL_TAG_LEN;

	keys();
	REQUIRE(p != NULL);
	a = seal_to(0, 2, p, 50, bind_a, sizeof(bind_a), 0, 20, &la);
	b = seal_to(0, 2, p, 50, bind_a, sizeof(bind_a), 0, 21, &lb);
	REQUIRE(a != NULL && b != NULL && la == lb);
	CHECK(memcmp(a, b, la) != 0);
	memcpy(a + h, b + h, la - h); /* b's payload under a's header */
	CHECK_RC(open_as(0, a, la, bind_a, sizeof(bind_a), p, 50),
		 DOT_ESEAL_OPEN);
	/* b's stanza 1 into a's header */
	memcpy(a + DOT_SEAL_HEAD_LEN + DOT_SEAL_STANZA_LEN,
	       b + DOT_SEAL_HEAD_LEN + DOT_SEAL_STANZA_LEN,
	       DOT_SEAL_STANZA_LEN);
	CHECK_RC(open_as(1, a, la, bind_a, sizeof(bind_a), p, 50),
		 DOT_ESEAL_OPEN);
	free(a);
	free(b);
	free(p);
}

/* The randomness: one call of 32 bytes, then one of 64 per recipient;
 * the same generator gives the same bytes, another gives others. */
static void
test_randomness(void)
{
	uint8_t p[20] = {0};
	static uint8_t a[DOT_SEAL_LEN(3, 20)], b[DOT_SEAL_LEN(3, 20)];
	struct rng g1 = {5, 0, {0}}, g2 = {5, 0, {0}}, g3 = {6, 0, {0}};
	size_t la, lb;

	keys();
	REQUIRE_RC(dot_seal(a, sizeof(a), &la, p, 20, K.pks, 3, bind_a, 4, 0,
			    rng_fill, &g1, NULL), DOT_OK);
	CHECK(g1.calls == 4 && g1.sizes[0] == 32 && g1.sizes[1] == 64 &&
	      g1.sizes[2] == 64 && g1.sizes[3] == 64);
	REQUIRE_RC(dot_seal(b, sizeof(b), &lb, p, 20, K.pks, 3, bind_a, 4, 0,
			    rng_fill, &g2, NULL), DOT_OK);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	REQUIRE_RC(dot_seal(b, sizeof(b), &lb, p, 20, K.pks, 3, bind_a, 4, 0,
			    rng_fill, &g3, NULL), DOT_OK);
	CHECK(memcmp(a + 29, b + 29, la - 29) != 0);
	CHECK_MEM(a, b, 29); /* preamble and fingerprint */
}

/*
 * docs/seal-format.md followed by hand: the offsets of §4, the
 * derivations of §3, X-Wing and libsodium's AEAD directly.
 */
static void
b2b(uint8_t *out, size_t outlen, const uint8_t *key, const char *label,
    const uint8_t *bnd, size_t blen, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn)
{
	crypto_generichash_state st;
	uint8_t bl = (uint8_t)blen;

	crypto_generichash_init(&st, key, key ? 32 : 0, outlen);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, &bl, 1);
	crypto_generichash_update(&st, bnd, blen);
	crypto_generichash_update(&st, a, an);
	crypto_generichash_update(&st, b, bn);
	crypto_generichash_final(&st, out, outlen);
}

static void
test_format_by_hand(void)
{
	static const uint8_t nonce[12];
	uint8_t *p = payload_of(77, 22), *s, fp[16], h[32], ss[32], wk[32];
	uint8_t fk[32], mac[32], pkey[32], pt[77];
	const uint8_t *b = bind_a, *st;
	size_t bl = sizeof(bind_a), len, r = 3, me = 2, hl;

	keys();
	REQUIRE(p != NULL);
	s = seal_to(0, r, p, 77, b, bl, 0, 23, &len);
	REQUIRE(s != NULL);
	REQUIRE(len == 29 + 1176 * r + 32 + 77 + 16);
	CHECK(memcmp(s, "dot-seal\x01\x12\x21\x00\x03", 13) == 0);
	b2b(fp, 16, NULL, "dot-seal-v1 binding", b, bl, NULL, 0, NULL, 0);
	CHECK_MEM(s + 13, fp, 16);
	st = s + 29 + 1176 * me;
	b2b(h, 32, NULL, "dot-seal-v1 kid", b, bl, K.pk[me], PK, NULL, 0);
	CHECK_MEM(st, h, 8);
	REQUIRE_RC(dot_xwing_decaps(ss, st + 8, DOT_XWING_CT_LEN, K.sk[me],
				    32), DOT_OK);
	b2b(wk, 32, ss, "dot-seal-v1 wrap", b, bl, K.pk[me], PK, st + 8,
	    DOT_XWING_CT_LEN);
	REQUIRE(crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			fk, NULL, st + 1128, 32, st + 1160, NULL, 0, nonce,
			wk) == 0);
	hl = 29 + 1176 * r;
	b2b(mac, 32, fk, "dot-seal-v1 header", b, bl, s, hl, NULL, 0);
	CHECK_MEM(s + hl, mac, 32);
	b2b(pkey, 32, fk, "dot-seal-v1 payload", b, bl, mac, 32, NULL, 0);
	REQUIRE(crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			pt, NULL, s + hl + 32, 77, s + hl + 32 + 77, NULL, 0,
			nonce, pkey) == 0);
	CHECK_MEM(pt, p, 77);
	free(s);
	free(p);
}

int
main(void)
{
	static const struct t_case cases[] = {
		T_CASE(test_sizes),
		T_CASE(test_one_recipient),
		T_CASE(test_many_recipients),
		T_CASE(test_anonymous),
		T_CASE(test_wrong_binding),
		T_CASE(test_every_flip_one),
		T_CASE(test_every_flip_three),
		T_CASE(test_every_truncation),
		T_CASE(test_too_many),
		T_CASE(test_bad_arguments),
		T_CASE(test_repeated_kid),
		T_CASE(test_splice),
		T_CASE(test_randomness),
		T_CASE(test_format_by_hand),
	};

	if (dot_crypto_init() != DOT_OK)
		return 1;
	return t_main(cases, sizeof(cases) / sizeof(cases[0]));
}
