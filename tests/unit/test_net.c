/*
 * test_net.c - lib/net: the Noise core against published vectors, and the
 * channel state machine with two ends in one process, a fake clock and
 * deterministic randomness (include/doteros/net.h, docs/wire-protocol.md).
 * The channel runs its default, the hybrid handshake (Noise hfs with
 * X-Wing), unless a test asks for a classic one (cfg.classic); the tests
 * named test_hfs_* are the hybrid handshake's own (§3.5).
 *
 * Nothing here sleeps or reads a clock: time is a counter the test advances.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/heap.h"
#include "doteros/net.h"
#include "doteros/xwing.h"
#include "harness.h"
#include "net/net_int.h"

#define SEC 1000000ull
#define INIT() REQUIRE_RC(dot_crypto_init(), DOT_OK)

static const uint8_t CID[DOT_NET_CLUSTER_ID_LEN] = "doteros-test-cl";

/* ------------------------------------------------------------------ */
/* deterministic randomness and an allowlist                           */

struct rng {
	uint64_t s;
};

static void
rng_fill(void *ctx, uint8_t *out, size_t n)
{
	struct rng *r = ctx;
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			v = t_rand(&r->s);
		out[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
}

struct acl {
	int n;
	uint8_t key[4][32];
	int verdict[4];
	const char *name[4];
	unsigned calls;
};

static int
acl_accept(void *ctx, const uint8_t pk[32], char account[DOT_NET_MAX_NAME + 1])
{
	struct acl *a = ctx;

	a->calls++;
	for (int i = 0; i < a->n; i++) {
		if (memcmp(a->key[i], pk, 32) != 0)
			continue;
		if (a->name[i])
			snprintf(account, DOT_NET_MAX_NAME + 1, "%s",
				 a->name[i]);
		return a->verdict[i];
	}
	return DOT_NET_REFUSE;
}

static void
acl_add(struct acl *a, const uint8_t pk[32], int verdict, const char *name)
{
	memcpy(a->key[a->n], pk, 32);
	a->verdict[a->n] = verdict;
	a->name[a->n] = name;
	a->n++;
}

static void
keypair(uint8_t seedbyte, uint8_t sk[32], uint8_t pk[32])
{
	uint8_t full[DOT_X25519_PK_LEN];

	memset(sk, seedbyte, 32);
	if (dot_kx_keypair(DOT_SUITE_X25519, sk, sk, full) != DOT_OK)
		abort();
	memcpy(pk, full + 1, 32);
}

/* ------------------------------------------------------------------ */
/* two ends                                                            */

struct ep {
	struct dot_net *ch;
	struct dot_net_io io;
	struct rng rng;
	struct acl acl;
	struct dot_net_config cfg;
	uint8_t sk[32], pk[32];
	uint8_t src[4];
};

struct pair {
	struct ep a, b; /* a initiates, b responds */
	struct dot_net_gate *gate;
	struct rng grng;
	uint64_t now;
};

/* Fill both configurations; the test may change them before pair_start. */
static void
pair_setup(struct pair *p, int ik, uint8_t cipher)
{
	memset(p, 0, sizeof(*p));
	p->now = 1000 * SEC;
	keypair(0x11, p->a.sk, p->a.pk);
	keypair(0x22, p->b.sk, p->b.pk);
	p->a.rng.s = 1;
	p->b.rng.s = 2;
	p->grng.s = 3;
	acl_add(&p->a.acl, p->b.pk, DOT_NET_NODE, NULL);
	acl_add(&p->b.acl, p->a.pk, DOT_NET_ACCOUNT, "alice");
	memcpy(p->b.src, "\x0a\x00\x00\x01", 4);
	for (int i = 0; i < 2; i++) {
		struct ep *e = i ? &p->b : &p->a;
		struct dot_net_config *c = &e->cfg;
		c->initiator = !i;
		memcpy(c->cluster_id, CID, sizeof(CID));
		memcpy(c->static_sk, e->sk, 32);
		c->role = i ? DOT_NET_NODE : DOT_NET_ACCOUNT;
		c->accept = acl_accept;
		c->accept_ctx = &e->acl;
		c->rand = rng_fill;
		c->rand_ctx = &e->rng;
		c->max_drops = 100000;
	}
	p->a.cfg.cipher = cipher;
	if (ik)
		p->a.cfg.remote_static = p->b.pk;
	p->b.cfg.src = p->b.src;
	p->b.cfg.srclen = sizeof(p->b.src);
}

static int
pair_start(struct pair *p)
{
	int rv = dot_net_gate_new(&p->gate, CID, rng_fill, &p->grng);

	if (rv != DOT_OK)
		return rv;
	p->b.cfg.gate = p->gate;
	rv = dot_net_new(&p->b.ch, &p->b.cfg, p->now, &p->b.io);
	if (rv != DOT_OK)
		return rv;
	return dot_net_new(&p->a.ch, &p->a.cfg, p->now, &p->a.io);
}

static void
pair_free(struct pair *p)
{
	dot_net_free(p->a.ch);
	dot_net_free(p->b.ch);
	dot_net_gate_free(p->gate);
	dot_buf_free(&p->a.io.out);
	dot_buf_free(&p->a.io.data);
	dot_buf_free(&p->b.io.out);
	dot_buf_free(&p->b.io.data);
}

/* Take the first frame out of an endpoint's output; 0 if none. */
static size_t
pop(struct ep *e, uint8_t *f, size_t cap)
{
	size_t n;
	struct dot_err err;

	if (dot_net_frame_next(e->io.out.data, e->io.out.len, &n, &err) !=
		    DOT_OK ||
	    n == 0 || n > cap)
		return 0;
	memcpy(f, e->io.out.data, n);
	memmove(e->io.out.data, e->io.out.data + n, e->io.out.len - n);
	e->io.out.len -= n;
	return n;
}

static uint8_t fbuf[DOT_NET_MAX_FRAME];

/* Deliver everything from one end to the other; the first failure. */
static int
flush(struct pair *p, struct ep *from, struct ep *to)
{
	int first = DOT_OK;
	size_t n;

	while ((n = pop(from, fbuf, sizeof(fbuf))) != 0) {
		int rv = dot_net_input(to->ch, p->now, fbuf, n, &to->io);
		if (rv != DOT_OK && first == DOT_OK)
			first = rv;
	}
	return first;
}

/* Run the handshake to the end (both directions until quiet). */
static void
pump(struct pair *p)
{
	for (int i = 0; i < 8; i++) {
		if (p->a.io.out.len == 0 && p->b.io.out.len == 0)
			break;
		(void)flush(p, &p->a, &p->b);
		(void)flush(p, &p->b, &p->a);
	}
}

static void
clear(struct ep *e)
{
	e->io.out.len = 0;
	e->io.data.len = 0;
	e->io.events = 0;
}

/* Send msg from one end and check the other receives exactly it. */
static int
roundtrip(struct pair *p, struct ep *from, struct ep *to, const char *msg)
{
	size_t n = strlen(msg);

	to->io.data.len = 0;
	to->io.events = 0;
	if (dot_net_send(from->ch, p->now, msg, n, &from->io) != DOT_OK)
		return 0;
	if (flush(p, from, to) != DOT_OK)
		return 0;
	return (to->io.events & DOT_NET_EV_DATA) && to->io.data.len == n &&
	       memcmp(to->io.data.data, msg, n) == 0;
}

/* Run the handshake to its end: both ends must be established. */
static void
pump_established(struct pair *p)
{
	pump(p);
	CHECK(dot_net_state(p->a.ch) == DOT_NET_S_ESTABLISHED);
	CHECK(dot_net_state(p->b.ch) == DOT_NET_S_ESTABLISHED);
}

/* The io buffers emptied, one message from a must reach b. */
static void
check_talk(struct pair *p, const char *msg)
{
	clear(&p->a);
	clear(&p->b);
	CHECK(roundtrip(p, &p->a, &p->b, msg));
}

static uint64_t
dh_of(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.dh;
}

static uint64_t
kem_of(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.kem;
}

static uint64_t
drops_of(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.drops;
}

static uint8_t
epoch_of(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.epoch;
}

/* ------------------------------------------------------------------ */
/* Noise known answers (tests/vectors/noise/SOURCE)                    */

static size_t
json_hex(const char *text, const char *key, const char **from, uint8_t *out,
	 size_t cap)
{
	char pat[64];
	const char *p, *q;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(*from, pat);
	if (p == NULL) {
		fprintf(stderr, "vector: no %s\n", key);
		abort();
	}
	p += strlen(pat);
	q = strchr(p, '"');
	if (q == NULL || (size_t)(q - p) / 2 > cap)
		abort();
	for (; p + 1 < q; p += 2) {
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1)
			abort();
		out[n++] = (uint8_t)v;
	}
	*from = q;
	(void)text;
	return n;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
run_vector(const char *path, int pattern, uint8_t suite)
{
	char *text = slurp(path);
	const char *cur;
	uint8_t prologue[64], is[32], ie[32], rsk[32], re[32], rs_pub[32];
	uint8_t hh[64], pt[256], ct[512], out[512], got[256];
	size_t plen, pl, cl, on, gn;
	struct noise_hs hi, hr;
	struct noise_cipher i2r, r2i, x1, x2;
	int msgs;

	REQUIRE(text != NULL);
	/* the file is the vector of the protocol name it is run as */
	{
		const char *nm = noise_protocol_name(pattern, suite);
		char want[96];
		snprintf(want, sizeof(want), "\"name\": \"%s\",\n", nm);
		CHECK(nm != NULL && strncmp(text, "{\n", 2) == 0 &&
		      strncmp(text + 2, want, strlen(want)) == 0);
	}
	cur = text;
	plen = json_hex(text, "init_prologue", &cur, prologue,
			sizeof(prologue));
	json_hex(text, "init_static", &cur, is, 32);
	json_hex(text, "init_ephemeral", &cur, ie, 32);
	if (pattern == NOISE_IK)
		json_hex(text, "init_remote_static", &cur, rs_pub, 32);
	json_hex(text, "resp_static", &cur, rsk, 32);
	json_hex(text, "resp_ephemeral", &cur, re, 32);
	{
		const char *c2 = cur;
		json_hex(text, "handshake_hash", &c2, hh, 64);
	}
	REQUIRE_RC(noise_hs_init(&hi, pattern, suite, 1, prologue, plen, is,
				 pattern == NOISE_IK ? rs_pub : NULL),
		   DOT_OK);
	REQUIRE_RC(noise_hs_init(&hr, pattern, suite, 0, prologue, plen, rsk,
				 NULL),
		   DOT_OK);
	noise_hs_set_ephemeral(&hi, ie);
	noise_hs_set_ephemeral(&hr, re);
	msgs = pattern == NOISE_XX ? 3 : 2;
	for (int i = 0; i < 6; i++) {
		int from_i = i % 2 == 0;
		pl = json_hex(text, "payload", &cur, pt, sizeof(pt));
		cl = json_hex(text, "ciphertext", &cur, ct, sizeof(ct));
		if (i < msgs) {
			struct noise_hs *w = from_i ? &hi : &hr;
			struct noise_hs *r = from_i ? &hr : &hi;
			REQUIRE_RC(noise_hs_write(w, pt, pl, out, sizeof(out),
						  &on),
				   DOT_OK);
			CHECK(on == cl);
			CHECK_MEM(out, ct, cl);
			REQUIRE_RC(noise_hs_read(r, ct, cl, got, sizeof(got),
						 &gn),
				   DOT_OK);
			CHECK(gn == pl);
			CHECK_MEM(got, pt, pl);
			if (i == msgs - 1) {
				CHECK_MEM(hi.ss.h, hh, 64);
				CHECK_MEM(hr.ss.h, hh, 64);
				REQUIRE(noise_hs_done(&hi) &&
					noise_hs_done(&hr));
				REQUIRE_RC(noise_hs_split(&hi, &i2r, &r2i),
					   DOT_OK);
				REQUIRE_RC(noise_hs_split(&hr, &x1, &x2),
					   DOT_OK);
			}
			continue;
		}
		{
			struct noise_cipher *s = from_i ? &i2r : &r2i;
			struct noise_cipher *r = from_i ? &x1 : &x2;
			REQUIRE_RC(noise_encrypt(s, NULL, 0, pt, pl, out),
				   DOT_OK);
			CHECK(pl + 16 == cl);
			CHECK_MEM(out, ct, cl);
			REQUIRE_RC(noise_decrypt(r, NULL, 0, ct, cl, got),
				   DOT_OK);
			CHECK_MEM(got, pt, pl);
			/* one flipped bit and it fails */
			ct[0] ^= 1;
			r->n--;
			CHECK_RC(noise_decrypt(r, NULL, 0, ct, cl, got),
				 DOT_ECRYPTO_DECRYPT);
			r->n++;
		}
	}
	free(text);
}

static void
test_noise_vectors(void)
{
	INIT();
	CHECK(strcmp(noise_protocol_name(NOISE_XX, DOT_SUITE_CHACHA20POLY1305),
		     "Noise_XX_25519_ChaChaPoly_BLAKE2b") == 0);
	CHECK(strcmp(noise_protocol_name(NOISE_IK, DOT_SUITE_AES256GCM),
		     "Noise_IK_25519_AESGCM_BLAKE2b") == 0);
	/* All four protocol names of docs/wire-protocol.md §1. */
	run_vector("tests/vectors/noise/Noise_XX_25519_ChaChaPoly_BLAKE2b.json",
		   NOISE_XX, DOT_SUITE_CHACHA20POLY1305);
	run_vector("tests/vectors/noise/Noise_IK_25519_ChaChaPoly_BLAKE2b.json",
		   NOISE_IK, DOT_SUITE_CHACHA20POLY1305);
	if (!dot_aead_available(DOT_SUITE_AES256GCM))
		SKIP("AES-256-GCM not available on this CPU");
	run_vector("tests/vectors/noise/Noise_XX_25519_AESGCM_BLAKE2b.json",
		   NOISE_XX, DOT_SUITE_AES256GCM);
	run_vector("tests/vectors/noise/Noise_IK_25519_AESGCM_BLAKE2b.json",
		   NOISE_IK, DOT_SUITE_AES256GCM);
}

static void
test_nonce_encoding(void)
{
	uint8_t n[12];
	static const uint8_t cc[12] = {0, 0, 0, 0, 0x08, 0x07, 0x06, 0x05,
				       0x04, 0x03, 0x02, 0x01};
	static const uint8_t gcm[12] = {0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04,
					0x05, 0x06, 0x07, 0x08};

	noise_nonce(DOT_SUITE_CHACHA20POLY1305, 0x0102030405060708ull, n);
	CHECK_MEM(n, cc, 12);
	noise_nonce(DOT_SUITE_AES256GCM, 0x0102030405060708ull, n);
	CHECK_MEM(n, gcm, 12);
}

/* ------------------------------------------------------------------ */
/* handshakes                                                          */

static void
handshake_case(int ik, uint8_t cipher, int classic)
{
	struct pair p;
	const struct dot_net_peer *pa, *pb;
	uint8_t ha[64], hb[64];

	pair_setup(&p, ik, cipher);
	p.a.cfg.classic = classic;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_HANDSHAKE);
	CHECK(dot_net_peer(p.a.ch) == NULL);
	pump(&p);
	REQUIRE(dot_net_state(p.a.ch) == DOT_NET_S_ESTABLISHED);
	REQUIRE(dot_net_state(p.b.ch) == DOT_NET_S_ESTABLISHED);
	CHECK(p.a.io.events & DOT_NET_EV_ESTABLISHED);
	CHECK(p.b.io.events & DOT_NET_EV_ESTABLISHED);
	CHECK(dot_net_cipher(p.a.ch) == cipher);
	CHECK(dot_net_cipher(p.b.ch) == cipher);
	pa = dot_net_peer(p.a.ch);
	pb = dot_net_peer(p.b.ch);
	REQUIRE(pa != NULL && pb != NULL);
	CHECK_MEM(pa->static_pk, p.b.pk, 32);
	CHECK(pa->role == DOT_NET_NODE && pa->account[0] == '\0');
	CHECK_MEM(pb->static_pk, p.a.pk, 32);
	CHECK(pb->role == DOT_NET_ACCOUNT && strcmp(pb->account, "alice") == 0);
	CHECK(p.a.acl.calls == 1 && p.b.acl.calls == 1);
	dot_net_handshake_hash(p.a.ch, ha);
	dot_net_handshake_hash(p.b.ch, hb);
	CHECK_MEM(ha, hb, 64);
	/* DH work as the patterns say: XX 3, IK 4 on each side; hfs adds
	 * an X-Wing key pair and a decapsulation on the initiator's side,
	 * an encapsulation on the responder's */
	CHECK(dh_of(p.a.ch) == (ik ? 4u : 3u));
	CHECK(dh_of(p.b.ch) == (ik ? 4u : 3u));
	CHECK(kem_of(p.a.ch) == (classic ? 0u : 2u));
	CHECK(kem_of(p.b.ch) == (classic ? 0u : 1u));
	CHECK(dot_net_kem(p.a.ch) ==
	      (classic ? DOT_NET_KEM_NONE : DOT_NET_KEM_XWING));
	CHECK(dot_net_kem(p.b.ch) == dot_net_kem(p.a.ch));
	check_talk(&p, "hello node");
	CHECK(roundtrip(&p, &p.b, &p.a, "hello client"));
	CHECK(roundtrip(&p, &p.a, &p.b, ""));
	{
		static uint8_t big[DOT_NET_MAX_MSG + 1];
		memset(big, 'x', sizeof(big));
		CHECK_RC(dot_net_send(p.a.ch, p.now, big, sizeof(big),
				      &p.a.io),
			 DOT_ETOOBIG);
		p.b.io.data.len = 0;
		CHECK_RC(dot_net_send(p.a.ch, p.now, big, DOT_NET_MAX_MSG,
				      &p.a.io),
			 DOT_OK);
		CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
		CHECK(p.b.io.data.len == DOT_NET_MAX_MSG);
	}
	pair_free(&p);
}

