/*
 * util.c - what the dot subcommands share: messages and exit codes, option
 * errors, files, key lookup, passphrases, times, and the store of the
 * nodes' keys trusted for their checkpoints.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "doteros/audit.h"
#include "doteros/xwing.h"
#include "dot.h"

/* The command being run; the CLI is single-threaded. */
static const struct dot_cmd *cur_cmd;
static char prog[64] = "dot";
static int json_mode;

void
cli_begin(const struct dot_cmd *cmd)
{
	cur_cmd = cmd;
	if (cmd != NULL && cmd->name == NULL) /* dot init */
		snprintf(prog, sizeof(prog), "dot %.20s", cmd->group);
	else if (cmd != NULL)
		snprintf(prog, sizeof(prog), "dot %.20s %.20s", cmd->group,
			 cmd->name);
	else
		snprintf(prog, sizeof(prog), "dot");
	json_mode = 0;
	cli_channel_key_reset(); /* each command names its own key */
	optind = 0; /* GNU: reinitialise getopt for a new argv */
	opterr = 0;
}

void cli_set_json(int on) { json_mode = on; }
int cli_json(void) { return json_mode; }
const char *cli_prog(void) { return prog; }

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cur_cmd != NULL)
		fprintf(stderr, "usage: %s %s\nRun '%s --help' for the options.\n",
			prog, cur_cmd->synopsis, prog);
	return DOT_EXIT_USAGE;
}

int
cli_badopt(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage("option '%s' needs an argument", arg);
	if (optopt != 0 && strncmp(arg, "--", 2) != 0)
		return cli_usage("unknown option '-%c'", optopt);
	return cli_usage("unknown option '%s'", arg);
}

int
cli_help(const char *body)
{
	if (cur_cmd != NULL)
		printf("usage: %s %s\n\n%s.\n\n", prog, cur_cmd->synopsis,
		       cur_cmd->summary);
	fputs(body, stdout);
	return DOT_EXIT_OK;
}

static void
json_error(const struct dot_err *e, long block)
{
	struct json j;

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kbool(&j, "ok", 0);
	json_kstr(&j, "error", dot_errname(e->code));
	json_kstr(&j, "message", e->msg[0] ? e->msg : dot_strerror(e->code));
	if (block >= 0)
		json_kuint(&j, "block", (uint64_t)block);
	json_obj_end(&j);
	json_finish(&j);
}

int
cli_fail(const struct dot_err *e)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", prog,
		e->msg[0] ? e->msg : dot_strerror(e->code));
	if (json_mode)
		json_error(e, -1);
	return DOT_EXIT_FAIL;
}

int
cli_refuse(const struct dot_err *e, long block, const char *hint)
{
	struct dot_err je;
	char where[32] = "";
	size_t ctxlen, wlen;

	if (block >= 0)
		snprintf(where, sizeof(where), " (block %ld)", block);
	/* The library's context may end with the same " (block N)". */
	ctxlen = strlen(e->msg);
	wlen = strlen(where);
	if (wlen > 0 && ctxlen > wlen &&
	    strcmp(e->msg + ctxlen - wlen, where) == 0)
		ctxlen -= wlen;
	fflush(stdout);
	fprintf(stderr, "%s: refused: %s%s%s%.*s\n", prog,
		dot_strerror(e->code), where, ctxlen ? ": " : "", (int)ctxlen,
		e->msg);
	if (hint != NULL && hint[0] != '\0')
		fprintf(stderr, "%s: hint: %s\n", prog, hint);
	if (json_mode) {
		je.code = e->code;
		snprintf(je.msg, sizeof(je.msg), "%s", e->msg);
		if (je.msg[0] == '\0')
			snprintf(je.msg, sizeof(je.msg), "%s",
				 dot_strerror(e->code));
		json_error(&je, block);
	}
	return DOT_EXIT_FAIL;
}

/* ---- numbers and hex ---- */

int
cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
cli_parse_hex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
cli_hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- times ---- */

uint64_t
cli_now(void)
{
	time_t t = time(NULL);

	return t < 0 ? 0 : (uint64_t)t;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1970). */
static uint64_t
days_from_civil(unsigned y, unsigned m, unsigned d)
{
	unsigned era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * 146097 + doe - 719468;
}

