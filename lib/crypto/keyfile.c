/*
 * keyfile.c - private keys encrypted at rest (docs/key-file.md).
 *
 * Text: "dotsk1" + base64url(CBOR map)
 *   {1: version 1,
 *    2: public key (suite || key),
 *    3: [kdf 1 = Argon2id v1.3, opslimit, memlimit, salt(16)],
 *    4: sealed box (ChaCha20-Poly1305) of the 32-byte seed}
 * The box's associated data is "dot-keyfile-v1" || public key, so the clear
 * public key cannot be swapped for another. ChaCha20-Poly1305 is used on
 * every machine so a key file opens anywhere.
 *
 * The suite byte of field 2 says what the seed is: a signing key's
 * (Ed25519, 0x01) or an X-Wing decapsulation key's (0x12, for sealed
 * payloads; docs/key-file.md §7). Each opener takes one kind and refuses
 * the other with DOT_ECRYPTO_SUITE and a sentence that names it.
 */
#include <inttypes.h>
#include <string.h>

#include <sodium.h>

#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/heap.h"
#include "doteros/xwing.h"

static const char sk_prefix[] = "dotsk1";
static const char ad_label[] = "dot-keyfile-v1";
#define KDF_ARGON2ID13 1
#define KEYFILE_MAX 8192
/*
 * The work a key file may ask for (docs/key-file.md): 1..32 passes over
 * 8 KiB..1 GiB, in whole KiB. libsodium uses memlimit / 1024 KiB, so a
 * memlimit with low bits set would name the same key as its round value: the
 * file could be altered without detection. Only whole KiB are accepted, so
 * each accepted cost derives its own key. Sealing refuses what opening would.
 */
#define KDF_OPS_MIN 1
#define KDF_OPS_MAX 32
#define KDF_MEM_MIN 8192
#define KDF_MEM_MAX (1ull << 30)
#define KDF_MEM_UNIT 1024

/* The kinds of key a caller takes (parse's want). */
enum { KF_SIGN = 1, KF_XWING = 2, KF_ANY = KF_SIGN | KF_XWING };

_Static_assert(1 + DOT_XWING_PK_LEN <= DOT_KEYFILE_PK_MAX,
	       "an X-Wing public key fits the key file's buffers");
_Static_assert(DOT_XWING_SK_LEN == DOT_SEED_LEN,
	       "an X-Wing key is a 32-byte seed like a signing key's");

static void
make_ad(uint8_t *ad, size_t *adlen, const uint8_t *pk, size_t pklen)
{
	memcpy(ad, ad_label, sizeof(ad_label) - 1);
	memcpy(ad + sizeof(ad_label) - 1, pk, pklen);
	*adlen = sizeof(ad_label) - 1 + pklen;
}

/* Seal the seed of sk (a signing key) or xseed (an X-Wing key) under the
 * public key pk (suite || key): the two kinds differ only there. */
