#!/usr/bin/env bash
# tests/daemon/run.sh - end-to-end test of dot against one real dotd, in TAP.
#
#   tests/daemon/run.sh <path-to-dot> <path-to-dotd> <source-root>
#
# Makes a temporary DOT_DIR (fast key derivation, DOT_KDF_FAST=1), creates
# keys, runs 'dot init', starts dotd on the node directory and drives every
# node command: exit codes 0/1/2, --json fields, and the refusals end to end
# (no authority, unknown key, threshold, token without the right, wrong
# holder, expired, not yet valid, revoked, stale --expect-version, double
# receive). Nodes (docs/decisions/0017): dot init names the first node,
# dot node invite prints an invitation (over TCP, through dotd --listen),
# dot node join admits a second node key through it (the join is a ledger
# tx over the secure channel; no second dotd is needed), once only;
# remove, promote, demote and their refusals. dotd is stopped on exit.
set -u

DOT=${1:?usage: run.sh <path-to-dot> <path-to-dotd> <source-root>}
DOTD=${2:?usage: run.sh <path-to-dot> <path-to-dotd> <source-root>}
SRC=${3:-.}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac
: "$SRC"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output"
	exit 0
fi

TEST_NAME=daemon
. "$(dirname "$0")/../lib.sh"

ADMIN=(--as admin@active --key admin)
ALICE=(--as alice@active --key alice)

# ---- keys and init (offline) ----
for k in admin alice bob carol; do
	run 0 "key new $k" -- "$DOT" key new "$k"
done
run 2 "init without --admin-key is a usage error" -- "$DOT" init
run 2 "init with a bad --cluster-id" -- "$DOT" init --admin-key admin \
	--cluster-id xyz
run 0 "init" -- "$DOT" init --admin-key admin --raft-addr 127.0.0.1:7401 \
	--json
json_ok "d['ok'] and d['admin'] == 'admin' and len(d['cluster_id']) == 32" \
	"init --json names the admin and the cluster id"
json_ok "d['node_key'].startswith('dotpk1') and d['node_key_made'] and \
d['raft_addr'] == '127.0.0.1:7401' and d['api_addr'] == ''" \
	"init --json names the node key and its addresses"
CLUSTER=$(pyget "d['cluster_id']")
NODE_KEY=$(pyget "d['node_key']")
NODE_ID=$(pyget "d['raft_id']")
[ "$(stat -c %a "$DOT_DIR/node/node.seed")" = 600 ]
ok $? "init made the node key DIR/node.seed, mode 0600"
[ -f "$DOT_DIR/node/genesis" ]
ok $? "init wrote DOT_DIR/node/genesis"
[ "$(stat -c %a "$DOT_DIR/node")" = 700 ]
ok $? "the node directory is mode 0700"
run 1 "a second init is refused" -- "$DOT" init --admin-key admin
err_has "already initialized" "the refusal says the directory is initialized"

# ---- no node yet ----
run 1 "status without a node" -- "$DOT" status
err_has "is dotd running? start it with: dotd --dir $DOT_DIR/node" \
	"the error says how to start the node"
DOT_ADDR=127.0.0.1:99999 run 1 "a DOT_ADDR with a bad port is refused" -- \
	"$DOT" status
err_has "the port must be 1-65535" "the error names the port range"
DOT_ADDR=garbage run 1 "a malformed DOT_ADDR is refused" -- "$DOT" status
err_has "expected unix:" "the error shows the forms of DOT_ADDR"

# ---- start dotd ----
# --listen too: dot node invite and join run over TCP, through the secure
# channel, as they would between machines.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$DOTD" --dir "$DOT_DIR/node" --listen "127.0.0.1:$PORT" \
	>"$TMP/dotd.log" 2>&1 &
DOTD_PID=$!
for _ in $(seq 1 100); do
	[ -S "$DOT_DIR/node/dotd.sock" ] && break
	kill -0 "$DOTD_PID" 2>/dev/null || break
	sleep 0.1
done
if [ ! -S "$DOT_DIR/node/dotd.sock" ]; then
	ok 1 "dotd started (log: $(head -c 400 "$TMP/dotd.log"))"
	finish
fi
ok 0 "dotd started and made its socket"

run 0 "status" -- "$DOT" status
out_has "ledger index: 1" "status shows the genesis entry"
run 0 "status --json" -- "$DOT" status --json
json_ok "d['ok'] and d['ledger_index'] >= 1 and d['admin'] == 'admin' and \
d['cluster_id'] == '$CLUSTER' and len(d['state_hash']) == 64" \
	"status --json: index, admin, cluster id of init, state hash"
DOT_ADDR=unix:$DOT_DIR/node/dotd.sock run 0 "DOT_ADDR=unix:PATH works" -- \
	"$DOT" status

# ---- help and usage of every new command ----
for c in "init" "status" "fs ls" "fs cat" "fs put" "fs append" "fs mkdir" \
	"fs mv" "fs rm" "fs stat" "fs chown" "fs policy" "msg create" \
	"msg send" "msg recv" "account create" "account set-level" \
	"account set-expiry" "account show" \
	"cap grant" "cap revoke" "node list" "node invite" "node join" \
	"node remove" "node promote" "node demote"; do
	# shellcheck disable=SC2086
	run 0 "dot $c --help" -- "$DOT" $c --help
	out_has "usage: dot $c" "dot $c --help prints its usage"
	# shellcheck disable=SC2086
	run 2 "dot $c with an unknown option" -- "$DOT" $c --no-such-option
