/*
 * revfeed.c - the revocation feed: a signed Bloom filter of revoked
 * revocation ids, and signed exact answers for its hits
 * (docs/revocation-feed.md is the byte-level specification).
 *
 * Filter positions of an id (Kirsch and Mitzenmacher, "Less hashing, same
 * performance", ESA 2006): with h = BLAKE2b-128(key = salt, rid),
 *   a   = LE64(h[0..8])  mod m
 *   b   = LE64(h[8..16]) mod (m - 1) + 1
 *   g_i = (a + i * b)    mod m,  i = 0 .. k-1
 * m is prime when this code builds the filter, so the k positions differ.
 *
 * Signatures, each by one node over a digest of the map without its last
 * field (the signatures), with the map head counting one pair fewer:
 *   feed    D = BLAKE2b-256("dot-revfeed-v1 feed"   || body)
 *   answer  D = BLAKE2b-256("dot-revfeed-v1 answer" || body)
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "doteros/codec.h"
#include "doteros/heap.h"
#include "doteros/revfeed.h"
#include "doteros/tx.h"

_Static_assert(DOT_REVFEED_CLUSTER_ID_LEN == DOT_CLUSTER_ID_LEN,
	       "a feed's cluster id is the ledger's");
_Static_assert(DOT_REVFEED_MAX_BITS % 8 == 0, "whole bytes");

static const char dom_feed[] = "dot-revfeed-v1 feed";
static const char dom_answer[] = "dot-revfeed-v1 answer";

/* Feed map keys (docs/revocation-feed.md §2). */
enum {
	FK_VERSION = 1,
	FK_CLUSTER = 2,
	FK_INDEX = 3,
	FK_CREATED = 4,
	FK_NIDS = 5,
	FK_SALT = 6,
	FK_K = 7,
	FK_M = 8,
	FK_BITS = 9,
	FK_SIGS = 10,
	FEED_PAIRS = 10,
};

/* Answer map keys (§4). */
enum {
	AK_VERSION = 1,
	AK_CLUSTER = 2,
	AK_INDEX = 3,
	AK_CREATED = 4,
	AK_RID = 5,
	AK_REVOKED = 6,
	AK_SIGS = 7,
	ANSWER_PAIRS = 7,
};

#define MAX_TRUSTED_KEYS 256
#define LOG2_E		 1.4426950408889634 /* 1 / ln 2 */

/* map -> signatures array -> [key id, signature]. */
static const struct dot_codec_limits feed_limits = {3, DOT_REVFEED_MAX_BYTES,
						    DOT_REVFEED_MAX_SIGS};
static const struct dot_codec_limits answer_limits = {3, DOT_SIGN_SIG_MAX,
						      DOT_REVFEED_MAX_SIGS};

/* ---- dimensions ---- */

/* log2(x) for x >= 1 with basic arithmetic only (the core links no libm):
 * the integer part by halving, then 40 fraction bits by squaring. */
static double
log2_of(double x)
{
	double r = 0, bit = 0.5;

	while (x >= 2) {
		x /= 2;
		r += 1;
	}
	for (int i = 0; i < 40; i++, bit /= 2) {
		x *= x;
		if (x >= 2) {
			x /= 2;
			r += bit;
		}
	}
	return r;
}

static int
is_prime(uint64_t v)
{
	if (v < 2)
		return 0;
	if (v % 2 == 0)
		return v == 2;
	for (uint64_t d = 3; d * d <= v; d += 2)
		if (v % d == 0)
			return 0;
	return 1;
}

int
dot_revfeed_dimension(uint64_t n, double fp_rate, uint64_t *m, uint32_t *k)
{
	double l, t;
	uint64_t bits;
	uint32_t kk;

	if (fp_rate == 0)
		fp_rate = DOT_REVFEED_FP_DEFAULT;
	/* Written so that a NaN fails too. */
	if (!(fp_rate >= DOT_REVFEED_FP_MIN && fp_rate <= DOT_REVFEED_FP_MAX))
		return DOT_EINVAL;
	if (n > DOT_REVFEED_MAX_IDS)
		return DOT_ERANGE;
	/* The optimum: m/n = log2(1/p) / ln 2 bits per id, k = log2(1/p). */
	l = log2_of(1.0 / fp_rate);
	kk = (uint32_t)(l + 0.5);
	if (kk < 1)
		kk = 1;
	if (kk > DOT_REVFEED_MAX_K)
		kk = DOT_REVFEED_MAX_K;
	t = (double)n * l * LOG2_E;
	if (t > (double)DOT_REVFEED_MAX_BITS)
		return DOT_ERANGE;
	bits = (uint64_t)t;
	if ((double)bits < t)
		bits++;
	if (bits < DOT_REVFEED_MIN_BITS)
		bits = DOT_REVFEED_MIN_BITS;
	while (!is_prime(bits))
		bits++;
	if (bits > DOT_REVFEED_MAX_BITS)
		return DOT_ERANGE;
	*m = bits;
	*k = kk;
	return DOT_OK;
}

/* ---- the filter ---- */

static uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The first position a and the stride b of an id (1 <= b < m). */
static void
positions(const uint8_t salt[DOT_REVFEED_SALT_LEN],
	  const uint8_t rid[DOT_RID_LEN], uint64_t m, uint64_t *a, uint64_t *b)
{
	uint8_t h[16];
	int rv;

	rv = dot_blake2b(h, sizeof(h), rid, DOT_RID_LEN, salt,
			 DOT_REVFEED_SALT_LEN);
	assert(rv == DOT_OK); /* fixed, valid lengths */
	(void)rv;
	*a = load_le64(h) % m;
	*b = load_le64(h + 8) % (m - 1) + 1;
}

static void
filter_fill(uint8_t *bits, uint64_t m, uint32_t k,
	    const uint8_t salt[DOT_REVFEED_SALT_LEN], const uint8_t *ids,
	    size_t nids)
{
	for (size_t n = 0; n < nids; n++) {
		uint64_t j, b;

		positions(salt, ids + n * DOT_RID_LEN, m, &j, &b);
		for (uint32_t i = 0; i < k; i++) {
			bits[j >> 3] |= (uint8_t)(1u << (j & 7));
			j += b; /* < 2m <= 2^28: no overflow */
			if (j >= m)
				j -= m;
		}
	}
}

int
dot_revfeed_maybe_revoked(const struct dot_revfeed *f,
			  const uint8_t rid[DOT_RID_LEN])
{
	uint64_t j, b;

	positions(f->salt, rid, f->m, &j, &b);
	for (uint32_t i = 0; i < f->k; i++) {
		if (!(f->bits[j >> 3] & (1u << (j & 7))))
			return 0;
		j += b;
		if (j >= f->m)
			j -= f->m;
	}
	return 1;
}

static uint64_t
popcount_bytes(const uint8_t *p, size_t n)
{
	uint64_t c = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		c += (uint64_t)__builtin_popcountll(w);
	}
	for (; i < n; i++)
		c += (uint64_t)__builtin_popcount(p[i]);
	return c;
}

/* ---- signatures ---- */

/* The signatures of a parsed feed or answer: slices of its bytes. */
struct sigset {
	size_t n;
	size_t off; /* offset of the signatures' map key: the body's end */
	const uint8_t *kid[DOT_REVFEED_MAX_SIGS];
	const uint8_t *sig[DOT_REVFEED_MAX_SIGS];
	size_t siglen[DOT_REVFEED_MAX_SIGS];
};

/*
 * D = BLAKE2b-256(dom || body), where body is the map map[0..end) with its
 * one-byte head counting body_pairs pairs (one fewer than the map has).
 */
static void
body_digest(const char *dom, const uint8_t *map, size_t end,
	    unsigned body_pairs, uint8_t d[DOT_HASH_LEN])
{
	struct dot_hash_ctx h;
	uint8_t head = (uint8_t)(0xa0 | body_pairs);

	assert(body_pairs < 24 && end >= 1);
	dot_hash_init(&h);
	dot_hash_update(&h, dom, strlen(dom));
	dot_hash_update(&h, &head, 1);
	dot_hash_update(&h, map + 1, end - 1);
	dot_hash_final(&h, d);
}

static void
signer_kid(const struct dot_sign_sk *sk, uint8_t kid[DOT_KEY_ID_LEN])
{
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen = dot_sign_sk_public(sk, pk);

	dot_key_id(pk, pklen, kid);
}

static void
enc_sig_entry(struct dot_buf *b, const uint8_t *kid, const uint8_t *sig,
	      size_t siglen)
{
	dot_enc_array(b, 2);
	dot_enc_bstr(b, kid, DOT_KEY_ID_LEN);
	dot_enc_bstr(b, sig, siglen);
}

/*
 * The map's body (map[0..end), with its full head) sits at out[start..):
 * sign it and append the signatures field with this one signature.
 */
static int
sign_first(struct dot_buf *out, size_t start, const char *dom, unsigned pairs,
	   uint64_t sigkey, const struct dot_sign_sk *sk, const char *what,
	   struct dot_err *e)
{
	uint8_t d[DOT_HASH_LEN], kid[DOT_KEY_ID_LEN], sig[DOT_SIGN_SIG_MAX];
	size_t siglen;
	int rv;

	if (out->err)
		return dot_err_set(e, out->err, "encoding the %s", what);
	body_digest(dom, out->data + start, out->len - start, pairs - 1, d);
	signer_kid(sk, kid);
	rv = dot_sign(sk, d, DOT_HASH_LEN, sig, &siglen);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "signing the %s: %s", what,
				   dot_strerror(rv));
	dot_enc_uint(out, sigkey);
	dot_enc_array(out, 1);
	enc_sig_entry(out, kid, sig, siglen);
	if (out->err)
		return dot_err_set(e, out->err, "encoding the %s", what);
	return DOT_OK;
}

/*
 * Append buf (a parsed feed or answer) with one more signature, keeping
 * the signatures in ascending key id order.
 */
static int
sign_more(const uint8_t *buf, const struct sigset *ss, const char *dom,
	  unsigned pairs, uint64_t sigkey, const struct dot_sign_sk *sk,
	  struct dot_buf *out, const char *what, struct dot_err *e)
{
	uint8_t d[DOT_HASH_LEN], kid[DOT_KEY_ID_LEN], sig[DOT_SIGN_SIG_MAX];
	size_t siglen, start = out->len;
	int rv, placed = 0;

