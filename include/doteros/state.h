/*
 * state.h - the deterministic state machine (docs/state-model.md).
 *
 * The state is one SQLite database that only dot_state_apply writes. Each
 * ledger entry is applied in one SQLite transaction, with no clock and no
 * randomness: time is the entry's. For each transaction in an entry the
 * state machine re-verifies signatures and authority (a token chain through
 * the verified-chain cache, or an account level's weighted threshold),
 * checks rights and caveats against the state at that point of the log,
 * checks the consumed versions (a version is consumed at most once; a stale
 * one is a conflict, never an overwrite), then writes the new versions and a
 * receipt. A refused transaction leaves the state as it was and still gets a
 * receipt with its error code.
 *
 * Entries (canonical CBOR):
 *   genesis   [1, {1: cluster id (16), 2: admin account (text),
 *                  3: [[public key, weight], ...], 4: threshold,
 *                  ?5: {1: node key, 2: raft addr, 3: api addr}}]
 *   batch     [2, [signed tx bytes (bstr), ...]]
 * Entry 1 must be the genesis; every later one a batch. The genesis's key
 * 5 names the cluster's first node, admitted as an active voter at index 1.
 *
 * Nodes are ledger objects too (docs/decisions/0017): the nodes table says
 * which node keys are members, in which role, at which addresses. A node
 * joins by invitation: node.invite (by whoever has authority over "/")
 * makes a single-use invite account "join-<key id>" valid for at most 7
 * days; node.join, signed by that account's key, carries the node key's
 * proof of possession and admits the node; node.remove and node.role
 * change it; node.list reads the table. A removed key never comes back.
 */
#ifndef DOTEROS_STATE_H
#define DOTEROS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "buf.h"
#include "err.h"
#include "token.h"
#include "tx.h"

typedef struct sqlite3 sqlite3;

#define DOT_STATE_CHUNK (64u << 10)      /* content chunk size */
/* Content of at most this many bytes is stored inline in its object row
 * (which then fits one 4 KiB SQLite page); larger content in chunks. */
#define DOT_STATE_INLINE 3072u
/* The database layout this code writes (meta key "layout", set by the
 * genesis); a database of another layout is refused when opened. 3: the
 * accounts table has an expiry (docs/decisions/0015); 4: the nodes and
 * invites tables and the log reference (docs/decisions/0017). */
#define DOT_STATE_LAYOUT 4
#define DOT_STATE_MAX_FILE (64u << 20)   /* largest file content */
#define DOT_STATE_MAX_BATCH 1024         /* transactions in one entry */
#define DOT_STATE_MAX_KEYS 16            /* keys in one permission level */
/* An account's expiry when it has none (dot_state_level_keys). An account
 * with an expiry is valid while the time is below it: [created, expires),
 * decision 0004; set with account.create or account.set-expiry, at most
 * DOT_STATE_MAX_EXPIRY. */
#define DOT_STATE_NO_EXPIRY UINT64_MAX
#define DOT_STATE_MAX_EXPIRY ((uint64_t)INT64_MAX)

enum dot_object_kind {
	DOT_OBJ_DIR = 1,
	DOT_OBJ_FILE = 2,
	DOT_OBJ_MAILBOX = 3,
	DOT_OBJ_MESSAGE = 4,
};

struct dot_state;

/*
 * Open the state kept in db (the caller opened it and closes it after
 * dot_state_close), creating the schema in an empty database. Nothing else
 * may write db.
 */
DOT_API DOT_MUST int dot_state_open(sqlite3 *db, struct dot_state **st,
				    struct dot_err *e);
DOT_API void dot_state_close(struct dot_state *st); /* NULL ok */

/* Encode a genesis entry: the cluster id, the admin account and its keys
 * (they form its owner and active levels). */
