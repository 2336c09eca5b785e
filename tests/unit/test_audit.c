/*
 * test_audit.c - the Merkle log, its proofs and signed checkpoints
 * (lib/audit, docs/audit-format.md).
 *
 * Reference vectors, copied byte for byte with their sources cited:
 *   - RFC 6962 / RFC 9162 trees: the certificate-transparency test leaves
 *     and their roots, inclusion and consistency proofs, as published in
 *     github.com/transparency-dev/merkle proof/verify_test.go (the same
 *     values as Google's certificate-transparency C++ merkle_tree_test.cc
 *     and certificate-transparency-go merkletree tests);
 *   - C2SP signed notes: golang.org/x/mod/sumdb/note note_test.go
 *     (github.com/golang/mod, sumdb/note/note_test.go: TestNewVerifier,
 *     TestSign, TestOpen).
 * Beside them, every proof of every tree of 1..70 leaves is compared with a
 * direct (memoized) implementation of the RFC's recursive definitions.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "doteros/audit.h"
#include "doteros/buf.h"
#include "doteros/codec.h"
#include "doteros/composite.h"
#include "doteros/crypto.h"
#include "doteros/heap.h"
#include "harness.h"

#define HL     DOT_AUDIT_HASH_LEN
#define INIT() REQUIRE_RC(dot_crypto_init(), DOT_OK)

/* ---- the reference tree (transparency-dev/merkle proof/verify_test.go) */

static const char *const ref_leaves[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

/* roots[i] is the root of the first i + 1 leaves. */
static const char *const ref_roots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static const char ref_empty_root[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* inclusionProofs: leaf is 1-based there, as here. */
static const struct {
	uint64_t leaf, size;
	size_t n;
	const char *proof[3];
} ref_incl[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3,
     3,
     1,
     {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

/* consistencyProofs. */
static const struct {
	uint64_t size1, size2;
	size_t n;
	const char *proof[3];
} ref_cons[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void
ref_leaf_hash(size_t i, uint8_t out[HL])
{
	uint8_t d[16];
	size_t n = t_unhex(d, sizeof(d), ref_leaves[i]);

	dot_audit_hash_leaf(out, d, n);
}

/* A memory store holding the 8 reference leaves. */
static struct dot_audit_memstore *
ref_store(void)
{
	struct dot_audit_memstore *m = NULL;
	uint8_t h[HL];

	if (dot_audit_memstore_new(&m) != DOT_OK)
		return NULL;
	for (size_t i = 0; i < 8; i++) {
		ref_leaf_hash(i, h);
		if (dot_audit_memstore_append(m, h) != DOT_OK) {
			dot_audit_memstore_free(m);
			return NULL;
		}
	}
	return m;
}

/* ---- the naive tree: RFC 9162 §2.1 definitions over an array ---- */

#define NMAX 70

static uint8_t nv_leaf[NMAX][HL];
static uint8_t nv_memo[NMAX + 1][NMAX + 1][HL];
static uint8_t nv_have[NMAX + 1][NMAX + 1];

static uint64_t
nv_k(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[a:b]), b > a, straight from §2.1.1 (memoized). */
static const uint8_t *
nv_mth(uint64_t a, uint64_t b)
{
	if (!nv_have[a][b]) {
		if (b - a == 1) {
			memcpy(nv_memo[a][b], nv_leaf[a], HL);
		} else {
			uint64_t k = nv_k(b - a);
			uint8_t l[HL], r[HL];

			memcpy(l, nv_mth(a, a + k), HL);
			memcpy(r, nv_mth(a + k, b), HL);
			dot_audit_hash_node(nv_memo[a][b], l, r);
		}
		nv_have[a][b] = 1;
	}
	return nv_memo[a][b];
}

/* PATH(m, D[a:b]) (§2.1.3.1), appended to p. */
static void
nv_path(uint64_t m, uint64_t a, uint64_t b, uint8_t (*p)[HL], size_t *n)
{
	uint64_t k;

	if (b - a <= 1)
		return;
	k = nv_k(b - a);
	if (m < k) {
		nv_path(m, a, a + k, p, n);
		memcpy(p[(*n)++], nv_mth(a + k, b), HL);
	} else {
		nv_path(m - k, a + k, b, p, n);
		memcpy(p[(*n)++], nv_mth(a, a + k), HL);
	}
}

/* SUBPROOF(m, D[a:b], flag) (§2.1.4.1). */
static void
nv_subproof(uint64_t m, uint64_t a, uint64_t b, int flag, uint8_t (*p)[HL],
	    size_t *n)
{
	uint64_t k;

	if (m == b - a) {
		if (!flag)
			memcpy(p[(*n)++], nv_mth(a, b), HL);
		return;
	}
	k = nv_k(b - a);
	if (m <= k) {
		nv_subproof(m, a, a + k, flag, p, n);
		memcpy(p[(*n)++], nv_mth(a + k, b), HL);
	} else {
		nv_subproof(m - k, a + k, b, 0, p, n);
		memcpy(p[(*n)++], nv_mth(a, a + k), HL);
	}
}

static void
nv_init(void)
{
	memset(nv_have, 0, sizeof(nv_have));
	for (uint64_t i = 0; i < NMAX; i++) {
		uint8_t d[3] = {(uint8_t)i, (uint8_t)(i * 7), 0x5a};

		dot_audit_hash_leaf(nv_leaf[i], d, 1 + i % 3);
	}
}

static const uint8_t *
nv_root(uint64_t n)
{
	static uint8_t empty[HL];

	if (n == 0) {
		dot_audit_empty_root(empty);
		return empty;
	}
	return nv_mth(0, n);
}

/* ---- hashing ---- */

static void
test_leaf_and_node_hash(void)
{
	uint8_t want[HL], got[HL], a[32], b[32], buf[65];

	INIT();
	/* MTH({}) = SHA-256(""). */
	t_unhex(want, HL, ref_empty_root);
	dot_audit_empty_root(got);
	CHECK_MEM(got, want, HL);
	/* The one-leaf tree of "" is SHA-256(0x00) (the first reference root).
	 */
	t_unhex(want, HL, ref_roots[0]);
	dot_audit_hash_leaf(got, "", 0);
	CHECK_MEM(got, want, HL);
	/* The Doteros leaf: SHA-256(0x00 || tx id || receipt hash); tx id
	 * 00..1f, receipt hash 20..3f (Python hashlib). */
	for (int i = 0; i < 32; i++) {
		a[i] = (uint8_t)i;
		b[i] = (uint8_t)(32 + i);
	}
	t_unhex(
	    want, HL,
	    "e4fb1329f08b46df92906ff0be9b7ab12c44eabd3eb8651e69edb27bd8a19e95");
	dot_audit_leaf(a, b, got);
	CHECK_MEM(got, want, HL);
	/* Node: SHA-256(0x01 || l || r), so not the leaf hash of l || r. */
	buf[0] = 0x01;
	memcpy(buf + 1, a, 32);
	memcpy(buf + 33, b, 32);
	dot_sha256(want, buf, 65);
	dot_audit_hash_node(got, a, b);
	CHECK_MEM(got, want, HL);
	dot_audit_hash_node(got, b, a);
	CHECK(memcmp(got, want, HL) != 0);
}

static void
test_reference_roots(void)
{
	struct dot_audit_frontier f;
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	uint8_t want[HL], got[HL], h[HL];

	INIT();
	dot_audit_frontier_init(&f);
	t_unhex(want, HL, ref_empty_root);
	dot_audit_frontier_root(&f, got);
	CHECK_MEM(got, want, HL);
	m = ref_store();
	REQUIRE(m != NULL);
	s = dot_audit_memstore_store(m);
	CHECK_RC(dot_audit_store_root(&s, 0, got), DOT_OK);
	CHECK_MEM(got, want, HL);
	for (size_t i = 0; i < 8; i++) {
		ref_leaf_hash(i, h);
		REQUIRE_RC(dot_audit_frontier_append(&f, h, NULL, NULL),
			   DOT_OK);
		t_unhex(want, HL, ref_roots[i]);
		dot_audit_frontier_root(&f, got);
		CHECK_MEM(got, want, HL);
		CHECK(f.size == i + 1);
		CHECK(f.n == (unsigned)__builtin_popcountll(i + 1));
		CHECK_RC(dot_audit_store_root(&s, i + 1, got), DOT_OK);
		CHECK_MEM(got, want, HL);
	}
	dot_audit_frontier_root(dot_audit_memstore_frontier(m), got);
	CHECK_MEM(got, want, HL);
	/* The store has nothing beyond its size. */
	CHECK_RC(dot_audit_store_root(&s, 9, got), DOT_EAUDIT_STORE);
	dot_audit_memstore_free(m);
}

/* ---- reference proofs, and the probes of transparency-dev's
 * corruptInclusionProof / corruptConsistencyProof ---- */

static void
test_reference_inclusion(void)
{
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	struct dot_audit_proof p, q;
	uint8_t root[HL], leaf[HL], bad[HL];

	INIT();
	m = ref_store();
	REQUIRE(m != NULL);
	s = dot_audit_memstore_store(m);
	memset(bad, 0xab, HL);
	for (size_t t = 0; t < sizeof(ref_incl) / sizeof(ref_incl[0]); t++) {
		uint64_t idx = ref_incl[t].leaf - 1, size = ref_incl[t].size;

		memset(&p, 0, sizeof(p));
		p.kind = DOT_AUDIT_PROOF_INCLUSION;
		p.index = idx;
		p.size = size;
		p.n = ref_incl[t].n;
		for (size_t i = 0; i < p.n; i++)
			t_unhex(p.hashes[i], HL, ref_incl[t].proof[i]);
		t_unhex(root, HL, ref_roots[size - 1]);
		ref_leaf_hash(idx, leaf);
		/* Generation gives the published proof, byte for byte. */
		REQUIRE_RC(dot_audit_prove_inclusion(&s, idx, size, &q),
			   DOT_OK);
		CHECK(q.n == p.n);
		CHECK_MEM(q.hashes, p.hashes, p.n * HL);
		CHECK(dot_audit_inclusion_len(idx, size) == p.n);
		CHECK_RC(dot_audit_verify_inclusion(idx, size, leaf,
						    p.hashes[0], p.n, root),
			 DOT_OK);
		/* Wrong index, wrong size, wrong leaf or root. */
		if (idx > 0)
			CHECK(dot_audit_verify_inclusion(idx - 1, size, leaf,
							 p.hashes[0], p.n,
							 root) != DOT_OK);
		CHECK(dot_audit_verify_inclusion(idx + 1, size, leaf,
						 p.hashes[0], p.n,
						 root) != DOT_OK);
		CHECK(dot_audit_verify_inclusion(idx ^ 2, size, leaf,
						 p.hashes[0], p.n,
						 root) != DOT_OK);
		CHECK(dot_audit_verify_inclusion(idx, size * 2, leaf,
						 p.hashes[0], p.n,
						 root) != DOT_OK);
		CHECK(dot_audit_verify_inclusion(idx, size / 2, leaf,
						 p.hashes[0], p.n,
						 root) != DOT_OK);
		CHECK_RC(dot_audit_verify_inclusion(idx, size, bad, p.hashes[0],
						    p.n, root),
			 DOT_EAUDIT_INCLUSION);
		CHECK_RC(dot_audit_verify_inclusion(idx, size, leaf,
						    p.hashes[0], p.n, bad),
			 DOT_EAUDIT_INCLUSION);
		/* Extra hashes at either end, or one missing. */
		q = p;
		memcpy(q.hashes[q.n++], root, HL);
		CHECK_RC(dot_audit_verify_inclusion(idx, size, leaf,
						    q.hashes[0], q.n, root),
			 DOT_EAUDIT_PROOF_LENGTH);
		memmove(q.hashes[1], p.hashes[0], p.n * HL);
		memcpy(q.hashes[0], root, HL);
		CHECK_RC(dot_audit_verify_inclusion(idx, size, leaf,
						    q.hashes[0], q.n, root),
			 DOT_EAUDIT_PROOF_LENGTH);
		if (p.n > 0)
			CHECK_RC(dot_audit_verify_inclusion(idx, size, leaf,
							    p.hashes[0],
							    p.n - 1, root),
				 DOT_EAUDIT_PROOF_LENGTH);
		/* A flipped bit in any hash. */
		for (size_t i = 0; i < p.n; i++) {
			q = p;
			q.hashes[i][0] ^= 8;
			CHECK_RC(dot_audit_verify_inclusion(
				     idx, size, leaf, q.hashes[0], q.n, root),
				 DOT_EAUDIT_INCLUSION);
		}
	}
	/* transparency-dev TestVerifyInclusion probes: (index, size) of
	 * (0, 0), (0, 1) with a wrong root, (1, 0), (2, 1). */
	t_unhex(root, HL, ref_empty_root);
	CHECK_RC(dot_audit_verify_inclusion(0, 0, bad, NULL, 0, root),
		 DOT_EAUDIT_PROOF_RANGE);
	CHECK_RC(dot_audit_verify_inclusion(0, 1, bad, NULL, 0, root),
		 DOT_EAUDIT_INCLUSION);
	CHECK_RC(dot_audit_verify_inclusion(1, 0, bad, NULL, 0, root),
		 DOT_EAUDIT_PROOF_RANGE);
	CHECK_RC(dot_audit_verify_inclusion(2, 1, bad, NULL, 0, root),
		 DOT_EAUDIT_PROOF_RANGE);
	/* TestVerifyInclusionSingleEntry: root and leaf of a 1-tree are one. */
	dot_audit_hash_leaf(leaf, "data", 4);
	CHECK_RC(dot_audit_verify_inclusion(0, 1, leaf, NULL, 0, leaf), DOT_OK);
	CHECK_RC(dot_audit_prove_inclusion(&s, 8, 8, &q),
		 DOT_EAUDIT_PROOF_RANGE);
	dot_audit_memstore_free(m);
}

static void
test_reference_consistency(void)
{
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	struct dot_audit_proof p, q;
	uint8_t r1[HL], r2[HL], empty[HL], bad[HL];

	INIT();
	m = ref_store();
	REQUIRE(m != NULL);
	s = dot_audit_memstore_store(m);
	memset(bad, 0xab, HL);
	for (size_t t = 0; t < sizeof(ref_cons) / sizeof(ref_cons[0]); t++) {
		uint64_t s1 = ref_cons[t].size1, s2 = ref_cons[t].size2;

		memset(&p, 0, sizeof(p));
		p.kind = DOT_AUDIT_PROOF_CONSISTENCY;
		p.index = s1;
		p.size = s2;
		p.n = ref_cons[t].n;
		for (size_t i = 0; i < p.n; i++)
			t_unhex(p.hashes[i], HL, ref_cons[t].proof[i]);
		t_unhex(r1, HL, ref_roots[s1 - 1]);
		t_unhex(r2, HL, ref_roots[s2 - 1]);
		REQUIRE_RC(dot_audit_prove_consistency(&s, s1, s2, &q), DOT_OK);
		CHECK(q.n == p.n);
		CHECK_MEM(q.hashes, p.hashes, p.n * HL);
		CHECK(dot_audit_consistency_len(s1, s2) == p.n);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, r1, r2,
						      p.hashes[0], p.n),
			 DOT_OK);
		if (p.n == 0)
			continue;
		/* Wrong sizes, roots; swapped roots; empty proof. */
		CHECK(dot_audit_verify_consistency(s1 - 1, s2, r1, r2,
						   p.hashes[0], p.n) != DOT_OK);
		CHECK(dot_audit_verify_consistency(s1 + 1, s2, r1, r2,
						   p.hashes[0], p.n) != DOT_OK);
		CHECK(dot_audit_verify_consistency(s1 ^ 2, s2, r1, r2,
						   p.hashes[0], p.n) != DOT_OK);
		CHECK(dot_audit_verify_consistency(s1, s2 * 2, r1, r2,
						   p.hashes[0], p.n) != DOT_OK);
		CHECK(dot_audit_verify_consistency(s1, s2 / 2, r1, r2,
						   p.hashes[0], p.n) != DOT_OK);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, bad, r2,
						      p.hashes[0], p.n),
			 DOT_EAUDIT_CONSISTENCY);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, r1, bad,
						      p.hashes[0], p.n),
			 DOT_EAUDIT_CONSISTENCY);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, r2, r1,
						      p.hashes[0], p.n),
			 DOT_EAUDIT_CONSISTENCY);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, r1, r2, NULL, 0),
			 DOT_EAUDIT_PROOF_LENGTH);
		/* Trailing or preceding hashes, a truncated proof. */
		q = p;
		memcpy(q.hashes[q.n++], r1, HL);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, r1, r2,
						      q.hashes[0], q.n),
			 DOT_EAUDIT_PROOF_LENGTH);
		memmove(q.hashes[1], p.hashes[0], p.n * HL);
		memcpy(q.hashes[0], p.hashes[0], HL);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, r1, r2,
						      q.hashes[0], q.n),
			 DOT_EAUDIT_PROOF_LENGTH);
		CHECK_RC(dot_audit_verify_consistency(s1, s2, r1, r2,
						      p.hashes[0], p.n - 1),
			 DOT_EAUDIT_PROOF_LENGTH);
		for (size_t i = 0; i < p.n; i++) {
			q = p;
			q.hashes[i][0] ^= 16;
			CHECK_RC(dot_audit_verify_consistency(s1, s2, r1, r2,
							      q.hashes[0], q.n),
				 DOT_EAUDIT_CONSISTENCY);
		}
	}
	/* transparency-dev TestVerifyConsistency edge cases, with Doteros'
	 * stricter reading of the empty tree (its root must be SHA-256("")). */
	t_unhex(empty, HL, ref_empty_root);
	t_unhex(r1, HL, ref_roots[0]);
	t_unhex(r2, HL, ref_roots[1]);
	CHECK_RC(dot_audit_verify_consistency(0, 0, empty, empty, NULL, 0),
		 DOT_OK);
	CHECK_RC(dot_audit_verify_consistency(0, 0, empty, r2, NULL, 0),
		 DOT_EAUDIT_CONSISTENCY);
	CHECK_RC(dot_audit_verify_consistency(0, 1, empty, r1, NULL, 0),
		 DOT_OK);
	CHECK_RC(dot_audit_verify_consistency(0, 1, bad, r1, NULL, 0),
		 DOT_EAUDIT_CONSISTENCY);
	CHECK_RC(dot_audit_verify_consistency(1, 1, r1, r1, NULL, 0), DOT_OK);
	CHECK_RC(dot_audit_verify_consistency(1, 1, r1, r2, NULL, 0),
		 DOT_EAUDIT_CONSISTENCY);
	CHECK_RC(dot_audit_verify_consistency(1, 0, r1, r2, NULL, 0),
		 DOT_EAUDIT_PROOF_RANGE);
	CHECK_RC(dot_audit_verify_consistency(2, 1, r1, r2, NULL, 0),
		 DOT_EAUDIT_PROOF_RANGE);
	CHECK_RC(dot_audit_verify_consistency(1, 2, r1, r2, NULL, 0),
		 DOT_EAUDIT_PROOF_LENGTH);
	CHECK_RC(dot_audit_verify_consistency(0, 0, empty, empty,
					      (const uint8_t *)empty, 1),
		 DOT_EAUDIT_PROOF_LENGTH);
	CHECK_RC(dot_audit_verify_consistency(0, 1, empty, r1,
					      (const uint8_t *)empty, 1),
		 DOT_EAUDIT_PROOF_LENGTH);
	CHECK_RC(dot_audit_verify_consistency(1, 1, r1, r1,
					      (const uint8_t *)empty, 1),
		 DOT_EAUDIT_PROOF_LENGTH);
	CHECK_RC(dot_audit_prove_consistency(&s, 5, 4, &q),
		 DOT_EAUDIT_PROOF_RANGE);
	dot_audit_memstore_free(m);
}

