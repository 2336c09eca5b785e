/*
 * test_state.c - the state machine: genesis, files and directories,
 * accounts, the authorization matrix, versions (eUTXO), duplicates,
 * determinism over random logs.
 */
#include <sqlite3.h>

#include "doteros/codec.h"
#include "doteros/state.h"
#include "harness.h"
#include "../../lib/state/state_int.h" /* the replay set (txset.c) */

#define T0 1800000000u

static const uint8_t CLUSTER[DOT_CLUSTER_ID_LEN] = {0xc1, 0x05, 0x7e, 0x12};

struct key {
	struct dot_sign_sk *sk;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
};

/* N1..N4: node keys; I1..I4: invite keys (docs/decisions/0017). */
/* H*: composite (ed25519+ml-dsa-65) keys, for the hybrid policy. */
enum { ADMIN, ALICE, BOB, CAROL, M1, M2, M3, N1, N2, N3, N4, I1, I2, I3, I4,
       HADMIN, HALICE, HBOB, HN1, HN2, HI1, NKEYS };
static struct key K[NKEYS];

static void
keys_init(void)
{
	static int done;

	if (done)
		return;
	if (dot_crypto_init() != DOT_OK)
		abort();
	for (int i = 0; i < NKEYS; i++) {
		uint8_t seed[32];
		memset(seed, 0x60 + i, sizeof(seed));
		if (dot_sign_sk_from_seed(&K[i].sk,
					  i >= HADMIN
						  ? DOT_SUITE_ED25519_MLDSA65
						  : DOT_SUITE_ED25519,
					  seed) != DOT_OK)
			abort();
		K[i].pklen = dot_sign_sk_public(K[i].sk, K[i].pk);
	}
	done = 1;
}

/* A node's state over an in-memory database, with its position. */
struct node {
	sqlite3 *db;
	struct dot_state *st;
	uint64_t index;
	uint64_t time;
	uint64_t nonce;
};

/* with_node: the genesis names node N1 (raft 10.0.0.1:7401, API
 * 10.0.0.1:7400) as the first voter. */
static void
node_open_g(struct node *n, int with_node)
{
	struct dot_err e = {0};
	struct dot_tx_level_key ak = {0};
	struct dot_buf g = {0}, r = {0};
	int rv;

	keys_init();
	memset(n, 0, sizeof(*n));
	if (sqlite3_open(":memory:", &n->db) != SQLITE_OK ||
	    dot_state_open(n->db, &n->st, &e) != DOT_OK) {
		printf("# open: %s\n", e.msg);
		abort();
	}
	ak.pk = K[ADMIN].pk;
	ak.pk_len = K[ADMIN].pklen;
	ak.weight = 1;
	n->time = T0;
	rv = with_node ? dot_state_genesis_encode_node(
			     CLUSTER, "admin", &ak, 1, 1, K[N1].pk, K[N1].pklen,
			     "10.0.0.1:7401", "10.0.0.1:7400", &g, &e)
		       : dot_state_genesis_encode(CLUSTER, "admin", &ak, 1, 1,
						  &g, &e);
	if (rv != DOT_OK ||
	    dot_state_apply(n->st, 1, n->time, g.data, g.len, &r, &e) !=
		    DOT_OK) {
		printf("# genesis: %s\n", e.msg);
		abort();
	}
	n->index = 1;
	dot_buf_free(&g);
	dot_buf_free(&r);
}

static void
node_open(struct node *n)
{
	node_open_g(n, 0);
}

static void
node_close(struct node *n)
{
	dot_state_close(n->st);
	sqlite3_close(n->db);
}

/* What a tx is: op, args, authority and signers. */
struct txspec {
	const char *op;
	const struct dot_buf *args;
	const char *account; /* "name@level", or NULL for a token */
	const struct dot_buf *token;
	const uint8_t *token_ref; /* with token NULL: [3, this rid] */
	int implicit;             /* the one signature leaves its key out */
	int signers[4];
	size_t nsigners;
	const struct dot_tx_objver *consumed;
	size_t nconsumed;
	uint64_t nonce;
};

static void
build_tx(struct node *n, const struct txspec *t, struct dot_buf *out)
{
	struct dot_tx_payload p;
	struct dot_tx_signature sigs[4];
	struct dot_tx_sig views[4];
	struct dot_buf pl = {0};
	struct dot_err e = {0};

	memset(&p, 0, sizeof(p));
	p.op = t->op;
	p.op_len = strlen(t->op);
	p.args = t->args->data;
	p.args_len = t->args->len;
	for (size_t i = 0; i < t->nconsumed; i++)
		p.consumed[i] = t->consumed[i];
	p.nconsumed = t->nconsumed;
	if (t->account) {
		const char *at = strchr(t->account, '@');
		p.auth_kind = DOT_TX_AUTH_ACCOUNT;
		p.account = t->account;
		p.account_len = (size_t)(at - t->account);
		p.level = at + 1;
		p.level_len = strlen(at + 1);
	} else if (t->token_ref != NULL) {
		p.auth_kind = DOT_TX_AUTH_TOKEN_REF;
		p.token_ref = t->token_ref;
	} else {
		p.auth_kind = DOT_TX_AUTH_TOKEN;
		p.token = t->token->data;
		p.token_len = t->token->len;
	}
	memcpy(p.nonce, &t->nonce, sizeof(t->nonce));
	p.not_before = n->time - 10;
	p.not_after = n->time + 600;
	p.has_cluster = 1;
	memcpy(p.cluster_id, CLUSTER, DOT_CLUSTER_ID_LEN);
	if (dot_tx_payload_encode(&p, &pl, &e) != DOT_OK) {
		printf("# payload: %s\n", e.msg);
		abort();
	}
	for (size_t i = 0; i < t->nsigners; i++) {
		if (dot_tx_sign(K[t->signers[i]].sk, pl.data, pl.len, &sigs[i],
				&e) != DOT_OK)
			abort();
		views[i] = dot_tx_sig_of(&sigs[i]);
	}
	if (t->implicit)
		views[0].pk_len = 0;
	if (dot_tx_assemble(pl.data, pl.len, views, t->nsigners, out, &e) !=
	    DOT_OK) {
		printf("# assemble: %s\n", e.msg);
		abort();
	}
	dot_buf_free(&pl);
}

/* Apply one entry of txs; return the status of tx `which` (and its new
 * versions in *ver if given). */
static int statuses[16]; /* every receipt's status of the last apply */

static int
apply_txs(struct node *n, struct dot_buf *txs, size_t count, size_t which,
	  struct dot_tx_objver *ver, char *detail)
{
	const uint8_t *ptrs[16];
	size_t lens[16];
	struct dot_buf entry = {0}, rec = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	uint64_t nr;
	int status = -1;

	for (size_t i = 0; i < count; i++) {
		ptrs[i] = txs[i].data;
		lens[i] = txs[i].len;
	}
	if (dot_state_batch_encode(ptrs, lens, count, &entry, &e) != DOT_OK)
		abort();
	n->index++;
	n->time++;
	if (dot_state_apply(n->st, n->index, n->time, entry.data, entry.len,
			    &rec, &e) != DOT_OK) {
		printf("# apply: %s\n", e.msg);
		abort();
	}
	if (dot_dec_init(&d, rec.data, rec.len, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &nr) != DOT_OK || nr != count)
		abort();
	for (size_t i = 0; i < count; i++) {
		const uint8_t *p;
		size_t len;
		struct dot_receipt *r;

		if (dot_dec_bstr(&d, &p, &len) != DOT_OK ||
		    dot_receipt_parse(p, len, &r, &e) != DOT_OK)
			abort();
		statuses[i] = r->status;
		if (i == which) {
			status = r->status;
			if (ver && r->nversions > 0)
				*ver = r->versions[0];
			if (detail) {
				memcpy(detail, r->detail ? r->detail : "",
				       r->detail_len);
				detail[r->detail_len] = '\0';
			}
		}
		dot_receipt_free(r);
	}
	dot_buf_free(&entry);
	dot_buf_free(&rec);
	return status;
}

/* Build, apply alone, return status. */
static int
run(struct node *n, const struct txspec *t, struct dot_tx_objver *ver)
{
	struct dot_buf tx = {0};
	struct txspec c = *t;
	char detail[300];
	int rv;

	c.nonce = ++n->nonce;
	build_tx(n, &c, &tx);
	rv = apply_txs(n, &tx, 1, 0, ver, detail);
	if (rv != DOT_OK && getenv("T_VERBOSE"))
		printf("# %s: %s (%s)\n", t->op, dot_errname(rv), detail);
	dot_buf_free(&tx);
	return rv;
}

/* ---- argument builders ---- */

static void
a_path(struct dot_buf *b, const char *path)
{
	b->len = 0;
	dot_enc_map(b, 1);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, path, strlen(path));
}

static void
a_put(struct dot_buf *b, const char *path, const void *data, size_t n)
{
	b->len = 0;
	dot_enc_map(b, 2);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, path, strlen(path));
	dot_enc_uint(b, 2);
	dot_enc_bstr(b, data, n);
}

static void
a_mv(struct dot_buf *b, const char *from, const char *to)
{
	b->len = 0;
	dot_enc_map(b, 2);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, from, strlen(from));
	dot_enc_uint(b, 2);
	dot_enc_tstr(b, to, strlen(to));
}

static void
a_account(struct dot_buf *b, const char *name, const int *keys, size_t nk,
	  uint64_t threshold)
{
	b->len = 0;
	dot_enc_map(b, 3);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, name, strlen(name));
	dot_enc_uint(b, 2);
	dot_enc_array(b, nk);
	for (size_t i = 0; i < nk; i++) {
		dot_enc_array(b, 2);
		dot_enc_bstr(b, K[keys[i]].pk, K[keys[i]].pklen);
		dot_enc_uint(b, 1);
	}
	dot_enc_uint(b, 3);
	dot_enc_uint(b, threshold);
}

static void
a_recv(struct dot_buf *b, const char *mb, const uint8_t id[16])
{
	b->len = 0;
	dot_enc_map(b, 2);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, mb, strlen(mb));
	dot_enc_uint(b, 2);
	dot_enc_bstr(b, id, 16);
}

static void
a_revoke(struct dot_buf *b, const struct dot_buf *tok, uint64_t block)
{
	b->len = 0;
	dot_enc_map(b, 2);
	dot_enc_uint(b, 1);
	dot_enc_bstr(b, tok->data, tok->len);
	dot_enc_uint(b, 2);
	dot_enc_uint(b, block);
}

static struct txspec
as(const char *account, int signer, const char *op, const struct dot_buf *a)
{
	struct txspec t;

	memset(&t, 0, sizeof(t));
	t.op = op;
	t.args = a;
	t.account = account;
	t.signers[0] = signer;
	t.nsigners = 1;
	return t;
}

static struct txspec
with_token(const struct dot_buf *tok, int holder, const char *op,
	   const struct dot_buf *a)
{
	struct txspec t = as(NULL, holder, op, a);

	t.token = tok;
	return t;
}

static struct dot_state_reader
admin_reader(void)
{
	struct dot_state_reader r;

	memset(&r, 0, sizeof(r));
	r.account = "admin";
	return r;
}

static int
cat(struct node *n, const char *path, struct dot_buf *out)
{
	struct dot_state_reader r = admin_reader();
	struct dot_err e = {0};

	out->len = 0;
	return dot_state_read(n->st, path, &r, out, &e);
}

/* ---- tests ---- */

static void
test_genesis_and_files(void)
{
	struct node n;
	struct dot_buf a = {0}, out = {0};
	struct dot_state_stat s;
	struct dot_state_reader r = admin_reader();
	struct dot_err e = {0};
	struct txspec t;
	uint64_t idx, tm;

	node_open(&n);
	dot_state_position(n.st, &idx, &tm);
	CHECK(idx == 1 && tm == T0);
	REQUIRE_RC(dot_state_stat(n.st, "/", &r, &s, &e), DOT_OK);
	CHECK(s.kind == DOT_OBJ_DIR && strcmp(s.owner, "admin") == 0);

	a_path(&a, "/home");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_EXISTS);
	a_put(&a, "/home/hello.txt", "hello", 5);
	t = as("admin@active", ADMIN, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(cat(&n, "/home/hello.txt", &out), DOT_OK);
	CHECK(out.len == 5 && memcmp(out.data, "hello", 5) == 0);
	a_put(&a, "/home/hello.txt", ", world", 7);
	t = as("admin@active", ADMIN, "fs.append", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(cat(&n, "/home/hello.txt", &out), DOT_OK);
	CHECK(out.len == 12 && memcmp(out.data, "hello, world", 12) == 0);
	REQUIRE_RC(dot_state_stat(n.st, "/home/hello.txt", &r, &s, &e),
		   DOT_OK);
	CHECK(s.version == 2 && s.size == 12);
	/* put into a missing directory, mkdir over a file */
	a_put(&a, "/nope/x", "x", 1);
	t = as("admin@active", ADMIN, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_NOT_FOUND);
	a_put(&a, "/home/hello.txt/x", "x", 1);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_NOT_DIR);
	/* rm a non-empty directory refused; rm the file then the dir */
	a_path(&a, "/home");
	t = as("admin@active", ADMIN, "fs.rm", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_NOT_EMPTY);
	a_path(&a, "/home/hello.txt");
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	CHECK_RC(cat(&n, "/home/hello.txt", &out), DOT_ESTATE_NOT_FOUND);
	a_path(&a, "/home");
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	a_path(&a, "/");
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_KIND);
	/* unknown op, bad args */
	t = as("admin@active", ADMIN, "fs.frobnicate", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_OP);
	a_path(&a, "relative");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_ARGS);
	dot_buf_free(&a);
	dot_buf_free(&out);
	node_close(&n);
}

