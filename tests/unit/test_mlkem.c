/*
 * test_mlkem.c - ML-KEM-768 (include/doteros/mlkem.h, lib/crypto/mlkem.c).
 *
 * Every ML-KEM-768 vector of tests/vectors/ml-kem/ is run:
 *
 *   acvp_keygen_768                     25  NIST ACVP keyGen (Algorithm 16)
 *   acvp_encapdecap_768                 55  NIST ACVP encapsulation,
 *                                           decapsulation, encapsulation-
 *                                           and decapsulation-key checks
 *   mlkem_768_test                     193  Wycheproof keygen + decaps
 *   mlkem_768_encaps_test              265  Wycheproof encaps and §7.2
 *   mlkem_768_keygen_seed_test         100  Wycheproof keygen from d || z
 *   mlkem_768_semi_expanded_decaps_test  9  Wycheproof §7.3 checks
 *
 * The .txt files are the .json files in lines (tests/vectors/ml-kem/
 * filter.py); each names its .json and that file's SHA3-256, which is
 * checked here first, so the tests run are those of the JSON copy.
 *
 * Then tests that would catch the classic mistakes on their own: a changed
 * ciphertext must give J(z || c) (computed here with SHAKE256) and not the
 * real key nor an error; an ek with a coefficient >= q, and a dk whose
 * H(ek) or embedded ek is changed, must be refused; wrong lengths.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/crypto.h"
#include "doteros/mlkem.h"
#include "harness.h"
#include "pq.h"
#include "vectors.h"

#define VEC "tests/vectors/ml-kem/"

/* ------------------------------------------------------------------ */
/* the vector files                                                    */

struct rec {
	char op[32];
	char result[16];
	long tcid;
	struct vec_field d, z, seed, ek, dk, m, c, ss;
};

static const struct vec_key keys[] = {
	VEC_KEY(VEC_STR, "op", struct rec, op),
	VEC_KEY(VEC_STR, "result", struct rec, result),
	VEC_KEY(VEC_LONG, "tcId", struct rec, tcid),
	VEC_HEX_KEY(struct rec, d),
	VEC_HEX_KEY(struct rec, z),
	VEC_HEX_KEY(struct rec, seed),
	VEC_HEX_KEY(struct rec, ek),
	VEC_HEX_KEY(struct rec, dk),
	VEC_HEX_KEY(struct rec, m),
	VEC_HEX_KEY(struct rec, c),
	VEC_HEX_KEY(struct rec, ss),
};

static const struct vec_format format = {
	VEC, keys, sizeof(keys) / sizeof(keys[0]), sizeof(struct rec)};

/* One failure message with the record's place; counts the record once. */
#define VCHECK(cond)                                                           \
	VEC_CHECK(cond, #cond, "%s tcId %ld (%s, %s)", file, r->tcid, r->op,  \
		  r->result)