static int
leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s as a number, or -1. */
static long
digits(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
parse_rfc3339(const char *s, uint64_t *out, struct dot_err *e)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};
	size_t n = strlen(s);
	long y, mo, d, h, mi, sec;
	unsigned dim;

	y = digits(s, 4);
	if (n < 19 || y < 0 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return dot_err_set(e, DOT_EINVAL,
				   "time '%s': expected RFC 3339 UTC "
				   "(2026-11-23T10:00:00Z), @UNIXSECONDS or "
				   "+N{s,m,h,d}",
				   s);
	mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0)
		return dot_err_set(e, DOT_EINVAL,
				   "time '%s': date and time fields must be "
				   "digits (YYYY-MM-DDTHH:MM:SSZ)",
				   s);
	if (n > 19 && s[19] == '.')
		return dot_err_set(e, DOT_EINVAL,
				   "time '%s': fractional seconds are not "
				   "supported",
				   s);
	if (n != 20 || (s[19] != 'Z' && s[19] != 'z'))
		return dot_err_set(e, DOT_EINVAL,
				   "time '%s': give the time in UTC, ending "
				   "with 'Z' (2026-11-23T10:00:00Z)",
				   s);
	if (y < 1970)
		return dot_err_set(e, DOT_ERANGE,
				   "time '%s': year %ld is before 1970", s, y);
	if (mo < 1 || mo > 12)
		return dot_err_set(e, DOT_ERANGE,
				   "time '%s': month %02ld is not 01-12", s,
				   mo);
	dim = mdays[mo - 1] + (mo == 2 && leap((unsigned)y));
	if (d < 1 || (unsigned long)d > dim)
		return dot_err_set(e, DOT_ERANGE,
				   "time '%s': day %02ld is not 01-%02u for "
				   "that month",
				   s, d, dim);
	if (h > 23)
		return dot_err_set(e, DOT_ERANGE,
				   "time '%s': hour %02ld is not 00-23", s, h);
	if (mi > 59)
		return dot_err_set(e, DOT_ERANGE,
				   "time '%s': minute %02ld is not 00-59", s,
				   mi);
	if (sec > 59)
		return dot_err_set(e, DOT_ERANGE,
				   "time '%s': second %02ld is not 00-59 "
				   "(leap seconds are not representable)",
				   s, sec);
	*out = days_from_civil((unsigned)y, (unsigned)mo, (unsigned)d) *
		       86400 +
	       (uint64_t)(h * 3600 + mi * 60 + sec);
	return DOT_OK;
}

int
cli_parse_time(const char *s, uint64_t base, uint64_t *out,
	       struct dot_err *e)
{
	uint64_t v, mult;
	char num[24];
	size_t n;

	if (s[0] == '@') {
		if (cli_parse_u64(s + 1, 0, UINT64_MAX, &v) != 0)
			return dot_err_set(e, DOT_EINVAL,
					   "time '%s': after '@' give Unix "
					   "seconds as digits only",
					   s);
		*out = v;
		return DOT_OK;
	}
	if (s[0] == '+') {
		n = strlen(s);
		if (n < 3 || n - 2 >= sizeof(num))
			return dot_err_set(e, DOT_EINVAL,
					   "time '%s': relative times look "
					   "like +30s, +15m, +2h or +7d",
					   s);
		switch (s[n - 1]) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default:
			return dot_err_set(e, DOT_EINVAL,
					   "time '%s': unit '%c' is not one of "
					   "s, m, h, d",
					   s, s[n - 1]);
		}
		memcpy(num, s + 1, n - 2);
		num[n - 2] = '\0';
		if (cli_parse_u64(num, 0, UINT64_MAX, &v) != 0)
			return dot_err_set(e, DOT_EINVAL,
					   "time '%s': '%s' is not a whole "
					   "number",
					   s, num);
		if (v > (UINT64_MAX - base) / mult)
			return dot_err_set(e, DOT_ERANGE,
					   "time '%s': too far in the future",
					   s);
		*out = base + v * mult;
		return DOT_OK;
	}
	if (s[0] == '-')
		return dot_err_set(e, DOT_EINVAL,
				   "time '%s': relative times count forward "
				   "(+N{s,m,h,d}); for the past give a date "
				   "or @UNIXSECONDS",
				   s);
	return parse_rfc3339(s, out, e);
}

void
cli_format_time(uint64_t t, char *out, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t > 253402300799u /* 9999-12-31T23:59:59Z */ ||
	    gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "@%llu", (unsigned long long)t);
}

/* ---- directories and files ---- */

int
cli_dot_dir(char *out, size_t cap, struct dot_err *e)
{
	const char *d = getenv("DOT_DIR"), *home;
	int n;

	if (d != NULL && d[0] != '\0')
		n = snprintf(out, cap, "%s", d);
	else if ((home = getenv("HOME")) != NULL && home[0] != '\0')
		n = snprintf(out, cap, "%s/.doteros", home);
	else
		return dot_err_set(e, DOT_EINVAL,
				   "neither DOT_DIR nor HOME is set: set "
				   "DOT_DIR to the Doteros directory");
	if (n < 0 || (size_t)n >= cap)
		return dot_err_set(e, DOT_ETOOBIG,
				   "DOT_DIR path is too long");
	return DOT_OK;
}

int
cli_mkdirs(const char *path, struct dot_err *e)
{
	char p[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return dot_err_set(e, DOT_EINVAL, "bad directory '%s'", path);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return dot_err_set(e, DOT_EINVAL,
					   "cannot create directory %s: %s", p,
					   strerror(errno));
		p[i] = c;
	}
	return DOT_OK;
}

int
cli_key_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