static void
test_large_file_chunks(void)
{
	struct node n;
	struct dot_buf a = {0}, out = {0};
	struct txspec t;
	size_t big = 3 * DOT_STATE_CHUNK + 1234;
	uint8_t *data = malloc(big + 5000);
	sqlite3_stmt *s;
	int chunks = -1;

	REQUIRE(data != NULL);
	{
		uint64_t seed = 42;
		for (size_t i = 0; i < big + 5000; i++)
			data[i] = (uint8_t)t_rand(&seed);
	}
	node_open(&n);
	a_put(&a, "/big", data, big);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(cat(&n, "/big", &out), DOT_OK);
	CHECK(out.len == big && memcmp(out.data, data, big) == 0);
	/* append across the partial last chunk */
	a_put(&a, "/big", data + big, 5000);
	t = as("admin@active", ADMIN, "fs.append", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(cat(&n, "/big", &out), DOT_OK);
	CHECK(out.len == big + 5000 && memcmp(out.data, data, big + 5000) == 0);
	/* four chunks stored, no orphan */
	REQUIRE(sqlite3_prepare_v2(n.db, "SELECT count(*) FROM chunks", -1, &s,
				   NULL) == SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		chunks = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	CHECK(chunks == 4);
	/* rm frees every chunk */
	a_path(&a, "/big");
	t = as("admin@active", ADMIN, "fs.rm", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE(sqlite3_prepare_v2(n.db, "SELECT count(*) FROM chunks", -1, &s,
				   NULL) == SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		chunks = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	CHECK(chunks == 0);
	free(data);
	dot_buf_free(&a);
	dot_buf_free(&out);
	node_close(&n);
}

static int
count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Content of at most DOT_STATE_INLINE bytes lives in the object row; one
 * byte more goes to chunks; appends cross the boundary both ways right. */
static void
test_inline_content(void)
{
	struct node n;
	struct dot_buf a = {0}, out = {0};
	struct txspec t;
	uint8_t data[2 * DOT_STATE_INLINE + 10];
	uint64_t seed = 7;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)t_rand(&seed);
	node_open(&n);
	/* exactly the limit: inline, no chunk */
	a_put(&a, "/small", data, DOT_STATE_INLINE);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK(count_rows(n.db, "SELECT count(*) FROM chunks") == 0);
	/* a CBOR byte string (head 59 0c 00), not a chunk list */
	CHECK(count_rows(n.db, "SELECT count(*) FROM objects WHERE path ="
			       " '/small' AND substr(content, 1, 3) ="
			       " x'590c00'") == 1);
	REQUIRE_RC(cat(&n, "/small", &out), DOT_OK);
	CHECK(out.len == DOT_STATE_INLINE &&
	      memcmp(out.data, data, DOT_STATE_INLINE) == 0);
	/* an empty file is inline too */
	a_put(&a, "/empty", data, 0);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(cat(&n, "/empty", &out), DOT_OK);
	CHECK(out.len == 0);
	CHECK(count_rows(n.db, "SELECT count(*) FROM chunks") == 0);
	/* one byte over: one chunk */
	a_put(&a, "/over", data, DOT_STATE_INLINE + 1);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK(count_rows(n.db, "SELECT count(*) FROM chunks") == 1);
	REQUIRE_RC(cat(&n, "/over", &out), DOT_OK);
	CHECK(out.len == DOT_STATE_INLINE + 1 &&
	      memcmp(out.data, data, DOT_STATE_INLINE + 1) == 0);
	/* an append that stays inline, then one that crosses to chunks */
	a_put(&a, "/empty", data, 10);
	t = as("admin@active", ADMIN, "fs.append", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK(count_rows(n.db, "SELECT count(*) FROM chunks") == 1);
	a_put(&a, "/empty", data + 10, DOT_STATE_INLINE);
	t = as("admin@active", ADMIN, "fs.append", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK(count_rows(n.db, "SELECT count(*) FROM chunks") == 2);
	REQUIRE_RC(cat(&n, "/empty", &out), DOT_OK);
	CHECK(out.len == DOT_STATE_INLINE + 10 &&
	      memcmp(out.data, data, DOT_STATE_INLINE + 10) == 0);
	/* a chunked file appended to stays chunked and reads back whole */
	a_put(&a, "/empty", data + 10 + DOT_STATE_INLINE, DOT_STATE_INLINE);
	t = as("admin@active", ADMIN, "fs.append", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(cat(&n, "/empty", &out), DOT_OK);
	CHECK(out.len == 2 * DOT_STATE_INLINE + 10 &&
	      memcmp(out.data, data, 2 * DOT_STATE_INLINE + 10) == 0);
	/* replacing chunked content with small content frees its chunk */
	a_put(&a, "/over", data, 5);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK(count_rows(n.db, "SELECT count(*) FROM chunks") == 1);
	REQUIRE_RC(cat(&n, "/over", &out), DOT_OK);
	CHECK(out.len == 5 && memcmp(out.data, data, 5) == 0);
	/* damaged inline content is a storage error, not a wrong answer */
	REQUIRE(sqlite3_exec(n.db, "UPDATE objects SET content = x'45'"
				   " WHERE path = '/small'",
			     NULL, NULL, NULL) == SQLITE_OK);
	CHECK_RC(cat(&n, "/small", &out), DOT_ESTATE_STORAGE);
	dot_buf_free(&a);
	dot_buf_free(&out);
	node_close(&n);
}

static int
count_txs(struct node *n)
{
	return count_rows(n->db, "SELECT count(*) FROM txs");
}

/* A database written with another layout is refused on open, with a
 * message that says what to do. */
static void
test_layout_checked(void)
{
	struct node n;
	struct dot_state *st2 = NULL;
	struct dot_err e = {0};

	node_open(&n);
	REQUIRE(sqlite3_exec(n.db, "UPDATE meta SET v = x'01' WHERE k ="
				   " 'layout'",
			     NULL, NULL, NULL) == SQLITE_OK);
	CHECK_RC(dot_state_open(n.db, &st2, &e), DOT_ESTATE_STORAGE);
	CHECK(strstr(e.msg, "layout 1") != NULL &&
	      strstr(e.msg, "rebuilds it from its log") != NULL);
	REQUIRE(sqlite3_exec(n.db, "DELETE FROM meta WHERE k = 'layout'",
			     NULL, NULL, NULL) == SQLITE_OK);
	CHECK_RC(dot_state_open(n.db, &st2, &e), DOT_ESTATE_STORAGE);
	CHECK(st2 == NULL);
	node_close(&n);
}

/* The replay set against a sorted reference, through growth, shrinking,
 * wrap-around runs and backward-shift deletion. */
static void
test_txset_model(void)
{
	enum { UNIVERSE = 3000 };
	static uint8_t ids[UNIVERSE][DOT_TX_ID_LEN];
	static char in[UNIVERSE];
	struct txset set;
	uint64_t seed = 99;
	size_t n = 0, bad = 0;

	REQUIRE_RC(txset_init(&set), DOT_OK);
	for (size_t i = 0; i < UNIVERSE; i++)
		for (size_t j = 0; j < DOT_TX_ID_LEN; j++)
			ids[i][j] = (uint8_t)t_rand(&seed);
	memset(in, 0, sizeof(in));
	for (int round = 0; round < 60000; round++) {
		/* phases: mostly adds, then mostly deletes, so the table
		 * grows past the minimum and shrinks back */
		int adding = (round / 15000) % 2 == 0;
		size_t k = (size_t)(t_rand(&seed) % UNIVERSE);
		uint64_t r = t_rand(&seed) % 4;

		if ((adding && r != 0) || (!adding && r == 0)) {
			if (txset_add(&set, ids[k]) != DOT_OK)
				bad++;
			if (!in[k])
				n++;
			in[k] = 1;
		} else {
			txset_del(&set, ids[k]);
			if (in[k])
				n--;
			in[k] = 0;
		}
		if (round % 1000 == 999)
			for (size_t i = 0; i < UNIVERSE; i++)
				if (txset_has(&set, ids[i]) != in[i])
					bad++;
		if (set.n != n)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(set.cap >= 2 * set.n);
	txset_clear(&set);
	CHECK(set.n == 0 && !txset_has(&set, ids[0]));
	txset_free(&set);
}

/* The replay check survives a restart (the set is rebuilt from `txs`),
 * forgets a tx whose entry was dropped, and forgets ids once their
 * window has closed (a replay is then refused as expired). */
static void
test_replay_set(void)
{
	struct node n;
	struct dot_buf a = {0}, tx = {0}, tx2 = {0}, entry = {0}, rec = {0};
	struct dot_err e = {0};
	struct txspec t;
	int before;

	node_open(&n);
	a_path(&a, "/r1");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	t.nonce = 7001;
	build_tx(&n, &t, &tx);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_OK);
	before = count_txs(&n);
	CHECK(before >= 1);

	/* restart: a new dot_state over the same database */
	dot_state_close(n.st);
	REQUIRE_RC(dot_state_open(n.db, &n.st, &e), DOT_OK);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_ESTATE_DUPLICATE);

	/* an entry malformed after a good tx is dropped whole: the good tx
	 * is not remembered and applies later */
	a_path(&a, "/r2");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	t.nonce = 7002;
	build_tx(&n, &t, &tx2);
	dot_enc_array(&entry, 2);
	dot_enc_uint(&entry, 2);
	dot_enc_array(&entry, 2);
	dot_enc_bstr(&entry, tx2.data, tx2.len);
	dot_enc_uint(&entry, 5); /* not a byte string */
	n.index++;
	n.time++;
	CHECK(dot_state_apply(n.st, n.index, n.time, entry.data, entry.len,
			      &rec, &e) == DOT_ESTATE_ARGS);
	CHECK(count_txs(&n) == before);
	CHECK_RC(apply_txs(&n, &tx2, 1, 0, NULL, NULL), DOT_OK);
	CHECK_RC(apply_txs(&n, &tx2, 1, 0, NULL, NULL), DOT_ESTATE_DUPLICATE);

	/* past the window (not_after = build time + 600): pruned from the
	 * table and the set; the replay is refused as expired */
	n.time += 700;
	a_path(&a, "/r3");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	t.nonce = 7003;
	tx2.len = 0;
	build_tx(&n, &t, &tx2);
	CHECK_RC(apply_txs(&n, &tx2, 1, 0, NULL, NULL), DOT_OK);
	CHECK(count_txs(&n) == 1);
	CHECK(n.st->seen.n == 1);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_ETX_EXPIRED);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	dot_buf_free(&tx2);
	dot_buf_free(&entry);
	dot_buf_free(&rec);
	node_close(&n);
}

static void
test_mv(void)
{
	struct node n;
	struct dot_buf a = {0}, out = {0};
	struct txspec t;

	node_open(&n);
	a_path(&a, "/a");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_path(&a, "/a/b");
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/a/b/f", "data", 4);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_path(&a, "/ab");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/ab/g", "keep", 4);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	/* move a directory: its subtree follows; a sibling prefix does not */
	a_mv(&a, "/a", "/z");
	t = as("admin@active", ADMIN, "fs.mv", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK_RC(cat(&n, "/z/b/f", &out), DOT_OK);
	CHECK(out.len == 4 && memcmp(out.data, "data", 4) == 0);
	CHECK_RC(cat(&n, "/a/b/f", &out), DOT_ESTATE_NOT_FOUND);
	CHECK_RC(cat(&n, "/ab/g", &out), DOT_OK);
	/* into itself, onto an existing path, from nothing */
	a_mv(&a, "/z", "/z/b/inner");
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_ARGS);
	a_mv(&a, "/z", "/ab");
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_EXISTS);
	a_mv(&a, "/nothing", "/q");
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_NOT_FOUND);
	dot_buf_free(&a);
	dot_buf_free(&out);
	node_close(&n);
}

/* Set up: accounts alice (ALICE) and team (2-of-3: M1, M2, M3), and
 * /home/alice owned by alice. */
static void
setup_accounts(struct node *n)
{
	struct dot_buf a = {0};
	struct txspec t;
	int ka[] = {ALICE}, km[] = {M1, M2, M3};

	a_account(&a, "alice", ka, 1, 1);
	t = as("admin@owner", ADMIN, "account.create", &a);
	if (run(n, &t, NULL) != DOT_OK)
		abort();
	a_account(&a, "team", km, 3, 2);
	if (run(n, &t, NULL) != DOT_OK)
		abort();
	a_path(&a, "/home");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	if (run(n, &t, NULL) != DOT_OK)
		abort();
	a_path(&a, "/home/alice");
	t = as("alice@active", ALICE, "fs.mkdir", &a);
	/* alice cannot create under admin's /home... */
	if (run(n, &t, NULL) != DOT_ESTATE_DENIED)
		abort();
	/* ...so admin makes it and hands it over by moving alice's own dir:
	 * here simply: admin creates /home/alice, then alice works inside a
	 * directory she creates under a dir admin lets her own. */
	a_path(&a, "/home/alice");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	if (run(n, &t, NULL) != DOT_OK)
		abort();
	dot_buf_free(&a);
}

static void
test_accounts_and_thresholds(void)
{
	struct node n;
	struct dot_buf a = {0};
	struct txspec t;
	int kb[] = {BOB};

	node_open(&n);
	setup_accounts(&n);
	/* a non-admin cannot create accounts */
	a_account(&a, "bob", kb, 1, 1);
	t = as("alice@owner", ALICE, "account.create", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
	/* wrong key for the level */
	t = as("admin@owner", ALICE, "account.create", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETX_AUTHORITY);
	/* existing name */
	a_account(&a, "alice", kb, 1, 1);
	t = as("admin@owner", ADMIN, "account.create", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_EXISTS);
	/* 2-of-3: one signature is short, two pass */
	a_path(&a, "/team");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/x", "1", 1);
	t = as("team@active", M1, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETX_THRESHOLD);
	t.signers[1] = M2;
	t.nsigners = 2;
	/* enough signatures, but team has no authority over /x */
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
	/* set-level: only by the account's owner level */
	{
		struct dot_buf sl = {0};
		dot_enc_map(&sl, 4);
		dot_enc_uint(&sl, 1);
		dot_enc_tstr(&sl, "alice", 5);
		dot_enc_uint(&sl, 2);
		dot_enc_tstr(&sl, "active", 6);
		dot_enc_uint(&sl, 3);
		dot_enc_array(&sl, 1);
		dot_enc_array(&sl, 2);
		dot_enc_bstr(&sl, K[BOB].pk, K[BOB].pklen);
		dot_enc_uint(&sl, 1);
		dot_enc_uint(&sl, 4);
		dot_enc_uint(&sl, 1);
		t = as("admin@owner", ADMIN, "account.set-level", &sl);
		CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
		t = as("alice@active", ALICE, "account.set-level", &sl);
		CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
		t = as("alice@owner", ALICE, "account.set-level", &sl);
		CHECK_RC(run(&n, &t, NULL), DOT_OK);
		/* alice@active is now BOB's key: ALICE's key is refused */
		a_path(&a, "/home/alice/d");
		t = as("alice@active", ALICE, "fs.mkdir", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETX_AUTHORITY);
		dot_buf_free(&sl);
	}
	dot_buf_free(&a);
	node_close(&n);
}

/* A token from admin over `res` with `rights`, to holder, expiring at exp;
 * optionally attenuated by the holder to `next` with `narrow` rights. */
static void
mint(struct dot_buf *out, int issuer, const char *res, uint32_t rights,
     uint64_t exp, int holder)
{
	struct dot_token_caveats c;
	struct dot_err e = {0};

	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_RIGHTS | DOT_CAV_EXPIRES;
	c.rights = rights;
	c.expires = exp;
	out->len = 0;
	if (dot_token_mint(K[issuer].sk, DOT_RESOURCE_PATH, res, strlen(res),
			   &c, K[holder].pk, K[holder].pklen, out, &e) != DOT_OK)
		abort();
}

static void
attenuate(struct dot_buf *out, const struct dot_buf *in, int holder,
	  uint32_t rights, int next)
{
	struct dot_token_caveats c;
	struct dot_token *t;
	struct dot_err e = {0};

	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_RIGHTS;
	c.rights = rights;
	if (dot_token_parse(in->data, in->len, &t, &e) != DOT_OK)
		abort();
	out->len = 0;
	if (dot_token_attenuate(t, K[holder].sk, &c, K[next].pk, K[next].pklen,
				out, &e) != DOT_OK)
		abort();
	dot_token_free(t);
}

/* The last block's rid of a token: what a reference names. */
static void
last_rid(const struct dot_buf *tok, uint8_t rid[DOT_RID_LEN])
{
	struct dot_token *t;
	struct dot_err e = {0};

	if (dot_token_parse(tok->data, tok->len, &t, &e) != DOT_OK)
		abort();
	memcpy(rid, t->blocks[t->nblocks - 1].rid, DOT_RID_LEN);
	dot_token_free(t);
}

static struct txspec
with_ref(const uint8_t rid[DOT_RID_LEN], int holder, const char *op,
	 const struct dot_buf *a)
{
	struct txspec t = as(NULL, holder, op, a);

	t.token_ref = rid;
	return t;
}

/*
 * Token references (docs/tx-format.md §1): a tx names by its last rid a
 * token that an earlier authentic tx presented inline. Tried: a reference
 * before the ledger holds the token, by someone other than its holder,
 * to a delegated chain's prefix, after a revocation, after the token
 * expired (its row pruned), and a token presented by a tx whose authority
 * failed (never kept). Two nodes applying the same entries agree.
 */
/* A read (fs.get of /data/f) by bob naming the token by rid, through
 * dot_state_query: its result code (the error in *qe). */
static int
query_ref(struct node *n, const uint8_t rid[DOT_RID_LEN], uint64_t nonce,
	  struct dot_err *qe)
{
	struct dot_buf a = {0}, q = {0}, out = {0};
	struct txspec t;
	int record = 0, rv;

	a_path(&a, "/data/f");
	t = with_ref(rid, BOB, "fs.get", &a);
	t.nonce = nonce;
	build_tx(n, &t, &q);
	memset(qe, 0, sizeof(*qe));
	rv = dot_state_query(n->st, q.data, q.len, n->time, &out, &record, qe);
	dot_buf_free(&a);
	dot_buf_free(&q);
	dot_buf_free(&out);
	return rv;
}

static void
test_token_refs(void)
{
	struct node n, m;
	struct dot_buf a = {0}, tok = {0}, att = {0}, bad = {0}, rv = {0};
	struct dot_buf one = {0};
	uint8_t rid[DOT_RID_LEN], arid[DOT_RID_LEN], brid[DOT_RID_LEN];
	uint8_t h1[32], h2[32];
	struct dot_err e = {0};
	struct txspec t;
	char detail[300];

	node_open(&n);
	a_path(&a, "/data");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	mint(&tok, ADMIN, "/data", DOT_RIGHTS_ALL, n.time + 100, BOB);
	last_rid(&tok, rid);

	/* before the ledger holds it */
	a_put(&a, "/data/f", "v1", 2);
	t = with_ref(rid, BOB, "fs.put", &a);
	t.nonce = 1000;
	build_tx(&n, &t, &one);
	CHECK_RC(apply_txs(&n, &one, 1, 0, NULL, detail), DOT_ETOKEN_UNKNOWN);
	CHECK(strstr(detail, "present it inline") != NULL);
	CHECK(count_rows(n.db, "SELECT count(*) FROM tokens") == 0);

	/* a token whose tx fails its authority is not kept: carol is not
	 * the holder */
	t = with_token(&tok, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_WRONG_HOLDER);
	CHECK(count_rows(n.db, "SELECT count(*) FROM tokens") == 0);

	/* inline, by its holder: kept, with its expiry */
	t = with_token(&tok, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	CHECK(count_rows(n.db, "SELECT count(*) FROM tokens") == 1);
	CHECK(count_rows(n.db, "SELECT expires - (SELECT min(expires) FROM "
			     "tokens) FROM tokens") == 0);

	/* now by reference: the same authority, a fraction of the bytes;
	 * the very tx refused before now applies (it was not used up) */
	CHECK_RC(apply_txs(&n, &one, 1, 0, NULL, detail), DOT_OK);
	a_put(&a, "/data/g", "v1", 2);
	t = with_ref(rid, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	{
		struct dot_buf b1 = {0}, b2 = {0};
		struct txspec t2 = with_token(&tok, BOB, "fs.put", &a);

		build_tx(&n, &t, &b1);
		build_tx(&n, &t2, &b2);
		CHECK(b1.len + tok.len - DOT_RID_LEN - 4 <= b2.len);
		dot_buf_free(&b1);
		dot_buf_free(&b2);
	}
	/* a read (dot_state_query) by reference: as a write; and one naming
	 * a token the state does not hold is refused, not run (found by
	 * fuzz_state: the issuer lookup had no token to read) */
	{
		struct dot_err qe;
		uint8_t none[DOT_RID_LEN] = {0};

		CHECK_RC(query_ref(&n, rid, 7001, &qe), DOT_OK);
		CHECK_RC(query_ref(&n, none, 7001, &qe), DOT_ETOKEN_UNKNOWN);
	}
	/* the holder's key left out: the token's holder it is */
	{
		uint8_t pk[DOT_SIGN_PK_MAX], none[DOT_RID_LEN] = {0};

		CHECK(dot_state_token_holder(n.st, rid, pk) == K[BOB].pklen &&
		      memcmp(pk, K[BOB].pk, K[BOB].pklen) == 0);
		CHECK(dot_state_token_holder(n.st, none, pk) == 0);
	}
	a_put(&a, "/data/g2", "v1", 2);
	t = with_ref(rid, BOB, "fs.put", &a);
	t.implicit = 1;
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	t = with_token(&tok, BOB, "fs.put", &a);
	t.implicit = 1;
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	/* carol signs where bob's key is implied */
	t = with_ref(rid, CAROL, "fs.put", &a);
	t.implicit = 1;
	CHECK_RC(run(&n, &t, NULL), DOT_ETX_SIGNATURE);
	/* the same tx again: applied once */
	CHECK_RC(apply_txs(&n, &one, 1, 0, NULL, detail), DOT_ESTATE_DUPLICATE);
	/* signed by someone else than the holder the token names */
	t = with_ref(rid, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_WRONG_HOLDER);
	/* the token's rights still bind: a right it lacks */
	mint(&bad, ADMIN, "/data", DOT_RIGHT_READ, n.time + 100, BOB);
	t = with_token(&bad, BOB, "fs.get", &a);
	a_path(&a, "/data/g");
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	last_rid(&bad, brid);
	a_put(&a, "/data/h", "v1", 2);
	t = with_ref(brid, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RIGHTS);

	/* a delegated chain is its own token: its rid, kept when presented;
	 * the prefix's reference stays bob's */
	attenuate(&att, &tok, BOB, DOT_RIGHTS_ALL, CAROL);
	last_rid(&att, arid);
	t = with_ref(arid, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_UNKNOWN);
	t = with_token(&att, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/data/i", "v1", 2);
	t = with_ref(arid, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	t = with_ref(rid, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_WRONG_HOLDER);

	/* revoked: the reference is refused like the token */
	a_revoke(&rv, &att, 1);
	t = as("admin@active", ADMIN, "cap.revoke", &rv);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/data/j", "v1", 2);
	t = with_ref(arid, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_REVOKED);
	t = with_ref(rid, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);

	/* the row decides, not the parsed copy the state keeps of it: a
	 * row changed on disk (another genuine token's bytes) is damage
	 * though the reference resolved a moment ago, and the row put
	 * back serves again */
	{
		struct dot_err qe;
		sqlite3_stmt *s;

		CHECK_RC(query_ref(&n, rid, 7002, &qe), DOT_OK);
		REQUIRE(sqlite3_prepare_v2(n.db,
					   "UPDATE tokens SET token = ?1 "
					   "WHERE rid = ?2",
					   -1, &s, NULL) == SQLITE_OK);
		sqlite3_bind_blob(s, 1, bad.data, (int)bad.len, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, rid, DOT_RID_LEN, SQLITE_STATIC);
		REQUIRE(sqlite3_step(s) == SQLITE_DONE);
		CHECK(sqlite3_changes(n.db) == 1);
		CHECK_RC(query_ref(&n, rid, 7002, &qe), DOT_ESTATE_STORAGE);
		CHECK(strstr(qe.msg, "damaged") != NULL);
		sqlite3_reset(s);
		sqlite3_bind_blob(s, 1, tok.data, (int)tok.len, SQLITE_STATIC);
		REQUIRE(sqlite3_step(s) == SQLITE_DONE);
		sqlite3_finalize(s);
		CHECK_RC(query_ref(&n, rid, 7002, &qe), DOT_OK);
	}

	/* a second node, fed the same ledger, holds the same tokens */
	node_open(&m);
	{
		sqlite3_stmt *s;

		REQUIRE(sqlite3_prepare_v2(n.db,
					   "SELECT entry, tx FROM ledger WHERE "
					   "entry > 1 ORDER BY seq",
					   -1, &s, NULL) == SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			struct dot_buf row = {0}, en = {0}, rc = {0};
			const uint8_t *ptr;
			size_t len;
			uint64_t entry = (uint64_t)sqlite3_column_int64(s, 0);

			dot_buf_put(&row, sqlite3_column_blob(s, 1),
				    (size_t)sqlite3_column_bytes(s, 1));
			ptr = row.data;
			len = row.len;
			REQUIRE(dot_state_batch_encode(&ptr, &len, 1, &en, &e) ==
				DOT_OK);
			REQUIRE(dot_state_apply(m.st, entry, T0 + entry - 1,
						en.data, en.len, &rc,
						&e) == DOT_OK);
			dot_buf_free(&row);
			dot_buf_free(&en);
			dot_buf_free(&rc);
		}
		sqlite3_finalize(s);
	}
	REQUIRE(dot_state_hash(n.st, h1, &e) == DOT_OK);
	REQUIRE(dot_state_hash(m.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) == 0);
	/* and a tokens row changed on disk changes the state hash */
	REQUIRE(sqlite3_exec(m.db, "UPDATE tokens SET at = at + 1", NULL, NULL,
			     NULL) == SQLITE_OK);
	REQUIRE(dot_state_hash(m.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) != 0);
	node_close(&m);

	/* expired: refused as the token would be; the entry past its
	 * expiry drops the row, and a reference then names nothing */
	n.time += 200;
	a_put(&a, "/data/k", "v1", 2);
	t = with_ref(rid, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_EXPIRED);
	CHECK(count_rows(n.db, "SELECT count(*) FROM tokens") == 0);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_UNKNOWN);

	dot_buf_free(&a);
	dot_buf_free(&tok);
	dot_buf_free(&att);
	dot_buf_free(&bad);
	dot_buf_free(&rv);
	dot_buf_free(&one);
	node_close(&n);
}

/*
 * The authorization matrix: for each write op, allowed with the right,
 * refused without it, refused when expired, revoked, attenuated below it,
 * and when the account threshold is not met.
 */
static void
test_authorization_matrix(void)
{
	static const struct {
		const char *op;
		uint32_t right;
		int setup; /* 0 none, 1 a file, 2 a mailbox, 3 a message */
	} ops[] = {
		{"fs.mkdir", DOT_RIGHT_CREATE, 0},
		{"fs.put", DOT_RIGHT_CREATE, 0},   /* new file */
		{"fs.put", DOT_RIGHT_WRITE, 1},    /* existing file */
		{"fs.append", DOT_RIGHT_APPEND, 1},
		{"fs.rm", DOT_RIGHT_DELETE, 1},
		{"fs.mv", DOT_RIGHT_DELETE, 1},    /* and create at the target */
		{"fs.chown", DOT_RIGHT_ADMIN, 1},
		{"fs.policy", DOT_RIGHT_ADMIN, 1},
		{"fs.get", DOT_RIGHT_READ, 1},     /* a read, applied */
		{"fs.stat", DOT_RIGHT_READ, 1},
		{"fs.ls", DOT_RIGHT_LIST, 0},
		{"msg.create", DOT_RIGHT_CREATE, 0},
		{"msg.send", DOT_RIGHT_SEND, 2},
		{"msg.recv", DOT_RIGHT_RECEIVE, 3},
		{"msg.read", DOT_RIGHT_RECEIVE, 3}, /* a read, applied */
	};
	struct dot_buf a = {0}, tok = {0}, att = {0};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct node n;
		struct txspec t;
		struct dot_tx_objver msg = {{0}, 0};
		const char *op = ops[i].op;
		uint32_t need = ops[i].right;

		node_open(&n);
		a_path(&a, "/data");
		t = as("admin@active", ADMIN, "fs.mkdir", &a);
		REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
		if (ops[i].setup == 1) {
			a_put(&a, "/data/f", "v1", 2);
			t = as("admin@active", ADMIN, "fs.put", &a);
			REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
		} else if (ops[i].setup >= 2) {
			a_path(&a, "/data/f");
			t = as("admin@active", ADMIN, "msg.create", &a);
			REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
			if (ops[i].setup == 3) {
				a_put(&a, "/data/f", "hi", 2);
				t = as("admin@active", ADMIN, "msg.send", &a);
				REQUIRE_RC(run(&n, &t, &msg), DOT_OK);
			}
		}
		/* the op's arguments */
		if (strcmp(op, "fs.put") == 0 || strcmp(op, "fs.append") == 0 ||
		    strcmp(op, "msg.send") == 0)
			a_put(&a, "/data/f", "v2", 2);
		else if (strcmp(op, "fs.mv") == 0)
			a_mv(&a, "/data/f", "/data/g");
		else if (strcmp(op, "fs.chown") == 0)
			a_mv(&a, "/data/f", "admin");
		else if (strcmp(op, "fs.ls") == 0)
			a_path(&a, "/data");
		else if (strcmp(op, "msg.recv") == 0 ||
			 strcmp(op, "msg.read") == 0)
			a_recv(&a, "/data/f", msg.id);
		else if (strcmp(op, "fs.policy") == 0) {
			a.len = 0;
			dot_enc_map(&a, 2);
			dot_enc_uint(&a, 1);
			dot_enc_tstr(&a, "/data/f", 7);
			dot_enc_uint(&a, 2);
			dot_enc_uint(&a, DOT_POLICY_RECORD_READS);
		} else
			a_path(&a, "/data/f");

		/* without the right */
		mint(&tok, ADMIN, "/data", DOT_RIGHTS_ALL & ~need, T0 + 3600,
		     BOB);
		t = with_token(&tok, BOB, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RIGHTS);
		/* attenuated below it */
		mint(&tok, ADMIN, "/data", DOT_RIGHTS_ALL, T0 + 3600, BOB);
		attenuate(&att, &tok, BOB, DOT_RIGHTS_ALL & ~need, CAROL);
		t = with_token(&att, CAROL, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RIGHTS);
		/* presented by someone else */
		t = with_token(&tok, CAROL, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_WRONG_HOLDER);
		/* expired (the entry time passes the expiry) */
		mint(&tok, ADMIN, "/data", DOT_RIGHTS_ALL, n.time + 1, BOB);
		t = with_token(&tok, BOB, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_EXPIRED);
		/* outside the resource */
		mint(&tok, ADMIN, "/other", DOT_RIGHTS_ALL, T0 + 3600, BOB);
		t = with_token(&tok, BOB, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RESOURCE);
		/* minted by a key with no authority (alice's, no account) */
		mint(&tok, ALICE, "/data", DOT_RIGHTS_ALL, T0 + 3600, BOB);
		t = with_token(&tok, BOB, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_ISSUER);
		/* revoked through cap.revoke by the admin */
		mint(&tok, ADMIN, "/data", DOT_RIGHTS_ALL, T0 + 3600, BOB);
		{
			struct dot_buf rv = {0};
			struct txspec r;
			a_revoke(&rv, &tok, 0);
			r = as("admin@active", ADMIN, "cap.revoke", &rv);
			REQUIRE_RC(run(&n, &r, NULL), DOT_OK);
			dot_buf_free(&rv);
		}
		t = with_token(&tok, BOB, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_REVOKED);
		/* account threshold not met: a key outside admin's level */
		t = as("admin@active", BOB, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETX_AUTHORITY);
		/* with exactly the right (mv also needs create at the target) */
		mint(&tok, ADMIN, "/data",
		     need | (strcmp(op, "fs.mv") == 0 ? DOT_RIGHT_CREATE : 0),
		     T0 + 3600, BOB);
		t = with_token(&tok, BOB, op, &a);
		CHECK_RC(run(&n, &t, NULL), DOT_OK);
		node_close(&n);
	}
	dot_buf_free(&a);
	dot_buf_free(&tok);
	dot_buf_free(&att);
}

static void
test_versions_conflict_and_duplicates(void)
{
	struct node n;
	struct dot_buf a = {0}, tx[2] = {{0}, {0}}, out = {0};
	struct dot_tx_objver v1, v2;
	struct txspec t;
	char detail[300];

	node_open(&n);
	a_put(&a, "/f", "v1", 2);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, &v1), DOT_OK);
	CHECK(v1.version == 1);
	/* Two writers both expecting version 1, in one entry: one wins. */
	a_put(&a, "/f", "from-A", 6);
	t = as("admin@active", ADMIN, "fs.put", &a);
	t.consumed = &v1;
	t.nconsumed = 1;
	t.nonce = 1001;
	build_tx(&n, &t, &tx[0]);
	a_put(&a, "/f", "from-B", 6);
	t.nonce = 1002;
	build_tx(&n, &t, &tx[1]);
	CHECK_RC(apply_txs(&n, tx, 2, 0, &v2, NULL), DOT_OK);
	/* re-apply both in a later entry: the first is a duplicate, the
	 * second a conflict on a consumed version */
	CHECK_RC(apply_txs(&n, tx, 2, 0, NULL, detail), DOT_ESTATE_DUPLICATE);
	CHECK_RC(apply_txs(&n, &tx[1], 1, 0, NULL, detail),
		 DOT_ESTATE_CONFLICT);
	REQUIRE_RC(cat(&n, "/f", &out), DOT_OK);
	CHECK(out.len == 6 && memcmp(out.data, "from-A", 6) == 0);
	/* A consumed version the op does not touch is refused. */
	a_path(&a, "/g");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	t.consumed = &v2;
	t.nconsumed = 1;
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_CONFLICT);
	dot_buf_free(&a);
	dot_buf_free(&tx[0]);
	dot_buf_free(&tx[1]);
	dot_buf_free(&out);
	node_close(&n);
}

/* Two writers expecting the same version in one entry: the first in the
 * log wins, the second is a conflict; the content is the winner's. */
static void
test_same_entry_race(void)
{
	struct node n;
	struct dot_buf a = {0}, tx[2] = {{0}, {0}}, out = {0};
	struct dot_tx_objver v1;
	struct txspec t;

	node_open(&n);
	a_put(&a, "/f", "v1", 2);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, &v1), DOT_OK);
	t.consumed = &v1;
	t.nconsumed = 1;
	a_put(&a, "/f", "A", 1);
	t.nonce = 11;
	build_tx(&n, &t, &tx[0]);
	a_put(&a, "/f", "B", 1);
	t.nonce = 12;
	build_tx(&n, &t, &tx[1]);
	(void)apply_txs(&n, tx, 2, 0, NULL, NULL);
	CHECK_RC(statuses[0], DOT_OK);
	CHECK_RC(statuses[1], DOT_ESTATE_CONFLICT);
	REQUIRE_RC(cat(&n, "/f", &out), DOT_OK);
	CHECK(out.len == 1 && out.data[0] == 'A');
	dot_buf_free(&a);
	dot_buf_free(&out);
	dot_buf_free(&tx[0]);
	dot_buf_free(&tx[1]);
	node_close(&n);
}

