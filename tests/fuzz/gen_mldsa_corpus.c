/*
 * gen_mldsa_corpus.c - write the seed corpus of fuzz_mldsa. Built and run
 * by hand, not by Meson:
 *
 *   ninja -C build-mldsa lib/libdoteros.a
 *   cc -std=c11 -Iinclude tests/fuzz/gen_mldsa_corpus.c \
 *      build-mldsa/lib/libdoteros.a -lsodium -lcrypto -o /tmp/gen_mldsa
 *   /tmp/gen_mldsa tests/fuzz/corpus/mldsa
 *
 * The key is KeyGen_internal(32 x 0x77), the same as fuzz_mldsa.c's, so
 * mutants of the "fixed-*" seeds reach verification under a key the
 * target knows. Each file starts with fuzz_mldsa's selector byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "doteros/mldsa.h"

#define PK DOT_MLDSA65_PK_LEN
#define SK DOT_MLDSA65_SK_LEN
#define SIG DOT_MLDSA65_SIG_LEN

int
main(int argc, char **argv)
{
	static uint8_t pk[PK], sk[SK], sig[SIG], bad[SIG];
	static const uint8_t zero[32], msg[] = "fuzz me";
	uint8_t xi[32];

	if (!corpus_args(argc, argv))
		return 2;
	memset(xi, 0x77, sizeof(xi));
	dot_mldsa65_keypair_derand(pk, sk, xi);
	if (dot_mldsa65_sign_derand(sig, sk, SK, msg, sizeof(msg) - 1, NULL, 0,
				    zero) != DOT_OK)
		return 1;
	corpus_put("pk-sig-valid", 0, {pk, PK}, {sig, SIG},
	    {msg, sizeof(msg) - 1});
	corpus_put("pk-short", 0, {pk, PK - 1});
	corpus_put("pk-sig-short", 0, {pk, PK}, {sig, SIG - 1});
	corpus_put("fixed-valid", 1, {sig, SIG}, {msg, sizeof(msg) - 1});
	memcpy(bad, sig, SIG);
	bad[SIG - 60] = bad[SIG - 61]; /* the second hint index repeated */
	corpus_put("fixed-hint-repeat", 1, {bad, SIG}, {msg, sizeof(msg) - 1});
	memcpy(bad, sig, SIG);
	bad[SIG - 7] = 1; /* the last unused hint slot */
	corpus_put("fixed-hint-padding", 1, {bad, SIG}, {msg, sizeof(msg) - 1});
	memcpy(bad, sig, SIG);
	bad[48] = 0; /* z[0][0] = γ1 - v with v small: over the bound */
	bad[49] = 0;
	bad[50] &= 0xf0;
	corpus_put("fixed-z-bound", 1, {bad, SIG}, {msg, sizeof(msg) - 1});
	corpus_put("seed-msg", 2, {xi, 32}, {msg, sizeof(msg) - 1});
	corpus_put("seed-short", 2, {xi, 31});
	return 0;
}
