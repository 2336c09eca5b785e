/*
 * test_revfeed.c - the revocation feed (docs/revocation-feed.md): the
 * format byte for byte against the document, no false negatives, the
 * measured false-positive rate, every refusal (keys, threshold, cluster,
 * flipped bytes, truncation, non-canonical and out-of-bound fields), exact
 * answers, and the check of a token's blocks.
 */
#include <sodium.h>

#include "doteros/codec.h"
#include "doteros/heap.h"
#include "doteros/revfeed.h"
#include "doteros/token.h"
#include "harness.h"

#define T0 1700000000u

struct key {
	struct dot_sign_sk *sk;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
	uint8_t kid[DOT_KEY_ID_LEN];
};

/* 0..2 nodes of the cluster; 3 a stranger; 4..6 token issuer and holders. */
static struct key K[7];
static const uint8_t CLUSTER[16] = "cluster-one-1234";
static const uint8_t OTHER_CLUSTER[16] = "cluster-two-5678";
static uint8_t SALT[32];

static void
keys_init(void)
{
	static int done;

	if (done)
		return;
	if (dot_crypto_init() != DOT_OK)
		abort();
	for (int i = 0; i < 7; i++) {
		uint8_t seed[32];

		memset(seed, 0x60 + i, sizeof(seed));
		if (dot_sign_sk_from_seed(&K[i].sk, DOT_SUITE_ED25519, seed) !=
		    DOT_OK)
			abort();
		K[i].pklen = dot_sign_sk_public(K[i].sk, K[i].pk);
		dot_key_id(K[i].pk, K[i].pklen, K[i].kid);
	}
	memset(SALT, 0x5a, sizeof(SALT));
	done = 1;
}

/* A trust set of keys K[a..b). */
struct trust {
	struct dot_revfeed_key keys[4];
	struct dot_revfeed_trust t;
};

static const struct dot_revfeed_trust *
trust(struct trust *tr, int a, int b, size_t threshold, const uint8_t *cluster)
{
	keys_init();
	memset(tr, 0, sizeof(*tr));
	for (int i = a; i < b; i++) {
		tr->keys[i - a].pk = K[i].pk;
		tr->keys[i - a].pk_len = K[i].pklen;
	}
	tr->t.cluster_id = cluster;
	tr->t.keys = tr->keys;
	tr->t.nkeys = (size_t)(b - a);
	tr->t.threshold = threshold;
	return &tr->t;
}

/* n random ids from a seed. */
static uint8_t *
random_ids(size_t n, uint64_t *seed)
{
	uint8_t *ids = malloc(n * DOT_RID_LEN + 1);

	if (ids == NULL)
		abort();
	for (size_t i = 0; i < n * DOT_RID_LEN; i += 8) {
		uint64_t v = t_rand(seed);
		memcpy(ids + i, &v, 8);
	}
	return ids;
}

static int
build(const uint8_t *ids, size_t n, double rate, uint64_t index,
      const struct key *k, struct dot_buf *out)
{
	struct dot_revfeed_params p = {CLUSTER, index, T0, SALT, rate};
	struct dot_err e = {0};
	int rv;

	keys_init();
	rv = dot_revfeed_build(&p, ids, n, k->sk, out, &e);
	if (rv != DOT_OK)
		printf("# build: %s\n", e.msg);
	return rv;
}

static int
open_feed(const struct dot_buf *b, const struct dot_revfeed_trust *t,
	  struct dot_revfeed **f)
{
	struct dot_err e = {0};
	int rv = dot_revfeed_open(b->data, b->len, t, f, &e);

	if (rv != DOT_OK && e.code != rv)
		printf("# open: refusal without its context\n");
	return rv;
}

/*
 * The feed as docs/revocation-feed.md §2 and §3 describe it, encoded here
 * independently of lib/token/revfeed.c, with knobs to break one rule.
 */
struct raw {
	uint64_t version;
	const uint8_t *cluster;
	uint64_t index, created, nids;
	const uint8_t *salt;
	uint64_t k, m;
	const uint8_t *bits;
	size_t nbytes;
	const struct key *signers[4]; /* in ascending key id order */
	size_t nsigners;
	uint64_t omit;	  /* a field 1..9 to leave out, or 0 */
	uint64_t extra;	  /* a field key to add after the signatures */
	int reverse_sigs; /* signatures in descending key id order */
};

static void
raw_feed(const struct raw *r, struct dot_buf *out)
{
	struct dot_buf body = {0};
	struct dot_hash_ctx h;
	uint8_t d[DOT_HASH_LEN];
	static const char dom[] = "dot-revfeed-v1 feed";
	unsigned pairs = 9 - (r->omit != 0);

	dot_enc_map(&body, pairs);
#define F(key, enc)                                                            \
	if (r->omit != key) {                                                  \
		dot_enc_uint(&body, key);                                      \
		enc;                                                           \
	}
	F(1, dot_enc_uint(&body, r->version));
	F(2, dot_enc_bstr(&body, r->cluster, 16));
	F(3, dot_enc_uint(&body, r->index));
	F(4, dot_enc_uint(&body, r->created));
	F(5, dot_enc_uint(&body, r->nids));
	F(6, dot_enc_bstr(&body, r->salt, 32));
	F(7, dot_enc_uint(&body, r->k));
	F(8, dot_enc_uint(&body, r->m));
	F(9, dot_enc_bstr(&body, r->bits, r->nbytes));
#undef F
	dot_hash_init(&h);
	dot_hash_update(&h, dom, strlen(dom));
	dot_hash_update(&h, body.data, body.len);
	dot_hash_final(&h, d);
	dot_enc_map(out, pairs + 1 + (r->extra != 0));
	dot_buf_put(out, body.data + 1, body.len - 1);
	dot_enc_uint(out, 10);
	dot_enc_array(out, r->nsigners);
	for (size_t i = 0; i < r->nsigners; i++) {
		const struct key *k =
		    r->signers[r->reverse_sigs ? r->nsigners - 1 - i : i];
		uint8_t sig[DOT_SIGN_SIG_MAX];
		size_t siglen;

		if (dot_sign(k->sk, d, sizeof(d), sig, &siglen) != DOT_OK)
			abort();
		dot_enc_array(out, 2);
		dot_enc_bstr(out, k->kid, DOT_KEY_ID_LEN);
		dot_enc_bstr(out, sig, siglen);
	}
	if (r->extra) {
		dot_enc_uint(out, r->extra);
		dot_enc_uint(out, 0);
	}
	dot_buf_free(&body);
}

/* A small valid raw feed over the given bits, signed by K[0]. */
static struct raw
raw_default(const uint8_t *bits, size_t nbytes, uint64_t m)
{
	struct raw r;

	keys_init();
	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.cluster = CLUSTER;
	r.index = 42;
	r.created = T0;
	r.nids = 8;
	r.salt = SALT;
	r.k = 7;
	r.m = m;
	r.bits = bits;
	r.nbytes = nbytes;
	r.signers[0] = &K[0];
	r.nsigners = 1;
	return r;
}

static int
open_raw(const struct raw *r, struct dot_err *e)
{
	struct trust tr;
	struct dot_buf b = {0};
	struct dot_revfeed *f = NULL;
	int rv;

	raw_feed(r, &b);
	if (b.err)
		abort();
	rv = dot_revfeed_open(b.data, b.len, trust(&tr, 0, 3, 1, CLUSTER), &f,
			      e);
	dot_revfeed_free(f);
	dot_buf_free(&b);
	return rv;
}

/* ---- dimensions ---- */

