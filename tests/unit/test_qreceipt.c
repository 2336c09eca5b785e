/*
 * test_qreceipt.c - quorum receipts (lib/audit/qreceipt.c, audit.h): a
 * receipt that proves, offline, that a majority of a cluster's voters
 * applied a tx with a given result.
 *
 * A real log is built in memory: 37 records, each (a random tx id, the
 * hash of an encoded receipt), as dotd appends them; five voter keys and
 * three keys of outsiders, named "node-<key id hex>" as dotd names them;
 * checkpoints of the log signed and cosigned by some of those keys. Then
 * the round trip of the receipt file, and every way to forge one, each
 * refused with its exact code.
 */
#include <stdint.h>
#include <string.h>

#include "doteros/audit.h"
#include "doteros/buf.h"
#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/heap.h"
#include "doteros/tx.h"
#include "harness.h"

#define HL	DOT_AUDIT_HASH_LEN
#define NREC	37 /* records in the log */
#define NVOTERS 5
#define NOUT	3 /* outsiders: valid keys that are not voters */
#define NKEYS	(NVOTERS + NOUT)
#define QUORUM	3

/* ---- the fixture: a log of receipts and the cluster's keys ---- */

struct fx {
	struct dot_audit_memstore *m;
	struct dot_audit_store s;
	uint8_t txid[NREC][DOT_TX_ID_LEN];
	struct dot_buf rc[NREC];	 /* encoded receipts */
	int status[NREC];		 /* their status */
	struct dot_sign_sk *sk[NKEYS];	 /* voters first, then outsiders */
	struct dot_audit_vkey vk[NKEYS]; /* the same order */
	char origin[64];		 /* "doteros/<cluster id hex>" */
	size_t origin_len;
};

static void
hexs(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
fx_free(struct fx *f)
{
	dot_audit_memstore_free(f->m);
	for (size_t i = 0; i < NREC; i++)
		dot_buf_free(&f->rc[i]);
	for (size_t i = 0; i < NKEYS; i++)
		dot_sign_sk_free(f->sk[i]);
	memset(f, 0, sizeof(*f));
}

/* Record i's receipt: applied (new versions, sometimes a detail) or, for
 * one in five, refused; its ledger entry is not its leaf index. */
static int
fx_receipt(struct fx *f, size_t i, uint64_t *rng)
{
	struct dot_tx_objver vers[2];
	struct dot_receipt r;

	memset(&r, 0, sizeof(r));
	memset(vers, 0, sizeof(vers));
	memcpy(r.tx_id, f->txid[i], DOT_TX_ID_LEN);
	for (size_t k = 0; k < DOT_OBJECT_ID_LEN; k++) {
		vers[0].id[k] = (uint8_t)t_rand(rng);
		vers[1].id[k] = (uint8_t)t_rand(rng);
	}
	vers[0].id[0] = 0x10;
	vers[1].id[0] = 0x90;
	vers[0].version = 1 + i;
	vers[1].version = 7;
	r.status = i % 5 == 3 ? DOT_ETX_EXPIRED : DOT_OK;
	r.versions = r.status == DOT_OK ? vers : NULL;
	r.nversions = r.status == DOT_OK ? 1 + i % 2 : 0;
	r.ledger_index = 100 + 2 * i;
	r.entry_time = 1700000000 + 60 * i;
	if (i % 3 == 0) {
		r.detail = "created";
		r.detail_len = 7;
	}
	f->status[i] = r.status;
	return dot_receipt_encode(&r, &f->rc[i], NULL);
}

static int
fx_init(struct fx *f, uint64_t seed)
{
	uint64_t rng = seed;
	uint8_t cid[8];
	char h[2 * DOT_KEY_ID_LEN + 1];

	memset(f, 0, sizeof(*f));
	if (dot_crypto_init() != DOT_OK ||
	    dot_audit_memstore_new(&f->m) != DOT_OK)
		goto fail;
	f->s = dot_audit_memstore_store(f->m);
	for (size_t i = 0; i < NREC; i++) {
		uint8_t rh[DOT_HASH_LEN], leaf[HL];

		for (size_t k = 0; k < DOT_TX_ID_LEN; k++)
			f->txid[i][k] = (uint8_t)t_rand(&rng);
		if (fx_receipt(f, i, &rng) != DOT_OK)
			goto fail;
		dot_receipt_hash(f->rc[i].data, f->rc[i].len, rh);
		dot_audit_leaf(f->txid[i], rh, leaf);
		if (dot_audit_memstore_append(f->m, leaf) != DOT_OK)
			goto fail;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		uint8_t s[DOT_SEED_LEN], pk[DOT_SIGN_PK_MAX],
		    kid[DOT_KEY_ID_LEN];
		char name[32];
		size_t n;

		for (size_t k = 0; k < sizeof(s); k++)
			s[k] = (uint8_t)t_rand(&rng);
		if (dot_sign_sk_from_seed(&f->sk[i], DOT_SUITE_ED25519, s) !=
		    DOT_OK)
			goto fail;
		n = dot_sign_sk_public(f->sk[i], pk);
		dot_key_id(pk, n, kid);
		hexs(h, kid, sizeof(kid));
		snprintf(name, sizeof(name), "node-%s", h);
		if (dot_audit_vkey_from_pk(&f->vk[i], name, strlen(name), pk,
					   n) != DOT_OK)
			goto fail;
	}
	for (size_t k = 0; k < sizeof(cid); k++)
		cid[k] = (uint8_t)t_rand(&rng);
	hexs(h, cid, sizeof(cid));
	f->origin_len =
	    (size_t)snprintf(f->origin, sizeof(f->origin), "doteros/%s", h);
	return 1;
fail:
	fx_free(f);
	return 0;
}

/*
 * A checkpoint of the first `size` records, signed by keys who[0] (then
 * cosigned by who[1..n)) of the fixture, under `origin` (NULL: the
 * fixture's).
 */
static int
fx_checkpoint(const struct fx *f, const int *who, size_t n, uint64_t size,
	      const char *origin, struct dot_buf *out)
{
	struct dot_buf a = {0}, b = {0};
	uint8_t root[HL];
	int rv;

	out->len = 0;
	if (origin == NULL)
		origin = f->origin;
	rv = dot_audit_store_root(&f->s, size, root);
	if (rv == DOT_OK)
		rv = dot_audit_checkpoint_sign(
		    origin, strlen(origin), size, root, f->sk[who[0]],
		    f->vk[who[0]].name, f->vk[who[0]].name_len, &a, NULL);
	for (size_t i = 1; i < n && rv == DOT_OK; i++) {
		b.len = 0;
		rv = dot_audit_note_cosign((const char *)a.data, a.len,
					   f->sk[who[i]], f->vk[who[i]].name,
					   f->vk[who[i]].name_len, &b, NULL);
		if (rv == DOT_OK) {
			struct dot_buf t = a;

			a = b;
			b = t;
		}
	}
	if (rv == DOT_OK)
		dot_buf_put(out, a.data, a.len);
	dot_buf_free(&a);
	dot_buf_free(&b);
	return rv == DOT_OK ? out->err : rv;
}

/* Record i's quorum receipt against a checkpoint of `size` records. */
static int
fx_qreceipt(const struct fx *f, size_t i, uint64_t size,
	    const struct dot_buf *note, struct dot_audit_qreceipt *q)
{
	memset(q, 0, sizeof(*q));
	memcpy(q->tx_id, f->txid[i], DOT_TX_ID_LEN);
	q->receipt = f->rc[i].data;
	q->receipt_len = f->rc[i].len;
	q->seq = i;
	q->note = (const char *)note->data;
	q->note_len = note->len;
	return dot_audit_prove_inclusion(&f->s, i, size, &q->proof);
}

/* Parse a receipt file and verify it against the first nkeys keys (or
 * keys), a quorum, and the fixture's origin when with_origin. */
static int
check_file(const struct fx *f, const uint8_t *p, size_t n,
	   const struct dot_audit_vkey *keys, size_t nkeys, size_t quorum,
	   int with_origin, struct dot_audit_qreceipt *q,
	   struct dot_audit_qreceipt_result *res)
{
	struct dot_err e = {0, ""};
	int rv = dot_audit_qreceipt_parse(p, n, q, &e);

	if (rv != DOT_OK)
		return rv;
	return dot_audit_qreceipt_verify(q, keys ? keys : f->vk, nkeys, quorum,
					 with_origin ? f->origin : NULL,
					 with_origin ? f->origin_len : 0, res,
					 &e);
}

static int
verify_q(const struct fx *f, const struct dot_audit_qreceipt *q,
	 struct dot_audit_qreceipt_result *res)
{
	return dot_audit_qreceipt_verify(q, f->vk, NVOTERS, QUORUM, f->origin,
					 f->origin_len, res, NULL);
}

static const int first3[] = {0, 1, 2};
static const int first5[] = {0, 1, 2, 3, 4};

/* ---- the file: fields, round trip, verification ---- */

static void
test_roundtrip(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0}, again = {0};
	struct dot_audit_qreceipt q, p;
	struct dot_audit_qreceipt_result res;
	const size_t i = 12;

	REQUIRE(fx_init(&f, 1));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, i, NREC, &note, &q), DOT_OK);
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK(file.len <= DOT_AUDIT_QRECEIPT_MAX);
	/* Canonical CBOR {1: 1, ...}: a map of 6, key 1, version 1. */
	CHECK(file.len > 4 && file.data[0] == 0xa6 && file.data[1] == 0x01 &&
	      file.data[2] == 0x01 && file.data[3] == 0x02);
	REQUIRE_RC(dot_audit_qreceipt_parse(file.data, file.len, &p, NULL),
		   DOT_OK);
	CHECK_MEM(p.tx_id, f.txid[i], DOT_TX_ID_LEN);
	CHECK(p.receipt_len == f.rc[i].len &&
	      memcmp(p.receipt, f.rc[i].data, p.receipt_len) == 0);
	/* Parsed fields point into the buffer. */
	CHECK(p.receipt > file.data && p.receipt < file.data + file.len);
	CHECK((const uint8_t *)p.note > file.data &&
	      (const uint8_t *)p.note + p.note_len == file.data + file.len);
	CHECK(p.seq == i && p.proof.kind == DOT_AUDIT_PROOF_INCLUSION);
	CHECK(p.proof.index == i && p.proof.size == NREC &&
	      p.proof.n == q.proof.n &&
	      memcmp(p.proof.hashes, q.proof.hashes, q.proof.n * HL) == 0);
	CHECK(p.note_len == note.len &&
	      memcmp(p.note, note.data, note.len) == 0);
	/* One value, one encoding. */
	REQUIRE_RC(dot_audit_qreceipt_encode(&p, &again), DOT_OK);
	CHECK(again.len == file.len &&
	      memcmp(again.data, file.data, file.len) == 0);
	/* Three of the five voters: a quorum. */
	CHECK_RC(verify_q(&f, &p, &res), DOT_OK);
	CHECK(res.status == f.status[i] && res.status == DOT_OK);
	CHECK(res.ledger_index == 100 + 2 * i);
	CHECK(res.size == NREC && res.signers == 3);
	/* Without an origin, and with every voter as the quorum's floor. */
	CHECK_RC(dot_audit_qreceipt_verify(&p, f.vk, NVOTERS, 1, NULL, 0, &res,
					   NULL),
		 DOT_OK);
	CHECK(res.signers == 3);
	/* A key list that holds outsiders too: they are simply not
	 * signers. */
	CHECK_RC(dot_audit_qreceipt_verify(&p, f.vk, NKEYS, QUORUM, f.origin,
					   f.origin_len, &res, NULL),
		 DOT_OK);
	CHECK(res.signers == 3);
	dot_buf_free(&again);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

