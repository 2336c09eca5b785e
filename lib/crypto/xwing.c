/*
 * xwing.c - X-Wing, X25519 + ML-KEM-768 (draft-connolly-cfrg-xwing-kem-10),
 * written from the draft's text (xwing.h, docs/crypto.md §12). Each
 * function names the section of the draft it implements.
 *
 * The parts: ML-KEM-768 is lib/crypto/mlkem.c (FIPS 203 KeyGen_internal,
 * Encaps_internal after the §7.2 check, Decaps), SHAKE256 and SHA3-256 are
 * lib/crypto/sha3.c, X25519 is libsodium's crypto_scalarmult (RFC 7748 §5,
 * clamping inside; constant time).
 *
 * Low-order points. The draft uses X25519 exactly as RFC 7748 §5 defines
 * it (§4) and checks nothing on its output: Decapsulate (§5.5) always
 * returns the combiner, and Encapsulate (§5.4) fails only on the ML-KEM
 * §7.2 check. libsodium's crypto_scalarmult returns -1 when the result is
 * all zero (a pk_X or ct_X of small order), and may then leave its output
 * unwritten. x25519() below zeroes the output first and ignores the return
 * value, so ss_X is RFC 7748's value, 32 zero bytes, in every case, and
 * the combiner runs on it as the draft says. Security then rests on ML-KEM
 * alone, which is the hybrid's promise; refusing would add an explicit
 * error to a KEM that otherwise rejects implicitly, and give other answers
 * than the draft's for the same inputs. Whether the result is zero depends
 * only on the public point (a clamped scalar is a multiple of the cofactor
 * 8 and below 8 times either prime order), so ignoring it hides nothing.
 *
 * Constant time: no branch or memory index here depends on a secret (sk,
 * the expansion, dk_M, sk_X, eseed, ss_M, ss_X); the length checks are on
 * public lengths. The public key computed from a secret seed is marked
 * public for the valgrind test (DOT_CT_PUBLIC, ct.h): ML-KEM's §7.3 hash
 * check in Decaps compares H(pk_M) with the copy inside dk_M and branches
 * on the verdict. tests/unit/ct_xwing.c checks this under valgrind.
 */
#include <string.h>

#include <sodium.h>

#include "ct.h"
#include "doteros/mlkem.h"
#include "doteros/sha3.h"
#include "doteros/xwing.h"

#define PK_M_LEN DOT_MLKEM768_EK_LEN             /* 1184 */
#define CT_M_LEN DOT_MLKEM768_CT_LEN             /* 1088 */
#define DK_M_LEN DOT_MLKEM768_DK_LEN             /* 2400 */
#define X_LEN 32                                 /* X25519 keys, outputs */
#define DK_M_EK_OFF (DK_M_LEN - 64 - PK_M_LEN)   /* 1152: ek inside dk */

_Static_assert(DOT_XWING_PK_LEN == PK_M_LEN + X_LEN, "pk length");
_Static_assert(DOT_XWING_CT_LEN == CT_M_LEN + X_LEN, "ct length");
_Static_assert(DK_M_EK_OFF == 1152, "dk = dk_PKE || ek || H(ek) || z");
_Static_assert(crypto_scalarmult_BYTES == X_LEN, "X25519 lengths");
_Static_assert(crypto_scalarmult_SCALARBYTES == X_LEN, "X25519 lengths");

/* §5.3: XWingLabel = "\./" || "/^\", 5c2e2f2f5e5c; hashed last. */
static const uint8_t xwing_label[6] = {0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c};

/* The expanded decapsulation key of §5.2; all of it zeroed after use. */
struct expanded {
	uint8_t seed[96];      /* SHAKE256(sk, 96): d || z || sk_X */
	uint8_t dk_m[DK_M_LEN];
	uint8_t pk_m[PK_M_LEN];
	uint8_t pk_x[X_LEN];
};

/*
 * RFC 7748 §5 X25519(k, u), no all-zero check (see the top of this file):
 * out is zeroed first, so it holds RFC 7748's result, zero, also when
 * libsodium refuses a small-order u without writing it.
 */
static void
x25519(uint8_t out[X_LEN], const uint8_t k[X_LEN], const uint8_t u[X_LEN])
{
	int rc;

	memset(out, 0, X_LEN);
	rc = crypto_scalarmult(out, k, u);
	(void)rc;
}

