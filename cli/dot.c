/*
 * dot.c - the Doteros command line: the table of subcommands and the
 * dispatcher (docs/man/dot.1).
 *
 *   dot GROUP VERB [options] [arguments]
 *   dot COMMAND [options] [arguments]     (init, status)
 *
 * Each row of dot_cmds[] names a group, a verb and the function that runs
 * it; each group lives in a file of its own (cmd_key.c, cmd_cap.c). The
 * dispatcher finds the row and hands the function argv from the verb on.
 * A row without a verb is a group that is itself a command ("dot init"):
 * its function gets argv from the group name on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dot.h"

#ifndef DOT_VERSION
#define DOT_VERSION "0.0.0"
#endif

const struct dot_cmd dot_cmds[] = {
	{"key", "new", cmd_key_new,
	 "[NAME] [--kind sign|seal] [-o FILE] [--force] [--passphrase-file F] "
	 "[--json]",
	 "Create a signing (or sealing) key, encrypted with a passphrase"},
	{"key", "show", cmd_key_show, "[NAME|FILE] [--json]",
	 "Print the public key, key id and suite of a key file"},
	{"key", "list", cmd_key_list, "[--json]",
	 "List the keys in $DOT_DIR/keys"},
	{"seal", NULL, cmd_seal,
	 "-r RECIPIENT [-r RECIPIENT]... [--bind TEXT] [--anonymous] "
	 "[-o OUT] [--json] [IN]",
	 "Seal a file to X-Wing public keys (post-quantum hybrid)"},
	{"open", NULL, cmd_open,
	 "--key KEY [--bind TEXT] [-o OUT] [--passphrase-file F] [--json] "
	 "[IN] | --info [--key KEY] [--bind TEXT] [--json] [IN]",
	 "Open a sealed file with an X-Wing key, or show its header"},
	{"cap", "mint", cmd_cap_mint,
	 "--key ISSUER --holder PK --resource PATH|obj:HEX32 --rights LIST "
	 "[--not-before T] [--expires T] [--path P] [--label L]... "
	 "[--max-depth N] [-o FILE] [--passphrase-file F] [--json]",
	 "Issue a capability token signed by the issuer key"},
	{"cap", "attenuate", cmd_cap_attenuate,
	 "TOKEN --key HOLDER --holder NEXT [--rights LIST] [--not-before T] "
	 "[--expires T] [--path P] [--label L]... [--max-depth N] [-o FILE] "
	 "[--passphrase-file F] [--json]",
	 "Narrow a token and hand it to the next holder, offline"},
	{"cap", "inspect", cmd_cap_inspect, "TOKEN [--json]",
	 "Decode a token and print every block, without verifying it"},
	{"cap", "verify", cmd_cap_verify,
	 "TOKEN --issuer PK --key HOLDER --rights LIST [--path P | --object "
	 "HEX32] [--label L]... [--at T] [--revoked RID]... [--revoked-file "
	 "F] [--feed F --feed-key PK... --feed-cluster HEX [--answer F]...] "
	 "[--passphrase-file F] [--json]",
	 "Verify a token for a request, with the holder's proof of "
	 "possession"},
	{"cap", "grant", cmd_cap_grant, "TOKEN --as ISSUER@LEVEL --key KEY... "
	 "[--passphrase-file F] [--json]",
	 "Record a minted token's grant in the ledger, for audit"},
	{"cap", "revoke", cmd_cap_revoke,
	 "TOKEN --block N (--as ACCOUNT@LEVEL --key KEY... | --token MINE "
	 "--key HOLDER) [--passphrase-file F] [--json]",
	 "Revoke a token's block N and everything derived from it"},
	{"init", NULL, cmd_init,
	 "--admin-key NAME|FILE|PK [--dir DIR] [--admin NAME] [--cluster-id "
	 "HEX32] [--raft-addr HOST:PORT] [--api-addr HOST:PORT] [--json]",
	 "Create a node's data directory and the cluster's genesis"},
	{"status", NULL, cmd_status, "[--json]",
	 "Show the node's ledger index, time, cluster, state hash and admin"},
	{"fs", "ls", cmd_fs_ls, "[PATH] AUTHORITY [--json]",
	 "List a directory or mailbox"},
	{"fs", "cat", cmd_fs_cat, "PATH AUTHORITY [--json]",
	 "Write a file's content to standard output"},
	{"fs", "put", cmd_fs_put,
	 "PATH [FILE|-] AUTHORITY [--expect-version N] [--json]",
	 "Create or replace a file with the content of FILE or stdin"},
	{"fs", "append", cmd_fs_append,
	 "PATH [FILE|-] AUTHORITY [--expect-version N] [--json]",
	 "Append FILE or stdin to an existing file"},
	{"fs", "mkdir", cmd_fs_mkdir, "PATH AUTHORITY [--json]",
	 "Create a directory"},
	{"fs", "mv", cmd_fs_mv, "FROM TO AUTHORITY [--expect-version N] [--json]",
	 "Move or rename a file, directory or mailbox"},
	{"fs", "rm", cmd_fs_rm, "PATH AUTHORITY [--expect-version N] [--json]",
	 "Remove a file, an empty directory or an empty mailbox"},
	{"fs", "stat", cmd_fs_stat, "PATH AUTHORITY [--json]",
	 "Show an object's id, kind, version, size, owner and policy"},
	{"fs", "chown", cmd_fs_chown, "PATH ACCOUNT AUTHORITY [--json]",
	 "Hand an object, and authority over its subtree, to an account"},
	{"fs", "policy", cmd_fs_policy,
	 "PATH record-reads|none AUTHORITY [--json]",
	 "Set an object's policy: whether its reads are recorded"},
	{"msg", "create", cmd_msg_create, "MAILBOX AUTHORITY [--json]",
	 "Create a mailbox"},
	{"msg", "send", cmd_msg_send,
	 "MAILBOX [FILE|-] [-m TEXT] AUTHORITY [--json]",
	 "Send a message (FILE, stdin or TEXT) to a mailbox"},
	{"msg", "recv", cmd_msg_recv, "MAILBOX AUTHORITY [--json]",
	 "Receive (consume) the oldest message of a mailbox"},
	{"account", "create", cmd_account_create,
	 "NAME --pubkey PK... [--weight W...] [--threshold N] [--expires T] "
	 "AUTHORITY [--json]",
	 "Create an account whose owner and active levels are these keys"},
	{"account", "set-level", cmd_account_set_level,
	 "ACCOUNT LEVEL --pubkey PK... [--weight W...] [--threshold N] "
	 "--as ACCOUNT@owner --key KEY... [--json]",
	 "Set a permission level's keys, weights and threshold"},
	{"account", "set-expiry", cmd_account_set_expiry,
	 "ACCOUNT TIME|never AUTHORITY [--json]",
	 "Set when an account expires, or clear it (never)"},
	{"account", "show", cmd_account_show, "ACCOUNT AUTHORITY [--json]",
	 "Show an account's expiry, levels, thresholds, keys and weights"},
	{"audit", "log", cmd_audit_log, "[--from SEQ] [--count N] [--json]",
	 "List ledger records, each proved against the signed checkpoint"},
	{"audit", "prove", cmd_audit_prove, "SEQ [--json]",
	 "Prove that a ledger record is in the node's signed audit log"},
	{"audit", "verify", cmd_audit_verify,
	 "[--node-key KEY | --keys FILE] [--recent N] [--json] | --dir DIR "
	 "[--json]",
	 "Check the node's signed log, or a data directory offline"},
	{"audit", "cosigned", cmd_audit_cosigned,
	 "[--min N] [--keys FILE] [--json]",
	 "The newest checkpoint a quorum of the voters signed, checked"},
	{"audit", "receipt", cmd_audit_receipt,
	 "verify FILE [--keys FILE] [--quorum N] [--json]",
	 "Check a quorum receipt offline with the voters' keys"},
	{"revocation", "feed", cmd_revocation_feed, "[-o FILE] [--json]",
	 "The node's signed revocation feed, for offline verifiers"},
	{"revocation", "lookup", cmd_revocation_lookup,
	 "RID [-o FILE] [--json]",
	 "A signed exact answer: is this revocation id revoked?"},
	{"node", "list", cmd_node_list, "[--keys] AUTHORITY [--json]",
	 "List the cluster's nodes: keys, raft ids, addresses, roles"},
	{"node", "invite", cmd_node_invite,
	 "[--role voter|standby|observer] [--expires DURATION|TIME] "
	 "AUTHORITY [--json]",
	 "Invite one node to join: prints a secret dotinv1 string"},
	{"node", "join", cmd_node_join,
	 "--invite STRING|FILE|- --dir DIR [--raft-addr HOST:PORT] "
	 "[--api-addr HOST:PORT] [--json]",
	 "Join the cluster with an invitation and the node key in DIR"},
	{"node", "remove", cmd_node_remove, "KEY|RAFT-ID AUTHORITY [--json]",
	 "Remove a node from the cluster, for good"},
	{"node", "promote", cmd_node_promote, "KEY|RAFT-ID AUTHORITY [--json]",
	 "Make a node a voter"},
	{"node", "demote", cmd_node_demote,
	 "KEY|RAFT-ID [--role standby|observer] AUTHORITY [--json]",
	 "Make a voter a standby (or an observer)"},
	{"dev", NULL, cmd_dev,
	 "[--nodes N] [--dir DIR] [--keep] [--dotd PATH] [--json]",
	 "Start a local cluster on loopback and print its environment"},
	{"shell", NULL, cmd_shell,
	 "[--as ACCOUNT@LEVEL --key KEY... | --token TOKEN --key HOLDER] "
	 "[--passphrase-file F]",
	 "An interactive shell: DOS and Unix commands over the node's files"},
};
const size_t dot_ncmds = sizeof(dot_cmds) / sizeof(dot_cmds[0]);

struct dot_group {
	const char *name;
	const char *summary;
};

static const struct dot_group groups[] = {
	{"key", "signing and sealing keys in passphrase-protected key files"},
	{"seal", "seal a file so only its recipients' keys open it"},
	{"open", "open a sealed file with one's X-Wing key"},
	{"cap", "capability tokens: mint, attenuate, inspect, verify, "
		"grant, revoke"},
	{"init", "create a node's data directory and genesis"},
	{"status", "the state of the node"},
	{"fs", "files and directories on the node"},
	{"msg", "mailboxes: messages received exactly once"},
	{"account", "accounts and their permission levels"},
	{"audit", "audit log: records, inclusion proofs, verification"},
	{"node", "the cluster's nodes: list, invite, join, remove, roles"},
	{"revocation", "the revocation feed for verifiers outside the cluster"},
	{"dev", "a local cluster for development, in one command"},
	{"shell", "an interactive shell over the node (DIR, TYPE, ls, cat...)"},
};

static const struct dot_group *
find_group(const char *name)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

static const struct dot_cmd *
find_cmd(const char *group, const char *name)
{
	for (size_t i = 0; i < dot_ncmds; i++) {
		const struct dot_cmd *c = &dot_cmds[i];

		if (strcmp(c->group, group) != 0)
			continue;
		if (name == NULL ? c->name == NULL
				 : c->name != NULL && strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

static void
print_group(FILE *f, const struct dot_group *g)
{
	fprintf(f, "usage: dot %s COMMAND [options]\n\n%s%s.\n\nCommands:\n",
		g->name, "Doteros ", g->summary);
	for (size_t i = 0; i < dot_ncmds; i++)
		if (strcmp(dot_cmds[i].group, g->name) == 0)
			fprintf(f, "  %-10s %s\n", dot_cmds[i].name,
				dot_cmds[i].summary);
	fprintf(f, "\nRun 'dot %s COMMAND --help' for a command's options.\n",
		g->name);
}

static void
print_top(FILE *f)
{
	fprintf(f,
		"usage: dot [--addr HOST:PORT] [--consistent] "
		"[--quorum-receipt FILE [--quorum-keys FILE]]\n"
		"           [--classic-channel]\n"
		"           GROUP COMMAND [options] "
		"[arguments]\n"
		"       dot help [GROUP [COMMAND]]\n"
		"       dot --version\n\n"
		"The Doteros command line.\n");
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		fprintf(f, "\n%s: %s\n", groups[g].name, groups[g].summary);
		for (size_t i = 0; i < dot_ncmds; i++) {
			if (strcmp(dot_cmds[i].group, groups[g].name) != 0)
				continue;
			if (dot_cmds[i].name == NULL) /* dot init */
				fprintf(f, "  dot %-14s %s\n", groups[g].name,
					dot_cmds[i].summary);
			else
				fprintf(f, "  dot %s %-10s %s\n",
					groups[g].name, dot_cmds[i].name,
					dot_cmds[i].summary);
		}
	}
	fprintf(f,
		"\nEvery command takes -h/--help; commands that print data "
		"take --json.\n"
		"Exit status: 0 success, 1 error or refusal, 2 usage.\n"
		"Environment: DOT_DIR (default ~/.doteros), DOT_PASSPHRASE,\n"
		"DOT_ADDR (the node, or --addr; default "
		"unix:$DOT_DIR/node/dotd.sock),\n"
		"DOT_KEY and DOT_CLUSTER (TCP: the key to connect with when "
		"the command\n"
		"has no --key, the cluster id on first contact), DOT_TIMEOUT,\n"
		"DOT_CHANNEL_KEM (TCP: x-wing, the default, or classic, as "
		"--classic-channel).\n"
		"See dot(1).\n");
}

