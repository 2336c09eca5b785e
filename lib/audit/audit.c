/*
 * audit.c - the Merkle log: RFC 9162 hashing, the frontier, proofs from a
 * store, their verification and their canonical CBOR encodings, and the
 * in-memory store (audit.h, docs/audit-format.md).
 */
#include <inttypes.h>
#include <string.h>

#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/heap.h"

#define H DOT_AUDIT_HASH_LEN

/* ---- hashing: RFC 9162 §2.1.1 ---- */

void
dot_audit_hash_leaf(uint8_t out[H], const void *data, size_t n)
{
	struct dot_sha256_ctx c;
	static const uint8_t zero = 0x00;

	dot_sha256_init(&c);
	dot_sha256_update(&c, &zero, 1);
	dot_sha256_update(&c, data, n);
	dot_sha256_final(&c, out);
}

void
dot_audit_hash_node(uint8_t out[H], const uint8_t left[H],
		    const uint8_t right[H])
{
	uint8_t b[1 + 2 * H];

	b[0] = 0x01;
	memcpy(b + 1, left, H);
	memcpy(b + 1 + H, right, H);
	dot_sha256(out, b, sizeof(b));
}

void
dot_audit_empty_root(uint8_t out[H])
{
	dot_sha256(out, "", 0);
}

void
dot_audit_leaf(const uint8_t tx_id[32], const uint8_t receipt_hash[32],
	       uint8_t out[H])
{
	uint8_t b[64];

	memcpy(b, tx_id, 32);
	memcpy(b + 32, receipt_hash, 32);
	dot_audit_hash_leaf(out, b, sizeof(b));
}

/* ---- bit helpers ---- */

