# tests/daemon/nodes.sh - a cluster of dotd processes for the fault tests
# (chaos.sh, partition.sh, tamper.sh), sourced after tests/lib.sh with DOT
# and DOTD set to absolute paths.
#
# Node i has a data directory DIRS[i], a raft address RAFT[i] and an API
# address API[i] (nodes_loopback gives each a free loopback port; a test
# may set them itself, and NS[i] to run the node in a network namespace).
# Its output goes to $TMP/dotd$i.log, every start appended.
#
#   node_start i         start node i, wait for its socket (0: it is up)
#   node_stop i SIGNAL   signal node i (TERM, KILL) and reap it
#   node_alive i         node i's process is running
#   node_death i         why node i, not running, ended (exit, report)
#   nodes_stop_all       TERM every node (the EXIT trap calls it)
#   nodes_stop_check [NODES...]  TERM them (default all), one TAP result:
#                        all were running
#                        and exited 0 (no crash, no sanitizer report)
#   setup_ok             after the cluster is set up: stop here (finish)
#                        if a check failed, since nothing after can pass
#   on i CMD...          dot CMD against node i's Unix socket
#   in_ns i CMD...       CMD in node i's namespace (or here)
#   st i                 "ledger_index state_hash role" of node i
#   leader NODES...      print the node that says it leads (within WAIT s)
#   converged NODES...   the same index and hash on all (within WAIT s; at
#                        once false if one of them is not running)
#   caught_up i INDEX    node i has applied INDEX (within WAIT s; the same)
#   cluster_found        admin key, dot init node 1, start it, wait to lead
#   cluster_join i       invite at the leader, dot node join, start node i,
#                        wait until it has applied its own admission
#   nodes_diag           when a check failed, each node's last log lines as
#                        TAP comments; DOT_TEST_KEEP=DIR keeps a copy of $TMP
#
# It replaces lib.sh's ok with one that keeps a failure's multi-line
# output as TAP comments.
#
# Waits are bounded loops of WAIT seconds (default 90), generous because
# the machine is shared.
ADMIN=(--as admin@active --key admin)

# lib.sh's ok, with every line of a failure's stdout and stderr kept a TAP
# comment (meson refuses lines of a TAP stream that are not TAP)
ok() { # status description
	local status=$1 line
	shift
	n=$((n + 1))
	if [ "$status" -eq 0 ]; then
		results+=("ok $n - $*")
		return
	fi
	failed=$((failed + 1))
	results+=("not ok $n - $*")
	while IFS= read -r line; do
		results+=("# stdout: $line")
	done < <(head -c 600 "$TMP/out" 2>/dev/null)
	while IFS= read -r line; do
		results+=("# stderr: $line")
	done < <(head -c 600 "$TMP/err" 2>/dev/null)
}
declare -a PID RAFT API DIRS NS STOPPED
NODES=${NODES:-3}

