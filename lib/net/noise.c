/*
 * noise.c - the Noise protocol framework, revision 34 (2018-07-11),
 * noiseprotocol.org/noise.html, for DH = 25519, HASH = BLAKE2b and
 * cipher = ChaChaPoly or AESGCM, patterns XX and IK; and its "hfs" modifier
 * ("KEM-based Hybrid Forward Secrecy for Noise", revision 1, 2018-11-17)
 * with the KEM X-Wing: patterns XXhfs and IKhfs.
 *
 * Primitives all come from lib/crypto: X25519 (dot_kx), the AEADs
 * (dot_aead_encrypt/decrypt), BLAKE2b-512 (dot_blake2b) and X-Wing
 * (dot_xwing_*). Only the framework's own compositions live here: HMAC
 * (RFC 2104, as §4.3 asks) and HKDF (§4.3), the CipherState, SymmetricState
 * and HandshakeState objects (§5), the patterns' token lists (§7.5, hfs §5)
 * and the hfs tokens e1 and ekem1 (hfs §4).
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/xwing.h"
#include "net_int.h"

_Static_assert(NOISE_KEM_SKLEN == DOT_XWING_SK_LEN, "X-Wing sk");
_Static_assert(NOISE_KEM_PKLEN == DOT_XWING_PK_LEN, "X-Wing pk");
_Static_assert(NOISE_KEM_CTLEN == DOT_XWING_CT_LEN, "X-Wing ct");
_Static_assert(NOISE_KEM_SSLEN == DOT_XWING_SS_LEN, "X-Wing ss");
_Static_assert(NOISE_KEM_SEEDLEN == DOT_XWING_ESEED_LEN, "X-Wing eseed");
_Static_assert((int)NOISE_KEM_XWING == (int)DOT_SUITE_XWING, "X-Wing suite id");

void
noise_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

/* ---- HASH, HMAC, HKDF (§4.3) ---- */

/* HASH(a || b), BLAKE2b with a 64-byte output. */
int
noise_hash(uint8_t out[NOISE_HASHLEN], const uint8_t *a, size_t an,
	   const uint8_t *b, size_t bn)
{
	uint8_t buf[NOISE_HASHLEN + NOISE_MAX_HASHED];
	int rv;

	if (an > NOISE_HASHLEN || bn > NOISE_MAX_HASHED)
		return DOT_ETOOBIG;
	if (an)
		memcpy(buf, a, an);
	if (bn)
		memcpy(buf + an, b, bn);
	rv = dot_blake2b(out, NOISE_HASHLEN, buf, an + bn, NULL, 0);
	noise_wipe(buf, an + bn);
	return rv;
}

/*
 * HMAC-HASH(key, data) per RFC 2104 with the hash's BLOCKLEN (128). Keys
 * here are always HASHLEN (64) bytes, data at most HASHLEN + 1.
 */
static int
hmac(uint8_t out[NOISE_HASHLEN], const uint8_t key[NOISE_HASHLEN],
     const uint8_t *data, size_t n)
{
	uint8_t buf[NOISE_BLOCKLEN + NOISE_HASHLEN + 1];
	uint8_t inner[NOISE_HASHLEN];
	int rv;

	assert(n <= NOISE_HASHLEN + 1);
	memset(buf, 0x36, NOISE_BLOCKLEN);
	for (size_t i = 0; i < NOISE_HASHLEN; i++)
		buf[i] ^= key[i];
	if (n)
		memcpy(buf + NOISE_BLOCKLEN, data, n);
	rv = dot_blake2b(inner, NOISE_HASHLEN, buf, NOISE_BLOCKLEN + n, NULL,
			 0);
	if (rv != DOT_OK)
		goto out;
	memset(buf, 0x5c, NOISE_BLOCKLEN);
	for (size_t i = 0; i < NOISE_HASHLEN; i++)
		buf[i] ^= key[i];
	memcpy(buf + NOISE_BLOCKLEN, inner, NOISE_HASHLEN);
	rv = dot_blake2b(out, NOISE_HASHLEN, buf,
			 NOISE_BLOCKLEN + NOISE_HASHLEN, NULL, 0);
out:
	noise_wipe(buf, sizeof(buf));
	noise_wipe(inner, sizeof(inner));
	return rv;
}

