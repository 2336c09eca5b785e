/*
 * gen_token_corpus.c - mint the seed corpus of fuzz_token (and rewrite it
 * when the token format changes). Built and run by hand, not by Meson:
 *
 *   ninja -C build-codec lib/libdoteros.a
 *   cc -std=c11 -Iinclude tests/fuzz/gen_token_corpus.c \
 *      build-codec/lib/libdoteros.a -lsodium -o /tmp/gen_token_corpus
 *   /tmp/gen_token_corpus tests/fuzz/corpus/token
 *
 * Keys come from fixed seeds, and signatures are deterministic, so the
 * output is the same on every run. The issuer's seed (32 x 0x11) is the
 * trusted key of fuzz_token.c, so mutants of these seeds reach the chain
 * checks. Each token is written in binary ("valid-*") and in text form
 * ("text-*"); a few mutants of each kind of mistake follow ("bad-*").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/token.h"

#define T0 1700000000u

struct key {
	struct dot_sign_sk *sk;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
};

static const char *dir;

static void
die(const char *what, int rv, const struct dot_err *e)
{
	fprintf(stderr, "gen_token_corpus: %s: %s%s%s\n", what,
		dot_errname(rv), e ? ": " : "", e ? e->msg : "");
	exit(1);
}

static void
key_init(struct key *k, uint8_t seed_byte)
{
	uint8_t seed[DOT_SEED_LEN];
	int rv;

	memset(seed, seed_byte, sizeof(seed));
	rv = dot_sign_sk_from_seed(&k->sk, DOT_SUITE_ED25519, seed);
	if (rv != DOT_OK)
		die("key", rv, NULL);
	k->pklen = dot_sign_sk_public(k->sk, k->pk);
}

static void
put_file(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	if (n >= 2048)
		fprintf(stderr, "gen_token_corpus: warning: %s is %zu bytes\n",
			name, n);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Write a token in binary and text form. */
static void
emit(const char *name, const struct dot_buf *tok)
{
	struct dot_buf text = {0};
	char fname[256];
	int rv;

	snprintf(fname, sizeof(fname), "valid-%s", name);
	put_file(fname, tok->data, tok->len);
	rv = dot_token_to_text(tok->data, tok->len, &text);
	if (rv != DOT_OK)
		die("to_text", rv, NULL);
	snprintf(fname, sizeof(fname), "text-%s", name);
	put_file(fname, text.data, text.len);
	dot_buf_free(&text);
}

static void
attenuate(const struct dot_buf *in, const struct key *holder,
	  const struct dot_token_caveats *cav, const struct key *next,
	  struct dot_buf *out)
{
	struct dot_token *tok = NULL;
	struct dot_err e = {0};
	int rv = dot_token_parse(in->data, in->len, &tok, &e);

	if (rv != DOT_OK)
		die("parse", rv, &e);
	rv = dot_token_attenuate(tok, holder->sk, cav, next->pk, next->pklen,
				 out, &e);
	if (rv != DOT_OK)
		die("attenuate", rv, &e);
	dot_token_free(tok);
}

/* A copy of tok with one byte changed. */
static void
emit_mutant(const char *name, const struct dot_buf *tok, size_t at,
	    uint8_t xor)
{
	uint8_t buf[4096];

	if (tok->len > sizeof(buf) || at >= tok->len)
		die("mutant", DOT_EINVAL, NULL);
	memcpy(buf, tok->data, tok->len);
	buf[at] ^= xor;
	put_file(name, buf, tok->len);
}

