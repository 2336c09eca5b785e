/*
 * audit.h - the tamper-evident log: a Merkle tree over the ledger, its
 * proofs and its signed checkpoints (docs/audit-format.md).
 *
 * Hashing is RFC 9162 §2.1.1 with SHA-256: a leaf hash is
 * SHA-256(0x00 || leaf), an interior node SHA-256(0x01 || left || right),
 * the tree is split at the largest power of two smaller than its size, and
 * the empty tree's hash is SHA-256(""). A Doteros leaf is the 64 bytes
 * tx id || receipt hash (tx.h).
 *
 * The log itself is never held in memory here:
 *   - a frontier (the roots of the perfect subtrees, at most 64) appends
 *     leaves and gives the root, and serialises into a snapshot;
 *   - proofs are generated from a store, a callback that returns the hash of
 *     a perfect subtree (level, index) - what RFC 6962 logs keep on disk. An
 *     in-memory store is included for tests and small logs;
 *   - verification needs only hashes, sizes and indices.
 *
 * Checkpoints are C2SP signed notes (c2sp.org/signed-note,
 * c2sp.org/tlog-checkpoint) signed with Ed25519 (signature type 0x01) or
 * the composite ML-DSA-65 + Ed25519 (type 0xff followed by the identifier
 * "id-MLDSA65-Ed25519-SHA512", docs/audit-format.md §5): a verifier needs
 * only the nodes' names and public keys.
 *
 * Like the rest of lib/, nothing here reads a clock, draws randomness or
 * opens a file. Ownership: frontiers and proofs are plain fixed-size structs
 * of the caller's; notes and checkpoints returned by *_open / *_parse own a
 * copy of the note and are freed with dot_audit_note_free /
 * dot_audit_checkpoint_free (both accept NULL); the memory store is freed
 * with dot_audit_memstore_free.
 */
#ifndef DOTEROS_AUDIT_H
#define DOTEROS_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "err.h"

#define DOT_AUDIT_HASH_LEN	 32 /* SHA-256 */
#define DOT_AUDIT_MAX_PROOF	 64 /* hashes in one proof */
#define DOT_AUDIT_MAX_FRONTIER	 64 /* perfect subtrees of a 64-bit size */
#define DOT_AUDIT_NOTE_MAX	 (512u << 10) /* a whole signed note, bytes */
#define DOT_AUDIT_MAX_SIGS	 100	      /* signature lines in one note */
#define DOT_AUDIT_MAX_NAME	 255	      /* key name or origin, bytes */
#define DOT_AUDIT_KEY_ID_LEN	 4	      /* signed-note key id */
#define DOT_AUDIT_FORMAT_VERSION 1 /* of the CBOR frontier and proofs */

/*
 * Signature types (c2sp.org/signed-note): 0x01 Ed25519; 0xff followed by
 * the ASCII identifier below for the composite ML-DSA-65 + Ed25519 of
 * docs/crypto.md §13 (its signature 3373 bytes, its key 1984).
 */
#define DOT_AUDIT_SIG_ED25519	   0x01
#define DOT_AUDIT_SIG_OTHER	   0xff
#define DOT_AUDIT_COMPOSITE_ID	   "id-MLDSA65-Ed25519-SHA512"
#define DOT_AUDIT_COMPOSITE_ID_LEN 25
/*
 * The length of a signature line "— name base64(key id || sig)\n" for a
 * name and a signature of these lengths, and the longest one: a 255-byte
 * name and a composite signature (4765 bytes; an Ed25519 line with the
 * same name is 352).
 */
#define DOT_AUDIT_LINE_LEN(name_len, sig_len)                                  \
	(4 + (name_len) + 1 + 4 * ((4 + (sig_len) + 2) / 3) + 1)
#define DOT_AUDIT_LINE_MAX                                                     \
	DOT_AUDIT_LINE_LEN(DOT_AUDIT_MAX_NAME, DOT_SIGN_SIG_MAX - 1)

/* ---- hashing: RFC 9162 §2.1.1 ---- */

/* SHA-256(0x00 || data). */
DOT_API void dot_audit_hash_leaf(uint8_t out[DOT_AUDIT_HASH_LEN],
				 const void *data, size_t n);
