/*
 * seal.c - payloads sealed to X-Wing public keys (seal.h; the format,
 * byte by byte, and the reasons for each choice are in
 * docs/seal-format.md, whose section numbers the comments cite).
 *
 * Primitives: X-Wing (xwing.c) per recipient; BLAKE2b (libsodium's
 * crypto_generichash, RFC 7693) for the fingerprint, the key ids, and every
 * key derivation, keyed with the secret it derives from; ChaCha20-Poly1305
 * (RFC 8439, libsodium's IETF construction, 12-byte nonce) for the wrapped
 * file keys and the payload, each under a key used exactly once, so the
 * nonce is always zero.
 */
#include <string.h>

#include <sodium.h>

#include "doteros/crypto.h"
#include "doteros/seal.h"
#include "doteros/xwing.h"

#define PRE_LEN 13                     /* magic, version, suites, flags, r */
#define FILE_KEY_LEN 32
#define WRAP_LEN (FILE_KEY_LEN + DOT_SEAL_TAG_LEN)
#define ST_CT_OFF DOT_SEAL_KID_LEN                       /* 8 */
#define ST_WRAP_OFF (DOT_SEAL_KID_LEN + DOT_XWING_CT_LEN) /* 1128 */
#define VERSION 1

_Static_assert(DOT_SEAL_HEAD_LEN == PRE_LEN + DOT_SEAL_FP_LEN, "head");
_Static_assert(DOT_SEAL_STANZA_LEN == ST_WRAP_OFF + WRAP_LEN, "stanza");
_Static_assert(DOT_SEAL_LEN(1, 0) == 1253, "77 + 1176");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == 32, "key");
_Static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == DOT_SEAL_TAG_LEN,
	       "tag");
_Static_assert(DOT_SEAL_MAX_RECIPIENTS <= 255, "the count is one byte");

static const uint8_t magic[8] = {'d', 'o', 't', '-', 's', 'e', 'a', 'l'};
static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

/* §3: the labels, ASCII without a terminator, none a prefix of another. */
#define L_BINDING "dot-seal-v1 binding"
#define L_KID "dot-seal-v1 kid"
#define L_WRAP "dot-seal-v1 wrap"
#define L_HEADER "dot-seal-v1 header"
#define L_PAYLOAD "dot-seal-v1 payload"

/*
 * §3: BLAKE2b with outlen bytes of output, keyed with key (32 bytes) or
 * unkeyed (NULL), over label || u8(blen) || binding || a || b.
 */
static void
derive(uint8_t *out, size_t outlen, const uint8_t *key, const char *label,
       const uint8_t *binding, size_t blen, const uint8_t *a, size_t an,
       const uint8_t *b, size_t bn)
{
	crypto_generichash_state st;
	uint8_t bl = (uint8_t)blen;

	crypto_generichash_init(&st, key, key != NULL ? 32 : 0, outlen);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, &bl, 1);
	crypto_generichash_update(&st, binding, blen);
	if (an)
		crypto_generichash_update(&st, a, an);
	if (bn)
		crypto_generichash_update(&st, b, bn);
	crypto_generichash_final(&st, out, outlen);
	sodium_memzero(&st, sizeof(st));
}

/* §3: fp = BLAKE2b-128(L_BINDING || u8(blen) || binding). */
static void
fingerprint(uint8_t fp[DOT_SEAL_FP_LEN], const uint8_t *binding, size_t blen)
{
	derive(fp, DOT_SEAL_FP_LEN, NULL, L_BINDING, binding, blen, NULL, 0,
	       NULL, 0);
}

/* §3: kid = BLAKE2b-256(L_KID || u8(blen) || binding || pk)[0:8]. */
static void
kid_of(uint8_t kid[DOT_SEAL_KID_LEN], const uint8_t *pk,
       const uint8_t *binding, size_t blen)
{
	uint8_t h[32];

	derive(h, sizeof(h), NULL, L_KID, binding, blen, pk, DOT_XWING_PK_LEN,
	       NULL, 0);
	memcpy(kid, h, DOT_SEAL_KID_LEN);
}

