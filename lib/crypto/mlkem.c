/*
 * mlkem.c - ML-KEM-768 (FIPS 203), written from the standard's text
 * (mlkem.h, docs/crypto.md §10).
 *
 * Parameters (FIPS 203 §8, Table 2): n = 256, q = 3329, k = 3, η1 = η2 = 2,
 * du = 10, dv = 4. Functions (§4.1): H = SHA3-256, G = SHA3-512 cut into
 * two 32-byte halves, J(s) = SHAKE256(s, 32 bytes), PRF_η(s, b) =
 * SHAKE256(s || b, 64η bytes), XOF = SHAKE128.
 *
 * Representation: a polynomial is 256 coefficients, each kept fully reduced
 * in [0, q) as a uint16_t, whether in the normal or the NTT domain.
 *
 * Constant time. Every function that may see secret data (the secret
 * vector s, the errors, the message m, the seeds d, z, σ, r, the decrypted
 * m' and the re-encrypted c') uses only additions, subtractions, shifts,
 * bitwise operations and multiplications on it: no branch, no memory
 * index and no division or remainder depends on a secret. Reductions mod q
 * are Barrett reductions (a multiply and a shift, then one conditional
 * subtraction done with a mask), and Compress_d divides by q with a
 * multiply and a shift (the KyberSlash lesson). Masks pass through
 * dot_ct_barrier (ct.h). The one data-dependent loop, SampleNTT's
 * rejection sampling, runs on ρ, which is public (it is part of ek). The
 * decapsulation chooses between K' and J(z || c) with a mask computed from
 * a comparison of the whole ciphertext that always reads every byte.
 * tests/unit/ct_mlkem.c checks all this under valgrind.
 */
#include <string.h>

#include <sodium.h>

#include "ct.h"
#include "doteros/mlkem.h"
#include "doteros/sha3.h"

#define N 256
#define Q 3329
#define K 3
#define ETA1 2
#define ETA2 2
#define DU 10
#define DV 4

#define POLY_BYTES 384                    /* ByteEncode12 of one polynomial */
#define DK_PKE_LEN (POLY_BYTES * K)       /* 1152 */
#define EK_LEN (POLY_BYTES * K + 32)      /* 1184 */
#define C1_LEN (32 * DU * K)              /* 960 */
#define C2_LEN (32 * DV)                  /* 128 */
#define CT_LEN (C1_LEN + C2_LEN)          /* 1088 */
#define DK_LEN (2 * POLY_BYTES * K + 96)  /* 2400 */

_Static_assert(EK_LEN == DOT_MLKEM768_EK_LEN, "ek length");
_Static_assert(DK_LEN == DOT_MLKEM768_DK_LEN, "dk length");
_Static_assert(CT_LEN == DOT_MLKEM768_CT_LEN, "ciphertext length");

struct poly {
	uint16_t c[N];
};

/* ζ^BitRev7(i) mod q for i = 0..127, ζ = 17 (§4.3, Appendix A), computed
 * from the definition with Python's pow(17, bitrev7(i), 3329). */
static const uint16_t zetas[128] = {
	1,    1729, 2580, 3289, 2642, 630,  1897, 848,  1062, 1919, 193,  797,
	2786, 3260, 569,  1746, 296,  2447, 1339, 1476, 3046, 56,   2240, 1333,
	1426, 2094, 535,  2882, 2393, 2879, 1974, 821,  289,  331,  3253, 1756,
	1197, 2304, 2277, 2055, 650,  1977, 2513, 632,  2865, 33,   1320, 1915,
	2319, 1435, 807,  452,  1438, 2868, 1534, 2402, 2647, 2617, 1481, 648,
	2474, 3110, 1227, 910,  17,   2761, 583,  2649, 1637, 723,  2288, 1100,
	1409, 2662, 3281, 233,  756,  2156, 3015, 3050, 1703, 1651, 2789, 1789,
	1847, 952,  1461, 2687, 939,  2308, 2437, 2388, 733,  2337, 268,  641,
	1584, 2298, 2037, 3220, 375,  2549, 2090, 1645, 1063, 319,  2773, 757,
	2099, 561,  2466, 2594, 2804, 1092, 403,  1026, 1143, 2150, 2775, 886,
	1722, 1212, 1874, 1029, 2110, 2935, 885,  2154,
};

