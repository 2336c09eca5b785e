/*
 * bench_pq.c - ML-DSA-65 and ML-KEM-768 (lib/crypto) beside libsodium's
 * Ed25519 and X25519, in one process (bench/pq/run; the method is in
 * bench/RESULTS.md, "## bench/pq").
 *
 * Cells: ML-DSA-65 keygen, sign, verify, each twice: as the library
 * chooses (its AVX2 code where the CPU has AVX2) and with the portable
 * code forced (dot_crypto_set_avx2(0), lib/crypto/sha3x4.h; the "_portable"
 * cells); ML-KEM-768 keygen, encaps, decaps (portable C only); Ed25519
 * sign, verify; X25519 scalar multiplication; and the crypto policy's
 * cost on capability tokens (docs/crypto.md §14): the composite ML-DSA-65
 * + Ed25519 verify (suite 0x03 through dot_verify, over 32 bytes, what a
 * token block's signature covers) and the check dot_verify makes of the
 * composite key's Ed25519 half (libsodium's
 * crypto_core_ed25519_is_valid_point, over 16 keys), then dot_token_parse +
 * dot_token_verify_chain (cold: no cache) of a token of 2 blocks (root +
 * one attenuation) and of 3 blocks (root + two), and dot_token_verify
 * (the 3-block chain and the holder's proof of possession), each with
 * three sets of keys: classic (every key Ed25519), hybrid (every key
 * composite) and hybrid with classic attenuation (a composite issuer,
 * Ed25519 holders), verified under the matching verifier.policy. Every
 * operation is timed on its own, with CLOCK_MONOTONIC and (x86-64) the
 * time-stamp counter. A round runs OPS operations of each cell, the cells
 * in an order that rotates from round to round, so drift of the machine
 * hits them alike. Inputs vary from call to call: a fresh 64-byte message
 * and rnd per signature (so the number of ML-DSA signing iterations
 * varies as it does in use), a fresh seed per key pair and m per
 * encapsulation (through the _derand forms, which the randomised ones
 * call with fresh randomness), verification over 16 (pk, message,
 * signature) triples, decapsulation over 16 ciphertexts, X25519 over 16
 * scalars and points.
 *
 * On a shared machine a long operation is more likely than a short one to
 * lose the processor part way, which would bias the ratios against it:
 * an operation during which the thread was preempted (its count of
 * involuntary context switches, read with getrusage outside the timed
 * interval, changed) is timed again on the same inputs, up to 20 times.
 * The number of such repeats is printed ("preempted").
 *
 * Before timing, the controls: an ML-DSA signature verifies and fails
 * with one byte changed, ML-KEM's two shared secrets agree and a changed
 * ciphertext gives another; a token verifies, and fails with one byte
 * changed in either half of a composite signature, and the classic and
 * the classically attenuated tokens are refused under the hybrid policy
 * (DOT_EPOLICY); every timed call checks its result (a token verify also
 * the number of block signatures it checked), or the program aborts.
 *
 * Usage: bench_pq [ROUNDS [OPS]] (defaults 21, 50). Output, one per line:
 *   avx2 0|1        (whether the default cells ran the AVX2 code)
 *   preempted N     (operations timed again, above)
 *   size NAME BYTES
 *   cell NAME MEDIAN_US MEAN_US MEDIAN_CYCLES MIN_US MAX_US SAMPLES
 *   ratio NAME PEER MEDIAN MIN MAX OVERALL
 * (ratio: the cell's per-round median over the peer's, per round, then
 * the median and range over rounds; OVERALL is the ratio of the medians
 * over all samples.) MEDIAN_CYCLES is 0 where there is no TSC.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#include <sodium.h>

#include "crypto/sha3x4.h"
#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/mldsa.h"
#include "doteros/mlkem.h"
#include "doteros/token.h"

#define MAX_ROUNDS 1001
#define MAX_OPS	   1000
#define NSET	   16 /* rotating inputs per cell */
#define MSG_LEN	   64

