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

#include "doteros/mlkem.h"

#define EK DOT_MLKEM768_EK_LEN
#define DK DOT_MLKEM768_DK_LEN
#define CT DOT_MLKEM768_CT_LEN

static const char *dir;

static void
put(const char *name, uint8_t sel, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fputc(sel, f) == EOF ||
	    fwrite(a, 1, an, f) != an || (bn && fwrite(b, 1, bn, f) != bn) ||
	    fclose(f) != 0) {
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
	static uint8_t ek[EK + 1], dk[DK], ct[CT], x[DK + CT];
	uint8_t d[32], z[32], m[32], ss[32], seed[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	memset(d, 0x44, 32);
	memset(z, 0x55, 32);
	memset(m, 0x66, 32);
	dot_mlkem768_keypair_derand(ek, dk, d, z);
	if (dot_mlkem768_encaps_derand(ct, ss, ek, EK, m) != DOT_OK)
		return 1;

	put("ek-valid", 0, ek, EK, NULL, 0);
	memcpy(x, ek, EK);
	set12(x, 0, 3329);
	put("ek-coeff-q", 0, x, EK, NULL, 0);
	memcpy(x, ek, EK);
	set12(x, 767, 4095);
	put("ek-coeff-max-last", 0, x, EK, NULL, 0);
	put("ek-short", 0, ek, EK - 1, NULL, 0);
	ek[EK] = 0;
	put("ek-long", 0, ek, EK + 1, NULL, 0);

	put("dk-valid", 1, dk, DK, ct, CT);
	memcpy(x, dk, DK);
	x[2336] ^= 1;
	put("dk-bad-hash", 1, x, DK, ct, CT);
	memcpy(x, dk, DK);
	x[1152] ^= 1;
	put("dk-bad-ek", 1, x, DK, ct, CT);
	put("dk-ct-short", 1, dk, DK, ct, CT - 1);
	put("dk-short", 1, dk, DK - 1, NULL, 0);

	put("ct-valid", 2, ct, CT, NULL, 0);
	memcpy(x, ct, CT);
	x[CT - 1] ^= 0x80;
	put("ct-flipped-c2", 2, x, CT, NULL, 0);
	memcpy(x, ct, CT);
	x[959] ^= 1;
	put("ct-flipped-c1", 2, x, CT, NULL, 0);
	put("ct-short", 2, ct, CT - 1, NULL, 0);

	memcpy(seed, d, 32);
	memcpy(seed + 32, z, 32);
	put("seed-valid", 3, seed, 64, NULL, 0);
	put("seed-short", 3, seed, 63, NULL, 0);
	return 0;
}
