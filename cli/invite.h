/*
 * invite.h - the invitation of dot node invite / join (cli/invite.c):
 *
 *   "dotinv1" + base64url(CBOR || checksum)   (cli_text_encode)
 *   CBOR  {1: cluster id (bstr 16), 2: invitation seed (bstr 32),
 *          3: a node API address to contact (text), 4: that node's key
 *          (bstr: suite || key, Ed25519 or composite), ?5: the role
 *          (uint), ?6: the active nodes [[node key, raft addr], ...],
 *          ?7: the cluster's crypto policy (text, as dot status gives it;
 *          absent: classic)}
 *
 * Decoded strictly (keys in order, each at most once, every key valid,
 * every address checked), and fuzzed: tests/fuzz/fuzz_invite.c.
 */
#ifndef DOT_CLI_INVITE_H
#define DOT_CLI_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/heap.h"
#include "doteros/state.h"

#define INVITE_PREFIX "dotinv1"
#define INVITE_ADDR_MAX 256 /* the contact address in an invitation */
#define INVITE_MEMBERS 256  /* nodes named in an invitation */
/* its CBOR: 5 fields and the members (key, raft address) */
#define INVITE_MAX                                                             \
	(512 + DOT_SIGN_PK_MAX +                                               \
	 INVITE_MEMBERS * (8 + DOT_SIGN_PK_MAX + DOT_STATE_MAX_ADDR))
#define INVITE_TEXT_MAX (INVITE_MAX / 3 * 4 + 64) /* --invite FILE */

struct member {
	uint8_t key[DOT_SIGN_PK_MAX];
	size_t keylen;
	char raft_addr[DOT_STATE_MAX_ADDR + 1];
};

struct invite {
	uint8_t cid[DOT_CLUSTER_ID_LEN];
	uint8_t *seed; /* DOT_SEED_LEN bytes, sodium_malloc'd */
	char addr[INVITE_ADDR_MAX + 1];
	uint8_t node_pk[DOT_SIGN_PK_MAX];
	size_t node_pklen;
	uint64_t role; /* 0: not given */
	unsigned policy; /* key 7; DOT_POLICY_CLASSIC when absent */
	struct member *members; /* key 6; NULL: not given */
	size_t nmembers;
};

/* A contact address: "unix:/path", or host:port as the state checks. */
int invite_contact_ok(const char *a, size_t n);
/* Free what inv holds (the seed is zeroed). */
void invite_free(struct invite *inv);
/* Encode the invitation's text into out (which then holds the secret). */
int invite_encode(const struct invite *inv, struct dot_buf *out);
/* Decode the text of an invitation, strictly; inv is then the caller's
 * to free (invite_free), on failure too. */
int invite_decode(const char *text, struct invite *inv, struct dot_err *e);

#endif