DOT_API DOT_MUST int dot_state_genesis_encode(
	const uint8_t cluster_id[DOT_CLUSTER_ID_LEN], const char *admin,
	const struct dot_tx_level_key *keys, size_t nkeys, uint64_t threshold,
	struct dot_buf *out, struct dot_err *e);

/*
 * Encode a genesis entry that also names the cluster's first node (key 5):
 * its key (suite || Ed25519 public key), its node-to-node (raft) address
 * and its client API address ("" or NULL: none), each "host:port"
 * (dot_state_addr_check). The node is admitted as an active voter at
 * index 1. DOT_EINVAL, with the reason in e, for a bad key or address.
 */
DOT_API DOT_MUST int dot_state_genesis_encode_node(
	const uint8_t cluster_id[DOT_CLUSTER_ID_LEN], const char *admin,
	const struct dot_tx_level_key *keys, size_t nkeys, uint64_t threshold,
	const uint8_t *node_key, size_t node_keylen, const char *raft_addr,
	const char *api_addr, struct dot_buf *out, struct dot_err *e);

/*
 * As dot_state_genesis_encode_node (node_key NULL: no first node), and key 6,
 * the cluster's crypto policy (DOT_POLICY_*, docs/crypto.md §14): under
 * DOT_POLICY_HYBRID the admin keys and the node key must be the composite
 * suite (DOT_EPOLICY). A genesis without key 6 is classic.
 */
DOT_API DOT_MUST int dot_state_genesis_encode_policy(
	const uint8_t cluster_id[DOT_CLUSTER_ID_LEN], const char *admin,
	const struct dot_tx_level_key *keys, size_t nkeys, uint64_t threshold,
	const uint8_t *node_key, size_t node_keylen, const char *raft_addr,
	const char *api_addr, unsigned policy, struct dot_buf *out,
	struct dot_err *e);

/* Encode a batch entry of signed transactions. */
DOT_API DOT_MUST int dot_state_batch_encode(const uint8_t *const *txs,
					    const size_t *lens, size_t n,
					    struct dot_buf *out,
					    struct dot_err *e);

/*
 * The txs of a batch entry, each given to cb (pointers into entry) in
 * order; a non-DOT_OK return from cb stops and is returned. Strict:
 * DOT_ESTATE_ARGS for bytes that are not one batch in canonical CBOR
 * (a genesis included), of at most DOT_STATE_MAX_BATCH txs of at most
 * DOT_TX_MAX_LEN bytes each, checked whole before cb is first called.
 * The txs themselves are not parsed: apply decides on each.
 */
DOT_API DOT_MUST int dot_state_batch_each(
	const uint8_t *entry, size_t n,
	int (*cb)(void *ctx, const uint8_t *tx, size_t len), void *ctx,
	struct dot_err *e);

/*
 * Apply ledger entry `index` (which must be the last applied + 1) at
 * `entry_time` (Unix seconds). Appends to receipts a CBOR array of the
 * receipts of its transactions, in order (empty for the genesis). An entry
 * that is not well formed is applied as a no-op so the log moves on, and its
 * error returned. Storage errors roll the whole entry back and return
 * DOT_ESTATE_STORAGE: the caller must stop and retry (nothing half-applied).
 */
DOT_API DOT_MUST int dot_state_apply(struct dot_state *st, uint64_t index,
				     uint64_t entry_time, const uint8_t *entry,
				     size_t n, struct dot_buf *receipts,
				     struct dot_err *e);

/*
 * The holder key of a token the state holds under last rid `rid`, as far
 * as this state has recently resolved or kept it (a hint from memory: a
 * miss says nothing, and a hit is checked again when the tx is applied).
 * For a tx that leaves its key out and names its token by reference
 * (dot_tx_claim_holder), so its signature can be checked before it is
 * applied. Returns the key's length copied into pk (DOT_SIGN_PK_MAX
 * bytes), or 0. From the thread that applies entries.
 */
DOT_API size_t dot_state_token_holder(struct dot_state *st,
				      const uint8_t rid[DOT_RID_LEN],
				      uint8_t pk[DOT_SIGN_PK_MAX]);

