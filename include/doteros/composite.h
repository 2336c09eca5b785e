/*
 * composite.h - the composite signature id-MLDSA65-Ed25519-SHA512 (OID
 * 1.3.6.1.5.5.7.6.48) of draft-ietf-lamps-pq-composite-sigs-19: an
 * ML-DSA-65 (FIPS 204) and an Ed25519 (RFC 8032) signature over one
 * message representative, both required (docs/crypto.md §13).
 *
 * Byte strings are the draft's (§4, Serialization), plain concatenations
 * with the ML-DSA component first:
 *
 *   pk   = ML-DSA-65 pk (1952) || Ed25519 public key (32)       1984 bytes
 *   sk   = ML-DSA-65 seed ξ (32) || Ed25519 private key (32)      64 bytes
 *   sig  = ML-DSA-65 signature (3309) || Ed25519 signature (64) 3373 bytes
 *
 * The Ed25519 private key is RFC 8032's 32-byte seed, not libsodium's
 * 64-byte seed || pk. The ML-DSA key is kept as its seed and expanded
 * with KeyGen_internal(ξ) (FIPS 204 Algorithm 6) for each signature, as
 * the draft's Sign does (§3.2 step 3).
 *
 * Both components sign the message representative (§2.2)
 *
 *   M' = Prefix || Label || len(ctx) || ctx || SHA-512(M)
 *
 * with Prefix the 32 ASCII bytes "CompositeAlgorithmSignatures2025",
 * Label the 30 ASCII bytes "COMPSIG-MLDSA65-Ed25519-SHA512" and len(ctx)
 * one byte. ML-DSA-65 signs M' as pure ML-DSA with the Label as its
 * FIPS 204 context string; Ed25519 signs M' as it is (§3.2 step 4). ctx
 * is the application's context, at most 255 bytes, empty by default.
 *
 * Randomness is an argument: key generation takes the two 32-byte seeds,
 * signing the 32-byte rnd of FIPS 204 Algorithm 7 (Ed25519 needs none).
 * The module draws none of its own.
 *
 * Errors:
 *
 *   DOT_ECRYPTO_COMPOSITE_PK   pk not 1984 bytes (dot_composite_pk_check
 *                              also: its Ed25519 half not a canonical
 *                              point of the prime-order subgroup)
 *   DOT_ECRYPTO_COMPOSITE_SK   sk not 64 bytes
 *   DOT_ECRYPTO_COMPOSITE_SIG  sig not 3373 bytes, a component
 *                              malformed, or a component that does not
 *                              verify: the draft's "Invalid signature"
 *   DOT_EINVAL                 ctx over 255 bytes (§3.2, §3.3 step 1);
 *                              an all-zero rnd given to dot_composite_sign
 *   DOT_ENOMEM                 sodium_malloc failed (key generation and
 *                              signing keep the expanded keys there)
 *
 * On failure a signature or public key output is zeroed. The caller owns
 * pk, sk and sig and zeroes sk when done; the module zeroes every
 * temporary that held a secret. Signing and key generation run ML-DSA's
 * constant-time code (docs/crypto.md §11.2) and libsodium's Ed25519;
 * verification handles only public data. Call dot_crypto_init() first.
 */
#ifndef DOTEROS_COMPOSITE_H
#define DOTEROS_COMPOSITE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DOT_COMPOSITE_PK_LEN	 1984 /* 1952 + 32 */
#define DOT_COMPOSITE_SK_LEN	 64   /* 32 + 32 */
#define DOT_COMPOSITE_SIG_LEN	 3373 /* 3309 + 64 */
#define DOT_COMPOSITE_SEED_LEN	 32   /* each of the two component seeds */
#define DOT_COMPOSITE_RND_LEN	 32   /* FIPS 204 rnd */
#define DOT_COMPOSITE_CTX_MAX	 255  /* longest application context */
#define DOT_COMPOSITE_PREFIX_LEN 32   /* "CompositeAlgorithmSignatures2025" */
#define DOT_COMPOSITE_LABEL_LEN	 30   /* "COMPSIG-MLDSA65-Ed25519-SHA512" */
#define DOT_COMPOSITE_PH_LEN	 64   /* SHA-512 */
/* The longest M': 32 + 30 + 1 + 255 + 64. */
#define DOT_COMPOSITE_MP_MAX 382

