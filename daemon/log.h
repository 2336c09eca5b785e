/*
 * log.h - the node's append-only entry log (docs/log-format.md).
 *
 * Every ledger entry is written here and made durable (fdatasync) before it
 * is applied and before any client hears of it; the state database can
 * always be rebuilt from the log. Records are chained by hash, so a changed
 * byte anywhere is found when the log is opened.
 */
#ifndef DOTD_LOG_H
#define DOTD_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/err.h"

#define DOTD_LOG_MAX_ENTRY (256u << 20)

struct dotd_log {
	int fd;
	uint64_t last_index; /* 0 when empty */
	uint64_t last_time;
	uint8_t last_hash[DOT_HASH_LEN];
	uint64_t size;       /* bytes of valid records, with the header */
	uint64_t alloc;      /* the file's size: size, then zeros ahead */
	uint64_t truncated;  /* bytes of a torn tail removed at open */
};

/* Called for each record while opening (for replay); non-OK stops. */
typedef int (*dotd_log_fn)(void *ctx, uint64_t index, uint64_t time,
			   const uint8_t *entry, size_t n);

/*
 * Open (creating) the log at path, check every record, and call fn for
 * each. A torn last record (a crash during an append that was never
 * acknowledged) is cut off; a bad record followed by more data is damage
 * or tampering: DOT_ESTATE_STORAGE with the offset, and nothing is cut.
 */
int dotd_log_open(struct dotd_log *log, const char *path, dotd_log_fn fn,
		  void *ctx, struct dot_err *e);
/*
 * Check a log without changing it (for verification): as dotd_log_open,
 * but a torn tail is only reported in log->truncated (its size), never cut.
 */
int dotd_log_scan(struct dotd_log *log, const char *path, dotd_log_fn fn,
		  void *ctx, struct dot_err *e);
/* Append entry `index` (last_index + 1) and make it durable. */
int dotd_log_append(struct dotd_log *log, uint64_t index, uint64_t time,
		    const uint8_t *entry, size_t n, struct dot_err *e);
void dotd_log_close(struct dotd_log *log);

#endif