/*
 * Tell the state that every signature of tx was checked
 * (dot_tx_check_signatures returned DOT_OK, e.g. on a worker thread when
 * the tx was submitted): apply then skips those signature checks and does
 * every other. Only for signatures this process checked itself.
 */
DOT_API void dot_state_signatures_checked(struct dot_state *st,
					  const struct dot_tx *tx);
/* The same with the keys dot_tx_sig_keys made of tx (on the thread that
 * checked it), so the state's thread does not hash the signatures again. */
DOT_API void dot_state_signatures_checked_keys(struct dot_state *st,
					       const struct dot_tx_sig_keys *k);

/*
 * The log reference: the consensus engine's index of the entry being
 * applied (a raft index, which is not the ledger index: the engine's log
 * also holds entries of its own). dot_state_set_log_ref gives it for the
 * next dot_state_apply only; that apply keeps it in the state in the same
 * SQLite transaction as the entry (a no-op entry too), so after a restart
 * dot_state_log_ref says which engine entry the state reflects and the
 * node can skip the entries the engine hands it again. An apply that
 * fails (a storage error, DOT_EINVAL) keeps the previous one, and so does
 * an apply without dot_state_set_log_ref before it. 0 when never set. The
 * log reference is this node's own, not replicated state, and is not in
 * dot_state_hash: it numbers the engine's log, not the ledger, and two
 * states of the same ledger may differ in it (one applied without an
 * engine, as a single dotd or an offline rebuild does; one whose engine's
 * log was compacted, restored or started again), yet must hash alike.
 */
DOT_API void dot_state_set_log_ref(struct dot_state *st, uint64_t ref);
DOT_API uint64_t dot_state_log_ref(const struct dot_state *st);

/*
 * Checkpoint cosignatures (cosig.c, decision 0018): one member node's
 * signed-note line ("— name base64(key id || signature)\n") over the
 * checkpoint of the Merkle log at `size` with `root`. Kept in the state's
 * database, replicated by the consensus engine's own commands and not in
 * dot_state_hash. The caller verifies a line before putting it.
 *
 * A name is 1..DOT_AUDIT_MAX_NAME bytes and a line 1..DOT_AUDIT_LINE_MAX
 * (an Ed25519 or a composite line under that name; DOT_EINVAL beyond).
 * dot_state_cosigs_put puts n of them in one SQLite transaction with the
 * log reference `ref` (0: none), as dot_state_apply keeps it for an entry;
 * a `ref` not past dot_state_log_ref is a no-op (handed again after a
 * restart). Rows older than the DOT_STATE_COSIG_KEEP newest sizes are
 * dropped. dot_state_cosigs calls cb for each line at `size` (pointers
 * valid during the call; a non-DOT_OK return stops and is returned);
 * dot_state_cosig_sizes lists the distinct sizes >= min, newest first.
 */
#define DOT_STATE_COSIG_KEEP 1024
struct dot_state_cosig {
	uint64_t size;
	uint8_t root[DOT_AUDIT_HASH_LEN];
	const char *name; /* the signer's key name */
	size_t name_len;
	const char *line; /* the whole signature line */
	size_t line_len;
};
DOT_API DOT_MUST int dot_state_cosigs_put(struct dot_state *st, uint64_t ref,
					  const struct dot_state_cosig *c,
					  size_t n, struct dot_err *e);
DOT_API DOT_MUST int dot_state_cosigs(
    struct dot_state *st, uint64_t size,
    int (*cb)(void *ctx, const struct dot_state_cosig *c), void *ctx,
    struct dot_err *e);
DOT_API DOT_MUST int dot_state_cosig_sizes(struct dot_state *st, uint64_t min,
					   uint64_t *sizes, size_t max,
					   size_t *n, struct dot_err *e);

