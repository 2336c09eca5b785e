/*
 * state.c - the deterministic state machine: schema, apply, authority,
 * state hash, reads (docs/state-model.md).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/heap.h"
#include "state_int.h"

static const char schema[] =
	"PRAGMA foreign_keys = OFF;"
	"CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS objects ("
	" id BLOB NOT NULL UNIQUE, kind INTEGER NOT NULL, path TEXT UNIQUE,"
	" parent BLOB, owner TEXT NOT NULL, version INTEGER NOT NULL,"
	" size INTEGER NOT NULL, content BLOB, created INTEGER NOT NULL,"
	" modified INTEGER NOT NULL, policy INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS objects_parent ON objects(parent, path);"
	/* A rowid table: chunks are large rows, appended in order; only the
	 * (small) hash index takes the random inserts. */
	"CREATE TABLE IF NOT EXISTS chunks (hash BLOB NOT NULL UNIQUE,"
	" data BLOB NOT NULL, refs INTEGER NOT NULL);"
	/* expires: Unix seconds, the first second the account is no longer
	 * valid; NULL when it never expires (decision 0015). */
	"CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY,"
	" created INTEGER NOT NULL, expires INTEGER) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS levels (account TEXT NOT NULL,"
	" level TEXT NOT NULL, threshold INTEGER NOT NULL,"
	" PRIMARY KEY (account, level)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS level_keys (account TEXT NOT NULL,"
	" level TEXT NOT NULL, pk BLOB NOT NULL, weight INTEGER NOT NULL,"
	" keyid BLOB NOT NULL, PRIMARY KEY (account, level, pk)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS level_keys_id ON level_keys(keyid);"
	"CREATE TABLE IF NOT EXISTS revoked (rid BLOB PRIMARY KEY,"
	" at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS grants (rid BLOB PRIMARY KEY,"
	" issuer TEXT NOT NULL, token BLOB NOT NULL, at INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	/* The ids of applied txs whose window is open, for the replay check.
	 * Keyed by the end of the window, then where the tx was applied:
	 * inserts land at the end of the tree and pruning deletes a prefix.
	 * Lookups by id go to the in-memory set (struct txset) loaded from
	 * this table, so no index on id takes random inserts. */
	/* Every token an authentic tx has presented inline, by its last
	 * block's rid, so later txs may name it by reference (docs/
	 * tx-format.md §1); dropped once its earliest expiry passes. */
	"CREATE TABLE IF NOT EXISTS tokens (rid BLOB PRIMARY KEY,"
	" token BLOB NOT NULL, expires INTEGER, at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS tokens_expires ON tokens(expires)"
	" WHERE expires IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS txs (not_after INTEGER NOT NULL,"
	" at INTEGER NOT NULL, pos INTEGER NOT NULL, id BLOB NOT NULL,"
	" PRIMARY KEY (not_after, at, pos)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS ledger (seq INTEGER PRIMARY KEY,"
	" entry INTEGER NOT NULL, txid BLOB NOT NULL, tx BLOB NOT NULL,"
	" receipt BLOB NOT NULL);"
	/* Keyed by the node's post-order position (merkle_pos): nodes are
	 * appended in the order they complete. */
	"CREATE TABLE IF NOT EXISTS merkle (pos INTEGER PRIMARY KEY,"
	" level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL);"
	/* The member nodes (docs/decisions/0017), keyed by raft id; status
	 * 1 active, 2 removed (the row stays: a removed key never comes
	 * back); removed is 0 while active. */
	"CREATE TABLE IF NOT EXISTS nodes (raft_id INTEGER PRIMARY KEY,"
	" pk BLOB NOT NULL UNIQUE, raft_addr TEXT NOT NULL,"
	" api_addr TEXT NOT NULL, role INTEGER NOT NULL,"
	" status INTEGER NOT NULL, admitted INTEGER NOT NULL,"
	" removed INTEGER NOT NULL) WITHOUT ROWID;"
	/* Invitations to join: the invite account node.invite made. */
	"CREATE TABLE IF NOT EXISTS invites (account TEXT PRIMARY KEY,"
	" role INTEGER NOT NULL, expires INTEGER NOT NULL,"
	" created INTEGER NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;"
	/* This node's own records, written with the entries but not part of
	 * the replicated state (not in the state hash): k 'log_ref', the
	 * consensus engine's index of the last entry applied. */
	"CREATE TABLE IF NOT EXISTS node_local (k TEXT PRIMARY KEY,"
	" v INTEGER NOT NULL) WITHOUT ROWID;"
	/* Checkpoint signatures of the member nodes (cosig.c): replicated by
	 * the consensus engine, not by ledger entries, and not in the state
	 * hash (the signatures are about the state, not part of it). */
	"CREATE TABLE IF NOT EXISTS cosig (size INTEGER NOT NULL,"
	" name TEXT NOT NULL, root BLOB NOT NULL, line TEXT NOT NULL,"
	" PRIMARY KEY (size, name)) WITHOUT ROWID;";

/* ---- SQLite plumbing ---- */

int
st_sqlerr(struct dot_state *st, struct dot_err *e, const char *what)
{
	return dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", what,
			   sqlite3_errmsg(st->db));
}

int
st_prepare(struct dot_state *st, const char *sql, sqlite3_stmt **s,
	   struct dot_err *e)
{
	for (size_t i = 0; i < st->nstmts; i++)
		if (st->stmts[i].sql == sql) {
			sqlite3_reset(st->stmts[i].stmt);
			sqlite3_clear_bindings(st->stmts[i].stmt);
			*s = st->stmts[i].stmt;
			return DOT_OK;
		}
	/* An invariant, not input: lib/state has fewer SQL strings. */
	assert(st->nstmts < STMT_CACHE);
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return st_sqlerr(st, e, "prepare");
	st->stmts[st->nstmts].sql = sql;
	st->stmts[st->nstmts].stmt = *s;
	st->nstmts++;
	return DOT_OK;
}

int
st_exec(struct dot_state *st, const char *sql, struct dot_err *e)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_sqlerr(st, e, sql);
	return DOT_OK;
}

/* One statement without rows (a transaction's BEGIN, COMMIT, SAVEPOINT...)
 * through the statement cache: sqlite3_exec would compile it again on
 * every call, several times per tx on the write path. */
int
st_run(struct dot_state *st, const char *sql, struct dot_err *e)
{
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_sqlerr(st, e, sql);
	return DOT_OK;
}

/*
 * Reset every cached statement. A statement left after SQLITE_ROW keeps its
 * read transaction open, which stops the WAL from being checkpointed: the
 * log would grow without bound. Called when an entry or a read is done.
 */
void
reset_all(struct dot_state *st)
{
	for (size_t i = 0; i < st->nstmts; i++)
		sqlite3_reset(st->stmts[i].stmt);
}

static int
meta_get(struct dot_state *st, const char *k, const void **v, int *n,
	 struct dot_err *e)
{
	static const char sql[] = "SELECT v FROM meta WHERE k = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return DOT_ESTATE_NOT_FOUND;
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "meta");
	*v = sqlite3_column_blob(s, 0);
	*n = sqlite3_column_bytes(s, 0);
	return DOT_OK;
}

static int
meta_put(struct dot_state *st, const char *k, const void *v, size_t n,
	 struct dot_err *e)
{
	static const char sql[] =
		"INSERT INTO meta (k, v) VALUES (?1, ?2)"
		" ON CONFLICT (k) DO UPDATE SET v = excluded.v";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, n ? v : "", (int)n, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "meta");
	return DOT_OK;
}

static void
be64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
rd64(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

static int
load_meta(struct dot_state *st, struct dot_err *e)
{
	const void *v;
	int n, rv;

	dot_audit_frontier_init(&st->frontier);
	rv = meta_get(st, "frontier", &v, &n, e);
	if (rv == DOT_OK &&
	    dot_audit_frontier_parse(v, (size_t)n, &st->frontier, e) != DOT_OK)
		return dot_err_set(e, DOT_ESTATE_STORAGE,
				   "bad Merkle frontier record");
	if (rv != DOT_OK && rv != DOT_ESTATE_NOT_FOUND)
		return rv;
	rv = meta_get(st, "position", &v, &n, e);
	if (rv == DOT_ESTATE_NOT_FOUND)
		return DOT_OK; /* before genesis */
	if (rv != DOT_OK)
		return rv;
	if (n != 16)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "bad position record");
	st->index = rd64(v);
	st->time = rd64((const uint8_t *)v + 8);
	rv = meta_get(st, "layout", &v, &n, e);
	if (rv != DOT_OK && rv != DOT_ESTATE_NOT_FOUND)
		return rv;
	if (rv != DOT_OK || n != 1 || *(const uint8_t *)v != DOT_STATE_LAYOUT)
		return dot_err_set(e, DOT_ESTATE_STORAGE,
				   "the state database has layout %d, this "
				   "build uses layout %d: it was written by "
				   "another version (move state.db aside and "
				   "restart: the node rebuilds it from its log)",
				   rv == DOT_OK && n == 1
					   ? *(const uint8_t *)v
					   : 1,
				   DOT_STATE_LAYOUT);
	rv = meta_get(st, "cluster", &v, &n, e);
	if (rv != DOT_OK || n != DOT_CLUSTER_ID_LEN)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "bad cluster record");
	memcpy(st->cluster_id, v, DOT_CLUSTER_ID_LEN);
	rv = meta_get(st, "admin", &v, &n, e);
	if (rv != DOT_OK || n < 1 || n > DOT_TX_MAX_ACCOUNT)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "bad admin record");
	memcpy(st->admin, v, (size_t)n);
	st->admin[n] = '\0';
	/* The crypto policy (docs/crypto.md §14); none recorded: classic. */
	st->crypto_policy = DOT_POLICY_CLASSIC;
	rv = meta_get(st, "policy", &v, &n, e);
	if (rv == DOT_OK &&
	    (n != 1 || dot_policy_name(*(const uint8_t *)v) == NULL))
		return dot_err_set(e, DOT_ESTATE_STORAGE, "bad policy record");
	if (rv == DOT_OK)
		st->crypto_policy = *(const uint8_t *)v;
	else if (rv != DOT_ESTATE_NOT_FOUND)
		return rv;
	return DOT_OK;
}

