/*
 * chan.c - dot's end of the secure channel (docs/wire-protocol.md): a TCP
 * connection to a node runs lib/net as initiator, with the signing key the
 * command uses (its first --key, else $DOT_KEY) as the static key in
 * X25519 form (decision 0013), role ACCOUNT. The node's key and cluster id
 * are remembered per address in $DOT_DIR/known_nodes (trust on first use,
 * like SSH's known_hosts): Noise IK when the node's key is known, XX (and
 * the key remembered) otherwise.
 *
 * The node's key is also the key that signs its checkpoints, which
 * `dot audit` trusts per cluster in $DOT_DIR/trust (decision 0009). The
 * two records must agree (decision 0014): a new address of a cluster whose
 * node key is known already (from another address, or as the key trusted
 * for its checkpoints) must present that key, and two records that
 * disagree are an alarm, never a silent choice.
 *
 * Any frame the channel drops is reported at once as tampering: between
 * one client and one node nothing legitimate is ever dropped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/net.h"
#include "dot.h"

#define HANDSHAKE_TIMEOUT_S 10
#define KNOWN_MAX	    (1u << 20)
#define KNOWN_ADDR_MAX	    4300

static struct {
	const char *arg; /* a key argument to open when connecting */
	const char *passfile;
	const struct dot_sign_sk *sk; /* a key already open (borrowed) */
} chan_key;

void
cli_channel_key(const char *arg, const char *passfile)
{
	if (chan_key.arg == NULL) {
		chan_key.arg = arg;
		chan_key.passfile = passfile;
	}
}

void
cli_channel_key_open(const struct dot_sign_sk *sk)
{
	chan_key.sk = sk;
}

void
cli_channel_key_reset(void)
{
	memset(&chan_key, 0, sizeof(chan_key));
}

static void
chan_rand(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	randombytes_buf(out, n);
}

/* ---- $DOT_DIR/known_nodes: "ADDR CLUSTER-ID-HEX NODE-KEY-HEX" lines ---- */

static int
known_path(char *out, size_t cap, struct dot_err *e)
{
	char dir[4000];
	int rv = cli_dot_dir(dir, sizeof(dir), e);

	if (rv != DOT_OK)
		return rv;
	if ((size_t)snprintf(out, cap, "%s/known_nodes", dir) >= cap)
		return dot_err_set(e, DOT_EINVAL, "DOT_DIR is too long");
	return DOT_OK;
}

/* What known_nodes says about an address and about a cluster. */
struct known {
	int at_addr; /* a line for the address: its cluster id and key */
	uint8_t cid[DOT_CLUSTER_ID_LEN], key[DOT_NET_KEY_LEN];
	int in_cluster; /* a line of the cluster: its key and address */
	uint8_t ckey[DOT_NET_KEY_LEN];
	char caddr[KNOWN_ADDR_MAX];
	int conflict; /* another line of the cluster with another key */
	char xaddr[KNOWN_ADDR_MAX];
};

/*
 * Read known_nodes for the first line of addr (when not NULL) and for the
 * lines of the cluster cid (when not NULL). Lines of three fields that are
 * neither are passed over; a line that is one but is not ADDR CLUSTER-ID
 * NODE-KEY in hex is an error naming the file.
 */
static int
known_scan(const char *addr, const uint8_t *cid, struct known *kn,
	   struct dot_err *e)
{
	char path[4100];
	struct dot_buf f = {0};
	int rv;