done
run 0 "dot help init" -- "$DOT" help init
run 0 "dot help fs put" -- "$DOT" help fs put
run 2 "fs ls without authority is a usage error" -- "$DOT" fs ls /
err_has "--as ACCOUNT@LEVEL" "the error says how to give authority"
run 2 "--as and --token together" -- "$DOT" fs ls / --as admin@active \
	--token x --key admin
run 2 "--as without --key" -- "$DOT" fs ls / --as admin@active
run 2 "a malformed --as" -- "$DOT" fs ls / --as admin --key admin
run 2 "a relative path" -- "$DOT" fs mkdir home "${ADMIN[@]}"
run 2 "--expect-version on mkdir" -- "$DOT" fs mkdir /x \
	--expect-version 1 "${ADMIN[@]}"
run 2 "--expect-version 0" -- "$DOT" fs rm /x --expect-version 0 \
	"${ADMIN[@]}"
run 2 "fs policy with an unknown policy" -- "$DOT" fs policy / sometimes \
	"${ADMIN[@]}"
run 2 "cap revoke without --block" -- "$DOT" cap revoke x "${ADMIN[@]}"
run 2 "account create without --pubkey" -- "$DOT" account create dave \
	"${ADMIN[@]}"
run 2 "account create with an unreachable threshold" -- "$DOT" account \
	create dave --pubkey bob --threshold 2 "${ADMIN[@]}"

# ---- files as the admin ----
run 0 "fs ls / (empty)" -- "$DOT" fs ls / "${ADMIN[@]}" --json
json_ok "d['ok'] and d['entries'] == []" "the root starts empty"
run 0 "fs mkdir /home" -- "$DOT" fs mkdir /home "${ADMIN[@]}" --json
json_ok "d['ok'] and d['op'] == 'fs.mkdir' and d['ledger_index'] >= 2 and \
len(d['tx_id']) == 64 and d['versions'][0]['version'] == 1" \
	"mkdir --json: op, ledger index, tx id, version 1"
refused DOT_ESTATE_EXISTS "mkdir of an existing directory" -- \
	"$DOT" fs mkdir /home "${ADMIN[@]}"
refused DOT_ESTATE_NOT_FOUND "mkdir under a missing directory" -- \
	"$DOT" fs mkdir /nope/x "${ADMIN[@]}"

# ---- accounts ----
run 0 "account create alice" -- "$DOT" account create alice --pubkey alice \
	"${ADMIN[@]}" --json
json_ok "d['ok'] and d['account'] == 'alice' and d['threshold'] == 1 and \
d['levels'] == ['owner', 'active'] and len(d['keys']) == 1" \
	"account create --json: account, levels, threshold, keys"
refused DOT_ESTATE_EXISTS "account create of an existing account" -- \
	"$DOT" account create alice --pubkey alice "${ADMIN[@]}"
refused DOT_ETX_AUTHORITY "a key that is not the level's is refused" -- \
	"$DOT" fs ls / --as admin@active --key carol
refused DOT_ETX_AUTHORITY "an unknown account is refused" -- \
	"$DOT" fs ls / --as mallory@active --key carol
refused DOT_ESTATE_DENIED "alice may not create accounts" -- \
	"$DOT" account create eve --pubkey carol "${ALICE[@]}"
refused DOT_ESTATE_DENIED "alice has no authority over /home yet" -- \
	"$DOT" fs mkdir /home/alice "${ALICE[@]}"
run 0 "mkdir /home/alice" -- "$DOT" fs mkdir /home/alice "${ADMIN[@]}"
run 0 "chown /home/alice alice" -- "$DOT" fs chown /home/alice alice \
	"${ADMIN[@]}"
refused DOT_ESTATE_NOT_FOUND "chown to an unknown account" -- \
	"$DOT" fs chown /home/alice nobody "${ADMIN[@]}"

# ---- files as alice ----
printf 'hello' >"$TMP/hello.txt"
run 0 "put a file" -- "$DOT" fs put /home/alice/hello.txt "$TMP/hello.txt" \
	"${ALICE[@]}" --json
json_ok "d['ok'] and d['target'] == '/home/alice/hello.txt' and \
d['versions'][0]['version'] == 1" "put --json: version 1"
run 0 "cat it" -- "$DOT" fs cat /home/alice/hello.txt "${ALICE[@]}"
[ "$(cat "$TMP/out")" = hello ]
ok $? "cat writes the bytes"
printf ', world' >"$TMP/more.txt"
run_in 0 "append from stdin" "$TMP/more.txt" -- "$DOT" fs append \
	/home/alice/hello.txt "${ALICE[@]}"
run 0 "cat --json" -- "$DOT" fs cat /home/alice/hello.txt "${ALICE[@]}" \
	--json
json_ok "d['size'] == 12 and __import__('base64').b64decode(\
d['content_base64']) == b'hello, world'" "cat --json has the content"
run 0 "stat" -- "$DOT" fs stat /home/alice/hello.txt "${ALICE[@]}" --json
json_ok "d['kind'] == 'file' and d['version'] == 2 and d['size'] == 12 and \
d['owner'] == 'alice' and d['policy'] == 'none' and len(d['id']) == 32" \
	"stat --json: kind, version 2, size, owner, policy"
run 0 "stat (text)" -- "$DOT" fs stat /home/alice/hello.txt "${ALICE[@]}"
out_has "version:  2" "stat shows the version"
printf '\000\001binary\377' >"$TMP/bin"
run 0 "put a binary file with --expect-version" -- "$DOT" fs put \
	/home/alice/hello.txt "$TMP/bin" --expect-version 2 "${ALICE[@]}"