enum {
	C_DSA_KEYGEN,
	C_DSA_SIGN,
	C_DSA_VERIFY,
	C_KEM_KEYGEN,
	C_KEM_ENCAPS,
	C_KEM_DECAPS,
	C_ED_SIGN,
	C_ED_VERIFY,
	C_X25519,
	C_COMP_VERIFY,
	C_ED_POINT, /* the key check dot_verify makes of a composite key */
	C_TOK2_CLASSIC, /* parse + verify_chain, 2 blocks */
	C_TOK2_HYBRID,
	C_TOK2_HCA,
	C_TOK3_CLASSIC, /* parse + verify_chain, 3 blocks */
	C_TOK3_HYBRID,
	C_TOK3_HCA,
	C_TOKP3_CLASSIC, /* parse + verify (chain + holder proof), 3 blocks */
	C_TOKP3_HYBRID,
	C_TOKP3_HCA,
	C_DSA_KEYGEN_P,
	C_DSA_SIGN_P,
	C_DSA_VERIFY_P,
	C_COMP_VERIFY_WARM, /* one key again and again (its ML-DSA half
			     * prepared: lib/crypto/mldsa.c's key slots) */
	NCELLS
};

static const char *const names[NCELLS] = {
	"mldsa65_keygen", "mldsa65_sign",    "mldsa65_verify",
	"mlkem768_keygen", "mlkem768_encaps", "mlkem768_decaps",
	"ed25519_sign",	  "ed25519_verify",  "x25519",
	"composite_verify", "ed25519_point_check",
	"token2_chain_classic", "token2_chain_hybrid", "token2_chain_hca",
	"token3_chain_classic", "token3_chain_hybrid", "token3_chain_hca",
	"token3_proof_classic", "token3_proof_hybrid", "token3_proof_hca",
	"mldsa65_keygen_portable", "mldsa65_sign_portable",
	"mldsa65_verify_portable",
	"composite_verify_warm",
};

/* The ratios reported: cell over peer. */
static const int ratios[][2] = {
	{C_DSA_SIGN, C_ED_SIGN},     {C_DSA_VERIFY, C_ED_VERIFY},
	{C_DSA_KEYGEN, C_ED_SIGN},   {C_KEM_ENCAPS, C_X25519},
	{C_KEM_DECAPS, C_X25519},    {C_KEM_KEYGEN, C_X25519},
	{C_DSA_SIGN_P, C_ED_SIGN},   {C_DSA_VERIFY_P, C_ED_VERIFY},
	{C_DSA_KEYGEN_P, C_ED_SIGN},
	{C_COMP_VERIFY, C_ED_VERIFY}, {C_COMP_VERIFY_WARM, C_ED_VERIFY},
	{C_TOK2_HYBRID, C_TOK2_CLASSIC}, {C_TOK2_HCA, C_TOK2_CLASSIC},
	{C_TOK3_HYBRID, C_TOK3_CLASSIC}, {C_TOK3_HCA, C_TOK3_CLASSIC},
	{C_TOKP3_HYBRID, C_TOKP3_CLASSIC}, {C_TOKP3_HCA, C_TOKP3_CLASSIC},
};

/*
 * The tokens (as bench/token's): block 0, issuer -> alice, path "/file1",
 * read|write, expires 2030-06-01; block 1, alice -> bob, read only; block
 * 2, bob -> carol, expires 2030-01-01; each verify asks for read on
 * "/file1" at 2027-01-01. One fixture per key set.
 */
enum { K_CLASSIC, K_HYBRID, K_HCA, NKSETS };
static const char *const kset_names[NKSETS] = {"classic", "hybrid", "hca"};

#define T_NOW	   1798761600u /* 2027-01-01T00:00:00Z */
#define T_EXPIRES0 1906502400u /* 2030-06-01T00:00:00Z */
#define T_EXPIRES2 1893456000u /* 2030-01-01T00:00:00Z */

static const char resource[] = "/file1";
static const char request_msg[] = "dot-bench: read /file1 (a tx hash)";

