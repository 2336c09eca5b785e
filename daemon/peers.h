/*
 * peers.h - who may open a channel to this node (docs/wire-protocol.md
 * §3.4, docs/decisions/0013-channel-keys-from-ledger-keys.md): the X25519
 * form of every Ed25519 key of every account level in the state, mapped to
 * its account, rebuilt when the state's account keys change.
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
	char account[DOT_NET_MAX_NAME + 1];
};

struct dotd_peers {
	struct dotd_peer_key *keys; /* sorted by kx, then order */
	size_t n, cap;
	uint64_t epoch; /* dot_state_keys_epoch of this build; 0: none */
	size_t skipped; /* keys that do not map (not Ed25519) or over max */
};

/* Rebuild from the state if its account keys changed since the last build.
 * 1 if rebuilt, 0 if current, or an error (the map is then empty: every
 * account key is refused until a rebuild succeeds). */
int dotd_peers_refresh(struct dotd_peers *p, struct dot_state *st,
		       struct dot_err *e);

/* The account of a channel key (the first in account order when a key is
 * in several), or NULL. */
const char *dotd_peers_find(const struct dotd_peers *p,
			    const uint8_t kx[DOT_NET_KEY_LEN]);

void dotd_peers_free(struct dotd_peers *p);

#endif
