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
#include "sha3x4.h"

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
 * local lanes aNN (NN = x + 5y) and a second set eNN, the rounds going
 * from one to the other and back. Each round is computed plane by plane
 * of its output (y = 0..4): the five lanes that χ combines in that plane
 * (after θ, ρ, π: bX), then its five outputs, whose column sums are
 * added up for the next round's θ as they are made; so few values are
 * live at once and the compiler keeps most in registers. The step
 * mappings were written out lane by lane from their definitions (by a
 * script, from the tables below):
 *
 *   ρ (§3.2.2, Algorithm 2): lane x + 5y rotates by (t + 1)(t + 2)/2 mod
 *     64 along the walk (x, y) <- (y, 2x + 3y mod 5) from (1, 0):
 *     0 1 62 28 27 / 36 44 6 55 20 / 3 10 43 25 39 / 41 45 15 21 8 /
 *     18 2 61 56 14
 *   π (§3.2.3, Algorithm 3): A'[x, y] = A[(x + 3y) mod 5, x], so lane
 *     x + 5y moves to lane y + 5 ((2x + 3y) mod 5).
 *   χ (§3.2.4, Algorithm 4): A'[x, y] = A[x, y] ^ (~A[x+1, y] & A[x+2, y]).
 *
 * χ costs a NOT per lane as written; with the lane complementing
 * transform (Bertoni, Daemen, Peeters, Van Assche, Van Keer, "Keccak
 * implementation overview", §2.2) it takes five per round. During the
 * 24 rounds the lanes of P = {1, 2, 8, 12, 17, 20} ((x, y) = (1, 0),
 * (2, 0), (3, 1), (2, 2), (2, 3), (0, 4)) are held complemented; θ,
 * ρ and π carry the complements along (a rotation of ~x is ~ of the
 * rotation, an XOR of two complemented values is the plain XOR), and
 * each lane of χ is computed from its inputs' complement state by one
 * of the forms B ^ (B1 & B2), B ^ (B1 | B2), with at most one of the
 * three complemented (one NOT per plane, shared), so that its output is
 * complemented iff it is in P
 * again. The forms were chosen by a script that checked each against
 * χ's truth table for the complement states that reach it.
 */
static void
keccak_f1600(uint64_t st[25])
{
	uint64_t a00, a01, a02, a03, a04, a05, a06, a07, a08, a09, a10, a11,
		a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24;
	uint64_t e00, e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11,
		e12, e13, e14, e15, e16, e17, e18, e19, e20, e21, e22, e23, e24;
	uint64_t b0, b1, b2, b3, b4, n;
	uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;

	a00 = st[0];
	a01 = ~st[1];
	a02 = ~st[2];
	a03 = st[3];
	a04 = st[4];
	a05 = st[5];
	a06 = st[6];
	a07 = st[7];
	a08 = ~st[8];
	a09 = st[9];
	a10 = st[10];
	a11 = st[11];
	a12 = ~st[12];
	a13 = st[13];
	a14 = st[14];
	a15 = st[15];
	a16 = st[16];
	a17 = ~st[17];
	a18 = st[18];
	a19 = st[19];
	a20 = ~st[20];
	a21 = st[21];
	a22 = st[22];
	a23 = st[23];
	a24 = st[24];
	/* θ's column sums for the first round; the rounds compute the next
	 * ones as they go */
	c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
	c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
	c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
	c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
	c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
	for (int ir = 0; ir < 24; ir += 2) {
		d0 = c4 ^ rol64(c1, 1);
		d1 = c0 ^ rol64(c2, 1);
		d2 = c1 ^ rol64(c3, 1);
		d3 = c2 ^ rol64(c4, 1);
		d4 = c3 ^ rol64(c0, 1);
		b0 = a00 ^ d0;
		b1 = rol64(a06 ^ d1, 44);
		b2 = rol64(a12 ^ d2, 43);
		b3 = rol64(a18 ^ d3, 21);
		b4 = rol64(a24 ^ d4, 14);
		n = ~b2;
		e00 = b0 ^ (b1 | b2);
		e00 ^= round_constants[ir];
		c0 = e00;
		e01 = b1 ^ (n | b3);
		c1 = e01;
		e02 = b2 ^ (b3 & b4);
		c2 = e02;
		e03 = b3 ^ (b4 | b0);
		c3 = e03;
		e04 = b4 ^ (b0 & b1);
		c4 = e04;
		b0 = rol64(a03 ^ d3, 28);
		b1 = rol64(a09 ^ d4, 20);
		b2 = rol64(a10 ^ d0, 3);
		b3 = rol64(a16 ^ d1, 45);
		b4 = rol64(a22 ^ d2, 61);
		n = ~b4;
		e05 = b0 ^ (b1 | b2);
		c0 ^= e05;
		e06 = b1 ^ (b2 & b3);
		c1 ^= e06;
		e07 = b2 ^ (b3 | n);
		c2 ^= e07;
		e08 = b3 ^ (b4 | b0);
		c3 ^= e08;
		e09 = b4 ^ (b0 & b1);
		c4 ^= e09;
		b0 = rol64(a01 ^ d1, 1);
		b1 = rol64(a07 ^ d2, 6);
		b2 = rol64(a13 ^ d3, 25);
		b3 = rol64(a19 ^ d4, 8);
		b4 = rol64(a20 ^ d0, 18);
		n = ~b3;
		e10 = b0 ^ (b1 | b2);
		c0 ^= e10;
		e11 = b1 ^ (b2 & b3);
		c1 ^= e11;
		e12 = b2 ^ (n & b4);
		c2 ^= e12;
		e13 = n ^ (b4 | b0);
		c3 ^= e13;
		e14 = b4 ^ (b0 & b1);
		c4 ^= e14;
		b0 = rol64(a04 ^ d4, 27);
		b1 = rol64(a05 ^ d0, 36);
		b2 = rol64(a11 ^ d1, 10);
		b3 = rol64(a17 ^ d2, 15);
		b4 = rol64(a23 ^ d3, 56);
		n = ~b3;
		e15 = b0 ^ (b1 & b2);
		c0 ^= e15;
		e16 = b1 ^ (b2 | b3);
		c1 ^= e16;
		e17 = b2 ^ (n | b4);
		c2 ^= e17;
		e18 = n ^ (b4 & b0);
		c3 ^= e18;
		e19 = b4 ^ (b0 | b1);
		c4 ^= e19;
		b0 = rol64(a02 ^ d2, 62);
		b1 = rol64(a08 ^ d3, 55);
		b2 = rol64(a14 ^ d4, 39);
		b3 = rol64(a15 ^ d0, 41);
		b4 = rol64(a21 ^ d1, 2);
		n = ~b1;
		e20 = b0 ^ (n & b2);
		c0 ^= e20;
		e21 = n ^ (b2 | b3);
		c1 ^= e21;
		e22 = b2 ^ (b3 & b4);
		c2 ^= e22;
		e23 = b3 ^ (b4 | b0);
		c3 ^= e23;
		e24 = b4 ^ (b0 & b1);
		c4 ^= e24;
		d0 = c4 ^ rol64(c1, 1);
		d1 = c0 ^ rol64(c2, 1);
		d2 = c1 ^ rol64(c3, 1);
		d3 = c2 ^ rol64(c4, 1);
		d4 = c3 ^ rol64(c0, 1);
		b0 = e00 ^ d0;
		b1 = rol64(e06 ^ d1, 44);
		b2 = rol64(e12 ^ d2, 43);
		b3 = rol64(e18 ^ d3, 21);
		b4 = rol64(e24 ^ d4, 14);
		n = ~b2;
		a00 = b0 ^ (b1 | b2);
		a00 ^= round_constants[ir + 1];
		c0 = a00;
		a01 = b1 ^ (n | b3);
		c1 = a01;
		a02 = b2 ^ (b3 & b4);
		c2 = a02;
		a03 = b3 ^ (b4 | b0);
		c3 = a03;
		a04 = b4 ^ (b0 & b1);
		c4 = a04;
		b0 = rol64(e03 ^ d3, 28);
		b1 = rol64(e09 ^ d4, 20);
		b2 = rol64(e10 ^ d0, 3);
		b3 = rol64(e16 ^ d1, 45);
		b4 = rol64(e22 ^ d2, 61);
		n = ~b4;
		a05 = b0 ^ (b1 | b2);
		c0 ^= a05;
		a06 = b1 ^ (b2 & b3);
		c1 ^= a06;
		a07 = b2 ^ (b3 | n);
		c2 ^= a07;
		a08 = b3 ^ (b4 | b0);
		c3 ^= a08;
		a09 = b4 ^ (b0 & b1);
		c4 ^= a09;
		b0 = rol64(e01 ^ d1, 1);
		b1 = rol64(e07 ^ d2, 6);
		b2 = rol64(e13 ^ d3, 25);
		b3 = rol64(e19 ^ d4, 8);
		b4 = rol64(e20 ^ d0, 18);
		n = ~b3;
		a10 = b0 ^ (b1 | b2);
		c0 ^= a10;
		a11 = b1 ^ (b2 & b3);
		c1 ^= a11;
		a12 = b2 ^ (n & b4);
		c2 ^= a12;
		a13 = n ^ (b4 | b0);
		c3 ^= a13;
		a14 = b4 ^ (b0 & b1);
		c4 ^= a14;
		b0 = rol64(e04 ^ d4, 27);
		b1 = rol64(e05 ^ d0, 36);
		b2 = rol64(e11 ^ d1, 10);
		b3 = rol64(e17 ^ d2, 15);
		b4 = rol64(e23 ^ d3, 56);
		n = ~b3;
		a15 = b0 ^ (b1 & b2);
		c0 ^= a15;
		a16 = b1 ^ (b2 | b3);
		c1 ^= a16;
		a17 = b2 ^ (n | b4);
		c2 ^= a17;
		a18 = n ^ (b4 & b0);
		c3 ^= a18;
		a19 = b4 ^ (b0 | b1);
		c4 ^= a19;
		b0 = rol64(e02 ^ d2, 62);
		b1 = rol64(e08 ^ d3, 55);
		b2 = rol64(e14 ^ d4, 39);
		b3 = rol64(e15 ^ d0, 41);
		b4 = rol64(e21 ^ d1, 2);
		n = ~b1;
		a20 = b0 ^ (n & b2);
		c0 ^= a20;
		a21 = n ^ (b2 | b3);
		c1 ^= a21;
		a22 = b2 ^ (b3 & b4);
		c2 ^= a22;
		a23 = b3 ^ (b4 | b0);
		c3 ^= a23;
		a24 = b4 ^ (b0 & b1);
		c4 ^= a24;
	}
	st[0] = a00;
	st[1] = ~a01;
	st[2] = ~a02;
	st[3] = a03;
	st[4] = a04;
	st[5] = a05;
	st[6] = a06;
	st[7] = a07;
	st[8] = ~a08;
	st[9] = a09;
	st[10] = a10;
	st[11] = a11;
	st[12] = ~a12;
	st[13] = a13;
	st[14] = a14;
	st[15] = a15;
	st[16] = a16;
	st[17] = ~a17;
	st[18] = a18;
	st[19] = a19;
	st[20] = ~a20;
	st[21] = a21;
	st[22] = a22;
	st[23] = a23;
	st[24] = a24;
}

static inline uint64_t
load64_le(const uint8_t *p)
{
	uint64_t v = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&v, p, 8);
#else
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
#endif
	return v;
}

