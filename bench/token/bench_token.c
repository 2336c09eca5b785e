/*
 * bench_token.c - Doteros capability tokens against their floor
 * (bench/token/run; the method is in bench/RESULTS.md).
 *
 * The token is the one the peers carry (bench_macaroons.c, biscuit.mjs):
 *   block 0  issuer -> alice: resource path "/file1", rights read|write,
 *            expires 2030-06-01
 *   block 1  alice -> bob: rights narrowed to read
 *   block 2  bob -> carol: expires earlier, 2030-01-01
 * and every verify asks for read on "/file1" at 2027-01-01.
 *
 * Per op, the median over batches (the ops interleaved batch by batch, so
 * drift of the machine hits them alike) of
 *   ed25519_verify_us     libsodium crypto_sign_verify_detached over 32
 *                         bytes (what a block signature covers): the floor
 *   ed25519_sign_us       libsodium crypto_sign_detached
 *   mint_us               dot_token_mint (block 0)
 *   attenuate_us          dot_token_attenuate (1 -> 2 blocks)
 *   parse_us              dot_token_parse of the 3-block token (+ free)
 *   cold_chain_us         parse + dot_token_verify_chain, no cache
 *   cold_verify_us        parse + dot_token_verify (chain + the holder's
 *                         proof of possession, made once beforehand), no cache
 *   cached_chain_us       parse + verify_chain with a warm cache
 *   cached_verify_us      parse + verify (with the proof) with a warm cache
 * and the token's size, binary and text. Before any timing, negative
 * controls (wrong holder, tampered token, cold and cached, wrong issuer,
 * widening, rights, expiry) must be refused, or the program aborts; every
 * timed call checks its return code too.
 *
 * Output: one "name value" line per metric, for bench/token/run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/token.h"

#define BATCHES 21
#define BATCH_NS 2000000.0 /* aim for about 2 ms per batch */

#define T_NOW 1798761600u       /* 2027-01-01T00:00:00Z */
#define T_EXPIRES0 1906502400u  /* 2030-06-01T00:00:00Z */
#define T_EXPIRES2 1893456000u  /* 2030-01-01T00:00:00Z */

static const char resource[] = "/file1";
static const char request_msg[] = "dot-bench: read /file1 (a tx hash)";

static void
die(const char *what, int rc, const struct dot_err *e)
{
	fprintf(stderr, "bench_token: %s: %s%s%s\n", what,
		rc ? dot_errname(rc) : "accepted",
		e != NULL && e->msg[0] ? ": " : "",
		e != NULL ? e->msg : "");
	abort();
}

#define CHECK(call, what)                                                      \
	do {                                                                   \
		int rc_ = (call);                                              \
		if (rc_ != DOT_OK)                                             \
			die(what, rc_, &err);                                  \
	} while (0)

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the fixture every timed op works on ---- */

static struct dot_err err;
static struct dot_sign_sk *issuer, *alice, *bob, *carol;
static uint8_t issuer_pk[DOT_SIGN_PK_MAX], alice_pk[DOT_SIGN_PK_MAX],
	bob_pk[DOT_SIGN_PK_MAX], carol_pk[DOT_SIGN_PK_MAX];
static size_t issuer_pk_len, alice_pk_len, bob_pk_len, carol_pk_len;
static struct dot_token_caveats cav0, cav1, cav2;
static struct dot_buf tok1, tok2, tok3; /* 1, 2 and 3 blocks */
static struct dot_token *parsed1;
static uint8_t pop[DOT_SIGN_SIG_MAX]; /* carol's proof over request_msg */
static size_t pop_len;
static struct dot_token_request req;
static struct dot_token_verifier v_cold, v_cached;
static struct dot_token_cache *cache;
static struct dot_buf scratch;

/* The floor: libsodium directly, over a 32-byte message. */
static unsigned char floor_pk[crypto_sign_PUBLICKEYBYTES];
static unsigned char floor_sk[crypto_sign_SECRETKEYBYTES];
static unsigned char floor_sig[crypto_sign_BYTES];
static const uint8_t *floor_msg;
static size_t floor_msg_len;

