/*
 * fuzz_xwing.c - X-Wing's handling of untrusted bytes (xwing.h,
 * docs/crypto.md §12): the check of a public key, decapsulation of any
 * ciphertext under a fixed key, and of any (sk, ct) pair, and key pairs
 * from any seed. The first byte picks what the rest is:
 *
 *   0  pk                dot_xwing_pk_check and encapsulation
 *   1  ct                decapsulation under the fixed key below
 *   2  n || sk(n) || ct  decapsulation under any sk of any length
 *   3  sk                dot_xwing_sk_to_pk, then a round trip
 *
 * Each verdict is compared with an independent reading of the draft:
 * pk is 1216 bytes with every 12-bit value of pk_M below q; ct 1120 bytes
 * (checked before sk); sk 32 bytes. A decapsulation under the fixed key
 * must give SHA3-256(ss_M || ss_X || ct_X || pk_X || "\./" "/^\")
 * computed here: ss_M the fixed secret when ct_M is the fixed ciphertext's
 * and J(z || ct_M) otherwise, ss_X X25519(sk_X, ct_X), zero for a
 * low-order ct_X.
 *
 * The fixed key and ciphertext are those of gen_xwing_corpus.c: sk = 32 x
 * 0x44, eseed = 64 x 0x66.
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

#define FUZZ_NAME "fuzz_xwing"
#include "pqfuzz.h"

#define PK DOT_XWING_PK_LEN
#define CT DOT_XWING_CT_LEN
#define PK_M DOT_MLKEM768_EK_LEN
#define CT_M DOT_MLKEM768_CT_LEN

static struct {
	uint8_t sk[32], pk[PK], ct[CT], ss[32];
	uint8_t expanded[96], ss_m[32]; /* d || z || sk_X; ML-KEM's secret */
} fixed;

static void
setup(void)
{
	static uint8_t ek[PK_M], dk[DOT_MLKEM768_DK_LEN];
	uint8_t eseed[64];

	memset(fixed.sk, 0x44, 32);
	memset(eseed, 0x66, 64);
	dot_xwing_keypair_derand(fixed.pk, fixed.sk);
	if (dot_xwing_encaps_derand(fixed.ct, fixed.ss, fixed.pk, PK, eseed) !=
	    DOT_OK)
		fail("fixed encapsulation", 0);
	dot_shake256(fixed.expanded, 96, fixed.sk, 32);
	dot_mlkem768_keypair_derand(ek, dk, fixed.expanded,
				    fixed.expanded + 32);
	if (dot_mlkem768_decaps(fixed.ss_m, fixed.ct, CT_M, dk, sizeof(dk)) !=
	    DOT_OK)
		fail("fixed ML-KEM decapsulation", 0);
}

/* The shared secret the fixed key must give for c (1120 bytes). */
static void
expected(uint8_t ss[32], const uint8_t *c)
{
	static const uint8_t label[6] = "\\./"
					"/^\\";
	uint8_t in[134], pk_x[32];
	struct dot_sha3_ctx j;

	if (memcmp(c, fixed.ct, CT_M) == 0) {
		memcpy(in, fixed.ss_m, 32);
	} else {
		dot_shake256_init(&j);
		dot_sha3_update(&j, fixed.expanded + 32, 32); /* z */
		dot_sha3_update(&j, c, CT_M);
		dot_shake_squeeze(&j, in, 32);
	}
	if (crypto_scalarmult(in + 32, fixed.expanded + 64, c + CT_M) != 0)
		memset(in + 32, 0, 32); /* RFC 7748: zero, not refused */
	memcpy(in + 64, c + CT_M, 32);
	if (crypto_scalarmult_base(pk_x, fixed.expanded + 64) != 0)
		fail("X25519 base", 0);
	memcpy(in + 96, pk_x, 32);
	memcpy(in + 128, label, 6);
	dot_sha3_256(ss, in, sizeof(in));
}

