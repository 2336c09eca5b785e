/*
 * log.c - the append-only entry log (docs/log-format.md).
 *
 * File: "DOTLOG1\n", then records:
 *   u32 length L (big-endian), u64 index, u64 time, L bytes of entry,
 *   32 bytes h = BLAKE2b-256("dot-log-v1" || h_prev || index || time ||
 *                            L || entry), h_prev of the first record = 0^32.
 * then zero bytes up to the end of the file: space written ahead of the
 * appends (PREALLOC at a time), so an append's fdatasync has no file size
 * to update.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"

static const char magic[8] = "DOTLOG1\n";
static const char dom[] = "dot-log-v1";
#define HEAD 20
/* Zeros written ahead of the records, a MiB at a time: an append within
 * them changes no file size, so its fdatasync writes the data alone
 * (bench/RESULTS.md, bench/pq: about a quarter of the sync's time). */
#define PREALLOC ((uint64_t)1 << 20)

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t
get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void
rec_hash(uint8_t out[DOT_HASH_LEN], const uint8_t prev[DOT_HASH_LEN],
	 const uint8_t head[HEAD], const uint8_t *entry, size_t n)
{
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, prev, DOT_HASH_LEN);
	dot_hash_update(&h, head + 4, 16); /* index, time */
	dot_hash_update(&h, head, 4);      /* length */
	dot_hash_update(&h, entry, n);
	dot_hash_final(&h, out);
}

static int
read_full(int fd, void *buf, size_t n, size_t *got)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = read(fd, (uint8_t *)buf + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		off += (size_t)r;
	}
	*got = off;
	return 0;
}