/* Every record against the checkpoint of the whole log and against the
 * smallest checkpoint that holds it; refused records report their status. */
static void
test_every_record(void)
{
	struct fx f;
	struct dot_buf all = {0}, small = {0}, file = {0};
	struct dot_audit_qreceipt q, p;
	struct dot_audit_qreceipt_result res;
	int bad = 0, refused = 0;

	REQUIRE(fx_init(&f, 2));
	REQUIRE_RC(fx_checkpoint(&f, first5, 5, NREC, NULL, &all), DOT_OK);
	for (size_t i = 0; i < NREC; i++) {
		for (int w = 0; w < 2; w++) {
			const struct dot_buf *nt = w ? &small : &all;
			uint64_t size = w ? i + 1 : NREC;

			if (w && fx_checkpoint(&f, first5 + i % 2, 2 + i % 2,
					       size, NULL, &small) != DOT_OK) {
				bad++;
				continue;
			}
			file.len = 0;
			if (fx_qreceipt(&f, i, size, nt, &q) != DOT_OK ||
			    dot_audit_qreceipt_encode(&q, &file) != DOT_OK) {
				bad++;
				continue;
			}
			if (check_file(&f, file.data, file.len, NULL, NVOTERS,
				       w ? 2 + i % 2 : 5, 1, &p,
				       &res) != DOT_OK) {
				bad++;
				continue;
			}
			bad += res.status != f.status[i] ||
			       res.ledger_index != 100 + 2 * i ||
			       res.size != size ||
			       res.signers != (w ? 2 + i % 2 : 5);
			refused += w && res.status != DOT_OK;
		}
	}
	CHECK(bad == 0);
	CHECK(refused == 7); /* records 3, 8, ..., 33 */
	dot_buf_free(&file);
	dot_buf_free(&small);
	dot_buf_free(&all);
	fx_free(&f);
}

/* ---- forgeries ---- */

/* Signed by a minority of the voters. */
static void
test_minority(void)
{
	struct fx f;
	struct dot_buf note = {0};
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;
	static const int two[] = {3, 1};

	REQUIRE(fx_init(&f, 3));
	REQUIRE_RC(fx_checkpoint(&f, two, 2, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 20, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QUORUM);
	/* Filled as far as it got: the receipt and the checkpoint. */
	CHECK(res.signers == 2 && res.size == NREC && res.ledger_index == 140 &&
	      res.status == DOT_OK);
	/* The same note is good enough for a quorum of two... */
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, 2, f.origin,
					   f.origin_len, &res, NULL),
		 DOT_OK);
	/* ...and one signature is not a quorum of 3 either. */
	REQUIRE_RC(fx_checkpoint(&f, two, 1, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 20, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QUORUM);
	CHECK(res.signers == 1);
	/* All five, and a quorum of five. */
	REQUIRE_RC(fx_checkpoint(&f, first5, 5, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 20, NREC, &note, &q), DOT_OK);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, NVOTERS, NULL, 0,
					   &res, NULL),
		 DOT_OK);
	CHECK(res.signers == 5);
	dot_buf_free(&note);
	fx_free(&f);
}