/* The log reference (node_local), 0 when none was ever written. */
static int
load_log_ref(struct dot_state *st, struct dot_err *e)
{
	static const char sql[] =
		"SELECT v FROM node_local WHERE k = 'log_ref'";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	st->log_ref = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		st->log_ref = (uint64_t)sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		rv = st_sqlerr(st, e, "log reference");
	sqlite3_reset(s);
	return rv;
}

int
st_save_log_ref(struct dot_state *st, uint64_t ref, struct dot_err *e)
{
	static const char sql[] =
		"INSERT INTO node_local (k, v) VALUES ('log_ref', ?1)"
		" ON CONFLICT (k) DO UPDATE SET v = excluded.v";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)ref);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "log reference");
	return DOT_OK;
}

/* The replay set: every id in the txs table. */
static int
load_seen(struct dot_state *st, struct dot_err *e)
{
	sqlite3_stmt *s;
	int rc, rv = DOT_OK;

	txset_clear(&st->seen);
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM txs", -1, &s, NULL) !=
	    SQLITE_OK)
		return st_sqlerr(st, e, "txs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != DOT_TX_ID_LEN) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE,
					 "a txs row has a bad id");
			break;
		}
		if ((rv = txset_add(&st->seen, sqlite3_column_blob(s, 0))) !=
		    DOT_OK)
			break;
	}
	if (rv == DOT_OK && rc != SQLITE_DONE)
		rv = st_sqlerr(st, e, "txs");
	sqlite3_finalize(s);
	return rv;
}

/* Undo the replay set's changes of an entry that is not committed. */
static void
seen_undo(struct dot_state *st)
{
	for (size_t i = 0; i + DOT_TX_ID_LEN <= st->seen_added.len;
	     i += DOT_TX_ID_LEN)
		txset_del(&st->seen, st->seen_added.data + i);
	st->seen_added.len = 0;
	st->seen_pruned.len = 0;
}

int
dot_state_open(sqlite3 *db, struct dot_state **out, struct dot_err *e)
{
	struct dot_state *st;
	int rv;

	*out = NULL;
	st = dot_calloc(1, sizeof(*st));
	if (st == NULL)
		return DOT_ENOMEM;
	st->db = db;
	st->keys_epoch = 1;
	st->nodes_epoch = 1;
	rv = txset_init(&st->seen);
	if (rv != DOT_OK) {
		dot_free(st);
		return rv == DOT_ENOMEM ? rv
					: dot_err_set(e, rv, "no random key for "
							     "the replay set");
	}
	rv = dot_token_cache_new(&st->cache, 4096);
	if (rv == DOT_OK)
		rv = dot_token_cache_new(&st->sig_cache, 65536);
	if (rv != DOT_OK)
		goto fail;
	rv = st_exec(st, schema, e);
	if (rv != DOT_OK)
		goto fail;
	rv = load_meta(st, e);
	if (rv == DOT_OK)
		rv = load_seen(st, e);
	if (rv == DOT_OK)
		rv = load_log_ref(st, e);
	if (rv != DOT_OK)
		goto fail;
	*out = st;
	return DOT_OK;
fail:
	dot_state_close(st);
	return rv;
}

void
dot_state_close(struct dot_state *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nstmts; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	dot_token_cache_free(st->cache);
	dot_token_cache_free(st->sig_cache);
	if (st->tokens != NULL)
		for (size_t i = 0; i < TOKEN_SLOTS; i++)
			dot_token_free(st->tokens[i]);
	dot_free(st->tokens);
	txset_free(&st->seen);
	dot_buf_free(&st->seen_added);
	dot_buf_free(&st->seen_pruned);
	dot_free(st);
}

void
dot_state_position(const struct dot_state *st, uint64_t *index,
		   uint64_t *time)
{
	*index = st->index;
	*time = st->time;
}

void
dot_state_signatures_checked(struct dot_state *st, const struct dot_tx *tx)
{
	dot_tx_sig_cache_add(st->sig_cache, tx);
}

void
dot_state_signatures_checked_keys(struct dot_state *st,
				  const struct dot_tx_sig_keys *k)
{
	dot_tx_sig_cache_add_keys(st->sig_cache, k);
}

static struct dot_token **
token_slot(struct dot_state *st, const uint8_t rid[DOT_RID_LEN])
{
	if (st->tokens == NULL)
		return NULL;
	return &st->tokens[(rid[0] | (size_t)rid[1] << 8) % TOKEN_SLOTS];
}

/* Keep a parsed token of the `tokens` table (one more reference) in the
 * slot of its last rid, instead of the one there. */
static void
token_note(struct dot_state *st, struct dot_token *t)
{
	struct dot_token **slot;

	if (st->tokens == NULL) {
		st->tokens = dot_calloc(TOKEN_SLOTS, sizeof(*st->tokens));
		if (st->tokens == NULL)
			return; /* only a cache */
	}
	slot = token_slot(st, t->blocks[t->nblocks - 1].rid);
	if (*slot == t)
		return;
	dot_token_free(*slot);
	*slot = dot_token_hold(t);
}

size_t
dot_state_token_holder(struct dot_state *st, const uint8_t rid[DOT_RID_LEN],
		       uint8_t pk[DOT_SIGN_PK_MAX])
{
	struct dot_token **slot = token_slot(st, rid);
	const struct dot_token *t;
	const uint8_t *h;
	size_t n;

	if (slot == NULL || (t = *slot) == NULL ||
	    memcmp(t->blocks[t->nblocks - 1].rid, rid, DOT_RID_LEN) != 0)
		return 0;
	h = dot_token_holder(t, &n);
	if (h == NULL || n == 0 || n > DOT_SIGN_PK_MAX)
		return 0;
	memcpy(pk, h, n);
	return n;
}

const char *
dot_state_admin(const struct dot_state *st)
{
	return st->admin;
}

unsigned
dot_state_crypto_policy(const struct dot_state *st)
{
	return st->crypto_policy;
}

uint64_t
dot_state_keys_epoch(const struct dot_state *st)
{
	return st->keys_epoch;
}

void
dot_state_set_log_ref(struct dot_state *st, uint64_t ref)
{
	st->log_ref_next = ref;
	st->log_ref_set = 1;
}

uint64_t
dot_state_log_ref(const struct dot_state *st)
{
	return st->log_ref;
}

int
dot_state_level_keys(struct dot_state *st, dot_state_key_fn fn, void *ctx,
		     struct dot_err *e)
{
	static const char sql[] =
		"SELECT k.account, k.level, k.pk, a.expires FROM level_keys k"
		" JOIN accounts a ON a.name = k.account"
		" ORDER BY k.account, k.level, k.pk";
	sqlite3_stmt *s;
	int rv, rc;

	if ((rv = st_prepare(st, sql, &s, e)) != DOT_OK)
		return rv;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *acct = (const char *)sqlite3_column_text(s, 0);
		const char *lvl = (const char *)sqlite3_column_text(s, 1);
		const uint8_t *pk = sqlite3_column_blob(s, 2);
		size_t n = (size_t)sqlite3_column_bytes(s, 2);
		uint64_t exp = expiry_column(s, 3);

