/*
 * revfeed.h - the revocation feed, for verifiers outside the cluster
 * (docs/revocation-feed.md).
 *
 * Any node serves the set of revoked revocation ids (token.h: the rid of a
 * token block) as a Bloom filter stamped with the ledger index it reflects,
 * the cluster id and the time it was made, and signed by the node. A
 * service that verifies Doteros tokens offline fetches the feed now and
 * then, and asks each token's rids of it:
 *
 *   - "definitely not revoked" (as of the feed's ledger index): go on;
 *   - "maybe revoked" (a filter hit, a false positive with the rate the
 *     feed was built for): get an exact answer, a statement signed by a
 *     node that "rid X is / is not revoked as of ledger index I", and
 *     check it offline against the same trusted keys.
 *
 * Staleness: a token revoked after the feed was made is accepted by an
 * offline verifier until that verifier holds a newer feed. The window is
 * the verifier's refresh interval plus the age the feed had when it
 * arrived (see dot_revfeed_fresh).
 *
 * Both formats are canonical CBOR maps (codec.md) whose last field is an
 * array of [key id, signature] pairs; each signature is over
 * BLAKE2b-256(domain || the map without that last field). Several nodes may
 * sign one feed or answer, and a verifier may require a threshold of them.
 *
 * The core draws no randomness and reads no clock: the salt and the times
 * are arguments.
 */
#ifndef DOTEROS_REVFEED_H
#define DOTEROS_REVFEED_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "token.h"

#define DOT_REVFEED_VERSION	   1
#define DOT_REVFEED_CLUSTER_ID_LEN 16 /* = DOT_CLUSTER_ID_LEN of tx.h */
#define DOT_REVFEED_SALT_LEN	   32
/* Filter size in bits: at least 64, at most 2^27 (a 16 MiB bit array). */
#define DOT_REVFEED_MIN_BITS  64u
#define DOT_REVFEED_MAX_BITS  (UINT64_C(1) << 27)
#define DOT_REVFEED_MAX_BYTES (DOT_REVFEED_MAX_BITS / 8)
#define DOT_REVFEED_MAX_K     32u	 /* hash positions per id */
#define DOT_REVFEED_MAX_IDS   (1u << 22) /* 4194304 ids */
#define DOT_REVFEED_MAX_SIGS  16
/* Longest encoded feed / answer accepted (room for 16 of the largest
 * planned signatures). */
#define DOT_REVFEED_MAX_LEN	   (DOT_REVFEED_MAX_BYTES + 65536)
#define DOT_REVFEED_ANSWER_MAX_LEN 65536
/* Target false-positive rates accepted by dot_revfeed_build. */
#define DOT_REVFEED_FP_DEFAULT 1e-6
#define DOT_REVFEED_FP_MIN     1e-9
#define DOT_REVFEED_FP_MAX     0.5
/* How far in the future a feed's creation time may lie (clock skew). */
#define DOT_REVFEED_MAX_SKEW 300u

/*
 * dot_revfeed_check_token's answer on a filter hit that no exact answer
 * settles: look the rid up, then ask again. It is negative, so it is
 * neither DOT_OK nor any code of err.h's table (dot_strerror: "unknown
 * error"); a caller that only tests for DOT_OK refuses the token.
 */
#define DOT_REVFEED_LOOKUP (-1)

/*
 * The filter dimensions for n ids at a target false-positive rate p
 * (0: DOT_REVFEED_FP_DEFAULT): k = round(log2(1/p)) hash positions (at
 * most 32) and m = the smallest prime >= max(64, n * log2(1/p) / ln 2)
 * bits. DOT_EINVAL for p outside [FP_MIN, FP_MAX], DOT_ERANGE when n is
 * over DOT_REVFEED_MAX_IDS or m over DOT_REVFEED_MAX_BITS.
 */
DOT_API DOT_MUST int dot_revfeed_dimension(uint64_t n, double fp_rate,
					   uint64_t *m, uint32_t *k);

/* ---- building (a node) ---- */

struct dot_revfeed_params {
	const uint8_t *cluster_id; /* DOT_REVFEED_CLUSTER_ID_LEN bytes */
	uint64_t index;		   /* the ledger index the id set reflects */
	uint64_t created;	   /* Unix seconds: when the feed was made */
	const uint8_t *salt;	   /* DOT_REVFEED_SALT_LEN fresh random bytes */
	double fp_rate;		   /* 0: DOT_REVFEED_FP_DEFAULT */
};

