/*
 * transport.c - raft's traffic over the secure channel (transport.h).
 *
 * Each link is one TCP connection carrying one lib/net channel, and one
 * socketpair: raft owns one end as a uv_pipe_t stream (allocated with
 * raft_malloc, which raft frees after closing it), the link the other.
 * Bytes raft writes are read here, sealed as DATA messages of at most
 * DOT_NET_MAX_MSG bytes and written to TCP; DATA messages from the peer are
 * written to raft's end. Either side closing closes the other: raft sees
 * EOF and reconnects later, as it does over plain TCP.
 *
 * Flow control: each direction stops reading its source while more than
 * LINK_HIGH bytes wait to be written to its sink, and starts again below
 * LINK_LOW, so a slow peer or a busy raft cannot make the node buffer
 * without bound.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "transport.h"

#define LINK_RAW (2 * DOT_NET_MAX_FRAME) /* channel bytes not yet cut */
#define LINK_HIGH (4u << 20)
#define LINK_LOW (1u << 20)

struct tr;

struct link {
	struct tr *tr;
	struct link *next;
	uv_tcp_t tcp;
	uv_pipe_t pipe;   /* our end of the socketpair */
	int has_tcp, has_pipe, handles, closing;
	uv_connect_t creq;
	struct dot_net *ch;
	uint8_t *raw;
	size_t raw_len;
	int outbound, established, in_handshake;
	/* outbound, until handed to raft or failed */
	struct raft_uv_connect *req;
	raft_uv_connect_cb cb;
	uint64_t id;
	char address[DOTD_TR_MAX_ADDRESS];
	uint8_t expect[DOT_NET_KEY_LEN];
	size_t to_tcp, to_pipe; /* bytes queued for each sink */
	int tcp_stopped, pipe_stopped;
	uint8_t src[16];
	size_t srclen;
};

struct tr {
	struct raft_uv_transport *t;
	uv_loop_t *loop;
	struct dotd_tr_config cfg;
	uint8_t *sk; /* sodium_malloc */
	uint64_t id;
	char address[DOTD_TR_MAX_ADDRESS];
	struct dot_net_gate *gate;
	uv_tcp_t listener;
	uv_timer_t timer;
	int has_listener, has_timer, handles;
	raft_uv_accept_cb accept_cb;
	raft_uv_transport_close_cb close_cb;
	int closing;
	struct link *links;
	unsigned hs_in, nlinks;
	struct dotd_tr_stats st;
};

struct wreq {
	uv_write_t req;
	struct link *l;
	size_t n;
	int to_tcp;
	uint8_t data[];
};

static void link_close(struct link *l, int status);
static void link_pump(struct link *l);

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
tr_rand(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	randombytes_buf(out, n);
}

int
dotd_tr_parse_address(const char *address, struct sockaddr_storage *ss)
{
	char host[DOTD_TR_MAX_ADDRESS];
	const char *colon;
	size_t hl;
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (address == NULL || strlen(address) >= sizeof(host))
		return -1;
	colon = strrchr(address, ':');
	if (colon == NULL || colon[1] == '\0')
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port == 0 || port > 65535 ||
	    colon[1] < '0' || colon[1] > '9')
		return -1;
	hl = (size_t)(colon - address);
	if (hl >= 2 && address[0] == '[' && address[hl - 1] == ']') {
		memcpy(host, address + 1, hl - 2);
		host[hl - 2] = '\0';
		return uv_ip6_addr(host, (int)port,
				   (struct sockaddr_in6 *)ss) != 0;
	}
	memcpy(host, address, hl);
	host[hl] = '\0';
	if (strchr(host, ':') != NULL)
		return -1; /* an IPv6 address must be bracketed */
	return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) != 0;
}

/* ---- closing ---- */

static void
maybe_close_done(struct tr *tr)
{
	if (tr->closing && tr->handles == 0 && tr->links == NULL &&
	    tr->close_cb != NULL) {
		raft_uv_transport_close_cb cb = tr->close_cb;
		tr->close_cb = NULL;
		cb(tr->t);
	}
}