/* SHA-256(0x01 || left || right). */
DOT_API void dot_audit_hash_node(uint8_t out[DOT_AUDIT_HASH_LEN],
				 const uint8_t left[DOT_AUDIT_HASH_LEN],
				 const uint8_t right[DOT_AUDIT_HASH_LEN]);
/* MTH({}) = SHA-256(""). */
DOT_API void dot_audit_empty_root(uint8_t out[DOT_AUDIT_HASH_LEN]);
/* The leaf hash of one applied tx: SHA-256(0x00 || tx id || receipt hash). */
DOT_API void dot_audit_leaf(const uint8_t tx_id[32],
			    const uint8_t receipt_hash[32],
			    uint8_t out[DOT_AUDIT_HASH_LEN]);

/* ---- the store: perfect subtrees by (level, index) ---- */

/*
 * The hash of the perfect subtree at `level` (0 = a leaf hash) and `index`:
 * MTH of leaves [index << level, (index + 1) << level). Proof generation only
 * asks for subtrees that lie wholly inside the tree size it was given. Return
 * DOT_OK, or an error (e.g. DOT_EAUDIT_STORE, a storage error) that the
 * generator passes back unchanged.
 */
typedef int (*dot_audit_node_fn)(void *ctx, unsigned level, uint64_t index,
				 uint8_t out[DOT_AUDIT_HASH_LEN]);

struct dot_audit_store {
	void *ctx;
	dot_audit_node_fn node;
};

/*
 * Called by dot_audit_frontier_append for each perfect subtree it completes,
 * level 0 (the leaf) first, so a store can keep them. A non-zero return
 * aborts the append, leaves the frontier unchanged and is passed back.
 */
typedef int (*dot_audit_put_fn)(void *ctx, unsigned level, uint64_t index,
				const uint8_t hash[DOT_AUDIT_HASH_LEN]);

/* ---- the frontier ---- */

/*
 * The roots of the perfect subtrees that make up a tree of `size` leaves, one
 * per set bit of size, largest (leftmost) first: nodes[0] covers the first
 * 2^(highest bit) leaves. n == popcount(size).
 */
struct dot_audit_frontier {
	uint64_t size;
	unsigned n;
	uint8_t nodes[DOT_AUDIT_MAX_FRONTIER][DOT_AUDIT_HASH_LEN];
};

DOT_API void dot_audit_frontier_init(struct dot_audit_frontier *f);
/*
 * Append one leaf hash; put (may be NULL) is told of each completed subtree.
 * DOT_ERANGE when the tree already holds 2^64 - 1 leaves.
 */
DOT_API DOT_MUST int
dot_audit_frontier_append(struct dot_audit_frontier *f,
			  const uint8_t leaf[DOT_AUDIT_HASH_LEN],
			  dot_audit_put_fn put, void *ctx);
/* MTH of the whole tree (the empty root for size 0). */
DOT_API void dot_audit_frontier_root(const struct dot_audit_frontier *f,
				     uint8_t root[DOT_AUDIT_HASH_LEN]);
/* Canonical CBOR {1: 1, 2: size, 3: [hash, ...]}; appends to out. */
DOT_API DOT_MUST int
dot_audit_frontier_encode(const struct dot_audit_frontier *f,
			  struct dot_buf *out);
/*
 * Strict parse: DOT_ECODEC_* for bytes that are not one canonical item (or
 * more than 64 hashes), DOT_EAUDIT_FRONTIER_FORMAT for anything else (wrong
 * version, keys, types, a hash count other than popcount(size)).
 */
DOT_API DOT_MUST int dot_audit_frontier_parse(const uint8_t *buf, size_t n,
					      struct dot_audit_frontier *f,
					      struct dot_err *e);

/* ---- proofs: RFC 9162 §2.1.3 (inclusion) and §2.1.4 (consistency) ---- */

enum dot_audit_proof_kind {
	DOT_AUDIT_PROOF_INCLUSION = 1,
	DOT_AUDIT_PROOF_CONSISTENCY = 2,
};

/*
 * inclusion:   leaf `index` in the tree of `size` leaves;
 * consistency: the tree of `index` leaves (size1) is a prefix of the tree
 *              of `size` leaves (size2).
 * hashes[0..n) in the RFC's order (from the leaf / the old root upward).
 */