static int
seal_text(const uint8_t *pk, size_t pklen, const struct dot_sign_sk *sk,
	  const uint8_t *xseed, const char *pass, size_t passlen,
	  const uint8_t salt[DOT_KDF_SALT_LEN],
	  const uint8_t nonce[DOT_AEAD_NONCE_LEN], uint64_t opslimit,
	  size_t memlimit, struct dot_buf *out)
{
	uint8_t ad[sizeof(ad_label) + DOT_KEYFILE_PK_MAX];
	uint8_t *key = NULL, *seed = NULL;
	struct dot_buf cbor = {0}, box = {0};
	size_t adlen, textlen;
	int rv;

	if (opslimit < KDF_OPS_MIN || opslimit > KDF_OPS_MAX ||
	    memlimit < KDF_MEM_MIN || memlimit > KDF_MEM_MAX ||
	    memlimit % KDF_MEM_UNIT != 0)
		return DOT_ERANGE;
	key = sodium_malloc(DOT_AEAD_KEY_LEN + DOT_SEED_LEN);
	if (key == NULL)
		return DOT_ENOMEM;
	seed = key + DOT_AEAD_KEY_LEN;
	rv = dot_kdf_argon2id(key, DOT_AEAD_KEY_LEN, pass, passlen, salt,
			      opslimit, memlimit);
	if (rv != DOT_OK)
		goto out;
	if (sk != NULL) {
		dot_sign_sk_seed(sk, seed);
	} else if (xseed != NULL) {
		memcpy(seed, xseed, DOT_SEED_LEN);
	} else {
		rv = DOT_EINVAL;
		goto out;
	}
	make_ad(ad, &adlen, pk, pklen);
	rv = dot_aead_seal(DOT_SUITE_CHACHA20POLY1305, key, nonce, ad, adlen,
			   seed, DOT_SEED_LEN, &box);
	if (rv != DOT_OK)
		goto out;

	dot_enc_map(&cbor, 4);
	dot_enc_uint(&cbor, 1);
	dot_enc_uint(&cbor, 1);
	dot_enc_uint(&cbor, 2);
	dot_enc_bstr(&cbor, pk, pklen);
	dot_enc_uint(&cbor, 3);
	dot_enc_array(&cbor, 4);
	dot_enc_uint(&cbor, KDF_ARGON2ID13);
	dot_enc_uint(&cbor, opslimit);
	dot_enc_uint(&cbor, memlimit);
	dot_enc_bstr(&cbor, salt, DOT_KDF_SALT_LEN);
	dot_enc_uint(&cbor, 4);
	dot_enc_bstr(&cbor, box.data, box.len);
	if (cbor.err) {
		rv = cbor.err;
		goto out;
	}
	textlen = sizeof(sk_prefix) - 1 + dot_b64url_len(cbor.len);
	rv = dot_buf_reserve(out, textlen + 1);
	if (rv != DOT_OK)
		goto out;
	memcpy(out->data + out->len, sk_prefix, sizeof(sk_prefix) - 1);
	dot_b64url_encode((char *)out->data + out->len + sizeof(sk_prefix) - 1,
			  cbor.data, cbor.len);
	out->len += textlen;
out:
	sodium_free(key);
	dot_buf_free(&box);
	dot_buf_free(&cbor);
	return rv;
}

int
dot_keyfile_seal(const struct dot_sign_sk *sk, const char *pass,
		 size_t passlen, const uint8_t salt[DOT_KDF_SALT_LEN],
		 const uint8_t nonce[DOT_AEAD_NONCE_LEN], uint64_t opslimit,
		 size_t memlimit, struct dot_buf *out)
{
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen = dot_sign_sk_public(sk, pk);

	return seal_text(pk, pklen, sk, NULL, pass, passlen, salt, nonce,
			 opslimit, memlimit, out);
}

int
dot_keyfile_seal_xwing(const uint8_t sk[DOT_SEED_LEN], const char *pass,
		       size_t passlen, const uint8_t salt[DOT_KDF_SALT_LEN],
		       const uint8_t nonce[DOT_AEAD_NONCE_LEN],
		       uint64_t opslimit, size_t memlimit, struct dot_buf *out)
{
	uint8_t pk[1 + DOT_XWING_PK_LEN];

	pk[0] = DOT_SUITE_XWING;
	dot_xwing_keypair_derand(pk + 1, sk);
	return seal_text(pk, sizeof(pk), NULL, sk, pass, passlen, salt, nonce,
			 opslimit, memlimit, out);
}

struct parsed {
	const uint8_t *pk;
	size_t pklen;
	uint64_t ops, mem;
	const uint8_t *salt;
	const uint8_t *box;
	size_t boxlen;
};

/* Strip whitespace at the ends (a trailing newline from a file). */
static void
trim(const char **text, size_t *n)
{
	while (*n > 0 && (**text == ' ' || **text == '\n' || **text == '\r' ||
			  **text == '\t'))
		(*text)++, (*n)--;
	while (*n > 0 && ((*text)[*n - 1] == ' ' || (*text)[*n - 1] == '\n' ||
			  (*text)[*n - 1] == '\r' || (*text)[*n - 1] == '\t'))
		(*n)--;
}

/* The public key of field 2: a valid key of a known suite, of a kind
 * in want. */
