/*
 * gen_revfeed_corpus.c - write the seed corpus of fuzz_revfeed (and rewrite
 * it when the feed format changes). Built and run by hand, not by Meson:
 *
 *   ninja -C build-h3 lib/libdoteros.a
 *   cc -std=c11 -Iinclude tests/fuzz/gen_revfeed_corpus.c \
 *      build-h3/lib/libdoteros.a -lsodium -lcrypto -o /tmp/gen_revfeed_corpus
 *   /tmp/gen_revfeed_corpus tests/fuzz/corpus/revfeed
 *
 * Keys, ids and salts come from fixed seeds and signatures are
 * deterministic, so the output is the same on every run. Nodes A (32 x
 * 0x31) and B (32 x 0x32) are fuzz_revfeed.c's trusted keys, the stranger
 * (32 x 0x33) is not. Valid feeds and answers are "valid-*"; a few
 * mutants, one mistake each, are "bad-*". Node C (32 x 0x34) is a trusted
 * composite ML-DSA-65 + Ed25519 key (suite 0x03, signatures of 3374
 * bytes): its seeds are "*-pq*", written after the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/revfeed.h"

#define T0 1700000000u

static const char *dir;
static const uint8_t cluster[DOT_REVFEED_CLUSTER_ID_LEN] = "fuzz-cluster-id!";
static const uint8_t other[DOT_REVFEED_CLUSTER_ID_LEN] = "another-cluster!";

static void
die(const char *what, int rv, const struct dot_err *e)
{
	fprintf(stderr, "gen_revfeed_corpus: %s: %s%s%s\n", what,
		dot_errname(rv), e ? ": " : "", e ? e->msg : "");
	exit(1);
}

static struct dot_sign_sk *
key_of(uint8_t suite, uint8_t seed_byte)
{
	uint8_t seed[DOT_SEED_LEN];
	struct dot_sign_sk *sk = NULL;
	int rv;

	memset(seed, seed_byte, sizeof(seed));
	rv = dot_sign_sk_from_seed(&sk, suite, seed);
	if (rv != DOT_OK)
		die("key", rv, NULL);
	return sk;
}

static struct dot_sign_sk *
key(uint8_t seed_byte)
{
	return key_of(DOT_SUITE_ED25519, seed_byte);
}

static void
put_file(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	if (n >= 2048 + 3374) /* small, or one composite signature more */
		fprintf(stderr,
			"gen_revfeed_corpus: warning: %s is %zu bytes\n", name,
			n);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* n ids: id i is 32 bytes of (i * 7 + 1). */
static uint8_t *
ids_of(size_t n)
{
	uint8_t *ids = malloc(n * DOT_RID_LEN + 1);

	if (ids == NULL)
		die("malloc", DOT_ENOMEM, NULL);
	for (size_t i = 0; i < n; i++)
		memset(ids + i * DOT_RID_LEN, (int)(i * 7 + 1), DOT_RID_LEN);
	return ids;
}

static void
feed(const char *name, const uint8_t *cid, uint64_t index, size_t n,
     double rate, struct dot_sign_sk *sk, struct dot_buf *out)
{
	uint8_t salt[DOT_REVFEED_SALT_LEN];
	struct dot_revfeed_params p = {cid, index, T0, salt, rate};
	struct dot_err e = {0};
	uint8_t *ids = ids_of(n);
	int rv;

	memset(salt, (int)(index & 0xff), sizeof(salt));
	rv = dot_revfeed_build(&p, ids, n, sk, out, &e);
	if (rv != DOT_OK)
		die("build", rv, &e);
	if (name != NULL)
		put_file(name, out->data, out->len);
	free(ids);
}

static void
cosign(const char *name, const struct dot_buf *in, size_t n,
       struct dot_sign_sk *sk, struct dot_buf *out)
{
	struct dot_err e = {0};
	uint8_t *ids = ids_of(n);
	int rv = dot_revfeed_cosign(in->data, in->len, ids, n, sk, out, &e);

	if (rv != DOT_OK)
		die("cosign", rv, &e);
	put_file(name, out->data, out->len);
	free(ids);
}

static void
answer(const char *name, uint64_t index, uint8_t rid_byte, int revoked,
       struct dot_sign_sk *sk, struct dot_buf *out)
{
	uint8_t rid[DOT_RID_LEN];
	struct dot_err e = {0};
	int rv;

	memset(rid, rid_byte, sizeof(rid));
	rv = dot_revfeed_answer_sign(cluster, index, T0 + 10, rid, revoked, sk,
				     out, &e);
	if (rv != DOT_OK)
		die("answer", rv, &e);
	put_file(name, out->data, out->len);
}

static void
mutant(const char *name, const struct dot_buf *b, size_t at, uint8_t x)
{
	uint8_t buf[8192];

	if (b->len > sizeof(buf) || at >= b->len)
		die("mutant", DOT_EINVAL, NULL);
	memcpy(buf, b->data, b->len);
	buf[at] ^= x;
	put_file(name, buf, b->len);
}

