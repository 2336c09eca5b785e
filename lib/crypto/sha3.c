/*
 * sha3.c - FIPS 202 SHA-3 and SHAKE (sha3.h), written from the standard's
 * text: Keccak-p[1600, 24] (§3.3), the sponge construction (§4) with
 * pad10*1, KECCAK[c] (§5.2), SHA3-256/512 (§6.1) and SHAKE128/256 (§6.2).
 *
 * The state is 25 lanes of 64 bits, lane (x, y) at st[x + 5y]; a byte
 * string fills it little-endian lane by lane, which is the bit order of
 * §3.1.2 and Appendix B.1 (bit i of byte j is bit 8j + i of the string).
 * No branch or memory index depends on the data hashed, only on lengths.
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "doteros/sha3.h"

/* The 24 round constants of ι, RC[ir] with bit 2^j - 1 = rc(j + 7 ir) for
 * j = 0..6 (§3.2.5, Algorithms 5 and 6), computed from the LFSR rc(t). */
static const uint64_t round_constants[24] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull,
	0x8000000080008000ull, 0x000000000000808bull, 0x0000000080000001ull,
	0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008aull,
	0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull,
	0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull,
	0x000000000000800aull, 0x800000008000000aull, 0x8000000080008081ull,
	0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

static inline uint64_t
rol64(uint64_t x, unsigned n)
{
	return (x << n) | (x >> ((64 - n) & 63));
}

/*
 * Keccak-p[1600, 24] = Keccak-f[1600] (§3.3, Algorithm 7; §3.4), on 25
 * local lanes aNN (NN = x + 5y) so that the compiler keeps them in
 * registers. The step mappings were written out lane by lane from their
 * definitions (by a script, from the tables below):
 *
 *   ρ (§3.2.2, Algorithm 2): lane x + 5y rotates by (t + 1)(t + 2)/2 mod
 *     64 along the walk (x, y) <- (y, 2x + 3y mod 5) from (1, 0):
 *     0 1 62 28 27 / 36 44 6 55 20 / 3 10 43 25 39 / 41 45 15 21 8 /
 *     18 2 61 56 14
 *   π (§3.2.3, Algorithm 3): A'[x, y] = A[(x + 3y) mod 5, x], so lane
 *     x + 5y moves to lane y + 5 ((2x + 3y) mod 5).
 *   χ (§3.2.4, Algorithm 4): A'[x, y] = A[x, y] ^ (~A[x+1, y] & A[x+2, y]).
 */