/* HKDF(chaining_key, input_key_material, 2 or 3), §4.3; o3 may be NULL. */
int
noise_hkdf(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm, size_t ikmlen,
	   uint8_t *o1, uint8_t *o2, uint8_t *o3)
{
	uint8_t temp[NOISE_HASHLEN], in[NOISE_HASHLEN + 1];
	int rv;

	rv = hmac(temp, ck, ikm, ikmlen);
	if (rv != DOT_OK)
		goto out;
	in[0] = 0x01;
	rv = hmac(o1, temp, in, 1);
	if (rv != DOT_OK)
		goto out;
	memcpy(in, o1, NOISE_HASHLEN);
	in[NOISE_HASHLEN] = 0x02;
	rv = hmac(o2, temp, in, NOISE_HASHLEN + 1);
	if (rv != DOT_OK || o3 == NULL)
		goto out;
	memcpy(in, o2, NOISE_HASHLEN);
	in[NOISE_HASHLEN] = 0x03;
	rv = hmac(o3, temp, in, NOISE_HASHLEN + 1);
out:
	noise_wipe(temp, sizeof(temp));
	noise_wipe(in, sizeof(in));
	return rv;
}

/* ---- CipherState (§5.1) ---- */

void
noise_nonce(uint8_t suite, uint64_t n, uint8_t nonce[12])
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++) {
		uint8_t b = (uint8_t)(n >> (8 * i));
		if (suite == DOT_SUITE_AES256GCM)
			nonce[11 - i] = b; /* §12.4: big-endian */
		else
			nonce[4 + i] = b; /* §12.3: little-endian */
	}
}

static void
cipher_init(struct noise_cipher *c, const uint8_t *k)
{
	if (k) {
		memcpy(c->k, k, NOISE_KEYLEN);
		c->has_k = 1;
	} else {
		noise_wipe(c->k, NOISE_KEYLEN);
		c->has_k = 0;
	}
	c->n = 0;
}

int
noise_encrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
	      const uint8_t *pt, size_t n, uint8_t *out)
{
	uint8_t nonce[12];
	int rv;

	if (!c->has_k) {
		if (n)
			memmove(out, pt, n);
		return DOT_OK;
	}
	/* 2^64-1 is reserved (§5.1): the key is spent. */
	if (c->n == UINT64_MAX)
		return DOT_ERANGE;
	noise_nonce(c->suite, c->n, nonce);
	rv = dot_aead_encrypt(c->suite, c->k, nonce, ad, adlen, pt, n, out);
	if (rv == DOT_OK)
		c->n++;
	return rv;
}

int
noise_decrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
	      const uint8_t *ct, size_t n, uint8_t *out)
{
	uint8_t nonce[12];
	int rv;

	if (!c->has_k) {
		if (n)
			memmove(out, ct, n);
		return DOT_OK;
	}
	if (c->n == UINT64_MAX)
		return DOT_ERANGE;
	if (n < NOISE_TAGLEN)
		return DOT_ECRYPTO_DECRYPT;
	noise_nonce(c->suite, c->n, nonce);
	rv = dot_aead_decrypt(c->suite, c->k, nonce, ad, adlen, ct, n, out);
	if (rv == DOT_OK)
		c->n++;
	return rv;
}

/* ---- SymmetricState (§5.2) ---- */

static int
mix_hash(struct noise_sym *ss, const uint8_t *data, size_t n)
{
	uint8_t h[NOISE_HASHLEN];
	int rv = noise_hash(h, ss->h, NOISE_HASHLEN, data, n);

	if (rv == DOT_OK)
		memcpy(ss->h, h, NOISE_HASHLEN);
	return rv;
}