static void
test_handshake_xx_chacha(void)
{
	INIT();
	handshake_case(0, DOT_SUITE_CHACHA20POLY1305, 1);
	handshake_case(0, DOT_SUITE_CHACHA20POLY1305, 0);
}

static void
test_handshake_ik_chacha(void)
{
	INIT();
	handshake_case(1, DOT_SUITE_CHACHA20POLY1305, 1);
	handshake_case(1, DOT_SUITE_CHACHA20POLY1305, 0);
}

static void
test_handshake_xx_aes(void)
{
	INIT();
	if (!dot_aead_available(DOT_SUITE_AES256GCM))
		SKIP("AES-256-GCM not available on this CPU");
	handshake_case(0, DOT_SUITE_AES256GCM, 1);
	handshake_case(0, DOT_SUITE_AES256GCM, 0);
}

static void
test_handshake_ik_aes(void)
{
	INIT();
	if (!dot_aead_available(DOT_SUITE_AES256GCM))
		SKIP("AES-256-GCM not available on this CPU");
	handshake_case(1, DOT_SUITE_AES256GCM, 1);
	handshake_case(1, DOT_SUITE_AES256GCM, 0);
}

static void
test_send_before_established(void)
{
	struct pair p;

	INIT();
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	CHECK_RC(dot_net_send(p.a.ch, p.now, "x", 1, &p.a.io), DOT_ENET_STATE);
	CHECK_RC(dot_net_send(p.b.ch, p.now, "x", 1, &p.b.io), DOT_ENET_STATE);
	pair_free(&p);
}

/* ------------------------------------------------------------------ */
/* bit flips                                                           */

/* Flip every byte of the next frame from `from`; each must be dropped by
 * `to` with nothing sent back; then the original goes through. */
static void
flip_all(struct pair *p, struct ep *from, struct ep *to, int *ok)
{
	static uint8_t f[DOT_NET_MAX_FRAME], g[DOT_NET_MAX_FRAME];
	size_t n = pop(from, f, sizeof(f));
	uint64_t drops = drops_of(to->ch);
	size_t flips = 0;

	*ok = 0;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int rv;
		memcpy(g, f, n);
		g[i] ^= 0xff;
		to->io.events = 0;
		to->io.data.len = 0;
		rv = dot_net_input(to->ch, p->now, g, n, &to->io);
		if (rv == DOT_OK || to->io.out.len != 0 ||
		    (to->io.events & (DOT_NET_EV_DATA | DOT_NET_EV_CLOSED |
				      DOT_NET_EV_ESTABLISHED)) ||
		    dot_net_state(to->ch) == DOT_NET_S_CLOSED) {
			printf("# flip of byte %zu of frame type 0x%02x "
			       "accepted (%s)\n",
			       i, f[0], dot_errname(rv));
			return;
		}
		flips++;
	}
	if (drops_of(to->ch) != drops + flips)
		return;
	/* The untouched frame still works. */
	to->io.events = 0;
	if (dot_net_input(to->ch, p->now, f, n, &to->io) != DOT_OK)
		return;
	*ok = 1;
}

static void
flip_case(int ik, uint8_t cipher, int classic)
{
	struct pair p;
	int ok;

	pair_setup(&p, ik, cipher);
	p.a.cfg.classic = classic;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	/* HS1 at the responder */
	flip_all(&p, &p.a, &p.b, &ok);
	CHECK(ok);
	/* HS2 at the initiator */
	flip_all(&p, &p.b, &p.a, &ok);
	CHECK(ok);
	if (!ik) {
		/* HS3 at the responder */
		flip_all(&p, &p.a, &p.b, &ok);
		CHECK(ok);
		/* the responder's confirming KEEPALIVE */
		CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	}
	REQUIRE(dot_net_state(p.a.ch) == DOT_NET_S_ESTABLISHED);
	REQUIRE(dot_net_state(p.b.ch) == DOT_NET_S_ESTABLISHED);
	/* a transport frame each way */
	REQUIRE_RC(dot_net_send(p.a.ch, p.now, "transport one", 13, &p.a.io),
		   DOT_OK);
	flip_all(&p, &p.a, &p.b, &ok);
	CHECK(ok);
	CHECK(p.b.io.data.len == 13);
	REQUIRE_RC(dot_net_send(p.b.ch, p.now, "back", 4, &p.b.io), DOT_OK);
	flip_all(&p, &p.b, &p.a, &ok);
	CHECK(ok);
	pair_free(&p);
}

static void
test_flip_every_byte(void)
{
	INIT();
	for (int classic = 0; classic < 2; classic++) {
		flip_case(0, DOT_SUITE_CHACHA20POLY1305, classic);
		flip_case(1, DOT_SUITE_CHACHA20POLY1305, classic);
		if (dot_aead_available(DOT_SUITE_AES256GCM)) {
			flip_case(0, DOT_SUITE_AES256GCM, classic);
			flip_case(1, DOT_SUITE_AES256GCM, classic);
		}
	}
}

/* ------------------------------------------------------------------ */
/* replay window                                                       */

static void
established(struct pair *p, int ik)
{
	pair_setup(p, ik, DOT_SUITE_CHACHA20POLY1305);
	if (pair_start(p) != DOT_OK)
		abort();
	pump(p);
	clear(&p->a);
	clear(&p->b);
}