/* ---- every tree of 1..70 leaves against the naive definitions ---- */

static struct dot_audit_memstore *
nv_store(void)
{
	struct dot_audit_memstore *m = NULL;

	if (dot_audit_memstore_new(&m) != DOT_OK)
		return NULL;
	for (size_t i = 0; i < NMAX; i++)
		if (dot_audit_memstore_append(m, nv_leaf[i]) != DOT_OK) {
			dot_audit_memstore_free(m);
			return NULL;
		}
	return m;
}

static void
test_all_inclusion_proofs(void)
{
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	struct dot_audit_proof p, q;
	uint8_t want[DOT_AUDIT_MAX_PROOF][HL], root[HL];
	size_t nw, bad = 0, count = 0;

	INIT();
	nv_init();
	m = nv_store();
	REQUIRE(m != NULL);
	s = dot_audit_memstore_store(m);
	for (uint64_t size = 1; size <= NMAX; size++) {
		REQUIRE_RC(dot_audit_store_root(&s, size, root), DOT_OK);
		CHECK_MEM(root, nv_root(size), HL);
		for (uint64_t i = 0; i < size; i++) {
			nw = 0;
			nv_path(i, 0, size, want, &nw);
			REQUIRE_RC(dot_audit_prove_inclusion(&s, i, size, &p),
				   DOT_OK);
			count++;
			bad += p.n != nw || memcmp(p.hashes, want, nw * HL) ||
			       dot_audit_inclusion_len(i, size) != nw;
			bad += dot_audit_verify_inclusion(i, size, nv_leaf[i],
							  p.hashes[0], p.n,
							  root) != DOT_OK;
			/* Every other index (with its own leaf and with this
			 * one), and every other size up to 70 with that
			 * size's own root, is refused: all of them in trees
			 * up to 24 leaves, the neighbours in larger ones. */
			for (uint64_t j = 0; j < size; j++) {
				if (j == i ||
				    (size > 24 && j + 1 != i && j != i + 1 &&
				     j != (i ^ 2) && j != (i ^ 8)))
					continue;
				bad += dot_audit_verify_inclusion(
					   j, size, nv_leaf[i], p.hashes[0],
					   p.n, root) == DOT_OK;
				bad += dot_audit_verify_inclusion(
					   j, size, nv_leaf[j], p.hashes[0],
					   p.n, root) == DOT_OK;
			}
			for (uint64_t z = i + 1; z <= NMAX; z++)
				if (z != size &&
				    (size <= 24 || z + 1 == size ||
				     z == size + 1 || z == 2 * size ||
				     z == size / 2))
					bad +=
					    dot_audit_verify_inclusion(
						i, z, nv_leaf[i], p.hashes[0],
						p.n, nv_root(z)) == DOT_OK;
			/* One flipped bit in each hash; every byte of every
			 * hash in the smaller trees. */
			for (size_t h = 0; h < p.n; h++) {
				size_t nb = size <= 12 ? HL : 1;

				for (size_t b = 0; b < nb; b++) {
					q = p;
					q.hashes[h][(b * 7 + h) % HL] ^=
					    (uint8_t)(1u << (b % 8));
					bad += dot_audit_verify_inclusion(
						   i, size, nv_leaf[i],
						   q.hashes[0], q.n, root) !=
					       DOT_EAUDIT_INCLUSION;
				}
			}
		}
	}
	CHECK(count == NMAX * (NMAX + 1) / 2);
	CHECK(bad == 0);
	dot_audit_memstore_free(m);
}

static void
test_all_consistency_proofs(void)
{
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	struct dot_audit_proof p, q;
	uint8_t want[DOT_AUDIT_MAX_PROOF][HL];
	size_t nw, bad = 0, count = 0;

	INIT();
	nv_init();
	m = nv_store();
	REQUIRE(m != NULL);
	s = dot_audit_memstore_store(m);
	for (uint64_t s2 = 1; s2 <= NMAX; s2++) {
		for (uint64_t s1 = 0; s1 <= s2; s1++) {
			const uint8_t *r1 = nv_root(s1), *r2 = nv_root(s2);

			nw = 0;
			if (s1 > 0 && s1 < s2)
				nv_subproof(s1, 0, s2, 1, want, &nw);
			REQUIRE_RC(dot_audit_prove_consistency(&s, s1, s2, &p),
				   DOT_OK);
			count++;
			bad += p.n != nw || memcmp(p.hashes, want, nw * HL) ||
			       dot_audit_consistency_len(s1, s2) != nw;
			bad += dot_audit_verify_consistency(
				   s1, s2, r1, r2, p.hashes[0], p.n) != DOT_OK;
			if (s1 == 0 || s1 == s2)
				continue;
			/* Every other pair of sizes up to 70, with their own
			 * roots, for trees up to 16 leaves; the neighbouring
			 * pairs for larger ones. */
			for (uint64_t a = 1; a <= NMAX; a++)
				for (uint64_t b = a + 1; b <= NMAX; b++) {
					int near =
					    (a + 1 >= s1 && a <= s1 + 1 &&
					     b + 1 >= s2 && b <= s2 + 1) ||
					    (a == s1 &&
					     (b == 2 * s2 || b == s2 / 2)) ||
					    (b == s2 &&
					     (a == s1 / 2 || a == (s1 ^ 2)));

					if ((a == s1 && b == s2) ||
					    (s2 > 16 && !near))
						continue;
					bad += dot_audit_verify_consistency(
						   a, b, nv_root(a), nv_root(b),
						   p.hashes[0], p.n) == DOT_OK;
				}
			for (size_t h = 0; h < p.n; h++) {
				size_t nb = s2 <= 12 ? HL : 1;

				for (size_t b = 0; b < nb; b++) {
					q = p;
					q.hashes[h][(b * 5 + h) % HL] ^=
					    (uint8_t)(0x80u >> (b % 8));
					bad +=
					    dot_audit_verify_consistency(
						s1, s2, r1, r2, q.hashes[0],
						q.n) != DOT_EAUDIT_CONSISTENCY;
				}
			}
		}
	}
	CHECK(count == (NMAX + 1) * (NMAX + 2) / 2 - 1);
	CHECK(bad == 0);
	dot_audit_memstore_free(m);
}

