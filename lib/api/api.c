/*
 * api.c - frames and messages of the node API (docs/api-protocol.md).
 */
#include <inttypes.h>
#include <string.h>

#include "doteros/api.h"
#include "doteros/codec.h"

static const struct dot_codec_limits api_limits = {
	.max_depth = DOT_CODEC_MAX_DEPTH,
	.max_str = DOT_API_MAX_FRAME,
	.max_items = 1u << 16,
};

int
dot_api_frame(const uint8_t *buf, size_t n, const uint8_t **body,
	      size_t *body_len, size_t *used, struct dot_err *e)
{
	uint32_t len;

	*used = 0;
	*body = NULL;
	*body_len = 0;
	if (n < 4)
		return DOT_OK;
	len = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	      (uint32_t)buf[2] << 8 | buf[3];
	if (len == 0 || len > DOT_API_MAX_FRAME)
		return dot_err_set(e, DOT_EAPI_FRAME,
				   "frame length %" PRIu32
				   " (1 to %u allowed)",
				   len, DOT_API_MAX_FRAME);
	if (n - 4 < len)
		return DOT_OK;
	*body = buf + 4;
	*body_len = len;
	*used = 4 + (size_t)len;
	return DOT_OK;
}

int
dot_api_frame_put(struct dot_buf *out, const uint8_t *body, size_t n)
{
	uint8_t h[4];

	if (n == 0 || n > DOT_API_MAX_FRAME)
		return DOT_EAPI_FRAME;
	h[0] = (uint8_t)(n >> 24);
	h[1] = (uint8_t)(n >> 16);
	h[2] = (uint8_t)(n >> 8);
	h[3] = (uint8_t)n;
	dot_buf_put(out, h, 4);
	dot_buf_put(out, body, n);
	return out->err;
}

static int
framed(struct dot_buf *out, const struct dot_buf *msg)
{
	int rv = msg->err;

	if (rv == DOT_OK)
		rv = dot_api_frame_put(out, msg->data, msg->len);
	return rv;
}

int
dot_api_request(struct dot_buf *out, uint64_t id, const char *method,
		const uint8_t *params, size_t params_len)
{
	struct dot_buf m = {0};
	size_t ml = strlen(method);
	int rv;

	if (ml == 0 || ml > DOT_API_MAX_METHOD ||
	    dot_codec_check(params, params_len, &api_limits, NULL) != DOT_OK)
		return DOT_EINVAL;
	dot_enc_map(&m, 3);
	dot_enc_uint(&m, 1);
	dot_enc_uint(&m, id);
	dot_enc_uint(&m, 2);
	dot_enc_tstr(&m, method, ml);
	dot_enc_uint(&m, 3);
	dot_enc_raw(&m, params, params_len);
	rv = framed(out, &m);
	dot_buf_free(&m);
	return rv;
}

int
dot_api_response(struct dot_buf *out, uint64_t id, int status,
		 const uint8_t *result, size_t result_len, const char *message)
{
	struct dot_buf m = {0};
	int rv;

	if (status == DOT_OK &&
	    dot_codec_check(result, result_len, &api_limits, NULL) != DOT_OK)
		return DOT_EINVAL;
	dot_enc_map(&m, 3);
	dot_enc_uint(&m, 1);
	dot_enc_uint(&m, id);
	dot_enc_uint(&m, 2);
	dot_enc_uint(&m, (uint64_t)status);
	dot_enc_uint(&m, 3);
	if (status == DOT_OK) {
		dot_enc_raw(&m, result, result_len);
	} else {
		const char *msg = message ? message : dot_strerror(status);
		size_t n = strnlen(msg, 1024);
		/* Cut on a character boundary (messages are ours: UTF-8). */
		while (n > 0 && n < strlen(msg) &&
		       ((unsigned char)msg[n] & 0xc0) == 0x80)
			n--;
		dot_enc_tstr(&m, msg, n);
	}
	rv = framed(out, &m);
	dot_buf_free(&m);
	return rv;
}

static int
parse(const uint8_t *body, size_t n, struct dot_api_msg *m, int response,
      struct dot_err *e)
{
	struct dot_dec d;
	uint64_t count, key;
	int rv;

	memset(m, 0, sizeof(*m));
	rv = dot_dec_init(&d, body, n, &api_limits, e);
	if (rv != DOT_OK)
		return dot_err_set(e, DOT_EAPI_FORMAT, "message: %s",
				   e ? e->msg : dot_strerror(rv));
	if (dot_dec_map(&d, &count) != DOT_OK || count != 3 ||
	    dot_dec_uint(&d, &key) != DOT_OK || key != 1 ||
	    dot_dec_uint(&d, &m->id) != DOT_OK ||
	    dot_dec_uint(&d, &key) != DOT_OK || key != 2)
		return dot_err_set(e, DOT_EAPI_FORMAT,
				   "a message is {1: id, 2: %s, 3: %s}",
				   response ? "status" : "method",
				   response ? "result" : "params");
	if (response) {
		if (dot_dec_uint(&d, &m->status) != DOT_OK ||
		    m->status >= DOT_ERRCOUNT)
			return dot_err_set(e, DOT_EAPI_FORMAT,
					   "response status is not a code");
	} else if (dot_dec_tstr(&d, &m->method, &m->method_len) != DOT_OK ||
		   m->method_len == 0 || m->method_len > DOT_API_MAX_METHOD) {
		return dot_err_set(e, DOT_EAPI_FORMAT,
				   "request method must be 1-%d characters",
				   DOT_API_MAX_METHOD);
	}
	if (dot_dec_uint(&d, &key) != DOT_OK || key != 3)
		return dot_err_set(e, DOT_EAPI_FORMAT, "field 3 is missing");
	if (response && m->status != DOT_OK) {
		if (dot_dec_tstr(&d, &m->message, &m->message_len) != DOT_OK)
			return dot_err_set(e, DOT_EAPI_FORMAT,
					   "an error response carries a text "
					   "message");
	} else if (dot_dec_item(&d, &m->item, &m->item_len) != DOT_OK) {
		return dot_err_set(e, DOT_EAPI_FORMAT, "field 3 is missing");
	}
	return DOT_OK;
}

int
dot_api_request_parse(const uint8_t *body, size_t n, struct dot_api_msg *m,
		      struct dot_err *e)
{
	return parse(body, n, m, 0, e);
}

int
dot_api_response_parse(const uint8_t *body, size_t n, struct dot_api_msg *m,
		       struct dot_err *e)
{
	return parse(body, n, m, 1, e);
}
