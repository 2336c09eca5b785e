/*
 * state_int.h - internals of lib/state shared by its files.
 */
#ifndef DOT_STATE_INT_H
#define DOT_STATE_INT_H

#include <sqlite3.h>

#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/state.h"

/* Prepared statements, one per static SQL string in lib/state: the count
 * is fixed by the code, and every one stays cached until close. */
#define STMT_CACHE 128

/* The ids of the txs in the `txs` table (txset.c). */
struct txslot {
	uint8_t id[DOT_TX_ID_LEN];
	uint8_t used;
};
struct txset {
	struct txslot *slots;
	size_t cap; /* a power of two */
	size_t n;
	uint8_t key[DOT_SHORTHASH_KEY_LEN];
};
int txset_init(struct txset *s);
void txset_free(struct txset *s);
void txset_clear(struct txset *s);
int txset_has(const struct txset *s, const uint8_t id[DOT_TX_ID_LEN]);
int txset_add(struct txset *s, const uint8_t id[DOT_TX_ID_LEN]);
void txset_del(struct txset *s, const uint8_t id[DOT_TX_ID_LEN]);

/* The tokens txs name by reference, parsed: a cache of `tokens` rows,
 * direct-mapped by the last rid, filled when a reference is resolved or a
 * token kept. A slot serves a row only when its bytes equal the row's, so
 * the cache never decides anything (docs/state-model.md, `tokens`); it
 * also gives dot_state_token_holder its hint. */
#define TOKEN_SLOTS 64

struct dot_state {
	sqlite3 *db;
	struct {
		const char *sql; /* static string: compared by address */
		sqlite3_stmt *stmt;
	} stmts[STMT_CACHE];
	size_t nstmts;
	struct dot_token_cache *cache;
	struct dot_token_cache *sig_cache; /* tx signatures known good */
	uint64_t index;
	uint64_t time;
	uint8_t cluster_id[DOT_CLUSTER_ID_LEN];
	char admin[DOT_TX_MAX_ACCOUNT + 1];
	unsigned crypto_policy; /* DOT_POLICY_*, from the genesis (key 6) */
	struct dot_audit_frontier frontier; /* the Merkle log of the ledger */
	struct dot_audit_frontier saved;    /* at the start of an entry */
	struct txset seen;                  /* ids in `txs` */
	struct dot_buf seen_added;  /* ids added by the entry being applied */
	struct dot_buf seen_pruned; /* ids it pruned: dropped after COMMIT */
	uint64_t keys_epoch; /* dot_state_keys_epoch: bumped by put_level
			      * and set_expiry */
	uint64_t nodes_epoch; /* dot_state_nodes_epoch: bumped after a
			       * COMMIT of an entry that set nodes_dirty */
	int nodes_dirty;      /* the entry being applied changed `nodes` */
	struct dot_token **tokens; /* TOKEN_SLOTS parsed tokens, or NULL */
	uint64_t log_ref;     /* dot_state_log_ref: of the last apply */
	uint64_t log_ref_next; /* dot_state_set_log_ref, for the next one */
	int log_ref_set;
};

/* One transaction being applied. */
struct op {
	struct dot_state *st;
	const struct dot_tx *tx;
	uint64_t index;
	uint32_t pos;               /* the tx's place in its entry */
	uint64_t time;
	struct dot_dec args;        /* cursor over the args item */
	char principal[DOT_TX_MAX_ACCOUNT + 1]; /* whose authority acts */
	uint32_t next_output;       /* for new object ids */
	struct dot_tx_objver produced[DOT_RECEIPT_MAX_VERSIONS];
	size_t nproduced;
	uint8_t used[DOT_TX_MAX_CONSUMED]; /* consumed versions the op used */
	const uint8_t *target_id;   /* the object an object token must name */
	struct dot_buf *out;        /* query: where the answer goes, else NULL */
	int record;                 /* query: the object records its reads */
	struct dot_err *e;
};