	memset(kn, 0, sizeof(*kn));
	if ((rv = known_path(path, sizeof(path), e)) != DOT_OK)
		return rv;
	if (access(path, F_OK) != 0)
		return DOT_OK;
	if ((rv = cli_read_file(path, KNOWN_MAX, &f, e)) != DOT_OK)
		return rv;
	for (size_t at = 0; at < f.len;) {
		char line[4400], a[KNOWN_ADDR_MAX], c[64], k[128];
		uint8_t lc[DOT_CLUSTER_ID_LEN], lk[DOT_NET_KEY_LEN];
		size_t end = at, n;
		int mine, ours, cid_ok;

		while (end < f.len && f.data[end] != '\n')
			end++;
		n = end - at;
		if (n < sizeof(line)) {
			memcpy(line, f.data + at, n);
			line[n] = '\0';
		}
		at = end + 1;
		if (n >= sizeof(line) ||
		    sscanf(line, "%4299s %63s %127s", a, c, k) != 3)
			continue;
		cid_ok = cli_parse_hex(c, lc, sizeof(lc)) == 0;
		mine = addr != NULL && !kn->at_addr && strcmp(a, addr) == 0;
		ours =
		    cid != NULL && cid_ok && memcmp(lc, cid, sizeof(lc)) == 0;
		if (!mine && !ours)
			continue;
		if (!cid_ok || cli_parse_hex(k, lk, sizeof(lk)) != 0) {
			rv = dot_err_set(e, DOT_EINVAL,
					 "%s: the line for %s is malformed "
					 "(ADDR CLUSTER-ID NODE-KEY, in hex): "
					 "fix or remove it",
					 path, a);
			break;
		}
		if (mine) {
			kn->at_addr = 1;
			memcpy(kn->cid, lc, sizeof(lc));
			memcpy(kn->key, lk, sizeof(lk));
		}
		if (!ours)
			continue;
		if (!kn->in_cluster) {
			kn->in_cluster = 1;
			memcpy(kn->ckey, lk, sizeof(lk));
			snprintf(kn->caddr, sizeof(kn->caddr), "%s", a);
		} else if (!kn->conflict &&
			   memcmp(kn->ckey, lk, sizeof(lk)) != 0) {
			kn->conflict = 1;
			snprintf(kn->xaddr, sizeof(kn->xaddr), "%s", a);
		}
	}
	dot_buf_free(&f);
	return rv;
}

/* Two lines of one cluster with two node keys. */
static int
known_conflict(const uint8_t cid[DOT_CLUSTER_ID_LEN], const struct known *kn,
	       struct dot_err *e)
{
	char c[2 * DOT_CLUSTER_ID_LEN + 1];

	cli_hex(c, cid, DOT_CLUSTER_ID_LEN);
	cli_warn("$DOT_DIR/known_nodes: the lines for %s and for %s name "
		 "cluster %s with two different node keys",
		 kn->caddr, kn->xaddr, c);
	return dot_err_set(e, DOT_EAUDIT_KEY,
			   "ALARM: known_nodes holds two node keys for one "
			   "cluster (%s and %s): a node has one key, so one "
			   "is not that node; confirm the key out of band "
			   "and remove the wrong line",
			   kn->caddr, kn->xaddr);
}

int
cli_known_cluster(const uint8_t cid[DOT_CLUSTER_ID_LEN], int *found,
		  uint8_t key[DOT_NET_KEY_LEN], char *addr, size_t cap,
		  struct dot_err *e)
{
	struct known kn;
	int rv;

	*found = 0;
	if ((rv = known_scan(NULL, cid, &kn, e)) != DOT_OK)
		return rv;
	if (kn.conflict)
		return known_conflict(cid, &kn, e);
	if (kn.in_cluster) {
		*found = 1;
		memcpy(key, kn.ckey, DOT_NET_KEY_LEN);
		snprintf(addr, cap, "%s", kn.caddr);
	}
	return DOT_OK;
}

static int
known_add(const char *addr, const uint8_t cid[DOT_CLUSTER_ID_LEN],
	  const uint8_t key[DOT_NET_KEY_LEN], char *path, size_t cap,
	  struct dot_err *e)
{
	char c[2 * DOT_CLUSTER_ID_LEN + 1], k[2 * DOT_NET_KEY_LEN + 1];
	struct dot_buf f = {0};
	int rv;

