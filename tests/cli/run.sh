#!/usr/bin/env bash
# tests/cli/run.sh - integration test of the dot command line, in TAP.
#
#   tests/cli/run.sh <path-to-dot> <source-root>
#
# Runs every command and option against a temporary DOT_DIR (with fast key
# derivation, DOT_KDF_FAST=1), checks exit codes 0/1/2, parses --json output
# and asserts its fields, and drives the security refusals end to end:
# widened attenuation, expiry, not-yet-valid, wrong holder, revocation,
# depth, wrong issuer, tampering, wrong passphrase, overwrite.
set -u

DOT=${1:?usage: run.sh <path-to-dot> <source-root>}
SRC=${2:-.}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac

TEST_NAME=cli
. "$(dirname "$0")/../lib.sh"

first_line() { head -n 1 "$TMP/out"; }

# ---- top level, help, usage ----
run 0 "dot --version" -- "$DOT" --version
out_has "dot " "--version names the program"
run 0 "dot help" -- "$DOT" help
out_has "dot cap verify" "dot help lists the commands"
run 0 "dot --help" -- "$DOT" --help
run 0 "dot help key" -- "$DOT" help key
out_has "new" "dot help key lists key new"
run 0 "dot help cap mint" -- "$DOT" help cap mint
out_has "--resource" "dot help cap mint shows the options"
run 0 "dot key help new" -- "$DOT" key help new
run 0 "dot cap --help" -- "$DOT" cap --help
run 2 "dot without arguments is a usage error" -- "$DOT"
run 2 "unknown group" -- "$DOT" bogus
err_has "unknown command 'bogus'" "unknown group is named"
run 2 "group without command" -- "$DOT" key
run 2 "unknown command in group" -- "$DOT" cap bogus
run 2 "dot help of an unknown group" -- "$DOT" help bogus
run 2 "dot help of an unknown command" -- "$DOT" help cap bogus
for c in "key new" "key show" "key list" "cap mint" "cap attenuate" \
	"cap inspect" "cap verify"; do
	# shellcheck disable=SC2086
	run 0 "dot $c --help" -- "$DOT" $c --help
	out_has "usage: dot $c" "dot $c --help prints its usage"
	# shellcheck disable=SC2086
	run 0 "dot $c -h" -- "$DOT" $c -h
	# shellcheck disable=SC2086
	run 2 "dot $c with an unknown option" -- "$DOT" $c --no-such-option
done

# ---- dot key new / show / list ----
run 0 "key new alice" -- "$DOT" key new alice
ALICE=$(first_line)
case $ALICE in dotpk1*) r=0 ;; *) r=1 ;; esac
ok $r "key new prints a dotpk1 public key"
[ "$(stat -c %a "$DOT_DIR/keys/alice.key")" = 600 ]
ok $? "key file has mode 0600"
[ "$(stat -c %a "$DOT_DIR/keys")" = 700 ] && [ "$(stat -c %a "$DOT_DIR")" = 700 ]
ok $? "key directories have mode 0700"
head -c 6 "$DOT_DIR/keys/alice.key" | grep -q '^dotsk1$'
ok $? "key file holds a dotsk1 key"
! grep -q correct-horse "$DOT_DIR/keys/alice.key"
ok $? "key file does not contain the passphrase"

run 0 "key new bob --json" -- "$DOT" key new bob --json
json_ok 'd["public_key"].startswith("dotpk1") and len(d["key_id"]) == 16 and d["suite"] == "ed25519+ml-dsa-65" and d["file"].endswith("/keys/bob.key")' \
	"key new --json has public_key, key_id, suite (the composite by default), file"
BOB=$(pyget 'd["public_key"]')
BOB_ID=$(pyget 'd["key_id"]')
run 0 "key new carol" -- "$DOT" key new carol
CAROL=$(first_line)
run 0 "key new dave" -- "$DOT" key new dave
run 0 "key new mallory" -- "$DOT" key new mallory

printf 'file-pass\nsecond line ignored\n' >"$TMP/pass"
run 0 "key new -o FILE --passphrase-file with tuned kdf" -- \
	env -u DOT_PASSPHRASE -u DOT_KDF_FAST "$DOT" key new -o "$TMP/erin.key" \
	--passphrase-file "$TMP/pass" --kdf-ops 1 --kdf-mem-kib 64
ERIN=$(first_line)
[ -f "$TMP/erin.key" ] && [ "$(stat -c %a "$TMP/erin.key")" = 600 ]
ok $? "key new -o writes FILE with mode 0600"

cp "$DOT_DIR/keys/alice.key" "$TMP/alice.before"
run 1 "key new over an existing key is refused" -- "$DOT" key new alice
err_has "--force" "the refusal says how to overwrite"
cmp -s "$DOT_DIR/keys/alice.key" "$TMP/alice.before"
ok $? "the existing key file is unchanged"
run 1 "key new -o over an existing file is refused" -- \
	"$DOT" key new -o "$TMP/erin.key"
run 0 "key new --force replaces a key" -- "$DOT" key new -f -o "$TMP/erin2.key"
run 0 "key new --force over an existing file" -- \
	"$DOT" key new --force -o "$TMP/erin2.key"
