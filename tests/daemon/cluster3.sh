#!/usr/bin/env bash
# tests/daemon/cluster3.sh - three dotd nodes in cluster mode, in TAP.
#
#   tests/daemon/cluster3.sh <path-to-dot> <path-to-dotd>
#
# Node 1 founds the cluster (dot init, dotd --raft-addr); the admin invites
# two more; each joins (dot node join: a ledger tx through the channel) and
# starts; the leader adds them to raft as the ledger says; every node applies
# the same entries (equal ledger index and state hash); a follower refuses a
# write and names the leader; the leader is killed, another is elected and
# writes go on there; the old leader comes back and catches up; a node the
# ledger removes is cut off and applies nothing more.
set -u

DOT=${1:?usage: cluster3.sh <path-to-dot> <path-to-dotd>}
DOTD=${2:?usage: cluster3.sh <path-to-dot> <path-to-dotd>}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output"
	exit 0
fi

TEST_NAME=cluster3
. "$(dirname "$0")/../lib.sh"

ADMIN=(--as admin@active --key admin)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
declare -a PID RAFT API DIRS
for i in 1 2 3; do
	RAFT[$i]=127.0.0.1:$(port)
	API[$i]=127.0.0.1:$(port)
	DIRS[$i]=$TMP/n$i
done

start() { # i: start node i and wait for its socket
	local i=$1
	rm -f "${DIRS[$i]}/dotd.sock"
	"$DOTD" --dir "${DIRS[$i]}" --raft-addr "${RAFT[$i]}" \
		--listen "${API[$i]}" --snapshot-every 8 >>"$TMP/dotd$i.log" 2>&1 &
	PID[$i]=$!
	for _ in $(seq 1 150); do
		[ -S "${DIRS[$i]}/dotd.sock" ] && return 0
		kill -0 "${PID[$i]}" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

stop() { # i signal
	[ -n "${PID[$1]:-}" ] || return 0
	kill "-$2" "${PID[$1]}" 2>/dev/null
	wait "${PID[$1]}" 2>/dev/null
	PID[$1]=
}
cleanup3() { for i in 1 2 3; do stop "$i" TERM; done; }
trap 'cleanup3; cleanup' EXIT

on() { # i cmd...: dot against node i's socket
	local i=$1
	shift
	DOT_ADDR="unix:${DIRS[$i]}/dotd.sock" "$DOT" "$@"
}

st() { # i: "index hash role" of node i
	on "$1" status --json 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin); print(d["ledger_index"], d["state_hash"], d.get("raft",{}).get("role","-"))' 2>/dev/null
}

converged() { # nodes...: the same index and hash on all, within 60 s
	local want got
	for _ in $(seq 1 300); do
		want=
		local same=1
		for i in "$@"; do
			got=$(st "$i" | cut -d' ' -f1-2)
			[ -n "$got" ] || { same=0; break; }
			if [ -z "$want" ]; then want=$got; elif [ "$got" != "$want" ]; then same=0; fi
		done
		[ "$same" = 1 ] && return 0
		sleep 0.2
	done
	return 1
}