static unsigned
bitlen(uint64_t x)
{
	return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

static unsigned
popcount(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

/* The largest power of two smaller than n (n >= 2): RFC 9162's k. */
static uint64_t
split_point(uint64_t n)
{
	return (uint64_t)1 << (bitlen(n - 1) - 1);
}

/* ---- the frontier ---- */

void
dot_audit_frontier_init(struct dot_audit_frontier *f)
{
	memset(f, 0, sizeof(*f));
}

int
dot_audit_frontier_append(struct dot_audit_frontier *f, const uint8_t leaf[H],
			  dot_audit_put_fn put, void *ctx)
{
	uint8_t h[H];
	uint64_t s = f->size;
	unsigned n = f->n, level = 0;
	int rv = DOT_OK;

	if (f->size == UINT64_MAX)
		return DOT_ERANGE;
	memcpy(h, leaf, H);
	if (put != NULL && (rv = put(ctx, 0, f->size, h)) != DOT_OK)
		return rv;
	/* A binary counter: each trailing one bit of the size is a perfect
	 * subtree of the same height that the new one now completes. */
	while (s & 1) {
		dot_audit_hash_node(h, f->nodes[n - 1], h);
		n--;
		s >>= 1;
		level++;
		if (put != NULL &&
		    (rv = put(ctx, level, f->size >> level, h)) != DOT_OK)
			return rv;
	}
	memcpy(f->nodes[n], h, H);
	f->n = n + 1;
	f->size++;
	return DOT_OK;
}

void
dot_audit_frontier_root(const struct dot_audit_frontier *f, uint8_t root[H])
{
	uint8_t r[H];

	if (f->n == 0) {
		dot_audit_empty_root(root);
		return;
	}
	memcpy(r, f->nodes[f->n - 1], H);
	for (unsigned i = f->n - 1; i > 0; i--)
		dot_audit_hash_node(r, f->nodes[i - 1], r);
	memcpy(root, r, H);
}

/* ---- CBOR helpers ---- */

static const struct dot_codec_limits audit_limits = {
    .max_depth = 2,
    .max_str = H,
    .max_items = DOT_AUDIT_MAX_PROOF,
};

/* The next key of a map whose keys are exactly 1..npairs in order. */
static int
rd_key(struct dot_dec *d, uint64_t want, int code, const char *what,
       struct dot_err *e)
{
	uint64_t k;

	if (dot_dec_uint(d, &k) != DOT_OK || k != want)
		return dot_err_set(e, code,
				   "%s: key %" PRIu64 " missing or "
				   "an unknown key at byte %zu",
				   what, want, d->off);
	return DOT_OK;
}

static int
rd_uint(struct dot_dec *d, uint64_t *v, int code, const char *what,
	struct dot_err *e)
{
	if (dot_dec_uint(d, v) != DOT_OK)
		return dot_err_set(e, code, "%s is not an unsigned integer",
				   what);
	return DOT_OK;
}

/* An array of n hashes (n <= 64: the codec limits ensure it). */
static int
rd_hashes(struct dot_dec *d, uint8_t (*out)[H], size_t *n, int code,
	  const char *what, struct dot_err *e)
{
	uint64_t cnt;
	const uint8_t *p;

	if (dot_dec_array(d, &cnt) != DOT_OK)
		return dot_err_set(e, code, "%s: hashes are not an array",
				   what);
	for (uint64_t i = 0; i < cnt; i++)
		if (dot_dec_bstr_fixed(d, &p, H) != DOT_OK)
			return dot_err_set(e, code,
					   "%s: hash %" PRIu64 " is not a "
					   "32-byte string",
					   what, i);
		else
			memcpy(out[i], p, H);
	*n = (size_t)cnt;
	return DOT_OK;
}

int
dot_audit_frontier_encode(const struct dot_audit_frontier *f,
			  struct dot_buf *out)
{
	if (f->n != popcount(f->size))
		return DOT_EINVAL;
	dot_enc_map(out, 3);
	dot_enc_uint(out, 1);
	dot_enc_uint(out, DOT_AUDIT_FORMAT_VERSION);
	dot_enc_uint(out, 2);
	dot_enc_uint(out, f->size);
	dot_enc_uint(out, 3);
	dot_enc_array(out, f->n);
	for (unsigned i = 0; i < f->n; i++)
		dot_enc_bstr(out, f->nodes[i], H);
	return out->err;
}

int
dot_audit_frontier_parse(const uint8_t *buf, size_t n,
			 struct dot_audit_frontier *f, struct dot_err *e)
{
	const int code = DOT_EAUDIT_FRONTIER_FORMAT;
	struct dot_dec d;
	uint64_t npairs, v;
	size_t cnt = 0;
	int rv;

	dot_audit_frontier_init(f);
	rv = dot_dec_init(&d, buf, n, &audit_limits, e);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_map(&d, &npairs) != DOT_OK || npairs != 3) {
		rv = dot_err_set(e, code, "frontier is not a map of 3 fields");
		goto out;
	}
	if ((rv = rd_key(&d, 1, code, "frontier", e)) != DOT_OK ||
	    (rv = rd_uint(&d, &v, code, "frontier version", e)) != DOT_OK)
		goto out;
	if (v != DOT_AUDIT_FORMAT_VERSION) {
		rv = dot_err_set(e, code,
				 "frontier version %" PRIu64
				 ", this build reads %d",
				 v, DOT_AUDIT_FORMAT_VERSION);
		goto out;
	}
	if ((rv = rd_key(&d, 2, code, "frontier", e)) != DOT_OK ||
	    (rv = rd_uint(&d, &f->size, code, "frontier size", e)) != DOT_OK ||
	    (rv = rd_key(&d, 3, code, "frontier", e)) != DOT_OK ||
	    (rv = rd_hashes(&d, f->nodes, &cnt, code, "frontier", e)) != DOT_OK)
		goto out;
	if (cnt != popcount(f->size)) {
		rv = dot_err_set(e, code,
				 "frontier of size %" PRIu64
				 " needs %u hashes, has %zu",
				 f->size, popcount(f->size), cnt);
		goto out;
	}
	f->n = (unsigned)cnt;
out:
	if (rv != DOT_OK)
		dot_audit_frontier_init(f);
	return rv;
}

/* ---- proofs ---- */

size_t
dot_audit_inclusion_len(uint64_t index, uint64_t size)
{
	unsigned inner;

	if (index >= size)
		return 0;
	/* The path climbs `inner` levels inside the perfect subtree shared
	 * with the last leaf, then one hash per left border subtree. */
	inner = bitlen(index ^ (size - 1));
	return inner + popcount(index >> inner);
}

size_t
dot_audit_consistency_len(uint64_t size1, uint64_t size2)
{
	unsigned inner, border, shift;

	if (size1 == 0 || size1 >= size2)
		return 0;
	inner = bitlen((size1 - 1) ^ (size2 - 1));
	border = popcount((size1 - 1) >> inner);
	shift = (unsigned)__builtin_ctzll(size1);
	/* inner > shift always holds for size1 < size2. */
	return inner - shift + border + (size1 == (uint64_t)1 << shift ? 0 : 1);
}

/* MTH(D[start:end]), end > start, from the store's perfect subtrees. */
static int
range_hash(const struct dot_audit_store *s, uint64_t start, uint64_t end,
	   uint8_t out[H])
{
	uint64_t n = end - start, k;
	uint8_t l[H], r[H];
	int rv;

	if ((n & (n - 1)) == 0 && (start & (n - 1)) == 0) {
		unsigned level = (unsigned)__builtin_ctzll(n);
		return s->node(s->ctx, level, start >> level, out);
	}
	k = split_point(n);
	if ((rv = range_hash(s, start, start + k, l)) != DOT_OK ||
	    (rv = range_hash(s, start + k, end, r)) != DOT_OK)
		return rv;
	dot_audit_hash_node(out, l, r);
	return DOT_OK;
}

int
dot_audit_store_root(const struct dot_audit_store *s, uint64_t size,
		     uint8_t root[H])
{
	if (size == 0) {
		dot_audit_empty_root(root);
		return DOT_OK;
	}
	return range_hash(s, 0, size, root);
}

/* The proof was gathered from the root down; the RFC lists it upward. */
static void
reverse(struct dot_audit_proof *p)
{
	uint8_t t[H];

	for (size_t i = 0, j = p->n; i + 1 < j; i++, j--) {
		memcpy(t, p->hashes[i], H);
		memcpy(p->hashes[i], p->hashes[j - 1], H);
		memcpy(p->hashes[j - 1], t, H);
	}
}

int
dot_audit_prove_inclusion(const struct dot_audit_store *s, uint64_t index,
			  uint64_t size, struct dot_audit_proof *out)
{
	uint64_t start = 0, end = size, m = index;
	int rv = DOT_OK;

	memset(out, 0, sizeof(*out));
	out->kind = DOT_AUDIT_PROOF_INCLUSION;
	out->index = index;
	out->size = size;
	if (index >= size)
		return DOT_EAUDIT_PROOF_RANGE;
	/* RFC 9162 §2.1.3.1: PATH(m, D[n]) for n > 1 is PATH(m, D[0:k]) :
	 * MTH(D[k:n]) when m < k, else PATH(m - k, D[k:n]) : MTH(D[0:k]). */
	while (end - start > 1) {
		uint64_t k = split_point(end - start);

		if (out->n == DOT_AUDIT_MAX_PROOF)
			return DOT_EAUDIT_PROOF_LENGTH; /* cannot happen */
		if (m < k) {
			rv = range_hash(s, start + k, end, out->hashes[out->n]);
			end = start + k;
		} else {
			rv = range_hash(s, start, start + k,
					out->hashes[out->n]);
			start += k;
			m -= k;
		}
		if (rv != DOT_OK)
			goto out;
		out->n++;
	}
	reverse(out);
out:
	if (rv != DOT_OK)
		out->n = 0;
	return rv;
}

int
dot_audit_prove_consistency(const struct dot_audit_store *s, uint64_t size1,
			    uint64_t size2, struct dot_audit_proof *out)
{
	uint64_t start = 0, end = size2, m = size1;
	int b = 1, rv = DOT_OK;

	memset(out, 0, sizeof(*out));
	out->kind = DOT_AUDIT_PROOF_CONSISTENCY;
	out->index = size1;
	out->size = size2;
	if (size1 > size2)
		return DOT_EAUDIT_PROOF_RANGE;
	if (size1 == 0 || size1 == size2)
		return DOT_OK;
	/* RFC 9162 §2.1.4.1: SUBPROOF(m, D[m], true) = {};
	 * SUBPROOF(m, D[m], false) = {MTH(D[m])}; for m < n,
	 * SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) when m <= k, else
	 * SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]). */
	for (;;) {
		uint64_t n = end - start, k;

		if (out->n == DOT_AUDIT_MAX_PROOF)
			return DOT_EAUDIT_PROOF_LENGTH; /* cannot happen */
		if (m == n) {
			if (!b) {
				rv = range_hash(s, start, end,
						out->hashes[out->n]);
				if (rv != DOT_OK)
					goto out;
				out->n++;
			}
			break;
		}
		k = split_point(n);
		if (m <= k) {
			rv = range_hash(s, start + k, end, out->hashes[out->n]);
			end = start + k;
		} else {
			rv = range_hash(s, start, start + k,
					out->hashes[out->n]);
			start += k;
			m -= k;
			b = 0;
		}
		if (rv != DOT_OK)
			goto out;
		out->n++;
	}
	reverse(out);
out:
	if (rv != DOT_OK)
		out->n = 0;
	return rv;
}

static int
same(const uint8_t a[H], const uint8_t b[H])
{
	return memcmp(a, b, H) == 0;
}

int
dot_audit_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[H],
			   const uint8_t *hashes, size_t n,
			   const uint8_t root[H])
{
	uint64_t fn, sn;
	uint8_t r[H];

	/* RFC 9162 §2.1.3.2, step by step. */
	if (index >= size) /* 1 */
		return DOT_EAUDIT_PROOF_RANGE;
	if (n != dot_audit_inclusion_len(index, size))
		return DOT_EAUDIT_PROOF_LENGTH;
	fn = index; /* 2 */
	sn = size - 1;
	memcpy(r, leaf, H);		 /* 3 */
	for (size_t i = 0; i < n; i++) { /* 4 */
		const uint8_t *p = hashes + i * H;

		if (sn == 0) /* 4a */
			return DOT_EAUDIT_INCLUSION;
		if ((fn & 1) || fn == sn) { /* 4b */
			dot_audit_hash_node(r, p, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			dot_audit_hash_node(r, r, p);
		}
		fn >>= 1; /* 4c */
		sn >>= 1;
	}
	if (sn != 0 || !same(r, root)) /* 5 */
		return DOT_EAUDIT_INCLUSION;
	return DOT_OK;
}

int
dot_audit_verify_consistency(uint64_t size1, uint64_t size2,
			     const uint8_t root1[H], const uint8_t root2[H],
			     const uint8_t *hashes, size_t n)
{
	uint64_t fn, sn;
	uint8_t fr[H], sr[H], empty[H];
	const uint8_t *c;
	size_t i;

	if (size1 > size2)
		return DOT_EAUDIT_PROOF_RANGE;
	/* Outside the RFC's 0 < first < second: the empty tree is a prefix
	 * of every tree, and a tree is consistent only with itself. */
	if (size1 == 0) {
		if (n != 0)
			return DOT_EAUDIT_PROOF_LENGTH;
		dot_audit_empty_root(empty);
		if (!same(root1, empty) || (size2 == 0 && !same(root2, empty)))
			return DOT_EAUDIT_CONSISTENCY;
		return DOT_OK;
	}
	if (size1 == size2) {
		if (n != 0)
			return DOT_EAUDIT_PROOF_LENGTH;
		return same(root1, root2) ? DOT_OK : DOT_EAUDIT_CONSISTENCY;
	}
	/* RFC 9162 §2.1.4.2, step by step. */
	if (n == 0 || n != dot_audit_consistency_len(size1, size2)) /* 1 */
		return DOT_EAUDIT_PROOF_LENGTH;
	/* 2: when first is a power of two, first_hash is prepended. */
	if ((size1 & (size1 - 1)) == 0) {
		c = root1;
		i = 0;
	} else {
		c = hashes;
		i = 1;
	}
	fn = size1 - 1; /* 3 */
	sn = size2 - 1;
	while (fn & 1) { /* 4 */
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, c, H); /* 5 */
	memcpy(sr, c, H);
	for (; i < n; i++) { /* 6 */
		c = hashes + i * H;
		if (sn == 0) /* 6a */
			return DOT_EAUDIT_CONSISTENCY;
		if ((fn & 1) || fn == sn) { /* 6b */
			dot_audit_hash_node(fr, c, fr);
			dot_audit_hash_node(sr, c, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			dot_audit_hash_node(sr, sr, c);
		}
		fn >>= 1; /* 6c */
		sn >>= 1;
	}
	if (sn != 0 || !same(fr, root1) || !same(sr, root2)) /* 7 */
		return DOT_EAUDIT_CONSISTENCY;
	return DOT_OK;
}

/* ---- proof encoding ---- */

/* The rules a proof's fields obey; DOT_OK or the code for the first. */
static int
proof_check(const struct dot_audit_proof *p, struct dot_err *e)
{
	size_t want;

	if (p->kind == DOT_AUDIT_PROOF_INCLUSION) {
		if (p->index >= p->size)
			return dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
					   "leaf index %" PRIu64 " is not "
					   "below tree size %" PRIu64,
					   p->index, p->size);
		want = dot_audit_inclusion_len(p->index, p->size);
	} else if (p->kind == DOT_AUDIT_PROOF_CONSISTENCY) {
		if (p->index > p->size)
			return dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
					   "old size %" PRIu64 " is above new "
					   "size %" PRIu64,
					   p->index, p->size);
		want = dot_audit_consistency_len(p->index, p->size);
	} else {
		return dot_err_set(e, DOT_EAUDIT_PROOF_FORMAT,
				   "unknown proof kind %d", p->kind);
	}
	if (p->n != want)
		return dot_err_set(e, DOT_EAUDIT_PROOF_LENGTH,
				   "proof for (%" PRIu64 ", %" PRIu64 ") "
				   "needs %zu hashes, has %zu",
				   p->index, p->size, want, p->n);
	return DOT_OK;
}

