/*
 * fuzz_token.c - capability tokens (docs/token-format.md).
 *
 * The input as binary: dot_token_parse must return without crashing; a
 * parsed token must hold its invariants (1..16 blocks, every slice inside
 * the token's own copy of the bytes, the text form round trips to the same
 * bytes), and dot_token_verify_chain must give the same verdict with and
 * without the verified-chain cache. The input as text: dot_token_from_text
 * must not crash, and what it accepts must round trip.
 *
 * The trusted issuer is the fixed test key that gen_token_corpus.c mints the
 * seed tokens with, so mutants of the seeds reach the chain checks (issuer,
 * widening, depth, signatures, caveats) and not only the parser.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Same as tests/fuzz/gen_token_corpus.c: the issuer's seed is 32 x 0x11. */
#define ISSUER_SEED_BYTE 0x11
#define FUZZ_NOW 1700000000u

static void
fail(const char *what, int rv)
{
	fprintf(stderr, "fuzz_token: %s (%s)\n", what, dot_errname(rv));
	abort();
}

static int
inside(const struct dot_token *tok, const uint8_t *p, size_t n)
{
	return p != NULL && p >= tok->bytes && n <= tok->len &&
	       (size_t)(p - tok->bytes) <= tok->len - n;
}

static int
revoked(void *ctx, const uint8_t rid[DOT_RID_LEN])
{
	(void)ctx;
	return rid[0] == 0xff && rid[1] == 0xff; /* now and then */
}

static const uint8_t *
issuer_pk(size_t *len)
{
	static uint8_t pk[DOT_SIGN_PK_MAX];
	static size_t pklen;

	if (pklen == 0) {
		uint8_t seed[DOT_SEED_LEN];
		struct dot_sign_sk *sk = NULL;

		if (dot_crypto_init() != DOT_OK)
			fail("dot_crypto_init", DOT_ECRYPTO_UNAVAILABLE);
		memset(seed, ISSUER_SEED_BYTE, sizeof(seed));
		if (dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519, seed) !=
		    DOT_OK)
			fail("issuer key", DOT_ECRYPTO_KEY);
		pklen = dot_sign_sk_public(sk, pk);
		dot_sign_sk_free(sk);
	}
	*len = pklen;
	return pk;
}

/* The verdict for one request, with or without a cache. */
static int
verify(const struct dot_token *tok, struct dot_token_cache *cache,
       struct dot_token_result *res)
{
	/* The object of gen_token_corpus.c's object tokens. */
	static const uint8_t object[DOT_OBJECT_ID_LEN] = {
		0x6f, 0x62, 0x6a, 0x2d, 0x30, 0x31, 0, 0,
		0,    0,    0,    0,    0,    0,    0, 1};
	static const char *const labels[] = {"gpu", "zone-a"};
	struct dot_token_verifier v = {0};
	struct dot_token_request req = {0};
	struct dot_err e = {0};
	const char *path = "/home/alice/notes.txt";

	v.issuer_pk = issuer_pk(&v.issuer_pk_len);
	v.revoked = revoked;
	v.cache = cache;
	req.rights = DOT_RIGHT_READ;
	req.path = path;
	req.path_len = strlen(path);
	req.object_id = object;
	req.node_labels = labels;
	req.n_node_labels = 2;
	req.now = FUZZ_NOW;
	memset(res, 0, sizeof(*res));
	return dot_token_verify_chain(tok, &v, &req, res, &e);
}

