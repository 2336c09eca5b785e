/*
 * channel.c - the Doteros secure channel: frames, the Noise handshakes that
 * open it, transport with explicit counters and a replay window, in-channel
 * rekeying, timers, and the WireGuard-style cookie gate
 * (docs/wire-protocol.md is the byte-level specification; net_int.h the
 * Noise core it builds on).
 *
 * Rules the code keeps everywhere:
 *   - a frame that fails any check is dropped and counted, and changes no
 *     state: handshake messages are tried on a copy of the handshake state,
 *     transport counters enter the replay window only once authenticated;
 *   - no DH is done for a first handshake message without a valid mac1 (and,
 *     under load, mac2): dot_net_gate_check runs first; nor for one whose
 *     KEM the responder refuses (§3.5);
 *   - the KEM is the initiator's proposal, echoed, in the prologue and in
 *     the protocol name: never renegotiated, never a fallback (§3.3, §3.5);
 *     a hybrid channel's rekeys are hybrid too (§6);
 *   - keys are wiped as soon as they are replaced, and all of them on close;
 *     KEM secrets (the e1 secret key, the shared secret, the randomness)
 *     as soon as they are used (net_int.h).
 */
#include <assert.h>
#include <string.h>

#include <sodium.h>

#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/heap.h"
#include "doteros/net.h"
#include "net_int.h"

#define SEC 1000000ull

#define DEF_HANDSHAKE_TIMEOUT (10 * SEC)
#define DEF_IDLE_TIMEOUT (180 * SEC)
#define DEF_KEEPALIVE (15 * SEC)
#define DEF_REKEY_TIME (60 * SEC)
#define DEF_REKEY_MESSAGES (1ull << 20)
#define DEF_OVERLAP (5 * SEC)
#define DEF_MAX_DROPS 32

#define COOKIE_ROTATE (120 * SEC) /* cookie secret lifetime */
#define COOKIE_VALID (120 * SEC)  /* how long an initiator uses a cookie */
#define MAX_COOKIE_REPLIES 4      /* per handshake, then wait for timeout */

#define MAC_LEN 16
#define COOKIE_LEN 16
#define COOKIE_BODY (12 + COOKIE_LEN + 16) /* nonce || AEAD(cookie) */
#define HS_PREFIX 6   /* version, pattern, cipher, kem, kem length (2) */
#define RK_PREFIX 4   /* version, kem, kem length (2) */
#define MAX_HS_PAYLOAD 256
/* The longest Noise handshake message we write: IKhfs's first, 1333 bytes
 * with our 5-byte payload; room for any message a frame can hold. */
#define MAX_HS_MSG DOT_NET_MAX_HS_BODY

#define REPLAY_BLOCKS 32 /* a 2048-bit bitmap (RFC 6479) */
#define REPLAY_WINDOW ((REPLAY_BLOCKS - 1) * 64)

static const char prologue_tag[] = "doteros-channel/1";
static const char rekey_tag[] = "doteros-rekey/1";
static const char mac1_tag[] = "dot-net-v1 mac1";
static const char cookie_tag[] = "dot-net-v1 cookie";

/* ---- small helpers ---- */

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int
all_zero(const uint8_t *p, size_t n)
{
	return sodium_is_zero(p, n);
}

/* key = BLAKE2b-256(tag || cluster id) */
static int
derive_key(uint8_t key[32], const char *tag, const uint8_t *cid)
{
	uint8_t in[32 + DOT_NET_CLUSTER_ID_LEN];
	size_t n = strlen(tag);

	memcpy(in, tag, n);
	memcpy(in + n, cid, DOT_NET_CLUSTER_ID_LEN);
	return dot_blake2b(key, 32, in, n + DOT_NET_CLUSTER_ID_LEN, NULL, 0);
}

/* BLAKE2b-128 keyed MAC */
static int
mac16(uint8_t out[MAC_LEN], const uint8_t *key, size_t keylen,
      const uint8_t *in, size_t n)
{
	return dot_blake2b(out, MAC_LEN, in, n, key, keylen);
}

static int
suite_ok(uint8_t s)
{
	return s == DOT_SUITE_CHACHA20POLY1305 || s == DOT_SUITE_AES256GCM;
}

static int
kem_ok(uint8_t k)
{
	return k == DOT_NET_KEM_NONE || k == DOT_NET_KEM_XWING;
}

/* ---- frame headers ---- */

static int
hdr_check(uint8_t type, uint8_t flags, uint32_t len, struct dot_err *e)
{
	uint32_t lo, hi;

	switch (type) {
	case DOT_NET_F_HS1:
		lo = HS_PREFIX + 32 + 2 * MAC_LEN;
		hi = DOT_NET_MAX_HS_BODY;
		break;
	case DOT_NET_F_HS2:
	case DOT_NET_F_HS3:
		lo = HS_PREFIX + 32 + 16;
		hi = DOT_NET_MAX_HS_BODY;
		break;
	case DOT_NET_F_COOKIE:
		lo = hi = COOKIE_BODY;
		break;
	case DOT_NET_F_REFUSE:
		lo = hi = 1;
		break;
	case DOT_NET_F_DATA:
		lo = DOT_NET_TRANSPORT_OVERHEAD;
		hi = DOT_NET_MAX_BODY;
		break;
	case DOT_NET_F_KEEPALIVE:
		lo = hi = DOT_NET_TRANSPORT_OVERHEAD;
		break;
	case DOT_NET_F_REKEY1:
	case DOT_NET_F_REKEY2:
		lo = DOT_NET_TRANSPORT_OVERHEAD + RK_PREFIX + 32 + 16;
		hi = DOT_NET_TRANSPORT_OVERHEAD + DOT_NET_MAX_HS_BODY;
		break;
	case DOT_NET_F_CLOSE:
		lo = hi = DOT_NET_TRANSPORT_OVERHEAD + 1;
		break;
	default:
		return dot_err_set(e, DOT_ENET_FRAME,
				   "unknown channel frame type 0x%02x", type);
	}
	/* Only transport frames use the flags byte (the key epoch). */
	if (type < DOT_NET_F_DATA && flags != 0)
		return dot_err_set(e, DOT_ENET_FRAME,
				   "frame type 0x%02x with flags 0x%02x", type,
				   flags);
	if (len < lo || len > hi)
		return dot_err_set(e, DOT_ENET_FRAME,
				   "frame type 0x%02x with body length %u "
				   "(allowed %u..%u)",
				   type, (unsigned)len, (unsigned)lo,
				   (unsigned)hi);
	return DOT_OK;
}

int
dot_net_frame_next(const uint8_t *buf, size_t n, size_t *framelen,
		   struct dot_err *e)
{
	uint32_t len;
	int rv;

	*framelen = 0;
	if (n < DOT_NET_HDR_LEN)
		return DOT_OK;
	len = get32(buf + 2);
	rv = hdr_check(buf[0], buf[1], len, e);
	if (rv != DOT_OK)
		return rv;
	if (n - DOT_NET_HDR_LEN < len)
		return DOT_OK;
	*framelen = DOT_NET_HDR_LEN + (size_t)len;
	return DOT_OK;
}

/* A whole single frame: header valid and length exact. */
static int
frame_check(const uint8_t *f, size_t n)
{
	if (n < DOT_NET_HDR_LEN || n > DOT_NET_MAX_FRAME)
		return DOT_ENET_FRAME;
	if (hdr_check(f[0], f[1], get32(f + 2), NULL) != DOT_OK)
		return DOT_ENET_FRAME;
	if (n - DOT_NET_HDR_LEN != get32(f + 2))
		return DOT_ENET_FRAME;
	return DOT_OK;
}

static uint8_t *
frame_start(struct dot_buf *out, uint8_t type, uint8_t flags, size_t body)
{
	uint8_t *p;

	if (dot_buf_reserve(out, DOT_NET_HDR_LEN + body) != DOT_OK)
		return NULL;
	p = out->data + out->len;
	p[0] = type;
	p[1] = flags;
	put32(p + 2, (uint32_t)body);
	return p;
}

/* ---- the cookie gate ---- */

struct dot_net_gate {
	uint8_t mac1_key[32];
	uint8_t cookie_key[32];
	uint8_t secret[32], prev[32];
	uint64_t secret_time;
	int has_secret, has_prev;
	int under_load;
	dot_net_rand_fn rand;
	void *rand_ctx;
};

