/*
 * client.c - how dot talks to a node: the address (DOT_ADDR), frames of
 * the node API (include/doteros/api.h) with timeouts (over TCP inside the
 * secure channel, chan.c), the authority
 * options, and building, signing and sending transactions and signed
 * reads (include/doteros/tx.h, DESIGN.md §5).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/api.h"
#include "doteros/codec.h"
#include "doteros/state.h"
#include "dot.h"

#define CONNECT_TIMEOUT_MS 5000
#define DEFAULT_TIMEOUT_S  60
#define TX_BACKDATE	   30  /* not_before = now - 30: tolerate clock skew */
#define TX_LIFETIME	   300 /* not_after = now + 300 */

/* ---- the address ---- */

static int
set_unix(struct cli_node *n, const char *path, struct sockaddr_un *sun,
	 struct dot_err *e)
{
	const char *slash;
	size_t len = strlen(path);

	if (len == 0 || path[0] != '/')
		return dot_err_set(e, DOT_EINVAL,
				   "DOT_ADDR 'unix:%s': give an absolute "
				   "socket path (unix:/path/to/dotd.sock)",
				   path);
	if (len >= sizeof(sun->sun_path))
		return dot_err_set(e, DOT_EINVAL,
				   "socket path %s is %zu bytes, over the "
				   "system's limit of %zu: use a shorter "
				   "DOT_DIR, or DOT_ADDR=unix:/shorter/path",
				   path, len, sizeof(sun->sun_path) - 1);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	snprintf(n->addr, sizeof(n->addr), "unix:%s", path);
	slash = strrchr(path, '/');
	snprintf(n->dir, sizeof(n->dir), "%.*s",
		 (int)(slash == path ? 1 : slash - path), path);
	return DOT_OK;
}

/* Resolve DOT_ADDR (or the default) into a socket address. */
static int
node_addr(struct cli_node *n, const char *a, struct sockaddr_storage *ss,
	  socklen_t *sl, struct dot_err *e)
{
	const char *colon, *close;
	char dir[4000], path[4096], host[64];
	uint64_t port;
	size_t hl;
	int rv;

	memset(ss, 0, sizeof(*ss));
	if (a == NULL || a[0] == '\0') {
		if ((rv = cli_dot_dir(dir, sizeof(dir), e)) != DOT_OK)
			return rv;
		snprintf(path, sizeof(path), "%s/node/dotd.sock", dir);
		*sl = sizeof(struct sockaddr_un);
		return set_unix(n, path, (struct sockaddr_un *)ss, e);
	}
	if (strncmp(a, "unix:", 5) == 0) {
		*sl = sizeof(struct sockaddr_un);
		return set_unix(n, a + 5, (struct sockaddr_un *)ss, e);
	}
	snprintf(n->addr, sizeof(n->addr), "%s", a);
	n->dir[0] = '\0';
	if (a[0] == '[') {
		close = strchr(a, ']');
		if (close == NULL || close[1] != ':')
			goto bad;
		hl = (size_t)(close - a - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, a + 1, hl);
		colon = close + 1;
	} else {
		colon = strrchr(a, ':');
		if (colon == NULL || (size_t)(colon - a) >= sizeof(host))
			goto bad;
		hl = (size_t)(colon - a);
		memcpy(host, a, hl);
	}
	host[hl] = '\0';
	if (cli_parse_u64(colon + 1, 1, 65535, &port) != 0)
		return dot_err_set(e, DOT_EINVAL,
				   "DOT_ADDR '%s': the port must be 1-65535",
				   a);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (a[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			goto bad;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*in6);
	}
	return DOT_OK;
bad:
	return dot_err_set(e, DOT_EINVAL,
			   "DOT_ADDR '%s': expected unix:/path/to/dotd.sock, "
			   "IPV4:PORT, [IPV6]:PORT or localhost:PORT",
			   a);
}

int
cli_addr_is_tcp(void)
{
	const char *a = getenv("DOT_ADDR");

	return a != NULL && a[0] != '\0' && strncmp(a, "unix:", 5) != 0;
}

/* ---- the connection ---- */

uint64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
int
cli_wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	uint64_t t;
	int r;

	for (;;) {
		t = cli_now_ms();
		if (t >= deadline)
			return 0;
		r = poll(&p, 1,
			 (int)(deadline - t > 60000 ? 60000 : deadline - t));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r > 0)
			return 1;
	}
}

static int
unreachable(struct cli_node *n, const char *why, struct dot_err *e)
{
	if (n->dir[0] != '\0')
		return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
				   "cannot reach the node at %s: %s: is dotd "
				   "running? start it with: dotd --dir %s",
				   n->addr, why, n->dir);
	return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
			   "cannot reach the node at %s: %s: is dotd running "
			   "and listening there? (DOT_ADDR names the address)",
			   n->addr, why);
}

