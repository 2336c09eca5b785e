/*
 * tx.h - transactions and receipts (docs/tx-format.md).
 *
 * A transaction (tx) is a signed request to change state. Its payload is a
 * canonical CBOR map (codec.h) naming the operation, its arguments, the
 * object versions it consumes (eUTXO: each version is consumed at most
 * once), the authority it acts under (a capability token or an account's
 * permission level), a nonce, a short validity window and optionally the
 * cluster it is meant for. The tx id is a hash of the payload; every
 * signature is over the tx id, so signers may sign in any order and offline.
 *
 *   payload    {1: 1, 2: op, 3: args, 4: [[oid, version], ...],
 *               5: [1, token] / [2, account, level], 6: nonce,
 *               7: not_before, 8: not_after, ?9: cluster id}
 *   signed tx  [payload, [[public key, signature], ...]]
 *   tx id      BLAKE2b-256("dot-tx-v1 id" || payload bytes)
 *   signature  over "dot-tx-v1 sig" || tx id
 *
 * A receipt is the result of applying a tx, part of the ledger:
 *
 *   receipt    {1: 1, 2: tx id, 3: status, 4: [[oid, version], ...],
 *               5: ledger index, 6: entry time, ?7: detail}
 *   hash       BLAKE2b-256("dot-receipt-v1" || receipt bytes)
 *
 * Like the rest of lib/, this module reads no clock and draws no randomness:
 * nonces and the current time are arguments. Ownership: structs filled by a
 * *_parse function of a payload point into the caller's bytes; dot_tx_parse
 * and dot_receipt_parse return an object that owns a copy of the bytes, freed
 * with dot_tx_free / dot_receipt_free (both accept NULL).
 */
#ifndef DOTEROS_TX_H
#define DOTEROS_TX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "token.h"

#define DOT_TX_VERSION 1
#define DOT_TX_ID_LEN DOT_HASH_LEN       /* 32 */
#define DOT_TX_NONCE_LEN 16
#define DOT_CLUSTER_ID_LEN 16
#define DOT_TX_MAX_OP 64                 /* op: [a-z0-9._-]{1,64} */
#define DOT_TX_MAX_ARGS (1u << 20)       /* encoded args item, bytes */
#define DOT_TX_MAX_CONSUMED 64
#define DOT_TX_MAX_SIGS 16
#define DOT_TX_MAX_ACCOUNT 64            /* account: [a-z0-9._-]{1,64} */
#define DOT_TX_MAX_LEVEL 32              /* level: [a-z0-9._-]{1,32} */
#define DOT_TX_WINDOW_DEFAULT 3600       /* longest window, seconds */
/* A whole signed tx: args, a token and 16 of the largest signatures fit. */
#define DOT_TX_MAX_LEN (2u << 20)

#define DOT_RECEIPT_VERSION 1
#define DOT_RECEIPT_MAX_VERSIONS 1024
#define DOT_RECEIPT_MAX_DETAIL 256
#define DOT_RECEIPT_MAX_LEN (64u << 10)

/* One object version: consumed by a tx, or produced (in a receipt). */
struct dot_tx_objver {
	uint8_t id[DOT_OBJECT_ID_LEN];
	uint64_t version;
};

enum dot_tx_auth_kind {
	DOT_TX_AUTH_TOKEN = 1,   /* [1, token bytes] */
	DOT_TX_AUTH_ACCOUNT = 2, /* [2, account, level], "account@level" */
	DOT_TX_AUTH_TOKEN_REF = 3, /* [3, rid]: a token the ledger holds */
};

/* A token authority: the token inline (1) or by reference (3). */
#define DOT_TX_BY_TOKEN(kind)                                                  \
	((kind) == DOT_TX_AUTH_TOKEN || (kind) == DOT_TX_AUTH_TOKEN_REF)

/*
 * A payload. To build one, fill it (pointers into the caller's memory) and
 * call dot_tx_payload_encode; dot_tx_payload_parse fills it with pointers
 * into the parsed bytes. Strings are not NUL-terminated.
 *
 * consumed[] must be strictly ascending by (id, version) - memcmp order of
 * the id, then the version - so that every set has one encoding.
 */
struct dot_tx_payload {
	const char *op;              /* e.g. "fs.put" */
	size_t op_len;
	const uint8_t *args;         /* exactly one canonical CBOR item */
	size_t args_len;
	struct dot_tx_objver consumed[DOT_TX_MAX_CONSUMED];
	size_t nconsumed;
	int auth_kind;               /* enum dot_tx_auth_kind */
	const uint8_t *token;        /* DOT_TX_AUTH_TOKEN: token bytes */
	size_t token_len;
	const uint8_t *token_ref;    /* DOT_TX_AUTH_TOKEN_REF: DOT_RID_LEN
				      * bytes, the last block's rid */
	const char *account;         /* DOT_TX_AUTH_ACCOUNT */
	size_t account_len;
	const char *level;
	size_t level_len;
	uint8_t nonce[DOT_TX_NONCE_LEN];
	uint64_t not_before;         /* Unix seconds, valid from (inclusive) */
	uint64_t not_after;          /* valid until (exclusive); > not_before */
	int has_cluster;             /* 1 if cluster_id is set */
	uint8_t cluster_id[DOT_CLUSTER_ID_LEN];
};

