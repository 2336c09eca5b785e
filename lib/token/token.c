/*
 * token.c - capability tokens: parse, mint, attenuate, verify
 * (docs/token-format.md is the byte-level specification).
 *
 * Digests, all BLAKE2b-256, with domain strings that are prefix-free:
 *   block hash  h_i = H("dot-token-v1 block"   || prev_i || payload_i)
 *   signature   s_i = Sign(signer_i, h_i)
 *   rid         r_i = H("dot-token-v1 rid"     || h_i || s_i)
 *   request     p   = H("dot-token-v1 request" || r_last || msg)
 * where prev_0 is 32 zero bytes and prev_i = r_{i-1}; signer_0 is the issuer
 * and signer_i the holder named by block i-1.
 */
#include <inttypes.h>
#include <string.h>

#include "doteros/codec.h"
#include "doteros/heap.h"
#include "doteros/token.h"
#include "token_int.h"

static const char dom_block[] = "dot-token-v1 block";
static const char dom_rid[] = "dot-token-v1 rid";
static const char dom_request[] = "dot-token-v1 request";
static const char text_prefix[] = "dot1";

/* Payload map keys (docs/token-format.md §3). */
enum {
	K_ISSUER = 1,
	K_RESOURCE = 2,
	K_RIGHTS = 3,
	K_NOT_BEFORE = 4,
	K_EXPIRES = 5,
	K_PATH = 6,
	K_LABELS = 7,
	K_DEPTH = 8,
	K_HOLDER = 9,
};

/* ---- rights ---- */

static const char *const right_names[] = {
	"read",	   "list", "create", "write", "append", "delete",
	"send",	   "receive", "exec", "grant", "revoke", "admin",
};

const char *
dot_right_name(uint32_t bit)
{
	for (unsigned i = 0; i < 12; i++)
		if (bit == 1u << i)
			return right_names[i];
	return NULL;
}

int
dot_rights_parse(const char *text, uint32_t *rights, struct dot_err *e)
{
	uint32_t r = 0;
	const char *p = text;

	if (text == NULL || *text == '\0')
		return dot_err_set(e, DOT_EINVAL, "no rights given");
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		unsigned i;

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			r |= DOT_RIGHTS_ALL;
			goto next;
		}
		for (i = 0; i < 12; i++)
			if (strlen(right_names[i]) == n &&
			    strncmp(p, right_names[i], n) == 0)
				break;
		if (i == 12)
			return dot_err_set(e, DOT_EINVAL,
					   "unknown right \"%.*s\" (rights: "
					   "read list create write append "
					   "delete send receive exec grant "
					   "revoke admin, or all)",
					   (int)(n > 32 ? 32 : n), p);
		r |= 1u << i;
	next:
		p += n;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return dot_err_set(e, DOT_EINVAL,
						   "rights list ends with a "
						   "comma");
		}
	}
	*rights = r;
	return DOT_OK;
}

int
dot_rights_format(uint32_t rights, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return DOT_ETOOBIG;
	out[0] = '\0';
	if (rights == 0) {
		if (cap < 5)
			return DOT_ETOOBIG;
		memcpy(out, "none", 5);
		return DOT_OK;
	}
	for (unsigned i = 0; i < 12; i++) {
		size_t n;

		if (!(rights & (1u << i)))
			continue;
		n = strlen(right_names[i]);
		if (o + (o ? 1 : 0) + n + 1 > cap)
			return DOT_ETOOBIG;
		if (o)
			out[o++] = ',';
		memcpy(out + o, right_names[i], n);
		o += n;
		out[o] = '\0';
	}
	if (rights & ~DOT_RIGHTS_ALL)
		return DOT_ERANGE;
	return DOT_OK;
}

/* ---- paths and labels ---- */

int
dot_path_valid(const char *p, size_t n)
{
	size_t i, start;

	if (n == 0 || n > DOT_TOKEN_MAX_PATH || p[0] != '/')
		return 0;
	if (n == 1)
		return 1;
	if (p[n - 1] == '/')
		return 0;
	start = 1;
	for (i = 1; i <= n; i++) {
		if (i < n && p[i] == '\0')
			return 0;
		if (i == n || p[i] == '/') {
			size_t len = i - start;
			if (len == 0)
				return 0;
			if (len == 1 && p[start] == '.')
				return 0;
			if (len == 2 && p[start] == '.' && p[start + 1] == '.')
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

int
dot_path_within(const char *p, size_t n, const char *prefix, size_t plen)
{
	if (plen == 1 && prefix[0] == '/')
		return 1;
	if (n < plen || memcmp(p, prefix, plen) != 0)
		return 0;
	return n == plen || p[plen] == '/';
}

static int
label_valid(const char *s, size_t n)
{
	if (n == 0 || n > DOT_TOKEN_MAX_LABEL_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == ':' || c == '='))
			return 0;
	}
	return 1;
}

/* Bytewise order, a prefix first: the order labels are stored in. */
static int
label_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

/* 1 if the sorted set `sub` is contained in the sorted set `sup`. */
static int
labels_subset(const struct dot_token_caveats *sub,
	      const struct dot_token_caveats *sup)
{
	size_t j = 0;

	for (size_t i = 0; i < sub->nlabels; i++) {
		while (j < sup->nlabels &&
		       label_cmp(sup->labels[j], sup->label_len[j],
				 sub->labels[i], sub->label_len[i]) < 0)
			j++;
		if (j == sup->nlabels ||
		    label_cmp(sup->labels[j], sup->label_len[j], sub->labels[i],
			      sub->label_len[i]) != 0)
			return 0;
		j++;
	}
	return 1;
}

/* ---- digests ---- */

static void
block_hash(uint8_t out[DOT_HASH_LEN], const uint8_t prev[DOT_RID_LEN],
	   const uint8_t *payload, size_t n)
{
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom_block, sizeof(dom_block) - 1);
	dot_hash_update(&h, prev, DOT_RID_LEN);
	dot_hash_update(&h, payload, n);
	dot_hash_final(&h, out);
}

