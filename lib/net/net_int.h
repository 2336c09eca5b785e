/*
 * net_int.h - lib/net's internal interface: the Noise framework core
 * (revision 34 of the specification, noiseprotocol.org/noise.html) with
 * DH = 25519, HASH = BLAKE2b and cipher = ChaChaPoly or AESGCM, for the two
 * patterns Doteros uses (XX and IK), each also with the "hfs" modifier of
 * "KEM-based Hybrid Forward Secrecy for Noise" (revision 1, 2018-11-17:
 * tokens e1 and ekem1) over the KEM X-Wing (XXhfs, IKhfs;
 * docs/wire-protocol.md §3.5). channel.c builds the Doteros channel on it;
 * tests drive it directly with the published test vectors.
 *
 * Every structure here is a plain value with no pointers, so a handshake
 * state can be copied, a message tried on the copy, and the copy kept only
 * if the message was good (a bad message changes nothing).
 */
#ifndef DOT_NET_INT_H
#define DOT_NET_INT_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_HASHLEN 64   /* BLAKE2b (§12.8) */
#define NOISE_BLOCKLEN 128
#define NOISE_DHLEN 32     /* 25519 (§12.1) */
#define NOISE_KEYLEN 32
#define NOISE_TAGLEN 16
#define NOISE_MAX_MSG 65535 /* §3 */
/* Longest input MixHash() is given here: handshake messages are bounded by
 * the channel's frame limit (DOT_NET_MAX_HS_BODY) long before this. */
#define NOISE_MAX_HASHED 8192

/* The hfs KEM, X-Wing (include/doteros/xwing.h): KEMPUBLICKEYLEN,
 * KEMCIPHERTEXTLEN and KEMOUTPUTLEN of the hfs specification (§3). */
#define NOISE_KEM_SKLEN 32
#define NOISE_KEM_PKLEN 1216
#define NOISE_KEM_CTLEN 1120
#define NOISE_KEM_SSLEN 32
#define NOISE_KEM_SEEDLEN 64 /* randomness of one e1 (32) or ekem1 (64) */

enum noise_pattern { NOISE_XX = 1, NOISE_IK = 2 };
/* The KEM of the hfs modifier: none (plain XX, IK) or X-Wing
 * (DOT_SUITE_XWING, the kem byte of the channel's frames). */
enum noise_kem { NOISE_KEM_NONE = 0, NOISE_KEM_XWING = 0x12 };

/* §5.1 CipherState */
struct noise_cipher {
	uint8_t k[NOISE_KEYLEN];
	uint64_t n;
	uint8_t suite;  /* DOT_SUITE_CHACHA20POLY1305 or DOT_SUITE_AES256GCM */
	uint8_t has_k;
};

/* §5.2 SymmetricState */
struct noise_sym {
	struct noise_cipher cs;
	uint8_t ck[NOISE_HASHLEN];
	uint8_t h[NOISE_HASHLEN];
};

/* §5.3 HandshakeState */
struct noise_hs {
	struct noise_sym ss;
	uint8_t s_sk[32], s_pk[32];
	uint8_t e_sk[32], e_pk[32];
	uint8_t e_seed[32]; /* the next ephemeral key, drawn by the caller */
	uint8_t rs[32], re[32];
	uint8_t pattern, initiator, msg; /* msg: index of the next message */
	uint8_t has_s, has_e, has_e_seed, has_rs, has_re;
	unsigned dh_count; /* DH operations done (for the DoS tests) */
	/* hfs (kem != NOISE_KEM_NONE): the initiator's e1 secret key, held
	 * from writing e1 to reading ekem1; the responder's copy of the
	 * initiator's e1 public key, from reading e1 to writing ekem1; the
	 * randomness of the next e1 or ekem1, drawn by the caller. */
	uint8_t kem;
	uint8_t has_e1, has_re1, has_kem_seed;
	uint8_t e1_sk[NOISE_KEM_SKLEN];
	uint8_t re1[NOISE_KEM_PKLEN];
	uint8_t kem_seed[NOISE_KEM_SEEDLEN];
	unsigned kem_count; /* KEM operations done: key pair, encaps, decaps */
};

/* The protocol name, e.g. "Noise_XX_25519_ChaChaPoly_BLAKE2b"; NULL for an
 * unknown pattern or suite. */