static void
test_replay_and_reorder(void)
{
	static uint8_t fr[8][256];
	size_t fn[8];
	struct pair p;

	INIT();
	established(&p, 0);
	REQUIRE(dot_net_state(p.b.ch) == DOT_NET_S_ESTABLISHED);
	for (int i = 0; i < 8; i++) {
		char m[8];
		snprintf(m, sizeof(m), "m%d", i);
		REQUIRE_RC(dot_net_send(p.a.ch, p.now, m, 2, &p.a.io), DOT_OK);
		fn[i] = pop(&p.a, fr[i], sizeof(fr[i]));
		REQUIRE(fn[i] > 0);
	}
#define IN(i) dot_net_input(p.b.ch, p.now, fr[i], fn[i], &p.b.io)
	CHECK_RC(IN(0), DOT_OK);
	CHECK_RC(IN(0), DOT_ENET_REPLAY);
	CHECK_RC(IN(3), DOT_OK);
	/* reordered inside the window: accepted, once */
	p.b.io.data.len = 0;
	CHECK_RC(IN(1), DOT_OK);
	CHECK(p.b.io.data.len == 2 && memcmp(p.b.io.data.data, "m1", 2) == 0);
	CHECK_RC(IN(1), DOT_ENET_REPLAY);
	CHECK_RC(IN(2), DOT_OK);
	CHECK_RC(IN(3), DOT_ENET_REPLAY);
	CHECK_RC(IN(7), DOT_OK);
	CHECK_RC(IN(5), DOT_OK);
	CHECK_RC(IN(5), DOT_ENET_REPLAY);
	/* Push the window far ahead: 4 stays unseen but is now too old. */
	for (int i = 0; i < 2100; i++) {
		REQUIRE_RC(dot_net_send(p.a.ch, p.now, "f", 1, &p.a.io),
			   DOT_OK);
		p.a.io.out.len = 0; /* lost */
	}
	REQUIRE_RC(dot_net_send(p.a.ch, p.now, "last", 4, &p.a.io), DOT_OK);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	CHECK_RC(IN(4), DOT_ENET_REPLAY);
	CHECK_RC(IN(6), DOT_ENET_REPLAY);
#undef IN
	pair_free(&p);
}

/* ------------------------------------------------------------------ */
/* rekeying                                                            */

static void
test_rekey_after_time(void)
{
	static uint8_t old1[256], old2[256], oldb[256];
	size_t n1, n2, nb;
	struct pair p;
	uint64_t t0;

	INIT();
	established(&p, 0);
	t0 = p.now;
	/* frames sealed under the first keys, delivered later */
	REQUIRE_RC(dot_net_send(p.a.ch, p.now, "old1", 4, &p.a.io), DOT_OK);
	n1 = pop(&p.a, old1, sizeof(old1));
	REQUIRE_RC(dot_net_send(p.a.ch, p.now, "old2", 4, &p.a.io), DOT_OK);
	n2 = pop(&p.a, old2, sizeof(old2));
	REQUIRE_RC(dot_net_send(p.b.ch, p.now, "oldb", 4, &p.b.io), DOT_OK);
	nb = pop(&p.b, oldb, sizeof(oldb));
	REQUIRE(n1 && n2 && nb);

	/* 59.9 s: nothing; 60 s: the initiator starts a rekey */
	p.now = t0 + 60 * SEC - 1;
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	CHECK(p.a.io.out.len == 0 || p.a.io.out.data[0] == DOT_NET_F_KEEPALIVE);
	p.a.io.out.len = 0;
	p.now = t0 + 60 * SEC;
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	REQUIRE(p.a.io.out.len > 0 && p.a.io.out.data[0] == DOT_NET_F_REKEY1);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	CHECK(p.b.io.events & DOT_NET_EV_REKEYED);
	CHECK(epoch_of(p.b.ch) == 1);
	REQUIRE(p.b.io.out.len > 0 && p.b.io.out.data[0] == DOT_NET_F_REKEY2);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	CHECK(p.a.io.events & DOT_NET_EV_REKEYED);
	CHECK(epoch_of(p.a.ch) == 1);
	/* the ephemeral DH of the IK rekey: 4 more on each side */
	check_talk(&p, "after rekey");
	CHECK(roundtrip(&p, &p.b, &p.a, "after rekey back"));
	/* Within the overlap an old frame in flight is still accepted... */
	p.now += 1 * SEC;
	CHECK_RC(dot_net_input(p.b.ch, p.now, old1, n1, &p.b.io), DOT_OK);
	/* ...and after it the old keys are gone. */
	p.now += 5 * SEC;
	REQUIRE_RC(dot_net_tick(p.b.ch, p.now, &p.b.io), DOT_OK);
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	CHECK_RC(dot_net_input(p.b.ch, p.now, old2, n2, &p.b.io),
		 DOT_ENET_EPOCH);
	CHECK_RC(dot_net_input(p.a.ch, p.now, oldb, nb, &p.a.io),
		 DOT_ENET_EPOCH);
	check_talk(&p, "still fine");
	/* and again 60 s later: epoch 2 */
	p.now += 60 * SEC;
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	pump(&p);
	CHECK(epoch_of(p.a.ch) == 2 && epoch_of(p.b.ch) == 2);
	pair_free(&p);
}

static void
test_rekey_after_messages(void)
{
	struct pair p;
	int rv = DOT_OK;

	INIT();
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	p.a.cfg.rekey_after_messages = 8;
	p.b.cfg.rekey_after_messages = 8;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	pump(&p);
	clear(&p.a);
	clear(&p.b);
	/* the initiator's own sends */
	for (int i = 0; i < 7; i++)
		REQUIRE_RC(dot_net_send(p.a.ch, p.now, "x", 1, &p.a.io),
			   DOT_OK);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	CHECK(epoch_of(p.a.ch) == 0);
	REQUIRE_RC(dot_net_send(p.a.ch, p.now, "x", 1, &p.a.io), DOT_OK);
	pump(&p);
	CHECK(epoch_of(p.a.ch) == 1 && epoch_of(p.b.ch) == 1);
	clear(&p.a);
	clear(&p.b);
	/* the responder's sends: the initiator sees the counter, rekeys */
	for (int i = 0; i < 8; i++)
		REQUIRE_RC(dot_net_send(p.b.ch, p.now, "y", 1, &p.b.io),
			   DOT_OK);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	REQUIRE(p.a.io.out.len > 0 && p.a.io.out.data[0] == DOT_NET_F_REKEY1);
	pump(&p);
	CHECK(epoch_of(p.a.ch) == 2 && epoch_of(p.b.ch) == 2);
	/* a responder whose peer never rekeys stops at the hard limit */
	clear(&p.a);
	clear(&p.b);
	for (int i = 0; i < 16 && rv == DOT_OK; i++)
		rv = dot_net_send(p.b.ch, p.now, "z", 1, &p.b.io);
	CHECK_RC(rv, DOT_OK);
	CHECK_RC(dot_net_send(p.b.ch, p.now, "z", 1, &p.b.io),
		 DOT_ENET_KEYS_EXHAUSTED);
	pair_free(&p);
}

/*
 * Lost rekey messages (docs/wire-protocol.md §6). Over TCP nothing is lost
 * unless someone interferes or the peer ignores the rekey; either way the
 * channel must not stay half rekeyed: the initiator tries again every
 * handshake_timeout, the responder sends under the old keys until the
 * initiator confirms the new ones, and no key is used or accepted past
 * reject_after_time.
 */

/* Deliver everything from one end to the other except frames of type
 * `lose`, which are counted in *lost; the first failure. */
static int
flush_lose(struct pair *p, struct ep *from, struct ep *to, uint8_t lose,
	   unsigned *lost)
{
	int first = DOT_OK;
	size_t n;

	while ((n = pop(from, fbuf, sizeof(fbuf))) != 0) {
		int rv;
		if (fbuf[0] == lose) {
			(*lost)++;
			continue;
		}
		rv = dot_net_input(to->ch, p->now, fbuf, n, &to->io);
		if (rv != DOT_OK && first == DOT_OK)
			first = rv;
	}
	return first;
}

/* Seal msg from `from` and keep the frame (not delivered); its length. */
static size_t
hold(struct pair *p, struct ep *from, const char *msg, uint8_t *f, size_t cap)
{
	if (dot_net_send(from->ch, p->now, msg, strlen(msg), &from->io) !=
	    DOT_OK)
		return 0;
	return pop(from, f, cap);
}

static uint64_t
rekeys_of(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.rekeys;
}

/*
 * Run both ends a second at a time from the current time up to (not
 * including) `until`, losing every frame of type `lose` (either way);
 * every 10 s a message each way must still get through. *attempts counts
 * the REKEY1 frames the initiator sent. 1 if all went as it should.
 */
static int
run_losing(struct pair *p, uint64_t until, uint8_t lose, unsigned *attempts,
	   unsigned *lost)
{
	for (; p->now < until; p->now += SEC) {
		size_t at = 0, n;
		struct dot_err e;

		if (dot_net_tick(p->a.ch, p->now, &p->a.io) != DOT_OK ||
		    dot_net_tick(p->b.ch, p->now, &p->b.io) != DOT_OK)
			return 0;
		while (at < p->a.io.out.len &&
		       dot_net_frame_next(p->a.io.out.data + at,
					  p->a.io.out.len - at, &n,
					  &e) == DOT_OK &&
		       n > 0) {
			if (p->a.io.out.data[at] == DOT_NET_F_REKEY1)
				(*attempts)++;
			at += n;
		}
		if (flush_lose(p, &p->a, &p->b, lose, lost) != DOT_OK ||
		    flush_lose(p, &p->b, &p->a, lose, lost) != DOT_OK ||
		    flush_lose(p, &p->a, &p->b, lose, lost) != DOT_OK)
			return 0;
		if ((p->now / SEC) % 10 == 0) {
			clear(&p->a);
			clear(&p->b);
			if (!roundtrip(p, &p->a, &p->b, "still there") ||
			    !roundtrip(p, &p->b, &p->a, "still here"))
				return 0;
		}
		if (dot_net_state(p->a.ch) != DOT_NET_S_ESTABLISHED ||
		    dot_net_state(p->b.ch) != DOT_NET_S_ESTABLISHED)
			return 0;
	}
	return 1;
}

static void
test_rekey_request_lost(void)
{
	static uint8_t late1[256], late2[256];
	size_t n1, n2;
	unsigned attempts = 0, lost = 0;
	struct pair p;
	uint64_t t0;

	INIT();
	established(&p, 1);
	t0 = p.now;
	/* 60 s: the first REKEY1; lost, and again every 10 s, while the
	 * first keys carry everything */
	CHECK(
	    run_losing(&p, t0 + 60 * SEC, DOT_NET_F_REKEY1, &attempts, &lost));
	CHECK(attempts == 0);
	CHECK(
	    run_losing(&p, t0 + 70 * SEC, DOT_NET_F_REKEY1, &attempts, &lost));
	CHECK(attempts == 1);
	CHECK(
	    run_losing(&p, t0 + 179 * SEC, DOT_NET_F_REKEY1, &attempts, &lost));
	CHECK(attempts == 12 && lost == 12);
	CHECK(epoch_of(p.a.ch) == 0 && epoch_of(p.b.ch) == 0);
	CHECK(rekeys_of(p.a.ch) == 0 && rekeys_of(p.b.ch) == 0);
	CHECK(drops_of(p.a.ch) == 0 && drops_of(p.b.ch) == 0);
	/* two frames sealed just before the bound, delivered later */
	n1 = hold(&p, &p.a, "late one", late1, sizeof(late1));
	n2 = hold(&p, &p.a, "late two", late2, sizeof(late2));
	REQUIRE(n1 > 0 && n2 > 0);
	/* up to the bound they are good... */
	p.now = t0 + 180 * SEC - 1;
	clear(&p.b);
	CHECK_RC(dot_net_input(p.b.ch, p.now, late1, n1, &p.b.io), DOT_OK);
	CHECK(p.b.io.events & DOT_NET_EV_DATA);
	/* ...at reject_after_time (3 x 60 s) the keys are dead: the
	 * initiator closes with a CLOSE the responder can read */
	p.now = t0 + 180 * SEC;
	clear(&p.a);
	CHECK_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_ENET_KEYS_EXHAUSTED);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_CLOSED);
	REQUIRE(p.a.io.out.len > 0 && p.a.io.out.data[0] == DOT_NET_F_CLOSE);
	/* (the responder's clock a microsecond behind, else its own bound
	 * closes it first) */
	p.now--;
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	p.now++;
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
	CHECK_RC(dot_net_close_reason(p.b.ch), DOT_ENET_PEER_CLOSED);
	clear(&p.b);
	CHECK_RC(dot_net_input(p.b.ch, p.now, late2, n2, &p.b.io),
		 DOT_ENET_CLOSED);
	CHECK(!(p.b.io.events & DOT_NET_EV_DATA));
	pair_free(&p);

	/* the same, and the CLOSE lost too: the responder's own clock ends
	 * the keys at the same bound */
	attempts = lost = 0;
	established(&p, 0);
	t0 = p.now;
	CHECK(
	    run_losing(&p, t0 + 179 * SEC, DOT_NET_F_REKEY1, &attempts, &lost));
	CHECK(attempts == 12);
	n2 = hold(&p, &p.a, "late two", late2, sizeof(late2));
	REQUIRE(n2 > 0);
	p.now = t0 + 180 * SEC;
	CHECK_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_ENET_KEYS_EXHAUSTED);
	clear(&p.a);
	clear(&p.b);
	CHECK_RC(dot_net_input(p.b.ch, p.now, late2, n2, &p.b.io),
		 DOT_ENET_KEYS_EXHAUSTED);
	CHECK(!(p.b.io.events & DOT_NET_EV_DATA) && p.b.io.data.len == 0);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
	pair_free(&p);
}