/* γ_i = ζ^(2 BitRev7(i) + 1) mod q for i = 0..127 (Algorithm 11, and the
 * second table of Appendix A), computed the same way. */
static const uint16_t gammas[128] = {
	17,   3312, 2761, 568,  583,  2746, 2649, 680,  1637, 1692, 723,  2606,
	2288, 1041, 1100, 2229, 1409, 1920, 2662, 667,  3281, 48,   233,  3096,
	756,  2573, 2156, 1173, 3015, 314,  3050, 279,  1703, 1626, 1651, 1678,
	2789, 540,  1789, 1540, 1847, 1482, 952,  2377, 1461, 1868, 2687, 642,
	939,  2390, 2308, 1021, 2437, 892,  2388, 941,  733,  2596, 2337, 992,
	268,  3061, 641,  2688, 1584, 1745, 2298, 1031, 2037, 1292, 3220, 109,
	375,  2954, 2549, 780,  2090, 1239, 1645, 1684, 1063, 2266, 319,  3010,
	2773, 556,  757,  2572, 2099, 1230, 561,  2768, 2466, 863,  2594, 735,
	2804, 525,  1092, 2237, 403,  2926, 1026, 2303, 1143, 2186, 2150, 1179,
	2775, 554,  886,  2443, 1722, 1607, 1212, 2117, 1874, 1455, 1029, 2300,
	2110, 1219, 2935, 394,  885,  2444, 2154, 1175,
};

/* ---- arithmetic mod q, constant time ---- */

/* x mod q for x in [0, 2q): subtract q, add it back under a mask. */
static inline uint16_t
csubq(uint32_t x)
{
	uint32_t y = x - Q;
	uint32_t mask = dot_ct_barrier(0u - (y >> 31)); /* ones iff x < q */

	return (uint16_t)(y + (Q & mask));
}

/*
 * x mod q for any 32-bit x, Barrett: t = floor(x M / 2^32) with
 * M = floor(2^32 / q) = 1290167 is floor(x / q) or one less, so x - t q
 * lies in [0, 2q).
 */
static inline uint16_t
reduce(uint32_t x)
{
	uint32_t t = (uint32_t)(((uint64_t)x * 1290167u) >> 32);

	return csubq(x - t * Q);
}

static inline uint16_t
mulq(uint32_t a, uint32_t b)
{
	return reduce(a * b);
}

/*
 * Compress_d(x) = round(2^d x / q) mod 2^d (§4.2.1, eq. 4.7) for x in
 * [0, q) and d <= 11. round(y) = floor(y + 1/2), and since q is odd,
 * floor((2^d x + 1664) / q) equals it. The division by q is a multiply
 * by 2580335 = ceil(2^33 / q) and a shift by 33, exact for every
 * numerator below 2^23 (checked for every one with Python when the
 * constant was chosen; the ACVP and Wycheproof vectors cover d = 1, 4, 10).
 */
static inline uint16_t
compress(uint16_t x, unsigned d)
{
	uint64_t t = ((uint64_t)x << d) + 1664u;

	return (uint16_t)(((t * 2580335u) >> 33) & ((1u << d) - 1u));
}

/* Decompress_d(y) = round(q y / 2^d) (eq. 4.8). */
static inline uint16_t
decompress(uint16_t y, unsigned d)
{
	return (uint16_t)(((uint32_t)y * Q + (1u << (d - 1))) >> d);
}

/* ---- encodings (§4.2.1) ---- */

