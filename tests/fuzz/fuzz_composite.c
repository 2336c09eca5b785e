/*
 * fuzz_composite.c - the composite signature id-MLDSA65-Ed25519-SHA512
 * on untrusted bytes (composite.h, docs/crypto.md §13): the splitting of
 * a public key and a signature (draft-ietf-lamps-pq-composite-sigs-19
 * §4.1, §4.3) and verification (§3.3), on any input. The first byte picks
 * what the rest is:
 *
 *   0  pk || sig || msg        dot_composite_verify with an empty ctx;
 *                              the lengths come from the input, so short
 *                              inputs give short keys and signatures
 *   1  n || ctx[n] || sig || msg
 *                              verification under the fixed key below
 *                              with a context of n bytes (n up to 255)
 *   2  ξ || seed || n || ctx[n] || msg
 *                              dot_composite_keypair on the two seeds, a
 *                              deterministic signature of msg, a round
 *                              trip, sk_to_pk, and the same signature
 *                              refused under another context
 *
 * Each verdict is compared with an independent reading of the draft: pk
 * of 1984 bytes (else DOT_ECRYPTO_COMPOSITE_PK), sig of 3373 (else
 * DOT_ECRYPTO_COMPOSITE_SIG), and DOT_OK exactly when the first 3309
 * bytes are an ML-DSA-65 signature of M' with the Label as context under
 * the first 1952 bytes of pk and the last 64 an Ed25519 signature of M'
 * under the last 32, M' built here from the draft's rules (§2.2).
 *
 * The fixed key is dot_composite_keypair(32 x 0x77, 32 x 0x78), the one
 * of gen_composite_corpus.c, so mutants of the "fixed-*" seeds reach
 * verification under a key the target knows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/composite.h"
#include "doteros/crypto.h"
#include "doteros/mldsa.h"

#define FUZZ_NAME "fuzz_composite"
#include "pqfuzz.h"

#define PK   DOT_COMPOSITE_PK_LEN
#define SK   DOT_COMPOSITE_SK_LEN
#define SIG  DOT_COMPOSITE_SIG_LEN
#define MPK  DOT_MLDSA65_PK_LEN
#define MSIG DOT_MLDSA65_SIG_LEN

static const char PREFIX[] = "CompositeAlgorithmSignatures2025";
static const char LABEL[] = "COMPSIG-MLDSA65-Ed25519-SHA512";

static struct {
	uint8_t pk[PK], sk[SK];
} fixed;

static void
setup(void)
{
	uint8_t xi[32], ed[32];

	memset(xi, 0x77, sizeof(xi));
	memset(ed, 0x78, sizeof(ed));
	if (dot_composite_keypair(fixed.pk, fixed.sk, xi, ed) != DOT_OK)
		fail("keypair", 0);
}

/* The verdict the draft gives, computed without composite.c. */
static int
expected(const uint8_t *pk, size_t pklen, const uint8_t *sig, size_t siglen,
	 const uint8_t *msg, size_t mlen, const uint8_t *ctx, size_t ctxlen)
{
	uint8_t mp[32 + 30 + 1 + 255 + 64];
	size_t n = 0;

	if (pklen != PK)
		return DOT_ECRYPTO_COMPOSITE_PK;
	if (siglen != SIG)
		return DOT_ECRYPTO_COMPOSITE_SIG;
	memcpy(mp, PREFIX, 32);
	memcpy(mp + 32, LABEL, 30);
	mp[62] = (uint8_t)ctxlen;
	if (ctxlen > 0)
		memcpy(mp + 63, ctx, ctxlen);
	n = 63 + ctxlen;
	crypto_hash_sha512(mp + n, msg, mlen);
	n += 64;
	if (dot_mldsa65_verify(pk, MPK, mp, n, (const uint8_t *)LABEL, 30, sig,
			       MSIG) != DOT_OK)
		return DOT_ECRYPTO_COMPOSITE_SIG;
	if (crypto_sign_verify_detached(sig + MSIG, mp, n, pk + MPK) != 0)
		return DOT_ECRYPTO_COMPOSITE_SIG;
	return DOT_OK;
}

static void
verify(const uint8_t *pk, size_t pklen, const uint8_t *sig, size_t siglen,
       const uint8_t *msg, size_t mlen, const uint8_t *ctx, size_t ctxlen)
{
	int rv = dot_composite_verify(pk, pklen, msg, mlen, ctx, ctxlen, sig,
				      siglen);

	if (rv != expected(pk, pklen, sig, siglen, msg, mlen, ctx, ctxlen))
		fail("verdict differs from the draft's", rv);
}

/* pk || sig || msg, with the lengths the input gives, empty ctx. */
static void
fuzz_any_key(const uint8_t *data, size_t size)
{
	struct fuzz_ksm in = fuzz_split(data, size, PK, SIG);

	verify(in.k, in.kn, in.s, in.sn, in.m, in.mn, NULL, 0);
}

/* n || ctx[n] || sig || msg under the fixed key. */
static void
fuzz_fixed_key(const uint8_t *data, size_t size)
{
	size_t n = size > 0 ? data[0] : 0;

	if (size < 1 + n)
		return;
	const uint8_t *ctx = data + 1;
	size -= 1 + n;
	size_t siglen = size < SIG ? size : SIG;

	verify(fixed.pk, PK, ctx + n, siglen, ctx + n + siglen, size - siglen,
	       ctx, n);
}

/* ξ || seed || n || ctx[n] || msg: a key pair, a deterministic signature,
 * a round trip, sk_to_pk, another context refused. */
static void
fuzz_seeds(const uint8_t *data, size_t size)
{
	static uint8_t pk[PK], pk2[PK], sk[SK], sig[SIG];
	static const uint8_t zero[32];
	int rv;

	if (size < 65 || size < 65 + (size_t)data[64])
		return;
	size_t n = data[64];
	const uint8_t *ctx = data + 65, *msg = ctx + n;
	size_t mlen = size - 65 - n;

	if (dot_composite_keypair(pk, sk, data, data + 32) != DOT_OK)
		fail("keypair", 0);
	if (memcmp(sk, data, SK) != 0)
		fail("sk is not the two seeds", 0);
	if ((rv = dot_composite_sk_to_pk(pk2, sk, SK)) != DOT_OK ||
	    memcmp(pk, pk2, PK) != 0)
		fail("sk_to_pk", rv);
	rv = dot_composite_sign_derand(sig, msg, mlen, ctx, n, sk, SK, zero);
	if (rv != DOT_OK)
		fail("sign", rv);
	rv = dot_composite_verify(pk, PK, msg, mlen, ctx, n, sig, SIG);
	if (rv != DOT_OK)
		fail("round trip", rv);
	verify(pk, PK, sig, SIG, msg, mlen, ctx, n);
	/* another context: one byte more, or one less */
	rv = dot_composite_verify(pk, PK, msg, mlen, ctx, n > 0 ? n - 1 : 0,
				  sig, SIG);
	if (n > 0 && rv != DOT_ECRYPTO_COMPOSITE_SIG)
		fail("a shorter context verifies", rv);
	sodium_memzero(sk, sizeof(sk));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_fn cases[] = {fuzz_any_key, fuzz_fixed_key,
					     fuzz_seeds};

	return fuzz_pick(data, size, SIZE_MAX, setup, cases, 3);
}
