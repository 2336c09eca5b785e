/*
 * peers.c - the map from channel keys to accounts (peers.h).
 *
 * A channel's static key is the X25519 (Montgomery) form of a ledger
 * Ed25519 key (decision 0013), so the node maps every level key once with
 * dot_sign_pk_to_kx and looks peers up by the mapped form. The map is
 * rebuilt only when dot_state_keys_epoch moves (a genesis, account.create
 * or account.set-level was applied), so a handshake costs one binary
 * search; a rebuild costs one pass over the level_keys table and one field
 * inversion per key (about 20 us), bounded by DOTD_PEERS_MAX keys.
 */
#include <stdlib.h>
#include <string.h>

#include "doteros/crypto.h"
#include "peers.h"

static int
cmp_key(const void *a, const void *b)
{
	const struct dotd_peer_key *x = a, *y = b;
	int c = memcmp(x->kx, y->kx, DOT_NET_KEY_LEN);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
add_key(void *ctx, const char *account, const char *level, const uint8_t *pk,
	size_t pklen)
{
	struct dotd_peers *p = ctx;
	struct dotd_peer_key *k;
	size_t alen = strlen(account);

	(void)level;
	if (p->n >= DOTD_PEERS_MAX || alen > DOT_NET_MAX_NAME) {
		p->skipped++;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct dotd_peer_key *nk = realloc(p->keys, cap * sizeof(*nk));
		if (nk == NULL)
			return DOT_ENOMEM;
		p->keys = nk;
		p->cap = cap;
	}
	k = &p->keys[p->n];
	if (dot_sign_pk_to_kx(pk, pklen, k->kx) != DOT_OK) {
		p->skipped++; /* not an Ed25519 key: it cannot open a channel */
		return 0;
	}
	k->order = (uint32_t)p->n;
	memcpy(k->account, account, alen + 1);
	p->n++;
	return 0;
}

int
dotd_peers_refresh(struct dotd_peers *p, struct dot_state *st,
		   struct dot_err *e)
{
	uint64_t epoch = dot_state_keys_epoch(st);
	int rv;

	if (p->epoch == epoch)
		return 0;
	p->n = 0;
	p->skipped = 0;
	p->epoch = 0;
	rv = dot_state_level_keys(st, add_key, p, e);
	if (rv != DOT_OK) {
		p->n = 0;
		if (rv == DOT_ENOMEM)
			rv = dot_err_set(e, rv,
					 "out of memory mapping keys "
					 "(%zu so far)",
					 p->cap);
		return rv;
	}
	if (p->n > 1)
		qsort(p->keys, p->n, sizeof(*p->keys), cmp_key);
	p->epoch = epoch;
	return 1;
}

const char *
dotd_peers_find(const struct dotd_peers *p, const uint8_t kx[DOT_NET_KEY_LEN])
{
	size_t lo = 0, hi = p->n;

	/* the first entry whose key is >= kx */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(p->keys[mid].kx, kx, DOT_NET_KEY_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->n && memcmp(p->keys[lo].kx, kx, DOT_NET_KEY_LEN) == 0)
		return p->keys[lo].account;
	return NULL;
}

void
dotd_peers_free(struct dotd_peers *p)
{
	if (p == NULL)
		return;
	free(p->keys);
	memset(p, 0, sizeof(*p));
}
