/*
 * cmd_dev.c - dot dev: a local cluster for development in one command
 * (DESIGN.md §7; the project's issue 6, item 9), as `vault server -dev`
 * and `nomad agent -dev` give one (docs/man/dot-dev.1).
 *
 * It does by itself what tests/daemon/cluster3.sh does by hand, each step
 * by running this same dot program (so every step is the command a user
 * would type, with its own checks and messages) or dotd:
 *
 *   dot key new admin                       the admin key, in DIR/keys
 *   dot init --admin-key ... --dir DIR/node1 --raft-addr R1 --api-addr A1
 *   dotd --dir DIR/node1 --raft-addr R1 --listen A1     until it leads
 *   for each other node K, one at a time:
 *     dot node invite --as admin@active --key admin     (through node 1)
 *     dot node join --invite FILE --dir DIR/nodeK --raft-addr RK ...
 *     dotd --dir DIR/nodeK ...      until it applied what the leader did
 *
 * then waits until every node holds the same ledger index and state hash
 * under one leader, prints the environment to use, and supervises the
 * nodes until SIGINT, SIGTERM or SIGHUP, when it stops them (SIGTERM,
 * SIGKILL after 10 s) and removes the temporary directory.
 *
 * Doteros has no key agent yet (DESIGN.md §1 plans one): the admin key is
 * a key file, DIR/keys/admin.key, as dot key new writes it, sealed with a
 * random passphrase kept beside it in DIR/passphrase. Since the passphrase
 * lies next to the key, the key file uses the light Argon2id cost of
 * DOT_KDF_FAST: a stronger one would protect nothing here.
 *
 * Every process it starts is in a process group of its own (a Ctrl-C on
 * the terminal reaches only dot dev, which then stops the nodes in order)
 * and gets SIGTERM if dot dev dies (PR_SET_PDEATHSIG), so none is left
 * behind. Signals are blocked and taken with sigtimedwait, which also
 * paces every wait: one thread, no handler.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "dot.h"

extern char **environ;

#define DEV_MAX_NODES  7
#define DEV_WAIT_S     120 /* each wait: a leader, a node caught up */
#define DEV_STOP_S     10  /* SIGTERM, then SIGKILL */
#define DEV_POLL_MS    200
#define DEV_PATH       512
#define DEV_ADMIN_AS   "admin@active"
#define DEV_PASS_LEN   24   /* random bytes of the passphrase, in hex */
#define DEV_TAIL       2048 /* bytes of a log shown with an error */
#define DEV_TAIL_LINES 12
#define DEV_SUN_PATH   sizeof(((struct sockaddr_un *)0)->sun_path)

enum { OPT_NODES = 0x2300, OPT_DIR, OPT_DOTD, OPT_KEEP, OPT_JSON, OPT_POLICY };

static const char dev_help[] =
    "Starts a local cluster for development in one command: N nodes\n"
    "(default 3, at most 7), every one a voter, each a dotd on free\n"
    "loopback ports, in a fresh temporary directory (removed on exit unless\n"
    "--keep) or in DIR (which must be empty or new, and is kept). Makes the\n"
    "admin key (DIR/keys/admin.key, sealed with a random passphrase kept in\n"
    "DIR/passphrase: Doteros has no key agent yet), founds the cluster on\n"
    "node 1 (dot init), starts it and waits until it leads, then invites\n"
    "and joins the other nodes one at a time (dot node invite, dot node\n"
    "join) and starts each; waits until every node holds the same ledger\n"
    "index and state hash; prints the environment to talk to the cluster\n"
    "(also written to DIR/env) and a table of the nodes. Then it stays in\n"
    "the foreground: a node that exits is reported (not restarted); Ctrl-C\n"
    "(SIGINT), SIGTERM or SIGHUP stops every node (SIGTERM, SIGKILL after\n"
    "10 s; a second Ctrl-C kills them at once) and exits 0.\n"
    "\n"
    "dotd is the one next to this dot program, else the first in PATH.\n"
    "Each node's log is DIR/nodeK.log; the steps' messages are in\n"
    "DIR/dev.log.\n"
    "\n"
    "Options:\n"
    "  -n, --nodes N           the number of nodes, 1 to 7 (default 3)\n"
    "      --dir DIR           the cluster's directory: empty or new; kept\n"
    "      --keep              keep the temporary directory on exit\n"
    "      --policy P          the cluster's crypto policy: hybrid "
    "(default),\n"
    "                          classic or hybrid+classic-attenuation (the\n"
    "                          admin key is ed25519+ml-dsa-65, or ed25519\n"
    "                          under classic; see dot init --help)\n"
    "      --dotd PATH         the dotd program to run\n"
    "      --json              print one object {ok, dir, temporary, "
    "cluster_id,\n"
    "                          admin, env, ledger_index, nodes: [{node, "
    "raft_id,\n"
    "                          role, raft_addr, api_addr, dir, socket, pid, "
    "log}],\n"
    "                          ...} once the cluster is up\n"
    "  -h, --help              this help\n";

struct dev_node {
	int n;			  /* 1..N */
	char dir[DEV_PATH];	  /* DIR/nodeN, dotd's --dir */
	char addr[DEV_PATH + 16]; /* unix:DIR/nodeN/dotd.sock */
	char log[DEV_PATH];	  /* DIR/nodeN.log */
	char raft[32], api[32];	  /* 127.0.0.1:PORT */
	pid_t pid;		  /* 0: not running */
	struct cli_status st;	  /* its last answer */
};

struct dev {
	int nnodes, temp, keep, made_dir;
	const char *policy; /* dot init --policy */
	char dir[DEV_SUN_PATH]; /* short enough for the sockets in it */
	char self[PATH_MAX], dotd[PATH_MAX];
	char devlog[DEV_PATH], passfile[DEV_PATH], envfile[DEV_PATH];
	char keyfile[DEV_PATH];
	char admin_pk[DOT_PK_TEXT_MAX];
	char admin_id[2 * DOT_KEY_ID_LEN + 1];
	uint8_t admin_suite;
	char *pass;	/* sodium_malloc'd, hex, NUL-terminated */
	char *env_pass; /* "DOT_PASSPHRASE=...", sodium_malloc'd */
	char **envp;	/* the children's environment */
	size_t nenv;
	const char *timeout; /* the user's DOT_TIMEOUT, or NULL */
	struct dev_node node[DEV_MAX_NODES];
	sigset_t sigs, oldmask;
	int stop_sig; /* the signal that asked to stop, or 0 */
	/* the cluster, once it is up */
	char cid[2 * DOT_CLUSTER_ID_LEN + 1];
	char hash[2 * DOT_HASH_LEN + 1];
	uint64_t index;
	int leader; /* its node number */
	/* the first error */
	int ecode, enode;
	char emsg[1200];
	char elog[DEV_PATH]; /* the log to show the end of, or "" */
	off_t efrom;	     /* from this offset of it */
};

