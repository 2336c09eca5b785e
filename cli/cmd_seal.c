/*
 * cmd_seal.c - dot seal | dot open: files sealed to X-Wing keys, in the
 * format of docs/seal-format.md (include/doteros/seal.h does the work).
 *
 *   dot seal -r RECIPIENT... [--bind TEXT] [--anonymous] [-o OUT] [IN]
 *   dot open --key KEY [--bind TEXT] [-o OUT] [IN]
 *   dot open --info [--key KEY] [--bind TEXT] [IN]
 *
 * A recipient is an X-Wing public key ("dotpk1..." with suite 0x12), a key
 * NAME or FILE whose public half is read (no passphrase), or a file that
 * holds the dotpk1 text. Every sealed payload is bound to a binding, the
 * block or object it belongs to (seal.h); for files the default is the
 * fixed string "dot-seal-file/1", and --bind ties a payload to something
 * else (a file name, an object id), which the opener must then give too.
 *
 * dot open checks what it can before asking for the passphrase: the
 * structure (dot_seal_parse), the key's kind, the binding's fingerprint
 * and, unless the payload is anonymous, whether the key is a recipient
 * (its key id, dot_seal_kid). dot_seal_open then checks all of it again
 * and authenticates; only then is a byte of the payload written.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/seal.h"
#include "doteros/xwing.h"
#include "dot.h"

/* The binding of a file sealed without --bind (docs/seal-format.md §1,
 * dot(1) SEALED FILES). Changing it would orphan every file sealed. */
#define SEAL_FILE_BINDING "dot-seal-file/1"

/* A recipient file (dotpk1 text or a key file) is read up to this. */
#define RECIPIENT_FILE_MAX 16384

/* The largest sealed payload: 32 recipients and 64 MiB. */
#define SEALED_MAX DOT_SEAL_LEN(DOT_SEAL_MAX_RECIPIENTS, DOT_SEAL_PAYLOAD_MAX)

enum {
	OPT_JSON = 256,
	OPT_BIND,
	OPT_ANON,
	OPT_INFO,
	OPT_PASSFILE,
};

/* dot_seal's randomness: libsodium's CSPRNG (randombytes_buf). */
static void
seal_rand(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	randombytes_buf(out, n);
}

static const char *
in_name(const char *in)
{
	return strcmp(in, "-") == 0 ? "standard input" : in;
}

/* 1 when -o OUT means standard output (absent, or '-'). */
static int
to_stdout(const char *out)
{
	return out == NULL || strcmp(out, "-") == 0;
}

/* DOT_OK when pk (the public half of the key file at path) is an X-Wing
 * key, else DOT_ECRYPTO_SUITE naming the key's suite; hint ends the
 * sentence. */
static int
xwing_key(const uint8_t *pk, const char *path, const char *hint,
	  struct dot_err *e)
{
	const char *name = dot_suite_name(pk[0]);

	if (pk[0] == DOT_SUITE_XWING)
		return DOT_OK;
	return dot_err_set(e, DOT_ECRYPTO_SUITE,
			   "key file %s holds a signing key (%s), not an "
			   "X-Wing key%s",
			   path, name ? name : "unknown suite", hint);
}

/* The key id of the X-Wing key pk (suite byte first) under binding. */
static int
binding_kid(uint8_t kid[DOT_SEAL_KID_LEN], const uint8_t *pk,
	    const char *binding, struct dot_err *e)
{
	int rv = dot_seal_kid(kid, pk + 1, DOT_XWING_PK_LEN,
			      (const uint8_t *)binding, strlen(binding));

	if (rv != DOT_OK)
		return dot_err_set(e, rv, "key id: %s", dot_strerror(rv));
	return DOT_OK;
}

/* A --bind argument: 1 to 255 bytes; 0, or the usage exit status. */
static int
bind_arg(const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n > DOT_SEAL_BINDING_MAX)
		return cli_usage("--bind TEXT must be 1 to %d bytes (this one "
				 "has %zu)",
				 DOT_SEAL_BINDING_MAX, n);
	return 0;
}

