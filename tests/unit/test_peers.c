/*
 * test_peers.c - dotd's map from channel keys to accounts (daemon/peers.c):
 * built from the state's level keys with each account's expiry
 * (docs/decisions/0015); a key acts for its first account, in name order,
 * that has not expired; an open channel stays only while its key is in its
 * account and the account has not expired; an expiry's coming is noticed
 * in constant time.
 */
#include <sqlite3.h>

#include "doteros/crypto.h"
#include "doteros/state.h"
#include "harness.h"
#include "peers.h"

static const uint8_t CLUSTER[DOT_CLUSTER_ID_LEN] = {0xc1, 0x05, 0x7e, 0x12};

enum { ADMIN, SHARED, CAROL, STRANGER, NKEYS };

static uint8_t pk[NKEYS][DOT_SIGN_PK_MAX];
static size_t pklen[NKEYS];
static uint8_t kx[NKEYS][DOT_NET_KEY_LEN];

static void
keys_init(void)
{
	static int done;

	if (done)
		return;
	if (dot_crypto_init() != DOT_OK)
		abort();
	for (int i = 0; i < NKEYS; i++) {
		struct dot_sign_sk *sk;
		uint8_t seed[32];

		memset(seed, 0x70 + i, sizeof(seed));
		if (dot_sign_sk_from_seed(&sk, DOT_SUITE_ED25519, seed) !=
		    DOT_OK)
			abort();
		pklen[i] = dot_sign_sk_public(sk, pk[i]);
		dot_sign_sk_free(sk);
		if (dot_sign_pk_to_kx(pk[i], pklen[i], kx[i]) != DOT_OK)
			abort();
	}
	done = 1;
}

/* A level key row, with the account's expiry (0: none), written straight
 * into the tables as account.create would. */
static void
put_account(sqlite3 *db, const char *name, int key, sqlite3_int64 expires)
{
	sqlite3_stmt *s;
	static const uint8_t keyid[8] = {0};

	REQUIRE(sqlite3_prepare_v2(db,
				   "INSERT INTO accounts (name, created,"
				   " expires) VALUES (?1, 2, ?2)",
				   -1, &s, NULL) == SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (expires)
		sqlite3_bind_int64(s, 2, expires);
	else
		sqlite3_bind_null(s, 2);
	CHECK(sqlite3_step(s) == SQLITE_DONE);
	sqlite3_finalize(s);
	REQUIRE(sqlite3_prepare_v2(db,
				   "INSERT INTO level_keys (account, level,"
				   " pk, weight, keyid)"
				   " VALUES (?1, 'owner', ?2, 1, ?3)",
				   -1, &s, NULL) == SQLITE_OK);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, pk[key], (int)pklen[key], SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, keyid, sizeof(keyid), SQLITE_STATIC);
	CHECK(sqlite3_step(s) == SQLITE_DONE);
	sqlite3_finalize(s);
}

static void
test_map_with_expiries(void)
{
	struct dot_tx_level_key ak = {0};
	struct dot_buf g = {0}, r = {0};
	struct dot_err e = {0};
	struct dotd_peers p;
	const struct dotd_peer_key *k, *gone;
	struct dot_state *st = NULL;
	sqlite3 *db = NULL;

	keys_init();
	memset(&p, 0, sizeof(p));
	REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
	REQUIRE_RC(dot_state_open(db, &st, &e), DOT_OK);
	ak.pk = pk[ADMIN];
	ak.pk_len = pklen[ADMIN];
	ak.weight = 1;
	REQUIRE_RC(dot_state_genesis_encode(CLUSTER, "admin", &ak, 1, 1, &g,
					    &e),
		   DOT_OK);
	REQUIRE_RC(dot_state_apply(st, 1, 1000, g.data, g.len, &r, &e),
		   DOT_OK);
	/* SHARED is a key of alice (expires at 100) and bob (never), in
	 * name order; CAROL's only account expires at 150. */
	put_account(db, "alice", SHARED, 100);
	put_account(db, "bob", SHARED, 0);
	put_account(db, "carol", CAROL, 150);
	REQUIRE(dotd_peers_refresh(&p, st, &e) == 1);
	CHECK(p.n == 5 && p.skipped == 0); /* admin: owner and active */
	CHECK(dotd_peers_refresh(&p, st, &e) == 0); /* epoch unchanged */

	k = dotd_peers_find(&p, kx[ADMIN], 5000, &gone);
	CHECK(k != NULL && strcmp(k->account, "admin") == 0 &&
	      k->expires == DOT_STATE_NO_EXPIRY && gone == NULL);
	/* the first account of the key, while it is valid... */
	k = dotd_peers_find(&p, kx[SHARED], 99, &gone);
	CHECK(k != NULL && strcmp(k->account, "alice") == 0);
	/* ...then the next one ([not_before, expires): gone at 100) */
	k = dotd_peers_find(&p, kx[SHARED], 100, &gone);
	CHECK(k != NULL && strcmp(k->account, "bob") == 0);
	/* a key whose only account has expired: refused, and said why */
	k = dotd_peers_find(&p, kx[CAROL], 149, &gone);
	CHECK(k != NULL && strcmp(k->account, "carol") == 0);
	k = dotd_peers_find(&p, kx[CAROL], 150, &gone);
	CHECK(k == NULL && gone != NULL &&
	      strcmp(gone->account, "carol") == 0 &&
	      gone->expires == 150);
	k = dotd_peers_find(&p, kx[STRANGER], 0, &gone);
	CHECK(k == NULL && gone == NULL);
	CHECK(dotd_peers_find(&p, kx[CAROL], 150, NULL) == NULL);

	/* open channels: the channel's own account decides */
	CHECK(dotd_peers_holds(&p, kx[SHARED], "alice", 99) == 1);
	CHECK(dotd_peers_holds(&p, kx[SHARED], "alice", 100) == 0);
	CHECK(dotd_peers_holds(&p, kx[SHARED], "bob", 100000) == 1);
	CHECK(dotd_peers_holds(&p, kx[CAROL], "carol", 150) == 0);
	CHECK(dotd_peers_holds(&p, kx[CAROL], "bob", 0) == 0);
	CHECK(dotd_peers_holds(&p, kx[STRANGER], "bob", 0) == 0);

	/* each expiry is due once, when its second comes */
	CHECK(dotd_peers_expiry_due(&p, 99) == 0);
	CHECK(dotd_peers_expiry_due(&p, 100) == 1);
	CHECK(dotd_peers_expiry_due(&p, 100) == 0);
	CHECK(dotd_peers_expiry_due(&p, 149) == 0);
	CHECK(dotd_peers_expiry_due(&p, 151) == 1);
	CHECK(dotd_peers_expiry_due(&p, 100000) == 0);

	dotd_peers_free(&p);
	dot_state_close(st);
	sqlite3_close(db);
	dot_buf_free(&g);
	dot_buf_free(&r);
}

T_MAIN(T_CASE(test_map_with_expiries))
