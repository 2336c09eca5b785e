/*
 * ckpt.c - WAL checkpoints of the state database off the event loop.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses the
 * threshold: it copies the WAL into the database and syncs both files
 * while every client waits. Here a thread with its own connection does
 * that work (a PASSIVE checkpoint, which never blocks the writer); the
 * writer keeps committing. A passive checkpoint copies the frames that
 * existed when it began, so under a steady load it never ends with the
 * WAL wholly copied, and SQLite resets the WAL only then. So when a pass
 * is over, the writer copies the few frames committed meanwhile itself (a
 * short pass, no other writer can intervene) or, if they are many, asks
 * for another background pass first. The WAL is then wholly copied and the
 * next write starts it again from the beginning.
 *
 * Thresholds, in WAL frames (pages): a background pass whenever `start`
 * frames are not yet copied; the tail on the writer once the WAL holds
 * `reset` frames and at most `start` are left to copy; at `limit` the
 * writer waits for the pass under way and resets the WAL whatever is left,
 * so the WAL never holds more than `limit` frames plus one entry's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckpt.h"

enum { IDLE, BULK, DONE, QUIT };

struct dotd_ckpt {
	sqlite3 *writer;
	sqlite3 *db; /* the thread's connection */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state;       /* under mu */
	int pass_rc;     /* the last pass's SQLite result, under mu */
	int backfilled;  /* frames of the WAL copied so far, under mu */
	int frames;      /* frames in the WAL after the last commit (writer) */
	int last_frames; /* the same, one commit before */
	unsigned start, reset, limit;
	struct dotd_ckpt_stats stats;
};

static int
on_wal(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct dotd_ckpt *c = ctx;

	(void)db;
	(void)name;
	c->frames = frames;
	return SQLITE_OK;
}

static void *
run(void *arg)
{
	struct dotd_ckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		int nlog = 0, nckpt = 0, rc;

		while (c->state != BULK && c->state != QUIT)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->state == QUIT)
			break;
		pthread_mutex_unlock(&c->mu);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
					       SQLITE_CHECKPOINT_PASSIVE,
					       &nlog, &nckpt);
		pthread_mutex_lock(&c->mu);
		c->pass_rc = rc;
		if (rc == SQLITE_OK)
			c->backfilled = nckpt;
		c->stats.bulk++;
		if (c->state == BULK)
			c->state = DONE;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
dotd_ckpt_start(struct dotd_ckpt **out, sqlite3 *writer,
		const char *db_path, unsigned start, unsigned reset,
		unsigned limit, struct dot_err *e)
{
	struct dotd_ckpt *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return DOT_ENOMEM;
	c->writer = writer;
	c->start = start;
	c->reset = reset > start ? reset : start;
	c->limit = limit > c->reset ? limit : c->reset * 2;
	if (sqlite3_open_v2(db_path, &c->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db,
			 "PRAGMA synchronous = NORMAL;"
			 " PRAGMA wal_autocheckpoint = 0;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		int rv = dot_err_set(e, DOT_ESTATE_STORAGE,
				     "checkpoint connection to %s: %s", db_path,
				     sqlite3_errmsg(c->db));
		sqlite3_close(c->db);
		free(c);
		return rv;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		int rv = dot_err_set(e, DOT_ESTATE_STORAGE,
				     "checkpoint thread: %s", strerror(errno));
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		sqlite3_close(c->db);
		free(c);
		return rv;
	}
	/* Replaces the automatic checkpoint (itself a WAL hook). */
	sqlite3_wal_hook(writer, on_wal, c);
	*out = c;
	return DOT_OK;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
dotd_ckpt_after_commit(struct dotd_ckpt *c)
{
	int frames = c->frames, rc, force = 0;

	pthread_mutex_lock(&c->mu);
	c->stats.wal_frames = (uint64_t)frames;
	if (frames < c->last_frames)
		c->backfilled = 0; /* the WAL started again */
	c->last_frames = frames;
	if (frames >= (int)c->limit) {
		/* The background passes fall behind: hold the writer until
		 * the pass under way ends, then reset the WAL whatever is
		 * left. This is the WAL's bound. */
		force = 1;
		if (c->state == BULK)
			c->stats.waits++;
		while (c->state == BULK)
			pthread_cond_wait(&c->cv, &c->mu);
	}
	if (c->state == DONE)
		c->state = IDLE;
	if (c->state != IDLE) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	if (force || (frames >= (int)c->reset &&
		      frames - c->backfilled <= (int)c->start)) {
		/* The tail, on the writer: nobody commits meanwhile, so this
		 * pass copies the WAL whole and the next write resets it. */
		uint64_t t0, dt;
		int nlog = 0, nckpt = 0;

		pthread_mutex_unlock(&c->mu);
		t0 = now_us();
		rc = sqlite3_wal_checkpoint_v2(c->writer, NULL,
					       SQLITE_CHECKPOINT_PASSIVE, &nlog,
					       &nckpt);
		dt = now_us() - t0;
		pthread_mutex_lock(&c->mu);
		if (rc == SQLITE_OK)
			c->backfilled = nckpt;
		/* a busy or failed pass is tried again later */
		c->stats.tail++;
		if (dt > c->stats.tail_us_max)
			c->stats.tail_us_max = dt;
	} else if (frames - c->backfilled >= (int)c->start) {
		c->state = BULK;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

void
dotd_ckpt_stats(const struct dotd_ckpt *c, struct dotd_ckpt_stats *s)
{
	pthread_mutex_lock((pthread_mutex_t *)&c->mu);
	*s = c->stats;
	pthread_mutex_unlock((pthread_mutex_t *)&c->mu);
}

void
dotd_ckpt_stop(struct dotd_ckpt *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->state = QUIT;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	sqlite3_close(c->db);
	sqlite3_wal_autocheckpoint(c->writer, 1000);
	free(c);
}
