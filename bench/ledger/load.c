/*
 * load.c - bench/ledger's load generator for a running dotd (it starts
 * nothing itself).
 *
 *   bench_ledger_load genesis DIR
 *       Write DIR/genesis: cluster id d07d..., admin account "admin" with
 *       the benchmark's fixed admin key (weight 1, threshold 1).
 *
 *   bench_ledger_load keyfile FILE
 *       Write the benchmark's fixed admin key as a key file
 *       (docs/key-file.md) sealed under $DOT_PASSPHRASE (light Argon2id
 *       limits: a benchmark key, not a secret), and print its public key
 *       (dotpk1...) and the benchmark's cluster id (32 hex digits) on two
 *       lines: for `dot init --admin-key --cluster-id` and the admin
 *       commands of a cluster set up with dot (bench/cluster/run).
 *
 *   bench_ledger_load run --socket PATH --clients C --count N
 *                     [--warmup W] [--tag NAME] [--size BYTES]
 *                     [--duration SECONDS] [--timeout SECONDS]
 *                     [--unchecked] [--token-ref] [--watch PID]...
 *       Set-up, untimed: fs.mkdir /bench-NAME (admin account authority);
 *       mint a capability token (admin key -> the benchmark holder key,
 *       path /bench-NAME, rights create|write, expiring in a day); the
 *       negative control: an fs.put under that token signed by a key that
 *       is not the holder must be refused with DOT_ETOKEN_WRONG_HOLDER (with
 *       --unchecked, the build without checks, it must be accepted instead:
 *       proof that the checks really are off), else abort; a second one,
 *       the holder's own fs.put with one byte of its signature flipped,
 *       must be refused with DOT_ETX_SIGNATURE (accepted with --unchecked); build and sign
 *       every tx and frame its request. Then W warm-up puts (the token's
 *       chain enters the node's verified-chain cache, SQLite's pages warm),
 *       then N timed puts of SIZE random bytes (default 1024) to distinct
 *       paths /bench-NAME/fI, from C connections on the Unix socket, each
 *       with exactly one request in flight (all C in flight at once), driven
 *       by one thread with poll(2). Each receipt must have status 0 and the
 *       tx's id, else abort. With --duration, no request is started after
 *       that many seconds (those in flight finish and count): the timed
 *       part is N txs or the duration, whichever ends first. --timeout
 *       (default 120 s) bounds every part: past it the program aborts.
 *       --token-ref: every put after the negative control names the token
 *       by reference ([3, rid], docs/tx-format.md §1) instead of carrying
 *       it, and leaves the holder's key out of its signature (§3); first a reference is tried before the node holds the token
 *       (it must be refused, DOT_ETOKEN_UNKNOWN), then one put carries it
 *       inline, which registers it.
 *
 * DOT_BENCH_POLICY=hybrid (for every subcommand) makes the three keys the
 * composite ML-DSA-65 + Ed25519 of the same seeds and the genesis of the
 * hybrid crypto policy (docs/crypto.md §14), so that dotd makes a
 * composite node key; unset or "classic", Ed25519 and no key 6 (bench/pq
 * compares the two).
 *
 * Output, one "name value" per line: clients, txs, seconds, tps, p50_ms,
 * p99_ms, mean_ms, max_ms, entries (ledger entries written during the timed
 * part, read from the node's status) and batch_mean (txs per entry); over
 * the timed part only: machine_busy (the share of all cores' time not idle,
 * from /proc/stat), and for each --watch PID (at most 8, in order)
 * watch_ticks_I, its user + system CPU time in clock ticks (clk_tck),
 * and watch_run_ms_I and watch_wait_ms_I, the time its main thread ran and
 * the time it was runnable but waited for a CPU (/proc/PID/schedstat);
 * and self_cpu_s, this program's own CPU time (user + system, seconds).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/api.h"
#include "doteros/codec.h"
#include "doteros/state.h"
#include "doteros/token.h"
#include "doteros/tx.h"

#define MAX_CLIENTS 1024

static const uint8_t CLUSTER[DOT_CLUSTER_ID_LEN] = {0xd0, 0x7d, 0xbe, 0x7c};

struct key {
	struct dot_sign_sk *sk;
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
};
static struct key admin, holder, stranger;

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_ledger_load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* DOT_BENCH_POLICY: DOT_POLICY_CLASSIC or DOT_POLICY_HYBRID */
static unsigned policy = DOT_POLICY_CLASSIC;

