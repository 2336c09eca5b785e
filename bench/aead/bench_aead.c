/*
 * bench_aead.c - the channel's bulk AEAD through each backend of lib/crypto
 * (bench/aead/run; the method is in bench/RESULTS.md, "## AEAD").
 *
 * For each suite (ChaCha20-Poly1305; AES-256-GCM where the CPU has AES-NI
 * and PCLMUL) and each backend (libsodium; OpenSSL's libcrypto when built),
 * the throughput of dot_aead_encrypt_with (and, for information,
 * dot_aead_decrypt_with) on messages of SIZE bytes (default 16 KiB) with
 * 16 bytes of associated data, a fresh nonce per message, one key.
 *
 * The cells are interleaved: a round times one batch of each cell (about
 * 10 ms, the count fixed by a warm-up), in an order that rotates from round
 * to round, so drift of the machine hits them alike. Per cell: the median
 * MB/s (10^6 bytes of plaintext per second) over ROUNDS rounds and its
 * range; per suite the OpenSSL / libsodium ratio, computed within each
 * round, and its median and range.
 *
 * Before timing, both backends must produce the same bytes for the
 * benchmark's message, open each other's output and refuse a flipped bit,
 * or the program aborts; every timed call checks its return code.
 *
 * Usage: bench_aead [ROUNDS [SIZE]] (defaults 21, 16384). Output: one line
 *   enc|dec SUITE BACKEND SIZE MEDIAN MIN MAX
 * per cell and
 *   ratio enc|dec SUITE SIZE MEDIAN MIN MAX
 * per suite, and a line "backend NAME" (what dot_aead_encrypt uses).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doteros/crypto.h"
#include "doteros/err.h"

#define BATCH_NS   10e6 /* aim for about 10 ms per batch */
#define AD_LEN	   16
#define MAX_CELLS  8
#define MAX_ROUNDS 1001

struct cell {
	int dec; /* 0: encrypt, 1: decrypt */
	uint8_t suite;
	int backend;
	uint8_t *box; /* decrypt: the suite's ciphertext under nonce 0 */
	long iters;
	double mbs[MAX_ROUNDS];
};

static uint8_t key[DOT_AEAD_KEY_LEN], ad[AD_LEN];
static uint8_t *pt, *ct, *out;
static size_t size;

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_aead: %s: %s\n", what,
		rc ? dot_errname(rc) : "accepted");
	abort();
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const char *
backend_name(int b)
{
	return b == DOT_AEAD_BACKEND_OPENSSL ? "openssl" : "libsodium";
}

/* A distinct nonce per message: a 64-bit counter in its last 8 bytes. */
static void
nonce_of(uint8_t nonce[DOT_AEAD_NONCE_LEN], uint64_t i)
{
	memset(nonce, 0x4e, 4);
	memcpy(nonce + 4, &i, 8);
}

/* Run one cell for iters messages; returns the elapsed ns. */
static double
run_cell(const struct cell *c, long iters)
{
	uint8_t nonce[DOT_AEAD_NONCE_LEN];
	double t0;
	int rc;

	t0 = now_ns();
	if (c->dec) {
		/* Always the same ciphertext (nonce 0): opening is the work. */
		nonce_of(nonce, 0);
		for (long i = 0; i < iters; i++) {
			rc = dot_aead_decrypt_with(
			    c->backend, c->suite, key, nonce, ad, AD_LEN,
			    c->box, size + DOT_AEAD_TAG_LEN, out);
			if (rc != DOT_OK)
				die("timed decrypt", rc);
		}
	} else {
		for (long i = 0; i < iters; i++) {
			nonce_of(nonce, (uint64_t)i + 1);
			rc = dot_aead_encrypt_with(c->backend, c->suite, key,
						   nonce, ad, AD_LEN, pt, size,
						   out);
			if (rc != DOT_OK)
				die("timed encrypt", rc);
		}
	}
	return now_ns() - t0;
}

/* The negative controls and the byte equality, before any timing. */
static void
controls(uint8_t suite, int have_openssl)
{
	uint8_t nonce[DOT_AEAD_NONCE_LEN];
	uint8_t *other = malloc(size + DOT_AEAD_TAG_LEN);
	int rc;

	if (other == NULL)
		die("malloc", DOT_ENOMEM);
	nonce_of(nonce, 0);
	rc = dot_aead_encrypt_with(DOT_AEAD_BACKEND_SODIUM, suite, key, nonce,
				   ad, AD_LEN, pt, size, ct);
	if (rc != DOT_OK)
		die("libsodium encrypt", rc);
	if (have_openssl) {
		rc = dot_aead_encrypt_with(DOT_AEAD_BACKEND_OPENSSL, suite, key,
					   nonce, ad, AD_LEN, pt, size, other);
		if (rc != DOT_OK)
			die("openssl encrypt", rc);
		if (memcmp(ct, other, size + DOT_AEAD_TAG_LEN) != 0) {
			fprintf(stderr, "bench_aead: %s: the backends differ\n",
				dot_suite_name(suite));
			abort();
		}
	}
	for (int b = DOT_AEAD_BACKEND_SODIUM;
	     b <= (have_openssl ? DOT_AEAD_BACKEND_OPENSSL
				: DOT_AEAD_BACKEND_SODIUM);
	     b++) {
		rc = dot_aead_decrypt_with(b, suite, key, nonce, ad, AD_LEN, ct,
					   size + DOT_AEAD_TAG_LEN, out);
		if (rc != DOT_OK || memcmp(out, pt, size) != 0)
			die("open the other backend's box", rc);
		ct[size / 2] ^= 0x04;
		rc = dot_aead_decrypt_with(b, suite, key, nonce, ad, AD_LEN, ct,
					   size + DOT_AEAD_TAG_LEN, out);
		ct[size / 2] ^= 0x04;
		if (rc != DOT_ECRYPTO_DECRYPT)
			die("a flipped bit", rc);
	}
	free(other);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
stats(const double *v, int n, double *med, double *lo, double *hi)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	*lo = s[0];
	*hi = s[n - 1];
}

