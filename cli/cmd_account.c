/*
 * cmd_account.c - dot account create | set-level | set-expiry: accounts
 * and their permission levels (lib/state/account.c). An account has levels
 * (owner, active, or any other name), each a set of weighted keys and a
 * threshold: a tx acting as ACCOUNT@LEVEL needs signers whose weights add
 * up to the threshold. An account may expire (docs/decisions/0015): from
 * its expiry on, nothing it signs applies and the node refuses its keys'
 * channels.
 *
 * dot account show reads an account's levels and expiry with a signed
 * account.get query.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doteros/codec.h"
#include "doteros/state.h"
#include "dot.h"

enum { OPT_PUBKEY = 0x2000, OPT_WEIGHT, OPT_THRESHOLD, OPT_EXPIRES };

struct level_args {
	struct cli_auth auth;
	const char *pubkeys[DOT_STATE_MAX_KEYS];
	size_t npub;
	const char *weights[DOT_STATE_MAX_KEYS];
	size_t nweight;
	const char *threshold;
	const char *expires_arg; /* account create --expires */
	char **pos;
	int npos;
	/* resolved */
	uint8_t pk[DOT_STATE_MAX_KEYS][DOT_SIGN_PK_MAX];
	size_t pklen[DOT_STATE_MAX_KEYS];
	uint64_t w[DOT_STATE_MAX_KEYS];
	uint64_t thr;
	uint64_t expires; /* DOT_STATE_NO_EXPIRY without --expires */
};

static const char keys_help[] =
    "      --pubkey PK         a key of the level: dotpk1..., a key NAME "
    "or FILE\n"
    "                          (repeatable, up to 16)\n"
    "      --weight W          the weight of the --pubkey in the same "
    "position\n"
    "                          (repeatable; default 1 each)\n"
    "      --threshold N       the weight signers must reach (default "
    "1)\n";

static const char expires_help[] =
    "      --expires T         the account expires at T: RFC 3339 UTC\n"
    "                          (2026-11-23T10:00:00Z), @UNIXSECONDS or\n"
    "                          +N{s,m,h,d} from now; default never\n";

/*
 * An expiry argument: the CLI's time syntax (cli_parse_time, as dot cap
 * mint --expires), bounded as the state bounds it; "never" when
 * never_ok. 0, or the usage exit status after the message.
 */
static int
expiry_arg(const char *what, const char *s, int never_ok, uint64_t *out)
{
	struct dot_err e = {0};

	if (never_ok && strcmp(s, "never") == 0) {
		*out = DOT_STATE_NO_EXPIRY;
		return 0;
	}
	if (cli_parse_time(s, cli_now(), out, &e) != DOT_OK)
		return cli_usage("%s: %s%s", what, e.msg,
				 never_ok ? " (or 'never')" : "");
	if (*out > DOT_STATE_MAX_EXPIRY)
		return cli_usage("%s '%s': an expiry is at most @%" PRIu64,
				 what, s, DOT_STATE_MAX_EXPIRY);
	return 0;
}

/* An expiry as JSON: {"unix": N, "utc": "..."}, or null for none. */
static void
json_expiry(struct json *j, uint64_t t)
{
	char iso[40];

	json_key(j, "expires");
	if (t == DOT_STATE_NO_EXPIRY) {
		json_null(j);
		return;
	}
	cli_format_time(t, iso, sizeof(iso));
	json_obj_begin(j);
	json_kuint(j, "unix", t);
	json_kstr(j, "utc", iso);
	json_obj_end(j);
}

/* "expires 2026-11-23T10:00:00Z (1795428000)" / "never expires", with
 * "expired" when this machine's clock has passed it. */
static void
print_expiry(const char *lead, uint64_t t)
{
	char iso[40];

	if (t == DOT_STATE_NO_EXPIRY) {
		printf("%snever expires\n", lead);
		return;
	}
	cli_format_time(t, iso, sizeof(iso));
	printf("%s%s %s (%" PRIu64 ")\n", lead,
	       cli_now() >= t ? "expired at" : "expires", iso, t);
}

