/*
 * cmd_cap.c - dot cap mint | attenuate | inspect | verify: capability
 * tokens (include/doteros/token.h, docs/token-format.md), offline; and
 * dot cap grant | revoke, which record a grant or a revocation in the
 * ledger through a node (client.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "doteros/codec.h"
#include "doteros/audit.h"
#include "doteros/revfeed.h"
#include "dot.h"

#define TOKEN_TEXT_MAX (4 + (DOT_TOKEN_MAX_LEN / 3 + 1) * 4 + 4096)

enum {
	OPT_JSON = 256,
	OPT_PASSFILE,
	OPT_KEY,
	OPT_HOLDER,
	OPT_RESOURCE,
	OPT_RIGHTS,
	OPT_NOT_BEFORE,
	OPT_EXPIRES,
	OPT_PATH,
	OPT_LABEL,
	OPT_MAX_DEPTH,
	OPT_ISSUER,
	OPT_OBJECT,
	OPT_AT,
	OPT_REVOKED,
	OPT_REVOKED_FILE, OPT_FEED, OPT_FEED_KEY,
	       OPT_FEED_CLUSTER, OPT_FEED_MAX_AGE, OPT_ANSWER,
};

/* ---- shared pieces ---- */

/* The caveat options of mint and attenuate, as given. */
struct cav_opts {
	const char *rights;
	const char *not_before;
	const char *expires;
	const char *path;
	const char *labels[DOT_TOKEN_MAX_LABELS];
	size_t nlabels;
	const char *max_depth;
};

/* Take one caveat option; 1 if c was one, -1 on a usage error. */
static int
cav_option(struct cav_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_RIGHTS: o->rights = arg; return 1;
	case OPT_NOT_BEFORE: o->not_before = arg; return 1;
	case OPT_EXPIRES: o->expires = arg; return 1;
	case OPT_PATH: o->path = arg; return 1;
	case OPT_MAX_DEPTH: o->max_depth = arg; return 1;
	case OPT_LABEL:
		if (o->nlabels == DOT_TOKEN_MAX_LABELS) {
			cli_usage("at most %d --label options",
				  DOT_TOKEN_MAX_LABELS);
			return -1;
		}
		o->labels[o->nlabels++] = arg;
		return 1;
	default: return 0;
	}
}

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
valid_label(const char *l)
{
	size_t n = strlen(l);

	if (n == 0 || n > DOT_TOKEN_MAX_LABEL_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)l[i] <= 0x20 || l[i] == 0x7f || l[i] == ',')
			return 0;
	return 1;
}

/* Build caveats from the options; on a bad value, *usage gets the
 * message and DOT_EINVAL is returned. Labels are sorted and deduplicated
 * (the token format wants them so). */
static int
build_caveats(struct cav_opts *o, uint64_t now,
	      struct dot_token_caveats *cav, struct dot_err *e)
{
	uint64_t v;
	size_t i, k;
	int rv;

	memset(cav, 0, sizeof(*cav));
	if (o->rights != NULL) {
		rv = dot_rights_parse(o->rights, &cav->rights, e);
		if (rv != DOT_OK) {
			char ctx[sizeof(e->msg)];
			snprintf(ctx, sizeof(ctx), "%s", e->msg);
			return dot_err_set(e, rv,
					   "--rights '%s': %s (rights: read, "
					   "list, create, write, append, "
					   "delete, send, receive, exec, "
					   "grant, revoke, admin, or all)",
					   o->rights,
					   ctx[0] ? ctx : dot_strerror(rv));
		}
		cav->present |= DOT_CAV_RIGHTS;
	}
	if (o->not_before != NULL) {
		if ((rv = cli_parse_time(o->not_before, now, &cav->not_before,
					 e)) != DOT_OK)
			return rv;
		cav->present |= DOT_CAV_NOT_BEFORE;
	}
	if (o->expires != NULL) {
		if ((rv = cli_parse_time(o->expires, now, &cav->expires, e)) !=
		    DOT_OK)
			return rv;
		cav->present |= DOT_CAV_EXPIRES;
	}
	if ((cav->present & DOT_CAV_NOT_BEFORE) &&
	    (cav->present & DOT_CAV_EXPIRES) &&
	    cav->expires <= cav->not_before)
		return dot_err_set(e, DOT_EINVAL,
				   "--expires must be later than "
				   "--not-before");
	if (o->path != NULL) {
		if (!dot_path_valid(o->path, strlen(o->path)))
			return dot_err_set(e, DOT_EINVAL,
					   "--path '%s': give an absolute path "
					   "without empty, '.' or '..' parts "
					   "or a trailing '/'",
					   o->path);
		cav->path = o->path;
		cav->path_len = strlen(o->path);
		cav->present |= DOT_CAV_PATH;
	}
	if (o->nlabels > 0) {
		for (i = 0; i < o->nlabels; i++)
			if (!valid_label(o->labels[i]))
				return dot_err_set(e, DOT_EINVAL,
						   "--label '%s': 1-%d "
						   "printable characters, no "
						   "spaces or commas",
						   o->labels[i],
						   DOT_TOKEN_MAX_LABEL_LEN);
		qsort(o->labels, o->nlabels, sizeof(o->labels[0]), cmp_label);
		for (i = 0, k = 0; i < o->nlabels; i++) {
			if (k > 0 && strcmp(o->labels[i], cav->labels[k - 1]) == 0)
				continue;
			cav->labels[k] = o->labels[i];
			cav->label_len[k] = strlen(o->labels[i]);
			k++;
		}
		cav->nlabels = k;
		cav->present |= DOT_CAV_LABELS;
	}
	if (o->max_depth != NULL) {
		if (cli_parse_u64(o->max_depth, 0, DOT_TOKEN_MAX_BLOCKS - 1,
				  &v) != 0)
			return dot_err_set(e, DOT_EINVAL,
					   "--max-depth '%s': give a number "
					   "0-%d",
					   o->max_depth,
					   DOT_TOKEN_MAX_BLOCKS - 1);
		cav->max_depth = (uint32_t)v;
		cav->present |= DOT_CAV_DEPTH;
	}
	return DOT_OK;
}

/* A TOKEN argument: dot1... text, a file holding one, or "-" (stdin). */
static int
load_token(const char *arg, struct dot_token **tok, struct dot_err *e)
{
	struct dot_buf text = {0}, bin = {0};
	const char *t;
	size_t n;
	int rv;

	*tok = NULL;
	e->msg[0] = '\0';
	if (strncmp(arg, "dot1", 4) == 0) {
		t = arg;
		n = strlen(arg);
	} else {
		rv = cli_read_named(arg, TOKEN_TEXT_MAX, &text, e,
				    "TOKEN is neither a dot1... token nor a "
				    "readable file");
		if (rv != DOT_OK)
			goto out;
		t = (const char *)text.data;
		n = text.len;
	}
	rv = dot_token_from_text(t, n, &bin, e);
	if (rv != DOT_OK) {
		cli_err_prefix(e, rv, "cannot read the token (check that it "
				      "was copied whole)");
		goto out;
	}
	rv = dot_token_parse(bin.data, bin.len, tok, e);
	if (rv != DOT_OK)
		cli_err_prefix(e, rv, "malformed token");
out:
	dot_buf_free(&text);
	dot_buf_free(&bin);
	return rv;
}

