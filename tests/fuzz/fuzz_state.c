/*
 * fuzz_state.c - the state machine's apply fed with random transactions
 * (docs/state-model.md).
 *
 * The input is a small program. Each instruction builds real signed
 * transactions (fixed keys from fixed seeds, tokens minted and attenuated
 * with rights, expiry and resource taken from the input), groups them into
 * ledger entries and applies every entry to TWO in-memory databases after
 * the same genesis. The second database runs with SQLite's
 * reverse_unordered_selects, so a result that depends on an unspecified row
 * order shows up as a divergence. After every entry:
 *
 *   - a well-formed entry applies with DOT_OK (a storage error is a bug: it
 *     would stop the node for good on a deterministic input);
 *   - both databases return byte-identical receipts and the same
 *     dot_state_hash, and stand at the same position;
 *   - every receipt parses, names the tx id of its batch item (the id of the
 *     payload, or the hash of the bytes for an item that does not parse),
 *     the entry's index and (clamped) time, and a code from the table;
 *   - a tx that once applied with DOT_OK is refused as a duplicate (or as
 *     expired, once its window has closed) whenever it comes again;
 *   - a malformed entry (random bytes, a mutated entry, a batch with a bad
 *     item after good ones, a second genesis) gives no receipt and leaves
 *     every table as it was except the position;
 *   - the tree is whole: every object but the root has a parent, and a path
 *     that extends its parent's by one name; every chunk's reference count
 *     is the number of content lists naming it, inline content is at most
 *     DOT_STATE_INLINE bytes, and a file's size is the
 *     length of its chunks;
 *   - reads (stat, read, list, by an account or a token with its proof)
 *     give the same answer on both databases and write nothing;
 *   - the nodes (docs/decisions/0017) are the same on both databases; a
 *     row's raft id is its key's, its role and status are known values,
 *     removed is set exactly when it was removed, active raft addresses
 *     are distinct and valid; once there is an active voter there always
 *     is one; an entry that changed the nodes moved the nodes epoch;
 *   - each database is given a different log reference before every
 *     apply (as states of one ledger fed by different engine logs): each
 *     keeps its own, the state hashes still agree, and a reopen reads it
 *     back;
 *   - both databases hold the genesis's crypto policy, after a reopen
 *     too.
 * A violation aborts, which libFuzzer and the corpus replay both report.
 *
 * Program format (a byte past the end reads as 0):
 *   byte 0       flags: bit 0 = prelude (accounts alice, team 2-of-3, carol;
 *                directories /a and /d; file /d/f), applied as entry 2;
 *                bit 1 = the genesis names node ND0 (10.0.0.1:7401);
 *                bit 2 = the genesis sets the crypto policy hybrid (key 6,
 *                docs/crypto.md §14) and every key is the composite
 *                ML-DSA-65 + Ed25519 one; with bit 3 too, hybrid with
 *                classic attenuation, and bob's and carol's keys are
 *                Ed25519 (allowed as token holders, refused as account
 *                keys); bit 3 alone means nothing
 *   then at most 64 instructions, each an opcode byte c, kind = c & 7,
 *   parameter p = c >> 3:
 *   0, 1, 2  TX: add a tx to the pending entry; op = p for p < NOPS, else
 *            p - 16 (enum op below); bytes: paths, authority, flags
 *            (tx_from_input); OP_NODE (p 16: c = 0x80..0x82) takes a
 *            byte s: (s & 7) % 6 = 0 node.invite, 1 node.join, 2 node.remove,
 *            3 node.role, 4 node.list applied, 5 node.list as a query;
 *            bits 3-4 pick the invitation key; then two bytes
 *            (node_from_input);
 *            account.create's threshold byte with bit 7 adds an expiry
 *            (a byte follows), set-level's name byte with bit 7 makes it
 *            account.set-expiry (docs/decisions/0015)
 *   3        FLUSH: apply the pending txs as one entry; bytes: time step
 *            (< 248: 0..23 s; 248..253: 60 s to 4000 s; 254: 5 s back),
 *            variant (0 batch, 1 batch + a non-bstr item, 2 genesis-kind)
 *   4        REPLAY: add an earlier tx again; byte: which
 *   5        MUTATE: add an earlier tx with one byte changed; bytes: which,
 *            offset (2), xor
 *   6        RAW: flush, then apply input bytes as an entry; byte: length
 *   7        READ (p even: bytes path/call, reader) or REOPEN the second
 *            database's state handle (p odd: cold caches, meta reloaded)
 *
 * Seeds: tests/fuzz/corpus/state (one or more per op); the node-* seeds
 * are written by tests/fuzz/gen_state_seeds.py.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/state.h"
#include "doteros/token.h"
#include "doteros/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 1800000000u
#define MAX_INSTR 64
#define MAX_BATCH 16
#define MAX_HIST 64
#define MAX_OK 512
#define MAX_VERS 64
#define MAX_TOKS 8
#define MAX_ITEMS 256 /* batch items checked one by one */

static const uint8_t CLUSTER[DOT_CLUSTER_ID_LEN] = {0xc1, 0x05, 0x7e, 0x12,
						    0xf0, 0x22};

static void fail(const char *what, const char *detail)
	__attribute__((noreturn));
static void failrc(const char *what, int rv) __attribute__((noreturn));

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_state: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

static void
failrc(const char *what, int rv)
{
	fprintf(stderr, "fuzz_state: %s (%s)\n", what, dot_errname(rv));
	abort();
}

/* ---- fixed keys ---- */

/* Keys below NKEYS are the accounts' (key masks name them); ND* are node
 * keys, IV* invitation keys (docs/decisions/0017). */
enum {
	ADMIN, ALICE, BOB, CAROL, M1, M2, M3, NKEYS,
	ND0 = NKEYS, ND1, ND2, ND3, IV0, IV1, IV2, IV3, NALL
};

struct fkey {
	struct dot_sign_sk *sk;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
};

/* One key set per crypto policy (flags bits 2-3); K is the run's. */
enum { KS_CLASSIC, KS_HYBRID, KS_HYBRID_CA, NKS };
static struct fkey KS[NKS][NALL];
static struct fkey *K = KS[KS_CLASSIC];

static void
key_from_seed(struct fkey *k, uint8_t suite, uint8_t byte)
{
	uint8_t seed[DOT_SEED_LEN];

	memset(seed, byte, sizeof(seed));
	if (dot_sign_sk_from_seed(&k->sk, suite, seed) != DOT_OK)
		fail("key from seed", NULL);
	k->pklen = dot_sign_sk_public(k->sk, k->pk);
}

static void
keys_init(void)
{
	static int done;

	if (done)
		return;
	if (dot_crypto_init() != DOT_OK)
		fail("crypto init", NULL);
	for (int i = 0; i < NALL; i++) {
		key_from_seed(&KS[KS_CLASSIC][i], DOT_SUITE_ED25519,
			      (uint8_t)(0x60 + i));
		key_from_seed(&KS[KS_HYBRID][i], DOT_SUITE_ED25519_MLDSA65,
			      (uint8_t)(0x60 + i));
		KS[KS_HYBRID_CA][i] = i == BOB || i == CAROL
					      ? KS[KS_CLASSIC][i]
					      : KS[KS_HYBRID][i];
	}
	done = 1;
}

/* ---- the program's vocabulary ---- */

