/*
 * test_mldsa.c - ML-DSA-65 (include/doteros/mldsa.h, lib/crypto/mldsa.c).
 *
 * Every ML-DSA-65 vector of tests/vectors/ml-dsa/ is run:
 *
 *   acvp_keygen_65               25  NIST ACVP keyGen (Algorithm 6)
 *   acvp_siggen_65              120  NIST ACVP sigGen: deterministic and
 *                                    hedged; external pure, external
 *                                    preHash (M' built by filter.py, run
 *                                    through Sign_internal), internal with
 *                                    M' and with external μ
 *   acvp_sigver_65               60  NIST ACVP sigVer, the same interfaces
 *   mldsa_65_verify_test        210  Wycheproof verification
 *   mldsa_65_sign_seed_test     105  Wycheproof key generation from ξ,
 *                                    μ, signing (and verifying the result)
 *   mldsa_65_sign_noseed_test    78  Wycheproof signing from expanded sk
 *
 * The .txt files are the .json files in lines (tests/vectors/ml-dsa/
 * filter.py); each names its .json files and their SHA3-256, which is
 * checked here first, so the tests run are those of the JSON copies.
 *
 * Then tests that would each catch one mistake on their own: ‖z‖∞ equal
 * to γ1 - β accepted, a hint with a repeated or decreasing index or a
 * nonzero unused slot accepted, tr taken as 32 bytes, contexts of 0, 255
 * and 256 bytes, wrong lengths, malformed sk.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/crypto.h"
#include "doteros/mldsa.h"
#include "doteros/sha3.h"
#include "harness.h"
#include "pq.h"
#include "vectors.h"

#define VEC "tests/vectors/ml-dsa/"

/* ------------------------------------------------------------------ */
/* the vector files                                                    */

struct rec {
	char op[32];
	char result[16];
	long tcid;
	struct vec_field seed, pk, sk, msg, ctx, mp, mu, rnd, sig;
};

static const struct vec_key keys[] = {
	VEC_KEY(VEC_STR, "op", struct rec, op),
	VEC_KEY(VEC_STR, "result", struct rec, result),
	VEC_KEY(VEC_LONG, "tcId", struct rec, tcid),
	VEC_HEX_KEY(struct rec, seed),
	VEC_HEX_KEY(struct rec, pk),
	VEC_HEX_KEY(struct rec, sk),
	VEC_HEX_KEY(struct rec, msg),
	VEC_HEX_KEY(struct rec, ctx),
	VEC_HEX_KEY(struct rec, mp),
	VEC_HEX_KEY(struct rec, mu),
	VEC_HEX_KEY(struct rec, rnd),
	VEC_HEX_KEY(struct rec, sig),
};

static const struct vec_format format = {
	VEC, keys, sizeof(keys) / sizeof(keys[0]), sizeof(struct rec)};

/* One failure message with the record's place; counts the record once. */
#define VCHECK(cond)                                                           \
	VEC_CHECK(cond, #cond, "%s tcId %ld (%s, %s)", file, r->tcid, r->op,  \
		  r->result)

static const uint8_t zero_rnd[DOT_MLDSA_RND_LEN];

/* Sign with the record's sk (given or from its seed) and check sig and,
 * when pk is known, that the signature verifies. */
