/*
 * cluster_fmt.h - the byte formats dotd's cluster mode reads from disk and
 * from the consensus engine, as pure parsers (no node, no I/O), so each has
 * a fuzz target (tests/fuzz/fuzz_cluster.c):
 *
 *   - a raft command: version (1 byte), entry time, origin raft id and
 *     proposal number (8 bytes each, big-endian), then the body
 *     (decision 0016; version 1: a ledger entry; version 2: cosignatures,
 *     decision 0018);
 *   - a cosign command's body: canonical CBOR
 *     [* [size, root (32 bytes), key name, signature line]];
 *   - DIR/members (written by `dot node join`): canonical CBOR
 *     [1, cluster id (16 bytes), [* [node key, raft address]]]; a node
 *     key is suite || key of a signing suite, of that suite's length
 *     (33 bytes for Ed25519, 1985 for the composite).
 *
 * Node signatures and keys come in either suite of docs/crypto.md: Ed25519
 * (0x01) or the composite ML-DSA-65 + Ed25519 (0x03).
 */
#ifndef DOTD_CLUSTER_FMT_H
#define DOTD_CLUSTER_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "doteros/err.h"
#include "doteros/state.h"

#define DOTD_CMD_HDR	   25
#define DOTD_CMD_LEDGER	   1
#define DOTD_CMD_COSIGN	   2
#define DOTD_MAX_MEMBERS   1024
#define DOTD_COSIGN_MAX	   1024 /* items in one cosign command */
/* Bytes of one signature line: a composite one (type 0xff, a 3373-byte
 * signature) under a 63-byte name is the longest, 4573; an Ed25519 line
 * under a node's 21-byte name is 119. */
#define DOTD_COSIGN_NAME   63
#define DOTD_COSIGN_LINE                                                       \
	DOT_AUDIT_LINE_LEN(DOTD_COSIGN_NAME, DOT_SIGN_SIG_MAX - 1)

struct dotd_cmd {
	uint8_t version;
	uint64_t time;	 /* the entry's Unix seconds */
	uint64_t origin; /* the proposer's raft id */
	uint64_t seq;	 /* its proposal number */
	const uint8_t *body;
	size_t body_len;
};

/* The header; DOT_EINVAL when shorter than DOTD_CMD_HDR. Any version is
 * returned: the caller skips the ones it does not know. */
int dotd_cmd_parse(const uint8_t *p, size_t len, struct dotd_cmd *c);
/* Write a header (DOTD_CMD_HDR bytes). */
void dotd_cmd_header(uint8_t out[DOTD_CMD_HDR], uint8_t version,
		     uint64_t time, uint64_t origin, uint64_t seq);

/*
 * A cosign body: cb for each item, in order, with pointers into p (a
 * non-DOT_OK return stops and is returned). Strict: DOT_ECODEC_* for bytes
 * that are not canonical CBOR, DOT_EINVAL for any other shape (more than
 * DOTD_COSIGN_MAX items, a root of another length, a name of 0 or over 63
 * bytes, a line of 0 or over DOTD_COSIGN_LINE bytes).
 */
int dotd_cosign_parse(const uint8_t *p, size_t len,
		      int (*cb)(void *ctx, const struct dot_state_cosig *c),
		      void *ctx, struct dot_err *e);

/*
 * DIR/members: the cluster id into cluster, then cb for each node (key of
 * a signing suite's length, checked by cb; raft address checked by
 * dot_state_addr_check; pointers into p).
 * DOT_ECODEC_FIELD for a wrong shape, DOT_ECODEC_TRAILING for bytes after
 * it, or cb's error.
 */
int dotd_members_parse(const uint8_t *p, size_t len, uint8_t cluster[16],
		       int (*cb)(void *ctx, const uint8_t *key, size_t keylen,
				 const char *addr, size_t addrlen),
		       void *ctx, struct dot_err *e);

#endif
