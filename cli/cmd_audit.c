/*
 * cmd_audit.c - dot audit log|prove|verify: the node's tamper-evident log
 * (docs/audit-format.md) checked from the outside.
 *
 * Online, everything is fetched over the node API (audit.key,
 * audit.checkpoint, audit.prove, audit.consistency; docs/api-protocol.md)
 * and nothing the node says is believed until it is checked: a checkpoint
 * must carry a valid signature of the node's key, every record shown is
 * proved to be a leaf of that checkpoint's tree (its leaf recomputed here
 * from the tx and receipt bytes), and a later checkpoint must extend the one
 * seen before (RFC 9162 §2.1.4). The node's key is trusted on first use and
 * kept in $DOT_DIR/trust/<origin>; the last checkpoint seen is kept in
 * $DOT_DIR/checkpoints/<origin>. The key must also be the node's channel
 * key (decision 0014): the one the channel authenticated, and the one
 * $DOT_DIR/known_nodes remembers for the log's cluster.
 *
 * Offline (dot audit verify --dir), the data directory is checked by
 * dotd_verify (daemon/verify.c): the log's hash chain, then the state
 * database against a fresh replay of the log, table by table.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../daemon/verify.h"
#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/net.h"
#include "dot.h"

#define RECENT_DEFAULT	  100
#define LOG_COUNT_DEFAULT 100

/* ---- talking to the node ---- */

/* One call whose answer must be a success; the node's refusal becomes an
 * error naming the method. */
static int
call(struct cli_node *n, const char *method, const uint8_t *params, size_t plen,
     struct dot_buf *out, struct dot_err *e)
{
	uint64_t status;
	int rv = cli_node_call(n, method, params, plen, &status, out, e);

	if (rv != DOT_OK)
		return rv;
	if (status != DOT_OK)
		return dot_err_set(e, (int)status,
				   "the node at %s refused %s: "
				   "%s (%s)",
				   n->addr, method, (const char *)out->data,
				   dot_errname((int)status));
	return DOT_OK;
}

static int
bad_answer(const struct cli_node *n, const char *method, const char *want,
	   struct dot_err *e)
{
	return dot_err_set(e, DOT_EAPI_FORMAT,
			   "the node at %s answered %s with something other "
			   "than %s",
			   n->addr, method, want);
}

/* What we know of the node's log: its key, origin and a verified
 * checkpoint. */
/* A verifier key's NAME+ID (its text up to the second '+'), for sentences
 * whose room is bounded. */
static void
vk_label(const char *text, char *out, size_t cap)
{
	const char *p = strchr(text, '+');

	size_t n;

	p = p != NULL ? strchr(p + 1, '+') : NULL;
	n = p != NULL ? (size_t)(p - text) : strlen(text);
	if (n >= cap)
		n = cap - 1;
	memmove(out, text, n); /* out may be text */
	out[n] = '\0';
}

struct audit_log {
	struct cli_node node;
	struct dot_audit_vkey vk;
	char vk_text[CLI_TRUST_MAX];
	/* its NAME+ID, for sentences: a composite key's text is 2.7 KB */
	char vk_label[DOT_AUDIT_MAX_NAME + 10];
	char origin[DOT_AUDIT_MAX_NAME + 1];
	struct dot_audit_checkpoint *cp;
	/* verify --keys: checkpoints cosigned by a quorum of these keys
	 * (audit.cosigned) rather than signed by the node's own key */
	const struct cli_qkeys *qk;
	uint64_t min; /* --keys: the least size to ask for (the last seen) */
};

static void
audit_log_close(struct audit_log *l)
{
	cli_node_close(&l->node);
	dot_audit_checkpoint_free(l->cp);
	l->cp = NULL;
}

/* audit.key: {1: "name+id+base64", 2: origin}. */
static int
fetch_key(struct audit_log *l, struct dot_err *e)
{
	static const uint8_t empty[] = {0x80};
	struct dot_buf res = {0};
	struct dot_dec d;
	struct dot_err pe = {0};
	const char *key, *origin;
	size_t klen, olen;
	uint64_t npairs, k1, k2;
	int rv;

	if ((rv = call(&l->node, "audit.key", empty, sizeof(empty), &res, e)) !=
	    DOT_OK)
		goto out;
	if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &npairs) != DOT_OK || npairs != 2 ||
	    dot_dec_uint(&d, &k1) != DOT_OK || k1 != 1 ||
	    dot_dec_tstr(&d, &key, &klen) != DOT_OK ||
	    dot_dec_uint(&d, &k2) != DOT_OK || k2 != 2 ||
	    dot_dec_tstr(&d, &origin, &olen) != DOT_OK) {
		rv = bad_answer(&l->node, "audit.key",
				"{1: verifier key, 2: origin}", e);
		goto out;
	}
	if (klen >= sizeof(l->vk_text) ||
	    dot_audit_vkey_parse(&l->vk, key, klen, &pe) != DOT_OK) {
		rv = dot_err_set(e, DOT_EAUDIT_KEY,
				 "the node at %s sent a malformed verifier "
				 "key: %s",
				 l->node.addr, pe.msg[0] ? pe.msg : "too long");
		goto out;
	}
	memcpy(l->vk_text, key, klen);
	l->vk_text[klen] = '\0';
	vk_label(l->vk_text, l->vk_label, sizeof(l->vk_label));
	if (!dot_audit_name_valid(origin, olen)) {
		rv = dot_err_set(e, DOT_EAUDIT_ORIGIN,
				 "the node at %s names its log with an invalid "
				 "origin",
				 l->node.addr);
		goto out;
	}
	memcpy(l->origin, origin, olen);
	l->origin[olen] = '\0';
out:
	dot_buf_free(&res);
	return rv;
}

/* audit.checkpoint: the note, opened with the key in l->vk. The note's
 * bytes are also copied into note_out when given. */
static int
fetch_checkpoint(struct audit_log *l, struct dot_buf *note_out,
		 struct dot_err *e)
{
	static const uint8_t empty[] = {0x80};
	struct dot_buf res = {0};
	struct dot_dec d;
	struct dot_err ce = {0};
	const char *note;
	size_t nlen;
	int rv;

	if (l->qk != NULL) {
		/* at least the size seen last time: a node further behind
		 * waits until it is there, rather than answer an older
		 * checkpoint that would look like a rollback */
		struct dot_buf min = {0};

		dot_enc_uint(&min, l->min);
		rv = min.err ? DOT_ENOMEM
			     : call(&l->node, "audit.cosigned", min.data,
				    min.len, &res, e);
		dot_buf_free(&min);
	} else
		rv = call(&l->node, "audit.checkpoint", empty, sizeof(empty),
			  &res, e);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_tstr(&d, &note, &nlen) != DOT_OK) {
		rv = bad_answer(&l->node,
				l->qk ? "audit.cosigned" : "audit.checkpoint",
				"a signed note (text)", e);
		goto out;
	}
	if (l->qk != NULL) {
		size_t quorum = l->qk->n / 2 + 1;

		rv = dot_audit_checkpoint_open(note, nlen, l->qk->k, l->qk->n,
					       l->origin, strlen(l->origin),
					       &l->cp, &ce);
		if (rv == DOT_OK && l->cp->note.nverified < quorum)
			rv = dot_err_set(&ce, DOT_EAUDIT_QUORUM,
					 "signed by %zu of the %zu voters' "
					 "keys in %s; a quorum is %zu",
					 l->cp->note.nverified, l->qk->n,
					 l->qk->path, quorum);
		if (rv != DOT_OK) {
			rv = dot_err_set(e, rv,
					 "the node's cosigned checkpoint does "
					 "not check: %s",
					 ce.msg[0] ? ce.msg : dot_strerror(rv));
			goto out;
		}
	} else {
		rv = dot_audit_checkpoint_open(note, nlen, &l->vk, 1,
					       l->origin, strlen(l->origin),
					       &l->cp, &ce);
		if (rv != DOT_OK) {
			rv = dot_err_set(e, rv,
					 "the node's checkpoint does not "
					 "verify with the key %s: %s",
					 l->vk_text,
					 ce.msg[0] ? ce.msg
						   : dot_strerror(rv));
			goto out;
		}
	}
	if (note_out != NULL) {
		note_out->len = 0;
		dot_buf_put(note_out, note, nlen);
		if (note_out->err)
			rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
	}
out:
	dot_buf_free(&res);
	return rv;
}

/* ---- one ledger record, proved ---- */