/*
 * The revoked set (cap.revoke), for the revocation feed: every revocation
 * id in ascending order, appended to out (*n of them, DOT_RID_LEN bytes
 * each); and whether one id is in it.
 */
DOT_API DOT_MUST int dot_state_revoked_ids(struct dot_state *st,
					   struct dot_buf *out, size_t *n,
					   struct dot_err *e);
DOT_API DOT_MUST int dot_state_rid_revoked(struct dot_state *st,
					   const uint8_t rid[DOT_RID_LEN],
					   int *revoked, struct dot_err *e);

/* The last applied index and entry time (0 before genesis). */
DOT_API void dot_state_position(const struct dot_state *st, uint64_t *index,
				uint64_t *time);

/* The admin account's name ("" before genesis). */
DOT_API const char *dot_state_admin(const struct dot_state *st);
/* The crypto policy of the genesis (DOT_POLICY_*; 0, classic, before it). */
DOT_API unsigned dot_state_crypto_policy(const struct dot_state *st);

/* The cluster id (all zero before genesis). */
DOT_API void dot_state_cluster_id(const struct dot_state *st,
				  uint8_t out[DOT_CLUSTER_ID_LEN]);

/*
 * A hash of the whole state (every table in primary-key order, domain
 * separated): two nodes that applied the same log have the same hash.
 */
DOT_API DOT_MUST int dot_state_hash(struct dot_state *st,
				    uint8_t out[DOT_HASH_LEN],
				    struct dot_err *e);

/*
 * The same hash over another connection to a state database, inside one
 * read transaction, with the position it reflects: for a reader beside the
 * writer (WAL mode), which goes on applying meanwhile. *index is 0 before
 * the genesis.
 */
DOT_API DOT_MUST int dot_state_hash_snapshot(sqlite3 *db, uint64_t *index,
					     uint64_t *time,
					     uint8_t out[DOT_HASH_LEN],
					     struct dot_err *e);

/* ---- account keys (for the secure channel's peer check) ---- */

/*
 * A count that changes whenever an applied entry may have changed the keys
 * of an account's levels or an account's expiry (genesis, account.create,
 * account.set-level, account.set-expiry); a caller that keeps a map of
 * those keys rebuilds it when the count moved. It starts at 1 when the
 * state is opened (it is not stored).
 */
DOT_API uint64_t dot_state_keys_epoch(const struct dot_state *st);

/* Every key of every account level, in (account, level, key) order:
 * fn(ctx, account, level, key bytes (suite || key), the account's expiry
 * in Unix seconds or DOT_STATE_NO_EXPIRY); a non-zero return from fn stops
 * the walk and is returned. An expired account's keys are walked too: the
 * caller compares the expiry with its clock. */
typedef int (*dot_state_key_fn)(void *ctx, const char *account,
				const char *level, const uint8_t *pk,
				size_t pklen, uint64_t expires);
DOT_API DOT_MUST int dot_state_level_keys(struct dot_state *st,
					  dot_state_key_fn fn, void *ctx,
					  struct dot_err *e);

/* ---- nodes (docs/state-model.md §8.5, docs/decisions/0017) ---- */

#define DOT_STATE_MAX_ADDR 128 /* "host:port" */
/* The longest life of an invitation: node.invite's expiry is at most this
 * many seconds after the entry time. */
#define DOT_STATE_MAX_INVITE (7u * 86400u)

enum dot_node_role {
	DOT_NODE_VOTER = 1,    /* takes part in consensus */
	DOT_NODE_STANDBY = 2,  /* a replica, promoted when a voter fails */
	DOT_NODE_OBSERVER = 3, /* a read replica */
};
enum dot_node_status { DOT_NODE_ACTIVE = 1, DOT_NODE_REMOVED = 2 };

