/*
 * gen_seal_corpus.c - write the seed corpus of fuzz_seal. Built and run by
 * hand, not by Meson:
 *
 *   ninja -C build-xwing lib/libdoteros.a
 *   cc -std=c11 -Iinclude tests/fuzz/gen_seal_corpus.c \
 *      build-xwing/lib/libdoteros.a -lsodium -lsqlite3 -lcrypto \
 *      -o /tmp/gen_seal_corpus
 *   /tmp/gen_seal_corpus tests/fuzz/corpus/seal
 *
 * The keys, binding and payload are fuzz_seal.c's (sk_i = 32 x (0x44 + i),
 * "fuzz_seal binding", "the fixed payload of fuzz_seal"), so mutants of
 * the "open-*" seeds reach the stanza, the MAC and the payload of a key
 * the target holds. Each file starts with fuzz_seal's selector byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/seal.h"
#include "doteros/xwing.h"

#define PK DOT_XWING_PK_LEN

static const char *dir;
static const uint8_t binding[] = "fuzz_seal binding";
static const uint8_t payload[] = "the fixed payload of fuzz_seal";
static uint8_t sk[4][32], pk[4][PK];

static void
put(const char *name, uint8_t sel, const uint8_t *a, size_t an)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fputc(sel, f) == EOF ||
	    (an && fwrite(a, 1, an, f) != an) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void
rng(void *ctx, uint8_t *out, size_t n)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < n; i++) {
		*s = *s * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (uint8_t)(*s >> 56);
	}
}

/* Seal to keys idx[0..r) under b; the length. */
static size_t
seal(uint8_t *out, const int *idx, size_t r, const uint8_t *b, size_t bl,
     unsigned flags, uint64_t seed)
{
	const uint8_t *pks[4];
	size_t len;

	for (size_t i = 0; i < r; i++)
		pks[i] = pk[idx[i]];
	if (dot_seal(out, DOT_SEAL_LEN(4, sizeof(payload)), &len, payload,
		     sizeof(payload), pks, r, b, bl, flags, rng, &seed,
		     NULL) != DOT_OK) {
		fprintf(stderr, "seal failed\n");
		exit(1);
	}
	return len;
}

int
main(int argc, char **argv)
{
	static uint8_t s[DOT_SEAL_LEN(4, 64)], x[DOT_SEAL_LEN(4, 64)];
	static const int k0[] = {0}, k102[] = {1, 0, 2}, k01[] = {0, 1},
			 k12[] = {1, 2};
	uint8_t rt[64];
	size_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	for (int i = 0; i < 4; i++) {
		memset(sk[i], 0x44 + i, 32);
		dot_xwing_keypair_derand(pk[i], sk[i]);
	}

	len = seal(s, k0, 1, binding, sizeof(binding), 0, 1);
	put("open-valid-1", 0, s, len);
	memcpy(x, s, len);
	x[len - 1] ^= 1;
	put("open-tag-flipped", 0, x, len);
	memcpy(x, s, len);
	x[29 + 1176] ^= 1;
	put("open-mac-flipped", 0, x, len);
	memcpy(x, s, len);
	x[29 + 500] ^= 1;
	put("open-ct-flipped", 0, x, len);
	put("open-truncated", 0, s, len - 17);
	memcpy(x, s, len);
	x[0] = 'D';
	put("open-bad-magic", 0, x, len);
	memcpy(x, s, len);
	x[12] = 0;
	put("open-count-0", 0, x, len);
	x[12] = 33;
	put("open-count-33", 0, x, len);
	memcpy(x, s, len);
	x[11] = 1;
	put("open-anon-flag-with-kid", 0, x, len);

	len = seal(s, k102, 3, binding, sizeof(binding), 0, 2);
	put("open-valid-3", 0, s, len);
	memcpy(x, s, len);
	memcpy(x + 29 + 1176 * 2, x + 29, 8);
	put("open-repeated-kid", 0, x, len);
	len = seal(s, k01, 2, binding, sizeof(binding), DOT_SEAL_ANONYMOUS,
		   3);
	put("open-anon-2", 0, s, len);
	len = seal(s, k12, 2, binding, sizeof(binding), 0, 4);
	put("open-not-recipient", 0, s, len);
	len = seal(s, k0, 1, (const uint8_t *)"another", 7, 0, 5);
	put("open-other-binding", 0, s, len);

	rt[0] = 0; /* one recipient */
	rt[1] = 0;
	rt[2] = 5;
	memcpy(rt + 3, "bind!hello", 10);
	put("rt-1", 1, rt, 13);
	rt[0] = 2; /* three, anonymous */
	rt[1] = 1;
	rt[2] = 1;
	put("rt-3-anon", 1, rt, 13);
	rt[2] = 0;
	put("rt-no-binding", 1, rt, 13);
	rt[2] = 10;
	put("rt-empty-payload", 1, rt, 13);
	return 0;
}