/*
 * Check every rule of the payload and append its canonical encoding to out.
 * A token authority is parsed with dot_token_parse (not verified). Errors:
 * DOT_ETX_FORMAT naming the field, DOT_ECODEC_* for args that are not one
 * canonical item, DOT_ETOKEN_* from the token parser, DOT_ENOMEM.
 */
DOT_API DOT_MUST int dot_tx_payload_encode(const struct dot_tx_payload *p,
					   struct dot_buf *out,
					   struct dot_err *e);

/*
 * Strictly parse payload bytes into *p, which then points into buf (keep it
 * alive). Errors: DOT_ECODEC_* when the bytes are not one canonical CBOR
 * item, DOT_ETX_VERSION, DOT_ETX_FORMAT for anything else (wrong type,
 * missing or unknown key, bad lengths, unsorted consumed versions, empty
 * window), DOT_ETOKEN_* when the authority token does not parse.
 */
DOT_API DOT_MUST int dot_tx_payload_parse(const uint8_t *buf, size_t n,
					  struct dot_tx_payload *p,
					  struct dot_err *e);

/* tx id = BLAKE2b-256("dot-tx-v1 id" || payload bytes). */
DOT_API void dot_tx_id(const uint8_t *payload, size_t n,
		       uint8_t id[DOT_TX_ID_LEN]);

/* One signature of a tx, with its own storage (what dot_tx_sign returns). */
struct dot_tx_signature {
	uint8_t pk[DOT_SIGN_PK_MAX];   /* suite || public key */
	size_t pk_len;
	uint8_t sig[DOT_SIGN_SIG_MAX]; /* suite || signature */
	size_t sig_len;
};

/*
 * Sign a payload: checks that it parses (an agent signs nothing malformed),
 * computes its tx id and signs "dot-tx-v1 sig" || tx id. Deterministic.
 */
DOT_API DOT_MUST int dot_tx_sign(const struct dot_sign_sk *sk,
				 const uint8_t *payload, size_t n,
				 struct dot_tx_signature *out,
				 struct dot_err *e);

/* A view of one signature pair (into a parsed tx or the caller's memory). */
struct dot_tx_sig {
	const uint8_t *pk;
	size_t pk_len;
	const uint8_t *sig;
	size_t sig_len;
};

/* The view of a dot_tx_signature (pointers into *s). */
DOT_API struct dot_tx_sig dot_tx_sig_of(const struct dot_tx_signature *s);

/*
 * Assemble a signed tx [payload, [[pk, sig], ...]] and append it to out.
 * The payload must parse; 1..16 pairs, each with a known suite and the
 * suite's lengths. Signatures are kept in the given order and are not
 * verified here (dot_tx_verify does). Errors as dot_tx_payload_parse, and
 * DOT_ETX_FORMAT for the signatures.
 */
DOT_API DOT_MUST int dot_tx_assemble(const uint8_t *payload, size_t n,
				     const struct dot_tx_sig *sigs,
				     size_t nsigs, struct dot_buf *out,
				     struct dot_err *e);

/* A parsed signed tx. It owns a copy of the bytes its fields point into. */
struct dot_tx {
	uint8_t *bytes;             /* the whole signed tx */
	size_t len;
	const uint8_t *payload_bytes; /* the payload item, inside bytes */
	size_t payload_len;
	struct dot_tx_payload p;    /* points into bytes */
	struct dot_token *token;    /* parsed authority token, or NULL (a
				     * reference until dot_tx_attach_token) */
	uint8_t id[DOT_TX_ID_LEN];
	size_t nsigs;
	struct dot_tx_sig sigs[DOT_TX_MAX_SIGS];
	/* The one pair of a token tx left its key out (an empty bstr): the
	 * key is the token's holder's. sigs[0].pk points at it once the
	 * token is known (at parse for an inline token, on
	 * dot_tx_attach_token for a reference); until then pk_len is 0. */
	int holder_implicit;
};

/*
 * Strictly parse a signed tx (at most DOT_TX_MAX_LEN bytes) and compute its
 * id. No signature or authority is checked here. On success *tx is owned by
 * the caller (dot_tx_free); on failure it is NULL. Errors as
 * dot_tx_payload_parse, DOT_ETX_FORMAT for the signature list (count, suite,
 * lengths), DOT_ENOMEM.
 */
