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

#include "doteros/xwing.h"

#define PK DOT_XWING_PK_LEN
#define CT DOT_XWING_CT_LEN

static const char *dir;

static void
put(const char *name, uint8_t sel, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fputc(sel, f) == EOF ||
	    (an && fwrite(a, 1, an, f) != an) ||
	    (bn && fwrite(b, 1, bn, f) != bn) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Set 12-bit value i of an encoded polynomial vector to v. */
static void
set12(uint8_t *p, size_t i, unsigned v)
{
	uint8_t *b = p + 3 * (i / 2);

	if (i % 2 == 0) {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)((b[1] & 0xf0) | (v >> 8));
	} else {
		b[1] = (uint8_t)((b[1] & 0x0f) | ((v & 0x0f) << 4));
		b[2] = (uint8_t)(v >> 4);
	}
}

int
main(int argc, char **argv)
{
	static uint8_t pk[PK + 1], ct[CT + 1], x[PK + 1 + 32 + CT];
	uint8_t sk[32], eseed[64], ss[32];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	memset(sk, 0x44, 32);
	memset(eseed, 0x66, 64);
	dot_xwing_keypair_derand(pk, sk);
	if (dot_xwing_encaps_derand(ct, ss, pk, PK, eseed) != DOT_OK)
		return 1;

	put("pk-valid", 0, pk, PK, NULL, 0);
	memcpy(x, pk, PK);
	set12(x, 0, 3329);
	put("pk-coeff-q", 0, x, PK, NULL, 0);
	memcpy(x, pk, PK);
	set12(x, 767, 4095);
	put("pk-coeff-max-last", 0, x, PK, NULL, 0);
	memcpy(x, pk, PK);
	memset(x + 1184, 0, 32);
	put("pk-x-zero", 0, x, PK, NULL, 0);
	put("pk-short", 0, pk, PK - 1, NULL, 0);
	pk[PK] = 0;
	put("pk-long", 0, pk, PK + 1, NULL, 0);

	put("ct-valid", 1, ct, CT, NULL, 0);
	memcpy(x, ct, CT);
	x[100] ^= 1;
	put("ct-flipped-ml-kem", 1, x, CT, NULL, 0);
	memcpy(x, ct, CT);
	x[1100] ^= 1;
	put("ct-flipped-x25519", 1, x, CT, NULL, 0);
	memcpy(x, ct, CT);
	memset(x + 1088, 0, 32);
	x[1088] = 1;
	put("ct-x-low-order", 1, x, CT, NULL, 0);
	put("ct-short", 1, ct, CT - 1, NULL, 0);
	ct[CT] = 0;
	put("ct-long", 1, ct, CT + 1, NULL, 0);

	x[0] = 32;
	memcpy(x + 1, sk, 32);
	memcpy(x + 33, ct, CT);
	put("skct-valid", 2, x, 33 + CT, NULL, 0);
	x[0] = 31;
	put("skct-sk-short", 2, x, 33 + CT, NULL, 0);
	x[0] = 32;
	put("skct-ct-short", 2, x, 32 + CT, NULL, 0);

	put("sk-valid", 3, sk, 32, NULL, 0);
	put("sk-short", 3, sk, 31, NULL, 0);
	return 0;
}
