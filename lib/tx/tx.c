/*
 * tx.c - transactions and receipts (include/doteros/tx.h,
 * docs/tx-format.md).
 */
#include <inttypes.h>
#include <string.h>

#include "doteros/codec.h"
#include "doteros/heap.h"
#include "doteros/tx.h"
#include "token/token_int.h"

/* Domain separation strings (docs/tx-format.md §domains), without NUL. */
static const char dom_id[] = "dot-tx-v1 id";
static const char dom_sig[] = "dot-tx-v1 sig";
static const char dom_receipt[] = "dot-receipt-v1";
#define DOM_LEN(s) (sizeof(s) - 1)

/*
 * Nesting: a signed tx is checked with the codec's ceiling of 16. The
 * payload sits one level down and its args two, so a payload checked alone
 * gets 15 and args alone 14: whatever passes alone also passes embedded.
 */
static const struct dot_codec_limits tx_limits = {
	.max_depth = DOT_CODEC_MAX_DEPTH,
	.max_str = 1u << 20,
	.max_items = 1u << 16,
};
static const struct dot_codec_limits payload_limits = {
	.max_depth = DOT_CODEC_MAX_DEPTH - 1,
	.max_str = 1u << 20,
	.max_items = 1u << 16,
};
static const struct dot_codec_limits args_limits = {
	.max_depth = DOT_CODEC_MAX_DEPTH - 2,
	.max_str = 1u << 20,
	.max_items = 1u << 16,
};
static const struct dot_codec_limits receipt_limits = {
	.max_depth = 4,
	.max_str = DOT_RECEIPT_MAX_DETAIL,
	.max_items = DOT_RECEIPT_MAX_VERSIONS,
};

enum payload_key {
	PK_VERSION = 1,
	PK_OP = 2,
	PK_ARGS = 3,
	PK_CONSUMED = 4,
	PK_AUTH = 5,
	PK_NONCE = 6,
	PK_NOT_BEFORE = 7,
	PK_NOT_AFTER = 8,
	PK_CLUSTER = 9,
};

static const char *const payload_key_name[] = {
	"", "version", "op", "args", "consumed", "authority", "nonce",
	"not_before", "not_after", "cluster",
};

enum receipt_key {
	RK_VERSION = 1,
	RK_TX_ID = 2,
	RK_STATUS = 3,
	RK_VERSIONS = 4,
	RK_LEDGER_INDEX = 5,
	RK_ENTRY_TIME = 6,
	RK_DETAIL = 7,
};

static const char *const receipt_key_name[] = {
	"", "version", "tx id", "status", "new versions", "ledger index",
	"entry time", "detail",
};

/* ---- small helpers ---- */

/* [a-z0-9._-]{1,max}: op, account and level names. */
static int
name_valid(const char *s, size_t n, size_t max)
{
	if (s == NULL || n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* (id, version) order: memcmp of the id, then the version. */
static int
objver_cmp(const struct dot_tx_objver *a, const struct dot_tx_objver *b)
{
	int c = memcmp(a->id, b->id, DOT_OBJECT_ID_LEN);

	if (c != 0)
		return c;
	return a->version < b->version ? -1 : a->version > b->version;
}

/* Index of the first out-of-order entry, or n if strictly ascending. */
static size_t
objvers_unsorted(const struct dot_tx_objver *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (objver_cmp(&v[i - 1], &v[i]) >= 0)
			return i;
	return n;
}

/* The first DOT_KEY_ID_LEN bytes of p in hex, for messages. */
static void
short_hex(const uint8_t *p, char out[2 * DOT_KEY_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < DOT_KEY_ID_LEN; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * DOT_KEY_ID_LEN] = '\0';
}

/* Key id of a public key in hex, for messages. */
static void
key_hex(const uint8_t *pk, size_t n, char out[2 * DOT_KEY_ID_LEN + 1])
{
	uint8_t id[DOT_KEY_ID_LEN];

	dot_key_id(pk, n, id);
	short_hex(id, out);
}

static void
enc_objvers(struct dot_buf *b, const struct dot_tx_objver *v, size_t n)
{
	dot_enc_array(b, n);
	for (size_t i = 0; i < n; i++) {
		dot_enc_array(b, 2);
		dot_enc_bstr(b, v[i].id, DOT_OBJECT_ID_LEN);
		dot_enc_uint(b, v[i].version);
	}
}

/*
 * Typed readers that turn a type mismatch into the module's format error,
 * naming the field. The buffer was checked whole, so the only failure left
 * is a wrong type (or a wrong length for fixed strings).
 */
static int
rd_uint(struct dot_dec *d, int code, const char *what, uint64_t *v)
{
	size_t at = d->off;

	if (dot_dec_uint(d, v) != DOT_OK)
		return dot_err_set(d->err, code,
				   "%s (byte %zu) must be an unsigned integer",
				   what, at);
	return DOT_OK;
}

static int
rd_bstr_fixed(struct dot_dec *d, int code, const char *what,
	      const uint8_t **p, size_t n)
{
	size_t at = d->off;
	const uint8_t *q = NULL;
	size_t got;

	if (dot_dec_bstr(d, &q, &got) != DOT_OK)
		return dot_err_set(d->err, code,
				   "%s (byte %zu) must be a byte string", what,
				   at);
	if (got != n)
		return dot_err_set(d->err, code,
				   "%s (byte %zu) must be %zu bytes, not %zu",
				   what, at, n, got);
	*p = q;
	return DOT_OK;
}

static int
rd_bstr(struct dot_dec *d, int code, const char *what, const uint8_t **p,
	size_t *n)
{
	size_t at = d->off;

	if (dot_dec_bstr(d, p, n) != DOT_OK)
		return dot_err_set(d->err, code,
				   "%s (byte %zu) must be a byte string", what,
				   at);
	return DOT_OK;
}

static int
rd_tstr(struct dot_dec *d, int code, const char *what, const char **s,
	size_t *n)
{
	size_t at = d->off;

	if (dot_dec_tstr(d, s, n) != DOT_OK)
		return dot_err_set(d->err, code,
				   "%s (byte %zu) must be a text string", what,
				   at);
	return DOT_OK;
}

static int
rd_array(struct dot_dec *d, int code, const char *what, uint64_t *n)
{
	size_t at = d->off;

	if (dot_dec_array(d, n) != DOT_OK)
		return dot_err_set(d->err, code,
				   "%s (byte %zu) must be an array", what, at);
	return DOT_OK;
}

/* An array of [oid bstr(16), version uint], strictly ascending. */
static int
rd_objvers(struct dot_dec *d, int code, const char *what,
	   struct dot_tx_objver *v, size_t max, size_t *count)
{
	uint64_t n, two;
	int rv;

	rv = rd_array(d, code, what, &n);
	if (rv != DOT_OK)
		return rv;
	if (n > max)
		return dot_err_set(d->err, code,
				   "%s: %" PRIu64 " entries exceed the limit "
				   "of %zu",
				   what, n, max);
	for (size_t i = 0; i < (size_t)n; i++) {
		const uint8_t *id = NULL;
		size_t at = d->off;

		rv = rd_array(d, code, what, &two);
		if (rv != DOT_OK)
			return rv;
		if (two != 2)
			return dot_err_set(d->err, code,
					   "%s: entry %zu (byte %zu) must be "
					   "[object id, version]",
					   what, i, at);
		rv = rd_bstr_fixed(d, code, "object id", &id,
				   DOT_OBJECT_ID_LEN);
		if (rv != DOT_OK)
			return rv;
		memcpy(v[i].id, id, DOT_OBJECT_ID_LEN);
		rv = rd_uint(d, code, "object version", &v[i].version);
		if (rv != DOT_OK)
			return rv;
		if (i > 0 && objver_cmp(&v[i - 1], &v[i]) >= 0)
			return dot_err_set(d->err, code,
					   "%s: entry %zu (byte %zu) is not "
					   "above the one before (sorted by "
					   "object id, then version, no "
					   "repeats)",
					   what, i, at);
	}
	*count = (size_t)n;
	return DOT_OK;
}

/* Parse token bytes, prefixing the token parser's message. */
static int
token_check(const uint8_t *t, size_t n, struct dot_token **out,
	    struct dot_err *e)
{
	struct dot_err te = {0, ""};
	struct dot_token *tok = NULL;
	int rv;

	if (t == NULL || n == 0 || n > DOT_TOKEN_MAX_LEN)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "authority token of %zu bytes: must be 1.."
				   "%d bytes",
				   t == NULL ? 0 : n, DOT_TOKEN_MAX_LEN);
	rv = dot_token_parse(t, n, &tok, &te);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "authority token: %s",
				   te.msg[0] ? te.msg : dot_strerror(rv));
	if (out != NULL)
		*out = tok;
	else
		dot_token_free(tok);
	return DOT_OK;
}

