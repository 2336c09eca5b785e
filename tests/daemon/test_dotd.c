/*
 * test_dotd.c - dotd as a process: genesis, writes and reads over the
 * socket, bad input on the socket, racing clients, SIGKILL during a stream
 * of writes (every acknowledged tx survives), a tampered log refused; over
 * TCP, a raw channel client (lib/net), a handshake never finished timed
 * out, the per-source limit on handshakes, the cookie round trip under
 * load, and open channels closed when their key leaves its account.
 *
 * Usage: test_dotd PATH-TO-DOTD (meson passes it). TAP output.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/api.h"
#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/net.h"
#include "doteros/state.h"
#include "harness.h"

static const char *dotd_path;
static const char *dotd_extra[8]; /* more dotd options for start() */
static const uint8_t CLUSTER[DOT_CLUSTER_ID_LEN] = {0xd0, 0x7d};
static struct dot_sign_sk *admin_sk, *bob_sk, *alice_sk, *carol_sk, *dave_sk;
static uint8_t admin_pk[DOT_SIGN_PK_MAX];
static size_t admin_pklen;

/* ---- a node directory and its process ---- */

struct proc {
	char dir[256];
	char sock[300];
	pid_t pid;
};

static void
mkdir_node(struct proc *p)
{
	struct dot_tx_level_key k = {admin_pk, admin_pklen, 1};
	struct dot_buf g = {0};
	struct dot_err e = {0};
	char path[400];
	FILE *f;

	snprintf(p->dir, sizeof(p->dir), "/tmp/dotd-test-XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		abort();
	snprintf(p->sock, sizeof(p->sock), "%s/dotd.sock", p->dir);
	if (dot_state_genesis_encode(CLUSTER, "admin", &k, 1, 1, &g, &e) !=
	    DOT_OK)
		abort();
	snprintf(path, sizeof(path), "%s/genesis", p->dir);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(g.data, 1, g.len, f) != g.len)
		abort();
	fclose(f);
	dot_buf_free(&g);
}