	if ((rv = known_path(path, cap, e)) != DOT_OK)
		return rv;
	if (access(path, F_OK) == 0 &&
	    (rv = cli_read_file(path, KNOWN_MAX, &f, e)) != DOT_OK)
		return rv;
	/* cli_write_file adds the last newline */
	while (f.len > 0 && f.data[f.len - 1] == '\n')
		f.len--;
	if (f.len > 0)
		dot_buf_put(&f, "\n", 1);
	cli_hex(c, cid, DOT_CLUSTER_ID_LEN);
	cli_hex(k, key, DOT_NET_KEY_LEN);
	dot_buf_put(&f, addr, strlen(addr));
	dot_buf_put(&f, " ", 1);
	dot_buf_put(&f, c, strlen(c));
	dot_buf_put(&f, " ", 1);
	dot_buf_put(&f, k, strlen(k));
	if (f.err)
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
	else
		rv = cli_write_file(path, f.data, f.len, e);
	dot_buf_free(&f);
	return rv;
}

/* ---- the initiator ---- */

struct accept_ctx {
	int known;  /* IK: key is the one remembered for the address */
	int expect; /* XX: the node must present key (see why) */
	uint8_t key[DOT_NET_KEY_LEN];
	char why[CLI_TRUST_MAX + 4400]; /* where the expected key comes from */
	int trusted;  /* the expected key is the checkpoints' key */
	int mismatch; /* the node presented another key: seen */
	uint8_t seen[DOT_NET_KEY_LEN];
};

/* The responder must be a node: the remembered key (IK checks it by
 * construction), the cluster's known node key on first contact with a new
 * address of it, or any key on first contact with a new cluster (XX; the
 * key is remembered after). */
static int
node_accept(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	    char account[DOT_NET_MAX_NAME + 1])
{
	struct accept_ctx *a = ctx;

	(void)account;
	if ((a->known || a->expect) &&
	    sodium_memcmp(pk, a->key, DOT_NET_KEY_LEN) != 0) {
		a->mismatch = 1;
		memcpy(a->seen, pk, DOT_NET_KEY_LEN);
		return DOT_NET_REFUSE;
	}
	return DOT_NET_NODE;
}

/*
 * Before connecting: the node key this cluster is known by already
 * (decision 0014), from the key trusted for its checkpoints
 * ($DOT_DIR/trust) and from known_nodes. found: known_nodes has a line for
 * this address (IK with a->key). Records that disagree are an ALARM; a
 * key known for the cluster but not for the address is what a first
 * contact must find (a->expect).
 */
static int
cluster_key(struct cli_node *n, const uint8_t cid[DOT_CLUSTER_ID_LEN],
	    int found, struct accept_ctx *a, struct dot_err *e)
{
	struct known kn;
	char tpath[4200], tkey[CLI_TRUST_MAX], c[2 * DOT_CLUSTER_ID_LEN + 1];
	char h1[2 * DOT_NET_KEY_LEN + 1], h2[2 * DOT_NET_KEY_LEN + 1];
	uint8_t tkx[DOT_NET_KEY_LEN];
	int rv, trusted;

	if ((rv = known_scan(NULL, cid, &kn, e)) != DOT_OK)
		return rv;
	if (kn.conflict)
		return known_conflict(cid, &kn, e);
	if ((rv = cli_trusted_node_kx(cid, &trusted, tkx, tpath, sizeof(tpath),
				      tkey, sizeof(tkey), e)) != DOT_OK)
		return rv;
	cli_hex(c, cid, DOT_CLUSTER_ID_LEN);
	/* known_nodes and the trust store, each with a key for the node */
	if (kn.in_cluster && trusted &&
	    sodium_memcmp(kn.ckey, tkx, DOT_NET_KEY_LEN) != 0) {
		cli_hex(h1, kn.ckey, DOT_NET_KEY_LEN);
		cli_hex(h2, tkx, DOT_NET_KEY_LEN);
		cli_warn("cluster %s: $DOT_DIR/known_nodes remembers its node "
			 "key as %s (the line for %s)",
			 c, h1, kn.caddr);
		cli_warn("cluster %s: its checkpoints are trusted as signed "
			 "by %s (%s), node key %s",
			 c, tkey, tpath, h2);
		return dot_err_set(
		    e, DOT_EAUDIT_KEY,
		    "ALARM: the key known_nodes remembers for this cluster's "
		    "node is not the key trusted for its checkpoints: one of "
		    "them is not that node; not connecting to %s (confirm the "
		    "key out of band, remove the wrong record)",
		    n->addr);
	}
	if (found)
		return DOT_OK; /* IK with the line's key, which agrees */
	if (trusted) {
		a->expect = 1;
		memcpy(a->key, tkx, DOT_NET_KEY_LEN);
		a->trusted = 1;
		snprintf(a->why, sizeof(a->why),
			 "the key that signs its checkpoints (%s, trusted in "
			 "%s)",
			 tkey, tpath);
	} else if (kn.in_cluster) {
		a->expect = 1;
		memcpy(a->key, kn.ckey, DOT_NET_KEY_LEN);
		snprintf(a->why, sizeof(a->why),
			 "the key remembered for %s in $DOT_DIR/known_nodes",
			 kn.caddr);
	}
	return DOT_OK;
}

