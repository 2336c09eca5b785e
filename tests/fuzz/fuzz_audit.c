/*
 * fuzz_audit.c - signed notes, checkpoints, verifier keys, Merkle proofs
 * and frontiers (docs/audit-format.md).
 *
 * Any input is tried as each of them; none may crash. Then:
 *   - a checkpoint that opens under the fixed key set has fields that
 *     rebuild its text exactly, and takes a cosignature that opens again;
 *   - a proof or a frontier that parses encodes back to the same bytes (one
 *     value, one encoding); a proof that verifies against the fixed tree of
 *     100 leaves is the very proof the tree generates (proofs are unique);
 *   - a verifier key that parses encodes back to the same text;
 *   - a quorum receipt that parses encodes back to the same bytes; one
 *     that verifies against the voters of the fixed cluster
 *     (qreceipt_fixture.h) verifies again step by step, and its record is
 *     the fixed log's record at its seq.
 * A mismatch aborts, which libFuzzer and the corpus replay both report.
 *
 * The fixed key set holds Ed25519 and composite ML-DSA-65 + Ed25519 keys
 * (signature types 0x01 and 0xff, docs/audit-format.md §5); an opened
 * checkpoint is cosigned by one of each.
 *
 * Seeds: tests/fuzz/corpus/audit (notes signed by the key of
 * golang.org/x/mod/sumdb/note's tests, "PeterNeumann", and by a fixed
 * Doteros node key; proofs and frontiers of the fixed tree; quorum
 * receipts "qr-*" of the fixed cluster, and the composite seeds "qr-pq-*",
 *  "cp-pq-*", "bad-pq-*" and "vkey-pq*", written by gen_qreceipt_corpus.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/audit.h"
#include "doteros/buf.h"
#include "doteros/crypto.h"
#include "doteros/tx.h"
#include "qreceipt_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TREE 100
#define NK   3 /* Peter, a node, the fixture's first composite voter */

static int ready;
static struct dot_audit_vkey keys[NK];
static struct dot_sign_sk *cosigner;
static struct dot_audit_vkey cosigner_key;
static struct dot_audit_memstore *tree;
static uint8_t leaves[TREE][DOT_AUDIT_HASH_LEN];
static uint8_t roots[TREE + 1][DOT_AUDIT_HASH_LEN];
static struct qr_fixture qr;

static void
fail(const char *what, int rv)
{
	fprintf(stderr, "fuzz_audit: %s (%s)\n", what, dot_errname(rv));
	abort();
}

static void
setup(void)
{
	static const char peter[] =
	    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
	    "LDE4izWy10TW";
	struct dot_sign_sk *sk = NULL;
	struct dot_audit_store s;
	uint8_t seed[DOT_SEED_LEN], pk[DOT_SIGN_PK_MAX];
	size_t n;

	if (dot_crypto_init() != DOT_OK)
		fail("crypto init", DOT_ECRYPTO_UNAVAILABLE);
	if (dot_audit_vkey_parse(&keys[0], peter, strlen(peter), NULL) !=
	    DOT_OK)
		fail("Peter's key", DOT_EAUDIT_KEY);
	memset(seed, 0x01, sizeof(seed));
	if (dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519, seed) != DOT_OK)
		fail("node key", DOT_ECRYPTO_KEY);
	n = dot_sign_sk_public(sk, pk);
	if (dot_audit_vkey_from_pk(&keys[1], "doteros.test/node-1", 19, pk,
				   n) != DOT_OK)
		fail("node vkey", DOT_EAUDIT_KEY);
	dot_sign_sk_free(sk);
	memset(seed, 0x7f, sizeof(seed));
	if (dot_sign_sk_from_seed(&cosigner, DOT_SUITE_ED25519, seed) != DOT_OK)
		fail("cosigner key", DOT_ECRYPTO_KEY);
	n = dot_sign_sk_public(cosigner, pk);
	if (dot_audit_vkey_from_pk(&cosigner_key, "fuzz.test/cosigner", 18, pk,
				   n) != DOT_OK)
		fail("cosigner vkey", DOT_EAUDIT_KEY);
	if (dot_audit_memstore_new(&tree) != DOT_OK)
		fail("memstore", DOT_ENOMEM);
	s = dot_audit_memstore_store(tree);
	for (unsigned i = 0; i < TREE; i++) {
		uint8_t d[2] = {(uint8_t)i, (uint8_t)(i >> 8)};

		dot_audit_hash_leaf(leaves[i], d, sizeof(d));
		if (dot_audit_memstore_append(tree, leaves[i]) != DOT_OK)
			fail("append", DOT_ENOMEM);
	}
	for (unsigned i = 0; i <= TREE; i++)
		if (dot_audit_store_root(&s, i, roots[i]) != DOT_OK)
			fail("root", DOT_EAUDIT_STORE);
	if (qr_fixture_init(&qr) != 0)
		fail("quorum receipt fixture", DOT_ENOMEM);
	keys[2] = qr.pqvk[0];
	ready = 1;
}

