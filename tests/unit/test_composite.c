/*
 * test_composite.c - the composite signature id-MLDSA65-Ed25519-SHA512
 * (include/doteros/composite.h, lib/crypto/composite.c, docs/crypto.md
 * §13), draft-ietf-lamps-pq-composite-sigs-19.
 *
 * The vectors of tests/vectors/composite/ (filter.py and SOURCE there)
 * come first, 8 records:
 *
 *   composite  3  the draft's one id-MLDSA65-Ed25519-SHA512 key pair and
 *                 its three signatures (s: empty ctx; sWithContext; the
 *                 self-signed certificate's, over its TBSCertificate)
 *   mldsa      3  the plain id-ML-DSA-65 entry the draft gives to debug
 *                 the ML-DSA component, run through mldsa.h
 *   mprime     2  the draft's Appendix D, M' built step by step (for
 *                 another label: it checks this file's M' builder)
 *
 * For each composite record: the keys match (keypair from the seeds in
 * sk, and sk_to_pk, give the vector's pk); the signature verifies; each
 * of its halves verifies as a component over the M' that filter.py
 * computed with Python's hashlib (ML-DSA-65 with the Label as FIPS 204
 * context, Ed25519 over M' as it is), and this file's M' builder agrees;
 * the same halves fail with an empty ML-DSA context, over the raw
 * message, and under another application context. Our own signature of
 * the record's message verifies and its Ed25519 half equals the vector's
 * byte for byte (Ed25519 is deterministic); the ML-DSA halves upstream are
 * hedged (random rnd), so ours cannot match them and is only verified.
 *
 * Then round trips, the stripping and substitution attacks the draft's
 * construction must refuse, every truncation and single-byte change of
 * sig and pk, libsodium's refusals on the Ed25519 half, and the input
 * checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/composite.h"
#include "doteros/crypto.h"
#include "doteros/mldsa.h"
#include "harness.h"
#include "pq.h"
#include "vectors.h"

#define VEC "tests/vectors/composite/"
#define TXT "composite_mldsa65_ed25519"

#define PK   DOT_COMPOSITE_PK_LEN
#define SK   DOT_COMPOSITE_SK_LEN
#define SIG  DOT_COMPOSITE_SIG_LEN
#define MPK  DOT_MLDSA65_PK_LEN
#define MSIG DOT_MLDSA65_SIG_LEN

static const char PREFIX[] = "CompositeAlgorithmSignatures2025";
static const char LABEL[] = "COMPSIG-MLDSA65-Ed25519-SHA512";
static const uint8_t zero_rnd[DOT_COMPOSITE_RND_LEN];

/*
 * M' of the draft (-19 §2.2), written here independently of composite.c:
 * prefix || label || len(ctx) || ctx || SHA-512(msg), with the prefix and
 * label as arguments so the tests can build wrong ones. Returns the
 * length.
 */
static size_t
build_mp(uint8_t *mp, size_t cap, const char *prefix, const uint8_t *label,
	 size_t llen, const uint8_t *msg, size_t mlen, const uint8_t *ctx,
	 size_t ctxlen)
{
	size_t plen = strlen(prefix), n = plen + llen + 1 + ctxlen + 64;

	if (n > cap || ctxlen > 255)
		abort();
	memcpy(mp, prefix, plen);
	memcpy(mp + plen, label, llen);
	mp[plen + llen] = (uint8_t)ctxlen;
	if (ctxlen > 0)
		memcpy(mp + plen + llen + 1, ctx, ctxlen);
	crypto_hash_sha512(mp + plen + llen + 1 + ctxlen, msg, mlen);
	return n;
}

static size_t
our_mp(uint8_t *mp, const uint8_t *msg, size_t mlen, const uint8_t *ctx,
       size_t ctxlen)
{
	return build_mp(mp, DOT_COMPOSITE_MP_MAX, PREFIX,
			(const uint8_t *)LABEL, strlen(LABEL), msg, mlen, ctx,
			ctxlen);
}

/* The two halves of sig over mp, checked as components (§3.3 step 4). */
static int
mldsa_half_ok(const uint8_t *pk, const uint8_t *mp, size_t mplen,
	      const uint8_t *fctx, size_t fctxlen, const uint8_t *sig)
{
	return dot_mldsa65_verify(pk, MPK, mp, mplen, fctx, fctxlen, sig,
				  MSIG) == DOT_OK;
}

static int
ed_half_ok(const uint8_t *pk, const uint8_t *m, size_t mlen, const uint8_t *sig)
{
	return crypto_sign_verify_detached(sig + MSIG, m, mlen, pk + MPK) == 0;
}

/* A key pair from two seeds filled with a and b, and the component keys
 * (expanded ML-DSA sk, libsodium's Ed25519 sk) for building signatures
 * by hand. */
struct keys {
	uint8_t pk[PK], sk[SK];
	uint8_t mldsa_sk[DOT_MLDSA65_SK_LEN], mldsa_pk[MPK];
	uint8_t ed_sk[crypto_sign_SECRETKEYBYTES], ed_pk[32];
};

static int
make_keys(struct keys *k, uint8_t a, uint8_t b)
{
	uint8_t xi[32], ed[32];

	memset(xi, a, sizeof(xi));
	memset(ed, b, sizeof(ed));
	if (dot_composite_keypair(k->pk, k->sk, xi, ed) != DOT_OK)
		return 0;
	dot_mldsa65_keypair_derand(k->mldsa_pk, k->mldsa_sk, xi);
	crypto_sign_seed_keypair(k->ed_pk, k->ed_sk, ed);
	return memcmp(k->pk, k->mldsa_pk, MPK) == 0 &&
	       memcmp(k->pk + MPK, k->ed_pk, 32) == 0 &&
	       memcmp(k->sk, xi, 32) == 0 && memcmp(k->sk + 32, ed, 32) == 0;
}

