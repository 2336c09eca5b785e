/*
 * gen_composite_corpus.c - write the seed corpus of fuzz_composite. Built
 * and run by hand, not by Meson:
 *
 *   ninja -C build-composite lib/libdoteros.a
 *   cc -std=c11 -Iinclude tests/fuzz/gen_composite_corpus.c \
 *      build-composite/lib/libdoteros.a -lsodium -lcrypto -o /tmp/gen_comp
 *   /tmp/gen_comp tests/fuzz/corpus/composite
 *
 * The key is dot_composite_keypair(32 x 0x77, 32 x 0x78), the same as
 * fuzz_composite.c's, so mutants of the "fixed-*" seeds reach
 * verification under a key the target knows. Each file starts with
 * fuzz_composite's selector byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/composite.h"
#include "doteros/crypto.h"

#define PK   DOT_COMPOSITE_PK_LEN
#define SK   DOT_COMPOSITE_SK_LEN
#define SIG  DOT_COMPOSITE_SIG_LEN
#define MSIG 3309

static const char *dir;

static void
put(const char *name, uint8_t sel, const uint8_t *a, size_t an,
    const uint8_t *b, size_t bn, const uint8_t *c, size_t cn)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(&sel, 1, 1, f);
	fwrite(a, 1, an, f);
	fwrite(b, 1, bn, f);
	fwrite(c, 1, cn, f);
	fclose(f);
}

int
main(int argc, char **argv)
{
	static uint8_t pk[PK], sk[SK], sig[SIG], csig[SIG], bad[SIG];
	static uint8_t buf[1 + 255 + SIG];
	static const uint8_t zero[32], msg[] = "fuzz me", ctx[] = "ctx";
	uint8_t xi[32], ed[32], seeds[64 + 1 + 3];
	size_t ml = sizeof(msg) - 1;

	if (argc != 2 || dot_crypto_init() != DOT_OK)
		return 2;
	dir = argv[1];
	memset(xi, 0x77, sizeof(xi));
	memset(ed, 0x78, sizeof(ed));
	if (dot_composite_keypair(pk, sk, xi, ed) != DOT_OK ||
	    dot_composite_sign_derand(sig, msg, ml, NULL, 0, sk, SK, zero) !=
		DOT_OK ||
	    dot_composite_sign_derand(csig, msg, ml, ctx, 3, sk, SK, zero) !=
		DOT_OK)
		return 1;
	put("pk-sig-valid", 0, pk, PK, sig, SIG, msg, ml);
	put("pk-short", 0, pk, PK - 1, NULL, 0, NULL, 0);
	put("pk-sig-short", 0, pk, PK, sig, SIG - 1, NULL, 0);
	put("fixed-valid", 1, (const uint8_t *)"\0", 1, sig, SIG, msg, ml);
	buf[0] = 3;
	memcpy(buf + 1, ctx, 3);
	memcpy(buf + 4, csig, SIG);
	put("fixed-ctx-valid", 1, buf, 4 + SIG, msg, ml, NULL, 0);
	/* the valid signature under the wrong context */
	memcpy(buf + 4, sig, SIG);
	put("fixed-ctx-wrong", 1, buf, 4 + SIG, msg, ml, NULL, 0);
	/* halves of the two signatures mixed */
	memcpy(bad, sig, MSIG);
	memcpy(bad + MSIG, csig + MSIG, 64);
	put("fixed-mixed", 1, (const uint8_t *)"\0", 1, bad, SIG, msg, ml);
	/* the ML-DSA half with a repeated hint index */
	memcpy(bad, sig, SIG);
	bad[MSIG - 60] = bad[MSIG - 61];
	put("fixed-hint-repeat", 1, (const uint8_t *)"\0", 1, bad, SIG, msg,
	    ml);
	/* the Ed25519 half with S + L's top byte (non-canonical S) */
	memcpy(bad, sig, SIG);
	bad[SIG - 1] |= 0xf0;
	put("fixed-s-high", 1, (const uint8_t *)"\0", 1, bad, SIG, msg, ml);
	memcpy(seeds, xi, 32);
	memcpy(seeds + 32, ed, 32);
	seeds[64] = 3;
	memcpy(seeds + 65, ctx, 3);
	put("seeds-ctx-msg", 2, seeds, sizeof(seeds), msg, ml, NULL, 0);
	seeds[64] = 0;
	put("seeds-msg", 2, seeds, 65, msg, ml, NULL, 0);
	put("seeds-short", 2, seeds, 63, NULL, 0, NULL, 0);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}
