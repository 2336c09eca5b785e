/*
 * cmd_quorum.c - cosigned checkpoints and quorum receipts (decision 0018):
 *
 *   dot audit cosigned [--min N] [--keys FILE] [--json]
 *   dot audit receipt verify FILE [--keys FILE] [--quorum N] [--json]
 *   dot --quorum-receipt FILE [--quorum-keys FILE] GROUP COMMAND ...
 *
 * The voters' verifier keys come from a keys file (one Go note verifier key
 * per line, as `dot node list --keys` prints them; '#' comments), never
 * from the node being checked: a quorum receipt is worth only what the keys
 * are. The default keys file is $DOT_DIR/quorum-keys; the quorum is a
 * majority of the keys in it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/tx.h"
#include "dot.h"

#define QK_MAX CLI_QKEYS_MAX
#define qkeys cli_qkeys

/* ---- the keys file ---- */

int
cli_qkeys_load(const char *path, struct cli_qkeys *q, struct dot_err *e)
{
	struct dot_buf b = {0};
	char *s, *line, *save = NULL;
	size_t lineno = 0;
	int rv;

	memset(q, 0, sizeof(*q));
	if (path == NULL) {
		char dir[4096];

		if ((rv = cli_dot_dir(dir, sizeof(dir), e)) != DOT_OK)
			return rv;
		snprintf(q->path, sizeof(q->path), "%s/quorum-keys", dir);
	} else
		snprintf(q->path, sizeof(q->path), "%s", path);
	rv = cli_read_file(q->path, CLI_QKEYS_FILE_MAX, &b, e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e->msg)];

		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		rv = dot_err_set(e, rv,
				 "%s (the voters' verifier keys: save them "
				 "with 'dot node list --keys AUTHORITY > %s' "
				 "and check them out of band)",
				 ctx, q->path);
		goto out;
	}
	dot_buf_put(&b, "", 1); /* NUL */
	if (b.err) {
		rv = DOT_ENOMEM;
		goto out;
	}
	s = (char *)b.data;
	for (line = strtok_r(s, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);

		lineno++;
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r' ||
				   line[len - 1] == '\t'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (q->n == QK_MAX) {
			rv = dot_err_set(e, DOT_ERANGE,
					 "%s: more than %d keys", q->path,
					 QK_MAX);
			goto out;
		}
		if ((rv = dot_audit_vkey_parse(&q->k[q->n], line, len, e)) !=
		    DOT_OK) {
			char ctx[sizeof(e->msg)];

			snprintf(ctx, sizeof(ctx), "%s", e->msg);
			rv = dot_err_set(e, rv,
					 "%s line %zu: not a verifier key "
					 "(NAME+ID+BASE64): %s",
					 q->path, lineno, ctx);
			goto out;
		}
		for (size_t i = 0; i < q->n; i++)
			if (q->k[i].key_len == q->k[q->n].key_len &&
			    memcmp(q->k[i].key, q->k[q->n].key,
				   q->k[i].key_len) == 0) {
				rv = dot_err_set(e, DOT_EAUDIT_KEY,
						 "%s line %zu: the same key "
						 "twice",
						 q->path, lineno);
				goto out;
			}
		q->n++;
	}
	if (q->n == 0)
		rv = dot_err_set(e, DOT_EAUDIT_KEY, "%s holds no key",
				 q->path);
out:
	dot_buf_free(&b);
	return rv;
}

/* ---- --quorum-receipt on writes ---- */

static const char *qr_path, *qr_keys;

void
cli_set_quorum_receipt(const char *path, const char *keys)
{
	qr_path = path;
	qr_keys = keys;
}

int
cli_quorum_receipt_wanted(void)
{
	return qr_path != NULL;
}

/* Parse audit.receipt's answer into a quorum receipt (pointing into it). */
static int
qr_from_answer(const struct dot_buf *ans, const uint8_t txid[DOT_TX_ID_LEN],
	       struct dot_audit_qreceipt *q, struct dot_err *e)
{
	struct dot_dec d;
	uint64_t five, k;
	const uint8_t *pr, *tx;
	size_t prl, txl;
	uint8_t id[DOT_TX_ID_LEN];
	int rv;

