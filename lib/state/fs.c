/*
 * fs.c - files and directories: content chunks, the fs.* operations, reads
 * (docs/state-model.md §files).
 */
#include <inttypes.h>
#include <string.h>

#include "doteros/heap.h"
#include "state_int.h"

/* ---- content: a CBOR array of 32-byte chunk hashes ---- */

static void
chunk_hash(uint8_t out[DOT_HASH_LEN], const uint8_t *p, size_t n)
{
	static const char dom[] = "dot-chunk-v1";
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, p, n);
	dot_hash_final(&h, out);
}

static int
chunk_ref(struct dot_state *st, const uint8_t *p, size_t n,
	  uint8_t hash[DOT_HASH_LEN], struct dot_err *e)
{
	static const char sql[] =
		"INSERT INTO chunks (hash, data, refs) VALUES (?1, ?2, 1)"
		" ON CONFLICT (hash) DO UPDATE SET refs = refs + 1";
	sqlite3_stmt *s;
	int rv;

	chunk_hash(hash, p, n);
	rv = st_prepare(st, sql, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, hash, DOT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, n ? (const void *)p : "", (int)n, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "chunk");
	return DOT_OK;
}

/* Append chunk hashes for data to list (array head written by caller). */
static int
chunks_of(struct dot_state *st, const uint8_t *data, size_t n,
	  struct dot_buf *hashes, size_t *count, struct dot_err *e)
{
	for (size_t off = 0; off < n; off += DOT_STATE_CHUNK) {
		size_t len = n - off < DOT_STATE_CHUNK ? n - off : DOT_STATE_CHUNK;
		uint8_t h[DOT_HASH_LEN];
		int rv = chunk_ref(st, data + off, len, h, e);

		if (rv != DOT_OK)
			return rv;
		dot_enc_bstr(hashes, h, sizeof(h));
		(*count)++;
	}
	return hashes->err;
}

int
content_put(struct dot_state *st, const uint8_t *data, size_t n,
	    struct dot_buf *list, struct dot_err *e)
{
	struct dot_buf hashes = {0};
	size_t count = 0;
	int rv;

	if (n <= DOT_STATE_INLINE) {
		/* Small content lives in the object row: no chunk rows. */
		dot_enc_bstr(list, n ? data : (const uint8_t *)"", n);
		return list->err;
	}
	rv = chunks_of(st, data, n, &hashes, &count, e);
	if (rv == DOT_OK) {
		dot_enc_array(list, count);
		dot_buf_put(list, hashes.data, hashes.len);
		rv = list->err;
	}
	dot_buf_free(&hashes);
	return rv;
}

/* Stored content is inline (a CBOR byte string) or a chunk list (an
 * array); the first byte's major type tells them apart. */
static int
content_inline(const uint8_t *list, size_t n, const uint8_t **p,
	       size_t *len, struct dot_err *e)
{
	struct dot_dec d;

	if (n == 0 || (list[0] & 0xe0) != 0x40)
		return 0;
	if (dot_dec_init(&d, list, n, NULL, NULL) != DOT_OK ||
	    dot_dec_bstr(&d, p, len) != DOT_OK || d.off != d.len ||
	    *len > DOT_STATE_INLINE)
		return -dot_err_set(e, DOT_ESTATE_STORAGE,
				    "stored inline content is damaged");
	return 1;
}

/* Iterate the hashes of a stored chunk list. */
static int
list_open(struct dot_dec *d, const uint8_t *list, size_t n, uint64_t *count,
	  struct dot_err *e)
{
	if (dot_dec_init(d, list, n, NULL, NULL) != DOT_OK ||
	    dot_dec_array(d, count) != DOT_OK)
		return dot_err_set(e, DOT_ESTATE_STORAGE,
				   "stored chunk list is damaged");
	return DOT_OK;
}

static int
chunk_get(struct dot_state *st, const uint8_t *h, struct dot_buf *out,
	  struct dot_err *e)
{
	static const char sql[] = "SELECT data FROM chunks WHERE hash = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, h, DOT_HASH_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "missing chunk");
	dot_buf_put(out, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0));
	return out->err;
}

int
content_get(struct dot_state *st, const uint8_t *list, size_t n,
	    struct dot_buf *out, struct dot_err *e)
{
	struct dot_dec d;
	uint64_t count;
	const uint8_t *p;
	size_t len;
	int rv = content_inline(list, n, &p, &len, e);