static void
check_parsed(const struct dot_token *tok, const uint8_t *data, size_t size)
{
	struct dot_buf text = {0}, back = {0};
	struct dot_token_cache *cache = NULL;
	struct dot_token_result r1, r2, r3;
	struct dot_err e = {0};
	const uint8_t *holder;
	size_t hlen, tlen;
	int rv, v1, v2, v3;

	if (tok->nblocks < 1 || tok->nblocks > DOT_TOKEN_MAX_BLOCKS)
		fail("block count out of range", DOT_ETOKEN_FORMAT);
	if (tok->bytes == NULL || tok->len != size ||
	    memcmp(tok->bytes, data, size) != 0)
		fail("token bytes are not a copy of the input",
		     DOT_ETOKEN_FORMAT);
	if (tok->bytes == data)
		fail("token points into the caller's buffer",
		     DOT_ETOKEN_FORMAT);
	if (tok->resource_len > 0 &&
	    !inside(tok, tok->resource, tok->resource_len))
		fail("resource outside the token", DOT_ETOKEN_FORMAT);
	for (size_t i = 0; i < tok->nblocks; i++) {
		const struct dot_token_block *b = &tok->blocks[i];

		if (!inside(tok, b->payload, b->payload_len) ||
		    !inside(tok, b->sig, b->sig_len) ||
		    !inside(tok, b->holder, b->holder_len))
			fail("block slice outside the token",
			     DOT_ETOKEN_FORMAT);
		if (b->cav.nlabels > DOT_TOKEN_MAX_LABELS)
			fail("too many labels", DOT_ETOKEN_FORMAT);
		for (size_t k = 0; k < b->cav.nlabels; k++)
			if (b->cav.label_len[k] > DOT_TOKEN_MAX_LABEL_LEN ||
			    !inside(tok, (const uint8_t *)b->cav.labels[k],
				    b->cav.label_len[k]))
				fail("label outside the token",
				     DOT_ETOKEN_FORMAT);
		if ((b->cav.present & DOT_CAV_PATH) &&
		    (b->cav.path_len > DOT_TOKEN_MAX_PATH ||
		     !inside(tok, (const uint8_t *)b->cav.path,
			     b->cav.path_len)))
			fail("path caveat outside the token",
			     DOT_ETOKEN_FORMAT);
	}
	holder = dot_token_holder(tok, &hlen);
	if (holder != tok->blocks[tok->nblocks - 1].holder ||
	    hlen != tok->blocks[tok->nblocks - 1].holder_len)
		fail("holder is not the last block's", DOT_ETOKEN_FORMAT);

	/* Text form: bytes -> text -> the same bytes. */
	rv = dot_token_to_text(data, size, &text);
	if (rv != DOT_OK)
		fail("dot_token_to_text", rv);
	tlen = text.len;
	while (tlen > 0 && text.data[tlen - 1] == '\0')
		tlen--;
	rv = dot_token_from_text((const char *)text.data, tlen, &back, &e);
	if (rv != DOT_OK)
		fail("dot_token_from_text refuses dot_token_to_text", rv);
	if (back.len != size || memcmp(back.data, data, size) != 0)
		fail("text round trip changed the bytes", rv);

	/* The cache may save work but never change the verdict. */
	v1 = verify(tok, NULL, &r1);
	if (dot_token_cache_new(&cache, 8) == DOT_OK) {
		v2 = verify(tok, cache, &r2); /* fills the cache */
		v3 = verify(tok, cache, &r3); /* may hit it */
		if (v1 != v2 || v2 != v3)
			fail("the cache changed the verdict", v3);
		if (v1 == DOT_OK &&
		    (r1.holder_len != r3.holder_len ||
		     r1.eff.rights != r3.eff.rights))
			fail("the cache changed the result", v3);
		dot_token_cache_free(cache);
	}

	dot_buf_free(&back);
	dot_buf_free(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dot_token *tok = NULL;
	struct dot_buf bin = {0}, text = {0}, again = {0};
	struct dot_err e = {0};
	int rv;

	/* As binary. */
	rv = dot_token_parse(data, size, &tok, &e);
	if (rv == DOT_OK) {
		if (tok == NULL)
			fail("parse succeeded without a token", rv);
		check_parsed(tok, data, size);
	} else if (rv != DOT_ENOMEM && e.code != rv) {
		fail("refusal without its context", rv);
	}
	dot_token_free(tok);
	tok = NULL;

	/* As text. */
	rv = dot_token_from_text((const char *)data, size, &bin, &e);
	if (rv == DOT_OK) {
		size_t tlen;

		rv = dot_token_to_text(bin.data, bin.len, &text);
		if (rv != DOT_OK)
			fail("dot_token_to_text of decoded text", rv);
		tlen = text.len;
		while (tlen > 0 && text.data[tlen - 1] == '\0')
			tlen--;
		rv = dot_token_from_text((const char *)text.data, tlen, &again,
					 &e);
		if (rv != DOT_OK || again.len != bin.len ||
		    (bin.len > 0 && memcmp(again.data, bin.data, bin.len) != 0))
			fail("text round trip of decoded text", rv);
		if (dot_token_parse(bin.data, bin.len, &tok, &e) == DOT_OK)
			check_parsed(tok, bin.data, bin.len);
		dot_token_free(tok);
	}
	dot_buf_free(&again);
	dot_buf_free(&text);
	dot_buf_free(&bin);
	return 0;
}
