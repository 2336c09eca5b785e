/*
 * noise_peer.c - one end of a Noise session run by lib/net's Noise core
 * (lib/net/net_int.h), over stdin/stdout, for the interoperability test
 * tests/interop/noise.mjs, which plays the other end with an independent
 * Noise implementation from npm (docs/wire-protocol.md §1).
 *
 *   noise_peer -r initiator|responder -p XX|IK -c chachapoly|aesgcm
 *              (-C CLUSTER_ID_HEX | -P PROLOGUE_HEX) -s STATIC_SK_HEX
 *              [-k REMOTE_STATIC_PK_HEX] [-e EPHEMERAL_SEED_HEX]
 *
 * -C builds the channel's prologue (docs/wire-protocol.md §3.2) from a
 * 16-byte cluster id: "doteros-channel/1" || cluster_id || 0x01 || cipher id
 * || 0x00. -P gives the prologue raw instead. -k is the responder's static
 * key, needed by an IK initiator. Ephemeral keys are random (libsodium)
 * unless -e gives the first one's secret.
 *
 * Frames, both ways: type (1 byte) || length (2 bytes, big-endian) || body.
 *
 *   'M'  a Noise message (handshake or transport), unchanged
 *   'A'  (peer -> driver) the last 'M' was accepted; body = its payload
 *   'X'  (peer -> driver) the last 'M' was rejected; body = the error name.
 *        A rejected message changes nothing: the next 'M' is tried against
 *        the same state (the handshake state is copied, as channel.c does).
 *   'H'  after the handshake, the peer sends its handshake hash (64 bytes)
 *        || the remote static key it learned (32); the driver answers with
 *        its own hash (64 bytes), which the peer compares ('A' or 'X').
 *   'Q'  (driver -> peer) the end: the peer exits 0 if it received every
 *        transport message, else 1.
 *
 * Payloads are fixed, so both ends check what they decrypt:
 *   handshake message i from side S: "noise-interop hs<i> from <S>", S being
 *     "doteros" or "node";
 *   transport message j (j < ROUNDS) from S: msg_len[j] bytes, byte x being
 *     (x * 31 + j * 7 + (S == node ? 0x80 : 0)) mod 256.
 * Each accepted transport message from the driver is answered at once by
 * the peer's transport message of the same index.
 *
 * A wrong payload is reported on stderr and makes the exit status 1, but
 * the session goes on (a changed clear payload, in XX message 0, is to be
 * caught by the handshake itself).
 *
 * Exit status: 0 done, 1 a check failed or the driver went away, 2 usage,
 * 77 the cipher does not run on this CPU (AES-256-GCM without AES-NI).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/net.h"
#include "net/net_int.h"

#define FRAME_MAX 65535

static const size_t msg_len[] = {0, 1, 15, 16, 17, 1000, 65535 - 16};
#define ROUNDS (sizeof(msg_len) / sizeof(msg_len[0]))

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "noise_peer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(void) __attribute__((noreturn));
static void
usage(void)
{
	fprintf(stderr,
		"usage: noise_peer -r initiator|responder -p XX|IK "
		"-c chachapoly|aesgcm\n"
		"         (-C CLUSTER_ID_HEX | -P PROLOGUE_HEX) -s "
		"STATIC_SK_HEX\n"
		"         [-k REMOTE_STATIC_PK_HEX] [-e EPHEMERAL_SEED_HEX]\n");
	exit(2);
}

/* Hex to bytes: exactly want bytes, or any length up to cap if want < 0. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap, long want, const char *what)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap || (want >= 0 && n / 2 != (size_t)want)) {
		fprintf(stderr, "noise_peer: %s: wrong length\n", what);
		exit(2);
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "noise_peer: %s: not hex\n", what);
			exit(2);
		}
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

static void
print_hex(const char *label, const uint8_t *p, size_t n)
{
	fprintf(stderr, "noise_peer: %s ", label);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", p[i]);
	fputc('\n', stderr);
}

/* ---- framing ---- */