struct tokset {
	struct dot_sign_sk *sk[4]; /* issuer, alice, bob, carol */
	uint8_t pk[4][DOT_SIGN_PK_MAX];
	size_t pklen[4];
	struct dot_buf tok2, tok3;
	uint8_t pop[DOT_SIGN_SIG_MAX]; /* carol's proof over request_msg */
	size_t pop_len;
	struct dot_token_verifier v;
};

static struct tokset toks[NKSETS];
static struct dot_token_request treq;
static struct dot_err terr;
static struct dot_sign_sk *comp_sk;
static uint8_t comp_pk[DOT_SIGN_PK_MAX], comp_sig[NSET][DOT_SIGN_SIG_MAX];
/* the cold cell's: NSET keys in turn, more than a thread keeps prepared */
static uint8_t compc_pk[NSET][DOT_SIGN_PK_MAX], compc_sig[NSET][DOT_SIGN_SIG_MAX];
static size_t compc_pk_len[NSET], compc_sig_len[NSET];
static uint8_t comp_msg[NSET][DOT_HASH_LEN];
static size_t comp_pk_len, comp_sig_len[NSET];

static struct {
	uint8_t pk[NSET][DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];
	uint8_t vsig[NSET][DOT_MLDSA65_SIG_LEN], sig[DOT_MLDSA65_SIG_LEN];
	uint8_t kpk[DOT_MLDSA65_PK_LEN], ksk[DOT_MLDSA65_SK_LEN];
	uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];
	uint8_t kek[DOT_MLKEM768_EK_LEN], kdk[DOT_MLKEM768_DK_LEN];
	uint8_t ct[NSET][DOT_MLKEM768_CT_LEN], ct1[DOT_MLKEM768_CT_LEN];
	uint8_t ss[DOT_MLKEM768_SS_LEN], ss1[DOT_MLKEM768_SS_LEN];
	uint8_t edpk[NSET][crypto_sign_PUBLICKEYBYTES];
	uint8_t edsk[crypto_sign_SECRETKEYBYTES];
	uint8_t edsig[NSET][crypto_sign_BYTES], esig[crypto_sign_BYTES];
	uint8_t xs[NSET][crypto_scalarmult_SCALARBYTES];
	uint8_t xp[NSET][crypto_scalarmult_BYTES], xq[crypto_scalarmult_BYTES];
	uint8_t vmsg[NSET][MSG_LEN], msg[MSG_LEN], rnd[32], seed[64];
} w;

static double samples[NCELLS][MAX_ROUNDS * MAX_OPS];
static double cycles[NCELLS][MAX_ROUNDS * MAX_OPS];
static double round_med[NCELLS][MAX_ROUNDS];
static uint64_t counter;
static long preempted;

static long
nivcsw(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0;
	return ru.ru_nivcsw;
}

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_pq: %s: %s\n", what,
		rc ? dot_errname(rc) : "unexpected success");
	abort();
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t
tsc(void)
{
#if HAVE_TSC
	return __rdtsc();
#else
	return 0;
#endif
}

/* Fresh inputs: a counter in the first 8 bytes of the message, of rnd
 * and of the key seeds (each with its own tag byte). */
static void
next_msg(void)
{
	counter++;
	memcpy(w.msg, &counter, sizeof(counter));
	memcpy(w.rnd, &counter, sizeof(counter));
	w.rnd[31] = 0x52;
	memcpy(w.seed, &counter, sizeof(counter));
	w.seed[63] = 0x53;
}

/*
 * Parse a token of the set (2 or 3 blocks) and verify its chain, cold,
 * and with proof the holder's proof too. Every block signature must have
 * been checked.
 */
static int
token_verify(const struct tokset *t, int blocks, int proof)
{
	const struct dot_buf *b = blocks == 2 ? &t->tok2 : &t->tok3;
	struct dot_token *tok = NULL;
	struct dot_token_result res;
	int rc;

	rc = dot_token_parse(b->data, b->len, &tok, &terr);
	if (rc != DOT_OK)
		return rc;
	if (proof)
		rc = dot_token_verify(tok, &t->v, &treq, request_msg,
				      sizeof(request_msg) - 1, t->pop,
				      t->pop_len, &res, &terr);
	else
		rc = dot_token_verify_chain(tok, &t->v, &treq, &res, &terr);
	dot_token_free(tok);
	if (rc == DOT_OK && res.blocks_verified != (size_t)blocks)
		die("token: not every block signature was checked",
		    DOT_ETOKEN_SIGNATURE);
	return rc;
}

