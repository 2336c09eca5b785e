/*
 * dotd.c - one Doteros node: the data directory, the entry log, the state
 * machine, and the API over a Unix socket (owner-only, plain frames) and,
 * if asked, over TCP, where every connection runs the secure channel of
 * lib/net as responder (docs/api-protocol.md, docs/wire-protocol.md,
 * docs/man/dotd.8).
 *
 * The write path is shaped for consensus: every change is a transaction
 * batched into a ledger entry, written to the log and made durable, then
 * applied by lib/state; only then does the client get its receipt. Nothing
 * else writes the state, and a restart replays the log past the state's
 * position, so a node killed at any point comes back with every
 * acknowledged transaction present and nothing half-applied.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <uv.h>

#include "doteros/api.h"
#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/heap.h"
#include "doteros/net.h"
#include "doteros/revfeed.h"
#include "doteros/state.h"
#include "ckpt.h"
#include "cluster_fmt.h"
#include "consensus.h"
#include "log.h"
#include "peers.h"
#include "transport.h"

#ifndef DOT_VERSION
#define DOT_VERSION "0"
#endif

#define MAX_PENDING 8192      /* queued txs before the node says busy */
/* Submits read in one turn whose signatures cost up to this much (an
 * Ed25519 signature 1, a composite one SIG_COST_COMPOSITE: its verify
 * measures about 3x, bench/pq) are checked on the loop while the log
 * syncs; more go to the workers. */
#define SIG_INLINE 4
#define SIG_COST_COMPOSITE 3
#define SIG_WORKER_NICE 5 /* cluster mode: see sigbatch_work */
/* WAL checkpoints (ckpt.c): the WAL is reset once it holds --wal-reset
 * frames (pages; default 8000, 32 MiB); a background pass copies every
 * sixteenth of that; the writer waits for a pass only if the WAL reaches
 * four times it. */
#define WAL_RESET_DEFAULT 8000
#define WAL_RESET_MIN 16
#define WAL_RESET_MAX 1000000
#define MAX_CONN_BUF (DOT_API_MAX_FRAME + 4)
/* Channel connections (TCP): the raw bytes of at most one whole frame and
 * a little more are buffered before the channel sees them. */
#define MAX_RAW_BUF (DOT_NET_MAX_FRAME + 4096)
/* Concurrent handshakes: per source address, and in all; a connection over
 * either is closed at once. Over half the total the gate asks for cookies
 * (docs/wire-protocol.md §5). */
#define HS_PER_SOURCE_DEFAULT 4
#define HS_TOTAL_DEFAULT 64
#define HS_TIMEOUT_DEFAULT 10 /* seconds */

struct conn;

/* A transaction waiting for the next entry. */
struct pending {
	uint8_t *tx;
	size_t len;
	struct conn *conn; /* NULL: nobody waits (a recorded read) */
	uint64_t id;
	struct pending *next;
};

struct node {
	uv_loop_t *loop;
	const char *dir;
	char sock_path[4096];
	sqlite3 *db;
	struct dot_state *st;
	struct dotd_ckpt *ckpt; /* WAL checkpoints off the loop */
	struct dotd_log log;
	struct pending *head, *tail;
	size_t npending;
	size_t batch_max;
	unsigned wal_reset;    /* --wal-reset: WAL frames before a reset */
	uv_idle_t flusher;
	uv_idle_t resumer;     /* schedule_resume: connections to resume */
	uv_pipe_t unix_server;
	uv_tcp_t tcp_server;
	int have_tcp;
	uv_signal_t sigint, sigterm;
	struct conn *conns;
	struct sigitem *sig_head, *sig_tail; /* submits not yet dispatched */
	size_t sig_n;
	size_t sig_cost; /* of the queued checks: see SIG_INLINE */
	size_t sig_live; /* sigitems queued or with the workers */
	uv_check_t sig_check;  /* dispatches them after each poll */
	struct sigbatch *batches; /* with the workers */
	int stopping;
	int lock_fd;
	uint64_t entries_written;
	/* the log thread (the write path's pipeline) */
	pthread_t log_tid;
	pthread_mutex_t log_mu;
	pthread_cond_t log_cv;
	uv_async_t log_async;
	int log_started, log_quit;
	int log_busy;          /* an entry is with the log thread (loop) */
	struct logjob {
		struct pending *batch, *last; /* its txs, detached */
		size_t count;
		uint64_t index, time;
		struct dot_buf entry;
		int queued, done;    /* under log_mu */
		int rv;
		struct dot_err e;
	} job;
	struct dot_buf spare;  /* an entry buffer kept for reuse */
	uint64_t next_index;   /* the index of the next entry (loop) */
	/* status (do_status): the hash on a worker, over its own connection */
	sqlite3 *rdb;
	uv_work_t status_req;
	struct statusreq *status_wait, *status_run;
	int status_busy, status_rv;
	uint64_t status_index, status_time;
	uint8_t status_hash[DOT_HASH_LEN];
	struct dot_err status_e;
	uint64_t last_time;    /* the time of the last entry (loop) */
	struct dot_sign_sk *node_key;  /* signs checkpoints */
	char key_name[64];             /* "node-<key id hex>" */
	char origin[64];               /* "doteros/<cluster id hex>" */
	/* the secure channel (TCP connections) */
	uint8_t *kx_sk;                /* node key, X25519 form (sodium_malloc) */
	uint8_t kx_pk[DOT_NET_KEY_LEN];
	struct dot_net_gate *gate;
	struct dotd_peers peers;       /* account keys, X25519 form */
	uv_timer_t chan_timer;         /* dot_net_tick every second */
	int have_timer;
	unsigned hs_now;               /* channels in their handshake */
	unsigned hs_per_source, hs_total; /* the limits */
	uint64_t hs_timeout_us;
	uint64_t refused_conns;        /* over a handshake limit (logged) */
	/* cluster mode (--raft-addr): the write path through consensus */
	int cluster;
	const char *raft_addr;
	uint64_t raft_id;
	struct raft_uv_transport tr;
	int have_tr;
	struct dotd_cons *cons;
	int cons_closed;
	struct proposal *props, *props_tail; /* proposed, not yet applied */
	unsigned nprops;
	uint64_t prop_seq;
	uint8_t *genesis;      /* DIR/genesis while the ledger is empty */
	size_t genesis_len;
	int genesis_proposed;
	uv_timer_t cl_timer;   /* leadership: the genesis, queued txs */
	int have_cl_timer;
	/* the member nodes (cluster mode): from the state's nodes table, or
	 * before this node's state has any, from DIR/members (dot node join) */
	struct member *members;
	size_t nmembers;
	uint64_t members_epoch;
	unsigned snapshot_every; /* --snapshot-every; 0: the engine's */
	int members_from_file;
	uint64_t members_gen;  /* rebuilds of members; chan timer's last seen */
	uint64_t members_seen;
	int changing;          /* leader: a raft membership change under way */
	/* the cluster id before the state has one (cluster mode: from the
	 * genesis file or DIR/members); node_cluster_id() */
	uint8_t cluster_id[DOT_CLUSTER_ID_LEN];
	/* follower: submits forwarded to the leader */
	struct fwd *fwd;
	struct fwdwait *fwd_wait;
	size_t nfwd;
	uint64_t fwd_rid;
	/* cosigned checkpoints (decision 0018) */
	uint64_t cs_signed;      /* the last tree size this node signed */
	uint64_t cs_proposed;    /* leader: the size at its last cosign cmd */
	unsigned cs_ticks;       /* leader: cl_timer ticks since then */
	struct dot_buf cs_queue; /* leader: lines to propose (CBOR items) */
	size_t cs_nqueue;
	struct cswait *cs_wait;  /* audit.cosigned requests waiting */
	/* query.consistent: reads waiting for a barrier (leader) or for
	 * the leader's answer (follower) */
	struct creq *creqs;
	size_t ncreqs;
	/* raft address: refused handshakes, reported at most every 10 s */
	uint64_t tr_refused_seen, tr_log_at;
	/* revocation.feed: the last feed made, for its ledger index */
	struct dot_buf feed;
	uint64_t feed_index, feed_created;
};

/* A member node as the transport and the leader's reconciliation see it. */
struct member {
	uint64_t id;
	uint8_t kx[DOT_NET_KEY_LEN];
	char raft_addr[DOT_STATE_MAX_ADDR + 1];
	char api_addr[DOT_STATE_MAX_ADDR + 1]; /* "" if none or unknown */
	int role; /* enum dot_node_role */
	uint8_t pk[DOT_SIGN_PK_MAX]; /* the node key (signs checkpoints) */
	size_t pklen;
	char key_name[64];           /* its checkpoint key name */
};

/* An entry this node proposed (cluster mode): its txs wait for its apply. */
struct proposal {
	uint64_t seq;
	struct pending *batch;
	size_t count;
	int applied;          /* answered by the apply; the callback frees */
	struct node *node;
	struct proposal *next;
};

struct conn {
	union {
		uv_stream_t stream;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} h;
	struct node *node;
	uint8_t *in;
	size_t in_len;
	int waiting;  /* a submit of this connection is not answered yet */
	int paused;   /* reading stopped: the buffer is full while waiting */
	int closing;
	struct conn *next;
	/* TCP only: the channel; `in` then holds the API bytes of its DATA
	 * messages, `raw` the channel frames not yet given to it. */
	struct dot_net *ch;
	uint8_t *raw;
	size_t raw_len;
	int in_handshake; /* counted in node.hs_now */
	uint8_t src[16];  /* the peer's IP address (the gate's source) */
	size_t srclen;
};

/* status key 8: the raft ids of the configuration's voters. */
struct voters {
	struct dot_buf items;
	uint64_t n;
};

static void
voters_cb(void *ctx, const struct dotd_cons_member *m)
{
	struct voters *v = ctx;

	if (m->role == DOTD_CONS_VOTER) {
		dot_enc_uint(&v->items, m->id);
		v->n++;
	}
}

/* A status request waiting for its answer (do_status). */
/* A linearizable read in flight (query.consistent). */
struct creq {
	struct node *node;
	struct conn *conn;
	uint64_t id;  /* the client's request id */
	uint64_t rid; /* follower: the request id on the forwarding channel */
	uint8_t *tx;  /* leader: the signed read tx */
	size_t len;
	struct creq *next;
};

struct cswait {
	struct conn *conn;
	uint64_t id, min, deadline;
	uint64_t seq; /* audit.receipt: the tx's record; else UINT64_MAX */
	struct cswait *next;
};

struct statusreq {
	struct conn *conn; /* NULL once the connection is gone */
	uint64_t id;
	struct statusreq *next;
};

/* A queued tx whose signatures a worker checks meanwhile (sigbatch). */
struct sigitem {
	struct dot_tx *tx;
	int ok; /* its signatures verify */
	struct dot_tx_sig_keys keys; /* and their cache keys, made there */
	struct sigitem *next;
	/* the holder key a tx that leaves it out claims (dot_tx_claim_holder,
	 * from dot_state_token_holder), or NULL */
	uint8_t *holder;
};

/* The submits one turn of the loop read, checked by one worker. */
struct sigbatch {
	uv_work_t req;
	struct node *node;
	struct sigitem *items;
	struct sigbatch *next;
};

static void
logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hex(char *out, const uint8_t *p, size_t n);
static void
logmsg(const char *fmt, ...)
{
	va_list ap;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s dotd: ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The cluster id: the state's, or before the genesis is applied here (a
 * node in cluster mode that has not applied it yet), the one it will be. */
static void
node_cluster_id(const struct node *n, uint8_t out[DOT_CLUSTER_ID_LEN])
{
	dot_state_cluster_id(n->st, out);
	if (sodium_is_zero(out, DOT_CLUSTER_ID_LEN))
		memcpy(out, n->cluster_id, DOT_CLUSTER_ID_LEN);
}

/*
 * The hybrid policy on this node's channels: its state's crypto policy is
 * hybrid, or (before its state has the genesis) its own key is composite,
 * which only a hybrid cluster admits. Then a peer must offer the X-Wing
 * step (docs/crypto.md §14).
 */
static int
node_hybrid(const struct node *n)
{
	return (dot_state_crypto_policy(n->st) & DOT_POLICY_HYBRID) ||
	       (n->node_key != NULL &&
		dot_sign_sk_suite(n->node_key) == DOT_SUITE_ED25519_MLDSA65);
}

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

/* The channel's clock: monotonic microseconds. */
static uint64_t
now_us(void)
{
	return uv_hrtime() / 1000;
}

/* ---- writing responses ---- */

struct wreq {
	uv_write_t req;
	struct dot_buf buf;
};

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;

	(void)status;
	dot_buf_free(&w->buf);
	free(w);
}

static void conn_close(struct conn *c);

/* Write buf to the connection, taking it (emptied on return). */
static int
write_buf(struct conn *c, struct dot_buf *buf)
{
	struct wreq *w;
	uv_buf_t b;

	if (buf->len == 0)
		return 0;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		dot_buf_free(buf);
		return -1;
	}
	w->buf = *buf;
	memset(buf, 0, sizeof(*buf));
	b = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
	if (uv_write(&w->req, &c->h.stream, &b, 1, on_written) != 0) {
		dot_buf_free(&w->buf);
		free(w);
		return -1;
	}
	return 0;
}

/*
 * Seal an API frame into DATA messages (docs/api-protocol.md, "Over TCP"):
 * a frame of up to DOT_NET_MAX_MSG bytes is one message, a longer one is
 * cut into consecutive messages of DOT_NET_MAX_MSG bytes (the last
 * shorter); a message never holds bytes of two frames.
 */
static int
seal_frame(struct conn *c, const struct dot_buf *frame, struct dot_buf *out)
{
	struct dot_net_io io = {0};
	uint64_t now = now_us();
	int rv = DOT_OK;

	for (size_t off = 0; off < frame->len && rv == DOT_OK;) {
		size_t k = frame->len - off;

		if (k > DOT_NET_MAX_MSG)
			k = DOT_NET_MAX_MSG;
		rv = dot_net_send(c->ch, now, frame->data + off, k, &io);
		off += k;
	}
	*out = io.out;
	dot_buf_free(&io.data);
	return rv;
}

static void
respond(struct conn *c, uint64_t id, int status, const uint8_t *result,
	size_t n, const char *message)
{
	struct dot_buf frame = {0}, sealed = {0};

	if (c == NULL || c->closing)
		return;
	if (dot_api_response(&frame, id, status, result, n, message) !=
	    DOT_OK) {
		dot_buf_free(&frame);
		conn_close(c);
		return;
	}
	if (c->ch != NULL) {
		/* A channel refuses to send only when it is closed or its
		 * keys are spent (a rekey overdue): the connection ends. */
		if (seal_frame(c, &frame, &sealed) != DOT_OK) {
			dot_buf_free(&frame);
			(void)write_buf(c, &sealed);
			conn_close(c);
			return;
		}
		dot_buf_free(&frame);
		frame = sealed;
	}
	if (write_buf(c, &frame) != 0)
		conn_close(c);
}

/* ---- connections ---- */

static void
on_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	dot_net_free(c->ch);
	free(c->raw);
	free(c->in);
	free(c);
}

static void set_load(struct node *n);

/* A channel's handshake is over (done, or its connection closed). */
static void
handshake_over(struct conn *c)
{
	if (!c->in_handshake)
		return;
	c->in_handshake = 0;
	c->node->hs_now--;
	set_load(c->node);
}

static void fwd_forget_conn(struct node *n, const struct conn *c);

static void
conn_close(struct conn *c)
{
	struct node *n = c->node;
	struct conn **pp;

	if (c->closing)
		return;
	c->closing = 1;
	handshake_over(c);
	for (pp = &n->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	/* Queued txs stay queued (they will be applied); nobody hears. */
	for (struct pending *p = n->head; p; p = p->next)
		if (p->conn == c)
			p->conn = NULL;
	for (struct pending *p = n->log_busy ? n->job.batch : NULL; p;
	     p = p->next)
		if (p->conn == c)
			p->conn = NULL;
	for (struct statusreq *q = n->status_wait; q; q = q->next)
		if (q->conn == c)
			q->conn = NULL;
	for (struct statusreq *q = n->status_run; q; q = q->next)
		if (q->conn == c)
			q->conn = NULL;
	for (struct cswait *w = n->cs_wait; w; w = w->next)
		if (w->conn == c)
			w->conn = NULL;
	for (struct creq *q = n->creqs; q; q = q->next)
		if (q->conn == c)
			q->conn = NULL;
	/* Cluster mode: txs proposed to raft and not yet applied, and txs
	 * forwarded to the leader, still go through; nobody hears. */
	for (struct proposal *pr = n->props; pr; pr = pr->next)
		for (struct pending *p = pr->batch; p; p = p->next)
			if (p->conn == c)
				p->conn = NULL;
	fwd_forget_conn(n, c);
	uv_close((uv_handle_t *)&c->h.stream, on_closed);
}

static void process(struct conn *c);
static void on_flush(uv_idle_t *h);
static void do_cosign(struct conn *c, const struct dot_api_msg *m);
static void do_cosigned(struct conn *c, const struct dot_api_msg *m);
static void do_receipt(struct conn *c, const struct dot_api_msg *m);
static void do_query_consistent(struct conn *c, const struct dot_api_msg *m);
static void do_feed(struct conn *c, const struct dot_api_msg *m);
static void do_lookup(struct conn *c, const struct dot_api_msg *m);

/* Queue (a copy of) a tx for the next entry. */
static int
enqueue(struct node *n, const uint8_t *tx, size_t len, struct conn *c,
	uint64_t id)
{
	struct pending *p;

	if (n->npending >= MAX_PENDING)
		return DOT_EAPI_BUSY;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->tx = malloc(len ? len : 1)) == NULL) {
		free(p);
		return DOT_ENOMEM;
	}
	memcpy(p->tx, tx, len);
	p->len = len;
	p->conn = c;
	p->id = id;
	if (n->tail)
		n->tail->next = p;
	else
		n->head = p;
	n->tail = p;
	n->npending++;
	if (!uv_is_active((uv_handle_t *)&n->flusher))
		uv_idle_start(&n->flusher, on_flush);
	return DOT_OK;
}


static void resume_conn(struct conn *c);

#ifndef DOT_BENCH_UNCHECKED /* (the bench build has no signature worker) */
static void
sigbatch_work(uv_work_t *req)
{
	struct sigbatch *b = req->data;
	static __thread int niced;

	/* In a cluster the loops of every node on a machine are each hop of
	 * a commit (leader, follower, leader), and a worker that holds a
	 * core delays them: the workers that check signatures yield to them
	 * (nice 5; they still get their share, and the pool's other work on
	 * these threads, a status hash or a snapshot, waits with them).
	 * bench/cluster, 64 clients, 3 rounds each, one run after the other:
	 * 4,447 and 4,246 tx/s, and 4,032 without. */
	if (!niced && b->node->cluster) {
		niced = 1;
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), SIG_WORKER_NICE);
	}
	/* Pure: each tx's own bytes, libsodium; nothing shared. The cache
	 * keys are hashed here too, so the loop only inserts them. */
	for (struct sigitem *it = b->items; it; it = it->next) {
		it->ok = dot_tx_check_signatures(it->tx, NULL) == DOT_OK;
		if (it->ok)
			dot_tx_sig_keys(it->tx, &it->keys);
	}
}

/* Signatures known good go to the state's cache: apply then skips them.
 * One that apply reached first it checked itself; the answer is the same
 * either way (the cache only ever skips work). */