static int
sign_check(const char *file, struct rec *r, const uint8_t *sk, size_t sklen,
	   const uint8_t *pk, int valid)
{
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	uint8_t mu[DOT_MLDSA_MU_LEN];
	const uint8_t *rnd = r->rnd.present ? r->rnd.b : zero_rnd;
	int bad = 0, rc;

	VCHECK(!r->rnd.present || r->rnd.n == DOT_MLDSA_RND_LEN);
	if (r->msg.present) {
		if (pk != NULL) {
			rc = dot_mldsa65_mu(mu, pk, DOT_MLDSA65_PK_LEN,
					    r->msg.b, r->msg.n, r->ctx.b,
					    r->ctx.n);
			if (r->mu.present)
				VCHECK(rc == DOT_OK && vec_eq(&r->mu, mu, 64));
			else
				VCHECK(rc == DOT_ECRYPTO_MLDSA_CTX);
		}
		rc = dot_mldsa65_sign_derand(sig, sk, sklen, r->msg.b,
					     r->msg.n, r->ctx.b, r->ctx.n,
					     rnd);
	} else {
		VCHECK(r->mu.present && r->mu.n == DOT_MLDSA_MU_LEN);
		rc = dot_mldsa65_sign_mu(sig, sk, sklen, r->mu.b, rnd);
	}
	if (!valid) {
		VCHECK(rc == DOT_ECRYPTO_MLDSA_SK ||
		       rc == DOT_ECRYPTO_MLDSA_CTX);
		VCHECK(pq_all_zero(sig, sizeof(sig)));
		return bad;
	}
	VCHECK(rc == DOT_OK);
	VCHECK(vec_eq(&r->sig, sig, sizeof(sig)));
	if (pk != NULL && r->msg.present)
		VCHECK(dot_mldsa65_verify(pk, DOT_MLDSA65_PK_LEN, r->msg.b,
					  r->msg.n, r->ctx.b, r->ctx.n, sig,
					  sizeof(sig)) == DOT_OK);
	else if (pk != NULL)
		VCHECK(dot_mldsa65_verify_mu(pk, DOT_MLDSA65_PK_LEN, r->mu.b,
					     sig, sizeof(sig)) == DOT_OK);
	return bad;
}

static int
run_record(const char *file, void *rec, void *arg)
{
	struct rec *r = rec;
	static uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	int valid = strcmp(r->result, "valid") == 0, bad = 0, rc;

	VCHECK(valid || strcmp(r->result, "invalid") == 0);
	if (strcmp(r->op, "keygen") == 0) {
		/* ML-DSA.KeyGen_internal(ξ) */
		VCHECK(valid && r->seed.n == 32);
		dot_mldsa65_keypair_derand(pk, sk, r->seed.b);
		VCHECK(vec_eq(&r->pk, pk, sizeof(pk)));
		VCHECK(vec_eq(&r->sk, sk, sizeof(sk)));
	} else if (strcmp(r->op, "sign") == 0) {
		VCHECK(valid && r->rnd.n == 32);
		rc = dot_mldsa65_sign_derand(sig, r->sk.b, r->sk.n, r->msg.b,
					     r->msg.n, r->ctx.b, r->ctx.n,
					     r->rnd.b);
		VCHECK(rc == DOT_OK);
		VCHECK(vec_eq(&r->sig, sig, sizeof(sig)));
	} else if (strcmp(r->op, "sign_internal") == 0) {
		VCHECK(valid && r->rnd.n == 32);
		rc = dot_mldsa65_sign_internal(sig, r->sk.b, r->sk.n, r->mp.b,
					       r->mp.n, r->rnd.b);
		VCHECK(rc == DOT_OK);
		VCHECK(vec_eq(&r->sig, sig, sizeof(sig)));
	} else if (strcmp(r->op, "sign_mu") == 0) {
		VCHECK(valid && r->rnd.n == 32 && r->mu.n == 64);
		rc = dot_mldsa65_sign_mu(sig, r->sk.b, r->sk.n, r->mu.b,
					 r->rnd.b);
		VCHECK(rc == DOT_OK);
		VCHECK(vec_eq(&r->sig, sig, sizeof(sig)));
	} else if (strcmp(r->op, "verify") == 0) {
		rc = dot_mldsa65_verify(r->pk.b, r->pk.n, r->msg.b, r->msg.n,
					r->ctx.b, r->ctx.n, r->sig.b,
					r->sig.n);
		VCHECK(valid ? rc == DOT_OK : rc != DOT_OK);
	} else if (strcmp(r->op, "verify_internal") == 0) {
		rc = dot_mldsa65_verify_internal(r->pk.b, r->pk.n, r->mp.b,
						 r->mp.n, r->sig.b, r->sig.n);
		VCHECK(valid ? rc == DOT_OK : rc != DOT_OK);
	} else if (strcmp(r->op, "verify_mu") == 0) {
		VCHECK(r->mu.n == 64);
		rc = dot_mldsa65_verify_mu(r->pk.b, r->pk.n, r->mu.b, r->sig.b,
					   r->sig.n);
		VCHECK(valid ? rc == DOT_OK : rc != DOT_OK);
	} else if (strcmp(r->op, "sign_seed") == 0) {
		rc = dot_mldsa65_keypair_seed(pk, sk, r->seed.b, r->seed.n);
		if (r->seed.n != DOT_MLDSA_SEED_LEN) {
			VCHECK(!valid && rc == DOT_ECRYPTO_KEY);
			VCHECK(!r->pk.present);
			VCHECK(pq_all_zero(sk, sizeof(sk)));
			return bad;
		}
		VCHECK(rc == DOT_OK);
		VCHECK(vec_eq(&r->pk, pk, sizeof(pk)));
		bad |= sign_check(file, r, sk, sizeof(sk), pk, valid);
	} else if (strcmp(r->op, "sign_sk") == 0) {
		bad |= sign_check(file, r, r->sk.b, r->sk.n,
				  r->pk.present && r->pk.n ==
				  DOT_MLDSA65_PK_LEN ? r->pk.b : NULL, valid);
	} else {
		VCHECK(!"unknown op");
	}
	return bad;
}