static inline void
store64_le(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8);
#else
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
#endif
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

/* Bytes pos..pos + n - 1 of the state, the byte string of §3.1.2. On a
 * little-endian machine that is the state's memory as it lies. */
static void
extract(const uint64_t st[25], unsigned pos, uint8_t *out, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(out, (const uint8_t *)st + pos, n);
#else
	for (size_t i = 0; i < n; i++, pos++)
		out[i] = (uint8_t)(st[pos >> 3] >> (8 * (pos & 7)));
#endif
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
		size_t take;

		if (pos == c->rate) {
			keccak_f1600(c->st);
			pos = 0;
		}
		take = c->rate - pos < n ? c->rate - pos : n;
		extract(c->st, pos, out, take);
		out += take, n -= take, pos += (unsigned)take;
	}
	c->pos = (uint16_t)pos;
}

void
dot_sha3_final(struct dot_sha3_ctx *c, uint8_t *out)
{
	assert(c->outlen != 0 && !c->squeezing);
	/* d <= r for both, so one block of output suffices. */
	pad_and_switch(c);
	extract(c->st, 0, out, c->outlen);
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

/* ---- four streams at once, AVX2 (sha3x4.h) ---- */

static int avx2_off;

void
dot_crypto_set_avx2(int on)
{
	avx2_off = !on;
}

#ifdef DOT_HAVE_AVX2_CODE
#include <immintrin.h>

int
dot_crypto_avx2(void)
{
	return !avx2_off && __builtin_cpu_supports("avx2");
}

#define XOR(x, y) _mm256_xor_si256((x), (y))
#define ANDN(x, y) _mm256_andnot_si256((x), (y)) /* ~x & y */
#define ROL(x, n)                                                              \
	_mm256_or_si256(_mm256_slli_epi64((x), (n)),                           \
			_mm256_srli_epi64((x), 64 - (n)))

/* Keccak-f[1600] on four states, lane i of state k in 64-bit element k
 * of s[i]: the scalar keccak_f1600's rounds (above), with χ's ~x & y as
 * one ANDN and so without lane complementing. */
__attribute__((target("avx2"))) static void
keccakx4_f1600(__m256i s[25])
{
	__m256i a00, a01, a02, a03, a04, a05, a06, a07, a08, a09, a10, a11,
		a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24;
	__m256i e00, e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11,
		e12, e13, e14, e15, e16, e17, e18, e19, e20, e21, e22, e23, e24;
	__m256i b0, b1, b2, b3, b4, c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;

	a00 = s[0];
	a01 = s[1];
	a02 = s[2];
	a03 = s[3];
	a04 = s[4];
	a05 = s[5];
	a06 = s[6];
	a07 = s[7];
	a08 = s[8];
	a09 = s[9];
	a10 = s[10];
	a11 = s[11];
	a12 = s[12];
	a13 = s[13];
	a14 = s[14];
	a15 = s[15];
	a16 = s[16];
	a17 = s[17];
	a18 = s[18];
	a19 = s[19];
	a20 = s[20];
	a21 = s[21];
	a22 = s[22];
	a23 = s[23];
	a24 = s[24];
	c0 = XOR(XOR(XOR(a00, a05), XOR(a10, a15)), a20);
	c1 = XOR(XOR(XOR(a01, a06), XOR(a11, a16)), a21);
	c2 = XOR(XOR(XOR(a02, a07), XOR(a12, a17)), a22);
	c3 = XOR(XOR(XOR(a03, a08), XOR(a13, a18)), a23);
	c4 = XOR(XOR(XOR(a04, a09), XOR(a14, a19)), a24);
	for (int ir = 0; ir < 24; ir += 2) {
		d0 = XOR(c4, ROL(c1, 1));
		d1 = XOR(c0, ROL(c2, 1));
		d2 = XOR(c1, ROL(c3, 1));
		d3 = XOR(c2, ROL(c4, 1));
		d4 = XOR(c3, ROL(c0, 1));
		b0 = XOR(a00, d0);
		b1 = ROL(XOR(a06, d1), 44);
		b2 = ROL(XOR(a12, d2), 43);
		b3 = ROL(XOR(a18, d3), 21);
		b4 = ROL(XOR(a24, d4), 14);
		e00 = XOR(b0, ANDN(b1, b2));
		e00 = XOR(e00, _mm256_set1_epi64x((long long)round_constants[ir]));
		c0 = e00;
		e01 = XOR(b1, ANDN(b2, b3));
		c1 = e01;
		e02 = XOR(b2, ANDN(b3, b4));
		c2 = e02;
		e03 = XOR(b3, ANDN(b4, b0));
		c3 = e03;
		e04 = XOR(b4, ANDN(b0, b1));
		c4 = e04;
		b0 = ROL(XOR(a03, d3), 28);
		b1 = ROL(XOR(a09, d4), 20);
		b2 = ROL(XOR(a10, d0), 3);
		b3 = ROL(XOR(a16, d1), 45);
		b4 = ROL(XOR(a22, d2), 61);
		e05 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, e05);
		e06 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, e06);
		e07 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, e07);
		e08 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, e08);
		e09 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, e09);
		b0 = ROL(XOR(a01, d1), 1);
		b1 = ROL(XOR(a07, d2), 6);
		b2 = ROL(XOR(a13, d3), 25);
		b3 = ROL(XOR(a19, d4), 8);
		b4 = ROL(XOR(a20, d0), 18);
		e10 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, e10);
		e11 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, e11);
		e12 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, e12);
		e13 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, e13);
		e14 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, e14);
		b0 = ROL(XOR(a04, d4), 27);
		b1 = ROL(XOR(a05, d0), 36);
		b2 = ROL(XOR(a11, d1), 10);
		b3 = ROL(XOR(a17, d2), 15);
		b4 = ROL(XOR(a23, d3), 56);
		e15 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, e15);
		e16 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, e16);
		e17 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, e17);
		e18 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, e18);
		e19 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, e19);
		b0 = ROL(XOR(a02, d2), 62);
		b1 = ROL(XOR(a08, d3), 55);
		b2 = ROL(XOR(a14, d4), 39);
		b3 = ROL(XOR(a15, d0), 41);
		b4 = ROL(XOR(a21, d1), 2);
		e20 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, e20);
		e21 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, e21);
		e22 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, e22);
		e23 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, e23);
		e24 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, e24);
		d0 = XOR(c4, ROL(c1, 1));
		d1 = XOR(c0, ROL(c2, 1));
		d2 = XOR(c1, ROL(c3, 1));
		d3 = XOR(c2, ROL(c4, 1));
		d4 = XOR(c3, ROL(c0, 1));
		b0 = XOR(e00, d0);
		b1 = ROL(XOR(e06, d1), 44);
		b2 = ROL(XOR(e12, d2), 43);
		b3 = ROL(XOR(e18, d3), 21);
		b4 = ROL(XOR(e24, d4), 14);
		a00 = XOR(b0, ANDN(b1, b2));
		a00 = XOR(a00, _mm256_set1_epi64x((long long)round_constants[ir + 1]));
		c0 = a00;
		a01 = XOR(b1, ANDN(b2, b3));
		c1 = a01;
		a02 = XOR(b2, ANDN(b3, b4));
		c2 = a02;
		a03 = XOR(b3, ANDN(b4, b0));
		c3 = a03;
		a04 = XOR(b4, ANDN(b0, b1));
		c4 = a04;
		b0 = ROL(XOR(e03, d3), 28);
		b1 = ROL(XOR(e09, d4), 20);
		b2 = ROL(XOR(e10, d0), 3);
		b3 = ROL(XOR(e16, d1), 45);
		b4 = ROL(XOR(e22, d2), 61);
		a05 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, a05);
		a06 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, a06);
		a07 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, a07);
		a08 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, a08);
		a09 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, a09);
		b0 = ROL(XOR(e01, d1), 1);
		b1 = ROL(XOR(e07, d2), 6);
		b2 = ROL(XOR(e13, d3), 25);
		b3 = ROL(XOR(e19, d4), 8);
		b4 = ROL(XOR(e20, d0), 18);
		a10 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, a10);
		a11 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, a11);
		a12 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, a12);
		a13 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, a13);
		a14 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, a14);
		b0 = ROL(XOR(e04, d4), 27);
		b1 = ROL(XOR(e05, d0), 36);
		b2 = ROL(XOR(e11, d1), 10);
		b3 = ROL(XOR(e17, d2), 15);
		b4 = ROL(XOR(e23, d3), 56);
		a15 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, a15);
		a16 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, a16);
		a17 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, a17);
		a18 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, a18);
		a19 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, a19);
		b0 = ROL(XOR(e02, d2), 62);
		b1 = ROL(XOR(e08, d3), 55);
		b2 = ROL(XOR(e14, d4), 39);
		b3 = ROL(XOR(e15, d0), 41);
		b4 = ROL(XOR(e21, d1), 2);
		a20 = XOR(b0, ANDN(b1, b2));
		c0 = XOR(c0, a20);
		a21 = XOR(b1, ANDN(b2, b3));
		c1 = XOR(c1, a21);
		a22 = XOR(b2, ANDN(b3, b4));
		c2 = XOR(c2, a22);
		a23 = XOR(b3, ANDN(b4, b0));
		c3 = XOR(c3, a23);
		a24 = XOR(b4, ANDN(b0, b1));
		c4 = XOR(c4, a24);
	}
	s[0] = a00;
	s[1] = a01;
	s[2] = a02;
	s[3] = a03;
	s[4] = a04;
	s[5] = a05;
	s[6] = a06;
	s[7] = a07;
	s[8] = a08;
	s[9] = a09;
	s[10] = a10;
	s[11] = a11;
	s[12] = a12;
	s[13] = a13;
	s[14] = a14;
	s[15] = a15;
	s[16] = a16;
	s[17] = a17;
	s[18] = a18;
	s[19] = a19;
	s[20] = a20;
	s[21] = a21;
	s[22] = a22;
	s[23] = a23;
	s[24] = a24;
}

