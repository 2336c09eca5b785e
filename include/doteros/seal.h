/*
 * seal.h - payloads sealed to one or more X-Wing public keys, in the manner
 * of multi-recipient age (docs/seal-format.md, the byte-by-byte reference;
 * docs/crypto.md §12 for X-Wing).
 *
 * A random 32-byte file key encrypts the payload (ChaCha20-Poly1305,
 * RFC 8439, one message: no chunks). For each recipient the header carries
 * an X-Wing encapsulation to the recipient's key and the file key wrapped
 * under a key derived from that shared secret, the recipient's public key
 * and the ciphertext. A MAC under the file key covers the whole header.
 * A caller-supplied binding (1 to 255 bytes naming the block or object the
 * payload belongs to, such as its hash) enters every derivation, and a
 * fingerprint of it is in the header: opened with another binding, a
 * sealed payload is refused with DOT_ESEAL_BINDING before any key is used.
 *
 * Recipients are named by a key id (8 bytes of a hash of the binding and
 * the public key) so that the opener decapsulates one stanza, not all;
 * anyone who holds a candidate public key and the binding can then tell
 * whether that key is a recipient. With DOT_SEAL_ANONYMOUS the key ids are
 * zero and the opener tries every stanza instead (docs/seal-format.md §5).
 *
 * Like the rest of lib/, nothing here draws randomness or allocates: the
 * caller's rand callback supplies the file key and each recipient's
 * X-Wing eseed, and every buffer is the caller's. Secrets on the stack
 * (file key, shared secrets, derived keys) are zeroed before return. On
 * any failure *outlen is 0 and every byte already written to out is
 * zeroed (bytes not yet reached are left as they were), so no
 * unauthenticated plaintext is ever released. out must not overlap the
 * input.
 */
#ifndef DOTEROS_SEAL_H
#define DOTEROS_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "xwing.h"

#define DOT_SEAL_MAX_RECIPIENTS 32
#define DOT_SEAL_BINDING_MAX 255
#define DOT_SEAL_PAYLOAD_MAX (64u << 20)  /* = DOT_STATE_MAX_FILE */
#define DOT_SEAL_KID_LEN 8
#define DOT_SEAL_FP_LEN 16                /* binding fingerprint */
#define DOT_SEAL_HEAD_LEN 29              /* preamble 13 + fingerprint 16 */
#define DOT_SEAL_STANZA_LEN 1176          /* kid 8 + ct 1120 + wrapped 48 */
#define DOT_SEAL_MAC_LEN 32
#define DOT_SEAL_TAG_LEN 16

/* Bytes of a sealed payload: 77 + 1176 r + n. */
#define DOT_SEAL_LEN(r, n)                                                     \
	((size_t)DOT_SEAL_HEAD_LEN + (size_t)DOT_SEAL_STANZA_LEN * (r) +       \
	 DOT_SEAL_MAC_LEN + (size_t)(n) + DOT_SEAL_TAG_LEN)

/* flags */
#define DOT_SEAL_ANONYMOUS 0x01u /* key ids zero: the opener tries each */

/* Randomness: fill out with n bytes from a CSPRNG. */
typedef void (*dot_seal_rand_fn)(void *ctx, uint8_t *out, size_t n);

/*
 * Seal payload (n bytes, at most DOT_SEAL_PAYLOAD_MAX) to npk recipients
 * (1 to DOT_SEAL_MAX_RECIPIENTS; pks[i] points to DOT_XWING_PK_LEN bytes)
 * under binding (1 to DOT_SEAL_BINDING_MAX bytes). flags: 0 or
 * DOT_SEAL_ANONYMOUS. rand is called once for the 32-byte file key, then
 * once per recipient, in order, for its 64-byte X-Wing eseed. Writes
 * DOT_SEAL_LEN(npk, n) bytes to out and that length to *outlen.
 *
 * Errors (context in e, which may be NULL): DOT_ESEAL_TOO_MANY (npk over
 * the maximum), DOT_EINVAL (no recipient, a repeated recipient, a binding
 * of 0 or over 255 bytes, unknown flags, no rand), DOT_ERANGE (payload
 * over the maximum), DOT_ECRYPTO_XWING_PK (a recipient key fails
 * dot_xwing_pk_check), DOT_ETOOBIG (cap too small).
 */
DOT_API DOT_MUST int dot_seal(uint8_t *out, size_t cap, size_t *outlen,
			      const uint8_t *payload, size_t n,
			      const uint8_t *const *pks, size_t npk,
			      const uint8_t *binding, size_t blen,
			      unsigned flags, dot_seal_rand_fn rand,
			      void *rand_ctx, struct dot_err *e);

/*
 * Open a sealed payload with the X-Wing private key sk (32 bytes) under
 * binding. Writes the payload to out and its length to *outlen. Checked in
 * this order, the first failure returned (context in e, may be NULL):
 *
 *   DOT_ESEAL_FORMAT       any malformed byte of the structure (magic,
 *                          version, suites, flags, count 0, length, a key
 *                          id rule: docs/seal-format.md §4)
 *   DOT_ESEAL_TOO_MANY     a count over DOT_SEAL_MAX_RECIPIENTS
 *   DOT_EINVAL             a binding of 0 or over 255 bytes
 *   DOT_ECRYPTO_XWING_SK   sk is not 32 bytes
 *   DOT_ESEAL_BINDING      the fingerprint is not this binding's
 *   DOT_ETOOBIG            cap is below the payload length
 *   DOT_ESEAL_NOT_RECIPIENT  no stanza names this key (or, anonymous, no
 *                          stanza opens with it)
 *   DOT_ESEAL_OPEN         this key's stanza, the header MAC or the
 *                          payload fails authentication
 */
DOT_API DOT_MUST int dot_seal_open(uint8_t *out, size_t cap, size_t *outlen,
				   const uint8_t *sealed, size_t n,
				   const uint8_t *sk, size_t sklen,
				   const uint8_t *binding, size_t blen,
				   struct dot_err *e);

/* The structure of a sealed payload, read without any key. */
struct dot_seal_info {
	unsigned flags;
	size_t nrecipients;
	size_t payload_len;                  /* plaintext bytes */
	uint8_t fp[DOT_SEAL_FP_LEN];
	uint8_t kid[DOT_SEAL_MAX_RECIPIENTS][DOT_SEAL_KID_LEN];
};

/* Parse and check the structure only: DOT_OK, DOT_ESEAL_FORMAT or
 * DOT_ESEAL_TOO_MANY (info zeroed on failure). Authenticates nothing. */
DOT_API DOT_MUST int dot_seal_parse(const uint8_t *sealed, size_t n,
				    struct dot_seal_info *info,
				    struct dot_err *e);

/* The key id a sealer writes for pk under binding (docs/seal-format.md
 * §3), to show which of one's keys a payload is sealed to:
 * DOT_EINVAL for a bad binding length, DOT_ECRYPTO_XWING_PK for pklen. */
DOT_API DOT_MUST int dot_seal_kid(uint8_t kid[DOT_SEAL_KID_LEN],
				  const uint8_t *pk, size_t pklen,
				  const uint8_t *binding, size_t blen);

#endif
