/*
 * crypto.c - libsodium behind Doteros' suite-tagged API (crypto.h); the
 * AEAD also through OpenSSL's libcrypto where built (aead_openssl.c).
 */
#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "aead_openssl.h"
#include "doteros/composite.h"
#include "doteros/crypto.h"
#include "doteros/heap.h"

/*
 * A signing key. Ed25519: sk and pk are libsodium's. The composite
 * ML-DSA-65 + Ed25519 (suite 0x03, docs/crypto.md §13.6): csk is the
 * composite private key (ξ || Ed25519 seed, each derived from the one
 * 32-byte seed), cpk its public key (ML-DSA-65 pk || Ed25519 pk), and sk/pk
 * the Ed25519 half's, for the channel key (dot_sign_sk_to_kx).
 */
struct dot_sign_sk {
	uint8_t suite;
	uint8_t seed[DOT_SEED_LEN];
	uint8_t sk[crypto_sign_ed25519_SECRETKEYBYTES];
	uint8_t pk[crypto_sign_ed25519_PUBLICKEYBYTES];
	uint8_t csk[DOT_COMPOSITE_SK_LEN];
	uint8_t cpk[DOT_COMPOSITE_PK_LEN];
};

#define COMPOSITE_PK_LEN (1 + DOT_COMPOSITE_PK_LEN)   /* 1985 */
#define COMPOSITE_SIG_LEN (1 + DOT_COMPOSITE_SIG_LEN) /* 3374 */
_Static_assert(COMPOSITE_PK_LEN <= DOT_SIGN_PK_MAX, "pk room");
_Static_assert(COMPOSITE_SIG_LEN <= DOT_SIGN_SIG_MAX, "sig room");

/*
 * The backend of dot_aead_encrypt/decrypt: 0 until dot_crypto_init has
 * chosen (libsodium meanwhile), then DOT_AEAD_BACKEND_OPENSSL if it was
 * built and passed its self-test, else DOT_AEAD_BACKEND_SODIUM.
 */
static atomic_int aead_backend;

int
dot_crypto_init(void)
{
	int b = DOT_AEAD_BACKEND_SODIUM;

	if (sodium_init() < 0)
		return DOT_ECRYPTO_UNAVAILABLE;
	if (atomic_load(&aead_backend) != 0)
		return DOT_OK;
#ifdef DOT_HAVE_OPENSSL
	if (dot_aead_openssl_selftest() == DOT_OK)
		b = DOT_AEAD_BACKEND_OPENSSL;
#endif
	atomic_store(&aead_backend, b);
	return DOT_OK;
}

static const struct {
	uint8_t suite;
	const char *name;
} suites[] = {
	{DOT_SUITE_ED25519, "ed25519"},
	{DOT_SUITE_MLDSA65, "ml-dsa-65"},
	{DOT_SUITE_ED25519_MLDSA65, "ed25519+ml-dsa-65"},
	{DOT_SUITE_X25519, "x25519"},
	{DOT_SUITE_XWING, "x-wing"},
	{DOT_SUITE_CHACHA20POLY1305, "chacha20-poly1305"},
	{DOT_SUITE_AES256GCM, "aes-256-gcm"},
};

const char *
dot_suite_name(int suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].suite == suite)
			return suites[i].name;
	return NULL;
}

int
dot_suite_parse(const char *name, uint8_t *suite)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (strcmp(suites[i].name, name) == 0) {
			*suite = suites[i].suite;
			return DOT_OK;
		}
	return DOT_ECRYPTO_SUITE;
}

/* ---- crypto policy (docs/crypto.md §14) ---- */

int
dot_policy_allows(unsigned policy, uint8_t suite, int holder)
{
	if (dot_sign_pk_len(suite) == 0)
		return 0;
	if (!(policy & DOT_POLICY_HYBRID))
		return 1;
	if (suite == DOT_SUITE_ED25519_MLDSA65)
		return 1;
	return holder && (policy & DOT_POLICY_CLASSIC_ATTENUATION) &&
	       suite == DOT_SUITE_ED25519;
}

static const struct {
	unsigned policy;
	const char *name;
} policies[] = {
	{DOT_POLICY_CLASSIC, "classic"},
	{DOT_POLICY_HYBRID, "hybrid"},
	{DOT_POLICY_HYBRID | DOT_POLICY_CLASSIC_ATTENUATION,
	 "hybrid+classic-attenuation"},
};