/* Algorithm 5, ByteEncode_12. */
static void
byte_encode12(uint8_t out[POLY_BYTES], const struct poly *f)
{
	for (int i = 0; i < N / 2; i++) {
		uint16_t a = f->c[2 * i], b = f->c[2 * i + 1];

		out[3 * i] = (uint8_t)a;
		out[3 * i + 1] = (uint8_t)((a >> 8) | (b << 4));
		out[3 * i + 2] = (uint8_t)(b >> 4);
	}
}

/* Algorithm 6, ByteDecode_12: each 12-bit value taken mod q (m = q for
 * d = 12); one conditional subtraction since 2^12 - 1 < 2q. */
static void
byte_decode12(struct poly *f, const uint8_t in[POLY_BYTES])
{
	for (int i = 0; i < N / 2; i++) {
		uint32_t a = in[3 * i] |
			     ((uint32_t)(in[3 * i + 1] & 0x0f) << 8);
		uint32_t b = (uint32_t)(in[3 * i + 1] >> 4) |
			     ((uint32_t)in[3 * i + 2] << 4);

		f->c[2 * i] = csubq(a);
		f->c[2 * i + 1] = csubq(b);
	}
}

/* Algorithm 5, ByteEncode_d for d < 12: the d low bits of each
 * coefficient, least significant first, packed into 32 d bytes. */
static void
byte_encode(uint8_t *out, const struct poly *f, unsigned d)
{
	uint32_t acc = 0;
	unsigned bits = 0;

	for (int i = 0; i < N; i++) {
		acc |= (uint32_t)f->c[i] << bits;
		bits += d;
		while (bits >= 8) {
			*out++ = (uint8_t)acc;
			acc >>= 8;
			bits -= 8;
		}
	}
}

/* Algorithm 6, ByteDecode_d for d < 12 (m = 2^d: no reduction). */
static void
byte_decode(struct poly *f, const uint8_t *in, unsigned d)
{
	uint32_t acc = 0;
	unsigned bits = 0;

	for (int i = 0; i < N; i++) {
		while (bits < d) {
			acc |= (uint32_t)*in++ << bits;
			bits += 8;
		}
		f->c[i] = (uint16_t)(acc & ((1u << d) - 1u));
		acc >>= d;
		bits -= d;
	}
}

static void
poly_compress_encode(uint8_t *out, struct poly *f, unsigned d)
{
	for (int i = 0; i < N; i++)
		f->c[i] = compress(f->c[i], d);
	byte_encode(out, f, d);
}

static void
poly_decode_decompress(struct poly *f, const uint8_t *in, unsigned d)
{
	byte_decode(f, in, d);
	for (int i = 0; i < N; i++)
		f->c[i] = decompress(f->c[i], d);
}

/* ---- sampling (§4.2.2) ---- */

/*
 * Algorithm 7, SampleNTT(ρ || j || i): rejection sampling of 12-bit
 * values below q from one SHAKE128 stream. The stream is read 168 bytes
 * (one SHAKE128 block, 56 three-byte groups) at a time and squeezing
 * continues on the same context until 256 coefficients are accepted,
 * which is the algorithm's XOF.Squeeze(ctx, 3) loop. ρ is public.
 */
static void
sample_ntt(struct poly *a, const uint8_t rho[32], uint8_t j, uint8_t i)
{
	struct dot_sha3_ctx xof;
	uint8_t buf[DOT_SHAKE128_RATE];
	int n = 0;

	dot_shake128_init(&xof);
	dot_sha3_update(&xof, rho, 32);
	dot_sha3_update(&xof, &j, 1);
	dot_sha3_update(&xof, &i, 1);
	while (n < N) {
		dot_shake_squeeze(&xof, buf, sizeof(buf));
		for (size_t p = 0; p < sizeof(buf) && n < N; p += 3) {
			/* d1 = C0 + 256 (C1 mod 16), d2 = C1 / 16 + 16 C2 */
			unsigned c0 = buf[p], c1 = buf[p + 1], c2 = buf[p + 2];
			unsigned d1 = c0 | (c1 & 0x0f) << 8;
			unsigned d2 = c1 >> 4 | c2 << 4;

			if (d1 < Q)
				a->c[n++] = (uint16_t)d1;
			if (d2 < Q && n < N)
				a->c[n++] = (uint16_t)d2;
		}
	}
	dot_sha3_wipe(&xof);
}