struct dot_audit_proof {
	int kind;
	uint64_t index;
	uint64_t size;
	size_t n;
	uint8_t hashes[DOT_AUDIT_MAX_PROOF][DOT_AUDIT_HASH_LEN];
};

/* The number of hashes a proof for (index, size) has; 0 when out of range. */
DOT_API size_t dot_audit_inclusion_len(uint64_t index, uint64_t size);
DOT_API size_t dot_audit_consistency_len(uint64_t size1, uint64_t size2);

/* MTH of the first `size` leaves of the store. */
DOT_API DOT_MUST int dot_audit_store_root(const struct dot_audit_store *s,
					  uint64_t size,
					  uint8_t root[DOT_AUDIT_HASH_LEN]);
/* PATH(index, D[size]) (RFC 9162 §2.1.3.1); DOT_EAUDIT_PROOF_RANGE unless
 * index < size. */
DOT_API DOT_MUST int dot_audit_prove_inclusion(const struct dot_audit_store *s,
					       uint64_t index, uint64_t size,
					       struct dot_audit_proof *out);
/* PROOF(size1, D[size2]) (RFC 9162 §2.1.4.1); empty when size1 is 0 or
 * equals size2; DOT_EAUDIT_PROOF_RANGE when size1 > size2. */
DOT_API DOT_MUST int
dot_audit_prove_consistency(const struct dot_audit_store *s, uint64_t size1,
			    uint64_t size2, struct dot_audit_proof *out);

/*
 * hashes: n hashes of 32 bytes, one after the other (p->hashes[0]).
 *
 * RFC 9162 §2.1.3.2. DOT_OK; DOT_EAUDIT_PROOF_RANGE (index >= size);
 * DOT_EAUDIT_PROOF_LENGTH (not exactly dot_audit_inclusion_len hashes);
 * DOT_EAUDIT_INCLUSION (the path does not lead to root).
 */
DOT_API DOT_MUST int dot_audit_verify_inclusion(
    uint64_t index, uint64_t size, const uint8_t leaf[DOT_AUDIT_HASH_LEN],
    const uint8_t *hashes, size_t n, const uint8_t root[DOT_AUDIT_HASH_LEN]);
/*
 * RFC 9162 §2.1.4.2, plus the cases the RFC leaves out: size1 == 0 needs an
 * empty proof and root1 = the empty root; size1 == size2 needs an empty proof
 * and equal roots. DOT_OK; DOT_EAUDIT_PROOF_RANGE (size1 > size2);
 * DOT_EAUDIT_PROOF_LENGTH; DOT_EAUDIT_CONSISTENCY.
 */
DOT_API DOT_MUST int dot_audit_verify_consistency(
    uint64_t size1, uint64_t size2, const uint8_t root1[DOT_AUDIT_HASH_LEN],
    const uint8_t root2[DOT_AUDIT_HASH_LEN], const uint8_t *hashes, size_t n);

/*
 * Canonical CBOR {1: 1, 2: kind, 3: index, 4: size, 5: [hash, ...]}.
 * DOT_EINVAL for a proof whose fields are out of range.
 */
DOT_API DOT_MUST int dot_audit_proof_encode(const struct dot_audit_proof *p,
					    struct dot_buf *out);
/*
 * Strict parse: DOT_ECODEC_* (not one canonical item, over 64 hashes),
 * DOT_EAUDIT_PROOF_FORMAT (version, keys, types, kind),
 * DOT_EAUDIT_PROOF_RANGE (index >= size for inclusion, size1 > size2),
 * DOT_EAUDIT_PROOF_LENGTH (not the hash count the sizes imply).
 */
DOT_API DOT_MUST int dot_audit_proof_parse(const uint8_t *buf, size_t n,
					   struct dot_audit_proof *p,
					   struct dot_err *e);

/* ---- the in-memory store ---- */

/* Every complete subtree's hash, by level: about 2 x 32 bytes per leaf. */
struct dot_audit_memstore;