struct audit_rec {
	uint64_t seq, entry;
	struct dot_tx *tx; /* NULL when the tx bytes do not parse */
	struct dot_receipt *rc;
	uint8_t tx_id[DOT_TX_ID_LEN];
	uint8_t leaf[DOT_AUDIT_HASH_LEN];
	struct dot_audit_proof proof;
};

static void
rec_free(struct audit_rec *r)
{
	dot_tx_free(r->tx);
	dot_receipt_free(r->rc);
	r->tx = NULL;
	r->rc = NULL;
}

/*
 * audit.prove {1: seq, 2: size} against the checkpoint's size, then the
 * proof checked: the leaf is recomputed from the tx and receipt bytes
 * (the tx id as the state machine names it: dot_tx_id of a tx that
 * parses, else the hash of its bytes; state.c apply_tx).
 */
static int
rec_fetch(struct audit_log *l, uint64_t seq, struct audit_rec *r,
	  struct dot_err *e)
{
	struct dot_buf params = {0}, res = {0};
	struct dot_dec d;
	struct dot_err pe = {0};
	const uint8_t *proof, *tx, *rcp;
	size_t prlen, txlen, rclen;
	uint64_t npairs, k[4];
	uint8_t rh[DOT_HASH_LEN];
	char a[2 * DOT_TX_ID_LEN + 1], b[2 * DOT_TX_ID_LEN + 1];
	int rv;

	memset(r, 0, sizeof(*r));
	r->seq = seq;
	if (seq >= l->cp->size && l->cp->size == 0) {
		rv = dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
				 "record %" PRIu64 " is not in the log: the "
				 "log is empty (no transaction applied yet)",
				 seq);
		goto out;
	}
	if (seq >= l->cp->size) {
		rv = dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
				 "record %" PRIu64 " is not in the log: its "
				 "checkpoint has %" PRIu64
				 " record%s (0..%" PRIu64 ")",
				 seq, l->cp->size, l->cp->size == 1 ? "" : "s",
				 l->cp->size - 1);
		goto out;
	}
	dot_enc_map(&params, 2);
	dot_enc_uint(&params, 1);
	dot_enc_uint(&params, seq);
	dot_enc_uint(&params, 2);
	dot_enc_uint(&params, l->cp->size);
	if (params.err) {
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rv = call(&l->node, "audit.prove", params.data, params.len, &res,
		       e)) != DOT_OK)
		goto out;
	if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &npairs) != DOT_OK || npairs != 4 ||
	    dot_dec_uint(&d, &k[0]) != DOT_OK || k[0] != 1 ||
	    dot_dec_bstr(&d, &proof, &prlen) != DOT_OK ||
	    dot_dec_uint(&d, &k[1]) != DOT_OK || k[1] != 2 ||
	    dot_dec_bstr(&d, &tx, &txlen) != DOT_OK ||
	    dot_dec_uint(&d, &k[2]) != DOT_OK || k[2] != 3 ||
	    dot_dec_bstr(&d, &rcp, &rclen) != DOT_OK ||
	    dot_dec_uint(&d, &k[3]) != DOT_OK || k[3] != 4 ||
	    dot_dec_uint(&d, &r->entry) != DOT_OK) {
		rv = bad_answer(&l->node, "audit.prove",
				"{1: proof, 2: tx, 3: receipt, 4: entry}", e);
		goto out;
	}
	if ((rv = dot_audit_proof_parse(proof, prlen, &r->proof, &pe)) !=
	    DOT_OK) {
		rv = dot_err_set(e, rv,
				 "record %" PRIu64 ": the node's inclusion "
				 "proof is malformed: %s",
				 seq, pe.msg);
		goto out;
	}
	if ((rv = dot_receipt_parse(rcp, rclen, &r->rc, &pe)) != DOT_OK) {
		rv = dot_err_set(e, rv,
				 "record %" PRIu64 ": its receipt is "
				 "malformed: %s",
				 seq, pe.msg);
		goto out;
	}
	if (dot_tx_parse(tx, txlen, &r->tx, &pe) == DOT_OK) {
		memcpy(r->tx_id, r->tx->id, DOT_TX_ID_LEN);
	} else {
		static const char dom[] = "dot-tx-v1 unparsed";
		struct dot_hash_ctx h;

		dot_hash_init(&h);
		dot_hash_update(&h, dom, sizeof(dom) - 1);
		dot_hash_update(&h, tx, txlen);
		dot_hash_final(&h, r->tx_id);
	}
	if (memcmp(r->tx_id, r->rc->tx_id, DOT_TX_ID_LEN) != 0) {
		cli_hex(a, r->tx_id, DOT_TX_ID_LEN);
		cli_hex(b, r->rc->tx_id, DOT_TX_ID_LEN);
		rv = dot_err_set(e, DOT_EAUDIT_INCLUSION,
				 "record %" PRIu64 ": its tx is %s but its "
				 "receipt is for tx %s",
				 seq, a, b);
		goto out;
	}
	if (r->rc->ledger_index != r->entry) {
		rv = dot_err_set(e, DOT_EAUDIT_INCLUSION,
				 "record %" PRIu64 ": the node says ledger "
				 "entry %" PRIu64
				 " but its receipt says %" PRIu64,
				 seq, r->entry, r->rc->ledger_index);
		goto out;
	}
	dot_receipt_hash(rcp, rclen, rh);
	dot_audit_leaf(r->tx_id, rh, r->leaf);
	rv = dot_audit_checkpoint_verify_inclusion(l->cp, r->leaf, seq,
						   &r->proof, &pe);
	if (rv != DOT_OK)
		rv = dot_err_set(
		    e, rv,
		    "record %" PRIu64 " is not proved to be in "
		    "the log of the signed checkpoint (size %" PRIu64 "): %s",
		    seq, l->cp->size, pe.msg[0] ? pe.msg : dot_strerror(rv));
out:
	dot_buf_free(&params);
	dot_buf_free(&res);
	if (rv != DOT_OK)
		rec_free(r);
	return rv;
}

/* "alice@active", "token of key 1a2b3c4d5e6f7a8b (2 blocks)" (short:
 * "token 1a2b3c4d5e6f7a8b") or "-". */
static void
rec_authority(const struct audit_rec *r, int brief, char *out, size_t cap)
{
	char id[2 * DOT_KEY_ID_LEN + 1];

	if (r->tx == NULL)
		snprintf(out, cap, "-");
	else if (r->tx->p.auth_kind == DOT_TX_AUTH_ACCOUNT)
		snprintf(out, cap, "%.*s@%.*s", (int)r->tx->p.account_len,
			 r->tx->p.account, (int)r->tx->p.level_len,
			 r->tx->p.level);
	else if (r->tx->token != NULL && brief) {
		cli_hex(id, r->tx->token->issuer_id, DOT_KEY_ID_LEN);
		snprintf(out, cap, "token %s", id);
	} else if (r->tx->token != NULL) {
		cli_hex(id, r->tx->token->issuer_id, DOT_KEY_ID_LEN);
		snprintf(out, cap, "token of key %s (%zu block%s)", id,
			 r->tx->token->nblocks,
			 r->tx->token->nblocks == 1 ? "" : "s");
	} else if (r->tx->p.auth_kind == DOT_TX_AUTH_TOKEN_REF) {
		cli_hex(id, r->tx->p.token_ref, DOT_KEY_ID_LEN);
		snprintf(out, cap, "token ref %s%s", id,
			 brief ? "" : " (a token the ledger holds)");
	} else
		snprintf(out, cap, "token");
}

static void
rec_op(const struct audit_rec *r, char *out, size_t cap)
{
	if (r->tx == NULL)
		snprintf(out, cap, "(unparsed)");
	else
		snprintf(out, cap, "%.*s", (int)r->tx->p.op_len, r->tx->p.op);
}

static const char *
rec_status(const struct audit_rec *r)
{
	return r->rc->status == DOT_OK ? "ok" : dot_errname(r->rc->status);
}