static void
link_handle_closed(uv_handle_t *h)
{
	struct link *l = h->data;
	struct tr *tr = l->tr;

	if (--l->handles > 0)
		return;
	for (struct link **pp = &tr->links; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	tr->nlinks--;
	dot_net_free(l->ch);
	free(l->raw);
	free(l);
	maybe_close_done(tr);
}

/*
 * Close a link: tell raft (a connect that has not completed fails with
 * status), say CLOSE on the channel if it is up, close both handles.
 */
static void
link_close(struct link *l, int status)
{
	struct tr *tr = l->tr;

	if (l->closing)
		return;
	l->closing = 1;
	if (l->in_handshake) {
		l->in_handshake = 0;
		tr->hs_in--;
		dot_net_gate_set_load(tr->gate, tr->hs_in >
							tr->cfg.max_handshakes / 2);
	}
	if (l->req != NULL) {
		struct raft_uv_connect *req = l->req;
		l->req = NULL;
		l->cb(req, NULL, status);
	}
	if (l->ch != NULL && dot_net_state(l->ch) == DOT_NET_S_ESTABLISHED &&
	    l->has_tcp) {
		struct dot_net_io io = {0};
		uv_buf_t b;

		dot_net_close(l->ch, &io);
		if (io.out.len > 0) {
			b = uv_buf_init((char *)io.out.data,
					(unsigned)io.out.len);
			(void)uv_try_write((uv_stream_t *)&l->tcp, &b, 1);
		}
		dot_buf_free(&io.out);
		dot_buf_free(&io.data);
	}
	if (l->has_tcp) {
		l->handles++;
		uv_close((uv_handle_t *)&l->tcp, link_handle_closed);
	}
	if (l->has_pipe) {
		l->handles++;
		uv_close((uv_handle_t *)&l->pipe, link_handle_closed);
	}
	if (l->handles == 0) {
		l->handles = 1;
		link_handle_closed((uv_handle_t *)&l->tcp);
	}
}

/* ---- writing ---- */

static void link_resume(struct link *l);

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct link *l = w->l;

	if (w->to_tcp)
		l->to_tcp -= w->n;
	else
		l->to_pipe -= w->n;
	free(w);
	if (status < 0) {
		link_close(l, RAFT_NOCONNECTION);
		return;
	}
	link_resume(l);
}

static int
link_write(struct link *l, int to_tcp, const uint8_t *p, size_t n)
{
	struct wreq *w;
	uv_buf_t b;
	uv_stream_t *s = to_tcp ? (uv_stream_t *)&l->tcp
				: (uv_stream_t *)&l->pipe;

	if (n == 0)
		return 0;
	if (l->closing)
		return -1;
	w = malloc(sizeof(*w) + n);
	if (w == NULL)
		return -1;
	w->l = l;
	w->n = n;
	w->to_tcp = to_tcp;
	memcpy(w->data, p, n);
	b = uv_buf_init((char *)w->data, (unsigned)n);
	if (uv_write(&w->req, s, &b, 1, on_written) != 0) {
		free(w);
		return -1;
	}
	if (to_tcp)
		l->to_tcp += n;
	else
		l->to_pipe += n;
	return 0;
}

/* ---- handing the link to raft ---- */

static void
on_pipe_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	buf->base = malloc(DOT_NET_MAX_MSG);
	buf->len = buf->base != NULL ? DOT_NET_MAX_MSG : 0;
}

/* raft wrote bytes: seal them for the peer. */
static void
on_pipe_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct link *l = s->data;
	struct dot_net_io io = {0};

	if (nread < 0) {
		free(buf->base);
		link_close(l, RAFT_NOCONNECTION);
		return;
	}
	if (nread > 0 && !l->closing) {
		int rv = dot_net_send(l->ch, now_us(), buf->base,
				      (size_t)nread, &io);
		if (rv != DOT_OK ||
		    link_write(l, 1, io.out.data, io.out.len) != 0)
			link_close(l, RAFT_NOCONNECTION);
		else if (l->to_tcp > LINK_HIGH && !l->pipe_stopped) {
			uv_read_stop((uv_stream_t *)&l->pipe);
			l->pipe_stopped = 1;
		}
	}
	free(buf->base);
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
}

/*
 * The channel is up: make the socketpair, give raft its end (the connect
 * callback, or the accept callback), read ours.
 */