const char *
dot_policy_name(unsigned policy)
{
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (policies[i].policy == policy)
			return policies[i].name;
	return NULL;
}

int
dot_policy_parse(const char *name, unsigned *policy)
{
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policies[i].name, name) == 0) {
			*policy = policies[i].policy;
			return DOT_OK;
		}
	return DOT_EINVAL;
}

/* ---- hashing ---- */

_Static_assert(sizeof(crypto_generichash_state) <=
		       sizeof(((struct dot_hash_ctx *)0)->opaque),
	       "hash state fits");

void
dot_hash(uint8_t out[DOT_HASH_LEN], const void *in, size_t n)
{
	crypto_generichash(out, DOT_HASH_LEN, in, n, NULL, 0);
}

void
dot_hash_init(struct dot_hash_ctx *h)
{
	crypto_generichash_init((crypto_generichash_state *)h->opaque, NULL, 0,
				DOT_HASH_LEN);
}

void
dot_hash_update(struct dot_hash_ctx *h, const void *in, size_t n)
{
	crypto_generichash_update((crypto_generichash_state *)h->opaque, in, n);
}

void
dot_hash_final(struct dot_hash_ctx *h, uint8_t out[DOT_HASH_LEN])
{
	crypto_generichash_final((crypto_generichash_state *)h->opaque, out,
				 DOT_HASH_LEN);
	sodium_memzero(h, sizeof(*h));
}

int
dot_blake2b(uint8_t *out, size_t outlen, const void *in, size_t n,
	    const uint8_t *key, size_t keylen)
{
	if (outlen < crypto_generichash_BYTES_MIN ||
	    outlen > crypto_generichash_BYTES_MAX ||
	    keylen > crypto_generichash_KEYBYTES_MAX)
		return DOT_EINVAL;
	if (crypto_generichash(out, outlen, in, n, keylen ? key : NULL,
			       keylen) != 0)
		return DOT_EINVAL;
	return DOT_OK;
}

uint64_t
dot_shorthash(const uint8_t key[DOT_SHORTHASH_KEY_LEN], const void *in,
	      size_t n)
{
	unsigned char h[crypto_shorthash_siphash24_BYTES];
	uint64_t v = 0;

	crypto_shorthash_siphash24(h, in, n, key);
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)h[i] << (8 * i);
	return v;
}

/* ---- SHA-256 ---- */

_Static_assert(sizeof(crypto_hash_sha256_state) <=
		       sizeof(((struct dot_sha256_ctx *)0)->opaque),
	       "sha256 state fits");

void
dot_sha256(uint8_t out[DOT_SHA256_LEN], const void *in, size_t n)
{
	crypto_hash_sha256(out, in, n);
}

void
dot_sha256_init(struct dot_sha256_ctx *h)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)h->opaque);
}

void
dot_sha256_update(struct dot_sha256_ctx *h, const void *in, size_t n)
{
	crypto_hash_sha256_update((crypto_hash_sha256_state *)h->opaque, in,
				  n);
}

void
dot_sha256_final(struct dot_sha256_ctx *h, uint8_t out[DOT_SHA256_LEN])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)h->opaque, out);
	sodium_memzero(h, sizeof(*h));
}

/* ---- signatures ---- */

size_t
dot_sign_pk_len(uint8_t suite)
{
	return suite == DOT_SUITE_ED25519	  ? DOT_ED25519_PK_LEN
	       : suite == DOT_SUITE_ED25519_MLDSA65 ? COMPOSITE_PK_LEN
						     : 0;
}

size_t
dot_sign_sig_len(uint8_t suite)
{
	return suite == DOT_SUITE_ED25519	  ? DOT_ED25519_SIG_LEN
	       : suite == DOT_SUITE_ED25519_MLDSA65 ? COMPOSITE_SIG_LEN
						     : 0;
}

/*
 * The composite key's two component seeds from the one 32-byte seed
 * (docs/crypto.md §13.6): BLAKE2b-256 keyed with the seed, over a label
 * for each component, so a key file keeps one seed for either suite and
 * the halves share no secret material.
 */