/* X25519(k, X25519_BASE) (§4). Never zero for a clamped k. */
static void
x25519_base(uint8_t out[X_LEN], const uint8_t k[X_LEN])
{
	int rc;

	memset(out, 0, X_LEN);
	rc = crypto_scalarmult_base(out, k);
	(void)rc;
}

/*
 * §5.2 expandDecapsulationKey(sk): expanded = SHAKE256(sk, 96 bytes);
 * (pk_M, sk_M) = ML-KEM-768.KeyGen_internal(expanded[0:32],
 * expanded[32:64]); sk_X = expanded[64:96]; pk_X = X25519(sk_X, base).
 */
static void
expand(struct expanded *x, const uint8_t sk[DOT_XWING_SK_LEN])
{
	dot_shake256(x->seed, sizeof(x->seed), sk, DOT_XWING_SK_LEN);
	dot_mlkem768_keypair_derand(x->pk_m, x->dk_m, x->seed, x->seed + 32);
	x25519_base(x->pk_x, x->seed + 64);
	/* The public key, and the copy of pk_M and its hash inside dk_M,
	 * are public although computed from sk. */
	DOT_CT_PUBLIC(x->pk_m, PK_M_LEN);
	DOT_CT_PUBLIC(x->dk_m + DK_M_EK_OFF, PK_M_LEN + 32);
	DOT_CT_PUBLIC(x->pk_x, X_LEN);
}

/*
 * §5.3 Combiner(ss_M, ss_X, ct_X, pk_X) =
 * SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel), 134 bytes: one
 * block of SHA3-256's 136-byte rate. The context is wiped by final.
 */
static void
combiner(uint8_t ss[DOT_XWING_SS_LEN], const uint8_t ss_m[32],
	 const uint8_t ss_x[X_LEN], const uint8_t ct_x[X_LEN],
	 const uint8_t pk_x[X_LEN])
{
	struct dot_sha3_ctx h;

	dot_sha3_256_init(&h);
	dot_sha3_update(&h, ss_m, 32);
	dot_sha3_update(&h, ss_x, X_LEN);
	dot_sha3_update(&h, ct_x, X_LEN);
	dot_sha3_update(&h, pk_x, X_LEN);
	dot_sha3_update(&h, xwing_label, sizeof(xwing_label));
	dot_sha3_final(&h, ss);
}

/* §5.2.1 GenerateKeyPairDerand(sk): pk = concat(pk_M, pk_X). */
void
dot_xwing_keypair_derand(uint8_t pk[DOT_XWING_PK_LEN],
			 const uint8_t sk[DOT_XWING_SK_LEN])
{
	struct expanded x;

	expand(&x, sk);
	memcpy(pk, x.pk_m, PK_M_LEN);
	memcpy(pk + PK_M_LEN, x.pk_x, X_LEN);
	sodium_memzero(&x, sizeof(x));
}

/* §5.2 GenerateKeyPair: sk = random(32), the caller's rnd. */
void
dot_xwing_keypair(uint8_t sk[DOT_XWING_SK_LEN], uint8_t pk[DOT_XWING_PK_LEN],
		  const uint8_t rnd[DOT_XWING_SK_LEN])
{
	memmove(sk, rnd, DOT_XWING_SK_LEN);
	dot_xwing_keypair_derand(pk, sk);
}

/* §5.2.1 for an sk of unchecked length ("sk must be 32 bytes"). */
int
dot_xwing_sk_to_pk(uint8_t pk[DOT_XWING_PK_LEN], const uint8_t *sk, size_t n)
{
	if (n != DOT_XWING_SK_LEN) {
		memset(pk, 0, DOT_XWING_PK_LEN);
		return DOT_ECRYPTO_XWING_SK;
	}
	dot_xwing_keypair_derand(pk, sk);
	return DOT_OK;
}

/*
 * §5.1 (a pk is 1216 bytes) and §4 (ML-KEM-768.Encaps MUST perform the
 * FIPS 203 §7.2 encapsulation key check on pk_M). pk_X is any 32 bytes:
 * RFC 7748 §5 decodes every string (the top bit is masked). pk is public.
 */
