/*
 * cmd_fs.c - dot fs ls | cat | put | append | mkdir | mv | rm | stat |
 * chown | policy: files and directories on a node. Writes are signed
 * transactions answered with a receipt; reads are signed queries
 * (docs/state-model.md, include/doteros/state.h for each op's arguments).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/codec.h"
#include "doteros/state.h"
#include "dot.h"

/* What one fs command was given. */
struct fs_args {
	struct cli_auth auth;
	const char *expect; /* --expect-version N */
	uint64_t version;
	char **pos; /* positional arguments */
	int npos;
};

/*
 * Parse the shared options. Returns -1 to go on, else the exit status to
 * return at once (help, usage error). npos_min..npos_max positionals.
 */
static int
fs_parse(struct fs_args *a, int argc, char **argv, const char *help,
	 int npos_min, int npos_max, const char *missing, int expect_ok)
{
	static const struct option opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"expect-version", required_argument, NULL, CLI_OPT_EXPECT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, k;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&a->auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case CLI_OPT_EXPECT:
			if (!expect_ok)
				return cli_usage("--expect-version applies to "
						 "put, append, mv and rm");
			a->expect = optarg;
			if (cli_parse_u64(optarg, 1, INT64_MAX, &a->version) !=
			    0)
				return cli_usage("--expect-version '%s': give "
						 "a version number (see 'dot "
						 "fs stat')",
						 optarg);
			break;
		case 'h':
			cli_help(help);
			if (expect_ok)
				fputs("      --expect-version N  only if the "
				      "object is still at version N (else\n"
				      "                          a conflict, "
				      "DOT_ESTATE_CONFLICT); its id is\n"
				      "                          looked up "
				      "first, which needs the read right\n",
				      stdout);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		default:
			return cli_badopt(c, argv);
		}
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	if (a->npos < npos_min)
		return cli_usage("missing %s", missing);
	if (a->npos > npos_max)
		return cli_usage("unexpected argument '%s'", a->pos[npos_max]);
	if ((k = cli_auth_check(&a->auth)) != 0)
		return k;
	return -1;
}

/*
 * Submit op with args as the authority of a, consuming the version of
 * expect_path when --expect-version was given; report the receipt.
 */
static int
fs_submit(struct fs_args *a, const char *op, const char *target,
	  const struct dot_buf *args, const char *expect_path)
{
	struct cli_session s;
	struct dot_receipt *r = NULL;
	struct dot_tx_objver cv;
	struct dot_err e = {0};
	size_t ncv = 0;
	int status;

	if (args->err) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		return cli_fail(&e);
	}
	if (cli_session_open(&s, &a->auth, &e) != DOT_OK)
		goto fail;
	if (a->expect != NULL) {
		if (cli_session_expect(&s, expect_path, a->version, &cv, &e) !=
		    DOT_OK)
			goto fail;
		ncv = 1;
	}
	if (cli_session_submit(&s, op, args, &cv, ncv, &r, &e) != DOT_OK)
		goto fail;
	status = cli_receipt_report(op, target, r, NULL, NULL);
	goto out;
fail:
	status = cli_session_fail(&s, &e);
out:
	dot_receipt_free(r);
	cli_session_close(&s);
	return status;
}

static void
args_path(struct dot_buf *b, const char *path)
{
	dot_enc_map(b, 1);
	dot_enc_uint(b, 1);
	dot_enc_tstr(b, path, strlen(path));
}

/* ---- dot fs put / append ---- */

static const char put_help[] =
    "Creates the file PATH, or replaces its content, with the bytes of\n"
    "FILE (default: standard input; '-' too). Its directory must exist.\n"
    "Right: create (new file) or write (existing). One transaction\n"
    "carries at most about 1 MiB: for more, put the first part and\n"
    "append the rest.\n"
    "\n"
    "Options:\n";