static void
token_key(struct tokset *t, int i, uint8_t suite, uint8_t byte)
{
	uint8_t seed[DOT_SEED_LEN];
	int rc;

	memset(seed, byte, sizeof(seed));
	rc = dot_sign_sk_from_seed(&t->sk[i], suite, seed);
	if (rc != DOT_OK)
		die("dot_sign_sk_from_seed", rc);
	t->pklen[i] = dot_sign_sk_public(t->sk[i], t->pk[i]);
}

/* Parse src and append a block signed by holder i (1: alice, 2: bob)
 * that names holder i + 1 as the next, into out. */
static int
token_extend(const struct tokset *t, const struct dot_buf *src, int i,
	     const struct dot_token_caveats *cav, struct dot_buf *out)
{
	struct dot_token *tok = NULL;
	int rc = dot_token_parse(src->data, src->len, &tok, &terr);

	if (rc == DOT_OK)
		rc = dot_token_attenuate(tok, t->sk[i], cav, t->pk[i + 1],
					 t->pklen[i + 1], out, &terr);
	dot_token_free(tok);
	return rc;
}

static void
token_setup(void)
{
	static const unsigned policy[NKSETS] = {
		DOT_POLICY_CLASSIC, DOT_POLICY_HYBRID,
		DOT_POLICY_HYBRID | DOT_POLICY_CLASSIC_ATTENUATION};
	struct dot_token_caveats cav[3];
	struct dot_token *tok = NULL;
	struct dot_buf tok1 = {0};
	int rc;

	memset(cav, 0, sizeof(cav));
	cav[0].present = DOT_CAV_RIGHTS | DOT_CAV_EXPIRES;
	cav[0].rights = DOT_RIGHT_READ | DOT_RIGHT_WRITE;
	cav[0].expires = T_EXPIRES0;
	cav[1].present = DOT_CAV_RIGHTS;
	cav[1].rights = DOT_RIGHT_READ;
	cav[2].present = DOT_CAV_EXPIRES;
	cav[2].expires = T_EXPIRES2;
	treq.rights = DOT_RIGHT_READ;
	treq.path = resource;
	treq.path_len = sizeof(resource) - 1;
	treq.now = T_NOW;
	for (int s = 0; s < NKSETS; s++) {
		struct tokset *t = &toks[s];

		for (int i = 0; i < 4; i++)
			token_key(t, i,
				  s == K_CLASSIC || (s == K_HCA && i > 0)
					  ? DOT_SUITE_ED25519
					  : DOT_SUITE_ED25519_MLDSA65,
				  (uint8_t)(0x10 * s + i + 1));
		tok1.len = 0;
		rc = dot_token_mint(t->sk[0], DOT_RESOURCE_PATH, resource,
				    sizeof(resource) - 1, &cav[0], t->pk[1],
				    t->pklen[1], &tok1, &terr);
		if (rc == DOT_OK)
			rc = token_extend(t, &tok1, 1, &cav[1], &t->tok2);
		if (rc == DOT_OK)
			rc = token_extend(t, &t->tok2, 2, &cav[2], &t->tok3);
		if (rc == DOT_OK)
			rc = dot_token_parse(t->tok3.data, t->tok3.len, &tok,
					     &terr);
		if (rc == DOT_OK)
			rc = dot_token_sign_request(tok, t->sk[3], request_msg,
						    sizeof(request_msg) - 1,
						    t->pop, &t->pop_len);
		dot_token_free(tok);
		tok = NULL;
		if (rc != DOT_OK) {
			fprintf(stderr, "bench_pq: token (%s): %s\n",
				kset_names[s], terr.msg);
			die("token setup", rc);
		}
		t->v.issuer_pk = t->pk[0];
		t->v.issuer_pk_len = t->pklen[0];
		t->v.policy = policy[s];
	}
	/* The composite verify cells: warm, one key and NSET messages;
	 * cold, NSET keys in turn (each verify prepares its key anew). */
	randombytes_buf(comp_msg, sizeof(comp_msg));
	for (int k = 0; k < NSET; k++) {
		struct dot_sign_sk *sk = NULL;
		uint8_t seed[DOT_SEED_LEN];

		randombytes_buf(seed, sizeof(seed));
		rc = dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519_MLDSA65,
					   seed);
		sodium_memzero(seed, sizeof(seed));
		if (rc == DOT_OK) {
			compc_pk_len[k] = dot_sign_sk_public(sk, compc_pk[k]);
			rc = dot_sign(sk, comp_msg[k], sizeof(comp_msg[k]),
				      compc_sig[k], &compc_sig_len[k]);
		}
		dot_sign_sk_free(sk);
		if (rc != DOT_OK)
			die("composite sign (cold)", rc);
	}
	{
		uint8_t seed[DOT_SEED_LEN];

		randombytes_buf(seed, sizeof(seed));
		rc = dot_sign_sk_from_seed(&comp_sk, DOT_SUITE_ED25519_MLDSA65,
					   seed);
		sodium_memzero(seed, sizeof(seed));
		if (rc != DOT_OK)
			die("dot_sign_sk_from_seed", rc);
		comp_pk_len = dot_sign_sk_public(comp_sk, comp_pk);
		for (int k = 0; k < NSET; k++) {
			rc = dot_sign(comp_sk, comp_msg[k], sizeof(comp_msg[k]),
				      comp_sig[k], &comp_sig_len[k]);
			if (rc != DOT_OK)
				die("composite sign", rc);
		}
	}
	dot_buf_free(&tok1);
}