/* ---- the frontier ---- */

struct collect {
	size_t calls;
	int fail_at; /* fail the nth put (1-based); 0: never */
	struct dot_audit_memstore *mirror;
	uint8_t (*nodes)[NMAX + 1][HL]; /* [level][index] */
};

static int
collect_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[HL])
{
	struct collect *c = ctx;

	c->calls++;
	if (c->fail_at && (int)c->calls == c->fail_at)
		return DOT_EAUDIT_STORE;
	if (level < 8 && index <= NMAX)
		memcpy(c->nodes[level][index], h, HL);
	return DOT_OK;
}

static void
test_frontier(void)
{
	static uint8_t nodes[8][NMAX + 1][HL];
	struct dot_audit_frontier f, g, before;
	struct collect c = {0, 0, NULL, nodes};
	struct dot_buf b = {0};
	uint8_t root[HL], buf[4096];
	size_t n;

	INIT();
	nv_init();
	dot_audit_frontier_init(&f);
	for (uint64_t i = 0; i < NMAX; i++) {
		REQUIRE_RC(
		    dot_audit_frontier_append(&f, nv_leaf[i], collect_put, &c),
		    DOT_OK);
		dot_audit_frontier_root(&f, root);
		CHECK_MEM(root, nv_root(i + 1), HL);
		/* Every completed perfect subtree was reported with its
		 * (level, index) and its naive hash. */
		for (unsigned l = 0; (1ull << l) <= i + 1 && l < 8; l++)
			if (((i + 1) & ((1ull << l) - 1)) == 0) {
				uint64_t idx = ((i + 1) >> l) - 1;

				CHECK_MEM(nodes[l][idx],
					  nv_mth(idx << l, (idx + 1) << l), HL);
			}
		/* Snapshot round trip, byte-identical. */
		b.len = 0;
		REQUIRE_RC(dot_audit_frontier_encode(&f, &b), DOT_OK);
		REQUIRE_RC(dot_audit_frontier_parse(b.data, b.len, &g, NULL),
			   DOT_OK);
		CHECK(g.size == f.size && g.n == f.n);
		CHECK_MEM(g.nodes, f.nodes, f.n * HL);
	}
	/* A failing put leaves the frontier unchanged and is passed back:
	 * at 70 = 0b1000110 the leaf is the only put; at 71 = 0b1000111 the
	 * leaf and three combinations. */
	before = f;
	c.calls = 0;
	c.fail_at = 1;
	CHECK_RC(dot_audit_frontier_append(&f, nv_leaf[0], collect_put, &c),
		 DOT_EAUDIT_STORE);
	CHECK(memcmp(&f, &before, sizeof(f)) == 0);
	g = f;
	REQUIRE_RC(dot_audit_frontier_append(&g, nv_leaf[0], NULL, NULL),
		   DOT_OK);
	for (int k = 1; k <= 4; k++) {
		before = g;
		c.calls = 0;
		c.fail_at = k;
		CHECK_RC(
		    dot_audit_frontier_append(&g, nv_leaf[1], collect_put, &c),
		    DOT_EAUDIT_STORE);
		CHECK(memcmp(&g, &before, sizeof(g)) == 0);
	}
	c.calls = 0;
	c.fail_at = 0;
	CHECK_RC(dot_audit_frontier_append(&g, nv_leaf[1], collect_put, &c),
		 DOT_OK);
	CHECK(c.calls == 4 && g.size == 72 && g.n == 2);

	/* Strict parse. Size 70 needs exactly 3 hashes. */
	b.len = 0;
	REQUIRE_RC(dot_audit_frontier_encode(&f, &b), DOT_OK);
	REQUIRE(b.len < sizeof(buf));
	memcpy(buf, b.data, b.len);
	n = b.len;
	/* {1: 1, 2: 70, 3: [h, h, h]}: a1 01 01 02 18 46 03 83 58 20 ... */
	CHECK(buf[0] == 0xa3 && buf[4] == 0x18 && buf[5] == 70);
	buf[5] = 71; /* 4 bits set: count mismatch */
	CHECK_RC(dot_audit_frontier_parse(buf, n, &g, NULL),
		 DOT_EAUDIT_FRONTIER_FORMAT);
	CHECK(g.size == 0 && g.n == 0);
	buf[5] = 70;
	buf[2] = 2; /* version 2 */
	CHECK_RC(dot_audit_frontier_parse(buf, n, &g, NULL),
		 DOT_EAUDIT_FRONTIER_FORMAT);
	buf[2] = 1;
	buf[1] = 4; /* key 4 where 1 was */
	CHECK(dot_audit_frontier_parse(buf, n, &g, NULL) != DOT_OK);
	buf[1] = 1;
	CHECK_RC(dot_audit_frontier_parse(buf, n - 1, &g, NULL),
		 DOT_ECODEC_TRUNCATED);
	buf[n] = 0;
	CHECK_RC(dot_audit_frontier_parse(buf, n + 1, &g, NULL),
		 DOT_ECODEC_TRAILING);
	/* Non-canonical size: 70 in a two-byte head. */
	{
		uint8_t nc[200];

		memcpy(nc, buf, 5);
		nc[4] = 0x19;
		nc[5] = 0;
		nc[6] = 70;
		memcpy(nc + 7, buf + 6, n - 6);
		CHECK_RC(dot_audit_frontier_parse(nc, n + 1, &g, NULL),
			 DOT_ECODEC_NONCANONICAL);
	}
	CHECK_RC(dot_audit_frontier_parse(buf, 0, &g, NULL),
		 DOT_ECODEC_TRUNCATED);
	/* 65 hashes: over the limit. */
	{
		struct dot_buf big = {0};

		dot_enc_map(&big, 3);
		dot_enc_uint(&big, 1);
		dot_enc_uint(&big, 1);
		dot_enc_uint(&big, 2);
		dot_enc_uint(&big, UINT64_MAX);
		dot_enc_uint(&big, 3);
		dot_enc_array(&big, 65);
		for (int i = 0; i < 65; i++)
			dot_enc_bstr(&big, root, HL);
		CHECK_RC(dot_audit_frontier_parse(big.data, big.len, &g, NULL),
			 DOT_ECODEC_LENGTH);
		dot_buf_free(&big);
	}
	/* The largest tree: 64 subtrees, and one more leaf is refused. */
	dot_audit_frontier_init(&g);
	g.size = UINT64_MAX;
	g.n = 64;
	b.len = 0;
	REQUIRE_RC(dot_audit_frontier_encode(&g, &b), DOT_OK);
	REQUIRE_RC(dot_audit_frontier_parse(b.data, b.len, &f, NULL), DOT_OK);
	CHECK(f.size == UINT64_MAX && f.n == 64);
	CHECK_RC(dot_audit_frontier_append(&f, root, NULL, NULL), DOT_ERANGE);
	g.n = 63;
	CHECK_RC(dot_audit_frontier_encode(&g, &b), DOT_EINVAL);
	dot_buf_free(&b);
}

/* ---- proof encoding ---- */

static void
test_proof_encoding(void)
{
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	struct dot_audit_proof p, q;
	struct dot_buf b = {0}, b2 = {0};
	uint8_t buf[4096], root[HL], r1[HL];
	size_t bad = 0, n;

	INIT();
	nv_init();
	m = nv_store();
	REQUIRE(m != NULL);
	s = dot_audit_memstore_store(m);
	/* Round trips, byte-identical re-encoding. */
	for (uint64_t size = 1; size <= NMAX; size += 3) {
		for (uint64_t i = 0; i <= size; i += 2) {
			if (i < size) {
				REQUIRE_RC(
				    dot_audit_prove_inclusion(&s, i, size, &p),
				    DOT_OK);
			} else {
				REQUIRE_RC(dot_audit_prove_consistency(
					       &s, size / 2, size, &p),
					   DOT_OK);
			}
			b.len = b2.len = 0;
			REQUIRE_RC(dot_audit_proof_encode(&p, &b), DOT_OK);
			REQUIRE_RC(
			    dot_audit_proof_parse(b.data, b.len, &q, NULL),
			    DOT_OK);
			REQUIRE_RC(dot_audit_proof_encode(&q, &b2), DOT_OK);
			bad += b.len != b2.len ||
			       memcmp(b.data, b2.data, b.len) != 0;
			bad += q.kind != p.kind || q.index != p.index ||
			       q.size != p.size || q.n != p.n;
		}
	}
	CHECK(bad == 0);

	/* Every byte of an encoded proof, flipped: refused by the parser or
	 * by verification against the true sizes and roots. */
	REQUIRE_RC(dot_audit_prove_inclusion(&s, 37, 70, &p), DOT_OK);
	REQUIRE_RC(dot_audit_store_root(&s, 70, root), DOT_OK);
	b.len = 0;
	REQUIRE_RC(dot_audit_proof_encode(&p, &b), DOT_OK);
	memcpy(buf, b.data, b.len);
	n = b.len;
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (dot_audit_proof_parse(buf, n, &q, NULL) == DOT_OK)
				bad += q.kind == DOT_AUDIT_PROOF_INCLUSION &&
				       q.index == 37 && q.size == 70 &&
				       dot_audit_verify_inclusion(
					   37, 70, nv_leaf[37], q.hashes[0],
					   q.n, root) == DOT_OK;
			buf[i] ^= (uint8_t)(1u << bit);
		}
	CHECK(bad == 0);
	REQUIRE_RC(dot_audit_prove_consistency(&s, 23, 70, &p), DOT_OK);
	REQUIRE_RC(dot_audit_store_root(&s, 23, r1), DOT_OK);
	b.len = 0;
	REQUIRE_RC(dot_audit_proof_encode(&p, &b), DOT_OK);
	memcpy(buf, b.data, b.len);
	n = b.len;
	for (size_t i = 0; i < n; i++) {
		buf[i] ^= 0x01;
		if (dot_audit_proof_parse(buf, n, &q, NULL) == DOT_OK)
			bad += q.kind == DOT_AUDIT_PROOF_CONSISTENCY &&
			       q.index == 23 && q.size == 70 &&
			       dot_audit_verify_consistency(23, 70, r1, root,
							    q.hashes[0],
							    q.n) == DOT_OK;
		buf[i] ^= 0x01;
	}
	CHECK(bad == 0);

	/* Precise refusals. Layout: a5 01 01 02 kind 03 index 04 size 05 ...*/
	CHECK(buf[0] == 0xa5 && buf[4] == 0x02 && buf[6] == 23);
	buf[4] = 3;
	CHECK_RC(dot_audit_proof_parse(buf, n, &q, NULL),
		 DOT_EAUDIT_PROOF_FORMAT);
	buf[4] = 1; /* inclusion of leaf 23 of 70 needs another count */
	CHECK_RC(dot_audit_proof_parse(buf, n, &q, NULL),
		 DOT_EAUDIT_PROOF_LENGTH);
	buf[4] = 2;
	buf[6] = 22; /* another size1: another length (6 vs 23's) */
	CHECK(dot_audit_consistency_len(22, 70) !=
	      dot_audit_consistency_len(23, 70));
	CHECK_RC(dot_audit_proof_parse(buf, n, &q, NULL),
		 DOT_EAUDIT_PROOF_LENGTH);
	buf[6] = 23;
	CHECK_RC(dot_audit_proof_parse(buf, n, &q, NULL), DOT_OK);
	/* size1 > size2 */
	q.index = 71;
	q.n = 0;
	b2.len = 0;
	CHECK_RC(dot_audit_proof_encode(&q, &b2), DOT_EINVAL);
	{
		struct dot_buf x = {0};

		dot_enc_map(&x, 5);
		dot_enc_uint(&x, 1);
		dot_enc_uint(&x, 1);
		dot_enc_uint(&x, 2);
		dot_enc_uint(&x, 2);
		dot_enc_uint(&x, 3);
		dot_enc_uint(&x, 71);
		dot_enc_uint(&x, 4);
		dot_enc_uint(&x, 70);
		dot_enc_uint(&x, 5);
		dot_enc_array(&x, 0);
		CHECK_RC(dot_audit_proof_parse(x.data, x.len, &q, NULL),
			 DOT_EAUDIT_PROOF_RANGE);
		/* inclusion with index == size */
		CHECK(x.data[6] == 0x18 && x.data[7] == 71);
		x.data[4] = 1;
		x.data[7] = 70;
		CHECK_RC(dot_audit_proof_parse(x.data, x.len, &q, NULL),
			 DOT_EAUDIT_PROOF_RANGE);
		/* a 31-byte hash */
		x.len = 0;
		dot_enc_map(&x, 5);
		dot_enc_uint(&x, 1);
		dot_enc_uint(&x, 1);
		dot_enc_uint(&x, 2);
		dot_enc_uint(&x, 1);
		dot_enc_uint(&x, 3);
		dot_enc_uint(&x, 0);
		dot_enc_uint(&x, 4);
		dot_enc_uint(&x, 2);
		dot_enc_uint(&x, 5);
		dot_enc_array(&x, 1);
		dot_enc_bstr(&x, root, 31);
		CHECK_RC(dot_audit_proof_parse(x.data, x.len, &q, NULL),
			 DOT_EAUDIT_PROOF_FORMAT);
		dot_buf_free(&x);
	}
	dot_buf_free(&b);
	dot_buf_free(&b2);
	dot_audit_memstore_free(m);
}

