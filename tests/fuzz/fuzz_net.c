/*
 * fuzz_net.c - the secure channel's frame parser and state machine
 * (lib/net), as dotd runs them on a connection's bytes: frames are cut from
 * the stream with dot_net_frame_next and each is given to a channel.
 *
 * The first input byte picks the end that receives the stream:
 *   0  a fresh responder (the gate not under load)
 *   1  a fresh responder, the gate under load
 *   2  a fresh XX initiator (its HS1 already sent)
 *   3  a fresh IK initiator
 *   4  the responder of an established pair
 *   5  the initiator of an established pair
 *   0x10 + m  the same ends with the hybrid handshake (docs §3.5): the
 *         initiators propose X-Wing (XXhfs, IKhfs), the responders require
 *         it; pairs 0x14, 0x15 are hybrid, so their rekeys are IKhfs
 *   else  only the frame cutter
 * In modes 0 to 5 the initiators are classic (kem 0) and the responders
 * take both kinds, so hybrid frames reach them too. Keys and randomness are
 * fixed, so recorded frames (the corpus, tests/fuzz/gen_net_corpus.c)
 * reach deep states. The fake clock advances one second per frame, so
 * timers fire too.
 * Invariants: no crash; every result is a known code; a frame is accepted
 * only in a live channel; a closed channel accepts nothing more.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/crypto.h"
#include "doteros/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC 1000000ull
#define T0 (1000 * SEC)

static const uint8_t CID[DOT_NET_CLUSTER_ID_LEN] = "doteros-fuzz-cl";
static const uint8_t SRC[4] = {192, 0, 2, 1};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_net: %s\n", what);
	abort();
}

struct rng {
	uint64_t s;
};

static void
rng_fill(void *ctx, uint8_t *out, size_t n)
{
	struct rng *r = ctx;

	for (size_t i = 0; i < n; i++) {
		uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		out[i] = (uint8_t)(z ^ (z >> 31));
	}
}

static int
accept_all(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	   char account[DOT_NET_MAX_NAME + 1])
{
	(void)ctx;
	(void)pk;
	(void)account;
	return DOT_NET_NODE;
}

struct end {
	struct dot_net *ch;
	struct dot_net_io io;
	struct rng rng;
};

struct world {
	struct dot_net_gate *gate;
	struct rng grng;
	struct end a, b; /* a initiates */
};

static void
config(struct dot_net_config *c, int initiator, int ik, int hybrid,
       struct end *e, struct dot_net_gate *g)
{
	static uint8_t rpk[DOT_NET_KEY_LEN];
	uint8_t sk[32], pk[DOT_X25519_PK_LEN];

	memset(c, 0, sizeof(*c));
	memset(sk, 0x22, 32);
	if (dot_kx_keypair(DOT_SUITE_X25519, sk, sk, pk) != DOT_OK)
		fail("keypair");
	memcpy(rpk, pk + 1, 32);
	c->initiator = initiator;
	memcpy(c->cluster_id, CID, sizeof(CID));
	memset(c->static_sk, initiator ? 0x11 : 0x22, 32);
	c->role = DOT_NET_NODE;
	c->remote_static = initiator && ik ? rpk : NULL;
	c->cipher = DOT_SUITE_CHACHA20POLY1305;
	c->accept = accept_all;
	c->rand = rng_fill;
	c->rand_ctx = &e->rng;
	c->gate = g;
	c->src = SRC;
	c->srclen = sizeof(SRC);
	c->max_drops = 64;
	c->classic = initiator && !hybrid;
	c->require_kem = !initiator && hybrid;
}

static void
end_clear(struct end *e)
{
	e->io.out.len = 0;
	e->io.data.len = 0;
	e->io.events = 0;
}

/* Deliver every whole frame of from's output to `to`. */
static void
relay(struct end *from, struct end *to, uint64_t now)
{
	size_t off = 0, n;

	while (dot_net_frame_next(from->io.out.data + off,
				  from->io.out.len - off, &n, NULL) ==
		       DOT_OK &&
	       n > 0) {
		if (dot_net_input(to->ch, now, from->io.out.data + off, n,
				  &to->io) != DOT_OK) {
			/* dropped or refused: the handshake check below
			 * says whether that was expected */
		}
		off += n;
	}
	from->io.out.len = 0;
}

