/*
 * sha3x4.h - private to lib/crypto: four SHAKE streams at once with AVX2
 * (lib/crypto/sha3.c), and the switch between the AVX2 code paths and the
 * portable ones.
 *
 * The AVX2 paths are compiled on x86-64 with gcc or clang (functions with
 * __attribute__((target("avx2"))), so the rest of the library keeps the
 * baseline instruction set) and chosen at run time: dot_crypto_avx2() is
 * 1 where the CPU has AVX2. Each gives the same bytes as the portable
 * path, which stays in use elsewhere and is tested against it: every
 * ML-DSA vector runs both ways (tests: mldsa, mldsa-portable), pqpaths
 * compares the two on random inputs, ct-mldsa checks both.
 */
#ifndef DOT_CRYPTO_SHA3X4_H
#define DOT_CRYPTO_SHA3X4_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DOT_HAVE_AVX2_CODE 1
#endif

/* 1 if the AVX2 paths may run: compiled in, the CPU has AVX2, and not
 * switched off by dot_crypto_set_avx2(0). */
int dot_crypto_avx2(void);

/* For tests and benchmarks: 0 forces the portable paths, 1 lets the AVX2
 * ones run again where the CPU has them. Not thread safe: call it before
 * any other thread uses lib/crypto. */
void dot_crypto_set_avx2(int on);

/*
 * Four SHAKE streams of the same rate (DOT_SHAKE128_RATE or
 * DOT_SHAKE256_RATE): stream k absorbs its own n bytes in[k] and its
 * first nblocks blocks (nblocks times the rate in bytes) are written to
 * out[k]. Exactly dot_shake128 / dot_shake256 of each. Constant time in
 * the input bytes. Only when dot_crypto_avx2() is 1.
 */
void dot_shakex4(unsigned rate, uint8_t *const out[4], size_t nblocks,
		 const uint8_t *const in[4], size_t n);

#endif
