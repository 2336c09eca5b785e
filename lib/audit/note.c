/*
 * note.c - signed notes (c2sp.org/signed-note) with Ed25519 (type 0x01) and
 * the composite ML-DSA-65 + Ed25519 (type 0xff, "id-MLDSA65-Ed25519-SHA512";
 * docs/audit-format.md §5, docs/crypto.md §13.5), checkpoints
 * (c2sp.org/tlog-checkpoint), verifier keys, equivocation, and the checks
 * of proofs against checkpoints (audit.h, docs/audit-format.md).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "doteros/audit.h"
#include "doteros/heap.h"

#define H		 DOT_AUDIT_HASH_LEN
#define SIG_TYPE_ED25519 DOT_AUDIT_SIG_ED25519 /* signed-note types */
#define SIG_TYPE_OTHER	 DOT_AUDIT_SIG_OTHER
#define ED_SIG		 64
#define ED_PK		 32
#define CO_SIG		 (DOT_SIGN_SIG_MAX - 1) /* 3373: composite sig */
#define CO_PK		 (DOT_SIGN_PK_MAX - 1)	/* 1984: composite key */
#define CO_ID		 DOT_AUDIT_COMPOSITE_ID
#define CO_ID_LEN	 DOT_AUDIT_COMPOSITE_ID_LEN
/* The key bytes after the name's newline in a key id, and in base64 in a
 * verifier key: type || raw key, or 0xff || identifier || raw key. */
#define VK_MAX (1 + CO_ID_LEN + CO_PK)

/* "— " : U+2014 EM DASH, then a space. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN 4

/* ---- text helpers ---- */

/*
 * Decode one UTF-8 scalar value at s[0..n); returns its length (1..4) and
 * the value in *cp, or 0 for an invalid sequence (overlong, surrogate, above
 * U+10FFFF, truncated).
 */
static size_t
utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Go's unicode.IsSpace: the ASCII spaces, U+0085, U+00A0 and the Unicode
 * White_Space characters of category Z. */
static int
is_space(uint32_t c)
{
	switch (c) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xa0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202f:
	case 0x205f:
	case 0x3000:
		return 1;
	default:
		return c >= 0x2000 && c <= 0x200a;
	}
}

/* Valid UTF-8 with no control character below U+0020 other than newline
 * (and none at all when !newline_ok). */
static int
text_valid(const char *t, size_t n, int newline_ok)
{
	const uint8_t *s = (const uint8_t *)t;
	uint32_t c;

	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_next(s + i, n - i, &c);
		if (k == 0)
			return 0;
		if (c < 0x20 && !(newline_ok && c == '\n'))
			return 0;
	}
	return 1;
}

int
dot_audit_name_valid(const char *name, size_t n)
{
	const uint8_t *s = (const uint8_t *)name;
	uint32_t c;

	if (n == 0 || n > DOT_AUDIT_MAX_NAME)
		return 0;
	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_next(s + i, n - i, &c);
		if (k == 0 || c < 0x20 || c == '+' || is_space(c))
			return 0;
	}
	return 1;
}

/* ---- base64, RFC 4648 §4: standard alphabet, padded, strict ---- */

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_put(struct dot_buf *out, const uint8_t *in, size_t n)
{
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		q[0] = b64_chars[(v >> 18) & 63];
		q[1] = b64_chars[(v >> 12) & 63];
		q[2] = left > 1 ? b64_chars[(v >> 6) & 63] : '=';
		q[3] = left > 2 ? b64_chars[v & 63] : '=';
		dot_buf_put(out, q, 4);
	}
}

static int
b64_val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Decode strictly: a multiple of 4 characters, padding only at the end and
 * only as needed, zero unused bits (so each byte string has one encoding).
 * Writes the first min(total, cap) bytes to out; *total is the full length.
 * Returns 0 or -1.
 */
static int
b64_get(const char *in, size_t n, uint8_t *out, size_t cap, size_t *total)
{
	size_t o = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		uint32_t w;

		for (int j = 0; j < 4; j++) {
			char ch = in[i + j];

			if (ch == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad)
				return -1; /* data after padding */
			v[j] = b64_val(ch);
			if (v[j] < 0)
				return -1;
		}
		if (pad == 1 && in[i + 2] == '=')
			return -1;
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
		    (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if ((pad == 2 && (w & 0xffff)) || (pad == 1 && (w & 0xff)))
			return -1; /* non-zero unused bits */
		for (int j = 0; j < 3 - pad; j++, o++)
			if (o < cap)
				out[o] = (uint8_t)(w >> (16 - 8 * j));
	}
	*total = o;
	return 0;
}