out_has "version 3" "the put made version 3"
run 0 "cat the binary file" -- "$DOT" fs cat /home/alice/hello.txt \
	"${ALICE[@]}"
cmp -s "$TMP/out" "$TMP/bin"
ok $? "cat returns the exact bytes"
refused DOT_ESTATE_CONFLICT "a stale --expect-version is a conflict" -- \
	"$DOT" fs put /home/alice/hello.txt "$TMP/hello.txt" \
	--expect-version 2 "${ALICE[@]}"
json_ok "d['ledger_index'] > 0 and len(d['tx_id']) == 64" \
	"the refusal carries its receipt's ledger index and tx id"
refused DOT_ESTATE_CONFLICT "a stale --expect-version on append" -- \
	"$DOT" fs append /home/alice/hello.txt "$TMP/hello.txt" \
	--expect-version 1 "${ALICE[@]}"
refused DOT_ESTATE_NOT_FOUND "--expect-version on a missing file" -- \
	"$DOT" fs rm /home/alice/missing --expect-version 1 "${ALICE[@]}"
run 0 "put from stdin with -" -- bash -c "echo piped | '$DOT' fs put \
/home/alice/piped.txt - --as alice@active --key alice"
run 0 "mkdir /home/alice/docs" -- "$DOT" fs mkdir /home/alice/docs \
	"${ALICE[@]}"
run 0 "ls /home/alice" -- "$DOT" fs ls /home/alice "${ALICE[@]}" --json
json_ok "[e['name'] for e in d['entries']] == ['docs', 'hello.txt', \
'piped.txt'] and d['entries'][0]['kind'] == 'dir' and \
d['entries'][1]['kind'] == 'file' and d['entries'][1]['size'] == 9 and \
d['entries'][1]['version'] == 3 and d['entries'][1]['owner'] == 'alice'" \
	"ls --json: names, kinds, size, version, owner"
run 0 "ls (text)" -- "$DOT" fs ls /home/alice "${ALICE[@]}"
out_has "hello.txt" "ls lists the file"
run 0 "mv with --expect-version" -- "$DOT" fs mv /home/alice/piped.txt \
	/home/alice/docs/piped.txt --expect-version 1 "${ALICE[@]}"
refused DOT_ESTATE_NOT_FOUND "the old name is gone" -- \
	"$DOT" fs stat /home/alice/piped.txt "${ALICE[@]}"
run 0 "the new name is there" -- "$DOT" fs cat /home/alice/docs/piped.txt \
	"${ALICE[@]}"
out_has "piped" "the moved file keeps its content"
refused DOT_ESTATE_NOT_EMPTY "rm of a non-empty directory" -- \
	"$DOT" fs rm /home/alice/docs "${ALICE[@]}"
refused DOT_ESTATE_IS_DIR "cat of a directory" -- \
	"$DOT" fs cat /home/alice/docs "${ALICE[@]}"
run 0 "rm a file" -- "$DOT" fs rm /home/alice/docs/piped.txt "${ALICE[@]}"
run 0 "rm the empty directory" -- "$DOT" fs rm /home/alice/docs \
	"${ALICE[@]}"
run 0 "fs policy record-reads" -- "$DOT" fs policy /home/alice/hello.txt \
	record-reads "${ALICE[@]}"
run 0 "stat shows the policy" -- "$DOT" fs stat /home/alice/hello.txt \
	"${ALICE[@]}" --json
json_ok "d['policy'] == 'record-reads'" "the policy is record-reads"
run 0 "a recorded read still answers" -- "$DOT" fs cat \
	/home/alice/hello.txt "${ALICE[@]}"
cmp -s "$TMP/out" "$TMP/bin"
ok $? "the recorded read returns the content"
run 0 "fs policy none" -- "$DOT" fs policy /home/alice/hello.txt none \
	"${ALICE[@]}"

# ---- tokens ----
BOB_PK=$("$DOT" key show bob --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["public_key"])')
run 0 "alice mints bob a read,list token" -- "$DOT" cap mint --key alice \
	--holder "$BOB_PK" --resource /home/alice --rights read,list \
	--expires +1h -o "$TMP/bob.tok"
run 0 "bob reads with it" -- "$DOT" fs cat /home/alice/hello.txt \
	--token "$TMP/bob.tok" --key bob
cmp -s "$TMP/out" "$TMP/bin"
ok $? "the token read returns the content"
run 0 "bob lists with it" -- "$DOT" fs ls /home/alice --token \
	"$TMP/bob.tok" --key bob
refused DOT_ETOKEN_RIGHTS "a token without the write right" -- \
	"$DOT" fs put /home/alice/hello.txt "$TMP/hello.txt" \
	--token "$TMP/bob.tok" --key bob
refused DOT_ETOKEN_WRONG_HOLDER "a token presented by another key" -- \
	"$DOT" fs cat /home/alice/hello.txt --token "$TMP/bob.tok" \
	--key carol
refused DOT_ETOKEN_RESOURCE "a path outside the token's resource" -- \
	"$DOT" fs ls /home --token "$TMP/bob.tok" --key bob
run 2 "a token with two keys is a usage error" -- "$DOT" fs ls /home/alice \
	--token "$TMP/bob.tok" --key bob --key alice
run 0 "alice records the grant" -- "$DOT" cap grant "$TMP/bob.tok" \
	"${ALICE[@]}" --json