/* ---- payloads ---- */

static int
payload_validate(const struct dot_tx_payload *p, struct dot_err *e)
{
	struct dot_err ce = {0, ""};
	size_t bad;
	int rv;

	if (!name_valid(p->op, p->op_len, DOT_TX_MAX_OP))
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "op must be 1..%d bytes of [a-z0-9._-]",
				   DOT_TX_MAX_OP);
	if (p->args == NULL || p->args_len == 0 ||
	    p->args_len > DOT_TX_MAX_ARGS)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "args of %zu bytes: must be one item of "
				   "at most %u bytes",
				   p->args == NULL ? 0 : p->args_len,
				   DOT_TX_MAX_ARGS);
	rv = dot_codec_check(p->args, p->args_len, &args_limits, &ce);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "args: %s", ce.msg);
	if (p->nconsumed > DOT_TX_MAX_CONSUMED)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "%zu consumed versions exceed the limit of "
				   "%d",
				   p->nconsumed, DOT_TX_MAX_CONSUMED);
	bad = objvers_unsorted(p->consumed, p->nconsumed);
	if (bad != p->nconsumed)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "consumed version %zu is not above the one "
				   "before (sorted by object id, then version, "
				   "no repeats)",
				   bad);
	switch (p->auth_kind) {
	case DOT_TX_AUTH_TOKEN:
		rv = token_check(p->token, p->token_len, NULL, e);
		if (rv != DOT_OK)
			return rv;
		break;
	case DOT_TX_AUTH_TOKEN_REF:
		if (p->token_ref == NULL)
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "token reference: no rid");
		break;
	case DOT_TX_AUTH_ACCOUNT:
		if (!name_valid(p->account, p->account_len,
				DOT_TX_MAX_ACCOUNT))
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "account must be 1..%d bytes of "
					   "[a-z0-9._-]",
					   DOT_TX_MAX_ACCOUNT);
		if (!name_valid(p->level, p->level_len, DOT_TX_MAX_LEVEL))
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "level must be 1..%d bytes of "
					   "[a-z0-9._-]",
					   DOT_TX_MAX_LEVEL);
		break;
	default:
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "unknown authority kind %d", p->auth_kind);
	}
	if (p->not_before >= p->not_after)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "empty validity window: not_before %" PRIu64
				   " is not before not_after %" PRIu64,
				   p->not_before, p->not_after);
	return DOT_OK;
}

/* Encode a payload already validated. */
static void
payload_put(const struct dot_tx_payload *p, struct dot_buf *b)
{
	dot_enc_map(b, p->has_cluster ? 9 : 8);
	dot_enc_uint(b, PK_VERSION);
	dot_enc_uint(b, DOT_TX_VERSION);
	dot_enc_uint(b, PK_OP);
	dot_enc_tstr(b, p->op, p->op_len);
	dot_enc_uint(b, PK_ARGS);
	dot_enc_raw(b, p->args, p->args_len);
	dot_enc_uint(b, PK_CONSUMED);
	enc_objvers(b, p->consumed, p->nconsumed);
	dot_enc_uint(b, PK_AUTH);
	if (p->auth_kind == DOT_TX_AUTH_TOKEN) {
		dot_enc_array(b, 2);
		dot_enc_uint(b, DOT_TX_AUTH_TOKEN);
		dot_enc_bstr(b, p->token, p->token_len);
	} else if (p->auth_kind == DOT_TX_AUTH_TOKEN_REF) {
		dot_enc_array(b, 2);
		dot_enc_uint(b, DOT_TX_AUTH_TOKEN_REF);
		dot_enc_bstr(b, p->token_ref, DOT_RID_LEN);
	} else {
		dot_enc_array(b, 3);
		dot_enc_uint(b, DOT_TX_AUTH_ACCOUNT);
		dot_enc_tstr(b, p->account, p->account_len);
		dot_enc_tstr(b, p->level, p->level_len);
	}
	dot_enc_uint(b, PK_NONCE);
	dot_enc_bstr(b, p->nonce, DOT_TX_NONCE_LEN);
	dot_enc_uint(b, PK_NOT_BEFORE);
	dot_enc_uint(b, p->not_before);
	dot_enc_uint(b, PK_NOT_AFTER);
	dot_enc_uint(b, p->not_after);
	if (p->has_cluster) {
		dot_enc_uint(b, PK_CLUSTER);
		dot_enc_bstr(b, p->cluster_id, DOT_CLUSTER_ID_LEN);
	}
}

int
dot_tx_payload_encode(const struct dot_tx_payload *p, struct dot_buf *out,
		      struct dot_err *e)
{
	size_t start = out->len;
	int rv;

	rv = payload_validate(p, e);
	if (rv != DOT_OK)
		return rv;
	payload_put(p, out);
	if (out->err) {
		out->len = start < out->len ? start : out->len;
		return dot_err_set(e, out->err, "encoding the payload");
	}
	return DOT_OK;
}

static int
rd_authority(struct dot_dec *d, struct dot_tx_payload *p,
	     struct dot_token **tok, struct dot_err *e)
{
	size_t at = d->off;
	uint64_t n, kind;
	int rv;

