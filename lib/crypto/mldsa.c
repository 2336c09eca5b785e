/*
 * mldsa.c - ML-DSA-65 (FIPS 204), written from the standard's text
 * (mldsa.h, docs/crypto.md §11).
 *
 * Parameters (FIPS 204 §4, Table 1): q = 8380417 = 2^23 - 2^13 + 1,
 * ζ = 1753, d = 13, τ = 49, λ = 192 (c̃ is λ/4 = 48 bytes), γ1 = 2^19,
 * γ2 = (q - 1)/32 = 261888, (k, l) = (6, 5), η = 4, β = τη = 196, ω = 55.
 * H = SHAKE256, G = SHAKE128.
 *
 * Representation: a polynomial is 256 coefficients, each kept fully
 * reduced in [0, q) as a uint32_t, in the normal and the NTT domain alike;
 * a signed value x (s1, s2, t0, y, z, ...) is stored as x mod q.
 *
 * Constant time. Every function that may see a secret (ξ, ρ', K, s1, s2,
 * t0, rnd, ρ'', y, w, cs1, cs2, ct0, z and r0 of an iteration, h) uses
 * only additions, subtractions, shifts, bitwise operations and
 * multiplications on it. Products are reduced by Montgomery reduction
 * (Algorithm 49, with R = 2^32), then one conditional subtraction of q
 * done with a mask; Decompose divides by 2γ2 with a multiply and a shift.
 * Masks pass through dot_ct_barrier (ct.h). Values that FIPS 204 makes
 * public are declassified with DOT_CT_PUBLIC (a no-op in the library,
 * VALGRIND_MAKE_MEM_DEFINED in tests/unit/ct_mldsa.c), each with its
 * reason where it is done:
 *   - ρ, which goes out in pk (ExpandA's rejection sampling runs on it);
 *   - whether each 4-bit value of RejBoundedPoly's SHAKE256 stream is
 *     accepted (below 9): which positions are rejected is independent of
 *     the values kept, so it tells nothing about s1 and s2;
 *   - c̃ of each signing iteration, and hence c (SampleInBall branches
 *     and indexes on it): public in the signature when the iteration is
 *     accepted; for a rejected iteration it is a hash of μ and w1, the
 *     leak the Dilithium reference implementation also accepts;
 *   - the outcome of each iteration's norm and hint-count checks: the
 *     number of iterations depends on the secrets by the design of the
 *     scheme (Fiat-Shamir with aborts: a rejected iteration's values are
 *     discarded, and the count of rejections tells nothing useful about
 *     the key); the values checked stay secret;
 *   - h once its iteration is accepted (it is written into σ);
 *   - whether an sk passed the range check on s1 and s2 (the caller is
 *     told by the return value anyway).
 * tests/unit/ct_mldsa.c checks all this under valgrind.
 */
#include <string.h>

#include <sodium.h>

#include "ct.h"
#include "doteros/mldsa.h"
#include "doteros/sha3.h"

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

#define QINV 4236238847u /* -q^-1 mod 2^32 */
#define F_INV 41978u     /* 2^64 / 256 mod q: the NTT^-1 factor, below */

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

/* ζ^BitRev8(m) · 2^32 mod q for m = 0..255 (§7.5, Appendix B, in
 * Montgomery form for mont() below), computed from the definition with
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

/*
 * Algorithm 49, MontgomeryReduce, on a product a b < 2^32 q, unsigned:
 * t = a b (-q^-1) mod 2^32 makes a b + t q divisible by 2^32, and
 * (a b + t q) / 2^32 < q + q, so one csubq gives a b 2^-32 mod q in
 * [0, q).
 */