/* ---- errors ---- */

static int dev_error(struct dev *d, int code, int node, const char *log,
		     off_t from, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Record the first error: its code, message, node (or 0) and the log
 * whose end explains it (or NULL). Returns code. */
static int
dev_error(struct dev *d, int code, int node, const char *log, off_t from,
	  const char *fmt, ...)
{
	va_list ap;

	if (d->ecode != DOT_OK)
		return d->ecode;
	va_start(ap, fmt);
	vsnprintf(d->emsg, sizeof(d->emsg), fmt, ap);
	va_end(ap);
	d->ecode = code;
	d->enode = node;
	snprintf(d->elog, sizeof(d->elog), "%s", log != NULL ? log : "");
	d->efrom = from;
	return code;
}

/* The last lines of path past offset from (at most DEV_TAIL bytes and
 * DEV_TAIL_LINES lines), control characters but newlines made '?'. */
static void
dev_tail(const char *path, off_t from, char *out, size_t cap)
{
	struct stat st;
	off_t start;
	ssize_t r;
	size_t n, lines = 0;
	char *p;
	int fd;

	out[0] = '\0';
	if (cap < 2 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) != 0 || st.st_size <= from) {
		close(fd);
		return;
	}
	start = st.st_size - (off_t)(cap - 1);
	if (start < from)
		start = from;
	r = pread(fd, out, (size_t)(st.st_size - start), start);
	close(fd);
	if (r <= 0)
		return;
	n = (size_t)r;
	out[n] = '\0';
	p = out;
	if (start > from && (p = memchr(out, '\n', n)) != NULL)
		p++; /* a partial first line */
	else if (start > from)
		p = out;
	n -= (size_t)(p - out);
	memmove(out, p, n + 1);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	for (size_t i = n; i > 0; i--)
		if (out[i - 1] == '\n' && ++lines == DEV_TAIL_LINES) {
			memmove(out, out + i, n - i + 1);
			n -= i;
			break;
		}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 && out[i] != '\n' &&
		    out[i] != '\t')
			out[i] = '?';
}

/* Print lines of text, each as "  | line", on f. */
static void
dev_print_lines(FILE *f, const char *text)
{
	while (*text != '\0') {
		size_t l = strcspn(text, "\n");

		fprintf(f, "  | %.*s\n", (int)l, text);
		text += l;
		if (*text == '\n')
			text++;
	}
}

/* Report the recorded error on stderr (and as JSON with --json); 1. */
static int
dev_report(struct dev *d)
{
	char tail[DEV_TAIL + 1] = "";

	if (d->elog[0] != '\0')
		dev_tail(d->elog, d->efrom, tail, sizeof(tail));
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", cli_prog(), d->emsg);
	if (tail[0] != '\0') {
		fprintf(stderr, "%s: the end of %s:\n", cli_prog(), d->elog);
		dev_print_lines(stderr, tail);
	}
	if (cli_json()) {
		struct json j;

		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kbool(&j, "ok", 0);
		json_kstr(&j, "error", dot_errname(d->ecode));
		json_kstr(&j, "message", d->emsg);
		if (d->enode > 0)
			json_kuint(&j, "node", (uint64_t)d->enode);
		if (d->elog[0] != '\0') {
			json_kstr(&j, "log", d->elog);
			json_kstr(&j, "log_tail", tail);
		}
		json_obj_end(&j);
		json_finish(&j);
	}
	return DOT_EXIT_FAIL;
}

/* "exited with status 1", "was killed by signal 9 (Killed)" */
static void
dev_wstatus(int ws, char *out, size_t cap)
{
	if (WIFEXITED(ws))
		snprintf(out, cap, "exited with status %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(out, cap, "was killed by signal %d (%s)", WTERMSIG(ws),
			 strsignal(WTERMSIG(ws)));
	else
		snprintf(out, cap, "stopped (wait status %#x)", ws);
}

static const char *
dev_signame(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	case SIGPIPE:
		return "SIGPIPE (its output was closed)";
	default:
		return "a signal";
	}
}

/* ---- signals and processes ---- */

/* Wait at most ms for a signal of the set: 1 when one asks to stop
 * (d->stop_sig set; SIGPIPE too: whoever read the output is gone), 0 on
 * a SIGCHLD or when the time is up. */
static int
dev_signal(struct dev *d, long ms)
{
	struct timespec ts;
	int sig;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	sig = sigtimedwait(&d->sigs, NULL, &ts);
	if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
	    sig == SIGPIPE) {
		d->stop_sig = sig;
		return 1;
	}
	return 0;
}

static int
dev_open_out(const char *path, int trunc)
{
	return open(path,
		    O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			(trunc ? O_TRUNC : O_APPEND),
		    0600);
}

/*
 * Start path with argv and the children's environment (with
 * DOT_PASSPHRASE when pass: dot needs it, dotd does not): stdin
 * /dev/null, stdout to out (truncated when trunc, else appended), stderr
 * appended to err; in a process group of its own, with SIGTERM when dot
 * dev dies.
 */
