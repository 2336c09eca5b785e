#!/usr/bin/env bash
# tests/daemon/tamper.sh - a node whose database was edited on disk, in a
# three-node cluster, in TAP (issue 6).
#
#   tests/daemon/tamper.sh <path-to-dot> <path-to-dotd>
#
# Three nodes (the founder, two joined by invitation) apply a few writes,
# and dot audit verify passes against each, from a DOT_DIR of its own for
# each node, and from one DOT_DIR for all (every node signs the cluster's
# one log origin with its own key).
# Then, each time with the node stopped and the sqlite3 command:
#
#   - node 3: one file's content is changed in its objects row. Node 3
#     starts again; its state hash must differ from the others' at the same
#     ledger index, and dot audit verify --dir must find the edit on its
#     data directory, by a replay of its ledger table (online, the log is
#     intact and passes);
#   - node 2: one byte of the last ledger record's receipt is flipped. dot
#     audit verify against node 2 must fail and name the record, and its
#     state hash must differ from node 1's.
#
# Nodes 1 and 2 (then node 1) agree throughout, and every node stops
# cleanly at the end.
set -u

DOT=${1:?usage: tamper.sh <path-to-dot> <path-to-dotd>}
DOTD=${2:?usage: tamper.sh <path-to-dot> <path-to-dotd>}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output"
	exit 0
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "1..0 # SKIP the sqlite3 command is needed to edit a database (scripts/deps installs it)"
	exit 0
fi

TEST_NAME=tamper
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/nodes.sh"
trap 'nodes_stop_all; cleanup' EXIT

verify() { # i [options]: dot audit verify against node i, its own DOT_DIR
	local i=$1
	shift
	mkdir -p "$TMP/aud$i"
	DOT_DIR=$TMP/aud$i on "$i" audit verify "$@"
}

nodes_loopback
cluster_found
ok $? "node 1 founds the cluster ($(tr '\n' ' ' <"$TMP/err" | head -c 300))"
run 0 "mkdir /t" -- on 1 fs mkdir /t "${ADMIN[@]}"
for i in 2 3; do
	cluster_join "$i"
	ok $? "node $i joins by invitation ($(tr '\n' ' ' <"$TMP/err" | head -c 300))"
done
printf 'hello world\n' >"$TMP/a"
run 0 "put /t/a" -- on 1 fs put /t/a "$TMP/a" "${ADMIN[@]}"
run 0 "put /t/b" -- on 2 fs put /t/b "$TMP/a" "${ADMIN[@]}"
run 0 "append to /t/b" -- on 3 fs append /t/b "$TMP/a" "${ADMIN[@]}"
converged 1 2 3
ok $? "the three nodes agree"
setup_ok
for i in 1 2 3; do
	run 0 "dot audit verify against node $i (its key trusted on first use)" \
		-- verify "$i"
done
# An operator who audits the whole cluster from one DOT_DIR: each node
# signs with its own key, which a node known already (known_nodes, reached
# over TCP with the operator's key, DOT_KEY) confirms as a member node
# before it is trusted too (decision 0019).
bad=
for i in 1 2 3; do
	DOT_KEY=admin on "$i" audit verify >"$TMP/out" 2>"$TMP/err" </dev/null ||
		bad="$bad node $i: $(grep -o 'ALARM.\{0,100\}' "$TMP/err" | head -1);"
done
[ -z "$bad" ]
ok $? "one DOT_DIR verifies every node of the cluster${bad:+ (}$bad${bad:+)}"