	rv = rd_array(d, DOT_ETX_FORMAT, "authority", &n);
	if (rv != DOT_OK)
		return rv;
	if (n == 0)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "authority (byte %zu) is an empty array",
				   at);
	rv = rd_uint(d, DOT_ETX_FORMAT, "authority kind", &kind);
	if (rv != DOT_OK)
		return rv;
	if (kind == DOT_TX_AUTH_TOKEN) {
		if (n != 2)
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "token authority (byte %zu) must be "
					   "[1, token]",
					   at);
		rv = rd_bstr(d, DOT_ETX_FORMAT, "authority token", &p->token,
			     &p->token_len);
		if (rv != DOT_OK)
			return rv;
		p->auth_kind = DOT_TX_AUTH_TOKEN;
		return token_check(p->token, p->token_len, tok, e);
	}
	if (kind == DOT_TX_AUTH_TOKEN_REF) {
		size_t rl;

		if (n != 2)
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "token reference (byte %zu) must be "
					   "[3, rid]",
					   at);
		rv = rd_bstr(d, DOT_ETX_FORMAT, "token reference",
			     &p->token_ref, &rl);
		if (rv != DOT_OK)
			return rv;
		if (rl != DOT_RID_LEN)
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "token reference (byte %zu) of %zu "
					   "bytes: a rid is %d",
					   at, rl, DOT_RID_LEN);
		p->auth_kind = DOT_TX_AUTH_TOKEN_REF;
		return DOT_OK;
	}
	if (kind == DOT_TX_AUTH_ACCOUNT) {
		if (n != 3)
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "account authority (byte %zu) must "
					   "be [2, account, level]",
					   at);
		rv = rd_tstr(d, DOT_ETX_FORMAT, "account", &p->account,
			     &p->account_len);
		if (rv != DOT_OK)
			return rv;
		if (!name_valid(p->account, p->account_len,
				DOT_TX_MAX_ACCOUNT))
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "account must be 1..%d bytes of "
					   "[a-z0-9._-]",
					   DOT_TX_MAX_ACCOUNT);
		rv = rd_tstr(d, DOT_ETX_FORMAT, "level", &p->level,
			     &p->level_len);
		if (rv != DOT_OK)
			return rv;
		if (!name_valid(p->level, p->level_len, DOT_TX_MAX_LEVEL))
			return dot_err_set(e, DOT_ETX_FORMAT,
					   "level must be 1..%d bytes of "
					   "[a-z0-9._-]",
					   DOT_TX_MAX_LEVEL);
		p->auth_kind = DOT_TX_AUTH_ACCOUNT;
		return DOT_OK;
	}
	return dot_err_set(e, DOT_ETX_FORMAT,
			   "unknown authority kind %" PRIu64 " at byte %zu",
			   kind, at);
}

/*
 * Parse payload bytes into *p (pointing into buf). With tok, the authority
 * token is kept there (owned by the caller); else it is only checked.
 */
static int
payload_parse(const uint8_t *buf, size_t n, struct dot_tx_payload *p,
	      struct dot_token **tok, struct dot_err *e)
{
	struct dot_dec d;
	struct dot_token *t = NULL;
	uint64_t npairs, key, v;
	uint32_t seen = 0;
	const uint8_t *q = NULL;
	int rv;

	memset(p, 0, sizeof(*p));
	rv = dot_dec_init(&d, buf, n, &payload_limits, e);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_map(&d, &npairs) != DOT_OK) {
		rv = dot_err_set(e, DOT_ETX_FORMAT, "payload is not a map");
		goto out;
	}
	for (uint64_t i = 0; i < npairs; i++) {
		size_t at = d.off;

		rv = rd_uint(&d, DOT_ETX_FORMAT, "payload key", &key);
		if (rv != DOT_OK)
			goto out;
		switch (key) {
		case PK_VERSION:
			rv = rd_uint(&d, DOT_ETX_FORMAT, "version", &v);
			if (rv != DOT_OK)
				goto out;
			if (v != DOT_TX_VERSION) {
				rv = dot_err_set(e, DOT_ETX_VERSION,
						 "payload version %" PRIu64
						 ", this build reads %d",
						 v, DOT_TX_VERSION);
				goto out;
			}
			break;
		case PK_OP:
			rv = rd_tstr(&d, DOT_ETX_FORMAT, "op", &p->op,
				     &p->op_len);
			if (rv != DOT_OK)
				goto out;
			if (!name_valid(p->op, p->op_len, DOT_TX_MAX_OP)) {
				rv = dot_err_set(e, DOT_ETX_FORMAT,
						 "op must be 1..%d bytes of "
						 "[a-z0-9._-]",
						 DOT_TX_MAX_OP);
				goto out;
			}
			break;
		case PK_ARGS:
			rv = dot_dec_item(&d, &p->args, &p->args_len);
			if (rv != DOT_OK)
				goto out;
			if (p->args_len > DOT_TX_MAX_ARGS) {
				rv = dot_err_set(e, DOT_ETX_FORMAT,
						 "args of %zu bytes exceed the "
						 "limit of %u",
						 p->args_len, DOT_TX_MAX_ARGS);
				goto out;
			}
			break;
		case PK_CONSUMED:
			rv = rd_objvers(&d, DOT_ETX_FORMAT, "consumed versions",
					p->consumed, DOT_TX_MAX_CONSUMED,
					&p->nconsumed);
			if (rv != DOT_OK)
				goto out;
			break;
		case PK_AUTH:
			rv = rd_authority(&d, p, tok ? &t : NULL, e);
			if (rv != DOT_OK)
				goto out;
			break;
		case PK_NONCE:
			rv = rd_bstr_fixed(&d, DOT_ETX_FORMAT, "nonce", &q,
					   DOT_TX_NONCE_LEN);
			if (rv != DOT_OK)
				goto out;
			memcpy(p->nonce, q, DOT_TX_NONCE_LEN);
			break;
		case PK_NOT_BEFORE:
			rv = rd_uint(&d, DOT_ETX_FORMAT, "not_before",
				     &p->not_before);
			if (rv != DOT_OK)
				goto out;
			break;
		case PK_NOT_AFTER:
			rv = rd_uint(&d, DOT_ETX_FORMAT, "not_after",
				     &p->not_after);
			if (rv != DOT_OK)
				goto out;
			break;
		case PK_CLUSTER:
			rv = rd_bstr_fixed(&d, DOT_ETX_FORMAT, "cluster id", &q,
					   DOT_CLUSTER_ID_LEN);
			if (rv != DOT_OK)
				goto out;
			memcpy(p->cluster_id, q, DOT_CLUSTER_ID_LEN);
			p->has_cluster = 1;
			break;
		default:
			rv = dot_err_set(e, DOT_ETX_FORMAT,
					 "unknown payload key %" PRIu64
					 " at byte %zu",
					 key, at);
			goto out;
		}
		seen |= 1u << key;
	}
	for (unsigned k = PK_VERSION; k <= PK_NOT_AFTER; k++)
		if (!(seen & 1u << k)) {
			rv = dot_err_set(e, DOT_ETX_FORMAT,
					 "payload lacks key %u (%s)", k,
					 payload_key_name[k]);
			goto out;
		}
	if (p->not_before >= p->not_after) {
		rv = dot_err_set(e, DOT_ETX_FORMAT,
				 "empty validity window: not_before %" PRIu64
				 " is not before not_after %" PRIu64,
				 p->not_before, p->not_after);
		goto out;
	}
	if (tok != NULL) {
		*tok = t;
		t = NULL;
	}
	rv = DOT_OK;