/* ---- signed notes: golang.org/x/mod/sumdb/note note_test.go ---- */

static const char go_peter_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_enoch_vkey[] =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
/* The signer key "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr
 * +Y7hfZx09iUvxdXHKDFz": its base64 is 0x01 || the Ed25519 seed. */
static const char go_peter_skey_b64[] =
    "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char go_peter_sig[] = "\xe2\x80\x94 PeterNeumann "
				   "x08go/ZJkuBS9UG/"
				   "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2p"
				   "ZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char go_enoch_sig[] =
    "\xe2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/* Standard base64 decoding for the test (the library's is internal). */
static size_t
t_unb64(uint8_t *out, const char *in)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		acc = acc << 6 | (uint32_t)(strchr(a, *in) - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static struct dot_buf
cat(const char *a, const char *b, const char *c, const char *d)
{
	struct dot_buf x = {0};

	dot_buf_put(&x, a, strlen(a));
	dot_buf_put(&x, b, strlen(b));
	dot_buf_put(&x, c, strlen(c));
	dot_buf_put(&x, d, strlen(d));
	return x;
}

static int
t_open(const struct dot_buf *x, const struct dot_audit_vkey *keys, size_t nk,
       size_t *nverified)
{
	struct dot_audit_note *nt = NULL;
	int rv = dot_audit_note_open((const char *)x->data, x->len, keys, nk,
				     &nt, NULL);

	if (nverified)
		*nverified = nt ? nt->nverified : 0;
	dot_audit_note_free(nt);
	return rv;
}

static void
test_go_verifier_keys(void)
{
	struct dot_audit_vkey v, w;
	struct dot_buf b = {0};
	char k[sizeof(go_peter_vkey)];
	size_t len = strlen(go_peter_vkey), bad = 0;

	INIT();
	REQUIRE_RC(dot_audit_vkey_parse(&v, go_peter_vkey, len, NULL), DOT_OK);
	CHECK(v.key_id == 0xc74f20a3);
	CHECK(v.name_len == 12 && strcmp(v.name, "PeterNeumann") == 0);
	CHECK(v.pk[0] == DOT_SUITE_ED25519);
	/* The key id is recomputed from name and key, and encodes back. */
	REQUIRE_RC(
	    dot_audit_vkey_from_pk(&w, "PeterNeumann", 12, v.pk, sizeof(v.pk)),
	    DOT_OK);
	CHECK(w.key_id == 0xc74f20a3);
	REQUIRE_RC(dot_audit_vkey_encode(&w, &b), DOT_OK);
	CHECK(b.len == len && memcmp(b.data, go_peter_vkey, len) == 0);
	REQUIRE_RC(dot_audit_vkey_parse(&v, go_enoch_vkey,
					strlen(go_enoch_vkey), NULL),
		   DOT_OK);
	CHECK(v.key_id == 0xaf0cfe78);
	/* TestNewVerifier: every proper substring and every byte + 1 is
	 * refused. */
	for (size_t i = 0; i <= len; i++)
		for (size_t j = i + 1; j <= len; j++)
			if (i != 0 || j != len)
				bad +=
				    dot_audit_vkey_parse(&v, go_peter_vkey + i,
							 j - i, NULL) == DOT_OK;
	memcpy(k, go_peter_vkey, sizeof(k));
	for (size_t i = 0; i < len; i++) {
		k[i]++;
		bad += dot_audit_vkey_parse(&v, k, len, NULL) == DOT_OK;
		k[i]--;
	}
	CHECK(bad == 0);
	/* Wrong key length and unknown algorithm, each with its id adjusted. */
	CHECK_RC(dot_audit_vkey_parse(
		     &v,
		     "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
		     "LDE4izWy10TWBADKEY==",
		     74, NULL),
		 DOT_EAUDIT_KEY);
	CHECK_RC(
	    dot_audit_vkey_parse(&v,
				 "PeterNeumann+173116ae+"
				 "ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
				 len, NULL),
	    DOT_EAUDIT_KEY);
	/* Upper-case id digits are not what any signer writes. */
	CHECK_RC(
	    dot_audit_vkey_parse(&v,
				 "PeterNeumann+C74F20A3+"
				 "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
				 len, NULL),
	    DOT_EAUDIT_KEY);
	dot_buf_free(&b);
}

static void
test_go_signed_notes(void)
{
	struct dot_audit_vkey keys[3];
	struct dot_sign_sk *sk = NULL;
	struct dot_audit_note *nt = NULL;
	struct dot_buf x = {0}, want = {0};
	struct dot_err e;
	uint8_t raw[64];
	size_t nv;

	INIT();
	REQUIRE_RC(dot_audit_vkey_parse(&keys[0], go_peter_vkey,
					strlen(go_peter_vkey), NULL),
		   DOT_OK);
	REQUIRE_RC(dot_audit_vkey_parse(&keys[1], go_enoch_vkey,
					strlen(go_enoch_vkey), NULL),
		   DOT_OK);
	/* TestSign: the same seed and text give the same note, byte for byte
	 * (Ed25519 is deterministic). */
	REQUIRE(t_unb64(raw, go_peter_skey_b64) == 33 && raw[0] == 0x01);
	REQUIRE_RC(dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519, raw + 1),
		   DOT_OK);
	REQUIRE_RC(dot_audit_note_sign(go_text, strlen(go_text), sk,
				       "PeterNeumann", 12, &x, NULL),
		   DOT_OK);
	want = cat(go_text, "\n", go_peter_sig, "");
	CHECK(x.len == want.len && memcmp(x.data, want.data, x.len) == 0);
	dot_buf_free(&x);
	dot_buf_free(&want);
	/* Bad inputs to sign. */
	CHECK_RC(
	    dot_audit_note_sign("abc", 3, sk, "PeterNeumann", 12, &x, NULL),
	    DOT_EAUDIT_NOTE_FORMAT);
	CHECK_RC(dot_audit_note_sign(go_text, strlen(go_text), sk, "a+b", 3, &x,
				     NULL),
		 DOT_EAUDIT_KEY);
	CHECK(x.len == 0);
	dot_buf_free(&x);

	/* TestOpen: one signature verified, one unknown. */
	x = cat(go_text, "\n", go_peter_sig, go_enoch_sig);
	REQUIRE_RC(dot_audit_note_open((const char *)x.data, x.len, keys, 1,
				       &nt, NULL),
		   DOT_OK);
	CHECK(nt->text_len == strlen(go_text) &&
	      memcmp(nt->text, go_text, nt->text_len) == 0);
	CHECK(nt->nsigs == 2 && nt->nverified == 1);
	CHECK(nt->sigs[0].verified && nt->sigs[0].key == 0 &&
	      nt->sigs[0].key_id == 0xc74f20a3);
	CHECK(!nt->sigs[1].verified && nt->sigs[1].key_id == 0xaf0cfe78 &&
	      nt->sigs[1].name_len == 9 &&
	      memcmp(nt->sigs[1].name, "EnochRoot", 9) == 0);
	dot_audit_note_free(nt);
	/* Both verified. */
	CHECK_RC(t_open(&x, keys, 2, &nv), DOT_OK);
	CHECK(nv == 2);
	/* Neither known. */
	CHECK_RC(t_open(&x, keys, 0, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	/* A duplicated known key in the set is ambiguous. */
	keys[2] = keys[1];
	CHECK_RC(t_open(&x, keys, 3, NULL), DOT_EAUDIT_KEY);
	dot_buf_free(&x);
	/* 101 signatures. */
	x = cat(go_text, "\n", "", "");
	for (int i = 0; i < 101; i++)
		dot_buf_put(&x, go_peter_sig, strlen(go_peter_sig));
	CHECK_RC(t_open(&x, keys, 1, NULL), DOT_EAUDIT_TOO_MANY_SIGS);
	CHECK_RC(t_open(&x, keys, 0, NULL), DOT_EAUDIT_TOO_MANY_SIGS);
	dot_buf_free(&x);
	/* An invalid signature by a known key ("ABCD" inserted). */
	{
		char sig[sizeof(go_peter_sig) + 4];

		memcpy(sig, go_peter_sig, 60);
		memcpy(sig + 60, "ABCD", 4);
		memcpy(sig + 64, go_peter_sig + 60, sizeof(go_peter_sig) - 60);
		x = cat(go_text, "\n", sig, "");
		e.code = 0;
		CHECK_RC(dot_audit_note_open((const char *)x.data, x.len, keys,
					     1, &nt, &e),
			 DOT_EAUDIT_SIGNATURE);
		CHECK(nt == NULL && e.code == DOT_EAUDIT_SIGNATURE);
		/* ... ignored when the key is unknown. */
		dot_buf_free(&x);
		x = cat(go_text, "\n", go_peter_sig, "");
		dot_buf_put(&x, sig, strlen(sig));
		/* (same name and key id as Peter's valid one: refused as a
		 * duplicate before any verification) */
		CHECK_RC(t_open(&x, keys, 1, NULL), DOT_EAUDIT_DUPLICATE_SIG);
		dot_buf_free(&x);
	}
	/* Duplicated signature lines: Go's Open folds them; Doteros refuses
	 * them (docs/audit-format.md). */
	x = cat(go_text, "\n", go_peter_sig, go_peter_sig);
	CHECK_RC(t_open(&x, keys, 1, NULL), DOT_EAUDIT_DUPLICATE_SIG);
	dot_buf_free(&x);
	x = cat(go_text, "\n", go_peter_sig, go_enoch_sig);
	dot_buf_put(&x, go_enoch_sig, strlen(go_enoch_sig));
	CHECK_RC(t_open(&x, keys, 1, NULL), DOT_EAUDIT_DUPLICATE_SIG);
	dot_buf_free(&x);
	/* Go's badMsgs: each is a malformed note. */
	{
		struct dot_buf bad[7];
		char cut[sizeof(go_peter_sig)];

		memcpy(cut, go_peter_sig, strlen(go_peter_sig) - 1);
		cut[strlen(go_peter_sig) - 1] = '\0';
		bad[0] = cat(go_text, "", "", "");
		bad[1] = cat(go_text, "\n", "", "");
		bad[2] = cat(go_text, "\n", cut, "");
		bad[3] = cat("\x01", go_text, "\n", go_peter_sig);
		bad[4] = cat("\xff", go_text, "\n", go_peter_sig);
		bad[5] = cat(go_text, "\n",
			     "\xe2\x80\x94 Bad Name "
			     "x08go/ZJkuBS9UG/"
			     "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgK"
			     "vqfqdngotpRZb6KE6RyyBwJnAM=",
			     "");
		bad[6] = cat(go_text, "\n", go_peter_sig, "Unexpected line.\n");
		for (int i = 0; i < 7; i++) {
			CHECK_RC(t_open(&bad[i], keys, 1, NULL),
				 DOT_EAUDIT_NOTE_FORMAT);
			dot_buf_free(&bad[i]);
		}
	}
	/* A misnamed signature is an unknown key's; a wrong key id too. */
	x = cat(go_text, "\n",
		"\xe2\x80\x94 CarmenSandiego "
		"x08go/ZJkuBS9UG/"
		"SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb"
		"6KE6RyyBwJnAM=\n",
		"");
	CHECK_RC(t_open(&x, keys, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	dot_buf_free(&x);
	x = cat(go_text, "\n",
		"\xe2\x80\x94 PeterNeumann "
		"xxxxo/ZJkuBS9UG/"
		"SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb"
		"6KE6RyyBwJnAM=\n",
		"");
	CHECK_RC(t_open(&x, keys, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	dot_buf_free(&x);
	/* The text a signature covers: any change of it is refused. */
	x = cat(go_text, "\n", go_peter_sig, "");
	for (size_t i = 0; i < strlen(go_text); i++) {
		x.data[i] ^= 0x01;
		CHECK(t_open(&x, keys, 1, NULL) != DOT_OK);
		x.data[i] ^= 0x01;
	}
	CHECK_RC(t_open(&x, keys, 1, NULL), DOT_OK);
	dot_buf_free(&x);
	dot_sign_sk_free(sk);
}

/* ---- checkpoints ---- */

static const char origin[] = "doteros.test/cluster-1";

static struct dot_sign_sk *
node_key(uint8_t tag, struct dot_audit_vkey *v, const char *name)
{
	struct dot_sign_sk *sk = NULL;
	uint8_t seed[32], pk[DOT_SIGN_PK_MAX];
	size_t n;

	memset(seed, tag, sizeof(seed));
	if (dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519, seed) != DOT_OK)
		return NULL;
	n = dot_sign_sk_public(sk, pk);
	if (dot_audit_vkey_from_pk(v, name, strlen(name), pk, n) != DOT_OK) {
		dot_sign_sk_free(sk);
		return NULL;
	}
	return sk;
}

static int
cp_open(const struct dot_buf *x, const struct dot_audit_vkey *keys, size_t nk,
	struct dot_audit_checkpoint **cp)
{
	struct dot_audit_checkpoint *c = NULL;
	int rv =
	    dot_audit_checkpoint_open((const char *)x->data, x->len, keys, nk,
				      origin, strlen(origin), &c, NULL);

	if (cp)
		*cp = c;
	else
		dot_audit_checkpoint_free(c);
	return rv;
}

/* fmt with its one "%s" replaced by s. */
static void
subst(char *out, size_t cap, const char *fmt, const char *s)
{
	const char *at = strstr(fmt, "%s");
	size_t n = 0;

	if (at == NULL) {
		n = strlen(fmt);
		at = fmt + n;
	}
	if ((size_t)(at - fmt) + strlen(s) + strlen(at) >= cap)
		abort();
	memcpy(out, fmt, (size_t)(at - fmt));
	n = (size_t)(at - fmt);
	if (*at) {
		strcpy(out + n, s);
		strcpy(out + n + strlen(s), at + 2);
	} else {
		out[n] = '\0';
	}
}

static void
test_checkpoints(void)
{
	struct dot_audit_vkey keys[3];
	struct dot_sign_sk *n1, *n2, *n3;
	struct dot_audit_checkpoint *c1 = NULL, *c2 = NULL, *c3 = NULL;
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	struct dot_audit_equivocation ev;
	struct dot_buf x = {0}, y = {0}, z = {0};
	uint8_t root[HL], root2[HL];
	char b64root[64];
	size_t sig_at;

	INIT();
	nv_init();
	n1 = node_key(1, &keys[0], "doteros.test/node-1");
	n2 = node_key(2, &keys[1], "doteros.test/node-2");
	n3 = node_key(3, &keys[2], "doteros.test/node-3");
	REQUIRE(n1 && n2 && n3);
	m = nv_store();
	REQUIRE(m != NULL);
	s = dot_audit_memstore_store(m);
	REQUIRE_RC(dot_audit_store_root(&s, 70, root), DOT_OK);

	/* Sign, cosign, open. */
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 70, root,
					     n1, keys[0].name, keys[0].name_len,
					     &x, NULL),
		   DOT_OK);
	REQUIRE_RC(dot_audit_note_cosign((const char *)x.data, x.len, n2,
					 keys[1].name, keys[1].name_len, &y,
					 NULL),
		   DOT_OK);
	REQUIRE_RC(cp_open(&y, keys, 2, &c1), DOT_OK);
	CHECK(c1->size == 70 && memcmp(c1->root, root, HL) == 0);
	CHECK(c1->origin_len == strlen(origin) &&
	      memcmp(c1->origin, origin, c1->origin_len) == 0);
	CHECK(c1->ext_len == 0 && c1->note.nverified == 2 &&
	      c1->note.nsigs == 2);
	/* The body is exactly "origin\n70\nbase64(root)\n". */
	{
		const char *t = c1->note.text;

		CHECK(strncmp(t, "doteros.test/cluster-1\n70\n", 26) == 0);
		memcpy(b64root, t + 26, 45);
		CHECK(b64root[43] == '=' && b64root[44] == '\n');
		CHECK(c1->note.text_len == 26 + 45);
	}
	/* Any one known signer suffices; unknown ones are ignored. */
	CHECK_RC(cp_open(&y, keys + 1, 1, NULL), DOT_OK);
	CHECK_RC(cp_open(&y, keys + 2, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	/* Cosigning twice by one key is refused. */
	CHECK_RC(dot_audit_note_cosign((const char *)y.data, y.len, n2,
				       keys[1].name, keys[1].name_len, &z,
				       NULL),
		 DOT_EAUDIT_DUPLICATE_SIG);
	CHECK(z.len == 0);
	/* A duplicated signature line. */
	sig_at = x.len - (x.len - c1->note.text_len - 1);
	z.len = 0;
	dot_buf_put(&z, x.data, x.len);
	dot_buf_put(&z, x.data + sig_at, x.len - sig_at);
	CHECK_RC(cp_open(&z, keys, 2, NULL), DOT_EAUDIT_DUPLICATE_SIG);
	/* A dropped signature: without node-1's line, node-1 alone cannot
	 * vouch for the note; without any line it is malformed. */
	z.len = 0;
	dot_buf_put(&z, y.data, sig_at);
	dot_buf_put(&z, y.data + x.len, y.len - x.len); /* node-2's line */
	CHECK_RC(cp_open(&z, keys, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	CHECK_RC(cp_open(&z, keys, 2, NULL), DOT_OK);
	z.len = sig_at;
	CHECK_RC(cp_open(&z, keys, 2, NULL), DOT_EAUDIT_NOTE_FORMAT);
	/* A known key's bad signature refuses the whole note, even beside a
	 * good one: node-2's line moved onto a different text. */
	z.len = 0;
	dot_buf_put(&z, y.data, y.len);
	z.data[24] ^= 0x01; /* "70" -> "71": the size */
	CHECK_RC(cp_open(&z, keys, 2, NULL), DOT_EAUDIT_SIGNATURE);
	CHECK_RC(cp_open(&z, keys + 2, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	/* Tampering: every byte of the note, flipped, is refused - except
	 * that a changed key name in a signature line makes that line an
	 * unknown key's, which the spec says to ignore: the note then opens
	 * with the other node's signature only. */
	for (size_t i = 0; i < y.len; i++) {
		struct dot_audit_checkpoint *t = NULL;

		z.len = 0;
		dot_buf_put(&z, y.data, y.len);
		z.data[i] ^= 0x20;
		if (cp_open(&z, keys, 2, &t) == DOT_OK) {
			if (i < c1->note.text_len + 1 ||
			    t->note.nverified != 1) {
				CHECK(!"a tampered checkpoint opened");
				dot_audit_checkpoint_free(t);
				break;
			}
			dot_audit_checkpoint_free(t);
		}
	}
	/* Another log's checkpoint. */
	CHECK_RC(dot_audit_checkpoint_open((const char *)y.data, y.len, keys, 2,
					   "doteros.test/cluster-2", 22, &c2,
					   NULL),
		 DOT_EAUDIT_ORIGIN);
	CHECK(c2 == NULL);
	CHECK_RC(dot_audit_checkpoint_open((const char *)y.data, y.len, keys, 2,
					   NULL, 0, &c2, NULL),
		 DOT_OK);
	dot_audit_checkpoint_free(c2);
	c2 = NULL;
	/* An over-long note: 64 KiB of extension lines. */
	z.len = 0;
	dot_buf_put(&z, x.data, c1->note.text_len);
	while (z.len <= DOT_AUDIT_NOTE_MAX)
		dot_buf_put(&z, "extension\n", 10);
	dot_buf_put(&z, "\n", 1);
	dot_buf_put(&z, x.data + sig_at, x.len - sig_at);
	CHECK_RC(cp_open(&z, keys, 2, NULL), DOT_EAUDIT_NOTE_TOO_BIG);
	CHECK_RC(dot_audit_note_sign((const char *)z.data,
				     z.len - (x.len - sig_at) - 1, n1,
				     keys[0].name, keys[0].name_len, &y, NULL),
		 DOT_EAUDIT_NOTE_FORMAT);

	/* Malformed bodies, signed by a known key (a buggy or hostile
	 * node): refused as checkpoints. */
	{
		static const char *const bodies[] = {
		    "doteros.test/cluster-1\n070\nAAAA\n",
		    "doteros.test/cluster-1\n-1\n%s",
		    "doteros.test/cluster-1\n18446744073709551616\n%s",
		    "doteros.test/cluster-1\n7O\n%s",
		    "doteros.test/cluster-1\n70\n",
		    "doteros.test/cluster-1\n70\n%s\n",
		    "\n70\n%s",
		    "doteros.test/cluster-1\n\n70\n%s",
		    "doteros.test/cluster-1\n70\nAAAA\n",
		    "doteros.test/cluster-1\n0\n%s",
		};
		char body[256];

		b64root[45] = '\0';
		for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]);
		     i++) {
			subst(body, sizeof(body), bodies[i], b64root);
			z.len = 0;
			REQUIRE_RC(dot_audit_note_sign(
				       body, strlen(body), n1, keys[0].name,
				       keys[0].name_len, &z, NULL),
				   DOT_OK);
			CHECK_RC(cp_open(&z, keys, 1, NULL),
				 DOT_EAUDIT_CHECKPOINT_FORMAT);
		}
		/* An extension line is allowed and kept. */
		subst(body, sizeof(body),
		      "doteros.test/cluster-1\n70\n%sledger 1234\n", b64root);
		z.len = 0;
		REQUIRE_RC(dot_audit_note_sign(body, strlen(body), n1,
					       keys[0].name, keys[0].name_len,
					       &z, NULL),
			   DOT_OK);
		REQUIRE_RC(cp_open(&z, keys, 1, &c2), DOT_OK);
		CHECK(c2->ext_len == 12 &&
		      memcmp(c2->ext, "ledger 1234\n", 12) == 0);
		dot_audit_checkpoint_free(c2);
		c2 = NULL;
		/* The empty tree has SHA-256("") for root. */
		dot_audit_empty_root(root2);
		z.len = 0;
		REQUIRE_RC(dot_audit_checkpoint_sign(
			       origin, strlen(origin), 0, root2, n1,
			       keys[0].name, keys[0].name_len, &z, NULL),
			   DOT_OK);
		CHECK_RC(cp_open(&z, keys, 1, NULL), DOT_OK);
	}

	/* Equivocation: one size, two roots, both properly signed. */
	memcpy(root2, root, HL);
	root2[0] ^= 1;
	z.len = 0;
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 70, root2,
					     n1, keys[0].name, keys[0].name_len,
					     &z, NULL),
		   DOT_OK);
	REQUIRE_RC(cp_open(&z, keys, 1, &c2), DOT_OK);
	memset(&ev, 0, sizeof(ev));
	CHECK_RC(dot_audit_checkpoint_compare(c1, c2, &ev),
		 DOT_EAUDIT_EQUIVOCATION);
	CHECK(ev.note_a == c1->note.note && ev.note_a_len == y.len &&
	      memcmp(ev.note_a, y.data, y.len) == 0);
	CHECK(ev.note_b == c2->note.note && ev.note_b_len == z.len &&
	      memcmp(ev.note_b, z.data, z.len) == 0);
	CHECK_RC(dot_audit_checkpoint_compare(c1, c1, NULL), DOT_OK);
	{
		struct dot_audit_proof p;

		REQUIRE_RC(dot_audit_prove_consistency(&s, 70, 70, &p), DOT_OK);
		CHECK_RC(
		    dot_audit_checkpoint_verify_consistency(c1, c2, &p, NULL),
		    DOT_EAUDIT_EQUIVOCATION);
	}
	/* Different sizes are not an equivocation by themselves. */
	REQUIRE_RC(dot_audit_store_root(&s, 41, root2), DOT_OK);
	z.len = 0;
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 41, root2,
					     n3, keys[2].name, keys[2].name_len,
					     &z, NULL),
		   DOT_OK);
	REQUIRE_RC(cp_open(&z, keys, 3, &c3), DOT_OK);
	CHECK_RC(dot_audit_checkpoint_compare(c1, c3, NULL), DOT_OK);

	/* The verifier helpers: a leaf against a checkpoint, one checkpoint
	 * against a later one. */
	{
		struct dot_audit_proof p;
		struct dot_err e = {0, ""};

		REQUIRE_RC(dot_audit_prove_inclusion(&s, 12, 70, &p), DOT_OK);
		CHECK_RC(dot_audit_checkpoint_verify_inclusion(c1, nv_leaf[12],
							       12, &p, NULL),
			 DOT_OK);
		CHECK_RC(dot_audit_checkpoint_verify_inclusion(c1, nv_leaf[13],
							       12, &p, &e),
			 DOT_EAUDIT_INCLUSION);
		CHECK(e.code == DOT_EAUDIT_INCLUSION && e.msg[0] != '\0');
		CHECK_RC(dot_audit_checkpoint_verify_inclusion(c1, nv_leaf[12],
							       13, &p, NULL),
			 DOT_EAUDIT_PROOF_RANGE);
		CHECK_RC(dot_audit_checkpoint_verify_inclusion(c3, nv_leaf[12],
							       12, &p, NULL),
			 DOT_EAUDIT_PROOF_RANGE);
		REQUIRE_RC(dot_audit_prove_inclusion(&s, 12, 41, &p), DOT_OK);
		CHECK_RC(dot_audit_checkpoint_verify_inclusion(c3, nv_leaf[12],
							       12, &p, NULL),
			 DOT_OK);
		CHECK_RC(
		    dot_audit_checkpoint_verify_consistency(c3, c1, &p, NULL),
		    DOT_EAUDIT_PROOF_FORMAT);
		REQUIRE_RC(dot_audit_prove_consistency(&s, 41, 70, &p), DOT_OK);
		CHECK_RC(
		    dot_audit_checkpoint_verify_consistency(c3, c1, &p, NULL),
		    DOT_OK);
		CHECK_RC(
		    dot_audit_checkpoint_verify_consistency(c1, c3, &p, NULL),
		    DOT_EAUDIT_PROOF_RANGE);
		CHECK_RC(
		    dot_audit_checkpoint_verify_consistency(c3, c2, &p, NULL),
		    DOT_EAUDIT_CONSISTENCY);
		CHECK_RC(dot_audit_checkpoint_verify_inclusion(c1, nv_leaf[12],
							       12, &p, NULL),
			 DOT_EAUDIT_PROOF_FORMAT);
	}
	/* Another log's checkpoint, compared and checked for consistency. */
	{
		struct dot_audit_checkpoint *o = NULL;
		struct dot_audit_proof p;

		z.len = 0;
		REQUIRE_RC(dot_audit_checkpoint_sign(
			       "doteros.test/other", 18, 70, root2, n1,
			       keys[0].name, keys[0].name_len, &z, NULL),
			   DOT_OK);
		REQUIRE_RC(dot_audit_checkpoint_open((const char *)z.data,
						     z.len, keys, 1, NULL, 0,
						     &o, NULL),
			   DOT_OK);
		CHECK_RC(dot_audit_checkpoint_compare(c1, o, NULL), DOT_OK);
		REQUIRE_RC(dot_audit_prove_consistency(&s, 41, 70, &p), DOT_OK);
		CHECK_RC(
		    dot_audit_checkpoint_verify_consistency(c3, o, &p, NULL),
		    DOT_EAUDIT_ORIGIN);
		dot_audit_checkpoint_free(o);
	}
	/* Names: no space, no plus, no control character; origins no
	 * control character. */
	CHECK(dot_audit_name_valid("example.com/log", 15));
	CHECK(!dot_audit_name_valid("", 0));
	CHECK(!dot_audit_name_valid("a b", 3));
	CHECK(!dot_audit_name_valid("a+b", 3));
	CHECK(!dot_audit_name_valid("a\xc2\xa0"
				    "b",
				    4)); /* U+00A0 */
	CHECK(!dot_audit_name_valid("a\xe3\x80\x80"
				    "b",
				    5));		     /* U+3000 */
	CHECK(!dot_audit_name_valid("a\xc0\xaf", 3));	     /* overlong */
	CHECK(dot_audit_name_valid("\xc3\xa9t\xc3\xa9", 5)); /* "été" */
	z.len = 0;
	CHECK_RC(dot_audit_checkpoint_sign("a\nb", 3, 1, root, n1, keys[0].name,
					   keys[0].name_len, &z, NULL),
		 DOT_EAUDIT_CHECKPOINT_FORMAT);

	dot_audit_checkpoint_free(c1);
	dot_audit_checkpoint_free(c2);
	dot_audit_checkpoint_free(c3);
	dot_audit_memstore_free(m);
	dot_buf_free(&x);
	dot_buf_free(&y);
	dot_buf_free(&z);
	dot_sign_sk_free(n1);
	dot_sign_sk_free(n2);
	dot_sign_sk_free(n3);
}

/* ---- allocation failures ---- */

struct fheap {
	long calls, fail_at, live;
};
static struct fheap fh;

static void *
fh_malloc(void *d, size_t n)
{
	void *p;

	(void)d;
	if (++fh.calls == fh.fail_at)
		return NULL;
	p = malloc(n);
	if (p)
		fh.live++;
	return p;
}

static void *
fh_realloc(void *d, void *q, size_t n)
{
	void *p;

	(void)d;
	if (++fh.calls == fh.fail_at)
		return NULL;
	p = realloc(q, n);
	if (p && q == NULL)
		fh.live++;
	return p;
}

static void
fh_free(void *d, void *p)
{
	(void)d;
	if (p)
		fh.live--;
	free(p);
}

static const struct dot_heap failing = {NULL, fh_malloc, fh_realloc, fh_free};

static void
test_alloc_failures(void)
{
	struct dot_audit_vkey keys[2];
	struct dot_sign_sk *n1, *n2;
	struct dot_buf note = {0}, co = {0}, out;
	uint8_t root[HL];
	int rv = DOT_OK, fails = 0, bad = 0;

	INIT();
	nv_init();
	n1 = node_key(1, &keys[0], "doteros.test/node-1");
	n2 = node_key(2, &keys[1], "doteros.test/node-2");
	REQUIRE(n1 && n2);
	memcpy(root, nv_root(33), HL);
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 33, root,
					     n1, keys[0].name, keys[0].name_len,
					     &note, NULL),
		   DOT_OK);
	REQUIRE_RC(dot_audit_note_cosign((const char *)note.data, note.len, n2,
					 keys[1].name, keys[1].name_len, &co,
					 NULL),
		   DOT_OK);

	dot_heap_set(&failing);
	/* Parsing a checkpoint. */
	for (long n = 1; n < 50; n++) {
		struct dot_audit_checkpoint *c = NULL;

		fh = (struct fheap){0, n, 0};
		rv = dot_audit_checkpoint_open((const char *)co.data, co.len,
					       keys, 2, origin, strlen(origin),
					       &c, NULL);
		if (rv == DOT_OK) {
			bad += c->size != 33 || c->note.nverified != 2;
			dot_audit_checkpoint_free(c);
			bad += fh.live != 0;
			break;
		}
		fails++;
		bad += rv != DOT_ENOMEM || c != NULL || fh.live != 0;
	}
	CHECK(rv == DOT_OK && fails >= 2);
	/* Signing and cosigning. */
	fails = 0;
	for (long n = 1; n < 50; n++) {
		out = (struct dot_buf){0};
		fh = (struct fheap){0, n, 0};
		rv = dot_audit_note_cosign((const char *)note.data, note.len,
					   n2, keys[1].name, keys[1].name_len,
					   &out, NULL);
		if (rv == DOT_OK) {
			bad += out.len != co.len ||
			       memcmp(out.data, co.data, co.len) != 0;
			dot_buf_free(&out);
			bad += fh.live != 0;
			break;
		}
		fails++;
		dot_buf_free(&out);
		bad += rv != DOT_ENOMEM || fh.live != 0;
	}
	CHECK(rv == DOT_OK && fails >= 2);
	fails = 0;
	for (long n = 1; n < 50; n++) {
		out = (struct dot_buf){0};
		fh = (struct fheap){0, n, 0};
		rv = dot_audit_checkpoint_sign(origin, strlen(origin), 33, root,
					       n1, keys[0].name,
					       keys[0].name_len, &out, NULL);
		if (rv == DOT_OK) {
			bad += out.len != note.len ||
			       memcmp(out.data, note.data, note.len) != 0;
			dot_buf_free(&out);
			bad += fh.live != 0;
			break;
		}
		fails++;
		dot_buf_free(&out);
		bad += rv != DOT_ENOMEM || fh.live != 0;
	}
	CHECK(rv == DOT_OK && fails >= 1);
	/* The memory store: a failed append changes nothing. */
	fails = 0;
	for (long n = 1; n < 200; n++) {
		struct dot_audit_memstore *m = NULL;
		uint64_t done = 0;
		uint8_t r[HL];

		fh = (struct fheap){0, n, 0};
		rv = dot_audit_memstore_new(&m);
		for (uint64_t i = 0; rv == DOT_OK && i < 33; i++) {
			rv = dot_audit_memstore_append(m, nv_leaf[i]);
			if (rv == DOT_OK)
				done++;
		}
		if (m != NULL) {
			bad += dot_audit_memstore_size(m) != done;
			dot_audit_frontier_root(dot_audit_memstore_frontier(m),
						r);
			bad += memcmp(r, nv_root(done), HL) != 0;
			if (rv == DOT_ENOMEM) {
				/* Retried with the ordinary heap, it goes on.
				 */
				fh.fail_at = 0;
				for (uint64_t i = done; i < 33; i++)
					bad += dot_audit_memstore_append(
						   m, nv_leaf[i]) != DOT_OK;
				dot_audit_frontier_root(
				    dot_audit_memstore_frontier(m), r);
				bad += memcmp(r, nv_root(33), HL) != 0;
			}
		}
		dot_audit_memstore_free(m);
		bad += fh.live != 0;
		if (rv == DOT_OK)
			break;
		fails++;
		bad += rv != DOT_ENOMEM;
	}
	CHECK(rv == DOT_OK && fails >= 3);
	/* Encoders: the failure is sticky in the buffer. */
	{
		struct dot_audit_frontier f;
		struct dot_audit_proof p;

		dot_audit_frontier_init(&f);
		for (int i = 0; i < 33; i++)
			REQUIRE_RC(dot_audit_frontier_append(&f, nv_leaf[i],
							     NULL, NULL),
				   DOT_OK);
		memset(&p, 0, sizeof(p));
		p.kind = DOT_AUDIT_PROOF_CONSISTENCY;
		fh = (struct fheap){0, 1, 0};
		out = (struct dot_buf){0};
		CHECK_RC(dot_audit_frontier_encode(&f, &out), DOT_ENOMEM);
		dot_buf_free(&out);
		fh = (struct fheap){0, 1, 0};
		CHECK_RC(dot_audit_proof_encode(&p, &out), DOT_ENOMEM);
		dot_buf_free(&out);
		bad += fh.live != 0;
	}
	dot_heap_set(NULL);
	CHECK(bad == 0);
	dot_buf_free(&note);
	dot_buf_free(&co);
	dot_sign_sk_free(n1);
	dot_sign_sk_free(n2);
}

