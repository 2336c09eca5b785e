/* heap.c - the one place libdoteros allocates (include/doteros/heap.h). */
#include <stdint.h>
#include <stdlib.h>

#include "doteros/heap.h"

static void *
std_malloc(void *data, size_t n)
{
	(void)data;
	return malloc(n);
}

static void *
std_realloc(void *data, void *p, size_t n)
{
	(void)data;
	return realloc(p, n);
}

static void
std_free(void *data, void *p)
{
	(void)data;
	free(p);
}

static const struct dot_heap std_heap = {NULL, std_malloc, std_realloc,
					 std_free};
static const struct dot_heap *heap = &std_heap;

void
dot_heap_set(const struct dot_heap *h)
{
	heap = h != NULL ? h : &std_heap;
}

void *
dot_malloc(size_t n)
{
	return heap->malloc(heap->data, n == 0 ? 1 : n);
}

void *
dot_calloc(size_t count, size_t size)
{
	void *p;

	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	p = dot_malloc(count * size);
	if (p != NULL) {
		unsigned char *c = p;
		for (size_t i = 0; i < count * size; i++)
			c[i] = 0;
	}
	return p;
}

void *
dot_realloc(void *p, size_t n)
{
	return heap->realloc(heap->data, p, n == 0 ? 1 : n);
}

void
dot_free(void *p)
{
	if (p != NULL)
		heap->free(heap->data, p);
}