/* Signed by keys that are not the voters'. */
static void
test_non_members(void)
{
	struct fx f;
	struct dot_buf note = {0};
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;
	static const int outsiders[] = {5, 6, 7};
	static const int mixed[] = {5, 0, 4};
	static const int five[] = {6, 2, 5, 0, 4}; /* 3 voters, 2 not */

	REQUIRE(fx_init(&f, 4));
	REQUIRE_RC(fx_checkpoint(&f, outsiders, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 0, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_NO_KNOWN_SIGNER);
	CHECK(res.signers == 0 && res.size == 0);
	/* The same note verifies against the outsiders' keys: the signatures
	 * are good, they are just not the voters'. */
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk + NVOTERS, NOUT, NOUT,
					   f.origin, f.origin_len, &res, NULL),
		 DOT_OK);
	/* Two voters and an outsider. */
	REQUIRE_RC(fx_checkpoint(&f, mixed, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 0, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QUORUM);
	CHECK(res.signers == 2);
	/* Three voters among outsiders. */
	REQUIRE_RC(fx_checkpoint(&f, five, 5, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 0, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_OK);
	CHECK(res.signers == 3);
	/* A voter's name is not enough: with another key under that name
	 * (here an outsider's), the voter's own line is an unknown one. */
	{
		struct dot_audit_vkey v[NVOTERS];

		memcpy(v, f.vk, sizeof(v));
		/* v[0] is now outsider 5's key under voter 0's name. */
		REQUIRE_RC(dot_audit_vkey_from_pk(&v[0], f.vk[0].name,
						  f.vk[0].name_len, f.vk[5].pk,
						  sizeof(f.vk[5].pk)),
			   DOT_OK);
		REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note),
			   DOT_OK);
		REQUIRE_RC(fx_qreceipt(&f, 0, NREC, &note, &q), DOT_OK);
		/* Voter 0's line has a key id that v[0] does not have: it is
		 * an unknown line, and two voters remain. */
		CHECK_RC(dot_audit_qreceipt_verify(&q, v, NVOTERS, QUORUM, NULL,
						   0, &res, NULL),
			 DOT_EAUDIT_QUORUM);
		CHECK(res.signers == 2);
	}
	dot_buf_free(&note);
	fx_free(&f);
}

/*
 * One voter's key listed twice under two names, and a note it signed under
 * both: one voter is not two signers (fixed in qreceipt.c: the key list is
 * refused).
 */
static void
test_one_key_two_names(void)
{
	struct fx f;
	struct dot_buf a = {0}, b = {0};
	struct dot_audit_vkey v[NVOTERS + 1];
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;
	uint8_t root[HL];

	REQUIRE(fx_init(&f, 5));
	memcpy(v, f.vk, NVOTERS * sizeof(v[0]));
	REQUIRE_RC(dot_audit_vkey_from_pk(&v[NVOTERS], "node-twin", 9,
					  f.vk[0].pk, sizeof(f.vk[0].pk)),
		   DOT_OK);
	REQUIRE_RC(dot_audit_store_root(&f.s, NREC, root), DOT_OK);
	REQUIRE_RC(dot_audit_checkpoint_sign(f.origin, f.origin_len, NREC, root,
					     f.sk[0], f.vk[0].name,
					     f.vk[0].name_len, &a, NULL),
		   DOT_OK);
	REQUIRE_RC(dot_audit_note_cosign((const char *)a.data, a.len, f.sk[0],
					 "node-twin", 9, &b, NULL),
		   DOT_OK);
	a.len = 0;
	REQUIRE_RC(dot_audit_note_cosign((const char *)b.data, b.len, f.sk[1],
					 f.vk[1].name, f.vk[1].name_len, &a,
					 NULL),
		   DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &a, &q), DOT_OK);
	/* Two voters signed: not a quorum of the five. */
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QUORUM);
	CHECK(res.signers == 2);
	/* With the twin in the list, three lines verify; the list is
	 * refused rather than counted. */
	CHECK_RC(dot_audit_qreceipt_verify(&q, v, NVOTERS + 1, QUORUM, NULL, 0,
					   &res, NULL),
		 DOT_EAUDIT_KEY);
	CHECK(res.signers == 0);
	dot_buf_free(&a);
	dot_buf_free(&b);
	fx_free(&f);
}

/* The receipt of one tx presented as another's. */
static void
test_other_tx(void)
{
	struct fx f;
	struct dot_buf note = {0}, r2 = {0}, file = {0};
	struct dot_audit_qreceipt q, p;
	struct dot_audit_qreceipt_result res;
	struct dot_receipt *r = NULL;
	const size_t i = 9, j = 22;

	REQUIRE(fx_init(&f, 6));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	/* Record i's receipt under record j's tx id. */
	REQUIRE_RC(fx_qreceipt(&f, i, NREC, &note, &q), DOT_OK);
	memcpy(q.tx_id, f.txid[j], DOT_TX_ID_LEN);
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK_RC(check_file(&f, file.data, file.len, NULL, NVOTERS, QUORUM, 1,
			    &p, &res),
		 DOT_EAUDIT_QRECEIPT_TX);
	CHECK(res.signers == 0 && res.status == 0);
	/* ...and at j's place, with j's proof. */
	REQUIRE_RC(fx_qreceipt(&f, j, NREC, &note, &q), DOT_OK);
	q.receipt = f.rc[i].data;
	q.receipt_len = f.rc[i].len;
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QRECEIPT_TX);
	/* The tx id changed consistently, in field 2 and in the receipt:
	 * the record is not in the log. */
	REQUIRE_RC(dot_receipt_parse(f.rc[i].data, f.rc[i].len, &r, NULL),
		   DOT_OK);
	r->tx_id[5] ^= 0x40;
	REQUIRE_RC(dot_receipt_encode(r, &r2, NULL), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, i, NREC, &note, &q), DOT_OK);
	memcpy(q.tx_id, r->tx_id, DOT_TX_ID_LEN);
	q.receipt = r2.data;
	q.receipt_len = r2.len;
	file.len = 0;
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK_RC(check_file(&f, file.data, file.len, NULL, NVOTERS, QUORUM, 1,
			    &p, &res),
		 DOT_EAUDIT_INCLUSION);
	CHECK(res.signers == 3 && res.size == NREC);
	/* Another tx's whole record (tx id and receipt of j) with i's place
	 * and proof. */
	REQUIRE_RC(fx_qreceipt(&f, i, NREC, &note, &q), DOT_OK);
	memcpy(q.tx_id, f.txid[j], DOT_TX_ID_LEN);
	q.receipt = f.rc[j].data;
	q.receipt_len = f.rc[j].len;
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_INCLUSION);
	/* The receipt's result changed (refused instead of applied): its hash
	 * changes, the leaf with it. */
	REQUIRE_RC(fx_qreceipt(&f, i, NREC, &note, &q), DOT_OK);
	r->tx_id[5] ^= 0x40;
	r->status = DOT_ETX_EXPIRED;
	r->nversions = 0;
	r2.len = 0;
	REQUIRE_RC(dot_receipt_encode(r, &r2, NULL), DOT_OK);
	q.receipt = r2.data;
	q.receipt_len = r2.len;
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_INCLUSION);
	CHECK(res.status == DOT_ETX_EXPIRED);
	/* Bytes that are no receipt. */
	q.receipt = (const uint8_t *)"\xa0";
	q.receipt_len = 1;
	CHECK_RC(verify_q(&f, &q, &res), DOT_ERECEIPT_FORMAT);
	q.receipt = NULL;
	q.receipt_len = 0;
	CHECK_RC(verify_q(&f, &q, &res), DOT_ERECEIPT_FORMAT);
	dot_receipt_free(r);
	dot_buf_free(&r2);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