const char *noise_protocol_name(int pattern, uint8_t suite);
/* The same with the hfs modifier for kem = NOISE_KEM_XWING, e.g.
 * "Noise_XXhfs_25519+XWing_ChaChaPoly_BLAKE2b"; NULL for an unknown KEM. */
const char *noise_protocol_name_kem(int pattern, uint8_t kem, uint8_t suite);

/* §5.3 Initialize(): s_sk may be NULL (no static key), rs may be NULL
 * (unknown remote static). IK needs rs on the initiator's side and s on the
 * responder's. DOT_EINVAL or DOT_ECRYPTO_SUITE on bad arguments. */
int noise_hs_init(struct noise_hs *hs, int pattern, uint8_t suite,
		  int initiator, const uint8_t *prologue, size_t plen,
		  const uint8_t *s_sk, const uint8_t *rs);
/* The same for the pattern with the hfs modifier of kem (NOISE_KEM_NONE is
 * noise_hs_init); DOT_ECRYPTO_SUITE for an unknown KEM. */
int noise_hs_init_kem(struct noise_hs *hs, int pattern, uint8_t kem,
		      uint8_t suite, int initiator, const uint8_t *prologue,
		      size_t plen, const uint8_t *s_sk, const uint8_t *rs);
/* Set the seed (the X25519 secret) of the ephemeral key the next written
 * message will use. */
void noise_hs_set_ephemeral(struct noise_hs *hs, const uint8_t seed[32]);
/* hfs: set the randomness of the e1 (its first 32 bytes: the X-Wing key
 * pair's seed) or ekem1 (all 64: X-Wing's eseed) of the next written
 * message. 64 fresh bytes from a CSPRNG; wiped once used. */
void noise_hs_set_kem_seed(struct noise_hs *hs,
			   const uint8_t seed[NOISE_KEM_SEEDLEN]);
/* 1 if it is our turn to write, 0 if to read. */
int noise_hs_my_turn(const struct noise_hs *hs);
/* 1 once every message of the pattern has been written or read. */
int noise_hs_done(const struct noise_hs *hs);
/* Length of the next message for a payload of plen bytes. */
size_t noise_hs_msg_len(const struct noise_hs *hs, size_t plen);

/* §5.3 WriteMessage / ReadMessage. out must hold noise_hs_msg_len(); a read
 * writes at most mlen bytes of payload into out (cap). On failure the state
 * is garbage: callers work on a copy. A read checks a received e1 with
 * dot_xwing_pk_check (DOT_ECRYPTO_XWING_PK) before anything else uses it;
 * every token has a fixed length, so a message of the wrong length fails
 * (a short one at its token, a long one at its payload). */
int noise_hs_write(struct noise_hs *hs, const uint8_t *payload, size_t plen,
		   uint8_t *out, size_t cap, size_t *outlen);
int noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t mlen,
		  uint8_t *payload, size_t cap, size_t *plen);

/* §5.2 Split(): c1 for initiator -> responder, c2 for the other way. Wipes
 * the handshake's secrets (ck, k, e, s, e1, KEM randomness). */
int noise_hs_split(struct noise_hs *hs, struct noise_cipher *c1,
		   struct noise_cipher *c2);

/* §5.1 EncryptWithAd / DecryptWithAd (out may not overlap in). */
int noise_encrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
		  const uint8_t *pt, size_t n, uint8_t *out);
int noise_decrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
		  const uint8_t *ct, size_t n, uint8_t *out);
/* The cipher's nonce for counter n (§12.3 ChaChaPoly: 32 zero bits then n
 * little-endian; §12.4 AESGCM: 32 zero bits then n big-endian). */
void noise_nonce(uint8_t suite, uint64_t n, uint8_t nonce[12]);

/* §4.3 HASH, HMAC-HASH (RFC 2104) and HKDF over BLAKE2b. */
int noise_hash(uint8_t out[NOISE_HASHLEN], const uint8_t *a, size_t an,
	       const uint8_t *b, size_t bn);
int noise_hkdf(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm,
	       size_t ikmlen, uint8_t *o1, uint8_t *o2, uint8_t *o3);

void noise_wipe(void *p, size_t n);

#endif