static int
mix_key(struct noise_sym *ss, const uint8_t *ikm, size_t n)
{
	uint8_t ck[NOISE_HASHLEN], k[NOISE_HASHLEN];
	int rv = noise_hkdf(ss->ck, ikm, n, ck, k, NULL);

	if (rv == DOT_OK) {
		memcpy(ss->ck, ck, NOISE_HASHLEN);
		/* HASHLEN 64: temp_k is truncated to 32 bytes. */
		cipher_init(&ss->cs, k);
	}
	noise_wipe(ck, sizeof(ck));
	noise_wipe(k, sizeof(k));
	return rv;
}

static int
encrypt_and_hash(struct noise_sym *ss, const uint8_t *pt, size_t n,
		 uint8_t *out, size_t *outlen)
{
	int rv = noise_encrypt(&ss->cs, ss->h, NOISE_HASHLEN, pt, n, out);

	if (rv != DOT_OK)
		return rv;
	*outlen = n + (ss->cs.has_k ? NOISE_TAGLEN : 0);
	return mix_hash(ss, out, *outlen);
}

static int
decrypt_and_hash(struct noise_sym *ss, const uint8_t *ct, size_t n,
		 uint8_t *out, size_t *outlen)
{
	uint8_t h[NOISE_HASHLEN];
	int rv;

	if (ss->cs.has_k && n < NOISE_TAGLEN)
		return DOT_ECRYPTO_DECRYPT;
	/* h is the AD and must be taken before MixHash(ciphertext). */
	memcpy(h, ss->h, NOISE_HASHLEN);
	rv = mix_hash(ss, ct, n);
	if (rv != DOT_OK)
		return rv;
	rv = noise_decrypt(&ss->cs, h, NOISE_HASHLEN, ct, n, out);
	if (rv != DOT_OK)
		return rv;
	*outlen = n - (ss->cs.has_k ? NOISE_TAGLEN : 0);
	return DOT_OK;
}

/* ---- HandshakeState (§5.3) and the patterns (§7.5) ---- */

enum tok { T_END = 0, T_E, T_S, T_EE, T_ES, T_SE, T_SS, T_E1, T_EKEM1 };

#define MAX_TOKENS 7 /* the longest message's tokens and T_END */

/* XX:  -> e   <- e, ee, s, es   -> s, se */
static const uint8_t xx_msgs[3][MAX_TOKENS] = {
	{T_E, T_END},
	{T_E, T_EE, T_S, T_ES, T_END},
	{T_S, T_SE, T_END},
};
/* IK:  <- s  ...  -> e, es, s, ss   <- e, ee, se */
static const uint8_t ik_msgs[2][MAX_TOKENS] = {
	{T_E, T_ES, T_S, T_SS, T_END},
	{T_E, T_EE, T_SE, T_END},
};
/*
 * hfs §5: e1 directly after the first e, or after the DH that follows it
 * in the same message (so that the KEM public key is encrypted); ekem1
 * directly after the first ee.
 *
 * XXhfs:  -> e, e1   <- e, ee, ekem1, s, es   -> s, se
 */
static const uint8_t xxhfs_msgs[3][MAX_TOKENS] = {
	{T_E, T_E1, T_END},
	{T_E, T_EE, T_EKEM1, T_S, T_ES, T_END},
	{T_S, T_SE, T_END},
};
/* IKhfs:  <- s  ...  -> e, es, e1, s, ss   <- e, ee, ekem1, se */
static const uint8_t ikhfs_msgs[2][MAX_TOKENS] = {
	{T_E, T_ES, T_E1, T_S, T_SS, T_END},
	{T_E, T_EE, T_EKEM1, T_SE, T_END},
};

static const uint8_t *
tokens(const struct noise_hs *hs)
{
	int hfs = hs->kem != NOISE_KEM_NONE;

	if (hs->pattern == NOISE_XX && hs->msg < 3)
		return hfs ? xxhfs_msgs[hs->msg] : xx_msgs[hs->msg];
	if (hs->pattern == NOISE_IK && hs->msg < 2)
		return hfs ? ikhfs_msgs[hs->msg] : ik_msgs[hs->msg];
	return NULL;
}

/*
 * §8 protocol names; with hfs, the DH section names the KEM after the DH
 * function, joined by "+" (hfs §5). Every name here is shorter than
 * HASHLEN, so InitializeSymmetric pads it (§5.2).
 */