static void
test_dimension(void)
{
	uint64_t m;
	uint32_t k;

	REQUIRE_RC(dot_revfeed_dimension(1000, 0, &m, &k), DOT_OK);
	CHECK(k == 20);
	CHECK(m >= 28755 && m < 28800); /* 28.755 bits per id, then prime */
	REQUIRE_RC(dot_revfeed_dimension(1000000, 1e-6, &m, &k), DOT_OK);
	CHECK(m >= 28755176 && m < 28755500);
	printf("# 1M ids at 1e-6: m = %" PRIu64 " bits (%" PRIu64
	       " bytes), k = %u\n",
	       m, (m + 7) / 8, k);
	REQUIRE_RC(dot_revfeed_dimension(0, 0, &m, &k), DOT_OK);
	CHECK(m == 67); /* the first prime >= 64 */
	REQUIRE_RC(dot_revfeed_dimension(100, 0.5, &m, &k), DOT_OK);
	CHECK(k == 1);
	REQUIRE_RC(dot_revfeed_dimension(100, 1e-9, &m, &k), DOT_OK);
	CHECK(k == 30);
	/* The most ids fit at the default rate; past it, or too fine a rate
	 * for as many, they do not. */
	REQUIRE_RC(dot_revfeed_dimension(DOT_REVFEED_MAX_IDS, 0, &m, &k),
		   DOT_OK);
	CHECK(m <= DOT_REVFEED_MAX_BITS);
	CHECK_RC(dot_revfeed_dimension(DOT_REVFEED_MAX_IDS + 1ull, 0, &m, &k),
		 DOT_ERANGE);
	CHECK_RC(dot_revfeed_dimension(DOT_REVFEED_MAX_IDS, 1e-9, &m, &k),
		 DOT_ERANGE);
	CHECK_RC(dot_revfeed_dimension(10, 0.6, &m, &k), DOT_EINVAL);
	CHECK_RC(dot_revfeed_dimension(10, 1e-10, &m, &k), DOT_EINVAL);
	CHECK_RC(dot_revfeed_dimension(10, -1e-3, &m, &k), DOT_EINVAL);
	CHECK_RC(dot_revfeed_dimension(10, __builtin_nan(""), &m, &k),
		 DOT_EINVAL);
}

/* ---- building and opening ---- */

static void
test_roundtrip_and_spec(void)
{
	uint64_t seed = 1;
	uint8_t *ids = random_ids(1000, &seed);
	struct dot_buf b = {0}, b2 = {0}, raw = {0};
	struct dot_revfeed *f = NULL;
	struct trust tr;
	struct raw r;
	uint64_t m;
	uint32_t k;

	REQUIRE_RC(build(ids, 1000, 0, 77, &K[0], &b), DOT_OK);
	REQUIRE_RC(open_feed(&b, trust(&tr, 0, 3, 1, CLUSTER), &f), DOT_OK);
	CHECK(dot_revfeed_dimension(1000, 0, &m, &k) == DOT_OK);
	CHECK(f->m == m && f->k == k && f->nbytes == (m + 7) / 8);
	CHECK(f->index == 77 && f->created == T0 && f->nids == 1000);
	CHECK_MEM(f->cluster_id, CLUSTER, 16);
	CHECK_MEM(f->salt, SALT, 32);
	CHECK(f->nsigs == 1 && f->nverified == 1);
	for (size_t i = 0; i < 1000; i++)
		CHECK(dot_revfeed_maybe_revoked(f, ids + i * DOT_RID_LEN) == 1);
	/* The encoding is a function of the arguments. */
	REQUIRE_RC(build(ids, 1000, 0, 77, &K[0], &b2), DOT_OK);
	CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
	/* And it is the document's, byte for byte, signature included. */
	r = raw_default(f->bits, f->nbytes, f->m);
	r.index = 77;
	r.nids = 1000;
	r.k = f->k;
	raw_feed(&r, &raw);
	CHECK(raw.len == b.len && memcmp(raw.data, b.data, b.len) == 0);
	/* Head, version, cluster id, in that order (§2). */
	CHECK(b.data[0] == 0xaa && b.data[1] == 0x01 && b.data[2] == 0x01);
	CHECK(b.data[3] == 0x02 && b.data[4] == 0x50);
	printf("# 1000 ids: %zu bytes encoded, m = %" PRIu64 ", k = %u\n",
	       b.len, f->m, f->k);
	dot_revfeed_free(f);
	dot_buf_free(&raw);
	dot_buf_free(&b);
	dot_buf_free(&b2);
	free(ids);
}

static void
test_empty_feed(void)
{
	struct dot_buf b = {0};
	struct dot_revfeed *f = NULL;
	struct trust tr;
	uint8_t rid[DOT_RID_LEN] = {1};

	REQUIRE_RC(build(NULL, 0, 0, 1, &K[0], &b), DOT_OK);
	REQUIRE_RC(open_feed(&b, trust(&tr, 0, 1, 1, CLUSTER), &f), DOT_OK);
	CHECK(f->nids == 0 && f->m == 67);
	CHECK(dot_revfeed_maybe_revoked(f, rid) == 0);
	dot_revfeed_free(f);
	dot_buf_free(&b);
}

/* Property: every inserted id is "maybe", for random sets and rates. */
static void
test_no_false_negatives(void)
{
	static const double rates[] = {0.5, 0.1, 1e-3, 1e-6, 1e-9};
	uint64_t seed = 0x1234;
	struct trust tr;

	trust(&tr, 0, 1, 1, CLUSTER);
	for (int round = 0; round < 40; round++) {
		size_t n = (size_t)(t_rand(&seed) % 2500);
		double rate = rates[t_rand(&seed) % 5];
		uint8_t *ids = random_ids(n, &seed);
		struct dot_buf b = {0};
		struct dot_revfeed *f = NULL;
		size_t missed = 0;

		for (size_t i = 0; i < sizeof(SALT); i++)
			SALT[i] = (uint8_t)t_rand(&seed);
		REQUIRE_RC(build(ids, n, rate, (uint64_t)round, &K[0], &b),
			   DOT_OK);
		REQUIRE_RC(open_feed(&b, &tr.t, &f), DOT_OK);
		for (size_t i = 0; i < n; i++)
			missed += !dot_revfeed_maybe_revoked(
			    f, ids + i * DOT_RID_LEN);
		CHECK(missed == 0);
		dot_revfeed_free(f);
		dot_buf_free(&b);
		free(ids);
	}
	memset(SALT, 0x5a, sizeof(SALT));
}

/* Hits among `trials` random ids that are not in the feed. */
static uint64_t
false_hits(const struct dot_revfeed *f, uint64_t trials, uint64_t seed)
{
	uint64_t hits = 0;

	for (uint64_t i = 0; i < trials; i++) {
		uint8_t rid[DOT_RID_LEN];

		for (int j = 0; j < 4; j++) {
			uint64_t v = t_rand(&seed);
			memcpy(rid + 8 * j, &v, 8);
		}
		/* The members came from another seed: a collision with one
		 * of them has probability 2^-200 or so. */
		hits += (uint64_t)dot_revfeed_maybe_revoked(f, rid);
	}
	return hits;
}

static void
test_false_positive_rate(void)
{
	static const double rates[] = {1e-2, 1e-3, 1e-4};
	uint64_t seed = 99;
	uint8_t *ids = random_ids(10000, &seed);
	struct trust tr;

	trust(&tr, 0, 1, 1, CLUSTER);
	for (size_t r = 0; r < 3; r++) {
		struct dot_buf b = {0};
		struct dot_revfeed *f = NULL;
		const uint64_t trials = 200000;
		uint64_t hits;
		double measured;

		REQUIRE_RC(build(ids, 10000, rates[r], 5, &K[0], &b), DOT_OK);
		REQUIRE_RC(open_feed(&b, &tr.t, &f), DOT_OK);
		hits = false_hits(f, trials, 0xfeed + r);
		measured = (double)hits / (double)trials;
		printf("# target %g: %" PRIu64 " of %" PRIu64 " non-members "
		       "hit, measured %g (m = %" PRIu64 ", k = %u)\n",
		       rates[r], hits, trials, measured, f->m, f->k);
		CHECK(measured < 3 * rates[r]);
		CHECK(measured > rates[r] / 3);
		dot_revfeed_free(f);
		dot_buf_free(&b);
	}
	/* The default, 1e-6: a million non-members, expected about one. */
	{
		struct dot_buf b = {0};
		struct dot_revfeed *f = NULL;
		uint64_t hits;

		REQUIRE_RC(build(ids, 10000, 0, 5, &K[0], &b), DOT_OK);
		REQUIRE_RC(open_feed(&b, &tr.t, &f), DOT_OK);
		hits = false_hits(f, 1000000, 0xdefa);
		printf("# target 1e-06: %" PRIu64 " of 1000000 non-members "
		       "hit (m = %" PRIu64 ", k = %u)\n",
		       hits, f->m, f->k);
		CHECK(hits < 3);
		dot_revfeed_free(f);
		dot_buf_free(&b);
	}
	free(ids);
}