/* ---- composite node keys: type 0xff, "id-MLDSA65-Ed25519-SHA512" ---- */

static const char pq_ident[] = "id-MLDSA65-Ed25519-SHA512";
#define PQ_SIG 3373
#define PQ_PK  1984

/* A composite node key from a seed of tag bytes (crypto.md §13.6). */
static struct dot_sign_sk *
pq_key(uint8_t tag, struct dot_audit_vkey *v, const char *name)
{
	struct dot_sign_sk *sk = NULL;
	uint8_t seed[32], pk[DOT_SIGN_PK_MAX];
	size_t n;

	memset(seed, tag, sizeof(seed));
	if (dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519_MLDSA65, seed) !=
	    DOT_OK)
		return NULL;
	n = dot_sign_sk_public(sk, pk);
	if (n != DOT_SIGN_PK_MAX ||
	    dot_audit_vkey_from_pk(v, name, strlen(name), pk, n) != DOT_OK) {
		dot_sign_sk_free(sk);
		return NULL;
	}
	return sk;
}

/* The Ed25519 key that is the classical half of pq_key(tag): its seed is
 * BLAKE2b-256(key = seed, "dot-composite/1 ed25519 seed") (§13.6). */
static struct dot_sign_sk *
pq_ed_half(uint8_t tag)
{
	static const char label[] = "dot-composite/1 ed25519 seed";
	struct dot_sign_sk *sk = NULL;
	uint8_t seed[32], ed[32];

	memset(seed, tag, sizeof(seed));
	if (dot_blake2b(ed, sizeof(ed), label, strlen(label), seed,
			sizeof(seed)) != DOT_OK ||
	    dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519, ed) != DOT_OK)
		return NULL;
	return sk;
}

