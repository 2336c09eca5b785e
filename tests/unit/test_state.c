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

enum { ADMIN, ALICE, BOB, CAROL, M1, M2, M3, NKEYS };
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
		if (dot_sign_sk_from_seed(&K[i].sk, DOT_SUITE_ED25519, seed) !=
		    DOT_OK)
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

static void
node_open(struct node *n)
{
	struct dot_err e = {0};
	struct dot_tx_level_key ak = {0};
	struct dot_buf g = {0}, r = {0};

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
	if (dot_state_genesis_encode(CLUSTER, "admin", &ak, 1, 1, &g, &e) !=
		    DOT_OK ||
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
			       " AND v = x'03'") == 1);
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

T_MAIN(T_CASE(test_genesis_and_files), T_CASE(test_large_file_chunks),
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
       T_CASE(test_account_expiry_determinism))
