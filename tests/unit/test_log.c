/*
 * test_log.c - daemon/log.c, the single node's entry log
 * (docs/log-format.md): records written over the zeros written ahead of
 * them read back exactly; a torn append over those zeros is cut and kept
 * aside; zeros followed by data, or a damaged record followed by more, are
 * refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"

#define NENT 50
#define MIB ((off_t)1 << 20)

static char dir[64], path[128];

struct seen {
	size_t n;
	uint64_t index[NENT + 8];
	uint64_t time[NENT + 8];
	size_t len[NENT + 8];
	uint8_t first[NENT + 8];
};

static int
on_entry(void *ctx, uint64_t index, uint64_t time, const uint8_t *entry,
	 size_t n)
{
	struct seen *s = ctx;

	if (s->n >= NENT + 8)
		return DOT_EINVAL;
	s->index[s->n] = index;
	s->time[s->n] = time;
	s->len[s->n] = n;
	s->first[s->n] = entry[0];
	/* every byte of entry i is (i + position) mod 251 */
	for (size_t j = 0; j < n; j++)
		if (entry[j] != (uint8_t)((index + j) % 251))
			return DOT_EINVAL;
	s->n++;
	return DOT_OK;
}

static size_t
entry_len(uint64_t i)
{
	return 1 + (size_t)((i * 7919) % 40000);
}

static int
append(struct dotd_log *log, uint64_t i)
{
	size_t n = entry_len(i);
	uint8_t *b = malloc(n);
	struct dot_err e = {0};
	int rv;

	if (b == NULL)
		return DOT_ENOMEM;
	for (size_t j = 0; j < n; j++)
		b[j] = (uint8_t)((i + j) % 251);
	rv = dotd_log_append(log, i, 1000 + i, b, n, &e);
	free(b);
	return rv;
}

static off_t
file_size(void)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void
poke(off_t at, const void *b, size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);

	REQUIRE(fd >= 0);
	REQUIRE(pwrite(fd, b, n, at) == (ssize_t)n);
	close(fd);
}

static void
test_prealloc_roundtrip(void)
{
	struct dotd_log log;
	struct seen s = {0};
	struct dot_err e = {0};
	uint64_t size;
	uint8_t last[DOT_HASH_LEN];

	REQUIRE_RC(dotd_log_open(&log, path, NULL, NULL, &e), DOT_OK);
	CHECK(log.last_index == 0 && log.size == 8);
	for (uint64_t i = 1; i <= NENT; i++)
		REQUIRE_RC(append(&log, i), DOT_OK);
	size = log.size;
	memcpy(last, log.last_hash, sizeof(last));
	/* the file runs past the records, to whole MiBs of zeros */
	CHECK(file_size() > (off_t)size && file_size() % MIB == 0);
	CHECK(log.alloc == (uint64_t)file_size());
	dotd_log_close(&log);

	REQUIRE_RC(dotd_log_open(&log, path, on_entry, &s, &e), DOT_OK);
	CHECK(s.n == NENT && log.last_index == NENT && log.size == size);
	CHECK(log.truncated == 0);
	CHECK(memcmp(last, log.last_hash, sizeof(last)) == 0);
	for (size_t i = 0; i < s.n; i++)
		CHECK(s.index[i] == i + 1 && s.time[i] == 1001 + i &&
		      s.len[i] == entry_len(i + 1));
	/* appends go on after the reopen, over the same zeros */
	REQUIRE_RC(append(&log, NENT + 1), DOT_OK);
	dotd_log_close(&log);
	memset(&s, 0, sizeof(s));
	REQUIRE_RC(dotd_log_scan(&log, path, on_entry, &s, &e), DOT_OK);
	CHECK(s.n == NENT + 1 && log.truncated == 0);
	dotd_log_close(&log);
}