static void
sigbatch_done(uv_work_t *req, int status)
{
	struct sigbatch *b = req->data, **pp;
	struct node *n = b->node;

	for (pp = &n->batches; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	while (b->items != NULL) {
		struct sigitem *it = b->items;

		b->items = it->next;
		if (status == 0 && it->ok)
			dot_state_signatures_checked_keys(n->st, &it->keys);
		dot_tx_free(it->tx);
		free(it->holder);
		free(it);
		n->sig_live--;
	}
	free(b);
}

/* After each poll: the submits read in this turn go to the workers, in
 * at most two batches (two cores), instead of one hand-off per tx. */
static void start_entry(struct node *n);

static void
on_sig_check(uv_check_t *h)
{
	struct node *n = h->data;
	size_t nb = n->sig_cost >= 8 && n->sig_n >= 2 ? 2 : 1;

	uv_check_stop(h);
	if (n->sig_cost <= SIG_INLINE) {
		/* Few: hand the queue to the log thread first, then check
		 * them here while it syncs (no thread hand-off, which costs
		 * more than the check when the node is not busy). */
		start_entry(n);
		while (n->sig_head != NULL) {
			struct sigitem *it = n->sig_head;

			n->sig_head = it->next;
			if (dot_tx_check_signatures(it->tx, NULL) == DOT_OK)
				dot_state_signatures_checked(n->st, it->tx);
			dot_tx_free(it->tx);
			free(it->holder);
			free(it);
			n->sig_live--;
		}
		n->sig_tail = NULL;
		n->sig_n = 0;
		n->sig_cost = 0;
		return;
	}
	/* Many: the log thread gets its entry before the workers are woken
	 * (a woken worker takes a core at once; handed after them, the entry
	 * waited for one, the measured 0.3 ms of bench/pq's writes). */
	start_entry(n);
	for (size_t k = 0; k < nb && n->sig_head != NULL; k++) {
		struct sigbatch *b = calloc(1, sizeof(*b));
		size_t take = k + 1 == nb ? n->sig_n : n->sig_n / nb;
		struct sigitem **tail;

		if (b == NULL) {
			uv_check_start(h, on_sig_check); /* next turn */
			return;
		}
		b->node = n;
		b->req.data = b;
		b->items = n->sig_head;
		tail = &b->items;
		for (size_t i = 0; i < take && *tail; i++)
			tail = &(*tail)->next;
		n->sig_head = *tail;
		*tail = NULL;
		n->sig_n -= take;
		if (n->sig_head == NULL) {
			n->sig_tail = NULL;
			n->sig_cost = 0;
		}
		b->next = n->batches;
		n->batches = b;
		if (uv_queue_work(n->loop, &b->req, sigbatch_work,
				  sigbatch_done) != 0) {
			/* cannot happen with a live loop: apply checks */
			sigbatch_done(&b->req, -1);
		}
	}
}
#endif

/*
 * status: the position and the state hash. Hashing reads the whole state,
 * so it runs on a worker over a read connection of its own (a snapshot in
 * WAL mode; the loop goes on applying). One computation at a time; status
 * requests that arrive meanwhile wait for the next one, which starts after
 * they arrived, so an answer never predates its request.
 */

static void
status_work(uv_work_t *req)
{
	struct node *n = req->data;
	char path[4200];

	memset(&n->status_e, 0, sizeof(n->status_e));
	if (n->rdb == NULL) {
		snprintf(path, sizeof(path), "%s/state.db", n->dir);
		if (sqlite3_open_v2(path, &n->rdb,
				    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
				    NULL) != SQLITE_OK ||
		    sqlite3_exec(n->rdb, "PRAGMA mmap_size = 268435456;",
				 NULL, NULL, NULL) != SQLITE_OK) {
			n->status_rv = dot_err_set(&n->status_e,
						   DOT_ESTATE_STORAGE,
						   "%s: %s", path,
						   sqlite3_errmsg(n->rdb));
			sqlite3_close(n->rdb);
			n->rdb = NULL;
			return;
		}
	}
	n->status_rv = dot_state_hash_snapshot(n->rdb, &n->status_index,
					       &n->status_time,
					       n->status_hash, &n->status_e);
}

static void start_status(struct node *n);

static void
status_done(uv_work_t *req, int st)
{
	struct node *n = req->data;
	struct dot_buf r = {0};
	uint8_t cid[DOT_CLUSTER_ID_LEN];
	int rv = st == 0 ? n->status_rv : DOT_ENOMEM;

	node_cluster_id(n, cid);
	if (rv == DOT_OK) {
		const char *admin = dot_state_admin(n->st);
		const char *policy =
		    dot_policy_name(dot_state_crypto_policy(n->st));

		if (policy == NULL)
			policy = "";
		dot_enc_map(&r, n->cons != NULL ? 9 : 7);
		dot_enc_uint(&r, 1);
		dot_enc_uint(&r, n->status_index);
		dot_enc_uint(&r, 2);
		dot_enc_uint(&r, n->status_time);
		dot_enc_uint(&r, 3);
		dot_enc_bstr(&r, cid, sizeof(cid));
		dot_enc_uint(&r, 4);
		dot_enc_bstr(&r, n->status_hash, sizeof(n->status_hash));
		dot_enc_uint(&r, 5);
		dot_enc_tstr(&r, admin, strlen(admin));
		dot_enc_uint(&r, 6);
		dot_enc_tstr(&r, DOT_VERSION, strlen(DOT_VERSION));
		if (n->cons != NULL) {
			/* 7: consensus, in cluster mode (api-protocol.md) */
			const char *role = dotd_cons_state_name(n->cons);
			const char *laddr;
			uint64_t lid;

			dotd_cons_leader(n->cons, &lid, &laddr);
			if (laddr == NULL)
				laddr = "";
			dot_enc_uint(&r, 7);
			dot_enc_map(&r, 6);
			dot_enc_uint(&r, 1);
			dot_enc_tstr(&r, role, strlen(role));
			dot_enc_uint(&r, 2);
			dot_enc_uint(&r, dotd_cons_term(n->cons));
			dot_enc_uint(&r, 3);
			dot_enc_uint(&r, n->raft_id);
			dot_enc_uint(&r, 4);
			dot_enc_uint(&r, lid);
			dot_enc_uint(&r, 5);
			dot_enc_tstr(&r, laddr, strlen(laddr));
			dot_enc_uint(&r, 6);
			dot_enc_uint(&r, dotd_cons_last_applied(n->cons));
			/* 8: the voters of raft's configuration, as this node
			 * knows it (a joined node counts once it is one) */
			{
				struct voters v = {{0}, 0};

				dotd_cons_members(n->cons, voters_cb, &v);
				dot_enc_uint(&r, 8);
				dot_enc_array(&r, v.n);
				dot_buf_put(&r, v.items.data, v.items.len);
				dot_buf_free(&v.items);
			}
		}
		/* 9: the cluster's crypto policy (crypto.md §14) */
		dot_enc_uint(&r, 9);
		dot_enc_tstr(&r, policy, strlen(policy));
		rv = r.err;
	}
	n->status_busy = 0;
	while (n->status_run != NULL) {
		struct statusreq *q = n->status_run;
		struct conn *c = q->conn;

		n->status_run = q->next;
		if (c != NULL) {
			if (rv == DOT_OK)
				respond(c, q->id, DOT_OK, r.data, r.len, NULL);
			else
				respond(c, q->id, rv, NULL, 0,
					n->status_e.msg[0] ? n->status_e.msg
							   : NULL);
			c->waiting = 0;
			resume_conn(c);
		}
		free(q);
	}
	dot_buf_free(&r);
	if (n->status_wait != NULL && !n->stopping)
		start_status(n);
}

static void
start_status(struct node *n)
{
	n->status_run = n->status_wait;
	n->status_wait = NULL;
	n->status_busy = 1;
	n->status_req.data = n;
	if (uv_queue_work(n->loop, &n->status_req, status_work,
			  status_done) != 0) {
		n->status_rv = DOT_ENOMEM;
		status_done(&n->status_req, -1);
	}
}

static void
do_status(struct conn *c, uint64_t id)
{
	struct node *n = c->node;
	struct statusreq *q = calloc(1, sizeof(*q)), **pp;

	if (q == NULL) {
		respond(c, id, DOT_ENOMEM, NULL, 0, NULL);
		return;
	}
	q->conn = c;
	q->id = id;
	for (pp = &n->status_wait; *pp; pp = &(*pp)->next)
		;
	*pp = q;
	c->waiting = 1;
	if (!n->status_busy)
		start_status(n);
}

static int
param_bytes(const struct dot_api_msg *m, const uint8_t **p, size_t *n)
{
	struct dot_dec d;

	if (dot_dec_init(&d, m->item, m->item_len, NULL, NULL) != DOT_OK ||
	    dot_dec_bstr(&d, p, n) != DOT_OK)
		return DOT_EAPI_FORMAT;
	return DOT_OK;
}

/* Answer a signed read from this node's replica. */
static void
query_answer(struct conn *c, uint64_t id, const uint8_t *tx, size_t len)
{
	struct node *n = c->node;
	struct dot_buf out = {0};
	struct dot_err e = {0};
	int record = 0, rv;

	rv = dot_state_query(n->st, tx, len, now_s(), &out, &record, &e);
	if (rv == DOT_OK && record)
		rv = enqueue(n, tx, len, NULL, 0); /* its read receipt */
	if (rv != DOT_OK)
		respond(c, id, rv, NULL, 0, e.msg[0] ? e.msg : NULL);
	else
		respond(c, id, DOT_OK, out.data, out.len, NULL);
	dot_buf_free(&out);
}

static void
do_query(struct conn *c, const struct dot_api_msg *m)
{
	const uint8_t *tx;
	size_t len;

	if (param_bytes(m, &tx, &len) != DOT_OK) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"query takes the signed read tx as a byte string");
		return;
	}
	query_answer(c, m->id, tx, len);
}

#ifndef DOT_BENCH_UNCHECKED
/* Queue tx (taken) for a worker's signature check (on_sig_check). */
static void
sig_enqueue(struct node *n, struct dot_tx *tx)
{
	struct sigitem *it = calloc(1, sizeof(*it));

	if (it == NULL) {
		dot_tx_free(tx); /* apply checks it itself */
		return;
	}
	it->tx = tx;
	/* A tx that leaves its key out and names its token by reference:
	 * the holder the state last saw for that token, so the worker can
	 * check the signature (apply checks the token again either way). */
	if (tx->holder_implicit && tx->token == NULL &&
	    (it->holder = malloc(DOT_SIGN_PK_MAX)) != NULL) {
		size_t hl = dot_state_token_holder(n->st, tx->p.token_ref,
						   it->holder);
		struct dot_err ce = {0};

		if (hl == 0 ||
		    dot_tx_claim_holder(tx, it->holder, hl, &ce) != DOT_OK) {
			free(it->holder);
			it->holder = NULL;
		}
	}
	if (n->sig_tail)
		n->sig_tail->next = it;
	else
		n->sig_head = it;
	n->sig_tail = it;
	n->sig_n++;
	n->sig_live++;
	for (size_t i = 0; i < tx->nsigs; i++)
		n->sig_cost += tx->sigs[i].sig[0] == DOT_SUITE_ED25519_MLDSA65
				       ? SIG_COST_COMPOSITE
				       : 1;
	if (!uv_is_active((uv_handle_t *)&n->sig_check))
		uv_check_start(&n->sig_check, on_sig_check);
}
#endif

static void
do_submit(struct conn *c, const struct dot_api_msg *m)
{
	struct dot_tx *tx = NULL;
	struct dot_err e = {0};
	const uint8_t *p;
	size_t len;
	int rv;

	if (param_bytes(m, &p, &len) != DOT_OK) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"submit takes the signed tx as a byte string");
		return;
	}
	/* The cheap check: a tx that does not even parse never reaches the
	 * log. It is queued at once; apply checks everything else. */
	rv = dot_tx_parse(p, len, &tx, &e);

	if (rv == DOT_OK)
		rv = enqueue(c->node, tx->bytes, tx->len, c, m->id);
	if (rv != DOT_OK) {
		dot_tx_free(tx);
		respond(c, m->id, rv, NULL, 0, e.msg[0] ? e.msg : NULL);
		return;
	}
	c->waiting = 1;
#ifdef DOT_BENCH_UNCHECKED
	/* BENCHMARK ONLY: no signature check at all. */
	dot_tx_free(tx);
#else
	/* Meanwhile a worker checks its signatures (the second core), while
	 * the entry it goes into is being made durable: apply then finds them
	 * in the cache, and their cost hides behind the fdatasync. */
	sig_enqueue(c->node, tx);
#endif
}

/* Params {1: a, 2: b} of two unsigned integers. */
static int
param_pair(const struct dot_api_msg *m, uint64_t *a, uint64_t *b)
{
	struct dot_dec d;
	uint64_t n, k1, k2;

	if (dot_dec_init(&d, m->item, m->item_len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &n) != DOT_OK || n != 2 ||
	    dot_dec_uint(&d, &k1) != DOT_OK || k1 != 1 ||
	    dot_dec_uint(&d, a) != DOT_OK || dot_dec_uint(&d, &k2) != DOT_OK ||
	    k2 != 2 || dot_dec_uint(&d, b) != DOT_OK)
		return DOT_EAPI_FORMAT;
	return DOT_OK;
}

/* audit.checkpoint: the log's current size and root, signed by this node
 * as a C2SP signed note; result: the note (text). */
static void
do_checkpoint(struct conn *c, uint64_t id)
{
	struct node *n = c->node;
	struct dot_buf note = {0}, r = {0};
	struct dot_err e = {0};
	uint8_t root[DOT_AUDIT_HASH_LEN];
	uint64_t size;
	int rv;

	dot_state_log_root(n->st, &size, root);
	rv = dot_audit_checkpoint_sign(n->origin, strlen(n->origin), size, root,
				       n->node_key, n->key_name,
				       strlen(n->key_name), &note, &e);
	if (rv != DOT_OK) {
		respond(c, id, rv, NULL, 0, e.msg);
		return;
	}
	dot_enc_tstr(&r, (const char *)note.data, note.len);
	respond(c, id, r.err, r.data, r.len, NULL);
	dot_buf_free(&note);
	dot_buf_free(&r);
}

/* audit.key: this node's verifier key (name+id+base64) and origin. */
static void
do_key(struct conn *c, uint64_t id)
{
	struct node *n = c->node;
	struct dot_audit_vkey vk;
	struct dot_buf text = {0}, r = {0};
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen = dot_sign_sk_public(n->node_key, pk);
	int rv;

	rv = dot_audit_vkey_from_pk(&vk, n->key_name, strlen(n->key_name), pk,
				    pklen);
	if (rv == DOT_OK)
		rv = dot_audit_vkey_encode(&vk, &text);
	if (rv != DOT_OK) {
		respond(c, id, rv, NULL, 0, NULL);
		return;
	}
	dot_enc_map(&r, 2);
	dot_enc_uint(&r, 1);
	dot_enc_tstr(&r, (const char *)text.data, text.len);
	dot_enc_uint(&r, 2);
	dot_enc_tstr(&r, n->origin, strlen(n->origin));
	respond(c, id, r.err, r.data, r.len, NULL);
	dot_buf_free(&text);
	dot_buf_free(&r);
}

/* node.keys {}: the active member nodes, [[node key (bstr), role], ...],
 * in raft id order. Public keys every node presents at each handshake,
 * without addresses: any peer may ask, so a client can confirm that a key
 * a new address presents belongs to the cluster (decision 0019). */
struct keys_ctx {
	struct dot_buf items;
	uint64_t n;
};

static int
node_keys_cb(void *ctx, const struct dot_state_node *nd)
{
	struct keys_ctx *k = ctx;

	if (nd->status != DOT_NODE_ACTIVE)
		return 0;
	dot_enc_array(&k->items, 2);
	dot_enc_bstr(&k->items, nd->key, nd->keylen);
	dot_enc_uint(&k->items, (uint64_t)nd->role);
	k->n++;
	return 0;
}

static void
do_node_keys(struct conn *c, uint64_t id)
{
	struct keys_ctx k = {{0}, 0};
	struct dot_buf r = {0};
	struct dot_err e = {0};
	int rv = dot_state_nodes(c->node->st, node_keys_cb, &k, &e);

	if (rv == DOT_OK && k.items.err)
		rv = DOT_ENOMEM;
	if (rv != DOT_OK) {
		respond(c, id, rv, NULL, 0, e.msg[0] ? e.msg : NULL);
		goto out;
	}
	dot_enc_array(&r, k.n);
	dot_buf_put(&r, k.items.data, k.items.len);
	respond(c, id, r.err, r.data, r.len, NULL);
out:
	dot_buf_free(&k.items);
	dot_buf_free(&r);
}

/* audit.prove {1: seq, 2: size}: {1: proof, 2: tx, 3: receipt, 4: entry}.
 * audit.consistency {1: size1, 2: size2}: the proof (bstr). */
static void
do_prove(struct conn *c, const struct dot_api_msg *m, int consistency)
{
	struct node *n = c->node;
	struct dot_audit_proof pr;
	struct dot_buf enc = {0}, tx = {0}, rc = {0}, r = {0};
	struct dot_err e = {0};
	uint64_t a, b, entry = 0;
	int rv;

	if (param_pair(m, &a, &b) != DOT_OK) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			consistency ? "params: {1: size1, 2: size2}"
				    : "params: {1: seq, 2: size}");
		return;
	}
	rv = consistency ? dot_state_log_consistency(n->st, a, b, &pr, &e)
			 : dot_state_log_prove(n->st, a, b, &pr, &e);
	if (rv == DOT_OK)
		rv = dot_audit_proof_encode(&pr, &enc);
	if (rv == DOT_OK && !consistency)
		rv = dot_state_log_get(n->st, a, &entry, &tx, &rc, &e);
	if (rv != DOT_OK) {
		respond(c, m->id, rv, NULL, 0, e.msg[0] ? e.msg : NULL);
		goto out;
	}
	if (consistency) {
		dot_enc_bstr(&r, enc.data, enc.len);
	} else {
		dot_enc_map(&r, 4);
		dot_enc_uint(&r, 1);
		dot_enc_bstr(&r, enc.data, enc.len);
		dot_enc_uint(&r, 2);
		dot_enc_bstr(&r, tx.data, tx.len);
		dot_enc_uint(&r, 3);
		dot_enc_bstr(&r, rc.data, rc.len);
		dot_enc_uint(&r, 4);
		dot_enc_uint(&r, entry);
	}
	respond(c, m->id, r.err, r.data, r.len, NULL);
out:
	dot_buf_free(&enc);
	dot_buf_free(&tx);
	dot_buf_free(&rc);
	dot_buf_free(&r);
}

/* Handle the complete frames in the buffer, one at a time, in order; stop
 * while a submit of this connection waits for its receipt. */
static void
process(struct conn *c)
{
	size_t off = 0;

	while (!c->closing && !c->waiting) {
		const uint8_t *body;
		size_t blen, used;
		struct dot_api_msg m;
		struct dot_err e = {0};
		int rv = dot_api_frame(c->in + off, c->in_len - off, &body,
				       &blen, &used, &e);

		if (rv != DOT_OK) {
			respond(c, 0, rv, NULL, 0, e.msg);
			conn_close(c);
			return;
		}
		if (used == 0)
			break;
		off += used;
		rv = dot_api_request_parse(body, blen, &m, &e);
		if (rv != DOT_OK) {
			respond(c, 0, rv, NULL, 0, e.msg);
			continue;
		}
		if (m.method_len == 6 && memcmp(m.method, "status", 6) == 0)
			do_status(c, m.id);
		else if (m.method_len == 5 && memcmp(m.method, "query", 5) == 0)
			do_query(c, &m);
		else if (m.method_len == 16 &&
			 memcmp(m.method, "query.consistent", 16) == 0)
			do_query_consistent(c, &m);
		else if (m.method_len == 15 &&
			 memcmp(m.method, "revocation.feed", 15) == 0)
			do_feed(c, &m);
		else if (m.method_len == 17 &&
			 memcmp(m.method, "revocation.lookup", 17) == 0)
			do_lookup(c, &m);
		else if (m.method_len == 6 &&
			 memcmp(m.method, "submit", 6) == 0)
			do_submit(c, &m);
		else if (m.method_len == 16 &&
			 memcmp(m.method, "audit.checkpoint", 16) == 0)
			do_checkpoint(c, m.id);
		else if (m.method_len == 9 &&
			 memcmp(m.method, "audit.key", 9) == 0)
			do_key(c, m.id);
		else if (m.method_len == 9 &&
			 memcmp(m.method, "node.keys", 9) == 0)
			do_node_keys(c, m.id);
		else if (m.method_len == 11 &&
			 memcmp(m.method, "audit.prove", 11) == 0)
			do_prove(c, &m, 0);
		else if (m.method_len == 17 &&
			 memcmp(m.method, "audit.consistency", 17) == 0)
			do_prove(c, &m, 1);
		else if (m.method_len == 14 &&
			 memcmp(m.method, "audit.cosigned", 14) == 0)
			do_cosigned(c, &m);
		else if (m.method_len == 14 &&
			 memcmp(m.method, "cluster.cosign", 14) == 0)
			do_cosign(c, &m);
		else if (m.method_len == 13 &&
			 memcmp(m.method, "audit.receipt", 13) == 0)
			do_receipt(c, &m);
		else
			respond(c, m.id, DOT_EAPI_METHOD, NULL, 0,
				"methods: status, submit, query, "
				"query.consistent, revocation.feed, "
				"revocation.lookup, "
				"audit.checkpoint, audit.cosigned, audit.key, "
				"audit.prove, audit.consistency, "
				"audit.receipt, node.keys, cluster.cosign");
	}
	if (off > 0 && !c->closing) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	size_t room = c->ch != NULL ? MAX_RAW_BUF - c->raw_len
				    : MAX_CONN_BUF - c->in_len;
	uint8_t *at = c->ch != NULL ? c->raw + c->raw_len : c->in + c->in_len;

	(void)suggested;
	if (room == 0) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	if (room > 65536)
		room = 65536;
	*buf = uv_buf_init((char *)at, (unsigned)room);
}

static void chan_pump(struct conn *c);

static void
on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;

	(void)buf;
	if (nread == UV_ENOBUFS && c->waiting) {
		/* Full while a receipt is pending: resume after it. */
		uv_read_stop(s);
		c->paused = 1;
		return;
	}
	if (nread < 0) {
		if (nread == UV_ENOBUFS && c->ch == NULL)
			respond(c, 0, DOT_EAPI_FRAME, NULL, 0,
				"frame larger than the buffer");
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	if (c->ch != NULL) {
		c->raw_len += (size_t)nread;
		chan_pump(c);
		return;
	}
	c->in_len += (size_t)nread;
	process(c);
}

/* ---- the secure channel (TCP connections) ---- */

static void
chan_rand(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	randombytes_buf(out, n);
}

/*
 * Peer authorization (docs/wire-protocol.md §3.4): this node's own key is
 * a NODE (the ledger has no node objects until the cluster issue); a key
 * of an account's level, in the current state, is that ACCOUNT unless the
 * account has expired by this node's clock (decision 0015); anything else
 * is refused.
 */
static int member_node_key(struct node *n, const uint8_t kx[DOT_NET_KEY_LEN]);
static int members_refresh(struct node *n);

