/*
 * qreceipt_fixture.h - the fixed cluster of the quorum receipt seeds: three
 * voter keys, an outsider's key, and a log of QR_LOG records, shared by
 * fuzz_audit.c (which checks receipts against it) and gen_qreceipt_corpus.c
 * (which writes the seeds tests/fuzz/corpus/audit/qr-*).
 *
 * Everything is derived from fixed seeds, so both programs hold the same
 * keys and the same tree. The voters' keys sign only checkpoints of this
 * log: a checkpoint that verifies under them has one of its roots.
 *
 * Beside them, composite ML-DSA-65 + Ed25519 keys (docs/crypto.md §13.6):
 * a mixed cluster of three voters (the first Ed25519 voter and two
 * composite ones) and a composite outsider (seeds "qr-pq-*" and "cp-pq-*",
 * written after the others, so the Ed25519 seeds are the same bytes).
 */
#ifndef DOT_FUZZ_QRECEIPT_FIXTURE_H
#define DOT_FUZZ_QRECEIPT_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "doteros/audit.h"
#include "doteros/crypto.h"
#include "doteros/tx.h"

#define QR_VOTERS 3
#define QR_KEYS	  (QR_VOTERS + 1) /* the voters, then the outsider */
#define QR_LOG	  6		  /* records in the log */
#define QR_ORIGIN "doteros/5eed5eed5eed5eed"
#define QR_PQ	  3 /* composite keys: two voters, then the outsider */

struct qr_fixture {
	struct dot_sign_sk *sk[QR_KEYS];
	struct dot_audit_vkey vk[QR_KEYS];
	uint8_t txid[QR_LOG][DOT_TX_ID_LEN];
	struct dot_buf rc[QR_LOG]; /* encoded receipts */
	uint8_t leaves[QR_LOG][DOT_AUDIT_HASH_LEN];
	uint8_t roots[QR_LOG + 1][DOT_AUDIT_HASH_LEN]; /* by tree size */
	struct dot_audit_memstore *m;
	struct dot_sign_sk *pq[QR_PQ];
	struct dot_audit_vkey pqvk[QR_PQ];
	struct dot_audit_vkey mixed[QR_VOTERS]; /* vk[0], pqvk[0], pqvk[1] */
};

/* A key from a seed of one byte repeated, named "node-<key id hex>" as
 * dotd names it. 0 or -1. */
static inline int
qr_fixture_key(uint8_t suite, uint8_t b, struct dot_sign_sk **sk,
	       struct dot_audit_vkey *vk)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t seed[DOT_SEED_LEN], pk[DOT_SIGN_PK_MAX];
	uint8_t kid[DOT_KEY_ID_LEN];
	char name[8 + 2 * DOT_KEY_ID_LEN];
	size_t n;

	memset(seed, b, sizeof(seed));
	if (dot_sign_sk_from_seed(sk, suite, seed) != DOT_OK)
		return -1;
	n = dot_sign_sk_public(*sk, pk);
	dot_key_id(pk, n, kid);
	memcpy(name, "node-", 5);
	for (size_t i = 0; i < sizeof(kid); i++) {
		name[5 + 2 * i] = hx[kid[i] >> 4];
		name[6 + 2 * i] = hx[kid[i] & 15];
	}
	return dot_audit_vkey_from_pk(vk, name, 5 + 2 * sizeof(kid), pk, n) ==
		       DOT_OK
		   ? 0
		   : -1;
}

/*
 * Keys from the seeds 0x51.. (voters) and 0x60 (the outsider), named
 * "node-<key id hex>" as dotd names them; composite keys from 0x71..
 * (voters) and 0x78 (the outsider). Record i: tx id 0xa0 + i
 * repeated, a receipt applied (refused with DOT_ETX_EXPIRED for record 3)
 * at ledger entry 10 + i. 0 or -1; the keys and the store are kept
 * (the process ends with them).
 */
static inline int
qr_fixture_init(struct qr_fixture *f)
{
	struct dot_audit_store s;

	memset(f, 0, sizeof(*f));
	for (int k = 0; k < QR_KEYS; k++)
		if (qr_fixture_key(DOT_SUITE_ED25519,
				   (uint8_t)(k < QR_VOTERS ? 0x51 + k : 0x60),
				   &f->sk[k], &f->vk[k]) != 0)
			return -1;
	for (int k = 0; k < QR_PQ; k++)
		if (qr_fixture_key(DOT_SUITE_ED25519_MLDSA65,
				   (uint8_t)(k < QR_PQ - 1 ? 0x71 + k : 0x78),
				   &f->pq[k], &f->pqvk[k]) != 0)
			return -1;
	f->mixed[0] = f->vk[0];
	f->mixed[1] = f->pqvk[0];
	f->mixed[2] = f->pqvk[1];
	if (dot_audit_memstore_new(&f->m) != DOT_OK)
		return -1;
	for (int i = 0; i < QR_LOG; i++) {
		struct dot_receipt r;
		uint8_t rh[DOT_HASH_LEN];

		memset(&r, 0, sizeof(r));
		memset(f->txid[i], 0xa0 + i, DOT_TX_ID_LEN);
		memcpy(r.tx_id, f->txid[i], DOT_TX_ID_LEN);
		r.status = i == 3 ? DOT_ETX_EXPIRED : DOT_OK;
		r.ledger_index = 10 + (uint64_t)i;
		r.entry_time = 1700000000 + (uint64_t)i;
		if (dot_receipt_encode(&r, &f->rc[i], NULL) != DOT_OK)
			return -1;
		dot_receipt_hash(f->rc[i].data, f->rc[i].len, rh);
		dot_audit_leaf(f->txid[i], rh, f->leaves[i]);
		if (dot_audit_memstore_append(f->m, f->leaves[i]) != DOT_OK)
			return -1;
	}
	s = dot_audit_memstore_store(f->m);
	for (int n = 0; n <= QR_LOG; n++)
		if (dot_audit_store_root(&s, (uint64_t)n, f->roots[n]) !=
		    DOT_OK)
			return -1;
	return 0;
}

#endif
