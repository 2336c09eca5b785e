/*
 * err.h - the one table of Doteros error codes.
 *
 * Every function that can fail returns an int: DOT_OK (0) or a positive code
 * from this table. dot_strerror() gives the fixed message of a code; context
 * (which field, which block, which byte) goes into a caller-provided
 * struct dot_err, never into globals.
 */
#ifndef DOTEROS_ERR_H
#define DOTEROS_ERR_H

#include <stddef.h>

#define DOT_API __attribute__((visibility("default")))
#define DOT_MUST __attribute__((warn_unused_result))

/* X(name, message). Codes are stable: append only, never reorder. */
#define DOT_ERRORS(X)                                                          \
	X(DOT_OK, "success")                                                   \
	X(DOT_ENOMEM, "out of memory")                                         \
	X(DOT_EINVAL, "invalid argument")                                      \
	X(DOT_ERANGE, "value out of range")                                    \
	X(DOT_ETOOBIG, "output does not fit")                                  \
	/* codec: the canonical binary encoding */                             \
	X(DOT_ECODEC_TRUNCATED, "encoding is truncated")                       \
	X(DOT_ECODEC_TRAILING, "trailing bytes after the encoded item")        \
	X(DOT_ECODEC_NONCANONICAL, "non-canonical encoding")                   \
	X(DOT_ECODEC_UNSUPPORTED, "unsupported encoding type")                 \
	X(DOT_ECODEC_DEPTH, "nesting too deep")                                \
	X(DOT_ECODEC_LENGTH, "length over the limit")                          \
	X(DOT_ECODEC_KEYORDER, "map keys not in strictly ascending order")     \
	X(DOT_ECODEC_UTF8, "text string is not valid UTF-8")                   \
	X(DOT_ECODEC_TYPE, "unexpected item type")                             \
	X(DOT_ECODEC_FIELD, "missing or unknown field")                        \
	/* text forms */                                                       \
	X(DOT_ETEXT_PREFIX, "text form has the wrong prefix")                  \
	X(DOT_ETEXT_BASE64, "text form is not valid base64url")                \
	X(DOT_ETEXT_CHECKSUM, "text form checksum mismatch")                   \
	/* crypto */                                                           \
	X(DOT_ECRYPTO_SUITE, "unknown or unsupported crypto suite")            \
	X(DOT_ECRYPTO_SIGNATURE, "signature verification failed")              \
	X(DOT_ECRYPTO_DECRYPT, "decryption failed (wrong key or tampered)")    \
	X(DOT_ECRYPTO_KEY, "invalid key")                                      \
	X(DOT_ECRYPTO_UNAVAILABLE, "suite not available on this CPU")          \
	X(DOT_ECRYPTO_KDF, "key derivation failed")                            \
	X(DOT_ECRYPTO_PASSPHRASE, "wrong passphrase or damaged key file")      \
	/* tokens */                                                           \
	X(DOT_ETOKEN_FORMAT, "malformed capability token")                     \
	X(DOT_ETOKEN_VERSION, "unsupported token version")                     \
	X(DOT_ETOKEN_ISSUER, "token issuer is not the trusted key")            \
	X(DOT_ETOKEN_SIGNATURE, "token block signature is invalid")            \
	X(DOT_ETOKEN_WIDENED, "block widens rights or relaxes a caveat")       \
	X(DOT_ETOKEN_EXPIRED, "token has expired")                             \
	X(DOT_ETOKEN_NOT_YET_VALID, "token is not yet valid")                  \
	X(DOT_ETOKEN_REVOKED, "token block has been revoked")                  \
	X(DOT_ETOKEN_TOO_DEEP, "token exceeds its maximum delegation depth")   \
	X(DOT_ETOKEN_WRONG_HOLDER, "key is not the token's holder") \
	X(DOT_ETOKEN_RIGHTS, "token does not grant the requested rights")      \
	X(DOT_ETOKEN_RESOURCE, "request is outside the token's resource")      \
	X(DOT_ETOKEN_PATH, "request path is outside the token's path caveat")  \
	X(DOT_ETOKEN_NODE, "node lacks a label the token requires")            \
	/* transactions and receipts */                                        \
	X(DOT_ETX_FORMAT, "malformed transaction")                             \
	X(DOT_ETX_VERSION, "unsupported transaction version")                  \
	X(DOT_ETX_NOT_YET_VALID, "transaction is not yet valid")               \
	X(DOT_ETX_EXPIRED, "transaction validity window has passed")           \
	X(DOT_ETX_WINDOW, "transaction validity window is too long")           \
	X(DOT_ETX_SIGNATURE, "transaction signature is invalid")               \
	X(DOT_ETX_DUPLICATE_SIGNER, "transaction is signed twice by one key")  \
	X(DOT_ETX_THRESHOLD, "signatures do not meet the level's threshold")   \
	X(DOT_ETX_AUTHORITY, "transaction authority is not satisfied")         \
	X(DOT_ETX_CLUSTER, "transaction is for another cluster")               \
	X(DOT_ERECEIPT_FORMAT, "malformed receipt")                            \
	/* the state machine */                                                \
	X(DOT_ESTATE_STORAGE, "state storage error")                           \
	X(DOT_ESTATE_OP, "unknown operation")                                  \
	X(DOT_ESTATE_ARGS, "malformed operation arguments")                    \
	X(DOT_ESTATE_NOT_FOUND, "no such object")                              \
	X(DOT_ESTATE_EXISTS, "object already exists")                          \
	X(DOT_ESTATE_CONFLICT, "version conflict: the version is stale or consumed") \
	X(DOT_ESTATE_NOT_DIR, "not a directory")                               \
	X(DOT_ESTATE_IS_DIR, "is a directory")                                 \
	X(DOT_ESTATE_NOT_EMPTY, "directory not empty")                         \
	X(DOT_ESTATE_DENIED, "authority does not cover this object")           \
	X(DOT_ESTATE_DUPLICATE, "transaction already applied")                 \
	X(DOT_ESTATE_KIND, "operation does not apply to this kind of object")  \
	X(DOT_ESTATE_GENESIS, "ledger genesis missing or repeated")            \
	X(DOT_ESTATE_TOO_BIG, "object or entry over its size limit")           \
	/* audit log: Merkle proofs and signed checkpoints */                  \
	X(DOT_EAUDIT_FRONTIER_FORMAT, "malformed Merkle frontier")             \
	X(DOT_EAUDIT_PROOF_FORMAT, "malformed Merkle proof")                   \
	X(DOT_EAUDIT_PROOF_RANGE, "leaf index or tree size out of range")      \
	X(DOT_EAUDIT_PROOF_LENGTH, "Merkle proof has the wrong number of hashes") \
	X(DOT_EAUDIT_INCLUSION, "inclusion proof does not lead to the root")   \
	X(DOT_EAUDIT_CONSISTENCY, "consistency proof does not match the roots") \
	X(DOT_EAUDIT_STORE, "log store lacks a node the proof needs")          \
	X(DOT_EAUDIT_NOTE_FORMAT, "malformed signed note")                     \
	X(DOT_EAUDIT_NOTE_TOO_BIG, "signed note is over the size limit")       \
	X(DOT_EAUDIT_TOO_MANY_SIGS, "signed note has too many signatures")     \
	X(DOT_EAUDIT_DUPLICATE_SIG, "signed note is signed twice by one key")  \
	X(DOT_EAUDIT_SIGNATURE, "a known key's signature on the note is invalid") \
	X(DOT_EAUDIT_NO_KNOWN_SIGNER, "no known key has signed the note")      \
	X(DOT_EAUDIT_KEY, "invalid or ambiguous verifier key")                 \
	X(DOT_EAUDIT_CHECKPOINT_FORMAT, "note text is not a valid checkpoint") \
	X(DOT_EAUDIT_ORIGIN, "checkpoint is for another log")                  \
	X(DOT_EAUDIT_EQUIVOCATION, "two checkpoints of one size differ in root") \
	/* the node API */                                                     \
	X(DOT_EAPI_FRAME, "bad frame length (connection closed)")              \
	X(DOT_EAPI_FORMAT, "malformed API message")                            \
	X(DOT_EAPI_METHOD, "unknown API method")                               \
	X(DOT_EAPI_BUSY, "node is busy: too many pending requests")           \
	X(DOT_EAPI_UNAVAILABLE, "node is not reachable")                       \
	/* secure channels (lib/net, docs/wire-protocol.md) */                 \
	X(DOT_ENET_FRAME, "malformed channel frame")                           \
	X(DOT_ENET_STATE, "frame or call not valid in this channel state")     \
	X(DOT_ENET_VERSION, "unsupported channel protocol version")            \
	X(DOT_ENET_CIPHER, "channel cipher not offered or not accepted")       \
	X(DOT_ENET_KEM, "post-quantum KEM not supported, required or not echoed")      \
	X(DOT_ENET_PAYLOAD, "malformed handshake payload")                     \
	X(DOT_ENET_HANDSHAKE, "handshake message failed authentication")       \
	X(DOT_ENET_MAC, "handshake message has no valid MAC")                  \
	X(DOT_ENET_COOKIE, "responder under load: cookie reply sent")          \
	X(DOT_ENET_REFUSED, "peer's static key is not authorized")             \
	X(DOT_ENET_ROLE, "peer's claimed role does not match its key")         \
	X(DOT_ENET_REFUSED_BY_PEER, "the peer refused this channel")           \
	X(DOT_ENET_AUTH, "channel frame failed authentication")                \
	X(DOT_ENET_REPLAY, "channel frame replayed or too old")                \
	X(DOT_ENET_EPOCH, "channel frame under unknown or erased keys")        \
	X(DOT_ENET_HANDSHAKE_TIMEOUT, "channel handshake timed out")           \
	X(DOT_ENET_IDLE_TIMEOUT, "channel idle for too long")                  \
	X(DOT_ENET_TOO_MANY_DROPS, "too many bad frames: channel closed")      \
	X(DOT_ENET_KEYS_EXHAUSTED, "channel keys used up before a rekey")      \
	X(DOT_ENET_CLOSED, "channel is closed")                                \
	X(DOT_ENET_PEER_CLOSED, "the peer closed the channel")                 \
	/* consensus (daemon/consensus.c) */                                   \
	X(DOT_ECONS_NOT_LEADER, "this node is not the leader")                 \
	X(DOT_ECONS_LOST, "leadership changed before the entry committed")     \
	X(DOT_ECONS_ENGINE, "consensus engine error")                          \
	X(DOT_ECONS_MEMBER, "no such member, or not allowed in that role")     \
	X(DOT_ECONS_BUSY, "a membership change is already under way")          \
	/* accounts (lib/state, docs/decisions/0015) */                        \
	X(DOT_ESTATE_ACCOUNT_EXPIRED, "account has expired")                   \
	/* ML-KEM input checks (lib/crypto/mlkem.c, FIPS 203 §7.2, §7.3) */    \
	X(DOT_ECRYPTO_MLKEM_EK, "ML-KEM encapsulation key fails the FIPS 203 checks") \
	X(DOT_ECRYPTO_MLKEM_DK, "ML-KEM decapsulation key fails the FIPS 203 checks") \
	X(DOT_ECRYPTO_MLKEM_CT, "ML-KEM ciphertext has the wrong length")     \
	/* cosigned checkpoints and quorum receipts (decision 0018) */         \
	X(DOT_ECONS_NO_QUORUM, "no quorum of voters signed such a checkpoint yet") \
	X(DOT_EAUDIT_QRECEIPT_FORMAT, "malformed quorum receipt")              \
	X(DOT_EAUDIT_QRECEIPT_TX, "the receipt is for another transaction")    \
	X(DOT_EAUDIT_QUORUM, "checkpoint is not signed by a quorum of the keys") \
	/* ML-DSA input checks (lib/crypto/mldsa.c, FIPS 204) */              \
	X(DOT_ECRYPTO_MLDSA_PK, "ML-DSA public key has the wrong length")     \
	X(DOT_ECRYPTO_MLDSA_SK, "ML-DSA private key is malformed")             \
	X(DOT_ECRYPTO_MLDSA_SIG, "ML-DSA signature is malformed")              \
	X(DOT_ECRYPTO_MLDSA_CTX, "ML-DSA context string is over 255 bytes")   \
	/* X-Wing hybrid KEM (lib/crypto/xwing.c) */                           \
	X(DOT_ECRYPTO_XWING_PK, "X-Wing public key is malformed")              \
	X(DOT_ECRYPTO_XWING_SK, "X-Wing private key is malformed")             \
	X(DOT_ECRYPTO_XWING_CT, "X-Wing ciphertext is malformed")              \
	/* composite ML-DSA-65 + Ed25519 signatures (lib/crypto/composite.c) */ \
	X(DOT_ECRYPTO_COMPOSITE_PK, "composite public key is malformed")       \
	X(DOT_ECRYPTO_COMPOSITE_SK, "composite private key is malformed")      \
	X(DOT_ECRYPTO_COMPOSITE_SIG, "composite signature is malformed or does not verify") \
	/* sealed payloads (lib/crypto/seal.c) */                              \
	X(DOT_ESEAL_FORMAT, "malformed sealed payload")                        \
	X(DOT_ESEAL_NOT_RECIPIENT, "this key is not a recipient of the sealed payload") \
	X(DOT_ESEAL_BINDING, "sealed payload belongs to another block or object") \
	X(DOT_ESEAL_TOO_MANY, "sealed payload has too many recipients")        \
	X(DOT_ESEAL_OPEN, "sealed payload fails authentication")               \
	/* the cluster's crypto policy (docs/crypto.md §14) */                 \
	X(DOT_EPOLICY, "key or signature suite not allowed by the cluster's crypto policy") \
	/* token references (docs/tx-format.md §1) */                          \
	X(DOT_ETOKEN_UNKNOWN, "token reference names no token the ledger holds")

enum dot_errcode {
#define DOT_X_ENUM(name, msg) name,
	DOT_ERRORS(DOT_X_ENUM)
#undef DOT_X_ENUM
	DOT_ERRCOUNT
};

/* The fixed message of a code; "unknown error" for a code out of range. */
DOT_API const char *dot_strerror(int code);

/* The symbolic name of a code ("DOT_ETOKEN_EXPIRED"), for --json output. */
DOT_API const char *dot_errname(int code);

/*
 * Context for an error: a human sentence that says what failed and where.
 * Functions that take a struct dot_err * fill it on failure (it may be NULL).
 */
struct dot_err {
	int code;
	char msg[256];
};

/* Record code and a printf-style context; returns code, for `return`. */
DOT_API int dot_err_set(struct dot_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