static void
block_rid(uint8_t out[DOT_RID_LEN], const uint8_t hash[DOT_HASH_LEN],
	  const uint8_t *sig, size_t siglen)
{
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom_rid, sizeof(dom_rid) - 1);
	dot_hash_update(&h, hash, DOT_HASH_LEN);
	dot_hash_update(&h, sig, siglen);
	dot_hash_final(&h, out);
}

static void
request_hash(uint8_t out[DOT_HASH_LEN], const uint8_t rid[DOT_RID_LEN],
	     const void *msg, size_t n)
{
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom_request, sizeof(dom_request) - 1);
	dot_hash_update(&h, rid, DOT_RID_LEN);
	dot_hash_update(&h, msg, n);
	dot_hash_final(&h, out);
}

/* ---- parsing ---- */

static const struct dot_codec_limits token_limits = {
	.max_depth = 3, /* token array > payload map > labels array */
	.max_str = DOT_TOKEN_MAX_LEN,
	.max_items = 1 + 2 * DOT_TOKEN_MAX_BLOCKS,
};

#define FMT(...) dot_err_set(e, DOT_ETOKEN_FORMAT, __VA_ARGS__)

static int
parse_labels(struct dot_dec *d, struct dot_token_caveats *c, size_t bi,
	     struct dot_err *e)
{
	uint64_t n;
	int rv = dot_dec_array(d, &n);

	if (rv != DOT_OK)
		return FMT("block %zu: labels must be an array", bi);
	if (n == 0 || n > DOT_TOKEN_MAX_LABELS)
		return FMT("block %zu: %" PRIu64 " labels (1 to %d allowed)",
			   bi, n, DOT_TOKEN_MAX_LABELS);
	for (size_t i = 0; i < n; i++) {
		rv = dot_dec_tstr(d, &c->labels[i], &c->label_len[i]);
		if (rv != DOT_OK)
			return FMT("block %zu: label %zu is not text", bi, i);
		if (!label_valid(c->labels[i], c->label_len[i]))
			return FMT("block %zu: label %zu is not 1-%d characters "
				   "of [A-Za-z0-9._:=-]",
				   bi, i, DOT_TOKEN_MAX_LABEL_LEN);
		if (i > 0 && label_cmp(c->labels[i - 1], c->label_len[i - 1],
				       c->labels[i], c->label_len[i]) >= 0)
			return FMT("block %zu: labels not sorted and unique",
				   bi);
	}
	c->nlabels = (size_t)n;
	return DOT_OK;
}

static int
parse_block(struct dot_dec *d, struct dot_token *tok, size_t bi,
	    struct dot_err *e)
{
	struct dot_token_block *b = &tok->blocks[bi];
	struct dot_token_caveats *c = &b->cav;
	size_t start = d->off;
	uint64_t n, key, v;
	int rv, have_issuer = 0, have_resource = 0;

