/*
 * ct_xwing.c - X-Wing's secret-dependent code under valgrind's memcheck
 * (docs/crypto.md §12.2), like ct_mlkem.c: the secret inputs are marked
 * undefined, so any conditional jump or memory address that depends on
 * them is reported as an error, in xwing.c, in ML-KEM and SHA-3 under it,
 * and in libsodium's X25519, which runs in the same process and which
 * memcheck instruments like any other machine code (no rebuild of
 * libsodium is needed: memcheck works on the binary). Built from the
 * library's sources with -DDOT_CT_VALGRIND (tests/meson.build), so that
 * DOT_CT_PUBLIC marks the public key computed from sk as public.
 *
 * Secrets: sk for key generation and decapsulation (and so the expansion,
 * dk_M and sk_X); eseed for encapsulation (m and ek_X). Nothing secret is
 * marked defined before it is passed to libsodium: crypto_scalarmult and
 * crypto_scalarmult_base (libsodium 1.0.18 here) pass with their scalar
 * undefined, and test_encaps checks that ct_X comes out undefined, so
 * memcheck did follow the secret through libsodium's code. xwing.c
 * ignores crypto_scalarmult's return value: it says whether the result is
 * zero, which depends on the public point only, but memcheck sees it
 * computed from the secret output and would report a branch on it.
 *
 * Each round also runs on defined inputs and compares, so the secret runs
 * are checked for correctness too. --canary marks pk_M's ρ of a public key
 * secret for an encapsulation and passes only if memcheck reports ML-KEM's
 * SampleNTT branching on it, reached through X-Wing.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "doteros/xwing.h"
#include "ct.h"

#define ROUNDS 6
#define PK DOT_XWING_PK_LEN
#define CT DOT_XWING_CT_LEN

static void
test_keygen(void)
{
	static uint8_t pk[PK], pk2[PK];
	uint8_t sk[32], sk2[32];
	uint64_t seed = 1;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		pq_fill(sk, 32, &seed);
		dot_xwing_keypair_derand(pk2, sk);
		SECRET(sk, 32);
		dot_xwing_keypair_derand(pk, sk);
		PUBLIC(pk, sizeof(pk));
		PUBLIC(sk, 32);
		CHECK_MEM(pk, pk2, sizeof(pk));
		/* keypair(): rnd secret, sk a copy of it */
		SECRET(sk, 32);
		dot_xwing_keypair(sk2, pk, sk);
		PUBLIC(pk, sizeof(pk));
		PUBLIC(sk, 32);
		PUBLIC(sk2, 32);
		CHECK_MEM(pk, pk2, sizeof(pk));
		CHECK_MEM(sk2, sk, 32);
	}
}

/* A round's inputs, all defined: sk and eseed from the generator, pk, and
 * the encapsulation (ct, ss) of eseed to pk that the secret runs must
 * repeat. */
static int
fresh(uint8_t sk[32], uint8_t pk[PK], uint8_t eseed[64], uint8_t ct[CT],
      uint8_t ss[32], uint64_t *seed)
{
	pq_fill(sk, 32, seed);
	pq_fill(eseed, 64, seed);
	dot_xwing_keypair_derand(pk, sk);
	return dot_xwing_encaps_derand(ct, ss, pk, PK, eseed);
}

static void
test_encaps(void)
{
	static uint8_t pk[PK], ct[CT], ct2[CT];
	uint8_t sk[32], eseed[64], ss[32], ss2[32], vbits[32];
	uint64_t seed = 2;
	int rc;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		REQUIRE_RC(fresh(sk, pk, eseed, ct2, ss2, &seed), DOT_OK);
		SECRET(eseed, 64);
		/* rc is branched on: it must not depend on eseed */
		rc = dot_xwing_encaps_derand(ct, ss, pk, PK, eseed);
		CHECK_RC(rc, DOT_OK);
		/* ct_X = X25519(ek_X, 9) came out of libsodium marked
		 * undefined: memcheck followed the secret through it */
		REQUIRE(VALGRIND_GET_VBITS(ct + 1088, vbits, 32) == 1);
		CHECK(!pq_all_zero(vbits, 32)); /* V bits: 0 when defined */
		PUBLIC(ct, sizeof(ct));
		PUBLIC(ss, sizeof(ss));
		PUBLIC(eseed, 64);
		CHECK_MEM(ct, ct2, sizeof(ct));
		CHECK_MEM(ss, ss2, sizeof(ss));
	}
}

static void
test_decaps(void)
{
	static uint8_t pk[PK], ct[CT];
	uint8_t sk[32], eseed[64], ss[32], ss2[32];
	uint64_t seed = 3;
	int rc;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		REQUIRE_RC(fresh(sk, pk, eseed, ct, ss2, &seed), DOT_OK);
		/* rounds 1, 3, 5: a changed ct_M (implicit rejection);
		 * round 2: a changed ct_X; round 4: a low-order ct_X */
		if (r & 1)
			ct[(size_t)(t_rand(&seed) % 1088)] ^= 1;
		else if (r == 2)
			ct[1100] ^= 4;
		else if (r == 4)
			memset(ct + 1088, 0, 32);
		if (r != 0)
			REQUIRE_RC(dot_xwing_decaps(ss2, ct, CT, sk, 32),
				   DOT_OK);
		SECRET(sk, 32);
		rc = dot_xwing_decaps(ss, ct, CT, sk, 32);
		CHECK_RC(rc, DOT_OK);
		PUBLIC(ss, sizeof(ss));
		PUBLIC(sk, 32);
		CHECK_MEM(ss, ss2, sizeof(ss));
	}
}

/* For --canary: ρ of pk_M marked secret; SampleNTT's branches on it are
 * reported. */
static int
canary(void)
{
	static uint8_t pk[PK], ct[CT];
	uint8_t sk[32] = {1}, eseed[64] = {2}, ss[32];
	int rc;

	dot_xwing_keypair_derand(pk, sk);
	SECRET(pk + 1152, 32);
	rc = dot_xwing_encaps_derand(ct, ss, pk, PK, eseed);
	return ct_canary_done("canary", rc);
}

static const struct ct_canary canaries[] = {{"--canary", canary}};

CT_MAIN(canaries, T_CASE(test_keygen), T_CASE(test_encaps), T_CASE(test_decaps))
