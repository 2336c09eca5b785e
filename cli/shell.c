/*
 * shell.c - dot shell: an interactive shell over one node (DESIGN.md §7,
 * docs/man/dot.1 SHELL).
 *
 * Every command of the shell runs a row of the command table (dot.c) in
 * this process, through dot_dispatch(): "cat notes.txt" in /home/alice
 * becomes "dot fs cat /home/alice/notes.txt --as ... --key ...". The shell
 * itself only keeps what a session has: the authority options, its keys
 * (unlocked once and held, cli_key_hold), the current directory, the
 * history, and one connection for its own queries (cd, completion).
 *
 * With a terminal on stdin it edits lines with libedit (history in
 * $DOT_DIR/shell_history, tab completion of commands and of the node's
 * paths); otherwise it reads commands line by line, prints no prompt and
 * exits with the status of the last command.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <histedit.h>

#include "doteros/codec.h"
#include "doteros/state.h"
#include "dot.h"

#define SH_PATH_MAX	       4096  /* a resolved path; the node allows less */
#define SH_LINE_MAX	       65536 /* one command line */
#define SH_HISTORY_MAX	       1000  /* lines kept in the history file */
#define SH_COMPLETE_MAX	       2000  /* candidates considered for one <TAB> */
#define SH_COMPLETE_TIMEOUT_MS 3000  /* the node's answer to a completion */

/* An argument vector built for dot_dispatch: strings owned, NULL-ended. */
struct vec {
	char **v;
	int n, cap;
	int err;
};

struct shell {
	struct cli_auth auth; /* the session's authority (strings from argv) */
	int has_auth;
	int interactive;
	char cwd[SH_PATH_MAX];
	char oldcwd[SH_PATH_MAX];
	char home[SH_PATH_MAX]; /* /home/ACCOUNT for --as, else / */
	char prompt[SH_PATH_MAX + 256];
	int last;	       /* the last command's exit status */
	int done, exit_status; /* EXIT was given */
	struct cli_session q;  /* the shell's own queries */
	int q_open;
	EditLine *el;
	History *hist;
	char histfile[4200];
};

struct shell_cmd {
	const char *dos;  /* "DIR", or NULL */
	const char *unx;  /* "ls", or NULL */
	const char *args; /* "[PATH]" */
	const char *summary;
	int (*run)(struct shell *sh, int argc, char **argv);
};

static volatile sig_atomic_t got_sigint;

/* ---- messages ---- */

static void sh_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("dot shell: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* ---- argument vectors ---- */

static void
vec_add(struct vec *a, const char *s)
{
	char **nv;
	int ncap;

	if (a->err)
		return;
	if (a->n + 2 > a->cap) {
		ncap = a->cap ? 2 * a->cap : 16;
		nv = realloc(a->v, (size_t)ncap * sizeof(*nv));
		if (nv == NULL) {
			a->err = 1;
			return;
		}
		a->v = nv;
		a->cap = ncap;
	}
	if ((a->v[a->n] = strdup(s)) == NULL) {
		a->err = 1;
		a->v[a->n] = NULL;
		return;
	}
	a->v[++a->n] = NULL;
}

static void
vec_free(struct vec *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* ---- splitting a line into words ---- */

/*
 * Words are separated by blanks; "double" quotes (where \" and \\ are
 * escapes), 'single' quotes (nothing is special) and \ outside quotes
 * (the next character is literal). A '#' that starts a word begins a
 * comment. Returns 0, or -1 after printing what is wrong.
 */
static int
split_line(const char *line, struct vec *w)
{
	size_t n = strlen(line), cap = n + 1, len = 0;
	char *word, quote = 0;
	int in_word = 0;
	size_t qstart = 0;
	int rv = -1;

	if ((word = malloc(cap)) == NULL) {
		sh_err("out of memory");
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		char c = line[i];

		if (quote != 0) {
			if (c == '\0') {
				sh_err("unterminated %s quote (the %c at "
				       "column %zu is never closed)",
				       quote == '"' ? "double" : "single",
				       quote, qstart + 1);
				goto out;
			}
			if (c == quote) {
				quote = 0;
			} else if (quote == '"' && c == '\\' &&
				   (line[i + 1] == '"' ||
				    line[i + 1] == '\\')) {
				word[len++] = line[++i];
			} else {
				word[len++] = c;
			}
			continue;
		}
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n' ||
		    c == '\r') {
			if (in_word) {
				word[len] = '\0';
				vec_add(w, word);
				len = 0;
				in_word = 0;
			}
			continue;
		}
		if (c == '#' && !in_word)
			break;
		in_word = 1;
		if (c == '"' || c == '\'') {
			quote = c;
			qstart = i;
		} else if (c == '\\') {
			if (line[i + 1] == '\0') {
				sh_err("the line ends with a backslash: "
				       "escape it as \\\\ or quote it");
				goto out;
			}
			word[len++] = line[++i];
		} else {
			word[len++] = c;
		}
	}
	if (in_word) {
		word[len] = '\0';
		vec_add(w, word);
	}
	if (w->err) {
		sh_err("out of memory");
		goto out;
	}
	rv = 0;
out:
	free(word);
	return rv;
}

/* ---- paths ---- */

/*
 * arg against the current directory: an absolute path without empty,
 * "." or ".." parts ("/" for the root). "~" is the home directory.
 * Returns 0, or -1 after an error when it is too long.
 */
static int
resolve(const struct shell *sh, const char *arg, char *out, size_t cap)
{
	char in[2 * SH_PATH_MAX + 2];
	size_t len = 0, n;
	const char *p, *seg;

	if (strcmp(arg, "~") == 0 || strncmp(arg, "~/", 2) == 0)
		n = (size_t)snprintf(in, sizeof(in), "%s/%s", sh->home,
				     arg + 1);
	else if (arg[0] == '/')
		n = (size_t)snprintf(in, sizeof(in), "%s", arg);
	else
		n = (size_t)snprintf(in, sizeof(in), "%s/%s", sh->cwd, arg);
	if (n >= sizeof(in))
		goto long_;
	for (p = in; *p;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		seg = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the slash */
			continue;
		}
		if (len + 1 + n + 1 > cap)
			goto long_;
		out[len++] = '/';
		memcpy(out + len, seg, n);
		len += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
long_:
	sh_err("path too long: %.60s...", arg);
	return -1;
}

/* The last part of a path ("notes.txt" of "/home/a/notes.txt"). */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

/* ---- running table commands ---- */

/* The session's authority options, as the command line takes them. */
static void
add_auth(const struct shell *sh, struct vec *a)
{
	if (!sh->has_auth)
		return;
	if (sh->auth.as != NULL) {
		vec_add(a, "--as");
		vec_add(a, sh->auth.as);
	} else {
		vec_add(a, "--token");
		vec_add(a, sh->auth.token);
	}
	for (size_t i = 0; i < sh->auth.nkeys; i++) {
		vec_add(a, "--key");
		vec_add(a, sh->auth.keys[i]);
	}
}

/* Run the table row named by a (from its group on); frees nothing. */
static int
dispatch(const struct shell *sh, struct vec *a, int with_auth)
{
	int status;

	if (with_auth)
		add_auth(sh, a);
	if (a->err) {
		sh_err("out of memory");
		return DOT_EXIT_FAIL;
	}
	fflush(stdout);
	status = dot_dispatch(a->n, a->v);
	fflush(stdout);
	fflush(stderr);
	return status;
}

/* dispatch() with stdout going to an anonymous file whose descriptor is
 * returned in *fd (at offset 0), for COPY and TYPE. */
static int
dispatch_captured(const struct shell *sh, struct vec *a, int *fd)
{
	int saved, status;

	*fd = memfd_create("dot-shell", MFD_CLOEXEC);
	if (*fd < 0) {
		FILE *t = tmpfile();
		if (t != NULL) {
			*fd = dup(fileno(t));
			fclose(t);
		}
	}
	if (*fd < 0) {
		sh_err("cannot make a temporary file: %s", strerror(errno));
		return DOT_EXIT_FAIL;
	}
	fflush(stdout);
	if ((saved = dup(STDOUT_FILENO)) < 0 || dup2(*fd, STDOUT_FILENO) < 0) {
		sh_err("cannot redirect stdout: %s", strerror(errno));
		if (saved >= 0)
			close(saved);
		close(*fd);
		*fd = -1;
		return DOT_EXIT_FAIL;
	}
	status = dispatch(sh, a, 1);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	lseek(*fd, 0, SEEK_SET);
	return status;
}

/* The row of the table for group and verb (NULL: the group's own). */
static const struct dot_cmd *
table_row(const char *group, const char *verb)
{
	for (size_t i = 0; i < dot_ncmds; i++) {
		const struct dot_cmd *c = &dot_cmds[i];

		if (strcmp(c->group, group) != 0)
			continue;
		if (c->name == NULL ||
		    (verb != NULL && strcmp(c->name, verb) == 0))
			return c;
	}
	return NULL;
}

static int
table_has_group(const char *group)
{
	for (size_t i = 0; i < dot_ncmds; i++)
		if (strcmp(dot_cmds[i].group, group) == 0)
			return 1;
	return 0;
}

/* Does the row take an authority (--as / --token)? */
static int
row_wants_auth(const struct dot_cmd *c)
{
	return c != NULL && (strstr(c->synopsis, "AUTHORITY") != NULL ||
			     strstr(c->synopsis, "--as ") != NULL ||
			     strstr(c->synopsis, "--token ") != NULL);
}

/* Did the user give an authority of their own? */
static int
has_auth_opt(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--as") == 0 ||
		    strcmp(argv[i], "--token") == 0 ||
		    strncmp(argv[i], "--as=", 5) == 0 ||
		    strncmp(argv[i], "--token=", 8) == 0)
			return 1;
	return 0;
}