/* ---- hand-made files ---- */

enum { F_UINT, F_NEG, F_BSTR, F_TSTR };

struct fld {
	uint64_t key;
	int type;
	uint64_t u;
	const void *p;
	size_t n;
};

/* The six fields of a parsed receipt (the proof re-encoded into pb). */
static int
fields_of(const struct dot_audit_qreceipt *q, struct dot_buf *pb,
	  struct fld fl[6])
{
	pb->len = 0;
	if (dot_audit_proof_encode(&q->proof, pb) != DOT_OK)
		return 0;
	fl[0] = (struct fld){1, F_UINT, 1, NULL, 0};
	fl[1] = (struct fld){2, F_BSTR, 0, q->tx_id, DOT_TX_ID_LEN};
	fl[2] = (struct fld){3, F_BSTR, 0, q->receipt, q->receipt_len};
	fl[3] = (struct fld){4, F_UINT, q->seq, NULL, 0};
	fl[4] = (struct fld){5, F_BSTR, 0, pb->data, pb->len};
	fl[5] = (struct fld){6, F_TSTR, 0, q->note, q->note_len};
	return 1;
}

/* A map of `count` pairs (as declared) holding fl[0..n). */
static void
emit(struct dot_buf *out, const struct fld *fl, size_t n, uint64_t count)
{
	out->len = 0;
	dot_enc_map(out, count);
	for (size_t i = 0; i < n; i++) {
		dot_enc_uint(out, fl[i].key);
		switch (fl[i].type) {
		case F_UINT:
			dot_enc_uint(out, fl[i].u);
			break;
		case F_NEG:
			dot_enc_int(out, -1 - (int64_t)fl[i].u);
			break;
		case F_BSTR:
			dot_enc_bstr(out, fl[i].p, fl[i].n);
			break;
		default:
			dot_enc_tstr(out, fl[i].p, fl[i].n);
			break;
		}
	}
}

static int
parse_buf(const struct dot_buf *b, struct dot_audit_qreceipt *q)
{
	struct dot_err e = {0, ""};
	int rv = dot_audit_qreceipt_parse(b->data, b->len, q, &e);

	/* A refusal says why. */
	if (rv != DOT_OK && e.msg[0] == '\0')
		return -1;
	return rv;
}

/* A proof of record i claimed for another seq. */
static void
test_other_seq(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0}, pb = {0};
	struct dot_audit_qreceipt q, p;
	struct dot_audit_qreceipt_result res;
	struct fld fl[6];
	const size_t i = 5, j = 12; /* both have proofs of 6 hashes */

	REQUIRE(fx_init(&f, 7));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, i, NREC, &note, &q), DOT_OK);
	REQUIRE(dot_audit_inclusion_len(i, NREC) ==
		dot_audit_inclusion_len(j, NREC));
	/* seq j, proof of i: the encoder will not write it (it writes only
	 * what the parser reads back)... */
	q.seq = j;
	CHECK_RC(dot_audit_qreceipt_encode(&q, &file), DOT_EINVAL);
	CHECK(file.len == 0);
	/* ...the parser refuses it... */
	REQUIRE(fields_of(&q, &pb, fl));
	emit(&file, fl, 6, 6);
	CHECK_RC(parse_buf(&file, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	/* ...and so does the verifier, handed the fields directly. */
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_PROOF_RANGE);
	CHECK(res.signers == 3);
	/* The proof of i relabelled as a proof of j (same length): it parses,
	 * and does not lead to the root. */
	q.proof.index = j;
	file.len = 0;
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK_RC(check_file(&f, file.data, file.len, NULL, NVOTERS, QUORUM, 1,
			    &p, &res),
		 DOT_EAUDIT_INCLUSION);
	/* Record i at seq j with the genuine proof of j. */
	REQUIRE_RC(fx_qreceipt(&f, j, NREC, &note, &q), DOT_OK);
	memcpy(q.tx_id, f.txid[i], DOT_TX_ID_LEN);
	q.receipt = f.rc[i].data;
	q.receipt_len = f.rc[i].len;
	file.len = 0;
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK_RC(check_file(&f, file.data, file.len, NULL, NVOTERS, QUORUM, 1,
			    &p, &res),
		 DOT_EAUDIT_INCLUSION);
	/* The proof of i relabelled for a leaf whose proof is shorter. */
	REQUIRE_RC(fx_qreceipt(&f, i, NREC, &note, &q), DOT_OK);
	REQUIRE(dot_audit_inclusion_len(36, NREC) != q.proof.n);
	REQUIRE(fields_of(&q, &pb, fl));
	q.proof.index = 36;
	q.seq = 36;
	CHECK_RC(dot_audit_qreceipt_encode(&q, &file), DOT_EINVAL);
	{
		/* Hand-made proof bytes: {1: 1, 2: 1, 3: 36, 4: 37, 5:
		 * [6 hashes]} */
		struct dot_buf pr = {0};

		dot_enc_map(&pr, 5);
		dot_enc_uint(&pr, 1);
		dot_enc_uint(&pr, 1);
		dot_enc_uint(&pr, 2);
		dot_enc_uint(&pr, DOT_AUDIT_PROOF_INCLUSION);
		dot_enc_uint(&pr, 3);
		dot_enc_uint(&pr, 36);
		dot_enc_uint(&pr, 4);
		dot_enc_uint(&pr, NREC);
		dot_enc_uint(&pr, 5);
		dot_enc_array(&pr, q.proof.n);
		for (size_t k = 0; k < q.proof.n; k++)
			dot_enc_bstr(&pr, q.proof.hashes[k], HL);
		REQUIRE(pr.err == DOT_OK);
		fl[3].u = 36;
		fl[4].p = pr.data;
		fl[4].n = pr.len;
		emit(&file, fl, 6, 6);
		CHECK_RC(parse_buf(&file, &p), DOT_EAUDIT_PROOF_LENGTH);
		dot_buf_free(&pr);
	}
	dot_buf_free(&pb);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

/* A record beyond the checkpoint's size. */
static void
test_beyond_size(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0}, pb = {0}, pr = {0};
	struct dot_audit_qreceipt q, p;
	struct dot_audit_qreceipt_result res;
	struct dot_audit_proof prf;
	struct fld fl[6];

	REQUIRE(fx_init(&f, 8));
	/* A checkpoint of the first 20 records; record 25 is not in it. */
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, 20, NULL, &note), DOT_OK);
	CHECK_RC(dot_audit_prove_inclusion(&f.s, 25, 20, &prf),
		 DOT_EAUDIT_PROOF_RANGE);
	/* With its proof in the larger tree. */
	REQUIRE_RC(fx_qreceipt(&f, 25, NREC, &note, &q), DOT_OK);
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK_RC(check_file(&f, file.data, file.len, NULL, NVOTERS, QUORUM, 1,
			    &p, &res),
		 DOT_EAUDIT_PROOF_RANGE);
	CHECK(res.signers == 3 && res.size == 20);
	/* With a proof that claims the checkpoint's size: refused at
	 * parse. */
	REQUIRE(fields_of(&q, &pb, fl));
	dot_enc_map(&pr, 5);
	dot_enc_uint(&pr, 1);
	dot_enc_uint(&pr, 1);
	dot_enc_uint(&pr, 2);
	dot_enc_uint(&pr, DOT_AUDIT_PROOF_INCLUSION);
	dot_enc_uint(&pr, 3);
	dot_enc_uint(&pr, 25);
	dot_enc_uint(&pr, 4);
	dot_enc_uint(&pr, 20);
	dot_enc_uint(&pr, 5);
	dot_enc_array(&pr, 0);
	REQUIRE(pr.err == DOT_OK);
	fl[4].p = pr.data;
	fl[4].n = pr.len;
	emit(&file, fl, 6, 6);
	CHECK_RC(parse_buf(&file, &p), DOT_EAUDIT_PROOF_RANGE);
	/* The record at exactly the checkpoint's size (the next one). */
	REQUIRE_RC(fx_qreceipt(&f, 20, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_PROOF_RANGE);
	/* The last record in it verifies. */
	REQUIRE_RC(fx_qreceipt(&f, 19, 20, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_OK);
	/* A proof for a tree of 20 under a checkpoint of 37 (the record is
	 * in both, the proof is for the other). */
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 19, 20, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_PROOF_RANGE);
	/* An empty log's checkpoint holds nothing. */
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, 0, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 0, 1, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_PROOF_RANGE);
	CHECK(res.size == 0 && res.signers == 3);
	dot_buf_free(&pr);
	dot_buf_free(&pb);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