/* §3: wrap key = BLAKE2b-256(key = ss, L_WRAP || u8(blen) || binding ||
 * pk || ct): the X-Wing secret bound to this recipient and ciphertext. */
static void
wrap_key(uint8_t wk[32], const uint8_t ss[DOT_XWING_SS_LEN],
	 const uint8_t *pk, const uint8_t *ct, const uint8_t *binding,
	 size_t blen)
{
	derive(wk, 32, ss, L_WRAP, binding, blen, pk, DOT_XWING_PK_LEN, ct,
	       DOT_XWING_CT_LEN);
}

/* §3: MAC = BLAKE2b-256(key = file key, L_HEADER || u8(blen) || binding ||
 * header), header being every byte before the MAC. */
static void
header_mac(uint8_t mac[DOT_SEAL_MAC_LEN], const uint8_t fk[FILE_KEY_LEN],
	   const uint8_t *hdr, size_t hlen, const uint8_t *binding,
	   size_t blen)
{
	derive(mac, DOT_SEAL_MAC_LEN, fk, L_HEADER, binding, blen, hdr, hlen,
	       NULL, 0);
}

/* §3: payload key = BLAKE2b-256(key = file key, L_PAYLOAD || u8(blen) ||
 * binding || MAC). */
static void
payload_key(uint8_t pkey[32], const uint8_t fk[FILE_KEY_LEN],
	    const uint8_t mac[DOT_SEAL_MAC_LEN], const uint8_t *binding,
	    size_t blen)
{
	derive(pkey, 32, fk, L_PAYLOAD, binding, blen, mac, DOT_SEAL_MAC_LEN,
	       NULL, 0);
}

/* ------------------------------------------------------------------ */
/* §4, the structure                                                   */

struct layout {
	unsigned flags;
	size_t r;       /* stanzas */
	size_t hlen;    /* header bytes before the MAC: 29 + 1176 r */
	size_t m;       /* payload plaintext bytes */
};

static const uint8_t *
stanza(const uint8_t *s, size_t i)
{
	return s + DOT_SEAL_HEAD_LEN + DOT_SEAL_STANZA_LEN * i;
}

static int
parse(const uint8_t *s, size_t n, struct layout *l, struct dot_err *e)
{
	static const uint8_t zero_kid[DOT_SEAL_KID_LEN];

	memset(l, 0, sizeof(*l));
	if (n < PRE_LEN)
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "sealed payload truncated: %zu bytes", n);
	if (memcmp(s, magic, sizeof(magic)) != 0)
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "not a sealed payload (no \"dot-seal\")");
	if (s[8] != VERSION)
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "sealed payload version %u, want %u", s[8],
				   VERSION);
	if (s[9] != DOT_SUITE_XWING || s[10] != DOT_SUITE_CHACHA20POLY1305)
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "sealed payload suites 0x%02x 0x%02x, want "
				   "0x12 (x-wing) 0x21 (chacha20-poly1305)",
				   s[9], s[10]);
	if ((s[11] & ~DOT_SEAL_ANONYMOUS) != 0)
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "sealed payload flags 0x%02x unknown",
				   s[11]);
	if (s[12] == 0)
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "sealed payload has no recipient");
	if (s[12] > DOT_SEAL_MAX_RECIPIENTS)
		return dot_err_set(e, DOT_ESEAL_TOO_MANY,
				   "sealed payload has %u recipients, at most "
				   "%u allowed", s[12],
				   DOT_SEAL_MAX_RECIPIENTS);
	l->flags = s[11];
	l->r = s[12];
	l->hlen = DOT_SEAL_HEAD_LEN + DOT_SEAL_STANZA_LEN * l->r;
	if (n < DOT_SEAL_LEN(l->r, 0))
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "sealed payload truncated: %zu bytes, %u "
				   "recipients need at least %zu", n, s[12],
				   DOT_SEAL_LEN(l->r, 0));
	l->m = n - DOT_SEAL_LEN(l->r, 0);
	if (l->m > DOT_SEAL_PAYLOAD_MAX)
		return dot_err_set(e, DOT_ESEAL_FORMAT,
				   "sealed payload over %u bytes",
				   DOT_SEAL_PAYLOAD_MAX);
	for (size_t i = 0; i < l->r; i++) {
		const uint8_t *kid = stanza(s, i);
		if (l->flags & DOT_SEAL_ANONYMOUS) {
			if (memcmp(kid, zero_kid, DOT_SEAL_KID_LEN) != 0)
				return dot_err_set(e, DOT_ESEAL_FORMAT,
						   "stanza %zu: key id in an "
						   "anonymous payload", i);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (memcmp(kid, stanza(s, j), DOT_SEAL_KID_LEN) == 0)
				return dot_err_set(e, DOT_ESEAL_FORMAT,
						   "stanza %zu repeats the key "
						   "id of stanza %zu", i, j);
	}
	return DOT_OK;
}