/*
 * Open the channel (chan.c). The node refuses a key no account's level
 * holds and a key whose account has expired (docs/decisions/0015) with the
 * same REFUSE reason (docs/wire-protocol.md §7), so the message names both
 * and what to do about each.
 */
static int
chan_open(struct cli_node *n, struct dot_err *e)
{
	int rv = cli_chan_open(n, e);

	if (rv == DOT_ENET_REFUSED_BY_PEER)
		return dot_err_set(e, rv,
				   "the node at %s refused key %s: no "
				   "account's level holds it, or its account "
				   "has expired. Add it to a level (dot "
				   "account set-level), use another key "
				   "(--key), or ask the admin to lift the "
				   "expiry (dot account set-expiry)",
				   n->addr, n->key_id);
	return rv;
}

int
cli_node_connect(struct cli_node *n, struct dot_err *e)
{
	return cli_node_connect_to(n, getenv("DOT_ADDR"), e);
}

int
cli_node_connect_to(struct cli_node *n, const char *addr, struct dot_err *e)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0, el = sizeof(int);
	const char *t = getenv("DOT_TIMEOUT");
	uint64_t secs = DEFAULT_TIMEOUT_S;
	int rv, err = 0;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->next_id = 1;
	if (t != NULL && t[0] != '\0' && cli_parse_u64(t, 1, 86400, &secs) != 0)
		return dot_err_set(e, DOT_EINVAL,
				   "DOT_TIMEOUT '%s': give seconds, 1-86400",
				   t);
	n->timeout_ms = (int)(secs * 1000);
	if ((rv = node_addr(n, addr, &ss, &sl, e)) != DOT_OK)
		return rv;
	n->fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0)
		return unreachable(n, strerror(errno), e);
	if (connect(n->fd, (struct sockaddr *)&ss, sl) == 0)
		return ss.ss_family == AF_UNIX ? DOT_OK : chan_open(n, e);
	if (errno != EINPROGRESS && errno != EAGAIN)
		return unreachable(n, strerror(errno), e);
	switch (cli_wait_fd(n->fd, POLLOUT, cli_now_ms() + CONNECT_TIMEOUT_MS)) {
	case 0:
		return unreachable(n, "no answer within 5 s", e);
	case -1:
		return unreachable(n, strerror(errno), e);
	default:
		break;
	}
	if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
		err = errno;
	if (err != 0)
		return unreachable(n, strerror(err), e);
	return ss.ss_family == AF_UNIX ? DOT_OK : chan_open(n, e);
}

void
cli_node_close(struct cli_node *n)
{
	if (n == NULL)
		return;
	cli_chan_close(n);
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	dot_buf_free(&n->rx);
}

int
cli_send_all(struct cli_node *n, const uint8_t *p, size_t len, uint64_t deadline,
	 struct dot_err *e)
{
	ssize_t w;

	while (len > 0) {
		w = send(n->fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = cli_wait_fd(n->fd, POLLOUT, deadline);
			if (r == 0)
				return dot_err_set(
				    e, DOT_EAPI_UNAVAILABLE,
				    "the node at %s took no "
				    "request within %d s (is it "
				    "stuck? DOT_TIMEOUT sets the "
				    "wait)",
				    n->addr, n->timeout_ms / 1000);
			if (r < 0)
				return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
						   "sending to %s: %s", n->addr,
						   strerror(errno));
			continue;
		}
		if (w < 0)
			return dot_err_set(e, DOT_EAPI_UNAVAILABLE,
					   "sending to the node at %s: %s (did "
					   "dotd stop? see its log)",
					   n->addr, strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	return DOT_OK;
}

int
cli_node_call(struct cli_node *n, const char *method, const uint8_t *params,
	      size_t params_len, uint64_t *status, struct dot_buf *out,
	      struct dot_err *e)
{
	struct dot_buf req = {0};
	struct dot_api_msg m;
	const uint8_t *body;
	size_t body_len, used;
	uint64_t id = n->next_id++,
		 deadline = cli_now_ms() + (uint64_t)n->timeout_ms;
	ssize_t r;
	int rv;

