/*
 * gen_net_corpus.c - write the seed corpus of fuzz_net (the channel's
 * frames, classic and hybrid). Built and run by hand, not by Meson:
 *
 *   ninja -C build lib/libdoteros.a
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude tests/fuzz/gen_net_corpus.c \
 *      build/lib/libdoteros.a -lsodium -lsqlite3 -lcrypto \
 *      -o /tmp/gen_net_corpus
 *   /tmp/gen_net_corpus tests/fuzz/corpus/net
 *
 * It includes fuzz_net.c itself, so the worlds it records frames in are
 * exactly the target's (the same keys, seeds, configurations and clock):
 * a frame recorded here is valid where the target replays it, and mutants
 * of it reach past the MACs and the Noise messages. Each file starts with
 * fuzz_net's mode byte; the classic worlds (modes 0 to 5) and the hybrid
 * ones (0x10 to 0x15, files named hfs-*) alike. The classic handshake
 * files it writes are byte for byte those recorded before the hybrid
 * handshake existed. Not written here: the cutter and junk seeds (cut-*,
 * junk-*, refuse) and the older transport-to-*, transport-empty-data.
 */
#include "fuzz_net.c"

static const char *dir;

/* Append every whole frame of an end's output to a recording. */
struct rec {
	uint8_t b[16384];
	size_t n;
};

static void
rec_copy(struct rec *r, const struct end *e)
{
	if (r->n + e->io.out.len > sizeof(r->b))
		fail("recording too long");
	memcpy(r->b + r->n, e->io.out.data, e->io.out.len);
	r->n += e->io.out.len;
}

static void
rec_take(struct rec *r, struct end *e)
{
	rec_copy(r, e);
	e->io.out.len = 0;
}

static void
put(const char *name, uint8_t mode, const struct rec *r)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fputc(mode, f) == EOF ||
	    (r->n && fwrite(r->b, 1, r->n, f) != r->n) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Deliver one end's output to the other at time now, recording it. */
static void
pass(struct end *from, struct end *to, struct rec *r, uint64_t now)
{
	rec_copy(r, from);
	relay(from, to, now);
}

static void
handshakes(int hybrid)
{
	const uint8_t m = hybrid ? 0x10 : 0;
	const char *pre = hybrid ? "hfs-" : "";
	char name[64];
	struct world w;
	struct rec hs1 = {0}, hs2 = {0}, hs3 = {0}, both = {0};

	for (int ik = 0; ik < 2; ik++) {
		memset(&hs1, 0, sizeof(hs1));
		memset(&hs2, 0, sizeof(hs2));
		memset(&hs3, 0, sizeof(hs3));
		if (world_new(&w, ik, hybrid, 0) != 0)
			fail("world");
		pass(&w.a, &w.b, &hs1, T0);
		pass(&w.b, &w.a, &hs2, T0);
		if (!ik)
			pass(&w.a, &w.b, &hs3, T0);
		if (dot_net_state(w.b.ch) != DOT_NET_S_ESTABLISHED)
			fail("not established");
		world_free(&w);
		snprintf(name, sizeof(name), "%shs1-%s", pre, ik ? "ik" : "xx");
		put(name, m + 0, &hs1);
		snprintf(name, sizeof(name), "%shs1-%s-load", pre,
			 ik ? "ik" : "xx");
		put(name, m + 1, &hs1);
		snprintf(name, sizeof(name), "%shs2-%s", pre, ik ? "ik" : "xx");
		put(name, (uint8_t)(m + 2 + ik), &hs2);
		if (!ik) {
			memset(&both, 0, sizeof(both));
			memcpy(both.b, hs1.b, hs1.n);
			memcpy(both.b + hs1.n, hs3.b, hs3.n);
			both.n = hs1.n + hs3.n;
			snprintf(name, sizeof(name), "%shs1-hs3-xx", pre);
			put(name, m + 0, &both);
		}
		if (hybrid) {
			/* a hybrid HS1 at a default responder (mode 0), and
			 * a classic one at a responder that requires the
			 * KEM (mode 0x10) */
			snprintf(name, sizeof(name), "hfs-hs1-%s-at-default",
				 ik ? "ik" : "xx");
			put(name, 0, &hs1);
			if (world_new(&w, ik, 0, 0) != 0)
				fail("world");
			memset(&hs1, 0, sizeof(hs1));
			rec_take(&hs1, &w.a);
			world_free(&w);
			snprintf(name, sizeof(name),
				 "hfs-classic-hs1-%s-refused",
				 ik ? "ik" : "xx");
			put(name, 0x10, &hs1);
		}
	}
}

/* Two messages of an established pair: from the initiator to the
 * responder ("ping1", "ping2"), or back ("pong1", "pong2"). */
static void
two_messages(int hybrid, int to_initiator)
{
	const uint8_t m = hybrid ? 0x10 : 0;
	char name[64];
	struct world w;
	struct rec r = {0};
	struct end *from;

	if (world_new(&w, 0, hybrid, 1) != 0)
		fail("world");
	from = to_initiator ? &w.b : &w.a;
	if (dot_net_send(from->ch, T0, to_initiator ? "pong1" : "ping1", 5,
			 &from->io) != DOT_OK ||
	    dot_net_send(from->ch, T0, to_initiator ? "pong2" : "ping2", 5,
			 &from->io) != DOT_OK)
		fail("send");
	rec_take(&r, from);
	world_free(&w);
	snprintf(name, sizeof(name), "%stransport-ping-to-%s",
		 hybrid ? "hfs-" : "", to_initiator ? "initiator" : "responder");
	put(name, m + 4 + to_initiator, &r);
}

/* Transport frames, and a rekey, of an established pair. */
static void
transport(int hybrid)
{
	const uint8_t m = hybrid ? 0x10 : 0;
	const char *pre = hybrid ? "hfs-" : "";
	char name[64];
	struct world w;
	struct rec r = {0};

	/* two messages from the initiator to the responder, and back */
	two_messages(hybrid, 0);
	two_messages(hybrid, 1);

	/* the initiator's rekey (its timer at 60 s) to the responder, then
	 * a message under the new keys */
	if (world_new(&w, 0, hybrid, 1) != 0)
		fail("world");
	if (dot_net_tick(w.a.ch, T0 + 60 * SEC, &w.a.io) != DOT_OK ||
	    w.a.io.out.len == 0 || w.a.io.out.data[0] != DOT_NET_F_REKEY1)
		fail("rekey");
	{
		/* the answer, which gets the initiator the new keys */
		struct rec skip = {0};
		pass(&w.a, &w.b, &r, T0 + 60 * SEC);
		pass(&w.b, &w.a, &skip, T0 + 60 * SEC);
		if (w.a.io.out.len == 0 ||
		    w.a.io.out.data[0] != DOT_NET_F_KEEPALIVE)
			fail("no confirmation");
		rec_take(&r, &w.a); /* the KEEPALIVE under epoch 1 */
	}
	if (dot_net_send(w.a.ch, T0 + 60 * SEC, "rekeyed", 7, &w.a.io) !=
	    DOT_OK)
		fail("send");
	rec_take(&r, &w.a);
	world_free(&w);
	snprintf(name, sizeof(name), "%srekey-to-responder", pre);
	put(name, m + 4, &r);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_net_corpus DIR\n");
		return 2;
	}
	dir = argv[1];
	if (dot_crypto_init() != DOT_OK)
		fail("crypto init");
	for (int hybrid = 0; hybrid < 2; hybrid++) {
		handshakes(hybrid);
		transport(hybrid);
	}
	return 0;
}