static void
token_teardown(void)
{
	for (int s = 0; s < NKSETS; s++) {
		for (int i = 0; i < 4; i++)
			dot_sign_sk_free(toks[s].sk[i]);
		dot_buf_free(&toks[s].tok2);
		dot_buf_free(&toks[s].tok3);
	}
	dot_sign_sk_free(comp_sk);
}

/* One operation of cell c; the inputs rotate with i. */
static void
op(int c, int i)
{
	int k = i % NSET, rc = DOT_OK;

	if (c >= C_DSA_KEYGEN_P && c <= C_DSA_VERIFY_P) {
		dot_crypto_set_avx2(0);
		op(c - C_DSA_KEYGEN_P + C_DSA_KEYGEN, i);
		dot_crypto_set_avx2(1);
		return;
	}
	switch (c) {
	case C_DSA_KEYGEN:
		dot_mldsa65_keypair_derand(w.kpk, w.ksk, w.seed);
		break;
	case C_DSA_SIGN:
		rc = dot_mldsa65_sign_derand(w.sig, w.sk, sizeof(w.sk), w.msg,
					     MSG_LEN, NULL, 0, w.rnd);
		break;
	case C_DSA_VERIFY:
		rc = dot_mldsa65_verify(w.pk[k], DOT_MLDSA65_PK_LEN,
					w.vmsg[k], MSG_LEN, NULL, 0,
					w.vsig[k], DOT_MLDSA65_SIG_LEN);
		break;
	case C_KEM_KEYGEN:
		dot_mlkem768_keypair_derand(w.kek, w.kdk, w.seed, w.seed + 32);
		break;
	case C_KEM_ENCAPS:
		rc = dot_mlkem768_encaps_derand(w.ct1, w.ss1, w.ek,
						sizeof(w.ek), w.rnd);
		break;
	case C_KEM_DECAPS:
		rc = dot_mlkem768_decaps(w.ss1, w.ct[k], DOT_MLKEM768_CT_LEN,
					 w.dk, sizeof(w.dk));
		break;
	case C_ED_SIGN:
		crypto_sign_detached(w.esig, NULL, w.msg, MSG_LEN, w.edsk);
		break;
	case C_ED_VERIFY:
		if (crypto_sign_verify_detached(w.edsig[k], w.vmsg[k], MSG_LEN,
						w.edpk[k]) != 0)
			die("ed25519 verify", DOT_ECRYPTO_SIGNATURE);
		break;
	case C_X25519:
		if (crypto_scalarmult_curve25519(w.xq, w.xs[k], w.xp[k]) != 0)
			die("x25519", DOT_ECRYPTO_KEY);
		break;
	case C_COMP_VERIFY:
		rc = dot_verify(compc_pk[k], compc_pk_len[k], comp_msg[k],
				sizeof(comp_msg[k]), compc_sig[k],
				compc_sig_len[k]);
		break;
	case C_COMP_VERIFY_WARM:
		rc = dot_verify(comp_pk, comp_pk_len, comp_msg[k],
				sizeof(comp_msg[k]), comp_sig[k],
				comp_sig_len[k]);
		break;
	case C_ED_POINT:
		if (crypto_core_ed25519_is_valid_point(w.edpk[k]) != 1)
			die("ed25519 point check", DOT_ECRYPTO_KEY);
		break;
	case C_TOK2_CLASSIC:
	case C_TOK2_HYBRID:
	case C_TOK2_HCA:
		rc = token_verify(&toks[c - C_TOK2_CLASSIC], 2, 0);
		break;
	case C_TOK3_CLASSIC:
	case C_TOK3_HYBRID:
	case C_TOK3_HCA:
		rc = token_verify(&toks[c - C_TOK3_CLASSIC], 3, 0);
		break;
	case C_TOKP3_CLASSIC:
	case C_TOKP3_HYBRID:
	case C_TOKP3_HCA:
		rc = token_verify(&toks[c - C_TOKP3_CLASSIC], 3, 1);
		break;
	}
	if (rc != DOT_OK)
		die(names[c], rc);
}