int
cli_read_file(const char *path, size_t max, struct dot_buf *out,
	      struct dot_err *e)
{
	int fd, rv = DOT_OK;
	ssize_t r;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return dot_err_set(e, DOT_EINVAL, "cannot open %s: %s", path,
				   strerror(errno));
	for (;;) {
		if (dot_buf_reserve(out, 4096) != DOT_OK) {
			rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
			goto out;
		}
		r = read(fd, out->data + out->len, out->cap - out->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rv = dot_err_set(e, DOT_EINVAL, "cannot read %s: %s",
					 fd == STDIN_FILENO ? "stdin" : path,
					 strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		if (out->len > max) {
			rv = dot_err_set(e, DOT_ETOOBIG,
					 "%s is larger than %zu bytes",
					 fd == STDIN_FILENO ? "stdin" : path,
					 max);
			goto out;
		}
	}
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rv;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		b += w, n -= (size_t)w;
	}
	return 0;
}

static int
write_file(const char *path, const void *data, size_t n, int newline,
	   struct dot_err *e);

int
cli_write_file(const char *path, const void *data, size_t n,
	       struct dot_err *e)
{
	return write_file(path, data, n, 1, e);
}

int
cli_write_bytes(const char *path, const void *data, size_t n,
		struct dot_err *e)
{
	return write_file(path, data, n, 0, e);
}

static int
write_file(const char *path, const void *data, size_t n, int newline,
	   struct dot_err *e)
{
	char tmp[4096];
	int fd = -1, rv = DOT_OK, k;