static int
chan_accept(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	    char account[DOT_NET_MAX_NAME + 1])
{
	struct node *n = ctx;
	struct dot_err e = {0};
	const struct dotd_peer_key *k, *gone;

	if (sodium_memcmp(pk, n->kx_pk, DOT_NET_KEY_LEN) == 0 ||
	    member_node_key(n, pk))
		return DOT_NET_NODE; /* this node, or an active member node */
	if (dotd_peers_refresh(&n->peers, n->st, &e) < 0) {
		logmsg("cannot map the account keys: %s; refusing every "
		       "account until it works", e.msg);
		return DOT_NET_REFUSE;
	}
	k = dotd_peers_find(&n->peers, pk, now_s(), &gone);
	if (k == NULL) {
		/* Said once in a while: a client retrying with an expired
		 * account must not fill the log. */
		if (gone != NULL && n->peers.refused_expired++ % 1000 == 0)
			logmsg("refused a channel for account %s: it expired "
			       "at %llu (%llu refused for an expiry so far)",
			       gone->account,
			       (unsigned long long)gone->expires,
			       (unsigned long long)n->peers.refused_expired);
		return DOT_NET_REFUSE;
	}
	snprintf(account, DOT_NET_MAX_NAME + 1, "%s", k->account);
	return DOT_NET_ACCOUNT;
}

static void
set_load(struct node *n)
{
	if (n->gate != NULL)
		dot_net_gate_set_load(n->gate, n->hs_now > n->hs_total / 2);
}

/*
 * Handle what one channel call produced: write its frames, hand its
 * message to the API buffer, close on CLOSED. 0 to go on, -1 when the
 * connection is closing.
 */
static int
chan_output(struct conn *c, struct dot_net_io *io)
{
	unsigned ev = io->events;

	io->events = 0;
	if (write_buf(c, &io->out) != 0) {
		conn_close(c);
		return -1;
	}
	if (ev & DOT_NET_EV_ESTABLISHED)
		handshake_over(c);
	if (io->data.len > 0) {
		/* chan_pump made room for it */
		assert(io->data.len <= MAX_CONN_BUF - c->in_len);
		memcpy(c->in + c->in_len, io->data.data, io->data.len);
		c->in_len += io->data.len;
		io->data.len = 0;
	}
	if (ev & DOT_NET_EV_CLOSED) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/*
 * Give the channel every whole frame buffered, then handle the API frames
 * its DATA messages carried. A DATA message waits in `raw` while the API
 * buffer has no room for it (a submit of this connection is pending);
 * reading stops once `raw` is full too, and resume_conn pumps again.
 */
static void
chan_pump(struct conn *c)
{
	struct dot_net_io io = {0};

	while (!c->closing) {
		size_t off = 0, flen;
		int blocked = 0;

		while (!c->closing) {
			struct dot_err e = {0};
			int rv = dot_net_frame_next(c->raw + off,
						    c->raw_len - off, &flen,
						    &e);
			if (rv != DOT_OK) {
				/* Not a channel stream (e.g. plain API
				 * frames): nothing but a close. */
				conn_close(c);
				break;
			}
			if (flen == 0)
				break;
			if (c->raw[off] == DOT_NET_F_DATA &&
			    MAX_CONN_BUF - c->in_len <
				flen - DOT_NET_HDR_LEN -
				    DOT_NET_TRANSPORT_OVERHEAD) {
				blocked = 1;
				break;
			}
			/* A dropped frame is counted by the channel (which
			 * closes after too many); a close is an event. */
			if (dot_net_input(c->ch, now_us(), c->raw + off, flen,
					  &io) != DOT_OK)
				(void)0;
			off += flen;
			if (chan_output(c, &io) != 0)
				break;
		}
		if (c->closing)
			break;
		if (off > 0) {
			memmove(c->raw, c->raw + off, c->raw_len - off);
			c->raw_len -= off;
		}
		process(c);
		if (!blocked || c->closing || c->waiting)
			break;
		if (MAX_CONN_BUF - c->in_len < DOT_NET_MAX_MSG) {
			/* Not waiting, yet no room: the peer packed more
			 * than one API frame into a message. */
			conn_close(c);
			break;
		}
	}
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
}

/* Every second: the channels' timers (timeouts, rekeys, keepalives); and
 * when the account keys changed or an account expiry came (decision 0015),
 * channels whose key left its account, or whose account has expired, are
 * closed. */
static void
on_chan_timer(uv_timer_t *t)
{
	struct node *n = t->data;
	struct dot_err e = {0};
	uint64_t now = now_us(), wall = now_s();
	int rebuilt = dotd_peers_refresh(&n->peers, n->st, &e);
	/* Constant time unless an expiry has just come. */
	int due = dotd_peers_expiry_due(&n->peers, wall);
	/* A node removed from the ledger: its channels close too. */
	int nodes_moved;

	(void)members_refresh(n);
	nodes_moved = n->members_gen != n->members_seen;
	n->members_seen = n->members_gen;

	if (rebuilt < 0)
		logmsg("cannot map the account keys: %s", e.msg);
	for (struct conn *c = n->conns, *cn; c; c = cn) {
		struct dot_net_io io = {0};
		const struct dot_net_peer *peer;

		cn = c->next; /* c may close */
		if (c->ch == NULL || c->closing)
			continue;
		peer = dot_net_peer(c->ch);
		if (peer != NULL &&
		    (((rebuilt > 0 || due) && peer->role == DOT_NET_ACCOUNT) ||
		     (nodes_moved && peer->role == DOT_NET_NODE))) {
			if (peer->role == DOT_NET_NODE
				? sodium_memcmp(peer->static_pk, n->kx_pk,
						DOT_NET_KEY_LEN) != 0 &&
				      !member_node_key(n, peer->static_pk)
				: !dotd_peers_holds(&n->peers,
						    peer->static_pk,
						    peer->account, wall)) {
				dot_net_close(c->ch, &io);
				(void)chan_output(c, &io);
				if (!c->closing)
					conn_close(c);
				dot_buf_free(&io.out);
				dot_buf_free(&io.data);
				continue;
			}
		}
		if (dot_net_tick(c->ch, now, &io) != DOT_OK)
			(void)0; /* a close is an event, handled next */
		(void)chan_output(c, &io);
		dot_buf_free(&io.out);
		dot_buf_free(&io.data);
	}
}

/* Set a new TCP connection up as a channel responder; -1 to refuse it. */
static int
chan_start(struct node *n, struct conn *c)
{
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	struct dot_net_config cfg;
	struct dot_net_io io = {0};
	unsigned from_src = 0;
	int rv;

	memset(&ss, 0, sizeof(ss));
	if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &sl) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		c->srclen = 4;
		memcpy(c->src, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		c->srclen = 16;
		memcpy(c->src, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else {
		return -1;
	}
	for (struct conn *o = n->conns; o; o = o->next)
		if (o != c && o->in_handshake && o->srclen == c->srclen &&
		    memcmp(o->src, c->src, c->srclen) == 0)
			from_src++;
	if (from_src >= n->hs_per_source || n->hs_now >= n->hs_total) {
		if (n->refused_conns++ % 1000 == 0)
			logmsg("refused a connection: %u handshakes under way "
			       "from its address, %u in all (limits %u, %u; "
			       "%llu refused so far)",
			       from_src, n->hs_now, n->hs_per_source,
			       n->hs_total,
			       (unsigned long long)n->refused_conns);
		return -1;
	}
	c->raw = malloc(MAX_RAW_BUF);
	if (c->raw == NULL)
		return -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.initiator = 0;
	node_cluster_id(n, cfg.cluster_id);
	memcpy(cfg.static_sk, n->kx_sk, DOT_NET_KEY_LEN);
	cfg.role = DOT_NET_NODE;
	cfg.accept = chan_accept;
	cfg.accept_ctx = n;
	cfg.rand = chan_rand;
	cfg.gate = n->gate;
	cfg.src = c->src;
	cfg.srclen = c->srclen;
	cfg.handshake_timeout = n->hs_timeout_us;
	cfg.require_kem = node_hybrid(n);
	rv = dot_net_new(&c->ch, &cfg, now_us(), &io);
	sodium_memzero(cfg.static_sk, sizeof(cfg.static_sk));
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	if (rv != DOT_OK)
		return -1;
	c->in_handshake = 1;
	n->hs_now++;
	set_load(n);
	return 0;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct node *n = server->data;
	struct conn *c;
	int rv;

	if (status < 0 || n->stopping)
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->in = malloc(MAX_CONN_BUF);
	if (c->in == NULL) {
		free(c);
		return;
	}
	c->node = n;
	if (server == (uv_stream_t *)&n->unix_server)
		rv = uv_pipe_init(n->loop, &c->h.pipe, 0);
	else
		rv = uv_tcp_init(n->loop, &c->h.tcp);
	if (rv != 0) {
		free(c->in);
		free(c);
		return;
	}
	c->h.stream.data = c;
	c->next = n->conns;
	n->conns = c;
	if (uv_accept(server, &c->h.stream) != 0 ||
	    (server != (uv_stream_t *)&n->unix_server &&
	     chan_start(n, c) != 0) ||
	    uv_read_start(&c->h.stream, on_alloc, on_read) != 0)
		conn_close(c);
}

/* ---- the write path: batch, log, apply, answer ---- */

/*
 * Entries are pipelined: while the log thread appends entry N+1 and waits
 * for fdatasync, the loop applies entry N and answers its clients. At most
 * one entry is in the log thread; txs that arrive meanwhile gather into
 * the next batch. An entry is applied only once it is durable, and in log
 * order, so the state never holds what the log may lose; the log is ahead
 * of the state by at most one entry, which a restart replays.
 */

static int
apply_entry(struct node *n, uint64_t index, uint64_t t, const uint8_t *entry,
	    size_t len, struct dot_buf *receipts, struct dot_err *e)
{
	int rv = dot_state_apply(n->st, index, t, entry, len, receipts, e);

	if (n->ckpt != NULL)
		dotd_ckpt_after_commit(n->ckpt);
	/* A malformed entry is applied as a no-op and reported; a storage
	 * error leaves the entry in the log for the next start to apply. */
	if (rv == DOT_ESTATE_STORAGE || rv == DOT_ENOMEM || rv == DOT_EINVAL)
		return rv;
	return DOT_OK;
}

/* Entry time: the clock, but never behind the entry before. */
static uint64_t
entry_time(struct node *n)
{
	uint64_t t = now_s();

	if (t < n->last_time)
		t = n->last_time;
	n->last_time = t;
	return t;
}

/* Synchronously (the genesis, before the loop runs). */
static int
write_entry(struct node *n, const uint8_t *entry, size_t len,
	    struct dot_buf *receipts, struct dot_err *e)
{
	uint64_t index = n->log.last_index + 1, t = entry_time(n);
	int rv = dotd_log_append(&n->log, index, t, entry, len, e);

	if (rv != DOT_OK)
		return rv;
	n->next_index = index + 1;
	n->entries_written++;
	return apply_entry(n, index, t, entry, len, receipts, e);
}

static void *
log_thread(void *arg)
{
	struct node *n = arg;
	struct logjob *j = &n->job;

	pthread_mutex_lock(&n->log_mu);
	for (;;) {
		while (!j->queued && !n->log_quit)
			pthread_cond_wait(&n->log_cv, &n->log_mu);
		if (!j->queued)
			break; /* quit, nothing left to write */
		pthread_mutex_unlock(&n->log_mu);
		memset(&j->e, 0, sizeof(j->e));
		j->rv = dotd_log_append(&n->log, j->index, j->time,
					j->entry.data, j->entry.len, &j->e);
		pthread_mutex_lock(&n->log_mu);
		j->queued = 0;
		j->done = 1;
		pthread_cond_broadcast(&n->log_cv);
		uv_async_send(&n->log_async);
	}
	pthread_mutex_unlock(&n->log_mu);
	return NULL;
}

static void cl_start_entry(struct node *n);
struct fwd;
struct fwdwait;

/* Hand the queued txs (up to batch_max) to the log thread as one entry. */
static void
start_entry(struct node *n)
{
	struct logjob *j = &n->job;
	const uint8_t **ptrs;
	size_t *lens, count = 0;
	struct pending *p;
	struct dot_err e = {0};
	int rv;

	if (n->cluster) {
		cl_start_entry(n);
		return;
	}
	if (n->log_busy || n->head == NULL || n->stopping)
		return;
	ptrs = calloc(n->batch_max, sizeof(*ptrs));
	lens = calloc(n->batch_max, sizeof(*lens));
	if (ptrs == NULL || lens == NULL) {
		free(ptrs);
		free(lens);
		return; /* tried again on the next turn */
	}
	j->batch = n->head;
	for (p = n->head; p && count < n->batch_max; p = p->next) {
		ptrs[count] = p->tx;
		lens[count] = p->len;
		count++;
		j->last = p;
	}
	j->count = count;
	/* Detach the batch from the queue. */
	n->head = j->last->next;
	if (n->head == NULL)
		n->tail = NULL;
	j->last->next = NULL;
	j->entry.len = 0;
	rv = dot_state_batch_encode(ptrs, lens, count, &j->entry, &e);
	free(ptrs);
	free(lens);
	if (rv != DOT_OK) {
		logmsg("cannot encode entry %llu: %s (%s); stopping",
		       (unsigned long long)n->next_index, dot_strerror(rv),
		       e.msg);
		exit(1);
	}
	j->index = n->next_index++;
	j->time = entry_time(n);
	n->log_busy = 1;
	pthread_mutex_lock(&n->log_mu);
	j->done = 0;
	j->queued = 1;
	pthread_cond_broadcast(&n->log_cv);
	pthread_mutex_unlock(&n->log_mu);
}

/* A connection no longer waiting: handle its buffered frames, read on. */
static void
resume_conn(struct conn *c)
{
	if (c->waiting || c->closing)
		return;
	if (c->ch != NULL)
		chan_pump(c);
	else if (c->in_len > 0)
		process(c);
	if (!c->closing && c->paused && !c->waiting) {
		c->paused = 0;
		if (uv_read_start(&c->h.stream, on_alloc, on_read) != 0)
			conn_close(c);
	}
}

/*
 * Resume every connection that no longer waits, on the next loop
 * iteration: for answers given where a connection's own request loop may
 * be running (resuming it there would read its buffer twice).
 */
static void
on_resume(uv_idle_t *h)
{
	struct node *n = h->data;

	uv_idle_stop(h);
	for (struct conn *c = n->conns, *cn; c; c = cn) {
		cn = c->next;
		resume_conn(c);
	}
}

static void
schedule_resume(struct node *n)
{
	if (!uv_is_active((uv_handle_t *)&n->resumer))
		uv_idle_start(&n->resumer, on_resume);
}

/* Answer each waiting client of a batch with its receipt, in order
 * (receipts: the CBOR array dot_state_apply made for the entry). */
static void
answer_batch(struct node *n, uint64_t index, const struct dot_buf *receipts,
	     struct pending *batch, size_t count)
{
	struct pending *p, *next;
	struct dot_dec d;
	uint64_t nr;

	if (dot_dec_init(&d, receipts->data, receipts->len, NULL, NULL) !=
		    DOT_OK ||
	    dot_dec_array(&d, &nr) != DOT_OK || nr != count) {
		logmsg("entry %llu: receipts do not match the batch",
		       (unsigned long long)index);
		exit(1);
	}
	p = batch;
	for (size_t i = 0; i < count; i++, p = next) {
		const uint8_t *r;
		size_t rlen;
		struct dot_buf item = {0};

		next = p->next;
		if (dot_dec_bstr(&d, &r, &rlen) != DOT_OK)
			exit(1);
		if (p->conn != NULL) {
			struct conn *c = p->conn;
			dot_enc_bstr(&item, r, rlen);
			respond(c, p->id, item.err, item.data, item.len, NULL);
			dot_buf_free(&item);
			c->waiting = 0;
		}
		n->npending--;
		free(p->tx);
		free(p);
	}
	/* Connections that were waiting may have more frames buffered. */
	for (struct conn *c = n->conns, *cn; c; c = cn) {
		cn = c->next; /* process may close c */
		resume_conn(c);
	}
}

/* Apply a durable entry and answer each waiting client, in order. */
static void
finish_entry(struct node *n, uint64_t index, uint64_t t,
	     const struct dot_buf *entry, struct pending *batch, size_t count)
{
	struct dot_buf receipts = {0};
	struct dot_err e = {0};
	int rv;

	rv = apply_entry(n, index, t, entry->data, entry->len, &receipts, &e);
	if (rv != DOT_OK) {
		logmsg("cannot apply entry %llu: %s (%s); stopping",
		       (unsigned long long)index, dot_strerror(rv), e.msg);
		/* Fail stop: never answer what is not durable and applied. */
		exit(1);
	}
	answer_batch(n, index, &receipts, batch, count);
	dot_buf_free(&receipts);
}

/* The log thread made an entry durable. */
static void
on_logged(uv_async_t *h)
{
	struct node *n = h->data;
	struct logjob *j = &n->job;
	struct dot_buf entry;
	struct pending *batch;
	uint64_t index, t;
	size_t count;
	int done;

	pthread_mutex_lock(&n->log_mu);
	done = j->done;
	j->done = 0;
	pthread_mutex_unlock(&n->log_mu);
	if (!done)
		return; /* async sends coalesce; nothing new */
	if (j->rv != DOT_OK) {
		logmsg("cannot write entry %llu: %s (%s); stopping",
		       (unsigned long long)j->index, dot_strerror(j->rv),
		       j->e.msg);
		exit(1);
	}
	n->entries_written++;
	/* Take the entry out of the job, so the next one can start (its
	 * fdatasync overlaps this apply). */
	entry = j->entry;
	memset(&j->entry, 0, sizeof(j->entry));
	j->entry = n->spare;
	memset(&n->spare, 0, sizeof(n->spare));
	batch = j->batch;
	count = j->count;
	index = j->index;
	t = j->time;
	n->log_busy = 0;
	start_entry(n);
	finish_entry(n, index, t, &entry, batch, count);
	n->spare = entry; /* reuse its buffer */
	if (n->head != NULL && !uv_is_active((uv_handle_t *)&n->flusher))
		uv_idle_start(&n->flusher, on_flush);
}

static void
on_flush(uv_idle_t *h)
{
	struct node *n = h->data;

	/* Idle until the log thread is free; on_logged starts the next. */
	uv_idle_stop(h);
	start_entry(n);
}

static int
start_log_thread(struct node *n, struct dot_err *e)
{
	pthread_mutex_init(&n->log_mu, NULL);
	pthread_cond_init(&n->log_cv, NULL);
	if (uv_async_init(n->loop, &n->log_async, on_logged) != 0)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "log: uv_async_init");
	n->log_async.data = n;
	if (pthread_create(&n->log_tid, NULL, log_thread, n) != 0)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "log thread: %s",
				   strerror(errno));
	n->log_started = 1;
	return DOT_OK;
}

/* Let an entry being written finish (it is durable, not applied: the next
 * start replays it) and end the thread. */
static void
stop_log_thread(struct node *n)
{
	if (!n->log_started)
		return;
	pthread_mutex_lock(&n->log_mu);
	n->log_quit = 1;
	pthread_cond_broadcast(&n->log_cv);
	pthread_mutex_unlock(&n->log_mu);
	pthread_join(n->log_tid, NULL);
	n->log_started = 0;
	if (n->log_busy)
		n->entries_written++;
}

/* ---- cluster mode: the write path through consensus (--raft-addr) ---- */

/*
 * The leader batches queued txs into a command and proposes it; every node
 * applies each committed command with dot_state_apply (which re-verifies
 * everything) in raft's order; the node that proposed answers its waiting
 * clients from the receipts (docs/decisions/0016-raft-over-the-channel.md).
 *
 * A command: version (1 byte, 1), entry time (8, big-endian), the raft id
 * of the node that proposed it (8), its proposal number there (8), then the
 * ledger entry (the genesis or a batch, state.h). The state keeps the raft
 * index of the last command it applied (dot_state_log_ref) in the same
 * SQLite transaction, so commands the engine hands again after a restart
 * are skipped.
 */
#define CL_HDR DOTD_CMD_HDR
#define CL_MAX_PROPS 8 /* entries proposed and not yet applied */

static int fwd_submit(struct node *n, uint64_t leader, struct pending *p);
static int cl_apply_cosign(struct node *n, uint64_t ridx, const uint8_t *p,
			   size_t len);
static void cs_tick(struct node *n);
static int creq_answer(struct node *n, const struct dot_api_msg *m);
static void creq_fail_relayed(struct node *n, const char *why);
static void cs_wake(struct node *n, int expired_only);
static void fwd_applied(struct node *n, uint64_t index, const uint8_t *entry,
			size_t len, const struct dot_buf *receipts);
static void fwd_close(struct fwd *f, const char *why);
static int cl_fwd_accept(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
			 char account[DOT_NET_MAX_NAME + 1]);

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Answer every tx of a batch with one error (nothing was applied). */
static void
fail_batch(struct node *n, struct pending *batch, int code, const char *msg)
{
	for (struct pending *p = batch, *next; p; p = next) {
		next = p->next;
		if (p->conn != NULL) {
			respond(p->conn, p->id, code, NULL, 0, msg);
			p->conn->waiting = 0;
		}
		n->npending--;
		free(p->tx);
		free(p);
	}
	for (struct conn *c = n->conns, *cn; c; c = cn) {
		cn = c->next;
		resume_conn(c);
	}
}

