/*
 * token.h - capability tokens (docs/token-format.md).
 *
 * A token is a chain of signed blocks. Block 0 names the issuer (by key id),
 * the resource (a path prefix or an object id), the rights, caveats and the
 * holder key, and is signed by the issuer. Each later block may only narrow
 * rights and caveats; it names the next holder and is signed by the previous
 * holder's key, so delegation works offline. Each block has a revocation id
 * (rid), a hash over the chain up to and including its signature. The final
 * holder proves possession by signing the request.
 *
 * Binary form: canonical CBOR, [1, payload0, sig0, payload1, sig1, ...].
 * Text form: "dot1" + base64url(binary).
 */
#ifndef DOTEROS_TOKEN_H
#define DOTEROS_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"

/* Rights: a bit set; a chain's rights are what every block allows. */
enum dot_right {
	DOT_RIGHT_READ = 1u << 0,
	DOT_RIGHT_LIST = 1u << 1,
	DOT_RIGHT_CREATE = 1u << 2,
	DOT_RIGHT_WRITE = 1u << 3,
	DOT_RIGHT_APPEND = 1u << 4,
	DOT_RIGHT_DELETE = 1u << 5,
	DOT_RIGHT_SEND = 1u << 6,
	DOT_RIGHT_RECEIVE = 1u << 7,
	DOT_RIGHT_EXEC = 1u << 8,
	DOT_RIGHT_GRANT = 1u << 9,
	DOT_RIGHT_REVOKE = 1u << 10,
	DOT_RIGHT_ADMIN = 1u << 11,
};
#define DOT_RIGHTS_ALL 0xfffu

/* Parse "read,write,list" (or "all"); DOT_EINVAL names the bad word in e. */
DOT_API DOT_MUST int dot_rights_parse(const char *text, uint32_t *rights,
				      struct dot_err *e);
/* "read,write"; "none" for 0. Returns DOT_ETOOBIG if cap is too small. */
DOT_API DOT_MUST int dot_rights_format(uint32_t rights, char *out, size_t cap);
/* Name of one right bit ("read"), or NULL. */
DOT_API const char *dot_right_name(uint32_t bit);

#define DOT_TOKEN_VERSION 1
#define DOT_TOKEN_MAX_BLOCKS 16
#define DOT_TOKEN_MAX_LEN 131072   /* room for 16 hybrid-signed blocks */
#define DOT_TOKEN_MAX_LABELS 16
#define DOT_TOKEN_MAX_LABEL_LEN 63
#define DOT_TOKEN_MAX_PATH 1024
#define DOT_OBJECT_ID_LEN 16
#define DOT_RID_LEN 32

enum dot_resource_kind {
	DOT_RESOURCE_PATH = 1,   /* a path prefix, e.g. "/home/alice" */
	DOT_RESOURCE_OBJECT = 2, /* one object, by its 16-byte id */
};

/* Which optional fields a block carries (struct dot_token_caveats.present). */
enum dot_caveat_bit {
	DOT_CAV_RIGHTS = 1u << 0,
	DOT_CAV_NOT_BEFORE = 1u << 1,
	DOT_CAV_EXPIRES = 1u << 2,
	DOT_CAV_PATH = 1u << 3,
	DOT_CAV_LABELS = 1u << 4,
	DOT_CAV_DEPTH = 1u << 5,
};

/*
 * What one block says. In block 0, rights are required and the rest
 * optional; in a later block every field is optional and narrows: rights a
 * subset, not_before no earlier, expires no later, path inside the current
 * one, labels a superset, max_depth smaller than what remains.
 *
 * Times are Unix seconds; the token is valid for not_before <= now <
 * expires. max_depth is how many blocks may still follow this one. Labels
 * are node labels the serving node must all carry. Strings point into the
 * token (parsed) or into the caller's memory (minting); they are not
 * NUL-terminated.
 */
struct dot_token_caveats {
	uint32_t present;
	uint32_t rights;
	uint64_t not_before;
	uint64_t expires;
	const char *path;
	size_t path_len;
	const char *labels[DOT_TOKEN_MAX_LABELS];
	size_t label_len[DOT_TOKEN_MAX_LABELS];
	size_t nlabels;
	uint32_t max_depth;
};