/* A first contact with a new address of a known cluster found another
 * node key there. */
static int
expect_alarm(struct cli_node *n, const uint8_t cid[DOT_CLUSTER_ID_LEN],
	     const struct accept_ctx *a, struct dot_err *e)
{
	char c[2 * DOT_CLUSTER_ID_LEN + 1];
	char h1[2 * DOT_NET_KEY_LEN + 1], h2[2 * DOT_NET_KEY_LEN + 1];

	cli_hex(c, cid, DOT_CLUSTER_ID_LEN);
	cli_hex(h1, a->seen, DOT_NET_KEY_LEN);
	cli_hex(h2, a->key, DOT_NET_KEY_LEN);
	cli_warn("the node at %s presents the node key %s", n->addr, h1);
	cli_warn("cluster %s's node is known by the node key %s: %s", c, h2,
		 a->why);
	return dot_err_set(e, DOT_EAUDIT_KEY,
			   "ALARM: the node at %s presents another node key "
			   "than %s: it is not that node (if its key changed, "
			   "confirm the new key out of band and remove the "
			   "old record)",
			   n->addr,
			   a->trusted ? "the one that signs this cluster's "
					"checkpoints"
				      : "the one known_nodes has for this "
					"cluster");
}

static int
tampered(struct cli_node *n, int why, struct dot_err *e)
{
	return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
			   "the connection to %s was tampered with or is not a "
			   "Doteros node (%s: %s)",
			   n->addr, dot_errname(why), dot_strerror(why));
}

static int
closed_err(struct cli_node *n, const char *during, struct dot_err *e)
{
	int why = dot_net_close_reason(n->ch);

	switch (why) {
	case DOT_ENET_REFUSED_BY_PEER:
		return dot_err_set(
		    e, DOT_ENET_REFUSED_BY_PEER,
		    "the node at %s does not know this key (%s): add it to an "
		    "account's level (dot account set-level), or connect with "
		    "a key of one (--key, DOT_KEY)",
		    n->addr, n->key_id);
	case DOT_ENET_HANDSHAKE_TIMEOUT:
		return dot_err_set(
		    e, why,
		    "no secure-channel handshake with the node at %s within "
		    "%d s (%s)",
		    n->addr, n->hs_timeout_s,
		    n->ik ? "if the node's key changed, the key remembered "
			    "in $DOT_DIR/known_nodes is stale: remove its "
			    "line to learn the new one"
			  : "is it a Doteros node with --listen there, and "
			    "is DOT_CLUSTER its cluster id?");
	case DOT_ENET_REFUSED:
		return dot_err_set(
		    e, DOT_EAPI_UNAVAILABLE,
		    "the node at %s presented another key than the one "
		    "remembered in $DOT_DIR/known_nodes: the node's key "
		    "changed or this is not that node (remove the line "
		    "only if the change is legitimate)",
		    n->addr);
	case DOT_ENET_CIPHER:
	case DOT_ENET_VERSION:
		return dot_err_set(e, why,
				   "the node at %s refused the channel: %s",
				   n->addr, dot_strerror(why));
	case DOT_ENET_IDLE_TIMEOUT:
	case DOT_ENET_PEER_CLOSED:
	case DOT_ENET_CLOSED:
		return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
				   "the node at %s closed the channel %s (%s)",
				   n->addr, during, dot_strerror(why));
	default:
		return tampered(n, why, e);
	}
}

