/*
 * consensus.c - every call into the raft engine (consensus.h).
 *
 * raft 0.22 (cowsql) with its libuv disk backend, its transport given by
 * the caller (transport.c: the secure channel). The engine keeps its log,
 * metadata and snapshots in cfg->dir; the state machine is the caller's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consensus.h"

struct dotd_cons {
	struct raft raft;
	struct raft_io io;
	struct raft_fsm fsm;
	struct dotd_cons_config cfg;
	char *dir, *address;
	int started, raft_inited, io_inited;
	void (*close_cb)(void *arg);
	void *close_arg;
	struct req *reqs; /* in flight: freed at close if the engine never
			   * calls back */
	/* dotd_cons_tick: when this node may take snapshots of its own */
	unsigned threshold, gate_threshold;
	raft_id gate_leader;
	int gate_state;
	uint64_t gate_since;
	/* the disk backend's append and send, which io_append and io_send
	 * wrap */
	int (*uv_append)(struct raft_io *io, struct raft_io_append *req,
			 const struct raft_entry entries[], unsigned n,
			 raft_io_append_cb cb);
	int (*uv_send)(struct raft_io *io, struct raft_io_send *req,
		       const struct raft_message *message,
		       raft_io_send_cb cb);
	/* every member's last known raft address, ours (io_send) */
	struct addr_copy {
		raft_id id;
		char *address;
	} *addrs;
	size_t naddrs;
};

/* One request in flight: the engine's request and the caller's callback. */
struct req {
	union {
		struct raft_apply apply;
		struct raft_barrier barrier;
		struct raft_change change;
		struct raft_transfer transfer;
	} u;
	struct dotd_cons *c;
	dotd_cons_cb cb;
	void *arg;
	uint64_t id;   /* add: the new member */
	int then_role; /* add: the raft role to assign once added; -1 none */
	struct req *prev, *next;
};

/* Unlink and free a request (its callback, if any, already ran). */
static void
req_free(struct req *q)
{
	if (q == NULL)
		return;
	if (q->prev != NULL)
		q->prev->next = q->next;
	else if (q->c != NULL && q->c->reqs == q)
		q->c->reqs = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	free(q);
}

static int
map_rv(struct dotd_cons *c, int rv, const char *what, struct dot_err *e)
{
	switch (rv) {
	case 0:
		return DOT_OK;
	case RAFT_NOMEM:
		return dot_err_set(e, DOT_ENOMEM, "%s: out of memory", what);
	case RAFT_NOTLEADER:
	case RAFT_LEADERSHIPLOST:
		return dot_err_set(e, DOT_ECONS_NOT_LEADER, "%s: %s", what,
				   raft_strerror(rv));
	case RAFT_CANTCHANGE:
		return dot_err_set(e, DOT_ECONS_BUSY, "%s: %s", what,
				   raft_strerror(rv));
	case RAFT_BADID:
	case RAFT_BADROLE:
	case RAFT_DUPLICATEID:
	case RAFT_DUPLICATEADDRESS:
		return dot_err_set(e, DOT_ECONS_MEMBER, "%s: %s", what,
				   raft_strerror(rv));
	case RAFT_CANTBOOTSTRAP:
		return dot_err_set(e, DOT_ECONS_ENGINE,
				   "%s: this node has raft state already", what);
	default:
		return dot_err_set(e, DOT_ECONS_ENGINE, "%s: %s (%s)", what,
				   raft_strerror(rv),
				   c != NULL && c->raft_inited
					   ? raft_errmsg(&c->raft)
					   : "");
	}
}

static void
req_done(struct req *q, int rv, const char *what)
{
	struct dot_err e = {0};
	int st = rv == 0 ? DOT_OK : map_rv(q->c, rv, what, &e);

	if (rv == RAFT_LEADERSHIPLOST || rv == RAFT_SHUTDOWN)
		st = dot_err_set(&e, DOT_ECONS_LOST, "%s: %s", what,
				 raft_strerror(rv));
	if (q->cb != NULL)
		q->cb(q->arg, st, &e);
	req_free(q);
}

/* ---- the state machine, as the engine sees it ---- */

/*
 * A command in a raft entry: its length (8 bytes, big-endian), the command,
 * zeros to a multiple of 8 bytes (the disk backend's alignment rule).
 */