/* ---- key ids and verifier keys ---- */

/* The raw signature length of a Doteros key of this suite and length:
 * 64 (Ed25519), 3373 (composite), 0 for any other. */
static size_t
raw_sig_len(const uint8_t *pk, size_t pk_len)
{
	if (pk_len == DOT_ED25519_PK_LEN && pk[0] == DOT_SUITE_ED25519)
		return ED_SIG;
	if (pk_len == DOT_SIGN_PK_MAX && pk[0] == DOT_SUITE_ED25519_MLDSA65)
		return CO_SIG;
	return 0;
}

/*
 * The signed-note form of a Doteros public key (suite checked by
 * raw_sig_len): 0x01 || 32-byte key, or 0xff || "id-MLDSA65-Ed25519-SHA512"
 * || 1984-byte key (the draft's serialization, without our suite byte: the
 * type and identifier name the algorithm). Returns its length.
 */
static size_t
vk_bytes(const uint8_t *pk, size_t pk_len, uint8_t out[VK_MAX])
{
	if (raw_sig_len(pk, pk_len) == ED_SIG) {
		out[0] = SIG_TYPE_ED25519;
		memcpy(out + 1, pk + 1, ED_PK);
		return 1 + ED_PK;
	}
	out[0] = SIG_TYPE_OTHER;
	memcpy(out + 1, CO_ID, CO_ID_LEN);
	memcpy(out + 1 + CO_ID_LEN, pk + 1, CO_PK);
	return VK_MAX;
}

/* SHA-256(key name || 0x0A || vk_bytes(key))[:4], big-endian. */
static uint32_t
key_id(const char *name, size_t name_len, const uint8_t *pk, size_t pk_len)
{
	static const uint8_t nl = 0x0a;
	struct dot_sha256_ctx c;
	uint8_t d[DOT_SHA256_LEN], k[VK_MAX];
	size_t klen = vk_bytes(pk, pk_len, k);

	dot_sha256_init(&c);
	dot_sha256_update(&c, name, name_len);
	dot_sha256_update(&c, &nl, 1);
	dot_sha256_update(&c, k, klen);
	dot_sha256_final(&c, d);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	       (uint32_t)d[2] << 8 | d[3];
}

int
dot_audit_vkey_from_pk(struct dot_audit_vkey *v, const char *name,
		       size_t name_len, const uint8_t *pk, size_t pk_len)
{
	int rv;

	memset(v, 0, sizeof(*v));
	if (!dot_audit_name_valid(name, name_len))
		return DOT_EAUDIT_KEY;
	if (pk_len == 0 || raw_sig_len(pk, pk_len) == 0)
		return DOT_ECRYPTO_SUITE;
	if ((rv = dot_sign_pk_check(pk, pk_len)) != DOT_OK)
		return rv;
	memcpy(v->name, name, name_len);
	v->name[name_len] = '\0';
	v->name_len = name_len;
	memcpy(v->key, pk, pk_len);
	v->key_len = pk_len;
	if (pk[0] == DOT_SUITE_ED25519)
		memcpy(v->pk, pk, pk_len);
	v->key_id = key_id(name, name_len, pk, pk_len);
	return DOT_OK;
}

int
dot_audit_vkey_encode(const struct dot_audit_vkey *v, struct dot_buf *out)
{
	char hex[16];
	uint8_t k[VK_MAX];
	size_t klen;

	if (!dot_audit_name_valid(v->name, v->name_len) ||
	    v->key_len > sizeof(v->key) || raw_sig_len(v->key, v->key_len) == 0)
		return DOT_EAUDIT_KEY;
	klen = vk_bytes(v->key, v->key_len, k);
	snprintf(hex, sizeof(hex), "+%08" PRIx32 "+", v->key_id);
	dot_buf_put(out, v->name, v->name_len);
	dot_buf_put(out, hex, 10);
	b64_put(out, k, klen);
	return out->err;
}

int
dot_audit_vkey_parse(struct dot_audit_vkey *v, const char *text, size_t n,
		     struct dot_err *e)
{
	const char *p1, *p2, *end = text + n;
	uint8_t k[VK_MAX + 1], pk[DOT_SIGN_PK_MAX];
	uint32_t id = 0;
	size_t klen, pklen;
	int rv;