		if (acct == NULL || lvl == NULL || pk == NULL)
			continue;
		if ((rv = fn(ctx, acct, lvl, pk, n, exp)) != 0) {
			sqlite3_reset(s);
			return rv;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_sqlerr(st, e, "level keys");
	return DOT_OK;
}

void
dot_state_cluster_id(const struct dot_state *st,
		     uint8_t out[DOT_CLUSTER_ID_LEN])
{
	memcpy(out, st->cluster_id, DOT_CLUSTER_ID_LEN);
}

/* ---- account expiry (docs/decisions/0015) ---- */

uint64_t
expiry_column(sqlite3_stmt *s, int col)
{
	sqlite3_int64 v;

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return DOT_STATE_NO_EXPIRY;
	v = sqlite3_column_int64(s, col);
	return v < 0 ? 0 : (uint64_t)v; /* never written: fail closed */
}

int
account_expiry(struct dot_state *st, const char *account, uint64_t *expires,
	       struct dot_err *e)
{
	static const char sql[] = "SELECT expires FROM accounts WHERE name = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return dot_err_set(e, DOT_ESTATE_NOT_FOUND, "no account %s",
				   account);
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "account");
	*expires = expiry_column(s, 0);
	return DOT_OK;
}

/* [created, expires): valid while now < expires (decision 0004). */
static int
expiry_check(const char *account, uint64_t expires, uint64_t now,
	     struct dot_err *e)
{
	if (now >= expires)
		return dot_err_set(e, DOT_ESTATE_ACCOUNT_EXPIRED,
				   "account %s expired at %" PRIu64
				   ", the time is %" PRIu64,
				   account, expires, now);
	return DOT_OK;
}

int
account_valid(struct dot_state *st, const char *account, uint64_t now,
	      struct dot_err *e)
{
	uint64_t exp = 0;
	int rv = account_expiry(st, account, &exp, e);

	if (rv == DOT_ESTATE_NOT_FOUND) /* checked by whoever named it */
		return DOT_OK;
	if (rv != DOT_OK)
		return rv;
	return expiry_check(account, exp, now, e);
}

/* ---- objects and authority ---- */

#define OBJ_COLS \
	"id, kind, owner, version, size, parent, created, modified, policy"

void
obj_row(sqlite3_stmt *s, struct obj *o)
{
	const void *p;
	int n;

	memset(o, 0, sizeof(*o));
	memcpy(o->id, sqlite3_column_blob(s, 0), DOT_OBJECT_ID_LEN);
	o->kind = sqlite3_column_int(s, 1);
	n = sqlite3_column_bytes(s, 2);
	if (n > DOT_TX_MAX_ACCOUNT)
		n = DOT_TX_MAX_ACCOUNT;
	memcpy(o->owner, sqlite3_column_text(s, 2), (size_t)n);
	o->version = (uint64_t)sqlite3_column_int64(s, 3);
	o->size = (uint64_t)sqlite3_column_int64(s, 4);
	p = sqlite3_column_blob(s, 5);
	if (p != NULL && sqlite3_column_bytes(s, 5) == DOT_OBJECT_ID_LEN) {
		memcpy(o->parent, p, DOT_OBJECT_ID_LEN);
		o->has_parent = 1;
	}
	o->created = (uint64_t)sqlite3_column_int64(s, 6);
	o->modified = (uint64_t)sqlite3_column_int64(s, 7);
	o->policy = (uint32_t)sqlite3_column_int64(s, 8);
}

int
obj_by_path(struct dot_state *st, const char *path, struct obj *o,
	    struct dot_err *e)
{
	static const char sql[] = "SELECT " OBJ_COLS " FROM objects"
				  " WHERE path = ?1";
	sqlite3_stmt *s;
	int rv, rc;

	rv = st_prepare(st, sql, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return dot_err_set(e, DOT_ESTATE_NOT_FOUND, "%s: no such object",
				   path);
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "object lookup");
	obj_row(s, o);
	return DOT_OK;
}

int
obj_by_id(struct dot_state *st, const uint8_t id[DOT_OBJECT_ID_LEN],
	  struct obj *o, struct dot_err *e)
{
	static const char sql[] = "SELECT " OBJ_COLS " FROM objects"
				  " WHERE id = ?1";
	sqlite3_stmt *s;
	int rv, rc;

	rv = st_prepare(st, sql, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return dot_err_set(e, DOT_ESTATE_NOT_FOUND, "no such object id");
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "object lookup");
	obj_row(s, o);
	return DOT_OK;
}

int
obj_path(struct dot_state *st, const uint8_t id[DOT_OBJECT_ID_LEN], char *out,
	 size_t cap, struct dot_err *e)
{
	static const char sql[] =
		"SELECT coalesce(o.path, p.path) FROM objects o"
		" LEFT JOIN objects p ON p.id = o.parent WHERE o.id = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;
	size_t n;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE || (rc == SQLITE_ROW &&
				  sqlite3_column_type(s, 0) == SQLITE_NULL))
		return dot_err_set(e, DOT_ESTATE_NOT_FOUND, "no such object id");
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "object path");
	n = (size_t)sqlite3_column_bytes(s, 0);
	if (n + 1 > cap)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "object path too long");
	memcpy(out, sqlite3_column_text(s, 0), n + 1);
	return DOT_OK;
}

int
authority_over(struct dot_state *st, const char *account, const char *path,
	       struct dot_err *e)
{
	char p[DOT_TOKEN_MAX_PATH + 1];
	size_t n = strlen(path);

	if (strcmp(account, st->admin) == 0)
		return 1;
	if (n > DOT_TOKEN_MAX_PATH)
		return 0;
	memcpy(p, path, n + 1);
	/* The object itself, then each directory above it, up to "/". */
	for (;;) {
		struct obj o;
		int rv = obj_by_path(st, p, &o, e);

		if (rv == DOT_OK && strcmp(o.owner, account) == 0)
			return 1;
		if (rv != DOT_OK && rv != DOT_ESTATE_NOT_FOUND)
			return -rv;
		if (n == 1)
			return 0;
		while (n > 1 && p[n - 1] != '/')
			n--;
		if (n > 1)
			n--; /* drop the slash, except the root's */
		p[n] = '\0';
	}
}

/* ---- authorization of one tx ---- */

struct level_buf {
	struct dot_tx_level_key keys[DOT_STATE_MAX_KEYS];
	uint8_t pks[DOT_STATE_MAX_KEYS][DOT_SIGN_PK_MAX];
};

/* A level's keys and threshold, and its account's expiry (one lookup:
 * apply checks the expiry once the signatures verified). */
static int
load_level(struct dot_state *st, const char *account, const char *level,
	   struct dot_tx_level *out, struct level_buf *lb, uint64_t *expires,
	   struct dot_err *e)
{
	static const char sql_t[] =
		"SELECT l.threshold, a.expires FROM levels l"
		" JOIN accounts a ON a.name = l.account"
		" WHERE l.account = ?1 AND l.level = ?2";
	static const char sql_k[] = "SELECT pk, weight FROM level_keys"
				    " WHERE account = ?1 AND level = ?2"
				    " ORDER BY pk";
	sqlite3_stmt *s;
	int rv, rc;

	rv = st_prepare(st, sql_t, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, level, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return dot_err_set(e, DOT_ETX_AUTHORITY, "no level %s@%s",
				   account, level);
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "level");
	out->threshold = (uint64_t)sqlite3_column_int64(s, 0);
	*expires = expiry_column(s, 1);
	rv = st_prepare(st, sql_k, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, level, -1, SQLITE_STATIC);
	out->nkeys = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t i = out->nkeys, n = (size_t)sqlite3_column_bytes(s, 0);

		if (i == DOT_STATE_MAX_KEYS || n > DOT_SIGN_PK_MAX)
			return dot_err_set(e, DOT_ESTATE_STORAGE,
					   "level %s@%s is malformed", account,
					   level);
		memcpy(lb->pks[i], sqlite3_column_blob(s, 0), n);
		lb->keys[i].pk = lb->pks[i];
		lb->keys[i].pk_len = n;
		lb->keys[i].weight = (uint32_t)sqlite3_column_int64(s, 1);
		out->nkeys++;
	}
	if (rc != SQLITE_DONE)
		return st_sqlerr(st, e, "level keys");
	out->keys = lb->keys;
	return DOT_OK;
}

struct level_ctx {
	struct dot_state *st;
	struct level_buf lb;
	struct dot_err *e;
	uint64_t expires; /* the account's, once loaded */
	int loaded;
};

static int
level_cb(void *ctx, const char *account, size_t alen, const char *level,
	 size_t llen, struct dot_tx_level *out)
{
	struct level_ctx *c = ctx;
	char a[DOT_TX_MAX_ACCOUNT + 1], l[DOT_TX_MAX_LEVEL + 1];
	int rv;

	if (alen > DOT_TX_MAX_ACCOUNT || llen > DOT_TX_MAX_LEVEL)
		return DOT_ETX_AUTHORITY;
	memcpy(a, account, alen);
	a[alen] = '\0';
	memcpy(l, level, llen);
	l[llen] = '\0';
	rv = load_level(c->st, a, l, out, &c->lb, &c->expires, c->e);
	c->loaded = rv == DOT_OK;
	return rv;
}