static int
try_connect(const char *sock)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(a.sun_path)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Start dotd; wait (bounded) until it accepts. 0 ok, -1 it exited. */
static int
start(struct proc *p)
{
	char log[400];

	snprintf(log, sizeof(log), "%s/dotd.log", p->dir);
	p->pid = fork();
	if (p->pid < 0)
		abort();
	if (p->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execl(dotd_path, "dotd", "--dir", p->dir, dotd_extra[0],
		      dotd_extra[1], dotd_extra[2], dotd_extra[3],
		      dotd_extra[4], dotd_extra[5], dotd_extra[6], (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 2000; i++) {
		int status, fd;
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			return -1;
		}
		fd = try_connect(p->sock);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(5000);
	}
	return -1;
}

static void
stop(struct proc *p, int sig)
{
	int status;

	if (p->pid > 0) {
		kill(p->pid, sig);
		waitpid(p->pid, &status, 0);
	}
	p->pid = 0;
}

static void
cleanup(struct proc *p)
{
	char cmd[400];

	stop(p, SIGKILL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", p->dir);
}

/* ---- the client side ---- */

static int
write_all(int fd, const void *b, size_t n)
{
	const uint8_t *p = b;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one response frame into out (body only). 0 ok, -1 closed. */
static int
read_frame(int fd, struct dot_buf *out)
{
	uint8_t h[4];
	size_t got = 0, len;

	while (got < 4) {
		ssize_t r = read(fd, h + got, 4 - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	out->len = 0;
	if (dot_buf_reserve(out, len) != DOT_OK)
		return -1;
	for (got = 0; got < len;) {
		ssize_t r = read(fd, out->data + got, len - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	out->len = len;
	return 0;
}

/* One call; returns the response status, the result in `result`. */
static int
call(int fd, const char *method, const uint8_t *params, size_t n,
     struct dot_buf *result)
{
	struct dot_buf req = {0}, body = {0};
	struct dot_api_msg m;
	struct dot_err e = {0};
	static uint64_t id;
	int status = -1;

	if (dot_api_request(&req, ++id, method, params, n) != DOT_OK)
		abort();
	if (write_all(fd, req.data, req.len) == 0 && read_frame(fd, &body) == 0 &&
	    dot_api_response_parse(body.data, body.len, &m, &e) == DOT_OK &&
	    m.id == id) {
		status = (int)m.status;
		if (result) {
			result->len = 0;
			if (status == DOT_OK)
				dot_buf_put(result, m.item, m.item_len);
		}
	}
	dot_buf_free(&req);
	dot_buf_free(&body);
	return status;
}

static uint64_t nonce_ctr;

/* A tx of account@level, signed by signer. */
static void
build_as(struct dot_buf *out, const char *op, const struct dot_buf *args,
	 const struct dot_tx_objver *consumed, size_t nc,
	 struct dot_sign_sk *signer, const char *account, const char *level)
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
	for (size_t i = 0; i < nc; i++)
		p.consumed[i] = consumed[i];
	p.nconsumed = nc;
	p.auth_kind = DOT_TX_AUTH_ACCOUNT;
	p.account = account;
	p.account_len = strlen(account);
	p.level = level;
	p.level_len = strlen(level);
	nonce_ctr++;
	memcpy(p.nonce, &nonce_ctr, sizeof(nonce_ctr));
	p.nonce[15] = (uint8_t)getpid();
	p.not_before = now - 60;
	p.not_after = now + 600;
	p.has_cluster = 1;
	memcpy(p.cluster_id, CLUSTER, sizeof(CLUSTER));
	out->len = 0;
	if (dot_tx_payload_encode(&p, &pl, &e) != DOT_OK ||
	    dot_tx_sign(signer, pl.data, pl.len, &sig, &e) != DOT_OK)
		abort();
	v = dot_tx_sig_of(&sig);
	if (dot_tx_assemble(pl.data, pl.len, &v, 1, out, &e) != DOT_OK)
		abort();
	dot_buf_free(&pl);
}

/* A tx of admin@active. */
static void
build(struct dot_buf *out, const char *op, const struct dot_buf *args,
      const struct dot_tx_objver *consumed, size_t nc,
      struct dot_sign_sk *signer)
{
	build_as(out, op, args, consumed, nc, signer, "admin", "active");
}

static void
args_path(struct dot_buf *b, const char *path, const void *data, size_t n)
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

/* Submit a tx; return the receipt status (or a transport failure < 0). */
static int
submit(int fd, const struct dot_buf *tx, struct dot_tx_objver *ver)
{
	struct dot_buf params = {0}, res = {0};
	struct dot_receipt *r;
	struct dot_err e = {0};
	struct dot_dec d;
	const uint8_t *p;
	size_t n;
	int status;

	dot_enc_bstr(&params, tx->data, tx->len);
	status = call(fd, "submit", params.data, params.len, &res);
	dot_buf_free(&params);
	if (status != DOT_OK) {
		dot_buf_free(&res);
		return status < 0 ? -1 : -1000 - status;
	}
	if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
	    dot_dec_bstr(&d, &p, &n) != DOT_OK ||
	    dot_receipt_parse(p, n, &r, &e) != DOT_OK) {
		dot_buf_free(&res);
		return -2;
	}
	status = r->status;
	if (ver && r->nversions)
		*ver = r->versions[0];
	dot_receipt_free(r);
	dot_buf_free(&res);
	return status;
}

/* fs.get through "query"; -1 transport, else status, content in out. */
static int
get(int fd, const char *path, struct dot_buf *out)
{
	struct dot_buf a = {0}, tx = {0}, params = {0}, res = {0};
	struct dot_dec d;
	const uint8_t *p;
	size_t n;
	int status;

	args_path(&a, path, NULL, 0);
	build(&tx, "fs.get", &a, NULL, 0, admin_sk);
	dot_enc_bstr(&params, tx.data, tx.len);
	status = call(fd, "query", params.data, params.len, &res);
	out->len = 0;
	if (status == DOT_OK && dot_dec_init(&d, res.data, res.len, NULL, NULL) ==
					DOT_OK &&
	    dot_dec_bstr(&d, &p, &n) == DOT_OK)
		dot_buf_put(out, p, n);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	dot_buf_free(&params);
	dot_buf_free(&res);
	return status;
}

static int
put(int fd, const char *path, const char *data, struct dot_tx_objver *v,
    const struct dot_tx_objver *expect)
{
	struct dot_buf a = {0}, tx = {0};
	int rv;

	args_path(&a, path, data, strlen(data));
	build(&tx, "fs.put", &a, expect, expect ? 1 : 0, admin_sk);
	rv = submit(fd, &tx, v);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	return rv;
}

static void
keys(void)
{
	uint8_t seed[32];

	if (dot_crypto_init() != DOT_OK)
		abort();
	memset(seed, 0xad, sizeof(seed));
	if (dot_sign_sk_from_seed(&admin_sk, DOT_SUITE_ED25519, seed) != DOT_OK)
		abort();
	memset(seed, 0xb0, sizeof(seed));
	if (dot_sign_sk_from_seed(&bob_sk, DOT_SUITE_ED25519, seed) != DOT_OK)
		abort();
	memset(seed, 0xa1, sizeof(seed));
	if (dot_sign_sk_from_seed(&alice_sk, DOT_SUITE_ED25519, seed) != DOT_OK)
		abort();
	memset(seed, 0xca, sizeof(seed));
	if (dot_sign_sk_from_seed(&carol_sk, DOT_SUITE_ED25519, seed) != DOT_OK)
		abort();
	memset(seed, 0xda, sizeof(seed));
	if (dot_sign_sk_from_seed(&dave_sk, DOT_SUITE_ED25519, seed) != DOT_OK)
		abort();
	admin_pklen = dot_sign_sk_public(admin_sk, admin_pk);
}

/* The keys argument [[pk, 1]] of account.create and account.set-level. */
static void
enc_one_key(struct dot_buf *b, struct dot_sign_sk *key)
{
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t n = dot_sign_sk_public(key, pk);

	dot_enc_array(b, 1);
	dot_enc_array(b, 2);
	dot_enc_bstr(b, pk, n);
	dot_enc_uint(b, 1);
}

/* account.create {1: name, 2: [[key, 1]], 3: 1} by the admin. */
static int
account_create(int fd, const char *name, struct dot_sign_sk *key)
{
	struct dot_buf a = {0}, tx = {0};
	int rv;

	dot_enc_map(&a, 3);
	dot_enc_uint(&a, 1);
	dot_enc_tstr(&a, name, strlen(name));
	dot_enc_uint(&a, 2);
	enc_one_key(&a, key);
	dot_enc_uint(&a, 3);
	dot_enc_uint(&a, 1);
	build(&tx, "account.create", &a, NULL, 0, admin_sk);
	rv = submit(fd, &tx, NULL);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	return rv;
}

/* account.set-level {1: account, 2: level, 3: [[key, 1]], 4: 1}, by the
 * account's owner level (signed by owner). */
static int
set_level(int fd, const char *account, const char *level,
	  struct dot_sign_sk *owner, struct dot_sign_sk *key)
{
	struct dot_buf a = {0}, tx = {0};
	int rv;

	dot_enc_map(&a, 4);
	dot_enc_uint(&a, 1);
	dot_enc_tstr(&a, account, strlen(account));
	dot_enc_uint(&a, 2);
	dot_enc_tstr(&a, level, strlen(level));
	dot_enc_uint(&a, 3);
	enc_one_key(&a, key);
	dot_enc_uint(&a, 4);
	dot_enc_uint(&a, 1);
	build_as(&tx, "account.set-level", &a, NULL, 0, owner, account,
		 "owner");
	rv = submit(fd, &tx, NULL);
	dot_buf_free(&a);
	dot_buf_free(&tx);
	return rv;
}

/* ---- tests ---- */

static void
test_genesis_write_read(void)
{
	struct proc p;
	struct dot_buf res = {0}, out = {0}, a = {0}, tx = {0};
	struct dot_dec d;
	uint64_t n, key, index;
	struct stat sb;
	int fd;

	mkdir_node(&p);
	REQUIRE(start(&p) == 0);
	/* the socket is owner-only */
	REQUIRE(stat(p.sock, &sb) == 0);
	CHECK((sb.st_mode & 0077) == 0);
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	REQUIRE_RC(call(fd, "status", (const uint8_t *)"\x80", 1, &res), DOT_OK);
	REQUIRE(dot_dec_init(&d, res.data, res.len, NULL, NULL) == DOT_OK);
	/* {1: index, ..., 6: version, 9: the crypto policy} */
	REQUIRE(dot_dec_map(&d, &n) == DOT_OK && n == 7);
	REQUIRE(dot_dec_uint(&d, &key) == DOT_OK &&
		dot_dec_uint(&d, &index) == DOT_OK);
	CHECK(index == 1);
	{
		const uint8_t *it;
		const char *pol;
		size_t il, pl;
		uint64_t k = 0;

		for (uint64_t i = 1; i < n - 1; i++)
			REQUIRE(dot_dec_uint(&d, &k) == DOT_OK &&
				dot_dec_item(&d, &it, &il) == DOT_OK);
		/* this genesis has no key 6: classic */
		CHECK(dot_dec_uint(&d, &k) == DOT_OK && k == 9 &&
		      dot_dec_tstr(&d, &pol, &pl) == DOT_OK && pl == 7 &&
		      memcmp(pol, "classic", 7) == 0 && dot_dec_done(&d));
	}
	args_path(&a, "/docs", NULL, 0);
	build(&tx, "fs.mkdir", &a, NULL, 0, admin_sk);
	CHECK_RC(submit(fd, &tx, NULL), DOT_OK);
	/* the same tx again: executed once */
	CHECK_RC(submit(fd, &tx, NULL), DOT_ESTATE_DUPLICATE);
	CHECK_RC(put(fd, "/docs/a.txt", "hello", NULL, NULL), DOT_OK);
	CHECK_RC(get(fd, "/docs/a.txt", &out), DOT_OK);
	CHECK(out.len == 5 && memcmp(out.data, "hello", 5) == 0);
	/* a refused write still gets its receipt */
	build(&tx, "fs.mkdir", &a, NULL, 0, bob_sk);
	CHECK_RC(submit(fd, &tx, NULL), DOT_ETX_AUTHORITY);
	/* unknown method */
	CHECK_RC(call(fd, "frobnicate", (const uint8_t *)"\x80", 1, NULL),
		 DOT_EAPI_METHOD);
	close(fd);
	/* a restart keeps everything */
	stop(&p, SIGTERM);
	REQUIRE(start(&p) == 0);
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	CHECK_RC(get(fd, "/docs/a.txt", &out), DOT_OK);
	CHECK(out.len == 5);
	close(fd);
	cleanup(&p);
	dot_buf_free(&res);
	dot_buf_free(&out);
	dot_buf_free(&a);
	dot_buf_free(&tx);
}

static void
test_bad_input_keeps_serving(void)
{
	struct proc p;
	struct dot_buf res = {0};
	uint64_t seed = 77;
	int fd;

	mkdir_node(&p);
	REQUIRE(start(&p) == 0);
	/* 1. a frame whose body is not CBOR: an error, the connection stays */
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	REQUIRE(write_all(fd, "\x00\x00\x00\x02\xff\xff", 6) == 0);
	{
		struct dot_buf body = {0};
		struct dot_api_msg m;
		struct dot_err e = {0};
		REQUIRE(read_frame(fd, &body) == 0);
		REQUIRE(dot_api_response_parse(body.data, body.len, &m, &e) ==
			DOT_OK);
		CHECK_RC((int)m.status, DOT_EAPI_FORMAT);
		dot_buf_free(&body);
	}
	CHECK_RC(call(fd, "status", (const uint8_t *)"\x80", 1, &res), DOT_OK);
	/* 2. a non-canonical request (long-form id) */
	REQUIRE(write_all(fd, "\x00\x00\x00\x0b\xa3\x01\x18\x01\x02\x66status",
			  15) == 0);
	close(fd);
	/* 3. an oversized length: refused and closed */
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	REQUIRE(write_all(fd, "\xff\xff\xff\xff", 4) == 0);
	{
		struct dot_buf body = {0};
		CHECK(read_frame(fd, &body) == 0); /* the error response */
		CHECK(read_frame(fd, &body) == -1); /* then closed */
		dot_buf_free(&body);
	}
	close(fd);
	/* 4. truncated frames, then the client goes away */
	for (int i = 0; i < 20; i++) {
		fd = try_connect(p.sock);
		REQUIRE(fd >= 0);
		REQUIRE(write_all(fd, "\x00\x00\x10\x00\xa3\x01", 6) == 0);
		close(fd);
	}
	/* 5. random frames */
	for (int i = 0; i < 50; i++) {
		uint8_t junk[300];
		size_t n = 1 + t_rand(&seed) % 250;
		fd = try_connect(p.sock);
		REQUIRE(fd >= 0);
		junk[0] = 0, junk[1] = 0, junk[2] = (uint8_t)(n >> 8);
		junk[3] = (uint8_t)n;
		for (size_t k = 0; k < n; k++)
			junk[4 + k] = (uint8_t)t_rand(&seed);
		if (write_all(fd, junk, 4 + n) == 0) {
			struct dot_buf body = {0};
			(void)read_frame(fd, &body);
			dot_buf_free(&body);
		}
		close(fd);
	}
	/* still serving */
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	CHECK_RC(call(fd, "status", (const uint8_t *)"\x80", 1, &res), DOT_OK);
	CHECK_RC(put(fd, "/after", "ok", NULL, NULL), DOT_OK);
	close(fd);
	cleanup(&p);
	dot_buf_free(&res);
}

/* Two clients race puts on one expected version, many times: exactly one
 * wins each round. */
static void
test_racing_clients(void)
{
	struct proc p;
	struct dot_tx_objver v;
	int fd1, fd2, wins_total = 0, rounds = 20;

	mkdir_node(&p);
	REQUIRE(start(&p) == 0);
	fd1 = try_connect(p.sock);
	fd2 = try_connect(p.sock);
	REQUIRE(fd1 >= 0 && fd2 >= 0);
	REQUIRE(put(fd1, "/race", "start", &v, NULL) == DOT_OK);
	for (int r = 0; r < rounds; r++) {
		struct dot_buf a = {0}, t1 = {0}, t2 = {0}, p1 = {0}, p2 = {0};
		struct dot_buf req = {0}, body = {0};
		struct dot_api_msg m;
		struct dot_err e = {0};
		int ok = 0, conflict = 0;
		struct dot_tx_objver nv = v;

		args_path(&a, "/race", "one", 3);
		build(&t1, "fs.put", &a, &v, 1, admin_sk);
		args_path(&a, "/race", "two", 3);
		build(&t2, "fs.put", &a, &v, 1, admin_sk);
		dot_enc_bstr(&p1, t1.data, t1.len);
		dot_enc_bstr(&p2, t2.data, t2.len);
		/* both sent before either answer is read */
		REQUIRE(dot_api_request(&req, 1, "submit", p1.data, p1.len) ==
			DOT_OK);
		REQUIRE(write_all(fd1, req.data, req.len) == 0);
		req.len = 0;
		REQUIRE(dot_api_request(&req, 1, "submit", p2.data, p2.len) ==
			DOT_OK);
		REQUIRE(write_all(fd2, req.data, req.len) == 0);
		for (int c = 0; c < 2; c++) {
			struct dot_receipt *rc;
			struct dot_dec d;
			const uint8_t *rp;
			size_t rn;
			REQUIRE(read_frame(c ? fd2 : fd1, &body) == 0);
			REQUIRE(dot_api_response_parse(body.data, body.len, &m,
						       &e) == DOT_OK);
			REQUIRE(m.status == DOT_OK);
			REQUIRE(dot_dec_init(&d, m.item, m.item_len, NULL,
					     NULL) == DOT_OK);
			REQUIRE(dot_dec_bstr(&d, &rp, &rn) == DOT_OK);
			REQUIRE(dot_receipt_parse(rp, rn, &rc, &e) == DOT_OK);
			if (rc->status == DOT_OK) {
				ok++;
				nv = rc->versions[0];
			} else if (rc->status == DOT_ESTATE_CONFLICT) {
				conflict++;
			}
			dot_receipt_free(rc);
		}
		CHECK(ok == 1 && conflict == 1);
		wins_total += ok;
		v = nv;
		dot_buf_free(&a);
		dot_buf_free(&t1);
		dot_buf_free(&t2);
		dot_buf_free(&p1);
		dot_buf_free(&p2);
		dot_buf_free(&req);
		dot_buf_free(&body);
	}
	CHECK(wins_total == rounds);
	close(fd1);
	close(fd2);
	cleanup(&p);
}

/*
 * SIGKILL during a stream of writes, 20 times at random moments: after
 * each restart every acknowledged put is present, once.
 */
static void
test_kill_during_writes(void)
{
	struct proc p;
	uint64_t seed = (uint64_t)time(NULL);
	int acked_total = 0, lost = 0, next = 0;
	char path[64], data[64];
	struct dot_buf out = {0};

	mkdir_node(&p);
	for (int round = 0; round < 20; round++) {
		int pipefd[2], fd;
		pid_t writer;

		REQUIRE(start(&p) == 0);
		REQUIRE(pipe(pipefd) == 0);
		writer = fork();
		REQUIRE(writer >= 0);
		if (writer == 0) {
			/* Put /k<i> for i = next, next+1, ...; report each
			 * acknowledged i on the pipe. */
			int cfd = try_connect(p.sock);
			close(pipefd[0]);
			nonce_ctr = (uint64_t)round << 32;
			for (int i = next; cfd >= 0; i++) {
				char pth[64], dat[64];
				snprintf(pth, sizeof(pth), "/k%d", i);
				snprintf(dat, sizeof(dat), "v%d", i);
				if (put(cfd, pth, dat, NULL, NULL) != DOT_OK)
					break;
				if (write(pipefd[1], &i, sizeof(i)) !=
				    (ssize_t)sizeof(i))
					break;
			}
			_exit(0);
		}
		close(pipefd[1]);
		{
			/* Wait for the first acknowledgement (so every round
			 * kills a node that is writing), then a random while
			 * more: the kill lands at a random point of the
			 * stream. */
			int i;
			if (read(pipefd[0], &i, sizeof(i)) ==
			    (ssize_t)sizeof(i)) {
				acked_total++;
				if (i + 1 > next)
					next = i + 1;
			}
		}
		usleep((useconds_t)(t_rand(&seed) % 40000));
		stop(&p, SIGKILL);
		{
			int i, status;
			while (read(pipefd[0], &i, sizeof(i)) ==
			       (ssize_t)sizeof(i)) {
				acked_total++;
				if (i + 1 > next)
					next = i + 1;
			}
			close(pipefd[0]);
			waitpid(writer, &status, 0);
		}
		/* restart and check every acknowledged put so far */
		REQUIRE(start(&p) == 0);
		fd = try_connect(p.sock);
		REQUIRE(fd >= 0);
		for (int i = 0; i < next; i++) {
			snprintf(path, sizeof(path), "/k%d", i);
			snprintf(data, sizeof(data), "v%d", i);
			if (get(fd, path, &out) != DOT_OK ||
			    out.len != strlen(data) ||
			    memcmp(out.data, data, out.len) != 0) {
				printf("# round %d: /k%d lost\n", round, i);
				lost++;
			}
		}
		close(fd);
		stop(&p, SIGKILL);
	}
	printf("# %d puts acknowledged across 20 kills, %d lost\n",
	       acked_total, lost);
	CHECK(lost == 0);
	CHECK(acked_total >= 20); /* at least one a round */
	cleanup(&p);
	dot_buf_free(&out);
}

/*
 * Checkpoints run beside the writes (daemon/ckpt.c): under a stream of
 * writes the state database's WAL is started again each time it holds
 * --wal-reset pages, so it stays bounded; and a node killed in the middle
 * of that still comes back with every acknowledged write.
 */
static void
test_wal_stays_bounded(void)
{
	enum { RESET = 64, WRITES = 500 };
	struct proc p;
	struct dot_buf out = {0};
	char path[64], body[2048], wal[400];
	struct stat sb;
	off_t most = 0;
	int fd, acked = 0;

	memset(body, 'w', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	mkdir_node(&p);
	snprintf(wal, sizeof(wal), "%s/state.db-wal", p.dir);
	dotd_extra[0] = "--wal-reset";
	dotd_extra[1] = "64";
	REQUIRE(start(&p) == 0);
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	for (int i = 0; i < WRITES; i++) {
		snprintf(path, sizeof(path), "/w%d", i);
		if (put(fd, path, body, NULL, NULL) == DOT_OK)
			acked++;
		if (stat(wal, &sb) == 0 && sb.st_size > most)
			most = sb.st_size;
	}
	CHECK(acked == WRITES);
	/* Without resets the WAL would hold every page written: several
	 * per write. With them it stays under the writer's hard limit
	 * (4 x RESET frames) plus one entry's pages. */
	printf("# largest WAL seen: %lld bytes\n", (long long)most);
	CHECK(most > 0);
	CHECK(most <= (off_t)(4 * RESET + 64) * (4096 + 24) + 32);
	/* status (hashed on a worker over a snapshot) reflects every write
	 * acknowledged before it: genesis plus one entry per put */
	{
		struct dot_buf res = {0};
		struct dot_dec d;
		uint64_t nk, key, index = 0;

		REQUIRE_RC(call(fd, "status", (const uint8_t *)"\x80", 1, &res),
			   DOT_OK);
		CHECK(dot_dec_init(&d, res.data, res.len, NULL, NULL) ==
			      DOT_OK &&
		      dot_dec_map(&d, &nk) == DOT_OK && nk == 7 &&
		      dot_dec_uint(&d, &key) == DOT_OK && key == 1 &&
		      dot_dec_uint(&d, &index) == DOT_OK);
		CHECK(index == 1 + WRITES);
		dot_buf_free(&res);
	}
	close(fd);
	stop(&p, SIGKILL);
	REQUIRE(start(&p) == 0);
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	for (int i = 0; i < WRITES; i += 7) {
		snprintf(path, sizeof(path), "/w%d", i);
		CHECK_RC(get(fd, path, &out), DOT_OK);
		CHECK(out.len == sizeof(body) - 1);
	}
	close(fd);
	dotd_extra[0] = dotd_extra[1] = NULL;
	cleanup(&p);
	dot_buf_free(&out);
}

static void
test_tampered_log_refused(void)
{
	struct proc p;
	char path[400], log[400], line[512];
	int fd, found = 0;
	FILE *f;

	mkdir_node(&p);
	REQUIRE(start(&p) == 0);
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	REQUIRE(put(fd, "/a", "first", NULL, NULL) == DOT_OK);
	REQUIRE(put(fd, "/b", "second", NULL, NULL) == DOT_OK);
	close(fd);
	stop(&p, SIGTERM);
	/* change one byte inside the first record's entry */
	snprintf(path, sizeof(path), "%s/log", p.dir);
	fd = open(path, O_RDWR);
	REQUIRE(fd >= 0);
	{
		uint8_t b;
		REQUIRE(pread(fd, &b, 1, 8 + 20 + 5) == 1);
		b ^= 0x01;
		REQUIRE(pwrite(fd, &b, 1, 8 + 20 + 5) == 1);
	}
	close(fd);
	CHECK(start(&p) == -1); /* refuses to start */
	snprintf(log, sizeof(log), "%s/dotd.log", p.dir);
	f = fopen(log, "r");
	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "damaged or altered") &&
		    strstr(line, "byte 8"))
			found = 1;
	fclose(f);
	CHECK(found);
	cleanup(&p);
}


/* Fetch and open this node's checkpoint. */
static int
checkpoint(int fd, const struct dot_audit_vkey *vk, const char *origin,
	   struct dot_audit_checkpoint **cp)
{
	struct dot_buf res = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	const char *note;
	size_t n;
	int rv = call(fd, "audit.checkpoint", (const uint8_t *)"\x80", 1, &res);

	if (rv == DOT_OK) {
		if (dot_dec_init(&d, res.data, res.len, NULL, NULL) != DOT_OK ||
		    dot_dec_tstr(&d, &note, &n) != DOT_OK)
			rv = -1;
		else
			rv = dot_audit_checkpoint_open(note, n, vk, 1, origin,
						       strlen(origin), cp, &e);
		if (rv != DOT_OK)
			printf("# checkpoint: %s\n", e.msg);
	}
	dot_buf_free(&res);
	return rv;
}

static void
test_audit_methods(void)
{
	struct proc p;
	struct dot_buf res = {0}, params = {0};
	struct dot_audit_vkey vk;
	struct dot_audit_checkpoint *cp1 = NULL, *cp2 = NULL;
	struct dot_err e = {0};
	struct dot_dec d;
	char origin[128];
	uint64_t cnt, k;
	const char *s;
	size_t n;
	int fd;

	mkdir_node(&p);
	REQUIRE(start(&p) == 0);
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	REQUIRE_RC(call(fd, "audit.key", (const uint8_t *)"\x80", 1, &res),
		   DOT_OK);
	REQUIRE(dot_dec_init(&d, res.data, res.len, NULL, NULL) == DOT_OK);
	REQUIRE(dot_dec_map(&d, &cnt) == DOT_OK && cnt == 2);
	REQUIRE(dot_dec_uint(&d, &k) == DOT_OK && dot_dec_tstr(&d, &s, &n) ==
							  DOT_OK);
	REQUIRE_RC(dot_audit_vkey_parse(&vk, s, n, &e), DOT_OK);
	REQUIRE(dot_dec_uint(&d, &k) == DOT_OK && dot_dec_tstr(&d, &s, &n) ==
							  DOT_OK);
	REQUIRE(n < sizeof(origin));
	memcpy(origin, s, n);
	origin[n] = '\0';
	REQUIRE(put(fd, "/a", "1", NULL, NULL) == DOT_OK);
	REQUIRE(put(fd, "/b", "2", NULL, NULL) == DOT_OK);
	REQUIRE_RC(checkpoint(fd, &vk, origin, &cp1), DOT_OK);
	CHECK(cp1->size == 2);
	REQUIRE(put(fd, "/c", "3", NULL, NULL) == DOT_OK);
	REQUIRE_RC(checkpoint(fd, &vk, origin, &cp2), DOT_OK);
	CHECK(cp2->size == 3);
	/* every record proves against the newer checkpoint */
	for (uint64_t seq = 0; seq < cp2->size; seq++) {
		struct dot_audit_proof pr;
		struct dot_tx *tx;
		const uint8_t *pp, *tp, *rp;
		size_t pn, tn, rn;
		uint8_t rh[32], leaf[32];
		uint64_t entry;

		params.len = 0;
		dot_enc_map(&params, 2);
		dot_enc_uint(&params, 1);
		dot_enc_uint(&params, seq);
		dot_enc_uint(&params, 2);
		dot_enc_uint(&params, cp2->size);
		REQUIRE_RC(call(fd, "audit.prove", params.data, params.len,
				&res),
			   DOT_OK);
		REQUIRE(dot_dec_init(&d, res.data, res.len, NULL, NULL) ==
			DOT_OK);
		REQUIRE(dot_dec_map(&d, &cnt) == DOT_OK && cnt == 4);
		REQUIRE(dot_dec_uint(&d, &k) == DOT_OK &&
			dot_dec_bstr(&d, &pp, &pn) == DOT_OK);
		REQUIRE(dot_dec_uint(&d, &k) == DOT_OK &&
			dot_dec_bstr(&d, &tp, &tn) == DOT_OK);
		REQUIRE(dot_dec_uint(&d, &k) == DOT_OK &&
			dot_dec_bstr(&d, &rp, &rn) == DOT_OK);
		REQUIRE(dot_dec_uint(&d, &k) == DOT_OK &&
			dot_dec_uint(&d, &entry) == DOT_OK);
		REQUIRE_RC(dot_audit_proof_parse(pp, pn, &pr, &e), DOT_OK);
		REQUIRE(dot_tx_parse(tp, tn, &tx, &e) == DOT_OK);
		dot_receipt_hash(rp, rn, rh);
		dot_audit_leaf(tx->id, rh, leaf);
		dot_tx_free(tx);
		CHECK_RC(dot_audit_checkpoint_verify_inclusion(cp2, leaf, seq,
							       &pr, &e),
			 DOT_OK);
	}
	/* the older checkpoint is a prefix of the newer one */
	{
		struct dot_audit_proof pr;
		const uint8_t *pp;
		size_t pn;
		params.len = 0;
		dot_enc_map(&params, 2);
		dot_enc_uint(&params, 1);
		dot_enc_uint(&params, cp1->size);
		dot_enc_uint(&params, 2);
		dot_enc_uint(&params, cp2->size);
		REQUIRE_RC(call(fd, "audit.consistency", params.data,
				params.len, &res),
			   DOT_OK);
		REQUIRE(dot_dec_init(&d, res.data, res.len, NULL, NULL) ==
			DOT_OK);
		REQUIRE(dot_dec_bstr(&d, &pp, &pn) == DOT_OK);
		REQUIRE_RC(dot_audit_proof_parse(pp, pn, &pr, &e), DOT_OK);
		CHECK_RC(dot_audit_checkpoint_verify_consistency(cp1, cp2, &pr,
								 &e),
			 DOT_OK);
	}
	/* a checkpoint checked against another node's key is refused */
	{
		struct dot_audit_vkey other;
		struct dot_audit_checkpoint *cp3 = NULL;
		uint8_t opk[DOT_SIGN_PK_MAX];
		size_t opklen = dot_sign_sk_public(bob_sk, opk);
		REQUIRE(dot_audit_vkey_from_pk(&other, vk.name, vk.name_len, opk,
					       opklen) == DOT_OK);
		CHECK(checkpoint(fd, &other, origin, &cp3) != DOT_OK);
		dot_audit_checkpoint_free(cp3);
	}
	/* out of range */
	params.len = 0;
	dot_enc_map(&params, 2);
	dot_enc_uint(&params, 1);
	dot_enc_uint(&params, 99);
	dot_enc_uint(&params, 2);
	dot_enc_uint(&params, 3);
	CHECK_RC(call(fd, "audit.prove", params.data, params.len, &res),
		 DOT_EAUDIT_PROOF_RANGE);
	dot_audit_checkpoint_free(cp1);
	dot_audit_checkpoint_free(cp2);
	close(fd);
	cleanup(&p);
	dot_buf_free(&res);
	dot_buf_free(&params);
}

/* ---- over TCP: the secure channel ---- */

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Start dotd with --listen on a free port and these extra options. */
static int
start_tcp(struct proc *p, const char *o1, const char *o2, const char *o3,
	  const char *o4, char *addr, size_t cap)
{
	int port = free_port();

	if (port < 0)
		return -1;
	snprintf(addr, cap, "127.0.0.1:%d", port);
	dotd_extra[0] = "--listen";
	dotd_extra[1] = addr;
	dotd_extra[2] = o1;
	dotd_extra[3] = o2;
	dotd_extra[4] = o3;
	dotd_extra[5] = o4;
	dotd_extra[6] = NULL;
	if (start(p) != 0)
		port = -1;
	memset(dotd_extra, 0, sizeof(dotd_extra));
	return port;
}

static void
tc_rand(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	randombytes_buf(out, n);
}

static int
t_accept_node(void *ctx, const uint8_t pk[DOT_NET_KEY_LEN],
	      char account[DOT_NET_MAX_NAME + 1])
{
	(void)ctx;
	(void)pk;
	(void)account;
	return DOT_NET_NODE;
}

static uint64_t
t_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* A raw channel client: a TCP socket and lib/net as initiator. */
struct tcli {
	int fd;
	struct dot_net *ch;
	struct dot_buf raw, rx;
	int closed; /* the channel closed or the peer hung up */
};

static int
tcli_flush(struct tcli *t, struct dot_net_io *io)
{
	int rv = write_all(t->fd, io->out.data, io->out.len);

	io->out.len = 0;
	return rv;
}

/* Start a handshake as `sk` (XX): HS1 is sent. 0 ok. */
static int
tcli_start(struct tcli *t, int port, struct dot_sign_sk *sk)
{
	struct dot_net_config cfg;
	struct dot_net_io io = {0};
	int rv = -1;

	memset(t, 0, sizeof(*t));
	t->fd = tcp_connect(port);
	if (t->fd < 0)
		return -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.initiator = 1;
	memcpy(cfg.cluster_id, CLUSTER, sizeof(CLUSTER));
	if (dot_sign_sk_to_kx(sk, cfg.static_sk) != DOT_OK)
		goto out;
	cfg.role = DOT_NET_ACCOUNT;
	cfg.accept = t_accept_node;
	cfg.rand = tc_rand;
	if (dot_net_new(&t->ch, &cfg, t_now_us(), &io) != DOT_OK)
		goto out;
	rv = tcli_flush(t, &io);
out:
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	return rv;
}

/*
 * Read once (waiting at most ms) and give the channel every whole frame.
 * Returns the number of frames handled, 0 on timeout, -1 once the
 * connection is closed (EOF, reset or the channel closed).
 */
static int
tcli_read(struct tcli *t, int ms)
{
	struct pollfd pf = {.fd = t->fd, .events = POLLIN};
	struct dot_net_io io = {0};
	size_t off = 0, flen;
	ssize_t r;
	int frames = 0;

	if (poll(&pf, 1, ms) <= 0)
		return 0;
	if (dot_buf_reserve(&t->raw, 70000) != DOT_OK)
		abort();
	r = read(t->fd, t->raw.data + t->raw.len, t->raw.cap - t->raw.len);
	if (r <= 0) {
		t->closed = 1;
		return -1;
	}
	t->raw.len += (size_t)r;
	for (;;) {
		struct dot_err e = {0};
		if (dot_net_frame_next(t->raw.data + off, t->raw.len - off,
				       &flen, &e) != DOT_OK) {
			t->closed = 1;
			break;
		}
		if (flen == 0)
			break;
		if (dot_net_input(t->ch, t_now_us(), t->raw.data + off, flen,
				  &io) != DOT_OK)
			(void)0; /* a drop or a close: events */
		off += flen;
		frames++;
		dot_buf_put(&t->rx, io.data.data, io.data.len);
		io.data.len = 0;
		if (io.events & DOT_NET_EV_CLOSED)
			t->closed = 1;
		io.events = 0;
		if (tcli_flush(t, &io) != 0)
			t->closed = 1;
	}
	memmove(t->raw.data, t->raw.data + off, t->raw.len - off);
	t->raw.len -= off;
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	return t->closed ? -1 : frames;
}

/* Finish the handshake: until the node's KEEPALIVE confirms it (a
 * generous bound). 0 established, -1 not. */
static int
tcli_finish(struct tcli *t)
{
	struct dot_net_stats st;

	for (int i = 0; i < 200; i++) {
		if (dot_net_state(t->ch) == DOT_NET_S_ESTABLISHED) {
			dot_net_stats(t->ch, &st);
			if (st.received > 0)
				return 0;
		}
		if (tcli_read(t, 100) < 0)
			return -1;
	}
	return -1;
}

/* One API call over the channel; the status, the result in res. */
static int
tcli_call(struct tcli *t, const char *method, const uint8_t *params,
	  size_t n, struct dot_buf *res)
{
	struct dot_buf req = {0};
	struct dot_net_io io = {0};
	struct dot_api_msg m;
	struct dot_err e = {0};
	const uint8_t *body;
	size_t blen, used;
	static uint64_t id = 1000;
	int status = -1;

	if (dot_api_request(&req, ++id, method, params, n) != DOT_OK ||
	    req.len > DOT_NET_MAX_MSG)
		abort();
	if (dot_net_send(t->ch, t_now_us(), req.data, req.len, &io) != DOT_OK ||
	    tcli_flush(t, &io) != 0)
		goto out;
	for (int i = 0; i < 300; i++) {
		if (dot_api_frame(t->rx.data, t->rx.len, &body, &blen, &used,
				  &e) != DOT_OK)
			goto out;
		if (used > 0)
			break;
		if (tcli_read(t, 100) < 0)
			goto out;
	}
	if (used == 0 || dot_api_response_parse(body, blen, &m, &e) != DOT_OK ||
	    m.id != id)
		goto out;
	status = (int)m.status;
	if (res != NULL) {
		res->len = 0;
		dot_buf_put(res, m.item, m.item_len);
	}
	memmove(t->rx.data, t->rx.data + used, t->rx.len - used);
	t->rx.len -= used;
out:
	dot_buf_free(&req);
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	return status;
}

static void
tcli_free(struct tcli *t)
{
	if (t->fd >= 0)
		close(t->fd);
	dot_net_free(t->ch);
	dot_buf_free(&t->raw);
	dot_buf_free(&t->rx);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

/* Wait (a generous bound) until the node closes the connection: 1 if it
 * did, with *bytes what it sent before. */
static int
wait_closed(int fd, size_t *bytes)
{
	uint8_t buf[4096];

	*bytes = 0;
	for (int i = 0; i < 300; i++) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			return 1;
		*bytes += (size_t)r;
	}
	return 0;
}

static void
test_channel_call(void)
{
	static const uint8_t empty[] = {0x80};
	struct proc p;
	struct tcli t, u;
	struct dot_buf res = {0};
	struct dot_dec d;
	char addr[64];
	int port;

	mkdir_node(&p);
	port = start_tcp(&p, NULL, NULL, NULL, NULL, addr, sizeof(addr));
	REQUIRE(port > 0);
	/* the genesis key, an account key: accepted as admin */
	REQUIRE(tcli_start(&t, port, admin_sk) == 0);
	CHECK(tcli_finish(&t) == 0);
	if (dot_net_peer(t.ch) != NULL)
		CHECK(dot_net_peer(t.ch)->role == DOT_NET_NODE);
	CHECK_RC(tcli_call(&t, "status", empty, sizeof(empty), &res), DOT_OK);
	if (res.len > 0) {
		uint64_t cnt, k, idx;
		CHECK(dot_dec_init(&d, res.data, res.len, NULL, NULL) ==
			      DOT_OK &&
		      dot_dec_map(&d, &cnt) == DOT_OK &&
		      dot_dec_uint(&d, &k) == DOT_OK && k == 1 &&
		      dot_dec_uint(&d, &idx) == DOT_OK && idx == 1);
	}
	/* a second call on the same channel */
	CHECK_RC(tcli_call(&t, "audit.key", empty, sizeof(empty), &res),
		 DOT_OK);
	/* a key of no account: refused, and nothing else */
	REQUIRE(tcli_start(&u, port, bob_sk) == 0);
	CHECK(tcli_finish(&u) != 0);
	CHECK_RC(dot_net_close_reason(u.ch), DOT_ENET_REFUSED_BY_PEER);
	tcli_free(&u);
	/* the first channel still works */
	CHECK_RC(tcli_call(&t, "status", empty, sizeof(empty), NULL), DOT_OK);
	tcli_free(&t);
	cleanup(&p);
	dot_buf_free(&res);
}

static void
test_handshake_timeout(void)
{
	static const uint8_t empty[] = {0x80};
	struct proc p;
	struct tcli t, ok_t;
	char addr[64];
	size_t bytes;
	int port, fd;

	mkdir_node(&p);
	port = start_tcp(&p, "--handshake-timeout", "1", NULL, NULL, addr,
			 sizeof(addr));
	REQUIRE(port > 0);
	/* HS1 sent, HS2 read, HS3 never sent: dotd closes the connection */
	REQUIRE(tcli_start(&t, port, admin_sk) == 0);
	for (int i = 0; i < 50 && t.raw.len == 0 &&
			dot_net_state(t.ch) == DOT_NET_S_HANDSHAKE;
	     i++) {
		struct pollfd pf = {.fd = t.fd, .events = POLLIN};
		uint8_t b[512];
		ssize_t r;
		if (poll(&pf, 1, 100) <= 0)
			continue;
		r = read(t.fd, b, sizeof(b)); /* HS2: not given to lib/net */
		CHECK(r > 0);
		break;
	}
	CHECK(wait_closed(t.fd, &bytes) == 1);
	tcli_free(&t);
	/* a connection that sends nothing at all: closed too */
	fd = tcp_connect(port);
	REQUIRE(fd >= 0);
	CHECK(wait_closed(fd, &bytes) == 1);
	CHECK(bytes == 0);
	close(fd);
	/* and a proper client still gets in */
	REQUIRE(tcli_start(&ok_t, port, admin_sk) == 0);
	CHECK(tcli_finish(&ok_t) == 0);
	CHECK_RC(tcli_call(&ok_t, "status", empty, sizeof(empty), NULL),
		 DOT_OK);
	tcli_free(&ok_t);
	cleanup(&p);
}

static void
test_handshake_limit(void)
{
	static const uint8_t empty[] = {0x80};
	struct proc p;
	struct tcli est, half[4], over;
	char addr[64];
	size_t bytes;
	int port;

	mkdir_node(&p);
	/* half-open handshakes must outlive the test, however slow */
	port = start_tcp(&p, "--max-handshakes-per-source", "4",
			 "--handshake-timeout", "600", addr, sizeof(addr));
	REQUIRE(port > 0);
	REQUIRE(tcli_start(&est, port, admin_sk) == 0);
	REQUIRE(tcli_finish(&est) == 0);
	/* four half-open handshakes: each answered (HS2), none finished */
	for (int i = 0; i < 4; i++) {
		int got = 0;
		REQUIRE(tcli_start(&half[i], port, admin_sk) == 0);
		for (int k = 0; k < 100 && !got; k++) {
			struct pollfd pf = {.fd = half[i].fd,
					    .events = POLLIN};
			uint8_t b[512];
			if (poll(&pf, 1, 100) > 0 &&
			    read(half[i].fd, b, sizeof(b)) > 0)
				got = 1;
		}
		CHECK(got);
	}
	/* a fifth from the same address: closed with nothing sent */
	REQUIRE(tcli_start(&over, port, admin_sk) == 0);
	CHECK(wait_closed(over.fd, &bytes) == 1);
	CHECK(bytes == 0);
	tcli_free(&over);
	/* the established client is not affected */
	CHECK_RC(tcli_call(&est, "status", empty, sizeof(empty), NULL),
		 DOT_OK);
	/* once the half-open ones go, a new handshake gets in */
	for (int i = 0; i < 4; i++)
		tcli_free(&half[i]);
	{
		int done = -1;
		/* dotd notices the closes on its next read: retry a while */
		for (int k = 0; k < 50 && done != 0; k++) {
			REQUIRE(tcli_start(&over, port, admin_sk) == 0);
			done = tcli_finish(&over);
			if (done == 0)
				CHECK_RC(tcli_call(&over, "status", empty,
						   sizeof(empty), NULL),
					 DOT_OK);
			tcli_free(&over);
			if (done != 0)
				usleep(100000);
		}
		CHECK(done == 0);
	}
	tcli_free(&est);
	cleanup(&p);
}

/* Read from the channel until it closes (a CLOSE or EOF), a generous bound
 * (20 s); 1 if it closed. */
static int
wait_chan_closed(struct tcli *t)
{
	for (int i = 0; i < 200 && !t->closed; i++)
		if (tcli_read(t, 100) < 0)
			break;
	return t->closed;
}

/*
 * A key removed from every level of its account: within a second dotd's
 * timer (on_chan_timer) closes the channels open with it, and nothing sent
 * on them is answered (docs/wire-protocol.md §10). A key still in one
 * level of its account, and the channels of other accounts, are untouched.
 */
static void
test_removed_key_closes_channel(void)
{
	static const uint8_t empty[] = {0x80};
	struct proc p;
	struct tcli ta, td, tadm, again;
	struct dot_buf req = {0};
	struct dot_net_io io = {0};
	char addr[64];
	size_t bytes;
	int port, fd;

	mkdir_node(&p);
	port = start_tcp(&p, "--handshake-timeout", "600", NULL, NULL, addr,
			 sizeof(addr));
	REQUIRE(port > 0);
	fd = try_connect(p.sock);
	REQUIRE(fd >= 0);
	CHECK_RC(account_create(fd, "alice", alice_sk), DOT_OK);
	CHECK_RC(account_create(fd, "dave", dave_sk), DOT_OK);
	/* a channel each: alice, dave, and the admin (another account) */
	REQUIRE(tcli_start(&ta, port, alice_sk) == 0);
	REQUIRE(tcli_finish(&ta) == 0);
	REQUIRE(tcli_start(&td, port, dave_sk) == 0);
	REQUIRE(tcli_finish(&td) == 0);
	REQUIRE(tcli_start(&tadm, port, admin_sk) == 0);
	REQUIRE(tcli_finish(&tadm) == 0);
	CHECK_RC(tcli_call(&ta, "status", empty, sizeof(empty), NULL), DOT_OK);
	CHECK_RC(tcli_call(&td, "status", empty, sizeof(empty), NULL), DOT_OK);
	/* alice's key leaves her active level only: it is still her owner
	 * key. dave's leaves both of his levels. */
	CHECK_RC(set_level(fd, "alice", "active", alice_sk, carol_sk), DOT_OK);
	CHECK_RC(set_level(fd, "dave", "active", dave_sk, carol_sk), DOT_OK);
	CHECK_RC(set_level(fd, "dave", "owner", dave_sk, carol_sk), DOT_OK);
	/* dave's channel is closed; the pass of the timer that did it saw
	 * alice's change too, and left her channel and the admin's open */
	CHECK(wait_chan_closed(&td) == 1);
	CHECK(tcli_call(&td, "status", empty, sizeof(empty), NULL) < 0);
	CHECK_RC(tcli_call(&ta, "status", empty, sizeof(empty), NULL), DOT_OK);
	CHECK_RC(tcli_call(&tadm, "status", empty, sizeof(empty), NULL),
		 DOT_OK);
	/* a request sealed on alice's channel now, sent after the close */
	REQUIRE(dot_api_request(&req, 4242, "status", empty, sizeof(empty)) ==
		DOT_OK);
	REQUIRE_RC(dot_net_send(ta.ch, t_now_us(), req.data, req.len, &io),
		   DOT_OK);
	/* alice's key leaves her last level */
	CHECK_RC(set_level(fd, "alice", "owner", alice_sk, carol_sk), DOT_OK);
	CHECK(wait_chan_closed(&ta) == 1);
	if (dot_net_state(ta.ch) == DOT_NET_S_CLOSED)
		CHECK_RC(dot_net_close_reason(ta.ch), DOT_ENET_PEER_CLOSED);
	else
		printf("# alice's channel: EOF without a CLOSE\n");
	/* the request sealed before the close gets no answer: the
	 * connection is gone */
	if (write_all(ta.fd, io.out.data, io.out.len) != 0)
		(void)0; /* EPIPE or ECONNRESET: as good */
	CHECK(wait_closed(ta.fd, &bytes) == 1);
	CHECK(bytes == 0);
	/* the admin's channel goes on */
	CHECK_RC(tcli_call(&tadm, "status", empty, sizeof(empty), NULL),
		 DOT_OK);
	/* alice's key cannot come back in; carol's (now alice's) can */
	REQUIRE(tcli_start(&again, port, alice_sk) == 0);
	CHECK(tcli_finish(&again) != 0);
	CHECK_RC(dot_net_close_reason(again.ch), DOT_ENET_REFUSED_BY_PEER);
	tcli_free(&again);
	REQUIRE(tcli_start(&again, port, carol_sk) == 0);
	CHECK(tcli_finish(&again) == 0);
	CHECK_RC(tcli_call(&again, "status", empty, sizeof(empty), NULL),
		 DOT_OK);
	tcli_free(&again);
	tcli_free(&ta);
	tcli_free(&td);
	tcli_free(&tadm);
	close(fd);
	dot_buf_free(&req);
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	cleanup(&p);
}

/* Read one whole channel frame from fd (a generous bound); its length,
 * 0 if none came. */
static size_t
raw_frame(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0, flen = 0;

	for (int i = 0; i < 300; i++) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		struct dot_err e = {0};
		ssize_t r;

		if (dot_net_frame_next(buf, got, &flen, &e) != DOT_OK)
			return 0;
		if (flen > 0)
			return flen;
		if (poll(&pf, 1, 100) <= 0)
			continue;
		r = read(fd, buf + got, cap - got);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 0;
}

/* A channel as initiator whose first frame (HS1) is left in io, not sent;
 * port < 0: no connection. */
static int
tcli_prepare(struct tcli *t, int port, struct dot_sign_sk *sk,
	     struct dot_net_io *io)
{
	struct dot_net_config cfg;

	memset(t, 0, sizeof(*t));
	t->fd = port < 0 ? -1 : tcp_connect(port);
	if (port >= 0 && t->fd < 0)
		return -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.initiator = 1;
	memcpy(cfg.cluster_id, CLUSTER, sizeof(CLUSTER));
	if (dot_sign_sk_to_kx(sk, cfg.static_sk) != DOT_OK)
		return -1;
	cfg.role = DOT_NET_ACCOUNT;
	cfg.accept = t_accept_node;
	cfg.rand = tc_rand;
	return dot_net_new(&t->ch, &cfg, t_now_us(), io) == DOT_OK ? 0 : -1;
}

/*
 * The cookie round trip through dotd (docs/wire-protocol.md §5, §10): with
 * --max-handshakes 4, three connections stuck in their handshake (over
 * half) put the node under load. A first message then gets a COOKIE, not
 * the DH work of an HS2, whether its mac2 is empty or wrong; the client
 * repeats the same first message with mac2 made from the cookie, and gets
 * in and is served.
 */
static void
test_cookie_under_load(void)
{
	static const uint8_t empty[] = {0x80};
	static uint8_t f[8192], hs1[8192];
	struct proc p;
	struct tcli t0, t, u;
	struct dot_net_io io = {0};
	struct dot_net_stats st;
	char addr[64];
	size_t n, hs1_len;
	int port, idle[3];

	mkdir_node(&p);
	/* the stuck handshakes must outlive the test, however slow */
	port = start_tcp(&p, "--max-handshakes", "4", "--handshake-timeout",
			 "600", addr, sizeof(addr));
	REQUIRE(port > 0);
	/* Not under load: a first message is answered with HS2. The client
	 * finishes, so it no longer counts as a handshake. */
	REQUIRE(tcli_prepare(&t0, port, admin_sk, &io) == 0);
	REQUIRE(tcli_flush(&t0, &io) == 0);
	n = raw_frame(t0.fd, f, sizeof(f));
	REQUIRE(n > 0 && f[0] == DOT_NET_F_HS2);
	CHECK_RC(dot_net_input(t0.ch, t_now_us(), f, n, &io), DOT_OK);
	REQUIRE(tcli_flush(&t0, &io) == 0);
	REQUIRE(tcli_finish(&t0) == 0);
	/* Three connections stuck in their handshake: two silent, one with
	 * half a first message. dotd accepts in order, so they count before
	 * the next client's first message is read. */
	for (int i = 0; i < 3; i++) {
		idle[i] = tcp_connect(port);
		REQUIRE(idle[i] >= 0);
	}
	REQUIRE(tcli_prepare(&t, -1, admin_sk, &io) == 0);
	REQUIRE(io.out.len > 40);
	REQUIRE(write_all(idle[2], io.out.data, 40) == 0);
	tcli_free(&t);
	io.out.len = 0;
	/* Under load: the client's first message (mac2 empty) gets a COOKIE
	 * and nothing else; no HS2, so no DH was done for it. */
	REQUIRE(tcli_prepare(&t, port, admin_sk, &io) == 0);
	hs1_len = io.out.len;
	REQUIRE(hs1_len <= sizeof(hs1));
	memcpy(hs1, io.out.data, hs1_len);
	REQUIRE(tcli_flush(&t, &io) == 0);
	n = raw_frame(t.fd, f, sizeof(f));
	REQUIRE(n == DOT_NET_HDR_LEN + 44);
	CHECK(f[0] == DOT_NET_F_COOKIE);
	/* the channel takes the cookie and sends the same first message
	 * again, now with mac2 */
	CHECK_RC(dot_net_input(t.ch, t_now_us(), f, n, &io), DOT_OK);
	CHECK(io.events & DOT_NET_EV_COOKIE);
	io.events = 0;
	REQUIRE(io.out.len == hs1_len);
	CHECK(memcmp(io.out.data, hs1, hs1_len - 16) == 0);
	CHECK(memcmp(io.out.data + hs1_len - 16, hs1 + hs1_len - 16, 16) != 0);
	REQUIRE(tcli_flush(&t, &io) == 0);
	CHECK(tcli_finish(&t) == 0);
	dot_net_stats(t.ch, &st);
	CHECK(st.cookies == 1);
	CHECK_RC(tcli_call(&t, "status", empty, sizeof(empty), NULL), DOT_OK);
	/* Still under load (three stuck): a first message with a wrong
	 * mac2 gets a COOKIE too, never an HS2. */
	REQUIRE(tcli_prepare(&u, port, admin_sk, &io) == 0);
	io.out.data[io.out.len - 1] ^= 0x5a;
	REQUIRE(tcli_flush(&u, &io) == 0);
	n = raw_frame(u.fd, f, sizeof(f));
	REQUIRE(n == DOT_NET_HDR_LEN + 44);
	CHECK(f[0] == DOT_NET_F_COOKIE);
	/* the same client, cookie in hand, gets in (its own copy of the
	 * first message has the same mac1, which the cookie answers) */
	CHECK_RC(dot_net_input(u.ch, t_now_us(), f, n, &io), DOT_OK);
	REQUIRE(tcli_flush(&u, &io) == 0);
	CHECK(tcli_finish(&u) == 0);
	CHECK_RC(tcli_call(&u, "status", empty, sizeof(empty), NULL), DOT_OK);
	/* the clients' channels still work */
	CHECK_RC(tcli_call(&t, "status", empty, sizeof(empty), NULL), DOT_OK);
	CHECK_RC(tcli_call(&t0, "status", empty, sizeof(empty), NULL), DOT_OK);
	tcli_free(&u);
	tcli_free(&t);
	tcli_free(&t0);
	for (int i = 0; i < 3; i++)
		close(idle[i]);
	dot_buf_free(&io.out);
	dot_buf_free(&io.data);
	cleanup(&p);
}

int
main(int argc, char **argv)
{
	static const struct t_case cases[] = {
		T_CASE(test_genesis_write_read),
		T_CASE(test_bad_input_keeps_serving),
		T_CASE(test_racing_clients),
		T_CASE(test_kill_during_writes),
		T_CASE(test_wal_stays_bounded),
		T_CASE(test_tampered_log_refused),
		T_CASE(test_audit_methods),
		T_CASE(test_channel_call),
		T_CASE(test_handshake_timeout),
		T_CASE(test_handshake_limit),
		T_CASE(test_removed_key_closes_channel),
		T_CASE(test_cookie_under_load),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-DOTD\n", argv[0]);
		return 2;
	}
	dotd_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	keys();
	return t_main(cases, sizeof(cases) / sizeof(cases[0]));
}