static void
key_init(struct key *k, uint8_t fill)
{
	uint8_t seed[32];

	memset(seed, fill, sizeof(seed));
	if (dot_sign_sk_from_seed(&k->sk,
				  policy == DOT_POLICY_HYBRID
				      ? DOT_SUITE_ED25519_MLDSA65
				      : DOT_SUITE_ED25519,
				  seed) != DOT_OK)
		die("cannot make a key");
	k->pklen = dot_sign_sk_public(k->sk, k->pk);
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- CPU time from /proc, for --watch and machine_busy ---- */

#define MAX_WATCH 8

/* A process's user + system time in clock ticks; -1 when unreadable. */
static long long
proc_ticks(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, stt;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields after the command name, which may hold spaces: state is 3,
	 * utime 14, stime 15 */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
			  "%llu",
		   &ut, &stt) != 2)
		return -1;
	return (long long)(ut + stt);
}

/* A process's main thread: ns on a CPU and ns runnable, waiting for one
 * (/proc/PID/schedstat); -1 when unreadable. */
static int
proc_sched(long pid, long long *run, long long *wait)
{
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%lld %lld", run, wait);
	fclose(f);
	return n == 2 ? 0 : -1;
}

/* This process's user + system CPU time, in seconds. */
static double
self_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* All cores' busy and total jiffies (the "cpu" line of /proc/stat). */
static int
machine_jiffies(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4]; /* not idle, not iowait */
	return 0;
}

/* ---- genesis ---- */

static int
cmd_genesis(const char *dir)
{
	struct dot_tx_level_key k = {admin.pk, admin.pklen, 1};
	struct dot_buf g = {0};
	struct dot_err e = {0};
	char path[4096];
	FILE *f;

	if (dot_state_genesis_encode_policy(CLUSTER, "admin", &k, 1, 1, NULL,
					    0, NULL, NULL, policy, &g,
					    &e) != DOT_OK)
		die("genesis: %s", e.msg);
	snprintf(path, sizeof(path), "%s/genesis", dir);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(g.data, 1, g.len, f) != g.len || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
	dot_buf_free(&g);
	return 0;
}

/* ---- the admin key as a key file ---- */

static int
cmd_keyfile(const char *path)
{
	const char *pass = getenv("DOT_PASSPHRASE");
	uint8_t salt[DOT_KDF_SALT_LEN], nonce[DOT_AEAD_NONCE_LEN];
	char text[DOT_PK_TEXT_MAX];
	struct dot_buf kf = {0};
	FILE *f;
	int fd;

	if (pass == NULL || pass[0] == '\0')
		die("keyfile: set DOT_PASSPHRASE");
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if (dot_keyfile_seal(admin.sk, pass, strlen(pass), salt, nonce, 1,
			     8u << 20, &kf) != DOT_OK)
		die("keyfile: cannot seal the key");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fwrite(kf.data, 1, kf.len, f) != kf.len || fputc('\n', f) == EOF ||
	    fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
	dot_buf_free(&kf);
	if (dot_pk_to_text(admin.pk, admin.pklen, text, sizeof(text)) !=
	    DOT_OK)
		die("keyfile: cannot print the public key");
	printf("%s\n", text);
	for (size_t i = 0; i < sizeof(CLUSTER); i++)
		printf("%02x", CLUSTER[i]);
	printf("\n");
	return 0;
}

/* ---- a blocking client, for the set-up ---- */

static int
connect_unix(const char *sock)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(a.sun_path))
		die("socket path too long: %s", sock);
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("connect %s: %s", sock, strerror(errno));
	return fd;
}

static void
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void
read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read: %s", r == 0 ? "the node closed the connection"
						: strerror(errno));
		p += r;
		n -= (size_t)r;
	}
}

/* One request; returns the response status, the result item in *result. */
static int
call(int fd, const char *method, const uint8_t *params, size_t n,
     struct dot_buf *result)
{
	static uint64_t id = (uint64_t)1 << 40; /* apart from the timed ids */
	struct dot_buf req = {0}, body = {0};
	struct dot_api_msg m;
	struct dot_err e = {0};
	uint8_t h[4];
	size_t len;

