/*
 * bench_channel.c - the secure channel (lib/net) over a real TCP loopback
 * socket, beside raw TCP (bench/channel/run; the method is in
 * bench/RESULTS.md, "## Channel").
 *
 * Two commands, each run once per round by the run script (which
 * interleaves them with the peers: a stunnel TLS 1.3 tunnel and iperf3):
 *
 *   bench_channel tput MODE BYTES [LISTEN_PORT [CONNECT_PORT]]
 *
 *     Bulk throughput of one connection. A receiver thread listens on
 *     127.0.0.1:LISTEN_PORT (0: any free port) and accepts one connection;
 *     a sender thread connects to 127.0.0.1:CONNECT_PORT (0: the
 *     receiver's port; another port when a tunnel sits in between) and
 *     pushes BYTES bytes of application data through it. MODE:
 *       raw                 plain TCP, WRITE-byte writes (env, 256 KiB),
 *                           the receiver reads and counts;
 *       chacha20-poly1305,  the channel: a real Noise_XX handshake over the
 *       aes-256-gcm         socket (the sender initiates, proposing that
 *                           suite), then the sender seals DATA messages of
 *                           MSG bytes (env, default and most 65535) with
 *                           dot_net_send into io.out and
 *                           writes io.out once it holds FRAMES frames (env,
 *                           default 4: about 256 KiB per write); the
 *                           receiver reads into a 1 MiB buffer, cuts frames
 *                           with dot_net_frame_next and gives each to
 *                           dot_net_input, checking each message's length
 *                           and sequence number.
 *     When all bytes have arrived the receiver answers with an 8-byte count
 *     (raw: plain; channel: a DATA message), which the sender checks. The
 *     time is the sender's, from its first write to that answer; the
 *     handshake is before it. Output: "name value" lines (bytes, seconds,
 *     mbs, sender and receiver thread CPU seconds, frames).
 *
 *   bench_channel hs COUNT [nofloor]
 *
 *     Handshake latency and CPU: COUNT handshakes of each kind (XX, the
 *     full handshake; IK, the initiator already knowing the responder's
 *     static key; each classic, kem 0, and hybrid, XXhfs and IKhfs with
 *     X-Wing, docs/wire-protocol.md §3.5), interleaved in batches of 50
 *     (XX, IK, XXhfs, IKhfs, XX, ...), each over a fresh TCP loopback
 *     connection between an initiator thread and a responder thread (the
 *     responder takes both kinds, its default). Wall time: from dot_net_new
 *     on the initiator to a confirmed channel (XX: the responder's
 *     KEEPALIVE after HS3; IK: HS2), and the same with connect() included.
 *     CPU: CLOCK_THREAD_CPUTIME_ID summed over the lib/net calls of each
 *     side (dot_net_new, dot_net_input), and for information over the
 *     whole side with its socket calls. Also the floor: one X25519
 *     (dot_kx), one key pair, and one X-Wing key pair, encapsulation and
 *     decapsulation (unless "nofloor"), and the number of X25519 and X-Wing
 *     operations each side does (dot_net_stats). Output: medians as
 *     "name value" lines, prefixed xx_, ik_, xxhfs_, ikhfs_.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/net.h"
#include "doteros/xwing.h"

#define MSG_MAX	  DOT_NET_MAX_MSG
#define RBUF_SIZE (1u << 20)
#define HS_BATCH  50

static const uint8_t CID[DOT_NET_CLUSTER_ID_LEN] = "doteros-bench-c";

/* ---- small helpers ---- */

static void
die(const char *what, int rc)
{
	fprintf(stderr, "bench_channel: %s: %s\n", what,
		rc ? dot_errname(rc) : "failed");
	exit(1);
}

static void
die_errno(const char *what)
{
	fprintf(stderr, "bench_channel: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double
tcpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Voluntary context switches (sleeps) of the last thread_usage() call. */
static _Thread_local long last_nvcsw;

/* This thread's user and system CPU seconds so far. */
static void
thread_usage(double *user, double *sys)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		die_errno("getrusage");
	last_nvcsw = ru.ru_nvcsw;
	*user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void
rand_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	while (n > 0) {
		ssize_t r = getrandom(out, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_errno("getrandom");
		}
		out += r;
		n -= (size_t)r;
	}
}

static void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die_errno("write");
		}
		b += w;
		n -= (size_t)w;
	}
}

static void
read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		ssize_t r = read(fd, b, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die_errno("read");
		}
		if (r == 0) {
			fprintf(stderr, "bench_channel: early end of stream\n");
			exit(1);
		}
		b += r;
		n -= (size_t)r;
	}
}

