/*
 * verify.c - offline verification of a node's data directory.
 *
 * A single node's log is checked record by record (its hash chain), every
 * entry is replayed into a fresh in-memory state, and the node's state
 * database is compared with the replay table by table (SQLite EXCEPT, both
 * ways), so a changed byte in either file is found and named.
 *
 * A cluster node keeps no log file: its entries live in the consensus
 * engine's log, which snapshots compact. Its state is replayed from its own
 * ledger table instead (the genesis the state keeps in meta, then each
 * entry's txs in order, at the entry time their receipts carry), and the
 * audit log's root at every size the database holds cosignatures for is
 * compared with the cosigned root, each signature checked against the
 * signer's node key: an edit of the objects is a difference from the
 * replay, and a consistent rewrite of the ledger, objects and all, no
 * longer matches what the other nodes signed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/state.h"
#include "doteros/tx.h"
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
	{"tokens", "rid, token, expires, at", "'token ' || hex(rid)"},
	{"txs", "not_after, at, pos, id", "'tx ' || hex(id)"},
	{"ledger", "seq, entry, txid, tx, receipt",
	 "'ledger record ' || seq || ' (entry ' || entry || ')'"},
	{"merkle", "pos, level, idx, hash",
	 "'Merkle node ' || level || '/' || idx"},
	{"nodes",
	 "raft_id, pk, raft_addr, api_addr, role, status, admitted, removed",
	 "'node ' || raft_id"},
	{"invites", "account, role, expires, created, used",
	 "'invitation ' || account"},
};

/* ---- a cluster node: replay from the ledger table ---- */

#define MAX_COSIGS 65536 /* cosignature rows looked at */

struct cosig_row {
	uint64_t size;
	char name[64];
	uint8_t root[DOT_AUDIT_HASH_LEN];
	char *line;
	int seen; /* the replay reached size: its root is in rroot */
	uint8_t rroot[DOT_AUDIT_HASH_LEN];
};

struct cluster_replay {
	struct cosig_row *cs;
	size_t ncs, next;   /* rows, by size; the next one to check */
	char origin[64];
	uint64_t checked, bad, unknown;
	FILE *out;
};

/* The node key whose checkpoint key name is `name` ("node-" + key id). */
struct find_key {
	const char *name;
	struct dot_state_node node;
	int found;
};

static int
find_key_cb(void *ctx, const struct dot_state_node *nd)
{
	struct find_key *f = ctx;
	uint8_t kid[DOT_KEY_ID_LEN];
	char name[8 + 2 * DOT_KEY_ID_LEN];

	dot_key_id(nd->key, nd->keylen, kid);
	memcpy(name, "node-", 5);
	for (int i = 0; i < DOT_KEY_ID_LEN; i++)
		snprintf(name + 5 + 2 * i, 3, "%02x", kid[i]);
	if (strcmp(name, f->name) == 0) {
		f->node = *nd;
		f->found = 1;
		return 1;
	}
	return 0;
}

