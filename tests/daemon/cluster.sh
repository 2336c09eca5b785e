#!/usr/bin/env bash
# tests/daemon/cluster.sh - dotd in cluster mode (--raft-addr): the ledger
# through raft on one voter, in TAP.
#
#   tests/daemon/cluster.sh <path-to-dot> <path-to-dotd>
#
# The first start bootstraps a one-voter raft configuration and the leader
# proposes the genesis; writes and reads go through raft and the state;
# a clean restart and 5 SIGKILLs during a stream of writes each come back
# with every acknowledged tx present exactly once and the same state as
# before (nothing applied twice: the state skips the entries raft hands it
# again); a bad --raft-addr is a usage error.
set -u

DOT=${1:?usage: cluster.sh <path-to-dot> <path-to-dotd>}
DOTD=${2:?usage: cluster.sh <path-to-dot> <path-to-dotd>}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output"
	exit 0
fi

TEST_NAME=cluster
. "$(dirname "$0")/../lib.sh"

ADMIN=(--as admin@active --key admin)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
NODE=$DOT_DIR/node

start() { # start dotd in cluster mode and wait for its socket
	"$DOTD" --dir "$NODE" --raft-addr "127.0.0.1:$PORT" \
		>>"$TMP/dotd.log" 2>&1 &
	DOTD_PID=$!
	for _ in $(seq 1 150); do
		[ -S "$NODE/dotd.sock" ] && return 0
		kill -0 "$DOTD_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

stop() { # signal: TERM or KILL
	kill "-$1" "$DOTD_PID" 2>/dev/null
	wait "$DOTD_PID" 2>/dev/null
	DOTD_PID=
	rm -f "$NODE/dotd.sock"
}

state_of() { # the ledger index and state hash, as one line
	"$DOT" status --json >"$TMP/st" 2>/dev/null &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ledger_index"], d["state_hash"])' "$TMP/st"
}

run 0 "key new admin" -- "$DOT" key new admin
run 0 "init" -- "$DOT" init --admin-key admin --raft-addr "127.0.0.1:$PORT"

run 2 "--raft-addr without a port is a usage error" -- "$DOTD" --dir "$NODE" \
	--raft-addr 127.0.0.1
run 2 "--raft-addr with a name is a usage error (no DNS)" -- "$DOTD" --dir \
	"$NODE" --raft-addr localhost:7401

start
ok $? "dotd starts in cluster mode (log: $(head -c 300 "$TMP/dotd.log" | tr '\n' ' '))"
grep -q "bootstrapped a one-voter cluster" "$TMP/dotd.log"
ok $? "the first start bootstraps a one-voter raft configuration"
[ -f "$NODE/raft/metadata1" ] || [ -f "$NODE/raft/metadata2" ]
ok $? "raft keeps its files in DIR/raft"
[ ! -e "$NODE/log" ]
ok $? "no local entry log in cluster mode (raft's log is the log)"

for _ in $(seq 1 100); do
	"$DOT" status --json >"$TMP/out" 2>/dev/null &&
		pyok "d['ledger_index'] >= 1" && break
	sleep 0.1
done
run 0 "status" -- "$DOT" status --json
json_ok "d['ledger_index'] == 1 and d['admin'] == 'admin'" \
	"the leader proposed the genesis: entry 1"

run 0 "mkdir through raft" -- "$DOT" fs mkdir /home "${ADMIN[@]}" --json
json_ok "d['ok'] and d['ledger_index'] == 2" "the receipt names ledger index 2"
printf 'first\n' >"$TMP/a"
run 0 "put through raft" -- "$DOT" fs put /home/a "$TMP/a" "${ADMIN[@]}"
run 0 "read it back" -- "$DOT" fs cat /home/a "${ADMIN[@]}"
out_has "first" "the content is the one written"
run 1 "a refused write still gets its receipt" -- "$DOT" fs mkdir /home \
	"${ADMIN[@]}"
err_has "exists" "the refusal says the object exists"

# Concurrent writers: several entries in flight at once; on one voter no
# proposal is ever lost, and each client gets its own receipt.
writers=()
for w in 1 2 3 4 5 6 7 8; do
	(
		fails=0
		for i in $(seq 1 8); do
			"$DOT" fs put "/home/c$w-$i" "$TMP/a" "${ADMIN[@]}" --json \
				>"$TMP/cw.$w.$i" 2>&1 || fails=$((fails + 1))
			grep -q "\"target\": \"/home/c$w-$i\"" "$TMP/cw.$w.$i" ||
				fails=$((fails + 1))
		done
		echo "$fails" >"$TMP/cw.$w"
	) &
	writers+=($!)
done
wait "${writers[@]}"
fails=$(( $(cat "$TMP"/cw.? | paste -sd+) ))
[ "$fails" = 0 ]
ok $? "8 concurrent writers x 8 puts: every one applied with its own receipt ($fails failed)"

BEFORE=$(state_of)
stop TERM
start
ok $? "restarts after a clean stop"
AFTER=$(state_of)
[ -n "$BEFORE" ] && [ "$BEFORE" = "$AFTER" ]
ok $? "the same ledger index and state hash after the restart ($AFTER)"
run 0 "writes go on after the restart" -- "$DOT" fs put /home/b "$TMP/a" \
	"${ADMIN[@]}" --json
json_ok "d['ok']" "the write after the restart is applied"

# SIGKILL during a stream of writes: every acknowledged write is there once.
acked=()
for round in 1 2 3 4 5; do
	(
		for i in $(seq 1 40); do
			if "$DOT" fs put "/home/k$round-$i" "$TMP/a" "${ADMIN[@]}" \
				>/dev/null 2>&1; then
				echo "/home/k$round-$i"
			fi
		done
	) >"$TMP/acked.$round" &
	writer=$!
	sleep 0.$((RANDOM % 9 + 1))
	stop KILL
	wait "$writer" 2>/dev/null
	start || { ok 1 "restart $round after SIGKILL"; break; }
	while read -r f; do acked+=("$f"); done <"$TMP/acked.$round"
done
ok 0 "5 SIGKILLs during writes, 5 restarts (${#acked[@]} writes acknowledged)"
missing=0
for f in "${acked[@]}"; do
	"$DOT" fs stat "$f" "${ADMIN[@]}" >/dev/null 2>&1 || missing=$((missing + 1))
done
[ "$missing" = 0 ]
ok $? "every acknowledged write is in the ledger after the restarts ($missing missing)"
run 0 "ls /home" -- "$DOT" fs ls /home "${ADMIN[@]}" --json
json_ok "len(d['entries']) >= 2 and len(set(str(e) for e in d['entries'])) == len(d['entries'])" \
	"no object twice"

BEFORE=$(state_of)
stop TERM
start
AFTER=$(state_of)
[ -n "$BEFORE" ] && [ "$BEFORE" = "$AFTER" ]
ok $? "the state after the crashes is stable across one more restart"

stop TERM
finish