/*
 * Algorithm 8, SamplePolyCBD_η(B), B = PRF_η(s, b) of 64η bytes (the PRF
 * of §4.1, eq. 4.3, computed here): f_i = Σ_{j<η} b[2iη + j] −
 * Σ_{j<η} b[2iη + η + j] mod q, over the bits b of B. Bit positions
 * depend only on i and j.
 */
static void
sample_cbd(struct poly *f, const uint8_t s[32], uint8_t b, unsigned eta)
{
	uint8_t in[33], buf[64 * 3];

	memcpy(in, s, 32);
	in[32] = b;
	dot_shake256(buf, 64 * eta, in, sizeof(in));
	for (unsigned i = 0; i < N; i++) {
		uint32_t x = 0, y = 0;

		for (unsigned j = 0; j < eta; j++) {
			unsigned bx = 2 * i * eta + j, by = bx + eta;

			x += (buf[bx >> 3] >> (bx & 7)) & 1u;
			y += (buf[by >> 3] >> (by & 7)) & 1u;
		}
		f->c[i] = csubq(x + Q - y);
	}
	sodium_memzero(in, sizeof(in));
	sodium_memzero(buf, sizeof(buf));
}

/* ---- the NTT (§4.3) ---- */

/*
 * Algorithm 9, NTT. The sums and differences are not reduced inside the
 * loop: with t < q, a coefficient below b q before a layer is below
 * (b + 1) q after it, so below 8q = 26632 after the seven layers (a
 * uint16_t holds it, and zeta times it stays below 2^32 for mulq); one
 * reduction at the end brings each into [0, q).
 */
static void
ntt(struct poly *f)
{
	unsigned i = 1;

	for (unsigned len = 128; len >= 2; len >>= 1)
		for (unsigned start = 0; start < N; start += 2 * len) {
			uint16_t zeta = zetas[i++];

			for (unsigned j = start; j < start + len; j++) {
				uint16_t t = mulq(zeta, f->c[j + len]);

				f->c[j + len] = (uint16_t)(f->c[j] + Q - t);
				f->c[j] = (uint16_t)(f->c[j] + t);
			}
		}
	for (unsigned j = 0; j < N; j++)
		f->c[j] = reduce(f->c[j]);
}

/* Algorithm 10, NTT^-1; the final factor 3303 = 128^-1 mod q. */
static void
ntt_inverse(struct poly *f)
{
	unsigned i = 127;

	for (unsigned len = 2; len <= 128; len <<= 1)
		for (unsigned start = 0; start < N; start += 2 * len) {
			uint16_t zeta = zetas[i--];

			for (unsigned j = start; j < start + len; j++) {
				uint16_t t = f->c[j];
				uint32_t u = (uint32_t)f->c[j + len] + Q - t;

				f->c[j] = csubq((uint32_t)t + f->c[j + len]);
				f->c[j + len] = mulq(zeta, u);
			}
		}
	for (unsigned j = 0; j < N; j++)
		f->c[j] = mulq(f->c[j], 3303);
}

/*
 * Algorithms 11 and 12, MultiplyNTTs and BaseCaseMultiply, accumulated:
 * acc += f̂ × ĝ in T_q, each pair (acc[2i], acc[2i+1]) +=
 * (f0 g0 + f1 g1 γ_i, f0 g1 + f1 g0). Each call adds less than 2q^2 to
 * every entry, so k calls over a start below q stay far below 2^32;
 * acc_reduce then takes every entry mod q.
 */