/* A composite signature built by hand from its components: ML-DSA-65
 * over mp with FIPS 204 context fctx, Ed25519 over em. */
static void
hand_sign(uint8_t sig[SIG], const struct keys *k, const uint8_t *mp,
	  size_t mplen, const uint8_t *fctx, size_t fctxlen, const uint8_t *em,
	  size_t emlen)
{
	if (dot_mldsa65_sign_derand(sig, k->mldsa_sk, sizeof(k->mldsa_sk), mp,
				    mplen, fctx, fctxlen, zero_rnd) != DOT_OK)
		abort();
	crypto_sign_detached(sig + MSIG, NULL, em, emlen, k->ed_sk);
}

/* ------------------------------------------------------------------ */
/* the vector file                                                     */

struct rec {
	char op[32], tcid[64], what[32], result[16];
	struct vec_field pk, sk, msg, ctx, sig, label, mp;
};

static const struct vec_key keys[] = {
	VEC_KEY(VEC_STR, "op", struct rec, op),
	VEC_KEY(VEC_STR, "tcId", struct rec, tcid),
	VEC_KEY(VEC_STR, "what", struct rec, what),
	VEC_KEY(VEC_STR, "result", struct rec, result),
	VEC_HEX_KEY(struct rec, pk),
	VEC_HEX_KEY(struct rec, sk),
	VEC_HEX_KEY(struct rec, msg),
	VEC_HEX_KEY(struct rec, ctx),
	VEC_HEX_KEY(struct rec, sig),
	VEC_HEX_KEY(struct rec, label),
	VEC_HEX_KEY(struct rec, mp),
};

static const struct vec_format format = {
	VEC, keys, sizeof(keys) / sizeof(keys[0]), sizeof(struct rec)};