	if (dot_api_request(&req, ++id, method, params, n) != DOT_OK)
		die("cannot encode a request");
	write_all(fd, req.data, req.len);
	read_full(fd, h, 4);
	len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (len == 0 || len > DOT_API_MAX_FRAME ||
	    dot_buf_reserve(&body, len) != DOT_OK)
		die("bad response frame length %zu", len);
	read_full(fd, body.data, len);
	body.len = len;
	if (dot_api_response_parse(body.data, body.len, &m, &e) != DOT_OK ||
	    m.id != id)
		die("bad response: %s", e.msg);
	result->len = 0;
	if (m.status == DOT_OK)
		dot_buf_put(result, m.item, m.item_len);
	else
		fprintf(stderr, "bench_ledger_load: %s: %s (%.*s)\n", method,
			dot_strerror((int)m.status), (int)m.message_len,
			m.message ? m.message : "");
	dot_buf_free(&req);
	dot_buf_free(&body);
	return (int)m.status;
}

/* The node's ledger index (status {1: index, ...}). */
static uint64_t
ledger_index(int fd)
{
	struct dot_buf res = {0};
	struct dot_dec d;
	uint64_t n, k, index;

	if (call(fd, "status", (const uint8_t *)"\x80", 1, &res) != DOT_OK ||
	    dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &n) != DOT_OK || dot_dec_uint(&d, &k) != DOT_OK ||
	    k != 1 || dot_dec_uint(&d, &index) != DOT_OK)
		die("status: unexpected answer");
	dot_buf_free(&res);
	return index;
}

/* ---- building transactions ---- */

static uint64_t nonce_ctr;
static uint64_t run_salt; /* keeps nonces apart between runs */
/* --token-ref, once the token is registered: name it by its last rid. */
static int use_ref;
static int forge_sig; /* build_tx flips one byte of the signature */
static uint8_t token_rid[DOT_RID_LEN];

/* A signed tx: op with args, under a token (signed by `signer`) or the
 * admin account (token NULL). Its id goes to id if given. */
static void
build_tx(struct dot_buf *out, const char *op, const struct dot_buf *args,
	 const struct dot_buf *token, const struct key *signer,
	 uint8_t id[DOT_TX_ID_LEN])
{
	struct dot_tx_payload p;
	struct dot_tx_signature sig;
	struct dot_tx_sig v;
	struct dot_buf pl = {0};
	struct dot_err e = {0};
	uint64_t now = (uint64_t)time(NULL);

	memset(&p, 0, sizeof(p));
	p.op = op;
	p.op_len = strlen(op);
	p.args = args->data;
	p.args_len = args->len;
	if (token != NULL && use_ref) {
		p.auth_kind = DOT_TX_AUTH_TOKEN_REF;
		p.token_ref = token_rid;
	} else if (token != NULL) {
		p.auth_kind = DOT_TX_AUTH_TOKEN;
		p.token = token->data;
		p.token_len = token->len;
	} else {
		p.auth_kind = DOT_TX_AUTH_ACCOUNT;
		p.account = "admin";
		p.account_len = 5;
		p.level = "active";
		p.level_len = 6;
	}
	nonce_ctr++;
	memcpy(p.nonce, &nonce_ctr, sizeof(nonce_ctr));
	memcpy(p.nonce + 8, &run_salt, sizeof(run_salt));
	p.not_before = now - 60;
	p.not_after = now + 1800;
	p.has_cluster = 1;
	memcpy(p.cluster_id, CLUSTER, sizeof(CLUSTER));
	out->len = 0;
	if (dot_tx_payload_encode(&p, &pl, &e) != DOT_OK ||
	    dot_tx_sign(signer->sk, pl.data, pl.len, &sig, &e) != DOT_OK)
		die("build %s: %s", op, e.msg);
	if (forge_sig)
		sig.sig[sig.sig_len / 2] ^= 0x01; /* inside the Ed25519 R or S */
	v = dot_tx_sig_of(&sig);
	if (token != NULL && use_ref)
		v.pk_len = 0; /* the holder's: the token names it */
	if (dot_tx_assemble(pl.data, pl.len, &v, 1, out, &e) != DOT_OK)
		die("assemble %s: %s", op, e.msg);
	if (id != NULL)
		dot_tx_id(pl.data, pl.len, id);
	dot_buf_free(&pl);
}

