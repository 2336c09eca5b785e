/*
 * test_token.c - capability tokens: formats, every refusal with its own
 * code, tampering, forged widening, revocation order, the cache.
 */
#include <sodium.h>

#include "doteros/codec.h"
#include "doteros/heap.h"
#include "doteros/token.h"
#include "harness.h"
#include "token/token_int.h"

#define T0 1700000000u

struct key {
	struct dot_sign_sk *sk;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
};

static struct key K[6]; /* 0 issuer; 1..5 holders */

static void
keys_init(void)
{
	static int done;

	if (done)
		return;
	if (dot_crypto_init() != DOT_OK)
		abort();
	for (int i = 0; i < 6; i++) {
		uint8_t seed[32];
		memset(seed, 0x40 + i, sizeof(seed));
		if (dot_sign_sk_from_seed(&K[i].sk, DOT_SUITE_ED25519, seed) !=
		    DOT_OK)
			abort();
		K[i].pklen = dot_sign_sk_public(K[i].sk, K[i].pk);
	}
	done = 1;
}

static struct dot_token_caveats
cav_rights(uint32_t r)
{
	struct dot_token_caveats c;

	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_RIGHTS;
	c.rights = r;
	return c;
}

/* Parse or die. */
static struct dot_token *
P(const struct dot_buf *b)
{
	struct dot_token *t = NULL;
	struct dot_err e = {0};

	if (dot_token_parse(b->data, b->len, &t, &e) != DOT_OK) {
		printf("# parse: %s\n", e.msg);
		abort();
	}
	return t;
}

/*
 * The standard chain: K0 mints read|write|list on /data, expiring T0+3600,
 * for K1; K1 narrows to read|list under /data/reports for K2; K2 narrows to
 * read, expiry T0+1800, for K3.
 */
static void
chain3(struct dot_buf *out)
{
	struct dot_token_caveats c = cav_rights(DOT_RIGHT_READ | DOT_RIGHT_WRITE |
						DOT_RIGHT_LIST);
	struct dot_buf b0 = {0}, b1 = {0};
	struct dot_token *t;
	struct dot_err e = {0};

	keys_init();
	c.present |= DOT_CAV_EXPIRES;
	c.expires = T0 + 3600;
	if (dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/data", 5, &c, K[1].pk,
			   K[1].pklen, &b0, &e) != DOT_OK)
		abort();
	t = P(&b0);
	c = cav_rights(DOT_RIGHT_READ | DOT_RIGHT_LIST);
	c.present |= DOT_CAV_PATH;
	c.path = "/data/reports";
	c.path_len = 13;
	if (dot_token_attenuate(t, K[1].sk, &c, K[2].pk, K[2].pklen, &b1, &e) !=
	    DOT_OK)
		abort();
	dot_token_free(t);
	t = P(&b1);
	c = cav_rights(DOT_RIGHT_READ);
	c.present |= DOT_CAV_EXPIRES;
	c.expires = T0 + 1800;
	if (dot_token_attenuate(t, K[2].sk, &c, K[3].pk, K[3].pklen, out, &e) !=
	    DOT_OK)
		abort();
	dot_token_free(t);
	dot_buf_free(&b0);
	dot_buf_free(&b1);
}

static struct dot_token_request
req_at(const char *path, uint32_t rights, uint64_t now)
{
	struct dot_token_request r;

	memset(&r, 0, sizeof(r));
	r.rights = rights;
	r.path = path;
	r.path_len = path ? strlen(path) : 0;
	r.now = now;
	return r;
}

static uint8_t last_holder[DOT_SIGN_PK_MAX];
static size_t last_holder_len;

/* Full verify (chain + holder proof by `holder`) of token bytes. */
static int
verify_bytes(const uint8_t *buf, size_t n, const struct key *issuer,
	     const struct key *holder, const struct dot_token_request *r,
	     struct dot_token_cache *cache, struct dot_token_result *res,
	     struct dot_err *e)
{
	struct dot_token_verifier v = {issuer->pk, issuer->pklen, NULL, NULL,
				       cache, DOT_POLICY_CLASSIC};
	struct dot_token *t = NULL;
	uint8_t sig[DOT_SIGN_SIG_MAX];
	size_t siglen;
	int rv;

	rv = dot_token_parse(buf, n, &t, e);
	if (rv != DOT_OK)
		return rv;
	rv = dot_token_sign_request(t, holder->sk, "req", 3, sig, &siglen);
	if (rv == DOT_OK)
		rv = dot_token_verify(t, &v, r, "req", 3, sig, siglen, res, e);
	/* The result points into the token: keep a copy of the holder. */
	last_holder_len = 0;
	if (rv == DOT_OK) {
		memcpy(last_holder, res->holder, res->holder_len);
		last_holder_len = res->holder_len;
	}
	res->holder = NULL;
	res->eff.path = NULL;
	dot_token_free(t);
	return rv;
}