DOT_API DOT_MUST int dot_audit_memstore_new(struct dot_audit_memstore **out);
DOT_API void dot_audit_memstore_free(struct dot_audit_memstore *m);
/* Append a leaf hash; DOT_ENOMEM leaves the store unchanged. */
DOT_API DOT_MUST int
dot_audit_memstore_append(struct dot_audit_memstore *m,
			  const uint8_t leaf[DOT_AUDIT_HASH_LEN]);
DOT_API uint64_t dot_audit_memstore_size(const struct dot_audit_memstore *m);
/* The frontier of the whole store (for its root). */
DOT_API const struct dot_audit_frontier *
dot_audit_memstore_frontier(const struct dot_audit_memstore *m);
/* A store view over m (valid while m lives); DOT_EAUDIT_STORE for a node
 * not (yet) in it. */
DOT_API struct dot_audit_store
dot_audit_memstore_store(struct dot_audit_memstore *m);

/* ---- verifier keys (c2sp.org/signed-note, types 0x01 and 0xff) ---- */

/*
 * A known signer: its key name, its public key in Doteros' encoding
 * (crypto.h: suite 0x01 || 32 bytes, or suite 0x03 || the 1984-byte
 * composite key) and its key id, read big-endian:
 *   Ed25519:   SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4]
 *   composite: SHA-256(name || 0x0A || 0xff || "id-MLDSA65-Ed25519-SHA512"
 *                      || 1984-byte key)[:4]
 * `key` and `key_len` hold the key of either suite (the bytes after
 * key_len are zero). `pk` is the key when it is Ed25519 and all zero for a
 * composite key: it is kept for callers that take Ed25519 keys only (they
 * read sizeof(pk) bytes, and a zero suite byte refuses a composite key
 * there); new code reads key and key_len.
 */
struct dot_audit_vkey {
	char name[DOT_AUDIT_MAX_NAME + 1]; /* NUL-terminated */
	size_t name_len;
	uint8_t pk[DOT_ED25519_PK_LEN];
	uint32_t key_id;
	uint8_t key[DOT_SIGN_PK_MAX];
	size_t key_len; /* DOT_ED25519_PK_LEN or DOT_SIGN_PK_MAX (1985) */
};

/*
 * A valid key name: 1..255 bytes of UTF-8 with no control character, no
 * Unicode space and no '+'. 1 or 0.
 */
DOT_API int dot_audit_name_valid(const char *name, size_t n);
/* Fill a vkey from a name and an encoded Ed25519 or composite public key.
 * DOT_EAUDIT_KEY for a bad name; DOT_ECRYPTO_SUITE for another suite,
 * DOT_ECRYPTO_* for a bad key (dot_sign_pk_check). */
DOT_API DOT_MUST int dot_audit_vkey_from_pk(struct dot_audit_vkey *v,
					    const char *name, size_t name_len,
					    const uint8_t *pk, size_t pk_len);
/* The text form of golang.org/x/mod/sumdb/note verifier keys:
 * "<name>+<8 hex digits of key id>+<base64(0x01 || key)>", and for a
 * composite key "<name>+<id>+<base64(0xff || identifier || key)>". */
DOT_API DOT_MUST int dot_audit_vkey_encode(const struct dot_audit_vkey *v,
					   struct dot_buf *out);
/* Strict parse of that text form (key id checked; after 0xff exactly the
 * identifier and 1984 bytes; any other type refused): DOT_EAUDIT_KEY. */
DOT_API DOT_MUST int dot_audit_vkey_parse(struct dot_audit_vkey *v,
					  const char *text, size_t n,
					  struct dot_err *e);

/* ---- signed notes ---- */

/* One signature line of a note. */
struct dot_audit_note_sig {
	const char *name; /* into the note's copy; not NUL-terminated */
	size_t name_len;
	uint32_t key_id;
	int verified; /* 1: a known key, signature valid; 0: unknown */
	size_t key;   /* when verified: its index in keys[] */
};

struct dot_audit_note {
	const char *note; /* the whole note (a NUL-terminated copy) */
	size_t note_len;
	const char *text; /* the signed text, ending in "\n" */
	size_t text_len;
	struct dot_audit_note_sig *sigs; /* every signature line, in order */
	size_t nsigs;
	size_t nverified;
};