const char *
noise_protocol_name_kem(int pattern, uint8_t kem, uint8_t suite)
{
	static const char *const names[2][2][2] = {
		/* [kem][pattern IK][AESGCM] */
		{{"Noise_XX_25519_ChaChaPoly_BLAKE2b",
		  "Noise_XX_25519_AESGCM_BLAKE2b"},
		 {"Noise_IK_25519_ChaChaPoly_BLAKE2b",
		  "Noise_IK_25519_AESGCM_BLAKE2b"}},
		{{"Noise_XXhfs_25519+XWing_ChaChaPoly_BLAKE2b",
		  "Noise_XXhfs_25519+XWing_AESGCM_BLAKE2b"},
		 {"Noise_IKhfs_25519+XWing_ChaChaPoly_BLAKE2b",
		  "Noise_IKhfs_25519+XWing_AESGCM_BLAKE2b"}},
	};

	if (suite != DOT_SUITE_AES256GCM && suite != DOT_SUITE_CHACHA20POLY1305)
		return NULL;
	if (kem != NOISE_KEM_NONE && kem != NOISE_KEM_XWING)
		return NULL;
	if (pattern != NOISE_XX && pattern != NOISE_IK)
		return NULL;
	return names[kem == NOISE_KEM_XWING][pattern == NOISE_IK]
		    [suite == DOT_SUITE_AES256GCM];
}

const char *
noise_protocol_name(int pattern, uint8_t suite)
{
	return noise_protocol_name_kem(pattern, NOISE_KEM_NONE, suite);
}

int
noise_hs_init(struct noise_hs *hs, int pattern, uint8_t suite, int initiator,
	      const uint8_t *prologue, size_t plen, const uint8_t *s_sk,
	      const uint8_t *rs)
{
	return noise_hs_init_kem(hs, pattern, NOISE_KEM_NONE, suite, initiator,
				 prologue, plen, s_sk, rs);
}

int
noise_hs_init_kem(struct noise_hs *hs, int pattern, uint8_t kem, uint8_t suite,
		  int initiator, const uint8_t *prologue, size_t plen,
		  const uint8_t *s_sk, const uint8_t *rs)
{
	const char *name = noise_protocol_name_kem(pattern, kem, suite);
	size_t nlen;
	int rv;

	memset(hs, 0, sizeof(*hs));
	if (name == NULL)
		return DOT_ECRYPTO_SUITE;
	if (pattern == NOISE_IK && (initiator ? rs == NULL : s_sk == NULL))
		return DOT_EINVAL;
	hs->pattern = (uint8_t)pattern;
	hs->kem = kem;
	hs->initiator = initiator ? 1 : 0;
	/* InitializeSymmetric: the name fits in HASHLEN, so it is h padded
	 * with zeros; ck = h; k empty. */
	nlen = strlen(name);
	assert(nlen <= NOISE_HASHLEN);
	memcpy(hs->ss.h, name, nlen);
	memcpy(hs->ss.ck, hs->ss.h, NOISE_HASHLEN);
	hs->ss.cs.suite = suite;
	rv = mix_hash(&hs->ss, prologue, plen);
	if (rv != DOT_OK)
		return rv;
	if (s_sk) {
		uint8_t pk[DOT_X25519_PK_LEN];
		rv = dot_kx_keypair(DOT_SUITE_X25519, s_sk, hs->s_sk, pk);
		if (rv != DOT_OK)
			return rv;
		memcpy(hs->s_pk, pk + 1, 32);
		hs->has_s = 1;
	}
	if (rs) {
		memcpy(hs->rs, rs, 32);
		hs->has_rs = 1;
	}
	/* IK's pre-message "<- s": the responder's static key is hashed. */
	if (pattern == NOISE_IK)
		rv = mix_hash(&hs->ss, initiator ? hs->rs : hs->s_pk, 32);
	return rv;
}

void
noise_hs_set_ephemeral(struct noise_hs *hs, const uint8_t seed[32])
{
	memcpy(hs->e_seed, seed, 32);
	hs->has_e_seed = 1;
}