static const char *const PATHS[15] = {
	"/", "/a", "/a/x", "/a/y", "/b", "/b/x", "/a/x/z", "/d", "/d/f",
	"/\xc3\xa9", "/\xc3\xa9/x", /* a name outside ASCII */
	/* 63 bytes, then a two-byte character across byte 64 */
	("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "\xc3\xa9"),
	"/a/b/c/d", /* parents missing */
	"/d/f/g",   /* under a file */
	"relative", /* not a valid path */
};

static const char *const NAMES[6] = {"admin", "alice", "team",
				     "carol", "bob",   "n0"};
static const char *const LEVELS[4] = {"active", "owner", "active", "ops"};

/* The keys an account's levels start with (prelude and the usual
 * account.create) and the signers that meet them. */
static int
natural_signers(const char *account, int *s)
{
	if (strcmp(account, "alice") == 0)
		return s[0] = ALICE, 1;
	if (strcmp(account, "team") == 0)
		return s[0] = M1, s[1] = M2, 2;
	if (strcmp(account, "carol") == 0)
		return s[0] = CAROL, 1;
	if (strcmp(account, "bob") == 0)
		return s[0] = BOB, 1;
	return s[0] = ADMIN, 1;
}

enum op {
	OP_MKDIR,
	OP_PUT,
	OP_APPEND,
	OP_RM,
	OP_MV,
	OP_ACCOUNT_CREATE,
	OP_SET_LEVEL,
	OP_CHOWN,
	OP_POLICY,
	OP_READ, /* fs.get, fs.stat or fs.ls, applied: a read receipt */
	OP_MSG_CREATE,
	OP_MSG_SEND,
	OP_MSG_RECV,
	OP_CAP_GRANT,
	OP_CAP_REVOKE,
	OP_RAW_ARGS, /* any op name below, the args' bytes from the input */
	OP_NODE,     /* node.invite, node.join, node.remove, node.role,
		      * node.list */
	NOPS
};

static const char *const OP_NAMES[] = {
	"fs.mkdir",   "fs.put",     "fs.append",  "fs.rm",
	"fs.mv",      "account.create", "account.set-level", "fs.chown",
	"fs.policy",  "fs.get",     "msg.create", "msg.send",
	"msg.recv",   "cap.grant",  "cap.revoke", "fs.stat",
	"fs.ls",      "account.set-expiry", "account.get",
	"fs.chmod", /* not an op */
	"node.invite", "node.join", "node.remove", "node.role", "node.list",
};
#define NOP_NAMES (sizeof(OP_NAMES) / sizeof(OP_NAMES[0]))
static const char *const READ_OPS[3] = {"fs.get", "fs.stat", "fs.ls"};

/* ---- input reader ---- */

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static uint8_t
u8(struct rd *r)
{
	return r->off < r->n ? r->p[r->off++] : 0;
}

static size_t
take(struct rd *r, size_t want, const uint8_t **out)
{
	size_t left = r->n - r->off;

	if (want > left)
		want = left;
	*out = r->p + r->off;
	r->off += want;
	return want;
}

/* ---- the two nodes and what the run remembers ---- */

struct node {
	sqlite3 *db;
	struct dot_state *st;
	uint64_t log_ref; /* the last one given to it */
};

struct blob {
	uint8_t *p;
	size_t n;
};

struct okid {
	uint8_t id[DOT_TX_ID_LEN];
};

struct run {
	struct node nd[2];
	uint64_t index, time; /* last applied */
	uint64_t nonce;
	uint8_t last_nonce[DOT_TX_NONCE_LEN];
	int64_t voters; /* active voters after the last entry */
	int have_nonce;
	struct blob pending[MAX_BATCH];
	size_t npending;
	struct blob hist[MAX_HIST]; /* txs built, a ring */
	size_t nhist;
	struct dot_tx_objver vers[MAX_VERS]; /* versions produced, a ring */
	size_t nvers;
	struct okid ok[MAX_OK];
	size_t nok;
	struct blob toks[MAX_TOKS]; /* tokens minted, a ring */
	int tok_holder[MAX_TOKS];
	size_t ntoks;
	struct dot_buf last_entry;
};

static void
blob_set(struct blob *b, const uint8_t *p, size_t n)
{
	free(b->p);
	b->p = malloc(n ? n : 1);
	if (b->p == NULL)
		fail("out of memory", NULL);
	memcpy(b->p, p, n);
	b->n = n;
}

static void
node_open(struct node *nd, int reverse)
{
	struct dot_err e = {0, ""};

	if (sqlite3_open(":memory:", &nd->db) != SQLITE_OK)
		fail("sqlite open", NULL);
	if (reverse && sqlite3_exec(nd->db,
				    "PRAGMA reverse_unordered_selects = ON",
				    NULL, NULL, NULL) != SQLITE_OK)
		fail("pragma", NULL);
	if (dot_state_open(nd->db, &nd->st, &e) != DOT_OK)
		fail("state open", e.msg);
}

static void
node_close(struct node *nd)
{
	dot_state_close(nd->st);
	/* Every statement finalized: close succeeds. */
	if (sqlite3_close(nd->db) != SQLITE_OK)
		fail("sqlite close: a statement was left open", NULL);
}

/* ---- a digest of every table, the position excepted ---- */

static void
digest(sqlite3 *db, uint8_t out[DOT_HASH_LEN])
{
	char names[32][64], sql[2600];
	size_t nnames = 0;
	struct dot_hash_ctx h;
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db,
			       "SELECT name FROM sqlite_master WHERE type ="
			       " 'table' ORDER BY name",
			       -1, &s, NULL) != SQLITE_OK)
		fail("digest", sqlite3_errmsg(db));
	while (sqlite3_step(s) == SQLITE_ROW && nnames < 32) {
		/* node_local holds the log reference, which every entry (a
		 * malformed one too) moves, like meta's position */
		if (strcmp((const char *)sqlite3_column_text(s, 0),
			   "node_local") == 0)
			continue;
		snprintf(names[nnames], sizeof(names[0]), "%s",
			 (const char *)sqlite3_column_text(s, 0));
		nnames++;
	}
	sqlite3_finalize(s);
	dot_hash_init(&h);
	for (size_t t = 0; t < nnames; t++) {
		int ncol, len;

		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", names[t]);
		if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
			fail("digest", sqlite3_errmsg(db));
		ncol = sqlite3_column_count(s);
		sqlite3_finalize(s);
		len = snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"%s ORDER BY",
			       names[t],
			       strcmp(names[t], "meta") == 0
				       ? " WHERE k <> 'position'"
				       : "");
		for (int c = 1; c <= ncol && len < (int)sizeof(sql) - 8; c++)
			len += snprintf(sql + len, sizeof(sql) - (size_t)len,
					"%s %d", c > 1 ? "," : "", c);
		if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
			fail("digest", sqlite3_errmsg(db));
		dot_hash_update(&h, names[t], strlen(names[t]) + 1);
		while (sqlite3_step(s) == SQLITE_ROW) {
			for (int c = 0; c < ncol; c++) {
				int type = sqlite3_column_type(s, c);
				uint8_t tag = (uint8_t)type;
				uint64_t n;

				dot_hash_update(&h, &tag, 1);
				if (type == SQLITE_INTEGER) {
					int64_t v = sqlite3_column_int64(s, c);
					dot_hash_update(&h, &v, sizeof(v));
				} else if (type != SQLITE_NULL) {
					const void *p = sqlite3_column_blob(s, c);
					n = (uint64_t)sqlite3_column_bytes(s, c);
					dot_hash_update(&h, &n, sizeof(n));
					dot_hash_update(&h, p, (size_t)n);
				}
			}
		}
		sqlite3_finalize(s);
	}
	dot_hash_final(&h, out);
}

/* ---- the tree and the chunks are whole ---- */

static int
cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, DOT_HASH_LEN);
}

static void
check_structure(sqlite3 *db)
{
	sqlite3_stmt *s, *q;
	uint8_t(*refs)[DOT_HASH_LEN] = NULL;
	size_t nrefs = 0, cap = 0, roots = 0;

	/* Parents and paths. */
	if (sqlite3_prepare_v2(db,
			       "SELECT o.path, o.parent IS NULL, p.id IS NOT"
			       " NULL, p.path FROM objects o LEFT JOIN objects"
			       " p ON p.id = o.parent",
			       -1, &s, NULL) != SQLITE_OK)
		fail("structure", sqlite3_errmsg(db));
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(s, 0);
		const char *pp = (const char *)sqlite3_column_text(s, 3);
		size_t pl;

		if (sqlite3_column_int(s, 1)) {
			roots++;
			if (path == NULL || strcmp(path, "/") != 0)
				fail("an object other than / has no parent",
				     path);
			continue;
		}
		if (!sqlite3_column_int(s, 2))
			fail("an object's parent does not exist", path);
		if (path == NULL)
			continue; /* an object without a path of its own */
		if (pp == NULL)
			fail("a named object's parent has no path", path);
		pl = strcmp(pp, "/") == 0 ? 0 : strlen(pp);
		if (strncmp(path, pp, pl) != 0 || path[pl] != '/' ||
		    path[pl + 1] == '\0' || strchr(path + pl + 1, '/') != NULL) {
			fprintf(stderr, "fuzz_state: path \"%s\", parent \"%s\"\n",
				path, pp);
			fail("a path is not its parent's path plus one name",
			     NULL);
		}
	}
	sqlite3_finalize(s);
	if (roots != 1)
		fail("not exactly one root", NULL);

	/* A mailbox's size is the number of messages in it. */
	if (sqlite3_prepare_v2(db,
			       "SELECT o.size, (SELECT count(*) FROM objects c"
			       " WHERE c.parent = o.id) FROM objects o WHERE"
			       " o.kind = 3",
			       -1, &s, NULL) != SQLITE_OK)
		fail("structure", sqlite3_errmsg(db));
	while (sqlite3_step(s) == SQLITE_ROW)
		if (sqlite3_column_int64(s, 0) != sqlite3_column_int64(s, 1))
			fail("a mailbox's size is not its message count", NULL);
	sqlite3_finalize(s);

	/* Chunk references and file sizes. */
	if (sqlite3_prepare_v2(db,
			       "SELECT kind, size, content FROM objects WHERE"
			       " content IS NOT NULL",
			       -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT length(data) FROM chunks WHERE hash = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		fail("structure", sqlite3_errmsg(db));
	while (sqlite3_step(s) == SQLITE_ROW) {
		const uint8_t *list = sqlite3_column_blob(s, 2);
		size_t n = (size_t)sqlite3_column_bytes(s, 2);
		uint64_t count = 0, total = 0;
		struct dot_dec d;

		if (dot_dec_init(&d, list, n, NULL, NULL) != DOT_OK)
			fail("stored content is not canonical CBOR", NULL);
		if (n > 0 && (list[0] & 0xe0) == 0x40) {
			/* Inline content: a byte string of at most
			 * DOT_STATE_INLINE bytes, naming no chunk. */
			const uint8_t *p;
			size_t len;

			if (dot_dec_bstr(&d, &p, &len) != DOT_OK ||
			    len > DOT_STATE_INLINE)
				fail("inline content is over the limit", NULL);
			if (sqlite3_column_int(s, 0) == DOT_OBJ_FILE &&
			    len != (uint64_t)sqlite3_column_int64(s, 1))
				fail("a file's size is not its inline length",
				     NULL);
			continue;
		}
		if (dot_dec_array(&d, &count) != DOT_OK)
			fail("stored content is neither inline nor a chunk list",
			     NULL);
		for (uint64_t i = 0; i < count; i++) {
			const uint8_t *h;

			if (dot_dec_bstr_fixed(&d, &h, DOT_HASH_LEN) != DOT_OK)
				fail("a content list item is not a hash", NULL);
			if (nrefs == cap) {
				cap = cap ? 2 * cap : 64;
				refs = realloc(refs, cap * sizeof(*refs));
				if (refs == NULL)
					fail("out of memory", NULL);
			}
			memcpy(refs[nrefs++], h, DOT_HASH_LEN);
			sqlite3_reset(q);
			sqlite3_bind_blob(q, 1, h, DOT_HASH_LEN, SQLITE_STATIC);
			if (sqlite3_step(q) != SQLITE_ROW)
				fail("a content list names a missing chunk",
				     NULL);
			total += (uint64_t)sqlite3_column_int64(q, 0);
		}
		if (sqlite3_column_int(s, 0) == DOT_OBJ_FILE &&
		    total != (uint64_t)sqlite3_column_int64(s, 1))
			fail("a file's size is not the length of its chunks",
			     NULL);
	}
	sqlite3_finalize(s);
	sqlite3_finalize(q);
	if (nrefs > 0)
		qsort(refs, nrefs, sizeof(*refs), cmp_hash);
	if (sqlite3_prepare_v2(db,
			       "SELECT hash, refs FROM chunks ORDER BY hash",
			       -1, &s, NULL) != SQLITE_OK)
		fail("structure", sqlite3_errmsg(db));
	{
		size_t i = 0;

		while (sqlite3_step(s) == SQLITE_ROW) {
			const uint8_t *h = sqlite3_column_blob(s, 0);
			int64_t want = sqlite3_column_int64(s, 1), have = 0;

			while (i < nrefs && memcmp(refs[i], h, DOT_HASH_LEN) < 0)
				i++;
			while (i < nrefs &&
			       memcmp(refs[i], h, DOT_HASH_LEN) == 0)
				have++, i++;
			if (have != want || want < 1)
				fail("a chunk's reference count is wrong",
				     NULL);
		}
	}
	sqlite3_finalize(s);
	free(refs);
}

/* ---- the nodes ---- */

struct nodes_check {
	struct dot_hash_ctx h;
	int64_t voters;
	size_t nactive;
	char active[64][DOT_STATE_MAX_ADDR + 1];
};

static int
nodes_cb(void *ctx, const struct dot_state_node *n)
{
	struct nodes_check *c = ctx;
	int active = n->status == DOT_NODE_ACTIVE;

	if (n->raft_id != dot_state_node_raft_id(n->key, n->keylen))
		fail("a node's raft id is not its key's", n->raft_addr);
	if (n->role < DOT_NODE_VOTER || n->role > DOT_NODE_OBSERVER ||
	    (n->status != DOT_NODE_ACTIVE && n->status != DOT_NODE_REMOVED))
		fail("a node has an unknown role or status", n->raft_addr);
	if (active != (n->removed == 0) ||
	    (!active && n->removed < n->admitted) || n->admitted == 0)
		fail("a node's admitted and removed indexes disagree with its "
		     "status",
		     n->raft_addr);
	if (dot_state_addr_check(n->raft_addr, strlen(n->raft_addr), NULL) !=
		    DOT_OK ||
	    (n->api_addr[0] != '\0' &&
	     dot_state_addr_check(n->api_addr, strlen(n->api_addr), NULL) !=
		     DOT_OK))
		fail("a node has an invalid address", n->raft_addr);
	if (active) {
		for (size_t i = 0; i < c->nactive && i < 64; i++)
			if (strcmp(c->active[i], n->raft_addr) == 0)
				fail("two active nodes have one raft address",
				     n->raft_addr);
		if (c->nactive < 64)
			snprintf(c->active[c->nactive], sizeof(c->active[0]),
				 "%s", n->raft_addr);
		c->nactive++;
		if (n->role == DOT_NODE_VOTER)
			c->voters++;
	}
	dot_hash_update(&c->h, n->key, n->keylen);
	dot_hash_update(&c->h, &n->raft_id, sizeof(n->raft_id));
	dot_hash_update(&c->h, n->raft_addr, strlen(n->raft_addr) + 1);
	dot_hash_update(&c->h, n->api_addr, strlen(n->api_addr) + 1);
	dot_hash_update(&c->h, &n->role, sizeof(n->role));
	dot_hash_update(&c->h, &n->status, sizeof(n->status));
	dot_hash_update(&c->h, &n->admitted, sizeof(n->admitted));
	dot_hash_update(&c->h, &n->removed, sizeof(n->removed));
	return 0;
}

/* The nodes, hashed, after checking each; *voters: the active voters. */
static void
nodes_digest(struct node *nd, uint8_t out[DOT_HASH_LEN], int64_t *voters)
{
	static struct nodes_check c; /* large; the fuzzer is one thread */
	struct dot_err e = {0, ""};

	memset(&c, 0, sizeof(c));
	dot_hash_init(&c.h);
	if (dot_state_nodes(nd->st, nodes_cb, &c, &e) != DOT_OK)
		fail("node walk", e.msg);
	dot_hash_final(&c.h, out);
	*voters = c.voters;
}

/* ---- entries ---- */

/* The id a receipt must carry for one batch item. */
static void
expected_id(const uint8_t *p, size_t n, uint8_t id[DOT_TX_ID_LEN])
{
	static const char dom[] = "dot-tx-v1 unparsed";
	struct dot_tx *tx = NULL;
	struct dot_hash_ctx h;

	if (dot_tx_parse(p, n, &tx, NULL) == DOT_OK) {
		memcpy(id, tx->id, DOT_TX_ID_LEN);
		dot_tx_free(tx);
		return;
	}
	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, p, n);
	dot_hash_final(&h, id);
}

