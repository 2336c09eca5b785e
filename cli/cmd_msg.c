/*
 * cmd_msg.c - dot msg create | send | recv: mailboxes on a node. A
 * message is an output that exactly one msg.recv consumes: two receivers
 * naming the same message are ordered by the log, the first gets it and
 * the second a conflict (lib/state/msg.c).
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

#define RECV_ATTEMPTS 5 /* lost races before giving up */

enum { OPT_MESSAGE = 0x2000 };

/* The options of every msg command; -1 to go on, else an exit status. */
static int
msg_parse(struct cli_auth *auth, const char **text, int argc, char **argv,
	  const char *help, int npos_max, char ***pos, int *npos)
{
	static const struct option opts[] = {
	    CLI_AUTH_LONGOPTS,
	    {"message", required_argument, NULL, OPT_MESSAGE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, k;

	memset(auth, 0, sizeof(*auth));
	while ((c = getopt_long(argc, argv, ":m:h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(auth, c, optarg)) != 0) {
			if (k < 0)
				return DOT_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'm':
		case OPT_MESSAGE:
			if (text == NULL)
				return cli_usage("-m/--message applies to "
						 "'dot msg send'");
			*text = optarg;
			break;
		case 'h':
			cli_help(help);
			fputs(cli_auth_help, stdout);
			return DOT_EXIT_OK;
		default:
			return cli_badopt(c, argv);
		}
	}
	*pos = argv + optind;
	*npos = argc - optind;
	if (*npos < 1)
		return cli_usage("missing MAILBOX (its path, e.g. "
				 "/home/alice/inbox)");
	if (*npos > npos_max)
		return cli_usage("unexpected argument '%s'", (*pos)[npos_max]);
	if (cli_path_arg("MAILBOX", (*pos)[0]))
		return DOT_EXIT_USAGE;
	if ((k = cli_auth_check(auth)) != 0)
		return k;
	return -1;
}

static int
msg_submit(const struct cli_auth *auth, const char *op, const char *target,
	   const struct dot_buf *args)
{
	struct cli_session s;
	struct dot_receipt *r = NULL;
	struct dot_err e = {0};
	int status;

	if (args->err) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		return cli_fail(&e);
	}
	if (cli_session_open(&s, auth, &e) != DOT_OK ||
	    cli_session_submit(&s, op, args, NULL, 0, &r, &e) != DOT_OK)
		status = cli_session_fail(&s, &e);
	else
		status = cli_receipt_report(op, target, r, NULL, NULL);
	dot_receipt_free(r);
	cli_session_close(&s);
	return status;
}

/* ---- dot msg create ---- */

static const char create_help[] =
    "Creates the mailbox MAILBOX (a path; its directory must exist).\n"
    "It belongs to the account acting, as do the messages sent to it.\n"
    "Right: create.\n"
    "\n"
    "Options:\n";

int
cmd_msg_create(const struct dot_cmd *self, int argc, char **argv)
{
	struct cli_auth auth;
	struct dot_buf args = {0};
	char **pos;
	int npos, status;

	(void)self;
	if ((status = msg_parse(&auth, NULL, argc, argv, create_help, 1, &pos,
				&npos)) >= 0)
		return status;
	dot_enc_map(&args, 1);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, pos[0], strlen(pos[0]));
	status = msg_submit(&auth, "msg.create", pos[0], &args);
	dot_buf_free(&args);
	return status;
}

/* ---- dot msg send ---- */

static const char send_help[] =
    "Sends a message to MAILBOX: the bytes of FILE, of standard input\n"
    "('-', the default), or the TEXT of -m. Right: send on the mailbox.\n"
    "\n"
    "Options:\n"
    "  -m, --message TEXT      the message, instead of FILE or stdin\n";

int
cmd_msg_send(const struct dot_cmd *self, int argc, char **argv)
{
	struct cli_auth auth;
	struct dot_buf body = {0}, args = {0};
	struct dot_err e = {0};
	const char *text = NULL;
	char **pos;
	int npos, status;

	(void)self;
	if ((status = msg_parse(&auth, &text, argc, argv, send_help, 2, &pos,
				&npos)) >= 0)
		return status;
	if (text != NULL && npos > 1)
		return cli_usage("give FILE or -m TEXT, not both");
	if (text != NULL) {
		dot_buf_put(&body, text, strlen(text));
	} else if (cli_read_file(npos > 1 ? pos[1] : "-", DOT_TX_MAX_ARGS,
				 &body, &e) != DOT_OK) {
		status = cli_fail(&e);
		goto out;
	}
	dot_enc_map(&args, 2);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, pos[0], strlen(pos[0]));
	dot_enc_uint(&args, 2);
	dot_enc_bstr(&args, body.data, body.len);
	if (args.len > DOT_TX_MAX_ARGS) {
		dot_err_set(&e, DOT_ETOOBIG,
			    "the message is %zu bytes: one transaction "
			    "carries at most about %u",
			    body.len, DOT_TX_MAX_ARGS - 2048);
		status = cli_fail(&e);
		goto out;
	}
	status = msg_submit(&auth, "msg.send", pos[0], &args);
out:
	dot_buf_free(&body);
	dot_buf_free(&args);
	return status;
}

