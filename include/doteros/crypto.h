/*
 * crypto.h - Doteros' small crypto API over libsodium, with the AEAD also over
 * OpenSSL's libcrypto where built (docs/crypto.md).
 *
 * Every key, signature and ciphertext that leaves this module carries a
 * one-byte suite identifier first, so the hybrid post-quantum suites slot in
 * later without a change of format. Encoded forms:
 *
 *   public signing key   suite || key bytes          (Ed25519: 1 + 32)
 *   signature            suite || signature bytes    (Ed25519: 1 + 64)
 *   key-exchange key     suite || key bytes          (X25519: 1 + 32)
 *   sealed box (AEAD)    suite || nonce || ciphertext || tag
 *
 * The module never draws randomness or reads a clock: seeds, nonces and salts
 * are arguments. Secret keys live in sodium_malloc'd memory, zeroed when
 * freed. Call dot_crypto_init() once before anything else.
 */
#ifndef DOTEROS_CRYPTO_H
#define DOTEROS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Suite identifiers (docs/crypto.md §suites). Append only. */
enum dot_suite {
	DOT_SUITE_ED25519 = 0x01,           /* signature, RFC 8032 */
	DOT_SUITE_MLDSA65 = 0x02,           /* reserved: FIPS 204 alone */
	DOT_SUITE_ED25519_MLDSA65 = 0x03,   /* composite ML-DSA-65 + Ed25519 */
	DOT_SUITE_X25519 = 0x11,            /* key exchange, RFC 7748 */
	DOT_SUITE_XWING = 0x12,             /* X25519 + ML-KEM-768 (X-Wing) */
	DOT_SUITE_CHACHA20POLY1305 = 0x21,  /* AEAD, RFC 8439 */
	DOT_SUITE_AES256GCM = 0x22,         /* AEAD, NIST SP 800-38D */
};

#define DOT_HASH_LEN 32         /* BLAKE2b-256 */
#define DOT_SEED_LEN 32         /* every key is derived from a 32-byte seed */
#define DOT_KEY_ID_LEN 8        /* key id: leading bytes of a key's hash */
#define DOT_ED25519_PK_LEN 33   /* suite + 32 */
#define DOT_ED25519_SIG_LEN 65  /* suite + 64 */
#define DOT_X25519_PK_LEN 33    /* suite + 32 */
#define DOT_AEAD_KEY_LEN 32
#define DOT_AEAD_NONCE_LEN 12
#define DOT_AEAD_TAG_LEN 16
/* Room for the largest suite planned (composite Ed25519 + ML-DSA-65). */
#define DOT_SIGN_PK_MAX (1 + 32 + 1952)
#define DOT_SIGN_SIG_MAX (1 + 64 + 3309)
#define DOT_PK_TEXT_MAX 2800    /* "dotpk1" + base64url(pk + checksum) + NUL */

/*
 * sodium_init(); DOT_ECRYPTO_UNAVAILABLE if libsodium cannot start. The
 * first call also chooses the AEAD backend: OpenSSL's libcrypto if the
 * library was built with it and its self-test passes, else libsodium
 * (dot_aead_backend).
 */
DOT_API DOT_MUST int dot_crypto_init(void);

/* A human name ("ed25519") for a suite, or NULL if unknown. */
DOT_API const char *dot_suite_name(int suite);
/* Parse a suite name; DOT_ECRYPTO_SUITE if unknown. */
DOT_API DOT_MUST int dot_suite_parse(const char *name, uint8_t *suite);

/* ---- hashing: BLAKE2b-256 ---- */

struct dot_hash_ctx {
	/* crypto_generichash_state is 384 bytes, 64-byte aligned. */
	_Alignas(64) unsigned char opaque[384];
};