	signer_kid(sk, kid);
	for (size_t i = 0; i < ss->n; i++)
		if (memcmp(ss->kid[i], kid, DOT_KEY_ID_LEN) == 0)
			return dot_err_set(e, DOT_EINVAL,
					   "this key has signed the %s already "
					   "(signature %zu)",
					   what, i);
	if (ss->n >= DOT_REVFEED_MAX_SIGS)
		return dot_err_set(e, DOT_ERANGE,
				   "the %s has %d signatures, the most it "
				   "may carry",
				   what, DOT_REVFEED_MAX_SIGS);
	body_digest(dom, buf, ss->off, pairs - 1, d);
	rv = dot_sign(sk, d, DOT_HASH_LEN, sig, &siglen);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "signing the %s: %s", what,
				   dot_strerror(rv));
	dot_buf_put(out, buf, ss->off);
	dot_enc_uint(out, sigkey);
	dot_enc_array(out, ss->n + 1);
	for (size_t i = 0; i < ss->n; i++) {
		if (!placed && memcmp(kid, ss->kid[i], DOT_KEY_ID_LEN) < 0) {
			enc_sig_entry(out, kid, sig, siglen);
			placed = 1;
		}
		enc_sig_entry(out, ss->kid[i], ss->sig[i], ss->siglen[i]);
	}
	if (!placed)
		enc_sig_entry(out, kid, sig, siglen);
	if (out->err) {
		rv = dot_err_set(e, out->err, "encoding the %s", what);
		out->len = start < out->len ? start : out->len;
		return rv;
	}
	return DOT_OK;
}

static int
trust_check(const struct dot_revfeed_trust *t, struct dot_err *e)
{
	if (t == NULL || t->cluster_id == NULL || t->keys == NULL ||
	    t->nkeys == 0 || t->nkeys > MAX_TRUSTED_KEYS)
		return dot_err_set(e, DOT_EINVAL,
				   "the trust set needs a cluster id and 1..%d "
				   "node keys",
				   MAX_TRUSTED_KEYS);
	if (t->threshold > t->nkeys || t->threshold > DOT_REVFEED_MAX_SIGS)
		return dot_err_set(e, DOT_EINVAL,
				   "threshold %zu: at most the %zu trusted "
				   "keys and at most %d",
				   t->threshold, t->nkeys,
				   DOT_REVFEED_MAX_SIGS);
	for (size_t i = 0; i < t->nkeys; i++)
		if (t->keys[i].pk == NULL ||
		    dot_sign_pk_check(t->keys[i].pk, t->keys[i].pk_len) !=
			DOT_OK)
			return dot_err_set(e, DOT_ECRYPTO_KEY,
					   "trusted key %zu is not a valid "
					   "public signing key",
					   i);
	return DOT_OK;
}

/*
 * Every signature by a trusted key (by key id) must verify; at least the
 * threshold of them must be there. Others are ignored.
 */
static int
sigs_verify(const uint8_t d[DOT_HASH_LEN], const struct sigset *ss,
	    const struct dot_revfeed_trust *t, size_t *nverified,
	    const char *what, struct dot_err *e)
{
	size_t count = 0, need = t->threshold ? t->threshold : 1;

	for (size_t i = 0; i < ss->n; i++) {
		int known = 0, ok = 0;

		for (size_t j = 0; j < t->nkeys && !ok; j++) {
			uint8_t id[DOT_KEY_ID_LEN];

			dot_key_id(t->keys[j].pk, t->keys[j].pk_len, id);
			if (memcmp(id, ss->kid[i], DOT_KEY_ID_LEN) != 0)
				continue;
			known = 1;
			ok = dot_verify(t->keys[j].pk, t->keys[j].pk_len, d,
					DOT_HASH_LEN, ss->sig[i],
					ss->siglen[i]) == DOT_OK;
		}
		if (known && !ok)
			return dot_err_set(e, DOT_ECRYPTO_SIGNATURE,
					   "%s signature %zu, by a trusted "
					   "key, does not verify",
					   what, i);
		count += (size_t)ok;
	}
	if (count < need)
		return dot_err_set(e, DOT_ECRYPTO_SIGNATURE,
				   "the %s carries %zu signatures by trusted "
				   "keys; %zu are required",
				   what, count, need);
	*nverified = count;
	return DOT_OK;
}

/* ---- strict reading ---- */

struct rd {
	struct dot_dec d;
	struct dot_err ce; /* the cursor's own messages (with the byte) */
	struct dot_err *e;
	const char *what; /* "feed" or "answer" */
};

static int
rd_fail(struct rd *r, const char *name)
{
	return dot_err_set(r->e, r->ce.code, "%s field %s: %s", r->what, name,
			   r->ce.msg);
}

/* The next map key must be `key`: the map has an exact number of pairs in
 * ascending order, so another key means this field is missing. */
static int
rd_key(struct rd *r, uint64_t key, const char *name)
{
	size_t at = r->d.off;
	uint64_t got;

	if (dot_dec_uint(&r->d, &got) != DOT_OK)
		return rd_fail(r, name);
	if (got != key)
		return dot_err_set(r->e, DOT_ECODEC_FIELD,
				   "%s: byte %zu: key %" PRIu64 " where field "
				   "%" PRIu64 " (%s) is required",
				   r->what, at, got, key, name);
	return DOT_OK;
}

