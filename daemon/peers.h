/*
 * peers.h - who may open a channel to this node (docs/wire-protocol.md
 * §3.4, docs/decisions/0013-channel-keys-from-ledger-keys.md): the X25519
 * form of every Ed25519 key of every account level in the state, mapped to
 * its account and the account's expiry (docs/decisions/0015), rebuilt
 * when the state's account keys or expiries change. Times are the node's
 * clock in Unix seconds: an account is valid while now < its expiry.
 */
#ifndef DOTD_PEERS_H
#define DOTD_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "doteros/net.h"
#include "doteros/state.h"

/* At most this many keys are mapped; past it the rest are not (logged). */
#define DOTD_PEERS_MAX 1000000

struct dotd_peer_key {
	uint8_t kx[DOT_NET_KEY_LEN];
	uint32_t order; /* position in (account, level, key) order */
	uint64_t expires; /* the account's; DOT_STATE_NO_EXPIRY: never */
	char account[DOT_NET_MAX_NAME + 1];
};

struct dotd_peers {
	struct dotd_peer_key *keys; /* sorted by kx, then order */
	size_t n, cap;
	uint64_t epoch; /* dot_state_keys_epoch of this build; 0: none */
	size_t skipped; /* keys that do not map (not Ed25519) or over max */
	uint64_t next_expiry; /* the earliest expiry not yet passed (as far
				 as dotd_peers_expiry_due saw) */
	uint64_t refused_expired; /* handshakes refused for an expiry */
};

/* Rebuild from the state if its account keys or expiries changed since
 * the last build. 1 if rebuilt, 0 if current, or an error (the map is then
 * empty: every account key is refused until a rebuild succeeds). */
int dotd_peers_refresh(struct dotd_peers *p, struct dot_state *st,
		       struct dot_err *e);

/*
 * The mapping a channel key acts by at `now`: its first entry in account
 * order whose account has not expired, or NULL. When the key is mapped
 * but every account of it has expired, *expired (if not NULL) is the
 * first of those entries, else NULL.
 */
const struct dotd_peer_key *dotd_peers_find(const struct dotd_peers *p,
					    const uint8_t kx[DOT_NET_KEY_LEN],
					    uint64_t now,
					    const struct dotd_peer_key **expired);

/* 1 when kx is still a key of `account` and the account has not expired
 * at now (an established channel may stay open), else 0. */
int dotd_peers_holds(const struct dotd_peers *p,
		     const uint8_t kx[DOT_NET_KEY_LEN], const char *account,
		     uint64_t now);

/* 1 when an expiry in the map has come (<= now) since the last call or
 * the last rebuild: the caller then rechecks its open channels
 * (dotd_peers_holds). Otherwise 0, in constant time. */
int dotd_peers_expiry_due(struct dotd_peers *p, uint64_t now);

void dotd_peers_free(struct dotd_peers *p);

#endif