/*
 * Build a feed of the nids revocation ids at ids (nids consecutive
 * DOT_RID_LEN-byte ids; duplicates only cost bits) and sign it with a node
 * key. Appends the encoded feed to out (nothing on failure). The same
 * arguments give the same bytes. DOT_EINVAL, DOT_ERANGE (too many ids or
 * a filter over 16 MiB: choose a higher rate), DOT_ENOMEM.
 */
DOT_API DOT_MUST int dot_revfeed_build(const struct dot_revfeed_params *p,
				       const uint8_t *ids, size_t nids,
				       const struct dot_sign_sk *sk,
				       struct dot_buf *out, struct dot_err *e);

/*
 * Add a node's signature to an encoded feed, after checking that the
 * filter is exactly the one this node builds from its own revocation set
 * at the feed's ledger index (ids, nids), with the feed's salt, m and k.
 * Appends the cosigned feed to out. DOT_EINVAL if the filter differs or
 * the key has signed already, DOT_ERANGE at DOT_REVFEED_MAX_SIGS
 * signatures, a parse error for a malformed feed.
 */
DOT_API DOT_MUST int dot_revfeed_cosign(const uint8_t *buf, size_t n,
					const uint8_t *ids, size_t nids,
					const struct dot_sign_sk *sk,
					struct dot_buf *out, struct dot_err *e);

/* ---- verifying (a service outside the cluster) ---- */

struct dot_revfeed_key {
	const uint8_t *pk; /* suite || public key of a node */
	size_t pk_len;
};

/* What a verifier trusts: its cluster, node keys and how many must sign. */
struct dot_revfeed_trust {
	const uint8_t *cluster_id; /* DOT_REVFEED_CLUSTER_ID_LEN bytes */
	const struct dot_revfeed_key *keys;
	size_t nkeys;	  /* 1 .. 256 */
	size_t threshold; /* distinct trusted signers required; 0 means 1 */
};

/* A verified feed; one allocation, freed by dot_revfeed_free. */
struct dot_revfeed {
	uint8_t cluster_id[DOT_REVFEED_CLUSTER_ID_LEN];
	uint64_t index;	  /* ledger index the filter reflects */
	uint64_t created; /* Unix seconds */
	uint64_t nids;	  /* revoked ids in the filter */
	uint8_t salt[DOT_REVFEED_SALT_LEN];
	uint32_t k;	     /* hash positions per id */
	uint64_t m;	     /* filter bits */
	const uint8_t *bits; /* (m + 7) / 8 bytes, bit j = bits[j/8] >> (j%8) */
	size_t nbytes;
	size_t nsigs;	  /* signatures on the feed */
	size_t nverified; /* of them, by trusted keys (all of those verified) */
};

/*
 * Parse strictly and verify an encoded feed: canonical encoding, every
 * field present with its type and in range, m and k within bounds and the
 * bit array exactly (m + 7) / 8 bytes with zero padding bits and no more
 * bits set than nids * k, the cluster id, and signatures: every signature
 * by a trusted key must verify and at least `threshold` must be there.
 * Errors: DOT_ECODEC_* (DOT_ECODEC_FIELD for a missing or unknown field,
 * DOT_ECODEC_LENGTH for a wrong size), DOT_ERANGE (version, k, m, nids,
 * bits set), DOT_EINVAL (another cluster, bad trust set),
 * DOT_ECRYPTO_SUITE, DOT_ECRYPTO_SIGNATURE (a bad signature by a trusted
 * key, or fewer trusted signers than the threshold), DOT_ENOMEM.
 */
DOT_API DOT_MUST int dot_revfeed_open(const uint8_t *buf, size_t n,
				      const struct dot_revfeed_trust *t,
				      struct dot_revfeed **out,
				      struct dot_err *e);
DOT_API void dot_revfeed_free(struct dot_revfeed *f); /* NULL ok */

/*
 * 0: rid is definitely not revoked as of f->index. 1: maybe revoked (all
 * of its k bits are set): get an exact answer before accepting the token.
 */
DOT_API int dot_revfeed_maybe_revoked(const struct dot_revfeed *f,
				      const uint8_t rid[DOT_RID_LEN]);

/*
 * 1 while the feed is fresh enough to use at `now`: created at most
 * max_age seconds ago (and at most DOT_REVFEED_MAX_SKEW seconds in the
 * future); 0 when the verifier must refresh. A verifier that refreshes
 * every R seconds and receives feeds at most D seconds old accepts a
 * revoked token for at most R + D seconds after its revocation reached
 * the ledger; max_age should be R + D plus a margin for a failed refresh.
 */