static void
test_rights_text(void)
{
	uint32_t r = 0;
	char buf[128];
	struct dot_err e = {0};

	REQUIRE_RC(dot_rights_parse("read,write,list", &r, &e), DOT_OK);
	CHECK(r == (DOT_RIGHT_READ | DOT_RIGHT_WRITE | DOT_RIGHT_LIST));
	REQUIRE_RC(dot_rights_format(r, buf, sizeof(buf)), DOT_OK);
	CHECK(strcmp(buf, "read,list,write") == 0);
	REQUIRE_RC(dot_rights_parse("all", &r, &e), DOT_OK);
	CHECK(r == DOT_RIGHTS_ALL);
	CHECK_RC(dot_rights_parse("read,wrote", &r, &e), DOT_EINVAL);
	CHECK(strstr(e.msg, "wrote") != NULL);
	CHECK_RC(dot_rights_parse("read,", &r, &e), DOT_EINVAL);
	CHECK_RC(dot_rights_parse("", &r, &e), DOT_EINVAL);
	CHECK_RC(dot_rights_format(0, buf, sizeof(buf)), DOT_OK);
	CHECK(strcmp(buf, "none") == 0);
	CHECK_RC(dot_rights_format(DOT_RIGHTS_ALL, buf, 8), DOT_ETOOBIG);
	CHECK(strcmp(dot_right_name(DOT_RIGHT_ADMIN), "admin") == 0);
	CHECK(dot_right_name(3) == NULL);
}

static void
test_paths(void)
{
	static const char *good[] = {"/", "/a", "/a/b", "/a.b/c-d", "/..a"};
	static const char *bad[] = {"", "a", "/a/", "//", "/a//b", "/.",
				    "/a/..", "/a/./b"};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		CHECK(dot_path_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK(!dot_path_valid(bad[i], strlen(bad[i])));
	CHECK(!dot_path_valid("/a\0b", 4));
	CHECK(dot_path_within("/a/b", 4, "/a", 2));
	CHECK(dot_path_within("/a", 2, "/a", 2));
	CHECK(!dot_path_within("/ab", 3, "/a", 2));
	CHECK(!dot_path_within("/a", 2, "/a/b", 4));
	CHECK(dot_path_within("/x", 2, "/", 1));
}

static void
test_mint_parse_roundtrip(void)
{
	struct dot_buf b = {0}, text = {0}, back = {0};
	struct dot_token *t;
	struct dot_err e = {0};
	const char *labels[] = {"zone=b", "gpu"};
	struct dot_token_caveats c = cav_rights(DOT_RIGHT_READ | DOT_RIGHT_SEND);
	size_t hl;

	keys_init();
	c.present |= DOT_CAV_NOT_BEFORE | DOT_CAV_EXPIRES | DOT_CAV_PATH |
		     DOT_CAV_LABELS | DOT_CAV_DEPTH;
	c.not_before = T0;
	c.expires = T0 + 60;
	c.path = "/home/alice/inbox";
	c.path_len = strlen(c.path);
	c.labels[0] = labels[0];
	c.label_len[0] = 6;
	c.labels[1] = labels[1];
	c.label_len[1] = 3;
	c.nlabels = 2;
	c.max_depth = 2;
	REQUIRE_RC(dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/home/alice", 11,
				  &c, K[1].pk, K[1].pklen, &b, &e),
		   DOT_OK);
	REQUIRE_RC(dot_token_parse(b.data, b.len, &t, &e), DOT_OK);
	CHECK(t->nblocks == 1);
	CHECK(t->resource_kind == DOT_RESOURCE_PATH);
	CHECK(t->resource_len == 11 && memcmp(t->resource, "/home/alice", 11) == 0);
	CHECK(t->blocks[0].cav.rights == (DOT_RIGHT_READ | DOT_RIGHT_SEND));
	CHECK(t->blocks[0].cav.not_before == T0);
	CHECK(t->blocks[0].cav.expires == T0 + 60);
	CHECK(t->blocks[0].cav.max_depth == 2);
	/* labels come back sorted */
	CHECK(t->blocks[0].cav.nlabels == 2);
	CHECK(memcmp(t->blocks[0].cav.labels[0], "gpu", 3) == 0);
	CHECK(memcmp(t->blocks[0].cav.labels[1], "zone=b", 6) == 0);
	CHECK(memcmp(dot_token_holder(t, &hl), K[1].pk, K[1].pklen) == 0);
	{
		uint8_t id[DOT_KEY_ID_LEN];
		dot_key_id(K[0].pk, K[0].pklen, id);
		CHECK_MEM(id, t->issuer_id, DOT_KEY_ID_LEN);
	}
	REQUIRE_RC(dot_token_to_text(b.data, b.len, &text), DOT_OK);
	CHECK(memcmp(text.data, "dot1", 4) == 0);
	REQUIRE_RC(dot_token_from_text((const char *)text.data, text.len, &back,
				       &e),
		   DOT_OK);
	CHECK(back.len == b.len && memcmp(back.data, b.data, b.len) == 0);
	/* Text errors are precise. */
	dot_buf_free(&back);
	CHECK_RC(dot_token_from_text("dotpk1AAAA", 10, &back, &e),
		 DOT_ETEXT_PREFIX);
	CHECK_RC(dot_token_from_text("dot1AA=A", 8, &back, &e),
		 DOT_ETEXT_BASE64);
	dot_token_free(t);
	dot_buf_free(&b);
	dot_buf_free(&text);
	dot_buf_free(&back);
}