int
dot_net_gate_new(struct dot_net_gate **gp,
		 const uint8_t cluster_id[DOT_NET_CLUSTER_ID_LEN],
		 dot_net_rand_fn rand, void *rand_ctx)
{
	struct dot_net_gate *g;
	int rv;

	*gp = NULL;
	if (rand == NULL)
		return DOT_EINVAL;
	g = dot_calloc(1, sizeof(*g));
	if (g == NULL)
		return DOT_ENOMEM;
	g->rand = rand;
	g->rand_ctx = rand_ctx;
	rv = derive_key(g->mac1_key, mac1_tag, cluster_id);
	if (rv == DOT_OK)
		rv = derive_key(g->cookie_key, cookie_tag, cluster_id);
	if (rv != DOT_OK) {
		dot_net_gate_free(g);
		return rv;
	}
	*gp = g;
	return DOT_OK;
}

void
dot_net_gate_free(struct dot_net_gate *g)
{
	if (g == NULL)
		return;
	sodium_memzero(g, sizeof(*g));
	dot_free(g);
}

void
dot_net_gate_set_load(struct dot_net_gate *g, int under_load)
{
	g->under_load = under_load ? 1 : 0;
}

static void
gate_rotate(struct dot_net_gate *g, uint64_t now)
{
	if (g->has_secret && now - g->secret_time < COOKIE_ROTATE)
		return;
	/* The previous secret stays valid for one more period only. */
	if (g->has_secret && now - g->secret_time < 2 * COOKIE_ROTATE) {
		memcpy(g->prev, g->secret, 32);
		g->has_prev = 1;
	} else {
		sodium_memzero(g->prev, 32);
		g->has_prev = 0;
	}
	g->rand(g->rand_ctx, g->secret, 32);
	g->has_secret = 1;
	g->secret_time = now;
}

static int
cookie_for(uint8_t cookie[COOKIE_LEN], const uint8_t secret[32],
	   const uint8_t *src, size_t srclen)
{
	return mac16(cookie, secret, 32, src, srclen);
}

int
dot_net_gate_check(struct dot_net_gate *g, uint64_t now, const uint8_t *src,
		   size_t srclen, const uint8_t *f, size_t n,
		   struct dot_buf *out)
{
	uint8_t mac[MAC_LEN], cookie[COOKIE_LEN], *p;
	const uint8_t *mac1, *mac2;
	int rv;

	if (srclen > DOT_NET_MAX_SRC || (srclen && src == NULL))
		return DOT_EINVAL;
	if (frame_check(f, n) != DOT_OK || f[0] != DOT_NET_F_HS1)
		return DOT_ENET_FRAME;
	mac1 = f + n - 2 * MAC_LEN;
	mac2 = f + n - MAC_LEN;
	/* mac1: the sender knows the cluster id. Checked before anything. */
	rv = mac16(mac, g->mac1_key, 32, f, n - 2 * MAC_LEN);
	if (rv != DOT_OK)
		return rv;
	if (sodium_memcmp(mac, mac1, MAC_LEN) != 0)
		return DOT_ENET_MAC;
	gate_rotate(g, now);
	/* mac2 is all zero (no cookie) or valid under a live secret. */
	if (!all_zero(mac2, MAC_LEN)) {
		for (int i = 0; i < 2; i++) {
			if (i == 1 && !g->has_prev)
				break;
			rv = cookie_for(cookie, i ? g->prev : g->secret, src,
					srclen);
			if (rv == DOT_OK)
				rv = mac16(mac, cookie, COOKIE_LEN, f,
					   n - MAC_LEN);
			sodium_memzero(cookie, sizeof(cookie));
			if (rv != DOT_OK)
				return rv;
			if (sodium_memcmp(mac, mac2, MAC_LEN) == 0)
				return DOT_OK;
		}
		if (!g->under_load)
			return DOT_ENET_MAC;
	} else if (!g->under_load) {
		return DOT_OK;
	}
	/* Under load and no valid mac2: a cookie reply, no DH. */
	if (out == NULL)
		return DOT_ENET_COOKIE;
	p = frame_start(out, DOT_NET_F_COOKIE, 0, COOKIE_BODY);
	if (p == NULL)
		return DOT_ENOMEM;
	g->rand(g->rand_ctx, p + DOT_NET_HDR_LEN, 12);
	rv = cookie_for(cookie, g->secret, src, srclen);
	if (rv == DOT_OK)
		rv = dot_aead_encrypt(DOT_SUITE_CHACHA20POLY1305,
				      g->cookie_key, p + DOT_NET_HDR_LEN, mac1,
				      MAC_LEN, cookie, COOKIE_LEN,
				      p + DOT_NET_HDR_LEN + 12);
	sodium_memzero(cookie, sizeof(cookie));
	if (rv != DOT_OK)
		return rv;
	out->len += DOT_NET_HDR_LEN + COOKIE_BODY;
	return DOT_ENET_COOKIE;
}

/* ---- the channel ---- */

struct replay {
	uint64_t top;
	uint64_t bits[REPLAY_BLOCKS];
	int any;
};

struct keys {
	struct noise_cipher send, recv;
	struct replay rp;
	uint8_t h[NOISE_HASHLEN]; /* the handshake hash that made them */
	uint64_t born;
	uint8_t epoch;
	uint8_t valid;
	/* The peer has sent under these keys. A responder's keys from a
	 * rekey are unconfirmed until then: it receives under them but goes
	 * on sending under the previous ones (docs/wire-protocol.md §6). */
	uint8_t confirmed;
};

enum phase { WAIT_HS1 = 1, WAIT_HS2, WAIT_HS3, OPEN };

struct dot_net {
	struct dot_net_config cfg;
	uint8_t rstatic[32];
	uint8_t src[DOT_NET_MAX_SRC];
	uint8_t mac1_key[32], cookie_key[32];
	int state, phase, close_reason, pattern;
	uint8_t cipher;
	uint8_t kem; /* DOT_NET_KEM_NONE or DOT_NET_KEM_XWING (§3.5) */
	uint64_t created, last_recv, last_send;
	uint64_t reject_after_messages, reject_after_time;

	struct noise_hs hs;
	/* initiator: its HS1 frame, resent with mac2 after a cookie */
	uint8_t hs1[DOT_NET_HDR_LEN + DOT_NET_MAX_HS_BODY];
	size_t hs1_len;
	uint8_t cookie[COOKIE_LEN];
	uint64_t cookie_time;
	int has_cookie;
	unsigned cookie_replies;

	struct dot_net_peer peer;
	uint8_t hhash[NOISE_HASHLEN];
	struct keys cur, prev;
	uint64_t prev_expire; /* UINT64_MAX while cur is unconfirmed */
	int confirmed; /* an authenticated frame from the peer arrived */
	struct noise_hs rk; /* rekey handshake in flight (initiator) */
	int rekey_pending;
	uint64_t rekey_started; /* this attempt; a new one after the timeout */

	struct dot_net_stats st;
};