/* Options whose value is the next argument (passed as it is). */
static int
opt_takes_value(const char *o)
{
	static const char *const opts[] = {
	    "--expect-version", "--block", "-m", "--message", "-o", "--output"};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(o, opts[i]) == 0)
			return 1;
	return 0;
}

/*
 * Split argv (after the command name) into options, which are passed as
 * they are, and paths, resolved against the current directory.
 */
struct mapped {
	struct vec opts;
	struct vec paths;
};

static int
map_args(const struct shell *sh, int argc, char **argv, struct mapped *m)
{
	char path[SH_PATH_MAX];

	memset(m, 0, sizeof(*m));
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			vec_add(&m->opts, argv[i]);
			if (opt_takes_value(argv[i]) && i + 1 < argc)
				vec_add(&m->opts, argv[++i]);
			continue;
		}
		if (resolve(sh, argv[i], path, sizeof(path)) != 0)
			return -1;
		vec_add(&m->paths, path);
	}
	if (m->opts.err || m->paths.err) {
		sh_err("out of memory");
		return -1;
	}
	return 0;
}

static void
mapped_free(struct mapped *m)
{
	vec_free(&m->opts);
	vec_free(&m->paths);
}

static int
sh_usage(const char *name, const char *args)
{
	sh_err("usage: %s %s (HELP %s for more)", name, args, name);
	return DOT_EXIT_USAGE;
}

/* Run "group verb PATH [options]" for each path (at least min, at most
 * max; none given: the current directory when dflt). */
static int
per_path(struct shell *sh, int argc, char **argv, const char *group,
	 const char *verb, int min, int max, int dflt, const char *usage)
{
	struct mapped m;
	int status = DOT_EXIT_OK, st;

	if (map_args(sh, argc, argv, &m) != 0) {
		mapped_free(&m);
		return DOT_EXIT_USAGE;
	}
	if (m.paths.n == 0 && dflt)
		vec_add(&m.paths, sh->cwd);
	if (m.paths.n < min || m.paths.n > max) {
		mapped_free(&m);
		return sh_usage(argv[0], usage);
	}
	for (int i = 0; i < m.paths.n; i++) {
		struct vec a = {0};

		vec_add(&a, group);
		vec_add(&a, verb);
		vec_add(&a, m.paths.v[i]);
		for (int k = 0; k < m.opts.n; k++)
			vec_add(&a, m.opts.v[k]);
		st = dispatch(sh, &a, 1);
		vec_free(&a);
		if (st > status)
			status = st;
	}
	mapped_free(&m);
	return status;
}

/* ---- the shell's own session: cd and completion ---- */

static struct cli_session *
query_session(struct shell *sh, struct dot_err *e)
{
	if (sh->q_open)
		return &sh->q;
	if (!sh->has_auth) {
		dot_err_set(e, DOT_EINVAL,
			    "no authority: start the shell with --as "
			    "ACCOUNT@LEVEL --key KEY or --token TOKEN --key "
			    "HOLDER");
		return NULL;
	}
	if (cli_session_open(&sh->q, &sh->auth, e) != DOT_OK) {
		cli_session_close(&sh->q);
		return NULL;
	}
	sh->q_open = 1;
	return &sh->q;
}

static void
query_close(struct shell *sh)
{
	if (sh->q_open)
		cli_session_close(&sh->q);
	sh->q_open = 0;
}

/* A signed read (fs.stat, fs.ls) on the shell's session; a dropped
 * connection is opened again once. *refused says the node refused. */
static int
shell_query(struct shell *sh, const char *op, const char *path,
	    struct dot_buf *ans, int retry, int *refused, struct dot_err *e)
{
	struct cli_session *s;
	int rv = DOT_EINVAL;

	*refused = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		int was_open = sh->q_open;

		if ((s = query_session(sh, e)) == NULL)
			return e->code ? e->code : DOT_EINVAL;
		ans->len = 0;
		rv = cli_session_query(s, op, path, ans, e);
		if (rv == DOT_OK || s->refused) {
			*refused = s->refused;
			s->refused = 0;
			return rv;
		}
		query_close(sh); /* transport: start over */
		if (!was_open || !retry)
			break;
	}
	return rv;
}