static int
name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* -1 to go on, else the exit status. with_expires: account create's
 * --expires is one of the options. */
static int
level_parse(struct level_args *a, int argc, char **argv, const char *help,
	    int npos, const char *missing, int with_expires)
{
	static const struct option level_opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"weight", required_argument, NULL, OPT_WEIGHT},
	    {"threshold", required_argument, NULL, OPT_THRESHOLD},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const struct option create_opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"weight", required_argument, NULL, OPT_WEIGHT},
	    {"threshold", required_argument, NULL, OPT_THRESHOLD},
	    {"expires", required_argument, NULL, OPT_EXPIRES},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct option *opts = with_expires ? create_opts : level_opts;
	struct dot_err e = {0};
	uint64_t sum = 0;
	int c, k;

	memset(a, 0, sizeof(*a));
	a->expires = DOT_STATE_NO_EXPIRY;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&a->auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_PUBKEY:
			if (a->npub == DOT_STATE_MAX_KEYS)
				return cli_usage("at most %d --pubkey options",
						 DOT_STATE_MAX_KEYS);
			a->pubkeys[a->npub++] = optarg;
			break;
		case OPT_WEIGHT:
			if (a->nweight == DOT_STATE_MAX_KEYS)
				return cli_usage("at most %d --weight options",
						 DOT_STATE_MAX_KEYS);
			a->weights[a->nweight++] = optarg;
			break;
		case OPT_THRESHOLD:
			a->threshold = optarg;
			break;
		case OPT_EXPIRES:
			if (a->expires_arg != NULL)
				return cli_usage("--expires is given twice");
			a->expires_arg = optarg;
			break;
		case 'h':
			cli_help(help);
			fputs(keys_help, stdout);
			if (with_expires)
				fputs(expires_help, stdout);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		default:
			return cli_badopt(c, argv);
		}
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	if (a->npos < npos)
		return cli_usage("missing %s", missing);
	if (a->npos > npos)
		return cli_usage("unexpected argument '%s'", a->pos[npos]);
	if (a->npub == 0)
		return cli_usage("missing --pubkey PK: the level's keys "
				 "(dotpk1..., a key NAME or FILE)");
	if (a->nweight != 0 && a->nweight != a->npub)
		return cli_usage("give one --weight for each --pubkey (%zu "
				 "keys, %zu weights), or none for weight 1 "
				 "each",
				 a->npub, a->nweight);
	for (size_t i = 0; i < a->npub; i++) {
		a->w[i] = 1;
		if (a->nweight > 0 &&
		    cli_parse_u64(a->weights[i], 1, UINT32_MAX, &a->w[i]) != 0)
			return cli_usage("--weight '%s': give 1-%u",
					 a->weights[i], UINT32_MAX);
		sum += a->w[i];
	}
	a->thr = 1;
	if (a->threshold != NULL &&
	    cli_parse_u64(a->threshold, 1, UINT64_MAX, &a->thr) != 0)
		return cli_usage("--threshold '%s': give a number from 1",
				 a->threshold);
	if (a->thr > sum)
		return cli_usage("--threshold %" PRIu64 " can never be met: "
				 "the weights add up to %" PRIu64,
				 a->thr, sum);
	if (a->expires_arg != NULL &&
	    (k = expiry_arg("--expires", a->expires_arg, 0, &a->expires)) !=
		    0)
		return k;
	if ((k = cli_auth_check(&a->auth)) != 0)
		return k;
	for (size_t i = 0; i < a->npub; i++) {
		int rv = cli_public_key_arg(a->pubkeys[i], a->pk[i],
					    &a->pklen[i], &e);
		if (rv != DOT_OK) {
			char ctx[sizeof(e.msg)];
			snprintf(ctx, sizeof(ctx), "%s", e.msg);
			dot_err_set(&e, rv, "--pubkey %s: %s", a->pubkeys[i],
				    ctx);
			return cli_fail(&e);
		}
		for (size_t j = 0; j < i; j++)
			if (a->pklen[j] == a->pklen[i] &&
			    memcmp(a->pk[j], a->pk[i], a->pklen[i]) == 0)
				return cli_usage("--pubkey %s is the same key "
						 "as --pubkey %s",
						 a->pubkeys[i], a->pubkeys[j]);
	}
	return -1;
}