static void
test_refused_tx_leaves_state(void)
{
	struct node n;
	struct dot_buf a = {0}, out = {0};
	struct dot_state_stat s1, s2;
	struct dot_state_reader r = admin_reader();
	struct dot_err e = {0};
	struct txspec t;

	node_open(&n);
	a_put(&a, "/f", "keep", 4);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(dot_state_stat(n.st, "/f", &r, &s1, &e), DOT_OK);
	/* A put that fails after writing its chunk (mv onto it fails
	 * earlier; use a put whose authority fails after content exists). */
	a_put(&a, "/f", "overwrite", 9);
	t = as("admin@active", BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETX_AUTHORITY);
	REQUIRE_RC(dot_state_stat(n.st, "/f", &r, &s2, &e), DOT_OK);
	CHECK(s1.version == s2.version && s1.modified == s2.modified);
	REQUIRE_RC(cat(&n, "/f", &out), DOT_OK);
	CHECK(out.len == 4 && memcmp(out.data, "keep", 4) == 0);
	dot_buf_free(&a);
	dot_buf_free(&out);
	node_close(&n);
}

/*
 * Determinism: random logs (random ops by random authorities, some refused)
 * applied to two fresh databases give the same state hash after every entry.
 */
static void
test_determinism_property(void)
{
	static const char *paths[] = {"/a", "/a/x", "/a/y", "/b", "/b/x",
				      "/a/x/z"};
	static const char *ops[] = {"fs.mkdir", "fs.put", "fs.append", "fs.rm",
				    "fs.mv", "msg.create", "msg.send"};
	struct node n1, n2;
	struct dot_buf a = {0}, txs[4] = {{0}, {0}, {0}, {0}};
	uint64_t seed = 0xd37e;
	int oks = 0, refused = 0, diverged = 0;

	node_open(&n1);
	node_open(&n2);
	for (int entry = 0; entry < 120; entry++) {
		size_t count = 1 + t_rand(&seed) % 4;
		const uint8_t *ptrs[4];
		size_t lens[4];
		struct dot_buf en = {0}, r1 = {0}, r2 = {0};
		struct dot_err e = {0};
		uint8_t h1[32], h2[32];

		for (size_t i = 0; i < count; i++) {
			const char *op = ops[t_rand(&seed) % 7];
			const char *p = paths[t_rand(&seed) % 6];
			struct txspec t;
			char data[32];
			int signer = t_rand(&seed) % 5 == 0 ? BOB : ADMIN;

			snprintf(data, sizeof(data), "d%d.%zu", entry, i);
			if (strcmp(op, "fs.mkdir") == 0 ||
			    strcmp(op, "fs.rm") == 0 ||
			    strcmp(op, "msg.create") == 0)
				a_path(&a, p);
			else if (strcmp(op, "fs.mv") == 0)
				a_mv(&a, p, paths[t_rand(&seed) % 6]);
			else
				a_put(&a, p, data, strlen(data));
			t = as("admin@active", signer, op, &a);
			t.nonce = (uint64_t)entry * 10 + i;
			txs[i].len = 0;
			build_tx(&n1, &t, &txs[i]);
			ptrs[i] = txs[i].data;
			lens[i] = txs[i].len;
		}
		REQUIRE(dot_state_batch_encode(ptrs, lens, count, &en, &e) ==
			DOT_OK);
		n1.index++, n1.time += 1 + t_rand(&seed) % 5;
		n2.index = n1.index, n2.time = n1.time;
		REQUIRE(dot_state_apply(n1.st, n1.index, n1.time, en.data,
					en.len, &r1, &e) == DOT_OK);
		REQUIRE(dot_state_apply(n2.st, n2.index, n2.time, en.data,
					en.len, &r2, &e) == DOT_OK);
		if (r1.len != r2.len || memcmp(r1.data, r2.data, r1.len) != 0)
			diverged++;
		REQUIRE(dot_state_hash(n1.st, h1, &e) == DOT_OK);
		REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
		if (memcmp(h1, h2, 32) != 0)
			diverged++;
		/* count outcomes */
		{
			struct dot_dec d;
			uint64_t nr;
			REQUIRE(dot_dec_init(&d, r1.data, r1.len, NULL, NULL) ==
				DOT_OK);
			REQUIRE(dot_dec_array(&d, &nr) == DOT_OK);
			for (uint64_t k = 0; k < nr; k++) {
				const uint8_t *p;
				size_t len;
				struct dot_receipt *rc;
				REQUIRE(dot_dec_bstr(&d, &p, &len) == DOT_OK);
				REQUIRE(dot_receipt_parse(p, len, &rc, &e) ==
					DOT_OK);
				if (rc->status == DOT_OK)
					oks++;
				else
					refused++;
				dot_receipt_free(rc);
			}
		}
		dot_buf_free(&en);
		dot_buf_free(&r1);
		dot_buf_free(&r2);
	}
	printf("# %d applied, %d refused\n", oks, refused);
	CHECK(diverged == 0);
	CHECK(oks > 20 && refused > 20);
	/* and a state that differs hashes differently */
	{
		struct dot_err e = {0};
		uint8_t h1[32], h2[32];
		REQUIRE(sqlite3_exec(n2.db, "UPDATE objects SET size = size + 1"
					    " WHERE path = '/'",
				     NULL, NULL, NULL) == SQLITE_OK);
		REQUIRE(dot_state_hash(n1.st, h1, &e) == DOT_OK);
		REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
		CHECK(memcmp(h1, h2, 32) != 0);
	}
	for (int i = 0; i < 4; i++)
		dot_buf_free(&txs[i]);
	dot_buf_free(&a);
	node_close(&n1);
	node_close(&n2);
}

static void
test_bad_genesis_does_not_advance(void)
{
	sqlite3 *db;
	struct dot_state *st;
	struct dot_buf g = {0}, r = {0};
	struct dot_err e = {0};
	struct dot_tx_level_key ak;
	uint64_t idx, tm;

	keys_init();
	REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
	REQUIRE(dot_state_open(db, &st, &e) == DOT_OK);
	/* threshold above the weights: not a valid genesis */
	ak.pk = K[ADMIN].pk;
	ak.pk_len = K[ADMIN].pklen;
	ak.weight = 1;
	REQUIRE(dot_state_genesis_encode(CLUSTER, "admin", &ak, 1, 2, &g, &e) ==
		DOT_OK);
	CHECK_RC(dot_state_apply(st, 1, T0, g.data, g.len, &r, &e),
		 DOT_ESTATE_GENESIS);
	dot_state_position(st, &idx, &tm);
	CHECK(idx == 0);
	/* a batch cannot be entry 1 either */
	CHECK_RC(dot_state_apply(st, 1, T0, (const uint8_t *)"\x82\x02\x80", 3,
				 &r, &e),
		 DOT_ESTATE_GENESIS);
	dot_state_position(st, &idx, &tm);
	CHECK(idx == 0);
	/* the right one still applies */
	g.len = 0;
	REQUIRE(dot_state_genesis_encode(CLUSTER, "admin", &ak, 1, 1, &g, &e) ==
		DOT_OK);
	CHECK_RC(dot_state_apply(st, 1, T0, g.data, g.len, &r, &e), DOT_OK);
	dot_state_close(st);
	sqlite3_close(db);
	dot_buf_free(&g);
	dot_buf_free(&r);
}

/* Paths with multi-byte characters move with their subtree; messages
 * that quote such paths stay valid UTF-8 in receipts. */
static void
test_utf8_paths(void)
{
	struct node n;
	struct dot_buf a = {0}, out = {0}, tok = {0};
	struct txspec t;
	char longp[80];

	node_open(&n);
	a_path(&a, "/\xc3\xa9");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/\xc3\xa9/x", "data", 4);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_mv(&a, "/\xc3\xa9", "/b");
	t = as("admin@active", ADMIN, "fs.mv", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK_RC(cat(&n, "/b/x", &out), DOT_OK);
	CHECK_RC(cat(&n, "/\xc3\xa9/x", &out), DOT_ESTATE_NOT_FOUND);
	/* a refusal whose message cuts a path inside a character */
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	memcpy(longp + 63, "\xc3\xa9", 2);
	longp[65] = '\0';
	a_path(&a, longp);
	mint(&tok, ADMIN, "/a", DOT_RIGHTS_ALL, T0 + 3600, BOB);
	t = with_token(&tok, BOB, "fs.mkdir", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RESOURCE);
	dot_buf_free(&a);
	dot_buf_free(&out);
	dot_buf_free(&tok);
	node_close(&n);
}

static void
test_entry_rules(void)
{
	struct node n;
	struct dot_buf r = {0}, g = {0};
	struct dot_err e = {0};
	struct dot_tx_level_key ak = {K[ADMIN].pk, K[ADMIN].pklen, 1};
	uint64_t idx, tm;

	node_open(&n);
	/* out of order */
	CHECK_RC(dot_state_apply(n.st, 5, T0, (const uint8_t *)"\x82\x02\x80",
				 3, &r, &e),
		 DOT_EINVAL);
	/* a second genesis: applied as a no-op, refused */
	REQUIRE(dot_state_genesis_encode(CLUSTER, "admin", &ak, 1, 1, &g, &e) ==
		DOT_OK);
	CHECK_RC(dot_state_apply(n.st, 2, T0 + 1, g.data, g.len, &r, &e),
		 DOT_ESTATE_GENESIS);
	/* garbage: a no-op, the log moves on */
	CHECK_RC(dot_state_apply(n.st, 3, T0 + 2, (const uint8_t *)"\xff", 1,
				 &r, &e),
		 DOT_ECODEC_UNSUPPORTED);
	dot_state_position(n.st, &idx, &tm);
	CHECK(idx == 3);
	/* a batch item that is not a byte string */
	CHECK_RC(dot_state_apply(n.st, 4, T0 + 3,
				 (const uint8_t *)"\x82\x02\x81\x01", 4, &r,
				 &e),
		 DOT_ESTATE_ARGS);
	dot_buf_free(&r);
	dot_buf_free(&g);
	node_close(&n);
}



struct listing {
	size_t n;
	struct dot_state_stat st[8];
};

static int
collect(void *ctx, const char *name, const struct dot_state_stat *s)
{
	struct listing *l = ctx;

	(void)name;
	if (l->n < 8)
		l->st[l->n] = *s;
	l->n++;
	return DOT_OK;
}

static void
test_mailboxes(void)
{
	struct node n;
	struct dot_buf a = {0}, tok = {0}, tx[2] = {{0}, {0}};
	struct dot_state_reader r = admin_reader();
	struct dot_state_stat mst;
	struct dot_err e = {0};
	struct dot_tx_objver m1, m2;
	struct listing l = {0};
	struct txspec t;

	node_open(&n);
	a_path(&a, "/mb");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_path(&a, "/mb/inbox");
	t = as("admin@active", ADMIN, "msg.create", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_EXISTS);
	a_put(&a, "/mb/inbox", "one", 3);
	t = as("admin@active", ADMIN, "msg.send", &a);
	REQUIRE_RC(run(&n, &t, &m1), DOT_OK);
	a_put(&a, "/mb/inbox", "two", 3);
	REQUIRE_RC(run(&n, &t, &m2), DOT_OK);
	CHECK(m1.version == 1 && memcmp(m1.id, m2.id, 16) != 0);
	/* send to a directory, or to nothing */
	a_put(&a, "/mb", "x", 1);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_KIND);
	a_put(&a, "/mb/none", "x", 1);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_NOT_FOUND);
	REQUIRE_RC(dot_state_list(n.st, "/mb/inbox", &r, collect, &l, &e),
		   DOT_OK);
	CHECK(l.n == 2 && l.st[0].kind == DOT_OBJ_MESSAGE);
	REQUIRE_RC(dot_state_stat(n.st, "/mb/inbox", &r, &mst, &e), DOT_OK);
	CHECK(mst.kind == DOT_OBJ_MAILBOX && mst.size == 2);
	/* two receivers of one message in one entry: exactly one wins */
	a_recv(&a, "/mb/inbox", m1.id);
	t = as("admin@active", ADMIN, "msg.recv", &a);
	t.nonce = 501;
	build_tx(&n, &t, &tx[0]);
	t.nonce = 502;
	build_tx(&n, &t, &tx[1]);
	(void)apply_txs(&n, tx, 2, 0, NULL, NULL);
	CHECK_RC(statuses[0], DOT_OK);
	CHECK_RC(statuses[1], DOT_ESTATE_CONFLICT);
	/* and across entries too */
	t.nonce = 503;
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_CONFLICT);
	/* msg.read: the body of a message still there, without taking it;
	 * a received one is a conflict */
	{
		struct dot_buf q = {0}, out = {0};
		struct dot_dec d;
		const uint8_t *p;
		size_t len;
		int record = -1;

		a_recv(&a, "/mb/inbox", m2.id);
		t = as("admin@active", ADMIN, "msg.read", &a);
		t.nonce = 504;
		build_tx(&n, &t, &q);
		REQUIRE_RC(dot_state_query(n.st, q.data, q.len, n.time, &out,
					   &record, &e),
			   DOT_OK);
		CHECK(record == 0);
		CHECK(dot_dec_init(&d, out.data, out.len, NULL, NULL) ==
			      DOT_OK &&
		      dot_dec_bstr(&d, &p, &len) == DOT_OK && len == 3 &&
		      memcmp(p, "two", 3) == 0);
		REQUIRE_RC(dot_state_stat(n.st, "/mb/inbox", &r, &mst, &e),
			   DOT_OK);
		CHECK(mst.size == 1);
		a_recv(&a, "/mb/inbox", m1.id);
		t = as("admin@active", ADMIN, "msg.read", &a);
		t.nonce = 505;
		q.len = 0;
		out.len = 0;
		build_tx(&n, &t, &q);
		CHECK_RC(dot_state_query(n.st, q.data, q.len, n.time, &out,
					 &record, &e),
			 DOT_ESTATE_CONFLICT);
		dot_buf_free(&q);
		dot_buf_free(&out);
	}
	/* tokens: send refused without send; receive with receive */
	mint(&tok, ADMIN, "/mb/inbox", DOT_RIGHT_RECEIVE, T0 + 3600, BOB);
	a_put(&a, "/mb/inbox", "three", 5);
	t = with_token(&tok, BOB, "msg.send", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RIGHTS);
	a_recv(&a, "/mb/inbox", m2.id);
	t = with_token(&tok, BOB, "msg.recv", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(dot_state_stat(n.st, "/mb/inbox", &r, &mst, &e), DOT_OK);
	CHECK(mst.size == 0);
	/* an object token for the mailbox */
	{
		struct dot_token_caveats c;
		memset(&c, 0, sizeof(c));
		c.present = DOT_CAV_RIGHTS;
		c.rights = DOT_RIGHT_SEND;
		tok.len = 0;
		REQUIRE(dot_token_mint(K[ADMIN].sk, DOT_RESOURCE_OBJECT, mst.id,
				       16, &c, K[CAROL].pk, K[CAROL].pklen,
				       &tok, &e) == DOT_OK);
		a_put(&a, "/mb/inbox", "four", 4);
		t = with_token(&tok, CAROL, "msg.send", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_OK);
	}
	dot_buf_free(&a);
	dot_buf_free(&tok);
	dot_buf_free(&tx[0]);
	dot_buf_free(&tx[1]);
	node_close(&n);
}