int
dot_audit_proof_encode(const struct dot_audit_proof *p, struct dot_buf *out)
{
	if (proof_check(p, NULL) != DOT_OK)
		return DOT_EINVAL;
	dot_enc_map(out, 5);
	dot_enc_uint(out, 1);
	dot_enc_uint(out, DOT_AUDIT_FORMAT_VERSION);
	dot_enc_uint(out, 2);
	dot_enc_uint(out, (uint64_t)p->kind);
	dot_enc_uint(out, 3);
	dot_enc_uint(out, p->index);
	dot_enc_uint(out, 4);
	dot_enc_uint(out, p->size);
	dot_enc_uint(out, 5);
	dot_enc_array(out, p->n);
	for (size_t i = 0; i < p->n; i++)
		dot_enc_bstr(out, p->hashes[i], H);
	return out->err;
}

int
dot_audit_proof_parse(const uint8_t *buf, size_t n, struct dot_audit_proof *p,
		      struct dot_err *e)
{
	const int code = DOT_EAUDIT_PROOF_FORMAT;
	struct dot_dec d;
	uint64_t npairs, v;
	int rv;

	memset(p, 0, sizeof(*p));
	rv = dot_dec_init(&d, buf, n, &audit_limits, e);
	if (rv != DOT_OK)
		goto out;
	if (dot_dec_map(&d, &npairs) != DOT_OK || npairs != 5) {
		rv = dot_err_set(e, code, "proof is not a map of 5 fields");
		goto out;
	}
	if ((rv = rd_key(&d, 1, code, "proof", e)) != DOT_OK ||
	    (rv = rd_uint(&d, &v, code, "proof version", e)) != DOT_OK)
		goto out;
	if (v != DOT_AUDIT_FORMAT_VERSION) {
		rv = dot_err_set(
		    e, code, "proof version %" PRIu64 ", this build reads %d",
		    v, DOT_AUDIT_FORMAT_VERSION);
		goto out;
	}
	if ((rv = rd_key(&d, 2, code, "proof", e)) != DOT_OK ||
	    (rv = rd_uint(&d, &v, code, "proof kind", e)) != DOT_OK)
		goto out;
	if (v != DOT_AUDIT_PROOF_INCLUSION &&
	    v != DOT_AUDIT_PROOF_CONSISTENCY) {
		rv = dot_err_set(e, code, "unknown proof kind %" PRIu64, v);
		goto out;
	}
	p->kind = (int)v;
	if ((rv = rd_key(&d, 3, code, "proof", e)) != DOT_OK ||
	    (rv = rd_uint(&d, &p->index, code, "proof index", e)) != DOT_OK ||
	    (rv = rd_key(&d, 4, code, "proof", e)) != DOT_OK ||
	    (rv = rd_uint(&d, &p->size, code, "proof size", e)) != DOT_OK ||
	    (rv = rd_key(&d, 5, code, "proof", e)) != DOT_OK ||
	    (rv = rd_hashes(&d, p->hashes, &p->n, code, "proof", e)) != DOT_OK)
		goto out;
	rv = proof_check(p, e);
out:
	if (rv != DOT_OK)
		memset(p, 0, sizeof(*p));
	return rv;
}