	k = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	if (k < 0 || (size_t)k >= sizeof(tmp))
		return dot_err_set(e, DOT_EINVAL, "path too long: %s", path);
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0)
		return dot_err_set(e, DOT_EINVAL, "cannot create %s: %s", tmp,
				   strerror(errno));
	if (write_all(fd, data, n) != 0 ||
	    (newline && write_all(fd, "\n", 1) != 0) || fsync(fd) != 0) {
		rv = dot_err_set(e, DOT_EINVAL, "cannot write %s: %s", tmp,
				 strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rv = dot_err_set(e, DOT_EINVAL, "cannot write %s: %s", tmp,
				 strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		rv = dot_err_set(e, DOT_EINVAL, "cannot write %s: %s", path,
				 strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rv != DOT_OK)
		unlink(tmp);
	return rv;
}

/* ---- $DOT_DIR/trust: node keys trusted for their checkpoints ---- */

int
cli_origin_path(const char *sub, const char *origin, char *out, size_t cap,
		struct dot_err *e)
{
	char dir[4000], name[2 * DOT_AUDIT_MAX_NAME + 3];
	size_t n = strlen(origin);
	int safe = n > 0 && n <= DOT_AUDIT_MAX_NAME, rv, k;

	/* Safe: parts of [A-Za-z0-9._-], none empty, none starting with
	 * '.' (so no "." or ".."), separated by single '/'. */
	for (size_t i = 0; safe && i < n; i++) {
		char c = origin[i];
		int start = i == 0 || origin[i - 1] == '/';

		if (c == '/')
			safe = !start && i + 1 < n;
		else if (start && c == '.')
			safe = 0;
		else
			safe = (c >= 'a' && c <= 'z') ||
			       (c >= 'A' && c <= 'Z') ||
			       (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			       c == '_';
	}
	if (safe) {
		snprintf(name, sizeof(name), "%s", origin);
	} else {
		memcpy(name, "x-", 2);
		cli_hex(name + 2, (const uint8_t *)origin,
			n > DOT_AUDIT_MAX_NAME ? DOT_AUDIT_MAX_NAME : n);
	}
	if ((rv = cli_dot_dir(dir, sizeof(dir), e)) != DOT_OK)
		return rv;
	k = snprintf(out, cap, "%s/%s/%s", dir, sub, name);
	if (k < 0 || (size_t)k >= cap)
		return dot_err_set(e, DOT_ETOOBIG, "DOT_DIR path is too long");
	return DOT_OK;
}

/*
 * Walk a trust file: "origin ORIGIN" then one or more "key K" lines, one
 * per node of the cluster whose checkpoints are trusted (decision 0019).
 * fn gets each key in turn; a non-zero return stops the walk. *found: 0
 * when path does not exist, else the number of keys walked.
 */
static int
trust_walk(const char *path, const char *origin,
	   int (*fn)(void *ctx, const char *key), void *ctx, int *found,
	   struct dot_err *e)
{
	struct dot_buf b = {0};
	char want[DOT_AUDIT_MAX_NAME + 16];
	const char *k, *end;
	int rv;

	*found = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return DOT_OK;
	if ((rv = cli_read_file(path, CLI_TRUST_FILE_MAX, &b, e)) != DOT_OK)
		goto out;
	/* cli_write_file leaves the last line without its newline */
	if (b.len > 0 && b.data[b.len - 1] != '\n')
		dot_buf_put(&b, "\n", 1);
	dot_buf_put(&b, "", 1);
	if (b.err) {
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(want, sizeof(want), "origin %s\n", origin);
	if (strncmp((const char *)b.data, want, strlen(want)) != 0 ||
	    strncmp((const char *)b.data + strlen(want), "key ", 4) != 0) {
		rv = dot_err_set(e, DOT_EAUDIT_KEY,
				 "%s is not a trust file for %s (lines 'origin "
				 "ORIGIN' and 'key NAME+ID+BASE64' expected): "
				 "remove it to trust the node again",
				 path, origin);
		goto out;
	}
	for (k = (const char *)b.data + strlen(want); *k != '\0';
	     k = end + 1) {
		char key[CLI_TRUST_MAX];

		end = strchr(k, '\n');
		if (strncmp(k, "key ", 4) != 0 || end == NULL ||
		    (size_t)(end - k - 4) >= sizeof(key) || end == k + 4) {
			rv = dot_err_set(e, DOT_EAUDIT_KEY,
					 "%s: line %d is not 'key "
					 "NAME+ID+BASE64': remove the file to "
					 "trust the nodes again",
					 path, *found + 2);
			goto out;
		}
		memcpy(key, k + 4, (size_t)(end - k - 4));
		key[end - k - 4] = '\0';
		++*found;
		if (fn != NULL && fn(ctx, key) != 0)
			break;
	}
out:
	dot_buf_free(&b);
	return rv;
}

struct trust_first {
	char *out;
	size_t cap;
	int too_long;
};

static int
trust_first_cb(void *ctx, const char *key)
{
	struct trust_first *t = ctx;

	if (strlen(key) >= t->cap)
		t->too_long = 1;
	else
		snprintf(t->out, t->cap, "%s", key);
	return 1;
}

int
cli_trust_load(const char *path, const char *origin, char *out, size_t cap,
	       int *found, struct dot_err *e)
{
	struct trust_first t = {out, cap, 0};
	int rv = trust_walk(path, origin, trust_first_cb, &t, found, e);

	if (rv == DOT_OK && t.too_long)
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "%s: the key line is too long: remove the "
				   "file to trust the node again",
				   path);
	if (*found > 1)
		*found = 1;
	return rv;
}

struct trust_has {
	const char *key;
	int has;
};

static int
trust_has_cb(void *ctx, const char *key)
{
	struct trust_has *t = ctx;

	if (strcmp(key, t->key) == 0)
		t->has = 1;
	return 0;
}

int
cli_trust_has(const char *path, const char *origin, const char *key,
	      int *count, int *has, struct dot_err *e)
{
	struct trust_has t = {key, 0};
	int rv = trust_walk(path, origin, trust_has_cb, &t, count, e);

	*has = t.has;
	return rv;
}

int
cli_trust_add(const char *path, const char *origin, const char *key,
	      struct dot_err *e)
{
	struct dot_buf b = {0};
	int count = 0, has = 0, rv;

	if ((rv = cli_trust_has(path, origin, key, &count, &has, e)) !=
	    DOT_OK)
		return rv;
	if (has)
		return DOT_OK;
	if (count > 0 &&
	    (rv = cli_read_file(path, CLI_TRUST_FILE_MAX, &b, e)) != DOT_OK)
		return rv;
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.len--;
	if (count == 0) {
		char *slash, dir[4200];
		snprintf(dir, sizeof(dir), "%s", path);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if ((rv = cli_mkdirs(dir, e)) != DOT_OK)
				return rv;
		}
		dot_buf_put(&b, "origin ", 7);
		dot_buf_put(&b, origin, strlen(origin));
	}
	dot_buf_put(&b, "\nkey ", 5);
	dot_buf_put(&b, key, strlen(key));
	if (b.err)
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
	else if (b.len > CLI_TRUST_FILE_MAX)
		rv = dot_err_set(e, DOT_ETOOBIG,
				 "%s would exceed %u bytes: remove keys of "
				 "nodes that left the cluster",
				 path, CLI_TRUST_FILE_MAX);
	else
		rv = cli_write_file(path, b.data, b.len, e);
	dot_buf_free(&b);
	return rv;
}

void
cli_cluster_origin(const uint8_t cid[DOT_CLUSTER_ID_LEN],
		   char out[CLI_ORIGIN_MAX])
{
	memcpy(out, "doteros/", 8);
	cli_hex(out + 8, cid, DOT_CLUSTER_ID_LEN);
}

int
cli_origin_cluster(const char *origin, uint8_t cid[DOT_CLUSTER_ID_LEN])
{
	char want[CLI_ORIGIN_MAX];

	if (strncmp(origin, "doteros/", 8) != 0 ||
	    strlen(origin) != CLI_ORIGIN_MAX - 1 ||
	    cli_parse_hex(origin + 8, cid, DOT_CLUSTER_ID_LEN) != 0)
		return -1;
	/* only the canonical (lower-case) spelling names a cluster's log */
	cli_cluster_origin(cid, want);
	return strcmp(want, origin) == 0 ? 0 : -1;
}

struct trust_vk {
	struct dot_audit_vkey *vk;
	size_t max, n;
};

static int
trust_vk_cb(void *ctx, const char *key)
{
	struct trust_vk *t = ctx;
	struct dot_err pe = {0};

	if (t->n >= t->max)
		return 1;
	if (dot_audit_vkey_parse(&t->vk[t->n], key, strlen(key), &pe) !=
	    DOT_OK)
		return 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->vk[i].key_id == t->vk[t->n].key_id &&
		    strcmp(t->vk[i].name, t->vk[t->n].name) == 0 &&
		    t->vk[i].key_len == t->vk[t->n].key_len &&
		    memcmp(t->vk[i].key, t->vk[t->n].key, t->vk[i].key_len) ==
			    0)
			return 0; /* the same key twice */
	t->n++;
	return 0;
}

int
cli_trust_vkeys(const char *path, const char *origin,
		const struct dot_audit_vkey *also, struct dot_audit_vkey *vk,
		size_t max, size_t *n, struct dot_err *e)
{
	struct trust_vk t = {vk, max, 0};
	int found, rv;

	*n = 0;
	if (max == 0)
		return DOT_OK;
	if (also != NULL) {
		vk[0] = *also;
		t.n = 1;
	}
	if ((rv = trust_walk(path, origin, trust_vk_cb, &t, &found, e)) !=
	    DOT_OK)
		return rv;
	*n = t.n;
	return DOT_OK;
}

struct trust_kx {
	uint8_t (*kx)[32];
	size_t max, n;
	const char *path;
	int bad;
	char badkey[CLI_TRUST_MAX];
};

static int
trust_kx_cb(void *ctx, const char *key)
{
	struct trust_kx *t = ctx;
	struct dot_audit_vkey vk;
	struct dot_err pe = {0};

	if (t->n >= t->max)
		return 1;
	if (dot_audit_vkey_parse(&vk, key, strlen(key), &pe) != DOT_OK ||
	    dot_sign_pk_to_kx(vk.key, vk.key_len, t->kx[t->n]) != DOT_OK) {
		t->bad = 1;
		snprintf(t->badkey, sizeof(t->badkey), "%s", key);
		return 1;
	}
	t->n++;
	return 0;
}

int
cli_trusted_node_kx(const uint8_t cid[DOT_CLUSTER_ID_LEN], size_t *count,
		    uint8_t kx[][32], size_t max, char *path, size_t pcap,
		    struct dot_err *e)
{
	char origin[CLI_ORIGIN_MAX];
	struct trust_kx t;
	int rv, found;

	*count = 0;
	memset(&t, 0, sizeof(t));
	t.kx = kx;
	t.max = max;
	cli_cluster_origin(cid, origin);
	if ((rv = cli_origin_path("trust", origin, path, pcap, e)) != DOT_OK ||
	    (rv = trust_walk(path, origin, trust_kx_cb, &t, &found, e)) !=
		DOT_OK)
		return rv;
	if (t.bad)
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "%s: the trusted key %.200s does not parse "
				   "or has no X25519 form, so no node can hold "
				   "it: remove the file to trust the nodes "
				   "again",
				   path, t.badkey);
	*count = t.n;
	return DOT_OK;
}

/* ---- a node's key: DIR/node.seed, as daemon/dotd.c's load_node_key ---- */

int
cli_node_seed(const char *dir, uint8_t suite, struct dot_sign_sk **sk,
	      int *made, struct dot_err *e)
{
	char path[4200];
	uint8_t seed[DOT_SEED_LEN], b[DOT_NODE_SEED_MAX + 1];
	struct stat st;
	int fd, rv = DOT_OK, n;
	ssize_t r = 0;
	size_t len;

	*sk = NULL;
	*made = 0;
	n = snprintf(path, sizeof(path), "%s/node.seed", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return dot_err_set(e, DOT_ETOOBIG, "directory path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		/* a fresh seed in the file's form (key-file.md §8), mode
		 * 0600, never replacing a file */
		randombytes_buf(seed, sizeof(seed));
		len = dot_node_seed_encode(suite, seed, b);
		if (len == 0) {
			rv = dot_err_set(e, DOT_ECRYPTO_SUITE,
					 "a node key cannot be of suite 0x%02x",
					 suite);
			goto out;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write_all(fd, b, len) != 0 || fsync(fd) != 0) {
			rv = dot_err_set(e, DOT_EINVAL,
					 "cannot make the node key %s: %s",
					 path, strerror(errno));
			if (fd >= 0)
				unlink(path);
			goto out;
		}
		*made = 1;
	} else if (fd < 0) {
		rv = dot_err_set(e, DOT_EINVAL,
				 "cannot open the node key %s: %s", path,
				 strerror(errno));
		goto out;
	} else {
		if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
			cli_warn("warning: the node key %s is accessible by "
				 "others (mode %04o); run 'chmod 600 %s'",
				 path, (unsigned)(st.st_mode & 07777), path);
		len = 0;
		do {
			r = read(fd, b + len, sizeof(b) - len);
			if (r > 0)
				len += (size_t)r;
		} while ((r < 0 && errno == EINTR) || (r > 0 && len < sizeof(b)));
		if (r < 0) {
			rv = dot_err_set(e, DOT_EINVAL, "cannot read %s: %s",
					 path, strerror(errno));
			goto out;
		}
	}
	rv = dot_node_seed_open(b, len, sk);
	if (rv != DOT_OK)
		rv = dot_err_set(e, rv,
				 "%s is not a node key (32 bytes, an Ed25519 "
				 "seed, or 33: 0x03 then a composite key's "
				 "seed): %s",
				 path, dot_strerror(rv));
out:
	if (fd >= 0)
		close(fd);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(b, sizeof(b));
	return rv;
}

/* ---- keys ---- */

void
cli_pk_text(const uint8_t *pk, size_t pklen, char out[DOT_PK_TEXT_MAX])
{
	if (dot_pk_to_text(pk, pklen, out, DOT_PK_TEXT_MAX) != DOT_OK)
		snprintf(out, DOT_PK_TEXT_MAX, "(invalid key)");
}

void
cli_key_id_hex(const uint8_t *pk, size_t pklen,
	       char out[2 * DOT_KEY_ID_LEN + 1])
{
	uint8_t id[DOT_KEY_ID_LEN];

	dot_key_id(pk, pklen, id);
	cli_hex(out, id, sizeof(id));
}

int
cli_key_path(const char *arg, char *out, size_t cap, struct dot_err *e)
{
	char dir[4000];
	struct stat st;
	int n, rv;

	if (arg[0] == '\0')
		return dot_err_set(e, DOT_EINVAL, "empty key name");
	if (strchr(arg, '/') == NULL && cli_key_name_valid(arg)) {
		if ((rv = cli_dot_dir(dir, sizeof(dir), e)) != DOT_OK)
			return rv;
		n = snprintf(out, cap, "%s/keys/%s.key", dir, arg);
		if (n < 0 || (size_t)n >= cap)
			return dot_err_set(e, DOT_ETOOBIG, "path too long");
		if (stat(out, &st) == 0)
			return DOT_OK;
		if (stat(arg, &st) != 0)
			return dot_err_set(e, DOT_EINVAL,
					   "no key '%s': neither %s nor ./%s "
					   "exists (create it with 'dot key "
					   "new %s')",
					   arg, out, arg, arg);
	}
	n = snprintf(out, cap, "%s", arg);
	if (n < 0 || (size_t)n >= cap)
		return dot_err_set(e, DOT_ETOOBIG, "path too long");
	return DOT_OK;
}

#define KEYFILE_TEXT_MAX 16384

static int
read_key_file(const char *arg, char *path, size_t cap, struct dot_buf *text,
	      struct dot_err *e)
{
	struct stat st;
	int rv;

	if ((rv = cli_key_path(arg, path, cap, e)) != DOT_OK)
		return rv;
	if ((rv = cli_read_file(path, KEYFILE_TEXT_MAX, text, e)) != DOT_OK)
		return rv;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077) != 0)
		cli_warn("warning: key file %s is accessible by others (mode "
			 "%04o); run 'chmod 600 %s'",
			 path, (unsigned)(st.st_mode & 07777), path);
	return DOT_OK;
}

