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

#include "corpus.h"
#include "doteros/composite.h"
#include "doteros/crypto.h"

#define PK   DOT_COMPOSITE_PK_LEN
#define SK   DOT_COMPOSITE_SK_LEN
#define SIG  DOT_COMPOSITE_SIG_LEN
#define MSIG 3309

int
main(int argc, char **argv)
{
	static uint8_t pk[PK], sk[SK], sig[SIG], csig[SIG], bad[SIG];
	static uint8_t buf[1 + 255 + SIG];
	static const uint8_t zero[32], msg[] = "fuzz me", ctx[] = "ctx";
	uint8_t xi[32], ed[32], seeds[64 + 1 + 3];
	size_t ml = sizeof(msg) - 1;

	if (!corpus_args(argc, argv) || dot_crypto_init() != DOT_OK)
		return 2;
	memset(xi, 0x77, sizeof(xi));
	memset(ed, 0x78, sizeof(ed));
	if (dot_composite_keypair(pk, sk, xi, ed) != DOT_OK ||
	    dot_composite_sign_derand(sig, msg, ml, NULL, 0, sk, SK, zero) !=
		DOT_OK ||
	    dot_composite_sign_derand(csig, msg, ml, ctx, 3, sk, SK, zero) !=
		DOT_OK)
		return 1;
	corpus_put("pk-sig-valid", 0, {pk, PK}, {sig, SIG}, {msg, ml});
	corpus_put("pk-short", 0, {pk, PK - 1});
	corpus_put("pk-sig-short", 0, {pk, PK}, {sig, SIG - 1});
	corpus_put("fixed-valid", 1, {"\0", 1}, {sig, SIG}, {msg, ml});
	buf[0] = 3;
	memcpy(buf + 1, ctx, 3);
	memcpy(buf + 4, csig, SIG);
	corpus_put("fixed-ctx-valid", 1, {buf, 4 + SIG}, {msg, ml});
	/* the valid signature under the wrong context */
	memcpy(buf + 4, sig, SIG);
	corpus_put("fixed-ctx-wrong", 1, {buf, 4 + SIG}, {msg, ml});
	/* halves of the two signatures mixed */
	memcpy(bad, sig, MSIG);
	memcpy(bad + MSIG, csig + MSIG, 64);
	corpus_put("fixed-mixed", 1, {"\0", 1}, {bad, SIG}, {msg, ml});
	/* the ML-DSA half with a repeated hint index */
	memcpy(bad, sig, SIG);
	bad[MSIG - 60] = bad[MSIG - 61];
	corpus_put("fixed-hint-repeat", 1, {"\0", 1}, {bad, SIG}, {msg, ml});
	/* the Ed25519 half with S + L's top byte (non-canonical S) */
	memcpy(bad, sig, SIG);
	bad[SIG - 1] |= 0xf0;
	corpus_put("fixed-s-high", 1, {"\0", 1}, {bad, SIG}, {msg, ml});
	memcpy(seeds, xi, 32);
	memcpy(seeds + 32, ed, 32);
	seeds[64] = 3;
	memcpy(seeds + 65, ctx, 3);
	corpus_put("seeds-ctx-msg", 2, {seeds, sizeof(seeds)}, {msg, ml});
	seeds[64] = 0;
	corpus_put("seeds-msg", 2, {seeds, 65}, {msg, ml});
	corpus_put("seeds-short", 2, {seeds, 63});
	sodium_memzero(sk, sizeof(sk));
	return 0;
}
