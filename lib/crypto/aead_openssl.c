/*
 * aead_openssl.c - ChaCha20-Poly1305 (RFC 8439 §2.8) and AES-256-GCM
 * (NIST SP 800-38D) through OpenSSL 3's libcrypto EVP interface: the bulk
 * AEAD of the channel (DESIGN.md §4; docs/crypto.md §2.1).
 *
 * Same inputs and outputs as the libsodium backend in crypto.c, byte for
 * byte: a 32-byte key, a 12-byte nonce, out = ciphertext || 16-byte tag.
 * EVP_DecryptFinal_ex compares the tag in constant time (CRYPTO_memcmp).
 *
 * Contexts. Creating an EVP_CIPHER_CTX costs allocations and an implicit
 * fetch of the cipher from the provider, about 0.4 µs, half the time the
 * encryption of 1 KiB takes (bench/RESULTS.md, "AEAD"). So each thread
 * keeps one context per suite, in thread-local storage, and re-keys it for
 * every message. After every message the context is re-keyed with an
 * all-zero key, which overwrites the key schedule and the GCM state, so no
 * key material of a caller outlives the call. A pthread key destructor
 * frees a thread's contexts when the thread exits; the main thread's stay
 * reachable until the process ends. Any EVP failure other than a refused
 * tag drops the cached context (EVP_CIPHER_CTX_free cleanses it) so the
 * next call starts from a new one.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "aead_openssl.h"

/*
 * EVP takes int lengths: inputs are fed at most CHUNK bytes at a time, so
 * any length the suite allows (crypto.c checks the bounds) is processed.
 * A multiple of 64 so that no ChaCha20 or AES block straddles two calls.
 */
#define CHUNK ((size_t)1 << 18)
_Static_assert(CHUNK <= INT_MAX && CHUNK % 64 == 0, "chunk fits an int");

enum { S_CHACHA, S_GCM, S_N };

struct tls {
	EVP_CIPHER_CTX *ctx[S_N];
	int registered; /* the pthread key holds &tls: destructor armed */
};

static _Thread_local struct tls tls;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static pthread_key_t tls_key;
static int tls_ok;

static void
tls_destroy(void *p)
{
	struct tls *t = p;

	for (int i = 0; i < S_N; i++) {
		EVP_CIPHER_CTX_free(t->ctx[i]); /* cleanses the key schedule */
		t->ctx[i] = NULL;
	}
	t->registered = 0;
}

static void
tls_init(void)
{
	tls_ok = pthread_key_create(&tls_key, tls_destroy) == 0;
}

static int
suite_index(uint8_t suite)
{
	switch (suite) {
	case DOT_SUITE_CHACHA20POLY1305:
		return S_CHACHA;
	case DOT_SUITE_AES256GCM:
		return S_GCM;
	}
	return -1;
}

static const EVP_CIPHER *
suite_cipher(int i)
{
	return i == S_CHACHA ? EVP_chacha20_poly1305() : EVP_aes_256_gcm();
}

/*
 * A context for suite index i, set to the cipher, not keyed: this thread's
 * cached one, or (*owned = 1) a new one when the cache cannot be armed.
 * DOT_ENOMEM, or DOT_ECRYPTO_UNAVAILABLE if OpenSSL has no such cipher.
 */
static int
ctx_get(int i, EVP_CIPHER_CTX **out, int *owned)
{
	EVP_CIPHER_CTX *c;
	int cache;

	*owned = 0;
	*out = tls.ctx[i];
	if (*out != NULL)
		return DOT_OK;
	cache = pthread_once(&tls_once, tls_init) == 0 && tls_ok;
	if (cache && !tls.registered) {
		/* Non-NULL value: the destructor runs at thread exit. */
		if (pthread_setspecific(tls_key, &tls) == 0)
			tls.registered = 1;
		else
			cache = 0;
	}
	c = EVP_CIPHER_CTX_new();
	if (c == NULL)
		return DOT_ENOMEM;
	if (EVP_CipherInit_ex(c, suite_cipher(i), NULL, NULL, NULL, 1) != 1) {
		EVP_CIPHER_CTX_free(c);
		return DOT_ECRYPTO_UNAVAILABLE;
	}
	if (cache)
		tls.ctx[i] = c;
	else
		*owned = 1;
	*out = c;
	return DOT_OK;
}

/*
 * Done with a context. ok: wipe the caller's key out of it by re-keying
 * with zeros and keep it. !ok (an EVP failure): free it, which cleanses.
 */
static void
ctx_put(int i, EVP_CIPHER_CTX *c, int owned, int ok)
{
	static const uint8_t zero[DOT_AEAD_KEY_LEN];

	if (c == NULL)
		return;
	if (!owned && ok &&
	    EVP_CipherInit_ex(c, NULL, NULL, zero, NULL, 1) == 1)
		return;
	EVP_CIPHER_CTX_free(c);
	if (!owned)
		tls.ctx[i] = NULL;
}