static void
composite_seeds(const uint8_t seed[DOT_SEED_LEN],
		uint8_t xi[DOT_COMPOSITE_SEED_LEN],
		uint8_t ed[DOT_COMPOSITE_SEED_LEN])
{
	static const char lx[] = "dot-composite/1 ml-dsa-65 xi";
	static const char le[] = "dot-composite/1 ed25519 seed";

	crypto_generichash(xi, DOT_COMPOSITE_SEED_LEN,
			   (const unsigned char *)lx, sizeof(lx) - 1, seed,
			   DOT_SEED_LEN);
	crypto_generichash(ed, DOT_COMPOSITE_SEED_LEN,
			   (const unsigned char *)le, sizeof(le) - 1, seed,
			   DOT_SEED_LEN);
}

int
dot_sign_sk_from_seed(struct dot_sign_sk **out, uint8_t suite,
		      const uint8_t seed[DOT_SEED_LEN])
{
	struct dot_sign_sk *sk;

	*out = NULL;
	if (suite != DOT_SUITE_ED25519 && suite != DOT_SUITE_ED25519_MLDSA65)
		return DOT_ECRYPTO_SUITE;
	sk = sodium_malloc(sizeof(*sk));
	if (sk == NULL)
		return DOT_ENOMEM;
	memset(sk, 0, sizeof(*sk));
	sk->suite = suite;
	memcpy(sk->seed, seed, DOT_SEED_LEN);
	if (suite == DOT_SUITE_ED25519) {
		crypto_sign_ed25519_seed_keypair(sk->pk, sk->sk, seed);
	} else {
		uint8_t xi[DOT_COMPOSITE_SEED_LEN], ed[DOT_COMPOSITE_SEED_LEN];
		int rv;

		composite_seeds(seed, xi, ed);
		rv = dot_composite_keypair(sk->cpk, sk->csk, xi, ed);
		if (rv == DOT_OK)
			crypto_sign_ed25519_seed_keypair(sk->pk, sk->sk, ed);
		sodium_memzero(xi, sizeof(xi));
		sodium_memzero(ed, sizeof(ed));
		if (rv != DOT_OK) {
			sodium_free(sk);
			return rv;
		}
	}
	sodium_mprotect_readonly(sk);
	*out = sk;
	return DOT_OK;
}

void
dot_sign_sk_free(struct dot_sign_sk *sk)
{
	if (sk != NULL)
		sodium_free(sk); /* zeroes before unmapping */
}

uint8_t
dot_sign_sk_suite(const struct dot_sign_sk *sk)
{
	return sk->suite;
}

size_t
dot_sign_sk_public(const struct dot_sign_sk *sk, uint8_t pk[DOT_SIGN_PK_MAX])
{
	pk[0] = sk->suite;
	if (sk->suite == DOT_SUITE_ED25519_MLDSA65) {
		memcpy(pk + 1, sk->cpk, sizeof(sk->cpk));
		return COMPOSITE_PK_LEN;
	}
	memcpy(pk + 1, sk->pk, sizeof(sk->pk));
	return DOT_ED25519_PK_LEN;
}

void
dot_sign_sk_seed(const struct dot_sign_sk *sk, uint8_t seed[DOT_SEED_LEN])
{
	memcpy(seed, sk->seed, DOT_SEED_LEN);
}

int
dot_sign_pk_check(const uint8_t *pk, size_t n)
{
	if (n >= 1 && pk[0] == DOT_SUITE_ED25519_MLDSA65) {
		if (n != COMPOSITE_PK_LEN ||
		    dot_composite_pk_check(pk + 1, n - 1) != DOT_OK)
			return DOT_ECRYPTO_KEY;
		return DOT_OK;
	}
	if (n < 1 || pk[0] != DOT_SUITE_ED25519)
		return DOT_ECRYPTO_SUITE;
	if (n != DOT_ED25519_PK_LEN)
		return DOT_ECRYPTO_KEY;
	/* A key on the curve, in the main subgroup, not of small order. */
	if (!crypto_core_ed25519_is_valid_point(pk + 1))
		return DOT_ECRYPTO_KEY;
	return DOT_OK;
}