static void
write_all(const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* 1 if n bytes were read, 0 at end of file before the first byte. */
static int
read_all(uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(STDIN_FILENO, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read: %s", strerror(errno));
		if (r == 0) {
			if (got == 0)
				return 0;
			die("truncated frame");
		}
		got += (size_t)r;
	}
	return 1;
}

static void
send_frame(char type, const void *body, size_t n)
{
	uint8_t hdr[3] = {(uint8_t)type, (uint8_t)(n >> 8), (uint8_t)n};

	if (n > FRAME_MAX)
		die("frame too long");
	write_all(hdr, sizeof(hdr));
	if (n)
		write_all(body, n);
}

static void
send_error(int rv)
{
	const char *name = dot_errname(rv);

	send_frame('X', name, strlen(name));
}

/* The next frame's type (0 at end of file); body into buf. */
static char
recv_frame(uint8_t *buf, size_t *n)
{
	uint8_t hdr[3];

	if (!read_all(hdr, sizeof(hdr)))
		return 0;
	*n = (size_t)hdr[1] << 8 | hdr[2];
	if (*n && !read_all(buf, *n))
		die("truncated frame");
	return (char)hdr[0];
}

/* ---- the fixed payloads ---- */

static size_t
hs_payload(int msg, const char *from, uint8_t *out)
{
	return (size_t)sprintf((char *)out, "noise-interop hs%d from %s", msg,
			       from);
}

static void
transport_plaintext(size_t j, int from_node, uint8_t *out)
{
	for (size_t x = 0; x < msg_len[j]; x++)
		out[x] = (uint8_t)(x * 31 + j * 7 + (from_node ? 0x80 : 0));
}

/* ---- the session ---- */

static uint8_t buf[FRAME_MAX], out[FRAME_MAX], want[FRAME_MAX];

int
main(int argc, char **argv)
{
	const char *role = NULL, *pat = NULL, *ciph = NULL;
	const char *cid_hex = NULL, *pro_hex = NULL, *s_hex = NULL;
	const char *rs_hex = NULL, *e_hex = NULL;
	uint8_t prologue[256], s_sk[32], rs[32], e_seed[32];
	uint8_t h[NOISE_HASHLEN], peer_rs[32];
	size_t plen = 0, n, m;
	int pattern, initiator, opt, rv, have_e;
	uint8_t suite;
	struct noise_hs hs, tmp;
	struct noise_cipher tx, rx, rx_try;
	size_t received = 0, sent = 0;
	int failed = 0;
	char type;

	while ((opt = getopt(argc, argv, "r:p:c:C:P:s:k:e:")) != -1) {
		switch (opt) {
		case 'r':
			role = optarg;
			break;
		case 'p':
			pat = optarg;
			break;
		case 'c':
			ciph = optarg;
			break;
		case 'C':
			cid_hex = optarg;
			break;
		case 'P':
			pro_hex = optarg;
			break;
		case 's':
			s_hex = optarg;
			break;
		case 'k':
			rs_hex = optarg;
			break;
		case 'e':
			e_hex = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !role || !pat || !ciph || !s_hex ||
	    !cid_hex == !pro_hex)
		usage();
	if (strcmp(role, "initiator") == 0)
		initiator = 1;
	else if (strcmp(role, "responder") == 0)
		initiator = 0;
	else
		usage();
	if (strcmp(pat, "XX") == 0)
		pattern = NOISE_XX;
	else if (strcmp(pat, "IK") == 0)
		pattern = NOISE_IK;
	else
		usage();
	if (strcmp(ciph, "chachapoly") == 0)
		suite = DOT_SUITE_CHACHA20POLY1305;
	else if (strcmp(ciph, "aesgcm") == 0)
		suite = DOT_SUITE_AES256GCM;
	else
		usage();

	if (sodium_init() < 0 || dot_crypto_init() != DOT_OK)
		die("crypto init failed");
	if (!dot_aead_available(suite)) {
		fprintf(stderr, "noise_peer: %s does not run on this CPU\n",
			ciph);
		return 77;
	}

	if (cid_hex) { /* docs/wire-protocol.md §3.2 */
		static const char tag[] = "doteros-channel/1";
		memcpy(prologue, tag, strlen(tag));
		plen = strlen(tag);
		plen += unhex(cid_hex, prologue + plen, DOT_NET_CLUSTER_ID_LEN,
			      DOT_NET_CLUSTER_ID_LEN, "cluster id");
		prologue[plen++] = DOT_NET_VERSION;
		prologue[plen++] = suite;
		prologue[plen++] = DOT_NET_KEM_NONE;
	} else {
		plen = unhex(pro_hex, prologue, sizeof(prologue), -1,
			     "prologue");
	}
	unhex(s_hex, s_sk, sizeof(s_sk), 32, "static key");
	if (rs_hex)
		unhex(rs_hex, rs, sizeof(rs), 32, "remote static key");
	have_e = e_hex != NULL;
	if (have_e)
		unhex(e_hex, e_seed, sizeof(e_seed), 32, "ephemeral seed");

	rv = noise_hs_init(&hs, pattern, suite, initiator, prologue, plen,
			   s_sk, rs_hex ? rs : NULL);
	if (rv != DOT_OK)
		die("noise_hs_init: %s", dot_errname(rv));
	fprintf(stderr, "noise_peer: %s, %s\n",
		noise_protocol_name(pattern, suite), role);

	/* The handshake. */
	while (!noise_hs_done(&hs)) {
		int i = hs.msg;
		if (noise_hs_my_turn(&hs)) {
			if (!hs.has_e) {
				if (!have_e)
					randombytes_buf(e_seed, sizeof(e_seed));
				noise_hs_set_ephemeral(&hs, e_seed);
			}
			m = hs_payload(i, "doteros", want);
			rv = noise_hs_write(&hs, want, m, out, sizeof(out), &n);
			if (rv != DOT_OK)
				die("noise_hs_write: %s", dot_errname(rv));
			send_frame('M', out, n);
			continue;
		}
		type = recv_frame(buf, &n);
		if (type != 'M')
			die("the driver ended during the handshake");
		tmp = hs; /* a rejected message changes nothing */
		rv = noise_hs_read(&tmp, buf, n, out, sizeof(out), &m);
		if (rv != DOT_OK) {
			send_error(rv);
			continue;
		}
		hs = tmp;
		send_frame('A', out, m);
		n = hs_payload(i, "node", want);
		if (m != n || memcmp(out, want, n) != 0) {
			/* Go on: a changed clear payload (XX message 0) must be
			 * caught by the handshake itself, later. */
			fprintf(stderr, "noise_peer: handshake message %d: "
				"wrong payload\n", i);
			failed = 1;
		}
	}
	memcpy(h, hs.ss.h, sizeof(h));
	memcpy(peer_rs, hs.rs, sizeof(peer_rs));
	rv = noise_hs_split(&hs, &tx, &rx);
	if (rv != DOT_OK)
		die("noise_hs_split: %s", dot_errname(rv));
	if (!initiator) { /* c1 is initiator -> responder */
		struct noise_cipher t = tx;
		tx = rx;
		rx = t;
	}
	noise_wipe(&hs, sizeof(hs));
	noise_wipe(&tmp, sizeof(tmp));
	print_hex("handshake hash", h, sizeof(h));
	memcpy(out, h, sizeof(h));
	memcpy(out + sizeof(h), peer_rs, sizeof(peer_rs));
	send_frame('H', out, sizeof(h) + sizeof(peer_rs));
	type = recv_frame(buf, &n);
	if (type != 'H' || n != sizeof(h))
		die("expected the driver's handshake hash");
	if (sodium_memcmp(buf, h, sizeof(h)) != 0) {
		send_frame('X', "handshake hash differs", 22);
		print_hex("driver's hash ", buf, n);
		die("the handshake hashes differ");
	}
	send_frame('A', NULL, 0);

	/* Transport messages: each accepted one is answered by one. */
	for (;;) {
		type = recv_frame(buf, &n);
		if (type == 'Q')
			break;
		if (type != 'M')
			die("expected a transport message or the end");
		rx_try = rx;
		if (n < NOISE_TAGLEN)
			rv = DOT_ECRYPTO_DECRYPT;
		else
			rv = noise_decrypt(&rx_try, NULL, 0, buf, n, out);
		if (rv != DOT_OK) {
			send_error(rv);
			continue;
		}
		rx = rx_try;
		m = n - NOISE_TAGLEN;
		send_frame('A', out, m);
		if (received >= ROUNDS)
			die("more transport messages than expected");
		transport_plaintext(received, 1, want);
		if (m != msg_len[received] || memcmp(out, want, m) != 0) {
			fprintf(stderr, "noise_peer: transport message %zu: "
				"wrong plaintext\n", received);
			failed = 1;
		}
		received++;

		transport_plaintext(sent, 0, want);
		rv = noise_encrypt(&tx, NULL, 0, want, msg_len[sent], out);
		if (rv != DOT_OK)
			die("noise_encrypt: %s", dot_errname(rv));
		send_frame('M', out, msg_len[sent] + NOISE_TAGLEN);
		sent++;
	}
	noise_wipe(&tx, sizeof(tx));
	noise_wipe(&rx, sizeof(rx));
	if (received != ROUNDS)
		die("fewer transport messages than expected");
	fprintf(stderr, "noise_peer: %s\n", failed ? "failed" : "done");
	return failed;
}