static void
test_salt_changes_positions(void)
{
	uint64_t seed = 5;
	uint8_t *ids = random_ids(100, &seed);
	struct dot_buf a = {0}, b = {0};
	struct dot_revfeed *fa = NULL, *fb = NULL;
	struct trust tr;

	trust(&tr, 0, 1, 1, CLUSTER);
	REQUIRE_RC(build(ids, 100, 0, 1, &K[0], &a), DOT_OK);
	SALT[0] ^= 1;
	REQUIRE_RC(build(ids, 100, 0, 1, &K[0], &b), DOT_OK);
	SALT[0] ^= 1;
	REQUIRE_RC(open_feed(&a, &tr.t, &fa), DOT_OK);
	REQUIRE_RC(open_feed(&b, &tr.t, &fb), DOT_OK);
	CHECK(fa->m == fb->m && memcmp(fa->bits, fb->bits, fa->nbytes) != 0);
	dot_revfeed_free(fa);
	dot_revfeed_free(fb);
	dot_buf_free(&a);
	dot_buf_free(&b);
	free(ids);
}

/* ---- refusals ---- */

static void
test_untrusted_and_cluster(void)
{
	uint64_t seed = 7;
	uint8_t *ids = random_ids(50, &seed);
	struct dot_buf b = {0};
	struct dot_revfeed *f = NULL;
	struct trust tr;
	struct dot_err e = {0};

	REQUIRE_RC(build(ids, 50, 0, 3, &K[3], &b), DOT_OK); /* a stranger */
	CHECK_RC(dot_revfeed_open(b.data, b.len, trust(&tr, 0, 3, 1, CLUSTER),
				  &f, &e),
		 DOT_ECRYPTO_SIGNATURE);
	CHECK(f == NULL);
	CHECK(strstr(e.msg, "0 signatures by trusted keys") != NULL);
	REQUIRE_RC(open_feed(&b, trust(&tr, 1, 4, 1, CLUSTER), &f), DOT_OK);
	dot_revfeed_free(f);
	f = NULL;
	CHECK_RC(dot_revfeed_open(b.data, b.len,
				  trust(&tr, 1, 4, 1, OTHER_CLUSTER), &f, &e),
		 DOT_EINVAL);
	CHECK(strstr(e.msg, "another cluster") != NULL);
	/* A bad trust set is refused before the bytes are looked at. */
	trust(&tr, 0, 1, 2, CLUSTER);
	CHECK_RC(dot_revfeed_open(b.data, b.len, &tr.t, &f, &e), DOT_EINVAL);
	trust(&tr, 0, 1, 1, NULL);
	CHECK_RC(dot_revfeed_open(b.data, b.len, &tr.t, &f, &e), DOT_EINVAL);
	trust(&tr, 0, 1, 1, CLUSTER);
	tr.keys[0].pk_len = 5;
	CHECK_RC(dot_revfeed_open(b.data, b.len, &tr.t, &f, &e),
		 DOT_ECRYPTO_KEY);
	CHECK_RC(dot_revfeed_open(b.data, b.len, NULL, &f, &e), DOT_EINVAL);
	dot_buf_free(&b);
	free(ids);
}

static void
test_threshold_and_cosign(void)
{
	uint64_t seed = 8;
	uint8_t *ids = random_ids(200, &seed);
	struct dot_buf b = {0}, c2 = {0}, c3 = {0}, bad = {0};
	struct dot_revfeed *f = NULL;
	struct dot_err e = {0};
	struct trust tr;

	REQUIRE_RC(build(ids, 200, 0, 9, &K[1], &b), DOT_OK);
	CHECK_RC(dot_revfeed_open(b.data, b.len, trust(&tr, 0, 3, 2, CLUSTER),
				  &f, &e),
		 DOT_ECRYPTO_SIGNATURE);
	/* Another node cosigns what it rebuilds from its own set. */
	REQUIRE_RC(
	    dot_revfeed_cosign(b.data, b.len, ids, 200, K[0].sk, &c2, &e),
	    DOT_OK);
	REQUIRE_RC(open_feed(&c2, trust(&tr, 0, 3, 2, CLUSTER), &f), DOT_OK);
	CHECK(f->nsigs == 2 && f->nverified == 2);
	dot_revfeed_free(f);
	f = NULL;
	CHECK_RC(open_feed(&c2, trust(&tr, 0, 3, 3, CLUSTER), &f),
		 DOT_ECRYPTO_SIGNATURE);
	REQUIRE_RC(
	    dot_revfeed_cosign(c2.data, c2.len, ids, 200, K[2].sk, &c3, &e),
	    DOT_OK);
	REQUIRE_RC(open_feed(&c3, trust(&tr, 0, 3, 3, CLUSTER), &f), DOT_OK);
	CHECK(f->nsigs == 3 && f->nverified == 3);
	dot_revfeed_free(f);
	f = NULL;
	/* Only one of the three is trusted: threshold 1 passes, 2 does not. */
	REQUIRE_RC(open_feed(&c3, trust(&tr, 2, 4, 1, CLUSTER), &f), DOT_OK);
	CHECK(f->nverified == 1);
	dot_revfeed_free(f);
	f = NULL;
	CHECK_RC(open_feed(&c3, trust(&tr, 2, 4, 2, CLUSTER), &f),
		 DOT_ECRYPTO_SIGNATURE);
	/* Twice by one key, or a set that differs by one id: refused. */
	CHECK_RC(
	    dot_revfeed_cosign(c2.data, c2.len, ids, 200, K[0].sk, &bad, &e),
	    DOT_EINVAL);
	CHECK(strstr(e.msg, "already") != NULL);
	ids[5 * DOT_RID_LEN] ^= 1;
	CHECK_RC(dot_revfeed_cosign(b.data, b.len, ids, 200, K[2].sk, &bad, &e),
		 DOT_EINVAL);
	CHECK_RC(dot_revfeed_cosign(b.data, b.len, ids, 199, K[2].sk, &bad, &e),
		 DOT_EINVAL);
	CHECK(bad.len == 0);
	dot_buf_free(&b);
	dot_buf_free(&c2);
	dot_buf_free(&c3);
	free(ids);
}