/* Is this entry a well-formed batch at index > 1? Fills the items. */
static int
wellformed(const uint8_t *entry, size_t n, const uint8_t **items,
	   size_t *lens, size_t *count)
{
	static const struct dot_codec_limits lim = {5, DOT_TX_MAX_LEN,
						    DOT_STATE_MAX_BATCH};
	struct dot_dec d;
	uint64_t two, kind, cnt;

	if (dot_dec_init(&d, entry, n, &lim, NULL) != DOT_OK ||
	    dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
	    dot_dec_uint(&d, &kind) != DOT_OK || kind != 2 ||
	    dot_dec_array(&d, &cnt) != DOT_OK)
		return 0;
	for (uint64_t i = 0; i < cnt; i++) {
		const uint8_t *p;
		size_t len;

		if (dot_dec_bstr(&d, &p, &len) != DOT_OK)
			return 0;
		if (i < MAX_ITEMS) {
			items[i] = p;
			lens[i] = len;
		}
	}
	*count = (size_t)cnt;
	return 1;
}

/* FUZZ_STATE_TRACE=1 prints every receipt (to check what a seed does). */
static int
trace(void)
{
	static int on = -1;

	if (on < 0)
		on = getenv("FUZZ_STATE_TRACE") != NULL;
	return on;
}

static void
trace_receipt(uint64_t index, size_t i, const uint8_t *p, size_t n,
	      const struct dot_receipt *r)
{
	struct dot_tx *tx = NULL;

	if (dot_tx_parse(p, n, &tx, NULL) != DOT_OK)
		tx = NULL;
	fprintf(stderr, "  entry %llu tx %zu %.*s: %s%s%.*s\n",
		(unsigned long long)index, i, tx ? (int)tx->p.op_len : 9,
		tx ? tx->p.op : "(garbage)", dot_errname(r->status),
		r->detail_len ? " - " : "", (int)r->detail_len,
		r->detail ? r->detail : "");
	dot_tx_free(tx);
}

static void
trace_entry(const uint8_t *const *items, const size_t *lens, size_t count)
{
	for (size_t i = 0; i < count && i < MAX_ITEMS; i++) {
		struct dot_tx *tx = NULL;
		struct dot_buf d = {0};

		if (dot_tx_parse(items[i], lens[i], &tx, NULL) == DOT_OK &&
		    dot_codec_diag(tx->payload_bytes, tx->payload_len, &d) ==
			    DOT_OK)
			fprintf(stderr, "  item %zu: %.*s\n", i, (int)d.len,
				(const char *)d.data);
		else
			fprintf(stderr, "  item %zu: does not parse\n", i);
		dot_buf_free(&d);
		dot_tx_free(tx);
	}
}

/* Is the item a node.join, node.remove or node.role? */
static int
node_changer(const uint8_t *p, size_t n)
{
	static const char *const ops[] = {"node.join", "node.remove",
					  "node.role"};
	struct dot_tx *tx = NULL;
	int yes = 0;

	if (dot_tx_parse(p, n, &tx, NULL) != DOT_OK)
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (tx->p.op_len == strlen(ops[i]) &&
		    memcmp(tx->p.op, ops[i], tx->p.op_len) == 0)
			yes = 1;
	dot_tx_free(tx);
	return yes;
}

static int
seen_ok(const struct run *R, const uint8_t id[DOT_TX_ID_LEN])
{
	for (size_t i = 0; i < R->nok; i++)
		if (memcmp(R->ok[i].id, id, DOT_TX_ID_LEN) == 0)
			return 1;
	return 0;
}