int
dot_seal_parse(const uint8_t *sealed, size_t n, struct dot_seal_info *info,
	       struct dot_err *e)
{
	struct layout l;
	int rv;

	memset(info, 0, sizeof(*info));
	if ((rv = parse(sealed, n, &l, e)) != DOT_OK)
		return rv;
	info->flags = l.flags;
	info->nrecipients = l.r;
	info->payload_len = l.m;
	memcpy(info->fp, sealed + PRE_LEN, DOT_SEAL_FP_LEN);
	for (size_t i = 0; i < l.r; i++)
		memcpy(info->kid[i], stanza(sealed, i), DOT_SEAL_KID_LEN);
	return DOT_OK;
}

static int
binding_ok(size_t blen)
{
	return blen >= 1 && blen <= DOT_SEAL_BINDING_MAX;
}

int
dot_seal_kid(uint8_t kid[DOT_SEAL_KID_LEN], const uint8_t *pk, size_t pklen,
	     const uint8_t *binding, size_t blen)
{
	memset(kid, 0, DOT_SEAL_KID_LEN);
	if (!binding_ok(blen))
		return DOT_EINVAL;
	if (pklen != DOT_XWING_PK_LEN)
		return DOT_ECRYPTO_XWING_PK;
	kid_of(kid, pk, binding, blen);
	return DOT_OK;
}

/* ------------------------------------------------------------------ */
/* §2, sealing                                                         */