#define VCHECK(cond)                                                           \
	VEC_CHECK(cond, #cond, "%s %s (%s)", r->op, r->tcid, r->what)

/* An application context other than the record's. */
static const uint8_t other_ctx[] = "another context";

static int
run_composite(struct rec *r)
{
	static uint8_t pk[PK], sk[SK], sig[SIG];
	uint8_t mp[DOT_COMPOSITE_MP_MAX], mp2[DOT_COMPOSITE_MP_MAX];
	const uint8_t *octx = r->ctx.n ? NULL : other_ctx;
	size_t mplen, mp2len, octxlen = r->ctx.n ? 0 : sizeof(other_ctx) - 1;
	int bad = 0;

	VCHECK(strcmp(r->tcid, "id-MLDSA65-Ed25519-SHA512") == 0);
	VCHECK(r->pk.n == PK && r->sk.n == SK && r->sig.n == SIG);
	if (bad)
		return bad;
	/* keys: KeyGen from the two seeds of sk (§3.1, §4.2) */
	VCHECK(dot_composite_keypair(pk, sk, r->sk.b, r->sk.b + 32) == DOT_OK);
	VCHECK(vec_eq(&r->pk, pk, PK) && vec_eq(&r->sk, sk, SK));
	memset(pk, 0, PK);
	VCHECK(dot_composite_sk_to_pk(pk, r->sk.b, r->sk.n) == DOT_OK);
	VCHECK(vec_eq(&r->pk, pk, PK));
	VCHECK(dot_composite_pk_check(r->pk.b, r->pk.n) == DOT_OK);

	/* the vector verifies */
	VCHECK(dot_composite_verify(r->pk.b, r->pk.n, r->msg.b, r->msg.n,
				    r->ctx.b, r->ctx.n, r->sig.b,
				    r->sig.n) == DOT_OK);

	/* M': filter.py's (hashlib) equals ours, and the vector's halves
	 * are over it: ML-DSA with ctx = Label, Ed25519 plain */
	mplen = our_mp(mp, r->msg.b, r->msg.n, r->ctx.b, r->ctx.n);
	VCHECK(vec_eq(&r->mp, mp, mplen));
	VCHECK(mldsa_half_ok(r->pk.b, mp, mplen, (const uint8_t *)LABEL,
			     strlen(LABEL), r->sig.b));
	VCHECK(ed_half_ok(r->pk.b, mp, mplen, r->sig.b));
	/* and not over anything else (the README's negative controls) */
	VCHECK(!mldsa_half_ok(r->pk.b, mp, mplen, NULL, 0, r->sig.b));
	VCHECK(!mldsa_half_ok(r->pk.b, r->msg.b, r->msg.n,
			      (const uint8_t *)LABEL, strlen(LABEL), r->sig.b));
	VCHECK(!ed_half_ok(r->pk.b, r->msg.b, r->msg.n, r->sig.b));
	/* another application context */
	VCHECK(dot_composite_verify(r->pk.b, r->pk.n, r->msg.b, r->msg.n, octx,
				    octxlen, r->sig.b,
				    r->sig.n) == DOT_ECRYPTO_COMPOSITE_SIG);

	/* our signature: verifies, its halves are over the same M', and its
	 * Ed25519 half is the vector's */
	VCHECK(dot_composite_sign_derand(sig, r->msg.b, r->msg.n, r->ctx.b,
					 r->ctx.n, r->sk.b, r->sk.n,
					 zero_rnd) == DOT_OK);
	VCHECK(memcmp(sig + MSIG, r->sig.b + MSIG, 64) == 0);
	VCHECK(dot_composite_verify(r->pk.b, r->pk.n, r->msg.b, r->msg.n,
				    r->ctx.b, r->ctx.n, sig, SIG) == DOT_OK);
	mp2len = our_mp(mp2, r->msg.b, r->msg.n, r->ctx.b, r->ctx.n);
	VCHECK(mldsa_half_ok(r->pk.b, mp2, mp2len, (const uint8_t *)LABEL,
			     strlen(LABEL), sig));
	return bad;
}

static int
run_record(struct rec *r)
{
	static uint8_t pk[MPK], sk[DOT_MLDSA65_SK_LEN];
	uint8_t mp[DOT_COMPOSITE_MP_MAX + 64];
	int bad = 0;

	VCHECK(strcmp(r->result, "valid") == 0);
	if (strcmp(r->op, "composite") == 0) {
		bad |= run_composite(r);
	} else if (strcmp(r->op, "mldsa") == 0) {
		/* the draft's plain ML-DSA-65: sk is the seed ξ */
		VCHECK(strcmp(r->tcid, "id-ML-DSA-65") == 0);
		VCHECK(dot_mldsa65_keypair_seed(pk, sk, r->sk.b, r->sk.n) ==
		       DOT_OK);
		VCHECK(vec_eq(&r->pk, pk, MPK));
		VCHECK(dot_mldsa65_verify(r->pk.b, r->pk.n, r->msg.b, r->msg.n,
					  r->ctx.b, r->ctx.n, r->sig.b,
					  r->sig.n) == DOT_OK);
		/* a plain key and signature are not a composite's */
		VCHECK(dot_composite_verify(r->pk.b, r->pk.n, r->msg.b,
					    r->msg.n, r->ctx.b, r->ctx.n,
					    r->sig.b, r->sig.n) ==
		       DOT_ECRYPTO_COMPOSITE_PK);
		sodium_memzero(sk, sizeof(sk));
	} else if (strcmp(r->op, "mprime") == 0) {
		/* Appendix D: this file's builder gives the draft's M' */
		size_t n;
		char lab[64];

		VCHECK(r->label.n < sizeof(lab));
		memcpy(lab, r->label.b, r->label.n);
		lab[r->label.n] = '\0';
		VCHECK(strcmp(lab, r->tcid) == 0);
		n = build_mp(mp, sizeof(mp), PREFIX, r->label.b, r->label.n,
			     r->msg.b, r->msg.n, r->ctx.b, r->ctx.n);
		VCHECK(vec_eq(&r->mp, mp, n));
	} else {
		VCHECK(!"unknown op");
	}
	return bad;
}

/* Counts the record's op in ops (composite, mldsa, anything else), then
 * runs it. */
static int
count_and_run(const char *name, void *rec, void *arg)
{
	struct rec *r = rec;
	int *ops = arg;

	if (strcmp(r->op, "composite") == 0)
		ops[0]++;
	else if (strcmp(r->op, "mldsa") == 0)
		ops[1]++;
	else
		ops[2]++;
	return run_record(r);
}

static void
test_vectors(void)
{
	struct rec *r = calloc(1, sizeof(*r));
	struct vec_count c;
	int ops[3] = {0, 0, 0};

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(r != NULL);
	vec_read(&format, TXT, r, count_and_run, ops, &c);
	free(r);
	printf("# %s: %d records run (%d composite, %d mldsa, %d mprime), "
	       "%d passed\n",
	       TXT, c.run, ops[0], ops[1], ops[2], c.passed);
	CHECK(c.hashes == 4);
	CHECK(c.run == 8 && ops[0] == 3 && ops[1] == 3 && ops[2] == 2);
	CHECK(c.passed == c.run);
}

/* ------------------------------------------------------------------ */
/* properties                                                          */

/* sig, as a signature of m (n bytes) under context c (l bytes), is refused
 * under pk: a check of its own, failing at the line of its use */
#define REFUSED(pk, m, n, c, l, sig)                                           \
	CHECK_RC(dot_composite_verify(pk, PK, m, n, c, l, sig, SIG),           \
		 DOT_ECRYPTO_COMPOSITE_SIG)

static void
test_sizes(void)
{
	CHECK(PK == 1984 && SK == 64 && SIG == 3373);
	CHECK(DOT_COMPOSITE_CTX_MAX == 255 && DOT_COMPOSITE_RND_LEN == 32);
	CHECK(DOT_COMPOSITE_PREFIX_LEN == strlen(PREFIX));
	CHECK(DOT_COMPOSITE_LABEL_LEN == strlen(LABEL));
	CHECK(DOT_COMPOSITE_MP_MAX == 32 + 30 + 1 + 255 + 64);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_COMPOSITE_PK),
		     "DOT_ECRYPTO_COMPOSITE_PK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_COMPOSITE_SK),
		     "DOT_ECRYPTO_COMPOSITE_SK") == 0);
	CHECK(strcmp(dot_errname(DOT_ECRYPTO_COMPOSITE_SIG),
		     "DOT_ECRYPTO_COMPOSITE_SIG") == 0);
}

/* Sign and verify with contexts of 0, 1, 71 and 255 bytes and messages
 * of 0 to 100 000 bytes; each signature's halves are over this file's M'
 * (so composite.c builds the draft's M' for every ctx length). */