static int
cmd_unframe(const struct raft_buffer *buf, const uint8_t **cmd, size_t *len)
{
	const uint8_t *p = buf->base;
	uint64_t n = 0;

	if (buf->len < 8)
		return RAFT_MALFORMED;
	for (int i = 0; i < 8; i++)
		n = n << 8 | p[i];
	if (n > buf->len - 8 || buf->len - 8 - n >= 8)
		return RAFT_MALFORMED;
	*cmd = p + 8;
	*len = (size_t)n;
	return 0;
}

static int
fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
	struct dotd_cons *c = fsm->data;
	uint64_t index = raft_last_applied(&c->raft) + 1;
	const uint8_t *cmd;
	size_t n;

	*result = NULL;
	if (cmd_unframe(buf, &cmd, &n) != 0)
		return RAFT_MALFORMED;
	return c->cfg.fsm.apply(c->cfg.fsm.ctx, index, cmd, n) == DOT_OK
		       ? 0
		       : RAFT_IOERR;
}

/* The node whose raft_io this is (io is a member of struct dotd_cons). */
static struct dotd_cons *
cons_of(struct raft_io *io)
{
	return (struct dotd_cons *)((char *)io - offsetof(struct dotd_cons, io));
}

/*
 * The disk backend's append, wrapped: every command this node is about to
 * write to its log (a follower's from the leader, the leader's own) is
 * shown to fsm.received first. It may never commit; received only gets
 * work done early that apply would otherwise do (dotd: the signature
 * checks), never anything apply relies on.
 */
static int
io_append(struct raft_io *io, struct raft_io_append *req,
	  const struct raft_entry entries[], unsigned n, raft_io_append_cb cb)
{
	struct dotd_cons *c = cons_of(io);

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *cmd;
		size_t len;

		if (entries[i].type == RAFT_COMMAND &&
		    cmd_unframe(&entries[i].buf, &cmd, &len) == 0)
			c->cfg.fsm.received(c->cfg.fsm.ctx, cmd, len);
	}
	return c->uv_append(io, req, entries, n, cb);
}

/*
 * Keep (a copy of) id's address; the copy. NULL when out of memory (the
 * caller falls back on what it had).
 */
/* The slot of id's copy, or c->naddrs if there is none. */
static size_t
addr_slot(const struct dotd_cons *c, raft_id id)
{
	size_t i;

	for (i = 0; i < c->naddrs; i++)
		if (c->addrs[i].id == id)
			break;
	return i;
}

static const char *
addr_keep(struct dotd_cons *c, raft_id id, const char *address)
{
	size_t i = addr_slot(c, id);
	char *dup;

	if (i < c->naddrs && strcmp(c->addrs[i].address, address) == 0)
		return c->addrs[i].address;
	if ((dup = strdup(address)) == NULL)
		return NULL;
	if (i == c->naddrs) {
		struct addr_copy *a = realloc(c->addrs, (c->naddrs + 1) *
							    sizeof(*a));

		if (a == NULL) {
			free(dup);
			return NULL;
		}
		c->addrs = a;
		c->addrs[c->naddrs++].id = id;
	} else {
		free(c->addrs[i].address);
	}
	c->addrs[i].address = dup;
	return dup;
}

/*
 * The disk backend's send, wrapped: the message goes to the address this
 * node knows for the member's id, never through the message's own address
 * pointer. raft 0.22.1 can hand send a message whose server_address points
 * into a configuration it has just freed (a membership change on the
 * leader while a node joins: AddressSanitizer caught the backend's
 * strcmp on it, tests/daemon/cluster3.sh); the backend only looks the
 * address up (it encodes the message at once and keeps a copy of the
 * address), so the message is passed on as a copy with a live address:
 * the current configuration's, else the last one seen for that id
 * (addr_keep, also fed by dotd_cons_add). For an id in no configuration
 * this node has seen, the message's own address is used.
 */