static const char append_help[] =
    "Appends the bytes of FILE (default: standard input; '-' too) to the\n"
    "existing file PATH (a missing one is DOT_ESTATE_NOT_FOUND: make it\n"
    "with dot fs put). Right: append.\n"
    "\n"
    "Options:\n";

static int
put_or_append(const char *op, const char *help, int argc, char **argv)
{
	struct fs_args a;
	struct dot_buf data = {0}, args = {0};
	struct dot_err e = {0};
	const char *path, *file;
	int status;

	if ((status = fs_parse(&a, argc, argv, help, 1, 2, "PATH", 1)) >= 0)
		return status;
	path = a.pos[0];
	file = a.npos > 1 ? a.pos[1] : "-";
	if (cli_path_arg("PATH", path))
		return DOT_EXIT_USAGE;
	if (cli_read_file(file, DOT_TX_MAX_ARGS, &data, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	dot_enc_map(&args, 2);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, path, strlen(path));
	dot_enc_uint(&args, 2);
	dot_enc_bstr(&args, data.data, data.len);
	if (args.len > DOT_TX_MAX_ARGS) {
		dot_err_set(&e, DOT_ETOOBIG,
			    "%s is %zu bytes: one transaction carries at most "
			    "about %u; put the first part, then 'dot fs "
			    "append' the rest",
			    strcmp(file, "-") == 0 ? "stdin" : file, data.len,
			    DOT_TX_MAX_ARGS - 2048);
		status = cli_fail(&e);
		goto out;
	}
	status = fs_submit(&a, op, path, &args, path);
out:
	dot_buf_free(&data);
	dot_buf_free(&args);
	return status;
}

int
cmd_fs_put(const struct dot_cmd *self, int argc, char **argv)
{
	(void)self;
	return put_or_append("fs.put", put_help, argc, argv);
}

int
cmd_fs_append(const struct dot_cmd *self, int argc, char **argv)
{
	(void)self;
	return put_or_append("fs.append", append_help, argc, argv);
}

/* ---- dot fs mkdir / rm ---- */

static const char mkdir_help[] =
    "Creates the directory PATH; its parent must exist. Right: create.\n"
    "The new directory belongs to the account acting (or, with a token,\n"
    "to the token's issuer account).\n"
    "\n"
    "Options:\n";

static const char rm_help[] =
    "Removes PATH: a file, an empty directory or an empty mailbox.\n"
    "Right: delete.\n"
    "\n"
    "Options:\n";

static int
one_path(const char *op, const char *help, int expect_ok, int argc, char **argv)
{
	struct fs_args a;
	struct dot_buf args = {0};
	int status;

	if ((status =
		 fs_parse(&a, argc, argv, help, 1, 1, "PATH", expect_ok)) >= 0)
		return status;
	if (cli_path_arg("PATH", a.pos[0]))
		return DOT_EXIT_USAGE;
	args_path(&args, a.pos[0]);
	status = fs_submit(&a, op, a.pos[0], &args, a.pos[0]);
	dot_buf_free(&args);
	return status;
}

int
cmd_fs_mkdir(const struct dot_cmd *self, int argc, char **argv)
{
	(void)self;
	return one_path("fs.mkdir", mkdir_help, 0, argc, argv);
}

int
cmd_fs_rm(const struct dot_cmd *self, int argc, char **argv)
{
	(void)self;
	return one_path("fs.rm", rm_help, 1, argc, argv);
}

/* ---- dot fs mv ---- */

static const char mv_help[] =
    "Moves FROM (a file, directory with everything in it, or mailbox) to\n"
    "TO, which must not exist and whose parent directory must. Rights:\n"
    "delete on FROM and create on TO. --expect-version names FROM's\n"
    "version.\n"
    "\n"
    "Options:\n";

int
cmd_fs_mv(const struct dot_cmd *self, int argc, char **argv)
{
	struct fs_args a;
	struct dot_buf args = {0};
	char target[2 * DOT_TOKEN_MAX_PATH + 8];
	int status;

	(void)self;
	if ((status = fs_parse(&a, argc, argv, mv_help, 2, 2, "FROM and TO",
			       1)) >= 0)
		return status;
	if (cli_path_arg("FROM", a.pos[0]) || cli_path_arg("TO", a.pos[1]))
		return DOT_EXIT_USAGE;
	dot_enc_map(&args, 2);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, a.pos[0], strlen(a.pos[0]));
	dot_enc_uint(&args, 2);
	dot_enc_tstr(&args, a.pos[1], strlen(a.pos[1]));
	snprintf(target, sizeof(target), "%s -> %s", a.pos[0], a.pos[1]);
	status = fs_submit(&a, "fs.mv", target, &args, a.pos[0]);
	dot_buf_free(&args);
	return status;
}