/* Prefix a library error's context with the file it came from. */
static int
key_error(struct dot_err *e, int rv, const char *path)
{
	char ctx[sizeof(e->msg)];

	snprintf(ctx, sizeof(ctx), "%s", e->msg[0] ? e->msg : dot_strerror(rv));
	return dot_err_set(e, rv, "key file %s: %s", path, ctx);
}

static int
key_public(const char *arg, int any, uint8_t pk[DOT_KEYFILE_PK_MAX],
	   size_t *pklen, char *path_out, size_t cap, struct dot_err *e)
{
	struct dot_buf text = {0};
	char path[4096];
	int rv;

	e->msg[0] = '\0';
	if ((rv = read_key_file(arg, path, sizeof(path), &text, e)) != DOT_OK)
		goto out;
	if (any)
		rv = dot_keyfile_public_any((const char *)text.data, text.len,
					    pk, pklen, e);
	else
		rv = dot_keyfile_public((const char *)text.data, text.len, pk,
					pklen, e);
	if (rv != DOT_OK) {
		key_error(e, rv, path);
		goto out;
	}
	if (path_out != NULL)
		snprintf(path_out, cap, "%s", path);
out:
	dot_buf_free(&text);
	return rv;
}

int
cli_key_public(const char *arg, uint8_t pk[DOT_SIGN_PK_MAX], size_t *pklen,
	       char *path_out, size_t cap, struct dot_err *e)
{
	return key_public(arg, 0, pk, pklen, path_out, cap, e);
}