static void
run_file_fn(const char *name, int expect, vec_fn fn)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct vec_count c;

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(r != NULL);
	vec_read(&format, name, r, fn, NULL, &c);
	free(r);
	printf("# %s: %d tests run, %d passed\n", name, c.run, c.passed);
	CHECK(c.hashes >= 1);
	CHECK(c.run == expect);
	CHECK(c.passed == c.run);
}

static void
run_file(const char *name, int expect)
{
	run_file_fn(name, expect, run_record);
}

static void
test_acvp_keygen(void)
{
	run_file("acvp_keygen_65", 25);
}

static void
test_acvp_siggen(void)
{
	run_file("acvp_siggen_65", 120);
}

static void
test_acvp_sigver(void)
{
	run_file("acvp_sigver_65", 60);
}

static void
test_wycheproof_verify(void)
{
	run_file("mldsa_65_verify_test", 210);
}

static void
test_wycheproof_sign_seed(void)
{
	run_file("mldsa_65_sign_seed_test", 105);
}

static void
test_wycheproof_sign_noseed(void)
{
	run_file("mldsa_65_sign_noseed_test", 78);
}

/* ------------------------------------------------------------------ */
/* properties                                                          */

static void
test_sizes(void)
{
	CHECK(DOT_MLDSA65_PK_LEN == 1952);
	CHECK(DOT_MLDSA65_SK_LEN == 4032);
	CHECK(DOT_MLDSA65_SIG_LEN == 3309);
	CHECK(DOT_MLDSA_SEED_LEN == 32 && DOT_MLDSA_RND_LEN == 32);
	CHECK(DOT_MLDSA_TR_LEN == 64 && DOT_MLDSA_MU_LEN == 64);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_MLDSA_PK),
		     "DOT_ECRYPTO_MLDSA_PK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_MLDSA_SK),
		     "DOT_ECRYPTO_MLDSA_SK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_MLDSA_SIG),
		     "DOT_ECRYPTO_MLDSA_SIG") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_MLDSA_CTX),
		     "DOT_ECRYPTO_MLDSA_CTX") == 0);
}

/*
 * Selected Wycheproof verification vectors, with the exact error each
 * must give: the ‖z‖∞ bound at γ1 - β exactly (tcId 138, 139: refused by
 * the norm check; 61, z_max just below the signer's limit, accepted), and
 * every malformed hint encoding (refused by HintBitUnpack as malformed,
 * not by the c̃ comparison). 16 reverse order, 17 and 20 too many hints,
 * 18 nonzero padding, 19 a repeated index, 150 a limit going backwards,
 * 151 and 152 limits past ω, 160 ω + 1 hints.
 */