static void
test_caps_grant_revoke_chown(void)
{
	struct node n;
	struct dot_buf a = {0}, tb = {0}, tc = {0}, g = {0};
	struct dot_state_reader r = admin_reader();
	struct dot_state_stat sst;
	struct dot_err e = {0};
	struct txspec t;

	node_open(&n);
	setup_accounts(&n);
	/* hand /home/alice to alice */
	a_mv(&a, "/home/alice", "alice");
	t = as("alice@active", ALICE, "fs.chown", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
	t = as("admin@active", ADMIN, "fs.chown", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	/* alice now has authority there: her token for bob, bob's for carol */
	mint(&tb, ALICE, "/home/alice", DOT_RIGHTS_ALL, T0 + 3600, BOB);
	attenuate(&tc, &tb, BOB, DOT_RIGHT_READ | DOT_RIGHT_CREATE, CAROL);
	a_put(&a, "/home/alice/c.txt", "carol", 5);
	t = with_token(&tc, CAROL, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE_RC(dot_state_stat(n.st, "/home/alice/c.txt", &r, &sst, &e),
		   DOT_OK);
	CHECK(strcmp(sst.owner, "alice") == 0); /* the grantor's */
	/* alice's token is useless outside what alice governs */
	a_put(&a, "/home/x.txt", "x", 1);
	{
		struct dot_buf wide = {0};
		mint(&wide, ALICE, "/home", DOT_RIGHTS_ALL, T0 + 3600, BOB);
		t = with_token(&wide, BOB, "fs.put", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_ISSUER);
		dot_buf_free(&wide);
	}
	/* grant: recorded by the issuer account only */
	g.len = 0;
	dot_enc_map(&g, 1);
	dot_enc_uint(&g, 1);
	dot_enc_bstr(&g, tb.data, tb.len);
	t = as("admin@active", ADMIN, "cap.grant", &g);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
	t = as("alice@active", ALICE, "cap.grant", &g);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	/* carol cannot revoke bob's block or her own */
	a_revoke(&a, &tc, 1);
	t = with_token(&tc, CAROL, "cap.revoke", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
	a_revoke(&a, &tc, 0);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
	/* bob (above block 1) revokes carol's block: carol is refused, bob
	 * still works */
	a_revoke(&a, &tc, 1);
	t = with_token(&tb, BOB, "cap.revoke", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/home/alice/c2.txt", "carol", 5);
	t = with_token(&tc, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_REVOKED);
	t = with_token(&tb, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	/* someone else's account cannot revoke; the issuer can */
	a_revoke(&a, &tb, 0);
	t = as("team@active", M1, "cap.revoke", &a);
	t.signers[1] = M2;
	t.nsigners = 2;
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
	t = as("alice@active", ALICE, "cap.revoke", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/home/alice/b.txt", "bob", 3);
	t = with_token(&tb, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_REVOKED);
	/* reads with a revoked token are refused too */
	{
		struct dot_token *pt;
		struct dot_state_reader tr;
		struct dot_buf out = {0};
		uint8_t sig[DOT_SIGN_SIG_MAX];
		size_t siglen;
		REQUIRE(dot_token_parse(tb.data, tb.len, &pt, &e) == DOT_OK);
		REQUIRE(dot_token_sign_request(pt, K[BOB].sk, "read", 4, sig,
					       &siglen) == DOT_OK);
		memset(&tr, 0, sizeof(tr));
		tr.token = pt;
		tr.msg = (const uint8_t *)"read";
		tr.msg_len = 4;
		tr.sig = sig;
		tr.sig_len = siglen;
		tr.now = n.time;
		CHECK_RC(dot_state_read(n.st, "/home/alice/c.txt", &tr, &out,
					&e),
			 DOT_ETOKEN_REVOKED);
		dot_token_free(pt);
		dot_buf_free(&out);
	}
	dot_buf_free(&a);
	dot_buf_free(&tb);
	dot_buf_free(&tc);
	dot_buf_free(&g);
	node_close(&n);
}

static void
test_token_reads(void)
{
	struct node n;
	struct dot_buf a = {0}, tok = {0}, out = {0};
	struct dot_token *pt;
	struct dot_state_reader tr;
	struct dot_state_stat sst;
	struct dot_err e = {0};
	struct txspec t;
	uint8_t sig[DOT_SIGN_SIG_MAX];
	size_t siglen;
	struct listing l = {0};

	node_open(&n);
	a_path(&a, "/d");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/d/f", "secret", 6);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	mint(&tok, ADMIN, "/d", DOT_RIGHT_READ, T0 + 3600, BOB);
	REQUIRE(dot_token_parse(tok.data, tok.len, &pt, &e) == DOT_OK);
	REQUIRE(dot_token_sign_request(pt, K[BOB].sk, "q", 1, sig, &siglen) ==
		DOT_OK);
	memset(&tr, 0, sizeof(tr));
	tr.token = pt;
	tr.msg = (const uint8_t *)"q";
	tr.msg_len = 1;
	tr.sig = sig;
	tr.sig_len = siglen;
	tr.now = n.time;
	CHECK_RC(dot_state_read(n.st, "/d/f", &tr, &out, &e), DOT_OK);
	CHECK(out.len == 6 && memcmp(out.data, "secret", 6) == 0);
	CHECK_RC(dot_state_stat(n.st, "/d/f", &tr, &sst, &e), DOT_OK);
	/* list needs the list right */
	CHECK_RC(dot_state_list(n.st, "/d", &tr, collect, &l, &e),
		 DOT_ETOKEN_RIGHTS);
	/* a proof over another request is refused */
	tr.msg = (const uint8_t *)"other";
	tr.msg_len = 5;
	CHECK_RC(dot_state_read(n.st, "/d/f", &tr, &out, &e),
		 DOT_ETOKEN_WRONG_HOLDER);
	/* an account without authority */
	memset(&tr, 0, sizeof(tr));
	tr.account = "nobody";
	CHECK_RC(dot_state_read(n.st, "/d/f", &tr, &out, &e),
		 DOT_ESTATE_DENIED);
	dot_token_free(pt);
	dot_buf_free(&a);
	dot_buf_free(&tok);
	dot_buf_free(&out);
	node_close(&n);
}


/* Signed reads: answered without a write; recorded when the policy says. */
static void
test_query_and_read_receipts(void)
{
	struct node n;
	struct dot_buf a = {0}, tx = {0}, out = {0}, tok = {0}, pol = {0};
	struct dot_err e = {0};
	struct txspec t;
	uint8_t h1[32], h2[32];
	int record = -1;
	struct dot_dec d;
	const uint8_t *p;
	size_t len;
	uint64_t cnt;

	node_open(&n);
	a_path(&a, "/d");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_put(&a, "/d/f", "payload", 7);
	t = as("admin@active", ADMIN, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE(dot_state_hash(n.st, h1, &e) == DOT_OK);

	/* fs.get by the admin account */
	a_path(&a, "/d/f");
	t = as("admin@active", ADMIN, "fs.get", &a);
	t.nonce = 9001;
	build_tx(&n, &t, &tx);
	REQUIRE_RC(dot_state_query(n.st, tx.data, tx.len, n.time, &out, &record,
				   &e),
		   DOT_OK);
	CHECK(record == 0);
	REQUIRE(dot_dec_init(&d, out.data, out.len, NULL, NULL) == DOT_OK);
	REQUIRE(dot_dec_bstr(&d, &p, &len) == DOT_OK);
	CHECK(len == 7 && memcmp(p, "payload", 7) == 0);
	/* fs.ls and fs.stat by a token holder with list+read */
	mint(&tok, ADMIN, "/d", DOT_RIGHT_LIST | DOT_RIGHT_READ, T0 + 3600,
	     BOB);
	a_path(&a, "/d");
	t = with_token(&tok, BOB, "fs.ls", &a);
	t.nonce = 9002;
	tx.len = 0;
	build_tx(&n, &t, &tx);
	out.len = 0;
	REQUIRE_RC(dot_state_query(n.st, tx.data, tx.len, n.time, &out, &record,
				   &e),
		   DOT_OK);
	REQUIRE(dot_dec_init(&d, out.data, out.len, NULL, NULL) == DOT_OK);
	REQUIRE(dot_dec_array(&d, &cnt) == DOT_OK);
	CHECK(cnt == 1);
	/* a token without read: refused, with apply's code */
	mint(&tok, ADMIN, "/d", DOT_RIGHT_LIST, T0 + 3600, BOB);
	a_path(&a, "/d/f");
	t = with_token(&tok, BOB, "fs.stat", &a);
	t.nonce = 9003;
	tx.len = 0;
	build_tx(&n, &t, &tx);
	out.len = 0;
	CHECK_RC(dot_state_query(n.st, tx.data, tx.len, n.time, &out, &record,
				 &e),
		 DOT_ETOKEN_RIGHTS);
	/* a write is not a query */
	a_put(&a, "/d/g", "x", 1);
	t = as("admin@active", ADMIN, "fs.put", &a);
	t.nonce = 9004;
	tx.len = 0;
	build_tx(&n, &t, &tx);
	CHECK_RC(dot_state_query(n.st, tx.data, tx.len, n.time, &out, &record,
				 &e),
		 DOT_ESTATE_OP);
	/* nothing was written by any of it */
	REQUIRE(dot_state_hash(n.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) == 0);

	/* record reads of /d/f: a query says so; the read applied in a
	 * batch gets its receipt (the read receipt) */
	pol.len = 0;
	dot_enc_map(&pol, 2);
	dot_enc_uint(&pol, 1);
	dot_enc_tstr(&pol, "/d/f", 4);
	dot_enc_uint(&pol, 2);
	dot_enc_uint(&pol, DOT_POLICY_RECORD_READS);
	t = as("admin@active", ADMIN, "fs.policy", &pol);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	a_path(&a, "/d/f");
	t = as("admin@active", ADMIN, "fs.get", &a);
	t.nonce = 9005;
	tx.len = 0;
	build_tx(&n, &t, &tx);
	out.len = 0;
	REQUIRE_RC(dot_state_query(n.st, tx.data, tx.len, n.time, &out, &record,
				   &e),
		   DOT_OK);
	CHECK(record == 1);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_OK);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_ESTATE_DUPLICATE);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	dot_buf_free(&out);
	dot_buf_free(&tok);
	dot_buf_free(&pol);
	node_close(&n);
}


/* The ledger is an RFC 9162 log: every record provable, every earlier root
 * consistent with the later one; a tampered record no longer proves. */
static void
test_audit_log(void)
{
	struct node n;
	struct dot_buf a = {0}, tx = {0}, rc = {0};
	struct dot_audit_proof pr;
	struct dot_err e = {0};
	struct txspec t;
	uint8_t root5[32], root[32], rh[32], leaf[32];
	uint64_t size5 = 0, size, entry;

	node_open(&n);
	for (int i = 0; i < 12; i++) {
		char path[16];
		snprintf(path, sizeof(path), "/f%d", i);
		a_put(&a, path, "x", 1);
		t = as("admin@active", i % 4 == 3 ? BOB : ADMIN, "fs.put", &a);
		(void)run(&n, &t, NULL); /* refused ones are records too */
		if (i == 4)
			dot_state_log_root(n.st, &size5, root5);
	}
	dot_state_log_root(n.st, &size, root);
	CHECK(size == 12 && size5 == 5);
	for (uint64_t seq = 0; seq < size; seq++) {
		struct dot_tx *ptx;
		tx.len = rc.len = 0;
		REQUIRE_RC(dot_state_log_get(n.st, seq, &entry, &tx, &rc, &e),
			   DOT_OK);
		REQUIRE(dot_tx_parse(tx.data, tx.len, &ptx, &e) == DOT_OK);
		dot_receipt_hash(rc.data, rc.len, rh);
		dot_audit_leaf(ptx->id, rh, leaf);
		dot_tx_free(ptx);
		REQUIRE_RC(dot_state_log_prove(n.st, seq, size, &pr, &e), DOT_OK);
		CHECK_RC(dot_audit_verify_inclusion(seq, size, leaf,
						    pr.hashes[0], pr.n, root),
			 DOT_OK);
		/* a leaf of another record does not prove at this index */
		leaf[0] ^= 1;
		CHECK_RC(dot_audit_verify_inclusion(seq, size, leaf,
						    pr.hashes[0], pr.n, root),
			 DOT_EAUDIT_INCLUSION);
	}
	REQUIRE_RC(dot_state_log_consistency(n.st, size5, size, &pr, &e),
		   DOT_OK);
	CHECK_RC(dot_audit_verify_consistency(size5, size, root5, root,
					      pr.hashes[0], pr.n),
		 DOT_OK);
	root5[3] ^= 1;
	CHECK_RC(dot_audit_verify_consistency(size5, size, root5, root,
					      pr.hashes[0], pr.n),
		 DOT_EAUDIT_CONSISTENCY);
	CHECK_RC(dot_state_log_prove(n.st, 12, 12, &pr, &e),
		 DOT_EAUDIT_PROOF_RANGE);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	dot_buf_free(&rc);
	node_close(&n);
}

/* ---- account expiry (docs/decisions/0015) ---- */

static void
a_account_exp(struct dot_buf *b, const char *name, int key, uint64_t exp)
{
	b->len = 0;
	dot_enc_map(b, 4);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, name, strlen(name));
	dot_enc_uint(b, 2);
	dot_enc_array(b, 1);
	dot_enc_array(b, 2);
	dot_enc_bstr(b, K[key].pk, K[key].pklen);
	dot_enc_uint(b, 1);
	dot_enc_uint(b, 3);
	dot_enc_uint(b, 1);
	dot_enc_uint(b, 4);
	dot_enc_uint(b, exp);
}

/* account.set-expiry {1: name, ?2: exp}; DOT_STATE_NO_EXPIRY clears. */
static void
a_set_expiry(struct dot_buf *b, const char *name, uint64_t exp)
{
	b->len = 0;
	dot_enc_map(b, exp == DOT_STATE_NO_EXPIRY ? 1 : 2);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, name, strlen(name));
	if (exp != DOT_STATE_NO_EXPIRY) {
		dot_enc_uint(b, 2);
		dot_enc_uint(b, exp);
	}
}

/* Run as `who` (an "account@level" with one signer) and keep the receipt's
 * detail. */
static int
run_detail(struct node *n, const char *who, int signer, const char *op,
	   const struct dot_buf *a, char *detail)
{
	struct txspec t = as(who, signer, op, a);
	struct dot_buf tx = {0};
	int rv;

	t.nonce = ++n->nonce;
	build_tx(n, &t, &tx);
	rv = apply_txs(n, &tx, 1, 0, NULL, detail);
	dot_buf_free(&tx);
	return rv;
}

/* The expiry account.get shows (asked by the admin at the node's time):
 * DOT_STATE_NO_EXPIRY when its answer has no key 4; 0 on a bad answer. */
static uint64_t
shown_expiry(struct node *n, const char *name)
{
	struct dot_buf a = {0}, tx = {0}, out = {0};
	struct dot_err e = {0};
	struct txspec t;
	struct dot_dec d;
	const uint8_t *p;
	size_t len;
	uint64_t cnt, k, v = 0;
	int record;

	a_path(&a, name); /* {1: name}: the same shape */
	t = as("admin@active", ADMIN, "account.get", &a);
	t.nonce = ++n->nonce;
	build_tx(n, &t, &tx);
	if (dot_state_query(n->st, tx.data, tx.len, n->time, &out, &record,
			    &e) == DOT_OK &&
	    dot_dec_init(&d, out.data, out.len, NULL, NULL) == DOT_OK &&
	    dot_dec_map(&d, &cnt) == DOT_OK && (cnt == 3 || cnt == 4) &&
	    dot_dec_uint(&d, &k) == DOT_OK &&
	    dot_dec_item(&d, &p, &len) == DOT_OK &&
	    dot_dec_uint(&d, &k) == DOT_OK &&
	    dot_dec_item(&d, &p, &len) == DOT_OK &&
	    dot_dec_uint(&d, &k) == DOT_OK &&
	    dot_dec_item(&d, &p, &len) == DOT_OK) {
		v = DOT_STATE_NO_EXPIRY;
		if (cnt == 4 && (dot_dec_uint(&d, &k) != DOT_OK || k != 4 ||
				 dot_dec_uint(&d, &v) != DOT_OK))
			v = 0;
	}
	dot_buf_free(&a);
	dot_buf_free(&tx);
	dot_buf_free(&out);
	return v;
}

/* alice (ALICE) owns /alice; bob (BOB) is another account. */
static void
setup_alice_bob(struct node *n)
{
	struct dot_buf a = {0};
	struct txspec t;
	int ka[] = {ALICE}, kb[] = {BOB};

	a_account(&a, "alice", ka, 1, 1);
	t = as("admin@owner", ADMIN, "account.create", &a);
	REQUIRE_RC(run(n, &t, NULL), DOT_OK);
	a_account(&a, "bob", kb, 1, 1);
	REQUIRE_RC(run(n, &t, NULL), DOT_OK);
	a_path(&a, "/alice");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	REQUIRE_RC(run(n, &t, NULL), DOT_OK);
	a_mv(&a, "/alice", "alice");
	t = as("admin@active", ADMIN, "fs.chown", &a);
	REQUIRE_RC(run(n, &t, NULL), DOT_OK);
	dot_buf_free(&a);
}

/*
 * A tx by an account applies until the entry time reaches its expiry and
 * is refused from then on, with DOT_ESTATE_ACCOUNT_EXPIRED, whatever its
 * level; clearing the expiry restores the account.
 */
static void
test_account_expiry_apply(void)
{
	struct node n;
	struct dot_buf a = {0}, tx = {0};
	struct txspec t;
	char detail[300];
	uint64_t exp;

	node_open(&n);
	setup_alice_bob(&n);
	CHECK(shown_expiry(&n, "alice") == DOT_STATE_NO_EXPIRY);
	/* The next entry is at n.time + 1: alice has two more seconds. */
	exp = n.time + 3;
	a_set_expiry(&a, "alice", exp);
	REQUIRE_RC(run_detail(&n, "admin@owner", ADMIN, "account.set-expiry",
			      &a, NULL),
		   DOT_OK);
	CHECK(shown_expiry(&n, "alice") == exp);
	a_path(&a, "/alice/a");
	CHECK(n.time + 1 == exp - 1);
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "fs.mkdir", &a, NULL),
		 DOT_OK); /* the last second before the expiry */
	a_path(&a, "/alice/b");
	CHECK(n.time + 1 == exp);
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "fs.mkdir", &a, detail),
		 DOT_ESTATE_ACCOUNT_EXPIRED); /* at the expiry */
	CHECK(strstr(detail, "account alice expired at") != NULL);
	CHECK_RC(run_detail(&n, "alice@owner", ALICE, "fs.mkdir", &a, NULL),
		 DOT_ESTATE_ACCOUNT_EXPIRED); /* after it, any level */
	a_path(&a, "alice");
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "account.get", &a,
			    NULL),
		 DOT_ESTATE_ACCOUNT_EXPIRED); /* reads too */
	/* An expired account cannot lift its own expiry. */
	a_set_expiry(&a, "alice", DOT_STATE_NO_EXPIRY);
	CHECK_RC(run_detail(&n, "alice@owner", ALICE, "account.set-expiry",
			    &a, NULL),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	/* The refusal is of an authentic tx: its id is used up. */
	a_path(&a, "/alice/c");
	t = as("alice@active", ALICE, "fs.mkdir", &a);
	t.nonce = ++n.nonce;
	build_tx(&n, &t, &tx);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_ESTATE_DUPLICATE);
	/* A forged tx naming alice is refused for its signature, not her
	 * expiry: nothing before the signature check reveals it. */
	a_path(&a, "/alice/d");
	CHECK_RC(run_detail(&n, "alice@active", BOB, "fs.mkdir", &a, NULL),
		 DOT_ETX_AUTHORITY);
	/* bob may not lift it; the admin may. */
	a_set_expiry(&a, "alice", DOT_STATE_NO_EXPIRY);
	CHECK_RC(run_detail(&n, "bob@owner", BOB, "account.set-expiry", &a,
			    detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "bob@owner may not set alice's expiry") != NULL);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "account.set-expiry",
			    &a, NULL),
		 DOT_OK);
	CHECK(shown_expiry(&n, "alice") == DOT_STATE_NO_EXPIRY);
	a_path(&a, "/alice/b");
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "fs.mkdir", &a, NULL),
		 DOT_OK);
	/* An expiry set in the past stops the account at once. */
	a_set_expiry(&a, "alice", T0);
	REQUIRE_RC(run_detail(&n, "admin@active", ADMIN, "account.set-expiry",
			      &a, NULL),
		   DOT_OK);
	a_path(&a, "/alice/e");
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "fs.mkdir", &a, NULL),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	node_close(&n);
}

struct keys_seen {
	uint64_t alice, admin;
	int n;
};

static int
keys_cb(void *ctx, const char *account, const char *level, const uint8_t *pk,
	size_t pklen, uint64_t expires)
{
	struct keys_seen *k = ctx;

	(void)level, (void)pk, (void)pklen;
	if (strcmp(account, "alice") == 0)
		k->alice = expires;
	if (strcmp(account, "admin") == 0)
		k->admin = expires;
	k->n++;
	return 0;
}