	if (rv < 0)
		return -rv;
	if (rv > 0) {
		dot_buf_put(out, p, len);
		return out->err;
	}
	rv = list_open(&d, list, n, &count, e);
	for (uint64_t i = 0; rv == DOT_OK && i < count; i++) {
		const uint8_t *h;
		if (dot_dec_bstr_fixed(&d, &h, DOT_HASH_LEN) != DOT_OK)
			return dot_err_set(e, DOT_ESTATE_STORAGE,
					   "stored chunk list is damaged");
		rv = chunk_get(st, h, out, e);
	}
	return rv;
}

static int
chunk_unref(struct dot_state *st, const uint8_t *h, struct dot_err *e)
{
	static const char dec[] =
		"UPDATE chunks SET refs = refs - 1 WHERE hash = ?1";
	static const char del[] =
		"DELETE FROM chunks WHERE hash = ?1 AND refs <= 0";
	sqlite3_stmt *s;
	int rv = st_prepare(st, dec, &s, e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, h, DOT_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "chunk release");
	rv = st_prepare(st, del, &s, e);
	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, h, DOT_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(st, e, "chunk release");
	return DOT_OK;
}

int
content_release(struct dot_state *st, const uint8_t *list, size_t n,
		struct dot_err *e)
{
	struct dot_dec d;
	uint64_t count;
	const uint8_t *p;
	size_t len;
	int rv;

	if (n == 0)
		return DOT_OK;
	rv = content_inline(list, n, &p, &len, e);
	if (rv != 0)
		return rv < 0 ? -rv : DOT_OK; /* inline: nothing to release */
	rv = list_open(&d, list, n, &count, e);
	for (uint64_t i = 0; rv == DOT_OK && i < count; i++) {
		const uint8_t *h;
		if (dot_dec_bstr_fixed(&d, &h, DOT_HASH_LEN) != DOT_OK)
			return dot_err_set(e, DOT_ESTATE_STORAGE,
					   "stored chunk list is damaged");
		rv = chunk_unref(st, h, e);
	}
	return rv;
}

/* The stored chunk list of an object (appended to out). */
int
fs_obj_content(struct dot_state *st, const uint8_t id[DOT_OBJECT_ID_LEN],
	    struct dot_buf *out, struct dot_err *e)
{
	static const char sql[] = "SELECT content FROM objects WHERE id = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW)
		return st_sqlerr(st, e, "content");
	dot_buf_put(out, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0));
	return out->err;
}

/* A read's answer: the object's whole content as one byte string. */
int
fs_answer_content(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN])
{
	struct dot_buf list = {0}, data = {0};
	int rv = fs_obj_content(o->st, id, &list, o->e);

	if (rv == DOT_OK)
		rv = content_get(o->st, list.data, list.len, &data, o->e);
	if (rv == DOT_OK) {
		dot_enc_bstr(o->out, data.data, data.len);
		rv = o->out->err;
	}
	dot_buf_free(&list);
	dot_buf_free(&data);
	return rv;
}

/* ---- paths ---- */

static void
parent_of(const char *path, char *out)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] != '/')
		n--;
	if (n > 1)
		n--;
	memcpy(out, path, n);
	out[n] = '\0';
}

/* The directory a new object goes into. */
int
fs_parent_dir(struct op *o, const char *path, struct obj *dir)
{
	char pp[DOT_TOKEN_MAX_PATH + 1];
	int rv;

	parent_of(path, pp);
	rv = obj_by_path(o->st, pp, dir, o->e);
	if (rv == DOT_ESTATE_NOT_FOUND)
		return dot_err_set(o->e, DOT_ESTATE_NOT_FOUND,
				   "%s: no such directory", pp);
	if (rv != DOT_OK)
		return rv;
	if (dir->kind != DOT_OBJ_DIR)
		return dot_err_set(o->e, DOT_ESTATE_NOT_DIR,
				   "%s: not a directory", pp);
	return DOT_OK;
}

/* ---- argument maps ---- */

/* Expect a map of exactly `want` fields with keys 1..want. */
int
fs_args_map(struct op *o, uint64_t want)
{
	uint64_t n;

	if (dot_dec_map(&o->args, &n) != DOT_OK || n != want)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "arguments must be a map of %" PRIu64
				   " fields",
				   want);
	return DOT_OK;
}