DOT_API void dot_hash(uint8_t out[DOT_HASH_LEN], const void *in, size_t n);
DOT_API void dot_hash_init(struct dot_hash_ctx *h);
DOT_API void dot_hash_update(struct dot_hash_ctx *h, const void *in, size_t n);
DOT_API void dot_hash_final(struct dot_hash_ctx *h, uint8_t out[DOT_HASH_LEN]);
/* SipHash-2-4 of in under a 16-byte key: for hash tables whose inputs an
 * adversary may choose (keyed with a secret, they cannot aim at a bucket). */
#define DOT_SHORTHASH_KEY_LEN 16
DOT_API uint64_t dot_shorthash(const uint8_t key[DOT_SHORTHASH_KEY_LEN],
			       const void *in, size_t n);
/* BLAKE2b with any output length 16..64 and an optional key (0..64 bytes). */
DOT_API DOT_MUST int dot_blake2b(uint8_t *out, size_t outlen, const void *in,
				 size_t n, const uint8_t *key, size_t keylen);

/* ---- hashing: SHA-256 (FIPS 180-4), for interoperable formats only ----
 * RFC 9162 Merkle trees and C2SP signed-note key ids are defined over
 * SHA-256; everything of Doteros' own uses BLAKE2b above. */

#define DOT_SHA256_LEN 32

struct dot_sha256_ctx {
	/* crypto_hash_sha256_state is 104 bytes. */
	_Alignas(8) unsigned char opaque[128];
};

DOT_API void dot_sha256(uint8_t out[DOT_SHA256_LEN], const void *in, size_t n);
DOT_API void dot_sha256_init(struct dot_sha256_ctx *h);
DOT_API void dot_sha256_update(struct dot_sha256_ctx *h, const void *in,
			       size_t n);
/* Writes the digest and zeroes the context. */
DOT_API void dot_sha256_final(struct dot_sha256_ctx *h,
			      uint8_t out[DOT_SHA256_LEN]);

/* ---- the cluster's crypto policy (docs/crypto.md §14) ---- */

/*
 * Chosen at genesis (state-model.md §2.1, key 6) and fixed for the life of
 * the ledger. 0 is `classic`: every signing suite is accepted. Under
 * DOT_POLICY_HYBRID every key and signature of the ledger (account, node
 * and invite keys, token issuers and holders, transactions, node notes)
 * must be the composite suite 0x03, and the channel requires X-Wing.
 * DOT_POLICY_CLASSIC_ATTENUATION (only with HYBRID) lets token holders,
 * so attenuation blocks and the requests of their holders, stay Ed25519
 * (docs/threat-model.md says what that leaves to a quantum attacker).
 */
#define DOT_POLICY_CLASSIC 0x0u
#define DOT_POLICY_HYBRID 0x1u
#define DOT_POLICY_CLASSIC_ATTENUATION 0x2u
#define DOT_POLICY_MASK 0x3u

/* 1 if a key or signature of `suite` may act under `policy`; `holder` is
 * 1 for a token holder's key (and so an attenuation block's signer). */
DOT_API int dot_policy_allows(unsigned policy, uint8_t suite, int holder);
/* "classic", "hybrid" or "hybrid+classic-attenuation"; NULL if invalid. */
DOT_API const char *dot_policy_name(unsigned policy);
/* The inverse of dot_policy_name; DOT_EINVAL if unknown or invalid. */
DOT_API DOT_MUST int dot_policy_parse(const char *name, unsigned *policy);

/* ---- signatures ---- */

struct dot_sign_sk; /* opaque; secret; in guarded memory */

/* Derive a key pair of `suite` from a 32-byte seed. */
DOT_API DOT_MUST int dot_sign_sk_from_seed(struct dot_sign_sk **sk,
					   uint8_t suite,
					   const uint8_t seed[DOT_SEED_LEN]);
DOT_API void dot_sign_sk_free(struct dot_sign_sk *sk); /* zeroes; NULL ok */
DOT_API uint8_t dot_sign_sk_suite(const struct dot_sign_sk *sk);
/* The encoded public key; returns its length (never more than MAX). */
DOT_API size_t dot_sign_sk_public(const struct dot_sign_sk *sk,
				  uint8_t pk[DOT_SIGN_PK_MAX]);
