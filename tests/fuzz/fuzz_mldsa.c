/*
 * fuzz_mldsa.c - ML-DSA-65's handling of untrusted bytes (mldsa.h,
 * docs/crypto.md §11): the decoding of a public key and a signature
 * (FIPS 204 Algorithms 23, 27 and 21, HintBitUnpack) and verification,
 * on any input. The first byte picks what the rest is:
 *
 *   0  pk || sig || msg   dot_mldsa65_verify with an empty context; the
 *                         lengths come from the input, so short inputs
 *                         give short keys and signatures
 *   1  sig || msg         verification under the fixed key below, by
 *                         message, by M' and by μ (all three must agree)
 *   2  ξ || msg           dot_mldsa65_keypair_seed on the first 32 bytes,
 *                         then a deterministic signature of msg and a
 *                         round trip
 *
 * Each verdict is compared with an independent reading of the rules: the
 * lengths (pk 1952, sig 3309), Algorithm 21's (limits non-decreasing and
 * at most ω, indices strictly increasing within each polynomial, unused
 * index bytes zero): DOT_ECRYPTO_MLDSA_SIG exactly when one fails; and a
 * z coefficient with |z| ≥ γ1 - β in a well-formed signature must give
 * DOT_ECRYPTO_SIGNATURE. A verified signature must still verify by μ.
 *
 * The fixed key is KeyGen_internal(32 x 0x77), the one of
 * gen_mldsa_corpus.c, so mutants of the "fixed-*" seeds reach
 * verification under a key the target knows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/crypto.h"
#include "doteros/mldsa.h"

#define FUZZ_NAME "fuzz_mldsa"
#include "pqfuzz.h"

#define PK DOT_MLDSA65_PK_LEN
#define SK DOT_MLDSA65_SK_LEN
#define SIG DOT_MLDSA65_SIG_LEN
#define OMEGA 55
#define HINTS (SIG - OMEGA - 6)

static struct {
	uint8_t pk[PK], sk[SK];
} fixed;

static void
setup(void)
{
	uint8_t xi[32];

	memset(xi, 0x77, sizeof(xi));
	dot_mldsa65_keypair_derand(fixed.pk, fixed.sk, xi);
}

/* Algorithm 21's rules, read directly from the ω + k hint bytes. */
static int
hints_ok(const uint8_t *y)
{
	unsigned prev = 0;

	for (unsigned i = 0; i < 6; i++) {
		unsigned lim = y[OMEGA + i];

		if (lim < prev || lim > OMEGA)
			return 0;
		for (unsigned j = prev + 1; j < lim; j++)
			if (!(y[j - 1] < y[j]))
				return 0;
		prev = lim;
	}
	while (prev < OMEGA)
		if (y[prev++] != 0)
			return 0;
	return 1;
}

/* Some z coefficient has |γ1 - v| ≥ γ1 - β: v ≤ β or v ≥ 2γ1 - β. */
static int
z_too_big(const uint8_t *sig)
{
	const uint8_t *p = sig + 48;

	for (unsigned i = 0; i < 5 * 256; i++) {
		unsigned bit = 20 * i, v = 0;

		for (unsigned b = 0; b < 20; b++, bit++)
			v |= (unsigned)((p[bit / 8] >> (bit % 8)) & 1) << b;
		if (v <= 196 || v >= (1u << 20) - 196)
			return 1;
	}
	return 0;
}

static void
verify(const uint8_t *pk, size_t pklen, const uint8_t *sig, size_t siglen,
       const uint8_t *msg, size_t mlen)
{
	uint8_t mu[64];
	int rv = dot_mldsa65_verify(pk, pklen, msg, mlen, NULL, 0, sig,
				    siglen);

	if (pklen != PK) {
		if (rv != DOT_ECRYPTO_MLDSA_PK)
			fail("pk length verdict", rv);
		return;
	}
	if (siglen != SIG) {
		if (rv != DOT_ECRYPTO_MLDSA_SIG)
			fail("signature length verdict", rv);
		return;
	}
	if (!hints_ok(sig + HINTS)) {
		if (rv != DOT_ECRYPTO_MLDSA_SIG)
			fail("hint decoding verdict", rv);
		return;
	}
	if (rv == DOT_ECRYPTO_MLDSA_SIG)
		fail("well-formed hints refused", rv);
	if (z_too_big(sig) && rv != DOT_ECRYPTO_SIGNATURE)
		fail("norm bound verdict", rv);
	if (rv != DOT_OK && rv != DOT_ECRYPTO_SIGNATURE)
		fail("verdict", rv);
	if (dot_mldsa65_mu(mu, pk, pklen, msg, mlen, NULL, 0) != DOT_OK)
		fail("mu", 0);
	if (dot_mldsa65_verify_mu(pk, pklen, mu, sig, siglen) != rv)
		fail("verify by mu disagrees", rv);
}

/* pk || sig || msg, with the lengths the input gives. */
static void
fuzz_any_key(const uint8_t *data, size_t size)
{
	struct fuzz_ksm in = fuzz_split(data, size, PK, SIG);

	verify(in.k, in.kn, in.s, in.sn, in.m, in.mn);
}

/* sig || msg under the fixed key, by message, by M' and by μ. */
static void
fuzz_fixed_key(const uint8_t *data, size_t size)
{
	static uint8_t mp[2 + 4096];
	size_t siglen = size < SIG ? size : SIG;
	size_t mlen = size - siglen;
	int rv;

	verify(fixed.pk, PK, data, siglen, data + siglen, mlen);
	if (mlen <= sizeof(mp) - 2) {
		/* M' = 0 || 0 || msg through the internal interface */
		mp[0] = 0;
		mp[1] = 0;
		memcpy(mp + 2, data + siglen, mlen);
		rv = dot_mldsa65_verify_internal(fixed.pk, PK, mp, mlen + 2,
						 data, siglen);
		if (rv != dot_mldsa65_verify(fixed.pk, PK, data + siglen, mlen,
					     NULL, 0, data, siglen))
			fail("internal and external disagree", rv);
	}
}

/* ξ || msg: a key pair, a deterministic signature, a round trip. */
static void
fuzz_seed(const uint8_t *data, size_t size)
{
	static uint8_t pk[PK], sk[SK], sig[SIG];
	static const uint8_t zero[32];
	size_t n = size < 32 ? size : 32;
	int rv = dot_mldsa65_keypair_seed(pk, sk, data, n);

	if (n != 32) {
		if (rv != DOT_ECRYPTO_KEY)
			fail("seed length verdict", rv);
		return;
	}
	if (rv != DOT_OK)
		fail("keypair_seed", rv);
	rv = dot_mldsa65_sign_derand(sig, sk, SK, data + 32, size - 32, NULL,
				     0, zero);
	if (rv != DOT_OK)
		fail("sign", rv);
	rv = dot_mldsa65_verify(pk, PK, data + 32, size - 32, NULL, 0, sig,
				SIG);
	if (rv != DOT_OK)
		fail("round trip", rv);
	verify(pk, PK, sig, SIG, data + 32, size - 32);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_fn cases[] = {fuzz_any_key, fuzz_fixed_key,
					     fuzz_seed};

	return fuzz_pick(data, size, SIZE_MAX, setup, cases, 3);
}