static int
world_new(struct world *w, int ik, int hybrid, int establish)
{
	struct dot_net_config c;

	memset(w, 0, sizeof(*w));
	w->grng.s = 3;
	w->a.rng.s = 1;
	w->b.rng.s = 2;
	if (dot_crypto_init() != DOT_OK ||
	    dot_net_gate_new(&w->gate, CID, rng_fill, &w->grng) != DOT_OK)
		return -1;
	config(&c, 0, ik, hybrid, &w->b, w->gate);
	if (dot_net_new(&w->b.ch, &c, T0, &w->b.io) != DOT_OK)
		return -1;
	config(&c, 1, ik, hybrid, &w->a, NULL);
	if (dot_net_new(&w->a.ch, &c, T0, &w->a.io) != DOT_OK)
		return -1;
	if (!establish)
		return 0;
	for (int i = 0; i < 4; i++) {
		relay(&w->a, &w->b, T0);
		relay(&w->b, &w->a, T0);
	}
	if (dot_net_state(w->a.ch) != DOT_NET_S_ESTABLISHED ||
	    dot_net_state(w->b.ch) != DOT_NET_S_ESTABLISHED)
		fail("deterministic handshake did not complete");
	if (dot_net_kem(w->a.ch) != dot_net_kem(w->b.ch) ||
	    dot_net_kem(w->a.ch) !=
		(hybrid ? DOT_NET_KEM_XWING : DOT_NET_KEM_NONE))
		fail("the KEM of the handshake");
	end_clear(&w->a);
	end_clear(&w->b);
	return 0;
}

static void
world_free(struct world *w)
{
	dot_net_free(w->a.ch);
	dot_net_free(w->b.ch);
	dot_net_gate_free(w->gate);
	dot_buf_free(&w->a.io.out);
	dot_buf_free(&w->a.io.data);
	dot_buf_free(&w->b.io.out);
	dot_buf_free(&w->b.io.data);
}

/* Cut frames from the stream and give them to e; check the invariants.
 * kem: the only KEM an established e may have (-1: either). */
static void
feed(struct end *e, int kem, const uint8_t *data, size_t size)
{
	size_t off = 0, n;
	uint64_t now = T0;

	while (off < size) {
		struct dot_err err = {0};
		int rv = dot_net_frame_next(data + off, size - off, &n, &err);
		int was_closed;

		if (rv != DOT_OK) {
			if (rv != DOT_ENET_FRAME || err.msg[0] == '\0')
				fail("frame refusal without its code");
			return; /* the connection would close */
		}
		if (n == 0)
			return; /* waits for more bytes */
		if (n < DOT_NET_HDR_LEN || n > DOT_NET_MAX_FRAME ||
		    n > size - off)
			fail("frame bounds");
		if (e == NULL) {
			off += n;
			continue;
		}
		now += SEC;
		was_closed = dot_net_state(e->ch) == DOT_NET_S_CLOSED;
		end_clear(e);
		rv = dot_net_input(e->ch, now, data + off, n, &e->io);
		if (rv < 0 || rv >= DOT_ERRCOUNT)
			fail("unknown result code");
		if (was_closed && rv != DOT_ENET_CLOSED)
			fail("a closed channel took a frame");
		if (rv == DOT_OK && dot_net_state(e->ch) == DOT_NET_S_CLOSED &&
		    !(e->io.events & DOT_NET_EV_CLOSED))
			fail("closed without the event");
		if ((e->io.events & DOT_NET_EV_DATA) &&
		    (e->io.data.len > DOT_NET_MAX_MSG ||
		     dot_net_peer(e->ch) == NULL))
			fail("data without an authenticated peer");
		if (dot_net_state(e->ch) == DOT_NET_S_ESTABLISHED &&
		    dot_net_peer(e->ch) == NULL)
			fail("established without a peer");
		/* no downgrade: an initiator ends with the KEM it proposed,
		 * a responder that requires X-Wing with X-Wing */
		if (dot_net_state(e->ch) == DOT_NET_S_ESTABLISHED && kem >= 0 &&
		    dot_net_kem(e->ch) != kem)
			fail("established with another KEM");
		/* Answer what the channel wants to send, as dotd would:
		 * timers and a message of our own. */
		if (dot_net_tick(e->ch, now, &e->io) != DOT_OK) {
			/* a timer closed it: fine */
		}
		if (dot_net_state(e->ch) == DOT_NET_S_ESTABLISHED &&
		    dot_net_send(e->ch, now, "pong", 4, &e->io) != DOT_OK) {
			/* keys may be spent: not an error */
		}
		off += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world w;
	struct end *e;
	uint8_t mode;
	int hybrid;

	if (size < 1)
		return 0;
	mode = data[0];
	hybrid = mode >= 0x10 && mode <= 0x15;
	if (hybrid)
		mode -= 0x10;
	if (mode > 5) {
		feed(NULL, -1, data + 1, size - 1);
		return 0;
	}
	if (world_new(&w, mode == 3, hybrid, mode >= 4) != 0)
		fail("setup");
	if (mode == 1)
		dot_net_gate_set_load(w.gate, 1);
	e = (mode == 0 || mode == 1 || mode == 4) ? &w.b : &w.a;
	end_clear(&w.a);
	feed(e,
	     hybrid ? DOT_NET_KEM_XWING
		    : (e == &w.a ? DOT_NET_KEM_NONE : -1),
	     data + 1, size - 1);
	world_free(&w);
	return 0;
}