	if (dot_dec_map(d, &n) != DOT_OK)
		return FMT("block %zu: payload is not a map", bi);
	for (uint64_t i = 0; i < n; i++) {
		const char *s;
		const uint8_t *p;
		size_t len;

		if (dot_dec_uint(d, &key) != DOT_OK)
			return FMT("block %zu: bad field key", bi);
		if (bi > 0 && (key == K_ISSUER || key == K_RESOURCE))
			return FMT("block %zu: field %" PRIu64
				   " is allowed only in block 0",
				   bi, key);
		switch (key) {
		case K_ISSUER:
			if (dot_dec_bstr_fixed(d, &p, DOT_KEY_ID_LEN) != DOT_OK)
				return FMT("block 0: issuer key id must be %d "
					   "bytes",
					   DOT_KEY_ID_LEN);
			memcpy(tok->issuer_id, p, DOT_KEY_ID_LEN);
			have_issuer = 1;
			break;
		case K_RESOURCE:
			if (dot_dec_peek(d) == DOT_CBOR_TSTR) {
				if (dot_dec_tstr(d, &s, &len) != DOT_OK)
					return FMT("block 0: bad resource");
				if (!dot_path_valid(s, len))
					return FMT("block 0: resource \"%.*s\" is "
						   "not a valid absolute path",
						   (int)(len > 64 ? 64 : len), s);
				tok->resource_kind = DOT_RESOURCE_PATH;
				tok->resource = (const uint8_t *)s;
			} else {
				if (dot_dec_bstr_fixed(d, &p,
						       DOT_OBJECT_ID_LEN) !=
				    DOT_OK)
					return FMT("block 0: resource must be a "
						   "path or a %d-byte object "
						   "id",
						   DOT_OBJECT_ID_LEN);
				tok->resource_kind = DOT_RESOURCE_OBJECT;
				tok->resource = p;
				len = DOT_OBJECT_ID_LEN;
			}
			tok->resource_len = len;
			have_resource = 1;
			break;
		case K_RIGHTS:
			if (dot_dec_uint(d, &v) != DOT_OK)
				return FMT("block %zu: rights must be an "
					   "unsigned integer",
					   bi);
			if (v & ~(uint64_t)DOT_RIGHTS_ALL)
				return FMT("block %zu: unknown right bits "
					   "0x%" PRIx64,
					   bi, v & ~(uint64_t)DOT_RIGHTS_ALL);
			c->rights = (uint32_t)v;
			c->present |= DOT_CAV_RIGHTS;
			break;
		case K_NOT_BEFORE:
		case K_EXPIRES:
			if (dot_dec_uint(d, &v) != DOT_OK)
				return FMT("block %zu: time must be an "
					   "unsigned integer",
					   bi);
			if (key == K_NOT_BEFORE) {
				c->not_before = v;
				c->present |= DOT_CAV_NOT_BEFORE;
			} else {
				c->expires = v;
				c->present |= DOT_CAV_EXPIRES;
			}
			break;
		case K_PATH:
			if (dot_dec_tstr(d, &c->path, &c->path_len) != DOT_OK ||
			    !dot_path_valid(c->path, c->path_len))
				return FMT("block %zu: path caveat is not a "
					   "valid absolute path",
					   bi);
			c->present |= DOT_CAV_PATH;
			break;
		case K_LABELS:
			rv = parse_labels(d, c, bi, e);
			if (rv != DOT_OK)
				return rv;
			c->present |= DOT_CAV_LABELS;
			break;
		case K_DEPTH:
			if (dot_dec_uint(d, &v) != DOT_OK ||
			    v >= DOT_TOKEN_MAX_BLOCKS)
				return FMT("block %zu: max depth must be 0 to "
					   "%d",
					   bi, DOT_TOKEN_MAX_BLOCKS - 1);
			c->max_depth = (uint32_t)v;
			c->present |= DOT_CAV_DEPTH;
			break;
		case K_HOLDER:
			if (dot_dec_bstr(d, &b->holder, &b->holder_len) !=
				    DOT_OK ||
			    b->holder_len < 1 ||
			    dot_sign_pk_len(b->holder[0]) != b->holder_len)
				return FMT("block %zu: holder is not a public "
					   "key of a known suite",
					   bi);
			break;
		default:
			return FMT("block %zu: unknown field %" PRIu64, bi,
				   key);
		}
	}
	if (b->holder == NULL)
		return FMT("block %zu: no holder key", bi);
	if (bi == 0) {
		if (!have_issuer || !have_resource)
			return FMT("block 0: issuer and resource are required");
		if (!(c->present & DOT_CAV_RIGHTS))
			return FMT("block 0: rights are required");
	}
	if ((c->present & DOT_CAV_PATH) &&
	    tok->resource_kind != DOT_RESOURCE_PATH)
		return FMT("block %zu: a path caveat needs a path resource", bi);
	b->payload = d->buf + start;
	b->payload_len = d->off - start;
	return DOT_OK;
}

int
dot_token_parse(const uint8_t *buf, size_t n, struct dot_token **out,
		struct dot_err *e)
{
	struct dot_token *tok = NULL;
	struct dot_dec d;
	uint64_t count, version;
	const uint8_t *prev;
	static const uint8_t zero[DOT_RID_LEN];
	int rv;

	*out = NULL;
	if (n > DOT_TOKEN_MAX_LEN)
		return FMT("token of %zu bytes exceeds the limit of %d", n,
			   DOT_TOKEN_MAX_LEN);
	tok = dot_calloc(1, sizeof(*tok));
	if (tok == NULL)
		return DOT_ENOMEM;
	tok->bytes = dot_malloc(n);
	if (tok->bytes == NULL) {
		rv = DOT_ENOMEM;
		goto out;
	}
	memcpy(tok->bytes, buf, n);
	tok->len = n;

	rv = dot_dec_init(&d, tok->bytes, n, &token_limits, e);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_array(&d, &count) != DOT_OK) {
		rv = FMT("token is not an array");
		goto out;
	}
	if (count < 3 || count % 2 != 1 ||
	    count > 1 + 2 * DOT_TOKEN_MAX_BLOCKS) {
		rv = FMT("token array of %" PRIu64 " items (want 1 + 2 per "
			 "block, 1 to %d blocks)",
			 count, DOT_TOKEN_MAX_BLOCKS);
		goto out;
	}
	if (dot_dec_uint(&d, &version) != DOT_OK) {
		rv = FMT("token version is not an unsigned integer");
		goto out;
	}
	if (version != DOT_TOKEN_VERSION) {
		rv = dot_err_set(e, DOT_ETOKEN_VERSION,
				 "token version %" PRIu64 " (this build reads "
				 "version %d)",
				 version, DOT_TOKEN_VERSION);
		goto out;
	}
	tok->nblocks = (size_t)(count - 1) / 2;
	prev = zero;
	for (size_t i = 0; i < tok->nblocks; i++) {
		struct dot_token_block *b = &tok->blocks[i];

		rv = parse_block(&d, tok, i, e);
		if (rv != DOT_OK)
			goto out;
		if (dot_dec_bstr(&d, &b->sig, &b->sig_len) != DOT_OK ||
		    b->sig_len < 1 || dot_sign_sig_len(b->sig[0]) != b->sig_len) {
			rv = FMT("block %zu: signature is not of a known "
				 "suite and length",
				 i);
			goto out;
		}
		block_hash(b->hash, prev, b->payload, b->payload_len);
		block_rid(b->rid, b->hash, b->sig, b->sig_len);
		prev = b->rid;
	}
	*out = tok;
	tok = NULL;
	rv = DOT_OK;
out:
	dot_token_free(tok);
	return rv;
}

