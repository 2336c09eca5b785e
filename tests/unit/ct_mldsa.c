/*
 * ct_mldsa.c - ML-DSA-65's secret-dependent functions are constant time:
 * no branch and no memory address depends on a secret, except where
 * FIPS 204 makes a value public (below).
 *
 * The method of ctgrind (A. Langley), as in ct_mlkem.c: valgrind's
 * memcheck reports every conditional jump, and every load or store whose
 * address, depends on undefined memory. This program marks the secret
 * inputs undefined (VALGRIND_MAKE_MEM_UNDEFINED) and runs
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
 * for each): ρ; whether each 4-bit value of RejBoundedPoly is accepted;
 * c̃ of each signing iteration; the verdict of each iteration's norm and
 * hint-count checks, whose outcome decides how many iterations signing
 * takes (the number of iterations depends on the secrets by design: a
 * rejected iteration's values are discarded and the count tells nothing
 * useful about the key, so ML-DSA reveals it, while the values checked,
 * z, r0, ct0 and h, stay secret and are checked without branches); h once
 * it goes into the signature; whether sk passed its range check.
 *
 * Meson runs it under valgrind (suite "ct", tests/meson.build) with
 * --error-exitcode. "--canary" verifies a signature with the public key's
 * ρ marked secret: ExpandA's rejection sampling (rej_ntt_poly) branches
 * on it, which is right since ρ is public, so memcheck must report it;
 * the test ct-mldsa-canary passes only if it does. Outside valgrind every
 * case skips and says why. Memcheck does not see variable-time
 * instructions (a division on a secret): lib/crypto/mldsa.c has none, it
 * reduces with Montgomery multiplications and divides by 2γ2 with a
 * multiply and a shift.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>
#include <valgrind/memcheck.h>

#include "doteros/mldsa.h"
#include "harness.h"

#define SECRET(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))

#define ROUNDS 6

#define NEED_VALGRIND()                                                        \
	do {                                                                   \
		if (!RUNNING_ON_VALGRIND)                                      \
			SKIP("not under valgrind (meson test --suite ct "      \
			     "runs it there)");                                \
	} while (0)

static void
fill(uint8_t *p, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)t_rand(seed);
}

static void
test_keygen(void)
{
	static uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	static uint8_t pk2[DOT_MLDSA65_PK_LEN], sk2[DOT_MLDSA65_SK_LEN];
	uint8_t xi[32];
	uint64_t seed = 1;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		fill(xi, 32, &seed);
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
	int rc;

	NEED_VALGRIND();
	for (int r = 0; r < ROUNDS; r++) {
		fill(xi, 32, &seed);
		fill(msg, sizeof(msg), &seed);
		fill(ctx, sizeof(ctx), &seed);
		if (r % 3 == 0)
			memset(rnd, 0, 32); /* deterministic */
		else
			fill(rnd, 32, &seed);
		dot_mldsa65_keypair_derand(pk, sk, xi);
		REQUIRE_RC(dot_mldsa65_sign_derand(sig2, sk, sizeof(sk), msg,
						   sizeof(msg), ctx,
						   sizeof(ctx), rnd), DOT_OK);
		secret_sk(sk);
		SECRET(rnd, 32);
		/* rc is used in a branch: it must not depend on secrets
		 * other than through sk's declassified range check */
		rc = dot_mldsa65_sign_derand(sig, sk, sizeof(sk), msg,
					     sizeof(msg), ctx, sizeof(ctx),
					     rnd);
		CHECK_RC(rc, DOT_OK);
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
	printf("canary: %s; valgrind errors so far: %u\n", dot_errname(rc),
	       (unsigned)VALGRIND_COUNT_ERRORS);
	return 0; /* valgrind's --error-exitcode makes the run fail */
}

int
main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(test_keygen),
		T_CASE(test_sign),
	};

	if (sodium_init() < 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "--canary") == 0)
		return canary();
	return t_main(cases, sizeof(cases) / sizeof(cases[0]));
}