int
revoked_cb(void *ctx, const uint8_t rid[DOT_RID_LEN])
{
	static const char sql[] = "SELECT 1 FROM revoked WHERE rid = ?1";
	struct dot_state *st = ctx;
	sqlite3_stmt *s;
	int rc;

	if (st_prepare(st, sql, &s, NULL) != DOT_OK)
		return 1; /* fail closed */
	sqlite3_bind_blob(s, 1, rid, DOT_RID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	return rc != SQLITE_DONE; /* a row, or an error: revoked */
}

/*
 * The token's issuer: an account key whose weight alone meets its level's
 * threshold, with authority over the token's resource. Candidates by key id
 * in (account, level) order; the first that qualifies.
 */
int
resolve_issuer(struct dot_state *st, const struct dot_token *tok,
	       uint64_t now, uint8_t *pk, size_t *pklen, char *account,
	       struct dot_err *e)
{
	static const char sql[] =
		"SELECT k.pk, k.account, a.expires FROM level_keys k"
		" JOIN levels l ON l.account = k.account AND l.level = k.level"
		" JOIN accounts a ON a.name = k.account"
		" WHERE k.keyid = ?1 AND k.weight >= l.threshold"
		" ORDER BY k.account, k.level, k.pk";
	char res[DOT_TOKEN_MAX_PATH + 1];
	char gone[DOT_TX_MAX_ACCOUNT + 1] = "";
	uint64_t gone_at = 0;
	sqlite3_stmt *s;
	int rv, rc;

	if (tok->resource_kind == DOT_RESOURCE_PATH) {
		memcpy(res, tok->resource, tok->resource_len);
		res[tok->resource_len] = '\0';
	} else {
		/* An object token: authority over the object's path, or for a
		 * message its mailbox's. */
		rv = obj_path(st, tok->resource, res, sizeof(res), e);
		if (rv == DOT_ESTATE_NOT_FOUND)
			return dot_err_set(e, DOT_ETOKEN_RESOURCE,
					   "the token's object does not exist");
		if (rv != DOT_OK)
			return rv;
	}
	rv = st_prepare(st, sql, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, tok->issuer_id, DOT_KEY_ID_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *acct = (const char *)sqlite3_column_text(s, 1);
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		size_t an = (size_t)sqlite3_column_bytes(s, 1);
		uint64_t exp = expiry_column(s, 2);
		int ok;

		if (n > DOT_SIGN_PK_MAX || an > DOT_TX_MAX_ACCOUNT)
			continue;
		memcpy(pk, sqlite3_column_blob(s, 0), n);
		*pklen = n;
		memcpy(account, acct, an);
		account[an] = '\0';
		ok = authority_over(st, account, res, e);
		if (ok < 0)
			return -ok;
		if (ok && now < exp)
			return DOT_OK;
		/* An expired issuer's authority has ended (decision 0015):
		 * the next candidate may still qualify. */
		if (ok && gone[0] == '\0') {
			memcpy(gone, account, an + 1);
			gone_at = exp;
		}
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return st_sqlerr(st, e, "issuer lookup");
	account[0] = '\0';
	if (gone[0] != '\0')
		return dot_err_set(e, DOT_ESTATE_ACCOUNT_EXPIRED,
				   "the token's issuer account %s expired at "
				   "%" PRIu64 ", the time is %" PRIu64,
				   gone, gone_at, now);
	return dot_err_set(e, DOT_ETOKEN_ISSUER,
			   "no account key with authority over the token's "
			   "resource has the issuer's key id");
}

int
reader_check(struct dot_state *st, const struct dot_state_reader *r,
	     uint32_t rights, const char *path, struct dot_err *e)
{
	if (r->token != NULL) {
		struct dot_token_verifier tv;
		struct dot_token_request req;
		uint8_t ipk[DOT_SIGN_PK_MAX];
		char issuer[DOT_TX_MAX_ACCOUNT + 1];
		size_t ipklen;
		int rv = resolve_issuer(st, r->token, r->now, ipk, &ipklen,
					issuer, e);

		if (rv != DOT_OK)
			return rv;
		memset(&tv, 0, sizeof(tv));
		tv.issuer_pk = ipk;
		tv.issuer_pk_len = ipklen;
		tv.revoked = revoked_cb;
		tv.revoked_ctx = st;
		tv.cache = st->cache;
		tv.policy = st->crypto_policy;
		memset(&req, 0, sizeof(req));
		req.rights = rights;
		req.path = path;
		req.path_len = strlen(path);
		req.now = r->now;
		return dot_token_verify(r->token, &tv, &req, r->msg, r->msg_len,
					r->sig, r->sig_len, NULL, e);
	}
	if (r->account != NULL) {
		int ok = account_valid(st, r->account, r->now, e);

		if (ok != DOT_OK)
			return ok;
		ok = authority_over(st, r->account, path, e);
		if (ok < 0)
			return -ok;
		if (ok)
			return DOT_OK;
		return dot_err_set(e, DOT_ESTATE_DENIED,
				   "account %s has no authority over %s",
				   r->account, path);
	}
	return dot_err_set(e, DOT_ESTATE_DENIED, "no reader given");
}

static int
is_op(const struct dot_tx *tx, const char *name)
{
	return strlen(name) == tx->p.op_len &&
	       memcmp(name, tx->p.op, tx->p.op_len) == 0;
}

int
op_authorize(struct op *o, uint32_t rights, const char *path,
	     const char *gov)
{
	struct dot_state *st = o->st;
	const struct dot_tx *tx = o->tx;
	struct dot_tx_verify_result res;
	struct dot_token_request req;
	struct dot_token_verifier tv;
	struct dot_tx_verifier v;
	struct level_ctx *lc = NULL;
	uint8_t ipk[DOT_SIGN_PK_MAX];
	size_t ipklen = 0;
	int rv;

	memset(&req, 0, sizeof(req));
	req.rights = rights;
	req.path = path;
	req.path_len = strlen(path);
	req.object_id = o->target_id; /* for object tokens */
	req.now = o->time;
	memset(&v, 0, sizeof(v));
	v.now = o->time;
	v.cluster_id = st->cluster_id;
	v.sig_cache = st->sig_cache;
	if (DOT_TX_BY_TOKEN(tx->p.auth_kind)) {
		char issuer[DOT_TX_MAX_ACCOUNT + 1];

		if (tx->token == NULL) /* a reference nobody resolved */
			return dot_err_set(o->e, DOT_ETOKEN_UNKNOWN,
					   "the tx names its token by "
					   "reference and it was not looked "
					   "up");

		rv = resolve_issuer(st, tx->token, o->time, ipk, &ipklen,
				    issuer, o->e);
		if (rv != DOT_OK)
			return rv;
#ifdef DOT_BENCH_UNCHECKED
		/* BENCHMARK ONLY (meson -Dbench_unchecked=true, for
		 * bench/ledger's cost-of-checking comparison): no signature,
		 * window, holder or chain check; the principal is the issuer,
		 * as the verified path sets it. Never defined otherwise. */
		if (o->principal[0] == '\0')
			strcpy(o->principal, issuer);
		return DOT_OK;
#endif
		memset(&tv, 0, sizeof(tv));
		tv.issuer_pk = ipk;
		tv.issuer_pk_len = ipklen;
		tv.revoked = revoked_cb;
		tv.revoked_ctx = st;
		tv.cache = st->cache;
		tv.policy = st->crypto_policy;
		if (o->principal[0] != '\0') {
			/* Second path of the same tx: the chain again. */
			struct dot_token_result tr;
			return dot_token_verify_chain(tx->token, &tv, &req,
						      &tr, o->e);
		}
		v.token_verifier = &tv;
		v.token_request = &req;
		rv = dot_tx_verify(tx, &v, &res, o->e);
		if (rv != DOT_OK)
			return rv;
		strcpy(o->principal, issuer);
		/* The issuer's authority covers the resource, and the token
		 * the path: objects are governed by whoever granted them. */
		return DOT_OK;
	}
	if (o->principal[0] == '\0') {
		uint64_t expires;
		int loaded;

		lc = dot_malloc(sizeof(*lc));
		if (lc == NULL)
			return DOT_ENOMEM;
		lc->st = st;
		lc->e = o->e;
		lc->loaded = 0;
		lc->expires = DOT_STATE_NO_EXPIRY;
		v.level = level_cb;
		v.level_ctx = lc;
#ifdef DOT_BENCH_UNCHECKED
		/* BENCHMARK ONLY (bench/ledger, see above): the account is
		 * taken without its level's signatures and threshold. */
		rv = DOT_OK;
#else
		rv = dot_tx_verify(tx, &v, &res, o->e);
#endif
		loaded = lc->loaded;
		expires = lc->expires;
		dot_free(lc);
		if (rv != DOT_OK)
			return rv;
		/* Authentic: the tx is used up whatever follows (§7.1). */
		memcpy(o->principal, tx->p.account, tx->p.account_len);
		o->principal[tx->p.account_len] = '\0';
		/* An expired account acts no more, by the entry's time
		 * (decision 0015); the level's lookup read the expiry. */
		rv = loaded ? expiry_check(o->principal, expires, o->time, o->e)
			    : account_valid(st, o->principal, o->time, o->e);
		if (rv != DOT_OK)
			return rv;
		/* An invitation may only join a node (decision 0017): the
		 * one place every account's op is refused otherwise. */
		if (!is_op(tx, "node.join")) {
			rv = invite_account(st, o->principal, o->e);
			if (rv < 0)
				return -rv;
			if (rv)
				return dot_err_set(
				    o->e, DOT_ESTATE_DENIED,
				    "account %s is an invitation: it may "
				    "only join a node (node.join)",
				    o->principal);
		}
	}
	if (gov == NULL)
		return DOT_OK; /* the caller checks the account itself */
	rv = authority_over(st, o->principal, gov, o->e);
	if (rv < 0)
		return -rv;
	if (rv == 0)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "account %s has no authority over %s",
				   o->principal, gov);
	return DOT_OK;
}

void
op_use(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN])
{
	for (size_t i = 0; i < o->tx->p.nconsumed; i++)
		if (memcmp(o->tx->p.consumed[i].id, id, DOT_OBJECT_ID_LEN) == 0)
			o->used[i] = 1;
}