static int
shell_stat(struct shell *sh, const char *path, struct cli_stat *st,
	   int *refused, struct dot_err *e)
{
	struct dot_buf ans = {0};
	struct dot_dec d;
	int rv;

	rv = shell_query(sh, "fs.stat", path, &ans, 1, refused, e);
	if (rv == DOT_OK) {
		if (dot_dec_init(&d, ans.data, ans.len, NULL, NULL) != DOT_OK)
			rv = dot_err_set(e, DOT_EAPI_FORMAT,
					 "bad answer to fs.stat");
		else
			rv = cli_stat_dec(&d, st, e);
	}
	dot_buf_free(&ans);
	return rv;
}

/* 1 when path is a directory on the node; 0 when not or unknown. */
static int
is_dir(struct shell *sh, const char *path)
{
	struct cli_stat st;
	struct dot_err e = {0};
	int refused;

	if (strcmp(path, "/") == 0)
		return 1;
	return shell_stat(sh, path, &st, &refused, &e) == DOT_OK &&
	       st.kind == DOT_OBJ_DIR;
}

/* ---- the commands ---- */

static int
c_ls(struct shell *sh, int argc, char **argv)
{
	return per_path(sh, argc, argv, "fs", "ls", 0, 64, 1, "[PATH]...");
}

static int
c_cat(struct shell *sh, int argc, char **argv)
{
	struct mapped m;
	int status = DOT_EXIT_OK, st, fd, json = 0;
	char buf[8192], last = '\n';
	ssize_t r;

	if (!sh->interactive)
		return per_path(sh, argc, argv, "fs", "cat", 1, 64, 0,
				"PATH...");
	/* At a terminal: end the output with a newline before the prompt. */
	if (map_args(sh, argc, argv, &m) != 0) {
		mapped_free(&m);
		return DOT_EXIT_USAGE;
	}
	if (m.paths.n < 1) {
		mapped_free(&m);
		return sh_usage(argv[0], "PATH...");
	}
	for (int k = 0; k < m.opts.n; k++)
		json |= strcmp(m.opts.v[k], "--json") == 0;
	for (int i = 0; i < m.paths.n; i++) {
		struct vec a = {0};

		vec_add(&a, "fs");
		vec_add(&a, "cat");
		vec_add(&a, m.paths.v[i]);
		for (int k = 0; k < m.opts.n; k++)
			vec_add(&a, m.opts.v[k]);
		st = dispatch_captured(sh, &a, &fd);
		vec_free(&a);
		if (st > status)
			status = st;
		if (fd < 0)
			continue;
		while ((r = read(fd, buf, sizeof(buf))) > 0) {
			fwrite(buf, 1, (size_t)r, stdout);
			last = buf[r - 1];
		}
		close(fd);
		if (last != '\n' && !json)
			fputc('\n', stdout);
		last = '\n';
		fflush(stdout);
	}
	mapped_free(&m);
	return status;
}

static int
c_rm(struct shell *sh, int argc, char **argv)
{
	return per_path(sh, argc, argv, "fs", "rm", 1, 64, 0, "PATH...");
}

static int
c_mkdir(struct shell *sh, int argc, char **argv)
{
	return per_path(sh, argc, argv, "fs", "mkdir", 1, 64, 0, "PATH...");
}

static int
c_stat(struct shell *sh, int argc, char **argv)
{
	return per_path(sh, argc, argv, "fs", "stat", 0, 64, 1, "[PATH]...");
}

/* TO, or TO/basename(FROM) when TO is a directory. */
static void
target_in_dir(struct shell *sh, const char *from, const char *to, char *out,
	      size_t cap)
{
	if (is_dir(sh, to))
		snprintf(out, cap, "%s%s%s", to, strcmp(to, "/") ? "/" : "",
			 base_name(from));
	else
		snprintf(out, cap, "%s", to);
}

static int
c_cp(struct shell *sh, int argc, char **argv)
{
	struct mapped m;
	struct vec a = {0};
	char to[SH_PATH_MAX + 256], src[64];
	int status, fd = -1;

	if (map_args(sh, argc, argv, &m) != 0) {
		mapped_free(&m);
		return DOT_EXIT_USAGE;
	}
	if (m.paths.n != 2) {
		mapped_free(&m);
		return sh_usage(argv[0], "FROM TO");
	}
	target_in_dir(sh, m.paths.v[0], m.paths.v[1], to, sizeof(to));
	/* Read FROM (fs cat into a temporary file), then put TO. */
	vec_add(&a, "fs");
	vec_add(&a, "cat");
	vec_add(&a, m.paths.v[0]);
	status = dispatch_captured(sh, &a, &fd);
	vec_free(&a);
	if (status != DOT_EXIT_OK || fd < 0)
		goto out;
	snprintf(src, sizeof(src), "/dev/fd/%d", fd);
	vec_add(&a, "fs");
	vec_add(&a, "put");
	vec_add(&a, to);
	vec_add(&a, src);
	for (int k = 0; k < m.opts.n; k++)
		vec_add(&a, m.opts.v[k]);
	status = dispatch(sh, &a, 1);
	vec_free(&a);
out:
	if (fd >= 0)
		close(fd);
	mapped_free(&m);
	return status;
}

static int
c_mv(struct shell *sh, int argc, char **argv)
{
	struct mapped m;
	struct vec a = {0};
	char to[SH_PATH_MAX + 256];
	int status;

	if (map_args(sh, argc, argv, &m) != 0) {
		mapped_free(&m);
		return DOT_EXIT_USAGE;
	}
	if (m.paths.n != 2) {
		mapped_free(&m);
		return sh_usage(argv[0], "FROM TO");
	}
	target_in_dir(sh, m.paths.v[0], m.paths.v[1], to, sizeof(to));
	vec_add(&a, "fs");
	vec_add(&a, "mv");
	vec_add(&a, m.paths.v[0]);
	vec_add(&a, to);
	for (int k = 0; k < m.opts.n; k++)
		vec_add(&a, m.opts.v[k]);
	status = dispatch(sh, &a, 1);
	vec_free(&a);
	mapped_free(&m);
	return status;
}