	memset(q, 0, sizeof(*q));
	if (dot_dec_init(&d, ans->data, ans->len, NULL, NULL) != DOT_OK ||
	    dot_dec_map(&d, &five) != DOT_OK || five != 5 ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 1 ||
	    dot_dec_tstr(&d, &q->note, &q->note_len) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 2 ||
	    dot_dec_uint(&d, &q->seq) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 3 ||
	    dot_dec_bstr(&d, &pr, &prl) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 4 ||
	    dot_dec_bstr(&d, &tx, &txl) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 5 ||
	    dot_dec_bstr(&d, &q->receipt, &q->receipt_len) != DOT_OK ||
	    !dot_dec_done(&d))
		return dot_err_set(e, DOT_EAPI_FORMAT,
				   "the node's answer to audit.receipt is "
				   "malformed");
	/* The record's tx must be ours (its id recomputed here). */
	{
		struct dot_tx *t = NULL;

		rv = dot_tx_parse(tx, txl, &t, e);
		if (rv == DOT_OK) {
			memcpy(id, t->id, DOT_TX_ID_LEN);
			dot_tx_free(t);
		}
	}
	if (rv != DOT_OK || memcmp(id, txid, DOT_TX_ID_LEN) != 0)
		return dot_err_set(e, DOT_EAUDIT_QRECEIPT_TX,
				   "the node proved another record than this "
				   "tx's");
	memcpy(q->tx_id, txid, DOT_TX_ID_LEN);
	rv = dot_audit_proof_parse(pr, prl, &q->proof, e);
	if (rv == DOT_OK && (q->proof.kind != DOT_AUDIT_PROOF_INCLUSION ||
			     q->proof.index != q->seq))
		rv = dot_err_set(e, DOT_EAUDIT_QRECEIPT_FORMAT,
				 "the node's proof is not for record %" PRIu64,
				 q->seq);
	return rv;
}

int
cli_quorum_receipt(struct cli_node *node, const struct dot_receipt *r,
		   struct dot_err *e)
{
	struct dot_buf params = {0}, ans = {0}, file = {0};
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;
	struct qkeys *keys = calloc(1, sizeof(*keys));
	uint64_t status;
	int rv;

	if (keys == NULL)
		return DOT_ENOMEM;
	if ((rv = cli_qkeys_load(qr_keys, keys, e)) != DOT_OK)
		goto out;
	dot_enc_map(&params, 2);
	dot_enc_uint(&params, 1);
	dot_enc_uint(&params, r->ledger_index);
	dot_enc_uint(&params, 2);
	dot_enc_bstr(&params, r->tx_id, DOT_TX_ID_LEN);
	if ((rv = params.err) != DOT_OK)
		goto out;
	rv = cli_node_call(node, "audit.receipt", params.data, params.len,
			   &status, &ans, e);
	if (rv != DOT_OK)
		goto out;
	if (status != DOT_OK) {
		rv = dot_err_set(e, (int)status,
				 "no quorum receipt: the node: %s",
				 ans.len ? (const char *)ans.data : "");
		goto out;
	}
	if ((rv = qr_from_answer(&ans, r->tx_id, &q, e)) != DOT_OK)
		goto out;
	if (q.receipt_len != r->len || memcmp(q.receipt, r->bytes, r->len)) {
		rv = dot_err_set(e, DOT_EAUDIT_QRECEIPT_TX,
				 "the node proved another receipt than the "
				 "one it answered the submit with");
		goto out;
	}
	rv = dot_audit_qreceipt_verify(&q, keys->k, keys->n, keys->n / 2 + 1,
				       NULL, 0, &res, e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e->msg)];

		snprintf(ctx, sizeof(ctx), "%s", e->msg);
		rv = dot_err_set(e, rv,
				 "the quorum receipt does not check against "
				 "%s: %s",
				 keys->path, ctx);
		goto out;
	}
	if ((rv = dot_audit_qreceipt_encode(&q, &file)) == DOT_OK)
		rv = cli_write_bytes(qr_path, file.data, file.len, e);
	if (rv == DOT_OK && !cli_json())
		fprintf(stderr,
			"quorum receipt: %s (signed by %zu of the %zu voters' "
			"keys in %s; tree size %" PRIu64 ")\n",
			qr_path, res.signers, keys->n, keys->path, res.size);
out:
	free(keys);
	dot_buf_free(&params);
	dot_buf_free(&ans);
	dot_buf_free(&file);
	return rv;
}

/* ---- dot audit cosigned ---- */

static const char cosigned_help[] =
    "Fetches the newest checkpoint of the node's log that a quorum of the\n"
    "cluster's voters signed (a C2SP signed note with one line per node)\n"
    "and checks it against the voters' verifier keys: every line by a key\n"
    "in the keys file must verify, and a majority of those keys must have\n"
    "signed. The node waits up to 10 s for such a checkpoint of at least\n"
    "--min records. Prints the note and who signed it; exits 1 with the\n"
    "reason when it does not check.\n"
    "\n"
    "Options:\n"
    "      --min N      a checkpoint of at least N records (default 1)\n"
    "      --keys FILE  the voters' verifier keys, one per line (default\n"
    "                   $DOT_DIR/quorum-keys; 'dot node list --keys' prints\n"
    "                   them: check them out of band)\n"
    "      --json       print {ok, size, root, signers, keys, quorum, note}\n"
    "  -h, --help       this help\n";

