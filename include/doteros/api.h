/*
 * api.h - the node's local API: frames and messages (docs/api-protocol.md).
 *
 * A connection carries frames: a 4-byte big-endian length L, then L bytes
 * of one canonical CBOR item (1 <= L <= DOT_API_MAX_FRAME). A client sends
 * requests and the node answers each with a response carrying the same id;
 * responses come in request order.
 *
 *   request   {1: id (uint), 2: method (text), 3: params (any item)}
 *   response  {1: id (uint), 2: status (uint: 0 or a dot error code),
 *              3: result (any item) when status is 0, else a message (text)}
 *
 * Methods: "status", "submit" (a signed tx: answered with its receipt once
 * durable and applied), "query" (a signed read: answered with the answer).
 */
#ifndef DOTEROS_API_H
#define DOTEROS_API_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define DOT_API_MAX_FRAME ((4u << 20) + (64u << 10))
#define DOT_API_MAX_METHOD 32

/*
 * Find one frame at the start of buf[0..n). DOT_OK with the body set,
 * and *used the bytes it took; DOT_OK with *used 0 when more bytes are
 * needed; DOT_EAPI_FRAME for a length of 0 or over the maximum (the
 * connection must be closed: its framing is lost).
 */
DOT_API DOT_MUST int dot_api_frame(const uint8_t *buf, size_t n,
				   const uint8_t **body, size_t *body_len,
				   size_t *used, struct dot_err *e);
/* Append a frame around an encoded item. */
DOT_API DOT_MUST int dot_api_frame_put(struct dot_buf *out,
				       const uint8_t *body, size_t n);

struct dot_api_msg {
	uint64_t id;
	/* request */
	const char *method; /* not NUL-terminated */
	size_t method_len;
	/* response */
	uint64_t status;
	const char *message; /* status != 0 */
	size_t message_len;
	/* request params, or response result */
	const uint8_t *item;
	size_t item_len;
};

/* Encode a request / response (framed) onto out. */
DOT_API DOT_MUST int dot_api_request(struct dot_buf *out, uint64_t id,
				     const char *method, const uint8_t *params,
				     size_t params_len);
DOT_API DOT_MUST int dot_api_response(struct dot_buf *out, uint64_t id,
				      int status, const uint8_t *result,
				      size_t result_len, const char *message);

/* Strictly parse a frame body. DOT_EAPI_FORMAT names what is wrong. */
DOT_API DOT_MUST int dot_api_request_parse(const uint8_t *body, size_t n,
					   struct dot_api_msg *m,
					   struct dot_err *e);
DOT_API DOT_MUST int dot_api_response_parse(const uint8_t *body, size_t n,
					    struct dot_api_msg *m,
					    struct dot_err *e);

#endif
