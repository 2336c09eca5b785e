/*
 * gen_xwing_corpus.c - write the seed corpus of fuzz_xwing. Built and run
 * by hand, not by Meson:
 *
 *   ninja -C build-xwing lib/libdoteros.a
 *   cc -std=c11 -Iinclude tests/fuzz/gen_xwing_corpus.c \
 *      build-xwing/lib/libdoteros.a -lsodium -lsqlite3 -lcrypto \
 *      -o /tmp/gen_xwing_corpus
 *   /tmp/gen_xwing_corpus tests/fuzz/corpus/xwing
 *
 * The key and ciphertext come from fixed seeds (sk = 32 x 0x44, eseed =
 * 64 x 0x66), the same as fuzz_xwing.c's, so mutants of the "ct-*" seeds
 * reach decapsulation under a key the target knows. Each file starts with
 * fuzz_xwing's selector byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/pq.h"
#include "corpus.h"
#include "doteros/xwing.h"

#define PK DOT_XWING_PK_LEN
#define CT DOT_XWING_CT_LEN

int
main(int argc, char **argv)
{
	static uint8_t pk[PK + 1], ct[CT + 1], x[PK + 1 + 32 + CT];
	uint8_t sk[32], eseed[64], ss[32];

	if (!corpus_args(argc, argv))
		return 2;
	memset(sk, 0x44, 32);
	memset(eseed, 0x66, 64);
	dot_xwing_keypair_derand(pk, sk);
	if (dot_xwing_encaps_derand(ct, ss, pk, PK, eseed) != DOT_OK)
		return 1;

	corpus_put("pk-valid", 0, {pk, PK});
	memcpy(x, pk, PK);
	pq_set12(x, 0, 3329);
	corpus_put("pk-coeff-q", 0, {x, PK});
	memcpy(x, pk, PK);
	pq_set12(x, 767, 4095);
	corpus_put("pk-coeff-max-last", 0, {x, PK});
	memcpy(x, pk, PK);
	memset(x + 1184, 0, 32);
	corpus_put("pk-x-zero", 0, {x, PK});
	corpus_put("pk-short", 0, {pk, PK - 1});
	pk[PK] = 0;
	corpus_put("pk-long", 0, {pk, PK + 1});

	corpus_put("ct-valid", 1, {ct, CT});
	memcpy(x, ct, CT);
	x[100] ^= 1;
	corpus_put("ct-flipped-ml-kem", 1, {x, CT});
	memcpy(x, ct, CT);
	x[1100] ^= 1;
	corpus_put("ct-flipped-x25519", 1, {x, CT});
	memcpy(x, ct, CT);
	memset(x + 1088, 0, 32);
	x[1088] = 1;
	corpus_put("ct-x-low-order", 1, {x, CT});
	corpus_put("ct-short", 1, {ct, CT - 1});
	ct[CT] = 0;
	corpus_put("ct-long", 1, {ct, CT + 1});

	x[0] = 32;
	memcpy(x + 1, sk, 32);
	memcpy(x + 33, ct, CT);
	corpus_put("skct-valid", 2, {x, 33 + CT});
	x[0] = 31;
	corpus_put("skct-sk-short", 2, {x, 33 + CT});
	x[0] = 32;
	corpus_put("skct-ct-short", 2, {x, 32 + CT});

	corpus_put("sk-valid", 3, {sk, 32});
	corpus_put("sk-short", 3, {sk, 31});
	return 0;
}