/*
 * Who may set an expiry, and the arguments: account.create's optional
 * key 4; account.set-expiry by the admin (or a token granting admin on
 * "/"), by the account's own owner level only earlier, never on the admin
 * account; the key map's epoch and walk carry it.
 */
static void
test_account_expiry_rules(void)
{
	struct node n;
	struct dot_buf a = {0}, tok = {0};
	struct dot_err e = {0};
	struct txspec t;
	struct keys_seen ks;
	char detail[300];
	uint64_t exp = T0 + 100000, epoch;

	node_open(&n);
	CHECK(count_rows(n.db, "SELECT count(*) FROM meta WHERE k = 'layout'"
			       " AND v = x'04'") == 1);
	/* account.create with an expiry */
	a_account_exp(&a, "carol", CAROL, exp);
	REQUIRE_RC(run_detail(&n, "admin@owner", ADMIN, "account.create", &a,
			      NULL),
		   DOT_OK);
	CHECK(shown_expiry(&n, "carol") == exp);
	CHECK(shown_expiry(&n, "admin") == DOT_STATE_NO_EXPIRY);
	/* bad arguments: too large, a wrong key, not a number, too many */
	a_account_exp(&a, "dave", CAROL, DOT_STATE_MAX_EXPIRY + 1);
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.create", &a,
			    detail),
		 DOT_ESTATE_ARGS);
	CHECK(strstr(detail, "(expires)") != NULL);
	a_account_exp(&a, "dave", CAROL, DOT_STATE_MAX_EXPIRY);
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.create", &a,
			    NULL),
		 DOT_OK); /* the largest is fine */
	a_account_exp(&a, "erin", CAROL, exp);
	a.data[a.len - 6] = 0x05; /* key 4 -> 5 (exp is a 4-byte uint) */
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.create", &a,
			    NULL),
		 DOT_ESTATE_ARGS);
	a_set_expiry(&a, "carol", exp);
	a.len -= 5;
	dot_enc_tstr(&a, "soon", 4);
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.set-expiry",
			    &a, NULL),
		 DOT_ESTATE_ARGS);
	a.len = 0;
	dot_enc_map(&a, 0);
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.set-expiry",
			    &a, NULL),
		 DOT_ESTATE_ARGS);
	a_set_expiry(&a, "carol", exp);
	a.data[0] = 0xa3; /* three pairs, the third missing */
	dot_enc_uint(&a, 3);
	dot_enc_uint(&a, 1);
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.set-expiry",
			    &a, NULL),
		 DOT_ESTATE_ARGS);
	/* the admin account never expires */
	a_set_expiry(&a, "admin", exp);
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.set-expiry",
			    &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "never expires") != NULL);
	/* no such account */
	a_set_expiry(&a, "nobody", exp);
	CHECK_RC(run_detail(&n, "admin@owner", ADMIN, "account.set-expiry",
			    &a, NULL),
		 DOT_ESTATE_NOT_FOUND);
	/* carol's own levels: active no, owner only earlier */
	a_set_expiry(&a, "carol", exp - 10);
	CHECK_RC(run_detail(&n, "carol@active", CAROL, "account.set-expiry",
			    &a, NULL),
		 DOT_ESTATE_DENIED);
	CHECK_RC(run_detail(&n, "carol@owner", CAROL, "account.set-expiry",
			    &a, NULL),
		 DOT_OK);
	CHECK(shown_expiry(&n, "carol") == exp - 10);
	a_set_expiry(&a, "carol", exp);
	CHECK_RC(run_detail(&n, "carol@owner", CAROL, "account.set-expiry",
			    &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "not move it later") != NULL);
	a_set_expiry(&a, "carol", DOT_STATE_NO_EXPIRY);
	CHECK_RC(run_detail(&n, "carol@owner", CAROL, "account.set-expiry",
			    &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "may not clear") != NULL);
	CHECK(shown_expiry(&n, "carol") == exp - 10);
	/* another account's owner level may not touch it */
	a_set_expiry(&a, "carol", exp - 20);
	CHECK_RC(run_detail(&n, "dave@owner", CAROL, "account.set-expiry", &a,
			    NULL),
		 DOT_ESTATE_DENIED);
	/* a token granting admin on "/" may, as for account.create; one on
	 * less may not */
	mint(&tok, ADMIN, "/", DOT_RIGHT_ADMIN, T0 + 3600, BOB);
	a_set_expiry(&a, "carol", DOT_STATE_NO_EXPIRY);
	t = with_token(&tok, BOB, "account.set-expiry", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	CHECK(shown_expiry(&n, "carol") == DOT_STATE_NO_EXPIRY);
	mint(&tok, ADMIN, "/", DOT_RIGHT_READ, T0 + 3600, BOB);
	a_set_expiry(&a, "carol", exp);
	t = with_token(&tok, BOB, "account.set-expiry", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RIGHTS);
	/* a set-expiry moves the key map's epoch; the walk carries it */
	epoch = dot_state_keys_epoch(n.st);
	a_set_expiry(&a, "carol", exp);
	REQUIRE_RC(run_detail(&n, "admin@owner", ADMIN, "account.set-expiry",
			      &a, NULL),
		   DOT_OK);
	CHECK(dot_state_keys_epoch(n.st) != epoch);
	a_account_exp(&a, "alice", ALICE, exp + 1);
	REQUIRE_RC(run_detail(&n, "admin@owner", ADMIN, "account.create", &a,
			      NULL),
		   DOT_OK);
	memset(&ks, 0, sizeof(ks));
	REQUIRE_RC(dot_state_level_keys(n.st, keys_cb, &ks, &e), DOT_OK);
	CHECK(ks.alice == exp + 1 && ks.admin == DOT_STATE_NO_EXPIRY &&
	      ks.n == 8);
	dot_buf_free(&a);
	dot_buf_free(&tok);
	node_close(&n);
}

/*
 * Tokens whose issuer account has expired stop working (in apply, in
 * signed reads and for token readers); an account reader that has expired
 * is refused; the admin still revokes such a token.
 */
static void
test_account_expiry_tokens(void)
{
	struct node n;
	struct dot_buf a = {0}, tok = {0}, tx = {0}, out = {0};
	struct dot_state_reader r;
	struct dot_state_stat stt;
	struct dot_token *pt = NULL;
	struct dot_err e = {0};
	struct txspec t;
	uint8_t sig[DOT_SIGN_SIG_MAX];
	size_t siglen = 0;
	uint64_t exp;
	int record;
	static const char msg[] = "read request";

	node_open(&n);
	setup_alice_bob(&n);
	a_put(&a, "/alice/f", "hi", 2);
	t = as("alice@active", ALICE, "fs.put", &a);
	REQUIRE_RC(run(&n, &t, NULL), DOT_OK);
	mint(&tok, ALICE, "/alice", DOT_RIGHT_READ, T0 + 3600, BOB);
	a_path(&a, "/alice/f");
	t = with_token(&tok, BOB, "fs.stat", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	REQUIRE(dot_token_parse(tok.data, tok.len, &pt, &e) == DOT_OK);
	REQUIRE(dot_token_sign_request(pt, K[BOB].sk, msg, sizeof(msg), sig,
				       &siglen) == DOT_OK);
	memset(&r, 0, sizeof(r));
	r.token = pt;
	r.msg = (const uint8_t *)msg;
	r.msg_len = sizeof(msg);
	r.sig = sig;
	r.sig_len = siglen;
	r.now = n.time;
	CHECK_RC(dot_state_stat(n.st, "/alice/f", &r, &stt, &e), DOT_OK);
	/* alice expires with the entry that sets it */
	exp = n.time + 1;
	a_set_expiry(&a, "alice", exp);
	REQUIRE_RC(run_detail(&n, "admin@active", ADMIN, "account.set-expiry",
			      &a, NULL),
		   DOT_OK);
	a_path(&a, "/alice/f");
	t = with_token(&tok, BOB, "fs.stat", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_ACCOUNT_EXPIRED);
	t.nonce = ++n.nonce;
	build_tx(&n, &t, &tx);
	CHECK_RC(dot_state_query(n.st, tx.data, tx.len, n.time, &out, &record,
				 &e),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	CHECK(strstr(e.msg, "issuer account alice expired") != NULL);
	r.now = n.time;
	CHECK_RC(dot_state_stat(n.st, "/alice/f", &r, &stt, &e),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	r.now = exp - 1; /* before the expiry, the reader may */
	CHECK_RC(dot_state_stat(n.st, "/alice/f", &r, &stt, &e), DOT_OK);
	memset(&r, 0, sizeof(r));
	r.account = "alice";
	r.now = n.time;
	CHECK_RC(dot_state_stat(n.st, "/alice/f", &r, &stt, &e),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	r.account = "admin";
	CHECK_RC(dot_state_stat(n.st, "/alice/f", &r, &stt, &e), DOT_OK);
	/* the admin still revokes it */
	a_revoke(&a, &tok, 0);
	t = as("admin@active", ADMIN, "cap.revoke", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	dot_token_free(pt);
	dot_buf_free(&a);
	dot_buf_free(&tok);
	dot_buf_free(&tx);
	dot_buf_free(&out);
	node_close(&n);
}

/*
 * Determinism with expiries: random entries of expiry changes (by the
 * admin and by the account's owner) and txs by the account and through its
 * token, at random entry times around the expiry, applied to two
 * databases: the same receipts and state hash after every entry, both
 * outcomes seen; and the state hash covers the expiry.
 */
static void
test_account_expiry_determinism(void)
{
	struct node n1, n2;
	struct dot_buf a = {0}, tok = {0}, txs[3] = {{0}, {0}, {0}};
	uint64_t seed = 0xe59;
	int expired = 0, applied = 0, diverged = 0;
	struct dot_err e = {0};
	uint8_t h1[32], h2[32];

	node_open(&n1);
	node_open(&n2);
	setup_alice_bob(&n1);
	setup_alice_bob(&n2);
	mint(&tok, ALICE, "/alice", DOT_RIGHTS_ALL, T0 + 3600, BOB);
	for (int entry = 0; entry < 80; entry++) {
		size_t count = 1 + t_rand(&seed) % 3;
		const uint8_t *ptrs[3];
		size_t lens[3];
		struct dot_buf en = {0}, r1 = {0}, r2 = {0};

		for (size_t i = 0; i < count; i++) {
			struct txspec t;
			char path[32];
			unsigned pick = t_rand(&seed) % 5;
			uint64_t when = n1.time + t_rand(&seed) % 8;

			snprintf(path, sizeof(path), "/alice/d%d.%zu", entry, i);
			if (pick == 0) {
				a_set_expiry(&a, "alice",
					     t_rand(&seed) % 4 == 0
						     ? DOT_STATE_NO_EXPIRY
						     : when);
				t = as("admin@active", ADMIN,
				       "account.set-expiry", &a);
			} else if (pick == 1) {
				a_set_expiry(&a, "alice", when);
				t = as("alice@owner", ALICE,
				       "account.set-expiry", &a);
			} else if (pick == 2) {
				a_path(&a, path);
				t = with_token(&tok, BOB, "fs.mkdir", &a);
			} else {
				a_path(&a, path);
				t = as("alice@active", ALICE, "fs.mkdir", &a);
			}
			t.nonce = 1000 + (uint64_t)entry * 10 + i;
			txs[i].len = 0;
			build_tx(&n1, &t, &txs[i]);
			ptrs[i] = txs[i].data;
			lens[i] = txs[i].len;
		}
		REQUIRE(dot_state_batch_encode(ptrs, lens, count, &en, &e) ==
			DOT_OK);
		n1.index++, n1.time += t_rand(&seed) % 4;
		n2.index = n1.index, n2.time = n1.time;
		REQUIRE(dot_state_apply(n1.st, n1.index, n1.time, en.data,
					en.len, &r1, &e) == DOT_OK);
		REQUIRE(dot_state_apply(n2.st, n2.index, n2.time, en.data,
					en.len, &r2, &e) == DOT_OK);
		if (r1.len != r2.len || memcmp(r1.data, r2.data, r1.len) != 0)
			diverged++;
		REQUIRE(dot_state_hash(n1.st, h1, &e) == DOT_OK);
		REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
		if (memcmp(h1, h2, 32) != 0)
			diverged++;
		{
			struct dot_dec d;
			uint64_t nr;
			REQUIRE(dot_dec_init(&d, r1.data, r1.len, NULL, NULL) ==
				DOT_OK);
			REQUIRE(dot_dec_array(&d, &nr) == DOT_OK);
			for (uint64_t k = 0; k < nr; k++) {
				const uint8_t *p;
				size_t len;
				struct dot_receipt *rc;
				REQUIRE(dot_dec_bstr(&d, &p, &len) == DOT_OK);
				REQUIRE(dot_receipt_parse(p, len, &rc, &e) ==
					DOT_OK);
				if (rc->status == DOT_ESTATE_ACCOUNT_EXPIRED)
					expired++;
				else if (rc->status == DOT_OK)
					applied++;
				dot_receipt_free(rc);
			}
		}
		dot_buf_free(&en);
		dot_buf_free(&r1);
		dot_buf_free(&r2);
	}
	printf("# %d applied, %d refused as expired\n", applied, expired);
	CHECK(diverged == 0);
	CHECK(applied > 20 && expired > 10);
	/* the hash covers the expiry: change only it on one node */
	REQUIRE(sqlite3_exec(n2.db, "UPDATE accounts SET expires ="
				    " coalesce(expires + 1, 1) WHERE name ="
				    " 'alice'",
			     NULL, NULL, NULL) == SQLITE_OK);
	REQUIRE(dot_state_hash(n1.st, h1, &e) == DOT_OK);
	REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) != 0);
	for (int i = 0; i < 3; i++)
		dot_buf_free(&txs[i]);
	dot_buf_free(&a);
	dot_buf_free(&tok);
	node_close(&n1);
	node_close(&n2);
}

/* ---- nodes and membership by invitation (docs/decisions/0017) ---- */

/* "join-" + the invite key's key id in hex, and "...@active". */
static void
invite_of(int key, char *name, size_t cap)
{
	uint8_t id[DOT_KEY_ID_LEN];
	char hex[2 * DOT_KEY_ID_LEN + 1];

	dot_key_id(K[key].pk, K[key].pklen, id);
	for (size_t i = 0; i < DOT_KEY_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(name, cap, "join-%s", hex);
}

static void
a_invite(struct dot_buf *b, int key, uint64_t role, uint64_t expires)
{
	b->len = 0;
	dot_enc_map(b, 3);
	dot_enc_uint(b, 1);
	dot_enc_bstr(b, K[key].pk, K[key].pklen);
	dot_enc_uint(b, 2);
	dot_enc_uint(b, role);
	dot_enc_uint(b, 3);
	dot_enc_uint(b, expires);
}

/* The proof of node.join, byte by byte as docs/state-model.md §8.5 says:
 * "doteros-node-join/1" || cluster id || account || 00 || node key ||
 * raft addr || 00 || api addr, signed by signer. */
static void
join_proof(int signer, const uint8_t *cluster, const char *account,
	   int node, const char *raft, const char *api, uint8_t *sig,
	   size_t *siglen)
{
	struct dot_buf m = {0};

	dot_buf_put(&m, "doteros-node-join/1", 19);
	dot_buf_put(&m, cluster, DOT_CLUSTER_ID_LEN);
	dot_buf_put(&m, account, strlen(account) + 1);
	dot_buf_put(&m, K[node].pk, K[node].pklen);
	dot_buf_put(&m, raft, strlen(raft) + 1);
	dot_buf_put(&m, api, strlen(api));
	if (m.err || dot_sign(K[signer].sk, m.data, m.len, sig, siglen) !=
			     DOT_OK)
		abort();
	dot_buf_free(&m);
}

/* node.join args for node `node` through the invitation of key `inv`;
 * the proof signed by `signer` over (praft, papi) (normally the node and
 * the same addresses). */
static void
a_join_ex(struct dot_buf *b, int inv, int node, const char *raft,
	  const char *api, int signer, const char *praft, const char *papi)
{
	char acct[40];
	uint8_t sig[DOT_SIGN_SIG_MAX];
	size_t siglen;

	invite_of(inv, acct, sizeof(acct));
	join_proof(signer, CLUSTER, acct, node, praft, papi, sig, &siglen);
	b->len = 0;
	dot_enc_map(b, 4);
	dot_enc_uint(b, 1);
	dot_enc_bstr(b, K[node].pk, K[node].pklen);
	dot_enc_uint(b, 2);
	dot_enc_tstr(b, raft, strlen(raft));
	dot_enc_uint(b, 3);
	dot_enc_tstr(b, api, strlen(api));
	dot_enc_uint(b, 4);
	dot_enc_bstr(b, sig, siglen);
}

static void
a_join(struct dot_buf *b, int inv, int node, const char *raft,
       const char *api)
{
	a_join_ex(b, inv, node, raft, api, node, raft, api);
}

static void
a_nodekey(struct dot_buf *b, int node)
{
	b->len = 0;
	dot_enc_map(b, 1);
	dot_enc_uint(b, 1);
	dot_enc_bstr(b, K[node].pk, K[node].pklen);
}

static void
a_role(struct dot_buf *b, int node, uint64_t role)
{
	b->len = 0;
	dot_enc_map(b, 2);
	dot_enc_uint(b, 1);
	dot_enc_bstr(b, K[node].pk, K[node].pklen);
	dot_enc_uint(b, 2);
	dot_enc_uint(b, role);
}

/* Run as the invitation of key inv (INVITE@level, signed by inv). */
static int
run_invite(struct node *n, int inv, const char *level, const char *op,
	   const struct dot_buf *a, char *detail)
{
	char who[64], acct[40];

	invite_of(inv, acct, sizeof(acct));
	snprintf(who, sizeof(who), "%s@%s", acct, level);
	return run_detail(n, who, inv, op, a, detail);
}

/* Invite key inv as role, valid for an hour. */
static int
invite(struct node *n, int inv, uint64_t role)
{
	struct dot_buf a = {0};
	int rv;

	a_invite(&a, inv, role, n->time + 3600);
	rv = run_detail(n, "admin@active", ADMIN, "node.invite", &a, NULL);
	dot_buf_free(&a);
	return rv;
}

static int
join(struct node *n, int inv, int node, const char *raft)
{
	struct dot_buf a = {0};
	int rv;

	a_join(&a, inv, node, raft, "");
	rv = run_invite(n, inv, "active", "node.join", &a, NULL);
	dot_buf_free(&a);
	return rv;
}

struct nodes_seen {
	size_t n;
	struct dot_state_node v[8];
};

static int
nodes_cb(void *ctx, const struct dot_state_node *nd)
{
	struct nodes_seen *s = ctx;

	if (s->n < 8)
		s->v[s->n] = *nd;
	s->n++;
	return 0;
}

static size_t
nodes_of(struct node *n, struct nodes_seen *s)
{
	struct dot_err e = {0};

	memset(s, 0, sizeof(*s));
	if (dot_state_nodes(n->st, nodes_cb, s, &e) != DOT_OK)
		return (size_t)-1;
	return s->n;
}

/* node.list as a signed read by who (signer), into out. */
static int
node_list(struct node *n, const char *who, int signer, struct dot_buf *out)
{
	struct dot_buf a = {0}, tx = {0};
	struct dot_err e = {0};
	struct txspec t;
	int record, rv;

	dot_enc_map(&a, 0);
	t = as(who, signer, "node.list", &a);
	t.nonce = ++n->nonce;
	build_tx(n, &t, &tx);
	out->len = 0;
	rv = dot_state_query(n->st, tx.data, tx.len, n->time, out, &record, &e);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	return rv;
}

/* The raft id: BLAKE2b-256("doteros-raft-id/1" || key), 8 bytes
 * big-endian, top bit cleared, never 0. */
static void
test_node_raft_id(void)
{
	static const char dom[] = "doteros-raft-id/1";
	struct dot_hash_ctx h;
	uint8_t d[32];
	uint64_t want = 0, seen_top = 0;

	keys_init();
	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, K[N1].pk, K[N1].pklen);
	dot_hash_final(&h, d);
	for (int i = 0; i < 8; i++)
		want = want << 8 | d[i];
	seen_top = want >> 63;
	want &= 0x7fffffffffffffffull;
	CHECK(dot_state_node_raft_id(K[N1].pk, K[N1].pklen) == want);
	CHECK(dot_state_node_raft_id(K[N1].pk, K[N1].pklen) ==
	      dot_state_node_raft_id(K[N1].pk, K[N1].pklen));
	CHECK(dot_state_node_raft_id(K[N1].pk, K[N1].pklen) !=
	      dot_state_node_raft_id(K[N2].pk, K[N2].pklen));
	/* the top bit is cleared for every key (and some key had it set) */
	for (int i = 0; i < NKEYS; i++) {
		uint64_t id = dot_state_node_raft_id(K[i].pk, K[i].pklen);
		CHECK(id != 0 && (id >> 63) == 0);
		dot_hash_init(&h);
		dot_hash_update(&h, dom, sizeof(dom) - 1);
		dot_hash_update(&h, K[i].pk, K[i].pklen);
		dot_hash_final(&h, d);
		seen_top |= d[0] >> 7;
	}
	CHECK(seen_top == 1);
}

/* Addresses: one spelling for each, so they compare as strings. */
static void
test_node_addresses(void)
{
	static const char *const good[] = {
		"127.0.0.1:7401", "0.0.0.0:1", "255.255.255.255:65535",
		"[::1]:7401", "[::]:80", "[2001:db8::1]:443",
		"[fe80::1:0:0:1]:9", "[2001:db8:0:1:1:1:1:1]:1",
		"[1::]:2", "node-1.example.org:7401", "localhost:7400",
		"a:1", "x1.y2:65535",
	};
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:07401", "127.0.0.1:+80",
		"127.0.0.1:80 ", " 127.0.0.1:80", "127.0.0.01:80",
		"256.0.0.1:80", "1.2.3:80", "1.2.3.4.5:80", "1..2.3:80",
		"::1:80", "[::1]", "[::1]80", "[::1]:", "[0::1]:80",
		"[::0001]:80", "[::FFFF]:80", "[2001:db8:0:0:1::1]:80",
		"[fe80::1:0:0:0:1]:9", /* the longer zero run is the :: */
		"[1:0:0:0:0:0:0:0]:80", "[2001:db8::1::2]:80",
		"[fe80::1%eth0]:80", "[::ffff:1.2.3.4]:80", "[1:2:3:4:5:6:7]:80",
		"[1:2:3:4:5:6:7:8:9]:80", "[:1::]:80", "Node.example:80",
		"-node:80", "node-:80", "a..b:80", ".a:80", "a.:80",
		"a_b:80", "a:b:80", "host:80:90",
	};
	char longname[200];
	struct dot_err e = {0};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rv = dot_state_addr_check(good[i], strlen(good[i]), &e);
		if (rv != DOT_OK)
			printf("# good address refused: %s (%s)\n", good[i],
			       e.msg);
		CHECK_RC(rv, DOT_OK);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rv = dot_state_addr_check(bad[i], strlen(bad[i]), &e);
		if (rv != DOT_EINVAL)
			printf("# bad address accepted: \"%s\"\n", bad[i]);
		CHECK_RC(rv, DOT_EINVAL);
	}
	/* a NUL inside is refused, not cut */
	CHECK_RC(dot_state_addr_check("a:1\0x", 5, &e), DOT_EINVAL);
	/* 128 bytes at most */
	memset(longname, 'a', sizeof(longname));
	for (size_t i = 60; i < sizeof(longname); i += 61)
		longname[i] = '.';
	memcpy(longname + 123, ":7401", 5); /* 128 bytes */
	CHECK_RC(dot_state_addr_check(longname, 128, &e), DOT_OK);
	longname[122] = 'a';
	memcpy(longname + 124, ":7401", 5); /* 129 bytes */
	CHECK_RC(dot_state_addr_check(longname, 129, &e), DOT_EINVAL);
}

/* The genesis names the first node; node.list and the walk show it. */
static void
test_node_genesis(void)
{
	struct node n, m;
	struct nodes_seen s;
	struct dot_state_node one;
	struct dot_buf out = {0}, g = {0}, r = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	struct dot_tx_level_key ak;
	uint64_t cnt, v;
	const uint8_t *p;
	size_t len;
	const char *t;
	uint8_t h1[32], h2[32];

	node_open_g(&n, 1);
	REQUIRE(nodes_of(&n, &s) == 1);
	CHECK(s.v[0].keylen == K[N1].pklen &&
	      memcmp(s.v[0].key, K[N1].pk, K[N1].pklen) == 0);
	CHECK(s.v[0].raft_id == dot_state_node_raft_id(K[N1].pk, K[N1].pklen));
	CHECK(strcmp(s.v[0].raft_addr, "10.0.0.1:7401") == 0 &&
	      strcmp(s.v[0].api_addr, "10.0.0.1:7400") == 0);
	CHECK(s.v[0].role == DOT_NODE_VOTER &&
	      s.v[0].status == DOT_NODE_ACTIVE && s.v[0].admitted == 1 &&
	      s.v[0].removed == 0);
	CHECK_RC(dot_state_node_get(n.st, K[N1].pk, K[N1].pklen, &one, &e),
		 DOT_OK);
	CHECK(one.raft_id == s.v[0].raft_id);
	CHECK_RC(dot_state_node_get(n.st, K[N2].pk, K[N2].pklen, &one, &e),
		 DOT_ESTATE_NOT_FOUND);
	/* node.list: [[key, raft id, raft addr, api addr, role, status,
	 * admitted, removed]] */
	REQUIRE_RC(node_list(&n, "admin@active", ADMIN, &out), DOT_OK);
	REQUIRE(dot_dec_init(&d, out.data, out.len, NULL, NULL) == DOT_OK);
	CHECK(dot_dec_array(&d, &cnt) == DOT_OK && cnt == 1);
	CHECK(dot_dec_array(&d, &cnt) == DOT_OK && cnt == 8);
	CHECK(dot_dec_bstr(&d, &p, &len) == DOT_OK && len == K[N1].pklen &&
	      memcmp(p, K[N1].pk, len) == 0);
	CHECK(dot_dec_uint(&d, &v) == DOT_OK && v == s.v[0].raft_id);
	CHECK(dot_dec_tstr(&d, &t, &len) == DOT_OK && len == 13 &&
	      memcmp(t, "10.0.0.1:7401", 13) == 0);
	CHECK(dot_dec_tstr(&d, &t, &len) == DOT_OK && len == 13);
	CHECK(dot_dec_uint(&d, &v) == DOT_OK && v == DOT_NODE_VOTER);
	CHECK(dot_dec_uint(&d, &v) == DOT_OK && v == DOT_NODE_ACTIVE);
	CHECK(dot_dec_uint(&d, &v) == DOT_OK && v == 1);
	CHECK(dot_dec_uint(&d, &v) == DOT_OK && v == 0);
	CHECK(dot_dec_done(&d));
	/* a genesis without a node has none, and hashes differently */
	node_open(&m);
	CHECK(nodes_of(&m, &s) == 0);
	REQUIRE(dot_state_hash(n.st, h1, &e) == DOT_OK);
	REQUIRE(dot_state_hash(m.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) != 0);
	node_close(&m);
	/* the encoder refuses a bad node */
	ak.pk = K[ADMIN].pk;
	ak.pk_len = K[ADMIN].pklen;
	ak.weight = 1;
	CHECK_RC(dot_state_genesis_encode_node(CLUSTER, "admin", &ak, 1, 1,
					       K[N1].pk, K[N1].pklen,
					       "10.0.0.1", NULL, &g, &e),
		 DOT_EINVAL);
	CHECK(strstr(e.msg, "raft address") != NULL);
	CHECK_RC(dot_state_genesis_encode_node(CLUSTER, "admin", &ak, 1, 1,
					       K[N1].pk, K[N1].pklen,
					       "10.0.0.1:1", "x:0", &g, &e),
		 DOT_EINVAL);
	CHECK_RC(dot_state_genesis_encode_node(CLUSTER, "admin", &ak, 1, 1,
					       K[N1].pk, 32, "10.0.0.1:1",
					       NULL, &g, &e),
		 DOT_EINVAL);
	/* and the state refuses a genesis whose node is malformed (encoded
	 * by hand: the node's raft address "x"), without moving */
	{
		sqlite3 *db;
		struct dot_state *st;
		uint64_t idx, tm;

		g.len = 0;
		REQUIRE(dot_state_genesis_encode(CLUSTER, "admin", &ak, 1, 1,
						 &g, &e) == DOT_OK);
		g.data[2] = 0xa5; /* map of 5 */
		dot_enc_uint(&g, 5);
		dot_enc_map(&g, 3);
		dot_enc_uint(&g, 1);
		dot_enc_bstr(&g, K[N1].pk, K[N1].pklen);
		dot_enc_uint(&g, 2);
		dot_enc_tstr(&g, "x", 1);
		dot_enc_uint(&g, 3);
		dot_enc_tstr(&g, "", 0);
		REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
		REQUIRE(dot_state_open(db, &st, &e) == DOT_OK);
		CHECK_RC(dot_state_apply(st, 1, T0, g.data, g.len, &r, &e),
			 DOT_ESTATE_GENESIS);
		CHECK(strstr(e.msg, "genesis node") != NULL);
		dot_state_position(st, &idx, &tm);
		CHECK(idx == 0);
		CHECK(count_rows(db, "SELECT count(*) FROM nodes") == 0);
		/* the same with a good address applies */
		g.len -= 4; /* 61 78 03 60: "x", 3, "" */
		dot_enc_tstr(&g, "x:1", 3);
		dot_enc_uint(&g, 3);
		dot_enc_tstr(&g, "", 0);
		CHECK_RC(dot_state_apply(st, 1, T0, g.data, g.len, &r, &e),
			 DOT_OK);
		CHECK(count_rows(db, "SELECT count(*) FROM nodes") == 1);
		dot_state_close(st);
		sqlite3_close(db);
	}
	dot_buf_free(&out);
	dot_buf_free(&g);
	dot_buf_free(&r);
	node_close(&n);
}

/* Invite, join, list; the invitation is used up and ends at once. */
static void
test_node_invite_join(void)
{
	struct node n;
	struct nodes_seen s;
	struct dot_buf a = {0}, out = {0};
	struct dot_dec d;
	char detail[300], acct[40];
	uint64_t cnt;

	node_open_g(&n, 1);
	invite_of(I1, acct, sizeof(acct));
	CHECK(strlen(acct) == 21 && strncmp(acct, "join-", 5) == 0);
	CHECK_RC(invite(&n, I1, DOT_NODE_STANDBY), DOT_OK);
	CHECK(count_rows(n.db, "SELECT count(*) FROM invites WHERE used = 0"
			       " AND role = 2") == 1);
	CHECK(shown_expiry(&n, acct) == n.time - 1 + 3600);
	/* the same invite key twice: the account exists */
	a_invite(&a, I1, DOT_NODE_VOTER, n.time + 3600);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    detail),
		 DOT_ESTATE_EXISTS);
	/* the invitation joins N2 */
	a_join(&a, I1, N2, "10.0.0.2:7401", "10.0.0.2:7400");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, detail),
		 DOT_OK);
	REQUIRE(nodes_of(&n, &s) == 2);
	for (size_t i = 0; i < 2; i++) {
		if (s.v[i].keylen != K[N2].pklen ||
		    memcmp(s.v[i].key, K[N2].pk, K[N2].pklen) != 0)
			continue;
		CHECK(s.v[i].role == DOT_NODE_STANDBY &&
		      s.v[i].status == DOT_NODE_ACTIVE &&
		      s.v[i].admitted == n.index && s.v[i].removed == 0 &&
		      strcmp(s.v[i].raft_addr, "10.0.0.2:7401") == 0 &&
		      strcmp(s.v[i].api_addr, "10.0.0.2:7400") == 0);
	}
	CHECK(s.v[0].raft_id < s.v[1].raft_id); /* raft id order */
	CHECK(count_rows(n.db, "SELECT count(*) FROM invites WHERE used = 1")
	      == 1);
	CHECK(shown_expiry(&n, acct) == n.time); /* ended at once */
	REQUIRE_RC(node_list(&n, "admin@active", ADMIN, &out), DOT_OK);
	REQUIRE(dot_dec_init(&d, out.data, out.len, NULL, NULL) == DOT_OK);
	CHECK(dot_dec_array(&d, &cnt) == DOT_OK && cnt == 2);
	/* any account may list; a token may not */
	{
		int ka[] = {ALICE};
		struct dot_buf tok = {0}, q = {0};
		struct dot_err e = {0};
		struct txspec t;
		int record;

		a_account(&a, "alice", ka, 1, 1);
		REQUIRE_RC(run_detail(&n, "admin@owner", ADMIN,
				      "account.create", &a, NULL),
			   DOT_OK);
		CHECK_RC(node_list(&n, "alice@active", ALICE, &out), DOT_OK);
		mint(&tok, ADMIN, "/", DOT_RIGHTS_ALL, T0 + 3600, BOB);
		a.len = 0;
		dot_enc_map(&a, 0);
		t = with_token(&tok, BOB, "node.list", &a);
		t.nonce = ++n.nonce;
		build_tx(&n, &t, &q);
		CHECK_RC(dot_state_query(n.st, q.data, q.len, n.time, &out,
					 &record, &e),
			 DOT_ESTATE_DENIED);
		/* node.list's args are an empty map */
		a_path(&a, "/");
		t = as("alice@active", ALICE, "node.list", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_ARGS);
		dot_buf_free(&tok);
		dot_buf_free(&q);
	}
	dot_buf_free(&a);
	dot_buf_free(&out);
	node_close(&n);
}

