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
 * The keys, binding and payload are fuzz_seal.c's (seal_fixture.h: sk_i =
 * 32 x (0x44 + i), "fuzz_seal binding", "the fixed payload of
 * fuzz_seal"), so mutants of the "open-*" seeds reach the stanza, the MAC
 * and the payload of a key the target holds. Each file starts with
 * fuzz_seal's selector byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "doteros/seal.h"
#include "doteros/xwing.h"
#include "seal_fixture.h"

#define PK DOT_XWING_PK_LEN

static uint8_t sk[SEAL_FX_KEYS][32], pk[SEAL_FX_KEYS][PK];

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

	if (!corpus_args(argc, argv))
		return 2;
	seal_fx_keys(sk, pk);

	len = seal(s, k0, 1, binding, sizeof(binding), 0, 1);
	corpus_put("open-valid-1", 0, {s, len});
	memcpy(x, s, len);
	x[len - 1] ^= 1;
	corpus_put("open-tag-flipped", 0, {x, len});
	memcpy(x, s, len);
	x[29 + 1176] ^= 1;
	corpus_put("open-mac-flipped", 0, {x, len});
	memcpy(x, s, len);
	x[29 + 500] ^= 1;
	corpus_put("open-ct-flipped", 0, {x, len});
	corpus_put("open-truncated", 0, {s, len - 17});
	memcpy(x, s, len);
	x[0] = 'D';
	corpus_put("open-bad-magic", 0, {x, len});
	memcpy(x, s, len);
	x[12] = 0;
	corpus_put("open-count-0", 0, {x, len});
	x[12] = 33;
	corpus_put("open-count-33", 0, {x, len});
	memcpy(x, s, len);
	x[11] = 1;
	corpus_put("open-anon-flag-with-kid", 0, {x, len});

	len = seal(s, k102, 3, binding, sizeof(binding), 0, 2);
	corpus_put("open-valid-3", 0, {s, len});
	memcpy(x, s, len);
	memcpy(x + 29 + 1176 * 2, x + 29, 8);
	corpus_put("open-repeated-kid", 0, {x, len});
	len = seal(s, k01, 2, binding, sizeof(binding), DOT_SEAL_ANONYMOUS,
		   3);
	corpus_put("open-anon-2", 0, {s, len});
	len = seal(s, k12, 2, binding, sizeof(binding), 0, 4);
	corpus_put("open-not-recipient", 0, {s, len});
	len = seal(s, k0, 1, (const uint8_t *)"another", 7, 0, 5);
	corpus_put("open-other-binding", 0, {s, len});

	rt[0] = 0; /* one recipient */
	rt[1] = 0;
	rt[2] = 5;
	memcpy(rt + 3, "bind!hello", 10);
	corpus_put("rt-1", 1, {rt, 13});
	rt[0] = 2; /* three, anonymous */
	rt[1] = 1;
	rt[2] = 1;
	corpus_put("rt-3-anon", 1, {rt, 13});
	rt[2] = 0;
	corpus_put("rt-no-binding", 1, {rt, 13});
	rt[2] = 10;
	corpus_put("rt-empty-payload", 1, {rt, 13});
	return 0;
}