static int
c_cd(struct shell *sh, int argc, char **argv)
{
	char path[SH_PATH_MAX];
	struct cli_stat st;
	struct dot_err e = {0};
	int refused;

	if (argc > 2)
		return sh_usage(argv[0], "[PATH]");
	if (argc == 1) /* home when it exists, else the root */
		snprintf(path, sizeof(path), "%s",
			 is_dir(sh, sh->home) ? sh->home : "/");
	else if (strcmp(argv[1], "-") == 0)
		snprintf(path, sizeof(path), "%s", sh->oldcwd);
	else if (resolve(sh, argv[1], path, sizeof(path)) != 0)
		return DOT_EXIT_USAGE;
	if (strcmp(path, "/") != 0) {
		if (shell_stat(sh, path, &st, &refused, &e) != DOT_OK) {
			if (refused && e.msg[0] != '\0')
				sh_err("%s: %s", argv[0], e.msg);
			else
				sh_err("%s: %s: %s", argv[0], path,
				       e.msg[0] ? e.msg : dot_strerror(e.code));
			return DOT_EXIT_FAIL;
		}
		if (st.kind != DOT_OBJ_DIR) {
			sh_err("%s: %s is a %s, not a directory", argv[0], path,
			       cli_kind_name(st.kind));
			return DOT_EXIT_FAIL;
		}
	}
	snprintf(sh->oldcwd, sizeof(sh->oldcwd), "%s", sh->cwd);
	snprintf(sh->cwd, sizeof(sh->cwd), "%s", path);
	if (argc == 2 && strcmp(argv[1], "-") == 0)
		printf("%s\n", sh->cwd);
	return DOT_EXIT_OK;
}

static int
c_pwd(struct shell *sh, int argc, char **argv)
{
	if (argc > 1)
		return sh_usage(argv[0], "");
	printf("%s\n", sh->cwd);
	return DOT_EXIT_OK;
}

static int
c_put(struct shell *sh, int argc, char **argv)
{
	struct vec a = {0};
	char path[SH_PATH_MAX], to[SH_PATH_MAX + 256];
	const char *local = NULL, *remote = NULL;
	struct vec opts = {0};
	int status;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			vec_add(&opts, argv[i]);
			if (opt_takes_value(argv[i]) && i + 1 < argc)
				vec_add(&opts, argv[++i]);
		} else if (local == NULL) {
			local = argv[i];
		} else if (remote == NULL) {
			remote = argv[i];
		} else {
			local = NULL;
			break;
		}
	}
	if (local == NULL) {
		vec_free(&opts);
		return sh_usage(argv[0], "LOCAL-FILE [PATH]");
	}
	if (remote == NULL) {
		snprintf(to, sizeof(to), "%s%s%s", sh->cwd,
			 strcmp(sh->cwd, "/") ? "/" : "", base_name(local));
	} else {
		if (resolve(sh, remote, path, sizeof(path)) != 0) {
			vec_free(&opts);
			return DOT_EXIT_USAGE;
		}
		target_in_dir(sh, local, path, to, sizeof(to));
	}
	vec_add(&a, "fs");
	vec_add(&a, "put");
	vec_add(&a, to);
	vec_add(&a, local);
	for (int k = 0; k < opts.n; k++)
		vec_add(&a, opts.v[k]);
	status = dispatch(sh, &a, 1);
	vec_free(&a);
	vec_free(&opts);
	return status;
}

/* "group verb ARGS...", the arguments as given, with the authority when
 * the row takes one. */
static int
pass_through(struct shell *sh, const char *group, const char *verb, int argc,
	     char **argv)
{
	struct vec a = {0};
	int status;

	vec_add(&a, group);
	if (verb != NULL)
		vec_add(&a, verb);
	for (int i = 1; i < argc; i++)
		vec_add(&a, argv[i]);
	status = dispatch(sh, &a,
			  row_wants_auth(table_row(group, verb)) &&
			      !has_auth_opt(argc, argv));
	vec_free(&a);
	return status;
}

static int
c_grant(struct shell *sh, int argc, char **argv)
{
	if (argc < 2)
		return sh_usage(argv[0], "TOKEN");
	return pass_through(sh, "cap", "grant", argc, argv);
}

static int
c_revoke(struct shell *sh, int argc, char **argv)
{
	if (argc < 2)
		return sh_usage(argv[0], "TOKEN --block N");
	return pass_through(sh, "cap", "revoke", argc, argv);
}