/* SHA-256(name || 0x0A || type || key)[:4], big-endian, by libsodium. */
static uint32_t
pq_key_id(const char *name, const uint8_t *type, size_t tlen,
	  const uint8_t *key, size_t klen)
{
	crypto_hash_sha256_state s;
	uint8_t d[32];

	crypto_hash_sha256_init(&s);
	crypto_hash_sha256_update(&s, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&s, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&s, type, tlen);
	crypto_hash_sha256_update(&s, key, klen);
	crypto_hash_sha256_final(&s, d);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	       (uint32_t)d[2] << 8 | d[3];
}

/* Append "— name base64(id || sig)\n", encoded by libsodium. */
static void
pq_line(struct dot_buf *out, const char *name, uint32_t id, const uint8_t *sig,
	size_t n)
{
	static uint8_t raw[8 + PQ_SIG];
	static char b64[2 * (8 + PQ_SIG)];

	raw[0] = (uint8_t)(id >> 24);
	raw[1] = (uint8_t)(id >> 16);
	raw[2] = (uint8_t)(id >> 8);
	raw[3] = (uint8_t)id;
	memcpy(raw + 4, sig, n);
	sodium_bin2base64(b64, sizeof(b64), raw, 4 + n,
			  sodium_base64_VARIANT_ORIGINAL);
	dot_buf_put(out, "\xe2\x80\x94 ", 4);
	dot_buf_put(out, name, strlen(name));
	dot_buf_put(out, " ", 1);
	dot_buf_put(out, b64, strlen(b64));
	dot_buf_put(out, "\n", 1);
}