static void
setup(void)
{
	uint8_t esk[crypto_sign_SECRETKEYBYTES];
	int rc;

	randombytes_buf(w.vmsg, sizeof(w.vmsg));
	randombytes_buf(w.msg, sizeof(w.msg));
	dot_mldsa65_keypair(w.pk[0], w.sk);
	crypto_sign_keypair(w.edpk[0], w.edsk);
	for (int k = 0; k < NSET; k++) {
		uint8_t sk[DOT_MLDSA65_SK_LEN];

		dot_mldsa65_keypair(w.pk[k], sk);
		rc = dot_mldsa65_sign(w.vsig[k], sk, sizeof(sk), w.vmsg[k],
				      MSG_LEN, NULL, 0);
		if (rc != DOT_OK)
			die("ml-dsa sign", rc);
		sodium_memzero(sk, sizeof(sk));
		crypto_sign_keypair(w.edpk[k], esk);
		crypto_sign_detached(w.edsig[k], NULL, w.vmsg[k], MSG_LEN,
				     esk);
		randombytes_buf(w.xs[k], sizeof(w.xs[k]));
		crypto_scalarmult_curve25519_base(w.xp[k], w.xs[k]);
		randombytes_buf(w.xs[k], sizeof(w.xs[k]));
	}
	sodium_memzero(esk, sizeof(esk));
	dot_mldsa65_keypair(w.pk[0], w.sk);
	rc = dot_mldsa65_sign(w.vsig[0], w.sk, sizeof(w.sk), w.vmsg[0],
			      MSG_LEN, NULL, 0);
	if (rc != DOT_OK)
		die("ml-dsa sign", rc);
	dot_mlkem768_keypair(w.ek, w.dk);
	for (int k = 0; k < NSET; k++) {
		rc = dot_mlkem768_encaps(w.ct[k], w.ss, w.ek, sizeof(w.ek));
		if (rc != DOT_OK)
			die("ml-kem encaps", rc);
		rc = dot_mlkem768_decaps(w.ss1, w.ct[k], sizeof(w.ct[k]), w.dk,
					 sizeof(w.dk));
		if (rc != DOT_OK || memcmp(w.ss, w.ss1, sizeof(w.ss)) != 0)
			die("ml-kem shared secrets differ", rc);
	}
}