int
dot_sign(const struct dot_sign_sk *sk, const void *msg, size_t n,
	 uint8_t sig[DOT_SIGN_SIG_MAX], size_t *siglen)
{
	if (sk->suite == DOT_SUITE_ED25519_MLDSA65) {
		/* deterministic, as the API promises: rnd of zeros (FIPS 204's
		 * deterministic variant for the ML-DSA half); no context */
		static const uint8_t zero[DOT_COMPOSITE_RND_LEN];
		int rv;

		sig[0] = sk->suite;
		rv = dot_composite_sign_derand(sig + 1, msg, n, NULL, 0,
					       sk->csk, sizeof(sk->csk), zero);
		if (rv != DOT_OK)
			return rv;
		*siglen = COMPOSITE_SIG_LEN;
		return DOT_OK;
	}
	if (sk->suite != DOT_SUITE_ED25519)
		return DOT_ECRYPTO_SUITE;
	sig[0] = sk->suite;
	crypto_sign_ed25519_detached(sig + 1, NULL, msg, n, sk->sk);
	*siglen = DOT_ED25519_SIG_LEN;
	return DOT_OK;
}

int
dot_verify(const uint8_t *pk, size_t pklen, const void *msg, size_t n,
	   const uint8_t *sig, size_t siglen)
{
	if (pklen < 1 || siglen < 1 ||
	    (pk[0] != DOT_SUITE_ED25519 && pk[0] != DOT_SUITE_ED25519_MLDSA65))
		return DOT_ECRYPTO_SUITE;
	if (sig[0] != pk[0])
		return DOT_ECRYPTO_SUITE;
	if (pk[0] == DOT_SUITE_ED25519_MLDSA65) {
		/* both halves must verify (draft-ietf-lamps-pq-composite-sigs) */
		if (pklen != COMPOSITE_PK_LEN)
			return DOT_ECRYPTO_KEY;
		if (siglen != COMPOSITE_SIG_LEN)
			return DOT_ECRYPTO_SIGNATURE;
		/*
		 * As for an Ed25519 key: the subgroup check of the Ed25519
		 * half (dot_composite_pk_check, 34 µs) is made where a key
		 * enters (dot_sign_pk_check: the state, a token's parse), not
		 * on every verification; libsodium's verify still refuses a
		 * small-order or non-canonical half (§7).
		 */
		if (dot_composite_verify(pk + 1, pklen - 1, msg, n, NULL, 0,
					 sig + 1, siglen - 1) != DOT_OK)
			return DOT_ECRYPTO_SIGNATURE;
		return DOT_OK;
	}
	if (pklen != DOT_ED25519_PK_LEN)
		return DOT_ECRYPTO_KEY;
	if (siglen != DOT_ED25519_SIG_LEN)
		return DOT_ECRYPTO_SIGNATURE;
	/*
	 * libsodium 1.0.18 refuses non-canonical S, small-order R and A, and
	 * non-canonical A; it is compiled without ED25519_COMPAT.
	 */
	if (crypto_sign_ed25519_verify_detached(sig + 1, msg, n, pk + 1) != 0)
		return DOT_ECRYPTO_SIGNATURE;
	return DOT_OK;
}

void
dot_key_id(const uint8_t *pk, size_t pklen, uint8_t id[DOT_KEY_ID_LEN])
{
	static const char dom[] = "dot-keyid";
	struct dot_hash_ctx h;
	uint8_t full[DOT_HASH_LEN];

	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, pk, pklen);
	dot_hash_final(&h, full);
	memcpy(id, full, DOT_KEY_ID_LEN);
}

static const char pk_prefix[] = "dotpk1";
#define PK_CHECK_LEN 4

static void
pk_checksum(const uint8_t *pk, size_t pklen, uint8_t sum[PK_CHECK_LEN])
{
	struct dot_hash_ctx h;
	uint8_t full[DOT_HASH_LEN];

	dot_hash_init(&h);
	dot_hash_update(&h, pk_prefix, sizeof(pk_prefix) - 1);
	dot_hash_update(&h, pk, pklen);
	dot_hash_final(&h, full);
	memcpy(sum, full, PK_CHECK_LEN);
}

int
dot_pk_to_text(const uint8_t *pk, size_t pklen, char *out, size_t cap)
{
	uint8_t tmp[DOT_SIGN_PK_MAX + PK_CHECK_LEN];
	size_t plen = sizeof(pk_prefix) - 1;

	if (pklen == 0 || pklen > DOT_SIGN_PK_MAX)
		return DOT_EINVAL;
	if (cap < plen + dot_b64url_len(pklen + PK_CHECK_LEN) + 1)
		return DOT_ETOOBIG;
	memcpy(tmp, pk, pklen);
	pk_checksum(pk, pklen, tmp + pklen);
	memcpy(out, pk_prefix, plen);
	dot_b64url_encode(out + plen, tmp, pklen + PK_CHECK_LEN);
	return DOT_OK;
}