/* Every single flipped byte (three ways) and every truncation refused. */
static void
test_every_byte_flip_and_truncation(void)
{
	static const uint8_t xors[] = {0x01, 0x80, 0xff};
	uint64_t seed = 11;
	uint8_t *ids = random_ids(10, &seed);
	struct dot_buf b = {0}, c = {0};
	struct dot_err e = {0};
	struct trust tr;
	size_t accepted = 0;

	trust(&tr, 0, 3, 1, CLUSTER);
	REQUIRE_RC(build(ids, 10, 1e-2, 12, &K[0], &b), DOT_OK);
	REQUIRE_RC(dot_revfeed_cosign(b.data, b.len, ids, 10, K[1].sk, &c, &e),
		   DOT_OK);
	for (int twice = 0; twice < 2; twice++) {
		const struct dot_buf *src = twice ? &c : &b;
		uint8_t *buf = malloc(src->len + 1);

		/* With two signers, both are needed: a byte of either one's
		 * entry then matters (with threshold 1, an entry whose key id
		 * no longer names a trusted key is ignored). */
		tr.t.threshold = twice ? 2 : 1;
		REQUIRE(buf != NULL);
		for (size_t i = 0; i < src->len; i++)
			for (size_t x = 0; x < sizeof(xors); x++) {
				struct dot_revfeed *f = NULL;

				memcpy(buf, src->data, src->len);
				buf[i] ^= xors[x];
				if (dot_revfeed_open(buf, src->len, &tr.t, &f,
						     &e) == DOT_OK) {
					printf("# accepted: byte %zu ^ %02x\n",
					       i, xors[x]);
					accepted++;
				}
				dot_revfeed_free(f);
			}
		for (size_t n = 0; n < src->len; n++) {
			struct dot_revfeed *f = NULL;

			memcpy(buf, src->data, n);
			if (dot_revfeed_open(n ? buf : NULL, n, &tr.t, &f,
					     &e) == DOT_OK)
				accepted++;
			dot_revfeed_free(f);
		}
		free(buf);
	}
	CHECK(accepted == 0);
	/* One trailing byte. */
	{
		struct dot_revfeed *f = NULL;

		dot_buf_put(&b, "", 1);
		CHECK_RC(dot_revfeed_open(b.data, b.len, &tr.t, &f, &e),
			 DOT_ECODEC_TRAILING);
	}
	dot_buf_free(&b);
	dot_buf_free(&c);
	free(ids);
}

static void
test_noncanonical_and_fields(void)
{
	uint8_t bits[9] = {0x01, 0x02, 0x04, 0x08, 0x10,
			   0x20, 0x40, 0x80, 0x01};
	struct dot_buf b = {0}, nc = {0};
	struct dot_revfeed *f = NULL;
	struct dot_err e = {0};
	struct trust tr;
	struct raw r;

	/* The raw encoder's default is valid: 9 bits set <= 8 ids x 7. */
	r = raw_default(bits, 9, 67);
	REQUIRE_RC(open_raw(&r, &e), DOT_OK);

	/* Non-shortest head: index 42 as 18 2a -> 19 00 2a. */
	r.index = 42;
	raw_feed(&r, &b);
	{
		size_t at = 0;

		for (size_t i = 0; i + 2 < b.len; i++)
			if (b.data[i] == 0x03 && b.data[i + 1] == 0x18 &&
			    b.data[i + 2] == 0x2a) {
				at = i;
				break;
			}
		REQUIRE(at != 0);
		dot_buf_put(&nc, b.data, at + 1);
		dot_buf_put(&nc, "\x19\x00\x2a", 3);
		dot_buf_put(&nc, b.data + at + 3, b.len - at - 3);
		CHECK_RC(dot_revfeed_open(nc.data, nc.len,
					  trust(&tr, 0, 1, 1, CLUSTER), &f, &e),
			 DOT_ECODEC_NONCANONICAL);
	}
	/* An indefinite-length map head. */
	nc.len = 0;
	dot_buf_put(&nc, "\xbf", 1);
	dot_buf_put(&nc, b.data + 1, b.len - 1);
	dot_buf_put(&nc, "\xff", 1);
	CHECK_RC(dot_revfeed_open(nc.data, nc.len, &tr.t, &f, &e),
		 DOT_ECODEC_UNSUPPORTED);
	/* Not a map. */
	CHECK_RC(dot_revfeed_open((const uint8_t *)"\x80", 1, &tr.t, &f, &e),
		 DOT_ECODEC_TYPE);
	CHECK_RC(dot_revfeed_open((const uint8_t *)"\xa0", 1, &tr.t, &f, &e),
		 DOT_ECODEC_FIELD);
	dot_buf_free(&b);
	dot_buf_free(&nc);

	/* Each field missing; an unknown one; another version. */
	for (uint64_t k = 1; k <= 9; k++) {
		r = raw_default(bits, 9, 67);
		r.omit = k;
		CHECK_RC(open_raw(&r, &e), DOT_ECODEC_FIELD);
	}
	r = raw_default(bits, 9, 67);
	r.extra = 11;
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_FIELD);
	r = raw_default(bits, 9, 67);
	r.version = 2;
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	CHECK(strstr(e.msg, "version 2") != NULL);
	/* A cluster id of another length. */
	r = raw_default(bits, 9, 67);
	{
		struct dot_buf x = {0};
		size_t at;

		raw_feed(&r, &x);
		/* 02 50 <16> -> 02 4f <15>: one byte shorter. */
		REQUIRE(x.data[3] == 0x02 && x.data[4] == 0x50);
		x.data[4] = 0x4f;
		at = 5 + 15;
		memmove(x.data + at, x.data + at + 1, x.len - at - 1);
		x.len--;
		CHECK_RC(dot_revfeed_open(x.data, x.len, &tr.t, &f, &e),
			 DOT_ECODEC_LENGTH);
		dot_buf_free(&x);
	}
	/* Signatures out of key id order, or none at all. */
	r = raw_default(bits, 9, 67);
	r.signers[0] = K[0].kid[0] < K[1].kid[0] ? &K[0] : &K[1];
	r.signers[1] = r.signers[0] == &K[0] ? &K[1] : &K[0];
	r.nsigners = 2;
	REQUIRE_RC(open_raw(&r, &e), DOT_OK);
	r.reverse_sigs = 1;
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_KEYORDER);
	r.signers[1] = r.signers[0];
	r.reverse_sigs = 0;
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_KEYORDER); /* a duplicate */
	r.nsigners = 0;
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_LENGTH);
}

static void
test_bounds(void)
{
	uint8_t bits[9] = {0x01, 0x02, 0, 0, 0, 0, 0, 0, 0x04};
	struct dot_err e = {0};
	struct raw r;
	uint8_t *big;

	r = raw_default(bits, 9, 67);
	REQUIRE_RC(open_raw(&r, &e), DOT_OK);
	r.k = 0;
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	r.k = DOT_REVFEED_MAX_K + 1;
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	r.k = DOT_REVFEED_MAX_K;
	CHECK_RC(open_raw(&r, &e), DOT_OK);
	r = raw_default(bits, 9, 63);
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	r = raw_default(bits, 9, DOT_REVFEED_MAX_BITS + 1);
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	r = raw_default(bits, 9, UINT64_MAX);
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	r = raw_default(bits, 9, 67);
	r.nids = DOT_REVFEED_MAX_IDS + 1ull;
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	/* m and the byte length must agree: 9 bytes hold 65..72 bits. */
	r = raw_default(bits, 9, 64);
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_LENGTH);
	r = raw_default(bits, 9, 73);
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_LENGTH);
	r = raw_default(bits, 9, 72);
	CHECK_RC(open_raw(&r, &e), DOT_OK);
	/* A padding bit past m = 67 (bit 3 of the last byte and up). */
	bits[8] = 0x08;
	r = raw_default(bits, 9, 67);
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_NONCANONICAL);
	bits[8] = 0x04;
	/* More bits set than nids x k. */
	r = raw_default(bits, 9, 67);
	r.nids = 1;
	r.k = 2;
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);
	r.nids = 0;
	CHECK_RC(open_raw(&r, &e), DOT_ERANGE);

	/* The largest filter, 16 MiB, is accepted; a byte more is not. */
	big = calloc(1, DOT_REVFEED_MAX_BYTES + 1);
	REQUIRE(big != NULL);
	r = raw_default(big, DOT_REVFEED_MAX_BYTES, DOT_REVFEED_MAX_BITS);
	r.nids = 0;
	CHECK_RC(open_raw(&r, &e), DOT_OK);
	r = raw_default(big, DOT_REVFEED_MAX_BYTES + 1, DOT_REVFEED_MAX_BITS);
	CHECK_RC(open_raw(&r, &e), DOT_ECODEC_LENGTH);
	free(big);
	/* An input over the size limit is refused before it is read. */
	{
		size_t n = DOT_REVFEED_MAX_LEN + 1;
		uint8_t *huge = calloc(1, n);
		struct dot_revfeed *f = NULL;
		struct trust tr;

		REQUIRE(huge != NULL);
		CHECK_RC(dot_revfeed_open(huge, n, trust(&tr, 0, 1, 1, CLUSTER),
					  &f, &e),
			 DOT_ECODEC_LENGTH);
		free(huge);
	}
}