static int
rd_uint(struct rd *r, uint64_t key, const char *name, uint64_t *v)
{
	int rv = rd_key(r, key, name);

	if (rv != DOT_OK)
		return rv;
	if (dot_dec_uint(&r->d, v) != DOT_OK)
		return rd_fail(r, name);
	return DOT_OK;
}

static int
rd_bstr_fixed(struct rd *r, uint64_t key, const char *name, const uint8_t **p,
	      size_t n)
{
	int rv = rd_key(r, key, name);

	if (rv != DOT_OK)
		return rv;
	if (dot_dec_bstr_fixed(&r->d, p, n) != DOT_OK)
		return rd_fail(r, name);
	return DOT_OK;
}

/* Set up the cursor, read the map head and the version (field 1, first,
 * so a later version is named as such), then check the field count. */
static int
rd_begin(struct rd *r, const uint8_t *buf, size_t n,
	 const struct dot_codec_limits *lim, const char *what, uint64_t pairs,
	 struct dot_err *e)
{
	uint64_t npairs, version;
	int rv;

	memset(r, 0, sizeof(*r));
	r->e = e;
	r->what = what;
	if (dot_dec_init(&r->d, buf, n, lim, &r->ce) != DOT_OK)
		return dot_err_set(e, r->ce.code, "%s: %s", what, r->ce.msg);
	if (dot_dec_map(&r->d, &npairs) != DOT_OK)
		return dot_err_set(e, r->ce.code, "%s is not a map: %s", what,
				   r->ce.msg);
	if (npairs == 0)
		return dot_err_set(e, DOT_ECODEC_FIELD, "%s is an empty map",
				   what);
	if ((rv = rd_uint(r, 1, "version", &version)) != DOT_OK)
		return rv;
	if (version != DOT_REVFEED_VERSION)
		return dot_err_set(e, DOT_ERANGE,
				   "%s version %" PRIu64 ", this build reads "
				   "%d",
				   what, version, DOT_REVFEED_VERSION);
	if (npairs != pairs)
		return dot_err_set(e, DOT_ECODEC_FIELD,
				   "%s has %" PRIu64 " fields; version %d has "
				   "%" PRIu64,
				   what, npairs, DOT_REVFEED_VERSION, pairs);
	return DOT_OK;
}

/* The last field: 1..16 [key id, signature] pairs, by ascending key id. */
static int
rd_sigs(struct rd *r, uint64_t key, struct sigset *ss)
{
	uint64_t cnt, two;
	int rv;

	ss->off = r->d.off;
	if ((rv = rd_key(r, key, "signatures")) != DOT_OK)
		return rv;
	if (dot_dec_array(&r->d, &cnt) != DOT_OK)
		return rd_fail(r, "signatures");
	if (cnt == 0 || cnt > DOT_REVFEED_MAX_SIGS)
		return dot_err_set(r->e, DOT_ECODEC_LENGTH,
				   "%s has %" PRIu64 " signatures: 1..%d",
				   r->what, cnt, DOT_REVFEED_MAX_SIGS);
	ss->n = (size_t)cnt;
	for (size_t i = 0; i < ss->n; i++) {
		size_t at = r->d.off;

		if (dot_dec_array(&r->d, &two) != DOT_OK)
			return rd_fail(r, "signatures");
		if (two != 2)
			return dot_err_set(r->e, DOT_ECODEC_LENGTH,
					   "%s: byte %zu: signature %zu is not "
					   "a [key id, signature] pair",
					   r->what, at, i);
		if (dot_dec_bstr_fixed(&r->d, &ss->kid[i], DOT_KEY_ID_LEN) !=
			DOT_OK ||
		    dot_dec_bstr(&r->d, &ss->sig[i], &ss->siglen[i]) != DOT_OK)
			return rd_fail(r, "signatures");
		if (ss->siglen[i] == 0 ||
		    dot_sign_sig_len(ss->sig[i][0]) != ss->siglen[i])
			return dot_err_set(
			    r->e, DOT_ECRYPTO_SUITE,
			    "%s: byte %zu: signature %zu is not "
			    "suite || signature of a known suite",
			    r->what, at, i);
		if (i > 0 &&
		    memcmp(ss->kid[i - 1], ss->kid[i], DOT_KEY_ID_LEN) >= 0)
			return dot_err_set(r->e, DOT_ECODEC_KEYORDER,
					   "%s: byte %zu: signature %zu: key "
					   "ids are not strictly ascending",
					   r->what, at, i);
	}
	assert(dot_dec_done(&r->d)); /* the map was the whole buffer */
	return DOT_OK;
}

/* ---- feeds ---- */

/* A parsed feed: slices of the buffer. */
struct feed_fields {
	const uint8_t *cluster_id, *salt, *bits;
	uint64_t index, created, nids, k, m;
	size_t nbytes;
	struct sigset ss;
};

static int
feed_parse(const uint8_t *buf, size_t n, struct feed_fields *f,
	   struct dot_err *e)
{
	struct rd r;
	uint64_t set;
	int rv;