/* ---- dot fs chown / policy ---- */

static const char chown_help[] =
    "Hands PATH to ACCOUNT, an existing account: it becomes the owner,\n"
    "with authority over PATH and everything under it. Right: admin on\n"
    "PATH (the owner of PATH or of a directory above it).\n"
    "\n"
    "Options:\n";

int
cmd_fs_chown(const struct dot_cmd *self, int argc, char **argv)
{
	struct fs_args a;
	struct dot_buf args = {0};
	const char *acct;
	int status;

	(void)self;
	if ((status = fs_parse(&a, argc, argv, chown_help, 2, 2,
			       "PATH and ACCOUNT", 0)) >= 0)
		return status;
	if (cli_path_arg("PATH", a.pos[0]))
		return DOT_EXIT_USAGE;
	acct = a.pos[1];
	if (acct[0] == '\0' || strlen(acct) > DOT_TX_MAX_ACCOUNT ||
	    strspn(acct, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
		strlen(acct))
		return cli_usage("ACCOUNT '%s': an account name is 1-%d of "
				 "a-z, 0-9, '.', '_' and '-'",
				 acct, DOT_TX_MAX_ACCOUNT);
	dot_enc_map(&args, 2);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, a.pos[0], strlen(a.pos[0]));
	dot_enc_uint(&args, 2);
	dot_enc_tstr(&args, acct, strlen(acct));
	status = fs_submit(&a, "fs.chown", a.pos[0], &args, a.pos[0]);
	dot_buf_free(&args);
	return status;
}

static const char policy_help[] =
    "Sets the policy of PATH: 'record-reads' has every read of it\n"
    "(fs cat, stat, ls) recorded in the ledger as a read receipt; 'none'\n"
    "clears it. Right: admin on PATH.\n"
    "\n"
    "Options:\n";

int
cmd_fs_policy(const struct dot_cmd *self, int argc, char **argv)
{
	struct fs_args a;
	struct dot_buf args = {0};
	uint64_t policy;
	int status;

	(void)self;
	if ((status = fs_parse(&a, argc, argv, policy_help, 2, 2,
			       "PATH and POLICY (record-reads or none)", 0)) >=
	    0)
		return status;
	if (cli_path_arg("PATH", a.pos[0]))
		return DOT_EXIT_USAGE;
	if (strcmp(a.pos[1], "record-reads") == 0)
		policy = DOT_POLICY_RECORD_READS;
	else if (strcmp(a.pos[1], "none") == 0)
		policy = 0;
	else
		return cli_usage("POLICY '%s': give record-reads or none",
				 a.pos[1]);
	dot_enc_map(&args, 2);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, a.pos[0], strlen(a.pos[0]));
	dot_enc_uint(&args, 2);
	dot_enc_uint(&args, policy);
	status = fs_submit(&a, "fs.policy", a.pos[0], &args, a.pos[0]);
	dot_buf_free(&args);
	return status;
}

/* ---- reads: dot fs cat / stat / ls ---- */