static void
multiply_ntts_acc(uint32_t acc[N], const struct poly *f, const struct poly *g)
{
	for (int i = 0; i < N / 2; i++) {
		uint32_t f0 = f->c[2 * i], f1 = f->c[2 * i + 1];
		uint32_t g0 = g->c[2 * i], g1 = g->c[2 * i + 1];

		acc[2 * i] += f0 * g0 + (uint32_t)mulq(f1, g1) * gammas[i];
		acc[2 * i + 1] += f0 * g1 + f1 * g0;
	}
}

static void
acc_reduce(struct poly *f, const uint32_t acc[N])
{
	for (int i = 0; i < N; i++)
		f->c[i] = reduce(acc[i]);
}

static void
poly_add(struct poly *f, const struct poly *g)
{
	for (int i = 0; i < N; i++)
		f->c[i] = csubq((uint32_t)f->c[i] + g->c[i]);
}

/* ---- constant-time byte strings ---- */

/* All ones if a and b (n bytes) are equal, else 0; reads every byte. */
static uint8_t
ct_equal_mask(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= (uint32_t)(a[i] ^ b[i]);
	return (uint8_t)dot_ct_is_zero(dot_ct_barrier(acc));
}

/* out = mask ? a : b, for a mask of all ones or all zeros. */
static void
ct_select(uint8_t *out, const uint8_t *a, const uint8_t *b, size_t n,
	  uint8_t mask)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(b[i] ^ (mask & (a[i] ^ b[i])));
}

/* ---- K-PKE (§5) ---- */

/*
 * Algorithm 13, K-PKE.KeyGen(d). Â[i][j] = SampleNTT(ρ || j || i) is
 * generated one entry at a time as the product needs it.
 */
static void
kpke_keygen(uint8_t ek[EK_LEN], uint8_t dk_pke[DK_PKE_LEN],
	    const uint8_t d[32])
{
	uint8_t in[33], rho_sigma[64];
	const uint8_t *rho = rho_sigma, *sigma = rho_sigma + 32;
	struct poly s[K], e, a, t;
	uint32_t acc[N];
	uint8_t nonce = 0;

	/* (ρ, σ) <- G(d || k): the k byte separates the parameter sets. */
	memcpy(in, d, 32);
	in[32] = K;
	dot_sha3_512(rho_sigma, in, sizeof(in));
	DOT_CT_PUBLIC(rho_sigma, 32); /* ρ is published in ek */

	for (int i = 0; i < K; i++) {
		sample_cbd(&s[i], sigma, nonce++, ETA1);
		ntt(&s[i]);
	}
	for (int i = 0; i < K; i++) {
		/* e_i = SamplePolyCBD(PRF(σ, N)), N = k + i; t̂_i = Σ_j
		 * Â[i][j] ŝ_j + ê_i. */
		sample_cbd(&e, sigma, nonce++, ETA1);
		ntt(&e);
		for (int c = 0; c < N; c++)
			acc[c] = e.c[c];
		for (int j = 0; j < K; j++) {
			sample_ntt(&a, rho, (uint8_t)j, (uint8_t)i);
			multiply_ntts_acc(acc, &a, &s[j]);
		}
		acc_reduce(&t, acc);
		byte_encode12(ek + POLY_BYTES * i, &t);
		byte_encode12(dk_pke + POLY_BYTES * i, &s[i]);
	}
	memcpy(ek + POLY_BYTES * K, rho, 32);

	sodium_memzero(in, sizeof(in));
	sodium_memzero(rho_sigma, sizeof(rho_sigma));
	sodium_memzero(s, sizeof(s));
	sodium_memzero(&e, sizeof(e));
	sodium_memzero(&t, sizeof(t));
	sodium_memzero(acc, sizeof(acc));
}