static int
write_full(int fd, const void *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = write(fd, (const uint8_t *)buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* The offset after the last non-zero byte in [off, end) (off if none);
 * (uint64_t)-1 when it cannot be read. */
static uint64_t
data_end(int fd, uint64_t off, uint64_t end)
{
	uint8_t buf[65536];
	uint64_t last = off;

	while (off < end) {
		size_t want = end - off < sizeof(buf) ? (size_t)(end - off)
						      : sizeof(buf);
		ssize_t r = pread(fd, buf, want, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (uint64_t)-1;
		for (size_t i = (size_t)r; i > 0; i--)
			if (buf[i - 1] != 0) {
				last = off + i;
				break;
			}
		off += (uint64_t)r;
	}
	return last;
}

static void
save_tail(int fd, const char *path, uint64_t off, uint64_t end)
{
	char name[4096];
	uint8_t buf[65536];
	int out;

	if ((size_t)snprintf(name, sizeof(name), "%s.torn-%llu", path,
			     (unsigned long long)off) >= sizeof(name))
		return;
	out = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return;
	while (off < end) {
		size_t want = end - off < sizeof(buf) ? (size_t)(end - off)
						      : sizeof(buf);
		ssize_t r = pread(fd, buf, want, (off_t)off);
		if (r <= 0 || write_full(out, buf, (size_t)r) != 0)
			break;
		off += (uint64_t)r;
	}
	close(out);
}

static int log_read(struct dotd_log *log, const char *path, dotd_log_fn fn,
		    void *ctx, int readonly, struct dot_err *e);

int
dotd_log_open(struct dotd_log *log, const char *path, dotd_log_fn fn,
	      void *ctx, struct dot_err *e)
{
	return log_read(log, path, fn, ctx, 0, e);
}

int
dotd_log_scan(struct dotd_log *log, const char *path, dotd_log_fn fn,
	      void *ctx, struct dot_err *e)
{
	return log_read(log, path, fn, ctx, 1, e);
}

static int
log_read(struct dotd_log *log, const char *path, dotd_log_fn fn, void *ctx,
	 int readonly, struct dot_err *e)
{
	uint8_t head[HEAD], h[DOT_HASH_LEN], stored[DOT_HASH_LEN];
	uint8_t *entry = NULL;
	struct stat sb;
	size_t got;
	uint64_t off, tail;
	int rv = DOT_OK;

	memset(log, 0, sizeof(*log));
	log->fd = readonly ? open(path, O_RDONLY | O_CLOEXEC)
			   : open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (log->fd < 0)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
				   strerror(errno));
	if (fstat(log->fd, &sb) != 0) {
		rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
				 strerror(errno));
		goto fail;
	}
	if (sb.st_size == 0 && readonly) {
		log->size = 0;
		return DOT_OK;
	}
	if (sb.st_size == 0) {
		if (write_full(log->fd, magic, sizeof(magic)) != 0 ||
		    fdatasync(log->fd) != 0) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
					 strerror(errno));
			goto fail;
		}
		log->size = log->alloc = sizeof(magic);
		return DOT_OK;
	}
	{
		char m[8];
		if (read_full(log->fd, m, sizeof(m), &got) != 0 ||
		    got != sizeof(m) || memcmp(m, magic, sizeof(m)) != 0) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE,
					 "%s is not a Doteros log", path);
			goto fail;
		}
	}
	off = sizeof(magic);
	for (;;) {
		uint64_t len, index, time, end;

		if (read_full(log->fd, head, HEAD, &got) != 0) {
			rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
					 strerror(errno));
			goto fail;
		}
		if (got == 0)
			break; /* clean end */
		if (sodium_is_zero(head, got)) {
			/* Zeros: the space written ahead, if nothing but
			 * zeros follows to the end of the file. */
			end = data_end(log->fd, off, (uint64_t)sb.st_size);
			if (end == (uint64_t)-1) {
				rv = dot_err_set(e, DOT_ESTATE_STORAGE,
						 "%s: %s", path,
						 strerror(errno));
				goto fail;
			}
			if (end == off) {
				log->alloc = (uint64_t)sb.st_size;
				break; /* clean end, space ahead */
			}
			goto bad;
		}
		if (got < HEAD)
			goto torn;
		len = get(head, 4);
		index = get(head + 4, 8);
		time = get(head + 12, 8);
		if (len == 0 || len > DOTD_LOG_MAX_ENTRY ||
		    index != log->last_index + 1)
			goto bad;
		entry = realloc(entry, (size_t)len);
		if (entry == NULL) {
			rv = DOT_ENOMEM;
			goto fail;
		}
		if (read_full(log->fd, entry, (size_t)len, &got) != 0 ||
		    got < len)
			goto torn;
		if (read_full(log->fd, stored, sizeof(stored), &got) != 0 ||
		    got < sizeof(stored))
			goto torn;
		rec_hash(h, log->last_hash, head, entry, (size_t)len);
		if (memcmp(h, stored, sizeof(h)) != 0) {
			/* The last data in the file (zeros or nothing after
			 * it): an append over the space ahead that did not
			 * complete, pages of it written and others not; with
			 * more data after it, damage. */
			end = off + HEAD + len + DOT_HASH_LEN;
			if (data_end(log->fd, end, (uint64_t)sb.st_size) ==
			    end)
				goto torn;
			goto bad;
		}
		if (fn != NULL) {
			rv = fn(ctx, index, time, entry, (size_t)len);
			if (rv != DOT_OK)
				goto fail;
		}
		log->last_index = index;
		log->last_time = time;
		memcpy(log->last_hash, h, sizeof(h));
		off += HEAD + len + DOT_HASH_LEN;
	}
	log->size = off;
	if (log->alloc < off)
		log->alloc = off;
	free(entry);
	return DOT_OK;
bad:
	/* A complete record that does not check out (or a header naming the
	 * wrong index) with more data after it: not something a crash
	 * leaves behind. */
	rv = dot_err_set(e, DOT_ESTATE_STORAGE,
			 "%s: the record at byte %llu (after entry %llu) is "
			 "damaged or altered: its index, length or hash does "
			 "not match; refusing to start",
			 path, (unsigned long long)off,
			 (unsigned long long)log->last_index);
	goto fail;
