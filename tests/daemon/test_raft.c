/*
 * test_raft.c - the consensus module (daemon/consensus.c) and raft's
 * secure-channel transport (daemon/transport.c), several nodes in one
 * process on one loop, over loopback TCP.
 *
 * The state machine here is a hash chain over the applied commands, so two
 * nodes agree exactly when they applied the same commands in the same
 * order. Waiting is bounded by a count of loop turns with a generous wall
 * clock limit, never asserted as a time.
 *
 * TAP output.
 */
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../../daemon/consensus.h"
#include "../../daemon/transport.h"
#include "doteros/crypto.h"
#include "harness.h"

#define NMAX 5
#define WAIT_S 60 /* liveness bound of every wait */
#define RCV_MAX 512 /* commands a node records for fsm.received */

struct tnode {
	int up;
	uint64_t id;
	char address[64];
	char dir[256];
	uint8_t sk[32], pk[32];
	struct raft_uv_transport tr;
	struct dotd_cons *cons;
	/* the state machine */
	uint64_t applied, last_index;
	uint8_t chain[32];
	int restores, snapshots;
	/* fsm.received: the hashes of the commands shown to it (the first
	 * RCV_MAX), and the applied commands that were not among them */
	uint8_t rcv[RCV_MAX][32];
	size_t nrcv;
	uint64_t unseen;
};

static uv_loop_t loop;
static struct tnode nodes[NMAX];
static int member[NMAX]; /* which nodes' keys the members table admits */
static char root[] = "/tmp/test-raft-XXXXXX";

/* ---- the members table every node asks ---- */

static int
m_key_of(void *ctx, uint64_t id, uint8_t kx[32])
{
	(void)ctx;
	for (int i = 0; i < NMAX; i++)
		if (nodes[i].id == id && member[i]) {
			memcpy(kx, nodes[i].pk, 32);
			return 0;
		}
	return -1;
}

static int
m_member(void *ctx, const uint8_t kx[32], uint64_t *id,
	 char address[DOTD_TR_MAX_ADDRESS])
{
	(void)ctx;
	for (int i = 0; i < NMAX; i++)
		if (member[i] && memcmp(nodes[i].pk, kx, 32) == 0) {
			*id = nodes[i].id;
			snprintf(address, DOTD_TR_MAX_ADDRESS, "%s",
				 nodes[i].address);
			return 0;
		}
	return -1;
}

/* ---- the state machine ---- */

static void
fsm_received(void *ctx, const uint8_t *cmd, size_t n)
{
	struct tnode *t = ctx;

	if (t->nrcv < RCV_MAX)
		crypto_generichash(t->rcv[t->nrcv++], 32, cmd, n, NULL, 0);
}

static int
was_received(const struct tnode *t, const uint8_t *cmd, size_t n)
{
	uint8_t h[32];

	crypto_generichash(h, 32, cmd, n, NULL, 0);
	for (size_t i = 0; i < t->nrcv; i++)
		if (memcmp(t->rcv[i], h, 32) == 0)
			return 1;
	return 0;
}

static int
fsm_apply(void *ctx, uint64_t index, const uint8_t *cmd, size_t n)
{
	struct tnode *t = ctx;
	crypto_generichash_state h;

	if (index <= t->last_index)
		return DOT_OK; /* already in the state */
	if (!was_received(t, cmd, n))
		t->unseen++;
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, t->chain, 32);
	crypto_generichash_update(&h, cmd, n);
	crypto_generichash_final(&h, t->chain, 32);
	t->applied++;
	t->last_index = index;
	return DOT_OK;
}

static int
fsm_snapshot(void *ctx, struct dot_buf *out)
{
	struct tnode *t = ctx;
	uint8_t b[48];

	memcpy(b, &t->applied, 8);
	memcpy(b + 8, &t->last_index, 8);
	memcpy(b + 16, t->chain, 32);
	t->snapshots++;
	if (dot_buf_reserve(out, sizeof(b)) != DOT_OK)
		return DOT_ENOMEM;
	dot_buf_put(out, b, sizeof(b));
	return DOT_OK;
}

static int
fsm_restore(void *ctx, const uint8_t *p, size_t n)
{
	struct tnode *t = ctx;

	if (n != 48)
		return DOT_EINVAL;
	memcpy(&t->applied, p, 8);
	memcpy(&t->last_index, p + 8, 8);
	memcpy(t->chain, p + 16, 32);
	t->restores++;
	return DOT_OK;
}