	*status = DOT_OK;
	out->len = 0;
	rv = dot_api_request(&req, id, method, params, params_len);
	if (rv != DOT_OK) {
		rv = dot_err_set(e, rv == DOT_EAPI_FRAME ? DOT_ETOOBIG : rv,
				 "cannot encode the %s request: %s", method,
				 rv == DOT_EAPI_FRAME ? "over the frame size "
							"limit"
						      : dot_strerror(rv));
		goto out;
	}
	rv = n->ch != NULL ? cli_chan_send(n, req.data, req.len, deadline, e)
			   : cli_send_all(n, req.data, req.len, deadline, e);
	if (rv != DOT_OK)
		goto out;
	for (;;) {
		rv = dot_api_frame(n->rx.data, n->rx.len, &body, &body_len,
				   &used, e);
		if (rv != DOT_OK) {
			char ctx[sizeof(e->msg)];
			snprintf(ctx, sizeof(ctx), "%s", e->msg);
			rv = dot_err_set(e, rv,
					 "the node at %s sent a bad "
					 "frame: %s",
					 n->addr, ctx);
			goto out;
		}
		if (used > 0)
			break;
		if (n->ch != NULL) {
			if ((rv = cli_chan_recv(n, deadline, method, e)) !=
			    DOT_OK)
				goto out;
			continue;
		}
		if (dot_buf_reserve(&n->rx, 65536) != DOT_OK) {
			rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
			goto out;
		}
		r = recv(n->fd, n->rx.data + n->rx.len, n->rx.cap - n->rx.len,
			 0);
		if (r > 0) {
			n->rx.len += (size_t)r;
			continue;
		}
		if (r == 0) {
			rv = dot_err_set(e, DOT_EAPI_UNAVAILABLE,
					 "the node at %s closed the connection "
					 "before answering %s (did dotd stop? "
					 "see its log)",
					 n->addr, method);
			goto out;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rv = dot_err_set(e, DOT_EAPI_UNAVAILABLE,
					 "reading from the node at %s: %s",
					 n->addr, strerror(errno));
			goto out;
		}
		switch (cli_wait_fd(n->fd, POLLIN, deadline)) {
		case 0:
			rv = dot_err_set(e, DOT_EAPI_UNAVAILABLE,
					 "no answer to %s from the node at %s "
					 "within %d s (is it stuck or "
					 "overloaded? DOT_TIMEOUT sets the "
					 "wait)",
					 method, n->addr, n->timeout_ms / 1000);
			goto out;
		case -1:
			rv = dot_err_set(e, DOT_EAPI_UNAVAILABLE,
					 "waiting for the node at %s: %s",
					 n->addr, strerror(errno));
			goto out;
		default:
			break;
		}
	}
	rv = dot_api_response_parse(body, body_len, &m, e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e->msg)];
		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		rv = dot_err_set(e, rv,
				 "the node at %s sent a malformed "
				 "response: %s",
				 n->addr, ctx);
		goto out;
	}
	if (m.id != id) {
		rv = dot_err_set(e, DOT_EAPI_FORMAT,
				 "the node at %s answered request %" PRIu64
				 " when %" PRIu64 " was pending",
				 n->addr, m.id, id);
		goto out;
	}
	*status = m.status;
	if (m.status != DOT_OK) {
		dot_buf_put(out, m.message, m.message_len);
		dot_buf_put(out, "", 1);
		out->len--; /* NUL-terminated, not counted */
	} else {
		dot_buf_put(out, m.item, m.item_len);
	}
	if (out->err) {
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		goto out;
	}
	memmove(n->rx.data, n->rx.data + used, n->rx.len - used);
	n->rx.len -= used;
out:
	dot_buf_free(&req);
	return rv;
}

/* ---- the authority options ---- */

const char cli_auth_help[] =
    "Authority (one of):\n"
    "      --as ACCOUNT@LEVEL  act as an account's permission level, "
    "e.g. admin@active;\n"
    "                          --key signs (repeat it to meet a "
    "multi-key threshold)\n"
    "      --token TOKEN       present a capability token (dot1..., a "
    "file, or -);\n"
    "                          --key is its holder's key\n"
    "      --key NAME|FILE     a signing key (repeatable with --as)\n"
    "      --passphrase-file F the keys' passphrase (else "
    "DOT_PASSPHRASE, else asked)\n"
    "      --json              print JSON: {ok, ...} or {ok: false, "
    "error, message}\n"
    "  -h, --help              this help\n"
    "\n"
    "The node is at DOT_ADDR (unix:/path or HOST:PORT; also dot --addr),\n"
    "default unix:$DOT_DIR/node/dotd.sock. Over TCP the first --key opens\n"
    "the secure channel (DOT_CLUSTER names the cluster on first contact).\n";