static int
c_send(struct shell *sh, int argc, char **argv)
{
	struct vec a = {0};
	char path[SH_PATH_MAX], *text;
	size_t len = 0;
	int status;

	if (argc < 3)
		return sh_usage(argv[0], "MAILBOX TEXT...");
	if (resolve(sh, argv[1], path, sizeof(path)) != 0)
		return DOT_EXIT_USAGE;
	for (int i = 2; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((text = malloc(len)) == NULL) {
		sh_err("out of memory");
		return DOT_EXIT_FAIL;
	}
	text[0] = '\0';
	for (int i = 2; i < argc; i++) {
		if (i > 2)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	vec_add(&a, "msg");
	vec_add(&a, "send");
	vec_add(&a, path);
	vec_add(&a, "-m");
	vec_add(&a, text);
	status = dispatch(sh, &a, 1);
	vec_free(&a);
	free(text);
	return status;
}

static int
c_recv(struct shell *sh, int argc, char **argv)
{
	return per_path(sh, argc, argv, "msg", "recv", 1, 1, 0, "MAILBOX");
}

static int
c_audit(struct shell *sh, int argc, char **argv)
{
	struct vec a = {0};
	int status;

	if (!table_has_group("audit")) {
		sh_err("%s: not available in this build (it has no 'dot "
		       "audit' commands)",
		       argv[0]);
		return DOT_EXIT_FAIL;
	}
	if (argc < 2) {
		vec_add(&a, "help");
		vec_add(&a, "audit");
		status = dispatch(sh, &a, 0);
		vec_free(&a);
		return status;
	}
	vec_add(&a, "audit");
	for (int i = 1; i < argc; i++)
		vec_add(&a, argv[i]);
	status = dispatch(sh, &a,
			  row_wants_auth(table_row("audit", argv[1])) &&
			      !has_auth_opt(argc, argv));
	vec_free(&a);
	return status;
}

static int
c_workload(struct shell *sh, int argc, char **argv)
{
	(void)sh;
	(void)argc;
	sh_err("%s: workloads arrive with the workload runtime, in a later "
	       "issue; not available yet",
	       argv[0]);
	return DOT_EXIT_FAIL;
}

static int
c_status(struct shell *sh, int argc, char **argv)
{
	return pass_through(sh, "status", NULL, argc, argv);
}

static int c_help(struct shell *sh, int argc, char **argv);

static int
c_exit(struct shell *sh, int argc, char **argv)
{
	uint64_t v;

	if (argc > 2)
		return sh_usage(argv[0], "[STATUS]");
	if (argc == 2 && cli_parse_u64(argv[1], 0, 255, &v) != 0) {
		sh_err("%s: '%s': give a status from 0 to 255", argv[0],
		       argv[1]);
		return DOT_EXIT_USAGE;
	}
	sh->done = 1;
	sh->exit_status = argc == 2 ? (int)v : sh->last;
	return sh->exit_status;
}

static const struct shell_cmd shell_cmds[] = {
    {"DIR", "ls", "[PATH]...", "list a directory (dot fs ls)", c_ls},
    {"TYPE", "cat", "PATH...", "print a file (dot fs cat)", c_cat},
    {"COPY", "cp", "FROM TO", "copy a file: read FROM, put TO", c_cp},
    {"DEL", "rm", "PATH...",
     "remove a file, empty directory or mailbox (dot fs rm)", c_rm},
    {"MD", "mkdir", "PATH...", "make a directory (dot fs mkdir)", c_mkdir},
    {"RD", "rmdir", "PATH...", "remove an empty directory (dot fs rm)", c_rm},
    {"CD", "cd", "[PATH]",
     "change directory (none: home; '-': the previous one)", c_cd},
    {"REN", "mv", "FROM TO", "rename or move (dot fs mv)", c_mv},
    {NULL, "pwd", "", "print the current directory", c_pwd},
    {NULL, "stat", "[PATH]...", "show an object (dot fs stat)", c_stat},
    {NULL, "put", "LOCAL-FILE [PATH]", "upload a local file (dot fs put)",
     c_put},
    {"GRANT", NULL, "TOKEN", "record a token's grant (dot cap grant)", c_grant},
    {"REVOKE", NULL, "TOKEN --block N",
     "revoke a token's block (dot cap revoke)", c_revoke},
    {"SEND", NULL, "MAILBOX TEXT...", "send a message (dot msg send -m)",
     c_send},
    {"RECV", NULL, "MAILBOX", "receive the oldest message (dot msg recv)",
     c_recv},
    {"AUDIT", NULL, "[COMMAND ARGS...]", "the audit log (dot audit)", c_audit},
    {"RUN", NULL, "...", "run a workload (arrives with workloads)", c_workload},
    {"PS", NULL, "", "list workloads (arrives with workloads)", c_workload},
    {"STATUS", NULL, "", "the node's status (dot status)", c_status},
    {"HELP", "help", "[COMMAND]", "this list, or one command's help", c_help},
    {"EXIT", "exit", "[STATUS]", "leave the shell (also Ctrl-D)", c_exit},
    {"QUIT", NULL, "[STATUS]", "leave the shell", c_exit},
};
#define NSHELL_CMDS (sizeof(shell_cmds) / sizeof(shell_cmds[0]))

static const struct shell_cmd *
find_shell_cmd(const char *name)
{
	for (size_t i = 0; i < NSHELL_CMDS; i++) {
		const struct shell_cmd *c = &shell_cmds[i];

		if ((c->dos != NULL && strcasecmp(c->dos, name) == 0) ||
		    (c->unx != NULL && strcasecmp(c->unx, name) == 0))
			return c;
	}
	return NULL;
}

static void
print_groups(void)
{
	const char *seen[64];
	size_t n = 0, k;

	for (size_t i = 0; i < dot_ncmds && n < 64; i++) {
		const char *g = dot_cmds[i].group;
		if (strcmp(g, "shell") == 0)
			continue;
		for (k = 0; k < n && strcmp(seen[k], g) != 0; k++)
			;
		if (k == n) {
			seen[n++] = g;
			printf(" %s", g);
		}
	}
}

static int
c_help(struct shell *sh, int argc, char **argv)
{
	const struct shell_cmd *c;
	struct vec a = {0};
	int status;

	if (argc == 1) {
		printf("%-7s %-6s %-18s %s\n", "DOS", "Unix", "Arguments",
		       "What it does");
		for (size_t i = 0; i < NSHELL_CMDS; i++) {
			c = &shell_cmds[i];
			printf("%-7s %-6s %-18s %s\n", c->dos ? c->dos : "",
			       c->unx ? c->unx : "", c->args, c->summary);
		}
		printf("\nNames are case-insensitive. Paths are relative to "
		       "the current directory\n"
		       "(shown in the prompt); quote with \"...\" or '...', "
		       "escape with \\.\n"
		       "Every dot command runs by its group, with the "
		       "session's authority added\nwhere it takes one "
		       "(e.g. 'key show admin', 'fs chown PATH ACCOUNT'):\n ");
		print_groups();
		printf("\n"
		       "HELP COMMAND or HELP GROUP [VERB] for more.\n");
		return DOT_EXIT_OK;
	}
	if ((c = find_shell_cmd(argv[1])) != NULL) {
		printf("%s%s%s %s\n  %s.\n", c->dos ? c->dos : "",
		       c->dos && c->unx ? ", " : "", c->unx ? c->unx : "",
		       c->args, c->summary);
		printf("  Paths are relative to the current directory (%s); "
		       "options such as\n  --json are passed to the dot "
		       "command it runs, with the session's authority.\n",
		       sh->cwd);
		return DOT_EXIT_OK;
	}
	if (strcmp(argv[1], "shell") != 0 && table_has_group(argv[1])) {
		vec_add(&a, "help");
		for (int i = 1; i < argc; i++)
			vec_add(&a, argv[i]);
		status = dispatch(sh, &a, 0);
		vec_free(&a);
		return status;
	}
	sh_err("HELP: no command '%s'; type HELP for the list", argv[1]);
	return DOT_EXIT_USAGE;
}

/* ---- one line ---- */

static int
run_words(struct shell *sh, int argc, char **argv)
{
	const struct shell_cmd *c;

	if (argc > 0 && strcmp(argv[0], "dot") == 0) { /* "dot fs ls /" */
		argc--;
		argv++;
		if (argc == 0)
			return sh_usage("dot", "GROUP COMMAND [ARGS]");
	}
	if ((c = find_shell_cmd(argv[0])) != NULL)
		return c->run(sh, argc, argv);
	if (strcmp(argv[0], "shell") == 0) {
		sh_err("you are in the shell already");
		return DOT_EXIT_USAGE;
	}
	if (table_has_group(argv[0])) {
		const struct dot_cmd *row =
		    table_row(argv[0], argc > 1 ? argv[1] : NULL);
		struct vec a = {0};
		int status;

		for (int i = 0; i < argc; i++)
			vec_add(&a, argv[i]);
		status = dispatch(
		    sh, &a, row_wants_auth(row) && !has_auth_opt(argc, argv));
		vec_free(&a);
		return status;
	}
	sh_err("unknown command '%s'; type HELP for the list", argv[0]);
	return DOT_EXIT_USAGE;
}

static int
run_line(struct shell *sh, const char *line)
{
	struct vec w = {0};
	int status;

	if (split_line(line, &w) != 0) {
		vec_free(&w);
		return DOT_EXIT_USAGE;
	}
	if (w.n == 0) {
		vec_free(&w);
		return -1; /* nothing: keep the last status */
	}
	status = run_words(sh, w.n, w.v);
	vec_free(&w);
	return status;
}

/* ---- completion ---- */

struct cands {
	char *v[SH_COMPLETE_MAX];
	int dir[SH_COMPLETE_MAX]; /* a directory: ends in '/' */
	int n;
};

static void
cand_add(struct cands *c, const char *s, size_t n, int dir)
{
	if (c->n >= SH_COMPLETE_MAX)
		return;
	for (int i = 0; i < c->n; i++)
		if (strlen(c->v[i]) == n && memcmp(c->v[i], s, n) == 0)
			return;
	if ((c->v[c->n] = strndup(s, n)) == NULL)
		return;
	c->dir[c->n++] = dir;
}

static void
cands_free(struct cands *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->v[i]);
	c->n = 0;
}

static void
name_cased(const char *name, int upper, char *out, size_t cap)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < cap; i++)
		out[i] = (char)(upper ? toupper((unsigned char)name[i])
				      : tolower((unsigned char)name[i]));
	out[i] = '\0';
}

