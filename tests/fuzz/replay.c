/*
 * replay.c - run a fuzz target over every file of its corpus, without
 * libFuzzer, so the corpora run as ordinary tests under gcc and the
 * sanitizer builds. Prints one TAP line per corpus file.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	dir = opendir(argv[1]);
	if (dir == NULL) {
		perror(argv[1]);
		return 1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				return 1;
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		FILE *f;
		uint8_t *buf;
		long len;

		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		f = fopen(path, "rb");
		if (f == NULL || fseek(f, 0, SEEK_END) != 0 ||
		    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
			printf("not ok %zu - %s (unreadable)\n", i + 1, names[i]);
			continue;
		}
		buf = malloc((size_t)len + 1);
		if (buf == NULL ||
		    fread(buf, 1, (size_t)len, f) != (size_t)len) {
			printf("not ok %zu - %s (short read)\n", i + 1, names[i]);
			fclose(f);
			free(buf);
			continue;
		}
		fclose(f);
		/* A crash or sanitizer report ends the program: the test fails. */
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		printf("ok %zu - %s\n", i + 1, names[i]);
		free(buf);
		free(names[i]);
	}
	free(names);
	return 0;
}
