/*
 * net.h - the secure channel as a pure state machine (docs/wire-protocol.md
 * is the byte-level specification).
 *
 * A channel is one end of an authenticated, encrypted, forward-secret
 * connection between two static X25519 keys: a Noise handshake (XX for first
 * contact, IK when the responder's key is known; Noise revision 34, DH 25519,
 * hash BLAKE2b, cipher AES-256-GCM or ChaCha20-Poly1305 negotiated; by
 * default with the "hfs" modifier over the hybrid KEM X-Wing, so that the
 * keys also rest on ML-KEM-768: XXhfs, IKhfs), then length-prefixed
 * transport frames with explicit 64-bit counters, a replay window and
 * in-channel rekeying.
 *
 * The state machine opens no socket, reads no clock and draws no randomness:
 * bytes, the current time (a monotonic count of microseconds) and random
 * bytes (through a callback) come in as arguments; frames to send, received
 * messages and events go out in a struct dot_net_io. Tests therefore run two
 * ends in one process with a fake clock and fixed keys.
 *
 * The caller (dotd) cuts frames out of a byte stream with dot_net_frame_next
 * and gives each whole frame to dot_net_input; it writes io->out to the peer
 * after every call and calls dot_net_tick at least once a second.
 */
#ifndef DOTEROS_NET_H
#define DOTEROS_NET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define DOT_NET_VERSION 1        /* channel protocol version on the wire */
#define DOT_NET_KEY_LEN 32       /* X25519 keys, raw (no suite byte) */
#define DOT_NET_CLUSTER_ID_LEN 16
#define DOT_NET_HASH_LEN 64      /* handshake hash (BLAKE2b-512) */
#define DOT_NET_MAX_NAME 64      /* longest account name */
#define DOT_NET_MAX_SRC 64       /* longest source address (opaque bytes) */

/* Frames: type (1) | flags (1) | body length (4, big-endian) | body. */
#define DOT_NET_HDR_LEN 6
#define DOT_NET_MAX_MSG 65535    /* application bytes in one DATA frame */
#define DOT_NET_MAX_HS_BODY 4096 /* handshake bodies (hybrid: at most 1371) */
#define DOT_NET_TRANSPORT_OVERHEAD (8 + 16) /* counter + AEAD tag */
#define DOT_NET_MAX_BODY (DOT_NET_MAX_MSG + DOT_NET_TRANSPORT_OVERHEAD)
#define DOT_NET_MAX_FRAME (DOT_NET_HDR_LEN + DOT_NET_MAX_BODY)

enum dot_net_frame_type {
	DOT_NET_F_HS1 = 0x01,       /* initiator's first handshake message */
	DOT_NET_F_HS2 = 0x02,       /* responder's answer */
	DOT_NET_F_HS3 = 0x03,       /* initiator's last message (XX only) */
	DOT_NET_F_COOKIE = 0x04,    /* responder under load: a cookie */
	DOT_NET_F_REFUSE = 0x05,    /* handshake refused (clear, 1 reason byte) */
	DOT_NET_F_DATA = 0x10,      /* transport: application message */
	DOT_NET_F_KEEPALIVE = 0x11, /* transport: empty */
	DOT_NET_F_REKEY1 = 0x12,    /* transport: rekey handshake, message 1 */
	DOT_NET_F_REKEY2 = 0x13,    /* transport: rekey handshake, message 2 */
	DOT_NET_F_CLOSE = 0x14,     /* transport: orderly close, 1 reason byte */
};

/* Handshake patterns (the pattern byte of handshake frames). */
enum dot_net_pattern { DOT_NET_XX = 1, DOT_NET_IK = 2 };

/* KEM identifiers: the kem byte of handshake and rekey frames, also in the
 * prologue (docs/wire-protocol.md §3.1, §3.5). */
enum dot_net_kem {
	DOT_NET_KEM_NONE = 0,     /* classic: X25519 only (Noise XX, IK) */
	DOT_NET_KEM_XWING = 0x12, /* X-Wing (DOT_SUITE_XWING) by Noise hfs:
				     XXhfs, IKhfs */
};

/* Roles a peer claims in its handshake payload, and accept() verdicts. */
enum dot_net_role {
	DOT_NET_REFUSE = 0,  /* verdict only: refuse this key */
	DOT_NET_NODE = 1,    /* a member node */
	DOT_NET_ACCOUNT = 2, /* a client acting for an account */
};

/* Reasons carried by REFUSE and CLOSE frames. */
enum dot_net_reason {
	DOT_NET_R_CLOSE = 1,    /* orderly close */
	DOT_NET_R_REFUSED = 2,  /* your static key is not authorized */
	DOT_NET_R_CIPHER = 3,   /* cipher not accepted */
	DOT_NET_R_VERSION = 4,  /* version or KEM not supported */
	DOT_NET_R_TIMEOUT = 5,  /* idle or key lifetime exceeded */
	DOT_NET_R_PROTOCOL = 6, /* protocol violation */
	DOT_NET_R_KEM_REQUIRED = 7, /* a post-quantum KEM is required here */
};

