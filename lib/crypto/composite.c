/*
 * composite.c - id-MLDSA65-Ed25519-SHA512, the composite signature of
 * draft-ietf-lamps-pq-composite-sigs-19, written from the draft's text
 * (composite.h, docs/crypto.md §13). Section numbers below are the
 * draft's.
 *
 * The components are this library's ML-DSA-65 (mldsa.h, FIPS 204) and
 * libsodium's Ed25519 and SHA-512. Everything that holds a secret (the
 * expanded ML-DSA-65 key, libsodium's 64-byte Ed25519 key) lives in one
 * sodium_malloc'd block for the length of a call and is zeroed by
 * sodium_free. The message representative M' and the public values are
 * on the stack.
 */
#include <string.h>

#include <sodium.h>

#include "doteros/composite.h"
#include "doteros/mldsa.h"

#define MLDSA_PK  DOT_MLDSA65_PK_LEN
#define MLDSA_SIG DOT_MLDSA65_SIG_LEN

_Static_assert(DOT_COMPOSITE_PK_LEN == MLDSA_PK + 32, "pk length");
_Static_assert(DOT_COMPOSITE_SK_LEN == DOT_MLDSA_SEED_LEN + 32, "sk length");
_Static_assert(DOT_COMPOSITE_SIG_LEN == MLDSA_SIG + 64, "signature length");
_Static_assert(DOT_COMPOSITE_MP_MAX ==
		   DOT_COMPOSITE_PREFIX_LEN + DOT_COMPOSITE_LABEL_LEN + 1 +
		       DOT_COMPOSITE_CTX_MAX + DOT_COMPOSITE_PH_LEN,
	       "longest M'");

/* §2.2: the Prefix, "CompositeAlgorithmSignatures2025" in ASCII. */
static const uint8_t prefix[DOT_COMPOSITE_PREFIX_LEN] = {
    'C', 'o', 'm', 'p', 'o', 's', 'i', 't', 'e', 'A', 'l',
    'g', 'o', 'r', 'i', 't', 'h', 'm', 'S', 'i', 'g', 'n',
    'a', 't', 'u', 'r', 'e', 's', '2', '0', '2', '5',
};

/* §6 (the algorithm's entry): the Label, "COMPSIG-MLDSA65-Ed25519-SHA512"
 * in ASCII, no length and no NUL. It is also ML-DSA's context string. */
static const uint8_t label[DOT_COMPOSITE_LABEL_LEN] = {
    'C', 'O', 'M', 'P', 'S', 'I', 'G', '-', 'M', 'L', 'D', 'S', 'A', '6', '5',
    '-', 'E', 'd', '2', '5', '5', '1', '9', '-', 'S', 'H', 'A', '5', '1', '2',
};

/* The secrets of one call, in sodium_malloc'd memory. */
struct secrets {
	uint8_t mldsa_sk[DOT_MLDSA65_SK_LEN]; /* KeyGen_internal(ξ) */
	uint8_t ed_sk[crypto_sign_ed25519_SECRETKEYBYTES]; /* seed || pk */
};

/*
 * §2.2 and §3.2 step 2 (§3.3 step 3): M' = Prefix || Label || len(ctx)
 * || ctx || PH(M), len(ctx) one unsigned byte, PH = SHA-512 (§6) over the
 * whole message. Returns the length of M'; the caller has checked ctxlen.
 */
static size_t
message_rep(uint8_t mp[DOT_COMPOSITE_MP_MAX], const uint8_t *msg, size_t mlen,
	    const uint8_t *ctx, size_t ctxlen)
{
	size_t n = 0;

	memcpy(mp + n, prefix, sizeof(prefix));
	n += sizeof(prefix);
	memcpy(mp + n, label, sizeof(label));
	n += sizeof(label);
	mp[n++] = (uint8_t)ctxlen;
	if (ctxlen > 0)
		memcpy(mp + n, ctx, ctxlen);
	n += ctxlen;
	crypto_hash_sha512(mp + n, mlen > 0 ? msg : prefix,
			   (unsigned long long)mlen);
	return n + crypto_hash_sha512_BYTES;
}

/*
 * §3.1 KeyGen, step 1 with the seeds given: (mldsaPK, mldsaSK) =
 * ML-DSA.KeyGen_internal(ξ) and the Ed25519 key pair of its seed; the
 * two public keys go into pk as §4.1 SerializePublicKey lays them out.
 * The expanded keys are left in s for a signature.
 */