static void
keccak_f1600(uint64_t st[25])
{
	uint64_t a00, a01, a02, a03, a04, a05, a06, a07, a08,
		a09, a10, a11, a12, a13, a14, a15, a16, a17,
		a18, a19, a20, a21, a22, a23, a24;
	uint64_t b00, b01, b02, b03, b04, b05, b06, b07, b08,
		b09, b10, b11, b12, b13, b14, b15, b16, b17,
		b18, b19, b20, b21, b22, b23, b24;
	uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;

	a00 = st[0];
	a01 = st[1];
	a02 = st[2];
	a03 = st[3];
	a04 = st[4];
	a05 = st[5];
	a06 = st[6];
	a07 = st[7];
	a08 = st[8];
	a09 = st[9];
	a10 = st[10];
	a11 = st[11];
	a12 = st[12];
	a13 = st[13];
	a14 = st[14];
	a15 = st[15];
	a16 = st[16];
	a17 = st[17];
	a18 = st[18];
	a19 = st[19];
	a20 = st[20];
	a21 = st[21];
	a22 = st[22];
	a23 = st[23];
	a24 = st[24];
	for (int ir = 0; ir < 24; ir++) {
		/* θ (Algorithm 1) */
		c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
		c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
		c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
		c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
		c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
		d0 = c4 ^ rol64(c1, 1);
		d1 = c0 ^ rol64(c2, 1);
		d2 = c1 ^ rol64(c3, 1);
		d3 = c2 ^ rol64(c4, 1);
		d4 = c3 ^ rol64(c0, 1);
		/* θ's sums added, then ρ and π (Algorithms 2, 3) */
		b00 = a00 ^ d0;
		b01 = rol64(a06 ^ d1, 44);
		b02 = rol64(a12 ^ d2, 43);
		b03 = rol64(a18 ^ d3, 21);
		b04 = rol64(a24 ^ d4, 14);
		b05 = rol64(a03 ^ d3, 28);
		b06 = rol64(a09 ^ d4, 20);
		b07 = rol64(a10 ^ d0, 3);
		b08 = rol64(a16 ^ d1, 45);
		b09 = rol64(a22 ^ d2, 61);
		b10 = rol64(a01 ^ d1, 1);
		b11 = rol64(a07 ^ d2, 6);
		b12 = rol64(a13 ^ d3, 25);
		b13 = rol64(a19 ^ d4, 8);
		b14 = rol64(a20 ^ d0, 18);
		b15 = rol64(a04 ^ d4, 27);
		b16 = rol64(a05 ^ d0, 36);
		b17 = rol64(a11 ^ d1, 10);
		b18 = rol64(a17 ^ d2, 15);
		b19 = rol64(a23 ^ d3, 56);
		b20 = rol64(a02 ^ d2, 62);
		b21 = rol64(a08 ^ d3, 55);
		b22 = rol64(a14 ^ d4, 39);
		b23 = rol64(a15 ^ d0, 41);
		b24 = rol64(a21 ^ d1, 2);
		/* χ (Algorithm 4), then ι (Algorithm 6) on lane (0, 0) */
		a00 = b00 ^ (~b01 & b02);
		a01 = b01 ^ (~b02 & b03);
		a02 = b02 ^ (~b03 & b04);
		a03 = b03 ^ (~b04 & b00);
		a04 = b04 ^ (~b00 & b01);
		a05 = b05 ^ (~b06 & b07);
		a06 = b06 ^ (~b07 & b08);
		a07 = b07 ^ (~b08 & b09);
		a08 = b08 ^ (~b09 & b05);
		a09 = b09 ^ (~b05 & b06);
		a10 = b10 ^ (~b11 & b12);
		a11 = b11 ^ (~b12 & b13);
		a12 = b12 ^ (~b13 & b14);
		a13 = b13 ^ (~b14 & b10);
		a14 = b14 ^ (~b10 & b11);
		a15 = b15 ^ (~b16 & b17);
		a16 = b16 ^ (~b17 & b18);
		a17 = b17 ^ (~b18 & b19);
		a18 = b18 ^ (~b19 & b15);
		a19 = b19 ^ (~b15 & b16);
		a20 = b20 ^ (~b21 & b22);
		a21 = b21 ^ (~b22 & b23);
		a22 = b22 ^ (~b23 & b24);
		a23 = b23 ^ (~b24 & b20);
		a24 = b24 ^ (~b20 & b21);
		a00 ^= round_constants[ir];
	}
	st[0] = a00;
	st[1] = a01;
	st[2] = a02;
	st[3] = a03;
	st[4] = a04;
	st[5] = a05;
	st[6] = a06;
	st[7] = a07;
	st[8] = a08;
	st[9] = a09;
	st[10] = a10;
	st[11] = a11;
	st[12] = a12;
	st[13] = a13;
	st[14] = a14;
	st[15] = a15;
	st[16] = a16;
	st[17] = a17;
	st[18] = a18;
	st[19] = a19;
	st[20] = a20;
	st[21] = a21;
	st[22] = a22;
	st[23] = a23;
	st[24] = a24;
}