leader() { # nodes...: the one that says it leads, within 60 s
	for _ in $(seq 1 300); do
		for i in "$@"; do
			[ "$(st "$i" | cut -d' ' -f3)" = leader ] && { echo "$i"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

run 0 "key new admin" -- "$DOT" key new admin
run 0 "init node 1" -- "$DOT" init --admin-key admin --dir "${DIRS[1]}" \
	--raft-addr "${RAFT[1]}" --api-addr "${API[1]}"
start 1
ok $? "node 1 starts and founds the cluster"
L=$(leader 1)
ok $? "node 1 leads"
run 0 "a first write" -- on 1 fs mkdir /home "${ADMIN[@]}"

for i in 2 3; do
	if [ "$i" = 3 ]; then
		# Snapshots every 8 entries keep 2 behind: node 3, joining
		# after 12 more, is sent a snapshot rather than the log.
		fails=0
		for k in $(seq 1 12); do
			on 1 fs mkdir "/home/d$k" "${ADMIN[@]}" >/dev/null 2>&1 ||
				fails=$((fails + 1))
		done
		ok $((fails != 0)) "12 writes before node 3 joins ($fails failed)"
	fi
	run 0 "invite node $i" -- on 1 node invite "${ADMIN[@]}" --json
	INV=$(pyget "d['invite']")
	run 0 "node $i joins by the invitation" -- "$DOT" node join \
		--invite "$INV" --dir "${DIRS[$i]}" --raft-addr "${RAFT[$i]}" \
		--api-addr "${API[$i]}"
	[ -f "${DIRS[$i]}/members" ]
	ok $? "the join wrote DIR/members for node $i"
	start "$i"
	ok $? "node $i starts (log: $(tail -c 300 "$TMP/dotd$i.log" | tr '\n' ' '))"
done
converged 1 2 3
ok $? "the three nodes hold the same ledger index and state hash"
grep -q "caught up from a snapshot" "$TMP/dotd3.log"
ok $? "node 3 caught up from a snapshot"
run 0 "node 3 reads a write made before it joined" -- on 3 fs stat \
	/home/d5 "${ADMIN[@]}"
# A hybrid node's raft transport requires the channel's X-Wing step as its
# API does: a classic handshake there is a downgrade, refused before any
# key is looked at (docs/decisions/0020).
run 0 "the cluster id" -- on 1 status --json
CID=$(pyget "d['cluster_id']")
refused DOT_ENET_KEM "a classic handshake with a hybrid node's raft transport" \
	-- env "DOT_ADDR=${RAFT[1]}" "DOT_CLUSTER=$CID" DOT_CHANNEL_KEM=classic \
	"$DOT" status --key admin
run 0 "node list" -- on 1 node list --json "${ADMIN[@]}"
json_ok "len([x for x in d['nodes'] if x['status'] == 'active']) == 3" \
	"the ledger names three active nodes"

printf 'replicated\n' >"$TMP/f"
run 0 "a write at the leader" -- on 1 fs put /home/f "$TMP/f" "${ADMIN[@]}"
converged 1 2 3
ok $? "every node applied it"
run 0 "a follower reads it from its own replica" -- on 2 fs cat /home/f \
	"${ADMIN[@]}"
out_has "replicated" "the follower's copy is the one written"
run 0 "a write at a follower is forwarded to the leader" -- on 3 fs put \
	/home/g "$TMP/f" "${ADMIN[@]}" --json
json_ok "d['ok'] and d['target'] == '/home/g'" \
	"the follower answers with the receipt of its own apply"
converged 1 2 3
ok $? "every node applied the forwarded write"

# Linearizable reads: a write acknowledged at the leader is seen by a
# --consistent read at either follower, every time.
LDR=$(leader 1 2 3)
bad=0
for k in $(seq 1 10); do
	printf 'v%s\n' "$k" >"$TMP/v"
	on "${LDR:-1}" fs put /home/lin "$TMP/v" "${ADMIN[@]}" >/dev/null 2>&1 ||
		{ bad=$((bad + 1)); continue; }
	for i in 1 2 3; do
		[ "$i" = "${LDR:-1}" ] && continue
		got=$(on "$i" --consistent fs cat /home/lin "${ADMIN[@]}" 2>/dev/null)
		[ "$got" = "v$k" ] || bad=$((bad + 1))
	done
done
ok $((bad != 0)) "10 writes, each read back at both followers with --consistent ($bad misses)"
run 0 "a --consistent read at the leader" -- on "${LDR:-1}" --consistent \
	fs cat /home/lin "${ADMIN[@]}"
out_has "v10" "the leader's barrier read sees the last write"

# Cosigned checkpoints and quorum receipts (decision 0018).
run 0 "the voters' verifier keys" -- on 1 node list --keys "${ADMIN[@]}"
cp "$TMP/out" "$TMP/qkeys"
[ "$(grep -c '^node-' "$TMP/qkeys")" = 3 ]
ok $? "three voter keys ($(wc -l <"$TMP/qkeys") lines)"
run 0 "a cosigned checkpoint from a follower" -- on 2 audit cosigned \
	--keys "$TMP/qkeys" --json
json_ok "d['ok'] and len(d['signers']) >= 2 and d['quorum'] == 2" \
	"signed by a quorum of the three voters"
run 0 "a write with a quorum receipt, at a follower" -- on 3 \
	--quorum-receipt "$TMP/qr" --quorum-keys "$TMP/qkeys" fs put /home/q \
	"$TMP/f" "${ADMIN[@]}"
[ -s "$TMP/qr" ]
ok $? "the quorum receipt was written"
run 0 "the quorum receipt verifies offline" -- "$DOT" audit receipt verify \
	"$TMP/qr" --keys "$TMP/qkeys" --json
json_ok "d['ok'] and d['status'] == 'ok' and d['signers'] >= 2" \
	"applied by a majority, with that result"
run 0 "audit verify against the cosigned checkpoints, at node 2" -- on 2 \
	audit verify --keys "$TMP/qkeys" --json
json_ok "d['ok'] and d['trust'] == 'quorum-keys' and d['records_checked'] > 0" \
	"node 2's log is cosigned by a quorum and proves its records"
run 0 "and again at node 3: the same history, extended" -- on 3 \
	audit verify --keys "$TMP/qkeys" --json
json_ok "d['ok'] and d['consistency'] in ('same', 'extends')" \
	"node 3's cosigned checkpoint is consistent with node 2's"
# Three keys that are no member's, in the keys file's form.
: >"$TMP/okeys"
for k in a b c; do
	"$DOT" key new "other$k" --suite ed25519 >/dev/null 2>&1
	"$DOT" key show "other$k" --json | python3 -c '
import base64, hashlib, json, sys
d = json.load(sys.stdin)
t = d["public_key"][len("dotpk1"):]
pk = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))[1:33]
name = "node-" + d["key_id"]
kid = hashlib.sha256(name.encode() + b"\n\x01" + pk).digest()[:4]
print(name + "+" + kid.hex() + "+" + base64.b64encode(b"\x01" + pk).decode())' \
		>>"$TMP/okeys"