/* The authenticated identity of the other end. */
struct dot_net_peer {
	uint8_t static_pk[DOT_NET_KEY_LEN];
	int role;                          /* DOT_NET_NODE or DOT_NET_ACCOUNT */
	char account[DOT_NET_MAX_NAME + 1]; /* NUL-terminated; "" for a node */
};

/*
 * Peer authorization: called once the peer's static key is authenticated.
 * Returns DOT_NET_REFUSE, DOT_NET_NODE, or DOT_NET_ACCOUNT after writing the
 * account's name (NUL-terminated, at most DOT_NET_MAX_NAME bytes) into
 * account. Refusal aborts the handshake with DOT_ENET_REFUSED; the verdict
 * must also match the role the peer claims, else DOT_ENET_ROLE.
 */
typedef int (*dot_net_accept_fn)(void *ctx,
				 const uint8_t static_pk[DOT_NET_KEY_LEN],
				 char account[DOT_NET_MAX_NAME + 1]);

/* Randomness: fill out with n random bytes (ephemeral keys, cookies). */
typedef void (*dot_net_rand_fn)(void *ctx, uint8_t *out, size_t n);

/* ---- the cookie gate (DoS defence of a listener) ---- */

/*
 * One gate per listening daemon, shared by its responder channels. It holds
 * the cookie secret (rotated every 2 minutes from the rand callback) and the
 * "under load" flag. Every first handshake message must carry a valid mac1
 * (a cheap MAC keyed by the cluster id) or it is dropped before any DH; under
 * load it must also carry a valid mac2 (keyed by a cookie bound to its source
 * address) or it gets a cookie reply instead of DH work.
 */
struct dot_net_gate;

DOT_API DOT_MUST int
dot_net_gate_new(struct dot_net_gate **g,
		 const uint8_t cluster_id[DOT_NET_CLUSTER_ID_LEN],
		 dot_net_rand_fn rand, void *rand_ctx);
DOT_API void dot_net_gate_free(struct dot_net_gate *g); /* NULL ok */
DOT_API void dot_net_gate_set_load(struct dot_net_gate *g, int under_load);

/*
 * The stateless check of a first handshake frame (type HS1) from src, before
 * any channel or DH exists: DOT_OK (go on), DOT_ENET_MAC (drop it), or
 * DOT_ENET_COOKIE (a cookie reply was appended to out; send it). Responder
 * channels run the same check themselves; dotd may call it first so as not
 * to allocate a channel for a frame that will be dropped.
 */
DOT_API DOT_MUST int dot_net_gate_check(struct dot_net_gate *g, uint64_t now,
					const uint8_t *src, size_t srclen,
					const uint8_t *frame, size_t n,
					struct dot_buf *out);

/* ---- channels ---- */

struct dot_net_config {
	int initiator; /* 1: we connect; 0: we accept */
	uint8_t cluster_id[DOT_NET_CLUSTER_ID_LEN];
	uint8_t static_sk[DOT_NET_KEY_LEN]; /* our X25519 static secret */
	int role;                           /* what we are: NODE or ACCOUNT */
	/* Initiator: the responder's static key if known (IK), else NULL
	 * (XX). Ignored by a responder. */
	const uint8_t *remote_static;
	/* Initiator: the AEAD suite to propose (0: dot_aead_preferred()).
	 * Responder: 0 accepts any suite available here, else only this. */
	uint8_t cipher;
	/* Initiator: 0 proposes the hybrid handshake with X-Wing
	 * (DOT_NET_KEM_XWING, the default); 1 proposes none (kem byte 0: a
	 * classic X25519-only handshake). The responder never picks another
	 * KEM than the one proposed: no fallback either way (§3.3). */
	int classic;
	/* Responder: 1 refuses an initiator that proposes no KEM, with a
	 * REFUSE reason 7 (DOT_NET_R_KEM_REQUIRED) before any DH; 0 (the
	 * default) accepts both classic and hybrid handshakes. */
	int require_kem;
	dot_net_accept_fn accept;
	void *accept_ctx;
	dot_net_rand_fn rand;
	void *rand_ctx;
	/* Responder: the listener's gate (required) and the peer's source
	 * address as opaque bytes (at most DOT_NET_MAX_SRC). */
	struct dot_net_gate *gate;
	const uint8_t *src;
	size_t srclen;
	/* Limits; 0 takes the default in brackets. Times in microseconds. */
	uint64_t handshake_timeout;    /* [10 s] handshake and rekey */
	uint64_t idle_timeout;         /* [180 s] nothing authenticated heard */
	uint64_t keepalive_interval;   /* [15 s] send a KEEPALIVE when quiet */
	uint64_t rekey_after_time;     /* [60 s] initiator starts a rekey */
	uint64_t rekey_after_messages; /* [2^20] frames under one key */
	uint64_t key_overlap;          /* [5 s] old receive keys kept */
	unsigned max_drops;            /* [32] bad frames before closing */
};