static int
link_hand_over(struct link *l)
{
	struct tr *tr = l->tr;
	uv_pipe_t *rs;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if (uv_pipe_init(tr->loop, &l->pipe, 0) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	l->pipe.data = l;
	l->has_pipe = 1;
	if (uv_pipe_open(&l->pipe, sv[0]) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	rs = raft_malloc(sizeof(*rs));
	if (rs == NULL || uv_pipe_init(tr->loop, rs, 0) != 0) {
		raft_free(rs);
		close(sv[1]);
		return -1;
	}
	if (uv_pipe_open(rs, sv[1]) != 0) {
		close(sv[1]);
		uv_close((uv_handle_t *)rs, (uv_close_cb)raft_free);
		return -1;
	}
	if (uv_read_start((uv_stream_t *)&l->pipe, on_pipe_alloc,
			  on_pipe_read) != 0) {
		uv_close((uv_handle_t *)rs, (uv_close_cb)raft_free);
		return -1;
	}
	if (l->outbound) {
		struct raft_uv_connect *req = l->req;
		l->req = NULL;
		tr->st.connected++;
		l->cb(req, (uv_stream_t *)rs, 0);
	} else if (!tr->closing && tr->accept_cb != NULL) {
		tr->st.accepted++;
		tr->accept_cb(tr->t, l->id, l->address, (uv_stream_t *)rs);
	} else {
		uv_close((uv_handle_t *)rs, (uv_close_cb)raft_free);
		return -1;
	}
	return 0;
}

/* ---- the channel ---- */

/* Write what a channel call produced; hand DATA to raft; 0 or -1 (closed). */
static int
link_output(struct link *l, struct dot_net_io *io)
{
	unsigned ev = io->events;

	io->events = 0;
	if (link_write(l, 1, io->out.data, io->out.len) != 0) {
		link_close(l, RAFT_NOCONNECTION);
		return -1;
	}
	io->out.len = 0;
	if ((ev & DOT_NET_EV_DROPPED) && l->established) {
		/* raft's bytes are a stream: a frame that failed its checks
		 * is a gap in it, never to be skipped over. Only an attacker
		 * (or a bug) makes one on TCP: close, raft reconnects. */
		l->tr->st.dropped++;
		link_close(l, RAFT_NOCONNECTION);
		return -1;
	}
	if (ev & DOT_NET_EV_ESTABLISHED) {
		if (l->in_handshake) {
			l->in_handshake = 0;
			l->tr->hs_in--;
			dot_net_gate_set_load(l->tr->gate,
					      l->tr->hs_in >
						      l->tr->cfg.max_handshakes /
							      2);
		}
		l->established = 1;
		if (link_hand_over(l) != 0) {
			link_close(l, RAFT_NOCONNECTION);
			return -1;
		}
	}
	if (io->data.len > 0) {
		if (link_write(l, 0, io->data.data, io->data.len) != 0) {
			link_close(l, RAFT_NOCONNECTION);
			return -1;
		}
		io->data.len = 0;
	}
	if (ev & DOT_NET_EV_CLOSED) {
		l->tr->st.refused += !l->established;
		link_close(l, RAFT_NOCONNECTION);
		return -1;
	}
	return 0;
}

/* Give the channel every whole frame read. */
static void
link_pump(struct link *l)
{
	struct dot_net_io io = {0};
	size_t off = 0, flen;

	while (!l->closing) {
		struct dot_err e = {0};

		if (dot_net_frame_next(l->raw + off, l->raw_len - off, &flen,
				       &e) != DOT_OK) {
			link_close(l, RAFT_NOCONNECTION);
			break;
		}
		if (flen == 0)
			break;
		/* a dropped frame is counted (too many close the channel) */
		if (dot_net_input(l->ch, now_us(), l->raw + off, flen, &io) !=
		    DOT_OK)
			(void)0;
		off += flen;
		if (link_output(l, &io) != 0)
			break;
	}
	if (!l->closing && off > 0) {
		memmove(l->raw, l->raw + off, l->raw_len - off);
		l->raw_len -= off;
	}
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
}

static void
on_tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct link *l = h->data;

	(void)suggested;
	buf->base = (char *)l->raw + l->raw_len;
	buf->len = LINK_RAW - l->raw_len;
}

static void
on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct link *l = s->data;

	(void)buf;
	if (nread < 0) {
		link_close(l, RAFT_NOCONNECTION);
		return;
	}
	l->raw_len += (size_t)nread;
	link_pump(l);
	if (!l->closing && l->to_pipe > LINK_HIGH && !l->tcp_stopped) {
		uv_read_stop((uv_stream_t *)&l->tcp);
		l->tcp_stopped = 1;
	}
}