/* Associated data (out NULL) or text, CHUNK bytes at a time. */
static int
feed(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, size_t n)
{
	while (n > 0) {
		size_t k = n < CHUNK ? n : CHUNK;
		int len = -1;

		/* OpenSSL 3.0's Poly1305 takes its wide code path only over
		 * whole 128-byte multiples within one call: feed the largest
		 * such prefix, then the tail (ChaCha20-Poly1305 at 65,535
		 * bytes: 3.1 -> 4.0 GB/s here; no effect on GCM). */
		if (k > 128 && k % 128 != 0)
			k -= k % 128;

		if (EVP_CipherUpdate(c, out, &len, in, (int)k) != 1)
			return 0;
		/* Both AEADs are stream modes: output as long as the input. */
		if (out != NULL && len != (int)k)
			return 0;
		in += k;
		n -= k;
		if (out != NULL)
			out += k;
	}
	return 1;
}

int
dot_aead_openssl_encrypt(uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
			 const uint8_t nonce[DOT_AEAD_NONCE_LEN],
			 const void *ad, size_t adlen, const void *pt, size_t n,
			 uint8_t *out)
{
	uint8_t fin[EVP_MAX_BLOCK_LENGTH];
	EVP_CIPHER_CTX *c = NULL;
	int i = suite_index(suite), owned = 0, len = 0, rv;

	if (i < 0)
		return DOT_ECRYPTO_SUITE;
	if (n > SIZE_MAX - DOT_AEAD_TAG_LEN)
		return DOT_ERANGE;
	rv = ctx_get(i, &c, &owned);
	if (rv != DOT_OK)
		goto out;
	rv = DOT_ECRYPTO_UNAVAILABLE;
	if (EVP_CipherInit_ex(c, NULL, NULL, key, nonce, 1) != 1 ||
	    !feed(c, NULL, ad, adlen) || !feed(c, out, pt, n))
		goto out;
	/* Stream modes: Final writes nothing; fin only catches a surprise. */
	if (EVP_EncryptFinal_ex(c, fin, &len) != 1 || len != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, DOT_AEAD_TAG_LEN,
				out + n) != 1)
		goto out;
	rv = DOT_OK;
out:
	ctx_put(i, c, owned, rv == DOT_OK);
	if (rv != DOT_OK) {
		OPENSSL_cleanse(out, n + DOT_AEAD_TAG_LEN);
		ERR_clear_error();
	}
	return rv;
}

int
dot_aead_openssl_decrypt(uint8_t suite, const uint8_t key[DOT_AEAD_KEY_LEN],
			 const uint8_t nonce[DOT_AEAD_NONCE_LEN],
			 const void *ad, size_t adlen, const uint8_t *ct,
			 size_t n, uint8_t *out)
{
	uint8_t tag[DOT_AEAD_TAG_LEN], fin[EVP_MAX_BLOCK_LENGTH];
	EVP_CIPHER_CTX *c = NULL;
	int i = suite_index(suite), owned = 0, len = 0, usable = 0;
	int rv = DOT_ECRYPTO_DECRYPT;
	size_t m;

	if (n < DOT_AEAD_TAG_LEN)
		return DOT_ECRYPTO_DECRYPT;
	if (i < 0)
		return DOT_ECRYPTO_SUITE;
	m = n - DOT_AEAD_TAG_LEN;
	/* A copy: out may be ct itself (in place), and ctrl wants a void *. */
	memcpy(tag, ct + m, DOT_AEAD_TAG_LEN);
	if (ctx_get(i, &c, &owned) != DOT_OK)
		goto out;
	if (EVP_CipherInit_ex(c, NULL, NULL, key, nonce, 0) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, DOT_AEAD_TAG_LEN,
				tag) != 1 ||
	    !feed(c, NULL, ad, adlen) || !feed(c, out, ct, m))
		goto out;
	/* A wrong tag is an ordinary refusal: the context stays usable. */
	usable = 1;
	if (EVP_DecryptFinal_ex(c, fin, &len) != 1 || len != 0)
		goto out;
	rv = DOT_OK;
out:
	ctx_put(i, c, owned, usable);
	if (rv != DOT_OK) {
		/* No unauthenticated plaintext leaves: out is zeroed. */
		if (m > 0)
			OPENSSL_cleanse(out, m);
		ERR_clear_error();
	}
	return rv;
}

/* ---- self-test, run by dot_crypto_init ---- */

/*
 * The known answers; each ciphertext ends with its 16-byte tag.
 * RFC 8439 §2.8.2: key 80..9f; the sunscreen plaintext.
 */