static void
apply_entry(struct run *R, const uint8_t *entry, size_t n, uint64_t time)
{
	const uint8_t *items[MAX_ITEMS];
	size_t lens[MAX_ITEMS], count = 0;
	struct dot_buf rec[2] = {{0}, {0}};
	struct dot_err e = {0, ""};
	uint8_t before[DOT_HASH_LEN], after[DOT_HASH_LEN];
	uint8_t h0[DOT_HASH_LEN], h1[DOT_HASH_LEN];
	uint8_t nb[DOT_HASH_LEN], na[2][DOT_HASH_LEN];
	uint64_t index = R->index + 1, eff = time < R->time ? R->time : time;
	uint64_t epoch[2];
	int64_t voters[2];
	int rv[2], wf, moved[2], node_ok = 0;

	wf = wellformed(entry, n, items, lens, &count);
	if (!wf)
		digest(R->nd[0].db, before);
	nodes_digest(&R->nd[0], nb, &voters[0]);
	for (int k = 0; k < 2; k++) {
		uint64_t idx, tm;

		/* States of one ledger, fed by different engine logs. */
		epoch[k] = dot_state_nodes_epoch(R->nd[k].st);
		R->nd[k].log_ref = index * (2 + (uint64_t)k) + 1;
		dot_state_set_log_ref(R->nd[k].st, R->nd[k].log_ref);
		rv[k] = dot_state_apply(R->nd[k].st, index, time, entry, n,
					&rec[k], &e);
		if (rv[k] == DOT_ESTATE_STORAGE || rv[k] == DOT_ENOMEM ||
		    rv[k] == DOT_EINVAL) {
			fprintf(stderr, "fuzz_state: entry %llu: %s\n",
				(unsigned long long)index, e.msg);
			if (trace())
				trace_entry(items, lens, wf ? count : 0);
			failrc("apply stopped the log", rv[k]);
		}
		dot_state_position(R->nd[k].st, &idx, &tm);
		if (idx != index || tm != eff)
			fail("the position did not move to the entry", NULL);
		if (dot_state_log_ref(R->nd[k].st) != R->nd[k].log_ref)
			fail("the log reference is not the one given", NULL);
		moved[k] = dot_state_nodes_epoch(R->nd[k].st) != epoch[k];
		nodes_digest(&R->nd[k], na[k], &voters[k]);
	}
	if (memcmp(na[0], na[1], DOT_HASH_LEN) != 0 || voters[0] != voters[1])
		fail("the two databases have different nodes", NULL);
	if (memcmp(nb, na[0], DOT_HASH_LEN) != 0 && (!moved[0] || !moved[1]))
		fail("the nodes changed and the nodes epoch did not move", NULL);
	if (!wf && (moved[0] || moved[1]))
		fail("a malformed entry moved the nodes epoch", NULL);
	if (moved[0] != moved[1])
		fail("the nodes epoch moved on one database only", NULL);
	if (R->voters > 0 && voters[0] == 0)
		fail("the last active voter went", NULL);
	R->voters = voters[0];
	if (rv[0] != rv[1])
		fail("the two databases disagree on the entry", NULL);
	if (rec[0].len != rec[1].len ||
	    memcmp(rec[0].data, rec[1].data, rec[0].len) != 0)
		fail("the two databases wrote different receipts", NULL);
	if (dot_state_hash(R->nd[0].st, h0, &e) != DOT_OK ||
	    dot_state_hash(R->nd[1].st, h1, &e) != DOT_OK)
		fail("state hash", e.msg);
	if (memcmp(h0, h1, sizeof(h0)) != 0)
		fail("the two databases have different state hashes", NULL);
	R->index = index;
	R->time = eff;

	if (!wf) {
		if (trace())
			fprintf(stderr, "  entry %llu: malformed, %s\n",
				(unsigned long long)index, dot_errname(rv[0]));
		if (rv[0] == DOT_OK)
			fail("a malformed entry was accepted", NULL);
		if (rec[0].len != 1 || rec[0].data[0] != 0x80)
			fail("a malformed entry has receipts", NULL);
		digest(R->nd[0].db, after);
		if (memcmp(before, after, sizeof(before)) != 0)
			fail("a malformed entry changed the state", NULL);
		goto out;
	}
	if (rv[0] != DOT_OK) {
		fprintf(stderr, "fuzz_state: %s\n", e.msg);
		failrc("a well-formed entry was refused", rv[0]);
	}
	{
		struct dot_dec d;
		uint64_t nr;

		if (dot_dec_init(&d, rec[0].data, rec[0].len, NULL, NULL) !=
			    DOT_OK ||
		    dot_dec_array(&d, &nr) != DOT_OK || nr != count)
			fail("receipts are not one per tx", NULL);
		for (size_t i = 0; i < count && i < MAX_ITEMS; i++) {
			const uint8_t *p;
			size_t len;
			struct dot_receipt *r = NULL;
			uint8_t id[DOT_TX_ID_LEN];

			if (dot_dec_bstr(&d, &p, &len) != DOT_OK)
				fail("a receipt is not a byte string", NULL);
			if (dot_receipt_parse(p, len, &r, &e) != DOT_OK)
				fail("a receipt does not parse", e.msg);
			expected_id(items[i], lens[i], id);
			if (memcmp(id, r->tx_id, DOT_TX_ID_LEN) != 0)
				fail("a receipt names another tx", NULL);
			if (r->ledger_index != index || r->entry_time != eff)
				fail("a receipt has the wrong index or time",
				     NULL);
			if (r->status < 0 || r->status >= DOT_ERRCOUNT ||
			    r->status == DOT_ESTATE_STORAGE ||
			    r->status == DOT_ENOMEM)
				failrc("a receipt has a bad status", r->status);
			if (seen_ok(R, id) && r->status != DOT_ESTATE_DUPLICATE &&
			    r->status != DOT_ETX_EXPIRED)
				failrc("a tx applied twice", r->status);
			if (trace())
				trace_receipt(index, i, items[i], lens[i], r);
			if (r->status == DOT_OK && node_changer(items[i],
								 lens[i]))
				node_ok = 1;
			if (r->status == DOT_OK) {
				if (R->nok < MAX_OK)
					memcpy(R->ok[R->nok++].id, id,
					       DOT_TX_ID_LEN);
				for (size_t v = 0; v < r->nversions; v++)
					R->vers[R->nvers++ % MAX_VERS] =
						r->versions[v];
			}
			dot_receipt_free(r);
		}
		/* The epoch moves only for a node op that applied (a refused
		 * one's writes are undone with it). */
		if (moved[0] && !node_ok)
			fail("the nodes epoch moved, and no node op applied",
			     NULL);
	}
out:
	check_structure(R->nd[0].db);
	dot_buf_free(&rec[0]);
	dot_buf_free(&rec[1]);
}

/* Apply the pending txs as one entry. variant: 0 a batch, 1 a batch with
 * a non-bstr item after them, 2 a genesis-kind entry. */
static void
flush(struct run *R, uint64_t time, int variant)
{
	const uint8_t *ptrs[MAX_BATCH];
	size_t lens[MAX_BATCH];
	struct dot_buf en = {0};
	struct dot_err e = {0, ""};

	for (size_t i = 0; i < R->npending; i++) {
		ptrs[i] = R->pending[i].p;
		lens[i] = R->pending[i].n;
	}
	if (variant == 2) {
		struct dot_tx_level_key k = {K[BOB].pk, K[BOB].pklen, 1};
		if (dot_state_genesis_encode(CLUSTER, "evil", &k, 1, 1, &en,
					     &e) != DOT_OK)
			fail("genesis encode", e.msg);
	} else if (variant == 1) {
		dot_enc_array(&en, 2);
		dot_enc_uint(&en, 2);
		dot_enc_array(&en, R->npending + 1);
		for (size_t i = 0; i < R->npending; i++)
			dot_enc_bstr(&en, ptrs[i], lens[i]);
		dot_enc_uint(&en, 7);
	} else if (dot_state_batch_encode(ptrs, lens, R->npending, &en, &e) !=
		   DOT_OK) {
		fail("batch encode", e.msg);
	}
	if (en.err)
		failrc("entry encode", en.err);
	apply_entry(R, en.data, en.len, time);
	R->last_entry.len = 0;
	dot_buf_put(&R->last_entry, en.data, en.len);
	dot_buf_free(&en);
	for (size_t i = 0; i < R->npending; i++) {
		free(R->pending[i].p);
		R->pending[i].p = NULL;
	}
	R->npending = 0;
}

static void
add_pending(struct run *R, const uint8_t *p, size_t n)
{
	if (R->npending == MAX_BATCH)
		flush(R, R->time + 1, 0);
	R->pending[R->npending].p = NULL;
	blob_set(&R->pending[R->npending], p, n);
	R->npending++;
}

/* ---- building txs ---- */

struct txb {
	const char *op;
	struct dot_buf args;
	int token; /* else account */
	int by_ref; /* the token named by its last rid ([3, rid]) */
	const char *account, *level;
	struct dot_buf tok;
	int signers[NKEYS + 1];
	size_t nsigners;
	struct dot_tx_objver consumed[2];
	size_t nconsumed;
	int window; /* 0 normal, 1 not yet, 2 expired, 3 too long */
	int no_cluster;
	int reuse_nonce;
	struct dot_buf *only; /* build into this, not the pending entry */
};

/* The last block's rid of token bytes (0 if they do not parse). */
static int
ref_of(const struct dot_buf *tok, uint8_t rid[DOT_RID_LEN])
{
	struct dot_token *t = NULL;
	struct dot_err e = {0};

	if (dot_token_parse(tok->data, tok->len, &t, &e) != DOT_OK)
		return 0;
	memcpy(rid, t->blocks[t->nblocks - 1].rid, DOT_RID_LEN);
	dot_token_free(t);
	return 1;
}

static int
cmp_objver(const void *a, const void *b)
{
	const struct dot_tx_objver *x = a, *y = b;
	int c = memcmp(x->id, y->id, DOT_OBJECT_ID_LEN);

	if (c != 0)
		return c;
	return x->version < y->version ? -1 : x->version > y->version;
}

/* Build and sign; the tx goes into the pending entry and the history.
 * A tx the library will not encode (the input's bytes are not canonical,
 * say) is skipped. */