/* One whole frame from a stream into f (DOT_NET_MAX_FRAME bytes); its length. */
static size_t
read_frame(int fd, uint8_t *f)
{
	size_t len;
	struct dot_err e;
	int rv;

	read_all(fd, f, DOT_NET_HDR_LEN);
	rv = dot_net_frame_next(f, DOT_NET_HDR_LEN, &len, &e);
	if (rv != DOT_OK)
		die("frame header", rv);
	if (len == 0) { /* the header alone does not tell: read the body */
		uint32_t body = (uint32_t)f[2] << 24 | (uint32_t)f[3] << 16 |
				(uint32_t)f[4] << 8 | f[5];
		len = DOT_NET_HDR_LEN + body;
	}
	if (len > DOT_NET_MAX_FRAME)
		die("frame length", DOT_ENET_FRAME);
	read_all(fd, f + DOT_NET_HDR_LEN, len - DOT_NET_HDR_LEN);
	rv = dot_net_frame_next(f, len, &len, &e);
	if (rv != DOT_OK || len == 0)
		die("frame", rv);
	return len;
}

static int
listen_on(int port, int *bound)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die_errno("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		die_errno("SO_REUSEADDR");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die_errno("bind");
	if (listen(fd, 128) != 0)
		die_errno("listen");
	if (getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		die_errno("getsockname");
	*bound = ntohs(a.sin_port);
	return fd;
}

static void
nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		die_errno("TCP_NODELAY");
}

static int
connect_to(int port)
{
	struct sockaddr_in a;
	int fd;

	for (int tries = 0;; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die_errno("socket");
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((uint16_t)port);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		if (tries >= 50)
			die_errno("connect");
		close(fd);
		usleep(20000);
	}
}

/* ---- channel set-up shared by both commands ---- */

struct keys {
	uint8_t init_sk[32], init_pk[32];
	uint8_t resp_sk[32], resp_pk[32];
};

static struct keys K;

static void
make_keys(void)
{
	uint8_t seed[32], pk[DOT_X25519_PK_LEN];

	rand_fill(NULL, seed, sizeof(seed));
	if (dot_kx_keypair(DOT_SUITE_X25519, seed, K.init_sk, pk) != DOT_OK)
		die("keypair", DOT_ECRYPTO_KEY);
	memcpy(K.init_pk, pk + 1, 32);
	rand_fill(NULL, seed, sizeof(seed));
	if (dot_kx_keypair(DOT_SUITE_X25519, seed, K.resp_sk, pk) != DOT_OK)
		die("keypair", DOT_ECRYPTO_KEY);
	memcpy(K.resp_pk, pk + 1, 32);
}

/* Each end accepts exactly the other's key (the node's state would say). */
static int
accept_resp(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	    char account[DOT_NET_MAX_NAME + 1])
{
	(void)ctx;
	(void)account;
	return memcmp(pk, K.resp_pk, 32) == 0 ? DOT_NET_NODE : DOT_NET_REFUSE;
}

static int
accept_init(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	    char account[DOT_NET_MAX_NAME + 1])
{
	(void)ctx;
	if (memcmp(pk, K.init_pk, 32) != 0)
		return DOT_NET_REFUSE;
	snprintf(account, DOT_NET_MAX_NAME + 1, "%s", "bench");
	return DOT_NET_ACCOUNT;
}

static void
init_config(struct dot_net_config *c, int ik, int classic, uint8_t cipher)
{
	memset(c, 0, sizeof(*c));
	c->initiator = 1;
	c->classic = classic;
	memcpy(c->cluster_id, CID, sizeof(CID));
	memcpy(c->static_sk, K.init_sk, 32);
	c->role = DOT_NET_ACCOUNT;
	c->remote_static = ik ? K.resp_pk : NULL;
	c->cipher = cipher;
	c->accept = accept_resp;
	c->rand = rand_fill;
}

static void
resp_config(struct dot_net_config *c, struct dot_net_gate *gate,
	    const uint8_t *src, size_t srclen)
{
	memset(c, 0, sizeof(*c));
	c->initiator = 0;
	memcpy(c->cluster_id, CID, sizeof(CID));
	memcpy(c->static_sk, K.resp_sk, 32);
	c->role = DOT_NET_NODE;
	c->accept = accept_init;
	c->rand = rand_fill;
	c->gate = gate;
	c->src = src;
	c->srclen = srclen;
}

static void
flush_out(int fd, struct dot_net_io *io)
{
	if (io->out.len) {
		write_all(fd, io->out.data, io->out.len);
		io->out.len = 0;
	}
}

