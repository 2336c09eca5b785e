/*
 * xwing.h - X-Wing, the hybrid post-quantum KEM X25519 + ML-KEM-768 of
 * draft-connolly-cfrg-xwing-kem-10 (docs/crypto.md §12).
 *
 * Byte strings are exactly the draft's (§5.1), with no suite byte:
 *
 *   sk   32 bytes    the decapsulation key, a seed; expanded on every use
 *                    with SHAKE256 into ML-KEM's (d, z) and X25519's sk_X
 *                    (§5.2). The expanded form is never an input or output
 *                    here (§5.5.1: it must not be transmitted).
 *   pk   1216 bytes  pk_M (ML-KEM-768 ek, 1184) || pk_X (X25519, 32)
 *   ct   1120 bytes  ct_M (ML-KEM-768 ciphertext, 1088) || ct_X (32)
 *   ss   32 bytes    SHA3-256(ss_M || ss_X || ct_X || pk_X || "\./" "/^\")
 *
 * Randomness is always the caller's: the 32 bytes of a new key pair and
 * the 64-byte eseed of an encapsulation come in as arguments (the draft's
 * GenerateKeyPair is GenerateKeyPairDerand(random(32)), §5.2.1, and its
 * Encapsulate is EncapsulateDerand(pk, random(64)), §5.4.1). Nothing here
 * draws randomness or allocates.
 *
 * Input checks (§4 and §5.4 make the FIPS 203 §7.2 check of pk_M a MUST):
 *
 *   pk   length 1216 and every 12-bit value of pk_M below q:
 *        else DOT_ECRYPTO_XWING_PK
 *   ct   length 1120: else DOT_ECRYPTO_XWING_CT
 *   sk   length 32: else DOT_ECRYPTO_XWING_SK
 *
 * A ciphertext of the right length never fails to decapsulate: a tampered
 * ct_M gives ML-KEM's implicit-rejection key, a tampered ct_X another
 * X25519 output, and so a different ss, with no error. X25519 is RFC 7748's
 * function with no all-zero check, as the draft uses it (§4): a low-order
 * pk_X or ct_X gives ss_X = 32 zero bytes, which goes into the combiner like
 * any other value (docs/crypto.md §12.1). On failure every output is
 * zeroed. Secret-dependent code has no secret-dependent branch or memory
 * index, and every temporary holding a secret is zeroed before return; the
 * caller zeroes sk and ss when done with them.
 */
#ifndef DOTEROS_XWING_H
#define DOTEROS_XWING_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DOT_XWING_SK_LEN 32
#define DOT_XWING_PK_LEN 1216    /* 1184 + 32 */
#define DOT_XWING_CT_LEN 1120    /* 1088 + 32 */
#define DOT_XWING_SS_LEN 32
#define DOT_XWING_ESEED_LEN 64   /* m (32) || ek_X (32) */

/*
 * §5.2.1 GenerateKeyPairDerand(sk): the public key of the 32-byte
 * decapsulation key sk (which is its own seed). Deterministic; cannot fail.
 */
DOT_API void dot_xwing_keypair_derand(uint8_t pk[DOT_XWING_PK_LEN],
				      const uint8_t sk[DOT_XWING_SK_LEN]);

/*
 * §5.2 GenerateKeyPair with the caller's random(32) as rnd: sk = rnd and
 * pk = its public key. rnd must be 32 fresh bytes from a CSPRNG.
 */
DOT_API void dot_xwing_keypair(uint8_t sk[DOT_XWING_SK_LEN],
			       uint8_t pk[DOT_XWING_PK_LEN],
			       const uint8_t rnd[DOT_XWING_SK_LEN]);

/* The public key of an sk that comes from elsewhere (a key file):
 * DOT_ECRYPTO_XWING_SK, with pk zeroed, unless n is DOT_XWING_SK_LEN. */
DOT_API DOT_MUST int dot_xwing_sk_to_pk(uint8_t pk[DOT_XWING_PK_LEN],
					const uint8_t *sk, size_t n);

/* The check of a public key that comes from elsewhere: length, and
 * FIPS 203 §7.2 on pk_M. DOT_OK or DOT_ECRYPTO_XWING_PK. */
DOT_API DOT_MUST int dot_xwing_pk_check(const uint8_t *pk, size_t n);

/*
 * §5.4.1 EncapsulateDerand(pk, eseed), after dot_xwing_pk_check:
 * m = eseed[0:32] for ML-KEM, ek_X = eseed[32:64] for X25519. eseed must be
 * 64 fresh bytes from a CSPRNG (§5.4: EncapsulateDerand(pk, random(64))).
 * DOT_ECRYPTO_XWING_PK, with ct and ss zeroed, for a pk the check refuses.
 */
DOT_API DOT_MUST int dot_xwing_encaps_derand(
	uint8_t ct[DOT_XWING_CT_LEN], uint8_t ss[DOT_XWING_SS_LEN],
	const uint8_t *pk, size_t pklen,
	const uint8_t eseed[DOT_XWING_ESEED_LEN]);

/*
 * §5.5 Decapsulate(ct, sk). DOT_ECRYPTO_XWING_CT (checked first) or
 * DOT_ECRYPTO_XWING_SK for a wrong length, with ss zeroed; otherwise
 * DOT_OK, also for a ciphertext that was not made for this key (implicit
 * rejection: ss is then a value unrelated to any encapsulation).
 */
DOT_API DOT_MUST int dot_xwing_decaps(uint8_t ss[DOT_XWING_SS_LEN],
				      const uint8_t *ct, size_t ctlen,
				      const uint8_t *sk, size_t sklen);

#endif