json_ok "d['ok'] and d['op'] == 'cap.grant' and len(d['rid']) == 64" \
	"cap grant --json names the rid"
refused DOT_ESTATE_DENIED "the admin cannot record alice's grant" -- \
	"$DOT" cap grant "$TMP/bob.tok" "${ADMIN[@]}"
run 2 "cap grant with --token is a usage error" -- "$DOT" cap grant \
	"$TMP/bob.tok" --token "$TMP/bob.tok" --key bob
run 0 "alice mints a token valid only in an hour" -- "$DOT" cap mint \
	--key alice --holder bob --resource /home/alice --rights read \
	--not-before +1h -o "$TMP/later.tok"
refused DOT_ETOKEN_NOT_YET_VALID "a not-yet-valid token" -- \
	"$DOT" fs cat /home/alice/hello.txt --token "$TMP/later.tok" --key bob
PAST=$(($(date +%s) - 3600))
run 0 "alice mints a token that expired an hour ago" -- "$DOT" cap mint \
	--key alice --holder bob --resource /home/alice --rights read \
	--expires "@$PAST" -o "$TMP/old.tok"
refused DOT_ETOKEN_EXPIRED "an expired token" -- \
	"$DOT" fs cat /home/alice/hello.txt --token "$TMP/old.tok" --key bob
# The revocation feed, for a verifier outside the cluster: before the
# revocation its filter does not hold the token's block.
run 0 "the node's revocation feed" -- "$DOT" revocation feed \
	-o "$TMP/feed1" --json
json_ok "d['ok'] and d['bytes'] > 100" "revocation feed -o --json"
NODE_VK=$("$DOT" audit verify --json 2>/dev/null | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["node_key"])')
CID=$("$DOT" status --json | python3 -c \
	'import json,sys; print(json.load(sys.stdin)["cluster_id"])')
FEED=(--feed-key "$NODE_VK" --feed-cluster "$CID")
run 0 "offline: bob's token passes with the feed" -- "$DOT" cap verify \
	"$TMP/bob.tok" --issuer alice --key bob --rights read \
	--feed "$TMP/feed1" "${FEED[@]}"
run 2 "--feed without its keys is a usage error" -- "$DOT" cap verify \
	"$TMP/bob.tok" --issuer alice --key bob --rights read \
	--feed "$TMP/feed1"
run 1 "a feed checked against another key is refused" -- "$DOT" cap \
	verify "$TMP/bob.tok" --issuer alice --key bob --rights read \
	--feed "$TMP/feed1" --feed-key carol --feed-cluster "$CID"
run 1 "a feed for another cluster is refused" -- "$DOT" cap verify \
	"$TMP/bob.tok" --issuer alice --key bob --rights read \
	--feed "$TMP/feed1" --feed-key "$NODE_VK" \
	--feed-cluster 00000000000000000000000000000000
run 2 "cap revoke of a block the token lacks" -- "$DOT" cap revoke \
	"$TMP/bob.tok" --block 3 "${ALICE[@]}"
run 0 "alice revokes bob's token" -- "$DOT" cap revoke "$TMP/bob.tok" \
	--block 0 "${ALICE[@]}" --json
json_ok "d['ok'] and d['op'] == 'cap.revoke'" "cap revoke --json"
refused DOT_ETOKEN_REVOKED "the revoked token is refused" -- \
	"$DOT" fs cat /home/alice/hello.txt --token "$TMP/bob.tok" --key bob
# Offline: the old feed still passes it (the staleness window); the next
# refresh holds the revocation, and the exact answer settles the hit.
run 0 "offline, the feed made before the revocation still passes it" -- \
	"$DOT" cap verify "$TMP/bob.tok" --issuer alice --key bob --rights read \
	--feed "$TMP/feed1" "${FEED[@]}"
run 0 "a refreshed feed" -- "$DOT" revocation feed -o "$TMP/feed2"
run 1 "offline, the refreshed feed refuses the revoked token" -- "$DOT" \
	cap verify "$TMP/bob.tok" --issuer alice --key bob --rights read \
	--feed "$TMP/feed2" "${FEED[@]}"
err_has "revocation lookup" "the refusal says to look the id up"
RID=$(sed -n 's/.*revocation lookup \([0-9a-f]\{64\}\).*/\1/p' "$TMP/err" | head -n 1)
run 0 "the exact answer for that id" -- "$DOT" revocation lookup "$RID" \
	-o "$TMP/answer"
run 1 "with the answer: revoked" -- "$DOT" cap verify "$TMP/bob.tok" \
	--issuer alice --key bob --rights read --feed "$TMP/feed2" \
	"${FEED[@]}" --answer "$TMP/answer" --json
json_ok "not d['ok'] and d['error'] == 'DOT_ETOKEN_REVOKED'" \
	"the answer settles it: the token is revoked"
sleep 2
run 1 "a feed older than --feed-max-age is refused" -- "$DOT" cap verify \
	"$TMP/bob.tok" --issuer alice --key bob --rights read \
	--feed "$TMP/feed2" "${FEED[@]}" --feed-max-age 1
err_has "refresh it" "the refusal says to refresh the feed"

# ---- mailboxes ----
run 0 "msg create" -- "$DOT" msg create /home/alice/inbox "${ALICE[@]}"
refused DOT_ESTATE_EXISTS "msg create twice" -- \
	"$DOT" msg create /home/alice/inbox "${ALICE[@]}"
