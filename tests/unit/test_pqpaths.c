/*
 * test_pqpaths.c - lib/crypto's AVX2 code paths give the same bytes as the
 * portable ones (lib/crypto/sha3x4.h): four-way SHAKE against SHAKE128 and
 * SHAKE256 over many lengths; ML-DSA-65 key generation, signing
 * (deterministic and hedged, by message and by μ) and verification of good
 * and damaged signatures, each run both ways on random inputs and
 * compared. The known-answer vectors run both ways too (test_mldsa and
 * test_mldsa_portable). Skips (exit 77) where the CPU has no AVX2.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto/sha3x4.h"
#include "doteros/mldsa.h"
#include "doteros/sha3.h"
#include "harness.h"
#include "pq.h"

#define ROUNDS 40

#define NEED_AVX2()                                                            \
	do {                                                                   \
		dot_crypto_set_avx2(1);                                        \
		if (!dot_crypto_avx2())                                        \
			SKIP("no AVX2 here: only the portable paths run");     \
	} while (0)

static void
test_shakex4(void)
{
	static uint8_t in[4][700], out[4][6 * 168], ref[6 * 168];
	const uint8_t *ip[4] = {in[0], in[1], in[2], in[3]};
	uint8_t *op[4] = {out[0], out[1], out[2], out[3]};
	uint64_t seed = 1;

	NEED_AVX2();
	pq_fill(in[0], sizeof(in), &seed);
	for (unsigned rate = DOT_SHAKE256_RATE; rate <= DOT_SHAKE128_RATE;
	     rate += DOT_SHAKE128_RATE - DOT_SHAKE256_RATE)
		for (size_t n = 0; n < 700; n += n < 340 ? 1 : 29) {
			size_t nb = 1 + n % 6;

			dot_shakex4(rate, op, nb, ip, n);
			for (int k = 0; k < 4; k++) {
				if (rate == DOT_SHAKE128_RATE)
					dot_shake128(ref, nb * rate, in[k], n);
				else
					dot_shake256(ref, nb * rate, in[k], n);
				CHECK_MEM(out[k], ref, nb * rate);
			}
		}
}

static void
test_mldsa(void)
{
	static uint8_t pk[2][DOT_MLDSA65_PK_LEN], sk[2][DOT_MLDSA65_SK_LEN];
	static uint8_t sig[2][DOT_MLDSA65_SIG_LEN];
	uint8_t xi[32], rnd[32], msg[100], ctx[20], mu[64];
	uint64_t seed = 2;
	int rc[2];

	NEED_AVX2();
	for (int r = 0; r < ROUNDS; r++) {
		size_t mlen = (size_t)r * 2, clen = (size_t)r % 21;

		pq_fill(xi, sizeof(xi), &seed);
		pq_fill(msg, sizeof(msg), &seed);
		pq_fill(ctx, sizeof(ctx), &seed);
		if (r % 2)
			pq_fill(rnd, sizeof(rnd), &seed);
		else
			memset(rnd, 0, sizeof(rnd));
		for (int p = 0; p < 2; p++) {
			dot_crypto_set_avx2(p);
			dot_mldsa65_keypair_derand(pk[p], sk[p], xi);
			rc[p] = dot_mldsa65_sign_derand(sig[p], sk[p],
							sizeof(sk[p]), msg,
							mlen, ctx, clen, rnd);
		}
		CHECK_MEM(pk[0], pk[1], sizeof(pk[0]));
		CHECK_MEM(sk[0], sk[1], sizeof(sk[0]));
		CHECK_RC(rc[0], DOT_OK);
		CHECK_RC(rc[1], DOT_OK);
		CHECK_MEM(sig[0], sig[1], sizeof(sig[0]));
		/* by μ */
		REQUIRE_RC(dot_mldsa65_mu(mu, pk[0], sizeof(pk[0]), msg, mlen,
					  ctx, clen), DOT_OK);
		for (int p = 0; p < 2; p++) {
			dot_crypto_set_avx2(p);
			rc[p] = dot_mldsa65_sign_mu(sig[p], sk[0],
						    sizeof(sk[0]), mu, rnd);
		}
		CHECK_RC(rc[0], DOT_OK);
		CHECK_MEM(sig[0], sig[1], sizeof(sig[0]));
		/* verification: good, then one byte of c̃, z or h changed */
		for (int t = 0; t < 4; t++) {
			size_t at = t == 0 ? 0 : t == 1 ? 5 : t == 2 ? 1000 : 3260;

			if (t > 0)
				sig[0][at] ^= (uint8_t)(1u << (r % 8));
			for (int p = 0; p < 2; p++) {
				dot_crypto_set_avx2(p);
				rc[p] = dot_mldsa65_verify(
				    pk[0], sizeof(pk[0]), msg, mlen, ctx, clen,
				    sig[0], sizeof(sig[0]));
			}
			CHECK_RC(rc[0], rc[1]);
			if (t == 0)
				CHECK_RC(rc[0], DOT_OK);
			else
				CHECK(rc[0] != DOT_OK);
			if (t > 0)
				sig[0][at] ^= (uint8_t)(1u << (r % 8));
		}
	}
	dot_crypto_set_avx2(1);
}

int
main(void)
{
	static const struct t_case cases[] = {
		T_CASE(test_shakex4),
		T_CASE(test_mldsa),
	};

	if (sodium_init() < 0)
		return 1;
	return t_main(cases, sizeof(cases) / sizeof(cases[0]));
}
