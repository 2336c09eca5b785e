/*
 * account.c - the genesis, accounts, permission levels and expiries
 * (docs/state-model.md §accounts).
 */
#include <inttypes.h>
#include <string.h>

#include "doteros/heap.h"
#include "state_int.h"

static int
name_valid(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

struct keyset {
	struct dot_tx_level_key keys[DOT_STATE_MAX_KEYS];
	size_t n;
	uint64_t threshold;
};

/* Decode [[pk, weight], ...]: valid keys, no key twice, weights >= 1. */
static int
dec_keys(struct dot_dec *d, struct keyset *ks, unsigned policy,
	 struct dot_err *e)
{
	uint64_t n, two, w;
	int rv;

	if (dot_dec_array(d, &n) != DOT_OK || n == 0 || n > DOT_STATE_MAX_KEYS)
		return dot_err_set(e, DOT_ESTATE_ARGS,
				   "keys: an array of 1 to %d [key, weight]",
				   DOT_STATE_MAX_KEYS);
	for (size_t i = 0; i < n; i++) {
		struct dot_tx_level_key *k = &ks->keys[i];

		if (dot_dec_array(d, &two) != DOT_OK || two != 2 ||
		    dot_dec_bstr(d, &k->pk, &k->pk_len) != DOT_OK ||
		    dot_dec_uint(d, &w) != DOT_OK)
			return dot_err_set(e, DOT_ESTATE_ARGS,
					   "key %zu: want [public key, weight]",
					   i);
		if ((rv = dot_sign_pk_check(k->pk, k->pk_len)) != DOT_OK)
			return dot_err_set(e, DOT_ESTATE_ARGS,
					   "key %zu: %s", i, dot_strerror(rv));
		if (!dot_policy_allows(policy, k->pk[0], 0))
			return dot_err_set(e, DOT_EPOLICY,
					   "key %zu is %s; the cluster's %s "
					   "policy takes ed25519+ml-dsa-65 "
					   "keys only",
					   i, dot_suite_name(k->pk[0]),
					   dot_policy_name(policy));
		if (w < 1 || w > UINT32_MAX)
			return dot_err_set(e, DOT_ESTATE_ARGS,
					   "key %zu: weight must be 1 to %u", i,
					   UINT32_MAX);
		k->weight = (uint32_t)w;
		for (size_t j = 0; j < i; j++)
			if (ks->keys[j].pk_len == k->pk_len &&
			    memcmp(ks->keys[j].pk, k->pk, k->pk_len) == 0)
				return dot_err_set(e, DOT_ESTATE_ARGS,
						   "key %zu is given twice", i);
	}
	ks->n = (size_t)n;
	return DOT_OK;
}

static int
check_threshold(const struct keyset *ks, struct dot_err *e)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < ks->n; i++)
		sum += ks->keys[i].weight;
	if (ks->threshold < 1 || ks->threshold > sum)
		return dot_err_set(e, DOT_ESTATE_ARGS,
				   "threshold %" PRIu64 " must be 1 to the sum "
				   "of the weights (%" PRIu64 ")",
				   ks->threshold, sum);
	return DOT_OK;
}