static int
run_record(const char *file, void *rec, void *arg)
{
	struct rec *r = rec;
	static uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];
	static uint8_t ct[DOT_MLKEM768_CT_LEN];
	uint8_t ss[DOT_MLKEM768_SS_LEN];
	int valid = strcmp(r->result, "valid") == 0, bad = 0, rc;

	VCHECK(valid || strcmp(r->result, "invalid") == 0);
	if (strcmp(r->op, "keygen") == 0) {
		/* ML-KEM.KeyGen_internal(d, z) */
		VCHECK(valid && r->d.n == 32 && r->z.n == 32);
		dot_mlkem768_keypair_derand(ek, dk, r->d.b, r->z.b);
		VCHECK(vec_eq(&r->ek, ek, sizeof(ek)));
		VCHECK(vec_eq(&r->dk, dk, sizeof(dk)));
		VCHECK(dot_mlkem768_ek_check(ek, sizeof(ek)) == DOT_OK);
		VCHECK(dot_mlkem768_dk_check(dk, sizeof(dk)) == DOT_OK);
	} else if (strcmp(r->op, "keygen_seed") == 0) {
		rc = dot_mlkem768_keypair_seed(ek, dk, r->seed.b, r->seed.n);
		VCHECK(valid && rc == DOT_OK);
		VCHECK(vec_eq(&r->ek, ek, sizeof(ek)));
		VCHECK(vec_eq(&r->dk, dk, sizeof(dk)));
	} else if (strcmp(r->op, "keygen_decaps") == 0) {
		/* KeyGen from d || z, then ML-KEM.Decaps(dk, c). */
		rc = dot_mlkem768_keypair_seed(ek, dk, r->seed.b, r->seed.n);
		if (r->seed.n != DOT_MLKEM_SEED_LEN) {
			VCHECK(!valid && rc == DOT_ECRYPTO_KEY);
			VCHECK(pq_all_zero(dk, sizeof(dk)));
			return bad;
		}
		VCHECK(rc == DOT_OK);
		VCHECK(vec_eq(&r->ek, ek, sizeof(ek)));
		rc = dot_mlkem768_decaps(ss, r->c.b, r->c.n, dk, sizeof(dk));
		if (valid) {
			VCHECK(rc == DOT_OK);
			VCHECK(vec_eq(&r->ss, ss, sizeof(ss)));
		} else {
			VCHECK(r->c.n != DOT_MLKEM768_CT_LEN);
			VCHECK(rc == DOT_ECRYPTO_MLKEM_CT);
			VCHECK(pq_all_zero(ss, sizeof(ss)));
		}
	} else if (strcmp(r->op, "encaps") == 0) {
		/* ML-KEM.Encaps_internal(ek, m) after the §7.2 checks */
		VCHECK(r->m.n == 32);
		rc = dot_mlkem768_encaps_derand(ct, ss, r->ek.b, r->ek.n,
						r->m.b);
		if (valid) {
			VCHECK(rc == DOT_OK);
			VCHECK(vec_eq(&r->c, ct, sizeof(ct)));
			VCHECK(vec_eq(&r->ss, ss, sizeof(ss)));
			rc = dot_mlkem768_ek_check(r->ek.b, r->ek.n);
			VCHECK(rc == DOT_OK);
			/* ACVP gives dk: decapsulate too */
			if (r->dk.present) {
				uint8_t ss2[DOT_MLKEM768_SS_LEN];
				rc = dot_mlkem768_decaps(ss2, ct, sizeof(ct),
							 r->dk.b, r->dk.n);
				VCHECK(rc == DOT_OK);
				VCHECK(memcmp(ss2, ss, sizeof(ss)) == 0);
			}
		} else {
			VCHECK(rc == DOT_ECRYPTO_MLKEM_EK);
			VCHECK(pq_all_zero(ct, sizeof(ct)));
			VCHECK(pq_all_zero(ss, sizeof(ss)));
			VCHECK(dot_mlkem768_ek_check(r->ek.b, r->ek.n) ==
			       DOT_ECRYPTO_MLKEM_EK);
		}
	} else if (strcmp(r->op, "decaps") == 0) {
		/* ML-KEM.Decaps(dk, c): §7.3 checks, then Algorithm 18 */
		rc = dot_mlkem768_decaps(ss, r->c.b, r->c.n, r->dk.b, r->dk.n);
		if (valid) {
			VCHECK(rc == DOT_OK);
			VCHECK(vec_eq(&r->ss, ss, sizeof(ss)));
		} else {
			VCHECK(rc == (r->c.n != DOT_MLKEM768_CT_LEN
					      ? DOT_ECRYPTO_MLKEM_CT
					      : DOT_ECRYPTO_MLKEM_DK));
			VCHECK(pq_all_zero(ss, sizeof(ss)));
		}
	} else if (strcmp(r->op, "ekcheck") == 0) {
		/* §7.2 modulus check; a refused ek also refuses Encaps */
		uint8_t m[32] = {1};
		rc = dot_mlkem768_ek_check(r->ek.b, r->ek.n);
		VCHECK(rc == (valid ? DOT_OK : DOT_ECRYPTO_MLKEM_EK));
		rc = dot_mlkem768_encaps_derand(ct, ss, r->ek.b, r->ek.n, m);
		VCHECK(rc == (valid ? DOT_OK : DOT_ECRYPTO_MLKEM_EK));
	} else if (strcmp(r->op, "dkcheck") == 0) {
		/* §7.3 hash check; a refused dk also refuses Decaps */
		rc = dot_mlkem768_dk_check(r->dk.b, r->dk.n);
		VCHECK(rc == (valid ? DOT_OK : DOT_ECRYPTO_MLKEM_DK));
		memset(ct, 0x5a, sizeof(ct));
		rc = dot_mlkem768_decaps(ss, ct, sizeof(ct), r->dk.b, r->dk.n);
		VCHECK(rc == (valid ? DOT_OK : DOT_ECRYPTO_MLKEM_DK));
	} else {
		VCHECK(!"unknown op");
	}
	return bad;
}

