/*
 * ct.h - the harness of the constant-time programs (ct_mlkem.c,
 * ct_mldsa.c, ct_xwing.c; suite "ct" in tests/meson.build).
 *
 * The method of ctgrind (A. Langley): valgrind's memcheck reports every
 * conditional jump, and every load or store whose address, depends on
 * undefined memory. SECRET marks bytes undefined before a secret input
 * goes into the code under test; PUBLIC marks an output (or the input
 * again) defined before it is compared. Each case starts with
 * NEED_VALGRIND, which skips it, saying why, outside valgrind.
 *
 * CT_MAIN's main() runs the cases, or with a canary's flag (--canary,
 * ...) that canary alone: a run that must make memcheck report a real
 * branch on a value marked secret, so that valgrind's --error-exitcode
 * fails it and the meson test that expects the report passes.
 * ct_canary_done prints a canary's last line.
 */
#ifndef DOT_TEST_CT_H
#define DOT_TEST_CT_H

#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <valgrind/memcheck.h>

#include "harness.h"
#include "pq.h"

#define SECRET(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define PUBLIC(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))

#define NEED_VALGRIND()                                                        \
	do {                                                                   \
		if (!RUNNING_ON_VALGRIND)                                      \
			SKIP("not under valgrind (meson test --suite ct "      \
			     "runs it there)");                                \
	} while (0)

struct ct_canary {
	const char *flag; /* "--canary" */
	int (*run)(void);
};

/* "NAME: CODE; valgrind errors so far: N"; 0, the exit code a canary
 * returns (valgrind's --error-exitcode makes the run fail). */
static inline int
ct_canary_done(const char *name, int rc)
{
	printf("%s: %s; valgrind errors so far: %u\n", name, dot_errname(rc),
	       (unsigned)VALGRIND_COUNT_ERRORS);
	return 0;
}

static inline int
ct_main(int argc, char **argv, const struct t_case *cases, size_t ncases,
	const struct ct_canary *canaries, size_t ncanaries)
{
	if (sodium_init() < 0)
		return 1;
	for (size_t i = 0; i < ncanaries; i++)
		if (argc > 1 && strcmp(argv[1], canaries[i].flag) == 0)
			return canaries[i].run();
	return t_main(cases, ncases);
}

/* main() of a ct program: its canaries (an array), then its cases. */
#define CT_MAIN(canaries, ...)                                                 \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		static const struct t_case cases_[] = {__VA_ARGS__};           \
		return ct_main(argc, argv, cases_,                             \
			       sizeof(cases_) / sizeof(cases_[0]), (canaries), \
			       sizeof(canaries) / sizeof((canaries)[0]));      \
	}

#endif
