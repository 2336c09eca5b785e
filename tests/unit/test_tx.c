/*
 * test_tx.c - transactions and receipts (include/doteros/tx.h).
 */
#include "harness.h"

#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/heap.h"
#include "doteros/token.h"
#include "doteros/tx.h"

/* ---- fixtures ---- */

#define NKEYS 6
static struct dot_sign_sk *keys[NKEYS];
static uint8_t pks[NKEYS][DOT_SIGN_PK_MAX];
static size_t pk_lens[NKEYS];

static void
setup(void)
{
	static int done;
	uint8_t seed[DOT_SEED_LEN];

	if (done)
		return;
	if (dot_crypto_init() != DOT_OK)
		abort();
	for (int i = 0; i < NKEYS; i++) {
		memset(seed, 0x40 + i, sizeof(seed));
		if (dot_sign_sk_from_seed(&keys[i], DOT_SUITE_ED25519, seed) !=
		    DOT_OK)
			abort();
		pk_lens[i] = dot_sign_sk_public(keys[i], pks[i]);
	}
	done = 1;
}

static const uint8_t cluster_a[DOT_CLUSTER_ID_LEN] = {
	0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1,
	0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xa0};
static const uint8_t cluster_b[DOT_CLUSTER_ID_LEN] = {
	0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1,
	0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xb0};

/* args: {1: "/home/alice/notes", 2: h'68656c6c6f'} */
static struct dot_buf args_buf;

static void
make_args(void)
{
	if (args_buf.len)
		return;
	dot_enc_map(&args_buf, 2);
	dot_enc_uint(&args_buf, 1);
	dot_enc_tstr(&args_buf, "/home/alice/notes", 17);
	dot_enc_uint(&args_buf, 2);
	dot_enc_bstr(&args_buf, "hello", 5);
	if (args_buf.err)
		abort();
}

/* A valid account payload: fs.put as alice@active, two consumed versions,
 * window 1000..1600, cluster A. */
static void
make_payload(struct dot_tx_payload *p)
{
	make_args();
	memset(p, 0, sizeof(*p));
	p->op = "fs.put";
	p->op_len = 6;
	p->args = args_buf.data;
	p->args_len = args_buf.len;
	memset(p->consumed[0].id, 0x11, DOT_OBJECT_ID_LEN);
	p->consumed[0].version = 3;
	memset(p->consumed[1].id, 0x11, DOT_OBJECT_ID_LEN);
	p->consumed[1].version = 7;
	p->nconsumed = 2;
	p->auth_kind = DOT_TX_AUTH_ACCOUNT;
	p->account = "alice";
	p->account_len = 5;
	p->level = "active";
	p->level_len = 6;
	for (int i = 0; i < DOT_TX_NONCE_LEN; i++)
		p->nonce[i] = (uint8_t)(0xa0 + i);
	p->not_before = 1000;
	p->not_after = 1600;
	p->has_cluster = 1;
	memcpy(p->cluster_id, cluster_a, DOT_CLUSTER_ID_LEN);
}

/* Encode p, sign with keys[idx[0..n)], assemble into out. */
static int
build_tx(const struct dot_tx_payload *p, const int *idx, size_t n,
	 struct dot_buf *out)
{
	struct dot_buf pl = {0};
	struct dot_tx_signature *s = NULL;
	struct dot_tx_sig views[DOT_TX_MAX_SIGS + 1];
	struct dot_err e = {0, ""};
	int rv;

	rv = dot_tx_payload_encode(p, &pl, &e);
	if (rv != DOT_OK)
		goto out;
	s = calloc(n, sizeof(*s));
	if (s == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		rv = dot_tx_sign(keys[idx[i]], pl.data, pl.len, &s[i], &e);
		if (rv != DOT_OK)
			goto out;
		views[i] = dot_tx_sig_of(&s[i]);
	}
	rv = dot_tx_assemble(pl.data, pl.len, views, n, out, &e);
out:
	if (rv != DOT_OK)
		printf("# build_tx: %s: %s\n", dot_errname(rv), e.msg);
	free(s);
	dot_buf_free(&pl);
	return rv;
}

/* Levels for alice@active: keys 0 (w1), 1 (w1), 2 (w2), threshold 2. */
static struct dot_tx_level_key active_keys[3];

static int
resolve(void *ctx, const char *account, size_t alen, const char *level,
	size_t llen, struct dot_tx_level *out)
{
	(void)ctx;
	if (alen == 5 && memcmp(account, "alice", 5) == 0 && llen == 6 &&
	    memcmp(level, "active", 6) == 0) {
		for (int i = 0; i < 3; i++) {
			active_keys[i].pk = pks[i];
			active_keys[i].pk_len = pk_lens[i];
			active_keys[i].weight = i == 2 ? 2 : 1;
		}
		out->keys = active_keys;
		out->nkeys = 3;
		out->threshold = 2;
		return DOT_OK;
	}
	if (alen == 4 && memcmp(account, "fail", 4) == 0)
		return DOT_ENOMEM;
	return DOT_ETX_AUTHORITY;
}

static void
account_verifier(struct dot_tx_verifier *v, uint64_t now)
{
	memset(v, 0, sizeof(*v));
	v->now = now;
	v->cluster_id = cluster_a;
	v->level = resolve;
}

/* Parse and verify; returns the first failing code. */
static int
parse_verify(const uint8_t *b, size_t n, const struct dot_tx_verifier *v,
	     struct dot_tx_verify_result *res, struct dot_err *e)
{
	struct dot_tx *tx = NULL;
	int rv = dot_tx_parse(b, n, &tx, e);

	if (rv == DOT_OK)
		rv = dot_tx_verify(tx, v, res, e);
	dot_tx_free(tx);
	return rv;
}

/* ---- payloads ---- */

static void
payload_roundtrip(void)
{
	struct dot_tx_payload p, q;
	struct dot_buf a = {0}, b = {0};
	struct dot_err e = {0, ""};

	setup();
	make_payload(&p);
	REQUIRE_RC(dot_tx_payload_encode(&p, &a, &e), DOT_OK);
	REQUIRE_RC(dot_tx_payload_parse(a.data, a.len, &q, &e), DOT_OK);
	CHECK(q.op_len == 6 && memcmp(q.op, "fs.put", 6) == 0);
	CHECK(q.args_len == args_buf.len);
	CHECK_MEM(q.args, args_buf.data, args_buf.len);
	CHECK(q.nconsumed == 2);
	CHECK(q.consumed[1].version == 7);
	CHECK(q.auth_kind == DOT_TX_AUTH_ACCOUNT);
	CHECK(q.account_len == 5 && memcmp(q.account, "alice", 5) == 0);
	CHECK(q.level_len == 6 && memcmp(q.level, "active", 6) == 0);
	CHECK_MEM(q.nonce, p.nonce, DOT_TX_NONCE_LEN);
	CHECK(q.not_before == 1000 && q.not_after == 1600);
	CHECK(q.has_cluster == 1);
	CHECK_MEM(q.cluster_id, cluster_a, DOT_CLUSTER_ID_LEN);
	REQUIRE_RC(dot_tx_payload_encode(&q, &b, &e), DOT_OK);
	CHECK(a.len == b.len);
	CHECK_MEM(a.data, b.data, a.len);
	dot_buf_free(&a);
	dot_buf_free(&b);

	/* No cluster, nothing consumed, args a bare integer. */
	p.has_cluster = 0;
	p.nconsumed = 0;
	p.args = (const uint8_t *)"\x00";
	p.args_len = 1;
	REQUIRE_RC(dot_tx_payload_encode(&p, &a, &e), DOT_OK);
	REQUIRE_RC(dot_tx_payload_parse(a.data, a.len, &q, &e), DOT_OK);
	CHECK(q.has_cluster == 0 && q.nconsumed == 0 && q.args_len == 1);
	REQUIRE_RC(dot_tx_payload_encode(&q, &b, &e), DOT_OK);
	CHECK(a.len == b.len);
	CHECK_MEM(a.data, b.data, a.len);
	dot_buf_free(&a);
	dot_buf_free(&b);
}

/* The byte layout of docs/tx-format.md's example, pinned. */
static void
payload_known_bytes(void)
{
	struct dot_tx_payload p;
	struct dot_buf a = {0};
	struct dot_err e = {0, ""};
	uint8_t want[128], id[DOT_TX_ID_LEN], want_id[DOT_TX_ID_LEN];
	size_t n;

	memset(&p, 0, sizeof(p));
	p.op = "fs.rm";
	p.op_len = 5;
	p.args = (const uint8_t *)"\x61\x78"; /* "x" */
	p.args_len = 2;
	memset(p.consumed[0].id, 0x01, DOT_OBJECT_ID_LEN);
	p.consumed[0].version = 1;
	p.nconsumed = 1;
	p.auth_kind = DOT_TX_AUTH_ACCOUNT;
	p.account = "bob";
	p.account_len = 3;
	p.level = "owner";
	p.level_len = 5;
	memset(p.nonce, 0x07, DOT_TX_NONCE_LEN);
	p.not_before = 1700000000;
	p.not_after = 1700000060;
	REQUIRE_RC(dot_tx_payload_encode(&p, &a, &e), DOT_OK);
	n = t_unhex(want, sizeof(want),
		    "a8"                         /* map(8) */
		    "0101"                       /* 1: 1 */
		    "026566732e726d"             /* 2: "fs.rm" */
		    "036178"                     /* 3: "x" */
		    "04" "81" "82"               /* 4: [[ */
		    "5001010101010101010101010101010101" "01" /* h'01..', 1 */
		    "05" "83" "02" "63626f62" "656f776e6572" /* 5: [2,"bob","owner"] */
		    "06" "5007070707070707070707070707070707" /* 6: nonce */
		    "07" "1a6553f100"            /* 7: 1700000000 */
		    "08" "1a6553f13c");          /* 8: 1700000060 */
	CHECK(a.len == n);
	CHECK_MEM(a.data, want, n);
	dot_tx_id(a.data, a.len, id);
	/* Independent: BLAKE2b-256 of the domain string then the bytes. */
	{
		uint8_t cat[160];
		memcpy(cat, "dot-tx-v1 id", 12);
		memcpy(cat + 12, want, n);
		dot_hash(want_id, cat, 12 + n);
	}
	CHECK_MEM(id, want_id, DOT_TX_ID_LEN);
	dot_buf_free(&a);
}