/* clang-format off */
static const uint8_t kat_cc_nonce[12] = {
	0x07, 0x00, 0x00, 0x00, 0x40, 0x41, 0x42, 0x43,
	0x44, 0x45, 0x46, 0x47,
};
static const uint8_t kat_cc_ad[12] = {
	0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3,
	0xc4, 0xc5, 0xc6, 0xc7,
};
static const char kat_cc_pt[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you "
	"only one tip for the future, sunscreen would be it.";
static const uint8_t kat_cc_ct[114 + 16] = {
	0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb,
	0x7b, 0x86, 0xaf, 0xbc, 0x53, 0xef, 0x7e, 0xc2,
	0xa4, 0xad, 0xed, 0x51, 0x29, 0x6e, 0x08, 0xfe,
	0xa9, 0xe2, 0xb5, 0xa7, 0x36, 0xee, 0x62, 0xd6,
	0x3d, 0xbe, 0xa4, 0x5e, 0x8c, 0xa9, 0x67, 0x12,
	0x82, 0xfa, 0xfb, 0x69, 0xda, 0x92, 0x72, 0x8b,
	0x1a, 0x71, 0xde, 0x0a, 0x9e, 0x06, 0x0b, 0x29,
	0x05, 0xd6, 0xa5, 0xb6, 0x7e, 0xcd, 0x3b, 0x36,
	0x92, 0xdd, 0xbd, 0x7f, 0x2d, 0x77, 0x8b, 0x8c,
	0x98, 0x03, 0xae, 0xe3, 0x28, 0x09, 0x1b, 0x58,
	0xfa, 0xb3, 0x24, 0xe4, 0xfa, 0xd6, 0x75, 0x94,
	0x55, 0x85, 0x80, 0x8b, 0x48, 0x31, 0xd7, 0xbc,
	0x3f, 0xf4, 0xde, 0xf0, 0x8e, 0x4b, 0x7a, 0x9d,
	0xe5, 0x76, 0xd2, 0x65, 0x86, 0xce, 0xc6, 0x4b,
	0x61, 0x16, 0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09,
	0xe2, 0x6a, 0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60,
	0x06, 0x91,
};

/* McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)",
 * Appendix B, Test Case 16. */
static const uint8_t kat_gcm_key[32] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
	0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
	0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static const uint8_t kat_gcm_iv[12] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad,
	0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t kat_gcm_ad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
	0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t kat_gcm_pt[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5,
	0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
	0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
	0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
	0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53,
	0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
	0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57,
	0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t kat_gcm_ct[60 + 16] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07,
	0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42, 0x7d,
	0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9,
	0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55, 0xd1, 0xaa,
	0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d,
	0xa7, 0xb0, 0x8b, 0x10, 0x56, 0x82, 0x88, 0x38,
	0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a,
	0xbc, 0xc9, 0xf6, 0x62, 0x76, 0xfc, 0x6e, 0xce,
	0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53,
	0xbb, 0x2d, 0x55, 0x1b,
};
/* clang-format on */

/* Encrypt to the answer, open it, refuse it with the last bit flipped
 * (and zero the output then). 1 if all holds. */
static int
kat_one(uint8_t suite, const uint8_t *key, const uint8_t *nonce,
	const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t n,
	const uint8_t *want)
{
	uint8_t ct[128 + DOT_AEAD_TAG_LEN], back[128];
	int ok;

	if (n > 128)
		return 0;
	if (dot_aead_openssl_encrypt(suite, key, nonce, ad, adlen, pt, n, ct) !=
		DOT_OK ||
	    memcmp(ct, want, n + DOT_AEAD_TAG_LEN) != 0)
		return 0;
	if (dot_aead_openssl_decrypt(suite, key, nonce, ad, adlen, ct,
				     n + DOT_AEAD_TAG_LEN, back) != DOT_OK ||
	    memcmp(back, pt, n) != 0)
		return 0;
	ct[n + DOT_AEAD_TAG_LEN - 1] ^= 0x01;
	ok = dot_aead_openssl_decrypt(suite, key, nonce, ad, adlen, ct,
				      n + DOT_AEAD_TAG_LEN,
				      back) == DOT_ECRYPTO_DECRYPT;
	for (size_t j = 0; j < n; j++)
		ok &= back[j] == 0;
	return ok;
}

int
dot_aead_openssl_selftest(void)
{
	uint8_t key[DOT_AEAD_KEY_LEN];
	int ok;

	for (size_t j = 0; j < sizeof(key); j++)
		key[j] = (uint8_t)(0x80 + j);
	ok = kat_one(DOT_SUITE_CHACHA20POLY1305, key, kat_cc_nonce, kat_cc_ad,
		     sizeof(kat_cc_ad), (const uint8_t *)kat_cc_pt,
		     sizeof(kat_cc_pt) - 1, kat_cc_ct);
	/* Software GCM where the CPU lacks AES-NI: the test still holds. */
	ok = ok && kat_one(DOT_SUITE_AES256GCM, kat_gcm_key, kat_gcm_iv,
			   kat_gcm_ad, sizeof(kat_gcm_ad), kat_gcm_pt,
			   sizeof(kat_gcm_pt), kat_gcm_ct);
	_Static_assert(sizeof(kat_cc_pt) - 1 + DOT_AEAD_TAG_LEN ==
			   sizeof(kat_cc_ct),
		       "RFC 8439 vector lengths");
	return ok ? DOT_OK : DOT_ECRYPTO_UNAVAILABLE;
}