int
cli_key_public_any(const char *arg, uint8_t pk[DOT_KEYFILE_PK_MAX],
		   size_t *pklen, char *path_out, size_t cap,
		   struct dot_err *e)
{
	return key_public(arg, 1, pk, pklen, path_out, cap, e);
}

int
cli_public_key_arg(const char *arg, uint8_t pk[DOT_SIGN_PK_MAX],
		   size_t *pklen, struct dot_err *e)
{
	int rv;

	if (strncmp(arg, "dotpk1", 6) == 0) {
		rv = dot_pk_from_text(arg, pk, DOT_SIGN_PK_MAX, pklen);
		if (rv == DOT_ECRYPTO_SUITE && cli_pk_is_xwing(arg))
			return dot_err_set(e, rv,
					   "public key '%.24s...' is an X-Wing "
					   "key, for dot seal; a signing key is "
					   "needed here",
					   arg);
		if (rv != DOT_OK)
			return dot_err_set(e, rv,
					   "public key '%.24s...': %s (check "
					   "that it was copied whole)",
					   arg, dot_strerror(rv));
		return DOT_OK;
	}
	return cli_key_public(arg, pk, pklen, NULL, 0, e);
}

/* Keys held open for a shell session (cli_key_hold). */
static struct {
	char *arg;
	struct dot_sign_sk *sk;
} held[DOT_TX_MAX_SIGS];
static size_t nheld;

