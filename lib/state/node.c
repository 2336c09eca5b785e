/*
 * node.c - nodes as ledger objects, and membership by invitation
 * (docs/state-model.md §8.5, docs/decisions/0017).
 *
 * The nodes table is the authority on which node keys are members of the
 * cluster, in which role, at which addresses; dotd's leader reconciles the
 * consensus engine's configuration to it, and the secure channel admits a
 * node key only while it is an active node here.
 *
 * A node joins by invitation. node.invite, by whoever has authority over
 * "/", creates an invite account "join-<key id of the invite key>" whose
 * levels are that one key, valid for at most DOT_STATE_MAX_INVITE seconds,
 * and an `invites` row. That account can do nothing but node.join (checked
 * once, in op_authorize). node.join, signed by the invite key, carries the
 * node key's signature over the cluster, the invitation and the addresses
 * (proof of possession); it admits the node with the invitation's role,
 * marks the invitation used and ends the invite account at once. A key
 * that was ever a node never joins again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doteros/heap.h"
#include "state_int.h"

#define INVITE_PREFIX "join-"
#define INVITE_NAME_LEN (sizeof(INVITE_PREFIX) - 1 + 2 * DOT_KEY_ID_LEN)

/* The domain of node.join's proof (docs/state-model.md §8.5). */
static const char join_domain[] = "doteros-node-join/1";

/* ---- addresses ---- */

/* n decimal digits without a leading zero (unless "0"), at most max. */
static int
decimal(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

/* a.b.c.d, each 0-255 without leading zeros. */
static int
ipv4_valid(const char *s, size_t n)
{
	size_t start = 0, parts = 0;
	unsigned long v;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!decimal(s + start, i - start, 255, &v) || i - start > 3)
			return 0;
		parts++;
		start = i + 1;
	}
	return parts == 4;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case is not canonical */
}

/*
 * An IPv6 literal in its RFC 5952 (§4) canonical text: parsed into eight
 * groups (RFC 4291 §2.2 forms 1 and 2; no dotted IPv4 tail), written
 * back canonically, and compared with the input.
 */
static int
ipv6_valid(const char *s, size_t n)
{
	uint16_t g[8];
	char out[48];
	size_t i = 0, ng = 0, pos = 0;
	int gap = -1, bs = -1, bl = 0;

	if (n < 2 || n > 39)
		return 0;
	if (s[0] == ':') {
		if (s[1] != ':')
			return 0;
		gap = 0;
		i = 2;
	}
	while (i < n) {
		unsigned v = 0;
		size_t d = 0;

		while (i < n && d < 5 && hexval(s[i]) >= 0) {
			v = v << 4 | (unsigned)hexval(s[i]);
			i++, d++;
		}
		if (d == 0 || d > 4 || ng == 8)
			return 0;
		g[ng++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < n && s[i] == ':') {
			if (gap >= 0)
				return 0; /* "::" twice */
			gap = (int)ng;
			i++;
		} else if (i == n) {
			return 0; /* a trailing single ':' */
		}
	}
	if (gap < 0 && ng != 8)
		return 0;
	if (gap >= 0) {
		size_t fill = 8 - ng;

		if (ng > 7)
			return 0;
		memmove(g + gap + fill, g + gap,
			(ng - (size_t)gap) * sizeof(*g));
		memset(g + gap, 0, fill * sizeof(*g));
	}
	/* The longest run of two or more zero groups, the first if tied. */
	for (int k = 0; k < 8;) {
		int l = 0;

		while (k + l < 8 && g[k + l] == 0)
			l++;
		if (l > bl && l >= 2)
			bs = k, bl = l;
		k += l > 0 ? l : 1;
	}
	for (int k = 0; k < 8; k++) {
		static const char digits[] = "0123456789abcdef";
		int started = 0;

		if (k == bs) {
			out[pos++] = ':';
			out[pos++] = ':';
			k = bs + bl - 1;
			continue;
		}
		if (pos > 0 && out[pos - 1] != ':')
			out[pos++] = ':';
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned nib = (unsigned)(g[k] >> sh) & 15;

			if (nib != 0 || started || sh == 0) {
				out[pos++] = digits[nib];
				started = 1;
			}
		}
	}
	return pos == n && memcmp(out, s, n) == 0;
}