static int
cl_apply(void *ctx, uint64_t ridx, const uint8_t *cmd, size_t len)
{
	struct node *n = ctx;
	struct dot_buf receipts = {0};
	struct dot_err e = {0};
	uint64_t index, t, origin, seq, at_t;
	struct dotd_cmd hc;
	int rv;

	if (ridx <= dot_state_log_ref(n->st))
		return DOT_OK; /* in the state already (a restart) */
	if (dotd_cmd_parse(cmd, len, &hc) == DOT_OK &&
	    hc.version == DOTD_CMD_COSIGN)
		return cl_apply_cosign(n, ridx, hc.body, hc.body_len);
	if (dotd_cmd_parse(cmd, len, &hc) != DOT_OK ||
	    hc.version != DOTD_CMD_LEDGER) {
		/* Deterministic on every node: skipped, and said. */
		logmsg("raft entry %llu is not a ledger command; skipped",
		       (unsigned long long)ridx);
		return DOT_OK;
	}
	t = hc.time;
	origin = hc.origin;
	seq = hc.seq;
	dot_state_position(n->st, &index, &at_t);
	dot_state_set_log_ref(n->st, ridx);
	rv = apply_entry(n, index + 1, t, hc.body, hc.body_len,
			 &receipts, &e);
	if (rv != DOT_OK) {
		logmsg("cannot apply entry %llu (raft %llu): %s (%s); stopping",
		       (unsigned long long)(index + 1),
		       (unsigned long long)ridx, dot_strerror(rv), e.msg);
		dot_buf_free(&receipts);
		return rv; /* the engine stops; fail stop */
	}
	n->entries_written++;
	if (t > n->last_time)
		n->last_time = t;
	if (n->fwd_wait != NULL)
		fwd_applied(n, index + 1, hc.body, hc.body_len,
			    &receipts);
	if (origin == n->raft_id) {
		/* The engine may apply several entries before it reports any
		 * of them done: the proposal is found by its number. */
		struct proposal *pr = n->props;

		while (pr != NULL && pr->seq != seq)
			pr = pr->next;
		if (pr != NULL && !pr->applied) {
			pr->applied = 1;
			if (pr->count > 0)
				answer_batch(n, index + 1, &receipts,
					     pr->batch, pr->count);
			pr->batch = NULL;
		}
	}
	dot_buf_free(&receipts);
	return DOT_OK;
}

#ifndef DOT_BENCH_UNCHECKED
/* Prechecks in flight past which a follower leaves the checks to apply
 * (a catch-up hands the log thousands of entries at once). */
#define SIG_PRE_MAX 4096

static int
pre_tx(void *ctx, const uint8_t *p, size_t len)
{
	struct node *n = ctx;
	struct dot_tx *tx = NULL;

	if (dot_tx_parse(p, len, &tx, NULL) == DOT_OK)
		sig_enqueue(n, tx);
	return DOT_OK; /* apply decides on each tx; go on */
}

/*
 * A command on its way into this node's raft log, before it commits: a
 * follower has the workers check its txs' signatures now, as the leader
 * did when they were submitted there, so that apply (on the loop, once
 * the entry commits) finds them in the cache. Only a cache: a tx whose
 * signatures did not verify is not in it, and apply checks that one
 * itself and refuses it; an entry that never commits leaves entries that
 * nothing asks for. The leader's own proposals were checked at submit.
 */
static void
cl_received(void *ctx, const uint8_t *cmd, size_t len)
{
	struct node *n = ctx;
	struct dotd_cmd hc;

	if (dotd_cmd_parse(cmd, len, &hc) != DOT_OK ||
	    hc.version != DOTD_CMD_LEDGER || hc.origin == n->raft_id ||
	    n->sig_live >= SIG_PRE_MAX || n->stopping)
		return;
	if (dot_state_batch_each(hc.body, hc.body_len, pre_tx, n, NULL) !=
	    DOT_OK)
		return; /* not a batch: apply says what it is */
}
#endif

/* The engine is done with a proposal: applied (answered there) or lost. */
static void
cl_proposed(void *arg, int status, const struct dot_err *e)
{
	struct proposal *pr = arg;
	struct node *n = pr->node;
	struct proposal **pp;

	for (pp = &n->props; *pp; pp = &(*pp)->next)
		if (*pp == pr) {
			*pp = pr->next;
			break;
		}
	n->props_tail = NULL;
	for (struct proposal *q = n->props; q; q = q->next)
		n->props_tail = q;
	n->nprops--;
	if (!pr->applied && pr->batch != NULL)
		fail_batch(n, pr->batch,
			   status == DOT_OK ? DOT_ECONS_LOST : status,
			   "leadership changed before the entry committed: "
			   "it may or may not be in the ledger; sending the "
			   "same signed tx again is safe (a duplicate is "
			   "refused)");
	(void)e;
	free(pr);
	if (n->head != NULL && !uv_is_active((uv_handle_t *)&n->flusher))
		uv_idle_start(&n->flusher, on_flush);
}

/* Propose one entry (its txs in batch, or none for the genesis). */
static int
cl_propose_cmd(struct node *n, uint8_t ver, const uint8_t *entry, size_t len,
	       struct pending *batch, size_t count)
{
	struct proposal *pr = calloc(1, sizeof(*pr));
	struct dot_buf cmd = {0};
	struct dot_err e = {0};
	uint8_t hdr[CL_HDR];
	int rv;

	if (pr == NULL)
		return DOT_ENOMEM;
	pr->seq = ++n->prop_seq;
	pr->batch = batch;
	pr->count = count;
	pr->node = n;
	dotd_cmd_header(hdr, ver, entry_time(n), n->raft_id, pr->seq);
	if (dot_buf_reserve(&cmd, CL_HDR + len) != DOT_OK) {
		free(pr);
		return DOT_ENOMEM;
	}
	dot_buf_put(&cmd, hdr, CL_HDR);
	dot_buf_put(&cmd, entry, len);
	/* queued before proposing: the apply may come before the callback */
	if (n->props_tail)
		n->props_tail->next = pr;
	else
		n->props = pr;
	n->props_tail = pr;
	n->nprops++;
	rv = dotd_cons_propose(n->cons, cmd.data, cmd.len, cl_proposed, pr,
			       &e);
	dot_buf_free(&cmd);
	if (rv != DOT_OK) {
		pr->batch = NULL; /* the caller answers them */
		cl_proposed(pr, rv, &e);
	}
	return rv;
}

static int
cl_propose(struct node *n, const uint8_t *entry, size_t len,
	   struct pending *batch, size_t count)
{
	return cl_propose_cmd(n, 1, entry, len, batch, count);
}

static void
cl_start_entry(struct node *n)
{
	const uint8_t **ptrs;
	size_t *lens, count = 0;
	struct pending *batch, *last = NULL, *p;
	struct dot_buf entry = {0};
	struct dot_err e = {0};
	int rv;

	if (n->head == NULL || n->stopping || n->cons == NULL)
		return;
	if (!dotd_cons_is_leader(n->cons)) {
		uint64_t lid;
		const char *addr;
		char msg[300];

		dotd_cons_leader(n->cons, &lid, &addr);
		snprintf(msg, sizeof(msg),
			 "this node is not the leader and cannot reach it "
			 "(%s%s); try again or ask the leader",
			 addr != NULL ? "the leader's raft address is "
				      : "no leader known",
			 addr != NULL ? addr : "");
		batch = n->head;
		n->head = n->tail = NULL;
		for (p = batch; p != NULL; p = batch) {
			int frv = lid != 0 ? fwd_submit(n, lid, p)
					   : DOT_ECONS_NOT_LEADER;

			batch = p->next;
			if (frv != DOT_OK) {
				p->next = NULL;
				fail_batch(n, p, frv,
					   frv == DOT_ECONS_NOT_LEADER ? msg
								       : NULL);
			}
		}
		return;
	}
	if (n->nprops >= CL_MAX_PROPS || dot_state_admin(n->st)[0] == '\0')
		return; /* on_cl_timer or the next apply starts it */
	ptrs = calloc(n->batch_max, sizeof(*ptrs));
	lens = calloc(n->batch_max, sizeof(*lens));
	if (ptrs == NULL || lens == NULL) {
		free(ptrs);
		free(lens);
		return;
	}
	batch = n->head;
	for (p = n->head; p && count < n->batch_max; p = p->next) {
		ptrs[count] = p->tx;
		lens[count] = p->len;
		count++;
		last = p;
	}
	n->head = last->next;
	if (n->head == NULL)
		n->tail = NULL;
	last->next = NULL;
	rv = dot_state_batch_encode(ptrs, lens, count, &entry, &e);
	free(ptrs);
	free(lens);
	if (rv == DOT_OK)
		rv = cl_propose(n, entry.data, entry.len, batch, count);
	if (rv != DOT_OK)
		fail_batch(n, batch, rv, e.msg[0] ? e.msg : NULL);
	dot_buf_free(&entry);
	if (n->head != NULL && n->nprops < CL_MAX_PROPS &&
	    !uv_is_active((uv_handle_t *)&n->flusher))
		uv_idle_start(&n->flusher, on_flush);
}

/* A snapshot: the log ref (8 bytes) and the database image. */
static int
cl_snapshot(void *ctx, struct dot_buf *out)
{
	struct node *n = ctx;
	sqlite3_int64 size = 0;
	unsigned char *img;
	uint8_t ref[8];
	int rv = DOT_OK;

	img = sqlite3_serialize(n->db, "main", &size, 0);
	if (img == NULL || size <= 0)
		return DOT_ESTATE_STORAGE;
	put_be64(ref, dot_state_log_ref(n->st));
	if (dot_buf_reserve(out, 8 + (size_t)size) != DOT_OK)
		rv = DOT_ENOMEM;
	else {
		dot_buf_put(out, ref, 8);
		dot_buf_put(out, img, (size_t)size);
	}
	sqlite3_free(img);
	return rv;
}

/*
 * Catch up from a snapshot ahead of the state (a new node, or one away for
 * longer than the leader keeps log): the image replaces the database in one
 * SQLite transaction through the backup API, so a crash leaves either the
 * old state or the new one, never a mix; then the state is reopened from
 * it. The image comes from the leader over the authenticated transport, as
 * the log does; it is checked to be a state of this cluster whose Merkle
 * log holds what its position says before anything is replaced (the
 * cross-node state-hash comparison and the cosigned checkpoints catch the
 * rest, docs/threat-model.md).
 */
static int
cl_restore_image(struct node *n, const uint8_t *img, size_t len,
		 struct dot_err *e)
{
	sqlite3 *mem = NULL;
	sqlite3_backup *bk;
	struct dot_state *nst = NULL;
	unsigned char *copy;
	uint8_t cid[DOT_CLUSTER_ID_LEN], mine[DOT_CLUSTER_ID_LEN];
	int rv;

	if (len < 100 || len > (size_t)INT64_MAX)
		return dot_err_set(e, DOT_ESTATE_STORAGE,
				   "the snapshot's image is %zu bytes", len);
	copy = sqlite3_malloc64(len);
	if (copy == NULL)
		return DOT_ENOMEM;
	memcpy(copy, img, len);
	/* A WAL database's header says so (bytes 18 and 19 are 2); an
	 * in-memory copy must read as a rollback-journal one. */
	copy[18] = copy[19] = 1;
	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) !=
		    SQLITE_OK ||
	    sqlite3_deserialize(mem, "main", copy, (sqlite3_int64)len,
				(sqlite3_int64)len,
				SQLITE_DESERIALIZE_FREEONCLOSE |
				    SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
		rv = dot_err_set(e, DOT_ESTATE_STORAGE,
				 "the snapshot's image does not open: %s",
				 mem ? sqlite3_errmsg(mem) : "no memory");
		sqlite3_close(mem);
		return rv;
	}
	/* Is it a state, of this cluster? */
	rv = dot_state_open(mem, &nst, e);
	if (rv == DOT_OK) {
		dot_state_cluster_id(nst, cid);
		node_cluster_id(n, mine);
		if (memcmp(cid, mine, sizeof(cid)) != 0)
			rv = dot_err_set(e, DOT_ESTATE_STORAGE,
					 "the snapshot is of another cluster");
	}
	dot_state_close(nst);
	if (rv != DOT_OK) {
		sqlite3_close(mem);
		return rv;
	}
	/* The state's statements and caches (position, Merkle frontier,
	 * replay set, nodes) are of the old database: close it, so no
	 * statement holds a read open on the connection, and open it again
	 * on whatever the database holds after the copy. */
	dot_state_close(n->st);
	n->st = NULL;
	bk = sqlite3_backup_init(n->db, "main", mem, "main");
	if (bk == NULL)
		rv = dot_err_set(e, DOT_ESTATE_STORAGE, "snapshot: %s",
				 sqlite3_errmsg(n->db));
	else {
		int br = sqlite3_backup_step(bk, -1);

		sqlite3_backup_finish(bk);
		rv = br == SQLITE_DONE
			     ? DOT_OK
			     : dot_err_set(e, DOT_ESTATE_STORAGE,
					   "snapshot: writing the image: %s",
					   sqlite3_errstr(br));
	}
	sqlite3_close(mem);
	{
		struct dot_err e2 = {0};
		int orv = dot_state_open(n->db, &n->st, &e2);

		if (orv != DOT_OK)
			return dot_err_set(e, orv, "%s", e2.msg);
	}
	if (rv != DOT_OK)
		return rv;
	n->members_epoch = UINT64_MAX; /* read the nodes again */
	n->peers.epoch = 0;            /* and the account keys */
	(void)members_refresh(n);
	return DOT_OK;
}

static int
cl_restore(void *ctx, const uint8_t *p, size_t len)
{
	struct node *n = ctx;
	struct dot_err e = {0};
	uint64_t ref, index, t;
	int rv;

	if (len < 8)
		return DOT_EINVAL;
	ref = get_be64(p);
	if (ref <= dot_state_log_ref(n->st))
		return DOT_OK; /* the state is at or past it: keep the state */
	rv = cl_restore_image(n, p + 8, len - 8, &e);
	if (rv != DOT_OK) {
		logmsg("cannot catch up from the snapshot at raft index %llu: "
		       "%s (%s)",
		       (unsigned long long)ref, dot_strerror(rv), e.msg);
		if (n->st == NULL) {
			/* Nothing can be served without a state; raft's own
			 * files are whole, so a restart retries this. */
			logmsg("the state cannot be opened again: stopping");
			_exit(70);
		}
		return rv;
	}
	dot_state_position(n->st, &index, &t);
	if (t > n->last_time)
		n->last_time = t;
	logmsg("caught up from a snapshot: state at entry %llu (raft index "
	       "%llu)",
	       (unsigned long long)index,
	       (unsigned long long)dot_state_log_ref(n->st));
	return DOT_OK;
}

/*
 * DIR/members, written by `dot node join` for a node whose state is still
 * empty (it learns the ledger from the leader): the cluster id and the
 * member nodes when it was admitted, so its transport knows whom to let in
 * before its own state names them. Canonical CBOR:
 *   [1, cluster id (bstr 16), [[node key (bstr), raft addr (text)], ...]]
 * at most DOTD_MAX_MEMBERS nodes. Used only while the state has no nodes.
 */

static int read_file(const char *path, uint8_t **out, size_t *n);

static int
members_add(struct node *n, const uint8_t *key, size_t keylen,
	    const char *addr, size_t alen, const char *api, int role)
{
	struct member *m, *nm;

	if (n->nmembers >= DOTD_MAX_MEMBERS || alen > DOT_STATE_MAX_ADDR)
		return DOT_ERANGE;
	nm = realloc(n->members, (n->nmembers + 1) * sizeof(*nm));
	if (nm == NULL)
		return DOT_ENOMEM;
	n->members = nm;
	m = &nm[n->nmembers];
	memset(m, 0, sizeof(*m));
	if (dot_sign_pk_to_kx(key, keylen, m->kx) != DOT_OK)
		return DOT_ECRYPTO_KEY;
	m->id = dot_state_node_raft_id(key, keylen);
	if (keylen > sizeof(m->pk))
		return DOT_ECRYPTO_KEY;
	memcpy(m->pk, key, keylen);
	m->pklen = keylen;
	{
		uint8_t kid[DOT_KEY_ID_LEN];
		char kh[2 * DOT_KEY_ID_LEN + 1];

		dot_key_id(key, keylen, kid);
		hex(kh, kid, sizeof(kid));
		snprintf(m->key_name, sizeof(m->key_name), "node-%s", kh);
	}
	memcpy(m->raft_addr, addr, alen);
	m->raft_addr[alen] = '\0';
	snprintf(m->api_addr, sizeof(m->api_addr), "%s", api);
	m->role = role;
	n->nmembers++;
	return DOT_OK;
}

static int
members_from_state(void *ctx, const struct dot_state_node *sn)
{
	struct node *n = ctx;

	if (sn->status != DOT_NODE_ACTIVE)
		return 0;
	return members_add(n, sn->key, sn->keylen, sn->raft_addr,
			   strlen(sn->raft_addr), sn->api_addr, sn->role);
}

/* Parse DIR/members (strictly); DOT_OK, or an error with e set. */
static int
members_file_cb(void *ctx, const uint8_t *key, size_t keylen,
		const char *addr, size_t alen)
{
	return members_add(ctx, key, keylen, addr, alen, "", DOT_NODE_VOTER);
}

static int
members_from_file(struct node *n, const uint8_t *p, size_t len,
		  uint8_t cluster[DOT_CLUSTER_ID_LEN], struct dot_err *e)
{
	return dotd_members_parse(p, len, cluster, members_file_cb, n, e);
}

/*
 * Bring the members up to date with the state (when its nodes table moved).
 * 1 if they changed, 0 if not. A state without nodes keeps what DIR/members
 * said (read once at start by cl_open).
 */
static int
members_refresh(struct node *n)
{
	uint64_t epoch = dot_state_nodes_epoch(n->st);
	struct member *old = n->members;
	size_t nold = n->nmembers;
	struct dot_err e = {0};
	int rv;

	if (epoch == n->members_epoch)
		return 0;
	n->members = NULL;
	n->nmembers = 0;
	rv = dot_state_nodes(n->st, members_from_state, n, &e);
	if (rv != DOT_OK || (n->nmembers == 0 && n->members_from_file)) {
		if (rv != DOT_OK)
			logmsg("cannot read the member nodes: %s (%s)",
			       dot_strerror(rv), e.msg);
		free(n->members);
		n->members = old;
		n->nmembers = nold;
		n->members_epoch = epoch;
		return 0;
	}
	n->members_from_file = 0;
	free(old);
	n->members_epoch = epoch;
	n->members_gen++;
	if (n->have_tr)
		dotd_tr_recheck(&n->tr);
	return 1;
}

/* Is kx an active member node's key (the ledger's nodes table)? A node
 * removed from the ledger is refused at the channel from the entry that
 * removed it on. */
static int
member_node_key(struct node *n, const uint8_t kx[DOT_NET_KEY_LEN])
{
	members_refresh(n);
	for (size_t i = 0; i < n->nmembers; i++)
		if (sodium_memcmp(kx, n->members[i].kx, DOT_NET_KEY_LEN) == 0)
			return 1;
	return 0;
}

static const struct member *
member_by_id(struct node *n, uint64_t id)
{
	for (size_t i = 0; i < n->nmembers; i++)
		if (n->members[i].id == id)
			return &n->members[i];
	return NULL;
}

static int
cl_key_of(void *ctx, uint64_t id, uint8_t kx[DOT_NET_KEY_LEN])
{
	struct node *n = ctx;
	const struct member *m;

	if (id == n->raft_id) {
		memcpy(kx, n->kx_pk, DOT_NET_KEY_LEN);
		return 0;
	}
	members_refresh(n);
	m = member_by_id(n, id);
	if (m == NULL)
		return -1;
	memcpy(kx, m->kx, DOT_NET_KEY_LEN);
	return 0;
}

static int
cl_member(void *ctx, const uint8_t kx[DOT_NET_KEY_LEN], uint64_t *id,
	  char address[DOTD_TR_MAX_ADDRESS])
{
	struct node *n = ctx;

	members_refresh(n);
	for (size_t i = 0; i < n->nmembers; i++)
		if (sodium_memcmp(kx, n->members[i].kx, DOT_NET_KEY_LEN) ==
		    0) {
			*id = n->members[i].id;
			snprintf(address, DOTD_TR_MAX_ADDRESS, "%s",
				 n->members[i].raft_addr);
			return 0;
		}
	return -1;
}

/* ---- forwarding a submit from a follower to the leader ---- */

/*
 * A follower hands each submit to the leader over one secure channel of
 * its own (this node's key, role NODE, IK to the leader's key) to the
 * leader's API address, as an ordinary submit. The client's answer still
 * comes from here, from the receipt this node writes when it applies the
 * entry holding the tx (found by the tx's id); the leader's answer is used
 * only when it is an error (busy, not the leader any more), which is then
 * the client's. A channel that breaks before the leader answered leaves
 * its txs in doubt: their clients are told so (they may send the same
 * signed tx again: a duplicate is refused).
 */
#define FWD_RAW (2 * DOT_NET_MAX_FRAME)
#define FWD_MAX_WAIT 8192

