/*
 * fuzz_api.c - the node API's frame and message parsers (lib/api), as the
 * daemon runs them on a connection's bytes: frames are cut from a stream,
 * each body is parsed as a request (and as a response, as the client does).
 * Accepted messages must re-encode to the same bytes; a frame error must
 * stop the stream, as the daemon closes the connection.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/api.h"
#include "doteros/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_api: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		const uint8_t *body;
		size_t blen, used;
		struct dot_api_msg m;
		struct dot_err e = {0};
		int rv = dot_api_frame(data + off, size - off, &body, &blen,
				       &used, &e);

		if (rv != DOT_OK) {
			if (rv != DOT_EAPI_FRAME || e.msg[0] == '\0')
				fail("frame refusal without its code");
			return 0; /* the connection would close */
		}
		if (used == 0)
			return 0; /* waits for more bytes */
		if (used != 4 + blen || body != data + off + 4)
			fail("frame bounds");
		off += used;
		if (dot_api_request_parse(body, blen, &m, &e) == DOT_OK) {
			struct dot_buf again = {0};
			char method[DOT_API_MAX_METHOD + 1];
			memcpy(method, m.method, m.method_len);
			method[m.method_len] = '\0';
			/* a method with a NUL inside cannot round-trip as a C
			 * string; everything else must */
			if (strlen(method) == m.method_len) {
				if (dot_api_request(&again, m.id, method, m.item,
						    m.item_len) != DOT_OK ||
				    again.len != 4 + blen ||
				    memcmp(again.data + 4, body, blen) != 0)
					fail("request does not re-encode");
			}
			dot_buf_free(&again);
		}
		if (dot_api_response_parse(body, blen, &m, &e) == DOT_OK &&
		    m.status == DOT_OK) {
			struct dot_buf again = {0};
			if (dot_api_response(&again, m.id, DOT_OK, m.item,
					     m.item_len, NULL) != DOT_OK ||
			    again.len != 4 + blen ||
			    memcmp(again.data + 4, body, blen) != 0)
				fail("response does not re-encode");
			dot_buf_free(&again);
		}
	}
	return 0;
}
