/*
 * peers.c - the map from channel keys to accounts (peers.h).
 *
 * A channel's static key is the X25519 (Montgomery) form of a ledger
 * Ed25519 key (decision 0013), so the node maps every level key once with
 * dot_sign_pk_to_kx and looks peers up by the mapped form. The map is
 * rebuilt only when dot_state_keys_epoch moves (a genesis, account.create,
 * account.set-level or account.set-expiry was applied), so a handshake
 * costs one binary search; a rebuild costs one pass over the level_keys
 * table and one field inversion per key (about 20 us), bounded by
 * DOTD_PEERS_MAX keys.
 *
 * Each key carries its account's expiry (decision 0015). An expiry passes
 * without any change to the state, so the map also keeps the earliest
 * expiry still ahead: dotd_peers_expiry_due answers "has one passed?" in
 * constant time every tick, and only then scans the map for the next.
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
	size_t pklen, uint64_t expires)
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
	k->expires = expires;
	memcpy(k->account, account, alen + 1);
	if (expires < p->next_expiry)
		p->next_expiry = expires;
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
	p->next_expiry = DOT_STATE_NO_EXPIRY;
	rv = dot_state_level_keys(st, add_key, p, e);
	if (rv != DOT_OK) {
		p->n = 0;
		p->next_expiry = DOT_STATE_NO_EXPIRY;
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

/* The index of the first entry whose key is >= kx. */
static size_t
lower_bound(const struct dotd_peers *p, const uint8_t kx[DOT_NET_KEY_LEN])
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(p->keys[mid].kx, kx, DOT_NET_KEY_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct dotd_peer_key *
dotd_peers_find(const struct dotd_peers *p, const uint8_t kx[DOT_NET_KEY_LEN],
		uint64_t now, const struct dotd_peer_key **expired)
{
	const struct dotd_peer_key *first = NULL;

	if (expired != NULL)
		*expired = NULL;
	/* Entries of one key are adjacent, in account order. */
	for (size_t i = lower_bound(p, kx);
	     i < p->n && memcmp(p->keys[i].kx, kx, DOT_NET_KEY_LEN) == 0;
	     i++) {
		if (now < p->keys[i].expires)
			return &p->keys[i];
		if (first == NULL)
			first = &p->keys[i];
	}
	if (expired != NULL)
		*expired = first;
	return NULL;
}

int
dotd_peers_holds(const struct dotd_peers *p,
		 const uint8_t kx[DOT_NET_KEY_LEN], const char *account,
		 uint64_t now)
{
	for (size_t i = lower_bound(p, kx);
	     i < p->n && memcmp(p->keys[i].kx, kx, DOT_NET_KEY_LEN) == 0;
	     i++)
		if (strcmp(p->keys[i].account, account) == 0)
			return now < p->keys[i].expires;
	return 0;
}

int
dotd_peers_expiry_due(struct dotd_peers *p, uint64_t now)
{
	uint64_t next = DOT_STATE_NO_EXPIRY;

	if (now < p->next_expiry)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->keys[i].expires > now && p->keys[i].expires < next)
			next = p->keys[i].expires;
	p->next_expiry = next;
	return 1;
}

void
dotd_peers_free(struct dotd_peers *p)
{
	if (p == NULL)
		return;
	free(p->keys);
	memset(p, 0, sizeof(*p));
}