struct dot_state_node {
	uint8_t key[DOT_SIGN_PK_MAX];
	size_t keylen;          /* suite || Ed25519 public key */
	uint64_t raft_id;       /* dot_state_node_raft_id(key) */
	char raft_addr[DOT_STATE_MAX_ADDR + 1]; /* node-to-node (raft) */
	char api_addr[DOT_STATE_MAX_ADDR + 1];  /* client API, "" if none */
	int role;               /* enum dot_node_role */
	int status;             /* enum dot_node_status */
	uint64_t admitted;      /* ledger index of its genesis or node.join */
	uint64_t removed;       /* ledger index of node.remove, 0 if active */
};

/* Every node ever admitted (active and removed), in raft id order; a
 * non-zero return from fn stops the walk and is returned. */
typedef int (*dot_state_node_fn)(void *ctx, const struct dot_state_node *n);
DOT_API DOT_MUST int dot_state_nodes(struct dot_state *st,
				     dot_state_node_fn fn, void *ctx,
				     struct dot_err *e);
/* One node by key: DOT_OK, DOT_ESTATE_NOT_FOUND. */
DOT_API DOT_MUST int dot_state_node_get(struct dot_state *st,
					const uint8_t *key, size_t keylen,
					struct dot_state_node *out,
					struct dot_err *e);
/*
 * A count that moves whenever an applied entry changed the nodes table
 * (a genesis with a node, node.join, node.remove, node.role); bumped after
 * the entry's COMMIT, so a rolled-back entry (or a refused tx) does not
 * move it. Like dot_state_keys_epoch it is kept in memory: it starts at 1
 * when the state is opened.
 */
DOT_API uint64_t dot_state_nodes_epoch(const struct dot_state *st);
/* The raft id of a node key: the first 8 bytes, big-endian, of
 * BLAKE2b-256("doteros-raft-id/1" || key), with the top bit cleared;
 * never 0 (0 maps to 1). Deterministic, pure. */
DOT_API uint64_t dot_state_node_raft_id(const uint8_t *key, size_t keylen);
/* 1 when key is a node or invite key of any policy: suite || key of an
 * Ed25519 (33 bytes) or composite (1985 bytes) public key, valid
 * (dot_sign_pk_check); whether the policy allows its suite is apart. */
DOT_API int dot_state_node_key_valid(const uint8_t *key, size_t keylen);
/*
 * Check a node address as the state does (node.join, the genesis):
 * "host:port" of at most DOT_STATE_MAX_ADDR bytes; host an IPv4 dotted
 * quad (no leading zeros), a bracketed IPv6 literal in its RFC 5952
 * canonical text (lower case, zeros compressed, no zone, no dotted tail),
 * or a DNS-style name (labels of [a-z0-9-], 1-63 bytes, not starting or
 * ending with '-'; a name of digits and dots only must be an IPv4
 * address); port 1-65535 without leading zeros. One spelling per address,
 * so addresses compare as strings. DOT_OK or DOT_EINVAL with the reason.
 */
DOT_API DOT_MUST int dot_state_addr_check(const char *addr, size_t n,
					  struct dot_err *e);

/* ---- the audit log ----
 *
 * Every ledger record (a tx and its receipt, in apply order, seq 0, 1, ...)
 * is leaf `seq` of an RFC 9162 Merkle tree: SHA-256(0x00 || tx id ||
 * receipt hash) (docs/audit-format.md). The state keeps the tree's
 * complete subtrees, so it can prove inclusion and consistency.
 */

/* The log's size (ledger records) and root. */
DOT_API void dot_state_log_root(const struct dot_state *st, uint64_t *size,
				uint8_t root[DOT_AUDIT_HASH_LEN]);
/* Inclusion of record seq in the tree of `size` records. */
DOT_API DOT_MUST int dot_state_log_prove(struct dot_state *st, uint64_t seq,
					 uint64_t size,
					 struct dot_audit_proof *p,
					 struct dot_err *e);