static uint64_t
received_frames(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.received;
}

static uint64_t
dh_count(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.dh;
}

static uint64_t
kem_count(struct dot_net *ch)
{
	struct dot_net_stats s;

	dot_net_stats(ch, &s);
	return s.kem;
}

/*
 * The initiator's side of a handshake on fd, until the channel is
 * confirmed (XX: the responder's first transport frame; IK: HS2). cpu:
 * thread CPU seconds spent inside lib/net.
 */
static struct dot_net *
initiator_handshake(int fd, int ik, int classic, uint8_t cipher,
		    struct dot_net_io *io, uint8_t *f, double *cpu)
{
	struct dot_net_config cfg;
	struct dot_net *ch;
	double c0 = tcpu(), spent;
	int rv;

	init_config(&cfg, ik, classic, cipher);
	rv = dot_net_new(&ch, &cfg, mono_us(), io);
	spent = tcpu() - c0;
	if (rv != DOT_OK)
		die("dot_net_new (initiator)", rv);
	flush_out(fd, io);
	for (;;) {
		size_t n = read_frame(fd, f);
		c0 = tcpu();
		rv = dot_net_input(ch, mono_us(), f, n, io);
		spent += tcpu() - c0;
		if (rv != DOT_OK)
			die("initiator input", rv);
		flush_out(fd, io);
		if (dot_net_state(ch) != DOT_NET_S_ESTABLISHED)
			continue;
		if (ik || received_frames(ch) > 0)
			break;
	}
	if (dot_net_cipher(ch) != cipher)
		die("negotiated cipher", DOT_ENET_CIPHER);
	if (dot_net_kem(ch) != (classic ? DOT_NET_KEM_NONE : DOT_NET_KEM_XWING))
		die("negotiated KEM", DOT_ENET_KEM);
	*cpu = spent;
	return ch;
}

/* The responder's side: reads HS1 (and HS3 for XX), until established
 * and its last handshake frame (XX: the KEEPALIVE confirmation) written. */
static struct dot_net *
responder_handshake(int fd, struct dot_net_gate *gate, struct dot_net_io *io,
		    uint8_t *f, double *cpu)
{
	struct dot_net_config cfg;
	struct dot_net *ch;
	static const uint8_t src[4] = {127, 0, 0, 1};
	double c0, spent;
	size_t n = read_frame(fd, f);
	int rv;

	resp_config(&cfg, gate, src, sizeof(src));
	c0 = tcpu();
	rv = dot_net_new(&ch, &cfg, mono_us(), io);
	spent = tcpu() - c0;
	if (rv != DOT_OK)
		die("dot_net_new (responder)", rv);
	for (;;) {
		c0 = tcpu();
		rv = dot_net_input(ch, mono_us(), f, n, io);
		spent += tcpu() - c0;
		if (rv != DOT_OK)
			die("responder input", rv);
		flush_out(fd, io);
		if (dot_net_state(ch) == DOT_NET_S_ESTABLISHED)
			break;
		n = read_frame(fd, f);
	}
	const struct dot_net_peer *peer = dot_net_peer(ch);
	if (peer == NULL || memcmp(peer->static_pk, K.init_pk, 32) != 0 ||
	    peer->role != DOT_NET_ACCOUNT || strcmp(peer->account, "bench") != 0)
		die("responder: peer identity", DOT_ENET_HANDSHAKE);
	*cpu = spent;
	return ch;
}

static double aead_mbs(uint8_t suite, size_t len);

/* ---- tput ---- */

struct tput {
	int mode; /* 0 raw, else the suite */
	uint64_t bytes;
	int lfd, connect_port;
	size_t wsize;   /* raw: bytes per write */
	unsigned batch; /* channel: frames per write */
	size_t msg;     /* channel: bytes per DATA message */
	/* results */
	double secs, send_cpu, recv_cpu, recv_secs;
	double send_user, send_sys, recv_user, recv_sys;
	long send_sleeps, recv_sleeps;
	uint64_t frames, wire_bytes, writes;
};