/*
 * Re-encode the base payload with key k's value replaced by v (v NULL:
 * removed; k absent: added), then parse it alone and inside a signed tx.
 * Both must give the same code, which is returned.
 */
static int
try_with(uint64_t k, struct dot_buf *v)
{
	struct dot_tx_payload p, q;
	struct dot_buf base = {0}, pl = {0}, tx = {0};
	struct dot_dec d;
	struct dot_err e = {0, ""};
	struct {
		uint64_t key;
		const uint8_t *p;
		size_t n;
	} kv[12];
	size_t nkv = 0, at;
	uint64_t np;
	int rv, rv2;
	struct dot_tx *t = NULL;

	make_payload(&p);
	if (dot_tx_payload_encode(&p, &base, &e) != DOT_OK ||
	    dot_dec_init(&d, base.data, base.len, NULL, &e) != DOT_OK ||
	    dot_dec_map(&d, &np) != DOT_OK)
		abort();
	for (uint64_t i = 0; i < np; i++) {
		if (dot_dec_uint(&d, &kv[nkv].key) != DOT_OK ||
		    dot_dec_item(&d, &kv[nkv].p, &kv[nkv].n) != DOT_OK)
			abort();
		nkv++;
	}
	for (at = 0; at < nkv && kv[at].key < k; at++)
		;
	if (at < nkv && kv[at].key == k) {
		if (v == NULL) {
			memmove(&kv[at], &kv[at + 1],
				(nkv - at - 1) * sizeof(kv[0]));
			nkv--;
		} else {
			kv[at].p = v->data;
			kv[at].n = v->len;
		}
	} else if (v != NULL) {
		memmove(&kv[at + 1], &kv[at], (nkv - at) * sizeof(kv[0]));
		kv[at].key = k;
		kv[at].p = v->data;
		kv[at].n = v->len;
		nkv++;
	}
	dot_enc_map(&pl, nkv);
	for (size_t i = 0; i < nkv; i++) {
		dot_enc_uint(&pl, kv[i].key);
		dot_enc_raw(&pl, kv[i].p, kv[i].n);
	}
	e.msg[0] = '\0';
	rv = dot_tx_payload_parse(pl.data, pl.len, &q, &e);
	if (rv != DOT_OK && e.msg[0] == '\0')
		rv = -1; /* every refusal must say why */
	/* The same payload inside a signed tx, with a well-formed pair. */
	{
		uint8_t sig[DOT_ED25519_SIG_LEN] = {DOT_SUITE_ED25519};
		dot_enc_array(&tx, 2);
		dot_enc_raw(&tx, pl.data, pl.len);
		dot_enc_array(&tx, 1);
		dot_enc_array(&tx, 2);
		dot_enc_bstr(&tx, pks[0], pk_lens[0]);
		dot_enc_bstr(&tx, sig, sizeof(sig));
	}
	rv2 = dot_tx_parse(tx.data, tx.len, &t, &e);
	if (rv2 != rv) {
		printf("# try_with(%" PRIu64 "): payload %s, tx %s\n", k,
		       dot_errname(rv), dot_errname(rv2));
		rv = -2;
	}
	if (rv2 == DOT_OK)
		CHECK(t != NULL);
	else
		CHECK(t == NULL);
	dot_tx_free(t);
	dot_buf_free(&base);
	dot_buf_free(&pl);
	dot_buf_free(&tx);
	dot_buf_free(v);
	return rv;
}

/* Values for try_with. */
static struct dot_buf *
v_uint(struct dot_buf *b, uint64_t x)
{
	memset(b, 0, sizeof(*b));
	dot_enc_uint(b, x);
	return b;
}

static struct dot_buf *
v_int(struct dot_buf *b, int64_t x)
{
	memset(b, 0, sizeof(*b));
	dot_enc_int(b, x);
	return b;
}

static struct dot_buf *
v_tstr(struct dot_buf *b, const char *s)
{
	memset(b, 0, sizeof(*b));
	dot_enc_tstr(b, s, strlen(s));
	return b;
}

static struct dot_buf *
v_bstr(struct dot_buf *b, size_t n, uint8_t fill)
{
	uint8_t tmp[64];

	memset(tmp, fill, sizeof(tmp));
	memset(b, 0, sizeof(*b));
	dot_enc_bstr(b, tmp, n);
	return b;
}

/* Consumed versions: n entries, id[15] = idbyte(i), version ver(i). */
static struct dot_buf *
v_consumed(struct dot_buf *b, size_t n, const uint8_t *ids,
	   const uint64_t *vers)
{
	uint8_t id[DOT_OBJECT_ID_LEN];

	memset(b, 0, sizeof(*b));
	dot_enc_array(b, n);
	for (size_t i = 0; i < n; i++) {
		memset(id, 0x11, sizeof(id));
		id[15] = ids[i];
		dot_enc_array(b, 2);
		dot_enc_bstr(b, id, sizeof(id));
		dot_enc_uint(b, vers[i]);
	}
	return b;
}