/*
 * The tokens' controls: each verifies (chain, both lengths, and with the
 * proof); one byte changed in the last block's signature fails, for a
 * composite signature in its ML-DSA-65 half and in its Ed25519 half (so
 * both are checked); under the plain hybrid policy the classic token and
 * the classically attenuated one are refused for their suites.
 */
static void
token_controls(void)
{
	struct tokset *h = &toks[K_HYBRID];
	struct dot_token *tok = NULL;
	struct dot_token_result res;
	uint8_t *sig;
	size_t off[2];
	int rc;

	for (int s = 0; s < NKSETS; s++)
		for (int blocks = 2; blocks <= 3; blocks++)
			for (int proof = 0; proof <= (blocks == 3); proof++) {
				rc = token_verify(&toks[s], blocks, proof);
				if (rc != DOT_OK)
					die(kset_names[s], rc);
			}
	rc = dot_token_parse(h->tok3.data, h->tok3.len, &tok, &terr);
	if (rc != DOT_OK)
		die("token parse", rc);
	sig = (uint8_t *)h->tok3.data + (tok->blocks[2].sig - tok->bytes);
	if (tok->blocks[2].sig_len != dot_sign_sig_len(DOT_SUITE_ED25519_MLDSA65))
		die("hybrid token: block 2 is not composite", DOT_EPOLICY);
	off[0] = 100;                           /* in the ML-DSA-65 half */
	off[1] = tok->blocks[2].sig_len - 5;    /* in the Ed25519 half */
	dot_token_free(tok);
	for (int i = 0; i < 2; i++) {
		sig[off[i]] ^= 1;
		rc = token_verify(h, 3, 0);
		sig[off[i]] ^= 1;
		if (rc != DOT_ETOKEN_SIGNATURE)
			die("hybrid token with a changed signature", rc);
	}
	for (int s = 0; s < NKSETS; s++) {
		struct dot_token_verifier v = toks[s].v;

		if (s == K_HYBRID)
			continue;
		v.policy = DOT_POLICY_HYBRID;
		rc = dot_token_parse(toks[s].tok3.data, toks[s].tok3.len, &tok,
				     &terr);
		if (rc == DOT_OK)
			rc = dot_token_verify_chain(tok, &v, &treq, &res,
						    &terr);
		dot_token_free(tok);
		tok = NULL;
		if (rc != DOT_EPOLICY)
			die("a classic holder under the hybrid policy", rc);
	}
}

