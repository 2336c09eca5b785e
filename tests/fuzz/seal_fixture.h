/*
 * seal_fixture.h - the fixed keys, binding and payload of the sealed
 * payload seeds, and their generator of randomness, shared by fuzz_seal.c
 * (which opens any input as key 0) and gen_seal_corpus.c (which writes
 * the seeds in tests/fuzz/corpus/seal), so that mutants of the "open-"
 * seeds reach the stanza, the MAC and the payload of a key the target
 * holds.
 *
 * Keys: sk_i = 32 x (0x44 + i), i = 0, 1, 2, 3. Binding "fuzz_seal
 * binding"; payload "the fixed payload of fuzz_seal".
 */
#ifndef DOT_FUZZ_SEAL_FIXTURE_H
#define DOT_FUZZ_SEAL_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "doteros/xwing.h"

#define SEAL_FX_KEYS 4

static const uint8_t binding[] = "fuzz_seal binding";
static const uint8_t payload[] = "the fixed payload of fuzz_seal";

/* A dot_seal generator: a 64-bit LCG from the seed in ctx. */
static inline void
rng(void *ctx, uint8_t *out, size_t n)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < n; i++) {
		*s = *s * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (uint8_t)(*s >> 56);
	}
}

static inline void
seal_fx_keys(uint8_t sk[SEAL_FX_KEYS][32],
	     uint8_t pk[SEAL_FX_KEYS][DOT_XWING_PK_LEN])
{
	for (int i = 0; i < SEAL_FX_KEYS; i++) {
		memset(sk[i], 0x44 + i, 32);
		dot_xwing_keypair_derand(pk[i], sk[i]);
	}
}

#endif
