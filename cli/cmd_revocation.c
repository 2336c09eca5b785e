/*
 * cmd_revocation.c - dot revocation feed | lookup: the revocation feed for
 * verifiers outside the cluster (docs/revocation-feed.md).
 *
 * A service that verifies Doteros tokens offline refreshes the feed (a
 * Bloom filter of the revoked ids, signed by a node) now and then, and
 * asks for an exact answer only when a token's block hits the filter;
 * `dot cap verify --feed FILE --answer FILE` is such a verifier.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/codec.h"
#include "doteros/revfeed.h"
#include "dot.h"

/* One call, a byte-string answer into out; the node's refusal an error. */
static int
call_bytes(const char *method, const uint8_t *params, size_t plen,
	   struct dot_buf *out, char *addr, size_t addrcap, struct dot_err *e)
{
	struct cli_node node = {.fd = -1};
	struct dot_buf ans = {0};
	struct dot_dec d;
	const uint8_t *p;
	size_t n;
	uint64_t status;
	int rv;

	if ((rv = cli_node_connect(&node, e)) != DOT_OK ||
	    (rv = cli_node_call(&node, method, params, plen, &status, &ans,
				e)) != DOT_OK)
		goto out;
	snprintf(addr, addrcap, "%.250s", node.addr);
	if (status != DOT_OK) {
		rv = dot_err_set(e, (int)status, "the node at %s refused %s: %s",
				 node.addr, method,
				 ans.len ? (const char *)ans.data : "");
		goto out;
	}
	if (dot_dec_init(&d, ans.data, ans.len, NULL, NULL) != DOT_OK ||
	    dot_dec_bstr(&d, &p, &n) != DOT_OK) {
		rv = dot_err_set(e, DOT_EAPI_FORMAT,
				 "the node's answer to %s is not bytes",
				 method);
		goto out;
	}
	dot_buf_put(out, p, n);
	rv = out->err;
out:
	dot_buf_free(&ans);
	cli_node_close(&node);
	return rv;
}

/* ---- dot revocation feed ---- */

static const char feed_help[] =
    "Fetches the node's revocation feed: every revoked revocation id as a\n"
    "Bloom filter (false-positive rate 1e-6), stamped with the ledger index\n"
    "it reflects and the time it was made, signed by the node's key. A\n"
    "verifier outside the cluster loads it ('dot cap verify --feed') and\n"
    "refreshes it now and then: a token revoked after the feed was made\n"
    "passes there until the next refresh (docs/revocation-feed.md §7).\n"
    "The feed's signature is not checked here: the verifier checks it.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  write the feed there (default: stdout, binary)\n"
    "      --json         print {ok, file, bytes, index, created, ids}\n"
    "  -h, --help         this help\n";

int
cmd_revocation_feed(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const uint8_t empty[] = {0xa0}; /* {} */
	struct dot_buf feed = {0};
	struct dot_err e = {0};
	const char *out = NULL;
	char addr[300] = "";
	int c, st = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(feed_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (out == NULL && cli_json())
		return cli_usage("--json needs -o FILE (the feed is binary)");
	if (call_bytes("revocation.feed", empty, sizeof(empty), &feed, addr,
		       sizeof(addr), &e) != DOT_OK)
		goto fail;
	if (out == NULL) {
		if (fwrite(feed.data, 1, feed.len, stdout) != feed.len) {
			dot_err_set(&e, DOT_EINVAL, "cannot write to stdout");
			goto fail;
		}
		st = DOT_EXIT_OK;
		goto done;
	}
	if (cli_write_bytes(out, feed.data, feed.len, &e) != DOT_OK)
		goto fail;
	if (cli_json()) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "file", out);
		json_kuint(&j, "bytes", feed.len);
		json_kstr(&j, "node", addr);
		json_obj_end(&j);
		json_finish(&j);
	} else
		printf("revocation feed: %s (%zu bytes, from %s)\n", out,
		       feed.len, addr);
	st = DOT_EXIT_OK;
	goto done;
fail:
	st = cli_fail(&e);
done:
	dot_buf_free(&feed);
	return st;
}

/* ---- dot revocation lookup ---- */

static const char lookup_help[] =
    "Asks the node whether one revocation id (64 hex digits) is revoked:\n"
    "a signed exact answer, \"revoked\" or \"not revoked as of ledger\n"
    "index I\", for a verifier whose feed has a filter hit on that id\n"
    "('dot cap verify --answer FILE'). The signature is not checked here.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  write the answer there (default: stdout, binary)\n"
    "      --json         print {ok, file, bytes}\n"
    "  -h, --help         this help\n";

int
cmd_revocation_lookup(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct dot_buf ans = {0}, params = {0};
	struct dot_err e = {0};
	const char *out = NULL;
	uint8_t rid[DOT_RID_LEN];
	char addr[300] = "";
	int c, st = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(lookup_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("give one revocation id (64 hex digits)");
	if (strlen(argv[optind]) != 2 * DOT_RID_LEN ||
	    cli_parse_hex(argv[optind], rid, sizeof(rid)) != 0)
		return cli_usage("'%s' is not a revocation id (64 hex digits)",
				 argv[optind]);
	if (out == NULL && cli_json())
		return cli_usage("--json needs -o FILE (the answer is binary)");
	dot_enc_bstr(&params, rid, sizeof(rid));
	if (call_bytes("revocation.lookup", params.data, params.len, &ans,
		       addr, sizeof(addr), &e) != DOT_OK)
		goto fail;
	if (out == NULL) {
		if (fwrite(ans.data, 1, ans.len, stdout) != ans.len) {
			dot_err_set(&e, DOT_EINVAL, "cannot write to stdout");
			goto fail;
		}
		st = DOT_EXIT_OK;
		goto done;
	}
	if (cli_write_bytes(out, ans.data, ans.len, &e) != DOT_OK)
		goto fail;
	if (cli_json()) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "file", out);
		json_kuint(&j, "bytes", ans.len);
		json_obj_end(&j);
		json_finish(&j);
	} else
		printf("revocation answer: %s (%zu bytes, from %s)\n", out,
		       ans.len, addr);
	st = DOT_EXIT_OK;
	goto done;
fail:
	st = cli_fail(&e);
done:
	dot_buf_free(&ans);
	dot_buf_free(&params);
	return st;
}