free_ports() { # n: n distinct free loopback ports, held together while drawn
	python3 -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

nodes_loopback() {
	local i ports
	read -ra ports <<<"$(free_ports $((2 * NODES)))"
	for i in $(seq 1 "$NODES"); do
		RAFT[$i]=127.0.0.1:${ports[$((2 * i - 2))]}
		API[$i]=127.0.0.1:${ports[$((2 * i - 1))]}
		DIRS[$i]=$TMP/n$i
	done
}

in_ns() { # i cmd...
	local i=$1
	shift
	if [ -n "${NS[$i]:-}" ]; then
		ip netns exec "${NS[$i]}" "$@"
	else
		"$@"
	fi
}

node_start() { # i
	local i=$1 ns=()
	rm -f "${DIRS[$i]}/dotd.sock"
	# ip netns exec execs dotd: $! is dotd's own pid either way
	[ -n "${NS[$i]:-}" ] && ns=(ip netns exec "${NS[$i]}")
	# shellcheck disable=SC2086
	"${ns[@]}" "$DOTD" --dir "${DIRS[$i]}" --raft-addr "${RAFT[$i]}" \
		--listen "${API[$i]}" ${DOTD_ARGS:-} \
		>>"$TMP/dotd$i.log" 2>&1 &
	PID[$i]=$!
	for _ in $(seq 1 300); do
		[ -S "${DIRS[$i]}/dotd.sock" ] && return 0
		kill -0 "${PID[$i]}" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

node_stop() { # i signal: the exit status in STOPPED[i]
	[ -n "${PID[$1]:-}" ] || return 0
	kill "-$2" "${PID[$1]}" 2>/dev/null
	wait "${PID[$1]}" 2>/dev/null
	STOPPED[$1]=$?
	PID[$1]=
}

node_alive() { [ -n "${PID[$1]:-}" ] && kill -0 "${PID[$1]}" 2>/dev/null; }

# node_death i: why node i, found not running, ended: its exit status and
# the sanitizer's report or the last line of its log (one line)
node_death() {
	local rc why
	wait "${PID[$1]}" 2>/dev/null
	rc=$?
	PID[$1]=
	why=$(grep -a -A4 'ERROR: AddressSanitizer' "$TMP/dotd$1.log" | tail -n 5)
	[ -n "$why" ] || why=$(tail -n 1 "$TMP/dotd$1.log")
	printf 'node %s exit %s%s: %s' "$1" "$rc" \
		"$([ "$rc" -gt 128 ] && echo " (signal $((rc - 128)))")" \
		"$(printf '%s' "$why" | tr -s '\n ' '  ' | head -c 300)"
}

nodes_stop_all() {
	local i
	for i in $(seq 1 "$NODES"); do node_stop "$i" TERM; done
}

nodes_stop_check() { # [nodes...]: default all
	local i bad=
	for i in ${@:-$(seq 1 "$NODES")}; do
		if ! node_alive "$i"; then
			bad="$bad not running: $(node_death "$i");"
			continue
		fi
		node_stop "$i" TERM
		[ "${STOPPED[$i]}" = 0 ] ||
			bad="$bad node $i exited ${STOPPED[$i]}: $(tail -n 2 "$TMP/dotd$i.log" | tr '\n' ' ' | head -c 300);"
	done
	[ -z "$bad" ]
	ok $? "every node was running at the end and stops cleanly on SIGTERM${bad:+ (}$bad${bad:+)}"
}

setup_ok() {
	[ "$failed" = 0 ] && return 0
	nodes_diag
	finish
}

on() { # i cmd...: dot against node i's socket
	local i=$1
	shift
	DOT_ADDR="unix:${DIRS[$i]}/dotd.sock" "$DOT" "$@"
}

# dot status --json prints one key a line: read without a python start
st() { # i: "index hash role" of node i
	on "$1" status --json 2>/dev/null | awk -F'"' '
		/"ledger_index":/ { x = $3; gsub(/[^0-9]/, "", x) }
		/"state_hash":/ { h = $4 }
		/"role":/ { r = $4 }
		END { if (x != "" && h != "") print x, h, (r == "" ? "-" : r) }'
}

WAIT=${WAIT:-90}

converged() { # nodes...: the same index and hash on all, within WAIT s
	local want got i same end=$((SECONDS + WAIT))
	while [ "$SECONDS" -lt "$end" ]; do
		for i in "$@"; do node_alive "$i" || return 1; done
		want=
		same=1
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

leader() { # nodes...: the one that says it leads, within WAIT s
	local i end=$((SECONDS + WAIT))
	while [ "$SECONDS" -lt "$end" ]; do
		for i in "$@"; do
			[ "$(st "$i" | cut -d' ' -f3)" = leader ] && { echo "$i"; return 0; }
		done
		sleep 0.2
	done
	return 1
}

caught_up() { # i index: node i has applied the ledger up to index
	local got end=$((SECONDS + WAIT))
	while [ "$SECONDS" -lt "$end" ]; do
		node_alive "$1" || return 1
		got=$(st "$1" | cut -d' ' -f1)
		[ -n "$got" ] && [ "$got" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

cluster_found() { # the admin key, node 1 founded and leading
	"$DOT" key new admin >"$TMP/out" 2>"$TMP/err" </dev/null &&
		"$DOT" init --admin-key admin --dir "${DIRS[1]}" \
			--raft-addr "${RAFT[1]}" --api-addr "${API[1]}" \
			>"$TMP/out" 2>"$TMP/err" </dev/null &&
		node_start 1 && leader 1 >/dev/null
}

cluster_join() { # i: invited at the leader, joined, started
	local i=$1 l inv
	l=$(leader "${!PID[@]}") || return 1
	inv=$(on "$l" node invite "${ADMIN[@]}" --json 2>"$TMP/err" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["invite"])') ||
		return 1
	printf '%s' "$inv" | in_ns "$i" "$DOT" node join --invite - \
		--dir "${DIRS[$i]}" --raft-addr "${RAFT[$i]}" \
		--api-addr "${API[$i]}" >"$TMP/out" 2>"$TMP/err" || return 1
	node_start "$i" || return 1
	# joined once raft has added it and it applied its own admission,
	# and a voter once the leader's configuration counts it as one (the
	# leader promotes it after its catch-up): until then two voters hold
	# the quorum, and a test that kills one would stop the cluster
	caught_up "$i" "$(st "$l" | cut -d' ' -f1)" && voter "$i"
}

voter() { # i: the leader's raft configuration lists node i as a voter
	local i=$1 l id end=$((SECONDS + WAIT))
	id=$(on "$i" status --json 2>/dev/null | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["raft"]["id"])') ||
		return 1
	while [ "$SECONDS" -lt "$end" ]; do
		l=$(leader "${!PID[@]}") &&
			on "$l" status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if int(sys.argv[1]) in d["raft"].get("voters", []) else 1)' \
				"$id" && return 0
		sleep 0.2
	done
	return 1
}

nodes_diag() { # called before finish and on exit
	local i
	if [ -n "${DOT_TEST_KEEP:-}" ]; then
		mkdir -p "$DOT_TEST_KEEP" && cp -a "$TMP/." "$DOT_TEST_KEEP/" 2>/dev/null
	fi
	[ "$failed" -gt 0 ] || return 0
	for i in $(seq 1 "$NODES"); do
		[ -f "$TMP/dotd$i.log" ] || continue
		results+=("# dotd$i.log, last lines:")
		while IFS= read -r line; do
			results+=("#   $line")
		done < <(tail -n 12 "$TMP/dotd$i.log")
	done
}
