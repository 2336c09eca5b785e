/*
 * cmd_key.c - dot key new | show | list: keys in key files
 * (docs/key-file.md). A key file holds the seed encrypted under an
 * Argon2id key of a passphrase, and the public key in clear. A key is of
 * one kind: "sign" (the composite ML-DSA-65 + Ed25519 by default, or
 * Ed25519; for tokens, txs and channels) or "seal"
 * (X-Wing, for dot seal / dot open, cmd_seal.c); its public key's suite
 * byte says which.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/xwing.h"
#include "dot.h"

/* "seal" for an X-Wing key, else "sign". */
static const char *
key_kind(const uint8_t *pk)
{
	return pk[0] == DOT_SUITE_XWING ? "seal" : "sign";
}

static void
print_key(const char *verb, const uint8_t *pk, size_t pklen,
	  const char *path)
{
	char text[DOT_PK_TEXT_MAX], id[2 * DOT_KEY_ID_LEN + 1];
	const char *suite = dot_suite_name(pk[0]);
	struct json j;

	cli_pk_text(pk, pklen, text);
	cli_key_id_hex(pk, pklen, id);
	if (!cli_json()) {
		if (verb != NULL) {
			puts(text); /* one line: easy to capture in scripts */
			return;
		}
		printf("public key: %s\nkey id:     %s\nsuite:      %s\n"
		       "kind:       %s\nfile:       %s\n",
		       text, id, suite ? suite : "unknown", key_kind(pk),
		       path);
		return;
	}
	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kstr(&j, "public_key", text);
	json_kstr(&j, "key_id", id);
	json_kstr(&j, "suite", suite);
	json_kstr(&j, "kind", key_kind(pk));
	json_kstr(&j, "file", path);
	json_obj_end(&j);
	json_finish(&j);
}

/* ---- dot key new ---- */

static const char new_help[] =
	"Creates a fresh key from the system's random source and writes it to\n"
	"FILE or to $DOT_DIR/keys/NAME.key (NAME defaults to \"default\"),\n"
	"sealed with an Argon2id key of a passphrase, mode 0600. Prints the\n"
	"public key (dotpk1...).\n"
	"\n"
	"A key is of one kind, and commands of the other kind refuse it:\n"
	"  sign  a signing key (the default): tokens, txs, channels\n"
	"  seal  an X-Wing key (X25519 + ML-KEM-768) that others seal files\n"
	"        to with 'dot seal -r', and that opens them with 'dot open'\n"
	"\n"
	"A signing key is of one suite (docs/crypto.md §1, §13.6):\n"
	"  ed25519+ml-dsa-65  the composite ML-DSA-65 + Ed25519 (the default):\n"
	"                     what a cluster of the hybrid policy requires\n"
	"  ed25519            Ed25519 alone, for a cluster of the classic\n"
	"                     policy or a holder under classic attenuation\n"
	"\n"
	"Options:\n"
	"      --kind sign|seal     the kind of key (default sign)\n"
	"      --suite S            a signing key's suite: ed25519+ml-dsa-65\n"
	"                           (default) or ed25519\n"
	"  -o, --output FILE        write the key file to FILE\n"
	"  -f, --force              replace an existing key file\n"
	"      --passphrase-file F  read the passphrase from the first line "
	"of F\n"
	"      --json               print {public_key, key_id, suite, kind, "
	"file}\n"
	"  -h, --help               this help\n"
	"\n"
	"The passphrase comes from --passphrase-file, else DOT_PASSPHRASE,\n"
	"else it is asked twice on the terminal.\n";

enum {
	OPT_PASSFILE = 256,
	OPT_JSON,
	OPT_KDF_OPS,
	OPT_KDF_MEM,
	OPT_KIND,
	OPT_SUITE
};

