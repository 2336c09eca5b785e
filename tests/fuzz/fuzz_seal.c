/*
 * fuzz_seal.c - the parser and opener of sealed payloads (seal.h,
 * docs/seal-format.md). The first byte picks what the rest is:
 *
 *   0  sealed bytes      dot_seal_parse, then dot_seal_open as key 0 of
 *                        the fixed keys below under the fixed binding
 *   1  r || f || bl || binding(bl) || payload
 *                        dot_seal to the first 1 + r % 3 fixed keys
 *                        (flags f & 1) and every recipient opens it
 *
 * Each parse verdict is compared with an independent reading of
 * docs/seal-format.md §4; a refused parse must refuse the open with the
 * same code; an open that succeeds must give the fixed payload (the only
 * one ever sealed to these keys under this binding: the corpus's, made
 * by gen_seal_corpus.c with the same keys, binding and payload), and
 * its output must equal the input's declared payload length. Sealing
 * round trips must give the payload back to every recipient and refuse
 * the fixed non-recipient.
 *
 * Fixed keys: sk_i = 32 x (0x44 + i), i = 0, 1, 2, 3 (3 is never a
 * recipient). Binding "fuzz_seal binding"; payload "the fixed payload
 * of fuzz_seal" (seal_fixture.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doteros/crypto.h"
#include "doteros/seal.h"
#include "doteros/xwing.h"

#define FUZZ_NAME "fuzz_seal"
#include "pqfuzz.h"
#include "seal_fixture.h"

#define PK DOT_XWING_PK_LEN
#define MAXIN 16384

static struct {
	uint8_t sk[SEAL_FX_KEYS][32], pk[SEAL_FX_KEYS][PK];
	const uint8_t *pks[SEAL_FX_KEYS];
} fixed;

static void
setup(void)
{
	seal_fx_keys(fixed.sk, fixed.pk);
	for (int i = 0; i < SEAL_FX_KEYS; i++)
		fixed.pks[i] = fixed.pk[i];
}

/* docs/seal-format.md §4 read directly. */
static int
structure(const uint8_t *s, size_t n, size_t *m)
{
	static const uint8_t zero[8];
	size_t r, need;

	if (n < 13 || memcmp(s, "dot-seal", 8) != 0 || s[8] != 1 ||
	    s[9] != 0x12 || s[10] != 0x21 || s[11] > 1 || s[12] == 0)
		return DOT_ESEAL_FORMAT;
	if (s[12] > 32)
		return DOT_ESEAL_TOO_MANY;
	r = s[12];
	need = 29 + 1176 * r + 32 + 16;
	if (n < need || n - need > (64u << 20))
		return DOT_ESEAL_FORMAT;
	for (size_t i = 0; i < r; i++) {
		const uint8_t *k = s + 29 + 1176 * i;
		if (s[11] == 1 && memcmp(k, zero, 8) != 0)
			return DOT_ESEAL_FORMAT;
		for (size_t j = 0; s[11] == 0 && j < i; j++)
			if (memcmp(k, s + 29 + 1176 * j, 8) == 0)
				return DOT_ESEAL_FORMAT;
	}
	*m = n - need;
	return DOT_OK;
}

static void
fuzz_open(const uint8_t *s, size_t n)
{
	static uint8_t out[MAXIN];
	struct dot_seal_info info;
	size_t m = 0, outlen = 99;
	int want = structure(s, n, &m);
	int rv = dot_seal_parse(s, n, &info, NULL);

	if (rv != want)
		fail("parse verdict", rv);
	if (rv == DOT_OK &&
	    (info.payload_len != m || info.nrecipients != s[12]))
		fail("parse info", rv);
	rv = dot_seal_open(out, sizeof(out), &outlen, s, n, fixed.sk[0], 32,
			   binding, sizeof(binding), NULL);
	if (want != DOT_OK && rv != want)
		fail("open disagrees with parse", rv);
	if (rv != DOT_OK) {
		if (outlen != 0)
			fail("refused open gave a length", rv);
		fail_unless_zero(out, sizeof(out), "refused open left bytes",
				 rv);
		return;
	}
	if (outlen != m || outlen != sizeof(payload) ||
	    memcmp(out, payload, sizeof(payload)) != 0)
		fail("opened to a payload never sealed", rv);
	memset(out, 0, sizeof(out));
}

static void
fuzz_round_trip(const uint8_t *p, size_t n)
{
	static uint8_t sealed[DOT_SEAL_LEN(3, MAXIN)], out[MAXIN];
	size_t r, bl, len, outlen;
	unsigned flags;
	uint64_t seed = 1;
	int rv;

	if (n < 3)
		return;
	r = 1 + p[0] % 3;
	flags = p[1] & 1;
	bl = p[2];
	if (n - 3 < bl)
		return;
	rv = dot_seal(sealed, sizeof(sealed), &len, p + 3 + bl, n - 3 - bl,
		      fixed.pks, r, p + 3, bl, flags, rng, &seed, NULL);
	if (rv != (bl == 0 ? DOT_EINVAL : DOT_OK))
		fail("seal verdict", rv);
	if (rv != DOT_OK)
		return;
	if (len != DOT_SEAL_LEN(r, n - 3 - bl))
		fail("sealed length", rv);
	for (size_t k = 0; k <= r; k++) {
		size_t who = k < r ? k : 3;
		rv = dot_seal_open(out, sizeof(out), &outlen, sealed, len,
				   fixed.sk[who], 32, p + 3, bl, NULL);
		if (who == 3) {
			if (rv != DOT_ESEAL_NOT_RECIPIENT)
				fail("a non-recipient opened", rv);
			continue;
		}
		if (rv != DOT_OK || outlen != n - 3 - bl ||
		    memcmp(out, p + 3 + bl, outlen) != 0)
			fail("round trip", rv);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_fn cases[] = {fuzz_open, fuzz_round_trip};

	return fuzz_pick(data, size, MAXIN, setup, cases, 2);
}
