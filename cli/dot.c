/*
 * dot.c - the Doteros command line: the table of subcommands and the
 * dispatcher (docs/man/dot.1).
 *
 *   dot GROUP VERB [options] [arguments]
 *
 * Each row of dot_cmds[] names a group, a verb and the function that runs
 * it; each group lives in a file of its own (cmd_key.c, cmd_cap.c). The
 * dispatcher finds the row and hands the function argv from the verb on.
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
	 "[NAME] [-o FILE] [--force] [--passphrase-file F] [--json]",
	 "Create a signing key and store it encrypted with a passphrase"},
	{"key", "show", cmd_key_show, "[NAME|FILE] [--json]",
	 "Print the public key, key id and suite of a key file"},
	{"key", "list", cmd_key_list, "[--json]",
	 "List the keys in $DOT_DIR/keys"},
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
	 "F] [--passphrase-file F] [--json]",
	 "Verify a token for a request, with the holder's proof of "
	 "possession"},
};
const size_t dot_ncmds = sizeof(dot_cmds) / sizeof(dot_cmds[0]);

struct dot_group {
	const char *name;
	const char *summary;
};

static const struct dot_group groups[] = {
	{"key", "signing keys in passphrase-protected key files"},
	{"cap", "capability tokens: mint, attenuate, inspect, verify"},
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
	for (size_t i = 0; i < dot_ncmds; i++)
		if (strcmp(dot_cmds[i].group, group) == 0 &&
		    strcmp(dot_cmds[i].name, name) == 0)
			return &dot_cmds[i];
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
		"usage: dot GROUP COMMAND [options] [arguments]\n"
		"       dot help [GROUP [COMMAND]]\n"
		"       dot --version\n\n"
		"The Doteros command line.\n");
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		fprintf(f, "\n%s: %s\n", groups[g].name, groups[g].summary);
		for (size_t i = 0; i < dot_ncmds; i++)
			if (strcmp(dot_cmds[i].group, groups[g].name) == 0)
				fprintf(f, "  dot %s %-10s %s\n",
					groups[g].name, dot_cmds[i].name,
					dot_cmds[i].summary);
	}
	fprintf(f,
		"\nEvery command takes -h/--help; commands that print data "
		"take --json.\n"
		"Exit status: 0 success, 1 error or refusal, 2 usage.\n"
		"Environment: DOT_DIR (default ~/.doteros), DOT_PASSPHRASE.\n"
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
	const struct dot_group *g;
	const struct dot_cmd *c;

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
	if (strcmp(argv[1], "help") == 0)
		return help(argc - 2, argv + 2);
	if ((g = find_group(argv[1])) == NULL) {
		fprintf(stderr, "dot: unknown command '%s'; run 'dot help' for "
				"the list\n",
			argv[1]);
		return DOT_EXIT_USAGE;
	}
	if (argc < 3) {
		print_group(stderr, g);
		return DOT_EXIT_USAGE;
	}
	if (strcmp(argv[2], "help") == 0) { /* dot key help [COMMAND] */
		char *hargv[] = {argv[1], argc > 3 ? argv[3] : NULL, NULL};
		if (argc > 4)
			return cli_usage_top("too many arguments to help");
		return help(argc > 3 ? 2 : 1, hargv);
	}
	if (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0) {
		print_group(stdout, g);
		return DOT_EXIT_OK;
	}
	if ((c = find_cmd(g->name, argv[2])) == NULL) {
		fprintf(stderr, "dot %s: unknown command '%s'; run 'dot help "
				"%s' for the list\n",
			g->name, argv[2], g->name);
		return DOT_EXIT_USAGE;
	}
	return run(c, argc - 2, argv + 2);
}