int
fs_args_key(struct op *o, uint64_t want)
{
	uint64_t k;

	if (dot_dec_uint(&o->args, &k) != DOT_OK || k != want)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument %" PRIu64 " missing", want);
	return DOT_OK;
}

int
fs_args_bytes(struct op *o, const uint8_t **p, size_t *n)
{
	if (dot_dec_bstr(&o->args, p, n) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "content must be a byte string");
	if (*n > DOT_STATE_MAX_FILE)
		return dot_err_set(o->e, DOT_ESTATE_TOO_BIG,
				   "content of %zu bytes is over %u", *n,
				   DOT_STATE_MAX_FILE);
	return DOT_OK;
}

/* ---- object rows ---- */

int
fs_insert_obj(struct op *o, const uint8_t id[DOT_OBJECT_ID_LEN], int kind,
	      const char *path, const uint8_t parent[DOT_OBJECT_ID_LEN],
	      const char *owner, uint64_t size, const struct dot_buf *content)
{
	static const char sql[] =
		"INSERT INTO objects (id, kind, path, parent, owner, version,"
		" size, content, created, modified)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?8)";
	sqlite3_stmt *s;
	int rv = st_prepare(o->st, sql, &s, o->e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, kind);
	if (path)
		sqlite3_bind_text(s, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, parent, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)size);
	if (content)
		sqlite3_bind_blob(s, 7, content->len ? content->data : (void *)"",
				  (int)content->len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "insert object");
	return op_produce(o, id, 1);
}

static int
update_content(struct op *o, const struct obj *ob, uint64_t size,
	       const struct dot_buf *content)
{
	static const char sql[] =
		"UPDATE objects SET version = version + 1, size = ?2,"
		" content = ?3, modified = ?4 WHERE id = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(o->st, sql, &s, o->e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, ob->id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)size);
	sqlite3_bind_blob(s, 3, content->len ? content->data : (void *)"",
			  (int)content->len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "update object");
	op_use(o, ob->id);
	return op_produce(o, ob->id, ob->version + 1);
}

/* ---- operations ---- */

int
op_fs_mkdir(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	uint8_t id[DOT_OBJECT_ID_LEN];
	struct obj dir, ex;
	int rv;

	if ((rv = fs_args_map(o, 1)) != DOT_OK || (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "path", path, sizeof(path))) != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, DOT_RIGHT_CREATE, path, path)) != DOT_OK)
		return rv;
	rv = obj_by_path(o->st, path, &ex, o->e);
	if (rv == DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_EXISTS, "%s exists", path);
	if (rv != DOT_ESTATE_NOT_FOUND)
		return rv;
	if ((rv = fs_parent_dir(o, path, &dir)) != DOT_OK)
		return rv;
	op_new_id(o, id);
	return fs_insert_obj(o, id, DOT_OBJ_DIR, path, dir.id, o->principal, 0,
			     NULL);
}

int
op_fs_put(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	uint8_t id[DOT_OBJECT_ID_LEN];
	struct dot_buf list = {0}, old = {0};
	const uint8_t *data;
	size_t n;
	struct obj ob, dir;
	int rv, exists;

	if ((rv = fs_args_map(o, 2)) != DOT_OK || (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "path", path, sizeof(path))) != DOT_OK ||
	    (rv = fs_args_key(o, 2)) != DOT_OK ||
	    (rv = fs_args_bytes(o, &data, &n)) != DOT_OK)
		return rv;
	rv = obj_by_path(o->st, path, &ob, o->e);
	if (rv != DOT_OK && rv != DOT_ESTATE_NOT_FOUND)
		return rv;
	exists = rv == DOT_OK;
	rv = op_authorize(o, exists ? DOT_RIGHT_WRITE : DOT_RIGHT_CREATE, path,
			  path);
	if (rv != DOT_OK)
		return rv;
	if (exists && ob.kind != DOT_OBJ_FILE)
		return dot_err_set(o->e, DOT_ESTATE_IS_DIR,
				   "%s is not a file", path);
	if (!exists && (rv = fs_parent_dir(o, path, &dir)) != DOT_OK)
		return rv;
	rv = content_put(o->st, data, n, &list, o->e);
	if (rv != DOT_OK)
		goto out;
	if (exists) {
		if ((rv = fs_obj_content(o->st, ob.id, &old, o->e)) != DOT_OK ||
		    (rv = content_release(o->st, old.data, old.len, o->e)) !=
			    DOT_OK)
			goto out;
		rv = update_content(o, &ob, n, &list);
	} else {
		op_new_id(o, id);
		rv = fs_insert_obj(o, id, DOT_OBJ_FILE, path, dir.id, o->principal,
				   n, &list);
	}
