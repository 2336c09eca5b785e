/*
 * verify.h - check a node's data directory offline: the log's hash chain,
 * and the state database against a fresh replay of the log.
 */
#ifndef DOTD_VERIFY_H
#define DOTD_VERIFY_H

#include <stdio.h>

/*
 * Verify DIR without changing it. Writes a report to `out`, one finding a
 * line, naming what no longer matches (the log record at a byte offset, the
 * state tables and the objects or ledger records that differ from a replay).
 * Returns 0 when everything matches, 1 when something does not, 2 when the
 * directory cannot be read.
 */
int dotd_verify(const char *dir, FILE *out);

#endif