static inline uint64_t
load64_le(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
init(struct dot_sha3_ctx *c, unsigned rate, uint8_t suffix, uint8_t outlen)
{
	memset(c, 0, sizeof(*c));
	c->rate = (uint16_t)rate;
	c->suffix = suffix;
	c->outlen = outlen;
}

/* SHA3-256 = KECCAK[512](M || 01, 256): c = 512, r = 1088 bits. */
void
dot_sha3_256_init(struct dot_sha3_ctx *c)
{
	init(c, 136, 0x06, DOT_SHA3_256_LEN);
}

/* SHA3-512 = KECCAK[1024](M || 01, 512): r = 576 bits. */
void
dot_sha3_512_init(struct dot_sha3_ctx *c)
{
	init(c, 72, 0x06, DOT_SHA3_512_LEN);
}

/* SHAKE128 = KECCAK[256](M || 1111, d): r = 1344 bits. */
void
dot_shake128_init(struct dot_sha3_ctx *c)
{
	init(c, DOT_SHAKE128_RATE, 0x1f, 0);
}

/* SHAKE256 = KECCAK[512](M || 1111, d): r = 1088 bits. */
void
dot_shake256_init(struct dot_sha3_ctx *c)
{
	init(c, DOT_SHAKE256_RATE, 0x1f, 0);
}

/* SPONGE's absorbing phase (§4, Algorithm 8, steps 5-6), one block as it
 * fills: the message bytes XORed into the first r/8 bytes of the state. */
void
dot_sha3_update(struct dot_sha3_ctx *c, const void *in, size_t n)
{
	const uint8_t *p = in;
	unsigned pos = c->pos, rate = c->rate;

	assert(!c->squeezing);
	/* Finish a partial lane byte by byte. */
	while (n > 0 && (pos & 7) != 0) {
		c->st[pos >> 3] ^= (uint64_t)*p++ << (8 * (pos & 7));
		pos++, n--;
		if (pos == rate) {
			keccak_f1600(c->st);
			pos = 0;
		}
	}
	/* Whole lanes. */
	while (n >= 8) {
		c->st[pos >> 3] ^= load64_le(p);
		p += 8, n -= 8, pos += 8;
		if (pos == rate) {
			keccak_f1600(c->st);
			pos = 0;
		}
	}
	while (n > 0) {
		c->st[pos >> 3] ^= (uint64_t)*p++ << (8 * (pos & 7));
		pos++, n--;
	}
	c->pos = (uint16_t)pos;
}

/*
 * The suffix bits (01 for SHA-3, 1111 for SHAKE; §6.1, §6.2) and then
 * pad10*1 (§5.1, Algorithm 9) in bytes: the suffix byte already holds the
 * first 1 of the padding after the domain bits, and the last bit of the
 * block is set. Then the first permutation of the squeezing phase.
 */
static void
pad_and_switch(struct dot_sha3_ctx *c)
{
	unsigned pos = c->pos;

	c->st[pos >> 3] ^= (uint64_t)c->suffix << (8 * (pos & 7));
	pos = c->rate - 1u;
	c->st[pos >> 3] ^= (uint64_t)0x80 << (8 * (pos & 7));
	keccak_f1600(c->st);
	c->pos = 0;
	c->squeezing = 1;
}

/* SPONGE's squeezing phase (Algorithm 8, steps 7-10): output the first
 * r/8 bytes of the state, permute, repeat. */
void
dot_shake_squeeze(struct dot_sha3_ctx *c, uint8_t *out, size_t n)
{
	unsigned pos;

	assert(c->outlen == 0);
	if (!c->squeezing)
		pad_and_switch(c);
	pos = c->pos;
	while (n > 0) {
		if (pos == c->rate) {
			keccak_f1600(c->st);
			pos = 0;
		}
		if ((pos & 7) == 0 && n >= 8 && pos + 8 <= c->rate) {
			uint64_t v = c->st[pos >> 3];
			for (int i = 0; i < 8; i++)
				out[i] = (uint8_t)(v >> (8 * i));
			out += 8, n -= 8, pos += 8;
			continue;
		}
		*out++ = (uint8_t)(c->st[pos >> 3] >> (8 * (pos & 7)));
		pos++, n--;
	}
	c->pos = (uint16_t)pos;
}

void
dot_sha3_final(struct dot_sha3_ctx *c, uint8_t *out)
{
	assert(c->outlen != 0 && !c->squeezing);
	/* d <= r for both, so one block of output suffices. */
	pad_and_switch(c);
	for (unsigned i = 0; i < c->outlen; i++)
		out[i] = (uint8_t)(c->st[i >> 3] >> (8 * (i & 7)));
	dot_sha3_wipe(c);
}

void
dot_sha3_wipe(struct dot_sha3_ctx *c)
{
	sodium_memzero(c, sizeof(*c));
}

void
dot_sha3_256(uint8_t out[DOT_SHA3_256_LEN], const void *in, size_t n)
{
	struct dot_sha3_ctx c;

	dot_sha3_256_init(&c);
	dot_sha3_update(&c, in, n);
	dot_sha3_final(&c, out);
}

void
dot_sha3_512(uint8_t out[DOT_SHA3_512_LEN], const void *in, size_t n)
{
	struct dot_sha3_ctx c;

	dot_sha3_512_init(&c);
	dot_sha3_update(&c, in, n);
	dot_sha3_final(&c, out);
}

void
dot_shake128(uint8_t *out, size_t outlen, const void *in, size_t n)
{
	struct dot_sha3_ctx c;

	dot_shake128_init(&c);
	dot_sha3_update(&c, in, n);
	dot_shake_squeeze(&c, out, outlen);
	dot_sha3_wipe(&c);
}

void
dot_shake256(uint8_t *out, size_t outlen, const void *in, size_t n)
{
	struct dot_sha3_ctx c;

	dot_shake256_init(&c);
	dot_sha3_update(&c, in, n);
	dot_shake_squeeze(&c, out, outlen);
	dot_sha3_wipe(&c);
}