static void
build(struct run *R, struct txb *t)
{
	struct dot_tx_payload p;
	struct dot_tx_signature *sigs;
	struct dot_tx_sig views[NKEYS + 1];
	struct dot_buf pl = {0}, out = {0};
	uint8_t rid[DOT_RID_LEN];
	uint64_t now = R->time;

	if (t->args.err || t->tok.err || t->nsigners == 0)
		return;
	memset(&p, 0, sizeof(p));
	p.op = t->op;
	p.op_len = strlen(t->op);
	p.args = t->args.data;
	p.args_len = t->args.len;
	qsort(t->consumed, t->nconsumed, sizeof(t->consumed[0]), cmp_objver);
	if (t->nconsumed == 2 && cmp_objver(&t->consumed[0],
					    &t->consumed[1]) == 0)
		t->nconsumed = 1;
	memcpy(p.consumed, t->consumed, t->nconsumed * sizeof(t->consumed[0]));
	p.nconsumed = t->nconsumed;
	if (t->token && t->by_ref && ref_of(&t->tok, rid)) {
		p.auth_kind = DOT_TX_AUTH_TOKEN_REF;
		p.token_ref = rid;
	} else if (t->token) {
		p.auth_kind = DOT_TX_AUTH_TOKEN;
		p.token = t->tok.data;
		p.token_len = t->tok.len;
	} else {
		p.auth_kind = DOT_TX_AUTH_ACCOUNT;
		p.account = t->account;
		p.account_len = strlen(t->account);
		p.level = t->level;
		p.level_len = strlen(t->level);
	}
	if (t->reuse_nonce && R->have_nonce) {
		memcpy(p.nonce, R->last_nonce, DOT_TX_NONCE_LEN);
	} else {
		uint64_t c = ++R->nonce;
		for (int i = 0; i < 8; i++)
			p.nonce[i] = (uint8_t)(c >> (8 * i));
		memcpy(R->last_nonce, p.nonce, DOT_TX_NONCE_LEN);
		R->have_nonce = 1;
	}
	switch (t->window) {
	case 1: /* not yet valid */
		p.not_before = now + 100;
		p.not_after = now + 200;
		break;
	case 2: /* closed by the time it applies */
		p.not_before = now - 20;
		p.not_after = now;
		break;
	case 3: /* too long */
		p.not_before = now - 10;
		p.not_after = now + DOT_TX_WINDOW_DEFAULT + 10;
		break;
	default:
		p.not_before = now - 10;
		p.not_after = now + 600;
	}
	if (!t->no_cluster) {
		p.has_cluster = 1;
		memcpy(p.cluster_id, CLUSTER, DOT_CLUSTER_ID_LEN);
	}
	if (dot_tx_payload_encode(&p, &pl, NULL) != DOT_OK)
		goto out;
	sigs = malloc(t->nsigners * sizeof(*sigs));
	if (sigs == NULL)
		fail("out of memory", NULL);
	for (size_t i = 0; i < t->nsigners; i++) {
		if (dot_tx_sign(K[t->signers[i]].sk, pl.data, pl.len, &sigs[i],
				NULL) != DOT_OK)
			fail("sign", NULL);
		views[i] = dot_tx_sig_of(&sigs[i]);
	}
	if (t->only != NULL) {
		if (dot_tx_assemble(pl.data, pl.len, views, t->nsigners,
				    t->only, NULL) != DOT_OK)
			t->only->len = 0;
	} else if (dot_tx_assemble(pl.data, pl.len, views, t->nsigners, &out,
				   NULL) == DOT_OK) {
		add_pending(R, out.data, out.len);
		blob_set(&R->hist[R->nhist % MAX_HIST], out.data, out.len);
		R->nhist++;
	}
	free(sigs);
out:
	dot_buf_free(&pl);
	dot_buf_free(&out);
}

static const char *
path_from_input(struct rd *r, int idx, char *raw, size_t cap)
{
	const uint8_t *p;
	size_t n;

	if (idx < 15)
		return PATHS[idx];
	n = take(r, u8(r) % 24, &p);
	if (n + 1 > cap)
		n = cap - 1;
	memcpy(raw, p, n);
	raw[n] = '\0'; /* a NUL inside cuts it short: fine */
	return raw;
}

static void
enc_path_map(struct dot_buf *b, const char *path)
{
	dot_enc_map(b, 1);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, path, strlen(path));
}

/* Content: a length byte and that many bytes, or 0xff and a byte k for
 * more than one chunk (deterministic filler). */
static void
enc_content(struct dot_buf *b, struct rd *r)
{
	uint8_t len = u8(r);

	if (len == 0xff) {
		uint8_t k = u8(r);
		size_t n = DOT_STATE_CHUNK + (size_t)k * 97;
		uint8_t *big = malloc(n);
		uint32_t x = 0x9e3779b9u ^ k;

		if (big == NULL)
			fail("out of memory", NULL);
		for (size_t i = 0; i < n; i++) {
			x = x * 1664525u + 1013904223u;
			big[i] = (uint8_t)(x >> 24);
		}
		dot_enc_bstr(b, big, n);
		free(big);
	} else {
		const uint8_t *p;
		size_t n = take(r, len, &p);
		dot_enc_bstr(b, p, n);
	}
}

/* [[pk, weight], ...] for the keys in mask; weights 1 or 2 from w. */
static void
enc_keys(struct dot_buf *b, uint8_t mask, uint8_t w)
{
	size_t n = 0;

	for (int i = 0; i < NKEYS; i++)
		n += (mask >> i) & 1;
	dot_enc_array(b, n);
	for (int i = 0; i < NKEYS; i++)
		if ((mask >> i) & 1) {
			dot_enc_array(b, 2);
			dot_enc_bstr(b, K[i].pk, K[i].pklen);
			dot_enc_uint(b, 1 + ((w >> i) & 1));
		}
}

static void
remember_token(struct run *R, const struct dot_buf *tok, int holder)
{
	size_t at = R->ntoks++ % MAX_TOKS;

	blob_set(&R->toks[at], tok->data, tok->len);
	R->tok_holder[at] = holder;
}

/* Mint a token: issuer, holder, resource, rights and expiry from the
 * input; maybe attenuated to a next holder. Both forms are remembered
 * (a prefix and its extension, for cap.revoke). Returns the final holder;
 * out->err is set when nothing could be minted. */
static int
token_from_input(struct run *R, struct rd *r, struct dot_buf *out)
{
	static const int issuers[4] = {ADMIN, ALICE, M1, BOB};
	static const int holders[4] = {BOB, CAROL, ALICE, ADMIN};
	struct dot_token_caveats c;
	uint8_t t0 = u8(r), t1 = u8(r), t2 = u8(r), t3 = u8(r), t4 = u8(r);
	int holder = holders[(t0 >> 2) & 3];
	char raw[32];
	const char *res = NULL;
	uint8_t oid[DOT_OBJECT_ID_LEN] = {0};
	int rv;

	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_RIGHTS;
	c.rights = (t3 & 0x10) ? DOT_RIGHTS_ALL
			       : ((uint32_t)t2 | (uint32_t)(t3 & 0x0f) << 8);
	if (c.rights == 0)
		c.rights = DOT_RIGHT_READ;
	if (t4 != 0) {
		c.present |= DOT_CAV_EXPIRES;
		c.expires = R->time + (uint64_t)t4 * 8 - 16;
	}
	if (t0 & 0x40) {
		c.present |= DOT_CAV_NOT_BEFORE;
		c.not_before = R->time + 30;
	}
	if (t0 & 0x20) {
		size_t have = R->nvers < MAX_VERS ? R->nvers : MAX_VERS;

		if (have > 0)
			memcpy(oid, R->vers[t1 % have].id, DOT_OBJECT_ID_LEN);
		rv = dot_token_mint(K[issuers[t0 & 3]].sk, DOT_RESOURCE_OBJECT,
				    oid, sizeof(oid), &c, K[holder].pk,
				    K[holder].pklen, out, NULL);
	} else {
		res = path_from_input(r, t1 & 15, raw, sizeof(raw));
		rv = dot_token_mint(K[issuers[t0 & 3]].sk, DOT_RESOURCE_PATH,
				    res, strlen(res), &c, K[holder].pk,
				    K[holder].pklen, out, NULL);
	}
	if (rv != DOT_OK) {
		out->err = rv; /* the tx is skipped */
		return holder;
	}
	remember_token(R, out, holder);
	if (t0 & 0x80) {
		uint8_t t5 = u8(r), t6 = u8(r);
		struct dot_token_caveats a;
		struct dot_token *tok = NULL;
		struct dot_buf att = {0};
		int next = holders[(t6 >> 4) & 3];

		memset(&a, 0, sizeof(a));
		a.present = DOT_CAV_RIGHTS;
		a.rights = c.rights & ((uint32_t)t5 | (uint32_t)(t6 & 0x0f) << 8);
		if (dot_token_parse(out->data, out->len, &tok, NULL) == DOT_OK &&
		    dot_token_attenuate(tok, K[holder].sk, &a, K[next].pk,
					K[next].pklen, &att, NULL) == DOT_OK) {
			out->len = 0;
			dot_buf_put(out, att.data, att.len);
			holder = next;
			remember_token(R, out, holder);
		}
		dot_token_free(tok);
		dot_buf_free(&att);
	}
	return holder;
}

/* A token from the history (when there is one and the input asks), else a
 * fresh one. */
static int
some_token(struct run *R, struct rd *r, int reuse, struct dot_buf *out)
{
	if (reuse && R->ntoks > 0) {
		size_t have = R->ntoks < MAX_TOKS ? R->ntoks : MAX_TOKS;
		size_t at = u8(r) % have;

		dot_buf_put(out, R->toks[at].p, R->toks[at].n);
		return R->tok_holder[at];
	}
	return token_from_input(R, r, out);
}

/*
 * The authority byte: bit 7 a token (bit 2: one from the history; bit 3:
 * named by reference, [3, rid]; bits 0-1: 0/1 the holder signs, 2 someone
 * else does, 3 the holder and a second key); else an account (bits 0-2), a level (bits 3-4) and signers (bits
 * 5-6: 0 the account's own keys, 1 one short or a wrong key, 2 a key mask
 * byte follows, 3 its keys and a stranger's).
 */
static void
auth_from_input(struct run *R, struct rd *r, struct txb *t)
{
	uint8_t ab = u8(r);

	if (ab & 0x80) {
		int holder = some_token(R, r, ab & 0x04, &t->tok);

		t->token = 1;
		t->by_ref = (ab & 0x08) != 0;
		t->signers[0] = holder;
		t->nsigners = 1;
		if ((ab & 3) == 2) /* someone else presents it */
			t->signers[0] = holder == BOB ? CAROL : BOB;
		else if ((ab & 3) == 3) /* and a second signer */
			t->signers[t->nsigners++] = holder == ADMIN ? M3 : ADMIN;
	} else {
		static const int acct_of[8] = {0, 1, 2, 3, 4, 0, 0, 1};
		int mode = (ab >> 5) & 3;

		t->account = NAMES[acct_of[ab & 7]];
		t->level = LEVELS[(ab >> 3) & 3];
		t->nsigners = (size_t)natural_signers(t->account, t->signers);
		if (mode == 1 && t->nsigners > 1) {
			t->nsigners--; /* one short */
		} else if (mode == 1) {
			t->signers[0] = t->signers[0] == BOB ? CAROL : BOB;
		} else if (mode == 2) {
			uint8_t m = u8(r);
			t->nsigners = 0;
			for (int i = 0; i < NKEYS; i++)
				if ((m >> i) & 1)
					t->signers[t->nsigners++] = i;
		} else if (mode == 3) {
			t->signers[t->nsigners++] =
				t->signers[0] == BOB ? CAROL : BOB;
		}
	}
}