struct fwdwait {
	struct pending *p;
	uint8_t txid[DOT_TX_ID_LEN];
	uint64_t rid;      /* request id on the channel */
	int answered;      /* the leader said OK: waiting for the apply */
	struct fwdwait *next;
};

/* A client left: its forwarded writes are still answered by the leader
 * and applied, but no longer reported to it (conn_close). */
static void
fwd_forget_conn(struct node *n, const struct conn *c)
{
	for (struct fwdwait *w = n->fwd_wait; w; w = w->next)
		if (w->p != NULL && w->p->conn == c)
			w->p->conn = NULL;
}

struct fwd {
	struct node *node;
	uv_tcp_t tcp;
	uv_connect_t creq;
	struct dot_net *ch;
	uint8_t *raw;
	size_t raw_len;
	struct dot_buf in;   /* API bytes from the leader */
	struct dot_buf out;  /* API frames waiting for the handshake */
	uint64_t leader;     /* raft id */
	int ready, closing;
};

static void fwd_close(struct fwd *f, const char *why);

static void
fwd_closed(uv_handle_t *h)
{
	struct fwd *f = h->data;

	dot_net_free(f->ch);
	free(f->raw);
	dot_buf_free(&f->in);
	dot_buf_free(&f->out);
	free(f);
}

static void
fwd_written(uv_write_t *w, int status)
{
	free(w->data);
	free(w);
	(void)status; /* a failed write shows as a read error */
}

static int
fwd_write(struct fwd *f, const uint8_t *p, size_t n)
{
	uv_write_t *w;
	uv_buf_t b;
	uint8_t *copy;

	if (n == 0)
		return 0;
	w = malloc(sizeof(*w));
	copy = malloc(n);
	if (w == NULL || copy == NULL) {
		free(w);
		free(copy);
		return -1;
	}
	memcpy(copy, p, n);
	w->data = copy;
	b = uv_buf_init((char *)copy, (unsigned)n);
	if (uv_write(w, (uv_stream_t *)&f->tcp, &b, 1, fwd_written) != 0) {
		free(copy);
		free(w);
		return -1;
	}
	return 0;
}

/* Seal API bytes into DATA messages and write them. */
static int
fwd_send(struct fwd *f, const uint8_t *p, size_t n)
{
	while (n > 0) {
		struct dot_net_io io = {0};
		size_t k = n < DOT_NET_MAX_MSG ? n : DOT_NET_MAX_MSG;
		int rv = dot_net_send(f->ch, now_us(), p, k, &io);

		if (rv == DOT_OK && fwd_write(f, io.out.data, io.out.len) != 0)
			rv = DOT_ENOMEM;
		dot_buf_free(&io.out);
		dot_buf_free(&io.data);
		if (rv != DOT_OK)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* The leader's answers: errors go to the waiting clients. */
static void
fwd_answers(struct fwd *f)
{
	struct node *n = f->node;
	size_t off = 0;

	for (;;) {
		const uint8_t *body;
		size_t blen, used;
		struct dot_api_msg m;
		struct dot_err e = {0};

		if (dot_api_frame(f->in.data + off, f->in.len - off, &body,
				  &blen, &used, &e) != DOT_OK) {
			fwd_close(f, "a malformed answer from the leader");
			return;
		}
		if (used == 0)
			break;
		off += used;
		if (dot_api_response_parse(body, blen, &m, &e) != DOT_OK) {
			fwd_close(f, "a malformed answer from the leader");
			return;
		}
		if (creq_answer(n, &m))
			continue;
		for (struct fwdwait **pp = &n->fwd_wait; *pp;
		     pp = &(*pp)->next) {
			struct fwdwait *w = *pp;
			char msg[300];

			if (w->rid != m.id || w->answered)
				continue;
			if (m.status == DOT_OK) {
				w->answered = 1;
				break;
			}
			*pp = w->next;
			n->nfwd--;
			snprintf(msg, sizeof(msg), "the leader: %.*s",
				 (int)(m.message_len < 250 ? m.message_len
							   : 250),
				 m.message != NULL ? m.message : "");
			w->p->next = NULL;
			fail_batch(n, w->p, (int)m.status, msg);
			free(w);
			break;
		}
	}
	if (off > 0) {
		memmove(f->in.data, f->in.data + off, f->in.len - off);
		f->in.len -= off;
	}
}

static void
fwd_input(struct fwd *f)
{
	struct dot_net_io io = {0};
	size_t off = 0, flen;

	while (!f->closing) {
		struct dot_err e = {0};
		unsigned ev;

		if (dot_net_frame_next(f->raw + off, f->raw_len - off, &flen,
				       &e) != DOT_OK) {
			fwd_close(f, "a malformed channel frame");
			break;
		}
		if (flen == 0)
			break;
		if (dot_net_input(f->ch, now_us(), f->raw + off, flen, &io) !=
		    DOT_OK)
			(void)0;
		off += flen;
		ev = io.events;
		io.events = 0;
		if (fwd_write(f, io.out.data, io.out.len) != 0) {
			fwd_close(f, "cannot write");
			break;
		}
		io.out.len = 0;
		if (ev & DOT_NET_EV_ESTABLISHED) {
			f->ready = 1;
			if (fwd_send(f, f->out.data, f->out.len) != 0) {
				fwd_close(f, "cannot write");
				break;
			}
			f->out.len = 0;
		}
		if (io.data.len > 0) {
			if (dot_buf_reserve(&f->in, io.data.len) != DOT_OK) {
				fwd_close(f, "out of memory");
				break;
			}
			dot_buf_put(&f->in, io.data.data, io.data.len);
			io.data.len = 0;
			fwd_answers(f);
		}
		if (ev & DOT_NET_EV_CLOSED) {
			fwd_close(f, dot_strerror(dot_net_close_reason(f->ch)));
			break;
		}
	}
	if (!f->closing && off > 0) {
		memmove(f->raw, f->raw + off, f->raw_len - off);
		f->raw_len -= off;
	}
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
}

static void
fwd_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
	struct fwd *f = h->data;

	(void)s;
	b->base = (char *)f->raw + f->raw_len;
	b->len = FWD_RAW - f->raw_len;
}

static void
fwd_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct fwd *f = st->data;

	(void)b;
	if (nread < 0) {
		fwd_close(f, "the leader closed the connection");
		return;
	}
	f->raw_len += (size_t)nread;
	fwd_input(f);
}

static void
fwd_connected(uv_connect_t *req, int status)
{
	struct fwd *f = req->data;
	struct dot_net_config cfg;
	struct dot_net_io io = {0};
	const struct member *m;
	int rv;

	if (f->closing)
		return;
	if (status < 0) {
		fwd_close(f, uv_strerror(status));
		return;
	}
	m = member_by_id(f->node, f->leader);
	if (m == NULL) {
		fwd_close(f, "the leader is not a member node");
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.initiator = 1;
	node_cluster_id(f->node, cfg.cluster_id);
	memcpy(cfg.static_sk, f->node->kx_sk, DOT_NET_KEY_LEN);
	cfg.role = DOT_NET_NODE;
	cfg.remote_static = m->kx;
	cfg.accept = cl_fwd_accept;
	cfg.accept_ctx = f;
	cfg.rand = chan_rand;
	rv = dot_net_new(&f->ch, &cfg, now_us(), &io);
	sodium_memzero(cfg.static_sk, sizeof(cfg.static_sk));
	if (rv == DOT_OK && fwd_write(f, io.out.data, io.out.len) != 0)
		rv = DOT_ENOMEM;
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	if (rv != DOT_OK ||
	    uv_read_start((uv_stream_t *)&f->tcp, fwd_alloc, fwd_read) != 0)
		fwd_close(f, "cannot start the channel");
}

/* The responder must be the leader we asked for (IK already binds it). */
static int
cl_fwd_accept(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	      char account[DOT_NET_MAX_NAME + 1])
{
	struct fwd *f = ctx;
	const struct member *m = member_by_id(f->node, f->leader);

	account[0] = '\0';
	if (m == NULL || sodium_memcmp(pk, m->kx, DOT_NET_KEY_LEN) != 0)
		return DOT_NET_REFUSE;
	return DOT_NET_NODE;
}

/* Close the channel to the leader: txs it has not answered are in doubt. */
static void
fwd_close(struct fwd *f, const char *why)
{
	struct node *n = f->node;

	if (f->closing)
		return;
	f->closing = 1;
	if (n->fwd == f)
		n->fwd = NULL;
	for (struct fwdwait **pp = &n->fwd_wait; *pp;) {
		struct fwdwait *w = *pp;
		char msg[300];

		if (w->answered) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		n->nfwd--;
		snprintf(msg, sizeof(msg),
			 "forwarding to the leader failed (%s): the tx may or "
			 "may not be in the ledger; sending the same signed tx "
			 "again is safe (a duplicate is refused)",
			 why);
		w->p->next = NULL;
		fail_batch(n, w->p, DOT_ECONS_LOST, msg);
		free(w);
	}
	creq_fail_relayed(n, why);
	uv_close((uv_handle_t *)&f->tcp, fwd_closed);
}

/* The channel to the current leader, opened if needed; NULL if none. */
static struct fwd *
fwd_get(struct node *n, uint64_t leader)
{
	const struct member *m = member_by_id(n, leader);
	struct sockaddr_storage ss;
	struct fwd *f;

	if (n->fwd != NULL && n->fwd->leader == leader)
		return n->fwd;
	if (n->fwd != NULL)
		fwd_close(n->fwd, "the leader changed");
	if (m == NULL || m->api_addr[0] == '\0' ||
	    dotd_tr_parse_address(m->api_addr, &ss) != 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->raw = malloc(FWD_RAW);
	if (f->raw == NULL || uv_tcp_init(n->loop, &f->tcp) != 0) {
		free(f->raw);
		free(f);
		return NULL;
	}
	f->node = n;
	f->leader = leader;
	f->tcp.data = f;
	f->creq.data = f;
	if (uv_tcp_connect(&f->creq, &f->tcp, (struct sockaddr *)&ss,
			   fwd_connected) != 0) {
		f->closing = 1;
		uv_close((uv_handle_t *)&f->tcp, fwd_closed);
		return NULL;
	}
	n->fwd = f;
	return f;
}

/* Forward one queued tx; DOT_OK, or an error for its client. */
static int
fwd_submit(struct node *n, uint64_t leader, struct pending *p)
{
	struct fwd *f;
	struct fwdwait *w;
	struct dot_buf params = {0}, frame = {0};
	struct dot_tx *tx = NULL;
	struct dot_err e = {0};
	int rv;

	if (n->nfwd >= FWD_MAX_WAIT)
		return DOT_EAPI_BUSY;
	f = fwd_get(n, leader);
	if (f == NULL)
		return DOT_ECONS_NOT_LEADER;
	if (dot_tx_parse(p->tx, p->len, &tx, &e) != DOT_OK)
		return DOT_ETX_FORMAT;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		dot_tx_free(tx);
		return DOT_ENOMEM;
	}
	memcpy(w->txid, tx->id, DOT_TX_ID_LEN);
	dot_tx_free(tx);
	w->p = p;
	w->rid = ++n->fwd_rid;
	dot_enc_bstr(&params, p->tx, p->len);
	rv = params.err;
	if (rv == DOT_OK)
		rv = dot_api_request(&frame, w->rid, "submit", params.data,
				     params.len);
	if (rv == DOT_OK) {
		if (f->ready)
			rv = fwd_send(f, frame.data, frame.len) == 0
				     ? DOT_OK
				     : DOT_ENOMEM;
		else if (dot_buf_reserve(&f->out, frame.len) == DOT_OK)
			dot_buf_put(&f->out, frame.data, frame.len);
		else
			rv = DOT_ENOMEM;
	}
	dot_buf_free(&params);
	dot_buf_free(&frame);
	if (rv != DOT_OK) {
		free(w);
		return rv;
	}
	w->next = n->fwd_wait;
	n->fwd_wait = w;
	n->nfwd++;
	return DOT_OK;
}

/* An applied batch entry: answer the forwarded txs it holds. */
static void
fwd_applied(struct node *n, uint64_t index, const uint8_t *entry, size_t len,
	    const struct dot_buf *receipts)
{
	struct dot_dec d, rd;
	uint64_t two, kind, cnt, nr;

	if (n->fwd_wait == NULL ||
	    dot_dec_init(&d, entry, len, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
	    dot_dec_uint(&d, &kind) != DOT_OK || kind != 2 ||
	    dot_dec_array(&d, &cnt) != DOT_OK ||
	    dot_dec_init(&rd, receipts->data, receipts->len, NULL, NULL) !=
		    DOT_OK ||
	    dot_dec_array(&rd, &nr) != DOT_OK || nr != cnt)
		return;
	for (uint64_t i = 0; i < cnt && n->fwd_wait != NULL; i++) {
		const uint8_t *tx, *r;
		size_t tl, rl;
		struct dot_tx *t = NULL;
		struct dot_err e = {0};

		if (dot_dec_bstr(&d, &tx, &tl) != DOT_OK ||
		    dot_dec_bstr(&rd, &r, &rl) != DOT_OK)
			return;
		if (dot_tx_parse(tx, tl, &t, &e) != DOT_OK)
			continue;
		for (struct fwdwait **pp = &n->fwd_wait; *pp;
		     pp = &(*pp)->next) {
			struct fwdwait *w = *pp;
			struct dot_buf item = {0};

			if (memcmp(w->txid, t->id, DOT_TX_ID_LEN) != 0)
				continue;
			*pp = w->next;
			n->nfwd--;
			if (w->p->conn != NULL) {
				dot_enc_bstr(&item, r, rl);
				respond(w->p->conn, w->p->id, item.err,
					item.data, item.len, NULL);
				dot_buf_free(&item);
				w->p->conn->waiting = 0;
			}
			n->npending--;
			free(w->p->tx);
			free(w->p);
			free(w);
			break;
		}
		dot_tx_free(t);
	}
	(void)index;
	for (struct conn *c = n->conns, *cn; c; c = cn) {
		cn = c->next;
		resume_conn(c);
	}
}

/* ---- the revocation feed (docs/revocation-feed.md) ---- */

/*
 * revocation.feed: the revoked ids as a Bloom filter stamped with the
 * ledger index it reflects, signed by this node's key; made again when the
 * index moves or it is FEED_MAX_AGE seconds old (a verifier refuses stale
 * feeds). revocation.lookup rid: a signed exact answer, "revoked" or "not
 * revoked as of index I", for a filter hit.
 */
#define FEED_MAX_AGE 30

static void
do_feed(struct conn *c, const struct dot_api_msg *m)
{
	struct node *n = c->node;
	struct dot_buf ids = {0}, r = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	uint8_t cid[DOT_CLUSTER_ID_LEN], salt[DOT_REVFEED_SALT_LEN];
	uint64_t index, t, npairs, now = now_s();
	size_t nids = 0;
	int rv = DOT_OK;

	if (dot_dec_init(&d, m->item, m->item_len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &npairs) != DOT_OK || npairs != 0) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"params: {} (an empty map)");
		return;
	}
	dot_state_position(n->st, &index, &t);
	if (n->feed.len == 0 || n->feed_index != index ||
	    now >= n->feed_created + FEED_MAX_AGE || now < n->feed_created) {
		struct dot_revfeed_params fp = {0};

		node_cluster_id(n, cid);
		randombytes_buf(salt, sizeof(salt));
		fp.cluster_id = cid;
		fp.index = index;
		fp.created = now;
		fp.salt = salt;
		rv = dot_state_revoked_ids(n->st, &ids, &nids, &e);
		n->feed.len = 0;
		if (rv == DOT_OK)
			rv = dot_revfeed_build(&fp, ids.data, nids, n->node_key,
					       &n->feed, &e);
		if (rv == DOT_OK) {
			n->feed_index = index;
			n->feed_created = now;
		} else
			dot_buf_free(&n->feed);
	}
	if (rv == DOT_OK) {
		dot_enc_bstr(&r, n->feed.data, n->feed.len);
		rv = r.err;
	}
	respond(c, m->id, rv, r.data, r.len, rv ? e.msg : NULL);
	dot_buf_free(&ids);
	dot_buf_free(&r);
}

static void
do_lookup(struct conn *c, const struct dot_api_msg *m)
{
	struct node *n = c->node;
	struct dot_buf ans = {0}, r = {0};
	struct dot_err e = {0};
	uint8_t cid[DOT_CLUSTER_ID_LEN];
	uint64_t index, t;
	const uint8_t *rid;
	size_t rl;
	int rv, revoked = 1;

	if (param_bytes(m, &rid, &rl) != DOT_OK || rl != DOT_RID_LEN) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"params: the revocation id (32 bytes)");
		return;
	}
	dot_state_position(n->st, &index, &t);
	node_cluster_id(n, cid);
	rv = dot_state_rid_revoked(n->st, rid, &revoked, &e);
	if (rv == DOT_OK)
		rv = dot_revfeed_answer_sign(cid, index, now_s(), rid, revoked,
					     n->node_key, &ans, &e);
	if (rv == DOT_OK) {
		dot_enc_bstr(&r, ans.data, ans.len);
		rv = r.err;
	}
	respond(c, m->id, rv, r.data, r.len, rv ? e.msg : NULL);
	dot_buf_free(&ans);
	dot_buf_free(&r);
}

/* ---- linearizable reads: query.consistent ---- */

/*
 * A read from the replica reflects every entry this node has applied, which
 * may lag what the cluster has committed. query.consistent is linearizable:
 * the leader answers after a raft barrier (every entry committed before the
 * request is applied, and the leader is still the leader); a follower
 * relays the request to the leader over its forwarding channel and passes
 * the answer on. A node outside cluster mode is its own leader.
 */
#define CREQ_MAX 1024

static void
creq_unlink(struct node *n, struct creq *q)
{
	for (struct creq **pp = &n->creqs; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			n->ncreqs--;
			return;
		}
}

static void
creq_barrier_done(void *arg, int status, const struct dot_err *e)
{
	struct creq *q = arg;
	struct node *n = q->node;

	creq_unlink(n, q);
	if (q->conn != NULL && !q->conn->closing) {
		if (status != DOT_OK)
			respond(q->conn, q->id, status, NULL, 0,
				e != NULL && e->msg[0] ? e->msg
						       : "the read barrier "
							 "failed (leadership "
							 "changed?): try again");
		else
			query_answer(q->conn, q->id, q->tx, q->len);
		q->conn->waiting = 0;
		schedule_resume(n);
	}
	free(q->tx);
	free(q);
}

/* Follower: the leader's answer to a relayed read; 1 if it was one. */
static int
creq_answer(struct node *n, const struct dot_api_msg *m)
{
	for (struct creq *q = n->creqs; q; q = q->next) {
		char msg[300];

		if (q->tx != NULL || q->rid != m->id)
			continue;
		creq_unlink(n, q);
		if (m->status != DOT_OK)
			snprintf(msg, sizeof(msg), "the leader: %.*s",
				 (int)(m->message_len < 250 ? m->message_len
							    : 250),
				 m->message != NULL ? m->message : "");
		if (q->conn != NULL) {
			respond(q->conn, q->id, (int)m->status,
				m->status == DOT_OK ? m->item : NULL,
				m->status == DOT_OK ? m->item_len : 0,
				m->status == DOT_OK ? NULL : msg);
			q->conn->waiting = 0;
			schedule_resume(n);
		}
		free(q);
		return 1;
	}
	return 0;
}

/* Follower: the forwarding channel broke; relayed reads fail. */
static void
creq_fail_relayed(struct node *n, const char *why)
{
	for (struct creq **pp = &n->creqs; *pp;) {
		struct creq *q = *pp;
		char msg[300];

		if (q->tx != NULL) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		n->ncreqs--;
		snprintf(msg, sizeof(msg),
			 "the channel to the leader broke (%s): try again",
			 why);
		respond(q->conn, q->id, DOT_ECONS_LOST, NULL, 0, msg);
		if (q->conn != NULL) {
			q->conn->waiting = 0;
			schedule_resume(n);
		}
		free(q);
	}
}

static void
do_query_consistent(struct conn *c, const struct dot_api_msg *m)
{
	struct node *n = c->node;
	struct dot_err e = {0};
	struct creq *q;
	const uint8_t *tx;
	size_t len;
	uint64_t leader = 0;
	const char *laddr = NULL;
	int rv;

	if (param_bytes(m, &tx, &len) != DOT_OK) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"query.consistent takes the signed read tx as a byte "
			"string");
		return;
	}
	if (!n->cluster) {
		query_answer(c, m->id, tx, len);
		return;
	}
	if (n->ncreqs >= CREQ_MAX || (q = calloc(1, sizeof(*q))) == NULL) {
		respond(c, m->id, DOT_EAPI_BUSY, NULL, 0, NULL);
		return;
	}
	q->node = n;
	q->conn = c;
	q->id = m->id;
	if (dotd_cons_is_leader(n->cons)) {
		q->tx = malloc(len ? len : 1);
		if (q->tx == NULL) {
			free(q);
			respond(c, m->id, DOT_ENOMEM, NULL, 0, NULL);
			return;
		}
		memcpy(q->tx, tx, len);
		q->len = len;
		q->next = n->creqs;
		n->creqs = q;
		n->ncreqs++;
		c->waiting = 1; /* answers go out in request order */
		rv = dotd_cons_barrier(n->cons, creq_barrier_done, q, &e);
		if (rv != DOT_OK)
			creq_barrier_done(q, rv, &e);
		return;
	}
	/* A follower relays it to the leader. */
	dotd_cons_leader(n->cons, &leader, &laddr);
	{
		struct fwd *f = leader != 0 ? fwd_get(n, leader) : NULL;
		struct dot_buf frame = {0};

		if (f == NULL) {
			free(q);
			respond(c, m->id, DOT_ECONS_NOT_LEADER, NULL, 0,
				"no leader is known to relay the read to: try "
				"again");
			return;
		}
		q->rid = ++n->fwd_rid;
		rv = dot_api_request(&frame, q->rid, "query.consistent",
				     m->item, m->item_len);
		if (rv == DOT_OK) {
			if (f->ready)
				rv = fwd_send(f, frame.data, frame.len) == 0
					     ? DOT_OK
					     : DOT_ENOMEM;
			else if (dot_buf_reserve(&f->out, frame.len) == DOT_OK)
				dot_buf_put(&f->out, frame.data, frame.len);
			else
				rv = DOT_ENOMEM;
		}
		dot_buf_free(&frame);
		if (rv != DOT_OK) {
			free(q);
			respond(c, m->id, rv, NULL, 0, NULL);
			return;
		}
		q->next = n->creqs;
		n->creqs = q;
		n->ncreqs++;
		c->waiting = 1;
	}
}