static void
test_rekey_answer_lost(void)
{
	static uint8_t olda[256], oldb[256], rk1[2048], f[2048];
	size_t na, nb, nrk, n;
	unsigned attempts = 0, lost = 0;
	struct pair p;
	uint64_t t0;

	INIT();
	established(&p, 0);
	t0 = p.now;
	na = hold(&p, &p.a, "old a", olda, sizeof(olda));
	REQUIRE(na > 0);
	/* 60 s: REKEY1 reaches the responder; its REKEY2 is lost */
	p.now = t0 + 60 * SEC;
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	nrk = pop(&p.a, rk1, sizeof(rk1));
	REQUIRE(nrk > 0 && rk1[0] == DOT_NET_F_REKEY1);
	CHECK_RC(dot_net_input(p.b.ch, p.now, rk1, nrk, &p.b.io), DOT_OK);
	CHECK(epoch_of(p.b.ch) == 1 && rekeys_of(p.b.ch) == 1);
	n = pop(&p.b, f, sizeof(f));
	REQUIRE(n > 0 && f[0] == DOT_NET_F_REKEY2);
	clear(&p.b);
	/* Unconfirmed, the responder goes on under the old keys, which the
	 * initiator has: nothing is lost or dropped meanwhile... */
	REQUIRE_RC(dot_net_send(p.b.ch, p.now, "hello", 5, &p.b.io), DOT_OK);
	REQUIRE(p.b.io.out.len > 0);
	CHECK(p.b.io.out.data[1] == 0); /* the epoch byte */
	clear(&p.a);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	CHECK(p.a.io.data.len == 5);
	/* ...and keeps receiving under them, past key_overlap */
	p.now = t0 + 66 * SEC;
	REQUIRE_RC(dot_net_tick(p.b.ch, p.now, &p.b.io), DOT_OK);
	CHECK(roundtrip(&p, &p.a, &p.b, "still epoch 0"));
	/* a replayed REKEY1 is not answered again */
	clear(&p.b);
	CHECK_RC(dot_net_input(p.b.ch, p.now, rk1, nrk, &p.b.io),
		 DOT_ENET_REPLAY);
	CHECK(p.b.io.out.len == 0 && rekeys_of(p.b.ch) == 1);
	/* 70 s: the initiator tries again; the responder answers the new
	 * REKEY1 (under the old keys: its first answer was never
	 * confirmed), and this time the answer arrives */
	p.now = t0 + 70 * SEC - 1;
	clear(&p.a);
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	CHECK(p.a.io.out.len == 0 || p.a.io.out.data[0] != DOT_NET_F_REKEY1);
	clear(&p.a);
	p.now = t0 + 70 * SEC;
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	REQUIRE(p.a.io.out.len > 0 && p.a.io.out.data[0] == DOT_NET_F_REKEY1);
	CHECK(p.a.io.out.data[1] == 0);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	CHECK(rekeys_of(p.b.ch) == 2 && epoch_of(p.b.ch) == 1);
	REQUIRE(p.b.io.out.len > 0 && p.b.io.out.data[0] == DOT_NET_F_REKEY2);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	CHECK(p.a.io.events & DOT_NET_EV_REKEYED);
	CHECK(epoch_of(p.a.ch) == 1);
	/* the initiator confirms at once; then the responder switches */
	REQUIRE(p.a.io.out.len > 0 &&
		p.a.io.out.data[0] == DOT_NET_F_KEEPALIVE &&
		p.a.io.out.data[1] == 1);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	nb = hold(&p, &p.b, "new b", oldb, sizeof(oldb));
	REQUIRE(nb > 0);
	CHECK(oldb[1] == 1);
	CHECK_RC(dot_net_input(p.a.ch, p.now, oldb, nb, &p.a.io), DOT_OK);
	check_talk(&p, "epoch 1");
	CHECK(roundtrip(&p, &p.b, &p.a, "epoch 1 back"));
	CHECK(drops_of(p.a.ch) == 0 && drops_of(p.b.ch) == 1); /* replay */
	/* key_overlap after the confirmation, the old keys are gone */
	p.now = t0 + 76 * SEC;
	REQUIRE_RC(dot_net_tick(p.b.ch, p.now, &p.b.io), DOT_OK);
	CHECK_RC(dot_net_input(p.b.ch, p.now, olda, na, &p.b.io),
		 DOT_ENET_EPOCH);
	pair_free(&p);

	/* Every REKEY2 lost: the responder answers each attempt but never
	 * switches; at the bound of the old keys the channel closes with a
	 * CLOSE the initiator can read, and the old keys are dead. */
	established(&p, 1);
	t0 = p.now;
	CHECK(
	    run_losing(&p, t0 + 179 * SEC, DOT_NET_F_REKEY2, &attempts, &lost));
	CHECK(attempts == 12 && lost == 12 && rekeys_of(p.b.ch) == 12);
	CHECK(epoch_of(p.a.ch) == 0);
	CHECK(drops_of(p.a.ch) == 0 && drops_of(p.b.ch) == 0);
	na = hold(&p, &p.a, "late a", olda, sizeof(olda));
	REQUIRE(na > 0);
	p.now = t0 + 180 * SEC;
	clear(&p.b);
	CHECK_RC(dot_net_tick(p.b.ch, p.now, &p.b.io), DOT_ENET_KEYS_EXHAUSTED);
	REQUIRE(p.b.io.out.len > 0 && p.b.io.out.data[0] == DOT_NET_F_CLOSE);
	CHECK(p.b.io.out.data[1] == 0);
	p.now--; /* the initiator's clock a microsecond behind */
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	p.now++;
	CHECK_RC(dot_net_close_reason(p.a.ch), DOT_ENET_PEER_CLOSED);
	CHECK_RC(dot_net_input(p.b.ch, p.now, olda, na, &p.b.io),
		 DOT_ENET_CLOSED);
	pair_free(&p);
}

/* ------------------------------------------------------------------ */
/* authorization                                                       */

static void
test_refuse_unknown_key(void)
{
	struct pair p;
	int rv;

	INIT();
	/* XX: the responder does not know the initiator */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	p.b.acl.n = 0;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);         /* HS1 */
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);         /* HS2 */
	/* the initiator may already send: nothing must come of it */
	CHECK_RC(dot_net_send(p.a.ch, p.now, "secret", 6, &p.a.io), DOT_OK);
	rv = flush(&p, &p.a, &p.b);                      /* HS3 + data */
	CHECK_RC(rv, DOT_ENET_REFUSED);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
	CHECK_RC(dot_net_close_reason(p.b.ch), DOT_ENET_REFUSED);
	CHECK(!(p.b.io.events & DOT_NET_EV_DATA) && p.b.io.data.len == 0);
	CHECK(dot_net_peer(p.b.ch) == NULL);
	REQUIRE(p.b.io.out.len > 0 && p.b.io.out.data[0] == DOT_NET_F_REFUSE);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_ENET_REFUSED_BY_PEER);
	CHECK_RC(dot_net_close_reason(p.a.ch), DOT_ENET_REFUSED_BY_PEER);
	pair_free(&p);

	/* IK: refused on the first message */
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	p.b.acl.n = 0;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_ENET_REFUSED);
	CHECK(p.b.acl.calls == 1);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_ENET_REFUSED_BY_PEER);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_CLOSED);
	pair_free(&p);

	/* the initiator refuses the responder (XX and IK) */
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		p.a.acl.n = 0;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
		CHECK_RC(flush(&p, &p.b, &p.a), DOT_ENET_REFUSED);
		CHECK_RC(flush(&p, &p.a, &p.b), DOT_ENET_REFUSED_BY_PEER);
		CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
		CHECK_RC(dot_net_send(p.b.ch, p.now, "x", 1, &p.b.io),
			 DOT_ENET_CLOSED);
		pair_free(&p);
	}

	/* a key the responder knows as a node, claiming to be a client */
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	p.b.acl.verdict[0] = DOT_NET_NODE;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_ENET_ROLE);
	pair_free(&p);
}

/* ------------------------------------------------------------------ */
/* timeouts and closing                                                */

static void
test_handshake_timeout(void)
{
	struct pair p;
	uint64_t t0;

	INIT();
	/* an initiator whose peer never answers */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	t0 = p.now;
	CHECK_RC(dot_net_tick(p.a.ch, t0 + 10 * SEC - 1, &p.a.io), DOT_OK);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_HANDSHAKE);
	CHECK_RC(dot_net_tick(p.a.ch, t0 + 10 * SEC, &p.a.io),
		 DOT_ENET_HANDSHAKE_TIMEOUT);
	CHECK(p.a.io.events & DOT_NET_EV_CLOSED);
	CHECK_RC(dot_net_close_reason(p.a.ch), DOT_ENET_HANDSHAKE_TIMEOUT);
	/* a responder whose initiator stops after HS1 */
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	CHECK(p.b.io.out.len > 0);
	CHECK_RC(dot_net_tick(p.b.ch, t0 + 10 * SEC, &p.b.io),
		 DOT_ENET_HANDSHAKE_TIMEOUT);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
	pair_free(&p);

	/* configurable */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	p.a.cfg.handshake_timeout = 2 * SEC;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	CHECK_RC(dot_net_tick(p.a.ch, p.now + 2 * SEC, &p.a.io),
		 DOT_ENET_HANDSHAKE_TIMEOUT);
	pair_free(&p);
}

static void
test_idle_timeout_and_close(void)
{
	struct pair p;
	uint64_t t0;

	INIT();
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	p.a.cfg.idle_timeout = 30 * SEC;
	p.a.cfg.keepalive_interval = 10 * SEC;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	pump(&p);
	clear(&p.a);
	clear(&p.b);
	t0 = p.now;
	/* the initiator keeps sending keepalives, but hears nothing */
	p.now = t0 + 10 * SEC;
	CHECK_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	CHECK(p.a.io.out.len > 0 && p.a.io.out.data[0] == DOT_NET_F_KEEPALIVE);
	p.a.io.out.len = 0;
	p.now = t0 + 30 * SEC;
	CHECK_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_ENET_IDLE_TIMEOUT);
	CHECK(p.a.io.events & DOT_NET_EV_CLOSED);
	REQUIRE(p.a.io.out.len > 0 && p.a.io.out.data[0] == DOT_NET_F_CLOSE);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_OK);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
	CHECK_RC(dot_net_close_reason(p.b.ch), DOT_ENET_PEER_CLOSED);
	pair_free(&p);

	/* orderly close */
	established(&p, 0);
	dot_net_close(p.b.ch, &p.b.io);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	CHECK_RC(dot_net_close_reason(p.a.ch), DOT_ENET_PEER_CLOSED);
	pair_free(&p);
}

