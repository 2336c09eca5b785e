/*
 * status.h - what dot reads from a node's "status" answer
 * (docs/api-protocol.md, status): a CBOR map
 *
 *   {1: ledger index, 2: entry time, 3: cluster id (bstr 16),
 *    4: state hash (bstr 32), 5: admin account (text), 6: version (text),
 *    ?7: consensus {1: role, 2: term, 3: raft id, 4: leader id,
 *                   5: leader API address, 6: applied index},
 *    ?8: voters [raft id, ...], ?9: crypto policy (text), ...}
 *
 * Decoded strictly (cli/status.c): canonical CBOR, keys in ascending
 * order (so each at most once), 1 to 5 required, every text bounded and
 * without NUL; later keys (above 9) are skipped, so an older dot reads a
 * newer node. Fuzzed: tests/fuzz/fuzz_status.c.
 */
#ifndef DOT_CLI_STATUS_H
#define DOT_CLI_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/state.h"
#include "doteros/tx.h"

/* What "status" answers. */
struct cli_status {
	uint64_t index;
	uint64_t time;
	uint8_t cluster_id[DOT_CLUSTER_ID_LEN];
	uint8_t state_hash[DOT_HASH_LEN];
	char admin[DOT_TX_MAX_ACCOUNT + 1];
	char version[64];
	/* 7: a node in cluster mode (raft) */
	int has_raft;
	char raft_role[16];
	uint64_t raft_term, raft_id, leader_id, raft_applied;
	char leader_addr[130];
	/* 8: the voters of raft's configuration, as the node knows it */
#define CLI_STATUS_VOTERS_MAX 64
	int has_voters;
	size_t nvoters;
	uint64_t voters[CLI_STATUS_VOTERS_MAX];
	/* 9: the cluster's crypto policy ("" from an older node) */
	char policy[32];
};

/* Parse a status answer into *st (zeroed first). DOT_EAPI_FORMAT naming
 * the field when anything is off. */
int cli_status_parse(const uint8_t *p, size_t n, struct cli_status *st,
		     struct dot_err *e);

#endif
