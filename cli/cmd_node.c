/*
 * cmd_node.c - dot node list | invite | join | remove | promote | demote:
 * the cluster's nodes, which are ledger objects, and membership by
 * invitation (docs/state-model.md §8.5, docs/decisions/0017).
 *
 * dot node invite draws a fresh invitation key, submits node.invite, and
 * prints the invitation as one string, a text form like dotpk1's:
 *
 *   "dotinv1" + base64url(CBOR || checksum)
 *   CBOR  {1: cluster id (bstr 16), 2: invitation seed (bstr 32),
 *          3: a node API address to contact (text), 4: that node's key
 *          (bstr: suite || key, Ed25519 or composite), ?5: the role
 *          (uint), ?6: the active nodes [[node key, raft addr], ...],
 *          ?7: the cluster's crypto policy (text, as dot status gives it;
 *          absent: classic)}
 *
 * Key 6 lets the new node's dotd know its peers before its state does:
 * dot node join writes them to DIR/members, [1, cluster id, [[node key,
 * raft addr], ...]] (the file daemon/dotd.c reads while its state names
 * no node). An invitation account can read nothing, node.list included,
 * so the inviter, who can, puts them in.
 *
 * The seed is the invitation account's key (Ed25519, or under a hybrid
 * policy the composite of that seed, crypto.md §13.6), so the string is a
 * secret until it is used: whoever holds it may join one node. dot node
 * join decodes it, connects to the address as the invitation (the secure
 * channel's first contact pinned to the node key it names), proves it
 * holds the new node's key (DIR/node.seed) and submits node.join.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/net.h"
#include "doteros/state.h"
#include "dot.h"
#include "invite.h"

#define DEFAULT_RAFT_ADDR "127.0.0.1:7401"

enum { OPT_ROLE = 0x2100, OPT_EXPIRES, OPT_INVITE, OPT_DIR, OPT_RAFT, OPT_API };

/* ---- roles and node rows ---- */

static const char *
role_name(uint64_t role)
{
	switch (role) {
	case DOT_NODE_VOTER:
		return "voter";
	case DOT_NODE_STANDBY:
		return "standby";
	case DOT_NODE_OBSERVER:
		return "observer";
	default:
		return "unknown";
	}
}

static int
role_parse(const char *s, uint64_t *role)
{
	if (strcmp(s, "voter") == 0)
		*role = DOT_NODE_VOTER;
	else if (strcmp(s, "standby") == 0)
		*role = DOT_NODE_STANDBY;
	else if (strcmp(s, "observer") == 0)
		*role = DOT_NODE_OBSERVER;
	else
		return -1;
	return 0;
}

/* One row of node.list's answer. */
struct nrow {
	uint8_t key[DOT_SIGN_PK_MAX];
	size_t keylen;
	uint64_t raft_id, role, status, admitted, removed;
	char raft_addr[DOT_STATE_MAX_ADDR + 1];
	char api_addr[DOT_STATE_MAX_ADDR + 1];
};

typedef int (*nrow_fn)(void *ctx, const struct nrow *r);

/* Walk node.list's answer [[key, raft id, raft addr, api addr, role,
 * status, admitted, removed], ...], checking every field. A non-zero
 * return of fn stops the walk and is returned (fn returns a negative
 * number to stop without an error). */
static int
nodes_walk(const struct dot_buf *ans, nrow_fn fn, void *ctx,
	   struct dot_err *e)
{
	struct dot_dec d;
	uint64_t n, eight;
	struct nrow r;

	if (dot_dec_init(&d, ans->data, ans->len, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &n) != DOT_OK)
		goto bad;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *k;
		const char *ra, *aa;
		size_t rl, al;
		int rv;

		memset(&r, 0, sizeof(r));
		if (dot_dec_array(&d, &eight) != DOT_OK || eight != 8 ||
		    dot_dec_bstr(&d, &k, &r.keylen) != DOT_OK ||
		    r.keylen == 0 || r.keylen > DOT_SIGN_PK_MAX ||
		    dot_dec_uint(&d, &r.raft_id) != DOT_OK ||
		    dot_dec_tstr(&d, &ra, &rl) != DOT_OK ||
		    rl > DOT_STATE_MAX_ADDR ||
		    dot_dec_tstr(&d, &aa, &al) != DOT_OK ||
		    al > DOT_STATE_MAX_ADDR ||
		    dot_dec_uint(&d, &r.role) != DOT_OK ||
		    dot_dec_uint(&d, &r.status) != DOT_OK ||
		    dot_dec_uint(&d, &r.admitted) != DOT_OK ||
		    dot_dec_uint(&d, &r.removed) != DOT_OK)
			goto bad;
		memcpy(r.key, k, r.keylen);
		memcpy(r.raft_addr, ra, rl);
		memcpy(r.api_addr, aa, al);
		if ((rv = fn(ctx, &r)) != 0)
			return rv;
	}
	if (!dot_dec_done(&d))
		goto bad;
	return DOT_OK;
bad:
	return dot_err_set(e, DOT_EAPI_FORMAT,
			   "the node's answer to node.list is malformed (an "
			   "array of [key, raft id, raft address, API "
			   "address, role, status, admitted, removed])");
}

static int
session_nodes(struct cli_session *s, struct dot_buf *ans, struct dot_err *e)
{
	struct dot_buf args = {0};
	int rv;

	dot_enc_map(&args, 0);
	rv = cli_session_query_args(s, "node.list", &args, ans, e);
	dot_buf_free(&args);
	return rv;
}

/* Find a row by key (keylen > 0) or by raft id. */
struct nfind {
	const uint8_t *key;
	size_t keylen;
	uint64_t raft_id;
	struct nrow row;
	int found;
};

static int
nfind_cb(void *ctx, const struct nrow *r)
{
	struct nfind *f = ctx;

	if (f->keylen > 0 ? r->keylen == f->keylen &&
				    memcmp(r->key, f->key, f->keylen) == 0
			  : r->raft_id == f->raft_id) {
		f->row = *r;
		f->found = 1;
		return -1; /* found: stop (errors are positive codes) */
	}
	return 0;
}