DOT_API DOT_MUST int dot_tx_parse(const uint8_t *buf, size_t n,
				  struct dot_tx **tx, struct dot_err *e);
DOT_API void dot_tx_free(struct dot_tx *tx); /* NULL ok */

/*
 * A tx whose authority is a token reference [3, rid] names the token by
 * its last block's revocation id; whoever verifies it looks the token up
 * (the ledger keeps every token a tx has used, docs/state-model.md) and
 * attaches it here. The token must parse and its last block's rid must
 * equal the reference, so the holder's signature over the tx id (which
 * covers the rid) binds exactly that chain. Errors: DOT_EINVAL (not a
 * reference, or a token already attached), DOT_ETOKEN_* / DOT_ECODEC_*
 * from the token parser, DOT_ETOKEN_UNKNOWN when the rid differs.
 */
DOT_API DOT_MUST int dot_tx_attach_token(struct dot_tx *tx,
					 const uint8_t *token, size_t n,
					 struct dot_err *e);

/*
 * The same with a token already parsed (dot_token_parse), e.g. one a cache
 * of the ledger's tokens holds (dot_token_hold): the tx takes over the
 * reference given, also when it refuses it (it is then dropped). Errors
 * as dot_tx_attach_token, and DOT_EINVAL for a NULL token.
 */
DOT_API DOT_MUST int dot_tx_attach_parsed_token(struct dot_tx *tx,
						struct dot_token *t,
						struct dot_err *e);

/*
 * For a tx that leaves its key out and names its token by reference, the
 * key it claims to be signed by, before the token is at hand: so a check
 * of its signature alone (dot_tx_check_signatures, e.g. on another thread
 * than the state's) can run. pk must outlive the tx's use. A claim proves
 * nothing: the signature verifies under pk or not, and dot_tx_verify, on
 * the attached token, checks that pk is its holder. Errors: DOT_EINVAL
 * (not such a tx, or a token attached), DOT_ETX_FORMAT (a key of no
 * known suite and length).
 */
DOT_API DOT_MUST int dot_tx_claim_holder(struct dot_tx *tx,
					 const uint8_t *pk, size_t n,
					 struct dot_err *e);

/* Re-encode a parsed tx from its fields (appends to out). The result equals
 * the parsed bytes: the fuzz target holds the parser to that. */
DOT_API DOT_MUST int dot_tx_encode(const struct dot_tx *tx,
				   struct dot_buf *out, struct dot_err *e);

/* ---- verification ---- */

/* One key of an account's permission level. */
struct dot_tx_level_key {
	const uint8_t *pk; /* suite || public key */
	size_t pk_len;
	uint32_t weight;
};

/* A permission level: signers' weights must add up to the threshold. */
struct dot_tx_level {
	const struct dot_tx_level_key *keys;
	size_t nkeys;
	uint64_t threshold; /* >= 1 */
};

/*
 * Look up account@level (strings not NUL-terminated). Return DOT_OK and fill
 * *out (its pointers must stay valid until dot_tx_verify returns), or
 * DOT_ETX_AUTHORITY when the account or level does not exist; any other code
 * (e.g. a storage error) is passed through by dot_tx_verify.
 */
typedef int (*dot_tx_level_fn)(void *ctx, const char *account,
			       size_t account_len, const char *level,
			       size_t level_len, struct dot_tx_level *out);

struct dot_tx_verifier {
	uint64_t now;        /* Unix seconds (the entry time when applying) */
	uint64_t max_window; /* longest not_after - not_before; 0: default */
	/* This cluster's id, or NULL. When set, a tx must name this cluster
	 * (a tx without a cluster id is refused too). */
	const uint8_t *cluster_id;
	/* Token authority: the chain is checked with these. req->now is
	 * ignored: `now` above is used. NULL: token txs are refused. */
	const struct dot_token_verifier *token_verifier;
	const struct dot_token_request *token_request;
	/* Account authority. NULL: account txs are refused. */
	dot_tx_level_fn level;
	void *level_ctx;
	/* Signatures already known to verify (dot_tx_sig_cache_add), or
	 * NULL. A hit skips only that signature's check; every other check
	 * runs, so the result is the same with or without it. */
	struct dot_token_cache *sig_cache;
};

struct dot_tx_verify_result {
	size_t failed_sig;            /* DOT_ETX_SIGNATURE: the pair at fault */
	uint64_t weight;              /* account: weight of the signers */
	struct dot_token_result token; /* token: the chain's effective grant */
};

