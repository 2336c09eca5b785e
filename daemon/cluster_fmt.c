/*
 * cluster_fmt.c - parsers of the cluster's byte formats (cluster_fmt.h).
 */
#include <string.h>

#include "cluster_fmt.h"
#include "doteros/codec.h"

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int
dotd_cmd_parse(const uint8_t *p, size_t len, struct dotd_cmd *c)
{
	memset(c, 0, sizeof(*c));
	if (p == NULL || len < DOTD_CMD_HDR)
		return DOT_EINVAL;
	c->version = p[0];
	c->time = get_be64(p + 1);
	c->origin = get_be64(p + 9);
	c->seq = get_be64(p + 17);
	c->body = p + DOTD_CMD_HDR;
	c->body_len = len - DOTD_CMD_HDR;
	return DOT_OK;
}

void
dotd_cmd_header(uint8_t out[DOTD_CMD_HDR], uint8_t version, uint64_t time,
		uint64_t origin, uint64_t seq)
{
	out[0] = version;
	put_be64(out + 1, time);
	put_be64(out + 9, origin);
	put_be64(out + 17, seq);
}

int
dotd_cosign_parse(const uint8_t *p, size_t len,
		  int (*cb)(void *ctx, const struct dot_state_cosig *c),
		  void *ctx, struct dot_err *e)
{
	struct dot_dec d;
	uint64_t cnt;
	int rv = dot_dec_init(&d, p, len, NULL, e);

	if (rv != DOT_OK)
		return rv;
	if (dot_dec_array(&d, &cnt) != DOT_OK || cnt > DOTD_COSIGN_MAX)
		return dot_err_set(e, DOT_EINVAL,
				   "a cosign command is an array of at most "
				   "%d items",
				   DOTD_COSIGN_MAX);
	for (uint64_t i = 0; i < cnt; i++) {
		struct dot_state_cosig c;
		uint64_t four;
		const uint8_t *root;
		size_t rl;

		if (dot_dec_array(&d, &four) != DOT_OK || four != 4 ||
		    dot_dec_uint(&d, &c.size) != DOT_OK ||
		    dot_dec_bstr(&d, &root, &rl) != DOT_OK ||
		    rl != DOT_AUDIT_HASH_LEN ||
		    dot_dec_tstr(&d, &c.name, &c.name_len) != DOT_OK ||
		    dot_dec_tstr(&d, &c.line, &c.line_len) != DOT_OK ||
		    c.name_len == 0 || c.name_len > DOTD_COSIGN_NAME ||
		    c.line_len == 0 || c.line_len > DOTD_COSIGN_LINE)
			return dot_err_set(e, DOT_EINVAL,
					   "cosign item %llu: want [size, root "
					   "(32 bytes), key name (1..%d), "
					   "line (1..%d)]",
					   (unsigned long long)i,
					   DOTD_COSIGN_NAME, DOTD_COSIGN_LINE);
		memcpy(c.root, root, DOT_AUDIT_HASH_LEN);
		if ((rv = cb(ctx, &c)) != DOT_OK)
			return rv;
	}
	if (!dot_dec_done(&d))
		return dot_err_set(e, DOT_EINVAL, "bytes after the items");
	return DOT_OK;
}

int
dotd_members_parse(const uint8_t *p, size_t len, uint8_t cluster[16],
		   int (*cb)(void *ctx, const uint8_t *key, size_t keylen,
			     const char *addr, size_t addrlen),
		   void *ctx, struct dot_err *e)
{
	struct dot_dec d;
	uint64_t three, ver, cnt;
	const uint8_t *cid;
	size_t cl;
	int rv;

	rv = dot_dec_init(&d, p, len, NULL, e);
	if (rv != DOT_OK)
		return rv;
	if (dot_dec_array(&d, &three) != DOT_OK || three != 3 ||
	    dot_dec_uint(&d, &ver) != DOT_OK || ver != 1 ||
	    dot_dec_bstr(&d, &cid, &cl) != DOT_OK ||
	    cl != DOT_CLUSTER_ID_LEN || dot_dec_array(&d, &cnt) != DOT_OK ||
	    cnt == 0 || cnt > DOTD_MAX_MEMBERS)
		return dot_err_set(e, DOT_ECODEC_FIELD,
				   "want [1, cluster id, [[key, raft addr], "
				   "...]] with 1 to %d nodes",
				   DOTD_MAX_MEMBERS);
	memcpy(cluster, cid, DOT_CLUSTER_ID_LEN);
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t two;
		const uint8_t *key;
		const char *addr;
		size_t kl, al;

		if (dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
		    dot_dec_bstr(&d, &key, &kl) != DOT_OK || kl == 0 ||
		    kl != dot_sign_pk_len(key[0]) ||
		    dot_dec_tstr(&d, &addr, &al) != DOT_OK ||
		    dot_state_addr_check(addr, al, e) != DOT_OK)
			return dot_err_set(e, DOT_ECODEC_FIELD,
					   "node %llu: want [key (suite and "
					   "that suite's length), raft addr]",
					   (unsigned long long)i);
		rv = cb(ctx, key, kl, addr, al);
		if (rv != DOT_OK)
			return dot_err_set(e, rv, "node %llu: %s",
					   (unsigned long long)i,
					   dot_strerror(rv));
	}
	if (!dot_dec_done(&d))
		return dot_err_set(e, DOT_ECODEC_TRAILING,
				   "bytes after the member list");
	return DOT_OK;
}