/* The flags byte: consumed versions (bits 0-1: how many; bit 2 one ahead,
 * bit 3 one behind), window (bits 4-5), nonce reuse (bit 6), no cluster
 * id (bit 7). */
static void
flags_from_input(struct run *R, struct rd *r, struct txb *t)
{
	uint8_t fb = u8(r);

	t->nconsumed = fb & 3;
	if (t->nconsumed == 3)
		t->nconsumed = 0;
	for (size_t i = 0; i < t->nconsumed; i++) {
		uint8_t k = u8(r);
		size_t have = R->nvers < MAX_VERS ? R->nvers : MAX_VERS;

		if (have == 0) {
			memset(&t->consumed[i], 0, sizeof(t->consumed[i]));
			t->consumed[i].version = 1;
		} else {
			/* the newest by default: most likely current */
			t->consumed[i] = R->vers[(R->nvers - 1 - k % have) %
						 MAX_VERS];
		}
		if (fb & 0x04)
			t->consumed[i].version++;
		if ((fb & 0x08) && t->consumed[i].version > 0)
			t->consumed[i].version--;
	}
	t->window = (fb >> 4) & 3;
	t->reuse_nonce = (fb >> 6) & 1;
	t->no_cluster = (fb >> 7) & 1;
}

static void
enc_path_and(struct dot_buf *b, const char *path)
{
	dot_enc_map(b, 2);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, path, strlen(path));
	dot_enc_uint(b, 2);
}

/* A message id to receive: one of the versions produced (a sent message
 * is among them), or zeros. */
static void
enc_some_id(struct run *R, struct dot_buf *b, uint8_t k)
{
	size_t have = R->nvers < MAX_VERS ? R->nvers : MAX_VERS;
	uint8_t zero[DOT_OBJECT_ID_LEN] = {0};

	if (have == 0)
		dot_enc_bstr(b, zero, sizeof(zero));
	else
		dot_enc_bstr(b, R->vers[(R->nvers - 1 - k % have) % MAX_VERS].id,
			     DOT_OBJECT_ID_LEN);
}

/* An account expiry around the current time: b % 32 seconds from 8 s
 * ago; 0xff: one past the largest allowed (refused as ARGS). */
static uint64_t
expiry_from_input(const struct run *R, uint8_t b)
{
	if (b == 0xff)
		return DOT_STATE_MAX_EXPIRY + 1;
	return R->time + b % 32 - 8;
}

/* ---- nodes (docs/decisions/0017) ---- */

static void query_compare(struct run *R, const struct dot_buf *tx,
			  const char *op, const char *path);

static const char *const RAFT_ADDRS[8] = {
	"10.0.0.1:7401", "10.0.0.2:7401", "10.0.0.3:7401", "[::1]:7401",
	"node.example:7401", "10.0.0.1", /* no port */
	"10.0.0.01:7401",		 /* not canonical */
	"",				 /* none */
};
static const char *const API_ADDRS[4] = {"", "10.0.0.9:7400", "[::1]:80",
					 "host:0"};

static void
invite_name(int key, char out[40])
{
	uint8_t id[DOT_KEY_ID_LEN];

	dot_key_id(K[key].pk, K[key].pklen, id);
	memcpy(out, "join-", 5);
	for (size_t i = 0; i < DOT_KEY_ID_LEN; i++)
		snprintf(out + 5 + 2 * i, 3, "%02x", id[i]);
}

/* A node key: ND0..ND3, or an account's key (bit 2). */
static int
node_key_from(uint8_t b)
{
	return (b & 4) ? (b & 1 ? ALICE : ADMIN) : ND0 + (b & 3);
}

/*
 * OP_NODE, after the path, authority and flags bytes: s ((s & 7) % 6 the
 * op, bits 3-4 the invitation key, bit 6: keep the input's authority rather
 * than the invitation's for node.join and node.list, bit 7: as
 * INVITE@owner), then b1, b2:
 *   invite  role b1 % 4 (0 is refused); expiry b2: 0xff 7 days and 24 s
 *           ahead, 0xfe 7 days and 1 s, else b2 % 48 seconds from 8 s
 *           ago
 *   join    node key node_key_from(b1), raft address RAFT_ADDRS[b1 >> 3];
 *           API address API_ADDRS[b2 & 3]; the proof (b2 >> 2) % 4: 0
 *           right, 1 by another key, 2 over another raft address, 3 over
 *           another cluster
 *   remove  node_key_from(b1);  role  node_key_from(b1), role b2 % 5
 *   list    applied (4) or answered as a query on both databases (5)
 */
static void
node_from_input(struct run *R, struct rd *r, struct txb *t)
{
	static const uint8_t other[DOT_CLUSTER_ID_LEN] = {0x0c};
	uint8_t sb = u8(r), b1 = u8(r), b2 = u8(r);
	int inv = IV0 + ((sb >> 3) & 3), op6 = (sb & 7) % 6;
	char acct[40];

	invite_name(inv, acct);
	switch (op6) {
	case 0:
		t->op = "node.invite";
		dot_enc_map(&t->args, 3);
		dot_enc_uint(&t->args, 1);
		dot_enc_bstr(&t->args, K[inv].pk, K[inv].pklen);
		dot_enc_uint(&t->args, 2);
		dot_enc_uint(&t->args, b1 % 4);
		dot_enc_uint(&t->args, 3);
		/* 0xff: past the 7 days whatever the entry's time step;
		 * 0xfe: at or near the bound */
		dot_enc_uint(&t->args, b2 == 0xff   ? R->time + 7 * 86400 + 24
				       : b2 == 0xfe ? R->time + 7 * 86400 + 1
						    : R->time + b2 % 48 - 8);
		return;
	case 1: {
		int nk = node_key_from(b1), mode = (b2 >> 2) % 4;
		const char *ra = RAFT_ADDRS[(b1 >> 3) & 7];
		const char *aa = API_ADDRS[b2 & 3];
		struct dot_buf m = {0};
		uint8_t sig[DOT_SIGN_SIG_MAX];
		size_t siglen = 0;

		t->op = "node.join";
		dot_buf_put(&m, "doteros-node-join/1", 19);
		dot_buf_put(&m, mode == 3 ? other : CLUSTER,
			    DOT_CLUSTER_ID_LEN);
		dot_buf_put(&m, acct, strlen(acct) + 1);
		dot_buf_put(&m, K[nk].pk, K[nk].pklen);
		if (mode == 2)
			dot_buf_put(&m, "10.6.6.6:1", 11);
		else
			dot_buf_put(&m, ra, strlen(ra) + 1);
		dot_buf_put(&m, aa, strlen(aa));
		if (m.err || dot_sign(K[mode == 1 ? ND3 - (nk == ND3) : nk].sk,
				      m.data, m.len, sig, &siglen) != DOT_OK)
			fail("join proof", NULL);
		dot_buf_free(&m);
		dot_enc_map(&t->args, 4);
		dot_enc_uint(&t->args, 1);
		dot_enc_bstr(&t->args, K[nk].pk, K[nk].pklen);
		dot_enc_uint(&t->args, 2);
		dot_enc_tstr(&t->args, ra, strlen(ra));
		dot_enc_uint(&t->args, 3);
		dot_enc_tstr(&t->args, aa, strlen(aa));
		dot_enc_uint(&t->args, 4);
		dot_enc_bstr(&t->args, sig, siglen);
		break;
	}
	case 2:
	case 3:
		t->op = op6 == 2 ? "node.remove" : "node.role";
		dot_enc_map(&t->args, op6 == 2 ? 1 : 2);
		dot_enc_uint(&t->args, 1);
		dot_enc_bstr(&t->args, K[node_key_from(b1)].pk,
			     K[node_key_from(b1)].pklen);
		if (op6 == 3) {
			dot_enc_uint(&t->args, 2);
			dot_enc_uint(&t->args, b2 % 5);
		}
		return;
	default:
		t->op = "node.list";
		dot_enc_map(&t->args, 0);
		break;
	}
	/* node.join and node.list: as the invitation, unless bit 6 */
	if (!(sb & 0x40)) {
		static char who[40];

		memcpy(who, acct, sizeof(who));
		t->token = 0;
		t->tok.err = 0; /* a token that did not mint is not used */
		t->account = who;
		t->level = (sb & 0x80) ? "owner" : "active";
		t->signers[0] = inv;
		t->nsigners = 1;
	}
	if (op6 == 5) { /* a query, not a tx of the entry */
		struct dot_buf tx = {0};

		t->only = &tx;
		build(R, t);
		query_compare(R, &tx, "node.list", "-");
		dot_buf_free(&tx);
		t->nsigners = 0; /* built already */
	}
}