int
dot_xwing_pk_check(const uint8_t *pk, size_t n)
{
	if (n != DOT_XWING_PK_LEN)
		return DOT_ECRYPTO_XWING_PK;
	if (dot_mlkem768_ek_check(pk, PK_M_LEN) != DOT_OK)
		return DOT_ECRYPTO_XWING_PK;
	return DOT_OK;
}

/*
 * §5.4.1 EncapsulateDerand(pk, eseed): pk_M = pk[0:1184],
 * pk_X = pk[1184:1216], ek_X = eseed[32:64], ct_X = X25519(ek_X, base),
 * ss_X = X25519(ek_X, pk_X), (ss_M, ct_M) = ML-KEM-768.Encaps_internal(
 * pk_M, eseed[0:32]) with the §7.2 check, ss = Combiner(ss_M, ss_X, ct_X,
 * pk_X), ct = concat(ct_M, ct_X). The ML-KEM step comes first here so that
 * a refused pk costs no X25519; the result is the same.
 */
int
dot_xwing_encaps_derand(uint8_t ct[DOT_XWING_CT_LEN],
			uint8_t ss[DOT_XWING_SS_LEN], const uint8_t *pk,
			size_t pklen, const uint8_t eseed[DOT_XWING_ESEED_LEN])
{
	const uint8_t *pk_x = pk + PK_M_LEN, *ek_x = eseed + 32;
	uint8_t ss_m[32], ss_x[X_LEN];
	int rv = DOT_ECRYPTO_XWING_PK;

	if (pklen != DOT_XWING_PK_LEN ||
	    dot_mlkem768_encaps_derand(ct, ss_m, pk, PK_M_LEN, eseed) !=
		    DOT_OK)
		goto out;
	x25519_base(ct + CT_M_LEN, ek_x);
	x25519(ss_x, ek_x, pk_x);
	combiner(ss, ss_m, ss_x, ct + CT_M_LEN, pk_x);
	rv = DOT_OK;
out:
	if (rv != DOT_OK) {
		memset(ct, 0, DOT_XWING_CT_LEN);
		sodium_memzero(ss, DOT_XWING_SS_LEN);
	}
	sodium_memzero(ss_m, sizeof(ss_m));
	sodium_memzero(ss_x, sizeof(ss_x));
	return rv;
}

/*
 * §5.5 Decapsulate(ct, sk): (sk_M, sk_X, pk_M, pk_X) =
 * expandDecapsulationKey(sk), ct_M = ct[0:1088], ct_X = ct[1088:1120],
 * ss_M = ML-KEM-768.Decaps(sk_M, ct_M) (implicit rejection), ss_X =
 * X25519(sk_X, ct_X), and Combiner(ss_M, ss_X, ct_X, pk_X) with the pk_X
 * recomputed from sk. ML-KEM's §7.3 checks, which the draft does not
 * require (§4), pass by construction (dk_M was just made) and cost one
 * SHA3-256 of pk_M.
 */
int
dot_xwing_decaps(uint8_t ss[DOT_XWING_SS_LEN], const uint8_t *ct,
		 size_t ctlen, const uint8_t *sk, size_t sklen)
{
	struct expanded x;
	uint8_t ss_m[32], ss_x[X_LEN];
	int rv;

	if (ctlen != DOT_XWING_CT_LEN) {
		sodium_memzero(ss, DOT_XWING_SS_LEN);
		return DOT_ECRYPTO_XWING_CT;
	}
	if (sklen != DOT_XWING_SK_LEN) {
		sodium_memzero(ss, DOT_XWING_SS_LEN);
		return DOT_ECRYPTO_XWING_SK;
	}
	expand(&x, sk);
	/* Cannot fail: ct_M has its length and dk_M passes §7.3. */
	if ((rv = dot_mlkem768_decaps(ss_m, ct, CT_M_LEN, x.dk_m, DK_M_LEN)) !=
	    DOT_OK)
		goto out;
	x25519(ss_x, x.seed + 64, ct + CT_M_LEN);
	combiner(ss, ss_m, ss_x, ct + CT_M_LEN, x.pk_x);
out:
	if (rv != DOT_OK)
		sodium_memzero(ss, DOT_XWING_SS_LEN);
	sodium_memzero(&x, sizeof(x));
	sodium_memzero(ss_m, sizeof(ss_m));
	sodium_memzero(ss_x, sizeof(ss_x));
	return rv;
}
