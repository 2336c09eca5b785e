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
 *   (cd tests/fuzz/corpus/audit && rm -f qr-* cp-pq-* bad-pq-* vkey-pq*)
 *   /tmp/gen_qreceipt_corpus tests/fuzz/corpus/audit
 *
 * Seeds are small (< 1 KB), deterministic (Ed25519 signs deterministically)
 * and both valid ("qr-ok-*": they verify against the voters) and not
 * ("qr-bad-*": each one refusal of the verifier or the parser).
 *
 * Then the composite seeds (ML-DSA-65 + Ed25519, deterministic too: dot_sign
 * signs with rnd zero): "qr-pq-*", receipts of the fixture's mixed
 * cluster, and "cp-pq-*", "bad-pq-*" and "vkey-pq*", notes and verifier
 * keys for fuzz_audit's key set, which holds the first composite voter
 * (docs/audit-format.md §5, type 0xff). Each is checked for its verdict
 * before it is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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

/* Signer w: fx.sk[w] for w < PQ, else the composite fx.pq[w - PQ]. */
#define PQ 10
static const struct dot_sign_sk *
sk_of(int w)
{
	return w < PQ ? fx.sk[w] : fx.pq[w - PQ];
}

static const struct dot_audit_vkey *
vk_of(int w)
{
	return w < PQ ? &fx.vk[w] : &fx.pqvk[w - PQ];
}