static void
enc_keys(struct dot_buf *b, const struct level_args *a)
{
	dot_enc_array(b, a->npub);
	for (size_t i = 0; i < a->npub; i++) {
		dot_enc_array(b, 2);
		dot_enc_bstr(b, a->pk[i], a->pklen[i]);
		dot_enc_uint(b, a->w[i]);
	}
}

struct level_json {
	const struct level_args *a;
	const char *account;
	const char *level; /* NULL: owner and active */
};

static void
json_level(struct json *j, void *ctx)
{
	const struct level_json *lj = ctx;
	const struct level_args *a = lj->a;
	char text[DOT_PK_TEXT_MAX], id[2 * DOT_KEY_ID_LEN + 1];

	json_kstr(j, "account", lj->account);
	json_key(j, "levels");
	json_arr_begin(j);
	if (lj->level != NULL) {
		json_str(j, lj->level);
	} else {
		json_str(j, "owner");
		json_str(j, "active");
	}
	json_arr_end(j);
	json_kuint(j, "threshold", a->thr);
	if (lj->level == NULL) /* account create */
		json_expiry(j, a->expires);
	json_key(j, "keys");
	json_arr_begin(j);
	for (size_t i = 0; i < a->npub; i++) {
		cli_pk_text(a->pk[i], a->pklen[i], text);
		cli_key_id_hex(a->pk[i], a->pklen[i], id);
		json_obj_begin(j);
		json_kstr(j, "public_key", text);
		json_kstr(j, "key_id", id);
		json_kuint(j, "weight", a->w[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static int
level_submit(struct level_args *a, const char *op, const char *target,
	     const struct dot_buf *args, struct level_json *lj)
{
	struct cli_session s;
	struct dot_receipt *r = NULL;
	struct dot_err e = {0};
	int status;

	if (args->err) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		return cli_fail(&e);
	}
	if (cli_session_open(&s, &a->auth, &e) != DOT_OK ||
	    cli_session_submit(&s, op, args, NULL, 0, &r, &e) != DOT_OK)
		status = cli_session_fail(&s, &e);
	else
		status = cli_receipt_report(op, target, r, json_level, lj);
	dot_receipt_free(r);
	cli_session_close(&s);
	return status;
}

/* ---- dot account create ---- */

static const char create_help[] =
    "Creates the account NAME; its owner level (which changes the levels)\n"
    "and its active level (for everyday use) both start with the given\n"
    "keys, weights and threshold. Acting as the admin account (or with a\n"
    "token granting admin on /). With --expires the account expires at\n"
    "that time: from then on nothing it signs applies and the node refuses\n"
    "its keys' channels (see dot account set-expiry).\n"
    "\n"
    "Options:\n";

int
cmd_account_create(const struct dot_cmd *self, int argc, char **argv)
{
	struct level_args a;
	struct level_json lj;
	struct dot_buf args = {0};
	int status;

	(void)self;
	if ((status = level_parse(&a, argc, argv, create_help, 1, "NAME",
				  1)) >= 0)
		return status;
	if (!name_ok(a.pos[0], DOT_TX_MAX_ACCOUNT))
		return cli_usage("NAME '%s': an account name is 1-%d of a-z, "
				 "0-9, '.', '_' and '-'",
				 a.pos[0], DOT_TX_MAX_ACCOUNT);
	dot_enc_map(&args, a.expires == DOT_STATE_NO_EXPIRY ? 3 : 4);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, a.pos[0], strlen(a.pos[0]));
	dot_enc_uint(&args, 2);
	enc_keys(&args, &a);
	dot_enc_uint(&args, 3);
	dot_enc_uint(&args, a.thr);
	if (a.expires != DOT_STATE_NO_EXPIRY) {
		dot_enc_uint(&args, 4);
		dot_enc_uint(&args, a.expires);
	}
	lj.a = &a;
	lj.account = a.pos[0];
	lj.level = NULL;
	status = level_submit(&a, "account.create", a.pos[0], &args, &lj);
	if (status == DOT_EXIT_OK && !cli_json() &&
	    a.expires != DOT_STATE_NO_EXPIRY) {
		char lead[DOT_TX_MAX_ACCOUNT + 2];

		snprintf(lead, sizeof(lead), "%s ", a.pos[0]);
		print_expiry(lead, a.expires);
	}
	dot_buf_free(&args);
	return status;
}

/* ---- dot account set-level ---- */

static const char set_level_help[] =
    "Sets LEVEL of ACCOUNT (creating the level if new) to the given keys,\n"
    "weights and threshold, replacing what it had. Only the account's own\n"
    "owner level may do this (--as ACCOUNT@owner, with enough of its keys\n"
    "to meet its threshold): not even the admin can take an account over.\n"
    "Rotate keys by setting a level to the new ones; recover a lost\n"
    "active key through owner.\n"
    "\n"
    "Options:\n";

int
cmd_account_set_level(const struct dot_cmd *self, int argc, char **argv)
{
	struct level_args a;
	struct level_json lj;
	struct dot_buf args = {0};
	char target[DOT_TX_MAX_ACCOUNT + DOT_TX_MAX_LEVEL + 2];
	int status;

	(void)self;
	if ((status = level_parse(&a, argc, argv, set_level_help, 2,
				  "ACCOUNT and LEVEL", 0)) >= 0)
		return status;
	if (!name_ok(a.pos[0], DOT_TX_MAX_ACCOUNT))
		return cli_usage("ACCOUNT '%s': an account name is 1-%d of "
				 "a-z, 0-9, '.', '_' and '-'",
				 a.pos[0], DOT_TX_MAX_ACCOUNT);
	if (!name_ok(a.pos[1], DOT_TX_MAX_LEVEL))
		return cli_usage("LEVEL '%s': a level name is 1-%d of a-z, "
				 "0-9, '.', '_' and '-' (e.g. owner, active)",
				 a.pos[1], DOT_TX_MAX_LEVEL);
	dot_enc_map(&args, 4);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, a.pos[0], strlen(a.pos[0]));
	dot_enc_uint(&args, 2);
	dot_enc_tstr(&args, a.pos[1], strlen(a.pos[1]));
	dot_enc_uint(&args, 3);
	enc_keys(&args, &a);
	dot_enc_uint(&args, 4);
	dot_enc_uint(&args, a.thr);
	snprintf(target, sizeof(target), "%s@%s", a.pos[0], a.pos[1]);
	lj.a = &a;
	lj.account = a.pos[0];
	lj.level = a.pos[1];
	status = level_submit(&a, "account.set-level", target, &args, &lj);
	dot_buf_free(&args);
	return status;
}

/* ---- dot account set-expiry ---- */

static const char set_expiry_help[] =
    "Sets when ACCOUNT expires: TIME is RFC 3339 UTC\n"
    "(2026-11-23T10:00:00Z), @UNIXSECONDS or +N{s,m,h,d} from now; 'never'\n"
    "clears it. From its expiry on, nothing the account signs applies\n"
    "(DOT_ESTATE_ACCOUNT_EXPIRED), tokens it issued stop working, and the\n"
    "node refuses its keys' channels and closes the open ones.\n"
    "\n"
    "The admin (whoever may create accounts) may set, move or clear any\n"
    "account's expiry but the admin account's own, which never expires.\n"
    "The account itself, acting as ACCOUNT@owner, may set one or bring it\n"
    "earlier, but not move it later or clear it.\n"
    "\n"
    "Options:\n";

struct expiry_json {
	const char *account;
	uint64_t expires;
};

static void
json_set_expiry(struct json *j, void *ctx)
{
	const struct expiry_json *x = ctx;

	json_kstr(j, "account", x->account);
	json_expiry(j, x->expires);
}

int
cmd_account_set_expiry(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_auth auth;
	struct cli_session s;
	struct dot_receipt *r = NULL;
	struct dot_buf args = {0};
	struct dot_err e = {0};
	struct expiry_json x;
	uint64_t expires;
	int c, k, status;

	(void)self;
	if ((c = cli_auth_opts(argc, argv, opts, &auth, set_expiry_help)) >= 0)
		return c;
	if (argc - optind < 2)
		return cli_usage(argc - optind < 1
					 ? "missing ACCOUNT and TIME|never"
					 : "missing TIME|never (e.g. +30d, "
					   "2026-11-23T10:00:00Z, never)");
	if (argc - optind > 2)
		return cli_usage("unexpected argument '%s'", argv[optind + 2]);
	if (!name_ok(argv[optind], DOT_TX_MAX_ACCOUNT))
		return cli_usage("ACCOUNT '%s': an account name is 1-%d of "
				 "a-z, 0-9, '.', '_' and '-'",
				 argv[optind], DOT_TX_MAX_ACCOUNT);
	if ((k = expiry_arg("TIME", argv[optind + 1], 1, &expires)) != 0)
		return k;
	if ((k = cli_auth_check(&auth)) != 0)
		return k;
	dot_enc_map(&args, expires == DOT_STATE_NO_EXPIRY ? 1 : 2);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, argv[optind], strlen(argv[optind]));
	if (expires != DOT_STATE_NO_EXPIRY) {
		dot_enc_uint(&args, 2);
		dot_enc_uint(&args, expires);
	}
	if (args.err) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		dot_buf_free(&args);
		return cli_fail(&e);
	}
	x.account = argv[optind];
	x.expires = expires;
	if (cli_session_open(&s, &auth, &e) != DOT_OK ||
	    cli_session_submit(&s, "account.set-expiry", &args, NULL, 0, &r,
			       &e) != DOT_OK) {
		status = cli_session_fail(&s, &e);
	} else {
		status = cli_receipt_report("account.set-expiry", argv[optind],
					    r, json_set_expiry, &x);
		if (status == DOT_EXIT_OK && !cli_json()) {
			char lead[DOT_TX_MAX_ACCOUNT + 2];

			snprintf(lead, sizeof(lead), "%s ", argv[optind]);
			print_expiry(lead, expires);
		}
	}
	dot_receipt_free(r);
	cli_session_close(&s);
	dot_buf_free(&args);
	return status;
}