static void
test_size_three_blocks(void)
{
	/* The benchmark's shape: read|write on /file1 with an expiry; block 1
	 * narrows to read; block 2 sets an earlier expiry. */
	struct dot_token_caveats c = cav_rights(DOT_RIGHT_READ | DOT_RIGHT_WRITE);
	struct dot_buf b0 = {0}, b1 = {0}, b2 = {0};
	struct dot_token *t;
	struct dot_err e = {0};

	keys_init();
	c.present |= DOT_CAV_EXPIRES;
	c.expires = 1900000000;
	REQUIRE_RC(dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/file1", 6, &c,
				  K[1].pk, K[1].pklen, &b0, &e),
		   DOT_OK);
	t = P(&b0);
	c = cav_rights(DOT_RIGHT_READ);
	REQUIRE_RC(dot_token_attenuate(t, K[1].sk, &c, K[2].pk, K[2].pklen, &b1,
				       &e),
		   DOT_OK);
	dot_token_free(t);
	t = P(&b1);
	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_EXPIRES;
	c.expires = 1800000000;
	REQUIRE_RC(dot_token_attenuate(t, K[2].sk, &c, K[3].pk, K[3].pklen, &b2,
				       &e),
		   DOT_OK);
	dot_token_free(t);
	printf("# 3-block token: %zu bytes\n", b2.len);
	CHECK(b2.len <= 350);
	dot_buf_free(&b0);
	dot_buf_free(&b1);
	dot_buf_free(&b2);
}

static void
test_verify_ok_and_result(void)
{
	struct dot_buf b = {0};
	struct dot_token_request r = req_at("/data/reports/q3", DOT_RIGHT_READ,
					    T0);
	struct dot_token_result res;
	struct dot_err e = {0};

	chain3(&b);
	REQUIRE_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res,
				&e),
		   DOT_OK);
	CHECK(res.blocks_verified == 3);
	CHECK(res.eff.rights == DOT_RIGHT_READ);
	CHECK(res.eff.expires == T0 + 1800);
	CHECK(res.eff.path_len == 13);
	CHECK(last_holder_len == K[3].pklen &&
	      memcmp(last_holder, K[3].pk, K[3].pklen) == 0);
	/* The exact prefix is inside too. */
	r = req_at("/data/reports", DOT_RIGHT_READ, T0);
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_OK);
	dot_buf_free(&b);
}

static void
test_refusals_each_code(void)
{
	struct dot_buf b = {0};
	struct dot_token_result res;
	struct dot_err e = {0};
	struct dot_token_request r;
	const char *node[] = {"gpu"};

	chain3(&b);
	/* expired: exactly at expiry, and after */
	r = req_at("/data/reports/x", DOT_RIGHT_READ, T0 + 1800);
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_ETOKEN_EXPIRED);
	CHECK(res.failed_block == 2);
	r.now = T0 + 1799;
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_OK);
	/* rights */
	r = req_at("/data/reports/x", DOT_RIGHT_LIST, T0);
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_ETOKEN_RIGHTS);
	CHECK(res.failed_block == 2);
	/* path caveat and resource */
	r = req_at("/data/secrets", DOT_RIGHT_READ, T0);
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_ETOKEN_PATH);
	CHECK(res.failed_block == 1);
	r = req_at("/data/reportsX", DOT_RIGHT_READ, T0);
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_ETOKEN_PATH);
	r = req_at("/etc", DOT_RIGHT_READ, T0);
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_ETOKEN_RESOURCE);
	r = req_at(NULL, DOT_RIGHT_READ, T0);
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL, &res, &e),
		 DOT_ETOKEN_RESOURCE);
	/* wrong holder: every other key, including earlier holders */
	r = req_at("/data/reports/x", DOT_RIGHT_READ, T0);
	for (int k = 0; k < 6; k++) {
		if (k == 3)
			continue;
		CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[k], &r, NULL,
				      &res, &e),
			 DOT_ETOKEN_WRONG_HOLDER);
	}
	/* wrong issuer key */
	CHECK_RC(verify_bytes(b.data, b.len, &K[1], &K[3], &r, NULL, &res, &e),
		 DOT_ETOKEN_ISSUER);
	(void)node;
	dot_buf_free(&b);
}

static void
test_not_before_and_labels(void)
{
	struct dot_token_caveats c = cav_rights(DOT_RIGHT_EXEC);
	struct dot_buf b = {0};
	struct dot_token_result res;
	struct dot_err e = {0};
	struct dot_token_request r;
	const char *both[] = {"zone=a", "gpu"}, *one[] = {"zone=a"};

	keys_init();
	c.present |= DOT_CAV_NOT_BEFORE | DOT_CAV_LABELS;
	c.not_before = T0 + 100;
	c.labels[0] = "gpu";
	c.label_len[0] = 3;
	c.labels[1] = "zone=a";
	c.label_len[1] = 6;
	c.nlabels = 2;
	REQUIRE_RC(dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/jobs", 5, &c,
				  K[1].pk, K[1].pklen, &b, &e),
		   DOT_OK);
	r = req_at("/jobs/train", DOT_RIGHT_EXEC, T0 + 99);
	r.node_labels = both;
	r.n_node_labels = 2;
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[1], &r, NULL, &res, &e),
		 DOT_ETOKEN_NOT_YET_VALID);
	r.now = T0 + 100;
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[1], &r, NULL, &res, &e),
		 DOT_OK);
	r.node_labels = one;
	r.n_node_labels = 1;
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[1], &r, NULL, &res, &e),
		 DOT_ETOKEN_NODE);
	CHECK(strstr(e.msg, "gpu") != NULL);
	dot_buf_free(&b);
}

