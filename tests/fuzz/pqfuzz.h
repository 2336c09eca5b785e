/*
 * pqfuzz.h - what the post-quantum fuzz targets (fuzz_mlkem.c,
 * fuzz_mldsa.c, fuzz_composite.c, fuzz_xwing.c, fuzz_seal.c) share: the
 * report of a wrong verdict, the choice of a case by the input's first
 * byte, and FIPS 203's modulus check read directly. A target defines
 * FUZZ_NAME ("fuzz_mlkem") before it includes this file.
 */
#ifndef DOT_FUZZ_PQFUZZ_H
#define DOT_FUZZ_PQFUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "doteros/crypto.h"
#include "doteros/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A verdict the target does not expect: say which and abort, a crash to
 * libFuzzer and to replay.c alike. */
static inline void
fail(const char *what, int rv)
{
	fprintf(stderr, FUZZ_NAME ": %s (%s)\n", what, dot_errname(rv));
	abort();
}

/* One case of a target: the input after its selector byte. */
typedef void (*fuzz_case_fn)(const uint8_t *p, size_t n);

/* cases[data[0] % ncases] on the rest of the input, after
 * dot_crypto_init and the target's setup() the first time; an empty
 * input, or one of more than max bytes, is skipped. */
static inline int
fuzz_pick(const uint8_t *data, size_t size, size_t max, void (*setup)(void),
	  const fuzz_case_fn *cases, size_t ncases)
{
	static int ready;

	if (size < 1 || size > max)
		return 0;
	if (!ready) {
		if (dot_crypto_init() != DOT_OK)
			fail("dot_crypto_init", 0);
		setup();
		ready = 1;
	}
	cases[data[0] % ncases](data + 1, size - 1);
	return 0;
}

/* A refused call must leave its output zeroed. */
static inline void
fail_unless_zero(const uint8_t *p, size_t n, const char *what, int rv)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			fail(what, rv);
}

/* An input read as key || signature || message: the key takes up to kmax
 * bytes, the signature up to smax of the rest, the message what remains,
 * so that short inputs give short keys and signatures. */
struct fuzz_ksm {
	const uint8_t *k, *s, *m;
	size_t kn, sn, mn;
};

static inline struct fuzz_ksm
fuzz_split(const uint8_t *p, size_t n, size_t kmax, size_t smax)
{
	struct fuzz_ksm in;

	in.kn = n < kmax ? n : kmax;
	in.sn = n - in.kn < smax ? n - in.kn : smax;
	in.mn = n - in.kn - in.sn;
	in.k = p;
	in.s = p + in.kn;
	in.m = in.s + in.sn;
	return in;
}

/* FIPS 203 §7.2 read directly on an encoded t-hat, the first 384k = 1152
 * bytes of an ML-KEM-768 ek (and of X-Wing's pk_M): every 12-bit value
 * below q = 3329. */
static inline int
mlkem_t_ok(const uint8_t *p)
{
	for (size_t i = 0; i < 384 * 3; i += 3) {
		unsigned a = p[i] | (unsigned)(p[i + 1] & 15) << 8;
		unsigned b = (unsigned)p[i + 1] >> 4 | (unsigned)p[i + 2] << 4;
		if (a >= 3329 || b >= 3329)
			return 0;
	}
	return 1;
}

#endif