/*
 * Sign text (which must end in "\n", be valid UTF-8 without control
 * characters other than newline, and have no trailing blank line) with an
 * Ed25519 or composite key under `name`; appends text "\n"
 * "— name base64(id||sig)\n" (sig: 64 or 3373 bytes). DOT_ECRYPTO_SUITE
 * for a key of another suite.
 */
DOT_API DOT_MUST int dot_audit_note_sign(const char *text, size_t text_len,
					 const struct dot_sign_sk *sk,
					 const char *name, size_t name_len,
					 struct dot_buf *out,
					 struct dot_err *e);
/*
 * Add one signature to a signed note (a cosignature): the note is parsed
 * (not verified), the text signed, and the note with the new line last is
 * appended to out. DOT_EAUDIT_DUPLICATE_SIG if that key already signed.
 */
DOT_API DOT_MUST int dot_audit_note_cosign(const char *note, size_t n,
					   const struct dot_sign_sk *sk,
					   const char *name, size_t name_len,
					   struct dot_buf *out,
					   struct dot_err *e);
/*
 * Parse and verify a note against the known keys (names and key ids must be
 * unique: DOT_EAUDIT_KEY). In order: DOT_EAUDIT_NOTE_TOO_BIG (over 512 KiB),
 * DOT_EAUDIT_NOTE_FORMAT, DOT_EAUDIT_TOO_MANY_SIGS (over 100),
 * DOT_EAUDIT_DUPLICATE_SIG (two lines with one name and key id),
 * DOT_EAUDIT_SIGNATURE (a known key's signature fails),
 * DOT_EAUDIT_NO_KNOWN_SIGNER. Signatures of unknown keys are kept, with
 * verified = 0. On success *out is the parsed note.
 */
DOT_API DOT_MUST int dot_audit_note_open(const char *note, size_t n,
					 const struct dot_audit_vkey *keys,
					 size_t nkeys,
					 struct dot_audit_note **out,
					 struct dot_err *e);
DOT_API void dot_audit_note_free(struct dot_audit_note *n);

/* ---- checkpoints (c2sp.org/tlog-checkpoint) ---- */

struct dot_audit_checkpoint {
	struct dot_audit_note note; /* first: the note it was read from */
	const char *origin;	    /* into note.note; not NUL-terminated */
	size_t origin_len;
	uint64_t size;
	uint8_t root[DOT_AUDIT_HASH_LEN];
	const char *ext; /* extension lines, each ending "\n" */
	size_t ext_len;	 /* 0 when there are none */
};

/*
 * Sign a checkpoint body "origin\nsize\nbase64(root)\n" as a note under
 * `name` (C2SP recommends the origin as the log's key name).
 */
DOT_API DOT_MUST int dot_audit_checkpoint_sign(
    const char *origin, size_t origin_len, uint64_t size,
    const uint8_t root[DOT_AUDIT_HASH_LEN], const struct dot_sign_sk *sk,
    const char *name, size_t name_len, struct dot_buf *out, struct dot_err *e);
/*
 * dot_audit_note_open, then the body: DOT_EAUDIT_CHECKPOINT_FORMAT (origin
 * empty or over 255 bytes, size not canonical decimal, root not base64 of 32
 * bytes, an empty extension line, size 0 with a root other than the empty
 * root), DOT_EAUDIT_ORIGIN when origin is given and differs.
 */
DOT_API DOT_MUST int
dot_audit_checkpoint_open(const char *note, size_t n,
			  const struct dot_audit_vkey *keys, size_t nkeys,
			  const char *origin, size_t origin_len,
			  struct dot_audit_checkpoint **out, struct dot_err *e);
DOT_API void dot_audit_checkpoint_free(struct dot_audit_checkpoint *c);

/* Both notes of an equivocation, for the caller to show. */
struct dot_audit_equivocation {
	const char *note_a;
	size_t note_a_len;
	const char *note_b;
	size_t note_b_len;
};

/*
 * DOT_EAUDIT_EQUIVOCATION (and *ev filled, if given) when a and b have the
 * same origin and size but different roots; else DOT_OK. Checkpoints of
 * different sizes are compared with a consistency proof instead.
 */
