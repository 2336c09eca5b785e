/*
 * ct_mlkem.c - ML-KEM-768's secret-dependent functions are constant time:
 * no branch and no memory address depends on a secret.
 *
 * The method of ctgrind (A. Langley): valgrind's memcheck reports every
 * conditional jump, and every load or store whose address, depends on
 * undefined memory. This program marks the secret inputs undefined
 * (VALGRIND_MAKE_MEM_UNDEFINED) and runs
 *
 *   key generation          d and z secret
 *   encapsulation           m secret (ek public)
 *   decapsulation           dk_PKE and z secret (the ek and H(ek) in dk
 *                           are public), valid and modified ciphertexts
 *
 * so memcheck reports any secret-dependent branch or index in them, or in
 * SHA-3 under them, as an error and the test fails. Outputs are marked
 * defined again (VALGRIND_MAKE_MEM_DEFINED) before they are compared. The
 * library sources are compiled into this program with -DDOT_CT_VALGRIND,
 * which turns DOT_CT_PUBLIC (lib/crypto/ct.h) into the same client request
 * for ρ, a value computed from d but published in ek.
 *
 * Meson runs it under valgrind (suite "ct", tests/meson.build), with
 * --error-exitcode. "--canary" runs encapsulation with the public ek
 * marked secret: SampleNTT's rejection loop branches on ρ (which is
 * right, ρ is public), so memcheck must report it; the test ct-mlkem-canary
 * passes only if it does, which proves that this set-up sees a real branch
 * in the library. Outside valgrind every case skips and says why.
 *
 * Memcheck does not see variable-time instructions (a division by q on
 * a secret, KyberSlash): there is none in lib/crypto/mlkem.c, which
 * divides by q only by multiplying and shifting (its compress()).
 */
#include <stdint.h>
#include <string.h>

#include "doteros/mlkem.h"
#include "ct.h"

#define ROUNDS 8

static void
test_keygen(void)
{
	static uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];
	static uint8_t ek2[DOT_MLKEM768_EK_LEN], dk2[DOT_MLKEM768_DK_LEN];
	uint8_t d[32], z[32];
	uint64_t seed = 1;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		pq_fill(d, 32, &seed);
		pq_fill(z, 32, &seed);
		/* the reference, run on defined inputs */
		dot_mlkem768_keypair_derand(ek2, dk2, d, z);
		SECRET(d, 32);
		SECRET(z, 32);
		dot_mlkem768_keypair_derand(ek, dk, d, z);
		PUBLIC(ek, sizeof(ek));
		PUBLIC(dk, sizeof(dk));
		PUBLIC(d, 32);
		PUBLIC(z, 32);
		CHECK_MEM(ek, ek2, sizeof(ek));
		CHECK_MEM(dk, dk2, sizeof(dk));
	}
}

static void
test_encaps(void)
{
	static uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];
	uint8_t d[32], z[32], m[32], ct[DOT_MLKEM768_CT_LEN],
		ct2[DOT_MLKEM768_CT_LEN], ss[32], ss2[32];
	uint64_t seed = 2;
	int rc;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		pq_fill(d, 32, &seed);
		pq_fill(z, 32, &seed);
		pq_fill(m, 32, &seed);
		dot_mlkem768_keypair_derand(ek, dk, d, z);
		REQUIRE_RC(dot_mlkem768_encaps_derand(ct2, ss2, ek, sizeof(ek),
						      m), DOT_OK);
		SECRET(m, 32);
		/* rc is used in a branch: it must not depend on m */
		rc = dot_mlkem768_encaps_derand(ct, ss, ek, sizeof(ek), m);
		CHECK_RC(rc, DOT_OK);
		PUBLIC(ct, sizeof(ct));
		PUBLIC(ss, sizeof(ss));
		PUBLIC(m, 32);
		CHECK_MEM(ct, ct2, sizeof(ct));
		CHECK_MEM(ss, ss2, sizeof(ss));
	}
}

/* Mark the secret parts of dk: dk_PKE (the first 1152 bytes) and z. */
static void
secret_dk(uint8_t *dk)
{
	SECRET(dk, 1152);
	SECRET(dk + DOT_MLKEM768_DK_LEN - 32, 32);
}

static void
test_decaps(void)
{
	static uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];
	uint8_t d[32], z[32], m[32], ct[DOT_MLKEM768_CT_LEN], ss[32],
		ss2[32];
	uint64_t seed = 3;
	int rc;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		pq_fill(d, 32, &seed);
		pq_fill(z, 32, &seed);
		pq_fill(m, 32, &seed);
		dot_mlkem768_keypair_derand(ek, dk, d, z);
		REQUIRE_RC(dot_mlkem768_encaps_derand(ct, ss2, ek, sizeof(ek),
						      m), DOT_OK);
		/* every other round: a modified ciphertext, whose key is
		 * J(z || c), taken by the same code path in constant time */
		if (r & 1) {
			ct[(size_t)(t_rand(&seed) % sizeof(ct))] ^= 1;
			pq_j(ss2, z, ct, sizeof(ct));
		}
		secret_dk(dk);
		rc = dot_mlkem768_decaps(ss, ct, sizeof(ct), dk, sizeof(dk));
		CHECK_RC(rc, DOT_OK);
		PUBLIC(ss, sizeof(ss));
		PUBLIC(dk, sizeof(dk));
		CHECK_MEM(ss, ss2, sizeof(ss));
	}
}

/* For --canary: ek marked secret; SampleNTT's branches on ρ are reported. */
static int
canary(void)
{
	static uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];
	uint8_t d[32] = {1}, z[32] = {2}, m[32] = {3}, ct[DOT_MLKEM768_CT_LEN],
		ss[32];
	int rc;

	dot_mlkem768_keypair_derand(ek, dk, d, z);
	SECRET(ek + 1152, 32);
	rc = dot_mlkem768_encaps_derand(ct, ss, ek, sizeof(ek), m);
	return ct_canary_done("canary", rc);
}

static const struct ct_canary canaries[] = {{"--canary", canary}};

CT_MAIN(canaries, T_CASE(test_keygen), T_CASE(test_encaps), T_CASE(test_decaps))
