/*
 * heap.h - the one place Doteros allocates.
 *
 * Every allocation in libdoteros goes through dot_malloc/dot_calloc/
 * dot_realloc/dot_free so a test can install a heap that fails the Nth
 * allocation. The hook is process-wide (docs/decisions/0002-heap-hook.md).
 */
#ifndef DOTEROS_HEAP_H
#define DOTEROS_HEAP_H

#include <stddef.h>

#include "err.h"

struct dot_heap {
	void *data;
	void *(*malloc)(void *data, size_t n);
	void *(*realloc)(void *data, void *p, size_t n);
	void (*free)(void *data, void *p);
};

DOT_API void *dot_malloc(size_t n);
DOT_API void *dot_calloc(size_t count, size_t size);
DOT_API void *dot_realloc(void *p, size_t n);
DOT_API void dot_free(void *p);

/* Install a heap (NULL restores the C library's). Not thread-safe: set it
 * before any other call. */
DOT_API void dot_heap_set(const struct dot_heap *heap);

#endif