/* The next 8 bytes of each input as the four elements of a vector. */
__attribute__((target("avx2"))) static inline __m256i
load4(const uint8_t *const in[4], size_t off)
{
	return _mm256_set_epi64x((long long)load64_le(in[3] + off),
				 (long long)load64_le(in[2] + off),
				 (long long)load64_le(in[1] + off),
				 (long long)load64_le(in[0] + off));
}

__attribute__((target("avx2"))) void
dot_shakex4(unsigned rate, uint8_t *const out[4], size_t nblocks,
	    const uint8_t *const in[4], size_t n)
{
	__m256i s[25];
	uint8_t last[4][DOT_SHAKE128_RATE];
	const uint8_t *lp[4] = {last[0], last[1], last[2], last[3]};
	uint64_t lane[4];
	size_t off = 0, rest;

	assert(rate == DOT_SHAKE128_RATE || rate == DOT_SHAKE256_RATE);
	for (int i = 0; i < 25; i++)
		s[i] = _mm256_setzero_si256();
	/* SPONGE (Algorithm 8), whole blocks, then the last with the
	 * suffix 1111 and pad10*1 (as pad_and_switch) */
	for (; n - off >= rate; off += rate) {
		for (unsigned i = 0; i < rate / 8; i++)
			s[i] = XOR(s[i], load4(in, off + 8 * i));
		keccakx4_f1600(s);
	}
	rest = n - off;
	for (int k = 0; k < 4; k++) {
		memset(last[k], 0, rate);
		if (rest > 0)
			memcpy(last[k], in[k] + off, rest);
		last[k][rest] ^= 0x1f;
		last[k][rate - 1] ^= 0x80;
	}
	for (unsigned i = 0; i < rate / 8; i++)
		s[i] = XOR(s[i], load4(lp, 8 * i));
	for (size_t b = 0; b < nblocks; b++) {
		keccakx4_f1600(s);
		for (unsigned i = 0; i < rate / 8; i++) {
			_mm256_storeu_si256((__m256i *)(void *)lane, s[i]);
			for (int k = 0; k < 4; k++)
				store64_le(out[k] + b * rate + 8 * i, lane[k]);
		}
	}
	sodium_memzero(s, sizeof(s));
	sodium_memzero(last, sizeof(last));
	sodium_memzero(lane, sizeof(lane));
}

#else

int
dot_crypto_avx2(void)
{
	return 0;
}

void
dot_shakex4(unsigned rate, uint8_t *const out[4], size_t nblocks,
	    const uint8_t *const in[4], size_t n)
{
	(void)rate, (void)out, (void)nblocks, (void)in, (void)n;
	assert(!"dot_shakex4 without AVX2 code");
}

#endif
