/*
 * invite.c - the invitation's text form (cli/invite.h): encoded by dot node
 * invite, decoded by dot node join and by tests/fuzz/fuzz_invite.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/codec.h"
#include "dot.h"
#include "invite.h"

void
invite_free(struct invite *inv)
{
	if (inv->seed != NULL)
		sodium_free(inv->seed); /* zeroes it */
	inv->seed = NULL;
	free(inv->members);
	inv->members = NULL;
	inv->nmembers = 0;
}

/* A contact address: "unix:/path", or host:port as the state checks. */
int
invite_contact_ok(const char *a, size_t n)
{
	if (n > 6 && memcmp(a, "unix:/", 6) == 0)
		return memchr(a, '\0', n) == NULL;
	return dot_state_addr_check(a, n, NULL) == DOT_OK;
}

int
invite_encode(const struct invite *inv, struct dot_buf *out)
{
	struct dot_buf b = {0};
	int rv;

	/* One allocation, never grown: the seed is in no freed block. */
	if ((rv = dot_buf_reserve(&b, INVITE_MAX)) != DOT_OK)
		return rv;
	dot_enc_map(&b, 5 + (inv->members != NULL) +
			    (inv->policy != DOT_POLICY_CLASSIC));
	dot_enc_uint(&b, 1);
	dot_enc_bstr(&b, inv->cid, DOT_CLUSTER_ID_LEN);
	dot_enc_uint(&b, 2);
	dot_enc_bstr(&b, inv->seed, DOT_SEED_LEN);
	dot_enc_uint(&b, 3);
	dot_enc_tstr(&b, inv->addr, strlen(inv->addr));
	dot_enc_uint(&b, 4);
	dot_enc_bstr(&b, inv->node_pk, inv->node_pklen);
	dot_enc_uint(&b, 5);
	dot_enc_uint(&b, inv->role);
	if (inv->members != NULL) {
		dot_enc_uint(&b, 6);
		dot_enc_array(&b, inv->nmembers);
		for (size_t i = 0; i < inv->nmembers; i++) {
			const struct member *m = &inv->members[i];

			dot_enc_array(&b, 2);
			dot_enc_bstr(&b, m->key, m->keylen);
			dot_enc_tstr(&b, m->raft_addr, strlen(m->raft_addr));
		}
	}
	if (inv->policy != DOT_POLICY_CLASSIC) {
		const char *pn = dot_policy_name(inv->policy);

		dot_enc_uint(&b, 7);
		dot_enc_tstr(&b, pn, strlen(pn));
	}
	rv = b.err;
	if (rv == DOT_OK && b.len > INVITE_MAX)
		rv = DOT_ETOOBIG;
	if (rv == DOT_OK &&
	    (rv = dot_buf_reserve(out, 2 * INVITE_MAX)) == DOT_OK)
		rv = cli_text_encode(INVITE_PREFIX, b.data, b.len, out);
	sodium_memzero(b.data, b.cap);
	dot_buf_free(&b);
	return rv;
}

/* Key 6 of an invitation: the active nodes. 0, or -1 with *rv (DOT_EINVAL:
 * malformed, else an error set in e). */
static int
invite_decode_members(struct dot_dec *d, struct invite *inv,
		      struct dot_err *e, int *rv)
{
	const uint8_t *p;
	const char *a;
	size_t n, an;
	uint64_t nm, two;

	*rv = DOT_EINVAL;
	if (dot_dec_array(d, &nm) != DOT_OK || nm > INVITE_MEMBERS)
		return -1;
	inv->members = calloc(nm ? nm : 1, sizeof(*inv->members));
	if (inv->members == NULL) {
		*rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		return -1;
	}
	for (uint64_t i = 0; i < nm; i++) {
		struct member *m = &inv->members[i];

		if (dot_dec_array(d, &two) != DOT_OK || two != 2 ||
		    dot_dec_bstr(d, &p, &n) != DOT_OK ||
		    !dot_state_node_key_valid(p, n) ||
		    dot_dec_tstr(d, &a, &an) != DOT_OK ||
		    dot_state_addr_check(a, an, NULL) != DOT_OK)
			return -1;
		memcpy(m->key, p, n);
		m->keylen = n;
		memcpy(m->raft_addr, a, an);
		m->raft_addr[an] = '\0';
		inv->nmembers++;
	}
	return 0;
}