/* An object row. */
struct obj {
	uint8_t id[DOT_OBJECT_ID_LEN];
	int kind;
	uint64_t version;
	uint64_t size;
	char owner[DOT_TX_MAX_ACCOUNT + 1];
	uint8_t parent[DOT_OBJECT_ID_LEN];
	int has_parent;
	uint64_t created, modified;
	uint32_t policy;
};

/* ---- state.c ---- */
int st_prepare(struct dot_state *st, const char *sql, sqlite3_stmt **s,
	       struct dot_err *e);
int st_sqlerr(struct dot_state *st, struct dot_err *e, const char *what);
int st_exec(struct dot_state *st, const char *sql, struct dot_err *e);
int st_run(struct dot_state *st, const char *sql, struct dot_err *e);
/* Write the log reference (node_local) inside the caller's transaction. */
int st_save_log_ref(struct dot_state *st, uint64_t ref, struct dot_err *e);
/* Reset every cached statement (ends their read transactions). */
void reset_all(struct dot_state *st);

/* Fill o from a row of "id, kind, owner, version, size, parent, created,
 * modified, policy". */
void obj_row(sqlite3_stmt *s, struct obj *o);
/* Look an object up by path (DOT_ESTATE_NOT_FOUND) or id. */
int obj_by_path(struct dot_state *st, const char *path, struct obj *o,
		struct dot_err *e);
int obj_by_id(struct dot_state *st, const uint8_t id[DOT_OBJECT_ID_LEN],
	      struct obj *o, struct dot_err *e);
/* The path of an object, or of its parent (a message's mailbox). */
int obj_path(struct dot_state *st, const uint8_t id[DOT_OBJECT_ID_LEN],
	     char *out, size_t cap, struct dot_err *e);
/* Does `account` have authority over `path` (admin, or owner of the object
 * at path or of a directory above it)? 1 yes, 0 no, <0 -code on error. */
int authority_over(struct dot_state *st, const char *account,
		   const char *path, struct dot_err *e);

/* The account that issued tok (see docs/state-model.md §authority), at
 * time now: an expired account issues nothing (DOT_ESTATE_ACCOUNT_EXPIRED
 * when only expired accounts would qualify). */
int resolve_issuer(struct dot_state *st, const struct dot_token *tok,
		   uint64_t now, uint8_t *pk, size_t *pklen, char *account,
		   struct dot_err *e);

/* Account expiry (docs/decisions/0015). An expiry column's value:
 * DOT_STATE_NO_EXPIRY for NULL. */
uint64_t expiry_column(sqlite3_stmt *s, int col);
/* The account's expiry (DOT_STATE_NO_EXPIRY: none); DOT_ESTATE_NOT_FOUND
 * when there is no such account. */
int account_expiry(struct dot_state *st, const char *account,
		   uint64_t *expires, struct dot_err *e);
/* DOT_OK while now < the account's expiry (or it has none, or there is no
 * such account: the caller checks that); else DOT_ESTATE_ACCOUNT_EXPIRED. */
int account_valid(struct dot_state *st, const char *account, uint64_t now,
		  struct dot_err *e);
/* The revocation check of token verifiers: 1 when rid is in the revoked
 * set (or the lookup fails: fail closed). ctx is the state. */
int revoked_cb(void *ctx, const uint8_t rid[DOT_RID_LEN]);
/* Authorize a read of `rights` on path. */
int reader_check(struct dot_state *st, const struct dot_state_reader *r,
		 uint32_t rights, const char *path, struct dot_err *e);

/* ---- op.c helpers for handlers ---- */

/*
 * Authorize the op: `rights` on `path` (a token's request), and the
 * principal's authority over `gov` (the object path that governs the op).
 * Runs dot_tx_verify the first time; later calls (mv's second path) check
 * the token chain again for the new request. gov NULL: verify only (the
 * caller checks what the account may do).
 */
int op_authorize(struct op *o, uint32_t rights, const char *path,
		 const char *gov);
/* Claim the consumed version of object id, if the tx named one: it must be
 * the current version (checked before the op ran). */
void op_use(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN]);
/* A new object id for this tx's next output. */
void op_new_id(struct op *o, uint8_t id[DOT_OBJECT_ID_LEN]);
int op_produce(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN],
	       uint64_t version);