int
main(int argc, char **argv)
{
	struct dot_sign_sk *a, *b, *s, *c;
	struct dot_buf f0 = {0}, f5 = {0}, f50 = {0}, fab = {0}, fas = {0},
		       f0ab = {0}, fs = {0}, fo = {0}, an = {0}, ar = {0},
		       aab = {0}, fc = {0}, fac = {0}, ac = {0};
	struct dot_err e = {0};
	int rv;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (dot_crypto_init() != DOT_OK)
		die("dot_crypto_init", DOT_ECRYPTO_UNAVAILABLE, NULL);
	a = key(0x31);
	b = key(0x32);
	s = key(0x33);

	feed("valid-feed-empty", cluster, 1, 0, 0, a, &f0);
	feed("valid-feed-5", cluster, 20, 5, 1e-2, a, &f5);
	feed("valid-feed-50", cluster, 300, 50, 0, b, &f50);
	cosign("valid-feed-5-ab", &f5, 5, b, &fab);
	cosign("valid-feed-5-a-stranger", &f5, 5, s, &fas);
	cosign("valid-feed-empty-ab", &f0, 0, b, &f0ab);
	answer("valid-answer-not-revoked", 300, 0x08, 0, a, &an);
	answer("valid-answer-revoked", 250, 0x0f, 1, b, &ar);
	rv = dot_revfeed_answer_cosign(ar.data, ar.len, 1, a, &aab, &e);
	if (rv != DOT_OK)
		die("answer cosign", rv, &e);
	put_file("valid-answer-revoked-ab", aab.data, aab.len);

	/* One mistake each. */
	feed("bad-feed-stranger", cluster, 2, 3, 1e-1, s, &fs);
	feed("bad-feed-other-cluster", other, 3, 3, 1e-1, a, &fo);
	mutant("bad-feed-sig-bit", &f5, f5.len - 1, 0x01);
	mutant("bad-feed-filter-bit", &f5, f5.len - 85, 0x10);
	mutant("bad-feed-version", &f5, 2, 0x03); /* version 2 */
	mutant("bad-feed-not-map", &f5, 0, 0x20); /* aa -> 8a */
	put_file("bad-feed-truncated", f50.data, f50.len - 9);
	mutant("bad-answer-sig-bit", &an, an.len - 1, 0x01);
	/* The status byte: before 07 81 82 48 <key id> 58 41 <signature>. */
	mutant("bad-answer-revoked-3", &an, an.len - 65 - 2 - 8 - 4 - 1, 0x03);
	put_file("bad-answer-truncated", ar.data, ar.len - 1);
	put_file("bad-empty", "", 0);
	put_file("bad-empty-map", "\xa0", 1);

	/* Node C, composite: a feed of its own, A's feed cosigned by it, an
	 * answer; a changed signature bit, the composite signature cut down
	 * to its Ed25519 half (0x01 || the last 64 bytes, a 65-byte string
	 * 58 41 where 59 0d 2e was), a changed filter bit. */
	c = key_of(DOT_SUITE_ED25519_MLDSA65, 0x34);
	feed("valid-feed-5-pq", cluster, 21, 5, 1e-2, c, &fc);
	cosign("valid-feed-5-a-pq", &f5, 5, c, &fac);
	answer("valid-answer-pq", 301, 0x09, 0, c, &ac);
	mutant("bad-feed-pq-sig-bit", &fc, fc.len - 1, 0x01);
	/* ... 09 <bits> 0a 81 82 48 <key id> 59 0d 2e 03 <3373 bytes>: a bit
	 * of the second last byte of the filter. */
	if (fc.data[fc.len - 3389] != 0x0a)
		die("composite feed layout", DOT_EINVAL, NULL);
	mutant("bad-feed-pq-filter-bit", &fc, fc.len - 3391, 0x10);
	mutant("bad-answer-pq-sig-bit", &ac, ac.len - 2000, 0x80);
	{
		struct dot_buf cut = {0};

		if (fc.len < 3377 || fc.data[fc.len - 3377] != 0x59)
			die("composite feed", DOT_EINVAL, NULL);
		dot_buf_put(&cut, fc.data, fc.len - 3377);
		dot_buf_put(&cut, "\x58\x41\x01", 3);
		dot_buf_put(&cut, fc.data + fc.len - 64, 64);
		put_file("bad-feed-pq-ed-half", cut.data, cut.len);
		dot_buf_free(&cut);
	}
	dot_buf_free(&fc);
	dot_buf_free(&fac);
	dot_buf_free(&ac);
	dot_sign_sk_free(c);

	dot_buf_free(&f0);
	dot_buf_free(&f5);
	dot_buf_free(&f50);
	dot_buf_free(&fab);
	dot_buf_free(&fas);
	dot_buf_free(&f0ab);
	dot_buf_free(&fs);
	dot_buf_free(&fo);
	dot_buf_free(&an);
	dot_buf_free(&ar);
	dot_buf_free(&aab);
	dot_sign_sk_free(a);
	dot_sign_sk_free(b);
	dot_sign_sk_free(s);
	return 0;
}