static void
fuzz_pk(const uint8_t *p, size_t n)
{
	uint8_t ct[CT], ss[32], ss2[32], eseed[64];
	int rv = dot_xwing_pk_check(p, n);

	/* FIPS 203 §7.2 read directly, on pk_M */
	if ((rv == DOT_OK) != (n == PK && mlkem_t_ok(p)) ||
	    (rv != DOT_OK && rv != DOT_ECRYPTO_XWING_PK))
		fail("public key verdict", rv);
	memset(eseed, 0x77, sizeof(eseed));
	if (dot_xwing_encaps_derand(ct, ss, p, n, eseed) != rv)
		fail("encapsulation disagrees with the key check", rv);
	if (rv != DOT_OK) {
		fail_unless_zero(ss, sizeof(ss),
				 "refused encapsulation left a secret", rv);
		return;
	}
	/* the fixed key decapsulates an encapsulation to its own pk_M with
	 * any pk_X to a secret of its own, never an error */
	if (memcmp(p, fixed.pk, PK_M) == 0 &&
	    dot_xwing_decaps(ss2, ct, CT, fixed.sk, 32) != DOT_OK)
		fail("decapsulation of an encapsulation", rv);
}

static void
fuzz_ct_fixed(const uint8_t *c, size_t n)
{
	uint8_t ss[32], want[32];
	int rv = dot_xwing_decaps(ss, c, n, fixed.sk, 32);

	if (rv != (n == CT ? DOT_OK : DOT_ECRYPTO_XWING_CT))
		fail("ciphertext verdict", rv);
	if (rv != DOT_OK)
		return;
	expected(want, c);
	if (memcmp(ss, want, 32) != 0)
		fail("decapsulation differs from the draft's", rv);
	if (memcmp(c, fixed.ct, CT) != 0 && memcmp(ss, fixed.ss, 32) == 0)
		fail("another ciphertext gave the real secret", rv);
}

static void
fuzz_sk_ct(const uint8_t *p, size_t n)
{
	uint8_t ss[32], ss2[32];
	size_t skn;
	int rv, want;

	if (n < 1)
		return;
	skn = p[0] < n - 1 ? p[0] : n - 1;
	want = n - 1 - skn != CT ? DOT_ECRYPTO_XWING_CT
	       : skn != 32       ? DOT_ECRYPTO_XWING_SK
				 : DOT_OK;
	rv = dot_xwing_decaps(ss, p + 1 + skn, n - 1 - skn, p + 1, skn);
	if (rv != want)
		fail("(sk, ct) verdict", rv);
	if (rv != DOT_OK) {
		fail_unless_zero(ss, sizeof(ss),
				 "refused decapsulation left a secret", rv);
		return;
	}
	if (dot_xwing_decaps(ss2, p + 1 + skn, CT, p + 1, 32) != DOT_OK ||
	    memcmp(ss, ss2, 32) != 0)
		fail("decapsulation is not deterministic", rv);
}

static void
fuzz_sk(const uint8_t *p, size_t n)
{
	static uint8_t pk[PK];
	uint8_t ct[CT], ss[32], ss2[32], eseed[64];
	int rv = dot_xwing_sk_to_pk(pk, p, n);

	if (rv != (n == 32 ? DOT_OK : DOT_ECRYPTO_XWING_SK))
		fail("sk length verdict", rv);
	if (rv != DOT_OK)
		return;
	if (dot_xwing_pk_check(pk, PK) != DOT_OK)
		fail("a generated key fails its check", rv);
	memset(eseed, 0x88, sizeof(eseed));
	if (dot_xwing_encaps_derand(ct, ss, pk, PK, eseed) != DOT_OK ||
	    dot_xwing_decaps(ss2, ct, CT, p, n) != DOT_OK ||
	    memcmp(ss, ss2, 32) != 0)
		fail("round trip", rv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_fn cases[] = {fuzz_pk, fuzz_ct_fixed,
					     fuzz_sk_ct, fuzz_sk};

	return fuzz_pick(data, size, 8192, setup, cases, 4);
}