/* ---- running the loop ---- */

static time_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Run the loop until cond(arg) or WAIT_S seconds: the result of cond. */
static int
run_until(int (*cond)(void *), void *arg)
{
	time_t end = mono_s() + WAIT_S;

	while (!cond(arg)) {
		if (mono_s() > end)
			return 0;
		uv_run(&loop, UV_RUN_ONCE);
		/* as dotd's timer does: when a node may snapshot its own */
		for (int i = 0; i < NMAX; i++)
			if (nodes[i].cons != NULL)
				dotd_cons_tick(nodes[i].cons, uv_now(&loop));
	}
	return 1;
}

static int
leader_index(void)
{
	for (int i = 0; i < NMAX; i++)
		if (nodes[i].up && nodes[i].cons != NULL &&
		    dotd_cons_is_leader(nodes[i].cons))
			return i;
	return -1;
}

static int
has_leader(void *arg)
{
	(void)arg;
	return leader_index() >= 0;
}

struct applied_want {
	int nodes[NMAX];
	int n;
	uint64_t count;
};

static int
all_applied(void *arg)
{
	struct applied_want *w = arg;

	for (int i = 0; i < w->n; i++)
		if (nodes[w->nodes[i]].applied < w->count)
			return 0;
	return 1;
}

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		perror("free_port");
		exit(2);
	}
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
node_make(int i)
{
	struct tnode *t = &nodes[i];

	memset(t, 0, sizeof(*t));
	t->id = (uint64_t)i + 1;
	snprintf(t->address, sizeof(t->address), "127.0.0.1:%d", free_port());
	snprintf(t->dir, sizeof(t->dir), "%s/n%d", root, i);
	if (mkdir(t->dir, 0700) != 0 && errno != EEXIST) {
		perror(t->dir);
		exit(2);
	}
	randombytes_buf(t->sk, 32);
	crypto_scalarmult_base(t->pk, t->sk);
}

static int
node_start(int i, const struct dotd_cons_member *boot, size_t nboot)
{
	struct tnode *t = &nodes[i];
	struct dotd_tr_config tc;
	struct dotd_cons_config cc;
	struct dot_err e = {0};
	int rv;

	memset(&tc, 0, sizeof(tc));
	tc.loop = &loop;
	memset(tc.cluster_id, 0x5a, sizeof(tc.cluster_id));
	tc.static_sk = t->sk;
	tc.members.key_of = m_key_of;
	tc.members.member = m_member;
	tc.handshake_timeout_us = 2000000;
	rv = dotd_tr_init(&t->tr, &tc, &e);
	if (rv != DOT_OK) {
		printf("# transport: %s\n", e.msg);
		return rv;
	}
	memset(&cc, 0, sizeof(cc));
	cc.loop = &loop;
	cc.dir = t->dir;
	cc.id = t->id;
	cc.address = t->address;
	cc.transport = &t->tr;
	cc.fsm.apply = fsm_apply;
	cc.fsm.snapshot = fsm_snapshot;
	cc.fsm.restore = fsm_restore;
	cc.fsm.received = fsm_received;
	cc.fsm.ctx = t;
	cc.heartbeat_ms = 50;
	cc.election_ms = 500;
	cc.snapshot_threshold = getenv("T_SNAP") ? 4096 : 64;
	cc.snapshot_trailing = 16;
	rv = dotd_cons_open(&t->cons, &cc, &e);
	if (rv == DOT_OK && boot != NULL)
		rv = dotd_cons_bootstrap(t->cons, boot, nboot, &e);
	if (rv == DOT_OK)
		rv = dotd_cons_start(t->cons, &e);
	if (rv != DOT_OK) {
		printf("# node %d: %s\n", i, e.msg);
		return rv;
	}
	t->up = 1;
	return DOT_OK;
}

static int closed_count;

static void
on_cons_closed(void *arg)
{
	struct tnode *t = arg;

	dotd_tr_free(&t->tr);
	closed_count++;
}

static int
closed_reached(void *arg)
{
	return closed_count >= *(int *)arg;
}

/* Stop a node (as a crash would, minus the disk: its files stay). */
static void
node_stop(int i)
{
	int want = closed_count + 1;

	if (!nodes[i].up)
		return;
	nodes[i].up = 0;
	dotd_cons_close(nodes[i].cons, on_cons_closed, &nodes[i]);
	nodes[i].cons = NULL;
	(void)run_until(closed_reached, &want);
}

