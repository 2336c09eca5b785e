/*
 * cmd_init.c - dot init: create a node's data directory, its node key
 * (DIR/node.seed, as dotd makes it) and the cluster's genesis entry
 * (include/doteros/state.h), offline. The genesis names the admin account
 * and this node, the cluster's first voter (docs/decisions/0017). dotd
 * applies DIR/genesis as ledger entry 1 when it first starts with --dir
 * DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/state.h"
#include "dot.h"

static const char init_help[] =
    "Creates the node's data directory DIR (default $DOT_DIR/node, mode\n"
    "0700), its node key DIR/node.seed (a fresh random seed, mode 0600;\n"
    "an existing one is used) and writes DIR/genesis: the cluster id; its\n"
    "crypto policy; the admin account, whose owner and active levels are\n"
    "the admin key (weight 1, threshold 1); and this node, the cluster's\n"
    "first voter, with its raft and API addresses. Needs no running node\n"
    "and no passphrase (only the key's public half is read). Refuses when\n"
    "DIR/genesis exists. Then start the node with: dotd --dir DIR\n"
    "More nodes join by invitation: see dot node invite.\n"
    "\n"
    "The crypto policy (docs/crypto.md §14) is fixed for the cluster's\n"
    "life. Under hybrid, the default, every account, node and invitation\n"
    "key, every token's issuer and holder, and so every transaction,\n"
    "receipt and checkpoint, is signed with the composite ML-DSA-65 +\n"
    "Ed25519 (suite ed25519+ml-dsa-65, what 'dot key new' makes), and\n"
    "the nodes' channels require the X-Wing step. classic takes Ed25519\n"
    "keys too; hybrid+classic-attenuation lets token holders (attenuation\n"
    "blocks and their requests) stay Ed25519 (docs/threat-model.md).\n"
    "\n"
    "Options:\n"
    "      --admin-key K       the admin's key: a key NAME, FILE, or its "
    "public key dotpk1...\n"
    "      --dir DIR           the node's data directory (default "
    "$DOT_DIR/node)\n"
    "      --admin NAME        the admin account's name (default admin; "
    "[a-z0-9._-], 1-64)\n"
    "      --policy P          the crypto policy: hybrid (default), "
    "classic or\n"
    "                          hybrid+classic-attenuation\n"
    "      --cluster-id HEX32  the cluster id, 32 hex digits (default "
    "random)\n"
    "      --raft-addr H:P     the node's node-to-node (raft) address "
    "(default\n"
    "                          127.0.0.1:7401)\n"
    "      --api-addr H:P      the node's client API address, as other "
    "machines\n"
    "                          reach it (default none)\n"
    "      --json              print {ok, dir, genesis, cluster_id, policy, "
    "admin,\n"
    "                          admin_key, node_key, raft_id, raft_addr, "
    "api_addr, ...}\n"
    "  -h, --help              this help\n";

static int
account_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DOT_TX_MAX_ACCOUNT)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Write the genesis bytes to a new file (never replacing one). */
static int
write_genesis(const char *dir, const char *path, const struct dot_buf *g,
	      struct dot_err *e)
{
	int fd, dfd, rv = DOT_OK;
	size_t off = 0;
	ssize_t w;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 && errno == EEXIST)
		return dot_err_set(e, DOT_EINVAL,
				   "%s exists: this node directory is already "
				   "initialized (start it with: dotd --dir "
				   "%s); to start over, remove %s first",
				   path, dir, dir);
	if (fd < 0)
		return dot_err_set(e, DOT_EINVAL, "cannot create %s: %s", path,
				   strerror(errno));
	while (off < g->len) {
		w = write(fd, g->data + off, g->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rv = dot_err_set(e, DOT_EINVAL, "cannot write %s: %s",
					 path, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		rv = dot_err_set(e, DOT_EINVAL, "cannot write %s: %s", path,
				 strerror(errno));
out:
	if (close(fd) != 0 && rv == DOT_OK)
		rv = dot_err_set(e, DOT_EINVAL, "cannot write %s: %s", path,
				 strerror(errno));
	if (rv != DOT_OK) {
		unlink(path);
		return rv;
	}
	/* Make the new name durable too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return DOT_OK;
}

int
cmd_init(const struct dot_cmd *self, int argc, char **argv)
{
	enum {
		OPT_DIR = 256,
		OPT_ADMIN_KEY,
		OPT_ADMIN,
		OPT_CLUSTER,
		OPT_JSON,
		OPT_RAFT,
		OPT_API,
		OPT_POLICY
	};
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"admin-key", required_argument, NULL, OPT_ADMIN_KEY},
	    {"admin", required_argument, NULL, OPT_ADMIN},
	    {"cluster-id", required_argument, NULL, OPT_CLUSTER},
	    {"raft-addr", required_argument, NULL, OPT_RAFT},
	    {"api-addr", required_argument, NULL, OPT_API},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const uint8_t zero[DOT_CLUSTER_ID_LEN];
	const char *dir_arg = NULL, *key = NULL, *admin = "admin";
	const char *cluster_arg = NULL, *policy_arg = NULL;
	const char *raft_addr = "127.0.0.1:7401", *api_addr = "";
	char dir[4000], ddir[4000], path[4100], hex[2 * DOT_CLUSTER_ID_LEN + 1];
	char pktext[DOT_PK_TEXT_MAX], keyid[2 * DOT_KEY_ID_LEN + 1];
	char nodetext[DOT_PK_TEXT_MAX];
	uint8_t cluster[DOT_CLUSTER_ID_LEN], pk[DOT_SIGN_PK_MAX];
	uint8_t npk[DOT_SIGN_PK_MAX];
	struct dot_sign_sk *nsk = NULL;
	size_t npklen = 0;
	int made = 0;
	struct dot_tx_level_key ak;
	struct dot_buf g = {0};
	struct dot_err e = {0};
	struct stat st;
	size_t pklen;
	struct json j;
	unsigned policy = DOT_POLICY_HYBRID;
	uint8_t suite;
	int c, rv, n, status = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DIR:
			dir_arg = optarg;
			break;
		case OPT_ADMIN_KEY:
			key = optarg;
			break;
		case OPT_ADMIN:
			admin = optarg;
			break;
		case OPT_CLUSTER:
			cluster_arg = optarg;
			break;
		case OPT_RAFT:
			raft_addr = optarg;
			break;
		case OPT_API:
			api_addr = optarg;
			break;
		case OPT_POLICY:
			policy_arg = optarg;
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(init_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (key == NULL)
		return cli_usage("missing --admin-key K: the key of the "
				 "cluster's admin account (create one with "
				 "'dot key new admin')");
	if (policy_arg != NULL && dot_policy_parse(policy_arg, &policy) != DOT_OK)
		return cli_usage("--policy '%s': give hybrid, classic or "
				 "hybrid+classic-attenuation",
				 policy_arg);
	if (!account_name_valid(admin))
		return cli_usage("--admin '%s': an account name is 1-%d of "
				 "a-z, 0-9, '.', '_' and '-'",
				 admin, DOT_TX_MAX_ACCOUNT);
	if (dot_state_addr_check(raft_addr, strlen(raft_addr), &e) != DOT_OK)
		return cli_usage("--raft-addr: %s", e.msg);
	if (api_addr[0] != '\0' &&
	    dot_state_addr_check(api_addr, strlen(api_addr), &e) != DOT_OK)
		return cli_usage("--api-addr: %s", e.msg);
	if (cluster_arg != NULL) {
		if (cli_parse_hex(cluster_arg, cluster, sizeof(cluster)) != 0)
			return cli_usage("--cluster-id '%s': give 32 hex "
					 "digits",
					 cluster_arg);
		if (memcmp(cluster, zero, sizeof(zero)) == 0)
			return cli_usage("--cluster-id: all zeros is reserved "
					 "(it means \"no cluster yet\")");
	} else {
		do
			randombytes_buf(cluster, sizeof(cluster));
		while (memcmp(cluster, zero, sizeof(zero)) == 0);
	}
	if (dir_arg == NULL) {
		if (cli_dot_dir(ddir, sizeof(ddir), &e) != DOT_OK)
			goto fail;
		n = snprintf(dir, sizeof(dir), "%s/node", ddir);
	} else {
		n = snprintf(dir, sizeof(dir), "%s", dir_arg);
	}
	if (n <= 0 || (size_t)n >= sizeof(dir)) {
		dot_err_set(&e, DOT_ETOOBIG, "directory path is too long");
		goto fail;
	}
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	snprintf(path, sizeof(path), "%s/genesis", dir);
	/* Refuse early, before creating anything. */
	if (lstat(path, &st) == 0) {
		dot_err_set(&e, DOT_EINVAL,
			    "%s exists: this node directory is already "
			    "initialized (start it with: dotd --dir %s); to "
			    "start over, remove %s first",
			    path, dir, dir);
		goto fail;
	}
	if ((rv = cli_public_key_arg(key, pk, &pklen, &e)) != DOT_OK) {
		char ctx[sizeof(e.msg)];
		snprintf(ctx, sizeof(ctx), "%s", e.msg);
		dot_err_set(&e, rv, "--admin-key: %s", ctx);
		goto fail;
	}
	if (!dot_policy_allows(policy, pk[0], 0)) {
		dot_err_set(&e, DOT_EPOLICY,
			    "--admin-key %s is %s, but the crypto policy %s%s "
			    "takes only ed25519+ml-dsa-65 keys: make one with "
			    "'dot key new --suite ed25519+ml-dsa-65 NAME'%s",
			    key, dot_suite_name(pk[0]), dot_policy_name(policy),
			    policy_arg == NULL ? " (the default)" : "",
			    policy_arg == NULL ? ", or choose --policy classic"
					       : "");
		goto fail;
	}
	ak.pk = pk;
	ak.pk_len = pklen;
	ak.weight = 1;
	if (cli_mkdirs(dir, &e) != DOT_OK)
		goto fail;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		dot_err_set(&e, DOT_EINVAL, "%s is not a directory", dir);
		goto fail;
	}
	if ((st.st_mode & 077) != 0)
		cli_warn("warning: %s is accessible by others (mode %04o); "
			 "run 'chmod 700 %s'",
			 dir, (unsigned)(st.st_mode & 07777), dir);
	/* The node key dotd will load from the same file, of the policy's
	 * suite when it is made here. */
	suite = policy & DOT_POLICY_HYBRID ? DOT_SUITE_ED25519_MLDSA65
					   : DOT_SUITE_ED25519;
	if (cli_node_seed(dir, suite, &nsk, &made, &e) != DOT_OK)
		goto fail;
	npklen = dot_sign_sk_public(nsk, npk);
	if (!dot_policy_allows(policy, npk[0], 0)) {
		dot_err_set(&e, DOT_EPOLICY,
			    "the node key %s/node.seed is %s, but the crypto "
			    "policy %s takes only ed25519+ml-dsa-65 node keys: "
			    "initialize a new directory (its key is made "
			    "there), or choose --policy classic",
			    dir, dot_suite_name(npk[0]), dot_policy_name(policy));
		goto fail;
	}
	rv = dot_state_genesis_encode_policy(cluster, admin, &ak, 1, 1, npk,
					     npklen, raft_addr, api_addr,
					     policy, &g, &e);
	if (rv != DOT_OK) {
		char ctx[sizeof(e.msg)];
		snprintf(ctx, sizeof(ctx), "%s", e.msg);
		dot_err_set(&e, rv, "cannot encode the genesis: %s",
			    ctx[0] ? ctx : dot_strerror(rv));
		goto fail;
	}
	if (write_genesis(dir, path, &g, &e) != DOT_OK)
		goto fail;

	cli_hex(hex, cluster, sizeof(cluster));
	cli_pk_text(pk, pklen, pktext);
	cli_key_id_hex(pk, pklen, keyid);
	cli_pk_text(npk, npklen, nodetext);
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "dir", dir);
		json_kstr(&j, "genesis", path);
		json_kuint(&j, "size", g.len);
		json_kstr(&j, "cluster_id", hex);
		json_kstr(&j, "policy", dot_policy_name(policy));
		json_kstr(&j, "admin", admin);
		json_kstr(&j, "admin_key", pktext);
		json_kstr(&j, "admin_key_id", keyid);
		json_kstr(&j, "node_key", nodetext);
		json_kbool(&j, "node_key_made", made);
		json_kuint(&j, "raft_id",
			   dot_state_node_raft_id(npk, npklen));
		json_kstr(&j, "raft_addr", raft_addr);
		json_kstr(&j, "api_addr", api_addr);
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("initialized %s\n"
		       "cluster id: %s\n"
		       "policy:     %s\n"
		       "admin:      %s (key id %s)\n"
		       "node:       raft id %" PRIu64 ", voter, raft %s, API "
		       "%s\n"
		       "node key:   %s (%s %s/node.seed)\n"
		       "genesis:    %s (%zu bytes)\n"
		       "start the node with: dotd --dir %s\n",
		       dir, hex, dot_policy_name(policy), admin, keyid,
		       dot_state_node_raft_id(npk, npklen), raft_addr,
		       api_addr[0] ? api_addr : "none", nodetext,
		       made ? "made" : "from", dir, path, g.len, dir);
		if (dir_arg != NULL)
			printf("and point dot at it with: export "
			       "DOT_ADDR=unix:%s/dotd.sock\n",
			       dir);
	}
	status = DOT_EXIT_OK;
	goto out;
fail:
	status = cli_fail(&e);
out:
	dot_sign_sk_free(nsk);
	dot_buf_free(&g);
	return status;
}
