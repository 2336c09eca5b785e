/*
 * pqtool.c - lib/crypto's ML-DSA-65 (FIPS 204) and ML-KEM-768 (FIPS 203)
 * over a line protocol on stdin/stdout, for the cross-check against an
 * independent implementation, tests/cross/cross.mjs (@noble/post-quantum
 * under Node). Test tooling: not installed.
 *
 * Requests, one a line ending in "\n"; fields separated by exactly one
 * space; byte strings in hex (either case), "-" for the empty string:
 *
 *   dsa-keygen XI              -> ok PK SK   FIPS 204 Algorithm 6
 *   dsa-sign SK MSG CTX RND    -> ok SIG     FIPS 204 Algorithm 2, rnd given
 *   dsa-verify PK MSG CTX SIG  -> ok         FIPS 204 Algorithm 3
 *   kem-keygen D Z             -> ok EK DK   FIPS 203 Algorithm 16
 *   kem-encaps EK M            -> ok CT SS   FIPS 203 §7.2, Algorithm 17
 *   kem-decaps DK CT           -> ok SS      FIPS 203 Algorithm 21
 *
 * A request the library refuses is answered "err NAME" (dot_errname). XI,
 * RND, D, Z and M are exactly 32 bytes; the other fields may have any
 * length up to a bound (the format's length plus 64; MSG up to 64 KiB, CTX
 * up to 300 bytes), so the library's own length checks are reachable. A
 * malformed request (unknown command, wrong field count, bad hex, a field
 * or the line over its bound, no final newline) is answered "bad REASON"
 * and ends the tool with exit status 2. End of input: exit 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/mldsa.h"
#include "doteros/mlkem.h"

#define MSG_MAX	  65536
#define CTX_MAX	  300
#define SLACK	  64
#define ARGS_MAX  4
#define FIELD_MAX MSG_MAX
/* The longest request: dsa-verify with every field at its bound. */
#define LINE_MAX_LEN                                                           \
	(16 + 2 * (DOT_MLDSA65_PK_LEN + SLACK + MSG_MAX + CTX_MAX +            \
		   DOT_MLDSA65_SIG_LEN + SLACK))
/* The longest reply: "ok PK SK\n". */
#define REPLY_MAX (8 + 2 * (DOT_MLDSA65_PK_LEN + DOT_MLDSA65_SK_LEN))

struct field {
	uint8_t *p;
	size_t n;
};

struct cmd {
	const char *name;
	int nargs;
	struct {
		size_t len; /* exact length if fixed, else the bound */
		int fixed;
	} arg[ARGS_MAX];
	void (*run)(const struct field *a);
};

static char line[LINE_MAX_LEN + 2];
static char reply[REPLY_MAX];
static size_t reply_len;
static uint8_t argbuf[ARGS_MAX][FIELD_MAX];

/* ---- replies ---- */

static void
reply_start(void)
{
	memcpy(reply, "ok", 2);
	reply_len = 2;
}

static void
reply_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	if (reply_len + 2 + 2 * n > sizeof(reply)) {
		fputs("pqtool: reply too long (a bug)\n", stderr);
		exit(1);
	}
	reply[reply_len++] = ' ';
	for (size_t i = 0; i < n; i++) {
		reply[reply_len++] = digits[p[i] >> 4];
		reply[reply_len++] = digits[p[i] & 15];
	}
}

static void
reply_send(void)
{
	reply[reply_len++] = '\n';
	fwrite(reply, 1, reply_len, stdout);
	fflush(stdout);
}

static void
reply_err(int rv)
{
	printf("err %s\n", dot_errname(rv));
	fflush(stdout);
}

/* ---- the commands ---- */

static void
dsa_keygen(const struct field *a)
{
	static uint8_t pk[DOT_MLDSA65_PK_LEN], sk[DOT_MLDSA65_SK_LEN];

	dot_mldsa65_keypair_derand(pk, sk, a[0].p);
	reply_start();
	reply_hex(pk, sizeof(pk));
	reply_hex(sk, sizeof(sk));
	reply_send();
	sodium_memzero(sk, sizeof(sk));
}

static void
dsa_sign(const struct field *a)
{
	static uint8_t sig[DOT_MLDSA65_SIG_LEN];
	int rv;

	rv = dot_mldsa65_sign_derand(sig, a[0].p, a[0].n, a[1].p, a[1].n,
				     a[2].p, a[2].n, a[3].p);
	if (rv != DOT_OK) {
		reply_err(rv);
		return;
	}
	reply_start();
	reply_hex(sig, sizeof(sig));
	reply_send();
}

static void
dsa_verify(const struct field *a)
{
	int rv;

	rv = dot_mldsa65_verify(a[0].p, a[0].n, a[1].p, a[1].n, a[2].p, a[2].n,
				a[3].p, a[3].n);
	if (rv != DOT_OK) {
		reply_err(rv);
		return;
	}
	reply_start();
	reply_send();
}