torn:
	{
		/* what the append wrote: up to the last non-zero byte */
		uint64_t de = data_end(log->fd, off, (uint64_t)sb.st_size);

		tail = de != (uint64_t)-1 && de > off ? de - off
						      : (uint64_t)sb.st_size - off;
	}
	if (readonly) {
		log->truncated = tail;
		log->size = off;
		log->alloc = (uint64_t)sb.st_size;
		free(entry);
		return DOT_OK;
	}
	/* The file ends inside a record: the append never completed, so it
	 * was never acknowledged. Keep a copy of the tail beside the log (for
	 * whoever investigates), then cut it off. */
	save_tail(log->fd, path, off, off + tail);
	if (ftruncate(log->fd, (off_t)off) != 0 || fdatasync(log->fd) != 0) {
		rv = dot_err_set(e, DOT_ESTATE_STORAGE, "%s: truncate: %s",
				 path, strerror(errno));
		goto fail;
	}
	log->truncated = tail;
	log->size = off;
	log->alloc = off;
	free(entry);
	if (lseek(log->fd, (off_t)off, SEEK_SET) < 0)
		return dot_err_set(e, DOT_ESTATE_STORAGE, "%s: %s", path,
				   strerror(errno));
	return DOT_OK;
fail:
	free(entry);
	close(log->fd);
	log->fd = -1;
	return rv;
}

/* All of iov at off, however the kernel splits it. */
static int
pwritev_full(int fd, struct iovec *iov, int cnt, uint64_t off)
{
	while (cnt > 0) {
		ssize_t w = pwritev(fd, iov, cnt, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (uint64_t)w;
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Make sure zeros lie ahead for the next `need` bytes: write PREALLOC
 * more (whole MiBs past the record) when they do not. The record's
 * fdatasync then makes them durable with it, once per MiB. */
static int
prealloc(struct dotd_log *log, uint64_t need)
{
	static const uint8_t zero[65536];
	uint64_t want, at;

	if (log->size + need <= log->alloc)
		return 0;
	want = (log->size + need + PREALLOC - 1) / PREALLOC * PREALLOC;
	for (at = log->alloc; at < want;) {
		size_t k = want - at < sizeof(zero) ? (size_t)(want - at)
						    : sizeof(zero);
		ssize_t w = pwrite(log->fd, zero, k, (off_t)at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		at += (uint64_t)w;
	}
	log->alloc = want;
	return 0;
}

int
dotd_log_append(struct dotd_log *log, uint64_t index, uint64_t time,
		const uint8_t *entry, size_t n, struct dot_err *e)
{
	uint8_t head[HEAD], h[DOT_HASH_LEN];
	struct iovec iov[3];

	if (index != log->last_index + 1 || n == 0 || n > DOTD_LOG_MAX_ENTRY)
		return dot_err_set(e, DOT_EINVAL, "bad log append");
	put32(head, (uint32_t)n);
	put64(head + 4, index);
	put64(head + 12, time);
	rec_hash(h, log->last_hash, head, entry, n);
	iov[0].iov_base = head;
	iov[0].iov_len = HEAD;
	iov[1].iov_base = (void *)entry;
	iov[1].iov_len = n;
	iov[2].iov_base = h;
	iov[2].iov_len = sizeof(h);
	if (prealloc(log, HEAD + n + DOT_HASH_LEN) != 0 ||
	    pwritev_full(log->fd, iov, 3, log->size) != 0 ||
	    fdatasync(log->fd) != 0) {
		int err = errno;

		/* Leave no partial record behind for the next append, and
		 * no space ahead that might hold part of one. */
		if (ftruncate(log->fd, (off_t)log->size) != 0)
			(void)0;
		log->alloc = log->size;
		return dot_err_set(e, DOT_ESTATE_STORAGE, "log append: %s",
				   strerror(err));
	}
	log->size += HEAD + n + DOT_HASH_LEN;
	log->last_index = index;
	log->last_time = time;
	memcpy(log->last_hash, h, sizeof(h));
	return DOT_OK;
}

void
dotd_log_close(struct dotd_log *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}