# ---- node 3: a file's content edited in its objects row ----
node_stop 3 TERM
DB=${DIRS[3]}/state.db
CHANGED=$(sqlite3 "$DB" "UPDATE objects SET content = CAST(replace(CAST(content AS TEXT), 'hello', 'HELLO') AS BLOB) WHERE path = '/t/a'; SELECT changes();" 2>&1)
[ "$CHANGED" = 1 ]
ok $? "node 3 stopped; /t/a's content edited in its state.db ($CHANGED row)"
LINES=$(wc -l <"$TMP/dotd3.log")
node_start 3
ok $? "node 3 starts on the edited database"
results+=("# node 3's log at that start: $(tail -n "+$((LINES + 1))" "$TMP/dotd3.log" | tr '\n' ' ' | head -c 400)")
converged 1 2
ok $? "nodes 1 and 2 still agree"
S1=$(st 1 | cut -d' ' -f1-2)
caught_up 3 "${S1%% *}"
S3=$(st 3 | cut -d' ' -f1-2)
[ -n "$S1" ] && [ "${S3%% *}" = "${S1%% *}" ] && [ "${S3#* }" != "${S1#* }" ]
ok $? "the state hash comparison finds node 3's edit: the same ledger index, another hash (node 1: $S1, node 3: $S3)"
results+=("# node 3 serves /t/a as: $(on 3 fs cat /t/a "${ADMIN[@]}" 2>&1 | head -c 100 | tr '\n' ' ')")
# Online, dot audit verify checks the log (its records, proofs and signed
# checkpoints), which this edit left intact; the state tables are checked
# by the state hash (above) and by a replay of the node's ledger (--dir).
run 0 "dot audit verify against node 3: its log is intact" -- verify 3
node_stop 3 TERM
run 1 "dot audit verify --dir on node 3's data directory finds the edit" -- \
	"$DOT" audit verify --dir "${DIRS[3]}"
out_has "state: objects: /t/a" "the report names the edited object"
out_has "cosignatures of member nodes match" "and checked the cosigned roots"
cp -a "${DIRS[1]}" "$TMP/copy1"
rm -f "$TMP/copy1/dotd.sock"
run 0 "dot audit verify --dir on a copy of node 1's data directory passes" -- \
	"$DOT" audit verify --dir "$TMP/copy1"
out_has "state: matches the log's replay" "table by table"
node_start 3
ok $? "node 3 starts again"

# ---- node 2: one byte of the last ledger record's receipt flipped ----
node_stop 2 TERM
DB=${DIRS[2]}/state.db
SEQ=$(sqlite3 "$DB" "SELECT max(seq) FROM ledger")
sqlite3 "$DB" "SELECT writefile('$TMP/receipt', receipt) FROM ledger WHERE seq = $SEQ" >/dev/null
LEN=$(stat -c %s "$TMP/receipt" 2>/dev/null || echo 0)
AT=$((LEN / 2))
B=$(od -An -tu1 -j "$AT" -N 1 "$TMP/receipt" | tr -d ' ')
printf "\\$(printf %03o $((${B:-0} ^ 1)))" |
	dd of="$TMP/receipt" bs=1 seek="$AT" conv=notrunc 2>/dev/null
CHANGED=$(sqlite3 "$DB" "UPDATE ledger SET receipt = readfile('$TMP/receipt') WHERE seq = $SEQ; SELECT changes();" 2>&1)
[ "$LEN" -gt 0 ] && [ "$CHANGED" = 1 ]
ok $? "node 2 stopped; byte $AT of ledger record $SEQ's receipt flipped ($LEN bytes, $CHANGED row)"
node_start 2
ok $? "node 2 starts on the edited database"
leader 1 2 3 >/dev/null
run 1 "dot audit verify against node 2 finds the edited record" -- verify 2
grep -q "record $SEQ" "$TMP/out" "$TMP/err"
ok $? "the report names record $SEQ ($(tr '\n' ' ' <"$TMP/err" | head -c 300))"
S1=$(st 1 | cut -d' ' -f1-2)
caught_up 2 "${S1%% *}"
S2=$(st 2 | cut -d' ' -f1-2)
[ -n "$S1" ] && [ "${S2%% *}" = "${S1%% *}" ] && [ "${S2#* }" != "${S1#* }" ]
ok $? "the state hash comparison finds node 2's edit (node 1: $S1, node 2: $S2)"
node_stop 2 TERM
run 1 "dot audit verify --dir on node 2's data directory finds the edited receipt" -- \
	"$DOT" audit verify --dir "${DIRS[2]}"
out_has "ledger record $SEQ" "naming record $SEQ"
node_start 2
ok $? "node 2 starts again"
run 0 "dot audit verify against node 1 still passes" -- verify 1

nodes_stop_check
nodes_diag
finish