static void *
tput_receiver(void *arg)
{
	struct tput *t = arg;
	uint64_t got = 0;
	double c0, t0 = 0, u0, s0, u1, s1;
	long sleeps;
	int fd;

	pthread_setname_np(pthread_self(), "chan-recv");
	fd = accept(t->lfd, NULL, NULL);
	if (fd < 0)
		die_errno("accept");
	if (t->mode == 0) {
		uint8_t *buf = malloc(RBUF_SIZE);
		if (buf == NULL)
			die("malloc", DOT_ENOMEM);
		c0 = tcpu();
		thread_usage(&u0, &s0);
		while (got < t->bytes) {
			ssize_t r = read(fd, buf, RBUF_SIZE);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				die_errno("read");
			if (r == 0) {
				fprintf(stderr, "bench_channel: early EOF\n");
				exit(1);
			}
			if (got == 0)
				t0 = mono();
			got += (uint64_t)r;
		}
		t->recv_secs = mono() - t0;
		t->recv_cpu = tcpu() - c0;
		sleeps = last_nvcsw;
		thread_usage(&u1, &s1);
		t->recv_user = u1 - u0;
		t->recv_sys = s1 - s0;
		t->recv_sleeps = last_nvcsw - sleeps;
		if (got != t->bytes)
			die("receiver: byte count", DOT_ERANGE);
		write_all(fd, &got, sizeof(got));
		free(buf);
	} else {
		struct dot_net_gate *gate;
		struct dot_net_io io = {0};
		struct dot_net *ch;
		uint8_t *buf = malloc(RBUF_SIZE + DOT_NET_MAX_FRAME);
		size_t have = 0, off = 0;
		uint64_t seq = 0, frames = 0;
		double hs;
		int rv;

		if (buf == NULL)
			die("malloc", DOT_ENOMEM);
		rv = dot_net_gate_new(&gate, CID, rand_fill, NULL);
		if (rv != DOT_OK)
			die("gate", rv);
		ch = responder_handshake(fd, gate, &io, buf, &hs);
		c0 = tcpu();
		thread_usage(&u0, &s0);
		while (got < t->bytes) {
			ssize_t r;
			/* compact only when a whole frame might not fit */
			if (RBUF_SIZE + DOT_NET_MAX_FRAME - have <
			    DOT_NET_MAX_FRAME) {
				memmove(buf, buf + off, have - off);
				have -= off;
				off = 0;
			}
			r = read(fd, buf + have, RBUF_SIZE + DOT_NET_MAX_FRAME - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				die_errno("read");
			if (r == 0) {
				fprintf(stderr, "bench_channel: early EOF\n");
				exit(1);
			}
			if (t0 == 0)
				t0 = mono();
			have += (size_t)r;
			uint64_t now = mono_us();
			for (;;) {
				size_t flen;
				struct dot_err e;
				rv = dot_net_frame_next(buf + off, have - off,
							&flen, &e);
				if (rv != DOT_OK)
					die("receiver: frame", rv);
				if (flen == 0)
					break;
				rv = dot_net_input(ch, now, buf + off, flen, &io);
				if (rv != DOT_OK)
					die("receiver: dot_net_input", rv);
				off += flen;
				frames++;
				if (io.events & DOT_NET_EV_DATA) {
					uint64_t s;
					size_t want = t->bytes - got < t->msg
							      ? (size_t)(t->bytes - got)
							      : t->msg;
					if (io.data.len != want)
						die("receiver: message length",
						    DOT_ERANGE);
					memcpy(&s, io.data.data, sizeof(s));
					if (want >= 8 && s != seq)
						die("receiver: sequence",
						    DOT_ERANGE);
					seq++;
					got += io.data.len;
				}
				io.data.len = 0;
				io.events = 0;
			}
			if (off == have)
				off = have = 0;
			flush_out(fd, &io); /* nothing expected; never lost */
		}
		t->recv_secs = mono() - t0;
		t->recv_cpu = tcpu() - c0;
		sleeps = last_nvcsw;
		thread_usage(&u1, &s1);
		t->recv_user = u1 - u0;
		t->recv_sys = s1 - s0;
		t->recv_sleeps = last_nvcsw - sleeps;
		t->frames = frames;
		/* The answer: the count, as a DATA message. */
		rv = dot_net_send(ch, mono_us(), &got, sizeof(got), &io);
		if (rv != DOT_OK)
			die("receiver: send", rv);
		flush_out(fd, &io);
		dot_net_free(ch);
		dot_net_gate_free(gate);
		dot_buf_free(&io.out);
		dot_buf_free(&io.data);
		free(buf);
	}
	close(fd);
	return NULL;
}

static void
tput_sender(struct tput *t)
{
	uint64_t sent = 0, ack = 0;
	double c0, t0, u0, s0, u1, s1;
	long sleeps;
	int fd;

	pthread_setname_np(pthread_self(), "chan-send");
	fd = connect_to(t->connect_port);
	if (t->mode == 0) {
		uint8_t *buf = malloc(t->wsize);
		if (buf == NULL)
			die("malloc", DOT_ENOMEM);
		rand_fill(NULL, buf, t->wsize);
		c0 = tcpu();
		thread_usage(&u0, &s0);
		t0 = mono();
		while (sent < t->bytes) {
			size_t n = t->bytes - sent < t->wsize
					   ? (size_t)(t->bytes - sent)
					   : t->wsize;
			write_all(fd, buf, n);
			sent += n;
			t->writes++;
		}
		read_all(fd, &ack, sizeof(ack));
		t->secs = mono() - t0;
		t->send_cpu = tcpu() - c0;
		sleeps = last_nvcsw;
		thread_usage(&u1, &s1);
		t->send_user = u1 - u0;
		t->send_sys = s1 - s0;
		t->send_sleeps = last_nvcsw - sleeps;
		t->wire_bytes = sent;
		free(buf);
	} else {
		struct dot_net_io io = {0};
		uint8_t *msg = malloc(MSG_MAX), *f = malloc(DOT_NET_MAX_FRAME);
		struct dot_net *ch;
		uint64_t seq = 0, wire = 0;
		double hs;
		int rv;

		if (msg == NULL || f == NULL)
			die("malloc", DOT_ENOMEM);
		rand_fill(NULL, msg, MSG_MAX);
		nodelay(fd);
		ch = initiator_handshake(fd, 0, 0, (uint8_t)t->mode, &io, f,
					 &hs);
		c0 = tcpu();
		thread_usage(&u0, &s0);
		t0 = mono();
		while (sent < t->bytes) {
			uint64_t now = mono_us();
			for (unsigned i = 0; i < t->batch && sent < t->bytes; i++) {
				size_t n = t->bytes - sent < t->msg
						   ? (size_t)(t->bytes - sent)
						   : t->msg;
				memcpy(msg, &seq, sizeof(seq));
				rv = dot_net_send(ch, now, msg, n, &io);
				if (rv != DOT_OK)
					die("sender: dot_net_send", rv);
				seq++;
				sent += n;
			}
			wire += io.out.len;
			t->writes++;
			flush_out(fd, &io);
		}
		/* the receiver's answer: one DATA frame */
		for (;;) {
			size_t n = read_frame(fd, f);
			rv = dot_net_input(ch, mono_us(), f, n, &io);
			if (rv != DOT_OK)
				die("sender: input", rv);
			if (io.events & DOT_NET_EV_DATA)
				break;
		}
		t->secs = mono() - t0;
		t->send_cpu = tcpu() - c0;
		sleeps = last_nvcsw;
		thread_usage(&u1, &s1);
		t->send_user = u1 - u0;
		t->send_sys = s1 - s0;
		t->send_sleeps = last_nvcsw - sleeps;
		if (io.data.len != sizeof(ack))
			die("sender: answer length", DOT_ERANGE);
		memcpy(&ack, io.data.data, sizeof(ack));
		t->wire_bytes = wire;
		dot_net_free(ch);
		dot_buf_free(&io.out);
		dot_buf_free(&io.data);
		free(msg);
		free(f);
	}
	if (ack != t->bytes)
		die("sender: the receiver's count", DOT_ERANGE);
	close(fd);
}

static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (v == NULL || *v == '\0')
		return def;
	x = strtoull(v, &end, 10);
	if (*end != '\0' || x == 0) {
		fprintf(stderr, "bench_channel: bad %s\n", name);
		exit(2);
	}
	return x;
}

