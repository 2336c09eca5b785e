/*
 * cache.c - the verified-chain cache.
 *
 * An entry is the key K_i = BLAKE2b-256("dot-token-v1 cache" || D(issuer
 * key) || rid_i), D the key digest below, of a prefix (blocks 0..i) whose signatures all verified under that
 * issuer key. rid_i commits to every byte of the prefix (docs/token-format.md
 * §5), and whether a prefix's signatures verify depends on nothing else, so
 * a hit can skip exactly those signature checks. Narrowing, depth,
 * revocation and caveats are not cached: they are re-checked on every call,
 * so the cache never accepts what a cold verify refuses.
 *
 * Two-way set associative, least recently used of the two evicted. Not
 * thread-safe: one cache per thread, or a lock around verify.
 */
#include <string.h>

#include "doteros/heap.h"
#include "token_int.h"

static const char dom_cache[] = "dot-token-v1 cache";

struct entry {
	uint8_t key[DOT_HASH_LEN];
	uint64_t used; /* 0: empty */
};

/* The last key whose digest (and id) was asked for: a node asks for the
 * same issuer's or holder's key tx after tx, and a composite key is 1985
 * bytes to hash. */
struct memo {
	uint8_t pk[DOT_SIGN_PK_MAX];
	size_t len; /* 0: empty */
	uint8_t digest[DOT_HASH_LEN];
	uint8_t id[DOT_KEY_ID_LEN];
	int has_id;
};

struct dot_token_cache {
	struct entry *e;
	size_t nsets; /* power of two; 2 entries per set */
	uint64_t clock;
	struct dot_token_cache_stats st;
	struct memo m;
};

int
dot_token_cache_new(struct dot_token_cache **out, size_t capacity)
{
	struct dot_token_cache *c;
	size_t sets = 1;

	*out = NULL;
	if (capacity == 0 || capacity > ((size_t)1 << 24))
		return DOT_ERANGE;
	while (sets * 2 < capacity)
		sets <<= 1;
	c = dot_calloc(1, sizeof(*c));
	if (c == NULL)
		return DOT_ENOMEM;
	c->e = dot_calloc(sets * 2, sizeof(*c->e));
	if (c->e == NULL) {
		dot_free(c);
		return DOT_ENOMEM;
	}
	c->nsets = sets;
	*out = c;
	return DOT_OK;
}

void
dot_token_cache_free(struct dot_token_cache *c)
{
	if (c == NULL)
		return;
	dot_free(c->e);
	dot_free(c);
}

void
dot_token_cache_clear(struct dot_token_cache *c)
{
	memset(c->e, 0, c->nsets * 2 * sizeof(*c->e));
	memset(&c->m, 0, sizeof(c->m));
	memset(&c->st, 0, sizeof(c->st));
	c->clock = 0;
}

void
dot_token_cache_stats(const struct dot_token_cache *c,
		      struct dot_token_cache_stats *s)
{
	*s = c->st;
}

void
dot_token__key_digest(const uint8_t *pk, size_t n, uint8_t out[DOT_HASH_LEN])
{
	static const char dom[] = "dot-key-v1 digest";
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom, sizeof(dom) - 1);
	dot_hash_update(&h, pk, n);
	dot_hash_final(&h, out);
}

/* The memo for pk: the same bytes as last time, or made anew. NULL when
 * pk is too long to keep (no valid key is). */
static struct memo *
memo_of(struct dot_token_cache *c, const uint8_t *pk, size_t n)
{
	struct memo *m = &c->m;

	if (n == 0 || n > sizeof(m->pk))
		return NULL;
	if (m->len == n && memcmp(m->pk, pk, n) == 0)
		return m;
	memcpy(m->pk, pk, n);
	m->len = n;
	m->has_id = 0;
	dot_token__key_digest(pk, n, m->digest);
	return m;
}

