/*
 * fuzz_invite.c - the invitation's text form (cli/invite.c: "dotinv1" +
 * base64url(CBOR || checksum), docs in cli/invite.h), the one parser of
 * dot node join. The input is the text. An accepted invitation must hold
 * only valid parts (a node key of either suite, addresses the state
 * accepts, a known policy, at most INVITE_MEMBERS nodes) and, when it
 * names a role, encode back to a text that decodes to the same parts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/invite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_invite: %s\n", what);
	abort();
}

static int
same(const struct invite *a, const struct invite *b)
{
	if (memcmp(a->cid, b->cid, sizeof(a->cid)) != 0 ||
	    memcmp(a->seed, b->seed, DOT_SEED_LEN) != 0 ||
	    strcmp(a->addr, b->addr) != 0 || a->node_pklen != b->node_pklen ||
	    memcmp(a->node_pk, b->node_pk, a->node_pklen) != 0 ||
	    a->role != b->role || a->policy != b->policy ||
	    (a->members == NULL) != (b->members == NULL) ||
	    a->nmembers != b->nmembers)
		return 0;
	for (size_t i = 0; i < a->nmembers; i++)
		if (a->members[i].keylen != b->members[i].keylen ||
		    memcmp(a->members[i].key, b->members[i].key,
			   a->members[i].keylen) != 0 ||
		    strcmp(a->members[i].raft_addr, b->members[i].raft_addr) !=
			    0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct invite inv, back;
	struct dot_buf text = {0};
	struct dot_err e = {0};
	char *s;

	if (size > 65536)
		return 0;
	if (dot_crypto_init() != DOT_OK)
		fail("dot_crypto_init");
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&back, 0, sizeof(back));
	if (invite_decode(s, &inv, &e) != DOT_OK) {
		if (e.code == DOT_OK || e.msg[0] == '\0')
			fail("a refusal without a reason");
		goto out;
	}
	if (!dot_state_node_key_valid(inv.node_pk, inv.node_pklen) ||
	    !invite_contact_ok(inv.addr, strlen(inv.addr)) ||
	    dot_policy_name(inv.policy) == NULL ||
	    inv.nmembers > INVITE_MEMBERS)
		fail("accepted an invalid part");
	for (size_t i = 0; i < inv.nmembers; i++)
		if (!dot_state_node_key_valid(inv.members[i].key,
					      inv.members[i].keylen) ||
		    dot_state_addr_check(inv.members[i].raft_addr,
					 strlen(inv.members[i].raft_addr),
					 NULL) != DOT_OK)
			fail("accepted an invalid node");
	if (inv.role == 0)
		goto out; /* the encoder always names a role */
	if (invite_encode(&inv, &text) != DOT_OK)
		fail("cannot encode an accepted invitation");
	dot_buf_put(&text, "", 1);
	if (text.err)
		fail("out of memory");
	if (invite_decode((const char *)text.data, &back, &e) != DOT_OK ||
	    !same(&inv, &back))
		fail("an accepted invitation does not round-trip");
out:
	invite_free(&inv);
	invite_free(&back);
	dot_buf_free(&text);
	free(s);
	return 0;
}