static void
test_too_many_drops(void)
{
	struct pair p;
	uint8_t junk[DOT_NET_HDR_LEN + 30];

	INIT();
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	p.b.cfg.max_drops = 3;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	pump(&p);
	memset(junk, 0, sizeof(junk));
	junk[0] = DOT_NET_F_DATA;
	junk[5] = 30;
	for (int i = 0; i < 2; i++) {
		junk[10] = (uint8_t)i;
		CHECK_RC(dot_net_input(p.b.ch, p.now, junk, sizeof(junk),
				       &p.b.io),
			 DOT_ENET_AUTH);
		CHECK(dot_net_state(p.b.ch) == DOT_NET_S_ESTABLISHED);
	}
	junk[10] = 9;
	CHECK_RC(dot_net_input(p.b.ch, p.now, junk, sizeof(junk), &p.b.io),
		 DOT_ENET_AUTH);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
	CHECK_RC(dot_net_close_reason(p.b.ch), DOT_ENET_TOO_MANY_DROPS);
	pair_free(&p);
}

/* ------------------------------------------------------------------ */
/* cipher negotiation and downgrade                                    */

/* Recompute HS1's mac1 as a man in the middle can (docs §5.1: the key
 * derives from the cluster id only). */
static void
fix_mac1(uint8_t *f, size_t n)
{
	uint8_t in[64], key[32];
	size_t tl = strlen("dot-net-v1 mac1");

	memcpy(in, "dot-net-v1 mac1", tl);
	memcpy(in + tl, CID, 16);
	if (dot_blake2b(key, 32, in, tl + 16, NULL, 0) != DOT_OK ||
	    dot_blake2b(f + n - 32, 16, f, n - 32, key, 32) != DOT_OK)
		abort();
}

static void
test_downgrade(void)
{
	static uint8_t f[4096];
	struct pair p;
	size_t n;

	INIT();
	if (!dot_aead_available(DOT_SUITE_AES256GCM))
		SKIP("AES-256-GCM not available on this CPU");
	/* 1. HS1's cipher rewritten to ChaCha: the responder follows, the
	 * initiator sees its proposal not echoed */
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_AES256GCM);
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		REQUIRE(n > 0 && f[8] == DOT_SUITE_AES256GCM);
		f[8] = DOT_SUITE_CHACHA20POLY1305;
		fix_mac1(f, n);
		if (ik) {
			/* IK's first message is already encrypted under the
			 * transcript: the responder itself detects it */
			CHECK_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io),
				 DOT_ENET_HANDSHAKE);
			CHECK(p.b.io.out.len == 0);
			CHECK(dot_net_state(p.b.ch) == DOT_NET_S_HANDSHAKE);
			pair_free(&p);
			continue;
		}
		CHECK_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
		CHECK(dot_net_cipher(p.b.ch) == DOT_SUITE_CHACHA20POLY1305);
		n = pop(&p.b, f, sizeof(f));
		REQUIRE(n > 0);
		CHECK_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io),
			 DOT_ENET_CIPHER);
		/* 2. ... and the answer rewritten back: the transcript
		 * (prologue and protocol name) differs, so it fails */
		f[8] = DOT_SUITE_AES256GCM;
		CHECK_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io),
			 DOT_ENET_HANDSHAKE);
		CHECK(dot_net_state(p.a.ch) == DOT_NET_S_HANDSHAKE);
		CHECK(dot_net_peer(p.a.ch) == NULL);
		pair_free(&p);
	}
	/* 3. an honest responder that only takes ChaCha refuses AES */
	pair_setup(&p, 0, DOT_SUITE_AES256GCM);
	p.b.cfg.cipher = DOT_SUITE_CHACHA20POLY1305;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	CHECK_RC(flush(&p, &p.a, &p.b), DOT_ENET_CIPHER);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_ENET_CIPHER);
	CHECK_RC(dot_net_close_reason(p.a.ch), DOT_ENET_CIPHER);
	pair_free(&p);
}

static void
test_kem_slot(void)
{
	static uint8_t f[4096], g[4096 + 8];
	struct pair p;
	size_t n;

	INIT();
	/* a KEM id we do not know, even with a correct mac1: refused with
	 * reason 4, no DH (classic and hybrid HS1 alike) */
	for (int classic = 0; classic < 2; classic++) {
		pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
		p.a.cfg.classic = classic;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		REQUIRE(n > 0 && f[10] == 0 && f[11] == 0);
		CHECK(f[9] == (classic ? DOT_NET_KEM_NONE : DOT_NET_KEM_XWING));
		f[9] = classic ? 1 : 0x13;
		fix_mac1(f, n);
		CHECK_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io),
			 DOT_ENET_KEM);
		CHECK(dh_of(p.b.ch) == 0 && kem_of(p.b.ch) == 0);
		REQUIRE(p.b.io.out.len == DOT_NET_HDR_LEN + 1 &&
			p.b.io.out.data[0] == DOT_NET_F_REFUSE &&
			p.b.io.out.data[DOT_NET_HDR_LEN] == DOT_NET_R_VERSION);
		CHECK_RC(flush(&p, &p.b, &p.a), DOT_ENET_VERSION);
		pair_free(&p);
	}
	/* a non-empty kem field (the KEM's bytes are Noise tokens; the field
	 * stays empty): dropped and counted, the genuine HS1 still works */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	p.a.cfg.classic = 1;
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	memcpy(g, f, 12);
	g[11] = 4;
	memset(g + 12, 0xaa, 4);
	memcpy(g + 16, f + 12, n - 12);
	g[5] = (uint8_t)(g[5] + 4);
	fix_mac1(g, n + 4);
	CHECK_RC(dot_net_input(p.b.ch, p.now, g, n + 4, &p.b.io),
		 DOT_ENET_FRAME);
	CHECK(p.b.io.out.len == 0 && drops_of(p.b.ch) == 1);
	CHECK(dh_of(p.b.ch) == 0);
	CHECK_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
	pump(&p);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_ESTABLISHED);
	pair_free(&p);
}

/* ------------------------------------------------------------------ */
/* the hybrid handshake: Noise hfs with X-Wing (docs §3.5)             */

/* Offsets in hybrid handshake frames (docs §3.5): the frame header (6),
 * the prefix (6), then the Noise message at 12. */
#define O_KEM 9
#define O_MSG 12
#define XX1_E1 (O_MSG + 32)          /* XXhfs HS1: e1 in clear */
#define IK1_E1 (O_MSG + 32)          /* IKhfs HS1: e1 encrypted (+16) */
#define HS2_EKEM1 (O_MSG + 32)       /* HS2: ekem1, encrypted (+16) */
#define PK DOT_XWING_PK_LEN
#define CT DOT_XWING_CT_LEN

/*
 * What a man in the middle can do to a frame: replace del bytes at `at`
 * with ins (inslen bytes), set the body length, and for HS1 recompute
 * mac1 (its key derives from the cluster id only). The new length.
 */
static size_t
mitm(const uint8_t *f, size_t n, size_t at, size_t del, const uint8_t *ins,
     size_t inslen, uint8_t *g)
{
	size_t m = n - del + inslen;
	uint32_t body = (uint32_t)(m - DOT_NET_HDR_LEN);

	memcpy(g, f, at);
	if (inslen)
		memcpy(g + at, ins, inslen);
	memcpy(g + at + inslen, f + at + del, n - at - del);
	g[2] = (uint8_t)(body >> 24);
	g[3] = (uint8_t)(body >> 16);
	g[4] = (uint8_t)(body >> 8);
	g[5] = (uint8_t)body;
	if (g[0] == DOT_NET_F_HS1) {
		memset(g + m - 16, 0, 16); /* mac2: no cookie */
		fix_mac1(g, m);
	}
	return m;
}

/* The exact sizes of docs §3.5 (frame = 6-byte header + body). */
static void
test_hfs_wire_sizes(void)
{
	static uint8_t f[4096];
	struct pair p;
	size_t n;

	INIT();
	/* XXhfs: HS1 6 + 32 + 1216 + 32, HS2 6 + 32 + 1136 + 48 + 21,
	 * HS3 6 + 48 + 21 (the payload: 5 bytes of CBOR + 16) */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	CHECK(n == 6 + 1286);
	CHECK(f[6] == DOT_NET_VERSION && f[7] == DOT_NET_XX &&
	      f[8] == DOT_SUITE_CHACHA20POLY1305 &&
	      f[O_KEM] == DOT_NET_KEM_XWING && f[10] == 0 && f[11] == 0);
	/* e1 travels in clear in XX: it is a valid X-Wing public key */
	CHECK_RC(dot_xwing_pk_check(f + XX1_E1, PK), DOT_OK);
	REQUIRE_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
	CHECK(dot_net_kem(p.b.ch) == DOT_NET_KEM_XWING);
	n = pop(&p.b, f, sizeof(f));
	CHECK(n == 6 + 1243 && f[O_KEM] == DOT_NET_KEM_XWING);
	REQUIRE_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	CHECK(n == 6 + 75 && f[O_KEM] == DOT_NET_KEM_XWING);
	REQUIRE_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_ESTABLISHED);
	/* the rekey is IKhfs: REKEY1 24 + 4 + 32 + 1232 + 48 + 16,
	 * REKEY2 24 + 4 + 32 + 1136 + 16; the kem byte is the channel's */
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	p.now += 60 * SEC;
	clear(&p.a);
	REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	CHECK(n == 6 + 1356 && f[0] == DOT_NET_F_REKEY1);
	REQUIRE_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
	n = pop(&p.b, f, sizeof(f));
	CHECK(n == 6 + 1212 && f[0] == DOT_NET_F_REKEY2);
	REQUIRE_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io), DOT_OK);
	CHECK(epoch_of(p.a.ch) == 1);
	/* two X-Wing operations more on each side: the initiator a key pair
	 * and a decapsulation, the responder an encapsulation */
	CHECK(kem_of(p.a.ch) == 4 && kem_of(p.b.ch) == 2);
	pair_free(&p);

	/* IKhfs: HS1 6 + 32 + 1232 + 48 + 21 + 32, HS2 6 + 32 + 1136 + 21 */
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	CHECK(n == 6 + 1371 && f[7] == DOT_NET_IK &&
	      f[O_KEM] == DOT_NET_KEM_XWING);
	REQUIRE_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
	n = pop(&p.b, f, sizeof(f));
	CHECK(n == 6 + 1195 && f[O_KEM] == DOT_NET_KEM_XWING);
	REQUIRE_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io), DOT_OK);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_ESTABLISHED);
	pair_free(&p);

	/* classic frames are what they were: 70 + 6 and 139 + 6 */
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		p.a.cfg.classic = 1;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		CHECK(n == (ik ? 6u + 139 : 6u + 70) &&
		      f[O_KEM] == DOT_NET_KEM_NONE);
		pair_free(&p);
	}
}

/* Hybrid XX and IK: both suites, transport both ways, a hybrid rekey. */
static void
hfs_case(int ik, uint8_t cipher)
{
	struct pair p;

	handshake_case(ik, cipher, 0);
	/* and on through two rekeys, every one hybrid */
	established(&p, ik);
	REQUIRE(dot_net_kem(p.a.ch) == DOT_NET_KEM_XWING);
	for (int i = 1; i <= 2; i++) {
		p.now += 60 * SEC;
		REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
		REQUIRE(p.a.io.out.len > 0 &&
			p.a.io.out.data[0] == DOT_NET_F_REKEY1);
		pump(&p);
		CHECK(epoch_of(p.a.ch) == i && epoch_of(p.b.ch) == i);
		check_talk(&p, "after a hybrid rekey");
		CHECK(roundtrip(&p, &p.b, &p.a, "and back"));
	}
	CHECK(kem_of(p.a.ch) == 2u * 3 && kem_of(p.b.ch) == 3);
	pair_free(&p);
}

