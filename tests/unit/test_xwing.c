/*
 * test_xwing.c - X-Wing (include/doteros/xwing.h, lib/crypto/xwing.c).
 *
 * The vectors of tests/vectors/xwing/xwing.txt (made by filter.py there
 * from the draft's test-vectors.json and its Appendix D PEM files, whose
 * SHA3-256 the first lines give and this test checks first):
 *
 *   vector  3  GenerateKeyPairDerand(seed) = (sk, pk),
 *              EncapsulateDerand(pk, eseed) = (ss, ct),
 *              Decapsulate(ct, sk) = ss
 *   x509    1  the Appendix D key pair: pk = GenerateKeyPairDerand(00 .. 1f)
 *
 * Then tests that would each catch one mistake on their own: the combiner
 * recomputed here from its parts (order, label bytes, label last, SHAKE256
 * expansion), tampered ciphertexts giving the implicit-rejection value
 * computed here (not an error, not the real key), low-order X25519 points
 * giving ss_X = 0 in the combiner, a pk_M coefficient >= q refused, wrong
 * lengths refused with outputs zeroed, a wrong key giving another secret,
 * and round trips.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/crypto.h"
#include "doteros/mlkem.h"
#include "doteros/sha3.h"
#include "doteros/xwing.h"
#include "harness.h"
#include "pq.h"
#include "vectors.h"

#define VEC "tests/vectors/xwing/"
#define PK DOT_XWING_PK_LEN
#define CT DOT_XWING_CT_LEN
#define PK_M DOT_MLKEM768_EK_LEN
#define CT_M DOT_MLKEM768_CT_LEN

/* ------------------------------------------------------------------ */
/* an independent reading of the draft (§5.2, §5.3)                    */

/* The label as the draft prints it: "\./" then "/^\". */
static const char label[] = "\\./"
			    "/^\\";

struct parts {
	uint8_t seed[96]; /* SHAKE256(sk, 96) = d || z || sk_X */
	uint8_t ek[PK_M], dk[DOT_MLKEM768_DK_LEN], pk_x[32];
};

static void
expand(struct parts *p, const uint8_t sk[32])
{
	dot_shake256(p->seed, 96, sk, 32);
	dot_mlkem768_keypair_derand(p->ek, p->dk, p->seed, p->seed + 32);
	REQUIRE(crypto_scalarmult_base(p->pk_x, p->seed + 64) == 0);
}

/* SHA3-256 over one buffer holding ss_M || ss_X || ct_X || pk_X || label */
static void
combine(uint8_t ss[32], const uint8_t ss_m[32], const uint8_t ss_x[32],
	const uint8_t ct_x[32], const uint8_t pk_x[32])
{
	uint8_t in[134];

	CHECK(strlen(label) == 6 && memcmp(label, "\x5c\x2e\x2f\x2f\x5e\x5c",
					   6) == 0);
	memcpy(in, ss_m, 32);
	memcpy(in + 32, ss_x, 32);
	memcpy(in + 64, ct_x, 32);
	memcpy(in + 96, pk_x, 32);
	memcpy(in + 128, label, 6);
	dot_sha3_256(ss, in, sizeof(in));
}

/* ------------------------------------------------------------------ */
/* the vector file                                                     */

struct rec {
	char op[16];
	long tcid;
	struct vec_field seed, sk, pk, eseed, ct, ss;
};

static const struct vec_key keys[] = {
	VEC_KEY(VEC_STR, "op", struct rec, op),
	VEC_KEY(VEC_LONG, "tcId", struct rec, tcid),
	VEC_HEX_KEY(struct rec, seed),
	VEC_HEX_KEY(struct rec, sk),
	VEC_HEX_KEY(struct rec, pk),
	VEC_HEX_KEY(struct rec, eseed),
	VEC_HEX_KEY(struct rec, ct),
	VEC_HEX_KEY(struct rec, ss),
};

static const struct vec_format format = {
	VEC, keys, sizeof(keys) / sizeof(keys[0]), sizeof(struct rec)};

