/*
 * Quorum receipts (docs/audit-format.md §9, decision 0018): a receipt that
 * proves itself. It carries the tx id, the receipt bytes, the record's
 * place in the log, an inclusion proof, and a checkpoint signed by a
 * quorum of the cluster's voters; anyone holding the voters' verifier keys
 * can check, offline, that a majority applied the tx with that result.
 */
#include <string.h>

#include <sodium.h>

#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/tx.h"

#define QR_VERSION 1

/*
 * Writes only what dot_audit_qreceipt_parse reads back: DOT_EINVAL (and out
 * as it was) for a proof that is not the inclusion proof of record seq, a
 * note that is not UTF-8, or a file over DOT_AUDIT_QRECEIPT_MAX bytes.
 */
int
dot_audit_qreceipt_encode(const struct dot_audit_qreceipt *q,
			  struct dot_buf *out)
{
	struct dot_audit_qreceipt back;
	struct dot_buf proof = {0};
	size_t mark = out->len;
	int rv = dot_audit_proof_encode(&q->proof, &proof);

	if (rv != DOT_OK)
		goto out; /* an ENOMEM may leave proof holding a block */
	dot_enc_map(out, 6);
	dot_enc_uint(out, 1);
	dot_enc_uint(out, QR_VERSION);
	dot_enc_uint(out, 2);
	dot_enc_bstr(out, q->tx_id, sizeof(q->tx_id));
	dot_enc_uint(out, 3);
	dot_enc_bstr(out, q->receipt, q->receipt_len);
	dot_enc_uint(out, 4);
	dot_enc_uint(out, q->seq);
	dot_enc_uint(out, 5);
	dot_enc_bstr(out, proof.data, proof.len);
	dot_enc_uint(out, 6);
	dot_enc_tstr(out, q->note, q->note_len);
	if ((rv = out->err) != DOT_OK)
		goto out;
	if (dot_audit_qreceipt_parse(out->data + mark, out->len - mark, &back,
				     NULL) != DOT_OK) {
		out->len = mark;
		rv = DOT_EINVAL;
	}
out:
	dot_buf_free(&proof);
	return rv;
}

int
dot_audit_qreceipt_parse(const uint8_t *p, size_t n,
			 struct dot_audit_qreceipt *q, struct dot_err *e)
{
	struct dot_dec d;
	uint64_t six, k, ver;
	const uint8_t *id, *pr;
	size_t idl, prl;
	int rv;

	memset(q, 0, sizeof(*q));
	if (n > DOT_AUDIT_QRECEIPT_MAX)
		return dot_err_set(e, DOT_EAUDIT_QRECEIPT_FORMAT,
				   "a quorum receipt is at most %u bytes",
				   DOT_AUDIT_QRECEIPT_MAX);
	rv = dot_dec_init(&d, p, n, NULL, e);
	if (rv != DOT_OK)
		return rv;
	if (dot_dec_map(&d, &six) != DOT_OK || six != 6 ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 1 ||
	    dot_dec_uint(&d, &ver) != DOT_OK || ver != QR_VERSION ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 2 ||
	    dot_dec_bstr(&d, &id, &idl) != DOT_OK || idl != DOT_TX_ID_LEN ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 3 ||
	    dot_dec_bstr(&d, &q->receipt, &q->receipt_len) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 4 ||
	    dot_dec_uint(&d, &q->seq) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 5 ||
	    dot_dec_bstr(&d, &pr, &prl) != DOT_OK ||
	    dot_dec_uint(&d, &k) != DOT_OK || k != 6 ||
	    dot_dec_tstr(&d, &q->note, &q->note_len) != DOT_OK ||
	    !dot_dec_done(&d))
		return dot_err_set(e, DOT_EAUDIT_QRECEIPT_FORMAT,
				   "not a quorum receipt: want {1: 1, 2: tx "
				   "id (32 bytes), 3: receipt, 4: seq, 5: "
				   "proof, 6: cosigned checkpoint}");
	memcpy(q->tx_id, id, DOT_TX_ID_LEN);
	rv = dot_audit_proof_parse(pr, prl, &q->proof, e);
	if (rv != DOT_OK)
		return rv;
	if (q->proof.kind != DOT_AUDIT_PROOF_INCLUSION || q->proof.index != q->seq)
		return dot_err_set(e, DOT_EAUDIT_QRECEIPT_FORMAT,
				   "the proof is not the inclusion proof of "
				   "record %llu",
				   (unsigned long long)q->seq);
	return DOT_OK;
}

int
dot_audit_qreceipt_verify(const struct dot_audit_qreceipt *q,
			  const struct dot_audit_vkey *keys, size_t nkeys,
			  size_t quorum, const char *origin, size_t origin_len,
			  struct dot_audit_qreceipt_result *res,
			  struct dot_err *e)
{
	struct dot_receipt *r = NULL;
	struct dot_audit_checkpoint *cp = NULL;
	uint8_t rh[DOT_HASH_LEN], leaf[DOT_AUDIT_HASH_LEN];
	int rv;

	memset(res, 0, sizeof(*res));
	if (nkeys == 0 || quorum == 0 || quorum > nkeys)
		return dot_err_set(e, DOT_EINVAL,
				   "a quorum of %zu out of %zu keys", quorum,
				   nkeys);
	/*
	 * One voter, one vote: a public key listed under two names would let
	 * its holder sign twice (two lines, two key ids) and count twice. (A
	 * composite key's Ed25519 half listed again is refused when the note
	 * is opened, step 2.)
	 */
	for (size_t i = 1; i < nkeys; i++)
		for (size_t j = 0; j < i; j++)
			if (keys[i].key_len == keys[j].key_len &&
			    keys[i].key_len <= sizeof(keys[i].key) &&
			    memcmp(keys[i].key, keys[j].key, keys[i].key_len) ==
				0)
				return dot_err_set(e, DOT_EAUDIT_KEY,
						   "known keys %zu and %zu "
						   "are one public key",
						   j, i);
	/* 1. the receipt is the tx's */
	rv = dot_receipt_parse(q->receipt, q->receipt_len, &r, e);
	if (rv != DOT_OK)
		goto out;
	if (sodium_memcmp(r->tx_id, q->tx_id, DOT_TX_ID_LEN) != 0) {
		rv = dot_err_set(e, DOT_EAUDIT_QRECEIPT_TX,
				 "the receipt is for another tx");
		goto out;
	}
	res->status = r->status;
	res->ledger_index = r->ledger_index;
	/* 2. the checkpoint: every known key's line verifies */
	rv = dot_audit_checkpoint_open(q->note, q->note_len, keys, nkeys,
				       origin, origin_len, &cp, e);
	if (rv != DOT_OK)
		goto out;
	res->size = cp->size;
	res->signers = cp->note.nverified;
	/* 3. by a quorum of the keys */
	if (cp->note.nverified < quorum) {
		rv = dot_err_set(e, DOT_EAUDIT_QUORUM,
				 "the checkpoint is signed by %zu of the %zu "
				 "keys; a quorum is %zu",
				 cp->note.nverified, nkeys, quorum);
		goto out;
	}
	/* 4. the record (tx id, receipt hash) is in its tree */
	dot_receipt_hash(q->receipt, q->receipt_len, rh);
	dot_audit_leaf(q->tx_id, rh, leaf);
	rv = dot_audit_checkpoint_verify_inclusion(cp, leaf, q->seq, &q->proof,
						   e);
out:
	dot_audit_checkpoint_free(cp);
	dot_receipt_free(r);
	return rv;
}
