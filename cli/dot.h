/*
 * dot.h - internal to the `dot` command line: the subcommand table and the
 * helpers the subcommands share.
 *
 * Every command is one row of dot_cmds[] (dot.c): a group ("key", "cap"), a
 * verb ("new", "mint") and the function that runs it, one file per group
 * (cmd_key.c, cmd_cap.c). The interactive shell reuses the same table.
 * Unlike lib/, the command line may read files, the clock and randomness.
 */
#ifndef DOT_CLI_DOT_H
#define DOT_CLI_DOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "doteros/audit.h"
#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/token.h"
#include "doteros/tx.h"
#include "status.h"

/* Exit status: 0 success (token valid), 1 error or refusal, 2 usage. */
enum { DOT_EXIT_OK = 0, DOT_EXIT_FAIL = 1, DOT_EXIT_USAGE = 2 };

struct dot_cmd {
	const char *group;    /* "key" */
	const char *name;     /* "new"; NULL: the group is the command
				 ("dot init", "dot status") */
	int (*run)(const struct dot_cmd *self, int argc, char **argv);
	const char *synopsis; /* the arguments after "dot key new" */
	const char *summary;  /* one line */
};

extern const struct dot_cmd dot_cmds[];
extern const size_t dot_ncmds;

/* Run one command line from the group on (argv[0] is "fs", "init" or
 * "help"), as main does after the program name; returns the exit status.
 * The shell runs each of its commands through it. */
int dot_dispatch(int argc, char **argv);