done
[ "$(grep -c '^node-' "$TMP/okeys")" = 3 ]
ok $? "three keys of no member"
run 1 "checked with keys of no member: refused" -- "$DOT" audit receipt \
	verify "$TMP/qr" --keys "$TMP/okeys"
err_has "known key" "refused: no known key signed it"
run 1 "cosigned checkpoint checked with keys of no member: refused" -- \
	on 1 audit cosigned --keys "$TMP/okeys"
# Three voters' keys of which at most one signed the receipt's checkpoint
# (one real voter key, two of no member): a minority, never a quorum.
minority=0 accepted=0
while read -r vk; do
	{ echo "$vk"; head -n 2 "$TMP/okeys"; } >"$TMP/mkeys"
	if "$DOT" audit receipt verify "$TMP/qr" --keys "$TMP/mkeys" \
		>/dev/null 2>"$TMP/err"; then
		accepted=$((accepted + 1))
	elif grep -q "a quorum is 2" "$TMP/err"; then
		minority=$((minority + 1))
	fi
done <"$TMP/qkeys"
[ "$accepted" = 0 ] && [ "$minority" -ge 1 ]
ok $? "signed by one of three voters: refused for want of a quorum ($minority refusals, $accepted accepted)"
python3 - "$TMP/qr" "$TMP/qr-bad" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.find(b'\xa6\x01\x01\x02\x58\x20') + 6  # the tx id
b[i] ^= 1
open(sys.argv[2], 'wb').write(bytes(b))
PY
run 1 "a receipt edited to name another tx: refused" -- "$DOT" audit \
	receipt verify "$TMP/qr-bad" --keys "$TMP/qkeys"
err_has "another" "refused as the receipt of another tx"

# The leader dies: the other two elect one and go on.
stop 1 KILL
L=$(leader 2 3)
ok $? "a new leader among nodes 2 and 3 (node ${L:-none})"
run 0 "a write at the new leader" -- on "${L:-2}" fs put /home/h "$TMP/f" \
	"${ADMIN[@]}"
fails=0
for k in $(seq 1 12); do
	on "${L:-2}" fs mkdir "/home/e$k" "${ADMIN[@]}" >/dev/null 2>&1 ||
		fails=$((fails + 1))
done
ok $((fails != 0)) "12 more writes while node 1 is down ($fails failed)"
converged 2 3
ok $? "nodes 2 and 3 agree"
start 1
ok $? "node 1 restarts"
converged 1 2 3
ok $? "node 1 caught up: all three agree again"
grep -q "caught up from a snapshot" "$TMP/dotd1.log"
ok $? "node 1 caught up from a snapshot over its older state"
run 0 "node 1 has the write made while it was down" -- on 1 fs cat /home/h \
	"${ADMIN[@]}"

# The ledger removes the leader: it hands leadership over, and is cut off.
R=$(leader 1 2 3)
ok $? "a leader before the removal (node ${R:-none})"
R=${R:-3}
OTHERS=()
for i in 1 2 3; do [ "$i" = "$R" ] || OTHERS+=("$i"); done
KEYR=$(on "$R" node list --json "${ADMIN[@]}" | python3 -c 'import json,sys
d=json.load(sys.stdin)
n=[x for x in d["nodes"] if x["raft_addr"]=="'"${RAFT[$R]}"'"]
print(n[0]["node_key"] if n else "")')
run 0 "the leader (node $R) is removed by the ledger" -- on "$R" node remove \
	"$KEYR" "${ADMIN[@]}"
L=$(leader "${OTHERS[@]}")
ok $? "another node leads after the removal (node ${L:-none})"
L=${L:-${OTHERS[0]}}
converged "${OTHERS[@]}"
ok $? "the other two agree after the removal"
BEFORE=$(st "$R" | cut -d' ' -f1)
run 0 "a write after the removal" -- on "$L" fs put /home/i "$TMP/f" \
	"${ADMIN[@]}"
converged "${OTHERS[@]}"
ok $? "the other two applied it"
sleep 2
AFTER=$(st "$R" | cut -d' ' -f1)
[ -n "$BEFORE" ] && [ "$AFTER" = "$BEFORE" ]
ok $? "the removed node applies nothing more ($BEFORE -> $AFTER)"
# Its key is refused at the leader's channel: a write sent through it
# (forwarded as a NODE) never reaches the ledger.
run 1 "a write through the removed node fails" -- on "$R" fs put /home/z \
	"$TMP/f" "${ADMIN[@]}"
err_has "refused" "the forwarding channel was refused"
run 1 "and the write is not in the ledger" -- on "$L" fs stat /home/z \
	"${ADMIN[@]}"

# No quorum: with one of the two remaining voters stopped, the other still
# serves reads from its replica, but a linearizable read is refused.
stop "${OTHERS[1]}" KILL
LAST=${OTHERS[0]}
run 0 "without a quorum, a read from the replica still works" -- on "$LAST" \
	fs cat /home/f "${ADMIN[@]}"
DOT_TIMEOUT=20 run 1 "without a quorum, a --consistent read is refused" -- \
	on "$LAST" --consistent fs cat /home/f "${ADMIN[@]}"

finish