int
cmd_key_new(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
		{"json", no_argument, NULL, OPT_JSON},
		{"kdf-ops", required_argument, NULL, OPT_KDF_OPS}, /* hidden */
		{"kdf-mem-kib", required_argument, NULL, OPT_KDF_MEM},
		{"kind", required_argument, NULL, OPT_KIND},
		{"suite", required_argument, NULL, OPT_SUITE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *passfile = NULL, *name = "default", *fast;
	uint64_t ops = DOT_KEYFILE_OPS_DEFAULT, mem = DOT_KEYFILE_MEM_DEFAULT;
	int force = 0, c, rv, fd = -1, status = DOT_EXIT_FAIL, xwing = 0;
	uint8_t suite = DOT_SUITE_ED25519_MLDSA65;
	const char *suite_arg = NULL;
	struct dot_buf text = {0};
	struct dot_sign_sk *sk = NULL;
	struct dot_err e = {0};
	uint8_t *seed = NULL, salt[DOT_KDF_SALT_LEN],
		nonce[DOT_AEAD_NONCE_LEN], pk[DOT_KEYFILE_PK_MAX];
	char dir[4000], path[4096], *pass = NULL;
	size_t passlen = 0, pklen;
	struct stat st;
	uint64_t v;
	int n;

	(void)self;
	fast = getenv("DOT_KDF_FAST");
	if (fast != NULL && strcmp(fast, "1") == 0) {
		ops = 1;
		mem = 8u << 20;
	}
	while ((c = getopt_long(argc, argv, ":o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = 1; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_JSON: cli_set_json(1); break;
		case OPT_SUITE:
			suite_arg = optarg;
			if (dot_suite_parse(optarg, &suite) != DOT_OK ||
			    (suite != DOT_SUITE_ED25519 &&
			     suite != DOT_SUITE_ED25519_MLDSA65))
				return cli_usage("--suite must be "
						 "ed25519+ml-dsa-65 (the "
						 "composite, the default) or "
						 "ed25519");
			break;
		case OPT_KIND:
			if (strcmp(optarg, "sign") == 0)
				xwing = 0;
			else if (strcmp(optarg, "seal") == 0)
				xwing = 1;
			else
				return cli_usage("--kind must be sign (a "
						 "signing key) or seal "
						 "(an X-Wing key for dot "
						 "seal)");
			break;
		case OPT_KDF_OPS:
			if (cli_parse_u64(optarg, 1, 32, &ops) != 0)
				return cli_usage("--kdf-ops must be 1-32");
			break;
		case OPT_KDF_MEM:
			if (cli_parse_u64(optarg, 8, 1u << 20, &v) != 0)
				return cli_usage("--kdf-mem-kib must be "
						 "8-1048576");
			mem = v * 1024;
			break;
		case 'h': return cli_help(new_help);
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (xwing && suite_arg != NULL)
		return cli_usage("--suite is for signing keys: a seal key is "
				 "X-Wing");
	if (argc - optind == 1) {
		if (out != NULL)
			return cli_usage("give a NAME or -o FILE, not both");
		name = argv[optind];
		if (!cli_key_name_valid(name))
			return cli_usage("bad key name '%s': use letters, "
					 "digits, '_', '-' and '.' (or -o FILE "
					 "for a path)",
					 name);
	}

	if (out != NULL) {
		n = snprintf(path, sizeof(path), "%s", out);
	} else {
		if (cli_dot_dir(dir, sizeof(dir), &e) != DOT_OK)
			goto fail;
		n = snprintf(path, sizeof(path), "%s/keys", dir);
		if (n > 0 && (size_t)n < sizeof(path) &&
		    cli_mkdirs(path, &e) != DOT_OK)
			goto fail;
		n = snprintf(path, sizeof(path), "%s/keys/%s.key", dir, name);
	}
	if (n < 0 || (size_t)n >= sizeof(path)) {
		dot_err_set(&e, DOT_ETOOBIG, "key file path is too long");
		goto fail;
	}
	/* Refuse early, before asking for a passphrase. */
	if (!force && lstat(path, &st) == 0) {
		dot_err_set(&e, DOT_EINVAL,
			    "%s already exists: choose another name, or use "
			    "--force to replace it (the old key is lost)",
			    path);
		goto fail;
	}

	rv = cli_passphrase(passfile, "New passphrase: ", 1, &pass, &passlen,
			    &e);
	if (rv != DOT_OK)
		goto fail;
	if (passlen == 0) {
		dot_err_set(&e, DOT_EINVAL,
			    "empty passphrase: a key file needs one");
		goto fail;
	}

	seed = sodium_malloc(DOT_SEED_LEN);
	if (seed == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		goto fail;
	}
	randombytes_buf(seed, DOT_SEED_LEN);
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if (xwing) {
		/* draft-connolly-cfrg-xwing-kem §5.2: sk = random(32). */
		pk[0] = DOT_SUITE_XWING;
		dot_xwing_keypair_derand(pk + 1, seed);
		pklen = 1 + DOT_XWING_PK_LEN;
		rv = dot_keyfile_seal_xwing(seed, pass, passlen, salt, nonce,
					    ops, (size_t)mem, &text);
	} else {
		rv = dot_sign_sk_from_seed(&sk, suite, seed);
		if (rv != DOT_OK) {
			dot_err_set(&e, rv, "cannot derive the key: %s",
				    dot_strerror(rv));
			goto fail;
		}
		rv = dot_keyfile_seal(sk, pass, passlen, salt, nonce, ops,
				      (size_t)mem, &text);
		pklen = dot_sign_sk_public(sk, pk);
	}
	if (rv != DOT_OK) {
		dot_err_set(&e, rv, "cannot seal the key: %s",
			    dot_strerror(rv));
		goto fail;
	}

	if (force) {
		if (cli_write_file(path, text.data, text.len, &e) != DOT_OK)
			goto fail;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC,
			  0600);
		if (fd < 0) {
			dot_err_set(&e, DOT_EINVAL, "cannot create %s: %s%s",
				    path, strerror(errno),
				    errno == EEXIST ? " (use --force to "
						      "replace it)"
						    : "");
			goto fail;
		}
		if (write(fd, text.data, text.len) != (ssize_t)text.len ||
		    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
			dot_err_set(&e, DOT_EINVAL, "cannot write %s: %s",
				    path, strerror(errno));
			close(fd);
			fd = -1;
			unlink(path);
			goto fail;
		}
		if (close(fd) != 0) {
			fd = -1;
			dot_err_set(&e, DOT_EINVAL, "cannot write %s: %s",
				    path, strerror(errno));
			unlink(path);
			goto fail;
		}
		fd = -1;
	}
	print_key("new", pk, pklen, path);
	status = DOT_EXIT_OK;
	goto out;
fail:
	status = cli_fail(&e);
out:
	if (seed != NULL)
		sodium_free(seed); /* zeroes */
	sodium_memzero(salt, sizeof(salt));
	sodium_memzero(nonce, sizeof(nonce));
	cli_pass_free(pass);
	dot_sign_sk_free(sk);
	dot_buf_free(&text);
	return status;
}

/* ---- dot key show ---- */

static const char show_help[] =
	"Prints the public key, key id, suite, kind (sign or seal) and file\n"
	"of a key file. Needs no passphrase: the public key is stored in\n"
	"clear. The public key of a seal key is what 'dot seal -r' takes.\n"
	"\n"
	"The argument is a key NAME ($DOT_DIR/keys/NAME.key) or a FILE;\n"
	"without one, the key named \"default\".\n"
	"\n"
	"Options:\n"
	"      --json   print {public_key, key_id, suite, kind, file}\n"
	"  -h, --help   this help\n";

int
cmd_key_show(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint8_t pk[DOT_KEYFILE_PK_MAX];
	struct dot_err e = {0};
	char path[4096];
	size_t pklen;
	int c;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli_set_json(1); break;
		case 'h': return cli_help(show_help);
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (cli_key_public_any(argc - optind == 1 ? argv[optind] : "default",
			       pk, &pklen, path, sizeof(path), &e) != DOT_OK)
		return cli_fail(&e);
	print_key(NULL, pk, pklen, path);
	return DOT_EXIT_OK;
}

/* ---- dot key list ---- */

static const char list_help[] =
	"Lists the key files in $DOT_DIR/keys: name, kind (sign or seal), key\n"
	"id and public key.\n"
	"\n"
	"Options:\n"
	"      --json   print an array of {name, public_key, key_id, suite, "
	"kind, file}\n"
	"  -h, --help   this help\n";

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cmd_key_list(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char dir[4000], keys[4096], path[4096], text[DOT_PK_TEXT_MAX];
	char id[2 * DOT_KEY_ID_LEN + 1], **names = NULL;
	size_t nnames = 0, pklen, len;
	uint8_t pk[DOT_KEYFILE_PK_MAX];
	struct dot_err e = {0};
	struct dirent *de;
	struct json j;
	DIR *d = NULL;
	int c, status = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli_set_json(1); break;
		case 'h': return cli_help(list_help);
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind > 0)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (cli_dot_dir(dir, sizeof(dir), &e) != DOT_OK)
		return cli_fail(&e);
	if (snprintf(keys, sizeof(keys), "%s/keys", dir) >= (int)sizeof(keys)) {
		dot_err_set(&e, DOT_ETOOBIG, "DOT_DIR path is too long");
		return cli_fail(&e);
	}
	d = opendir(keys);
	if (d == NULL && errno != ENOENT) {
		dot_err_set(&e, DOT_EINVAL, "cannot read %s: %s", keys,
			    strerror(errno));
		return cli_fail(&e);
	}
	while (d != NULL && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".key") != 0 ||
		    de->d_name[0] == '.')
			continue;
		char **grown = realloc(names, (nnames + 1) * sizeof(*names));
		if (grown == NULL)
			goto nomem;
		names = grown;
		names[nnames] = strndup(de->d_name, len - 4);
		if (names[nnames] == NULL)
			goto nomem;
		nnames++;
	}
	if (nnames > 0)
		qsort(names, nnames, sizeof(*names), cmp_str);
	if (cli_json()) {
		json_init(&j, stdout);
		json_arr_begin(&j);
	}
	for (size_t i = 0; i < nnames; i++) {
		int k = snprintf(path, sizeof(path), "%s/%s.key", keys,
				 names[i]);
		if (k < 0 || (size_t)k >= sizeof(path))
			continue;
		if (cli_key_public_any(path, pk, &pklen, NULL, 0, &e) !=
		    DOT_OK) {
			cli_warn("%s", e.msg);
			continue;
		}
		cli_pk_text(pk, pklen, text);
		cli_key_id_hex(pk, pklen, id);
		if (!cli_json()) {
			printf("%-16s %s %s %s\n", names[i], key_kind(pk), id,
			       text);
			continue;
		}
		json_obj_begin(&j);
		json_kstr(&j, "name", names[i]);
		json_kstr(&j, "public_key", text);
		json_kstr(&j, "key_id", id);
		json_kstr(&j, "suite", dot_suite_name(pk[0]));
		json_kstr(&j, "kind", key_kind(pk));
		json_kstr(&j, "file", path);
		json_obj_end(&j);
	}
	if (cli_json()) {
		json_arr_end(&j);
		json_finish(&j);
	}
	status = DOT_EXIT_OK;
	goto out;
nomem:
	dot_err_set(&e, DOT_ENOMEM, "out of memory");
	status = cli_fail(&e);
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	return status;
}