/* docs/seal-format.md §3: fp = BLAKE2b-128("dot-seal-v1 binding" ||
 * u8(|B|) || B), the fingerprint a sealed payload carries at offset 13. */
static void
binding_fp(uint8_t fp[DOT_SEAL_FP_LEN], const char *binding)
{
	static const char label[] = "dot-seal-v1 binding";
	crypto_generichash_state st;
	size_t n = strlen(binding);
	uint8_t bl = (uint8_t)n;

	crypto_generichash_init(&st, NULL, 0, DOT_SEAL_FP_LEN);
	crypto_generichash_update(&st, (const uint8_t *)label,
				  sizeof(label) - 1);
	crypto_generichash_update(&st, &bl, 1);
	crypto_generichash_update(&st, (const uint8_t *)binding, n);
	crypto_generichash_final(&st, fp, DOT_SEAL_FP_LEN);
}

/* Write all of p to standard output. */
static int
write_stdout(const uint8_t *p, size_t n, struct dot_err *e)
{
	fflush(stdout);
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return dot_err_set(e, DOT_EINVAL,
					   "cannot write to standard output: %s",
					   strerror(errno));
		p += w, n -= (size_t)w;
	}
	return DOT_OK;
}

static int
write_out(const char *out, const uint8_t *p, size_t n, struct dot_err *e)
{
	if (to_stdout(out))
		return write_stdout(p, n, e);
	return cli_write_bytes(out, p, n, e);
}

/*
 * The X-Wing public key in the dotpk1 text form: checksum, suite 0x12,
 * 1216 bytes, FIPS 203 §7.2 (dot_xwing_pk_check). what names the
 * argument in messages.
 */
static int
pk_from_text(const char *text, const char *what, uint8_t pk[DOT_XWING_PK_LEN],
	     struct dot_err *e)
{
	struct dot_buf b = {0};
	const char *name;
	int rv;

	rv = cli_text_decode("dotpk1", text, DOT_KEYFILE_PK_MAX, &b, e);
	if (rv != DOT_OK) {
		cli_err_prefix(e, rv, "%s", what);
		goto out;
	}
	if (b.data[0] != DOT_SUITE_XWING) {
		name = dot_suite_name(b.data[0]);
		rv = dot_err_set(e, DOT_ECRYPTO_SUITE,
				 "%s is a%s %s public key, not an X-Wing key: "
				 "seal to a key made by 'dot key new NAME "
				 "--kind seal'",
				 what,
				 name != NULL && strchr("aeiou", name[0]) ? "n"
									  : "",
				 name != NULL ? name : "unknown");
		goto out;
	}
	if (b.len != 1 + DOT_XWING_PK_LEN ||
	    dot_xwing_pk_check(b.data + 1, b.len - 1) != DOT_OK) {
		rv = dot_err_set(e, DOT_ECRYPTO_XWING_PK,
				 "%s: not a valid X-Wing public key (%zu "
				 "bytes, want %d)",
				 what, b.len - 1, DOT_XWING_PK_LEN);
		goto out;
	}
	memcpy(pk, b.data + 1, DOT_XWING_PK_LEN);
out:
	dot_buf_free(&b);
	return rv;
}