/* ---- proposing ---- */

struct prop {
	int done, status;
};

static void
on_proposed(void *arg, int status, const struct dot_err *e)
{
	struct prop *p = arg;

	(void)e;
	p->done = 1;
	p->status = status;
}

static int
prop_done(void *arg)
{
	return ((struct prop *)arg)->done;
}

/* Propose count commands at the leader, one after another. */
static int
propose_n(int count, const char *tag)
{
	for (int k = 0; k < count; k++) {
		char cmd[64];
		struct prop p = {0};
		struct dot_err e = {0};
		int l;

		if (!run_until(has_leader, NULL))
			return -1;
		l = leader_index();
		snprintf(cmd, sizeof(cmd), "%s-%d", tag, k);
		if (dotd_cons_propose(nodes[l].cons, (uint8_t *)cmd,
				      strlen(cmd), on_proposed, &p, &e) !=
			    DOT_OK ||
		    !run_until(prop_done, &p) || p.status != DOT_OK) {
			printf("# propose %s at node %d: %s\n", cmd, l,
			       e.msg[0] ? e.msg : dot_strerror(p.status));
			return -1;
		}
	}
	return 0;
}

/* ---- cases ---- */

static struct dotd_cons_member boot3[3];

static void
t_three_nodes_replicate(void)
{
	struct applied_want w = {{0, 1, 2}, 3, 100};

	for (int i = 0; i < 3; i++) {
		node_make(i);
		member[i] = 1;
	}
	for (int i = 0; i < 3; i++) {
		boot3[i].id = nodes[i].id;
		boot3[i].address = nodes[i].address;
		boot3[i].role = DOTD_CONS_VOTER;
	}
	for (int i = 0; i < 3; i++)
		REQUIRE_RC(node_start(i, boot3, 3), DOT_OK);
	REQUIRE(run_until(has_leader, NULL));
	REQUIRE(propose_n(100, "a") == 0);
	REQUIRE(run_until(all_applied, &w));
	CHECK_MEM(nodes[0].chain, nodes[1].chain, 32);
	CHECK_MEM(nodes[0].chain, nodes[2].chain, 32);
	/* fsm.received saw every command on every node (the leader's own
	 * and the followers', from the leader) before it was applied there */
	for (int i = 0; i < 3; i++) {
		CHECK(nodes[i].nrcv >= 100);
		CHECK(nodes[i].unseen == 0);
	}
	for (int i = 0; i < 3; i++) {
		struct dotd_tr_stats s;

		dotd_tr_stats(&nodes[i].tr, &s);
		CHECK(s.accepted + s.connected >= 2);
	}
}

static void
t_propose_refused_off_leader(void)
{
	int l = leader_index();
	int f = (l + 1) % 3;
	struct dot_err e = {0};

	REQUIRE(l >= 0);
	CHECK_RC(dotd_cons_propose(nodes[f].cons, (const uint8_t *)"x", 1,
				   on_proposed, NULL, &e),
		 DOT_ECONS_NOT_LEADER);
}

static void
t_leader_lost_then_new_leader(void)
{
	int l = leader_index(), a, b;
	struct applied_want w;

	REQUIRE(l >= 0);
	node_stop(l);
	a = (l + 1) % 3;
	b = (l + 2) % 3;
	REQUIRE(run_until(has_leader, NULL));
	CHECK(leader_index() == a || leader_index() == b);
	REQUIRE(propose_n(50, "b") == 0);
	w.nodes[0] = a;
	w.nodes[1] = b;
	w.n = 2;
	w.count = 150;
	REQUIRE(run_until(all_applied, &w));
	CHECK_MEM(nodes[a].chain, nodes[b].chain, 32);
	/* the old leader comes back with its files and catches up */
	memset(nodes[l].chain, 0, 32);
	nodes[l].applied = nodes[l].last_index = 0;
	REQUIRE_RC(node_start(l, NULL, 0), DOT_OK);
	w.nodes[2] = l;
	w.n = 3;
	REQUIRE(run_until(all_applied, &w));
	CHECK_MEM(nodes[l].chain, nodes[a].chain, 32);
	/* 150 entries with a threshold of 64: it restarted from a snapshot
	 * or replayed its log; either way the chains agree */
	printf("# restarted node: %d restores, %d snapshots taken\n",
	       nodes[l].restores, nodes[l].snapshots);
}