static void
tx_from_input(struct run *R, struct rd *r, int op)
{
	struct txb t;
	char raw_a[32], raw_b[32];
	uint8_t pb = u8(r);
	const char *pa = path_from_input(r, pb & 15, raw_a, sizeof(raw_a));
	const char *pbp = path_from_input(r, pb >> 4, raw_b, sizeof(raw_b));

	memset(&t, 0, sizeof(t));
	t.op = OP_NAMES[op];
	auth_from_input(R, r, &t);
	flags_from_input(R, r, &t);

	switch (op) {
	case OP_MKDIR:
	case OP_RM:
	case OP_MSG_CREATE:
		enc_path_map(&t.args, pa);
		break;
	case OP_PUT:
	case OP_APPEND:
	case OP_MSG_SEND:
		enc_path_and(&t.args, pa);
		enc_content(&t.args, r);
		break;
	case OP_MV:
		enc_path_and(&t.args, pa);
		dot_enc_tstr(&t.args, pbp, strlen(pbp));
		break;
	case OP_ACCOUNT_CREATE: {
		uint8_t nm = u8(r), km = u8(r), w = u8(r), th = u8(r);
		const char *name = NAMES[nm % 6];

		dot_enc_map(&t.args, (th & 0x80) ? 4 : 3);
		dot_enc_uint(&t.args, 1);
		dot_enc_tstr(&t.args, name, strlen(name));
		dot_enc_uint(&t.args, 2);
		enc_keys(&t.args, km & 0x7f, w);
		dot_enc_uint(&t.args, 3);
		dot_enc_uint(&t.args, th % 8);
		if (th & 0x80) {
			dot_enc_uint(&t.args, 4);
			dot_enc_uint(&t.args, expiry_from_input(R, u8(r)));
		}
		break;
	}
	case OP_SET_LEVEL: {
		uint8_t nm = u8(r), km = u8(r), w = u8(r), th = u8(r);
		const char *name = NAMES[nm % 6];
		const char *level = LEVELS[(nm >> 4) & 3];

		if (nm & 0x80) {
			/* account.set-expiry {1: name, ?2: expires}; km 0
			 * clears it */
			t.op = "account.set-expiry";
			dot_enc_map(&t.args, km == 0 ? 1 : 2);
			dot_enc_uint(&t.args, 1);
			dot_enc_tstr(&t.args, name, strlen(name));
			if (km != 0) {
				dot_enc_uint(&t.args, 2);
				dot_enc_uint(&t.args,
					     expiry_from_input(R, km));
			}
			break;
		}

		dot_enc_map(&t.args, 4);
		dot_enc_uint(&t.args, 1);
		dot_enc_tstr(&t.args, name, strlen(name));
		dot_enc_uint(&t.args, 2);
		dot_enc_tstr(&t.args, level, strlen(level));
		dot_enc_uint(&t.args, 3);
		enc_keys(&t.args, km & 0x7f, w);
		dot_enc_uint(&t.args, 4);
		dot_enc_uint(&t.args, th % 8);
		break;
	}
	case OP_CHOWN: {
		const char *name = NAMES[u8(r) % 6];

		enc_path_and(&t.args, pa);
		dot_enc_tstr(&t.args, name, strlen(name));
		break;
	}
	case OP_POLICY:
		enc_path_and(&t.args, pa);
		dot_enc_uint(&t.args, u8(r) % 3); /* 2: an unknown bit */
		break;
	case OP_NODE:
		node_from_input(R, r, &t);
		break;
	case OP_READ:
		t.op = READ_OPS[u8(r) % 3];
		enc_path_map(&t.args, pa);
		break;
	case OP_MSG_RECV: {
		uint8_t k = u8(r);

		if (k & 0x80)
			t.op = "msg.read"; /* applied: a read receipt */
		enc_path_and(&t.args, pa);
		enc_some_id(R, &t.args, k);
		break;
	}
	case OP_CAP_GRANT:
	case OP_CAP_REVOKE: {
		struct dot_buf tok = {0};
		uint8_t k = u8(r);

		(void)some_token(R, r, !(k & 0x80), &tok);
		if (tok.err) {
			t.args.err = tok.err;
		} else if (op == OP_CAP_GRANT) {
			dot_enc_map(&t.args, 1);
			dot_enc_uint(&t.args, 1);
			dot_enc_bstr(&t.args, tok.data, tok.len);
		} else {
			dot_enc_map(&t.args, 2);
			dot_enc_uint(&t.args, 1);
			dot_enc_bstr(&t.args, tok.data, tok.len);
			dot_enc_uint(&t.args, 2);
			dot_enc_uint(&t.args, k % 3);
		}
		dot_buf_free(&tok);
		break;
	}
	default: { /* OP_RAW_ARGS: an op name and the args' bytes */
		uint8_t k = u8(r);
		const uint8_t *p;
		size_t n = take(r, u8(r), &p);

		t.op = OP_NAMES[k % NOP_NAMES];
		if (dot_codec_check(p, n, NULL, NULL) == DOT_OK)
			dot_enc_raw(&t.args, p, n);
		else
			enc_path_map(&t.args, pa);
	}
	}
	build(R, &t);
	dot_buf_free(&t.args);
	dot_buf_free(&t.tok);
}

/* ---- reads ---- */

struct listing {
	struct dot_hash_ctx h;
	size_t n;
};

static int
list_cb(void *ctx, const char *name, const struct dot_state_stat *s)
{
	struct listing *l = ctx;

	dot_hash_update(&l->h, name, strlen(name) + 1);
	dot_hash_update(&l->h, s->id, sizeof(s->id));
	dot_hash_update(&l->h, &s->kind, sizeof(s->kind));
	dot_hash_update(&l->h, &s->version, sizeof(s->version));
	dot_hash_update(&l->h, &s->size, sizeof(s->size));
	dot_hash_update(&l->h, s->owner, strlen(s->owner));
	dot_hash_update(&l->h, &s->created, sizeof(s->created));
	dot_hash_update(&l->h, &s->modified, sizeof(s->modified));
	l->n++;
	return DOT_OK;
}

/* A signed read answered by dot_state_query on both databases: the same
 * answer, and nothing written. */
static void
query_compare(struct run *R, const struct dot_buf *tx, const char *op,
	      const char *path)
{
	uint8_t before[DOT_HASH_LEN], after[DOT_HASH_LEN];
	struct dot_buf out[2] = {{0}, {0}};
	int rv[2], record[2];

	if (tx->len == 0)
		return;
	digest(R->nd[0].db, before);
	for (int k = 0; k < 2; k++) {
		struct dot_err e = {0, ""};

		rv[k] = dot_state_query(R->nd[k].st, tx->data, tx->len, R->time,
					&out[k], &record[k], &e);
		if (rv[k] < 0 || rv[k] >= DOT_ERRCOUNT ||
		    rv[k] == DOT_ESTATE_STORAGE || rv[k] == DOT_ENOMEM) {
			fprintf(stderr, "fuzz_state: query %s %s: %s\n", op,
				path, e.msg);
			failrc("a query failed badly", rv[k]);
		}
		if (rv[k] == DOT_OK &&
		    dot_codec_check(out[k].data, out[k].len, NULL, NULL) !=
			    DOT_OK)
			fail("a query's answer is not one canonical item", op);
	}
	if (rv[0] != rv[1] || record[0] != record[1] ||
	    out[0].len != out[1].len ||
	    (out[0].len > 0 && memcmp(out[0].data, out[1].data, out[0].len) != 0))
		fail("the two databases answer a query differently", path);
	digest(R->nd[0].db, after);
	if (memcmp(before, after, sizeof(before)) != 0)
		fail("a query changed the state", path);
	dot_buf_free(&out[0]);
	dot_buf_free(&out[1]);
}

/* A signed read (fs.get, fs.stat, fs.ls) of path, by the input's
 * authority. */
static void
query_from_input(struct run *R, struct rd *r, const char *path,
		 const char *op)
{
	struct txb t;
	struct dot_buf tx = {0};

	memset(&t, 0, sizeof(t));
	t.op = op;
	enc_path_map(&t.args, path);
	auth_from_input(R, r, &t);
	flags_from_input(R, r, &t);
	t.only = &tx;
	build(R, &t);
	dot_buf_free(&t.args);
	dot_buf_free(&t.tok);
	query_compare(R, &tx, op, path);
	dot_buf_free(&tx);
}

static void
read_from_input(struct run *R, struct rd *r)
{
	static const char msg[] = "fuzz read request";
	static const uint32_t rights[8] = {
		DOT_RIGHT_READ, DOT_RIGHT_LIST, DOT_RIGHT_READ | DOT_RIGHT_LIST,
		DOT_RIGHTS_ALL, DOT_RIGHT_WRITE, DOT_RIGHT_READ, DOT_RIGHT_LIST,
		DOT_RIGHTS_ALL};
	uint8_t b0 = u8(r), b1 = u8(r);
	const char *path = PATHS[(b0 & 15) % 15];
	int call = (b0 >> 4) % 4;
	struct dot_state_reader rd;
	struct dot_buf tok = {0};
	struct dot_token *pt = NULL;
	uint8_t sig[DOT_SIGN_SIG_MAX], before[DOT_HASH_LEN], after[DOT_HASH_LEN];
	uint8_t out_h[2][DOT_HASH_LEN];
	size_t siglen = 0;
	int rv[2];

	if (call == 3) {
		query_from_input(R, r, path, READ_OPS[b1 % 3]);
		return;
	}
	memset(&rd, 0, sizeof(rd));
	rd.now = R->time;
	if (b1 & 0x80) {
		struct dot_token_caveats c;
		int signer = (b1 & 0x40) ? CAROL : BOB;
		const char *res = PATHS[(b1 & 15) % 15];

		memset(&c, 0, sizeof(c));
		c.present = DOT_CAV_RIGHTS;
		c.rights = rights[(b1 >> 4) & 3];
		if (dot_token_mint(K[ADMIN].sk, DOT_RESOURCE_PATH, res,
				   strlen(res), &c, K[BOB].pk, K[BOB].pklen,
				   &tok, NULL) != DOT_OK ||
		    dot_token_parse(tok.data, tok.len, &pt, NULL) != DOT_OK ||
		    dot_token_sign_request(pt, K[signer].sk, msg, sizeof(msg),
					   sig, &siglen) != DOT_OK)
			goto out; /* e.g. a resource that is not a path */
		rd.token = pt;
		rd.msg = (const uint8_t *)msg;
		rd.msg_len = sizeof(msg);
		rd.sig = sig;
		rd.sig_len = siglen;
	} else if (b1 % 7 < 6) {
		rd.account = NAMES[b1 % 7];
	}
	digest(R->nd[0].db, before);
	for (int k = 0; k < 2; k++) {
		struct dot_err e = {0, ""};
		struct dot_hash_ctx h;

		dot_hash_init(&h);
		if (call == 0) {
			struct dot_state_stat s;
			memset(&s, 0, sizeof(s));
			rv[k] = dot_state_stat(R->nd[k].st, path, &rd, &s, &e);
			if (rv[k] == DOT_OK) {
				struct listing l;
				l.h = h;
				l.n = 0;
				list_cb(&l, "", &s);
				h = l.h;
			}
		} else if (call == 1) {
			struct dot_buf b = {0};
			rv[k] = dot_state_read(R->nd[k].st, path, &rd, &b, &e);
			if (rv[k] == DOT_OK)
				dot_hash_update(&h, b.data, b.len);
			dot_buf_free(&b);
		} else {
			struct listing l;
			l.h = h;
			l.n = 0;
			rv[k] = dot_state_list(R->nd[k].st, path, &rd, list_cb, &l,
					       &e);
			h = l.h;
		}
		if (rv[k] < 0 || rv[k] >= DOT_ERRCOUNT ||
		    rv[k] == DOT_ESTATE_STORAGE || rv[k] == DOT_ENOMEM) {
			fprintf(stderr, "fuzz_state: read %s: %s\n", path, e.msg);
			failrc("a read failed badly", rv[k]);
		}
		dot_hash_final(&h, out_h[k]);
	}
	if (rv[0] != rv[1] || memcmp(out_h[0], out_h[1], DOT_HASH_LEN) != 0)
		fail("the two databases read differently", path);
	digest(R->nd[0].db, after);
	if (memcmp(before, after, sizeof(before)) != 0)
		fail("a read changed the state", path);
out:
	dot_token_free(pt);
	dot_buf_free(&tok);
}