void
op_new_id(struct op *o, uint8_t id[DOT_OBJECT_ID_LEN])
{
	/* Where the object was created: the entry's index, the tx's place in
	 * the entry, the tx's output counter. Unique by construction, the
	 * same on every node, and increasing, so the id index takes appends
	 * (docs/decisions/0011). */
	for (int i = 0; i < 8; i++)
		id[i] = (uint8_t)(o->index >> (56 - 8 * i));
	for (int i = 0; i < 4; i++) {
		id[8 + i] = (uint8_t)(o->pos >> (24 - 8 * i));
		id[12 + i] = (uint8_t)(o->next_output >> (24 - 8 * i));
	}
	o->next_output++;
}

int
op_produce(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN],
	   uint64_t version)
{
	if (o->nproduced == DOT_RECEIPT_MAX_VERSIONS)
		return dot_err_set(o->e, DOT_ESTATE_TOO_BIG,
				   "too many new versions in one tx");
	memcpy(o->produced[o->nproduced].id, id, DOT_OBJECT_ID_LEN);
	o->produced[o->nproduced].version = version;
	o->nproduced++;
	return DOT_OK;
}

int
arg_path(struct op *o, const char *what, char *out, size_t cap)
{
	const char *s;
	size_t n;

	if (dot_dec_tstr(&o->args, &s, &n) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS, "%s must be text",
				   what);
	if (!dot_path_valid(s, n) || n + 1 > cap)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "%s \"%.*s\" is not a valid absolute path",
				   what, (int)(n > 64 ? 64 : n), s);
	memcpy(out, s, n);
	out[n] = '\0';
	return DOT_OK;
}

/* ---- applying ---- */

static const struct {
	const char *name;
	int (*fn)(struct op *o);
} ops[] = {
	{"account.create", op_account_create},
	{"account.set-level", op_account_set_level},
	{"account.set-expiry", op_account_set_expiry},
	{"fs.mkdir", op_fs_mkdir},
	{"fs.put", op_fs_put},
	{"fs.append", op_fs_append},
	{"fs.rm", op_fs_rm},
	{"fs.mv", op_fs_mv},
	{"fs.chown", op_fs_chown},
	{"fs.policy", op_fs_policy},
	{"fs.get", op_fs_get},
	{"fs.stat", op_fs_stat},
	{"fs.ls", op_fs_ls},
	{"account.get", op_account_get},
	{"msg.create", op_msg_create},
	{"msg.send", op_msg_send},
	{"msg.recv", op_msg_recv},
	{"msg.read", op_msg_read},
	{"cap.grant", op_cap_grant},
	{"cap.revoke", op_cap_revoke},
	{"node.invite", op_node_invite},
	{"node.join", op_node_join},
	{"node.remove", op_node_remove},
	{"node.role", op_node_role},
	{"node.list", op_node_list},
};

static int
sort_versions(const void *a, const void *b)
{
	const struct dot_tx_objver *x = a, *y = b;
	int c = memcmp(x->id, y->id, DOT_OBJECT_ID_LEN);

	if (c != 0)
		return c;
	return x->version < y->version ? -1 : x->version > y->version;
}

/* Check every consumed version is current, before the op runs. */
static int
check_consumed(struct op *o)
{
	for (size_t i = 0; i < o->tx->p.nconsumed; i++) {
		const struct dot_tx_objver *c = &o->tx->p.consumed[i];
		struct obj ob;
		int rv = obj_by_id(o->st, c->id, &ob, o->e);

		if (rv == DOT_ESTATE_NOT_FOUND || (rv == DOT_OK &&
						   ob.version != c->version))
			return dot_err_set(o->e, DOT_ESTATE_CONFLICT,
					   "consumed version %" PRIu64
					   " is not current (the object is at "
					   "%s)",
					   c->version,
					   rv == DOT_OK ? "another version"
							: "no version: deleted");
		if (rv != DOT_OK)
			return rv;
	}
	return DOT_OK;
}

/* Run one op in its own savepoint; on failure the savepoint is undone. */
static int
run_op(struct op *o)
{
	size_t i;
	int rv;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i].name) == o->tx->p.op_len &&
		    memcmp(ops[i].name, o->tx->p.op, o->tx->p.op_len) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return dot_err_set(o->e, DOT_ESTATE_OP, "unknown op \"%.*s\"",
				   (int)o->tx->p.op_len, o->tx->p.op);
	if (dot_dec_init(&o->args, o->tx->p.args, o->tx->p.args_len, NULL,
			 o->e) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS, "args: %s",
				   o->e ? o->e->msg : "");
	rv = check_consumed(o);
	if (rv != DOT_OK)
		return rv;
	rv = ops[i].fn(o);
	if (rv != DOT_OK)
		return rv;
	if (!dot_dec_done(&o->args))
		return dot_err_set(o->e, DOT_ESTATE_ARGS, "unused arguments");
	for (size_t k = 0; k < o->tx->p.nconsumed; k++)
		if (!o->used[k])
			return dot_err_set(o->e, DOT_ESTATE_CONFLICT,
					   "consumed version %zu is not an "
					   "object this op changes",
					   k);
	qsort(o->produced, o->nproduced, sizeof(o->produced[0]),
	      sort_versions);
	return DOT_OK;
}

/*
 * The post-order position of the subtree (level, index): the number of
 * nodes completed before it, when leaves are appended one by one and each
 * parent completes right after its right child. Leaf n is at
 * 2n - popcount(n); a subtree at level k ends with leaf (index + 1) 2^k - 1
 * and completes k nodes after it. Positions grow as nodes are written.
 */
static int64_t
merkle_pos(unsigned level, uint64_t index)
{
	uint64_t last = ((index + 1) << level) - 1;

	return (int64_t)(2 * last - (uint64_t)__builtin_popcountll(last) +
			 level);
}

static int
merkle_put(void *ctx, unsigned level, uint64_t index,
	   const uint8_t hash[DOT_AUDIT_HASH_LEN])
{
	static const char sql[] = "INSERT INTO merkle (pos, level, idx, hash)"
				  " VALUES (?1, ?2, ?3, ?4)";
	struct dot_state *st = ctx;
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, NULL);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, merkle_pos(level, index));
	sqlite3_bind_int(s, 2, (int)level);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)index);
	sqlite3_bind_blob(s, 4, hash, DOT_AUDIT_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return DOT_ESTATE_STORAGE;
	return DOT_OK;
}

static int
record(struct dot_state *st, uint64_t index, const uint8_t txid[32],
       const uint8_t *tx, size_t txlen, const struct dot_buf *receipt,
       struct dot_err *e)
{
	uint8_t rh[DOT_HASH_LEN], leaf[DOT_AUDIT_HASH_LEN];
	static const char sql[] = "INSERT INTO ledger (seq, entry, txid, tx,"
				  " receipt) VALUES ((SELECT coalesce(max(seq),"
				  " -1) + 1 FROM ledger), ?1, ?2, ?3, ?4)";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)index);
	sqlite3_bind_blob(s, 2, txid, DOT_TX_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, tx, (int)txlen, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, receipt->data, (int)receipt->len,
			  SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "ledger");
	/* The ledger row is leaf `seq` of the audit log (RFC 9162). */
	dot_receipt_hash(receipt->data, receipt->len, rh);
	dot_audit_leaf(txid, rh, leaf);
	rv = dot_audit_frontier_append(&st->frontier, leaf, merkle_put, st);
	if (rv != DOT_OK)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "Merkle log: %s",
				   dot_strerror(rv));
	return DOT_OK;
}

static int
seen_tx(struct dot_state *st, const struct dot_tx *tx)
{
	return txset_has(&st->seen, tx->id);
}

static int
mark_tx(struct dot_state *st, const struct dot_tx *tx, uint64_t index,
	uint32_t pos, struct dot_err *e)
{
	static const char sql[] = "INSERT INTO txs (not_after, at, pos, id)"
				  " VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)tx->p.not_after);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)pos);
	sqlite3_bind_blob(s, 4, tx->id, DOT_TX_ID_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "txs");
	dot_buf_put(&st->seen_added, tx->id, DOT_TX_ID_LEN);
	if (st->seen_added.err)
		return st->seen_added.err;
	return txset_add(&st->seen, tx->id);
}