/* Copy the 32-byte seed out (for key files); caller zeroes it. */
DOT_API void dot_sign_sk_seed(const struct dot_sign_sk *sk,
			      uint8_t seed[DOT_SEED_LEN]);

/* Length of an encoded public key / signature of a suite; 0 if unknown. */
DOT_API size_t dot_sign_pk_len(uint8_t suite);
DOT_API size_t dot_sign_sig_len(uint8_t suite);

/* Check an encoded public key: known suite, right length, valid point. */
DOT_API DOT_MUST int dot_sign_pk_check(const uint8_t *pk, size_t n);

/* Sign msg; writes the encoded signature and its length. Deterministic. */
DOT_API DOT_MUST int dot_sign(const struct dot_sign_sk *sk, const void *msg,
			      size_t n, uint8_t sig[DOT_SIGN_SIG_MAX],
			      size_t *siglen);

/*
 * Verify an encoded signature over msg with an encoded public key. The two
 * suites must agree. Ed25519 verification is strict (canonical S, no
 * small-order keys). DOT_OK, DOT_ECRYPTO_SIGNATURE, DOT_ECRYPTO_SUITE or
 * DOT_ECRYPTO_KEY.
 */
DOT_API DOT_MUST int dot_verify(const uint8_t *pk, size_t pklen,
				const void *msg, size_t n, const uint8_t *sig,
				size_t siglen);

/* Key id: the first DOT_KEY_ID_LEN bytes of BLAKE2b-256("dot-keyid" || pk). */
DOT_API void dot_key_id(const uint8_t *pk, size_t pklen,
			uint8_t id[DOT_KEY_ID_LEN]);

/*
 * Public key text form: "dotpk1" + base64url(pk || checksum), where the
 * checksum is the first 4 bytes of BLAKE2b-256("dotpk1" || pk). A mistyped
 * key fails with DOT_ETEXT_CHECKSUM rather than naming another key.
 */
DOT_API DOT_MUST int dot_pk_to_text(const uint8_t *pk, size_t pklen, char *out,
				    size_t cap);
DOT_API DOT_MUST int dot_pk_from_text(const char *text, uint8_t *pk,
				      size_t cap, size_t *pklen);

/* ---- key exchange: X25519 ---- */

/* Derive (secret scalar, encoded public key) from a seed. */
DOT_API DOT_MUST int dot_kx_keypair(uint8_t suite,
				    const uint8_t seed[DOT_SEED_LEN],
				    uint8_t sk[32],
				    uint8_t pk[DOT_X25519_PK_LEN]);
/*
 * The X25519 key of a signing key (RFC 7748 birational map, libsodium's
 * crypto_sign_ed25519_*_to_curve25519): the secure channel's static key of
 * a node or an account is its Ed25519 ledger key in Montgomery form, so
 * the state that names the signing key names the channel key too
 * (docs/decisions/0013). Raw 32-byte outputs, no suite byte.
 * DOT_ECRYPTO_SUITE for a non-Ed25519 key, DOT_ECRYPTO_KEY for a key that
 * does not map.
 */
DOT_API DOT_MUST int dot_sign_pk_to_kx(const uint8_t *pk, size_t pklen,
				       uint8_t out[32]);
DOT_API DOT_MUST int dot_sign_sk_to_kx(const struct dot_sign_sk *sk,
				       uint8_t out[32]);
/* Shared secret; DOT_ECRYPTO_KEY for a low-order peer key (all-zero out). */
DOT_API DOT_MUST int dot_kx(const uint8_t sk[32], const uint8_t *peer_pk,
			    size_t peer_len, uint8_t shared[32]);

/* ---- AEAD ---- */

/* 1 if the suite can run here (AES-256-GCM needs AES-NI and PCLMUL). */
DOT_API int dot_aead_available(uint8_t suite);
/* ChaCha20-Poly1305 unless AES-256-GCM is accelerated here. */
DOT_API uint8_t dot_aead_preferred(void);