/*
 * Algorithm 14, K-PKE.Encrypt(ek, m, r). ek has passed the modulus check
 * or comes from a dk whose hash matched; ByteDecode12 reduces mod q
 * either way, as the algorithm says. Â^T[i][j] = Â[j][i] =
 * SampleNTT(ρ || i || j).
 */
static void
kpke_encrypt(uint8_t c[CT_LEN], const uint8_t ek[EK_LEN], const uint8_t m[32],
	     const uint8_t r[32])
{
	const uint8_t *rho = ek + POLY_BYTES * K;
	struct poly y[K], a, u, v, t, mu;
	uint32_t acc[N];
	uint8_t nonce = 0;

	for (int i = 0; i < K; i++) {
		sample_cbd(&y[i], r, nonce++, ETA1);
		ntt(&y[i]);
	}
	/* u = NTT^-1(Â^T ∘ ŷ) + e1, c1 = ByteEncode_du(Compress_du(u)) */
	for (int i = 0; i < K; i++) {
		memset(acc, 0, sizeof(acc));
		for (int j = 0; j < K; j++) {
			sample_ntt(&a, rho, (uint8_t)i, (uint8_t)j);
			multiply_ntts_acc(acc, &a, &y[j]);
		}
		acc_reduce(&u, acc);
		ntt_inverse(&u);
		sample_cbd(&a, r, nonce++, ETA2); /* e1_i, N = k + i */
		poly_add(&u, &a);
		poly_compress_encode(c + 32 * DU * i, &u, DU);
	}
	/* v = NTT^-1(t̂^T ∘ ŷ) + e2 + μ, μ = Decompress_1(ByteDecode_1(m)) */
	memset(acc, 0, sizeof(acc));
	for (int j = 0; j < K; j++) {
		byte_decode12(&t, ek + POLY_BYTES * j);
		multiply_ntts_acc(acc, &t, &y[j]);
	}
	acc_reduce(&v, acc);
	ntt_inverse(&v);
	sample_cbd(&a, r, nonce++, ETA2); /* e2, N = 2k */
	poly_add(&v, &a);
	/* Decompress_1 of bit b is b · round(q/2) = b · 1665: the bit
	 * becomes a mask (through the barrier) rather than a branch. */
	for (int i = 0; i < N; i++) {
		uint32_t bit = (m[i >> 3] >> (i & 7)) & 1u;

		mu.c[i] = (uint16_t)(dot_ct_barrier(0u - bit) & 1665u);
	}
	poly_add(&v, &mu);
	poly_compress_encode(c + C1_LEN, &v, DV);

	sodium_memzero(y, sizeof(y));
	sodium_memzero(&a, sizeof(a));
	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&v, sizeof(v));
	sodium_memzero(&mu, sizeof(mu));
	sodium_memzero(acc, sizeof(acc));
}

/* Algorithm 15, K-PKE.Decrypt(dk_PKE, c). */
static void
kpke_decrypt(uint8_t m[32], const uint8_t dk_pke[DK_PKE_LEN],
	     const uint8_t c[CT_LEN])
{
	struct poly u, s, w;
	uint32_t acc[N];

	/* ŝ^T ∘ NTT(u'), u' = Decompress_du(ByteDecode_du(c1)) */
	memset(acc, 0, sizeof(acc));
	for (int i = 0; i < K; i++) {
		poly_decode_decompress(&u, c + 32 * DU * i, DU);
		ntt(&u);
		byte_decode12(&s, dk_pke + POLY_BYTES * i);
		multiply_ntts_acc(acc, &s, &u);
	}
	acc_reduce(&w, acc);
	ntt_inverse(&w);
	/* w = v' − NTT^-1(...), v' = Decompress_dv(ByteDecode_dv(c2)) */
	poly_decode_decompress(&u, c + C1_LEN, DV);
	for (int i = 0; i < N; i++)
		w.c[i] = csubq((uint32_t)u.c[i] + Q - w.c[i]);
	/* m = ByteEncode_1(Compress_1(w)) */
	poly_compress_encode(m, &w, 1);

	sodium_memzero(&u, sizeof(u));
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(&w, sizeof(w));
	sodium_memzero(acc, sizeof(acc));
}