/* A RECIPIENT: dotpk1 text, a key NAME or FILE, or a file of dotpk1 text. */
static int
recipient_pk(const char *arg, uint8_t pk[DOT_XWING_PK_LEN], struct dot_err *e)
{
	uint8_t kpk[DOT_KEYFILE_PK_MAX];
	struct dot_buf text = {0};
	char what[160], path[4096];
	const char *t;
	size_t n, klen;
	int rv;

	snprintf(what, sizeof(what), "recipient '%.40s%s'", arg,
		 strlen(arg) > 40 ? "..." : "");
	if (strncmp(arg, "dotpk1", 6) == 0)
		return pk_from_text(arg, what, pk, e);
	if ((rv = cli_key_path(arg, path, sizeof(path), e)) != DOT_OK)
		return rv;
	rv = cli_read_named(path, RECIPIENT_FILE_MAX, &text, e, "%s", what);
	if (rv != DOT_OK)
		return rv;
	dot_buf_put(&text, "", 1); /* a NUL for the text functions */
	if (text.err) {
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		goto out;
	}
	if (memchr(text.data, '\0', text.len - 1) != NULL) {
		rv = dot_err_set(e, DOT_ETEXT_PREFIX,
				 "%s: %s is neither a public key (dotpk1...) "
				 "nor a key file (dotsk1...)",
				 what, path);
		goto out;
	}
	t = (const char *)text.data;
	n = text.len - 1;
	while (n > 0 && strchr(" \t\r\n", *t) != NULL)
		t++, n--;
	if (n >= 6 && strncmp(t, "dotpk1", 6) == 0) {
		snprintf(what, sizeof(what), "recipient file %.100s", path);
		rv = pk_from_text(t, what, pk, e);
	} else if (n >= 6 && strncmp(t, "dotsk1", 6) == 0) {
		rv = cli_key_public_any(path, kpk, &klen, NULL, 0, e);
		if (rv == DOT_OK &&
		    (rv = xwing_key(kpk, path,
				    ": seal to a key made by 'dot key new NAME "
				    "--kind seal'",
				    e)) != DOT_OK)
			cli_err_prefix(e, rv, "%s", what);
		if (rv == DOT_OK)
			memcpy(pk, kpk + 1, DOT_XWING_PK_LEN);
	} else {
		rv = dot_err_set(e, DOT_ETEXT_PREFIX,
				 "%s: %s is neither a public key (dotpk1...) "
				 "nor a key file (dotsk1...)",
				 what, path);
	}
out:
	dot_buf_free(&text);
	return rv;
}

/* ---- dot seal ---- */

static const char seal_help[] =
	"Seals IN (a file, or standard input when IN is absent or '-') to\n"
	"each RECIPIENT's X-Wing key (X25519 + ML-KEM-768): only a holder of\n"
	"one of their private keys can open it, with 'dot open'. Writes the\n"
	"sealed bytes to OUT (mode 0600, replaced atomically) or to standard\n"
	"output, never to a terminal.\n"
	"\n"
	"A RECIPIENT is a public key dotpk1... (as 'dot key show' prints it),\n"
	"a key NAME or FILE made by 'dot key new --kind seal' (only its\n"
	"public half is read: no passphrase), or a file holding the dotpk1\n"
	"text. At most 32 recipients, each given once; at most 64 MiB of "
	"input.\n"
	"\n"
	"The binding names what the payload belongs to; opening needs the\n"
	"same one, so a sealed file cannot pass for another. Without --bind\n"
	"it is \"" SEAL_FILE_BINDING "\"; --bind ties the payload to, say, "
	"its\nfile name or an object id.\n"
	"\n"
	"Options:\n"
	"  -r, --recipient R   seal to R (repeat for each recipient)\n"
	"      --bind TEXT     the binding, 1 to 255 bytes (default \"" SEAL_FILE_BINDING
	"\")\n"
	"      --anonymous     write no key ids: the payload does not show "
	"which\n"
	"                      keys it is sealed to (opening tries each)\n"
	"  -o, --output OUT    write to OUT ('-': standard output)\n"
	"      --json          print {ok, recipients, bytes, payload_bytes,\n"
	"                      anonymous, binding, output} (needs -o OUT)\n"
	"  -h, --help          this help\n";