	memset(f, 0, sizeof(*f));
	if (n > DOT_REVFEED_MAX_LEN)
		return dot_err_set(e, DOT_ECODEC_LENGTH,
				   "feed of %zu bytes: at most %" PRIu64, n,
				   (uint64_t)DOT_REVFEED_MAX_LEN);
	rv = rd_begin(&r, buf, n, &feed_limits, "feed", FEED_PAIRS, e);
	if (rv != DOT_OK)
		return rv;
	if ((rv = rd_bstr_fixed(&r, FK_CLUSTER, "cluster id", &f->cluster_id,
				DOT_REVFEED_CLUSTER_ID_LEN)) != DOT_OK ||
	    (rv = rd_uint(&r, FK_INDEX, "ledger index", &f->index)) != DOT_OK ||
	    (rv = rd_uint(&r, FK_CREATED, "created", &f->created)) != DOT_OK ||
	    (rv = rd_uint(&r, FK_NIDS, "ids", &f->nids)) != DOT_OK)
		return rv;
	if (f->nids > DOT_REVFEED_MAX_IDS)
		return dot_err_set(e, DOT_ERANGE,
				   "feed of %" PRIu64 " ids: at most %u",
				   f->nids, DOT_REVFEED_MAX_IDS);
	if ((rv = rd_bstr_fixed(&r, FK_SALT, "salt", &f->salt,
				DOT_REVFEED_SALT_LEN)) != DOT_OK ||
	    (rv = rd_uint(&r, FK_K, "k", &f->k)) != DOT_OK)
		return rv;
	if (f->k < 1 || f->k > DOT_REVFEED_MAX_K)
		return dot_err_set(e, DOT_ERANGE,
				   "feed k = %" PRIu64 ": must be 1..%u", f->k,
				   DOT_REVFEED_MAX_K);
	if ((rv = rd_uint(&r, FK_M, "m", &f->m)) != DOT_OK)
		return rv;
	if (f->m < DOT_REVFEED_MIN_BITS || f->m > DOT_REVFEED_MAX_BITS)
		return dot_err_set(e, DOT_ERANGE,
				   "feed m = %" PRIu64 " bits: must be "
				   "%u..%" PRIu64,
				   f->m, DOT_REVFEED_MIN_BITS,
				   (uint64_t)DOT_REVFEED_MAX_BITS);
	if ((rv = rd_key(&r, FK_BITS, "bits")) != DOT_OK)
		return rv;
	if (dot_dec_bstr(&r.d, &f->bits, &f->nbytes) != DOT_OK)
		return rd_fail(&r, "bits");
	if (f->nbytes != (f->m + 7) / 8)
		return dot_err_set(e, DOT_ECODEC_LENGTH,
				   "feed bits: %zu bytes for m = %" PRIu64
				   ", which needs %" PRIu64,
				   f->nbytes, f->m, (f->m + 7) / 8);
	if (f->m % 8 != 0 && (f->bits[f->nbytes - 1] >> (f->m % 8)) != 0)
		return dot_err_set(e, DOT_ECODEC_NONCANONICAL,
				   "feed bits: a padding bit past bit m = "
				   "%" PRIu64 " is set",
				   f->m);
	set = popcount_bytes(f->bits, f->nbytes);
	if (set > f->nids * f->k)
		return dot_err_set(e, DOT_ERANGE,
				   "feed bits: %" PRIu64 " set, more than "
				   "%" PRIu64 " ids x k = %" PRIu64 " can set",
				   set, f->nids, f->k);
	return rd_sigs(&r, FK_SIGS, &f->ss);
}

/* Append the map head and fields 1..9 of a feed. */
static void
feed_encode_body(struct dot_buf *out, const uint8_t *cluster_id, uint64_t index,
		 uint64_t created, uint64_t nids, const uint8_t *salt,
		 uint32_t k, uint64_t m, const uint8_t *bits)
{
	dot_enc_map(out, FEED_PAIRS);
	dot_enc_uint(out, FK_VERSION);
	dot_enc_uint(out, DOT_REVFEED_VERSION);
	dot_enc_uint(out, FK_CLUSTER);
	dot_enc_bstr(out, cluster_id, DOT_REVFEED_CLUSTER_ID_LEN);
	dot_enc_uint(out, FK_INDEX);
	dot_enc_uint(out, index);
	dot_enc_uint(out, FK_CREATED);
	dot_enc_uint(out, created);
	dot_enc_uint(out, FK_NIDS);
	dot_enc_uint(out, nids);
	dot_enc_uint(out, FK_SALT);
	dot_enc_bstr(out, salt, DOT_REVFEED_SALT_LEN);
	dot_enc_uint(out, FK_K);
	dot_enc_uint(out, k);
	dot_enc_uint(out, FK_M);
	dot_enc_uint(out, m);
	dot_enc_uint(out, FK_BITS);
	dot_enc_bstr(out, bits, (size_t)((m + 7) / 8));
}

int
dot_revfeed_build(const struct dot_revfeed_params *p, const uint8_t *ids,
		  size_t nids, const struct dot_sign_sk *sk,
		  struct dot_buf *out, struct dot_err *e)
{
	uint8_t *bits = NULL;
	size_t start;
	uint64_t m;
	uint32_t k;
	int rv;