#define VCHECK(cond)                                                           \
	VEC_CHECK(cond, #cond, "tcId %ld (%s)", r->tcid, r->op)

static int
run_record(const char *name, void *rec, void *arg)
{
	const struct rec *r = rec;
	uint8_t pk[PK], ct[CT], ss[32], ss2[32];
	int bad = 0;

	if (strcmp(r->op, "vector") == 0) {
		VCHECK(r->seed.n == 32 && r->sk.n == 32 && r->pk.n == PK &&
		       r->eseed.n == 64 && r->ct.n == CT && r->ss.n == 32);
		/* §5.2.1: sk is the seed itself */
		VCHECK(memcmp(r->sk.b, r->seed.b, 32) == 0);
		dot_xwing_keypair_derand(pk, r->seed.b);
		VCHECK(memcmp(pk, r->pk.b, PK) == 0);
		VCHECK(dot_xwing_pk_check(r->pk.b, PK) == DOT_OK);
		VCHECK(dot_xwing_encaps_derand(ct, ss, r->pk.b, PK,
					       r->eseed.b) == DOT_OK);
		VCHECK(memcmp(ct, r->ct.b, CT) == 0);
		VCHECK(memcmp(ss, r->ss.b, 32) == 0);
		VCHECK(dot_xwing_decaps(ss2, r->ct.b, CT, r->sk.b, 32) ==
		       DOT_OK);
		VCHECK(memcmp(ss2, r->ss.b, 32) == 0);
	} else if (strcmp(r->op, "x509") == 0) {
		VCHECK(r->sk.n == 32 && r->pk.n == PK);
		VCHECK(dot_xwing_sk_to_pk(pk, r->sk.b, r->sk.n) == DOT_OK);
		VCHECK(memcmp(pk, r->pk.b, PK) == 0);
		VCHECK(dot_xwing_pk_check(r->pk.b, PK) == DOT_OK);
	} else {
		VCHECK(!"unknown op");
	}
	return bad;
}

static void
test_vectors(void)
{
	static struct rec r;
	struct vec_count c;

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(vec_read(&format, "xwing", &r, run_record, NULL, &c));
	printf("# xwing.txt: %d tests run, %d passed, %d file hashes\n", c.run,
	       c.passed, c.hashes);
	CHECK(c.hashes == 3);
	CHECK(c.run == 4);
	CHECK(c.passed == c.run);
}

/* ------------------------------------------------------------------ */
/* properties                                                          */

static void
test_sizes(void)
{
	CHECK(DOT_XWING_SK_LEN == 32 && DOT_XWING_PK_LEN == 1216);
	CHECK(DOT_XWING_CT_LEN == 1120 && DOT_XWING_SS_LEN == 32);
	CHECK(DOT_XWING_ESEED_LEN == 64);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_XWING_PK),
		     "DOT_ECRYPTO_XWING_PK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_XWING_SK),
		     "DOT_ECRYPTO_XWING_SK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_XWING_CT),
		     "DOT_ECRYPTO_XWING_CT") == 0);
}

struct kp {
	uint8_t sk[32], pk[PK], eseed[64], ct[CT], ss[32];
};

/* A fixed key pair and one encapsulation to it. */
static int
fixed_kp(struct kp *k, uint8_t fill)
{
	uint8_t rnd[32];

	memset(rnd, fill, 32);
	memset(k->eseed, fill ^ 0x5a, 64);
	dot_xwing_keypair(k->sk, k->pk, rnd);
	return dot_xwing_encaps_derand(k->ct, k->ss, k->pk, PK, k->eseed);
}

/* The whole construction recomputed from its parts for a fresh key: the
 * expansion, the order of the combiner's inputs, the label, last. */
static void
test_combiner_from_parts(void)
{
	static struct kp k;
	static struct parts p;
	uint8_t ct_m[CT_M], ss_m[32], ss_x[32], ct_x[32], want[32], ss[32];

	REQUIRE_RC(fixed_kp(&k, 0x31), DOT_OK);
	expand(&p, k.sk);
	CHECK_MEM(k.pk, p.ek, PK_M);
	CHECK_MEM(k.pk + PK_M, p.pk_x, 32);
	/* encapsulation: ML-KEM with m = eseed[0:32], X25519 with
	 * ek_X = eseed[32:64] */
	REQUIRE_RC(dot_mlkem768_encaps_derand(ct_m, ss_m, p.ek, PK_M, k.eseed),
		   DOT_OK);
	REQUIRE(crypto_scalarmult_base(ct_x, k.eseed + 32) == 0);
	REQUIRE(crypto_scalarmult(ss_x, k.eseed + 32, p.pk_x) == 0);
	CHECK_MEM(k.ct, ct_m, CT_M);
	CHECK_MEM(k.ct + CT_M, ct_x, 32);
	combine(want, ss_m, ss_x, ct_x, p.pk_x);
	CHECK_MEM(k.ss, want, 32);
	/* decapsulation gives the same */
	CHECK_RC(dot_xwing_decaps(ss, k.ct, CT, k.sk, 32), DOT_OK);
	CHECK_MEM(ss, want, 32);
	/* and the label is not first (draft -04 and earlier) */
	{
		uint8_t in[134], old[32];
		memcpy(in, label, 6);
		memcpy(in + 6, ss_m, 32);
		memcpy(in + 38, ss_x, 32);
		memcpy(in + 70, ct_x, 32);
		memcpy(in + 102, p.pk_x, 32);
		dot_sha3_256(old, in, sizeof(in));
		CHECK(memcmp(old, k.ss, 32) != 0);
	}
}