static void
json_node(struct json *j, const struct nrow *r)
{
	char text[DOT_PK_TEXT_MAX], id[2 * DOT_KEY_ID_LEN + 1];

	cli_pk_text(r->key, r->keylen, text);
	cli_key_id_hex(r->key, r->keylen, id);
	json_obj_begin(j);
	json_kuint(j, "raft_id", r->raft_id);
	json_kstr(j, "node_key", text);
	json_kstr(j, "key_id", id);
	json_kstr(j, "role", role_name(r->role));
	json_kstr(j, "status", r->status == DOT_NODE_ACTIVE ? "active"
			       : r->status == DOT_NODE_REMOVED ? "removed"
							      : "unknown");
	json_kstr(j, "raft_addr", r->raft_addr);
	json_kstr(j, "api_addr", r->api_addr);
	json_kuint(j, "admitted", r->admitted);
	json_kuint(j, "removed", r->removed);
	json_obj_end(j);
}

/* ---- refusals ---- */

/* What to do about a refused node op (client.c's hints are about paths
 * and accounts). */
static const char *
node_hint(const char *op, int code, const char *detail)
{
	int join = strcmp(op, "node.join") == 0;

	switch (code) {
	case DOT_ESTATE_ACCOUNT_EXPIRED:
	case DOT_ESTATE_CONFLICT:
		return join ? "the invitation was used or has expired: ask "
			      "for a new one (dot node invite)"
			    : NULL;
	case DOT_ECRYPTO_SIGNATURE:
		return "the node key's proof did not verify: join again with "
		       "the same invitation and DIR";
	case DOT_ESTATE_EXISTS:
		if (strstr(detail, "raft address") != NULL)
			return "an active node has that raft address: give "
			       "another --raft-addr";
		if (join)
			return "this node key is (or was) a member, and a "
			       "removed key never joins again: use a new DIR "
			       "(a new node.seed) with a new invitation";
		return "run dot node invite again: it draws a fresh key";
	case DOT_ESTATE_DENIED:
		if (strstr(detail, "last active voter") != NULL)
			return "promote another node first (dot node promote)";
		if (join)
			return "join with the invitation dot node invite "
			       "printed (dot node join --invite)";
		return "act as the admin, or whoever has authority over / "
		       "(--as admin@active --key KEY)";
	case DOT_ESTATE_NOT_FOUND:
		return "dot node list shows the nodes and their status";
	case DOT_ETX_EXPIRED:
	case DOT_ETX_NOT_YET_VALID:
		return "this machine's clock disagrees with the node's: "
		       "compare with the time 'dot status' shows";
	default:
		return NULL;
	}
}

/* Report a receipt: a success as cli_receipt_report does; a refusal with
 * the node op's hint, and with --json {ok: false, error, message, tx_id,
 * ledger_index, entry_time}. */
static int
node_report(const char *op, const char *target, const struct dot_receipt *r,
	    cli_json_fn fn, void *ctx)
{
	char detail[DOT_RECEIPT_MAX_DETAIL + 1], hex[2 * DOT_TX_ID_LEN + 1];
	const char *hint;

	if (r->status == DOT_OK)
		return cli_receipt_report(op, target, r, fn, ctx);
	snprintf(detail, sizeof(detail), "%.*s", (int)r->detail_len,
		 r->detail ? r->detail : "");
	cli_hex(hex, r->tx_id, DOT_TX_ID_LEN);
	hint = node_hint(op, r->status, detail);
	fflush(stdout);
	fprintf(stderr, "%s: refused: %s (%s)%s%s\n", cli_prog(),
		dot_errname(r->status), dot_strerror(r->status),
		detail[0] ? ": " : "", detail);
	fprintf(stderr,
		"%s: the refusal is recorded at ledger index %" PRIu64
		" (tx %s)\n",
		cli_prog(), r->ledger_index, hex);
	if (hint != NULL)
		fprintf(stderr, "%s: hint: %s\n", cli_prog(), hint);
	if (cli_json()) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 0);
		json_kstr(&j, "error", dot_errname(r->status));
		json_kstr(&j, "message",
			  detail[0] ? detail : dot_strerror(r->status));
		json_kstr(&j, "tx_id", hex);
		json_kuint(&j, "ledger_index", r->ledger_index);
		json_kuint(&j, "entry_time", r->entry_time);
		json_obj_end(&j);
		json_finish(&j);
	}
	return DOT_EXIT_FAIL;
}

/* ---- dot node list ---- */

static const char list_help[] =
    "Lists every node the ledger ever admitted, in raft id order: its raft\n"
    "id, role (voter: takes part in consensus; standby; observer: a read\n"
    "replica), status (active, or removed at an entry: a removed key never\n"
    "comes back), the ledger index that admitted it, its raft (node-to-\n"
    "node) and API addresses and its key. Any account may read it, acting\n"
    "as any of its levels.\n"
    "\n"
    "With --keys, prints instead the checkpoint verifier key of each active\n"
    "voter, one per line: the keys file that 'dot audit cosigned', 'dot\n"
    "audit receipt verify' and 'dot --quorum-receipt' read (by default\n"
    "$DOT_DIR/quorum-keys). It is what this node's ledger says: compare it\n"
    "with another node's, or check it out of band, before relying on it.\n"
    "\n"
    "Options:\n"
    "      --keys       the active voters' verifier keys, one per line\n";

struct list_out {
	struct json j;
	size_t n;
	int check; /* only check the answer */
	int keys;  /* --keys: the voters' verifier keys */
};

static int
list_cb(void *ctx, const struct nrow *r)
{
	struct list_out *l = ctx;
	char text[DOT_PK_TEXT_MAX];

	l->n++;
	if (l->check)
		return 0;
	if (l->keys) {
		struct dot_audit_vkey vk;
		struct dot_buf t = {0};
		uint8_t kid[DOT_KEY_ID_LEN];
		char name[64], kh[2 * DOT_KEY_ID_LEN + 1];

		if (r->role != DOT_NODE_VOTER || r->status != DOT_NODE_ACTIVE)
			return 0;
		/* the name dotd signs checkpoints under: node-<key id> */
		dot_key_id(r->key, r->keylen, kid);
		cli_hex(kh, kid, sizeof(kid));
		snprintf(name, sizeof(name), "node-%s", kh);
		if (dot_audit_vkey_from_pk(&vk, name, strlen(name), r->key,
					   r->keylen) != DOT_OK ||
		    dot_audit_vkey_encode(&vk, &t) != DOT_OK) {
			dot_buf_free(&t);
			return -1;
		}
		if (cli_json())
			json_strn(&l->j, (const char *)t.data, t.len);
		else
			printf("%.*s\n", (int)t.len, (const char *)t.data);
		dot_buf_free(&t);
		return 0;
	}
	if (cli_json()) {
		json_node(&l->j, r);
		return 0;
	}
	cli_pk_text(r->key, r->keylen, text);
	printf("node %" PRIu64 ": %s, ", r->raft_id, role_name(r->role));
	if (r->status == DOT_NODE_ACTIVE)
		printf("active since entry %" PRIu64 "\n", r->admitted);
	else
		printf("removed at entry %" PRIu64 " (admitted at %" PRIu64
		       ")\n",
		       r->removed, r->admitted);
	printf("  raft %s, API %s\n  key  %s\n", r->raft_addr,
	       r->api_addr[0] ? r->api_addr : "none", text);
	return 0;
}