	if (p == NULL || p->cluster_id == NULL || p->salt == NULL ||
	    sk == NULL || out == NULL || (nids > 0 && ids == NULL))
		return dot_err_set(e, DOT_EINVAL,
				   "a feed needs a cluster id, a salt, the ids "
				   "and a node key");
	start = out->len;
	rv = dot_revfeed_dimension(nids, p->fp_rate, &m, &k);
	if (rv == DOT_EINVAL)
		return dot_err_set(e, rv,
				   "false-positive rate %g: must be in "
				   "[%g, %g] (0 for %g)",
				   p->fp_rate, DOT_REVFEED_FP_MIN,
				   DOT_REVFEED_FP_MAX, DOT_REVFEED_FP_DEFAULT);
	if (rv != DOT_OK)
		return dot_err_set(
		    e, rv,
		    "%zu ids at a false-positive rate of %g "
		    "need more than the %u ids or the %" PRIu64
		    " bits a feed may have: choose a higher rate",
		    nids, p->fp_rate ? p->fp_rate : DOT_REVFEED_FP_DEFAULT,
		    DOT_REVFEED_MAX_IDS, (uint64_t)DOT_REVFEED_MAX_BITS);
	bits = dot_calloc(1, (size_t)((m + 7) / 8));
	if (bits == NULL) {
		rv = dot_err_set(e, DOT_ENOMEM,
				 "allocating a filter of %" PRIu64 " bits", m);
		goto out;
	}
	filter_fill(bits, m, k, p->salt, ids, nids);
	feed_encode_body(out, p->cluster_id, p->index, p->created, nids,
			 p->salt, k, m, bits);
	rv = sign_first(out, start, dom_feed, FEED_PAIRS, FK_SIGS, sk, "feed",
			e);
out:
	if (rv != DOT_OK)
		out->len = start < out->len ? start : out->len;
	dot_free(bits);
	return rv;
}

int
dot_revfeed_cosign(const uint8_t *buf, size_t n, const uint8_t *ids,
		   size_t nids, const struct dot_sign_sk *sk,
		   struct dot_buf *out, struct dot_err *e)
{
	struct feed_fields f;
	uint8_t *bits = NULL;
	int rv;

	if (sk == NULL || out == NULL || (nids > 0 && ids == NULL))
		return dot_err_set(e, DOT_EINVAL, "cosign: no key or no ids");
	if ((rv = feed_parse(buf, n, &f, e)) != DOT_OK)
		return rv;
	if (nids != f.nids)
		return dot_err_set(e, DOT_EINVAL,
				   "the feed has %" PRIu64 " ids, this node "
				   "%zu at ledger index %" PRIu64,
				   f.nids, nids, f.index);
	bits = dot_calloc(1, f.nbytes);
	if (bits == NULL) {
		rv = dot_err_set(e, DOT_ENOMEM,
				 "allocating a filter of "
				 "%zu bytes",
				 f.nbytes);
		goto out;
	}
	filter_fill(bits, f.m, (uint32_t)f.k, f.salt, ids, nids);
	if (memcmp(bits, f.bits, f.nbytes) != 0) {
		rv = dot_err_set(e, DOT_EINVAL,
				 "the feed's filter is not the one of this "
				 "node's revocation set at ledger index "
				 "%" PRIu64,
				 f.index);
		goto out;
	}
	rv = sign_more(buf, &f.ss, dom_feed, FEED_PAIRS, FK_SIGS, sk, out,
		       "feed", e);
out:
	dot_free(bits);
	return rv;
}

int
dot_revfeed_open(const uint8_t *buf, size_t n,
		 const struct dot_revfeed_trust *t, struct dot_revfeed **out,
		 struct dot_err *e)
{
	struct feed_fields f;
	struct dot_revfeed *rf;
	uint8_t d[DOT_HASH_LEN];
	size_t nverified = 0;
	int rv;

	if (out == NULL)
		return dot_err_set(e, DOT_EINVAL, "no place for the feed");
	*out = NULL;
	if ((rv = trust_check(t, e)) != DOT_OK)
		return rv;
	if ((rv = feed_parse(buf, n, &f, e)) != DOT_OK)
		return rv;
	if (memcmp(f.cluster_id, t->cluster_id, DOT_REVFEED_CLUSTER_ID_LEN) !=
	    0)
		return dot_err_set(e, DOT_EINVAL,
				   "the feed is for another cluster");
	body_digest(dom_feed, buf, f.ss.off, FEED_PAIRS - 1, d);
	if ((rv = sigs_verify(d, &f.ss, t, &nverified, "feed", e)) != DOT_OK)
		return rv;
	rf = dot_malloc(sizeof(*rf) + f.nbytes);
	if (rf == NULL)
		return dot_err_set(e, DOT_ENOMEM,
				   "allocating a feed of %zu bytes", f.nbytes);
	memset(rf, 0, sizeof(*rf));
	memcpy(rf->cluster_id, f.cluster_id, DOT_REVFEED_CLUSTER_ID_LEN);
	rf->index = f.index;
	rf->created = f.created;
	rf->nids = f.nids;
	memcpy(rf->salt, f.salt, DOT_REVFEED_SALT_LEN);
	rf->k = (uint32_t)f.k;
	rf->m = f.m;
	memcpy(rf + 1, f.bits, f.nbytes);
	rf->bits = (const uint8_t *)(rf + 1);
	rf->nbytes = f.nbytes;
	rf->nsigs = f.ss.n;
	rf->nverified = nverified;
	*out = rf;
	return DOT_OK;
}