static const struct {
	long tcid;
	int rc;
} selected[] = {
	{138, DOT_ECRYPTO_SIGNATURE}, {139, DOT_ECRYPTO_SIGNATURE},
	{61, DOT_OK}, {62, DOT_OK}, {148, DOT_OK}, {149, DOT_OK},
	{16, DOT_ECRYPTO_MLDSA_SIG}, {17, DOT_ECRYPTO_MLDSA_SIG},
	{18, DOT_ECRYPTO_MLDSA_SIG}, {19, DOT_ECRYPTO_MLDSA_SIG},
	{20, DOT_ECRYPTO_MLDSA_SIG}, {150, DOT_ECRYPTO_MLDSA_SIG},
	{151, DOT_ECRYPTO_MLDSA_SIG}, {152, DOT_ECRYPTO_MLDSA_SIG},
	{160, DOT_ECRYPTO_MLDSA_SIG},
};
static int selected_seen;

static int
run_selected(const char *file, void *rec, void *arg)
{
	struct rec *r = rec;
	int bad = 0, rc;

	for (size_t i = 0; i < sizeof(selected) / sizeof(selected[0]); i++) {
		if (selected[i].tcid != r->tcid)
			continue;
		selected_seen++;
		rc = dot_mldsa65_verify(r->pk.b, r->pk.n, r->msg.b, r->msg.n,
					r->ctx.b, r->ctx.n, r->sig.b,
					r->sig.n);
		if (rc != selected[i].rc)
			printf("# tcId %ld: %s, want %s\n", r->tcid,
			       dot_errname(rc), dot_errname(selected[i].rc));
		VCHECK(rc == selected[i].rc);
	}
	return bad;
}

static void
test_wycheproof_selected(void)
{
	selected_seen = 0;
	run_file_fn("mldsa_65_verify_test", 210, run_selected);
	CHECK(selected_seen == (int)(sizeof(selected) / sizeof(selected[0])));
}

struct kp {
	uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	uint8_t sig[DOT_MLDSA65_SIG_LEN];
};

static const uint8_t msg[] = "the quick brown fox";

/* A fixed key pair and a deterministic signature of msg, empty ctx. */
static int
fixed_kp(struct kp *k, uint8_t seedbyte)
{
	uint8_t xi[32];

	memset(xi, seedbyte, sizeof(xi));
	dot_mldsa65_keypair_derand(k->pk, k->sk, xi);
	return dot_mldsa65_sign_derand(k->sig, k->sk, sizeof(k->sk), msg,
				       sizeof(msg), NULL, 0, zero_rnd);
}

static int
verify_msg(const struct kp *k, const uint8_t *sig)
{
	return dot_mldsa65_verify(k->pk, sizeof(k->pk), msg, sizeof(msg),
				  NULL, 0, sig, DOT_MLDSA65_SIG_LEN);
}

#define HINTS (DOT_MLDSA65_SIG_LEN - 61) /* ω + k = 61 bytes */

/*
 * Algorithm 21's rules, each broken alone on an honest signature: the
 * decoder must refuse it as malformed (DOT_ECRYPTO_MLDSA_SIG), before
 * and independently of the c̃ comparison.
 */