static int
check_pk(const uint8_t *pk, size_t pklen, int want, struct dot_err *e)
{
	int xwing = pklen >= 1 && pk[0] == DOT_SUITE_XWING, rv;
	const char *name;

	if (xwing)
		rv = dot_xwing_pk_check(pk + 1, pklen - 1);
	else
		rv = dot_sign_pk_check(pk, pklen);
	if (rv != DOT_OK) {
		if (pklen >= 1 && dot_suite_name(pk[0]) == NULL)
			return dot_err_set(e, rv,
					   "key file public key: unknown suite "
					   "0x%02x",
					   pk[0]);
		return dot_err_set(e, rv, "key file public key: %s",
				   dot_strerror(rv));
	}
	if (xwing && !(want & KF_XWING))
		return dot_err_set(e, DOT_ECRYPTO_SUITE,
				   "the key file holds an X-Wing key (suite "
				   "0x12, for sealed payloads), not a signing "
				   "key");
	if (!xwing && !(want & KF_SIGN)) {
		name = dot_suite_name(pk[0]);
		return dot_err_set(e, DOT_ECRYPTO_SUITE,
				   "the key file holds a signing key (%s, suite "
				   "0x%02x), not an X-Wing key (suite 0x12)",
				   name != NULL ? name : "?", pk[0]);
	}
	return DOT_OK;
}

static int
parse(const char *text, size_t n, uint8_t *raw, size_t *rawlen,
      struct parsed *p, int want, struct dot_err *e)
{
	static const struct dot_codec_limits lim = {4, KEYFILE_MAX, 8};
	size_t plen = sizeof(sk_prefix) - 1;
	struct dot_dec d;
	uint64_t count, key, v, alg;
	int rv;

	trim(&text, &n);
	if (n < plen || memcmp(text, sk_prefix, plen) != 0)
		return dot_err_set(e, DOT_ETEXT_PREFIX,
				   "not a Doteros private key file (it must "
				   "start with \"%s\")",
				   sk_prefix);
	rv = dot_b64url_decode(raw, KEYFILE_MAX, rawlen, text + plen, n - plen);
	if (rv != DOT_OK)
		return dot_err_set(e, rv == DOT_ETOOBIG ? DOT_ECODEC_LENGTH : rv,
				   "key file body: %s", dot_strerror(rv));
	rv = dot_dec_init(&d, raw, *rawlen, &lim, e);
	if (rv != DOT_OK)
		return rv;
	if ((rv = dot_dec_map(&d, &count)) != DOT_OK)
		return rv;
	if (count != 4)
		return dot_err_set(e, DOT_ECODEC_FIELD,
				   "key file has %" PRIu64 " fields, want 4",
				   count);
	if ((rv = dot_dec_uint(&d, &key)) != DOT_OK ||
	    (rv = dot_dec_uint(&d, &v)) != DOT_OK)
		return rv;
	if (key != 1 || v != 1)
		return dot_err_set(e, DOT_ECODEC_FIELD,
				   "unsupported key file version");
	if ((rv = dot_dec_uint(&d, &key)) != DOT_OK ||
	    (rv = dot_dec_bstr(&d, &p->pk, &p->pklen)) != DOT_OK)
		return rv;
	if (key != 2)
		return dot_err_set(e, DOT_ECODEC_FIELD,
				   "key file field 2 (public key) missing");
	if ((rv = check_pk(p->pk, p->pklen, KF_ANY, e)) != DOT_OK)
		return rv;
	if ((rv = dot_dec_uint(&d, &key)) != DOT_OK ||
	    (rv = dot_dec_array(&d, &count)) != DOT_OK)
		return rv;
	if (key != 3 || count != 4)
		return dot_err_set(e, DOT_ECODEC_FIELD,
				   "key file field 3 (kdf) malformed");
	if ((rv = dot_dec_uint(&d, &alg)) != DOT_OK ||
	    (rv = dot_dec_uint(&d, &p->ops)) != DOT_OK ||
	    (rv = dot_dec_uint(&d, &p->mem)) != DOT_OK ||
	    (rv = dot_dec_bstr_fixed(&d, &p->salt, DOT_KDF_SALT_LEN)) != DOT_OK)
		return rv;
	if (alg != KDF_ARGON2ID13)
		return dot_err_set(e, DOT_ECRYPTO_SUITE,
				   "key file kdf %" PRIu64 " is unknown", alg);
	/* Bound the work a hostile file can ask for: 1 GiB, 32 passes. */
	if (p->ops < KDF_OPS_MIN || p->ops > KDF_OPS_MAX ||
	    p->mem < KDF_MEM_MIN || p->mem > KDF_MEM_MAX ||
	    p->mem % KDF_MEM_UNIT != 0)
		return dot_err_set(e, DOT_ERANGE,
				   "key file kdf cost (ops %" PRIu64
				   ", mem %" PRIu64 ") out of range",
				   p->ops, p->mem);
	if ((rv = dot_dec_uint(&d, &key)) != DOT_OK ||
	    (rv = dot_dec_bstr(&d, &p->box, &p->boxlen)) != DOT_OK)
		return rv;
	if (key != 4 ||
	    p->boxlen != 1 + DOT_AEAD_NONCE_LEN + DOT_SEED_LEN + DOT_AEAD_TAG_LEN)
		return dot_err_set(e, DOT_ECODEC_FIELD,
				   "key file field 4 (sealed seed) malformed");
	/* A whole, well-formed file of the other kind: say so. */
	return check_pk(p->pk, p->pklen, want, e);
}

