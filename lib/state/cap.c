/*
 * cap.c - capability grants and revocations (docs/state-model.md §caps).
 *
 * cap.grant records a token's block 0 in the ledger, for audit: who granted
 * what to whom. cap.revoke adds a revocation id to the revoked set, which
 * every later verification on every path checks before any signature work.
 * A block may be revoked by the admin account, by the token's issuer
 * account, or by any holder above it in the chain (the holder of block j
 * signed block j+1 and may revoke it and everything after).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doteros/heap.h"
#include "state_int.h"

static int
arg_token(struct op *o, uint64_t key, struct dot_token **tok)
{
	const uint8_t *p;
	size_t n;
	uint64_t k;
	int rv;

	if (dot_dec_uint(&o->args, &k) != DOT_OK || k != key ||
	    dot_dec_bstr(&o->args, &p, &n) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " (token) must be its "
				   "bytes",
				   key);
	rv = dot_token_parse(p, n, tok, o->e);
	if (rv == DOT_ENOMEM)
		return rv;
	if (rv != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS, "token: %s",
				   o->e ? o->e->msg : dot_strerror(rv));
	return DOT_OK;
}

/* The path a token's authority is checked against. */
static int
token_scope(struct op *o, const struct dot_token *t, char *out, size_t cap)
{
	if (t->resource_kind == DOT_RESOURCE_PATH) {
		memcpy(out, t->resource, t->resource_len);
		out[t->resource_len] = '\0';
		return DOT_OK;
	}
	return obj_path(o->st, t->resource, out, cap, o->e);
}

/* The path a request through t is checked against: its narrowest path
 * caveat, else its resource path (object tokens: the object's path, and
 * the request names the object itself). */
static void
request_path(const struct dot_token *t, const char *scope, char *out,
	     size_t cap)
{
	for (size_t i = t->nblocks; i-- > 0;)
		if (t->blocks[i].cav.present & DOT_CAV_PATH &&
		    t->blocks[i].cav.path_len < cap) {
			memcpy(out, t->blocks[i].cav.path,
			       t->blocks[i].cav.path_len);
			out[t->blocks[i].cav.path_len] = '\0';
			return;
		}
	snprintf(out, cap, "%s", scope);
}

/* cap.grant {1: token}: by the token's issuer account (account authority);
 * the token must verify (signatures, narrowing, not expired). */
int
op_cap_grant(struct op *o)
{
	static const char sql[] = "INSERT INTO grants (rid, issuer, token, at)"
				  " VALUES (?1, ?2, ?3, ?4)"
				  " ON CONFLICT (rid) DO NOTHING";
	struct dot_token *t = NULL;
	struct dot_token_verifier tv;
	struct dot_token_request req;
	struct dot_token_result res;
	char scope[DOT_TOKEN_MAX_PATH + 1], issuer[DOT_TX_MAX_ACCOUNT + 1];
	char rpath[DOT_TOKEN_MAX_PATH + 1];
	uint8_t ipk[DOT_SIGN_PK_MAX];
	size_t ipklen;
	sqlite3_stmt *s;
	uint64_t n;
	int rv;

	if (dot_dec_map(&o->args, &n) != DOT_OK || n != 1)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "arguments: {1: token}");
	if ((rv = arg_token(o, 1, &t)) != DOT_OK)
		return rv;
	if ((rv = token_scope(o, t, scope, sizeof(scope))) != DOT_OK)
		goto out;
	if ((rv = op_authorize(o, 0, scope, NULL)) != DOT_OK)
		goto out;
	if (o->tx->p.auth_kind != DOT_TX_AUTH_ACCOUNT) {
		rv = dot_err_set(o->e, DOT_ESTATE_DENIED,
				 "a grant is recorded by its issuer account");
		goto out;
	}
	if ((rv = resolve_issuer(o->st, t, o->time, ipk, &ipklen, issuer,
				 o->e)) != DOT_OK)
		goto out;
	if (strcmp(issuer, o->principal) != 0) {
		rv = dot_err_set(o->e, DOT_ESTATE_DENIED,
				 "the token was issued by %s, not %s", issuer,
				 o->principal);
		goto out;
	}
	memset(&tv, 0, sizeof(tv));
	tv.issuer_pk = ipk;
	tv.issuer_pk_len = ipklen;
	tv.revoked = revoked_cb;
	tv.revoked_ctx = o->st;
	tv.cache = o->st->cache;
	tv.policy = o->st->crypto_policy;
	request_path(t, scope, rpath, sizeof(rpath));
	memset(&req, 0, sizeof(req));
	req.path = rpath;
	req.path_len = strlen(rpath);
	req.object_id = t->resource_kind == DOT_RESOURCE_OBJECT ? t->resource
								: NULL;
	req.now = o->time;
	if ((rv = dot_token_verify_chain(t, &tv, &req, &res, o->e)) != DOT_OK)
		goto out;
	if ((rv = st_prepare(o->st, sql, &s, o->e)) != DOT_OK)
		goto out;
	sqlite3_bind_blob(s, 1, t->blocks[0].rid, DOT_RID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, t->bytes, (int)t->len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		rv = st_sqlerr(o->st, o->e, "grant");
out:
	dot_token_free(t);
	return rv;
}

