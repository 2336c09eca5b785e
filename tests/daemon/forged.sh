#!/usr/bin/env bash
# tests/daemon/forged.sh - txs with a forged signature, or signed by a key
# that is not the token's holder, sent to the leader of a three-node
# cluster, in TAP (issue 6: every node re-validates every tx).
#
#   tests/daemon/forged.sh <path-to-dot> <path-to-dotd> <path-to-bench_ledger_load>
#
# The cluster is founded with bench_ledger_load's admin key (its keyfile
# command) and two nodes join by invitation. bench_ledger_load then runs its
# set-up and a few puts against the leader: a non-holder's put under the
# token must be refused (DOT_ETOKEN_WRONG_HOLDER), and the holder's own put
# with one byte of its signature changed must be refused
# (DOT_ETX_SIGNATURE), or the load aborts. The leader checks signatures as
# txs are submitted; each follower checks them as the entry arrives from
# the leader, before it commits, and apply checks again any that did not
# verify: so every node must hold the same state (index and hash), no node
# may hold either refused file, and every node holds the puts that were
# accepted.
set -u

DOT=${1:?usage: forged.sh <path-to-dot> <path-to-dotd> <path-to-bench_ledger_load>}
DOTD=${2:?usage: forged.sh <path-to-dot> <path-to-dotd> <path-to-bench_ledger_load>}
LOAD=${3:?usage: forged.sh <path-to-dot> <path-to-dotd> <path-to-bench_ledger_load>}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac
case $LOAD in /*) ;; *) LOAD=$PWD/$LOAD ;; esac

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output"
	exit 0
fi

TEST_NAME=forged
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/nodes.sh"
trap 'nodes_stop_all; cleanup' EXIT

# The cluster under bench_ledger_load's admin key and cluster id (the
# key file sealed under DOT_PASSPHRASE, which lib.sh sets).
nodes_loopback
KF=$("$LOAD" keyfile "$TMP/admin.key" 2>"$TMP/err")
ok $? "bench_ledger_load writes its admin key file"
ADMIN_PK=$(sed -n 1p <<<"$KF")
CLUSTER_ID=$(sed -n 2p <<<"$KF")
ADMIN=(--as admin@active --key "$TMP/admin.key")
"$DOT" init --admin-key "$ADMIN_PK" --cluster-id "$CLUSTER_ID" \
	--policy classic --dir "${DIRS[1]}" --raft-addr "${RAFT[1]}" \
	--api-addr "${API[1]}" >"$TMP/out" 2>"$TMP/err" </dev/null &&
	node_start 1 && leader 1 >/dev/null
ok $? "node 1 founds the cluster ($(tr '\n' ' ' <"$TMP/err" | head -c 300))"
for i in 2 3; do
	cluster_join "$i"
	ok $? "node $i joins by invitation ($(tr '\n' ' ' <"$TMP/err" | head -c 300))"
done
setup_ok

L=$(leader 1 2 3)
ok $? "a leader (node ${L:-none})"
"$LOAD" run --socket "${DIRS[$L]}/dotd.sock" --clients 4 --count 40 \
	--warmup 8 --size 64 --tag t --token-ref >"$TMP/out" 2>"$TMP/err"
ok $? "bench_ledger_load at the leader: its controls refused, 48 puts accepted"
grep -q 'negative control: non-holder tx refused' "$TMP/err"
ok $? "a non-holder's put is refused at the leader"
grep -q 'negative control: forged signature refused (transaction signature is invalid)' "$TMP/err"
ok $? "a put with a forged signature is refused at the leader"
converged 1 2 3
ok $? "the three nodes hold the same ledger index and state hash"
for i in 1 2 3; do
	bad=
	for f in stranger forged; do
		if on "$i" fs stat "/bench-t/$f" "${ADMIN[@]}" >"$TMP/out" 2>"$TMP/err"; then
			bad="$bad /bench-t/$f exists;"
		fi
	done
	on "$i" fs stat /bench-t/f0 "${ADMIN[@]}" >"$TMP/out" 2>"$TMP/err" ||
		bad="$bad /bench-t/f0 is missing;"
	on "$i" fs stat /bench-t/f39 "${ADMIN[@]}" >"$TMP/out" 2>"$TMP/err" ||
		bad="$bad /bench-t/f39 is missing;"
	[ -z "$bad" ]
	ok $? "node $i holds the accepted puts and neither refused one${bad:+:}$bad"
done
nodes_stop_check
finish
