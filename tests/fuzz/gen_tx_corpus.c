/*
 * gen_tx_corpus.c - write the seed corpus of fuzz_tx (tests/fuzz/corpus/tx).
 *
 * Not built by default; run by hand after a format change:
 *
 *   ninja -C build-tx
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -Ilib tests/fuzz/gen_tx_corpus.c \
 *      build-tx/lib/libdoteros.a -lsodium -o /tmp/gen_tx_corpus
 *   rm -f tests/fuzz/corpus/tx/[a-z]*
 *   /tmp/gen_tx_corpus tests/fuzz/corpus/tx
 *
 * Seeds are small (< 2 KB), deterministic (fixed seeds and nonces), and
 * both valid ("ok-*") and invalid ("bad-*"), so the fuzzer starts next to
 * every branch of the parsers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/codec.h"
#include "doteros/crypto.h"
#include "doteros/token.h"
#include "doteros/tx.h"

static const char *dir;
static int implicit_key; /* signed_tx leaves the first key out */
static struct dot_sign_sk *keys[4];
static uint8_t pks[4][DOT_SIGN_PK_MAX];
static size_t pk_lens[4];

static void
die(const char *what, int rv)
{
	fprintf(stderr, "gen_tx_corpus: %s: %s\n", what, dot_errname(rv));
	exit(1);
}

static void
put(const char *name, const struct dot_buf *b)
{
	char path[1024];
	FILE *f;

	if (b->err)
		die(name, b->err);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len ||
	    fclose(f) != 0)
		die(path, DOT_EINVAL);
}

/* Mutations of the payload encoder below. */
enum mut {
	M_NONE,
	M_VERSION2,
	M_UNKNOWN_KEY,
	M_NONCE15,
	M_UNSORTED,
	M_OP_UPPER,
	M_AUTH_KIND4,
	M_REF,
	M_REF31,
	M_EMPTY_WINDOW,
	M_NEG_TIME,
};

static uint8_t args[] = {0xa1, 0x01, 0x62, 0x2f, 0x78}; /* {1: "/x"} */

/* A payload like dot_tx_payload_encode's, with one rule broken. */
static void
payload(struct dot_buf *b, enum mut m, const struct dot_buf *token,
	int cluster)
{
	uint8_t id[DOT_OBJECT_ID_LEN], nonce[DOT_TX_NONCE_LEN];

	memset(nonce, 0x4e, sizeof(nonce));
	dot_enc_map(b, 8 + (cluster != 0) + (m == M_UNKNOWN_KEY));
	dot_enc_uint(b, 1);
	dot_enc_uint(b, m == M_VERSION2 ? 2 : 1);
	dot_enc_uint(b, 2);
	dot_enc_tstr(b, m == M_OP_UPPER ? "FS.PUT" : "fs.put", 6);
	dot_enc_uint(b, 3);
	dot_enc_raw(b, args, sizeof(args));
	dot_enc_uint(b, 4);
	dot_enc_array(b, 2);
	for (int i = 0; i < 2; i++) {
		memset(id, 0x0b, sizeof(id));
		id[15] = (uint8_t)(m == M_UNSORTED ? 9 - i : i);
		dot_enc_array(b, 2);
		dot_enc_bstr(b, id, sizeof(id));
		dot_enc_uint(b, 5);
	}
	dot_enc_uint(b, 5);
	if (m == M_REF || m == M_REF31) {
		uint8_t rid[DOT_RID_LEN];

		memset(rid, 0x52, sizeof(rid));
		dot_enc_array(b, 2);
		dot_enc_uint(b, 3);
		dot_enc_bstr(b, rid, m == M_REF31 ? 31 : sizeof(rid));
	} else if (token != NULL) {
		dot_enc_array(b, 2);
		dot_enc_uint(b, 1);
		dot_enc_bstr(b, token->data, token->len);
	} else {
		dot_enc_array(b, 3);
		dot_enc_uint(b, m == M_AUTH_KIND4 ? 4 : 2);
		dot_enc_tstr(b, "alice", 5);
		dot_enc_tstr(b, "active", 6);
	}
	dot_enc_uint(b, 6);
	dot_enc_bstr(b, nonce, m == M_NONCE15 ? 15 : sizeof(nonce));
	dot_enc_uint(b, 7);
	if (m == M_NEG_TIME)
		dot_enc_int(b, -1);
	else
		dot_enc_uint(b, 1700000000);
	dot_enc_uint(b, 8);
	dot_enc_uint(b, m == M_EMPTY_WINDOW ? 1700000000 : 1700000300);
	if (cluster) {
		dot_enc_uint(b, 9);
		dot_enc_bstr(b, "cluster-id-16byt", 16);
	}
	if (m == M_UNKNOWN_KEY) {
		dot_enc_uint(b, 10);
		dot_enc_uint(b, 0);
	}
}