static void
payload_strict(void)
{
	struct dot_buf v;
	char op[DOT_TX_MAX_OP + 2];

	setup();
	/* The base itself parses: try_with on an untouched key. */
	CHECK_RC(try_with(2, v_tstr(&v, "fs.put")), DOT_OK);

	/* 1 version */
	CHECK_RC(try_with(1, v_uint(&v, 2)), DOT_ETX_VERSION);
	CHECK_RC(try_with(1, v_tstr(&v, "1")), DOT_ETX_FORMAT);
	CHECK_RC(try_with(1, NULL), DOT_ETX_FORMAT);

	/* 2 op */
	CHECK_RC(try_with(2, v_tstr(&v, "Fs.put")), DOT_ETX_FORMAT);
	CHECK_RC(try_with(2, v_tstr(&v, "fs put")), DOT_ETX_FORMAT);
	CHECK_RC(try_with(2, v_tstr(&v, "")), DOT_ETX_FORMAT);
	CHECK_RC(try_with(2, v_bstr(&v, 3, 'a')), DOT_ETX_FORMAT);
	memset(op, 'a', sizeof(op));
	op[DOT_TX_MAX_OP] = '\0';
	CHECK_RC(try_with(2, v_tstr(&v, op)), DOT_OK);
	op[DOT_TX_MAX_OP] = 'a';
	op[DOT_TX_MAX_OP + 1] = '\0';
	CHECK_RC(try_with(2, v_tstr(&v, op)), DOT_ETX_FORMAT);

	/* 3 args: any one item; too big refused */
	CHECK_RC(try_with(3, v_int(&v, -5)), DOT_OK);
	CHECK_RC(try_with(3, NULL), DOT_ETX_FORMAT);
	{
		uint8_t *big = calloc(1, DOT_TX_MAX_ARGS);
		REQUIRE(big != NULL);
		memset(&v, 0, sizeof(v));
		dot_enc_bstr(&v, big, DOT_TX_MAX_ARGS - 5); /* 5-byte head */
		CHECK_RC(try_with(3, &v), DOT_OK);
		memset(&v, 0, sizeof(v));
		dot_enc_bstr(&v, big, DOT_TX_MAX_ARGS - 4);
		CHECK_RC(try_with(3, &v), DOT_ETX_FORMAT);
		free(big);
	}

	/* 4 consumed versions */
	{
		uint8_t ids[DOT_TX_MAX_CONSUMED + 1];
		uint64_t vers[DOT_TX_MAX_CONSUMED + 1];

		for (int i = 0; i <= DOT_TX_MAX_CONSUMED; i++)
			ids[i] = (uint8_t)i, vers[i] = 1;
		CHECK_RC(try_with(4, v_consumed(&v, DOT_TX_MAX_CONSUMED, ids,
						vers)),
			 DOT_OK);
		CHECK_RC(try_with(4, v_consumed(&v, DOT_TX_MAX_CONSUMED + 1,
						ids, vers)),
			 DOT_ETX_FORMAT);
		ids[0] = 5, ids[1] = 4; /* ids descending */
		CHECK_RC(try_with(4, v_consumed(&v, 2, ids, vers)),
			 DOT_ETX_FORMAT);
		ids[0] = 4, ids[1] = 4; /* same object, */
		vers[0] = 2, vers[1] = 1; /* versions descending */
		CHECK_RC(try_with(4, v_consumed(&v, 2, ids, vers)),
			 DOT_ETX_FORMAT);
		vers[1] = 2; /* a repeat */
		CHECK_RC(try_with(4, v_consumed(&v, 2, ids, vers)),
			 DOT_ETX_FORMAT);
		vers[1] = 3; /* same object, two versions ascending: fine */
		CHECK_RC(try_with(4, v_consumed(&v, 2, ids, vers)), DOT_OK);
		CHECK_RC(try_with(4, v_consumed(&v, 0, ids, vers)), DOT_OK);
	}
	CHECK_RC(try_with(4, v_uint(&v, 0)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(4, NULL), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* [[h'11'x15, 1]]: short id */
	dot_enc_array(&v, 1);
	dot_enc_array(&v, 2);
	dot_enc_bstr(&v, "123456789012345", 15);
	dot_enc_uint(&v, 1);
	CHECK_RC(try_with(4, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* [[id]]: no version */
	dot_enc_array(&v, 1);
	dot_enc_array(&v, 1);
	dot_enc_bstr(&v, "1234567890123456", 16);
	CHECK_RC(try_with(4, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* [[id, -1]] */
	dot_enc_array(&v, 1);
	dot_enc_array(&v, 2);
	dot_enc_bstr(&v, "1234567890123456", 16);
	dot_enc_int(&v, -1);
	CHECK_RC(try_with(4, &v), DOT_ETX_FORMAT);

	/* 5 authority */
	memset(&v, 0, sizeof(v));
	dot_enc_array(&v, 3);
	dot_enc_uint(&v, 2);
	dot_enc_tstr(&v, "bob", 3);
	dot_enc_tstr(&v, "owner", 5);
	CHECK_RC(try_with(5, &v), DOT_OK);
	memset(&v, 0, sizeof(v)); /* kind 3 */
	dot_enc_array(&v, 3);
	dot_enc_uint(&v, 3);
	dot_enc_tstr(&v, "bob", 3);
	dot_enc_tstr(&v, "owner", 5);
	CHECK_RC(try_with(5, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* missing level */
	dot_enc_array(&v, 2);
	dot_enc_uint(&v, 2);
	dot_enc_tstr(&v, "bob", 3);
	CHECK_RC(try_with(5, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* '@' in the account */
	dot_enc_array(&v, 3);
	dot_enc_uint(&v, 2);
	dot_enc_tstr(&v, "bob@x", 5);
	dot_enc_tstr(&v, "owner", 5);
	CHECK_RC(try_with(5, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* level of 33 bytes */
	dot_enc_array(&v, 3);
	dot_enc_uint(&v, 2);
	dot_enc_tstr(&v, "bob", 3);
	dot_enc_tstr(&v, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33);
	CHECK_RC(try_with(5, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* empty */
	dot_enc_array(&v, 0);
	CHECK_RC(try_with(5, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* token kind, token as text */
	dot_enc_array(&v, 2);
	dot_enc_uint(&v, 1);
	dot_enc_tstr(&v, "dot1abc", 7);
	CHECK_RC(try_with(5, &v), DOT_ETX_FORMAT);
	memset(&v, 0, sizeof(v)); /* token kind, bytes that are no token */
	dot_enc_array(&v, 2);
	dot_enc_uint(&v, 1);
	dot_enc_bstr(&v, "\x82\x01\x02", 3);
	{
		int rv = try_with(5, &v);
		CHECK(rv != DOT_OK && rv > 0);
	}
	CHECK_RC(try_with(5, v_tstr(&v, "alice@active")), DOT_ETX_FORMAT);

	/* 6 nonce */
	CHECK_RC(try_with(6, v_bstr(&v, 15, 1)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(6, v_bstr(&v, 17, 1)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(6, v_tstr(&v, "0123456789abcdef")), DOT_ETX_FORMAT);
	CHECK_RC(try_with(6, NULL), DOT_ETX_FORMAT);

	/* 7, 8 window */
	CHECK_RC(try_with(7, v_int(&v, -1)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(7, v_uint(&v, 1600)), DOT_ETX_FORMAT); /* empty */
	CHECK_RC(try_with(7, v_uint(&v, 1599)), DOT_OK);
	CHECK_RC(try_with(8, v_uint(&v, 999)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(8, v_tstr(&v, "1600")), DOT_ETX_FORMAT);
	CHECK_RC(try_with(8, NULL), DOT_ETX_FORMAT);

	/* 9 cluster: optional, 16 bytes */
	CHECK_RC(try_with(9, NULL), DOT_OK);
	CHECK_RC(try_with(9, v_bstr(&v, 15, 1)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(9, v_uint(&v, 1)), DOT_ETX_FORMAT);

	/* unknown keys */
	CHECK_RC(try_with(10, v_uint(&v, 0)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(0, v_uint(&v, 0)), DOT_ETX_FORMAT);
	CHECK_RC(try_with(1000, v_uint(&v, 0)), DOT_ETX_FORMAT);
}

/* What the encoder refuses, it refuses with the parser's codes. */
static void
payload_encode_strict(void)
{
	struct dot_tx_payload p;
	struct dot_buf b = {0};
	struct dot_err e = {0, ""};

	setup();
	make_payload(&p);
	p.op = "FS.PUT";
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ETX_FORMAT);
	make_payload(&p);
	p.args = (const uint8_t *)"\x01\x02"; /* two items */
	p.args_len = 2;
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ECODEC_TRAILING);
	p.args = (const uint8_t *)"\x18\x01"; /* non-canonical 1 */
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ECODEC_NONCANONICAL);
	p.args_len = 0;
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ETX_FORMAT);
	make_payload(&p);
	p.consumed[1].version = 3; /* repeat */
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ETX_FORMAT);
	make_payload(&p);
	p.nconsumed = DOT_TX_MAX_CONSUMED + 1;
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ETX_FORMAT);
	make_payload(&p);
	p.level_len = 0;
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ETX_FORMAT);
	make_payload(&p);
	p.auth_kind = 7;
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ETX_FORMAT);
	make_payload(&p);
	p.not_after = p.not_before;
	CHECK_RC(dot_tx_payload_encode(&p, &b, &e), DOT_ETX_FORMAT);
	CHECK(b.len == 0); /* nothing appended on failure */
	dot_buf_free(&b);
}

/* ---- signed transactions ---- */

static void
tx_roundtrip(void)
{
	static const int who[] = {0, 1};
	struct dot_tx_payload p;
	struct dot_buf b = {0}, c = {0}, pl = {0};
	struct dot_tx *tx = NULL;
	struct dot_tx_verifier v;
	struct dot_tx_verify_result res;
	struct dot_err e = {0, ""};
	uint8_t id[DOT_TX_ID_LEN];

	setup();
	make_payload(&p);
	REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
	REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
	REQUIRE_RC(dot_tx_payload_encode(&p, &pl, &e), DOT_OK);
	CHECK(tx->payload_len == pl.len);
	CHECK_MEM(tx->payload_bytes, pl.data, pl.len);
	dot_tx_id(pl.data, pl.len, id);
	CHECK_MEM(tx->id, id, sizeof(id));
	CHECK(tx->nsigs == 2);
	CHECK(tx->token == NULL);
	CHECK(tx->sigs[1].pk_len == pk_lens[1]);
	CHECK_MEM(tx->sigs[1].pk, pks[1], pk_lens[1]);
	REQUIRE_RC(dot_tx_encode(tx, &c, &e), DOT_OK);
	CHECK(c.len == b.len);
	CHECK_MEM(c.data, b.data, b.len);

	account_verifier(&v, 1200);
	CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_OK);
	CHECK(res.weight == 2);
	CHECK_RC(dot_tx_verify(tx, &v, NULL, &e), DOT_OK);

	/* A signature is over the tx id under its domain, nothing else. */
	{
		uint8_t msg[13 + DOT_TX_ID_LEN];
		memcpy(msg, "dot-tx-v1 sig", 13);
		memcpy(msg + 13, id, DOT_TX_ID_LEN);
		CHECK_RC(dot_verify(pks[0], pk_lens[0], msg, sizeof(msg),
				    tx->sigs[0].sig, tx->sigs[0].sig_len),
			 DOT_OK);
		CHECK(dot_verify(pks[0], pk_lens[0], pl.data, pl.len,
				 tx->sigs[0].sig,
				 tx->sigs[0].sig_len) != DOT_OK);
	}
	dot_tx_free(tx);
	dot_tx_free(NULL);
	dot_buf_free(&b);
	dot_buf_free(&c);
	dot_buf_free(&pl);
}

/* A signed tx from raw parts: payload bytes, n pairs of (pk, sig). */
static void
raw_tx(struct dot_buf *out, const struct dot_buf *pl, size_t n,
       const uint8_t *pk, size_t pklen, const uint8_t *sig, size_t siglen)
{
	memset(out, 0, sizeof(*out));
	dot_enc_array(out, 2);
	dot_enc_raw(out, pl->data, pl->len);
	dot_enc_array(out, n);
	for (size_t i = 0; i < n; i++) {
		dot_enc_array(out, 2);
		dot_enc_bstr(out, pk, pklen);
		dot_enc_bstr(out, sig, siglen);
	}
}

static int
parse_rc(const struct dot_buf *b)
{
	struct dot_tx *tx = NULL;
	struct dot_err e = {0, ""};
	int rv = dot_tx_parse(b->data, b->len, &tx, &e);

	if (rv != DOT_OK && (tx != NULL || e.msg[0] == '\0'))
		rv = -1;
	dot_tx_free(tx);
	return rv;
}

static void
tx_strict(void)
{
	struct dot_tx_payload p;
	struct dot_buf pl = {0}, b;
	struct dot_err e = {0, ""};
	uint8_t sig[DOT_ED25519_SIG_LEN] = {DOT_SUITE_ED25519};
	uint8_t pk[DOT_ED25519_PK_LEN];
	struct dot_tx_sig views[DOT_TX_MAX_SIGS + 1];

	setup();
	make_payload(&p);
	REQUIRE_RC(dot_tx_payload_encode(&p, &pl, &e), DOT_OK);
	memcpy(pk, pks[0], sizeof(pk));

	raw_tx(&b, &pl, 1, pk, sizeof(pk), sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_OK);
	dot_buf_free(&b);
	raw_tx(&b, &pl, DOT_TX_MAX_SIGS, pk, sizeof(pk), sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_OK);
	dot_buf_free(&b);
	raw_tx(&b, &pl, DOT_TX_MAX_SIGS + 1, pk, sizeof(pk), sig,
	       sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	raw_tx(&b, &pl, 0, pk, sizeof(pk), sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	raw_tx(&b, &pl, 1, pk, sizeof(pk) - 1, sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	raw_tx(&b, &pl, 1, pk, sizeof(pk), sig, sizeof(sig) - 1);
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	raw_tx(&b, &pl, 1, pk, 0, sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	sig[0] = DOT_SUITE_MLDSA65; /* suites differ */
	raw_tx(&b, &pl, 1, pk, sizeof(pk), sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	sig[0] = DOT_SUITE_ED25519;
	pk[0] = 0x7f; /* unknown suite */
	raw_tx(&b, &pl, 1, pk, sizeof(pk), sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	pk[0] = DOT_SUITE_ED25519;

	/* Shape: not [payload, sigs]; trailing bytes; payload not a map. */
	memset(&b, 0, sizeof(b));
	dot_enc_array(&b, 3);
	dot_enc_raw(&b, pl.data, pl.len);
	dot_enc_array(&b, 0);
	dot_enc_uint(&b, 0);
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	raw_tx(&b, &pl, 1, pk, sizeof(pk), sig, sizeof(sig));
	dot_enc_uint(&b, 0);
	CHECK_RC(parse_rc(&b), DOT_ECODEC_TRAILING);
	dot_buf_free(&b);
	memset(&b, 0, sizeof(b));
	dot_enc_array(&b, 2);
	dot_enc_array(&b, 0);
	dot_enc_array(&b, 0);
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	memset(&b, 0, sizeof(b));
	dot_enc_array(&b, 2);
	dot_enc_raw(&b, pl.data, pl.len);
	dot_enc_array(&b, 1);
	dot_enc_array(&b, 3);
	dot_enc_bstr(&b, pk, sizeof(pk));
	dot_enc_bstr(&b, sig, sizeof(sig));
	dot_enc_bstr(&b, sig, sizeof(sig));
	CHECK_RC(parse_rc(&b), DOT_ETX_FORMAT);
	dot_buf_free(&b);
	{
		struct dot_tx *tx = NULL;
		CHECK_RC(dot_tx_parse(NULL, 0, &tx, &e), DOT_ETX_FORMAT);
		CHECK_RC(dot_tx_parse(pl.data, DOT_TX_MAX_LEN + 1, &tx, &e),
			 DOT_ETX_FORMAT);
		CHECK(tx == NULL);
	}

	/* The assembler holds the same rules. */
	for (int i = 0; i <= DOT_TX_MAX_SIGS; i++) {
		views[i].pk = pk;
		views[i].pk_len = sizeof(pk);
		views[i].sig = sig;
		views[i].sig_len = sizeof(sig);
	}
	memset(&b, 0, sizeof(b));
	CHECK_RC(dot_tx_assemble(pl.data, pl.len, views, 0, &b, &e),
		 DOT_ETX_FORMAT);
	CHECK_RC(dot_tx_assemble(pl.data, pl.len, views, DOT_TX_MAX_SIGS + 1,
				 &b, &e),
		 DOT_ETX_FORMAT);
	views[3].sig_len--;
	CHECK_RC(dot_tx_assemble(pl.data, pl.len, views, 4, &b, &e),
		 DOT_ETX_FORMAT);
	CHECK(b.len == 0);
	CHECK_RC(dot_tx_assemble(pl.data, pl.len - 1, views, 1, &b, &e),
		 DOT_ECODEC_TRUNCATED);
	CHECK_RC(dot_tx_assemble(pl.data, pl.len, views, DOT_TX_MAX_SIGS, &b,
				 &e),
		 DOT_ETX_FORMAT); /* views[3] still short */
	views[3].sig_len++;
	CHECK_RC(dot_tx_assemble(pl.data, pl.len, views, DOT_TX_MAX_SIGS, &b,
				 &e),
		 DOT_OK);
	CHECK_RC(parse_rc(&b), DOT_OK);
	dot_buf_free(&b);

	/* The signer refuses to sign what does not parse. */
	{
		struct dot_tx_signature s;
		CHECK_RC(dot_tx_sign(keys[0], pl.data, pl.len - 1, &s, &e),
			 DOT_ECODEC_TRUNCATED);
		CHECK_RC(dot_tx_sign(keys[0], (const uint8_t *)"\x01", 1, &s,
				     &e),
			 DOT_ETX_FORMAT);
	}
	dot_buf_free(&pl);
}

/* Flipping any bit pattern of any one byte makes parse or verify fail. */
static void
tx_every_byte(void)
{
	static const int who[] = {0, 2};
	static const uint8_t masks[] = {0x01, 0x80, 0xff};
	struct dot_tx_payload p;
	struct dot_buf b = {0};
	struct dot_tx_verifier v;
	struct dot_err e = {0, ""};
	uint8_t *m;
	size_t accepted = 0;

	setup();
	make_payload(&p);
	REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
	account_verifier(&v, 1300);
	REQUIRE_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	m = malloc(b.len);
	REQUIRE(m != NULL);
	for (size_t i = 0; i < b.len; i++)
		for (size_t k = 0; k < sizeof(masks); k++) {
			memcpy(m, b.data, b.len);
			m[i] ^= masks[k];
			if (parse_verify(m, b.len, &v, NULL, &e) == DOT_OK) {
				printf("# byte %zu ^ 0x%02x accepted\n", i,
				       masks[k]);
				accepted++;
			}
		}
	CHECK(accepted == 0);
	/* Every truncation fails too. */
	for (size_t n = 0; n < b.len; n++)
		CHECK(parse_verify(b.data, n, &v, NULL, &e) != DOT_OK);
	free(m);
	dot_buf_free(&b);
}

static void
tx_window(void)
{
	static const int who[] = {2};
	struct dot_tx_payload p;
	struct dot_buf b = {0};
	struct dot_tx_verifier v;
	struct dot_err e = {0, ""};

	setup();
	make_payload(&p); /* 1000..1600 */
	REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
	account_verifier(&v, 999);
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e),
		 DOT_ETX_NOT_YET_VALID);
	CHECK(strstr(e.msg, "1000") != NULL);
	v.now = 1000;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	v.now = 1599;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	v.now = 1600;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_EXPIRED);
	v.now = UINT64_MAX;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_EXPIRED);
	v.now = 1200;
	v.max_window = 599;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_WINDOW);
	v.max_window = 600;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	dot_buf_free(&b);

	/* The default limit: 3600 s passes, 3601 s does not. */
	p.not_after = p.not_before + DOT_TX_WINDOW_DEFAULT;
	REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
	v.max_window = 0;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	dot_buf_free(&b);
	p.not_after++;
	REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_WINDOW);
	dot_buf_free(&b);

	/* Window checks come before signature work: a broken signature
	 * outside the window reports the window. */
	make_payload(&p);
	REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
	b.data[b.len - 1] ^= 1;
	v.now = 1600;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_EXPIRED);
	v.now = 1200;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_SIGNATURE);
	dot_buf_free(&b);
}

static void
tx_cluster(void)
{
	static const int who[] = {2};
	struct dot_tx_payload p;
	struct dot_buf b = {0};
	struct dot_tx_verifier v;
	struct dot_err e = {0, ""};

	setup();
	make_payload(&p); /* for cluster A */
	REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
	account_verifier(&v, 1200);
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	v.cluster_id = cluster_b; /* replayed on cluster B */
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_CLUSTER);
	v.cluster_id = NULL;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	dot_buf_free(&b);

	p.has_cluster = 0; /* no cluster named: refused by a cluster */
	REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
	v.cluster_id = cluster_a;
	CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_ETX_CLUSTER);
	dot_buf_free(&b);
}

static void
tx_account(void)
{
	struct dot_tx_payload p;
	struct dot_buf b = {0};
	struct dot_tx_verifier v;
	struct dot_tx_verify_result res;
	struct dot_err e = {0, ""};

	setup();
	make_payload(&p);
	account_verifier(&v, 1200);
	/* alice@active: keys 0 (w1), 1 (w1), 2 (w2), threshold 2. */
	{
		static const int who[] = {0, 1};
		REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e), DOT_OK);
		CHECK(res.weight == 2);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {2};
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e), DOT_OK);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {1, 0, 2};
		REQUIRE_RC(build_tx(&p, who, 3, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e), DOT_OK);
		CHECK(res.weight == 4);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {1}; /* one signature short */
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETX_THRESHOLD);
		CHECK(res.weight == 1);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {0, 1, 3}; /* 3 is outside */
		REQUIRE_RC(build_tx(&p, who, 3, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETX_AUTHORITY);
		CHECK(strstr(e.msg, "signature 2") != NULL);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {0, 0}; /* one key twice */
		REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETX_DUPLICATE_SIGNER);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {0, 1};
		p.account = "carol"; /* unknown account */
		REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETX_AUTHORITY);
		dot_buf_free(&b);
		p.account = "alice";
		p.level = "ownerx"; /* unknown level */
		REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETX_AUTHORITY);
		dot_buf_free(&b);
		p.account = "fail"; /* resolver error passes through */
		p.account_len = 4;
		REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ENOMEM);
		v.level = NULL; /* verifier without accounts */
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETX_AUTHORITY);
		dot_buf_free(&b);
		account_verifier(&v, 1200);
		make_payload(&p);
	}
	{
		/* A bad signature is named; a valid signature of another tx
		 * does not count. */
		static const int who[] = {0, 1};
		struct dot_tx *tx = NULL;
		struct dot_tx_payload p2;
		struct dot_tx_signature other;
		struct dot_buf pl2 = {0};

		REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
		REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
		make_payload(&p2);
		p2.nonce[0] ^= 1;
		REQUIRE_RC(dot_tx_payload_encode(&p2, &pl2, &e), DOT_OK);
		REQUIRE_RC(dot_tx_sign(keys[1], pl2.data, pl2.len, &other, &e),
			   DOT_OK);
		/* tx->sigs point into tx->bytes; swap in the other one. */
		tx->sigs[1].sig = other.sig;
		CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_ETX_SIGNATURE);
		CHECK(res.failed_sig == 1);
		CHECK(strstr(e.msg, "signature 1") != NULL);
		dot_tx_free(tx);
		dot_buf_free(&pl2);
		dot_buf_free(&b);
	}
}