static void
test_build_arguments(void)
{
	struct dot_revfeed_params p = {CLUSTER, 1, T0, SALT, 0};
	struct dot_buf b = {0};
	struct dot_err e = {0};
	uint8_t id[DOT_RID_LEN] = {0};

	keys_init();
	CHECK_RC(dot_revfeed_build(NULL, id, 1, K[0].sk, &b, &e), DOT_EINVAL);
	CHECK_RC(dot_revfeed_build(&p, NULL, 1, K[0].sk, &b, &e), DOT_EINVAL);
	CHECK_RC(dot_revfeed_build(&p, id, 1, NULL, &b, &e), DOT_EINVAL);
	p.salt = NULL;
	CHECK_RC(dot_revfeed_build(&p, id, 1, K[0].sk, &b, &e), DOT_EINVAL);
	p.salt = SALT;
	p.fp_rate = 0.7;
	CHECK_RC(dot_revfeed_build(&p, id, 1, K[0].sk, &b, &e), DOT_EINVAL);
	p.fp_rate = 0;
	CHECK_RC(dot_revfeed_build(&p, id, DOT_REVFEED_MAX_IDS + 1ul, K[0].sk,
				   &b, &e),
		 DOT_ERANGE);
	CHECK(strstr(e.msg, "higher rate") != NULL);
	CHECK(b.len == 0);
}

/* ---- freshness ---- */

static void
test_fresh_and_replaces(void)
{
	struct dot_buf b = {0}, b2 = {0};
	struct dot_revfeed *f = NULL, *g = NULL, *h = NULL;
	struct dot_revfeed_params p = {OTHER_CLUSTER, 10, T0 + 60, SALT, 0};
	struct dot_err e = {0};
	struct trust tr;

	trust(&tr, 0, 1, 1, CLUSTER);
	REQUIRE_RC(build(NULL, 0, 0, 10, &K[0], &b), DOT_OK); /* at T0 */
	REQUIRE_RC(open_feed(&b, &tr.t, &f), DOT_OK);
	CHECK(dot_revfeed_fresh(f, T0, 600) == 1);
	CHECK(dot_revfeed_fresh(f, T0 + 599, 600) == 1);
	CHECK(dot_revfeed_fresh(f, T0 + 600, 600) == 0);
	CHECK(dot_revfeed_fresh(f, T0 - DOT_REVFEED_MAX_SKEW, 600) == 1);
	CHECK(dot_revfeed_fresh(f, T0 - DOT_REVFEED_MAX_SKEW - 1, 600) == 0);
	CHECK(dot_revfeed_fresh(f, UINT64_MAX, UINT64_MAX) == 1);
	CHECK(dot_revfeed_fresh(NULL, T0, 600) == 0);
	b.len = 0;
	REQUIRE_RC(build(NULL, 0, 0, 9, &K[0], &b), DOT_OK);
	REQUIRE_RC(open_feed(&b, &tr.t, &g), DOT_OK);
	CHECK(dot_revfeed_replaces(NULL, f) == 1);
	CHECK(dot_revfeed_replaces(f, f) == 1);
	CHECK(dot_revfeed_replaces(f, g) == 0); /* an older index */
	CHECK(dot_revfeed_replaces(g, f) == 1);
	CHECK(dot_revfeed_replaces(f, NULL) == 0);
	REQUIRE_RC(dot_revfeed_build(&p, NULL, 0, K[0].sk, &b2, &e), DOT_OK);
	REQUIRE_RC(open_feed(&b2, trust(&tr, 0, 1, 1, OTHER_CLUSTER), &h),
		   DOT_OK);
	CHECK(dot_revfeed_replaces(f, h) == 0); /* another cluster */
	dot_revfeed_free(f);
	dot_revfeed_free(g);
	dot_revfeed_free(h);
	dot_buf_free(&b);
	dot_buf_free(&b2);
}

/* ---- exact answers ---- */

static void
test_answers(void)
{
	uint8_t rid[DOT_RID_LEN], other[DOT_RID_LEN];
	struct dot_buf a = {0}, a2 = {0}, bad = {0}, fb = {0};
	struct dot_revfeed_answer ans;
	struct dot_revfeed *f = NULL;
	struct dot_err e = {0};
	struct trust tr;
	static const uint8_t xors[] = {0x01, 0x80, 0xff};
	size_t accepted = 0;
	uint8_t *buf;

	memset(rid, 0xab, sizeof(rid));
	memset(other, 0xcd, sizeof(other));
	trust(&tr, 0, 3, 1, CLUSTER);
	REQUIRE_RC(build(rid, 1, 0, 100, &K[0], &fb), DOT_OK);
	REQUIRE_RC(open_feed(&fb, &tr.t, &f), DOT_OK);
	REQUIRE(dot_revfeed_maybe_revoked(f, rid) == 1);

	/* "not revoked as of 120", signed by node 1. */
	REQUIRE_RC(dot_revfeed_answer_sign(CLUSTER, 120, T0 + 5, rid, 0,
					   K[1].sk, &a, &e),
		   DOT_OK);
	REQUIRE_RC(dot_revfeed_answer_open(a.data, a.len, &tr.t, &ans, &e),
		   DOT_OK);
	CHECK(ans.index == 120 && ans.created == T0 + 5 && ans.revoked == 0);
	CHECK_MEM(ans.rid, rid, DOT_RID_LEN);
	CHECK(ans.nsigs == 1 && ans.nverified == 1);
	CHECK(a.data[0] == 0xa7);
	CHECK(dot_revfeed_answer_settles(&ans, f, rid) == 1);
	CHECK(dot_revfeed_answer_settles(&ans, f, other) == 0); /* wrong id */
	/* Older than the feed: settles nothing; unless it says revoked. */
	a.len = 0;
	REQUIRE_RC(
	    dot_revfeed_answer_sign(CLUSTER, 99, T0, rid, 0, K[1].sk, &a, &e),
	    DOT_OK);
	REQUIRE_RC(dot_revfeed_answer_open(a.data, a.len, &tr.t, &ans, &e),
		   DOT_OK);
	CHECK(dot_revfeed_answer_settles(&ans, f, rid) == 0);
	a.len = 0;
	REQUIRE_RC(
	    dot_revfeed_answer_sign(CLUSTER, 99, T0, rid, 1, K[1].sk, &a, &e),
	    DOT_OK);
	REQUIRE_RC(dot_revfeed_answer_open(a.data, a.len, &tr.t, &ans, &e),
		   DOT_OK);
	CHECK(ans.revoked == 1);
	CHECK(dot_revfeed_answer_settles(&ans, f, rid) == 1);

	/* Another key, another cluster, an unknown status: refused. */
	REQUIRE_RC(dot_revfeed_answer_sign(CLUSTER, 120, T0, rid, 0, K[3].sk,
					   &bad, &e),
		   DOT_OK);
	CHECK_RC(dot_revfeed_answer_open(bad.data, bad.len, &tr.t, &ans, &e),
		 DOT_ECRYPTO_SIGNATURE);
	bad.len = 0;
	REQUIRE_RC(dot_revfeed_answer_sign(OTHER_CLUSTER, 120, T0, rid, 0,
					   K[1].sk, &bad, &e),
		   DOT_OK);
	CHECK_RC(dot_revfeed_answer_open(bad.data, bad.len, &tr.t, &ans, &e),
		 DOT_EINVAL);
	CHECK_RC(dot_revfeed_answer_sign(CLUSTER, 120, T0, rid, 2, K[1].sk,
					 &bad, &e),
		 DOT_EINVAL);
	/* A feed is not an answer, nor the reverse. */
	CHECK(dot_revfeed_answer_open(fb.data, fb.len, &tr.t, &ans, &e) !=
	      DOT_OK);
	{
		struct dot_revfeed *g = NULL;

		CHECK(dot_revfeed_open(a.data, a.len, &tr.t, &g, &e) != DOT_OK);
		CHECK(g == NULL);
	}

	/* Every flipped byte and every truncation of a cosigned answer. */
	REQUIRE_RC(
	    dot_revfeed_answer_cosign(a.data, a.len, 1, K[2].sk, &a2, &e),
	    DOT_OK);
	REQUIRE_RC(dot_revfeed_answer_open(
		       a2.data, a2.len, trust(&tr, 0, 3, 2, CLUSTER), &ans, &e),
		   DOT_OK);
	CHECK(ans.nsigs == 2 && ans.nverified == 2);
	CHECK_RC(dot_revfeed_answer_open(a.data, a.len, &tr.t, &ans, &e),
		 DOT_ECRYPTO_SIGNATURE); /* one signer, threshold 2 */
	buf = malloc(a2.len);
	REQUIRE(buf != NULL);
	for (size_t i = 0; i < a2.len; i++)
		for (size_t x = 0; x < sizeof(xors); x++) {
			memcpy(buf, a2.data, a2.len);
			buf[i] ^= xors[x];
			if (dot_revfeed_answer_open(buf, a2.len, &tr.t, &ans,
						    &e) == DOT_OK) {
				printf("# accepted: byte %zu ^ %02x\n", i,
				       xors[x]);
				accepted++;
			}
		}
	for (size_t n = 0; n < a2.len; n++)
		if (dot_revfeed_answer_open(n ? a2.data : NULL, n, &tr.t, &ans,
					    &e) == DOT_OK)
			accepted++;
	CHECK(accepted == 0);
	free(buf);
	/* A cosigner whose ledger disagrees does not sign. */
	bad.len = 0;
	CHECK_RC(dot_revfeed_answer_cosign(a.data, a.len, 0, K[2].sk, &bad, &e),
		 DOT_EINVAL);
	CHECK_RC(
	    dot_revfeed_answer_cosign(a2.data, a2.len, 1, K[2].sk, &bad, &e),
	    DOT_EINVAL);
	CHECK(bad.len == 0);
	dot_revfeed_free(f);
	dot_buf_free(&a);
	dot_buf_free(&a2);
	dot_buf_free(&bad);
	dot_buf_free(&fb);
}

