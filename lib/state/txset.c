/*
 * txset.c - the ids of the txs in the `txs` table, in memory, for the
 * replay check (docs/state-model.md §txs, docs/decisions/0011).
 *
 * An open-addressing table with linear probing and backward-shift
 * deletion (no tombstones), at most half full. Slots are placed by a
 * SipHash of the id under a key drawn when the set is made: tx ids are
 * hashes, but a submitter can grind nonces until ids share a bucket; with
 * a secret key they cannot aim. The key spreads the table only:
 * membership, the one thing apply reads, does not depend on it, so apply
 * stays deterministic.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "doteros/heap.h"
#include "state_int.h"

#define TXSET_MIN 1024u

static size_t
slot_of(const struct txset *s, const uint8_t id[DOT_TX_ID_LEN])
{
	return (size_t)dot_shorthash(s->key, id, DOT_TX_ID_LEN) &
	       (s->cap - 1);
}

int
txset_init(struct txset *s)
{
	size_t got = 0;

	memset(s, 0, sizeof(*s));
	while (got < sizeof(s->key)) {
		ssize_t r = getrandom(s->key + got, sizeof(s->key) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return DOT_ESTATE_STORAGE;
		got += (size_t)r;
	}
	s->slots = dot_calloc(TXSET_MIN, sizeof(*s->slots));
	if (s->slots == NULL)
		return DOT_ENOMEM;
	s->cap = TXSET_MIN;
	return DOT_OK;
}

void
txset_free(struct txset *s)
{
	dot_free(s->slots);
	memset(s, 0, sizeof(*s));
}

void
txset_clear(struct txset *s)
{
	memset(s->slots, 0, s->cap * sizeof(*s->slots));
	s->n = 0;
}

int
txset_has(const struct txset *s, const uint8_t id[DOT_TX_ID_LEN])
{
	for (size_t i = slot_of(s, id);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slots[i].used)
			return 0;
		if (memcmp(s->slots[i].id, id, DOT_TX_ID_LEN) == 0)
			return 1;
	}
}

static void
place(struct txset *s, const uint8_t id[DOT_TX_ID_LEN])
{
	size_t i = slot_of(s, id);

	while (s->slots[i].used)
		i = (i + 1) & (s->cap - 1);
	memcpy(s->slots[i].id, id, DOT_TX_ID_LEN);
	s->slots[i].used = 1;
	s->n++;
}

static int
resize(struct txset *s, size_t cap)
{
	struct txslot *old = s->slots;
	size_t oldcap = s->cap;

	s->slots = dot_calloc(cap, sizeof(*s->slots));
	if (s->slots == NULL) {
		s->slots = old;
		return DOT_ENOMEM;
	}
	s->cap = cap;
	s->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].used)
			place(s, old[i].id);
	dot_free(old);
	return DOT_OK;
}

int
txset_add(struct txset *s, const uint8_t id[DOT_TX_ID_LEN])
{
	if (txset_has(s, id))
		return DOT_OK;
	if (2 * (s->n + 1) > s->cap) {
		int rv;
		if (s->cap > SIZE_MAX / 2 / sizeof(*s->slots))
			return DOT_ENOMEM;
		if ((rv = resize(s, 2 * s->cap)) != DOT_OK)
			return rv;
	}
	place(s, id);
	return DOT_OK;
}

void
txset_del(struct txset *s, const uint8_t id[DOT_TX_ID_LEN])
{
	size_t mask = s->cap - 1, i = slot_of(s, id), j, k;

	for (;; i = (i + 1) & mask) {
		if (!s->slots[i].used)
			return; /* not present */
		if (memcmp(s->slots[i].id, id, DOT_TX_ID_LEN) == 0)
			break;
	}
	/* Backward shift: move later members of the run into the hole when
	 * their home slot is not cyclically in (hole, their slot]. */
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!s->slots[j].used)
			break;
		k = slot_of(s, s->slots[j].id);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			s->slots[i] = s->slots[j];
			i = j;
		}
	}
	s->slots[i].used = 0;
	s->n--;
	/* Shrink when an eighth full or less (not below the minimum). */
	if (s->cap > TXSET_MIN && 8 * s->n <= s->cap)
		(void)resize(s, s->cap / 2);
}
