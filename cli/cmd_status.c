/*
 * cmd_status.c - dot status: what the node says about itself (the API
 * method "status", include/doteros/api.h).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dot.h"

static const char status_help[] =
    "Asks the node (DOT_ADDR, default unix:$DOT_DIR/node/dotd.sock) for\n"
    "its last applied ledger index and that entry's time, the cluster id,\n"
    "the state hash (equal on every node that applied the same log), the\n"
    "admin account, the node's version and the cluster's crypto policy\n"
    "(classic, hybrid or hybrid+classic-attenuation). Needs no key on the Unix\n"
    "socket; over TCP the secure channel needs a key the node knows.\n"
    "\n"
    "Options:\n"
    "      --key NAME|FILE      over TCP: the key to connect with (else "
    "DOT_KEY)\n"
    "      --passphrase-file F  its passphrase (else DOT_PASSPHRASE, else "
    "asked)\n"
    "      --json   print {ok, address, ledger_index, time, cluster_id, "
    "state_hash, admin, version,\n"
    "               policy}\n"
    "               and, in cluster mode, raft {role, term, id, leader_id\n"
    "               (0: none known), leader_addr, applied, voters (the\n"
    "               raft ids of the configuration's voters)}\n"
    "  -h, --help   this help\n";

int
cmd_status(const struct dot_cmd *self, int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_KEY, OPT_PASS };
	static const struct option opts[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"passphrase-file", required_argument, NULL, OPT_PASS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_session s;
	struct dot_err e = {0};
	char cid[2 * DOT_CLUSTER_ID_LEN + 1], hash[2 * DOT_HASH_LEN + 1];
	char iso[40];
	struct json j;
	const char *key = NULL, *pass = NULL;
	int c, status = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			cli_set_json(1);
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_PASS:
			pass = optarg;
			break;
		case 'h':
			return cli_help(status_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if (key != NULL)
		cli_channel_key(key, pass);
	if (cli_session_open(&s, NULL, &e) != DOT_OK) {
		status = cli_session_fail(&s, &e);
		goto out;
	}
	cli_hex(cid, s.status.cluster_id, DOT_CLUSTER_ID_LEN);
	cli_hex(hash, s.status.state_hash, DOT_HASH_LEN);
	cli_format_time(s.status.time, iso, sizeof(iso));
	if (cli_json()) {
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstr(&j, "address", s.node.addr);
		json_kuint(&j, "ledger_index", s.status.index);
		json_kuint(&j, "time", s.status.time);
		json_kstr(&j, "cluster_id", cid);
		json_kstr(&j, "state_hash", hash);
		json_kstr(&j, "admin", s.status.admin);
		json_kstr(&j, "version", s.status.version);
		if (s.status.policy[0])
			json_kstr(&j, "policy", s.status.policy);
		if (s.status.has_raft) {
			/* raft ids as numbers, as dot node list and dot init
			 * give them */
			json_key(&j, "raft");
			json_obj_begin(&j);
			json_kstr(&j, "role", s.status.raft_role);
			json_kuint(&j, "term", s.status.raft_term);
			json_kuint(&j, "id", s.status.raft_id);
			json_kuint(&j, "leader_id", s.status.leader_id);
			json_kstr(&j, "leader_addr", s.status.leader_addr);
			json_kuint(&j, "applied", s.status.raft_applied);
			if (s.status.has_voters) {
				json_key(&j, "voters");
				json_arr_begin(&j);
				for (size_t i = 0; i < s.status.nvoters; i++)
					json_uint(&j, s.status.voters[i]);
				json_arr_end(&j);
			}
			json_obj_end(&j);
		}
		json_obj_end(&j);
		json_finish(&j);
	} else {
		printf("node:         %s\n"
		       "ledger index: %" PRIu64 "\n"
		       "entry time:   %s (%" PRIu64 ")\n"
		       "cluster id:   %s\n"
		       "state hash:   %s\n"
		       "admin:        %s\n"
		       "version:      %s\n"
		       "policy:       %s\n",
		       s.node.addr, s.status.index, iso, s.status.time, cid,
		       hash, s.status.admin,
		       s.status.version[0] ? s.status.version : "unknown",
		       s.status.policy[0] ? s.status.policy
					  : "unknown (an older node)");
		if (s.status.has_raft)
			printf("raft:         %s, term %" PRIu64
			       ", node %" PRIu64 ", leader at %s\n",
			       s.status.raft_role, s.status.raft_term,
			       s.status.raft_id,
			       s.status.leader_addr[0] ? s.status.leader_addr
						       : "(none known)");
		if (s.status.has_voters)
			printf("voters:       %zu in raft's configuration\n",
			       s.status.nvoters);
	}
	status = DOT_EXIT_OK;
out:
	cli_session_close(&s);
	return status;
}