out:
	dot_token_free(t);
	return rv;
}

int
dot_tx_payload_parse(const uint8_t *buf, size_t n, struct dot_tx_payload *p,
		     struct dot_err *e)
{
	return payload_parse(buf, n, p, NULL, e);
}

void
dot_tx_id(const uint8_t *payload, size_t n, uint8_t id[DOT_TX_ID_LEN])
{
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom_id, DOM_LEN(dom_id));
	dot_hash_update(&h, payload, n);
	dot_hash_final(&h, id);
}

/* The message every signer signs: "dot-tx-v1 sig" || tx id. */
#define SIG_MSG_LEN (DOM_LEN(dom_sig) + DOT_TX_ID_LEN)

static void
sig_msg(const uint8_t id[DOT_TX_ID_LEN], uint8_t msg[SIG_MSG_LEN])
{
	memcpy(msg, dom_sig, DOM_LEN(dom_sig));
	memcpy(msg + DOM_LEN(dom_sig), id, DOT_TX_ID_LEN);
}

int
dot_tx_sign(const struct dot_sign_sk *sk, const uint8_t *payload, size_t n,
	    struct dot_tx_signature *out, struct dot_err *e)
{
	struct dot_tx_payload p;
	uint8_t id[DOT_TX_ID_LEN], msg[SIG_MSG_LEN];
	int rv;

	memset(out, 0, sizeof(*out));
	rv = dot_tx_payload_parse(payload, n, &p, e);
	if (rv != DOT_OK)
		return rv;
	dot_tx_id(payload, n, id);
	sig_msg(id, msg);
	rv = dot_sign(sk, msg, sizeof(msg), out->sig, &out->sig_len);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "signing the tx: %s",
				   dot_strerror(rv));
	out->pk_len = dot_sign_sk_public(sk, out->pk);
	return DOT_OK;
}

struct dot_tx_sig
dot_tx_sig_of(const struct dot_tx_signature *s)
{
	struct dot_tx_sig v = {s->pk, s->pk_len, s->sig, s->sig_len};

	return v;
}

/* A pair's suite is known and both lengths are that suite's. */
/* The one pair of a token tx may leave out its key, the token's holder's
 * (§3): only its signature's suite and length are checked here. */
static int
implicit_pair_check(const struct dot_tx_sig *s, int by_token, size_t nsigs,
		    struct dot_err *e)
{
	if (!by_token || nsigs != 1)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "signature 0: an empty public key (the "
				   "token's holder) is for the one signature "
				   "of a tx under a token");
	if (s->sig == NULL || s->sig_len == 0 ||
	    dot_sign_sig_len(s->sig[0]) == 0 ||
	    dot_sign_sig_len(s->sig[0]) != s->sig_len)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "signature 0: %zu bytes of an unknown suite "
				   "or not the suite's length",
				   s->sig_len);
	return DOT_OK;
}

static int
sig_pair_check(const struct dot_tx_sig *s, size_t i, struct dot_err *e)
{
	if (s->pk == NULL || s->pk_len == 0 ||
	    dot_sign_pk_len(s->pk[0]) == 0)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "signature %zu: public key of an unknown "
				   "suite",
				   i);
	if (dot_sign_pk_len(s->pk[0]) != s->pk_len)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "signature %zu: public key of %zu bytes, "
				   "suite %u needs %zu",
				   i, s->pk_len, s->pk[0],
				   dot_sign_pk_len(s->pk[0]));
	if (s->sig == NULL || s->sig_len == 0 || s->sig[0] != s->pk[0])
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "signature %zu: suite differs from its "
				   "key's",
				   i);
	if (dot_sign_sig_len(s->sig[0]) != s->sig_len)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "signature %zu: %zu bytes, suite %u needs "
				   "%zu",
				   i, s->sig_len, s->sig[0],
				   dot_sign_sig_len(s->sig[0]));
	return DOT_OK;
}

static void
sigs_put(const struct dot_tx_sig *sigs, size_t n, int implicit,
	 struct dot_buf *b)
{
	dot_enc_array(b, n);
	for (size_t i = 0; i < n; i++) {
		dot_enc_array(b, 2);
		if (implicit && i == 0)
			dot_enc_bstr(b, NULL, 0);
		else
			dot_enc_bstr(b, sigs[i].pk, sigs[i].pk_len);
		dot_enc_bstr(b, sigs[i].sig, sigs[i].sig_len);
	}
}

int
dot_tx_assemble(const uint8_t *payload, size_t n, const struct dot_tx_sig *sigs,
		size_t nsigs, struct dot_buf *out, struct dot_err *e)
{
	struct dot_tx_payload p;
	size_t start = out->len;
	int rv, implicit;

	rv = dot_tx_payload_parse(payload, n, &p, e);
	if (rv != DOT_OK)
		return rv;
	if (nsigs == 0 || nsigs > DOT_TX_MAX_SIGS)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "%zu signatures: a tx carries 1..%d", nsigs,
				   DOT_TX_MAX_SIGS);
	implicit = sigs[0].pk_len == 0;
	for (size_t i = 0; i < nsigs; i++) {
		rv = implicit && i == 0
			     ? implicit_pair_check(&sigs[0],
						   DOT_TX_BY_TOKEN(p.auth_kind),
						   nsigs, e)
			     : sig_pair_check(&sigs[i], i, e);
		if (rv != DOT_OK)
			return rv;
	}
	dot_enc_array(out, 2);
	dot_enc_raw(out, payload, n);
	sigs_put(sigs, nsigs, implicit, out);
	if (out->err) {
		out->len = start < out->len ? start : out->len;
		return dot_err_set(e, out->err, "assembling the tx");
	}
	if (out->len - start > DOT_TX_MAX_LEN) {
		out->len = start;
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "signed tx would exceed %u bytes",
				   DOT_TX_MAX_LEN);
	}
	return DOT_OK;
}

/* ---- signed transactions ---- */

void
dot_tx_free(struct dot_tx *tx)
{
	if (tx == NULL)
		return;
	dot_token_free(tx->token);
	dot_free(tx->bytes);
	dot_free(tx);
}

static int
attach_refusal(const struct dot_tx *tx, struct dot_err *e)
{
	if (tx == NULL || tx->p.auth_kind != DOT_TX_AUTH_TOKEN_REF ||
	    tx->token != NULL)
		return dot_err_set(e, DOT_EINVAL,
				   "a token is attached only to a tx that "
				   "names it by reference, once");
	return DOT_OK;
}

int
dot_tx_attach_parsed_token(struct dot_tx *tx, struct dot_token *t,
			   struct dot_err *e)
{
	int rv = attach_refusal(tx, e);