static void
same(const struct dot_buf *b, const void *data, size_t size, const char *what)
{
	if (b->err)
		fail(what, b->err);
	if (b->len != size || memcmp(b->data, data, size) != 0)
		fail(what, DOT_OK);
}

static void
try_checkpoint(const char *note, size_t size)
{
	struct dot_audit_checkpoint *c = NULL, *c2 = NULL;
	struct dot_buf b = {0}, co = {0}, co2 = {0};
	struct dot_audit_vkey all[NK + 2];
	size_t body;
	int rv;

	rv = dot_audit_checkpoint_open(note, size, keys, NK, NULL, 0, &c, NULL);
	if (rv != DOT_OK) {
		if (c != NULL)
			fail("checkpoint returned on failure", rv);
		return;
	}
	if (c->note.nverified == 0 || c->note.note_len != size ||
	    memcmp(c->note.note, note, size) != 0)
		fail("checkpoint note", DOT_OK);
	/* The fields rebuild the text: sign them afresh and compare. */
	rv = dot_audit_checkpoint_sign(c->origin, c->origin_len, c->size,
				       c->root, cosigner, cosigner_key.name,
				       cosigner_key.name_len, &b, NULL);
	if (rv != DOT_OK)
		fail("re-sign checkpoint", rv);
	body = c->note.text_len - c->ext_len;
	if (b.len < body + 1 || memcmp(b.data, c->note.text, body) != 0 ||
	    b.data[body] != '\n')
		fail("checkpoint text differs from its fields", DOT_OK);
	/* A cosignature opens under the cosigner alone and with the rest. */
	rv = dot_audit_note_cosign(note, size, cosigner, cosigner_key.name,
				   cosigner_key.name_len, &co, NULL);
	if (rv == DOT_OK) {
		memcpy(all, keys, sizeof(keys));
		all[NK] = cosigner_key;
		all[NK + 1] = qr.pqvk[QR_PQ - 1];
		rv = dot_audit_checkpoint_open((const char *)co.data, co.len,
					       all, NK + 1, c->origin,
					       c->origin_len, &c2, NULL);
		if (rv != DOT_OK ||
		    c2->note.nverified != c->note.nverified + 1 ||
		    c2->size != c->size ||
		    memcmp(c2->root, c->root, DOT_AUDIT_HASH_LEN) != 0)
			fail("cosigned checkpoint", rv);
		if (dot_audit_checkpoint_compare(c, c2, NULL) != DOT_OK)
			fail("a note equivocates with its cosigned self", rv);
		dot_audit_checkpoint_free(c2);
		c2 = NULL;
		/* And a composite cosignature (the fixture's outsider). */
		rv = dot_audit_note_cosign((const char *)co.data, co.len,
					   qr.pq[QR_PQ - 1], all[NK + 1].name,
					   all[NK + 1].name_len, &co2, NULL);
		if (rv == DOT_OK) {
			rv = dot_audit_checkpoint_open(
			    (const char *)co2.data, co2.len, all, NK + 2,
			    c->origin, c->origin_len, &c2, NULL);
			if (rv != DOT_OK ||
			    c2->note.nverified != c->note.nverified + 2 ||
			    c2->size != c->size)
				fail("composite cosigned checkpoint", rv);
		} else if (rv != DOT_EAUDIT_DUPLICATE_SIG &&
			   rv != DOT_EAUDIT_TOO_MANY_SIGS &&
			   rv != DOT_EAUDIT_NOTE_TOO_BIG) {
			fail("composite cosign of an opened checkpoint", rv);
		}
	} else if (rv != DOT_EAUDIT_DUPLICATE_SIG &&
		   rv != DOT_EAUDIT_TOO_MANY_SIGS &&
		   rv != DOT_EAUDIT_NOTE_TOO_BIG) {
		fail("cosign of an opened checkpoint", rv);
	}
	/* A leaf of the fixed tree against the checkpoint, when it could
	 * be one of its states. */
	if (c->size > 0 && c->size <= TREE) {
		struct dot_audit_store s = dot_audit_memstore_store(tree);
		struct dot_audit_proof p;

		if (dot_audit_prove_inclusion(&s, c->size - 1, c->size, &p) !=
		    DOT_OK)
			fail("prove", DOT_OK);
		rv = dot_audit_checkpoint_verify_inclusion(
		    c, leaves[c->size - 1], c->size - 1, &p, NULL);
		if ((rv == DOT_OK) !=
		    (memcmp(c->root, roots[c->size], DOT_AUDIT_HASH_LEN) == 0))
			fail("inclusion against a checkpoint", rv);
	}
	dot_audit_checkpoint_free(c2);
	dot_audit_checkpoint_free(c);
	dot_buf_free(&co2);
	dot_buf_free(&co);
	dot_buf_free(&b);
}

