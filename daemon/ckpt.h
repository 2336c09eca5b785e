/*
 * ckpt.h - WAL checkpoints of the state database off the event loop
 * (docs/decisions/0012).
 */
#ifndef DOTD_CKPT_H
#define DOTD_CKPT_H

#include <stdint.h>

#include <sqlite3.h>

#include "doteros/err.h"

struct dotd_ckpt;

struct dotd_ckpt_stats {
	uint64_t bulk;       /* background passes */
	uint64_t tail;       /* short passes on the writer */
	uint64_t waits;      /* times the writer waited for a pass */
	uint64_t wal_frames; /* frames in the WAL now */
	uint64_t tail_us_max; /* the longest tail pass, microseconds */
};

/*
 * Take over checkpointing of `writer` (a WAL database at db_path, used by
 * the calling thread only): its automatic checkpoints stop; a thread with
 * its own connection copies the WAL into the database in the background
 * whenever `start` frames are not yet copied; once the WAL holds `reset`
 * frames the writer copies the few left itself, so the next write starts
 * the WAL again. At `limit` frames the writer waits for the pass under way
 * and resets the WAL whatever is left: the WAL's bound. Returns DOT_ESTATE_STORAGE when the thread or its
 * connection cannot start (the writer is then left as it was).
 */
int dotd_ckpt_start(struct dotd_ckpt **out, sqlite3 *writer,
		    const char *db_path, unsigned start, unsigned reset,
		    unsigned limit, struct dot_err *e);

/* Call on the writer's thread after each commit. */
void dotd_ckpt_after_commit(struct dotd_ckpt *c);

void dotd_ckpt_stats(const struct dotd_ckpt *c, struct dotd_ckpt_stats *s);

/* Stop the thread and close its connection; the writer gets automatic
 * checkpoints back. NULL is ignored. */
void dotd_ckpt_stop(struct dotd_ckpt *c);

#endif