static void
test_round_trip(void)
{
	static struct keys k;
	static uint8_t sig[SIG], msg[100000];
	static const size_t ctxlens[] = {0, 1, 71, 255};
	static const size_t mlens[] = {0, 1, 44, 1000, 100000};
	uint8_t ctx[255], mp[DOT_COMPOSITE_MP_MAX];
	uint64_t s = 1;

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(make_keys(&k, 0x11, 0x22));
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)t_rand(&s);
	for (size_t i = 0; i < sizeof(ctx); i++)
		ctx[i] = (uint8_t)t_rand(&s);
	for (size_t c = 0; c < 4; c++) {
		for (size_t m = 0; m < 5; m++) {
			size_t cl = ctxlens[c], ml = mlens[m], mplen;

			CHECK_RC(dot_composite_sign_derand(
				     sig, msg, ml, ctx, cl, k.sk, SK, zero_rnd),
				 DOT_OK);
			CHECK_RC(dot_composite_verify(k.pk, PK, msg, ml, ctx,
						      cl, sig, SIG),
				 DOT_OK);
			mplen = our_mp(mp, msg, ml, ctx, cl);
			CHECK(mplen == 32 + 30 + 1 + cl + 64);
			CHECK(mldsa_half_ok(k.pk, mp, mplen,
					    (const uint8_t *)LABEL,
					    strlen(LABEL), sig));
			CHECK(ed_half_ok(k.pk, mp, mplen, sig));
			/* another message, another context, no context */
			if (ml > 0) {
				msg[ml - 1] ^= 1;
				REFUSED(k.pk, msg, ml, ctx, cl, sig);
				msg[ml - 1] ^= 1;
			}
			if (cl > 0) {
				REFUSED(k.pk, msg, ml, NULL, 0, sig);
				ctx[cl - 1] ^= 0x80;
				REFUSED(k.pk, msg, ml, ctx, cl, sig);
				ctx[cl - 1] ^= 0x80;
			} else {
				REFUSED(k.pk, msg, ml, ctx, 1, sig);
			}
		}
	}
	/* a NULL context of length 0 is the empty one */
	CHECK_RC(dot_composite_sign_derand(sig, msg, 10, NULL, 0, k.sk, SK,
					   zero_rnd),
		 DOT_OK);
	CHECK_RC(dot_composite_verify(k.pk, PK, msg, 10, ctx, 0, sig, SIG),
		 DOT_OK);
	/* another key */
	static struct keys k2;
	REQUIRE(make_keys(&k2, 0x11, 0x23));
	REFUSED(k2.pk, msg, 10, NULL, 0, sig);
	REQUIRE(make_keys(&k2, 0x12, 0x22));
	REFUSED(k2.pk, msg, 10, NULL, 0, sig);
}

/* rnd: the deterministic variant repeats; hedged signatures differ in
 * the ML-DSA half only; an all-zero rnd is refused by the hedged call. */
static void
test_randomness(void)
{
	static struct keys k;
	static uint8_t a[SIG], b[SIG];
	static const uint8_t msg[] = "hedged";
	uint8_t rnd1[32], rnd2[32];
	uint64_t s = 7;

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(make_keys(&k, 0x31, 0x32));
	CHECK_RC(
	    dot_composite_sign_derand(a, msg, 6, NULL, 0, k.sk, SK, zero_rnd),
	    DOT_OK);
	CHECK_RC(
	    dot_composite_sign_derand(b, msg, 6, NULL, 0, k.sk, SK, zero_rnd),
	    DOT_OK);
	CHECK_MEM(a, b, SIG);
	for (int i = 0; i < 32; i++) {
		rnd1[i] = (uint8_t)t_rand(&s);
		rnd2[i] = (uint8_t)t_rand(&s);
	}
	CHECK_RC(dot_composite_sign(a, msg, 6, NULL, 0, k.sk, SK, rnd1),
		 DOT_OK);
	CHECK_RC(dot_composite_sign(b, msg, 6, NULL, 0, k.sk, SK, rnd2),
		 DOT_OK);
	CHECK(memcmp(a, b, MSIG) != 0);
	CHECK_MEM(a + MSIG, b + MSIG, 64);
	CHECK_RC(dot_composite_verify(k.pk, PK, msg, 6, NULL, 0, a, SIG),
		 DOT_OK);
	CHECK_RC(dot_composite_verify(k.pk, PK, msg, 6, NULL, 0, b, SIG),
		 DOT_OK);
	/* the hedged call and sign_derand agree for the same rnd */
	CHECK_RC(dot_composite_sign_derand(b, msg, 6, NULL, 0, k.sk, SK, rnd1),
		 DOT_OK);
	CHECK_MEM(a, b, SIG);
	/* all-zero rnd: refused by the hedged call, signature zeroed */
	memset(a, 0xaa, SIG);
	CHECK_RC(dot_composite_sign(a, msg, 6, NULL, 0, k.sk, SK, zero_rnd),
		 DOT_EINVAL);
	CHECK(pq_all_zero(a, SIG));
}

/*
 * The stripping and substitution attacks (-19 §2.2 and the Security
 * Considerations on non-separability): none may verify. Each forgery is
 * built from real component signatures under the same keys, and a
 * positive control built the same way with the draft's M' verifies, so
 * the refusals come from what was changed.
 */
