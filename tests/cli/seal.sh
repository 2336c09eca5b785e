#!/usr/bin/env bash
# tests/cli/seal.sh - dot key new --kind seal, dot seal and dot open, in TAP.
#
#   tests/cli/seal.sh <path-to-dot>
#
# X-Wing keys made, shown and listed; files sealed to one, two and 32
# recipients (by name, dotpk1 text and file), each opening to identical
# bytes; a stranger, another binding, every region of the format damaged,
# truncations, 33 recipients, empty and 5 MiB inputs, standard input and
# output, a terminal refused; and keys of the wrong kind refused both ways.
# Offsets are docs/seal-format.md §4's. Needs no dotd.
set -u

DOT=${1:?usage: seal.sh <path-to-dot>}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac

TEST_NAME=seal
. "$(dirname "$0")/../lib.sh"

first_line() { head -n 1 "$TMP/out"; }
# flip IN OFFSET OUT [MASK]: a copy of IN with one byte XORed.
flip() {
	python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2])] ^= int(sys.argv[4])
open(sys.argv[3], "wb").write(b)' "$1" "$2" "$3" "${4:-1}"
}
# cut IN LEN OUT: the first LEN bytes of IN.
cut_to() { head -c "$2" "$1" >"$3"; }
size() { stat -c %s "$1"; }
# opened CODE DESC KEY FILE [args]: dot open refused with CODE, no output.
opened_refused() {
	local code=$1 desc=$2 key=$3 file=$4
	shift 4
	rm -f "$TMP/refused.out"
	refused "$code" "$desc" -- "$DOT" open --key "$key" -o "$TMP/refused.out" \
		"$@" "$file"
	[ ! -e "$TMP/refused.out" ]
	ok $? "$desc: nothing written"
}

# ---- help and usage ----
for c in seal open; do
	run 0 "dot $c --help" -- "$DOT" $c --help
	out_has "usage: dot $c" "dot $c --help prints its usage"
	run 0 "dot $c -h" -- "$DOT" $c -h
	run 2 "dot $c with an unknown option" -- "$DOT" $c --no-such-option
done
run 0 "dot help seal" -- "$DOT" help seal
out_has "dot-seal-file/1" "seal help names the default binding"
run 0 "dot help lists seal and open" -- "$DOT" help
out_has "dot seal" "dot help lists dot seal"
out_has "dot open" "dot help lists dot open"
run 0 "key new --help names --kind" -- "$DOT" key new --help
out_has "--kind sign|seal" "key new --help shows --kind"