static void
run_file(const char *name, int expect)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct vec_count c;

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(r != NULL);
	vec_read(&format, name, r, run_record, NULL, &c);
	free(r);
	printf("# %s: %d tests run, %d passed\n", name, c.run, c.passed);
	CHECK(c.run == expect);
	CHECK(c.passed == c.run);
}

static void
test_acvp_keygen(void)
{
	run_file("acvp_keygen_768", 25);
}

static void
test_acvp_encapdecap(void)
{
	run_file("acvp_encapdecap_768", 55);
}

static void
test_wycheproof_keygen_decaps(void)
{
	run_file("mlkem_768_test", 193);
}

static void
test_wycheproof_encaps(void)
{
	run_file("mlkem_768_encaps_test", 265);
}

static void
test_wycheproof_keygen_seed(void)
{
	run_file("mlkem_768_keygen_seed_test", 100);
}

static void
test_wycheproof_semi_expanded_decaps(void)
{
	run_file("mlkem_768_semi_expanded_decaps_test", 9);
}

/* ------------------------------------------------------------------ */
/* properties                                                          */

static void
test_sizes(void)
{
	CHECK(DOT_MLKEM768_EK_LEN == 1184);
	CHECK(DOT_MLKEM768_DK_LEN == 2400);
	CHECK(DOT_MLKEM768_CT_LEN == 1088);
	CHECK(DOT_MLKEM768_SS_LEN == 32);
	CHECK(DOT_MLKEM_RAND_LEN == 32 && DOT_MLKEM_SEED_LEN == 64);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_MLKEM_EK),
		     "DOT_ECRYPTO_MLKEM_EK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_MLKEM_DK),
		     "DOT_ECRYPTO_MLKEM_DK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_MLKEM_CT),
		     "DOT_ECRYPTO_MLKEM_CT") == 0);
	CHECK(strstr(dot_strerror(DOT_ECRYPTO_MLKEM_EK), "encapsulation") !=
	      NULL);
}

struct kp {
	uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];
	uint8_t ct[DOT_MLKEM768_CT_LEN], ss[DOT_MLKEM768_SS_LEN];
};

/* A fixed key pair and one encapsulation to it. */
static int
fixed_kp(struct kp *k)
{
	uint8_t d[32], z[32], m[32];

	memset(d, 0x11, 32);
	memset(z, 0x22, 32);
	memset(m, 0x33, 32);
	dot_mlkem768_keypair_derand(k->ek, k->dk, d, z);
	return dot_mlkem768_encaps_derand(k->ct, k->ss, k->ek, sizeof(k->ek),
					  m);
}

/* J(z || c) = SHAKE256(z || c, 32), computed here from dk's z. */
static void
j_of(uint8_t out[32], const uint8_t dk[DOT_MLKEM768_DK_LEN],
     const uint8_t *c, size_t n)
{
	pq_j(out, dk + DOT_MLKEM768_DK_LEN - 32, c, n);
}

/*
 * A modified ciphertext decapsulates, without an error, to J(z || c'):
 * not to the real key, and not to anything else. Bits in c1 and c2, at
 * both ends and in the middle (a comparison of part of c misses some).
 */
static void
test_implicit_rejection(void)
{
	static struct kp k;
	static const size_t where[] = {0, 1, 479, 959, 960, 1000, 1087};
	uint8_t ss[32], want[32], c2[DOT_MLKEM768_CT_LEN];

	REQUIRE_RC(fixed_kp(&k), DOT_OK);
	REQUIRE_RC(dot_mlkem768_decaps(ss, k.ct, sizeof(k.ct), k.dk,
				       sizeof(k.dk)), DOT_OK);
	CHECK_MEM(ss, k.ss, 32);
	j_of(want, k.dk, k.ct, sizeof(k.ct));
	CHECK(memcmp(want, k.ss, 32) != 0);
	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++)
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(c2, k.ct, sizeof(c2));
			c2[where[w]] ^= (uint8_t)(1u << bit);
			memset(ss, 0, sizeof(ss));
			CHECK_RC(dot_mlkem768_decaps(ss, c2, sizeof(c2), k.dk,
						     sizeof(k.dk)), DOT_OK);
			j_of(want, k.dk, c2, sizeof(c2));
			CHECK_MEM(ss, want, 32);
			CHECK(memcmp(ss, k.ss, 32) != 0);
		}
	/* A different z changes the rejection key and nothing else. */
	memcpy(c2, k.ct, sizeof(c2));
	c2[5] ^= 0x10;
	k.dk[DOT_MLKEM768_DK_LEN - 1] ^= 1;
	CHECK_RC(dot_mlkem768_decaps(ss, c2, sizeof(c2), k.dk, sizeof(k.dk)),
		 DOT_OK);
	j_of(want, k.dk, c2, sizeof(c2));
	CHECK_MEM(ss, want, 32);
	CHECK_RC(dot_mlkem768_decaps(ss, k.ct, sizeof(k.ct), k.dk,
				     sizeof(k.dk)), DOT_OK);
	CHECK_MEM(ss, k.ss, 32);
}