int
cmd_seal(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"recipient", required_argument, NULL, 'r'},
		{"bind", required_argument, NULL, OPT_BIND},
		{"anonymous", no_argument, NULL, OPT_ANON},
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *in = "-", *binding = SEAL_FILE_BINDING;
	const char **rargs = NULL;
	const uint8_t *pkp[DOT_SEAL_MAX_RECIPIENTS];
	uint8_t *pks = NULL, *sealed = NULL;
	size_t nr = 0, cap = 0, outlen = 0;
	struct dot_buf payload = {0};
	unsigned flags = 0;
	struct dot_err e = {0};
	int c, rv, status = DOT_EXIT_FAIL;
	struct json j;

	(void)self;
	rargs = calloc((size_t)argc + 1, sizeof(*rargs));
	if (rargs == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		return cli_fail(&e);
	}
	while ((c = getopt_long(argc, argv, ":r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rargs[nr++] = optarg; break;
		case OPT_BIND:
			if ((rv = bind_arg(optarg)) != 0) {
				free(rargs);
				return rv;
			}
			binding = optarg;
			break;
		case OPT_ANON: flags |= DOT_SEAL_ANONYMOUS; break;
		case 'o': out = optarg; break;
		case OPT_JSON: cli_set_json(1); break;
		case 'h': free(rargs); return cli_help(seal_help);
		default: free(rargs); return cli_badopt(c, argv);
		}
	}
	if (argc - optind > 1) {
		free(rargs);
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	}
	if (argc - optind == 1)
		in = argv[optind];
	if (nr == 0) {
		free(rargs);
		return cli_usage("give at least one recipient: -r RECIPIENT");
	}
	if (cli_json() && to_stdout(out)) {
		free(rargs);
		return cli_usage("--json needs -o OUT: the sealed bytes would "
				 "go to standard output with the JSON");
	}
	if (nr > DOT_SEAL_MAX_RECIPIENTS) {
		dot_err_set(&e, DOT_ESEAL_TOO_MANY,
			    "%zu recipients: a sealed payload holds at most "
			    "%d",
			    nr, DOT_SEAL_MAX_RECIPIENTS);
		goto fail;
	}
	if (to_stdout(out) && isatty(STDOUT_FILENO)) {
		dot_err_set(&e, DOT_EINVAL,
			    "refusing to write sealed (binary) bytes to a "
			    "terminal: use -o OUT or redirect standard output");
		goto fail;
	}

	/* The recipients, each checked, none twice. */
	pks = malloc(nr * DOT_XWING_PK_LEN);
	if (pks == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < nr; i++) {
		assert(rargs[i] != NULL); /* set by each -r */
		pkp[i] = pks + i * DOT_XWING_PK_LEN;
		if (recipient_pk(rargs[i], pks + i * DOT_XWING_PK_LEN, &e) !=
		    DOT_OK)
			goto fail;
		for (size_t k = 0; k < i; k++)
			if (memcmp(pkp[k], pkp[i], DOT_XWING_PK_LEN) == 0) {
				dot_err_set(&e, DOT_EINVAL,
					    "recipients '%.40s' and '%.40s' "
					    "are the same key: give each "
					    "once",
					    rargs[k], rargs[i]);
				goto fail;
			}
	}

	rv = cli_read_file(in, DOT_SEAL_PAYLOAD_MAX, &payload, &e);
	if (rv == DOT_ETOOBIG) {
		dot_err_set(&e, DOT_ERANGE,
			    "%s is larger than %u bytes (64 MiB), the most a "
			    "sealed payload holds",
			    in_name(in), DOT_SEAL_PAYLOAD_MAX);
		goto fail;
	}
	if (rv != DOT_OK)
		goto fail;
	cap = DOT_SEAL_LEN(nr, payload.len);
	sealed = malloc(cap);
	if (sealed == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		goto fail;
	}
	rv = dot_seal(sealed, cap, &outlen,
		      payload.len ? payload.data : (const uint8_t *)"",
		      payload.len, pkp, nr, (const uint8_t *)binding,
		      strlen(binding), flags, seal_rand, NULL, &e);
	if (rv != DOT_OK) {
		cli_err_prefix(&e, rv, "cannot seal %s", in_name(in));
		goto fail;
	}
	if (write_out(out, sealed, outlen, &e) != DOT_OK)
		goto fail;
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kuint(&j, "recipients", nr);
		json_kuint(&j, "bytes", outlen);
		json_kuint(&j, "payload_bytes", payload.len);
		json_kbool(&j, "anonymous", (flags & DOT_SEAL_ANONYMOUS) != 0);
		json_kstr(&j, "binding", binding);
		json_kstr(&j, "output", out);
		json_obj_end(&j);
		json_finish(&j);
	}
	status = DOT_EXIT_OK;
	goto out;
fail:
	status = cli_fail(&e);