/* A token reference [3, rid]: attach the token the ledger holds. */
static int
token_resolve(struct dot_state *st, struct dot_tx *tx, struct dot_err *e)
{
	static const char sql[] = "SELECT token FROM tokens WHERE rid = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, tx->p.token_ref, DOT_RID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		static const char hx[] = "0123456789abcdef";
		char h[2 * DOT_RID_LEN + 1];

		for (size_t i = 0; i < DOT_RID_LEN; i++) {
			h[2 * i] = hx[tx->p.token_ref[i] >> 4];
			h[2 * i + 1] = hx[tx->p.token_ref[i] & 15];
		}
		h[2 * DOT_RID_LEN] = '\0';
		rv = dot_err_set(e, DOT_ETOKEN_UNKNOWN,
				 "no token with last rid %s: present it "
				 "inline once (or it expired)",
				 h);
	} else if (rc != SQLITE_ROW) {
		rv = st_sqlerr(st, e, "tokens");
	} else {
		const uint8_t *b = sqlite3_column_blob(s, 0);
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		struct dot_token **slot = token_slot(st, tx->p.token_ref);
		struct dot_token *t = slot != NULL ? *slot : NULL;
		struct dot_err pe = {0, ""};

		/* The row's bytes, parsed once: a slot holding the same
		 * bytes is the same parse (the row decides, not the slot). */
		if (t != NULL && t->len == n && n > 0 &&
		    memcmp(t->bytes, b, n) == 0) {
			rv = dot_tx_attach_parsed_token(tx, dot_token_hold(t),
							e);
		} else if ((rv = dot_token_parse(b, n, &t, &pe)) == DOT_OK) {
			token_note(st, t);
			rv = dot_tx_attach_parsed_token(tx, t, e);
		} else if (rv != DOT_ENOMEM) {
			dot_err_set(e, rv, "%s", pe.msg);
		}
		/* What the ledger wrote it checked: a row that no longer
		 * parses or matches its key is damage. */
		if (rv != DOT_OK && rv != DOT_ENOMEM) {
			char why[sizeof(e->msg)];

			memcpy(why, e->msg, sizeof(why));
			rv = dot_err_set(e, DOT_ESTATE_STORAGE,
					 "the tokens row of this reference is "
					 "damaged: %s",
					 why);
		}
	}
	sqlite3_reset(s);
	return rv;
}

/* An authentic tx presented its token inline: keep it for references. */
static int
token_keep(struct dot_state *st, const struct dot_tx *tx, uint64_t index,
	   struct dot_err *e)
{
	static const char sql[] = "INSERT INTO tokens (rid, token, expires, at)"
				  " VALUES (?1, ?2, ?3, ?4)"
				  " ON CONFLICT (rid) DO NOTHING";
	const struct dot_token *t = tx->token;
	uint64_t expires = 0;
	int has_expiry = 0;
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return rv;
	for (size_t i = 0; i < t->nblocks; i++)
		if (t->blocks[i].cav.present & DOT_CAV_EXPIRES &&
		    (!has_expiry || t->blocks[i].cav.expires < expires)) {
			expires = t->blocks[i].cav.expires;
			has_expiry = 1;
		}
	sqlite3_bind_blob(s, 1, t->blocks[t->nblocks - 1].rid, DOT_RID_LEN,
			  SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, t->bytes, (int)t->len, SQLITE_STATIC);
	if (has_expiry && expires <= (uint64_t)INT64_MAX)
		sqlite3_bind_int64(s, 3, (sqlite3_int64)expires);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "tokens");
	token_note(st, tx->token);
	return DOT_OK;
}

/*
 * Apply one tx: its receipt is appended to `receipts` (a CBOR array being
 * built). Returns DOT_OK when a receipt was written (whatever its status),
 * DOT_ESTATE_STORAGE or DOT_ENOMEM when the entry must be abandoned.
 */
static int
apply_tx(struct dot_state *st, uint64_t index, uint32_t pos, uint64_t time,
	 const uint8_t *bytes, size_t n, struct dot_buf *receipts,
	 struct dot_err *fe)
{
	struct op *o = NULL;
	struct dot_tx *tx = NULL;
	struct dot_receipt r;
	struct dot_buf rb = {0};
	struct dot_err e = {0}, e2 = {0};
	uint8_t rawid[DOT_TX_ID_LEN];
	int status, rv, fatal = DOT_OK, seen, nodes_dirty;

	memset(&r, 0, sizeof(r));
	status = dot_tx_parse(bytes, n, &tx, &e);
	if (status == DOT_ENOMEM)
		return DOT_ENOMEM;
	if (status != DOT_OK) {
		/* No tx id without a payload: name it by its bytes. */
		struct dot_hash_ctx h;
		static const char dom[] = "dot-tx-v1 unparsed";
		dot_hash_init(&h);
		dot_hash_update(&h, dom, sizeof(dom) - 1);
		dot_hash_update(&h, bytes, n);
		dot_hash_final(&h, rawid);
		memcpy(r.tx_id, rawid, DOT_TX_ID_LEN);
		goto receipt;
	}
	memcpy(r.tx_id, tx->id, DOT_TX_ID_LEN);
	seen = seen_tx(st, tx);
	if (seen) {
		status = dot_err_set(&e, DOT_ESTATE_DUPLICATE,
				     "this tx was applied before");
		goto receipt;
	}
	if (tx->p.auth_kind == DOT_TX_AUTH_TOKEN_REF) {
		status = token_resolve(st, tx, &e);
		if (status == DOT_ESTATE_STORAGE || status == DOT_ENOMEM) {
			fatal = status;
			goto out;
		}
		if (status != DOT_OK)
			goto receipt;
	}
	o = dot_calloc(1, sizeof(*o));
	if (o == NULL) {
		fatal = DOT_ENOMEM;
		goto out;
	}
	o->st = st;
	o->tx = tx;
	o->index = index;
	o->pos = pos;
	o->time = time;
	o->e = &e;
	if ((rv = st_run(st, "SAVEPOINT op", &e2)) != DOT_OK) {
		fatal = rv;
		goto out;
	}
	nodes_dirty = st->nodes_dirty;
	status = run_op(o);
	if (status == DOT_ESTATE_STORAGE || status == DOT_ENOMEM) {
		fatal = status;
		goto out;
	}
	if (status != DOT_OK) {
		if ((rv = st_run(st, "ROLLBACK TO op", &e2)) != DOT_OK) {
			fatal = rv;
			goto out;
		}
		o->nproduced = 0;
		st->nodes_dirty = nodes_dirty; /* its changes are undone */
	}
	if ((rv = st_run(st, "RELEASE op", &e2)) != DOT_OK) {
		fatal = rv;
		goto out;
	}
	/* An authentic tx (its authority checked) is used up, whatever its
	 * outcome; an unauthenticated one is not, so a forged copy cannot
	 * burn a genuine tx's id. */
	if (o->principal[0] != '\0' && (rv = mark_tx(st, tx, index, pos, &e2)) !=
					       DOT_OK) {
		fatal = rv;
		goto out;
	}
	if (o->principal[0] != '\0' && tx->p.auth_kind == DOT_TX_AUTH_TOKEN &&
	    (rv = token_keep(st, tx, index, &e2)) != DOT_OK) {
		fatal = rv;
		goto out;
	}
	r.versions = o->produced;
	r.nversions = o->nproduced;
receipt:
	r.status = status;
	r.ledger_index = index;
	r.entry_time = time;
	if (status != DOT_OK) {
		r.detail = e.msg;
		r.detail_len = strnlen(e.msg, DOT_RECEIPT_MAX_DETAIL);
		/* Cut on a character boundary. */
		while (r.detail_len > 0 &&
		       ((unsigned char)e.msg[r.detail_len - 1] & 0xc0) == 0x80)
			r.detail_len--;
		if (r.detail_len > 0 &&
		    ((unsigned char)e.msg[r.detail_len - 1] & 0x80))
			r.detail_len--;
	}
	rv = dot_receipt_encode(&r, &rb, &e2);
	if (rv != DOT_OK && rv != DOT_ENOMEM && r.detail_len > 0) {
		/* Never let a message stop the log: keep the code alone. */
		rb.len = 0;
		r.detail = NULL;
		r.detail_len = 0;
		rv = dot_receipt_encode(&r, &rb, &e2);
	}
	if (rv != DOT_OK) {
		fatal = rv == DOT_ENOMEM ? rv : DOT_ESTATE_STORAGE;
		goto out;
	}
	rv = record(st, index, r.tx_id, bytes, n, &rb, &e2);
	if (rv != DOT_OK) {
		fatal = rv;
		goto out;
	}
	dot_enc_bstr(receipts, rb.data, rb.len);
out:
	if (fatal != DOT_OK) /* say why the entry stops */
		dot_err_set(fe, fatal, "%s",
			    e2.msg[0] ? e2.msg : e.msg[0] ? e.msg
							  : dot_strerror(fatal));
	dot_buf_free(&rb);
	dot_free(o);
	dot_tx_free(tx);
	return fatal;
}