static void
test_object_resource(void)
{
	uint8_t oid[16], other[16];
	struct dot_token_caveats c = cav_rights(DOT_RIGHT_SEND);
	struct dot_buf b = {0};
	struct dot_token_result res;
	struct dot_err e = {0};
	struct dot_token_request r = req_at(NULL, DOT_RIGHT_SEND, T0);

	keys_init();
	memset(oid, 7, sizeof(oid));
	memset(other, 8, sizeof(other));
	REQUIRE_RC(dot_token_mint(K[0].sk, DOT_RESOURCE_OBJECT, oid, 16, &c,
				  K[1].pk, K[1].pklen, &b, &e),
		   DOT_OK);
	r.object_id = oid;
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[1], &r, NULL, &res, &e),
		 DOT_OK);
	r.object_id = other;
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[1], &r, NULL, &res, &e),
		 DOT_ETOKEN_RESOURCE);
	r.object_id = NULL;
	CHECK_RC(verify_bytes(b.data, b.len, &K[0], &K[1], &r, NULL, &res, &e),
		 DOT_ETOKEN_RESOURCE);
	/* A path caveat has no meaning on an object: refused at mint. */
	c.present |= DOT_CAV_PATH;
	c.path = "/x";
	c.path_len = 2;
	dot_buf_free(&b);
	CHECK_RC(dot_token_mint(K[0].sk, DOT_RESOURCE_OBJECT, oid, 16, &c,
				K[1].pk, K[1].pklen, &b, &e),
		 DOT_EINVAL);
	dot_buf_free(&b);
}

/*
 * Forge a block that widens (signed correctly by the holder, skipping the
 * attenuate checks) and check that both attenuate and verify refuse it.
 */
static int
forge_and_verify(const struct dot_token_caveats *c, int *attenuate_rc)
{
	struct dot_buf b = {0}, payload = {0}, forged = {0}, tmp = {0};
	struct dot_token *t;
	struct dot_token_result res;
	struct dot_err e = {0};
	struct dot_token_request r = req_at("/data/reports/x", DOT_RIGHT_READ,
					    T0);
	int rv;

	chain3(&b);
	t = P(&b);
	*attenuate_rc = dot_token_attenuate(t, K[3].sk, c, K[4].pk, K[4].pklen,
					    &tmp, &e);
	dot_token__encode_payload(&payload, NULL, 0, NULL, 0, c, K[4].pk,
				  K[4].pklen);
	if (dot_token__append(t, K[3].sk, payload.data, payload.len, &forged) !=
	    DOT_OK)
		abort();
	rv = verify_bytes(forged.data, forged.len, &K[0], &K[4], &r, NULL, &res,
			  &e);
	if (rv == DOT_ETOKEN_WIDENED && res.failed_block != 3)
		rv = -1;
	dot_token_free(t);
	dot_buf_free(&b);
	dot_buf_free(&payload);
	dot_buf_free(&forged);
	dot_buf_free(&tmp);
	return rv;
}

static void
test_widening_refused(void)
{
	struct dot_token_caveats c;
	int arc;

	/* more rights than block 2 left (read) */
	c = cav_rights(DOT_RIGHT_READ | DOT_RIGHT_WRITE);
	CHECK_RC(forge_and_verify(&c, &arc), DOT_ETOKEN_WIDENED);
	CHECK_RC(arc, DOT_ETOKEN_WIDENED);
	/* later expiry */
	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_EXPIRES;
	c.expires = T0 + 1801;
	CHECK_RC(forge_and_verify(&c, &arc), DOT_ETOKEN_WIDENED);
	CHECK_RC(arc, DOT_ETOKEN_WIDENED);
	/* path outside the current path caveat */
	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_PATH;
	c.path = "/data";
	c.path_len = 5;
	CHECK_RC(forge_and_verify(&c, &arc), DOT_ETOKEN_WIDENED);
	CHECK_RC(arc, DOT_ETOKEN_WIDENED);
	c.path = "/data/reportsX";
	c.path_len = 14;
	CHECK_RC(forge_and_verify(&c, &arc), DOT_ETOKEN_WIDENED);
	CHECK_RC(arc, DOT_ETOKEN_WIDENED);
	/* narrowing forms are accepted by both */
	memset(&c, 0, sizeof(c));
	c.present = DOT_CAV_EXPIRES | DOT_CAV_PATH;
	c.expires = T0 + 10;
	c.path = "/data/reports/x";
	c.path_len = 15;
	CHECK_RC(forge_and_verify(&c, &arc), DOT_OK);
	CHECK_RC(arc, DOT_OK);
}