static void
args_path(struct dot_buf *b, const char *path, const uint8_t *data, size_t n)
{
	b->len = 0;
	dot_enc_map(b, data ? 2 : 1);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, path, strlen(path));
	if (data) {
		dot_enc_uint(b, 2);
		dot_enc_bstr(b, data, n);
	}
}

/* Parse a submit's result (bstr receipt); return the receipt's status,
 * checking its tx id when want_id is given. */
static int
receipt_status(const uint8_t *item, size_t n, const uint8_t *want_id,
	       const char **detail, int *detail_len)
{
	struct dot_receipt *r;
	struct dot_err e = {0};
	struct dot_dec d;
	const uint8_t *p;
	size_t len;
	int status;

	if (dot_dec_init(&d, item, n, NULL, NULL) != DOT_OK ||
	    dot_dec_bstr(&d, &p, &len) != DOT_OK ||
	    dot_receipt_parse(p, len, &r, &e) != DOT_OK)
		die("a submit's result is not a receipt: %s", e.msg);
	if (want_id != NULL && memcmp(r->tx_id, want_id, DOT_TX_ID_LEN) != 0)
		die("a receipt names another tx");
	status = r->status;
	if (detail != NULL) {
		static char buf[DOT_RECEIPT_MAX_DETAIL + 1];
		size_t dl = r->detail ? r->detail_len : 0;
		memcpy(buf, r->detail ? r->detail : "", dl);
		buf[dl] = '\0';
		*detail = buf;
		*detail_len = (int)dl;
	}
	dot_receipt_free(r);
	return status;
}

/* Submit one tx over the blocking connection; the receipt's status. */
static int
submit(int fd, const struct dot_buf *tx, const char **detail)
{
	struct dot_buf params = {0}, res = {0};
	int status, dl;

	dot_enc_bstr(&params, tx->data, tx->len);
	status = call(fd, "submit", params.data, params.len, &res);
	if (status != DOT_OK)
		die("submit refused before the log: %s", dot_strerror(status));
	status = receipt_status(res.data, res.len, NULL, detail, &dl);
	dot_buf_free(&params);
	dot_buf_free(&res);
	return status;
}

/* ---- the timed part ---- */

struct req {
	struct dot_buf frame; /* the framed submit request */
	uint8_t id[DOT_TX_ID_LEN];
};

struct client {
	int fd;
	size_t cur;      /* index of the request in flight; SIZE_MAX: none */
	size_t sent;     /* bytes of its frame written */
	double t0;
	struct dot_buf in;
};

struct opts {
	const char *sock;
	size_t clients, count, warmup, size;
	const char *tag;
	double duration, timeout;
	int unchecked;
	int token_ref;
	long watch[MAX_WATCH];
	size_t nwatch;
};

