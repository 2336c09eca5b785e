/*
 * bench_macaroons.c - the libmacaroons peer of bench/token (bench/token/run).
 *
 * One macaroon with three first-party caveats, checked by a verifier that
 * satisfies each caveat exactly: the HMAC-chain counterpart of a cached
 * Doteros verify. Per op, the median over batches of
 *
 *   macaroons_mint_us                create + 3 caveats (+ destroy)
 *   macaroons_verify_us              macaroon_verify on a deserialized macaroon
 *   macaroons_deserialize_verify_us  macaroon_deserialize + verify (+ destroy)
 *
 * and the serialized size. Before any timing, negative controls must fail
 * (wrong root key, an unsatisfied caveat, a tampered macaroon), or the
 * program aborts: a verify loop that accepts everything measures nothing.
 *
 * Output: one "name value" line per metric, for bench/token/run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <macaroons.h>

#define BATCHES 21
#define BATCH_NS 2000000.0 /* aim for about 2 ms per batch */

static const unsigned char root_key[] =
	"this is the doteros bench root key, 32+ bytes";
static const unsigned char wrong_key[] =
	"this is NOT the doteros bench root key, 32+ b";
static const char location[] = "https://bench.doteros.invalid/";
static const char identifier[] = "doteros-bench-key-1";
static const char *const caveats[3] = {
	"account = alice",
	"op = read",
	"time < 2030-01-01",
};

static void
die(const char *what, enum macaroon_returncode err)
{
	fprintf(stderr, "bench_macaroons: %s (returncode %d)\n", what,
		(int)err);
	abort();
}

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

static struct macaroon *
mint(void)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	struct macaroon *m;

	m = macaroon_create((const unsigned char *)location,
			    strlen(location), root_key, sizeof(root_key) - 1,
			    (const unsigned char *)identifier,
			    strlen(identifier), &err);
	if (m == NULL)
		die("macaroon_create", err);
	for (size_t i = 0; i < 3; i++) {
		struct macaroon *next = macaroon_add_first_party_caveat(
			m, (const unsigned char *)caveats[i],
			strlen(caveats[i]), &err);

		if (next == NULL)
			die("macaroon_add_first_party_caveat", err);
		macaroon_destroy(m);
		m = next;
	}
	return m;
}

static struct macaroon_verifier *
verifier(const char *const *preds, size_t n)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	struct macaroon_verifier *v = macaroon_verifier_create();

	if (v == NULL)
		die("macaroon_verifier_create", MACAROON_OUT_OF_MEMORY);
	for (size_t i = 0; i < n; i++)
		if (macaroon_verifier_satisfy_exact(
			    v, (const unsigned char *)preds[i],
			    strlen(preds[i]), &err) != 0)
			die("macaroon_verifier_satisfy_exact", err);
	return v;
}

static int
verify(const struct macaroon_verifier *v, const struct macaroon *m,
       const unsigned char *key, size_t keylen)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;

	return macaroon_verify(v, m, key, keylen, NULL, 0, &err);
}

/* The state every timed op works on. */
static struct macaroon_verifier *V;
static struct macaroon *M;
static char *serialized;

static void
op_mint(void)
{
	macaroon_destroy(mint());
}

static void
op_verify(void)
{
	if (verify(V, M, root_key, sizeof(root_key) - 1) != 0)
		die("macaroon_verify refused a valid macaroon",
		    MACAROON_NOT_AUTHORIZED);
}

static void
op_deserialize_verify(void)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	struct macaroon *m = macaroon_deserialize(serialized, &err);

	if (m == NULL)
		die("macaroon_deserialize", err);
	if (verify(V, m, root_key, sizeof(root_key) - 1) != 0)
		die("macaroon_verify refused a valid macaroon",
		    MACAROON_NOT_AUTHORIZED);
	macaroon_destroy(m);
}

struct metric {
	const char *name;
	void (*op)(void);
	long iters;
	double per_op_ns[BATCHES];
};

/* Iterations per batch so that one batch takes about BATCH_NS. */
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