run 0 "alice mints bob a send token" -- "$DOT" cap mint --key alice \
	--holder bob --resource /home/alice/inbox --rights send \
	-o "$TMP/send.tok"
run 0 "bob sends with it" -- "$DOT" msg send /home/alice/inbox \
	-m "hi alice" --token "$TMP/send.tok" --key bob --json
json_ok "d['ok'] and d['op'] == 'msg.send'" "msg send --json"
refused DOT_ETOKEN_RIGHTS "bob may not receive with a send token" -- \
	"$DOT" msg recv /home/alice/inbox --token "$TMP/send.tok" --key bob
run_in 0 "alice sends a file from stdin" "$TMP/bin" -- "$DOT" msg send \
	/home/alice/inbox "${ALICE[@]}"
run 0 "ls the mailbox" -- "$DOT" fs ls /home/alice/inbox "${ALICE[@]}" \
	--json
json_ok "len(d['entries']) == 2 and all(e['kind'] == 'message' for e in \
d['entries'])" "the mailbox holds two messages"
run 0 "recv the oldest" -- "$DOT" msg recv /home/alice/inbox "${ALICE[@]}" \
	--json
json_ok "d['ok'] and d['size'] == 8 and len(d['message_id']) == 32 and \
d['mailbox'] == '/home/alice/inbox' and \
base64.b64decode(d['body_base64']) == b'hi alice'" \
	"recv --json: the first message (8 bytes) and its body"
run 0 "recv the next" -- "$DOT" msg recv /home/alice/inbox "${ALICE[@]}"
cmp -s "$TMP/out" "$TMP/bin"
ok $? "recv writes the body to stdout, byte for byte"
err_has "received message" "recv names the message on stderr"
err_has "(9 bytes)" "recv gives its size"
refused DOT_ESTATE_NOT_FOUND "recv of an empty mailbox" -- \
	"$DOT" msg recv /home/alice/inbox "${ALICE[@]}"
refused DOT_ESTATE_KIND "send to a file" -- \
	"$DOT" msg send /home/alice/hello.txt -m x "${ALICE[@]}"
# Two receivers race for one message: exactly one gets it.
run 0 "send one message" -- "$DOT" msg send /home/alice/inbox -m once \
	"${ALICE[@]}"
"$DOT" msg recv /home/alice/inbox "${ALICE[@]}" >"$TMP/r1" 2>&1 &
P1=$!
"$DOT" msg recv /home/alice/inbox "${ALICE[@]}" >"$TMP/r2" 2>&1 &
P2=$!
wait $P1
R1=$?
wait $P2
R2=$?
[ $((R1 == 0)) -ne $((R2 == 0)) ] && [ $((R1 + R2)) -eq 1 ]
ok $? "of two concurrent recv exactly one gets the message ($R1, $R2)"
refused DOT_ESTATE_NOT_FOUND "the mailbox is empty after the race" -- \
	"$DOT" msg recv /home/alice/inbox "${ALICE[@]}"

# ---- levels: multi-signature ----
refused DOT_ESTATE_DENIED "set-level needs ACCOUNT@owner" -- \
	"$DOT" account set-level alice active --pubkey alice --pubkey bob \
	--threshold 2 "${ALICE[@]}"
refused DOT_ESTATE_DENIED "the admin cannot set alice's levels" -- \
	"$DOT" account set-level alice active --pubkey carol \
	--as admin@owner --key admin
run 0 "alice makes active a 2-of-2 of alice and bob" -- "$DOT" account \
	set-level alice active --pubkey alice --pubkey bob --threshold 2 \
	--as alice@owner --key alice --json
json_ok "d['ok'] and d['levels'] == ['active'] and d['threshold'] == 2 and \
len(d['keys']) == 2" "set-level --json: level, threshold, keys"
refused DOT_ETX_THRESHOLD "one signature no longer meets the threshold" -- \
	"$DOT" fs put /home/alice/two.txt "$TMP/hello.txt" "${ALICE[@]}"
run 0 "two signatures meet it" -- "$DOT" fs put /home/alice/two.txt \
	"$TMP/hello.txt" --as alice@active --key alice --key bob
run 1 "the same key twice is refused" -- "$DOT" fs ls /home/alice \
	--as alice@active --key alice --key "$DOT_DIR/keys/alice.key"
err_has "same key" "the error names the repeated key"

# ---- account show ----
run 0 "account show by the account itself" -- "$DOT" account show alice \
	--as alice@active --key alice --key bob --json
json_ok "d['account'] == 'alice' and any(l['level'] == 'active' and \
len(l['keys']) == 2 for l in d['levels'])" "account show --json: levels and keys"
run 0 "account show by the admin" -- "$DOT" account show alice "${ADMIN[@]}"
refused DOT_ESTATE_DENIED "an account cannot read another" -- \
	"$DOT" account show admin --as alice@active --key alice --key bob
run 2 "account show without a name" -- "$DOT" account show "${ADMIN[@]}"
run 0 "account show of an account without an expiry" -- "$DOT" account \
	show alice "${ADMIN[@]}" --json
json_ok "d['expires'] is None" "account show --json: expires null"
run 0 "account show in text" -- "$DOT" account show alice "${ADMIN[@]}"
out_has "never expires" "account show says it never expires"

# ---- account expiry (docs/decisions/0015) ----
NOW=$(date +%s)
run 0 "account create --expires +1d" -- "$DOT" account create dora \
	--pubkey carol --expires +1d "${ADMIN[@]}" --json