static int
save_position(struct dot_state *st, uint64_t index, uint64_t time,
	      struct dot_err *e)
{
	uint8_t v[16];

	be64(v, index);
	be64(v + 8, time);
	return meta_put(st, "position", v, sizeof(v), e);
}

/* Forget tx ids whose window has closed: a replay would be refused as
 * expired anyway. Deterministic: keyed on the entry time. */
static int
prune_txs(struct dot_state *st, uint64_t time, struct dot_err *e)
{
	static const char sel[] = "SELECT id FROM txs WHERE not_after <= ?1";
	static const char del[] = "DELETE FROM txs WHERE not_after <= ?1";
	static const char del_tokens[] = "DELETE FROM tokens WHERE expires"
					 " IS NOT NULL AND expires <= ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sel, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != DOT_TX_ID_LEN)
			return dot_err_set(e, DOT_ESTATE_STORAGE,
					   "a txs row has a bad id");
		dot_buf_put(&st->seen_pruned, sqlite3_column_blob(s, 0),
			    DOT_TX_ID_LEN);
	}
	if (rc != SQLITE_DONE)
		return st_sqlerr(st, e, "txs prune");
	if (st->seen_pruned.err)
		return st->seen_pruned.err;
	rv = st_prepare(st, del, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "txs prune");
	/* A token past its earliest expiry verifies no more: drop it. */
	rv = st_prepare(st, del_tokens, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "tokens prune");
	return DOT_OK;
}

int
dot_state_apply(struct dot_state *st, uint64_t index, uint64_t entry_time,
		const uint8_t *entry, size_t n, struct dot_buf *receipts,
		struct dot_err *e)
{
	static const struct dot_codec_limits lim = {5, DOT_TX_MAX_LEN,
						    DOT_STATE_MAX_BATCH};
	struct dot_dec d;
	struct dot_buf out = {0};
	uint64_t count = 0, kind = 0, ntx = 0, ref = st->log_ref_next;
	int rv, bad = DOT_OK, has_ref = st->log_ref_set;
	size_t count_at;

	/* The log reference is for this apply only, whatever comes of it. */
	st->log_ref_set = 0;
	if (index != st->index + 1)
		return dot_err_set(e, DOT_EINVAL,
				   "entry %" PRIu64 " applied after %" PRIu64,
				   index, st->index);
	if (entry_time < st->time)
		entry_time = st->time; /* time never runs backwards */
	rv = st_run(st, "BEGIN IMMEDIATE", e);
	if (rv != DOT_OK)
		return rv;
	st->saved = st->frontier;
	st->seen_added.len = 0;
	st->seen_pruned.len = 0;
	st->nodes_dirty = 0;

	/* The entry's shape; a malformed entry is a no-op (bad != OK). */
	if ((bad = dot_dec_init(&d, entry, n, &lim, e)) == DOT_OK &&
	    (dot_dec_array(&d, &count) != DOT_OK || count != 2 ||
	     dot_dec_uint(&d, &kind) != DOT_OK || (kind != 1 && kind != 2)))
		bad = dot_err_set(e, DOT_ESTATE_ARGS,
				  "an entry is [1, genesis] or [2, [txs]]");
	if (bad == DOT_OK && (index == 1) != (kind == 1))
		bad = dot_err_set(e, DOT_ESTATE_GENESIS,
				  "entry 1 must be the genesis, and only it");
	if (bad == DOT_OK && kind == 1) {
		/* A genesis that does not apply leaves nothing behind and
		 * does not move the log: there is no cluster without one. */
		rv = genesis_apply(st, entry, n, index, entry_time, e);
		if (rv != DOT_OK)
			goto fail;
	}
	if (index == 1 && bad != DOT_OK) {
		rv = bad;
		goto fail;
	}
	dot_enc_array(&out, 0); /* patched below */
	count_at = out.len;
	if (bad == DOT_OK && kind == 2) {
		if (dot_dec_array(&d, &count) != DOT_OK) {
			bad = dot_err_set(e, DOT_ESTATE_ARGS,
					  "a batch is an array of txs");
		} else {
			for (uint64_t i = 0; i < count; i++) {
				const uint8_t *p;
				size_t len;

				if (dot_dec_bstr(&d, &p, &len) != DOT_OK) {
					bad = dot_err_set(
						e, DOT_ESTATE_ARGS,
						"batch item %" PRIu64
						" is not a byte string",
						i);
					break;
				}
				rv = apply_tx(st, index, (uint32_t)i, entry_time, p, len,
					      &out, e);
				if (rv != DOT_OK) {
					dot_err_set(e, rv,
						    "applying tx %" PRIu64
						    ": %s",
						    i, e ? e->msg : "");
					goto fail;
				}
				ntx++;
			}
		}
		if (bad != DOT_OK && ntx > 0) {
			/* A batch malformed after some txs: drop them all. */
			if ((rv = st_exec(st, "ROLLBACK", e)) != DOT_OK ||
			    (rv = st_exec(st, "BEGIN IMMEDIATE", e)) != DOT_OK)
				goto fail;
			st->frontier = st->saved;
			seen_undo(st);
			st->nodes_dirty = 0;
			ntx = 0;
			out.len = count_at;
		}
		if (bad == DOT_OK && (rv = prune_txs(st, entry_time, e)) !=
					     DOT_OK)
			goto fail;
	}
	rv = save_position(st, index, entry_time, e);
	if (rv == DOT_OK && has_ref)
		rv = st_save_log_ref(st, ref, e);
	if (rv != DOT_OK)
		goto fail;
	{
		struct dot_buf fb = {0};
		rv = dot_audit_frontier_encode(&st->frontier, &fb);
		if (rv == DOT_OK)
			rv = meta_put(st, "frontier", fb.data, fb.len, e);
		dot_buf_free(&fb);
		if (rv != DOT_OK)
			goto fail;
	}
	reset_all(st);
	rv = st_run(st, "COMMIT", e);
	if (rv != DOT_OK)
		goto fail;
	for (size_t i = 0; i + DOT_TX_ID_LEN <= st->seen_pruned.len;
	     i += DOT_TX_ID_LEN)
		txset_del(&st->seen, st->seen_pruned.data + i);
	st->seen_added.len = 0;
	st->seen_pruned.len = 0;
	st->index = index;
	st->time = entry_time;
	if (has_ref)
		st->log_ref = ref;
	if (st->nodes_dirty)
		st->nodes_epoch++;
	st->nodes_dirty = 0;
	if (kind == 1 && bad == DOT_OK && (rv = load_meta(st, e)) != DOT_OK)
		goto fail_after;
	/* Re-encode the array head with the real count. */
	{
		struct dot_buf head = {0};
		dot_enc_array(&head, ntx);
		dot_buf_put(receipts, head.data, head.len);
		dot_buf_put(receipts, out.data + count_at, out.len - count_at);
		dot_buf_free(&head);
	}
	dot_buf_free(&out);
	if (receipts->err)
		return receipts->err;
	return bad;
fail:
	reset_all(st);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->frontier = st->saved;
	seen_undo(st);
	st->nodes_dirty = 0;
fail_after:
	dot_buf_free(&out);
	dot_token_cache_clear(st->cache);
	return rv == DOT_OK ? DOT_ESTATE_STORAGE : rv;
}

/* ---- signed reads ---- */

static int
is_read_op(const struct dot_tx *tx)
{
	static const char *const reads[] = {
		"fs.get", "fs.stat", "fs.ls", "account.get", "msg.read",
		"node.list",
	};

	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (strlen(reads[i]) == tx->p.op_len &&
		    memcmp(reads[i], tx->p.op, tx->p.op_len) == 0)
			return 1;
	return 0;
}

int
dot_state_query(struct dot_state *st, const uint8_t *bytes, size_t n,
		uint64_t now, struct dot_buf *out, int *record,
		struct dot_err *e)
{
	struct dot_tx *tx = NULL;
	struct op *o = NULL;
	struct dot_err e2 = {0};
	int rv, nodes_dirty;

	*record = 0;
	rv = dot_tx_parse(bytes, n, &tx, e);
	if (rv != DOT_OK)
		return rv;
	if (!is_read_op(tx)) {
		rv = dot_err_set(e, DOT_ESTATE_OP,
				 "\"%.*s\" is not a read (fs.get, fs.stat, "
				 "fs.ls, account.get, msg.read, node.list)",
				 (int)tx->p.op_len, tx->p.op);
		goto out;
	}
	/* A read may name its token by reference too. */
	if (tx->p.auth_kind == DOT_TX_AUTH_TOKEN_REF &&
	    (rv = token_resolve(st, tx, e)) != DOT_OK)
		goto out;
	o = dot_calloc(1, sizeof(*o));
	if (o == NULL) {
		rv = DOT_ENOMEM;
		goto out;
	}
	o->st = st;
	o->tx = tx;
	o->index = st->index;
	o->time = now;
	o->e = e;
	o->out = out;
	/* Reads write nothing: undo whatever happened, even on success. */
	if ((rv = st_exec(st, "SAVEPOINT query", &e2)) != DOT_OK)
		goto out;
	nodes_dirty = st->nodes_dirty;
	rv = run_op(o);
	st->nodes_dirty = nodes_dirty;
	if (st_exec(st, "ROLLBACK TO query", &e2) != DOT_OK ||
	    st_exec(st, "RELEASE query", &e2) != DOT_OK)
		rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s", e2.msg);
	*record = rv == DOT_OK && o->record;
out:
	reset_all(st);
	dot_free(o);
	dot_tx_free(tx);
	return rv;
}