int
dot_pk_from_text(const char *text, uint8_t *pk, size_t cap, size_t *pklen)
{
	uint8_t tmp[DOT_SIGN_PK_MAX + PK_CHECK_LEN], sum[PK_CHECK_LEN];
	size_t plen = sizeof(pk_prefix) - 1, tlen = strlen(text), n;
	int rv;

	if (tlen < plen || memcmp(text, pk_prefix, plen) != 0)
		return DOT_ETEXT_PREFIX;
	rv = dot_b64url_decode(tmp, sizeof(tmp), &n, text + plen, tlen - plen);
	if (rv == DOT_ETOOBIG)
		return DOT_ECRYPTO_KEY;
	if (rv != DOT_OK)
		return rv;
	if (n <= PK_CHECK_LEN)
		return DOT_ECRYPTO_KEY;
	n -= PK_CHECK_LEN;
	pk_checksum(tmp, n, sum);
	if (sodium_memcmp(sum, tmp + n, PK_CHECK_LEN) != 0)
		return DOT_ETEXT_CHECKSUM;
	if (n > cap)
		return DOT_ETOOBIG;
	rv = dot_sign_pk_check(tmp, n);
	if (rv != DOT_OK)
		return rv;
	memcpy(pk, tmp, n);
	*pklen = n;
	return DOT_OK;
}

/* ---- key exchange ---- */

int
dot_sign_pk_to_kx(const uint8_t *pk, size_t pklen, uint8_t out[32])
{
	int rv = dot_sign_pk_check(pk, pklen);
	/* a composite key's channel key is its Ed25519 half's (the last 32
	 * bytes): the channel's own post-quantum part is X-Wing's */
	const uint8_t *ed = pk[0] == DOT_SUITE_ED25519_MLDSA65
				    ? pk + pklen - crypto_sign_ed25519_PUBLICKEYBYTES
				    : pk + 1;

	if (rv != DOT_OK)
		return rv;
	if (crypto_sign_ed25519_pk_to_curve25519(out, ed) != 0)
		return DOT_ECRYPTO_KEY;
	return DOT_OK;
}

int
dot_sign_sk_to_kx(const struct dot_sign_sk *sk, uint8_t out[32])
{
	if (sk->suite != DOT_SUITE_ED25519 &&
	    sk->suite != DOT_SUITE_ED25519_MLDSA65)
		return DOT_ECRYPTO_SUITE;
	if (crypto_sign_ed25519_sk_to_curve25519(out, sk->sk) != 0)
		return DOT_ECRYPTO_KEY;
	return DOT_OK;
}

int
dot_kx_keypair(uint8_t suite, const uint8_t seed[DOT_SEED_LEN],
	       uint8_t sk[32], uint8_t pk[DOT_X25519_PK_LEN])
{
	if (suite != DOT_SUITE_X25519)
		return DOT_ECRYPTO_SUITE;
	/* The scalar is the seed itself; X25519 clamps it (RFC 7748 §5). */
	memcpy(sk, seed, 32);
	pk[0] = suite;
	crypto_scalarmult_curve25519_base(pk + 1, sk);
	return DOT_OK;
}

int
dot_kx(const uint8_t sk[32], const uint8_t *peer_pk, size_t peer_len,
       uint8_t shared[32])
{
	if (peer_len < 1 || peer_pk[0] != DOT_SUITE_X25519)
		return DOT_ECRYPTO_SUITE;
	if (peer_len != DOT_X25519_PK_LEN)
		return DOT_ECRYPTO_KEY;
	/* libsodium returns -1 when the result is all zero (low order). */
	if (crypto_scalarmult_curve25519(shared, sk, peer_pk + 1) != 0) {
		sodium_memzero(shared, 32);
		return DOT_ECRYPTO_KEY;
	}
	return DOT_OK;
}

/* ---- AEAD ---- */

int
dot_aead_available(uint8_t suite)
{
	if (suite == DOT_SUITE_CHACHA20POLY1305)
		return 1;
	if (suite == DOT_SUITE_AES256GCM)
		return crypto_aead_aes256gcm_is_available();
	return 0;
}