out:
	dot_buf_free(&list);
	dot_buf_free(&old);
	return rv;
}

int
op_fs_append(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	struct dot_buf old = {0}, list = {0}, hashes = {0}, tail = {0};
	const uint8_t *data, *h = NULL;
	size_t n, nin, count = 0;
	uint64_t nold;
	struct dot_dec d;
	struct obj ob;
	int rv;

	if ((rv = fs_args_map(o, 2)) != DOT_OK || (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "path", path, sizeof(path))) != DOT_OK ||
	    (rv = fs_args_key(o, 2)) != DOT_OK ||
	    (rv = fs_args_bytes(o, &data, &n)) != DOT_OK)
		return rv;
	rv = obj_by_path(o->st, path, &ob, o->e);
	if (rv == DOT_ESTATE_NOT_FOUND) {
		/* Authorize first so a refusal does not depend on existence. */
		int arv = op_authorize(o, DOT_RIGHT_APPEND, path, path);
		return arv != DOT_OK ? arv : rv;
	}
	if (rv != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, DOT_RIGHT_APPEND, path, path)) != DOT_OK)
		return rv;
	if (ob.kind != DOT_OBJ_FILE)
		return dot_err_set(o->e, DOT_ESTATE_IS_DIR, "%s is not a file",
				   path);
	if (ob.size + n > DOT_STATE_MAX_FILE)
		return dot_err_set(o->e, DOT_ESTATE_TOO_BIG,
				   "%s would exceed %u bytes", path,
				   DOT_STATE_MAX_FILE);
	if ((rv = fs_obj_content(o->st, ob.id, &old, o->e)) != DOT_OK)
		goto out;
	if ((rv = content_inline(old.data, old.len, &h, &nin, o->e)) != 0) {
		/* Inline: the old bytes and the new, stored afresh (inline
		 * again while they fit). */
		if (rv < 0) {
			rv = -rv;
			goto out;
		}
		dot_buf_put(&tail, h, nin);
		dot_buf_put(&tail, data, n);
		rv = tail.err != DOT_OK ? tail.err
					: content_put(o->st, tail.data, tail.len,
						      &list, o->e);
		if (rv == DOT_OK)
			rv = update_content(o, &ob, ob.size + n, &list);
		goto out;
	}
	if ((rv = list_open(&d, old.data, old.len, &nold, o->e)) != DOT_OK)
		goto out;
	/* Keep every full chunk; re-chunk the last one with the new data. */
	for (uint64_t i = 0; i < nold; i++) {
		if (dot_dec_bstr_fixed(&d, &h, DOT_HASH_LEN) != DOT_OK) {
			rv = dot_err_set(o->e, DOT_ESTATE_STORAGE,
					 "stored chunk list is damaged");
			goto out;
		}
		if (i + 1 < nold) {
			dot_enc_bstr(&hashes, h, DOT_HASH_LEN);
			count++;
		}
	}
	if (nold > 0) {
		if ((rv = chunk_get(o->st, h, &tail, o->e)) != DOT_OK ||
		    (rv = chunk_unref(o->st, h, o->e)) != DOT_OK)
			goto out;
	}
	dot_buf_put(&tail, data, n);
	if (tail.err) {
		rv = tail.err;
		goto out;
	}
	if ((rv = chunks_of(o->st, tail.data, tail.len, &hashes, &count,
			    o->e)) != DOT_OK)
		goto out;
	dot_enc_array(&list, count);
	dot_buf_put(&list, hashes.data, hashes.len);
	if ((rv = list.err) != DOT_OK)
		goto out;
	rv = update_content(o, &ob, ob.size + n, &list);
out:
	dot_buf_free(&old);
	dot_buf_free(&list);
	dot_buf_free(&hashes);
	dot_buf_free(&tail);
	return rv;
}