static void
account_split(void)
{
	const char *a, *l;
	size_t an, ln;
	struct dot_err e = {0, ""};

	CHECK_RC(dot_tx_account_split("alice@active", 12, &a, &an, &l, &ln,
				      &e),
		 DOT_OK);
	CHECK(an == 5 && memcmp(a, "alice", 5) == 0);
	CHECK(ln == 6 && memcmp(l, "active", 6) == 0);
	CHECK_RC(dot_tx_account_split("alice", 5, &a, &an, &l, &ln, &e),
		 DOT_EINVAL);
	CHECK_RC(dot_tx_account_split("@active", 7, &a, &an, &l, &ln, &e),
		 DOT_EINVAL);
	CHECK_RC(dot_tx_account_split("alice@", 6, &a, &an, &l, &ln, &e),
		 DOT_EINVAL);
	CHECK_RC(dot_tx_account_split("a@b@c", 5, &a, &an, &l, &ln, &e),
		 DOT_EINVAL);
	CHECK_RC(dot_tx_account_split("Alice@active", 12, &a, &an, &l, &ln,
				      &e),
		 DOT_EINVAL);
}

/* ---- token authority ---- */

/* A token over /home/alice, read+write, for holder key 4, issued by key 5,
 * valid 0..expires. */
static int
mint(uint64_t expires, int holder, struct dot_buf *out)
{
	struct dot_token_caveats cav;
	struct dot_err e = {0, ""};
	int rv;

	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS | DOT_CAV_EXPIRES;
	cav.rights = DOT_RIGHT_READ | DOT_RIGHT_WRITE;
	cav.expires = expires;
	rv = dot_token_mint(keys[5], DOT_RESOURCE_PATH, "/home/alice", 11,
			    &cav, pks[holder], pk_lens[holder], out, &e);
	if (rv != DOT_OK)
		printf("# mint: %s: %s\n", dot_errname(rv), e.msg);
	return rv;
}