/* cap.revoke {1: token, 2: block index}: revoke that block's rid. */
int
op_cap_revoke(struct op *o)
{
	static const char sql[] = "INSERT INTO revoked (rid, at)"
				  " VALUES (?1, ?2) ON CONFLICT (rid) DO NOTHING";
	struct dot_token *t = NULL;
	const struct dot_token *mine = o->tx->token;
	char scope[DOT_TOKEN_MAX_PATH + 1], issuer[DOT_TX_MAX_ACCOUNT + 1];
	uint8_t ipk[DOT_SIGN_PK_MAX];
	size_t ipklen;
	sqlite3_stmt *s;
	uint64_t n, k, bi;
	int rv;

	if (dot_dec_map(&o->args, &n) != DOT_OK || n != 2)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "arguments: {1: token, 2: block index}");
	if ((rv = arg_token(o, 1, &t)) != DOT_OK)
		return rv;
	if (dot_dec_uint(&o->args, &k) != DOT_OK || k != 2 ||
	    dot_dec_uint(&o->args, &bi) != DOT_OK || bi >= t->nblocks) {
		rv = dot_err_set(o->e, DOT_ESTATE_ARGS,
				 "argument 2 must be a block index below %zu",
				 t->nblocks);
		goto out;
	}
	if ((rv = token_scope(o, t, scope, sizeof(scope))) != DOT_OK)
		goto out;
	if (DOT_TX_BY_TOKEN(o->tx->p.auth_kind)) {
		/* A holder above the block: the presented token is a prefix
		 * of this one that ends before the block. */
		if (mine->nblocks > bi || mine->nblocks > t->nblocks) {
			rv = dot_err_set(o->e, DOT_ESTATE_DENIED,
					 "a holder may revoke only the blocks "
					 "after its own");
			goto out;
		}
		for (size_t i = 0; i < mine->nblocks; i++)
			if (memcmp(mine->blocks[i].rid, t->blocks[i].rid,
				   DOT_RID_LEN) != 0) {
				rv = dot_err_set(o->e, DOT_ESTATE_DENIED,
						 "the presented token is not "
						 "a prefix of the revoked one");
				goto out;
			}
		o->target_id = mine->resource_kind == DOT_RESOURCE_OBJECT
				       ? mine->resource
				       : NULL;
		{
			char rpath[DOT_TOKEN_MAX_PATH + 1];
			request_path(mine, scope, rpath, sizeof(rpath));
			if ((rv = op_authorize(o, 0, rpath, NULL)) != DOT_OK)
				goto out;
		}
	} else {
		if ((rv = op_authorize(o, 0, scope, NULL)) != DOT_OK)
			goto out;
		if (strcmp(o->principal, o->st->admin) != 0) {
			rv = resolve_issuer(o->st, t, o->time, ipk, &ipklen,
					    issuer, o->e);
			/* No issuer, or an expired one: not the principal,
			 * which is valid (op_authorize checked). */
			if (rv != DOT_OK && rv != DOT_ETOKEN_ISSUER &&
			    rv != DOT_ESTATE_ACCOUNT_EXPIRED)
				goto out;
			if (rv != DOT_OK || strcmp(issuer, o->principal) != 0) {
				rv = dot_err_set(o->e, DOT_ESTATE_DENIED,
						 "only the admin, the token's "
						 "issuer or a holder above the "
						 "block may revoke it");
				goto out;
			}
		}
	}
	if ((rv = st_prepare(o->st, sql, &s, o->e)) != DOT_OK)
		goto out;
	sqlite3_bind_blob(s, 1, t->blocks[bi].rid, DOT_RID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		rv = st_sqlerr(o->st, o->e, "revoke");
out:
	dot_token_free(t);
	return rv;
}

/* ---- the revoked set, for the revocation feed (docs/revocation-feed.md) */

int
dot_state_revoked_ids(struct dot_state *st, struct dot_buf *out, size_t *n,
		      struct dot_err *e)
{
	static const char sql[] = "SELECT rid FROM revoked ORDER BY rid";
	sqlite3_stmt *s;
	int rc, rv;

	*n = 0;
	rv = st_prepare(st, sql, &s, e);
	if (rv != DOT_OK)
		return rv;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != DOT_RID_LEN) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE,
					 "a revoked row has a bad id");
			break;
		}
		dot_buf_put(out, sqlite3_column_blob(s, 0), DOT_RID_LEN);
		(*n)++;
	}
	if (rv == DOT_OK && rc != SQLITE_DONE)
		rv = st_sqlerr(st, e, "revoked");
	if (rv == DOT_OK && out->err)
		rv = DOT_ENOMEM;
	sqlite3_reset(s);
	return rv;
}

int
dot_state_rid_revoked(struct dot_state *st, const uint8_t rid[DOT_RID_LEN],
		      int *revoked, struct dot_err *e)
{
	static const char sql[] = "SELECT 1 FROM revoked WHERE rid = ?1";
	sqlite3_stmt *s;
	int rc, rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, rid, DOT_RID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*revoked = 1;
	else if (rc == SQLITE_DONE)
		*revoked = 0;
	else
		rv = st_sqlerr(st, e, "revoked");
	sqlite3_reset(s);
	return rv;
}