int
cli_auth_option(struct cli_auth *a, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_AS:
		if (a->as != NULL) {
			cli_usage("--as is given twice");
			return -1;
		}
		a->as = arg;
		return 1;
	case CLI_OPT_TOKEN:
		if (a->token != NULL) {
			cli_usage("--token is given twice");
			return -1;
		}
		a->token = arg;
		return 1;
	case CLI_OPT_KEY:
		if (a->nkeys == DOT_TX_MAX_SIGS) {
			cli_usage("at most %d --key options", DOT_TX_MAX_SIGS);
			return -1;
		}
		a->keys[a->nkeys++] = arg;
		return 1;
	case CLI_OPT_PASSFILE:
		a->passfile = arg;
		return 1;
	case CLI_OPT_JSON:
		cli_set_json(1);
		return 1;
	default:
		return 0;
	}
}

int
cli_auth_opts(int argc, char **argv, const struct option *opts,
	      struct cli_auth *auth, const char *help)
{
	int c, k;

	memset(auth, 0, sizeof(*auth));
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		if (c == 'h') {
			cli_help(help);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		}
		return cli_badopt(c, argv);
	}
	return -1;
}

int
cli_auth_check(const struct cli_auth *a)
{
	const char *acct, *lvl;
	size_t al, ll;
	struct dot_err e = {0};

	if (a->as == NULL && a->token == NULL)
		return cli_usage("no authority given: act as an account with "
				 "--as ACCOUNT@LEVEL --key KEY (e.g. --as "
				 "admin@active --key admin), or present a "
				 "token with --token TOKEN --key HOLDER");
	if (a->as != NULL && a->token != NULL)
		return cli_usage("give --as or --token, not both");
	if (a->nkeys == 0)
		return cli_usage(a->as != NULL
				     ? "missing --key: a key of %s that "
				       "signs the transaction (--key NAME "
				       "or FILE)"
				     : "missing --key HOLDER: the token's "
				       "holder signs the request%s",
				 a->as != NULL ? a->as : "");
	if (a->token != NULL && a->nkeys > 1)
		return cli_usage("a token is presented by its one holder: give "
				 "a single --key");
	if (a->as != NULL && dot_tx_account_split(a->as, strlen(a->as), &acct,
						  &al, &lvl, &ll, &e) != DOT_OK)
		return cli_usage("--as '%s': %s (the form is ACCOUNT@LEVEL, "
				 "e.g. alice@active)",
				 a->as, e.msg[0] ? e.msg : "malformed");
	return 0;
}

/* ---- sessions ---- */

static int
open_keys(struct cli_session *s, const struct cli_auth *auth,
	  struct dot_err *e)
{
	uint8_t pks[DOT_TX_MAX_SIGS][DOT_SIGN_PK_MAX];
	size_t pklens[DOT_TX_MAX_SIGS];
	int rv;

	for (size_t i = 0; i < auth->nkeys; i++) {
		if ((rv = cli_key_open(auth->keys[i], auth->passfile, &s->sk[i],
				       e)) != DOT_OK)
			return rv;
		s->nsk++;
		pklens[i] = dot_sign_sk_public(s->sk[i], pks[i]);
		for (size_t j = 0; j < i; j++)
			if (pklens[j] == pklens[i] &&
			    memcmp(pks[j], pks[i], pklens[i]) == 0)
				return dot_err_set(e, DOT_EINVAL,
						   "--key %s is the same key "
						   "as --key %s: give each "
						   "signer once",
						   auth->keys[i],
						   auth->keys[j]);
	}
	return DOT_OK;
}

int
cli_session_open(struct cli_session *s, const struct cli_auth *auth,
		 struct dot_err *e)
{
	static const uint8_t empty[] = {0x80}; /* [] */
	struct dot_buf res = {0};
	uint64_t status;
	int rv;

	memset(s, 0, sizeof(*s));
	s->node.fd = -1;
	s->auth = auth;
	/* Over TCP the keys are opened first: the first one opens the
	 * channel. On a Unix socket, after the node answered. */
	if (auth != NULL && auth->nkeys > 0 && cli_addr_is_tcp()) {
		if ((rv = open_keys(s, auth, e)) != DOT_OK)
			goto out;
		cli_channel_key_open(s->sk[0]);
	}
	rv = cli_node_connect(&s->node, e);
	cli_channel_key_open(NULL);
	if (rv != DOT_OK)
		goto out;
	rv = cli_node_call(&s->node, "status", empty, sizeof(empty), &status,
			   &res, e);
	if (rv != DOT_OK)
		goto out;
	if (status != DOT_OK) {
		s->refused = 1;
		rv = dot_err_set(e, (int)status, "status: %s",
				 (const char *)res.data);
		goto out;
	}
	if ((rv = cli_status_parse(res.data, res.len, &s->status, e)) != DOT_OK)
		goto out;
	if (auth == NULL)
		goto out;
	if (auth->token != NULL &&
	    (rv = cli_token_load(auth->token, &s->token, e)) != DOT_OK)
		goto out;
	if (s->nsk == 0)
		rv = open_keys(s, auth, e);
out:
	dot_buf_free(&res);
	return rv;
}