	memset(v, 0, sizeof(*v));
	p1 = memchr(text, '+', n);
	p2 = p1 ? memchr(p1 + 1, '+', (size_t)(end - p1 - 1)) : NULL;
	if (p1 == NULL || p2 == NULL)
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "verifier key is not name+id+key");
	if (!dot_audit_name_valid(text, (size_t)(p1 - text)))
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "verifier key name is not a valid name");
	if (p2 - p1 - 1 != 8)
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "verifier key id is not 8 hex digits");
	for (const char *q = p1 + 1; q < p2; q++) {
		int d = *q >= '0' && *q <= '9'	 ? *q - '0'
			: *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
						 : -1;
		if (d < 0)
			return dot_err_set(e, DOT_EAUDIT_KEY,
					   "verifier key id is not 8 "
					   "lower-case hex digits");
		id = id << 4 | (uint32_t)d;
	}
	if (b64_get(p2 + 1, (size_t)(end - p2 - 1), k, sizeof(k), &klen) != 0)
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "verifier key is not padded base64");
	if (klen == 1 + ED_PK && k[0] == SIG_TYPE_ED25519) {
		pk[0] = DOT_SUITE_ED25519;
		memcpy(pk + 1, k + 1, ED_PK);
		pklen = DOT_ED25519_PK_LEN;
	} else if (klen == VK_MAX && k[0] == SIG_TYPE_OTHER &&
		   memcmp(k + 1, CO_ID, CO_ID_LEN) == 0) {
		pk[0] = DOT_SUITE_ED25519_MLDSA65;
		memcpy(pk + 1, k + 1 + CO_ID_LEN, CO_PK);
		pklen = DOT_SIGN_PK_MAX;
	} else {
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "verifier key is not an Ed25519 key "
				   "(type 0x01 and 32 bytes) nor a "
				   "composite one (type 0xff, "
				   "\"" CO_ID "\" and 1984 bytes)");
	}
	rv = dot_audit_vkey_from_pk(v, text, (size_t)(p1 - text), pk, pklen);
	if (rv != DOT_OK)
		return dot_err_set(e, DOT_EAUDIT_KEY, "verifier key: %s",
				   dot_strerror(rv));
	if (v->key_id != id) {
		memset(v, 0, sizeof(*v));
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "verifier key id %08" PRIx32 " does not "
				   "match its name and key",
				   id);
	}
	return DOT_OK;
}

/* ---- notes ---- */

/* Parsed state of a note before it is copied out. */
struct line {
	size_t name_off, name_len; /* into the note */
	size_t b64_off, b64_len;
	uint32_t key_id;
	size_t total;  /* decoded length */
	uint8_t id[4]; /* the first 4 decoded bytes: the key id */
};

/*
 * Parse a note's syntax: text, and signature lines (up to 100, each with a
 * valid name, base64 of at least 5 bytes, no two with one name and key id).
 * lines has room for DOT_AUDIT_MAX_SIGS.
 */