static int
io_send(struct raft_io *io, struct raft_io_send *req,
	const struct raft_message *message, raft_io_send_cb cb)
{
	struct dotd_cons *c = cons_of(io);
	const struct raft_configuration *conf = &c->raft.configuration;
	struct raft_message m = *message;
	const char *a = NULL;
	size_t k;

	for (unsigned i = 0; i < conf->n; i++)
		if (conf->servers[i].id == m.server_id) {
			a = conf->servers[i].address;
			(void)addr_keep(c, m.server_id, a);
			break;
		}
	if (a == NULL && (k = addr_slot(c, m.server_id)) < c->naddrs)
		a = c->addrs[k].address;
	/* Neither: an id this node has never had in a configuration, a reply
	 * to a leader a joining node does not know yet, whose address came
	 * with the message it received, not from a configuration. */
	if (a != NULL)
		m.server_address = a;
	return c->uv_send(io, req, &m, cb);
}

static void
addrs_free(struct dotd_cons *c)
{
	for (size_t i = 0; i < c->naddrs; i++)
		free(c->addrs[i].address);
	free(c->addrs);
	c->addrs = NULL;
	c->naddrs = 0;
}

static int
fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
	     unsigned *n_bufs)
{
	struct dotd_cons *c = fsm->data;
	struct dot_buf out = {0};
	struct raft_buffer *b;

	if (c->cfg.fsm.snapshot(c->cfg.fsm.ctx, &out) != DOT_OK) {
		dot_buf_free(&out);
		return RAFT_IOERR;
	}
	b = raft_malloc(sizeof(*b));
	if (b == NULL) {
		dot_buf_free(&out);
		return RAFT_NOMEM;
	}
	b->base = raft_malloc(out.len > 0 ? out.len : 1);
	if (b->base == NULL) {
		raft_free(b);
		dot_buf_free(&out);
		return RAFT_NOMEM;
	}
	memcpy(b->base, out.data, out.len);
	b->len = out.len;
	dot_buf_free(&out);
	*bufs = b;
	*n_bufs = 1;
	return 0;
}

static int
fsm_snapshot_finalize(struct raft_fsm *fsm, struct raft_buffer *bufs[],
		      unsigned *n_bufs)
{
	(void)fsm;
	for (unsigned i = 0; i < *n_bufs; i++)
		raft_free((*bufs)[i].base);
	raft_free(*bufs);
	*bufs = NULL;
	*n_bufs = 0;
	return 0;
}

static int
fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
	struct dotd_cons *c = fsm->data;
	int rv = c->cfg.fsm.restore(c->cfg.fsm.ctx, buf->base, buf->len);

	if (rv != DOT_OK)
		return RAFT_IOERR;
	raft_free(buf->base); /* ours once restore succeeds */
	return 0;
}

/* ---- life ---- */

int
dotd_cons_open(struct dotd_cons **out, const struct dotd_cons_config *cfg,
	       struct dot_err *e)
{
	struct dotd_cons *c;
	int rv;

	*out = NULL;
	if (cfg->loop == NULL || cfg->dir == NULL || cfg->id == 0 ||
	    cfg->address == NULL || cfg->transport == NULL ||
	    cfg->fsm.apply == NULL || cfg->fsm.snapshot == NULL ||
	    cfg->fsm.restore == NULL)
		return dot_err_set(e, DOT_EINVAL,
				   "consensus: loop, dir, id, address, "
				   "transport and state machine needed");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return DOT_ENOMEM;
	c->cfg = *cfg;
	c->dir = strdup(cfg->dir);
	c->address = strdup(cfg->address);
	if (c->dir == NULL || c->address == NULL) {
		rv = DOT_ENOMEM;
		goto fail;
	}
	c->cfg.dir = c->dir;
	c->cfg.address = c->address;
	rv = raft_uv_init(&c->io, cfg->loop, c->dir, cfg->transport);
	if (rv != 0) {
		rv = dot_err_set(e, DOT_ECONS_ENGINE, "raft disk backend at "
				 "%s: %s (%s)", c->dir, raft_strerror(rv),
				 c->io.errmsg);
		goto fail;
	}
	c->io_inited = 1;
	if (cfg->fsm.received != NULL) {
		c->uv_append = c->io.append;
		c->io.append = io_append;
	}
	c->uv_send = c->io.send;
	c->io.send = io_send;
	c->fsm.version = 2;
	c->fsm.data = c;
	c->fsm.apply = fsm_apply;
	c->fsm.snapshot = fsm_snapshot;
	c->fsm.restore = fsm_restore;
	c->fsm.snapshot_finalize = fsm_snapshot_finalize;
	rv = raft_init(&c->raft, &c->io, &c->fsm, cfg->id, c->address);
	if (rv != 0) {
		rv = dot_err_set(e, DOT_ECONS_ENGINE, "raft: %s (%s)",
				 raft_strerror(rv), raft_errmsg(&c->raft));
		goto fail;
	}
	c->raft_inited = 1;
	raft_set_heartbeat_timeout(&c->raft,
				   cfg->heartbeat_ms ? cfg->heartbeat_ms : 100);
	raft_set_election_timeout(&c->raft,
				  cfg->election_ms ? cfg->election_ms : 1000);
	c->threshold = cfg->snapshot_threshold ? cfg->snapshot_threshold : 8192;
	/* none of its own until dotd_cons_tick finds the node stable */
	c->gate_threshold = UINT32_MAX;
	raft_set_snapshot_threshold(&c->raft, c->gate_threshold);
	raft_set_snapshot_trailing(&c->raft, cfg->snapshot_trailing
						     ? cfg->snapshot_trailing
						     : 2048);
	raft_set_pre_vote(&c->raft, true);
	*out = c;
	return DOT_OK;
fail:
	if (c->io_inited)
		raft_uv_close(&c->io);
	addrs_free(c);
	free(c->dir);
	free(c->address);
	free(c);
	return rv;
}