static void
test_torn_over_zeros(void)
{
	struct dotd_log log;
	struct seen s = {0};
	struct dot_err e = {0};
	uint8_t part[120];
	char torn[200];
	uint64_t size;
	struct stat sb;

	REQUIRE_RC(dotd_log_open(&log, path, NULL, NULL, &e), DOT_OK);
	size = log.size;
	dotd_log_close(&log);
	/* what a crash in the middle of the next append may leave: its
	 * header and the start of its entry, the zeros after them */
	memset(part, 0x5a, sizeof(part));
	part[0] = 0, part[1] = 0, part[2] = 0x10, part[3] = 0; /* 4096 */
	memset(part + 4, 0, 8);
	part[11] = NENT + 2;
	poke((off_t)size, part, sizeof(part));
	/* a scan reports it and changes nothing */
	REQUIRE_RC(dotd_log_scan(&log, path, NULL, NULL, &e), DOT_OK);
	CHECK(log.truncated == sizeof(part) && log.last_index == NENT + 1);
	dotd_log_close(&log);
	CHECK(file_size() > (off_t)size);
	/* opening cuts it and keeps a copy of what it held */
	REQUIRE_RC(dotd_log_open(&log, path, on_entry, &s, &e), DOT_OK);
	CHECK(s.n == NENT + 1 && log.last_index == NENT + 1);
	CHECK(log.truncated == sizeof(part) && log.size == size);
	CHECK(file_size() == (off_t)size);
	snprintf(torn, sizeof(torn), "%s.torn-%llu", path,
		 (unsigned long long)size);
	CHECK(stat(torn, &sb) == 0 && sb.st_size == (off_t)sizeof(part));
	unlink(torn);
	/* and appends continue, writing zeros ahead again */
	REQUIRE_RC(append(&log, NENT + 2), DOT_OK);
	CHECK(file_size() % MIB == 0);
	dotd_log_close(&log);
	memset(&s, 0, sizeof(s));
	REQUIRE_RC(dotd_log_open(&log, path, on_entry, &s, &e), DOT_OK);
	CHECK(s.n == NENT + 2 && log.truncated == 0);
	dotd_log_close(&log);
}

static void
test_damage_refused(void)
{
	struct dotd_log log;
	struct dot_err e = {0};
	uint64_t size;
	uint8_t b, one = 1, zero = 0;

	REQUIRE_RC(dotd_log_open(&log, path, NULL, NULL, &e), DOT_OK);
	size = log.size;
	dotd_log_close(&log);
	/* a non-zero byte far into the zeros ahead: not a torn append's
	 * (its header would be there), so damage */
	poke((off_t)size + 5000, &one, 1);
	CHECK_RC(dotd_log_open(&log, path, NULL, NULL, &e),
		 DOT_ESTATE_STORAGE);
	CHECK(strstr(e.msg, "damaged or altered") != NULL);
	CHECK_RC(dotd_log_scan(&log, path, NULL, NULL, &e),
		 DOT_ESTATE_STORAGE);
	poke((off_t)size + 5000, &zero, 1);
	/* a byte of the first record's entry changed, more records after
	 * it: damage, at its offset */
	{
		int fd = open(path, O_RDWR);

		REQUIRE(fd >= 0);
		REQUIRE(pread(fd, &b, 1, 8 + 20 + 3) == 1);
		b ^= 1;
		REQUIRE(pwrite(fd, &b, 1, 8 + 20 + 3) == 1);
		close(fd);
	}
	CHECK_RC(dotd_log_open(&log, path, NULL, NULL, &e),
		 DOT_ESTATE_STORAGE);
	CHECK(strstr(e.msg, "byte 8 ") != NULL);
	CHECK(file_size() > (off_t)size); /* nothing cut */
}

/* The fuzz target's seeds (tests/fuzz/gen_log_corpus.py): every ok-*
 * log reads, every bad-* one is refused as damage. */
static void
test_corpus_verdicts(void)
{
	static const char cdir[] = "tests/fuzz/corpus/log";
	DIR *d = opendir(cdir);
	struct dirent *de;
	int seen = 0;

	REQUIRE(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char src[400];
		static uint8_t buf[1 << 16];
		struct dotd_log log;
		struct dot_err e = {0};
		FILE *f;
		size_t n;
		int ok, rv;

		if (de->d_name[0] == '.')
			continue;
		ok = strncmp(de->d_name, "ok-", 3) == 0;
		snprintf(src, sizeof(src), "%s/%s", cdir, de->d_name);
		f = fopen(src, "rb");
		REQUIRE(f != NULL);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		unlink(path);
		if (n > 0)
			poke(0, buf, n);
		else
			close(open(path, O_WRONLY | O_CREAT, 0600));
		rv = dotd_log_scan(&log, path, NULL, NULL, &e);
		if (rv == DOT_OK)
			dotd_log_close(&log);
		if (ok ? rv != DOT_OK : rv != DOT_ESTATE_STORAGE)
			printf("# %s: %s (%s)\n", de->d_name, dot_errname(rv),
			       e.msg);
		CHECK(ok ? rv == DOT_OK : rv == DOT_ESTATE_STORAGE);
		seen++;
	}
	closedir(d);
	CHECK(seen >= 10);
	unlink(path);
}

int
main(void)
{
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/dot-test-log-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	{
		static const struct t_case cases[] = {
			T_CASE(test_prealloc_roundtrip),
			T_CASE(test_torn_over_zeros),
			T_CASE(test_damage_refused),
			T_CASE(test_corpus_verdicts)};

		rc = t_main(cases, sizeof(cases) / sizeof(cases[0]));
	}
	unlink(path);
	rmdir(dir);
	return rc;
}