static void
test_widening_time_labels_depth(void)
{
	struct dot_token_caveats c = cav_rights(DOT_RIGHT_READ), d;
	struct dot_buf b0 = {0}, b1 = {0};
	struct dot_buf payload = {0};
	struct dot_token *t;
	struct dot_token_result res;
	struct dot_err e = {0};
	struct dot_token_request r = req_at("/a", DOT_RIGHT_READ, T0 + 500);
	const char *lab[] = {"gpu", "zone=a"};

	keys_init();
	c.present |= DOT_CAV_NOT_BEFORE | DOT_CAV_LABELS | DOT_CAV_DEPTH;
	c.not_before = T0;
	c.labels[0] = "gpu";
	c.label_len[0] = 3;
	c.labels[1] = "zone=a";
	c.label_len[1] = 6;
	c.nlabels = 2;
	c.max_depth = 1;
	r.node_labels = lab;
	r.n_node_labels = 2;
	REQUIRE_RC(dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/a", 2, &c,
				  K[1].pk, K[1].pklen, &b0, &e),
		   DOT_OK);
	t = P(&b0);

	/* earlier not-before */
	memset(&d, 0, sizeof(d));
	d.present = DOT_CAV_NOT_BEFORE;
	d.not_before = T0 - 1;
	CHECK_RC(dot_token_attenuate(t, K[1].sk, &d, K[2].pk, K[2].pklen, &b1,
				     &e),
		 DOT_ETOKEN_WIDENED);
	dot_token__encode_payload(&payload, NULL, 0, NULL, 0, &d, K[2].pk,
				  K[2].pklen);
	REQUIRE(dot_token__append(t, K[1].sk, payload.data, payload.len, &b1) ==
		DOT_OK);
	CHECK_RC(verify_bytes(b1.data, b1.len, &K[0], &K[2], &r, NULL, &res,
			      &e),
		 DOT_ETOKEN_WIDENED);
	dot_buf_free(&b1);
	dot_buf_free(&payload);

	/* dropping a required label */
	memset(&d, 0, sizeof(d));
	d.present = DOT_CAV_LABELS;
	d.labels[0] = "gpu";
	d.label_len[0] = 3;
	d.nlabels = 1;
	CHECK_RC(dot_token_attenuate(t, K[1].sk, &d, K[2].pk, K[2].pklen, &b1,
				     &e),
		 DOT_ETOKEN_WIDENED);
	dot_token__encode_payload(&payload, NULL, 0, NULL, 0, &d, K[2].pk,
				  K[2].pklen);
	REQUIRE(dot_token__append(t, K[1].sk, payload.data, payload.len, &b1) ==
		DOT_OK);
	CHECK_RC(verify_bytes(b1.data, b1.len, &K[0], &K[2], &r, NULL, &res,
			      &e),
		 DOT_ETOKEN_WIDENED);
	dot_buf_free(&b1);
	dot_buf_free(&payload);

	/* raising the depth */
	memset(&d, 0, sizeof(d));
	d.present = DOT_CAV_DEPTH;
	d.max_depth = 1; /* only 0 remain after block 1 */
	CHECK_RC(dot_token_attenuate(t, K[1].sk, &d, K[2].pk, K[2].pklen, &b1,
				     &e),
		 DOT_ETOKEN_WIDENED);

	/* too deep: block 1 is allowed, block 2 is not */
	memset(&d, 0, sizeof(d));
	REQUIRE_RC(dot_token_attenuate(t, K[1].sk, &d, K[2].pk, K[2].pklen, &b1,
				       &e),
		   DOT_OK);
	CHECK_RC(verify_bytes(b1.data, b1.len, &K[0], &K[2], &r, NULL, &res,
			      &e),
		 DOT_OK);
	dot_token_free(t);
	t = P(&b1);
	{
		struct dot_buf b2 = {0};
		CHECK_RC(dot_token_attenuate(t, K[2].sk, &d, K[3].pk,
					     K[3].pklen, &b2, &e),
			 DOT_ETOKEN_TOO_DEEP);
		dot_token__encode_payload(&payload, NULL, 0, NULL, 0, &d,
					  K[3].pk, K[3].pklen);
		REQUIRE(dot_token__append(t, K[2].sk, payload.data,
					  payload.len, &b2) == DOT_OK);
		CHECK_RC(verify_bytes(b2.data, b2.len, &K[0], &K[3], &r, NULL,
				      &res, &e),
			 DOT_ETOKEN_TOO_DEEP);
		CHECK(res.failed_block == 2);
		dot_buf_free(&b2);
	}
	dot_token_free(t);
	dot_buf_free(&b0);
	dot_buf_free(&b1);
	dot_buf_free(&payload);
}

static void
test_attenuate_wrong_holder_and_limit(void)
{
	struct dot_token_caveats c = cav_rights(DOT_RIGHT_READ), none;
	struct dot_buf b = {0}, n = {0};
	struct dot_token *t;
	struct dot_err e = {0};

	keys_init();
	memset(&none, 0, sizeof(none));
	REQUIRE_RC(dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/", 1, &c,
				  K[1].pk, K[1].pklen, &b, &e),
		   DOT_OK);
	t = P(&b);
	CHECK_RC(dot_token_attenuate(t, K[2].sk, &none, K[3].pk, K[3].pklen, &n,
				     &e),
		 DOT_ETOKEN_WRONG_HOLDER);
	/* Self-delegation to the 16-block limit, then refused. */
	for (int i = 1; i < DOT_TOKEN_MAX_BLOCKS; i++) {
		dot_buf_free(&n);
		REQUIRE_RC(dot_token_attenuate(t, K[1].sk, &none, K[1].pk,
					       K[1].pklen, &n, &e),
			   DOT_OK);
		dot_token_free(t);
		t = P(&n);
	}
	CHECK(t->nblocks == DOT_TOKEN_MAX_BLOCKS);
	dot_buf_free(&n);
	CHECK_RC(dot_token_attenuate(t, K[1].sk, &none, K[1].pk, K[1].pklen, &n,
				     &e),
		 DOT_ETOKEN_TOO_DEEP);
	dot_token_free(t);
	dot_buf_free(&b);
	dot_buf_free(&n);
}