/* ---- cosigned checkpoints (decision 0018) ---- */

/*
 * Every node signs the checkpoint of the Merkle log at the same points of
 * the raft log: on applying a cosign command (version 2), which the leader
 * proposes at most every CS_EVERY_TICKS ticks of its 50 ms timer while the
 * log grows. Every node is then at the same tree size, so the signatures
 * agree on (size, root). A follower sends its line to the leader (method
 * "cluster.cosign" on its forwarding channel); the leader checks it and puts
 * the lines it holds into the next cosign command, which every node checks
 * again (the signer must be a member, the root must be the node's own at
 * that size) and keeps (dot_state_cosigs_put). Any node then answers
 * "audit.cosigned" with the newest checkpoint a quorum of the voters
 * signed, waiting up to CS_WAIT_US for one of at least the size asked.
 *
 * A cosign command: the 25-byte header with version 2, then canonical CBOR
 * [* [size, root (32 bytes), key name, signature line]].
 */
#define CS_EVERY_TICKS 2
#define CS_MAX_QUEUE 256
#define CS_MAX_WAIT 1024
#define CS_WAIT_US (10 * 1000000ull)
#define CS_MAX_LINE DOTD_COSIGN_LINE

static const struct member *
member_by_name(struct node *n, const char *name, size_t len)
{
	for (size_t i = 0; i < n->nmembers; i++)
		if (strlen(n->members[i].key_name) == len &&
		    memcmp(n->members[i].key_name, name, len) == 0)
			return &n->members[i];
	return NULL;
}

/* The checkpoint body (c2sp.org/tlog-checkpoint) of this node's log. */
static void
cs_body(struct node *n, uint64_t size, const uint8_t root[DOT_AUDIT_HASH_LEN],
	struct dot_buf *out)
{
	char num[24], b64[sodium_base64_ENCODED_LEN(
		DOT_AUDIT_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
	sodium_bin2base64(b64, sizeof(b64), root, DOT_AUDIT_HASH_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	dot_buf_put(out, n->origin, strlen(n->origin));
	dot_buf_put(out, "\n", 1);
	dot_buf_put(out, num, strlen(num));
	dot_buf_put(out, "\n", 1);
	dot_buf_put(out, b64, strlen(b64));
	dot_buf_put(out, "\n", 1);
}

/*
 * Is `line` member m's valid signature line over the checkpoint (size,
 * root)? DOT_OK, or why not in e.
 */
static int
cs_check(struct node *n, const struct member *m, uint64_t size,
	 const uint8_t root[DOT_AUDIT_HASH_LEN], const char *line, size_t llen,
	 struct dot_err *e)
{
	struct dot_audit_vkey vk;
	struct dot_audit_checkpoint *cp = NULL;
	struct dot_buf note = {0};
	int rv;

	if (llen == 0 || llen > CS_MAX_LINE || memchr(line, '\n', llen) !=
						       line + llen - 1)
		return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
				   "not one signature line");
	rv = dot_audit_vkey_from_pk(&vk, m->key_name, strlen(m->key_name),
				    m->pk, m->pklen);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "no verifier key for %s",
				   m->key_name);
	cs_body(n, size, root, &note);
	dot_buf_put(&note, "\n", 1);
	dot_buf_put(&note, line, llen);
	rv = note.err;
	if (rv == DOT_OK)
		rv = dot_audit_checkpoint_open((const char *)note.data,
					       note.len, &vk, 1, n->origin,
					       strlen(n->origin), &cp, e);
	if (rv == DOT_OK && (cp->note.nverified != 1 || cp->note.nsigs != 1))
		rv = dot_err_set(e, DOT_EAUDIT_NO_KNOWN_SIGNER,
				 "the line is not %s's", m->key_name);
	dot_audit_checkpoint_free(cp);
	dot_buf_free(&note);
	return rv;
}

/* Encode one cosign item. */
static void
cs_item(struct dot_buf *b, uint64_t size, const uint8_t *root,
	const char *name, size_t nlen, const char *line, size_t llen)
{
	dot_enc_array(b, 4);
	dot_enc_uint(b, size);
	dot_enc_bstr(b, root, DOT_AUDIT_HASH_LEN);
	dot_enc_tstr(b, name, nlen);
	dot_enc_tstr(b, line, llen);
}

/* Decode one; DOT_OK or a format error. */
static int
cs_item_dec(struct dot_dec *d, struct dot_state_cosig *c)
{
	uint64_t four;
	const uint8_t *root;
	size_t rl;

	if (dot_dec_array(d, &four) != DOT_OK || four != 4 ||
	    dot_dec_uint(d, &c->size) != DOT_OK ||
	    dot_dec_bstr(d, &root, &rl) != DOT_OK ||
	    rl != DOT_AUDIT_HASH_LEN ||
	    dot_dec_tstr(d, &c->name, &c->name_len) != DOT_OK ||
	    dot_dec_tstr(d, &c->line, &c->line_len) != DOT_OK ||
	    c->name_len == 0 || c->name_len > DOTD_COSIGN_NAME || c->line_len == 0 ||
	    c->line_len > CS_MAX_LINE)
		return DOT_EINVAL;
	memcpy(c->root, root, DOT_AUDIT_HASH_LEN);
	return DOT_OK;
}

/* This node's own root at `size`, from its own line; 0 if it has none. */
struct cs_own {
	const char *name;
	uint8_t root[DOT_AUDIT_HASH_LEN];
	int found;
};

static int
cs_own_cb(void *ctx, const struct dot_state_cosig *c)
{
	struct cs_own *o = ctx;

	if (c->name_len == strlen(o->name) &&
	    memcmp(c->name, o->name, c->name_len) == 0) {
		memcpy(o->root, c->root, sizeof(o->root));
		o->found = 1;
	}
	return DOT_OK;
}

/*
 * Check an item another node signed: a member's line, over the root this
 * node has at that size (when it signed that size itself). DOT_OK if it
 * may be kept.
 */
static int
cs_accept(struct node *n, const struct dot_state_cosig *c, struct dot_err *e)
{
	const struct member *m = member_by_name(n, c->name, c->name_len);
	struct cs_own own = {n->key_name, {0}, 0};
	int rv;

	if (m == NULL)
		return dot_err_set(e, DOT_ECONS_MEMBER,
				   "%.*s is not a member node",
				   (int)c->name_len, c->name);
	rv = cs_check(n, m, c->size, c->root, c->line, c->line_len, e);
	if (rv != DOT_OK)
		return rv;
	if (dot_state_cosigs(n->st, c->size, cs_own_cb, &own, e) != DOT_OK)
		return DOT_OK; /* cannot compare: keep it, checked above */
	if (own.found &&
	    sodium_memcmp(own.root, c->root, DOT_AUDIT_HASH_LEN) != 0) {
		logmsg("ALARM: %.*s signed a checkpoint of size %llu with "
		       "another root than this node's: the logs differ",
		       (int)c->name_len, c->name,
		       (unsigned long long)c->size);
		return dot_err_set(e, DOT_EAUDIT_EQUIVOCATION,
				   "another root at size %llu",
				   (unsigned long long)c->size);
	}
	return DOT_OK;
}

/* Leader: queue a checked item for the next cosign command. */
static void
cs_enqueue(struct node *n, const struct dot_state_cosig *c)
{
	if (n->cs_nqueue >= CS_MAX_QUEUE)
		return; /* the next round signs again */
	cs_item(&n->cs_queue, c->size, c->root, c->name, c->name_len, c->line,
		c->line_len);
	if (n->cs_queue.err != DOT_OK) {
		dot_buf_free(&n->cs_queue);
		n->cs_nqueue = 0;
		return;
	}
	n->cs_nqueue++;
}

static void cs_wake(struct node *n, int expired_only);

/* Follower: send this node's line to the leader (best effort). */
static void
cs_send(struct node *n, const struct dot_state_cosig *c)
{
	uint64_t leader = 0;
	const char *laddr = NULL;
	struct fwd *f;
	struct dot_buf params = {0}, frame = {0};

	dotd_cons_leader(n->cons, &leader, &laddr);
	if (leader == 0 || leader == n->raft_id ||
	    (f = fwd_get(n, leader)) == NULL)
		return;
	cs_item(&params, c->size, c->root, c->name, c->name_len, c->line,
		c->line_len);
	if (params.err == DOT_OK &&
	    dot_api_request(&frame, ++n->fwd_rid, "cluster.cosign",
			    params.data, params.len) == DOT_OK) {
		if (f->ready)
			(void)fwd_send(f, frame.data, frame.len);
		else if (dot_buf_reserve(&f->out, frame.len) == DOT_OK)
			dot_buf_put(&f->out, frame.data, frame.len);
	}
	dot_buf_free(&params);
	dot_buf_free(&frame);
}

/* Collect the items of a cosign command that check. */
struct cs_take {
	struct node *n;
	uint64_t ridx;
	struct dot_state_cosig *items;
	size_t n_items;
};

static int
cs_take_cb(void *ctx, const struct dot_state_cosig *c)
{
	struct cs_take *tk = ctx;
	struct dot_err e = {0};

	if (cs_accept(tk->n, c, &e) == DOT_OK)
		tk->items[tk->n_items++] = *c;
	else
		logmsg("raft entry %llu: a cosignature refused: %s",
		       (unsigned long long)tk->ridx, e.msg);
	return DOT_OK;
}

/* Apply a cosign command: keep the lines that check, sign, pass it on. */
static int
cl_apply_cosign(struct node *n, uint64_t ridx, const uint8_t *p, size_t len)
{
	struct dot_state_cosig *items = NULL, mine;
	struct dot_buf note = {0};
	struct dot_err e = {0};
	uint64_t size;
	uint8_t root[DOT_AUDIT_HASH_LEN];
	size_t nk = 0;
	int rv, signed_now = 0;

	members_refresh(n);
	items = calloc(DOTD_COSIGN_MAX + 1, sizeof(*items));
	if (items == NULL)
		return DOT_ENOMEM;
	{
		struct cs_take tk = {n, ridx, items, 0};

		if (dotd_cosign_parse(p, len, cs_take_cb, &tk, &e) != DOT_OK)
			logmsg("raft entry %llu: a malformed cosign command: "
			       "%s; the rest skipped",
			       (unsigned long long)ridx, e.msg);
		nk = tk.n_items;
	}
	/* This node's own line, at the size every node is at now. */
	dot_state_log_root(n->st, &size, root);
	if (size > 0 && size != n->cs_signed) {
		rv = dot_audit_checkpoint_sign(n->origin, strlen(n->origin),
					       size, root, n->node_key,
					       n->key_name,
					       strlen(n->key_name), &note, &e);
		if (rv == DOT_OK) {
			/* the line: after the blank line that ends the text */
			const char *s = (const char *)note.data;
			const char *bl = NULL;

			for (size_t i = 0; i + 1 < note.len; i++)
				if (s[i] == '\n' && s[i + 1] == '\n')
					bl = s + i + 2;
			if (bl != NULL) {
				mine.size = size;
				memcpy(mine.root, root, sizeof(root));
				mine.name = n->key_name;
				mine.name_len = strlen(n->key_name);
				mine.line = bl;
				mine.line_len = note.len - (size_t)(bl - s);
				items[nk++] = mine;
				signed_now = 1;
			}
		}
	}
	rv = dot_state_cosigs_put(n->st, ridx, items, nk, &e);
	if (rv != DOT_OK)
		logmsg("cannot keep the cosignatures of raft entry %llu: %s",
		       (unsigned long long)ridx, e.msg);
	else if (signed_now) {
		n->cs_signed = size;
		if (dotd_cons_is_leader(n->cons))
			cs_enqueue(n, &mine);
		else
			cs_send(n, &mine);
	}
	free(items);
	dot_buf_free(&note);
	cs_wake(n, 0);
	return rv == DOT_ESTATE_STORAGE ? rv : DOT_OK;
}

/* Leader, on its timer: propose a cosign command when there is news. */
static void
cs_tick(struct node *n)
{
	struct dot_buf cmd = {0};
	uint64_t size;
	uint8_t root[DOT_AUDIT_HASH_LEN];

	if (++n->cs_ticks < CS_EVERY_TICKS || n->nprops >= CL_MAX_PROPS)
		return;
	dot_state_log_root(n->st, &size, root);
	if (size == 0 || (size == n->cs_proposed && n->cs_nqueue == 0))
		return;
	dot_enc_array(&cmd, n->cs_nqueue);
	dot_buf_put(&cmd, n->cs_queue.data, n->cs_queue.len);
	if (cmd.err == DOT_OK &&
	    cl_propose_cmd(n, 2, cmd.data, cmd.len, NULL, 0) == DOT_OK) {
		n->cs_ticks = 0;
		n->cs_proposed = size;
		n->cs_queue.len = 0;
		n->cs_nqueue = 0;
	}
	dot_buf_free(&cmd);
}

/* "cluster.cosign" from a member node: queue its line at the leader. */
static void
do_cosign(struct conn *c, const struct dot_api_msg *m)
{
	struct node *n = c->node;
	const struct dot_net_peer *peer = c->ch ? dot_net_peer(c->ch) : NULL;
	struct dot_state_cosig it;
	struct dot_dec d;
	struct dot_err e = {0};
	int rv;

	if (!n->cluster || peer == NULL || peer->role != DOT_NET_NODE) {
		respond(c, m->id, DOT_ECONS_MEMBER, NULL, 0,
			"only member nodes send cosignatures");
		return;
	}
	if (!dotd_cons_is_leader(n->cons)) {
		respond(c, m->id, DOT_ECONS_NOT_LEADER, NULL, 0, NULL);
		return;
	}
	if (dot_dec_init(&d, m->item, m->item_len, NULL, NULL) != DOT_OK ||
	    cs_item_dec(&d, &it) != DOT_OK || !dot_dec_done(&d)) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"params: [size, root, key name, signature line]");
		return;
	}
	members_refresh(n);
	{
		const struct member *mb =
		    member_by_name(n, it.name, it.name_len);
		if (mb == NULL || sodium_memcmp(mb->kx, peer->static_pk,
						DOT_NET_KEY_LEN) != 0) {
			respond(c, m->id, DOT_ECONS_MEMBER, NULL, 0,
				"a node sends only its own cosignature");
			return;
		}
	}
	rv = cs_accept(n, &it, &e);
	if (rv == DOT_OK) {
		static const uint8_t empty_map[] = {0xa0}; /* {} */

		cs_enqueue(n, &it);
		respond(c, m->id, DOT_OK, empty_map, sizeof(empty_map), NULL);
	} else
		respond(c, m->id, rv, NULL, 0, e.msg);
}

/* The count of current voters, and whether `name` is one. */
static size_t
cs_voters(struct node *n, const char *name, size_t len, int *is_voter)
{
	size_t v = 0;

	*is_voter = 0;
	for (size_t i = 0; i < n->nmembers; i++) {
		if (n->members[i].role != DOT_NODE_VOTER)
			continue;
		v++;
		if (name != NULL && strlen(n->members[i].key_name) == len &&
		    memcmp(n->members[i].key_name, name, len) == 0)
			*is_voter = 1;
	}
	return v;
}

struct cs_note {
	struct node *n;
	struct dot_buf lines;
	size_t voters; /* lines by current voters */
	uint8_t root[DOT_AUDIT_HASH_LEN];
	int have_root, mixed;
};

static int
cs_note_cb(void *ctx, const struct dot_state_cosig *c)
{
	struct cs_note *cn = ctx;
	int v;

	if (member_by_name(cn->n, c->name, c->name_len) == NULL)
		return DOT_OK; /* no longer a member */
	if (cn->have_root &&
	    sodium_memcmp(cn->root, c->root, DOT_AUDIT_HASH_LEN) != 0) {
		cn->mixed = 1;
		return DOT_OK;
	}
	memcpy(cn->root, c->root, DOT_AUDIT_HASH_LEN);
	cn->have_root = 1;
	(void)cs_voters(cn->n, c->name, c->name_len, &v);
	cn->voters += (size_t)v;
	dot_buf_put(&cn->lines, c->line, c->line_len);
	return DOT_OK;
}

/*
 * The newest checkpoint of at least `min` leaves signed by a quorum of the
 * current voters, as a note in out: 1 if found, 0 if none yet, < 0 error.
 */
static int
cs_find(struct node *n, uint64_t min, struct dot_buf *out, uint64_t *found)
{
	uint64_t sizes[16];
	size_t ns = 0, nv;
	struct dot_err e = {0};
	int dummy;

	members_refresh(n);
	nv = cs_voters(n, NULL, 0, &dummy);
	if (nv == 0)
		return 0; /* no voter known yet (a node still joining) */
	if (dot_state_cosig_sizes(n->st, min, sizes, 16, &ns, &e) != DOT_OK)
		return -1;
	for (size_t i = 0; i < ns; i++) {
		struct cs_note cn = {n, {0}, 0, {0}, 0, 0};
		int rv = dot_state_cosigs(n->st, sizes[i], cs_note_cb, &cn, &e);

		if (rv == DOT_OK && !cn.mixed && cn.voters >= nv / 2 + 1) {
			cs_body(n, sizes[i], cn.root, out);
			dot_buf_put(out, "\n", 1);
			dot_buf_put(out, cn.lines.data, cn.lines.len);
			dot_buf_free(&cn.lines);
			if (found != NULL)
				*found = sizes[i];
			return out->err == DOT_OK ? 1 : -1;
		}
		dot_buf_free(&cn.lines);
	}
	return 0;
}

/*
 * The answer to audit.receipt: {1: cosigned note, 2: seq, 3: inclusion
 * proof of the record in that note's tree, 4: tx, 5: receipt}.
 */
static int
cs_receipt(struct node *n, uint64_t seq, const struct dot_buf *note,
	   uint64_t size, struct dot_buf *r, struct dot_err *e)
{
	struct dot_audit_proof pr;
	struct dot_buf enc = {0}, tx = {0}, rc = {0};
	uint64_t entry;
	int rv = dot_state_log_prove(n->st, seq, size, &pr, e);

	if (rv == DOT_OK)
		rv = dot_audit_proof_encode(&pr, &enc);
	if (rv == DOT_OK)
		rv = dot_state_log_get(n->st, seq, &entry, &tx, &rc, e);
	if (rv == DOT_OK) {
		dot_enc_map(r, 5);
		dot_enc_uint(r, 1);
		dot_enc_tstr(r, (const char *)note->data, note->len);
		dot_enc_uint(r, 2);
		dot_enc_uint(r, seq);
		dot_enc_uint(r, 3);
		dot_enc_bstr(r, enc.data, enc.len);
		dot_enc_uint(r, 4);
		dot_enc_bstr(r, tx.data, tx.len);
		dot_enc_uint(r, 5);
		dot_enc_bstr(r, rc.data, rc.len);
		rv = r->err;
	}
	dot_buf_free(&enc);
	dot_buf_free(&tx);
	dot_buf_free(&rc);
	return rv;
}

static void
cs_answer(struct node *n, struct conn *c, uint64_t id, uint64_t min,
	  uint64_t seq, int timed_out)
{
	struct dot_buf note = {0}, r = {0};
	struct dot_err e = {0};
	uint64_t size = 0;
	int rv = cs_find(n, min, &note, &size);

	if (rv > 0 && seq != UINT64_MAX) {
		rv = cs_receipt(n, seq, &note, size, &r, &e);
		respond(c, id, rv, r.data, r.len, rv ? e.msg : NULL);
	} else if (rv > 0) {
		dot_enc_tstr(&r, (const char *)note.data, note.len);
		respond(c, id, r.err, r.data, r.len, NULL);
	} else if (rv < 0)
		respond(c, id, DOT_ESTATE_STORAGE, NULL, 0,
			"cannot read the cosignatures");
	else if (timed_out) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "no checkpoint of at least %llu leaves was signed by "
			 "a quorum of the voters within %llu s",
			 (unsigned long long)min,
			 (unsigned long long)(CS_WAIT_US / 1000000));
		respond(c, id, DOT_ECONS_NO_QUORUM, NULL, 0, msg);
	}
	dot_buf_free(&note);
	dot_buf_free(&r);
}