/* The answer as §4 describes it, encoded independently. */
static void
test_answer_spec(void)
{
	uint8_t rid[DOT_RID_LEN], d[DOT_HASH_LEN], sig[DOT_SIGN_SIG_MAX];
	static const char dom[] = "dot-revfeed-v1 answer";
	struct dot_buf a = {0}, body = {0}, raw = {0};
	struct dot_hash_ctx h;
	struct dot_err e = {0};
	size_t siglen;

	keys_init();
	memset(rid, 0x17, sizeof(rid));
	REQUIRE_RC(
	    dot_revfeed_answer_sign(CLUSTER, 300, T0, rid, 1, K[0].sk, &a, &e),
	    DOT_OK);
	dot_enc_map(&body, 6);
	dot_enc_uint(&body, 1);
	dot_enc_uint(&body, 1);
	dot_enc_uint(&body, 2);
	dot_enc_bstr(&body, CLUSTER, 16);
	dot_enc_uint(&body, 3);
	dot_enc_uint(&body, 300);
	dot_enc_uint(&body, 4);
	dot_enc_uint(&body, T0);
	dot_enc_uint(&body, 5);
	dot_enc_bstr(&body, rid, 32);
	dot_enc_uint(&body, 6);
	dot_enc_uint(&body, 1);
	dot_hash_init(&h);
	dot_hash_update(&h, dom, strlen(dom));
	dot_hash_update(&h, body.data, body.len);
	dot_hash_final(&h, d);
	REQUIRE_RC(dot_sign(K[0].sk, d, sizeof(d), sig, &siglen), DOT_OK);
	dot_enc_map(&raw, 7);
	dot_buf_put(&raw, body.data + 1, body.len - 1);
	dot_enc_uint(&raw, 7);
	dot_enc_array(&raw, 1);
	dot_enc_array(&raw, 2);
	dot_enc_bstr(&raw, K[0].kid, DOT_KEY_ID_LEN);
	dot_enc_bstr(&raw, sig, siglen);
	CHECK(raw.len == a.len && memcmp(raw.data, a.data, a.len) == 0);
	printf("# an answer with one Ed25519 signature: %zu bytes\n", a.len);
	dot_buf_free(&a);
	dot_buf_free(&body);
	dot_buf_free(&raw);
}

/* ---- tokens ---- */

/* K4 mints read on /data for K5; K5 hands read to K6. */
static struct dot_token *
token2(void)
{
	struct dot_token_caveats c;
	struct dot_buf b0 = {0}, b1 = {0};
	struct dot_token *t = NULL;
	struct dot_err e = {0};

	keys_init();
	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_RIGHTS;
	c.rights = DOT_RIGHT_READ | DOT_RIGHT_WRITE;
	if (dot_token_mint(K[4].sk, DOT_RESOURCE_PATH, "/data", 5, &c, K[5].pk,
			   K[5].pklen, &b0, &e) != DOT_OK ||
	    dot_token_parse(b0.data, b0.len, &t, &e) != DOT_OK)
		abort();
	c.rights = DOT_RIGHT_READ;
	if (dot_token_attenuate(t, K[5].sk, &c, K[6].pk, K[6].pklen, &b1, &e) !=
	    DOT_OK)
		abort();
	dot_token_free(t);
	t = NULL;
	if (dot_token_parse(b1.data, b1.len, &t, &e) != DOT_OK)
		abort();
	dot_buf_free(&b0);
	dot_buf_free(&b1);
	return t;
}

static struct dot_revfeed *
feed_of(const uint8_t *ids, size_t n, uint64_t index)
{
	struct dot_buf b = {0};
	struct dot_revfeed *f = NULL;
	struct trust tr;

	if (build(ids, n, 0, index, &K[0], &b) != DOT_OK ||
	    open_feed(&b, trust(&tr, 0, 1, 1, CLUSTER), &f) != DOT_OK)
		abort();
	dot_buf_free(&b);
	return f;
}

static struct dot_revfeed_answer
answer_of(const uint8_t rid[DOT_RID_LEN], uint64_t index, int revoked)
{
	struct dot_revfeed_answer a;
	struct dot_buf b = {0};
	struct dot_err e = {0};
	struct trust tr;

	if (dot_revfeed_answer_sign(CLUSTER, index, T0, rid, revoked, K[0].sk,
				    &b, &e) != DOT_OK ||
	    dot_revfeed_answer_open(b.data, b.len, trust(&tr, 0, 1, 1, CLUSTER),
				    &a, &e) != DOT_OK)
		abort();
	dot_buf_free(&b);
	return a;
}

static int
verify_with(const struct dot_token *t, struct dot_revfeed_check *c)
{
	struct dot_token_verifier v = {K[4].pk, K[4].pklen,
				       dot_revfeed_token_revoked, c, NULL,
				       DOT_POLICY_CLASSIC};
	struct dot_token_request req;
	uint8_t sig[DOT_SIGN_SIG_MAX];
	size_t siglen;
	struct dot_err e = {0};

	memset(&req, 0, sizeof(req));
	req.rights = DOT_RIGHT_READ;
	req.path = "/data/x";
	req.path_len = 7;
	req.now = T0;
	if (dot_token_sign_request(t, K[6].sk, "req", 3, sig, &siglen) !=
	    DOT_OK)
		abort();
	return dot_token_verify(t, &v, &req, "req", 3, sig, siglen, NULL, &e);
}