/* An invitation can do nothing but node.join: even what any account may
 * do to itself is refused, with the one check's message. */
static void
test_node_invite_confined(void)
{
	struct node n;
	struct dot_buf a = {0}, sl = {0};
	char detail[300], acct[40];

	node_open_g(&n, 1);
	invite_of(I1, acct, sizeof(acct));
	REQUIRE_RC(invite(&n, I1, DOT_NODE_VOTER), DOT_OK);
	a_path(&a, "/x");
	CHECK_RC(run_invite(&n, I1, "active", "fs.mkdir", &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "is an invitation") != NULL);
	a_put(&a, "/x", "x", 1);
	CHECK_RC(run_invite(&n, I1, "active", "fs.put", &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "is an invitation") != NULL);
	a_path(&a, acct); /* account.get of itself: any account may */
	CHECK_RC(run_invite(&n, I1, "active", "account.get", &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "is an invitation") != NULL);
	a.len = 0;
	dot_enc_map(&a, 0);
	CHECK_RC(run_invite(&n, I1, "active", "node.list", &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "is an invitation") != NULL);
	/* its own levels and expiry: what an owner level may do */
	dot_enc_map(&sl, 4);
	dot_enc_uint(&sl, 1);
	dot_enc_tstr(&sl, acct, strlen(acct));
	dot_enc_uint(&sl, 2);
	dot_enc_tstr(&sl, "active", 6);
	dot_enc_uint(&sl, 3);
	dot_enc_array(&sl, 1);
	dot_enc_array(&sl, 2);
	dot_enc_bstr(&sl, K[BOB].pk, K[BOB].pklen);
	dot_enc_uint(&sl, 1);
	dot_enc_uint(&sl, 4);
	dot_enc_uint(&sl, 1);
	CHECK_RC(run_invite(&n, I1, "owner", "account.set-level", &sl, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "is an invitation") != NULL);
	a_set_expiry(&a, acct, n.time + 60);
	CHECK_RC(run_invite(&n, I1, "owner", "account.set-expiry", &a, detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "is an invitation") != NULL);
	a_invite(&a, I2, DOT_NODE_VOTER, n.time + 60);
	CHECK_RC(run_invite(&n, I1, "active", "node.invite", &a, detail),
		 DOT_ESTATE_DENIED);
	a_nodekey(&a, N1);
	CHECK_RC(run_invite(&n, I1, "active", "node.remove", &a, detail),
		 DOT_ESTATE_DENIED);
	/* the invite key issues no token that works */
	{
		struct dot_buf tok = {0};
		struct txspec t;

		mint(&tok, I1, "/", DOT_RIGHTS_ALL, T0 + 3600, BOB);
		a_path(&a, "/y");
		t = with_token(&tok, BOB, "fs.mkdir", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_ISSUER);
		dot_buf_free(&tok);
	}
	/* node.join is signed as INVITE@active, by an invitation */
	a_join(&a, I1, N2, "10.0.0.2:7401", "");
	CHECK_RC(run_invite(&n, I1, "owner", "node.join", &a, detail),
		 DOT_ESTATE_DENIED);
	a_join(&a, I1, N2, "10.0.0.2:7401", "");
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.join", &a,
			    detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "holds no invitation") != NULL);
	{
		struct dot_buf tok = {0};
		struct txspec t;

		mint(&tok, ADMIN, "/", DOT_RIGHTS_ALL, T0 + 3600, I1);
		t = with_token(&tok, I1, "node.join", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_DENIED);
		dot_buf_free(&tok);
	}
	/* and then it joins */
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, detail),
		 DOT_OK);
	dot_buf_free(&a);
	dot_buf_free(&sl);
	node_close(&n);
}

/* Every way a join can be wrong is refused with its code. */
static void
test_node_join_refusals(void)
{
	struct node n;
	struct dot_buf a = {0};
	char detail[300], acct[40];
	struct nodes_seen s;

	node_open_g(&n, 1);
	/* arguments of node.invite */
	a_invite(&a, I1, 0, n.time + 60);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    NULL),
		 DOT_ESTATE_ARGS);
	a_invite(&a, I1, 4, n.time + 60);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    NULL),
		 DOT_ESTATE_ARGS);
	a_invite(&a, I1, 1, n.time + 1); /* the entry's own time */
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    detail),
		 DOT_ESTATE_ARGS);
	CHECK(strstr(detail, "must be after the entry time") != NULL);
	a_invite(&a, I1, 1, n.time + 1 + 7 * 86400 + 1); /* a second over */
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    NULL),
		 DOT_ESTATE_ARGS);
	a_invite(&a, I1, 1, n.time + 1 + 7 * 86400); /* exactly 7 days */
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    NULL),
		 DOT_OK);
	a_invite(&a, ADMIN, 1, n.time + 60); /* an account's key already */
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    detail),
		 DOT_ESTATE_EXISTS);
	a.len = 0;
	dot_enc_map(&a, 3);
	dot_enc_uint(&a, 1);
	dot_enc_bstr(&a, K[I2].pk, 32); /* no suite byte */
	dot_enc_uint(&a, 2);
	dot_enc_uint(&a, 1);
	dot_enc_uint(&a, 3);
	dot_enc_uint(&a, n.time + 60);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.invite", &a,
			    NULL),
		 DOT_ESTATE_ARGS);
	/* only whoever has authority over "/" invites */
	{
		int ka[] = {ALICE};
		a_account(&a, "alice", ka, 1, 1);
		REQUIRE_RC(run_detail(&n, "admin@owner", ADMIN,
				      "account.create", &a, NULL),
			   DOT_OK);
		a_invite(&a, I2, 1, n.time + 60);
		CHECK_RC(run_detail(&n, "alice@active", ALICE, "node.invite",
				    &a, NULL),
			 DOT_ESTATE_DENIED);
	}

	/* arguments of node.join (invitation I1) */
	a_join(&a, I1, N2, "10.0.0.2", "");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, detail),
		 DOT_ESTATE_ARGS);
	CHECK(strstr(detail, "raft address") != NULL);
	a_join(&a, I1, N2, "10.0.0.2:1", "10.0.0.2:0");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, NULL),
		 DOT_ESTATE_ARGS);
	a_join(&a, I1, N2, "", "");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, NULL),
		 DOT_ESTATE_ARGS);
	/* a forged proof: signed by another key than the node's */
	a_join_ex(&a, I1, N2, "10.0.0.2:7401", "", N3, "10.0.0.2:7401", "");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, detail),
		 DOT_ECRYPTO_SIGNATURE);
	CHECK(strstr(detail, "proof") != NULL);
	/* a proof over other addresses, and over another cluster */
	a_join_ex(&a, I1, N2, "10.0.0.2:7401", "", N2, "10.6.6.6:7401", "");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, NULL),
		 DOT_ECRYPTO_SIGNATURE);
	a_join_ex(&a, I1, N2, "10.0.0.2:7401", "", N2, "10.0.0.2:7401",
		  "10.0.0.2:7400");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, NULL),
		 DOT_ECRYPTO_SIGNATURE);
	{
		static const uint8_t other[DOT_CLUSTER_ID_LEN] = {9};
		uint8_t sig[DOT_SIGN_SIG_MAX];
		size_t siglen;

		invite_of(I1, acct, sizeof(acct));
		join_proof(N2, other, acct, N2, "10.0.0.2:7401", "", sig,
			   &siglen);
		a_join(&a, I1, N2, "10.0.0.2:7401", "");
		/* the proof is last: swap its 64 signature bytes */
		memcpy(a.data + a.len - 64, sig + 1, 64);
		CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, NULL),
			 DOT_ECRYPTO_SIGNATURE);
		/* and over another invitation's name */
		invite_of(I2, acct, sizeof(acct));
		join_proof(N2, CLUSTER, acct, N2, "10.0.0.2:7401", "", sig,
			   &siglen);
		memcpy(a.data + a.len - 64, sig + 1, 64);
		CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, NULL),
			 DOT_ECRYPTO_SIGNATURE);
	}
	/* a key that is a node already (N1, the genesis node) */
	a_join(&a, I1, N1, "10.0.0.2:7401", "");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, detail),
		 DOT_ESTATE_EXISTS);
	/* a raft address an active node has */
	a_join(&a, I1, N2, "10.0.0.1:7401", "");
	CHECK_RC(run_invite(&n, I1, "active", "node.join", &a, detail),
		 DOT_ESTATE_EXISTS);
	CHECK(strstr(detail, "raft address 10.0.0.1:7401") != NULL);
	CHECK(nodes_of(&n, &s) == 1); /* nothing of that was admitted */
	CHECK(count_rows(n.db, "SELECT count(*) FROM invites WHERE used = 1")
	      == 0);
	/* N2 joins; N2 is removed; N2 never comes back, even through a
	 * fresh invitation; its address is free again for a new key */
	CHECK_RC(join(&n, I1, N2, "10.0.0.2:7401"), DOT_OK);
	a_nodekey(&a, N2);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.remove", &a,
			    NULL),
		 DOT_OK);
	REQUIRE_RC(invite(&n, I3, DOT_NODE_VOTER), DOT_OK);
	a_join(&a, I3, N2, "10.0.0.9:7401", "");
	CHECK_RC(run_invite(&n, I3, "active", "node.join", &a, detail),
		 DOT_ESTATE_EXISTS);
	CHECK(strstr(detail, "never comes back") != NULL);
	CHECK_RC(join(&n, I3, N3, "10.0.0.2:7401"), DOT_OK);

	/* an expired invitation: refused as an expired account; with the
	 * account's expiry lifted by the admin, the invitation's own */
	REQUIRE_RC(invite(&n, I4, DOT_NODE_VOTER), DOT_OK);
	n.time += 3600;
	CHECK_RC(join(&n, I4, N4, "10.0.0.4:7401"), DOT_ESTATE_ACCOUNT_EXPIRED);
	invite_of(I4, acct, sizeof(acct));
	a_set_expiry(&a, acct, DOT_STATE_NO_EXPIRY);
	REQUIRE_RC(run_detail(&n, "admin@active", ADMIN, "account.set-expiry",
			      &a, NULL),
		   DOT_OK);
	a_join(&a, I4, N4, "10.0.0.4:7401", "");
	CHECK_RC(run_invite(&n, I4, "active", "node.join", &a, detail),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	CHECK(strstr(detail, "invitation join-") != NULL &&
	      strstr(detail, "expired at") != NULL);
	/* a used invitation: its account ended; lifted, the row says used */
	invite_of(I3, acct, sizeof(acct));
	CHECK_RC(join(&n, I3, N4, "10.0.0.4:7401"), DOT_ESTATE_ACCOUNT_EXPIRED);
	a_set_expiry(&a, acct, DOT_STATE_NO_EXPIRY);
	REQUIRE_RC(run_detail(&n, "admin@active", ADMIN, "account.set-expiry",
			      &a, NULL),
		   DOT_OK);
	a_join(&a, I3, N4, "10.0.0.4:7401", "");
	CHECK_RC(run_invite(&n, I3, "active", "node.join", &a, detail),
		 DOT_ESTATE_CONFLICT);
	CHECK(strstr(detail, "was used") != NULL);
	CHECK(nodes_of(&n, &s) == 3);
	dot_buf_free(&a);
	node_close(&n);
}