static void
link_resume(struct link *l)
{
	if (l->closing)
		return;
	if (l->tcp_stopped && l->to_pipe < LINK_LOW) {
		l->tcp_stopped = 0;
		if (uv_read_start((uv_stream_t *)&l->tcp, on_tcp_alloc,
				  on_tcp_read) != 0)
			link_close(l, RAFT_NOCONNECTION);
	}
	if (!l->closing && l->pipe_stopped && l->to_tcp < LINK_LOW) {
		l->pipe_stopped = 0;
		if (uv_read_start((uv_stream_t *)&l->pipe, on_pipe_alloc,
				  on_pipe_read) != 0)
			link_close(l, RAFT_NOCONNECTION);
	}
}

/* Responder: is this key a member node's? (and who is it) */
static int
accept_in(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	  char account[DOT_NET_MAX_NAME + 1])
{
	struct link *l = ctx;
	struct dotd_tr_members *m = &l->tr->cfg.members;

	account[0] = '\0';
	if (m->member(m->ctx, pk, &l->id, l->address) != 0) {
		l->tr->st.refused++;
		return DOT_NET_REFUSE;
	}
	l->address[DOTD_TR_MAX_ADDRESS - 1] = '\0';
	return DOT_NET_NODE;
}

/* Initiator: the responder must be the node we asked for. */
static int
accept_out(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	   char account[DOT_NET_MAX_NAME + 1])
{
	struct link *l = ctx;

	account[0] = '\0';
	if (sodium_memcmp(pk, l->expect, DOT_NET_KEY_LEN) != 0) {
		l->tr->st.refused++;
		return DOT_NET_REFUSE;
	}
	return DOT_NET_NODE;
}

static struct link *
link_new(struct tr *tr)
{
	struct link *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->raw = malloc(LINK_RAW);
	if (l->raw == NULL) {
		free(l);
		return NULL;
	}
	l->tr = tr;
	if (uv_tcp_init(tr->loop, &l->tcp) != 0) {
		free(l->raw);
		free(l);
		return NULL;
	}
	l->tcp.data = l;
	l->has_tcp = 1;
	l->next = tr->links;
	tr->links = l;
	tr->nlinks++;
	return l;
}

static int
link_start_channel(struct link *l)
{
	struct tr *tr = l->tr;
	struct dot_net_config cfg;
	struct dot_net_io io = {0};
	int rv;

	memset(&cfg, 0, sizeof(cfg));
	cfg.initiator = l->outbound;
	memcpy(cfg.cluster_id, tr->cfg.cluster_id, DOT_NET_CLUSTER_ID_LEN);
	memcpy(cfg.static_sk, tr->sk, DOT_NET_KEY_LEN);
	cfg.role = DOT_NET_NODE;
	cfg.rand = tr_rand;
	cfg.accept_ctx = l;
	cfg.handshake_timeout = tr->cfg.handshake_timeout_us;
	cfg.require_kem = tr->cfg.require_kem;
	if (l->outbound) {
		cfg.remote_static = l->expect;
		cfg.accept = accept_out;
	} else {
		cfg.accept = accept_in;
		cfg.gate = tr->gate;
		cfg.src = l->src;
		cfg.srclen = l->srclen;
	}
	rv = dot_net_new(&l->ch, &cfg, now_us(), &io);
	sodium_memzero(cfg.static_sk, sizeof(cfg.static_sk));
	if (rv == DOT_OK && link_write(l, 1, io.out.data, io.out.len) != 0)
		rv = DOT_ENOMEM;
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	if (rv != DOT_OK)
		return -1;
	if (uv_read_start((uv_stream_t *)&l->tcp, on_tcp_alloc,
			  on_tcp_read) != 0)
		return -1;
	return 0;
}

/* ---- inbound ---- */

