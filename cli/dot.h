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

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/err.h"
#include "doteros/token.h"

/* Exit status: 0 success (token valid), 1 error or refusal, 2 usage. */
enum { DOT_EXIT_OK = 0, DOT_EXIT_FAIL = 1, DOT_EXIT_USAGE = 2 };

struct dot_cmd {
	const char *group;    /* "key" */
	const char *name;     /* "new" */
	int (*run)(const struct dot_cmd *self, int argc, char **argv);
	const char *synopsis; /* the arguments after "dot key new" */
	const char *summary;  /* one line */
};

extern const struct dot_cmd dot_cmds[];
extern const size_t dot_ncmds;

/* Subcommands: argv[0] is the verb; return an exit status. */
int cmd_key_new(const struct dot_cmd *self, int argc, char **argv);
int cmd_key_show(const struct dot_cmd *self, int argc, char **argv);
int cmd_key_list(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_mint(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_attenuate(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_inspect(const struct dot_cmd *self, int argc, char **argv);
int cmd_cap_verify(const struct dot_cmd *self, int argc, char **argv);

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

/*
 * Keys. A key argument is a file path (anything with a '/'), a NAME under
 * $DOT_DIR/keys/NAME.key, or a file in the current directory.
 */
int cli_key_path(const char *arg, char *out, size_t cap, struct dot_err *e);
/* The public key of a key file, by argument; path_out may be NULL. */
int cli_key_public(const char *arg, uint8_t pk[DOT_SIGN_PK_MAX],
		   size_t *pklen, char *path_out, size_t cap,
		   struct dot_err *e);
/* A public key given as dotpk1..., a key file or a key NAME. */
int cli_public_key_arg(const char *arg, uint8_t pk[DOT_SIGN_PK_MAX],
		       size_t *pklen, struct dot_err *e);
/* Open a key file with a passphrase (see cli_passphrase). */
int cli_key_open(const char *arg, const char *passfile,
		 struct dot_sign_sk **sk, struct dot_err *e);

/*
 * A passphrase: the first line of passfile, else $DOT_PASSPHRASE, else a
 * no-echo prompt on /dev/tty (asked twice when confirm). *pass is in
 * sodium_malloc'd memory and NUL-terminated: release it with
 * cli_pass_free(), which zeroes it.
 */
int cli_passphrase(const char *passfile, const char *prompt, int confirm,
		   char **pass, size_t *len, struct dot_err *e);
void cli_pass_free(char *pass);

/* dotpk1... text and hex key id of a public key. */
void cli_pk_text(const uint8_t *pk, size_t pklen, char out[DOT_PK_TEXT_MAX]);
void cli_key_id_hex(const uint8_t *pk, size_t pklen,
		    char out[2 * DOT_KEY_ID_LEN + 1]);

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

#endif
