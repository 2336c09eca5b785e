/*
 * fuzz_cluster.c - the cluster's byte formats (daemon/cluster_fmt.c): a
 * raft command's header, a cosign command's body and DIR/members; and a
 * ledger command's body as a follower walks it when the entry arrives
 * (dot_state_batch_each). The first input byte chooses the parser. Every refusal carries an error;
 * an accepted cosign body or member list is re-encoded and must give the
 * same bytes (canonical CBOR has one encoding), as must an accepted batch
 * through dot_state_batch_encode; an accepted signature
 * line is at most DOTD_COSIGN_LINE bytes (a composite line under a 63-byte
 * name) and a member key is of its suite's length (33 or 1985 bytes).
 *
 * Seeds (tests/fuzz/corpus/cluster) are written by hand; the composite
 * ones (cosign-composite, cosign-line-max, cosign-line-too-long,
 * members-composite, members-bad-key-length) hold the line and key of
 * the audit corpus's cp-pq-node and vkey-pq (gen_qreceipt_corpus.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/cluster_fmt.h"
#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_cluster: %s\n", what);
	abort();
}

struct txs {
	const uint8_t *p[DOT_STATE_MAX_BATCH];
	size_t len[DOT_STATE_MAX_BATCH];
	size_t n;
};

static int
batch_cb(void *ctx, const uint8_t *tx, size_t len)
{
	struct txs *t = ctx;

	if (t->n == DOT_STATE_MAX_BATCH || len > DOT_TX_MAX_LEN)
		fail("a batch out of bounds was accepted");
	t->p[t->n] = tx;
	t->len[t->n++] = len;
	return DOT_OK;
}

static int
cosign_cb(void *ctx, const struct dot_state_cosig *c)
{
	struct dot_buf *b = ctx;

	if (c->name_len == 0 || c->name_len > DOTD_COSIGN_NAME ||
	    c->line_len == 0 ||
	    c->line_len > DOTD_COSIGN_LINE)
		fail("a cosign item out of bounds was accepted");
	dot_enc_array(b, 4);
	dot_enc_uint(b, c->size);
	dot_enc_bstr(b, c->root, DOT_AUDIT_HASH_LEN);
	dot_enc_tstr(b, c->name, c->name_len);
	dot_enc_tstr(b, c->line, c->line_len);
	return DOT_OK;
}

struct members {
	struct dot_buf items;
	size_t n;
};

static int
members_cb(void *ctx, const uint8_t *key, size_t kl, const char *addr,
	   size_t al)
{
	struct members *m = ctx;
	struct dot_err e = {0};

	if (dot_state_addr_check(addr, al, &e) != DOT_OK)
		fail("a member with a bad address was accepted");
	if (kl == 0 || kl != dot_sign_pk_len(key[0]))
		fail("a member key not of its suite's length was accepted");
	dot_enc_array(&m->items, 2);
	dot_enc_bstr(&m->items, key, kl);
	dot_enc_tstr(&m->items, addr, al);
	m->n++;
	return DOT_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dot_err e = {0};
	const uint8_t *p;
	size_t n;
	int rv;

	if (size == 0)
		return 0;
	p = data + 1;
	n = size - 1;
	switch (data[0] % 4) {
	case 0: { /* a raft command */
		struct dotd_cmd c;
		uint8_t hdr[DOTD_CMD_HDR];

		rv = dotd_cmd_parse(p, n, &c);
		if ((rv == DOT_OK) != (n >= DOTD_CMD_HDR))
			fail("command header: accepted a short one, or the "
			     "reverse");
		if (rv != DOT_OK)
			break;
		dotd_cmd_header(hdr, c.version, c.time, c.origin, c.seq);
		if (memcmp(hdr, p, DOTD_CMD_HDR) != 0 ||
		    c.body != p + DOTD_CMD_HDR ||
		    c.body_len != n - DOTD_CMD_HDR)
			fail("command header does not round-trip");
		break;
	}
	case 1: { /* a cosign body */
		struct dot_buf items = {0}, out = {0};
		uint64_t cnt = 0;

		rv = dotd_cosign_parse(p, n, cosign_cb, &items, &e);
		if (rv != DOT_OK) {
			if (e.msg[0] == '\0' && rv != DOT_ENOMEM)
				fail("cosign refusal without a message");
			dot_buf_free(&items);
			break;
		}
		/* count the items again to re-encode the array head */
		{
			struct dot_dec d;

			if (dot_dec_init(&d, p, n, NULL, NULL) != DOT_OK ||
			    dot_dec_array(&d, &cnt) != DOT_OK)
				fail("accepted bytes do not decode");
		}
		dot_enc_array(&out, cnt);
		dot_buf_put(&out, items.data, items.len);
		if (out.err == DOT_OK &&
		    (out.len != n || memcmp(out.data, p, n) != 0))
			fail("cosign body does not re-encode to its bytes");
		dot_buf_free(&items);
		dot_buf_free(&out);
		break;
	}
	case 3: { /* a ledger batch */
		static struct txs t;
		struct dot_buf out = {0};

		t.n = 0;
		rv = dot_state_batch_each(p, n, batch_cb, &t, &e);
		if (rv != DOT_OK) {
			if (e.msg[0] == '\0' && rv != DOT_ENOMEM)
				fail("batch refusal without a message");
			if (t.n != 0)
				fail("a refused batch gave a tx first");
			break;
		}
		if (dot_state_batch_encode(t.p, t.len, t.n, &out, &e) ==
			    DOT_OK &&
		    (out.len != n || memcmp(out.data, p, n) != 0))
			fail("batch does not re-encode to its bytes");
		dot_buf_free(&out);
		break;
	}
	default: { /* DIR/members */
		struct members m = {{0}, 0};
		struct dot_buf out = {0};
		uint8_t cid[16];

		rv = dotd_members_parse(p, n, cid, members_cb, &m, &e);
		if (rv != DOT_OK) {
			if (e.msg[0] == '\0' && rv != DOT_ENOMEM)
				fail("members refusal without a message");
			dot_buf_free(&m.items);
			break;
		}
		if (m.n == 0 || m.n > DOTD_MAX_MEMBERS)
			fail("a member count out of bounds was accepted");
		dot_enc_array(&out, 3);
		dot_enc_uint(&out, 1);
		dot_enc_bstr(&out, cid, sizeof(cid));
		dot_enc_array(&out, m.n);
		dot_buf_put(&out, m.items.data, m.items.len);
		if (out.err == DOT_OK &&
		    (out.len != n || memcmp(out.data, p, n) != 0))
			fail("members file does not re-encode to its bytes");
		dot_buf_free(&m.items);
		dot_buf_free(&out);
		break;
	}
	}
	return 0;
}