/*
 * Verify a parsed tx, cheapest checks first, stopping at the first failure:
 *   1. window length <= max_window               DOT_ETX_WINDOW
 *   2. not_before <= now                         DOT_ETX_NOT_YET_VALID
 *      now < not_after                           DOT_ETX_EXPIRED
 *   3. cluster id, when the verifier has one     DOT_ETX_CLUSTER
 *   4. no public key twice                       DOT_ETX_DUPLICATE_SIGNER
 *   5. authority, from the claimed keys (no signature work yet):
 *      token: the holder is a signer             DOT_ETOKEN_WRONG_HOLDER
 *             and no one else signs              DOT_ETX_AUTHORITY
 *      account: the level exists                 DOT_ETX_AUTHORITY
 *             every signer is in the level       DOT_ETX_AUTHORITY
 *             their weights reach the threshold  DOT_ETX_THRESHOLD
 *   6. every signature over the tx id            DOT_ETX_SIGNATURE
 *   7. token: dot_token_verify_chain             its DOT_ETOKEN_* code
 * e->msg says what failed (which signature, which key, which times); res
 * (may be NULL) carries the details. The caller still checks the consumed
 * versions and what the op does against its state.
 */
DOT_API DOT_MUST int dot_tx_verify(const struct dot_tx *tx,
				   const struct dot_tx_verifier *v,
				   struct dot_tx_verify_result *res,
				   struct dot_err *e);

/*
 * Check every signature of tx over its id, and nothing else: no state, no
 * clock, no shared memory, so it may run on another thread (a node checks
 * submissions on a worker before they reach the apply loop). DOT_OK or
 * DOT_ETX_SIGNATURE naming the pair.
 */
DOT_API DOT_MUST int dot_tx_check_signatures(const struct dot_tx *tx,
					     struct dot_err *e);
/* Record that every signature of tx verified (after
 * dot_tx_check_signatures returned DOT_OK). */
DOT_API void dot_tx_sig_cache_add(struct dot_token_cache *c,
				  const struct dot_tx *tx);

/*
 * The same in two steps, so the hashing can run where the signatures were
 * checked (a worker thread) and only the insertion where the cache lives:
 * dot_tx_sig_keys is pure (each key is BLAKE2b-256 over a domain string,
 * the key, the tx id and the signature, so about 5.4 KB per composite
 * signature); the keys of signatures with no key known yet are left out.
 */
struct dot_tx_sig_keys {
	size_t n;
	uint8_t key[DOT_TX_MAX_SIGS][DOT_HASH_LEN];
};
DOT_API void dot_tx_sig_keys(const struct dot_tx *tx,
			     struct dot_tx_sig_keys *k);
DOT_API void dot_tx_sig_cache_add_keys(struct dot_token_cache *c,
				       const struct dot_tx_sig_keys *k);

/*
 * Split the text form "account@level" into its parts (pointers into text),
 * checking both names. DOT_EINVAL with a message when malformed.
 */
DOT_API DOT_MUST int dot_tx_account_split(const char *text, size_t n,
					  const char **account,
					  size_t *account_len,
					  const char **level, size_t *level_len,
					  struct dot_err *e);

/* ---- receipts ---- */

/*
 * A receipt. To encode one, fill the fields (versions points into the
 * caller's memory; bytes/len are ignored). dot_receipt_parse returns one
 * that owns its bytes and versions array.
 */
struct dot_receipt {
	uint8_t *bytes;            /* parsed: the receipt bytes; else unused */
	size_t len;
	uint8_t tx_id[DOT_TX_ID_LEN];
	int status;                /* DOT_OK, or the error code of the tx */
	const struct dot_tx_objver *versions; /* new versions, strictly
						 ascending; empty unless ok */
	size_t nversions;
	uint64_t ledger_index;
	uint64_t entry_time;       /* the entry's Unix seconds */
	const char *detail;        /* optional: NULL or detail_len 0 = absent */
	size_t detail_len;         /* <= DOT_RECEIPT_MAX_DETAIL, UTF-8 */
};

/* Check the rules and append the canonical encoding. DOT_ERECEIPT_FORMAT
 * naming the field, DOT_ECODEC_UTF8 for a bad detail, DOT_ENOMEM. */
DOT_API DOT_MUST int dot_receipt_encode(const struct dot_receipt *r,
					struct dot_buf *out,
					struct dot_err *e);

/* Strictly parse; *r is owned by the caller (dot_receipt_free), NULL on
 * failure. DOT_ECODEC_* for bytes that are not canonical CBOR,
 * DOT_ERECEIPT_FORMAT for the rest, DOT_ENOMEM. */
DOT_API DOT_MUST int dot_receipt_parse(const uint8_t *buf, size_t n,
				       struct dot_receipt **r,
				       struct dot_err *e);
DOT_API void dot_receipt_free(struct dot_receipt *r); /* NULL ok */

/* BLAKE2b-256("dot-receipt-v1" || receipt bytes). */
DOT_API void dot_receipt_hash(const uint8_t *buf, size_t n,
			      uint8_t out[DOT_HASH_LEN]);

#endif