static void
expand(uint8_t pk[DOT_COMPOSITE_PK_LEN], struct secrets *s,
       const uint8_t xi[DOT_MLDSA_SEED_LEN], const uint8_t ed_seed[32])
{
	dot_mldsa65_keypair_derand(pk, s->mldsa_sk, xi);
	/* cannot fail: any 32 bytes are an Ed25519 private key */
	(void)crypto_sign_ed25519_seed_keypair(pk + MLDSA_PK, s->ed_sk,
					       ed_seed);
}

/* §3.1 KeyGen; §4.2 SerializePrivateKey: sk = mldsaSeed || tradSK. */
int
dot_composite_keypair(uint8_t pk[DOT_COMPOSITE_PK_LEN],
		      uint8_t sk[DOT_COMPOSITE_SK_LEN],
		      const uint8_t xi[DOT_COMPOSITE_SEED_LEN],
		      const uint8_t ed_seed[DOT_COMPOSITE_SEED_LEN])
{
	struct secrets *s = sodium_malloc(sizeof(*s));

	if (s == NULL) {
		memset(pk, 0, DOT_COMPOSITE_PK_LEN);
		sodium_memzero(sk, DOT_COMPOSITE_SK_LEN);
		return DOT_ENOMEM;
	}
	expand(pk, s, xi, ed_seed);
	memcpy(sk, xi, DOT_MLDSA_SEED_LEN);
	memcpy(sk + DOT_MLDSA_SEED_LEN, ed_seed, 32);
	sodium_free(s); /* zeroes before unmapping */
	return DOT_OK;
}

/* §4.2 DeserializePrivateKey (mldsaSeed = sk[:32], tradSK = sk[32:]),
 * then §3.1's derivation of the public keys. */
int
dot_composite_sk_to_pk(uint8_t pk[DOT_COMPOSITE_PK_LEN], const uint8_t *sk,
		       size_t sklen)
{
	struct secrets *s;

	memset(pk, 0, DOT_COMPOSITE_PK_LEN);
	if (sklen != DOT_COMPOSITE_SK_LEN)
		return DOT_ECRYPTO_COMPOSITE_SK;
	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return DOT_ENOMEM;
	expand(pk, s, sk, sk + DOT_MLDSA_SEED_LEN);
	sodium_free(s);
	return DOT_OK;
}

/*
 * §3.2 Sign(sk, M, ctx):
 *   1. len(ctx) > 255: error (DOT_EINVAL).
 *   2. M' = Prefix || Label || len(ctx) || ctx || PH(M).
 *   3. (mldsaSeed, tradSK) = DeserializePrivateKey(sk) (§4.2: a 64-byte
 *      sk, else DOT_ECRYPTO_COMPOSITE_SK); (_, mldsaSK) =
 *      ML-DSA.KeyGen_internal(mldsaSeed).
 *   4. mldsaSig = ML-DSA.Sign(mldsaSK, M', ctx = Label), pure FIPS 204
 *      Algorithm 2 with this rnd; tradSig = Ed25519.Sign(tradSK, M')
 *      (RFC 8032 §5.1.6, no Ed25519ctx or Ed25519ph).
 *   5. A component error is an error (neither can fail here: the lengths
 *      are fixed and the Label is 30 bytes).
 *   6. s = SerializeSignatureValue(mldsaSig, tradSig) = mldsaSig ||
 *      tradSig (§4.3).
 */
int
dot_composite_sign_derand(uint8_t sig[DOT_COMPOSITE_SIG_LEN],
			  const uint8_t *msg, size_t mlen, const uint8_t *ctx,
			  size_t ctxlen, const uint8_t *sk, size_t sklen,
			  const uint8_t rnd[DOT_COMPOSITE_RND_LEN])
{
	uint8_t mp[DOT_COMPOSITE_MP_MAX], pk[DOT_COMPOSITE_PK_LEN];
	struct secrets *s = NULL;
	size_t mplen;
	int rv;

	if (ctxlen > DOT_COMPOSITE_CTX_MAX) {
		rv = DOT_EINVAL;
		goto out;
	}
	if (sklen != DOT_COMPOSITE_SK_LEN) {
		rv = DOT_ECRYPTO_COMPOSITE_SK;
		goto out;
	}
	if ((s = sodium_malloc(sizeof(*s))) == NULL) {
		rv = DOT_ENOMEM;
		goto out;
	}
	mplen = message_rep(mp, msg, mlen, ctx, ctxlen);
	expand(pk, s, sk, sk + DOT_MLDSA_SEED_LEN);
	rv = dot_mldsa65_sign_derand(sig, s->mldsa_sk, sizeof(s->mldsa_sk), mp,
				     mplen, label, sizeof(label), rnd);
	if (rv != DOT_OK) {
		rv = DOT_ECRYPTO_COMPOSITE_SK;
		goto out;
	}
	if (crypto_sign_ed25519_detached(sig + MLDSA_SIG, NULL, mp, mplen,
					 s->ed_sk) != 0) {
		rv = DOT_ECRYPTO_COMPOSITE_SK;
		goto out;
	}
	rv = DOT_OK;
out:
	if (rv != DOT_OK)
		memset(sig, 0, DOT_COMPOSITE_SIG_LEN);
	if (s != NULL)
		sodium_free(s);
	/* M' and the public keys are public; nothing else held a secret */
	return rv;
}