int
main(void)
{
	enum macaroon_returncode err = MACAROON_SUCCESS;
	static const char *const wrong_op[3] = {
		"account = alice", "op = write", "time < 2030-01-01"};
	struct metric metrics[] = {
		{"macaroons_mint_us", op_mint, 0, {0}},
		{"macaroons_verify_us", op_verify, 0, {0}},
		{"macaroons_deserialize_verify_us", op_deserialize_verify, 0,
		 {0}},
	};
	const size_t nmetrics = sizeof(metrics) / sizeof(metrics[0]);
	struct macaroon_verifier *v_wrong;
	size_t hint, len;

	M = mint();
	V = verifier(caveats, 3);
	v_wrong = verifier(wrong_op, 3);

	hint = macaroon_serialize_size_hint(M);
	serialized = malloc(hint + 1);
	if (serialized == NULL)
		die("malloc", MACAROON_OUT_OF_MEMORY);
	if (macaroon_serialize(M, serialized, hint + 1, &err) < 0)
		die("macaroon_serialize", err);
	len = strlen(serialized);

	/* Controls: the valid one passes, every broken one fails. */
	if (verify(V, M, root_key, sizeof(root_key) - 1) != 0)
		die("control: a valid macaroon was refused",
		    MACAROON_NOT_AUTHORIZED);
	if (verify(V, M, wrong_key, sizeof(wrong_key) - 1) == 0)
		die("control: a wrong root key was accepted", MACAROON_INVALID);
	if (verify(v_wrong, M, root_key, sizeof(root_key) - 1) == 0)
		die("control: an unsatisfied caveat was accepted",
		    MACAROON_INVALID);
	{
		/* A caveat the verifier does not know must be refused. */
		struct macaroon *m4 = macaroon_add_first_party_caveat(
			M, (const unsigned char *)"op = write", 10, &err);

		if (m4 == NULL)
			die("macaroon_add_first_party_caveat", err);
		if (verify(V, m4, root_key, sizeof(root_key) - 1) == 0)
			die("control: an unknown caveat was accepted",
			    MACAROON_INVALID);
		macaroon_destroy(m4);
	}
	{
		/* A tampered serialization: change one base64 character
		 * near the end (inside the signature packet), keep the first
		 * change that still deserializes; it must not verify. */
		char *copy = strdup(serialized);
		struct macaroon *tampered = NULL;
		size_t end = len;

		if (copy == NULL)
			die("strdup", MACAROON_OUT_OF_MEMORY);
		while (end > 0 && copy[end - 1] == '=')
			end--;
		for (size_t i = end; i-- > 0 && tampered == NULL;) {
			char saved = copy[i];

			copy[i] = saved == 'A' ? 'B' : 'A';
			tampered = macaroon_deserialize(copy, &err);
			if (tampered != NULL && macaroon_cmp(tampered, M) == 0) {
				macaroon_destroy(tampered);
				tampered = NULL;
			}
			copy[i] = saved;
		}
		if (tampered == NULL)
			die("control: could not make a tampered macaroon",
			    MACAROON_INVALID);
		if (verify(V, tampered, root_key, sizeof(root_key) - 1) == 0)
			die("control: a tampered macaroon was accepted",
			    MACAROON_INVALID);
		macaroon_destroy(tampered);
		free(copy);
	}

	/* Warm up, then calibrate each op once. */
	for (size_t k = 0; k < nmetrics; k++) {
		for (int i = 0; i < 1000; i++)
			metrics[k].op();
		metrics[k].iters = calibrate(metrics[k].op);
	}

	/* Interleave the metrics batch by batch (A, B, C, A, B, C, ...). */
	for (size_t b = 0; b < BATCHES; b++)
		for (size_t k = 0; k < nmetrics; k++) {
			struct metric *mt = &metrics[k];
			double t0 = now_ns();

			for (long i = 0; i < mt->iters; i++)
				mt->op();
			mt->per_op_ns[b] = (now_ns() - t0) / (double)mt->iters;
		}

	for (size_t k = 0; k < nmetrics; k++)
		printf("%s %.3f\n", metrics[k].name,
		       median(metrics[k].per_op_ns, BATCHES) / 1000.0);
	/* The v1 serialization is base64url text of a binary packet form. */
	{
		size_t pad = 0;

		while (pad < len && serialized[len - 1 - pad] == '=')
			pad++;
		printf("macaroons_text_bytes %zu\n", len);
		printf("macaroons_bytes %zu\n", (len - pad) * 3 / 4);
	}

	free(serialized);
	macaroon_verifier_destroy(v_wrong);
	macaroon_verifier_destroy(V);
	macaroon_destroy(M);
	return 0;
}