static void
test_hint_decoding(void)
{
	static struct kp k;
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	uint8_t *y;
	int found = 0;

	/* a signature whose first polynomial with hints has at least two,
	 * with fewer than ω hints in all */
	for (uint8_t s = 1; s < 64 && !found; s++) {
		REQUIRE_RC(fixed_kp(&k, s), DOT_OK);
		y = k.sig + HINTS;
		found = y[55 + 5] < 55 && y[55] >= 2;
	}
	REQUIRE(found);
	CHECK_RC(verify_msg(&k, k.sig), DOT_OK);

	/* a repeated index: y[1] = y[0] */
	memcpy(sig, k.sig, sizeof(sig));
	y = sig + HINTS;
	y[1] = y[0];
	CHECK_RC(verify_msg(&k, sig), DOT_ECRYPTO_MLDSA_SIG);
	/* a decreasing index: y[0] and y[1] swapped */
	memcpy(sig, k.sig, sizeof(sig));
	y = sig + HINTS;
	y[0] = k.sig[HINTS + 1];
	y[1] = k.sig[HINTS];
	CHECK_RC(verify_msg(&k, sig), DOT_ECRYPTO_MLDSA_SIG);
	/* a nonzero unused slot, the last one and the first one */
	memcpy(sig, k.sig, sizeof(sig));
	sig[HINTS + 54] = 1;
	CHECK_RC(verify_msg(&k, sig), DOT_ECRYPTO_MLDSA_SIG);
	memcpy(sig, k.sig, sizeof(sig));
	sig[HINTS + k.sig[HINTS + 60]] = 0x80;
	CHECK_RC(verify_msg(&k, sig), DOT_ECRYPTO_MLDSA_SIG);
	/* a limit over ω, and a limit below the previous one */
	memcpy(sig, k.sig, sizeof(sig));
	sig[HINTS + 60] = 56;
	CHECK_RC(verify_msg(&k, sig), DOT_ECRYPTO_MLDSA_SIG);
	memcpy(sig, k.sig, sizeof(sig));
	sig[HINTS + 56] = (uint8_t)(sig[HINTS + 55] - 1);
	CHECK_RC(verify_msg(&k, sig), DOT_ECRYPTO_MLDSA_SIG);
	/* the same index in two different polynomials is fine for the
	 * decoder (the signature then fails on c̃) */
	memcpy(sig, k.sig, sizeof(sig));
	sig[HINTS + 60] = (uint8_t)(sig[HINTS + 60] + 1);
	sig[HINTS + k.sig[HINTS + 60]] = 0;
	{
		int rc = verify_msg(&k, sig);
		/* accepted by HintBitUnpack unless index 0 was already last
		 * in polynomial 5: then strictly-increasing fails */
		CHECK(rc == DOT_ECRYPTO_SIGNATURE ||
		      rc == DOT_ECRYPTO_MLDSA_SIG);
	}
}

/*
 * tr is 64 bytes, H(pk, 64), in sk and in μ = H(tr || M', 64): a signer
 * or verifier that used 32 bytes (round-3 Dilithium's length) fails here.
 */
static void
test_tr(void)
{
	static struct kp k;
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	uint8_t tr[64], mu[64], mu32[64], want[64];
	struct dot_sha3_ctx x;
	const uint8_t pre[2] = {0, 3}, ctx[3] = {'a', 'b', 'c'};

	REQUIRE_RC(fixed_kp(&k, 7), DOT_OK);
	dot_shake256(tr, sizeof(tr), k.pk, sizeof(k.pk));
	CHECK_MEM(k.sk + 64, tr, 64);
	/* μ of Algorithms 2 and 7, computed here */
	dot_shake256_init(&x);
	dot_sha3_update(&x, tr, 64);
	dot_sha3_update(&x, pre, 2);
	dot_sha3_update(&x, ctx, 3);
	dot_sha3_update(&x, msg, sizeof(msg));
	dot_shake_squeeze(&x, want, 64);
	CHECK_RC(dot_mldsa65_mu(mu, k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				3), DOT_OK);
	CHECK_MEM(mu, want, 64);
	/* the same with tr cut to 32 bytes */
	dot_shake256_init(&x);
	dot_sha3_update(&x, tr, 32);
	dot_sha3_update(&x, pre, 2);
	dot_sha3_update(&x, ctx, 3);
	dot_sha3_update(&x, msg, sizeof(msg));
	dot_shake_squeeze(&x, mu32, 64);
	CHECK(memcmp(mu32, mu, 64) != 0);
	/* signed over the right μ: verifies by message and by μ */
	REQUIRE_RC(dot_mldsa65_sign_mu(sig, k.sk, sizeof(k.sk), mu, zero_rnd),
		   DOT_OK);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				    3, sig, sizeof(sig)), DOT_OK);
	CHECK_RC(dot_mldsa65_verify_mu(k.pk, sizeof(k.pk), mu, sig,
				       sizeof(sig)), DOT_OK);
	CHECK_RC(dot_mldsa65_verify_mu(k.pk, sizeof(k.pk), mu32, sig,
				       sizeof(sig)), DOT_ECRYPTO_SIGNATURE);
	/* signed over the 32-byte-tr μ: refused */
	REQUIRE_RC(dot_mldsa65_sign_mu(sig, k.sk, sizeof(k.sk), mu32,
				       zero_rnd), DOT_OK);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				    3, sig, sizeof(sig)),
		 DOT_ECRYPTO_SIGNATURE);
	/* the external form is the internal one on M' */
	{
		uint8_t mp[2 + 3 + sizeof(msg)];

		memcpy(mp, pre, 2);
		memcpy(mp + 2, ctx, 3);
		memcpy(mp + 5, msg, sizeof(msg));
		REQUIRE_RC(dot_mldsa65_sign_internal(sig, k.sk, sizeof(k.sk),
						     mp, sizeof(mp), zero_rnd),
			   DOT_OK);
		CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg,
					    sizeof(msg), ctx, 3, sig,
					    sizeof(sig)), DOT_OK);
		CHECK_RC(dot_mldsa65_verify_internal(k.pk, sizeof(k.pk), mp,
						     sizeof(mp), sig,
						     sizeof(sig)), DOT_OK);
	}
}