json_ok "d['ok'] and d['account'] == 'dora' and \
d['expires']['unix'] >= $NOW + 86400 and \
d['expires']['unix'] <= $(date +%s) + 86400 and \
d['expires']['utc'].endswith('Z')" "account create --json: the expiry"
DORA_EXP=$(pyget "d['expires']['unix']")
run 0 "account show of dora" -- "$DOT" account show dora "${ADMIN[@]}"
out_has "expires $(date -u -d "@$DORA_EXP" +%Y-%m-%dT%H:%M:%SZ) ($DORA_EXP)" \
	"account show prints the expiry"
run 0 "account show --json of dora" -- "$DOT" account show dora \
	--as dora@active --key carol --json
json_ok "d['expires']['unix'] == $DORA_EXP and len(d['levels']) == 2" \
	"account show --json: the expiry, by the account itself"
run 0 "account create --expires as RFC 3339" -- "$DOT" account create \
	eric --pubkey carol --expires 2100-01-01T00:00:00Z "${ADMIN[@]}"
out_has "eric expires 2100-01-01T00:00:00Z (4102444800)" \
	"create says when the account expires"
run 2 "account create --expires with a bad time" -- "$DOT" account create \
	fay --pubkey carol --expires tomorrow "${ADMIN[@]}"
err_has "--expires: time 'tomorrow'" "the bad time is named"
run 2 "account set-level takes no --expires" -- "$DOT" account set-level \
	dora active --pubkey carol --expires +1d --as dora@owner --key carol
refused DOT_ESTATE_DENIED "alice may not set dora's expiry" -- \
	"$DOT" account set-expiry dora never --as alice@active --key alice \
	--key bob
refused DOT_ESTATE_DENIED "the admin account never expires" -- \
	"$DOT" account set-expiry admin +1d --as admin@owner --key admin
err_has "never expires" "the refusal says why"
refused DOT_ESTATE_DENIED "dora@active may not set her expiry" -- \
	"$DOT" account set-expiry dora +1h --as dora@active --key carol
run 0 "dora@owner brings her expiry earlier" -- "$DOT" account set-expiry \
	dora +1h --as dora@owner --key carol --json
json_ok "d['ok'] and d['op'] == 'account.set-expiry' and \
d['account'] == 'dora' and d['expires']['unix'] < $DORA_EXP" \
	"set-expiry --json: account and expiry"
refused DOT_ESTATE_DENIED "dora@owner may not move it later" -- \
	"$DOT" account set-expiry dora +2d --as dora@owner --key carol
refused DOT_ESTATE_DENIED "dora@owner may not clear it" -- \
	"$DOT" account set-expiry dora never --as dora@owner --key carol
run 0 "the admin sets it in the past" -- "$DOT" account set-expiry dora \
	@1000 "${ADMIN[@]}"
out_has "dora expired at 1970-01-01T00:16:40Z (1000)" \
	"set-expiry says the account has expired"
refused DOT_ESTATE_ACCOUNT_EXPIRED "an expired account's tx is refused" -- \
	"$DOT" account show dora --as dora@owner --key carol
err_has "account dora expired at 1000" "the refusal names the account"
err_has "dot account set-expiry ACCOUNT TIME|never" "and how to lift it"
run 0 "the admin clears it" -- "$DOT" account set-expiry dora never \
	"${ADMIN[@]}" --json
json_ok "d['ok'] and d['expires'] is None" "set-expiry never --json: null"
run 0 "dora acts again" -- "$DOT" account show dora --as dora@active \
	--key carol
out_has "never expires" "and never expires"
run 2 "set-expiry with a bad time" -- "$DOT" account set-expiry dora \
	yesterday "${ADMIN[@]}"
err_has "(or 'never')" "the usage error offers never"
run 2 "set-expiry past the largest expiry" -- "$DOT" account set-expiry \
	dora @9223372036854775808 "${ADMIN[@]}"
run 2 "set-expiry without a time" -- "$DOT" account set-expiry dora \
	"${ADMIN[@]}"

# ---- nodes (docs/decisions/0017) ----
TCP=(env "DOT_ADDR=127.0.0.1:$PORT" "DOT_CLUSTER=$CLUSTER")
JOINER=(env "DOT_DIR=$TMP/joiner") # the new machine's own DOT_DIR
# the crypto policy (docs/crypto.md §14): hybrid by default, so the node
# requires the channel's X-Wing step; a classic proposal is a downgrade
run 0 "status names the crypto policy" -- "${TCP[@]}" "$DOT" status \
	--key admin --json
json_ok "d['policy'] == 'hybrid'" "the cluster is hybrid (dot init's default)"
run 0 "status (text) names the policy" -- "$DOT" status
out_has "policy:       hybrid" "dot status prints the policy"
refused DOT_ENET_KEM "a classic handshake with a hybrid node" -- \
	env "DOT_ADDR=127.0.0.1:$PORT" "DOT_CLUSTER=$CLUSTER" \
	DOT_CHANNEL_KEM=classic "$DOT" status --key admin
run 1 "dot --classic-channel is refused by a hybrid node" -- "${TCP[@]}" \
	"$DOT" --classic-channel status --key admin
err_has "requires the X-Wing step" "the refusal says the node requires X-Wing"
err_has "drop --classic-channel" "and what to drop"
run 1 "DOT_CHANNEL_KEM takes x-wing or classic" -- \
	env "DOT_ADDR=127.0.0.1:$PORT" "DOT_CLUSTER=$CLUSTER" \
	DOT_CHANNEL_KEM=kyber "$DOT" status --key admin