static void
test_hfs_handshake_xx(void)
{
	INIT();
	hfs_case(0, DOT_SUITE_CHACHA20POLY1305);
	if (dot_aead_available(DOT_SUITE_AES256GCM))
		hfs_case(0, DOT_SUITE_AES256GCM);
}

static void
test_hfs_handshake_ik(void)
{
	INIT();
	hfs_case(1, DOT_SUITE_CHACHA20POLY1305);
	if (dot_aead_available(DOT_SUITE_AES256GCM))
		hfs_case(1, DOT_SUITE_AES256GCM);
}

/* A classic initiator (kem 0) still talks to a default responder, which
 * answers classic: no KEM work, the same handshake as before. */
static void
test_hfs_classic_initiator(void)
{
	static uint8_t f[4096];
	struct pair p;
	size_t n;

	INIT();
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		p.a.cfg.classic = 1;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		REQUIRE_RC(flush(&p, &p.a, &p.b), DOT_OK);
		n = pop(&p.b, f, sizeof(f));
		REQUIRE(n > 0 && f[O_KEM] == DOT_NET_KEM_NONE);
		REQUIRE_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io), DOT_OK);
		pump_established(&p);
		CHECK(dot_net_kem(p.a.ch) == DOT_NET_KEM_NONE &&
		      dot_net_kem(p.b.ch) == DOT_NET_KEM_NONE);
		CHECK(kem_of(p.a.ch) == 0 && kem_of(p.b.ch) == 0);
		check_talk(&p, "classic");
		/* its rekeys stay classic (a 4-byte prefix, kem 0) */
		p.now += 60 * SEC;
		REQUIRE_RC(dot_net_tick(p.a.ch, p.now, &p.a.io), DOT_OK);
		REQUIRE(p.a.io.out.len == 6 + 24 + 4 + 32 + 48 + 16);
		pump(&p);
		CHECK(epoch_of(p.b.ch) == 1 && kem_of(p.b.ch) == 0);
		pair_free(&p);
	}
}

/* A responder that requires the KEM refuses kem 0 before any DH, with
 * REFUSE reason 7; it still takes a hybrid initiator. */
static void
test_hfs_require_kem(void)
{
	struct pair p;

	INIT();
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		p.a.cfg.classic = 1;
		p.b.cfg.require_kem = 1;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		CHECK_RC(flush(&p, &p.a, &p.b), DOT_ENET_KEM);
		CHECK(dh_of(p.b.ch) == 0 && kem_of(p.b.ch) == 0);
		CHECK(p.b.acl.calls == 0);
		CHECK(dot_net_state(p.b.ch) == DOT_NET_S_CLOSED);
		CHECK_RC(dot_net_close_reason(p.b.ch), DOT_ENET_KEM);
		REQUIRE(p.b.io.out.len == DOT_NET_HDR_LEN + 1 &&
			p.b.io.out.data[0] == DOT_NET_F_REFUSE &&
			p.b.io.out.data[DOT_NET_HDR_LEN] ==
			    DOT_NET_R_KEM_REQUIRED);
		CHECK_RC(flush(&p, &p.b, &p.a), DOT_ENET_KEM);
		CHECK(dot_net_state(p.a.ch) == DOT_NET_S_CLOSED);
		CHECK_RC(dot_net_close_reason(p.a.ch), DOT_ENET_KEM);
		pair_free(&p);

		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		p.b.cfg.require_kem = 1;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		pump_established(&p);
		check_talk(&p, "post-quantum only");
		pair_free(&p);
	}
}

/*
 * A man in the middle strips the KEM (docs §3.3, §3.5). mac1 is always
 * recomputed: anyone who knows the cluster id can.
 */
static void
test_hfs_strip_kem(void)
{
	static uint8_t f[4096], g[4096], h2[4096];
	struct pair p;
	size_t n, m, n2;

	INIT();
	/* 1. the kem byte of HS1 rewritten to 0, the message left: the
	 * responder parses a classic message and finds it malformed */
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		m = mitm(f, n, O_KEM, 1, (const uint8_t *)"\0", 1, g);
		CHECK_RC(dot_net_input(p.b.ch, p.now, g, m, &p.b.io),
			 DOT_ENET_HANDSHAKE);
		CHECK(p.b.io.out.len == 0 && drops_of(p.b.ch) == 1);
		CHECK(dot_net_state(p.b.ch) == DOT_NET_S_HANDSHAKE);
		/* the genuine HS1 still goes through */
		CHECK_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
		pump(&p);
		CHECK(dot_net_state(p.a.ch) == DOT_NET_S_ESTABLISHED);
		CHECK(dot_net_kem(p.b.ch) == DOT_NET_KEM_XWING);
		pair_free(&p);
	}

	/* 2. XX: the kem byte to 0 and e1 cut out, a well-formed classic
	 * HS1. A default responder answers classic; the initiator, which
	 * proposed X-Wing, drops the answer (no echo), and the answer with
	 * its kem byte set back fails the transcript: never established */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	m = mitm(f, n, XX1_E1, PK, NULL, 0, g);
	g[O_KEM] = DOT_NET_KEM_NONE;
	fix_mac1(g, m);
	CHECK(m == 6 + 70);
	CHECK_RC(dot_net_input(p.b.ch, p.now, g, m, &p.b.io), DOT_OK);
	CHECK(dot_net_kem(p.b.ch) == DOT_NET_KEM_NONE);
	n2 = pop(&p.b, h2, sizeof(h2));
	REQUIRE(n2 > 0 && h2[O_KEM] == DOT_NET_KEM_NONE);
	CHECK_RC(dot_net_input(p.a.ch, p.now, h2, n2, &p.a.io), DOT_ENET_KEM);
	h2[O_KEM] = DOT_NET_KEM_XWING;
	CHECK_RC(dot_net_input(p.a.ch, p.now, h2, n2, &p.a.io),
		 DOT_ENET_HANDSHAKE);
	/* ... padded to the hybrid length, still the transcript fails */
	m = mitm(h2, n2, HS2_EKEM1, 0, f + XX1_E1, CT + 16, g);
	CHECK_RC(dot_net_input(p.a.ch, p.now, g, m, &p.a.io),
		 DOT_ENET_HANDSHAKE);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_HANDSHAKE);
	CHECK(dot_net_peer(p.a.ch) == NULL);
	CHECK(p.a.io.out.len == 0 && drops_of(p.a.ch) == 3);
	CHECK(kem_of(p.a.ch) == 1); /* its key pair, nothing decapsulated */
	pair_free(&p);

	/* 3. IK: e1 cut out (1232 bytes after e), kem byte 0: the encrypted
	 * static key no longer authenticates, dropped */
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	m = mitm(f, n, IK1_E1, PK + 16, NULL, 0, g);
	g[O_KEM] = DOT_NET_KEM_NONE;
	fix_mac1(g, m);
	CHECK(m == 6 + 139);
	CHECK_RC(dot_net_input(p.b.ch, p.now, g, m, &p.b.io),
		 DOT_ENET_HANDSHAKE);
	CHECK(p.b.io.out.len == 0 && p.b.acl.calls == 0);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_HANDSHAKE);
	pair_free(&p);

	/* 4. the stripped HS1 at a responder that requires the KEM: a
	 * REFUSE (reason 7), no DH */
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		p.b.cfg.require_kem = 1;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		m = mitm(f, n, XX1_E1, ik ? PK + 16 : PK, NULL, 0, g);
		g[O_KEM] = DOT_NET_KEM_NONE;
		fix_mac1(g, m);
		CHECK_RC(dot_net_input(p.b.ch, p.now, g, m, &p.b.io),
			 DOT_ENET_KEM);
		CHECK(dh_of(p.b.ch) == 0 && kem_of(p.b.ch) == 0);
		REQUIRE(p.b.io.out.len == DOT_NET_HDR_LEN + 1 &&
			p.b.io.out.data[DOT_NET_HDR_LEN] ==
			    DOT_NET_R_KEM_REQUIRED);
		pair_free(&p);
	}

	/* 5. the other way: a classic proposal made hybrid (kem byte set to
	 * X-Wing): the message lacks e1 and is dropped */
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		p.a.cfg.classic = 1;
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		f[O_KEM] = DOT_NET_KEM_XWING;
		fix_mac1(f, n);
		CHECK_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io),
			 DOT_ENET_HANDSHAKE);
		CHECK(p.b.io.out.len == 0);
		pair_free(&p);
	}
}

/* e1 replaced by the attacker's own valid X-Wing key (so that it could
 * decapsulate the responder's ciphertext), or by one the FIPS 203 check
 * refuses. */
static void
test_hfs_e1_replaced(void)
{
	static uint8_t f[4096], g[4096];
	uint8_t sk[DOT_XWING_SK_LEN], pk[PK], rnd[32];
	struct pair p;
	size_t n, m;

	INIT();
	memset(rnd, 0x5a, sizeof(rnd));
	dot_xwing_keypair(sk, pk, rnd);
	/* XX (e1 in clear): the responder cannot tell and answers, but the
	 * initiator's transcript holds its own e1: HS2 fails, dropped */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	m = mitm(f, n, XX1_E1, PK, pk, PK, g);
	CHECK(m == n);
	CHECK_RC(dot_net_input(p.b.ch, p.now, g, m, &p.b.io), DOT_OK);
	CHECK(kem_of(p.b.ch) == 1);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_ENET_HANDSHAKE);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_HANDSHAKE);
	CHECK(p.a.io.out.len == 0 && dot_net_peer(p.a.ch) == NULL);
	pair_free(&p);

	/* IK (e1 encrypted under es): the swap fails at the responder */
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	m = mitm(f, n, IK1_E1, PK, pk, PK, g);
	CHECK_RC(dot_net_input(p.b.ch, p.now, g, m, &p.b.io),
		 DOT_ENET_HANDSHAKE);
	CHECK(p.b.io.out.len == 0 && p.b.acl.calls == 0);
	CHECK(kem_of(p.b.ch) == 0);
	pair_free(&p);

	/* An e1 whose ML-KEM part has a coefficient >= q (the modulus
	 * check of FIPS 203 §7.2): dropped before any KEM work, and the
	 * genuine HS1 still works */
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, f, sizeof(f));
	memcpy(g, f, n);
	g[XX1_E1] = 0xff;
	g[XX1_E1 + 1] |= 0x0f; /* the first 12-bit value: 0xfff */
	fix_mac1(g, n);
	CHECK_RC(dot_xwing_pk_check(g + XX1_E1, PK), DOT_ECRYPTO_XWING_PK);
	CHECK_RC(dot_net_input(p.b.ch, p.now, g, n, &p.b.io),
		 DOT_ENET_HANDSHAKE);
	CHECK(p.b.io.out.len == 0 && kem_of(p.b.ch) == 0 &&
	      drops_of(p.b.ch) == 1);
	CHECK_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io), DOT_OK);
	pump(&p);
	CHECK(dot_net_state(p.a.ch) == DOT_NET_S_ESTABLISHED);
	pair_free(&p);
	sodium_memzero(sk, sizeof(sk));
}

/* HS2's ciphertext replaced: by other bytes, or by a fresh encapsulation
 * to the initiator's real e1 (which XX shows in clear). */