enum dot_net_state {
	DOT_NET_S_HANDSHAKE = 1,
	DOT_NET_S_ESTABLISHED = 2,
	DOT_NET_S_CLOSED = 3,
};

/* Events raised by one call (bits of dot_net_io.events). */
#define DOT_NET_EV_ESTABLISHED 0x01u /* handshake done; dot_net_peer() set */
#define DOT_NET_EV_DATA 0x02u        /* io->data holds one message */
#define DOT_NET_EV_REKEYED 0x04u     /* new keys in use */
#define DOT_NET_EV_DROPPED 0x08u     /* a frame was dropped (counted) */
#define DOT_NET_EV_COOKIE 0x10u      /* cookie handled (sent or received) */
#define DOT_NET_EV_CLOSED 0x20u      /* channel closed: dot_net_close_reason */

/* What one call produced. Buffers are appended to; the caller empties them
 * (len = 0) when it has used them. */
struct dot_net_io {
	struct dot_buf out;  /* frames to write to the peer */
	struct dot_buf data; /* the application message of a DATA frame */
	unsigned events;     /* DOT_NET_EV_* raised by this call (or'ed in) */
};

struct dot_net_stats {
	uint64_t sent, received;  /* transport frames */
	uint64_t drops;           /* frames dropped */
	uint64_t dh;              /* X25519 operations of Noise DH tokens */
	uint64_t kem;             /* X-Wing operations: key pairs, encaps,
				     decaps (each also does X25519 inside) */
	uint64_t rekeys;          /* completed rekeys */
	uint64_t cookies;         /* cookie replies sent or received */
	uint8_t epoch;            /* current key epoch */
};

struct dot_net;

/*
 * A new channel at time now. An initiator's first frame (HS1) is appended to
 * io->out. DOT_EINVAL for a bad configuration, DOT_ECRYPTO_UNAVAILABLE if
 * the proposed cipher cannot run here, DOT_ENOMEM.
 */
DOT_API DOT_MUST int dot_net_new(struct dot_net **ch,
				 const struct dot_net_config *cfg,
				 uint64_t now, struct dot_net_io *io);
/* Zeroes every key; NULL ok. */
DOT_API void dot_net_free(struct dot_net *ch);

/*
 * One whole frame from the peer. DOT_OK if it was accepted; otherwise the
 * reason it was not (the frame was dropped, DOT_NET_EV_DROPPED, and counted;
 * or the channel closed, DOT_NET_EV_CLOSED). A dropped frame changes nothing
 * but the drop count.
 */
DOT_API DOT_MUST int dot_net_input(struct dot_net *ch, uint64_t now,
				   const uint8_t *frame, size_t n,
				   struct dot_net_io *io);

/* Seal one application message (at most DOT_NET_MAX_MSG bytes) into a DATA
 * frame. DOT_ENET_STATE before the handshake is done, DOT_ENET_CLOSED after
 * close, DOT_ENET_KEYS_EXHAUSTED when a rekey is overdue (try again after). */
DOT_API DOT_MUST int dot_net_send(struct dot_net *ch, uint64_t now,
				  const void *msg, size_t n,
				  struct dot_net_io *io);

/* Timers: timeouts, rekeys, keepalives, erasing old keys. */
DOT_API DOT_MUST int dot_net_tick(struct dot_net *ch, uint64_t now,
				  struct dot_net_io *io);

/* Close in order: a CLOSE frame once established (a REFUSE before). */
DOT_API void dot_net_close(struct dot_net *ch, struct dot_net_io *io);

DOT_API int dot_net_state(const struct dot_net *ch);
/* Why the channel closed (DOT_OK while open). */
DOT_API int dot_net_close_reason(const struct dot_net *ch);
/* The authenticated peer, or NULL before the handshake is done. */
DOT_API const struct dot_net_peer *dot_net_peer(const struct dot_net *ch);
/* The negotiated AEAD suite and the handshake hash (channel binding). */
DOT_API uint8_t dot_net_cipher(const struct dot_net *ch);
/* The KEM of the handshake (DOT_NET_KEM_NONE or DOT_NET_KEM_XWING): what the
 * initiator proposed; on a responder, known once HS1 has been taken. */
DOT_API uint8_t dot_net_kem(const struct dot_net *ch);
DOT_API void dot_net_handshake_hash(const struct dot_net *ch,
				    uint8_t h[DOT_NET_HASH_LEN]);
DOT_API void dot_net_stats(const struct dot_net *ch, struct dot_net_stats *s);

/*
 * Cut one frame from the front of a byte stream: DOT_OK with *framelen the
 * whole frame's length, or 0 when more bytes are needed; DOT_ENET_FRAME
 * (context in e) for an unknown type, non-zero flags where none are allowed,
 * or a length outside the type's bounds. A stream with a bad frame cannot be
 * resynchronised: close the connection.
 */
DOT_API DOT_MUST int dot_net_frame_next(const uint8_t *buf, size_t n,
					size_t *framelen, struct dot_err *e);

#endif