int
cmd_audit_cosigned(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_MIN, OPT_KEYS };
	static const struct option opts[] = {
	    {"min", required_argument, NULL, OPT_MIN},
	    {"keys", required_argument, NULL, OPT_KEYS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_node node = {.fd = -1};
	struct dot_buf params = {0}, ans = {0};
	struct dot_audit_checkpoint *cp = NULL;
	struct qkeys *keys = NULL;
	struct dot_err e = {0};
	const char *kpath = NULL;
	const char *note;
	size_t nlen, quorum;
	uint64_t min = 1, status;
	struct dot_dec d;
	int c, rv, st = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_MIN:
			if (cli_parse_u64(optarg, 0, INT64_MAX, &min) != 0)
				return cli_usage("--min takes a record count");
			break;
		case OPT_KEYS:
			kpath = optarg;
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(cosigned_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	keys = calloc(1, sizeof(*keys));
	if (keys == NULL)
		return cli_fail(&(struct dot_err){DOT_ENOMEM, "out of memory"});
	if ((rv = cli_qkeys_load(kpath, keys, &e)) != DOT_OK)
		goto fail;
	quorum = keys->n / 2 + 1;
	dot_enc_uint(&params, min);
	if ((rv = cli_node_connect(&node, &e)) != DOT_OK ||
	    (rv = cli_node_call(&node, "audit.cosigned", params.data,
				params.len, &status, &ans, &e)) != DOT_OK)
		goto fail;
	if (status != DOT_OK) {
		rv = dot_err_set(&e, (int)status,
				 "the node at %s refused audit.cosigned: %s",
				 node.addr, ans.len ? (const char *)ans.data : "");
		goto fail;
	}
	if (dot_dec_init(&d, ans.data, ans.len, NULL, NULL) != DOT_OK ||
	    dot_dec_tstr(&d, &note, &nlen) != DOT_OK) {
		rv = dot_err_set(&e, DOT_EAPI_FORMAT,
				 "the node's answer to audit.cosigned is not "
				 "a note");
		goto fail;
	}
	if ((rv = dot_audit_checkpoint_open(note, nlen, keys->k, keys->n, NULL,
					    0, &cp, &e)) != DOT_OK)
		goto fail;
	if (cp->size < min) {
		rv = dot_err_set(&e, DOT_EAUDIT_PROOF_RANGE,
				 "the node's checkpoint has %" PRIu64
				 " records, fewer than the %" PRIu64 " asked",
				 cp->size, min);
		goto fail;
	}
	if (cp->note.nverified < quorum) {
		rv = dot_err_set(&e, DOT_EAUDIT_QUORUM,
				 "the checkpoint is signed by %zu of the %zu "
				 "voters' keys in %s; a quorum is %zu",
				 cp->note.nverified, keys->n, keys->path,
				 quorum);
		goto fail;
	}
	if (cli_json()) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_key(&j, "origin");
		json_strn(&j, cp->origin, cp->origin_len);
		json_kuint(&j, "size", cp->size);
		json_khex(&j, "root", cp->root, sizeof(cp->root));
		json_key(&j, "signers");
		json_arr_begin(&j);
		for (size_t i = 0; i < cp->note.nsigs; i++)
			if (cp->note.sigs[i].verified)
				json_strn(&j, cp->note.sigs[i].name,
					  cp->note.sigs[i].name_len);
		json_arr_end(&j);
		json_kuint(&j, "keys", keys->n);
		json_kuint(&j, "quorum", quorum);
		json_key(&j, "note");
		json_strn(&j, note, nlen);
		json_obj_end(&j);
		json_finish(&j);
	} else {
		fwrite(note, 1, nlen, stdout);
		printf("cosigned: %zu of the %zu voters' keys in %s signed "
		       "(a quorum is %zu)\n",
		       cp->note.nverified, keys->n, keys->path, quorum);
	}
	st = DOT_EXIT_OK;
	goto out;
fail:
	st = cli_fail(&e);
out:
	dot_audit_checkpoint_free(cp);
	free(keys);
	cli_node_close(&node);
	dot_buf_free(&params);
	dot_buf_free(&ans);
	return st;
}

/* ---- dot audit receipt verify ---- */

static const char rverify_help[] =
    "Checks a quorum receipt (written by 'dot --quorum-receipt FILE ...')\n"
    "offline, with only the voters' verifier keys: the receipt is the tx's;\n"
    "the checkpoint in it is signed by at least a quorum of the keys (every\n"
    "line by a key in the file must verify); and the record (tx id, receipt\n"
    "hash) is in that checkpoint's tree (RFC 9162 inclusion proof). Then\n"
    "a majority of the voters applied the tx with that result. Prints the\n"
    "receipt's tx, status, ledger index and signers; exits 1 with the\n"
    "reason when anything does not check.\n"
    "\n"
    "Options:\n"
    "      --keys FILE  the voters' verifier keys, one per line (default\n"
    "                   $DOT_DIR/quorum-keys)\n"
    "      --quorum N   signatures needed (default: a majority of the keys)\n"
    "      --json       print {ok, tx, status, ledger_index, seq, size,\n"
    "                   signers, keys, quorum}\n"
    "  -h, --help       this help\n";

int
cmd_audit_receipt_verify(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_KEYS, OPT_QUORUM };
	static const struct option opts[] = {
	    {"keys", required_argument, NULL, OPT_KEYS},
	    {"quorum", required_argument, NULL, OPT_QUORUM},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct dot_buf file = {0};
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;
	struct qkeys *keys = NULL;
	struct dot_err e = {0};
	const char *kpath = NULL;
	uint64_t quorum = 0;
	char hx[2 * DOT_TX_ID_LEN + 1];
	int c, rv, st = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KEYS:
			kpath = optarg;
			break;
		case OPT_QUORUM:
			if (cli_parse_u64(optarg, 1, QK_MAX, &quorum) != 0)
				return cli_usage("--quorum takes 1 to %d",
						 QK_MAX);
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(rverify_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(optind == argc ? "which quorum receipt file?"
						: "one file at a time");
	keys = calloc(1, sizeof(*keys));
	if (keys == NULL)
		return cli_fail(&(struct dot_err){DOT_ENOMEM, "out of memory"});
	if ((rv = cli_qkeys_load(kpath, keys, &e)) != DOT_OK)
		goto fail;
	if (quorum == 0)
		quorum = keys->n / 2 + 1;
	if (quorum > keys->n) {
		st = cli_usage("--quorum %" PRIu64 " is more than the %zu keys",
			       quorum, keys->n);
		goto out;
	}
	if ((rv = cli_read_file(argv[optind], DOT_AUDIT_QRECEIPT_MAX, &file,
				&e)) != DOT_OK)
		goto fail;
	if ((rv = dot_audit_qreceipt_parse(file.data, file.len, &q, &e)) !=
	    DOT_OK) {
		char ctx[sizeof(e.msg)];

		snprintf(ctx, sizeof(ctx), "%s", e.msg);
		rv = dot_err_set(&e, rv, "%s: %s", argv[optind], ctx);
		goto fail;
	}
	rv = dot_audit_qreceipt_verify(&q, keys->k, keys->n, (size_t)quorum,
				       NULL, 0, &res, &e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e.msg)];

		snprintf(ctx, sizeof(ctx), "%s", e.msg);
		rv = dot_err_set(&e, rv, "%s does not check: %s", argv[optind],
				 ctx);
		goto fail;
	}
	cli_hex(hx, q.tx_id, sizeof(q.tx_id));
	if (cli_json()) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "tx", hx);
		json_kstr(&j, "status", res.status == DOT_OK
					    ? "ok"
					    : dot_errname(res.status));
		json_kuint(&j, "ledger_index", res.ledger_index);
		json_kuint(&j, "seq", q.seq);
		json_kuint(&j, "size", res.size);
		json_kuint(&j, "signers", res.signers);
		json_kuint(&j, "keys", keys->n);
		json_kuint(&j, "quorum", quorum);
		json_obj_end(&j);
		json_finish(&j);
	} else
		printf("verified: tx %s, %s, ledger index %" PRIu64
		       ", record %" PRIu64 " of a checkpoint of %" PRIu64
		       " records signed by %zu of the %zu voters' keys (a "
		       "quorum is %" PRIu64 ")\n",
		       hx, res.status == DOT_OK ? "ok" : dot_errname(res.status),
		       res.ledger_index, q.seq, res.size, res.signers, keys->n,
		       quorum);
	st = DOT_EXIT_OK;
	goto out;
fail:
	st = cli_fail(&e);
out:
	free(keys);
	dot_buf_free(&file);
	return st;
}

/* dot audit receipt verify ...: the one subcommand of "receipt". */
int
cmd_audit_receipt(const struct dot_cmd *self, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return cmd_audit_receipt_verify(self, argc - 1, argv + 1);
	if (argc >= 2 &&
	    (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		return cli_help(rverify_help);
	if (argc < 2)
		return cli_usage("which: dot audit receipt verify FILE");
	return cli_usage("unknown: dot audit receipt %s (there is 'verify')",
			 argv[1]);
}