uint8_t
dot_aead_preferred(void)
{
	return dot_aead_available(DOT_SUITE_AES256GCM)
		       ? DOT_SUITE_AES256GCM
		       : DOT_SUITE_CHACHA20POLY1305;
}

const char *
dot_aead_backend(void)
{
	return atomic_load(&aead_backend) == DOT_AEAD_BACKEND_OPENSSL
		       ? "openssl"
		       : "libsodium";
}

/*
 * What both backends share: the suite, AES-256-GCM only where libsodium
 * has it (AES-NI and PCLMUL, even though OpenSSL could run it in software),
 * and the message bound of each AEAD (2^38 - 64 bytes for ChaCha20-Poly1305,
 * RFC 8439 §2.8; 2^36 - 32 for GCM, SP 800-38D §5.2.1.1).
 */
static int
aead_check(uint8_t suite, size_t *max)
{
	switch (suite) {
	case DOT_SUITE_CHACHA20POLY1305:
		*max = crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX;
		return DOT_OK;
	case DOT_SUITE_AES256GCM:
		if (!crypto_aead_aes256gcm_is_available())
			return DOT_ECRYPTO_UNAVAILABLE;
		*max = crypto_aead_aes256gcm_MESSAGEBYTES_MAX;
		return DOT_OK;
	}
	return DOT_ECRYPTO_SUITE;
}

/* A backend this library has: DOT_OK, DOT_ECRYPTO_UNAVAILABLE if not
 * built, DOT_EINVAL if unknown. */
static int
aead_backend_check(int backend)
{
	switch (backend) {
	case DOT_AEAD_BACKEND_SODIUM:
		return DOT_OK;
	case DOT_AEAD_BACKEND_OPENSSL:
#ifdef DOT_HAVE_OPENSSL
		return DOT_OK;
#else
		return DOT_ECRYPTO_UNAVAILABLE;
#endif
	}
	return DOT_EINVAL;
}

static int
aead_current(void)
{
	return atomic_load(&aead_backend) == DOT_AEAD_BACKEND_OPENSSL
		       ? DOT_AEAD_BACKEND_OPENSSL
		       : DOT_AEAD_BACKEND_SODIUM;
}

int
dot_aead_encrypt_with(int backend, uint8_t suite,
		      const uint8_t key[DOT_AEAD_KEY_LEN],
		      const uint8_t nonce[DOT_AEAD_NONCE_LEN], const void *ad,
		      size_t adlen, const void *pt, size_t n, uint8_t *out)
{
	size_t max = 0;
	int rv;

	rv = aead_backend_check(backend);
	if (rv != DOT_OK)
		return rv;
	rv = aead_check(suite, &max);
	if (rv != DOT_OK)
		return rv;
	if (n > max)
		return DOT_ERANGE;
#ifdef DOT_HAVE_OPENSSL
	if (backend == DOT_AEAD_BACKEND_OPENSSL)
		return dot_aead_openssl_encrypt(suite, key, nonce, ad, adlen,
						pt, n, out);
#endif
	if (suite == DOT_SUITE_CHACHA20POLY1305)
		crypto_aead_chacha20poly1305_ietf_encrypt(
			out, NULL, pt, n, ad, adlen, NULL, nonce, key);
	else
		crypto_aead_aes256gcm_encrypt(out, NULL, pt, n, ad, adlen, NULL,
					      nonce, key);
	return DOT_OK;
}

int
dot_aead_decrypt_with(int backend, uint8_t suite,
		      const uint8_t key[DOT_AEAD_KEY_LEN],
		      const uint8_t nonce[DOT_AEAD_NONCE_LEN], const void *ad,
		      size_t adlen, const uint8_t *ct, size_t n, uint8_t *out)
{
	size_t max = 0;
	int rc;

	rc = aead_backend_check(backend);
	if (rc != DOT_OK)
		return rc;
	if (n < DOT_AEAD_TAG_LEN)
		return DOT_ECRYPTO_DECRYPT;
	rc = aead_check(suite, &max);
	if (rc != DOT_OK)
		return rc;
	/* Longer than any encryption makes: nothing is written. */
	if (n - DOT_AEAD_TAG_LEN > max)
		return DOT_ECRYPTO_DECRYPT;
#ifdef DOT_HAVE_OPENSSL
	if (backend == DOT_AEAD_BACKEND_OPENSSL)
		return dot_aead_openssl_decrypt(suite, key, nonce, ad, adlen,
						ct, n, out);
#endif
	if (suite == DOT_SUITE_CHACHA20POLY1305)
		rc = crypto_aead_chacha20poly1305_ietf_decrypt(
			out, NULL, NULL, ct, n, ad, adlen, nonce, key);
	else
		rc = crypto_aead_aes256gcm_decrypt(out, NULL, NULL, ct, n, ad,
						   adlen, nonce, key);
	if (rc != 0) {
		sodium_memzero(out, n - DOT_AEAD_TAG_LEN);
		return DOT_ECRYPTO_DECRYPT;
	}
	return DOT_OK;
}