/* Run a signed read; the answer's decoder in *d (over ans). */
static int
fs_query(struct fs_args *a, struct cli_session *s, const char *op,
	 const char *path, struct dot_buf *ans, struct dot_dec *d)
{
	struct dot_err e = {0};

	if (cli_session_open(s, &a->auth, &e) != DOT_OK ||
	    cli_session_query(s, op, path, ans, &e) != DOT_OK)
		return cli_session_fail(s, &e);
	if (dot_dec_init(d, ans->data, ans->len, NULL, NULL) != DOT_OK) {
		dot_err_set(&e, DOT_EAPI_FORMAT, "bad answer to %s", op);
		return cli_fail(&e);
	}
	return DOT_EXIT_OK;
}

static const char cat_help[] =
    "Writes the content of the file PATH to standard output, byte for\n"
    "byte. Right: read. With --json, prints {ok, path, size,\n"
    "content_base64} instead.\n"
    "\n"
    "Options:\n";

int
cmd_fs_cat(const struct dot_cmd *self, int argc, char **argv)
{
	struct fs_args a;
	struct cli_session s;
	struct dot_buf ans = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	const uint8_t *p;
	size_t n;
	char *b64 = NULL;
	struct json j;
	int status;

	(void)self;
	memset(&s, 0, sizeof(s));
	s.node.fd = -1;
	if ((status = fs_parse(&a, argc, argv, cat_help, 1, 1, "PATH", 0)) >= 0)
		return status;
	if (cli_path_arg("PATH", a.pos[0]))
		return DOT_EXIT_USAGE;
	if ((status = fs_query(&a, &s, "fs.get", a.pos[0], &ans, &d)) != 0)
		goto out;
	if (dot_dec_bstr(&d, &p, &n) != DOT_OK) {
		dot_err_set(&e, DOT_EAPI_FORMAT,
			    "the node's answer to fs.get is not bytes");
		status = cli_fail(&e);
		goto out;
	}
	if (!cli_json()) {
		if (n > 0 && fwrite(p, 1, n, stdout) != n) {
			dot_err_set(&e, DOT_EINVAL, "cannot write stdout");
			status = cli_fail(&e);
		} else if (fflush(stdout) != 0) {
			dot_err_set(&e, DOT_EINVAL, "cannot write stdout");
			status = cli_fail(&e);
		}
		goto out;
	}
	b64 = malloc(
	    sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL));
	if (b64 == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		status = cli_fail(&e);
		goto out;
	}
	sodium_bin2base64(
	    b64, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL),
	    p, n, sodium_base64_VARIANT_ORIGINAL);
	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kbool(&j, "ok", 1);
	json_kstr(&j, "path", a.pos[0]);
	json_kuint(&j, "size", n);
	json_kstr(&j, "content_base64", b64);
	json_obj_end(&j);
	json_finish(&j);
out:
	free(b64);
	dot_buf_free(&ans);
	cli_session_close(&s);
	return status;
}

static const char *
policy_name(uint64_t p)
{
	return p == 0			      ? "none"
	       : p == DOT_POLICY_RECORD_READS ? "record-reads"
					      : "unknown";
}

static void
json_stat(struct json *j, const struct cli_stat *st)
{
	json_khex(j, "id", st->id, DOT_OBJECT_ID_LEN);
	json_kstr(j, "kind", cli_kind_name(st->kind));
	json_kuint(j, "version", st->version);
	json_kuint(j, "size", st->size);
	json_kstr(j, "owner", st->owner);
	json_kuint(j, "created", st->created);
	json_kuint(j, "modified", st->modified);
	json_kstr(j, "policy", policy_name(st->policy));
}

static const char stat_help[] =
    "Shows the object at PATH: its id, kind (dir, file, mailbox), current\n"
    "version (what --expect-version names), size (bytes; entries for a\n"
    "directory, messages for a mailbox), owner account, the ledger\n"
    "indexes that created and last modified it, and its policy.\n"
    "Right: read.\n"
    "\n"
    "Options:\n";

