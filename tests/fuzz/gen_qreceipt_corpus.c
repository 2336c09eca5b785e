/*
 * gen_qreceipt_corpus.c - write the quorum receipt seeds of fuzz_audit
 * (tests/fuzz/corpus/audit/qr-*), receipts of the fixed cluster of
 * qreceipt_fixture.h.
 *
 * Not built by default; run by hand after a format change:
 *
 *   ninja -C build-qr
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -Ilib -Itests/fuzz \
 *      tests/fuzz/gen_qreceipt_corpus.c build-qr/lib/libdoteros.a \
 *      -lsodium -lsqlite3 -lcrypto -o /tmp/gen_qreceipt_corpus
 *   rm -f tests/fuzz/corpus/audit/qr-*
 *   /tmp/gen_qreceipt_corpus tests/fuzz/corpus/audit
 *
 * Seeds are small (< 1 KB), deterministic (Ed25519 signs deterministically)
 * and both valid ("qr-ok-*": they verify against the voters) and not
 * ("qr-bad-*": each one refusal of the verifier or the parser).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/audit.h"
#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/tx.h"
#include "qreceipt_fixture.h"

static const char *dir;
static struct qr_fixture fx;

static void
die(const char *what, int rv)
{
	fprintf(stderr, "gen_qreceipt_corpus: %s: %s\n", what, dot_errname(rv));
	exit(1);
}

static void
put(const char *name, const struct dot_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A checkpoint of the first `size` records signed by keys who[0..n). */
static void
checkpoint(const int *who, size_t n, uint64_t size, struct dot_buf *out)
{
	struct dot_buf a = {0}, b = {0};
	int rv;

	rv = dot_audit_checkpoint_sign(
	    QR_ORIGIN, strlen(QR_ORIGIN), size, fx.roots[size], fx.sk[who[0]],
	    fx.vk[who[0]].name, fx.vk[who[0]].name_len, &a, NULL);
	for (size_t i = 1; i < n && rv == DOT_OK; i++) {
		b.len = 0;
		rv = dot_audit_note_cosign((const char *)a.data, a.len,
					   fx.sk[who[i]], fx.vk[who[i]].name,
					   fx.vk[who[i]].name_len, &b, NULL);
		dot_buf_free(&a);
		a = b;
		b = (struct dot_buf){0};
	}
	if (rv != DOT_OK)
		die("checkpoint", rv);
	out->len = 0;
	dot_buf_put(out, a.data, a.len);
	dot_buf_free(&a);
}

/* Record i's receipt against a checkpoint of `size` records. */
static void
qreceipt(size_t i, uint64_t size, const struct dot_buf *note,
	 struct dot_audit_qreceipt *q)
{
	struct dot_audit_store s = dot_audit_memstore_store(fx.m);
	int rv;

	memset(q, 0, sizeof(*q));
	memcpy(q->tx_id, fx.txid[i], DOT_TX_ID_LEN);
	q->receipt = fx.rc[i].data;
	q->receipt_len = fx.rc[i].len;
	q->seq = i;
	q->note = (const char *)note->data;
	q->note_len = note->len;
	if ((rv = dot_audit_prove_inclusion(&s, i, size, &q->proof)) != DOT_OK)
		die("prove", rv);
}

/* Encode, check the verdict, write. */
static void
emit(const char *name, const struct dot_audit_qreceipt *q, size_t quorum,
     int want)
{
	struct dot_audit_qreceipt p;
	struct dot_audit_qreceipt_result res;
	struct dot_buf b = {0};
	int rv = dot_audit_qreceipt_encode(q, &b);

	if (rv != DOT_OK)
		die(name, rv);
	rv = dot_audit_qreceipt_parse(b.data, b.len, &p, NULL);
	if (rv == DOT_OK)
		rv = dot_audit_qreceipt_verify(&p, fx.vk, QR_VOTERS, quorum,
					       QR_ORIGIN, strlen(QR_ORIGIN),
					       &res, NULL);
	if (rv != want) {
		fprintf(stderr, "%s: %s, want %s\n", name, dot_errname(rv),
			dot_errname(want));
		exit(1);
	}
	put(name, &b);
	dot_buf_free(&b);
}