/* [payload, [[pk, sig] x n]], signed by keys[who[i]] over the tx id
 * (whatever the payload's validity). */
static void
signed_tx(struct dot_buf *out, const struct dot_buf *pl, const int *who,
	  size_t n)
{
	uint8_t id[DOT_TX_ID_LEN], msg[13 + DOT_TX_ID_LEN];
	uint8_t sig[DOT_SIGN_SIG_MAX];
	size_t siglen;
	int rv;

	dot_tx_id(pl->data, pl->len, id);
	memcpy(msg, "dot-tx-v1 sig", 13);
	memcpy(msg + 13, id, DOT_TX_ID_LEN);
	dot_enc_array(out, 2);
	dot_enc_raw(out, pl->data, pl->len);
	dot_enc_array(out, n);
	for (size_t i = 0; i < n; i++) {
		rv = dot_sign(keys[who[i]], msg, sizeof(msg), sig, &siglen);
		if (rv != DOT_OK)
			die("sign", rv);
		dot_enc_array(out, 2);
		if (implicit_key && i == 0)
			dot_enc_bstr(out, NULL, 0);
		else
			dot_enc_bstr(out, pks[who[i]], pk_lens[who[i]]);
		dot_enc_bstr(out, sig, siglen);
	}
}

static void
tx_file(const char *name, enum mut m, const struct dot_buf *token,
	int cluster, const int *who, size_t n)
{
	struct dot_buf pl = {0}, b = {0};

	payload(&pl, m, token, cluster);
	signed_tx(&b, &pl, who, n);
	put(name, &b);
	dot_buf_free(&pl);
	dot_buf_free(&b);
}

static void
receipt_file(const char *name, int status, size_t nvers, const char *detail,
	     int extra_key)
{
	uint8_t id[DOT_OBJECT_ID_LEN], txid[DOT_TX_ID_LEN];
	struct dot_buf b = {0};

	dot_enc_map(&b, 6 + (detail != NULL) + (extra_key != 0));
	dot_enc_uint(&b, 1);
	dot_enc_uint(&b, 1);
	dot_enc_uint(&b, 2);
	memset(txid, 0x1d, sizeof(txid));
	dot_enc_bstr(&b, txid, sizeof(txid));
	dot_enc_uint(&b, 3);
	dot_enc_uint(&b, (uint64_t)status);
	dot_enc_uint(&b, 4);
	dot_enc_array(&b, nvers);
	for (size_t i = 0; i < nvers; i++) {
		memset(id, 0x0b, sizeof(id));
		id[15] = (uint8_t)i;
		dot_enc_array(&b, 2);
		dot_enc_bstr(&b, id, sizeof(id));
		dot_enc_uint(&b, 6);
	}
	dot_enc_uint(&b, 5);
	dot_enc_uint(&b, 77);
	dot_enc_uint(&b, 6);
	dot_enc_uint(&b, 1700000100);
	if (detail != NULL) {
		dot_enc_uint(&b, 7);
		dot_enc_tstr(&b, detail, strlen(detail));
	}
	if (extra_key) {
		dot_enc_uint(&b, 8);
		dot_enc_uint(&b, 0);
	}
	put(name, &b);
	dot_buf_free(&b);
}