/* Contexts of 0 and 255 bytes round-trip; 256 is refused everywhere;
 * another context does not verify. */
static void
test_contexts(void)
{
	static struct kp k;
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	uint8_t ctx[256], mu[64];

	REQUIRE_RC(dot_crypto_init(), DOT_OK);
	REQUIRE_RC(fixed_kp(&k, 9), DOT_OK);
	for (int i = 0; i < 256; i++)
		ctx[i] = (uint8_t)(i * 7 + 1);
	CHECK_RC(verify_msg(&k, k.sig), DOT_OK);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				    0, k.sig, sizeof(k.sig)), DOT_OK);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				    1, k.sig, sizeof(k.sig)),
		 DOT_ECRYPTO_SIGNATURE);
	REQUIRE_RC(dot_mldsa65_sign(sig, k.sk, sizeof(k.sk), msg, sizeof(msg),
				    ctx, 255), DOT_OK);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				    255, sig, sizeof(sig)), DOT_OK);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				    254, sig, sizeof(sig)),
		 DOT_ECRYPTO_SIGNATURE);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg),
				    NULL, 0, sig, sizeof(sig)),
		 DOT_ECRYPTO_SIGNATURE);
	/* 256 bytes */
	memset(sig, 0xff, sizeof(sig));
	CHECK_RC(dot_mldsa65_sign(sig, k.sk, sizeof(k.sk), msg, sizeof(msg),
				  ctx, 256), DOT_ECRYPTO_MLDSA_CTX);
	CHECK(pq_all_zero(sig, sizeof(sig)));
	CHECK_RC(dot_mldsa65_sign_derand(sig, k.sk, sizeof(k.sk), msg,
					 sizeof(msg), ctx, 256, zero_rnd),
		 DOT_ECRYPTO_MLDSA_CTX);
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				    256, k.sig, sizeof(k.sig)),
		 DOT_ECRYPTO_MLDSA_CTX);
	memset(mu, 0xff, sizeof(mu));
	CHECK_RC(dot_mldsa65_mu(mu, k.pk, sizeof(k.pk), msg, sizeof(msg), ctx,
				256), DOT_ECRYPTO_MLDSA_CTX);
	CHECK(pq_all_zero(mu, sizeof(mu)));
}

/* Wrong lengths of pk, sk, sig and seed; an sk with a coefficient of s1
 * or s2 out of [-η, η]; changed messages and signatures. */
