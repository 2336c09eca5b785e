/*
 * gen_mlkem_corpus.c - write the seed corpus of fuzz_mlkem. Built and run
 * by hand, not by Meson:
 *
 *   ninja -C build-pq lib/libdoteros.a
 *   cc -std=c11 -Iinclude tests/fuzz/gen_mlkem_corpus.c \
 *      build-pq/lib/libdoteros.a -lsodium -lcrypto -o /tmp/gen_mlkem_corpus
 *   /tmp/gen_mlkem_corpus tests/fuzz/corpus/mlkem
 *
 * The key and ciphertext come from fixed seeds (d = 32 x 0x44, z = 32 x
 * 0x55, m = 32 x 0x66), the same as fuzz_mlkem.c's, so mutants of the
 * "dk-*" and "ct-*" seeds reach decapsulation under a key the target
 * knows. Each file starts with fuzz_mlkem's selector byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/pq.h"
#include "corpus.h"
#include "doteros/mlkem.h"

#define EK DOT_MLKEM768_EK_LEN
#define DK DOT_MLKEM768_DK_LEN
#define CT DOT_MLKEM768_CT_LEN

int
main(int argc, char **argv)
{
	static uint8_t ek[EK + 1], dk[DK], ct[CT], x[DK + CT];
	uint8_t d[32], z[32], m[32], ss[32], seed[64];

	if (!corpus_args(argc, argv))
		return 2;
	memset(d, 0x44, 32);
	memset(z, 0x55, 32);
	memset(m, 0x66, 32);
	dot_mlkem768_keypair_derand(ek, dk, d, z);
	if (dot_mlkem768_encaps_derand(ct, ss, ek, EK, m) != DOT_OK)
		return 1;

	corpus_put("ek-valid", 0, {ek, EK});
	memcpy(x, ek, EK);
	pq_set12(x, 0, 3329);
	corpus_put("ek-coeff-q", 0, {x, EK});
	memcpy(x, ek, EK);
	pq_set12(x, 767, 4095);
	corpus_put("ek-coeff-max-last", 0, {x, EK});
	corpus_put("ek-short", 0, {ek, EK - 1});
	ek[EK] = 0;
	corpus_put("ek-long", 0, {ek, EK + 1});

	corpus_put("dk-valid", 1, {dk, DK}, {ct, CT});
	memcpy(x, dk, DK);
	x[2336] ^= 1;
	corpus_put("dk-bad-hash", 1, {x, DK}, {ct, CT});
	memcpy(x, dk, DK);
	x[1152] ^= 1;
	corpus_put("dk-bad-ek", 1, {x, DK}, {ct, CT});
	corpus_put("dk-ct-short", 1, {dk, DK}, {ct, CT - 1});
	corpus_put("dk-short", 1, {dk, DK - 1});

	corpus_put("ct-valid", 2, {ct, CT});
	memcpy(x, ct, CT);
	x[CT - 1] ^= 0x80;
	corpus_put("ct-flipped-c2", 2, {x, CT});
	memcpy(x, ct, CT);
	x[959] ^= 1;
	corpus_put("ct-flipped-c1", 2, {x, CT});
	corpus_put("ct-short", 2, {ct, CT - 1});

	memcpy(seed, d, 32);
	memcpy(seed + 32, z, 32);
	corpus_put("seed-valid", 3, {seed, 64});
	corpus_put("seed-short", 3, {seed, 63});
	return 0;
}