int
cmd_fs_stat(const struct dot_cmd *self, int argc, char **argv)
{
	struct fs_args a;
	struct cli_session s;
	struct cli_stat st;
	struct dot_buf ans = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	char id[2 * DOT_OBJECT_ID_LEN + 1];
	struct json j;
	int status;

	(void)self;
	memset(&s, 0, sizeof(s));
	s.node.fd = -1;
	if ((status = fs_parse(&a, argc, argv, stat_help, 1, 1, "PATH", 0)) >=
	    0)
		return status;
	if (cli_path_arg("PATH", a.pos[0]))
		return DOT_EXIT_USAGE;
	if ((status = fs_query(&a, &s, "fs.stat", a.pos[0], &ans, &d)) != 0)
		goto out;
	if (cli_stat_dec(&d, &st, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "path", a.pos[0]);
		json_stat(&j, &st);
		json_obj_end(&j);
		json_finish(&j);
		goto out;
	}
	cli_hex(id, st.id, DOT_OBJECT_ID_LEN);
	printf("path:     %s\n"
	       "id:       %s\n"
	       "kind:     %s\n"
	       "version:  %" PRIu64 "\n"
	       "size:     %" PRIu64 "\n"
	       "owner:    %s\n"
	       "created:  ledger index %" PRIu64 "\n"
	       "modified: ledger index %" PRIu64 "\n"
	       "policy:   %s\n",
	       a.pos[0], id, cli_kind_name(st.kind), st.version, st.size,
	       st.owner, st.created, st.modified, policy_name(st.policy));
out:
	dot_buf_free(&ans);
	cli_session_close(&s);
	return status;
}

static const char ls_help[] =
    "Lists the directory or mailbox PATH (default /), one entry a line:\n"
    "kind, size, version, owner and name (a message's name is its id).\n"
    "Right: list.\n"
    "\n"
    "Options:\n";

int
cmd_fs_ls(const struct dot_cmd *self, int argc, char **argv)
{
	struct fs_args a;
	struct cli_session s;
	struct cli_stat st;
	struct dot_buf ans = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	const char *path, *name;
	uint64_t count, two;
	size_t nlen;
	char ver[24];
	struct json j;
	int status;

	(void)self;
	memset(&s, 0, sizeof(s));
	s.node.fd = -1;
	if ((status = fs_parse(&a, argc, argv, ls_help, 0, 1, "", 0)) >= 0)
		return status;
	path = a.npos > 0 ? a.pos[0] : "/";
	if (cli_path_arg("PATH", path))
		return DOT_EXIT_USAGE;
	if ((status = fs_query(&a, &s, "fs.ls", path, &ans, &d)) != 0)
		goto out;
	if (dot_dec_array(&d, &count) != DOT_OK)
		goto bad;
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "path", path);
		json_key(&j, "entries");
		json_arr_begin(&j);
	}
	for (uint64_t i = 0; i < count; i++) {
		if (dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
		    dot_dec_tstr(&d, &name, &nlen) != DOT_OK ||
		    cli_stat_dec(&d, &st, &e) != DOT_OK) {
			if (cli_json()) { /* close what was opened */
				json_arr_end(&j);
				json_obj_end(&j);
				json_finish(&j);
			}
			goto bad;
		}
		if (cli_json()) {
			json_obj_begin(&j);
			json_key(&j, "name");
			json_strn(&j, name, nlen);
			json_stat(&j, &st);
			json_obj_end(&j);
			continue;
		}
		snprintf(ver, sizeof(ver), "v%" PRIu64, st.version);
		printf("%-7s %10" PRIu64 " %5s  %-12s %.*s\n",
		       cli_kind_name(st.kind), st.size, ver, st.owner,
		       (int)nlen, name);
	}
	if (cli_json()) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_finish(&j);
	}
	goto out;
bad:
	dot_err_set(&e, DOT_EAPI_FORMAT,
		    "the node's answer to fs.ls is malformed (an array of "
		    "[name, stat] was expected)");
	status = cli_fail(&e);
out:
	dot_buf_free(&ans);
	cli_session_close(&s);
	return status;
}