out:
	if (payload.data != NULL)
		sodium_memzero(payload.data, payload.len);
	dot_buf_free(&payload);
	free(sealed);
	free(pks);
	free(rargs);
	return status;
}

/* ---- dot open ---- */

static const char open_help[] =
	"Opens a payload sealed by 'dot seal' (IN, or standard input when IN\n"
	"is absent or '-') with the X-Wing key KEY (a NAME or FILE made by\n"
	"'dot key new --kind seal'; its passphrase is asked as for any key)\n"
	"and writes what was sealed to OUT (mode 0600, replaced atomically)\n"
	"or to standard output. Nothing is written unless the whole payload\n"
	"authenticates.\n"
	"\n"
	"The binding must be the one it was sealed with: \"" SEAL_FILE_BINDING
	"\"\n"
	"unless 'dot seal --bind' gave another.\n"
	"\n"
	"Refusals (with --json, the error names): DOT_ESEAL_FORMAT not a\n"
	"sealed payload, or a damaged one; DOT_ESEAL_TOO_MANY more than 32\n"
	"recipients; DOT_ESEAL_BINDING another binding; DOT_ESEAL_NOT_RECIPIENT\n"
	"not sealed to KEY; DOT_ESEAL_OPEN altered (authentication fails);\n"
	"DOT_ECRYPTO_SUITE KEY is a signing key.\n"
	"\n"
	"--info prints the header instead, without a passphrase: the format,\n"
	"flags, the recipients' key ids, the payload's length and binding\n"
	"fingerprint; whether the binding matches; with --key, whether KEY is\n"
	"a recipient (its public half is enough).\n"
	"\n"
	"Options:\n"
	"  -k, --key KEY            the X-Wing key to open with\n"
	"      --bind TEXT          the binding (default \"" SEAL_FILE_BINDING
	"\")\n"
	"  -o, --output OUT         write to OUT ('-': standard output)\n"
	"      --info               print the header; open nothing\n"
	"      --passphrase-file F  read the passphrase from the first line "
	"of F\n"
	"      --json               print {ok, bytes} (needs -o OUT), or the\n"
	"                           header with --info\n"
	"  -h, --help               this help\n";

/* The index of kid among the payload's stanzas, or -1. */
static long
find_kid(const struct dot_seal_info *info, const uint8_t kid[DOT_SEAL_KID_LEN])
{
	for (size_t i = 0; i < info->nrecipients; i++)
		if (memcmp(info->kid[i], kid, DOT_SEAL_KID_LEN) == 0)
			return (long)i;
	return -1;
}