static struct dot_sign_sk *
key(uint8_t byte, uint8_t *pk, size_t *pklen)
{
	uint8_t seed[DOT_SEED_LEN];
	struct dot_sign_sk *sk = NULL;

	memset(seed, byte, sizeof(seed));
	CHECK(dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519, seed),
	      "dot_sign_sk_from_seed");
	*pklen = dot_sign_sk_public(sk, pk);
	return sk;
}

static struct dot_token *
parse(const struct dot_buf *b)
{
	struct dot_token *t = NULL;

	CHECK(dot_token_parse(b->data, b->len, &t, &err), "dot_token_parse");
	return t;
}

/* ---- the timed ops ---- */

static void
op_ed25519_verify(void)
{
	if (crypto_sign_verify_detached(floor_sig, floor_msg, floor_msg_len,
					floor_pk) != 0)
		die("crypto_sign_verify_detached", DOT_ECRYPTO_SIGNATURE, NULL);
}

static void
op_ed25519_sign(void)
{
	unsigned char sig[crypto_sign_BYTES];

	crypto_sign_detached(sig, NULL, floor_msg, floor_msg_len, floor_sk);
}

static void
op_mint(void)
{
	scratch.len = 0;
	CHECK(dot_token_mint(issuer, DOT_RESOURCE_PATH, resource,
			     sizeof(resource) - 1, &cav0, alice_pk,
			     alice_pk_len, &scratch, &err),
	      "dot_token_mint");
}

static void
op_attenuate(void)
{
	scratch.len = 0;
	CHECK(dot_token_attenuate(parsed1, alice, &cav1, bob_pk, bob_pk_len,
				  &scratch, &err),
	      "dot_token_attenuate");
}

static void
op_parse(void)
{
	dot_token_free(parse(&tok3));
}

static size_t last_blocks_verified;

static void
chain(const struct dot_token_verifier *v)
{
	struct dot_token *t = parse(&tok3);
	struct dot_token_result res;

	CHECK(dot_token_verify_chain(t, v, &req, &res, &err),
	      "dot_token_verify_chain");
	last_blocks_verified = res.blocks_verified;
	dot_token_free(t);
}

static void
full(const struct dot_token_verifier *v)
{
	struct dot_token *t = parse(&tok3);
	struct dot_token_result res;

	CHECK(dot_token_verify(t, v, &req, request_msg,
			       sizeof(request_msg) - 1, pop, pop_len, &res,
			       &err),
	      "dot_token_verify");
	last_blocks_verified = res.blocks_verified;
	dot_token_free(t);
}

static void
op_cold_chain(void)
{
	chain(&v_cold);
}

static void
op_cold_verify(void)
{
	full(&v_cold);
}

static void
op_cached_chain(void)
{
	chain(&v_cached);
}

static void
op_cached_verify(void)
{
	full(&v_cached);
}

/* ---- negative controls ---- */

/* rc must be a refusal; `want` (if not DOT_OK) is the expected code. */
static void
refused(int rc, int want, const char *what)
{
	if (rc == DOT_OK)
		die(what, rc, NULL);
	if (want != DOT_OK && rc != want)
		fprintf(stderr, "bench_token: note: %s refused with %s, "
				"expected %s\n",
			what, dot_errname(rc), dot_errname(want));
}

static int
verify_bytes(const uint8_t *b, size_t n, const struct dot_token_verifier *v,
	     const struct dot_token_request *r, const uint8_t *sig,
	     size_t siglen)
{
	struct dot_token *t = NULL;
	struct dot_token_result res;
	int rc;

	rc = dot_token_parse(b, n, &t, &err);
	if (rc != DOT_OK)
		return rc;
	rc = dot_token_verify(t, v, r, request_msg, sizeof(request_msg) - 1,
			      sig, siglen, &res, &err);
	dot_token_free(t);
	return rc;
}