/*
 * Raw AEAD: out = ciphertext || tag (n + 16 bytes). DOT_ERANGE beyond the
 * suite's bound (2^38 - 64 bytes for ChaCha20-Poly1305, 2^36 - 32 for
 * AES-256-GCM); DOT_ENOMEM or DOT_ECRYPTO_UNAVAILABLE if OpenSSL fails
 * (out is then zeroed).
 */
DOT_API DOT_MUST int dot_aead_encrypt(uint8_t suite,
				      const uint8_t key[DOT_AEAD_KEY_LEN],
				      const uint8_t nonce[DOT_AEAD_NONCE_LEN],
				      const void *ad, size_t adlen,
				      const void *pt, size_t n, uint8_t *out);
/* Raw AEAD open: out = plaintext (n - 16 bytes). DOT_ECRYPTO_DECRYPT,
 * with out zeroed, for a wrong key, nonce, AD or any tampered byte. */
DOT_API DOT_MUST int dot_aead_decrypt(uint8_t suite,
				      const uint8_t key[DOT_AEAD_KEY_LEN],
				      const uint8_t nonce[DOT_AEAD_NONCE_LEN],
				      const void *ad, size_t adlen,
				      const uint8_t *ct, size_t n, uint8_t *out);

/*
 * AEAD backends (docs/crypto.md §2.1). dot_aead_encrypt/decrypt run on
 * OpenSSL 3's libcrypto (EVP) when the library was built with it and its
 * self-test passed in dot_crypto_init, else on libsodium; both give the
 * same bytes. AES-256-GCM is available on the same CPUs either way.
 */
#define DOT_AEAD_BACKEND_SODIUM 1
#define DOT_AEAD_BACKEND_OPENSSL 2

/* "openssl" or "libsodium": what dot_aead_encrypt/decrypt use. */
DOT_API const char *dot_aead_backend(void);

/*
 * For tests and benchmarks: dot_aead_encrypt/decrypt through one backend,
 * with the same checks and results. DOT_EINVAL for an unknown backend,
 * DOT_ECRYPTO_UNAVAILABLE for one not built into this library.
 */
DOT_API DOT_MUST int dot_aead_encrypt_with(
	int backend, uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
	const uint8_t nonce[DOT_AEAD_NONCE_LEN], const void *ad, size_t adlen,
	const void *pt, size_t n, uint8_t *out);
DOT_API DOT_MUST int dot_aead_decrypt_with(
	int backend, uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
	const uint8_t nonce[DOT_AEAD_NONCE_LEN], const void *ad, size_t adlen,
	const uint8_t *ct, size_t n, uint8_t *out);

/* Sealed box: appends suite || nonce || ciphertext || tag to out. */
DOT_API DOT_MUST int dot_aead_seal(uint8_t suite,
				   const uint8_t key[DOT_AEAD_KEY_LEN],
				   const uint8_t nonce[DOT_AEAD_NONCE_LEN],
				   const void *ad, size_t adlen, const void *pt,
				   size_t n, struct dot_buf *out);
/* Open a sealed box into out (n - 29 bytes); suite from the box. */
DOT_API DOT_MUST int dot_aead_open(const uint8_t key[DOT_AEAD_KEY_LEN],
				   const void *ad, size_t adlen,
				   const uint8_t *box, size_t n, uint8_t *out,
				   size_t *outlen);

/* ---- password hashing: Argon2id (RFC 9106) ---- */

#define DOT_KDF_SALT_LEN 16

/* opslimit/memlimit as libsodium's crypto_pwhash (memlimit in bytes). */
DOT_API DOT_MUST int dot_kdf_argon2id(uint8_t *out, size_t outlen,
				      const char *pass, size_t passlen,
				      const uint8_t salt[DOT_KDF_SALT_LEN],
				      uint64_t opslimit, size_t memlimit);

/* ---- key files (docs/key-file.md) ---- */

/* Interactive-class default: 3 passes over 64 MiB. */
#define DOT_KEYFILE_OPS_DEFAULT 3
#define DOT_KEYFILE_MEM_DEFAULT (64u << 20)