/* Send what the channel produced. */
static int
flush_out(struct cli_node *n, struct dot_net_io *io, uint64_t deadline,
	  struct dot_err *e)
{
	int rv = DOT_OK;

	if (io->out.len > 0)
		rv = cli_send_all(n, io->out.data, io->out.len, deadline, e);
	io->out.len = 0;
	return rv;
}

/*
 * Read once (waiting until deadline) and give the channel every whole
 * frame; DATA messages go to n->rx. during: "before answering status".
 */
static int
chan_read(struct cli_node *n, uint64_t deadline, const char *during,
	  struct dot_err *e)
{
	struct dot_net_io io = {0};
	ssize_t r;
	size_t off = 0, flen;
	int rv = DOT_OK;

	if (dot_buf_reserve(&n->raw, 65536) != DOT_OK)
		return dot_err_set(e, DOT_ENOMEM, "out of memory");
	for (;;) {
		r = recv(n->fd, n->raw.data + n->raw.len,
			 n->raw.cap - n->raw.len, 0);
		if (r > 0)
			break;
		if (r == 0)
			return dot_err_set(
			    e, DOT_EAPI_UNAVAILABLE,
			    "the node at %s closed the connection %s%s",
			    n->addr, during,
			    dot_net_state(n->ch) == DOT_NET_S_HANDSHAKE
				? " (too many handshakes from this address, a "
				  "peer that is not a Doteros node, or a key "
				  "it refused)"
				: " (did dotd stop? see its log)");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
					   "reading from the node at %s: %s",
					   n->addr, strerror(errno));
		switch (cli_wait_fd(n->fd, POLLIN, deadline)) {
		case 0:
			if (dot_net_state(n->ch) == DOT_NET_S_HANDSHAKE) {
				struct dot_net_io t = {0};
				/* let the channel say it timed out */
				if (dot_net_tick(n->ch,
						 cli_now_ms() * 1000 +
						     (uint64_t)n->hs_timeout_s *
							 1000000,
						 &t) != DOT_OK)
					(void)0;
				dot_buf_free(&t.out);
				dot_buf_free(&t.data);
				return closed_err(n, during, e);
			}
			return dot_err_set(
			    e, DOT_EAPI_UNAVAILABLE,
			    "no answer %s from the node at %s within %d s (is "
			    "it stuck or overloaded? DOT_TIMEOUT sets the "
			    "wait)",
			    during, n->addr, n->timeout_ms / 1000);
		case -1:
			return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
					   "waiting for the node at %s: %s",
					   n->addr, strerror(errno));
		default:
			break;
		}
	}
	n->raw.len += (size_t)r;
	for (;;) {
		struct dot_err fe = {0};

		if (dot_net_frame_next(n->raw.data + off, n->raw.len - off,
				       &flen, &fe) != DOT_OK) {
			rv = tampered(n, DOT_ENET_FRAME, e);
			break;
		}
		if (flen == 0)
			break;
		uint8_t type = n->raw.data[off];

		rv = dot_net_input(n->ch, cli_now_ms() * 1000,
				   n->raw.data + off, flen, &io);
		off += flen;
		if (io.events & DOT_NET_EV_DATA || io.data.len > 0) {
			dot_buf_put(&n->rx, io.data.data, io.data.len);
			io.data.len = 0;
			if (n->rx.err) {
				rv =
				    dot_err_set(e, DOT_ENOMEM, "out of memory");
				break;
			}
		}
		if (io.events & DOT_NET_EV_CLOSED) {
			rv = closed_err(n, during, e);
			break;
		}
		if (io.events & DOT_NET_EV_DROPPED) {
			rv = tampered(n, rv, e);
			break;
		}
		/* The node's first authenticated frame: a transport frame,
		 * or with IK its handshake answer. */
		if (rv == DOT_OK &&
		    dot_net_state(n->ch) == DOT_NET_S_ESTABLISHED &&
		    (type >= DOT_NET_F_DATA ||
		     (n->ik && type == DOT_NET_F_HS2)))
			n->confirmed = 1;
		io.events = 0;
		rv = flush_out(n, &io, deadline, e);
		if (rv != DOT_OK)
			break;
	}
	memmove(n->raw.data, n->raw.data + off, n->raw.len - off);
	n->raw.len -= off;
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	return rv;
}