static void
controls(void)
{
	struct dot_token *t3 = parse(&tok3);
	struct dot_token_request r;
	struct dot_token_verifier v;
	struct dot_token_caveats wide;
	uint8_t sig[DOT_SIGN_SIG_MAX];
	size_t siglen, off;
	uint8_t *bad;

	/* The valid request passes, cold and cached. */
	CHECK(verify_bytes(tok3.data, tok3.len, &v_cold, &req, pop, pop_len),
	      "control: valid token, cold");
	CHECK(verify_bytes(tok3.data, tok3.len, &v_cached, &req, pop, pop_len),
	      "control: valid token, cached");

	/* Wrong holder: bob (block 1's holder) proves, carol holds. Made by
	 * hand as the header defines the proof, in case the library refuses
	 * to sign for a non-holder (it may). */
	{
		static const char dom[] = "dot-token-v1 request";
		uint8_t m[sizeof(dom) - 1 + DOT_RID_LEN + sizeof(request_msg)];

		memcpy(m, dom, sizeof(dom) - 1);
		memcpy(m + sizeof(dom) - 1, t3->blocks[2].rid, DOT_RID_LEN);
		memcpy(m + sizeof(dom) - 1 + DOT_RID_LEN, request_msg,
		       sizeof(request_msg) - 1);
		CHECK(dot_sign(bob, m, sizeof(m) - 1, sig, &siglen), "dot_sign");
		refused(verify_bytes(tok3.data, tok3.len, &v_cold, &req, sig,
				     siglen),
			DOT_ETOKEN_WRONG_HOLDER, "control: wrong holder");
		refused(verify_bytes(tok3.data, tok3.len, &v_cached, &req, sig,
				     siglen),
			DOT_ETOKEN_WRONG_HOLDER,
			"control: wrong holder, cached");
		if (dot_token_sign_request(t3, bob, request_msg,
					   sizeof(request_msg) - 1, sig,
					   &siglen) == DOT_OK)
			refused(verify_bytes(tok3.data, tok3.len, &v_cached, &req,
					     sig, siglen),
				DOT_ETOKEN_WRONG_HOLDER,
				"control: wrong holder via sign_request");
	}
	/* The right holder's proof, but over another message. */
	CHECK(dot_token_sign_request(t3, carol, "another request", 15, sig,
				     &siglen),
	      "dot_token_sign_request");
	refused(verify_bytes(tok3.data, tok3.len, &v_cached, &req, sig, siglen),
		DOT_ETOKEN_WRONG_HOLDER, "control: proof of another request");

	/* Tampered: one bit of block 2's signature, then of block 0's. */
	bad = malloc(tok3.len);
	if (bad == NULL)
		die("malloc", DOT_ENOMEM, NULL);
	for (size_t b = 0; b < 3; b++) {
		memcpy(bad, tok3.data, tok3.len);
		off = (size_t)(t3->blocks[2 - b].sig - t3->bytes) +
		      t3->blocks[2 - b].sig_len - 5;
		bad[off] ^= 0x01;
		refused(verify_bytes(bad, tok3.len, &v_cold, &req, pop,
				     pop_len),
			DOT_ETOKEN_SIGNATURE, "control: tampered signature");
		refused(verify_bytes(bad, tok3.len, &v_cached, &req, pop,
				     pop_len),
			DOT_ETOKEN_SIGNATURE,
			"control: tampered signature, cached");
		/* And one byte of the block's signed payload. */
		memcpy(bad, tok3.data, tok3.len);
		off = (size_t)(t3->blocks[2 - b].payload - t3->bytes) +
		      t3->blocks[2 - b].payload_len - 1;
		bad[off] ^= 0x01;
		refused(verify_bytes(bad, tok3.len, &v_cached, &req, pop,
				     pop_len),
			DOT_OK, "control: tampered payload, cached");
	}
	free(bad);

	/* Another issuer key. */
	v = v_cold;
	v.issuer_pk = alice_pk;
	v.issuer_pk_len = alice_pk_len;
	refused(verify_bytes(tok3.data, tok3.len, &v, &req, pop, pop_len),
		DOT_ETOKEN_ISSUER, "control: wrong issuer");

	/* Write was narrowed away in block 1. */
	r = req;
	r.rights = DOT_RIGHT_WRITE;
	refused(verify_bytes(tok3.data, tok3.len, &v_cached, &r, pop, pop_len),
		DOT_ETOKEN_RIGHTS, "control: write on a read-only token");
	/* Past block 2's earlier expiry (block 0's has not passed). */
	r = req;
	r.now = T_EXPIRES2 + 1;
	refused(verify_bytes(tok3.data, tok3.len, &v_cached, &r, pop, pop_len),
		DOT_ETOKEN_EXPIRED, "control: expired by block 2");
	/* Outside the resource. */
	r = req;
	r.path = "/file2";
	r.path_len = 6;
	refused(verify_bytes(tok3.data, tok3.len, &v_cached, &r, pop, pop_len),
		DOT_OK, "control: another path");

	/* Attenuation: only by the current holder, and only narrowing. */
	scratch.len = 0;
	refused(dot_token_attenuate(t3, bob, &cav2, bob_pk, bob_pk_len,
				    &scratch, &err),
		DOT_ETOKEN_WRONG_HOLDER, "control: attenuate by a non-holder");
	memset(&wide, 0, sizeof(wide));
	wide.present = DOT_CAV_RIGHTS;
	wide.rights = DOT_RIGHT_READ | DOT_RIGHT_WRITE;
	scratch.len = 0;
	refused(dot_token_attenuate(t3, carol, &wide, carol_pk, carol_pk_len,
				    &scratch, &err),
		DOT_ETOKEN_WIDENED, "control: widening attenuation");

	dot_token_free(t3);
}