/* A connect callback for calling a transport directly. */
struct conn_res {
	int done, status;
	uv_stream_t *stream;
};

static void
on_conn(struct raft_uv_connect *req, uv_stream_t *stream, int status)
{
	struct conn_res *r = req->data;

	r->done = 1;
	r->status = status;
	r->stream = stream;
}

static int
conn_done(void *arg)
{
	return ((struct conn_res *)arg)->done;
}

static void
on_tr_closed(struct raft_uv_transport *t)
{
	dotd_tr_free(t);
	closed_count++;
}

static void
t_unknown_key_refused(void)
{
	/* node 3 has a key the members table does not admit; it tries to
	 * reach node 0's raft directly through its own transport */
	struct dotd_tr_config tc;
	struct dotd_tr_stats before, after;
	struct raft_uv_connect req;
	struct conn_res r = {0};
	struct dot_err e = {0};
	int target = leader_index();

	REQUIRE(target >= 0);
	node_make(3);
	member[3] = 0;
	memset(&tc, 0, sizeof(tc));
	tc.loop = &loop;
	memset(tc.cluster_id, 0x5a, sizeof(tc.cluster_id));
	tc.static_sk = nodes[3].sk;
	tc.members.key_of = m_key_of;
	tc.members.member = m_member;
	tc.handshake_timeout_us = 2000000;
	REQUIRE_RC(dotd_tr_init(&nodes[3].tr, &tc, &e), DOT_OK);
	REQUIRE(nodes[3].tr.init(&nodes[3].tr, 4, nodes[3].address) == 0);
	dotd_tr_stats(&nodes[target].tr, &before);
	req.data = &r;
	REQUIRE(nodes[3].tr.connect(&nodes[3].tr, &req, nodes[target].id,
				    nodes[target].address, on_conn) == 0);
	REQUIRE(run_until(conn_done, &r));
	CHECK(r.status != 0);
	CHECK(r.stream == NULL);
	dotd_tr_stats(&nodes[target].tr, &after);
	CHECK(after.refused > before.refused);
	CHECK(after.accepted == before.accepted);
	/* and the cluster still works */
	CHECK(propose_n(5, "c") == 0);
	{
		int want = closed_count + 1;
		nodes[3].tr.close(&nodes[3].tr, on_tr_closed);
		(void)run_until(closed_reached, &want);
	}
}

static void
t_wrong_responder_key_refused(void)
{
	/* ask for a third node by its id, at another node's address: that
	 * node cannot answer an IK handshake made to the third one's key, so
	 * no link comes up (the handshake times out or is refused) */
	struct raft_uv_connect req;
	struct conn_res r = {0};
	int a = -1, b = -1, third;

	for (int i = 0; i < 3; i++)
		if (nodes[i].up) {
			if (a < 0)
				a = i;
			else
				b = i;
		}
	REQUIRE(a >= 0 && b >= 0);
	third = 3 - a - b;
	req.data = &r;
	REQUIRE(nodes[a].tr.connect(&nodes[a].tr, &req, nodes[third].id,
				    nodes[b].address, on_conn) == 0);
	REQUIRE(run_until(conn_done, &r));
	CHECK(r.status != 0);
	CHECK(r.stream == NULL);
}

/* ---- a man in the middle: a relay that flips one byte ---- */

struct relay {
	uv_tcp_t listener;
	int port;
	struct sockaddr_storage target;
	long flip_at;  /* offset in the initiator's stream; <0: after HS1 + k */
	long flip_after_hs1;
	int flipped;
};

struct rconn {
	struct relay *r;
	uv_tcp_t a, b; /* a: from the initiator; b: to the responder */
	uv_connect_t creq;
	long seen;     /* bytes from a so far */
	long hs1_len;  /* the first frame's length, once known */
	uint8_t head[6];
	int closing, closed;
};

struct rw {
	uv_write_t w;
	char data[];
};

static void
rw_done(uv_write_t *w, int st)
{
	(void)st;
	free(w);
}

static void
r_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
	(void)h;
	b->base = malloc(s);
	b->len = b->base ? s : 0;
}

static void
r_closed(uv_handle_t *h)
{
	struct rconn *c = h->data;

	if (++c->closed == 2)
		free(c);
}

static void
r_close(struct rconn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->a, r_closed);
	uv_close((uv_handle_t *)&c->b, r_closed);
}

