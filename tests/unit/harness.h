/*
 * harness.h - a small TAP test harness for the unit suite.
 *
 * Each test program lists its cases and calls t_main(); each case prints one
 * TAP line ("ok 3 - name", "not ok 3 - name", "ok 3 - name # SKIP why").
 * CHECK records a failure with its place and goes on; REQUIRE ends the case.
 */
#ifndef DOT_TEST_HARNESS_H
#define DOT_TEST_HARNESS_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/err.h"

struct t_case {
	const char *name;
	void (*fn)(void);
};

static int t_failed_;
static const char *t_skip_ __attribute__((unused));
static int t_checks_ __attribute__((unused));

static void
t_fail_(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), unused));
static void
t_fail_(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "# FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	t_failed_ = 1;
}

#define CHECK(cond)                                                            \
	do {                                                                   \
		t_checks_++;                                                   \
		if (!(cond))                                                   \
			t_fail_(__FILE__, __LINE__, "%s", #cond);              \
	} while (0)

#define REQUIRE(cond)                                                          \
	do {                                                                   \
		t_checks_++;                                                   \
		if (!(cond)) {                                                 \
			t_fail_(__FILE__, __LINE__, "required: %s", #cond);    \
			return;                                                \
		}                                                              \
	} while (0)

/* Compare error codes and print both names when they differ. */
#define CHECK_RC(got, want)                                                    \
	do {                                                                   \
		int g_ = (got), w_ = (want);                                   \
		t_checks_++;                                                   \
		if (g_ != w_)                                                  \
			t_fail_(__FILE__, __LINE__, "%s = %s, want %s", #got,  \
				dot_errname(g_), dot_errname(w_));             \
	} while (0)

#define REQUIRE_RC(got, want)                                                  \
	do {                                                                   \
		int g_ = (got), w_ = (want);                                   \
		t_checks_++;                                                   \
		if (g_ != w_) {                                                \
			t_fail_(__FILE__, __LINE__, "%s = %s, want %s", #got,  \
				dot_errname(g_), dot_errname(w_));             \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

#define SKIP(why)                                                              \
	do {                                                                   \
		t_skip_ = (why);                                               \
		return;                                                        \
	} while (0)

static inline size_t
t_unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;

	if (n > cap) {
		fprintf(stderr, "t_unhex: %zu bytes do not fit in %zu\n", n, cap);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "t_unhex: bad hex\n");
			abort();
		}
		out[i] = (uint8_t)v;
	}
	return n;
}

/* A deterministic generator for property tests (splitmix64). */
static inline uint64_t
t_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline int
t_main(const struct t_case *cases, size_t n)
{
	int bad = 0;
	const char *only = getenv("T_ONLY");

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, cases[i].name) != 0) {
			printf("ok %zu - %s # SKIP not selected\n", i + 1,
			       cases[i].name);
			continue;
		}
		t_failed_ = 0;
		t_skip_ = NULL;
		cases[i].fn();
		if (t_failed_) {
			printf("not ok %zu - %s\n", i + 1, cases[i].name);
			bad = 1;
		} else if (t_skip_) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, cases[i].name,
			       t_skip_);
		} else {
			printf("ok %zu - %s\n", i + 1, cases[i].name);
		}
	}
	return bad;
}

#define T_CASE(f) {#f, f}
#define T_MAIN(...)                                                            \
	int main(void)                                                         \
	{                                                                      \
		static const struct t_case cases_[] = {__VA_ARGS__};           \
		return t_main(cases_, sizeof(cases_) / sizeof(cases_[0]));     \
	}

#endif