int
dot_aead_encrypt(uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
		 const uint8_t nonce[DOT_AEAD_NONCE_LEN], const void *ad,
		 size_t adlen, const void *pt, size_t n, uint8_t *out)
{
	return dot_aead_encrypt_with(aead_current(), suite, key, nonce, ad,
				     adlen, pt, n, out);
}

int
dot_aead_decrypt(uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
		 const uint8_t nonce[DOT_AEAD_NONCE_LEN], const void *ad,
		 size_t adlen, const uint8_t *ct, size_t n, uint8_t *out)
{
	return dot_aead_decrypt_with(aead_current(), suite, key, nonce, ad,
				     adlen, ct, n, out);
}

int
dot_aead_seal(uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
	      const uint8_t nonce[DOT_AEAD_NONCE_LEN], const void *ad,
	      size_t adlen, const void *pt, size_t n, struct dot_buf *out)
{
	size_t need;
	uint8_t *p;
	int rv;

	/* Only an AEAD suite seals; AES-256-GCM may be missing on this CPU. */
	if (!dot_aead_available(suite))
		return suite == DOT_SUITE_AES256GCM ? DOT_ECRYPTO_UNAVAILABLE
						    : DOT_ECRYPTO_SUITE;
	if (n > SIZE_MAX - (1 + DOT_AEAD_NONCE_LEN + DOT_AEAD_TAG_LEN))
		return DOT_ERANGE;
	need = 1 + DOT_AEAD_NONCE_LEN + n + DOT_AEAD_TAG_LEN;
	rv = dot_buf_reserve(out, need);
	if (rv != DOT_OK)
		return rv;
	p = out->data + out->len;
	p[0] = suite;
	memcpy(p + 1, nonce, DOT_AEAD_NONCE_LEN);
	rv = dot_aead_encrypt(suite, key, nonce, ad, adlen, pt, n,
			      p + 1 + DOT_AEAD_NONCE_LEN);
	if (rv != DOT_OK)
		return rv;
	out->len += need;
	return DOT_OK;
}

int
dot_aead_open(const uint8_t key[DOT_AEAD_KEY_LEN], const void *ad,
	      size_t adlen, const uint8_t *box, size_t n, uint8_t *out,
	      size_t *outlen)
{
	int rv;

	if (n < 1 + DOT_AEAD_NONCE_LEN + DOT_AEAD_TAG_LEN)
		return DOT_ECRYPTO_DECRYPT;
	rv = dot_aead_decrypt(box[0], key, box + 1, ad, adlen,
			      box + 1 + DOT_AEAD_NONCE_LEN,
			      n - 1 - DOT_AEAD_NONCE_LEN, out);
	if (rv != DOT_OK)
		return rv;
	*outlen = n - 1 - DOT_AEAD_NONCE_LEN - DOT_AEAD_TAG_LEN;
	return DOT_OK;
}

/* ---- Argon2id ---- */

int
dot_kdf_argon2id(uint8_t *out, size_t outlen, const char *pass,
		 size_t passlen, const uint8_t salt[DOT_KDF_SALT_LEN],
		 uint64_t opslimit, size_t memlimit)
{
	if (opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
	    opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
	    memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    memlimit > crypto_pwhash_argon2id_MEMLIMIT_MAX ||
	    outlen < crypto_pwhash_argon2id_BYTES_MIN)
		return DOT_ERANGE;
	if (crypto_pwhash_argon2id(out, outlen, pass, passlen, salt, opslimit,
				   memlimit,
				   crypto_pwhash_argon2id_ALG_ARGON2ID13) != 0)
		return DOT_ECRYPTO_KDF;
	return DOT_OK;
}