static struct dot_token_verifier tok_verifier;
static struct dot_token_request tok_request;

static void
token_verifier(struct dot_tx_verifier *v, uint64_t now)
{
	memset(&tok_verifier, 0, sizeof(tok_verifier));
	tok_verifier.issuer_pk = pks[5];
	tok_verifier.issuer_pk_len = pk_lens[5];
	memset(&tok_request, 0, sizeof(tok_request));
	tok_request.rights = DOT_RIGHT_WRITE;
	tok_request.path = "/home/alice/notes";
	tok_request.path_len = 17;
	tok_request.now = 0; /* ignored: v->now is used */
	memset(v, 0, sizeof(*v));
	v->now = now;
	v->cluster_id = cluster_a;
	v->token_verifier = &tok_verifier;
	v->token_request = &tok_request;
}

static void
token_payload(struct dot_tx_payload *p, const struct dot_buf *tok)
{
	make_payload(p);
	p->auth_kind = DOT_TX_AUTH_TOKEN;
	p->account = NULL;
	p->account_len = 0;
	p->level = NULL;
	p->level_len = 0;
	p->token = tok->data;
	p->token_len = tok->len;
}

static void
tx_token(void)
{
	struct dot_buf tok = {0}, b = {0}, c = {0};
	struct dot_tx_payload p;
	struct dot_tx_verifier v;
	struct dot_tx_verify_result res;
	struct dot_tx *tx = NULL;
	struct dot_err e = {0, ""};

	setup();
	REQUIRE_RC(mint(5000, 4, &tok), DOT_OK);
	token_payload(&p, &tok);
	token_verifier(&v, 1200);
	{
		static const int who[] = {4}; /* the holder */
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
		CHECK(tx->token != NULL);
		CHECK(tx->p.auth_kind == DOT_TX_AUTH_TOKEN);
		CHECK(tx->p.token_len == tok.len);
		CHECK_RC(dot_tx_encode(tx, &c, &e), DOT_OK);
		CHECK(c.len == b.len && memcmp(c.data, b.data, b.len) == 0);
		CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_OK);
		CHECK(res.token.holder_len == pk_lens[4]);
		CHECK((res.token.eff.rights & DOT_RIGHT_WRITE) != 0);
		/* The token's own checks apply: a right it lacks. */
		tok_request.rights = DOT_RIGHT_DELETE;
		CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_ETOKEN_RIGHTS);
		tok_request.rights = DOT_RIGHT_WRITE;
		/* A verifier without tokens refuses. */
		v.token_verifier = NULL;
		CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_ETX_AUTHORITY);
		v.token_verifier = &tok_verifier;
		/* The issuer must be the trusted one. */
		tok_verifier.issuer_pk = pks[3];
		CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_ETOKEN_ISSUER);
		tok_verifier.issuer_pk = pks[5];
		dot_tx_free(tx);
		tx = NULL;
		dot_buf_free(&b);
		dot_buf_free(&c);
	}
	{
		static const int who[] = {3}; /* someone else */
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETOKEN_WRONG_HOLDER);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {4, 3}; /* the holder and another */
		REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETX_AUTHORITY);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {4};
		/* Same token, the tx verified after the token expired. */
		p.not_before = 5000;
		p.not_after = 5600;
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		v.now = 5100;
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETOKEN_EXPIRED);
		v.now = 1200;
		dot_buf_free(&b);
	}
	dot_buf_free(&tok);

	/* An expired token inside its tx's window. */
	REQUIRE_RC(mint(1100, 4, &tok), DOT_OK);
	token_payload(&p, &tok);
	{
		static const int who[] = {4};
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e),
			 DOT_ETOKEN_EXPIRED);
		dot_buf_free(&b);
	}
	dot_buf_free(&tok);
}

/* A payload (make_payload's) that names tok by its last rid, kept in rid. */
static void
ref_payload(struct dot_tx_payload *p, const struct dot_buf *tok,
	    uint8_t rid[DOT_RID_LEN])
{
	struct dot_token *t = NULL;
	struct dot_err e = {0, ""};

	REQUIRE_RC(dot_token_parse(tok->data, tok->len, &t, &e), DOT_OK);
	memcpy(rid, t->blocks[t->nblocks - 1].rid, DOT_RID_LEN);
	dot_token_free(t);
	make_payload(p);
	p->auth_kind = DOT_TX_AUTH_TOKEN_REF;
	p->token_ref = rid;
}

/* A token by reference [3, rid]: the tx carries the last block's rid;
 * the verifier attaches the token it holds, and only that token. */
static void
tx_token_ref(void)
{
	struct dot_buf tok = {0}, other = {0}, b = {0}, c = {0}, bad = {0};
	struct dot_tx_payload p;
	struct dot_tx_verifier v;
	struct dot_tx_verify_result res;
	struct dot_tx *tx = NULL;
	struct dot_err e = {0, ""};
	uint8_t rid[DOT_RID_LEN];
	static const int holder[] = {4}, stranger[] = {3};

	setup();
	REQUIRE_RC(mint(5000, 4, &tok), DOT_OK);
	REQUIRE_RC(mint(5000, 3, &other), DOT_OK);
	ref_payload(&p, &tok, rid);
	token_verifier(&v, 1200);

	REQUIRE_RC(build_tx(&p, holder, 1, &b), DOT_OK);
	REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
	CHECK(tx->p.auth_kind == DOT_TX_AUTH_TOKEN_REF);
	CHECK(tx->token == NULL);
	CHECK(memcmp(tx->p.token_ref, rid, DOT_RID_LEN) == 0);
	CHECK_RC(dot_tx_encode(tx, &c, &e), DOT_OK);
	CHECK(c.len == b.len && memcmp(c.data, b.data, b.len) == 0);
	/* Unresolved, it verifies nothing. */
	CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_ETOKEN_UNKNOWN);
	/* Another token (another rid) is refused, and stays unattached. */
	CHECK_RC(dot_tx_attach_token(tx, other.data, other.len, &e),
		 DOT_ETOKEN_UNKNOWN);
	CHECK(tx->token == NULL);
	/* Bytes that are no token. */
	CHECK(dot_tx_attach_token(tx, (const uint8_t *)"\x80", 1, &e) !=
	      DOT_OK);
	CHECK(tx->token == NULL);
	/* The right one: the tx verifies as with the token inline. */
	CHECK_RC(dot_tx_attach_token(tx, tok.data, tok.len, &e), DOT_OK);
	CHECK(tx->token != NULL);
	CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_OK);
	CHECK(res.token.holder_len == pk_lens[4]);
	/* Once only. */
	CHECK_RC(dot_tx_attach_token(tx, tok.data, tok.len, &e), DOT_EINVAL);
	/* The token's checks still apply. */
	tok_request.rights = DOT_RIGHT_DELETE;
	CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_ETOKEN_RIGHTS);
	tok_request.rights = DOT_RIGHT_WRITE;
	dot_tx_free(tx);
	tx = NULL;

	/* Signed by someone other than the holder of the referenced token. */
	REQUIRE_RC(build_tx(&p, stranger, 1, &bad), DOT_OK);
	REQUIRE_RC(dot_tx_parse(bad.data, bad.len, &tx, &e), DOT_OK);
	REQUIRE_RC(dot_tx_attach_token(tx, tok.data, tok.len, &e), DOT_OK);
	CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_ETOKEN_WRONG_HOLDER);
	dot_tx_free(tx);
	tx = NULL;

	/* A parsed token, shared (dot_token_hold): each tx takes over the
	 * reference it is given and drops it when freed or refused; another
	 * token's rid is refused as with bytes. (ASan and valgrind hold the
	 * counts to freeing each token exactly once.) */
	{
		struct dot_token *pt = NULL, *po = NULL;
		struct dot_tx *t2 = NULL;

		REQUIRE_RC(dot_token_parse(tok.data, tok.len, &pt, &e), DOT_OK);
		REQUIRE_RC(dot_token_parse(other.data, other.len, &po, &e),
			   DOT_OK);
		REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
		REQUIRE_RC(dot_tx_parse(b.data, b.len, &t2, &e), DOT_OK);
		CHECK_RC(dot_tx_attach_parsed_token(tx, po, &e),
			 DOT_ETOKEN_UNKNOWN);
		CHECK(tx->token == NULL);
		CHECK_RC(dot_tx_attach_parsed_token(tx, NULL, &e), DOT_EINVAL);
		CHECK_RC(dot_tx_attach_parsed_token(tx, dot_token_hold(pt), &e),
			 DOT_OK);
		CHECK_RC(dot_tx_attach_parsed_token(t2, dot_token_hold(pt), &e),
			 DOT_OK);
		CHECK(tx->token == pt && t2->token == pt);
		/* once only: the extra reference is dropped */
		CHECK_RC(dot_tx_attach_parsed_token(t2, dot_token_hold(pt), &e),
			 DOT_EINVAL);
		dot_token_free(pt); /* the parser's reference */
		CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_OK);
		dot_tx_free(tx);
		CHECK_RC(dot_tx_verify(t2, &v, &res, &e), DOT_OK);
		dot_tx_free(t2);
		tx = NULL;
	}

	/* Attaching to a tx with an account or an inline token. */
	{
		static const int who[] = {0};
		struct dot_tx_payload q;

		make_payload(&q);
		dot_buf_free(&c);
		REQUIRE_RC(build_tx(&q, who, 1, &c), DOT_OK);
		REQUIRE_RC(dot_tx_parse(c.data, c.len, &tx, &e), DOT_OK);
		CHECK_RC(dot_tx_attach_token(tx, tok.data, tok.len, &e),
			 DOT_EINVAL);
		dot_tx_free(tx);
		tx = NULL;
	}

	/* Strict form: [3, bstr(32)] only. Edit the encoded payload: the
	 * rid's bstr head 0x58 0x20 is unique in it. */
	{
		struct dot_buf pl = {0};
		size_t at = SIZE_MAX;

		REQUIRE_RC(dot_tx_payload_encode(&p, &pl, &e), DOT_OK);
		for (size_t i = 0; i + 2 < pl.len; i++)
			if (pl.data[i] == 0x82 && pl.data[i + 1] == 0x03 &&
			    pl.data[i + 2] == 0x58) {
				at = i;
				break;
			}
		REQUIRE(at != SIZE_MAX);
		{
			struct dot_tx_payload q;
			uint8_t *m = malloc(pl.len);

			REQUIRE(m != NULL);
			/* a 31-byte rid (one fewer byte, the length says so) */
			memcpy(m, pl.data, pl.len);
			m[at + 3] = 31;
			memmove(m + at + 4 + 31, m + at + 4 + 32,
				pl.len - (at + 4 + 32));
			CHECK_RC(dot_tx_payload_parse(m, pl.len - 1, &q, &e),
				 DOT_ETX_FORMAT);
			/* [3, rid] with kind 3 as a 1-item array */
			memcpy(m, pl.data, pl.len);
			m[at] = 0x81;
			CHECK(dot_tx_payload_parse(m, pl.len, &q, &e) !=
			      DOT_OK);
			free(m);
		}
		dot_buf_free(&pl);
	}
	/* An encoder given no rid refuses. */
	p.token_ref = NULL;
	CHECK_RC(dot_tx_payload_encode(&p, &c, &e), DOT_ETX_FORMAT);

	dot_buf_free(&tok);
	dot_buf_free(&other);
	dot_buf_free(&b);
	dot_buf_free(&c);
	dot_buf_free(&bad);
}