/* Offset of signature line `line` (0-based) of a note, and of its base64. */
static size_t
sig_b64_at(const struct dot_buf *note, size_t line)
{
	const char *t = (const char *)note->data;
	const char *end = t + note->len, *p;

	p = strstr(t, "\n\n");
	if (p == NULL)
		return 0;
	p += 2;
	for (size_t l = 0; l < line && p < end; l++)
		p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
	p = memchr(p, ' ', (size_t)(end - p)); /* after the em dash */
	p = memchr(p + 1, ' ', (size_t)(end - p - 1));
	return (size_t)(p + 1 - t);
}

/* A base64 character changed into another one. */
static void
b64_flip(uint8_t *c)
{
	*c = *c == 'A' ? 'B' : 'A';
}

static void
test_bad_signature(void)
{
	struct fx f;
	struct dot_buf note = {0}, t = {0};
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;
	static const int mixed[] = {0, 6, 1, 2}; /* line 1: an outsider */
	size_t at;

	REQUIRE(fx_init(&f, 9));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	/* A byte of the second line's signature (past the 4-byte key id,
	 * whose base64 is the first 6 characters). */
	for (size_t line = 0; line < 3; line++) {
		t.len = 0;
		dot_buf_put(&t, note.data, note.len);
		at = sig_b64_at(&t, line);
		REQUIRE(at > 0 && at + 40 < t.len);
		b64_flip(&t.data[at + 40]);
		REQUIRE_RC(fx_qreceipt(&f, 30, NREC, &t, &q), DOT_OK);
		CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_SIGNATURE);
		CHECK(res.signers == 0);
	}
	/* A byte of the key id: the line is no longer a voter's, two are
	 * left. */
	t.len = 0;
	dot_buf_put(&t, note.data, note.len);
	at = sig_b64_at(&t, 1);
	b64_flip(&t.data[at + 1]);
	REQUIRE_RC(fx_qreceipt(&f, 30, NREC, &t, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QUORUM);
	CHECK(res.signers == 2);
	/* A byte of the signed text (the tree size 37 -> 38). */
	t.len = 0;
	dot_buf_put(&t, note.data, note.len);
	at = f.origin_len + 1;
	REQUIRE(t.data[at] == '3' && t.data[at + 1] == '7');
	t.data[at + 1] = '8';
	REQUIRE_RC(fx_qreceipt(&f, 30, NREC, &t, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_SIGNATURE);
	/* An outsider's line is not checked: a bad one among three good
	 * voters' lines does not matter. */
	REQUIRE_RC(fx_checkpoint(&f, mixed, 4, NREC, NULL, &note), DOT_OK);
	at = sig_b64_at(&note, 1);
	b64_flip(&note.data[at + 40]);
	REQUIRE_RC(fx_qreceipt(&f, 30, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_OK);
	CHECK(res.signers == 3);
	/* Unless the verifier knows that key too. */
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NKEYS, QUORUM, NULL, 0,
					   &res, NULL),
		 DOT_EAUDIT_SIGNATURE);
	dot_buf_free(&t);
	dot_buf_free(&note);
	fx_free(&f);
}

static void
test_origin(void)
{
	struct fx f;
	struct dot_buf note = {0};
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;

	REQUIRE(fx_init(&f, 10));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 2, NREC, &note, &q), DOT_OK);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, QUORUM,
					   "doteros/0000000000000000", 24, &res,
					   NULL),
		 DOT_EAUDIT_ORIGIN);
	/* A prefix of the origin is another origin. */
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, QUORUM, f.origin,
					   f.origin_len - 1, &res, NULL),
		 DOT_EAUDIT_ORIGIN);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, QUORUM, f.origin,
					   f.origin_len, &res, NULL),
		 DOT_OK);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, QUORUM, NULL, 0,
					   &res, NULL),
		 DOT_OK);
	/* The same log signed under another origin: good without one. */
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, "doteros/other", &note),
		   DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 2, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_ORIGIN);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, QUORUM,
					   "doteros/other", 13, &res, NULL),
		 DOT_OK);
	dot_buf_free(&note);
	fx_free(&f);
}

static void
test_bad_quorum(void)
{
	struct fx f;
	struct dot_buf note = {0};
	struct dot_audit_qreceipt q;
	struct dot_audit_qreceipt_result res;

	REQUIRE(fx_init(&f, 11));
	REQUIRE_RC(fx_checkpoint(&f, first5, 5, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 2, NREC, &note, &q), DOT_OK);
	memset(&res, 0xff, sizeof(res));
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, 0, NULL, 0, &res,
					   NULL),
		 DOT_EINVAL);
	CHECK(res.signers == 0 && res.size == 0 && res.status == 0);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, NVOTERS + 1, NULL,
					   0, &res, NULL),
		 DOT_EINVAL);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, 0, 0, NULL, 0, &res, NULL),
		 DOT_EINVAL);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, 0, 1, NULL, 0, &res, NULL),
		 DOT_EINVAL);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, SIZE_MAX, NULL, 0,
					   &res, NULL),
		 DOT_EINVAL);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, NVOTERS, NULL, 0,
					   &res, NULL),
		 DOT_OK);
	/* Two known keys that are one key (name and id) are refused. */
	{
		struct dot_audit_vkey v[2] = {f.vk[0], f.vk[0]};

		CHECK_RC(
		    dot_audit_qreceipt_verify(&q, v, 2, 1, NULL, 0, &res, NULL),
		    DOT_EAUDIT_KEY);
	}
	dot_buf_free(&note);
	fx_free(&f);
}

/* ---- the parser ---- */