static void
kem_keygen(const struct field *a)
{
	static uint8_t ek[DOT_MLKEM768_EK_LEN], dk[DOT_MLKEM768_DK_LEN];

	dot_mlkem768_keypair_derand(ek, dk, a[0].p, a[1].p);
	reply_start();
	reply_hex(ek, sizeof(ek));
	reply_hex(dk, sizeof(dk));
	reply_send();
	sodium_memzero(dk, sizeof(dk));
}

static void
kem_encaps(const struct field *a)
{
	static uint8_t ct[DOT_MLKEM768_CT_LEN], ss[DOT_MLKEM768_SS_LEN];
	int rv;

	rv = dot_mlkem768_encaps_derand(ct, ss, a[0].p, a[0].n, a[1].p);
	if (rv != DOT_OK) {
		reply_err(rv);
		return;
	}
	reply_start();
	reply_hex(ct, sizeof(ct));
	reply_hex(ss, sizeof(ss));
	reply_send();
	sodium_memzero(ss, sizeof(ss));
}

static void
kem_decaps(const struct field *a)
{
	static uint8_t ss[DOT_MLKEM768_SS_LEN];
	int rv;

	rv = dot_mlkem768_decaps(ss, a[1].p, a[1].n, a[0].p, a[0].n);
	if (rv != DOT_OK) {
		reply_err(rv);
		return;
	}
	reply_start();
	reply_hex(ss, sizeof(ss));
	reply_send();
	sodium_memzero(ss, sizeof(ss));
}

/* Each field: {exact length, 1} or {bound, 0}. */
/* clang-format off */
static const struct cmd cmds[] = {
	{"dsa-keygen", 1, {{DOT_MLDSA_SEED_LEN, 1}}, dsa_keygen},
	{"dsa-sign", 4,
	 {{DOT_MLDSA65_SK_LEN + SLACK, 0}, {MSG_MAX, 0}, {CTX_MAX, 0},
	  {DOT_MLDSA_RND_LEN, 1}},
	 dsa_sign},
	{"dsa-verify", 4,
	 {{DOT_MLDSA65_PK_LEN + SLACK, 0}, {MSG_MAX, 0}, {CTX_MAX, 0},
	  {DOT_MLDSA65_SIG_LEN + SLACK, 0}},
	 dsa_verify},
	{"kem-keygen", 2, {{DOT_MLKEM_RAND_LEN, 1}, {DOT_MLKEM_RAND_LEN, 1}},
	 kem_keygen},
	{"kem-encaps", 2,
	 {{DOT_MLKEM768_EK_LEN + SLACK, 0}, {DOT_MLKEM_RAND_LEN, 1}},
	 kem_encaps},
	{"kem-decaps", 2,
	 {{DOT_MLKEM768_DK_LEN + SLACK, 0}, {DOT_MLKEM768_CT_LEN + SLACK, 0}},
	 kem_decaps},
};
/* clang-format on */

/* ---- parsing ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The field tok (NUL-terminated) into out: NULL, or what is wrong. */
static const char *
unhex(const char *tok, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(tok);

	if (strcmp(tok, "-") == 0) {
		*n = 0;
		return NULL;
	}
	if (len == 0)
		return "empty field (write - for the empty string)";
	if (len % 2)
		return "odd number of hex digits";
	if (len / 2 > cap)
		return "field over its bound";
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(tok[2 * i]), lo = hexval(tok[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "not hex";
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return NULL;
}

/* One request (without its newline): NULL once answered, or what is
 * wrong with it. */
static const char *
request(char *s)
{
	char *tok[1 + ARGS_MAX];
	struct field a[ARGS_MAX];
	const struct cmd *c = NULL;
	const char *why;
	int ntok = 0;
	char *p = s;

	for (;;) {
		char *sp = strchr(p, ' ');
		if (ntok == 1 + ARGS_MAX)
			return "too many fields";
		tok[ntok++] = p;
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(tok[0], cmds[i].name) == 0)
			c = &cmds[i];
	if (!c)
		return "unknown command";
	if (ntok != 1 + c->nargs)
		return "wrong number of fields";
	for (int i = 0; i < c->nargs; i++) {
		a[i].p = argbuf[i];
		why = unhex(tok[1 + i], argbuf[i], c->arg[i].len, &a[i].n);
		if (why)
			return why;
		if (c->arg[i].fixed && a[i].n != c->arg[i].len)
			return "field of the wrong length";
	}
	c->run(a);
	for (int i = 0; i < c->nargs; i++)
		sodium_memzero(argbuf[i], a[i].n);
	return NULL;
}

int
main(void)
{
	const char *why;
	size_t len;

	if (dot_crypto_init() != DOT_OK) {
		fputs("pqtool: dot_crypto_init failed\n", stderr);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n') {
			why = len == sizeof(line) - 1
				  ? "line too long"
				  : "no newline at the end, or a NUL byte";
			goto bad;
		}
		line[len - 1] = '\0';
		why = request(line);
		if (why)
			goto bad;
	}
	if (ferror(stdin)) {
		perror("pqtool: stdin");
		return 1;
	}
	return 0;
bad:
	printf("bad %s\n", why);
	fflush(stdout);
	fprintf(stderr, "pqtool: bad request: %s\n", why);
	return 2;
}