/*
 * A changed ciphertext decapsulates without error: a change in ct_M to
 * the combiner of J(z || ct_M'), a change in ct_X to the combiner of
 * X25519(sk_X, ct_X'); never to the real secret.
 */
static void
test_implicit_rejection(void)
{
	static struct kp k;
	static struct parts p;
	static const size_t where[] = {0, 1, 500, 959, 960, 1087, /* ct_M */
				       1088, 1100, 1119};         /* ct_X */
	uint8_t c2[CT], ss[32], ss_m[32], ss_x[32], want[32];

	REQUIRE_RC(fixed_kp(&k, 0x42), DOT_OK);
	expand(&p, k.sk);
	REQUIRE_RC(dot_mlkem768_decaps(ss_m, k.ct, CT_M, p.dk, sizeof(p.dk)),
		   DOT_OK);
	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		memcpy(c2, k.ct, CT);
		c2[where[w]] ^= where[w] == CT - 1 ? 0x40 : 0x01;
		memset(ss, 0, sizeof(ss));
		CHECK_RC(dot_xwing_decaps(ss, c2, CT, k.sk, 32), DOT_OK);
		CHECK(memcmp(ss, k.ss, 32) != 0);
		if (where[w] < CT_M) {
			uint8_t jz[32];
			pq_j(jz, p.seed + 32, c2, CT_M);
			REQUIRE(crypto_scalarmult(ss_x, p.seed + 64,
						  c2 + CT_M) == 0);
			combine(want, jz, ss_x, c2 + CT_M, p.pk_x);
		} else {
			REQUIRE(crypto_scalarmult(ss_x, p.seed + 64,
						  c2 + CT_M) == 0);
			combine(want, ss_m, ss_x, c2 + CT_M, p.pk_x);
		}
		CHECK_MEM(ss, want, 32);
	}
	/* the top bit of ct_X is masked by X25519 (RFC 7748 §5) but the
	 * combiner hashes ct_X as sent, so the secret still changes */
	memcpy(c2, k.ct, CT);
	c2[CT - 1] ^= 0x80;
	CHECK_RC(dot_xwing_decaps(ss, c2, CT, k.sk, 32), DOT_OK);
	CHECK(memcmp(ss, k.ss, 32) != 0);
}

/* Points whose X25519 result is zero for every scalar: 0, 1, the two
 * points of order 8, and p - 1 (RFC 7748 §6.1's "check for the all-zero
 * value"; the list of https://cr.yp.to/ecdh.html). */