static int
public_of(const char *text, size_t n, int want, uint8_t *pk, size_t *pklen,
	  struct dot_err *e)
{
	uint8_t *raw = dot_malloc(KEYFILE_MAX);
	size_t rawlen;
	struct parsed p;
	int rv;

	if (raw == NULL)
		return DOT_ENOMEM;
	rv = parse(text, n, raw, &rawlen, &p, want, e);
	if (rv == DOT_OK) {
		memcpy(pk, p.pk, p.pklen);
		*pklen = p.pklen;
	}
	dot_free(raw);
	return rv;
}

int
dot_keyfile_public(const char *text, size_t n, uint8_t pk[DOT_SIGN_PK_MAX],
		   size_t *pklen, struct dot_err *e)
{
	return public_of(text, n, KF_SIGN, pk, pklen, e);
}

int
dot_keyfile_public_any(const char *text, size_t n,
		       uint8_t pk[DOT_KEYFILE_PK_MAX], size_t *pklen,
		       struct dot_err *e)
{
	return public_of(text, n, KF_ANY, pk, pklen, e);
}

/*
 * What both openers share: parse (a key of a kind in want), derive the key
 * from the passphrase, open the sealed seed. *keyp gets the guarded region
 * (the derived key, then the 32-byte seed) whenever it was allocated; the
 * caller frees it.
 */
static int
open_seed(const char *text, size_t n, const char *pass, size_t passlen,
	  int want, uint8_t *raw, struct parsed *p, uint8_t **keyp,
	  struct dot_err *e)
{
	uint8_t ad[sizeof(ad_label) + DOT_KEYFILE_PK_MAX], *key, *seed;
	size_t rawlen, adlen, seedlen;
	int rv;

	*keyp = NULL;
	rv = parse(text, n, raw, &rawlen, p, want, e);
	if (rv != DOT_OK)
		return rv;
	key = sodium_malloc(DOT_AEAD_KEY_LEN + DOT_SEED_LEN);
	if (key == NULL)
		return DOT_ENOMEM;
	*keyp = key;
	seed = key + DOT_AEAD_KEY_LEN;
	rv = dot_kdf_argon2id(key, DOT_AEAD_KEY_LEN, pass, passlen, p->salt,
			      p->ops, (size_t)p->mem);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "key derivation failed: %s",
				   dot_strerror(rv));
	make_ad(ad, &adlen, p->pk, p->pklen);
	rv = dot_aead_open(key, ad, adlen, p->box, p->boxlen, seed, &seedlen);
	if (rv == DOT_ECRYPTO_DECRYPT)
		return dot_err_set(e, DOT_ECRYPTO_PASSPHRASE,
				   "cannot decrypt the key: wrong passphrase, "
				   "or the file was altered");
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "key file: %s", dot_strerror(rv));
	return DOT_OK;
}