static void
test_parse_truncations(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0};
	struct dot_audit_qreceipt q, p;
	int bad = 0;

	REQUIRE(fx_init(&f, 12));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 33, NREC, &note, &q), DOT_OK);
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	/* Every proper prefix is a map cut short. */
	for (size_t n = 0; n < file.len; n++) {
		struct dot_err e = {0, ""};
		int rv = dot_audit_qreceipt_parse(file.data, n, &p, &e);

		if (rv != DOT_ECODEC_TRUNCATED || e.msg[0] == '\0') {
			printf("# prefix of %zu bytes: %s\n", n,
			       dot_errname(rv));
			bad++;
		}
	}
	CHECK(bad == 0);
	CHECK_RC(dot_audit_qreceipt_parse(NULL, 0, &p, NULL),
		 DOT_ECODEC_TRUNCATED);
	CHECK_RC(dot_audit_qreceipt_parse(file.data, file.len, &p, NULL),
		 DOT_OK);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

static void
test_parse_structure(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0}, pb = {0}, b = {0};
	struct dot_audit_qreceipt q, p;
	struct fld fl[6], g[8];
	static const uint8_t id33[33] = {0};
	static const char text_id[] = "abcdefghijklmnopqrstuvwxyz012345";

	REQUIRE(fx_init(&f, 13));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 17, NREC, &note, &q), DOT_OK);
	REQUIRE(fields_of(&q, &pb, fl));
	emit(&b, fl, 6, 6);
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	/* The hand-made file is the encoder's. */
	REQUIRE(b.len == file.len && memcmp(b.data, file.data, b.len) == 0);
	CHECK_RC(parse_buf(&b, &p), DOT_OK);

	/* Versions. */
	memcpy(g, fl, sizeof(fl));
	g[0].u = 2;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	g[0].u = 0;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	g[0].type = F_TSTR;
	g[0].p = "1";
	g[0].n = 1;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);

	/* Each field missing. */
	for (size_t k = 0; k < 6; k++) {
		size_t n = 0;

		for (size_t i = 0; i < 6; i++)
			if (i != k)
				g[n++] = fl[i];
		emit(&b, g, 5, 5);
		CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	}
	/* An extra field, after, before, and in the middle. */
	memcpy(g, fl, sizeof(fl));
	g[6] = (struct fld){7, F_UINT, 0, NULL, 0};
	emit(&b, g, 7, 7);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	g[0] = (struct fld){0, F_UINT, 0, NULL, 0};
	memcpy(g + 1, fl, sizeof(fl));
	emit(&b, g, 7, 7);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	/* A duplicated key (3 twice) and keys out of order: the codec. */
	memcpy(g, fl, 3 * sizeof(fl[0]));
	g[3] = fl[2];
	memcpy(g + 4, fl + 3, 3 * sizeof(fl[0]));
	emit(&b, g, 7, 7);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_KEYORDER);
	memcpy(g, fl, sizeof(fl));
	g[1] = fl[2];
	g[2] = fl[1];
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_KEYORDER);
	memcpy(g, fl, sizeof(fl));
	g[4] = fl[5];
	g[5] = fl[4];
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_KEYORDER);
	/* A map that declares more pairs than it has, or fewer. */
	emit(&b, fl, 6, 7);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_TRUNCATED);
	emit(&b, fl, 6, 5);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_TRAILING);
	/* Not a map at all. */
	b.len = 0;
	dot_enc_array(&b, 1);
	dot_enc_uint(&b, 1);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	b.len = 0;
	dot_enc_bstr(&b, file.data, file.len);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);

	/* The tx id: 31, 33, 0 bytes; text. */
	memcpy(g, fl, sizeof(fl));
	g[1].n = 31;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	g[1].p = id33;
	g[1].n = 33;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	g[1].n = 0;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	g[1] = (struct fld){2, F_TSTR, 0, text_id, 32};
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	/* Types of the other fields. */
	memcpy(g, fl, sizeof(fl));
	g[2].type = F_TSTR; /* the receipt as text: CBOR bytes are not
			       UTF-8 */
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_UTF8);
	g[2] = (struct fld){3, F_UINT, 7, NULL, 0};
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	memcpy(g, fl, sizeof(fl));
	g[3] = (struct fld){4, F_BSTR, 0, "\x11", 1};
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	memcpy(g, fl, sizeof(fl));
	g[4].type = F_UINT;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	memcpy(g, fl, sizeof(fl));
	g[5].type = F_BSTR;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	/* A note that is not UTF-8. */
	g[5] = (struct fld){6, F_TSTR, 0, "\xff", 1};
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_UTF8);
	/* A negative seq, a seq of 2^64 - 1. */
	memcpy(g, fl, sizeof(fl));
	g[3].type = F_NEG;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
	memcpy(g, fl, sizeof(fl));
	g[3].u = UINT64_MAX;
	emit(&b, g, 6, 6);
	CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);

	/* The proof: a consistency proof, the wrong count, garbage, a
	 * trailing byte inside its bytes. */
	{
		struct dot_audit_proof c;
		struct dot_buf cb = {0};

		REQUIRE_RC(dot_audit_prove_consistency(&f.s, 17, NREC, &c),
			   DOT_OK);
		REQUIRE_RC(dot_audit_proof_encode(&c, &cb), DOT_OK);
		memcpy(g, fl, sizeof(fl));
		g[4].p = cb.data;
		g[4].n = cb.len;
		emit(&b, g, 6, 6);
		CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
		/* seq 17 with a consistency proof from 17: the index matches,
		 * the kind does not. */
		CHECK(c.index == 17);
		cb.len = 0;
		dot_buf_put(&cb, fl[4].p, fl[4].n);
		dot_buf_put(&cb, "\x00", 1);
		g[4].p = cb.data;
		g[4].n = cb.len;
		emit(&b, g, 6, 6);
		CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_TRAILING);
		g[4].n = fl[4].n - 1;
		emit(&b, g, 6, 6);
		CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_TRUNCATED);
		g[4].n = 0;
		emit(&b, g, 6, 6);
		CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_TRUNCATED);
		/* One hash fewer than the sizes imply (the array count and
		 * the last hash dropped). */
		cb.len = 0;
		dot_buf_put(&cb, fl[4].p, fl[4].n - (HL + 2));
		{
			/* Find the array head (0x86: 6 hashes) and make it
			 * 0x85. */
			size_t at = cb.len - 5 * (HL + 2) - 1;

			REQUIRE(cb.data[at] == 0x86);
			cb.data[at] = 0x85;
		}
		g[4].p = cb.data;
		g[4].n = cb.len;
		emit(&b, g, 6, 6);
		CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_PROOF_LENGTH);
		dot_buf_free(&cb);
	}

	/* Trailing bytes after the map. */
	b.len = 0;
	dot_buf_put(&b, file.data, file.len);
	dot_buf_put(&b, "\x00", 1);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_TRAILING);
	b.len = 0;
	dot_buf_put(&b, file.data, file.len);
	dot_buf_put(&b, file.data, file.len);
	CHECK_RC(parse_buf(&b, &p), DOT_ECODEC_TRAILING);

	/* The size limit: a note padded to make the file exactly
	 * DOT_AUDIT_QRECEIPT_MAX bytes parses (its note is then too big to
	 * open); one byte more does not. */
	{
		static char big[DOT_AUDIT_QRECEIPT_MAX];
		size_t base;

		memset(big, 'a', sizeof(big));
		memcpy(g, fl, sizeof(fl));
		g[5].p = big;
		g[5].n = 100000;
		emit(&b, g, 6, 6);
		base = b.len - g[5].n;
		g[5].n = DOT_AUDIT_QRECEIPT_MAX - base;
		emit(&b, g, 6, 6);
		REQUIRE(b.len == DOT_AUDIT_QRECEIPT_MAX);
		CHECK_RC(parse_buf(&b, &p), DOT_OK);
		{
			struct dot_audit_qreceipt_result res;

			CHECK_RC(verify_q(&f, &p, &res),
				 DOT_EAUDIT_NOTE_TOO_BIG);
		}
		g[5].n++;
		emit(&b, g, 6, 6);
		REQUIRE(b.len == DOT_AUDIT_QRECEIPT_MAX + 1);
		CHECK_RC(parse_buf(&b, &p), DOT_EAUDIT_QRECEIPT_FORMAT);
		/* Refused by its length alone: not read at all. */
		CHECK_RC(dot_audit_qreceipt_parse(b.data, SIZE_MAX, &p, NULL),
			 DOT_EAUDIT_QRECEIPT_FORMAT);
	}
	dot_buf_free(&b);
	dot_buf_free(&pb);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