/* §7.2: an ek with one coefficient >= q is refused, wherever it is; q - 1
 * is fine. Wrong lengths are refused. */
static void
test_ek_modulus(void)
{
	static struct kp k;
	static const size_t where[] = {0, 1, 255, 256, 511, 767};
	static const unsigned bad[] = {3329, 3330, 4095};
	uint8_t ek[DOT_MLKEM768_EK_LEN + 1], ct[DOT_MLKEM768_CT_LEN], ss[32];
	uint8_t m[32] = {9};

	REQUIRE_RC(fixed_kp(&k), DOT_OK);
	CHECK_RC(dot_mlkem768_ek_check(k.ek, sizeof(k.ek)), DOT_OK);
	for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			memcpy(ek, k.ek, sizeof(k.ek));
			pq_set12(ek, where[w], bad[b]);
			CHECK_RC(dot_mlkem768_ek_check(ek, sizeof(k.ek)),
				 DOT_ECRYPTO_MLKEM_EK);
			memset(ss, 0xff, sizeof(ss));
			CHECK_RC(dot_mlkem768_encaps_derand(ct, ss, ek,
							    sizeof(k.ek), m),
				 DOT_ECRYPTO_MLKEM_EK);
			CHECK(pq_all_zero(ss, sizeof(ss)));
			CHECK_RC(dot_mlkem768_encaps(ct, ss, ek, sizeof(k.ek)),
				 DOT_ECRYPTO_MLKEM_EK);
		}
		memcpy(ek, k.ek, sizeof(k.ek));
		pq_set12(ek, where[w], 3328);
		CHECK_RC(dot_mlkem768_ek_check(ek, sizeof(k.ek)), DOT_OK);
	}
	/* ρ is not checked: any 32 bytes */
	memcpy(ek, k.ek, sizeof(k.ek));
	memset(ek + 1152, 0xff, 32);
	CHECK_RC(dot_mlkem768_ek_check(ek, sizeof(k.ek)), DOT_OK);
	memcpy(ek, k.ek, sizeof(k.ek));
	ek[sizeof(k.ek)] = 0;
	CHECK_RC(dot_mlkem768_ek_check(ek, sizeof(k.ek) + 1),
		 DOT_ECRYPTO_MLKEM_EK);
	CHECK_RC(dot_mlkem768_ek_check(ek, sizeof(k.ek) - 1),
		 DOT_ECRYPTO_MLKEM_EK);
	CHECK_RC(dot_mlkem768_ek_check(ek, 0), DOT_ECRYPTO_MLKEM_EK);
	CHECK_RC(dot_mlkem768_encaps_derand(ct, ss, ek, sizeof(k.ek) + 1, m),
		 DOT_ECRYPTO_MLKEM_EK);
}

/* §7.3: a dk whose stored H(ek), or whose embedded ek, was changed is
 * refused, and so are wrong lengths of dk and c. */