/* Subcommands: argv[0] is the verb; return an exit status. */
int cmd_key_new(const struct dot_cmd *self, int argc, char **argv);
int cmd_key_show(const struct dot_cmd *self, int argc, char **argv);
int cmd_key_list(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_mint(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_attenuate(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_inspect(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_verify(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_grant(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_revoke(const struct dot_cmd *self, int argc, char **argv);
int cmd_init(const struct dot_cmd *self, int argc, char **argv);
int cmd_status(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_ls(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_cat(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_put(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_append(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_mkdir(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_mv(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_rm(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_stat(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_chown(const struct dot_cmd *self, int argc, char **argv);
int cmd_fs_policy(const struct dot_cmd *self, int argc, char **argv);
int cmd_msg_create(const struct dot_cmd *self, int argc, char **argv);
int cmd_msg_send(const struct dot_cmd *self, int argc, char **argv);
int cmd_msg_recv(const struct dot_cmd *self, int argc, char **argv);
int cmd_account_create(const struct dot_cmd *self, int argc, char **argv);
int cmd_account_show(const struct dot_cmd *self, int argc, char **argv);
int cmd_account_set_level(const struct dot_cmd *self, int argc,
			  char **argv);
int cmd_account_set_expiry(const struct dot_cmd *self, int argc,
			   char **argv);
int cmd_audit_log(const struct dot_cmd *self, int argc, char **argv);
int cmd_audit_prove(const struct dot_cmd *self, int argc, char **argv);
int cmd_audit_verify(const struct dot_cmd *self, int argc, char **argv);
int cmd_revocation_feed(const struct dot_cmd *self, int argc, char **argv);
int cmd_revocation_lookup(const struct dot_cmd *self, int argc, char **argv);
int cmd_audit_cosigned(const struct dot_cmd *self, int argc, char **argv);
int cmd_audit_receipt(const struct dot_cmd *self, int argc, char **argv);
int cmd_audit_receipt_verify(const struct dot_cmd *self, int argc,
			     char **argv);
/* dot --quorum-receipt FILE [--quorum-keys FILE]: after each submit, wait
 * for the tx's quorum receipt, check it against the keys file and write it
 * to FILE (cmd_quorum.c). */
void cli_set_quorum_receipt(const char *path, const char *keys);
/* dot --consistent: reads are linearizable, answered after a barrier at
 * the leader (query.consistent) rather than from the node's replica. */
void cli_set_consistent(int on);
int cli_quorum_receipt_wanted(void);
struct dot_receipt;
struct cli_node;
/* A keys file: the voters' checkpoint verifier keys, one per line ('#'
 * comments); path NULL is $DOT_DIR/quorum-keys. */
#define CLI_QKEYS_MAX 64
/* The file's bytes: 64 composite keys (a 2,946-byte line each at most,
 * name+id+base64 of 2,010 bytes) with room for comments. */
#define CLI_QKEYS_FILE_MAX (256u * 1024)
struct cli_qkeys {
	struct dot_audit_vkey k[CLI_QKEYS_MAX];
	size_t n;
	char path[4200];
};
int cli_qkeys_load(const char *path, struct cli_qkeys *q, struct dot_err *e);
int cli_quorum_receipt(struct cli_node *node, const struct dot_receipt *r,
		       struct dot_err *e);
int cmd_node_list(const struct dot_cmd *self, int argc, char **argv);
int cmd_node_invite(const struct dot_cmd *self, int argc, char **argv);
int cmd_node_join(const struct dot_cmd *self, int argc, char **argv);
int cmd_node_remove(const struct dot_cmd *self, int argc, char **argv);
int cmd_node_promote(const struct dot_cmd *self, int argc, char **argv);
int cmd_node_demote(const struct dot_cmd *self, int argc, char **argv);
int cmd_dev(const struct dot_cmd *self, int argc, char **argv); /* cmd_dev.c */
int cmd_shell(const struct dot_cmd *self, int argc, char **argv); /* shell.c */
/* cmd_seal.c: dot seal, dot open (docs/seal-format.md) */
int cmd_seal(const struct dot_cmd *self, int argc, char **argv);
int cmd_open(const struct dot_cmd *self, int argc, char **argv);

/* cmd_cap.c: a TOKEN argument (dot1... text, a file holding one, or "-"),
 * parsed (not verified). */
int cli_token_load(const char *arg, struct dot_token **tok,
		   struct dot_err *e);

/* ---- util.c: messages, options, files, keys, times ---- */

/* Start a command: sets the name used in messages ("dot key new") and
 * resets getopt. */
void cli_begin(const struct dot_cmd *cmd);
/* Turn on the JSON form of errors (set once --json is parsed). */
void cli_set_json(int on);
int cli_json(void);
const char *cli_prog(void);

/* "dot key new: <message>" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message, the synopsis and where help is; returns 2. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The getopt_long error for c (':' or '?'); returns 2. */
int cli_badopt(int c, char **argv);
/* The full help of the current command: synopsis, summary, then body. */
int cli_help(const char *body);
/* An error with context: stderr, and with --json an object on stdout
 * {"ok":false,"error":NAME,"message":...}; returns 1. */
int cli_fail(const struct dot_err *e);
/* A refusal by the token library: "refused: <what> (block N): <context>"
 * plus a hint of what to do; block < 0 when it names no block. Returns 1. */
int cli_refuse(const struct dot_err *e, long block, const char *hint);

/* Parse a decimal number in [min, max]; 0 on success. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parse exactly n bytes of hex (2n digits, either case). */
int cli_parse_hex(const char *s, uint8_t *out, size_t n);
void cli_hex(char *out, const uint8_t *in, size_t n); /* 2n + 1 chars */

/*
 * Times: RFC 3339 UTC "2026-11-23T10:00:00Z", "@<unix seconds>", or
 * "+<n>{s,m,h,d}" counted from base. DOT_EINVAL / DOT_ERANGE with context.
 */
int cli_parse_time(const char *s, uint64_t base, uint64_t *out,
		   struct dot_err *e);
/* "2026-11-23T10:00:00Z" (or "@<n>" past year 9999); cap >= 32. */
void cli_format_time(uint64_t t, char *out, size_t cap);
uint64_t cli_now(void);

/* The Doteros directory: $DOT_DIR, else ~/.doteros. */
int cli_dot_dir(char *out, size_t cap, struct dot_err *e);
/* mkdir -p with mode 0700 for each directory it creates. */
int cli_mkdirs(const char *path, struct dot_err *e);
/* 1 for a valid key NAME: [A-Za-z0-9_.-], 1..64 chars, no leading '.'. */
int cli_key_name_valid(const char *name);

/* Read a whole file ("-" is stdin) of at most max bytes into out. */
int cli_read_file(const char *path, size_t max, struct dot_buf *out,
		  struct dot_err *e);
/* Write data + "\n" to path, mode 0600 (replacing it atomically). */
int cli_write_file(const char *path, const void *data, size_t n,
		   struct dot_err *e);
/* The same without the newline: binary data. */
int cli_write_bytes(const char *path, const void *data, size_t n,
		    struct dot_err *e);

/*
 * Keys. A key argument is a file path (anything with a '/'), a NAME under
 * $DOT_DIR/keys/NAME.key, or a file in the current directory.
 */
int cli_key_path(const char *arg, char *out, size_t cap, struct dot_err *e);
/* The public key of a key file, by argument; path_out may be NULL. */
int cli_key_public(const char *arg, uint8_t pk[DOT_SIGN_PK_MAX],
		   size_t *pklen, char *path_out, size_t cap,
		   struct dot_err *e);
/* The same for a key file of either kind (signing or X-Wing, pk[0]
 * tells): for listing and for dot seal's recipients. */
int cli_key_public_any(const char *arg, uint8_t pk[DOT_KEYFILE_PK_MAX],
		       size_t *pklen, char *path_out, size_t cap,
		       struct dot_err *e);
/* Open an X-Wing key file (a signing key is refused before the
 * passphrase is asked): the 32-byte sk, which the caller zeroes. */
int cli_key_open_xwing(const char *arg, const char *passfile,
		       uint8_t sk[DOT_SEED_LEN], struct dot_err *e);
/* 1 when text is the dotpk1 form of an X-Wing public key. */
int cli_pk_is_xwing(const char *text);
/* A public key given as dotpk1..., a key file or a key NAME. */
int cli_public_key_arg(const char *arg, uint8_t pk[DOT_SIGN_PK_MAX],
		       size_t *pklen, struct dot_err *e);
/* Open a key file with a passphrase (see cli_passphrase); a key held
 * with cli_key_hold under the same argument is copied instead. */
int cli_key_open(const char *arg, const char *passfile,
		 struct dot_sign_sk **sk, struct dot_err *e);
/*
 * Hold an opened key for the rest of the process (the shell unlocks its
 * keys once per session): takes sk, which stays in guarded memory.
 * cli_key_release frees every held key (zeroed).
 */
int cli_key_hold(const char *arg, struct dot_sign_sk *sk, struct dot_err *e);
void cli_key_release(void);

/*
 * A passphrase: the first line of passfile, else $DOT_PASSPHRASE, else a
 * no-echo prompt on /dev/tty (asked twice when confirm). *pass is in
 * sodium_malloc'd memory and NUL-terminated: release it with
 * cli_pass_free(), which zeroes it.
 */
int cli_passphrase(const char *passfile, const char *prompt, int confirm,
		   char **pass, size_t *len, struct dot_err *e);
void cli_pass_free(char *pass);

/*
 * A text form like dotpk1's (lib/crypto): prefix + base64url(bytes ||
 * checksum), the checksum the first 4 bytes of BLAKE2b-256(prefix ||
 * bytes), so a mistyped string fails as DOT_ETEXT_CHECKSUM rather than
 * naming something else. cli_text_encode appends the text (NUL-terminated,
 * the NUL not counted) to out; cli_text_decode ignores white space at the
 * ends, takes at most max bytes and appends them to out. The dot node
 * invitation "dotinv1..." is one (cmd_node.c).
 */
int cli_text_encode(const char *prefix, const uint8_t *p, size_t n,
		    struct dot_buf *out);
int cli_text_decode(const char *prefix, const char *text, size_t max,
		    struct dot_buf *out, struct dot_err *e);

/*
 * A node's key: DIR/node.seed (docs/key-file.md §8: an Ed25519 seed, or
 * 0x03 then a composite key's), read as dotd reads it, or made when
 * missing with a fresh key of suite (DOT_SUITE_ED25519 or
 * DOT_SUITE_ED25519_MLDSA65; *made set). An existing key keeps its suite:
 * the caller checks it.
 */
int cli_node_seed(const char *dir, uint8_t suite, struct dot_sign_sk **sk,
		  int *made, struct dot_err *e);

/* dotpk1... text and hex key id of a public key. */
void cli_pk_text(const uint8_t *pk, size_t pklen, char out[DOT_PK_TEXT_MAX]);
void cli_key_id_hex(const uint8_t *pk, size_t pklen,
		    char out[2 * DOT_KEY_ID_LEN + 1]);

/*
 * The nodes' keys (decisions 0009, 0013, 0014). A node has one Ed25519 key:
 * it signs the node's checkpoints and, in X25519 form, authenticates its
 * channel. `dot audit` trusts it per log origin in $DOT_DIR/trust/ORIGIN
 * (lines "origin ORIGIN", "key NAME+ID+BASE64"); the channel remembers it
 * per address in $DOT_DIR/known_nodes (chan.c). A cluster's log origin is
 * "doteros/<cluster id in hex>", so the two meet on the cluster id.
 */
#define CLI_TRUST_MAX 4096
#define CLI_ORIGIN_MAX (8 + 2 * DOT_CLUSTER_ID_LEN + 1)
/* $DOT_DIR/SUB/ORIGIN (origin as a relative path when it is a safe one,
 * else "x-<hex of the origin>"). */
int cli_origin_path(const char *sub, const char *origin, char *out,
		    size_t cap, struct dot_err *e);
#define CLI_TRUST_FILE_MAX (256u * 1024) /* 64 composite keys' lines */
/* The trust file of an origin: "origin ORIGIN" then a "key K" line for
 * each node trusted to sign its checkpoints (decisions 0009, 0019). */
/* The first key trusted for origin: *found 0 when path does not exist; an
 * error naming the file when it is not a trust file. */
int cli_trust_load(const char *path, const char *origin, char *out,
		   size_t cap, int *found, struct dot_err *e);
/* *count keys trusted for origin (0: no file); *has 1 when key is one. */
int cli_trust_has(const char *path, const char *origin, const char *key,
		  int *count, int *has, struct dot_err *e);
/* The verifier keys trusted for origin, after `also` (if not NULL), at
 * most max in vk; keys that do not parse are passed over. */
struct dot_audit_vkey;
int cli_trust_vkeys(const char *path, const char *origin,
		    const struct dot_audit_vkey *also,
		    struct dot_audit_vkey *vk, size_t max, size_t *n,
		    struct dot_err *e);
/* Add key to origin's trust file (made if missing; a no-op if there). */
int cli_trust_add(const char *path, const char *origin, const char *key,
		  struct dot_err *e);
/* "doteros/<hex>", and back (0, or -1 for any other origin). */
void cli_cluster_origin(const uint8_t cid[DOT_CLUSTER_ID_LEN],
			char out[CLI_ORIGIN_MAX]);
int cli_origin_cluster(const char *origin, uint8_t cid[DOT_CLUSTER_ID_LEN]);
/* The keys trusted for a cluster's checkpoints in X25519 form (at most
 * max); *count 0 when none is; path gets the trust file's path. */
int cli_trusted_node_kx(const uint8_t cid[DOT_CLUSTER_ID_LEN], size_t *count,
			uint8_t kx[][32], size_t max, char *path, size_t pcap,
			struct dot_err *e);
/* chan.c: what $DOT_DIR/known_nodes says of the node key kx (X25519) in
 * cluster cid: *in_cluster 1 when a line names the cluster, *known 1 when
 * one of them holds kx (addr, if not NULL, gets its address), *other 1
 * (if not NULL) when the line for addr_at (if not NULL) holds another
 * key. */
int cli_known_key(const uint8_t cid[DOT_CLUSTER_ID_LEN], const uint8_t kx[32],
		  int *in_cluster, int *known, char *addr, size_t cap,
		  struct dot_err *e);
/* chan.c: the cluster id and node key of known_nodes' line for addr;
 * *found 0 when it has none. */
int cli_known_addr(const char *addr, int *found,
		   uint8_t cid[DOT_CLUSTER_ID_LEN], uint8_t key[32],
		   struct dot_err *e);
/*
 * chan.c (decision 0019): is kx the channel key of an active member node
 * of cluster cid, in the word of a node known_nodes already pins for it?
 * Asks each known address of the cluster in turn (skip: an address not to
 * ask; only, if not NULL: ask only the nodes known by one of these nonly
 * keys) for node.keys, over a channel pinned to its remembered key.
 * *verdict: 1 a member (by gets the address that said so), 0 a known node
 * answered and it is not, -1 no known node answered (by gets why).
 */
int cli_member_confirm(const uint8_t cid[DOT_CLUSTER_ID_LEN],
		       const uint8_t kx[32], const char *skip,
		       const uint8_t (*only)[32], size_t nonly, int *verdict,
		       char *by, size_t bycap, struct dot_err *e);

/* ---- client.c: talking to a node (include/doteros/api.h) ---- */

struct json;
struct dot_dec;

/*
 * The node's address: DOT_ADDR ("unix:/path" or "127.0.0.1:PORT",
 * "[::1]:PORT", "localhost:PORT"; TCP only on loopback), else
 * unix:$DOT_DIR/node/dotd.sock. Waits at most DOT_TIMEOUT seconds
 * (default 60) for an answer.
 */
struct dot_net;
struct cli_node {
	int fd;
	char addr[4200];    /* as shown in messages: "unix:/x/dotd.sock" */
	char dir[4100];     /* the node directory to suggest, or "" */
	uint64_t next_id;
	int timeout_ms;
	struct dot_buf rx;  /* bytes read past the last response */
	/* TCP: the secure channel (chan.c); NULL on a Unix socket */
	struct dot_net *ch;
	struct dot_buf raw; /* channel frames not yet given to it */
	int ik, confirmed;
	int hs_timeout_s;
	char key_id[2 * DOT_KEY_ID_LEN + 1]; /* our key, for messages */
};

/* 1 when the node's address (DOT_ADDR) is TCP: connecting then runs the
 * secure channel and needs a key. */
int cli_addr_is_tcp(void);

/*
 * The key a TCP connection authenticates with (chan.c): a key already open
 * (borrowed until the connection is made), else the first key argument
 * given (opened with passfile), else $DOT_KEY. The first call of
 * cli_channel_key wins; cli_channel_key_reset forgets both (the shell,
 * between commands).
 */
void cli_channel_key(const char *arg, const char *passfile);
void cli_channel_key_open(const struct dot_sign_sk *sk);
void cli_channel_key_reset(void);

/* chan.c: the channel over n->fd (connected): handshake, send one API
 * frame, read once into n->rx, close (sends CLOSE). */
int cli_chan_open(struct cli_node *n, struct dot_err *e);
int cli_chan_send(struct cli_node *n, const uint8_t *p, size_t len,
		  uint64_t deadline, struct dot_err *e);
int cli_chan_recv(struct cli_node *n, uint64_t deadline, const char *method,
		  struct dot_err *e);
void cli_chan_close(struct cli_node *n);

/* client.c helpers shared with chan.c */
uint64_t cli_now_ms(void);
int cli_wait_fd(int fd, short events, uint64_t deadline);
int cli_send_all(struct cli_node *n, const uint8_t *p, size_t len,
		 uint64_t deadline, struct dot_err *e);

/* Connect; DOT_EAPI_UNAVAILABLE ("cannot reach the node at ...: is dotd
 * running? start it with: dotd --dir ...") or DOT_EINVAL (bad DOT_ADDR). */
int cli_node_connect(struct cli_node *n, struct dot_err *e);
/* The same to addr (DOT_ADDR's forms; NULL or "": the default socket). */
int cli_node_connect_to(struct cli_node *n, const char *addr,
			struct dot_err *e);
void cli_node_close(struct cli_node *n); /* also on a failed connect */

/*
 * One request, one response. Returns a transport error (DOT_EAPI_*), or
 * DOT_OK with *status the node's answer: 0 and the result item in *out,
 * or an error code and its message (text, NUL-terminated) in *out.
 */
int cli_node_call(struct cli_node *n, const char *method,
		  const uint8_t *params, size_t params_len, uint64_t *status,
		  struct dot_buf *out, struct dot_err *e);

/* What "status" answers: struct cli_status, in status.h. */

/* The authority options every writing or reading command shares. */
enum {
	CLI_OPT_AS = 0x1000,
	CLI_OPT_TOKEN,
	CLI_OPT_KEY,
	CLI_OPT_PASSFILE,
	CLI_OPT_JSON,
	CLI_OPT_EXPECT,
};
#define CLI_AUTH_LONGOPTS                                                      \
	{"as", required_argument, NULL, CLI_OPT_AS},                           \
	{"token", required_argument, NULL, CLI_OPT_TOKEN},                     \
	{"key", required_argument, NULL, CLI_OPT_KEY},                         \
	{"passphrase-file", required_argument, NULL, CLI_OPT_PASSFILE},        \
	{"json", no_argument, NULL, CLI_OPT_JSON}
/* Help lines for those options. */
extern const char cli_auth_help[];

struct cli_auth {
	const char *as;    /* "account@level" */
	const char *token; /* a TOKEN argument */
	const char *keys[DOT_TX_MAX_SIGS];
	size_t nkeys;
	const char *passfile;
};

/* Take one of CLI_AUTH_LONGOPTS: 1 taken, 0 not one of them, or -1 after
 * printing a usage error (return DOT_EXIT_USAGE). */
int cli_auth_option(struct cli_auth *a, int c, const char *arg);
/*
 * The whole option loop of a command that takes only the authority options
 * and -h (opts: those, from CLI_AUTH_LONGOPTS or the like): -1 to go on
 * with the arguments at optind, or the exit status to return (the help was
 * shown, or a usage error).
 */
struct option;
int cli_auth_opts(int argc, char **argv, const struct option *opts,
		  struct cli_auth *auth, const char *help);
/* Check the combination; 0, or the usage exit status after the message. */
int cli_auth_check(const struct cli_auth *a);

/*
 * A session: a connection, the node's status (for the cluster id), and the
 * authority with its keys opened (each passphrase asked once).
 */
struct cli_session {
	struct cli_node node;
	struct cli_status status;
	const struct cli_auth *auth;
	struct dot_sign_sk *sk[DOT_TX_MAX_SIGS];
	size_t nsk;
	struct dot_token *token; /* --token, parsed */
	int refused;  /* the last error was the node's answer, not transport */
};

/* Connect and ask for the status; with auth (may be NULL: status only),
 * load the token and open the keys. */
int cli_session_open(struct cli_session *s, const struct cli_auth *auth,
		     struct dot_err *e);
void cli_session_close(struct cli_session *s);

/* Build and sign a tx: op, args (one canonical item), consumed versions;
 * a fresh random nonce, window [now - 30, now + 300), this cluster. */
int cli_session_tx(struct cli_session *s, const char *op,
		   const struct dot_buf *args,
		   const struct dot_tx_objver *consumed, size_t nconsumed,
		   struct dot_buf *tx, struct dot_err *e);

/* Submit a tx and wait for its receipt (*r, owned by the caller). A
 * refused tx is DOT_OK here with (*r)->status != 0. */
int cli_session_submit(struct cli_session *s, const char *op,
		       const struct dot_buf *args,
		       const struct dot_tx_objver *consumed, size_t nconsumed,
		       struct dot_receipt **r, struct dot_err *e);

/* A signed read (fs.get, fs.stat, fs.ls of path): the answer item in ans.
 * A refusal returns its code with s->refused set. */
/* A signed read with its argument map as given. */
int cli_session_query_args(struct cli_session *s, const char *op,
			   const struct dot_buf *args, struct dot_buf *ans,
			   struct dot_err *e);
int cli_session_query(struct cli_session *s, const char *op,
		      const char *path, struct dot_buf *ans,
		      struct dot_err *e);

/* An object's stat, as fs.stat answers it. */
struct cli_stat {
	uint8_t id[DOT_OBJECT_ID_LEN];
	uint64_t kind, version, size, created, modified, policy;
	char owner[DOT_TX_MAX_ACCOUNT + 1];
};
/* Parse one stat map at the decoder. */
int cli_stat_dec(struct dot_dec *d, struct cli_stat *st, struct dot_err *e);
/* fs.stat of path. */
int cli_session_stat(struct cli_session *s, const char *path,
		     struct cli_stat *st, struct dot_err *e);
/* The consumed version for --expect-version N on path (a fs.stat first). */
int cli_session_expect(struct cli_session *s, const char *path,
		       uint64_t version, struct dot_tx_objver *cv,
		       struct dot_err *e);
const char *cli_kind_name(uint64_t kind); /* "file", "dir", ... */

/* Report an error of a session: a refusal by the node ("refused: NAME
 * (what it means): detail" and a hint), else as cli_fail. Returns 1. */
int cli_session_fail(const struct cli_session *s, const struct dot_err *e);

/*
 * Report a receipt: on success "OP TARGET: ok, ledger index N[, version
 * V], tx ID" (or JSON with extra fields from fn) and 0; a refusal as
 * cli_session_fail, with the receipt's tx id and ledger index, and 1.
 */
typedef void (*cli_json_fn)(struct json *j, void *ctx);
int cli_receipt_report(const char *op, const char *target,
		       const struct dot_receipt *r, cli_json_fn fn, void *ctx);

/* A PATH argument: absolute, no empty, "." or ".." part; else a usage
 * error naming what (returns nonzero after printing it). */
int cli_path_arg(const char *what, const char *path);

/* ---- json.c: a small JSON writer (RFC 8259), indented ---- */

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	int count[JSON_MAX_DEPTH + 1]; /* values written at each level */
	int after_key;
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);
void json_hex(struct json *j, const uint8_t *p, size_t n);
/* Ends the document with a newline and flushes. */
void json_finish(struct json *j);

/* key + value in one call */
void json_kstr(struct json *j, const char *key, const char *s);
void json_kuint(struct json *j, const char *key, uint64_t v);
void json_kbool(struct json *j, const char *key, int v);
void json_khex(struct json *j, const char *key, const uint8_t *p, size_t n);
void json_knull(struct json *j, const char *key);

/* Write s as a JSON string with escapes (invalid UTF-8 becomes U+FFFD). */
void json_write_string(FILE *f, const char *s, size_t n);

/*
 * Files a command is given (files.c). cli_err_prefix puts "WHAT: " (a
 * printf format) in front of e's message, or of rv's own text when e has
 * none, and returns rv. cli_read_named is cli_read_file, its failure
 * prefixed so.
 */
int cli_err_prefix(struct dot_err *e, int rv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cli_read_named(const char *path, size_t max, struct dot_buf *out,
		   struct dot_err *e, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