/*
 * Seal a signing key into the text form "dotsk1" + base64url(CBOR) (one
 * line, no newline): the seed encrypted with AEAD under an Argon2id key of
 * the passphrase, the public key in clear. Salt and nonce come from the
 * caller's random source.
 */
DOT_API DOT_MUST int dot_keyfile_seal(const struct dot_sign_sk *sk,
				      const char *pass, size_t passlen,
				      const uint8_t salt[DOT_KDF_SALT_LEN],
				      const uint8_t nonce[DOT_AEAD_NONCE_LEN],
				      uint64_t opslimit, size_t memlimit,
				      struct dot_buf *out);
/* Open a key file text; DOT_ECRYPTO_PASSPHRASE on a wrong passphrase. */
DOT_API DOT_MUST int dot_keyfile_open(const char *text, size_t n,
				      const char *pass, size_t passlen,
				      struct dot_sign_sk **sk,
				      struct dot_err *e);
/* The public key of a key file, without the passphrase. */
DOT_API DOT_MUST int dot_keyfile_public(const char *text, size_t n,
					uint8_t pk[DOT_SIGN_PK_MAX],
					size_t *pklen, struct dot_err *e);

/*
 * X-Wing key files (docs/key-file.md §7): the same format, field 2 being
 * DOT_SUITE_XWING || the 1216-byte X-Wing public key and field 4 the
 * 32-byte X-Wing decapsulation key (its seed, xwing.h). A key file is of
 * one kind: dot_keyfile_open and dot_keyfile_public take signing keys
 * only, the _xwing functions X-Wing keys only, and each refuses a well-
 * formed file of the other kind with DOT_ECRYPTO_SUITE and a sentence
 * naming what it holds. dot_keyfile_public_any takes either (to list
 * keys); pk[0] tells the kind.
 */
#define DOT_KEYFILE_PK_MAX DOT_SIGN_PK_MAX /* also 0x12 || X-Wing (1217) */
DOT_API DOT_MUST int dot_keyfile_seal_xwing(
	const uint8_t sk[DOT_SEED_LEN], const char *pass, size_t passlen,
	const uint8_t salt[DOT_KDF_SALT_LEN],
	const uint8_t nonce[DOT_AEAD_NONCE_LEN], uint64_t opslimit,
	size_t memlimit, struct dot_buf *out);
/* Writes the 32-byte X-Wing sk (zeroed on failure; the caller's buffer,
 * best in guarded memory, which the caller zeroes). */
DOT_API DOT_MUST int dot_keyfile_open_xwing(const char *text, size_t n,
					    const char *pass, size_t passlen,
					    uint8_t sk[DOT_SEED_LEN],
					    struct dot_err *e);
DOT_API DOT_MUST int dot_keyfile_public_any(const char *text, size_t n,
					    uint8_t pk[DOT_KEYFILE_PK_MAX],
					    size_t *pklen,
					    struct dot_err *e);

/*
 * A node's key file, DIR/node.seed (docs/key-file.md §8): unencrypted,
 * mode 0600. 32 bytes: the seed of an Ed25519 key (every file made before
 * composite node keys), or 33 bytes: DOT_SUITE_ED25519_MLDSA65 then the
 * seed of a composite key (crypto.md §13.6). Anything else is refused
 * with DOT_ECRYPTO_KEY (a length) or DOT_ECRYPTO_SUITE (another suite).
 */
#define DOT_NODE_SEED_MAX (1 + DOT_SEED_LEN)
/* The file's bytes for suite and seed into out; returns their length (0:
 * a suite a node key cannot have). */
DOT_API size_t dot_node_seed_encode(uint8_t suite,
				    const uint8_t seed[DOT_SEED_LEN],
				    uint8_t out[DOT_NODE_SEED_MAX]);
DOT_API DOT_MUST int dot_node_seed_open(const uint8_t *b, size_t n,
					struct dot_sign_sk **sk);

#endif