	if (rv == DOT_OK && t == NULL)
		rv = dot_err_set(e, DOT_EINVAL, "no token to attach");
	if (rv == DOT_OK &&
	    memcmp(t->blocks[t->nblocks - 1].rid, tx->p.token_ref,
		   DOT_RID_LEN) != 0)
		rv = dot_err_set(e, DOT_ETOKEN_UNKNOWN,
				 "the token's last rid is not the tx's "
				 "reference");
	if (rv != DOT_OK) {
		dot_token_free(t);
		return rv;
	}
	tx->token = t;
	if (tx->holder_implicit)
		tx->sigs[0].pk = dot_token_holder(t, &tx->sigs[0].pk_len);
	return DOT_OK;
}

int
dot_tx_attach_token(struct dot_tx *tx, const uint8_t *token, size_t n,
		    struct dot_err *e)
{
	struct dot_token *t = NULL;
	int rv = attach_refusal(tx, e);

	if (rv != DOT_OK || (rv = token_check(token, n, &t, e)) != DOT_OK)
		return rv;
	return dot_tx_attach_parsed_token(tx, t, e);
}

int
dot_tx_claim_holder(struct dot_tx *tx, const uint8_t *pk, size_t n,
		    struct dot_err *e)
{
	if (tx == NULL || !tx->holder_implicit || tx->token != NULL ||
	    tx->sigs[0].pk_len != 0)
		return dot_err_set(e, DOT_EINVAL,
				   "a holder is claimed only for a tx that "
				   "leaves its key out and names its token by "
				   "reference, before the token is attached");
	if (pk == NULL || n == 0 || dot_sign_pk_len(pk[0]) != n)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "a claimed holder key of %zu bytes", n);
	tx->sigs[0].pk = pk;
	tx->sigs[0].pk_len = n;
	return DOT_OK;
}

int
dot_tx_parse(const uint8_t *buf, size_t n, struct dot_tx **out,
	     struct dot_err *e)
{
	struct dot_tx *tx = NULL;
	struct dot_dec d;
	uint64_t k, ns;
	int rv;

	*out = NULL;
	if (buf == NULL || n == 0)
		return dot_err_set(e, DOT_ETX_FORMAT, "empty transaction");
	if (n > DOT_TX_MAX_LEN)
		return dot_err_set(e, DOT_ETX_FORMAT,
				   "transaction of %zu bytes exceeds the "
				   "limit of %u",
				   n, DOT_TX_MAX_LEN);
	tx = dot_calloc(1, sizeof(*tx));
	if (tx == NULL) {
		rv = dot_err_set(e, DOT_ENOMEM, "allocating a tx");
		goto out;
	}
	tx->bytes = dot_malloc(n);
	if (tx->bytes == NULL) {
		rv = dot_err_set(e, DOT_ENOMEM, "copying a tx of %zu bytes",
				 n);
		goto out;
	}
	memcpy(tx->bytes, buf, n);
	tx->len = n;
	rv = dot_dec_init(&d, tx->bytes, n, &tx_limits, e);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_array(&d, &k) != DOT_OK || k != 2) {
		rv = dot_err_set(e, DOT_ETX_FORMAT,
				 "a signed tx is [payload, signatures]");
		goto out;
	}
	rv = dot_dec_item(&d, &tx->payload_bytes, &tx->payload_len);
	if (rv != DOT_OK)
		goto out;
	rv = payload_parse(tx->payload_bytes, tx->payload_len, &tx->p,
			   &tx->token, e);
	if (rv != DOT_OK)
		goto out;
	rv = rd_array(&d, DOT_ETX_FORMAT, "signatures", &ns);
	if (rv != DOT_OK)
		goto out;
	if (ns == 0 || ns > DOT_TX_MAX_SIGS) {
		rv = dot_err_set(e, DOT_ETX_FORMAT,
				 "%" PRIu64 " signatures: a tx carries 1..%d",
				 ns, DOT_TX_MAX_SIGS);
		goto out;
	}
	for (size_t i = 0; i < (size_t)ns; i++) {
		struct dot_tx_sig *s = &tx->sigs[i];
		size_t at = d.off;

		rv = rd_array(&d, DOT_ETX_FORMAT, "signature", &k);
		if (rv != DOT_OK)
			goto out;
		if (k != 2) {
			rv = dot_err_set(e, DOT_ETX_FORMAT,
					 "signature %zu (byte %zu) must be "
					 "[public key, signature]",
					 i, at);
			goto out;
		}
		rv = rd_bstr(&d, DOT_ETX_FORMAT, "public key", &s->pk,
			     &s->pk_len);
		if (rv != DOT_OK)
			goto out;
		rv = rd_bstr(&d, DOT_ETX_FORMAT, "signature", &s->sig,
			     &s->sig_len);
		if (rv != DOT_OK)
			goto out;
		if (i == 0 && s->pk_len == 0) {
			rv = implicit_pair_check(s,
						 DOT_TX_BY_TOKEN(tx->p.auth_kind),
						 (size_t)ns, e);
			tx->holder_implicit = 1;
		} else {
			rv = sig_pair_check(s, i, e);
		}
		if (rv != DOT_OK)
			goto out;
	}
	tx->nsigs = (size_t)ns;
	/* An inline token names its holder now; a reference, on attach. */
	if (tx->holder_implicit && tx->token != NULL)
		tx->sigs[0].pk = dot_token_holder(tx->token, &tx->sigs[0].pk_len);
	dot_tx_id(tx->payload_bytes, tx->payload_len, tx->id);
	*out = tx;
	tx = NULL;
	rv = DOT_OK;
out:
	dot_tx_free(tx);
	return rv;
}

int
dot_tx_encode(const struct dot_tx *tx, struct dot_buf *out,
	      struct dot_err *e)
{
	size_t start = out->len;
	int rv;

	dot_enc_array(out, 2);
	rv = dot_tx_payload_encode(&tx->p, out, e);
	if (rv != DOT_OK)
		goto fail;
	sigs_put(tx->sigs, tx->nsigs, tx->holder_implicit, out);
	if (out->err) {
		rv = dot_err_set(e, out->err, "encoding the tx");
		goto fail;
	}
	return DOT_OK;
fail:
	out->len = start < out->len ? start : out->len;
	return rv;
}

/* ---- verification ---- */

/* Index of pk among the tx's signers, or nsigs. */
static size_t
signer_index(const struct dot_tx *tx, const uint8_t *pk, size_t n)
{
	for (size_t i = 0; i < tx->nsigs; i++)
		if (tx->sigs[i].pk_len == n && memcmp(tx->sigs[i].pk, pk, n) == 0)
			return i;
	return tx->nsigs;
}

static int
check_token_signers(const struct dot_tx *tx, const struct dot_tx_verifier *v,
		    struct dot_err *e)
{
	const uint8_t *holder;
	size_t hlen, hi;
	char kh[2 * DOT_KEY_ID_LEN + 1];

