/*
 * fuzz_status.c - dot's reader of a node's "status" answer (cli/status.c,
 * the format in cli/status.h). The input is the answer's CBOR. An accepted
 * answer must have the required fields, bounded NUL-terminated texts
 * without NUL inside, at most CLI_STATUS_VOTERS_MAX voters kept, and parse
 * the same way twice; a refused one must say DOT_EAPI_FORMAT.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_status: %s\n", what);
	abort();
}

static void
bounded(const char *s, size_t cap, const char *what)
{
	if (memchr(s, '\0', cap) == NULL)
		fail(what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_status a, b;
	struct dot_err e = {0};
	int rv;

	if (size > 65536)
		return 0;
	rv = cli_status_parse(data, size, &a, &e);
	if (rv != DOT_OK) {
		if (rv != DOT_EAPI_FORMAT || e.msg[0] == '\0')
			fail("a refusal that is not DOT_EAPI_FORMAT with a "
			     "message");
		return 0;
	}
	bounded(a.admin, sizeof(a.admin), "admin not terminated");
	bounded(a.version, sizeof(a.version), "version not terminated");
	bounded(a.raft_role, sizeof(a.raft_role), "role not terminated");
	bounded(a.leader_addr, sizeof(a.leader_addr),
		"leader address not terminated");
	bounded(a.policy, sizeof(a.policy), "policy not terminated");
	if (a.nvoters > CLI_STATUS_VOTERS_MAX)
		fail("more voters kept than the bound");
	if (!a.has_voters && a.nvoters != 0)
		fail("voters without the field");
	if (!a.has_raft && (a.raft_role[0] || a.leader_addr[0] ||
			    a.raft_term || a.raft_id || a.leader_id))
		fail("consensus values without the field");
	if (cli_status_parse(data, size, &b, &e) != DOT_OK ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		fail("two parses of the same bytes differ");
	return 0;
}