static int
note_syntax(const char *note, size_t n, size_t *text_len, struct line *lines,
	    size_t *nlines, struct dot_err *e)
{
	size_t split = 0, count = 0, at;
	int found = 0;

	if (n > DOT_AUDIT_NOTE_MAX)
		return dot_err_set(e, DOT_EAUDIT_NOTE_TOO_BIG,
				   "note of %zu bytes, the limit is %u", n,
				   DOT_AUDIT_NOTE_MAX);
	if (!text_valid(note, n, 1))
		return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
				   "note is not UTF-8 without control "
				   "characters");
	/* The text ends at the last blank line of the note. */
	for (size_t i = n; i >= 2; i--)
		if (note[i - 2] == '\n' && note[i - 1] == '\n') {
			split = i - 2;
			found = 1;
			break;
		}
	if (!found || split + 2 == n || note[n - 1] != '\n')
		return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
				   "note has no blank line followed by "
				   "newline-terminated signature lines");
	*text_len = split + 1;
	for (size_t i = split + 2; i < n; i++)
		count += note[i] == '\n';
	if (count > DOT_AUDIT_MAX_SIGS)
		return dot_err_set(e, DOT_EAUDIT_TOO_MANY_SIGS,
				   "note has %zu signature lines, the limit "
				   "is %d",
				   count, DOT_AUDIT_MAX_SIGS);
	at = split + 2;
	for (size_t l = 0; l < count; l++) {
		struct line *ln = &lines[l];
		const char *s = note + at;
		const char *eol = memchr(s, '\n', n - at);
		const char *sp;
		size_t len = (size_t)(eol - s);

		if (len < SIG_PREFIX_LEN ||
		    memcmp(s, sig_prefix, SIG_PREFIX_LEN) != 0)
			return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
					   "signature line %zu does not start "
					   "with an em dash and a space",
					   l + 1);
		sp = memchr(s + SIG_PREFIX_LEN, ' ', len - SIG_PREFIX_LEN);
		if (sp == NULL)
			return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
					   "signature line %zu has no "
					   "signature",
					   l + 1);
		ln->name_off = at + SIG_PREFIX_LEN;
		ln->name_len = (size_t)(sp - s) - SIG_PREFIX_LEN;
		ln->b64_off = (size_t)(sp + 1 - note);
		ln->b64_len = (size_t)(eol - sp - 1);
		if (!dot_audit_name_valid(note + ln->name_off, ln->name_len))
			return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
					   "signature line %zu: the key name "
					   "is empty, too long, or has a space "
					   "or '+'",
					   l + 1);
		if (b64_get(note + ln->b64_off, ln->b64_len, ln->id,
			    sizeof(ln->id), &ln->total) != 0 ||
		    ln->total < 5)
			return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
					   "signature line %zu: not padded "
					   "base64 of a key id and a signature",
					   l + 1);
		ln->key_id = (uint32_t)ln->id[0] << 24 |
			     (uint32_t)ln->id[1] << 16 |
			     (uint32_t)ln->id[2] << 8 | ln->id[3];
		for (size_t j = 0; j < l; j++)
			if (lines[j].key_id == ln->key_id &&
			    lines[j].name_len == ln->name_len &&
			    memcmp(note + lines[j].name_off,
				   note + ln->name_off, ln->name_len) == 0)
				return dot_err_set(
				    e, DOT_EAUDIT_DUPLICATE_SIG,
				    "signature lines %zu and %zu are "
				    "both by %.*s+%08" PRIx32,
				    j + 1, l + 1, (int)ln->name_len,
				    note + ln->name_off, ln->key_id);
		at = (size_t)(eol - note) + 1;
	}
	*nlines = count;
	return DOT_OK;
}

/* The Ed25519 key in a Doteros key of either suite: all of an Ed25519
 * key, the last 32 bytes of a composite one. */
static const uint8_t *
ed_half(const struct dot_audit_vkey *k)
{
	return k->key + k->key_len - ED_PK;
}

/*
 * Names and key ids of the known keys must be unique, and a composite key
 * shares its Ed25519 half with no other known key: trusting that half
 * alone too (as an Ed25519 key, or in another composite) would let its
 * classical signature stand for the composite's signer.
 */
static int
keys_check(const struct dot_audit_vkey *keys, size_t nkeys, struct dot_err *e)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (!dot_audit_name_valid(keys[i].name, keys[i].name_len) ||
		    keys[i].key_len > sizeof(keys[i].key) ||
		    raw_sig_len(keys[i].key, keys[i].key_len) == 0)
			return dot_err_set(e, DOT_EAUDIT_KEY,
					   "known key %zu is not a named "
					   "Ed25519 or composite key",
					   i);
		for (size_t j = 0; j < i; j++) {
			if ((keys[i].key[0] == DOT_SUITE_ED25519_MLDSA65 ||
			     keys[j].key[0] == DOT_SUITE_ED25519_MLDSA65) &&
			    memcmp(ed_half(&keys[i]), ed_half(&keys[j]),
				   ED_PK) == 0)
				return dot_err_set(e, DOT_EAUDIT_KEY,
						   "known keys %zu and %zu "
						   "share one Ed25519 key",
						   j, i);
			if (keys[j].key_id == keys[i].key_id &&
			    keys[j].name_len == keys[i].name_len &&
			    memcmp(keys[j].name, keys[i].name,
				   keys[i].name_len) == 0)
				return dot_err_set(e, DOT_EAUDIT_KEY,
						   "known keys %zu and %zu "
						   "are both %s+%08" PRIx32,
						   j, i, keys[i].name,
						   keys[i].key_id);
		}
	}
	return DOT_OK;
}

/*
 * Parse (and with verify, verify) a note into a fresh block of `hdr` bytes
 * (a struct dot_audit_note first), the signature array, and a copy of the
 * note.
 */
static int
note_read(const char *note, size_t n, const struct dot_audit_vkey *keys,
	  size_t nkeys, int verify, size_t hdr, struct dot_audit_note **out,
	  struct dot_err *e)
{
	struct line *lines = NULL;
	struct dot_audit_note *nt = NULL;
	size_t text_len = 0, nlines = 0;
	char *copy;
	int rv;