	if (v->token_verifier == NULL || v->token_request == NULL)
		return dot_err_set(e, DOT_ETX_AUTHORITY,
				   "tx acts under a token, and this verifier "
				   "takes no tokens");
	holder = dot_token_holder(tx->token, &hlen);
	if (holder == NULL || hlen == 0)
		return dot_err_set(e, DOT_ETX_AUTHORITY,
				   "authority token names no holder");
	hi = signer_index(tx, holder, hlen);
	if (hi == tx->nsigs) {
		key_hex(holder, hlen, kh);
		return dot_err_set(e, DOT_ETOKEN_WRONG_HOLDER,
				   "the token's holder (key id %s) has not "
				   "signed the tx",
				   kh);
	}
	for (size_t i = 0; i < tx->nsigs; i++) {
		if (i == hi)
			continue;
		key_hex(tx->sigs[i].pk, tx->sigs[i].pk_len, kh);
		return dot_err_set(e, DOT_ETX_AUTHORITY,
				   "signature %zu (key id %s) is not the "
				   "token's holder: a token tx is signed by "
				   "its holder alone",
				   i, kh);
	}
	return DOT_OK;
}

static int
check_account_signers(const struct dot_tx *tx,
		      const struct dot_tx_verifier *v,
		      struct dot_tx_verify_result *res, struct dot_err *e)
{
	const struct dot_tx_payload *p = &tx->p;
	struct dot_tx_level lvl = {NULL, 0, 0};
	char kh[2 * DOT_KEY_ID_LEN + 1];
	uint64_t weight = 0;
	int rv;

	if (v->level == NULL)
		return dot_err_set(e, DOT_ETX_AUTHORITY,
				   "tx acts as %.*s@%.*s, and this verifier "
				   "resolves no accounts",
				   (int)p->account_len, p->account,
				   (int)p->level_len, p->level);
	rv = v->level(v->level_ctx, p->account, p->account_len, p->level,
		      p->level_len, &lvl);
	if (rv == DOT_ETX_AUTHORITY)
		return dot_err_set(e, rv, "no account level %.*s@%.*s",
				   (int)p->account_len, p->account,
				   (int)p->level_len, p->level);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "looking up %.*s@%.*s: %s",
				   (int)p->account_len, p->account,
				   (int)p->level_len, p->level,
				   dot_strerror(rv));
	if (lvl.threshold == 0 || (lvl.nkeys > 0 && lvl.keys == NULL))
		return dot_err_set(e, DOT_ETX_AUTHORITY,
				   "level %.*s@%.*s is malformed (threshold "
				   "0 or no keys)",
				   (int)p->account_len, p->account,
				   (int)p->level_len, p->level);
	for (size_t i = 0; i < tx->nsigs; i++) {
		const struct dot_tx_sig *s = &tx->sigs[i];
		size_t k;

		for (k = 0; k < lvl.nkeys; k++)
			if (lvl.keys[k].pk_len == s->pk_len &&
			    memcmp(lvl.keys[k].pk, s->pk, s->pk_len) == 0)
				break;
		if (k == lvl.nkeys) {
			key_hex(s->pk, s->pk_len, kh);
			return dot_err_set(e, DOT_ETX_AUTHORITY,
					   "signature %zu (key id %s) is by a "
					   "key outside %.*s@%.*s",
					   i, kh, (int)p->account_len,
					   p->account, (int)p->level_len,
					   p->level);
		}
		/* Signers are distinct (checked before), so each counts once;
		 * 16 weights of 32 bits cannot overflow 64. */
		weight += lvl.keys[k].weight;
	}
	res->weight = weight;
	if (weight < lvl.threshold)
		return dot_err_set(e, DOT_ETX_THRESHOLD,
				   "signers of %.*s@%.*s weigh %" PRIu64
				   ", the threshold is %" PRIu64,
				   (int)p->account_len, p->account,
				   (int)p->level_len, p->level, weight,
				   lvl.threshold);
	return DOT_OK;
}

/* The verified-signature cache's key: BLAKE2b-256 of a domain string, the
 * key's digest (dot_token__key_digest: the signer's key, bound in 32
 * bytes), the tx id and the signature. c: the cache whose memo gives the
 * digest of the key it last saw, or NULL. */
static void
sig_cache_key(struct dot_token_cache *c, const struct dot_tx *tx,
	      const struct dot_tx_sig *s, uint8_t out[DOT_HASH_LEN])
{
	static const char dom[] = "dot-tx-v2 verified";
	struct dot_hash_ctx h;
	uint8_t d[DOT_HASH_LEN];

	dot_token__cache_key_digest(c, s->pk, s->pk_len, d);
	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, d, sizeof(d));
	dot_hash_update(&h, tx->id, DOT_TX_ID_LEN);
	dot_hash_update(&h, s->sig, s->sig_len);
	dot_hash_final(&h, out);
}

int
dot_tx_check_signatures(const struct dot_tx *tx, struct dot_err *e)
{
	uint8_t msg[SIG_MSG_LEN];

	sig_msg(tx->id, msg);
	for (size_t i = 0; i < tx->nsigs; i++) {
		const struct dot_tx_sig *s = &tx->sigs[i];
		int rv;

		if (s->pk_len == 0) /* the holder's, not known yet */
			return dot_err_set(e, DOT_ETOKEN_UNKNOWN,
					   "signature %zu: the key is the "
					   "holder's of a token not attached",
					   i);
		rv = dot_verify(s->pk, s->pk_len, msg, sizeof(msg), s->sig,
				s->sig_len);
		if (rv != DOT_OK)
			return dot_err_set(e, DOT_ETX_SIGNATURE,
					   "signature %zu does not verify: %s",
					   i, dot_strerror(rv));
	}
	return DOT_OK;
}

void
dot_tx_sig_keys(const struct dot_tx *tx, struct dot_tx_sig_keys *k)
{
	k->n = 0;
	for (size_t i = 0; i < tx->nsigs; i++)
		if (tx->sigs[i].pk_len != 0)
			sig_cache_key(NULL, tx, &tx->sigs[i], k->key[k->n++]);
}

void
dot_tx_sig_cache_add_keys(struct dot_token_cache *c,
			  const struct dot_tx_sig_keys *k)
{
	for (size_t i = 0; i < k->n && i < DOT_TX_MAX_SIGS; i++)
		dot_token__cache_add(c, k->key[i]);
}

void
dot_tx_sig_cache_add(struct dot_token_cache *c, const struct dot_tx *tx)
{
	struct dot_tx_sig_keys k;

	dot_tx_sig_keys(tx, &k);
	dot_tx_sig_cache_add_keys(c, &k);
}

int
dot_tx_verify(const struct dot_tx *tx, const struct dot_tx_verifier *v,
	      struct dot_tx_verify_result *res, struct dot_err *e)
{
	const struct dot_tx_payload *p;
	struct dot_tx_verify_result local;
	struct dot_token_request req;
	uint8_t msg[SIG_MSG_LEN];
	char kh[2 * DOT_KEY_ID_LEN + 1];
	uint64_t maxw;
	int rv;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (tx == NULL || v == NULL)
		return dot_err_set(e, DOT_EINVAL, "no tx or no verifier");
	p = &tx->p;

