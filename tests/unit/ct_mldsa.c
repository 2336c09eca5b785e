/*
 * ct_mldsa.c - ML-DSA-65's secret-dependent functions are constant time:
 * no branch and no memory address depends on a secret, except where
 * FIPS 204 makes a value public (below).
 *
 * The method of ctgrind (A. Langley), as in ct_mlkem.c: valgrind's
 * memcheck reports every conditional jump, and every load or store whose
 * address, depends on undefined memory. This program marks the secret
 * inputs undefined (VALGRIND_MAKE_MEM_UNDEFINED) and runs, on the AVX2
 * code paths where the CPU has AVX2 (lib/crypto/sha3x4.h) and on the
 * portable ones (the *_portable cases),
 *
 *   key generation   ξ secret
 *   signing          the secret parts of sk (K, s1, s2, t0) and rnd
 *                    secret (ρ and tr in sk are public: ρ is in pk and
 *                    tr = H(pk)); hedged and deterministic, by message
 *                    and by μ
 *
 * so memcheck reports any secret-dependent branch or index in them, or in
 * SHA-3 under them, as an error and the test fails. Outputs are marked
 * defined again before they are compared with a run on defined inputs.
 *
 * The library sources are compiled into this program with
 * -DDOT_CT_VALGRIND, which turns DOT_CT_PUBLIC (lib/crypto/ct.h) into
 * VALGRIND_MAKE_MEM_DEFINED on the values FIPS 204 treats as public
 * although they are computed from secrets (lib/crypto/mldsa.c says why
 * for each), and on nothing else:
 *   - ρ (it is in pk);
 *   - whether each 4-bit value of RejBoundedPoly is accepted (key
 *     generation; which positions are rejected is independent of the
 *     values kept);
 *   - the verdict of each signing iteration, one bit: accepted or
 *     rejected (the number of iterations depends on the secrets by the
 *     design of Fiat-Shamir with aborts: a rejected iteration's values are
 *     discarded and the count tells nothing useful about the key; the
 *     values checked, z, r0, ct0 and the hint count, stay secret and are
 *     checked without branches, and which check failed is not revealed);
 *   - whether SampleInBall found its τ positions among the 128 candidate
 *     bytes of the first SHAKE256 block (false with probability
 *     6 · 10^-43), to decide whether to squeeze another;
 *   - h once its iteration is accepted (it goes into the signature);
 *   - whether sk passed its range check (the return value says it).
 * c̃ is NOT declassified: SampleInBall is constant time, so the c̃ and c
 * of every iteration stay secret, and the accepted one becomes defined
 * only when this test marks the finished signature public. Every branch
 * or index on a secret, in any iteration, accepted or rejected, is
 * therefore reported. The test counts the iterations (a counter compiled
 * in with DOT_CT_VALGRIND only) and fails unless its signings include
 * rejected ones, so rejected iterations are known to have run under
 * memcheck.
 *
 * Meson runs it under valgrind (suite "ct", tests/meson.build) with
 * --error-exitcode. Two canaries show the set-up sees real branches.
 * "--canary" verifies a signature with the public key's ρ marked secret:
 * ExpandA's rejection sampling (rej_ntt_poly) branches on it, which is
 * right since ρ is public, so memcheck must report it; the test
 * ct-mldsa-canary passes only if it does. "--canary-reject" signs with
 * the key secret and has the library call canary_rejected with the c̃ of
 * each rejected iteration (a hook compiled in with DOT_CT_VALGRIND only);
 * canary_rejected branches on it, and ct-mldsa-reject-canary passes only
 * if memcheck reports that branch: a rejected iteration's c̃ is still
 * secret, so a branch on it anywhere would be found. Outside valgrind
 * every case skips and says why. Memcheck does not see variable-time
 * instructions (a division on a secret): lib/crypto/mldsa.c has none, it
 * reduces with Montgomery multiplications and divides by 2γ2 with a
 * multiply and a shift.
 */
#include <stdint.h>
#include <string.h>

#include "crypto/sha3x4.h"
#include "doteros/mldsa.h"
#include "ct.h"

#define ROUNDS 6

/* lib/crypto/mldsa.c, with DOT_CT_VALGRIND only */
extern unsigned long dot_mldsa_ct_iterations;
extern void (*dot_mldsa_ct_rejected)(const uint8_t *ctilde);

static void
test_keygen(void)
{
	static uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	static uint8_t pk2[DOT_MLDSA65_PK_LEN], sk2[DOT_MLDSA65_SK_LEN];
	uint8_t xi[32];
	uint64_t seed = 1;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		pq_fill(xi, 32, &seed);
		/* the reference, run on defined inputs */
		dot_mldsa65_keypair_derand(pk2, sk2, xi);
		SECRET(xi, 32);
		dot_mldsa65_keypair_derand(pk, sk, xi);
		PUBLIC(pk, sizeof(pk));
		PUBLIC(sk, sizeof(sk));
		PUBLIC(xi, 32);
		CHECK_MEM(pk, pk2, sizeof(pk));
		CHECK_MEM(sk, sk2, sizeof(sk));
	}
}

/* Mark the secret parts of sk: K (bytes 32-63) and s1, s2, t0 (from 128
 * on). ρ (0-31) and tr (64-127) are public. */
static void
secret_sk(uint8_t *sk)
{
	SECRET(sk + 32, 32);
	SECRET(sk + 128, DOT_MLDSA65_SK_LEN - 128);
}