void
noise_hs_set_kem_seed(struct noise_hs *hs,
		      const uint8_t seed[NOISE_KEM_SEEDLEN])
{
	memcpy(hs->kem_seed, seed, NOISE_KEM_SEEDLEN);
	hs->has_kem_seed = 1;
}

int
noise_hs_my_turn(const struct noise_hs *hs)
{
	/* Messages alternate, the initiator writing the even ones. */
	return (hs->msg % 2 == 0) == (hs->initiator == 1);
}

int
noise_hs_done(const struct noise_hs *hs)
{
	return tokens(hs) == NULL;
}

size_t
noise_hs_msg_len(const struct noise_hs *hs, size_t plen)
{
	const uint8_t *t = tokens(hs);
	size_t n = 0;
	int keyed = hs->ss.cs.has_k;

	if (t == NULL)
		return 0;
	for (; *t != T_END; t++) {
		if (*t == T_E)
			n += 32;
		else if (*t == T_S)
			n += 32 + (keyed ? NOISE_TAGLEN : 0);
		else if (*t == T_E1)
			n += NOISE_KEM_PKLEN + (keyed ? NOISE_TAGLEN : 0);
		else if (*t == T_EKEM1) {
			n += NOISE_KEM_CTLEN + (keyed ? NOISE_TAGLEN : 0);
			keyed = 1; /* MixKey(kem_output) */
		} else
			keyed = 1; /* every DH token does MixKey */
	}
	return n + plen + (keyed ? NOISE_TAGLEN : 0);
}

/*
 * hfs §4, the sender's side. e1: a fresh X-Wing key pair from the caller's
 * randomness, its public key sent as a static key would be
 * (EncryptAndHash). ekem1: an encapsulation to the e1 received, the
 * ciphertext sent by EncryptAndHash, then MixKey(shared secret).
 */
static int
kem_write(struct noise_hs *hs, int tok, uint8_t *out, size_t *n)
{
	uint8_t pk[NOISE_KEM_PKLEN], ct[NOISE_KEM_CTLEN], ss[NOISE_KEM_SSLEN];
	int rv;

	if (!hs->has_kem_seed)
		return DOT_EINVAL;
	if (tok == T_E1) {
		dot_xwing_keypair(hs->e1_sk, pk, hs->kem_seed);
		hs->has_e1 = 1;
		hs->kem_count++;
		rv = encrypt_and_hash(&hs->ss, pk, sizeof(pk), out, n);
		goto out;
	}
	if (!hs->has_re1) {
		rv = DOT_EINVAL;
		goto out;
	}
	hs->kem_count++;
	rv = dot_xwing_encaps_derand(ct, ss, hs->re1, sizeof(hs->re1),
				     hs->kem_seed);
	if (rv == DOT_OK)
		rv = encrypt_and_hash(&hs->ss, ct, sizeof(ct), out, n);
	if (rv == DOT_OK)
		rv = mix_key(&hs->ss, ss, sizeof(ss));
out:
	noise_wipe(hs->kem_seed, sizeof(hs->kem_seed));
	hs->has_kem_seed = 0;
	noise_wipe(ss, sizeof(ss));
	return rv;
}

/*
 * hfs §4, the receiver's side. e1: the public key (DecryptAndHash once a
 * key is set), checked as FIPS 203 §7.2 and X-Wing ask before anything
 * uses it. ekem1: the ciphertext (always encrypted: ekem1 follows ee),
 * decapsulated with our e1 secret, which is then wiped, and
 * MixKey(shared secret). avail: the message's bytes from the token on;
 * *used: the token's length.
 */