/* Two joins through one invitation: exactly one wins, in one entry and
 * in two. */
static void
test_node_join_race(void)
{
	struct node n;
	struct dot_buf a = {0}, tx[2] = {{0}, {0}};
	struct nodes_seen s;
	struct txspec t;
	char who[64], acct[40];

	node_open_g(&n, 1);
	invite_of(I1, acct, sizeof(acct));
	snprintf(who, sizeof(who), "%s@active", acct);
	REQUIRE_RC(invite(&n, I1, DOT_NODE_VOTER), DOT_OK);
	a_join(&a, I1, N2, "10.0.0.2:7401", "");
	t = as(who, I1, "node.join", &a);
	t.nonce = 801;
	build_tx(&n, &t, &tx[0]);
	a_join(&a, I1, N3, "10.0.0.3:7401", "");
	t.nonce = 802;
	build_tx(&n, &t, &tx[1]);
	(void)apply_txs(&n, tx, 2, 0, NULL, NULL);
	CHECK_RC(statuses[0], DOT_OK);
	CHECK_RC(statuses[1], DOT_ESTATE_ACCOUNT_EXPIRED);
	CHECK(nodes_of(&n, &s) == 2);
	/* the loser again, in a later entry */
	tx[1].len = 0;
	t.nonce = 803;
	build_tx(&n, &t, &tx[1]);
	CHECK_RC(apply_txs(&n, &tx[1], 1, 0, NULL, NULL),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	CHECK(nodes_of(&n, &s) == 2);
	/* in two entries with a fresh invitation */
	REQUIRE_RC(invite(&n, I2, DOT_NODE_OBSERVER), DOT_OK);
	CHECK_RC(join(&n, I2, N3, "10.0.0.3:7401"), DOT_OK);
	CHECK_RC(join(&n, I2, N4, "10.0.0.4:7401"),
		 DOT_ESTATE_ACCOUNT_EXPIRED);
	CHECK(nodes_of(&n, &s) == 3);
	CHECK(count_rows(n.db, "SELECT count(*) FROM nodes WHERE role = 3")
	      == 1);
	dot_buf_free(&a);
	dot_buf_free(&tx[0]);
	dot_buf_free(&tx[1]);
	node_close(&n);
}

/* node.remove and node.role: authority over "/"; the last active voter
 * stays. */
static void
test_node_remove_role(void)
{
	struct node n;
	struct dot_buf a = {0};
	struct dot_state_node nd;
	struct dot_err e = {0};
	char detail[300];
	int ka[] = {ALICE};

	node_open_g(&n, 1);
	a_account(&a, "alice", ka, 1, 1);
	REQUIRE_RC(run_detail(&n, "admin@owner", ADMIN, "account.create", &a,
			      NULL),
		   DOT_OK);
	/* the last voter: neither removed nor demoted */
	a_nodekey(&a, N1);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.remove", &a,
			    detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "last active voter") != NULL);
	a_role(&a, N1, DOT_NODE_STANDBY);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a,
			    detail),
		 DOT_ESTATE_DENIED);
	CHECK(strstr(detail, "last active voter") != NULL);
	a_role(&a, N1, DOT_NODE_VOTER); /* the same role: nothing to do */
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a, NULL),
		 DOT_OK);
	/* a standby joins; alice may change nothing */
	REQUIRE_RC(invite(&n, I1, DOT_NODE_STANDBY), DOT_OK);
	REQUIRE_RC(join(&n, I1, N2, "10.0.0.2:7401"), DOT_OK);
	a_role(&a, N2, DOT_NODE_VOTER);
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "node.role", &a, NULL),
		 DOT_ESTATE_DENIED);
	a_nodekey(&a, N2);
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "node.remove", &a,
			    NULL),
		 DOT_ESTATE_DENIED);
	a_invite(&a, I2, 1, n.time + 60);
	CHECK_RC(run_detail(&n, "alice@active", ALICE, "node.invite", &a,
			    NULL),
		 DOT_ESTATE_DENIED);
	/* a token granting admin on "/" may; one granting less may not */
	{
		struct dot_buf tok = {0};
		struct txspec t;

		mint(&tok, ADMIN, "/", DOT_RIGHT_READ, T0 + 3600, BOB);
		a_role(&a, N2, DOT_NODE_OBSERVER);
		t = with_token(&tok, BOB, "node.role", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_ETOKEN_RIGHTS);
		mint(&tok, ADMIN, "/", DOT_RIGHT_ADMIN, T0 + 3600, BOB);
		t = with_token(&tok, BOB, "node.role", &a);
		CHECK_RC(run(&n, &t, NULL), DOT_OK);
		dot_buf_free(&tok);
	}
	/* promote N2: now N1 may be demoted, then removed */
	a_role(&a, N2, DOT_NODE_VOTER);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a, NULL),
		 DOT_OK);
	a_role(&a, N1, DOT_NODE_OBSERVER);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a, NULL),
		 DOT_OK);
	a_nodekey(&a, N2); /* N2 is the only voter now */
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.remove", &a,
			    NULL),
		 DOT_ESTATE_DENIED);
	a_nodekey(&a, N1);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.remove", &a,
			    NULL),
		 DOT_OK);
	REQUIRE_RC(dot_state_node_get(n.st, K[N1].pk, K[N1].pklen, &nd, &e),
		   DOT_OK);
	CHECK(nd.status == DOT_NODE_REMOVED && nd.removed == n.index &&
	      nd.role == DOT_NODE_OBSERVER && nd.admitted == 1);
	/* a removed node: not removed again, its role not changed */
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.remove", &a,
			    detail),
		 DOT_ESTATE_NOT_FOUND);
	CHECK(strstr(detail, "was removed") != NULL);
	a_role(&a, N1, DOT_NODE_VOTER);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a, NULL),
		 DOT_ESTATE_NOT_FOUND);
	/* no such node; bad arguments */
	a_nodekey(&a, N4);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.remove", &a,
			    NULL),
		 DOT_ESTATE_NOT_FOUND);
	a_role(&a, N2, 7);
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a, NULL),
		 DOT_ESTATE_ARGS);
	a_path(&a, "/");
	CHECK_RC(run_detail(&n, "admin@active", ADMIN, "node.remove", &a,
			    NULL),
		 DOT_ESTATE_ARGS);
	dot_buf_free(&a);
	node_close(&n);
}

/* The nodes epoch moves with every change of the nodes table, after the
 * entry commits, and not otherwise. */
static void
test_nodes_epoch(void)
{
	struct node n;
	struct dot_buf a = {0}, en = {0}, r = {0};
	struct dot_err e = {0};
	uint64_t ep, ep0;

	node_open(&n);
	ep0 = dot_state_nodes_epoch(n.st);
	CHECK(ep0 != 0);
	{
		struct node m;
		node_open_g(&m, 1); /* a genesis with a node moves it */
		CHECK(dot_state_nodes_epoch(m.st) != ep0);
		node_close(&m);
	}
	a_path(&a, "/x");
	REQUIRE_RC(run_detail(&n, "admin@active", ADMIN, "fs.mkdir", &a,
			      NULL),
		   DOT_OK);
	CHECK(dot_state_nodes_epoch(n.st) == ep0); /* unrelated */
	REQUIRE_RC(invite(&n, I1, DOT_NODE_VOTER), DOT_OK);
	CHECK(dot_state_nodes_epoch(n.st) == ep0); /* no node yet */
	/* a refused join changes nothing: refused before writing, or after
	 * (a consumed version the join does not use is checked once the op
	 * ran, and its writes are undone) */
	CHECK_RC(join(&n, I1, N2, "bad"), DOT_ESTATE_ARGS);
	CHECK(dot_state_nodes_epoch(n.st) == ep0);
	{
		struct dot_tx_objver v;
		struct txspec t;
		char who[64], acct[40];

		a_path(&a, "/y");
		t = as("admin@active", ADMIN, "fs.mkdir", &a);
		REQUIRE_RC(run(&n, &t, &v), DOT_OK);
		invite_of(I1, acct, sizeof(acct));
		snprintf(who, sizeof(who), "%s@active", acct);
		a_join(&a, I1, N2, "10.0.0.2:7401", "");
		t = as(who, I1, "node.join", &a);
		t.consumed = &v;
		t.nconsumed = 1;
		CHECK_RC(run(&n, &t, NULL), DOT_ESTATE_CONFLICT);
		CHECK(dot_state_nodes_epoch(n.st) == ep0);
		CHECK(count_rows(n.db, "SELECT count(*) FROM nodes") == 0);
		CHECK(count_rows(n.db, "SELECT count(*) FROM invites WHERE"
				       " used = 1") == 0);
	}
	REQUIRE_RC(join(&n, I1, N2, "10.0.0.2:7401"), DOT_OK);
	ep = dot_state_nodes_epoch(n.st);
	CHECK(ep != ep0);
	a_role(&a, N2, DOT_NODE_VOTER); /* the same role */
	REQUIRE_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a,
			      NULL),
		   DOT_OK);
	CHECK(dot_state_nodes_epoch(n.st) == ep);
	REQUIRE_RC(invite(&n, I2, DOT_NODE_STANDBY), DOT_OK);
	REQUIRE_RC(join(&n, I2, N3, "10.0.0.3:7401"), DOT_OK);
	CHECK(dot_state_nodes_epoch(n.st) != ep);
	ep = dot_state_nodes_epoch(n.st);
	a_role(&a, N3, DOT_NODE_VOTER);
	REQUIRE_RC(run_detail(&n, "admin@active", ADMIN, "node.role", &a,
			      NULL),
		   DOT_OK);
	CHECK(dot_state_nodes_epoch(n.st) != ep);
	ep = dot_state_nodes_epoch(n.st);
	/* a removal in an entry that fails to store: rolled back, no move */
	REQUIRE(sqlite3_exec(n.db, "CREATE TRIGGER boom BEFORE INSERT ON ledger"
				   " BEGIN SELECT RAISE(ABORT, 'disk full');"
				   " END",
			     NULL, NULL, NULL) == SQLITE_OK);
	{
		struct txspec t;
		struct dot_buf tx = {0};
		const uint8_t *p;
		size_t len;

		a_nodekey(&a, N3);
		t = as("admin@active", ADMIN, "node.remove", &a);
		t.nonce = ++n.nonce;
		build_tx(&n, &t, &tx);
		p = tx.data;
		len = tx.len;
		REQUIRE(dot_state_batch_encode(&p, &len, 1, &en, &e) == DOT_OK);
		CHECK_RC(dot_state_apply(n.st, n.index + 1, n.time + 1, en.data,
					 en.len, &r, &e),
			 DOT_ESTATE_STORAGE);
		CHECK(dot_state_nodes_epoch(n.st) == ep);
		CHECK(count_rows(n.db, "SELECT count(*) FROM nodes WHERE"
				       " status = 2") == 0);
		REQUIRE(sqlite3_exec(n.db, "DROP TRIGGER boom", NULL, NULL,
				     NULL) == SQLITE_OK);
		CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_OK);
		CHECK(dot_state_nodes_epoch(n.st) != ep);
		dot_buf_free(&tx);
	}
	dot_buf_free(&a);
	dot_buf_free(&en);
	dot_buf_free(&r);
	node_close(&n);
}

/* The log reference: set for one apply, kept with the entry in the same
 * transaction, read after a reopen, and out of the state hash. */
static void
test_log_ref(void)
{
	struct node n, m;
	struct dot_buf a = {0}, tx = {0}, en = {0}, r = {0};
	struct dot_err e = {0};
	struct txspec t;
	const uint8_t *p;
	size_t len;
	uint8_t h1[32], h2[32];

	node_open(&n);
	node_open(&m);
	CHECK(dot_state_log_ref(n.st) == 0);
	a_path(&a, "/x");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	t.nonce = 4001;
	build_tx(&n, &t, &tx);
	/* the same entry on two states whose engines numbered it differently
	 * (one restored, say): both keep their own, and hash alike */
	dot_state_set_log_ref(n.st, 17);
	dot_state_set_log_ref(m.st, 900);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_OK);
	CHECK_RC(apply_txs(&m, &tx, 1, 0, NULL, NULL), DOT_OK);
	CHECK(dot_state_log_ref(n.st) == 17 && dot_state_log_ref(m.st) == 900);
	REQUIRE(dot_state_hash(n.st, h1, &e) == DOT_OK);
	REQUIRE(dot_state_hash(m.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) == 0);
	{
		uint64_t i1, t1;
		REQUIRE(dot_state_hash_snapshot(m.db, &i1, &t1, h2, &e) ==
			DOT_OK);
		CHECK(memcmp(h1, h2, 32) == 0);
	}
	/* across close and open */
	dot_state_close(n.st);
	REQUIRE_RC(dot_state_open(n.db, &n.st, &e), DOT_OK);
	CHECK(dot_state_log_ref(n.st) == 17);
	/* an apply without one keeps it; a no-op entry takes one */
	a_path(&a, "/y");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	t.nonce = 4002;
	tx.len = 0;
	build_tx(&n, &t, &tx);
	CHECK_RC(apply_txs(&n, &tx, 1, 0, NULL, NULL), DOT_OK);
	CHECK(dot_state_log_ref(n.st) == 17);
	dot_state_set_log_ref(n.st, 19);
	n.index++, n.time++;
	CHECK_RC(dot_state_apply(n.st, n.index, n.time, (const uint8_t *)"\xff",
				 1, &r, &e),
		 DOT_ECODEC_UNSUPPORTED);
	CHECK(dot_state_log_ref(n.st) == 19);
	/* an apply refused for its index keeps it, and forgets the one set
	 * for it */
	dot_state_set_log_ref(n.st, 20);
	CHECK_RC(dot_state_apply(n.st, n.index + 5, n.time, en.data, en.len,
				 &r, &e),
		 DOT_EINVAL);
	CHECK(dot_state_log_ref(n.st) == 19);
	/* a storage failure keeps the old one, on disk too */
	a_path(&a, "/z");
	t = as("admin@active", ADMIN, "fs.mkdir", &a);
	t.nonce = 4003;
	tx.len = 0;
	build_tx(&n, &t, &tx);
	p = tx.data;
	len = tx.len;
	REQUIRE(dot_state_batch_encode(&p, &len, 1, &en, &e) == DOT_OK);
	REQUIRE(sqlite3_exec(n.db, "CREATE TRIGGER boom BEFORE INSERT ON ledger"
				   " BEGIN SELECT RAISE(ABORT, 'disk full');"
				   " END",
			     NULL, NULL, NULL) == SQLITE_OK);
	dot_state_set_log_ref(n.st, 21);
	CHECK_RC(dot_state_apply(n.st, n.index + 1, n.time + 1, en.data,
				 en.len, &r, &e),
		 DOT_ESTATE_STORAGE);
	CHECK(dot_state_log_ref(n.st) == 19);
	CHECK(count_rows(n.db, "SELECT v FROM node_local WHERE k = 'log_ref'")
	      == 19);
	REQUIRE(sqlite3_exec(n.db, "DROP TRIGGER boom", NULL, NULL, NULL) ==
		SQLITE_OK);
	/* the retry without one set keeps 19; with one, takes it */
	CHECK_RC(dot_state_apply(n.st, n.index + 1, n.time + 1, en.data,
				 en.len, &r, &e),
		 DOT_OK);
	n.index++, n.time++;
	CHECK(dot_state_log_ref(n.st) == 19);
	dot_state_set_log_ref(n.st, 22);
	n.index++, n.time++;
	CHECK_RC(dot_state_apply(n.st, n.index, n.time,
				 (const uint8_t *)"\x82\x02\x80", 3, &r, &e),
		 DOT_OK);
	dot_state_close(n.st);
	REQUIRE_RC(dot_state_open(n.db, &n.st, &e), DOT_OK);
	CHECK(dot_state_log_ref(n.st) == 22);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	dot_buf_free(&en);
	dot_buf_free(&r);
	node_close(&n);
	node_close(&m);
}

/* T_VERBOSE=1: one line per receipt of the property test below. */
static void
trace_op(const uint8_t *p, size_t n, int status)
{
	struct dot_tx *tx = NULL;

	if (dot_tx_parse(p, n, &tx, NULL) == DOT_OK)
		printf("# %.*s %s\n", (int)tx->p.op_len, tx->p.op,
		       dot_errname(status));
	dot_tx_free(tx);
}

/*
 * Determinism with nodes: random entries of invitations, joins (right and
 * forged, through used and fresh invitations), removals, role changes,
 * node lists and file ops, applied to two databases: the same receipts,
 * state hash and node walk after every entry; the last active voter
 * always stays; and the state hash covers the nodes and invites tables.
 */