static const uint8_t low_order[5][32] = {
	{0},
	{1},
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
	{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

/*
 * The draft applies no all-zero check (§4, §5.4, §5.5): a low-order ct_X
 * decapsulates, and a low-order pk_X encapsulates, with ss_X = 32 zero
 * bytes in the combiner. (libsodium returns -1 for these; xwing.c must
 * neither fail nor use a stale or partial output.)
 */
static void
test_low_order_points(void)
{
	static struct kp k;
	static struct parts p;
	static uint8_t pk[PK];
	uint8_t c2[CT], ss[32], ss_m[32], ct_m[CT_M], ct_x[32], want[32];
	uint8_t zero[32] = {0}, out[32];

	REQUIRE_RC(fixed_kp(&k, 0x53), DOT_OK);
	expand(&p, k.sk);
	REQUIRE_RC(dot_mlkem768_decaps(ss_m, k.ct, CT_M, p.dk, sizeof(p.dk)),
		   DOT_OK);
	for (size_t i = 0; i < 5; i++) {
		/* libsodium does refuse them: the case is real */
		CHECK(crypto_scalarmult(out, p.seed + 64, low_order[i]) != 0);
		memcpy(c2, k.ct, CT);
		memcpy(c2 + CT_M, low_order[i], 32);
		memset(ss, 0xee, sizeof(ss));
		CHECK_RC(dot_xwing_decaps(ss, c2, CT, k.sk, 32), DOT_OK);
		combine(want, ss_m, zero, low_order[i], p.pk_x);
		CHECK_MEM(ss, want, 32);

		memcpy(pk, k.pk, PK);
		memcpy(pk + PK_M, low_order[i], 32);
		CHECK_RC(dot_xwing_pk_check(pk, PK), DOT_OK);
		memset(ss, 0xee, sizeof(ss));
		REQUIRE_RC(dot_xwing_encaps_derand(c2, ss, pk, PK, k.eseed),
			   DOT_OK);
		REQUIRE_RC(dot_mlkem768_encaps_derand(ct_m, ss_m, pk, PK_M,
						      k.eseed), DOT_OK);
		REQUIRE(crypto_scalarmult_base(ct_x, k.eseed + 32) == 0);
		CHECK_MEM(c2 + CT_M, ct_x, 32);
		combine(want, ss_m, zero, ct_x, low_order[i]);
		CHECK_MEM(ss, want, 32);
		/* restore ss_m of k.ct for the next round */
		REQUIRE_RC(dot_mlkem768_decaps(ss_m, k.ct, CT_M, p.dk,
					       sizeof(p.dk)), DOT_OK);
	}
}

/* FIPS 203 §7.2 on pk_M through X-Wing: a coefficient >= q anywhere is
 * refused by the check and by encapsulation, with outputs zeroed; q - 1
 * and any pk_X pass. */
static void
test_pk_modulus(void)
{
	static struct kp k;
	static uint8_t pk[PK];
	static const size_t where[] = {0, 1, 256, 511, 767};
	static const unsigned bad[] = {3329, 3330, 4095};
	uint8_t ct[CT], ss[32];

	REQUIRE_RC(fixed_kp(&k, 0x64), DOT_OK);
	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			memcpy(pk, k.pk, PK);
			pq_set12(pk, where[w], bad[b]);
			CHECK_RC(dot_xwing_pk_check(pk, PK),
				 DOT_ECRYPTO_XWING_PK);
			memset(ct, 0xff, sizeof(ct));
			memset(ss, 0xff, sizeof(ss));
			CHECK_RC(dot_xwing_encaps_derand(ct, ss, pk, PK,
							 k.eseed),
				 DOT_ECRYPTO_XWING_PK);
			CHECK(pq_all_zero(ct, sizeof(ct)));
			CHECK(pq_all_zero(ss, sizeof(ss)));
		}
		memcpy(pk, k.pk, PK);
		pq_set12(pk, where[w], 3328);
		CHECK_RC(dot_xwing_pk_check(pk, PK), DOT_OK);
	}
	memcpy(pk, k.pk, PK);
	memset(pk + PK_M, 0xff, 32);
	CHECK_RC(dot_xwing_pk_check(pk, PK), DOT_OK);
}

/* Wrong lengths of pk, ct, sk: the right code, outputs zeroed. */
static void
test_lengths(void)
{
	static struct kp k;
	static uint8_t big[PK + CT + 1];
	static const size_t pkl[] = {0, 32, PK_M, PK - 1, PK + 1};
	static const size_t ctl[] = {0, 32, CT_M, CT - 1, CT + 1};
	static const size_t skl[] = {0, 16, 31, 33, 64, 96};
	uint8_t ct[CT], ss[32], pk[PK];

	REQUIRE_RC(fixed_kp(&k, 0x75), DOT_OK);
	memcpy(big, k.pk, PK);
	for (size_t i = 0; i < sizeof(pkl) / sizeof(pkl[0]); i++) {
		CHECK_RC(dot_xwing_pk_check(big, pkl[i]),
			 DOT_ECRYPTO_XWING_PK);
		memset(ct, 0xff, sizeof(ct));
		memset(ss, 0xff, sizeof(ss));
		CHECK_RC(dot_xwing_encaps_derand(ct, ss, big, pkl[i], k.eseed),
			 DOT_ECRYPTO_XWING_PK);
		CHECK(pq_all_zero(ct, sizeof(ct)) &&
		      pq_all_zero(ss, sizeof(ss)));
	}
	memcpy(big, k.ct, CT);
	for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++) {
		memset(ss, 0xff, sizeof(ss));
		CHECK_RC(dot_xwing_decaps(ss, big, ctl[i], k.sk, 32),
			 DOT_ECRYPTO_XWING_CT);
		CHECK(pq_all_zero(ss, sizeof(ss)));
		/* the ciphertext is checked first */
		CHECK_RC(dot_xwing_decaps(ss, big, ctl[i], k.sk, 31),
			 DOT_ECRYPTO_XWING_CT);
	}
	memcpy(big, k.sk, 32);
	for (size_t i = 0; i < sizeof(skl) / sizeof(skl[0]); i++) {
		memset(ss, 0xff, sizeof(ss));
		CHECK_RC(dot_xwing_decaps(ss, k.ct, CT, big, skl[i]),
			 DOT_ECRYPTO_XWING_SK);
		CHECK(pq_all_zero(ss, sizeof(ss)));
		memset(pk, 0xff, sizeof(pk));
		CHECK_RC(dot_xwing_sk_to_pk(pk, big, skl[i]),
			 DOT_ECRYPTO_XWING_SK);
		CHECK(pq_all_zero(pk, sizeof(pk)));
	}
	CHECK_RC(dot_xwing_sk_to_pk(pk, big, 32), DOT_OK);
	CHECK_MEM(pk, k.pk, PK);
}