	*out = NULL;
	if (verify && (rv = keys_check(keys, nkeys, e)) != DOT_OK)
		goto out;
	lines = dot_malloc(DOT_AUDIT_MAX_SIGS * sizeof(*lines));
	if (lines == NULL) {
		rv = DOT_ENOMEM;
		goto out;
	}
	if ((rv = note_syntax(note, n, &text_len, lines, &nlines, e)) != DOT_OK)
		goto out;
	nt = dot_calloc(1, hdr + nlines * sizeof(*nt->sigs) + n + 1);
	if (nt == NULL) {
		rv = DOT_ENOMEM;
		goto out;
	}
	nt->sigs = (struct dot_audit_note_sig *)((char *)nt + hdr);
	copy = (char *)(nt->sigs + nlines);
	memcpy(copy, note, n);
	copy[n] = '\0';
	nt->note = copy;
	nt->note_len = n;
	nt->text = copy;
	nt->text_len = text_len;
	nt->nsigs = nlines;
	for (size_t l = 0; l < nlines; l++) {
		struct dot_audit_note_sig *s = &nt->sigs[l];
		const struct line *ln = &lines[l];

		s->name = copy + ln->name_off;
		s->name_len = ln->name_len;
		s->key_id = ln->key_id;
		if (!verify)
			continue;
		for (size_t k = 0; k < nkeys; k++) {
			uint8_t raw[4 + CO_SIG], *sig = raw + 3;
			size_t slen = raw_sig_len(keys[k].key, keys[k].key_len);
			size_t total = 0;

			if (keys[k].key_id != ln->key_id ||
			    keys[k].name_len != ln->name_len ||
			    memcmp(keys[k].name, s->name, s->name_len) != 0)
				continue;
			/*
			 * A known key: its signature must verify, and be of
			 * its key's type and length exactly. The line is
			 * decoded again (note_syntax kept its key id only);
			 * sig is the suite byte over raw's last key id byte,
			 * then the signature.
			 */
			if (b64_get(copy + ln->b64_off, ln->b64_len, raw,
				    sizeof(raw), &total) != 0 ||
			    total != 4 + slen) {
				rv = dot_err_set(e, DOT_EAUDIT_SIGNATURE,
						 "signature line %zu by "
						 "%s+%08" PRIx32 " does not "
						 "verify (%zu bytes, not %zu)",
						 l + 1, keys[k].name,
						 ln->key_id, total, 4 + slen);
				goto out;
			}
			sig[0] = keys[k].key[0];
			if (dot_verify(keys[k].key, keys[k].key_len, copy,
				       text_len, sig, 1 + slen) != DOT_OK) {
				rv = dot_err_set(e, DOT_EAUDIT_SIGNATURE,
						 "signature line %zu by "
						 "%s+%08" PRIx32 " does not "
						 "verify",
						 l + 1, keys[k].name,
						 ln->key_id);
				goto out;
			}
			s->verified = 1;
			s->key = k;
			nt->nverified++;
			break;
		}
	}
	if (verify && nt->nverified == 0) {
		rv = dot_err_set(e, DOT_EAUDIT_NO_KNOWN_SIGNER,
				 "none of the note's %zu signatures is by a "
				 "known key",
				 nlines);
		goto out;
	}
	*out = nt;
	nt = NULL;
	rv = DOT_OK;
out:
	dot_free(nt);
	dot_free(lines);
	return rv;
}

int
dot_audit_note_open(const char *note, size_t n,
		    const struct dot_audit_vkey *keys, size_t nkeys,
		    struct dot_audit_note **out, struct dot_err *e)
{
	return note_read(note, n, keys, nkeys, 1, sizeof(**out), out, e);
}

void
dot_audit_note_free(struct dot_audit_note *n)
{
	dot_free(n);
}

/*
 * Append "— name base64(id || sig)\n" to out: sig is the Ed25519 signature
 * of the text (64 bytes), or the composite ML-DSA-65 + Ed25519 signature
 * of the text with an empty context (3373 bytes, docs/crypto.md §13.6:
 * dot_sign, deterministic).
 */
static int
sig_line(const char *text, size_t text_len, const struct dot_sign_sk *sk,
	 const char *name, size_t name_len, uint32_t *id_out,
	 struct dot_buf *out, struct dot_err *e)
{
	uint8_t pk[DOT_SIGN_PK_MAX], sig[DOT_SIGN_SIG_MAX], line[4 + CO_SIG];
	size_t siglen, pklen, slen;
	uint32_t id;
	int rv;