/* ---- state hash ---- */

static int
hash_table(sqlite3 *db, struct dot_hash_ctx *h, const char *name,
	   const char *sql, struct dot_err *e)
{
	sqlite3_stmt *s;
	struct dot_buf row = {0};
	int rc, rv = DOT_OK;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", name,
				   sqlite3_errmsg(db));
	dot_hash_update(h, name, strlen(name) + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int ncol = sqlite3_column_count(s);

		row.len = 0;
		dot_enc_array(&row, (uint64_t)ncol);
		for (int c = 0; c < ncol; c++) {
			switch (sqlite3_column_type(s, c)) {
			case SQLITE_INTEGER:
				dot_enc_int(&row, sqlite3_column_int64(s, c));
				break;
			case SQLITE_TEXT:
				dot_enc_tstr(&row,
					     (const char *)sqlite3_column_text(s, c),
					     (size_t)sqlite3_column_bytes(s, c));
				break;
			case SQLITE_NULL:
				dot_enc_array(&row, 0);
				break;
			default:
				dot_enc_bstr(&row, sqlite3_column_blob(s, c),
					     (size_t)sqlite3_column_bytes(s, c));
			}
		}
		if (row.err) {
			rv = row.err;
			break;
		}
		dot_hash_update(h, row.data, row.len);
	}
	if (rv == DOT_OK && rc != SQLITE_DONE)
		rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", name,
				 sqlite3_errmsg(db));
	sqlite3_finalize(s);
	dot_buf_free(&row);
	return rv;
}

static int
hash_db(sqlite3 *db, uint8_t out[DOT_HASH_LEN], struct dot_err *e)
{
	static const struct {
		const char *name, *sql;
	} tables[] = {
		{"meta", "SELECT k, v FROM meta ORDER BY k"},
		{"objects", "SELECT id, kind, path, parent, owner, version,"
			    " size, content, created, modified, policy FROM"
			    " objects ORDER BY id"},
		{"chunks", "SELECT hash, data, refs FROM chunks ORDER BY hash"},
		{"accounts", "SELECT name, created, expires FROM accounts"
			     " ORDER BY name"},
		{"levels", "SELECT account, level, threshold FROM levels"
			   " ORDER BY account, level"},
		{"level_keys", "SELECT account, level, pk, weight FROM"
			       " level_keys ORDER BY account, level, pk"},
		{"revoked", "SELECT rid, at FROM revoked ORDER BY rid"},
		{"grants", "SELECT rid, issuer, token, at FROM grants"
			   " ORDER BY rid"},
		{"tokens", "SELECT rid, token, expires, at FROM tokens"
			   " ORDER BY rid"},
		{"nodes", "SELECT raft_id, pk, raft_addr, api_addr, role,"
			  " status, admitted, removed FROM nodes"
			  " ORDER BY raft_id"},
		{"invites", "SELECT account, role, expires, created, used"
			    " FROM invites ORDER BY account"},
		{"txs", "SELECT not_after, at, pos, id FROM txs"
			" ORDER BY not_after, at, pos"},
		{"ledger", "SELECT seq, entry, txid, tx, receipt FROM ledger"
			   " ORDER BY seq"},
		{"merkle", "SELECT pos, level, idx, hash FROM merkle"
			   " ORDER BY pos"},
	};
	static const char dom[] = "dot-state-v1";
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		int rv = hash_table(db, &h, tables[i].name, tables[i].sql, e);
		if (rv != DOT_OK)
			return rv;
	}
	dot_hash_final(&h, out);
	return DOT_OK;
}

int
dot_state_hash(struct dot_state *st, uint8_t out[DOT_HASH_LEN],
	       struct dot_err *e)
{
	return hash_db(st->db, out, e);
}

int
dot_state_hash_snapshot(sqlite3 *db, uint64_t *index, uint64_t *time,
			uint8_t out[DOT_HASH_LEN], struct dot_err *e)
{
	sqlite3_stmt *s;
	int rv, rc;

	*index = *time = 0;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "snapshot: %s",
				   sqlite3_errmsg(db));
	/* The first read fixes the snapshot: position and hash agree. */
	rv = DOT_OK;
	if (sqlite3_prepare_v2(db, "SELECT v FROM meta WHERE k = 'position'",
			       -1, &s, NULL) != SQLITE_OK) {
		rv = dot_err_set(e, DOT_ESTATE_STORAGE, "snapshot: %s",
				 sqlite3_errmsg(db));
	} else {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 16) {
			*index = rd64(sqlite3_column_blob(s, 0));
			*time = rd64((const uint8_t *)sqlite3_column_blob(s, 0) +
				     8);
		} else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE, "snapshot: %s",
					 sqlite3_errmsg(db));
		}
		sqlite3_finalize(s);
	}
	if (rv == DOT_OK)
		rv = hash_db(db, out, e);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rv;
}

/* ---- the audit log ---- */

static int
merkle_node(void *ctx, unsigned level, uint64_t index,
	    uint8_t out[DOT_AUDIT_HASH_LEN])
{
	static const char sql[] = "SELECT hash FROM merkle WHERE pos = ?1"
				  " AND level = ?2 AND idx = ?3";
	struct dot_state *st = ctx;
	sqlite3_stmt *s;
	int rv;

	if (level > 62 || index >= (UINT64_C(1) << (62 - level)))
		return DOT_EAUDIT_STORE; /* no such node in any real log */
	rv = st_prepare(st, sql, &s, NULL);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, merkle_pos(level, index));
	sqlite3_bind_int(s, 2, (int)level);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)index);
	if (sqlite3_step(s) != SQLITE_ROW ||
	    sqlite3_column_bytes(s, 0) != DOT_AUDIT_HASH_LEN)
		return DOT_EAUDIT_STORE;
	memcpy(out, sqlite3_column_blob(s, 0), DOT_AUDIT_HASH_LEN);
	return DOT_OK;
}

void
dot_state_log_root(const struct dot_state *st, uint64_t *size,
		   uint8_t root[DOT_AUDIT_HASH_LEN])
{
	*size = st->frontier.size;
	dot_audit_frontier_root(&st->frontier, root);
}

int
dot_state_log_prove(struct dot_state *st, uint64_t seq, uint64_t size,
		    struct dot_audit_proof *p, struct dot_err *e)
{
	struct dot_audit_store s = {st, merkle_node};
	int rv;

	if (size > st->frontier.size || seq >= size)
		return dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
				   "leaf %llu of a tree of %llu (the log has "
				   "%llu)",
				   (unsigned long long)seq,
				   (unsigned long long)size,
				   (unsigned long long)st->frontier.size);
	rv = dot_audit_prove_inclusion(&s, seq, size, p);
	reset_all(st);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "inclusion proof: %s",
				   dot_strerror(rv));
	return DOT_OK;
}

int
dot_state_log_consistency(struct dot_state *st, uint64_t size1,
			  uint64_t size2, struct dot_audit_proof *p,
			  struct dot_err *e)
{
	struct dot_audit_store s = {st, merkle_node};
	int rv;

	if (size2 > st->frontier.size || size1 > size2)
		return dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
				   "sizes %llu..%llu (the log has %llu)",
				   (unsigned long long)size1,
				   (unsigned long long)size2,
				   (unsigned long long)st->frontier.size);
	rv = dot_audit_prove_consistency(&s, size1, size2, p);
	reset_all(st);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "consistency proof: %s",
				   dot_strerror(rv));
	return DOT_OK;
}

int
dot_state_log_get(struct dot_state *st, uint64_t seq, uint64_t *entry,
		  struct dot_buf *tx, struct dot_buf *receipt,
		  struct dot_err *e)
{
	static const char sql[] =
		"SELECT entry, tx, receipt FROM ledger WHERE seq = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return dot_err_set(e, DOT_ESTATE_NOT_FOUND,
				   "no ledger record %llu",
				   (unsigned long long)seq);
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "ledger");
	*entry = (uint64_t)sqlite3_column_int64(s, 0);
	dot_buf_put(tx, sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1));
	dot_buf_put(receipt, sqlite3_column_blob(s, 2),
		    (size_t)sqlite3_column_bytes(s, 2));
	sqlite3_reset(s);
	return tx->err ? tx->err : receipt->err;
}