int
dot_seal(uint8_t *out, size_t cap, size_t *outlen, const uint8_t *payload,
	 size_t n, const uint8_t *const *pks, size_t npk,
	 const uint8_t *binding, size_t blen, unsigned flags,
	 dot_seal_rand_fn rand, void *rand_ctx, struct dot_err *e)
{
	uint8_t fk[FILE_KEY_LEN], eseed[DOT_XWING_ESEED_LEN];
	uint8_t ss[DOT_XWING_SS_LEN], wk[32], pkey[32];
	size_t total = 0, hlen;
	int rv;

	*outlen = 0;
	if (npk > DOT_SEAL_MAX_RECIPIENTS) {
		rv = dot_err_set(e, DOT_ESEAL_TOO_MANY,
				 "%zu recipients, at most %u allowed", npk,
				 DOT_SEAL_MAX_RECIPIENTS);
		goto out;
	}
	if (npk == 0 || pks == NULL) {
		rv = dot_err_set(e, DOT_EINVAL, "seal: no recipient");
		goto out;
	}
	if (!binding_ok(blen)) {
		rv = dot_err_set(e, DOT_EINVAL,
				 "seal: binding of %zu bytes (1 to %u)", blen,
				 DOT_SEAL_BINDING_MAX);
		goto out;
	}
	if ((flags & ~DOT_SEAL_ANONYMOUS) != 0 || rand == NULL ||
	    (n > 0 && payload == NULL)) {
		rv = dot_err_set(e, DOT_EINVAL,
				 "seal: unknown flags 0x%x, no rand or no "
				 "payload", flags);
		goto out;
	}
	if (n > DOT_SEAL_PAYLOAD_MAX) {
		rv = dot_err_set(e, DOT_ERANGE, "payload over %u bytes",
				 DOT_SEAL_PAYLOAD_MAX);
		goto out;
	}
	for (size_t i = 0; i < npk; i++) {
		if (dot_xwing_pk_check(pks[i], DOT_XWING_PK_LEN) != DOT_OK) {
			rv = dot_err_set(e, DOT_ECRYPTO_XWING_PK,
					 "recipient %zu: %s", i,
					 dot_strerror(DOT_ECRYPTO_XWING_PK));
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (memcmp(pks[i], pks[j], DOT_XWING_PK_LEN) == 0) {
				rv = dot_err_set(e, DOT_EINVAL,
						 "recipient %zu repeats "
						 "recipient %zu", i, j);
				goto out;
			}
	}
	total = DOT_SEAL_LEN(npk, n);
	hlen = DOT_SEAL_HEAD_LEN + DOT_SEAL_STANZA_LEN * npk;
	if (cap < total || out == NULL) {
		rv = dot_err_set(e, DOT_ETOOBIG,
				 "sealed payload needs %zu bytes, %zu given",
				 total, cap);
		total = 0;
		goto out;
	}

	/* §4.1 preamble and fingerprint */
	memcpy(out, magic, sizeof(magic));
	out[8] = VERSION;
	out[9] = DOT_SUITE_XWING;
	out[10] = DOT_SUITE_CHACHA20POLY1305;
	out[11] = (uint8_t)flags;
	out[12] = (uint8_t)npk;
	fingerprint(out + PRE_LEN, binding, blen);

	/* §2 step 1: the file key */
	rand(rand_ctx, fk, sizeof(fk));
	/* §2 step 2: one stanza per recipient */
	for (size_t i = 0; i < npk; i++) {
		uint8_t *st = out + DOT_SEAL_HEAD_LEN + DOT_SEAL_STANZA_LEN * i;
		rand(rand_ctx, eseed, sizeof(eseed));
		if (flags & DOT_SEAL_ANONYMOUS)
			memset(st, 0, DOT_SEAL_KID_LEN);
		else
			kid_of(st, pks[i], binding, blen);
		rv = dot_xwing_encaps_derand(st + ST_CT_OFF, ss, pks[i],
					     DOT_XWING_PK_LEN, eseed);
		if (rv != DOT_OK) /* cannot happen: the keys were checked */
			goto out;
		wrap_key(wk, ss, pks[i], st + ST_CT_OFF, binding, blen);
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			st + ST_WRAP_OFF, st + ST_WRAP_OFF + FILE_KEY_LEN,
			NULL, fk, sizeof(fk), NULL, 0, NULL, zero_nonce, wk);
	}
	/* §2 step 3: the header MAC; step 4: the payload */
	header_mac(out + hlen, fk, out, hlen, binding, blen);
	payload_key(pkey, fk, out + hlen, binding, blen);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		out + hlen + DOT_SEAL_MAC_LEN,
		out + hlen + DOT_SEAL_MAC_LEN + n, NULL, payload, n, NULL, 0,
		NULL, zero_nonce, pkey);
	*outlen = total;
	rv = DOT_OK;
out:
	if (rv != DOT_OK && total > 0)
		sodium_memzero(out, total);
	sodium_memzero(fk, sizeof(fk));
	sodium_memzero(eseed, sizeof(eseed));
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(wk, sizeof(wk));
	sodium_memzero(pkey, sizeof(pkey));
	return rv;
}

/* ------------------------------------------------------------------ */
/* §5, opening                                                         */