int
main(int argc, char **argv)
{
	static const int all[] = {0, 1, 2}, two[] = {2, 0}, one[] = {1},
			 outsider[] = {3, 0};
	struct dot_buf note = {0}, b = {0}, pb = {0};
	struct dot_audit_qreceipt q;
	int rv;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if ((rv = dot_crypto_init()) != DOT_OK)
		die("crypto", rv);
	if (qr_fixture_init(&fx) != 0)
		die("fixture", DOT_ENOMEM);

	/* Valid: all three voters; two of them; a refused tx; the first
	 * record of a log of one (an empty proof). */
	checkpoint(all, 3, QR_LOG, &note);
	qreceipt(4, QR_LOG, &note, &q);
	emit("qr-ok-3of3", &q, 3, DOT_OK);
	checkpoint(two, 2, QR_LOG, &note);
	qreceipt(1, QR_LOG, &note, &q);
	emit("qr-ok-2of3", &q, 2, DOT_OK);
	checkpoint(two, 2, 4, &note);
	qreceipt(3, 4, &note, &q);
	emit("qr-ok-refused-tx", &q, 2, DOT_OK);
	checkpoint(all, 3, 1, &note);
	qreceipt(0, 1, &note, &q);
	emit("qr-ok-first", &q, 3, DOT_OK);

	/* Refused by the verifier. */
	checkpoint(one, 1, QR_LOG, &note);
	qreceipt(2, QR_LOG, &note, &q);
	emit("qr-bad-minority", &q, 2, DOT_EAUDIT_QUORUM);
	checkpoint(outsider, 2, QR_LOG, &note);
	qreceipt(2, QR_LOG, &note, &q);
	emit("qr-bad-outsider", &q, 2, DOT_EAUDIT_QUORUM);
	checkpoint(all, 3, QR_LOG, &note);
	qreceipt(5, QR_LOG, &note, &q);
	memcpy(q.tx_id, fx.txid[2], DOT_TX_ID_LEN);
	emit("qr-bad-other-tx", &q, 2, DOT_EAUDIT_QRECEIPT_TX);
	qreceipt(5, QR_LOG, &note, &q);
	q.receipt = fx.rc[2].data;
	q.receipt_len = fx.rc[2].len;
	memcpy(q.tx_id, fx.txid[2], DOT_TX_ID_LEN);
	emit("qr-bad-other-record", &q, 2, DOT_EAUDIT_INCLUSION);
	{
		/* One character of the first signature changed (past the
		 * key id). */
		uint8_t *end = note.data + note.len;
		uint8_t *t = memmem(note.data, note.len, "\n\n", 2);
		uint8_t *sp =
		    t ? memchr(t + 2, ' ', (size_t)(end - t - 2)) : NULL;

		sp = sp ? memchr(sp + 1, ' ', (size_t)(end - sp - 1)) : NULL;
		if (sp == NULL || end - sp < 40)
			die("note", DOT_EINVAL);
		sp[20] = sp[20] == 'A' ? 'B' : 'A';
		qreceipt(2, QR_LOG, &note, &q);
		emit("qr-bad-signature", &q, 2, DOT_EAUDIT_SIGNATURE);
	}

	/* Refused by the parser: seq 3 with record 2's proof (written by
	 * hand: the encoder will not). */
	checkpoint(all, 3, QR_LOG, &note);
	qreceipt(2, QR_LOG, &note, &q);
	if ((rv = dot_audit_proof_encode(&q.proof, &pb)) != DOT_OK)
		die("proof", rv);
	dot_enc_map(&b, 6);
	dot_enc_uint(&b, 1);
	dot_enc_uint(&b, 1);
	dot_enc_uint(&b, 2);
	dot_enc_bstr(&b, q.tx_id, DOT_TX_ID_LEN);
	dot_enc_uint(&b, 3);
	dot_enc_bstr(&b, q.receipt, q.receipt_len);
	dot_enc_uint(&b, 4);
	dot_enc_uint(&b, 3);
	dot_enc_uint(&b, 5);
	dot_enc_bstr(&b, pb.data, pb.len);
	dot_enc_uint(&b, 6);
	dot_enc_tstr(&b, q.note, q.note_len);
	if (b.err || dot_audit_qreceipt_parse(b.data, b.len, &q, NULL) !=
			 DOT_EAUDIT_QRECEIPT_FORMAT)
		die("qr-bad-seq", DOT_EINVAL);
	put("qr-bad-seq", &b);

	dot_buf_free(&b);
	dot_buf_free(&pb);
	dot_buf_free(&note);
	return 0;
}