/* ---- the measurement ---- */

struct metric {
	const char *name;
	void (*op)(void);
	long iters;
	double per_op_ns[BATCHES];
	double median_us;
};

static long
calibrate(void (*op)(void))
{
	long iters = 1;

	for (;;) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++)
			op();
		double dt = now_ns() - t0;

		if (dt >= BATCH_NS / 4 || iters >= (1L << 24))
			return (long)((double)iters * BATCH_NS /
				      (dt > 0 ? dt : 1)) + 1;
		iters *= 2;
	}
}

static double
metric_us(const struct metric *m, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0)
			return m[i].median_us;
	abort();
}

int
main(void)
{
	struct metric metrics[] = {
		{"ed25519_verify_us", op_ed25519_verify, 0, {0}, 0},
		{"cold_chain_us", op_cold_chain, 0, {0}, 0},
		{"cold_verify_us", op_cold_verify, 0, {0}, 0},
		{"cached_chain_us", op_cached_chain, 0, {0}, 0},
		{"cached_verify_us", op_cached_verify, 0, {0}, 0},
		{"parse_us", op_parse, 0, {0}, 0},
		{"mint_us", op_mint, 0, {0}, 0},
		{"attenuate_us", op_attenuate, 0, {0}, 0},
		{"ed25519_sign_us", op_ed25519_sign, 0, {0}, 0},
	};
	const size_t n = sizeof(metrics) / sizeof(metrics[0]);
	struct dot_token *t2 = NULL, *t3 = NULL;
	struct dot_token_cache_stats st0, st1;
	struct dot_buf text = {0};
	size_t cold_blocks, cached_blocks;
	double ed;

	CHECK(dot_crypto_init(), "dot_crypto_init");
	issuer = key(0x01, issuer_pk, &issuer_pk_len);
	alice = key(0x02, alice_pk, &alice_pk_len);
	bob = key(0x03, bob_pk, &bob_pk_len);
	carol = key(0x04, carol_pk, &carol_pk_len);

	cav0.present = DOT_CAV_RIGHTS | DOT_CAV_EXPIRES;
	cav0.rights = DOT_RIGHT_READ | DOT_RIGHT_WRITE;
	cav0.expires = T_EXPIRES0;
	cav1.present = DOT_CAV_RIGHTS;
	cav1.rights = DOT_RIGHT_READ;
	cav2.present = DOT_CAV_EXPIRES;
	cav2.expires = T_EXPIRES2;

	/* The chain issuer -> alice -> bob -> carol. */
	CHECK(dot_token_mint(issuer, DOT_RESOURCE_PATH, resource,
			     sizeof(resource) - 1, &cav0, alice_pk,
			     alice_pk_len, &tok1, &err),
	      "dot_token_mint");
	parsed1 = parse(&tok1);
	CHECK(dot_token_attenuate(parsed1, alice, &cav1, bob_pk, bob_pk_len,
				  &tok2, &err),
	      "dot_token_attenuate (block 1)");
	t2 = parse(&tok2);
	CHECK(dot_token_attenuate(t2, bob, &cav2, carol_pk, carol_pk_len,
				  &tok3, &err),
	      "dot_token_attenuate (block 2)");
	t3 = parse(&tok3);
	if (t3->nblocks != 3)
		die("the token does not have 3 blocks", DOT_ETOKEN_FORMAT,
		    NULL);
	CHECK(dot_token_sign_request(t3, carol, request_msg,
				     sizeof(request_msg) - 1, pop, &pop_len),
	      "dot_token_sign_request");
	CHECK(dot_token_to_text(tok3.data, tok3.len, &text),
	      "dot_token_to_text");

	/* The floor signs and verifies what a block signature covers: a
	 * 32-byte hash (BLAKE2b-256 of the block); the cheapest message. */
	{
		unsigned char seed[crypto_sign_SEEDBYTES];
		static uint8_t msg[32];

		memset(seed, 0x05, sizeof(seed));
		crypto_sign_seed_keypair(floor_pk, floor_sk, seed);
		crypto_generichash(msg, sizeof(msg), t3->blocks[1].payload,
				   t3->blocks[1].payload_len, NULL, 0);
		floor_msg = msg;
		floor_msg_len = sizeof(msg);
		crypto_sign_detached(floor_sig, NULL, floor_msg, floor_msg_len,
				     floor_sk);
	}

	req.rights = DOT_RIGHT_READ;
	req.path = resource;
	req.path_len = sizeof(resource) - 1;
	req.now = T_NOW;
	v_cold.issuer_pk = issuer_pk;
	v_cold.issuer_pk_len = issuer_pk_len;
	v_cached = v_cold;
	CHECK(dot_token_cache_new(&cache, 1024), "dot_token_cache_new");
	v_cached.cache = cache;

	/* Warm the cache once; then check that a cached verify skips work. */
	op_cached_verify();
	op_cold_chain();
	cold_blocks = last_blocks_verified;
	dot_token_cache_stats(cache, &st0);
	op_cached_chain();
	cached_blocks = last_blocks_verified;
	dot_token_cache_stats(cache, &st1);
	if (cold_blocks != 3)
		die("a cold verify did not check 3 block signatures",
		    DOT_ETOKEN_SIGNATURE, NULL);
	if (st1.hits != st0.hits + 1 || cached_blocks >= cold_blocks)
		die("the warm cache was not used", DOT_EINVAL, NULL);

	controls();

	for (size_t k = 0; k < n; k++) {
		for (int i = 0; i < 200; i++)
			metrics[k].op();
		metrics[k].iters = calibrate(metrics[k].op);
	}
	/* Interleave batch by batch: A, B, C, ..., A, B, C, ... */
	for (size_t b = 0; b < BATCHES; b++)
		for (size_t k = 0; k < n; k++) {
			struct metric *m = &metrics[k];
			double t0 = now_ns();

			for (long i = 0; i < m->iters; i++)
				m->op();
			m->per_op_ns[b] = (now_ns() - t0) / (double)m->iters;
		}
	for (size_t k = 0; k < n; k++) {
		metrics[k].median_us =
			median(metrics[k].per_op_ns, BATCHES) / 1000.0;
		printf("%s %.3f\n", metrics[k].name, metrics[k].median_us);
	}

	ed = metric_us(metrics, n, "ed25519_verify_us");
	printf("ed25519_verify_x3_us %.3f\n", 3 * ed);
	printf("ratio_cold_verify_vs_3ed %.4f\n",
	       metric_us(metrics, n, "cold_verify_us") / (3 * ed));
	printf("ratio_cold_chain_vs_3ed %.4f\n",
	       metric_us(metrics, n, "cold_chain_us") / (3 * ed));
	printf("ratio_cold_verify_vs_4ed %.4f\n",
	       metric_us(metrics, n, "cold_verify_us") / (4 * ed));
	printf("cold_sig_checks %zu\n", cold_blocks);
	printf("cached_sig_checks %zu\n", cached_blocks);
	printf("token_bytes %zu\n", tok3.len);
	printf("token_text_bytes %zu\n", text.len);
	printf("token_bytes_1block %zu\n", tok1.len);
	printf("token_bytes_2block %zu\n", tok2.len);

	dot_buf_free(&text);
	dot_buf_free(&scratch);
	dot_buf_free(&tok1);
	dot_buf_free(&tok2);
	dot_buf_free(&tok3);
	dot_token_free(t3);
	dot_token_free(t2);
	dot_token_free(parsed1);
	dot_token_cache_free(cache);
	dot_sign_sk_free(carol);
	dot_sign_sk_free(bob);
	dot_sign_sk_free(alice);
	dot_sign_sk_free(issuer);
	return 0;
}