void
dot_token_free(struct dot_token *tok)
{
	if (tok == NULL)
		return;
	/* refs counts the other holders: while it was not 0, one of them
	 * still keeps the token, and this call drops one reference only. */
	if (__atomic_fetch_sub(&tok->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	dot_free(tok->bytes);
	dot_free(tok);
}

struct dot_token *
dot_token_hold(struct dot_token *tok)
{
	__atomic_fetch_add(&tok->refs, 1, __ATOMIC_RELAXED);
	return tok;
}

const uint8_t *
dot_token_holder(const struct dot_token *tok, size_t *len)
{
	const struct dot_token_block *b = &tok->blocks[tok->nblocks - 1];

	*len = b->holder_len;
	return b->holder;
}

/* ---- text form ---- */

int
dot_token_to_text(const uint8_t *buf, size_t n, struct dot_buf *out)
{
	size_t plen = sizeof(text_prefix) - 1, tlen = plen + dot_b64url_len(n);
	int rv = dot_buf_reserve(out, tlen + 1);

	if (rv != DOT_OK)
		return rv;
	memcpy(out->data + out->len, text_prefix, plen);
	dot_b64url_encode((char *)out->data + out->len + plen, buf, n);
	out->len += tlen;
	return DOT_OK;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
dot_token_from_text(const char *text, size_t n, struct dot_buf *out,
		    struct dot_err *e)
{
	size_t plen = sizeof(text_prefix) - 1, got;
	size_t maxtext = plen + dot_b64url_len(DOT_TOKEN_MAX_LEN);
	int rv;

	while (n > 0 && is_space(*text))
		text++, n--;
	while (n > 0 && is_space(text[n - 1]))
		n--;
	if (n < plen || memcmp(text, text_prefix, plen) != 0)
		return dot_err_set(e, DOT_ETEXT_PREFIX,
				   "a token's text form starts with \"%s\"",
				   text_prefix);
	if (n > maxtext)
		return FMT("token text of %zu characters exceeds the limit "
			   "of %zu",
			   n, maxtext);
	rv = dot_buf_reserve(out, (n - plen) / 4 * 3 + 3);
	if (rv != DOT_OK)
		return rv;
	rv = dot_b64url_decode(out->data + out->len, out->cap - out->len, &got,
			       text + plen, n - plen);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "token text: %s (character set "
					  "A-Z a-z 0-9 - _, no padding)",
				   dot_strerror(rv));
	out->len += got;
	return DOT_OK;
}

/* ---- narrowing: the effective grant after each block ---- */

struct eff {
	struct dot_token_caveats c;
	uint32_t remaining;     /* blocks that may still follow */
	size_t at[6];           /* block that set each DOT_CAV_* field */
};

static unsigned
cav_index(uint32_t bit)
{
	unsigned i = 0;

	while (bit > 1)
		bit >>= 1, i++;
	return i;
}

static void
eff_set(struct eff *E, uint32_t bit, size_t bi)
{
	E->c.present |= bit;
	E->at[cav_index(bit)] = bi;
}

#define WIDE(...) dot_err_set(e, DOT_ETOKEN_WIDENED, __VA_ARGS__)

/*
 * Apply block bi's caveats to E, refusing any that would widen. Block 0 sets
 * the grant; its path caveat must lie inside a path resource.
 */
static int
narrow(struct eff *E, const struct dot_token_caveats *c, size_t bi,
       int rkind, const uint8_t *res, size_t reslen, struct dot_err *e)
{
	if (bi == 0) {
		memset(E, 0, sizeof(*E));
		E->remaining = UINT32_MAX;
	} else {
		if (E->remaining == 0)
			return dot_err_set(e, DOT_ETOKEN_TOO_DEEP,
					   "block %zu: the token allows no "
					   "further delegation (max depth set "
					   "by block %zu)",
					   bi, E->at[cav_index(DOT_CAV_DEPTH)]);
		if (E->remaining != UINT32_MAX)
			E->remaining--;
	}
	if (c->present & DOT_CAV_RIGHTS) {
		if (bi > 0 && (c->rights & ~E->c.rights)) {
			char extra[128];
			if (dot_rights_format(c->rights & ~E->c.rights, extra,
					      sizeof(extra)) != DOT_OK)
				strcpy(extra, "?");
			return WIDE("block %zu adds rights not granted before "
				    "it: %s",
				    bi, extra);
		}
		E->c.rights = c->rights;
		eff_set(E, DOT_CAV_RIGHTS, bi);
	}
	if (c->present & DOT_CAV_NOT_BEFORE) {
		if ((E->c.present & DOT_CAV_NOT_BEFORE) &&
		    c->not_before < E->c.not_before)
			return WIDE("block %zu moves not-before earlier "
				    "(%" PRIu64 " < %" PRIu64 ")",
				    bi, c->not_before, E->c.not_before);
		E->c.not_before = c->not_before;
		eff_set(E, DOT_CAV_NOT_BEFORE, bi);
	}
	if (c->present & DOT_CAV_EXPIRES) {
		if ((E->c.present & DOT_CAV_EXPIRES) &&
		    c->expires > E->c.expires)
			return WIDE("block %zu moves expiry later (%" PRIu64
				    " > %" PRIu64 ")",
				    bi, c->expires, E->c.expires);
		E->c.expires = c->expires;
		eff_set(E, DOT_CAV_EXPIRES, bi);
	}
	if (c->present & DOT_CAV_PATH) {
		const char *scope = (const char *)res;
		size_t slen = reslen;

		if (E->c.present & DOT_CAV_PATH) {
			scope = E->c.path;
			slen = E->c.path_len;
		}
		if (rkind != DOT_RESOURCE_PATH ||
		    !dot_path_within(c->path, c->path_len, scope, slen))
			return WIDE("block %zu: path \"%.*s\" is outside "
				    "\"%.*s\"",
				    bi, (int)(c->path_len > 64 ? 64 : c->path_len),
				    c->path, (int)(slen > 64 ? 64 : slen),
				    scope);
		E->c.path = c->path;
		E->c.path_len = c->path_len;
		eff_set(E, DOT_CAV_PATH, bi);
	}
	if (c->present & DOT_CAV_LABELS) {
		if ((E->c.present & DOT_CAV_LABELS) && !labels_subset(&E->c, c))
			return WIDE("block %zu drops a node label required "
				    "before it",
				    bi);
		memcpy(E->c.labels, c->labels, sizeof(c->labels));
		memcpy(E->c.label_len, c->label_len, sizeof(c->label_len));
		E->c.nlabels = c->nlabels;
		eff_set(E, DOT_CAV_LABELS, bi);
	}
	if (c->present & DOT_CAV_DEPTH) {
		if (c->max_depth > E->remaining)
			return WIDE("block %zu raises max depth to %" PRIu32
				    " where %" PRIu32 " remain",
				    bi, c->max_depth, E->remaining);
		E->remaining = c->max_depth;
		E->c.max_depth = c->max_depth;
		eff_set(E, DOT_CAV_DEPTH, bi);
	}
	return DOT_OK;
}

static int
narrow_chain(const struct dot_token *tok, struct eff *E, size_t *failed,
	     struct dot_err *e)
{
	for (size_t i = 0; i < tok->nblocks; i++) {
		int rv = narrow(E, &tok->blocks[i].cav, i, tok->resource_kind,
				tok->resource, tok->resource_len, e);
		if (rv != DOT_OK) {
			*failed = i;
			return rv;
		}
	}
	return DOT_OK;
}

/* ---- minting and attenuation ---- */

/* Copy caveats with labels sorted; refuse malformed fields. */
static int
normalize(const struct dot_token_caveats *in, struct dot_token_caveats *out,
	  struct dot_err *e)
{
	*out = *in;
	if (in->present & ~(uint32_t)0x3f)
		return dot_err_set(e, DOT_EINVAL, "unknown caveat bits");
	if ((in->present & DOT_CAV_RIGHTS) && (in->rights & ~DOT_RIGHTS_ALL))
		return dot_err_set(e, DOT_EINVAL, "unknown right bits");
	if ((in->present & DOT_CAV_PATH) &&
	    !dot_path_valid(in->path, in->path_len))
		return dot_err_set(e, DOT_EINVAL,
				   "path caveat \"%.*s\" is not a valid "
				   "absolute path (no empty, . or .. parts, no "
				   "trailing /)",
				   (int)(in->path_len > 64 ? 64 : in->path_len),
				   in->path);
	if ((in->present & DOT_CAV_DEPTH) &&
	    in->max_depth >= DOT_TOKEN_MAX_BLOCKS)
		return dot_err_set(e, DOT_EINVAL, "max depth must be 0 to %d",
				   DOT_TOKEN_MAX_BLOCKS - 1);
	if (in->present & DOT_CAV_LABELS) {
		if (in->nlabels == 0 || in->nlabels > DOT_TOKEN_MAX_LABELS)
			return dot_err_set(e, DOT_EINVAL,
					   "1 to %d node labels allowed",
					   DOT_TOKEN_MAX_LABELS);
		for (size_t i = 0; i < in->nlabels; i++)
			if (!label_valid(in->labels[i], in->label_len[i]))
				return dot_err_set(e, DOT_EINVAL,
						   "label \"%.*s\" is not 1-%d "
						   "characters of "
						   "[A-Za-z0-9._:=-]",
						   (int)(in->label_len[i] > 64
								 ? 64
								 : in->label_len[i]),
						   in->labels[i],
						   DOT_TOKEN_MAX_LABEL_LEN);
		/* insertion sort; at most 16 */
		for (size_t i = 1; i < out->nlabels; i++)
			for (size_t j = i; j > 0 &&
					   label_cmp(out->labels[j - 1],
						     out->label_len[j - 1],
						     out->labels[j],
						     out->label_len[j]) > 0;
			     j--) {
				const char *t = out->labels[j];
				size_t tl = out->label_len[j];
				out->labels[j] = out->labels[j - 1];
				out->label_len[j] = out->label_len[j - 1];
				out->labels[j - 1] = t;
				out->label_len[j - 1] = tl;
			}
		for (size_t i = 1; i < out->nlabels; i++)
			if (label_cmp(out->labels[i - 1], out->label_len[i - 1],
				      out->labels[i], out->label_len[i]) == 0)
				return dot_err_set(e, DOT_EINVAL,
						   "label \"%.*s\" given twice",
						   (int)out->label_len[i],
						   out->labels[i]);
	} else {
		out->nlabels = 0;
	}
	return DOT_OK;
}

static size_t
popcount(uint32_t v)
{
	size_t n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

void
dot_token__encode_payload(struct dot_buf *b, const uint8_t *issuer_id,
			  int rkind, const void *res, size_t reslen,
			  const struct dot_token_caveats *c,
			  const uint8_t *holder, size_t holder_len)
{
	size_t fields = 1 + popcount(c->present & 0x3f) + (issuer_id ? 2 : 0);

	dot_enc_map(b, fields);
	if (issuer_id) {
		dot_enc_uint(b, K_ISSUER);
		dot_enc_bstr(b, issuer_id, DOT_KEY_ID_LEN);
		dot_enc_uint(b, K_RESOURCE);
		if (rkind == DOT_RESOURCE_PATH)
			dot_enc_tstr(b, res, reslen);
		else
			dot_enc_bstr(b, res, reslen);
	}
	if (c->present & DOT_CAV_RIGHTS) {
		dot_enc_uint(b, K_RIGHTS);
		dot_enc_uint(b, c->rights);
	}
	if (c->present & DOT_CAV_NOT_BEFORE) {
		dot_enc_uint(b, K_NOT_BEFORE);
		dot_enc_uint(b, c->not_before);
	}
	if (c->present & DOT_CAV_EXPIRES) {
		dot_enc_uint(b, K_EXPIRES);
		dot_enc_uint(b, c->expires);
	}
	if (c->present & DOT_CAV_PATH) {
		dot_enc_uint(b, K_PATH);
		dot_enc_tstr(b, c->path, c->path_len);
	}
	if (c->present & DOT_CAV_LABELS) {
		dot_enc_uint(b, K_LABELS);
		dot_enc_array(b, c->nlabels);
		for (size_t i = 0; i < c->nlabels; i++)
			dot_enc_tstr(b, c->labels[i], c->label_len[i]);
	}
	if (c->present & DOT_CAV_DEPTH) {
		dot_enc_uint(b, K_DEPTH);
		dot_enc_uint(b, c->max_depth);
	}
	dot_enc_uint(b, K_HOLDER);
	dot_enc_bstr(b, holder, holder_len);
}

/*
 * Emit a token of the blocks of `tok` (if any) plus one new block with the
 * given payload, signed by `signer` over its block hash.
 */
int
dot_token__append(const struct dot_token *tok, const struct dot_sign_sk *signer,
		  const uint8_t *payload, size_t payload_len,
		  struct dot_buf *out)
{
	static const uint8_t zero[DOT_RID_LEN];
	uint8_t h[DOT_HASH_LEN], sig[DOT_SIGN_SIG_MAX];
	size_t nb = tok ? tok->nblocks : 0, siglen, start = out->len;
	int rv;

	block_hash(h, nb ? tok->blocks[nb - 1].rid : zero, payload,
		   payload_len);
	rv = dot_sign(signer, h, sizeof(h), sig, &siglen);
	if (rv != DOT_OK)
		return rv;
	dot_enc_array(out, 1 + 2 * (nb + 1));
	dot_enc_uint(out, DOT_TOKEN_VERSION);
	for (size_t i = 0; i < nb; i++) {
		dot_enc_raw(out, tok->blocks[i].payload,
			    tok->blocks[i].payload_len);
		dot_enc_bstr(out, tok->blocks[i].sig, tok->blocks[i].sig_len);
	}
	dot_enc_raw(out, payload, payload_len);
	dot_enc_bstr(out, sig, siglen);
	if (out->err)
		return out->err;
	if (out->len - start > DOT_TOKEN_MAX_LEN) {
		out->len = start;
		return DOT_ETOOBIG;
	}
	return DOT_OK;
}

int
dot_token_mint(const struct dot_sign_sk *issuer, int resource_kind,
	       const void *resource, size_t resource_len,
	       const struct dot_token_caveats *cav, const uint8_t *holder,
	       size_t holder_len, struct dot_buf *out, struct dot_err *e)
{
	struct dot_token_caveats c;
	struct dot_buf payload = {0};
	uint8_t pk[DOT_SIGN_PK_MAX], id[DOT_KEY_ID_LEN];
	struct eff E;
	size_t pklen;
	int rv;

	rv = normalize(cav, &c, e);
	if (rv != DOT_OK)
		return rv;
	if (!(c.present & DOT_CAV_RIGHTS) || c.rights == 0)
		return dot_err_set(e, DOT_EINVAL, "a token must grant rights");
	if (resource_kind == DOT_RESOURCE_PATH) {
		if (!dot_path_valid(resource, resource_len))
			return dot_err_set(e, DOT_EINVAL,
					   "resource is not a valid absolute "
					   "path");
	} else if (resource_kind == DOT_RESOURCE_OBJECT) {
		if (resource_len != DOT_OBJECT_ID_LEN)
			return dot_err_set(e, DOT_EINVAL,
					   "an object id is %d bytes",
					   DOT_OBJECT_ID_LEN);
		if (c.present & DOT_CAV_PATH)
			return dot_err_set(e, DOT_EINVAL,
					   "a path caveat needs a path "
					   "resource");
	} else {
		return dot_err_set(e, DOT_EINVAL, "unknown resource kind");
	}
	rv = dot_sign_pk_check(holder, holder_len);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "holder key: %s", dot_strerror(rv));
	/* Block 0's own rules (path inside resource). */
	rv = narrow(&E, &c, 0, resource_kind, resource, resource_len, e);
	if (rv != DOT_OK)
		return rv;
	pklen = dot_sign_sk_public(issuer, pk);
	dot_key_id(pk, pklen, id);
	dot_token__encode_payload(&payload, id, resource_kind, resource,
				  resource_len, &c, holder, holder_len);
	rv = payload.err;
	if (rv == DOT_OK)
		rv = dot_token__append(NULL, issuer, payload.data, payload.len,
				       out);
	dot_buf_free(&payload);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "mint: %s", dot_strerror(rv));
	return DOT_OK;
}

int
dot_token_attenuate(const struct dot_token *tok,
		    const struct dot_sign_sk *holder,
		    const struct dot_token_caveats *cav,
		    const uint8_t *next_holder, size_t next_len,
		    struct dot_buf *out, struct dot_err *e)
{
	struct dot_token_caveats c;
	struct dot_buf payload = {0};
	uint8_t pk[DOT_SIGN_PK_MAX];
	const uint8_t *cur;
	size_t pklen, curlen, failed;
	struct eff E;
	int rv;

	rv = normalize(cav, &c, e);
	if (rv != DOT_OK)
		return rv;
	rv = dot_sign_pk_check(next_holder, next_len);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "next holder key: %s",
				   dot_strerror(rv));
	pklen = dot_sign_sk_public(holder, pk);
	cur = dot_token_holder(tok, &curlen);
	if (pklen != curlen || memcmp(pk, cur, pklen) != 0)
		return dot_err_set(e, DOT_ETOKEN_WRONG_HOLDER,
				   "this key is not the token's holder (block "
				   "%zu names another key)",
				   tok->nblocks - 1);
	if (tok->nblocks >= DOT_TOKEN_MAX_BLOCKS)
		return dot_err_set(e, DOT_ETOKEN_TOO_DEEP,
				   "a token has at most %d blocks",
				   DOT_TOKEN_MAX_BLOCKS);
	rv = narrow_chain(tok, &E, &failed, e);
	if (rv != DOT_OK)
		return rv;
	if ((c.present & DOT_CAV_PATH) &&
	    tok->resource_kind != DOT_RESOURCE_PATH)
		return dot_err_set(e, DOT_ETOKEN_WIDENED,
				   "a path caveat needs a path resource");
	rv = narrow(&E, &c, tok->nblocks, tok->resource_kind, tok->resource,
		    tok->resource_len, e);
	if (rv != DOT_OK)
		return rv;
	dot_token__encode_payload(&payload, NULL, 0, NULL, 0, &c, next_holder,
				  next_len);
	rv = payload.err;
	if (rv == DOT_OK)
		rv = dot_token__append(tok, holder, payload.data, payload.len,
				       out);
	dot_buf_free(&payload);
	if (rv != DOT_OK)
		return dot_err_set(e, rv, "attenuate: %s", dot_strerror(rv));
	return DOT_OK;
}