int
main(int argc, char **argv)
{
	static struct cell cells[MAX_CELLS];
	static const uint8_t suites[] = {DOT_SUITE_CHACHA20POLY1305,
					 DOT_SUITE_AES256GCM};
	uint8_t z[DOT_AEAD_TAG_LEN], *boxes[2] = {NULL, NULL};
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	long sz = argc > 2 ? atol(argv[2]) : 16384;
	int have_openssl, nc = 0, rc;

	if (rounds < 1 || rounds > MAX_ROUNDS || sz < 1 || sz > (1L << 26)) {
		fprintf(stderr, "usage: bench_aead [ROUNDS (1..%d) [SIZE]]\n",
			MAX_ROUNDS);
		return 2;
	}
	size = (size_t)sz;
	rc = dot_crypto_init();
	if (rc != DOT_OK)
		die("dot_crypto_init", rc);
	pt = malloc(size);
	ct = malloc(size + DOT_AEAD_TAG_LEN);
	out = malloc(size + DOT_AEAD_TAG_LEN);
	if (pt == NULL || ct == NULL || out == NULL)
		die("malloc", DOT_ENOMEM);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(7 * i + 1);
	for (size_t i = 0; i < AD_LEN; i++)
		ad[i] = (uint8_t)i;
	for (size_t i = 0; i < size; i++)
		pt[i] = (uint8_t)(i * 131 + 17);
	have_openssl = dot_aead_encrypt_with(
			   DOT_AEAD_BACKEND_OPENSSL, DOT_SUITE_CHACHA20POLY1305,
			   key, key, NULL, 0, NULL, 0, z) == DOT_OK;

	for (size_t s = 0; s < sizeof(suites); s++) {
		uint8_t n0[DOT_AEAD_NONCE_LEN], *box;

		if (!dot_aead_available(suites[s]))
			continue;
		controls(suites[s], have_openssl);
		box = malloc(size + DOT_AEAD_TAG_LEN);
		if (box == NULL)
			die("malloc", DOT_ENOMEM);
		nonce_of(n0, 0);
		rc = dot_aead_encrypt_with(DOT_AEAD_BACKEND_SODIUM, suites[s],
					   key, n0, ad, AD_LEN, pt, size, box);
		if (rc != DOT_OK)
			die("encrypt", rc);
		boxes[s] = box;
		for (int dec = 0; dec < 2; dec++)
			for (int b = DOT_AEAD_BACKEND_SODIUM;
			     b <= (have_openssl ? DOT_AEAD_BACKEND_OPENSSL
						: DOT_AEAD_BACKEND_SODIUM);
			     b++) {
				cells[nc].dec = dec;
				cells[nc].suite = suites[s];
				cells[nc].backend = b;
				cells[nc].box = box;
				nc++;
			}
	}

	/* Warm-up and calibration: each cell's count for ~BATCH_NS. */
	for (int i = 0; i < nc; i++) {
		long it = 16;
		double t;

		run_cell(&cells[i], it);
		while ((t = run_cell(&cells[i], it)) < BATCH_NS / 4)
			it *= 2;
		cells[i].iters = (long)((double)it * BATCH_NS / t) + 1;
	}
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < nc; k++) {
			struct cell *c = &cells[(r + k) % nc];
			double t = run_cell(c, c->iters);

			c->mbs[r] = (double)c->iters * (double)size / t * 1e3;
		}

	printf("backend %s\n", dot_aead_backend());
	for (int i = 0; i < nc; i++) {
		double med, lo, hi;
		stats(cells[i].mbs, rounds, &med, &lo, &hi);
		printf("%s %s %s %zu %.1f %.1f %.1f\n",
		       cells[i].dec ? "dec" : "enc",
		       dot_suite_name(cells[i].suite),
		       backend_name(cells[i].backend), size, med, lo, hi);
	}
	/* OpenSSL / libsodium, round by round. */
	for (int i = 0; i < nc; i++) {
		double ratio[MAX_ROUNDS], med, lo, hi;

		if (cells[i].backend != DOT_AEAD_BACKEND_OPENSSL)
			continue;
		for (int j = 0; j < nc; j++) {
			if (cells[j].backend != DOT_AEAD_BACKEND_SODIUM ||
			    cells[j].suite != cells[i].suite ||
			    cells[j].dec != cells[i].dec)
				continue;
			for (int r = 0; r < rounds; r++)
				ratio[r] = cells[i].mbs[r] / cells[j].mbs[r];
			stats(ratio, rounds, &med, &lo, &hi);
			printf("ratio %s %s %zu %.3f %.3f %.3f\n",
			       cells[i].dec ? "dec" : "enc",
			       dot_suite_name(cells[i].suite), size, med, lo,
			       hi);
		}
	}
	free(boxes[0]);
	free(boxes[1]);
	free(out);
	free(ct);
	free(pt);
	return 0;
}