/* §3.2 Sign, hedged: rnd from the caller's generator (FIPS 204 §3.4). */
int
dot_composite_sign(uint8_t sig[DOT_COMPOSITE_SIG_LEN], const uint8_t *msg,
		   size_t mlen, const uint8_t *ctx, size_t ctxlen,
		   const uint8_t *sk, size_t sklen,
		   const uint8_t rnd[DOT_COMPOSITE_RND_LEN])
{
	if (sodium_is_zero(rnd, DOT_COMPOSITE_RND_LEN)) {
		memset(sig, 0, DOT_COMPOSITE_SIG_LEN);
		return DOT_EINVAL;
	}
	return dot_composite_sign_derand(sig, msg, mlen, ctx, ctxlen, sk, sklen,
					 rnd);
}

/*
 * §3.3 Verify(pk, M, s, ctx):
 *   1. len(ctx) > 255: error (DOT_EINVAL).
 *   2. (mldsaPK, tradPK) = DeserializePublicKey(pk), split at 1952
 *      (§4.1); (mldsaSig, tradSig) = DeserializeSignatureValue(s), split
 *      at 3309 (§4.3). A component of the wrong length is "Invalid
 *      signature": since both components have fixed lengths, pk must be
 *      1984 bytes (DOT_ECRYPTO_COMPOSITE_PK) and s 3373
 *      (DOT_ECRYPTO_COMPOSITE_SIG).
 *   3. M' = Prefix || Label || len(ctx) || ctx || PH(M).
 *   4. ML-DSA.Verify(mldsaPK, M', mldsaSig, ctx = Label) and
 *      Ed25519.Verify(tradPK, M', tradSig) must both succeed; the first
 *      failure ends it (the draft allows this: no secret is involved).
 *      Any refusal is DOT_ECRYPTO_COMPOSITE_SIG, whether ML-DSA found the
 *      signature malformed (its hint encoding) or wrong, or libsodium
 *      refused the Ed25519 half (non-canonical S, R or A of small order,
 *      non-canonical A, or the equation: docs/crypto.md §7).
 */
int
dot_composite_verify(const uint8_t *pk, size_t pklen, const uint8_t *msg,
		     size_t mlen, const uint8_t *ctx, size_t ctxlen,
		     const uint8_t *sig, size_t siglen)
{
	uint8_t mp[DOT_COMPOSITE_MP_MAX];
	size_t mplen;

	if (ctxlen > DOT_COMPOSITE_CTX_MAX)
		return DOT_EINVAL;
	if (pklen != DOT_COMPOSITE_PK_LEN)
		return DOT_ECRYPTO_COMPOSITE_PK;
	if (siglen != DOT_COMPOSITE_SIG_LEN)
		return DOT_ECRYPTO_COMPOSITE_SIG;
	mplen = message_rep(mp, msg, mlen, ctx, ctxlen);
	if (dot_mldsa65_verify(pk, MLDSA_PK, mp, mplen, label, sizeof(label),
			       sig, MLDSA_SIG) != DOT_OK)
		return DOT_ECRYPTO_COMPOSITE_SIG;
	if (crypto_sign_ed25519_verify_detached(sig + MLDSA_SIG, mp, mplen,
						pk + MLDSA_PK) != 0)
		return DOT_ECRYPTO_COMPOSITE_SIG;
	return DOT_OK;
}

/* §4.1's lengths, and the Ed25519 key check of docs/crypto.md §7. */
int
dot_composite_pk_check(const uint8_t *pk, size_t pklen)
{
	if (pklen != DOT_COMPOSITE_PK_LEN)
		return DOT_ECRYPTO_COMPOSITE_PK;
	if (crypto_core_ed25519_is_valid_point(pk + MLDSA_PK) != 1)
		return DOT_ECRYPTO_COMPOSITE_PK;
	return DOT_OK;
}
