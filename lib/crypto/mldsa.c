/*
 * mldsa.c - ML-DSA-65 (FIPS 204), written from the standard's text
 * (mldsa.h, docs/crypto.md §11).
 *
 * Parameters (FIPS 204 §4, Table 1): q = 8380417 = 2^23 - 2^13 + 1,
 * ζ = 1753, d = 13, τ = 49, λ = 192 (c̃ is λ/4 = 48 bytes), γ1 = 2^19,
 * γ2 = (q - 1)/32 = 261888, (k, l) = (6, 5), η = 4, β = τη = 196, ω = 55.
 * H = SHAKE256, G = SHAKE128.
 *
 * Representation: a polynomial (struct poly) is 256 coefficients, each
 * kept fully reduced in [0, q) as a uint32_t; a signed value x (s1, s2,
 * t0, y, z, ...) is stored as x mod q. In the NTT domain (struct npoly)
 * coefficients are signed int32_t and reduced lazily, each function
 * stating its bounds; NTT^-1 returns to [0, q).
 *
 * Constant time. Every function that may see a secret (ξ, ρ', K, s1, s2,
 * t0, rnd, ρ'', y, w, cs1, cs2, ct0, z and r0 of an iteration, h, and the
 * c̃ and c of every iteration until it is accepted) uses only additions,
 * subtractions, shifts, bitwise operations and multiplications on it.
 * Products are reduced by Montgomery reduction (Algorithm 49, with
 * R = 2^32, signed); a value is brought into [0, q) by adding or
 * subtracting q under a mask; Decompose divides by 2γ2 with a multiply
 * and a shift. Masks pass through dot_ct_barrier (ct.h). Values that
 * FIPS 204 makes public are declassified with DOT_CT_PUBLIC (a no-op in
 * the library, VALGRIND_MAKE_MEM_DEFINED in tests/unit/ct_mldsa.c), each
 * with its reason where it is done:
 *   - ρ, which goes out in pk (ExpandA's rejection sampling runs on it);
 *   - whether each 4-bit value of RejBoundedPoly's SHAKE256 stream is
 *     accepted (below 9): which positions are rejected is independent of
 *     the values kept, so it tells nothing about s1 and s2;
 *   - whether SampleInBall found its τ positions among the 128 candidate
 *     bytes of its stream's first block, which decides whether it
 *     squeezes another: false with probability 6 · 10^-43 (sample_in_ball
 *     says why this is all it reveals);
 *   - the outcome of each iteration's norm and hint-count checks, one bit
 *     for all of them together: the number of iterations depends on the
 *     secrets by the design of the scheme (Fiat-Shamir with aborts: a
 *     rejected iteration's values are discarded, and the count of
 *     rejections tells nothing useful about the key); the values checked,
 *     and which check failed, stay secret;
 *   - h once its iteration is accepted (it is written into σ);
 *   - whether an sk passed the range check on s1 and s2 (the caller is
 *     told by the return value anyway).
 * c̃ is not declassified: SampleInBall is constant time, so that the c̃
 * and c of a rejected iteration, which are never published, stay secret.
 * tests/unit/ct_mldsa.c checks all this under valgrind.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ct.h"
#include "doteros/mldsa.h"
#include "doteros/sha3.h"
#include "sha3x4.h"

#ifdef DOT_CT_VALGRIND
/* For tests/unit/ct_mldsa.c only, which compiles this file with
 * DOT_CT_VALGRIND (the library never is): the number of signing
 * iterations run, and a function called with the c̃ of each rejected
 * iteration, still secret, for the test's canary to branch on. */
extern unsigned long dot_mldsa_ct_iterations;
extern void (*dot_mldsa_ct_rejected)(const uint8_t *ctilde);
unsigned long dot_mldsa_ct_iterations;
void (*dot_mldsa_ct_rejected)(const uint8_t *ctilde);
#endif

#define N 256
#define Q 8380417u
#define D 13
#define TAU 49
#define CTILDE_LEN 48 /* λ/4 */
#define GAMMA1 (1u << 19)
#define GAMMA2 ((Q - 1) / 32) /* 261888 */
#define K 6
#define L 5
#define ETA 4
#define BETA (TAU * ETA) /* 196 */
#define OMEGA 55

#define QS 8380417       /* q, signed, for the NTT domain */
#define QINV 58728449u   /* q^-1 mod 2^32 */
#define F_INV 41978      /* 2^64 / 256 mod q: the NTT^-1 factor, below */

#define T1_BYTES 320     /* 32 (bitlen(q-1) - d): 10 bits */
#define ETA_BYTES 128    /* 32 bitlen(2η): 4 bits */
#define T0_BYTES 416     /* 32 d: 13 bits */
#define Z_BYTES 640      /* 32 (1 + bitlen(γ1-1)): 20 bits */
#define W1_BYTES 128     /* 32 bitlen((q-1)/(2γ2) - 1): 4 bits */
#define PK_LEN (32 + K * T1_BYTES)
#define SK_LEN (128 + (K + L) * ETA_BYTES + K * T0_BYTES)
#define SIG_LEN (CTILDE_LEN + L * Z_BYTES + OMEGA + K)

_Static_assert(PK_LEN == DOT_MLDSA65_PK_LEN, "pk length");
_Static_assert(SK_LEN == DOT_MLDSA65_SK_LEN, "sk length");
_Static_assert(SIG_LEN == DOT_MLDSA65_SIG_LEN, "signature length");

struct poly {
	uint32_t c[N];
};

/* A polynomial in the NTT domain (or the signed input of the NTT), each
 * coefficient a signed value congruent to the true one mod q, within a
 * bound each function states (below 9q at most). */
struct npoly {
	int32_t c[N];
};

/* ζ^BitRev8(m) · 2^32 mod q for m = 0..255 (§7.5, Appendix B, in
 * Montgomery form for mont_reduce() below), computed from the definition with
 * Python's pow(1753, bitrev8(m), q) * 2^32 % q. */
static const uint32_t zetas[N] = {
	4193792, 25847, 5771523, 7861508, 237124, 7602457, 7504169, 466468,
	1826347, 2353451, 8021166, 6288512, 3119733, 5495562, 3111497, 2680103,
	2725464, 1024112, 7300517, 3585928, 7830929, 7260833, 2619752, 6271868,
	6262231, 4520680, 6980856, 5102745, 1757237, 8360995, 4010497, 280005,
	2706023, 95776, 3077325, 3530437, 6718724, 4788269, 5842901, 3915439,
	4519302, 5336701, 3574422, 5512770, 3539968, 8079950, 2348700, 7841118,
	6681150, 6736599, 3505694, 4558682, 3507263, 6239768, 6779997, 3699596,
	811944, 531354, 954230, 3881043, 3900724, 5823537, 2071892, 5582638,
	4450022, 6851714, 4702672, 5339162, 6927966, 3475950, 2176455, 6795196,
	7122806, 1939314, 4296819, 7380215, 5190273, 5223087, 4747489, 126922,
	3412210, 7396998, 2147896, 2715295, 5412772, 4686924, 7969390, 5903370,
	7709315, 7151892, 8357436, 7072248, 7998430, 1349076, 1852771, 6949987,
	5037034, 264944, 508951, 3097992, 44288, 7280319, 904516, 3958618,
	4656075, 8371839, 1653064, 5130689, 2389356, 8169440, 759969, 7063561,
	189548, 4827145, 3159746, 6529015, 5971092, 8202977, 1315589, 1341330,
	1285669, 6795489, 7567685, 6940675, 5361315, 4499357, 4751448, 3839961,
	2091667, 3407706, 2316500, 3817976, 5037939, 2244091, 5933984, 4817955,
	266997, 2434439, 7144689, 3513181, 4860065, 4621053, 7183191, 5187039,
	900702, 1859098, 909542, 819034, 495491, 6767243, 8337157, 7857917,
	7725090, 5257975, 2031748, 3207046, 4823422, 7855319, 7611795, 4784579,
	342297, 286988, 5942594, 4108315, 3437287, 5038140, 1735879, 203044,
	2842341, 2691481, 5790267, 1265009, 4055324, 1247620, 2486353, 1595974,
	4613401, 1250494, 2635921, 4832145, 5386378, 1869119, 1903435, 7329447,
	7047359, 1237275, 5062207, 6950192, 7929317, 1312455, 3306115, 6417775,
	7100756, 1917081, 5834105, 7005614, 1500165, 777191, 2235880, 3406031,
	7838005, 5548557, 6709241, 6533464, 5796124, 4656147, 594136, 4603424,
	6366809, 2432395, 2454455, 8215696, 1957272, 3369112, 185531, 7173032,
	5196991, 162844, 1616392, 3014001, 810149, 1652634, 4686184, 6581310,
	5341501, 3523897, 3866901, 269760, 2213111, 7404533, 1717735, 472078,
	7953734, 1723600, 6577327, 1910376, 6712985, 7276084, 8119771, 4546524,
	5441381, 6144432, 7959518, 6094090, 183443, 7403526, 1612842, 4834730,
	7826001, 3919660, 8332111, 7018208, 3937738, 1400424, 7534263, 1976782,
};

/* ---- arithmetic mod q, constant time ---- */

/* x mod q for x in [0, 2q): subtract q, add it back under a mask. */
static inline uint32_t
csubq(uint32_t x)
{
	uint32_t y = x - Q;
	uint32_t mask = dot_ct_barrier(0u - (y >> 31)); /* ones iff x < q */

	return y + (Q & mask);
}

static inline uint32_t
addq(uint32_t a, uint32_t b)
{
	return csubq(a + b);
}

static inline uint32_t
subq(uint32_t a, uint32_t b)
{
	return csubq(a + Q - b);
}