/* Labels of [a-z0-9-], 1-63 bytes, not starting or ending with '-'. */
static int
dns_valid(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-'))
				return 0;
			continue;
		}
		if (i == start || i - start > 63 || s[start] == '-' ||
		    s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

int
dot_state_addr_check(const char *a, size_t n, struct dot_err *e)
{
	const char *colon;
	size_t hl;
	unsigned long port;

	if (n == 0 || n > DOT_STATE_MAX_ADDR)
		return dot_err_set(e, DOT_EINVAL,
				   "an address is 1-%d bytes of \"host:port\"",
				   DOT_STATE_MAX_ADDR);
	if (memchr(a, '\0', n) != NULL)
		return dot_err_set(e, DOT_EINVAL, "an address has a NUL byte");
	if (a[0] == '[') {
		const char *close = memchr(a, ']', n);

		if (close == NULL || close + 1 == a + n || close[1] != ':')
			return dot_err_set(e, DOT_EINVAL,
					   "\"%.*s\": an IPv6 address is "
					   "[literal]:port",
					   (int)n, a);
		if (!ipv6_valid(a + 1, (size_t)(close - a - 1)))
			return dot_err_set(
			    e, DOT_EINVAL,
			    "\"%.*s\": not an IPv6 literal in its canonical "
			    "form (RFC 5952: lower case, no leading zeros, "
			    "the longest zero run as ::)",
			    (int)n, a);
		colon = close + 1;
	} else {
		colon = memchr(a, ':', n);
		if (colon == NULL)
			return dot_err_set(e, DOT_EINVAL,
					   "\"%.*s\": an address is host:port",
					   (int)n, a);
		hl = (size_t)(colon - a);
		if (hl > 0 && strspn(a, "0123456789.") >= hl) {
			if (!ipv4_valid(a, hl))
				return dot_err_set(
				    e, DOT_EINVAL,
				    "\"%.*s\": not an IPv4 address (four "
				    "numbers 0-255 without leading zeros)",
				    (int)n, a);
		} else if (!dns_valid(a, hl)) {
			return dot_err_set(e, DOT_EINVAL,
					   "\"%.*s\": a host name is labels of "
					   "a-z, 0-9 and '-' (1-63 bytes each, "
					   "no '-' at either end) joined by "
					   "'.'",
					   (int)n, a);
		}
	}
	if (!decimal(colon + 1, n - (size_t)(colon + 1 - a), 65535, &port) ||
	    port == 0)
		return dot_err_set(e, DOT_EINVAL,
				   "\"%.*s\": the port must be 1-65535 (no "
				   "leading zeros)",
				   (int)n, a);
	return DOT_OK;
}

/* ---- keys and ids ---- */

uint64_t
dot_state_node_raft_id(const uint8_t *key, size_t keylen)
{
	static const char dom[] = "doteros-raft-id/1";
	struct dot_hash_ctx h;
	uint8_t d[DOT_HASH_LEN];
	uint64_t v = 0;

	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, key, keylen);
	dot_hash_final(&h, d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	v &= UINT64_C(0x7fffffffffffffff);
	return v != 0 ? v : 1;
}

/* A node key or an invite key: suite || public key of a suite with an
 * Ed25519 part, Ed25519 or the composite (the channel maps that part to
 * X25519, decision 0013). */
int
dot_state_node_key_valid(const uint8_t *pk, size_t n)
{
	return n >= 1 &&
	       (pk[0] == DOT_SUITE_ED25519 ||
		pk[0] == DOT_SUITE_ED25519_MLDSA65) &&
	       dot_sign_pk_check(pk, n) == DOT_OK;
}

#define NODE_KEY_RULE                                                        \
	"an Ed25519 (suite 1, 33 bytes) or ed25519+ml-dsa-65 (suite 3, "     \
	"1985 bytes) public key"

/* The key's suite under the cluster's crypto policy: DOT_EPOLICY. */
static int
node_key_policy(unsigned policy, const uint8_t *pk, const char *what,
		struct dot_err *e)
{
	if (dot_policy_allows(policy, pk[0], 0))
		return DOT_OK;
	return dot_err_set(e, DOT_EPOLICY,
			   "the %s is %s; the cluster's %s policy takes "
			   "ed25519+ml-dsa-65 keys only",
			   what, dot_suite_name(pk[0]),
			   dot_policy_name(policy));
}

static const char *
role_name(int role)
{
	switch (role) {
	case DOT_NODE_VOTER:
		return "voter";
	case DOT_NODE_STANDBY:
		return "standby";
	case DOT_NODE_OBSERVER:
		return "observer";
	default:
		return "?";
	}
}

/* "join-" and the invite key's key id in hex. */
static void
invite_name(const uint8_t *pk, size_t n, char out[INVITE_NAME_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t id[DOT_KEY_ID_LEN];

	dot_key_id(pk, n, id);
	memcpy(out, INVITE_PREFIX, sizeof(INVITE_PREFIX) - 1);
	for (size_t i = 0; i < DOT_KEY_ID_LEN; i++) {
		out[sizeof(INVITE_PREFIX) - 1 + 2 * i] = digits[id[i] >> 4];
		out[sizeof(INVITE_PREFIX) + 2 * i] = digits[id[i] & 15];
	}
	out[INVITE_NAME_LEN] = '\0';
}

/* ---- the nodes table ---- */

#define NODE_COLS \
	"pk, raft_id, raft_addr, api_addr, role, status, admitted, removed"

static int
node_row(sqlite3_stmt *s, struct dot_state_node *n)
{
	size_t kl = (size_t)sqlite3_column_bytes(s, 0);
	size_t rl = (size_t)sqlite3_column_bytes(s, 2);
	size_t al = (size_t)sqlite3_column_bytes(s, 3);

	memset(n, 0, sizeof(*n));
	if (kl == 0 || kl > DOT_SIGN_PK_MAX || rl > DOT_STATE_MAX_ADDR ||
	    al > DOT_STATE_MAX_ADDR)
		return DOT_ESTATE_STORAGE;
	memcpy(n->key, sqlite3_column_blob(s, 0), kl);
	n->keylen = kl;
	n->raft_id = (uint64_t)sqlite3_column_int64(s, 1);
	if (rl > 0)
		memcpy(n->raft_addr, sqlite3_column_text(s, 2), rl);
	if (al > 0)
		memcpy(n->api_addr, sqlite3_column_text(s, 3), al);
	n->role = sqlite3_column_int(s, 4);
	n->status = sqlite3_column_int(s, 5);
	n->admitted = (uint64_t)sqlite3_column_int64(s, 6);
	n->removed = (uint64_t)sqlite3_column_int64(s, 7);
	return DOT_OK;
}

int
dot_state_node_get(struct dot_state *st, const uint8_t *key, size_t keylen,
		   struct dot_state_node *out, struct dot_err *e)
{
	static const char sql[] = "SELECT " NODE_COLS " FROM nodes"
				  " WHERE pk = ?1";
	sqlite3_stmt *s;
	int rv, rc;

	if (key == NULL || keylen == 0 || keylen > DOT_SIGN_PK_MAX)
		return dot_err_set(e, DOT_ESTATE_NOT_FOUND, "no such node");
	if ((rv = st_prepare(st, sql, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, key, (int)keylen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		rv = dot_err_set(e, DOT_ESTATE_NOT_FOUND, "no such node");
	else if (rc != SQLITE_ROW)
		rv = st_sqlerr(st, e, "nodes");
	else if (node_row(s, out) != DOT_OK)
		rv = dot_err_set(e, DOT_ESTATE_STORAGE,
				 "a nodes row is malformed");
	sqlite3_reset(s);
	return rv;
}

int
dot_state_nodes(struct dot_state *st, dot_state_node_fn fn, void *ctx,
		struct dot_err *e)
{
	static const char sql[] = "SELECT " NODE_COLS " FROM nodes"
				  " ORDER BY raft_id";
	struct dot_state_node n;
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (node_row(s, &n) != DOT_OK) {
			sqlite3_reset(s);
			return dot_err_set(e, DOT_ESTATE_STORAGE,
					   "a nodes row is malformed");
		}
		if ((rv = fn(ctx, &n)) != 0) {
			sqlite3_reset(s);
			return rv;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return st_sqlerr(st, e, "nodes");
	return DOT_OK;
}

uint64_t
dot_state_nodes_epoch(const struct dot_state *st)
{
	return st->nodes_epoch;
}

/* 1 if a row of `nodes` has raft id id (another key's), or an active one
 * has raft address addr; 0 if not; -code on error. */
static int
node_taken(struct dot_state *st, const char *sql, int text, const void *v,
	   struct dot_err *e)
{
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return -rv;
	if (text)
		sqlite3_bind_text(s, 1, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, *(const sqlite3_int64 *)v);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -st_sqlerr(st, e, "nodes");
	return rc == SQLITE_ROW;
}

/* How many active voters there are: -code on error. */
static int64_t
active_voters(struct dot_state *st, struct dot_err *e)
{
	static const char sql[] = "SELECT count(*) FROM nodes"
				  " WHERE status = 1 AND role = 1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return -rv;
	if (sqlite3_step(s) != SQLITE_ROW)
		return -st_sqlerr(st, e, "nodes");
	return sqlite3_column_int64(s, 0);
}

/*
 * Admit a node whose key, raft id and active raft address are free (the
 * caller checked the key; this checks the raft id and the address).
 * DOT_ESTATE_EXISTS otherwise.
 */
static int
node_admit(struct dot_state *st, const uint8_t *key, size_t keylen,
	   const char *raft_addr, const char *api_addr, int role,
	   uint64_t index, struct dot_err *e)
{
	static const char by_id[] = "SELECT 1 FROM nodes WHERE raft_id = ?1";
	static const char by_addr[] = "SELECT 1 FROM nodes WHERE raft_addr ="
				      " ?1 AND status = 1";
	static const char ins[] =
		"INSERT INTO nodes (raft_id, pk, raft_addr, api_addr, role,"
		" status, admitted, removed) VALUES (?1, ?2, ?3, ?4, ?5, 1,"
		" ?6, 0)";
	sqlite3_int64 id = (sqlite3_int64)dot_state_node_raft_id(key, keylen);
	sqlite3_stmt *s;
	int rv;

	if ((rv = node_taken(st, by_id, 0, &id, e)) < 0)
		return -rv;
	if (rv)
		return dot_err_set(e, DOT_ESTATE_EXISTS,
				   "raft id %" PRIu64 " is another node's "
				   "(a collision of key hashes): use another "
				   "node key",
				   (uint64_t)id);
	if ((rv = node_taken(st, by_addr, 1, raft_addr, e)) < 0)
		return -rv;
	if (rv)
		return dot_err_set(e, DOT_ESTATE_EXISTS,
				   "raft address %s is an active node's",
				   raft_addr);
	if ((rv = st_prepare(st, ins, &s, e)) != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, key, (int)keylen, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, raft_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, api_addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, role);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "nodes");
	st->nodes_dirty = 1;
	return DOT_OK;
}

/* ---- the genesis's first node ---- */

static int
addr_arg(const char *s, size_t n, int empty_ok,
	 char out[DOT_STATE_MAX_ADDR + 1], struct dot_err *e)
{
	if (!(empty_ok && n == 0) && dot_state_addr_check(s, n, e) != DOT_OK)
		return DOT_EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return DOT_OK;
}

int
node_genesis_encode(const uint8_t *key, size_t keylen, const char *raft_addr,
		    const char *api_addr, unsigned policy,
		    struct dot_buf *out, struct dot_err *e)
{
	char ctx[sizeof(e->msg)];

	if (api_addr == NULL)
		api_addr = "";
	if (key == NULL || !dot_state_node_key_valid(key, keylen))
		return dot_err_set(e, DOT_EINVAL,
				   "the node key must be " NODE_KEY_RULE);
	if (node_key_policy(policy, key, "node key", e) != DOT_OK)
		return DOT_EPOLICY;
	if (raft_addr == NULL ||
	    dot_state_addr_check(raft_addr, strlen(raft_addr), e) != DOT_OK) {
		snprintf(ctx, sizeof(ctx), "%s", e && raft_addr ? e->msg : "");
		return dot_err_set(e, DOT_EINVAL, "raft address: %s", ctx);
	}
	if (api_addr[0] != '\0' &&
	    dot_state_addr_check(api_addr, strlen(api_addr), e) != DOT_OK) {
		snprintf(ctx, sizeof(ctx), "%s", e ? e->msg : "");
		return dot_err_set(e, DOT_EINVAL, "API address: %s", ctx);
	}
	dot_enc_map(out, 3);
	dot_enc_uint(out, 1);
	dot_enc_bstr(out, key, keylen);
	dot_enc_uint(out, 2);
	dot_enc_tstr(out, raft_addr, strlen(raft_addr));
	dot_enc_uint(out, 3);
	dot_enc_tstr(out, api_addr, strlen(api_addr));
	return out->err;
}

int
node_genesis(struct dot_state *st, struct dot_dec *d, uint64_t index,
	     struct dot_err *e)
{
	char raft[DOT_STATE_MAX_ADDR + 1], api[DOT_STATE_MAX_ADDR + 1];
	char ctx[sizeof(e->msg)];
	const uint8_t *pk;
	const char *ra, *aa;
	size_t pklen, ral, aal;
	uint64_t n, k1, k2, k3;

	if (dot_dec_map(d, &n) != DOT_OK || n != 3 ||
	    dot_dec_uint(d, &k1) != DOT_OK || k1 != 1 ||
	    dot_dec_bstr(d, &pk, &pklen) != DOT_OK ||
	    dot_dec_uint(d, &k2) != DOT_OK || k2 != 2 ||
	    dot_dec_tstr(d, &ra, &ral) != DOT_OK ||
	    dot_dec_uint(d, &k3) != DOT_OK || k3 != 3 ||
	    dot_dec_tstr(d, &aa, &aal) != DOT_OK)
		return dot_err_set(e, DOT_ESTATE_GENESIS,
				   "genesis key 5 is {1: node key, 2: raft "
				   "address, 3: API address}");
	if (!dot_state_node_key_valid(pk, pklen))
		return dot_err_set(e, DOT_ESTATE_GENESIS,
				   "genesis node key: " NODE_KEY_RULE);
	if (node_key_policy(st->crypto_policy, pk, "genesis node key", e) !=
	    DOT_OK)
		return DOT_EPOLICY;
	if (addr_arg(ra, ral, 0, raft, e) != DOT_OK ||
	    addr_arg(aa, aal, 1, api, e) != DOT_OK) {
		snprintf(ctx, sizeof(ctx), "%s", e ? e->msg : "");
		return dot_err_set(e, DOT_ESTATE_GENESIS, "genesis node: %s",
				   ctx);
	}
	return node_admit(st, pk, pklen, raft, api, DOT_NODE_VOTER, index, e);
}

/* ---- invitations ---- */

struct invite {
	int role;
	uint64_t expires, created;
	int used;
};

/* The invites row of account: DOT_OK, DOT_ESTATE_NOT_FOUND. */
static int
invite_get(struct dot_state *st, const char *account, struct invite *inv,
	   struct dot_err *e)
{
	static const char sql[] = "SELECT role, expires, created, used FROM"
				  " invites WHERE account = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return DOT_ESTATE_NOT_FOUND;
	if (rc != SQLITE_ROW)
		return st_sqlerr(st, e, "invites");
	inv->role = sqlite3_column_int(s, 0);
	inv->expires = (uint64_t)sqlite3_column_int64(s, 1);
	inv->created = (uint64_t)sqlite3_column_int64(s, 2);
	inv->used = sqlite3_column_int(s, 3);
	return DOT_OK;
}

int
invite_account(struct dot_state *st, const char *account, struct dot_err *e)
{
	struct invite inv = {0};
	int rv;

	/* Only node.invite makes rows, and all their names start so: the
	 * accounts of every other tx are known without a lookup. */
	if (strncmp(account, INVITE_PREFIX, sizeof(INVITE_PREFIX) - 1) != 0)
		return 0;
	rv = invite_get(st, account, &inv, e);
	if (rv == DOT_ESTATE_NOT_FOUND)
		return 0;
	return rv == DOT_OK ? 1 : -rv;
}

/* ---- operations ---- */

/* Argument key k: a node or invite key. */
static int
arg_key(struct op *o, uint64_t k, const char *what, const uint8_t **pk,
	size_t *n)
{
	int rv;

	if ((rv = fs_args_key(o, k)) != DOT_OK)
		return rv;
	if (dot_dec_bstr(&o->args, pk, n) != DOT_OK ||
	    !dot_state_node_key_valid(*pk, *n))
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (%s) must be "
				   NODE_KEY_RULE, k, what);
	return node_key_policy(o->st->crypto_policy, *pk, what, o->e);
}

static int
arg_role(struct op *o, uint64_t k, int *role)
{
	uint64_t v;
	int rv;

	if ((rv = fs_args_key(o, k)) != DOT_OK)
		return rv;
	if (dot_dec_uint(&o->args, &v) != DOT_OK || v < DOT_NODE_VOTER ||
	    v > DOT_NODE_OBSERVER)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (role) must be 1 "
				   "(voter), 2 (standby) or 3 (observer)",
				   k);
	*role = (int)v;
	return DOT_OK;
}

static int
arg_addr(struct op *o, uint64_t k, const char *what, int empty_ok,
	 char out[DOT_STATE_MAX_ADDR + 1])
{
	struct dot_err ae = {0, ""};
	const char *s;
	size_t n;
	int rv;

	if ((rv = fs_args_key(o, k)) != DOT_OK)
		return rv;
	if (dot_dec_tstr(&o->args, &s, &n) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (%s) must be text",
				   k, what);
	if (addr_arg(s, n, empty_ok, out, &ae) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (%s): %s", k, what,
				   ae.msg);
	return DOT_OK;
}

/*
 * node.invite {1: invite key, 2: role, 3: expires}: by whoever has
 * authority over "/" (as account.create). Creates the invite account
 * "join-<key id>" (owner and active: the invite key, weight 1, threshold
 * 1), expiring at `expires`, and its invites row.
 */
int
op_node_invite(struct op *o)
{
	static const char keyq[] = "SELECT 1 FROM level_keys WHERE keyid = ?1"
				   " AND pk = ?2";
	static const char ins[] =
		"INSERT INTO invites (account, role, expires, created, used)"
		" VALUES (?1, ?2, ?3, ?4, 0)";
	char name[INVITE_NAME_LEN + 1];
	const uint8_t *pk;
	uint8_t id[DOT_KEY_ID_LEN];
	size_t pklen;
	uint64_t expires;
	sqlite3_stmt *s;
	int rv, role = 0, rc;

	if ((rv = fs_args_map(o, 3)) != DOT_OK ||
	    (rv = arg_key(o, 1, "invite key", &pk, &pklen)) != DOT_OK ||
	    (rv = arg_role(o, 2, &role)) != DOT_OK ||
	    (rv = fs_args_key(o, 3)) != DOT_OK)
		return rv;
	if (dot_dec_uint(&o->args, &expires) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument 3 (expires) must be Unix "
				   "seconds");
	if (expires <= o->time || expires - o->time > DOT_STATE_MAX_INVITE ||
	    expires > DOT_STATE_MAX_EXPIRY)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument 3 (expires) %" PRIu64 " must be "
				   "after the entry time %" PRIu64 " and at "
				   "most %u s (7 days) later",
				   expires, o->time, DOT_STATE_MAX_INVITE);
	if ((rv = op_authorize(o, DOT_RIGHT_ADMIN, "/", "/")) != DOT_OK)
		return rv;
	invite_name(pk, pklen, name);
	rv = account_exists(o->st, name, o->e);
	if (rv < 0)
		return -rv;
	if (rv)
		return dot_err_set(o->e, DOT_ESTATE_EXISTS,
				   "account %s exists: this invite key was "
				   "used before; draw a fresh one",
				   name);
	/* A key that already acts for an account would make the invitation
	 * that account's too at the channel: invite keys are fresh. */
	dot_key_id(pk, pklen, id);
	if ((rv = st_prepare(o->st, keyq, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, id, DOT_KEY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, pk, (int)pklen, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return dot_err_set(o->e, DOT_ESTATE_EXISTS,
				   "the invite key is an account's key "
				   "already: draw a fresh one");
	if (rc != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "level keys");
	if ((rv = account_create_one(o->st, name, o->index, pk, pklen,
				     expires, o->e)) != DOT_OK)
		return rv;
	if ((rv = st_prepare(o->st, ins, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, role);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)expires);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "invites");
	return DOT_OK;
}

/*
 * node.join {1: node key, 2: raft addr, 3: api addr, 4: proof}: by an
 * invite account (its active level). The proof is the node key's
 * signature over
 *   "doteros-node-join/1" || cluster id || account || 0x00 || node key ||
 *   raft addr || 0x00 || api addr
 * The node is admitted with the invitation's role; the invitation is used
 * and its account ends at the entry time.
 */
int
op_node_join(struct op *o)
{
	static const char use[] = "UPDATE invites SET used = 1"
				  " WHERE account = ?1";
	const struct dot_tx_payload *p = &o->tx->p;
	char raft[DOT_STATE_MAX_ADDR + 1], api[DOT_STATE_MAX_ADDR + 1];
	const uint8_t *pk, *proof;
	size_t pklen, prooflen;
	struct dot_state_node old;
	struct invite inv = {0};
	struct dot_buf msg = {0};
	sqlite3_stmt *s;
	int rv;

	if ((rv = fs_args_map(o, 4)) != DOT_OK ||
	    (rv = arg_key(o, 1, "node key", &pk, &pklen)) != DOT_OK ||
	    (rv = arg_addr(o, 2, "raft address", 0, raft)) != DOT_OK ||
	    (rv = arg_addr(o, 3, "API address", 1, api)) != DOT_OK ||
	    (rv = fs_args_key(o, 4)) != DOT_OK)
		return rv;
	if (dot_dec_bstr(&o->args, &proof, &prooflen) != DOT_OK ||
	    prooflen == 0 || prooflen > DOT_SIGN_SIG_MAX)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument 4 (proof) must be a signature "
				   "(1-%d bytes)",
				   DOT_SIGN_SIG_MAX);
	if (p->auth_kind != DOT_TX_AUTH_ACCOUNT || p->level_len != 6 ||
	    memcmp(p->level, "active", 6) != 0)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "node.join is signed by an invitation's "
				   "key, as INVITE@active");
	if ((rv = op_authorize(o, 0, "/", NULL)) != DOT_OK)
		return rv;
	rv = invite_get(o->st, o->principal, &inv, o->e);
	if (rv == DOT_ESTATE_NOT_FOUND)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "account %s holds no invitation (node.join "
				   "is by an account node.invite made)",
				   o->principal);
	if (rv != DOT_OK)
		return rv;
	if (inv.used)
		return dot_err_set(o->e, DOT_ESTATE_CONFLICT,
				   "invitation %s was used: an invitation "
				   "admits one node",
				   o->principal);
	if (o->time >= inv.expires)
		return dot_err_set(o->e, DOT_ESTATE_ACCOUNT_EXPIRED,
				   "invitation %s expired at %" PRIu64
				   ", the time is %" PRIu64,
				   o->principal, inv.expires, o->time);
	/* Proof of possession of the node key, bound to this cluster, this
	 * invitation and these addresses. */
	dot_buf_put(&msg, join_domain, sizeof(join_domain) - 1);
	dot_buf_put(&msg, o->st->cluster_id, DOT_CLUSTER_ID_LEN);
	dot_buf_put(&msg, o->principal, strlen(o->principal) + 1);
	dot_buf_put(&msg, pk, pklen);
	dot_buf_put(&msg, raft, strlen(raft) + 1);
	dot_buf_put(&msg, api, strlen(api));
	if (msg.err) {
		dot_buf_free(&msg);
		return DOT_ENOMEM;
	}
	rv = dot_verify(pk, pklen, msg.data, msg.len, proof, prooflen);
	dot_buf_free(&msg);
	if (rv != DOT_OK)
		return dot_err_set(o->e, DOT_ECRYPTO_SIGNATURE,
				   "the proof is not the node key's signature "
				   "over this cluster, invitation and "
				   "addresses (%s)",
				   dot_strerror(rv));
	rv = dot_state_node_get(o->st, pk, pklen, &old, o->e);
	if (rv == DOT_OK)
		return dot_err_set(
		    o->e, DOT_ESTATE_EXISTS,
		    old.status == DOT_NODE_ACTIVE
			? "the key is node %" PRIu64 "'s already"
			: "the key was node %" PRIu64 "'s, removed at "
			  "entry %" PRIu64 ": a removed key never comes "
			  "back; make the node a new key",
		    old.raft_id, old.removed);
	if (rv != DOT_ESTATE_NOT_FOUND)
		return rv;
	if ((rv = node_admit(o->st, pk, pklen, raft, api, inv.role, o->index,
			     o->e)) != DOT_OK)
		return rv;
	if ((rv = st_prepare(o->st, use, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, o->principal, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "invites");
	/* Single use: the account ends now, so it can sign nothing more. */
	return account_set_expiry(o->st, o->principal, o->time, o->e);
}

/* The active node of argument 1, for node.remove and node.role:
 * NOT_FOUND when there is none (or it was removed). */
static int
active_node(struct op *o, const uint8_t *pk, size_t pklen,
	    struct dot_state_node *n)
{
	int rv = dot_state_node_get(o->st, pk, pklen, n, o->e);

	if (rv == DOT_ESTATE_NOT_FOUND)
		return dot_err_set(o->e, DOT_ESTATE_NOT_FOUND,
				   "no node has this key");
	if (rv != DOT_OK)
		return rv;
	if (n->status != DOT_NODE_ACTIVE)
		return dot_err_set(o->e, DOT_ESTATE_NOT_FOUND,
				   "node %" PRIu64 " was removed at entry "
				   "%" PRIu64,
				   n->raft_id, n->removed);
	return DOT_OK;
}

/* Refuse taking the last active voter away: the cluster would have no
 * one to commit anything, this change included. */
static int
keep_a_voter(struct op *o, const struct dot_state_node *n, const char *what)
{
	int64_t v;

	if (n->role != DOT_NODE_VOTER)
		return DOT_OK;
	v = active_voters(o->st, o->e);
	if (v < 0)
		return (int)-v;
	if (v <= 1)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "node %" PRIu64 " is the last active "
				   "voter: %s would leave the cluster "
				   "unable to commit; admit or promote "
				   "another voter first",
				   n->raft_id, what);
	return DOT_OK;
}

/* node.remove {1: node key}: by whoever has authority over "/". */
int
op_node_remove(struct op *o)
{
	static const char sql[] = "UPDATE nodes SET status = 2, removed = ?2"
				  " WHERE pk = ?1";
	struct dot_state_node n;
	const uint8_t *pk;
	size_t pklen;
	sqlite3_stmt *s;
	int rv;

	if ((rv = fs_args_map(o, 1)) != DOT_OK ||
	    (rv = arg_key(o, 1, "node key", &pk, &pklen)) != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, DOT_RIGHT_ADMIN, "/", "/")) != DOT_OK ||
	    (rv = active_node(o, pk, pklen, &n)) != DOT_OK ||
	    (rv = keep_a_voter(o, &n, "removing it")) != DOT_OK)
		return rv;
	if ((rv = st_prepare(o->st, sql, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, pk, (int)pklen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "nodes");
	o->st->nodes_dirty = 1;
	return DOT_OK;
}

/* node.role {1: node key, 2: role}: by whoever has authority over "/".
 * The same role again changes nothing. */
int
op_node_role(struct op *o)
{
	static const char sql[] = "UPDATE nodes SET role = ?2 WHERE pk = ?1";
	struct dot_state_node n;
	const uint8_t *pk;
	size_t pklen;
	sqlite3_stmt *s;
	char what[40];
	int rv, role = 0;

	if ((rv = fs_args_map(o, 2)) != DOT_OK ||
	    (rv = arg_key(o, 1, "node key", &pk, &pklen)) != DOT_OK ||
	    (rv = arg_role(o, 2, &role)) != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, DOT_RIGHT_ADMIN, "/", "/")) != DOT_OK ||
	    (rv = active_node(o, pk, pklen, &n)) != DOT_OK)
		return rv;
	if (role == n.role)
		return DOT_OK;
	snprintf(what, sizeof(what), "making it %s", role_name(role));
	if ((rv = keep_a_voter(o, &n, what)) != DOT_OK)
		return rv;
	if ((rv = st_prepare(o->st, sql, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, pk, (int)pklen, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, role);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "nodes");
	o->st->nodes_dirty = 1;
	return DOT_OK;
}

struct list_ctx {
	struct dot_buf items;
	uint64_t n;
};

static int
list_one(void *ctx, const struct dot_state_node *n)
{
	struct list_ctx *l = ctx;

	dot_enc_array(&l->items, 8);
	dot_enc_bstr(&l->items, n->key, n->keylen);
	dot_enc_uint(&l->items, n->raft_id);
	dot_enc_tstr(&l->items, n->raft_addr, strlen(n->raft_addr));
	dot_enc_tstr(&l->items, n->api_addr, strlen(n->api_addr));
	dot_enc_uint(&l->items, (uint64_t)n->role);
	dot_enc_uint(&l->items, (uint64_t)n->status);
	dot_enc_uint(&l->items, n->admitted);
	dot_enc_uint(&l->items, n->removed);
	l->n++;
	return l->items.err;
}

/*
 * node.list {} (a read, through "query"; in a batch, a read receipt):
 * [[key, raft id, raft addr, api addr, role, status, admitted, removed],
 * ...] in raft id order. Any account of the cluster may read it (an
 * invitation may not: op_authorize); a token is refused, as for
 * account.get.
 */
int
op_node_list(struct op *o)
{
	struct list_ctx l = {{0}, 0};
	int rv;

	if ((rv = fs_args_map(o, 0)) != DOT_OK)
		return rv;
	if (o->tx->p.auth_kind != DOT_TX_AUTH_ACCOUNT)
		return dot_err_set(o->e, DOT_ESTATE_DENIED,
				   "the nodes are read by an account, not "
				   "through a token");
	if ((rv = op_authorize(o, 0, "/", NULL)) != DOT_OK)
		return rv;
	if (o->out == NULL)
		return DOT_OK;
	rv = dot_state_nodes(o->st, list_one, &l, o->e);
	if (rv == DOT_OK) {
		dot_enc_array(o->out, l.n);
		dot_buf_put(o->out, l.items.data, l.items.len);
		rv = o->out->err;
	}
	dot_buf_free(&l.items);
	return rv;
}