/*
 * Every single byte of a valid file changed (each bit alone, and all
 * eight): never a verified receipt for another (tx id, receipt, seq).
 * With three signers and a quorum of three nothing changed verifies at
 * all; with four, a damaged line of one signer may leave a quorum, for
 * the same record.
 */
static int
flips(const struct fx *f, const struct dot_buf *file,
      const struct dot_audit_qreceipt *orig, size_t *accepted, size_t *at_parse)
{
	static const uint8_t masks[] = {0x01, 0x02, 0x04, 0x08, 0x10,
					0x20, 0x40, 0x80, 0xff};
	struct dot_buf t = {0};
	int bad = 0;

	*accepted = *at_parse = 0;
	dot_buf_put(&t, file->data, file->len);
	if (t.err)
		return 1;
	for (size_t i = 0; i < t.len; i++)
		for (size_t m = 0; m < sizeof(masks); m++) {
			struct dot_audit_qreceipt q;
			struct dot_audit_qreceipt_result res;
			struct dot_err e = {0, ""};
			int rv;

			t.data[i] ^= masks[m];
			rv = dot_audit_qreceipt_parse(t.data, t.len, &q, &e);
			if (rv != DOT_OK) {
				(*at_parse)++;
			} else {
				rv = dot_audit_qreceipt_verify(
				    &q, f->vk, NVOTERS, QUORUM, f->origin,
				    f->origin_len, &res, &e);
			}
			if (rv == DOT_OK) {
				(*accepted)++;
				if (memcmp(q.tx_id, orig->tx_id,
					   DOT_TX_ID_LEN) != 0 ||
				    q.seq != orig->seq ||
				    q.receipt_len != orig->receipt_len ||
				    memcmp(q.receipt, orig->receipt,
					   q.receipt_len) != 0) {
					printf("# byte %zu ^ %02x: another "
					       "record verifies\n",
					       i, masks[m]);
					bad++;
				}
			} else if (e.msg[0] == '\0') {
				printf("# byte %zu ^ %02x: %s without a "
				       "message\n",
				       i, masks[m], dot_errname(rv));
				bad++;
			}
			t.data[i] ^= masks[m];
		}
	dot_buf_free(&t);
	return bad;
}

static void
test_byte_flips(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0};
	struct dot_audit_qreceipt q;
	static const int four[] = {4, 0, 2, 3};
	size_t accepted, at_parse;

	REQUIRE(fx_init(&f, 14));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 24, NREC, &note, &q), DOT_OK);
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK(flips(&f, &file, &q, &accepted, &at_parse) == 0);
	CHECK(accepted == 0);
	printf("# 3 signers: %zu bytes x 9 changes, %zu refused at parse, "
	       "%zu verified\n",
	       file.len, at_parse, accepted);
	REQUIRE_RC(fx_checkpoint(&f, four, 4, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 24, NREC, &note, &q), DOT_OK);
	file.len = 0;
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK(flips(&f, &file, &q, &accepted, &at_parse) == 0);
	CHECK(accepted > 0);
	printf("# 4 signers: %zu bytes x 9 changes, %zu refused at parse, "
	       "%zu verified (same record)\n",
	       file.len, at_parse, accepted);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

/* ---- allocation failures ---- */

struct fheap {
	long calls, fail_at, live;
};
static struct fheap fh;

static void *
fh_malloc(void *d, size_t n)
{
	void *p;

	(void)d;
	if (++fh.calls == fh.fail_at)
		return NULL;
	p = malloc(n);
	if (p)
		fh.live++;
	return p;
}

static void *
fh_realloc(void *d, void *q, size_t n)
{
	void *p;

	(void)d;
	if (++fh.calls == fh.fail_at)
		return NULL;
	p = realloc(q, n);
	if (p && q == NULL)
		fh.live++;
	return p;
}

static void
fh_free(void *d, void *p)
{
	(void)d;
	if (p)
		fh.live--;
	free(p);
}

static const struct dot_heap failing = {NULL, fh_malloc, fh_realloc, fh_free};

static void
test_alloc_failures(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0}, out;
	struct dot_audit_qreceipt q, p;
	struct dot_audit_qreceipt_result res;
	int rv = DOT_OK, fails = 0, bad = 0;

	REQUIRE(fx_init(&f, 15));
	REQUIRE_RC(fx_checkpoint(&f, first3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 1, NREC, &note, &q), DOT_OK);
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	REQUIRE_RC(dot_audit_qreceipt_parse(file.data, file.len, &p, NULL),
		   DOT_OK);

	dot_heap_set(&failing);
	/* Encoding: the proof's buffer, then the file's. */
	for (long n = 1; n < 50; n++) {
		out = (struct dot_buf){0};
		fh = (struct fheap){0, n, 0};
		rv = dot_audit_qreceipt_encode(&q, &out);
		if (rv == DOT_OK) {
			bad += out.len != file.len ||
			       memcmp(out.data, file.data, file.len) != 0;
			dot_buf_free(&out);
			bad += fh.live != 0;
			break;
		}
		fails++;
		dot_buf_free(&out);
		if (rv != DOT_ENOMEM || fh.live != 0) {
			printf("# encode, allocation %ld fails: %s, %ld "
			       "blocks left\n",
			       n, dot_errname(rv), fh.live);
			bad++;
		}
	}
	CHECK(rv == DOT_OK && fails >= 3);
	/* Verifying: the receipt, the note's lines, the checkpoint. */
	fails = 0;
	for (long n = 1; n < 50; n++) {
		fh = (struct fheap){0, n, 0};
		rv = dot_audit_qreceipt_verify(&p, f.vk, NVOTERS, QUORUM,
					       f.origin, f.origin_len, &res,
					       NULL);
		bad += fh.live != 0;
		if (rv == DOT_OK) {
			bad += res.signers != 3 || res.size != NREC;
			break;
		}
		fails++;
		bad += rv != DOT_ENOMEM;
	}
	CHECK(rv == DOT_OK && fails >= 3);
	/* Parsing allocates nothing. */
	fh = (struct fheap){0, 1, 0};
	CHECK_RC(dot_audit_qreceipt_parse(file.data, file.len, &p, NULL),
		 DOT_OK);
	CHECK(fh.calls == 0);
	dot_heap_set(NULL);
	CHECK(bad == 0);
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

/* ---- composite node keys (docs/audit-format.md §5, type 0xff) ---- */

/*
 * Make voters 2, 3 and 4 and outsider 5 composite ML-DSA-65 + Ed25519
 * keys (seeds 0x40 + i), named as dotd names them: a mixed cluster of two
 * Ed25519 voters and three composite ones.
 */