err_has "give x-wing (the default) or classic" "the values are named"
run 0 "DOT_CHANNEL_KEM=x-wing is the default's handshake" -- \
	env "DOT_ADDR=127.0.0.1:$PORT" "DOT_CLUSTER=$CLUSTER" \
	DOT_CHANNEL_KEM=x-wing "$DOT" status --key admin
run 0 "node list" -- "$DOT" node list "${ADMIN[@]}" --json
json_ok "len(d['nodes']) == 1 and d['nodes'][0]['node_key'] == '$NODE_KEY' \
and d['nodes'][0]['raft_id'] == $NODE_ID and \
d['nodes'][0]['role'] == 'voter' and d['nodes'][0]['status'] == 'active' \
and d['nodes'][0]['admitted'] == 1 and \
d['nodes'][0]['raft_addr'] == '127.0.0.1:7401'" \
	"node list --json: the genesis node, an active voter"
run 0 "node list (text)" -- "$DOT" node list "${ADMIN[@]}"
out_has "node $NODE_ID: voter, active since entry 1" "node list shows it"
run 0 "any account may list the nodes" -- "$DOT" node list \
	--as dora@active --key carol
refused DOT_ESTATE_DENIED "dora may not invite" -- \
	"$DOT" node invite --as dora@active --key carol
# an invitation over TCP: it names that address and the node's key
run 0 "node invite --role standby over TCP" -- "${TCP[@]}" "$DOT" node \
	invite --role standby --expires 30m "${ADMIN[@]}" --json
json_ok "d['ok'] and d['invite'].startswith('dotinv1') and \
d['account'].startswith('join-') and len(d['account']) == 21 and \
d['role'] == 'standby' and d['address'] == '127.0.0.1:$PORT' and \
d['node_key'] == '$NODE_KEY' and \
0 < d['expires']['unix'] - $(date +%s) <= 1800" \
	"invite --json: the string, its account, role, expiry, address, node key"
pyget "d['invite']" >"$TMP/inv1"
INV1_ACCT=$(pyget "d['account']")
run 0 "node invite (text) prints one dotinv1 line" -- "${TCP[@]}" "$DOT" \
	node invite "${ADMIN[@]}"
head -n 1 "$TMP/out" >"$TMP/inv2"
grep -q '^dotinv1' "$TMP/inv2" && [ "$(wc -l <"$TMP/out")" -eq 1 ]
ok $? "the invitation is the only line on stdout"
err_has "SECRET until it is used" "invite says the string is a secret"
run_in 0 "node join over TCP with the invitation" "$TMP/inv1" -- \
	"${JOINER[@]}" "$DOT" node join --invite - --dir "$TMP/n2" \
	--raft-addr 127.0.0.1:7402 --api-addr 127.0.0.1:7412 --json
json_ok "d['ok'] and d['role'] == 'standby' and d['raft_id'] > 0 and \
d['node_key'].startswith('dotpk1') and d['node_key_made'] and \
d['raft_addr'] == '127.0.0.1:7402' and d['api_addr'] == '127.0.0.1:7412' \
and d['account'] == '$INV1_ACCT' and d['ledger_index'] > 1" \
	"join --json: the admitted node, its role and addresses"
N2_KEY=$(pyget "d['node_key']")
N2_ID=$(pyget "d['raft_id']")
[ "$(stat -c %a "$TMP/n2/node.seed")" = 600 ]
ok $? "join made the new node's key, mode 0600"
[ "$(stat -c %s "$TMP/n2/node.seed")" = 33 ] &&
	[ "$(head -c 1 "$TMP/n2/node.seed" | od -An -tx1 | tr -d ' ')" = 03 ]
ok $? "the invitation carried the hybrid policy: the new node's key is composite"
grep -q "^127.0.0.1:$PORT $CLUSTER " "$TMP/joiner/known_nodes"
ok $? "the joiner pinned the node's key from the invitation"
json_ok "d['member_nodes'] == 1 and d['members'] == '$TMP/n2/members'" \
	"join --json names DIR/members and its one node"
# [1, cluster id, [[node key, raft addr]]] (daemon/dotd.c reads it)
python3 - "$TMP/n2/members" "$CLUSTER" "$NODE_KEY" <<'PY'
import base64, sys
d = open(sys.argv[1], 'rb').read()
t = sys.argv[3][6:]
raw = base64.urlsafe_b64decode(t + '=' * (-len(t) % 4))
# the key without its text checksum: Ed25519 (33 bytes) or composite (1985)
n = 33 if raw[0] == 1 else 1985
head = b'\x58\x21' if n == 33 else b'\x59\x07\xc1'
want = (b'\x83\x01\x50' + bytes.fromhex(sys.argv[2]) + b'\x81\x82' + head +
        raw[:n] + b'\x6e' + b'127.0.0.1:7401')
sys.exit(0 if d == want else 1)
PY
ok $? "DIR/members holds the cluster id and the genesis node, exactly"
[ "$(stat -c %a "$TMP/n2/members")" = 600 ]
ok $? "DIR/members has mode 0600"
run 0 "node list shows two" -- "$DOT" node list "${ADMIN[@]}" --json
json_ok "len(d['nodes']) == 2 and [n for n in d['nodes'] if \
n['raft_id'] == $N2_ID and n['node_key'] == '$N2_KEY' and \
n['role'] == 'standby' and n['status'] == 'active' and \
n['api_addr'] == '127.0.0.1:7412']" "the new node is listed, a standby"
run_in 1 "the same invitation again is refused" "$TMP/inv1" -- \
	"${JOINER[@]}" "$DOT" node join --invite - --dir "$TMP/n3" \
	--raft-addr 127.0.0.1:7403 --json