	/* 1-2. The window: its length, then now against it. */
	maxw = v->max_window ? v->max_window : DOT_TX_WINDOW_DEFAULT;
	if (p->not_after - p->not_before > maxw)
		return dot_err_set(e, DOT_ETX_WINDOW,
				   "window of %" PRIu64 " s (%" PRIu64
				   "..%" PRIu64 ") exceeds the limit of "
				   "%" PRIu64 " s",
				   p->not_after - p->not_before, p->not_before,
				   p->not_after, maxw);
	if (v->now < p->not_before)
		return dot_err_set(e, DOT_ETX_NOT_YET_VALID,
				   "valid from %" PRIu64 ", now is %" PRIu64,
				   p->not_before, v->now);
	if (v->now >= p->not_after)
		return dot_err_set(e, DOT_ETX_EXPIRED,
				   "valid until %" PRIu64 " (exclusive), now "
				   "is %" PRIu64,
				   p->not_after, v->now);

	/* 3. The cluster. */
	if (v->cluster_id != NULL) {
		if (!p->has_cluster)
			return dot_err_set(e, DOT_ETX_CLUSTER,
					   "tx names no cluster, this one "
					   "requires its id");
		if (memcmp(p->cluster_id, v->cluster_id,
			   DOT_CLUSTER_ID_LEN) != 0)
			return dot_err_set(e, DOT_ETX_CLUSTER,
					   "tx names another cluster");
	}

	/* 4. Each key signs once. */
	for (size_t i = 1; i < tx->nsigs; i++) {
		size_t j = signer_index(tx, tx->sigs[i].pk, tx->sigs[i].pk_len);
		if (j < i) {
			key_hex(tx->sigs[i].pk, tx->sigs[i].pk_len, kh);
			return dot_err_set(e, DOT_ETX_DUPLICATE_SIGNER,
					   "signatures %zu and %zu are by the "
					   "same key (key id %s)",
					   j, i, kh);
		}
	}

	/* 5. The authority, from the claimed keys alone. */
	if (p->auth_kind == DOT_TX_AUTH_TOKEN_REF && tx->token == NULL) {
		short_hex(p->token_ref, kh);
		return dot_err_set(e, DOT_ETOKEN_UNKNOWN,
				   "the tx names its token by reference (rid "
				   "%s...) and none is attached",
				   kh);
	}
	if (DOT_TX_BY_TOKEN(p->auth_kind))
		rv = check_token_signers(tx, v, e);
	else
		rv = check_account_signers(tx, v, res, e);
	if (rv != DOT_OK)
		return rv;

	/* 6. Every signature (a known-good one only once). */
	sig_msg(tx->id, msg);
	for (size_t i = 0; i < tx->nsigs; i++) {
		const struct dot_tx_sig *s = &tx->sigs[i];
		uint8_t key[DOT_HASH_LEN];

		if (v->sig_cache != NULL) {
			sig_cache_key(v->sig_cache, tx, s, key);
			if (dot_token__cache_probe(v->sig_cache, key))
				continue;
		}
		rv = dot_verify(s->pk, s->pk_len, msg, sizeof(msg), s->sig,
				s->sig_len);
		if (rv == DOT_OK && v->sig_cache != NULL)
			dot_token__cache_add(v->sig_cache, key);
		if (rv != DOT_OK) {
			res->failed_sig = i;
			key_hex(s->pk, s->pk_len, kh);
			return dot_err_set(e, DOT_ETX_SIGNATURE,
					   "signature %zu (key id %s) does not "
					   "verify: %s",
					   i, kh, dot_strerror(rv));
		}
	}

	/* 7. The token chain, at the verifier's time. */
	if (DOT_TX_BY_TOKEN(p->auth_kind)) {
		req = *v->token_request;
		req.now = v->now;
		rv = dot_token_verify_chain(tx->token, v->token_verifier, &req,
					    &res->token, e);
		if (rv != DOT_OK)
			return rv;
		if (signer_index(tx, res->token.holder,
				 res->token.holder_len) == tx->nsigs)
			return dot_err_set(e, DOT_ETOKEN_WRONG_HOLDER,
					   "the verified chain's holder has "
					   "not signed the tx");
	}
	return DOT_OK;
}

int
dot_tx_account_split(const char *text, size_t n, const char **account,
		     size_t *account_len, const char **level,
		     size_t *level_len, struct dot_err *e)
{
	const char *at;

	at = text == NULL ? NULL : memchr(text, '@', n);
	if (at == NULL)
		return dot_err_set(e, DOT_EINVAL,
				   "expected account@level, found no '@'");
	if (!name_valid(text, (size_t)(at - text), DOT_TX_MAX_ACCOUNT))
		return dot_err_set(e, DOT_EINVAL,
				   "account must be 1..%d characters of "
				   "[a-z0-9._-]",
				   DOT_TX_MAX_ACCOUNT);
	if (!name_valid(at + 1, n - (size_t)(at - text) - 1,
			DOT_TX_MAX_LEVEL))
		return dot_err_set(e, DOT_EINVAL,
				   "level must be 1..%d characters of "
				   "[a-z0-9._-]",
				   DOT_TX_MAX_LEVEL);
	*account = text;
	*account_len = (size_t)(at - text);
	*level = at + 1;
	*level_len = n - *account_len - 1;
	return DOT_OK;
}

/* ---- receipts ---- */

/* A parsed receipt owns its versions array; the public struct is first. */
struct receipt_owned {
	struct dot_receipt r;
	struct dot_tx_objver *versions;
};

void
dot_receipt_free(struct dot_receipt *r)
{
	struct receipt_owned *o = (struct receipt_owned *)r;

	if (r == NULL)
		return;
	dot_free(o->versions);
	dot_free(o->r.bytes);
	dot_free(o);
}

int
dot_receipt_encode(const struct dot_receipt *r, struct dot_buf *out,
		   struct dot_err *e)
{
	struct dot_err ce = {0, ""};
	size_t start = out->len, bad;
	int has_detail = r->detail_len > 0;
	int rv;

	if (r->status < 0)
		return dot_err_set(e, DOT_ERECEIPT_FORMAT,
				   "status %d is negative", r->status);
	if (r->nversions > DOT_RECEIPT_MAX_VERSIONS ||
	    (r->nversions > 0 && r->versions == NULL))
		return dot_err_set(e, DOT_ERECEIPT_FORMAT,
				   "%zu new versions: at most %d",
				   r->nversions, DOT_RECEIPT_MAX_VERSIONS);
	if (r->status != DOT_OK && r->nversions != 0)
		return dot_err_set(e, DOT_ERECEIPT_FORMAT,
				   "a failed tx (status %d) produces no "
				   "versions",
				   r->status);
	bad = objvers_unsorted(r->versions, r->nversions);
	if (bad != r->nversions)
		return dot_err_set(e, DOT_ERECEIPT_FORMAT,
				   "new version %zu is not above the one "
				   "before (sorted by object id, then version, "
				   "no repeats)",
				   bad);
	if (has_detail && (r->detail == NULL ||
			   r->detail_len > DOT_RECEIPT_MAX_DETAIL))
		return dot_err_set(e, DOT_ERECEIPT_FORMAT,
				   "detail of %zu bytes: at most %d",
				   r->detail_len, DOT_RECEIPT_MAX_DETAIL);
	dot_enc_map(out, has_detail ? 7 : 6);
	dot_enc_uint(out, RK_VERSION);
	dot_enc_uint(out, DOT_RECEIPT_VERSION);
	dot_enc_uint(out, RK_TX_ID);
	dot_enc_bstr(out, r->tx_id, DOT_TX_ID_LEN);
	dot_enc_uint(out, RK_STATUS);
	dot_enc_uint(out, (uint64_t)r->status);
	dot_enc_uint(out, RK_VERSIONS);
	enc_objvers(out, r->versions, r->nversions);
	dot_enc_uint(out, RK_LEDGER_INDEX);
	dot_enc_uint(out, r->ledger_index);
	dot_enc_uint(out, RK_ENTRY_TIME);
	dot_enc_uint(out, r->entry_time);
	if (has_detail) {
		dot_enc_uint(out, RK_DETAIL);
		dot_enc_tstr(out, r->detail, r->detail_len);
	}
	if (out->err) {
		rv = dot_err_set(e, out->err, "encoding a receipt");
		goto fail;
	}
	/* The detail must be UTF-8: check the encoding as a parser will. */
	rv = dot_codec_check(out->data + start, out->len - start,
			     &receipt_limits, &ce);
	if (rv != DOT_OK) {
		rv = dot_err_set(e, rv, "receipt: %s", ce.msg);
		goto fail;
	}
	return DOT_OK;
fail:
	out->len = start < out->len ? start : out->len;
	return rv;
}