/* A checkpoint of the first `size` records signed by keys who[0..n). */
static void
checkpoint(const int *who, size_t n, uint64_t size, struct dot_buf *out)
{
	struct dot_buf a = {0}, b = {0};
	int rv;

	rv = dot_audit_checkpoint_sign(
	    QR_ORIGIN, strlen(QR_ORIGIN), size, fx.roots[size], sk_of(who[0]),
	    vk_of(who[0])->name, vk_of(who[0])->name_len, &a, NULL);
	for (size_t i = 1; i < n && rv == DOT_OK; i++) {
		b.len = 0;
		rv = dot_audit_note_cosign((const char *)a.data, a.len,
					   sk_of(who[i]), vk_of(who[i])->name,
					   vk_of(who[i])->name_len, &b, NULL);
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

/* Encode, check the verdict against the voters `keys`, write. */
static void
emit_keys(const char *name, const struct dot_audit_qreceipt *q,
	  const struct dot_audit_vkey *keys, size_t quorum, int want)
{
	struct dot_audit_qreceipt p;
	struct dot_audit_qreceipt_result res;
	struct dot_buf b = {0};
	int rv = dot_audit_qreceipt_encode(q, &b);

	if (rv != DOT_OK)
		die(name, rv);
	rv = dot_audit_qreceipt_parse(b.data, b.len, &p, NULL);
	if (rv == DOT_OK)
		rv = dot_audit_qreceipt_verify(&p, keys, QR_VOTERS, quorum,
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

static void
emit(const char *name, const struct dot_audit_qreceipt *q, size_t quorum,
     int want)
{
	emit_keys(name, q, fx.vk, quorum, want);
}

/* Change one base64 character of the signature line `line` (1-based) of
 * a note, `at` characters into its base64. */
static void
flip_b64(struct dot_buf *note, int line, size_t at)
{
	uint8_t *end = note->data + note->len;
	uint8_t *p = memmem(note->data, note->len, "\n\n", 2);

	if (p == NULL)
		die("note", DOT_EINVAL);
	p += 2;
	for (int i = 1; i < line; i++)
		p = (uint8_t *)memchr(p, '\n', (size_t)(end - p)) + 1;
	p = memchr(p + 4, ' ', (size_t)(end - p - 4));
	if (p == NULL || (size_t)(end - p) < at + 2)
		die("note", DOT_EINVAL);
	p[1 + at] = p[1 + at] == 'A' ? 'B' : 'A';
}

/* A note: the text of `base` and one line "— name base64(id || sig)". */
static void
note_line(const struct dot_buf *base, const char *name, uint32_t id,
	  const uint8_t *sig, size_t n, struct dot_buf *out)
{
	static uint8_t raw[4 + DOT_SIGN_SIG_MAX];
	static char b64[2 * sizeof(raw)];
	const uint8_t *t = memmem(base->data, base->len, "\n\n", 2);

	if (t == NULL || n > DOT_SIGN_SIG_MAX)
		die("note", DOT_EINVAL);
	raw[0] = (uint8_t)(id >> 24);
	raw[1] = (uint8_t)(id >> 16);
	raw[2] = (uint8_t)(id >> 8);
	raw[3] = (uint8_t)id;
	memcpy(raw + 4, sig, n);
	sodium_bin2base64(b64, sizeof(b64), raw, 4 + n,
			  sodium_base64_VARIANT_ORIGINAL);
	out->len = 0;
	dot_buf_put(out, base->data, (size_t)(t + 2 - base->data));
	dot_buf_put(out, "\xe2\x80\x94 ", 4);
	dot_buf_put(out, name, strlen(name));
	dot_buf_put(out, " ", 1);
	dot_buf_put(out, b64, strlen(b64));
	dot_buf_put(out, "\n", 1);
}

/* Check a note's verdict under the first composite voter's key, write. */
static void
emit_note(const char *name, const struct dot_buf *note, int want)
{
	struct dot_audit_checkpoint *c = NULL;
	int rv = dot_audit_checkpoint_open((const char *)note->data, note->len,
					   &fx.pqvk[0], 1, QR_ORIGIN,
					   strlen(QR_ORIGIN), &c, NULL);

	dot_audit_checkpoint_free(c);
	if (rv != want) {
		fprintf(stderr, "%s: %s, want %s\n", name, dot_errname(rv),
			dot_errname(want));
		exit(1);
	}
	put(name, note);
}

/* The composite seeds (see the top). */
static void
composite_seeds(void)
{
	static const int mixed[] = {0, PQ, PQ + 1}, two[] = {PQ + 1, PQ},
			 one[] = {PQ}, ed_pq[] = {PQ, 0},
			 outsider[] = {PQ + 2, 0}, cos[] = {PQ, PQ + 1};
	struct dot_buf note = {0}, b = {0};
	struct dot_audit_qreceipt q;
	static uint8_t raw[4 + DOT_SIGN_SIG_MAX];
	const struct dot_audit_vkey *k = &fx.pqvk[0];
	size_t n;

	/* Receipts of the mixed cluster. */
	checkpoint(mixed, 3, QR_LOG, &note);
	qreceipt(4, QR_LOG, &note, &q);
	emit_keys("qr-pq-ok-3of3", &q, fx.mixed, 3, DOT_OK);
	checkpoint(two, 2, QR_LOG, &note);
	qreceipt(1, QR_LOG, &note, &q);
	emit_keys("qr-pq-ok-2of3", &q, fx.mixed, 2, DOT_OK);
	checkpoint(ed_pq, 2, 4, &note);
	qreceipt(3, 4, &note, &q);
	emit_keys("qr-pq-ok-refused-tx", &q, fx.mixed, 2, DOT_OK);
	checkpoint(one, 1, QR_LOG, &note);
	qreceipt(2, QR_LOG, &note, &q);
	emit_keys("qr-pq-bad-minority", &q, fx.mixed, 2, DOT_EAUDIT_QUORUM);
	checkpoint(outsider, 2, QR_LOG, &note);
	qreceipt(2, QR_LOG, &note, &q);
	emit_keys("qr-pq-bad-outsider", &q, fx.mixed, 2, DOT_EAUDIT_QUORUM);
	checkpoint(mixed, 3, QR_LOG, &note);
	qreceipt(5, QR_LOG, &note, &q);
	memcpy(q.tx_id, fx.txid[2], DOT_TX_ID_LEN);
	emit_keys("qr-pq-bad-other-tx", &q, fx.mixed, 2,
		  DOT_EAUDIT_QRECEIPT_TX);
	flip_b64(&note, 2, 2000); /* the first composite line, ML-DSA part */
	qreceipt(2, QR_LOG, &note, &q);
	emit_keys("qr-pq-bad-signature", &q, fx.mixed, 2, DOT_EAUDIT_SIGNATURE);

	/* Notes for fuzz_audit's key set. */
	checkpoint(one, 1, QR_LOG, &note);
	emit_note("cp-pq-node", &note, DOT_OK);
	checkpoint(cos, 2, 3, &b);
	emit_note("cp-pq-cosigned", &b, DOT_OK);
	checkpoint(ed_pq, 2, 1, &b);
	emit_note("cp-pq-mixed", &b, DOT_OK);
	/* The composite signature's Ed25519 half alone, under its key id;
	 * the signature one byte short; under another identifier's key id. */
	{
		const uint8_t *t = memmem(note.data, note.len, "\n\n", 2);
		const char *l = (const char *)t + 2 + 4 + k->name_len + 1;

		if (sodium_base642bin(
			raw, sizeof(raw), l,
			note.len - (size_t)(l - (const char *)note.data) - 1,
			NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    n != 4 + DOT_SIGN_SIG_MAX - 1)
			die("composite line", DOT_EINVAL);
	}
	note_line(&note, k->name, k->key_id, raw + 4 + 3309, 64, &b);
	emit_note("bad-pq-ed-half", &b, DOT_EAUDIT_SIGNATURE);
	note_line(&note, k->name, k->key_id, raw + 4, DOT_SIGN_SIG_MAX - 2, &b);
	emit_note("bad-pq-truncated", &b, DOT_EAUDIT_SIGNATURE);
	{
		static const char other[] = "id-MLDSA44-Ed25519-SHA512";
		crypto_hash_sha256_state h;
		uint8_t d[32], ff = 0xff;

		crypto_hash_sha256_init(&h);
		crypto_hash_sha256_update(&h, (const uint8_t *)k->name,
					  k->name_len);
		crypto_hash_sha256_update(&h, (const uint8_t *)"\n", 1);
		crypto_hash_sha256_update(&h, &ff, 1);
		crypto_hash_sha256_update(&h, (const uint8_t *)other,
					  strlen(other));
		crypto_hash_sha256_update(&h, k->key + 1, k->key_len - 1);
		crypto_hash_sha256_final(&h, d);
		note_line(&note, k->name,
			  (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
			      (uint32_t)d[2] << 8 | d[3],
			  raw + 4, DOT_SIGN_SIG_MAX - 1, &b);
		emit_note("bad-pq-other-ident", &b, DOT_EAUDIT_NO_KNOWN_SIGNER);
	}
	/* The verifier keys: the first composite voter's, and the mixed
	 * cluster's other two (a keys file of them, tests/cli/run.sh). */
	b.len = 0;
	if (dot_audit_vkey_encode(k, &b) != DOT_OK)
		die("vkey", DOT_EINVAL);
	put("vkey-pq", &b);
	b.len = 0;
	if (dot_audit_vkey_encode(&fx.mixed[2], &b) != DOT_OK)
		die("vkey", DOT_EINVAL);
	put("vkey-pq-voter2", &b);
	b.len = 0;
	if (dot_audit_vkey_encode(&fx.mixed[0], &b) != DOT_OK)
		die("vkey", DOT_EINVAL);
	put("vkey-pq-voter0", &b);
	dot_buf_free(&b);
	dot_buf_free(&note);
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

	composite_seeds();

	dot_buf_free(&b);
	dot_buf_free(&pb);
	dot_buf_free(&note);
	return 0;
}