static int
dir_empty(struct dot_state *st, const uint8_t id[DOT_OBJECT_ID_LEN],
	  struct dot_err *e)
{
	static const char sql[] = "SELECT 1 FROM objects WHERE parent = ?1"
				  " LIMIT 1";
	sqlite3_stmt *s;
	int rv = st_prepare(st, sql, &s, e), rc;

	if (rv != DOT_OK)
		return -rv;
	sqlite3_bind_blob(s, 1, id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return -st_sqlerr(st, e, "directory");
	return 1;
}

int
op_fs_rm(struct op *o)
{
	static const char sql[] = "DELETE FROM objects WHERE id = ?1";
	char path[DOT_TOKEN_MAX_PATH + 1];
	struct dot_buf old = {0};
	sqlite3_stmt *s;
	struct obj ob;
	int rv, empty;

	if ((rv = fs_args_map(o, 1)) != DOT_OK || (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "path", path, sizeof(path))) != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, DOT_RIGHT_DELETE, path, path)) != DOT_OK)
		return rv;
	if (strcmp(path, "/") == 0)
		return dot_err_set(o->e, DOT_ESTATE_KIND,
				   "the root directory cannot be removed");
	if ((rv = obj_by_path(o->st, path, &ob, o->e)) != DOT_OK)
		return rv;
	if (ob.kind == DOT_OBJ_DIR || ob.kind == DOT_OBJ_MAILBOX) {
		empty = dir_empty(o->st, ob.id, o->e);
		if (empty < 0)
			return -empty;
		if (!empty)
			return dot_err_set(o->e, DOT_ESTATE_NOT_EMPTY,
					   "%s is not empty", path);
	}
	if (ob.kind == DOT_OBJ_FILE || ob.kind == DOT_OBJ_MESSAGE) {
		rv = fs_obj_content(o->st, ob.id, &old, o->e);
		if (rv == DOT_OK)
			rv = content_release(o->st, old.data, old.len, o->e);
		dot_buf_free(&old);
		if (rv != DOT_OK)
			return rv;
	}
	if ((rv = st_prepare(o->st, sql, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, ob.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "remove");
	op_use(o, ob.id); /* its last version is consumed; nothing new */
	return DOT_OK;
}

int
op_fs_mv(struct op *o)
{
	static const char sql_self[] =
		"UPDATE objects SET path = ?2, parent = ?3,"
		" version = version + 1, modified = ?4 WHERE id = ?1";
	/* Byte positions: substr on TEXT counts characters, on a BLOB bytes;
	 * the cut is right after "from/", a character boundary. */
	static const char sql_sub[] =
		"UPDATE objects SET path = ?2 ||"
		" CAST(substr(CAST(path AS BLOB), ?3) AS TEXT)"
		" WHERE substr(CAST(path AS BLOB), 1, ?4) = CAST(?1 AS BLOB)";
	char from[DOT_TOKEN_MAX_PATH + 1], to[DOT_TOKEN_MAX_PATH + 1];
	char prefix[DOT_TOKEN_MAX_PATH + 2];
	sqlite3_stmt *s;
	struct obj ob, dir, ex;
	size_t fl;
	int rv;

	if ((rv = fs_args_map(o, 2)) != DOT_OK || (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "from", from, sizeof(from))) != DOT_OK ||
	    (rv = fs_args_key(o, 2)) != DOT_OK ||
	    (rv = arg_path(o, "to", to, sizeof(to))) != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, DOT_RIGHT_DELETE, from, from)) != DOT_OK ||
	    (rv = op_authorize(o, DOT_RIGHT_CREATE, to, to)) != DOT_OK)
		return rv;
	if (strcmp(from, "/") == 0)
		return dot_err_set(o->e, DOT_ESTATE_KIND,
				   "the root directory cannot be moved");
	fl = strlen(from);
	if (dot_path_within(to, strlen(to), from, fl))
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "cannot move %s into itself (%s)", from, to);
	if ((rv = obj_by_path(o->st, from, &ob, o->e)) != DOT_OK)
		return rv;
	rv = obj_by_path(o->st, to, &ex, o->e);
	if (rv == DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_EXISTS, "%s exists", to);
	if (rv != DOT_ESTATE_NOT_FOUND)
		return rv;
	if ((rv = fs_parent_dir(o, to, &dir)) != DOT_OK)
		return rv;
	/* Descendants first (their paths start with "from/"). */
	memcpy(prefix, from, fl);
	prefix[fl] = '/';
	prefix[fl + 1] = '\0';
	if ((rv = st_prepare(o->st, sql_sub, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)fl + 1);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)fl + 1);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "move");
	if ((rv = st_prepare(o->st, sql_self, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, ob.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, dir.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "move");
	op_use(o, ob.id);
	return op_produce(o, ob.id, ob.version + 1);
}

/* ---- reads ---- */

static void
to_stat(const struct obj *ob, struct dot_state_stat *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, ob->id, DOT_OBJECT_ID_LEN);
	out->kind = ob->kind;
	out->version = ob->version;
	out->size = ob->size;
	memcpy(out->owner, ob->owner, sizeof(out->owner));
	out->created = ob->created;
	out->modified = ob->modified;
}