static void
test_nodes_determinism(void)
{
	static const char *const raft[4] = {"10.0.0.1:7401", "10.0.0.2:7401",
					    "10.0.0.3:7401", "[::1]:7401"};
	struct node n1, n2;
	struct dot_buf a = {0}, txs[3] = {{0}, {0}, {0}};
	uint64_t seed = 0x70de;
	int oks = 0, refused = 0, diverged = 0, voterless = 0, joins = 0;
	struct dot_err e = {0};
	uint8_t h1[32], h2[32];

	node_open_g(&n1, 1);
	node_open_g(&n2, 1);
	for (int entry = 0; entry < 150; entry++) {
		size_t count = 1 + t_rand(&seed) % 3;
		const uint8_t *ptrs[3];
		size_t lens[3];
		struct dot_buf en = {0}, r1 = {0}, r2 = {0};
		struct nodes_seen s1, s2;

		for (size_t i = 0; i < count; i++) {
			struct txspec t;
			char who[64], acct[40];
			unsigned pick = t_rand(&seed) % 7;
			int inv = I1 + (int)(t_rand(&seed) % 4);
			int nd = N1 + (int)(t_rand(&seed) % 4);
			const char *ra = raft[t_rand(&seed) % 4];

			invite_of(inv, acct, sizeof(acct));
			snprintf(who, sizeof(who), "%s@active", acct);
			if (pick == 0) {
				a_invite(&a, inv, 1 + t_rand(&seed) % 3,
					 n1.time + 1 + t_rand(&seed) % 200);
				t = as("admin@active", ADMIN, "node.invite",
				       &a);
			} else if (pick <= 2) {
				if (t_rand(&seed) % 4 == 0)
					a_join_ex(&a, inv, nd, ra, "", N1, ra,
						  "");
				else
					a_join(&a, inv, nd, ra, "");
				t = as(who, inv, "node.join", &a);
			} else if (pick == 3) {
				a_nodekey(&a, nd);
				t = as("admin@active", ADMIN, "node.remove",
				       &a);
			} else if (pick == 4) {
				a_role(&a, nd, 1 + t_rand(&seed) % 3);
				t = as("admin@active", ADMIN, "node.role", &a);
			} else if (pick == 5) {
				a.len = 0;
				dot_enc_map(&a, 0);
				t = as(t_rand(&seed) % 2 ? "admin@active" : who,
				       t_rand(&seed) % 2 ? ADMIN : inv,
				       "node.list", &a);
			} else {
				char path[32];
				snprintf(path, sizeof(path), "/d%d.%zu", entry,
					 i);
				a_path(&a, path);
				t = as(t_rand(&seed) % 3 ? "admin@active" : who,
				       ADMIN, "fs.mkdir", &a);
			}
			t.nonce = 50000 + (uint64_t)entry * 10 + i;
			txs[i].len = 0;
			build_tx(&n1, &t, &txs[i]);
			ptrs[i] = txs[i].data;
			lens[i] = txs[i].len;
		}
		REQUIRE(dot_state_batch_encode(ptrs, lens, count, &en, &e) ==
			DOT_OK);
		n1.index++, n1.time += t_rand(&seed) % 6;
		n2.index = n1.index, n2.time = n1.time;
		REQUIRE(dot_state_apply(n1.st, n1.index, n1.time, en.data,
					en.len, &r1, &e) == DOT_OK);
		REQUIRE(dot_state_apply(n2.st, n2.index, n2.time, en.data,
					en.len, &r2, &e) == DOT_OK);
		if (r1.len != r2.len || memcmp(r1.data, r2.data, r1.len) != 0)
			diverged++;
		REQUIRE(dot_state_hash(n1.st, h1, &e) == DOT_OK);
		REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
		if (memcmp(h1, h2, 32) != 0)
			diverged++;
		if (nodes_of(&n1, &s1) != nodes_of(&n2, &s2) ||
		    memcmp(&s1, &s2, sizeof(s1)) != 0 ||
		    dot_state_nodes_epoch(n1.st) !=
			    dot_state_nodes_epoch(n2.st))
			diverged++;
		if (count_rows(n1.db, "SELECT count(*) FROM nodes WHERE"
				      " status = 1 AND role = 1") < 1)
			voterless++;
		{
			struct dot_dec d;
			uint64_t nr;
			REQUIRE(dot_dec_init(&d, r1.data, r1.len, NULL, NULL) ==
				DOT_OK);
			REQUIRE(dot_dec_array(&d, &nr) == DOT_OK);
			for (uint64_t k = 0; k < nr; k++) {
				const uint8_t *p;
				size_t len;
				struct dot_receipt *rc;
				REQUIRE(dot_dec_bstr(&d, &p, &len) == DOT_OK);
				REQUIRE(dot_receipt_parse(p, len, &rc, &e) ==
					DOT_OK);
				if (rc->status == DOT_OK)
					oks++;
				else
					refused++;
				if (getenv("T_VERBOSE"))
					trace_op(ptrs[k], lens[k],
						 rc->status);
				dot_receipt_free(rc);
			}
		}
		dot_buf_free(&en);
		dot_buf_free(&r1);
		dot_buf_free(&r2);
	}
	joins = count_rows(n1.db, "SELECT count(*) FROM nodes") - 1;
	printf("# %d applied, %d refused, %d nodes joined\n", oks, refused,
	       joins);
	CHECK(diverged == 0);
	CHECK(voterless == 0);
	CHECK(oks > 40 && refused > 40 && joins >= 2);
	/* the hash covers nodes and invites: change one column of each */
	REQUIRE(sqlite3_exec(n2.db, "UPDATE nodes SET api_addr = 'x:1'"
				    " WHERE admitted = 1",
			     NULL, NULL, NULL) == SQLITE_OK);
	REQUIRE(dot_state_hash(n1.st, h1, &e) == DOT_OK);
	REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) != 0);
	REQUIRE(sqlite3_exec(n2.db, "UPDATE nodes SET api_addr ="
				    " '10.0.0.1:7400' WHERE admitted = 1",
			     NULL, NULL, NULL) == SQLITE_OK);
	REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) == 0);
	REQUIRE(count_rows(n2.db, "SELECT count(*) FROM invites") > 0);
	REQUIRE(sqlite3_exec(n2.db, "UPDATE invites SET used = 1 - used"
				    " WHERE rowid IN (SELECT rowid FROM"
				    " invites LIMIT 1)",
			     NULL, NULL, NULL) == SQLITE_OK ||
		sqlite3_exec(n2.db, "UPDATE invites SET used = 1 - used"
				    " WHERE account = (SELECT min(account)"
				    " FROM invites)",
			     NULL, NULL, NULL) == SQLITE_OK);
	REQUIRE(dot_state_hash(n2.st, h2, &e) == DOT_OK);
	CHECK(memcmp(h1, h2, 32) != 0);
	for (int i = 0; i < 3; i++)
		dot_buf_free(&txs[i]);
	dot_buf_free(&a);
	node_close(&n1);
	node_close(&n2);
}

/* ---- the crypto policy (genesis key 6, docs/crypto.md §14) ---- */

/* A genesis by hand: admin key `admin`, first node `nodek` (-1: none), and
 * key 6 as the raw CBOR `pol` (NULL: none); `six_first` puts key 6 before
 * key 5 (out of order). */
static void
raw_genesis(struct dot_buf *g, int admin, int nodek, const char *pol,
	    size_t pol_len, int six_first)
{
	g->len = 0;
	dot_enc_array(g, 2);
	dot_enc_uint(g, 1);
	dot_enc_map(g, 4 + (nodek >= 0) + (pol != NULL));
	dot_enc_uint(g, 1);
	dot_enc_bstr(g, CLUSTER, DOT_CLUSTER_ID_LEN);
	dot_enc_uint(g, 2);
	dot_enc_tstr(g, "admin", 5);
	dot_enc_uint(g, 3);
	dot_enc_array(g, 1);
	dot_enc_array(g, 2);
	dot_enc_bstr(g, K[admin].pk, K[admin].pklen);
	dot_enc_uint(g, 1);
	dot_enc_uint(g, 4);
	dot_enc_uint(g, 1);
	if (pol != NULL && six_first) {
		dot_enc_uint(g, 6);
		dot_enc_raw(g, pol, pol_len);
	}
	if (nodek >= 0) {
		dot_enc_uint(g, 5);
		dot_enc_map(g, 3);
		dot_enc_uint(g, 1);
		dot_enc_bstr(g, K[nodek].pk, K[nodek].pklen);
		dot_enc_uint(g, 2);
		dot_enc_tstr(g, "10.0.0.1:7401", 13);
		dot_enc_uint(g, 3);
		dot_enc_tstr(g, "", 0);
	}
	if (pol != NULL && !six_first) {
		dot_enc_uint(g, 6);
		dot_enc_raw(g, pol, pol_len);
	}
}

/* Apply genesis g to a fresh in-memory node; its code. n stays open. */
static int
apply_genesis(struct node *n, const struct dot_buf *g)
{
	struct dot_err e = {0};
	struct dot_buf r = {0};
	int rv;

	keys_init();
	memset(n, 0, sizeof(*n));
	if (sqlite3_open(":memory:", &n->db) != SQLITE_OK ||
	    dot_state_open(n->db, &n->st, &e) != DOT_OK)
		abort();
	n->time = T0;
	rv = dot_state_apply(n->st, 1, n->time, g->data, g->len, &r, &e);
	if (rv == DOT_OK)
		n->index = 1;
	else if (getenv("T_VERBOSE"))
		printf("# genesis refused: %s\n", e.msg);
	dot_buf_free(&r);
	return rv;
}

/* account.create of `name` with the one key k, weight 1, threshold 1, by
 * the admin's composite key at its owner level; the result code. */
static int
create_account(struct node *n, struct dot_buf *a, const char *name, int k)
{
	int keys[] = {k};

	a_account(a, name, keys, 1, 1);
	return run_detail(n, "admin@owner", HADMIN, "account.create", a, NULL);
}

/* The admin (composite key) makes /data; a is left holding the args of a
 * put of /data/f. The mkdir's result code. */
static int
make_data_dir(struct node *n, struct dot_buf *a)
{
	int rv;

	a_path(a, "/data");
	rv = run_detail(n, "admin@active", HADMIN, "fs.mkdir", a, NULL);
	a_put(a, "/data/f", "x", 1);
	return rv;
}

static void
test_crypto_policy(void)
{
	struct node n;
	struct dot_buf g = {0}, a = {0}, tok = {0}, att = {0};
	struct dot_tx_level_key ak = {0};
	struct dot_err e = {0};
	struct txspec t;
	uint64_t idx, tm;
	/* {1: 2} hybrid, {1: 1} classic, {1: 2, 2: 1} hybrid + attenuation */
	static const char HYB[] = "\xa1\x01\x02", CLA[] = "\xa1\x01\x01",
			  ATT[] = "\xa2\x01\x02\x02\x01";
	static const struct {
		const char *b;
		size_t n;
	} bad6[] = {
		{"\xa1\x01\x03", 3},                 /* no policy 3 */
		{"\xa1\x01\x00", 3},                 /* nor 0 */
		{"\xa2\x01\x01\x02\x01", 5},         /* attenuation, classic */
		{"\xa2\x01\x02\x02\x00", 5},         /* flag 0 */
		{"\xa2\x01\x02\x03\x01", 5},         /* unknown key 3 */
		{"\xa0", 1},                         /* empty */
		{"\x02", 1},                         /* not a map */
	};
	int rv;

	keys_init();
	/* encoding: the admin and node keys are checked against the policy */
	ak.pk = K[ADMIN].pk;
	ak.pk_len = K[ADMIN].pklen;
	ak.weight = 1;
	CHECK_RC(dot_state_genesis_encode_policy(
			 CLUSTER, "admin", &ak, 1, 1, K[HN1].pk, K[HN1].pklen,
			 "10.0.0.1:7401", "", DOT_POLICY_HYBRID, &g, &e),
		 DOT_EPOLICY);
	ak.pk = K[HADMIN].pk;
	ak.pk_len = K[HADMIN].pklen;
	CHECK_RC(dot_state_genesis_encode_policy(
			 CLUSTER, "admin", &ak, 1, 1, K[N1].pk, K[N1].pklen,
			 "10.0.0.1:7401", "", DOT_POLICY_HYBRID, &g, &e),
		 DOT_EPOLICY);
	CHECK_RC(dot_state_genesis_encode_policy(
			 CLUSTER, "admin", &ak, 1, 1, NULL, 0, NULL, NULL,
			 DOT_POLICY_CLASSIC_ATTENUATION, &g, &e),
		 DOT_EINVAL);
	g.len = 0;
	REQUIRE_RC(dot_state_genesis_encode_policy(
			   CLUSTER, "admin", &ak, 1, 1, K[HN1].pk,
			   K[HN1].pklen, "10.0.0.1:7401", "",
			   DOT_POLICY_HYBRID, &g, &e),
		   DOT_OK);
	/* the encoder writes what the hand-made form says */
	{
		struct dot_buf h = {0};

		raw_genesis(&h, HADMIN, HN1, HYB, 3, 0);
		CHECK(h.len == g.len && memcmp(h.data, g.data, g.len) == 0);
		dot_buf_free(&h);
	}
	REQUIRE_RC(apply_genesis(&n, &g), DOT_OK);
	CHECK(dot_state_crypto_policy(n.st) == DOT_POLICY_HYBRID);
	/* the policy survives a reopen */
	dot_state_close(n.st);
	REQUIRE(dot_state_open(n.db, &n.st, &e) == DOT_OK);
	CHECK(dot_state_crypto_policy(n.st) == DOT_POLICY_HYBRID);

	/* accounts: an Ed25519 key is refused, a composite one taken */
	CHECK_RC(create_account(&n, &a, "alice", ALICE), DOT_EPOLICY);
	CHECK_RC(create_account(&n, &a, "alice", HALICE), DOT_OK);
	/* node keys and invite keys: the same */
	CHECK_RC(invite(&n, I1, DOT_NODE_VOTER), DOT_EPOLICY);
	a_invite(&a, HI1, DOT_NODE_VOTER, n.time + 3600);
	CHECK_RC(run_detail(&n, "admin@active", HADMIN, "node.invite", &a,
			    NULL),
		 DOT_OK);
	a_join_ex(&a, HI1, N2, "10.0.0.2:7401", "", N2, "10.0.0.2:7401", "");
	CHECK_RC(run_invite(&n, HI1, "active", "node.join", &a, NULL),
		 DOT_EPOLICY);
	a_join_ex(&a, HI1, HN2, "10.0.0.2:7401", "", HN2, "10.0.0.2:7401",
		  "");
	CHECK_RC(run_invite(&n, HI1, "active", "node.join", &a, NULL), DOT_OK);

	/* tokens: a composite issuer and holder work; an Ed25519 holder,
	 * or an Ed25519 attenuation, is refused */
	REQUIRE_RC(make_data_dir(&n, &a), DOT_OK);
	mint(&tok, HADMIN, "/data", DOT_RIGHTS_ALL, T0 + 3600, HBOB);
	t = with_token(&tok, HBOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	mint(&tok, HADMIN, "/data", DOT_RIGHTS_ALL, T0 + 3600, BOB);
	t = with_token(&tok, BOB, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_EPOLICY);
	mint(&tok, HADMIN, "/data", DOT_RIGHTS_ALL, T0 + 3600, HBOB);
	attenuate(&att, &tok, HBOB, DOT_RIGHTS_ALL, CAROL);
	t = with_token(&att, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_EPOLICY);
	/* recorded grants too */
	a.len = 0;
	dot_enc_map(&a, 1);
	dot_enc_uint(&a, 1);
	mint(&tok, HADMIN, "/data", DOT_RIGHTS_ALL, T0 + 3600, BOB);
	dot_enc_bstr(&a, tok.data, tok.len);
	CHECK_RC(run_detail(&n, "admin@active", HADMIN, "cap.grant", &a,
			    NULL),
		 DOT_EPOLICY);
	dot_state_position(n.st, &idx, &tm);
	CHECK(idx == n.index);
	node_close(&n);

	/* hybrid + classic attenuation: holders may be Ed25519, issuers
	 * (accounts) may not */
	raw_genesis(&g, HADMIN, HN1, ATT, 5, 0);
	REQUIRE_RC(apply_genesis(&n, &g), DOT_OK);
	CHECK(dot_state_crypto_policy(n.st) ==
	      (DOT_POLICY_HYBRID | DOT_POLICY_CLASSIC_ATTENUATION));
	REQUIRE_RC(make_data_dir(&n, &a), DOT_OK);
	mint(&tok, HADMIN, "/data", DOT_RIGHTS_ALL, T0 + 3600, HBOB);
	attenuate(&att, &tok, HBOB, DOT_RIGHTS_ALL, CAROL);
	t = with_token(&att, CAROL, "fs.put", &a);
	CHECK_RC(run(&n, &t, NULL), DOT_OK);
	CHECK_RC(create_account(&n, &a, "alice", ALICE), DOT_EPOLICY);
	node_close(&n);

	/* a hybrid genesis with an Ed25519 admin or node key does not
	 * apply, and leaves the position at 0 */
	raw_genesis(&g, ADMIN, HN1, HYB, 3, 0);
	CHECK_RC(apply_genesis(&n, &g), DOT_EPOLICY);
	dot_state_position(n.st, &idx, &tm);
	CHECK(idx == 0 && dot_state_crypto_policy(n.st) == DOT_POLICY_CLASSIC);
	node_close(&n);
	raw_genesis(&g, HADMIN, N1, HYB, 3, 0);
	CHECK_RC(apply_genesis(&n, &g), DOT_EPOLICY);
	node_close(&n);
	/* malformed key 6, or out of order */
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		raw_genesis(&g, HADMIN, HN1, bad6[i].b, bad6[i].n, 0);
		rv = apply_genesis(&n, &g);
		CHECK_RC(rv, DOT_ESTATE_GENESIS);
		node_close(&n);
	}
	/* key 6 before key 5: not canonical CBOR, refused by the codec */
	raw_genesis(&g, HADMIN, HN1, HYB, 3, 1);
	CHECK_RC(apply_genesis(&n, &g), DOT_ECODEC_KEYORDER);
	node_close(&n);
	/* classic, explicit or implicit: every signing suite */
	raw_genesis(&g, HADMIN, N1, CLA, 3, 0);
	REQUIRE_RC(apply_genesis(&n, &g), DOT_OK);
	CHECK(dot_state_crypto_policy(n.st) == DOT_POLICY_CLASSIC);
	CHECK_RC(create_account(&n, &a, "alice", ALICE), DOT_OK);
	CHECK_RC(create_account(&n, &a, "bob", HBOB), DOT_OK);
	node_close(&n);
	dot_buf_free(&g);
	dot_buf_free(&a);
	dot_buf_free(&tok);
	dot_buf_free(&att);
}

/* dot_state_batch_each: each tx of a batch, in order, the shape checked
 * whole first; a genesis or malformed entry is refused before any. */
struct each_seen {
	size_t n, stop_at;
	const uint8_t *p[4];
	size_t len[4];
};

static int
each_cb(void *ctx, const uint8_t *tx, size_t len)
{
	struct each_seen *s = ctx;

	if (s->n < 4) {
		s->p[s->n] = tx;
		s->len[s->n] = len;
	}
	if (++s->n == s->stop_at)
		return DOT_ESTATE_CONFLICT;
	return DOT_OK;
}

static void
test_batch_each(void)
{
	static const uint8_t t0[] = "first tx", t1[] = "", t2[] = "third";
	const uint8_t *ptrs[3] = {t0, t1, t2};
	size_t lens[3] = {sizeof(t0) - 1, 0, sizeof(t2) - 1};
	struct dot_buf en = {0}, bad = {0};
	struct dot_err e = {0};
	struct each_seen s = {0};

	REQUIRE_RC(dot_state_batch_encode(ptrs, lens, 3, &en, &e), DOT_OK);
	CHECK_RC(dot_state_batch_each(en.data, en.len, each_cb, &s, &e),
		 DOT_OK);
	CHECK(s.n == 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK(s.len[i] == lens[i]);
		CHECK(s.len[i] == 0 || memcmp(s.p[i], ptrs[i], lens[i]) == 0);
		/* pointers into the entry */
		CHECK(s.p[i] >= en.data && s.p[i] + s.len[i] <= en.data + en.len);
	}
	/* a callback's refusal stops the walk and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK_RC(dot_state_batch_each(en.data, en.len, each_cb, &s, &e),
		 DOT_ESTATE_CONFLICT);
	CHECK(s.n == 2);
	/* an empty batch */
	dot_buf_free(&en);
	REQUIRE_RC(dot_state_batch_encode(ptrs, lens, 0, &en, &e), DOT_OK);
	memset(&s, 0, sizeof(s));
	CHECK_RC(dot_state_batch_each(en.data, en.len, each_cb, &s, &e),
		 DOT_OK);
	CHECK(s.n == 0);
	/* refused, no tx given: kind 1 (a genesis), a text item after a
	 * good one, trailing bytes, a truncated entry */
	dot_enc_array(&bad, 2);
	dot_enc_uint(&bad, 1);
	dot_enc_array(&bad, 1);
	dot_enc_bstr(&bad, t0, 3);
	memset(&s, 0, sizeof(s));
	CHECK_RC(dot_state_batch_each(bad.data, bad.len, each_cb, &s, &e),
		 DOT_ESTATE_ARGS);
	bad.len = 0;
	dot_enc_array(&bad, 2);
	dot_enc_uint(&bad, 2);
	dot_enc_array(&bad, 2);
	dot_enc_bstr(&bad, t0, 3);
	dot_enc_tstr(&bad, "x", 1);
	CHECK_RC(dot_state_batch_each(bad.data, bad.len, each_cb, &s, &e),
		 DOT_ESTATE_ARGS);
	CHECK(strstr(e.msg, "item 1") != NULL);
	dot_buf_free(&en);
	REQUIRE_RC(dot_state_batch_encode(ptrs, lens, 3, &en, &e), DOT_OK);
	dot_buf_put(&en, (const uint8_t *)"\x00", 1);
	CHECK_RC(dot_state_batch_each(en.data, en.len, each_cb, &s, &e),
		 DOT_ESTATE_ARGS);
	CHECK_RC(dot_state_batch_each(en.data, en.len - 3, each_cb, &s, &e),
		 DOT_ESTATE_ARGS);
	CHECK(s.n == 0);
	dot_buf_free(&en);
	dot_buf_free(&bad);
}

T_MAIN(T_CASE(test_batch_each), T_CASE(test_genesis_and_files), T_CASE(test_token_refs), T_CASE(test_large_file_chunks),
       T_CASE(test_inline_content), T_CASE(test_txset_model),
       T_CASE(test_layout_checked),
       T_CASE(test_replay_set),
       T_CASE(test_mv), T_CASE(test_accounts_and_thresholds),
       T_CASE(test_authorization_matrix),
       T_CASE(test_versions_conflict_and_duplicates),
       T_CASE(test_same_entry_race), T_CASE(test_refused_tx_leaves_state),
       T_CASE(test_determinism_property), T_CASE(test_entry_rules),
       T_CASE(test_mailboxes), T_CASE(test_caps_grant_revoke_chown),
       T_CASE(test_token_reads), T_CASE(test_query_and_read_receipts),
       T_CASE(test_audit_log), T_CASE(test_bad_genesis_does_not_advance),
       T_CASE(test_utf8_paths), T_CASE(test_account_expiry_apply),
       T_CASE(test_account_expiry_rules),
       T_CASE(test_account_expiry_tokens),
       T_CASE(test_account_expiry_determinism), T_CASE(test_node_raft_id),
       T_CASE(test_node_addresses), T_CASE(test_node_genesis),
       T_CASE(test_node_invite_join), T_CASE(test_node_invite_confined),
       T_CASE(test_node_join_refusals), T_CASE(test_node_join_race),
       T_CASE(test_node_remove_role), T_CASE(test_nodes_epoch),
       T_CASE(test_log_ref), T_CASE(test_nodes_determinism),
       T_CASE(test_crypto_policy))