	if (!dot_audit_name_valid(name, name_len))
		return dot_err_set(e, DOT_EAUDIT_KEY,
				   "key name is empty, too long, or has a "
				   "space or '+'");
	pklen = dot_sign_sk_public(sk, pk);
	slen = pklen > 0 ? raw_sig_len(pk, pklen) : 0;
	if (slen == 0 || dot_sign_sk_suite(sk) != pk[0])
		return dot_err_set(e, DOT_ECRYPTO_SUITE,
				   "notes are signed with Ed25519 keys or "
				   "composite ML-DSA-65 + Ed25519 keys");
	id = key_id(name, name_len, pk, pklen);
	if ((rv = dot_sign(sk, text, text_len, sig, &siglen)) != DOT_OK)
		return dot_err_set(e, rv, "signing the note failed");
	assert(siglen == 1 + slen && sig[0] == pk[0]);
	line[0] = (uint8_t)(id >> 24);
	line[1] = (uint8_t)(id >> 16);
	line[2] = (uint8_t)(id >> 8);
	line[3] = (uint8_t)id;
	memcpy(line + 4, sig + 1, slen);
	dot_buf_put(out, sig_prefix, SIG_PREFIX_LEN);
	dot_buf_put(out, name, name_len);
	dot_buf_put(out, " ", 1);
	b64_put(out, line, 4 + slen);
	dot_buf_put(out, "\n", 1);
	if (id_out)
		*id_out = id;
	return out->err;
}

int
dot_audit_note_sign(const char *text, size_t text_len,
		    const struct dot_sign_sk *sk, const char *name,
		    size_t name_len, struct dot_buf *out, struct dot_err *e)
{
	size_t mark = out->len;
	int rv;

	if (text_len == 0 || text[text_len - 1] != '\n' ||
	    text_len + 1 > DOT_AUDIT_NOTE_MAX || !text_valid(text, text_len, 1))
		return dot_err_set(e, DOT_EAUDIT_NOTE_FORMAT,
				   "note text must be UTF-8 without control "
				   "characters and end in a newline");
	dot_buf_put(out, text, text_len);
	dot_buf_put(out, "\n", 1);
	rv = sig_line(text, text_len, sk, name, name_len, NULL, out, e);
	if (rv != DOT_OK && out->err == DOT_OK)
		out->len = mark;
	return rv;
}

int
dot_audit_note_cosign(const char *note, size_t n, const struct dot_sign_sk *sk,
		      const char *name, size_t name_len, struct dot_buf *out,
		      struct dot_err *e)
{
	struct dot_audit_note *nt = NULL;
	struct dot_buf line = {0};
	uint32_t id;
	int rv;

	rv = note_read(note, n, NULL, 0, 0, sizeof(*nt), &nt, e);
	if (rv != DOT_OK)
		goto out;
	if (nt->nsigs == DOT_AUDIT_MAX_SIGS) {
		rv = dot_err_set(e, DOT_EAUDIT_TOO_MANY_SIGS,
				 "note already has %d signatures",
				 DOT_AUDIT_MAX_SIGS);
		goto out;
	}
	rv =
	    sig_line(nt->text, nt->text_len, sk, name, name_len, &id, &line, e);
	if (rv != DOT_OK)
		goto out;
	if (n + line.len > DOT_AUDIT_NOTE_MAX) {
		rv = dot_err_set(e, DOT_EAUDIT_NOTE_TOO_BIG,
				 "no room for one more signature under %u "
				 "bytes",
				 DOT_AUDIT_NOTE_MAX);
		goto out;
	}
	for (size_t i = 0; i < nt->nsigs; i++)
		if (nt->sigs[i].key_id == id &&
		    nt->sigs[i].name_len == name_len &&
		    memcmp(nt->sigs[i].name, name, name_len) == 0) {
			rv = dot_err_set(e, DOT_EAUDIT_DUPLICATE_SIG,
					 "%.*s+%08" PRIx32 " has already "
					 "signed the note",
					 (int)name_len, name, id);
			goto out;
		}
	dot_buf_put(out, note, n);
	dot_buf_put(out, line.data, line.len);
	rv = out->err;
out:
	dot_buf_free(&line);
	dot_audit_note_free(nt);
	return rv;
}

/* ---- checkpoints ---- */