static void
test_hfs_ct_replaced(void)
{
	static uint8_t f[4096], g[4096], e1[PK], ct[CT + 16];
	uint8_t ss[DOT_XWING_SS_LEN], eseed[DOT_XWING_ESEED_LEN];
	struct pair p;
	size_t n, m;

	INIT();
	for (int ik = 0; ik < 2; ik++) {
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		if (!ik)
			memcpy(e1, f + XX1_E1, PK);
		REQUIRE_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io),
			   DOT_OK);
		n = pop(&p.b, f, sizeof(f));
		REQUIRE(n > 0);
		/* a fresh encapsulation to e1 (XX), or the responder's
		 * ciphertext with one byte changed (IK) */
		if (!ik) {
			memset(eseed, 0x77, sizeof(eseed));
			REQUIRE_RC(dot_xwing_encaps_derand(ct, ss, e1, PK,
							   eseed),
				   DOT_OK);
			memset(ct + CT, 0, 16);
		} else {
			memcpy(ct, f + HS2_EKEM1, CT + 16);
			ct[100] ^= 0x01;
		}
		m = mitm(f, n, HS2_EKEM1, CT + 16, ct, CT + 16, g);
		CHECK_RC(dot_net_input(p.a.ch, p.now, g, m, &p.a.io),
			 DOT_ENET_HANDSHAKE);
		CHECK(dot_net_state(p.a.ch) == DOT_NET_S_HANDSHAKE);
		CHECK(p.a.io.out.len == 0);
		/* the genuine answer still completes (the e1 secret was
		 * only wiped in the copy that failed) */
		CHECK_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io), DOT_OK);
		pump_established(&p);
		pair_free(&p);
	}
	sodium_memzero(ss, sizeof(ss));
}

/* Truncated and oversized KEM fields: dropped, counted, nothing sent
 * back; the genuine frame still works. */
static void
test_hfs_bad_lengths(void)
{
	static uint8_t f[4096], g[4096], junk[PK + 32];
	struct pair p;
	size_t n, m;

	INIT();
	memset(junk, 0xa5, sizeof(junk));
	for (int ik = 0; ik < 2; ik++) {
		const size_t e1len = ik ? PK + 16 : PK;
		struct {
			size_t at, del, ins;
		} cut[] = {
			{XX1_E1 + e1len - 1, 1, 0},  /* e1 one byte short */
			{XX1_E1 + 1, e1len - 1, 0},  /* e1 cut to one byte */
			{XX1_E1, e1len, 0},          /* no e1 at all */
			{XX1_E1 + e1len, 0, 1},      /* e1 one byte long */
			{XX1_E1 + e1len, 0, 32},     /* 32 more bytes */
			{O_MSG, 0, PK},              /* e1 in the kem field */
		};
		pair_setup(&p, ik, DOT_SUITE_CHACHA20POLY1305);
		REQUIRE_RC(pair_start(&p), DOT_OK);
		n = pop(&p.a, f, sizeof(f));
		for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
			m = mitm(f, n, cut[i].at, cut[i].del, junk, cut[i].ins,
				 g);
			if (i == 5) { /* kem_len 1216 and the field filled */
				g[10] = (uint8_t)(PK >> 8);
				g[11] = (uint8_t)PK;
				fix_mac1(g, m);
			}
			CHECK(dot_net_input(p.b.ch, p.now, g, m, &p.b.io) !=
			      DOT_OK);
			CHECK(p.b.io.out.len == 0);
			CHECK(drops_of(p.b.ch) == i + 1);
			CHECK(dot_net_state(p.b.ch) == DOT_NET_S_HANDSHAKE);
		}
		CHECK(kem_of(p.b.ch) == 0);
		/* a body length over the limit: not even a frame */
		{
			struct dot_err e;
			size_t fl;
			uint8_t hdr[6] = {DOT_NET_F_HS1, 0, 0, 0, 0x10, 0x01};
			CHECK_RC(dot_net_frame_next(hdr, 6, &fl, &e),
				 DOT_ENET_FRAME);
		}
		REQUIRE_RC(dot_net_input(p.b.ch, p.now, f, n, &p.b.io),
			   DOT_OK);
		/* HS2 at the initiator: ekem1 short by one, long by one,
		 * kem field non-empty */
		n = pop(&p.b, f, sizeof(f));
		REQUIRE(n > 0);
		m = mitm(f, n, HS2_EKEM1 + CT + 15, 1, NULL, 0, g);
		CHECK_RC(dot_net_input(p.a.ch, p.now, g, m, &p.a.io),
			 DOT_ENET_HANDSHAKE);
		m = mitm(f, n, HS2_EKEM1 + CT + 16, 0, junk, 1, g);
		CHECK_RC(dot_net_input(p.a.ch, p.now, g, m, &p.a.io),
			 DOT_ENET_HANDSHAKE);
		m = mitm(f, n, O_MSG, 0, junk, 4, g);
		g[11] = 4;
		CHECK_RC(dot_net_input(p.a.ch, p.now, g, m, &p.a.io),
			 DOT_ENET_FRAME);
		CHECK(drops_of(p.a.ch) == 3 && p.a.io.out.len == 0);
		CHECK_RC(dot_net_input(p.a.ch, p.now, f, n, &p.a.io), DOT_OK);
		pump_established(&p);
		pair_free(&p);
	}
}

/* The Noise core's hfs: names, agreement, the KEM in the key schedule,
 * ekem1 authenticated by what follows it, KEM secrets wiped. */
struct core_out {
	uint8_t h[64];
	uint8_t k1[32], k2[32];
};

static int
core_run(int pattern, uint8_t kem, uint8_t ekem_seed_byte,
	 struct core_out *o)
{
	static const uint8_t prologue[] = "hfs core test";
	uint8_t is[32], rsk[32], rpk[DOT_X25519_PK_LEN], seed[64];
	uint8_t msg[4096], pl[256];
	size_t mn, pn;
	struct noise_hs hi, hr;
	struct noise_cipher a1, a2, b1, b2;
	int rv = DOT_OK;

	memset(is, 0x01, 32);
	memset(rsk, 0x02, 32);
	if (dot_kx_keypair(DOT_SUITE_X25519, rsk, rsk, rpk) != DOT_OK)
		return DOT_ECRYPTO_KEY;
	if (noise_hs_init_kem(&hi, pattern, kem, DOT_SUITE_CHACHA20POLY1305,
			      1, prologue, sizeof(prologue), is,
			      pattern == NOISE_IK ? rpk + 1 : NULL) != DOT_OK ||
	    noise_hs_init_kem(&hr, pattern, kem, DOT_SUITE_CHACHA20POLY1305,
			      0, prologue, sizeof(prologue), rsk,
			      NULL) != DOT_OK)
		return DOT_EINVAL;
	for (int i = 0; !noise_hs_done(&hi) && rv == DOT_OK; i++) {
		struct noise_hs *w = i % 2 ? &hr : &hi, *r = i % 2 ? &hi : &hr;
		memset(seed, 0x30 + i, 32);
		noise_hs_set_ephemeral(w, seed);
		memset(seed, i % 2 ? ekem_seed_byte : 0x40 + i, 64);
		if (kem)
			noise_hs_set_kem_seed(w, seed);
		rv = noise_hs_write(w, (const uint8_t *)"pl", 2, msg,
				    sizeof(msg), &mn);
		if (rv == DOT_OK && mn != noise_hs_msg_len(r, 2) + 0 &&
		    i > 0)
			rv = DOT_ERANGE;
		if (rv == DOT_OK)
			rv = noise_hs_read(r, msg, mn, pl, sizeof(pl), &pn);
		if (rv == DOT_OK && (pn != 2 || memcmp(pl, "pl", 2) != 0))
			rv = DOT_ERANGE;
		/* once ekem1 is read, the initiator's e1 secret is gone */
		if (rv == DOT_OK && kem && i == 1 &&
		    (hi.has_e1 || !sodium_is_zero(hi.e1_sk, 32)))
			rv = DOT_ERANGE;
	}
	if (rv != DOT_OK)
		return rv;
	if (memcmp(hi.ss.h, hr.ss.h, 64) != 0)
		return DOT_ECRYPTO_DECRYPT;
	memcpy(o->h, hi.ss.h, 64);
	if (noise_hs_split(&hi, &a1, &a2) != DOT_OK ||
	    noise_hs_split(&hr, &b1, &b2) != DOT_OK)
		return DOT_EINVAL;
	if (memcmp(a1.k, b1.k, 32) != 0 || memcmp(a2.k, b2.k, 32) != 0)
		return DOT_ECRYPTO_DECRYPT;
	/* Split wiped every handshake secret */
	if (!sodium_is_zero(hi.e1_sk, 32) || !sodium_is_zero(hi.kem_seed, 64) ||
	    !sodium_is_zero(hr.kem_seed, 64) || !sodium_is_zero(hi.ss.ck, 64))
		return DOT_ERANGE;
	memcpy(o->k1, a1.k, 32);
	memcpy(o->k2, a2.k, 32);
	return DOT_OK;
}

static void
test_hfs_noise_core(void)
{
	struct core_out c0, c1, c2;

	INIT();
	CHECK(strcmp(noise_protocol_name_kem(NOISE_XX, NOISE_KEM_XWING,
					     DOT_SUITE_CHACHA20POLY1305),
		     "Noise_XXhfs_25519+XWing_ChaChaPoly_BLAKE2b") == 0);
	CHECK(strcmp(noise_protocol_name_kem(NOISE_IK, NOISE_KEM_XWING,
					     DOT_SUITE_AES256GCM),
		     "Noise_IKhfs_25519+XWing_AESGCM_BLAKE2b") == 0);
	CHECK(strcmp(noise_protocol_name_kem(NOISE_IK, NOISE_KEM_NONE,
					     DOT_SUITE_AES256GCM),
		     "Noise_IK_25519_AESGCM_BLAKE2b") == 0);
	CHECK(noise_protocol_name_kem(NOISE_XX, 0x13,
				      DOT_SUITE_CHACHA20POLY1305) == NULL);
	for (int pat = NOISE_XX; pat <= NOISE_IK; pat++) {
		/* the same X25519 keys throughout: only the KEM differs */
		REQUIRE_RC(core_run(pat, NOISE_KEM_NONE, 0x50, &c0), DOT_OK);
		REQUIRE_RC(core_run(pat, NOISE_KEM_XWING, 0x50, &c1), DOT_OK);
		REQUIRE_RC(core_run(pat, NOISE_KEM_XWING, 0x51, &c2), DOT_OK);
		/* the transport keys depend on the KEM's shared secret */
		CHECK(memcmp(c0.k1, c1.k1, 32) != 0);
		CHECK(memcmp(c1.k1, c2.k1, 32) != 0 &&
		      memcmp(c1.k2, c2.k2, 32) != 0);
		CHECK(memcmp(c0.h, c1.h, 64) != 0);
	}
	/* ekem1 spliced: an attacker who knows every X25519 secret can
	 * encrypt another valid ciphertext under the ee key; the tokens
	 * after it (s, es, payload) are keyed by the real shared secret, so
	 * the message fails. Two responders alike but for their KEM
	 * randomness give the two messages. */
	{
		static const uint8_t pro[] = "splice";
		uint8_t is[32], rsk[32], seed[64], m1[4096], m2[4096];
		uint8_t m3[4096], pl[256];
		size_t n1, n2, pn, ctoff = 32, ctlen = CT + 16;
		struct noise_hs hi, hr1, hr2, tmp;

		memset(is, 0x01, 32);
		memset(rsk, 0x02, 32);
		REQUIRE_RC(noise_hs_init_kem(&hi, NOISE_XX, NOISE_KEM_XWING,
					     DOT_SUITE_CHACHA20POLY1305, 1, pro,
					     sizeof(pro), is, NULL),
			   DOT_OK);
		REQUIRE_RC(noise_hs_init_kem(&hr1, NOISE_XX, NOISE_KEM_XWING,
					     DOT_SUITE_CHACHA20POLY1305, 0, pro,
					     sizeof(pro), rsk, NULL),
			   DOT_OK);
		memset(seed, 0x61, 64);
		noise_hs_set_ephemeral(&hi, seed);
		noise_hs_set_kem_seed(&hi, seed);
		REQUIRE_RC(noise_hs_write(&hi, NULL, 0, m1, sizeof(m1), &n1),
			   DOT_OK);
		REQUIRE_RC(noise_hs_read(&hr1, m1, n1, pl, sizeof(pl), &pn),
			   DOT_OK);
		hr2 = hr1;
		memset(seed, 0x62, 64);
		noise_hs_set_ephemeral(&hr1, seed);
		noise_hs_set_ephemeral(&hr2, seed);
		noise_hs_set_kem_seed(&hr1, seed);
		seed[0] ^= 1;
		noise_hs_set_kem_seed(&hr2, seed);
		REQUIRE_RC(noise_hs_write(&hr1, NULL, 0, m1, sizeof(m1), &n1),
			   DOT_OK);
		REQUIRE_RC(noise_hs_write(&hr2, NULL, 0, m2, sizeof(m2), &n2),
			   DOT_OK);
		REQUIRE(n1 == n2 && memcmp(m1, m2, 32) == 0);
		CHECK(memcmp(m1 + ctoff, m2 + ctoff, ctlen) != 0);
		/* m1 with m2's ciphertext: fails */
		memcpy(m3, m1, n1);
		memcpy(m3 + ctoff, m2 + ctoff, ctlen);
		tmp = hi;
		CHECK(noise_hs_read(&tmp, m3, n1, pl, sizeof(pl), &pn) !=
		      DOT_OK);
		/* each whole message on its own is good */
		tmp = hi;
		CHECK_RC(noise_hs_read(&tmp, m2, n2, pl, sizeof(pl), &pn),
			 DOT_OK);
		tmp = hi;
		CHECK_RC(noise_hs_read(&tmp, m1, n1, pl, sizeof(pl), &pn),
			 DOT_OK);
		noise_wipe(&tmp, sizeof(tmp));
		noise_wipe(&hi, sizeof(hi));
		noise_wipe(&hr1, sizeof(hr1));
		noise_wipe(&hr2, sizeof(hr2));
	}
	/* without its randomness, an hfs message is not written */
	{
		struct noise_hs hi;
		uint8_t seed[32], out[4096], is[32];
		size_t n;
		memset(is, 1, 32);
		memset(seed, 3, 32);
		REQUIRE_RC(noise_hs_init_kem(&hi, NOISE_XX, NOISE_KEM_XWING,
					     DOT_SUITE_CHACHA20POLY1305, 1,
					     NULL, 0, is, NULL),
			   DOT_OK);
		noise_hs_set_ephemeral(&hi, seed);
		CHECK_RC(noise_hs_write(&hi, NULL, 0, out, sizeof(out), &n),
			 DOT_EINVAL);
		CHECK_RC(noise_hs_init_kem(&hi, NOISE_XX, 0x13,
					   DOT_SUITE_CHACHA20POLY1305, 1, NULL,
					   0, is, NULL),
			 DOT_ECRYPTO_SUITE);
	}
}