/* ---- verification ---- */

static const char *
policy_label(unsigned policy)
{
	const char *n = dot_policy_name(policy);

	return n != NULL ? n : "invalid";
}

int
dot_token_verify_chain(const struct dot_token *tok,
		       const struct dot_token_verifier *v,
		       const struct dot_token_request *req,
		       struct dot_token_result *res, struct dot_err *e)
{
	struct dot_token_result local;
	uint8_t id[DOT_KEY_ID_LEN];
	size_t start = 0, n = tok->nblocks;
	struct eff E;
	int rv;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));

	/* 1. Revocation, before any signature work. */
	if (v->revoked != NULL)
		for (size_t i = 0; i < n; i++)
			if (v->revoked(v->revoked_ctx, tok->blocks[i].rid)) {
				res->failed_block = i;
				return dot_err_set(e, DOT_ETOKEN_REVOKED,
						   "block %zu has been revoked",
						   i);
			}

	/* 2. The trusted issuer is the one block 0 names. */
	if (v->issuer_pk == NULL ||
	    dot_sign_pk_len(v->issuer_pk_len ? v->issuer_pk[0] : 0) !=
		    v->issuer_pk_len)
		return dot_err_set(e, DOT_ECRYPTO_KEY,
				   "no valid trusted issuer key given");
	dot_token__cache_key_id(v->cache, v->issuer_pk, v->issuer_pk_len, id);
	if (memcmp(id, tok->issuer_id, DOT_KEY_ID_LEN) != 0)
		return dot_err_set(e, DOT_ETOKEN_ISSUER,
				   "block 0 names another issuer than the "
				   "trusted key");

	/* 2a. The cluster's crypto policy (docs/crypto.md §14): the issuer
	 * and every holder of a suite it allows. Block i > 0 is signed by
	 * block i - 1's holder, whose suite dot_verify holds it to. */
	if (!dot_policy_allows(v->policy, v->issuer_pk[0], 0))
		return dot_err_set(e, DOT_EPOLICY,
				   "the issuer's key is %s; the %s policy "
				   "takes ed25519+ml-dsa-65 only",
				   dot_suite_name(v->issuer_pk[0]),
				   policy_label(v->policy));
	for (size_t i = 0; i < n; i++)
		if (!dot_policy_allows(v->policy, tok->blocks[i].holder[0],
				       1)) {
			res->failed_block = i;
			return dot_err_set(e, DOT_EPOLICY,
					   "block %zu names a holder key of "
					   "suite %s; the %s policy takes "
					   "%s",
					   i,
					   dot_suite_name(
						   tok->blocks[i].holder[0]),
					   policy_label(v->policy),
					   v->policy &
							   DOT_POLICY_CLASSIC_ATTENUATION
						   ? "ed25519 or "
						     "ed25519+ml-dsa-65"
						   : "ed25519+ml-dsa-65 only");
		}

	/* 3. Every block narrows; depth limits hold. */
	rv = narrow_chain(tok, &E, &res->failed_block, e);
	if (rv != DOT_OK)
		return rv;

	/* 4. Signatures of the blocks past the longest cached prefix. */
	if (v->cache != NULL)
		start = dot_token__cache_lookup(v->cache, v->issuer_pk,
						v->issuer_pk_len, tok);
	for (size_t i = start; i < n; i++) {
		const struct dot_token_block *b = &tok->blocks[i];
		const uint8_t *pk = i == 0 ? v->issuer_pk
					   : tok->blocks[i - 1].holder;
		size_t pklen = i == 0 ? v->issuer_pk_len
				      : tok->blocks[i - 1].holder_len;

		rv = dot_verify(pk, pklen, b->hash, sizeof(b->hash), b->sig,
				b->sig_len);
		res->blocks_verified++;
		if (v->cache != NULL)
			dot_token__cache_count_sig(v->cache);
		if (rv != DOT_OK) {
			res->failed_block = i;
			return dot_err_set(e, DOT_ETOKEN_SIGNATURE,
					   "block %zu: %s (signed by %s)", i,
					   dot_strerror(rv),
					   i == 0 ? "the issuer"
						  : "the previous holder");
		}
	}
	if (v->cache != NULL)
		dot_token__cache_insert(v->cache, v->issuer_pk,
					v->issuer_pk_len, tok, start);

	/* 5. The request against the effective grant. */
	res->eff = E.c;
	res->holder = tok->blocks[n - 1].holder;
	res->holder_len = tok->blocks[n - 1].holder_len;
	if ((E.c.present & DOT_CAV_NOT_BEFORE) && req->now < E.c.not_before) {
		res->failed_block = E.at[cav_index(DOT_CAV_NOT_BEFORE)];
		return dot_err_set(e, DOT_ETOKEN_NOT_YET_VALID,
				   "valid from %" PRIu64 ", now is %" PRIu64
				   " (block %zu)",
				   E.c.not_before, req->now, res->failed_block);
	}
	if ((E.c.present & DOT_CAV_EXPIRES) && req->now >= E.c.expires) {
		res->failed_block = E.at[cav_index(DOT_CAV_EXPIRES)];
		return dot_err_set(e, DOT_ETOKEN_EXPIRED,
				   "expired at %" PRIu64 ", now is %" PRIu64
				   " (block %zu)",
				   E.c.expires, req->now, res->failed_block);
	}
	if (tok->resource_kind == DOT_RESOURCE_PATH) {
		if (req->path == NULL || !dot_path_valid(req->path, req->path_len))
			return dot_err_set(e, DOT_ETOKEN_RESOURCE,
					   "the request names no valid path "
					   "and the token is for a path");
		if (!dot_path_within(req->path, req->path_len,
				     (const char *)tok->resource,
				     tok->resource_len))
			return dot_err_set(e, DOT_ETOKEN_RESOURCE,
					   "\"%.*s\" is outside the resource "
					   "\"%.*s\"",
					   (int)(req->path_len > 64 ? 64 : req->path_len),
					   req->path,
					   (int)(tok->resource_len > 64 ? 64 : tok->resource_len),
					   (const char *)tok->resource);
		if ((E.c.present & DOT_CAV_PATH) &&
		    !dot_path_within(req->path, req->path_len, E.c.path,
				     E.c.path_len)) {
			res->failed_block = E.at[cav_index(DOT_CAV_PATH)];
			return dot_err_set(e, DOT_ETOKEN_PATH,
					   "\"%.*s\" is outside \"%.*s\" "
					   "(block %zu)",
					   (int)(req->path_len > 64 ? 64 : req->path_len),
					   req->path,
					   (int)(E.c.path_len > 64 ? 64 : E.c.path_len),
					   E.c.path, res->failed_block);
		}
	} else if (req->object_id == NULL ||
		   memcmp(req->object_id, tok->resource, DOT_OBJECT_ID_LEN) !=
			   0) {
		return dot_err_set(e, DOT_ETOKEN_RESOURCE,
				   "the request is for another object than "
				   "the token's");
	}
	if (req->rights & ~E.c.rights) {
		char want[128];
		res->failed_block = E.at[cav_index(DOT_CAV_RIGHTS)];
		if (dot_rights_format(req->rights & ~E.c.rights, want,
				      sizeof(want)) != DOT_OK)
			strcpy(want, "?");
		return dot_err_set(e, DOT_ETOKEN_RIGHTS,
				   "not granted: %s (block %zu)", want,
				   res->failed_block);
	}
	for (size_t i = 0; i < E.c.nlabels; i++) {
		size_t j;
		for (j = 0; j < req->n_node_labels; j++)
			if (strlen(req->node_labels[j]) == E.c.label_len[i] &&
			    memcmp(req->node_labels[j], E.c.labels[i],
				   E.c.label_len[i]) == 0)
				break;
		if (j == req->n_node_labels) {
			res->failed_block = E.at[cav_index(DOT_CAV_LABELS)];
			return dot_err_set(e, DOT_ETOKEN_NODE,
					   "the node lacks label \"%.*s\" "
					   "(block %zu)",
					   (int)E.c.label_len[i], E.c.labels[i],
					   res->failed_block);
		}
	}
	return DOT_OK;
}