/* ---- dot account show ---- */

static const char show_help[] =
    "Shows ACCOUNT's expiry and permission levels: each level's threshold\n"
    "and its keys with their weights. An account is read by itself (acting\n"
    "as any of its levels, until it expires) or by the admin.\n"
    "\n"
    "Options:\n";

int
cmd_account_show(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_auth auth;
	struct cli_session s;
	struct dot_buf ans = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	struct json j;
	const char *name;
	size_t nlen;
	uint64_t n, k, created, nlevels, expires = DOT_STATE_NO_EXPIRY;
	const uint8_t *lv;
	size_t lvlen;
	int c, r, status = DOT_EXIT_FAIL;

	(void)self;
	if ((c = cli_auth_opts(argc, argv, opts, &auth, show_help)) >= 0)
		return c;
	if (argc - optind != 1)
		return cli_usage(argc - optind < 1 ? "missing ACCOUNT"
						   : "unexpected argument");
	if (!name_ok(argv[optind], DOT_TX_MAX_ACCOUNT))
		return cli_usage("ACCOUNT '%s': an account name is 1-%d of "
				 "a-z, 0-9, '.', '_' and '-'",
				 argv[optind], DOT_TX_MAX_ACCOUNT);
	if ((r = cli_auth_check(&auth)) != 0)
		return r;
	if (cli_session_open(&s, &auth, &e) != DOT_OK ||
	    cli_session_query(&s, "account.get", argv[optind], &ans, &e) !=
		    DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	/* {1: name, 2: created, 3: levels, ?4: expires}: the expiry comes
	 * after the levels and is printed before them, so the levels are
	 * taken whole first and read again below. */
	if (dot_dec_init(&d, ans.data, ans.len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &n) != DOT_OK || n < 3 || n > 4 ||
	    dot_dec_uint(&d, &k) != DOT_OK ||
	    dot_dec_tstr(&d, &name, &nlen) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK ||
	    dot_dec_uint(&d, &created) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 3 ||
	    dot_dec_item(&d, &lv, &lvlen) != DOT_OK ||
	    (n == 4 && (dot_dec_uint(&d, &k) != DOT_OK || k != 4 ||
			dot_dec_uint(&d, &expires) != DOT_OK ||
			expires > DOT_STATE_MAX_EXPIRY)) ||
	    !dot_dec_done(&d) ||
	    dot_dec_init(&d, lv, lvlen, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &nlevels) != DOT_OK) {
		dot_err_set(&e, DOT_EAPI_FORMAT,
			    "the node's account answer is malformed");
		status = cli_fail(&e);
		goto out;
	}
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_key(&j, "account");
		json_strn(&j, name, nlen);
		json_kuint(&j, "created", created);
		json_expiry(&j, expires);
		json_key(&j, "levels");
		json_arr_begin(&j);
	} else {
		printf("account %.*s (created at entry %" PRIu64 ")\n",
		       (int)nlen, name, created);
		print_expiry("  ", expires);
	}
	for (uint64_t i = 0; i < nlevels; i++) {
		const char *level;
		size_t llen;
		uint64_t three, thr, nk;

		if (dot_dec_array(&d, &three) != DOT_OK || three != 3 ||
		    dot_dec_tstr(&d, &level, &llen) != DOT_OK ||
		    dot_dec_uint(&d, &thr) != DOT_OK ||
		    dot_dec_array(&d, &nk) != DOT_OK)
			goto bad;
		if (cli_json()) {
			json_obj_begin(&j);
			json_key(&j, "level");
			json_strn(&j, level, llen);
			json_kuint(&j, "threshold", thr);
			json_key(&j, "keys");
			json_arr_begin(&j);
		} else {
			printf("  %.*s: threshold %" PRIu64 "\n", (int)llen,
			       level, thr);
		}
		for (uint64_t q = 0; q < nk; q++) {
			const uint8_t *pk;
			size_t pklen;
			uint64_t two, w;
			char text[DOT_PK_TEXT_MAX], id[2 * DOT_KEY_ID_LEN + 1];

			if (dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
			    dot_dec_bstr(&d, &pk, &pklen) != DOT_OK ||
			    dot_dec_uint(&d, &w) != DOT_OK ||
			    pklen > DOT_SIGN_PK_MAX)
				goto bad;
			cli_pk_text(pk, pklen, text);
			cli_key_id_hex(pk, pklen, id);
			if (cli_json()) {
				json_obj_begin(&j);
				json_kstr(&j, "public_key", text);
				json_kstr(&j, "key_id", id);
				json_kuint(&j, "weight", w);
				json_obj_end(&j);
			} else {
				printf("    weight %" PRIu64 "  %s\n", w, text);
			}
		}
		if (cli_json()) {
			json_arr_end(&j);
			json_obj_end(&j);
		}
	}
	if (cli_json()) {
		json_arr_end(&j);
		json_obj_end(&j);
		json_finish(&j);
	}
	status = DOT_EXIT_OK;
	goto out;
bad:
	dot_err_set(&e, DOT_EAPI_FORMAT, "the node's account answer is malformed");
	status = cli_fail(&e);
out:
	dot_buf_free(&ans);
	cli_session_close(&s);
	return status;
}