/* ---- the program ---- */

static uint64_t
time_step(uint8_t b)
{
	static const uint64_t big[8] = {60, 300, 599, 601, 3600, 4000, 0, 0};

	return b < 248 ? b % 24 : big[b - 248];
}

static void
prelude(struct run *R)
{
	static const struct {
		const char *op;
		const char *name; /* account.create */
		uint8_t keys;
		uint64_t threshold;
		const char *path; /* fs */
	} steps[] = {
		{"account.create", "alice", 1u << ALICE, 1, NULL},
		{"account.create", "team", 1u << M1 | 1u << M2 | 1u << M3, 2,
		 NULL},
		{"account.create", "carol", 1u << CAROL, 1, NULL},
		{"fs.mkdir", NULL, 0, 0, "/a"},
		{"fs.mkdir", NULL, 0, 0, "/d"},
		{"fs.put", NULL, 0, 0, "/d/f"},
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct txb t;

		memset(&t, 0, sizeof(t));
		t.op = steps[i].op;
		t.account = "admin";
		t.level = steps[i].name ? "owner" : "active";
		t.signers[0] = ADMIN;
		t.nsigners = 1;
		if (steps[i].name) {
			dot_enc_map(&t.args, 3);
			dot_enc_uint(&t.args, 1);
			dot_enc_tstr(&t.args, steps[i].name,
				     strlen(steps[i].name));
			dot_enc_uint(&t.args, 2);
			enc_keys(&t.args, steps[i].keys, 0);
			dot_enc_uint(&t.args, 3);
			dot_enc_uint(&t.args, steps[i].threshold);
		} else if (strcmp(t.op, "fs.put") == 0) {
			dot_enc_map(&t.args, 2);
			dot_enc_uint(&t.args, 1);
			dot_enc_tstr(&t.args, steps[i].path,
				     strlen(steps[i].path));
			dot_enc_uint(&t.args, 2);
			dot_enc_bstr(&t.args, "hello", 5);
		} else {
			enc_path_map(&t.args, steps[i].path);
		}
		build(R, &t);
		dot_buf_free(&t.args);
	}
	flush(R, R->time + 1, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run *R;
	struct rd r = {data, size, 0};
	struct dot_tx_level_key ak;
	struct dot_buf g = {0}, rec = {0};
	struct dot_err e = {0, ""};
	uint8_t flags;
	unsigned policy;

	keys_init();
	R = calloc(1, sizeof(*R));
	if (R == NULL)
		fail("out of memory", NULL);
	node_open(&R->nd[0], 0);
	node_open(&R->nd[1], 1);
	flags = u8(&r);
	policy = !(flags & 4)	? DOT_POLICY_CLASSIC
		 : !(flags & 8) ? DOT_POLICY_HYBRID
				: DOT_POLICY_HYBRID |
					  DOT_POLICY_CLASSIC_ATTENUATION;
	K = KS[!(flags & 4) ? KS_CLASSIC
			    : !(flags & 8) ? KS_HYBRID : KS_HYBRID_CA];
	ak.pk = K[ADMIN].pk;
	ak.pk_len = K[ADMIN].pklen;
	ak.weight = 1;
	if (policy != DOT_POLICY_CLASSIC) {
		if (dot_state_genesis_encode_policy(
			    CLUSTER, "admin", &ak, 1, 1,
			    flags & 2 ? K[ND0].pk : NULL,
			    flags & 2 ? K[ND0].pklen : 0,
			    flags & 2 ? "10.0.0.1:7401" : NULL, "", policy, &g,
			    &e) != DOT_OK)
			fail("genesis encode", e.msg);
	} else if ((flags & 2 ? dot_state_genesis_encode_node(
				    CLUSTER, "admin", &ak, 1, 1, K[ND0].pk,
				    K[ND0].pklen, "10.0.0.1:7401", "", &g, &e)
			      : dot_state_genesis_encode(CLUSTER, "admin", &ak,
							 1, 1, &g, &e)) !=
		   DOT_OK) {
		fail("genesis encode", e.msg);
	}
	for (int k = 0; k < 2; k++) {
		rec.len = 0;
		R->nd[k].log_ref = 1;
		dot_state_set_log_ref(R->nd[k].st, 1);
		if (dot_state_apply(R->nd[k].st, 1, T0, g.data, g.len, &rec,
				    &e) != DOT_OK)
			fail("genesis", e.msg);
		if (dot_state_crypto_policy(R->nd[k].st) != policy)
			fail("the genesis's crypto policy", NULL);
	}
	dot_buf_free(&g);
	dot_buf_free(&rec);
	R->index = 1;
	R->time = T0;
	R->voters = flags & 2 ? 1 : 0;

	if (flags & 1)
		prelude(R);
	for (int n = 0; n < MAX_INSTR && r.off < r.n; n++) {
		uint8_t c = u8(&r);
		int p = c >> 3;

		switch (c & 7) {
		case 0:
		case 1:
		case 2:
			tx_from_input(R, &r, p < NOPS ? p : p - 16);
			break;
		case 3: {
			uint8_t st = u8(&r), v = u8(&r);
			/* 254: an entry time earlier than the last (clamped) */
			flush(R, st == 254 ? R->time - 5 : R->time + time_step(st),
			      v % 3);
			break;
		}
		case 4:
			if (R->nhist > 0) {
				size_t have = R->nhist < MAX_HIST ? R->nhist
								  : MAX_HIST;
				struct blob *b =
					&R->hist[(R->nhist - 1 - u8(&r) % have) %
						 MAX_HIST];
				uint8_t *copy = malloc(b->n);
				if (copy == NULL)
					fail("out of memory", NULL);
				memcpy(copy, b->p, b->n);
				add_pending(R, copy, b->n);
				free(copy);
			}
			break;
		case 5:
			if (R->nhist > 0) {
				size_t have = R->nhist < MAX_HIST ? R->nhist
								  : MAX_HIST;
				struct blob *b =
					&R->hist[(R->nhist - 1 - u8(&r) % have) %
						 MAX_HIST];
				size_t hi = u8(&r), lo = u8(&r);
				size_t at = (hi << 8 | lo) % b->n;
				uint8_t x = u8(&r), *copy = malloc(b->n);

				if (copy == NULL)
					fail("out of memory", NULL);
				memcpy(copy, b->p, b->n);
				copy[at] ^= x ? x : 1;
				add_pending(R, copy, b->n);
				free(copy);
			}
			break;
		case 6: {
			const uint8_t *p8;
			size_t len;

			if (R->npending > 0)
				flush(R, R->time + 1, 0);
			if ((p & 1) && R->last_entry.len > 0) {
				/* the last entry with one byte changed */
				uint8_t *copy = malloc(R->last_entry.len);
				size_t at = u8(&r) % R->last_entry.len;
				uint8_t x = u8(&r);

				if (copy == NULL)
					fail("out of memory", NULL);
				memcpy(copy, R->last_entry.data,
				       R->last_entry.len);
				copy[at] ^= x ? x : 1;
				apply_entry(R, copy, R->last_entry.len,
					    R->time + 1);
				free(copy);
			} else {
				len = take(&r, u8(&r), &p8);
				apply_entry(R, p8, len, R->time + 1);
			}
			break;
		}
		default:
			if (p & 1) {
				uint64_t i0, t0, i1, t1;
				dot_state_position(R->nd[1].st, &i0, &t0);
				dot_state_close(R->nd[1].st);
				if (dot_state_open(R->nd[1].db, &R->nd[1].st,
						   &e) != DOT_OK)
					fail("reopen", e.msg);
				dot_state_position(R->nd[1].st, &i1, &t1);
				if (i0 != i1 || t0 != t1)
					fail("reopen lost the position", NULL);
				if (dot_state_log_ref(R->nd[1].st) !=
				    R->nd[1].log_ref)
					fail("reopen lost the log reference",
					     NULL);
				if (dot_state_crypto_policy(R->nd[1].st) !=
				    policy)
					fail("reopen lost the crypto policy",
					     NULL);
			} else {
				read_from_input(R, &r);
			}
		}
	}
	if (R->npending > 0)
		flush(R, R->time + 1, 0);

	for (size_t i = 0; i < MAX_HIST; i++)
		free(R->hist[i].p);
	for (size_t i = 0; i < MAX_TOKS; i++)
		free(R->toks[i].p);
	dot_buf_free(&R->last_entry);
	node_close(&R->nd[0]);
	node_close(&R->nd[1]);
	free(R);
	return 0;
}