/* Command names starting with word (any case), in the case of word. */
static void
complete_commands(const char *word, struct cands *c)
{
	int upper = isupper((unsigned char)word[0]);
	size_t wl = strlen(word);
	char name[64];

	for (size_t i = 0; i < NSHELL_CMDS; i++) {
		const char *names[2] = {shell_cmds[i].dos, shell_cmds[i].unx};

		for (int k = 0; k < 2; k++) {
			if (names[k] == NULL)
				continue;
			name_cased(names[k], upper, name, sizeof(name));
			if (strncasecmp(name, word, wl) == 0)
				cand_add(c, name, strlen(name), 0);
		}
	}
	if (upper)
		return;
	for (size_t i = 0; i < dot_ncmds; i++) {
		const char *g = dot_cmds[i].group;
		if (strcmp(g, "shell") != 0 && strncmp(g, word, wl) == 0)
			cand_add(c, g, strlen(g), 0);
	}
}

static void
complete_verbs(const char *group, const char *word, struct cands *c)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i < dot_ncmds; i++)
		if (strcmp(dot_cmds[i].group, group) == 0 &&
		    dot_cmds[i].name != NULL &&
		    strncmp(dot_cmds[i].name, word, wl) == 0)
			cand_add(c, dot_cmds[i].name, strlen(dot_cmds[i].name),
				 0);
}

/* Open the shell's session with DOT_TIMEOUT lowered to the completion's
 * bound for the connection and its status call; quietly. */
static void
query_open_bounded(struct shell *sh)
{
	const char *t = getenv("DOT_TIMEOUT");
	char *saved = t != NULL ? strdup(t) : NULL;
	char bound[16];
	struct dot_err e = {0};
	uint64_t cur;

	if (t != NULL && saved == NULL)
		return;
	snprintf(bound, sizeof(bound), "%d", SH_COMPLETE_TIMEOUT_MS / 1000);
	if (saved == NULL || cli_parse_u64(saved, 1, 86400, &cur) != 0 ||
	    cur > SH_COMPLETE_TIMEOUT_MS / 1000)
		setenv("DOT_TIMEOUT", bound, 1);
	if (query_session(sh, &e) != NULL) /* later calls: the usual bound */
		sh->q.node.timeout_ms =
		    (saved != NULL && cli_parse_u64(saved, 1, 86400, &cur) == 0
			 ? (int)cur
			 : 60) *
		    1000; /* 60: client.c's default */
	if (saved != NULL)
		setenv("DOT_TIMEOUT", saved, 1);
	else
		unsetenv("DOT_TIMEOUT");
	free(saved);
}

/* Names in the node's directory of word that start with its last part;
 * quietly nothing when the node cannot answer. */
static void
complete_remote(struct shell *sh, const char *word, struct cands *c)
{
	const char *slash = strrchr(word, '/'), *base, *name;
	char dirarg[SH_PATH_MAX], dir[SH_PATH_MAX];
	struct dot_buf ans = {0};
	struct dot_err e = {0};
	struct dot_dec d;
	struct cli_stat st;
	uint64_t count, two;
	size_t nlen, blen;
	int refused, saved_timeout = 0;

	if (slash != NULL) {
		snprintf(dirarg, sizeof(dirarg), "%.*s",
			 (int)(slash - word + 1), word);
		base = slash + 1;
	} else {
		snprintf(dirarg, sizeof(dirarg), ".");
		base = word;
	}
	if (resolve(sh, dirarg, dir, sizeof(dir)) != 0)
		return;
	blen = strlen(base);
	if (!sh->q_open) /* connect and ask the status within the bound */
		query_open_bounded(sh);
	if (!sh->q_open)
		goto out;
	saved_timeout = sh->q.node.timeout_ms;
	if (sh->q.node.timeout_ms > SH_COMPLETE_TIMEOUT_MS)
		sh->q.node.timeout_ms = SH_COMPLETE_TIMEOUT_MS;
	if (shell_query(sh, "fs.ls", dir, &ans, 0, &refused, &e) != DOT_OK)
		goto out;
	if (dot_dec_init(&d, ans.data, ans.len, NULL, NULL) != DOT_OK ||
	    dot_dec_array(&d, &count) != DOT_OK)
		goto out;
	for (uint64_t i = 0; i < count && c->n < SH_COMPLETE_MAX; i++) {
		if (dot_dec_array(&d, &two) != DOT_OK || two != 2 ||
		    dot_dec_tstr(&d, &name, &nlen) != DOT_OK ||
		    cli_stat_dec(&d, &st, &e) != DOT_OK)
			break;
		if (nlen >= blen && memcmp(name, base, blen) == 0)
			cand_add(c, name, nlen, st.kind == DOT_OBJ_DIR);
	}
out:
	if (sh->q_open && saved_timeout > 0)
		sh->q.node.timeout_ms = saved_timeout;
	dot_buf_free(&ans);
}

/* Local files for PUT's first argument. */
static void
complete_local(const char *word, struct cands *c)
{
	const char *slash = strrchr(word, '/'), *base;
	char dirp[SH_PATH_MAX], full[2 * SH_PATH_MAX];
	struct dirent *de;
	struct stat stt;
	size_t blen;
	DIR *dp;

	if (slash != NULL) {
		snprintf(dirp, sizeof(dirp), "%.*s", (int)(slash - word + 1),
			 word);
		base = slash + 1;
	} else {
		snprintf(dirp, sizeof(dirp), "./");
		base = word;
	}
	blen = strlen(base);
	if ((dp = opendir(dirp)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL && c->n < SH_COMPLETE_MAX) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, base, blen) != 0)
			continue;
		if (blen == 0 && de->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s%s", dirp, de->d_name);
		cand_add(c, de->d_name, strlen(de->d_name),
			 stat(full, &stt) == 0 && S_ISDIR(stt.st_mode));
	}
	closedir(dp);
}

/* Insert s at the cursor, with a backslash before what the shell would
 * split on (inside an open quote, only that quote is escaped). */
static void
insert_escaped(EditLine *el, const char *s, char quote)
{
	char buf[2 * SH_PATH_MAX + 8];
	size_t n = 0;

	for (; *s && n + 3 < sizeof(buf); s++) {
		if (quote == 0 && strchr(" \t\"'\\#", *s) != NULL)
			buf[n++] = '\\';
		else if (quote == '"' && (*s == '"' || *s == '\\'))
			buf[n++] = '\\';
		else if (quote == '\'' && *s == '\'')
			continue; /* cannot be written in '...' */
		buf[n++] = *s;
	}
	buf[n] = '\0';
	if (n > 0)
		el_insertstr(el, buf);
}

