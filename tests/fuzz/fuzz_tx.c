/*
 * fuzz_tx.c - signed transactions, payloads and receipts
 * (docs/tx-format.md).
 *
 * Any input is tried as a signed tx, as a bare payload and as a receipt;
 * none may crash. An accepted input is encoded again from the parsed fields
 * and must come out byte-identical (one value, one encoding), and its id or
 * hash must be stable. An accepted tx is also run through dot_tx_verify
 * under an account resolver and a token verifier, which must return a code
 * without crashing. A mismatch aborts, which libFuzzer and the corpus replay
 * both report as a failure.
 *
 * Seeds: tests/fuzz/corpus/tx, written by tests/fuzz/gen_tx_corpus.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/token.h"
#include "doteros/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int rv)
{
	fprintf(stderr, "fuzz_tx: %s (%s)\n", what, dot_errname(rv));
	abort();
}

static void
same(const struct dot_buf *b, const uint8_t *data, size_t size,
     const char *what)
{
	if (b->err)
		fail(what, b->err);
	if (b->len != size || memcmp(b->data, data, size) != 0)
		fail(what, DOT_OK);
}

/* A level made of the tx's own first signer, so verify reaches the
 * signature checks for a well-formed input. */
static const struct dot_tx *cur_tx;
static struct dot_tx_level_key lvl_key;

static int
resolve(void *ctx, const char *account, size_t alen, const char *level,
	size_t llen, struct dot_tx_level *out)
{
	(void)ctx;
	(void)account;
	(void)level;
	if (alen == 0 || llen == 0)
		fail("resolver called with an empty name", DOT_EINVAL);
	if (cur_tx == NULL || cur_tx->nsigs == 0)
		return DOT_ETX_AUTHORITY;
	lvl_key.pk = cur_tx->sigs[0].pk;
	lvl_key.pk_len = cur_tx->sigs[0].pk_len;
	lvl_key.weight = 1;
	out->keys = &lvl_key;
	out->nkeys = 1;
	out->threshold = 1;
	return DOT_OK;
}

static void
try_tx(const uint8_t *data, size_t size)
{
	struct dot_tx *tx = NULL;
	struct dot_buf b = {0};
	struct dot_err e = {0, ""};
	struct dot_tx_verifier v;
	struct dot_token_verifier tv;
	struct dot_token_request req;
	uint8_t id[DOT_TX_ID_LEN];
	int rv;

	rv = dot_tx_parse(data, size, &tx, &e);
	if (rv != DOT_OK) {
		if (tx != NULL)
			fail("failed parse left a tx", rv);
		return;
	}
	rv = dot_tx_encode(tx, &b, &e);
	if (rv != DOT_OK)
		fail("an accepted tx does not re-encode", rv);
	same(&b, data, size, "tx re-encoding differs");
	dot_tx_id(tx->payload_bytes, tx->payload_len, id);
	if (memcmp(id, tx->id, sizeof(id)) != 0)
		fail("tx id differs", DOT_OK);
	if ((tx->p.auth_kind == DOT_TX_AUTH_TOKEN) != (tx->token != NULL))
		fail("token authority without a parsed token", DOT_OK);
	if (tx->p.auth_kind == DOT_TX_AUTH_TOKEN_REF && tx->p.token_ref == NULL)
		fail("token reference without its rid", DOT_OK);
	if (tx->holder_implicit &&
	    (tx->nsigs != 1 || !DOT_TX_BY_TOKEN(tx->p.auth_kind) ||
	     (tx->token != NULL) != (tx->sigs[0].pk_len != 0)))
		fail("a key left out where the rules do not allow it", DOT_OK);

	/* Verify: any code, no crash. The issuer is the first signer. */
	memset(&tv, 0, sizeof(tv));
	tv.issuer_pk = tx->sigs[0].pk;
	tv.issuer_pk_len = tx->sigs[0].pk_len;
	memset(&req, 0, sizeof(req));
	req.rights = DOT_RIGHT_READ;
	req.path = "/";
	req.path_len = 1;
	memset(&v, 0, sizeof(v));
	v.now = tx->p.not_before;
	v.max_window = UINT64_MAX;
	v.token_verifier = &tv;
	v.token_request = &req;
	v.level = resolve;
	cur_tx = tx;
	rv = dot_tx_verify(tx, &v, NULL, &e);
	if (rv < 0 || rv >= DOT_ERRCOUNT)
		fail("verify returned a code out of the table", rv);
	cur_tx = NULL;
	dot_buf_free(&b);
	dot_tx_free(tx);
}

static void
try_payload(const uint8_t *data, size_t size)
{
	struct dot_tx_payload p;
	struct dot_buf b = {0};
	struct dot_err e = {0, ""};
	int rv;

	if (dot_tx_payload_parse(data, size, &p, &e) != DOT_OK)
		return;
	rv = dot_tx_payload_encode(&p, &b, &e);
	if (rv != DOT_OK)
		fail("an accepted payload does not re-encode", rv);
	same(&b, data, size, "payload re-encoding differs");
	dot_buf_free(&b);
}

static void
try_receipt(const uint8_t *data, size_t size)
{
	struct dot_receipt *r = NULL;
	struct dot_buf b = {0};
	struct dot_err e = {0, ""};
	uint8_t h1[DOT_HASH_LEN], h2[DOT_HASH_LEN];
	int rv;

	rv = dot_receipt_parse(data, size, &r, &e);
	if (rv != DOT_OK) {
		if (r != NULL)
			fail("failed parse left a receipt", rv);
		return;
	}
	rv = dot_receipt_encode(r, &b, &e);
	if (rv != DOT_OK)
		fail("an accepted receipt does not re-encode", rv);
	same(&b, data, size, "receipt re-encoding differs");
	dot_receipt_hash(data, size, h1);
	dot_receipt_hash(b.data, b.len, h2);
	if (memcmp(h1, h2, sizeof(h1)) != 0)
		fail("receipt hash differs", DOT_OK);
	dot_buf_free(&b);
	dot_receipt_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		if (dot_crypto_init() != DOT_OK)
			fail("crypto init", DOT_ECRYPTO_UNAVAILABLE);
		ready = 1;
	}
	try_tx(data, size);
	try_payload(data, size);
	try_receipt(data, size);
	return 0;
}