int
cli_chan_open(struct cli_node *n, struct dot_err *e)
{
	struct dot_sign_sk *own = NULL;
	const struct dot_sign_sk *sk = chan_key.sk;
	const char *arg = chan_key.arg ? chan_key.arg : getenv("DOT_KEY");
	const char *cenv = getenv("DOT_CLUSTER");
	struct dot_net_config cfg;
	struct dot_net_io io = {0};
	struct accept_ctx ac;
	struct known kn;
	uint8_t cid[DOT_CLUSTER_ID_LEN], pk[DOT_SIGN_PK_MAX];
	uint64_t deadline;
	int found = 0, rv;

	memset(&cfg, 0, sizeof(cfg));
	memset(&ac, 0, sizeof(ac));
	n->hs_timeout_s = n->timeout_ms / 1000 < HANDSHAKE_TIMEOUT_S
			      ? n->timeout_ms / 1000
			      : HANDSHAKE_TIMEOUT_S;
	if (sk == NULL && (arg == NULL || arg[0] == '\0'))
		return dot_err_set(
		    e, DOT_EINVAL,
		    "connecting to %s over TCP needs a key the node knows "
		    "(a key of an account's level): give --key NAME, or set "
		    "DOT_KEY",
		    n->addr);
	if ((rv = known_scan(n->addr, NULL, &kn, e)) != DOT_OK)
		return rv;
	found = kn.at_addr;
	memcpy(cid, kn.cid, sizeof(cid));
	memcpy(ac.key, kn.key, sizeof(ac.key));
	if (cenv != NULL && cenv[0] != '\0') {
		uint8_t want[DOT_CLUSTER_ID_LEN];
		if (cli_parse_hex(cenv, want, sizeof(want)) != 0)
			return dot_err_set(
			    e, DOT_EINVAL,
			    "DOT_CLUSTER '%s': give the cluster "
			    "id, 32 hex digits (dot status shows "
			    "it)",
			    cenv);
		if (found && memcmp(want, cid, sizeof(cid)) != 0)
			found = 0; /* another cluster at that address */
		memcpy(cid, want, sizeof(cid));
	} else if (!found) {
		return dot_err_set(
		    e, DOT_EINVAL,
		    "the first connection to %s needs the cluster's id: set "
		    "DOT_CLUSTER to it (32 hex digits; 'dot status' on the "
		    "node shows it); it is remembered in $DOT_DIR/known_nodes",
		    n->addr);
	}
	if ((rv = cluster_key(n, cid, found, &ac, e)) != DOT_OK)
		return rv;
	ac.known = found;
	n->ik = found;
	if (sk == NULL) {
		if ((rv = cli_key_open(arg, chan_key.passfile, &own, e)) !=
		    DOT_OK)
			return rv;
		sk = own;
	}
	cli_key_id_hex(pk, dot_sign_sk_public(sk, pk), n->key_id);
	cfg.initiator = 1;
	memcpy(cfg.cluster_id, cid, sizeof(cid));
	rv = dot_sign_sk_to_kx(sk, cfg.static_sk);
	dot_sign_sk_free(own);
	if (rv != DOT_OK) {
		rv = dot_err_set(e, rv,
				 "key %s cannot open a secure channel (only "
				 "Ed25519 keys can)",
				 n->key_id);
		goto out;
	}
	cfg.role = DOT_NET_ACCOUNT;
	cfg.remote_static = found ? ac.key : NULL;
	cfg.accept = node_accept;
	cfg.accept_ctx = &ac;
	cfg.rand = chan_rand;
	cfg.handshake_timeout = (uint64_t)n->hs_timeout_s * 1000000;
	deadline = cli_now_ms() + (uint64_t)n->hs_timeout_s * 1000;
	rv = dot_net_new(&n->ch, &cfg, cli_now_ms() * 1000, &io);
	if (rv != DOT_OK) {
		rv = dot_err_set(e, rv, "cannot start a secure channel: %s",
				 dot_strerror(rv));
		goto out;
	}
	if ((rv = flush_out(n, &io, deadline, e)) != DOT_OK)
		goto out;
	/* Done once the node's first authenticated frame is in (XX: its
	 * KEEPALIVE after our last message; IK: its answer), so a refusal
	 * of our key is never mistaken for success. */
	while (!n->confirmed) {
		rv = chan_read(n, deadline, "during the handshake", e);
		if (rv != DOT_OK) {
			if (ac.mismatch && ac.expect)
				rv = expect_alarm(n, cid, &ac, e);
			goto out;
		}
	}
	if (!found) {
		char path[4100];
		const struct dot_net_peer *p = dot_net_peer(n->ch);
		rv = known_add(n->addr, cid, p->static_pk, path, sizeof(path),
			       e);
		if (rv != DOT_OK)
			goto out;
		fprintf(stderr,
			"%s: first connection to %s: its key is now "
			"remembered in %s%s%s%s\n",
			cli_prog(), n->addr, path,
			ac.expect ? " (it is the key this cluster's node is "
				    "known by: "
				  : "",
			ac.expect ? ac.why : "", ac.expect ? ")" : "");
	}
out:
	sodium_memzero(cfg.static_sk, sizeof(cfg.static_sk));
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	return rv;
}