int
main(int argc, char **argv)
{
	struct key issuer, alice, bob, carol;
	struct dot_buf t1 = {0}, t1obj = {0}, t2 = {0}, t3 = {0}, tmp = {0};
	struct dot_token_caveats cav;
	struct dot_err e = {0};
	static const uint8_t object[DOT_OBJECT_ID_LEN] = {
		0x6f, 0x62, 0x6a, 0x2d, 0x30, 0x31, 0, 0,
		0,    0,    0,    0,    0,    0,    0, 1};
	static const char *const labels[] = {"gpu", "zone-a"};
	const char *res = "/home/alice";
	int rv;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (dot_crypto_init() != DOT_OK)
		die("dot_crypto_init", DOT_ECRYPTO_UNAVAILABLE, NULL);
	key_init(&issuer, 0x11);
	key_init(&alice, 0x21);
	key_init(&bob, 0x22);
	key_init(&carol, 0x23);

	/* 1 block, path resource, every caveat. */
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS | DOT_CAV_NOT_BEFORE | DOT_CAV_EXPIRES |
		      DOT_CAV_DEPTH;
	cav.rights = DOT_RIGHT_READ | DOT_RIGHT_LIST | DOT_RIGHT_WRITE |
		     DOT_RIGHT_GRANT;
	cav.not_before = T0 - 3600;
	cav.expires = T0 + 86400;
	cav.max_depth = 4;
	rv = dot_token_mint(issuer.sk, DOT_RESOURCE_PATH, res, strlen(res),
			    &cav, alice.pk, alice.pklen, &t1, &e);
	if (rv != DOT_OK)
		die("mint", rv, &e);
	emit("1block-path", &t1);

	/* 1 block, object resource, rights only, held by the issuer. */
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS;
	cav.rights = DOT_RIGHTS_ALL;
	rv = dot_token_mint(issuer.sk, DOT_RESOURCE_OBJECT, object,
			    sizeof(object), &cav, issuer.pk, issuer.pklen,
			    &t1obj, &e);
	if (rv != DOT_OK)
		die("mint object", rv, &e);
	emit("1block-object", &t1obj);

	/* 2 blocks: alice narrows rights and time for bob, with a path. */
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS | DOT_CAV_EXPIRES | DOT_CAV_PATH;
	cav.rights = DOT_RIGHT_READ | DOT_RIGHT_LIST;
	cav.expires = T0 + 7200;
	cav.path = "/home/alice/notes.txt";
	cav.path_len = strlen(cav.path);
	attenuate(&t1, &alice, &cav, &bob, &t2);
	emit("2block", &t2);

	/* 3 blocks: bob adds node labels and a depth limit for carol. */
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_LABELS | DOT_CAV_DEPTH | DOT_CAV_RIGHTS;
	cav.rights = DOT_RIGHT_READ;
	cav.labels[0] = labels[0];
	cav.label_len[0] = strlen(labels[0]);
	cav.labels[1] = labels[1];
	cav.label_len[1] = strlen(labels[1]);
	cav.nlabels = 2;
	cav.max_depth = 0;
	attenuate(&t2, &bob, &cav, &carol, &t3);
	emit("3block", &t3);

	/* 2 blocks on the object token: the issuer hands it to alice. */
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS | DOT_CAV_NOT_BEFORE;
	cav.rights = DOT_RIGHT_READ | DOT_RIGHT_EXEC;
	cav.not_before = T0;
	attenuate(&t1obj, &issuer, &cav, &alice, &tmp);
	emit("2block-object", &tmp);
	dot_buf_free(&tmp);

	/*
	 * Invalid ones, one mistake each. The token array's head is byte 0,
	 * the version byte 1, block 0's map head byte 2.
	 */
	emit_mutant("bad-version", &t1, 1, 0x03);       /* version 2 */
	emit_mutant("bad-not-array", &t1, 0, 0x20);     /* 83 -> a3, a map */
	emit_mutant("bad-sig-bit", &t2, t2.len - 1, 0x01);
	emit_mutant("bad-payload-bit", &t3, 40, 0x10);
	put_file("bad-truncated", t3.data, t3.len - 7);
	put_file("bad-empty", "", 0);
	put_file("bad-text-prefix", "dot2gwGl", 8);
	put_file("bad-text-padding", "dot1gwE=", 8);
	put_file("bad-text-alphabet", "dot1gw+/", 8);
	put_file("bad-text-space", "  dot1 gwE  ", 12);
	/* [1] and [1, {}, h''] : wrong shapes of the outer array. */
	put_file("bad-no-blocks", "\x81\x01", 2);
	put_file("bad-empty-block", "\x83\x01\xa0\x40", 4);

	dot_buf_free(&t1);
	dot_buf_free(&t1obj);
	dot_buf_free(&t2);
	dot_buf_free(&t3);
	dot_sign_sk_free(issuer.sk);
	dot_sign_sk_free(alice.sk);
	dot_sign_sk_free(bob.sk);
	dot_sign_sk_free(carol.sk);
	return 0;
}