static void
test_stripping(void)
{
	static struct keys k;
	static uint8_t sig[SIG], sig2[SIG], forged[SIG];
	static const uint8_t m1[] = "pay alice 10", m2[] = "pay mallory 1000";
	static const uint8_t ctx[] = "ledger v1", other[] = "ledger v2";
	static const char mldsa44[] = "COMPSIG-MLDSA44-Ed25519-SHA512";
	uint8_t mp[DOT_COMPOSITE_MP_MAX + 8], bad_mp[DOT_COMPOSITE_MP_MAX + 8];
	size_t n1 = sizeof(m1) - 1, n2 = sizeof(m2) - 1, cl = sizeof(ctx) - 1;
	size_t mplen, badlen;
	const uint8_t *lab = (const uint8_t *)LABEL;
	size_t llen = strlen(LABEL);

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(make_keys(&k, 0x41, 0x42));
	REQUIRE(dot_composite_sign_derand(sig, m1, n1, ctx, cl, k.sk, SK,
					  zero_rnd) == DOT_OK);
	REQUIRE(dot_composite_sign_derand(sig2, m2, n2, ctx, cl, k.sk, SK,
					  zero_rnd) == DOT_OK);
	mplen = our_mp(mp, m1, n1, ctx, cl);

	/* positive control: the draft's construction by hand verifies and
	 * equals ours (rnd = 0 both) */
	hand_sign(forged, &k, mp, mplen, lab, llen, mp, mplen);
	CHECK_MEM(forged, sig, SIG);
	CHECK_RC(dot_composite_verify(k.pk, PK, m1, n1, ctx, cl, forged, SIG),
		 DOT_OK);

	/* Ed25519 half replaced by a standalone Ed25519 signature of the
	 * raw message */
	memcpy(forged, sig, SIG);
	crypto_sign_detached(forged + MSIG, NULL, m1, n1, k.ed_sk);
	CHECK(ed_half_ok(k.pk, m1, n1, forged)); /* a real signature */
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	/* ML-DSA half replaced by a standalone ML-DSA-65 signature of the
	 * raw message: with an empty context, with the application's, with
	 * the Label as context */
	memcpy(forged, sig, SIG);
	REQUIRE(dot_mldsa65_sign_derand(forged, k.mldsa_sk, sizeof(k.mldsa_sk),
					m1, n1, NULL, 0, zero_rnd) == DOT_OK);
	CHECK(mldsa_half_ok(k.pk, m1, n1, NULL, 0, forged));
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	REFUSED(k.pk, m1, n1, NULL, 0, forged);
	REQUIRE(dot_mldsa65_sign_derand(forged, k.mldsa_sk, sizeof(k.mldsa_sk),
					m1, n1, ctx, cl, zero_rnd) == DOT_OK);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	REQUIRE(dot_mldsa65_sign_derand(forged, k.mldsa_sk, sizeof(k.mldsa_sk),
					m1, n1, lab, llen, zero_rnd) == DOT_OK);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	/* the ML-DSA half over M' but without the Label as its context
	 * (pure ML-DSA with an empty context, as a standalone ML-DSA
	 * signer asked for M' would make it) */
	hand_sign(forged, &k, mp, mplen, NULL, 0, mp, mplen);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);

	/* halves swapped between the signatures of two messages */
	memcpy(forged, sig, MSIG);
	memcpy(forged + MSIG, sig2 + MSIG, 64);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	REFUSED(k.pk, m2, n2, ctx, cl, forged);
	memcpy(forged, sig2, MSIG);
	memcpy(forged + MSIG, sig + MSIG, 64);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	REFUSED(k.pk, m2, n2, ctx, cl, forged);
	/* halves in the other order (Ed25519 first) */
	memcpy(forged, sig + MSIG, 64);
	memcpy(forged + 64, sig, MSIG);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);

	/* a different application context */
	REFUSED(k.pk, m1, n1, other, cl, sig);
	REFUSED(k.pk, m1, n1, NULL, 0, sig);
	REFUSED(k.pk, m1, n1, ctx, cl - 1, sig);

	/* both halves honest for another label: ML-DSA-44's (its Label as
	 * context and in M'), then ours in M' but the other as context */
	badlen =
	    build_mp(bad_mp, sizeof(bad_mp), PREFIX, (const uint8_t *)mldsa44,
		     strlen(mldsa44), m1, n1, ctx, cl);
	hand_sign(forged, &k, bad_mp, badlen, (const uint8_t *)mldsa44,
		  strlen(mldsa44), bad_mp, badlen);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	hand_sign(forged, &k, mp, mplen, (const uint8_t *)mldsa44,
		  strlen(mldsa44), mp, mplen);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	/* another prefix (the year changed) */
	badlen =
	    build_mp(bad_mp, sizeof(bad_mp), "CompositeAlgorithmSignatures2024",
		     lab, llen, m1, n1, ctx, cl);
	hand_sign(forged, &k, bad_mp, badlen, lab, llen, bad_mp, badlen);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	/* no prefix */
	badlen =
	    build_mp(bad_mp, sizeof(bad_mp), "", lab, llen, m1, n1, ctx, cl);
	hand_sign(forged, &k, bad_mp, badlen, lab, llen, bad_mp, badlen);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	/* the Ed25519 half alone over the other label's M', ML-DSA honest */
	memcpy(forged, sig, MSIG);
	badlen =
	    build_mp(bad_mp, sizeof(bad_mp), PREFIX, (const uint8_t *)mldsa44,
		     strlen(mldsa44), m1, n1, ctx, cl);
	crypto_sign_detached(forged + MSIG, NULL, bad_mp, badlen, k.ed_sk);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	/* M' without the pre-hash (the message itself in place of
	 * SHA-512(M)) */
	badlen = mplen - 64;
	memcpy(bad_mp, mp, badlen);
	memcpy(bad_mp + badlen, m1, n1);
	badlen += n1;
	hand_sign(forged, &k, bad_mp, badlen, lab, llen, bad_mp, badlen);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
	/* M' without the len(ctx) byte */
	memcpy(bad_mp, mp, 62);
	memcpy(bad_mp + 62, mp + 63, mplen - 63);
	badlen = mplen - 1;
	hand_sign(forged, &k, bad_mp, badlen, lab, llen, bad_mp, badlen);
	REFUSED(k.pk, m1, n1, ctx, cl, forged);
}

