/*
 * Checkpoint cosignatures: the member nodes' signed-note lines over the
 * checkpoints of the Merkle log (docs/state-model.md §3, decision 0018).
 *
 * The consensus engine replicates them in commands of their own, so every
 * node holds the same rows and any node can hand out a checkpoint with a
 * quorum of signatures; the caller checks each line before it is put here
 * (lib/state does not know who the voters are at the time of a signature,
 * nor their verifier keys' names). Rows are kept for the last
 * DOT_STATE_COSIG_KEEP checkpoint sizes.
 */
#include <string.h>

#include "state_int.h"

int
dot_state_cosigs_put(struct dot_state *st, uint64_t ref,
		     const struct dot_state_cosig *c, size_t n,
		     struct dot_err *e)
{
	static const char ins[] =
		"INSERT OR IGNORE INTO cosig (size, name, root, line)"
		" VALUES (?1, ?2, ?3, ?4)";
	static const char prune[] =
		"DELETE FROM cosig WHERE size < (SELECT size FROM (SELECT "
		"DISTINCT size FROM cosig ORDER BY size DESC LIMIT 1 OFFSET ?1))";
	struct dot_err e2 = {0};
	sqlite3_stmt *s;
	int rv;

	if (ref != 0 && ref <= st->log_ref)
		return DOT_OK; /* put already (the engine hands it again) */
	for (size_t i = 0; i < n; i++)
		if (c[i].size > INT64_MAX || c[i].name_len == 0 ||
		    c[i].name_len > DOT_AUDIT_MAX_NAME || c[i].line_len == 0 ||
		    c[i].line_len > DOT_AUDIT_LINE_MAX)
			return dot_err_set(e, DOT_EINVAL, "bad cosignature");
	rv = st_exec(st, "BEGIN IMMEDIATE", e);
	if (rv != DOT_OK)
		return rv;
	for (size_t i = 0; i < n && rv == DOT_OK; i++) {
		rv = st_prepare(st, ins, &s, e);
		if (rv != DOT_OK)
			break;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)c[i].size);
		sqlite3_bind_text(s, 2, c[i].name, (int)c[i].name_len,
				  SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, c[i].root, DOT_AUDIT_HASH_LEN,
				  SQLITE_STATIC);
		sqlite3_bind_text(s, 4, c[i].line, (int)c[i].line_len,
				  SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			rv = st_sqlerr(st, e, "cosig");
		sqlite3_reset(s);
	}
	if (rv == DOT_OK && (rv = st_prepare(st, prune, &s, e)) == DOT_OK) {
		sqlite3_bind_int64(s, 1, DOT_STATE_COSIG_KEEP - 1);
		if (sqlite3_step(s) != SQLITE_DONE)
			rv = st_sqlerr(st, e, "cosig");
		sqlite3_reset(s);
	}
	if (rv == DOT_OK && ref != 0)
		rv = st_save_log_ref(st, ref, e);
	if (rv == DOT_OK)
		rv = st_exec(st, "COMMIT", e);
	if (rv != DOT_OK) {
		(void)st_exec(st, "ROLLBACK", &e2);
		return rv;
	}
	if (ref != 0)
		st->log_ref = ref;
	return DOT_OK;
}

int
dot_state_cosigs(struct dot_state *st, uint64_t size,
		 int (*cb)(void *ctx, const struct dot_state_cosig *c),
		 void *ctx, struct dot_err *e)
{
	static const char sql[] = "SELECT name, root, line FROM cosig"
				  " WHERE size = ?1 ORDER BY name";
	sqlite3_stmt *s;
	int rc, rv;

	if (size > INT64_MAX)
		return DOT_OK;
	rv = st_prepare(st, sql, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)size);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct dot_state_cosig c;

		if (sqlite3_column_bytes(s, 1) != DOT_AUDIT_HASH_LEN) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE,
					 "a cosig row has a bad root");
			break;
		}
		c.size = size;
		c.name = (const char *)sqlite3_column_text(s, 0);
		c.name_len = (size_t)sqlite3_column_bytes(s, 0);
		memcpy(c.root, sqlite3_column_blob(s, 1), DOT_AUDIT_HASH_LEN);
		c.line = (const char *)sqlite3_column_text(s, 2);
		c.line_len = (size_t)sqlite3_column_bytes(s, 2);
		if (c.name == NULL || c.line == NULL) {
			rv = DOT_ENOMEM;
			break;
		}
		if ((rv = cb(ctx, &c)) != DOT_OK)
			break;
	}
	if (rv == DOT_OK && rc != SQLITE_DONE)
		rv = st_sqlerr(st, e, "cosig");
	sqlite3_reset(s);
	return rv;
}

int
dot_state_cosig_sizes(struct dot_state *st, uint64_t min, uint64_t *sizes,
		      size_t max, size_t *n, struct dot_err *e)
{
	static const char sql[] = "SELECT DISTINCT size FROM cosig"
				  " WHERE size >= ?1 ORDER BY size DESC"
				  " LIMIT ?2";
	sqlite3_stmt *s;
	int rc, rv;

	*n = 0;
	if (min > INT64_MAX || max == 0)
		return DOT_OK;
	rv = st_prepare(st, sql, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)min);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)(max > 1000 ? 1000 : max));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		sizes[(*n)++] = (uint64_t)sqlite3_column_int64(s, 0);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		rv = st_sqlerr(st, e, "cosig");
	sqlite3_reset(s);
	return rv;
}