static int
origin_valid(const char *o, size_t n)
{
	return n > 0 && n <= DOT_AUDIT_MAX_NAME && text_valid(o, n, 0);
}

int
dot_audit_checkpoint_sign(const char *origin, size_t origin_len, uint64_t size,
			  const uint8_t root[H], const struct dot_sign_sk *sk,
			  const char *name, size_t name_len,
			  struct dot_buf *out, struct dot_err *e)
{
	struct dot_buf body = {0};
	char num[24];
	int rv;

	if (!origin_valid(origin, origin_len))
		return dot_err_set(e, DOT_EAUDIT_CHECKPOINT_FORMAT,
				   "origin must be 1..%d bytes of UTF-8 "
				   "without control characters",
				   DOT_AUDIT_MAX_NAME);
	snprintf(num, sizeof(num), "%" PRIu64, size);
	dot_buf_put(&body, origin, origin_len);
	dot_buf_put(&body, "\n", 1);
	dot_buf_put(&body, num, strlen(num));
	dot_buf_put(&body, "\n", 1);
	b64_put(&body, root, H);
	dot_buf_put(&body, "\n", 1);
	if ((rv = body.err) != DOT_OK)
		goto out;
	rv = dot_audit_note_sign((const char *)body.data, body.len, sk, name,
				 name_len, out, e);
out:
	dot_buf_free(&body);
	return rv;
}

/* The checkpoint body of a parsed note (c2sp.org/tlog-checkpoint). */
static int
checkpoint_body(struct dot_audit_checkpoint *c, struct dot_err *e)
{
	const int code = DOT_EAUDIT_CHECKPOINT_FORMAT;
	const char *t = c->note.text, *end = t + c->note.text_len, *nl;
	uint8_t root[H + 1], empty[H];
	size_t len, rlen;

	/* 1: the origin. */
	nl = memchr(t, '\n', (size_t)(end - t));
	if (!origin_valid(t, (size_t)(nl - t)))
		return dot_err_set(e, code,
				   "origin line is empty or over %d "
				   "bytes",
				   DOT_AUDIT_MAX_NAME);
	c->origin = t;
	c->origin_len = (size_t)(nl - t);
	t = nl + 1;
	/* 2: the tree size, decimal, no leading zero. */
	nl = t < end ? memchr(t, '\n', (size_t)(end - t)) : NULL;
	if (nl == NULL)
		return dot_err_set(e, code, "no tree size line");
	len = (size_t)(nl - t);
	if (len == 0 || len > 20 || (t[0] == '0' && len > 1))
		return dot_err_set(e, code,
				   "tree size is not a decimal "
				   "number without leading zeros");
	c->size = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(t[i] - '0');

		if (t[i] < '0' || t[i] > '9' || c->size > (UINT64_MAX - d) / 10)
			return dot_err_set(e, code,
					   "tree size is not a "
					   "decimal number below 2^64");
		c->size = c->size * 10 + d;
	}
	t = nl + 1;
	/* 3: the root hash. */
	nl = t < end ? memchr(t, '\n', (size_t)(end - t)) : NULL;
	if (nl == NULL)
		return dot_err_set(e, code, "no root hash line");
	if (b64_get(t, (size_t)(nl - t), root, sizeof(root), &rlen) != 0 ||
	    rlen != H)
		return dot_err_set(e, code,
				   "root hash is not padded base64 "
				   "of 32 bytes");
	memcpy(c->root, root, H);
	t = nl + 1;
	/* 4: extension lines, each non-empty. */
	c->ext = t;
	c->ext_len = (size_t)(end - t);
	while (t < end) {
		nl = memchr(t, '\n', (size_t)(end - t));
		if (nl == t)
			return dot_err_set(e, code, "empty extension line");
		t = nl + 1;
	}
	dot_audit_empty_root(empty);
	if (c->size == 0 && memcmp(c->root, empty, H) != 0)
		return dot_err_set(e, code,
				   "an empty tree's root must be "
				   "SHA-256 of the empty string");
	return DOT_OK;
}

int
dot_audit_checkpoint_open(const char *note, size_t n,
			  const struct dot_audit_vkey *keys, size_t nkeys,
			  const char *origin, size_t origin_len,
			  struct dot_audit_checkpoint **out, struct dot_err *e)
{
	struct dot_audit_note *nt = NULL;
	struct dot_audit_checkpoint *c;
	int rv;