static void
test_check_token(void)
{
	struct dot_token *t = token2();
	uint64_t seed = 21;
	uint8_t *ids = random_ids(300, &seed);
	const uint8_t *rid1 = t->blocks[1].rid;
	struct dot_revfeed *clean, *hit;
	struct dot_revfeed_answer ans[3];
	struct dot_revfeed_check c;
	struct dot_err e = {0};
	size_t block = 99;

	clean = feed_of(ids, 300, 50);
	memcpy(ids + 17 * DOT_RID_LEN, rid1, DOT_RID_LEN); /* revoke block 1 */
	hit = feed_of(ids, 300, 50);

	/* Not in the filter. */
	CHECK_RC(dot_revfeed_check_token(clean, t, NULL, 0, &block, &e),
		 DOT_OK);
	/* A hit, no answer: look it up. */
	CHECK_RC(dot_revfeed_check_token(hit, t, NULL, 0, &block, &e),
		 DOT_REVFEED_LOOKUP);
	CHECK(block == 1);
	CHECK(strstr(e.msg, "look it up") != NULL);
	/* Settled by "not revoked" as of the feed's index or later. */
	ans[0] = answer_of(rid1, 50, 0);
	CHECK_RC(dot_revfeed_check_token(hit, t, ans, 1, &block, &e), DOT_OK);
	/* An older "not revoked", or one about another id, settles nothing. */
	ans[0] = answer_of(rid1, 49, 0);
	ans[1] = answer_of(t->blocks[0].rid, 60, 0);
	CHECK_RC(dot_revfeed_check_token(hit, t, ans, 2, &block, &e),
		 DOT_REVFEED_LOOKUP);
	/* "revoked": refused, even where the filter has nothing. */
	ans[2] = answer_of(rid1, 40, 1);
	block = 99;
	CHECK_RC(dot_revfeed_check_token(hit, t, ans, 3, &block, &e),
		 DOT_ETOKEN_REVOKED);
	CHECK(block == 1);
	CHECK_RC(dot_revfeed_check_token(clean, t, ans + 2, 1, &block, &e),
		 DOT_ETOKEN_REVOKED);
	CHECK_RC(dot_revfeed_check_token(NULL, t, NULL, 0, &block, &e),
		 DOT_EINVAL);

	/* The same inside dot_token_verify, as its revocation callback. */
	memset(&c, 0, sizeof(c));
	c.feed = clean;
	CHECK_RC(verify_with(t, &c), DOT_OK);
	CHECK(c.lookup == 0);
	c.feed = hit;
	CHECK_RC(verify_with(t, &c), DOT_ETOKEN_REVOKED);
	CHECK(c.lookup == 1);
	CHECK_MEM(c.lookup_rid, rid1, DOT_RID_LEN);
	ans[0] = answer_of(rid1, 51, 0);
	c.answers = ans;
	c.nanswers = 1;
	CHECK_RC(verify_with(t, &c), DOT_OK);
	CHECK(c.lookup == 0);
	c.answers = ans + 2; /* revoked */
	CHECK_RC(verify_with(t, &c), DOT_ETOKEN_REVOKED);
	CHECK(c.lookup == 0);
	c.feed = NULL; /* no feed: fail closed */
	c.nanswers = 0;
	CHECK_RC(verify_with(t, &c), DOT_ETOKEN_REVOKED);
	CHECK(c.lookup == 1);
	CHECK_MEM(c.lookup_rid, t->blocks[0].rid, DOT_RID_LEN);

	dot_revfeed_free(clean);
	dot_revfeed_free(hit);
	dot_token_free(t);
	free(ids);
}

/* ---- allocation failures ---- */

static size_t fail_at, alloc_count;

static void *
fail_malloc(void *d, size_t n)
{
	(void)d;
	if (++alloc_count == fail_at)
		return NULL;
	return malloc(n);
}

static void *
fail_realloc(void *d, void *p, size_t n)
{
	(void)d;
	if (++alloc_count == fail_at)
		return NULL;
	return realloc(p, n);
}

static void
fail_free(void *d, void *p)
{
	(void)d;
	free(p);
}

static void
test_alloc_failures(void)
{
	static const struct dot_heap h = {NULL, fail_malloc, fail_realloc,
					  fail_free};
	uint64_t seed = 3;
	uint8_t *ids = random_ids(40, &seed);
	struct dot_buf fb = {0};
	struct trust tr;
	int ok = 0;

	trust(&tr, 0, 3, 1, CLUSTER);
	REQUIRE_RC(build(ids, 40, 0, 1, &K[0], &fb), DOT_OK);
	dot_heap_set(&h);
	for (fail_at = 1; fail_at < 64 && !ok; fail_at++) {
		struct dot_revfeed_params p = {CLUSTER, 1, T0, SALT, 0};
		struct dot_revfeed *f = NULL;
		struct dot_buf b = {0}, c = {0};
		struct dot_err e = {0};
		int rv1, rv2, rv3;

		alloc_count = 0;
		rv1 = dot_revfeed_build(&p, ids, 40, K[0].sk, &b, &e);
		CHECK(rv1 == DOT_OK || rv1 == DOT_ENOMEM);
		alloc_count = 0;
		rv2 = dot_revfeed_open(fb.data, fb.len, &tr.t, &f, &e);
		CHECK(rv2 == DOT_OK || rv2 == DOT_ENOMEM);
		CHECK((rv2 == DOT_OK) == (f != NULL));
		alloc_count = 0;
		rv3 = dot_revfeed_cosign(fb.data, fb.len, ids, 40, K[1].sk, &c,
					 &e);
		CHECK(rv3 == DOT_OK || rv3 == DOT_ENOMEM);
		dot_revfeed_free(f);
		dot_buf_free(&b);
		dot_buf_free(&c);
		ok = rv1 == DOT_OK && rv2 == DOT_OK && rv3 == DOT_OK;
	}
	dot_heap_set(NULL);
	CHECK(ok);
	dot_buf_free(&fb);
	free(ids);
}

/* ---- composite node keys (ML-DSA-65 + Ed25519, suite 0x03) ---- */

#define NPQ 16 /* DOT_REVFEED_MAX_SIGS composite nodes */
static struct key PQ[NPQ];

static void
pq_init(void)
{
	static int done;

	keys_init();
	if (done)
		return;
	for (int i = 0; i < NPQ; i++) {
		uint8_t seed[32];

		memset(seed, 0x80 + i, sizeof(seed));
		if (dot_sign_sk_from_seed(&PQ[i].sk, DOT_SUITE_ED25519_MLDSA65,
					  seed) != DOT_OK)
			abort();
		PQ[i].pklen = dot_sign_sk_public(PQ[i].sk, PQ[i].pk);
		dot_key_id(PQ[i].pk, PQ[i].pklen, PQ[i].kid);
	}
	done = 1;
}

/* A trust set of the given keys. */
struct pqtrust {
	struct dot_revfeed_key keys[NPQ + 2];
	struct dot_revfeed_trust t;
};

static const struct dot_revfeed_trust *
pqtrust(struct pqtrust *tr, const struct key *const *k, size_t n,
	size_t threshold)
{
	memset(tr, 0, sizeof(*tr));
	for (size_t i = 0; i < n; i++) {
		tr->keys[i].pk = k[i]->pk;
		tr->keys[i].pk_len = k[i]->pklen;
	}
	tr->t.cluster_id = CLUSTER;
	tr->t.keys = tr->keys;
	tr->t.nkeys = n;
	tr->t.threshold = threshold;
	return &tr->t;
}

/*
 * A feed and an answer signed by composite nodes: they verify, alone and
 * with Ed25519 cosigners; a tampered filter or signature, the composite
 * signature cut down to its Ed25519 half, and untrusted composite keys are
 * refused; 16 composite signatures fit the bounds.
 */