static void
keys_wipe(struct keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

static void
wipe_secrets(struct dot_net *ch)
{
	keys_wipe(&ch->cur);
	keys_wipe(&ch->prev);
	noise_wipe(&ch->hs, sizeof(ch->hs));
	noise_wipe(&ch->rk, sizeof(ch->rk));
	noise_wipe(ch->cfg.static_sk, sizeof(ch->cfg.static_sk));
	noise_wipe(ch->cookie, sizeof(ch->cookie));
}

static void
close_ch(struct dot_net *ch, int reason, struct dot_net_io *io)
{
	if (ch->state == DOT_NET_S_CLOSED)
		return;
	ch->state = DOT_NET_S_CLOSED;
	ch->close_reason = reason;
	io->events |= DOT_NET_EV_CLOSED;
	wipe_secrets(ch);
}

/* A clear REFUSE frame (handshake phase only), then close. */
static int
refuse(struct dot_net *ch, int err, uint8_t reason, struct dot_net_io *io)
{
	uint8_t *p = frame_start(&io->out, DOT_NET_F_REFUSE, 0, 1);

	if (p != NULL) {
		p[DOT_NET_HDR_LEN] = reason;
		io->out.len += DOT_NET_HDR_LEN + 1;
	}
	close_ch(ch, err, io);
	return err;
}

static int
drop(struct dot_net *ch, int err, struct dot_net_io *io)
{
	ch->st.drops++;
	io->events |= DOT_NET_EV_DROPPED;
	if (ch->st.drops >= ch->cfg.max_drops)
		close_ch(ch, DOT_ENET_TOO_MANY_DROPS, io);
	return err;
}

/* §3.2: "doteros-channel/1" || cluster id || version || cipher || kem */
static size_t
make_prologue(uint8_t *out, const uint8_t *cid, uint8_t cipher, uint8_t kem)
{
	size_t n = strlen(prologue_tag);

	memcpy(out, prologue_tag, n);
	memcpy(out + n, cid, DOT_NET_CLUSTER_ID_LEN);
	n += DOT_NET_CLUSTER_ID_LEN;
	out[n++] = DOT_NET_VERSION;
	out[n++] = cipher;
	out[n++] = kem;
	return n;
}

/* §6: "doteros-rekey/1" || cluster id || version || cipher || kem || h */
static size_t
make_rekey_prologue(uint8_t *out, const uint8_t *cid, uint8_t cipher,
		    uint8_t kem, const uint8_t h[NOISE_HASHLEN])
{
	size_t n = strlen(rekey_tag);

	memcpy(out, rekey_tag, n);
	memcpy(out + n, cid, DOT_NET_CLUSTER_ID_LEN);
	n += DOT_NET_CLUSTER_ID_LEN;
	out[n++] = DOT_NET_VERSION;
	out[n++] = cipher;
	out[n++] = kem;
	memcpy(out + n, h, NOISE_HASHLEN);
	return n + NOISE_HASHLEN;
}

static int
hs_init(struct noise_hs *hs, int pattern, uint8_t kem, uint8_t cipher,
	int initiator, const uint8_t *prologue, size_t plen,
	const uint8_t *s_sk, const uint8_t *rs)
{
	return noise_hs_init_kem(hs, pattern == DOT_NET_IK ? NOISE_IK
							   : NOISE_XX,
				 kem, cipher, initiator, prologue, plen, s_sk,
				 rs);
}

/* The handshake payload: {1: version, 2: role} (docs/wire-protocol.md §4). */
static int
payload_encode(int role, uint8_t *out, size_t cap, size_t *n)
{
	struct dot_buf b = {0};
	int rv;

	dot_enc_map(&b, 2);
	dot_enc_uint(&b, 1);
	dot_enc_uint(&b, DOT_NET_VERSION);
	dot_enc_uint(&b, 2);
	dot_enc_uint(&b, (uint64_t)role);
	rv = b.err;
	if (rv == DOT_OK && b.len > cap)
		rv = DOT_ETOOBIG;
	if (rv == DOT_OK) {
		memcpy(out, b.data, b.len);
		*n = b.len;
	}
	dot_buf_free(&b);
	return rv;
}

static int
payload_decode(const uint8_t *p, size_t n, int *role)
{
	static const struct dot_codec_limits lim = {
		.max_depth = 2, .max_str = 64, .max_items = 8};
	struct dot_dec d;
	uint64_t count, k, v;

	if (dot_dec_init(&d, p, n, &lim, NULL) != DOT_OK ||
	    dot_dec_map(&d, &count) != DOT_OK || count != 2)
		return DOT_ENET_PAYLOAD;
	if (dot_dec_uint(&d, &k) != DOT_OK || k != 1 ||
	    dot_dec_uint(&d, &v) != DOT_OK)
		return DOT_ENET_PAYLOAD;
	if (v != DOT_NET_VERSION)
		return DOT_ENET_VERSION;
	if (dot_dec_uint(&d, &k) != DOT_OK || k != 2 ||
	    dot_dec_uint(&d, &v) != DOT_OK ||
	    (v != DOT_NET_NODE && v != DOT_NET_ACCOUNT) || !dot_dec_done(&d))
		return DOT_ENET_PAYLOAD;
	*role = (int)v;
	return DOT_OK;
}

/* The randomness of the next message we write: its X25519 ephemeral key
 * and, in a hybrid handshake, its e1 or ekem1 (64 bytes). */
static void
draw_ephemeral(struct dot_net *ch, struct noise_hs *hs)
{
	uint8_t seed[32], kseed[NOISE_KEM_SEEDLEN];

	ch->cfg.rand(ch->cfg.rand_ctx, seed, sizeof(seed));
	noise_hs_set_ephemeral(hs, seed);
	sodium_memzero(seed, sizeof(seed));
	if (hs->kem != NOISE_KEM_NONE) {
		ch->cfg.rand(ch->cfg.rand_ctx, kseed, sizeof(kseed));
		noise_hs_set_kem_seed(hs, kseed);
		sodium_memzero(kseed, sizeof(kseed));
	}
}

/* Try a handshake read on a copy; keep the copy only if it succeeds. */
static int
hs_read_copy(struct dot_net *ch, struct noise_hs *hs, const uint8_t *msg,
	     size_t mlen, uint8_t *payload, size_t *plen)
{
	struct noise_hs tmp = *hs;
	int rv = noise_hs_read(&tmp, msg, mlen, payload, MAX_HS_PAYLOAD, plen);

	ch->st.dh += tmp.dh_count - hs->dh_count;
	ch->st.kem += tmp.kem_count - hs->kem_count;
	if (rv == DOT_OK)
		*hs = tmp;
	noise_wipe(&tmp, sizeof(tmp));
	return rv;
}

static int
hs_write(struct dot_net *ch, struct noise_hs *hs, const uint8_t *payload,
	 size_t plen, uint8_t *out, size_t cap, size_t *outlen)
{
	unsigned before = hs->dh_count, kbefore = hs->kem_count;
	int rv = noise_hs_write(hs, payload, plen, out, cap, outlen);

	ch->st.dh += hs->dh_count - before;
	ch->st.kem += hs->kem_count - kbefore;
	return rv;
}

/* Ask accept() about the peer's static key; fills ch->peer. */
static int
authorize(struct dot_net *ch, const uint8_t rs[32], int claimed)
{
	char account[DOT_NET_MAX_NAME + 1];
	int verdict;

	memset(account, 0, sizeof(account));
	verdict = ch->cfg.accept(ch->cfg.accept_ctx, rs, account);
	if (verdict != DOT_NET_NODE && verdict != DOT_NET_ACCOUNT)
		return DOT_ENET_REFUSED;
	if (verdict != claimed)
		return DOT_ENET_ROLE;
	account[DOT_NET_MAX_NAME] = '\0';
	memcpy(ch->peer.static_pk, rs, 32);
	ch->peer.role = verdict;
	if (verdict == DOT_NET_ACCOUNT)
		memcpy(ch->peer.account, account, sizeof(account));
	else
		memset(ch->peer.account, 0, sizeof(ch->peer.account));
	return DOT_OK;
}

/* Split the finished handshake into the first transport keys. */
static int
establish(struct dot_net *ch, uint64_t now, struct dot_net_io *io)
{
	struct noise_cipher c1, c2;
	int rv;

	memcpy(ch->hhash, ch->hs.ss.h, NOISE_HASHLEN);
	rv = noise_hs_split(&ch->hs, &c1, &c2);
	if (rv != DOT_OK)
		return rv;
	keys_wipe(&ch->cur);
	ch->cur.send = ch->cfg.initiator ? c1 : c2;
	ch->cur.recv = ch->cfg.initiator ? c2 : c1;
	memcpy(ch->cur.h, ch->hhash, NOISE_HASHLEN);
	ch->cur.born = now;
	ch->cur.epoch = 0;
	ch->cur.valid = 1;
	ch->cur.confirmed = 1; /* nothing older to fall back on */
	noise_wipe(&c1, sizeof(c1));
	noise_wipe(&c2, sizeof(c2));
	noise_wipe(&ch->hs, sizeof(ch->hs));
	ch->state = DOT_NET_S_ESTABLISHED;
	ch->phase = OPEN;
	ch->last_recv = ch->last_send = now;
	io->events |= DOT_NET_EV_ESTABLISHED;
	return DOT_OK;
}

/* Append a handshake frame: prefix, Noise message [, mac1, mac2]. */
static int
hs_frame(struct dot_net *ch, uint8_t type, const uint8_t *msg, size_t mlen,
	 struct dot_buf *out, uint8_t **framep)
{
	size_t body = HS_PREFIX + mlen + (type == DOT_NET_F_HS1 ? 2 * MAC_LEN : 0);
	uint8_t *p;

	if (body > DOT_NET_MAX_HS_BODY)
		return DOT_ETOOBIG;
	p = frame_start(out, type, 0, body);
	if (p == NULL)
		return DOT_ENOMEM;
	p[6] = DOT_NET_VERSION;
	p[7] = (uint8_t)ch->pattern;
	p[8] = ch->cipher;
	p[9] = ch->kem;
	/* The kem field is empty: e1 and ekem1 are tokens of the Noise
	 * message (§3.5). */
	p[10] = p[11] = 0;
	memcpy(p + DOT_NET_HDR_LEN + HS_PREFIX, msg, mlen);
	if (type == DOT_NET_F_HS1) {
		size_t n = DOT_NET_HDR_LEN + body;
		int rv = mac16(p + n - 2 * MAC_LEN, ch->mac1_key, 32, p,
			       n - 2 * MAC_LEN);
		if (rv != DOT_OK)
			return rv;
		memset(p + n - MAC_LEN, 0, MAC_LEN);
	}
	if (framep)
		*framep = p;
	out->len += DOT_NET_HDR_LEN + body;
	return DOT_OK;
}

/* Set HS1's mac2 from the cookie, if one is fresh (zero otherwise). */
static int
hs1_set_mac2(struct dot_net *ch, uint64_t now)
{
	uint8_t *mac2 = ch->hs1 + ch->hs1_len - MAC_LEN;

	if (!ch->has_cookie || now - ch->cookie_time >= COOKIE_VALID) {
		memset(mac2, 0, MAC_LEN);
		return DOT_OK;
	}
	return mac16(mac2, ch->cookie, COOKIE_LEN, ch->hs1,
		     ch->hs1_len - MAC_LEN);
}

int
dot_net_new(struct dot_net **chp, const struct dot_net_config *cfg,
	    uint64_t now, struct dot_net_io *io)
{
	struct dot_net *ch;
	uint8_t prologue[64], payload[MAX_HS_PAYLOAD], msg[MAX_HS_MSG], *frame;
	size_t plen = 0, mlen, n;
	int rv;

	*chp = NULL;
	if (cfg == NULL || cfg->rand == NULL || cfg->accept == NULL ||
	    (cfg->role != DOT_NET_NODE && cfg->role != DOT_NET_ACCOUNT))
		return DOT_EINVAL;
	if (!cfg->initiator &&
	    (cfg->gate == NULL || cfg->srclen > DOT_NET_MAX_SRC ||
	     (cfg->srclen && cfg->src == NULL)))
		return DOT_EINVAL;
	if (cfg->cipher != 0 && !suite_ok(cfg->cipher))
		return DOT_ECRYPTO_SUITE;
	if (cfg->cipher != 0 && !dot_aead_available(cfg->cipher))
		return DOT_ECRYPTO_UNAVAILABLE;
	ch = dot_calloc(1, sizeof(*ch));
	if (ch == NULL)
		return DOT_ENOMEM;
	ch->cfg = *cfg;
	ch->cfg.remote_static = NULL;
	ch->cfg.src = NULL;
	if (!cfg->initiator && cfg->srclen)
		memcpy(ch->src, cfg->src, cfg->srclen);
#define DEF(f, v)                                                              \
	if (ch->cfg.f == 0)                                                    \
		ch->cfg.f = (v);
	DEF(handshake_timeout, DEF_HANDSHAKE_TIMEOUT)
	DEF(idle_timeout, DEF_IDLE_TIMEOUT)
	DEF(keepalive_interval, DEF_KEEPALIVE)
	DEF(rekey_after_time, DEF_REKEY_TIME)
	DEF(rekey_after_messages, DEF_REKEY_MESSAGES)
	DEF(key_overlap, DEF_OVERLAP)
	DEF(max_drops, DEF_MAX_DROPS)
#undef DEF
	/* Hard limits: past these the keys are not used at all. */
	ch->reject_after_messages = 2 * ch->cfg.rekey_after_messages;
	ch->reject_after_time = 3 * ch->cfg.rekey_after_time;
	ch->state = DOT_NET_S_HANDSHAKE;
	ch->created = now;
	rv = derive_key(ch->mac1_key, mac1_tag, cfg->cluster_id);
	if (rv == DOT_OK)
		rv = derive_key(ch->cookie_key, cookie_tag, cfg->cluster_id);
	if (rv != DOT_OK)
		goto fail;
	if (!cfg->initiator) {
		ch->phase = WAIT_HS1;
		*chp = ch;
		return DOT_OK;
	}

	/* Initiator: propose a cipher and a KEM and send HS1 (docs §3.1). */
	ch->cipher = cfg->cipher ? cfg->cipher : dot_aead_preferred();
	ch->kem = cfg->classic ? DOT_NET_KEM_NONE : DOT_NET_KEM_XWING;
	ch->pattern = cfg->remote_static ? DOT_NET_IK : DOT_NET_XX;
	if (cfg->remote_static)
		memcpy(ch->rstatic, cfg->remote_static, 32);
	n = make_prologue(prologue, cfg->cluster_id, ch->cipher, ch->kem);
	rv = hs_init(&ch->hs, ch->pattern, ch->kem, ch->cipher, 1, prologue, n,
		     cfg->static_sk, cfg->remote_static ? ch->rstatic : NULL);
	if (rv != DOT_OK)
		goto fail;
	/* XX's first message goes out before any key: empty payload. */
	if (ch->pattern == DOT_NET_IK) {
		rv = payload_encode(cfg->role, payload, sizeof(payload), &plen);
		if (rv != DOT_OK)
			goto fail;
	}
	draw_ephemeral(ch, &ch->hs);
	rv = hs_write(ch, &ch->hs, payload, plen, msg, sizeof(msg), &mlen);
	if (rv != DOT_OK)
		goto fail;
	{
		struct dot_buf tmp = {0};
		rv = hs_frame(ch, DOT_NET_F_HS1, msg, mlen, &tmp, &frame);
		if (rv == DOT_OK) {
			memcpy(ch->hs1, tmp.data, tmp.len);
			ch->hs1_len = tmp.len;
		}
		dot_buf_free(&tmp);
		if (rv != DOT_OK)
			goto fail;
	}
	dot_buf_put(&io->out, ch->hs1, ch->hs1_len);
	if (io->out.err) {
		rv = io->out.err;
		goto fail;
	}
	ch->phase = WAIT_HS2;
	*chp = ch;
	return DOT_OK;
fail:
	dot_net_free(ch);
	return rv;
}

void
dot_net_free(struct dot_net *ch)
{
	if (ch == NULL)
		return;
	sodium_memzero(ch, sizeof(*ch));
	dot_free(ch);
}

/* ---- transport ---- */

static int
replay_check(const struct replay *r, uint64_t c)
{
	if (!r->any || c > r->top)
		return DOT_OK;
	if (r->top - c >= REPLAY_WINDOW)
		return DOT_ENET_REPLAY; /* too old */
	if (r->bits[(c >> 6) % REPLAY_BLOCKS] & (1ull << (c & 63)))
		return DOT_ENET_REPLAY;
	return DOT_OK;
}

static void
replay_update(struct replay *r, uint64_t c)
{
	uint64_t idx = c >> 6;

	if (!r->any) {
		memset(r->bits, 0, sizeof(r->bits));
		r->any = 1;
		r->top = c;
	} else if (c > r->top) {
		uint64_t cur = r->top >> 6, d = idx - cur;
		if (d > REPLAY_BLOCKS)
			d = REPLAY_BLOCKS;
		for (uint64_t i = 1; i <= d; i++)
			r->bits[(cur + i) % REPLAY_BLOCKS] = 0;
		r->top = c;
	}
	r->bits[idx % REPLAY_BLOCKS] |= 1ull << (c & 63);
}

/*
 * The keys we send under: the current ones, except on a responder whose
 * current keys come from a rekey the initiator has not confirmed yet; it
 * goes on with the previous ones, which the initiator surely has
 * (docs/wire-protocol.md §6).
 */
static struct keys *
send_keys(struct dot_net *ch)
{
	if (!ch->cur.confirmed && ch->prev.valid)
		return &ch->prev;
	return &ch->cur;
}

/* Seal one transport frame of a type under the sending keys. */
static int
seal(struct dot_net *ch, uint64_t now, uint8_t type, const uint8_t *pt,
     size_t n, struct dot_net_io *io)
{
	struct keys *k = send_keys(ch);
	size_t body = DOT_NET_TRANSPORT_OVERHEAD + n;
	uint64_t ctr = k->send.n;
	uint8_t *p;
	int rv;

	if (ctr >= ch->reject_after_messages || ctr == UINT64_MAX)
		return DOT_ENET_KEYS_EXHAUSTED;
	p = frame_start(&io->out, type, k->epoch, body);
	if (p == NULL)
		return DOT_ENOMEM;
	put64(p + DOT_NET_HDR_LEN, ctr);
	/* SetNonce(counter), EncryptWithAd(header || counter, pt) (§5.1) */
	rv = noise_encrypt(&k->send, p, DOT_NET_HDR_LEN + 8, pt, n,
			   p + DOT_NET_HDR_LEN + 8);
	if (rv != DOT_OK)
		return rv;
	io->out.len += DOT_NET_HDR_LEN + body;
	ch->st.sent++;
	ch->last_send = now;
	return DOT_OK;
}

/* The old keys' send key goes; their receive key stays for key_overlap. */
static void
retire_prev(struct dot_net *ch, uint64_t now)
{
	noise_wipe(&ch->prev.send, sizeof(ch->prev.send));
	ch->prev_expire = now + ch->cfg.key_overlap;
}

/*
 * Install freshly split keys made on the keys `base` (docs/wire-protocol.md
 * §6). base is the current keys, which become the previous ones; or, on a
 * responder answering a retried REKEY1, the previous keys, and the
 * unconfirmed current keys of the earlier answer are dropped. The
 * initiator sends under the new keys at once (they are confirmed: REKEY2
 * came under the old ones); a responder only once the initiator has sent
 * under them.
 */
static void
install_keys(struct dot_net *ch, uint64_t now, const struct keys *base,
	     struct noise_cipher *send, struct noise_cipher *recv,
	     const uint8_t h[NOISE_HASHLEN], struct dot_net_io *io)
{
	if (base == &ch->cur) {
		keys_wipe(&ch->prev);
		ch->prev = ch->cur;
		ch->prev.valid = 1;
	}
	keys_wipe(&ch->cur);
	ch->cur.send = *send;
	ch->cur.recv = *recv;
	memcpy(ch->cur.h, h, NOISE_HASHLEN);
	ch->cur.born = now;
	ch->cur.epoch = (uint8_t)(ch->prev.epoch + 1);
	ch->cur.valid = 1;
	ch->cur.confirmed = ch->cfg.initiator ? 1 : 0;
	if (ch->cfg.initiator)
		retire_prev(ch, now);
	else
		ch->prev_expire = UINT64_MAX; /* until confirmed */
	ch->st.rekeys++;
	ch->st.epoch = ch->cur.epoch;
	io->events |= DOT_NET_EV_REKEYED;
}

/* Rekey message body: version, KEM id, KEM length (2), Noise message. The
 * rekey handshake is IK, or IKhfs with the channel's KEM (§6). */
static int
rekey_start(struct dot_net *ch, uint64_t now, struct dot_net_io *io)
{
	uint8_t prologue[128], body[DOT_NET_MAX_HS_BODY];
	size_t n, mlen;
	int rv;

	n = make_rekey_prologue(prologue, ch->cfg.cluster_id, ch->cipher,
				ch->kem, ch->cur.h);
	rv = hs_init(&ch->rk, DOT_NET_IK, ch->kem, ch->cipher, 1, prologue, n,
		     ch->cfg.static_sk, ch->peer.static_pk);
	if (rv != DOT_OK)
		return rv;
	draw_ephemeral(ch, &ch->rk);
	rv = hs_write(ch, &ch->rk, NULL, 0, body + RK_PREFIX,
		      sizeof(body) - RK_PREFIX, &mlen);
	if (rv != DOT_OK)
		return rv;
	body[0] = DOT_NET_VERSION;
	body[1] = ch->kem;
	body[2] = body[3] = 0;
	rv = seal(ch, now, DOT_NET_F_REKEY1, body, RK_PREFIX + mlen, io);
	if (rv != DOT_OK)
		return rv;
	ch->rekey_pending = 1;
	ch->rekey_started = now;
	return DOT_OK;
}

/* A rekey body's prefix: this version, the channel's KEM, an empty kem
 * field. (Authenticated: a mismatch is the peer's protocol violation.) */
static int
rekey_body_check(const struct dot_net *ch, const uint8_t *pt, size_t n)
{
	if (n < RK_PREFIX || pt[0] != DOT_NET_VERSION)
		return DOT_ENET_VERSION;
	if (pt[1] != ch->kem || pt[2] != 0 || pt[3] != 0)
		return DOT_ENET_KEM;
	return DOT_OK;
}

/* Responder: REKEY1 (under base) in, REKEY2 out, new keys. */
static int
rekey_answer(struct dot_net *ch, uint64_t now, const struct keys *base,
	     const uint8_t *pt, size_t n, struct dot_net_io *io)
{
	struct noise_hs hs;
	struct noise_cipher c1, c2;
	uint8_t prologue[128], body[DOT_NET_MAX_HS_BODY];
	uint8_t payload[MAX_HS_PAYLOAD];
	size_t pn, plen, mlen;
	int rv;

	rv = rekey_body_check(ch, pt, n);
	if (rv != DOT_OK)
		return rv;
	pn = make_rekey_prologue(prologue, ch->cfg.cluster_id, ch->cipher,
				 ch->kem, base->h);
	rv = hs_init(&hs, DOT_NET_IK, ch->kem, ch->cipher, 0, prologue, pn,
		     ch->cfg.static_sk, NULL);
	if (rv != DOT_OK)
		goto out;
	rv = hs_read_copy(ch, &hs, pt + RK_PREFIX, n - RK_PREFIX, payload,
			  &plen);
	if (rv != DOT_OK) {
		rv = DOT_ENET_HANDSHAKE;
		goto out;
	}
	/* The static key cannot change inside a channel. */
	if (sodium_memcmp(hs.rs, ch->peer.static_pk, 32) != 0) {
		rv = DOT_ENET_REFUSED;
		goto out;
	}
	if (plen != 0) {
		rv = DOT_ENET_PAYLOAD;
		goto out;
	}
	draw_ephemeral(ch, &hs);
	rv = hs_write(ch, &hs, NULL, 0, body + RK_PREFIX,
		      sizeof(body) - RK_PREFIX, &mlen);
	if (rv != DOT_OK)
		goto out;
	body[0] = DOT_NET_VERSION;
	body[1] = ch->kem;
	body[2] = body[3] = 0;
	/* REKEY2 goes out under the old keys (base is the sending keys). */
	assert(base == send_keys(ch));
	rv = seal(ch, now, DOT_NET_F_REKEY2, body, RK_PREFIX + mlen, io);
	if (rv != DOT_OK)
		goto out;
	memcpy(prologue, hs.ss.h, NOISE_HASHLEN);
	rv = noise_hs_split(&hs, &c1, &c2);
	if (rv == DOT_OK)
		install_keys(ch, now, base, &c2, &c1, prologue, io);
	noise_wipe(&c1, sizeof(c1));
	noise_wipe(&c2, sizeof(c2));
out:
	noise_wipe(&hs, sizeof(hs));
	return rv;
}

/* Initiator: REKEY2 in, new keys. */
static int
rekey_finish(struct dot_net *ch, uint64_t now, const uint8_t *pt, size_t n,
	     struct dot_net_io *io)
{
	struct noise_cipher c1, c2;
	uint8_t payload[MAX_HS_PAYLOAD], h[NOISE_HASHLEN];
	size_t plen;
	int rv;

	if (!ch->rekey_pending)
		return DOT_ENET_STATE;
	rv = rekey_body_check(ch, pt, n);
	if (rv != DOT_OK)
		return rv;
	rv = hs_read_copy(ch, &ch->rk, pt + RK_PREFIX, n - RK_PREFIX, payload,
			  &plen);
	if (rv != DOT_OK)
		return DOT_ENET_HANDSHAKE;
	if (plen != 0)
		return DOT_ENET_PAYLOAD;
	memcpy(h, ch->rk.ss.h, NOISE_HASHLEN);
	rv = noise_hs_split(&ch->rk, &c1, &c2);
	if (rv == DOT_OK)
		install_keys(ch, now, &ch->cur, &c1, &c2, h, io);
	noise_wipe(&c1, sizeof(c1));
	noise_wipe(&c2, sizeof(c2));
	noise_wipe(&ch->rk, sizeof(ch->rk));
	ch->rekey_pending = 0;
	/* Confirm at once: the responder sends under the new keys only
	 * once we have (§6). Best effort: any later frame confirms too. */
	if (rv == DOT_OK &&
	    seal(ch, now, DOT_NET_F_KEEPALIVE, NULL, 0, io) != DOT_OK)
		(void)0;
	return rv;
}

/* The initiator rekeys on age or on message count in either direction. */
static int
rekey_due(const struct dot_net *ch, uint64_t now)
{
	const struct keys *k = &ch->cur;

	if (!ch->cfg.initiator || ch->state != DOT_NET_S_ESTABLISHED ||
	    ch->rekey_pending)
		return 0;
	return now - k->born >= ch->cfg.rekey_after_time ||
	       k->send.n >= ch->cfg.rekey_after_messages ||
	       (k->rp.any && k->rp.top + 1 >= ch->cfg.rekey_after_messages);
}

static int
after(struct dot_net *ch, uint64_t now, struct dot_net_io *io)
{
	int rv;

	if (!rekey_due(ch, now))
		return DOT_OK;
	rv = rekey_start(ch, now, io);
	if (rv != DOT_OK && rv != DOT_ENET_KEYS_EXHAUSTED)
		close_ch(ch, rv, io);
	return rv;
}

static void
close_with(struct dot_net *ch, uint64_t now, int err, uint8_t reason,
	   struct dot_net_io *io)
{
	if (ch->state == DOT_NET_S_ESTABLISHED) {
		/* best effort: the keys may be spent */
		if (seal(ch, now, DOT_NET_F_CLOSE, &reason, 1, io) != DOT_OK)
			(void)0;
	}
	close_ch(ch, err, io);
}

/*
 * Timers, run first by every call. A rekey that goes unanswered is tried
 * again every handshake_timeout with a fresh ephemeral key, under the keys
 * in use; those keys are never used past reject_after_time, whatever
 * happened to the rekey: the channel closes then (docs/wire-protocol.md
 * §6), with a CLOSE under the keys the peer is sure to have.
 */
static void
timers(struct dot_net *ch, uint64_t now, struct dot_net_io *io)
{
	int rv;

	if (ch->state == DOT_NET_S_HANDSHAKE) {
		if (now - ch->created >= ch->cfg.handshake_timeout)
			close_ch(ch, DOT_ENET_HANDSHAKE_TIMEOUT, io);
		return;
	}
	if (ch->state != DOT_NET_S_ESTABLISHED)
		return;
	if (ch->prev.valid && now >= ch->prev_expire)
		keys_wipe(&ch->prev);
	if (now - ch->last_recv >= ch->cfg.idle_timeout) {
		close_with(ch, now, DOT_ENET_IDLE_TIMEOUT, DOT_NET_R_TIMEOUT,
			   io);
		return;
	}
	if (now - send_keys(ch)->born >= ch->reject_after_time) {
		close_with(ch, now, DOT_ENET_KEYS_EXHAUSTED, DOT_NET_R_TIMEOUT,
			   io);
		return;
	}
	if (ch->rekey_pending &&
	    now - ch->rekey_started >= ch->cfg.handshake_timeout) {
		/* Lost, ignored, or its answer lost: a new attempt. */
		ch->rekey_pending = 0;
		noise_wipe(&ch->rk, sizeof(ch->rk));
		rv = rekey_start(ch, now, io);
		if (rv != DOT_OK && rv != DOT_ENET_KEYS_EXHAUSTED)
			close_ch(ch, rv, io);
	}
}

static int
transport_in(struct dot_net *ch, uint64_t now, const uint8_t *f, size_t n,
	     struct dot_net_io *io)
{
	uint8_t type = f[0], small[DOT_NET_MAX_HS_BODY + 64];
	const uint8_t *ct = f + DOT_NET_HDR_LEN + 8;
	size_t ctlen = n - DOT_NET_HDR_LEN - 8, ptlen = ctlen - 16;
	uint64_t ctr = get64(f + DOT_NET_HDR_LEN);
	struct keys *k;
	uint8_t *pt;
	int rv;

	if (ch->state != DOT_NET_S_ESTABLISHED)
		return drop(ch, DOT_ENET_STATE, io);
	if (f[1] == ch->cur.epoch && ch->cur.valid)
		k = &ch->cur;
	else if (ch->prev.valid && f[1] == ch->prev.epoch)
		k = &ch->prev;
	else
		return drop(ch, DOT_ENET_EPOCH, io);
	if (ctr == UINT64_MAX)
		return drop(ch, DOT_ENET_REPLAY, io);
	rv = replay_check(&k->rp, ctr);
	if (rv != DOT_OK)
		return drop(ch, rv, io);
	if (type == DOT_NET_F_DATA) {
		/* at least a byte, so an empty message has a buffer too */
		if (dot_buf_reserve(&io->data, ptlen + 1) != DOT_OK)
			return DOT_ENOMEM;
		pt = io->data.data + io->data.len;
	} else {
		if (ptlen > sizeof(small))
			return drop(ch, DOT_ENET_FRAME, io);
		pt = small;
	}
	/* SetNonce(counter), DecryptWithAd(header || counter, ct) (§5.1) */
	k->recv.n = ctr;
	rv = noise_decrypt(&k->recv, f, DOT_NET_HDR_LEN + 8, ct, ctlen, pt);
	if (rv != DOT_OK)
		return drop(ch, DOT_ENET_AUTH, io);
	replay_update(&k->rp, ctr);
	ch->confirmed = 1;
	if (k == &ch->cur && !k->confirmed) {
		/* The initiator sends under a rekey's keys: we switch too. */
		k->confirmed = 1;
		if (ch->prev.valid)
			retire_prev(ch, now);
	}
	ch->st.received++;
	ch->last_recv = now;

	switch (type) {
	case DOT_NET_F_DATA:
		io->data.len += ptlen;
		io->events |= DOT_NET_EV_DATA;
		rv = DOT_OK;
		break;
	case DOT_NET_F_KEEPALIVE:
		rv = DOT_OK;
		break;
	case DOT_NET_F_CLOSE:
		close_ch(ch,
			 pt[0] == DOT_NET_R_REFUSED ? DOT_ENET_REFUSED_BY_PEER
						    : DOT_ENET_PEER_CLOSED,
			 io);
		sodium_memzero(small, sizeof(small));
		return DOT_OK;
	case DOT_NET_F_REKEY1:
		/* Only the initiator starts rekeys. Under the previous keys
		 * it is a new attempt only while our answer to the last one
		 * is unconfirmed (the initiator cannot have had it); once
		 * confirmed, a REKEY1 under them is stale. */
		if (ch->cfg.initiator || (k != &ch->cur && ch->cur.confirmed)) {
			rv = drop(ch, DOT_ENET_STATE, io);
			break;
		}
		rv = rekey_answer(ch, now, k, pt, ptlen, io);
		if (rv == DOT_ENET_REFUSED || rv == DOT_ENET_VERSION ||
		    rv == DOT_ENET_KEM)
			close_with(ch, now, rv, DOT_NET_R_PROTOCOL, io);
		else if (rv != DOT_OK)
			rv = drop(ch, rv, io);
		break;
	default: /* DOT_NET_F_REKEY2 */
		if (!ch->cfg.initiator) {
			rv = drop(ch, DOT_ENET_STATE, io);
			break;
		}
		rv = rekey_finish(ch, now, pt, ptlen, io);
		if (rv != DOT_OK)
			rv = drop(ch, rv, io);
		break;
	}
	sodium_memzero(small, sizeof(small));
	if (rv == DOT_OK && ch->state == DOT_NET_S_ESTABLISHED)
		(void)after(ch, now, io);
	return rv;
}

/* ---- handshake input ---- */

/*
 * Parse a handshake frame's prefix (§3.1); msg, mlen: the Noise message.
 * DOT_ENET_VERSION for another version; DOT_ENET_FRAME for a non-empty kem
 * field (the KEM's bytes are Noise tokens: the field is always empty). The
 * pattern, cipher and kem bytes are the caller's to check.
 */
static int
hs_prefix(const uint8_t *f, size_t n, const uint8_t **msg, size_t *mlen,
	  uint8_t *pattern, uint8_t *cipher, uint8_t *kem)
{
	const uint8_t *b = f + DOT_NET_HDR_LEN;
	size_t blen = n - DOT_NET_HDR_LEN;

	if (f[0] == DOT_NET_F_HS1)
		blen -= 2 * MAC_LEN;
	if (b[0] != DOT_NET_VERSION)
		return DOT_ENET_VERSION;
	if (b[4] != 0 || b[5] != 0)
		return DOT_ENET_FRAME;
	*pattern = b[1];
	*cipher = b[2];
	*kem = b[3];
	*msg = b + HS_PREFIX;
	*mlen = blen - HS_PREFIX;
	return DOT_OK;
}

static int
responder_hs1(struct dot_net *ch, uint64_t now, const uint8_t *f, size_t n,
	      struct dot_net_io *io)
{
	const struct dot_net_config *c = &ch->cfg;
	const uint8_t *msg;
	uint8_t pattern, cipher, kem, prologue[64], payload[MAX_HS_PAYLOAD];
	uint8_t out[MAX_HS_MSG];
	size_t mlen, plen, olen, pn;
	struct noise_hs hs;
	int rv, role = 0;

	/* The stateless gate first: no DH without mac1 (and mac2 under
	 * load). */
	rv = dot_net_gate_check(c->gate, now, ch->src, c->srclen, f, n,
				&io->out);
	if (rv == DOT_ENET_COOKIE) {
		ch->st.cookies++;
		io->events |= DOT_NET_EV_COOKIE;
		return rv;
	}
	if (rv != DOT_OK)
		return drop(ch, rv, io);
	rv = hs_prefix(f, n, &msg, &mlen, &pattern, &cipher, &kem);
	if (rv == DOT_ENET_VERSION)
		return refuse(ch, rv, DOT_NET_R_VERSION, io);
	if (rv != DOT_OK)
		return drop(ch, rv, io);
	if (pattern != DOT_NET_XX && pattern != DOT_NET_IK)
		return refuse(ch, DOT_ENET_FRAME, DOT_NET_R_PROTOCOL, io);
	if (!suite_ok(cipher) || !dot_aead_available(cipher) ||
	    (c->cipher != 0 && cipher != c->cipher))
		return refuse(ch, DOT_ENET_CIPHER, DOT_NET_R_CIPHER, io);
	/* The KEM (§3.5): one we know, and none only if we take classic
	 * handshakes. Refused here, before any DH or KEM work. */
	if (!kem_ok(kem))
		return refuse(ch, DOT_ENET_KEM, DOT_NET_R_VERSION, io);
	if (kem == DOT_NET_KEM_NONE && c->require_kem)
		return refuse(ch, DOT_ENET_KEM, DOT_NET_R_KEM_REQUIRED, io);
	pn = make_prologue(prologue, c->cluster_id, cipher, kem);
	rv = hs_init(&hs, pattern, kem, cipher, 0, prologue, pn, c->static_sk,
		     NULL);
	if (rv != DOT_OK)
		goto fatal;
	rv = hs_read_copy(ch, &hs, msg, mlen, payload, &plen);
	if (rv != DOT_OK) {
		rv = drop(ch, DOT_ENET_HANDSHAKE, io);
		goto out;
	}
	if (pattern == DOT_NET_XX) {
		if (plen != 0) {
			rv = drop(ch, DOT_ENET_PAYLOAD, io);
			goto out;
		}
	} else {
		/* IK: msg1 is authenticated by es and ss; its payload and
		 * the initiator's key are final. */
		rv = payload_decode(payload, plen, &role);
		if (rv != DOT_OK) {
			rv = refuse(ch, rv, DOT_NET_R_PROTOCOL, io);
			goto out;
		}
		rv = authorize(ch, hs.rs, role);
		if (rv != DOT_OK) {
			rv = refuse(ch, rv, DOT_NET_R_REFUSED, io);
			goto out;
		}
	}
	ch->pattern = pattern;
	ch->cipher = cipher;
	ch->kem = kem;
	rv = payload_encode(c->role, payload, sizeof(payload), &plen);
	if (rv != DOT_OK)
		goto fatal;
	draw_ephemeral(ch, &hs);
	rv = hs_write(ch, &hs, payload, plen, out, sizeof(out), &olen);
	if (rv == DOT_OK)
		rv = hs_frame(ch, DOT_NET_F_HS2, out, olen, &io->out, NULL);
	if (rv != DOT_OK)
		goto fatal;
	ch->hs = hs;
	if (pattern == DOT_NET_IK) {
		rv = establish(ch, now, io);
		if (rv != DOT_OK)
			goto fatal;
	} else {
		ch->phase = WAIT_HS3;
	}
	goto out;
fatal:
	close_ch(ch, rv, io);
out:
	noise_wipe(&hs, sizeof(hs));
	return rv;
}

static int
initiator_hs2(struct dot_net *ch, uint64_t now, const uint8_t *f, size_t n,
	      struct dot_net_io *io)
{
	const uint8_t *msg;
	uint8_t pattern, cipher, kem, payload[MAX_HS_PAYLOAD], out[MAX_HS_MSG];
	size_t mlen, plen, olen;
	int rv, role;

	rv = hs_prefix(f, n, &msg, &mlen, &pattern, &cipher, &kem);
	if (rv != DOT_OK)
		return drop(ch, rv, io);
	/* The answer must echo our proposal (a changed cipher or KEM is
	 * also caught by the transcript: docs §3.3). */
	if (pattern != ch->pattern)
		return drop(ch, DOT_ENET_FRAME, io);
	if (cipher != ch->cipher)
		return drop(ch, DOT_ENET_CIPHER, io);
	if (kem != ch->kem)
		return drop(ch, DOT_ENET_KEM, io);
	rv = hs_read_copy(ch, &ch->hs, msg, mlen, payload, &plen);
	if (rv != DOT_OK)
		return drop(ch, DOT_ENET_HANDSHAKE, io);
	/* From here the message is authentic; what fails now is final. */
	rv = payload_decode(payload, plen, &role);
	if (rv != DOT_OK)
		return refuse(ch, rv, DOT_NET_R_PROTOCOL, io);
	rv = authorize(ch, ch->hs.rs, role);
	if (rv != DOT_OK)
		return refuse(ch, rv, DOT_NET_R_REFUSED, io);
	if (ch->pattern == DOT_NET_XX) {
		rv = payload_encode(ch->cfg.role, payload, sizeof(payload),
				    &plen);
		if (rv == DOT_OK)
			rv = hs_write(ch, &ch->hs, payload, plen, out,
				      sizeof(out), &olen);
		if (rv == DOT_OK)
			rv = hs_frame(ch, DOT_NET_F_HS3, out, olen, &io->out,
				      NULL);
		if (rv != DOT_OK) {
			close_ch(ch, rv, io);
			return rv;
		}
	}
	rv = establish(ch, now, io);
	if (rv != DOT_OK)
		close_ch(ch, rv, io);
	/* IK: HS2 was the responder's authenticated answer. */
	ch->confirmed = ch->pattern == DOT_NET_IK;
	return rv;
}

static int
responder_hs3(struct dot_net *ch, uint64_t now, const uint8_t *f, size_t n,
	      struct dot_net_io *io)
{
	const uint8_t *msg;
	uint8_t pattern, cipher, kem, payload[MAX_HS_PAYLOAD];
	size_t mlen, plen;
	int rv, role;

	rv = hs_prefix(f, n, &msg, &mlen, &pattern, &cipher, &kem);
	if (rv != DOT_OK)
		return drop(ch, rv, io);
	if (pattern != ch->pattern || cipher != ch->cipher || kem != ch->kem)
		return drop(ch, DOT_ENET_FRAME, io);
	rv = hs_read_copy(ch, &ch->hs, msg, mlen, payload, &plen);
	if (rv != DOT_OK)
		return drop(ch, DOT_ENET_HANDSHAKE, io);
	rv = payload_decode(payload, plen, &role);
	if (rv != DOT_OK)
		return refuse(ch, rv, DOT_NET_R_PROTOCOL, io);
	rv = authorize(ch, ch->hs.rs, role);
	if (rv != DOT_OK)
		return refuse(ch, rv, DOT_NET_R_REFUSED, io);
	rv = establish(ch, now, io);
	ch->confirmed = 1; /* HS3 was the initiator's authenticated word */
	/* Confirm at once, so the initiator knows it was accepted. */
	if (rv == DOT_OK)
		rv = seal(ch, now, DOT_NET_F_KEEPALIVE, NULL, 0, io);
	if (rv != DOT_OK)
		close_ch(ch, rv, io);
	return rv;
}

static int
initiator_cookie(struct dot_net *ch, uint64_t now, const uint8_t *f,
		 size_t n, struct dot_net_io *io)
{
	const uint8_t *b = f + DOT_NET_HDR_LEN;
	const uint8_t *mac1 = ch->hs1 + ch->hs1_len - 2 * MAC_LEN;
	uint8_t cookie[COOKIE_LEN];
	int rv;

	(void)n;
	if (ch->cookie_replies >= MAX_COOKIE_REPLIES)
		return drop(ch, DOT_ENET_STATE, io);
	/* AD = the mac1 of the HS1 it answers. */
	rv = dot_aead_decrypt(DOT_SUITE_CHACHA20POLY1305, ch->cookie_key, b,
			      mac1, MAC_LEN, b + 12, COOKIE_LEN + 16, cookie);
	if (rv != DOT_OK)
		return drop(ch, DOT_ENET_AUTH, io);
	memcpy(ch->cookie, cookie, COOKIE_LEN);
	sodium_memzero(cookie, sizeof(cookie));
	ch->has_cookie = 1;
	ch->cookie_time = now;
	ch->cookie_replies++;
	ch->st.cookies++;
	io->events |= DOT_NET_EV_COOKIE;
	/* The same HS1 again, now with mac2: the responder did no DH for the
	 * first one, so the same ephemeral key is still unused. */
	rv = hs1_set_mac2(ch, now);
	if (rv != DOT_OK)
		return rv;
	dot_buf_put(&io->out, ch->hs1, ch->hs1_len);
	return io->out.err;
}

static int
refused_by_peer(struct dot_net *ch, const uint8_t *f, struct dot_net_io *io)
{
	int err;

	switch (f[DOT_NET_HDR_LEN]) {
	case DOT_NET_R_REFUSED:
		err = DOT_ENET_REFUSED_BY_PEER;
		break;
	case DOT_NET_R_CIPHER:
		err = DOT_ENET_CIPHER;
		break;
	case DOT_NET_R_VERSION:
		err = DOT_ENET_VERSION;
		break;
	case DOT_NET_R_KEM_REQUIRED:
		err = DOT_ENET_KEM;
		break;
	default:
		err = DOT_ENET_PEER_CLOSED;
		break;
	}
	close_ch(ch, err, io);
	return err;
}

int
dot_net_input(struct dot_net *ch, uint64_t now, const uint8_t *f, size_t n,
	      struct dot_net_io *io)
{
	uint8_t type;

	if (ch->state == DOT_NET_S_CLOSED)
		return DOT_ENET_CLOSED;
	timers(ch, now, io);
	if (ch->state == DOT_NET_S_CLOSED)
		return ch->close_reason;
	if (f == NULL || frame_check(f, n) != DOT_OK)
		return drop(ch, DOT_ENET_FRAME, io);
	type = f[0];
	if (type >= DOT_NET_F_DATA)
		return transport_in(ch, now, f, n, io);
	/* The last handshake message's sender may still be refused (XX's
	 * initiator, IK's responder) until the peer's first frame. */
	if (type == DOT_NET_F_REFUSE && ch->state == DOT_NET_S_ESTABLISHED &&
	    !ch->confirmed)
		return refused_by_peer(ch, f, io);
	if (ch->state != DOT_NET_S_HANDSHAKE)
		return drop(ch, DOT_ENET_STATE, io); /* unauthenticated */
	switch (ch->phase * 16 + type) {
	case WAIT_HS1 * 16 + DOT_NET_F_HS1:
		return responder_hs1(ch, now, f, n, io);
	case WAIT_HS2 * 16 + DOT_NET_F_HS2:
		return initiator_hs2(ch, now, f, n, io);
	case WAIT_HS3 * 16 + DOT_NET_F_HS3:
		return responder_hs3(ch, now, f, n, io);
	case WAIT_HS2 * 16 + DOT_NET_F_COOKIE:
		return initiator_cookie(ch, now, f, n, io);
	case WAIT_HS2 * 16 + DOT_NET_F_REFUSE:
	case WAIT_HS3 * 16 + DOT_NET_F_REFUSE:
		return refused_by_peer(ch, f, io);
	default:
		return drop(ch, DOT_ENET_STATE, io);
	}
}

int
dot_net_send(struct dot_net *ch, uint64_t now, const void *msg, size_t n,
	     struct dot_net_io *io)
{
	int rv;

	if (ch->state == DOT_NET_S_CLOSED)
		return DOT_ENET_CLOSED;
	timers(ch, now, io);
	if (ch->state == DOT_NET_S_CLOSED)
		return ch->close_reason;
	if (ch->state != DOT_NET_S_ESTABLISHED)
		return DOT_ENET_STATE;
	if (n > DOT_NET_MAX_MSG || (n && msg == NULL))
		return DOT_ETOOBIG;
	rv = seal(ch, now, DOT_NET_F_DATA, msg, n, io);
	if (rv != DOT_OK)
		return rv;
	(void)after(ch, now, io);
	return DOT_OK;
}

int
dot_net_tick(struct dot_net *ch, uint64_t now, struct dot_net_io *io)
{
	if (ch->state == DOT_NET_S_CLOSED)
		return DOT_ENET_CLOSED;
	timers(ch, now, io);
	if (ch->state == DOT_NET_S_CLOSED)
		return ch->close_reason;
	if (ch->state != DOT_NET_S_ESTABLISHED)
		return DOT_OK;
	if (rekey_due(ch, now)) {
		int rv = after(ch, now, io);
		if (rv != DOT_OK && rv != DOT_ENET_KEYS_EXHAUSTED)
			return rv;
	}
	if (ch->state == DOT_NET_S_ESTABLISHED &&
	    now - ch->last_send >= ch->cfg.keepalive_interval) {
		int rv = seal(ch, now, DOT_NET_F_KEEPALIVE, NULL, 0, io);
		if (rv != DOT_OK && rv != DOT_ENET_KEYS_EXHAUSTED)
			return rv;
	}
	return DOT_OK;
}

void
dot_net_close(struct dot_net *ch, struct dot_net_io *io)
{
	if (ch->state == DOT_NET_S_CLOSED)
		return;
	if (ch->state == DOT_NET_S_HANDSHAKE) {
		(void)refuse(ch, DOT_ENET_CLOSED, DOT_NET_R_CLOSE, io);
		return;
	}
	close_with(ch, ch->last_send, DOT_ENET_CLOSED, DOT_NET_R_CLOSE, io);
}

int
dot_net_state(const struct dot_net *ch)
{
	return ch->state;
}

int
dot_net_close_reason(const struct dot_net *ch)
{
	return ch->state == DOT_NET_S_CLOSED ? ch->close_reason : DOT_OK;
}

const struct dot_net_peer *
dot_net_peer(const struct dot_net *ch)
{
	return ch->state == DOT_NET_S_ESTABLISHED ? &ch->peer : NULL;
}

uint8_t
dot_net_cipher(const struct dot_net *ch)
{
	return ch->cipher;
}

uint8_t
dot_net_kem(const struct dot_net *ch)
{
	return ch->kem;
}

void
dot_net_handshake_hash(const struct dot_net *ch, uint8_t h[DOT_NET_HASH_LEN])
{
	memcpy(h, ch->hhash, DOT_NET_HASH_LEN);
}

void
dot_net_stats(const struct dot_net *ch, struct dot_net_stats *s)
{
	*s = ch->st;
	s->epoch = ch->cur.epoch;
}
