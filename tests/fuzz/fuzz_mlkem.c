/*
 * fuzz_mlkem.c - ML-KEM-768's handling of untrusted bytes (mlkem.h,
 * docs/crypto.md §10): the FIPS 203 §7.2 check of an encapsulation key,
 * the §7.3 checks of a decapsulation key and a ciphertext, and the key
 * pair of a 64-byte seed. The first byte picks what the rest is:
 *
 *   0  ek               dot_mlkem768_ek_check and encapsulation
 *   1  dk || c          dot_mlkem768_dk_check and decapsulation
 *   2  c                decapsulation under the fixed key below
 *   3  d || z           dot_mlkem768_keypair_seed, then a round trip
 *
 * Each verdict is compared with an independent reading of the rule: every
 * 12-bit value of ek below q; H(ek in dk) equal to the hash in dk; the
 * ciphertext exactly 1088 bytes. A decapsulation that succeeds must give
 * J(z || c), computed here with SHAKE256, unless c is the one ciphertext
 * known to be valid for that key (a comparison of part of c, or a
 * rejection that leaks the real key, fails this).
 *
 * The fixed key and ciphertext are those of gen_mlkem_corpus.c: d = 32 x
 * 0x44, z = 32 x 0x55, m = 32 x 0x66.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/crypto.h"
#include "doteros/mlkem.h"
#include "doteros/sha3.h"

#define FUZZ_NAME "fuzz_mlkem"
#include "pqfuzz.h"

#define EK DOT_MLKEM768_EK_LEN
#define DK DOT_MLKEM768_DK_LEN
#define CT DOT_MLKEM768_CT_LEN

static struct {
	uint8_t ek[EK], dk[DK], ct[CT], ss[32];
} fixed;

static void
setup(void)
{
	uint8_t d[32], z[32], m[32];

	memset(d, 0x44, 32);
	memset(z, 0x55, 32);
	memset(m, 0x66, 32);
	dot_mlkem768_keypair_derand(fixed.ek, fixed.dk, d, z);
	if (dot_mlkem768_encaps_derand(fixed.ct, fixed.ss, fixed.ek, EK, m) !=
	    DOT_OK)
		fail("fixed encapsulation", 0);
}

/* §7.2 read directly: n = 384k + 32 and every 12-bit value < q. */
static int
ek_ok(const uint8_t *p, size_t n)
{
	return n == EK && mlkem_t_ok(p);
}

/* §7.3 read directly: n = 768k + 96 and H(dk[1152:2336]) = dk[2336:2368]. */
static int
dk_ok(const uint8_t *p, size_t n)
{
	uint8_t h[32];

	if (n != DK)
		return 0;
	dot_sha3_256(h, p + 1152, EK);
	return memcmp(h, p + 2336, 32) == 0;
}

static void
implicit_key(uint8_t out[32], const uint8_t *dk, const uint8_t *c)
{
	struct dot_sha3_ctx j;

	dot_shake256_init(&j);
	dot_sha3_update(&j, dk + DK - 32, 32);
	dot_sha3_update(&j, c, CT);
	dot_shake_squeeze(&j, out, 32);
}

static void
decaps(const uint8_t *c, size_t clen, const uint8_t *dk, size_t dklen)
{
	uint8_t ss[32], ss2[32], j[32];
	int rv = dot_mlkem768_decaps(ss, c, clen, dk, dklen);
	int want = clen != CT           ? DOT_ECRYPTO_MLKEM_CT
		   : !dk_ok(dk, dklen) ? DOT_ECRYPTO_MLKEM_DK
				       : DOT_OK;

	if (rv != want)
		fail("decapsulation verdict", rv);
	if (rv != DOT_OK) {
		fail_unless_zero(ss, 32, "refused decapsulation left a key",
				 rv);
		return;
	}
	if (dot_mlkem768_decaps(ss2, c, clen, dk, dklen) != DOT_OK ||
	    memcmp(ss, ss2, 32) != 0)
		fail("decapsulation is not deterministic", rv);
	implicit_key(j, dk, c);
	if (memcmp(ss, j, 32) != 0 && memcmp(c, fixed.ct, CT) != 0)
		fail("a ciphertext not known valid escaped implicit rejection",
		     rv);
	if (memcmp(c, fixed.ct, CT) == 0 && memcmp(dk, fixed.dk, DK) == 0 &&
	    memcmp(ss, fixed.ss, 32) != 0)
		fail("the valid ciphertext lost its key", rv);
}

static void
fuzz_ek(const uint8_t *p, size_t n)
{
	uint8_t ct[CT], ss[32], m[32];
	int rv = dot_mlkem768_ek_check(p, n);

	if ((rv == DOT_OK) != ek_ok(p, n) ||
	    (rv != DOT_OK && rv != DOT_ECRYPTO_MLKEM_EK))
		fail("encapsulation key verdict", rv);
	memset(m, 0x77, sizeof(m));
	if (dot_mlkem768_encaps_derand(ct, ss, p, n, m) != rv)
		fail("encapsulation disagrees with the key check", rv);
}

static void
fuzz_dk(const uint8_t *p, size_t n)
{
	size_t dklen = n < DK ? n : DK;
	int rv = dot_mlkem768_dk_check(p, dklen);

	if ((rv == DOT_OK) != dk_ok(p, dklen) ||
	    (rv != DOT_OK && rv != DOT_ECRYPTO_MLKEM_DK))
		fail("decapsulation key verdict", rv);
	decaps(p + dklen, n - dklen, p, dklen);
}

static void
fuzz_seed(const uint8_t *p, size_t n)
{
	static uint8_t ek[EK], dk[DK];
	uint8_t ct[CT], ss[32], ss2[32], m[32];
	int rv = dot_mlkem768_keypair_seed(ek, dk, p, n);

	if (rv != (n == DOT_MLKEM_SEED_LEN ? DOT_OK : DOT_ECRYPTO_KEY))
		fail("seed length verdict", rv);
	if (rv != DOT_OK)
		return;
	if (dot_mlkem768_ek_check(ek, EK) != DOT_OK ||
	    dot_mlkem768_dk_check(dk, DK) != DOT_OK)
		fail("a generated key fails its check", rv);
	memset(m, 0x88, sizeof(m));
	if (dot_mlkem768_encaps_derand(ct, ss, ek, EK, m) != DOT_OK ||
	    dot_mlkem768_decaps(ss2, ct, CT, dk, DK) != DOT_OK ||
	    memcmp(ss, ss2, 32) != 0)
		fail("round trip", rv);
}

static void
fuzz_ct(const uint8_t *p, size_t n)
{
	decaps(p, n, fixed.dk, DK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_fn cases[] = {fuzz_ek, fuzz_dk, fuzz_ct,
					     fuzz_seed};

	return fuzz_pick(data, size, 8192, setup, cases, 4);
}
