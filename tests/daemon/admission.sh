#!/usr/bin/env bash
# tests/daemon/admission.sh - nodes the ledger never admitted, or removed,
# against a three-node cluster, in TAP (issue 6).
#
#   tests/daemon/admission.sh <path-to-dot> <path-to-dotd>
#
# What tests/daemon/run.sh (the ledger refuses a used invitation, a
# member's key, a removed key) and cluster3.sh (a node removed while it
# runs applies nothing more; a write forwarded through it is refused) do
# not cover, with real processes:
#
#   - a dotd whose key was never admitted, started with the peers a real
#     member knows (a copy of its DIR/members): it is given no entry, can
#     read nothing from its empty replica, and a write through it never
#     reaches the ledger;
#   - a key the ledger knows as no node (a stranger's, or even the admin
#     account's) is refused at a member's raft address, while the admin's
#     key reaches every member's API address (from one DOT_DIR);
#   - a node removed by the ledger while it was down, started again with
#     its old raft state: it asks for votes that no member hears, gets no
#     entry, cannot read what was written after its removal, and the
#     cluster's leader and term do not move.
set -u

DOT=${1:?usage: admission.sh <path-to-dot> <path-to-dotd>}
DOTD=${2:?usage: admission.sh <path-to-dot> <path-to-dotd>}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output"
	exit 0
fi

TEST_NAME=admission
. "$(dirname "$0")/../lib.sh"
NODES=4 # node 4: the stranger
. "$(dirname "$0")/nodes.sh"
trap 'nodes_stop_all; cleanup' EXIT

term_of() { on "$1" status --json 2>/dev/null | awk -F'[:,]' '/"term":/ {gsub(/ /, "", $2); print $2}'; }

nodes_loopback
cluster_found
ok $? "node 1 founds the cluster ($(tr '\n' ' ' <"$TMP/err" | head -c 300))"
run 0 "mkdir /a" -- on 1 fs mkdir /a "${ADMIN[@]}"
for i in 2 3; do
	cluster_join "$i"
	ok $? "node $i joins by invitation ($(tr '\n' ' ' <"$TMP/err" | head -c 300))"
done
converged 1 2 3
ok $? "the three nodes agree"
setup_ok
printf 'secret\n' >"$TMP/f"

# ---- a stranger: a key never admitted ----
mkdir -m 700 "${DIRS[4]}" && cp "${DIRS[3]}/members" "${DIRS[4]}/"
node_start 4
ok $? "a dotd with a key never admitted starts with the members' addresses and keys"
run 0 "a write to the cluster meanwhile" -- on 1 fs put /a/one "$TMP/f" \
	"${ADMIN[@]}"
converged 1 2 3
S1=$(st 1 | cut -d' ' -f1)
sleep 3 # a moment in which a member could have sent it something
S4=$(st 4)
[ -n "$S4" ] && [ "${S4%% *}" = 0 ] && [ -n "$S1" ] && [ "$S1" -gt 0 ]
ok $? "the stranger was given no entry (its ledger index: ${S4%% *}; the cluster's: $S1)"
run 1 "the stranger reads nothing: ls /a on its replica fails" -- on 4 fs ls \
	/a "${ADMIN[@]}"
run 1 "the stranger reads nothing: cat /a/one fails" -- on 4 fs cat \
	/a/one "${ADMIN[@]}"
run 1 "a write through the stranger fails" -- on 4 fs put /a/via-stranger \
	"$TMP/f" "${ADMIN[@]}"
run 1 "and it is not in the ledger" -- on 1 fs stat /a/via-stranger \
	"${ADMIN[@]}"
node_stop 4 TERM