static int
kem_read(struct noise_hs *hs, int tok, const uint8_t *msg, size_t avail,
	 size_t *used)
{
	uint8_t ct[NOISE_KEM_CTLEN], ss[NOISE_KEM_SSLEN];
	size_t tag = hs->ss.cs.has_k ? NOISE_TAGLEN : 0, n;
	int rv;

	if (tok == T_E1) {
		if (avail < NOISE_KEM_PKLEN + tag)
			return DOT_ECRYPTO_DECRYPT;
		rv = decrypt_and_hash(&hs->ss, msg, NOISE_KEM_PKLEN + tag,
				      hs->re1, &n);
		if (rv != DOT_OK)
			return rv;
		rv = dot_xwing_pk_check(hs->re1, sizeof(hs->re1));
		if (rv != DOT_OK)
			return rv;
		hs->has_re1 = 1;
		*used = NOISE_KEM_PKLEN + tag;
		return DOT_OK;
	}
	if (!hs->has_e1)
		return DOT_EINVAL;
	if (avail < NOISE_KEM_CTLEN + tag)
		return DOT_ECRYPTO_DECRYPT;
	rv = decrypt_and_hash(&hs->ss, msg, NOISE_KEM_CTLEN + tag, ct, &n);
	if (rv == DOT_OK) {
		hs->kem_count++;
		rv = dot_xwing_decaps(ss, ct, sizeof(ct), hs->e1_sk,
				      sizeof(hs->e1_sk));
	}
	/* Our e1 has done its one job, whatever the outcome. */
	noise_wipe(hs->e1_sk, sizeof(hs->e1_sk));
	hs->has_e1 = 0;
	if (rv == DOT_OK)
		rv = mix_key(&hs->ss, ss, sizeof(ss));
	noise_wipe(ss, sizeof(ss));
	if (rv == DOT_OK)
		*used = NOISE_KEM_CTLEN + tag;
	return rv;
}

/* One DH token: which of our keys against which of theirs (§7.1). */
static int
dh_token(struct noise_hs *hs, int tok)
{
	const uint8_t *sk, *pk;
	uint8_t peer[DOT_X25519_PK_LEN], shared[32];
	int local_e, remote_e, rv;

	switch (tok) {
	case T_EE:
		local_e = 1, remote_e = 1;
		break;
	case T_ES: /* initiator's e with responder's s */
		local_e = hs->initiator, remote_e = !hs->initiator;
		break;
	case T_SE: /* initiator's s with responder's e */
		local_e = !hs->initiator, remote_e = hs->initiator;
		break;
	default: /* T_SS */
		local_e = 0, remote_e = 0;
		break;
	}
	if ((local_e ? !hs->has_e : !hs->has_s) ||
	    (remote_e ? !hs->has_re : !hs->has_rs))
		return DOT_EINVAL;
	sk = local_e ? hs->e_sk : hs->s_sk;
	pk = remote_e ? hs->re : hs->rs;
	peer[0] = DOT_SUITE_X25519;
	memcpy(peer + 1, pk, 32);
	hs->dh_count++;
	rv = dot_kx(sk, peer, sizeof(peer), shared);
	if (rv == DOT_OK)
		rv = mix_key(&hs->ss, shared, sizeof(shared));
	noise_wipe(shared, sizeof(shared));
	return rv;
}

int
noise_hs_write(struct noise_hs *hs, const uint8_t *payload, size_t plen,
	       uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *t = tokens(hs);
	size_t o = 0, n;
	int rv;

	if (t == NULL || !noise_hs_my_turn(hs))
		return DOT_EINVAL;
	if (noise_hs_msg_len(hs, plen) > cap ||
	    noise_hs_msg_len(hs, plen) > NOISE_MAX_MSG)
		return DOT_ETOOBIG;
	for (; *t != T_END; t++) {
		switch (*t) {
		case T_E: {
			uint8_t pk[DOT_X25519_PK_LEN];
			if (!hs->has_e_seed)
				return DOT_EINVAL;
			rv = dot_kx_keypair(DOT_SUITE_X25519, hs->e_seed,
					    hs->e_sk, pk);
			noise_wipe(hs->e_seed, 32);
			hs->has_e_seed = 0;
			if (rv != DOT_OK)
				return rv;
			memcpy(hs->e_pk, pk + 1, 32);
			hs->has_e = 1;
			memcpy(out + o, hs->e_pk, 32);
			o += 32;
			rv = mix_hash(&hs->ss, hs->e_pk, 32);
			break;
		}
		case T_S:
			if (!hs->has_s)
				return DOT_EINVAL;
			rv = encrypt_and_hash(&hs->ss, hs->s_pk, 32, out + o,
					      &n);
			o += n;
			break;
		case T_E1:
		case T_EKEM1:
			rv = kem_write(hs, *t, out + o, &n);
			if (rv == DOT_OK)
				o += n;
			break;
		default:
			rv = dh_token(hs, *t);
			break;
		}
		if (rv != DOT_OK)
			return rv;
	}
	rv = encrypt_and_hash(&hs->ss, payload, plen, out + o, &n);
	if (rv != DOT_OK)
		return rv;
	*outlen = o + n;
	hs->msg++;
	return DOT_OK;
}