static int
put_level(struct dot_state *st, const char *account, const char *level,
	  const struct keyset *ks, struct dot_err *e)
{
	static const char del[] =
		"DELETE FROM level_keys WHERE account = ?1 AND level = ?2";
	static const char lvl[] =
		"INSERT INTO levels (account, level, threshold) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (account, level) DO UPDATE SET threshold = ?3";
	static const char key[] =
		"INSERT INTO level_keys (account, level, pk, weight, keyid)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *s;
	int rv;

	/* Before any write: a rolled-back change only costs the map's owner
	 * a needless rebuild (dot_state_keys_epoch). */
	st->keys_epoch++;
	if ((rv = st_prepare(st, del, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, level, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "level");
	if ((rv = st_prepare(st, lvl, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, level, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)ks->threshold);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "level");
	for (size_t i = 0; i < ks->n; i++) {
		uint8_t id[DOT_KEY_ID_LEN];

		dot_key_id(ks->keys[i].pk, ks->keys[i].pk_len, id);
		if ((rv = st_prepare(st, key, &s, e)) != DOT_OK)
			return rv;
		sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, level, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, ks->keys[i].pk,
				  (int)ks->keys[i].pk_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, ks->keys[i].weight);
		sqlite3_bind_blob(s, 5, id, DOT_KEY_ID_LEN, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			return st_sqlerr(st, e, "level key");
	}
	return DOT_OK;
}

int
account_exists(struct dot_state *st, const char *name, struct dot_err *e)
{
	static const char sql[] = "SELECT 1 FROM accounts WHERE name = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return -rv;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return -st_sqlerr(st, e, "account");
	return 0;
}

/* Bind an expiry: NULL for none (decision 0015). */
static void
bind_expiry(sqlite3_stmt *s, int col, uint64_t expires)
{
	if (expires == DOT_STATE_NO_EXPIRY)
		sqlite3_bind_null(s, col);
	else
		sqlite3_bind_int64(s, col, (sqlite3_int64)expires);
}

static int
create_account(struct dot_state *st, const char *name, uint64_t index,
	       const struct keyset *ks, uint64_t expires, struct dot_err *e)
{
	static const char sql[] = "INSERT INTO accounts (name, created,"
				  " expires) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *s;
	int rv;

	if ((rv = st_prepare(st, sql, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)index);
	bind_expiry(s, 3, expires);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "account");
	/* A new account's owner and active levels start with the same keys;
	 * the owner changes them (account.set-level). */
	if ((rv = put_level(st, name, "owner", ks, e)) != DOT_OK)
		return rv;
	return put_level(st, name, "active", ks, e);
}

int
account_create_one(struct dot_state *st, const char *name, uint64_t index,
		   const uint8_t *pk, size_t pklen, uint64_t expires,
		   struct dot_err *e)
{
	struct keyset ks;

	memset(&ks, 0, sizeof(ks));
	ks.keys[0].pk = pk;
	ks.keys[0].pk_len = pklen;
	ks.keys[0].weight = 1;
	ks.n = 1;
	ks.threshold = 1;
	return create_account(st, name, index, &ks, expires, e);
}

int
account_set_expiry(struct dot_state *st, const char *name, uint64_t expires,
		   struct dot_err *e)
{
	static const char sql[] =
		"UPDATE accounts SET expires = ?2 WHERE name = ?1";
	sqlite3_stmt *s;
	int rv;

	/* Before the write, as put_level: the channel's key map carries the
	 * expiry (dot_state_keys_epoch). */
	st->keys_epoch++;
	if ((rv = st_prepare(st, sql, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	bind_expiry(s, 2, expires);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "account expiry");
	return DOT_OK;
}

/* ---- genesis ---- */

/* No key 6 in the genesis (a classic cluster of the first layout). */
#define NO_POLICY (~0u)

static int
genesis_encode(const uint8_t cluster_id[DOT_CLUSTER_ID_LEN],
	       const char *admin, const struct dot_tx_level_key *keys,
	       size_t nkeys, uint64_t threshold, const struct dot_buf *node,
	       unsigned policy, struct dot_buf *out, struct dot_err *e)
{
	if (!name_valid(admin, strlen(admin), DOT_TX_MAX_ACCOUNT))
		return dot_err_set(e, DOT_EINVAL,
				   "admin account name must be 1-64 of "
				   "[a-z0-9._-]");
	if (nkeys == 0 || nkeys > DOT_STATE_MAX_KEYS)
		return dot_err_set(e, DOT_EINVAL, "1 to %d admin keys",
				   DOT_STATE_MAX_KEYS);
	if (policy != NO_POLICY && dot_policy_name(policy) == NULL)
		return dot_err_set(e, DOT_EINVAL, "no crypto policy 0x%x",
				   policy);
	for (size_t i = 0; policy != NO_POLICY && i < nkeys; i++)
		if (keys[i].pk_len < 1 ||
		    !dot_policy_allows(policy, keys[i].pk[0], 0))
			return dot_err_set(e, DOT_EPOLICY,
					   "admin key %zu is %s; the %s "
					   "policy takes ed25519+ml-dsa-65 "
					   "keys only",
					   i,
					   keys[i].pk_len ? dot_suite_name(
							keys[i].pk[0])
						      : "empty",
					   dot_policy_name(policy));
	dot_enc_array(out, 2);
	dot_enc_uint(out, 1);
	dot_enc_map(out, 4 + (node != NULL) + (policy != NO_POLICY));
	dot_enc_uint(out, 1);
	dot_enc_bstr(out, cluster_id, DOT_CLUSTER_ID_LEN);
	dot_enc_uint(out, 2);
	dot_enc_tstr(out, admin, strlen(admin));
	dot_enc_uint(out, 3);
	dot_enc_array(out, nkeys);
	for (size_t i = 0; i < nkeys; i++) {
		dot_enc_array(out, 2);
		dot_enc_bstr(out, keys[i].pk, keys[i].pk_len);
		dot_enc_uint(out, keys[i].weight);
	}
	dot_enc_uint(out, 4);
	dot_enc_uint(out, threshold);
	if (node != NULL) {
		dot_enc_uint(out, 5);
		dot_buf_put(out, node->data, node->len);
	}
	if (policy != NO_POLICY) {
		/* 6: {1: 1 classic | 2 hybrid, ?2: 1 classic attenuation} */
		int att = (policy & DOT_POLICY_CLASSIC_ATTENUATION) != 0;

		dot_enc_uint(out, 6);
		dot_enc_map(out, att ? 2 : 1);
		dot_enc_uint(out, 1);
		dot_enc_uint(out, policy & DOT_POLICY_HYBRID ? 2 : 1);
		if (att) {
			dot_enc_uint(out, 2);
			dot_enc_uint(out, 1);
		}
	}
	return out->err;
}

int
dot_state_genesis_encode(const uint8_t cluster_id[DOT_CLUSTER_ID_LEN],
			 const char *admin, const struct dot_tx_level_key *keys,
			 size_t nkeys, uint64_t threshold, struct dot_buf *out,
			 struct dot_err *e)
{
	return genesis_encode(cluster_id, admin, keys, nkeys, threshold, NULL,
			      NO_POLICY, out, e);
}

int
dot_state_genesis_encode_node(const uint8_t cluster_id[DOT_CLUSTER_ID_LEN],
			      const char *admin,
			      const struct dot_tx_level_key *keys,
			      size_t nkeys, uint64_t threshold,
			      const uint8_t *node_key, size_t node_keylen,
			      const char *raft_addr, const char *api_addr,
			      struct dot_buf *out, struct dot_err *e)
{
	struct dot_buf node = {0};
	int rv;

	rv = node_genesis_encode(node_key, node_keylen, raft_addr, api_addr,
				 DOT_POLICY_CLASSIC, &node, e);
	if (rv == DOT_OK)
		rv = genesis_encode(cluster_id, admin, keys, nkeys, threshold,
				    &node, NO_POLICY, out, e);
	dot_buf_free(&node);
	return rv;
}

int
dot_state_genesis_encode_policy(const uint8_t cluster_id[DOT_CLUSTER_ID_LEN],
				const char *admin,
				const struct dot_tx_level_key *keys,
				size_t nkeys, uint64_t threshold,
				const uint8_t *node_key, size_t node_keylen,
				const char *raft_addr, const char *api_addr,
				unsigned policy, struct dot_buf *out,
				struct dot_err *e)
{
	struct dot_buf node = {0};
	int rv = DOT_OK;

	if (dot_policy_name(policy) == NULL)
		return dot_err_set(e, DOT_EINVAL, "no crypto policy 0x%x",
				   policy);
	if (node_key != NULL)
		rv = node_genesis_encode(node_key, node_keylen, raft_addr,
					 api_addr, policy, &node, e);
	if (rv == DOT_OK)
		rv = genesis_encode(cluster_id, admin, keys, nkeys, threshold,
				    node_key != NULL ? &node : NULL, policy,
				    out, e);
	dot_buf_free(&node);
	return rv;
}

int
dot_state_batch_encode(const uint8_t *const *txs, const size_t *lens,
		       size_t n, struct dot_buf *out, struct dot_err *e)
{
	if (n > DOT_STATE_MAX_BATCH)
		return dot_err_set(e, DOT_EINVAL, "at most %d txs an entry",
				   DOT_STATE_MAX_BATCH);
	dot_enc_array(out, 2);
	dot_enc_uint(out, 2);
	dot_enc_array(out, n);
	for (size_t i = 0; i < n; i++)
		dot_enc_bstr(out, txs[i], lens[i]);
	return out->err;
}

/* One pass over a batch's shape; with cb NULL only the check. */
static int
batch_walk(const uint8_t *entry, size_t n,
	   int (*cb)(void *ctx, const uint8_t *tx, size_t len), void *ctx,
	   struct dot_err *e)
{
	static const struct dot_codec_limits lim = {3, DOT_TX_MAX_LEN,
						    DOT_STATE_MAX_BATCH};
	struct dot_dec d;
	uint64_t count, kind;
	int rv;

	if (dot_dec_init(&d, entry, n, &lim, NULL) != DOT_OK ||
	    dot_dec_array(&d, &count) != DOT_OK || count != 2 ||
	    dot_dec_uint(&d, &kind) != DOT_OK || kind != 2 ||
	    dot_dec_array(&d, &count) != DOT_OK)
		return dot_err_set(e, DOT_ESTATE_ARGS,
				   "not a batch entry ([2, [txs]])");
	for (uint64_t i = 0; i < count; i++) {
		const uint8_t *p;
		size_t len;

		if (dot_dec_bstr(&d, &p, &len) != DOT_OK)
			return dot_err_set(e, DOT_ESTATE_ARGS,
					   "batch item %" PRIu64
					   " is not a byte string",
					   i);
		if (cb != NULL && (rv = cb(ctx, p, len)) != DOT_OK)
			return rv;
	}
	if (!dot_dec_done(&d))
		return dot_err_set(e, DOT_ESTATE_ARGS,
				   "bytes after the batch");
	return DOT_OK;
}

int
dot_state_batch_each(const uint8_t *entry, size_t n,
		     int (*cb)(void *ctx, const uint8_t *tx, size_t len),
		     void *ctx, struct dot_err *e)
{
	int rv = batch_walk(entry, n, NULL, NULL, e);

	return rv != DOT_OK || cb == NULL ? rv
					  : batch_walk(entry, n, cb, ctx, e);
}

/* Key 6 of a genesis map, the crypto policy, decoded from d (after its
 * key): {1: 1 classic | 2 hybrid, ?2: 1, classic attenuation (hybrid
 * only)}. */
static int
dec_policy(struct dot_dec *d, unsigned *policy, struct dot_err *e)
{
	uint64_t cnt, k, v, att = 0;

	if (dot_dec_map(d, &cnt) != DOT_OK || cnt < 1 || cnt > 2 ||
	    dot_dec_uint(d, &k) != DOT_OK || k != 1 ||
	    dot_dec_uint(d, &v) != DOT_OK || (v != 1 && v != 2) ||
	    (cnt == 2 &&
	     (dot_dec_uint(d, &k) != DOT_OK || k != 2 ||
	      dot_dec_uint(d, &att) != DOT_OK || att != 1 || v != 2)))
		return dot_err_set(e, DOT_ESTATE_GENESIS,
				   "genesis key 6 (crypto policy) is {1: 1 "
				   "classic | 2 hybrid, ?2: 1 classic "
				   "attenuation, with hybrid only}");
	*policy = (v == 2 ? DOT_POLICY_HYBRID : DOT_POLICY_CLASSIC) |
		  (att ? DOT_POLICY_CLASSIC_ATTENUATION : 0);
	return DOT_OK;
}

/* The policy is the last key of the genesis map, but the keys before it
 * are checked against it: find it first (classic when absent). Shape
 * errors are left to the full decode. */
static unsigned
genesis_policy_scan(const uint8_t *entry, size_t n)
{
	struct dot_dec d;
	uint64_t cnt, kind, key;
	const uint8_t *p;
	size_t len;
	unsigned policy = DOT_POLICY_CLASSIC;

	if (dot_dec_init(&d, entry, n, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &cnt) != DOT_OK ||
	    dot_dec_uint(&d, &kind) != DOT_OK ||
	    dot_dec_map(&d, &cnt) != DOT_OK)
		return policy;
	for (uint64_t i = 0; i < cnt; i++) {
		if (dot_dec_uint(&d, &key) != DOT_OK)
			break;
		if (key == 6) {
			if (dec_policy(&d, &policy, NULL) != DOT_OK)
				policy = DOT_POLICY_CLASSIC;
			break;
		}
		if (dot_dec_item(&d, &p, &len) != DOT_OK)
			break;
	}
	return policy;
}

static int genesis_apply_checked(struct dot_state *st, const uint8_t *entry,
				 size_t n, uint64_t index, uint64_t time,
				 struct dot_err *e);

int
genesis_apply(struct dot_state *st, const uint8_t *entry, size_t n,
	      uint64_t index, uint64_t time, struct dot_err *e)
{
	int rv;

	st->crypto_policy = genesis_policy_scan(entry, n);
	rv = genesis_apply_checked(st, entry, n, index, time, e);
	if (rv != DOT_OK)
		st->crypto_policy = DOT_POLICY_CLASSIC;
	return rv;
}

static int
genesis_apply_checked(struct dot_state *st, const uint8_t *entry, size_t n,
		      uint64_t index, uint64_t time, struct dot_err *e)
{
	static const char root[] =
		"INSERT INTO objects (id, kind, path, parent, owner, version,"
		" size, content, created, modified)"
		" VALUES (?1, 1, '/', NULL, ?2, 1, 0, NULL, ?3, ?3)";
	static const char meta[] =
		"INSERT INTO meta (k, v) VALUES ('cluster', ?1), ('admin', ?2),"
		" ('layout', ?3), ('genesis', ?4), ('policy', ?5)";
	static const char dom[] = "dot-oid-root";
	struct dot_dec d;
	struct keyset ks;
	uint64_t cnt, kind, key, last;
	unsigned policy = DOT_POLICY_CLASSIC;
	uint8_t pol;
	const uint8_t *cid;
	const char *admin;
	char name[DOT_TX_MAX_ACCOUNT + 1];
	size_t alen;
	uint8_t h[DOT_HASH_LEN];
	struct dot_hash_ctx hc;
	sqlite3_stmt *s;
	int rv;

	(void)time;
	memset(&ks, 0, sizeof(ks));
	if (dot_dec_init(&d, entry, n, NULL, e) != DOT_OK ||
	    dot_dec_array(&d, &cnt) != DOT_OK || dot_dec_uint(&d, &kind) !=
							  DOT_OK ||
	    dot_dec_map(&d, &cnt) != DOT_OK || cnt < 4 || cnt > 6 ||
	    dot_dec_uint(&d, &key) != DOT_OK || key != 1 ||
	    dot_dec_bstr_fixed(&d, &cid, DOT_CLUSTER_ID_LEN) != DOT_OK ||
	    dot_dec_uint(&d, &key) != DOT_OK || key != 2 ||
	    dot_dec_tstr(&d, &admin, &alen) != DOT_OK ||
	    dot_dec_uint(&d, &key) != DOT_OK || key != 3)
		return dot_err_set(e, DOT_ESTATE_GENESIS,
				   "genesis is {1: cluster id, 2: admin, "
				   "3: keys, 4: threshold, ?5: first node, "
				   "?6: crypto policy}");
	if (!name_valid(admin, alen, DOT_TX_MAX_ACCOUNT))
		return dot_err_set(e, DOT_ESTATE_GENESIS,
				   "bad admin account name");
	if ((rv = dec_keys(&d, &ks, st->crypto_policy, e)) != DOT_OK)
		return dot_err_set(e, rv == DOT_EPOLICY ? rv
							 : DOT_ESTATE_GENESIS,
				   "genesis %s", e ? e->msg : "");
	if (dot_dec_uint(&d, &key) != DOT_OK || key != 4 ||
	    dot_dec_uint(&d, &ks.threshold) != DOT_OK)
		return dot_err_set(e, DOT_ESTATE_GENESIS, "genesis threshold");
	if ((rv = check_threshold(&ks, e)) != DOT_OK)
		return dot_err_set(e, DOT_ESTATE_GENESIS, "genesis %s", e ? e->msg : "");
	last = 4;
	for (uint64_t i = 4; i < cnt; i++) {
		if (dot_dec_uint(&d, &key) != DOT_OK || key <= last ||
		    key > 6)
			return dot_err_set(e, DOT_ESTATE_GENESIS,
					   "genesis keys after 4 are ?5 "
					   "(first node) and ?6 (crypto "
					   "policy), in order");
		last = key;
		if (key == 5) {
			/* The first node (docs/decisions/0017): checked and
			 * written here, with the admin's account and the
			 * root below. */
			if ((rv = node_genesis(st, &d, index, e)) != DOT_OK)
				return rv;
		} else if ((rv = dec_policy(&d, &policy, e)) != DOT_OK) {
			return rv;
		}
	}
	if (policy != st->crypto_policy)
		return dot_err_set(e, DOT_ESTATE_GENESIS,
				   "genesis crypto policy unreadable");
	if (!dot_dec_done(&d))
		return dot_err_set(e, DOT_ESTATE_GENESIS,
				   "genesis: bytes after its map");
	memcpy(name, admin, alen);
	name[alen] = '\0';
	/* The admin account never expires (decision 0015). */
	if ((rv = create_account(st, name, index, &ks, DOT_STATE_NO_EXPIRY,
				 e)) != DOT_OK)
		return rv;
	dot_hash_init(&hc);
	dot_hash_update(&hc, dom, sizeof(dom) - 1);
	dot_hash_update(&hc, entry, n);
	dot_hash_final(&hc, h);
	if ((rv = st_prepare(st, root, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, h, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "root");
	if ((rv = st_prepare(st, meta, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, cid, DOT_CLUSTER_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, name, (int)alen, SQLITE_STATIC);
	{
		static const uint8_t layout[1] = {DOT_STATE_LAYOUT};
		sqlite3_bind_blob(s, 3, layout, 1, SQLITE_STATIC);
	}
	/* The genesis entry itself, so that a state can be replayed from its
	 * own ledger table (daemon/verify.c, when no log file holds it). */
	sqlite3_bind_blob(s, 4, entry, (int)n, SQLITE_STATIC);
	pol = (uint8_t)policy;
	sqlite3_bind_blob(s, 5, &pol, 1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "meta");
	return DOT_OK;
}

/* ---- operations ---- */

static int
arg_name(struct op *o, uint64_t key, const char *what, size_t max, char *out)
{
	const char *s;
	size_t n;
	uint64_t k;

	if (dot_dec_uint(&o->args, &k) != DOT_OK || k != key ||
	    dot_dec_tstr(&o->args, &s, &n) != DOT_OK || !name_valid(s, n, max))
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (%s) must be 1-%zu of "
				   "[a-z0-9._-]",
				   key, what, max);
	memcpy(out, s, n);
	out[n] = '\0';
	return DOT_OK;
}

static int
arg_keys(struct op *o, uint64_t kkey, uint64_t tkey, struct keyset *ks)
{
	uint64_t k;
	int rv;

	if (dot_dec_uint(&o->args, &k) != DOT_OK || k != kkey)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (keys) missing", kkey);
	if ((rv = dec_keys(&o->args, ks, o->st->crypto_policy, o->e)) !=
	    DOT_OK)
		return rv;
	if (dot_dec_uint(&o->args, &k) != DOT_OK || k != tkey ||
	    dot_dec_uint(&o->args, &ks->threshold) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (threshold) missing",
				   tkey);
	return check_threshold(ks, o->e);
}

/* Argument `key`: an expiry, Unix seconds up to DOT_STATE_MAX_EXPIRY. */
static int
arg_expiry(struct op *o, uint64_t key, uint64_t *out)
{
	uint64_t k;

	if (dot_dec_uint(&o->args, &k) != DOT_OK || k != key ||
	    dot_dec_uint(&o->args, out) != DOT_OK ||
	    *out > DOT_STATE_MAX_EXPIRY)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (expires) must be "
				   "Unix seconds, at most %" PRIu64,
				   key, DOT_STATE_MAX_EXPIRY);
	return DOT_OK;
}

/* account.create {1: name, 2: [[key, weight]...], 3: threshold,
 * ?4: expires}: by the admin account (or a token granting admin on "/").
 * Without 4 the account never expires. */
int
op_account_create(struct op *o)
{
	char name[DOT_TX_MAX_ACCOUNT + 1];
	struct keyset ks;
	uint64_t n, expires = DOT_STATE_NO_EXPIRY;
	int rv;

	memset(&ks, 0, sizeof(ks));
	if (dot_dec_map(&o->args, &n) != DOT_OK || n < 3 || n > 4)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "arguments: {1: name, 2: keys, 3: "
				   "threshold, ?4: expires}");
	if ((rv = arg_name(o, 1, "name", DOT_TX_MAX_ACCOUNT, name)) != DOT_OK ||
	    (rv = arg_keys(o, 2, 3, &ks)) != DOT_OK)
		return rv;
	if (n == 4 && (rv = arg_expiry(o, 4, &expires)) != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, DOT_RIGHT_ADMIN, "/", "/")) != DOT_OK)
		return rv;
	rv = account_exists(o->st, name, o->e);
	if (rv < 0)
		return -rv;
	if (rv)
		return dot_err_set(o->e, DOT_ESTATE_EXISTS,
				   "account %s exists", name);
	return create_account(o->st, name, o->index, &ks, expires, o->e);
}

/* account.set-level {1: account, 2: level, 3: keys, 4: threshold}: only by
 * the account's own owner level (recovery goes through owner; not even the
 * admin can take an account over). */
int
op_account_set_level(struct op *o)
{
	char name[DOT_TX_MAX_ACCOUNT + 1], level[DOT_TX_MAX_LEVEL + 1];
	const struct dot_tx_payload *p = &o->tx->p;
	struct keyset ks;
	uint64_t n;
	int rv;

	memset(&ks, 0, sizeof(ks));
	if (dot_dec_map(&o->args, &n) != DOT_OK || n != 4)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "arguments: {1: account, 2: level, 3: keys, "
				   "4: threshold}");
	if ((rv = arg_name(o, 1, "account", DOT_TX_MAX_ACCOUNT, name)) !=
		    DOT_OK ||
	    (rv = arg_name(o, 2, "level", DOT_TX_MAX_LEVEL, level)) != DOT_OK ||
	    (rv = arg_keys(o, 3, 4, &ks)) != DOT_OK)
		return rv;
	if (p->auth_kind != DOT_TX_AUTH_ACCOUNT ||
	    p->account_len != strlen(name) ||
	    memcmp(p->account, name, p->account_len) != 0 ||
	    p->level_len != 5 || memcmp(p->level, "owner", 5) != 0)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "only %s@owner may set %s's levels", name,
				   name);
	if ((rv = op_authorize(o, 0, "/", NULL)) != DOT_OK)
		return rv;
	return put_level(o->st, name, level, &ks, o->e);
}

/*
 * account.set-expiry {1: account, ?2: expires}: set the account's expiry,
 * or clear it when 2 is absent (docs/decisions/0015). Whoever may create
 * accounts (authority over "/": the admin account, or a token granting
 * admin on "/") may set, move or clear any account's expiry; the
 * account's own owner level may set one or bring it earlier, never move it
 * later or clear it (an expiry is a limit the admin sets, not one the
 * account lifts). The admin account never expires: once an expiry passed,
 * the cluster would be left without its admin.
 */
int
op_account_set_expiry(struct op *o)
{
	char name[DOT_TX_MAX_ACCOUNT + 1];
	const struct dot_tx_payload *p = &o->tx->p;
	uint64_t n, expires = DOT_STATE_NO_EXPIRY, cur;
	int rv, creator, self_owner = 0;

	if (dot_dec_map(&o->args, &n) != DOT_OK || n < 1 || n > 2)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "arguments: {1: account, ?2: expires} "
				   "(without 2: never expires)");
	if ((rv = arg_name(o, 1, "account", DOT_TX_MAX_ACCOUNT, name)) !=
	    DOT_OK)
		return rv;
	if (n == 2 && (rv = arg_expiry(o, 2, &expires)) != DOT_OK)
		return rv;
	if (DOT_TX_BY_TOKEN(p->auth_kind)) {
		/* As account.create: admin on "/". */
		if ((rv = op_authorize(o, DOT_RIGHT_ADMIN, "/", "/")) != DOT_OK)
			return rv;
		creator = 1;
	} else {
		if ((rv = op_authorize(o, 0, "/", NULL)) != DOT_OK)
			return rv;
		creator = authority_over(o->st, o->principal, "/", o->e);
		if (creator < 0)
			return -creator;
		self_owner = strcmp(o->principal, name) == 0 &&
			     p->level_len == 5 &&
			     memcmp(p->level, "owner", 5) == 0;
	}
	if (strcmp(name, o->st->admin) == 0)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "the admin account %s never expires: once "
				   "an expiry passed, the cluster would be "
				   "left without its admin",
				   name);
	if (!creator && !self_owner)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "%s@%.*s may not set %s's expiry: only the "
				   "admin (authority over /) or %s@owner may",
				   o->principal, (int)p->level_len, p->level,
				   name, name);
	if ((rv = account_expiry(o->st, name, &cur, o->e)) != DOT_OK)
		return rv;
	if (!creator && expires > cur) {
		if (expires == DOT_STATE_NO_EXPIRY)
			return dot_err_set(o->e, DOT_ESTATE_DENIED,
					   "%s@owner may not clear %s's "
					   "expiry (%" PRIu64 "): only the "
					   "admin may",
					   name, name, cur);
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "%s@owner may bring %s's expiry forward "
				   "but not move it later (%" PRIu64
				   " is after %" PRIu64 "): only the admin may",
				   name, name, expires, cur);
	}
	return account_set_expiry(o->st, name, expires, o->e);
}