/* Sign p with keys[who] and assemble with the key left out. */
static int
build_implicit(const struct dot_tx_payload *p, int who, struct dot_buf *out)
{
	struct dot_buf pl = {0};
	struct dot_tx_signature sig;
	struct dot_tx_sig v;
	struct dot_err e = {0, ""};
	int rv = dot_tx_payload_encode(p, &pl, &e);

	if (rv == DOT_OK)
		rv = dot_tx_sign(keys[who], pl.data, pl.len, &sig, &e);
	if (rv == DOT_OK) {
		v = dot_tx_sig_of(&sig);
		v.pk = NULL;
		v.pk_len = 0;
		rv = dot_tx_assemble(pl.data, pl.len, &v, 1, out, &e);
	}
	if (rv != DOT_OK)
		printf("# build_implicit: %s: %s\n", dot_errname(rv), e.msg);
	dot_buf_free(&pl);
	return rv;
}

/* The one signature of a token tx may leave its key out (an empty bstr):
 * the key is the token's holder's. Tried: the key left out of an account
 * tx and of one of two signatures, a signature of the wrong length, a
 * stranger signing, a claim of the wrong holder. */
static void
tx_implicit_holder(void)
{
	struct dot_buf tok = {0}, b = {0}, c = {0}, full = {0};
	struct dot_tx_payload p;
	struct dot_tx_verifier v;
	struct dot_tx_verify_result res;
	struct dot_tx *tx = NULL;
	struct dot_err e = {0, ""};
	uint8_t rid[DOT_RID_LEN];

	setup();
	REQUIRE_RC(mint(5000, 4, &tok), DOT_OK);
	token_payload(&p, &tok);
	token_verifier(&v, 1200);

	/* inline token: the holder is known at parse */
	REQUIRE_RC(build_implicit(&p, 4, &b), DOT_OK);
	{
		static const int who[] = {4};
		REQUIRE_RC(build_tx(&p, who, 1, &full), DOT_OK);
		CHECK(full.len - b.len >= pk_lens[4]);
	}
	REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
	CHECK(tx->holder_implicit);
	CHECK(tx->sigs[0].pk_len == pk_lens[4] &&
	      memcmp(tx->sigs[0].pk, pks[4], pk_lens[4]) == 0);
	CHECK_RC(dot_tx_encode(tx, &c, &e), DOT_OK);
	CHECK(c.len == b.len && memcmp(c.data, b.data, b.len) == 0);
	CHECK_RC(dot_tx_check_signatures(tx, &e), DOT_OK);
	CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_OK);
	dot_tx_free(tx);
	tx = NULL;
	/* a stranger's signature under the holder's implicit key */
	dot_buf_free(&b);
	REQUIRE_RC(build_implicit(&p, 3, &b), DOT_OK);
	CHECK_RC(parse_verify(b.data, b.len, &v, &res, &e), DOT_ETX_SIGNATURE);

	/* by reference: unknown until attached; a claim lets the signature
	 * alone be checked; attach sets the real holder */
	ref_payload(&p, &tok, rid);
	dot_buf_free(&b);
	REQUIRE_RC(build_implicit(&p, 4, &b), DOT_OK);
	REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
	CHECK(tx->holder_implicit && tx->sigs[0].pk_len == 0);
	CHECK_RC(dot_tx_check_signatures(tx, &e), DOT_ETOKEN_UNKNOWN);
	CHECK_RC(dot_tx_claim_holder(tx, pks[3], pk_lens[3], &e), DOT_OK);
	CHECK_RC(dot_tx_check_signatures(tx, &e), DOT_ETX_SIGNATURE);
	tx->sigs[0].pk_len = 0; /* (a fresh parse, as a node would) */
	CHECK_RC(dot_tx_claim_holder(tx, pks[4], 3, &e), DOT_ETX_FORMAT);
	CHECK_RC(dot_tx_claim_holder(tx, pks[4], pk_lens[4], &e), DOT_OK);
	CHECK_RC(dot_tx_check_signatures(tx, &e), DOT_OK);
	dot_tx_free(tx);
	tx = NULL;
	REQUIRE_RC(dot_tx_parse(b.data, b.len, &tx, &e), DOT_OK);
	CHECK_RC(dot_tx_attach_token(tx, tok.data, tok.len, &e), DOT_OK);
	CHECK(tx->sigs[0].pk_len == pk_lens[4]);
	CHECK_RC(dot_tx_claim_holder(tx, pks[4], pk_lens[4], &e), DOT_EINVAL);
	CHECK_RC(dot_tx_verify(tx, &v, &res, &e), DOT_OK);
	dot_buf_free(&c);
	CHECK_RC(dot_tx_encode(tx, &c, &e), DOT_OK);
	CHECK(c.len == b.len && memcmp(c.data, b.data, b.len) == 0);
	dot_tx_free(tx);
	tx = NULL;

	/* not for an account tx, nor for one of two signatures */
	{
		struct dot_tx_payload q;

		make_payload(&q);
		dot_buf_free(&b);
		CHECK_RC(build_implicit(&q, 0, &b), DOT_ETX_FORMAT);
	}
	{
		struct dot_buf pl = {0};
		struct dot_tx_signature s1, s2;
		struct dot_tx_sig vv[2];

		token_payload(&p, &tok);
		REQUIRE_RC(dot_tx_payload_encode(&p, &pl, &e), DOT_OK);
		REQUIRE_RC(dot_tx_sign(keys[4], pl.data, pl.len, &s1, &e),
			   DOT_OK);
		REQUIRE_RC(dot_tx_sign(keys[3], pl.data, pl.len, &s2, &e),
			   DOT_OK);
		vv[0] = dot_tx_sig_of(&s1);
		vv[1] = dot_tx_sig_of(&s2);
		vv[0].pk_len = 0;
		dot_buf_free(&b);
		CHECK_RC(dot_tx_assemble(pl.data, pl.len, vv, 2, &b, &e),
			 DOT_ETX_FORMAT);
		/* a signature of the wrong length with the key left out */
		vv[0].sig_len--;
		CHECK_RC(dot_tx_assemble(pl.data, pl.len, vv, 1, &b, &e),
			 DOT_ETX_FORMAT);
		/* the parser holds the same rules: the first key emptied in
		 * the bytes of a two-signature tx */
		vv[0] = dot_tx_sig_of(&s1);
		dot_buf_free(&b);
		REQUIRE_RC(dot_tx_assemble(pl.data, pl.len, vv, 2, &b, &e),
			   DOT_OK);
		{
			size_t at = pl.len + 1 + 1 + 1; /* [, p, [, [ */
			struct dot_buf m = {0};

			/* b: 82 payload 82 82 <pk bstr> <sig bstr> ... */
			REQUIRE(b.data[pl.len + 1] == 0x82 &&
				b.data[pl.len + 2] == 0x82);
			at = pl.len + 3;
			dot_buf_put(&m, b.data, at);
			dot_enc_bstr(&m, NULL, 0);
			{
				size_t hl = pk_lens[4] < 24 ? 1
					    : pk_lens[4] < 256 ? 2
							       : 3;
				dot_buf_put(&m, b.data + at + hl + pk_lens[4],
					    b.len - at - hl - pk_lens[4]);
			}
			CHECK_RC(dot_tx_parse(m.data, m.len, &tx, &e),
				 DOT_ETX_FORMAT);
			CHECK(tx == NULL);
			dot_buf_free(&m);
		}
		dot_buf_free(&pl);
	}
	dot_buf_free(&tok);
	dot_buf_free(&b);
	dot_buf_free(&c);
	dot_buf_free(&full);
}