/* |x mod± q| for x in [0, q): q - x when x > (q - 1)/2. */
static inline uint32_t
abs_pm(uint32_t x)
{
	uint32_t neg = dot_ct_barrier(0u - (((Q - 1) / 2 - x) >> 31));

	return x ^ ((x ^ (Q - x)) & neg);
}

/* 1 if some coefficient has |c mod± q| >= bound, else 0; no branch. */
static uint32_t
poly_norm_ge(const struct poly *p, uint32_t bound)
{
	uint32_t bad = 0;

	for (int i = 0; i < N; i++)
		bad |= (bound - 1 - abs_pm(p->c[i])) >> 31;
	return bad;
}

/*
 * The NTT domain works on signed values without reducing after every
 * operation (struct npoly; the bound of each value is stated where it is
 * made). This relies on what gcc and clang define and C leaves to the
 * implementation: a conversion to a narrower signed type wraps, and >> on
 * a negative value shifts in ones (arithmetic). Both compile to plain
 * integer instructions: no branch, constant time.
 */
_Static_assert((-1 >> 1) == -1, "arithmetic right shift");

/*
 * Algorithm 49, MontgomeryReduce, signed, R = 2^32: for |a| < 2^31 q,
 * t = a q^-1 mod 2^32 taken in [-2^31, 2^31) makes a - t q divisible by
 * 2^32, and |a - t q| < 2^31 q + 2^31 q, so r = (a - t q) / 2^32 has
 * |r| < q and r ≡ a 2^-32 (mod q).
 */
static inline int32_t
mont_reduce(int64_t a)
{
	int32_t t = (int32_t)(uint32_t)((uint64_t)a * QINV);

	return (int32_t)((a - (int64_t)t * QS) >> 32);
}

/* x + q if x < 0: (-q, q) to [0, q). */
static inline uint32_t
caddq(int32_t x)
{
	return (uint32_t)(x + ((x >> 31) & QS));
}

/* x mod± q for x in [0, q), as a signed value. */
static inline int32_t
centered(uint32_t x)
{
	uint32_t neg = dot_ct_barrier(0u - (((Q - 1) / 2 - x) >> 31));

	return (int32_t)x - (int32_t)(Q & neg);
}

/* a + b mod q in [0, q), for a in [0, q) and |b| < q. */
static inline uint32_t
add_signed(uint32_t a, int32_t b)
{
	return csubq(caddq((int32_t)a + b));
}

/* ---- the NTT (§7.5) ---- */

/*
 * Algorithm 41, NTT, in place, with zetas in Montgomery form and no
 * reduction between layers: each layer adds to a coefficient or
 * subtracts from it one Montgomery product, |t| < q, so an input with
 * |w| < q (a polynomial with coefficients in [0, q), or c in {-1, 0, 1})
 * gives |ŵ| < 9q. The products stay within mont_reduce's bound:
 * |ζ w| < q 9q < 2^31 q.
 */
static void
ntt(struct npoly *w)
{
	unsigned m = 0;

	for (unsigned len = 128; len >= 1; len >>= 1)
		for (unsigned start = 0; start < N; start += 2 * len) {
			int64_t z = zetas[++m];

			for (unsigned j = start; j < start + len; j++) {
				int32_t t = mont_reduce(z * w->c[j + len]);

				w->c[j + len] = w->c[j] - t;
				w->c[j] = w->c[j] + t;
			}
		}
}

/* Two layers of NTT^-1's Gentleman-Sande butterflies on four values
 * x[0], x[len], x[2 len], x[3 len]: the pairs (0, 1) and (2, 3) with
 * the twiddles za and zb, then (0, 2) and (1, 3) with zc. */
static inline void
invntt_4(int32_t x[4], int64_t za, int64_t zb, int64_t zc)
{
	int32_t t;

	t = x[0];
	x[0] = t + x[1];
	x[1] = mont_reduce(za * (t - x[1]));
	t = x[2];
	x[2] = t + x[3];
	x[3] = mont_reduce(zb * (t - x[3]));
	t = x[0];
	x[0] = t + x[2];
	x[2] = mont_reduce(zc * (t - x[2]));
	t = x[1];
	x[1] = t + x[3];
	x[3] = mont_reduce(zc * (t - x[3]));
}

/*
 * Algorithm 42, NTT^-1, in place on w (which it consumes), the result
 * fully reduced into p; the layers two at a time (len = 1 and 2, 4 and
 * 8, 16 and 32, 64 and 128), each value loaded and stored once per
 * pair. The input is always a Montgomery product or a sum of them
 * reduced once, |w| < q, carrying a factor 2^-32; the factor F_INV =
 * 2^64/256 mod q (through mont_reduce: 2^32/256) takes it out with the
 * 1/256, folded into the last layer (its twiddle multiplied by F_INV
 * beforehand). No reduction between layers: the sums at most double each
 * layer, below 2^8 q < 2^31 after the eighth, and the differences are
 * reduced by their Montgomery product (|·| < q), whose input stays below
 * 2^8 q · q < 2^31 q; likewise F_INV 2^8 q < 2^31 q.
 */
static void
ntt_inverse(struct poly *p, struct npoly *w)
{
	/* -ζ^BitRev8(1) F_INV 2^-32: the last layer's twiddle, with F_INV */
	int64_t zf = mont_reduce(-(int64_t)zetas[1] * F_INV);
	int32_t x[4];

	for (unsigned len = 1; len <= 16; len <<= 2) {
		/* layer len uses ζ[m] for m = 2 nb - 1 down, block by block,
		 * with nb = 256 / (2 len) blocks; layer 2 len likewise */
		unsigned nb = N / (2 * len);

		for (unsigned s = 0, b = 0; s < N; s += 4 * len, b++) {
			int64_t za = -(int64_t)zetas[2 * nb - 1 - 2 * b];
			int64_t zb = -(int64_t)zetas[2 * nb - 2 - 2 * b];
			int64_t zc = -(int64_t)zetas[nb - 1 - b];

			for (unsigned j = s; j < s + len; j++) {
				for (int k = 0; k < 4; k++)
					x[k] = w->c[j + k * len];
				invntt_4(x, za, zb, zc);
				for (int k = 0; k < 4; k++)
					w->c[j + k * len] = x[k];
			}
		}
	}
	for (unsigned j = 0; j < N / 4; j++) {
		for (int k = 0; k < 4; k++)
			x[k] = w->c[j + k * N / 4];
		invntt_4(x, -(int64_t)zetas[3], -(int64_t)zetas[2], zf);
		/* x[0] and x[1] lack the factor F_INV that zf gave x[2], x[3] */
		p->c[j] = caddq(mont_reduce((int64_t)F_INV * x[0]));
		p->c[j + N / 4] = caddq(mont_reduce((int64_t)F_INV * x[1]));
		p->c[j + N / 2] = caddq(x[2]);
		p->c[j + 3 * N / 4] = caddq(x[3]);
	}
}

/* Algorithm 45, MultiplyNTT: r = f̂ ∘ ĝ (times 2^-32, which NTT^-1
 * removes), for |f̂|, |ĝ| < 9q: the product is below 81 q^2 < 2^31 q,
 * and |r| < q. */
static void
npoly_mul(struct npoly *r, const struct npoly *f, const struct npoly *g)
{
	for (int i = 0; i < N; i++)
		r->c[i] = mont_reduce((int64_t)f->c[i] * g->c[i]);
}

/*
 * One row of Â ∘ v̂ (Algorithms 45 and 46, AddNTT, over a row): r =
 * Σ_j Â[j] ∘ v̂[j], the l 64-bit products added before one reduction:
 * with Â in [0, q) and |v̂| < 9q the sum is below 5 · 9 q^2 < 2^31 q, and
 * |r| < q.
 */
static void
row_mul(struct npoly *r, const struct npoly a[L], const struct npoly v[L])
{
	for (int i = 0; i < N; i++) {
		int64_t s = 0;

		for (int j = 0; j < L; j++)
			s += (int64_t)a[j].c[i] * v[j].c[i];
		r->c[i] = mont_reduce(s);
	}
}

/* ---- AVX2 (x86-64, chosen at run time: sha3x4.h) ---- */

/*
 * The same arithmetic as the scalar code above, eight 32-bit lanes at a
 * time, so every result is bit for bit the scalar one and every bound
 * stated there holds lane by lane. The NTTs run on up to eight
 * polynomials at once, one per lane (transposed in and out by 8 x 8
 * blocks), so each lane is exactly the scalar NTT; the products run over
 * eight coefficients of one polynomial. No branch or index depends on the
 * values. _mm256_mul_epi32 multiplies the low (even) 32-bit lane of each
 * 64-bit element, signed, into 64 bits; the odd lanes are shifted down
 * for it.
 */
#ifdef DOT_HAVE_AVX2_CODE
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

/* mont_reduce of the 64-bit products pe (even lanes) and po (odd lanes),
 * as eight 32-bit lanes: t = lo32(p) q^-1, (p - t q) / 2^32. */
AVX2 static inline __m256i
mont8(__m256i pe, __m256i po)
{
	const __m256i qinv = _mm256_set1_epi32((int32_t)QINV);
	const __m256i q = _mm256_set1_epi32(QS);
	__m256i te = _mm256_mul_epi32(_mm256_mul_epi32(pe, qinv), q);
	__m256i to = _mm256_mul_epi32(_mm256_mul_epi32(po, qinv), q);

	pe = _mm256_sub_epi64(pe, te);
	po = _mm256_sub_epi64(po, to);
	return _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xaa);
}