int
cli_key_hold(const char *arg, struct dot_sign_sk *sk, struct dot_err *e)
{
	if (nheld == DOT_TX_MAX_SIGS) {
		dot_sign_sk_free(sk);
		return dot_err_set(e, DOT_EINVAL, "at most %d keys are held",
				   DOT_TX_MAX_SIGS);
	}
	if ((held[nheld].arg = strdup(arg)) == NULL) {
		dot_sign_sk_free(sk);
		return dot_err_set(e, DOT_ENOMEM, "out of memory");
	}
	held[nheld++].sk = sk;
	return DOT_OK;
}

void
cli_key_release(void)
{
	for (size_t i = 0; i < nheld; i++) {
		dot_sign_sk_free(held[i].sk);
		free(held[i].arg);
	}
	nheld = 0;
}

/* A copy of the key held under arg; *found 0 when none is. */
static int
held_copy(const char *arg, struct dot_sign_sk **sk, int *found,
	  struct dot_err *e)
{
	uint8_t seed[DOT_SEED_LEN];
	int rv;

	for (size_t i = 0; i < nheld; i++) {
		if (strcmp(held[i].arg, arg) != 0)
			continue;
		*found = 1;
		dot_sign_sk_seed(held[i].sk, seed);
		rv = dot_sign_sk_from_seed(sk, dot_sign_sk_suite(held[i].sk),
					   seed);
		sodium_memzero(seed, sizeof(seed));
		if (rv != DOT_OK)
			return dot_err_set(e, rv, "cannot copy the key %s: %s",
					   arg, dot_strerror(rv));
		return DOT_OK;
	}
	*found = 0;
	return DOT_OK;
}

int
cli_key_open(const char *arg, const char *passfile, struct dot_sign_sk **sk,
	     struct dot_err *e)
{
	struct dot_buf text = {0};
	char path[4096], prompt[4200];
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t pklen, passlen = 0;
	char *pass = NULL;
	int rv, found;

