/*
 * status.c - the strict reader of a node's "status" answer (status.h).
 */
#include <string.h>

#include "doteros/codec.h"
#include "status.h"

/* The message names the field: f is what was expected there. */
static int
bad(struct dot_err *e, const char *f)
{
	return dot_err_set(e, DOT_EAPI_FORMAT,
			   "the node's status answer is malformed: %s (a map "
			   "{1: index, 2: time, 3: cluster id, 4: state hash, "
			   "5: admin, 6: version, ...} was expected)",
			   f);
}

/* A text of fewer than cap bytes without NUL, copied NUL-terminated. */
static int
text(struct dot_dec *d, char *to, size_t cap)
{
	const char *s;
	size_t len;

	if (dot_dec_tstr(d, &s, &len) != DOT_OK || len >= cap ||
	    memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(to, s, len);
	to[len] = '\0';
	return 0;
}

/* 7: {1: role, 2: term, 3: raft id, 4: leader id, 5: leader address,
 * 6: applied}, exactly these keys in order. */
static int
consensus(struct dot_dec *d, struct cli_status *st)
{
	uint64_t m, got;

	if (dot_dec_map(d, &m) != DOT_OK || m != 6)
		return -1;
	for (uint64_t k = 1; k <= 6; k++) {
		if (dot_dec_uint(d, &got) != DOT_OK || got != k)
			return -1;
		if (k == 1 || k == 5) {
			if (k == 1 ? text(d, st->raft_role,
					  sizeof(st->raft_role))
				   : text(d, st->leader_addr,
					  sizeof(st->leader_addr)))
				return -1;
		} else {
			uint64_t *to = k == 2   ? &st->raft_term
				       : k == 3 ? &st->raft_id
				       : k == 4 ? &st->leader_id
						: &st->raft_applied;
			if (dot_dec_uint(d, to) != DOT_OK)
				return -1;
		}
	}
	st->has_raft = 1;
	return 0;
}

/* 8: [raft id, ...]: at most 4096 read, the first
 * CLI_STATUS_VOTERS_MAX kept. */
static int
voters(struct dot_dec *d, struct cli_status *st)
{
	uint64_t m, id;

	if (dot_dec_array(d, &m) != DOT_OK || m > 4096)
		return -1;
	for (uint64_t k = 0; k < m; k++) {
		if (dot_dec_uint(d, &id) != DOT_OK)
			return -1;
		if (st->nvoters < CLI_STATUS_VOTERS_MAX)
			st->voters[st->nvoters++] = id;
	}
	st->has_voters = 1;
	return 0;
}

int
cli_status_parse(const uint8_t *p, size_t n, struct cli_status *st,
		 struct dot_err *e)
{
	static const char *const names[] = {
	    "", "1 (index)", "2 (time)", "3 (cluster id)", "4 (state hash)",
	    "5 (admin)", "6 (version)", "7 (consensus)", "8 (voters)",
	    "9 (policy)"};
	struct dot_dec d;
	uint64_t count, key, prev = 0;
	const uint8_t *b;
	size_t len;
	unsigned seen = 0;
	int rv;

	memset(st, 0, sizeof(*st));
	if (dot_dec_init(&d, p, n, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &count) != DOT_OK)
		return bad(e, "not one canonical CBOR map");
	for (uint64_t i = 0; i < count; i++) {
		if (dot_dec_uint(&d, &key) != DOT_OK)
			return bad(e, "a key that is not an unsigned integer");
		if (key <= prev)
			return bad(e, "keys out of order or repeated");
		prev = key;
		switch (key) {
		case 1:
			rv = dot_dec_uint(&d, &st->index) == DOT_OK ? 0 : -1;
			break;
		case 2:
			rv = dot_dec_uint(&d, &st->time) == DOT_OK ? 0 : -1;
			break;
		case 3:
			rv = dot_dec_bstr_fixed(&d, &b, DOT_CLUSTER_ID_LEN) ==
					     DOT_OK
				     ? 0
				     : -1;
			if (rv == 0)
				memcpy(st->cluster_id, b, DOT_CLUSTER_ID_LEN);
			break;
		case 4:
			rv = dot_dec_bstr_fixed(&d, &b, DOT_HASH_LEN) == DOT_OK
				     ? 0
				     : -1;
			if (rv == 0)
				memcpy(st->state_hash, b, DOT_HASH_LEN);
			break;
		case 5:
			rv = text(&d, st->admin, sizeof(st->admin));
			break;
		case 6:
			rv = text(&d, st->version, sizeof(st->version));
			break;
		case 7:
			rv = consensus(&d, st);
			break;
		case 8:
			rv = voters(&d, st);
			break;
		case 9:
			rv = text(&d, st->policy, sizeof(st->policy));
			break;
		default: /* a later field: skip it */
			if (dot_dec_item(&d, &b, &len) != DOT_OK)
				return bad(e, "a later field that is not one "
					      "item");
			continue;
		}
		if (rv != 0)
			return bad(e, names[key]);
		seen |= 1u << key;
	}
	if ((seen & 0x3e) != 0x3e) /* 1 to 5 */
		return bad(e, "a required field (1 to 5) is missing");
	return DOT_OK;
}
