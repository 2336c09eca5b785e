/*
 * textform.c - the text forms with a prefix and a checksum that dot prints
 * and reads (invitations, dotinv1; cli/dot.h): prefix + base64url(bytes ||
 * the first 4 bytes of BLAKE2b-256(prefix || bytes)). Apart from util.c so
 * that a fuzz target links it alone (tests/fuzz/fuzz_invite.c).
 */
#include <string.h>

#include <sodium.h>

#include "dot.h"

/* ---- text forms with a checksum ---- */

#define TEXT_CHECK_LEN 4

static void
text_checksum(const char *prefix, const uint8_t *p, size_t n,
	      uint8_t sum[TEXT_CHECK_LEN])
{
	struct dot_hash_ctx h;
	uint8_t full[DOT_HASH_LEN];

	dot_hash_init(&h);
	dot_hash_update(&h, prefix, strlen(prefix));
	dot_hash_update(&h, p, n);
	dot_hash_final(&h, full);
	memcpy(sum, full, TEXT_CHECK_LEN);
}

int
cli_text_encode(const char *prefix, const uint8_t *p, size_t n,
		struct dot_buf *out)
{
	size_t plen = strlen(prefix), tlen = dot_b64url_len(n + TEXT_CHECK_LEN);
	uint8_t *tmp;
	int rv;

	if ((rv = dot_buf_reserve(out, plen + tlen + 1)) != DOT_OK)
		return rv;
	if ((tmp = sodium_malloc(n + TEXT_CHECK_LEN)) == NULL)
		return DOT_ENOMEM;
	memcpy(tmp, p, n);
	text_checksum(prefix, p, n, tmp + n);
	memcpy(out->data + out->len, prefix, plen);
	dot_b64url_encode((char *)out->data + out->len + plen, tmp,
			  n + TEXT_CHECK_LEN);
	out->len += plen + tlen;
	sodium_free(tmp); /* zeroes it */
	return DOT_OK;
}

int
cli_text_decode(const char *prefix, const char *text, size_t max,
		struct dot_buf *out, struct dot_err *e)
{
	size_t plen = strlen(prefix), n = strlen(text), got;
	uint8_t sum[TEXT_CHECK_LEN], *tmp;
	int rv;

	while (n > 0 && strchr(" \t\r\n", *text) != NULL)
		text++, n--;
	while (n > 0 && strchr(" \t\r\n", text[n - 1]) != NULL)
		n--;
	if (n < plen || memcmp(text, prefix, plen) != 0)
		return dot_err_set(e, DOT_ETEXT_PREFIX,
				   "the text does not start with \"%s\"",
				   prefix);
	if (n - plen > dot_b64url_len(max + TEXT_CHECK_LEN))
		return dot_err_set(e, DOT_ETOOBIG,
				   "the %s text is longer than any can be",
				   prefix);
	if ((tmp = sodium_malloc(max + TEXT_CHECK_LEN)) == NULL)
		return dot_err_set(e, DOT_ENOMEM, "out of memory");
	rv = dot_b64url_decode(tmp, max + TEXT_CHECK_LEN, &got, text + plen,
			       n - plen);
	if (rv != DOT_OK) {
		rv = dot_err_set(e, rv == DOT_ETOOBIG ? rv : DOT_ETEXT_BASE64,
				 "the %s text is not valid base64url (was it "
				 "cut or wrapped?)",
				 prefix);
		goto out;
	}
	if (got <= TEXT_CHECK_LEN) {
		rv = dot_err_set(e, DOT_ETEXT_CHECKSUM,
				 "the %s text is too short", prefix);
		goto out;
	}
	got -= TEXT_CHECK_LEN;
	text_checksum(prefix, tmp, got, sum);
	if (sodium_memcmp(sum, tmp + got, TEXT_CHECK_LEN) != 0) {
		rv = dot_err_set(e, DOT_ETEXT_CHECKSUM,
				 "the %s text's checksum does not match: it "
				 "was mistyped or changed; copy it whole",
				 prefix);
		goto out;
	}
	dot_buf_put(out, tmp, got);
	if (out->err)
		rv = dot_err_set(e, DOT_ENOMEM, "out of memory");
out:
	sodium_free(tmp);
	return rv;
}