	*sk = NULL;
	e->msg[0] = '\0';
	if ((rv = held_copy(arg, sk, &found, e)) != DOT_OK || found)
		return rv;
	if ((rv = read_key_file(arg, path, sizeof(path), &text, e)) != DOT_OK)
		goto out;
	/* Check the file before asking for a passphrase. */
	rv = dot_keyfile_public((const char *)text.data, text.len, pk, &pklen,
				e);
	if (rv != DOT_OK) {
		key_error(e, rv, path);
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", path);
	rv = cli_passphrase(passfile, prompt, 0, &pass, &passlen, e);
	if (rv != DOT_OK)
		goto out;
	rv = dot_keyfile_open((const char *)text.data, text.len, pass, passlen,
			      sk, e);
	if (rv != DOT_OK)
		key_error(e, rv, path);
out:
	cli_pass_free(pass);
	sodium_memzero(text.data, text.len);
	dot_buf_free(&text);
	return rv;
}

int
cli_key_open_xwing(const char *arg, const char *passfile,
		   uint8_t sk[DOT_SEED_LEN], struct dot_err *e)
{
	struct dot_buf text = {0};
	char path[4096], prompt[4200];
	uint8_t pk[DOT_KEYFILE_PK_MAX];
	size_t pklen, passlen = 0;
	char *pass = NULL;
	int rv;

	sodium_memzero(sk, DOT_SEED_LEN);
	e->msg[0] = '\0';
	if ((rv = read_key_file(arg, path, sizeof(path), &text, e)) != DOT_OK)
		goto out;
	/* Check the file, and its kind, before asking for a passphrase. */
	rv = dot_keyfile_public_any((const char *)text.data, text.len, pk,
				    &pklen, e);
	if (rv == DOT_OK && pk[0] != DOT_SUITE_XWING)
		rv = dot_err_set(e, DOT_ECRYPTO_SUITE,
				 "it holds a signing key (%s), not an X-Wing "
				 "key: make one with 'dot key new NAME --kind "
				 "seal'",
				 dot_suite_name(pk[0]) ? dot_suite_name(pk[0])
						       : "unknown suite");
	if (rv != DOT_OK) {
		key_error(e, rv, path);
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", path);
	rv = cli_passphrase(passfile, prompt, 0, &pass, &passlen, e);
	if (rv != DOT_OK)
		goto out;
	rv = dot_keyfile_open_xwing((const char *)text.data, text.len, pass,
				    passlen, sk, e);
	if (rv != DOT_OK)
		key_error(e, rv, path);
out:
	cli_pass_free(pass);
	sodium_memzero(text.data, text.len);
	dot_buf_free(&text);
	return rv;
}

int
cli_pk_is_xwing(const char *text)
{
	struct dot_buf b = {0};
	struct dot_err e = {0};
	int yes;

	yes = cli_text_decode("dotpk1", text, DOT_KEYFILE_PK_MAX, &b, &e) ==
		      DOT_OK &&
	      b.len == 1 + DOT_XWING_PK_LEN && b.data[0] == DOT_SUITE_XWING;
	dot_buf_free(&b);
	return yes;
}

/* ---- passphrases ---- */

#define PASS_MAX 1024

static int tty_fd = -1;
static struct termios tty_saved;
static struct sigaction old_int, old_term, old_hup;

static void
tty_restore(void)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
}

static void
on_signal(int sig)
{
	tty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read one line from the terminal without echo into buf (cap bytes). */
static int
tty_read(const char *prompt, char *buf, size_t cap, size_t *len,
	 struct dot_err *e)
{
	struct termios t;
	struct sigaction sa;
	size_t n = 0;
	char c;
	ssize_t r;
	int rv = DOT_OK;

	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0)
		return dot_err_set(e, DOT_EINVAL,
				   "no passphrase: use --passphrase-file or "
				   "DOT_PASSPHRASE");
	if (tcgetattr(tty_fd, &tty_saved) != 0) {
		close(tty_fd);
		tty_fd = -1;
		return dot_err_set(e, DOT_EINVAL,
				   "no passphrase: use --passphrase-file or "
				   "DOT_PASSPHRASE");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	t.c_lflag |= ECHONL;
	tcsetattr(tty_fd, TCSAFLUSH, &t);
	if (write(tty_fd, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy; go on reading */
	}
	for (;;) {
		r = read(tty_fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= cap) {
			rv = dot_err_set(e, DOT_ETOOBIG,
					 "passphrase longer than %zu bytes",
					 cap - 1);
			break;
		}
		buf[n++] = c;
	}
	c = 0;
	buf[n] = '\0';
	*len = n;
	tty_restore();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	close(tty_fd);
	tty_fd = -1;
	return rv;
}

static int
pass_from_file(const char *file, char *buf, size_t cap, size_t *len,
	       struct dot_err *e)
{
	int fd, rv = DOT_OK;
	size_t n = 0;
	ssize_t r;
	char *nl;

	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return dot_err_set(e, DOT_EINVAL,
				   "cannot open passphrase file %s: %s", file,
				   strerror(errno));
	/* Read until the first newline or cap - 1 bytes. */
	while (n + 1 < cap) {
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rv = dot_err_set(e, DOT_EINVAL,
					 "cannot read passphrase file %s: %s",
					 file, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n) != NULL)
			break;
	}
	buf[n] = '\0';
	nl = memchr(buf, '\n', n);
	if (nl == NULL && n + 1 >= cap) {
		rv = dot_err_set(e, DOT_ETOOBIG,
				 "passphrase in %s is longer than %zu bytes",
				 file, cap - 2);
		goto out;
	}
	if (nl != NULL)
		n = (size_t)(nl - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	sodium_memzero(buf + n, cap - n);
	*len = n;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rv;
}

int
cli_passphrase(const char *passfile, const char *prompt, int confirm,
	       char **pass, size_t *len, struct dot_err *e)
{
	char *buf, *again = NULL;
	const char *env;
	size_t n = 0, n2 = 0;
	int rv = DOT_OK;

	*pass = NULL;
	*len = 0;
	buf = sodium_malloc(PASS_MAX);
	if (buf == NULL)
		return dot_err_set(e, DOT_ENOMEM, "out of memory");
	if (passfile != NULL) {
		rv = pass_from_file(passfile, buf, PASS_MAX, &n, e);
	} else if ((env = getenv("DOT_PASSPHRASE")) != NULL) {
		n = strlen(env);
		if (n >= PASS_MAX) {
			rv = dot_err_set(e, DOT_ETOOBIG,
					 "DOT_PASSPHRASE is longer than %d "
					 "bytes",
					 PASS_MAX - 1);
			goto out;
		}
		memcpy(buf, env, n + 1);
	} else {
		rv = tty_read(prompt, buf, PASS_MAX, &n, e);
		if (rv != DOT_OK || !confirm)
			goto out;
		again = sodium_malloc(PASS_MAX);
		if (again == NULL) {
			rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
			goto out;
		}
		rv = tty_read("Same passphrase again: ", again, PASS_MAX, &n2,
			      e);
		if (rv != DOT_OK)
			goto out;
		if (n != n2 || sodium_memcmp(buf, again, n) != 0)
			rv = dot_err_set(e, DOT_EINVAL,
					 "the passphrases differ; nothing "
					 "was written");
	}
out:
	if (again != NULL) {
		sodium_memzero(again, PASS_MAX);
		sodium_free(again);
	}
	if (rv != DOT_OK) {
		cli_pass_free(buf);
		return rv;
	}
	*pass = buf;
	*len = n;
	return DOT_OK;
}

void
cli_pass_free(char *pass)
{
	if (pass == NULL)
		return;
	sodium_memzero(pass, PASS_MAX);
	sodium_free(pass);
}
