/*
 * fuzz_text.c - the text forms and the key file parser: dotpk1 public keys,
 * dotsk1 key files (the parse that precedes key derivation), base64url,
 * rights lists, dot1 token text. The first byte picks the parser; the rest
 * is its input. Accepted inputs must round-trip.
 *
 * dot_keyfile_open shares dot_keyfile_public's parser and then runs Argon2id
 * at the file's (bounded) cost, too slow to fuzz; the parser is fuzzed here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/token.h"
#include "doteros/xwing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_text: %s\n", what);
	abort();
}

static void
fuzz_pk(const char *s)
{
	uint8_t pk[DOT_SIGN_PK_MAX];
	char back[DOT_PK_TEXT_MAX];
	size_t n;

	if (dot_pk_from_text(s, pk, sizeof(pk), &n) != DOT_OK)
		return;
	if (dot_sign_pk_check(pk, n) != DOT_OK)
		fail("dot_pk_from_text accepted an invalid key");
	if (dot_pk_to_text(pk, n, back, sizeof(back)) != DOT_OK ||
	    strcmp(back, s) != 0)
		fail("public key text does not round-trip");
}

/* A node's key file (key-file.md §8): 32 or 33 bytes, else refused. */
static void
fuzz_node_seed(const uint8_t *b, size_t n)
{
	struct dot_sign_sk *sk = NULL;
	uint8_t pk[DOT_SIGN_PK_MAX], back[DOT_NODE_SEED_MAX], seed[32];
	int rv = dot_node_seed_open(b, n, &sk);

	if (rv != DOT_OK) {
		if (sk != NULL)
			fail("dot_node_seed_open: a key on failure");
		if (n == 32 || (n == 33 && b[0] == DOT_SUITE_ED25519_MLDSA65))
			fail("dot_node_seed_open refused a valid file");
		return;
	}
	if (n != 32 && n != 33)
		fail("dot_node_seed_open took a bad length");
	dot_sign_sk_seed(sk, seed);
	if (dot_node_seed_encode(dot_sign_sk_suite(sk), seed, back) != n ||
	    memcmp(back, b, n) != 0 ||
	    dot_sign_pk_check(pk, dot_sign_sk_public(sk, pk)) != DOT_OK)
		fail("node.seed does not round-trip");
	dot_sign_sk_free(sk);
}

static void
fuzz_keyfile(const char *s, size_t n)
{
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
	struct dot_err e = {0};
	int rv = dot_keyfile_public(s, n, pk, &pklen, &e);

	if (rv != DOT_OK) {
		if (e.msg[0] == '\0' && rv != DOT_ENOMEM)
			fail("key file refused without context");
		return;
	}
	if (dot_sign_pk_check(pk, pklen) != DOT_OK)
		fail("key file parser accepted an invalid public key");
}

/* The same parser taking either kind (docs/key-file.md §7): what it
 * accepts is a valid signing key or 0x12 || a valid X-Wing key, and the
 * signing-only reading agrees with it on signing keys. */
static void
fuzz_keyfile_any(const char *s, size_t n)
{
	uint8_t pk[DOT_KEYFILE_PK_MAX], pk2[DOT_SIGN_PK_MAX];
	size_t pklen, pklen2;
	struct dot_err e = {0};
	int rv = dot_keyfile_public_any(s, n, pk, &pklen, &e), rv2;

	if (rv != DOT_OK) {
		if (e.msg[0] == '\0' && rv != DOT_ENOMEM)
			fail("key file (any kind) refused without context");
		return;
	}
	rv2 = dot_keyfile_public(s, n, pk2, &pklen2, NULL);
	if (pk[0] == DOT_SUITE_XWING) {
		if (dot_xwing_pk_check(pk + 1, pklen - 1) != DOT_OK)
			fail("key file parser accepted an invalid X-Wing key");
		if (rv2 != DOT_ECRYPTO_SUITE)
			fail("an X-Wing key file read as a signing key");
	} else if (dot_sign_pk_check(pk, pklen) != DOT_OK || rv2 != DOT_OK ||
		   pklen2 != pklen || memcmp(pk, pk2, pklen) != 0) {
		fail("the two key file readings disagree");
	}
}

static void
fuzz_b64(const char *s, size_t n)
{
	uint8_t *out = malloc(n + 1);
	char *back;
	size_t got;

	if (out == NULL)
		return;
	if (dot_b64url_decode(out, n, &got, s, n) == DOT_OK) {
		back = malloc(dot_b64url_len(got) + 1);
		if (back == NULL)
			goto done;
		dot_b64url_encode(back, out, got);
		if (strlen(back) != n || memcmp(back, s, n) != 0)
			fail("base64url does not round-trip (not canonical)");
		free(back);
	}
done:
	free(out);
}

static void
fuzz_rights(const char *s)
{
	uint32_t r, r2;
	char back[128];
	struct dot_err e = {0};

	if (dot_rights_parse(s, &r, &e) != DOT_OK)
		return;
	if (r & ~DOT_RIGHTS_ALL)
		fail("rights parse set unknown bits");
	if (dot_rights_format(r, back, sizeof(back)) != DOT_OK)
		fail("rights format failed");
	if (r != 0 && (dot_rights_parse(back, &r2, &e) != DOT_OK || r2 != r))
		fail("rights do not round-trip");
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
fuzz_token_text(const char *s, size_t n)
{
	struct dot_buf bin = {0}, back = {0};
	struct dot_err e = {0};

	if (dot_token_from_text(s, n, &bin, &e) == DOT_OK) {
		/* Equal to the input less surrounding whitespace. */
		while (n > 0 && is_space(*s))
			s++, n--;
		while (n > 0 && is_space(s[n - 1]))
			n--;
		if (dot_token_to_text(bin.data, bin.len, &back) != DOT_OK)
			fail("token text encode failed");
		if (back.len != n || memcmp(back.data, s, n) != 0)
			fail("token text does not round-trip");
	}
	dot_buf_free(&bin);
	dot_buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 16384)
		return 0;
	if (dot_crypto_init() != DOT_OK)
		fail("dot_crypto_init");
	/* A NUL-terminated copy; an embedded NUL ends the C-string views. */
	s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		fuzz_pk(s);
		break;
	case 1:
		fuzz_keyfile(s, size - 1);
		fuzz_keyfile_any(s, size - 1);
		fuzz_node_seed(data + 1, size - 1);
		break;
	case 2:
		fuzz_b64(s, size - 1);
		break;
	case 3:
		fuzz_rights(s);
		break;
	case 4:
		fuzz_token_text(s, size - 1);
		break;
	}
	free(s);
	return 0;
}