static void
test_malformed(void)
{
	static struct kp k;
	static uint8_t sig[DOT_MLDSA65_SIG_LEN + 1], sk[DOT_MLDSA65_SK_LEN];
	static uint8_t pk[DOT_MLDSA65_PK_LEN + 1];
	uint8_t seed[33] = {0};

	REQUIRE_RC(fixed_kp(&k, 3), DOT_OK);
	memcpy(pk, k.pk, sizeof(k.pk));
	memcpy(sig, k.sig, sizeof(k.sig));
	CHECK_RC(dot_mldsa65_verify(pk, sizeof(k.pk) + 1, msg, sizeof(msg),
				    NULL, 0, sig, sizeof(k.sig)),
		 DOT_ECRYPTO_MLDSA_PK);
	CHECK_RC(dot_mldsa65_verify(pk, sizeof(k.pk) - 1, msg, sizeof(msg),
				    NULL, 0, sig, sizeof(k.sig)),
		 DOT_ECRYPTO_MLDSA_PK);
	CHECK_RC(dot_mldsa65_verify(pk, sizeof(k.pk), msg, sizeof(msg), NULL,
				    0, sig, sizeof(k.sig) + 1),
		 DOT_ECRYPTO_MLDSA_SIG);
	CHECK_RC(dot_mldsa65_verify(pk, sizeof(k.pk), msg, sizeof(msg), NULL,
				    0, sig, sizeof(k.sig) - 1),
		 DOT_ECRYPTO_MLDSA_SIG);
	CHECK_RC(dot_mldsa65_verify(pk, sizeof(k.pk), msg, sizeof(msg), NULL,
				    0, sig, 0), DOT_ECRYPTO_MLDSA_SIG);
	CHECK_RC(dot_mldsa65_sign_derand(sig, k.sk, sizeof(k.sk) - 1, msg,
					 sizeof(msg), NULL, 0, zero_rnd),
		 DOT_ECRYPTO_MLDSA_SK);
	CHECK(pq_all_zero(sig, DOT_MLDSA65_SIG_LEN));
	CHECK_RC(dot_mldsa65_keypair_seed(pk, sk, seed, 31), DOT_ECRYPTO_KEY);
	CHECK_RC(dot_mldsa65_keypair_seed(pk, sk, seed, 33), DOT_ECRYPTO_KEY);
	CHECK(pq_all_zero(sk, sizeof(sk)));
	/* s1's first coefficient field 9 (4 - 9 = -5), s2's last 15 */
	static const size_t where[] = {128, 128 + 5 * 128 + 6 * 128 - 1};
	static const uint8_t val[] = {0x09, 0xf0};
	for (int w = 0; w < 2; w++) {
		memcpy(sk, k.sk, sizeof(sk));
		sk[where[w]] = (uint8_t)((sk[where[w]] &
					  (w ? 0x0f : 0xf0)) | val[w]);
		memset(sig, 0xff, sizeof(sig));
		CHECK_RC(dot_mldsa65_sign_derand(sig, sk, sizeof(sk), msg,
						 sizeof(msg), NULL, 0,
						 zero_rnd),
			 DOT_ECRYPTO_MLDSA_SK);
		CHECK(pq_all_zero(sig, DOT_MLDSA65_SIG_LEN));
	}
	/* 8 (-4) is in range */
	memcpy(sk, k.sk, sizeof(sk));
	sk[128] = (uint8_t)((sk[128] & 0xf0) | 8);
	CHECK_RC(dot_mldsa65_sign_derand(sig, sk, sizeof(sk), msg, sizeof(msg),
					 NULL, 0, zero_rnd), DOT_OK);
	/* a changed message, c̃ or z */
	CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), msg, sizeof(msg) - 1,
				    NULL, 0, k.sig, sizeof(k.sig)),
		 DOT_ECRYPTO_SIGNATURE);
	static const size_t flip[] = {0, 47, 48, 1000, 3247};
	for (size_t i = 0; i < sizeof(flip) / sizeof(flip[0]); i++) {
		memcpy(sig, k.sig, sizeof(k.sig));
		sig[flip[i]] ^= 1;
		CHECK_RC(verify_msg(&k, sig), DOT_ECRYPTO_SIGNATURE);
	}
}

/* Deterministic signing repeats itself; hedged signing does not; fresh
 * keys and signatures verify. */
static void
test_round_trips(void)
{
	static struct kp k;
	static uint8_t sig[DOT_MLDSA65_SIG_LEN], sig2[DOT_MLDSA65_SIG_LEN];
	uint8_t m[100];
	uint64_t seed = 42;

	REQUIRE_RC(dot_crypto_init(), DOT_OK);
	REQUIRE_RC(fixed_kp(&k, 5), DOT_OK);
	REQUIRE_RC(dot_mldsa65_sign_derand(sig, k.sk, sizeof(k.sk), msg,
					   sizeof(msg), NULL, 0, zero_rnd),
		   DOT_OK);
	CHECK_MEM(sig, k.sig, sizeof(sig));
	for (int i = 0; i < 10; i++) {
		size_t n = (size_t)(t_rand(&seed) % sizeof(m));

		for (size_t j = 0; j < n; j++)
			m[j] = (uint8_t)t_rand(&seed);
		dot_mldsa65_keypair(k.pk, k.sk);
		REQUIRE_RC(dot_mldsa65_sign(sig, k.sk, sizeof(k.sk), m, n,
					    NULL, 0), DOT_OK);
		REQUIRE_RC(dot_mldsa65_sign(sig2, k.sk, sizeof(k.sk), m, n,
					    NULL, 0), DOT_OK);
		CHECK(memcmp(sig, sig2, sizeof(sig)) != 0);
		CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), m, n, NULL, 0,
					    sig, sizeof(sig)), DOT_OK);
		CHECK_RC(dot_mldsa65_verify(k.pk, sizeof(k.pk), m, n, NULL, 0,
					    sig2, sizeof(sig2)), DOT_OK);
	}
}