int
cli_chan_send(struct cli_node *n, const uint8_t *p, size_t len,
	      uint64_t deadline, struct dot_err *e)
{
	struct dot_net_io io = {0};
	uint64_t now = cli_now_ms() * 1000;
	int rv = DOT_OK;

	if (dot_net_tick(n->ch, now, &io) != DOT_OK) {
		rv = closed_err(n, "before the request", e);
		goto out;
	}
	/* One API frame: one DATA message, or consecutive ones of the
	 * largest size (docs/api-protocol.md, "Over TCP"). */
	for (size_t off = 0; off < len;) {
		size_t k =
		    len - off > DOT_NET_MAX_MSG ? DOT_NET_MAX_MSG : len - off;
		rv = dot_net_send(n->ch, now, p + off, k, &io);
		if (rv == DOT_ENET_KEYS_EXHAUSTED) {
			/* a rekey is under way: let it finish */
			if ((rv = flush_out(n, &io, deadline, e)) != DOT_OK ||
			    (rv = chan_read(n, deadline, "during a rekey",
					    e)) != DOT_OK)
				goto out;
			continue;
		}
		if (rv != DOT_OK) {
			rv = closed_err(n, "before the request", e);
			goto out;
		}
		off += k;
	}
	rv = flush_out(n, &io, deadline, e);
out:
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	return rv;
}

int
cli_chan_recv(struct cli_node *n, uint64_t deadline, const char *method,
	      struct dot_err *e)
{
	char during[80];

	snprintf(during, sizeof(during), "before answering %s", method);
	return chan_read(n, deadline, during, e);
}

void
cli_chan_close(struct cli_node *n)
{
	struct dot_net_io io = {0};

	if (n->ch == NULL)
		return;
	if (n->fd >= 0 && dot_net_state(n->ch) == DOT_NET_S_ESTABLISHED) {
		struct dot_err e = {0};
		dot_net_close(n->ch, &io);
		if (io.out.len > 0 &&
		    cli_send_all(n, io.out.data, io.out.len,
				 cli_now_ms() + 1000, &e) != DOT_OK)
			(void)0; /* the node will time the channel out */
	}
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	dot_net_free(n->ch);
	n->ch = NULL;
	dot_buf_free(&n->raw);
}