void
cli_session_close(struct cli_session *s)
{
	if (s == NULL)
		return;
	cli_node_close(&s->node);
	for (size_t i = 0; i < s->nsk; i++)
		dot_sign_sk_free(s->sk[i]);
	s->nsk = 0;
	dot_token_free(s->token);
	s->token = NULL;
}

static int
build_tx(struct cli_session *s, const char *op, const struct dot_buf *args,
	 const struct dot_tx_objver *consumed, size_t nconsumed,
	 struct dot_buf *tx, uint8_t id[DOT_TX_ID_LEN], struct dot_err *e)
{
	struct dot_tx_payload p;
	struct dot_tx_signature *sigs = NULL;
	struct dot_tx_sig views[DOT_TX_MAX_SIGS];
	struct dot_buf pl = {0};
	uint64_t now = cli_now();
	int rv;

	if (s->auth == NULL || s->nsk == 0)
		return dot_err_set(e, DOT_EINVAL, "no signing key");
	if (nconsumed > DOT_TX_MAX_CONSUMED)
		return dot_err_set(e, DOT_EINVAL, "too many consumed versions");
	if (args->err)
		return dot_err_set(e, DOT_ENOMEM, "out of memory");
	if (args->len > DOT_TX_MAX_ARGS)
		return dot_err_set(e, DOT_ETOOBIG,
				   "the arguments of %s are %zu bytes, over "
				   "the limit of %u for one transaction",
				   op, args->len, DOT_TX_MAX_ARGS);
	memset(&p, 0, sizeof(p));
	p.op = op;
	p.op_len = strlen(op);
	p.args = args->data;
	p.args_len = args->len;
	for (size_t i = 0; i < nconsumed; i++)
		p.consumed[i] = consumed[i];
	p.nconsumed = nconsumed;
	if (s->token != NULL) {
		p.auth_kind = DOT_TX_AUTH_TOKEN;
		p.token = s->token->bytes;
		p.token_len = s->token->len;
	} else {
		p.auth_kind = DOT_TX_AUTH_ACCOUNT;
		rv = dot_tx_account_split(s->auth->as, strlen(s->auth->as),
					  &p.account, &p.account_len, &p.level,
					  &p.level_len, e);
		if (rv != DOT_OK)
			return rv;
	}
	randombytes_buf(p.nonce, sizeof(p.nonce));
	p.not_before = now > TX_BACKDATE ? now - TX_BACKDATE : 0;
	p.not_after = now + TX_LIFETIME;
	p.has_cluster = 1;
	memcpy(p.cluster_id, s->status.cluster_id, DOT_CLUSTER_ID_LEN);
	rv = dot_tx_payload_encode(&p, &pl, e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e->msg)];
		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		rv = dot_err_set(e, rv, "cannot build the %s transaction: %s",
				 op, ctx[0] ? ctx : dot_strerror(rv));
		goto out;
	}
	sigs = calloc(s->nsk, sizeof(*sigs));
	if (sigs == NULL) {
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->nsk; i++) {
		rv = dot_tx_sign(s->sk[i], pl.data, pl.len, &sigs[i], e);
		if (rv != DOT_OK) {
			rv = dot_err_set(e, rv, "cannot sign with --key %s: %s",
					 s->auth->keys[i], dot_strerror(rv));
			goto out;
		}
		views[i] = dot_tx_sig_of(&sigs[i]);
	}
	dot_tx_id(pl.data, pl.len, id);
	rv = dot_tx_assemble(pl.data, pl.len, views, s->nsk, tx, e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e->msg)];
		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		rv = dot_err_set(e, rv, "cannot assemble the transaction: %s",
				 ctx[0] ? ctx : dot_strerror(rv));
	}
out:
	free(sigs);
	dot_buf_free(&pl);
	return rv;
}

int
cli_session_tx(struct cli_session *s, const char *op,
	       const struct dot_buf *args, const struct dot_tx_objver *consumed,
	       size_t nconsumed, struct dot_buf *tx, struct dot_err *e)
{
	uint8_t id[DOT_TX_ID_LEN];

	return build_tx(s, op, args, consumed, nconsumed, tx, id, e);
}

/* Send a signed tx as the bstr params of method; the answer in out. */
static int
call_tx(struct cli_session *s, const char *method, const struct dot_buf *tx,
	struct dot_buf *out, struct dot_err *e)
{
	struct dot_buf params = {0};
	uint64_t status;
	int rv;

