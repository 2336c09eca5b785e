/*
 * mldsa.h - ML-DSA-65, the module-lattice digital signature algorithm of
 * FIPS 204 (docs/crypto.md §11).
 *
 * Byte strings are exactly FIPS 204's: the public key pk = pkEncode(ρ, t1)
 * (Algorithm 22), the expanded private key sk = skEncode(ρ, K, tr, s1, s2,
 * t0) (Algorithm 24) and the signature σ = sigEncode(c̃, z, h)
 * (Algorithm 26). Only pure ML-DSA: HashML-DSA (Algorithms 4, 5) is not
 * implemented.
 *
 * Randomness is an argument: the 32-byte seed ξ of key generation
 * (Algorithm 6, KeyGen_internal) and the 32-byte rnd of signing
 * (Algorithm 7, Sign_internal; 32 random bytes for the hedged variant,
 * 32 zero bytes for the deterministic one), so known-answer tests
 * reproduce exactly. dot_mldsa65_keypair and dot_mldsa65_sign draw them
 * with libsodium's randombytes_buf, as Algorithms 1 and 2 do with their
 * RBG; call dot_crypto_init first.
 *
 * Inputs that come from elsewhere are checked before use:
 *
 *   pk   length 1952 (every 1952-byte string decodes): else
 *        DOT_ECRYPTO_MLDSA_PK
 *   sk   length 4032, and every coefficient of s1 and s2 in [-η, η]
 *        (η = 4: each 4-bit field at most 8): else DOT_ECRYPTO_MLDSA_SK
 *   sig  length 3309, and the hint encoding accepted by Algorithm 21
 *        HintBitUnpack (indices strictly increasing within each
 *        polynomial, limits non-decreasing and at most ω = 55, unused
 *        index bytes zero): else DOT_ECRYPTO_MLDSA_SIG
 *   ctx  at most 255 bytes: else DOT_ECRYPTO_MLDSA_CTX
 *
 * A well-formed signature that does not verify (‖z‖∞ ≥ γ1 − β, or c̃ is
 * not the hash of the recomputed commitment) gives DOT_ECRYPTO_SIGNATURE.
 * On any failure a signature output is zeroed.
 *
 * Key generation and signing have no secret-dependent branch, memory
 * index or division, except the ones FIPS 204 makes public: the number of
 * signing iterations (each rejection), which positions of a SHAKE256
 * stream RejBoundedPoly rejects, and c̃ (docs/crypto.md §11.2).
 * Temporaries holding secrets are zeroed before return. The caller owns
 * pk, sk and the signature and must zero sk when done with it. Signing
 * and verification use about 85 KiB and 27 KiB of stack.
 */
#ifndef DOTEROS_MLDSA_H
#define DOTEROS_MLDSA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DOT_MLDSA65_PK_LEN 1952   /* 32 + 32 k (bitlen(q-1) - d) */
#define DOT_MLDSA65_SK_LEN 4032   /* 128 + 32 ((k + l) bitlen(2η) + d k) */
#define DOT_MLDSA65_SIG_LEN 3309  /* λ/4 + 32 l (1 + bitlen(γ1-1)) + ω + k */
#define DOT_MLDSA_SEED_LEN 32     /* ξ */
#define DOT_MLDSA_RND_LEN 32      /* rnd */
#define DOT_MLDSA_TR_LEN 64       /* tr = H(pk, 64) */
#define DOT_MLDSA_MU_LEN 64       /* μ = H(tr || M', 64) */
#define DOT_MLDSA_CTX_MAX 255     /* longest context string */

/*
 * FIPS 204 Algorithm 6, ML-DSA.KeyGen_internal(ξ): the key pair of the
 * 32-byte seed. Deterministic; cannot fail.
 */
DOT_API void dot_mldsa65_keypair_derand(uint8_t pk[DOT_MLDSA65_PK_LEN],
					uint8_t sk[DOT_MLDSA65_SK_LEN],
					const uint8_t xi[DOT_MLDSA_SEED_LEN]);
/* The same from a seed of n bytes: DOT_ECRYPTO_KEY (pk and sk zeroed)
 * unless n is DOT_MLDSA_SEED_LEN. */
DOT_API DOT_MUST int dot_mldsa65_keypair_seed(uint8_t pk[DOT_MLDSA65_PK_LEN],
					      uint8_t sk[DOT_MLDSA65_SK_LEN],
					      const uint8_t *seed, size_t n);