static int
cmd_tput(int argc, char **argv)
{
	struct tput t;
	pthread_t th;
	int lport = 0, bound;

	memset(&t, 0, sizeof(t));
	if (argc < 4)
		return 2;
	if (strcmp(argv[2], "raw") == 0)
		t.mode = 0;
	else if (strcmp(argv[2], "chacha20-poly1305") == 0)
		t.mode = DOT_SUITE_CHACHA20POLY1305;
	else if (strcmp(argv[2], "aes-256-gcm") == 0)
		t.mode = DOT_SUITE_AES256GCM;
	else
		return 2;
	t.bytes = strtoull(argv[3], NULL, 10);
	if (t.bytes == 0)
		return 2;
	if (argc > 4)
		lport = atoi(argv[4]);
	t.wsize = (size_t)env_u64("WRITE", 262144);
	t.batch = (unsigned)env_u64("FRAMES", 4);
	t.msg = (size_t)env_u64("MSG", DOT_NET_MAX_MSG);
	if (t.msg > DOT_NET_MAX_MSG || t.msg < 8)
		die("MSG: 8 to 65535 bytes", DOT_ERANGE);
	if (t.mode && !dot_aead_available((uint8_t)t.mode))
		die("suite not available here", DOT_ECRYPTO_UNAVAILABLE);
	t.lfd = listen_on(lport, &bound);
	t.connect_port = argc > 5 ? atoi(argv[5]) : 0;
	if (t.connect_port == 0)
		t.connect_port = bound;
	if (pthread_create(&th, NULL, tput_receiver, &t) != 0)
		die("pthread_create", DOT_ENOMEM);
	tput_sender(&t);
	pthread_join(th, NULL);
	close(t.lfd);

	printf("mode %s\n", argv[2]);
	printf("bytes %llu\n", (unsigned long long)t.bytes);
	printf("seconds %.6f\n", t.secs);
	printf("mbs %.1f\n", (double)t.bytes / t.secs / 1e6);
	printf("recv_seconds %.6f\n", t.recv_secs);
	printf("send_cpu %.6f\n", t.send_cpu);
	printf("recv_cpu %.6f\n", t.recv_cpu);
	printf("send_user %.6f\nsend_sys %.6f\n", t.send_user, t.send_sys);
	printf("recv_user %.6f\nrecv_sys %.6f\n", t.recv_user, t.recv_sys);
	printf("send_sleeps %ld\nrecv_sleeps %ld\n", t.send_sleeps, t.recv_sleeps);
	printf("writes %llu\n", (unsigned long long)t.writes);
	printf("wire_bytes %llu\n", (unsigned long long)t.wire_bytes);
	if (t.mode) {
		printf("aead_mbs %.1f\n", aead_mbs((uint8_t)t.mode, t.msg));
		printf("msg_size %zu\n", t.msg);
		printf("frames %llu\n", (unsigned long long)t.frames);
		printf("frames_per_write %u\n", t.batch);
	} else {
		printf("write_size %zu\n", t.wsize);
	}
	return 0;
}