/* ---- ML-KEM (§6, §7) ---- */

/* Algorithm 16, ML-KEM.KeyGen_internal(d, z):
 * dk = dk_PKE || ek || H(ek) || z. */
void
dot_mlkem768_keypair_derand(uint8_t ek[DOT_MLKEM768_EK_LEN],
			    uint8_t dk[DOT_MLKEM768_DK_LEN],
			    const uint8_t d[DOT_MLKEM_RAND_LEN],
			    const uint8_t z[DOT_MLKEM_RAND_LEN])
{
	kpke_keygen(ek, dk, d);
	memcpy(dk + DK_PKE_LEN, ek, EK_LEN);
	dot_sha3_256(dk + DK_PKE_LEN + EK_LEN, ek, EK_LEN);
	memcpy(dk + DK_PKE_LEN + EK_LEN + 32, z, 32);
}

int
dot_mlkem768_keypair_seed(uint8_t ek[DOT_MLKEM768_EK_LEN],
			  uint8_t dk[DOT_MLKEM768_DK_LEN], const uint8_t *seed,
			  size_t n)
{
	if (n != DOT_MLKEM_SEED_LEN) {
		memset(ek, 0, EK_LEN);
		sodium_memzero(dk, DK_LEN);
		return DOT_ECRYPTO_KEY;
	}
	dot_mlkem768_keypair_derand(ek, dk, seed, seed + 32);
	return DOT_OK;
}

/* Algorithm 19, ML-KEM.KeyGen. */
void
dot_mlkem768_keypair(uint8_t ek[DOT_MLKEM768_EK_LEN],
		     uint8_t dk[DOT_MLKEM768_DK_LEN])
{
	uint8_t dz[64];

	randombytes_buf(dz, sizeof(dz));
	dot_mlkem768_keypair_derand(ek, dk, dz, dz + 32);
	sodium_memzero(dz, sizeof(dz));
}

/*
 * §7.2, the input checks of ML-KEM.Encaps: the type check (length
 * 384k + 32) and the modulus check, ByteEncode12(ByteDecode12(ek_i)) ==
 * ek_i for each of the k encoded polynomials (fails exactly when a 12-bit
 * value is q or more). ek is public.
 */
int
dot_mlkem768_ek_check(const uint8_t *ek, size_t n)
{
	struct poly f;
	uint8_t back[POLY_BYTES];

	if (n != EK_LEN)
		return DOT_ECRYPTO_MLKEM_EK;
	for (int i = 0; i < K; i++) {
		byte_decode12(&f, ek + POLY_BYTES * i);
		byte_encode12(back, &f);
		if (memcmp(back, ek + POLY_BYTES * i, POLY_BYTES) != 0)
			return DOT_ECRYPTO_MLKEM_EK;
	}
	return DOT_OK;
}

/*
 * §7.3, the input checks of ML-KEM.Decaps on dk: the type check (length
 * 768k + 96) and the hash check, H(dk[384k : 768k + 32]) ==
 * dk[768k + 32 : 768k + 64]. Both parts are public (ek and its hash).
 */
int
dot_mlkem768_dk_check(const uint8_t *dk, size_t n)
{
	uint8_t h[32];

	if (n != DK_LEN)
		return DOT_ECRYPTO_MLKEM_DK;
	dot_sha3_256(h, dk + DK_PKE_LEN, EK_LEN);
	if (sodium_memcmp(h, dk + DK_PKE_LEN + EK_LEN, 32) != 0)
		return DOT_ECRYPTO_MLKEM_DK;
	return DOT_OK;
}

/* Algorithm 17, ML-KEM.Encaps_internal(ek, m), after the §7.2 checks
 * (Algorithm 20's input checking). */
