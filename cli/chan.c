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
 * `dot audit` trusts per cluster in $DOT_DIR/trust (decision 0009). A
 * cluster has several nodes, each with a key of its own (decision 0019):
 * a new address of a cluster known already must present the key of one of
 * its active member nodes, which a node known_nodes already pins for the
 * cluster confirms (node.keys, over a channel pinned to that node's key);
 * when known_nodes has no line for the cluster but its checkpoints are
 * trusted, the key must be one of the trusted keys. A key no known node
 * vouches for is an alarm, never a silent choice.
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

#include "doteros/codec.h"
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

/* A cluster's lines used to confirm a key (the first ones in the file). */
#define KNOWN_CLUSTER_MAX 16
#define KNOWN_CADDR_MAX 300

/* What known_nodes says about an address and about a cluster. */
struct known {
	int at_addr; /* a line for the address: its cluster id and key */
	uint8_t cid[DOT_CLUSTER_ID_LEN], key[DOT_NET_KEY_LEN];
	int in_cluster; /* lines of the cluster: their keys and addresses */
	size_t nc;
	uint8_t ckey[KNOWN_CLUSTER_MAX][DOT_NET_KEY_LEN];
	char caddr[KNOWN_CLUSTER_MAX][KNOWN_CADDR_MAX];
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
		kn->in_cluster = 1;
		if (kn->nc < KNOWN_CLUSTER_MAX && strlen(a) < KNOWN_CADDR_MAX) {
			memcpy(kn->ckey[kn->nc], lk, sizeof(lk));
			memcpy(kn->caddr[kn->nc], a, strlen(a) + 1);
			kn->nc++;
		}
	}
	dot_buf_free(&f);
	return rv;
}

/* The index of kx among the cluster's known keys, or -1. */
static int
known_index(const struct known *kn, const uint8_t kx[DOT_NET_KEY_LEN])
{
	for (size_t i = 0; i < kn->nc; i++)
		if (sodium_memcmp(kn->ckey[i], kx, DOT_NET_KEY_LEN) == 0)
			return (int)i;
	return -1;
}

int
cli_known_key(const uint8_t cid[DOT_CLUSTER_ID_LEN],
	      const uint8_t kx[DOT_NET_KEY_LEN], int *in_cluster, int *known,
	      char *addr, size_t cap, struct dot_err *e)
{
	struct known kn;
	int rv, i;

	*in_cluster = *known = 0;
	if ((rv = known_scan(NULL, cid, &kn, e)) != DOT_OK)
		return rv;
	*in_cluster = kn.in_cluster;
	if ((i = known_index(&kn, kx)) >= 0) {
		*known = 1;
		if (addr != NULL)
			snprintf(addr, cap, "%s", kn.caddr[i]);
	}
	return DOT_OK;
}

int
cli_known_addr(const char *addr, int *found,
	       uint8_t cid[DOT_CLUSTER_ID_LEN], uint8_t key[DOT_NET_KEY_LEN],
	       struct dot_err *e)
{
	struct known kn;
	int rv;

	*found = 0;
	if ((rv = known_scan(addr, NULL, &kn, e)) != DOT_OK)
		return rv;
	if (kn.at_addr) {
		*found = 1;
		memcpy(cid, kn.cid, DOT_CLUSTER_ID_LEN);
		memcpy(key, kn.key, DOT_NET_KEY_LEN);
	}
	return DOT_OK;
}

/* node.keys' answer [[node key, role], ...]: 1 when one key's X25519
 * form is kx, 0 when none is, -1 when the answer is malformed. */