	s->refused = 0;
	dot_enc_bstr(&params, tx->data, tx->len);
	if (params.err) {
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		goto out;
	}
	rv = cli_node_call(&s->node, method, params.data, params.len, &status,
			   out, e);
	if (rv != DOT_OK)
		goto out;
	if (status != DOT_OK) {
		s->refused = 1;
		rv = dot_err_set(e, (int)status, "%s",
				 out->len ? (const char *)out->data : "");
	}
out:
	dot_buf_free(&params);
	return rv;
}

int
cli_session_submit(struct cli_session *s, const char *op,
		   const struct dot_buf *args,
		   const struct dot_tx_objver *consumed, size_t nconsumed,
		   struct dot_receipt **r, struct dot_err *e)
{
	struct dot_buf tx = {0}, res = {0};
	uint8_t id[DOT_TX_ID_LEN];
	struct dot_dec d;
	const uint8_t *p;
	size_t n;
	int rv;

	*r = NULL;
	if ((rv = build_tx(s, op, args, consumed, nconsumed, &tx, id, e)) !=
	    DOT_OK)
		goto out;
	if ((rv = call_tx(s, "submit", &tx, &res, e)) != DOT_OK)
		goto out;
	if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_bstr(&d, &p, &n) != DOT_OK) {
		rv = dot_err_set(e, DOT_EAPI_FORMAT,
				 "the node answered submit with something "
				 "other than receipt bytes");
		goto out;
	}
	rv = dot_receipt_parse(p, n, r, e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e->msg)];
		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		rv = dot_err_set(e, rv, "the node's receipt is malformed: %s",
				 ctx);
		goto out;
	}
	if (memcmp((*r)->tx_id, id, DOT_TX_ID_LEN) != 0) {
		dot_receipt_free(*r);
		*r = NULL;
		rv = dot_err_set(e, DOT_EAPI_FORMAT,
				 "the node returned the receipt of another "
				 "transaction");
	} else if (cli_quorum_receipt_wanted()) {
		/* The write is done; the quorum receipt proves by whom. */
		rv = cli_quorum_receipt(&s->node, *r, e);
		if (rv != DOT_OK) {
			char ctx[sizeof(e->msg)], hx[2 * DOT_TX_ID_LEN + 1];

			snprintf(ctx, sizeof(ctx), "%s", e->msg);
			cli_hex(hx, id, sizeof(id));
			rv = dot_err_set(e, rv,
					 "tx %.16s... was applied at ledger "
					 "index %llu, but %s",
					 hx,
					 (unsigned long long)(*r)->ledger_index,
					 ctx);
			dot_receipt_free(*r);
			*r = NULL;
		}
	}
out:
	dot_buf_free(&tx);
	dot_buf_free(&res);
	return rv;
}

/* dot --consistent: reads go through the leader (query.consistent). */
static int consistent_reads;

void
cli_set_consistent(int on)
{
	consistent_reads = on;
}

int
cli_session_query_args(struct cli_session *s, const char *op,
		       const struct dot_buf *args, struct dot_buf *ans,
		       struct dot_err *e)
{
	struct dot_buf tx = {0};
	uint8_t id[DOT_TX_ID_LEN];
	int rv;

	if ((rv = build_tx(s, op, args, NULL, 0, &tx, id, e)) != DOT_OK)
		goto out;
	rv = call_tx(s, consistent_reads ? "query.consistent" : "query", &tx,
		     ans, e);
	if (rv == DOT_OK &&
	    dot_codec_check(ans->data, ans->len, NULL, NULL) != DOT_OK)
		rv = dot_err_set(e, DOT_EAPI_FORMAT,
				 "the node's answer to %s is not one "
				 "canonical item",
				 op);
out:
	dot_buf_free(&tx);
	return rv;
}

int
cli_session_query(struct cli_session *s, const char *op, const char *path,
		  struct dot_buf *ans, struct dot_err *e)
{
	struct dot_buf args = {0};
	int rv;

	dot_enc_map(&args, 1);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, path, strlen(path));
	rv = cli_session_query_args(s, op, &args, ans, e);
	dot_buf_free(&args);
	return rv;
}

const char *
cli_kind_name(uint64_t kind)
{
	switch (kind) {
	case DOT_OBJ_DIR:
		return "dir";
	case DOT_OBJ_FILE:
		return "file";
	case DOT_OBJ_MAILBOX:
		return "mailbox";
	case DOT_OBJ_MESSAGE:
		return "message";
	default:
		return "unknown";
	}
}