int
dotd_cons_bootstrap(struct dotd_cons *c,
		    const struct dotd_cons_member *members, size_t n,
		    struct dot_err *e)
{
	struct raft_configuration conf;
	int rv = 0;

	raft_configuration_init(&conf);
	for (size_t i = 0; i < n && rv == 0; i++)
		rv = raft_configuration_add(
		    &conf, members[i].id, members[i].address,
		    members[i].role == DOTD_CONS_VOTER ? RAFT_VOTER
						       : RAFT_STANDBY);
	if (rv == 0)
		rv = raft_bootstrap(&c->raft, &conf);
	raft_configuration_close(&conf);
	return map_rv(c, rv, "bootstrap", e);
}

int
dotd_cons_start(struct dotd_cons *c, struct dot_err *e)
{
	int rv = raft_start(&c->raft);

	if (rv != 0)
		return dot_err_set(e, DOT_ECONS_ENGINE,
				   "raft start: %s (%s)", raft_strerror(rv),
				   raft_errmsg(&c->raft));
	c->started = 1;
	return DOT_OK;
}

static void
on_raft_closed(struct raft *r)
{
	struct dotd_cons *c = r->data;
	void (*cb)(void *) = c->close_cb;
	void *arg = c->close_arg;

	raft_uv_close(&c->io);
	/* Requests the engine dropped at close without calling back: their
	 * callers free their own side at close (dotd's cl_close). */
	while (c->reqs != NULL)
		req_free(c->reqs);
	addrs_free(c);
	free(c->dir);
	free(c->address);
	free(c);
	if (cb != NULL)
		cb(arg);
}

void
dotd_cons_close(struct dotd_cons *c, void (*cb)(void *arg), void *arg)
{
	c->close_cb = cb;
	c->close_arg = arg;
	c->raft.data = c;
	raft_close(&c->raft, on_raft_closed);
}

/* ---- requests ---- */

static struct req *
req_new(struct dotd_cons *c, dotd_cons_cb cb, void *arg)
{
	struct req *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->c = c;
	q->cb = cb;
	q->arg = arg;
	q->then_role = -1;
	q->u.apply.data = q;
	q->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = q;
	c->reqs = q;
	return q;
}

static void
on_applied(struct raft_apply *r, int status, void *result)
{
	(void)result;
	req_done(r->data, status, "propose");
}