/* mont_reduce(z x) lane by lane for a twiddle z (broadcast) with
 * zq = z q^-1 mod 2^32: lo32(x zq) is the t of mont_reduce, computed
 * beside the product instead of after it. */
AVX2 static inline __m256i
mulz8(__m256i x, __m256i z, __m256i zq)
{
	const __m256i q = _mm256_set1_epi32(QS);
	__m256i xo = _mm256_srli_epi64(x, 32);
	__m256i pe = _mm256_mul_epi32(x, z), po = _mm256_mul_epi32(xo, z);
	__m256i te = _mm256_mul_epi32(_mm256_mul_epi32(x, zq), q);
	__m256i to = _mm256_mul_epi32(_mm256_mul_epi32(xo, zq), q);

	pe = _mm256_sub_epi64(pe, te);
	po = _mm256_sub_epi64(po, to);
	return _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xaa);
}

AVX2 static inline __m256i
zeta8(int64_t z)
{
	return _mm256_set1_epi32((int32_t)z);
}

AVX2 static inline __m256i
zetaq8(int64_t z)
{
	return _mm256_set1_epi32((int32_t)((uint32_t)z * QINV));
}

/* Rows r[0..7] of an 8 x 8 block of 32-bit values become its columns. */
AVX2 static inline void
transpose8(__m256i r[8])
{
	__m256i t[8], u[8];

	for (int i = 0; i < 4; i++) {
		t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
		t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
	}
	for (int i = 0; i < 2; i++) {
		u[4 * i] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
		u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
		u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
		u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
	}
	for (int i = 0; i < 4; i++) {
		r[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
		r[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
	}
}

/* n <= 8 polynomials (32-bit coefficients at p[i]) into w, coefficient k
 * of polynomial i in lane i of w[k]; missing lanes 0. */
AVX2 static void
batch_in(__m256i w[N], const int32_t *const p[], int n)
{
	__m256i r[8];

	for (int kb = 0; kb < N; kb += 8) {
		for (int i = 0; i < 8; i++)
			r[i] = i < n ? _mm256_loadu_si256(
					       (const __m256i *)(const void *)(p[i] + kb))
				     : _mm256_setzero_si256();
		transpose8(r);
		for (int c = 0; c < 8; c++)
			w[kb + c] = r[c];
	}
}

AVX2 static void
batch_out(int32_t *const p[], int n, const __m256i w[N])
{
	__m256i r[8];

	for (int kb = 0; kb < N; kb += 8) {
		for (int c = 0; c < 8; c++)
			r[c] = w[kb + c];
		transpose8(r);
		for (int i = 0; i < n; i++)
			_mm256_storeu_si256((__m256i *)(void *)(p[i] + kb), r[i]);
	}
}

/* ntt() on each lane. */
AVX2 static void
ntt_x8(__m256i w[N])
{
	unsigned m = 0;

	for (unsigned len = 128; len >= 1; len >>= 1)
		for (unsigned start = 0; start < N; start += 2 * len) {
			__m256i z = zeta8(zetas[++m]), zq = zetaq8(zetas[m]);

			for (unsigned j = start; j < start + len; j++) {
				__m256i t = mulz8(w[j + len], z, zq);

				w[j + len] = _mm256_sub_epi32(w[j], t);
				w[j] = _mm256_add_epi32(w[j], t);
			}
		}
}

/* ntt_inverse() on each lane, the result in [0, q). */
AVX2 static void
ntt_inverse_x8(__m256i w[N])
{
	const __m256i q = _mm256_set1_epi32(QS);
	int64_t zf = mont_reduce(-(int64_t)zetas[1] * F_INV);
	__m256i f = zeta8(F_INV), fq = zetaq8(F_INV);
	__m256i z1 = zeta8(zf), z1q = zetaq8(zf);
	unsigned m = 256;

	for (unsigned len = 1; len < N / 2; len <<= 1)
		for (unsigned start = 0; start < N; start += 2 * len) {
			int64_t zs = -(int64_t)zetas[--m];
			__m256i z = zeta8(zs), zq = zetaq8(zs);

			for (unsigned j = start; j < start + len; j++) {
				__m256i t = w[j];

				w[j] = _mm256_add_epi32(t, w[j + len]);
				w[j + len] = mulz8(_mm256_sub_epi32(t, w[j + len]),
						   z, zq);
			}
		}
	for (unsigned j = 0; j < N / 2; j++) {
		__m256i t = w[j], u = w[j + N / 2], a, b;

		a = mulz8(_mm256_add_epi32(t, u), f, fq);
		b = mulz8(_mm256_sub_epi32(t, u), z1, z1q);
		/* caddq */
		w[j] = _mm256_add_epi32(a, _mm256_and_si256(
					       _mm256_srai_epi32(a, 31), q));
		w[j + N / 2] = _mm256_add_epi32(
			b, _mm256_and_si256(_mm256_srai_epi32(b, 31), q));
	}
}

AVX2 static void
ntt_many_avx2(struct npoly *const p[], int n)
{
	__m256i w[N];
	int32_t *c[8];

	for (int i = 0; i < n; i++)
		c[i] = p[i]->c;
	batch_in(w, (const int32_t *const *)c, n);
	ntt_x8(w);
	batch_out(c, n, w);
	sodium_memzero(w, sizeof(w));
}

AVX2 static void
ntt_inverse_many_avx2(struct poly *const out[], struct npoly *const in[],
		      int n)
{
	__m256i w[N];
	int32_t *c[8];

	for (int i = 0; i < n; i++)
		c[i] = in[i]->c;
	batch_in(w, (const int32_t *const *)c, n);
	ntt_inverse_x8(w);
	for (int i = 0; i < n; i++)
		c[i] = (int32_t *)(void *)out[i]->c; /* [0, q): same bits */
	batch_out(c, n, w);
	sodium_memzero(w, sizeof(w));
}

/* npoly_mul, eight coefficients at a time. */
AVX2 static void
npoly_mul_avx2(struct npoly *r, const struct npoly *f, const struct npoly *g)
{
	for (int i = 0; i < N; i += 8) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(f->c + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(g->c + i));
		__m256i pe = _mm256_mul_epi32(a, b);
		__m256i po = _mm256_mul_epi32(_mm256_srli_epi64(a, 32),
					      _mm256_srli_epi64(b, 32));

		_mm256_storeu_si256((__m256i *)(void *)(r->c + i), mont8(pe, po));
	}
}

/* row_mul, and with neg != NULL the verifier's row (minus neg ∘ negb),
 * eight coefficients at a time: the 64-bit products summed as there. */
AVX2 static void
row_mul_avx2(struct npoly *r, const struct npoly a[L], const struct npoly v[L],
	     const struct npoly *neg, const struct npoly *negb)
{
	for (int i = 0; i < N; i += 8) {
		__m256i se = _mm256_setzero_si256(), so = se, x, y;

		for (int j = 0; j < L; j++) {
			x = _mm256_loadu_si256((const __m256i *)(const void *)(a[j].c + i));
			y = _mm256_loadu_si256((const __m256i *)(const void *)(v[j].c + i));
			se = _mm256_add_epi64(se, _mm256_mul_epi32(x, y));
			so = _mm256_add_epi64(so, _mm256_mul_epi32(
							  _mm256_srli_epi64(x, 32),
							  _mm256_srli_epi64(y, 32)));
		}
		if (neg != NULL) {
			x = _mm256_loadu_si256((const __m256i *)(const void *)(neg->c + i));
			y = _mm256_loadu_si256((const __m256i *)(const void *)(negb->c + i));
			se = _mm256_sub_epi64(se, _mm256_mul_epi32(x, y));
			so = _mm256_sub_epi64(so, _mm256_mul_epi32(
							  _mm256_srli_epi64(x, 32),
							  _mm256_srli_epi64(y, 32)));
		}
		_mm256_storeu_si256((__m256i *)(void *)(r->c + i), mont8(se, so));
	}
}
#endif

/* ---- the NTTs of several polynomials, and products: AVX2 or not ---- */

/* ntt() of n polynomials. */
static void
ntt_many(struct npoly *const p[], int n)
{
#ifdef DOT_HAVE_AVX2_CODE
	if (dot_crypto_avx2() && n > 1) {
		for (int i = 0; i < n; i += 8)
			ntt_many_avx2(p + i, n - i < 8 ? n - i : 8);
		return;
	}
#endif
	for (int i = 0; i < n; i++)
		ntt(p[i]);
}

/* ntt_inverse(out[i], in[i]) for n polynomials. */
static void
ntt_inverse_many(struct poly *const out[], struct npoly *const in[], int n)
{
#ifdef DOT_HAVE_AVX2_CODE
	if (dot_crypto_avx2() && n > 1) {
		for (int i = 0; i < n; i += 8)
			ntt_inverse_many_avx2(out + i, in + i,
					      n - i < 8 ? n - i : 8);
		return;
	}
#endif
	for (int i = 0; i < n; i++)
		ntt_inverse(out[i], in[i]);
}

static void
npoly_mul_any(struct npoly *r, const struct npoly *f, const struct npoly *g)
{
#ifdef DOT_HAVE_AVX2_CODE
	if (dot_crypto_avx2()) {
		npoly_mul_avx2(r, f, g);
		return;
	}
#endif
	npoly_mul(r, f, g);
}

static void
row_mul_any(struct npoly *r, const struct npoly a[L], const struct npoly v[L])
{
#ifdef DOT_HAVE_AVX2_CODE
	if (dot_crypto_avx2()) {
		row_mul_avx2(r, a, v, NULL, NULL);
		return;
	}
#endif
	row_mul(r, a, v);
}

/* ---- bit packing (§7.1) ---- */

/* Algorithms 16 and 17, SimpleBitPack and BitPack, on values already
 * mapped to [0, 2^bits): each value's bits least significant first. */
static void
pack(uint8_t *out, const uint32_t v[N], unsigned bits)
{
	uint64_t acc = 0;
	unsigned have = 0;

	for (int i = 0; i < N; i++) {
		acc |= (uint64_t)v[i] << have;
		have += bits;
		while (have >= 8) {
			*out++ = (uint8_t)acc;
			acc >>= 8;
			have -= 8;
		}
	}
}

/* Algorithms 18 and 19, SimpleBitUnpack and BitUnpack, before the map
 * back to coefficients. */
static void
unpack(uint32_t v[N], const uint8_t *in, unsigned bits)
{
	uint64_t acc = 0;
	unsigned have = 0;

	for (int i = 0; i < N; i++) {
		while (have < bits) {
			acc |= (uint64_t)*in++ << have;
			have += 8;
		}
		v[i] = (uint32_t)(acc & ((1u << bits) - 1u));
		acc >>= bits;
		have -= bits;
	}
}

/* BitPack(w, a, b) stores b - w_i: (b - w) mod q for w in [0, q). */
static void
pack_signed(uint8_t *out, const struct poly *p, uint32_t b, unsigned bits)
{
	uint32_t v[N];

	for (int i = 0; i < N; i++)
		v[i] = subq(b, p->c[i]);
	pack(out, v, bits);
	sodium_memzero(v, sizeof(v));
}

/* BitUnpack(v, a, b): w_i = b - v_i, as (b - v_i) mod q; v_i < 2^bits
 * and b < q, so b + q - v_i < 2q. */
static void
unpack_signed(struct poly *p, const uint8_t *in, uint32_t b, unsigned bits)
{
	unpack(p->c, in, bits);
	for (int i = 0; i < N; i++)
		p->c[i] = csubq(b + Q - p->c[i]);
}

/* ---- sampling (§7.3) ---- */

/* RejNTTPoly squeezes this many blocks at once: 840 bytes, 280
 * candidates, of which 256 are enough unless more than 24 are q or more
 * (each is with probability 2^13 / 2^23, so almost never). */
#define REJ_NTT_BLOCKS 5

_Static_assert(DOT_SHAKE128_RATE % 3 == 0, "three-byte groups in a block");

/* RejNTTPoly's parsing: the coefficients from len bytes of the stream
 * (three at a time) appended after the j already there; returns the new
 * count. Public data only. */
static int __attribute__((noinline))
rej_ntt_parse(struct npoly *a, int j, const uint8_t *buf, size_t len)
{
	for (size_t p = 0; p + 3 <= len && j < N; p += 3) {
		uint32_t z = (uint32_t)buf[p] | (uint32_t)buf[p + 1] << 8 |
			     (uint32_t)(buf[p + 2] & 0x7fu) << 16;

		if (z < Q)
			a->c[j++] = (int32_t)z;
	}
	return j;
}

/*
 * Algorithm 30, RejNTTPoly(ρ || s || r), with Algorithm 14,
 * CoeffFromThreeBytes: 23-bit values (the top bit of the third byte
 * cleared) below q, from one SHAKE128 stream, parsed straight from the
 * squeezed blocks: REJ_NTT_BLOCKS at first, then one more at a time
 * until 256 are accepted. ρ is public: this branches on the stream, and
 * there is nothing secret to wipe.
 */
static void
rej_ntt_poly(struct npoly *a, const uint8_t rho[32], uint8_t s, uint8_t r)
{
	struct dot_sha3_ctx x;
	uint8_t in[34], buf[REJ_NTT_BLOCKS * DOT_SHAKE128_RATE];
	int j;

	memcpy(in, rho, 32);
	in[32] = s;
	in[33] = r;
	dot_shake128_init(&x);
	dot_sha3_update(&x, in, sizeof(in));
	dot_shake_squeeze(&x, buf, sizeof(buf));
	j = rej_ntt_parse(a, 0, buf, sizeof(buf));
	while (j < N) {
		dot_shake_squeeze(&x, buf, DOT_SHAKE128_RATE);
		j = rej_ntt_parse(a, j, buf, DOT_SHAKE128_RATE);
	}
}

/*
 * Algorithm 31, RejBoundedPoly(ρ' || r), with Algorithm 15,
 * CoeffFromHalfByte for η = 4: each 4-bit value b < 9 gives 4 - b, low
 * half of each byte first, from one SHAKE256 stream, parsed from the
 * squeezed blocks (two at first: 544 values, of which 256 are accepted
 * in most cases). ρ' is secret; the acceptance of each b is declassified
 * (the file comment says why), the value kept is computed without a
 * branch.
 */
static void
rej_bounded_poly(struct poly *a, const uint8_t rhop[64], uint16_t r)
{
	struct dot_sha3_ctx x;
	uint8_t in[66], buf[2 * DOT_SHAKE256_RATE];
	size_t len = sizeof(buf);
	int j = 0;

	memcpy(in, rhop, 64);
	in[64] = (uint8_t)r;
	in[65] = (uint8_t)(r >> 8);
	dot_shake256_init(&x);
	dot_sha3_update(&x, in, sizeof(in));
	dot_shake_squeeze(&x, buf, len);
	for (;;) {
		for (size_t p = 0; p < len && j < N; p++) {
			uint32_t half[2] = {buf[p] & 0x0fu, (uint32_t)buf[p] >> 4};

			for (int h = 0; h < 2 && j < N; h++) {
				uint32_t ok = (half[h] - 9u) >> 31; /* b < 9 */

				DOT_CT_PUBLIC(&ok, sizeof(ok));
				if (ok)
					a->c[j++] = csubq(Q + ETA - half[h]);
			}
		}
		if (j == N)
			break;
		len = DOT_SHAKE256_RATE;
		dot_shake_squeeze(&x, buf, len);
	}
	dot_sha3_wipe(&x);
	sodium_memzero(in, sizeof(in));
	sodium_memzero(buf, sizeof(buf));
}

/* Algorithm 32, ExpandA(ρ): Â[r][s] = RejNTTPoly(ρ || s || r). With
 * AVX2, four streams at a time (the last group repeats its last
 * polynomial); a polynomial that needs more than REJ_NTT_BLOCKS blocks
 * (rarely) is made again alone, the same way as without. */
static void
expand_a(struct npoly a[K][L], const uint8_t rho[32])
{
	if (dot_crypto_avx2()) {
		uint8_t in[4][34], buf[4][REJ_NTT_BLOCKS * DOT_SHAKE128_RATE];
		const uint8_t *ip[4] = {in[0], in[1], in[2], in[3]};
		uint8_t *bp[4] = {buf[0], buf[1], buf[2], buf[3]};

		for (int g = 0; g < K * L; g += 4) {
			for (int k = 0; k < 4; k++) {
				int t = g + k < K * L ? g + k : K * L - 1;

				memcpy(in[k], rho, 32);
				in[k][32] = (uint8_t)(t % L); /* s */
				in[k][33] = (uint8_t)(t / L); /* r */
			}
			dot_shakex4(DOT_SHAKE128_RATE, bp, REJ_NTT_BLOCKS, ip,
				    sizeof(in[0]));
			for (int k = 0; k < 4 && g + k < K * L; k++) {
				int t = g + k;
				struct npoly *p = &a[t / L][t % L];

				if (rej_ntt_parse(p, 0, buf[k], sizeof(buf[k])) < N)
					rej_ntt_poly(p, rho, (uint8_t)(t % L),
						     (uint8_t)(t / L));
			}
		}
		return;
	}
	for (int r = 0; r < K; r++)
		for (int s = 0; s < L; s++)
			rej_ntt_poly(&a[r][s], rho, (uint8_t)s, (uint8_t)r);
}

/* Algorithm 33, ExpandS(ρ'): s1[r] from RejBoundedPoly(ρ' || r), s2[r]
 * from RejBoundedPoly(ρ' || r + l), r in two bytes little-endian. */
static void
expand_s(struct poly s1[L], struct poly s2[K], const uint8_t rhop[64])
{
	for (int r = 0; r < L; r++)
		rej_bounded_poly(&s1[r], rhop, (uint16_t)r);
	for (int r = 0; r < K; r++)
		rej_bounded_poly(&s2[r], rhop, (uint16_t)(r + L));
}

/* Algorithm 34, ExpandMask(ρ'', μ): y[r] = BitUnpack(H(ρ'' ||
 * IntegerToBytes(μ + r, 2), 640), γ1 - 1, γ1). */
static void
expand_mask(struct poly y[L], const uint8_t rhopp[64], uint16_t kappa)
{
	uint8_t in[66], buf[Z_BYTES];
	int r = 0;

	if (dot_crypto_avx2()) {
		/* y[0..3] from four streams at once (5 blocks: 680 bytes) */
		uint8_t in4[4][66], buf4[4][5 * DOT_SHAKE256_RATE];
		const uint8_t *ip[4] = {in4[0], in4[1], in4[2], in4[3]};
		uint8_t *bp[4] = {buf4[0], buf4[1], buf4[2], buf4[3]};

		_Static_assert(5 * DOT_SHAKE256_RATE >= Z_BYTES, "5 blocks");
		for (int k = 0; k < 4; k++) {
			uint16_t v = (uint16_t)(kappa + k);

			memcpy(in4[k], rhopp, 64);
			in4[k][64] = (uint8_t)v;
			in4[k][65] = (uint8_t)(v >> 8);
		}
		dot_shakex4(DOT_SHAKE256_RATE, bp, 5, ip, sizeof(in4[0]));
		for (int k = 0; k < 4; k++)
			unpack_signed(&y[k], buf4[k], GAMMA1, 20);
		sodium_memzero(in4, sizeof(in4));
		sodium_memzero(buf4, sizeof(buf4));
		r = 4;
	}
	memcpy(in, rhopp, 64);
	for (; r < L; r++) {
		uint16_t v = (uint16_t)(kappa + r);

		in[64] = (uint8_t)v;
		in[65] = (uint8_t)(v >> 8);
		dot_shake256(buf, sizeof(buf), in, sizeof(in));
		unpack_signed(&y[r], buf, GAMMA1, 20);
	}
	sodium_memzero(in, sizeof(in));
	sodium_memzero(buf, sizeof(buf));
}

/* SampleInBall's list of accepted candidates: 56 bytes, the latest in
 * the lowest byte of acc[0]. */
#define SIB_WORDS 7
_Static_assert(8 * SIB_WORDS >= TAU, "room for τ candidates");

/*
 * SampleInBall's candidate bytes, a block's worth at a time, in constant
 * time. n counts the accepted candidates so far; candidate j is accepted
 * for position i = 256 - τ + n iff j <= i and n < τ. The list shifts up
 * by one byte and takes j in its lowest byte, under a mask that is all
 * ones iff j is accepted: no index depends on j or on n.
 */
static void
sib_candidates(uint64_t acc[SIB_WORDS], uint32_t *n, const uint8_t *buf,
	       size_t len)
{
	uint32_t cnt = *n;

	for (size_t p = 0; p < len; p++) {
		uint32_t i = N - TAU + cnt, j = buf[p];
		/* (j <= i) and (cnt < τ), as a bit */
		uint32_t ok = dot_ct_barrier((~(i - j) >> 31) &
					     ((cnt - TAU) >> 31));
		uint64_t m = 0 - (uint64_t)ok;

		for (int k = SIB_WORDS - 1; k > 0; k--)
			acc[k] ^= (acc[k] ^ (acc[k] << 8 | acc[k - 1] >> 56)) & m;
		acc[0] ^= (acc[0] ^ (acc[0] << 8 | j)) & m;
		cnt += ok;
	}
	*n = cnt;
}

/*
 * Algorithm 29, SampleInBall(ρ) with ρ = c̃: τ = 49 coefficients ±1,
 * the others 0, into c as -1, 0, 1 (the NTT's input).
 *
 * Constant time in ρ. Signing runs this on the c̃ of every iteration,
 * and the c̃ of a rejected iteration is secret: it is never published,
 * and it is a hash of w1 = HighBits(A y), with y discarded. (The
 * Dilithium reference implementation branches and indexes on it here.)
 * The algorithm's loop has a data-dependent exit and a swap at a
 * data-dependent index; it is split in two passes that have neither:
 *
 *  1. The candidates. The stream's first 8 bytes are the signs h; each
 *     byte after them is a candidate j for the next position i (the
 *     rejection "while j > i" of step 6). Every candidate of the block
 *     is examined and the accepted ones are kept in order, with masks
 *     (sib_candidates).
 *  2. The swaps. The n-th accepted candidate j is for position
 *     i = 256 - τ + n, which is thus public, as is the sign's bit h[n]
 *     and where j was kept; only j is secret. c_i ← c_j and
 *     c_j ← (-1)^h[n] (steps 8, 9) are one pass over all 256
 *     coefficients that reads c_j and writes (-1)^h[n] under a mask
 *     equal to j, then c_i is set at its public index (to the value
 *     read, unless j = i).
 *
 * The first block of the stream (136 bytes) holds 128 candidates. τ of
 * them are accepted except with probability 6.0 · 10^-43 (computed
 * exactly from the acceptance probabilities (i + 1)/256, i = 207..255;
 * 54 candidates are needed on average). Whether they were is the one
 * value declassified, to decide whether to squeeze another block: so
 * the number of blocks, almost always one, is the only thing that
 * depends on a secret, and it is nearly independent of it. Everything
 * else runs in the same time and touches the same addresses for every ρ.
 */
static void
sample_in_ball(struct npoly *c, const uint8_t ctilde[CTILDE_LEN])
{
	struct dot_sha3_ctx x;
	uint8_t buf[DOT_SHAKE256_RATE], v[N];
	uint64_t h = 0, acc[SIB_WORDS];
	uint32_t n = 0, done;

	memset(acc, 0, sizeof(acc));
	memset(v, 0, sizeof(v));
	dot_shake256_init(&x);
	dot_sha3_update(&x, ctilde, CTILDE_LEN);
	dot_shake_squeeze(&x, buf, sizeof(buf));
	for (int i = 0; i < 8; i++)
		h |= (uint64_t)buf[i] << (8 * i);
	sib_candidates(acc, &n, buf + 8, sizeof(buf) - 8);
	for (;;) {
		done = dot_ct_is_zero(n ^ TAU) & 1u;
		DOT_CT_PUBLIC(&done, sizeof(done)); /* the comment above */
		if (done)
			break;
		dot_shake_squeeze(&x, buf, sizeof(buf));
		sib_candidates(acc, &n, buf, sizeof(buf));
	}
	for (unsigned k = 0; k < TAU; k++) {
		unsigned i = N - TAU + k, at = TAU - 1 - k;
		uint8_t j = (uint8_t)(acc[at / 8] >> (8 * (at % 8))), cj = 0, m;
		/* (-1)^h[k] as a byte: 1 or 0xff */
		uint8_t s = (uint8_t)(1u | (0u - (uint32_t)((h >> k) & 1u)));

		for (unsigned t = 0; t < N; t++) {
			m = (uint8_t)(0u - (uint8_t)((uint8_t)t == j));
			cj |= v[t] & m;
			v[t] = (uint8_t)((v[t] & ~m) | (s & m));
		}
		m = (uint8_t)(0u - (uint8_t)((uint8_t)i == j)); /* j = i */
		v[i] = (uint8_t)((v[i] & m) | (cj & ~m));
	}
	for (int t = 0; t < N; t++)
		c->c[t] = (int8_t)v[t];
	dot_sha3_wipe(&x);
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(acc, sizeof(acc));
	sodium_memzero(v, sizeof(v));
	sodium_memzero(&h, sizeof(h));
}

/* ---- rounding (§7.4) ---- */

/* Algorithm 35, Power2Round(r): r1 = (r + 2^(d-1) - 1) >> d and
 * r0 = r - r1 2^d in (-2^(d-1), 2^(d-1)], stored mod q. */
static void
power2round(uint32_t *r1, uint32_t *r0, uint32_t r)
{
	*r1 = (r + (1u << (D - 1)) - 1) >> D;
	*r0 = csubq(r + Q - (*r1 << D));
}

/*
 * Algorithm 36, Decompose(r) for r in [0, q), 2γ2 = 523776 = 2^9 · 1023:
 * r1 = floor((r + γ2 - 1) / 2γ2) puts r0 = r - 2γ2 r1 in (-γ2, γ2], and
 * the division is (r + γ2 - 1) >> 9 times 32801 = ceil(2^25 / 1023),
 * shifted by 25 (exact for every r < q: checked for each one with Python
 * when the constant was chosen). When r - r0 = q - 1 (r1 = 16), r1 = 0
 * and r0 = r0 - 1, chosen by a mask. Returns r1; r0 as a signed value.
 */
static uint32_t
decompose(int32_t *r0, uint32_t r)
{
	uint32_t r1 = (((r + GAMMA2 - 1) >> 9) * 32801u) >> 25;
	uint32_t wrap = dot_ct_is_zero(r1 ^ 16u);
	int32_t lo = (int32_t)r - (int32_t)(r1 * 2 * GAMMA2);

	*r0 = lo - (int32_t)(wrap & 1u);
	return r1 & ~wrap;
}

/* Algorithm 37, HighBits. */
static uint32_t
high_bits(uint32_t r)
{
	int32_t r0;

	return decompose(&r0, r);
}

/* Algorithm 40, UseHint(h, r), m = (q - 1)/(2γ2) = 16. Verification
 * only: everything here is public. */
static uint32_t
use_hint(uint32_t h, uint32_t r)
{
	int32_t r0;
	uint32_t r1 = decompose(&r0, r);

	if (h && r0 > 0)
		return (r1 + 1) & 15u;
	if (h)
		return (r1 - 1) & 15u;
	return r1;
}

/* ---- key and signature encodings (§7.2) ---- */

/* Algorithm 22, pkEncode(ρ, t1). */
static void
pk_encode(uint8_t pk[PK_LEN], const uint8_t rho[32], const struct poly t1[K])
{
	memcpy(pk, rho, 32);
	for (int i = 0; i < K; i++)
		pack(pk + 32 + T1_BYTES * i, t1[i].c, 10);
}

/* Algorithm 23, pkDecode(pk): t1 as t1 2^d, the form verification uses. */
static void
pk_decode_t1(struct poly t1[K], const uint8_t pk[PK_LEN])
{
	for (int i = 0; i < K; i++) {
		unpack(t1[i].c, pk + 32 + T1_BYTES * i, 10);
		for (int j = 0; j < N; j++)
			t1[i].c[j] <<= D; /* below 2^23 - 2^13 + 1 = q */
	}
}

/* Algorithm 24, skEncode(ρ, K, tr, s1, s2, t0). */
static void
sk_encode(uint8_t sk[SK_LEN], const uint8_t rho[32], const uint8_t key[32],
	  const uint8_t tr[64], const struct poly s1[L],
	  const struct poly s2[K], const struct poly t0[K])
{
	uint8_t *p = sk + 128;

	memcpy(sk, rho, 32);
	memcpy(sk + 32, key, 32);
	memcpy(sk + 64, tr, 64);
	for (int i = 0; i < L; i++, p += ETA_BYTES)
		pack_signed(p, &s1[i], ETA, 4);
	for (int i = 0; i < K; i++, p += ETA_BYTES)
		pack_signed(p, &s2[i], ETA, 4);
	for (int i = 0; i < K; i++, p += T0_BYTES)
		pack_signed(p, &t0[i], 1u << (D - 1), 13);
}

/*
 * Algorithm 25, skDecode(sk), with a range check that skDecode itself
 * does not make (Wycheproof's noseed vectors expect it; a key from
 * KeyGen always passes): every 4-bit field of s1 and s2 must be at
 * most 2η = 8 (a coefficient in [-η, η]). Returns 1 if one is not,
 * without a branch on the (secret) fields.
 */
static uint32_t
sk_decode(struct poly s1[L], struct poly s2[K], struct poly t0[K],
	  const uint8_t sk[SK_LEN])
{
	const uint8_t *p = sk + 128;
	uint32_t bad = 0;

	for (int i = 0; i < L + K; i++, p += ETA_BYTES) {
		struct poly *s = i < L ? &s1[i] : &s2[i - L];

		unpack(s->c, p, 4);
		for (int j = 0; j < N; j++) {
			bad |= (2u * ETA - s->c[j]) >> 31;
			s->c[j] = csubq(Q + ETA - s->c[j]);
		}
	}
	for (int i = 0; i < K; i++, p += T0_BYTES)
		unpack_signed(&t0[i], p, 1u << (D - 1), 13);
	return bad;
}

/* Algorithm 20, HintBitPack(h): h is public when this runs. */
static void
hint_pack(uint8_t y[OMEGA + K], const struct poly h[K])
{
	unsigned index = 0;

	memset(y, 0, OMEGA + K);
	for (int i = 0; i < K; i++) {
		for (unsigned j = 0; j < N; j++)
			if (h[i].c[j] != 0)
				y[index++] = (uint8_t)j;
		y[OMEGA + i] = (uint8_t)index;
	}
}

/*
 * Algorithm 21, HintBitUnpack(y): 0 for ⊥. Every rule of the algorithm:
 * each limit y[ω + i] at least the previous one and at most ω; indices
 * strictly increasing within each polynomial (a repeated index would make
 * signatures malleable); the index bytes after the last limit zero.
 */
static int
hint_unpack(struct poly h[K], const uint8_t y[OMEGA + K])
{
	unsigned index = 0;

	memset(h, 0, sizeof(struct poly) * K);
	for (int i = 0; i < K; i++) {
		unsigned limit = y[OMEGA + i], first = index;

		if (limit < index || limit > OMEGA)
			return 0;
		for (; index < limit; index++) {
			if (index > first && y[index - 1] >= y[index])
				return 0;
			h[i].c[y[index]] = 1;
		}
	}
	for (unsigned i = index; i < OMEGA; i++)
		if (y[i] != 0)
			return 0;
	return 1;
}

/* Algorithm 28, w1Encode(w1): 4 bits per coefficient. */
static void
w1_encode(uint8_t out[K * W1_BYTES], const struct poly w1[K])
{
	for (int i = 0; i < K; i++)
		pack(out + W1_BYTES * i, w1[i].c, 4);
}

/* c̃ = H(μ || w1Encode(w1), λ/4). */
static void
challenge(uint8_t ctilde[CTILDE_LEN], const uint8_t mu[64],
	  const struct poly w1[K])
{
	uint8_t buf[K * W1_BYTES];
	struct dot_sha3_ctx x;

	w1_encode(buf, w1);
	dot_shake256_init(&x);
	dot_sha3_update(&x, mu, 64);
	dot_sha3_update(&x, buf, sizeof(buf));
	dot_shake_squeeze(&x, ctilde, CTILDE_LEN);
	dot_sha3_wipe(&x);
	sodium_memzero(buf, sizeof(buf));
}

/* ---- key generation ---- */

/*
 * Algorithm 6, ML-DSA.KeyGen_internal(ξ):
 * (ρ, ρ', K) = H(ξ || k || l, 128); t = NTT^-1(Â ∘ NTT(s1)) + s2;
 * (t1, t0) = Power2Round(t); pk = pkEncode(ρ, t1); tr = H(pk, 64).
 */
void
dot_mldsa65_keypair_derand(uint8_t pk[DOT_MLDSA65_PK_LEN],
			   uint8_t sk[DOT_MLDSA65_SK_LEN],
			   const uint8_t xi[DOT_MLDSA_SEED_LEN])
{
	struct {
		uint8_t in[34], seeds[128], tr[64];
		struct npoly a[K][L], s1hat[L], that[K];
		struct poly s1[L], s2[K], t[K], t1[K], t0[K];
	} v;
	const uint8_t *rho = v.seeds, *rhop = v.seeds + 32;
	const uint8_t *key = v.seeds + 96;
	struct npoly *pn[K];
	struct poly *pp[K];

	memcpy(v.in, xi, 32);
	v.in[32] = K;
	v.in[33] = L;
	dot_shake256(v.seeds, sizeof(v.seeds), v.in, sizeof(v.in));
	DOT_CT_PUBLIC(v.seeds, 32); /* ρ is published in pk */

	expand_s(v.s1, v.s2, rhop);
	for (int j = 0; j < L; j++) {
		for (int c = 0; c < N; c++)
			v.s1hat[j].c[c] = (int32_t)v.s1[j].c[c];
		pn[j] = &v.s1hat[j];
	}
	ntt_many(pn, L);
	expand_a(v.a, rho);
	for (int i = 0; i < K; i++) {
		row_mul_any(&v.that[i], v.a[i], v.s1hat);
		pn[i] = &v.that[i];
		pp[i] = &v.t[i];
	}
	ntt_inverse_many(pp, pn, K);
	for (int i = 0; i < K; i++)
		for (int c = 0; c < N; c++)
			power2round(&v.t1[i].c[c], &v.t0[i].c[c],
				    addq(v.t[i].c[c], v.s2[i].c[c]));
	pk_encode(pk, rho, v.t1);
	dot_shake256(v.tr, sizeof(v.tr), pk, PK_LEN);
	sk_encode(sk, rho, key, v.tr, v.s1, v.s2, v.t0);
	sodium_memzero(&v, sizeof(v));
}

int
dot_mldsa65_keypair_seed(uint8_t pk[DOT_MLDSA65_PK_LEN],
			 uint8_t sk[DOT_MLDSA65_SK_LEN], const uint8_t *seed,
			 size_t n)
{
	if (n != DOT_MLDSA_SEED_LEN) {
		memset(pk, 0, PK_LEN);
		sodium_memzero(sk, SK_LEN);
		return DOT_ECRYPTO_KEY;
	}
	dot_mldsa65_keypair_derand(pk, sk, seed);
	return DOT_OK;
}

/* Algorithm 1, ML-DSA.KeyGen. */
void
dot_mldsa65_keypair(uint8_t pk[DOT_MLDSA65_PK_LEN],
		    uint8_t sk[DOT_MLDSA65_SK_LEN])
{
	uint8_t xi[32];

	randombytes_buf(xi, sizeof(xi));
	dot_mldsa65_keypair_derand(pk, sk, xi);
	sodium_memzero(xi, sizeof(xi));
}

/* ---- μ ---- */

/* The ctx check of Algorithms 2 and 3, then μ = H(tr || M', 64) with
 * M' = 0 || len(ctx) || ctx || M (Algorithms 2 and 7). */
static int
mu_external(uint8_t mu[64], const uint8_t tr[64], const uint8_t *msg,
	    size_t mlen, const uint8_t *ctx, size_t ctxlen)
{
	struct dot_sha3_ctx x;
	uint8_t pre[2] = {0, (uint8_t)ctxlen};

	if (ctxlen > DOT_MLDSA_CTX_MAX)
		return DOT_ECRYPTO_MLDSA_CTX;
	dot_shake256_init(&x);
	dot_sha3_update(&x, tr, 64);
	dot_sha3_update(&x, pre, 2);
	if (ctxlen > 0)
		dot_sha3_update(&x, ctx, ctxlen);
	if (mlen > 0)
		dot_sha3_update(&x, msg, mlen);
	dot_shake_squeeze(&x, mu, 64);
	dot_sha3_wipe(&x);
	return DOT_OK;
}

static void
mu_internal(uint8_t mu[64], const uint8_t tr[64], const uint8_t *mp,
	    size_t mplen)
{
	struct dot_sha3_ctx x;

	dot_shake256_init(&x);
	dot_sha3_update(&x, tr, 64);
	if (mplen > 0)
		dot_sha3_update(&x, mp, mplen);
	dot_shake_squeeze(&x, mu, 64);
	dot_sha3_wipe(&x);
}

int
dot_mldsa65_mu(uint8_t mu[DOT_MLDSA_MU_LEN], const uint8_t *pk, size_t pklen,
	       const uint8_t *msg, size_t mlen, const uint8_t *ctx,
	       size_t ctxlen)
{
	uint8_t tr[64];
	int rv;

	memset(mu, 0, 64);
	if (pklen != PK_LEN)
		return DOT_ECRYPTO_MLDSA_PK;
	dot_shake256(tr, sizeof(tr), pk, PK_LEN);
	if ((rv = mu_external(mu, tr, msg, mlen, ctx, ctxlen)) != DOT_OK)
		memset(mu, 0, 64);
	return rv;
}

/* ---- signing ---- */

/* The signer's state: everything secret but Â, zeroed at the end. */
struct signer {
	struct npoly a[K][L];		  /* Â, expanded once per signature */
	struct npoly s12[K], t0[K];	  /* NTT(s1 + 2^9 s2) (below), NTT(t0) */
	struct npoly yhat[L], c, t[K];	  /* NTT(y), NTT(c), products */
	struct poly y[L], w[K], w1[K], z[L], r[K], h[K], cs[K];
	uint8_t rhopp[64], in[128], ctilde[CTILDE_LEN];
};

/*
 * Algorithm 7, ML-DSA.Sign_internal(sk, M', rnd), after μ (μ
 * given; the callers compute it), after sk's length was checked. Â and
 * the NTTs of s1, s2 and t0 are computed once, before the rejection
 * loop. Each iteration either is rejected (its values are discarded, and
 * only the fact is declassified: not its c̃, which SampleInBall handles
 * in constant time) or gives σ.
 */
static int
sign_mu(uint8_t sig[SIG_LEN], const uint8_t sk[SK_LEN], const uint8_t mu[64],
	const uint8_t rnd[32])
{
	struct signer st, *v = &st; /* 94 KiB of stack, zeroed at out */
	struct npoly *pn[K], *pt[K], *pt0[K], *py[L];
	struct poly *pcs[K], *pw[K];
	uint32_t bad;
	uint16_t kappa = 0;
	int rv = DOT_OK;

	/* s1, s2, t0 decoded into y, w, r, which the loop overwrites */
	bad = sk_decode(v->y, v->w, v->r, sk);
	DOT_CT_PUBLIC(&bad, sizeof(bad)); /* the return value says it */
	if (bad) {
		rv = DOT_ECRYPTO_MLDSA_SK;
		goto out;
	}
	/* s1[i] + 2^9 s2[i] (s1[5] = 0), coefficients in [-2052, 2052] */
	for (int i = 0; i < K; i++) {
		for (int c = 0; c < N; c++) {
			v->s12[i].c[c] = (i < L ? centered(v->y[i].c[c]) : 0) +
					 512 * centered(v->w[i].c[c]);
			v->t0[i].c[c] = (int32_t)v->r[i].c[c];
		}
		pn[i] = &v->s12[i];
		pt0[i] = &v->t0[i];
		pt[i] = &v->t[i];
		pcs[i] = &v->cs[i];
		pw[i] = &v->w[i];
	}
	for (int j = 0; j < L; j++)
		py[j] = &v->yhat[j];
	ntt_many(pn, K);
	ntt_many(pt0, K);
	expand_a(v->a, sk); /* ρ = sk[0:32], public */
	/* ρ'' = H(K || rnd || μ, 64) */
	memcpy(v->in, sk + 32, 32);
	memcpy(v->in + 32, rnd, 32);
	memcpy(v->in + 64, mu, 64);
	dot_shake256(v->rhopp, 64, v->in, 128);

	for (;; kappa = (uint16_t)(kappa + L)) {
		uint32_t count = 0;

#ifdef DOT_CT_VALGRIND
		dot_mldsa_ct_iterations++;
#endif
		/* y = ExpandMask(ρ'', κ); w = NTT^-1(Â ∘ NTT(y)) */
		expand_mask(v->y, v->rhopp, kappa);
		for (int j = 0; j < L; j++)
			for (int c = 0; c < N; c++)
				v->yhat[j].c[c] = (int32_t)v->y[j].c[c];
		ntt_many(py, L);
		for (int i = 0; i < K; i++)
			row_mul_any(&v->t[i], v->a[i], v->yhat);
		ntt_inverse_many(pw, pt, K);
		for (int i = 0; i < K; i++)
			for (int c = 0; c < N; c++)
				v->w1[i].c[c] = high_bits(v->w[i].c[c]);
		/* c̃ = H(μ || w1Encode(w1), λ/4), secret unless accepted */
		challenge(v->ctilde, mu, v->w1);
		sample_in_ball(&v->c, v->ctilde);
		ntt(&v->c);

		/*
		 * c s1 and c s2 by pairs, one NTT^-1 for each pair: u =
		 * NTT^-1(ĉ ∘ NTT(s1[i] + 2^9 s2[i])) = c s1[i] + 2^9 c s2[i]
		 * exactly, since ‖c s‖∞ <= τη = 196 for s = s1[i], s2[i] (τ
		 * coefficients ±1 times values in [-η, η]; sk_decode checked
		 * the range), so |u| <= 196 (1 + 2^9) < (q - 1)/2 and u mod± q
		 * is u. Its low 9 bits, taken in [-256, 256), are c s1[i]; the
		 * rest, shifted, is c s2[i].
		 *
		 * z = y + c s1; ‖z‖∞ ≥ γ1 - β rejects. r = w - c s2;
		 * ‖LowBits(r)‖∞ ≥ γ2 - β rejects; HighBits(r) kept in w1
		 * (done with) for the hint.
		 */
		bad = 0;
		for (int i = 0; i < K; i++)
			npoly_mul_any(&v->t[i], &v->c, &v->s12[i]);
		ntt_inverse_many(pcs, pt, K);
		for (int i = 0; i < K; i++) {
			for (int c = 0; c < N; c++) {
				int32_t u = centered(v->cs[i].c[c]), r0;
				int32_t cs1 = ((u + 256) & 511) - 256;
				uint32_t a;

				if (i < L)
					v->z[i].c[c] = add_signed(v->y[i].c[c], cs1);
				v->r[i].c[c] = add_signed(v->w[i].c[c],
							  -((u - cs1) >> 9));
				v->w1[i].c[c] = decompose(&r0, v->r[i].c[c]);
				a = (uint32_t)r0;
				a = (a ^ (0u - (a >> 31))) + (a >> 31); /* |r0| */
				bad |= (GAMMA2 - BETA - 1 - a) >> 31;
			}
			if (i < L)
				bad |= poly_norm_ge(&v->z[i], GAMMA1 - BETA);
		}
		/* <<c t0>>; h = MakeHint(-<<c t0>>, r + <<c t0>>) (Algorithm
		 * 39: HighBits(r + ct0) != HighBits(r)); ‖<<c t0>>‖∞ ≥ γ2 or
		 * more than ω ones reject. Computed for every iteration, so
		 * that the first checks' outcome is not needed before. */
		for (int i = 0; i < K; i++)
			npoly_mul_any(&v->t[i], &v->c, &v->t0[i]);
		ntt_inverse_many(pcs, pt, K);
		for (int i = 0; i < K; i++) {
			bad |= poly_norm_ge(&v->cs[i], GAMMA2);
			for (int c = 0; c < N; c++) {
				uint32_t ha = high_bits(
					addq(v->r[i].c[c], v->cs[i].c[c]));
				uint32_t one =
					1u & ~dot_ct_is_zero(ha ^ v->w1[i].c[c]);

				v->h[i].c[c] = one;
				count += one;
			}
		}
		bad |= (OMEGA - count) >> 31;
		/* the iteration's verdict is public (file comment) */
		DOT_CT_PUBLIC(&bad, sizeof(bad));
		if (!bad)
			break;
#ifdef DOT_CT_VALGRIND
		if (dot_mldsa_ct_rejected != NULL)
			dot_mldsa_ct_rejected(v->ctilde);
#endif
	}
	/* σ = sigEncode(c̃, z mod± q, h); h is now public */
	memcpy(sig, v->ctilde, CTILDE_LEN);
	for (int j = 0; j < L; j++)
		pack_signed(sig + CTILDE_LEN + Z_BYTES * j, &v->z[j], GAMMA1,
			    20);
	DOT_CT_PUBLIC(v->h, sizeof(v->h));
	hint_pack(sig + CTILDE_LEN + L * Z_BYTES, v->h);
out:
	if (rv != DOT_OK)
		memset(sig, 0, SIG_LEN);
	sodium_memzero(v, sizeof(*v));
	return rv;
}

int
dot_mldsa65_sign_mu(uint8_t sig[DOT_MLDSA65_SIG_LEN], const uint8_t *sk,
		    size_t sklen, const uint8_t mu[DOT_MLDSA_MU_LEN],
		    const uint8_t rnd[DOT_MLDSA_RND_LEN])
{
	if (sklen != SK_LEN) {
		memset(sig, 0, SIG_LEN);
		return DOT_ECRYPTO_MLDSA_SK;
	}
	return sign_mu(sig, sk, mu, rnd);
}

/* Algorithm 7, ML-DSA.Sign_internal(sk, M', rnd): μ = H(tr || M', 64),
 * tr = sk[64:128]. */
int
dot_mldsa65_sign_internal(uint8_t sig[DOT_MLDSA65_SIG_LEN], const uint8_t *sk,
			  size_t sklen, const uint8_t *mp, size_t mplen,
			  const uint8_t rnd[DOT_MLDSA_RND_LEN])
{
	uint8_t mu[64];

	if (sklen != SK_LEN) {
		memset(sig, 0, SIG_LEN);
		return DOT_ECRYPTO_MLDSA_SK;
	}
	mu_internal(mu, sk + 64, mp, mplen);
	return sign_mu(sig, sk, mu, rnd);
}

/* Algorithm 2, ML-DSA.Sign(sk, M, ctx), with rnd given. */
int
dot_mldsa65_sign_derand(uint8_t sig[DOT_MLDSA65_SIG_LEN], const uint8_t *sk,
			size_t sklen, const uint8_t *msg, size_t mlen,
			const uint8_t *ctx, size_t ctxlen,
			const uint8_t rnd[DOT_MLDSA_RND_LEN])
{
	uint8_t mu[64];
	int rv;

	if (sklen != SK_LEN) {
		memset(sig, 0, SIG_LEN);
		return DOT_ECRYPTO_MLDSA_SK;
	}
	if ((rv = mu_external(mu, sk + 64, msg, mlen, ctx, ctxlen)) !=
	    DOT_OK) {
		memset(sig, 0, SIG_LEN);
		return rv;
	}
	return sign_mu(sig, sk, mu, rnd);
}

/* Algorithm 2, ML-DSA.Sign: rnd from the RBG. */
int
dot_mldsa65_sign(uint8_t sig[DOT_MLDSA65_SIG_LEN], const uint8_t *sk,
		 size_t sklen, const uint8_t *msg, size_t mlen,
		 const uint8_t *ctx, size_t ctxlen)
{
	uint8_t rnd[32];
	int rv;

	randombytes_buf(rnd, sizeof(rnd));
	rv = dot_mldsa65_sign_derand(sig, sk, sklen, msg, mlen, ctx, ctxlen,
				     rnd);
	sodium_memzero(rnd, sizeof(rnd));
	return rv;
}

/* ---- verification ---- */

/*
 * A public key made ready to verify with: tr = H(pk, 64), Â = ExpandA(ρ)
 * and NTT(t1 · 2^d), the parts of Algorithm 8 that depend on pk alone
 * (about half its work). Everything here is public.
 */
struct vkey {
	uint8_t pk[PK_LEN]; /* the whole key: a hit compares every byte */
	uint8_t tr[64];
	struct npoly a[K][L];
	struct npoly t1hat[K];
	int used; /* 0: empty */
	int avx2; /* made by the AVX2 paths: used by them only */
};

static void
vkey_make(struct vkey *vk, const uint8_t pk[PK_LEN])
{
	struct poly t1[K];
	struct npoly *pt[K];

	memcpy(vk->pk, pk, PK_LEN);
	dot_shake256(vk->tr, sizeof(vk->tr), pk, PK_LEN);
	pk_decode_t1(t1, pk); /* t1 2^d */
	for (int i = 0; i < K; i++) {
		for (int c = 0; c < N; c++)
			vk->t1hat[i].c[c] = (int32_t)t1[i].c[c];
		pt[i] = &vk->t1hat[i];
	}
	ntt_many(pt, K);
	expand_a(vk->a, pk); /* ρ = pk[0:32] */
	vk->used = 1;
	vk->avx2 = dot_crypto_avx2();
}

/*
 * The keys a thread verified with last: VKEY_SLOTS of them, each thread
 * its own (no lock: a node's signature workers verify under a few
 * holders' keys over and over). A slot serves only the very same key
 * bytes, so a hit computes exactly what a miss would. Freed when the
 * thread ends.
 */
#define VKEY_SLOTS 4
struct vkeys {
	struct vkey slot[VKEY_SLOTS];
	unsigned next; /* the slot a miss fills: round robin */
};

static pthread_key_t vkeys_key;
static pthread_once_t vkeys_once = PTHREAD_ONCE_INIT;
static int vkeys_ok;
static __thread struct vkeys *vkeys_mine;

static void
vkeys_free(void *p)
{
	free(p);
}

static void
vkeys_init(void)
{
	vkeys_ok = pthread_key_create(&vkeys_key, vkeys_free) == 0;
}

/* The prepared form of pk: from this thread's slots, or made into one;
 * into *own when the thread has no slots (no memory). */
static const struct vkey *
vkey_get(const uint8_t pk[PK_LEN], struct vkey *own)
{
	struct vkeys *v = vkeys_mine;
	struct vkey *vk;

	if (v == NULL) {
		(void)pthread_once(&vkeys_once, vkeys_init);
		if (vkeys_ok && (v = calloc(1, sizeof(*v))) != NULL &&
		    pthread_setspecific(vkeys_key, v) != 0) {
			free(v);
			v = NULL;
		}
		vkeys_mine = v;
	}
	if (v == NULL) {
		vkey_make(own, pk);
		return own;
	}
	for (unsigned i = 0; i < VKEY_SLOTS; i++)
		if (v->slot[i].used && v->slot[i].avx2 == dot_crypto_avx2() &&
		    memcmp(v->slot[i].pk, pk, PK_LEN) == 0)
			return &v->slot[i];
	vk = &v->slot[v->next];
	v->next = (v->next + 1) % VKEY_SLOTS;
	vkey_make(vk, pk);
	return vk;
}

/*
 * Algorithm 8, ML-DSA.Verify_internal(pk, M', σ), after μ (μ
 * given), after the lengths were checked, with pk prepared (struct
 * vkey). Everything here is public. Algorithm 27, sigDecode, and the ⊥
 * of Algorithm 21 give DOT_ECRYPTO_MLDSA_SIG; the norm bound
 * ‖z‖∞ < γ1 - β and c̃ = c̃' are the verdict.
 */
static int
verify_mu(const struct vkey *vk, const uint8_t mu[64],
	  const uint8_t sig[SIG_LEN])
{
	struct {
		struct npoly zhat[L], c, w[K];
		struct poly z, h[K], wr[K], w1[K];
		uint8_t ctilde[CTILDE_LEN];
	} v;
	struct npoly *pz[L], *pw[K];
	struct poly *pr[K];
	uint32_t bad = 0;

	if (!hint_unpack(v.h, sig + CTILDE_LEN + L * Z_BYTES))
		return DOT_ECRYPTO_MLDSA_SIG;
	for (int j = 0; j < L; j++) {
		unpack_signed(&v.z, sig + CTILDE_LEN + Z_BYTES * j, GAMMA1,
			      20);
		bad |= poly_norm_ge(&v.z, GAMMA1 - BETA);
		for (int c = 0; c < N; c++)
			v.zhat[j].c[c] = (int32_t)v.z.c[c];
		pz[j] = &v.zhat[j];
	}
	if (bad)
		return DOT_ECRYPTO_SIGNATURE;
	ntt_many(pz, L);
	for (int i = 0; i < K; i++) {
		pw[i] = &v.w[i];
		pr[i] = &v.wr[i];
	}
	sample_in_ball(&v.c, sig);
	ntt(&v.c);
	/* w'_Approx = NTT^-1(Â ∘ NTT(z) - NTT(c) ∘ NTT(t1 2^d)), each
	 * row's six 64-bit products summed, then one reduction:
	 * |Σ| < 5 · 9q^2 + 81 q^2 < 2^31 q (row_mul, npoly_mul) */
	for (int i = 0; i < K; i++) {
#ifdef DOT_HAVE_AVX2_CODE
		if (dot_crypto_avx2()) {
			row_mul_avx2(&v.w[i], vk->a[i], v.zhat, &v.c,
				     &vk->t1hat[i]);
			continue;
		}
#endif
		for (int c = 0; c < N; c++) {
			int64_t s = -(int64_t)v.c.c[c] * vk->t1hat[i].c[c];

			for (int j = 0; j < L; j++)
				s += (int64_t)vk->a[i][j].c[c] * v.zhat[j].c[c];
			v.w[i].c[c] = mont_reduce(s);
		}
	}
	ntt_inverse_many(pr, pw, K);
	/* w1' = UseHint(h, w'_Approx) */
	for (int i = 0; i < K; i++)
		for (int c = 0; c < N; c++)
			v.w1[i].c[c] = use_hint(v.h[i].c[c], v.wr[i].c[c]);
	challenge(v.ctilde, mu, v.w1);
	if (sodium_memcmp(v.ctilde, sig, CTILDE_LEN) != 0)
		return DOT_ECRYPTO_SIGNATURE;
	return DOT_OK;
}

static int
verify_lengths(size_t pklen, size_t siglen)
{
	if (pklen != PK_LEN)
		return DOT_ECRYPTO_MLDSA_PK;
	if (siglen != SIG_LEN)
		return DOT_ECRYPTO_MLDSA_SIG;
	return DOT_OK;
}

int
dot_mldsa65_verify_mu(const uint8_t *pk, size_t pklen,
		      const uint8_t mu[DOT_MLDSA_MU_LEN], const uint8_t *sig,
		      size_t siglen)
{
	struct vkey own;
	int rv;

	if ((rv = verify_lengths(pklen, siglen)) != DOT_OK)
		return rv;
	return verify_mu(vkey_get(pk, &own), mu, sig);
}

/* Algorithm 8, ML-DSA.Verify_internal(pk, M', σ): tr = H(pk, 64),
 * μ = H(tr || M', 64). */
int
dot_mldsa65_verify_internal(const uint8_t *pk, size_t pklen, const uint8_t *mp,
			    size_t mplen, const uint8_t *sig, size_t siglen)
{
	const struct vkey *vk;
	struct vkey own;
	uint8_t mu[64];
	int rv;

	if ((rv = verify_lengths(pklen, siglen)) != DOT_OK)
		return rv;
	vk = vkey_get(pk, &own);
	mu_internal(mu, vk->tr, mp, mplen);
	return verify_mu(vk, mu, sig);
}

/* Algorithm 3, ML-DSA.Verify(pk, M, σ, ctx). */
int
dot_mldsa65_verify(const uint8_t *pk, size_t pklen, const uint8_t *msg,
		   size_t mlen, const uint8_t *ctx, size_t ctxlen,
		   const uint8_t *sig, size_t siglen)
{
	const struct vkey *vk;
	struct vkey own;
	uint8_t mu[64];
	int rv;

	if ((rv = verify_lengths(pklen, siglen)) != DOT_OK)
		return rv;
	if (ctxlen > DOT_MLDSA_CTX_MAX)
		return DOT_ECRYPTO_MLDSA_CTX;
	vk = vkey_get(pk, &own);
	if ((rv = mu_external(mu, vk->tr, msg, mlen, ctx, ctxlen)) != DOT_OK)
		return rv;
	return verify_mu(vk, mu, sig);
}
