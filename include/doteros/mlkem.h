/*
 * mlkem.h - ML-KEM-768, the module-lattice key-encapsulation mechanism of
 * FIPS 203 (docs/crypto.md §10).
 *
 * Byte strings are exactly FIPS 203's: the encapsulation key ek, the
 * decapsulation key dk = dk_PKE || ek || H(ek) || z, the ciphertext c and
 * the 32-byte shared secret K. No suite byte: these are the raw parts that
 * the X-Wing hybrid and the channel build on.
 *
 * Randomness is an argument of the *_derand functions (d and z for key
 * generation, m for encapsulation; FIPS 203 Algorithms 16 and 17), so
 * known-answer tests reproduce exactly. dot_mlkem768_keypair and
 * dot_mlkem768_encaps draw them with libsodium's randombytes_buf, as
 * FIPS 203 Algorithms 19 and 20 do with their RBG; call dot_crypto_init
 * first. Inputs that come from elsewhere are checked as FIPS 203 §7.2 and
 * §7.3 require before use:
 *
 *   ek   length 1184, and ByteEncode12(ByteDecode12(ek)) == ek (every
 *        coefficient < q): else DOT_ECRYPTO_MLKEM_EK
 *   dk   length 2400, and H(ek inside dk) == the hash inside dk:
 *        else DOT_ECRYPTO_MLKEM_DK
 *   c    length 1088: else DOT_ECRYPTO_MLKEM_CT
 *
 * A ciphertext of the right length never fails to decapsulate: a wrong or
 * tampered one gives the implicit-rejection key J(z || c) (FIPS 203
 * Algorithm 18), chosen in constant time. Secret-dependent code has no
 * secret-dependent branch, memory index or division; temporaries holding
 * secrets are zeroed before return. The caller owns ek, dk and the shared
 * secret and must zero dk and the secret when done with them.
 */
#ifndef DOTEROS_MLKEM_H
#define DOTEROS_MLKEM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DOT_MLKEM768_EK_LEN 1184  /* 384 k + 32 */
#define DOT_MLKEM768_DK_LEN 2400  /* 768 k + 96 */
#define DOT_MLKEM768_CT_LEN 1088  /* 32 (du k + dv) */
#define DOT_MLKEM768_SS_LEN 32
#define DOT_MLKEM_RAND_LEN 32     /* each of d, z and m */
#define DOT_MLKEM_SEED_LEN 64     /* the seed form of a key: d || z */

/*
 * FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal(d, z): the key pair of the
 * two 32-byte seeds. Deterministic; cannot fail.
 */
DOT_API void dot_mlkem768_keypair_derand(uint8_t ek[DOT_MLKEM768_EK_LEN],
					 uint8_t dk[DOT_MLKEM768_DK_LEN],
					 const uint8_t d[DOT_MLKEM_RAND_LEN],
					 const uint8_t z[DOT_MLKEM_RAND_LEN]);
/* The same from the 64-byte seed form d || z; DOT_ECRYPTO_KEY (ek and dk
 * zeroed) unless n is DOT_MLKEM_SEED_LEN. */
DOT_API DOT_MUST int dot_mlkem768_keypair_seed(uint8_t ek[DOT_MLKEM768_EK_LEN],
					       uint8_t dk[DOT_MLKEM768_DK_LEN],
					       const uint8_t *seed, size_t n);
/* FIPS 203 Algorithm 19, ML-KEM.KeyGen: d and z from randombytes_buf. */
DOT_API void dot_mlkem768_keypair(uint8_t ek[DOT_MLKEM768_EK_LEN],
				  uint8_t dk[DOT_MLKEM768_DK_LEN]);

/*
 * FIPS 203 Algorithm 17, ML-KEM.Encaps_internal(ek, m), after the §7.2
 * checks of ek: ciphertext and shared secret. DOT_ECRYPTO_MLKEM_EK, with
 * ct and ss zeroed, for an ek that fails them.
 */
DOT_API DOT_MUST int dot_mlkem768_encaps_derand(
	uint8_t ct[DOT_MLKEM768_CT_LEN], uint8_t ss[DOT_MLKEM768_SS_LEN],
	const uint8_t *ek, size_t eklen, const uint8_t m[DOT_MLKEM_RAND_LEN]);
/* FIPS 203 Algorithm 20, ML-KEM.Encaps: m from randombytes_buf. */
DOT_API DOT_MUST int dot_mlkem768_encaps(uint8_t ct[DOT_MLKEM768_CT_LEN],
					 uint8_t ss[DOT_MLKEM768_SS_LEN],
					 const uint8_t *ek, size_t eklen);

/*
 * FIPS 203 Algorithm 21, ML-KEM.Decaps: the §7.3 checks of c and dk, then
 * Algorithm 18, Decaps_internal. DOT_ECRYPTO_MLKEM_CT or
 * DOT_ECRYPTO_MLKEM_DK, with ss zeroed, when a check fails; otherwise
 * DOT_OK, with the implicit-rejection key for a ciphertext that does not
 * re-encrypt to itself.
 */
DOT_API DOT_MUST int dot_mlkem768_decaps(uint8_t ss[DOT_MLKEM768_SS_LEN],
					 const uint8_t *ct, size_t ctlen,
					 const uint8_t *dk, size_t dklen);

/* The §7.2 (ek) and §7.3 (dk) input checks alone, for keys that arrive
 * from elsewhere: DOT_OK, DOT_ECRYPTO_MLKEM_EK or DOT_ECRYPTO_MLKEM_DK. */
DOT_API DOT_MUST int dot_mlkem768_ek_check(const uint8_t *ek, size_t n);
DOT_API DOT_MUST int dot_mlkem768_dk_check(const uint8_t *dk, size_t n);

#endif