int
cli_stat_dec(struct dot_dec *d, struct cli_stat *st, struct dot_err *e)
{
	uint64_t count, key, *dst;
	const uint8_t *b;
	const char *s;
	size_t len;
	unsigned seen = 0;

	memset(st, 0, sizeof(*st));
	if (dot_dec_map(d, &count) != DOT_OK)
		goto bad;
	for (uint64_t i = 0; i < count; i++) {
		if (dot_dec_uint(d, &key) != DOT_OK)
			goto bad;
		dst = NULL;
		switch (key) {
		case 1:
			if (dot_dec_bstr_fixed(d, &b, DOT_OBJECT_ID_LEN) !=
			    DOT_OK)
				goto bad;
			memcpy(st->id, b, DOT_OBJECT_ID_LEN);
			break;
		case 2:
			dst = &st->kind;
			break;
		case 3:
			dst = &st->version;
			break;
		case 4:
			dst = &st->size;
			break;
		case 5:
			if (dot_dec_tstr(d, &s, &len) != DOT_OK ||
			    len > DOT_TX_MAX_ACCOUNT)
				goto bad;
			memcpy(st->owner, s, len);
			st->owner[len] = '\0';
			break;
		case 6:
			dst = &st->created;
			break;
		case 7:
			dst = &st->modified;
			break;
		case 8:
			dst = &st->policy;
			break;
		default:
			if (dot_dec_item(d, &b, &len) != DOT_OK)
				goto bad;
			continue;
		}
		if (dst != NULL && dot_dec_uint(d, dst) != DOT_OK)
			goto bad;
		seen |= 1u << key;
	}
	if ((seen & 0x3e) != 0x3e) /* id, kind, version, size, owner */
		goto bad;
	return DOT_OK;
bad:
	return dot_err_set(e, DOT_EAPI_FORMAT,
			   "the node's stat answer is malformed (a map {1: "
			   "id, 2: kind, 3: version, 4: size, 5: owner, ...} "
			   "was expected)");
}

int
cli_session_stat(struct cli_session *s, const char *path, struct cli_stat *st,
		 struct dot_err *e)
{
	struct dot_buf ans = {0};
	struct dot_dec d;
	int rv;

	if ((rv = cli_session_query(s, "fs.stat", path, &ans, e)) != DOT_OK)
		goto out;
	if (dot_dec_init(&d, ans.data, ans.len, NULL, NULL) != DOT_OK) {
		rv = dot_err_set(e, DOT_EAPI_FORMAT, "bad stat answer");
		goto out;
	}
	rv = cli_stat_dec(&d, st, e);
out:
	dot_buf_free(&ans);
	return rv;
}

int
cli_session_expect(struct cli_session *s, const char *path, uint64_t version,
		   struct dot_tx_objver *cv, struct dot_err *e)
{
	struct cli_stat st;
	int rv = cli_session_stat(s, path, &st, e);

	if (rv != DOT_OK) {
		char ctx[sizeof(e->msg)];
		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		return dot_err_set(e, rv,
				   "--expect-version: cannot look %s up: %s",
				   path, ctx[0] ? ctx : dot_strerror(rv));
	}
	memcpy(cv->id, st.id, DOT_OBJECT_ID_LEN);
	cv->version = version;
	return DOT_OK;
}

/* ---- reporting ---- */

static const char *
refusal_hint(int code, int token)
{
	switch (code) {
	case DOT_ESTATE_CONFLICT:
		return "the object changed since that version: see its "
		       "current version with 'dot fs stat' (or list the "
		       "mailbox again) and retry";
	case DOT_ESTATE_NOT_FOUND:
		return "check the path with 'dot fs ls'";
	case DOT_ESTATE_EXISTS:
		return "choose another name, or remove the existing one first";
	case DOT_ESTATE_DENIED:
		return "act as the owner of the path (or of a directory above "
		       "it), or present a token its owner granted";
	case DOT_ETX_AUTHORITY:
		return token ? "a token is presented by its holder alone: give "
			       "only the holder's --key"
			     : "check that --as names an existing "
			       "ACCOUNT@LEVEL and that every --key is one of "
			       "that level's keys";
	case DOT_ETX_THRESHOLD:
		return "the level needs more signatures: add --key for more "
		       "of its keys";
	case DOT_ETX_EXPIRED:
	case DOT_ETX_NOT_YET_VALID:
		return "this machine's clock disagrees with the node's: "
		       "compare with the time 'dot status' shows";
	case DOT_ETX_CLUSTER:
		return "DOT_ADDR reaches another cluster than the tx names";
	case DOT_ETOKEN_REVOKED:
		return "this token, or one it was derived from, was revoked; "
		       "ask for a new one";
	case DOT_ETOKEN_WRONG_HOLDER:
		return "present the token with its holder's key (--key; see "
		       "'dot cap inspect' for the holder)";
	case DOT_ETOKEN_EXPIRED:
		return "the token has expired: ask its issuer for a fresh one";
	case DOT_ETOKEN_NOT_YET_VALID:
		return "the token is not valid yet: wait for its not-before "
		       "time (see 'dot cap inspect')";
	case DOT_ETOKEN_RIGHTS:
		return "the token does not grant the right this operation "
		       "needs (see 'dot cap inspect'); ask for one that does";
	case DOT_ETOKEN_RESOURCE:
	case DOT_ETOKEN_PATH:
		return "the path is outside the token's resource or path "
		       "caveat (see 'dot cap inspect')";
	case DOT_ETOKEN_ISSUER:
		return "the token's issuer key is not a key of an account "
		       "with authority over its resource";
	case DOT_ESTATE_ACCOUNT_EXPIRED:
		return "the account has expired: the admin can move or clear "
		       "its expiry (dot account set-expiry ACCOUNT TIME|never)";
	case DOT_EAPI_BUSY:
		return "the node is busy: retry in a moment";
	default:
		return NULL;
	}
}