/* The note text ++ "\n" ++ one line. */
static void
pq_note(struct dot_buf *out, const char *text, size_t tlen, const char *name,
	uint32_t id, const uint8_t *sig, size_t n)
{
	out->len = 0;
	dot_buf_put(out, text, tlen);
	dot_buf_put(out, "\n", 1);
	pq_line(out, name, id, sig, n);
}

/*
 * A composite node key signs and verifies checkpoints (alone, with
 * Ed25519 cosigners, as a cosigner), its verifier key and signature line
 * are exactly the bytes docs/audit-format.md §5 gives, read here with
 * libsodium's SHA-256 and base64 and the composite verifier directly.
 */
static void
test_composite_notes(void)
{
	static const char name[] = "node-pq";
	struct dot_audit_vkey keys[2], v;
	struct dot_sign_sk *pq, *ed;
	struct dot_audit_checkpoint *c = NULL;
	struct dot_buf x = {0}, y = {0}, z = {0}, t = {0};
	static uint8_t raw[8 + PQ_SIG];
	uint8_t type[1 + sizeof(pq_ident) - 1], zero[DOT_ED25519_PK_LEN];
	const uint8_t *root;
	size_t n, text_len, b64_at, b64_len;
	uint32_t id;

	INIT();
	nv_init();
	pq = pq_key(0x21, &keys[0], name);
	ed = node_key(1, &keys[1], "doteros.test/node-1");
	REQUIRE(pq != NULL && ed != NULL);
	root = nv_root(70);

	/* The verifier key: suite 0x03 and 1985 bytes in key, pk zero (an
	 * Ed25519-only reader refuses it), key id over 0xff || identifier
	 * || the 1984-byte key. */
	memset(zero, 0, sizeof(zero));
	CHECK(keys[0].key_len == DOT_SIGN_PK_MAX &&
	      keys[0].key[0] == DOT_SUITE_ED25519_MLDSA65);
	CHECK_MEM(keys[0].pk, zero, sizeof(zero));
	CHECK(keys[1].key_len == DOT_ED25519_PK_LEN &&
	      memcmp(keys[1].pk, keys[1].key, DOT_ED25519_PK_LEN) == 0);
	type[0] = 0xff;
	memcpy(type + 1, pq_ident, sizeof(type) - 1);
	id = pq_key_id(name, type, sizeof(type), keys[0].key + 1, PQ_PK);
	CHECK(keys[0].key_id == id);
	/* Its text: name+id+base64(0xff || identifier || key). */
	REQUIRE_RC(dot_audit_vkey_encode(&keys[0], &t), DOT_OK);
	{
		static char want[4096];
		static uint8_t k[1 + 25 + PQ_PK];
		int at = snprintf(want, sizeof(want), "%s+%08x+", name,
				  (unsigned)id);

		memcpy(k, type, sizeof(type));
		memcpy(k + sizeof(type), keys[0].key + 1, PQ_PK);
		sodium_bin2base64(want + at, sizeof(want) - (size_t)at, k,
				  sizeof(k), sodium_base64_VARIANT_ORIGINAL);
		CHECK(t.len == strlen(want) && t.len == 7 + 10 + 2680 &&
		      memcmp(t.data, want, t.len) == 0);
	}
	REQUIRE_RC(dot_audit_vkey_parse(&v, (const char *)t.data, t.len, NULL),
		   DOT_OK);
	CHECK(v.key_id == id && v.key_len == keys[0].key_len &&
	      memcmp(v.key, keys[0].key, v.key_len) == 0 &&
	      memcmp(v.pk, zero, sizeof(zero)) == 0);

	/* A checkpoint signed by the composite key. */
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 70, root,
					     pq, name, strlen(name), &x, NULL),
		   DOT_OK);
	REQUIRE_RC(cp_open(&x, keys, 1, &c), DOT_OK);
	text_len = c->note.text_len;
	CHECK(c->size == 70 && c->note.nverified == 1 &&
	      c->note.sigs[0].verified && c->note.sigs[0].key == 0 &&
	      c->note.sigs[0].key_id == id);
	dot_audit_checkpoint_free(c);
	c = NULL;
	/* Its line: em dash, space, name, space, base64 of 3377 bytes (the
	 * key id, then the composite signature of the text with an empty
	 * context), newline; 4517 bytes. */
	b64_at = text_len + 1 + 4 + strlen(name) + 1;
	b64_len = x.len - b64_at - 1;
	CHECK(x.len - text_len - 1 == DOT_AUDIT_LINE_LEN(strlen(name), PQ_SIG));
	CHECK(x.len - text_len - 1 == 4517 && b64_len == 4504);
	REQUIRE(sodium_base642bin(
		    raw, sizeof(raw), (const char *)x.data + b64_at, b64_len,
		    NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0);
	CHECK(n == 4 + PQ_SIG);
	CHECK(((uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	       (uint32_t)raw[2] << 8 | raw[3]) == id);
	CHECK_RC(dot_composite_verify(keys[0].key + 1, PQ_PK, x.data, text_len,
				      NULL, 0, raw + 4, PQ_SIG),
		 DOT_OK);
	/* Deterministic: the same bytes again. */
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 70, root,
					     pq, name, strlen(name), &y, NULL),
		   DOT_OK);
	CHECK(y.len == x.len && memcmp(y.data, x.data, x.len) == 0);

	/* Mixed: an Ed25519 node cosigns the composite's checkpoint, and the
	 * composite node cosigns an Ed25519 one. */
	y.len = 0;
	REQUIRE_RC(dot_audit_note_cosign((const char *)x.data, x.len, ed,
					 keys[1].name, keys[1].name_len, &y,
					 NULL),
		   DOT_OK);
	REQUIRE_RC(cp_open(&y, keys, 2, &c), DOT_OK);
	CHECK(c->note.nverified == 2 && c->note.nsigs == 2);
	dot_audit_checkpoint_free(c);
	c = NULL;
	CHECK_RC(cp_open(&y, keys + 1, 1, NULL), DOT_OK);
	CHECK_RC(dot_audit_note_cosign((const char *)y.data, y.len, pq, name,
				       strlen(name), &z, NULL),
		 DOT_EAUDIT_DUPLICATE_SIG);
	x.len = 0;
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 70, root,
					     ed, keys[1].name, keys[1].name_len,
					     &x, NULL),
		   DOT_OK);
	z.len = 0;
	REQUIRE_RC(dot_audit_note_cosign((const char *)x.data, x.len, pq, name,
					 strlen(name), &z, NULL),
		   DOT_OK);
	CHECK(z.len == x.len + 4517);
	REQUIRE_RC(cp_open(&z, keys, 2, &c), DOT_OK);
	CHECK(c->note.nverified == 2 && c->note.sigs[1].key == 0);
	dot_audit_checkpoint_free(c);
	c = NULL;
	/* Under the same name an Ed25519 key and a composite key are two
	 * keys (two key ids): the Ed25519 one is not the composite. */
	{
		struct dot_audit_vkey w;
		uint8_t pk[DOT_SIGN_PK_MAX];

		REQUIRE(dot_sign_sk_public(ed, pk) == DOT_ED25519_PK_LEN);
		REQUIRE_RC(dot_audit_vkey_from_pk(&w, name, strlen(name), pk,
						  DOT_ED25519_PK_LEN),
			   DOT_OK);
		CHECK(w.key_id != keys[0].key_id);
		CHECK(w.key_id ==
		      pq_key_id(name, (const uint8_t *)"\x01", 1, pk + 1, 32));
	}

	dot_buf_free(&t);
	dot_buf_free(&x);
	dot_buf_free(&y);
	dot_buf_free(&z);
	dot_sign_sk_free(pq);
	dot_sign_sk_free(ed);
}

/*
 * Lines and keys that must not pass for a composite key's: its Ed25519
 * half alone, other identifiers, truncated and extended signatures,
 * another key id, a composite signature under an Ed25519 key, and keys
 * that would trust the classical half alone.
 */