static int
keys_hold(const struct dot_buf *ans, const uint8_t kx[DOT_NET_KEY_LEN])
{
	struct dot_dec d;
	uint64_t n, two, role;
	int hit = 0;

	if (dot_dec_init(&d, ans->data, ans->len, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &n) != DOT_OK || n > 100000)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *k;
		size_t kl;
		uint8_t x[DOT_NET_KEY_LEN];

		if (dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
		    dot_dec_bstr(&d, &k, &kl) != DOT_OK ||
		    dot_dec_uint(&d, &role) != DOT_OK)
			return -1;
		if (dot_sign_pk_to_kx(k, kl, x) == DOT_OK &&
		    sodium_memcmp(x, kx, sizeof(x)) == 0)
			hit = 1;
	}
	return dot_dec_done(&d) ? hit : -1;
}

int
cli_member_confirm(const uint8_t cid[DOT_CLUSTER_ID_LEN],
		   const uint8_t kx[DOT_NET_KEY_LEN], const char *skip,
		   const uint8_t (*only)[DOT_NET_KEY_LEN], size_t nonly,
		   int *verdict, char *by, size_t bycap, struct dot_err *e)
{
	static const uint8_t no_params[] = {0xa0}; /* {} */
	struct known kn;
	int rv;

	*verdict = -1;
	snprintf(by, bycap, "no node of the cluster is known by address");
	if ((rv = known_scan(NULL, cid, &kn, e)) != DOT_OK)
		return rv;
	for (size_t i = 0; i < kn.nc; i++) {
		struct cli_node m;
		struct dot_err ce = {0};
		struct dot_buf ans = {0};
		uint64_t status = 0;
		int hold;

		int allowed = only == NULL;

		for (size_t j = 0; only != NULL && j < nonly; j++)
			if (sodium_memcmp(only[j], kn.ckey[i],
					  DOT_NET_KEY_LEN) == 0)
				allowed = 1;
		/* a node does not vouch for itself */
		if (!allowed ||
		    sodium_memcmp(kn.ckey[i], kx, DOT_NET_KEY_LEN) == 0 ||
		    (skip != NULL && strcmp(kn.caddr[i], skip) == 0))
			continue;
		rv = cli_node_connect_to(&m, kn.caddr[i], &ce);
		if (rv == DOT_OK)
			rv = cli_node_call(&m, "node.keys", no_params,
					   sizeof(no_params), &status, &ans,
					   &ce);
		cli_node_close(&m);
		if (rv != DOT_OK || status != DOT_OK ||
		    (hold = keys_hold(&ans, kx)) < 0) {
			snprintf(by, bycap, "%s: %s", kn.caddr[i],
				 rv != DOT_OK ? ce.msg
				 : status != DOT_OK
				     ? "it does not answer node.keys (an "
				       "older dotd?)"
				     : "a malformed answer to node.keys");
			dot_buf_free(&ans);
			continue;
		}
		dot_buf_free(&ans);
		*verdict = hold;
		snprintf(by, bycap, "%s", kn.caddr[i]);
		return DOT_OK;
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
	uint8_t key[DOT_NET_KEY_LEN];
	/* XX with no line for the cluster in known_nodes but keys trusted
	 * for its checkpoints: the node must present one of them */
	size_t nexp;
	uint8_t exp[KNOWN_CLUSTER_MAX][DOT_NET_KEY_LEN];
	char why[4300]; /* where the expected keys come from */
	int confirm;    /* XX with lines for the cluster: confirm after */
	int mismatch;   /* the node presented another key: seen */
	uint8_t seen[DOT_NET_KEY_LEN];
};

/* The responder must be a node: the remembered key (IK checks it by
 * construction), one of the keys trusted for the cluster's checkpoints on
 * first contact with a cluster known only by them, or any key otherwise
 * (XX; a cluster known by address is asked to confirm the key after the
 * handshake, a new cluster's key is remembered on first use). */
static int
node_accept(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	    char account[DOT_NET_MAX_NAME + 1])
{
	struct accept_ctx *a = ctx;
	int hit = a->nexp == 0;

	(void)account;
	for (size_t i = 0; i < a->nexp; i++)
		if (sodium_memcmp(pk, a->exp[i], DOT_NET_KEY_LEN) == 0)
			hit = 1;
	if ((a->known && sodium_memcmp(pk, a->key, DOT_NET_KEY_LEN) != 0) ||
	    !hit) {
		a->mismatch = 1;
		memcpy(a->seen, pk, DOT_NET_KEY_LEN);
		return DOT_NET_REFUSE;
	}
	return DOT_NET_NODE;
}

/*
 * Before connecting to an address known_nodes has no line for, in cluster
 * cid: with lines for the cluster, the key will be confirmed after the
 * handshake (a->confirm); with none but keys trusted for its checkpoints,
 * the node must present one of those (a->nexp).
 */
static int
cluster_key(const uint8_t cid[DOT_CLUSTER_ID_LEN], int found,
	    struct accept_ctx *a, struct known *kn, struct dot_err *e)
{
	char tpath[4200];
	int rv;

	if ((rv = known_scan(NULL, cid, kn, e)) != DOT_OK)
		return rv;
	if (found)
		return DOT_OK; /* IK with the line's key */
	if (kn->in_cluster) {
		a->confirm = 1;
		return DOT_OK;
	}
	if ((rv = cli_trusted_node_kx(cid, &a->nexp, a->exp, KNOWN_CLUSTER_MAX,
				      tpath, sizeof(tpath), e)) != DOT_OK)
		return rv;
	if (a->nexp > 0)
		snprintf(a->why, sizeof(a->why),
			 "the keys trusted for its checkpoints (in %s)", tpath);
	return DOT_OK;
}

/* A first contact with a new address of a cluster known only by the keys
 * trusted for its checkpoints found another node key there. */
static int
expect_alarm(struct cli_node *n, const uint8_t cid[DOT_CLUSTER_ID_LEN],
	     const struct accept_ctx *a, struct dot_err *e)
{
	char c[2 * DOT_CLUSTER_ID_LEN + 1], h1[2 * DOT_NET_KEY_LEN + 1];

	cli_hex(c, cid, DOT_CLUSTER_ID_LEN);
	cli_hex(h1, a->seen, DOT_NET_KEY_LEN);
	cli_warn("the node at %s presents the node key %s", n->addr, h1);
	cli_warn("cluster %s's nodes are known by %s", c, a->why);
	return dot_err_set(e, DOT_EAUDIT_KEY,
			   "ALARM: the node at %s presents a node key that is "
			   "not one of those trusted for cluster %s's "
			   "checkpoints: it is not one of its nodes (if the "
			   "node is new, connect first to a node you know, so "
			   "that it confirms the key; if its key changed, "
			   "confirm the new key out of band and remove the "
			   "old record)",
			   n->addr, c);
}

/*
 * After a first handshake with a new address of a cluster known_nodes has
 * lines for: the key the node presented must be one of them (the same node
 * at another address) or the key of an active member node, as a node known
 * already confirms (decision 0019). how gets what vouched for it.
 */
static int
confirm_member(struct cli_node *n, const uint8_t cid[DOT_CLUSTER_ID_LEN],
	       const struct known *kn, const struct dot_sign_sk *sk,
	       char *how, size_t cap, struct dot_err *e)
{
	const struct dot_net_peer *p = dot_net_peer(n->ch);
	const struct dot_sign_sk *saved = chan_key.sk;
	char c[2 * DOT_CLUSTER_ID_LEN + 1], h[2 * DOT_NET_KEY_LEN + 1];
	char by[1200];
	int i, verdict, rv;

	if ((i = known_index(kn, p->static_pk)) >= 0) {
		snprintf(how, cap, "the key of this cluster's node at %s",
			 kn->caddr[i]);
		return DOT_OK;
	}
	/* the nodes asked are reached with this command's key, open already */
	chan_key.sk = sk;
	rv = cli_member_confirm(cid, p->static_pk, n->addr, NULL, 0, &verdict,
				by, sizeof(by), e);
	chan_key.sk = saved;
	if (rv != DOT_OK)
		return rv;
	cli_hex(c, cid, DOT_CLUSTER_ID_LEN);
	cli_hex(h, p->static_pk, DOT_NET_KEY_LEN);
	if (verdict == 1) {
		snprintf(how, cap,
			 "a member node of the cluster, as the node at %s "
			 "confirms",
			 by);
		return DOT_OK;
	}
	if (verdict == 0) {
		cli_warn("the node at %s presents the node key %s", n->addr,
			 h);
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "ALARM: the node at %s presents a key that "
				   "is no active member node of cluster %s, "
				   "says its node at %s: it is not one of the "
				   "cluster's nodes (or it was removed)",
				   n->addr, c, by);
	}
	return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
			   "cannot confirm that the node at %s (node key %s) "
			   "belongs to cluster %s: none of the cluster's nodes "
			   "in $DOT_DIR/known_nodes answered (%s); try again "
			   "when one is up",
			   n->addr, h, c, by);
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
	case DOT_ENET_KEM:
		return dot_err_set(
		    e, why,
		    "the node at %s requires the X-Wing step in the "
		    "handshake (its cluster's crypto policy is hybrid), and "
		    "this channel was classic: unset DOT_CHANNEL_KEM, or drop "
		    "--classic-channel",
		    n->addr);
	case DOT_ENET_VERSION:
		if (dot_net_kem(n->ch) != DOT_NET_KEM_NONE)
			return dot_err_set(
			    e, why,
			    "the node at %s refused the channel: %s; a node "
			    "older than this dot does not know the X-Wing "
			    "step: connect to it with --classic-channel "
			    "(DOT_CHANNEL_KEM=classic)",
			    n->addr, dot_strerror(why));
		/* fall through */
	case DOT_ENET_CIPHER:
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
	if ((rv = cluster_key(cid, found, &ac, &kn, e)) != DOT_OK)
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
	if (rv != DOT_OK) {
		rv = dot_err_set(e, rv,
				 "key %s cannot open a secure channel (only "
				 "Ed25519 and composite keys can)",
				 n->key_id);
		goto out;
	}
	cfg.role = DOT_NET_ACCOUNT;
	cfg.remote_static = found ? ac.key : NULL;
	cfg.accept = node_accept;
	cfg.accept_ctx = &ac;
	cfg.rand = chan_rand;
	cfg.handshake_timeout = (uint64_t)n->hs_timeout_s * 1000000;
	/* X-Wing in the handshake unless asked not to (an older node that
	 * refuses kem 0x12; a node of the hybrid policy refuses without) */
	{
		const char *kem = getenv("DOT_CHANNEL_KEM");

		if (kem != NULL && kem[0] != '\0' &&
		    strcmp(kem, "classic") != 0 && strcmp(kem, "x-wing") != 0) {
			rv = dot_err_set(e, DOT_EINVAL,
					 "DOT_CHANNEL_KEM '%s': give x-wing "
					 "(the default) or classic",
					 kem);
			goto out;
		}
		cfg.classic = kem != NULL && strcmp(kem, "classic") == 0;
	}
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
			if (ac.mismatch && ac.nexp > 0)
				rv = expect_alarm(n, cid, &ac, e);
			goto out;
		}
	}
	if (!found) {
		char path[4100], how[1400] = "";
		const struct dot_net_peer *p = dot_net_peer(n->ch);

		if (ac.confirm &&
		    (rv = confirm_member(n, cid, &kn, sk, how, sizeof(how),
					 e)) != DOT_OK)
			goto out;
		if (ac.nexp > 0)
			snprintf(how, sizeof(how), "one of %.1300s", ac.why);
		rv = known_add(n->addr, cid, p->static_pk, path, sizeof(path),
			       e);
		if (rv != DOT_OK)
			goto out;
		fprintf(stderr,
			"%s: first connection to %s: its key is now "
			"remembered in %s%s%s%s\n",
			cli_prog(), n->addr, path, how[0] ? " (it is " : "",
			how, how[0] ? ")" : "");
	}
out:
	dot_sign_sk_free(own);
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