/* --info: the header of sealed (n bytes). key may be NULL. */
static int
open_info(const char *in, size_t n, const struct dot_seal_info *info,
	  const char *binding, const char *key, struct dot_err *e)
{
	uint8_t fp[DOT_SEAL_FP_LEN], pk[DOT_KEYFILE_PK_MAX];
	uint8_t kid[DOT_SEAL_KID_LEN];
	char hex[2 * DOT_SEAL_FP_LEN + 1], path[4096];
	int anon = (info->flags & DOT_SEAL_ANONYMOUS) != 0, matches, rv;
	long at = -1;
	size_t pklen;
	struct json j;

	binding_fp(fp, binding);
	matches = memcmp(fp, info->fp, DOT_SEAL_FP_LEN) == 0;
	if (key != NULL) {
		rv = cli_key_public_any(key, pk, &pklen, path, sizeof(path), e);
		if (rv == DOT_OK)
			rv = xwing_key(pk, path, "", e);
		if (rv == DOT_OK)
			rv = binding_kid(kid, pk, binding, e);
		if (rv != DOT_OK)
			return rv;
		if (!anon)
			at = find_kid(info, kid);
	}
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kuint(&j, "version", 1);
		json_kstr(&j, "kem", dot_suite_name(DOT_SUITE_XWING));
		json_kstr(&j, "aead", dot_suite_name(DOT_SUITE_CHACHA20POLY1305));
		json_kuint(&j, "flags", info->flags);
		json_kbool(&j, "anonymous", anon);
		json_kuint(&j, "recipients", info->nrecipients);
		json_key(&j, "key_ids");
		json_arr_begin(&j);
		for (size_t i = 0; !anon && i < info->nrecipients; i++)
			json_hex(&j, info->kid[i], DOT_SEAL_KID_LEN);
		json_arr_end(&j);
		json_kuint(&j, "payload_bytes", info->payload_len);
		json_kuint(&j, "sealed_bytes", n);
		json_khex(&j, "binding_fingerprint", info->fp, DOT_SEAL_FP_LEN);
		json_kstr(&j, "binding", binding);
		json_kbool(&j, "binding_matches", matches);
		if (key != NULL) {
			json_key(&j, "key_recipient");
			if (anon)
				json_null(&j); /* cannot tell */
			else if (!matches || at < 0)
				json_bool(&j, 0);
			else
				json_uint(&j, (uint64_t)at);
		}
		json_obj_end(&j);
		json_finish(&j);
		return DOT_OK;
	}
	cli_hex(hex, info->fp, DOT_SEAL_FP_LEN);
	printf("sealed payload: %s, %zu bytes\n"
	       "format:     dot-seal version 1, x-wing, chacha20-poly1305\n"
	       "flags:      %s\n"
	       "recipients: %zu\n",
	       in_name(in), n, anon ? "anonymous (no key ids)" : "none",
	       info->nrecipients);
	for (size_t i = 0; !anon && i < info->nrecipients; i++) {
		cli_hex(hex, info->kid[i], DOT_SEAL_KID_LEN);
		printf("  %2zu  key id %s\n", i, hex);
	}
	cli_hex(hex, info->fp, DOT_SEAL_FP_LEN);
	printf("payload:    %zu bytes\n"
	       "binding:    fingerprint %s: %s \"%s\"\n",
	       info->payload_len, hex,
	       matches ? "matches" : "does not match", binding);
	if (key != NULL) {
		if (anon)
			printf("key:        %s: anonymous payload, only opening "
			       "tells\n",
			       path);
		else if (matches && at >= 0)
			printf("key:        %s is recipient %ld\n", path, at);
		else
			printf("key:        %s is not a recipient%s\n", path,
			       matches ? "" : " (under this binding)");
	}
	return DOT_OK;
}