/* Read a map of args with known keys; strings copied NUL-terminated. */
int arg_path(struct op *o, const char *what, char *out, size_t cap);

/* Content: store bytes as chunks; returns the CBOR chunk list in `list`. */
int content_put(struct dot_state *st, const uint8_t *data, size_t n,
		struct dot_buf *list, struct dot_err *e);
int content_get(struct dot_state *st, const uint8_t *list, size_t n,
		struct dot_buf *out, struct dot_err *e);
int content_release(struct dot_state *st, const uint8_t *list, size_t n,
		    struct dot_err *e);

/* ---- fs.c, shared with msg.c ---- */
int fs_parent_dir(struct op *o, const char *path, struct obj *dir);
int fs_insert_obj(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN], int kind,
		  const char *path, const uint8_t parent[DOT_OBJECT_ID_LEN],
		  const char *owner, uint64_t size,
		  const struct dot_buf *content);
int fs_obj_content(struct dot_state *st, const uint8_t id[DOT_OBJECT_ID_LEN],
		   struct dot_buf *out, struct dot_err *e);
int fs_args_map(struct op *o, uint64_t want);
int fs_args_key(struct op *o, uint64_t want);
int fs_args_bytes(struct op *o, const uint8_t **p, size_t *n);

/* ---- handlers (fs.c, account.c, msg.c, cap.c) ---- */
int op_fs_mkdir(struct op *o);
int op_fs_put(struct op *o);
int op_fs_append(struct op *o);
int op_fs_rm(struct op *o);
int op_fs_mv(struct op *o);
int op_fs_chown(struct op *o);
int op_fs_policy(struct op *o);
int op_fs_get(struct op *o);
int op_fs_stat(struct op *o);
int op_fs_ls(struct op *o);
int op_account_create(struct op *o);
int op_account_get(struct op *o);
int op_msg_create(struct op *o);
int op_msg_send(struct op *o);
int op_msg_recv(struct op *o);
int op_msg_read(struct op *o);
int fs_answer_content(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN]);
int op_cap_grant(struct op *o);
int op_cap_revoke(struct op *o);
int op_account_set_level(struct op *o);
int op_account_set_expiry(struct op *o);
int op_node_invite(struct op *o);
int op_node_join(struct op *o);
int op_node_remove(struct op *o);
int op_node_role(struct op *o);
int op_node_list(struct op *o);

/* ---- account.c, for node.c ---- */
/* 1 if the account exists, 0 if not, -code on error. */
int account_exists(struct dot_state *st, const char *name,
		   struct dot_err *e);
/* Create an account whose owner and active levels are one key (weight 1,
 * threshold 1), with an expiry (DOT_STATE_NO_EXPIRY: none). */
int account_create_one(struct dot_state *st, const char *name,
		       uint64_t index, const uint8_t *pk, size_t pklen,
		       uint64_t expires, struct dot_err *e);
/* Set an account's expiry (moves dot_state_keys_epoch). */
int account_set_expiry(struct dot_state *st, const char *name,
		       uint64_t expires, struct dot_err *e);

/* ---- node.c ---- */
/* Is the account an invitation (a row of `invites`)? 1, 0, -code. Such an
 * account may only node.join: op_authorize refuses any other op. */
int invite_account(struct dot_state *st, const char *account,
		   struct dot_err *e);
/* The genesis's key 5, {1: node key, 2: raft addr, 3: api addr}, at the
 * decoder: the first node, an active voter admitted at index. */
int node_genesis(struct dot_state *st, struct dot_dec *d, uint64_t index,
		 struct dot_err *e);
/* Encode the genesis's key 5 (after checking it): DOT_EINVAL. */
int node_genesis_encode(const uint8_t *key, size_t keylen,
			const char *raft_addr, const char *api_addr,
			unsigned policy, struct dot_buf *out,
			struct dot_err *e);

/* Genesis (account.c). */
int genesis_apply(struct dot_state *st, const uint8_t *entry, size_t n,
		  uint64_t index, uint64_t time, struct dot_err *e);

#endif
