/*
 * msg.c - mailboxes and messages (docs/state-model.md §mailboxes).
 *
 * A mailbox is a named object; a message is an output inside it (no path,
 * its parent is the mailbox) that exactly one msg.recv consumes: two
 * receivers naming the same message are ordered by the log, the first gets
 * it and the second a conflict.
 */
#include <inttypes.h>
#include <string.h>

#include "state_int.h"

/* msg.create {1: path}: right create; like mkdir. */
int
op_msg_create(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	uint8_t id[DOT_OBJECT_ID_LEN];
	struct obj dir, ex;
	int rv;

	if ((rv = fs_args_map(o, 1)) != DOT_OK ||
	    (rv = fs_args_key(o, 1)) != DOT_OK ||
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
	return fs_insert_obj(o, id, DOT_OBJ_MAILBOX, path, dir.id,
			     o->principal, 0, NULL);
}

static int
mailbox(struct op *o, const char *path, struct obj *mb)
{
	int rv = obj_by_path(o->st, path, mb, o->e);

	if (rv != DOT_OK)
		return rv;
	if (mb->kind != DOT_OBJ_MAILBOX)
		return dot_err_set(o->e, DOT_ESTATE_KIND,
				   "%s is not a mailbox", path);
	return DOT_OK;
}

static int
bump(struct op *o, const struct obj *mb, int64_t delta)
{
	static const char sql[] = "UPDATE objects SET size = size + ?2,"
				  " modified = ?3 WHERE id = ?1";
	sqlite3_stmt *s;
	int rv = st_prepare(o->st, sql, &s, o->e);

	if (rv != DOT_OK)
		return rv;
	sqlite3_bind_blob(s, 1, mb->id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, delta);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)o->index);
	if (sqlite3_step(s) != SQLITE_DONE)
		return st_sqlerr(o->st, o->e, "mailbox");
	return DOT_OK;
}

/* msg.send {1: mailbox path, 2: body}: right send on the mailbox. The
 * message belongs to the mailbox's owner. */
int
op_msg_send(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	uint8_t id[DOT_OBJECT_ID_LEN];
	struct dot_buf list = {0};
	const uint8_t *body;
	size_t n;
	struct obj mb;
	int rv;

	if ((rv = fs_args_map(o, 2)) != DOT_OK ||
	    (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "mailbox", path, sizeof(path))) != DOT_OK ||
	    (rv = fs_args_key(o, 2)) != DOT_OK ||
	    (rv = fs_args_bytes(o, &body, &n)) != DOT_OK)
		return rv;
	rv = mailbox(o, path, &mb);
	if (rv == DOT_OK)
		o->target_id = mb.id;
	if (rv != DOT_OK && rv != DOT_ESTATE_NOT_FOUND && rv != DOT_ESTATE_KIND)
		return rv;
	{
		int arv = op_authorize(o, DOT_RIGHT_SEND, path, path);
		if (arv != DOT_OK)
			return arv;
	}
	if (rv != DOT_OK)
		return rv;
	if ((rv = content_put(o->st, body, n, &list, o->e)) != DOT_OK)
		goto out;
	op_new_id(o, id);
	if ((rv = fs_insert_obj(o, id, DOT_OBJ_MESSAGE, NULL, mb.id, mb.owner,
				n, &list)) != DOT_OK)
		goto out;
	rv = bump(o, &mb, 1);
out:
	dot_buf_free(&list);
	return rv;
}

/* The mailbox and the message named by {1: mailbox path, 2: message id},
 * with `right` on the mailbox. A message not (or no longer) in it is
 * DOT_ESTATE_CONFLICT. */
static int
message_of(struct op *o, uint64_t right, char *path, size_t cap,
	   struct obj *mb, struct obj *msg)
{
	const uint8_t *mid;
	int rv;

	if ((rv = fs_args_map(o, 2)) != DOT_OK ||
	    (rv = fs_args_key(o, 1)) != DOT_OK ||
	    (rv = arg_path(o, "mailbox", path, cap)) != DOT_OK ||
	    (rv = fs_args_key(o, 2)) != DOT_OK)
		return rv;
	if (dot_dec_bstr_fixed(&o->args, &mid, DOT_OBJECT_ID_LEN) != DOT_OK)
		return dot_err_set(o->e, DOT_ESTATE_ARGS,
				   "message id must be %d bytes",
				   DOT_OBJECT_ID_LEN);
	rv = mailbox(o, path, mb);
	if (rv == DOT_OK)
		o->target_id = mb->id;
	if (rv != DOT_OK && rv != DOT_ESTATE_NOT_FOUND && rv != DOT_ESTATE_KIND)
		return rv;
	{
		int arv = op_authorize(o, right, path, path);
		if (arv != DOT_OK)
			return arv;
	}
	if (rv != DOT_OK)
		return rv;
	rv = obj_by_id(o->st, mid, msg, o->e);
	if (rv == DOT_ESTATE_NOT_FOUND || (rv == DOT_OK &&
					   (msg->kind != DOT_OBJ_MESSAGE ||
					    !msg->has_parent ||
					    memcmp(msg->parent, mb->id,
						   DOT_OBJECT_ID_LEN) != 0)))
		return dot_err_set(o->e, DOT_ESTATE_CONFLICT,
				   "the message is not in %s (received "
				   "already, or never sent there)",
				   path);
	return rv;
}

/* msg.read {1: mailbox path, 2: message id}: a read; right receive on the
 * mailbox (whoever may take the message may look at it first); answers the
 * body. */
int
op_msg_read(struct op *o)
{
	char path[DOT_TOKEN_MAX_PATH + 1];
	struct obj mb, msg;
	int rv;

	if ((rv = message_of(o, DOT_RIGHT_RECEIVE, path, sizeof(path), &mb,
			     &msg)) != DOT_OK)
		return rv;
	o->record = (mb.policy & DOT_POLICY_RECORD_READS) != 0;
	if (o->out == NULL)
		return DOT_OK; /* applied: recorded, nothing to answer */
	return fs_answer_content(o, msg.id);
}

/* msg.recv {1: mailbox path, 2: message id}: right receive on the mailbox;
 * consumes the message. */
int
op_msg_recv(struct op *o)
{
	static const char del[] = "DELETE FROM objects WHERE id = ?1";
	char path[DOT_TOKEN_MAX_PATH + 1];
	struct dot_buf list = {0};
	sqlite3_stmt *s;
	struct obj mb, msg;
	int rv;

	if ((rv = message_of(o, DOT_RIGHT_RECEIVE, path, sizeof(path), &mb,
			     &msg)) != DOT_OK)
		return rv;
	if ((rv = fs_obj_content(o->st, msg.id, &list, o->e)) != DOT_OK ||
	    (rv = content_release(o->st, list.data, list.len, o->e)) != DOT_OK)
		goto out;
	if ((rv = st_prepare(o->st, del, &s, o->e)) != DOT_OK)
		goto out;
	sqlite3_bind_blob(s, 1, msg.id, DOT_OBJECT_ID_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		rv = st_sqlerr(o->st, o->e, "receive");
		goto out;
	}
	op_use(o, msg.id);
	rv = bump(o, &mb, -1);
out:
	dot_buf_free(&list);
	return rv;
}