/* Flipping any single byte (any bit pattern) must never verify. */
static void
test_every_byte_flip_refused(void)
{
	struct dot_buf b = {0};
	struct dot_token_request r = req_at("/data/reports/q", DOT_RIGHT_READ,
					    T0);
	struct dot_token_result res;
	struct dot_err e = {0};
	static const uint8_t masks[] = {0x01, 0x80, 0xff};
	size_t accepted = 0;

	chain3(&b);
	for (size_t i = 0; i < b.len; i++)
		for (size_t m = 0; m < sizeof(masks); m++) {
			b.data[i] ^= masks[m];
			if (verify_bytes(b.data, b.len, &K[0], &K[3], &r, NULL,
					 &res, &e) == DOT_OK) {
				printf("# accepted with byte %zu ^ 0x%02x\n", i,
				       masks[m]);
				accepted++;
			}
			b.data[i] ^= masks[m];
		}
	CHECK(accepted == 0);
	/* and a truncation at any length never verifies */
	for (size_t n = 0; n < b.len; n++)
		CHECK(verify_bytes(b.data, n, &K[0], &K[3], &r, NULL, &res,
				   &e) != DOT_OK);
	dot_buf_free(&b);
}

struct revset {
	uint8_t rid[DOT_RID_LEN];
	int calls;
};

static int
revoked_cb(void *ctx, const uint8_t rid[DOT_RID_LEN])
{
	struct revset *s = ctx;

	s->calls++;
	return memcmp(s->rid, rid, DOT_RID_LEN) == 0;
}

static void
test_revocation(void)
{
	struct dot_buf b = {0};
	struct dot_token *t;
	struct dot_token_request r = req_at("/data/reports/q", DOT_RIGHT_READ,
					    T0);
	struct dot_token_result res;
	struct dot_err e = {0};
	struct revset rs;
	struct dot_token_verifier v = {K[0].pk, K[0].pklen, revoked_cb, &rs,
				       NULL, DOT_POLICY_CLASSIC};

	chain3(&b);
	t = P(&b);
	for (size_t i = 0; i < t->nblocks; i++) {
		memcpy(rs.rid, t->blocks[i].rid, DOT_RID_LEN);
		rs.calls = 0;
		CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e),
			 DOT_ETOKEN_REVOKED);
		CHECK(res.failed_block == i);
		CHECK(res.blocks_verified == 0); /* no signature work */
	}
	/* An unrelated rid: accepted; every block was asked about. */
	memset(rs.rid, 0xee, DOT_RID_LEN);
	rs.calls = 0;
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e), DOT_OK);
	CHECK(rs.calls == 3);
	/* A token extended from a revoked block stays revoked. */
	memcpy(rs.rid, t->blocks[1].rid, DOT_RID_LEN);
	{
		struct dot_token_caveats none;
		struct dot_buf n = {0};
		struct dot_token *t2;
		memset(&none, 0, sizeof(none));
		REQUIRE_RC(dot_token_attenuate(t, K[3].sk, &none, K[4].pk,
					       K[4].pklen, &n, &e),
			   DOT_OK);
		t2 = P(&n);
		CHECK_RC(dot_token_verify_chain(t2, &v, &r, &res, &e),
			 DOT_ETOKEN_REVOKED);
		dot_token_free(t2);
		dot_buf_free(&n);
	}
	/* Revocation is checked before signatures: a token with a broken
	 * signature but a revoked block reports revocation. */
	t->blocks[2].hash[0] ^= 1;
	memcpy(rs.rid, t->blocks[0].rid, DOT_RID_LEN);
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e),
		 DOT_ETOKEN_REVOKED);
	memset(rs.rid, 0xee, DOT_RID_LEN);
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e),
		 DOT_ETOKEN_SIGNATURE);
	CHECK(res.failed_block == 2);
	dot_token_free(t);
	dot_buf_free(&b);
}