static void
show_candidates(const struct cands *c)
{
	size_t w = 0, col = 0;

	for (int i = 0; i < c->n; i++)
		if (strlen(c->v[i]) + 1 > w)
			w = strlen(c->v[i]) + 1;
	w += 2;
	fputc('\n', stdout);
	for (int i = 0; i < c->n; i++) {
		if (col + w > 80 && col > 0) {
			fputc('\n', stdout);
			col = 0;
		}
		printf("%s%-*s", c->v[i], (int)(w - strlen(c->v[i])),
		       c->dir[i] ? "/" : "");
		col += w;
	}
	fputc('\n', stdout);
	fflush(stdout);
}

static unsigned char
complete(EditLine *el, int ch)
{
	struct shell *sh = NULL;
	const LineInfo *li = el_line(el);
	char *line, *word, *w0 = NULL, *w1 = NULL, quote = 0;
	size_t len, wlen = 0, prefix, wstart = 0;
	int nwords = 0, in_word = 0, first;
	struct cands c;
	unsigned char rv = CC_REFRESH_BEEP;

	(void)ch;
	el_get(el, EL_CLIENTDATA, (void **)&sh);
	if (sh == NULL || li == NULL)
		return CC_ERROR;
	len = (size_t)(li->cursor - li->buffer);
	c.n = 0;
	line = malloc(len + 1);
	word = malloc(len + 1);
	if (line == NULL || word == NULL)
		goto out;
	memcpy(line, li->buffer, len);
	line[len] = '\0';
	/* The words before the cursor, as split_line would see them. */
	for (size_t i = 0; i < len; i++) {
		char ch2 = line[i];

		if (quote != 0) {
			if (ch2 == quote)
				quote = 0;
			else if (quote == '"' && ch2 == '\\' && i + 1 < len)
				word[wlen++] = line[++i];
			else
				word[wlen++] = ch2;
			continue;
		}
		if (ch2 == ' ' || ch2 == '\t') {
			if (in_word) {
				word[wlen] = '\0';
				if (nwords == 0)
					w0 = strdup(word);
				else if (nwords == 1)
					w1 = strdup(word);
				nwords++;
				wlen = 0;
				in_word = 0;
			}
			continue;
		}
		if (!in_word)
			wstart = i;
		in_word = 1;
		if (ch2 == '"' || ch2 == '\'')
			quote = ch2;
		else if (ch2 == '\\' && i + 1 < len)
			word[wlen++] = line[++i];
		else
			word[wlen++] = ch2;
	}
	word[wlen] = '\0';
	if (!in_word)
		wstart = len;
	/* What to complete: the command, a group's verb, or a path. */
	first = nwords;
	if (w0 != NULL && strcmp(w0, "dot") == 0 && nwords >= 1) {
		first = nwords - 1;
		free(w0);
		w0 = w1;
		w1 = NULL;
	}
	if (first == 0) {
		complete_commands(word, &c);
	} else if (first == 1 && w0 != NULL && table_has_group(w0)) {
		complete_verbs(w0, word, &c);
	} else if (first == 1 && w0 != NULL && strcasecmp(w0, "audit") == 0) {
		complete_verbs("audit", word, &c);
	} else if (first == 1 && w0 != NULL && strcasecmp(w0, "help") == 0) {
		complete_commands(word, &c);
	} else if (word[0] == '-') {
		goto out;
	} else if (first == 1 && w0 != NULL && strcasecmp(w0, "put") == 0) {
		complete_local(word, &c);
	} else {
		complete_remote(sh, word, &c);
	}
	if (c.n == 0)
		goto out;
	/* The part of word after its directory, which candidates extend. */
	{
		const char *slash = first == 0 ? NULL : strrchr(word, '/');
		prefix = slash ? (size_t)(slash - word + 1) : 0;
	}
	if (c.n == 1) {
		el_deletestr(el, (int)(len - wstart));
		if (quote)
			el_insertstr(el, quote == '"' ? "\"" : "'");
		word[prefix] = '\0';
		insert_escaped(el, word, quote);
		insert_escaped(el, c.v[0], quote);
		if (quote && !c.dir[0])
			el_insertstr(el, quote == '"' ? "\"" : "'");
		el_insertstr(el, c.dir[0] ? "/" : " ");
		rv = CC_REFRESH;
		goto out;
	}
	/* Several: extend to their common prefix, else list them. */
	{
		size_t common = strlen(c.v[0]);
		int same_case = 1;

		for (int i = 1; i < c.n; i++) {
			size_t k = 0;
			while (k < common && c.v[i][k] == c.v[0][k])
				k++;
			common = k;
		}
		if (first == 0 && strncmp(c.v[0], word, strlen(word)) != 0)
			same_case = 0;
		if (common > wlen - prefix || !same_case) {
			char *ext = strndup(c.v[0], common);
			if (ext == NULL)
				goto out;
			el_deletestr(el, (int)(len - wstart));
			if (quote)
				el_insertstr(el, quote == '"' ? "\"" : "'");
			word[prefix] = '\0';
			insert_escaped(el, word, quote);
			insert_escaped(el, ext, quote);
			free(ext);
			rv = CC_REFRESH;
		} else {
			show_candidates(&c);
			rv = CC_REDISPLAY;
		}
	}
out:
	cands_free(&c);
	free(w0);
	free(w1);
	free(line);
	free(word);
	return rv;
}

/* ---- the prompt, history and the loops ---- */

static char *
prompt_fn(EditLine *el)
{
	struct shell *sh = NULL;

	el_get(el, EL_CLIENTDATA, (void **)&sh);
	return sh != NULL ? sh->prompt : (char *)"> ";
}

static void
make_prompt(struct shell *sh)
{
	if (sh->auth.as != NULL)
		snprintf(sh->prompt, sizeof(sh->prompt), "%s:%s> ", sh->auth.as,
			 sh->cwd);
	else if (sh->auth.token != NULL)
		snprintf(sh->prompt, sizeof(sh->prompt), "token:%s> ", sh->cwd);
	else
		snprintf(sh->prompt, sizeof(sh->prompt), "dot:%s> ", sh->cwd);
}

static void
history_save(struct shell *sh)
{
	HistEvent ev;
	FILE *f;
	int fd;

	if (sh->hist == NULL || sh->histfile[0] == '\0')
		return;
	fd = open(sh->histfile,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	(void)fchmod(fd, 0600);
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return;
	}
	history(sh->hist, &ev, H_SAVE_FP, f);
	fclose(f);
}

static void
history_setup(struct shell *sh)
{
	HistEvent ev;
	char dir[4096];
	struct dot_err e = {0};

	if ((sh->hist = history_init()) == NULL)
		return;
	history(sh->hist, &ev, H_SETSIZE, SH_HISTORY_MAX);
	history(sh->hist, &ev, H_SETUNIQUE, 1);
	if (cli_dot_dir(dir, sizeof(dir), &e) != DOT_OK ||
	    cli_mkdirs(dir, &e) != DOT_OK)
		return;
	snprintf(sh->histfile, sizeof(sh->histfile), "%s/shell_history", dir);
	history(sh->hist, &ev, H_LOAD, sh->histfile);
}