static void
test_composite_signers(void)
{
	uint64_t seed = 31;
	uint8_t *ids = random_ids(300, &seed);
	struct dot_buf b = {0}, c2 = {0}, c3 = {0}, x = {0}, a = {0}, a2 = {0};
	struct dot_revfeed *f = NULL;
	struct dot_revfeed_answer ans;
	struct dot_err e = {0};
	struct pqtrust tr;
	const struct key *one[] = {&PQ[0]}, *mixed[] = {&PQ[0], &K[0], &PQ[1]},
			 *stranger[] = {&PQ[2]};
	size_t flips = 0, refused = 0;

	pq_init();
	REQUIRE(PQ[0].pklen == DOT_SIGN_PK_MAX);
	REQUIRE_RC(build(ids, 300, 0.01, 40, &PQ[0], &b), DOT_OK);
	/* The signature field: one [key id, 0x03 || 3373 bytes] pair, last,
	 * so the feed ends with it: 59 0d 2e (a 3374-byte string), 03. */
	REQUIRE(b.len > 3374 + 3);
	CHECK(b.data[b.len - 3377] == 0x59 && b.data[b.len - 3376] == 0x0d &&
	      b.data[b.len - 3375] == 0x2e &&
	      b.data[b.len - 3374] == DOT_SUITE_ED25519_MLDSA65);
	REQUIRE_RC(open_feed(&b, pqtrust(&tr, one, 1, 1), &f), DOT_OK);
	CHECK(f->nsigs == 1 && f->nverified == 1 && f->nids == 300);
	for (size_t i = 0; i < 300; i++)
		CHECK(dot_revfeed_maybe_revoked(f, ids + i * DOT_RID_LEN) == 1);
	dot_revfeed_free(f);
	f = NULL;
	/* Another composite node's trust: refused. */
	CHECK_RC(open_feed(&b, pqtrust(&tr, stranger, 1, 1), &f),
		 DOT_ECRYPTO_SIGNATURE);
	CHECK(f == NULL);
	/* Cosigned by an Ed25519 node and a second composite one. */
	REQUIRE_RC(
	    dot_revfeed_cosign(b.data, b.len, ids, 300, K[0].sk, &c2, &e),
	    DOT_OK);
	REQUIRE_RC(
	    dot_revfeed_cosign(c2.data, c2.len, ids, 300, PQ[1].sk, &c3, &e),
	    DOT_OK);
	REQUIRE_RC(open_feed(&c3, pqtrust(&tr, mixed, 3, 3), &f), DOT_OK);
	CHECK(f->nsigs == 3 && f->nverified == 3);
	dot_revfeed_free(f);
	f = NULL;
	CHECK_RC(
	    dot_revfeed_cosign(c3.data, c3.len, ids, 300, PQ[1].sk, &x, &e),
	    DOT_EINVAL);
	/* Tampered: a changed byte anywhere (sampled) in the one-signature
	 * feed, the filter's bits included, is refused. */
	x.len = 0;
	dot_buf_put(&x, b.data, b.len);
	REQUIRE(x.err == DOT_OK);
	pqtrust(&tr, one, 1, 1);
	for (size_t i = 0; i < x.len;
	     i += (i < 64 || i + 8 >= x.len) ? 1 : 11) {
		x.data[i] ^= 0x04;
		flips++;
		if (dot_revfeed_open(x.data, x.len, &tr.t, &f, &e) != DOT_OK)
			refused++;
		dot_revfeed_free(f);
		f = NULL;
		x.data[i] ^= 0x04;
	}
	CHECK(flips > x.len / 11 && refused == flips);
	printf("# %zu changed bytes of a composite-signed feed, %zu refused\n",
	       flips, refused);
	/* Cut down to its Ed25519 half (0x01 || the last 64 bytes, the key id
	 * kept): not the composite's signature; and under the half trusted
	 * as an Ed25519 key the key id is not that key's. */
	{
		struct key half;
		const struct key *hk[] = {&half};

		x.len = 0;
		dot_buf_put(&x, b.data, b.len - 3377);
		dot_buf_put(&x, "\x58\x41\x01", 3);
		dot_buf_put(&x, b.data + b.len - 64, 64);
		REQUIRE(x.err == DOT_OK);
		CHECK_RC(dot_revfeed_open(x.data, x.len, &tr.t, &f, &e),
			 DOT_ECRYPTO_SIGNATURE);
		memset(&half, 0, sizeof(half));
		half.pk[0] = DOT_SUITE_ED25519;
		memcpy(half.pk + 1, PQ[0].pk + DOT_SIGN_PK_MAX - 32, 32);
		half.pklen = DOT_ED25519_PK_LEN;
		CHECK_RC(dot_revfeed_open(x.data, x.len, pqtrust(&tr, hk, 1, 1),
					  &f, &e),
			 DOT_ECRYPTO_SIGNATURE);
		/* A truncated composite signature does not parse. */
		x.len = 0;
		dot_buf_put(&x, b.data, b.len - 3377);
		dot_buf_put(&x, "\x59\x0d\x2d", 3);
		dot_buf_put(&x, b.data + b.len - 3374, 3373);
		CHECK(dot_revfeed_open(x.data, x.len, pqtrust(&tr, one, 1, 1),
				       &f, &e) != DOT_OK);
		CHECK(f == NULL);
	}
	/* An answer signed by a composite node, cosigned by 15 more: 16
	 * composite signatures fit DOT_REVFEED_ANSWER_MAX_LEN. */
	{
		const struct key *all[NPQ];

		for (int i = 0; i < NPQ; i++)
			all[i] = &PQ[i];
		REQUIRE_RC(dot_revfeed_answer_sign(CLUSTER, 41, T0 + 1, ids, 1,
						   PQ[0].sk, &a, &e),
			   DOT_OK);
		REQUIRE_RC(dot_revfeed_answer_open(a.data, a.len,
						   pqtrust(&tr, all, 1, 1),
						   &ans, &e),
			   DOT_OK);
		CHECK(ans.revoked == 1 && ans.nsigs == 1 && ans.nverified == 1);
		for (int i = 1; i < NPQ; i++) {
			a2.len = 0;
			REQUIRE_RC(dot_revfeed_answer_cosign(a.data, a.len, 1,
							     PQ[i].sk, &a2, &e),
				   DOT_OK);
			a.len = 0;
			dot_buf_put(&a, a2.data, a2.len);
		}
		CHECK(a.len <= DOT_REVFEED_ANSWER_MAX_LEN &&
		      a.len > NPQ * 3374);
		REQUIRE_RC(dot_revfeed_answer_open(a.data, a.len,
						   pqtrust(&tr, all, NPQ, NPQ),
						   &ans, &e),
			   DOT_OK);
		CHECK(ans.nsigs == NPQ && ans.nverified == NPQ);
		a.data[a.len - 100] ^= 1; /* in the last signature */
		CHECK_RC(
		    dot_revfeed_answer_open(a.data, a.len, &tr.t, &ans, &e),
		    DOT_ECRYPTO_SIGNATURE);
	}
	dot_buf_free(&b);
	dot_buf_free(&c2);
	dot_buf_free(&c3);
	dot_buf_free(&x);
	dot_buf_free(&a);
	dot_buf_free(&a2);
	free(ids);
}

T_MAIN(T_CASE(test_dimension), T_CASE(test_roundtrip_and_spec),
       T_CASE(test_empty_feed), T_CASE(test_no_false_negatives),
       T_CASE(test_false_positive_rate), T_CASE(test_salt_changes_positions),
       T_CASE(test_untrusted_and_cluster), T_CASE(test_threshold_and_cosign),
       T_CASE(test_every_byte_flip_and_truncation),
       T_CASE(test_noncanonical_and_fields), T_CASE(test_bounds),
       T_CASE(test_build_arguments), T_CASE(test_fresh_and_replaces),
       T_CASE(test_answers), T_CASE(test_answer_spec), T_CASE(test_check_token),
       T_CASE(test_alloc_failures), T_CASE(test_composite_signers))