int
cmd_node_list(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_KEYS = 300 };
	static const struct option opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"keys", no_argument, NULL, OPT_KEYS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_auth auth;
	struct cli_session s;
	struct dot_buf ans = {0};
	struct dot_err e = {0};
	struct list_out l;
	int c, k, status, keys = 0;

	(void)self;
	memset(&auth, 0, sizeof(auth));
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		if (c == OPT_KEYS) {
			keys = 1;
			continue;
		}
		if (c == 'h') {
			cli_help(list_help);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		}
		return cli_badopt(c, argv);
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if ((k = cli_auth_check(&auth)) != 0)
		return k;
	if (cli_session_open(&s, &auth, &e) != DOT_OK ||
	    session_nodes(&s, &ans, &e) != DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	/* Check the whole answer before printing any of it. */
	memset(&l, 0, sizeof(l));
	l.check = 1;
	if (nodes_walk(&ans, list_cb, &l, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	memset(&l, 0, sizeof(l));
	l.keys = keys;
	if (cli_json()) {
		json_init(&l.j, stdout);
		json_obj_begin(&l.j);
		json_kbool(&l.j, "ok", 1);
		json_key(&l.j, keys ? "keys" : "nodes");
		json_arr_begin(&l.j);
	}
	if (nodes_walk(&ans, list_cb, &l, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	if (cli_json()) {
		json_arr_end(&l.j);
		json_obj_end(&l.j);
		json_finish(&l.j);
	} else if (l.n == 0) {
		printf("no nodes: the genesis named none (dot init names the "
		       "first)\n");
	}
	status = DOT_EXIT_OK;
out:
	dot_buf_free(&ans);
	cli_session_close(&s);
	return status;
}

/* ---- the invitation ---- */

/* Collect the active nodes of node.list's answer into inv's members. */
static int
members_cb(void *ctx, const struct nrow *r)
{
	struct invite *inv = ctx;

	if (r->status != DOT_NODE_ACTIVE ||
	    !dot_state_node_key_valid(r->key, r->keylen))
		return 0;
	if (inv->nmembers == INVITE_MEMBERS)
		return 0; /* enough to reach the cluster */
	memcpy(inv->members[inv->nmembers].key, r->key, r->keylen);
	inv->members[inv->nmembers].keylen = r->keylen;
	memcpy(inv->members[inv->nmembers].raft_addr, r->raft_addr,
	       sizeof(r->raft_addr));
	inv->nmembers++;
	return 0;
}

/* The suite of the keys a node and an invitation have under a policy. */
static uint8_t
policy_suite(unsigned policy)
{
	return policy & DOT_POLICY_HYBRID ? DOT_SUITE_ED25519_MLDSA65
					  : DOT_SUITE_ED25519;
}

/* "join-" + the invitation key's key id in hex (state-model.md §8.5). */
static void
invite_account(const uint8_t *pk, size_t n, char out[40])
{
	char id[2 * DOT_KEY_ID_LEN + 1];

	cli_key_id_hex(pk, n, id);
	snprintf(out, 40, "join-%s", id);
}

/* audit.key: the node's key ({1: "name+id+base64", 2: origin}). */
static int
node_key_of(struct cli_session *s, uint8_t pk[DOT_SIGN_PK_MAX],
	    size_t *pklen, struct dot_err *e)
{
	static const uint8_t empty[] = {0x80};
	struct dot_buf res = {0};
	struct dot_audit_vkey vk;
	struct dot_dec d;
	const char *key, *origin;
	size_t klen, olen;
	uint64_t n, k1, k2, status;
	int rv;

	rv = cli_node_call(&s->node, "audit.key", empty, sizeof(empty),
			   &status, &res, e);
	if (rv == DOT_OK && status != DOT_OK)
		rv = dot_err_set(e, (int)status, "audit.key: %s",
				 (const char *)res.data);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &n) != DOT_OK || n != 2 ||
	    dot_dec_uint(&d, &k1) != DOT_OK || k1 != 1 ||
	    dot_dec_tstr(&d, &key, &klen) != DOT_OK ||
	    dot_dec_uint(&d, &k2) != DOT_OK || k2 != 2 ||
	    dot_dec_tstr(&d, &origin, &olen) != DOT_OK ||
	    dot_audit_vkey_parse(&vk, key, klen, NULL) != DOT_OK ||
	    !dot_state_node_key_valid(vk.key, vk.key_len)) {
		rv = dot_err_set(e, DOT_EAPI_FORMAT,
				 "the node at %s sent a malformed key "
				 "(audit.key)",
				 s->node.addr);
		goto out;
	}
	memcpy(pk, vk.key, vk.key_len);
	*pklen = vk.key_len;
	/* Over TCP it is the key the channel authenticated (decision 0013):
	 * anything else is not that node. */
	if (s->node.ch != NULL) {
		uint8_t kx[DOT_NET_KEY_LEN];

		if (dot_sign_pk_to_kx(pk, *pklen, kx) != DOT_OK ||
		    sodium_memcmp(kx, dot_net_peer(s->node.ch)->static_pk,
				  DOT_NET_KEY_LEN) != 0)
			rv = dot_err_set(e, DOT_EAUDIT_KEY,
					 "the node at %s names a key that is "
					 "not its channel's: not inviting "
					 "to it",
					 s->node.addr);
	}
out:
	dot_buf_free(&res);
	return rv;
}

/* ---- dot node invite ---- */

static const char invite_help[] =
    "Invites one node to join the cluster. Draws a fresh invitation key,\n"
    "submits node.invite (which makes the invitation's account, join-ID,\n"
    "able to do nothing but admit one node with the given role until it\n"
    "expires), and prints the invitation: one dotinv1... string holding\n"
    "the cluster id, the invitation's key, the address dot talked to (on\n"
    "the Unix socket: the node's API address in the ledger, if it has one)\n"
    "and that node's key.\n"
    "\n"
    "The string is a SECRET until it is used: whoever holds it may join a\n"
    "node. Hand it to the new node's operator only, over a channel you\n"
    "trust; it works once, and not after it expires. On the new machine:\n"
    "  dot node join --invite - --dir DIR < invite.txt\n"
    "Acting as whoever may create accounts (authority over /).\n"
    "\n"
    "Options:\n"
    "      --role R            voter (default), standby or observer\n"
    "      --expires T         when the invitation ends: a duration (30m, "
    "2h, 7d),\n"
    "                          +N{s,m,h,d}, RFC 3339 UTC or @UNIXSECONDS; "
    "at most\n"
    "                          7 days ahead (default 1h)\n";

/* DURATION (N{s,m,h,d}) or a time of cli_parse_time. */
static int
expires_arg(const char *s, uint64_t now, uint64_t *out, struct dot_err *e)
{
	size_t n = strlen(s);
	char rel[32];

	if (n >= 2 && n < sizeof(rel) - 1 && s[0] >= '0' && s[0] <= '9' &&
	    strchr("smhd", s[n - 1]) != NULL &&
	    strspn(s, "0123456789") == n - 1) {
		snprintf(rel, sizeof(rel), "+%s", s);
		s = rel;
	}
	return cli_parse_time(s, now, out, e);
}

struct invite_json {
	const char *text, *account, *addr;
	const uint8_t *node_pk;
	uint64_t role, expires;
};

int
cmd_node_invite(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"role", required_argument, NULL, OPT_ROLE},
	    {"expires", required_argument, NULL, OPT_EXPIRES},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_auth auth;
	struct cli_session s;
	struct invite inv;
	struct dot_receipt *r = NULL;
	struct dot_sign_sk *isk = NULL;
	struct dot_buf args = {0}, ans = {0}, text = {0};
	struct dot_err e = {0};
	const char *role_arg = "voter", *exp_arg = "1h";
	char acct[40], iso[40], hex[2 * DOT_TX_ID_LEN + 1];
	const char *contact;
	struct nfind f;
	uint8_t ipk[DOT_SIGN_PK_MAX];
	size_t ipklen;
	uint64_t role, expires, now = cli_now();
	int c, k, status = DOT_EXIT_FAIL, opened = 0;

	(void)self;
	memset(&auth, 0, sizeof(auth));
	memset(&inv, 0, sizeof(inv));
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_ROLE:
			role_arg = optarg;
			break;
		case OPT_EXPIRES:
			exp_arg = optarg;
			break;
		case 'h':
			cli_help(invite_help);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (role_parse(role_arg, &role) != 0)
		return cli_usage("--role '%s': give voter, standby or observer",
				 role_arg);
	if (expires_arg(exp_arg, now, &expires, &e) != DOT_OK)
		return cli_usage("--expires: %s", e.msg);
	if (expires <= now)
		return cli_usage("--expires '%s' is not in the future",
				 exp_arg);
	if (expires - now > DOT_STATE_MAX_INVITE)
		return cli_usage("--expires '%s': an invitation lasts at most "
				 "7 days",
				 exp_arg);
	if ((k = cli_auth_check(&auth)) != 0)
		return k;

	opened = 1;
	if (cli_session_open(&s, &auth, &e) != DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	/* The cluster's crypto policy, from its node (an older node that
	 * does not say is classic), and the invitation's key of that
	 * policy: fresh, from a seed that only the string will hold. */
	inv.policy = DOT_POLICY_CLASSIC;
	if (s.status.policy[0] != '\0' &&
	    dot_policy_parse(s.status.policy, &inv.policy) != DOT_OK) {
		dot_err_set(&e, DOT_EAPI_FORMAT,
			    "the node at %s names an unknown crypto policy "
			    "'%s': is this dot older than the node?",
			    s.node.addr, s.status.policy);
		status = cli_fail(&e);
		goto out;
	}
	if ((inv.seed = sodium_malloc(DOT_SEED_LEN)) == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		status = cli_fail(&e);
		goto out;
	}
	randombytes_buf(inv.seed, DOT_SEED_LEN);
	if (dot_sign_sk_from_seed(&isk, policy_suite(inv.policy), inv.seed) !=
	    DOT_OK) {
		dot_err_set(&e, DOT_ENOMEM, "cannot make the invitation key");
		status = cli_fail(&e);
		goto out;
	}
	ipklen = dot_sign_sk_public(isk, ipk);
	invite_account(ipk, ipklen, acct);
	inv.role = role;
	dot_enc_map(&args, 3);
	dot_enc_uint(&args, 1);
	dot_enc_bstr(&args, ipk, ipklen);
	dot_enc_uint(&args, 2);
	dot_enc_uint(&args, role);
	dot_enc_uint(&args, 3);
	dot_enc_uint(&args, expires);

	if (cli_session_submit(&s, "node.invite", &args, NULL, 0, &r, &e) !=
	    DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	if (r->status != DOT_OK) {
		status = node_report("node.invite", acct, r, NULL, NULL);
		goto out;
	}
	/* Whom the joiner is to contact, and that node's key. */
	memcpy(inv.cid, s.status.cluster_id, DOT_CLUSTER_ID_LEN);
	if (node_key_of(&s, inv.node_pk, &inv.node_pklen, &e) != DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	/* The active nodes, for the new node's DIR/members, and this
	 * node's row: node.list, which the inviter may read (an account;
	 * with a token it may not, and the invitation names no nodes). */
	memset(&f, 0, sizeof(f));
	f.key = inv.node_pk;
	f.keylen = inv.node_pklen;
	{
		struct dot_err le = {0};

		if (session_nodes(&s, &ans, &le) == DOT_OK &&
		    (inv.members = calloc(INVITE_MEMBERS,
					  sizeof(*inv.members))) != NULL &&
		    nodes_walk(&ans, members_cb, &inv, &le) == DOT_OK) {
			(void)nodes_walk(&ans, nfind_cb, &f, &le);
		} else {
			free(inv.members);
			inv.members = NULL;
			inv.nmembers = 0;
			cli_warn("note: the nodes could not be read (%s): the "
				 "invitation names none, so the new node "
				 "learns its peers only from its ledger",
				 le.msg[0] ? le.msg : "out of memory");
		}
	}
	contact = s.node.addr;
	if (s.node.ch == NULL) {
		/* On the Unix socket: the node's API address, if the
		 * ledger has one; this socket is of no use elsewhere. */
		if (f.found && f.row.api_addr[0] != '\0')
			contact = f.row.api_addr;
		else
			cli_warn("note: the invitation names %s, which only "
				 "this machine can reach (the node has no "
				 "API address in the ledger; reach it over "
				 "TCP, DOT_ADDR=HOST:PORT, to name that)",
				 contact);
	}
	if (strlen(contact) > INVITE_ADDR_MAX ||
	    !invite_contact_ok(contact, strlen(contact))) {
		dot_err_set(&e, DOT_EINVAL,
			    "the node's address %s cannot go into an "
			    "invitation (host:port or unix:/path, at most "
			    "%d bytes)",
			    contact, INVITE_ADDR_MAX);
		status = cli_fail(&e);
		goto out;
	}
	memcpy(inv.addr, contact, strlen(contact) + 1);
	if (invite_encode(&inv, &text) != DOT_OK) {
		dot_err_set(&e, DOT_ENOMEM, "cannot encode the invitation");
		status = cli_fail(&e);
		goto out;
	}
	cli_format_time(expires, iso, sizeof(iso));
	cli_hex(hex, r->tx_id, DOT_TX_ID_LEN);
	if (cli_json()) {
		struct json j;
		char nk[DOT_PK_TEXT_MAX];

		cli_pk_text(inv.node_pk, inv.node_pklen, nk);
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "invite", (const char *)text.data);
		json_kstr(&j, "account", acct);
		json_kstr(&j, "role", role_name(role));
		json_key(&j, "expires");
		json_obj_begin(&j);
		json_kuint(&j, "unix", expires);
		json_kstr(&j, "utc", iso);
		json_obj_end(&j);
		json_kstr(&j, "address", inv.addr);
		json_kstr(&j, "node_key", nk);
		json_kuint(&j, "ledger_index", r->ledger_index);
		json_kstr(&j, "tx_id", hex);
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("%s\n", (const char *)text.data);
		fflush(stdout);
		fprintf(stderr,
			"%s: invitation %s: one %s may join through %s until "
			"%s (ledger index %" PRIu64 ")\n"
			"%s: the string is a SECRET until it is used: give "
			"it only to the new node's operator, who runs\n"
			"%s:   dot node join --invite - --dir DIR  (the string "
			"on standard input)\n",
			cli_prog(), acct, role_name(role), inv.addr, iso,
			r->ledger_index, cli_prog(), cli_prog());
	}
	status = DOT_EXIT_OK;
out:
	if (text.data != NULL)
		sodium_memzero(text.data, text.cap);
	dot_buf_free(&text);
	dot_buf_free(&args);
	dot_buf_free(&ans);
	dot_receipt_free(r);
	dot_sign_sk_free(isk);
	invite_free(&inv);
	if (opened)
		cli_session_close(&s);
	return status;
}

/* ---- dot node join ---- */

static const char join_help[] =
    "Joins the cluster with an invitation (from dot node invite). Reads\n"
    "the node key DIR/node.seed, making it (and DIR, mode 0700) when it is\n"
    "missing, as dotd does; connects to the node the invitation names, as\n"
    "the invitation (over TCP the secure channel checks that node's key,\n"
    "which the invitation carries); signs the proof that it holds the node\n"
    "key (over the cluster, the invitation and the addresses) and submits\n"
    "node.join. The ledger admits the node with the invitation's role; the\n"
    "invitation is then used up. The nodes the invitation names are\n"
    "written to DIR/members, for dotd to know its peers until its ledger\n"
    "does.\n"
    "\n"
    "--invite takes the string itself, a FILE holding it, or - for\n"
    "standard input (which keeps the secret out of the process list).\n"
    "\n"
    "Options:\n"
    "      --invite S|FILE|-   the invitation (dotinv1...)\n"
    "      --dir DIR           the new node's data directory\n"
    "      --raft-addr H:P     its node-to-node (raft) address (default "
    DEFAULT_RAFT_ADDR ")\n"
    "      --api-addr H:P      its client API address (default none)\n"
    "      --json              print {ok, raft_id, role, node_key, "
    "raft_addr, ...}\n"
    "  -h, --help              this help\n"
    "\n"
    "$DOT_DIR/known_nodes remembers the contacted node's key.\n";

/* Remember the invitation's node key for its address before the first
 * contact (chan.c's known_nodes: "ADDR CLUSTER-ID NODE-KEY" in hex), so
 * the channel is pinned to it rather than trusting whoever answers. A line
 * for that address with another cluster or key is an alarm; other nodes
 * of the cluster have keys of their own (decision 0019). */
static int
pin_node(const struct invite *inv, struct dot_err *e)
{
	char dir[4000], path[4100], line[600];
	char c[2 * DOT_CLUSTER_ID_LEN + 1], k[2 * DOT_NET_KEY_LEN + 1];
	uint8_t kx[DOT_NET_KEY_LEN], known[DOT_NET_KEY_LEN];
	uint8_t kcid[DOT_CLUSTER_ID_LEN];
	struct dot_buf f = {0};
	int found, rv;

	if (dot_sign_pk_to_kx(inv->node_pk, inv->node_pklen, kx) != DOT_OK)
		return dot_err_set(e, DOT_EINVAL,
				   "--invite: the node key has no X25519 form");
	if ((rv = cli_known_addr(inv->addr, &found, kcid, known, e)) != DOT_OK)
		return rv;
	cli_hex(c, inv->cid, DOT_CLUSTER_ID_LEN);
	cli_hex(k, kx, DOT_NET_KEY_LEN);
	if (found) {
		if (sodium_memcmp(known, kx, DOT_NET_KEY_LEN) == 0 &&
		    memcmp(kcid, inv->cid, DOT_CLUSTER_ID_LEN) == 0)
			return DOT_OK;
		return dot_err_set(
		    e, DOT_EAUDIT_KEY,
		    "ALARM: the invitation names node key %s of cluster %s at "
		    "%s, but $DOT_DIR/known_nodes remembers another node "
		    "there: one of them is not that node; confirm the key out "
		    "of band before joining",
		    k, c, inv->addr);
	}
	if ((rv = cli_dot_dir(dir, sizeof(dir), e)) != DOT_OK ||
	    (rv = cli_mkdirs(dir, e)) != DOT_OK)
		return rv;
	snprintf(path, sizeof(path), "%s/known_nodes", dir);
	if (access(path, F_OK) == 0 &&
	    (rv = cli_read_file(path, 1u << 20, &f, e)) != DOT_OK)
		goto out;
	while (f.len > 0 && f.data[f.len - 1] == '\n')
		f.len--;
	if (f.len > 0)
		dot_buf_put(&f, "\n", 1);
	snprintf(line, sizeof(line), "%s %s %s", inv->addr, c, k);
	dot_buf_put(&f, line, strlen(line));
	if (f.err)
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
	else
		rv = cli_write_file(path, f.data, f.len, e);
out:
	dot_buf_free(&f);
	return rv;
}

/* DIR/members: [1, cluster id, [[node key, raft addr], ...]], the nodes
 * the invitation named, for dotd to know its peers until its state names
 * them (daemon/dotd.c). Binary, mode 0600, replaced atomically. */
static int
write_members(const char *dir, const struct invite *inv, char *path,
	      size_t cap, struct dot_err *e)
{
	struct dot_buf b = {0};
	int rv;

	if ((size_t)snprintf(path, cap, "%s/members", dir) >= cap)
		return dot_err_set(e, DOT_ETOOBIG, "directory path too long");
	dot_enc_array(&b, 3);
	dot_enc_uint(&b, 1);
	dot_enc_bstr(&b, inv->cid, DOT_CLUSTER_ID_LEN);
	dot_enc_array(&b, inv->nmembers);
	for (size_t i = 0; i < inv->nmembers; i++) {
		dot_enc_array(&b, 2);
		dot_enc_bstr(&b, inv->members[i].key, inv->members[i].keylen);
		dot_enc_tstr(&b, inv->members[i].raft_addr,
			     strlen(inv->members[i].raft_addr));
	}
	rv = b.err ? dot_err_set(e, DOT_ENOMEM, "out of memory")
		   : cli_write_bytes(path, b.data, b.len, e);
	dot_buf_free(&b);
	return rv;
}

/* Set an environment variable for this command and put it back after
 * (the shell runs commands in one process). */
struct env_saved {
	const char *name;
	char *old; /* NULL: it was unset */
	int set;
};

static int
env_set(struct env_saved *v, const char *name, const char *value)
{
	const char *cur = getenv(name);

	v->name = name;
	v->old = cur != NULL ? strdup(cur) : NULL;
	if (cur != NULL && v->old == NULL)
		return -1;
	v->set = 1;
	return setenv(name, value, 1);
}

static void
env_restore(struct env_saved *v)
{
	if (!v->set)
		return;
	if (v->old != NULL)
		setenv(v->name, v->old, 1);
	else
		unsetenv(v->name);
	free(v->old);
	v->set = 0;
}

int
cmd_node_join(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"invite", required_argument, NULL, OPT_INVITE},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"raft-addr", required_argument, NULL, OPT_RAFT},
	    {"api-addr", required_argument, NULL, OPT_API},
	    {"json", no_argument, NULL, CLI_OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *invite_arg = NULL, *dir = NULL;
	const char *raft = DEFAULT_RAFT_ADDR, *api = "";
	struct cli_auth auth;
	struct cli_session s;
	struct invite inv;
	struct env_saved env_addr = {0}, env_cluster = {0};
	struct dot_receipt *r = NULL;
	struct dot_sign_sk *nsk = NULL, *isk = NULL;
	struct dot_buf itext = {0}, msg = {0}, args = {0};
	struct dot_err e = {0};
	char acct[40], as[48], cid[2 * DOT_CLUSTER_ID_LEN + 1];
	char mpath[4200] = "";
	uint8_t npk[DOT_SIGN_PK_MAX], ipk[DOT_SIGN_PK_MAX];
	uint8_t proof[DOT_SIGN_SIG_MAX];
	size_t npklen, ipklen, prooflen;
	int c, status = DOT_EXIT_FAIL, made = 0, opened = 0;

	(void)self;
	memset(&inv, 0, sizeof(inv));
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_INVITE:
			invite_arg = optarg;
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_RAFT:
			raft = optarg;
			break;
		case OPT_API:
			api = optarg;
			break;
		case CLI_OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(join_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (invite_arg == NULL)
		return cli_usage("missing --invite: the dotinv1 string dot "
				 "node invite printed (or a file holding it, "
				 "or - for standard input)");
	if (dir == NULL)
		return cli_usage("missing --dir DIR: the new node's data "
				 "directory (its key is DIR/node.seed)");
	if (dot_state_addr_check(raft, strlen(raft), &e) != DOT_OK)
		return cli_usage("--raft-addr: %s", e.msg);
	if (api[0] != '\0' && dot_state_addr_check(api, strlen(api), &e) !=
				      DOT_OK)
		return cli_usage("--api-addr: %s", e.msg);

	/* The invitation: the string, a file, or standard input. */
	if (strcmp(invite_arg, "-") == 0 ||
	    strncmp(invite_arg, INVITE_PREFIX, strlen(INVITE_PREFIX)) != 0) {
		if (dot_buf_reserve(&itext, INVITE_TEXT_MAX + 1) != DOT_OK ||
		    cli_read_file(invite_arg, INVITE_TEXT_MAX, &itext, &e) !=
			    DOT_OK) {
			if (e.msg[0] == '\0')
				dot_err_set(&e, DOT_ENOMEM, "out of memory");
			status = cli_fail(&e);
			goto out;
		}
		dot_buf_put(&itext, "", 1);
		if (memchr(itext.data, '\0', itext.len - 1) != NULL) {
			dot_err_set(&e, DOT_EINVAL,
				    "--invite %s: not an invitation (a NUL "
				    "byte)",
				    invite_arg);
			status = cli_fail(&e);
			goto out;
		}
	} else {
		dot_buf_put(&itext, invite_arg, strlen(invite_arg) + 1);
	}
	if (itext.err) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		status = cli_fail(&e);
		goto out;
	}
	if (invite_decode((const char *)itext.data, &inv, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	/* The invitation's key and this node's, of the suite of the
	 * cluster's policy (its key 7). */
	if (dot_sign_sk_from_seed(&isk, policy_suite(inv.policy), inv.seed) !=
	    DOT_OK) {
		dot_err_set(&e, DOT_EINVAL, "--invite: a bad invitation key");
		status = cli_fail(&e);
		goto out;
	}
	ipklen = dot_sign_sk_public(isk, ipk);
	invite_account(ipk, ipklen, acct);
	snprintf(as, sizeof(as), "%s@active", acct);

	/* The new node's key. */
	if (cli_mkdirs(dir, &e) != DOT_OK ||
	    cli_node_seed(dir, policy_suite(inv.policy), &nsk, &made, &e) !=
		    DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	npklen = dot_sign_sk_public(nsk, npk);
	if (!dot_policy_allows(inv.policy, npk[0], 0)) {
		dot_err_set(&e, DOT_EPOLICY,
			    "the node key %s/node.seed is %s, but the "
			    "cluster's crypto policy %s takes only "
			    "ed25519+ml-dsa-65 node keys: join from a new "
			    "directory (its key is made there)",
			    dir, dot_suite_name(npk[0]),
			    dot_policy_name(inv.policy));
		status = cli_fail(&e);
		goto out;
	}
	/* The proof of possession (state-model.md §8.5):
	 * "doteros-node-join/1" || cluster id || account || 00 ||
	 * node key || raft addr || 00 || api addr */
	dot_buf_put(&msg, "doteros-node-join/1", 19);
	dot_buf_put(&msg, inv.cid, DOT_CLUSTER_ID_LEN);
	dot_buf_put(&msg, acct, strlen(acct) + 1);
	dot_buf_put(&msg, npk, npklen);
	dot_buf_put(&msg, raft, strlen(raft) + 1);
	dot_buf_put(&msg, api, strlen(api));
	if (msg.err || dot_sign(nsk, msg.data, msg.len, proof, &prooflen) !=
			       DOT_OK) {
		dot_err_set(&e, DOT_ENOMEM, "cannot sign the proof");
		status = cli_fail(&e);
		goto out;
	}
	dot_enc_map(&args, 4);
	dot_enc_uint(&args, 1);
	dot_enc_bstr(&args, npk, npklen);
	dot_enc_uint(&args, 2);
	dot_enc_tstr(&args, raft, strlen(raft));
	dot_enc_uint(&args, 3);
	dot_enc_tstr(&args, api, strlen(api));
	dot_enc_uint(&args, 4);
	dot_enc_bstr(&args, proof, prooflen);

	/* The node the invitation names, as the invitation. */
	cli_hex(cid, inv.cid, DOT_CLUSTER_ID_LEN);
	if (env_set(&env_addr, "DOT_ADDR", inv.addr) != 0 ||
	    env_set(&env_cluster, "DOT_CLUSTER", cid) != 0) {
		dot_err_set(&e, DOT_ENOMEM, "cannot set DOT_ADDR");
		status = cli_fail(&e);
		goto out;
	}
	if (cli_addr_is_tcp() && pin_node(&inv, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	cli_channel_key_open(isk);
	opened = 1;
	c = cli_session_open(&s, NULL, &e);
	cli_channel_key_open(NULL);
	if (c == DOT_ENET_REFUSED_BY_PEER)
		/* The node knows the invitation's key only while its account
		 * is valid: used, expired, or of another cluster. */
		dot_err_set(&e, c,
			    "the node at %s refused the invitation (%s): it "
			    "was used or has expired, or the node is not of "
			    "its cluster; ask for a new one (dot node invite)",
			    inv.addr, acct);
	if (c != DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	if (memcmp(s.status.cluster_id, inv.cid, DOT_CLUSTER_ID_LEN) != 0) {
		char other[2 * DOT_CLUSTER_ID_LEN + 1];

		cli_hex(other, s.status.cluster_id, DOT_CLUSTER_ID_LEN);
		dot_err_set(&e, DOT_ETX_CLUSTER,
			    "the node at %s is of cluster %s, the invitation "
			    "is for %s",
			    s.node.addr, other, cid);
		status = cli_fail(&e);
		goto out;
	}
	memset(&auth, 0, sizeof(auth));
	auth.as = as;
	auth.keys[0] = "(the invitation)";
	auth.nkeys = 1;
	s.auth = &auth;
	s.sk[0] = isk; /* the session frees it */
	s.nsk = 1;
	isk = NULL;
	if (cli_session_submit(&s, "node.join", &args, NULL, 0, &r, &e) !=
	    DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	if (r->status != DOT_OK) {
		status = node_report("node.join", acct, r, NULL, NULL);
		goto out;
	}
	/* Admitted: the peers for the new node's dotd. */
	if (inv.nmembers > 0 &&
	    write_members(dir, &inv, mpath, sizeof(mpath), &e) != DOT_OK) {
		char ctx[sizeof(e.msg)];

		snprintf(ctx, sizeof(ctx), "%s", e.msg);
		dot_err_set(&e, e.code,
			    "the node was admitted (ledger index %" PRIu64
			    "), but %s",
			    r->ledger_index, ctx);
		status = cli_fail(&e);
		goto out;
	}
	{
		char nk[DOT_PK_TEXT_MAX], hex[2 * DOT_TX_ID_LEN + 1];
		uint64_t id = dot_state_node_raft_id(npk, npklen);
		const char *rn = inv.role ? role_name(inv.role) : "as invited";

		cli_pk_text(npk, npklen, nk);
		cli_hex(hex, r->tx_id, DOT_TX_ID_LEN);
		if (cli_json()) {
			struct json j;

			json_init(&j, stdout);
			json_obj_begin(&j);
			json_kbool(&j, "ok", 1);
			json_kuint(&j, "raft_id", id);
			json_kstr(&j, "role", rn);
			json_kstr(&j, "node_key", nk);
			json_kstr(&j, "raft_addr", raft);
			json_kstr(&j, "api_addr", api);
			json_kstr(&j, "dir", dir);
			json_kbool(&j, "node_key_made", made);
			json_kstr(&j, "account", acct);
			json_kstr(&j, "address", inv.addr);
			if (mpath[0] != '\0')
				json_kstr(&j, "members", mpath);
			else
				json_knull(&j, "members");
			json_kuint(&j, "member_nodes", inv.nmembers);
			json_kuint(&j, "ledger_index", r->ledger_index);
			json_kstr(&j, "tx_id", hex);
			json_obj_end(&j);
			json_finish(&j);
		} else {
			printf("admitted node %" PRIu64 " (%s) at ledger index "
			       "%" PRIu64 "\n"
			       "node key: %s (%s %s/node.seed)\n"
			       "raft:     %s\n"
			       "API:      %s\n",
			       id, rn, r->ledger_index, nk,
			       made ? "made" : "from", dir, raft,
			       api[0] ? api : "none");
			if (mpath[0] != '\0')
				printf("peers:    %zu nodes, in %s\n",
				       inv.nmembers, mpath);
		}
	}
	status = DOT_EXIT_OK;
out:
	if (itext.data != NULL)
		sodium_memzero(itext.data, itext.cap);
	dot_buf_free(&itext);
	dot_buf_free(&msg);
	dot_buf_free(&args);
	dot_receipt_free(r);
	dot_sign_sk_free(nsk);
	dot_sign_sk_free(isk);
	invite_free(&inv);
	if (opened)
		cli_session_close(&s);
	env_restore(&env_cluster);
	env_restore(&env_addr);
	return status;
}

/* ---- dot node remove | promote | demote ---- */

static const char remove_help[] =
    "Removes the node (by its key, dotpk1..., or its raft id, as dot node\n"
    "list shows them) from the cluster, for good: its key never joins\n"
    "again (a new machine, or this one, joins with a new key and a new\n"
    "invitation). The last active voter cannot be removed. Acting as\n"
    "whoever may create accounts (authority over /).\n"
    "\n"
    "Options:\n";

static const char promote_help[] =
    "Makes the node (by key or raft id) a voter: it takes part in\n"
    "consensus. Acting as whoever may create accounts (authority over /).\n"
    "\n"
    "Options:\n";

static const char demote_help[] =
    "Makes a node (by key or raft id) a standby, or with --role observer\n"
    "an observer (a read replica). The last active voter cannot be\n"
    "demoted. Acting as whoever may create accounts (authority over /).\n"
    "\n"
    "Options:\n"
    "      --role R            standby (default) or observer\n";

enum change { CH_REMOVE, CH_PROMOTE, CH_DEMOTE };

struct change_json {
	const struct nrow *row;
	uint64_t role;
	enum change what;
};

static void
json_change(struct json *j, void *ctx)
{
	const struct change_json *c = ctx;
	char nk[DOT_PK_TEXT_MAX];

	cli_pk_text(c->row->key, c->row->keylen, nk);
	json_kuint(j, "raft_id", c->row->raft_id);
	json_kstr(j, "node_key", nk);
	if (c->what == CH_REMOVE)
		json_kstr(j, "status", "removed");
	else
		json_kstr(j, "role", role_name(c->role));
}

static int
node_change(int argc, char **argv, enum change what, const char *help)
{
	static const struct option opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"role", required_argument, NULL, OPT_ROLE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_auth auth;
	struct cli_session s;
	struct dot_receipt *r = NULL;
	struct dot_buf ans = {0}, args = {0};
	struct dot_err e = {0};
	struct nfind f;
	struct change_json cj;
	uint8_t pk[DOT_SIGN_PK_MAX];
	const char *target, *role_arg = NULL;
	const char *op = what == CH_REMOVE ? "node.remove" : "node.role";
	char label[40];
	uint64_t role = what == CH_PROMOTE ? DOT_NODE_VOTER : DOT_NODE_STANDBY;
	int c, k, status;

	memset(&auth, 0, sizeof(auth));
	memset(&f, 0, sizeof(f));
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		if (c == OPT_ROLE && what == CH_DEMOTE) {
			role_arg = optarg;
			continue;
		}
		if (c == 'h') {
			cli_help(help);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		}
		return cli_badopt(c, argv);
	}
	if (argc - optind < 1)
		return cli_usage("missing KEY|RAFT-ID: the node's key "
				 "(dotpk1...) or its raft id (dot node list "
				 "shows both)");
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	target = argv[optind];
	if (role_arg != NULL &&
	    (role_parse(role_arg, &role) != 0 || role == DOT_NODE_VOTER))
		return cli_usage("--role '%s': a demoted node is a standby or "
				 "an observer (dot node promote makes a "
				 "voter)",
				 role_arg);
	if (strncmp(target, "dotpk1", 6) == 0) {
		if (dot_pk_from_text(target, pk, sizeof(pk), &f.keylen) !=
			    DOT_OK ||
		    !dot_state_node_key_valid(pk, f.keylen))
			return cli_usage("KEY '%.24s...': not a node key (an "
					 "Ed25519 dotpk1 key, copied whole)",
					 target);
		f.key = pk;
	} else if (cli_parse_u64(target, 1, INT64_MAX, &f.raft_id) != 0) {
		return cli_usage("'%s' is neither a node key (dotpk1...) nor "
				 "a raft id (a number; dot node list shows "
				 "both)",
				 target);
	}
	if ((k = cli_auth_check(&auth)) != 0)
		return k;
	if (cli_session_open(&s, &auth, &e) != DOT_OK ||
	    session_nodes(&s, &ans, &e) != DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	if (nodes_walk(&ans, nfind_cb, &f, &e) > 0) {
		status = cli_fail(&e);
		goto out;
	}
	if (!f.found) {
		/* By key, let the ledger say it; by raft id, no key to send. */
		if (f.keylen == 0) {
			dot_err_set(&e, DOT_ESTATE_NOT_FOUND,
				    "no node has raft id %" PRIu64
				    " (dot node list shows them)",
				    f.raft_id);
			status = cli_fail(&e);
			goto out;
		}
		memcpy(f.row.key, f.key, f.keylen);
		f.row.keylen = f.keylen;
		f.row.raft_id = dot_state_node_raft_id(f.key, f.keylen);
	}
	dot_enc_map(&args, what == CH_REMOVE ? 1 : 2);
	dot_enc_uint(&args, 1);
	dot_enc_bstr(&args, f.row.key, f.row.keylen);
	if (what != CH_REMOVE) {
		dot_enc_uint(&args, 2);
		dot_enc_uint(&args, role);
	}
	if (cli_session_submit(&s, op, &args, NULL, 0, &r, &e) != DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	snprintf(label, sizeof(label), "node %" PRIu64, f.row.raft_id);
	cj.row = &f.row;
	cj.role = role;
	cj.what = what;
	status = node_report(op, label, r, json_change, &cj);
	if (status == DOT_EXIT_OK && !cli_json())
		printf("node %" PRIu64 " is %s\n", f.row.raft_id,
		       what == CH_REMOVE ? "removed" : role_name(role));
out:
	dot_buf_free(&ans);
	dot_buf_free(&args);
	dot_receipt_free(r);
	cli_session_close(&s);
	return status;
}

int
cmd_node_remove(const struct dot_cmd *self, int argc, char **argv)
{
	(void)self;
	return node_change(argc, argv, CH_REMOVE, remove_help);
}

int
cmd_node_promote(const struct dot_cmd *self, int argc, char **argv)
{
	(void)self;
	return node_change(argc, argv, CH_PROMOTE, promote_help);
}

int
cmd_node_demote(const struct dot_cmd *self, int argc, char **argv)
{
	(void)self;
	return node_change(argc, argv, CH_DEMOTE, demote_help);
}