int
dot_receipt_parse(const uint8_t *buf, size_t n, struct dot_receipt **out,
		  struct dot_err *e)
{
	struct receipt_owned *o = NULL;
	struct dot_receipt *r;
	struct dot_dec d;
	uint64_t npairs, key, v;
	uint32_t seen = 0;
	const uint8_t *q = NULL;
	int rv;

	*out = NULL;
	if (buf == NULL || n == 0 || n > DOT_RECEIPT_MAX_LEN)
		return dot_err_set(e, DOT_ERECEIPT_FORMAT,
				   "receipt of %zu bytes: must be 1..%u",
				   buf == NULL ? 0 : n, DOT_RECEIPT_MAX_LEN);
	o = dot_calloc(1, sizeof(*o));
	if (o == NULL) {
		rv = dot_err_set(e, DOT_ENOMEM, "allocating a receipt");
		goto out;
	}
	r = &o->r;
	r->bytes = dot_malloc(n);
	if (r->bytes == NULL) {
		rv = dot_err_set(e, DOT_ENOMEM, "copying a receipt");
		goto out;
	}
	memcpy(r->bytes, buf, n);
	r->len = n;
	rv = dot_dec_init(&d, r->bytes, n, &receipt_limits, e);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_map(&d, &npairs) != DOT_OK) {
		rv = dot_err_set(e, DOT_ERECEIPT_FORMAT,
				 "receipt is not a map");
		goto out;
	}
	for (uint64_t i = 0; i < npairs; i++) {
		size_t at = d.off;

		rv = rd_uint(&d, DOT_ERECEIPT_FORMAT, "receipt key", &key);
		if (rv != DOT_OK)
			goto out;
		switch (key) {
		case RK_VERSION:
			rv = rd_uint(&d, DOT_ERECEIPT_FORMAT, "version", &v);
			if (rv != DOT_OK)
				goto out;
			if (v != DOT_RECEIPT_VERSION) {
				rv = dot_err_set(e, DOT_ERECEIPT_FORMAT,
						 "receipt version %" PRIu64
						 ", this build reads %d",
						 v, DOT_RECEIPT_VERSION);
				goto out;
			}
			break;
		case RK_TX_ID:
			rv = rd_bstr_fixed(&d, DOT_ERECEIPT_FORMAT, "tx id",
					   &q, DOT_TX_ID_LEN);
			if (rv != DOT_OK)
				goto out;
			memcpy(r->tx_id, q, DOT_TX_ID_LEN);
			break;
		case RK_STATUS:
			rv = rd_uint(&d, DOT_ERECEIPT_FORMAT, "status", &v);
			if (rv != DOT_OK)
				goto out;
			if (v > INT32_MAX) {
				rv = dot_err_set(e, DOT_ERECEIPT_FORMAT,
						 "status %" PRIu64
						 " is out of range",
						 v);
				goto out;
			}
			r->status = (int)v;
			break;
		case RK_VERSIONS: {
			uint64_t cnt;
			size_t save = d.off;

			/* Peek at the count to size the array. */
			rv = rd_array(&d, DOT_ERECEIPT_FORMAT, "new versions",
				      &cnt);
			if (rv != DOT_OK)
				goto out;
			d.off = save;
			if (cnt > 0) {
				o->versions = dot_calloc((size_t)cnt,
							 sizeof(*o->versions));
				if (o->versions == NULL) {
					rv = dot_err_set(e, DOT_ENOMEM,
							 "allocating %" PRIu64
							 " versions",
							 cnt);
					goto out;
				}
			}
			rv = rd_objvers(&d, DOT_ERECEIPT_FORMAT, "new versions",
					o->versions, DOT_RECEIPT_MAX_VERSIONS,
					&r->nversions);
			if (rv != DOT_OK)
				goto out;
			r->versions = o->versions;
			break;
		}
		case RK_LEDGER_INDEX:
			rv = rd_uint(&d, DOT_ERECEIPT_FORMAT, "ledger index",
				     &r->ledger_index);
			if (rv != DOT_OK)
				goto out;
			break;
		case RK_ENTRY_TIME:
			rv = rd_uint(&d, DOT_ERECEIPT_FORMAT, "entry time",
				     &r->entry_time);
			if (rv != DOT_OK)
				goto out;
			break;
		case RK_DETAIL:
			rv = rd_tstr(&d, DOT_ERECEIPT_FORMAT, "detail",
				     &r->detail, &r->detail_len);
			if (rv != DOT_OK)
				goto out;
			if (r->detail_len == 0) {
				rv = dot_err_set(e, DOT_ERECEIPT_FORMAT,
						 "detail is present but empty "
						 "(omit the key instead)");
				goto out;
			}
			break;
		default:
			rv = dot_err_set(e, DOT_ERECEIPT_FORMAT,
					 "unknown receipt key %" PRIu64
					 " at byte %zu",
					 key, at);
			goto out;
		}
		seen |= 1u << key;
	}
	for (unsigned k = RK_VERSION; k <= RK_ENTRY_TIME; k++)
		if (!(seen & 1u << k)) {
			rv = dot_err_set(e, DOT_ERECEIPT_FORMAT,
					 "receipt lacks key %u (%s)", k,
					 receipt_key_name[k]);
			goto out;
		}
	if (r->status != DOT_OK && r->nversions != 0) {
		rv = dot_err_set(e, DOT_ERECEIPT_FORMAT,
				 "a failed tx (status %d) produces no versions",
				 r->status);
		goto out;
	}
	*out = r;
	o = NULL;
	rv = DOT_OK;
out:
	dot_receipt_free(o ? &o->r : NULL);
	return rv;
}

void
dot_receipt_hash(const uint8_t *buf, size_t n, uint8_t out[DOT_HASH_LEN])
{
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom_receipt, DOM_LEN(dom_receipt));
	dot_hash_update(&h, buf, n);
	dot_hash_final(&h, out);
}