static void
test_dk_hash(void)
{
	static struct kp k;
	static uint8_t dk[DOT_MLKEM768_DK_LEN + 1];
	uint8_t ss[32];

	REQUIRE_RC(fixed_kp(&k), DOT_OK);
	CHECK_RC(dot_mlkem768_dk_check(k.dk, sizeof(k.dk)), DOT_OK);
	for (size_t off = 2336; off < 2368; off += 31) { /* H(ek) */
		memcpy(dk, k.dk, sizeof(k.dk));
		dk[off] ^= 0x80;
		CHECK_RC(dot_mlkem768_dk_check(dk, sizeof(k.dk)),
			 DOT_ECRYPTO_MLKEM_DK);
		memset(ss, 0xff, sizeof(ss));
		CHECK_RC(dot_mlkem768_decaps(ss, k.ct, sizeof(k.ct), dk,
					     sizeof(k.dk)),
			 DOT_ECRYPTO_MLKEM_DK);
		CHECK(pq_all_zero(ss, sizeof(ss)));
	}
	for (size_t off = 1152; off < 2336; off += 1183) { /* ek in dk */
		memcpy(dk, k.dk, sizeof(k.dk));
		dk[off] ^= 1;
		CHECK_RC(dot_mlkem768_dk_check(dk, sizeof(k.dk)),
			 DOT_ECRYPTO_MLKEM_DK);
		CHECK_RC(dot_mlkem768_decaps(ss, k.ct, sizeof(k.ct), dk,
					     sizeof(k.dk)),
			 DOT_ECRYPTO_MLKEM_DK);
	}
	/* The secret part and z are not covered by the hash: a changed
	 * dk_PKE passes the check and decapsulates to J(z || c). */
	memcpy(dk, k.dk, sizeof(k.dk));
	dk[0] ^= 1;
	CHECK_RC(dot_mlkem768_dk_check(dk, sizeof(k.dk)), DOT_OK);
	memcpy(dk, k.dk, sizeof(k.dk));
	CHECK_RC(dot_mlkem768_dk_check(dk, sizeof(k.dk) + 1),
		 DOT_ECRYPTO_MLKEM_DK);
	CHECK_RC(dot_mlkem768_dk_check(dk, sizeof(k.dk) - 1),
		 DOT_ECRYPTO_MLKEM_DK);
	CHECK_RC(dot_mlkem768_decaps(ss, k.ct, sizeof(k.ct), dk,
				     sizeof(k.dk) - 1), DOT_ECRYPTO_MLKEM_DK);
	memset(ss, 0xff, sizeof(ss));
	CHECK_RC(dot_mlkem768_decaps(ss, k.ct, sizeof(k.ct) - 1, k.dk,
				     sizeof(k.dk)), DOT_ECRYPTO_MLKEM_CT);
	CHECK(pq_all_zero(ss, sizeof(ss)));
	CHECK_RC(dot_mlkem768_decaps(ss, k.ct, 0, k.dk, sizeof(k.dk)),
		 DOT_ECRYPTO_MLKEM_CT);
}

/* The randomised wrappers: fresh keys and encapsulations agree. */
static void
test_random_round_trips(void)
{
	static struct kp k;
	uint8_t ss[32], seed[DOT_MLKEM_SEED_LEN], ek2[DOT_MLKEM768_EK_LEN];
	static uint8_t dk2[DOT_MLKEM768_DK_LEN];

	REQUIRE_RC(dot_crypto_init(), DOT_OK);
	for (int i = 0; i < 20; i++) {
		dot_mlkem768_keypair(k.ek, k.dk);
		CHECK_RC(dot_mlkem768_ek_check(k.ek, sizeof(k.ek)), DOT_OK);
		CHECK_RC(dot_mlkem768_dk_check(k.dk, sizeof(k.dk)), DOT_OK);
		REQUIRE_RC(dot_mlkem768_encaps(k.ct, k.ss, k.ek, sizeof(k.ek)),
			   DOT_OK);
		CHECK_RC(dot_mlkem768_decaps(ss, k.ct, sizeof(k.ct), k.dk,
					     sizeof(k.dk)), DOT_OK);
		CHECK_MEM(ss, k.ss, 32);
	}
	/* The seed form is d || z, as dk ends with z. */
	for (int i = 0; i < 64; i++)
		seed[i] = (uint8_t)i;
	REQUIRE_RC(dot_mlkem768_keypair_seed(ek2, dk2, seed, sizeof(seed)),
		   DOT_OK);
	dot_mlkem768_keypair_derand(k.ek, k.dk, seed, seed + 32);
	CHECK_MEM(ek2, k.ek, sizeof(ek2));
	CHECK_MEM(dk2, k.dk, sizeof(k.dk));
	CHECK_MEM(dk2 + DOT_MLKEM768_DK_LEN - 32, seed + 32, 32);
	CHECK_RC(dot_mlkem768_keypair_seed(ek2, dk2, seed, 63),
		 DOT_ECRYPTO_KEY);
	CHECK(pq_all_zero(dk2, sizeof(dk2)));
}

T_MAIN(T_CASE(test_sizes), T_CASE(test_acvp_keygen),
       T_CASE(test_acvp_encapdecap), T_CASE(test_wycheproof_keygen_decaps),
       T_CASE(test_wycheproof_encaps), T_CASE(test_wycheproof_keygen_seed),
       T_CASE(test_wycheproof_semi_expanded_decaps),
       T_CASE(test_implicit_rejection), T_CASE(test_ek_modulus),
       T_CASE(test_dk_hash), T_CASE(test_random_round_trips))