int
cmd_open(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"bind", required_argument, NULL, OPT_BIND},
		{"output", required_argument, NULL, 'o'},
		{"info", no_argument, NULL, OPT_INFO},
		{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *in = "-", *binding = SEAL_FILE_BINDING;
	const char *key = NULL, *passfile = NULL;
	uint8_t fp[DOT_SEAL_FP_LEN], kid[DOT_SEAL_KID_LEN];
	uint8_t pk[DOT_KEYFILE_PK_MAX], *sk = NULL, *plain = NULL;
	struct dot_buf sealed = {0};
	struct dot_seal_info info;
	struct dot_err e = {0};
	size_t pklen, outlen = 0, cap = 0;
	int c, rv, info_only = 0, status = DOT_EXIT_FAIL;
	char path[4096];
	struct json j;

	(void)self;
	while ((c = getopt_long(argc, argv, ":k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key = optarg; break;
		case OPT_BIND:
			if ((rv = bind_arg(optarg)) != 0)
				return rv;
			binding = optarg;
			break;
		case 'o': out = optarg; break;
		case OPT_INFO: info_only = 1; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_JSON: cli_set_json(1); break;
		case 'h': return cli_help(open_help);
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (argc - optind == 1)
		in = argv[optind];
	if (info_only && out != NULL)
		return cli_usage("--info prints the header; it takes no -o");
	if (!info_only && key == NULL)
		return cli_usage("give the key to open with: --key KEY");
	if (!info_only && cli_json() && to_stdout(out))
		return cli_usage("--json needs -o OUT: the opened bytes would "
				 "go to standard output with the JSON");
	if (!info_only && passfile != NULL && strcmp(passfile, "-") == 0 &&
	    strcmp(in, "-") == 0)
		return cli_usage("--passphrase-file - and the sealed input "
				 "cannot both be standard input");

	/* The structure first: no key, no passphrase for a file that is
	 * not one (docs/seal-format.md §4). */
	rv = cli_read_file(in, SEALED_MAX, &sealed, &e);
	if (rv != DOT_OK && rv != DOT_ETOOBIG)
		goto fail;
	rv = dot_seal_parse(sealed.data ? sealed.data : (const uint8_t *)"",
			    sealed.len, &info, &e);
	if (rv == DOT_OK && sealed.len > SEALED_MAX) /* cannot happen */
		rv = dot_err_set(&e, DOT_ESEAL_FORMAT, "larger than any");
	if (rv != DOT_OK) {
		cli_err_prefix(&e, rv, "%s", in_name(in));
		goto fail;
	}
	if (info_only) {
		if (open_info(in, sealed.len, &info, binding, key, &e) !=
		    DOT_OK)
			goto fail;
		status = DOT_EXIT_OK;
		goto out;
	}

	/* The key's kind, the binding and the key id, still without the
	 * passphrase (the same checks dot_seal_open makes, in its order). */
	if (cli_key_public_any(key, pk, &pklen, path, sizeof(path), &e) !=
		    DOT_OK ||
	    xwing_key(pk, path,
		      ": open with the key the payload was sealed to, made by "
		      "'dot key new NAME --kind seal'",
		      &e) != DOT_OK)
		goto fail;
	binding_fp(fp, binding);
	if (memcmp(fp, info.fp, DOT_SEAL_FP_LEN) != 0) {
		dot_err_set(&e, DOT_ESEAL_BINDING,
			    "%s was sealed under another binding than \"%s\": "
			    "give the one it was sealed with (--bind TEXT; "
			    "files sealed without --bind use \"%s\")",
			    in_name(in), binding, SEAL_FILE_BINDING);
		goto fail;
	}
	if (!(info.flags & DOT_SEAL_ANONYMOUS)) {
		if (binding_kid(kid, pk, binding, &e) != DOT_OK)
			goto fail;
		if (find_kid(&info, kid) < 0) {
			dot_err_set(&e, DOT_ESEAL_NOT_RECIPIENT,
				    "%s is not sealed to the key in %s (its "
				    "%zu recipient%s: 'dot open --info' lists "
				    "their key ids)",
				    in_name(in), path, info.nrecipients,
				    info.nrecipients == 1 ? "" : "s");
			goto fail;
		}
	}

	sk = sodium_malloc(DOT_XWING_SK_LEN);
	if (sk == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		goto fail;
	}
	if (cli_key_open_xwing(key, passfile, sk, &e) != DOT_OK)
		goto fail;
	cap = info.payload_len;
	plain = malloc(cap ? cap : 1);
	if (plain == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		goto fail;
	}
	rv = dot_seal_open(plain, cap, &outlen, sealed.data, sealed.len, sk,
			   DOT_XWING_SK_LEN, (const uint8_t *)binding,
			   strlen(binding), &e);
	if (rv == DOT_ESEAL_OPEN) {
		char ctx[sizeof(e.msg)];

		snprintf(ctx, sizeof(ctx), "%s", e.msg);
		dot_err_set(&e, rv,
			    "%s: %s: it was altered or damaged, or not made "
			    "for this key",
			    in_name(in), ctx);
		goto fail;
	}
	if (rv != DOT_OK) {
		cli_err_prefix(&e, rv, "%s", in_name(in));
		goto fail;
	}
	if (write_out(out, plain, outlen, &e) != DOT_OK)
		goto fail;
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kuint(&j, "bytes", outlen);
		json_kuint(&j, "recipients", info.nrecipients);
		json_kbool(&j, "anonymous",
			   (info.flags & DOT_SEAL_ANONYMOUS) != 0);
		json_kstr(&j, "output", out);
		json_obj_end(&j);
		json_finish(&j);
	}
	status = DOT_EXIT_OK;
	goto out;
fail:
	status = cli_fail(&e);
out:
	if (sk != NULL)
		sodium_free(sk); /* zeroes */
	if (plain != NULL) {
		sodium_memzero(plain, cap);
		free(plain);
	}
	dot_buf_free(&sealed);
	return status;
}