int
invite_decode(const char *text, struct invite *inv, struct dot_err *e)
{
	struct dot_buf b = {0};
	struct dot_dec d;
	const uint8_t *p;
	const char *a;
	size_t n, an;
	uint64_t cnt, k;
	int rv;

	memset(inv, 0, sizeof(*inv));
	if ((inv->seed = sodium_malloc(DOT_SEED_LEN)) == NULL)
		return dot_err_set(e, DOT_ENOMEM, "out of memory");
	if ((rv = dot_buf_reserve(&b, INVITE_MAX)) != DOT_OK)
		return dot_err_set(e, rv, "out of memory");
	if ((rv = cli_text_decode(INVITE_PREFIX, text, INVITE_MAX, &b, e)) !=
	    DOT_OK) {
		char ctx[sizeof(e->msg)];
		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		rv = dot_err_set(e, rv, "--invite: %s", ctx);
		goto out;
	}
	rv = DOT_EINVAL;
	if (dot_dec_init(&d, b.data, b.len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &cnt) != DOT_OK || cnt < 4 || cnt > 7 ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 1 ||
	    dot_dec_bstr_fixed(&d, &p, DOT_CLUSTER_ID_LEN) != DOT_OK)
		goto bad;
	memcpy(inv->cid, p, DOT_CLUSTER_ID_LEN);
	if (dot_dec_uint(&d, &k) != DOT_OK || k != 2 ||
	    dot_dec_bstr_fixed(&d, &p, DOT_SEED_LEN) != DOT_OK)
		goto bad;
	memcpy(inv->seed, p, DOT_SEED_LEN);
	if (dot_dec_uint(&d, &k) != DOT_OK || k != 3 ||
	    dot_dec_tstr(&d, &a, &an) != DOT_OK || an == 0 ||
	    an > INVITE_ADDR_MAX || !invite_contact_ok(a, an))
		goto bad;
	memcpy(inv->addr, a, an);
	inv->addr[an] = '\0';
	if (dot_dec_uint(&d, &k) != DOT_OK || k != 4 ||
	    dot_dec_bstr(&d, &p, &n) != DOT_OK ||
	    !dot_state_node_key_valid(p, n))
		goto bad;
	memcpy(inv->node_pk, p, n);
	inv->node_pklen = n;
	inv->policy = DOT_POLICY_CLASSIC;
	/* the optional keys 5, 6 and 7, each at most once, in order */
	k = 4;
	for (uint64_t i = 4, key; i < cnt; i++) {
		if (dot_dec_uint(&d, &key) != DOT_OK || key <= k || key > 7)
			goto bad;
		k = key;
		if (key == 5 && (dot_dec_uint(&d, &inv->role) != DOT_OK ||
				 inv->role < DOT_NODE_VOTER ||
				 inv->role > DOT_NODE_OBSERVER))
			goto bad;
		if (key == 6 && invite_decode_members(&d, inv, e, &rv) != 0)
			goto members_failed;
		if (key == 7) {
			char pn[40];

			if (dot_dec_tstr(&d, &a, &an) != DOT_OK ||
			    an >= sizeof(pn) || memchr(a, '\0', an) != NULL)
				goto bad;
			memcpy(pn, a, an);
			pn[an] = '\0';
			if (dot_policy_parse(pn, &inv->policy) != DOT_OK)
				goto bad;
		}
	}
	if (!dot_dec_done(&d))
		goto bad;
	rv = DOT_OK;
	goto out;
members_failed:
	if (rv != DOT_EINVAL)
		goto out;
bad:
	rv = dot_err_set(e, DOT_EINVAL,
			 "--invite: the invitation's content is malformed "
			 "({1: cluster id, 2: seed, 3: address, 4: node key, "
			 "?5: role, ?6: nodes, ?7: policy} was expected); was "
			 "it made by dot node invite?");
out:
	sodium_memzero(b.data, b.cap);
	dot_buf_free(&b);
	return rv;
}