/* ---- hs ---- */

struct hs_sample {
	double wall, wall_connect, icpu, ithread, rcpu, rthread;
	unsigned idh, rdh, ikem, rkem;
};

/* The kinds of handshake, in the order their batches come. */
#define HS_KINDS 4
static const struct {
	const char *name;
	int ik, classic;
} hs_kinds[HS_KINDS] = {
	{"xx", 0, 1},
	{"ik", 1, 1},
	{"xxhfs", 0, 0},
	{"ikhfs", 1, 0},
};

struct hs_run {
	int lfd, port;
	int total;         /* handshakes in all */
	struct hs_sample *s; /* by handshake index */
};

static void *
hs_responder(void *arg)
{
	struct hs_run *h = arg;
	struct dot_net_gate *gate;
	struct dot_net_io io = {0};
	uint8_t *f = malloc(DOT_NET_MAX_FRAME);
	int rv = dot_net_gate_new(&gate, CID, rand_fill, NULL);

	if (rv != DOT_OK)
		die("gate", rv);
	if (f == NULL)
		die("malloc", DOT_ENOMEM);
	pthread_setname_np(pthread_self(), "hs-resp");
	for (int i = 0; i < h->total; i++) {
		int fd = accept(h->lfd, NULL, NULL);
		double t0, cpu;
		struct dot_net *ch;

		if (fd < 0)
			die_errno("accept");
		t0 = tcpu();
		nodelay(fd);
		ch = responder_handshake(fd, gate, &io, f, &cpu);
		h->s[i].rthread = tcpu() - t0;
		h->s[i].rcpu = cpu;
		h->s[i].rdh = (unsigned)dh_count(ch);
		h->s[i].rkem = (unsigned)kem_count(ch);
		dot_net_free(ch);
		io.out.len = io.data.len = 0;
		io.events = 0;
		close(fd);
	}
	dot_net_gate_free(gate);
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	free(f);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The floor: one X25519 (libsodium through dot_kx), thread CPU time,
 * median of batches. */
static double
x25519_us(void)
{
	uint8_t sk[32], seed[32], pk[DOT_X25519_PK_LEN], shared[32];
	double v[21];

	rand_fill(NULL, seed, sizeof(seed));
	if (dot_kx_keypair(DOT_SUITE_X25519, seed, sk, pk) != DOT_OK)
		die("keypair", DOT_ECRYPTO_KEY);
	for (int b = 0; b < 21; b++) {
		double t0 = tcpu();
		for (int i = 0; i < 100; i++) {
			if (dot_kx(sk, pk, sizeof(pk), shared) != DOT_OK)
				die("dot_kx", DOT_ECRYPTO_KEY);
			pk[1] ^= shared[0] & 1; /* a chain, not one repeat */
			pk[32] &= 0x7f;
		}
		v[b] = (tcpu() - t0) / 100 * 1e6;
	}
	return median(v, 21);
}

/* An ephemeral key pair (dot_kx_keypair: a fixed-base X25519), thread CPU
 * time, median of batches. */
static double
keypair_us(void)
{
	uint8_t sk[32], seed[32], pk[DOT_X25519_PK_LEN];
	double v[21];

	rand_fill(NULL, seed, sizeof(seed));
	for (int b = 0; b < 21; b++) {
		double t0 = tcpu();
		for (int i = 0; i < 100; i++) {
			if (dot_kx_keypair(DOT_SUITE_X25519, seed, sk, pk) !=
			    DOT_OK)
				die("keypair", DOT_ECRYPTO_KEY);
			seed[0] ^= pk[1]; /* a chain, not one repeat */
		}
		v[b] = (tcpu() - t0) / 100 * 1e6;
	}
	return median(v, 21);
}

/* X-Wing alone (lib/crypto, as the handshake calls it): a key pair, an
 * encapsulation and a decapsulation, thread CPU time, median of batches. */
static void
xwing_us(double *kp, double *enc, double *dec)
{
	uint8_t sk[DOT_XWING_SK_LEN], pk[DOT_XWING_PK_LEN], ct[DOT_XWING_CT_LEN];
	uint8_t ss[DOT_XWING_SS_LEN], rnd[DOT_XWING_ESEED_LEN];
	double v[3][21];

	rand_fill(NULL, rnd, sizeof(rnd));
	for (int b = 0; b < 21; b++) {
		double t0 = tcpu();
		for (int i = 0; i < 20; i++) {
			dot_xwing_keypair(sk, pk, rnd);
			rnd[0] ^= pk[0]; /* a chain, not one repeat */
		}
		v[0][b] = (tcpu() - t0) / 20 * 1e6;
		t0 = tcpu();
		for (int i = 0; i < 20; i++) {
			if (dot_xwing_encaps_derand(ct, ss, pk, sizeof(pk),
						    rnd) != DOT_OK)
				die("X-Wing encaps", DOT_ECRYPTO_XWING_PK);
			rnd[1] ^= ss[0];
		}
		v[1][b] = (tcpu() - t0) / 20 * 1e6;
		t0 = tcpu();
		for (int i = 0; i < 20; i++) {
			if (dot_xwing_decaps(ss, ct, sizeof(ct), sk,
					     sizeof(sk)) != DOT_OK)
				die("X-Wing decaps", DOT_ECRYPTO_XWING_CT);
			ct[0] ^= ss[0] & 1;
		}
		v[2][b] = (tcpu() - t0) / 20 * 1e6;
	}
	*kp = median(v[0], 21);
	*enc = median(v[1], 21);
	*dec = median(v[2], 21);
}

/* The AEAD alone on this thread, as the channel calls it (dot_aead_encrypt,
 * len-byte messages, 14 bytes of AD): MB per second of thread CPU time,
 * median of 11 batches of about 20 ms. */
static double
aead_mbs(uint8_t suite, size_t len)
{
	uint8_t key[32], nonce[12] = {0}, ad[14] = {0};
	uint8_t *pt = malloc(MSG_MAX), *ct = malloc(MSG_MAX + 16);
	double v[11];
	int iters = 1;

	if (pt == NULL || ct == NULL)
		die("malloc", DOT_ENOMEM);
	rand_fill(NULL, key, sizeof(key));
	rand_fill(NULL, pt, MSG_MAX);
	for (int b = -1; b < 11; b++) {
		double t0 = tcpu(), dt;
		for (int i = 0; i < iters; i++) {
			nonce[11] = (uint8_t)i;
			int rv = dot_aead_encrypt(suite, key, nonce, ad,
						  sizeof(ad), pt, len, ct);
			if (rv != DOT_OK)
				die("dot_aead_encrypt", rv);
		}
		dt = tcpu() - t0;
		if (b < 0) { /* warm-up sets the batch size: about 20 ms */
			iters = (int)(0.02 / (dt > 1e-6 ? dt : 1e-6)) + 1;
			continue;
		}
		v[b] = (double)len * iters / dt / 1e6;
	}
	free(pt);
	free(ct);
	return median(v, 11);
}

static int
cmd_hs(int argc, char **argv)
{
	struct hs_run h;
	pthread_t th;
	struct dot_net_io io = {0};
	uint8_t *f = malloc(DOT_NET_MAX_FRAME);
	int count = argc > 2 ? atoi(argv[2]) : 1000;
	uint8_t cipher = dot_aead_preferred();
	double *col;

	if (count <= 0 || f == NULL)
		return 2;
	count = (count + HS_BATCH - 1) / HS_BATCH * HS_BATCH;
	memset(&h, 0, sizeof(h));
	h.total = HS_KINDS * count;
	h.s = calloc((size_t)h.total, sizeof(*h.s));
	col = calloc((size_t)count, sizeof(*col));
	if (h.s == NULL || col == NULL)
		return 2;
	pthread_setname_np(pthread_self(), "hs-init");
	h.lfd = listen_on(0, &h.port);
	if (pthread_create(&th, NULL, hs_responder, &h) != 0)
		die("pthread_create", DOT_ENOMEM);
	/* Batches go round the kinds: XX, IK, XXhfs, IKhfs, XX, ... */
	for (int i = 0; i < h.total; i++) {
		int kind = (i / HS_BATCH) % HS_KINDS;
		double c0 = tcpu(), w0 = mono(), w1, cpu;
		int fd = connect_to(h.port);
		struct dot_net *ch;

		nodelay(fd);
		w1 = mono();
		ch = initiator_handshake(fd, hs_kinds[kind].ik,
					 hs_kinds[kind].classic, cipher, &io, f,
					 &cpu);
		h.s[i].wall = mono() - w1;
		h.s[i].wall_connect = mono() - w0;
		h.s[i].ithread = tcpu() - c0;
		h.s[i].icpu = cpu;
		h.s[i].idh = (unsigned)dh_count(ch);
		h.s[i].ikem = (unsigned)kem_count(ch);
		dot_net_free(ch);
		io.out.len = io.data.len = 0;
		io.events = 0;
		close(fd);
	}
	pthread_join(th, NULL);
	close(h.lfd);

	printf("cipher %s\n", cipher == DOT_SUITE_AES256GCM
				      ? "aes-256-gcm"
				      : "chacha20-poly1305");
	printf("count %d\n", count);
	for (int kind = 0; kind < HS_KINDS; kind++) {
		const char *p = hs_kinds[kind].name;
		static const struct {
			const char *name;
			size_t off;
		} cols[] = {
			{"wall_us", offsetof(struct hs_sample, wall)},
			{"connect_wall_us",
			 offsetof(struct hs_sample, wall_connect)},
			{"init_cpu_us", offsetof(struct hs_sample, icpu)},
			{"resp_cpu_us", offsetof(struct hs_sample, rcpu)},
			{"init_thread_cpu_us",
			 offsetof(struct hs_sample, ithread)},
			{"resp_thread_cpu_us",
			 offsetof(struct hs_sample, rthread)},
		};
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			size_t n = 0;
			for (int i = 0; i < h.total; i++) {
				if ((i / HS_BATCH) % HS_KINDS != kind)
					continue;
				double v;
				memcpy(&v, (char *)&h.s[i] + cols[c].off,
				       sizeof(v));
				col[n++] = v * 1e6;
			}
			printf("%s_%s %.2f\n", p, cols[c].name, median(col, n));
		}
		for (int i = 0; i < h.total; i++) {
			if ((i / HS_BATCH) % HS_KINDS == kind) {
				printf("%s_init_dh %u\n%s_resp_dh %u\n", p,
				       h.s[i].idh, p, h.s[i].rdh);
				printf("%s_init_kem %u\n%s_resp_kem %u\n", p,
				       h.s[i].ikem, p, h.s[i].rkem);
				break;
			}
		}
	}
	if (!(argc > 3 && strcmp(argv[3], "nofloor") == 0)) {
		double kp, enc, dec;
		printf("x25519_us %.2f\n", x25519_us());
		printf("keypair_us %.2f\n", keypair_us());
		xwing_us(&kp, &enc, &dec);
		printf("xwing_keypair_us %.2f\nxwing_encaps_us %.2f\n"
		       "xwing_decaps_us %.2f\n",
		       kp, enc, dec);
	}
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	free(f);
	free(h.s);
	free(col);
	return 0;
}

int
main(int argc, char **argv)
{
	int rv = dot_crypto_init();

	if (rv != DOT_OK)
		die("dot_crypto_init", rv);
	make_keys();
	if (argc >= 2 && strcmp(argv[1], "tput") == 0)
		rv = cmd_tput(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "hs") == 0)
		rv = cmd_hs(argc, argv);
	else
		rv = 2;
	if (rv == 2)
		fprintf(stderr,
			"usage: bench_channel tput raw|chacha20-poly1305|"
			"aes-256-gcm BYTES [LISTEN_PORT [CONNECT_PORT]]\n"
			"       bench_channel hs [COUNT [nofloor]]\n");
	return rv;
}
