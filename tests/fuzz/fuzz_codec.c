/*
 * fuzz_codec.c - the canonical binary encoding (docs/codec.md).
 *
 * Any input: dot_codec_check must return without crashing. An accepted input
 * is walked with the cursor API and encoded again; the encoding is canonical,
 * so the result must be byte-identical (one value, one encoding), and
 * dot_codec_diag must render it. A mismatch aborts, which libFuzzer and the
 * corpus replay both report as a failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/buf.h"
#include "doteros/codec.h"
#include "../unit/reencode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int rv)
{
	fprintf(stderr, "fuzz_codec: %s (%s)\n", what, dot_errname(rv));
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dot_err e = {0};
	struct dot_dec d;
	struct dot_buf out = {0}, diag = {0};
	const uint8_t *p;
	size_t n;
	int rv;

	rv = dot_codec_check(data, size, NULL, &e);
	if (rv != DOT_OK) {
		if (rv != e.code || e.msg[0] == '\0')
			fail("refusal without its context", rv);
		/* The cursor agrees and then reads nothing. */
		if (dot_dec_init(&d, data, size, NULL, NULL) != rv ||
		    dot_dec_peek(&d) != -1)
			fail("dot_dec_init disagrees with dot_codec_check", rv);
		return 0;
	}

	if (dot_dec_init(&d, data, size, NULL, &e) != DOT_OK)
		fail("dot_dec_init refuses what dot_codec_check accepts", rv);
	rv = reencode(&d, &out);
	if (rv == DOT_EINVAL)
		fail("out-of-range negative integer has a wrong shape", rv);
	if (rv != DOT_OK)
		fail("cursor walk of an accepted item failed", rv);
	if (!dot_dec_done(&d))
		fail("cursor walk stopped before the end", rv);
	if (out.err != DOT_OK)
		fail("re-encoding ran out of memory", out.err);
	if (out.len != size || memcmp(out.data, data, size) != 0)
		fail("re-encoding differs: the encoding is not unique", rv);

	/* The whole item as one slice. */
	if (dot_dec_init(&d, data, size, NULL, &e) != DOT_OK ||
	    dot_dec_item(&d, &p, &n) != DOT_OK || p != data || n != size ||
	    !dot_dec_done(&d))
		fail("dot_dec_item does not span the item", rv);

	rv = dot_codec_diag(data, size, &diag);
	if (rv != DOT_OK)
		fail("dot_codec_diag refuses an accepted item", rv);
	if (diag.len == 0 || diag.data[diag.len] != '\0' ||
	    memchr(diag.data, '\0', diag.len) != NULL)
		fail("dot_codec_diag output is not one NUL-terminated string",
		     rv);

	dot_buf_free(&diag);
	dot_buf_free(&out);
	return 0;
}