/* Is row c's line a valid signature by its node over (size, root)? */
static int
cosig_valid(struct dot_state *st, const struct cluster_replay *cr,
	    const struct cosig_row *c, const uint8_t root[DOT_AUDIT_HASH_LEN],
	    char *why, size_t cap)
{
	struct find_key f;
	struct dot_audit_vkey vk;
	struct dot_audit_checkpoint *cp = NULL;
	struct dot_buf note = {0};
	struct dot_err e = {0};
	char num[24], b64[sodium_base64_ENCODED_LEN(
		DOT_AUDIT_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
	int ok;

	memset(&f, 0, sizeof(f));
	f.name = c->name;
	snprintf(why, cap, "no member node has that key name");
	if (dot_state_nodes(st, find_key_cb, &f, &e) != DOT_OK &&
	    !f.found)
		return 0;
	if (!f.found || dot_audit_vkey_from_pk(&vk, c->name, strlen(c->name),
					       f.node.key,
					       f.node.keylen) != DOT_OK)
		return 0;
	snprintf(num, sizeof(num), "%" PRIu64, c->size);
	sodium_bin2base64(b64, sizeof(b64), root, DOT_AUDIT_HASH_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	dot_buf_put(&note, cr->origin, strlen(cr->origin));
	dot_buf_put(&note, "\n", 1);
	dot_buf_put(&note, num, strlen(num));
	dot_buf_put(&note, "\n", 1);
	dot_buf_put(&note, b64, strlen(b64));
	dot_buf_put(&note, "\n\n", 2);
	dot_buf_put(&note, c->line, strlen(c->line));
	ok = note.err == DOT_OK &&
	     dot_audit_checkpoint_open((const char *)note.data, note.len, &vk,
				       1, cr->origin, strlen(cr->origin), &cp,
				       &e) == DOT_OK &&
	     cp->note.nverified == 1;
	snprintf(why, cap, "%s", e.msg[0] ? e.msg : "no valid signature");
	dot_audit_checkpoint_free(cp);
	dot_buf_free(&note);
	return ok;
}

/* After each entry: note the replay's root at the cosigned sizes. */
static void
cosig_note(struct dot_state *st, struct cluster_replay *cr)
{
	uint64_t size;
	uint8_t root[DOT_AUDIT_HASH_LEN];

	dot_state_log_root(st, &size, root);
	while (cr->next < cr->ncs && cr->cs[cr->next].size <= size) {
		struct cosig_row *c = &cr->cs[cr->next++];

		if (c->size < size)
			continue; /* a size between entries: none has it */
		c->seen = 1;
		memcpy(c->rroot, root, sizeof(root));
	}
}

/* After the replay: each cosignature against the replay's root at its
 * size, and its signature against its node's key (the replayed nodes
 * table: members then or since, removed ones included). */
static void
cosig_check(struct dot_state *st, struct cluster_replay *cr)
{
	for (size_t i = 0; i < cr->ncs; i++) {
		struct cosig_row *c = &cr->cs[i];
		char h[2 * DOT_AUDIT_HASH_LEN + 1], why[300];

		if (!c->seen) {
			cr->unknown++;
			continue;
		}
		if (sodium_memcmp(c->root, c->rroot, sizeof(c->root)) != 0) {
			for (int k = 0; k < DOT_AUDIT_HASH_LEN; k++)
				snprintf(h + 2 * k, 3, "%02x", c->root[k]);
			fprintf(cr->out,
				"ledger: %s cosigned the audit log at size "
				"%" PRIu64 " with root %s, not the root of "
				"this ledger's replay\n",
				c->name, c->size, h);
			cr->bad++;
		} else if (!cosig_valid(st, cr, c, c->rroot, why,
					sizeof(why))) {
			fprintf(cr->out,
				"ledger: the cosignature of %s at size %" PRIu64
				" does not verify with its node key (%s)\n",
				c->name, c->size, why);
			cr->bad++;
		} else {
			cr->checked++;
		}
	}
}

/* Read the cosig table of the database at path, by size. */
static int
cosigs_load(sqlite3 *dsk, struct cluster_replay *cr)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(dsk,
			       "SELECT size, name, root, line FROM cosig "
			       "ORDER BY size, name",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && cr->ncs < MAX_COSIGS) {
		struct cosig_row *c;
		const char *name = (const char *)sqlite3_column_text(s, 1);
		const char *line = (const char *)sqlite3_column_text(s, 3);

		if (cr->ncs % 256 == 0) {
			struct cosig_row *g = realloc(
			    cr->cs, (cr->ncs + 256) * sizeof(*cr->cs));
			if (g == NULL)
				break;
			cr->cs = g;
		}
		c = &cr->cs[cr->ncs];
		memset(c, 0, sizeof(*c));
		c->size = (uint64_t)sqlite3_column_int64(s, 0);
		snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
		if (sqlite3_column_bytes(s, 2) == DOT_AUDIT_HASH_LEN)
			memcpy(c->root, sqlite3_column_blob(s, 2),
			       DOT_AUDIT_HASH_LEN);
		if ((c->line = strdup(line ? line : "")) == NULL)
			break;
		cr->ncs++;
	}
	sqlite3_finalize(s);
	return 0;
}

/* One entry of the ledger table: its txs, in order. */
struct pending_entry {
	uint64_t index, time;
	int has_time;
	struct dot_buf txs; /* the batch's items, CBOR bstrs */
	size_t n;
};

static int
apply_pending(struct replay *r, struct cluster_replay *cr,
	      struct pending_entry *pe)
{
	struct dot_buf entry = {0};
	int rv;

	dot_enc_array(&entry, 2);
	dot_enc_uint(&entry, 2);
	dot_enc_array(&entry, pe->n);
	dot_buf_put(&entry, pe->txs.data, pe->txs.len);
	rv = entry.err;
	if (rv == DOT_OK)
		rv = replay_entry(r, pe->index, pe->time, entry.data,
				  entry.len);
	dot_buf_free(&entry);
	if (rv == DOT_OK)
		cosig_note(r->st, cr);
	pe->txs.len = 0;
	pe->n = 0;
	pe->has_time = 0;
	return rv;
}

/* Empty batches up to index `to` (entries with no ledger row: refused as a
 * whole), at time t. */
static int
fill_to(struct replay *r, struct cluster_replay *cr, uint64_t to, uint64_t t)
{
	struct pending_entry pe;
	uint64_t at = r->entries + 1; /* the genesis counts: entry 1 */
	int rv = DOT_OK;

	memset(&pe, 0, sizeof(pe));
	for (; at < to && rv == DOT_OK; at++) {
		pe.index = at;
		pe.time = t;
		rv = apply_pending(r, cr, &pe);
	}
	dot_buf_free(&pe.txs);
	return rv;
}

/*
 * Replay the state database at path from its own ledger table into r.
 * 0 when it replayed, 1 when the ledger itself does not hold together (a
 * finding was written), 2 when it cannot be read.
 */
static int
replay_ledger(const char *path, struct replay *r, FILE *out)
{
	struct cluster_replay cr;
	struct pending_entry pe;
	sqlite3 *dsk = NULL;
	sqlite3_stmt *s = NULL;
	const uint8_t *g;
	uint8_t *genesis = NULL, cid[DOT_CLUSTER_ID_LEN];
	size_t glen = 0;
	uint64_t last = 0, last_time = 0, prev_time = 0, rows = 0;
	int status = 2, rc;

	memset(&cr, 0, sizeof(cr));
	memset(&pe, 0, sizeof(pe));
	cr.out = out;
	if (access(path, R_OK) != 0) {
		fprintf(out, "state: cannot read %s\n", path);
		return 2;
	}
	if (sqlite3_open_v2(path, &dsk, SQLITE_OPEN_READONLY, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(dsk,
			       "SELECT (SELECT v FROM meta WHERE k = 'genesis'),"
			       " (SELECT v FROM meta WHERE k = 'position'),"
			       " (SELECT v FROM meta WHERE k = 'cluster')",
			       -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		fprintf(out, "state: cannot read %s: %s\n", path,
			dsk ? sqlite3_errmsg(dsk) : "out of memory");
		goto out;
	}
	g = sqlite3_column_blob(s, 0);
	glen = (size_t)sqlite3_column_bytes(s, 0);
	if (g == NULL || glen == 0) {
		fprintf(out, "state: %s keeps no genesis (meta 'genesis'; a "
			     "database made before it was kept there, or "
			     "edited): no log file, nothing to replay from\n",
			path);
		goto out;
	}
	if ((genesis = malloc(glen)) == NULL)
		goto out;
	memcpy(genesis, g, glen);
	if (sqlite3_column_bytes(s, 1) == 16) {
		const uint8_t *p = sqlite3_column_blob(s, 1);
		for (int i = 0; i < 8; i++) {
			last = last << 8 | p[i];
			last_time = last_time << 8 | p[8 + i];
		}
	}
	if (sqlite3_column_bytes(s, 2) != DOT_CLUSTER_ID_LEN) {
		fprintf(out, "state: %s has no cluster id in meta\n", path);
		goto out;
	}
	memcpy(cid, sqlite3_column_blob(s, 2), DOT_CLUSTER_ID_LEN);
	memcpy(cr.origin, "doteros/", 8);
	for (int i = 0; i < DOT_CLUSTER_ID_LEN; i++)
		snprintf(cr.origin + 8 + 2 * i, 3, "%02x", cid[i]);
	sqlite3_finalize(s);
	s = NULL;
	if (cosigs_load(dsk, &cr) != 0) {
		fprintf(out, "state: cannot read the cosignatures: %s\n",
			sqlite3_errmsg(dsk));
		goto out;
	}
	if (replay_entry(r, 1, 0, genesis, glen) != DOT_OK) {
		fprintf(out, "ledger: the genesis kept in meta does not "
			     "apply: %s\n",
			r->why);
		status = 1;
		goto out;
	}
	if (sqlite3_prepare_v2(dsk,
			       "SELECT seq, entry, tx, receipt FROM ledger "
			       "ORDER BY seq",
			       -1, &s, NULL) != SQLITE_OK) {
		fprintf(out, "state: cannot read the ledger: %s\n",
			sqlite3_errmsg(dsk));
		goto out;
	}
	status = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		uint64_t entry = (uint64_t)sqlite3_column_int64(s, 1);
		const uint8_t *tx = sqlite3_column_blob(s, 2);
		int txlen = sqlite3_column_bytes(s, 2);
		struct dot_receipt *rc_ = NULL;
		struct dot_err e = {0};

		rows++;
		if (entry < 2 || entry > last ||
		    (pe.n > 0 && entry < pe.index) || entry < r->entries + 1) {
			fprintf(out,
				"ledger: record %" PRIu64 " names entry %" PRIu64
				", out of order (the ledger table was "
				"edited)\n",
				seq, entry);
			status = 1;
			break;
		}
		if (pe.n > 0 && entry != pe.index) {
			prev_time = pe.time;
			if (apply_pending(r, &cr, &pe) != DOT_OK) {
				status = r->failed ? 2 : 1;
				break;
			}
		}
		if (pe.n == 0) {
			if (fill_to(r, &cr, entry, prev_time) != DOT_OK) {
				status = 2;
				break;
			}
			pe.index = entry;
		}
		if (!pe.has_time &&
		    dot_receipt_parse(sqlite3_column_blob(s, 3),
				      (size_t)sqlite3_column_bytes(s, 3), &rc_,
				      &e) == DOT_OK) {
			pe.time = rc_->entry_time;
			pe.has_time = 1;
		}
		dot_receipt_free(rc_);
		if (!pe.has_time)
			pe.time = prev_time;
		dot_enc_bstr(&pe.txs, tx, txlen > 0 ? (size_t)txlen : 0);
		pe.n++;
	}
	if (status == 0 && rc != SQLITE_DONE) {
		fprintf(out, "state: reading the ledger: %s\n",
			sqlite3_errmsg(dsk));
		status = 2;
	}
	if (status == 0 && pe.n > 0) {
		prev_time = pe.time;
		if (apply_pending(r, &cr, &pe) != DOT_OK)
			status = r->failed ? 2 : 1;
	}
	/* Entries after the last record (refused as a whole) to the
	 * position the state names, the last at its time. */
	if (status == 0 && r->entries < last &&
	    (fill_to(r, &cr, last, prev_time) != DOT_OK ||
	     fill_to(r, &cr, last + 1, last_time) != DOT_OK))
		status = 2;
	if (status == 0)
		cosig_check(r->st, &cr);
	if (status == 0)
		fprintf(out,
			"ledger: %" PRIu64 " entries replayed from %" PRIu64
			" records of the state's ledger table (no log file: "
			"a cluster node)\n",
			r->entries, rows);
	if (cr.bad > 0)
		status = status ? status : 1;
	if (cr.checked > 0 || cr.bad > 0)
		fprintf(out,
			"ledger: %" PRIu64 " cosignatures of member nodes "
			"match the replay's audit log, %" PRIu64 " do not\n",
			cr.checked, cr.bad);
	else if (status == 0)
		fprintf(out, "ledger: no cosignature to compare the audit "
			     "log with (none kept, or none at the replayed "
			     "sizes)\n");
out:
	sqlite3_finalize(s);
	sqlite3_close(dsk);
	free(genesis);
	for (size_t i = 0; i < cr.ncs; i++)
		free(cr.cs[i].line);
	free(cr.cs);
	dot_buf_free(&pe.txs);
	return status;
}

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
	if (access(path, F_OK) != 0) {
		/* no log file: a cluster node (its entries are in raft/) */
		snprintf(path, sizeof(path), "%s/state.db", dir);
		if ((status = replay_ledger(path, &r, out)) == 2)
			goto out;
	} else if ((rv = dotd_log_scan(&log, path, replay_entry, &r, &e)) !=
			   DOT_OK &&
		   !r.failed) {
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