/* FIPS 204 Algorithm 1, ML-DSA.KeyGen: ξ from randombytes_buf. */
DOT_API void dot_mldsa65_keypair(uint8_t pk[DOT_MLDSA65_PK_LEN],
				 uint8_t sk[DOT_MLDSA65_SK_LEN]);

/*
 * FIPS 204 Algorithm 2, ML-DSA.Sign(sk, M, ctx), with its rnd given:
 * Sign_internal(sk, M', rnd), M' = 0 || len(ctx) || ctx || M. rnd is 32
 * random bytes (hedged) or 32 zero bytes (deterministic).
 * DOT_ECRYPTO_MLDSA_SK or DOT_ECRYPTO_MLDSA_CTX, with sig zeroed.
 */
DOT_API DOT_MUST int dot_mldsa65_sign_derand(
	uint8_t sig[DOT_MLDSA65_SIG_LEN], const uint8_t *sk, size_t sklen,
	const uint8_t *msg, size_t mlen, const uint8_t *ctx, size_t ctxlen,
	const uint8_t rnd[DOT_MLDSA_RND_LEN]);
/* FIPS 204 Algorithm 2, ML-DSA.Sign, hedged: rnd from randombytes_buf. */
DOT_API DOT_MUST int dot_mldsa65_sign(uint8_t sig[DOT_MLDSA65_SIG_LEN],
				      const uint8_t *sk, size_t sklen,
				      const uint8_t *msg, size_t mlen,
				      const uint8_t *ctx, size_t ctxlen);
/*
 * FIPS 204 Algorithm 3, ML-DSA.Verify(pk, M, σ, ctx): Verify_internal(pk,
 * M', σ). DOT_OK, DOT_ECRYPTO_SIGNATURE, or DOT_ECRYPTO_MLDSA_PK,
 * DOT_ECRYPTO_MLDSA_SIG, DOT_ECRYPTO_MLDSA_CTX for malformed inputs.
 */
DOT_API DOT_MUST int dot_mldsa65_verify(const uint8_t *pk, size_t pklen,
					const uint8_t *msg, size_t mlen,
					const uint8_t *ctx, size_t ctxlen,
					const uint8_t *sig, size_t siglen);

/*
 * The internal interfaces (the ACVP vectors use them). M' is signed as
 * given, without the domain-separation prefix: do not expose these to
 * callers who choose M'.
 *
 * FIPS 204 Algorithm 7, ML-DSA.Sign_internal(sk, M', rnd).
 */
DOT_API DOT_MUST int dot_mldsa65_sign_internal(
	uint8_t sig[DOT_MLDSA65_SIG_LEN], const uint8_t *sk, size_t sklen,
	const uint8_t *mp, size_t mplen, const uint8_t rnd[DOT_MLDSA_RND_LEN]);
/* Algorithm 7 from a precomputed μ (its computation of μ skipped:
 * "external μ"). */
DOT_API DOT_MUST int dot_mldsa65_sign_mu(uint8_t sig[DOT_MLDSA65_SIG_LEN],
					 const uint8_t *sk, size_t sklen,
					 const uint8_t mu[DOT_MLDSA_MU_LEN],
					 const uint8_t rnd[DOT_MLDSA_RND_LEN]);
/* FIPS 204 Algorithm 8, ML-DSA.Verify_internal(pk, M', σ). */
DOT_API DOT_MUST int dot_mldsa65_verify_internal(const uint8_t *pk,
						 size_t pklen,
						 const uint8_t *mp,
						 size_t mplen,
						 const uint8_t *sig,
						 size_t siglen);
/* Algorithm 8 with a precomputed μ (its computation of μ skipped). */
DOT_API DOT_MUST int dot_mldsa65_verify_mu(const uint8_t *pk, size_t pklen,
					   const uint8_t mu[DOT_MLDSA_MU_LEN],
					   const uint8_t *sig, size_t siglen);
/*
 * μ = H(H(pk, 64) || M', 64) with M' = 0 || len(ctx) || ctx || M, as
 * Algorithms 2, 3, 7 and 8 compute it (for the external-μ forms above).
 * DOT_ECRYPTO_MLDSA_PK or DOT_ECRYPTO_MLDSA_CTX (mu zeroed).
 */
DOT_API DOT_MUST int dot_mldsa65_mu(uint8_t mu[DOT_MLDSA_MU_LEN],
				    const uint8_t *pk, size_t pklen,
				    const uint8_t *msg, size_t mlen,
				    const uint8_t *ctx, size_t ctxlen);

#endif