/* A delegated token: the new holder signs, the old one no longer can. */
static void
tx_token_delegated(void)
{
	struct dot_buf tok = {0}, tok2 = {0}, b = {0};
	struct dot_token *t = NULL;
	struct dot_token_caveats cav;
	struct dot_tx_payload p;
	struct dot_tx_verifier v;
	struct dot_err e = {0, ""};

	setup();
	REQUIRE_RC(mint(5000, 4, &tok), DOT_OK);
	REQUIRE_RC(dot_token_parse(tok.data, tok.len, &t, &e), DOT_OK);
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS;
	cav.rights = DOT_RIGHT_WRITE;
	REQUIRE_RC(dot_token_attenuate(t, keys[4], &cav, pks[3], pk_lens[3],
				       &tok2, &e),
		   DOT_OK);
	token_payload(&p, &tok2);
	token_verifier(&v, 1200);
	{
		static const int who[] = {3};
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e), DOT_OK);
		dot_buf_free(&b);
	}
	{
		static const int who[] = {4};
		REQUIRE_RC(build_tx(&p, who, 1, &b), DOT_OK);
		CHECK_RC(parse_verify(b.data, b.len, &v, NULL, &e),
			 DOT_ETOKEN_WRONG_HOLDER);
		dot_buf_free(&b);
	}
	dot_token_free(t);
	dot_buf_free(&tok);
	dot_buf_free(&tok2);
}

/* ---- receipts ---- */

static void
make_receipt(struct dot_receipt *r, struct dot_tx_objver *vers)
{
	memset(r, 0, sizeof(*r));
	memset(r->tx_id, 0x5a, DOT_TX_ID_LEN);
	memset(vers[0].id, 0x22, DOT_OBJECT_ID_LEN);
	vers[0].version = 1;
	memset(vers[1].id, 0x33, DOT_OBJECT_ID_LEN);
	vers[1].version = 8;
	r->versions = vers;
	r->nversions = 2;
	r->ledger_index = 4242;
	r->entry_time = 1700000123;
	r->detail = "created";
	r->detail_len = 7;
}

static void
receipt_roundtrip(void)
{
	struct dot_tx_objver vers[2];
	struct dot_receipt r, *q = NULL;
	struct dot_buf a = {0}, b = {0};
	struct dot_err e = {0, ""};
	uint8_t h[DOT_HASH_LEN], plain[DOT_HASH_LEN];

	setup();
	make_receipt(&r, vers);
	REQUIRE_RC(dot_receipt_encode(&r, &a, &e), DOT_OK);
	REQUIRE_RC(dot_receipt_parse(a.data, a.len, &q, &e), DOT_OK);
	CHECK_MEM(q->tx_id, r.tx_id, DOT_TX_ID_LEN);
	CHECK(q->status == DOT_OK);
	CHECK(q->nversions == 2);
	CHECK(q->versions[1].version == 8);
	CHECK_MEM(q->versions[1].id, vers[1].id, DOT_OBJECT_ID_LEN);
	CHECK(q->ledger_index == 4242);
	CHECK(q->entry_time == 1700000123);
	CHECK(q->detail_len == 7 && memcmp(q->detail, "created", 7) == 0);
	CHECK(q->len == a.len);
	REQUIRE_RC(dot_receipt_encode(q, &b, &e), DOT_OK);
	CHECK(a.len == b.len);
	CHECK_MEM(a.data, b.data, a.len);
	dot_receipt_hash(a.data, a.len, h);
	dot_hash(plain, a.data, a.len);
	CHECK(memcmp(h, plain, sizeof(h)) != 0);
	{
		uint8_t cat[512];
		REQUIRE(a.len + 14 <= sizeof(cat));
		memcpy(cat, "dot-receipt-v1", 14);
		memcpy(cat + 14, a.data, a.len);
		dot_hash(plain, cat, 14 + a.len);
		CHECK_MEM(h, plain, sizeof(h));
	}
	dot_receipt_free(q);
	dot_receipt_free(NULL);
	dot_buf_free(&a);
	dot_buf_free(&b);

	/* A failure: status, no versions, no detail. */
	r.status = DOT_ETX_EXPIRED;
	r.nversions = 0;
	r.detail = NULL;
	r.detail_len = 0;
	REQUIRE_RC(dot_receipt_encode(&r, &a, &e), DOT_OK);
	REQUIRE_RC(dot_receipt_parse(a.data, a.len, &q, &e), DOT_OK);
	CHECK(q->status == DOT_ETX_EXPIRED);
	CHECK(q->nversions == 0 && q->detail == NULL);
	REQUIRE_RC(dot_receipt_encode(q, &b, &e), DOT_OK);
	CHECK(a.len == b.len);
	CHECK_MEM(a.data, b.data, a.len);
	dot_receipt_free(q);
	dot_buf_free(&a);
	dot_buf_free(&b);
}

/* Receipt bytes with key k replaced (v NULL: removed). */
static int
receipt_with(uint64_t k, struct dot_buf *v)
{
	struct dot_tx_objver vers[2];
	struct dot_receipt r, *q = NULL;
	struct dot_buf base = {0}, out = {0};
	struct dot_dec d;
	struct dot_err e = {0, ""};
	uint64_t np, key;
	int rv, done = 0;

	make_receipt(&r, vers);
	if (dot_receipt_encode(&r, &base, &e) != DOT_OK ||
	    dot_dec_init(&d, base.data, base.len, NULL, &e) != DOT_OK ||
	    dot_dec_map(&d, &np) != DOT_OK)
		abort();
	{
		/* Collect, replace, re-emit in key order. */
		uint64_t keys_[10];
		const uint8_t *vp[10];
		size_t vn[10], n = 0;
		for (uint64_t i = 0; i < np; i++) {
			const uint8_t *ip;
			size_t in;
			if (dot_dec_uint(&d, &key) != DOT_OK ||
			    dot_dec_item(&d, &ip, &in) != DOT_OK)
				abort();
			if (!done && key >= k) {
				if (v != NULL) {
					keys_[n] = k;
					vp[n] = v->data;
					vn[n++] = v->len;
				}
				done = 1;
				if (key == k)
					continue;
			}
			keys_[n] = key;
			vp[n] = ip;
			vn[n++] = in;
		}
		if (!done && v != NULL) {
			keys_[n] = k;
			vp[n] = v->data;
			vn[n++] = v->len;
		}
		dot_enc_map(&out, n);
		for (size_t i = 0; i < n; i++) {
			dot_enc_uint(&out, keys_[i]);
			dot_enc_raw(&out, vp[i], vn[i]);
		}
	}
	e.msg[0] = '\0';
	rv = dot_receipt_parse(out.data, out.len, &q, &e);
	if (rv != DOT_OK && (q != NULL || e.msg[0] == '\0'))
		rv = -1;
	dot_receipt_free(q);
	dot_buf_free(&base);
	dot_buf_free(&out);
	dot_buf_free(v);
	return rv;
}

