/*
 * transport.h - raft's traffic over the secure channel
 * (docs/decisions/0016-raft-over-the-channel.md).
 *
 * A raft_uv_transport whose every connection is a lib/net channel between
 * two member nodes' static keys. raft reads and writes plain bytes on a
 * stream; the stream it gets is one end of a socketpair whose other end
 * this module pumps to and from the encrypted TCP connection. A node's raft
 * id and address are not claimed by the peer (as raft's own TCP transport
 * lets it do): they are looked up from the key the handshake
 * authenticated, so only a member node can reach raft at all, and only as
 * itself. A transport frame that fails its checks closes the link (raft's
 * bytes are a stream: a dropped frame would be a silent gap in it).
 */
#ifndef DOTD_TRANSPORT_H
#define DOTD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "doteros/err.h"
#include "doteros/net.h"

/* "host:port", IPv4 or [IPv6], with its NUL (DOT_STATE_MAX_ADDR + 1) */
#define DOTD_TR_MAX_ADDRESS 129

/*
 * Who may talk raft with this node, asked on every handshake (so a node
 * removed from the membership is refused from then on):
 * - key_of: the static key raft id `id` must present (connect: IK);
 *   non-zero if the id is not a member.
 * - member: the raft id and address of the node with static key kx;
 *   non-zero if the key is not a member node's.
 */
struct dotd_tr_members {
	int (*key_of)(void *ctx, uint64_t id, uint8_t kx[DOT_NET_KEY_LEN]);
	int (*member)(void *ctx, const uint8_t kx[DOT_NET_KEY_LEN],
		      uint64_t *id, char address[DOTD_TR_MAX_ADDRESS]);
	void *ctx;
};

struct dotd_tr_config {
	uv_loop_t *loop;
	uint8_t cluster_id[DOT_NET_CLUSTER_ID_LEN];
	const uint8_t *static_sk; /* this node's X25519 key (copied) */
	struct dotd_tr_members members;
	/* Refuse a peer that offers no X-Wing step (the hybrid policy:
	 * docs/wire-protocol.md §3.5, REFUSE reason 7). */
	int require_kem;
	/* 0 takes the default in brackets */
	uint64_t handshake_timeout_us; /* [10 s] */
	unsigned max_handshakes;       /* [64] inbound, at once */
	unsigned max_links;            /* [256] connections, at once */
};

struct dotd_tr_stats {
	uint64_t accepted, connected; /* channels established */
	uint64_t refused;             /* handshakes refused or failed */
	uint64_t dropped;             /* links closed on a bad frame */
	uint64_t links;               /* open now */
};

/*
 * Set t up as a raft_uv_transport (give it to raft_uv_init). The listen
 * address is the one raft_init gets (raft's own address for this node).
 * Free with dotd_tr_free once raft_close has completed.
 */
int dotd_tr_init(struct raft_uv_transport *t, const struct dotd_tr_config *cfg,
		 struct dot_err *e);
void dotd_tr_free(struct raft_uv_transport *t);

/*
 * Ask the members again for every open link and close those whose key is
 * no longer a member node's (call when the membership changes).
 */
void dotd_tr_recheck(struct raft_uv_transport *t);

void dotd_tr_stats(struct raft_uv_transport *t, struct dotd_tr_stats *s);

/* Parse "host:port" (IPv4 dotted quad or [IPv6]) without DNS: 0, or
 * non-zero for anything else. */
int dotd_tr_parse_address(const char *address, struct sockaddr_storage *ss);

#endif