void
dot_revfeed_free(struct dot_revfeed *f)
{
	dot_free(f);
}

int
dot_revfeed_fresh(const struct dot_revfeed *f, uint64_t now, uint64_t max_age)
{
	if (f == NULL)
		return 0;
	if (f->created > now)
		return f->created - now <= DOT_REVFEED_MAX_SKEW;
	return now - f->created < max_age;
}

int
dot_revfeed_replaces(const struct dot_revfeed *cur,
		     const struct dot_revfeed *next)
{
	if (next == NULL)
		return 0;
	if (cur == NULL)
		return 1;
	return memcmp(cur->cluster_id, next->cluster_id,
		      DOT_REVFEED_CLUSTER_ID_LEN) == 0 &&
	       next->index >= cur->index && next->created >= cur->created;
}

/* ---- exact answers ---- */

struct answer_fields {
	const uint8_t *cluster_id, *rid;
	uint64_t index, created, revoked;
	struct sigset ss;
};

static int
answer_parse(const uint8_t *buf, size_t n, struct answer_fields *a,
	     struct dot_err *e)
{
	struct rd r;
	int rv;

	memset(a, 0, sizeof(*a));
	if (n > DOT_REVFEED_ANSWER_MAX_LEN)
		return dot_err_set(e, DOT_ECODEC_LENGTH,
				   "answer of %zu bytes: at most %d", n,
				   DOT_REVFEED_ANSWER_MAX_LEN);
	rv = rd_begin(&r, buf, n, &answer_limits, "answer", ANSWER_PAIRS, e);
	if (rv != DOT_OK)
		return rv;
	if ((rv = rd_bstr_fixed(&r, AK_CLUSTER, "cluster id", &a->cluster_id,
				DOT_REVFEED_CLUSTER_ID_LEN)) != DOT_OK ||
	    (rv = rd_uint(&r, AK_INDEX, "ledger index", &a->index)) != DOT_OK ||
	    (rv = rd_uint(&r, AK_CREATED, "created", &a->created)) != DOT_OK ||
	    (rv = rd_bstr_fixed(&r, AK_RID, "revocation id", &a->rid,
				DOT_RID_LEN)) != DOT_OK ||
	    (rv = rd_uint(&r, AK_REVOKED, "revoked", &a->revoked)) != DOT_OK)
		return rv;
	if (a->revoked > 1)
		return dot_err_set(e, DOT_ERANGE,
				   "answer field revoked is %" PRIu64
				   ": must be 0 or 1",
				   a->revoked);
	return rd_sigs(&r, AK_SIGS, &a->ss);
}

int
dot_revfeed_answer_sign(const uint8_t cluster_id[DOT_REVFEED_CLUSTER_ID_LEN],
			uint64_t index, uint64_t created,
			const uint8_t rid[DOT_RID_LEN], int revoked,
			const struct dot_sign_sk *sk, struct dot_buf *out,
			struct dot_err *e)
{
	size_t start;
	int rv;

	if (cluster_id == NULL || rid == NULL || sk == NULL || out == NULL ||
	    (revoked != 0 && revoked != 1))
		return dot_err_set(e, DOT_EINVAL,
				   "an answer needs a cluster id, a rid, "
				   "revoked 0 or 1 and a node key");
	start = out->len;
	dot_enc_map(out, ANSWER_PAIRS);
	dot_enc_uint(out, AK_VERSION);
	dot_enc_uint(out, DOT_REVFEED_VERSION);
	dot_enc_uint(out, AK_CLUSTER);
	dot_enc_bstr(out, cluster_id, DOT_REVFEED_CLUSTER_ID_LEN);
	dot_enc_uint(out, AK_INDEX);
	dot_enc_uint(out, index);
	dot_enc_uint(out, AK_CREATED);
	dot_enc_uint(out, created);
	dot_enc_uint(out, AK_RID);
	dot_enc_bstr(out, rid, DOT_RID_LEN);
	dot_enc_uint(out, AK_REVOKED);
	dot_enc_uint(out, (uint64_t)revoked);
	rv = sign_first(out, start, dom_answer, ANSWER_PAIRS, AK_SIGS, sk,
			"answer", e);
	if (rv != DOT_OK)
		out->len = start < out->len ? start : out->len;
	return rv;
}

int
dot_revfeed_answer_cosign(const uint8_t *buf, size_t n, int revoked,
			  const struct dot_sign_sk *sk, struct dot_buf *out,
			  struct dot_err *e)
{
	struct answer_fields a;
	int rv;

	if (sk == NULL || out == NULL)
		return dot_err_set(e, DOT_EINVAL, "cosign: no key");
	if ((rv = answer_parse(buf, n, &a, e)) != DOT_OK)
		return rv;
	if ((uint64_t)(revoked != 0) != a.revoked ||
	    (revoked != 0 && revoked != 1))
		return dot_err_set(e, DOT_EINVAL,
				   "the answer says %s, this node says %s",
				   a.revoked ? "revoked" : "not revoked",
				   revoked ? "revoked" : "not revoked");
	return sign_more(buf, &a.ss, dom_answer, ANSWER_PAIRS, AK_SIGS, sk, out,
			 "answer", e);
}

