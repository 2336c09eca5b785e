/*
 * fuzz_revfeed.c - the revocation feed and its exact answers
 * (docs/revocation-feed.md).
 *
 * Every input goes to both parsers. dot_revfeed_open must return without
 * crashing, with its context set on a refusal; a feed it accepts must hold
 * its invariants (m and k within bounds, (m + 7) / 8 bytes of bits with
 * zero padding, no more bits set than ids x k, at least one trusted
 * signature), answer queries, and take a cosignature by a third key that
 * verifies in turn (for an empty filter, which that node rebuilds from an
 * empty set). dot_revfeed_answer_open likewise; an accepted answer must
 * take a cosignature that verifies.
 *
 * The trusted keys and the cluster id are those gen_revfeed_corpus.c signs
 * the seeds with, so mutants of the seeds reach the signature checks; one
 * of them (C) is a composite ML-DSA-65 + Ed25519 key, and an accepted
 * answer is cosigned by an Ed25519 and by a composite stranger.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/revfeed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Same as tests/fuzz/gen_revfeed_corpus.c. */
#define NODE_SEED_A   0x31
#define NODE_SEED_B   0x32
#define STRANGER_SEED 0x33
#define NODE_SEED_C   0x34 /* composite */
#define PQ_STRANGER   0x35 /* composite, not trusted */
static const uint8_t cluster[DOT_REVFEED_CLUSTER_ID_LEN] = "fuzz-cluster-id!";

static void
fail(const char *what, int rv)
{
	fprintf(stderr, "fuzz_revfeed: %s (%s)\n", what, dot_errname(rv));
	abort();
}

struct node {
	struct dot_sign_sk *sk;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
};

/* A, B, C trusted; the strangers (Ed25519, composite) are not. */
static struct node nodes[5];
static struct dot_revfeed_key keys[3];
static struct dot_revfeed_trust trust;

static void
setup(void)
{
	static const uint8_t seeds[5] = {
	    NODE_SEED_A, NODE_SEED_B, STRANGER_SEED, NODE_SEED_C, PQ_STRANGER};
	static int done;

	if (done)
		return;
	if (dot_crypto_init() != DOT_OK)
		fail("dot_crypto_init", DOT_ECRYPTO_UNAVAILABLE);
	for (int i = 0; i < 5; i++) {
		uint8_t seed[DOT_SEED_LEN];

		memset(seed, seeds[i], sizeof(seed));
		if (dot_sign_sk_from_seed(&nodes[i].sk,
					  i < 3 ? DOT_SUITE_ED25519
						: DOT_SUITE_ED25519_MLDSA65,
					  seed) != DOT_OK)
			fail("node key", DOT_ECRYPTO_KEY);
		nodes[i].pklen = dot_sign_sk_public(nodes[i].sk, nodes[i].pk);
	}
	for (int i = 0; i < 3; i++) {
		keys[i].pk = nodes[i < 2 ? i : 3].pk;
		keys[i].pk_len = nodes[i < 2 ? i : 3].pklen;
	}
	trust.cluster_id = cluster;
	trust.keys = keys;
	trust.nkeys = 3;
	trust.threshold = 1;
	done = 1;
}

static void
check_feed(const struct dot_revfeed *f, const uint8_t *data, size_t size)
{
	uint64_t set = 0;
	uint8_t rid[DOT_RID_LEN];

	if (f->k < 1 || f->k > DOT_REVFEED_MAX_K ||
	    f->m < DOT_REVFEED_MIN_BITS || f->m > DOT_REVFEED_MAX_BITS ||
	    f->nbytes != (f->m + 7) / 8 || f->nids > DOT_REVFEED_MAX_IDS)
		fail("accepted a feed out of bounds", DOT_ERANGE);
	if (f->m % 8 != 0 && (f->bits[f->nbytes - 1] >> (f->m % 8)) != 0)
		fail("accepted a set padding bit", DOT_ECODEC_NONCANONICAL);
	for (size_t i = 0; i < f->nbytes; i++)
		set += (uint64_t)__builtin_popcount(f->bits[i]);
	if (set > f->nids * f->k)
		fail("accepted more bits than ids x k", DOT_ERANGE);
	if (f->nverified < 1 || f->nverified > f->nsigs ||
	    f->nsigs > DOT_REVFEED_MAX_SIGS)
		fail("accepted without a trusted signature",
		     DOT_ECRYPTO_SIGNATURE);
	if (memcmp(f->cluster_id, cluster, sizeof(cluster)) != 0)
		fail("accepted another cluster", DOT_EINVAL);
	/* Queries: ids from the input, and an empty filter has no hit. */
	for (size_t i = 0; i < 4; i++) {
		memset(rid, (int)i, sizeof(rid));
		memcpy(rid, data, size < sizeof(rid) ? size : sizeof(rid));
		rid[31] ^= (uint8_t)i;
		if (dot_revfeed_maybe_revoked(f, rid) && set == 0)
			fail("a hit in an empty filter", DOT_EINVAL);
	}
	(void)dot_revfeed_fresh(f, 1700000000u, 600);
	(void)dot_revfeed_replaces(f, f);
}