int
dotd_cons_propose(struct dotd_cons *c, const uint8_t *cmd, size_t n,
		  dotd_cons_cb cb, void *arg, struct dot_err *e)
{
	struct raft_buffer b;
	struct req *q;
	int rv;

	if (raft_state(&c->raft) != RAFT_LEADER)
		return dot_err_set(e, DOT_ECONS_NOT_LEADER,
				   "this node is not the leader");
	if (n > SIZE_MAX - 16)
		return dot_err_set(e, DOT_ESTATE_TOO_BIG, "command too big");
	q = req_new(c, cb, arg);
	b.len = 8 + ((n + 7) & ~(size_t)7);
	b.base = raft_calloc(1, b.len);
	if (q == NULL || b.base == NULL) {
		req_free(q);
		raft_free(b.base);
		return DOT_ENOMEM;
	}
	for (int i = 0; i < 8; i++)
		((uint8_t *)b.base)[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	memcpy((uint8_t *)b.base + 8, cmd, n);
	q->u.apply.data = q;
	rv = raft_apply(&c->raft, &q->u.apply, &b, 1, on_applied);
	if (rv != 0) {
		/* the engine may have taken the buffer into its log and
		 * discarded it already: it is not freed here (at worst, a leak
		 * on an error path that stops the node anyway) */
		req_free(q);
		return map_rv(c, rv, "propose", e);
	}
	return DOT_OK;
}

static void
on_barrier(struct raft_barrier *r, int status)
{
	req_done(r->data, status, "barrier");
}

int
dotd_cons_barrier(struct dotd_cons *c, dotd_cons_cb cb, void *arg,
		  struct dot_err *e)
{
	struct req *q = req_new(c, cb, arg);
	int rv;

	if (q == NULL)
		return DOT_ENOMEM;
	q->u.barrier.data = q;
	rv = raft_barrier(&c->raft, &q->u.barrier, on_barrier);
	if (rv != 0) {
		req_free(q);
		return map_rv(c, rv, "barrier", e);
	}
	return DOT_OK;
}

static void
on_change(struct raft_change *r, int status)
{
	struct req *q = r->data;

	if (status == 0 && q->then_role >= 0) {
		/* added (as a spare): now its role; raft catches a voter up
		 * before it counts in a quorum */
		int role = q->then_role;

		q->then_role = -1;
		if (role == RAFT_SPARE)
			goto done;
		memset(&q->u.change, 0, sizeof(q->u.change));
		q->u.change.data = q;
		status = raft_assign(&q->c->raft, &q->u.change, q->id, role,
				     on_change);
		if (status == 0)
			return;
	}
done:
	req_done(q, status, "membership change");
}

static int
raft_role_of(int role)
{
	switch (role) {
	case DOTD_CONS_VOTER:
		return RAFT_VOTER;
	case DOTD_CONS_STANDBY:
	case DOTD_CONS_OBSERVER:
		return RAFT_STANDBY;
	default:
		return -1;
	}
}

int
dotd_cons_add(struct dotd_cons *c, uint64_t id, const char *address,
	      int role, dotd_cons_cb cb, void *arg, struct dot_err *e)
{
	struct req *q;
	int rv;

	if (raft_role_of(role) < 0)
		return dot_err_set(e, DOT_EINVAL, "unknown role %d", role);
	q = req_new(c, cb, arg);
	if (q == NULL)
		return DOT_ENOMEM;
	q->u.change.data = q;
	q->id = id;
	q->then_role = raft_role_of(role);
	(void)addr_keep(c, id, address); /* io_send's, from the start */
	rv = raft_add(&c->raft, &q->u.change, id, address, on_change);
	if (rv != 0) {
		req_free(q);
		return map_rv(c, rv, "add", e);
	}
	return DOT_OK;
}

int
dotd_cons_assign(struct dotd_cons *c, uint64_t id, int role,
		 dotd_cons_cb cb, void *arg, struct dot_err *e)
{
	int rr = raft_role_of(role);
	struct req *q;
	int rv;

	if (rr < 0)
		return dot_err_set(e, DOT_EINVAL, "unknown role %d", role);
	q = req_new(c, cb, arg);
	if (q == NULL)
		return DOT_ENOMEM;
	q->u.change.data = q;
	rv = raft_assign(&c->raft, &q->u.change, id, rr, on_change);
	if (rv != 0) {
		req_free(q);
		return map_rv(c, rv, "assign", e);
	}
	return DOT_OK;
}

int
dotd_cons_remove(struct dotd_cons *c, uint64_t id, dotd_cons_cb cb,
		 void *arg, struct dot_err *e)
{
	struct req *q = req_new(c, cb, arg);
	int rv;

	if (q == NULL)
		return DOT_ENOMEM;
	q->u.change.data = q;
	rv = raft_remove(&c->raft, &q->u.change, id, on_change);
	if (rv != 0) {
		req_free(q);
		return map_rv(c, rv, "remove", e);
	}
	return DOT_OK;
}

static void
on_transfer(struct raft_transfer *r)
{
	struct req *q = r->data;
	struct dotd_cons *c = q->c;

	/* the engine reports no status: done when someone else leads */
	req_done(q, raft_state(&c->raft) == RAFT_LEADER ? RAFT_NOTLEADER : 0,
		 "transfer");
}

int
dotd_cons_transfer(struct dotd_cons *c, uint64_t id, dotd_cons_cb cb,
		   void *arg, struct dot_err *e)
{
	struct req *q = req_new(c, cb, arg);
	int rv;

	if (q == NULL)
		return DOT_ENOMEM;
	q->u.transfer.data = q;
	rv = raft_transfer(&c->raft, &q->u.transfer, id, on_transfer);
	if (rv != 0) {
		req_free(q);
		return map_rv(c, rv, "transfer", e);
	}
	return DOT_OK;
}

/* ---- what the engine knows ---- */

int
dotd_cons_is_leader(struct dotd_cons *c)
{
	return raft_state(&c->raft) == RAFT_LEADER;
}

void
dotd_cons_leader(struct dotd_cons *c, uint64_t *id, const char **address)
{
	raft_id lid = 0;
	const char *a = NULL;

	raft_leader(&c->raft, &lid, &a);
	*id = lid;
	*address = a;
}

uint64_t
dotd_cons_term(struct dotd_cons *c)
{
	return raft_current_term(&c->raft);
}

const char *
dotd_cons_state_name(struct dotd_cons *c)
{
	switch (raft_state(&c->raft)) {
	case RAFT_LEADER:
		return "leader";
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_CANDIDATE:
		return "candidate";
	default:
		return "unavailable";
	}
}

uint64_t
dotd_cons_last_applied(struct dotd_cons *c)
{
	return raft_last_applied(&c->raft);
}

uint64_t
dotd_cons_commit_index(struct dotd_cons *c)
{
	return raft_commit_index(&c->raft);
}

size_t
dotd_cons_members(struct dotd_cons *c,
		  void (*fn)(void *ctx, const struct dotd_cons_member *m),
		  void *ctx)
{
	const struct raft_configuration *conf = &c->raft.configuration;

	for (unsigned i = 0; fn != NULL && i < conf->n; i++) {
		struct dotd_cons_member m;

		m.id = conf->servers[i].id;
		m.address = conf->servers[i].address;
		m.role = conf->servers[i].role == RAFT_VOTER
				 ? DOTD_CONS_VOTER
				 : DOTD_CONS_STANDBY;
		fn(ctx, &m);
	}
	return conf->n;
}

/*
 * raft 0.22.1 crashes when an InstallSnapshot message arrives while the
 * node is writing a snapshot of its own: legacy.c's takeSnapshotCb clears
 * r->legacy.snapshot_pending before it reads it, and starts a NULL request
 * (a SEGV in the engine, seen in tests/daemon/chaos.sh). A leader sends
 * InstallSnapshot to a follower that is behind: one that just started,
 * came back from a partition, or follows a new leader. So a follower takes
 * snapshots of its own only once it has followed the same leader for
 * STABLE_MS; until then (and from the start) its threshold is out of
 * reach, and it keeps its log (catch-up truncates it anyway). A leader
 * takes its snapshots as configured. Decision 0016 says what remains.
 */
#define STABLE_MS 3000

void
dotd_cons_tick(struct dotd_cons *c, uint64_t now_ms)
{
	raft_id lid = 0;
	const char *laddr = NULL;
	int state = raft_state(&c->raft);
	unsigned want;

	raft_leader(&c->raft, &lid, &laddr);
	if (lid != c->gate_leader || state != c->gate_state) {
		c->gate_leader = lid;
		c->gate_state = state;
		c->gate_since = now_ms;
	}
	want = state == RAFT_LEADER ||
		       (state == RAFT_FOLLOWER && lid != 0 &&
			now_ms - c->gate_since >= STABLE_MS)
		   ? c->threshold
		   : UINT32_MAX;
	if (want != c->gate_threshold) {
		c->gate_threshold = want;
		raft_set_snapshot_threshold(&c->raft, want);
	}
}
