/*
 * fuzz_log.c - dotd's entry log reader (daemon/log.c, docs/log-format.md).
 * The input is a whole log file. dotd_log_scan must leave it unchanged;
 * dotd_log_open must agree with the scan (the same verdict, entries and
 * torn tail) and then leave a log that opens again cleanly with the same
 * last entry and takes an append; a refusal is DOT_ESTATE_STORAGE with a
 * message, and then the file is unchanged. Entries reach the callback in
 * index order, each at most DOTD_LOG_MAX_ENTRY bytes.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_log: %s\n", what);
	abort();
}

struct seen {
	uint64_t n, last;
};

static int
on_entry(void *ctx, uint64_t index, uint64_t time, const uint8_t *entry,
	 size_t n)
{
	struct seen *s = ctx;

	(void)time;
	if (index != s->last + 1 || n == 0 || n > DOTD_LOG_MAX_ENTRY ||
	    entry == NULL)
		fail("an entry out of order or of a bad length");
	s->last = index;
	s->n++;
	return DOT_OK;
}

static void
put_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		fail("cannot write the input");
	close(fd);
}

static int
same_file(const uint8_t *data, size_t size)
{
	static uint8_t buf[1 << 18];
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	return r == (ssize_t)size && memcmp(buf, data, size) == 0;
}

/* Remove what an open left beside the log (log.torn-<offset>). */
static void
clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[400];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dotd_log a, b, c;
	struct seen sa = {0}, sb = {0}, sc = {0};
	struct dot_err e = {0};
	int ra, rb;

	if (size > (1 << 18))
		return 0;
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/dot-fuzz-log-XXXXXX");
		if (mkdtemp(dir) == NULL)
			fail("mkdtemp");
		snprintf(path, sizeof(path), "%s/log", dir);
	}
	clean_dir();
	put_file(data, size);
	ra = dotd_log_scan(&a, path, on_entry, &sa, &e);
	if (ra == DOT_OK)
		dotd_log_close(&a);
	if (!same_file(data, size))
		fail("the scan changed the file");
	if (ra != DOT_OK && (ra != DOT_ESTATE_STORAGE || e.msg[0] == '\0'))
		fail("a refusal that is not DOT_ESTATE_STORAGE with a message");

	memset(&e, 0, sizeof(e));
	rb = dotd_log_open(&b, path, on_entry, &sb, &e);
	if ((ra == DOT_OK) != (rb == DOT_OK))
		fail("the scan and the open disagree");
	if (rb != DOT_OK) {
		if (!same_file(data, size))
			fail("a refused open changed the file");
		return 0;
	}
	if (size > 0 && (sa.n != sb.n || a.last_index != b.last_index ||
			 a.truncated != b.truncated || a.size != b.size ||
			 memcmp(a.last_hash, b.last_hash, DOT_HASH_LEN) != 0))
		fail("the scan and the open read different logs");
	if (b.size < 8 || b.size > (size > 8 ? size : 8))
		fail("a log size past the input");
	/* an append over whatever follows the records (zeros or nothing) */
	{
		static const uint8_t x[] = "an entry";

		memset(&e, 0, sizeof(e));
		if (dotd_log_append(&b, b.last_index + 1, b.last_time, x,
				    sizeof(x), &e) != DOT_OK)
			fail("the opened log takes no append");
	}
	dotd_log_close(&b);
	memset(&e, 0, sizeof(e));
	if (dotd_log_open(&c, path, on_entry, &sc, &e) != DOT_OK)
		fail("the log does not open again after the append");
	if (c.truncated != 0 || c.last_index != sb.last + 1 ||
	    sc.n != sb.n + 1)
		fail("the reopened log is not the one written");
	dotd_log_close(&c);
	return 0;
}