/* An empty filter: the stranger rebuilds it from the empty set and
 * cosigns; the result still opens (the trusted signature is there). */
static void
cosign_feed(const struct dot_revfeed *f, const uint8_t *data, size_t size)
{
	struct dot_buf out = {0};
	struct dot_revfeed *g = NULL;
	struct dot_err e = {0};
	int rv;

	if (f->nids != 0)
		return;
	rv = dot_revfeed_cosign(data, size, NULL, 0, nodes[2].sk, &out, &e);
	if (rv == DOT_OK) {
		rv = dot_revfeed_open(out.data, out.len, &trust, &g, &e);
		if (rv != DOT_OK)
			fail("a cosigned feed does not open", rv);
		if (g->nsigs != f->nsigs + 1 || g->nverified != f->nverified ||
		    g->index != f->index || g->m != f->m)
			fail("cosigning changed the feed", DOT_EINVAL);
		dot_revfeed_free(g);
	} else if (rv != DOT_EINVAL && rv != DOT_ERANGE && rv != DOT_ENOMEM) {
		fail("cosign of an accepted feed", rv);
	}
	dot_buf_free(&out);
}

static void
cosign_answer(const struct dot_revfeed_answer *a, const uint8_t *data,
	      size_t size, int who)
{
	struct dot_buf out = {0};
	struct dot_revfeed_answer b;
	struct dot_err e = {0};
	int rv;

	rv = dot_revfeed_answer_cosign(data, size, a->revoked, nodes[who].sk,
				       &out, &e);
	if (rv == DOT_OK) {
		rv = dot_revfeed_answer_open(out.data, out.len, &trust, &b, &e);
		if (rv != DOT_OK)
			fail("a cosigned answer does not open", rv);
		if (b.nsigs != a->nsigs + 1 || b.revoked != a->revoked ||
		    b.index != a->index ||
		    memcmp(b.rid, a->rid, DOT_RID_LEN) != 0)
			fail("cosigning changed the answer", DOT_EINVAL);
	} else if (rv != DOT_EINVAL && rv != DOT_ERANGE && rv != DOT_ENOMEM) {
		fail("cosign of an accepted answer", rv);
	}
	/* The other status is refused. */
	out.len = 0;
	rv = dot_revfeed_answer_cosign(data, size, !a->revoked, nodes[who].sk,
				       &out, &e);
	if (rv != DOT_EINVAL)
		fail("cosigned a contradicting answer", rv);
	dot_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dot_revfeed *f = NULL;
	struct dot_revfeed_answer a;
	struct dot_err e = {0};
	int rv;

	setup();

	/* As a feed. */
	rv = dot_revfeed_open(data, size, &trust, &f, &e);
	if (rv == DOT_OK) {
		if (f == NULL)
			fail("open succeeded without a feed", rv);
		check_feed(f, data, size);
		cosign_feed(f, data, size);
	} else if (f != NULL) {
		fail("a refused feed left an object", rv);
	} else if (rv != DOT_ENOMEM && e.code != rv) {
		fail("feed refusal without its context", rv);
	}
	dot_revfeed_free(f);

	/* As an exact answer. */
	e.code = 0;
	rv = dot_revfeed_answer_open(data, size, &trust, &a, &e);
	if (rv == DOT_OK) {
		if ((a.revoked != 0 && a.revoked != 1) || a.nverified < 1 ||
		    a.nverified > a.nsigs ||
		    memcmp(a.cluster_id, cluster, sizeof(cluster)) != 0)
			fail("accepted answer breaks an invariant", DOT_EINVAL);
		cosign_answer(&a, data, size, 2);
		cosign_answer(&a, data, size, 4);
	} else if (rv != DOT_ENOMEM && e.code != rv) {
		fail("answer refusal without its context", rv);
	}
	return 0;
}