static void
r_forward(uv_stream_t *to, const char *p, size_t n)
{
	struct rw *w = malloc(sizeof(*w) + n);
	uv_buf_t b;

	if (w == NULL)
		return;
	memcpy(w->data, p, n);
	b = uv_buf_init(w->data, (unsigned)n);
	if (uv_write(&w->w, to, &b, 1, rw_done) != 0)
		free(w);
}

static void
r_read_a(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct rconn *c = s->data;

	if (n < 0) {
		free(b->base);
		r_close(c);
		return;
	}
	for (ssize_t i = 0; i < n; i++, c->seen++) {
		long at;

		if (c->seen < 6)
			c->head[c->seen] = (uint8_t)b->base[i];
		if (c->seen == 5)
			c->hs1_len = 6 + ((long)c->head[2] << 24 |
					  (long)c->head[3] << 16 |
					  (long)c->head[4] << 8 | c->head[5]);
		at = c->r->flip_at >= 0 ? c->r->flip_at
					: (c->hs1_len > 0
						   ? c->hs1_len +
							     c->r->flip_after_hs1
						   : -1);
		if (c->seen == at) {
			b->base[i] ^= 0x01;
			c->r->flipped++;
		}
	}
	r_forward((uv_stream_t *)&c->b, b->base, (size_t)n);
	free(b->base);
}

static void
r_read_b(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct rconn *c = s->data;

	if (n < 0) {
		free(b->base);
		r_close(c);
		return;
	}
	r_forward((uv_stream_t *)&c->a, b->base, (size_t)n);
	free(b->base);
}

static void
r_connected(uv_connect_t *req, int st)
{
	struct rconn *c = req->data;

	if (st < 0 || c->closing) {
		r_close(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->a, r_alloc, r_read_a);
	uv_read_start((uv_stream_t *)&c->b, r_alloc, r_read_b);
}

static void
r_accept(uv_stream_t *l, int st)
{
	struct relay *r = l->data;
	struct rconn *c;

	if (st < 0)
		return;
	c = calloc(1, sizeof(*c)); /* freed when both ends are closed */
	if (c == NULL)
		return;
	c->r = r;
	uv_tcp_init(&loop, &c->a);
	uv_tcp_init(&loop, &c->b);
	c->a.data = c->b.data = c->creq.data = c;
	if (uv_accept(l, (uv_stream_t *)&c->a) != 0 ||
	    uv_tcp_connect(&c->creq, &c->b, (struct sockaddr *)&r->target,
			   r_connected) != 0)
		r_close(c);
}

static int
relay_start(struct relay *r, const char *target)
{
	struct sockaddr_in a;

	r->port = free_port();
	if (dotd_tr_parse_address(target, &r->target) != 0)
		return -1;
	uv_ip4_addr("127.0.0.1", r->port, &a);
	uv_tcp_init(&loop, &r->listener);
	r->listener.data = r;
	if (uv_tcp_bind(&r->listener, (struct sockaddr *)&a, 0) != 0 ||
	    uv_listen((uv_stream_t *)&r->listener, 16, r_accept) != 0)
		return -1;
	return 0;
}

/* Read from a stream raft would own: EOF (or an error) ends it. */
struct sread {
	int eof;
};

static void
s_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct sread *r = s->data;

	free(b->base);
	if (n < 0)
		r->eof = 1;
}

static int
s_eof(void *arg)
{
	return ((struct sread *)arg)->eof;
}