/* The negative controls. */
static void
controls(void)
{
	int rc;

	for (int k = 0; k < NSET; k++) {
		rc = dot_mldsa65_verify(w.pk[k], DOT_MLDSA65_PK_LEN,
					w.vmsg[k], MSG_LEN, NULL, 0,
					w.vsig[k], DOT_MLDSA65_SIG_LEN);
		if (rc != DOT_OK)
			die("ml-dsa verify", rc);
	}
	w.vsig[3][100] ^= 1;
	rc = dot_mldsa65_verify(w.pk[3], DOT_MLDSA65_PK_LEN, w.vmsg[3],
				MSG_LEN, NULL, 0, w.vsig[3],
				DOT_MLDSA65_SIG_LEN);
	w.vsig[3][100] ^= 1;
	if (rc != DOT_ECRYPTO_SIGNATURE)
		die("ml-dsa verify of a changed signature", rc);
	w.ct[5][7] ^= 1;
	rc = dot_mlkem768_decaps(w.ss1, w.ct[5], sizeof(w.ct[5]), w.dk,
				 sizeof(w.dk));
	w.ct[5][7] ^= 1;
	rc = rc != DOT_OK ? rc : dot_mlkem768_decaps(w.ss, w.ct[5],
						     sizeof(w.ct[5]), w.dk,
						     sizeof(w.dk));
	if (rc != DOT_OK || memcmp(w.ss, w.ss1, sizeof(w.ss)) == 0)
		die("ml-kem implicit rejection", rc);
	token_controls();
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v, int n)
{
	double *s = malloc((size_t)n * sizeof(*s));
	double m;

	if (s == NULL)
		die("malloc", DOT_ENOMEM);
	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	int ops = argc > 2 ? atoi(argv[2]) : 50;

	if (rounds < 1 || rounds > MAX_ROUNDS || ops < 1 || ops > MAX_OPS) {
		fprintf(stderr,
			"usage: bench_pq [ROUNDS (1..%d) [OPS (1..%d)]]\n",
			MAX_ROUNDS, MAX_OPS);
		return 2;
	}
	if (dot_crypto_init() != DOT_OK)
		die("dot_crypto_init", DOT_ECRYPTO_KEY);
	setup();
	token_setup();
	controls();
	/* warm-up */
	for (int c = 0; c < NCELLS; c++)
		for (int i = 0; i < 8; i++) {
			next_msg();
			op(c, i);
		}
	for (int r = 0; r < rounds; r++)
		for (int j = 0; j < NCELLS; j++) {
			int c = (r + j) % NCELLS;

			for (int i = 0; i < ops; i++) {
				double t0, t1;
				uint64_t c0, c1;
				long cs;

				next_msg();
				for (int again = 0;; again++) {
					cs = nivcsw();
					t0 = now_ns();
					c0 = tsc();
					op(c, r * ops + i);
					c1 = tsc();
					t1 = now_ns();
					if (nivcsw() == cs || again == 20)
						break;
					preempted++;
				}
				samples[c][r * ops + i] = (t1 - t0) / 1e3;
				cycles[c][r * ops + i] = (double)(c1 - c0);
			}
			round_med[c][r] = median(&samples[c][r * ops], ops);
		}

	printf("avx2 %d\n", dot_crypto_avx2());
	printf("preempted %ld\n", preempted);
	printf("size mldsa65_pk %d\nsize mldsa65_sk %d\nsize mldsa65_sig %d\n",
	       DOT_MLDSA65_PK_LEN, DOT_MLDSA65_SK_LEN, DOT_MLDSA65_SIG_LEN);
	printf("size mlkem768_ek %d\nsize mlkem768_dk %d\nsize mlkem768_ct %d\n",
	       DOT_MLKEM768_EK_LEN, DOT_MLKEM768_DK_LEN, DOT_MLKEM768_CT_LEN);
	printf("size ed25519_pk %d\nsize ed25519_sig %d\nsize x25519_pk %d\n",
	       crypto_sign_PUBLICKEYBYTES, crypto_sign_BYTES,
	       crypto_scalarmult_BYTES);
	for (int s = 0; s < NKSETS; s++)
		printf("size token2_%s %zu\nsize token3_%s %zu\n",
		       kset_names[s], toks[s].tok2.len, kset_names[s],
		       toks[s].tok3.len);
	for (int c = 0; c < NCELLS; c++) {
		int n = rounds * ops;
		double sum = 0, lo = samples[c][0], hi = samples[c][0];

		for (int i = 0; i < n; i++) {
			sum += samples[c][i];
			lo = samples[c][i] < lo ? samples[c][i] : lo;
			hi = samples[c][i] > hi ? samples[c][i] : hi;
		}
		printf("cell %s %.2f %.2f %.0f %.2f %.2f %d\n", names[c],
		       median(samples[c], n), sum / n, median(cycles[c], n),
		       lo, hi, n);
	}
	for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
		int a = ratios[i][0], b = ratios[i][1], n = rounds * ops;
		double rr[MAX_ROUNDS], lo, hi;

		for (int r = 0; r < rounds; r++)
			rr[r] = round_med[a][r] / round_med[b][r];
		lo = hi = rr[0];
		for (int r = 0; r < rounds; r++) {
			lo = rr[r] < lo ? rr[r] : lo;
			hi = rr[r] > hi ? rr[r] : hi;
		}
		printf("ratio %s %s %.3f %.3f %.3f %.3f\n", names[a], names[b],
		       median(rr, rounds), lo, hi,
		       median(samples[a], n) / median(samples[b], n));
	}
	token_teardown();
	sodium_memzero(&w, sizeof(w));
	return 0;
}