/* Answer the waiting requests that can be (or that ran out of time). */
static void
cs_wake(struct node *n, int expired_only)
{
	uint64_t now = now_us();
	int resumed = 0;

	for (struct cswait **pp = &n->cs_wait; *pp;) {
		struct cswait *w = *pp;
		struct dot_buf note = {0};
		int found = 0;

		if (w->conn == NULL || w->conn->closing) {
			*pp = w->next;
			free(w);
			continue;
		}
		if (!expired_only)
			found = cs_find(n, w->min, &note, NULL) != 0;
		dot_buf_free(&note);
		if (found || now >= w->deadline) {
			cs_answer(n, w->conn, w->id, w->min, w->seq, 1);
			w->conn->waiting = 0;
			resumed = 1;
			*pp = w->next;
			free(w);
			continue;
		}
		pp = &w->next;
	}
	if (resumed)
		schedule_resume(n);
}

/* Wait for a quorum-signed checkpoint of at least `min` records. */
static void
cs_wait_for(struct conn *c, uint64_t id, uint64_t min, uint64_t seq)
{
	struct node *n = c->node;
	struct dot_buf tmp = {0};
	struct cswait *w, **pp;
	size_t cnt = 0;
	int rv = n->cluster ? cs_find(n, min, &tmp, NULL) : 0;

	dot_buf_free(&tmp);
	if (rv != 0) {
		cs_answer(n, c, id, min, seq, 0);
		return;
	}
	for (pp = &n->cs_wait; *pp; pp = &(*pp)->next)
		cnt++;
	w = cnt < CS_MAX_WAIT ? calloc(1, sizeof(*w)) : NULL;
	if (w == NULL) {
		respond(c, id, DOT_EAPI_BUSY, NULL, 0, NULL);
		return;
	}
	w->conn = c;
	w->id = id;
	w->min = min;
	w->seq = seq;
	w->deadline = now_us() + CS_WAIT_US;
	*pp = w;
	c->waiting = 1; /* answers go out in request order */
}

/*
 * "audit.cosigned" min: the newest checkpoint of at least `min` records
 * signed by a quorum of the voters, as a C2SP note; waits for one up to
 * CS_WAIT_US. One node outside cluster mode is its own quorum.
 */
static void
do_cosigned(struct conn *c, const struct dot_api_msg *m)
{
	struct node *n = c->node;
	uint64_t min = 0, size;
	uint8_t root[DOT_AUDIT_HASH_LEN];
	struct dot_dec d;

	if (dot_dec_init(&d, m->item, m->item_len, NULL, NULL) != DOT_OK ||
	    dot_dec_uint(&d, &min) != DOT_OK || !dot_dec_done(&d)) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"params: the least tree size (an unsigned integer)");
		return;
	}
	if (!n->cluster) {
		dot_state_log_root(n->st, &size, root);
		if (size < min)
			respond(c, m->id, DOT_ECONS_NO_QUORUM, NULL, 0,
				"the log is shorter than that");
		else
			do_checkpoint(c, m->id);
		return;
	}
	cs_wait_for(c, m->id, min, UINT64_MAX);
}

/*
 * The record of tx `txid` in ledger entry `entry`: records are in entry
 * order, so a binary search over seq finds the entry's first one.
 */
static int
find_record(struct node *n, uint64_t entry, const uint8_t *txid,
	    uint64_t *seq, struct dot_err *e)
{
	uint64_t size, lo = 0, hi, at;
	uint8_t root[DOT_AUDIT_HASH_LEN];
	int rv;

	dot_state_log_root(n->st, &size, root);
	hi = size;
	while (lo < hi) { /* the first record with an entry >= `entry` */
		struct dot_buf tx = {0}, rc = {0};
		uint64_t mid = lo + (hi - lo) / 2;

		rv = dot_state_log_get(n->st, mid, &at, &tx, &rc, e);
		dot_buf_free(&tx);
		dot_buf_free(&rc);
		if (rv != DOT_OK)
			return rv;
		if (at < entry)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint64_t s = lo; s < size && s < lo + DOT_STATE_MAX_BATCH + 1;
	     s++) {
		struct dot_buf tx = {0}, rc = {0};
		struct dot_receipt *r = NULL;
		int same = 0;

		rv = dot_state_log_get(n->st, s, &at, &tx, &rc, e);
		if (rv == DOT_OK && at == entry &&
		    dot_receipt_parse(rc.data, rc.len, &r, e) == DOT_OK)
			same = sodium_memcmp(r->tx_id, txid,
					     DOT_TX_ID_LEN) == 0;
		dot_receipt_free(r);
		dot_buf_free(&tx);
		dot_buf_free(&rc);
		if (rv != DOT_OK)
			return rv;
		if (at != entry)
			break;
		if (same) {
			*seq = s;
			return DOT_OK;
		}
	}
	return dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
			   "no such tx in ledger entry %llu (not applied "
			   "here yet?)",
			   (unsigned long long)entry);
}

/*
 * "audit.receipt" {1: ledger entry index, 2: tx id}: the tx's quorum
 * receipt, once a checkpoint that holds it is signed by a quorum of the
 * voters (waits up to CS_WAIT_US): {1: cosigned note, 2: seq, 3: inclusion
 * proof, 4: tx, 5: receipt}. One node outside cluster mode signs alone.
 */
static void
do_receipt(struct conn *c, const struct dot_api_msg *m)
{
	struct node *n = c->node;
	struct dot_dec d;
	struct dot_err e = {0};
	uint64_t two, k1, k2, entry, seq = 0;
	const uint8_t *txid;
	size_t tl;
	int rv;

	if (dot_dec_init(&d, m->item, m->item_len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &two) != DOT_OK || two != 2 ||
	    dot_dec_uint(&d, &k1) != DOT_OK || k1 != 1 ||
	    dot_dec_uint(&d, &entry) != DOT_OK ||
	    dot_dec_uint(&d, &k2) != DOT_OK || k2 != 2 ||
	    dot_dec_bstr(&d, &txid, &tl) != DOT_OK || tl != DOT_TX_ID_LEN ||
	    !dot_dec_done(&d)) {
		respond(c, m->id, DOT_EAPI_FORMAT, NULL, 0,
			"params: {1: ledger entry index, 2: tx id}");
		return;
	}
	rv = find_record(n, entry, txid, &seq, &e);
	if (rv != DOT_OK) {
		respond(c, m->id, rv, NULL, 0, e.msg);
		return;
	}
	if (!n->cluster) {
		struct dot_buf note = {0}, r = {0};
		uint64_t size;
		uint8_t root[DOT_AUDIT_HASH_LEN];

		dot_state_log_root(n->st, &size, root);
		rv = dot_audit_checkpoint_sign(n->origin, strlen(n->origin),
					       size, root, n->node_key,
					       n->key_name,
					       strlen(n->key_name), &note, &e);
		if (rv == DOT_OK)
			rv = cs_receipt(n, seq, &note, size, &r, &e);
		respond(c, m->id, rv, r.data, r.len, rv ? e.msg : NULL);
		dot_buf_free(&note);
		dot_buf_free(&r);
		return;
	}
	cs_wait_for(c, m->id, seq + 1, seq);
}

/* ---- the leader makes raft's configuration follow the ledger ---- */

struct cfgscan {
	struct node *n;
	uint64_t add_id, assign_id, remove_id;
	int assign_role;
	const char *add_addr;
	int add_role;
};

static int
cons_role(int node_role)
{
	return node_role == DOT_NODE_VOTER ? DOTD_CONS_VOTER
					   : DOTD_CONS_STANDBY;
}

static void
cfg_current(void *ctx, const struct dotd_cons_member *m)
{
	struct cfgscan *sc = ctx;
	const struct member *want = member_by_id(sc->n, m->id);

	if (want == NULL) {
		if (m->id != sc->n->raft_id && sc->remove_id == 0)
			sc->remove_id = m->id;
	} else if (cons_role(want->role) != m->role && sc->assign_id == 0) {
		sc->assign_id = m->id;
		sc->assign_role = cons_role(want->role);
	}
}

struct cfghas {
	uint64_t id;
	int found;
};

static void
cfg_has(void *ctx, const struct dotd_cons_member *m)
{
	struct cfghas *h = ctx;

	if (m->id == h->id)
		h->found = 1;
}

static void
cl_changed(void *arg, int status, const struct dot_err *e)
{
	struct node *n = arg;

	n->changing = 0;
	if (status != DOT_OK)
		logmsg("raft membership change: %s (%s); tried again",
		       dot_strerror(status), e != NULL ? e->msg : "");
}

/* One change at a time: add a node the ledger admitted, give a node the
 * role the ledger says, take out a node the ledger removed. */
static void
cl_reconcile(struct node *n)
{
	struct cfgscan sc = {n, 0, 0, 0, 0, NULL, 0};
	struct dot_err e = {0};
	int rv = DOT_OK;

	if (n->changing || n->members_from_file || n->nmembers == 0)
		return;
	if (member_by_id(n, n->raft_id) == NULL) {
		/* The ledger removed this node, the leader: hand leadership
		 * to another voter, which then takes this node out. */
		logmsg("raft: this node was removed from the ledger; handing "
		       "leadership over");
		if (dotd_cons_transfer(n->cons, 0, cl_changed, n, &e) ==
		    DOT_OK)
			n->changing = 1;
		else
			logmsg("raft: leadership transfer: %s", e.msg);
		return;
	}
	dotd_cons_members(n->cons, cfg_current, &sc);
	for (size_t i = 0; i < n->nmembers && sc.add_id == 0; i++) {
		struct cfghas h = {n->members[i].id, 0};

		dotd_cons_members(n->cons, cfg_has, &h);
		if (!h.found) {
			sc.add_id = n->members[i].id;
			sc.add_addr = n->members[i].raft_addr;
			sc.add_role = cons_role(n->members[i].role);
		}
	}
	if (sc.add_id != 0) {
		logmsg("raft: adding node %llu at %s",
		       (unsigned long long)sc.add_id, sc.add_addr);
		rv = dotd_cons_add(n->cons, sc.add_id, sc.add_addr,
				   sc.add_role, cl_changed, n, &e);
	} else if (sc.assign_id != 0) {
		logmsg("raft: node %llu becomes a %s",
		       (unsigned long long)sc.assign_id,
		       sc.assign_role == DOTD_CONS_VOTER ? "voter" : "standby");
		rv = dotd_cons_assign(n->cons, sc.assign_id, sc.assign_role,
				      cl_changed, n, &e);
	} else if (sc.remove_id != 0) {
		logmsg("raft: removing node %llu",
		       (unsigned long long)sc.remove_id);
		rv = dotd_cons_remove(n->cons, sc.remove_id, cl_changed, n,
				      &e);
	} else {
		return;
	}
	if (rv == DOT_OK)
		n->changing = 1;
	else
		logmsg("raft membership change: %s", e.msg);
}

/* Every 50 ms: a new leader proposes the genesis of an empty ledger, and
 * takes up txs queued while nobody led. */
static void
on_cl_timer(uv_timer_t *t)
{
	struct node *n = t->data;
	uint64_t index, at;

	if (n->cons == NULL || n->stopping)
		return;
	members_refresh(n);
	cs_wake(n, 1);
	dotd_cons_tick(n->cons, uv_now(n->loop));
	if (n->have_tr && uv_now(n->loop) >= n->tr_log_at) {
		struct dotd_tr_stats ts;

		dotd_tr_stats(&n->tr, &ts);
		if (ts.refused > n->tr_refused_seen) {
			logmsg("raft address: %llu handshakes refused or failed "
			       "(keys of no member node, or broken "
			       "handshakes), %llu in all",
			       (unsigned long long)(ts.refused -
						    n->tr_refused_seen),
			       (unsigned long long)ts.refused);
			n->tr_refused_seen = ts.refused;
			n->tr_log_at = uv_now(n->loop) + 10000;
		}
	}
	if (!dotd_cons_is_leader(n->cons))
		return;
	dot_state_position(n->st, &index, &at);
	if (index > 0)
		cl_reconcile(n);
	if (index > 0)
		cs_tick(n);
	if (index == 0 && n->genesis != NULL && !n->genesis_proposed) {
		if (cl_propose(n, n->genesis, n->genesis_len, NULL, 0) ==
		    DOT_OK) {
			n->genesis_proposed = 1;
			logmsg("leader: proposed the genesis");
		}
		return;
	}
	if (index > 0 && n->genesis != NULL) {
		free(n->genesis);
		n->genesis = NULL;
	}
	if (n->head != NULL)
		start_entry(n);
}

static int
cl_open(struct node *n, struct dot_err *e)
{
	struct dotd_tr_config tc;
	struct dotd_cons_config cc;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen = dot_sign_sk_public(n->node_key, pk);
	char dir[4200];
	int fresh, rv;

	/* Proposal numbers start at random: entries this node proposed before
	 * a restart may still be committed and applied after it, and must not
	 * be taken for this process's proposals (cl_apply matches by origin
	 * and number). 2^62 starts; a process proposes far fewer. */
	randombytes_buf(&n->prop_seq, sizeof(n->prop_seq));
	n->prop_seq &= (UINT64_C(1) << 62) - 1;
	snprintf(dir, sizeof(dir), "%s/raft", n->dir);
	fresh = mkdir(dir, 0700) == 0;
	if (!fresh && errno != EEXIST)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", dir,
				   strerror(errno));
	n->raft_id = dot_state_node_raft_id(pk, pklen);
	memset(&tc, 0, sizeof(tc));
	tc.loop = n->loop;
	node_cluster_id(n, tc.cluster_id);
	tc.static_sk = n->kx_sk;
	tc.members.key_of = cl_key_of;
	tc.members.member = cl_member;
	tc.members.ctx = n;
	tc.handshake_timeout_us = n->hs_timeout_us;
	tc.require_kem = node_hybrid(n);
	rv = dotd_tr_init(&n->tr, &tc, e);
	if (rv != DOT_OK)
		return rv;
	n->have_tr = 1;
	memset(&cc, 0, sizeof(cc));
	cc.loop = n->loop;
	cc.dir = dir;
	cc.id = n->raft_id;
	cc.address = n->raft_addr;
	cc.transport = &n->tr;
	cc.fsm.apply = cl_apply;
	cc.fsm.snapshot = cl_snapshot;
	cc.fsm.restore = cl_restore;
#ifndef DOT_BENCH_UNCHECKED
	cc.fsm.received = cl_received;
#endif
	cc.fsm.ctx = n;
	cc.snapshot_threshold = n->snapshot_every; /* 0: the engine's */
	cc.snapshot_trailing = n->snapshot_every == 0	  ? 0
			       : n->snapshot_every / 4 ? n->snapshot_every / 4
						       : 1;
	rv = dotd_cons_open(&n->cons, &cc, e);
	if (rv != DOT_OK)
		return rv;
	if (fresh && n->genesis == NULL) {
		/* A joining node: the leader adds it to the configuration
		 * once the ledger admits it; it bootstraps nothing. */
		logmsg("raft: waiting to be added by the leader (raft id "
		       "%llu at %s)",
		       (unsigned long long)n->raft_id, n->raft_addr);
	} else if (fresh) {
		/* First start: a one-voter configuration of this node. */
		struct dotd_cons_member self = {n->raft_id, n->raft_addr,
						DOTD_CONS_VOTER};
		rv = dotd_cons_bootstrap(n->cons, &self, 1, e);
		if (rv != DOT_OK)
			return rv;
		logmsg("raft: bootstrapped a one-voter cluster (raft id "
		       "%llu at %s)",
		       (unsigned long long)n->raft_id, n->raft_addr);
	}
	rv = dotd_cons_start(n->cons, e);
	if (rv != DOT_OK)
		return rv;
	uv_timer_init(n->loop, &n->cl_timer);
	n->cl_timer.data = n;
	uv_timer_start(&n->cl_timer, on_cl_timer, 50, 50);
	n->have_cl_timer = 1;
	return DOT_OK;
}

static void
cl_closed(void *arg)
{
	struct node *n = arg;

	n->cons_closed = 1;
}

/* Stop consensus and let its handles close (before close_node). */
static void
cl_close(struct node *n)
{
	if (n->have_cl_timer) {
		uv_close((uv_handle_t *)&n->cl_timer, NULL);
		n->have_cl_timer = 0;
	}
	if (n->fwd != NULL)
		fwd_close(n->fwd, "the node is stopping"); /* closed below */
	if (n->cons != NULL) {
		dotd_cons_close(n->cons, cl_closed, n);
		n->cons = NULL;
		while (!n->cons_closed)
			uv_run(n->loop, UV_RUN_ONCE);
	}
	if (n->have_tr) {
		dotd_tr_free(&n->tr);
		n->have_tr = 0;
	}
	while (n->props != NULL) {
		struct proposal *pr = n->props;
		n->props = pr->next;
		for (struct pending *p = pr->batch, *q; p; p = q) {
			q = p->next;
			free(p->tx);
			free(p);
		}
		free(pr);
	}
	free(n->genesis);
	n->genesis = NULL;
	while (n->fwd_wait != NULL) {
		struct fwdwait *w = n->fwd_wait;

		n->fwd_wait = w->next;
		free(w->p->tx);
		free(w->p);
		free(w);
	}
	while (n->creqs != NULL) {
		struct creq *q = n->creqs;

		n->creqs = q->next;
		free(q->tx);
		free(q);
	}
	n->ncreqs = 0;
	free(n->members);
	n->members = NULL;
	n->nmembers = 0;
}

/* ---- start-up ---- */

struct replay_ctx {
	struct node *n;
	uint64_t applied;
};

static int
replay_one(void *ctx, uint64_t index, uint64_t t, const uint8_t *entry,
	   size_t len)
{
	struct replay_ctx *r = ctx;
	struct dot_buf receipts = {0};
	struct dot_err e = {0};
	uint64_t at, at_t;
	int rv;

	dot_state_position(r->n->st, &at, &at_t);
	if (index <= at)
		return DOT_OK; /* already in the state */
	rv = dot_state_apply(r->n->st, index, t, entry, len, &receipts, &e);
	dot_buf_free(&receipts);
	if (rv == DOT_ESTATE_STORAGE || rv == DOT_ENOMEM || rv == DOT_EINVAL) {
		logmsg("replaying entry %llu: %s (%s)",
		       (unsigned long long)index, dot_strerror(rv), e.msg);
		return rv;
	}
	r->applied++;
	return DOT_OK;
}

static int
read_file(const char *path, uint8_t **out, size_t *n)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    len > (1 << 20) || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	*out = malloc((size_t)len + 1);
	if (*out == NULL || fread(*out, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(*out);
		return -1;
	}
	fclose(f);
	*n = (size_t)len;
	return 0;
}

static void
hex(char *out, const uint8_t *p, size_t n)
{
	static const char h[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * The node's signing key, for checkpoints and receipts: DIR/node.seed
 * (docs/key-file.md §8: an Ed25519 seed, or 0x03 then a composite key's;
 * mode 0600), made on first start, composite when the state's crypto
 * policy is hybrid. Until the key agent exists the seed sits in the data
 * directory, readable by the node's user only (docs/threat-model.md).
 */
static int
load_node_key(struct node *n, struct dot_err *e)
{
	char path[4096], idhex[2 * DOT_KEY_ID_LEN + 1];
	char cid[2 * DOT_CLUSTER_ID_LEN + 1];
	uint8_t seed[DOT_SEED_LEN], b[DOT_NODE_SEED_MAX + 1];
	uint8_t pk[DOT_SIGN_PK_MAX], id[DOT_KEY_ID_LEN];
	uint8_t cluster[DOT_CLUSTER_ID_LEN];
	size_t pklen, len = 0;
	ssize_t r;
	int fd, rv;

	snprintf(path, sizeof(path), "%s/node.seed", n->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		uint8_t suite = dot_state_crypto_policy(n->st) &
						DOT_POLICY_HYBRID
					? DOT_SUITE_ED25519_MLDSA65
					: DOT_SUITE_ED25519;

		randombytes_buf(seed, sizeof(seed));
		len = dot_node_seed_encode(suite, seed, b);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, b, len) != (ssize_t)len ||
		    fsync(fd) != 0) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
					 strerror(errno));
			goto out;
		}
		close(fd);
		logmsg("made a node key (%s) at %s", dot_suite_name(suite),
		       path);
	} else if (fd < 0) {
		rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
				 strerror(errno));
		goto out;
	} else {
		do {
			r = read(fd, b + len, sizeof(b) - len);
			if (r > 0)
				len += (size_t)r;
		} while ((r < 0 && errno == EINTR) ||
			 (r > 0 && len < sizeof(b)));
		close(fd);
	}
	fd = -1;
	rv = dot_node_seed_open(b, len, &n->node_key);
	if (rv != DOT_OK) {
		rv = dot_err_set(e, DOT_ESTATE_STORAGE,
				 "%s: not a node key (32 bytes, an Ed25519 "
				 "seed, or 33: 0x03 then a composite key's "
				 "seed): %s",
				 path, dot_strerror(rv));
		goto out;
	}
	pklen = dot_sign_sk_public(n->node_key, pk);
	/* The channel's static key is the node key in X25519 form (decision
	 * 0013), kept in guarded memory like the signing key. */
	n->kx_sk = sodium_malloc(DOT_NET_KEY_LEN);
	if (n->kx_sk == NULL) {
		rv = DOT_ENOMEM;
		goto out;
	}
	rv = dot_sign_sk_to_kx(n->node_key, n->kx_sk);
	if (rv == DOT_OK)
		rv = dot_sign_pk_to_kx(pk, pklen, n->kx_pk);
	if (rv != DOT_OK) {
		rv = dot_err_set(e, rv, "the node key has no X25519 form");
		goto out;
	}
	dot_key_id(pk, pklen, id);
	hex(idhex, id, sizeof(id));
	snprintf(n->key_name, sizeof(n->key_name), "node-%s", idhex);
	node_cluster_id(n, cluster);
	hex(cid, cluster, sizeof(cluster));
	snprintf(n->origin, sizeof(n->origin), "doteros/%s", cid);