static void
rec_json(struct json *j, const struct audit_rec *r)
{
	char buf[300];

	json_obj_begin(j);
	json_kuint(j, "seq", r->seq);
	json_kuint(j, "entry", r->entry);
	json_kuint(j, "entry_time", r->rc->entry_time);
	json_khex(j, "tx_id", r->tx_id, DOT_TX_ID_LEN);
	rec_op(r, buf, sizeof(buf));
	json_kstr(j, "op", buf);
	if (r->tx != NULL && r->tx->p.auth_kind == DOT_TX_AUTH_ACCOUNT) {
		rec_authority(r, 0, buf, sizeof(buf));
		json_kstr(j, "authority", buf);
	} else if (r->tx != NULL && r->tx->token != NULL) {
		json_kstr(j, "authority", "token");
		json_khex(j, "token_issuer_key_id", r->tx->token->issuer_id,
			  DOT_KEY_ID_LEN);
		json_kuint(j, "token_blocks", r->tx->token->nblocks);
	} else if (r->tx != NULL &&
		   r->tx->p.auth_kind == DOT_TX_AUTH_TOKEN_REF) {
		json_kstr(j, "authority", "token_ref");
		json_khex(j, "token_rid", r->tx->p.token_ref, DOT_RID_LEN);
	} else {
		json_knull(j, "authority");
	}
	json_kstr(j, "status", rec_status(r));
	if (r->rc->detail_len > 0) {
		json_key(j, "detail");
		json_strn(j, r->rc->detail, r->rc->detail_len);
	}
	json_key(j, "versions");
	json_arr_begin(j);
	for (size_t i = 0; i < r->rc->nversions; i++) {
		json_obj_begin(j);
		json_khex(j, "id", r->rc->versions[i].id, DOT_OBJECT_ID_LEN);
		json_kuint(j, "version", r->rc->versions[i].version);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_khex(j, "leaf", r->leaf, DOT_AUDIT_HASH_LEN);
	json_kbool(j, "proved", 1);
	json_obj_end(j);
}

static void
print_versions(const struct audit_rec *r, int shortids)
{
	char id[2 * DOT_OBJECT_ID_LEN + 1];

	for (size_t i = 0; i < r->rc->nversions; i++) {
		cli_hex(id, r->rc->versions[i].id, DOT_OBJECT_ID_LEN);
		printf("%s%.*s v%" PRIu64, i ? ", " : "", shortids ? 12 : 32,
		       id, r->rc->versions[i].version);
	}
	if (r->rc->nversions == 0)
		printf("-");
}

static void
cp_json(struct json *j, const struct audit_log *l)
{
	json_key(j, "checkpoint");
	json_obj_begin(j);
	json_kstr(j, "origin", l->origin);
	json_kuint(j, "size", l->cp->size);
	json_khex(j, "root", l->cp->root, DOT_AUDIT_HASH_LEN);
	json_key(j, "note");
	json_strn(j, l->cp->note.note, l->cp->note.note_len);
	json_obj_end(j);
}

/* ---- trust on first use: $DOT_DIR/trust/<origin> (util.c) ---- */

/* Make the parent directory of path (mode 0700). */
static int
mkparent(const char *path, struct dot_err *e)
{
	char p[4200];
	char *slash;

	if (strlen(path) >= 4096)
		return dot_err_set(e, DOT_ETOOBIG, "path too long: %s", path);
	snprintf(p, sizeof(p), "%s", path);
	if ((slash = strrchr(p, '/')) == NULL || slash == p)
		return DOT_OK;
	*slash = '\0';
	return cli_mkdirs(p, e);
}

static int
trust_store(const char *path, const char *origin, const char *key,
	    struct dot_err *e)
{
	char text[CLI_TRUST_MAX + DOT_AUDIT_MAX_NAME + 16];
	int rv;

	if ((rv = mkparent(path, e)) != DOT_OK)
		return rv;
	snprintf(text, sizeof(text), "origin %s\nkey %s", origin, key);
	return cli_write_file(path, text, strlen(text), e);
}

#define TRUSTED_MAX 64 /* keys trusted for one cluster, looked at */
/* A sentence that may quote a verifier key whole (a composite key's text
 * is up to 2,945 bytes). */
#define SENTENCE_MAX (CLI_TRUST_MAX + 1024)

/*
 * One node, one key (decisions 0013, 0014), several nodes to a cluster
 * (decision 0019): the key that signs the log must be, in X25519 form, the
 * key the node's channel authenticated just now (over TCP), and the key of
 * one of the cluster's nodes: one $DOT_DIR/known_nodes remembers for the
 * cluster, or, when known_nodes has lines for the cluster but not this
 * key, one a node it remembers confirms as an active member. alarm gets
 * the sentence to report when a check fails ("" when none does); *known
 * is 1 when known_nodes or a known node vouches for the key, and how then
 * says which; doubt says why not when the cluster is known (keys trusted
 * for it, or lines in known_nodes) and no node could vouch for the key.
 */
static int
cross_check(const struct audit_log *l, char *alarm, size_t cap, int *known,
	    char *how, size_t hcap, char *doubt, size_t dcap,
	    struct dot_err *e)
{
	uint8_t kx[DOT_NET_KEY_LEN];
	uint8_t cid[DOT_CLUSTER_ID_LEN];
	char hx[2 * DOT_NET_KEY_LEN + 1], hc[2 * DOT_NET_KEY_LEN + 1];
	char addr[1200], tpath[4200];
	uint8_t tk[TRUSTED_MAX][DOT_NET_KEY_LEN];
	size_t nt = 0;
	const struct dot_net_peer *peer;
	int rv, in_cluster, is_known, verdict, count, has;

	alarm[0] = '\0';
	how[0] = '\0';
	doubt[0] = '\0';
	*known = 0;
	if (dot_sign_pk_to_kx(l->vk.key, l->vk.key_len, kx) != DOT_OK) {
		snprintf(alarm, cap,
			 "ALARM: the node signs the log %s with %s, a key "
			 "with no X25519 form: it cannot be the key of the "
			 "node's channel",
			 l->origin, l->vk_label);
		return DOT_OK;
	}
	cli_hex(hx, kx, sizeof(kx));
	peer = l->node.ch != NULL ? dot_net_peer(l->node.ch) : NULL;
	if (peer != NULL && memcmp(peer->static_pk, kx, sizeof(kx)) != 0) {
		cli_hex(hc, peer->static_pk, sizeof(kx));
		cli_warn("the node at %s authenticated its channel with the "
			 "node key %s",
			 l->node.addr, hc);
		cli_warn("it signs the log %s with %s, node key %s", l->origin,
			 l->vk_text, hx);
		snprintf(alarm, cap,
			 "ALARM: the node at %.200s signs its log with another "
			 "key than its channel's: a node has one key, so "
			 "these are not one node",
			 l->node.addr);
		return DOT_OK;
	}
	if (cli_origin_cluster(l->origin, cid) != 0)
		return DOT_OK; /* not a cluster's log: nothing to compare */
	if ((rv = cli_trusted_node_kx(cid, &nt, tk, TRUSTED_MAX, tpath,
				      sizeof(tpath), e)) != DOT_OK ||
	    (rv = cli_trust_has(tpath, l->origin, l->vk_text, &count, &has,
				e)) != DOT_OK)
		return rv;
	if (has) {
		*known = 1;
		snprintf(how, hcap, "a key trusted for its checkpoints");
		return DOT_OK;
	}
	if ((rv = cli_known_key(cid, kx, &in_cluster, &is_known, addr,
				sizeof(addr), e)) != DOT_OK)
		return rv;
	if (nt == 0 && is_known) {
		*known = 1;
		snprintf(how, hcap,
			 "the key $DOT_DIR/known_nodes remembers for the "
			 "cluster's node at %s",
			 addr);
		return DOT_OK;
	}
	if (nt == 0 && !in_cluster)
		return DOT_OK; /* a cluster met for the first time */
	/* Keys are trusted for the cluster's checkpoints, or known_nodes
	 * knows some of its nodes: one of those must vouch for this one. */
	if ((rv = cli_member_confirm(cid, kx, NULL,
				     nt > 0 ? (const uint8_t(*)[32])tk : NULL, nt,
				     &verdict, addr, sizeof(addr), e)) !=
	    DOT_OK)
		return rv;
	if (verdict == 1) {
		*known = 1;
		snprintf(how, hcap,
			 "a member node of the cluster, as its node at %s "
			 "confirms",
			 addr);
		return DOT_OK;
	}
	if (verdict == 0) {
		cli_warn("the node signs the log %s with %s, node key %s",
			 l->origin, l->vk_text, hx);
		snprintf(alarm, cap,
			 "ALARM: the node signs its log with a key that is no "
			 "active member node of its cluster, says the "
			 "cluster's node at %.200s: not one of the cluster's "
			 "nodes, or a node removed",
			 addr);
		return DOT_OK;
	}
	/* Nobody could say: the caller decides (a pin may settle it). */
	if (nt > 0)
		snprintf(doubt, dcap,
			 "no node whose key is trusted confirms it as one of "
			 "the cluster's nodes (%.300s)",
			 addr);
	else
		snprintf(doubt, dcap,
			 "$DOT_DIR/known_nodes knows other nodes of its "
			 "cluster, and none confirms it (%.300s); set DOT_KEY "
			 "to a key of yours so that dot can ask them, or give "
			 "--keys FILE",
			 addr);
	return DOT_OK;
}

/*
 * For log and prove: when the origin has trusted keys, the node's must be
 * one of them, or a key the cluster vouches for (cross_check), which is
 * then trusted too. *trusted tells whether it was one already.
 */
static int
check_trusted(const struct audit_log *l, int known, const char *how,
	      const char *doubt, int *trusted, struct dot_err *e)
{
	char path[4200], first[CLI_TRUST_MAX];
	int rv, count, has, one;

	*trusted = 0;
	if ((rv = cli_origin_path("trust", l->origin, path, sizeof(path), e)) !=
	    DOT_OK)
		return rv;
	if ((rv = cli_trust_has(path, l->origin, l->vk_text, &count, &has,
				e)) != DOT_OK ||
	    (rv = cli_trust_load(path, l->origin, first, sizeof(first), &one,
				 e)) != DOT_OK)
		return rv;
	if (count == 0 && doubt[0] != '\0')
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "ALARM: cannot confirm that the node's key "
				   "%s belongs to its cluster: %s",
				   l->vk_label, doubt);
	if (count == 0)
		return DOT_OK;
	if (has) {
		*trusted = 1;
		return DOT_OK;
	}
	if (known) {
		if ((rv = cli_trust_add(path, l->origin, l->vk_text, e)) !=
		    DOT_OK)
			return rv;
		cli_warn("node key %s (%s): now trusted for %s too (%s)",
			 l->vk_text, how, l->origin, path);
		*trusted = 1;
		return DOT_OK;
	}
	vk_label(first, first, sizeof(first));
	return dot_err_set(e, DOT_EAUDIT_KEY,
			   "ALARM: the node signs the log %s with %s, not the "
			   "key trusted for it (%s, in %s%s), and %s; run 'dot "
			   "audit verify' for details",
			   l->origin, l->vk_label, first,
			   path, count > 1 ? ", with others" : "",
			   doubt[0] ? doubt : "nothing vouches for it");
}