/* Consistency of the tree of size1 records with the tree of size2. */
DOT_API DOT_MUST int dot_state_log_consistency(struct dot_state *st,
					       uint64_t size1, uint64_t size2,
					       struct dot_audit_proof *p,
					       struct dot_err *e);
/* Record seq: its ledger entry index, tx bytes and receipt bytes. */
DOT_API DOT_MUST int dot_state_log_get(struct dot_state *st, uint64_t seq,
				       uint64_t *entry, struct dot_buf *tx,
				       struct dot_buf *receipt,
				       struct dot_err *e);

/* ---- signed reads ---- */

/* Object policy bits (fs.policy). */
#define DOT_POLICY_RECORD_READS 1u

/*
 * Answer a signed read: a tx whose op is fs.get, fs.stat or fs.ls (args
 * {1: path}), account.get (args {1: account}), msg.read or node.list,
 * authorized exactly as dot_state_apply would authorize it at
 * time `now`, without writing anything. The answer, one CBOR item, is
 * appended to out:
 *   fs.get   the content (bstr)
 *   fs.stat  {1: id, 2: kind, 3: version, 4: size, 5: owner, 6: created,
 *             7: modified, 8: policy}
 *   fs.ls    [[name, stat map], ...] in name order (messages: by id)
 *   account.get  {1: name, 2: created, 3: [[level, threshold,
 *             [[key, weight], ...]], ...], ?4: expires} (the account
 *             itself or admin; 4 only when the account has an expiry)
 *   node.list  (args {}) [[key, raft id, raft addr, api addr, role,
 *             status, admitted, removed], ...] in raft id order (any
 *             account of the cluster but an invitation)
 * *record is set to 1 when the object's policy asks that its reads be
 * recorded: the caller then submits the same tx in a batch, where apply
 * authorizes it again and its receipt is the read receipt. Errors are the
 * codes apply would put in the receipt.
 */
DOT_API DOT_MUST int dot_state_query(struct dot_state *st, const uint8_t *tx,
				     size_t n, uint64_t now,
				     struct dot_buf *out, int *record,
				     struct dot_err *e);

/* ---- reads (the caller has authenticated the reader) ---- */

struct dot_state_stat {
	uint8_t id[DOT_OBJECT_ID_LEN];
	int kind;             /* enum dot_object_kind */
	uint64_t version;
	uint64_t size;        /* files, messages: content bytes; mailboxes:
				 messages waiting; directories: 0 */
	char owner[DOT_TX_MAX_ACCOUNT + 1];
	uint64_t created;     /* ledger index */
	uint64_t modified;    /* ledger index */
};

/*
 * Who reads: an account (authenticated by the caller; refused with
 * DOT_ESTATE_ACCOUNT_EXPIRED once it has expired at now) or a token
 * verified here for the read's rights (with the holder's proof over the
 * request; its issuer account must not have expired at now).
 */
struct dot_state_reader {
	const char *account;      /* NUL-terminated, or NULL */
	const struct dot_token *token; /* or a token, with its proof: */
	const uint8_t *msg;       /* the signed request bytes */
	size_t msg_len;
	const uint8_t *sig;
	size_t sig_len;
	uint64_t now;
};

DOT_API DOT_MUST int dot_state_stat(struct dot_state *st, const char *path,
				    const struct dot_state_reader *r,
				    struct dot_state_stat *out,
				    struct dot_err *e);
/* File content, appended to out. Right: read. */
DOT_API DOT_MUST int dot_state_read(struct dot_state *st, const char *path,
				    const struct dot_state_reader *r,
				    struct dot_buf *out, struct dot_err *e);
/* Directory or mailbox entries, in name (or arrival) order. Right: list. */
typedef int (*dot_state_list_fn)(void *ctx, const char *name,
				 const struct dot_state_stat *st);
DOT_API DOT_MUST int dot_state_list(struct dot_state *st, const char *path,
				    const struct dot_state_reader *r,
				    dot_state_list_fn fn, void *ctx,
				    struct dot_err *e);

#endif