out:
	if (fd >= 0)
		close(fd);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(b, sizeof(b));
	return rv;
}

/*
 * Cluster mode, at start: the member nodes (the state's, else DIR/members
 * for a node that joined and has not applied the ledger yet) and the
 * cluster id (the state's, else the genesis file's, else DIR/members').
 */
static int
learn_members(struct node *n, struct dot_err *e)
{
	dot_state_cluster_id(n->st, n->cluster_id);
	n->members_epoch = 0;
	members_refresh(n);
	if (n->nmembers == 0) {
		char mp[4200];
		uint8_t *mb;
		size_t ml;
		int rv;

		snprintf(mp, sizeof(mp), "%s/members", n->dir);
		if (read_file(mp, &mb, &ml) == 0) {
			uint8_t cid[DOT_CLUSTER_ID_LEN] = {0};

			rv = members_from_file(n, mb, ml, cid, e);
			free(mb);
			if (rv != DOT_OK)
				return dot_err_set(e, rv, "%s: %s", mp,
						   e->msg);
			if (sodium_is_zero(n->cluster_id, DOT_CLUSTER_ID_LEN))
				memcpy(n->cluster_id, cid, sizeof(cid));
			n->members_from_file = 1;
			n->members_epoch = dot_state_nodes_epoch(n->st);
			logmsg("%s: %zu member nodes until the ledger names "
			       "them",
			       mp, n->nmembers);
		}
	}
	if (sodium_is_zero(n->cluster_id, DOT_CLUSTER_ID_LEN) &&
	    n->genesis != NULL) {
		/* the genesis not applied yet: its cluster id (key 1) */
		struct dot_dec d;
		uint64_t two, kind, nm, k;
		const uint8_t *cid;
		size_t cl;

		if (dot_dec_init(&d, n->genesis, n->genesis_len, NULL, NULL) ==
			    DOT_OK &&
		    dot_dec_array(&d, &two) == DOT_OK &&
		    dot_dec_uint(&d, &kind) == DOT_OK &&
		    dot_dec_map(&d, &nm) == DOT_OK &&
		    dot_dec_uint(&d, &k) == DOT_OK && k == 1 &&
		    dot_dec_bstr(&d, &cid, &cl) == DOT_OK &&
		    cl == DOT_CLUSTER_ID_LEN)
			memcpy(n->cluster_id, cid, cl);
	}
	return DOT_OK;
}

static int
open_node(struct node *n, struct dot_err *e)
{
	char path[4096];
	struct replay_ctx rc = {n, 0};
	uint64_t index, t;
	int rv;

	snprintf(path, sizeof(path), "%s/lock", n->dir);
	n->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (n->lock_fd < 0 || flock(n->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return dot_err_set(e, DOT_ESTATE_STORAGE,
				   "%s: %s (is another dotd running on this "
				   "directory?)",
				   path, strerror(errno));
	snprintf(path, sizeof(path), "%s/state.db", n->dir);
	if (sqlite3_open_v2(path, &n->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
				   sqlite3_errmsg(n->db));
	/* The log is the durable record; the database may lag it after a
	 * crash and is brought forward by replay. */
	/* 64 MiB of page cache and memory-mapped reads keep the working set
	 * out of pread. While the log replays, SQLite checkpoints every 1000
	 * pages (4 MiB of WAL) itself; once serving, ckpt.c does it off the
	 * loop. */
	if (sqlite3_exec(n->db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = "
			 "NORMAL; PRAGMA cache_size = -65536; PRAGMA "
			 "mmap_size = 268435456; PRAGMA wal_autocheckpoint = "
			 "1000; PRAGMA temp_store = MEMORY;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
				   sqlite3_errmsg(n->db));
	rv = dot_state_open(n->db, &n->st, e);
	if (rv != DOT_OK)
		return rv;
	if (n->cluster) {
		/* The replicated log is raft's (DIR/raft); the state is
		 * brought forward by the engine's apply. An empty ledger
		 * keeps its genesis for the first leader to propose. */
		dot_state_position(n->st, &index, &t);
		n->last_time = t;
		if (index == 0) {
			char mpath[4200];

			snprintf(path, sizeof(path), "%s/genesis", n->dir);
			snprintf(mpath, sizeof(mpath), "%s/members", n->dir);
			if (read_file(path, &n->genesis, &n->genesis_len) != 0 &&
			    access(mpath, R_OK) != 0)
				return dot_err_set(
				    e, DOT_ESTATE_GENESIS,
				    "%s: %s (found a cluster with: dot init "
				    "--dir %s --admin-key NAME; or join one "
				    "with: dot node join --dir %s --invite "
				    "...)",
				    path, strerror(errno), n->dir, n->dir);
		}
		rv = learn_members(n, e);
		if (rv != DOT_OK)
			return rv;
		goto key;
	}
	snprintf(path, sizeof(path), "%s/log", n->dir);
	rv = dotd_log_open(&n->log, path, replay_one, &rc, e);
	if (rv != DOT_OK)
		return rv;
	if (n->log.truncated)
		logmsg("log: cut a torn last record of %llu bytes (an append "
		       "that never completed; saved beside the log)",
		       (unsigned long long)n->log.truncated);
	n->next_index = n->log.last_index + 1;
	n->last_time = n->log.last_time;
	dot_state_position(n->st, &index, &t);
	if (index > n->log.last_index)
		return dot_err_set(e, DOT_ESTATE_STORAGE,
				   "the state is at entry %llu but the log "
				   "ends at %llu: the log was truncated or "
				   "replaced",
				   (unsigned long long)index,
				   (unsigned long long)n->log.last_index);
	if (n->log.last_index == 0) {
		uint8_t *g;
		size_t glen;
		struct dot_buf r = {0};

		snprintf(path, sizeof(path), "%s/genesis", n->dir);
		if (read_file(path, &g, &glen) != 0)
			return dot_err_set(e, DOT_ESTATE_GENESIS,
					   "%s: %s (create it with: dot init "
					   "--dir %s --admin-key NAME)",
					   path, strerror(errno), n->dir);
		/* Try it on a scratch state first: a genesis that does not
		 * apply must never reach the log. */
		{
			sqlite3 *scratch = NULL;
			struct dot_state *sst = NULL;
			rv = sqlite3_open(":memory:", &scratch) == SQLITE_OK
				     ? dot_state_open(scratch, &sst, e)
				     : DOT_ESTATE_STORAGE;
			if (rv == DOT_OK)
				rv = dot_state_apply(sst, 1, now_s(), g, glen,
						     &r, e);
			dot_state_close(sst);
			sqlite3_close(scratch);
			dot_buf_free(&r);
			if (rv != DOT_OK) {
				free(g);
				return dot_err_set(e, DOT_ESTATE_GENESIS,
						   "%s is not a valid genesis: "
						   "%s",
						   path, e->msg);
			}
		}
		rv = write_entry(n, g, glen, &r, e);
		free(g);
		dot_buf_free(&r);
		if (rv != DOT_OK)
			return rv;
		dot_state_position(n->st, &index, &t);
		if (index != 1)
			return dot_err_set(e, DOT_ESTATE_GENESIS,
					   "%s is not a valid genesis", path);
		logmsg("genesis applied from %s", path);
	}
key:
	rv = load_node_key(n, e);
	if (rv != DOT_OK)
		return rv;
	snprintf(path, sizeof(path), "%s/state.db", n->dir);
	rv = dotd_ckpt_start(&n->ckpt, n->db, path,
			     n->wal_reset / 16 > 8 ? n->wal_reset / 16 : 8,
			     n->wal_reset, 4 * n->wal_reset, e);
	if (rv != DOT_OK)
		return rv;
	if (n->cluster) {
		dot_state_position(n->st, &index, &t);
		logmsg("state at entry %llu (raft index %llu)",
		       (unsigned long long)index,
		       (unsigned long long)dot_state_log_ref(n->st));
		return DOT_OK;
	}
	logmsg("state at entry %llu (%llu replayed from the log)",
	       (unsigned long long)n->log.last_index,
	       (unsigned long long)rc.applied);
	return DOT_OK;
}

static int
listen_unix(struct node *n, const char *path, struct dot_err *e)
{
	mode_t old;
	int rv;

	if (strlen(path) >= 100)
		return dot_err_set(e, DOT_EINVAL, "socket path too long: %s",
				   path);
	snprintf(n->sock_path, sizeof(n->sock_path), "%s", path);
	unlink(path);
	uv_pipe_init(n->loop, &n->unix_server, 0);
	n->unix_server.data = n;
	old = umask(0077); /* the socket is created owner-only */
	rv = uv_pipe_bind(&n->unix_server, path);
	umask(old);
	if (rv == 0)
		rv = chmod(path, 0600) == 0 ? 0 : -errno;
	if (rv == 0)
		rv = uv_listen((uv_stream_t *)&n->unix_server, 128,
			       on_connection);
	if (rv != 0)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "socket %s: %s",
				   path, uv_strerror(rv));
	return DOT_OK;
}

/*
 * --listen HOST:PORT (an IPv4 address, or [IPv6]:PORT): every connection
 * runs the secure channel, so any address may be given; the cookie gate
 * and the handshake limits are set up here.
 */
static int
listen_tcp(struct node *n, const char *orig, struct dot_err *e)
{
	const char *spec = orig;
	char host[64];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage addr;
	uint8_t cid[DOT_CLUSTER_ID_LEN];
	size_t hl;
	long port;
	char *end;
	int rv;

	if (colon == NULL)
		return dot_err_set(e, DOT_EINVAL,
				   "--listen wants HOST:PORT (127.0.0.1:7000, "
				   "0.0.0.0:7000 or [::1]:7000)");
	hl = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (hl < 2 || spec[hl - 1] != ']')
			return dot_err_set(e, DOT_EINVAL,
					   "--listen %s: an IPv6 address is "
					   "written [ADDR]:PORT", orig);
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return dot_err_set(e, DOT_EINVAL, "--listen %s: bad host",
				   orig);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return dot_err_set(e, DOT_EINVAL, "bad port in %s", orig);
	memset(&addr, 0, sizeof(addr));
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&addr) != 0 &&
	    uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&addr) != 0)
		return dot_err_set(e, DOT_EINVAL,
				   "--listen %s: '%s' is not an IP address",
				   orig, host);
	node_cluster_id(n, cid);
	if (dot_net_gate_new(&n->gate, cid, chan_rand, NULL) != DOT_OK)
		return dot_err_set(e, DOT_ENOMEM, "cannot make the cookie gate");
	uv_tcp_init(n->loop, &n->tcp_server);
	n->tcp_server.data = n;
	rv = uv_tcp_bind(&n->tcp_server, (const struct sockaddr *)&addr, 0);
	if (rv == 0)
		rv = uv_listen((uv_stream_t *)&n->tcp_server, 128,
			       on_connection);
	if (rv != 0)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "listen %s: %s", orig,
				   uv_strerror(rv));
	n->have_tcp = 1;
	uv_timer_init(n->loop, &n->chan_timer);
	n->chan_timer.data = n;
	uv_timer_start(&n->chan_timer, on_chan_timer, 1000, 1000);
	n->have_timer = 1;
	return DOT_OK;
}

static void
on_signal(uv_signal_t *s, int sig)
{
	struct node *n = s->data;

	logmsg("signal %d: stopping", sig);
	n->stopping = 1;
	uv_stop(n->loop);
}

/* Release what open_node took (any part of it may be missing). */
static void
close_node(struct node *n)
{
	stop_log_thread(n);
	for (struct pending *p = n->job.batch, *q; n->log_busy && p; p = q) {
		q = p->next;
		free(p->tx);
		free(p);
	}
	n->job.batch = NULL;
	dot_buf_free(&n->job.entry);
	dot_buf_free(&n->spare);
	dotd_ckpt_stop(n->ckpt);
	n->ckpt = NULL;
	if (n->rdb != NULL)
		sqlite3_close(n->rdb);
	n->rdb = NULL;
	for (struct statusreq *q = n->status_wait, *qn; q; q = qn) {
		qn = q->next;
		free(q);
	}
	n->status_wait = NULL;
	for (struct cswait *w = n->cs_wait, *wn; w; w = wn) {
		wn = w->next;
		free(w);
	}
	n->cs_wait = NULL;
	dot_buf_free(&n->cs_queue);
	dot_buf_free(&n->feed);
	dot_state_close(n->st);
	n->st = NULL;
	if (n->db != NULL)
		sqlite3_close(n->db);
	n->db = NULL;
	dot_sign_sk_free(n->node_key);
	n->node_key = NULL;
	if (n->kx_sk != NULL)
		sodium_free(n->kx_sk); /* zeroed by sodium_free */
	n->kx_sk = NULL;
	dot_net_gate_free(n->gate);
	n->gate = NULL;
	dotd_peers_free(&n->peers);
	if (n->log.fd > 0)
		dotd_log_close(&n->log);
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	n->lock_fd = -1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: dotd --dir DIR [--socket PATH] [--listen HOST:PORT]\n"
		"            [--batch N] [--wal-reset PAGES]\n"
		"            [--handshake-timeout SECONDS]\n"
		"            [--max-handshakes N] [--max-handshakes-per-source N]\n"
		"            [--raft-addr HOST:PORT [--snapshot-every N]]\n"
		"\n"
		"Runs one Doteros node on the data directory DIR (made by\n"
		"'dot init'): applies its genesis on first start, replays its\n"
		"log on every start, and serves the API on a Unix socket\n"
		"(default DIR/dotd.sock, owner-only) and, with --listen, on\n"
		"TCP through the secure channel (a key of an account's level\n"
		"or the node's own key; anything else is refused).\n"
		"\n"
		"  --batch N          at most N txs per ledger entry (256)\n"
		"  --wal-reset PAGES  start the state database's WAL again\n"
		"                     once it holds PAGES pages of 4 KiB\n"
		"                     (8000; 16 to 1000000)\n"
		"  --handshake-timeout SECONDS\n"
		"                     close a channel whose handshake (or\n"
		"                     rekey) is not done in time (10; 1 to 600)\n"
		"  --max-handshakes N close new TCP connections while N\n"
		"                     handshakes are under way (64; 2 to 65536);\n"
		"                     over N/2, ask for a cookie round trip\n"
		"  --max-handshakes-per-source N\n"
		"                     the same per source address (4; 1 to N)\n"
		"  --raft-addr HOST:PORT\n"
		"                     cluster mode: the ledger is replicated by\n"
		"                     raft (DIR/raft), whose node-to-node\n"
		"                     traffic runs in the secure channel on\n"
		"                     this address; without it, one node with\n"
		"                     its own log (DIR/log)\n"
		"  --snapshot-every N snapshot the state every N raft entries\n"
		"                     and keep N/4 entries of log after it\n"
		"                     (8192; 4 to 1048576)\n"
		"\n"
		"See dotd(8).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"socket", required_argument, NULL, 's'},
		{"listen", required_argument, NULL, 'l'},
		{"batch", required_argument, NULL, 'b'},
		{"wal-reset", required_argument, NULL, 'w'},
		{"handshake-timeout", required_argument, NULL, 'H'},
		{"max-handshakes", required_argument, NULL, 'M'},
		{"max-handshakes-per-source", required_argument, NULL, 'P'},
		{"raft-addr", required_argument, NULL, 'R'},
		{"snapshot-every", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct node n;
	struct dot_err e = {0};
	const char *sock = NULL, *listen = NULL;
	char defsock[4096];
	int c;

	/* No memory statistics: with them every SQLite allocation takes a
	 * global mutex (6 % of a follower's loop under load, bench/cluster);
	 * dotd sets no heap limit, which is all they serve. Before any other
	 * SQLite call, as sqlite3_config requires. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	memset(&n, 0, sizeof(n));
	n.batch_max = 256;
	n.wal_reset = WAL_RESET_DEFAULT;
	n.lock_fd = -1;
	n.hs_timeout_us = (uint64_t)HS_TIMEOUT_DEFAULT * 1000000;
	n.hs_total = HS_TOTAL_DEFAULT;
	n.hs_per_source = HS_PER_SOURCE_DEFAULT;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			n.dir = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'b': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > DOT_STATE_MAX_BATCH) {
				fprintf(stderr, "dotd: --batch must be 1 to %d\n",
					DOT_STATE_MAX_BATCH);
				return 2;
			}
			n.batch_max = (size_t)v;
			break;
		}
		case 'w': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < WAL_RESET_MIN ||
			    v > WAL_RESET_MAX) {
				fprintf(stderr,
					"dotd: --wal-reset must be %d to %d "
					"(pages of 4 KiB)\n",
					WAL_RESET_MIN, WAL_RESET_MAX);
				return 2;
			}
			n.wal_reset = (unsigned)v;
			break;
		}
		case 'H':
		case 'M':
		case 'P':
		case 'S': {
			static const struct {
				int opt;
				const char *name;
				long min, max;
			} lim[] = {
				{'H', "--handshake-timeout", 1, 600},
				{'M', "--max-handshakes", 2, 65536},
				{'P', "--max-handshakes-per-source", 1, 65536},
				{'S', "--snapshot-every", 4, 1048576},
			};
			char *end;
			long v = strtol(optarg, &end, 10);
			size_t i = c == 'H' ? 0 : c == 'M' ? 1 : c == 'P' ? 2 : 3;
			if (*end != '\0' || v < lim[i].min || v > lim[i].max) {
				fprintf(stderr, "dotd: %s must be %ld to %ld\n",
					lim[i].name, lim[i].min, lim[i].max);
				return 2;
			}
			if (c == 'H')
				n.hs_timeout_us = (uint64_t)v * 1000000;
			else if (c == 'M')
				n.hs_total = (unsigned)v;
			else if (c == 'S')
				n.snapshot_every = (unsigned)v;
			else
				n.hs_per_source = (unsigned)v;
			break;
		}
		case 'R': {
			struct sockaddr_storage ss;
			if (dotd_tr_parse_address(optarg, &ss) != 0) {
				fprintf(stderr,
					"dotd: --raft-addr must be HOST:PORT "
					"(an IPv4 address or [IPv6])\n");
				return 2;
			}
			n.cluster = 1;
			n.raft_addr = optarg;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("dotd %s\n", DOT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (n.dir == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (n.hs_per_source > n.hs_total) {
		fprintf(stderr, "dotd: --max-handshakes-per-source must not "
				"exceed --max-handshakes\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (dot_crypto_init() != DOT_OK) {
		fprintf(stderr, "dotd: libsodium failed to start\n");
		return 1;
	}
	n.loop = uv_default_loop();
	if (open_node(&n, &e) != DOT_OK) {
		logmsg("%s", e.msg);
		close_node(&n);
		return 1;
	}
	if (sock == NULL) {
		snprintf(defsock, sizeof(defsock), "%s/dotd.sock", n.dir);
		sock = defsock;
	}
	/* The write path first, then the doors: TCP, then the socket (once
	 * it exists, everything is open: scripts wait for it). */
	if ((n.cluster ? cl_open(&n, &e) : start_log_thread(&n, &e)) !=
		    DOT_OK ||
	    (listen != NULL && listen_tcp(&n, listen, &e) != DOT_OK) ||
	    listen_unix(&n, sock, &e) != DOT_OK) {
		logmsg("%s", e.msg);
		cl_close(&n);
		close_node(&n);
		return 1;
	}
	uv_idle_init(n.loop, &n.flusher);
	uv_idle_init(n.loop, &n.resumer);
	n.resumer.data = &n;
	uv_check_init(n.loop, &n.sig_check);
	n.sig_check.data = &n;
	n.flusher.data = &n;
	uv_signal_init(n.loop, &n.sigint);
	uv_signal_init(n.loop, &n.sigterm);
	n.sigint.data = n.sigterm.data = &n;
	uv_signal_start(&n.sigint, on_signal, SIGINT);
	uv_signal_start(&n.sigterm, on_signal, SIGTERM);
	logmsg("serving on %s%s%s", sock, listen ? " and " : "",
	       listen ? listen : "");
	uv_run(n.loop, UV_RUN_DEFAULT);
	/* A status hash under way reads the database: let it finish. */
	while (n.status_busy)
		uv_run(n.loop, UV_RUN_ONCE);
	/* Stopped: queued but unwritten txs were never acknowledged. */
	unlink(n.sock_path);
	/* No new connections: the listeners go (libuv frees the pipe's name
	 * on close) before the engine stops. */
	uv_close((uv_handle_t *)&n.unix_server, NULL);
	if (n.have_tcp)
		uv_close((uv_handle_t *)&n.tcp_server, NULL);
	uv_run(n.loop, UV_RUN_NOWAIT);
	if (n.cluster) {
		uint64_t index, t;

		cl_close(&n);
		dot_state_position(n.st, &index, &t);
		n.log.last_index = index;
	}
	close_node(&n);
	logmsg("stopped at entry %llu", (unsigned long long)n.log.last_index);
	return 0;
}