int
noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t mlen,
	      uint8_t *payload, size_t cap, size_t *plen)
{
	const uint8_t *t = tokens(hs);
	size_t o = 0, n;
	int rv;

	if (t == NULL || noise_hs_my_turn(hs))
		return DOT_EINVAL;
	if (mlen > NOISE_MAX_MSG)
		return DOT_ETOOBIG;
	for (; *t != T_END; t++) {
		switch (*t) {
		case T_E:
			if (mlen - o < 32)
				return DOT_ECRYPTO_DECRYPT;
			memcpy(hs->re, msg + o, 32);
			hs->has_re = 1;
			o += 32;
			rv = mix_hash(&hs->ss, hs->re, 32);
			break;
		case T_S:
			n = 32 + (hs->ss.cs.has_k ? NOISE_TAGLEN : 0);
			if (mlen - o < n)
				return DOT_ECRYPTO_DECRYPT;
			rv = decrypt_and_hash(&hs->ss, msg + o, n, hs->rs, &n);
			if (rv == DOT_OK)
				hs->has_rs = 1;
			o += 32 + (hs->ss.cs.has_k ? NOISE_TAGLEN : 0);
			break;
		case T_E1:
		case T_EKEM1:
			rv = kem_read(hs, *t, msg + o, mlen - o, &n);
			if (rv == DOT_OK)
				o += n;
			break;
		default:
			rv = dh_token(hs, *t);
			break;
		}
		if (rv != DOT_OK)
			return rv;
	}
	n = mlen - o;
	if (hs->ss.cs.has_k && n < NOISE_TAGLEN)
		return DOT_ECRYPTO_DECRYPT;
	if (n - (hs->ss.cs.has_k ? NOISE_TAGLEN : 0) > cap)
		return DOT_ETOOBIG;
	rv = decrypt_and_hash(&hs->ss, msg + o, n, payload, plen);
	if (rv != DOT_OK)
		return rv;
	hs->msg++;
	return DOT_OK;
}

int
noise_hs_split(struct noise_hs *hs, struct noise_cipher *c1,
	       struct noise_cipher *c2)
{
	uint8_t k1[NOISE_HASHLEN], k2[NOISE_HASHLEN];
	int rv;

	if (!noise_hs_done(hs))
		return DOT_EINVAL;
	rv = noise_hkdf(hs->ss.ck, NULL, 0, k1, k2, NULL);
	if (rv == DOT_OK) {
		c1->suite = c2->suite = hs->ss.cs.suite;
		cipher_init(c1, k1);
		cipher_init(c2, k2);
	}
	noise_wipe(k1, sizeof(k1));
	noise_wipe(k2, sizeof(k2));
	/* The handshake's secrets are no longer needed (§5.3: "delete"). */
	noise_wipe(hs->ss.ck, sizeof(hs->ss.ck));
	noise_wipe(&hs->ss.cs, sizeof(hs->ss.cs));
	noise_wipe(hs->e_sk, sizeof(hs->e_sk));
	noise_wipe(hs->s_sk, sizeof(hs->s_sk));
	noise_wipe(hs->e1_sk, sizeof(hs->e1_sk));
	noise_wipe(hs->kem_seed, sizeof(hs->kem_seed));
	noise_wipe(hs->e_seed, sizeof(hs->e_seed));
	hs->has_e1 = hs->has_kem_seed = hs->has_e_seed = 0;
	return rv;
}