static void
json_refusal(int code, const char *detail, const struct dot_receipt *r)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kbool(&j, "ok", 0);
	json_kstr(&j, "error", dot_errname(code));
	json_kstr(&j, "message", detail[0] ? detail : dot_strerror(code));
	if (r != NULL) {
		json_khex(&j, "tx_id", r->tx_id, DOT_TX_ID_LEN);
		json_kuint(&j, "ledger_index", r->ledger_index);
		json_kuint(&j, "entry_time", r->entry_time);
	}
	json_obj_end(&j);
	json_finish(&j);
}

static int
refused(int code, const char *detail, const struct dot_receipt *r, int token)
{
	const char *hint = refusal_hint(code, token);

	fflush(stdout);
	fprintf(stderr, "%s: refused: %s (%s)%s%s\n", cli_prog(),
		dot_errname(code), dot_strerror(code), detail[0] ? ": " : "",
		detail);
	if (r != NULL) {
		char hex[2 * DOT_TX_ID_LEN + 1];
		cli_hex(hex, r->tx_id, DOT_TX_ID_LEN);
		fprintf(stderr,
			"%s: the refusal is recorded at ledger index "
			"%" PRIu64 " (tx %s)\n",
			cli_prog(), r->ledger_index, hex);
	}
	if (hint != NULL)
		fprintf(stderr, "%s: hint: %s\n", cli_prog(), hint);
	if (cli_json())
		json_refusal(code, detail, r);
	return DOT_EXIT_FAIL;
}

int
cli_session_fail(const struct cli_session *s, const struct dot_err *e)
{
	if (s->refused)
		return refused(e->code, e->msg, NULL, s->token != NULL);
	return cli_fail(e);
}

int
cli_receipt_report(const char *op, const char *target,
		   const struct dot_receipt *r, cli_json_fn fn, void *ctx)
{
	char hex[2 * DOT_TX_ID_LEN + 1], detail[DOT_RECEIPT_MAX_DETAIL + 1];
	struct json j;

	if (r->status != DOT_OK) {
		snprintf(detail, sizeof(detail), "%.*s", (int)r->detail_len,
			 r->detail ? r->detail : "");
		return refused(r->status, detail, r, 0);
	}
	cli_hex(hex, r->tx_id, DOT_TX_ID_LEN);
	if (!cli_json()) {
		printf("%s %s: ok, ledger index %" PRIu64, op, target,
		       r->ledger_index);
		if (r->nversions == 1)
			printf(", version %" PRIu64, r->versions[0].version);
		printf(", tx %s\n", hex);
		return DOT_EXIT_OK;
	}
	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kbool(&j, "ok", 1);
	json_kstr(&j, "op", op);
	json_kstr(&j, "target", target);
	json_kstr(&j, "tx_id", hex);
	json_kuint(&j, "ledger_index", r->ledger_index);
	json_kuint(&j, "entry_time", r->entry_time);
	json_key(&j, "versions");
	json_arr_begin(&j);
	for (size_t i = 0; i < r->nversions; i++) {
		json_obj_begin(&j);
		json_khex(&j, "id", r->versions[i].id, DOT_OBJECT_ID_LEN);
		json_kuint(&j, "version", r->versions[i].version);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	if (fn != NULL)
		fn(&j, ctx);
	json_obj_end(&j);
	json_finish(&j);
	return DOT_EXIT_OK;
}

int
cli_path_arg(const char *what, const char *path)
{
	if (dot_path_valid(path, strlen(path)))
		return 0;
	return cli_usage("%s '%s': give an absolute path (/home/alice/notes) "
			 "without empty, '.' or '..' parts or a trailing '/'",
			 what, path);
}