void
dot_token__cache_key_digest(struct dot_token_cache *c, const uint8_t *pk,
			    size_t n, uint8_t out[DOT_HASH_LEN])
{
	struct memo *m = c != NULL ? memo_of(c, pk, n) : NULL;

	if (m == NULL)
		dot_token__key_digest(pk, n, out);
	else
		memcpy(out, m->digest, DOT_HASH_LEN);
}

void
dot_token__cache_key_id(struct dot_token_cache *c, const uint8_t *pk,
			size_t n, uint8_t id[DOT_KEY_ID_LEN])
{
	struct memo *m = c != NULL ? memo_of(c, pk, n) : NULL;

	if (m == NULL) {
		dot_key_id(pk, n, id);
		return;
	}
	if (!m->has_id) {
		dot_key_id(pk, n, m->id);
		m->has_id = 1;
	}
	memcpy(id, m->id, DOT_KEY_ID_LEN);
}

static void
cache_key(uint8_t out[DOT_HASH_LEN], const uint8_t digest[DOT_HASH_LEN],
	  const uint8_t rid[DOT_RID_LEN])
{
	struct dot_hash_ctx h;

	dot_hash_init(&h);
	dot_hash_update(&h, dom_cache, sizeof(dom_cache) - 1);
	dot_hash_update(&h, digest, DOT_HASH_LEN);
	dot_hash_update(&h, rid, DOT_RID_LEN);
	dot_hash_final(&h, out);
}

static struct entry *
set_of(struct dot_token_cache *c, const uint8_t key[DOT_HASH_LEN])
{
	uint64_t x;

	memcpy(&x, key, sizeof(x));
	return &c->e[(x & (c->nsets - 1)) * 2];
}

static int
has(struct dot_token_cache *c, const uint8_t key[DOT_HASH_LEN])
{
	struct entry *s = set_of(c, key);

	for (int i = 0; i < 2; i++)
		if (s[i].used && memcmp(s[i].key, key, DOT_HASH_LEN) == 0) {
			s[i].used = ++c->clock;
			return 1;
		}
	return 0;
}

static void
put(struct dot_token_cache *c, const uint8_t key[DOT_HASH_LEN])
{
	struct entry *s = set_of(c, key), *victim;

	for (int i = 0; i < 2; i++)
		if (s[i].used && memcmp(s[i].key, key, DOT_HASH_LEN) == 0) {
			s[i].used = ++c->clock;
			return;
		}
	victim = s[0].used <= s[1].used ? &s[0] : &s[1];
	if (victim->used == 0)
		c->st.entries++;
	memcpy(victim->key, key, DOT_HASH_LEN);
	victim->used = ++c->clock;
}

size_t
dot_token__cache_lookup(struct dot_token_cache *c, const uint8_t *ipk,
			size_t ipklen, const struct dot_token *tok)
{
	uint8_t key[DOT_HASH_LEN], d[DOT_HASH_LEN];

	dot_token__cache_key_digest(c, ipk, ipklen, d);
	/* Longest prefix first: a repeat costs one probe. */
	for (size_t i = tok->nblocks; i-- > 0;) {
		cache_key(key, d, tok->blocks[i].rid);
		if (has(c, key)) {
			c->st.hits++;
			return i + 1;
		}
	}
	c->st.misses++;
	return 0;
}

void
dot_token__cache_insert(struct dot_token_cache *c, const uint8_t *ipk,
			size_t ipklen, const struct dot_token *tok, size_t from)
{
	uint8_t key[DOT_HASH_LEN], d[DOT_HASH_LEN];

	dot_token__cache_key_digest(c, ipk, ipklen, d);
	for (size_t i = from; i < tok->nblocks; i++) {
		cache_key(key, d, tok->blocks[i].rid);
		put(c, key);
	}
}

void
dot_token__cache_count_sig(struct dot_token_cache *c)
{
	c->st.sig_checks++;
}

int
dot_token__cache_probe(struct dot_token_cache *c,
		       const uint8_t key[DOT_HASH_LEN])
{
	return has(c, key);
}

void
dot_token__cache_add(struct dot_token_cache *c, const uint8_t key[DOT_HASH_LEN])
{
	put(c, key);
}