static void
t_mitm_detected(void)
{
	/* node a reaches node b through a relay. Flipping a handshake byte:
	 * no link. Flipping a byte of the first transport frame: b closes
	 * the link (a gap in raft's stream is never skipped over), and a's
	 * stream sees EOF; no corrupted byte reaches raft. */
	struct relay r1, r2;
	struct raft_uv_connect req;
	struct conn_res cr = {0};
	struct dotd_tr_stats before, after;
	struct sread sr = {0};
	char addr[64];
	int a = -1, b = -1;

	for (int i = 0; i < 3; i++)
		if (nodes[i].up) {
			if (a < 0)
				a = i;
			else
				b = i;
		}
	REQUIRE(a >= 0 && b >= 0);
	memset(&r1, 0, sizeof(r1));
	r1.flip_at = 40; /* inside HS1 */
	REQUIRE(relay_start(&r1, nodes[b].address) == 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", r1.port);
	req.data = &cr;
	REQUIRE(nodes[a].tr.connect(&nodes[a].tr, &req, nodes[b].id, addr,
				    on_conn) == 0);
	REQUIRE(run_until(conn_done, &cr));
	CHECK(r1.flipped == 1);
	CHECK(cr.status != 0);
	CHECK(cr.stream == NULL);

	memset(&r2, 0, sizeof(r2));
	r2.flip_at = -1;
	r2.flip_after_hs1 = 10; /* inside the first transport frame */
	REQUIRE(relay_start(&r2, nodes[b].address) == 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", r2.port);
	memset(&cr, 0, sizeof(cr));
	dotd_tr_stats(&nodes[b].tr, &before);
	REQUIRE(nodes[a].tr.connect(&nodes[a].tr, &req, nodes[b].id, addr,
				    on_conn) == 0);
	REQUIRE(run_until(conn_done, &cr));
	REQUIRE(cr.status == 0 && cr.stream != NULL);
	cr.stream->data = &sr;
	REQUIRE(uv_read_start(cr.stream, r_alloc, s_read) == 0);
	{
		/* bytes that raft would write: b must not hand them on */
		static char junk[100];
		uv_buf_t jb = uv_buf_init(junk, sizeof(junk));
		REQUIRE(uv_try_write(cr.stream, &jb, 1) > 0);
	}
	REQUIRE(run_until(s_eof, &sr));
	CHECK(r2.flipped == 1);
	dotd_tr_stats(&nodes[b].tr, &after);
	CHECK(after.dropped == before.dropped + 1);
	uv_close((uv_handle_t *)cr.stream, (uv_close_cb)raft_free);
	uv_close((uv_handle_t *)&r1.listener, NULL);
	uv_close((uv_handle_t *)&r2.listener, NULL);
	/* the cluster still commits */
	CHECK(propose_n(5, "m") == 0);
}

static void
t_removed_member_links_closed(void)
{
	/* take node 2 out of the members table: rechecks close its links
	 * and its attempts to reconnect are refused */
	int victim = -1;
	struct dotd_tr_stats s;

	for (int i = 0; i < 3; i++)
		if (nodes[i].up && !dotd_cons_is_leader(nodes[i].cons))
			victim = i;
	REQUIRE(victim >= 0);
	member[victim] = 0;
	for (int i = 0; i < 3; i++)
		if (nodes[i].up)
			dotd_tr_recheck(&nodes[i].tr);
	/* the others still commit (2 of 3 voters) */
	REQUIRE(propose_n(10, "d") == 0);
	{
		uint64_t before = nodes[victim].applied;
		REQUIRE(propose_n(10, "e") == 0);
		/* run a little so the victim would have caught up if it could
		 */
		for (int k = 0; k < 200; k++)
			uv_run(&loop, UV_RUN_NOWAIT);
		CHECK(nodes[victim].applied == before);
	}
	/* every link of the victim's is gone, none came back */
	dotd_tr_stats(&nodes[victim].tr, &s);
	CHECK(s.links == 0);
	member[victim] = 1;
}

static void
t_shutdown(void)
{
	for (int i = 0; i < NMAX; i++)
		node_stop(i);
	CHECK(leader_index() < 0);
}

int
main(void)
{
	static const struct t_case cases[] = {
		{"three nodes elect a leader and replicate 100 commands",
		 t_three_nodes_replicate},
		{"a follower refuses to propose", t_propose_refused_off_leader},
		{"the leader stops: a new one leads, the old one catches up",
		 t_leader_lost_then_new_leader},
		{"an unknown node key is refused at the channel",
		 t_unknown_key_refused},
		{"a responder without the expected key gets no link",
		 t_wrong_responder_key_refused},
		{"a relay that flips a byte is detected, nothing reaches raft",
		 t_mitm_detected},
		{"a member taken out is cut off", t_removed_member_links_closed},
		{"every node shuts down cleanly", t_shutdown},
	};
	int rv;

	if (sodium_init() < 0 || dot_crypto_init() != DOT_OK)
		return 2;
	signal(SIGPIPE, SIG_IGN); /* as dotd: a closed peer is an error */
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	uv_loop_init(&loop);
	rv = t_main(cases, sizeof(cases) / sizeof(cases[0]));
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (getenv("KEEP") == NULL && system(cmd) != 0)
			rv = 1;
	}
	return rv;
}