/* ------------------------------------------------------------------ */
/* cookies                                                             */

static void
test_cookie_under_load(void)
{
	static uint8_t hs1[4096];
	struct pair p;
	size_t n;

	INIT();
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	dot_net_gate_set_load(p.gate, 1);
	n = pop(&p.a, hs1, sizeof(hs1));
	REQUIRE(n > 0);
	/* under load: a cookie reply, no DH */
	CHECK_RC(dot_net_input(p.b.ch, p.now, hs1, n, &p.b.io),
		 DOT_ENET_COOKIE);
	CHECK(dh_of(p.b.ch) == 0);
	CHECK(p.b.io.events & DOT_NET_EV_COOKIE);
	REQUIRE(p.b.io.out.len > 0 && p.b.io.out.data[0] == DOT_NET_F_COOKIE);
	CHECK(dot_net_state(p.b.ch) == DOT_NET_S_HANDSHAKE);
	/* the initiator repeats HS1 with mac2; now the work is done */
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	CHECK(p.a.io.events & DOT_NET_EV_COOKIE);
	REQUIRE(p.a.io.out.len > 0 && p.a.io.out.data[0] == DOT_NET_F_HS1);
	pump_established(&p);
	CHECK(dh_of(p.b.ch) == 4);
	check_talk(&p, "through the cookie");
	pair_free(&p);
}

static void
test_gate_no_dh_without_mac(void)
{
	static uint8_t hs1[4096], again[4096];
	struct pair p;
	struct dot_buf out = {0};
	size_t n;
	uint8_t other[4] = {10, 0, 0, 2};

	INIT();
	pair_setup(&p, 1, DOT_SUITE_CHACHA20POLY1305);
	REQUIRE_RC(pair_start(&p), DOT_OK);
	n = pop(&p.a, hs1, sizeof(hs1));
	REQUIRE(n > 0);
	/* a bad mac1: dropped before any DH, loaded or not */
	for (int load = 0; load < 2; load++) {
		dot_net_gate_set_load(p.gate, load);
		memcpy(again, hs1, n);
		again[n - 20] ^= 1;
		CHECK_RC(dot_net_input(p.b.ch, p.now, again, n, &p.b.io),
			 DOT_ENET_MAC);
		CHECK(dh_of(p.b.ch) == 0);
		CHECK(p.b.io.out.len == 0);
	}
	/* a garbage mac2: not under load, dropped; under load, a cookie */
	memcpy(again, hs1, n);
	again[n - 1] ^= 1;
	dot_net_gate_set_load(p.gate, 0);
	CHECK_RC(dot_net_input(p.b.ch, p.now, again, n, &p.b.io),
		 DOT_ENET_MAC);
	dot_net_gate_set_load(p.gate, 1);
	CHECK_RC(dot_net_input(p.b.ch, p.now, again, n, &p.b.io),
		 DOT_ENET_COOKIE);
	CHECK(dh_of(p.b.ch) == 0);
	/* A cookie is bound to its source: the initiator's mac2 made with
	 * the cookie for 10.0.0.1 does not pass from 10.0.0.2. */
	p.b.io.out.len = 0;
	CHECK_RC(dot_net_input(p.b.ch, p.now, hs1, n, &p.b.io),
		 DOT_ENET_COOKIE);
	CHECK_RC(flush(&p, &p.b, &p.a), DOT_OK);
	n = pop(&p.a, again, sizeof(again));
	REQUIRE(n > 0);
	CHECK_RC(dot_net_gate_check(p.gate, p.now, other, 4, again, n, &out),
		 DOT_ENET_COOKIE);
	CHECK(out.len > 0);
	CHECK_RC(dot_net_gate_check(p.gate, p.now, p.b.src, 4, again, n,
				    &out),
		 DOT_OK);
	/* the cookie secret rotates: still good one period later, not two */
	CHECK_RC(dot_net_gate_check(p.gate, p.now + 130 * SEC, p.b.src, 4,
				    again, n, NULL),
		 DOT_OK);
	CHECK_RC(dot_net_gate_check(p.gate, p.now + 260 * SEC, p.b.src, 4,
				    again, n, NULL),
		 DOT_ENET_COOKIE);
	dot_buf_free(&out);
	pair_free(&p);
}

/* ------------------------------------------------------------------ */
/* framing                                                             */

static void
test_frame_next(void)
{
	uint8_t s[64];
	size_t n;
	struct dot_err e = {0};

	memset(s, 0, sizeof(s));
	/* KEEPALIVE (24-byte body) then half a CLOSE */
	s[0] = DOT_NET_F_KEEPALIVE;
	s[5] = 24;
	s[30] = DOT_NET_F_CLOSE;
	s[35] = 25;
	CHECK_RC(dot_net_frame_next(s, 3, &n, &e), DOT_OK);
	CHECK(n == 0);
	CHECK_RC(dot_net_frame_next(s, 29, &n, &e), DOT_OK);
	CHECK(n == 0);
	CHECK_RC(dot_net_frame_next(s, 64, &n, &e), DOT_OK);
	CHECK(n == 30);
	CHECK_RC(dot_net_frame_next(s + 30, 30, &n, &e), DOT_OK);
	CHECK(n == 0);
	CHECK_RC(dot_net_frame_next(s + 30, 34, &n, &e), DOT_OK);
	CHECK(n == 31);
	/* unknown type, bad flags, lengths out of bounds */
	s[0] = 0x7f;
	CHECK_RC(dot_net_frame_next(s, 64, &n, &e), DOT_ENET_FRAME);
	CHECK(e.msg[0] != '\0');
	s[0] = DOT_NET_F_HS1;
	s[1] = 1;
	s[5] = 80;
	CHECK_RC(dot_net_frame_next(s, 64, &n, &e), DOT_ENET_FRAME);
	s[1] = 0;
	s[2] = 1; /* 16 MiB */
	CHECK_RC(dot_net_frame_next(s, 64, &n, &e), DOT_ENET_FRAME);
	s[0] = DOT_NET_F_DATA;
	s[2] = 0;
	s[3] = 1;
	s[4] = 0x00;
	s[5] = 0x18; /* 65536 + 24: one byte over */
	CHECK_RC(dot_net_frame_next(s, 64, &n, &e), DOT_ENET_FRAME);
	s[5] = 0x17;
	CHECK_RC(dot_net_frame_next(s, 64, &n, &e), DOT_OK);
	CHECK(n == 0);
	CHECK(DOT_NET_MAX_FRAME == 6 + 65535 + 24);
}

static void
test_bad_config(void)
{
	struct pair p;
	struct dot_net *ch;
	struct dot_net_io io = {0};

	INIT();
	pair_setup(&p, 0, DOT_SUITE_CHACHA20POLY1305);
	p.a.cfg.rand = NULL;
	CHECK_RC(dot_net_new(&ch, &p.a.cfg, 0, &io), DOT_EINVAL);
	p.a.cfg.rand = rng_fill;
	p.a.cfg.cipher = 0x99;
	CHECK_RC(dot_net_new(&ch, &p.a.cfg, 0, &io), DOT_ECRYPTO_SUITE);
	p.b.cfg.gate = NULL; /* a responder needs its gate */
	CHECK_RC(dot_net_new(&ch, &p.b.cfg, 0, &io), DOT_EINVAL);
	CHECK(io.out.len == 0);
	dot_buf_free(&io.out);
	/* cipher 0 takes dot_aead_preferred() */
	p.a.cfg.cipher = 0;
	REQUIRE_RC(dot_net_new(&ch, &p.a.cfg, 0, &io), DOT_OK);
	CHECK(dot_net_cipher(ch) == dot_aead_preferred());
	dot_net_free(ch);
	dot_net_free(NULL);
	dot_net_gate_free(NULL);
	dot_buf_free(&io.out);
}

T_MAIN(T_CASE(test_noise_vectors), T_CASE(test_nonce_encoding),
       T_CASE(test_handshake_xx_chacha), T_CASE(test_handshake_ik_chacha),
       T_CASE(test_handshake_xx_aes), T_CASE(test_handshake_ik_aes),
       T_CASE(test_send_before_established), T_CASE(test_flip_every_byte),
       T_CASE(test_replay_and_reorder), T_CASE(test_rekey_after_time),
       T_CASE(test_rekey_after_messages), T_CASE(test_rekey_request_lost),
       T_CASE(test_rekey_answer_lost), T_CASE(test_refuse_unknown_key),
       T_CASE(test_handshake_timeout), T_CASE(test_idle_timeout_and_close),
       T_CASE(test_too_many_drops), T_CASE(test_downgrade),
       T_CASE(test_kem_slot), T_CASE(test_hfs_wire_sizes),
       T_CASE(test_hfs_handshake_xx), T_CASE(test_hfs_handshake_ik),
       T_CASE(test_hfs_classic_initiator), T_CASE(test_hfs_require_kem),
       T_CASE(test_hfs_strip_kem), T_CASE(test_hfs_e1_replaced),
       T_CASE(test_hfs_ct_replaced), T_CASE(test_hfs_bad_lengths),
       T_CASE(test_hfs_noise_core), T_CASE(test_cookie_under_load),
       T_CASE(test_gate_no_dh_without_mac), T_CASE(test_frame_next),
       T_CASE(test_bad_config))