json_ok "d['error'] == 'DOT_ENET_REFUSED_BY_PEER'" \
	"refused at the channel: the invitation's account has ended"
err_has "was used or has expired" "the refusal says why"
# an invitation on the Unix socket names it (the node has no API address)
run 0 "node invite on the Unix socket" -- "$DOT" node invite \
	"${ADMIN[@]}" --json
json_ok "d['address'] == 'unix:$DOT_DIR/node/dotd.sock' and \
d['role'] == 'voter'" "it names the socket, role voter by default"
pyget "d['invite']" >"$TMP/inv3"
err_has "only this machine can reach" "and says so"
run 0 "node join through the socket" -- "$DOT" node join \
	--invite "$TMP/inv3" --dir "$TMP/n3" --raft-addr 127.0.0.1:7403
out_has "(voter)" "join names the role"
out_has "peers:    2 nodes, in $TMP/n3/members" \
	"the invitation named the two active nodes"
N3_ID=$(awk '/^admitted node/ {print $3}' "$TMP/out")
refused DOT_ESTATE_ACCOUNT_EXPIRED "the socket's invitation again" -- \
	"$DOT" node join --invite "$TMP/inv3" --dir "$TMP/n4" \
	--raft-addr 127.0.0.1:7404
err_has "ask for a new one" "the hint says to ask for a new invitation"
# a node key already in, a raft address in use
run_in 1 "a member's key joins again" "$TMP/inv2" -- "${JOINER[@]}" \
	"$DOT" node join --invite - --dir "$TMP/n2" --raft-addr \
	127.0.0.1:7409 --json
json_ok "d['error'] == 'DOT_ESTATE_EXISTS'" "refused: the key is a node's"
run_in 1 "a raft address in use" "$TMP/inv2" -- "${JOINER[@]}" "$DOT" node \
	join --invite - --dir "$TMP/n5" --raft-addr 127.0.0.1:7401 --json
json_ok "d['error'] == 'DOT_ESTATE_EXISTS' and \
'raft address 127.0.0.1:7401' in d['message']" "refused: the address is taken"
# remove, promote, demote
refused DOT_ESTATE_DENIED "dora may not remove a node" -- \
	"$DOT" node remove "$N3_ID" --as dora@active --key carol
run 0 "node remove by raft id" -- "$DOT" node remove "$N3_ID" \
	"${ADMIN[@]}" --json
json_ok "d['ok'] and d['op'] == 'node.remove' and d['raft_id'] == $N3_ID \
and d['status'] == 'removed'" "remove --json"
refused DOT_ESTATE_NOT_FOUND "a removed node is not removed again" -- \
	"$DOT" node remove "$N3_ID" "${ADMIN[@]}"
run 0 "node list shows it removed" -- "$DOT" node list "${ADMIN[@]}" --json
json_ok "[n for n in d['nodes'] if n['raft_id'] == $N3_ID and \
n['status'] == 'removed' and n['removed'] > n['admitted']]" \
	"removed, at a later entry than it was admitted"
run 0 "a fresh invitation" -- "$DOT" node invite "${ADMIN[@]}" --json
pyget "d['invite']" >"$TMP/inv4"
refused DOT_ESTATE_EXISTS "a removed key never comes back" -- \
	"$DOT" node join --invite "$TMP/inv4" --dir "$TMP/n3" \
	--raft-addr 127.0.0.1:7403
err_has "never comes back" "the refusal says why"
refused DOT_ESTATE_DENIED "the last active voter is not removed" -- \
	"$DOT" node remove "$NODE_KEY" "${ADMIN[@]}"
err_has "last active voter" "the refusal names the last voter"
refused DOT_ESTATE_DENIED "nor demoted" -- \
	"$DOT" node demote "$NODE_ID" "${ADMIN[@]}"
run 0 "node promote by key" -- "$DOT" node promote "$N2_KEY" \
	"${ADMIN[@]}" --json
json_ok "d['ok'] and d['role'] == 'voter' and d['raft_id'] == $N2_ID" \
	"promote --json"
run 0 "node demote --role observer" -- "$DOT" node demote "$NODE_ID" \
	--role observer "${ADMIN[@]}"
out_has "node $NODE_ID is observer" "demote says the new role"
run 0 "node list after the changes" -- "$DOT" node list "${ADMIN[@]}" \
	--json
json_ok "[n['role'] for n in d['nodes'] if n['raft_id'] == $NODE_ID] == \
['observer'] and [n['role'] for n in d['nodes'] if \
n['raft_id'] == $N2_ID] == ['voter']" "the roles moved"
run 1 "node remove of an unknown raft id" -- "$DOT" node remove 12345 \
	"${ADMIN[@]}"
err_has "no node has raft id 12345" "the raft id is named"

# ---- the ledger moved on ----
run 0 "status at the end" -- "$DOT" status --json
json_ok "d['ledger_index'] > 30" "every write and refusal is a ledger entry"

kill "$DOTD_PID" 2>/dev/null
wait "$DOTD_PID" 2>/dev/null
DOTD_PID=
run 1 "after dotd stops, commands say so" -- "$DOT" fs ls / "${ADMIN[@]}"
err_has "cannot reach the node" "the error names the node"

finish