/* Each byte of buf (n bytes, sig's or pk's) changed in turn by one bit,
 * which bit going round with the position, and by xor 0xff: how many
 * changes sig still verifies under pk for msg (6 bytes) with ctx (1). */
static int
changes_accepted(const char *what, uint8_t *buf, size_t n, const uint8_t *pk,
		 const uint8_t *sig, const uint8_t *msg, const uint8_t *ctx)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t flips[2] = {(uint8_t)(1u << (i % 8)), 0xff};

		for (int f = 0; f < 2; f++) {
			buf[i] ^= flips[f];
			if (dot_composite_verify(pk, PK, msg, 6, ctx, 1, sig,
						 SIG) !=
			    DOT_ECRYPTO_COMPOSITE_SIG) {
				printf("# %s byte %zu ^ %02x accepted\n", what,
				       i, flips[f]);
				bad++;
			}
			buf[i] ^= flips[f];
		}
	}
	return bad;
}

/* Every truncation and extension, and every single-byte change, of sig
 * and of pk is refused. */
static void
test_tamper(void)
{
	static struct keys k;
	static uint8_t sig[SIG + 1], pk[PK + 1];
	static const uint8_t msg[] = "tamper", ctx[] = "c";
	int bad_sig, bad_pk, bad_len = 0;

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(make_keys(&k, 0x51, 0x52));
	REQUIRE(dot_composite_sign_derand(sig, msg, 6, ctx, 1, k.sk, SK,
					  zero_rnd) == DOT_OK);
	memcpy(pk, k.pk, PK);
	REQUIRE(dot_composite_verify(pk, PK, msg, 6, ctx, 1, sig, SIG) ==
		DOT_OK);
	for (size_t n = 0; n <= SIG + 1; n++)
		if (n != SIG &&
		    dot_composite_verify(pk, PK, msg, 6, ctx, 1, sig, n) !=
			DOT_ECRYPTO_COMPOSITE_SIG)
			bad_len++;
	for (size_t n = 0; n <= PK + 1; n++)
		if (n != PK &&
		    dot_composite_verify(pk, n, msg, 6, ctx, 1, sig, SIG) !=
			DOT_ECRYPTO_COMPOSITE_PK)
			bad_len++;
	bad_sig = changes_accepted("sig", sig, SIG, pk, sig, msg, ctx);
	bad_pk = changes_accepted("pk", pk, PK, pk, sig, msg, ctx);
	CHECK(bad_len == 0);
	CHECK(bad_sig == 0);
	CHECK(bad_pk == 0);
	/* untouched, it still verifies */
	CHECK_RC(dot_composite_verify(pk, PK, msg, 6, ctx, 1, sig, SIG),
		 DOT_OK);
}

/*
 * The Ed25519 half under libsodium's rules (docs/crypto.md §7), each with
 * an honest ML-DSA half so that only the Ed25519 check can refuse: S + L
 * (non-canonical S, the malleability RFC 8032 §5.1.7 forbids), the
 * identity as key with R = identity and S = 0 (the universal forgery of a
 * small-order key), a non-canonical encoding of the key. And
 * dot_composite_pk_check, which also refuses a mixed-order key.
 */
static void
test_ed25519_rules(void)
{
	static struct keys k;
	static uint8_t sig[SIG], pk[PK], forged[SIG];
	static const uint8_t msg[] = "edwards";
	/* L, the order of the base point, little-endian */
	static const uint8_t L[32] = {
	    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
	    0xa2, 0xde, 0xf9, 0xde, 0x14, 0,	0,    0,    0,	  0,	0,
	    0,	  0,	0,    0,    0,	  0,	0,    0,    0,	  0x10,
	};
	/* a point of order 8 (from libsodium's small-order list) */
	static const uint8_t order8[32] = {
	    0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	    0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	    0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
	};
	unsigned carry = 0;

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(make_keys(&k, 0x61, 0x62));
	REQUIRE(dot_composite_sign_derand(sig, msg, 7, NULL, 0, k.sk, SK,
					  zero_rnd) == DOT_OK);
	CHECK_RC(dot_composite_pk_check(k.pk, PK), DOT_OK);

	/* S + L */
	memcpy(forged, sig, SIG);
	for (int i = 0; i < 32; i++) {
		unsigned v = forged[MSIG + 32 + i] + L[i] + carry;
		forged[MSIG + 32 + i] = (uint8_t)v;
		carry = v >> 8;
	}
	CHECK(carry == 0); /* S + L < 2^256: still 32 bytes */
	REFUSED(k.pk, msg, 7, NULL, 0, forged);

	/* the identity key: R = identity, S = 0 satisfies [S]B = R + [k]A
	 * for every message */
	memcpy(pk, k.pk, PK);
	memset(pk + MPK, 0, 32);
	pk[MPK] = 1;
	memcpy(forged, sig, MSIG);
	memset(forged + MSIG, 0, 64);
	forged[MSIG] = 1;
	REFUSED(pk, msg, 7, NULL, 0, forged);
	CHECK_RC(dot_composite_pk_check(pk, PK), DOT_ECRYPTO_COMPOSITE_PK);
	/* a point of order 8 as key */
	memcpy(pk + MPK, order8, 32);
	CHECK_RC(dot_composite_pk_check(pk, PK), DOT_ECRYPTO_COMPOSITE_PK);
	/* a non-canonical key: y = p + 1 encodes y = 1, the identity */
	memset(pk + MPK, 0xff, 32);
	pk[MPK] = 0xee;
	pk[MPK + 31] = 0x7f;
	CHECK_RC(dot_composite_pk_check(pk, PK), DOT_ECRYPTO_COMPOSITE_PK);
	REFUSED(pk, msg, 7, NULL, 0, forged);
	/* the honest key plus a point of order 8: mixed order. pk_check
	 * refuses it; verification alone does not look at the subgroup */
	memcpy(pk, k.pk, PK);
	REQUIRE(crypto_core_ed25519_add(pk + MPK, k.pk + MPK, order8) == 0);
	CHECK(memcmp(pk + MPK, k.pk + MPK, 32) != 0);
	CHECK_RC(dot_composite_pk_check(pk, PK), DOT_ECRYPTO_COMPOSITE_PK);
	CHECK_RC(dot_composite_pk_check(k.pk, PK - 1),
		 DOT_ECRYPTO_COMPOSITE_PK);
	CHECK_RC(dot_composite_pk_check(k.pk, PK + 1),
		 DOT_ECRYPTO_COMPOSITE_PK);
	/* every 1952-byte string is an ML-DSA key: zeros pass pk_check */
	memcpy(pk, k.pk, PK);
	memset(pk, 0, MPK);
	CHECK_RC(dot_composite_pk_check(pk, PK), DOT_OK);
}