[ "$(stat -c %a "$TMP/erin2.key")" = 600 ]
ok $? "a forced key file has mode 0600"
leftover=("$TMP"/*.tmp??????)
[ ! -e "${leftover[0]}" ]
ok $? "no temporary files are left behind"

# --suite: the composite by default, Ed25519 on request, nothing else
run 0 "key new --suite ed25519" -- "$DOT" key new ed --suite ed25519 --json
json_ok 'd["suite"] == "ed25519" and d["kind"] == "sign"' \
	"an Ed25519 key on request"
run 0 "key new --suite ed25519+ml-dsa-65" -- "$DOT" key new -o "$TMP/pq.key" \
	--suite ed25519+ml-dsa-65 --json
json_ok 'd["suite"] == "ed25519+ml-dsa-65" and len(d["public_key"]) > 2000' \
	"a composite key: its dotpk1 text holds the 1985-byte key"
for s in ml-dsa-65 x-wing x25519 ED25519 ''; do
	run 2 "key new --suite '$s' is a usage error" -- "$DOT" key new \
		-o "$TMP/bad.key" --suite "$s"
done
err_has "ed25519+ml-dsa-65" "the suites are named"
run 2 "a seal key takes no --suite" -- "$DOT" key new -o "$TMP/bad.key" \
	--kind seal --suite ed25519
[ ! -e "$TMP/bad.key" ]
ok $? "a usage error writes no key file"

run 2 "key new with NAME and -o" -- "$DOT" key new x -o "$TMP/x.key"
run 2 "key new with a bad name" -- "$DOT" key new 'a/b'
run 2 "key new with two names" -- "$DOT" key new a b
run 2 "key new --kdf-ops out of range" -- "$DOT" key new --kdf-ops 0 kx
run 2 "key new --kdf-mem-kib out of range" -- "$DOT" key new --kdf-mem-kib 1 kx
run 2 "key new -o without argument" -- "$DOT" key new -o
err_has "needs an argument" "missing option argument is named"

if command -v setsid >/dev/null 2>&1; then
	run 1 "key new without any passphrase source" -- \
		env -u DOT_PASSPHRASE setsid "$DOT" key new nopass
	err_has "no passphrase: use --passphrase-file or DOT_PASSPHRASE" \
		"the missing passphrase error says what to do"
	[ ! -e "$DOT_DIR/keys/nopass.key" ]
	ok $? "no key file is left without a passphrase"
else
	n=$((n + 1)); results+=("ok $n - no passphrase source # SKIP no setsid")
	n=$((n + 1)); results+=("ok $n - no passphrase message # SKIP no setsid")
	n=$((n + 1)); results+=("ok $n - no key file left # SKIP no setsid")
fi
: >"$TMP/empty"
run 1 "key new with an empty passphrase" -- \
	"$DOT" key new --passphrase-file "$TMP/empty" emptypass
run 1 "key new with a missing passphrase file" -- \
	"$DOT" key new --passphrase-file "$TMP/nope" nopassfile

run 0 "key show alice" -- "$DOT" key show alice
out_has "$ALICE" "key show prints the public key"
out_has "ed25519" "key show prints the suite"
run 0 "key show FILE --json" -- "$DOT" key show "$TMP/erin.key" --json
json_ok "d['public_key'] == '$ERIN' and d['file'] == '$TMP/erin.key'" \
	"key show --json of a file"
run 0 "key show bob --json needs no passphrase" -- \
	env -u DOT_PASSPHRASE "$DOT" key show bob --json
json_ok "d['key_id'] == '$BOB_ID'" "key show --json key_id matches key new"
run 1 "key show of a missing key" -- "$DOT" key show nobody
err_has "dot key new nobody" "the missing key error says how to create it"
run 1 "key show of the default key when there is none" -- "$DOT" key show
echo "not a key" >"$TMP/junk.key"
run 1 "key show of a file that is not a key" -- "$DOT" key show "$TMP/junk.key"
run 2 "key show with two arguments" -- "$DOT" key show a b
run 0 "key list" -- "$DOT" key list
out_has "alice" "key list shows alice"
run 0 "key list --json" -- "$DOT" key list --json
json_ok 'sorted(k["name"] for k in d) == ["alice", "bob", "carol", "dave", "ed", "mallory"]' \
	"key list --json names every key"

# ---- dot cap mint ----
run 0 "cap mint" -- "$DOT" cap mint --key alice --holder bob \
	--resource /projects/alpha --rights read,write,list --expires +1h
T1=$(first_line)
case $T1 in dot1*) r=0 ;; *) r=1 ;; esac
ok $r "cap mint prints a dot1 token"
run 0 "cap mint --json with the holder as dotpk1 text" -- "$DOT" cap mint \
	--key alice --holder "$BOB" --resource /projects/alpha \
	--rights read,write,list --expires +1h --json
json_ok 'd["ok"] and d["token"].startswith("dot1") and d["blocks"] == 1 and d["resource"] == "/projects/alpha" and len(d["rid"]) == 64' \
	"cap mint --json has token, blocks, resource, rid"
json_ok "d['holder'] == '$BOB' and d['file'] is None" "cap mint --json holder"
run 0 "cap mint with the holder as a key file and -o" -- "$DOT" cap mint \
	--key "$DOT_DIR/keys/alice.key" --holder "$DOT_DIR/keys/bob.key" \
	--resource /projects/alpha --rights read -o "$TMP/t.tok"
[ -s "$TMP/t.tok" ] && [ ! -s "$TMP/out" ] && [ "$(stat -c %a "$TMP/t.tok")" = 600 ]
ok $? "cap mint -o writes the token file (0600) and prints nothing"
NOW=$(date +%s)
run 0 "cap mint with every caveat" -- "$DOT" cap mint --key alice \
	--holder bob --resource /srv --rights all --not-before "@$NOW" \
	--expires 2099-01-01T00:00:00Z --path /srv/data --label zone-a \
	--label ssd --label ssd --max-depth 2 --json
TALL=$(pyget 'd["token"]')
run 0 "cap inspect of the every-caveat token" -- "$DOT" cap inspect "$TALL" --json
json_ok "(b := d['blocks'][0])['not_before']['unix'] == $NOW and b['expires']['utc'] == '2099-01-01T00:00:00Z' and b['expires']['unix'] == 4070908800 and b['path'] == '/srv/data' and b['labels'] == ['ssd', 'zone-a'] and b['max_depth'] == 2 and len(b['rights']) == 12" \
	"mint caveats round-trip (times, path, sorted unique labels, depth, rights)"
OBJ=00112233445566778899aabbccddeeff
run 0 "cap mint on an object" -- "$DOT" cap mint --key alice --holder bob \
	--resource "obj:$OBJ" --rights read,write
TOBJ=$(first_line)
printf 'wrong\n' >"$TMP/wrongpass"
run 1 "cap mint with a wrong passphrase is refused" -- "$DOT" cap mint \
	--key alice --holder bob --resource /p --rights read \
	--passphrase-file "$TMP/wrongpass"
err_has "wrong passphrase" "the wrong passphrase is named"
run 1 "cap mint with a wrong passphrase (env)" -- env DOT_PASSPHRASE=nope \
	"$DOT" cap mint --key alice --holder bob --resource /p --rights read
run 2 "cap mint without --key" -- "$DOT" cap mint --holder bob \
	--resource /p --rights read
run 2 "cap mint without --holder" -- "$DOT" cap mint --key alice \
	--resource /p --rights read
run 2 "cap mint without --resource" -- "$DOT" cap mint --key alice \
	--holder bob --rights read
run 2 "cap mint without --rights" -- "$DOT" cap mint --key alice \
	--holder bob --resource /p
run 2 "cap mint with an unknown right" -- "$DOT" cap mint --key alice \
	--holder bob --resource /p --rights read,fly
err_has "fly" "the unknown right is named"
run 2 "cap mint with a relative resource" -- "$DOT" cap mint --key alice \
	--holder bob --resource p/q --rights read
run 2 "cap mint with a resource with .." -- "$DOT" cap mint --key alice \
	--holder bob --resource /p/../q --rights read
run 2 "cap mint with a short object id" -- "$DOT" cap mint --key alice \
	--holder bob --resource obj:0011 --rights read
run 2 "cap mint with --max-depth not a number" -- "$DOT" cap mint \
	--key alice --holder bob --resource /p --rights read --max-depth x
run 2 "cap mint with a label with a space" -- "$DOT" cap mint \
	--key alice --holder bob --resource /p --rights read --label 'a b'
run 2 "cap mint with an extra argument" -- "$DOT" cap mint --key alice \
	--holder bob --resource /p --rights read extra
run 1 "cap mint with a mistyped holder key" -- "$DOT" cap mint \
	--key alice --holder "${BOB%?}x" --resource /p --rights read
run 1 "cap mint with an unknown holder" -- "$DOT" cap mint --key alice \
	--holder nobody --resource /p --rights read

# Times: strict parsing with precise errors.
for bad in "2026-13-01T00:00:00Z:month" "2027-02-29T00:00:00Z:day" \
	"2026-11-23T24:00:00Z:hour" "2026-11-23T10:60:00Z:minute" \
	"2026-11-23T10:00:60Z:second" "2026-11-23T10:00:00:UTC" \
	"2026-11-23T10:00:00+01:00:UTC" "2026-11-23T10:00:00.5Z:fractional" \
	"1969-12-31T23:59:59Z:1970" "tomorrow:RFC 3339" "+5y:unit" \
	"+s:relative" "@12x:digits" "-1h:forward" "+99999999999999999999d:number"; do
	t=${bad%:*}
	why=${bad##*:}
	run 2 "time '$t' is refused" -- "$DOT" cap mint --key alice \
		--holder bob --resource /p --rights read --expires "$t"
	err_has "$why" "time '$t': the error names the $why"
done
run 0 "leap day 2028-02-29 is a valid time" -- "$DOT" cap mint --key alice \
	--holder bob --resource /p --rights read --expires 2028-02-29T12:00:00Z
run 2 "expires before not-before" -- "$DOT" cap mint --key alice \
	--holder bob --resource /p --rights read --not-before +2h --expires +1h

# ---- dot cap attenuate ----
run 0 "cap attenuate bob -> carol" -- "$DOT" cap attenuate "$T1" --key bob \
	--holder carol --rights read,list --path /projects/alpha/reports
T2=$(first_line)
run 0 "cap attenuate carol -> dave, max depth 0, --json" -- "$DOT" cap \
	attenuate "$T2" --key carol --holder dave --rights read --max-depth 0 \
	--expires +30m --label eu --json
json_ok 'd["ok"] and d["blocks"] == 3 and d["token"].startswith("dot1")' \
	"cap attenuate --json"
T3=$(pyget 'd["token"]')
printf '%s\n' "$T2" >"$TMP/t2.tok"
run 0 "cap attenuate a token from a file, -o FILE" -- "$DOT" cap attenuate \
	"$TMP/t2.tok" --key carol --holder "$CAROL" --rights list \
	-o "$TMP/t2b.tok"
[ -s "$TMP/t2b.tok" ]
ok $? "attenuate -o wrote the token"
run_in 0 "cap attenuate a token from stdin" "$TMP/t2.tok" -- "$DOT" cap \
	attenuate - --key carol --holder dave --rights read
run 1 "attenuate widening rights is refused" -- "$DOT" cap attenuate \
	"$T2" --key carol --holder dave --rights read,write
err_has "dot cap attenuate: refused: block widens rights" \
	"the widened refusal says what failed"
run 1 "attenuate widening rights --json" -- "$DOT" cap attenuate \
	"$T2" --key carol --holder dave --rights write --json
json_ok 'd["ok"] is False and d["error"] == "DOT_ETOKEN_WIDENED"' \
	"widened refusal in JSON"
run 1 "attenuate widening the path is refused" -- "$DOT" cap attenuate \
	"$T2" --key carol --holder dave --path /projects
run 1 "attenuate extending the expiry is refused" -- "$DOT" cap attenuate \
	"$T3" --key dave --holder dave --expires +2h --json
json_ok 'd["error"] in ("DOT_ETOKEN_WIDENED", "DOT_ETOKEN_TOO_DEEP")' \
	"extended expiry refusal in JSON"
run 1 "attenuate past max depth 0 is refused" -- "$DOT" cap attenuate \
	"$T3" --key dave --holder carol --json
json_ok 'd["error"] == "DOT_ETOKEN_TOO_DEEP"' "too deep refusal in JSON"
run 1 "attenuate by a key that is not the holder is refused" -- "$DOT" cap \
	attenuate "$T2" --key bob --holder mallory --json
json_ok 'd["error"] == "DOT_ETOKEN_WRONG_HOLDER"' \
	"wrong holder attenuation in JSON"
run 1 "attenuate with a wrong passphrase is refused" -- "$DOT" cap \
	attenuate "$T2" --key carol --holder dave \
	--passphrase-file "$TMP/wrongpass"
run 2 "attenuate without TOKEN" -- "$DOT" cap attenuate --key carol \
	--holder dave
run 2 "attenuate without --key" -- "$DOT" cap attenuate "$T2" --holder dave
run 2 "attenuate without --holder" -- "$DOT" cap attenuate "$T2" --key carol
run 1 "attenuate a missing token file" -- "$DOT" cap attenuate \
	"$TMP/none.tok" --key carol --holder dave
run 1 "attenuate garbage" -- "$DOT" cap attenuate dot1@@@ --key carol \
	--holder dave

# ---- dot cap inspect ----
run 0 "cap inspect" -- "$DOT" cap inspect "$T3"
out_has "NOT VERIFIED" "inspect says nothing was verified"
out_has "block 2" "inspect shows every block"
out_has "max depth    0" "inspect shows max depth"
out_has "/projects/alpha/reports" "inspect shows the path"
run 0 "cap inspect --json" -- "$DOT" cap inspect "$T3" --json
json_ok 'd["verified"] is False and len(d["blocks"]) == 3 and d["resource"] == {"kind": "path", "value": "/projects/alpha"}' \
	"inspect --json: verified false, resource, 3 blocks"
json_ok "d['blocks'][0]['holder'] == '$BOB' and d['blocks'][1]['signer']['public_key'] == '$BOB' and d['blocks'][0]['signer']['kind'] == 'issuer'" \
	"inspect --json: signers and holders"
json_ok 'd["blocks"][0]["rights"] == ["read", "list", "write"] and d["blocks"][2]["rights"] == ["read"] and d["blocks"][2]["max_depth"] == 0 and d["blocks"][2]["labels"] == ["eu"]' \
	"inspect --json: rights by name, depth, labels"
json_ok 'all(len(b["rid"]) == 64 and b["signature_size"] == 3374 and b["payload_size"] > 0 for b in d["blocks"]) and d["size"] > 0' \
	"inspect --json: rids and sizes (composite signatures, 3374 bytes)"
json_ok 'isinstance(d["blocks"][0]["expires"]["unix"], int) and d["blocks"][0]["expires"]["utc"].endswith("Z") and d["blocks"][1]["expires"] is None' \
	"inspect --json: times as Unix seconds and UTC"
RID0=$(pyget 'd["blocks"][0]["rid"]')
RID1=$(pyget 'd["blocks"][1]["rid"]')
run 0 "cap inspect of an object token" -- "$DOT" cap inspect "$TOBJ" --json
json_ok "d['resource'] == {'kind': 'object', 'value': 'obj:$OBJ'}" \
	"inspect --json of an object token"
printf '%s\n' "$T3" >"$TMP/t3.tok"
run_in 0 "cap inspect from stdin" "$TMP/t3.tok" -- "$DOT" cap inspect -
run 0 "cap inspect from a file" -- "$DOT" cap inspect "$TMP/t3.tok"
run 1 "cap inspect of garbage" -- "$DOT" cap inspect dot1AAAA
run 1 "cap inspect of a file that is not a token" -- \
	"$DOT" cap inspect "$TMP/junk.key"
run 2 "cap inspect without TOKEN" -- "$DOT" cap inspect
# JSON string escaping: quotes, backslashes and UTF-8 in a path.
run 0 "cap mint with quotes and UTF-8 in the path" -- "$DOT" cap mint \
	--key alice --holder bob --resource '/p' --path '/p/a"b\c/é' \
	--rights read
run 0 "cap inspect --json escapes strings" -- "$DOT" cap inspect \
	"$(first_line)" --json
json_ok "d['blocks'][0]['path'] == '/p/a\"b\\\\c/\u00e9'" \
	"quotes, backslashes and UTF-8 survive --json"

# ---- dot cap verify ----
run 0 "verify the 3-block token" -- "$DOT" cap verify "$T3" --issuer alice \
	--key dave --rights read --label eu
out_has "valid: read on /projects/alpha/reports" "verify prints valid: rights on target"
run 0 "verify --json" -- "$DOT" cap verify "$T3" --issuer "$ALICE" \
	--key dave --rights read --label eu --path /projects/alpha/reports/q3 \
	--json
json_ok 'd["ok"] and d["valid"] and d["rights"] == "read" and d["target"] == "/projects/alpha/reports/q3" and d["blocks"] == 3 and d["expires"]["unix"] > d["at"]' \
	"verify --json: ok, rights, target, expiry"
run 0 "verify with the issuer as a key file, --at as RFC 3339" -- "$DOT" cap \
	verify "$T1" --issuer "$DOT_DIR/keys/alice.key" --key bob \
	--rights write --at "$(date -u -d @$(($(date +%s) + 60)) +%Y-%m-%dT%H:%M:%SZ)"
run 0 "verify an object token with --object" -- "$DOT" cap verify "$TOBJ" \
	--issuer alice --key bob --rights write --object "$OBJ"
run 0 "verify with --passphrase-file" -- env -u DOT_PASSPHRASE "$DOT" cap \
	verify "$T1" --issuer alice --key bob --rights read \
	--passphrase-file <(echo correct-horse)

run 1 "verify after expiry is refused" -- "$DOT" cap verify "$T3" \
	--issuer alice --key dave --rights read --label eu --at +2h --json
json_ok 'd["ok"] is False and d["error"] == "DOT_ETOKEN_EXPIRED" and "block" in d' \
	"expired refusal in JSON with the block"
err_has "dot cap verify: refused: token has expired (block" \
	"expired refusal on stderr says what and where"
run 1 "verify before not-before is refused" -- "$DOT" cap verify "$TALL" \
	--issuer alice --key bob --rights read --path /srv/data --label ssd \
	--label zone-a --at "@$((NOW - 10))" --json
json_ok 'd["error"] == "DOT_ETOKEN_NOT_YET_VALID"' "not-yet-valid refusal"
run 0 "the every-caveat token is valid in its window" -- "$DOT" cap verify \
	"$TALL" --issuer alice --key bob --rights read,admin \
	--path /srv/data/x --label ssd --label zone-a --label extra
run 1 "verify by the wrong holder is refused" -- "$DOT" cap verify "$T3" \
	--issuer alice --key carol --rights read --label eu --json
json_ok 'd["error"] == "DOT_ETOKEN_WRONG_HOLDER"' "wrong holder refusal"
err_has "refused: key is not the token's holder" \
	"wrong holder refusal on stderr"
run 1 "verify of a revoked block (--revoked) is refused" -- "$DOT" cap \
	verify "$T3" --issuer alice --key dave --rights read --label eu \
	--revoked "$RID1" --json
json_ok 'd["error"] == "DOT_ETOKEN_REVOKED" and d["block"] == 1' \
	"revoked refusal names block 1"
printf '# revoked ids\n\n%s\n' "$RID0" >"$TMP/revoked"
run 1 "verify of a revoked block (--revoked-file) is refused" -- "$DOT" cap \
	verify "$T3" --issuer alice --key dave --rights read --label eu \
	--revoked-file "$TMP/revoked" --json
json_ok 'd["error"] == "DOT_ETOKEN_REVOKED" and d["block"] == 0' \
	"revoked root kills the derived token"
run 0 "an unrelated revocation id does not refuse" -- "$DOT" cap verify \
	"$T3" --issuer alice --key dave --rights read --label eu \
	--revoked "$(printf '%064d' 0)"
run 1 "verify with the wrong issuer is refused" -- "$DOT" cap verify "$T3" \
	--issuer mallory --key dave --rights read --label eu --json
json_ok 'd["error"] == "DOT_ETOKEN_ISSUER"' "wrong issuer refusal"
run 1 "verify of rights not granted is refused" -- "$DOT" cap verify "$T3" \
	--issuer alice --key dave --rights write --label eu --json
json_ok 'd["error"] == "DOT_ETOKEN_RIGHTS"' "rights refusal"
run 1 "verify outside the path is refused" -- "$DOT" cap verify "$T3" \
	--issuer alice --key dave --rights read --label eu \
	--path /projects/alpha/secrets --json
json_ok 'd["error"] in ("DOT_ETOKEN_PATH", "DOT_ETOKEN_RESOURCE")' \
	"path refusal"
run 1 "verify on a node without the label is refused" -- "$DOT" cap verify \
	"$T3" --issuer alice --key dave --rights read --json
json_ok 'd["error"] == "DOT_ETOKEN_NODE"' "node label refusal"
run 1 "verify of a path token for an object is refused" -- "$DOT" cap \
	verify "$T1" --issuer alice --key bob --rights read --object "$OBJ" \
	--json
json_ok 'd["error"] == "DOT_ETOKEN_RESOURCE"' "resource refusal"
# Tampering: flip one character of the base64 body inside the last
# signature, then one inside block 0's payload.
flip() { # token position
	local t=$1 p=$2 c
	c=${t:$p:1}
	if [ "$c" = A ]; then c=B; else c=A; fi
	printf '%s%s%s' "${t:0:$p}" "$c" "${t:$((p + 1))}"
}
TT=$(flip "$T3" $((${#T3} - 20)))
run 1 "a token with a flipped signature character is refused" -- "$DOT" cap \
	verify "$TT" --issuer alice --key dave --rights read --label eu --json
json_ok 'd["ok"] is False and d["error"] == "DOT_ETOKEN_SIGNATURE"' \
	"tampered signature refusal"
TT=$(flip "$T3" 40)
run 1 "a token with a flipped payload character is refused" -- "$DOT" cap \
	verify "$TT" --issuer alice --key dave --rights read --label eu
run 1 "verify with a wrong holder passphrase is refused" -- env \
	DOT_PASSPHRASE=wrong "$DOT" cap verify "$T3" --issuer alice \
	--key dave --rights read --label eu
err_has "wrong passphrase" "wrong passphrase on verify is named"
run 2 "verify without --issuer" -- "$DOT" cap verify "$T3" --key dave \
	--rights read
run 2 "verify without --key" -- "$DOT" cap verify "$T3" --issuer alice \
	--rights read
run 2 "verify without --rights" -- "$DOT" cap verify "$T3" --issuer alice \
	--key dave
run 2 "verify without TOKEN" -- "$DOT" cap verify --issuer alice \
	--key dave --rights read
run 2 "verify with --path and --object" -- "$DOT" cap verify "$T1" \
	--issuer alice --key bob --rights read --path /p --object "$OBJ"
run 2 "verify with a bad --revoked id" -- "$DOT" cap verify "$T1" \
	--issuer alice --key bob --rights read --revoked abc
run 2 "verify with a bad --at" -- "$DOT" cap verify "$T1" \
	--issuer alice --key bob --rights read --at yesterday
run 1 "verify with a bad --revoked-file line" -- "$DOT" cap verify "$T1" \
	--issuer alice --key bob --rights read --revoked-file "$TMP/pass"
err_has "line 1" "bad revoked file line is named"

# ---- account expiry: the time syntax and usage (no node needed) ----
run 0 "dot account set-expiry --help" -- "$DOT" account set-expiry --help
out_has "usage: dot account set-expiry ACCOUNT TIME|never" \
	"set-expiry --help prints its usage"
out_has "'never'" "and says never clears it"
run 0 "dot account create --help" -- "$DOT" account create --help
out_has "--expires T" "account create --help lists --expires"
run 0 "dot help account" -- "$DOT" help account
out_has "set-expiry" "dot help account lists set-expiry"
run 2 "account create --expires with a bad unit" -- "$DOT" account create \
	x --pubkey "$ALICE" --expires +5y --as admin@active --key alice --json
err_has "--expires: time '+5y': unit 'y' is not one of s, m, h, d" \
	"the bad unit is named"
run 2 "account create --expires twice" -- "$DOT" account create x \
	--pubkey "$ALICE" --expires +1d --expires +2d --as admin@active \
	--key alice
err_has "--expires is given twice" "the repeated option is named"
run 2 "account create --expires past the largest expiry" -- "$DOT" \
	account create x --pubkey "$ALICE" --expires @9223372036854775808 \
	--as admin@active --key alice
err_has "an expiry is at most @9223372036854775807" "the bound is named"
run 2 "set-expiry with a bad time" -- "$DOT" account set-expiry alice \
	yesterday --as admin@active --key alice
err_has "TIME: time 'yesterday'" "the bad time is named"
run 2 "set-expiry without a time" -- "$DOT" account set-expiry alice \
	--as admin@active --key alice
err_has "missing TIME|never" "the missing time is named"
run 2 "set-expiry with an extra argument" -- "$DOT" account set-expiry \
	alice never x --as admin@active --key alice
run 2 "set-expiry of a bad account name" -- "$DOT" account set-expiry \
	Alice never --as admin@active --key alice
run 2 "set-expiry without authority" -- "$DOT" account set-expiry alice \
	never
for t in never +30d @1795428000 2026-11-23T10:00:00Z; do
	run 1 "set-expiry alice $t parses (then finds no node)" -- "$DOT" \
		account set-expiry alice "$t" --as admin@active --key alice \
		--json
	json_ok "d['ok'] is False and d['error'] == 'DOT_EAPI_UNAVAILABLE'" \
		"set-expiry $t: --json names the missing node"
done

# ---- nodes: dot init's node, dot node's usage and the invitation's
# parsing (no node needed; docs/decisions/0017) ----
run 0 "dot help node" -- "$DOT" help node
for c in list invite join remove promote demote; do
	out_has "$c" "dot help node lists node $c"
done
for c in "node list" "node invite" "node join" "node remove" \
	"node promote" "node demote"; do
	# shellcheck disable=SC2086
	run 0 "dot $c --help" -- "$DOT" $c --help
	out_has "usage: dot $c" "dot $c --help prints its usage"
	# shellcheck disable=SC2086
	run 2 "dot $c with an unknown option" -- "$DOT" $c --no-such-option
done
run 0 "dot node invite --help" -- "$DOT" node invite --help
out_has "SECRET until it is used" "invite --help says the string is a secret"
run 0 "dot init --help" -- "$DOT" init --help
out_has "--raft-addr" "init --help lists --raft-addr"

# dot init: the node key and the addresses
run 0 "init --raft-addr --api-addr" -- "$DOT" init --admin-key alice \
	--dir "$TMP/na" --raft-addr 10.1.2.3:7401 --api-addr '[::1]:7400' \
	--json
json_ok "d['ok'] and d['node_key'].startswith('dotpk1') and \
d['raft_addr'] == '10.1.2.3:7401' and d['api_addr'] == '[::1]:7400' and \
d['node_key_made'] is True and d['raft_id'] > 0 and \
d['raft_id'] < 2**63 and d['policy'] == 'hybrid'" \
	"init --json: node key, raft id, addresses and the policy (hybrid)"
NA_KEY=$(pyget "d['node_key']")
[ "$(stat -c %a "$TMP/na/node.seed")" = 600 ] &&
	[ "$(stat -c %s "$TMP/na/node.seed")" = 33 ] &&
	[ "$(head -c 1 "$TMP/na/node.seed" | od -An -tx1 | tr -d ' ')" = 03 ]
ok $? "init made DIR/node.seed: 0x03 then a seed (composite), mode 0600"
run 0 "init with the defaults" -- "$DOT" init --admin-key alice \
	--dir "$TMP/nb" --json
json_ok "d['raft_addr'] == '127.0.0.1:7401' and d['api_addr'] == ''" \
	"init: raft 127.0.0.1:7401 and no API address by default"
mkdir -m 700 "$TMP/nc" && cp "$TMP/na/node.seed" "$TMP/nc/node.seed"
run 0 "init uses an existing node.seed" -- "$DOT" init --admin-key alice \
	--dir "$TMP/nc" --json
json_ok "d['node_key'] == '$NA_KEY' and d['node_key_made'] is False" \
	"init: the node key is node.seed's, not a new one"
mkdir -m 700 "$TMP/nd" && printf 'short' >"$TMP/nd/node.seed"
run 1 "init refuses a node.seed that is not 32 or 33 bytes" -- "$DOT" init \
	--admin-key alice --dir "$TMP/nd"
err_has "is not a node key (32 bytes" "the bad seed is named"
[ ! -e "$TMP/nd/genesis" ]
ok $? "and writes no genesis"
printf '\001%032d' 0 >"$TMP/nd/node.seed"
run 1 "init refuses 33 bytes of another suite than 0x03" -- "$DOT" init \
	--admin-key alice --dir "$TMP/nd"
err_has "is not a node key" "the bad seed is named"

# dot init --policy (docs/crypto.md §14)
refused DOT_EPOLICY "init refuses an Ed25519 admin key (default policy)" -- \
	"$DOT" init --admin-key ed --dir "$TMP/np"
run 1 "init refuses an Ed25519 admin key under the default policy" -- \
	"$DOT" init --admin-key ed --dir "$TMP/np"
err_has "--policy classic" "the refusal says how to found a classic cluster"
err_has "dot key new --suite ed25519+ml-dsa-65" "and how to make a composite key"
[ ! -e "$TMP/np/genesis" ]
ok $? "and writes no genesis"
run 0 "init --policy classic takes the Ed25519 key" -- "$DOT" init \
	--admin-key ed --dir "$TMP/nq" --policy classic --json
json_ok "d['policy'] == 'classic'" "init --json names the classic policy"
[ "$(stat -c %s "$TMP/nq/node.seed")" = 32 ]
ok $? "a classic node key is an Ed25519 seed (32 bytes)"
mkdir -m 700 "$TMP/nr" && cp "$TMP/nq/node.seed" "$TMP/nr/node.seed"
refused DOT_EPOLICY "init --policy hybrid: an Ed25519 node.seed" -- \
	"$DOT" init --admin-key alice --dir "$TMP/nr" --policy hybrid
run 1 "init --policy hybrid refuses an existing Ed25519 node.seed" -- \
	"$DOT" init --admin-key alice --dir "$TMP/nr" --policy hybrid
err_has "node.seed is ed25519" "the node key is named"
[ ! -e "$TMP/nr/genesis" ]
ok $? "and writes no genesis"
run 0 "init --policy hybrid+classic-attenuation" -- "$DOT" init \
	--admin-key alice --dir "$TMP/ns" --policy hybrid+classic-attenuation \
	--json
json_ok "d['policy'] == 'hybrid+classic-attenuation'" \
	"init --json names the policy"
refused DOT_EPOLICY "hybrid+classic-attenuation refuses an Ed25519 admin" \
	-- "$DOT" init --admin-key ed --dir "$TMP/nt" \
	--policy hybrid+classic-attenuation
for p in Hybrid quantum ''; do
	run 2 "init --policy '$p' is a usage error" -- "$DOT" init \
		--admin-key alice --dir "$TMP/nu" --policy "$p"
done
err_has "hybrid, classic or hybrid+classic-attenuation" "the policies are named"
[ ! -e "$TMP/nu" ]
ok $? "a usage error creates nothing"
for a in 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 127.0.0.01:1 \
	'[::0001]:1' '[::1]' Host:1 'a b:1' -x:1; do
	run 2 "init --raft-addr '$a' is a usage error" -- "$DOT" init \
		--admin-key alice --dir "$TMP/ne" --raft-addr "$a"
done
err_has "--raft-addr:" "the bad address is named"
run 2 "init --api-addr with a bad port" -- "$DOT" init --admin-key alice \
	--dir "$TMP/ne" --api-addr example.org:99999
[ ! -e "$TMP/ne" ]
ok $? "a usage error creates nothing"

# dot node invite / list / remove / promote / demote: usage
run 2 "node invite without authority" -- "$DOT" node invite
run 2 "node invite --role king" -- "$DOT" node invite --role king \
	--as admin@active --key alice
err_has "voter, standby or observer" "the roles are named"
run 2 "node invite --expires 8d" -- "$DOT" node invite --expires 8d \
	--as admin@active --key alice
err_has "at most 7 days" "the 7-day bound is named"
run 2 "node invite --expires in the past" -- "$DOT" node invite \
	--expires @1000 --as admin@active --key alice
err_has "not in the future" "a past expiry is named"
run 2 "node invite --expires tomorrow" -- "$DOT" node invite \
	--expires tomorrow --as admin@active --key alice
run 2 "node invite with an argument" -- "$DOT" node invite x \
	--as admin@active --key alice
for t in 30m 2h 7d +1h; do
	run 1 "node invite --expires $t parses (then finds no node)" -- \
		"$DOT" node invite --expires "$t" --as admin@active \
		--key alice --json
	json_ok "d['error'] == 'DOT_EAPI_UNAVAILABLE'" \
		"invite --expires $t: --json names the missing node"
done
run 2 "node list without authority" -- "$DOT" node list
run 2 "node list with an argument" -- "$DOT" node list x \
	--as admin@active --key alice
for c in remove promote demote; do
	run 2 "node $c without a node" -- "$DOT" node "$c" \
		--as admin@active --key alice
	err_has "missing KEY|RAFT-ID" "node $c names what is missing"
	run 2 "node $c of neither a key nor a raft id" -- "$DOT" node "$c" \
		bogus --as admin@active --key alice
	run 2 "node $c of a raft id of 0" -- "$DOT" node "$c" 0 \
		--as admin@active --key alice
	run 2 "node $c of a mistyped key" -- "$DOT" node "$c" \
		"${NA_KEY%?}x" --as admin@active --key alice
	run 2 "node $c with two nodes" -- "$DOT" node "$c" 1 2 \
		--as admin@active --key alice
	run 1 "node $c NODE-KEY parses (then finds no node)" -- "$DOT" node \
		"$c" "$NA_KEY" --as admin@active --key alice
done
run 2 "node demote --role voter" -- "$DOT" node demote 7 --role voter \
	--as admin@active --key alice
run 2 "node promote takes no --role" -- "$DOT" node promote 7 \
	--role standby --as admin@active --key alice

# dot node join: usage, and the invitation's parsing
run 2 "node join without --invite" -- "$DOT" node join --dir "$TMP/j"
err_has "missing --invite" "the missing invitation is named"
run 2 "node join without --dir" -- "$DOT" node join --invite x
err_has "missing --dir" "the missing directory is named"
run 2 "node join with a bad --raft-addr" -- "$DOT" node join --invite x \
	--dir "$TMP/j" --raft-addr 10.0.0.1
run 2 "node join with a bad --api-addr" -- "$DOT" node join --invite x \
	--dir "$TMP/j" --api-addr '[::FFFF]:1'
run 2 "node join with an argument" -- "$DOT" node join x --invite x \
	--dir "$TMP/j"
# invitations made here: "dotinv1" + base64url(CBOR || first 4 bytes of
# BLAKE2b-256("dotinv1" || CBOR))
cat >"$TMP/mkinv.py" <<'PY'
import base64, hashlib, sys
def head(major, n):
    if n < 24: return bytes([major << 5 | n])
    if n < 256: return bytes([major << 5 | 24, n])
    return bytes([major << 5 | 25]) + n.to_bytes(2, 'big')
def bstr(b): return head(2, len(b)) + b
def tstr(s): return head(3, len(s.encode())) + s.encode()
addr, key = sys.argv[1], bytes.fromhex(sys.argv[2])
m = head(5, 5) + b'\x01' + bstr(bytes(range(16))) + b'\x02' + \
    bstr(bytes([7] * 32)) + b'\x03' + tstr(addr) + b'\x04' + bstr(key) + \
    b'\x05\x02'
s = hashlib.blake2b(b'dotinv1' + m, digest_size=32).digest()[:4]
print('dotinv1' + base64.urlsafe_b64encode(m + s).decode().rstrip('='))
PY
NA_HEX=$(python3 -c 'import base64,sys; t=sys.argv[1][6:]; b=base64.urlsafe_b64decode(t+"="*(-len(t)%4)); print(b[:33 if b[0] == 1 else 1985].hex())' "$NA_KEY")
INV=$(python3 "$TMP/mkinv.py" "unix:$TMP/no-such.sock" "$NA_HEX")
run 1 "node join with an invitation to no node" -- "$DOT" node join \
	--invite "$INV" --dir "$TMP/j1" --json
json_ok "d['error'] == 'DOT_EAPI_UNAVAILABLE'" \
	"the invitation parses; the node it names is not there"
[ ! -e "$TMP/j1/members" ]
ok $? "nothing but the key is written before the node admits it"
[ "$(stat -c %a "$TMP/j1/node.seed")" = 600 ] &&
	[ "$(stat -c %a "$TMP/j1")" = 700 ]
ok $? "join made DIR (0700) and DIR/node.seed (0600)"
printf '%s\n' "$INV" >"$TMP/inv.txt"
run 1 "node join --invite FILE" -- "$DOT" node join --invite "$TMP/inv.txt" \
	--dir "$TMP/j1"
err_has "cannot reach the node" "the invitation from a file parses"
run_in 1 "node join --invite - (standard input)" "$TMP/inv.txt" -- "$DOT" \
	node join --invite - --dir "$TMP/j1"
err_has "cannot reach the node" "the invitation from stdin parses"
BAD=$(printf '%s' "$INV" | tr 'AB' 'BA')
run 1 "a mistyped invitation" -- "$DOT" node join --invite "$BAD" \
	--dir "$TMP/j1" --json
json_ok "d['error'] in ('DOT_ETEXT_CHECKSUM', 'DOT_ETEXT_BASE64')" \
	"a mistyped invitation fails its checksum"
run 1 "a cut invitation" -- "$DOT" node join --invite "${INV%????????}" \
	--dir "$TMP/j1"
INV=$(python3 "$TMP/mkinv.py" "not an address" "$NA_HEX")
run 1 "an invitation with a bad address" -- "$DOT" node join \
	--invite "$INV" --dir "$TMP/j1"
err_has "content is malformed" "its content is refused"
INV=$(python3 "$TMP/mkinv.py" "127.0.0.1:7400" "02${NA_HEX:2}")
run 1 "an invitation with a node key of another suite" -- "$DOT" node \
	join --invite "$INV" --dir "$TMP/j1"
err_has "content is malformed" "its node key is refused"
run 1 "node join --invite of a missing file" -- "$DOT" node join \
	--invite "$TMP/nothing" --dir "$TMP/j1"

# ---- offline: a quorum receipt of Ed25519 and composite voters ----
# The seeds of tests/fuzz/corpus/audit (gen_qreceipt_corpus.c): the mixed
# cluster's three voter keys, one Ed25519 and two composite ML-DSA-65 +
# Ed25519 (type 0xff, docs/audit-format.md §5), and its receipts.
QC=$SRC/tests/fuzz/corpus/audit
{
	cat "$QC/vkey-pq-voter0"; echo
	echo "# composite voters"
	cat "$QC/vkey-pq"; echo
	cat "$QC/vkey-pq-voter2"; echo
} > "$TMP/pqkeys"
run 0 "a quorum receipt signed by Ed25519 and composite voters" -- \
	"$DOT" audit receipt verify "$QC/qr-pq-ok-3of3" --keys "$TMP/pqkeys"
out_has "signed by 3 of the 3 voters' keys" "all three voters' lines count"
run 0 "a quorum receipt of two composite voters, --json" -- \
	"$DOT" audit receipt verify "$QC/qr-pq-ok-2of3" --keys "$TMP/pqkeys" \
	--json
out_has '"signers": 2' "two composite lines are a quorum of three"
run 1 "one composite voter is no quorum" -- "$DOT" audit receipt verify \
	"$QC/qr-pq-bad-minority" --keys "$TMP/pqkeys"
err_has "signed by 1 of the 3 keys" "the minority is named"
run 1 "a forged composite line" -- "$DOT" audit receipt verify \
	"$QC/qr-pq-bad-signature" --keys "$TMP/pqkeys"
err_has "does not verify" "the forged line is refused"
{ cat "$TMP/pqkeys"; cat "$QC/vkey-pq"; echo; } > "$TMP/pqkeys2"
run 1 "a keys file with a composite key twice" -- "$DOT" audit receipt \
	verify "$QC/qr-pq-ok-3of3" --keys "$TMP/pqkeys2"
err_has "the same key twice" "the repeated key is refused"

# ---- the demo ----
if [ -x "$SRC/scripts/demo" ]; then
	run 0 "scripts/demo runs and every check holds" -- "$SRC/scripts/demo" "$DOT"
else
	n=$((n + 1)); results+=("ok $n - scripts/demo # SKIP not found")
fi

finish
