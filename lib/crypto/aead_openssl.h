/*
 * aead_openssl.h - internal: the OpenSSL 3 libcrypto (EVP) AEAD backend of
 * lib/crypto (docs/crypto.md §2.1). Not part of the public API; crypto.c
 * dispatches dot_aead_encrypt/decrypt here when the backend was built
 * (DOT_HAVE_OPENSSL) and its self-test passed.
 *
 * The callers (crypto.c) have already checked the suite, its availability on
 * this CPU and the length bounds; these functions only check what EVP needs.
 */
#ifndef DOT_CRYPTO_AEAD_OPENSSL_H
#define DOT_CRYPTO_AEAD_OPENSSL_H

#include <stddef.h>
#include <stdint.h>

#include "doteros/crypto.h"

#ifdef DOT_HAVE_OPENSSL

/* out = ciphertext || tag (n + 16 bytes). DOT_OK, DOT_ECRYPTO_SUITE, or
 * DOT_ECRYPTO_UNAVAILABLE if OpenSSL fails (out is then zeroed). */
int dot_aead_openssl_encrypt(uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
			     const uint8_t nonce[DOT_AEAD_NONCE_LEN],
			     const void *ad, size_t adlen, const void *pt,
			     size_t n, uint8_t *out);
/* out = plaintext (n - 16 bytes, n >= 16). DOT_ECRYPTO_DECRYPT on any
 * failure, with out zeroed: no unauthenticated plaintext is released. */
int dot_aead_openssl_decrypt(uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
			     const uint8_t nonce[DOT_AEAD_NONCE_LEN],
			     const void *ad, size_t adlen, const uint8_t *ct,
			     size_t n, uint8_t *out);
/* Known answers (RFC 8439 §2.8.2; GCM spec Test Case 16) and refusals of a
 * tampered tag, run through this backend: DOT_OK or
 * DOT_ECRYPTO_UNAVAILABLE. */
int dot_aead_openssl_selftest(void);

#endif
#endif