/*
 * account.get {1: account} (a read, through "query"): the account's levels
 * {1: name, 2: created, 3: [[level, threshold, [[key, weight], ...]], ...],
 * ?4: expires} (4 only when it has an expiry).
 * Readable by the account itself (any of its levels) and by the admin.
 */
int
op_account_get(struct op *o)
{
	static const char lv[] = "SELECT level, threshold FROM levels"
				 " WHERE account = ?1 ORDER BY level";
	static const char ks[] = "SELECT pk, weight FROM level_keys"
				 " WHERE account = ?1 AND level = ?2"
				 " ORDER BY pk";
	static const char cr[] = "SELECT created, expires FROM accounts"
				 " WHERE name = ?1";
	char name[DOT_TX_MAX_ACCOUNT + 1];
	struct dot_buf levels = {0};
	sqlite3_stmt *s, *k;
	uint64_t n, count = 0, created, expires;
	int rv, rc;

	if (dot_dec_map(&o->args, &n) != DOT_OK || n != 1)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "arguments: {1: account}");
	if ((rv = arg_name(o, 1, "account", DOT_TX_MAX_ACCOUNT, name)) != DOT_OK)
		return rv;
	if (o->tx->p.auth_kind != DOT_TX_AUTH_ACCOUNT)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "an account is read by itself or the admin, "
				   "not through a token");
	if ((rv = op_authorize(o, 0, "/", NULL)) != DOT_OK)
		return rv;
	if (strcmp(o->principal, name) != 0 &&
	    strcmp(o->principal, o->st->admin) != 0)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "%s may not read account %s", o->principal,
				   name);
	if ((rv = st_prepare(o->st, cr, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return dot_err_set(o->e, DOT_ESTATE_NOT_FOUND, "no account %s",
				   name);
	if (rc != SQLITE_ROW)
		return st_sqlerr(o->st, o->e, "account");
	created = (uint64_t)sqlite3_column_int64(s, 0);
	expires = expiry_column(s, 1);
	if (o->out == NULL)
		return DOT_OK;
	if ((rv = st_prepare(o->st, lv, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *level = (const char *)sqlite3_column_text(s, 0);
		struct dot_buf keys = {0};
		uint64_t nk = 0;

		if ((rv = st_prepare(o->st, ks, &k, o->e)) != DOT_OK)
			goto out;
		sqlite3_bind_text(k, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(k, 2, level, -1, SQLITE_STATIC);
		while (sqlite3_step(k) == SQLITE_ROW) {
			dot_enc_array(&keys, 2);
			dot_enc_bstr(&keys, sqlite3_column_blob(k, 0),
				     (size_t)sqlite3_column_bytes(k, 0));
			dot_enc_uint(&keys,
				     (uint64_t)sqlite3_column_int64(k, 1));
			nk++;
		}
		dot_enc_array(&levels, 3);
		dot_enc_tstr(&levels, level, (size_t)sqlite3_column_bytes(s, 0));
		dot_enc_uint(&levels, (uint64_t)sqlite3_column_int64(s, 1));
		dot_enc_array(&levels, nk);
		dot_buf_put(&levels, keys.data, keys.len);
		dot_buf_free(&keys);
		count++;
	}
	if (rc != SQLITE_DONE) {
		rv = st_sqlerr(o->st, o->e, "levels");
		goto out;
	}
	dot_enc_map(o->out, expires == DOT_STATE_NO_EXPIRY ? 3 : 4);
	dot_enc_uint(o->out, 1);
	dot_enc_tstr(o->out, name, strlen(name));
	dot_enc_uint(o->out, 2);
	dot_enc_uint(o->out, created);
	dot_enc_uint(o->out, 3);
	dot_enc_array(o->out, count);
	dot_buf_put(o->out, levels.data, levels.len);
	if (expires != DOT_STATE_NO_EXPIRY) {
		dot_enc_uint(o->out, 4);
		dot_enc_uint(o->out, expires);
	}
	rv = o->out->err ? o->out->err : levels.err;
out:
	dot_buf_free(&levels);
	return rv;
}