static int
dev_spawn(struct dev *d, const char *path, char *const argv[], int pass,
	  const char *out, int trunc, const char *err, pid_t *pid)
{
	pid_t parent = getpid(), p;
	int in, o, e, rv = DOT_OK;

	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	o = dev_open_out(out, trunc);
	e = strcmp(out, err) == 0 ? -1 : dev_open_out(err, 0);
	if (in < 0 || o < 0 || (e < 0 && strcmp(out, err) != 0)) {
		rv = dev_error(d, DOT_EINVAL, 0, NULL, 0,
			       "cannot open %s or %s: %s", out, err,
			       strerror(errno));
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	p = fork();
	if (p < 0) {
		rv = dev_error(d, DOT_EINVAL, 0, NULL, 0,
			       "cannot start %s: fork: %s", path,
			       strerror(errno));
		goto out;
	}
	if (p == 0) {
		sigset_t none;

		(void)setpgid(0, 0);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent) /* dot dev died before the prctl */
			_exit(127);
		if (dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e >= 0 ? e : o, 2) < 0)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (!pass) /* this copy of the array is the child's */
			d->envp[d->nenv] = NULL;
		execve(path, argv, d->envp);
		dprintf(2, "dot dev: cannot run %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	(void)setpgid(p, p); /* either side may win the race */
	*pid = p;
out:
	if (in >= 0)
		close(in);
	if (o >= 0)
		close(o);
	if (e >= 0)
		close(e);
	return rv;
}

/* During startup: a node that exited is an error, with its log. */
static int
dev_check_nodes(struct dev *d)
{
	for (int i = 0; i < d->nnodes; i++) {
		struct dev_node *nd = &d->node[i];
		char how[96];
		int ws;

		if (nd->pid <= 0 || waitpid(nd->pid, &ws, WNOHANG) != nd->pid)
			continue;
		dev_wstatus(ws, how, sizeof(how));
		nd->pid = 0;
		return dev_error(d, DOT_EAPI_UNAVAILABLE, nd->n, nd->log, 0,
				 "node %d: dotd (--dir %s) %s while the "
				 "cluster was starting",
				 nd->n, nd->dir, how);
	}
	return DOT_OK;
}

static int
dev_interrupted(struct dev *d, int node, const char *what)
{
	return dev_error(d, DOT_EINVAL, node, NULL, 0,
			 "interrupted by %s while %s", dev_signame(d->stop_sig),
			 what);
}

static off_t
dev_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * Run one step: this dot program with args (after the program name),
 * its stdout to out (NULL: DIR/dev.log), its stderr to DIR/dev.log, and
 * wait for it, minding the nodes and the signals. An error names the
 * step and shows what it wrote to stderr.
 */
static int
dev_step(struct dev *d, int node, const char *what, char *const args[],
	 const char *out)
{
	char *argv[24];
	char how[96];
	off_t from;
	pid_t pid = 0;
	size_t i;
	int ws = 0, rv;
	FILE *f;

	argv[0] = d->self;
	for (i = 0; args[i] != NULL && i + 2 < sizeof(argv) / sizeof(argv[0]);
	     i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if ((f = fopen(d->devlog, "ae")) != NULL) {
		fprintf(f, "== %s:", what);
		for (i = 1; argv[i] != NULL; i++)
			fprintf(f, " %s", argv[i]);
		fputc('\n', f);
		fclose(f);
	}
	from = dev_size(d->devlog);
	if ((rv = dev_spawn(d, d->self, argv, 1, out != NULL ? out : d->devlog,
			    out != NULL, d->devlog, &pid)) != DOT_OK)
		return rv;
	for (;;) {
		pid_t r = waitpid(pid, &ws, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return dev_error(d, DOT_EINVAL, node, NULL, 0,
					 "%s: waitpid: %s", what,
					 strerror(errno));
		if ((rv = dev_check_nodes(d)) != DOT_OK ||
		    (dev_signal(d, DEV_POLL_MS) &&
		     (rv = dev_interrupted(d, node, what)) != DOT_OK)) {
			kill(pid, SIGTERM);
			while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
				;
			return rv;
		}
	}
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return DOT_OK;
	dev_wstatus(ws, how, sizeof(how));
	return dev_error(
	    d, DOT_EINVAL, node, d->devlog, from, "%s failed: dot %s%s%s %s",
	    what, args[0], args[1] != NULL && args[1][0] != '-' ? " " : "",
	    args[1] != NULL && args[1][0] != '-' ? args[1] : "", how);
}

/* Start node i's dotd; its stdout and stderr go to its log. */
static int
dev_start_node(struct dev *d, struct dev_node *nd)
{
	char *argv[] = {d->dotd,  "--dir",    nd->dir, "--raft-addr",
			nd->raft, "--listen", nd->api, NULL};
	FILE *f;

	if ((f = fopen(d->devlog, "ae")) != NULL) {
		fprintf(f,
			"== start node %d: %s --dir %s --raft-addr %s "
			"--listen %s (log %s)\n",
			nd->n, d->dotd, nd->dir, nd->raft, nd->api, nd->log);
		fclose(f);
	}
	return dev_spawn(d, d->dotd, argv, 0, nd->log, 0, nd->log, &nd->pid);
}

/* ---- the nodes' status ---- */

/* Ask node nd for its status on its Unix socket (no key needed). */
static int
dev_status(struct dev_node *nd, struct dot_err *e)
{
	struct cli_session s;
	int rv;

	if (setenv("DOT_ADDR", nd->addr, 1) != 0)
		return dot_err_set(e, DOT_ENOMEM, "cannot set DOT_ADDR");
	rv = cli_session_open(&s, NULL, e);
	if (rv == DOT_OK)
		nd->st = s.status;
	cli_session_close(&s);
	return rv;
}

/*
 * Nodes 1..k converged: each answers in cluster mode, exactly one leads,
 * the others follow it, and all hold the same ledger index (> 0) and state
 * hash. 1 when so; 0 with why saying what is missing.
 */
static int
dev_converged(struct dev *d, int k, char *why, size_t cap)
{
	struct dev_node *lead = NULL;
	struct dot_err e = {0};
	int leaders = 0;

	for (int i = 0; i < k; i++) {
		struct dev_node *nd = &d->node[i];

		if (dev_status(nd, &e) != DOT_OK) {
			snprintf(why, cap, "node %d does not answer: %s", nd->n,
				 e.msg[0] ? e.msg : dot_strerror(e.code));
			return 0;
		}
		if (!nd->st.has_raft) {
			snprintf(why, cap, "node %d is not in cluster mode",
				 nd->n);
			return 0;
		}
		if (strcmp(nd->st.raft_role, "leader") == 0) {
			leaders++;
			lead = nd;
		}
	}
	if (leaders != 1 || lead == NULL) {
		snprintf(why, cap, "%d nodes say they lead", leaders);
		return 0;
	}
	if (lead->st.index == 0) {
		snprintf(why, cap, "node %d leads but has applied no entry yet",
			 lead->n);
		return 0;
	}
	for (int i = 0; i < k; i++) {
		struct dev_node *nd = &d->node[i];

		if (nd == lead)
			continue;
		if (strcmp(nd->st.raft_role, "follower") != 0 ||
		    nd->st.leader_id != lead->st.raft_id) {
			snprintf(why, cap,
				 "node %d is a %s and knows leader %" PRIu64
				 ", not node %d (raft id %" PRIu64 ")",
				 nd->n, nd->st.raft_role, nd->st.leader_id,
				 lead->n, lead->st.raft_id);
			return 0;
		}
		if (nd->st.index != lead->st.index ||
		    memcmp(nd->st.state_hash, lead->st.state_hash,
			   DOT_HASH_LEN) != 0) {
			snprintf(why, cap,
				 "node %d is at ledger index %" PRIu64
				 ", the leader (node %d) at %" PRIu64,
				 nd->n, nd->st.index, lead->n, lead->st.index);
			return 0;
		}
	}
	d->leader = lead->n;
	d->index = lead->st.index;
	cli_hex(d->cid, lead->st.cluster_id, DOT_CLUSTER_ID_LEN);
	cli_hex(d->hash, lead->st.state_hash, DOT_HASH_LEN);
	return 1;
}

/* Wait until nodes 1..k converged; node names whom an error is about. */
static int
dev_wait(struct dev *d, int k, int node, const char *what)
{
	uint64_t deadline = cli_now_ms() + DEV_WAIT_S * 1000ull;
	char why[600] = "no answer yet";
	int rv;

	for (;;) {
		if ((rv = dev_check_nodes(d)) != DOT_OK)
			return rv;
		if (dev_converged(d, k, why, sizeof(why)))
			return DOT_OK;
		if (cli_now_ms() >= deadline)
			return dev_error(d, DOT_EAPI_UNAVAILABLE, node,
					 d->node[node - 1].log, 0,
					 "%s: not done within %d s: %s", what,
					 DEV_WAIT_S, why);
		if (dev_signal(d, DEV_POLL_MS))
			return dev_interrupted(d, node, what);
	}
}

/* ---- the directory, ports, programs ---- */

static int
dev_dir_empty(const char *path, int *empty)
{
	struct dirent *de;
	DIR *dp = opendir(path);

	if (dp == NULL)
		return -1;
	*empty = 1;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			*empty = 0;
			break;
		}
	closedir(dp);
	return 0;
}

/* The cluster's directory: DIR (empty or new) or a fresh temporary one;
 * d->dir gets its absolute path. */
static int
dev_make_dir(struct dev *d, const char *dir_arg)
{
	char tmpl[PATH_MAX], abs[PATH_MAX];
	const char *base;
	struct stat st;
	int empty;

	if (dir_arg != NULL) {
		if (stat(dir_arg, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return dev_error(d, DOT_EINVAL, 0, NULL, 0,
						 "--dir %s exists and is not a "
						 "directory",
						 dir_arg);
			if (dev_dir_empty(dir_arg, &empty) != 0)
				return dev_error(d, DOT_EINVAL, 0, NULL, 0,
						 "--dir %s: cannot read it: %s",
						 dir_arg, strerror(errno));
			if (!empty)
				return dev_error(
				    d, DOT_EINVAL, 0, NULL, 0,
				    "--dir %s is not empty: dot dev makes a "
				    "fresh cluster in an empty or new "
				    "directory; give another --dir, or none "
				    "for a temporary one",
				    dir_arg);
		} else if (errno != ENOENT) {
			return dev_error(d, DOT_EINVAL, 0, NULL, 0,
					 "--dir %s: %s", dir_arg,
					 strerror(errno));
		} else {
			struct dot_err e = {0};

			if (cli_mkdirs(dir_arg, &e) != DOT_OK)
				return dev_error(d, e.code, 0, NULL, 0,
						 "--dir: %s", e.msg);
			d->made_dir = 1;
		}
		if (realpath(dir_arg, abs) == NULL)
			return dev_error(d, DOT_EINVAL, 0, NULL, 0,
					 "--dir %s: %s", dir_arg,
					 strerror(errno));
	} else {
		base = getenv("TMPDIR");
		if (base == NULL || base[0] != '/')
			base = "/tmp";
		if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/dot-dev.XXXXXX",
				     base) >= sizeof(tmpl) ||
		    mkdtemp(tmpl) == NULL)
			return dev_error(d, DOT_EINVAL, 0, NULL, 0,
					 "cannot make a temporary directory "
					 "in %s: %s (set TMPDIR, or give "
					 "--dir)",
					 base, strerror(errno));
		d->temp = 1;
		if (realpath(tmpl, abs) == NULL) {
			(void)rmdir(tmpl);
			return dev_error(d, DOT_EINVAL, 0, NULL, 0, "%s: %s",
					 tmpl, strerror(errno));
		}
	}
	/* DIR/nodeN/dotd.sock must fit a Unix socket address. */
	if (strlen(abs) + sizeof("/node7/dotd.sock") > DEV_SUN_PATH) {
		if (d->temp || d->made_dir)
			(void)rmdir(abs);
		d->temp = 0;
		return dev_error(d, DOT_ETOOBIG, 0, NULL, 0,
				 "%s is too long a path: the nodes' sockets "
				 "in it would pass the %zu bytes of a Unix "
				 "socket address; give a shorter --dir (or "
				 "TMPDIR)",
				 abs, DEV_SUN_PATH - 1);
	}
	memcpy(d->dir, abs, strlen(abs) + 1); /* fits: checked above */
	return DOT_OK;
}

static int
dev_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* This program, and dotd: --dotd, else beside this program, else PATH. */
static int
dev_programs(struct dev *d, const char *dotd_arg)
{
	char here[PATH_MAX], cand[PATH_MAX + 8];
	const char *path, *p;
	ssize_t n;

	n = readlink("/proc/self/exe", d->self, sizeof(d->self) - 1);
	if (n <= 0)
		return dev_error(d, DOT_EINVAL, 0, NULL, 0,
				 "cannot find this program (/proc/self/exe): "
				 "%s",
				 strerror(errno));
	d->self[n] = '\0';
	if (dotd_arg != NULL) {
		if (!dev_executable(dotd_arg))
			return dev_error(d, DOT_EINVAL, 0, NULL, 0,
					 "--dotd %s: not an executable file",
					 dotd_arg);
		if (realpath(dotd_arg, d->dotd) == NULL)
			return dev_error(d, DOT_EINVAL, 0, NULL, 0,
					 "--dotd %s: %s", dotd_arg,
					 strerror(errno));
		return DOT_OK;
	}
	snprintf(here, sizeof(here), "%s", d->self);
	if ((p = strrchr(here, '/')) != NULL)
		here[p - here] = '\0';
	snprintf(cand, sizeof(cand), "%s/dotd", here);
	if (dev_executable(cand) && strlen(cand) < sizeof(d->dotd)) {
		memcpy(d->dotd, cand, strlen(cand) + 1);
		return DOT_OK;
	}
	path = getenv("PATH");
	for (p = path; p != NULL && *p != '\0';) {
		size_t l = strcspn(p, ":");

		if ((size_t)snprintf(cand, sizeof(cand), "%.*s/dotd", (int)l,
				     l > 0 ? p : ".") < sizeof(cand) &&
		    dev_executable(cand) && realpath(cand, d->dotd) != NULL)
			return DOT_OK;
		p += l;
		if (*p == ':')
			p++;
	}
	return dev_error(d, DOT_EINVAL, 0, NULL, 0,
			 "cannot find dotd: not beside this program (%s/dotd) "
			 "nor in PATH; give --dotd PATH",
			 here);
}

/* Free loopback ports, 2 a node: all bound at once, so all differ. */
static int
dev_ports(struct dev *d)
{
	int fds[2 * DEV_MAX_NODES];
	int n = 2 * d->nnodes, rv = DOT_OK;

	for (int i = 0; i < n; i++)
		fds[i] = -1;
	for (int i = 0; i < n; i++) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		struct dev_node *nd = &d->node[i / 2];

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    bind(fds[i], (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    getsockname(fds[i], (struct sockaddr *)&a, &al) != 0) {
			rv = dev_error(d, DOT_EINVAL, 0, NULL, 0,
				       "cannot find a free port on 127.0.0.1: "
				       "%s",
				       strerror(errno));
			break;
		}
		snprintf(i % 2 == 0 ? nd->raft : nd->api, sizeof(nd->raft),
			 "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rv;
}

/* The children's environment: ours without DOT_* settings that would
 * point elsewhere, and DOT_DIR, DOT_PASSPHRASE and DOT_ADDR (node 1);
 * DOT_TIMEOUT as the user set it, not as our own status calls do. */
static int
dev_env(struct dev *d)
{
	static const char *const drop[] = {
	    "DOT_DIR=",	    "DOT_ADDR=",     "DOT_PASSPHRASE=", "DOT_KEY=",
	    "DOT_CLUSTER=", "DOT_KDF_FAST=", "DOT_TIMEOUT=",
	};
	size_t n = 0, k = 0, passlen = strlen(d->pass);
	char *dir, *addr;

	while (environ[n] != NULL)
		n++;
	if ((d->envp = calloc(n + 5, sizeof(*d->envp))) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
			if (strncmp(environ[i], drop[j], strlen(drop[j])) == 0)
				break;
		if (j < sizeof(drop) / sizeof(drop[0]))
			continue;
		if ((d->envp[k] = strdup(environ[i])) == NULL)
			goto nomem;
		d->nenv = ++k;
	}
	if ((d->env_pass = sodium_malloc(passlen + 16)) == NULL)
		goto nomem;
	snprintf(d->env_pass, passlen + 16, "DOT_PASSPHRASE=%s", d->pass);
	if ((dir = malloc(strlen(d->dir) + 9)) == NULL)
		goto nomem;
	snprintf(dir, strlen(d->dir) + 9, "DOT_DIR=%s", d->dir);
	d->envp[k] = dir;
	d->nenv = ++k;
	if ((addr = malloc(strlen(d->node[0].addr) + 10)) == NULL)
		goto nomem;
	snprintf(addr, strlen(d->node[0].addr) + 10, "DOT_ADDR=%s",
		 d->node[0].addr);
	d->envp[k] = addr;
	d->nenv = ++k;
	if (d->timeout != NULL) {
		size_t tl = strlen(d->timeout) + 13;

		if ((d->envp[k] = malloc(tl)) == NULL)
			goto nomem;
		snprintf(d->envp[k], tl, "DOT_TIMEOUT=%s", d->timeout);
		d->nenv = ++k;
	}
	d->envp[k] = d->env_pass; /* not counted: freed apart */
	return DOT_OK;
nomem:
	return dev_error(d, DOT_ENOMEM, 0, NULL, 0, "out of memory");
}

static void
dev_env_free(struct dev *d)
{
	if (d->envp != NULL)
		for (size_t i = 0; i < d->nenv; i++)
			free(d->envp[i]);
	free(d->envp);
	d->envp = NULL;
	if (d->env_pass != NULL)
		sodium_free(d->env_pass); /* zeroes it */
	d->env_pass = NULL;
	if (d->pass != NULL)
		sodium_free(d->pass);
	d->pass = NULL;
}

/* Print s as one shell word, in single quotes. */
static void
dev_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* The export lines, to f. */
static void
dev_exports(struct dev *d, FILE *f, const char *indent)
{
	const char *names[] = {"DOT_DIR", "DOT_ADDR", "DOT_PASSPHRASE",
			       "DOT_KEY", "DOT_CLUSTER"};
	const char *values[] = {d->dir, d->node[0].addr, d->pass, "admin",
				d->cid};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fprintf(f, "%sexport %s=", indent, names[i]);
		dev_quote(f, values[i]);
		fputc('\n', f);
	}
}

/* DIR/env: the export lines, mode 0600 (it holds the passphrase). */
static int
dev_write_env(struct dev *d)
{
	char *text = NULL;
	size_t len = 0;
	struct dot_err e = {0};
	FILE *f = open_memstream(&text, &len);
	int rv;

	if (f == NULL)
		return dev_error(d, DOT_ENOMEM, 0, NULL, 0, "out of memory");
	fprintf(f, "# dot dev: the cluster in %s (. %s/env)\n", d->dir, d->dir);
	dev_exports(d, f, "");
	fclose(f);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	rv = cli_write_file(d->envfile, text, len, &e);
	sodium_memzero(text, len);
	free(text);
	if (rv != DOT_OK)
		return dev_error(d, rv, 0, NULL, 0, "%s", e.msg);
	return DOT_OK;
}

/* ---- starting ---- */

static int
dev_start(struct dev *d, const char *dir_arg, const char *dotd_arg)
{
	uint8_t pk[DOT_SIGN_PK_MAX], raw[DEV_PASS_LEN];
	struct dot_err e = {0};
	size_t pklen;
	int rv;

	if ((rv = dev_programs(d, dotd_arg)) != DOT_OK ||
	    (rv = dev_make_dir(d, dir_arg)) != DOT_OK ||
	    (rv = dev_ports(d)) != DOT_OK)
		return rv;
	snprintf(d->devlog, sizeof(d->devlog), "%s/dev.log", d->dir);
	snprintf(d->passfile, sizeof(d->passfile), "%s/passphrase", d->dir);
	snprintf(d->envfile, sizeof(d->envfile), "%s/env", d->dir);
	snprintf(d->keyfile, sizeof(d->keyfile), "%s/keys/admin.key", d->dir);
	{
		int fd = dev_open_out(d->devlog, 0); /* mode 0600 */

		if (fd < 0)
			return dev_error(d, DOT_EINVAL, 0, NULL, 0,
					 "cannot create %s: %s", d->devlog,
					 strerror(errno));
		close(fd);
	}
	for (int i = 0; i < d->nnodes; i++) {
		struct dev_node *nd = &d->node[i];
		char base[sizeof(d->dir)];

		memcpy(base, d->dir, sizeof(base));
		nd->n = i + 1;
		snprintf(nd->dir, sizeof(nd->dir), "%s/node%d", base, nd->n);
		snprintf(nd->addr, sizeof(nd->addr), "unix:%s/node%d/dotd.sock",
			 base, nd->n);
		snprintf(nd->log, sizeof(nd->log), "%s/node%d.log", base,
			 nd->n);
	}

	/* The passphrase of the admin key, random, beside it. */
	if ((d->pass = sodium_malloc(2 * DEV_PASS_LEN + 1)) == NULL)
		return dev_error(d, DOT_ENOMEM, 0, NULL, 0, "out of memory");
	randombytes_buf(raw, sizeof(raw));
	cli_hex(d->pass, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	if (cli_write_file(d->passfile, d->pass, strlen(d->pass), &e) != DOT_OK)
		return dev_error(d, e.code, 0, NULL, 0, "%s", e.msg);
	if ((rv = dev_env(d)) != DOT_OK)
		return rv;

	{
		/* the admin key of the policy's suite */
		int classic = strcmp(d->policy, "classic") == 0;
		char *key[] = {"key",
			       "new",
			       "admin",
			       "--kdf-ops",
			       "1",
			       "--kdf-mem-kib",
			       "8192",
			       "--suite",
			       classic ? "ed25519" : "ed25519+ml-dsa-65",
			       NULL};
		char *init[] = {"init",		 "--admin-key",
				d->keyfile,	 "--dir",
				d->node[0].dir,	 "--raft-addr",
				d->node[0].raft, "--api-addr",
				d->node[0].api,	 "--policy",
				(char *)d->policy, NULL};

		rv = dev_step(d, 0, "making the admin key", key, NULL);
		if (rv == DOT_OK)
			rv = dev_step(d, 1, "founding the cluster on node 1",
				      init, NULL);
		if (rv != DOT_OK)
			return rv;
	}
	if (cli_key_public(d->keyfile, pk, &pklen, NULL, 0, &e) != DOT_OK)
		return dev_error(d, e.code, 0, NULL, 0, "the admin key: %s",
				 e.msg);
	cli_pk_text(pk, pklen, d->admin_pk);
	cli_key_id_hex(pk, pklen, d->admin_id);
	d->admin_suite = pk[0];
	if ((rv = dev_start_node(d, &d->node[0])) != DOT_OK ||
	    (rv = dev_wait(d, 1, 1, "waiting for node 1 to lead")) != DOT_OK)
		return rv;

	for (int i = 1; i < d->nnodes; i++) {
		struct dev_node *nd = &d->node[i];
		char inv[DEV_PATH + 16], what[96], wait[96];
		char *invite[] = {"node",  "invite", "--as", DEV_ADMIN_AS,
				  "--key", "admin",  NULL};
		char *join[] = {"node",	      "join",  "--invite",    inv,
				"--dir",      nd->dir, "--raft-addr", nd->raft,
				"--api-addr", nd->api, NULL};

		snprintf(inv, sizeof(inv), "%s/node%d.invite", d->dir, nd->n);
		snprintf(what, sizeof(what), "inviting node %d", nd->n);
		rv = dev_step(d, nd->n, what, invite, inv);
		if (rv == DOT_OK) {
			snprintf(what, sizeof(what),
				 "joining node %d by its invitation", nd->n);
			rv = dev_step(d, nd->n, what, join, NULL);
		}
		(void)unlink(inv); /* used up, or of no use */
		if (rv != DOT_OK)
			return rv;
		snprintf(wait, sizeof(wait),
			 "waiting for node %d to catch up with the leader",
			 nd->n);
		if ((rv = dev_start_node(d, nd)) != DOT_OK ||
		    (rv = dev_wait(d, nd->n, nd->n, wait)) != DOT_OK)
			return rv;
	}
	rv = dev_wait(d, d->nnodes, d->leader > 0 ? d->leader : 1,
		      "waiting for every node to agree");
	return rv == DOT_OK ? dev_write_env(d) : rv;
}

/* ---- printing ---- */

static void
dev_print_json(struct dev *d)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kbool(&j, "ok", 1);
	json_kstr(&j, "dir", d->dir);
	json_kbool(&j, "temporary", d->temp);
	json_kbool(&j, "kept_on_exit", d->keep || !d->temp);
	json_kuint(&j, "pid", (uint64_t)getpid());
	json_kstr(&j, "cluster_id", d->cid);
	json_kstr(&j, "policy", d->policy);
	json_kstr(&j, "admin", "admin");
	json_kstr(&j, "as", DEV_ADMIN_AS);
	json_kstr(&j, "admin_key", d->admin_pk);
	json_kstr(&j, "admin_key_file", d->keyfile);
	json_kstr(&j, "passphrase_file", d->passfile);
	json_kstr(&j, "env_file", d->envfile);
	json_kstr(&j, "log", d->devlog);
	json_kstr(&j, "dotd", d->dotd);
	json_key(&j, "env");
	json_obj_begin(&j);
	json_kstr(&j, "DOT_DIR", d->dir);
	json_kstr(&j, "DOT_ADDR", d->node[0].addr);
	json_kstr(&j, "DOT_PASSPHRASE", d->pass);
	json_kstr(&j, "DOT_KEY", "admin");
	json_kstr(&j, "DOT_CLUSTER", d->cid);
	json_obj_end(&j);
	json_kuint(&j, "ledger_index", d->index);
	json_kstr(&j, "state_hash", d->hash);
	json_kuint(&j, "leader", (uint64_t)d->leader);
	json_key(&j, "nodes");
	json_arr_begin(&j);
	for (int i = 0; i < d->nnodes; i++) {
		struct dev_node *nd = &d->node[i];

		json_obj_begin(&j);
		json_kuint(&j, "node", (uint64_t)nd->n);
		json_kuint(&j, "raft_id", nd->st.raft_id);
		json_kstr(&j, "role", nd->st.raft_role);
		json_kstr(&j, "ledger_role", "voter");
		json_kstr(&j, "raft_addr", nd->raft);
		json_kstr(&j, "api_addr", nd->api);
		json_kstr(&j, "dir", nd->dir);
		json_kstr(&j, "socket", nd->addr);
		json_kuint(&j, "pid", (uint64_t)nd->pid);
		json_kstr(&j, "log", nd->log);
		json_kuint(&j, "ledger_index", nd->st.index);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_finish(&j);
}

static void
dev_print_text(struct dev *d)
{
	printf("dot dev: %d voter%s on loopback, in %s (%s)\n", d->nnodes,
	       d->nnodes == 1 ? "" : "s", d->dir,
	       !d->temp	 ? "kept"
	       : d->keep ? "temporary, kept on exit (--keep)"
			 : "temporary: removed on exit");
	printf("cluster id: %s (crypto policy %s)\n"
	       "ledger:     index %" PRIu64 " on every node, state hash "
	       "%.16s...\n"
	       "admin:      %s, key %s\n"
	       "            (%s, key id %s)\n"
	       "            Doteros has no key agent yet: the key is that "
	       "file, sealed with\n"
	       "            the passphrase in %s\n\n",
	       d->cid, d->policy, d->index, d->hash, DEV_ADMIN_AS, d->keyfile,
	       dot_suite_name((int)(unsigned char)d->admin_suite), d->admin_id,
	       d->passfile);
	printf("%-4s  %-9s  %-20s  %-21s  %-21s  %s\n", "NODE", "ROLE",
	       "RAFT ID", "RAFT ADDR", "API ADDR", "PID");
	for (int i = 0; i < d->nnodes; i++) {
		struct dev_node *nd = &d->node[i];

		printf("%-4d  %-9s  %-20" PRIu64 "  %-21s  %-21s  %ld\n", nd->n,
		       nd->st.raft_role, nd->st.raft_id, nd->raft, nd->api,
		       (long)nd->pid);
		printf("      dir %s  log %s\n", nd->dir, nd->log);
	}
	printf("\nThe environment to talk to it (also in %s: . %s):\n\n",
	       d->envfile, d->envfile);
	dev_exports(d, stdout, "  ");
	printf("\nThen, for example:\n\n"
	       "  dot status\n"
	       "  dot node list --as %s --key admin\n"
	       "  dot fs mkdir /home --as %s --key admin\n"
	       "  dot --addr %s status      # node 1 over TCP, in the "
	       "secure channel\n\n"
	       "Press Ctrl-C to stop.\n",
	       DEV_ADMIN_AS, DEV_ADMIN_AS, d->node[0].api);
	fflush(stdout);
}

/* ---- supervising and stopping ---- */

/* Until a signal asks to stop: report a node that exits (0), or give up
 * when none is left (1). */
static int
dev_supervise(struct dev *d)
{
	for (;;) {
		int alive = 0;

		if (dev_signal(d, 1000))
			return DOT_EXIT_OK;
		for (int i = 0; i < d->nnodes; i++) {
			struct dev_node *nd = &d->node[i];
			char how[96], tail[DEV_TAIL + 1];
			int ws;

			if (nd->pid <= 0)
				continue;
			if (waitpid(nd->pid, &ws, WNOHANG) != nd->pid) {
				alive++;
				continue;
			}
			dev_wstatus(ws, how, sizeof(how));
			fprintf(stderr,
				"%s: node %d (dotd, pid %ld) %s; it is not "
				"restarted\n",
				cli_prog(), nd->n, (long)nd->pid, how);
			nd->pid = 0;
			dev_tail(nd->log, 0, tail, sizeof(tail));
			if (tail[0] != '\0') {
				fprintf(stderr, "%s: the end of %s:\n",
					cli_prog(), nd->log);
				dev_print_lines(stderr, tail);
			}
		}
		if (alive == 0) {
			fprintf(stderr,
				"%s: every node has exited: nothing is left "
				"to supervise\n",
				cli_prog());
			return DOT_EXIT_FAIL;
		}
	}
}

/* SIGTERM every running node, wait for each, SIGKILL (its process group)
 * after DEV_STOP_S or at a second stop signal; why says what asked. */
static void
dev_stop(struct dev *d, const char *why)
{
	uint64_t deadline;
	int n = 0, now = 0;

	for (int i = 0; i < d->nnodes; i++)
		if (d->node[i].pid > 0 && kill(d->node[i].pid, SIGTERM) == 0)
			n++;
	if (n == 0)
		return;
	fprintf(stderr, "%s: %s: stopping %d node%s\n", cli_prog(), why, n,
		n == 1 ? "" : "s");
	deadline = cli_now_ms() + DEV_STOP_S * 1000ull;
	for (;;) {
		int left = 0;

		for (int i = 0; i < d->nnodes; i++) {
			struct dev_node *nd = &d->node[i];
			char how[96];
			pid_t r;
			int ws;

			if (nd->pid <= 0)
				continue;
			r = waitpid(nd->pid, &ws, WNOHANG);
			if (r == 0) {
				left++;
				continue;
			}
			/* 0, or SIGTERM itself before dotd took it */
			if (r == nd->pid &&
			    !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) &&
			    !(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGTERM)) {
				dev_wstatus(ws, how, sizeof(how));
				fprintf(stderr,
					"%s: node %d (pid %ld) %s as it "
					"stopped (see %s)\n",
					cli_prog(), nd->n, (long)nd->pid, how,
					nd->log);
			}
			nd->pid = 0;
		}
		if (left == 0)
			return;
		if (now || cli_now_ms() >= deadline)
			break;
		if (dev_signal(d, 100)) {
			fprintf(stderr, "%s: %s again: killing the nodes\n",
				cli_prog(), dev_signame(d->stop_sig));
			now = 1;
		}
	}
	for (int i = 0; i < d->nnodes; i++) {
		struct dev_node *nd = &d->node[i];
		int ws;

		if (nd->pid <= 0)
			continue;
		if (!now)
			fprintf(stderr,
				"%s: node %d (pid %ld) did not stop within "
				"%d s: SIGKILL\n",
				cli_prog(), nd->n, (long)nd->pid, DEV_STOP_S);
		(void)kill(-nd->pid, SIGKILL);
		(void)kill(nd->pid, SIGKILL);
		while (waitpid(nd->pid, &ws, 0) < 0 && errno == EINTR)
			;
		nd->pid = 0;
	}
}

static int
dev_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == 0 ? 0 : -1;
	return unlink(path) == 0 ? 0 : -1;
}

/* Remove the temporary directory (never a --dir one), and say so;
 * failed: the cluster never came up. */
static void
dev_remove(struct dev *d, int failed)
{
	const char *what = failed ? "" : "stopped; ";

	if (d->dir[0] == '\0')
		return;
	if (!d->temp || d->keep)
		fprintf(stderr, "%s: %skept %s\n", cli_prog(), what, d->dir);
	else if (nftw(d->dir, dev_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "%s: %scould not remove all of %s: %s\n",
			cli_prog(), what, d->dir, strerror(errno));
	else
		fprintf(stderr, "%s: %sremoved %s%s\n", cli_prog(), what,
			d->dir,
			failed ? " (--keep keeps it, with the logs)" : "");
}

/* ---- the command ---- */

/* Set an environment variable for the command, and put it back after
 * (the shell runs commands in one process). */
struct dev_saved {
	const char *name;
	char *old; /* NULL: it was unset */
};

static int
dev_setenv(struct dev_saved *v, const char *name, const char *value)
{
	const char *cur = getenv(name);

	v->name = name;
	v->old = cur != NULL ? strdup(cur) : NULL;
	if (cur != NULL && v->old == NULL)
		return -1;
	return setenv(name, value, 1);
}

static void
dev_restore(struct dev_saved *v)
{
	if (v->name == NULL)
		return;
	if (v->old != NULL)
		setenv(v->name, v->old, 1);
	else
		unsetenv(v->name);
	free(v->old);
	v->name = NULL;
}

int
cmd_dev(const struct dot_cmd *self, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"nodes", required_argument, NULL, OPT_NODES},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"dotd", required_argument, NULL, OPT_DOTD},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir_arg = NULL, *dotd_arg = NULL;
	struct dev_saved env_addr = {0}, env_timeout = {0};
	struct sigaction hup;
	struct timespec zero = {0, 0};
	struct dev *d = NULL;
	uint64_t nodes = 3;
	unsigned policy = DOT_POLICY_HYBRID;
	int c, keep = 0, failed = 1, status = DOT_EXIT_FAIL;

	(void)self;
	while ((c = getopt_long(argc, argv, ":hn:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
		case OPT_NODES:
			if (cli_parse_u64(optarg, 1, DEV_MAX_NODES, &nodes) !=
			    0)
				return cli_usage("--nodes '%s': give a number "
						 "of nodes from 1 to %d",
						 optarg, DEV_MAX_NODES);
			break;
		case OPT_DIR:
			if (optarg[0] == '\0')
				return cli_usage("--dir needs a directory");
			dir_arg = optarg;
			break;
		case OPT_DOTD:
			dotd_arg = optarg;
			break;
		case OPT_KEEP:
			keep = 1;
			break;
		case OPT_POLICY:
			if (dot_policy_parse(optarg, &policy) != DOT_OK)
				return cli_usage("--policy '%s': give hybrid, "
						 "classic or "
						 "hybrid+classic-attenuation",
						 optarg);
			break;
		case OPT_JSON:
			cli_set_json(1);
			break;
		case 'h':
			return cli_help(dev_help);
		default:
			return cli_badopt(c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("unexpected argument '%s'", argv[optind]);
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", cli_prog());
		return DOT_EXIT_FAIL;
	}
	d->nnodes = (int)nodes;
	d->keep = keep;
	d->policy = dot_policy_name(policy);

	/* The signals that stop it, taken by sigtimedwait from now on; a
	 * SIGHUP ignored (nohup) stays ignored. A closed output stops it
	 * too, in order, rather than killing it. */
	sigemptyset(&d->sigs);
	sigaddset(&d->sigs, SIGINT);
	sigaddset(&d->sigs, SIGTERM);
	sigaddset(&d->sigs, SIGPIPE);
	sigaddset(&d->sigs, SIGCHLD);
	if (sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler != SIG_IGN)
		sigaddset(&d->sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &d->sigs, &d->oldmask);

	/* Our own status calls: on the nodes' sockets, and quick; the
	 * children get the user's DOT_TIMEOUT (dev_env). */
	if (dev_setenv(&env_addr, "DOT_ADDR", "") != 0 ||
	    dev_setenv(&env_timeout, "DOT_TIMEOUT", "10") != 0) {
		dev_error(d, DOT_ENOMEM, 0, NULL, 0, "out of memory");
		status = dev_report(d);
		goto out;
	}
	d->timeout = env_timeout.old;
	if (dev_start(d, dir_arg, dotd_arg) != DOT_OK) {
		status = dev_report(d);
		dev_stop(d, "the cluster did not come up");
		goto out;
	}
	failed = 0;
	if (cli_json())
		dev_print_json(d);
	else
		dev_print_text(d);
	status = dev_supervise(d);
	dev_stop(d, dev_signame(d->stop_sig));
out:
	dev_remove(d, failed);
	/* Signals that came late are taken, not delivered on unblocking. */
	while (sigtimedwait(&d->sigs, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
	dev_restore(&env_timeout);
	dev_restore(&env_addr);
	dev_env_free(d);
	free(d);
	return status;
}