static int
read_path(const char *path, struct dot_err *e)
{
	if (path == NULL || !dot_path_valid(path, strlen(path)))
		return dot_err_set(e, DOT_EINVAL, "not a valid absolute path");
	return DOT_OK;
}

int
dot_state_stat(struct dot_state *st, const char *path,
	       const struct dot_state_reader *r, struct dot_state_stat *out,
	       struct dot_err *e)
{
	struct obj ob;
	int rv;

	rv = read_path(path, e);
	if (rv == DOT_OK)
		rv = reader_check(st, r, DOT_RIGHT_READ, path, e);
	if (rv == DOT_OK)
		rv = obj_by_path(st, path, &ob, e);
	if (rv == DOT_OK)
		to_stat(&ob, out);
	reset_all(st);
	return rv;
}

int
dot_state_read(struct dot_state *st, const char *path,
	       const struct dot_state_reader *r, struct dot_buf *out,
	       struct dot_err *e)
{
	struct dot_buf list = {0};
	struct obj ob;
	int rv;

	rv = read_path(path, e);
	if (rv == DOT_OK)
		rv = reader_check(st, r, DOT_RIGHT_READ, path, e);
	if (rv == DOT_OK)
		rv = obj_by_path(st, path, &ob, e);
	if (rv == DOT_OK && ob.kind != DOT_OBJ_FILE)
		rv = dot_err_set(e, DOT_ESTATE_IS_DIR, "%s is not a file",
				 path);
	if (rv == DOT_OK)
		rv = fs_obj_content(st, ob.id, &list, e);
	if (rv == DOT_OK)
		rv = content_get(st, list.data, list.len, out, e);
	dot_buf_free(&list);
	reset_all(st);
	return rv;
}

int
dot_state_list(struct dot_state *st, const char *path,
	       const struct dot_state_reader *r, dot_state_list_fn fn,
	       void *ctx, struct dot_err *e)
{
	static const char sql[] =
		"SELECT id, kind, owner, version, size, parent, created,"
		" modified, policy, path FROM objects WHERE parent = ?1"
		" ORDER BY path, id";
	sqlite3_stmt *s;
	struct obj ob;
	int rv, rc;

	if ((rv = read_path(path, e)) != DOT_OK ||
	    (rv = reader_check(st, r, DOT_RIGHT_LIST, path, e)) != DOT_OK ||
	    (rv = obj_by_path(st, path, &ob, e)) != DOT_OK) {
		reset_all(st);
		return rv;
	}
	reset_all(st);
	if (ob.kind != DOT_OBJ_DIR && ob.kind != DOT_OBJ_MAILBOX)
		return dot_err_set(e, DOT_ESTATE_NOT_DIR,
				   "%s is not a directory", path);
	/* A private statement: the callback may read the state too. */
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return st_sqlerr(st, e, "list");
	sqlite3_bind_blob(s, 1, ob.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct obj child;
		struct dot_state_stat cs;
		const char *p = (const char *)sqlite3_column_text(s, 9);
		const char *name;
		char idhex[2 * DOT_OBJECT_ID_LEN + 1];

		obj_row(s, &child);
		to_stat(&child, &cs);
		if (p != NULL) {
			name = strrchr(p, '/');
			name = name ? name + 1 : p;
		} else { /* a message: named by its id, as fs.ls does */
			static const char hx[] = "0123456789abcdef";
			for (size_t i = 0; i < DOT_OBJECT_ID_LEN; i++) {
				idhex[2 * i] = hx[child.id[i] >> 4];
				idhex[2 * i + 1] = hx[child.id[i] & 15];
			}
			idhex[2 * DOT_OBJECT_ID_LEN] = '\0';
			name = idhex;
		}
		rv = fn(ctx, name, &cs);
		if (rv != DOT_OK)
			break;
	}
	if (rv == DOT_OK && rc != SQLITE_DONE)
		rv = st_sqlerr(st, e, "list");
	sqlite3_finalize(s);
	reset_all(st);
	return rv;
}