struct dot_token_block {
	const uint8_t *payload; /* the signed CBOR map, inside the token */
	size_t payload_len;
	const uint8_t *sig; /* suite || signature */
	size_t sig_len;
	const uint8_t *holder; /* suite || public key of the next holder */
	size_t holder_len;
	struct dot_token_caveats cav;
	uint8_t hash[DOT_HASH_LEN]; /* the digest the block's signature covers */
	uint8_t rid[DOT_RID_LEN];
};

/* A parsed token; it owns a copy of the bytes its fields point into. */
struct dot_token {
	uint8_t *bytes;
	size_t len;
	uint8_t issuer_id[DOT_KEY_ID_LEN];
	int resource_kind;
	const uint8_t *resource; /* path text or object id, in bytes */
	size_t resource_len;
	size_t nblocks;
	struct dot_token_block blocks[DOT_TOKEN_MAX_BLOCKS];
	/* References beyond the first (dot_token_hold); each
	 * dot_token_free drops one. Not to be set by hand. */
	unsigned long refs;
};

/*
 * Parse strictly: canonical encoding, version, field types, lengths, path
 * syntax, sorted unique labels, no unknown fields, at most 16 blocks. Also
 * computes every block's revocation id. No signature is checked here.
 * Errors: DOT_ETOKEN_FORMAT / DOT_ETOKEN_VERSION / DOT_ECODEC_*.
 */
DOT_API DOT_MUST int dot_token_parse(const uint8_t *buf, size_t n,
				     struct dot_token **tok, struct dot_err *e);
DOT_API void dot_token_free(struct dot_token *tok); /* NULL ok */

/*
 * Share a parsed token: one more reference, which dot_token_free drops
 * (the last one frees it). A parsed token is never changed, so holders may
 * be on different threads; the count is atomic. Returns tok.
 */
DOT_API struct dot_token *dot_token_hold(struct dot_token *tok);

/* Text form "dot1..." <-> bytes (appended to out). Whitespace at the ends of
 * the text is ignored. */
DOT_API DOT_MUST int dot_token_to_text(const uint8_t *buf, size_t n,
				       struct dot_buf *out);
DOT_API DOT_MUST int dot_token_from_text(const char *text, size_t n,
					 struct dot_buf *out,
					 struct dot_err *e);

/* The current holder: the holder key named by the last block. */
DOT_API const uint8_t *dot_token_holder(const struct dot_token *tok,
					size_t *len);

/*
 * Mint block 0, signed by the issuer. The holder may be the issuer's own key.
 * The caveats must have DOT_CAV_RIGHTS. Appends the token bytes to out.
 */
DOT_API DOT_MUST int dot_token_mint(const struct dot_sign_sk *issuer,
				    int resource_kind, const void *resource,
				    size_t resource_len,
				    const struct dot_token_caveats *cav,
				    const uint8_t *holder, size_t holder_len,
				    struct dot_buf *out, struct dot_err *e);

/*
 * Append a block, signed by the current holder's key, that narrows the
 * caveats and names the next holder. Refuses with DOT_ETOKEN_WRONG_HOLDER
 * when `holder` is not the current holder, DOT_ETOKEN_WIDENED when a field
 * would widen, DOT_ETOKEN_TOO_DEEP past a depth limit or 16 blocks.
 * Appends the new token bytes to out. Offline: needs no issuer key.
 */
DOT_API DOT_MUST int dot_token_attenuate(const struct dot_token *tok,
					 const struct dot_sign_sk *holder,
					 const struct dot_token_caveats *cav,
					 const uint8_t *next_holder,
					 size_t next_len, struct dot_buf *out,
					 struct dot_err *e);

/* ---- verification ---- */

struct dot_token_cache; /* verified-chain cache; caller-owned */

/* A cache of up to `capacity` verified prefixes (rounded up to 2^k). */
DOT_API DOT_MUST int dot_token_cache_new(struct dot_token_cache **c,
					 size_t capacity);
