/*
 * token_int.h - internals of lib/token shared by its files and its tests.
 */
#ifndef DOT_TOKEN_INT_H
#define DOT_TOKEN_INT_H

#include "doteros/token.h"

/* Encode a block payload map; issuer_id NULL for blocks after the first. */
void dot_token__encode_payload(struct dot_buf *b, const uint8_t *issuer_id,
			       int rkind, const void *res, size_t reslen,
			       const struct dot_token_caveats *c,
			       const uint8_t *holder, size_t holder_len);

/*
 * Emit tok's blocks plus a new block with this payload, signed by signer,
 * with no narrowing check: tests use it to forge widened blocks that a
 * verifier must refuse.
 */
int dot_token__append(const struct dot_token *tok,
		      const struct dot_sign_sk *signer, const uint8_t *payload,
		      size_t payload_len, struct dot_buf *out);

/* A key's digest, BLAKE2b-256("dot-key-v1 digest" || pk): what the
 * caches' keys bind a public key by (32 bytes for up to 1985). The cache
 * forms remember the last key asked for (c may be NULL: computed). */
void dot_token__key_digest(const uint8_t *pk, size_t n,
			   uint8_t out[DOT_HASH_LEN]);
void dot_token__cache_key_digest(struct dot_token_cache *c, const uint8_t *pk,
				 size_t n, uint8_t out[DOT_HASH_LEN]);
/* dot_key_id through the same memo. */
void dot_token__cache_key_id(struct dot_token_cache *c, const uint8_t *pk,
			     size_t n, uint8_t id[DOT_KEY_ID_LEN]);

/* Number of leading blocks whose prefix was verified before under this
 * issuer key (0 if none). */
size_t dot_token__cache_lookup(struct dot_token_cache *c, const uint8_t *ipk,
			       size_t ipklen, const struct dot_token *tok);
/* Record prefixes from..nblocks-1 as verified. */
void dot_token__cache_insert(struct dot_token_cache *c, const uint8_t *ipk,
			     size_t ipklen, const struct dot_token *tok,
			     size_t from);
void dot_token__cache_count_sig(struct dot_token_cache *c);
/* The cache as a plain set of 32-byte keys (lib/tx's verified-signature
 * cache uses it with keys of its own domain). */
int dot_token__cache_probe(struct dot_token_cache *c,
			   const uint8_t key[DOT_HASH_LEN]);
void dot_token__cache_add(struct dot_token_cache *c,
			  const uint8_t key[DOT_HASH_LEN]);

#endif