static void
try_note(const char *note, size_t size)
{
	struct dot_audit_note *n = NULL;
	int rv = dot_audit_note_open(note, size, keys, NK, &n, NULL);

	if (rv != DOT_OK) {
		if (n != NULL)
			fail("note returned on failure", rv);
		return;
	}
	if (n->nverified == 0 || n->text_len == 0 ||
	    n->text[n->text_len - 1] != '\n' || n->nsigs < n->nverified)
		fail("opened note", DOT_OK);
	for (size_t i = 0; i < n->nsigs; i++)
		if (!dot_audit_name_valid(n->sigs[i].name, n->sigs[i].name_len))
			fail("signature name", DOT_OK);
	dot_audit_note_free(n);
}

static void
try_proof(const uint8_t *data, size_t size)
{
	struct dot_audit_store s;
	struct dot_audit_proof p, g;
	struct dot_buf b = {0};
	int rv;

	if (dot_audit_proof_parse(data, size, &p, NULL) != DOT_OK)
		return;
	rv = dot_audit_proof_encode(&p, &b);
	if (rv != DOT_OK)
		fail("encode a parsed proof", rv);
	same(&b, data, size, "proof re-encoding");
	dot_buf_free(&b);
	if (p.size > TREE)
		return;
	s = dot_audit_memstore_store(tree);
	if (p.kind == DOT_AUDIT_PROOF_INCLUSION) {
		rv =
		    dot_audit_verify_inclusion(p.index, p.size, leaves[p.index],
					       p.hashes[0], p.n, roots[p.size]);
		if (dot_audit_prove_inclusion(&s, p.index, p.size, &g) !=
		    DOT_OK)
			fail("prove inclusion", DOT_OK);
	} else {
		rv = dot_audit_verify_consistency(p.index, p.size,
						  roots[p.index], roots[p.size],
						  p.hashes[0], p.n);
		if (dot_audit_prove_consistency(&s, p.index, p.size, &g) !=
		    DOT_OK)
			fail("prove consistency", DOT_OK);
	}
	/* Sound and complete: it verifies exactly when it is the proof. */
	if ((rv == DOT_OK) !=
	    (g.n == p.n &&
	     memcmp(g.hashes, p.hashes, p.n * DOT_AUDIT_HASH_LEN) == 0))
		fail("proof verification disagrees with generation", rv);
}

static void
try_frontier(const uint8_t *data, size_t size)
{
	struct dot_audit_frontier f;
	struct dot_buf b = {0};
	uint8_t root[DOT_AUDIT_HASH_LEN];
	int rv;

	if (dot_audit_frontier_parse(data, size, &f, NULL) != DOT_OK)
		return;
	rv = dot_audit_frontier_encode(&f, &b);
	if (rv != DOT_OK)
		fail("encode a parsed frontier", rv);
	same(&b, data, size, "frontier re-encoding");
	dot_buf_free(&b);
	dot_audit_frontier_root(&f, root);
	if (f.size < UINT64_MAX) {
		rv = dot_audit_frontier_append(&f, root, NULL, NULL);
		if (rv != DOT_OK)
			fail("append to a parsed frontier", rv);
	}
}

static void
try_vkey(const char *text, size_t size)
{
	struct dot_audit_vkey v;
	struct dot_buf b = {0};
	int rv;

	if (dot_audit_vkey_parse(&v, text, size, NULL) != DOT_OK)
		return;
	rv = dot_audit_vkey_encode(&v, &b);
	if (rv != DOT_OK)
		fail("encode a parsed verifier key", rv);
	same(&b, text, size, "verifier key re-encoding");
	dot_buf_free(&b);
}