int
dot_keyfile_open(const char *text, size_t n, const char *pass,
		 size_t passlen, struct dot_sign_sk **sk, struct dot_err *e)
{
	uint8_t *raw = dot_malloc(KEYFILE_MAX), *key = NULL;
	uint8_t pk[DOT_SIGN_PK_MAX];
	struct parsed p;
	int rv;

	*sk = NULL;
	if (raw == NULL)
		return DOT_ENOMEM;
	rv = open_seed(text, n, pass, passlen, KF_SIGN, raw, &p, &key, e);
	if (rv != DOT_OK)
		goto out;
	rv = dot_sign_sk_from_seed(sk, p.pk[0], key + DOT_AEAD_KEY_LEN);
	if (rv != DOT_OK) {
		dot_err_set(e, rv, "key file: %s", dot_strerror(rv));
		goto out;
	}
	/* The seed must give back the public key the file names. */
	dot_sign_sk_public(*sk, pk);
	if (sodium_memcmp(pk, p.pk, p.pklen) != 0) {
		dot_sign_sk_free(*sk);
		*sk = NULL;
		rv = dot_err_set(e, DOT_ECRYPTO_KEY,
				 "key file: the seed does not match the public "
				 "key");
	}
out:
	if (key != NULL)
		sodium_free(key);
	dot_free(raw);
	return rv;
}

int
dot_keyfile_open_xwing(const char *text, size_t n, const char *pass,
		       size_t passlen, uint8_t sk[DOT_SEED_LEN],
		       struct dot_err *e)
{
	uint8_t *raw = dot_malloc(KEYFILE_MAX), *key = NULL;
	uint8_t pk[DOT_XWING_PK_LEN];
	struct parsed p;
	int rv;

	sodium_memzero(sk, DOT_SEED_LEN);
	if (raw == NULL)
		return DOT_ENOMEM;
	rv = open_seed(text, n, pass, passlen, KF_XWING, raw, &p, &key, e);
	if (rv != DOT_OK)
		goto out;
	/* The seed must give back the public key the file names
	 * (draft-connolly-cfrg-xwing-kem §5.2.1: pk from the seed). */
	dot_xwing_keypair_derand(pk, key + DOT_AEAD_KEY_LEN);
	if (p.pklen != 1 + DOT_XWING_PK_LEN ||
	    sodium_memcmp(pk, p.pk + 1, DOT_XWING_PK_LEN) != 0) {
		rv = dot_err_set(e, DOT_ECRYPTO_KEY,
				 "key file: the seed does not match the public "
				 "key");
		goto out;
	}
	memcpy(sk, key + DOT_AEAD_KEY_LEN, DOT_SEED_LEN);
out:
	if (key != NULL)
		sodium_free(key);
	dot_free(raw);
	return rv;
}

/* ---- a node's key file, DIR/node.seed ---- */

size_t
dot_node_seed_encode(uint8_t suite, const uint8_t seed[DOT_SEED_LEN],
		     uint8_t out[DOT_NODE_SEED_MAX])
{
	if (suite == DOT_SUITE_ED25519) {
		memcpy(out, seed, DOT_SEED_LEN);
		return DOT_SEED_LEN;
	}
	if (suite != DOT_SUITE_ED25519_MLDSA65)
		return 0;
	out[0] = suite;
	memcpy(out + 1, seed, DOT_SEED_LEN);
	return 1 + DOT_SEED_LEN;
}

int
dot_node_seed_open(const uint8_t *b, size_t n, struct dot_sign_sk **sk)
{
	*sk = NULL;
	if (n == DOT_SEED_LEN)
		return dot_sign_sk_from_seed(sk, DOT_SUITE_ED25519, b);
	if (n != 1 + DOT_SEED_LEN)
		return DOT_ECRYPTO_KEY;
	if (b[0] != DOT_SUITE_ED25519_MLDSA65)
		return DOT_ECRYPTO_SUITE;
	return dot_sign_sk_from_seed(sk, b[0], b + 1);
}