static int
fx_mixed(struct fx *f, uint64_t seed)
{
	if (!fx_init(f, seed))
		return 0;
	for (size_t i = 2; i <= 5; i++) {
		uint8_t s[DOT_SEED_LEN], pk[DOT_SIGN_PK_MAX],
		    kid[DOT_KEY_ID_LEN];
		char h[2 * DOT_KEY_ID_LEN + 1], name[32];
		size_t n;

		dot_sign_sk_free(f->sk[i]);
		f->sk[i] = NULL;
		memset(s, (int)(0x40 + i), sizeof(s));
		if (dot_sign_sk_from_seed(&f->sk[i], DOT_SUITE_ED25519_MLDSA65,
					  s) != DOT_OK)
			goto fail;
		n = dot_sign_sk_public(f->sk[i], pk);
		dot_key_id(pk, n, kid);
		hexs(h, kid, sizeof(kid));
		snprintf(name, sizeof(name), "node-%s", h);
		if (n != DOT_SIGN_PK_MAX ||
		    dot_audit_vkey_from_pk(&f->vk[i], name, strlen(name), pk,
					   n) != DOT_OK)
			goto fail;
	}
	return 1;
fail:
	fx_free(f);
	return 0;
}

/*
 * A quorum of a mixed cluster: any three of the five voters, whatever
 * their suites; fewer, outsiders, another tx or record, a forged
 * composite line, and one voter listed twice are refused.
 */
static void
test_composite_quorum(void)
{
	struct fx f;
	struct dot_buf note = {0}, file = {0};
	struct dot_audit_qreceipt q, p;
	struct dot_audit_qreceipt_result res;
	static const int ed_pq_pq[] = {0, 2, 3}, pq3[] = {4, 3, 2},
			 ed2_pq[] = {1, 0, 4}, minority[] = {2, 0},
			 outsider[] = {2, 5, 0, 6};

	REQUIRE(fx_mixed(&f, 11));
	CHECK(f.vk[0].key_len == DOT_ED25519_PK_LEN &&
	      f.vk[2].key_len == DOT_SIGN_PK_MAX);
	/* One Ed25519 and two composite voters. */
	REQUIRE_RC(fx_checkpoint(&f, ed_pq_pq, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_OK);
	CHECK(res.signers == 3 && res.size == NREC &&
	      res.status == f.status[7]);
	/* Through the file and back. */
	REQUIRE_RC(dot_audit_qreceipt_encode(&q, &file), DOT_OK);
	CHECK(file.len > 2 * 4500 && file.len <= DOT_AUDIT_QRECEIPT_MAX);
	CHECK_RC(check_file(&f, file.data, file.len, NULL, NVOTERS, QUORUM, 1,
			    &p, &res),
		 DOT_OK);
	CHECK(res.signers == 3);
	/* Composite voters only; Ed25519 voters with one composite. */
	REQUIRE_RC(fx_checkpoint(&f, pq3, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 0, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_OK);
	REQUIRE_RC(fx_checkpoint(&f, ed2_pq, 3, 20, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 19, 20, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_OK);
	CHECK(res.size == 20);
	/* All five. */
	REQUIRE_RC(fx_checkpoint(&f, first5, 5, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 36, NREC, &note, &q), DOT_OK);
	CHECK_RC(dot_audit_qreceipt_verify(&q, f.vk, NVOTERS, NVOTERS, f.origin,
					   f.origin_len, &res, NULL),
		 DOT_OK);
	CHECK(res.signers == 5);
	/* A minority: one composite and one Ed25519 voter. */
	REQUIRE_RC(fx_checkpoint(&f, minority, 2, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QUORUM);
	CHECK(res.signers == 2);
	/* Two voters and two outsiders (a composite and an Ed25519 one). */
	REQUIRE_RC(fx_checkpoint(&f, outsider, 4, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &note, &q), DOT_OK);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QUORUM);
	CHECK(res.signers == 2);
	/* Another tx's receipt; another record under this tx id. */
	REQUIRE_RC(fx_checkpoint(&f, ed_pq_pq, 3, NREC, NULL, &note), DOT_OK);
	REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &note, &q), DOT_OK);
	memcpy(q.tx_id, f.txid[8], DOT_TX_ID_LEN);
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_QRECEIPT_TX);
	REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &note, &q), DOT_OK);
	memcpy(q.tx_id, f.txid[8], DOT_TX_ID_LEN);
	q.receipt = f.rc[8].data;
	q.receipt_len = f.rc[8].len;
	CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_INCLUSION);
	/* A forged composite line: one base64 character of the second
	 * line's ML-DSA part changed; then of its Ed25519 part. */
	{
		char *t = (char *)note.data;
		char *l2 = strstr(strstr(t, "\n\n") + 2, "\n") + 1;
		char *b = strchr(l2 + 4, ' ') + 1;
		size_t at[2] = {100, 4490};

		for (int i = 0; i < 2; i++) {
			char was = b[at[i]];

			REQUIRE(strchr(b, '\n') - b == 4504);
			b[at[i]] = was == 'A' ? 'B' : 'A';
			REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &note, &q), DOT_OK);
			CHECK_RC(verify_q(&f, &q, &res), DOT_EAUDIT_SIGNATURE);
			b[at[i]] = was;
		}
		REQUIRE_RC(fx_qreceipt(&f, 7, NREC, &note, &q), DOT_OK);
		CHECK_RC(verify_q(&f, &q, &res), DOT_OK);
	}
	/* One composite voter listed twice (under two names) is refused,
	 * as is its Ed25519 half listed beside it. */
	{
		struct dot_audit_vkey v[NVOTERS + 1];
		uint8_t half[DOT_ED25519_PK_LEN];

		memcpy(v, f.vk, NVOTERS * sizeof(v[0]));
		REQUIRE_RC(dot_audit_vkey_from_pk(&v[NVOTERS], "node-twin", 9,
						  f.vk[3].key, f.vk[3].key_len),
			   DOT_OK);
		CHECK_RC(dot_audit_qreceipt_verify(&q, v, NVOTERS + 1, QUORUM,
						   NULL, 0, &res, NULL),
			 DOT_EAUDIT_KEY);
		half[0] = DOT_SUITE_ED25519;
		memcpy(half + 1, f.vk[3].key + DOT_SIGN_PK_MAX - 32, 32);
		REQUIRE_RC(dot_audit_vkey_from_pk(&v[NVOTERS], "node-half", 9,
						  half, sizeof(half)),
			   DOT_OK);
		CHECK_RC(dot_audit_qreceipt_verify(&q, v, NVOTERS + 1, QUORUM,
						   NULL, 0, &res, NULL),
			 DOT_EAUDIT_KEY);
	}
	dot_buf_free(&file);
	dot_buf_free(&note);
	fx_free(&f);
}

T_MAIN(T_CASE(test_roundtrip), T_CASE(test_every_record), T_CASE(test_minority),
       T_CASE(test_non_members), T_CASE(test_one_key_two_names),
       T_CASE(test_other_tx), T_CASE(test_other_seq), T_CASE(test_beyond_size),
       T_CASE(test_bad_signature), T_CASE(test_origin), T_CASE(test_bad_quorum),
       T_CASE(test_parse_truncations), T_CASE(test_parse_structure),
       T_CASE(test_byte_flips), T_CASE(test_alloc_failures),
       T_CASE(test_composite_quorum))