/*
 * §3.1 KeyGen, with its randomness given: ML-DSA-65.KeyGen_internal(ξ)
 * and the Ed25519 key pair of ed_seed (RFC 8032 §5.1.5); pk and sk as
 * above (sk is ξ || ed_seed). DOT_ENOMEM (pk and sk zeroed).
 */
DOT_API DOT_MUST int
dot_composite_keypair(uint8_t pk[DOT_COMPOSITE_PK_LEN],
		      uint8_t sk[DOT_COMPOSITE_SK_LEN],
		      const uint8_t xi[DOT_COMPOSITE_SEED_LEN],
		      const uint8_t ed_seed[DOT_COMPOSITE_SEED_LEN]);

/* The public key of a serialized private key (§4.2, then §3.1's key
 * derivation). DOT_ECRYPTO_COMPOSITE_SK, DOT_ENOMEM (pk zeroed). */
DOT_API DOT_MUST int dot_composite_sk_to_pk(uint8_t pk[DOT_COMPOSITE_PK_LEN],
					    const uint8_t *sk, size_t sklen);

/*
 * §3.2 Sign(sk, M, ctx) with FIPS 204's rnd given: 32 random bytes for
 * the hedged variant, 32 zero bytes for the deterministic one (the
 * Ed25519 half is deterministic either way). DOT_EINVAL,
 * DOT_ECRYPTO_COMPOSITE_SK, DOT_ENOMEM (sig zeroed).
 */
DOT_API DOT_MUST int
dot_composite_sign_derand(uint8_t sig[DOT_COMPOSITE_SIG_LEN],
			  const uint8_t *msg, size_t mlen, const uint8_t *ctx,
			  size_t ctxlen, const uint8_t *sk, size_t sklen,
			  const uint8_t rnd[DOT_COMPOSITE_RND_LEN]);

/*
 * §3.2 Sign, hedged: rnd must be 32 fresh random bytes from the caller's
 * generator. An all-zero rnd is refused with DOT_EINVAL (sig zeroed), as a
 * buffer the caller forgot to fill; use dot_composite_sign_derand for the
 * deterministic variant. Otherwise as dot_composite_sign_derand.
 */
DOT_API DOT_MUST int
dot_composite_sign(uint8_t sig[DOT_COMPOSITE_SIG_LEN], const uint8_t *msg,
		   size_t mlen, const uint8_t *ctx, size_t ctxlen,
		   const uint8_t *sk, size_t sklen,
		   const uint8_t rnd[DOT_COMPOSITE_RND_LEN]);

/*
 * §3.3 Verify(pk, M, s, ctx): DOT_OK only if the ML-DSA-65 half verifies
 * (FIPS 204 Algorithm 3, ctx = Label, docs/crypto.md §11.1) and the
 * Ed25519 half verifies under libsodium's rules (docs/crypto.md §7),
 * both over M'. DOT_ECRYPTO_COMPOSITE_PK, DOT_ECRYPTO_COMPOSITE_SIG,
 * DOT_EINVAL.
 */
DOT_API DOT_MUST int dot_composite_verify(const uint8_t *pk, size_t pklen,
					  const uint8_t *msg, size_t mlen,
					  const uint8_t *ctx, size_t ctxlen,
					  const uint8_t *sig, size_t siglen);

/*
 * A public key fit to be stored: 1984 bytes, and its Ed25519 half a
 * canonical encoding of a point of the prime-order subgroup, not of small
 * order (libsodium's crypto_core_ed25519_is_valid_point), as
 * dot_sign_pk_check requires of an Ed25519 key (docs/crypto.md §7). Every
 * 1952-byte string is an ML-DSA-65 key. DOT_ECRYPTO_COMPOSITE_PK.
 */
DOT_API DOT_MUST int dot_composite_pk_check(const uint8_t *pk, size_t pklen);

#endif