static void
receipt_strict(void)
{
	struct dot_buf v;
	struct dot_tx_objver vers[2];
	struct dot_receipt r, *q = NULL;
	struct dot_buf b = {0};
	struct dot_err e = {0, ""};
	char detail[DOT_RECEIPT_MAX_DETAIL + 1];

	setup();
	CHECK_RC(receipt_with(5, v_uint(&v, 1)), DOT_OK);
	CHECK_RC(receipt_with(1, v_uint(&v, 2)), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(1, NULL), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(2, v_bstr(&v, 31, 1)), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(2, v_tstr(&v, "id")), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(3, v_int(&v, -1)), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(3, v_uint(&v, 1ull << 40)),
		 DOT_ERECEIPT_FORMAT);
	/* a failed status with new versions */
	CHECK_RC(receipt_with(3, v_uint(&v, DOT_ETX_EXPIRED)),
		 DOT_ERECEIPT_FORMAT);
	{
		uint8_t ids[2] = {2, 1};
		uint64_t vs[2] = {1, 1};
		CHECK_RC(receipt_with(4, v_consumed(&v, 2, ids, vs)),
			 DOT_ERECEIPT_FORMAT);
		ids[0] = 1;
		CHECK_RC(receipt_with(4, v_consumed(&v, 2, ids, vs)),
			 DOT_ERECEIPT_FORMAT);
		ids[1] = 2;
		CHECK_RC(receipt_with(4, v_consumed(&v, 2, ids, vs)), DOT_OK);
	}
	CHECK_RC(receipt_with(4, NULL), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(5, v_tstr(&v, "1")), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(6, NULL), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(7, NULL), DOT_OK);
	CHECK_RC(receipt_with(7, v_tstr(&v, "")), DOT_ERECEIPT_FORMAT);
	CHECK_RC(receipt_with(7, v_bstr(&v, 3, 'a')), DOT_ERECEIPT_FORMAT);
	memset(detail, 'd', sizeof(detail));
	detail[DOT_RECEIPT_MAX_DETAIL] = '\0';
	CHECK_RC(receipt_with(7, v_tstr(&v, detail)), DOT_OK);
	{
		/* 257 bytes: the codec's string limit refuses it */
		struct dot_buf w = {0};
		char big[DOT_RECEIPT_MAX_DETAIL + 1];
		memset(big, 'd', sizeof(big));
		dot_enc_tstr(&w, big, sizeof(big));
		CHECK(receipt_with(7, &w) != DOT_OK);
	}
	CHECK_RC(receipt_with(8, v_uint(&v, 0)), DOT_ERECEIPT_FORMAT);

	/* The encoder. */
	make_receipt(&r, vers);
	r.detail = "\xff\xfe";
	r.detail_len = 2;
	CHECK_RC(dot_receipt_encode(&r, &b, &e), DOT_ECODEC_UTF8);
	CHECK(b.len == 0);
	make_receipt(&r, vers);
	r.detail_len = DOT_RECEIPT_MAX_DETAIL + 1;
	r.detail = detail;
	CHECK_RC(dot_receipt_encode(&r, &b, &e), DOT_ERECEIPT_FORMAT);
	make_receipt(&r, vers);
	r.status = DOT_ETX_SIGNATURE;
	CHECK_RC(dot_receipt_encode(&r, &b, &e), DOT_ERECEIPT_FORMAT);
	make_receipt(&r, vers);
	vers[1] = vers[0];
	CHECK_RC(dot_receipt_encode(&r, &b, &e), DOT_ERECEIPT_FORMAT);
	make_receipt(&r, vers);
	r.status = -1;
	CHECK_RC(dot_receipt_encode(&r, &b, &e), DOT_ERECEIPT_FORMAT);
	CHECK(b.len == 0);
	CHECK_RC(dot_receipt_parse(NULL, 0, &q, &e), DOT_ERECEIPT_FORMAT);
	CHECK_RC(dot_receipt_parse((const uint8_t *)"\xa0", 1, &q, &e),
		 DOT_ERECEIPT_FORMAT);
	CHECK_RC(dot_receipt_parse((const uint8_t *)"\x80", 1, &q, &e),
		 DOT_ERECEIPT_FORMAT);
	CHECK_RC(dot_receipt_parse((const uint8_t *)"\xa1", 1, &q, &e),
		 DOT_ECODEC_TRUNCATED);
	CHECK(q == NULL);
	dot_buf_free(&b);
}

/* ---- allocation failures ---- */

static long heap_budget; /* allocations left; < 0: unlimited */
static long heap_live;

static void *
fail_malloc(void *data, size_t n)
{
	void *p;

	(void)data;
	if (heap_budget == 0)
		return NULL;
	if (heap_budget > 0)
		heap_budget--;
	p = malloc(n);
	if (p)
		heap_live++;
	return p;
}

static void *
fail_realloc(void *data, void *p, size_t n)
{
	void *q;

	(void)data;
	if (heap_budget == 0)
		return NULL;
	if (heap_budget > 0)
		heap_budget--;
	q = realloc(p, n);
	if (q && p == NULL)
		heap_live++;
	return q;
}

static void
fail_free(void *data, void *p)
{
	(void)data;
	if (p)
		heap_live--;
	free(p);
}

static const struct dot_heap failing_heap = {NULL, fail_malloc,
					     fail_realloc, fail_free};

/* Parse b with the Nth allocation failing, for every N until success. */
static void
heap_sweep(const struct dot_buf *b, int receipt)
{
	struct dot_err e = {0, ""};
	int rv = DOT_ENOMEM, failures = 0;

	for (long n = 0; n < 64 && rv == DOT_ENOMEM; n++) {
		heap_budget = n;
		heap_live = 0;
		dot_heap_set(&failing_heap);
		if (receipt) {
			struct dot_receipt *r = NULL;
			rv = dot_receipt_parse(b->data, b->len, &r, &e);
			CHECK((rv == DOT_OK) == (r != NULL));
			dot_receipt_free(r);
		} else {
			struct dot_tx *tx = NULL;
			rv = dot_tx_parse(b->data, b->len, &tx, &e);
			CHECK((rv == DOT_OK) == (tx != NULL));
			dot_tx_free(tx);
		}
		dot_heap_set(NULL);
		CHECK(heap_live == 0);
		CHECK(rv == DOT_OK || rv == DOT_ENOMEM);
		if (rv == DOT_ENOMEM)
			failures++;
	}
	CHECK_RC(rv, DOT_OK);
	CHECK(failures >= 1);
}

static void
heap_failures(void)
{
	static const int who[] = {0, 1};
	struct dot_tx_payload p;
	struct dot_buf b = {0}, tok = {0};
	struct dot_tx_objver vers[2];
	struct dot_receipt r;
	struct dot_err e = {0, ""};

	setup();
	make_payload(&p);
	REQUIRE_RC(build_tx(&p, who, 2, &b), DOT_OK);
	heap_sweep(&b, 0);
	dot_buf_free(&b);

	make_receipt(&r, vers);
	REQUIRE_RC(dot_receipt_encode(&r, &b, &e), DOT_OK);
	heap_sweep(&b, 1);
	dot_buf_free(&b);

	/* A token tx allocates inside the token parser too. */
	REQUIRE_RC(mint(5000, 4, &tok), DOT_OK);
	token_payload(&p, &tok);
	{
		static const int holder[] = {4};
		REQUIRE_RC(build_tx(&p, holder, 1, &b), DOT_OK);
	}
	heap_sweep(&b, 0);
	dot_buf_free(&b);
	dot_buf_free(&tok);
}


/* The verified-signature cache: results equal with and without it; a
 * cached good signature never vouches for another signature; a failed
 * check is never cached. */
static void
sig_cache_equals_cold(void)
{
	struct dot_tx_payload p;
	struct dot_buf good = {0}, forged = {0};
	struct dot_tx *tx = NULL, *ftx = NULL;
	struct dot_tx_verifier v;
	struct dot_token_cache *cache = NULL;
	struct dot_err e = {0, ""};
	const int two[] = {0, 1};

	setup();
	make_payload(&p);
	REQUIRE_RC(build_tx(&p, two, 2, &good), DOT_OK);
	REQUIRE_RC(dot_tx_parse(good.data, good.len, &tx, &e), DOT_OK);
	REQUIRE_RC(dot_tx_check_signatures(tx, &e), DOT_OK);
	REQUIRE_RC(dot_token_cache_new(&cache, 64), DOT_OK);
	account_verifier(&v, 1200);
	CHECK_RC(dot_tx_verify(tx, &v, NULL, &e), DOT_OK);
	v.sig_cache = cache;
	dot_tx_sig_cache_add(cache, tx);
	CHECK_RC(dot_tx_verify(tx, &v, NULL, &e), DOT_OK);
	/* every other check still runs on a cached tx */
	v.now = 1600;
	CHECK_RC(dot_tx_verify(tx, &v, NULL, &e), DOT_ETX_EXPIRED);
	v.now = 1200;
	/* the same tx with one signature byte changed: refused, cache or not */
	dot_buf_put(&forged, good.data, good.len);
	forged.data[forged.len - 3] ^= 0x40;
	REQUIRE_RC(dot_tx_parse(forged.data, forged.len, &ftx, &e), DOT_OK);
	CHECK_RC(dot_tx_check_signatures(ftx, &e), DOT_ETX_SIGNATURE);
	CHECK_RC(dot_tx_verify(ftx, &v, NULL, &e), DOT_ETX_SIGNATURE);
	v.sig_cache = NULL;
	CHECK_RC(dot_tx_verify(ftx, &v, NULL, &e), DOT_ETX_SIGNATURE);
	/* in two steps (keys hashed on a worker, inserted by the cache's
	 * thread): the same keys, one per signature; the forged tx's
	 * changed signature has another key, so it gains nothing */
	{
		struct dot_tx_sig_keys k, fk;
		struct dot_token_cache *c2 = NULL;
		struct dot_token_cache_stats s;

		dot_tx_sig_keys(tx, &k);
		dot_tx_sig_keys(ftx, &fk);
		CHECK(k.n == 2 && fk.n == 2);
		CHECK(memcmp(k.key[0], fk.key[0], DOT_HASH_LEN) == 0);
		CHECK(memcmp(k.key[1], fk.key[1], DOT_HASH_LEN) != 0);
		REQUIRE_RC(dot_token_cache_new(&c2, 64), DOT_OK);
		dot_tx_sig_cache_add_keys(c2, &k);
		dot_token_cache_stats(c2, &s);
		CHECK(s.entries == 2);
		v.sig_cache = c2;
		CHECK_RC(dot_tx_verify(tx, &v, NULL, &e), DOT_OK);
		CHECK_RC(dot_tx_verify(ftx, &v, NULL, &e), DOT_ETX_SIGNATURE);
		/* and nothing was added by the refusal or the hits */
		dot_token_cache_stats(c2, &s);
		CHECK(s.entries == 2);
		v.sig_cache = NULL;
		dot_token_cache_free(c2);
	}
	dot_tx_free(tx);
	dot_tx_free(ftx);
	dot_token_cache_free(cache);
	dot_buf_free(&good);
	dot_buf_free(&forged);
}

T_MAIN(T_CASE(payload_roundtrip), T_CASE(payload_known_bytes),
       T_CASE(payload_strict), T_CASE(payload_encode_strict),
       T_CASE(sig_cache_equals_cold),
       T_CASE(tx_roundtrip), T_CASE(tx_strict), T_CASE(tx_every_byte),
       T_CASE(tx_window), T_CASE(tx_cluster), T_CASE(tx_account),
       T_CASE(account_split), T_CASE(tx_token), T_CASE(tx_token_ref),
       T_CASE(tx_implicit_holder),
       T_CASE(tx_token_delegated),
       T_CASE(receipt_roundtrip), T_CASE(receipt_strict),
       T_CASE(heap_failures))
