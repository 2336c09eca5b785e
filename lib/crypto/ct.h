/*
 * ct.h - private helpers for constant-time code in lib/crypto.
 *
 * dot_ct_barrier hides a value from the optimiser: after it, the compiler
 * cannot know that a mask is all-zero or all-one bits, so it cannot turn
 * `x & mask` back into a branch on the secret the mask came from (the
 * failure clang showed on Kyber's poly_frommsg). An empty asm statement
 * with the value as an in-out register operand costs nothing at run time.
 *
 * DOT_CT_PUBLIC(p, n) marks n bytes at p as public although they were
 * computed from secrets (ML-KEM's ρ, which goes out in the encapsulation
 * key). It does nothing in the library. The constant-time test
 * (tests/unit/ct_mlkem.c) compiles the same sources with
 * -DDOT_CT_VALGRIND, marks the secret inputs undefined for valgrind's
 * memcheck, and lets every branch or address that depends on them be
 * reported as an error; DOT_CT_PUBLIC then tells memcheck that these
 * bytes may be branched on.
 */
#ifndef DOT_CRYPTO_CT_H
#define DOT_CRYPTO_CT_H

#include <stdint.h>

#ifdef DOT_CT_VALGRIND
#include <valgrind/memcheck.h>
#define DOT_CT_PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define DOT_CT_PUBLIC(p, n) ((void)(p), (void)(n))
#endif

static inline uint32_t
dot_ct_barrier(uint32_t x)
{
	__asm__("" : "+r"(x));
	return x;
}

/* All ones if x is 0, else 0. */
static inline uint32_t
dot_ct_is_zero(uint32_t x)
{
	/* x | -x has its top bit set iff x != 0. */
	return dot_ct_barrier(((x | (0u - x)) >> 31) - 1u);
}

#endif