int
dot_mlkem768_encaps_derand(uint8_t ct[DOT_MLKEM768_CT_LEN],
			   uint8_t ss[DOT_MLKEM768_SS_LEN], const uint8_t *ek,
			   size_t eklen, const uint8_t m[DOT_MLKEM_RAND_LEN])
{
	uint8_t in[64], kr[64];
	int rv;

	if ((rv = dot_mlkem768_ek_check(ek, eklen)) != DOT_OK) {
		memset(ct, 0, CT_LEN);
		sodium_memzero(ss, 32);
		return rv;
	}
	/* (K, r) <- G(m || H(ek)) */
	memcpy(in, m, 32);
	dot_sha3_256(in + 32, ek, EK_LEN);
	dot_sha3_512(kr, in, sizeof(in));
	kpke_encrypt(ct, ek, m, kr + 32);
	memcpy(ss, kr, 32);
	sodium_memzero(in, sizeof(in));
	sodium_memzero(kr, sizeof(kr));
	return DOT_OK;
}

/* Algorithm 20, ML-KEM.Encaps. */
int
dot_mlkem768_encaps(uint8_t ct[DOT_MLKEM768_CT_LEN],
		    uint8_t ss[DOT_MLKEM768_SS_LEN], const uint8_t *ek,
		    size_t eklen)
{
	uint8_t m[32];
	int rv;

	randombytes_buf(m, sizeof(m));
	rv = dot_mlkem768_encaps_derand(ct, ss, ek, eklen, m);
	sodium_memzero(m, sizeof(m));
	return rv;
}

/*
 * Algorithm 21, ML-KEM.Decaps: the §7.3 checks (ciphertext type check,
 * decapsulation key type check, hash check), then Algorithm 18,
 * ML-KEM.Decaps_internal(dk, c).
 */
int
dot_mlkem768_decaps(uint8_t ss[DOT_MLKEM768_SS_LEN], const uint8_t *ct,
		    size_t ctlen, const uint8_t *dk, size_t dklen)
{
	const uint8_t *dk_pke = dk, *ek = dk + DK_PKE_LEN;
	const uint8_t *h = ek + EK_LEN, *z = h + 32;
	uint8_t m[64], kr[64], kbar[32], c2[CT_LEN];
	struct dot_sha3_ctx j;
	uint8_t equal;
	int rv;

	if (ctlen != CT_LEN) {
		sodium_memzero(ss, 32);
		return DOT_ECRYPTO_MLKEM_CT;
	}
	if ((rv = dot_mlkem768_dk_check(dk, dklen)) != DOT_OK) {
		sodium_memzero(ss, 32);
		return rv;
	}
	/* m' <- K-PKE.Decrypt(dk_PKE, c); (K', r') <- G(m' || h) */
	kpke_decrypt(m, dk_pke, ct);
	memcpy(m + 32, h, 32);
	dot_sha3_512(kr, m, sizeof(m));
	/* K̄ <- J(z || c) */
	dot_shake256_init(&j);
	dot_sha3_update(&j, z, 32);
	dot_sha3_update(&j, ct, CT_LEN);
	dot_shake_squeeze(&j, kbar, sizeof(kbar));
	dot_sha3_wipe(&j);
	/* c' <- K-PKE.Encrypt(ek_PKE, m', r'); if c != c', K' <- K̄:
	 * chosen by a mask, never a branch. */
	kpke_encrypt(c2, ek, m, kr + 32);
	equal = ct_equal_mask(ct, c2, CT_LEN);
	ct_select(ss, kr, kbar, 32, equal);

	sodium_memzero(m, sizeof(m));
	sodium_memzero(kr, sizeof(kr));
	sodium_memzero(kbar, sizeof(kbar));
	sodium_memzero(c2, sizeof(c2));
	sodium_memzero(&equal, sizeof(equal));
	return DOT_OK;
}