/* A receipt that dot_audit_qreceipt_verify accepted, checked again with
 * the pieces it is made of. */
static void
recheck_qreceipt(const struct dot_audit_qreceipt *q,
		 const struct dot_audit_qreceipt_result *res, size_t quorum,
		 const struct dot_audit_vkey *voters)
{
	struct dot_receipt *r = NULL;
	struct dot_audit_checkpoint *c = NULL;
	uint8_t rh[DOT_HASH_LEN], leaf[DOT_AUDIT_HASH_LEN];
	int rv;

	if (res->signers < quorum || res->signers > QR_VOTERS)
		fail("quorum receipt: signers", DOT_OK);
	rv = dot_receipt_parse(q->receipt, q->receipt_len, &r, NULL);
	if (rv != DOT_OK)
		fail("quorum receipt: its receipt", rv);
	if (memcmp(r->tx_id, q->tx_id, DOT_TX_ID_LEN) != 0 ||
	    r->status != res->status || r->ledger_index != res->ledger_index)
		fail("quorum receipt: another tx's receipt", DOT_OK);
	rv = dot_audit_checkpoint_open(q->note, q->note_len, voters, QR_VOTERS,
				       NULL, 0, &c, NULL);
	if (rv != DOT_OK)
		fail("quorum receipt: its checkpoint", rv);
	if (c->note.nverified != res->signers || c->size != res->size)
		fail("quorum receipt: checkpoint fields", DOT_OK);
	dot_receipt_hash(q->receipt, q->receipt_len, rh);
	dot_audit_leaf(q->tx_id, rh, leaf);
	rv = dot_audit_verify_inclusion(
	    q->seq, c->size, leaf, q->proof.hashes[0], q->proof.n, c->root);
	if (rv != DOT_OK || q->proof.index != q->seq ||
	    q->proof.size != c->size)
		fail("quorum receipt: the record is not in the tree", rv);
	/* The voters sign only the fixed log: the checkpoint is one of its
	 * states, and the record is its record. */
	if (c->size > QR_LOG ||
	    memcmp(c->root, qr.roots[c->size], DOT_AUDIT_HASH_LEN) != 0)
		fail("quorum receipt: a root the voters never signed", DOT_OK);
	if (memcmp(leaf, qr.leaves[q->seq], DOT_AUDIT_HASH_LEN) != 0 ||
	    memcmp(q->tx_id, qr.txid[q->seq], DOT_TX_ID_LEN) != 0 ||
	    q->receipt_len != qr.rc[q->seq].len ||
	    memcmp(q->receipt, qr.rc[q->seq].data, q->receipt_len) != 0)
		fail("quorum receipt: another record verifies", DOT_OK);
	dot_audit_checkpoint_free(c);
	dot_receipt_free(r);
}

static void
try_qreceipt(const uint8_t *data, size_t size)
{
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;
	struct dot_buf b = {0};
	int rv;

	if (dot_audit_qreceipt_parse(data, size, &q, NULL) != DOT_OK)
		return;
	rv = dot_audit_qreceipt_encode(&q, &b);
	if (rv != DOT_OK)
		fail("encode a parsed quorum receipt", rv);
	same(&b, data, size, "quorum receipt re-encoding");
	dot_buf_free(&b);
	/* A majority of the voters, any origin; then all of them, and the
	 * cluster's origin; the same with the mixed cluster's voters. */
	for (int v = 0; v < 2; v++) {
		const struct dot_audit_vkey *vk = v == 0 ? qr.vk : qr.mixed;

		rv = dot_audit_qreceipt_verify(&q, vk, QR_VOTERS, 2, NULL, 0,
					       &res, NULL);
		if (rv == DOT_OK)
			recheck_qreceipt(&q, &res, 2, vk);
		rv = dot_audit_qreceipt_verify(&q, vk, QR_VOTERS, QR_VOTERS,
					       QR_ORIGIN, strlen(QR_ORIGIN),
					       &res, NULL);
		if (rv == DOT_OK)
			recheck_qreceipt(&q, &res, QR_VOTERS, vk);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	try_checkpoint((const char *)data, size);
	try_note((const char *)data, size);
	try_proof(data, size);
	try_frontier(data, size);
	try_vkey((const char *)data, size);
	try_qreceipt(data, size);
	return 0;
}