static void
test_cache_costs_only_new_blocks(void)
{
	struct dot_buf b = {0}, ext = {0};
	struct dot_token *t, *t2;
	struct dot_token_cache *cache;
	struct dot_token_request r = req_at("/data/reports/q", DOT_RIGHT_READ,
					    T0);
	struct dot_token_result res;
	struct dot_token_cache_stats st;
	struct dot_err e = {0};
	struct dot_token_verifier v = {K[0].pk, K[0].pklen, NULL, NULL, NULL,
				       DOT_POLICY_CLASSIC};
	struct dot_token_caveats none;

	chain3(&b);
	REQUIRE_RC(dot_token_cache_new(&cache, 64), DOT_OK);
	v.cache = cache;
	t = P(&b);
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e), DOT_OK);
	CHECK(res.blocks_verified == 3);
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e), DOT_OK);
	CHECK(res.blocks_verified == 0);
	/* Extended by one block: one signature. */
	memset(&none, 0, sizeof(none));
	REQUIRE_RC(dot_token_attenuate(t, K[3].sk, &none, K[4].pk, K[4].pklen,
				       &ext, &e),
		   DOT_OK);
	t2 = P(&ext);
	CHECK_RC(dot_token_verify_chain(t2, &v, &r, &res, &e), DOT_OK);
	CHECK(res.blocks_verified == 1);
	/* Caveats are still checked on a cached chain. */
	r.now = T0 + 1800;
	CHECK_RC(dot_token_verify_chain(t2, &v, &r, &res, &e),
		 DOT_ETOKEN_EXPIRED);
	r.now = T0;
	/* A cached prefix with a bad new block: the new block is checked. */
	ext.data[ext.len - 1] ^= 0x10; /* last byte of block 3's signature */
	dot_token_free(t2);
	t2 = P(&ext);
	CHECK_RC(dot_token_verify_chain(t2, &v, &r, &res, &e),
		 DOT_ETOKEN_SIGNATURE);
	CHECK(res.failed_block == 3);
	CHECK(res.blocks_verified == 1);
	/* Another issuer key never hits this issuer's entries. */
	v.issuer_pk = K[1].pk;
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e),
		 DOT_ETOKEN_ISSUER);
	/* and back: this issuer's entries are found again (the cache binds
	 * a key by its digest, remembered for the last key asked for) */
	v.issuer_pk = K[0].pk;
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e), DOT_OK);
	CHECK(res.blocks_verified == 0);
	v.issuer_pk = K[1].pk;
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e),
		 DOT_ETOKEN_ISSUER);
	dot_token_cache_stats(cache, &st);
	CHECK(st.hits >= 3);
	CHECK(st.sig_checks == 5);
	dot_token_cache_clear(cache);
	v.issuer_pk = K[0].pk;
	CHECK_RC(dot_token_verify_chain(t, &v, &r, &res, &e), DOT_OK);
	CHECK(res.blocks_verified == 3);
	dot_token_free(t);
	dot_token_free(t2);
	dot_token_cache_free(cache);
	dot_buf_free(&b);
	dot_buf_free(&ext);
	CHECK_RC(dot_token_cache_new(&cache, 0), DOT_ERANGE);
}

/*
 * Property: over random chains (narrowing or widening blocks, right or wrong
 * signers, tampered bytes, random requests), a verify with a shared warm
 * cache returns exactly what a cold verify returns.
 */
static void
test_cache_equals_cold_property(void)
{
	struct dot_token_cache *cache;
	uint64_t seed = 0x5eed;
	int disagreements = 0, accepted = 0, refused = 0;

	keys_init();
	REQUIRE_RC(dot_token_cache_new(&cache, 16), DOT_OK); /* small: evicts */
	for (int iter = 0; iter < 300; iter++) {
		struct dot_buf cur = {0};
		struct dot_token *t = NULL;
		struct dot_token_caveats c = cav_rights(
			(uint32_t)(t_rand(&seed) & DOT_RIGHTS_ALL) | 1);
		struct dot_err e = {0};
		int nb = 1 + (int)(t_rand(&seed) % 4), holder = 1;
		static const char *paths[] = {"/p", "/p/a", "/p/a/b", "/p/b",
					      "/q"};

		c.present |= DOT_CAV_EXPIRES;
		c.expires = T0 + 1000 + t_rand(&seed) % 1000;
		if (dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/p", 2, &c,
				   K[1].pk, K[1].pklen, &cur, &e) != DOT_OK)
			abort();
		for (int i = 1; i < nb; i++) {
			struct dot_buf next = {0}, payload = {0};
			struct dot_token_caveats d;
			int nh = 1 + (int)(t_rand(&seed) % 5);
			int signer = (t_rand(&seed) % 8 == 0)
					     ? 1 + (int)(t_rand(&seed) % 5)
					     : holder;

			memset(&d, 0, sizeof(d));
			if (t_rand(&seed) % 2) {
				d.present |= DOT_CAV_RIGHTS;
				d.rights = (uint32_t)(t_rand(&seed) &
						      DOT_RIGHTS_ALL);
			}
			if (t_rand(&seed) % 2) {
				d.present |= DOT_CAV_EXPIRES;
				d.expires = T0 + 500 + t_rand(&seed) % 2000;
			}
			if (t_rand(&seed) % 3 == 0) {
				d.present |= DOT_CAV_PATH;
				d.path = paths[t_rand(&seed) % 5];
				d.path_len = strlen(d.path);
			}
			t = P(&cur);
			dot_token__encode_payload(&payload, NULL, 0, NULL, 0,
						  &d, K[nh].pk, K[nh].pklen);
			if (dot_token__append(t, K[signer].sk, payload.data,
					      payload.len, &next) != DOT_OK)
				abort();
			dot_token_free(t);
			dot_buf_free(&payload);
			dot_buf_free(&cur);
			cur = next;
			holder = nh;
		}
		if (t_rand(&seed) % 6 == 0)
			cur.data[t_rand(&seed) % cur.len] ^=
				(uint8_t)(1u << (t_rand(&seed) % 8));
		for (int q = 0; q < 3; q++) {
			struct dot_token_request r = req_at(
				paths[t_rand(&seed) % 5],
				(uint32_t)(1u << (t_rand(&seed) % 12)),
				T0 + t_rand(&seed) % 2500);
			struct dot_token_result res;
			int cold, warm, warm2;

			cold = verify_bytes(cur.data, cur.len, &K[0], &K[holder],
					    &r, NULL, &res, &e);
			warm = verify_bytes(cur.data, cur.len, &K[0], &K[holder],
					    &r, cache, &res, &e);
			warm2 = verify_bytes(cur.data, cur.len, &K[0],
					     &K[holder], &r, cache, &res, &e);
			if (cold != warm || cold != warm2) {
				printf("# iter %d: cold %s, warm %s, %s\n", iter,
				       dot_errname(cold), dot_errname(warm),
				       dot_errname(warm2));
				disagreements++;
			}
			if (cold == DOT_OK)
				accepted++;
			else
				refused++;
		}
		dot_buf_free(&cur);
	}
	printf("# %d accepted, %d refused\n", accepted, refused);
	CHECK(disagreements == 0);
	CHECK(accepted > 20 && refused > 20); /* both paths exercised */
	dot_token_cache_free(cache);
}

