/*
 * sha3.h - FIPS 202: SHA3-256, SHA3-512, SHAKE128 and SHAKE256
 * (docs/crypto.md §9).
 *
 * Written for ML-KEM (FIPS 203 §4.1: H = SHA3-256, G = SHA3-512,
 * J and PRF = SHAKE256, XOF = SHAKE128) and the other post-quantum
 * algorithms; Doteros' own hashing uses BLAKE2b (crypto.h). Everything of
 * this module takes fixed caller buffers and allocates nothing; no path
 * branches on or indexes by the bytes hashed, only on their lengths.
 *
 * One context type serves all four functions. The life of a context:
 *
 *   init -> update* -> final                 (SHA3-256, SHA3-512)
 *   init -> update* -> squeeze*              (SHAKE128, SHAKE256)
 *
 * dot_sha3_final writes the digest and wipes the context. The first
 * dot_shake_squeeze pads and ends absorption; later calls continue the same
 * output stream, so squeeze(a) then squeeze(b) gives the same bytes as one
 * squeeze(a + b). Mixing the two (final on a SHAKE context, squeeze on a
 * SHA3 one, update after a squeeze) is a programming error (assert).
 * dot_sha3_wipe zeroes a context that holds secret input.
 */
#ifndef DOTEROS_SHA3_H
#define DOTEROS_SHA3_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DOT_SHA3_256_LEN 32
#define DOT_SHA3_512_LEN 64
/* Rates in bytes, r = 1600 - 2 * security bits (FIPS 202 §6). */
#define DOT_SHAKE128_RATE 168
#define DOT_SHAKE256_RATE 136

struct dot_sha3_ctx {
	/* Private: the Keccak-f[1600] state, lane (x, y) at st[x + 5 y],
	 * bytes little-endian in each lane (FIPS 202 §3.1.2, B.1). */
	uint64_t st[25];
	uint16_t pos;       /* absorbing: bytes in the current block;
			       squeezing: bytes of the block consumed */
	uint16_t rate;      /* bytes */
	uint8_t suffix;     /* 0x06 SHA3, 0x1f SHAKE: the domain bits and
			       the first bit of pad10*1 */
	uint8_t outlen;     /* 32 or 64 for SHA3, 0 for a XOF */
	uint8_t squeezing;
};

/* One-shot. */
DOT_API void dot_sha3_256(uint8_t out[DOT_SHA3_256_LEN], const void *in,
			  size_t n);
DOT_API void dot_sha3_512(uint8_t out[DOT_SHA3_512_LEN], const void *in,
			  size_t n);
DOT_API void dot_shake128(uint8_t *out, size_t outlen, const void *in,
			  size_t n);
DOT_API void dot_shake256(uint8_t *out, size_t outlen, const void *in,
			  size_t n);

/* Incremental. */
DOT_API void dot_sha3_256_init(struct dot_sha3_ctx *c);
DOT_API void dot_sha3_512_init(struct dot_sha3_ctx *c);
DOT_API void dot_shake128_init(struct dot_sha3_ctx *c);
DOT_API void dot_shake256_init(struct dot_sha3_ctx *c);
/* Absorb n more bytes (any split gives the same result). */
DOT_API void dot_sha3_update(struct dot_sha3_ctx *c, const void *in,
			     size_t n);
/* SHA3-256/512: write the 32- or 64-byte digest, then wipe the context. */
DOT_API void dot_sha3_final(struct dot_sha3_ctx *c, uint8_t *out);
/* SHAKE128/256: the next n bytes of output. */
DOT_API void dot_shake_squeeze(struct dot_sha3_ctx *c, uint8_t *out,
			       size_t n);
/* Zero the context (secret input is in its state). */
DOT_API void dot_sha3_wipe(struct dot_sha3_ctx *c);

#endif