static void
test_sign(void)
{
	static uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	static uint8_t sig[DOT_MLDSA65_SIG_LEN], sig2[DOT_MLDSA65_SIG_LEN];
	uint8_t xi[32], rnd[32], msg[64], ctx[16], mu[64];
	uint64_t seed = 2;
	unsigned long before, iters, total = 0, most = 0, signings = 0;
	int rc;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		pq_fill(xi, 32, &seed);
		pq_fill(msg, sizeof(msg), &seed);
		pq_fill(ctx, sizeof(ctx), &seed);
		if (r % 3 == 0)
			memset(rnd, 0, 32); /* deterministic */
		else
			pq_fill(rnd, 32, &seed);
		dot_mldsa65_keypair_derand(pk, sk, xi);
		REQUIRE_RC(dot_mldsa65_sign_derand(sig2, sk, sizeof(sk), msg,
						   sizeof(msg), ctx,
						   sizeof(ctx), rnd), DOT_OK);
		secret_sk(sk);
		SECRET(rnd, 32);
		/* rc is used in a branch: it must not depend on secrets
		 * other than through sk's declassified range check */
		before = dot_mldsa_ct_iterations;
		rc = dot_mldsa65_sign_derand(sig, sk, sizeof(sk), msg,
					     sizeof(msg), ctx, sizeof(ctx),
					     rnd);
		CHECK_RC(rc, DOT_OK);
		iters = dot_mldsa_ct_iterations - before;
		total += iters;
		most = iters > most ? iters : most;
		signings++;
		PUBLIC(sig, sizeof(sig));
		CHECK_MEM(sig, sig2, sizeof(sig));
		/* by μ, the external-μ form */
		PUBLIC(sk, sizeof(sk));
		PUBLIC(rnd, 32);
		REQUIRE_RC(dot_mldsa65_mu(mu, pk, sizeof(pk), msg, sizeof(msg),
					  ctx, sizeof(ctx)), DOT_OK);
		secret_sk(sk);
		SECRET(rnd, 32);
		rc = dot_mldsa65_sign_mu(sig, sk, sizeof(sk), mu, rnd);
		CHECK_RC(rc, DOT_OK);
		PUBLIC(sig, sizeof(sig));
		PUBLIC(sk, sizeof(sk));
		PUBLIC(rnd, 32);
		CHECK_MEM(sig, sig2, sizeof(sig));
		CHECK_RC(dot_mldsa65_verify(pk, sizeof(pk), msg, sizeof(msg),
					    ctx, sizeof(ctx), sig,
					    sizeof(sig)), DOT_OK);
	}
	/* rejected iterations ran under memcheck, with their c̃ secret */
	printf("# %lu signings under memcheck: %lu iterations, %lu of them "
	       "rejected, at most %lu in one signing\n", signings, total,
	       total - signings, most);
	CHECK(total > signings);
	CHECK(most >= 3);
}

/* For --canary: pk's ρ marked secret; ExpandA's branches are reported. */
static int
canary(void)
{
	static uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	uint8_t xi[32] = {1}, rnd[32] = {2}, msg[3] = {3};
	int rc;

	dot_mldsa65_keypair_derand(pk, sk, xi);
	rc = dot_mldsa65_sign_derand(sig, sk, sizeof(sk), msg, sizeof(msg),
				     NULL, 0, rnd);
	SECRET(pk, 32);
	rc = dot_mldsa65_verify(pk, sizeof(pk), msg, sizeof(msg), NULL, 0, sig,
				sizeof(sig));
	PUBLIC(&rc, sizeof(rc));
	return ct_canary_done("canary", rc);
}

/* The same on the portable code paths, where the CPU would choose the
 * AVX2 ones (lib/crypto/sha3x4.h); where it would not, the cases above
 * already ran them. */
static void
test_keygen_portable(void)
{
	dot_crypto_set_avx2(0);
	test_keygen();
	dot_crypto_set_avx2(1);
}

static void
test_sign_portable(void)
{
	dot_crypto_set_avx2(0);
	test_sign();
	dot_crypto_set_avx2(1);
}

/* For --canary-reject: a branch on the c̃ of a rejected iteration. */
static volatile unsigned canary_hits;

static void __attribute__((noinline))
canary_rejected(const uint8_t *ctilde)
{
	if (ctilde[0] & 1)
		canary_hits++;
}

/* For --canary-reject: sign with sk secret; canary_rejected must be
 * reported, and rejected iterations must have happened. */
static int
canary_reject(void)
{
	static uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	uint8_t xi[32] = {1}, rnd[32] = {2}, msg[3] = {3};
	unsigned long before;
	int rc = DOT_OK, rejected = 0;

	dot_mldsa65_keypair_derand(pk, sk, xi);
	secret_sk(sk);
	dot_mldsa_ct_rejected = canary_rejected;
	/* until some signing had a rejected iteration */
	for (int i = 0; i < 16 && !rejected && rc == DOT_OK; i++) {
		msg[0] = (uint8_t)i;
		before = dot_mldsa_ct_iterations;
		rc = dot_mldsa65_sign_derand(sig, sk, sizeof(sk), msg,
					     sizeof(msg), NULL, 0, rnd);
		rejected = dot_mldsa_ct_iterations - before > 1;
	}
	dot_mldsa_ct_rejected = NULL;
	PUBLIC(&rc, sizeof(rc));
	printf("canary-reject: %s, %s; valgrind errors so far: %u\n",
	       dot_errname(rc), rejected ? "rejected iterations ran"
					 : "NO rejected iteration",
	       (unsigned)VALGRIND_COUNT_ERRORS);
	return rejected ? 0 : 2;
}

static const struct ct_canary canaries[] = {
	{"--canary", canary},
	{"--canary-reject", canary_reject},
};

CT_MAIN(canaries, T_CASE(test_keygen), T_CASE(test_sign),
	T_CASE(test_keygen_portable), T_CASE(test_sign_portable))
