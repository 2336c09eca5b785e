/*
 * corpus.h - what the seed-corpus generators of the post-quantum fuzz
 * targets share (gen_mlkem_corpus.c, gen_mldsa_corpus.c,
 * gen_composite_corpus.c, gen_xwing_corpus.c, gen_seal_corpus.c): the
 * command line, "PROGRAM DIR", and the writing of one seed in DIR, the
 * target's selector byte and then the parts given, in order:
 *
 *   corpus_put("dk-valid", 1, {dk, DK}, {ct, CT});
 *
 * A file that cannot be written ends the program (exit 1).
 */
#ifndef DOT_FUZZ_CORPUS_H
#define DOT_FUZZ_CORPUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct corpus_part {
	const void *p;
	size_t n;
};

static const char *corpus_dir;

/* 1 with corpus_dir set from "PROGRAM DIR"; 0 after a usage line. */
static inline int
corpus_args(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 0;
	}
	corpus_dir = argv[1];
	return 1;
}

static inline void
corpus_write(const char *name, uint8_t sel, const struct corpus_part *part,
	     size_t nparts)
{
	char path[1024];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir, name);
	ok = (f = fopen(path, "wb")) != NULL && fputc(sel, f) != EOF;
	for (size_t i = 0; ok && i < nparts; i++)
		ok = part[i].n == 0 ||
		     fwrite(part[i].p, 1, part[i].n, f) == part[i].n;
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (!ok) {
		perror(path);
		exit(1);
	}
}

#define corpus_put(name, sel, ...)                                             \
	corpus_write((name), (sel), (const struct corpus_part[]){__VA_ARGS__}, \
		     sizeof((const struct corpus_part[]){__VA_ARGS__}) /       \
			 sizeof(struct corpus_part))

#endif