/* fs.chown {1: path, 2: account}: hand an object (and so the authority over
 * its subtree) to an existing account. Right: admin on the path. */
int
op_fs_chown(struct op *o)
{
	static const char acct[] = "SELECT 1 FROM accounts WHERE name = ?1";
	static const char upd[] =
		"UPDATE objects SET owner = ?2, version = version + 1,"
		" modified = ?3 WHERE id = ?1";
	char path[DOT_TOKEN_MAX_PATH + 1], owner[DOT_TX_MAX_ACCOUNT + 1];
	const char *name;
	size_t n;
	sqlite3_stmt *s;
	struct obj ob;
	int rv;

	if ((rv = fs_args_map(o, 2)) != DOT_OK ||
	    (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "path", path, sizeof(path))) != DOT_OK ||
	    (rv = fs_args_key(o, 2)) != DOT_OK)
		return rv;
	if (dot_dec_tstr(&o->args, &name, &n) != DOT_OK || n == 0 ||
	    n > DOT_TX_MAX_ACCOUNT)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument 2 (account) must be a name");
	memcpy(owner, name, n);
	owner[n] = '\0';
	if ((rv = op_authorize(o, DOT_RIGHT_ADMIN, path, path)) != DOT_OK)
		return rv;
	if ((rv = obj_by_path(o->st, path, &ob, o->e)) != DOT_OK)
		return rv;
	if ((rv = st_prepare(o->st, acct, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_text(s, 1, owner, -1, SQLITE_STATIC);
	rv = sqlite3_step(s);
	if (rv == SQLITE_DONE)
		return dot_err_set(o->e, DOT_ESTATE_NOT_FOUND,
				   "no account %s", owner);
	if (rv != SQLITE_ROW)
		return st_sqlerr(o->st, o->e, "account");
	if ((rv = st_prepare(o->st, upd, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, ob.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "chown");
	op_use(o, ob.id);
	return op_produce(o, ob.id, ob.version + 1);
}

/* fs.policy {1: path, 2: policy bits}: right admin on the path. */
int
op_fs_policy(struct op *o)
{
	static const char upd[] =
		"UPDATE objects SET policy = ?2, version = version + 1,"
		" modified = ?3 WHERE id = ?1";
	char path[DOT_TOKEN_MAX_PATH + 1];
	uint64_t policy;
	sqlite3_stmt *s;
	struct obj ob;
	int rv;

	if ((rv = fs_args_map(o, 2)) != DOT_OK ||
	    (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "path", path, sizeof(path))) != DOT_OK ||
	    (rv = fs_args_key(o, 2)) != DOT_OK)
		return rv;
	if (dot_dec_uint(&o->args, &policy) != DOT_OK ||
	    (policy & ~(uint64_t)DOT_POLICY_RECORD_READS))
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "argument 2 (policy) has unknown bits");
	if ((rv = op_authorize(o, DOT_RIGHT_ADMIN, path, path)) != DOT_OK)
		return rv;
	if ((rv = obj_by_path(o->st, path, &ob, o->e)) != DOT_OK)
		return rv;
	if ((rv = st_prepare(o->st, upd, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, ob.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)policy);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "policy");
	op_use(o, ob.id);
	return op_produce(o, ob.id, ob.version + 1);
}

static void
enc_stat(struct dot_buf *b, const struct obj *ob)
{
	size_t olen = strlen(ob->owner);

	dot_enc_map(b, 8);
	dot_enc_uint(b, 1);
	dot_enc_bstr(b, ob->id, DOT_OBJECT_ID_LEN);
	dot_enc_uint(b, 2);
	dot_enc_uint(b, (uint64_t)ob->kind);
	dot_enc_uint(b, 3);
	dot_enc_uint(b, ob->version);
	dot_enc_uint(b, 4);
	dot_enc_uint(b, ob->size);
	dot_enc_uint(b, 5);
	dot_enc_tstr(b, ob->owner, olen);
	dot_enc_uint(b, 6);
	dot_enc_uint(b, ob->created);
	dot_enc_uint(b, 7);
	dot_enc_uint(b, ob->modified);
	dot_enc_uint(b, 8);
	dot_enc_uint(b, ob->policy);
}

/* The common part of the reads: args {1: path}, authority, the object. */
static int
read_target(struct op *o, uint32_t right, char *path, size_t cap,
	    struct obj *ob)
{
	int rv;

	if ((rv = fs_args_map(o, 1)) != DOT_OK ||
	    (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "path", path, cap)) != DOT_OK)
		return rv;
	if ((rv = op_authorize(o, right, path, path)) != DOT_OK)
		return rv;
	if ((rv = obj_by_path(o->st, path, ob, o->e)) != DOT_OK)
		return rv;
	o->record = (ob->policy & DOT_POLICY_RECORD_READS) != 0;
	return DOT_OK;
}

/* fs.get {1: path}: right read; a file's content. */
int
op_fs_get(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	struct obj ob;
	int rv;

	if ((rv = read_target(o, DOT_RIGHT_READ, path, sizeof(path), &ob)) !=
	    DOT_OK)
		return rv;
	if (ob.kind != DOT_OBJ_FILE)
		return dot_err_set(o->e, DOT_ESTATE_IS_DIR, "%s is not a file",
				   path);
	if (o->out == NULL)
		return DOT_OK; /* applied: recorded, nothing to answer */
	return fs_answer_content(o, ob.id);
}

/* fs.stat {1: path}: right read. */
int
op_fs_stat(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	struct obj ob;
	int rv;

	if ((rv = read_target(o, DOT_RIGHT_READ, path, sizeof(path), &ob)) !=
	    DOT_OK)
		return rv;
	if (o->out != NULL) {
		enc_stat(o->out, &ob);
		rv = o->out->err;
	}
	return rv;
}

/* fs.ls {1: path}: right list; a directory's or mailbox's entries. */
int
op_fs_ls(struct op *o)
{
	static const char sql[] =
		"SELECT id, kind, owner, version, size, parent, created,"
		" modified, policy, path FROM objects WHERE parent = ?1"
		" ORDER BY path, id";
	static const char hex[] = "0123456789abcdef";
	char path[DOT_TOKEN_MAX_PATH + 1];
	struct dot_buf items = {0};
	sqlite3_stmt *s;
	struct obj ob;
	uint64_t count = 0;
	int rv, rc;

	if ((rv = read_target(o, DOT_RIGHT_LIST, path, sizeof(path), &ob)) !=
	    DOT_OK)
		return rv;
	if (ob.kind != DOT_OBJ_DIR && ob.kind != DOT_OBJ_MAILBOX)
		return dot_err_set(o->e, DOT_ESTATE_NOT_DIR,
				   "%s is not a directory or mailbox", path);
	if (o->out == NULL)
		return DOT_OK;
	if ((rv = st_prepare(o->st, sql, &s, o->e)) != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, ob.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct obj child;
		const char *p = (const char *)sqlite3_column_text(s, 9);
		char idhex[2 * DOT_OBJECT_ID_LEN + 1];
		const char *name;

		obj_row(s, &child);
		if (p != NULL) {
			name = strrchr(p, '/');
			name = name ? name + 1 : p;
		} else {
			for (size_t i = 0; i < DOT_OBJECT_ID_LEN; i++) {
				idhex[2 * i] = hex[child.id[i] >> 4];
				idhex[2 * i + 1] = hex[child.id[i] & 15];
			}
			idhex[2 * DOT_OBJECT_ID_LEN] = '\0';
			name = idhex;
		}
		dot_enc_array(&items, 2);
		dot_enc_tstr(&items, name, strlen(name));
		enc_stat(&items, &child);
		count++;
	}
	if (rc != SQLITE_DONE)
		rv = st_sqlerr(o->st, o->e, "list");
	if (rv == DOT_OK) {
		dot_enc_array(o->out, count);
		dot_buf_put(o->out, items.data, items.len);
		rv = o->out->err ? o->out->err : items.err;
	}
	dot_buf_free(&items);
	return rv;
}