/*
 * Verification keeps the keys a thread verified with last, prepared (tr,
 * Â, NTT(t1)): a key that shares ρ with a cached one but not t1 must not
 * be served from it, more keys than slots must all still verify, and
 * every thread has its own slots.
 */
#define CK 6
static struct kp ck[CK];

static int
verify_all(void)
{
	int bad = 0;

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < CK; i++)
			for (int j = 0; j < CK; j++)
				bad += (dot_mldsa65_verify(ck[j].pk,
							   sizeof(ck[j].pk),
							   msg, sizeof(msg),
							   NULL, 0, ck[i].sig,
							   sizeof(ck[i].sig)) ==
					DOT_OK) != (i == j);
	return bad;
}

static void *
verify_thread(void *arg)
{
	*(int *)arg = verify_all();
	return NULL;
}

static void
test_key_cache(void)
{
	static uint8_t pk2[DOT_MLDSA65_PK_LEN];
	pthread_t th[2];
	int bad[2] = {-1, -1};

	for (int i = 0; i < CK; i++)
		REQUIRE_RC(fixed_kp(&ck[i], (uint8_t)(0x40 + i)), DOT_OK);
	/* ck[0] cached; the same ρ with one bit of t1 changed is another
	 * key, under which ck[0]'s signature fails, before and after */
	CHECK_RC(dot_mldsa65_verify(ck[0].pk, sizeof(ck[0].pk), msg,
				    sizeof(msg), NULL, 0, ck[0].sig,
				    sizeof(ck[0].sig)),
		 DOT_OK);
	memcpy(pk2, ck[0].pk, sizeof(pk2));
	pk2[sizeof(pk2) - 1] ^= 1;
	CHECK(dot_mldsa65_verify(pk2, sizeof(pk2), msg, sizeof(msg), NULL, 0,
				 ck[0].sig, sizeof(ck[0].sig)) != DOT_OK);
	CHECK_RC(dot_mldsa65_verify(ck[0].pk, sizeof(ck[0].pk), msg,
				    sizeof(msg), NULL, 0, ck[0].sig,
				    sizeof(ck[0].sig)),
		 DOT_OK);
	CHECK(dot_mldsa65_verify(pk2, sizeof(pk2), msg, sizeof(msg), NULL, 0,
				 ck[0].sig, sizeof(ck[0].sig)) != DOT_OK);
	/* six keys, more than a thread keeps: each signature verifies
	 * under its own key only, twice round */
	CHECK(verify_all() == 0);
	/* two threads at once, each with slots of its own */
	for (int t = 0; t < 2; t++)
		REQUIRE(pthread_create(&th[t], NULL, verify_thread, &bad[t]) ==
			0);
	for (int t = 0; t < 2; t++)
		REQUIRE(pthread_join(th[t], NULL) == 0);
	CHECK(bad[0] == 0 && bad[1] == 0);
}

T_MAIN(T_CASE(test_sizes), T_CASE(test_acvp_keygen), T_CASE(test_acvp_siggen),
       T_CASE(test_acvp_sigver), T_CASE(test_wycheproof_verify),
       T_CASE(test_wycheproof_sign_seed), T_CASE(test_wycheproof_sign_noseed),
       T_CASE(test_wycheproof_selected), T_CASE(test_hint_decoding),
       T_CASE(test_tr), T_CASE(test_contexts), T_CASE(test_malformed),
       T_CASE(test_round_trips), T_CASE(test_key_cache))
