/*
 * vectors.h - the reader of the known-answer files of tests/vectors/ for
 * the unit suite (test_mlkem.c, test_mldsa.c, test_composite.c,
 * test_xwing.c).
 *
 * Each NAME.txt there is one or more upstream JSON files (or PEM, or
 * Markdown) put in lines by the filter.py beside it:
 *
 *   # FILE sha3-256 HEX   the SHA3-256 of FILE, beside the .txt
 *   # ...                 any other comment
 *   key = value           a field of the record: hex bytes, a string or a
 *                         number, as the test's table of keys says;
 *                         "key =" is an empty value
 *   (a blank line)        the end of a record
 *
 * vec_read checks every hash line against the file it names, so the
 * records run are those of the JSON copies, fills the caller's record and
 * calls the caller once per record. A bad line, an unknown key or a hash
 * that does not match fails the case (t_fail_) and stops the reading.
 * Header-only, like harness.h, so that its failures are the including
 * test's.
 */
#ifndef DOT_TEST_VECTORS_H
#define DOT_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "doteros/sha3.h"
#include "harness.h"

/* Room for the longest hex value of any vector file (an ML-DSA-65 sk is
 * 4032 bytes, the longest messages 8448). */
#define VEC_FIELD_MAX 8448

struct vec_field {
	uint8_t b[VEC_FIELD_MAX];
	size_t n;
	int present;
};

/* The field holds exactly these n bytes. */
static inline int
vec_eq(const struct vec_field *f, const uint8_t *p, size_t n)
{
	return f->n == n && memcmp(f->b, p, n) == 0;
}

/* A key of a record and the member of the caller's record it fills: a
 * struct vec_field, a char array or a long. */
enum vec_kind { VEC_HEX, VEC_STR, VEC_LONG };

struct vec_key {
	const char *name;
	enum vec_kind kind;
	size_t off, size;
};

#define VEC_KEY(kind, name, type, member)                                      \
	{(name), (kind), offsetof(type, member), sizeof(((type *)0)->member)}
#define VEC_HEX_KEY(type, member) VEC_KEY(VEC_HEX, #member, type, member)

/* How a test's files are read: where they are, the keys, its record. */
struct vec_format {
	const char *dir; /* "tests/vectors/ml-kem/" */
	const struct vec_key *keys;
	size_t nkeys;
	size_t recsize;
};

struct vec_count {
	int run, passed, hashes;
};

/* Runs one record; 0 if it passed. name is the file's, arg the caller's. */
typedef int (*vec_fn)(const char *name, void *rec, void *arg);

/*
 * A check on a record, counted like CHECK: a failure names the record
 * (fmt and its arguments, then text) and sets the caller's bad. Each test
 * wraps it as VCHECK(cond) with its record's place.
 */
#define VEC_CHECK(cond, text, fmt, ...)                                        \
	do {                                                                   \
		t_checks_++;                                                   \
		if (!(cond)) {                                                 \
			t_fail_(__FILE__, __LINE__, fmt ": %s", __VA_ARGS__,   \
				(text));                                       \
			bad = 1;                                               \
		}                                                              \
	} while (0)

/* "# FILE sha3-256 HEX": FILE beside txt (in dir) has that SHA3-256. */
static inline int
vec_check_hash(const char *dir, const char *txt, const char *line)
{
	static uint8_t buf[65536];
	char name[256], hex[65], path[512];
	uint8_t want[32], got[32];
	struct dot_sha3_ctx c;
	FILE *f;
	size_t n;

	if (sscanf(line, "# %255s sha3-256 %64s", name, hex) != 2 ||
	    strlen(hex) != 64) {
		t_fail_(__FILE__, __LINE__, "%s: bad hash line: %s", txt, line);
		return 0;
	}
	snprintf(path, sizeof(path), "%s%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		t_fail_(__FILE__, __LINE__, "%s: cannot open", path);
		return 0;
	}
	dot_sha3_256_init(&c);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		dot_sha3_update(&c, buf, n);
	fclose(f);
	dot_sha3_final(&c, got);
	t_unhex(want, sizeof(want), hex);
	if (memcmp(want, got, 32) != 0) {
		t_fail_(__FILE__, __LINE__,
			"%s does not match %s (run filter.py again)", txt,
			path);
		return 0;
	}
	return 1;
}

/* "key = value" or "key =" into rec; 0 for a bad line or an unknown key. */
static inline int
vec_set(const struct vec_format *fmt, void *rec, char *line, const char *txt,
	int lineno)
{
	char *val = strstr(line, " = ");
	size_t l = strlen(line);

	if (val != NULL) {
		*val = '\0';
		val += 3;
	} else if (l >= 2 && strcmp(line + l - 2, " =") == 0) {
		line[l - 2] = '\0';
		val = line + l; /* "" */
	} else {
		t_fail_(__FILE__, __LINE__, "%s:%d: bad line", txt, lineno);
		return 0;
	}
	for (size_t i = 0; i < fmt->nkeys; i++) {
		const struct vec_key *k = &fmt->keys[i];
		char *m = (char *)rec + k->off;

		if (strcmp(k->name, line) != 0)
			continue;
		if (k->kind == VEC_HEX) {
			struct vec_field *fl = (struct vec_field *)(void *)m;
			fl->n = t_unhex(fl->b, sizeof(fl->b), val);
			fl->present = 1;
		} else if (k->kind == VEC_STR) {
			snprintf(m, k->size, "%s", val);
		} else {
			*(long *)(void *)m = strtol(val, NULL, 10);
		}
		return 1;
	}
	t_fail_(__FILE__, __LINE__, "%s:%d: unknown key %s", txt, lineno, line);
	return 0;
}

/*
 * Read fmt->dir NAME.txt into rec (fmt->recsize bytes, zeroed before each
 * record) and call fn(name, rec, arg) for each record; c counts the
 * records run and passed and the hash lines checked. 1 when the whole
 * file was read, 0 when it stopped on a failure (already reported).
 */
static inline int
vec_read(const struct vec_format *fmt, const char *name, void *rec, vec_fn fn,
	 void *arg, struct vec_count *c)
{
	char txt[512], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int lineno = 0, in_rec = 0, ok = 1;

	memset(c, 0, sizeof(*c));
	memset(rec, 0, fmt->recsize);
	snprintf(txt, sizeof(txt), "%s%s.txt", fmt->dir, name);
	if ((f = fopen(txt, "r")) == NULL) {
		t_fail_(__FILE__, __LINE__, "cannot open %s", txt);
		return 0;
	}
	for (;;) {
		len = getline(&line, &cap, f);
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len <= 0) { /* blank line or end: run the record */
			if (in_rec) {
				c->run++;
				c->passed += fn(name, rec, arg) == 0;
				memset(rec, 0, fmt->recsize);
				in_rec = 0;
			}
			if (len < 0)
				break;
			continue;
		}
		if (line[0] == '#') {
			if (strstr(line, " sha3-256 ") == NULL)
				continue;
			if (!vec_check_hash(fmt->dir, txt, line)) {
				ok = 0;
				break;
			}
			c->hashes++;
			continue;
		}
		in_rec = 1;
		if (!vec_set(fmt, rec, line, txt, lineno)) {
			ok = 0;
			break;
		}
	}
	fclose(f);
	free(line);
	return ok;
}

#endif