static void
on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
}

static int
loop_interactive(struct shell *sh)
{
	struct sigaction sa, old;
	const char *line;
	char *copy;
	HistEvent ev;
	int count, status;

	history_setup(sh);
	sh->el = el_init("dot", stdin, stdout, stderr);
	if (sh->el == NULL) {
		sh_err("cannot start line editing (libedit)");
		return DOT_EXIT_FAIL;
	}
	el_set(sh->el, EL_CLIENTDATA, (void *)sh);
	el_set(sh->el, EL_EDITOR, "emacs");
	el_set(sh->el, EL_PROMPT, prompt_fn);
	if (sh->hist != NULL)
		el_set(sh->el, EL_HIST, history, sh->hist);
	el_set(sh->el, EL_ADDFN, "dot-complete", "complete a command or path",
	       complete);
	el_set(sh->el, EL_BIND, "^I", "dot-complete", NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint; /* no SA_RESTART: el_gets returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);

	printf("Doteros shell: type HELP for the commands, EXIT or Ctrl-D "
	       "to leave.\n");
	while (!sh->done) {
		make_prompt(sh);
		got_sigint = 0;
		line = el_gets(sh->el, &count);
		if (got_sigint) { /* Ctrl-C: drop the line */
			fputs("^C\n", stdout);
			fflush(stdout);
			el_reset(sh->el);
			continue;
		}
		if (line == NULL || count <= 0) { /* Ctrl-D */
			fputc('\n', stdout);
			sh->exit_status = DOT_EXIT_OK;
			break;
		}
		if ((copy = strdup(line)) == NULL) {
			sh_err("out of memory");
			continue;
		}
		copy[strcspn(copy, "\r\n")] = '\0';
		if (copy[strspn(copy, " \t")] != '\0' && sh->hist != NULL) {
			history(sh->hist, &ev, H_ENTER, copy);
			history_save(sh);
		}
		status = run_line(sh, copy);
		free(copy);
		if (status >= 0)
			sh->last = status;
	}
	sigaction(SIGINT, &old, NULL);
	el_end(sh->el);
	sh->el = NULL;
	if (sh->hist != NULL)
		history_end(sh->hist);
	sh->hist = NULL;
	return sh->done ? sh->exit_status : DOT_EXIT_OK;
}

static int
loop_lines(struct shell *sh)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int status;

	while (!sh->done && (n = getline(&line, &cap, stdin)) >= 0) {
		if ((size_t)n > SH_LINE_MAX) {
			sh_err("a line of %zd bytes: at most %d", n,
			       SH_LINE_MAX);
			sh->last = DOT_EXIT_USAGE;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		status = run_line(sh, line);
		if (status >= 0)
			sh->last = status;
	}
	free(line);
	return sh->done ? sh->exit_status : sh->last;
}

/* ---- dot shell ---- */

static const char shell_help[] =
    "Runs DOS-style commands (DIR, TYPE, COPY, DEL, MD, CD, REN), their\n"
    "Unix forms (ls, cat, cp, rm, mkdir, cd, mv) and the system's verbs\n"
    "(GRANT, REVOKE, SEND, RECV, AUDIT) against the node, each as the dot\n"
    "command it stands for, with this session's authority and paths\n"
    "relative to the current directory. Type HELP in the shell for the\n"
    "list. The keys are unlocked once, when the shell starts.\n"
    "\n"
    "At a terminal: history ($DOT_DIR/shell_history) and <TAB>\n"
    "completion of commands and of the node's paths. Otherwise commands\n"
    "are read line by line, without a prompt, and the exit status is\n"
    "the last command's.\n"
    "\n"
    "Options:\n"
    "      --as ACCOUNT@LEVEL  act as an account's permission level\n"
    "      --token TOKEN       present a capability token (dot1... or a "
    "file)\n"
    "      --key NAME|FILE     a signing key (repeatable with --as)\n"
    "      --passphrase-file F the keys' passphrase (else "
    "DOT_PASSPHRASE, else asked once)\n"
    "  -h, --help              this help\n";

int
cmd_shell(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"as", required_argument, NULL, CLI_OPT_AS},
	    {"token", required_argument, NULL, CLI_OPT_TOKEN},
	    {"key", required_argument, NULL, CLI_OPT_KEY},
	    {"passphrase-file", required_argument, NULL, CLI_OPT_PASSFILE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct shell *sh;
	struct dot_token *tok = NULL;
	struct dot_sign_sk *sk;
	struct dot_err e = {0};
	int c, k, status = DOT_EXIT_FAIL;

	(void)self;
	if ((sh = calloc(1, sizeof(*sh))) == NULL) {
		dot_err_set(&e, DOT_ENOMEM, "out of memory");
		return cli_fail(&e);
	}
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((k = cli_auth_option(&sh->auth, c, optarg)) != 0) {
			if (k < 0) {
				status = DOT_EXIT_USAGE;
				goto out;
			}
			continue;
		}
		if (c == 'h') {
			cli_help(shell_help);
			status = DOT_EXIT_OK;
			goto out;
		}
		status = cli_badopt(c, argv);
		goto out;
	}
	if (optind < argc) {
		status = cli_usage("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	sh->has_auth =
	    sh->auth.as != NULL || sh->auth.token != NULL || sh->auth.nkeys > 0;
	if (sh->has_auth && (status = cli_auth_check(&sh->auth)) != 0)
		goto out;
	if (sh->auth.token != NULL && strcmp(sh->auth.token, "-") == 0) {
		status = cli_usage("--token -: the shell reads its commands "
				   "from standard input; give the token's "
				   "text or a file");
		goto out;
	}
	if (sh->auth.token != NULL) {
		if (cli_token_load(sh->auth.token, &tok, &e) != DOT_OK) {
			status = cli_fail(&e);
			goto out;
		}
		dot_token_free(tok);
	}
	/* Unlock each key once, for the whole session. */
	for (size_t i = 0; i < sh->auth.nkeys; i++) {
		if (cli_key_open(sh->auth.keys[i], sh->auth.passfile, &sk,
				 &e) != DOT_OK ||
		    cli_key_hold(sh->auth.keys[i], sk, &e) != DOT_OK) {
			status = cli_fail(&e);
			goto out;
		}
	}
	snprintf(sh->cwd, sizeof(sh->cwd), "/");
	snprintf(sh->oldcwd, sizeof(sh->oldcwd), "/");
	snprintf(sh->home, sizeof(sh->home), "/");
	if (sh->auth.as != NULL)
		snprintf(sh->home, sizeof(sh->home), "/home/%.*s",
			 (int)strcspn(sh->auth.as, "@"), sh->auth.as);
	sh->interactive = isatty(STDIN_FILENO);
	status = sh->interactive ? loop_interactive(sh) : loop_lines(sh);
out:
	query_close(sh);
	cli_key_release();
	free(sh);
	return status;
}