int
dot_seal_open(uint8_t *out, size_t cap, size_t *outlen, const uint8_t *sealed,
	      size_t n, const uint8_t *sk, size_t sklen,
	      const uint8_t *binding, size_t blen, struct dot_err *e)
{
	uint8_t pk[DOT_XWING_PK_LEN];
	uint8_t fk[FILE_KEY_LEN], fk_try[FILE_KEY_LEN], ss[DOT_XWING_SS_LEN];
	uint8_t wk[32], pkey[32], mac[DOT_SEAL_MAC_LEN];
	uint8_t kid[DOT_SEAL_KID_LEN], fp[DOT_SEAL_FP_LEN];
	const uint8_t *c;
	struct layout l;
	size_t written = 0;
	int rv, tried = 0, found = 0;

	*outlen = 0;
	/* §5 step 1: the structure */
	if ((rv = parse(sealed, n, &l, e)) != DOT_OK)
		goto out;
	/* step 2: the caller's arguments */
	if (!binding_ok(blen)) {
		rv = dot_err_set(e, DOT_EINVAL,
				 "binding of %zu bytes (1 to %u)", blen,
				 DOT_SEAL_BINDING_MAX);
		goto out;
	}
	if (sklen != DOT_XWING_SK_LEN) {
		rv = dot_err_set(e, DOT_ECRYPTO_XWING_SK,
				 "private key of %zu bytes, want %u", sklen,
				 DOT_XWING_SK_LEN);
		goto out;
	}
	/* step 3: the binding */
	fingerprint(fp, binding, blen);
	if (memcmp(fp, sealed + PRE_LEN, DOT_SEAL_FP_LEN) != 0) {
		rv = dot_err_set(e, DOT_ESEAL_BINDING, "%s",
				 dot_strerror(DOT_ESEAL_BINDING));
		goto out;
	}
	if (cap < l.m || (l.m > 0 && out == NULL)) {
		rv = dot_err_set(e, DOT_ETOOBIG,
				 "payload of %zu bytes, %zu given", l.m, cap);
		goto out;
	}
	/* step 4: this key's stanza (anonymous: every stanza) */
	if ((rv = dot_xwing_sk_to_pk(pk, sk, sklen)) != DOT_OK)
		goto out;
	kid_of(kid, pk, binding, blen);
	for (size_t i = 0; i < l.r; i++) {
		const uint8_t *st = stanza(sealed, i);
		if (!(l.flags & DOT_SEAL_ANONYMOUS) &&
		    memcmp(st, kid, DOT_SEAL_KID_LEN) != 0)
			continue;
		tried = 1;
		if ((rv = dot_xwing_decaps(ss, st + ST_CT_OFF,
					   DOT_XWING_CT_LEN, sk, sklen)) !=
		    DOT_OK)
			goto out;
		wrap_key(wk, ss, pk, st + ST_CT_OFF, binding, blen);
		if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			    fk_try, NULL, st + ST_WRAP_OFF, FILE_KEY_LEN,
			    st + ST_WRAP_OFF + FILE_KEY_LEN, NULL, 0,
			    zero_nonce, wk) == 0 &&
		    !found) {
			memcpy(fk, fk_try, sizeof(fk));
			found = 1;
		}
		/* named: key ids are distinct, so this was the one */
		if (!(l.flags & DOT_SEAL_ANONYMOUS))
			break;
	}
	if (!tried || (!found && (l.flags & DOT_SEAL_ANONYMOUS))) {
		rv = dot_err_set(e, DOT_ESEAL_NOT_RECIPIENT, "%s",
				 dot_strerror(DOT_ESEAL_NOT_RECIPIENT));
		goto out;
	}
	if (!found) {
		rv = dot_err_set(e, DOT_ESEAL_OPEN,
				 "the stanza for this key fails "
				 "authentication");
		goto out;
	}
	/* step 5: the header MAC, over every byte before it */
	header_mac(mac, fk, sealed, l.hlen, binding, blen);
	if (crypto_verify_32(mac, sealed + l.hlen) != 0) {
		rv = dot_err_set(e, DOT_ESEAL_OPEN,
				 "the header MAC fails authentication");
		goto out;
	}
	/* step 6: the payload; libsodium writes out only once the tag
	 * verifies */
	payload_key(pkey, fk, sealed + l.hlen, binding, blen);
	c = sealed + l.hlen + DOT_SEAL_MAC_LEN;
	written = l.m;
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    out, NULL, c, l.m, c + l.m, NULL, 0, zero_nonce, pkey) !=
	    0) {
		rv = dot_err_set(e, DOT_ESEAL_OPEN,
				 "the payload fails authentication");
		goto out;
	}
	*outlen = l.m;
	rv = DOT_OK;
out:
	if (rv != DOT_OK && written > 0)
		sodium_memzero(out, written);
	sodium_memzero(fk, sizeof(fk));
	sodium_memzero(fk_try, sizeof(fk_try));
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(wk, sizeof(wk));
	sodium_memzero(pkey, sizeof(pkey));
	return rv;
}