/* Connect, fetch the key and a verified checkpoint. */
static int
audit_open(struct audit_log *l, int check_trust, int *trusted,
	   struct dot_err *e)
{
	char alarm[SENTENCE_MAX], how[SENTENCE_MAX], doubt[SENTENCE_MAX];
	int rv, known;

	memset(l, 0, sizeof(*l));
	l->node.fd = -1;
	if ((rv = cli_node_connect(&l->node, e)) != DOT_OK)
		return rv;
	if ((rv = fetch_key(l, e)) != DOT_OK)
		return rv;
	if (check_trust) {
		if ((rv = cross_check(l, alarm, sizeof(alarm), &known, how,
				      sizeof(how), doubt, sizeof(doubt), e)) !=
		    DOT_OK)
			return rv;
		if (alarm[0] != '\0')
			return dot_err_set(e, DOT_EAUDIT_KEY, "%s", alarm);
		if ((rv = check_trusted(l, known, how, doubt, trusted, e)) !=
		    DOT_OK)
			return rv;
	}
	return fetch_checkpoint(l, NULL, e);
}

/* ---- dot audit log ---- */

static const char log_help[] =
    "Lists the node's ledger records: for each, its sequence number in the\n"
    "audit log, its ledger entry, time, operation, authority, the receipt's\n"
    "status (ok or the error's name) and the new object versions. Each\n"
    "record is fetched with its inclusion proof against the node's current\n"
    "signed checkpoint and checked; a record that does not prove is an\n"
    "error. When the node's key is trusted ($DOT_DIR/trust, see 'dot audit\n"
    "verify'), the node must sign with that key. Needs no authority.\n"
    "\n"
    "Options:\n"
    "      --from SEQ   the first record (default: the last COUNT records)\n"
    "      --count N    how many records (default 100)\n"
    "      --json       print {ok, checkpoint: {origin, size, root, note},\n"
    "                   records: [{seq, entry, entry_time, tx_id, op,\n"
    "                   authority, status, detail, versions, leaf}]}\n"
    "  -h, --help       this help\n";