static int
cli_usage_top(const char *msg)
{
	fprintf(stderr, "dot: %s; run 'dot help' for the list\n", msg);
	return DOT_EXIT_USAGE;
}

static int
run(const struct dot_cmd *c, int argc, char **argv)
{
	cli_begin(c);
	return c->run(c, argc, argv);
}

/* dot help [GROUP [COMMAND]] */
static int
help(int argc, char **argv)
{
	const struct dot_group *g;
	const struct dot_cmd *c;
	char *hargv[] = {NULL, "--help", NULL};

	if (argc == 0) {
		print_top(stdout);
		return DOT_EXIT_OK;
	}
	if ((g = find_group(argv[0])) == NULL) {
		fprintf(stderr, "dot help: no command group '%s'; run 'dot "
				"help' for the list\n",
			argv[0]);
		return DOT_EXIT_USAGE;
	}
	if (argc == 1 && (c = find_cmd(g->name, NULL)) != NULL) {
		hargv[0] = (char *)c->group;
		return run(c, 2, hargv);
	}
	if (argc == 1) {
		print_group(stdout, g);
		return DOT_EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr, "dot help: too many arguments; usage: dot help "
				"[GROUP [COMMAND]]\n");
		return DOT_EXIT_USAGE;
	}
	if ((c = find_cmd(g->name, argv[1])) == NULL) {
		fprintf(stderr, "dot help: no command 'dot %s %s'; run 'dot "
				"help %s' for the list\n",
			g->name, argv[1], g->name);
		return DOT_EXIT_USAGE;
	}
	hargv[0] = (char *)c->name;
	return run(c, 2, hargv);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		print_top(stderr);
		return DOT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("dot %s (libsodium %s)\n", DOT_VERSION,
		       sodium_version_string());
		return DOT_EXIT_OK;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		print_top(stdout);
		return DOT_EXIT_OK;
	}
	if (dot_crypto_init() != DOT_OK) {
		fprintf(stderr, "dot: cannot start libsodium\n");
		return DOT_EXIT_FAIL;
	}
	/* Global options, in any order: --addr HOST:PORT (the node, as
	 * DOT_ADDR); --consistent (linearizable reads, through the leader);
	 * --quorum-receipt FILE [--quorum-keys FILE] (writes wait for their
	 * quorum receipt, cmd_quorum.c); --classic-channel (a TCP channel
	 * without the X-Wing step, for a node older than it). */
	{
		const char *qr = NULL, *qk = NULL;

		for (;;) {
			if (argc >= 2 && strncmp(argv[1], "--addr", 6) == 0 &&
			    (argv[1][6] == '\0' || argv[1][6] == '=')) {
				const char *a = argv[1][6] == '=' ? argv[1] + 7
								  : argv[2];
				int used = argv[1][6] == '=' ? 1 : 2;

				if (a == NULL || a[0] == '\0')
					return cli_usage_top(
					    "--addr needs HOST:PORT or "
					    "unix:/path");
				if (setenv("DOT_ADDR", a, 1) != 0)
					return cli_usage_top(
					    "cannot set DOT_ADDR");
				argc -= used;
				argv += used;
			} else if (argc >= 2 &&
				   strcmp(argv[1], "--classic-channel") == 0) {
				/* as DOT_CHANNEL_KEM=classic (cli/chan.c) */
				if (setenv("DOT_CHANNEL_KEM", "classic", 1) !=
				    0)
					return cli_usage_top(
					    "cannot set DOT_CHANNEL_KEM");
				argc -= 1;
				argv += 1;
			} else if (argc >= 2 &&
				   strcmp(argv[1], "--consistent") == 0) {
				cli_set_consistent(1);
				argc -= 1;
				argv += 1;
			} else if (argc >= 2 &&
				   (strcmp(argv[1], "--quorum-receipt") == 0 ||
				    strcmp(argv[1], "--quorum-keys") == 0)) {
				if (argc < 3 || argv[2][0] == '\0')
					return cli_usage_top(
					    "--quorum-receipt and --quorum-keys "
					    "need a FILE");
				if (argv[1][9] == 'r')
					qr = argv[2];
				else
					qk = argv[2];
				argc -= 2;
				argv += 2;
			} else
				break;
		}
		if (qk != NULL && qr == NULL)
			return cli_usage_top("--quorum-keys goes with "
					     "--quorum-receipt FILE");
		if (qr != NULL)
			cli_set_quorum_receipt(qr, qk);
	}
	return dot_dispatch(argc - 1, argv + 1);
}