/* Lengths of sk, ctx over 255 bytes. */
static void
test_inputs(void)
{
	static struct keys k;
	static uint8_t sig[SIG], pk[PK], sk[SK + 1];
	static uint8_t ctx[256];
	static const uint8_t msg[] = "inputs";
	uint8_t xi[32], ed[32];

	REQUIRE(dot_crypto_init() == DOT_OK);
	REQUIRE(make_keys(&k, 0x71, 0x72));
	memcpy(sk, k.sk, SK);
	memset(ctx, 0x5a, sizeof(ctx));
	/* sk of 63 and 65 bytes, and none */
	memset(sig, 0xaa, SIG);
	CHECK_RC(dot_composite_sign_derand(sig, msg, 6, NULL, 0, sk, SK - 1,
					   zero_rnd),
		 DOT_ECRYPTO_COMPOSITE_SK);
	CHECK(pq_all_zero(sig, SIG));
	memset(sig, 0xaa, SIG);
	CHECK_RC(dot_composite_sign_derand(sig, msg, 6, NULL, 0, sk, SK + 1,
					   zero_rnd),
		 DOT_ECRYPTO_COMPOSITE_SK);
	CHECK(pq_all_zero(sig, SIG));
	CHECK_RC(
	    dot_composite_sign_derand(sig, msg, 6, NULL, 0, sk, 0, zero_rnd),
	    DOT_ECRYPTO_COMPOSITE_SK);
	memset(pk, 0xaa, PK);
	CHECK_RC(dot_composite_sk_to_pk(pk, sk, SK - 1),
		 DOT_ECRYPTO_COMPOSITE_SK);
	CHECK(pq_all_zero(pk, PK));
	CHECK_RC(dot_composite_sk_to_pk(pk, sk, SK + 1),
		 DOT_ECRYPTO_COMPOSITE_SK);
	/* ctx of 255 bytes is the longest */
	CHECK_RC(
	    dot_composite_sign_derand(sig, msg, 6, ctx, 255, sk, SK, zero_rnd),
	    DOT_OK);
	CHECK_RC(dot_composite_verify(k.pk, PK, msg, 6, ctx, 255, sig, SIG),
		 DOT_OK);
	CHECK_RC(dot_composite_verify(k.pk, PK, msg, 6, ctx, 256, sig, SIG),
		 DOT_EINVAL);
	memset(sig, 0xaa, SIG);
	CHECK_RC(
	    dot_composite_sign_derand(sig, msg, 6, ctx, 256, sk, SK, zero_rnd),
	    DOT_EINVAL);
	CHECK(pq_all_zero(sig, SIG));
	CHECK_RC(dot_composite_sign(sig, msg, 6, ctx, 256, sk, SK, ctx),
		 DOT_EINVAL);
	/* the key pair's sk is the two seeds, in order */
	memset(xi, 0x71, 32);
	memset(ed, 0x72, 32);
	CHECK_MEM(k.sk, xi, 32);
	CHECK_MEM(k.sk + 32, ed, 32);
	/* two keys from swapped seeds differ */
	static struct keys k2;
	REQUIRE(make_keys(&k2, 0x72, 0x71));
	CHECK(memcmp(k.pk, k2.pk, PK) != 0);
}

/*
 * The composite as suite 0x03 of crypto.h's signing API (docs/crypto.md
 * §13.6): a key from one 32-byte seed, deterministic signatures that the
 * composite verifier accepts with an empty context, both halves bound, the
 * channel key from the Ed25519 half, and refusals across suites.
 */