static inline uint32_t
mont(uint32_t a, uint32_t b)
{
	uint64_t p = (uint64_t)a * b;
	uint32_t t = (uint32_t)p * QINV;

	return csubq((uint32_t)((p + (uint64_t)t * Q) >> 32));
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

/* ---- the NTT (§7.5) ---- */

/* Algorithm 41, NTT, with zetas in Montgomery form. */
static void
ntt(struct poly *w)
{
	unsigned m = 0;

	for (unsigned len = 128; len >= 1; len >>= 1)
		for (unsigned start = 0; start < N; start += 2 * len) {
			uint32_t z = zetas[++m];

			for (unsigned j = start; j < start + len; j++) {
				uint32_t t = mont(z, w->c[j + len]);

				w->c[j + len] = subq(w->c[j], t);
				w->c[j] = addq(w->c[j], t);
			}
		}
}

/*
 * Algorithm 42, NTT^-1, always applied here to a sum of products of
 * mont(), which carry a factor 2^-32; the final factor F_INV = 2^64/256
 * mod q (through mont: 2^32/256) takes it out with the 1/256.
 */
static void
ntt_inverse(struct poly *w)
{
	unsigned m = 256;

	for (unsigned len = 1; len < N; len <<= 1)
		for (unsigned start = 0; start < N; start += 2 * len) {
			uint32_t z = Q - zetas[--m]; /* -ζ^BitRev8(m) */

			for (unsigned j = start; j < start + len; j++) {
				uint32_t t = w->c[j];

				w->c[j] = addq(t, w->c[j + len]);
				w->c[j + len] = mont(z, t + Q - w->c[j + len]);
			}
		}
	for (unsigned j = 0; j < N; j++)
		w->c[j] = mont(F_INV, w->c[j]);
}

/* Algorithm 45, MultiplyNTT, accumulated: acc += f̂ ∘ ĝ (times 2^-32,
 * which NTT^-1 removes). */
static void
poly_mul_acc(struct poly *acc, const struct poly *f, const struct poly *g)
{
	for (int i = 0; i < N; i++)
		acc->c[i] = addq(acc->c[i], mont(f->c[i], g->c[i]));
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

/* ---- Keccak streams for the samplers ---- */

struct stream {
	struct dot_sha3_ctx x;
	uint8_t buf[DOT_SHAKE128_RATE];
	size_t pos, len;
};

static void
stream_init(struct stream *s, int shake256, const uint8_t *a, size_t na,
	    const uint8_t *b, size_t nb)
{
	if (shake256)
		dot_shake256_init(&s->x);
	else
		dot_shake128_init(&s->x);
	dot_sha3_update(&s->x, a, na);
	if (nb > 0)
		dot_sha3_update(&s->x, b, nb);
	s->len = shake256 ? DOT_SHAKE256_RATE : DOT_SHAKE128_RATE;
	s->pos = s->len;
}

/* The next byte of the one squeezed stream (a block at a time). */
static uint8_t
stream_byte(struct stream *s)
{
	if (s->pos == s->len) {
		dot_shake_squeeze(&s->x, s->buf, s->len);
		s->pos = 0;
	}
	return s->buf[s->pos++];
}

static void
stream_wipe(struct stream *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* ---- sampling (§7.3) ---- */

/*
 * Algorithm 30, RejNTTPoly(ρ || s || r), with Algorithm 14,
 * CoeffFromThreeBytes: 23-bit values (the top bit of the third byte
 * cleared) below q, from one SHAKE128 stream squeezed until 256 are
 * accepted. ρ is public.
 */
static void
rej_ntt_poly(struct poly *a, const uint8_t rho[32], uint8_t s, uint8_t r)
{
	struct stream st;
	uint8_t sr[2] = {s, r};
	int j = 0;

	stream_init(&st, 0, rho, 32, sr, 2);
	while (j < N) {
		uint32_t b0 = stream_byte(&st), b1 = stream_byte(&st);
		uint32_t b2 = stream_byte(&st) & 0x7fu;
		uint32_t z = (b2 << 16) | (b1 << 8) | b0;

		if (z < Q)
			a->c[j++] = z;
	}
	stream_wipe(&st);
}

/*
 * Algorithm 31, RejBoundedPoly(ρ' || r), with Algorithm 15,
 * CoeffFromHalfByte for η = 4: each 4-bit value b < 9 gives 4 - b, low
 * half of each byte first, from one SHAKE256 stream. ρ' is secret; the
 * acceptance of each b is declassified (the file comment says why), the
 * value kept is computed without a branch.
 */
static void
rej_bounded_poly(struct poly *a, const uint8_t rhop[64], uint16_t r)
{
	struct stream st;
	uint8_t rb[2] = {(uint8_t)r, (uint8_t)(r >> 8)};
	int j = 0;

	stream_init(&st, 1, rhop, 64, rb, 2);
	while (j < N) {
		uint32_t z = stream_byte(&st);
		uint32_t half[2] = {z & 0x0fu, z >> 4};

		for (int h = 0; h < 2 && j < N; h++) {
			uint32_t ok = (half[h] - 9u) >> 31; /* b < 9 */

			DOT_CT_PUBLIC(&ok, sizeof(ok));
			if (ok)
				a->c[j++] = csubq(Q + ETA - half[h]);
		}
		sodium_memzero(half, sizeof(half));
	}
	stream_wipe(&st);
}

/* Algorithm 32, ExpandA(ρ): Â[r][s] = RejNTTPoly(ρ || s || r). */
static void
expand_a(struct poly a[K][L], const uint8_t rho[32])
{
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

	memcpy(in, rhopp, 64);
	for (int r = 0; r < L; r++) {
		uint16_t v = (uint16_t)(kappa + r);

		in[64] = (uint8_t)v;
		in[65] = (uint8_t)(v >> 8);
		dot_shake256(buf, sizeof(buf), in, sizeof(in));
		unpack_signed(&y[r], buf, GAMMA1, 20);
	}
	sodium_memzero(in, sizeof(in));
	sodium_memzero(buf, sizeof(buf));
}

/*
 * Algorithm 29, SampleInBall(ρ) with ρ = c̃: τ = 49 coefficients ±1.
 * Branches and indexes on c̃, which is public (the file comment).
 */
static void
sample_in_ball(struct poly *c, const uint8_t ctilde[CTILDE_LEN])
{
	struct stream st;
	uint64_t h = 0;

	memset(c, 0, sizeof(*c));
	stream_init(&st, 1, ctilde, CTILDE_LEN, NULL, 0);
	for (int i = 0; i < 8; i++)
		h |= (uint64_t)stream_byte(&st) << (8 * i);
	for (unsigned i = N - TAU; i < N; i++) {
		unsigned j;

		do
			j = stream_byte(&st);
		while (j > i);
		c->c[i] = c->c[j];
		/* (-1)^h[i + τ - 256] */
		c->c[j] = (h >> (i + TAU - N)) & 1u ? Q - 1 : 1;
	}
	stream_wipe(&st);
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
		struct poly a[L], s1[L], s1hat[L], s2[K], t, t1[K], t0[K];
	} v;
	const uint8_t *rho = v.seeds, *rhop = v.seeds + 32;
	const uint8_t *key = v.seeds + 96;

	memcpy(v.in, xi, 32);
	v.in[32] = K;
	v.in[33] = L;
	dot_shake256(v.seeds, sizeof(v.seeds), v.in, sizeof(v.in));
	DOT_CT_PUBLIC(v.seeds, 32); /* ρ is published in pk */

	expand_s(v.s1, v.s2, rhop);
	for (int j = 0; j < L; j++) {
		v.s1hat[j] = v.s1[j];
		ntt(&v.s1hat[j]);
	}
	for (int i = 0; i < K; i++) {
		/* row i of Â, generated as needed */
		for (int j = 0; j < L; j++)
			rej_ntt_poly(&v.a[j], rho, (uint8_t)j, (uint8_t)i);
		memset(&v.t, 0, sizeof(v.t));
		for (int j = 0; j < L; j++)
			poly_mul_acc(&v.t, &v.a[j], &v.s1hat[j]);
		ntt_inverse(&v.t);
		for (int c = 0; c < N; c++)
			power2round(&v.t1[i].c[c], &v.t0[i].c[c],
				    addq(v.t.c[c], v.s2[i].c[c]));
	}
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

/* The signer's state: everything secret, zeroed at the end. */
struct signer {
	struct poly a[K][L];
	struct poly s1[L], s2[K], t0[K]; /* in the NTT domain once decoded */
	struct poly y[L], w[K], w1[K], c, cs, z[L], r[K], h[K];
	uint8_t rhopp[64], in[128], ctilde[CTILDE_LEN];
};

/*
 * Algorithm 7, ML-DSA.Sign_internal(sk, M', rnd), after μ (μ
 * given; the callers compute it), after sk's length was checked. The
 * rejection loop: each iteration either is rejected (its values are
 * discarded, and only the fact is declassified) or gives σ.
 */
static int
sign_mu(uint8_t sig[SIG_LEN], const uint8_t sk[SK_LEN], const uint8_t mu[64],
	const uint8_t rnd[32])
{
	struct signer st, *v = &st; /* 83 KiB of stack, zeroed at out */
	uint32_t bad;
	uint16_t kappa = 0;
	int rv = DOT_OK;

	bad = sk_decode(v->s1, v->s2, v->t0, sk);
	DOT_CT_PUBLIC(&bad, sizeof(bad)); /* the return value says it */
	if (bad) {
		rv = DOT_ECRYPTO_MLDSA_SK;
		goto out;
	}
	for (int i = 0; i < L; i++)
		ntt(&v->s1[i]);
	for (int i = 0; i < K; i++) {
		ntt(&v->s2[i]);
		ntt(&v->t0[i]);
	}
	expand_a(v->a, sk); /* ρ = sk[0:32], public */
	/* ρ'' = H(K || rnd || μ, 64) */
	memcpy(v->in, sk + 32, 32);
	memcpy(v->in + 32, rnd, 32);
	memcpy(v->in + 64, mu, 64);
	dot_shake256(v->rhopp, 64, v->in, 128);

	for (;; kappa = (uint16_t)(kappa + L)) {
		uint32_t count = 0;

		/* y = ExpandMask(ρ'', κ); w = NTT^-1(Â ∘ NTT(y)) */
		expand_mask(v->y, v->rhopp, kappa);
		for (int j = 0; j < L; j++) {
			v->z[j] = v->y[j];
			ntt(&v->z[j]);
		}
		for (int i = 0; i < K; i++) {
			memset(&v->w[i], 0, sizeof(v->w[i]));
			for (int j = 0; j < L; j++)
				poly_mul_acc(&v->w[i], &v->a[i][j], &v->z[j]);
			ntt_inverse(&v->w[i]);
			for (int c = 0; c < N; c++)
				v->w1[i].c[c] = high_bits(v->w[i].c[c]);
		}
		/* c̃ = H(μ || w1Encode(w1), λ/4), public (file comment) */
		challenge(v->ctilde, mu, v->w1);
		DOT_CT_PUBLIC(v->ctilde, sizeof(v->ctilde));
		sample_in_ball(&v->c, v->ctilde);
		ntt(&v->c);

		/* z = y + <<c s1>>; ‖z‖∞ ≥ γ1 - β rejects */
		bad = 0;
		for (int j = 0; j < L; j++) {
			memset(&v->cs, 0, sizeof(v->cs));
			poly_mul_acc(&v->cs, &v->c, &v->s1[j]);
			ntt_inverse(&v->cs);
			for (int c = 0; c < N; c++)
				v->z[j].c[c] = addq(v->y[j].c[c], v->cs.c[c]);
			bad |= poly_norm_ge(&v->z[j], GAMMA1 - BETA);
		}
		/* r = w - <<c s2>>; ‖LowBits(r)‖∞ ≥ γ2 - β rejects */
		for (int i = 0; i < K; i++) {
			memset(&v->cs, 0, sizeof(v->cs));
			poly_mul_acc(&v->cs, &v->c, &v->s2[i]);
			ntt_inverse(&v->cs);
			for (int c = 0; c < N; c++) {
				int32_t r0;
				uint32_t u;

				v->r[i].c[c] = subq(v->w[i].c[c], v->cs.c[c]);
				(void)decompose(&r0, v->r[i].c[c]);
				u = (uint32_t)r0;
				u = (u ^ (0u - (u >> 31))) + (u >> 31); /* |r0| */
				bad |= (GAMMA2 - BETA - 1 - u) >> 31;
			}
		}
		/* <<c t0>>; h = MakeHint(-<<c t0>>, r + <<c t0>>) (Algorithm
		 * 39: HighBits(r + ct0) != HighBits(r)); ‖<<c t0>>‖∞ ≥ γ2 or
		 * more than ω ones reject. Computed for every iteration, so
		 * that the first checks' outcome is not needed before. */
		for (int i = 0; i < K; i++) {
			memset(&v->cs, 0, sizeof(v->cs));
			poly_mul_acc(&v->cs, &v->c, &v->t0[i]);
			ntt_inverse(&v->cs);
			bad |= poly_norm_ge(&v->cs, GAMMA2);
			for (int c = 0; c < N; c++) {
				uint32_t hb = high_bits(v->r[i].c[c]);
				uint32_t ha = high_bits(
					addq(v->r[i].c[c], v->cs.c[c]));
				uint32_t one = 1u & ~dot_ct_is_zero(ha ^ hb);

				v->h[i].c[c] = one;
				count += one;
			}
		}
		bad |= (OMEGA - count) >> 31;
		/* the iteration's verdict is public (file comment) */
		DOT_CT_PUBLIC(&bad, sizeof(bad));
		if (!bad)
			break;
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
 * Algorithm 8, ML-DSA.Verify_internal(pk, M', σ), after μ (μ
 * given), after the lengths were checked. Everything here is public.
 * Algorithm 27, sigDecode, and the ⊥ of Algorithm 21 give
 * DOT_ECRYPTO_MLDSA_SIG; the norm bound ‖z‖∞ < γ1 - β and c̃ = c̃' are
 * the verdict.
 */
static int
verify_mu(const uint8_t pk[PK_LEN], const uint8_t mu[64],
	  const uint8_t sig[SIG_LEN])
{
	struct {
		struct poly a, z[L], h[K], t1[K], c, w, w1[K];
		uint8_t ctilde[CTILDE_LEN];
	} v;
	uint32_t bad = 0;

	if (!hint_unpack(v.h, sig + CTILDE_LEN + L * Z_BYTES))
		return DOT_ECRYPTO_MLDSA_SIG;
	for (int j = 0; j < L; j++) {
		unpack_signed(&v.z[j], sig + CTILDE_LEN + Z_BYTES * j, GAMMA1,
			      20);
		bad |= poly_norm_ge(&v.z[j], GAMMA1 - BETA);
	}
	if (bad)
		return DOT_ECRYPTO_SIGNATURE;
	pk_decode_t1(v.t1, pk);
	sample_in_ball(&v.c, sig);
	ntt(&v.c);
	for (int j = 0; j < L; j++)
		ntt(&v.z[j]);
	/* w'_Approx = NTT^-1(Â ∘ NTT(z) - NTT(c) ∘ NTT(t1 2^d));
	 * w1' = UseHint(h, w'_Approx) */
	for (int i = 0; i < K; i++) {
		memset(&v.w, 0, sizeof(v.w));
		for (int j = 0; j < L; j++) {
			rej_ntt_poly(&v.a, pk, (uint8_t)j, (uint8_t)i);
			poly_mul_acc(&v.w, &v.a, &v.z[j]);
		}
		ntt(&v.t1[i]);
		for (int c = 0; c < N; c++)
			v.w.c[c] = subq(v.w.c[c], mont(v.c.c[c], v.t1[i].c[c]));
		ntt_inverse(&v.w);
		for (int c = 0; c < N; c++)
			v.w1[i].c[c] = use_hint(v.h[i].c[c], v.w.c[c]);
	}
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
	int rv;

	if ((rv = verify_lengths(pklen, siglen)) != DOT_OK)
		return rv;
	return verify_mu(pk, mu, sig);
}

/* Algorithm 8, ML-DSA.Verify_internal(pk, M', σ): tr = H(pk, 64),
 * μ = H(tr || M', 64). */
int
dot_mldsa65_verify_internal(const uint8_t *pk, size_t pklen, const uint8_t *mp,
			    size_t mplen, const uint8_t *sig, size_t siglen)
{
	uint8_t tr[64], mu[64];
	int rv;

	if ((rv = verify_lengths(pklen, siglen)) != DOT_OK)
		return rv;
	dot_shake256(tr, sizeof(tr), pk, PK_LEN);
	mu_internal(mu, tr, mp, mplen);
	return verify_mu(pk, mu, sig);
}

/* Algorithm 3, ML-DSA.Verify(pk, M, σ, ctx). */
int
dot_mldsa65_verify(const uint8_t *pk, size_t pklen, const uint8_t *msg,
		   size_t mlen, const uint8_t *ctx, size_t ctxlen,
		   const uint8_t *sig, size_t siglen)
{
	uint8_t tr[64], mu[64];
	int rv;

	if ((rv = verify_lengths(pklen, siglen)) != DOT_OK)
		return rv;
	dot_shake256(tr, sizeof(tr), pk, PK_LEN);
	if ((rv = mu_external(mu, tr, msg, mlen, ctx, ctxlen)) != DOT_OK)
		return rv;
	return verify_mu(pk, mu, sig);
}