static void
prebuild(struct req *reqs, size_t from, size_t n, const char *dir,
	 const struct dot_buf *token, size_t size)
{
	struct dot_buf args = {0}, tx = {0}, params = {0};
	uint8_t *data = malloc(size);
	char path[256];

	if (data == NULL)
		die("out of memory");
	for (size_t i = from; i < from + n; i++) {
		randombytes_buf(data, size); /* no two contents alike */
		snprintf(path, sizeof(path), "%s/f%zu", dir, i);
		args_path(&args, path, data, size);
		build_tx(&tx, "fs.put", &args, token, &holder, reqs[i].id);
		params.len = 0;
		dot_enc_bstr(&params, tx.data, tx.len);
		if (params.err ||
		    dot_api_request(&reqs[i].frame, (uint64_t)i + 1, "submit",
				    params.data, params.len) != DOT_OK)
			die("cannot frame request %zu", i);
	}
	free(data);
	dot_buf_free(&args);
	dot_buf_free(&tx);
	dot_buf_free(&params);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double
pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* Drive reqs[from .. from+n) through the clients, starting none after
 * `duration` seconds (0: no limit); record latencies (ns) into lat
 * (indexed from `from`) when lat is given. Returns seconds; *ndone gets
 * how many were answered (those are reqs[from .. from+*ndone)). */
static double
drive(struct client *cl, size_t ncl, struct req *reqs, size_t from, size_t n,
      double *lat, double duration, double timeout, size_t *ndone)
{
	struct pollfd *pfd = calloc(ncl, sizeof(*pfd));
	size_t next = from, end = from + n, done = 0, inflight = 0;
	double start = now_ns(), limit = start + timeout * 1e9;
	double stop_at = duration > 0 ? start + duration * 1e9 : 0;

	if (pfd == NULL)
		die("out of memory");
	for (size_t i = 0; i < ncl; i++)
		cl[i].cur = SIZE_MAX;
	while (done < n) {
		int rv;

		if (stop_at > 0 && next < end && now_ns() >= stop_at)
			end = next; /* start no more */
		if (done == next - from && next == end)
			break;
		for (size_t i = 0; i < ncl; i++) {
			struct client *c = &cl[i];

			if (c->cur == SIZE_MAX && next < end) {
				c->cur = next++;
				c->sent = 0;
				c->t0 = now_ns();
				inflight++;
			}
			/* write what fits now */
			while (c->cur != SIZE_MAX &&
			       c->sent < reqs[c->cur].frame.len) {
				const struct dot_buf *f = &reqs[c->cur].frame;
				ssize_t w = write(c->fd, f->data + c->sent,
						  f->len - c->sent);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0 && errno == EAGAIN)
					break;
				if (w <= 0)
					die("write: %s", strerror(errno));
				c->sent += (size_t)w;
			}
			pfd[i].fd = c->fd;
			pfd[i].events = c->cur == SIZE_MAX ? 0 : POLLIN;
			if (c->cur != SIZE_MAX &&
			    c->sent < reqs[c->cur].frame.len)
				pfd[i].events |= POLLOUT;
			pfd[i].revents = 0;
		}
		rv = poll(pfd, ncl, 1000);
		if (rv < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (now_ns() > limit)
			die("timed out after %.0f s with %zu of %zu answered",
			    timeout, done, n);
		for (size_t i = 0; rv > 0 && i < ncl; i++) {
			struct client *c = &cl[i];
			uint8_t buf[65536];
			ssize_t r;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(c->fd, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0)
				die("read: %s", r == 0 ? "the node closed a "
							 "connection"
						       : strerror(errno));
			dot_buf_put(&c->in, buf, (size_t)r);
			for (;;) {
				const uint8_t *body;
				size_t blen, used;
				struct dot_api_msg m;
				struct dot_err e = {0};
				const char *detail = "";
				int dl = 0, st;

				if (dot_api_frame(c->in.data, c->in.len, &body,
						  &blen, &used, &e) != DOT_OK)
					die("bad frame: %s", e.msg);
				if (used == 0)
					break;
				if (dot_api_response_parse(body, blen, &m,
							   &e) != DOT_OK)
					die("bad response: %s", e.msg);
				if (c->cur == SIZE_MAX ||
				    m.id != (uint64_t)c->cur + 1)
					die("a response to a request not in "
					    "flight (id %llu)",
					    (unsigned long long)m.id);
				if (m.status != DOT_OK)
					die("submit %zu refused: %s (%.*s)",
					    c->cur,
					    dot_strerror((int)m.status),
					    (int)m.message_len,
					    m.message ? m.message : "");
				st = receipt_status(m.item, m.item_len,
						    reqs[c->cur].id, &detail,
						    &dl);
				if (st != DOT_OK)
					die("tx %zu: receipt status %s (%s)",
					    c->cur, dot_strerror(st), detail);
				if (lat != NULL)
					lat[c->cur - from] = now_ns() - c->t0;
				c->cur = SIZE_MAX;
				inflight--;
				done++;
				memmove(c->in.data, c->in.data + used,
					c->in.len - used);
				c->in.len -= used;
			}
		}
	}
	free(pfd);
	assert(inflight == 0);
	*ndone = done;
	return (now_ns() - start) / 1e9;
}

/*
 * A negative control: a put of 16 zero bytes to DIR/NAME under the token,
 * signed by signer (its signature forged, one byte flipped, if forge), must
 * be refused with want (accepted by the build without checks, --unchecked),
 * or the run aborts.
 */
static void
negative_control(int fd, const struct opts *o, const char *dir,
		 const char *name, const struct dot_buf *token,
		 const struct key *signer, int forge, int want,
		 const char *what)
{
	struct dot_buf args = {0}, tx = {0};
	uint8_t data[16] = {0};
	char path[256];
	const char *detail = "";
	int st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	args_path(&args, path, data, sizeof(data));
	forge_sig = forge;
	build_tx(&tx, "fs.put", &args, token, signer, NULL);
	forge_sig = 0;
	st = submit(fd, &tx, &detail);
	if (o->unchecked && st != DOT_OK)
		die("negative control: --unchecked, but a %s was refused "
		    "(%s: %s): this node checks",
		    what, dot_strerror(st), detail);
	if (!o->unchecked && st != want)
		die("negative control: a %s got %s (%s), not %s", what,
		    dot_strerror(st), detail, dot_strerror(want));
	fprintf(stderr, "bench_ledger_load: negative control: %s %s (%s)\n",
		what,
		o->unchecked ? "accepted, as a build without checks does"
			     : "refused",
		o->unchecked ? "no checks" : dot_strerror(st));
	dot_buf_free(&args);
	dot_buf_free(&tx);
}

static int
cmd_run(const struct opts *o)
{
	struct dot_buf args = {0}, tx = {0}, token = {0};
	struct dot_token_caveats cav;
	struct dot_err e = {0};
	struct client *cl;
	struct req *reqs;
	double *lat, secs, sum = 0, self0, self1;
	char dir[128], path[256];
	const char *detail = "";
	uint64_t before, after;
	size_t total = o->warmup + o->count, done;
	long long w0[MAX_WATCH], w1[MAX_WATCH];
	long long r0[MAX_WATCH], r1[MAX_WATCH], q0[MAX_WATCH], q1[MAX_WATCH];
	int s0[MAX_WATCH], s1[MAX_WATCH];
	unsigned long long busy0 = 0, total0 = 0, busy1 = 0, total1 = 0;
	int fd, st, mj;

	randombytes_buf(&run_salt, sizeof(run_salt));
	snprintf(dir, sizeof(dir), "/bench-%s", o->tag);
	fd = connect_unix(o->sock);

	/* the directory, by the admin account */
	args_path(&args, dir, NULL, 0);
	build_tx(&tx, "fs.mkdir", &args, NULL, &admin, NULL);
	if ((st = submit(fd, &tx, &detail)) != DOT_OK)
		die("mkdir %s: %s (%s)", dir, dot_strerror(st), detail);

	/* the capability token: admin -> holder, create|write on dir */
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS | DOT_CAV_EXPIRES;
	cav.rights = DOT_RIGHT_CREATE | DOT_RIGHT_WRITE;
	cav.expires = (uint64_t)time(NULL) + 86400;
	if (dot_token_mint(admin.sk, DOT_RESOURCE_PATH, dir, strlen(dir), &cav,
			   holder.pk, holder.pklen, &token, &e) != DOT_OK)
		die("mint: %s", e.msg);

	/* the negative controls: the token, signed by someone else; the
	 * holder's own tx with one byte of its signature changed (a forgery),
	 * refused by every node that applies it (the leader as submitted, a
	 * follower as the entry arrives) */
	negative_control(fd, o, dir, "stranger", &token, &stranger, 0,
			 DOT_ETOKEN_WRONG_HOLDER, "non-holder tx");
	negative_control(fd, o, dir, "forged", &token, &holder, 1,
			 DOT_ETX_SIGNATURE, "forged signature");

	/* --token-ref: a reference before the node holds the token is
	 * refused; one put with the token inline registers it; every tx
	 * after it names the token by its last rid. */
	if (o->token_ref) {
		struct dot_token *t = NULL;
		uint8_t data[16] = {0};

		if (dot_token_parse(token.data, token.len, &t, &e) != DOT_OK)
			die("token: %s", e.msg);
		memcpy(token_rid, t->blocks[t->nblocks - 1].rid, DOT_RID_LEN);
		dot_token_free(t);
		snprintf(path, sizeof(path), "%s/register", dir);
		args_path(&args, path, data, sizeof(data));
		use_ref = 1;
		build_tx(&tx, "fs.put", &args, &token, &holder, NULL);
		if ((st = submit(fd, &tx, &detail)) != DOT_ETOKEN_UNKNOWN)
			die("a reference to a token the node does not hold got "
			    "%s (%s), not %s",
			    dot_strerror(st), detail,
			    dot_strerror(DOT_ETOKEN_UNKNOWN));
		use_ref = 0;
		build_tx(&tx, "fs.put", &args, &token, &holder, NULL);
		if ((st = submit(fd, &tx, &detail)) != DOT_OK)
			die("registering put: %s (%s)", dot_strerror(st),
			    detail);
		use_ref = 1;
	}

	/* everything signed and framed before timing */
	reqs = calloc(total, sizeof(*reqs));
	lat = calloc(o->count ? o->count : 1, sizeof(*lat));
	cl = calloc(o->clients, sizeof(*cl));
	if (reqs == NULL || lat == NULL || cl == NULL)
		die("out of memory");
	prebuild(reqs, 0, total, dir, &token, o->size);
	for (size_t i = 0; i < o->clients; i++) {
		cl[i].fd = connect_unix(o->sock);
		if (fcntl(cl[i].fd, F_SETFL,
			  fcntl(cl[i].fd, F_GETFL) | O_NONBLOCK) != 0)
			die("fcntl: %s", strerror(errno));
	}

	/* warm-up: the chain enters the cache, pages warm */
	if (o->warmup > 0)
		(void)drive(cl, o->clients, reqs, 0, o->warmup, NULL, 0,
			    o->timeout, &done);
	before = ledger_index(fd);
	for (size_t i = 0; i < o->nwatch; i++) {
		w0[i] = proc_ticks(o->watch[i]);
		s0[i] = proc_sched(o->watch[i], &r0[i], &q0[i]);
	}
	mj = machine_jiffies(&busy0, &total0);
	self0 = self_cpu();
	secs = drive(cl, o->clients, reqs, o->warmup, o->count, lat,
		     o->duration, o->timeout, &done);
	self1 = self_cpu();
	if (mj == 0)
		mj = machine_jiffies(&busy1, &total1);
	for (size_t i = 0; i < o->nwatch; i++) {
		w1[i] = proc_ticks(o->watch[i]);
		s1[i] = proc_sched(o->watch[i], &r1[i], &q1[i]);
	}
	after = ledger_index(fd);
	if (done == 0)
		die("no tx answered");

	qsort(lat, done, sizeof(*lat), cmp_double);
	for (size_t i = 0; i < done; i++)
		sum += lat[i];
	printf("clients %zu\n", o->clients);
	printf("txs %zu\n", done);
	printf("warmup %zu\n", o->warmup);
	printf("seconds %.4f\n", secs);
	printf("tps %.1f\n", (double)done / secs);
	printf("p50_ms %.3f\n", pct(lat, done, 50) / 1e6);
	printf("p99_ms %.3f\n", pct(lat, done, 99) / 1e6);
	printf("mean_ms %.3f\n", sum / (double)done / 1e6);
	printf("max_ms %.3f\n", lat[done - 1] / 1e6);
	printf("entries %llu\n", (unsigned long long)(after - before));
	printf("batch_mean %.2f\n",
	       after > before ? (double)done / (double)(after - before) : 0.0);
	if (mj == 0 && total1 > total0)
		printf("machine_busy %.4f\n",
		       (double)(busy1 - busy0) / (double)(total1 - total0));
	for (size_t i = 0; i < o->nwatch; i++) {
		if (w0[i] >= 0 && w1[i] >= 0)
			printf("watch_ticks_%zu %lld\n", i + 1, w1[i] - w0[i]);
		if (s0[i] == 0 && s1[i] == 0)
			printf("watch_run_ms_%zu %.1f\nwatch_wait_ms_%zu %.1f\n",
			       i + 1, (double)(r1[i] - r0[i]) / 1e6, i + 1,
			       (double)(q1[i] - q0[i]) / 1e6);
	}
	if (o->nwatch > 0)
		printf("clk_tck %ld\n", sysconf(_SC_CLK_TCK));
	printf("self_cpu_s %.3f\n", self1 - self0);

	for (size_t i = 0; i < o->clients; i++) {
		close(cl[i].fd);
		dot_buf_free(&cl[i].in);
	}
	for (size_t i = 0; i < total; i++)
		dot_buf_free(&reqs[i].frame);
	free(cl);
	free(reqs);
	free(lat);
	close(fd);
	dot_buf_free(&args);
	dot_buf_free(&tx);
	dot_buf_free(&token);
	return 0;
}

static size_t
parse_size(const char *name, const char *s, size_t lo, size_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		die("--%s must be %zu to %zu", name, lo, hi);
	return (size_t)v;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: bench_ledger_load genesis DIR\n"
		"       bench_ledger_load keyfile FILE\n"
		"       bench_ledger_load run --socket PATH --clients C "
		"--count N\n"
		"             [--warmup W] [--tag NAME] [--size BYTES] "
		"[--duration SECONDS]\n"
		"             [--timeout SECONDS] [--unchecked] [--token-ref]\n"
		"             [--watch PID]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"socket", required_argument, NULL, 's'},
		{"clients", required_argument, NULL, 'c'},
		{"count", required_argument, NULL, 'n'},
		{"warmup", required_argument, NULL, 'w'},
		{"tag", required_argument, NULL, 't'},
		{"size", required_argument, NULL, 'z'},
		{"duration", required_argument, NULL, 'D'},
		{"timeout", required_argument, NULL, 'T'},
		{"unchecked", no_argument, NULL, 'u'},
		{"token-ref", no_argument, NULL, 'r'},
		{"watch", required_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {NULL, 1, 1000, 0, 1024, "run", 0, 120.0, 0, 0, {0}, 0};
	int ch, warmup_set = 0;

	if (argc < 2)
		usage();
	if (dot_crypto_init() != DOT_OK)
		die("libsodium failed to start");
	{
		const char *pe = getenv("DOT_BENCH_POLICY");

		if (pe != NULL && strcmp(pe, "hybrid") == 0)
			policy = DOT_POLICY_HYBRID;
		else if (pe != NULL && pe[0] != '\0' &&
			 strcmp(pe, "classic") != 0)
			die("DOT_BENCH_POLICY '%s': give classic or hybrid", pe);
	}
	key_init(&admin, 0xad);
	key_init(&holder, 0xbe);
	key_init(&stranger, 0x66);
	if (strcmp(argv[1], "genesis") == 0) {
		if (argc != 3)
			usage();
		return cmd_genesis(argv[2]);
	}
	if (strcmp(argv[1], "keyfile") == 0) {
		if (argc != 3)
			usage();
		return cmd_keyfile(argv[2]);
	}
	if (strcmp(argv[1], "run") != 0)
		usage();
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o.sock = optarg; break;
		case 'c': o.clients = parse_size("clients", optarg, 1, MAX_CLIENTS); break;
		case 'n': o.count = parse_size("count", optarg, 1, 10000000); break;
		case 'w': o.warmup = parse_size("warmup", optarg, 0, 1000000); warmup_set = 1; break;
		case 't': o.tag = optarg; break;
		case 'z': o.size = parse_size("size", optarg, 1, 1u << 20); break;
		case 'D': o.duration = (double)parse_size("duration", optarg, 1, 3600); break;
		case 'T': o.timeout = (double)parse_size("timeout", optarg, 1, 3600); break;
		case 'u': o.unchecked = 1; break;
		case 'r': o.token_ref = 1; break;
		case 'W':
			if (o.nwatch == MAX_WATCH)
				die("at most %d --watch", MAX_WATCH);
			o.watch[o.nwatch++] =
			    (long)parse_size("watch", optarg, 1, 1u << 30);
			break;
		default: usage();
		}
	}
	if (o.sock == NULL || optind != argc)
		usage();
	if (strlen(o.tag) > 64 || strspn(o.tag, "abcdefghijklmnopqrstuvwxyz"
						"0123456789-") != strlen(o.tag))
		die("--tag: [a-z0-9-]{1,64}");
	if (!warmup_set)
		o.warmup = o.clients * 4 > 64 ? o.clients * 4 : 64;
	return cmd_run(&o);
}