DOT_API DOT_MUST int
dot_audit_checkpoint_compare(const struct dot_audit_checkpoint *a,
			     const struct dot_audit_checkpoint *b,
			     struct dot_audit_equivocation *ev);

/*
 * The leaf hash `leaf` is entry `index` of the log of a verified checkpoint:
 * p must be an inclusion proof for (index, cp->size) - else
 * DOT_EAUDIT_PROOF_RANGE - and verify (dot_audit_verify_inclusion).
 */
DOT_API DOT_MUST int dot_audit_checkpoint_verify_inclusion(
    const struct dot_audit_checkpoint *cp,
    const uint8_t leaf[DOT_AUDIT_HASH_LEN], uint64_t index,
    const struct dot_audit_proof *p, struct dot_err *e);
/*
 * The log of `newer` extends the log of `older`: same origin (else
 * DOT_EAUDIT_ORIGIN), p a consistency proof for (older->size, newer->size)
 * (else DOT_EAUDIT_PROOF_RANGE), verified (dot_audit_verify_consistency);
 * equal sizes with different roots are DOT_EAUDIT_EQUIVOCATION.
 */
DOT_API DOT_MUST int dot_audit_checkpoint_verify_consistency(
    const struct dot_audit_checkpoint *older,
    const struct dot_audit_checkpoint *newer, const struct dot_audit_proof *p,
    struct dot_err *e);

/* ---- quorum receipts (qreceipt.c; docs/audit-format.md §9) ---- */

/*
 * A receipt that proves itself: canonical CBOR
 *   {1: 1, 2: tx id (32 bytes), 3: receipt bytes, 4: seq,
 *    5: inclusion proof (bytes, §4), 6: cosigned checkpoint (text, §5)}
 * at most DOT_AUDIT_QRECEIPT_MAX bytes: a note of DOT_AUDIT_NOTE_MAX, a
 * receipt of DOT_RECEIPT_MAX_LEN (64 KiB), a proof of 64 hashes and the
 * map's heads, with room to spare (598,016 bytes). Parsed fields point
 * into the buffer given to dot_audit_qreceipt_parse.
 */
#define DOT_AUDIT_QRECEIPT_MAX (DOT_AUDIT_NOTE_MAX + (72u << 10))
struct dot_audit_qreceipt {
	uint8_t tx_id[32];
	const uint8_t *receipt;
	size_t receipt_len;
	uint64_t seq; /* the record's leaf index */
	struct dot_audit_proof proof;
	const char *note;
	size_t note_len;
};
struct dot_audit_qreceipt_result {
	int status;            /* the receipt's: DOT_OK or the tx's refusal */
	uint64_t ledger_index; /* the receipt's entry */
	uint64_t size;         /* the cosigned checkpoint's tree size */
	size_t signers;        /* lines by the given keys that verified */
};
DOT_API DOT_MUST int dot_audit_qreceipt_encode(
    const struct dot_audit_qreceipt *q, struct dot_buf *out);
/* Strict: DOT_ECODEC_*, DOT_EAUDIT_QRECEIPT_FORMAT, DOT_EAUDIT_PROOF_*. */
DOT_API DOT_MUST int dot_audit_qreceipt_parse(const uint8_t *p, size_t n,
					      struct dot_audit_qreceipt *q,
					      struct dot_err *e);
/*
 * Check a quorum receipt against the voters' verifier keys, offline: the
 * receipt parses and names the tx (DOT_EAUDIT_QRECEIPT_TX); the checkpoint
 * opens against the keys (dot_audit_checkpoint_open: every known key's
 * line verifies; the origin when given); at least `quorum` of the keys
 * signed it (DOT_EAUDIT_QUORUM); the record (tx id, receipt hash) is leaf
 * `seq` of its tree (DOT_EAUDIT_INCLUSION, DOT_EAUDIT_PROOF_*). A quorum
 * of 0 or over nkeys is DOT_EINVAL. res is filled as far as it got.
 */
DOT_API DOT_MUST int dot_audit_qreceipt_verify(
    const struct dot_audit_qreceipt *q, const struct dot_audit_vkey *keys,
    size_t nkeys, size_t quorum, const char *origin, size_t origin_len,
    struct dot_audit_qreceipt_result *res, struct dot_err *e);

#endif