int
dot_dispatch(int argc, char **argv)
{
	const struct dot_group *g;
	const struct dot_cmd *c;

	if (argc < 1)
		return cli_usage_top("no command");
	if (strcmp(argv[0], "help") == 0)
		return help(argc - 1, argv + 1);
	if ((g = find_group(argv[0])) == NULL) {
		fprintf(stderr, "dot: unknown command '%s'; run 'dot help' for "
				"the list\n",
			argv[0]);
		return DOT_EXIT_USAGE;
	}
	if ((c = find_cmd(g->name, NULL)) != NULL) /* dot init ... */
		return run(c, argc, argv);
	if (argc < 2) {
		print_group(stderr, g);
		return DOT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0) { /* dot key help [COMMAND] */
		char *hargv[] = {argv[0], argc > 2 ? argv[2] : NULL, NULL};
		if (argc > 3)
			return cli_usage_top("too many arguments to help");
		return help(argc > 2 ? 2 : 1, hargv);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		print_group(stdout, g);
		return DOT_EXIT_OK;
	}
	if ((c = find_cmd(g->name, argv[1])) == NULL) {
		fprintf(stderr, "dot %s: unknown command '%s'; run 'dot help "
				"%s' for the list\n",
			g->name, argv[1], g->name);
		return DOT_EXIT_USAGE;
	}
	return run(c, argc - 1, argv + 1);
}