DOT_API int dot_revfeed_fresh(const struct dot_revfeed *f, uint64_t now,
			      uint64_t max_age);

/*
 * 1 if `next` may replace `cur` on refresh: the same cluster, a ledger
 * index and a creation time no lower. A replayed older feed is refused.
 */
DOT_API int dot_revfeed_replaces(const struct dot_revfeed *cur,
				 const struct dot_revfeed *next);

/* ---- exact answers ---- */

/*
 * A node's signed statement "rid is (not) revoked as of ledger index".
 * A "not revoked" answer settles a filter hit of a feed whose index is no
 * higher than its own; a "revoked" answer is final (revocation is never
 * undone).
 */
struct dot_revfeed_answer {
	uint8_t cluster_id[DOT_REVFEED_CLUSTER_ID_LEN];
	uint64_t index;
	uint64_t created;
	uint8_t rid[DOT_RID_LEN];
	int revoked;	  /* 1 revoked, 0 not revoked */
	size_t nsigs;	  /* signatures on the answer */
	size_t nverified; /* of them, by trusted keys */
};

/* Sign an answer; appends its encoding to out. */
DOT_API DOT_MUST int dot_revfeed_answer_sign(
    const uint8_t cluster_id[DOT_REVFEED_CLUSTER_ID_LEN], uint64_t index,
    uint64_t created, const uint8_t rid[DOT_RID_LEN], int revoked,
    const struct dot_sign_sk *sk, struct dot_buf *out, struct dot_err *e);

/*
 * Add a signature to an encoded answer. `revoked` is what this node's own
 * ledger says of the rid at the answer's index; DOT_EINVAL if it differs
 * or the key has signed already.
 */
DOT_API DOT_MUST int dot_revfeed_answer_cosign(const uint8_t *buf, size_t n,
					       int revoked,
					       const struct dot_sign_sk *sk,
					       struct dot_buf *out,
					       struct dot_err *e);

/* Parse strictly and verify an answer (errors as dot_revfeed_open). */
DOT_API DOT_MUST int dot_revfeed_answer_open(const uint8_t *buf, size_t n,
					     const struct dot_revfeed_trust *t,
					     struct dot_revfeed_answer *a,
					     struct dot_err *e);

/*
 * 1 if the answer has the last word on rid for a verifier holding f: it
 * names rid, is for f's cluster, and says "revoked", or "not revoked" as
 * of an index >= f->index. An older "not revoked" settles nothing.
 */
DOT_API int dot_revfeed_answer_settles(const struct dot_revfeed_answer *a,
				       const struct dot_revfeed *f,
				       const uint8_t rid[DOT_RID_LEN]);

/* ---- tokens ---- */

/*
 * Check every block of a parsed token against a feed and the exact
 * answers the caller holds (from dot_revfeed_answer_open):
 *   DOT_ETOKEN_REVOKED   an answer says some block's rid is revoked
 *   DOT_REVFEED_LOOKUP   a block's rid hits the filter and no answer
 *                        settles it: look up tok->blocks[*block].rid
 *   DOT_OK               no block is revoked as of the feed
 * *block (may be NULL) names the block. Use it with dot_token_verify (or
 * before it); token.c is unchanged.
 */
DOT_API DOT_MUST int
dot_revfeed_check_token(const struct dot_revfeed *f,
			const struct dot_token *tok,
			const struct dot_revfeed_answer *answers,
			size_t nanswers, size_t *block, struct dot_err *e);

/*
 * The same check as dot_token_verifier's revocation callback, so it runs
 * in dot_token_verify's first step, before any signature work:
 *
 *   struct dot_revfeed_check c = {feed, answers, nanswers};
 *   v.revoked = dot_revfeed_token_revoked; v.revoked_ctx = &c;
 *
 * It returns 1 (revoked) for a revoked rid and, failing closed, for an
 * unsettled filter hit; in that case it sets c.lookup and c.lookup_rid,
 * so a DOT_ETOKEN_REVOKED from dot_token_verify with c.lookup set means
 * "look lookup_rid up and verify again". A NULL feed counts every rid as
 * unsettled.
 */
struct dot_revfeed_check {
	const struct dot_revfeed *feed;
	const struct dot_revfeed_answer *answers;
	size_t nanswers;
	int lookup;			 /* out */
	uint8_t lookup_rid[DOT_RID_LEN]; /* out */
};
DOT_API int dot_revfeed_token_revoked(void *check,
				      const uint8_t rid[DOT_RID_LEN]);

#endif