/* ---- dot msg recv ---- */

static const char recv_help[] =
    "Receives the oldest message of MAILBOX: lists the mailbox, reads\n"
    "the message (msg.read), then consumes it in a transaction. Exactly\n"
    "one receiver gets a message; one that loses the race tries the next\n"
    "oldest (up to 5 times). Writes the body to standard output, byte for\n"
    "byte, and a line naming the message and the receipt to standard\n"
    "error; with --json, prints {ok, ..., mailbox, message_id, size,\n"
    "body_base64} instead. Exits 1 when the mailbox is empty. Rights:\n"
    "list and receive on the mailbox.\n"
    "\n"
    "Options:\n";

struct recv_info {
	const char *mailbox;
	uint8_t id[DOT_OBJECT_ID_LEN];
	uint64_t size;
	struct dot_buf body;
	char *b64;
};

static void
json_recv(struct json *j, void *ctx)
{
	const struct recv_info *ri = ctx;

	json_kstr(j, "mailbox", ri->mailbox);
	json_khex(j, "message_id", ri->id, DOT_OBJECT_ID_LEN);
	json_kuint(j, "size", ri->size);
	json_kstr(j, "body_base64", ri->b64 ? ri->b64 : "");
}

/* The body of message ri->id (msg.read): 1 read, 0 gone meanwhile, -1
 * error (e set). */
static int
read_body(struct cli_session *s, struct recv_info *ri, struct dot_err *e)
{
	struct dot_buf args = {0}, ans = {0};
	struct dot_dec d;
	const uint8_t *p;
	size_t n;
	int rv, k = -1;

	dot_enc_map(&args, 2);
	dot_enc_uint(&args, 1);
	dot_enc_tstr(&args, ri->mailbox, strlen(ri->mailbox));
	dot_enc_uint(&args, 2);
	dot_enc_bstr(&args, ri->id, DOT_OBJECT_ID_LEN);
	rv = cli_session_query_args(s, "msg.read", &args, &ans, e);
	if (rv == DOT_ESTATE_CONFLICT) {
		k = 0;
	} else if (rv == DOT_OK) {
		if (dot_dec_init(&d, ans.data, ans.len, NULL, NULL) != DOT_OK ||
		    dot_dec_bstr(&d, &p, &n) != DOT_OK) {
			dot_err_set(e, DOT_EAPI_FORMAT,
				    "the node's answer to msg.read is not "
				    "bytes");
		} else {
			ri->body.len = 0;
			dot_buf_put(&ri->body, p, n);
			k = ri->body.err ? -1 : 1;
			if (ri->body.err)
				dot_err_set(e, ri->body.err, "out of memory");
		}
	}
	dot_buf_free(&args);
	dot_buf_free(&ans);
	return k;
}

/* Find the oldest message in a fs.ls answer: 1 found, 0 empty, -1 bad. */
static int
oldest(const struct dot_buf *ans, struct recv_info *ri, struct dot_err *e)
{
	struct dot_dec d;
	struct cli_stat st;
	uint64_t count, two, best = UINT64_MAX;
	const char *name;
	size_t nlen;
	int found = 0;

	if (dot_dec_init(&d, ans->data, ans->len, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &count) != DOT_OK)
		goto bad;
	for (uint64_t i = 0; i < count; i++) {
		if (dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
		    dot_dec_tstr(&d, &name, &nlen) != DOT_OK ||
		    cli_stat_dec(&d, &st, e) != DOT_OK)
			goto bad;
		if (st.kind != DOT_OBJ_MESSAGE || (found && st.created >= best))
			continue;
		best = st.created;
		memcpy(ri->id, st.id, DOT_OBJECT_ID_LEN);
		ri->size = st.size;
		found = 1;
	}
	return found;
bad:
	dot_err_set(e, DOT_EAPI_FORMAT,
		    "the node's listing of the mailbox is malformed");
	return -1;
}