static void
test_suite_api(void)
{
	static uint8_t pk[DOT_SIGN_PK_MAX], pk2[DOT_SIGN_PK_MAX];
	static uint8_t sig[DOT_SIGN_SIG_MAX], sig2[DOT_SIGN_SIG_MAX];
	static uint8_t epk[DOT_SIGN_PK_MAX], esig[DOT_SIGN_SIG_MAX];
	static char text[DOT_PK_TEXT_MAX];
	static uint8_t back[DOT_SIGN_PK_MAX];
	uint8_t seed[DOT_SEED_LEN], kx1[32], kx2[32], ekx[32];
	struct dot_sign_sk *sk = NULL, *sk2 = NULL, *ed = NULL;
	const char msg[] = "a transaction's signed bytes";
	size_t pklen, siglen, siglen2, epklen, esiglen, blen;

	REQUIRE(dot_crypto_init() == DOT_OK);
	memset(seed, 0x5a, sizeof(seed));
	REQUIRE_RC(dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519_MLDSA65, seed),
		   DOT_OK);
	CHECK(dot_sign_sk_suite(sk) == DOT_SUITE_ED25519_MLDSA65);
	pklen = dot_sign_sk_public(sk, pk);
	CHECK(pklen == 1 + DOT_COMPOSITE_PK_LEN && pk[0] == 0x03);
	CHECK_RC(dot_sign_pk_check(pk, pklen), DOT_OK);
	CHECK_RC(dot_sign_pk_check(pk, pklen - 1), DOT_ECRYPTO_KEY);
	/* the same seed, the same key; the Ed25519 suite's key differs */
	REQUIRE_RC(dot_sign_sk_from_seed(&sk2, DOT_SUITE_ED25519_MLDSA65, seed),
		   DOT_OK);
	CHECK(dot_sign_sk_public(sk2, pk2) == pklen);
	CHECK_MEM(pk, pk2, pklen);
	REQUIRE_RC(dot_sign_sk_from_seed(&ed, DOT_SUITE_ED25519, seed), DOT_OK);
	epklen = dot_sign_sk_public(ed, epk);
	CHECK(memcmp(epk + 1, pk + 1 + 1952, 32) != 0);

	/* deterministic, and the composite verifier agrees (empty ctx) */
	REQUIRE_RC(dot_sign(sk, msg, sizeof(msg), sig, &siglen), DOT_OK);
	CHECK(siglen == 1 + DOT_COMPOSITE_SIG_LEN && sig[0] == 0x03);
	REQUIRE_RC(dot_sign(sk2, msg, sizeof(msg), sig2, &siglen2), DOT_OK);
	CHECK(siglen2 == siglen);
	CHECK_MEM(sig, sig2, siglen);
	CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg), sig, siglen), DOT_OK);
	CHECK_RC(dot_composite_verify(pk + 1, pklen - 1, (const uint8_t *)msg,
				      sizeof(msg), NULL, 0, sig + 1,
				      siglen - 1),
		 DOT_OK);
	/* another message, a flipped byte in either half, truncations */
	CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg) - 1, sig, siglen),
		 DOT_ECRYPTO_SIGNATURE);
	for (size_t at = 1; at < siglen; at += 997) {
		sig[at] ^= 0x10;
		CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg), sig, siglen),
			 DOT_ECRYPTO_SIGNATURE);
		sig[at] ^= 0x10;
	}
	sig[siglen - 1] ^= 1; /* the Ed25519 half */
	CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg), sig, siglen),
		 DOT_ECRYPTO_SIGNATURE);
	sig[siglen - 1] ^= 1;
	CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg), sig, siglen - 1),
		 DOT_ECRYPTO_SIGNATURE);
	/* stripping: the Ed25519 half alone, as an Ed25519 signature under
	 * the Ed25519 half of the key, is not a composite one, and the
	 * composite signature does not pass as Ed25519 either */
	REQUIRE_RC(dot_sign(ed, msg, sizeof(msg), esig, &esiglen), DOT_OK);
	CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg), esig, esiglen),
		 DOT_ECRYPTO_SUITE);
	CHECK_RC(dot_verify(epk, epklen, msg, sizeof(msg), sig, siglen),
		 DOT_ECRYPTO_SUITE);
	esig[0] = 0x03;
	CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg), esig, esiglen),
		 DOT_ECRYPTO_SIGNATURE);
	sig[0] = 0x01;
	CHECK_RC(dot_verify(pk, pklen, msg, sizeof(msg), sig, siglen),
		 DOT_ECRYPTO_SUITE);
	sig[0] = 0x03;

	/* the channel key is the Ed25519 half's: the X25519 secret from the
	 * private side has the public key mapped from the public side */
	CHECK_RC(dot_sign_sk_to_kx(sk, kx1), DOT_OK);
	CHECK_RC(dot_sign_pk_to_kx(pk, pklen, kx2), DOT_OK);
	REQUIRE(crypto_scalarmult_base(ekx, kx1) == 0);
	CHECK_MEM(ekx, kx2, 32);
	CHECK_RC(dot_sign_pk_to_kx(epk, epklen, ekx), DOT_OK);
	CHECK(memcmp(kx2, ekx, 32) != 0);

	/* the text form carries it whole */
	REQUIRE_RC(dot_pk_to_text(pk, pklen, text, sizeof(text)), DOT_OK);
	REQUIRE_RC(dot_pk_from_text(text, back, sizeof(back), &blen), DOT_OK);
	CHECK(blen == pklen);
	CHECK_MEM(back, pk, pklen);
	dot_sign_sk_free(sk);
	dot_sign_sk_free(sk2);
	dot_sign_sk_free(ed);
}

T_MAIN(T_CASE(test_vectors), T_CASE(test_sizes), T_CASE(test_round_trip),
       T_CASE(test_randomness), T_CASE(test_stripping), T_CASE(test_tamper),
       T_CASE(test_ed25519_rules), T_CASE(test_inputs),
       T_CASE(test_suite_api))