int
dot_revfeed_answer_open(const uint8_t *buf, size_t n,
			const struct dot_revfeed_trust *t,
			struct dot_revfeed_answer *out, struct dot_err *e)
{
	struct answer_fields a;
	uint8_t d[DOT_HASH_LEN];
	size_t nverified = 0;
	int rv;

	if (out == NULL)
		return dot_err_set(e, DOT_EINVAL, "no place for the answer");
	memset(out, 0, sizeof(*out));
	if ((rv = trust_check(t, e)) != DOT_OK)
		return rv;
	if ((rv = answer_parse(buf, n, &a, e)) != DOT_OK)
		return rv;
	if (memcmp(a.cluster_id, t->cluster_id, DOT_REVFEED_CLUSTER_ID_LEN) !=
	    0)
		return dot_err_set(e, DOT_EINVAL,
				   "the answer is for another cluster");
	body_digest(dom_answer, buf, a.ss.off, ANSWER_PAIRS - 1, d);
	if ((rv = sigs_verify(d, &a.ss, t, &nverified, "answer", e)) != DOT_OK)
		return rv;
	memcpy(out->cluster_id, a.cluster_id, DOT_REVFEED_CLUSTER_ID_LEN);
	out->index = a.index;
	out->created = a.created;
	memcpy(out->rid, a.rid, DOT_RID_LEN);
	out->revoked = (int)a.revoked;
	out->nsigs = a.ss.n;
	out->nverified = nverified;
	return DOT_OK;
}

/* The answer is about rid, in f's cluster (any cluster without a feed). */
static int
answer_about(const struct dot_revfeed_answer *a, const struct dot_revfeed *f,
	     const uint8_t rid[DOT_RID_LEN])
{
	return memcmp(a->rid, rid, DOT_RID_LEN) == 0 &&
	       (f == NULL || memcmp(a->cluster_id, f->cluster_id,
				    DOT_REVFEED_CLUSTER_ID_LEN) == 0);
}

int
dot_revfeed_answer_settles(const struct dot_revfeed_answer *a,
			   const struct dot_revfeed *f,
			   const uint8_t rid[DOT_RID_LEN])
{
	if (a == NULL || f == NULL || rid == NULL)
		return 0;
	return answer_about(a, f, rid) && (a->revoked || a->index >= f->index);
}

/* ---- tokens ---- */

enum { ST_CLEAR, ST_REVOKED, ST_LOOKUP };

static int
revoked_by_answer(const struct dot_revfeed *f,
		  const struct dot_revfeed_answer *answers, size_t n,
		  const uint8_t rid[DOT_RID_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (answers[i].revoked && answer_about(&answers[i], f, rid))
			return 1;
	return 0;
}

static int
rid_status(const struct dot_revfeed *f,
	   const struct dot_revfeed_answer *answers, size_t n,
	   const uint8_t rid[DOT_RID_LEN])
{
	if (answers == NULL)
		n = 0;
	if (revoked_by_answer(f, answers, n, rid))
		return ST_REVOKED;
	if (f == NULL)
		return ST_LOOKUP;
	if (!dot_revfeed_maybe_revoked(f, rid))
		return ST_CLEAR;
	for (size_t i = 0; i < n; i++)
		if (dot_revfeed_answer_settles(&answers[i], f, rid))
			return ST_CLEAR; /* "not revoked", new enough */
	return ST_LOOKUP;
}

int
dot_revfeed_check_token(const struct dot_revfeed *f,
			const struct dot_token *tok,
			const struct dot_revfeed_answer *answers,
			size_t nanswers, size_t *block, struct dot_err *e)
{
	if (f == NULL || tok == NULL || (nanswers > 0 && answers == NULL))
		return dot_err_set(e, DOT_EINVAL,
				   "checking a token needs a feed and a "
				   "token");
	/* A definite "revoked" anywhere wins over a pending lookup. */
	for (size_t i = 0; i < tok->nblocks; i++)
		if (revoked_by_answer(f, answers, nanswers,
				      tok->blocks[i].rid)) {
			if (block != NULL)
				*block = i;
			return dot_err_set(e, DOT_ETOKEN_REVOKED,
					   "block %zu has been revoked (a "
					   "signed answer says so)",
					   i);
		}
	for (size_t i = 0; i < tok->nblocks; i++)
		if (rid_status(f, answers, nanswers, tok->blocks[i].rid) ==
		    ST_LOOKUP) {
			if (block != NULL)
				*block = i;
			return dot_err_set(e, DOT_REVFEED_LOOKUP,
					   "block %zu may be revoked: the feed "
					   "at ledger index %" PRIu64
					   " has its "
					   "id in the filter; look it up",
					   i, f->index);
		}
	return DOT_OK;
}

int
dot_revfeed_token_revoked(void *check, const uint8_t rid[DOT_RID_LEN])
{
	struct dot_revfeed_check *c = check;
	int st;

	if (c == NULL)
		return 1;
	st = rid_status(c->feed, c->answers, c->nanswers, rid);
	/* dot_token_verify stops at the first 1: the last call decides. */
	c->lookup = st == ST_LOOKUP;
	if (c->lookup)
		memcpy(c->lookup_rid, rid, DOT_RID_LEN);
	return st != ST_CLEAR;
}