static void
test_parse_strictness(void)
{
	struct dot_buf b = {0}, x = {0};
	struct dot_token *t = NULL;
	struct dot_err e = {0};
	uint8_t v2[512];

	chain3(&b);
	/* trailing byte */
	dot_buf_put(&x, b.data, b.len);
	dot_buf_put(&x, "", 1);
	CHECK_RC(dot_token_parse(x.data, x.len, &t, &e), DOT_ECODEC_TRAILING);
	/* version 2 */
	REQUIRE(b.len < sizeof(v2));
	memcpy(v2, b.data, b.len);
	REQUIRE(v2[1] == 0x01);
	v2[1] = 0x02;
	CHECK_RC(dot_token_parse(v2, b.len, &t, &e), DOT_ETOKEN_VERSION);
	/* not an array; even item count; empty */
	CHECK_RC(dot_token_parse((const uint8_t *)"\x01", 1, &t, &e),
		 DOT_ETOKEN_FORMAT);
	CHECK_RC(dot_token_parse((const uint8_t *)"\x82\x01\xa0", 3, &t, &e),
		 DOT_ETOKEN_FORMAT);
	CHECK_RC(dot_token_parse((const uint8_t *)"", 0, &t, &e),
		 DOT_ECODEC_TRUNCATED);
	/* an unknown field in a block */
	{
		struct dot_buf p = {0}, out = {0};
		struct dot_token_caveats c = cav_rights(DOT_RIGHT_READ);
		struct dot_token *base = P(&b);
		dot_token__encode_payload(&p, NULL, 0, NULL, 0, &c, K[4].pk,
					  K[4].pklen);
		/* map(2) -> map(3) with key 10 appended after the holder */
		p.data[0] = 0xa3;
		dot_enc_uint(&p, 10);
		dot_enc_uint(&p, 0);
		REQUIRE(dot_token__append(base, K[3].sk, p.data, p.len, &out) ==
			DOT_OK);
		CHECK_RC(dot_token_parse(out.data, out.len, &t, &e),
			 DOT_ETOKEN_FORMAT);
		CHECK(strstr(e.msg, "unknown field 10") != NULL);
		dot_token_free(base);
		dot_buf_free(&p);
		dot_buf_free(&out);
	}
	CHECK(t == NULL);
	dot_buf_free(&b);
	dot_buf_free(&x);
}

/* Fail the Nth allocation of parse and mint for every N. */
static size_t fail_at, alloc_count;

static void *
fail_malloc(void *d, size_t n)
{
	(void)d;
	if (++alloc_count == fail_at)
		return NULL;
	return malloc(n);
}

static void *
fail_realloc(void *d, void *p, size_t n)
{
	(void)d;
	if (++alloc_count == fail_at)
		return NULL;
	return realloc(p, n);
}

static void
fail_free(void *d, void *p)
{
	(void)d;
	free(p);
}

static void
test_alloc_failures(void)
{
	static const struct dot_heap h = {NULL, fail_malloc, fail_realloc,
					  fail_free};
	struct dot_buf b = {0};
	int ok = 0;

	chain3(&b);
	dot_heap_set(&h);
	for (fail_at = 1; fail_at < 64 && !ok; fail_at++) {
		struct dot_token *t = NULL;
		struct dot_buf m = {0};
		struct dot_err e = {0};
		struct dot_token_caveats c = cav_rights(DOT_RIGHT_READ);
		int rv1, rv2;

		alloc_count = 0;
		rv1 = dot_token_parse(b.data, b.len, &t, &e);
		CHECK(rv1 == DOT_OK || rv1 == DOT_ENOMEM);
		CHECK((rv1 == DOT_OK) == (t != NULL));
		dot_token_free(t);
		alloc_count = 0;
		rv2 = dot_token_mint(K[0].sk, DOT_RESOURCE_PATH, "/x", 2, &c,
				     K[1].pk, K[1].pklen, &m, &e);
		CHECK(rv2 == DOT_OK || rv2 == DOT_ENOMEM);
		dot_buf_free(&m);
		ok = rv1 == DOT_OK && rv2 == DOT_OK;
	}
	dot_heap_set(NULL);
	CHECK(ok);
	dot_buf_free(&b);
}

T_MAIN(T_CASE(test_rights_text), T_CASE(test_paths),
       T_CASE(test_mint_parse_roundtrip), T_CASE(test_size_three_blocks),
       T_CASE(test_verify_ok_and_result), T_CASE(test_refusals_each_code),
       T_CASE(test_not_before_and_labels), T_CASE(test_object_resource),
       T_CASE(test_widening_refused), T_CASE(test_widening_time_labels_depth),
       T_CASE(test_attenuate_wrong_holder_and_limit),
       T_CASE(test_every_byte_flip_refused), T_CASE(test_revocation),
       T_CASE(test_cache_costs_only_new_blocks),
       T_CASE(test_cache_equals_cold_property), T_CASE(test_parse_strictness),
       T_CASE(test_alloc_failures))