/* ---- the in-memory store ---- */

struct level {
	uint8_t (*h)[H];
	size_t len, cap;
};

struct dot_audit_memstore {
	struct dot_audit_frontier f;
	struct level lv[DOT_AUDIT_MAX_FRONTIER];
};

int
dot_audit_memstore_new(struct dot_audit_memstore **out)
{
	*out = dot_calloc(1, sizeof(**out));
	return *out ? DOT_OK : DOT_ENOMEM;
}

void
dot_audit_memstore_free(struct dot_audit_memstore *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < DOT_AUDIT_MAX_FRONTIER; i++)
		dot_free(m->lv[i].h);
	dot_free(m);
}

static int
mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[H])
{
	struct dot_audit_memstore *m = ctx;
	struct level *l = &m->lv[level];

	/* Room was reserved before the append; nodes come in order. */
	if (index != l->len || l->len == l->cap)
		return DOT_EINVAL;
	memcpy(l->h[l->len++], hash, H);
	return DOT_OK;
}

int
dot_audit_memstore_append(struct dot_audit_memstore *m, const uint8_t leaf[H])
{
	unsigned top;

	if (m->f.size == UINT64_MAX)
		return DOT_ERANGE;
	/* Levels 0..ctz(size + 1) each gain one node: make room in all of
	 * them first, so that a failure changes nothing. */
	top = (unsigned)__builtin_ctzll(m->f.size + 1);
	for (unsigned i = 0; i <= top; i++) {
		struct level *l = &m->lv[i];
		void *p;
		size_t cap;

		if (l->len < l->cap)
			continue;
		cap = l->cap ? 2 * l->cap : 16;
		if (cap > SIZE_MAX / H)
			return DOT_ENOMEM;
		p = dot_realloc(l->h, cap * H);
		if (p == NULL)
			return DOT_ENOMEM;
		l->h = p;
		l->cap = cap;
	}
	return dot_audit_frontier_append(&m->f, leaf, mem_put, m);
}

uint64_t
dot_audit_memstore_size(const struct dot_audit_memstore *m)
{
	return m->f.size;
}

const struct dot_audit_frontier *
dot_audit_memstore_frontier(const struct dot_audit_memstore *m)
{
	return &m->f;
}

static int
mem_node(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	const struct dot_audit_memstore *m = ctx;

	if (level >= DOT_AUDIT_MAX_FRONTIER || index >= m->lv[level].len)
		return DOT_EAUDIT_STORE;
	memcpy(out, m->lv[level].h[index], H);
	return DOT_OK;
}

struct dot_audit_store
dot_audit_memstore_store(struct dot_audit_memstore *m)
{
	struct dot_audit_store s = {m, mem_node};

	return s;
}