CID=$(on 1 status --json 2>/dev/null | awk -F'"' '/"cluster_id":/ {print $4}')
run 0 "a stranger's key" -- "$DOT" key new stranger
# A DOT_DIR for each probe: known_nodes pins one node key per cluster.
probe() { # i addr key: dot status at addr from a fresh DOT_DIR
	mkdir -p "$TMP/probe$1"
	DOT_DIR=$TMP/probe$1 DOT_CLUSTER=$CID "$DOT" --addr "$2" status \
		--key "$DOT_DIR/keys/$3.key"
}
for i in 1 2; do
	run 1 "the stranger's key is refused at node $i's raft address" -- \
		probe "$i" "${RAFT[$i]}" stranger
	err_has "refused" "node $i's raft address refused the handshake"
done
run 1 "so is the admin's key: the raft address admits member nodes only" -- \
	probe 3 "${RAFT[3]}" admin
err_has "refused" "node 3's raft address refused the handshake"
# Each node says so in its log (at most every 10 s; its timer runs every
# 50 ms).
for i in 1 2 3; do
	for _ in $(seq 1 50); do
		grep -q "raft address: .* handshakes refused" "$TMP/dotd$i.log" &&
			break
		sleep 0.1
	done
	grep -q "raft address: .* handshakes refused" "$TMP/dotd$i.log"
	ok $? "node $i logs the refused handshakes at its raft address"
done
# One client, admitted by the ledger, to every member over TCP.
bad=
for i in 1 2 3; do
	env DOT_CLUSTER="$CID" "$DOT" --addr "${API[$i]}" status --key admin \
		>"$TMP/out" 2>"$TMP/err" </dev/null ||
		bad="$bad node $i: $(grep -o 'ALARM.\{0,80\}' "$TMP/err" | head -1 || head -c 120 "$TMP/err" | tr '\n' ' ');"
done
[ -z "$bad" ]
ok $? "the admin's key reaches every member's API address over TCP from one DOT_DIR${bad:+ (}$bad${bad:+)}"

# ---- a node removed while it was down ----
R=3
KEYR=$(on 1 node list --json "${ADMIN[@]}" 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin)
n=[x for x in d["nodes"] if x["raft_addr"]=="'"${RAFT[$R]}"'"]
print(n[0]["node_key"] if n else "")')
node_stop "$R" TERM
L=$(leader 1 2)
ok $? "node $R stopped; nodes 1 and 2 have a leader (node ${L:-none})"
L=${L:-1}
run 0 "node $R is removed by the ledger while it is down" -- on "$L" node \
	remove "$KEYR" "${ADMIN[@]}"
run 0 "a write after the removal" -- on "$L" fs put /a/after "$TMP/f" \
	"${ADMIN[@]}"
converged 1 2
ok $? "nodes 1 and 2 agree"
TERM0=$(term_of "$L")
node_start "$R"
ok $? "the removed node starts again on its old raft state"
sleep 5 # several election timeouts: it campaigns, and nobody answers
AFTER=$(st "$R")
S1=$(st "$L")
[ -n "$AFTER" ] && [ "${S1%% *}" -gt "${AFTER%% *}" ] &&
	[ "$(st "$R" | cut -d' ' -f3)" != leader ]
ok $? "the removed node gets no entry and leads nothing (its ledger: $(echo "$AFTER" | cut -d' ' -f1,3); the cluster's: ${S1%% *})"
run 1 "the removed node cannot read what was written after its removal" -- \
	on "$R" fs stat /a/after "${ADMIN[@]}"
run 1 "a write through the removed node fails" -- on "$R" fs put \
	/a/via-removed "$TMP/f" "${ADMIN[@]}"
run 1 "and it is not in the ledger" -- on "$L" fs stat /a/via-removed \
	"${ADMIN[@]}"
L2=$(leader 1 2)
TERM1=$(term_of "${L2:-$L}")
[ "$L2" = "$L" ] && [ -n "$TERM0" ] && [ "$TERM1" = "$TERM0" ]
ok $? "the cluster's leader and term did not move (node $L term $TERM0 -> node ${L2:-none} term $TERM1)"
run 0 "writes go on" -- on "$L" fs put /a/later "$TMP/f" "${ADMIN[@]}"

nodes_stop_check 1 2 3
nodes_diag
finish