# ---- keys ----
run 0 "key new alice --kind seal" -- "$DOT" key new alice --kind seal
ALICE=$(first_line)
case $ALICE in dotpk1E*) r=0 ;; *) r=1 ;; esac
ok $r "an X-Wing public key is dotpk1 with suite 0x12 (dotpk1E...)"
[ ${#ALICE} -eq 1634 ]
ok $? "its text is 6 + base64url(1 + 1216 + 4) = 1634 characters"
[ "$(stat -c %a "$DOT_DIR/keys/alice.key")" = 600 ]
ok $? "the seal key file has mode 0600"
run 0 "key new bob --kind seal --json" -- "$DOT" key new bob --kind seal --json
json_ok 'd["kind"] == "seal" and d["suite"] == "x-wing" and d["public_key"].startswith("dotpk1")' \
	"key new --json says kind seal, suite x-wing"
BOB=$(pyget 'd["public_key"]')
run 0 "key new stranger --kind seal" -- "$DOT" key new stranger --kind seal
run 0 "key new signer (a signing key)" -- "$DOT" key new signer
SIGNER=$(first_line)
run 0 "key new --kind sign is the default kind" -- \
	"$DOT" key new signer2 --kind sign --json
json_ok 'd["kind"] == "sign" and d["suite"] == "ed25519+ml-dsa-65"' \
	"--kind sign: the composite by default"
run 2 "key new --kind bogus" -- "$DOT" key new x --kind bogus
err_has "sign" "--kind error names the kinds"

run 0 "key show alice" -- env -u DOT_PASSPHRASE "$DOT" key show alice
out_has "$ALICE" "key show prints the X-Wing public key"
out_has "x-wing" "key show prints suite x-wing"
out_has "seal" "key show prints kind seal"
run 0 "key show alice --json" -- "$DOT" key show alice --json
json_ok "d['public_key'] == '$ALICE' and d['kind'] == 'seal' and len(d['key_id']) == 16" \
	"key show --json of a seal key"
run 0 "key list" -- "$DOT" key list
grep -E '^alice +seal ' "$TMP/out" >/dev/null && grep -E '^signer +sign ' "$TMP/out" >/dev/null
ok $? "key list shows each key's kind"
run 0 "key list --json" -- "$DOT" key list --json
json_ok '{k["name"]: k["kind"] for k in d} == {"alice": "seal", "bob": "seal", "stranger": "seal", "signer": "sign", "signer2": "sign"}' \
	"key list --json gives each kind"

# ---- kinds are not interchangeable ----
refused DOT_ECRYPTO_SUITE "a seal key refused by a signing command (cap mint --key)" -- \
	"$DOT" cap mint --key alice --holder signer --resource /a --rights read
err_has "X-Wing key" "the refusal says it is an X-Wing key"
refused DOT_ECRYPTO_SUITE "a seal public key refused as a token holder" -- \
	"$DOT" cap mint --key signer --holder "$ALICE" --resource /a --rights read
refused DOT_ECRYPTO_SUITE "a seal key refused as a node's admin key (init)" -- \
	"$DOT" init --admin-key alice --dir "$TMP/node"
printf 'hello, sealed world\n' >"$TMP/msg"
refused DOT_ECRYPTO_SUITE "a signing key refused as a recipient (name)" -- \
	"$DOT" seal -r signer -o "$TMP/x" "$TMP/msg"
err_has "--kind seal" "the refusal says how to make a seal key"
refused DOT_ECRYPTO_SUITE "a signing key refused as a recipient (dotpk1)" -- \
	"$DOT" seal -r "$SIGNER" -o "$TMP/x" "$TMP/msg"

# ---- seal to one, open ----
run 0 "seal to alice" -- "$DOT" seal -r alice -o "$TMP/m1.sealed" "$TMP/msg"
[ "$(size "$TMP/m1.sealed")" -eq $((77 + 1176 + 20)) ]
ok $? "the sealed file is 77 + 1176 r + n bytes"
[ "$(stat -c %a "$TMP/m1.sealed")" = 600 ]
ok $? "the sealed file has mode 0600"
head -c 8 "$TMP/m1.sealed" | grep -q '^dot-seal$'
ok $? "the sealed file starts with dot-seal"
run 0 "alice opens it" -- "$DOT" open --key alice -o "$TMP/m1.out" "$TMP/m1.sealed"
cmp -s "$TMP/msg" "$TMP/m1.out"
ok $? "alice gets identical bytes"
[ "$(stat -c %a "$TMP/m1.out")" = 600 ]
ok $? "the opened file has mode 0600"
opened_refused DOT_ESEAL_NOT_RECIPIENT "bob is not a recipient" bob "$TMP/m1.sealed"
opened_refused DOT_ESEAL_NOT_RECIPIENT "the stranger is refused" stranger "$TMP/m1.sealed"
opened_refused DOT_ECRYPTO_SUITE "a signing key refused by dot open" signer "$TMP/m1.sealed"
err_has "signing key" "the refusal says it is a signing key"
opened_refused DOT_ECRYPTO_PASSPHRASE "a wrong passphrase" alice "$TMP/m1.sealed" \
	--passphrase-file /dev/null
run 1 "open without a passphrase source" -- \
	env -u DOT_PASSPHRASE setsid "$DOT" open --key alice -o "$TMP/np" "$TMP/m1.sealed"
err_has "no passphrase" "a missing passphrase is named"
run 0 "a not-a-recipient refusal needs no passphrase" -- true
env -u DOT_PASSPHRASE setsid "$DOT" open --key bob -o "$TMP/np" "$TMP/m1.sealed" \
	>"$TMP/out" 2>"$TMP/err" </dev/null
grep -q "not sealed to" "$TMP/err"
ok $? "the stranger is told before any passphrase is asked"

# ---- seal to both, by name, by dotpk1 text, by a file of it ----
printf '%s\n' "$BOB" >"$TMP/bob.pub"
run 0 "seal to alice (name) and bob (text) --json" -- \
	"$DOT" seal -r alice -r "$BOB" -o "$TMP/m2.sealed" --json "$TMP/msg"
json_ok 'd["ok"] is True and d["recipients"] == 2 and d["bytes"] == 77 + 2 * 1176 + 20' \
	"seal --json gives ok, recipients, bytes"
for k in alice bob; do
	run 0 "$k opens the payload sealed to both (--json)" -- \
		"$DOT" open --key $k -o "$TMP/m2.$k" --json "$TMP/m2.sealed"
	json_ok 'd["ok"] is True and d["bytes"] == 20' "open --json gives ok, bytes"
	cmp -s "$TMP/msg" "$TMP/m2.$k"
	ok $? "$k gets identical bytes"
done
opened_refused DOT_ESEAL_NOT_RECIPIENT "the stranger is refused (two recipients)" \
	stranger "$TMP/m2.sealed"
run 0 "seal to a recipient file of dotpk1 text and a key FILE" -- \
	"$DOT" seal -r "$TMP/bob.pub" -r "$DOT_DIR/keys/alice.key" -o "$TMP/m3.sealed" "$TMP/msg"
run 0 "bob opens it" -- "$DOT" open --key bob -o "$TMP/m3.out" "$TMP/m3.sealed"
cmp -s "$TMP/msg" "$TMP/m3.out"
ok $? "bob gets identical bytes"
run 0 "alice opens it with her key FILE" -- \
	"$DOT" open --key "$DOT_DIR/keys/alice.key" -o "$TMP/m3.a" "$TMP/m3.sealed"
cmp -s "$TMP/msg" "$TMP/m3.a"
ok $? "alice gets identical bytes"

refused DOT_EINVAL "the same recipient twice" -- \
	"$DOT" seal -r alice -r "$ALICE" -o "$TMP/x" "$TMP/msg"
err_has "same key" "the repeated recipient is named"
typo=${ALICE:0:100}$([ "${ALICE:100:1}" = A ] && echo B || echo A)${ALICE:101}
refused DOT_ETEXT_CHECKSUM "a mistyped recipient" -- \
	"$DOT" seal -r "$typo" -o "$TMP/x" "$TMP/msg"
refused DOT_ETEXT_PREFIX "a recipient file that is not a key" -- \
	"$DOT" seal -r "$TMP/msg" -o "$TMP/x" "$TMP/msg"
refused DOT_EINVAL "a recipient that does not exist" -- \
	"$DOT" seal -r nobody -o "$TMP/x" "$TMP/msg"
run 2 "seal without a recipient" -- "$DOT" seal -o "$TMP/x" "$TMP/msg"
run 2 "seal with two inputs" -- "$DOT" seal -r alice "$TMP/msg" "$TMP/msg"
run 2 "seal --json without -o" -- "$DOT" seal -r alice --json "$TMP/msg"
run 2 "open without --key" -- "$DOT" open "$TMP/m1.sealed"
run 2 "open --json without -o" -- "$DOT" open --key alice --json "$TMP/m1.sealed"
run 2 "seal --bind ''" -- "$DOT" seal -r alice --bind '' -o "$TMP/x" "$TMP/msg"
run 2 "seal --bind of 256 bytes" -- \
	"$DOT" seal -r alice --bind "$(printf 'b%.0s' $(seq 256))" -o "$TMP/x" "$TMP/msg"
run 1 "seal of a missing file" -- "$DOT" seal -r alice -o "$TMP/x" "$TMP/nope"

# ---- bindings ----
opened_refused DOT_ESEAL_BINDING "another --bind is refused" alice "$TMP/m1.sealed" \
	--bind other
err_has "dot-seal-file/1" "the binding refusal names the default"
run 0 "seal --bind obj:42" -- \
	"$DOT" seal -r alice -r bob --bind obj:42 -o "$TMP/b.sealed" "$TMP/msg"
run 0 "open with the same --bind" -- \
	"$DOT" open --key bob --bind obj:42 -o "$TMP/b.out" "$TMP/b.sealed"
cmp -s "$TMP/msg" "$TMP/b.out"
ok $? "the bound payload opens to identical bytes"
opened_refused DOT_ESEAL_BINDING "a bound payload without --bind" bob "$TMP/b.sealed"
opened_refused DOT_ESEAL_BINDING "a prefix of the binding" bob "$TMP/b.sealed" \
	--bind obj:4
run 0 "--bind of 255 bytes" -- "$DOT" seal -r alice \
	--bind "$(printf 'b%.0s' $(seq 255))" -o "$TMP/b255.sealed" "$TMP/msg"
run 0 "opens with it" -- "$DOT" open --key alice \
	--bind "$(printf 'b%.0s' $(seq 255))" -o "$TMP/b255.out" "$TMP/b255.sealed"

# ---- anonymous ----
run 0 "seal --anonymous to alice and bob" -- \
	"$DOT" seal --anonymous -r alice -r bob -o "$TMP/an.sealed" "$TMP/msg"
for k in alice bob; do
	run 0 "$k opens the anonymous payload" -- \
		"$DOT" open --key $k -o "$TMP/an.$k" "$TMP/an.sealed"
	cmp -s "$TMP/msg" "$TMP/an.$k"
	ok $? "$k gets identical bytes (anonymous)"
done
opened_refused DOT_ESEAL_NOT_RECIPIENT "the stranger is refused (anonymous)" \
	stranger "$TMP/an.sealed"
python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
sys.exit(0 if b[11] == 1 and b[29:37] == bytes(8) and b[1205:1213] == bytes(8) else 1)' \
	"$TMP/an.sealed"
ok $? "an anonymous payload has flag 0x01 and zero key ids"

# ---- --info ----
run 0 "open --info needs no key and no passphrase" -- \
	env -u DOT_PASSPHRASE "$DOT" open --info "$TMP/m2.sealed"
out_has "recipients: 2" "--info shows the recipient count"
out_has 'matches "dot-seal-file/1"' "--info says the binding matches"
run 0 "open --info --key bob --json" -- \
	env -u DOT_PASSPHRASE "$DOT" open --info --key bob --json "$TMP/m2.sealed"
json_ok 'd["ok"] and d["recipients"] == 2 and len(d["key_ids"]) == 2 and d["payload_bytes"] == 20 and d["anonymous"] is False and d["binding_matches"] is True and d["key_recipient"] == 1 and d["sealed_bytes"] == 77 + 2 * 1176 + 20' \
	"--info --json: recipients, key ids, payload length, binding, which stanza"
run 0 "open --info --key stranger --json" -- \
	"$DOT" open --info --key stranger --json "$TMP/m2.sealed"
json_ok 'd["key_recipient"] is False' "--info: the stranger is not a recipient"
run 0 "open --info --bind other --json" -- \
	"$DOT" open --info --bind other --json "$TMP/m2.sealed"
json_ok 'd["binding_matches"] is False' "--info: another binding does not match"
run 0 "open --info of an anonymous payload --json" -- \
	"$DOT" open --info --key alice --json "$TMP/an.sealed"
json_ok 'd["anonymous"] is True and d["key_ids"] == [] and d["key_recipient"] is None' \
	"--info: an anonymous payload lists no key ids"
refused DOT_ESEAL_FORMAT "--info of a file that is not sealed" -- \
	"$DOT" open --info "$TMP/msg"
run 2 "--info with -o" -- "$DOT" open --info -o "$TMP/x" "$TMP/m1.sealed"

# ---- damage: not sealed, one flipped byte in each region, truncations ----
opened_refused DOT_ESEAL_FORMAT "a file that is not a sealed payload" alice "$TMP/msg"
: >"$TMP/empty"
opened_refused DOT_ESEAL_FORMAT "an empty file" alice "$TMP/empty"
L=$(size "$TMP/m1.sealed") # one recipient, 20 bytes
# offset mask code: magic, version, KEM suite, AEAD suite, flags, count
# (1 -> 0), fingerprint, key id, X-Wing ciphertext, wrapped key and its
# tag, header MAC, payload, payload tag.
while read -r off mask code what; do
	flip "$TMP/m1.sealed" "$off" "$TMP/f.sealed" "$mask"
	opened_refused "$code" "byte $off flipped ($what)" alice "$TMP/f.sealed"
done <<EOF
0 1 DOT_ESEAL_FORMAT magic
7 32 DOT_ESEAL_FORMAT magic
8 1 DOT_ESEAL_FORMAT version
9 1 DOT_ESEAL_FORMAT kem-suite
10 1 DOT_ESEAL_FORMAT aead-suite
11 128 DOT_ESEAL_FORMAT flags
12 1 DOT_ESEAL_FORMAT count
13 1 DOT_ESEAL_BINDING fingerprint
28 128 DOT_ESEAL_BINDING fingerprint
29 1 DOT_ESEAL_NOT_RECIPIENT key-id
36 255 DOT_ESEAL_NOT_RECIPIENT key-id
37 1 DOT_ESEAL_OPEN ciphertext
700 16 DOT_ESEAL_OPEN ciphertext
1156 1 DOT_ESEAL_OPEN ciphertext
1157 1 DOT_ESEAL_OPEN wrapped-key
1188 1 DOT_ESEAL_OPEN wrapped-key
1189 1 DOT_ESEAL_OPEN wrapped-key-tag
1204 1 DOT_ESEAL_OPEN wrapped-key-tag
1205 1 DOT_ESEAL_OPEN header-mac
1236 1 DOT_ESEAL_OPEN header-mac
1237 1 DOT_ESEAL_OPEN payload
1256 1 DOT_ESEAL_OPEN payload
1257 1 DOT_ESEAL_OPEN payload-tag
$((L - 1)) 128 DOT_ESEAL_OPEN payload-tag
EOF
# A sample of every other offset, each refused with some error.
bad=0
for off in $(seq 0 53 $((L - 1))); do
	flip "$TMP/m1.sealed" "$off" "$TMP/f.sealed" 4
	"$DOT" open --key alice -o "$TMP/f.out" "$TMP/f.sealed" >/dev/null 2>&1 \
		</dev/null && bad=$((bad + 1))
	[ -e "$TMP/f.out" ] && bad=$((bad + 1))
done
[ $bad -eq 0 ]
ok $? "every 53rd byte flipped: each refused, nothing written ($bad bad)"
flip "$TMP/m2.sealed" 1300 "$TMP/f2.sealed" 1 # bob's stanza
opened_refused DOT_ESEAL_OPEN "bob's stanza damaged: bob refused" bob "$TMP/f2.sealed"
opened_refused DOT_ESEAL_OPEN "bob's stanza damaged: alice too (the MAC covers it)" \
	alice "$TMP/f2.sealed"
for len in 0 8 12 13 28 29 1252 $((L - 17)) $((L - 16)) $((L - 1)); do
	cut_to "$TMP/m1.sealed" "$len" "$TMP/t.sealed"
	case $len in 1252 | $((L - 17)) | $((L - 16)) | $((L - 1)))
		[ "$len" -lt 1253 ] && code=DOT_ESEAL_FORMAT || code=DOT_ESEAL_OPEN ;;
	*) code=DOT_ESEAL_FORMAT ;;
	esac
	opened_refused $code "truncated to $len bytes" alice "$TMP/t.sealed"