int
cli_token_load(const char *arg, struct dot_token **tok, struct dot_err *e)
{
	return load_token(arg, tok, e);
}

static void
format_resource(const struct dot_token *tok, char *out, size_t cap)
{
	char hex[2 * DOT_OBJECT_ID_LEN + 1];

	if (tok->resource_kind == DOT_RESOURCE_OBJECT &&
	    tok->resource_len == DOT_OBJECT_ID_LEN) {
		cli_hex(hex, tok->resource, DOT_OBJECT_ID_LEN);
		snprintf(out, cap, "obj:%s", hex);
	} else {
		snprintf(out, cap, "%.*s", (int)tok->resource_len,
			 (const char *)tok->resource);
	}
}

static void
format_rights(uint32_t rights, char *out, size_t cap)
{
	if (dot_rights_format(rights, out, cap) != DOT_OK)
		snprintf(out, cap, "0x%x", (unsigned)rights);
}

/* Write the token text to -o FILE or stdout; with --json, an object. */
static int
emit_token(const struct dot_buf *bin, const char *outfile)
{
	struct dot_buf text = {0};
	struct dot_token *tok = NULL;
	char pk[DOT_PK_TEXT_MAX], id[2 * DOT_KEY_ID_LEN + 1], res[1100];
	struct dot_err e = {0};
	const uint8_t *holder;
	size_t hlen;
	struct json j;
	int rv, status = DOT_EXIT_FAIL;

	rv = dot_token_to_text(bin->data, bin->len, &text);
	if (rv == DOT_OK)
		rv = dot_buf_reserve(&text, 1);
	if (rv != DOT_OK) {
		dot_err_set(&e, rv, "cannot encode the token: %s",
			    dot_strerror(rv));
		goto fail;
	}
	text.data[text.len] = '\0';
	if (outfile != NULL &&
	    cli_write_file(outfile, text.data, text.len, &e) != DOT_OK)
		goto fail;
	if (!cli_json()) {
		if (outfile == NULL)
			printf("%s\n", (const char *)text.data);
		status = DOT_EXIT_OK;
		goto out;
	}
	if ((rv = dot_token_parse(bin->data, bin->len, &tok, &e)) != DOT_OK) {
		cli_err_prefix(&e, rv, "the new token does not parse");
		goto fail;
	}
	holder = dot_token_holder(tok, &hlen);
	cli_pk_text(holder, hlen, pk);
	cli_key_id_hex(holder, hlen, id);
	format_resource(tok, res, sizeof(res));
	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kbool(&j, "ok", 1);
	json_kstr(&j, "token", (const char *)text.data);
	if (outfile != NULL)
		json_kstr(&j, "file", outfile);
	else
		json_knull(&j, "file");
	json_kuint(&j, "blocks", tok->nblocks);
	json_kuint(&j, "size", tok->len);
	json_khex(&j, "issuer_id", tok->issuer_id, DOT_KEY_ID_LEN);
	json_kstr(&j, "resource", res);
	json_kstr(&j, "holder", pk);
	json_kstr(&j, "holder_id", id);
	json_khex(&j, "rid", tok->blocks[tok->nblocks - 1].rid, DOT_RID_LEN);
	json_obj_end(&j);
	json_finish(&j);
	status = DOT_EXIT_OK;
	goto out;
fail:
	status = cli_fail(&e);
out:
	dot_token_free(tok);
	dot_buf_free(&text);
	return status;
}

/* What to do about a refusal. */
static const char *
hint_for(int code, const struct dot_token *tok, int attenuating, uint64_t at)
{
	static char buf[256];
	char id[2 * DOT_KEY_ID_LEN + 1];

	uint64_t nb = 0, exp = UINT64_MAX;
	char t1[40], t2[40];

	if (tok != NULL)
		for (size_t i = 0; i < tok->nblocks; i++) {
			const struct dot_token_caveats *cv = &tok->blocks[i].cav;
			if ((cv->present & DOT_CAV_NOT_BEFORE) &&
			    cv->not_before > nb)
				nb = cv->not_before;
			if ((cv->present & DOT_CAV_EXPIRES) && cv->expires < exp)
				exp = cv->expires;
		}
	cli_format_time(at, t2, sizeof(t2));
	switch (code) {
	case DOT_ETOKEN_EXPIRED:
		if (exp == UINT64_MAX)
			return "ask the issuer (or the previous holder) for a "
			       "fresh token";
		cli_format_time(exp, t1, sizeof(t1));
		snprintf(buf, sizeof(buf),
			 "it expired at %s (checked at %s); ask the issuer "
			 "(or the previous holder) for a fresh token",
			 t1, t2);
		return buf;
	case DOT_ETOKEN_NOT_YET_VALID:
		cli_format_time(nb, t1, sizeof(t1));
		snprintf(buf, sizeof(buf),
			 "it is valid from %s (checked at %s); wait, or check "
			 "this machine's clock",
			 t1, t2);
		return buf;
	case DOT_ETOKEN_REVOKED:
		return "this token, or one it was derived from, was revoked; "
		       "ask for a new one";
	case DOT_ETOKEN_WRONG_HOLDER:
		return attenuating ? "only the current holder can attenuate: "
				     "pass its key with --key (see 'dot cap "
				     "inspect' for the holder)"
				   : "present the token with the key it was "
				     "issued to (--key), or have its holder "
				     "attenuate it to you";
	case DOT_ETOKEN_ISSUER:
		if (tok == NULL)
			return "check --issuer";
		cli_hex(id, tok->issuer_id, DOT_KEY_ID_LEN);
		snprintf(buf, sizeof(buf),
			 "the token was issued by key id %s: check --issuer",
			 id);
		return buf;
	case DOT_ETOKEN_SIGNATURE:
		return "the token was altered or damaged: get a fresh copy "
		       "from whoever gave it to you";
	case DOT_ETOKEN_WIDENED:
		return attenuating ? "a new block may only narrow: ask for "
				     "rights and caveats within the token's "
				     "(see 'dot cap inspect')"
				   : "a block grants more than the one before "
				     "it: the token is invalid";
	case DOT_ETOKEN_TOO_DEEP:
		return "the token may not be delegated further; ask the "
		       "issuer for one with a larger --max-depth";
	case DOT_ETOKEN_RIGHTS:
		return "ask only for rights the token grants (see 'dot cap "
		       "inspect')";
	case DOT_ETOKEN_RESOURCE:
	case DOT_ETOKEN_PATH:
		return "ask for a target inside the token's resource and "
		       "path (see 'dot cap inspect')";
	case DOT_ETOKEN_NODE:
		return "the serving node lacks a label the token requires: "
		       "give the node's labels with --label";
	default: return NULL;
	}
}

static int
is_refusal(int code)
{
	return code >= DOT_ETOKEN_ISSUER && code <= DOT_ETOKEN_NODE;
}

/* ---- dot cap mint ---- */

static const char caveat_help[] =
	"      --not-before T      not valid before T\n"
	"      --expires T         not valid from T on\n"
	"      --path P            only paths within P (inside the resource)\n"
	"      --label L           the serving node must carry label L "
	"(repeatable)\n"
	"      --max-depth N       at most N more delegations after this "
	"block\n"
	"  -o, --output FILE       write the token to FILE (mode 0600)\n"
	"      --passphrase-file F read the key's passphrase from the first "
	"line of F\n"
	"      --json              print {token, blocks, size, issuer_id, "
	"resource, holder, rid, ...}\n"
	"  -h, --help              this help\n"
	"\n"
	"Times T: 2026-11-23T10:00:00Z (UTC), @UNIXSECONDS, or +30s, +15m, "
	"+2h, +7d\nfrom now. Keys: a key NAME ($DOT_DIR/keys/NAME.key) or a "
	"key FILE; a\nholder may also be given as its public key "
	"dotpk1....\n";