	*out = NULL;
	rv = note_read(note, n, keys, nkeys, 1, sizeof(*c), &nt, e);
	if (rv != DOT_OK)
		return rv;
	c = (struct dot_audit_checkpoint *)nt;
	if ((rv = checkpoint_body(c, e)) != DOT_OK)
		goto out;
	if (origin != NULL && (origin_len != c->origin_len ||
			       memcmp(origin, c->origin, origin_len) != 0)) {
		rv = dot_err_set(e, DOT_EAUDIT_ORIGIN,
				 "checkpoint is for log \"%.*s\", not "
				 "\"%.*s\"",
				 (int)c->origin_len, c->origin, (int)origin_len,
				 origin);
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (c != NULL)
		dot_free(c);
	return rv;
}

void
dot_audit_checkpoint_free(struct dot_audit_checkpoint *c)
{
	dot_free(c);
}

static int
same_origin(const struct dot_audit_checkpoint *a,
	    const struct dot_audit_checkpoint *b)
{
	return a->origin_len == b->origin_len &&
	       memcmp(a->origin, b->origin, a->origin_len) == 0;
}

int
dot_audit_checkpoint_compare(const struct dot_audit_checkpoint *a,
			     const struct dot_audit_checkpoint *b,
			     struct dot_audit_equivocation *ev)
{
	if (!same_origin(a, b) || a->size != b->size ||
	    memcmp(a->root, b->root, H) == 0)
		return DOT_OK;
	if (ev != NULL) {
		ev->note_a = a->note.note;
		ev->note_a_len = a->note.note_len;
		ev->note_b = b->note.note;
		ev->note_b_len = b->note.note_len;
	}
	return DOT_EAUDIT_EQUIVOCATION;
}

int
dot_audit_checkpoint_verify_inclusion(const struct dot_audit_checkpoint *cp,
				      const uint8_t leaf[H], uint64_t index,
				      const struct dot_audit_proof *p,
				      struct dot_err *e)
{
	int rv;

	if (p->kind != DOT_AUDIT_PROOF_INCLUSION)
		return dot_err_set(e, DOT_EAUDIT_PROOF_FORMAT,
				   "not an inclusion proof");
	if (p->index != index || p->size != cp->size)
		return dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
				   "proof is for leaf %" PRIu64 " of %" PRIu64
				   ", the question is leaf %" PRIu64
				   " of the checkpoint's %" PRIu64,
				   p->index, p->size, index, cp->size);
	rv = dot_audit_verify_inclusion(index, cp->size, leaf, p->hashes[0],
					p->n, cp->root);
	if (rv != DOT_OK)
		return dot_err_set(e, rv,
				   "leaf %" PRIu64 " of %.*s at size "
				   "%" PRIu64 ": %s",
				   index, (int)cp->origin_len, cp->origin,
				   cp->size, dot_strerror(rv));
	return DOT_OK;
}

int
dot_audit_checkpoint_verify_consistency(
    const struct dot_audit_checkpoint *older,
    const struct dot_audit_checkpoint *newer, const struct dot_audit_proof *p,
    struct dot_err *e)
{
	int rv;

	if (!same_origin(older, newer))
		return dot_err_set(e, DOT_EAUDIT_ORIGIN,
				   "checkpoints of two logs: \"%.*s\" and "
				   "\"%.*s\"",
				   (int)older->origin_len, older->origin,
				   (int)newer->origin_len, newer->origin);
	if (older->size == newer->size &&
	    memcmp(older->root, newer->root, H) != 0)
		return dot_err_set(e, DOT_EAUDIT_EQUIVOCATION,
				   "two roots for size %" PRIu64 " of %.*s",
				   older->size, (int)older->origin_len,
				   older->origin);
	if (p->kind != DOT_AUDIT_PROOF_CONSISTENCY)
		return dot_err_set(e, DOT_EAUDIT_PROOF_FORMAT,
				   "not a consistency proof");
	if (p->index != older->size || p->size != newer->size)
		return dot_err_set(e, DOT_EAUDIT_PROOF_RANGE,
				   "proof is from size %" PRIu64 " to %" PRIu64
				   ", the checkpoints are %" PRIu64
				   " and %" PRIu64,
				   p->index, p->size, older->size, newer->size);
	rv = dot_audit_verify_consistency(older->size, newer->size, older->root,
					  newer->root, p->hashes[0], p->n);
	if (rv != DOT_OK)
		return dot_err_set(
		    e, rv, "%.*s from size %" PRIu64 " to %" PRIu64 ": %s",
		    (int)older->origin_len, older->origin, older->size,
		    newer->size, dot_strerror(rv));
	return DOT_OK;
}