int
dot_token_sign_request(const struct dot_token *tok,
		       const struct dot_sign_sk *holder, const void *msg,
		       size_t n, uint8_t sig[DOT_SIGN_SIG_MAX], size_t *siglen)
{
	uint8_t p[DOT_HASH_LEN];

	request_hash(p, tok->blocks[tok->nblocks - 1].rid, msg, n);
	return dot_sign(holder, p, sizeof(p), sig, siglen);
}

int
dot_token_verify(const struct dot_token *tok,
		 const struct dot_token_verifier *v,
		 const struct dot_token_request *req, const void *msg,
		 size_t n, const uint8_t *sig, size_t siglen,
		 struct dot_token_result *res, struct dot_err *e)
{
	struct dot_token_result local;
	uint8_t p[DOT_HASH_LEN];
	int rv;

	if (res == NULL)
		res = &local;
	rv = dot_token_verify_chain(tok, v, req, res, e);
	if (rv != DOT_OK)
		return rv;
	request_hash(p, tok->blocks[tok->nblocks - 1].rid, msg, n);
	rv = dot_verify(res->holder, res->holder_len, p, sizeof(p), sig,
			siglen);
	if (rv != DOT_OK) {
		res->failed_block = tok->nblocks - 1;
		return dot_err_set(e, DOT_ETOKEN_WRONG_HOLDER,
				   "the request is not signed by the key "
				   "block %zu names as holder",
				   tok->nblocks - 1);
	}
	return DOT_OK;
}