static const char mint_help_head[] =
	"Issues a new token (block 0) over a resource, signed by the issuer\n"
	"key, granting the rights to the holder key. Prints the token "
	"(dot1...).\n"
	"\n"
	"Options:\n"
	"      --key ISSUER        the issuer's key (NAME or FILE)\n"
	"      --holder PK         the holder: dotpk1..., key NAME or FILE\n"
	"      --resource R        an absolute path prefix, or obj:HEX32 "
	"for one object\n"
	"      --rights LIST       e.g. read,list,write (or all)\n";

int
cmd_cap_mint(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, OPT_KEY},
		{"holder", required_argument, NULL, OPT_HOLDER},
		{"resource", required_argument, NULL, OPT_RESOURCE},
		{"rights", required_argument, NULL, OPT_RIGHTS},
		{"not-before", required_argument, NULL, OPT_NOT_BEFORE},
		{"expires", required_argument, NULL, OPT_EXPIRES},
		{"path", required_argument, NULL, OPT_PATH},
		{"label", required_argument, NULL, OPT_LABEL},
		{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *holder = NULL, *resource = NULL;
	const char *out = NULL, *passfile = NULL;
	struct cav_opts co = {0};
	struct dot_token_caveats cav;
	struct dot_sign_sk *sk = NULL;
	struct dot_buf bin = {0};
	struct dot_err e = {0};
	uint8_t pk[DOT_SIGN_PK_MAX], obj[DOT_OBJECT_ID_LEN];
	const void *res;
	size_t pklen, reslen;
	int c, k, kind, rv, status = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		if ((k = cav_option(&co, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_KEY: key = optarg; break;
		case OPT_HOLDER: holder = optarg; break;
		case OPT_RESOURCE: resource = optarg; break;
		case 'o': out = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_JSON: cli_set_json(1); break;
		case 'h':
			cli_help(mint_help_head);
			fputs(caveat_help, stdout);
			return DOT_EXIT_OK;
		default: return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (key == NULL)
		return cli_usage("missing --key ISSUER (the key that signs "
				 "the token)");
	if (holder == NULL)
		return cli_usage("missing --holder PK (who may use the "
				 "token)");
	if (resource == NULL)
		return cli_usage("missing --resource PATH|obj:HEX32");
	if (co.rights == NULL)
		return cli_usage("missing --rights LIST (e.g. read,list)");
	if (strncmp(resource, "obj:", 4) == 0) {
		if (cli_parse_hex(resource + 4, obj, sizeof(obj)) != 0)
			return cli_usage("--resource '%s': an object id is "
					 "obj: and 32 hex digits",
					 resource);
		kind = DOT_RESOURCE_OBJECT;
		res = obj;
		reslen = sizeof(obj);
	} else if (resource[0] == '/' &&
		   dot_path_valid(resource, strlen(resource))) {
		kind = DOT_RESOURCE_PATH;
		res = resource;
		reslen = strlen(resource);
	} else {
		return cli_usage("--resource '%s': give an absolute path "
				 "(/projects/alpha) without empty, '.' or "
				 "'..' parts, or obj:HEX32",
				 resource);
	}
	if (build_caveats(&co, cli_now(), &cav, &e) != DOT_OK)
		return cli_usage("%s", e.msg);

	if ((rv = cli_public_key_arg(holder, pk, &pklen, &e)) != DOT_OK) {
		cli_err_prefix(&e, rv, "--holder");
		goto fail;
	}
	if (cli_key_open(key, passfile, &sk, &e) != DOT_OK)
		goto fail;
	rv = dot_token_mint(sk, kind, res, reslen, &cav, pk, pklen, &bin, &e);
	if (rv != DOT_OK) {
		cli_err_prefix(&e, rv, "cannot mint the token");
		goto fail;
	}
	status = emit_token(&bin, out);
	goto out;
fail:
	status = cli_fail(&e);
out:
	dot_sign_sk_free(sk);
	dot_buf_free(&bin);
	return status;
}

/* ---- dot cap attenuate ---- */

static const char attenuate_help_head[] =
	"Appends a block that narrows the token and names the next holder,\n"
	"signed by the current holder's key. Needs no issuer and no network.\n"
	"Refused when the holder key is not the token's holder, when a field\n"
	"would widen, or past the token's maximum depth. Prints the new "
	"token.\n"
	"\n"
	"TOKEN is a dot1... token, a file holding one, or - for stdin.\n"
	"\n"
	"Options:\n"
	"      --key HOLDER        the current holder's key (NAME or FILE)\n"
	"      --holder NEXT       the next holder: dotpk1..., key NAME or "
	"FILE\n"
	"      --rights LIST       keep only these rights\n";

int
cmd_cap_attenuate(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, OPT_KEY},
		{"holder", required_argument, NULL, OPT_HOLDER},
		{"rights", required_argument, NULL, OPT_RIGHTS},
		{"not-before", required_argument, NULL, OPT_NOT_BEFORE},
		{"expires", required_argument, NULL, OPT_EXPIRES},
		{"path", required_argument, NULL, OPT_PATH},
		{"label", required_argument, NULL, OPT_LABEL},
		{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
		{"output", required_argument, NULL, 'o'},
		{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *key = NULL, *next = NULL, *out = NULL, *passfile = NULL;
	struct cav_opts co = {0};
	struct dot_token_caveats cav;
	struct dot_token *tok = NULL;
	struct dot_sign_sk *sk = NULL;
	struct dot_buf bin = {0};
	struct dot_err e = {0};
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen;
	int c, k, rv, status = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		if ((k = cav_option(&co, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_KEY: key = optarg; break;
		case OPT_HOLDER: next = optarg; break;
		case 'o': out = optarg; break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_JSON: cli_set_json(1); break;
		case 'h':
			cli_help(attenuate_help_head);
			fputs(caveat_help, stdout);
			return DOT_EXIT_OK;
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind < 1)
		return cli_usage("missing TOKEN (dot1..., a file, or -)");
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (key == NULL)
		return cli_usage("missing --key HOLDER (the current holder's "
				 "key)");
	if (next == NULL)
		return cli_usage("missing --holder NEXT (who receives the "
				 "narrowed token)");
	if (build_caveats(&co, cli_now(), &cav, &e) != DOT_OK)
		return cli_usage("%s", e.msg);

	if (load_token(argv[optind], &tok, &e) != DOT_OK)
		goto fail;
	if ((rv = cli_public_key_arg(next, pk, &pklen, &e)) != DOT_OK) {
		cli_err_prefix(&e, rv, "--holder");
		goto fail;
	}
	if (cli_key_open(key, passfile, &sk, &e) != DOT_OK)
		goto fail;
	rv = dot_token_attenuate(tok, sk, &cav, pk, pklen, &bin, &e);
	if (rv != DOT_OK) {
		if (is_refusal(rv)) {
			if (e.code != rv)
				e.msg[0] = '\0';
			e.code = rv;
			status = cli_refuse(&e, -1, hint_for(rv, tok, 1, cli_now()));
			goto out;
		}
		cli_err_prefix(&e, rv, "cannot attenuate the token");
		goto fail;
	}
	status = emit_token(&bin, out);
	goto out;
fail:
	status = cli_fail(&e);
out:
	dot_sign_sk_free(sk);
	dot_token_free(tok);
	dot_buf_free(&bin);
	return status;
}

/* ---- dot cap inspect ---- */

static const char inspect_help[] =
	"Decodes a token and prints every block: signer, holder, rights,\n"
	"times, path, labels, depth, revocation id and sizes. NOTHING IS\n"
	"VERIFIED: no signature, issuer, time or revocation is checked; use\n"
	"'dot cap verify' for that.\n"
	"\n"
	"TOKEN is a dot1... token, a file holding one, or - for stdin.\n"
	"\n"
	"Options:\n"
	"      --json   print {verified: false, issuer_id, resource, size, "
	"blocks: [...]}\n"
	"  -h, --help   this help\n";

static void
inspect_time_text(const char *label, int present, uint64_t t)
{
	char iso[40];

	if (!present)
		return;
	cli_format_time(t, iso, sizeof(iso));
	printf("  %-12s %s (%" PRIu64 ")\n", label, iso, t);
}

static void
inspect_time_json(struct json *j, const char *key, int present, uint64_t t)
{
	char iso[40];

	json_key(j, key);
	if (!present) {
		json_null(j);
		return;
	}
	cli_format_time(t, iso, sizeof(iso));
	json_obj_begin(j);
	json_kuint(j, "unix", t);
	json_kstr(j, "utc", iso);
	json_obj_end(j);
}

static void
inspect_json(const struct dot_token *tok, const char *res)
{
	char pk[DOT_PK_TEXT_MAX], id[2 * DOT_KEY_ID_LEN + 1], rights[256];
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kbool(&j, "verified", 0);
	json_kstr(&j, "note", "decoded only: no signature, issuer, time or "
			      "revocation was checked");
	json_kuint(&j, "size", tok->len);
	json_khex(&j, "issuer_id", tok->issuer_id, DOT_KEY_ID_LEN);
	json_key(&j, "resource");
	json_obj_begin(&j);
	json_kstr(&j, "kind", tok->resource_kind == DOT_RESOURCE_OBJECT
				      ? "object"
				      : "path");
	json_kstr(&j, "value", res);
	json_obj_end(&j);
	json_key(&j, "blocks");
	json_arr_begin(&j);
	for (size_t i = 0; i < tok->nblocks; i++) {
		const struct dot_token_block *b = &tok->blocks[i];
		const struct dot_token_caveats *cv = &b->cav;

		json_obj_begin(&j);
		json_kuint(&j, "index", i);
		json_key(&j, "signer");
		json_obj_begin(&j);
		if (i == 0) {
			json_kstr(&j, "kind", "issuer");
			json_khex(&j, "key_id", tok->issuer_id,
				  DOT_KEY_ID_LEN);
		} else {
			const struct dot_token_block *p = &tok->blocks[i - 1];
			cli_pk_text(p->holder, p->holder_len, pk);
			cli_key_id_hex(p->holder, p->holder_len, id);
			json_kstr(&j, "kind", "previous holder");
			json_kstr(&j, "public_key", pk);
			json_kstr(&j, "key_id", id);
		}
		json_obj_end(&j);
		cli_pk_text(b->holder, b->holder_len, pk);
		cli_key_id_hex(b->holder, b->holder_len, id);
		json_kstr(&j, "holder", pk);
		json_kstr(&j, "holder_id", id);
		json_key(&j, "rights");
		if (cv->present & DOT_CAV_RIGHTS) {
			json_arr_begin(&j);
			for (uint32_t bit = 1; bit <= DOT_RIGHTS_ALL; bit <<= 1)
				if ((cv->rights & bit) && dot_right_name(bit))
					json_str(&j, dot_right_name(bit));
			json_arr_end(&j);
			format_rights(cv->rights, rights, sizeof(rights));
		} else {
			json_null(&j);
		}
		inspect_time_json(&j, "not_before",
				  cv->present & DOT_CAV_NOT_BEFORE,
				  cv->not_before);
		inspect_time_json(&j, "expires", cv->present & DOT_CAV_EXPIRES,
				  cv->expires);
		json_key(&j, "path");
		if (cv->present & DOT_CAV_PATH)
			json_strn(&j, cv->path, cv->path_len);
		else
			json_null(&j);
		json_key(&j, "labels");
		if (cv->present & DOT_CAV_LABELS) {
			json_arr_begin(&j);
			for (size_t l = 0; l < cv->nlabels; l++)
				json_strn(&j, cv->labels[l], cv->label_len[l]);
			json_arr_end(&j);
		} else {
			json_null(&j);
		}
		json_key(&j, "max_depth");
		if (cv->present & DOT_CAV_DEPTH)
			json_uint(&j, cv->max_depth);
		else
			json_null(&j);
		json_khex(&j, "rid", b->rid, DOT_RID_LEN);
		json_kuint(&j, "payload_size", b->payload_len);
		json_kuint(&j, "signature_size", b->sig_len);
		json_kstr(&j, "signature_suite",
			  b->sig_len > 0 ? dot_suite_name(b->sig[0]) : NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

static void
inspect_text(const struct dot_token *tok, const char *res)
{
	char pk[DOT_PK_TEXT_MAX], id[2 * DOT_KEY_ID_LEN + 1], rights[256];
	char rid[2 * DOT_RID_LEN + 1];
	const char *suite;

	cli_hex(id, tok->issuer_id, DOT_KEY_ID_LEN);
	printf("NOT VERIFIED: decoded only; no signature, issuer, time or "
	       "revocation was checked.\n");
	printf("token:        %zu block%s, %zu bytes\n", tok->nblocks,
	       tok->nblocks == 1 ? "" : "s", tok->len);
	printf("issuer:       key id %s\n", id);
	printf("resource:     %s %s\n",
	       tok->resource_kind == DOT_RESOURCE_OBJECT ? "object" : "path",
	       res);
	for (size_t i = 0; i < tok->nblocks; i++) {
		const struct dot_token_block *b = &tok->blocks[i];
		const struct dot_token_caveats *cv = &b->cav;

		printf("block %zu\n", i);
		if (i == 0) {
			cli_hex(id, tok->issuer_id, DOT_KEY_ID_LEN);
			printf("  %-12s issuer (key id %s)\n", "signed by", id);
		} else {
			const struct dot_token_block *p = &tok->blocks[i - 1];
			cli_pk_text(p->holder, p->holder_len, pk);
			printf("  %-12s previous holder %s\n", "signed by", pk);
		}
		cli_pk_text(b->holder, b->holder_len, pk);
		cli_key_id_hex(b->holder, b->holder_len, id);
		printf("  %-12s %s (key id %s)\n", "holder", pk, id);
		if (cv->present & DOT_CAV_RIGHTS) {
			format_rights(cv->rights, rights, sizeof(rights));
			printf("  %-12s %s\n", "rights", rights);
		}
		inspect_time_text("not before", cv->present & DOT_CAV_NOT_BEFORE,
				  cv->not_before);
		inspect_time_text("expires", cv->present & DOT_CAV_EXPIRES,
				  cv->expires);
		if (cv->present & DOT_CAV_PATH)
			printf("  %-12s %.*s\n", "path", (int)cv->path_len,
			       cv->path);
		if (cv->present & DOT_CAV_LABELS) {
			printf("  %-12s", "labels");
			for (size_t l = 0; l < cv->nlabels; l++)
				printf("%s%.*s", l ? "," : " ",
				       (int)cv->label_len[l], cv->labels[l]);
			printf("\n");
		}
		if (cv->present & DOT_CAV_DEPTH)
			printf("  %-12s %" PRIu32 "\n", "max depth",
			       cv->max_depth);
		cli_hex(rid, b->rid, DOT_RID_LEN);
		printf("  %-12s %s\n", "rid", rid);
		suite = b->sig_len > 0 ? dot_suite_name(b->sig[0]) : NULL;
		printf("  %-12s payload %zu bytes, signature %zu bytes (%s)\n",
		       "size", b->payload_len, b->sig_len,
		       suite ? suite : "unknown suite");
	}
}

int
cmd_cap_inspect(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct dot_token *tok = NULL;
	struct dot_err e = {0};
	char res[1100];
	int c;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: cli_set_json(1); break;
		case 'h': return cli_help(inspect_help);
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind < 1)
		return cli_usage("missing TOKEN (dot1..., a file, or -)");
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (load_token(argv[optind], &tok, &e) != DOT_OK)
		return cli_fail(&e);
	format_resource(tok, res, sizeof(res));
	if (cli_json())
		inspect_json(tok, res);
	else
		inspect_text(tok, res);
	dot_token_free(tok);
	return DOT_EXIT_OK;
}

/* ---- dot cap verify ---- */

static const char verify_help[] =
	"Verifies TOKEN for a request as a serving node would: the chain of\n"
	"signatures from the trusted issuer key, every block narrowing the\n"
	"one before, depth, revocation, time, resource, path, rights and node\n"
	"labels, and a proof of possession signed with the holder key.\n"
	"Prints \"valid: ...\" and exits 0, or \"refused: ...\" and exits 1.\n"
	"\n"
	"TOKEN is a dot1... token, a file holding one, or - for stdin.\n"
	"\n"
	"Options:\n"
	"      --issuer PK         the trusted issuer: dotpk1..., key NAME or "
	"FILE\n"
	"      --key HOLDER        the presenting holder's key (NAME or "
	"FILE)\n"
	"      --rights LIST       the rights the request needs\n"
	"      --path P            the target path (default: the token's "
	"own path)\n"
	"      --object HEX32      the target object (object tokens)\n"
	"      --label L           a label of the serving node (repeatable)\n"
	"      --at T              verify as of T (default now; +N counts "
	"from now)\n"
	"      --revoked RID       treat this revocation id (64 hex) as "
	"revoked (repeatable)\n"
	"      --revoked-file F    revoked ids, one per line ('#' comments)\n"
	"      --feed FILE         a revocation feed ('dot revocation feed'):\n"
	"                          a block whose id hits its filter is refused\n"
	"                          unless an --answer settles it\n"
	"      --feed-key PK       a node key the feed must be signed by:\n"
	"                          dotpk1..., NAME+ID+BASE64 (a line of 'dot\n"
	"                          node list --keys') or a key NAME or FILE\n"
	"                          (repeatable; one signature suffices)\n"
	"      --feed-cluster HEX  the cluster id (32 hex) the feed is for\n"
	"      --feed-max-age S    refuse a feed made over S seconds ago (300)\n"
	"      --answer FILE       an exact answer ('dot revocation lookup'),\n"
	"                          signed by a --feed-key (repeatable)\n"
	"      --passphrase-file F read the holder key's passphrase from F\n"
	"      --json              print {ok, rights, granted, target, "
	"holder, expires, ...}\n"
	"                          or {ok: false, error, message, block}\n"
	"  -h, --help              this help\n";

struct revoked {
	uint8_t (*rids)[DOT_RID_LEN];
	size_t n;
};

static int
is_revoked(void *ctx, const uint8_t rid[DOT_RID_LEN])
{
	const struct revoked *r = ctx;

	for (size_t i = 0; i < r->n; i++)
		if (memcmp(r->rids[i], rid, DOT_RID_LEN) == 0)
			return 1;
	return 0;
}

/* --revoked/--revoked-file, then the feed (and its answers) if given. */
struct revcheck {
	struct revoked *list;
	struct dot_revfeed_check *feed; /* NULL without --feed */
};

static int
is_revoked_or_fed(void *ctx, const uint8_t rid[DOT_RID_LEN])
{
	struct revcheck *rc = ctx;

	if (is_revoked(rc->list, rid))
		return 1;
	return rc->feed != NULL ? dot_revfeed_token_revoked(rc->feed, rid) : 0;
}

#define FEED_MAX_KEYS	 16
#define FEED_MAX_ANSWERS 16

/* Load and verify --feed and its --answer files against the trust. */
static int
load_feed(const char *path, const char *const *answers, size_t nanswers,
	  const struct dot_revfeed_trust *trust, uint64_t now,
	  uint64_t max_age, struct dot_revfeed **feed,
	  struct dot_revfeed_answer *ans, struct dot_err *e)
{
	struct dot_buf b = {0};
	int rv;

	rv = cli_read_file(path, DOT_REVFEED_MAX_LEN, &b, e);
	if (rv == DOT_OK) {
		rv = dot_revfeed_open(b.data, b.len, trust, feed, e);
		if (rv != DOT_OK) {
			char ctx[sizeof(e->msg)];

			snprintf(ctx, sizeof(ctx), "%s", e->msg);
			rv = dot_err_set(e, rv, "--feed %s: %s", path, ctx);
		}
	}
	if (rv == DOT_OK && !dot_revfeed_fresh(*feed, now, max_age))
		rv = dot_err_set(e, DOT_ERANGE,
				 "--feed %s was made at %" PRIu64
				 ", over %" PRIu64 " s ago: refresh it (dot "
				 "revocation feed)",
				 path, (*feed)->created, max_age);
	for (size_t i = 0; rv == DOT_OK && i < nanswers; i++) {
		b.len = 0;
		rv = cli_read_file(answers[i], 64 * 1024, &b, e);
		if (rv == DOT_OK &&
		    (rv = dot_revfeed_answer_open(b.data, b.len, trust, &ans[i],
						  e)) != DOT_OK) {
			char ctx[sizeof(e->msg)];

			snprintf(ctx, sizeof(ctx), "%s", e->msg);
			rv = dot_err_set(e, rv, "--answer %s: %s", answers[i],
					 ctx);
		}
	}
	dot_buf_free(&b);
	return rv;
}

static int
add_rid(struct revoked *r, const char *hex, size_t n)
{
	char tmp[2 * DOT_RID_LEN + 1];
	uint8_t(*grown)[DOT_RID_LEN];

	if (n != 2 * DOT_RID_LEN)
		return -1;
	memcpy(tmp, hex, n);
	tmp[n] = '\0';
	grown = realloc(r->rids, (r->n + 1) * sizeof(*r->rids));
	if (grown == NULL)
		return -2;
	r->rids = grown;
	if (cli_parse_hex(tmp, r->rids[r->n], DOT_RID_LEN) != 0)
		return -1;
	r->n++;
	return 0;
}

static int
load_revoked_file(struct revoked *r, const char *path, struct dot_err *e)
{
	struct dot_buf b = {0};
	size_t i = 0, line = 0, s, t;
	int rv;

	if ((rv = cli_read_file(path, 64u << 20, &b, e)) != DOT_OK)
		goto out;
	while (i < b.len) {
		line++;
		s = i;
		while (i < b.len && b.data[i] != '\n')
			i++;
		t = i;
		i++; /* past '\n' */
		while (s < t && (b.data[s] == ' ' || b.data[s] == '\t'))
			s++;
		while (t > s && (b.data[t - 1] == ' ' || b.data[t - 1] == '\t' ||
				 b.data[t - 1] == '\r'))
			t--;
		if (s == t || b.data[s] == '#')
			continue;
		switch (add_rid(r, (const char *)b.data + s, t - s)) {
		case 0: break;
		case -2:
			rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
			goto out;
		default:
			rv = dot_err_set(e, DOT_EINVAL,
					 "%s line %zu: a revocation id is 64 "
					 "hex digits",
					 path, line);
			goto out;
		}
	}
out:
	dot_buf_free(&b);
	return rv;
}

int
cmd_cap_verify(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		{"issuer", required_argument, NULL, OPT_ISSUER},
		{"key", required_argument, NULL, OPT_KEY},
		{"rights", required_argument, NULL, OPT_RIGHTS},
		{"path", required_argument, NULL, OPT_PATH},
		{"object", required_argument, NULL, OPT_OBJECT},
		{"label", required_argument, NULL, OPT_LABEL},
		{"at", required_argument, NULL, OPT_AT},
		{"revoked", required_argument, NULL, OPT_REVOKED},
		{"revoked-file", required_argument, NULL, OPT_REVOKED_FILE},
		{"feed", required_argument, NULL, OPT_FEED},
		{"feed-key", required_argument, NULL, OPT_FEED_KEY},
		{"feed-cluster", required_argument, NULL, OPT_FEED_CLUSTER},
		{"feed-max-age", required_argument, NULL, OPT_FEED_MAX_AGE},
		{"answer", required_argument, NULL, OPT_ANSWER},
		{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *issuer = NULL, *key = NULL, *rights_arg = NULL;
	const char *path = NULL, *object = NULL, *at_arg = NULL;
	const char *passfile = NULL, *rfile = NULL;
	const char *feed_path = NULL, *feed_cluster = NULL;
	const char *feed_keys[FEED_MAX_KEYS], *answer_paths[FEED_MAX_ANSWERS];
	size_t nfeed_keys = 0, nanswers = 0;
	uint64_t feed_max_age = 300;
	struct dot_revfeed *feed = NULL;
	struct dot_revfeed_answer answers[FEED_MAX_ANSWERS];
	struct dot_revfeed_check fcheck;
	struct revcheck rcheck;
	const char *labels[DOT_TOKEN_MAX_LABELS * 4];
	size_t nlabels = 0, ipklen, pathlen = 0, siglen, hlen;
	struct revoked rev = {0};
	struct dot_token_verifier v;
	struct dot_token_request req;
	struct dot_token_result res;
	struct dot_token *tok = NULL;
	struct dot_sign_sk *sk = NULL;
	struct dot_err e = {0};
	struct dot_buf msg = {0};
	uint8_t ipk[DOT_SIGN_PK_MAX], obj[DOT_OBJECT_ID_LEN];
	uint8_t sig[DOT_SIGN_SIG_MAX];
	char want[256], granted[256], target[1100], hpk[DOT_PK_TEXT_MAX];
	char hid[2 * DOT_KEY_ID_LEN + 1], iso[40], head[128];
	uint64_t now, at;
	uint32_t rights;
	struct json j;
	int c, rv, n, status = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ISSUER: issuer = optarg; break;
		case OPT_KEY: key = optarg; break;
		case OPT_RIGHTS: rights_arg = optarg; break;
		case OPT_PATH: path = optarg; break;
		case OPT_OBJECT: object = optarg; break;
		case OPT_LABEL:
			if (nlabels == sizeof(labels) / sizeof(labels[0])) {
				status = cli_usage("too many --label options");
				goto out;
			}
			labels[nlabels++] = optarg;
			break;
		case OPT_AT: at_arg = optarg; break;
		case OPT_REVOKED:
			rv = add_rid(&rev, optarg, strlen(optarg));
			if (rv == -2) {
				dot_err_set(&e, DOT_ENOMEM, "out of memory");
				goto fail;
			}
			if (rv != 0) {
				status = cli_usage("--revoked '%s': a "
						   "revocation id is 64 hex "
						   "digits (see 'dot cap "
						   "inspect')",
						   optarg);
				goto out;
			}
			break;
		case OPT_REVOKED_FILE: rfile = optarg; break;
		case OPT_FEED: feed_path = optarg; break;
		case OPT_FEED_CLUSTER: feed_cluster = optarg; break;
		case OPT_FEED_KEY:
			if (nfeed_keys == FEED_MAX_KEYS) {
				status = cli_usage("at most %d --feed-key",
						   FEED_MAX_KEYS);
				goto out;
			}
			feed_keys[nfeed_keys++] = optarg;
			break;
		case OPT_ANSWER:
			if (nanswers == FEED_MAX_ANSWERS) {
				status = cli_usage("at most %d --answer",
						   FEED_MAX_ANSWERS);
				goto out;
			}
			answer_paths[nanswers++] = optarg;
			break;
		case OPT_FEED_MAX_AGE:
			if (cli_parse_u64(optarg, 1, 86400 * 365,
					  &feed_max_age) != 0) {
				status = cli_usage("--feed-max-age takes "
						   "seconds");
				goto out;
			}
			break;
		case OPT_PASSFILE: passfile = optarg; break;
		case OPT_JSON: cli_set_json(1); break;
		case 'h': status = cli_help(verify_help); goto out;
		default: status = cli_badopt(c, argv); goto out;
		}
	}
	status = DOT_EXIT_USAGE;
	if (argc - optind < 1) {
		cli_usage("missing TOKEN (dot1..., a file, or -)");
		goto out;
	}
	if (argc - optind > 1) {
		cli_usage("unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (issuer == NULL) {
		cli_usage("missing --issuer PK (the key you trust to issue "
			  "the token)");
		goto out;
	}
	if (key == NULL) {
		cli_usage("missing --key HOLDER (the key presenting the "
			  "token)");
		goto out;
	}
	if (rights_arg == NULL) {
		cli_usage("missing --rights LIST (what the request needs)");
		goto out;
	}
	if (path != NULL && object != NULL) {
		cli_usage("give --path or --object, not both");
		goto out;
	}
	if ((feed_path != NULL) != (nfeed_keys > 0 && feed_cluster != NULL) ||
	    (nanswers > 0 && feed_path == NULL)) {
		cli_usage("--feed FILE goes with --feed-key PK (the node keys "
			  "you trust) and --feed-cluster HEX; --answer with "
			  "--feed");
		goto out;
	}
	if (path != NULL && !dot_path_valid(path, strlen(path))) {
		cli_usage("--path '%s': give an absolute path without empty, "
			  "'.' or '..' parts or a trailing '/'",
			  path);
		goto out;
	}
	if (object != NULL && cli_parse_hex(object, obj, sizeof(obj)) != 0) {
		cli_usage("--object '%s': an object id is 32 hex digits",
			  object);
		goto out;
	}
	for (size_t i = 0; i < nlabels; i++) {
		if (!valid_label(labels[i])) {
			cli_usage("--label '%s': 1-%d printable characters, "
				  "no spaces or commas",
				  labels[i], DOT_TOKEN_MAX_LABEL_LEN);
			goto out;
		}
	}
	if ((rv = dot_rights_parse(rights_arg, &rights, &e)) != DOT_OK) {
		cli_usage("--rights '%s': %s", rights_arg,
			  e.msg[0] ? e.msg : dot_strerror(rv));
		goto out;
	}
	now = cli_now();
	at = now;
	if (at_arg != NULL && cli_parse_time(at_arg, now, &at, &e) != DOT_OK) {
		cli_usage("--at: %s", e.msg);
		goto out;
	}
	status = DOT_EXIT_FAIL;

	if (rfile != NULL && load_revoked_file(&rev, rfile, &e) != DOT_OK)
		goto fail;
	memset(&rcheck, 0, sizeof(rcheck));
	rcheck.list = &rev;
	if (feed_path != NULL) {
		uint8_t fcid[DOT_REVFEED_CLUSTER_ID_LEN];
		uint8_t fpk[FEED_MAX_KEYS][DOT_SIGN_PK_MAX];
		struct dot_revfeed_key fk[FEED_MAX_KEYS];
		struct dot_revfeed_trust trust;

		if (strlen(feed_cluster) != 2 * sizeof(fcid) ||
		    cli_parse_hex(feed_cluster, fcid, sizeof(fcid)) != 0) {
			status = cli_usage("--feed-cluster '%s': a cluster id "
					   "is 32 hex digits",
					   feed_cluster);
			goto out;
		}
		for (size_t i = 0; i < nfeed_keys; i++) {
			struct dot_audit_vkey vk;
			struct dot_err ve = {0};

			/* a checkpoint verifier key (NAME+ID+BASE64, as
			 * 'dot node list --keys' prints) names a node key
			 * too */
			if (strchr(feed_keys[i], '+') != NULL &&
			    dot_audit_vkey_parse(&vk, feed_keys[i],
						 strlen(feed_keys[i]),
						 &ve) == DOT_OK) {
				memcpy(fpk[i], vk.key, vk.key_len);
				fk[i].pk_len = vk.key_len;
			} else if ((rv = cli_public_key_arg(feed_keys[i],
							    fpk[i],
							    &fk[i].pk_len,
							    &e)) != DOT_OK) {
				cli_err_prefix(&e, rv, "--feed-key");
				goto fail;
			}
			fk[i].pk = fpk[i];
		}
		memset(&trust, 0, sizeof(trust));
		trust.cluster_id = fcid;
		trust.keys = fk;
		trust.nkeys = nfeed_keys;
		trust.threshold = 1;
		if (load_feed(feed_path, answer_paths, nanswers, &trust, now,
			      feed_max_age, &feed, answers, &e) != DOT_OK)
			goto fail;
		memset(&fcheck, 0, sizeof(fcheck));
		fcheck.feed = feed;
		fcheck.answers = answers;
		fcheck.nanswers = nanswers;
		rcheck.feed = &fcheck;
	}
	if ((rv = cli_public_key_arg(issuer, ipk, &ipklen, &e)) != DOT_OK) {
		cli_err_prefix(&e, rv, "--issuer");
		goto fail;
	}
	if (load_token(argv[optind], &tok, &e) != DOT_OK)
		goto fail;

	/* The target: as given, else the token's own scope. */
	memset(&req, 0, sizeof(req));
	if (object != NULL) {
		req.object_id = obj;
		cli_hex(target, obj, sizeof(obj));
		memmove(target + 4, target, 2 * sizeof(obj) + 1);
		memcpy(target, "obj:", 4);
	} else if (path != NULL) {
		req.path = path;
		pathlen = strlen(path);
	} else if (tok->resource_kind == DOT_RESOURCE_OBJECT) {
		req.object_id = tok->resource;
	} else {
		req.path = (const char *)tok->resource;
		pathlen = tok->resource_len;
		for (size_t i = 0; i < tok->nblocks; i++)
			if (tok->blocks[i].cav.present & DOT_CAV_PATH) {
				req.path = tok->blocks[i].cav.path;
				pathlen = tok->blocks[i].cav.path_len;
			}
	}
	if (req.path != NULL)
		snprintf(target, sizeof(target), "%.*s", (int)pathlen,
			 req.path);
	else if (object == NULL)
		format_resource(tok, target, sizeof(target));
	req.path_len = pathlen;
	req.rights = rights;
	req.node_labels = labels;
	req.n_node_labels = nlabels;
	req.now = at;

	memset(&v, 0, sizeof(v));
	v.issuer_pk = ipk;
	v.issuer_pk_len = ipklen;
	v.revoked = is_revoked_or_fed;
	v.revoked_ctx = &rcheck;

	/* The proof of possession: the holder signs the request. */
	format_rights(rights, want, sizeof(want));
	n = snprintf(head, sizeof(head), "dot cap verify\nrights=%s\nat=%" PRIu64
					 "\ntarget=",
		     want, at);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		dot_err_set(&e, DOT_ETOOBIG, "request too long");
		goto fail;
	}
	dot_buf_put(&msg, head, (size_t)n);
	dot_buf_put(&msg, target, strlen(target));
	if (msg.err) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		goto fail;
	}
	if (cli_key_open(key, passfile, &sk, &e) != DOT_OK)
		goto fail;
	rv = dot_token_sign_request(tok, sk, msg.data, msg.len, sig, &siglen);
	if (rv != DOT_OK) {
		dot_err_set(&e, rv, "cannot sign the request: %s",
			    dot_strerror(rv));
		goto fail;
	}
	memset(&res, 0, sizeof(res));
	e.msg[0] = '\0';
	rv = dot_token_verify(tok, &v, &req, msg.data, msg.len, sig, siglen,
			      &res, &e);
	if (rv != DOT_OK) {
		if (e.code != rv)
			e.msg[0] = '\0';
		e.code = rv;
		if (!is_refusal(rv)) {
			cli_err_prefix(&e, rv, "cannot verify the token");
			goto fail;
		}
		if (rv == DOT_ETOKEN_REVOKED && rcheck.feed != NULL &&
		    fcheck.lookup) {
			char rh[2 * DOT_RID_LEN + 1], hint[300];

			cli_hex(rh, fcheck.lookup_rid, DOT_RID_LEN);
			snprintf(hint, sizeof(hint),
				 "the block's revocation id hits the feed's "
				 "filter: ask a node with 'dot revocation "
				 "lookup %s -o FILE' and verify again with "
				 "--answer FILE",
				 rh);
			status = cli_refuse(&e, (long)res.failed_block, hint);
		} else
			status = cli_refuse(&e, (long)res.failed_block,
					    hint_for(rv, tok, 0, at));
		goto out;
	}

	hlen = res.holder_len;
	cli_pk_text(res.holder, hlen, hpk);
	cli_key_id_hex(res.holder, hlen, hid);
	format_rights(res.eff.rights, granted, sizeof(granted));
	if (res.eff.present & DOT_CAV_EXPIRES)
		cli_format_time(res.eff.expires, iso, sizeof(iso));
	if (!cli_json()) {
		printf("valid: %s on %s, holder %s, %s%s (grants %s; %zu "
		       "block%s)\n",
		       want, target, hpk,
		       res.eff.present & DOT_CAV_EXPIRES ? "expires "
							 : "never expires",
		       res.eff.present & DOT_CAV_EXPIRES ? iso : "", granted,
		       tok->nblocks, tok->nblocks == 1 ? "" : "s");
	} else {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kbool(&j, "valid", 1);
		json_kstr(&j, "rights", want);
		json_kstr(&j, "granted", granted);
		json_kstr(&j, "target", target);
		json_khex(&j, "issuer_id", tok->issuer_id, DOT_KEY_ID_LEN);
		json_kstr(&j, "holder", hpk);
		json_kstr(&j, "holder_id", hid);
		json_kuint(&j, "at", at);
		inspect_time_json(&j, "not_before",
				  res.eff.present & DOT_CAV_NOT_BEFORE,
				  res.eff.not_before);
		inspect_time_json(&j, "expires",
				  res.eff.present & DOT_CAV_EXPIRES,
				  res.eff.expires);
		json_kuint(&j, "blocks", tok->nblocks);
		json_kuint(&j, "blocks_verified", res.blocks_verified);
		json_obj_end(&j);
		json_finish(&j);
	}
	status = DOT_EXIT_OK;
	goto out;
fail:
	status = cli_fail(&e);
out:
	dot_sign_sk_free(sk);
	dot_token_free(tok);
	dot_buf_free(&msg);
	free(rev.rids);
	dot_revfeed_free(feed);
	return status;
}

/* ---- dot cap grant / revoke: through the node ---- */

static const char grant_help[] =
	"Records a token's grant (its block 0) in the ledger, for audit: who\n"
	"granted what to whom. The token must verify and must have been\n"
	"issued by a key of the account given with --as (the issuer account).\n"
	"The token works without this; recording it makes it auditable.\n"
	"\n"
	"TOKEN is a dot1... token, a file holding one, or - for stdin.\n"
	"\n";

static void
json_rid(struct json *j, void *ctx)
{
	const uint8_t *rid = ctx;

	json_khex(j, "rid", rid, DOT_RID_LEN);
}

int
cmd_cap_grant(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_AUTH_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli_auth auth = {0};
	struct cli_session s;
	struct dot_token *tok = NULL;
	struct dot_receipt *r = NULL;
	struct dot_buf args = {0};
	struct dot_err e = {0};
	char rid[2 * DOT_RID_LEN + 1];
	int c, k, status = DOT_EXIT_FAIL;

	(void)self;
	memset(&s, 0, sizeof(s));
	s.node.fd = -1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'h':
			cli_help(grant_help);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind < 1)
		return cli_usage("missing TOKEN (dot1..., a file, or -)");
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (auth.token != NULL)
		return cli_usage("a grant is recorded by its issuer account: "
				 "use --as ACCOUNT@LEVEL, not --token");
	if ((k = cli_auth_check(&auth)) != 0)
		return k;
	if (load_token(argv[optind], &tok, &e) != DOT_OK)
		goto fail;
	dot_enc_map(&args, 1);
	dot_enc_uint(&args, 1);
	dot_enc_bstr(&args, tok->bytes, tok->len);
	if (cli_session_open(&s, &auth, &e) != DOT_OK ||
	    cli_session_submit(&s, "cap.grant", &args, NULL, 0, &r, &e) !=
		    DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	cli_hex(rid, tok->blocks[0].rid, DOT_RID_LEN);
	status = cli_receipt_report("cap.grant", rid, r, json_rid,
				    tok->blocks[0].rid);
	goto out;
fail:
	status = cli_fail(&e);
out:
	dot_receipt_free(r);
	cli_session_close(&s);
	dot_token_free(tok);
	dot_buf_free(&args);
	return status;
}

static const char revoke_help[] =
	"Revokes block N of TOKEN: its revocation id is added to the ledger's\n"
	"revoked set, and every later use of that block, or of any token\n"
	"derived from it, is refused on every path. Block 0 kills the whole\n"
	"token. Allowed for the admin account, the token's issuer account\n"
	"(--as), or a holder above the block, presenting its own token, a\n"
	"prefix of TOKEN that ends before block N (--token MINE --key HOLDER).\n"
	"\n"
	"TOKEN is a dot1... token, a file holding one, or - for stdin.\n"
	"\n"
	"      --block N           the block to revoke (0 = the whole token; "
	"'dot cap\n"
	"                          inspect' lists the blocks)\n";

int
cmd_cap_revoke(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_BLOCK = 0x2000 };
	static const struct option opts[] = {
		CLI_AUTH_LONGOPTS,
		{"block", required_argument, NULL, OPT_BLOCK},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli_auth auth = {0};
	struct cli_session s;
	struct dot_token *tok = NULL;
	struct dot_receipt *r = NULL;
	struct dot_buf args = {0};
	struct dot_err e = {0};
	const char *block_arg = NULL;
	char rid[2 * DOT_RID_LEN + 1];
	uint64_t block = 0;
	int c, k, status = DOT_EXIT_FAIL;

	(void)self;
	memset(&s, 0, sizeof(s));
	s.node.fd = -1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case OPT_BLOCK: block_arg = optarg; break;
		case 'h':
			cli_help(revoke_help);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		default: return cli_badopt(c, argv);
		}
	}
	if (argc - optind < 1)
		return cli_usage("missing TOKEN (dot1..., a file, or -)");
	if (argc - optind > 1)
		return cli_usage("unexpected argument '%s'", argv[optind + 1]);
	if (block_arg == NULL)
		return cli_usage("missing --block N: which block to revoke (0 "
				 "revokes the whole token)");
	if (cli_parse_u64(block_arg, 0, DOT_TOKEN_MAX_BLOCKS - 1, &block) !=
	    0)
		return cli_usage("--block '%s': give a block number 0-%d",
				 block_arg, DOT_TOKEN_MAX_BLOCKS - 1);
	if ((k = cli_auth_check(&auth)) != 0)
		return k;
	if (load_token(argv[optind], &tok, &e) != DOT_OK)
		goto fail;
	if (block >= tok->nblocks) {
		status = cli_usage("--block %" PRIu64 ": the token has %zu "
				   "block%s (0-%zu)",
				   block, tok->nblocks,
				   tok->nblocks == 1 ? "" : "s",
				   tok->nblocks - 1);
		goto out;
	}
	dot_enc_map(&args, 2);
	dot_enc_uint(&args, 1);
	dot_enc_bstr(&args, tok->bytes, tok->len);
	dot_enc_uint(&args, 2);
	dot_enc_uint(&args, block);
	if (cli_session_open(&s, &auth, &e) != DOT_OK ||
	    cli_session_submit(&s, "cap.revoke", &args, NULL, 0, &r, &e) !=
		    DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	cli_hex(rid, tok->blocks[block].rid, DOT_RID_LEN);
	status = cli_receipt_report("cap.revoke", rid, r, json_rid,
				    tok->blocks[block].rid);
	goto out;
fail:
	status = cli_fail(&e);
out:
	dot_receipt_free(r);
	cli_session_close(&s);
	dot_token_free(tok);
	dot_buf_free(&args);
	return status;
}