DOT_API void dot_token_cache_free(struct dot_token_cache *c); /* NULL ok */
DOT_API void dot_token_cache_clear(struct dot_token_cache *c);
struct dot_token_cache_stats {
	uint64_t hits;        /* verifies that skipped at least one block */
	uint64_t misses;      /* verifies that found no cached prefix */
	uint64_t sig_checks;  /* block signatures verified */
	uint64_t entries;
};
DOT_API void dot_token_cache_stats(const struct dot_token_cache *c,
				   struct dot_token_cache_stats *s);

/* Return 1 if rid is revoked, 0 if not. */
typedef int (*dot_token_revoked_fn)(void *ctx,
				    const uint8_t rid[DOT_RID_LEN]);

struct dot_token_verifier {
	const uint8_t *issuer_pk; /* the trusted issuer key (suite || key) */
	size_t issuer_pk_len;
	dot_token_revoked_fn revoked; /* NULL: nothing is revoked */
	void *revoked_ctx;
	struct dot_token_cache *cache; /* NULL: always verify cold */
	unsigned policy; /* DOT_POLICY_* (0: classic, any suite) */
};

/* What the request wants, and where and when it is made. */
struct dot_token_request {
	uint32_t rights;             /* every one must be granted */
	const char *path;            /* target path (path resources) */
	size_t path_len;
	const uint8_t *object_id;    /* target object (object resources) */
	const char *const *node_labels; /* labels of the serving node */
	size_t n_node_labels;
	uint64_t now;                /* Unix seconds */
};

/* The chain's effective grant after every block. */
struct dot_token_result {
	struct dot_token_caveats eff; /* intersected rights and caveats */
	const uint8_t *holder;
	size_t holder_len;
	size_t blocks_verified; /* signatures checked in this call */
	size_t failed_block;    /* on a refusal, the block at fault */
};

/*
 * Verify the chain for a request, in this order, cheapest first:
 *   1. the caller's revocation check on every block's rid, before any
 *      signature work                              DOT_ETOKEN_REVOKED
 *   2. the issuer key matches block 0's key id     DOT_ETOKEN_ISSUER
 *      and the issuer's and every holder's suite are
 *      allowed by v->policy                        DOT_EPOLICY
 *   3. every block narrows the one before          DOT_ETOKEN_WIDENED
 *      and no depth limit is exceeded              DOT_ETOKEN_TOO_DEEP
 *   4. block signatures, skipping a cached prefix  DOT_ETOKEN_SIGNATURE
 *   5. time, resource, path, rights, node labels   DOT_ETOKEN_NOT_YET_VALID,
 *      _EXPIRED, _RESOURCE, _PATH, _RIGHTS, _NODE
 * It does not check who presents the token: use dot_token_verify, or bind
 * the holder yourself (a transaction signed by res->holder does).
 */
DOT_API DOT_MUST int dot_token_verify_chain(const struct dot_token *tok,
					    const struct dot_token_verifier *v,
					    const struct dot_token_request *req,
					    struct dot_token_result *res,
					    struct dot_err *e);

/*
 * Proof of possession: the holder's signature over
 * "dot-token-v1 request" || rid of the last block || msg.
 */
DOT_API DOT_MUST int dot_token_sign_request(const struct dot_token *tok,
					    const struct dot_sign_sk *holder,
					    const void *msg, size_t n,
					    uint8_t sig[DOT_SIGN_SIG_MAX],
					    size_t *siglen);

/* dot_token_verify_chain, then the holder's proof over msg
 * (DOT_ETOKEN_WRONG_HOLDER). */
DOT_API DOT_MUST int dot_token_verify(const struct dot_token *tok,
				      const struct dot_token_verifier *v,
				      const struct dot_token_request *req,
				      const void *msg, size_t n,
				      const uint8_t *sig, size_t siglen,
				      struct dot_token_result *res,
				      struct dot_err *e);

/* Check a path: absolute, no empty, "." or ".." component, no trailing
 * slash except "/", no NUL, at most DOT_TOKEN_MAX_PATH bytes. */
DOT_API int dot_path_valid(const char *p, size_t n);
/* 1 if path p lies within prefix (component-wise: "/a" holds "/a/b", not
 * "/ab"). Both must be valid paths. */
DOT_API int dot_path_within(const char *p, size_t n, const char *prefix,
			    size_t plen);

#endif