int
cmd_audit_log(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_FROM, OPT_COUNT };
	static const struct option opts[] = {
	    {"from", required_argument, NULL, OPT_FROM},
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct audit_log l;
	struct audit_rec r;
	struct dot_err e = {0};
	struct json j;
	uint64_t from = 0, count = LOG_COUNT_DEFAULT, end;
	int c, has_from = 0, trusted = 0, status = DOT_EXIT_FAIL;
	char root[2 * DOT_AUDIT_HASH_LEN + 1], txid[2 * DOT_TX_ID_LEN + 1];
	char op[80], auth[200], when[40];

	(void)self;
	memset(&l, 0, sizeof(l));
	l.node.fd = -1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FROM:
			if (cli_parse_u64(optarg, 0, UINT64_MAX - 1, &from) !=
			    0)
				return cli_usage("--from '%s': give a record "
						 "number (0, 1, ...)",
						 optarg);
			has_from = 1;
			break;
		case OPT_COUNT:
			if (cli_parse_u64(optarg, 1, 1000000, &count) != 0)
				return cli_usage("--count '%s': give a number "
						 "from 1 to 1000000",
						 optarg);
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(log_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (audit_open(&l, 1, &trusted, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	if (!has_from)
		from = l.cp->size > count ? l.cp->size - count : 0;
	end = from + count < from || from + count > l.cp->size ? l.cp->size
							       : from + count;
	cli_hex(root, l.cp->root, DOT_AUDIT_HASH_LEN);
	if (cli_json()) {
		/* "ok" comes last: a record that fails to prove after some
		 * were printed makes it false. */
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kstr(&j, "node_key", l.vk_text);
		json_kbool(&j, "key_trusted", trusted);
		cp_json(&j, &l);
		json_key(&j, "records");
		json_arr_begin(&j);
	} else {
		printf("log %s: %" PRIu64 " record%s, root %s (checkpoint "
		       "signed by %s)\n",
		       l.origin, l.cp->size, l.cp->size == 1 ? "" : "s", root,
		       l.vk.name);
		if (from < end)
			printf("%-5s %-5s %-20s %-12s %-24s %-22s %-16s %s\n",
			       "SEQ", "ENTRY", "TIME", "OP", "AUTHORITY",
			       "STATUS", "TX", "NEW VERSIONS");
	}
	for (uint64_t seq = from; seq < end; seq++) {
		if (rec_fetch(&l, seq, &r, &e) != DOT_OK) {
			if (cli_json()) {
				json_arr_end(&j);
				json_kbool(&j, "ok", 0);
				json_kstr(&j, "error", dot_errname(e.code));
				json_kstr(&j, "message", e.msg);
				json_obj_end(&j);
				json_finish(&j);
			}
			cli_set_json(0); /* one JSON document only */
			status = cli_fail(&e);
			goto out;
		}
		if (cli_json()) {
			rec_json(&j, &r);
		} else {
			rec_op(&r, op, sizeof(op));
			rec_authority(&r, 1, auth, sizeof(auth));
			cli_hex(txid, r.tx_id, DOT_TX_ID_LEN);
			cli_format_time(r.rc->entry_time, when, sizeof(when));
			printf("%-5" PRIu64 " %-5" PRIu64
			       " %-20s %-12s %-24s %-22s %.16s ",
			       seq, r.entry, when, op, auth, rec_status(&r),
			       txid);
			print_versions(&r, 1);
			putchar('\n');
		}
		rec_free(&r);
	}
	if (cli_json()) {
		json_arr_end(&j);
		json_kbool(&j, "ok", 1);
		json_obj_end(&j);
		json_finish(&j);
	} else if (from >= end) {
		printf("no records from %" PRIu64 " (the log has %" PRIu64
		       ")\n",
		       from, l.cp->size);
	} else {
		printf("%" PRIu64 " record%s shown, each proved against the "
		       "checkpoint\n",
		       end - from, end - from == 1 ? "" : "s");
	}
	status = DOT_EXIT_OK;
out:
	audit_log_close(&l);
	return status;
}

/* ---- dot audit prove ---- */

static const char prove_help[] =
    "Proves that ledger record SEQ is in the node's audit log: fetches the\n"
    "node's verifier key and its signed checkpoint, the record (tx and\n"
    "receipt) and its inclusion proof, recomputes the record's leaf hash\n"
    "from the tx and receipt bytes and checks the proof against the\n"
    "checkpoint's root (RFC 9162 §2.1.3.2). Prints the record, the\n"
    "checkpoint and 'proved'; exits 1 with the reason when anything does\n"
    "not check. When the node's key is trusted ($DOT_DIR/trust), the node\n"
    "must sign with that key.\n"
    "\n"
    "Options:\n"
    "      --json   print {ok, proved, node_key, checkpoint: {origin, size,\n"
    "               root, note}, record: {...}, proof: [hash, ...]}\n"
    "  -h, --help   this help\n";

int
cmd_audit_prove(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct audit_log l;
	struct audit_rec r;
	struct dot_err e = {0};
	struct json j;
	uint64_t seq;
	int c, trusted = 0, status = DOT_EXIT_FAIL;
	char root[2 * DOT_AUDIT_HASH_LEN + 1], txid[2 * DOT_TX_ID_LEN + 1];
	char op[80], auth[200], when[40], leaf[2 * DOT_AUDIT_HASH_LEN + 1];

	(void)self;
	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	l.node.fd = -1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(prove_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("give the record to prove (SEQ, as 'dot "
				 "audit log' numbers them)");
	if (cli_parse_u64(argv[optind], 0, UINT64_MAX - 1, &seq) != 0)
		return cli_usage("SEQ '%s': give a record number (0, 1, ...)",
				 argv[optind]);
	if (optind + 1 < argc)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (audit_open(&l, 1, &trusted, &e) != DOT_OK ||
	    rec_fetch(&l, seq, &r, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	cli_hex(root, l.cp->root, DOT_AUDIT_HASH_LEN);
	cli_hex(txid, r.tx_id, DOT_TX_ID_LEN);
	cli_hex(leaf, r.leaf, DOT_AUDIT_HASH_LEN);
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kbool(&j, "proved", 1);
		json_kstr(&j, "node_key", l.vk_text);
		json_kbool(&j, "key_trusted", trusted);
		cp_json(&j, &l);
		json_key(&j, "record");
		rec_json(&j, &r);
		json_key(&j, "proof");
		json_arr_begin(&j);
		for (size_t i = 0; i < r.proof.n; i++)
			json_hex(&j, r.proof.hashes[i], DOT_AUDIT_HASH_LEN);
		json_arr_end(&j);
		json_obj_end(&j);
		json_finish(&j);
		status = DOT_EXIT_OK;
		goto out;
	}
	rec_op(&r, op, sizeof(op));
	rec_authority(&r, 0, auth, sizeof(auth));
	cli_format_time(r.rc->entry_time, when, sizeof(when));
	printf("record %" PRIu64 "\n"
	       "  ledger entry: %" PRIu64 " at %s\n"
	       "  tx:           %s\n"
	       "  op:           %s\n"
	       "  authority:    %s\n"
	       "  status:       %s",
	       seq, r.entry, when, txid, op, auth, rec_status(&r));
	if (r.rc->detail_len > 0)
		printf(": %.*s", (int)r.rc->detail_len, r.rc->detail);
	printf("\n  new versions: ");
	print_versions(&r, 0);
	printf("\n  leaf hash:    %s\n"
	       "checkpoint\n"
	       "  origin:       %s\n"
	       "  size:         %" PRIu64 "\n"
	       "  root:         %s\n"
	       "  signed by:    %s (%s)\n"
	       "proved: record %" PRIu64 " is leaf %" PRIu64
	       " of the log, by an inclusion proof of %zu hashes\n",
	       leaf, l.origin, l.cp->size, root, l.vk_text,
	       trusted ? "the trusted key"
		       : "not yet trusted: 'dot audit verify' pins it",
	       seq, seq, r.proof.n);
	status = DOT_EXIT_OK;
out:
	rec_free(&r);
	audit_log_close(&l);
	return status;
}

/* ---- dot audit verify ---- */

static const char verify_help[] =
    "Online (the default), checks the node's audit log from the outside:\n"
    "  1. its verifier key (audit.key). The first time, the key and the\n"
    "     log's origin are stored in $DOT_DIR/trust/ORIGIN (trust on first\n"
    "     use). Each node of a cluster signs with its own key: another\n"
    "     node's key is trusted too when a node already trusted (or known\n"
    "     in $DOT_DIR/known_nodes) lists it as a member (node.keys; over a\n"
    "     Unix socket dot asks with DOT_KEY); any other key is an ALARM and\n"
    "     refused, unless --node-key pins the expected key explicitly\n"
    "     (which then replaces the stored ones). Over TCP it must be, in\n"
    "     X25519 form, the key the channel authenticated; a key a known\n"
    "     node says is no member is an ALARM that --node-key does not\n"
    "     override (decisions 0014, 0019);\n"
    "  2. its signed checkpoint (size and root), with that key;\n"
    "  3. that the checkpoint extends the one stored last time in\n"
    "     $DOT_DIR/checkpoints/ORIGIN (a consistency proof, RFC 9162\n"
    "     §2.1.4); the same size with another root is equivocation, an\n"
    "     ALARM that prints both signed notes; a shorter log is an ALARM;\n"
    "     then the new checkpoint is stored;\n"
    "  4. the inclusion proof of each of the last N records.\n"
    "With --keys FILE (a cluster: the voters' verifier keys, as 'dot node\n"
    "list --keys' prints them), steps 1 and 2 take instead the newest\n"
    "checkpoint a quorum of those keys signed (audit.cosigned): every line\n"
    "by a key in the file must verify and a majority of the keys must have\n"
    "signed; its history is kept in $DOT_DIR/checkpoints/ORIGIN.cosigned,\n"
    "and two cosigned checkpoints of one size with different roots are an\n"
    "equivocation ALARM with both notes. Any node of the cluster may be\n"
    "asked: the answer is checked only against the keys.\n"
    "\n"
    "Offline, with --dir DIR (the node's data directory; dotd may be\n"
    "stopped): checks the log's hash chain record by record, replays the\n"
    "log into a fresh state and compares the state database with it table\n"
    "by table, naming what no longer matches (the log record at a byte\n"
    "offset, the tables and objects or ledger records that differ). A\n"
    "cluster node has no log file: its state is replayed from its own\n"
    "ledger table, and the audit log's root at each size the member nodes\n"
    "cosigned is checked against their signatures.\n"
    "\n"
    "Exit status: 0 everything matches; 1 something does not (or the node\n"
    "is unreachable); 2 usage, or (--dir) the directory cannot be read.\n"
    "\n"
    "Options:\n"
    "      --keys FILE     check checkpoints cosigned by a quorum of the\n"
    "                      voters' keys in FILE\n"
    "      --node-key KEY  the node's verifier key, NAME+ID+BASE64 (as\n"
    "                      audit.key gives it); the node must have it\n"
    "      --recent N      re-verify the inclusion of the last N records\n"
    "                      (default 100; 0: none)\n"
    "      --dir DIR       verify a data directory offline\n"
    "      --json          print {ok, ...}: online {node_key, trust\n"
    "                      (first-use, channel, trusted, pinned),\n"
    "                      checkpoint, previous, consistency,\n"
    "                      records_checked, findings}; offline {dir,\n"
    "                      findings, report, records, root}\n"
    "  -h, --help          this help\n";

/* What went wrong, one sentence each, for the report and --json. */
struct findings {
	char items[64][512];
	size_t n;
	size_t dropped;
};

static void finding(struct findings *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
finding(struct findings *f, const char *fmt, ...)
{
	va_list ap;

	if (f->n == sizeof(f->items) / sizeof(f->items[0])) {
		f->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(f->items[f->n++], sizeof(f->items[0]), fmt, ap);
	va_end(ap);
}

static void
json_findings(struct json *j, const struct findings *f)
{
	json_key(j, "findings");
	json_arr_begin(j);
	for (size_t i = 0; i < f->n; i++)
		json_str(j, f->items[i]);
	if (f->dropped > 0) {
		char more[64];
		snprintf(more, sizeof(more), "... and %zu more", f->dropped);
		json_str(j, more);
	}
	json_arr_end(j);
}

/* A line of dotd_verify's report that says all is well. */
static int
report_fine(const char *line)
{
	return strstr(line, ", hash chain intact") != NULL ||
	       strncmp(line, "state: matches the log's replay", 31) == 0 ||
	       strncmp(line, "audit log: ", 11) == 0;
}

/*
 * The report names a changed chunk by its hash; say which files hold it
 * (their content lists the chunk hashes, docs/state-model.md), looked up
 * read-only in the directory's database. Appends " (content of PATH, ...)"
 * to line when any is found.
 */
static void
name_chunk(sqlite3 **db, const char *dir, char *line, size_t cap)
{
	static const char sql[] =
	    "SELECT coalesce(path, '(message ' || lower(hex(id)) || ')') "
	    "FROM objects WHERE content IS NOT NULL AND instr(content, ?1) > 0 "
	    "ORDER BY 1 LIMIT 4";
	const char *h = strstr(line, ": chunk ");
	uint8_t hash[32];
	char hexs[65], uri[4200];
	sqlite3_stmt *s = NULL;
	size_t n = strlen(line);
	int found = 0;

	if (strncmp(line, "state: chunks:", 14) != 0 || h == NULL ||
	    sscanf(h, ": chunk %64[0-9A-Fa-f]", hexs) != 1 ||
	    cli_parse_hex(hexs, hash, sizeof(hash)) != 0)
		return;
	if (*db == NULL) {
		snprintf(uri, sizeof(uri), "file:%s/state.db?mode=ro", dir);
		if (sqlite3_open_v2(uri, db,
				    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
				    NULL) != SQLITE_OK)
			return;
	}
	if (sqlite3_prepare_v2(*db, sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW && n + 8 < cap) {
		const char *path = (const char *)sqlite3_column_text(s, 0);
		int k = snprintf(line + n, cap - n, "%s%s",
				 found++ ? ", " : " (content of ",
				 path ? path : "?");
		if (k < 0 || (size_t)k >= cap - n)
			break;
		n += (size_t)k;
	}
	sqlite3_finalize(s);
	if (found && n + 1 < cap) {
		line[n++] = ')';
		line[n] = '\0';
	}
}

static int
verify_offline(const char *dir)
{
	struct findings f;
	struct json j;
	char path[4200], line[4096];
	/* a single node: log and state.db; a cluster node: state.db (its
	 * entries are in raft/, its ledger table replayed instead) */
	const char *need[] = {"state.db", "log"};
	struct stat sb;
	FILE *rep;
	sqlite3 *db = NULL;
	uint64_t records = 0;
	char rroot[80] = "";
	int rv;

	memset(&f, 0, sizeof(f));
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		struct dot_err e;
		dot_err_set(&e, DOT_EINVAL,
			    "cannot read the data directory %s: %s: give the "
			    "node's directory (dot init made $DOT_DIR/node)",
			    dir,
			    stat(dir, &sb) != 0 ? strerror(errno)
						: "not a directory");
		cli_fail(&e);
		return 2;
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, need[i]);
		if (i == 1 && access(path, F_OK) != 0 && errno == ENOENT) {
			snprintf(path, sizeof(path), "%s/raft", dir);
			if (access(path, F_OK) == 0)
				break; /* a cluster node */
			snprintf(path, sizeof(path), "%s/%s", dir, need[i]);
		}
		if (access(path, R_OK) != 0) {
			struct dot_err e;
			dot_err_set(&e, DOT_EINVAL,
				    "cannot read %s: %s: is %s a node's data "
				    "directory that dotd has started on?",
				    path, strerror(errno), dir);
			cli_fail(&e);
			return 2;
		}
	}
	if ((rep = tmpfile()) == NULL) {
		struct dot_err e;
		dot_err_set(&e, DOT_EINVAL, "cannot make a temporary file: %s",
			    strerror(errno));
		cli_fail(&e);
		return 2;
	}
	rv = dotd_verify(dir, rep);
	rewind(rep);
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", rv == 0);
		json_kstr(&j, "mode", "offline");
		json_kstr(&j, "dir", dir);
		json_key(&j, "report");
		json_arr_begin(&j);
	} else {
		printf("verifying %s offline\n", dir);
	}
	while (fgets(line, sizeof(line), rep) != NULL) {
		size_t n = strlen(line);
		unsigned long long sz;

		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (sscanf(line, "audit log: %llu records, root %64s", &sz,
			   rroot) == 2)
			records = sz;
		name_chunk(&db, dir, line, sizeof(line));
		if (!report_fine(line) || rv == 2)
			finding(&f, "%s", line);
		if (cli_json())
			json_str(&j, line);
		else
			printf("  %s\n", line);
	}
	fclose(rep);
	sqlite3_close(db);
	if (cli_json()) {
		json_arr_end(&j);
		json_findings(&j, &f);
		if (rroot[0] != '\0') {
			json_kuint(&j, "records", records);
			json_kstr(&j, "root", rroot);
		}
		json_obj_end(&j);
		json_finish(&j);
	}
	if (rv == 0) {
		if (!cli_json())
			printf("verified: the log's hash chain is intact and "
			       "the state matches its replay\n");
		return DOT_EXIT_OK;
	}
	fflush(stdout);
	if (rv == 1)
		fprintf(stderr,
			"%s: %s no longer matches: %zu finding%s above (a "
			"changed or damaged file; restore the directory from "
			"a replica or backup)\n",
			cli_prog(), dir, f.n + f.dropped,
			f.n + f.dropped == 1 ? "" : "s");
	else
		fprintf(stderr,
			"%s: %s could not be verified: see the "
			"report above\n",
			cli_prog(), dir);
	return rv == 1 ? DOT_EXIT_FAIL : 2;
}

/* Print a signed note, indented, on stderr. */
static void
show_note(const char *title, const char *note, size_t n)
{
	fprintf(stderr, "%s: %s:\n", cli_prog(), title);
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(note + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (note + i)) : n - i;
		fprintf(stderr, "    %.*s\n", (int)len, note + i);
		i += len + 1;
	}
}

struct online {
	struct audit_log l;
	const char *node_key; /* --node-key */
	const struct cli_qkeys *qk; /* --keys */
	uint64_t recent;
	struct findings f;
	struct dot_err err; /* the first failure */
	int failed;
	const char *trust; /* "first-use", "channel", "trusted", "pinned" */
	char trust_path[4200], cp_path[4200];
	struct dot_audit_checkpoint *prev;
	const char *consistency; /* "first", "same", "extends" */
	struct dot_buf note;	 /* the new checkpoint note */
	int show_notes;		 /* an alarm between prev and the new one */
	uint64_t checked;
};

/* Record a failure (the first one is the error reported). */
static void fail(struct online *o, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct online *o, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	finding(&o->f, "%s", msg);
	if (!o->failed) {
		o->failed = 1;
		dot_err_set(&o->err, code, "%s", msg);
	}
}

/* Step 1: the key, trusted on first use or pinned. 0 to go on. */
static int
verify_key(struct online *o, struct dot_err *e)
{
	struct audit_log *l = &o->l;
	char stored[CLI_TRUST_MAX], alarm[SENTENCE_MAX], how[SENTENCE_MAX],
	    doubt[SENTENCE_MAX];
	struct dot_audit_vkey pin;
	struct dot_err pe = {0};
	int rv, have, has, known;

	if ((rv = cli_origin_path("trust", l->origin, o->trust_path,
				  sizeof(o->trust_path), e)) != DOT_OK ||
	    (rv = cli_origin_path("checkpoints", l->origin, o->cp_path,
				  sizeof(o->cp_path), e)) != DOT_OK)
		return rv;
	if ((rv = cli_trust_load(o->trust_path, l->origin, stored,
				 sizeof(stored), &have, e)) != DOT_OK ||
	    (rv = cli_trust_has(o->trust_path, l->origin, l->vk_text, &have,
				&has, e)) != DOT_OK)
		return rv;
	/* The channel's key for the node comes first: not even a pin
	 * makes two keys one node (decision 0014), nor a key that no node of
	 * the cluster vouches for one of its nodes (decision 0019). */
	if ((rv = cross_check(l, alarm, sizeof(alarm), &known, how,
			      sizeof(how), doubt, sizeof(doubt), e)) != DOT_OK)
		return rv;
	if (alarm[0] != '\0') {
		fail(o, DOT_EAUDIT_KEY, "%s", alarm);
		return DOT_OK;
	}
	if (o->node_key != NULL) {
		if (dot_audit_vkey_parse(&pin, o->node_key, strlen(o->node_key),
					 &pe) != DOT_OK)
			return dot_err_set(e, DOT_EAUDIT_KEY,
					   "--node-key: %s (give the key as "
					   "'dot audit verify' or audit.key "
					   "shows it: NAME+ID+BASE64)",
					   pe.msg);
		if (strcmp(o->node_key, l->vk_text) != 0) {
			char pinned[sizeof(l->vk_label)];

			vk_label(o->node_key, pinned, sizeof(pinned));
			fail(o, DOT_EAUDIT_KEY,
			     "ALARM: the node signs the log %s with %s, not "
			     "the pinned --node-key %s",
			     l->origin, l->vk_label, pinned);
			return DOT_OK;
		}
		o->trust = "pinned";
		if (!has) {
			if ((rv = trust_store(o->trust_path, l->origin,
					      l->vk_text, e)) != DOT_OK)
				return rv;
			if (!cli_json())
				printf("node key: %s, pinned with --node-key; "
				       "stored in %s%s%s%s\n",
				       l->vk_text, o->trust_path,
				       have > 0 ? ", replacing " : "",
				       have > 0 ? stored : "",
				       have > 1 ? " and the other keys trusted "
						  "before"
						: "");
		} else if (!cli_json()) {
			printf("node key: %s, pinned with --node-key and "
			       "trusted (%s)\n",
			       l->vk_text, o->trust_path);
		}
		return DOT_OK;
	}
	if (has) {
		o->trust = "trusted";
		if (!cli_json())
			printf("node key: %s, trusted (%s)\n", l->vk_text,
			       o->trust_path);
		return DOT_OK;
	}
	if (have > 0 && !known) {
		vk_label(stored, stored, sizeof(stored));
		fail(o, DOT_EAUDIT_KEY,
		     "ALARM: the node signs the log %s with %s, but the "
		     "key%s trusted for it %s %s%s (%s), and %.300s: the "
		     "node's key changed, or this is not a node you trusted; "
		     "if the change is legitimate, confirm the new key out of "
		     "band and pin it with --node-key",
		     l->origin, l->vk_label, have > 1 ? "s" : "",
		     have > 1 ? "are" : "is", stored, have > 1 ? ", ..." : "",
		     o->trust_path, doubt[0] ? doubt : "nothing vouches for it");
		return DOT_OK;
	}
	if (!known && doubt[0] != '\0') {
		fail(o, DOT_EAUDIT_KEY,
		     "ALARM: cannot confirm that the node's key %s belongs to "
		     "its cluster: %s",
		     l->vk_label, doubt);
		return DOT_OK;
	}
	if ((rv = cli_trust_add(o->trust_path, l->origin, l->vk_text, e)) !=
	    DOT_OK)
		return rv;
	if (known) {
		/* first seen by the channel, which checked it already */
		o->trust = "channel";
		if (!cli_json())
			printf("node key: %s, %s: now trusted for %s (stored "
			       "in %s)\n",
			       l->vk_text, how, l->origin, o->trust_path);
		return DOT_OK;
	}
	o->trust = "first-use";
	if (!cli_json())
		printf("node key: %s, first use: now trusted for %s (stored "
		       "in %s; compare it with the node's out of band)\n",
		       l->vk_text, l->origin, o->trust_path);
	return DOT_OK;
}

/* Step 3: against the checkpoint stored last time. */
static int
verify_consistency(struct online *o, struct dot_err *e)
{
	struct audit_log *l = &o->l;
	struct dot_buf old = {0}, params = {0}, res = {0};
	struct dot_err ce = {0};
	struct dot_audit_proof pr;
	struct dot_dec d;
	const uint8_t *p;
	size_t plen, ntvk = 0;
	int rv = DOT_OK;
	static struct dot_audit_vkey tvk[TRUSTED_MAX];

	if (access(o->cp_path, F_OK) != 0 && errno == ENOENT) {
		o->consistency = "first";
		goto store;
	}
	if ((rv = cli_read_file(o->cp_path, DOT_AUDIT_NOTE_MAX, &old, e)) !=
	    DOT_OK)
		goto out;
	/* The stored checkpoint was signed by a node trusted then: this one,
	 * or another node of the cluster whose key is trusted (0019). */
	if (l->qk == NULL &&
	    (rv = cli_trust_vkeys(o->trust_path, l->origin, &l->vk, tvk,
				  TRUSTED_MAX, &ntvk, e)) != DOT_OK)
		goto out;
	rv = dot_audit_checkpoint_open(
	    (const char *)old.data, old.len, l->qk ? l->qk->k : tvk,
	    l->qk ? l->qk->n : ntvk, l->origin, strlen(l->origin), &o->prev,
	    &ce);
	if (rv != DOT_OK) {
		if ((strcmp(o->trust, "pinned") == 0 || l->qk != NULL) &&
		    rv == DOT_EAUDIT_NO_KNOWN_SIGNER) {
			/* The key was re-pinned (or the keys file names
			 * other voters): the old checkpoint was signed by
			 * other keys. Start over. */
			o->consistency = "first";
			rv = DOT_OK;
			goto store;
		}
		fail(o, rv,
		     "the checkpoint stored in %s does not verify with the "
		     "node's key: %s; remove the file to start over",
		     o->cp_path, ce.msg[0] ? ce.msg : dot_strerror(rv));
		rv = DOT_OK;
		goto out;
	}
	if (o->prev->size > l->cp->size) {
		fail(o, DOT_EAUDIT_CONSISTENCY,
		     "ALARM: the node's log has %" PRIu64 " records, fewer "
		     "than the %" PRIu64 " of a checkpoint it signed before: "
		     "the log was rolled back or replaced",
		     l->cp->size, o->prev->size);
		goto alarm;
	}
	if (o->prev->size == l->cp->size) {
		rv = dot_audit_checkpoint_compare(o->prev, l->cp, NULL);
		if (rv == DOT_EAUDIT_EQUIVOCATION) {
			fail(o, rv,
			     "ALARM: equivocation: %s signed two "
			     "checkpoints of size %" PRIu64 " with different "
			     "roots; both signed notes are printed: keep "
			     "them, they are the proof",
			     l->qk ? "a quorum of the voters" : "the node",
			     l->cp->size);
			rv = DOT_OK;
			goto alarm;
		}
		if (rv != DOT_OK) {
			fail(o, rv, "comparing checkpoints: %s",
			     dot_strerror(rv));
			rv = DOT_OK;
			goto out;
		}
		o->consistency = "same";
		goto store;
	}
	dot_enc_map(&params, 2);
	dot_enc_uint(&params, 1);
	dot_enc_uint(&params, o->prev->size);
	dot_enc_uint(&params, 2);
	dot_enc_uint(&params, l->cp->size);
	if (params.err) {
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		goto out;
	}
	if ((rv = call(&l->node, "audit.consistency", params.data, params.len,
		       &res, e)) != DOT_OK)
		goto out;
	if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_bstr(&d, &p, &plen) != DOT_OK) {
		rv = bad_answer(&l->node, "audit.consistency",
				"a proof (bytes)", e);
		goto out;
	}
	if ((rv = dot_audit_proof_parse(p, plen, &pr, &ce)) == DOT_OK)
		rv = dot_audit_checkpoint_verify_consistency(o->prev, l->cp,
							     &pr, &ce);
	if (rv != DOT_OK) {
		fail(o, rv,
		     "ALARM: the log of size %" PRIu64 " is not proved to "
		     "extend the checkpoint of size %" PRIu64 " seen before: "
		     "%s; the log was rewritten",
		     l->cp->size, o->prev->size,
		     ce.msg[0] ? ce.msg : dot_strerror(rv));
		rv = DOT_OK;
		goto alarm;
	}
	o->consistency = "extends";
store:
	/* cli_write_file adds the note's last newline back. */
	rv = mkparent(o->cp_path, e);
	if (rv == DOT_OK)
		rv = cli_write_file(o->cp_path, o->note.data,
				    o->note.len > 0 ? o->note.len - 1 : 0, e);
	goto out;
alarm:
	o->show_notes = 1;
out:
	dot_buf_free(&old);
	dot_buf_free(&params);
	dot_buf_free(&res);
	return rv;
}

static int
verify_online(struct online *o)
{
	struct audit_log *l = &o->l;
	struct dot_err e = {0};
	struct audit_rec r;
	struct json j;
	char root[2 * DOT_AUDIT_HASH_LEN + 1];
	uint64_t from;
	int rv, status = DOT_EXIT_FAIL;

	memset(l, 0, sizeof(*l));
	l->node.fd = -1;
	l->qk = o->qk;
	if ((rv = cli_node_connect(&l->node, &e)) != DOT_OK ||
	    (rv = fetch_key(l, &e)) != DOT_OK)
		goto fatal;
	if (o->qk != NULL) {
		/* The keys file is the trust: the node's own key is not
		 * pinned; cosigned checkpoints have a history of their own. */
		char base[4200];

		o->trust = "quorum-keys";
		if ((rv = cli_origin_path("checkpoints", l->origin, base,
					  sizeof(base), &e)) != DOT_OK)
			goto fatal;
		snprintf(o->cp_path, sizeof(o->cp_path), "%.4180s.cosigned",
			 base);
		{
			struct dot_buf old = {0};
			struct dot_audit_checkpoint *pc = NULL;
			struct dot_err pe = {0};

			if (access(o->cp_path, F_OK) == 0 &&
			    cli_read_file(o->cp_path, DOT_AUDIT_NOTE_MAX, &old,
					  &pe) == DOT_OK &&
			    dot_audit_checkpoint_open(
				(const char *)old.data, old.len, o->qk->k,
				o->qk->n, l->origin, strlen(l->origin), &pc,
				&pe) == DOT_OK)
				l->min = pc->size;
			dot_audit_checkpoint_free(pc);
			dot_buf_free(&old);
		}
	} else if ((rv = verify_key(o, &e)) != DOT_OK)
		goto fatal;
	if (o->failed)
		goto report;
	rv = fetch_checkpoint(l, &o->note, &e);
	if (rv == DOT_EAPI_UNAVAILABLE || rv == DOT_ENOMEM)
		goto fatal;
	if (rv != DOT_OK) {
		fail(o, e.code, "%s", e.msg);
		goto report;
	}
	cli_hex(root, l->cp->root, DOT_AUDIT_HASH_LEN);
	if (!cli_json())
		printf("checkpoint: %s, %" PRIu64 " record%s, root %s: %s\n",
		       l->origin, l->cp->size, l->cp->size == 1 ? "" : "s",
		       root,
		       o->qk ? "cosigned by a quorum" : "signature valid");
	if ((rv = verify_consistency(o, &e)) != DOT_OK)
		goto fatal;
	if (!cli_json() && o->consistency != NULL) {
		if (strcmp(o->consistency, "first") == 0)
			printf("consistency: no earlier checkpoint of this "
			       "log; this one is stored in %s\n",
			       o->cp_path);
		else if (strcmp(o->consistency, "same") == 0)
			printf("consistency: the same checkpoint as last "
			       "time (size %" PRIu64 ")\n",
			       l->cp->size);
		else
			printf("consistency: extends the checkpoint of size "
			       "%" PRIu64 " seen before (consistency proof "
			       "verified)\n",
			       o->prev->size);
	}
	from = l->cp->size > o->recent ? l->cp->size - o->recent : 0;
	for (uint64_t seq = from; seq < l->cp->size; seq++) {
		rv = rec_fetch(l, seq, &r, &e);
		if (rv == DOT_EAPI_UNAVAILABLE || rv == DOT_ENOMEM)
			goto fatal;
		if (rv != DOT_OK) {
			fail(o, rv, "%s", e.msg);
			continue;
		}
		o->checked++;
		rec_free(&r);
	}
	if (!cli_json() && l->cp->size > from)
		printf("records: %" PRIu64 " of the last %" PRIu64
		       " proved in the log (%" PRIu64 "..%" PRIu64 ")\n",
		       o->checked, l->cp->size - from, from, l->cp->size - 1);
report:
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", !o->failed);
		if (o->failed) {
			json_kstr(&j, "error", dot_errname(o->err.code));
			json_kstr(&j, "message", o->err.msg);
		}
		json_kstr(&j, "mode", "online");
		json_kstr(&j, "origin", l->origin);
		json_kstr(&j, "node_key", l->vk_text);
		if (o->trust != NULL)
			json_kstr(&j, "trust", o->trust);
		else
			json_knull(&j, "trust");
		if (l->cp != NULL)
			cp_json(&j, l);
		if (o->prev != NULL) {
			json_key(&j, "previous");
			json_obj_begin(&j);
			json_kuint(&j, "size", o->prev->size);
			json_khex(&j, "root", o->prev->root,
				  DOT_AUDIT_HASH_LEN);
			json_key(&j, "note");
			json_strn(&j, o->prev->note.note,
				  o->prev->note.note_len);
			json_obj_end(&j);
		}
		if (o->consistency != NULL)
			json_kstr(&j, "consistency", o->consistency);
		json_kuint(&j, "records_checked", o->checked);
		json_findings(&j, &o->f);
		json_obj_end(&j);
		json_finish(&j);
	}
	if (!o->failed) {
		if (!cli_json())
			printf("verified: the node's log is %s, consistent "
			       "with what was seen before, and holds every "
			       "record checked\n",
			       o->qk ? "cosigned by a quorum of the voters"
				     : "signed by its trusted key");
		status = DOT_EXIT_OK;
		goto out;
	}
	fflush(stdout);
	for (size_t i = 0; i < o->f.n; i++)
		fprintf(stderr, "%s: %s\n", cli_prog(), o->f.items[i]);
	if (o->show_notes && !cli_json()) {
		show_note("the checkpoint seen before (stored in the "
			  "checkpoints directory)",
			  o->prev->note.note, o->prev->note.note_len);
		show_note("the checkpoint the node signs now", l->cp->note.note,
			  l->cp->note.note_len);
	}
	status = DOT_EXIT_FAIL;
	goto out;
fatal:
	status = cli_fail(&e);
out:
	dot_audit_checkpoint_free(o->prev);
	o->prev = NULL;
	dot_buf_free(&o->note);
	audit_log_close(l);
	return status;
}

int
cmd_audit_verify(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_NODE_KEY, OPT_RECENT, OPT_DIR, OPT_KEYS };
	static const struct option opts[] = {
	    {"node-key", required_argument, NULL, OPT_NODE_KEY},
	    {"keys", required_argument, NULL, OPT_KEYS},
	    {"recent", required_argument, NULL, OPT_RECENT},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct online *o;
	struct cli_qkeys *qk = NULL;
	const char *dir = NULL, *kpath = NULL;
	int c, has_recent = 0, status;

	(void)self;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_prog());
		return DOT_EXIT_FAIL;
	}
	o->recent = RECENT_DEFAULT;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_NODE_KEY:
			o->node_key = optarg;
			break;
		case OPT_RECENT:
			if (cli_parse_u64(optarg, 0, UINT64_MAX, &o->recent) !=
			    0) {
				free(o);
				return cli_usage("--recent '%s': give a "
						 "number of records",
						 optarg);
			}
			has_recent = 1;
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_KEYS:
			kpath = optarg;
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			free(o);
			return cli_help(verify_help);
		default:
			free(o);
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc) {
		free(o);
		return cli_usage("unexpected argument '%s'", argv[optind]);
	}
	if (dir != NULL && (o->node_key != NULL || has_recent || kpath)) {
		free(o);
		return cli_usage("--dir verifies a data directory offline: "
				 "--node-key, --keys and --recent are for the "
				 "online check");
	}
	if (kpath != NULL && o->node_key != NULL) {
		free(o);
		return cli_usage("--keys checks cosigned checkpoints, "
				 "--node-key one node's: give one");
	}
	if (kpath != NULL) {
		struct dot_err ke = {0};

		if ((qk = calloc(1, sizeof(*qk))) == NULL ||
		    cli_qkeys_load(kpath, qk, &ke) != DOT_OK) {
			free(o);
			free(qk);
			if (ke.code == 0)
				ke.code = DOT_ENOMEM;
			return cli_fail(&ke);
		}
		o->qk = qk;
	}
	if (o->node_key != NULL) {
		struct dot_audit_vkey pin;
		struct dot_err pe = {0};

		if (dot_audit_vkey_parse(&pin, o->node_key, strlen(o->node_key),
					 &pe) != DOT_OK) {
			free(o);
			return cli_usage("--node-key: %s (give the key as "
					 "audit.key and 'dot audit verify' "
					 "show it: NAME+ID+BASE64)",
					 pe.msg);
		}
	}
	status = dir != NULL ? verify_offline(dir) : verify_online(o);
	free(o);
	free(qk);
	return status;
}