int
cmd_msg_recv(const struct dot_cmd *self, int argc, char **argv)
{
	struct cli_auth auth;
	struct cli_session s;
	struct recv_info ri;
	struct dot_receipt *r = NULL;
	struct dot_buf ans = {0}, args = {0};
	struct dot_err e = {0};
	char **pos;
	char hex[2 * DOT_OBJECT_ID_LEN + 1];
	int npos, status, k;

	(void)self;
	memset(&s, 0, sizeof(s));
	s.node.fd = -1;
	if ((status = msg_parse(&auth, NULL, argc, argv, recv_help, 1, &pos,
				&npos)) >= 0)
		return status;
	memset(&ri, 0, sizeof(ri));
	ri.mailbox = pos[0];
	if (cli_session_open(&s, &auth, &e) != DOT_OK)
		goto fail;
	for (int attempt = 0;; attempt++) {
		if (cli_session_query(&s, "fs.ls", pos[0], &ans, &e) != DOT_OK)
			goto fail;
		k = oldest(&ans, &ri, &e);
		if (k < 0) {
			status = cli_fail(&e);
			goto out;
		}
		if (k == 0) {
			dot_err_set(&e, DOT_ESTATE_NOT_FOUND,
				    "%s is empty: no message to receive%s",
				    pos[0],
				    attempt > 0 ? " (others received the "
						  "ones it had)"
						: "");
			status = cli_fail(&e);
			goto out;
		}
		/* The body first: once received, the message is gone. */
		k = read_body(&s, &ri, &e);
		if (k < 0)
			goto fail;
		if (k == 0) {
			if (attempt + 1 == RECV_ATTEMPTS) {
				dot_err_set(&e, DOT_ESTATE_CONFLICT,
					    "other receivers took each "
					    "message first; try again");
				status = cli_fail(&e);
				goto out;
			}
			continue; /* received by another meanwhile */
		}
		args.len = 0;
		dot_enc_map(&args, 2);
		dot_enc_uint(&args, 1);
		dot_enc_tstr(&args, pos[0], strlen(pos[0]));
		dot_enc_uint(&args, 2);
		dot_enc_bstr(&args, ri.id, DOT_OBJECT_ID_LEN);
		dot_receipt_free(r);
		r = NULL;
		if (cli_session_submit(&s, "msg.recv", &args, NULL, 0, &r,
				       &e) != DOT_OK)
			goto fail;
		if (r->status != DOT_ESTATE_CONFLICT ||
		    attempt + 1 == RECV_ATTEMPTS)
			break;
		/* Another receiver got it first: take the next one. */
	}
	if (r->status == DOT_OK && !cli_json()) {
		char tx[2 * DOT_TX_ID_LEN + 1];

		/* The body is the output; the note goes to stderr. */
		if ((ri.body.len > 0 &&
		     fwrite(ri.body.data, 1, ri.body.len, stdout) !=
			     ri.body.len) ||
		    fflush(stdout) != 0) {
			dot_err_set(&e, DOT_EINVAL, "cannot write stdout");
			status = cli_fail(&e);
			goto out;
		}
		cli_hex(hex, ri.id, DOT_OBJECT_ID_LEN);
		cli_hex(tx, r->tx_id, DOT_TX_ID_LEN);
		fprintf(stderr,
			"received message %s (%zu bytes) from %s: ledger "
			"index %" PRIu64 ", tx %s\n",
			hex, ri.body.len, pos[0], r->ledger_index, tx);
		status = DOT_EXIT_OK;
		goto out;
	}
	if (r->status == DOT_OK) {
		size_t cap = sodium_base64_ENCODED_LEN(
			ri.body.len, sodium_base64_VARIANT_ORIGINAL);
		ri.b64 = malloc(cap);
		if (ri.b64 == NULL) {
			dot_err_set(&e, DOT_ENOMEM, "out of memory");
			status = cli_fail(&e);
			goto out;
		}
		sodium_bin2base64(ri.b64, cap,
				  ri.body.len ? ri.body.data
					      : (const uint8_t *)"",
				  ri.body.len, sodium_base64_VARIANT_ORIGINAL);
		ri.size = ri.body.len;
	}
	status = cli_receipt_report("msg.recv", pos[0], r, json_recv, &ri);
	goto out;
fail:
	status = cli_session_fail(&s, &e);
out:
	dot_receipt_free(r);
	dot_buf_free(&ans);
	dot_buf_free(&args);
	dot_buf_free(&ri.body);
	free(ri.b64);
	cli_session_close(&s);
	return status;
}
