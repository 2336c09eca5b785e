/*
 * consensus.h - the replicated log, behind a small interface
 * (docs/decisions/0016-raft-over-the-channel.md).
 *
 * Every call into the raft engine (cowsql raft 0.22, libuv disk backend)
 * is in consensus.c, so the engine could be replaced without touching the
 * rest of dotd. The interface: propose a command; an apply callback for
 * each committed command, in order, on every node; snapshots of the state
 * machine; membership (add, assign a role, remove); leadership (who leads,
 * transfer); a barrier for linearizable reads.
 */
#ifndef DOTD_CONSENSUS_H
#define DOTD_CONSENSUS_H

#include <stddef.h>
#include <stdint.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "doteros/buf.h"
#include "doteros/err.h"

/* Roles of a member in the replicated log. A voter is in every quorum; a
 * standby and an observer receive every entry but are in no quorum (the
 * difference is policy above this layer: a standby may be promoted). */
enum dotd_cons_role {
	DOTD_CONS_VOTER = 1,
	DOTD_CONS_STANDBY = 2,
	DOTD_CONS_OBSERVER = 3,
};

/*
 * The state machine, called on the loop thread:
 * - apply: a committed command, in log order, on every node, with its raft
 *   index (strictly increasing; after a restart the engine may hand again
 *   commands the state already holds: the state skips those by index).
 *   Non-zero only when the node cannot go on (storage); the engine stops.
 * - snapshot: the whole state as bytes (out is empty); its raft index is
 *   the last applied one.
 * - restore: replace the state with a snapshot's bytes (a node that fell
 *   behind the leader's log, or a restart from a snapshot).
 * - received (optional, NULL for none): a command about to be written to
 *   this node's log (on a follower, as it arrives from the leader; on the
 *   leader, its own), before it is committed; it may never be (a later
 *   leader can overwrite it). For work that only saves apply time, never
 *   for anything apply relies on.
 */
struct dotd_cons_fsm {
	int (*apply)(void *ctx, uint64_t index, const uint8_t *cmd, size_t n);
	int (*snapshot)(void *ctx, struct dot_buf *out);
	int (*restore)(void *ctx, const uint8_t *p, size_t n);
	void (*received)(void *ctx, const uint8_t *cmd, size_t n);
	void *ctx;
};

struct dotd_cons_config {
	uv_loop_t *loop;
	const char *dir;     /* the engine's own files (must exist) */
	uint64_t id;         /* this node's raft id, never 0 */
	const char *address; /* this node's raft address, host:port */
	struct raft_uv_transport *transport;
	struct dotd_cons_fsm fsm;
	/* 0 takes the default in brackets */
	unsigned heartbeat_ms;       /* [100] */
	unsigned election_ms;        /* [1000] */
	unsigned snapshot_threshold; /* [8192] entries between snapshots */
	unsigned snapshot_trailing;  /* [2048] entries kept after one */
};

struct dotd_cons;

struct dotd_cons_member {
	uint64_t id;
	const char *address;
	int role; /* enum dotd_cons_role */
};

/* Done callbacks: status 0 or a DOT_E* code (e explains). */
typedef void (*dotd_cons_cb)(void *arg, int status, const struct dot_err *e);

int dotd_cons_open(struct dotd_cons **c, const struct dotd_cons_config *cfg,
		   struct dot_err *e);
/* Write the first configuration; only on a node that has never run
 * (DOT_ECONS_ENGINE, nothing written, otherwise). */
int dotd_cons_bootstrap(struct dotd_cons *c,
			const struct dotd_cons_member *members, size_t n,
			struct dot_err *e);
int dotd_cons_start(struct dotd_cons *c, struct dot_err *e);
/* Close, then cb(arg) once every handle is closed. */
void dotd_cons_close(struct dotd_cons *c, void (*cb)(void *arg), void *arg);

/*
 * Propose a command (copied). Only the leader can: DOT_ECONS_NOT_LEADER
 * otherwise. cb reports whether the command was committed and applied
 * here (0) or lost (leadership changed before it committed; the caller may
 * propose again: apply is idempotent per tx in the state).
 */
int dotd_cons_propose(struct dotd_cons *c, const uint8_t *cmd, size_t n,
		      dotd_cons_cb cb, void *arg, struct dot_err *e);
/* Once every entry committed before this call is applied here (leader). */
int dotd_cons_barrier(struct dotd_cons *c, dotd_cons_cb cb, void *arg,
		      struct dot_err *e);

int dotd_cons_is_leader(struct dotd_cons *c);
/* Every 50 ms or so: whether the node may take snapshots of its own now
 * (a raft 0.22.1 crash, consensus.c). */
void dotd_cons_tick(struct dotd_cons *c, uint64_t now_ms);
/* The leader known to this node: its id and address (0 and NULL if none). */
void dotd_cons_leader(struct dotd_cons *c, uint64_t *id, const char **address);
uint64_t dotd_cons_term(struct dotd_cons *c);
/* "leader", "follower", "candidate" or "unavailable". */
const char *dotd_cons_state_name(struct dotd_cons *c);
uint64_t dotd_cons_last_applied(struct dotd_cons *c);
uint64_t dotd_cons_commit_index(struct dotd_cons *c);

/* Membership, on the leader. add makes the node a member in `role` in two
 * steps (raft adds it as a spare, then assigns the role, catching a voter
 * up first); cb once both are done. */
int dotd_cons_add(struct dotd_cons *c, uint64_t id, const char *address,
		  int role, dotd_cons_cb cb, void *arg, struct dot_err *e);
int dotd_cons_assign(struct dotd_cons *c, uint64_t id, int role,
		     dotd_cons_cb cb, void *arg, struct dot_err *e);
int dotd_cons_remove(struct dotd_cons *c, uint64_t id, dotd_cons_cb cb,
		     void *arg, struct dot_err *e);
/* Hand leadership to id (0: the most up-to-date voter). */
int dotd_cons_transfer(struct dotd_cons *c, uint64_t id, dotd_cons_cb cb,
		       void *arg, struct dot_err *e);

/* The current configuration: fn for each member; n members. */
size_t dotd_cons_members(struct dotd_cons *c,
			 void (*fn)(void *ctx, const struct dotd_cons_member *m),
			 void *ctx);

#endif