static void
on_connection(uv_stream_t *server, int status)
{
	struct tr *tr = server->data;
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	struct link *l;

	if (status < 0 || tr->closing)
		return;
	l = link_new(tr);
	if (l == NULL)
		return;
	if (uv_accept(server, (uv_stream_t *)&l->tcp) != 0) {
		link_close(l, 0);
		return;
	}
	if (tr->hs_in >= tr->cfg.max_handshakes ||
	    tr->nlinks > tr->cfg.max_links) {
		tr->st.refused++;
		link_close(l, 0);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (uv_tcp_getpeername(&l->tcp, (struct sockaddr *)&ss, &sl) != 0) {
		link_close(l, 0);
		return;
	}
	if (ss.ss_family == AF_INET) {
		l->srclen = 4;
		memcpy(l->src, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		l->srclen = 16;
		memcpy(l->src, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
	(void)uv_tcp_nodelay(&l->tcp, 1);
	l->in_handshake = 1;
	tr->hs_in++;
	dot_net_gate_set_load(tr->gate, tr->hs_in > tr->cfg.max_handshakes / 2);
	if (link_start_channel(l) != 0)
		link_close(l, 0);
}

/* ---- outbound ---- */

static void
on_connect(uv_connect_t *req, int status)
{
	struct link *l = req->data;

	if (l->closing)
		return;
	if (status < 0) {
		link_close(l, RAFT_NOCONNECTION);
		return;
	}
	(void)uv_tcp_nodelay(&l->tcp, 1);
	if (link_start_channel(l) != 0)
		link_close(l, RAFT_NOCONNECTION);
}

/* ---- the raft_uv_transport methods ---- */

static int
tr_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
	struct tr *tr = t->impl;
	struct sockaddr_storage ss;

	if (dotd_tr_parse_address(address, &ss) != 0) {
		snprintf(t->errmsg, sizeof(t->errmsg),
			 "%s: not host:port (an IPv4 address or [IPv6])",
			 address);
		return RAFT_INVALID;
	}
	tr->id = id;
	snprintf(tr->address, sizeof(tr->address), "%s", address);
	return 0;
}

static int
tr_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
	struct tr *tr = t->impl;
	struct sockaddr_storage ss;
	int rv;

	if (dotd_tr_parse_address(tr->address, &ss) != 0)
		return RAFT_INVALID;
	tr->accept_cb = cb;
	rv = uv_tcp_init(tr->loop, &tr->listener);
	if (rv != 0)
		goto fail;
	tr->listener.data = tr;
	tr->has_listener = 1;
	rv = uv_tcp_bind(&tr->listener, (struct sockaddr *)&ss, 0);
	if (rv == 0)
		rv = uv_listen((uv_stream_t *)&tr->listener, 128,
			       on_connection);
	if (rv != 0)
		goto fail;
	return 0;
fail:
	snprintf(t->errmsg, sizeof(t->errmsg), "listen on %s: %s",
		 tr->address, uv_strerror(rv));
	return RAFT_IOERR;
}

static int
tr_connect(struct raft_uv_transport *t, struct raft_uv_connect *req,
	   raft_id id, const char *address, raft_uv_connect_cb cb)
{
	struct tr *tr = t->impl;
	struct dotd_tr_members *m = &tr->cfg.members;
	struct sockaddr_storage ss;
	struct link *l;

	if (tr->closing)
		return RAFT_CANCELED;
	if (dotd_tr_parse_address(address, &ss) != 0) {
		snprintf(t->errmsg, sizeof(t->errmsg), "%s: not host:port",
			 address);
		return RAFT_NOCONNECTION;
	}
	if (tr->nlinks >= tr->cfg.max_links)
		return RAFT_NOCONNECTION;
	l = link_new(tr);
	if (l == NULL)
		return RAFT_NOMEM;
	l->outbound = 1;
	l->id = id;
	snprintf(l->address, sizeof(l->address), "%s", address);
	if (m->key_of(m->ctx, id, l->expect) != 0) {
		snprintf(t->errmsg, sizeof(t->errmsg),
			 "raft id %llu is not a member node",
			 (unsigned long long)id);
		link_close(l, 0);
		return RAFT_NOCONNECTION;
	}
	l->creq.data = l;
	if (uv_tcp_connect(&l->creq, &l->tcp, (struct sockaddr *)&ss,
			   on_connect) != 0) {
		link_close(l, 0);
		return RAFT_NOCONNECTION;
	}
	/* from here on the outcome is reported through cb */
	l->req = req;
	l->cb = cb;
	return 0;
}

static void
tr_handle_closed(uv_handle_t *h)
{
	struct tr *tr = h->data;

	tr->handles--;
	maybe_close_done(tr);
}

static void
tr_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
	struct tr *tr = t->impl;

	tr->closing = 1;
	tr->close_cb = cb;
	for (struct link *l = tr->links, *ln; l; l = ln) {
		ln = l->next;
		link_close(l, RAFT_CANCELED);
	}
	if (tr->has_listener) {
		tr->has_listener = 0;
		tr->handles++;
		uv_close((uv_handle_t *)&tr->listener, tr_handle_closed);
	}
	if (tr->has_timer) {
		tr->has_timer = 0;
		tr->handles++;
		uv_close((uv_handle_t *)&tr->timer, tr_handle_closed);
	}
	maybe_close_done(tr);
}

/* Every second: the channels' timeouts, rekeys and keepalives. */
static void
on_timer(uv_timer_t *timer)
{
	struct tr *tr = timer->data;
	uint64_t now = now_us();

	for (struct link *l = tr->links, *ln; l; l = ln) {
		struct dot_net_io io = {0};

		ln = l->next;
		if (l->ch == NULL || l->closing)
			continue;
		if (dot_net_tick(l->ch, now, &io) != DOT_OK)
			(void)0; /* a close is an event, handled next */
		(void)link_output(l, &io);
		dot_buf_free(&io.out);
		dot_buf_free(&io.data);
	}
}

int
dotd_tr_init(struct raft_uv_transport *t, const struct dotd_tr_config *cfg,
	     struct dot_err *e)
{
	struct tr *tr;
	int rv;

	if (cfg->loop == NULL || cfg->static_sk == NULL ||
	    cfg->members.key_of == NULL || cfg->members.member == NULL)
		return dot_err_set(e, DOT_EINVAL,
				   "transport: loop, key and members needed");
	memset(t, 0, sizeof(*t));
	tr = calloc(1, sizeof(*tr));
	if (tr == NULL)
		return DOT_ENOMEM;
	tr->t = t;
	tr->loop = cfg->loop;
	tr->cfg = *cfg;
	tr->cfg.static_sk = NULL;
	if (tr->cfg.max_handshakes == 0)
		tr->cfg.max_handshakes = 64;
	if (tr->cfg.max_links == 0)
		tr->cfg.max_links = 256;
	tr->sk = sodium_malloc(DOT_NET_KEY_LEN);
	if (tr->sk == NULL) {
		free(tr);
		return DOT_ENOMEM;
	}
	memcpy(tr->sk, cfg->static_sk, DOT_NET_KEY_LEN);
	rv = dot_net_gate_new(&tr->gate, cfg->cluster_id, tr_rand, NULL);
	if (rv != DOT_OK) {
		sodium_free(tr->sk);
		free(tr);
		return dot_err_set(e, rv, "transport: the cookie gate: %s",
				   dot_strerror(rv));
	}
	if (uv_timer_init(tr->loop, &tr->timer) != 0 ||
	    uv_timer_start(&tr->timer, on_timer, 1000, 1000) != 0) {
		dot_net_gate_free(tr->gate);
		sodium_free(tr->sk);
		free(tr);
		return dot_err_set(e, DOT_ENOMEM, "transport: a timer");
	}
	tr->timer.data = tr;
	tr->has_timer = 1;
	t->version = 1;
	t->impl = tr;
	t->init = tr_init;
	t->listen = tr_listen;
	t->connect = tr_connect;
	t->close = tr_close;
	return DOT_OK;
}

void
dotd_tr_free(struct raft_uv_transport *t)
{
	struct tr *tr = t->impl;

	if (tr == NULL)
		return;
	assert(tr->links == NULL && tr->handles == 0);
	dot_net_gate_free(tr->gate);
	sodium_free(tr->sk);
	free(tr);
	t->impl = NULL;
}

void
dotd_tr_recheck(struct raft_uv_transport *t)
{
	struct tr *tr = t->impl;
	struct dotd_tr_members *m = &tr->cfg.members;

	for (struct link *l = tr->links, *ln; l; l = ln) {
		const struct dot_net_peer *p;
		uint64_t id;
		char address[DOTD_TR_MAX_ADDRESS];
		uint8_t kx[DOT_NET_KEY_LEN];

		ln = l->next;
		if (l->closing || l->ch == NULL)
			continue;
		p = dot_net_peer(l->ch);
		if (p == NULL)
			continue; /* asked when its handshake completes */
		if (m->member(m->ctx, p->static_pk, &id, address) != 0 ||
		    (l->outbound && (m->key_of(m->ctx, l->id, kx) != 0 ||
				     sodium_memcmp(kx, p->static_pk,
						   DOT_NET_KEY_LEN) != 0)))
			link_close(l, RAFT_NOCONNECTION);
	}
}

void
dotd_tr_stats(struct raft_uv_transport *t, struct dotd_tr_stats *s)
{
	struct tr *tr = t->impl;

	*s = tr->st;
	s->links = tr->nlinks;
}
