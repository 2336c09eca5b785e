/*
 * verify.c - offline verification of a node's data directory.
 *
 * The log is checked record by record (its hash chain), every entry is
 * replayed into a fresh in-memory state, and the node's state database is
 * compared with the replay table by table (SQLite EXCEPT, both ways), so a
 * changed byte in either file is found and named.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "doteros/state.h"
#include "log.h"
#include "verify.h"

struct replay {
	struct dot_state *st;
	uint64_t entries;
	int failed;
	char why[300];
};

static int
replay_entry(void *ctx, uint64_t index, uint64_t time, const uint8_t *entry,
	     size_t n)
{
	struct replay *r = ctx;
	struct dot_buf receipts = {0};
	struct dot_err e = {0};
	int rv = dot_state_apply(r->st, index, time, entry, n, &receipts, &e);

	dot_buf_free(&receipts);
	if (rv == DOT_ESTATE_STORAGE || rv == DOT_ENOMEM || rv == DOT_EINVAL) {
		snprintf(r->why, sizeof(r->why), "entry %llu: %s",
			 (unsigned long long)index, e.msg);
		r->failed = 1;
		return rv;
	}
	r->entries++;
	return DOT_OK;
}

static const struct {
	const char *table;
	const char *cols;  /* compared columns */
	const char *label; /* how a differing row is named */
} tables[] = {
	{"meta", "k, v", "k"},
	{"objects",
	 "id, kind, path, parent, owner, version, size, content, created, "
	 "modified, policy",
	 "coalesce(path, '(message ' || hex(id) || ')')"},
	{"chunks", "hash, data, refs", "'chunk ' || hex(hash)"},
	{"accounts", "name, created", "name"},
	{"levels", "account, level, threshold", "account || '@' || level"},
	{"level_keys", "account, level, pk, weight, keyid",
	 "account || '@' || level || ' key ' || hex(substr(pk, 1, 8))"},
	{"revoked", "rid, at", "'rid ' || hex(rid)"},
	{"grants", "rid, issuer, token, at", "'grant ' || hex(rid)"},
	{"txs", "not_after, at, pos, id", "'tx ' || hex(id)"},
	{"ledger", "seq, entry, txid, tx, receipt",
	 "'ledger record ' || seq || ' (entry ' || entry || ')'"},
	{"merkle", "pos, level, idx, hash",
	 "'Merkle node ' || level || '/' || idx"},
};

/* Report rows of `a` not in `b`. Returns the number found, -1 on error. */
static int
diff(sqlite3 *db, const char *table, const char *cols, const char *label,
     const char *a, const char *b, const char *what, FILE *out)
{
	char sql[1024];
	sqlite3_stmt *s;
	int found = 0, rc;

	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM (SELECT %s FROM %s.%s EXCEPT SELECT %s FROM "
		 "%s.%s) LIMIT 20",
		 label, cols, a, table, cols, b, table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(out, "state: cannot compare %s: %s\n", table,
			sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		fprintf(out, "state: %s: %s %s\n", table, name ? name : "?",
			what);
		found++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? found : -1;
}

int
dotd_verify(const char *dir, FILE *out)
{
	char path[4096], uri[4200];
	struct dotd_log log;
	struct replay r;
	struct dot_err e = {0};
	sqlite3 *db = NULL;
	int status = 0, rv;

	memset(&r, 0, sizeof(r));
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    dot_state_open(db, &r.st, &e) != DOT_OK) {
		fprintf(out, "cannot open a scratch state: %s\n", e.msg);
		status = 2;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	rv = dotd_log_scan(&log, path, replay_entry, &r, &e);
	if (rv != DOT_OK && !r.failed) {
		fprintf(out, "log: %s\n", e.msg);
		status = 1;
		/* still compare what was replayed */
	} else if (r.failed) {
		fprintf(out, "log: replay stopped: %s\n", r.why);
		status = 2;
		goto out;
	} else {
		fprintf(out, "log: %llu entries, hash chain intact%s\n",
			(unsigned long long)r.entries,
			log.truncated ? " (a torn last record: an append that "
					"never completed)"
				      : "");
		dotd_log_close(&log);
	}
	snprintf(path, sizeof(path), "%s/state.db", dir);
	snprintf(uri, sizeof(uri), "file:%s?mode=ro", path);
	{
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS disk", -1, &s,
				       NULL) != SQLITE_OK) {
			status = 2;
			goto out;
		}
		sqlite3_bind_text(s, 1, uri, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			fprintf(out, "state: cannot open %s: %s\n", path,
				sqlite3_errmsg(db));
			sqlite3_finalize(s);
			status = 2;
			goto out;
		}
		sqlite3_finalize(s);
	}
	{
		int differ = 0;
		for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
			int a = diff(db, tables[i].table, tables[i].cols,
				     tables[i].label, "disk", "main",
				     "differs from the log's replay", out);
			int b = diff(db, tables[i].table, tables[i].cols,
				     tables[i].label, "main", "disk",
				     "is missing or altered in the database",
				     out);
			if (a < 0 || b < 0) {
				status = status ? status : 2;
				continue;
			}
			differ += a + b;
		}
		if (differ == 0)
			fprintf(out, "state: matches the log's replay, "
				     "table by table\n");
		else
			status = 1;
	}
	{
		uint64_t size;
		uint8_t root[DOT_AUDIT_HASH_LEN];
		dot_state_log_root(r.st, &size, root);
		fprintf(out, "audit log: %llu records, root ",
			(unsigned long long)size);
		for (int i = 0; i < DOT_AUDIT_HASH_LEN; i++)
			fprintf(out, "%02x", root[i]);
		fputc('\n', out);
	}
out:
	dot_state_close(r.st);
	sqlite3_close(db);
	return status;
}
