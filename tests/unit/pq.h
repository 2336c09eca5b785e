/*
 * pq.h - small helpers of the post-quantum tests (test_mlkem.c,
 * test_mldsa.c, test_composite.c, test_xwing.c, test_pqpaths.c, the ct_*.c
 * programs) and of the ML-KEM and X-Wing corpus generators
 * (tests/fuzz/gen_*_corpus.c). Each is written here from the standard,
 * not from lib/crypto, so the tests stay independent readings of it.
 */
#ifndef DOT_TEST_PQ_H
#define DOT_TEST_PQ_H

#include <stddef.h>
#include <stdint.h>

#include "doteros/sha3.h"
#include "harness.h"

/* Whether n bytes are all zero (a refused call must leave its outputs so). */
static inline int
pq_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* n bytes from the deterministic generator of harness.h. */
static inline void
pq_fill(uint8_t *p, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)t_rand(seed);
}

/* Set 12-bit value number i of an encoded polynomial vector (FIPS 203
 * ByteEncode_12, as in an ML-KEM ek or X-Wing's pk_M) to v. */
static inline void
pq_set12(uint8_t *p, size_t i, unsigned v)
{
	uint8_t *b = p + 3 * (i / 2);

	if (i % 2 == 0) {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)((b[1] & 0xf0) | (v >> 8));
	} else {
		b[1] = (uint8_t)((b[1] & 0x0f) | ((v & 0x0f) << 4));
		b[2] = (uint8_t)(v >> 4);
	}
}

/* J(z || c) = SHAKE256(z || c, 32), FIPS 203 Algorithm 18's rejection key
 * for the n-byte ciphertext c under the 32-byte z of a dk. */
static inline void
pq_j(uint8_t out[32], const uint8_t z[32], const uint8_t *c, size_t n)
{
	struct dot_sha3_ctx x;

	dot_shake256_init(&x);
	dot_sha3_update(&x, z, 32);
	dot_sha3_update(&x, c, n);
	dot_shake_squeeze(&x, out, 32);
	dot_sha3_wipe(&x);
}

#endif