done
cat "$TMP/m1.sealed" "$TMP/msg" >"$TMP/x.sealed"
opened_refused DOT_ESEAL_OPEN "bytes appended" alice "$TMP/x.sealed"

# ---- recipient counts ----
keys=(alice)
for i in $(seq -w 1 31); do
	"$DOT" key new "r$i" --kind seal >"$TMP/out" 2>"$TMP/err" </dev/null || break
	keys+=("r$i")
done
[ ${#keys[@]} -eq 32 ]
ok $? "31 more seal keys made"
rargs=()
for k in "${keys[@]}"; do rargs+=(-r "$k"); done
run 0 "seal to 32 recipients" -- "$DOT" seal "${rargs[@]}" -o "$TMP/r32.sealed" --json "$TMP/msg"
json_ok 'd["recipients"] == 32 and d["bytes"] == 77 + 32 * 1176 + 20' \
	"32 recipients: 77 + 32 * 1176 + n bytes"
for k in alice r16 r31; do
	run 0 "$k opens the payload of 32 recipients" -- \
		"$DOT" open --key $k -o "$TMP/r32.$k" "$TMP/r32.sealed"
	cmp -s "$TMP/msg" "$TMP/r32.$k"
	ok $? "$k gets identical bytes (32 recipients)"
done
opened_refused DOT_ESEAL_NOT_RECIPIENT "bob is not among the 32" bob "$TMP/r32.sealed"
refused DOT_ESEAL_TOO_MANY "33 recipients refused" -- \
	"$DOT" seal "${rargs[@]}" -r bob -o "$TMP/r33.sealed" "$TMP/msg"
err_has "at most 32" "the refusal gives the limit"
[ ! -e "$TMP/r33.sealed" ]
ok $? "nothing written for 33 recipients"
flip "$TMP/r32.sealed" 12 "$TMP/c33.sealed" $((32 ^ 33))
opened_refused DOT_ESEAL_TOO_MANY "a payload that claims 33 recipients" alice "$TMP/c33.sealed"
flip "$TMP/m1.sealed" 12 "$TMP/c255.sealed" $((1 ^ 255))
opened_refused DOT_ESEAL_TOO_MANY "a payload that claims 255 recipients" alice "$TMP/c255.sealed"
refused DOT_ESEAL_TOO_MANY "--info of a payload that claims 33" -- \
	"$DOT" open --info "$TMP/c33.sealed"

# ---- sizes ----
run 0 "seal empty input" -- "$DOT" seal -r alice -o "$TMP/e.sealed" "$TMP/empty"
[ "$(size "$TMP/e.sealed")" -eq 1253 ]
ok $? "an empty payload to one recipient is 1253 bytes"
run 0 "open it" -- "$DOT" open --key alice -o "$TMP/e.out" "$TMP/e.sealed"
[ -f "$TMP/e.out" ] && [ "$(size "$TMP/e.out")" -eq 0 ]
ok $? "the empty payload opens to an empty file"
head -c $((5 << 20)) /dev/urandom >"$TMP/big"
run 0 "seal 5 MiB to alice and bob" -- \
	"$DOT" seal -r alice -r bob -o "$TMP/big.sealed" "$TMP/big"
[ "$(size "$TMP/big.sealed")" -eq $((77 + 2 * 1176 + (5 << 20))) ]
ok $? "the 5 MiB sealed file has the expected length"
run 0 "bob opens 5 MiB" -- "$DOT" open --key bob -o "$TMP/big.out" "$TMP/big.sealed"
cmp -s "$TMP/big" "$TMP/big.out"
ok $? "5 MiB round trip: identical bytes"
flip "$TMP/big.sealed" $((3 << 20)) "$TMP/bigf.sealed" 1
opened_refused DOT_ESEAL_OPEN "5 MiB with one byte flipped" bob "$TMP/bigf.sealed"
truncate -s $(((64 << 20) + 1)) "$TMP/huge"
refused DOT_ERANGE "input over 64 MiB refused" -- \
	"$DOT" seal -r alice -o "$TMP/huge.sealed" "$TMP/huge"
err_has "64 MiB" "the refusal gives the limit"
rm -f "$TMP/huge"

# ---- standard input and output ----
"$DOT" seal -r alice <"$TMP/msg" >"$TMP/s.sealed" 2>"$TMP/err"
ok $? "seal from stdin to stdout"
"$DOT" open --key alice <"$TMP/s.sealed" >"$TMP/s.out" 2>"$TMP/err"
ok $? "open from stdin to stdout"
cmp -s "$TMP/msg" "$TMP/s.out"
ok $? "stdin/stdout round trip: identical bytes"
"$DOT" seal -r bob -o - - <"$TMP/big" | "$DOT" open --key bob - >"$TMP/p.out" 2>"$TMP/err"
ok $? "seal | open through a pipe ('-' for IN and OUT)"
cmp -s "$TMP/big" "$TMP/p.out"
ok $? "5 MiB through a pipe: identical bytes"
printf 'correct-horse\n' >"$TMP/pass"
run 2 "--passphrase-file - with the sealed input on stdin" -- \
	"$DOT" open --key alice --passphrase-file - -o "$TMP/x"
if script -qec "true" /dev/null >/dev/null 2>&1; then
	script -qec "'$DOT' seal -r alice '$TMP/msg'" /dev/null >"$TMP/out" 2>&1 </dev/null
	RC=$?
	[ $RC -eq 1 ] && grep -q "terminal" "$TMP/out" && ! grep -q dot-seal "$TMP/out"
	ok $? "seal refuses to write to a terminal (exit $RC)"
else
	skip "seal to a terminal: no script(1)"
fi

finish