/* Another key decapsulates a ciphertext to another secret, without error;
 * so does a key that differs in one bit. */
static void
test_wrong_key(void)
{
	static struct kp a, b;
	uint8_t ss[32], sk[32];

	REQUIRE_RC(fixed_kp(&a, 0x86), DOT_OK);
	REQUIRE_RC(fixed_kp(&b, 0x97), DOT_OK);
	CHECK(memcmp(a.pk, b.pk, PK) != 0);
	CHECK_RC(dot_xwing_decaps(ss, a.ct, CT, b.sk, 32), DOT_OK);
	CHECK(memcmp(ss, a.ss, 32) != 0);
	CHECK(!pq_all_zero(ss, 32));
	memcpy(sk, a.sk, 32);
	sk[31] ^= 0x80;
	CHECK_RC(dot_xwing_decaps(ss, a.ct, CT, sk, 32), DOT_OK);
	CHECK(memcmp(ss, a.ss, 32) != 0);
	CHECK_RC(dot_xwing_decaps(ss, a.ct, CT, a.sk, 32), DOT_OK);
	CHECK_MEM(ss, a.ss, 32);
}

/* Keys and encapsulations from a seeded generator round-trip; keypair()
 * keeps rnd as sk; two eseeds give two ciphertexts and secrets. */
static void
test_round_trips(void)
{
	static struct kp k;
	uint8_t rnd[32], pk[PK], ct2[CT], ss[32], ss2[32];
	uint64_t seed = 7;

	for (int i = 0; i < 16; i++) {
		for (int j = 0; j < 32; j++)
			rnd[j] = (uint8_t)t_rand(&seed);
		for (int j = 0; j < 64; j++)
			k.eseed[j] = (uint8_t)t_rand(&seed);
		dot_xwing_keypair(k.sk, k.pk, rnd);
		CHECK_MEM(k.sk, rnd, 32);
		dot_xwing_keypair_derand(pk, rnd);
		CHECK_MEM(pk, k.pk, PK);
		CHECK_RC(dot_xwing_pk_check(k.pk, PK), DOT_OK);
		REQUIRE_RC(dot_xwing_encaps_derand(k.ct, k.ss, k.pk, PK,
						   k.eseed), DOT_OK);
		CHECK_RC(dot_xwing_decaps(ss, k.ct, CT, k.sk, 32), DOT_OK);
		CHECK_MEM(ss, k.ss, 32);
		k.eseed[i] ^= 1; /* m when i < 32 */
		k.eseed[63 - i] ^= 1; /* ek_X */
		REQUIRE_RC(dot_xwing_encaps_derand(ct2, ss2, k.pk, PK,
						   k.eseed), DOT_OK);
		CHECK(memcmp(ct2, k.ct, CT_M) != 0);
		CHECK(memcmp(ct2 + CT_M, k.ct + CT_M, 32) != 0);
		CHECK(memcmp(ss2, k.ss, 32) != 0);
		CHECK_RC(dot_xwing_decaps(ss, ct2, CT, k.sk, 32), DOT_OK);
		CHECK_MEM(ss, ss2, 32);
	}
	/* keypair() with sk and rnd the same buffer */
	memcpy(k.sk, rnd, 32);
	dot_xwing_keypair(k.sk, pk, k.sk);
	CHECK_MEM(k.sk, rnd, 32);
	dot_xwing_keypair_derand(k.pk, rnd);
	CHECK_MEM(pk, k.pk, PK);
}

T_MAIN(T_CASE(test_sizes), T_CASE(test_vectors),
       T_CASE(test_combiner_from_parts), T_CASE(test_implicit_rejection),
       T_CASE(test_low_order_points), T_CASE(test_pk_modulus),
       T_CASE(test_lengths), T_CASE(test_wrong_key),
       T_CASE(test_round_trips))