static void
test_composite_attacks(void)
{
	static const char name[] = "node-pq";
	struct dot_audit_vkey keys[1], edv, halfv, w;
	struct dot_sign_sk *pq, *half, *ed;
	struct dot_buf x = {0}, y = {0}, t = {0};
	static uint8_t raw[8 + PQ_SIG], sig[8 + PQ_SIG];
	uint8_t edsig[DOT_SIGN_SIG_MAX], pk[DOT_SIGN_PK_MAX];
	uint8_t half_pk[DOT_SIGN_PK_MAX];
	size_t n, text_len, b64_at, edn;
	uint32_t id;
	char *text;

	INIT();
	nv_init();
	pq = pq_key(0x21, &keys[0], name);
	half = pq_ed_half(0x21);
	ed = node_key(1, &edv, "doteros.test/node-1");
	REQUIRE(pq != NULL && half != NULL && ed != NULL);
	/* The derivation holds: the half's key is the composite's last 32
	 * bytes. */
	REQUIRE(dot_sign_sk_public(half, half_pk) == DOT_ED25519_PK_LEN);
	CHECK_MEM(half_pk + 1, keys[0].key + 1 + 1952, 32);
	id = keys[0].key_id;
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 9,
					     nv_root(9), pq, name, strlen(name),
					     &x, NULL),
		   DOT_OK);
	text = dot_malloc(x.len);
	REQUIRE(text != NULL);
	for (text_len = x.len - 2;
	     x.data[text_len - 1] != '\n' || x.data[text_len] != '\n';
	     text_len--)
		;
	memcpy(text, x.data, text_len);
	b64_at = text_len + 1 + 4 + strlen(name) + 1;
	REQUIRE(sodium_base642bin(raw, sizeof(raw),
				  (const char *)x.data + b64_at,
				  x.len - b64_at - 1, NULL, &n, NULL,
				  sodium_base64_VARIANT_ORIGINAL) == 0 &&
		n == 4 + PQ_SIG);
	memcpy(sig, raw + 4, PQ_SIG);
	/* The positive control: the line rebuilt here opens. */
	pq_note(&y, text, text_len, name, id, sig, PQ_SIG);
	CHECK(y.len == x.len && memcmp(y.data, x.data, x.len) == 0);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_OK);

	/* 1. The Ed25519 half of the composite signature alone (over M',
	 * not over the text), under the composite's key id: a known key's
	 * line of the wrong length. */
	pq_note(&y, text, text_len, name, id, sig + 3309, 64);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_SIGNATURE);
	/* A real Ed25519 signature of the text by the half's own key, as a
	 * 0x01 line under the composite's name: its key id is the Ed25519
	 * key's, so for a verifier of the composite it is no known key's
	 * line; under the composite's key id it is refused by length. */
	REQUIRE_RC(dot_sign(half, text, text_len, edsig, &edn), DOT_OK);
	REQUIRE(edn == DOT_ED25519_SIG_LEN);
	pq_note(&y, text, text_len, name,
		pq_key_id(name, (const uint8_t *)"\x01", 1, half_pk + 1, 32),
		edsig + 1, 64);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	pq_note(&y, text, text_len, name, id, edsig + 1, 64);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_SIGNATURE);
	/* ... nor with the composite's ML-DSA half in front of it: both
	 * halves are over M', never over the text. */
	memcpy(raw, sig, PQ_SIG);
	memcpy(raw + 3309, edsig + 1, 64);
	pq_note(&y, text, text_len, name, id, raw, PQ_SIG);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_SIGNATURE);
	/* The composite's Ed25519 half does not verify over the text even
	 * for a verifier that trusts the half as an Ed25519 key. */
	REQUIRE_RC(dot_audit_vkey_from_pk(&halfv, name, strlen(name), half_pk,
					  DOT_ED25519_PK_LEN),
		   DOT_OK);
	pq_note(&y, text, text_len, name, halfv.key_id, sig + 3309, 64);
	CHECK_RC(cp_open(&y, &halfv, 1, NULL), DOT_EAUDIT_SIGNATURE);
	/* And a key list trusting the half beside the composite is refused
	 * (under any name), as is one of two composites sharing a half. */
	{
		struct dot_audit_vkey two[2];

		two[0] = keys[0];
		REQUIRE_RC(dot_audit_vkey_from_pk(&two[1], "other", 5, half_pk,
						  DOT_ED25519_PK_LEN),
			   DOT_OK);
		CHECK_RC(cp_open(&x, two, 2, NULL), DOT_EAUDIT_KEY);
		two[1] = two[0];
		two[0] = halfv;
		CHECK_RC(cp_open(&x, two, 2, NULL), DOT_EAUDIT_KEY);
		memcpy(pk, keys[0].key, DOT_SIGN_PK_MAX);
		pk[1] ^= 1; /* another ML-DSA half, the same Ed25519 half */
		REQUIRE_RC(dot_audit_vkey_from_pk(&two[0], "other", 5, pk,
						  DOT_SIGN_PK_MAX),
			   DOT_OK);
		two[1] = keys[0];
		CHECK_RC(cp_open(&x, two, 2, NULL), DOT_EAUDIT_KEY);
		/* Between Ed25519 keys nothing changes: one key under two
		 * names is not refused here (qreceipt.c refuses it). */
		two[0] = halfv;
		REQUIRE_RC(dot_audit_vkey_from_pk(&two[1], "other", 5, half_pk,
						  DOT_ED25519_PK_LEN),
			   DOT_OK);
		CHECK_RC(cp_open(&x, two, 2, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	}

	/* 2. Other identifiers: the key id of the same key under another
	 * identifier (ML-DSA-44's, SHA256's, none, our suite byte 0x03) is
	 * no known key's. */
	{
		static const char *const other[] = {
		    "id-MLDSA44-Ed25519-SHA512", "id-MLDSA65-Ed25519-SHA256",
		    "id-MLDSA65-Ed25519-SHA51",	 "id-MLDSA65-Ed25519-SHA5120",
		    "ID-MLDSA65-ED25519-SHA512", ""};
		uint8_t ty[64];

		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
			ty[0] = 0xff;
			memcpy(ty + 1, other[i], strlen(other[i]));
			pq_note(&y, text, text_len, name,
				pq_key_id(name, ty, 1 + strlen(other[i]),
					  keys[0].key + 1, PQ_PK),
				sig, PQ_SIG);
			CHECK_RC(cp_open(&y, keys, 1, NULL),
				 DOT_EAUDIT_NO_KNOWN_SIGNER);
		}
		ty[0] = 0x03;
		pq_note(&y, text, text_len, name,
			pq_key_id(name, ty, 1, keys[0].key + 1, PQ_PK), sig,
			PQ_SIG);
		CHECK_RC(cp_open(&y, keys, 1, NULL),
			 DOT_EAUDIT_NO_KNOWN_SIGNER);
		/* With the right identifier the same construction passes. */
		ty[0] = 0xff;
		memcpy(ty + 1, pq_ident, 25);
		pq_note(&y, text, text_len, name,
			pq_key_id(name, ty, 26, keys[0].key + 1, PQ_PK), sig,
			PQ_SIG);
		CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_OK);
	}

	/* 3. Truncated and extended signatures, a changed byte in either
	 * half, a signature of another text. */
	pq_note(&y, text, text_len, name, id, sig, PQ_SIG - 1);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_SIGNATURE);
	sig[PQ_SIG] = 0;
	pq_note(&y, text, text_len, name, id, sig, PQ_SIG + 1);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_SIGNATURE);
	pq_note(&y, text, text_len, name, id, sig, 1);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_SIGNATURE);
	{
		static const size_t at[] = {0, 1000, 3308, 3309, 3340, 3372};

		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			sig[at[i]] ^= 0x20;
			pq_note(&y, text, text_len, name, id, sig, PQ_SIG);
			CHECK_RC(cp_open(&y, keys, 1, NULL),
				 DOT_EAUDIT_SIGNATURE);
			sig[at[i]] ^= 0x20;
		}
		pq_note(&y, text, text_len, name, id, sig, PQ_SIG);
		CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_OK);
	}
	{
		struct dot_buf o = {0};
		struct dot_audit_checkpoint *c = NULL;

		REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 10,
						     nv_root(10), pq, name,
						     strlen(name), &o, NULL),
			   DOT_OK);
		/* size 10's line under size 9's text */
		y.len = 0;
		dot_buf_put(&y, text, text_len);
		dot_buf_put(&y, "\n", 1);
		{
			const uint8_t *l = o.data + o.len - 4517;

			dot_buf_put(&y, l, 4517);
		}
		CHECK_RC(cp_open(&y, keys, 1, &c), DOT_EAUDIT_SIGNATURE);
		CHECK(c == NULL);
		dot_buf_free(&o);
	}

	/* 4. Another key id: a changed bit is no known key's line; a
	 * verifier key whose id does not match is refused. */
	pq_note(&y, text, text_len, name, id ^ 1, sig, PQ_SIG);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	pq_note(&y, text, text_len, "node-pq2", id, sig, PQ_SIG);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_NO_KNOWN_SIGNER);
	REQUIRE_RC(dot_audit_vkey_encode(&keys[0], &t), DOT_OK);
	t.data[strlen(name) + 8] ^= 1; /* a hex digit of the id */
	CHECK_RC(dot_audit_vkey_parse(&w, (const char *)t.data, t.len, NULL),
		 DOT_EAUDIT_KEY);

	/* 5. A composite signature under an Ed25519 key (its name and key
	 * id): refused by length; an Ed25519 signature under the composite
	 * key: likewise (1 above). */
	pq_note(&y, text, text_len, edv.name, edv.key_id, sig, PQ_SIG);
	CHECK_RC(cp_open(&y, &edv, 1, NULL), DOT_EAUDIT_SIGNATURE);

	/* 6. Verifier key texts: the type, identifier and length must be
	 * exactly 0x01 || 32 bytes or 0xff || identifier || 1984 bytes. */
	{
		static const struct {
			uint8_t type;
			const char *ident;
			size_t klen;
		} bad[] = {
		    {0xff, "id-MLDSA65-Ed25519-SHA512", PQ_PK - 1},
		    {0xff, "id-MLDSA65-Ed25519-SHA512", PQ_PK + 1},
		    {0xff, "id-MLDSA44-Ed25519-SHA512", PQ_PK},
		    {0xff, "id-MLDSA65-Ed25519-SHA51", PQ_PK},
		    {0xff, "", PQ_PK},
		    {0x03, "", PQ_PK},
		    {0x02, "", PQ_PK},
		    {0x01, "", PQ_PK},
		    {0x06, "", PQ_PK},
		    {0xff, "id-MLDSA65-Ed25519-SHA512", 32},
		};
		static uint8_t k[64 + PQ_PK + 1];
		static char text2[4096];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			size_t il = strlen(bad[i].ident), kl;
			int at;

			k[0] = bad[i].type;
			memcpy(k + 1, bad[i].ident, il);
			memset(k + 1 + il, 0, bad[i].klen);
			memcpy(k + 1 + il, keys[0].key + 1,
			       bad[i].klen < PQ_PK ? bad[i].klen : PQ_PK);
			kl = 1 + il + bad[i].klen;
			/* a key id that matches, so only the form fails */
			at = snprintf(text2, sizeof(text2), "%s+%08x+", name,
				      (unsigned)pq_key_id(name, k, 1 + il,
							  k + 1 + il,
							  bad[i].klen));
			sodium_bin2base64(text2 + at,
					  sizeof(text2) - (size_t)at, k, kl,
					  sodium_base64_VARIANT_ORIGINAL);
			CHECK_RC(dot_audit_vkey_parse(&w, text2, strlen(text2),
						      NULL),
				 DOT_EAUDIT_KEY);
			/* and with the key id of the real key */
			at = snprintf(text2, sizeof(text2), "%s+%08x+", name,
				      (unsigned)keys[0].key_id);
			sodium_bin2base64(text2 + at, sizeof(text2) - (size_t)at,
					  k, kl,
					  sodium_base64_VARIANT_ORIGINAL);
			CHECK_RC(dot_audit_vkey_parse(&w, text2, strlen(text2),
						      NULL),
				 DOT_EAUDIT_KEY);
		}
	}
	/* The composite key must pass dot_sign_pk_check: its Ed25519 half
	 * the identity point (small order) is refused. */
	memcpy(pk, keys[0].key, DOT_SIGN_PK_MAX);
	memset(pk + 1 + 1952, 0, 32);
	pk[1 + 1952] = 1;
	CHECK(dot_audit_vkey_from_pk(&w, name, strlen(name), pk,
				     DOT_SIGN_PK_MAX) != DOT_OK);
	CHECK_RC(dot_audit_vkey_from_pk(&w, name, strlen(name), keys[0].key,
					DOT_SIGN_PK_MAX - 1),
		 DOT_ECRYPTO_SUITE);
	CHECK_RC(dot_audit_vkey_from_pk(&w, name, strlen(name), keys[0].key,
					DOT_ED25519_PK_LEN),
		 DOT_ECRYPTO_SUITE);

	dot_free(text);
	dot_buf_free(&t);
	dot_buf_free(&x);
	dot_buf_free(&y);
	dot_sign_sk_free(pq);
	dot_sign_sk_free(half);
	dot_sign_sk_free(ed);
}

/*
 * A note of 100 composite lines under 255-byte names, the longest there
 * can be, fits in DOT_AUDIT_NOTE_MAX and opens; one more line is over the
 * line limit, and a note one byte over the size limit is refused.
 */
static void
test_composite_limits(void)
{
	struct dot_audit_vkey keys[1];
	struct dot_sign_sk *pq;
	struct dot_buf x = {0}, y = {0};
	static uint8_t sig[PQ_SIG];
	char nm[DOT_AUDIT_MAX_NAME + 1];
	size_t text_len, line;

	INIT();
	nv_init();
	memset(nm, 'n', DOT_AUDIT_MAX_NAME);
	nm[DOT_AUDIT_MAX_NAME] = '\0';
	pq = pq_key(0x22, &keys[0], nm);
	REQUIRE(pq != NULL);
	REQUIRE_RC(dot_audit_checkpoint_sign(origin, strlen(origin), 5,
					     nv_root(5), pq, nm, strlen(nm), &x,
					     NULL),
		   DOT_OK);
	line = DOT_AUDIT_LINE_LEN(DOT_AUDIT_MAX_NAME, PQ_SIG);
	CHECK(line == DOT_AUDIT_LINE_MAX && line == 4765);
	text_len = x.len - 1 - line;
	/* 99 lines of unknown keys (other names), then the real one. */
	dot_buf_put(&y, x.data, text_len + 1);
	for (int i = 0; i < DOT_AUDIT_MAX_SIGS - 1; i++) {
		nm[0] = (char)('A' + i % 26);
		nm[1] = (char)('A' + i / 26);
		memset(sig, i, sizeof(sig));
		pq_line(&y, nm, (uint32_t)i, sig, PQ_SIG);
	}
	dot_buf_put(&y, x.data + text_len + 1, line);
	CHECK(y.len == text_len + 1 + 100 * line);
	CHECK(y.len <= DOT_AUDIT_NOTE_MAX);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_OK);
	/* A 101st line. */
	memset(nm, 'z', DOT_AUDIT_MAX_NAME);
	pq_line(&y, nm, 0, sig, PQ_SIG);
	CHECK_RC(cp_open(&y, keys, 1, NULL), DOT_EAUDIT_TOO_MANY_SIGS);
	/* Padded with extension lines to DOT_AUDIT_NOTE_MAX: opens; one
	 * byte more: too big. */
	y.len = 0;
	dot_buf_put(&y, x.data, text_len);
	while (y.len + 10 + 2 + 1 + line <= DOT_AUDIT_NOTE_MAX)
		dot_buf_put(&y, "extension\n", 10);
	/* one extension line of the exact length left */
	{
		size_t left = DOT_AUDIT_NOTE_MAX - y.len - 1 - line;
		struct dot_buf z = {0};

		REQUIRE(left >= 2);
		while (left-- > 1)
			dot_buf_put(&y, "e", 1);
		dot_buf_put(&y, "\n", 1);
		/* re-sign the padded text so the note is genuine */
		REQUIRE_RC(dot_audit_note_sign((const char *)y.data, y.len, pq,
					       nm, strlen(nm), &z, NULL),
			   DOT_OK);
		CHECK(z.len == DOT_AUDIT_NOTE_MAX);
		memset(nm, 'z', DOT_AUDIT_MAX_NAME);
		{
			struct dot_audit_vkey k2;
			uint8_t pk[DOT_SIGN_PK_MAX];
			size_t n = dot_sign_sk_public(pq, pk);

			REQUIRE_RC(
			    dot_audit_vkey_from_pk(&k2, nm, strlen(nm), pk, n),
			    DOT_OK);
			CHECK_RC(cp_open(&z, &k2, 1, NULL), DOT_OK);
			dot_buf_put(&z, "x", 1); /* not a valid note either */
			CHECK_RC(cp_open(&z, &k2, 1, NULL),
				 DOT_EAUDIT_NOTE_TOO_BIG);
		}
		dot_buf_free(&z);
	}
	dot_buf_free(&x);
	dot_buf_free(&y);
	dot_sign_sk_free(pq);
}

T_MAIN(T_CASE(test_leaf_and_node_hash), T_CASE(test_reference_roots),
       T_CASE(test_reference_inclusion), T_CASE(test_reference_consistency),
       T_CASE(test_all_inclusion_proofs), T_CASE(test_all_consistency_proofs),
       T_CASE(test_frontier), T_CASE(test_proof_encoding),
       T_CASE(test_go_verifier_keys), T_CASE(test_go_signed_notes),
       T_CASE(test_checkpoints), T_CASE(test_alloc_failures),
       T_CASE(test_composite_notes), T_CASE(test_composite_attacks),
       T_CASE(test_composite_limits))