int
main(int argc, char **argv)
{
	static const int one[] = {0}, two[] = {0, 1}, dup[] = {0, 0};
	static const int holder[] = {2};
	int many[DOT_TX_MAX_SIGS + 1];
	struct dot_buf tok = {0}, pl = {0}, b = {0};
	struct dot_token_caveats cav;
	struct dot_err e = {0, ""};
	uint8_t seed[DOT_SEED_LEN];
	int rv;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (dot_crypto_init() != DOT_OK)
		die("crypto init", DOT_ECRYPTO_UNAVAILABLE);
	for (int i = 0; i < 4; i++) {
		memset(seed, 0x61 + i, sizeof(seed));
		rv = dot_sign_sk_from_seed(&keys[i], DOT_SUITE_ED25519, seed);
		if (rv != DOT_OK)
			die("key", rv);
		pk_lens[i] = dot_sign_sk_public(keys[i], pks[i]);
	}
	memset(&cav, 0, sizeof(cav));
	cav.present = DOT_CAV_RIGHTS;
	cav.rights = DOT_RIGHT_READ | DOT_RIGHT_WRITE;
	rv = dot_token_mint(keys[3], DOT_RESOURCE_PATH, "/", 1, &cav, pks[2],
			    pk_lens[2], &tok, &e);
	if (rv != DOT_OK)
		die(e.msg, rv);

	tx_file("ok-account-1sig", M_NONE, NULL, 1, one, 1);
	tx_file("ok-account-2sig", M_NONE, NULL, 1, two, 2);
	tx_file("ok-account-nocluster", M_NONE, NULL, 0, one, 1);
	tx_file("ok-token", M_NONE, &tok, 1, holder, 1);
	tx_file("ok-dup-signer", M_NONE, NULL, 1, dup, 2); /* parses */
	payload(&pl, M_NONE, NULL, 1);
	put("ok-payload-account", &pl);
	dot_buf_free(&pl);
	payload(&pl, M_NONE, &tok, 0);
	put("ok-payload-token", &pl);
	dot_buf_free(&pl);
	receipt_file("ok-receipt", 0, 2, NULL, 0);
	receipt_file("ok-receipt-detail", 0, 1, "created /x", 0);
	receipt_file("ok-receipt-failed", DOT_ETX_EXPIRED, 0, "late", 0);

	tx_file("bad-version", M_VERSION2, NULL, 1, one, 1);
	tx_file("bad-unknown-key", M_UNKNOWN_KEY, NULL, 1, one, 1);
	tx_file("bad-nonce15", M_NONCE15, NULL, 1, one, 1);
	tx_file("bad-unsorted-consumed", M_UNSORTED, NULL, 1, one, 1);
	tx_file("bad-op", M_OP_UPPER, NULL, 1, one, 1);
	tx_file("bad-auth-kind", M_AUTH_KIND4, NULL, 1, one, 1);
	tx_file("ok-token-ref", M_REF, NULL, 1, holder, 1);
	tx_file("bad-token-ref-31", M_REF31, NULL, 1, holder, 1);
	/* the one signature of a token tx with its key left out */
	implicit_key = 1;
	tx_file("ok-token-implicit", M_NONE, &tok, 1, holder, 1);
	tx_file("ok-token-ref-implicit", M_REF, NULL, 1, holder, 1);
	tx_file("bad-implicit-account", M_NONE, NULL, 1, one, 1);
	tx_file("bad-implicit-two-sigs", M_REF, NULL, 1, two, 2);
	implicit_key = 0;
	tx_file("bad-empty-window", M_EMPTY_WINDOW, NULL, 1, one, 1);
	tx_file("bad-neg-time", M_NEG_TIME, NULL, 0, one, 1);
	for (int i = 0; i <= DOT_TX_MAX_SIGS; i++)
		many[i] = i % 2;
	tx_file("bad-17-sigs", M_NONE, NULL, 0, many, DOT_TX_MAX_SIGS + 1);
	tx_file("bad-0-sigs", M_NONE, NULL, 0, one, 0);
	/* Truncated, trailing, non-canonical and suite-mismatched forms. */
	payload(&pl, M_NONE, NULL, 1);
	signed_tx(&b, &pl, one, 1);
	b.len -= 7;
	put("bad-truncated", &b);
	b.len += 7;
	dot_enc_uint(&b, 0);
	put("bad-trailing", &b);
	b.len -= 1;
	b.data[b.len - 65] = DOT_SUITE_MLDSA65; /* the signature's suite */
	put("bad-sig-suite", &b);
	dot_buf_free(&b);
	dot_enc_array(&b, 2);
	dot_buf_put(&b, "\xa8\x18\x01", 3); /* key 1 in a 2-byte form */
	dot_enc_raw(&b, pl.data + 2, pl.len - 2);
	dot_enc_array(&b, 0);
	put("bad-noncanonical", &b);
	dot_buf_free(&b);
	dot_buf_free(&pl);
	receipt_file("bad-receipt-failed-versions", DOT_ETX_EXPIRED, 1, NULL,
		     0);
	receipt_file("bad-receipt-empty-detail", 0, 0, "", 0);
	receipt_file("bad-receipt-unknown-key", 0, 0, NULL, 1);
	dot_buf_free(&tok);
	for (int i = 0; i < 4; i++)
		dot_sign_sk_free(keys[i]);
	return 0;
}
