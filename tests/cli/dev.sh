#!/usr/bin/env bash
# tests/cli/dev.sh - dot dev, a local cluster in one command, in TAP.
#
#   tests/cli/dev.sh <path-to-dot> <path-to-dotd>
#
# Starts `dot dev --nodes 3 --dir DIR --json` in the background (dotd found
# beside dot), waits for its one JSON object, checks three nodes under one
# leader at the same ledger index, writes through the environment it
# printed (at the leader, at a follower, over TCP), sees a killed node
# reported, stops it with SIGINT and checks that it exits 0 and leaves no
# dotd behind; then a temporary directory (removed on SIGTERM), a dotd
# that cannot start (a precise error, nothing left), and the refusals.
# Every wait is a loop with a generous bound; nothing is timed.
set -u

DOT=${1:?usage: dev.sh <path-to-dot> <path-to-dotd>}
DOTD=${2:?usage: dev.sh <path-to-dot> <path-to-dotd>}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output"
	exit 0
fi

TEST_NAME=dev
. "$(dirname "$0")/../lib.sh"

DEVPID=
cleanup_dev() {
	# Never leave a cluster behind, even when a check failed.
	if [ -n "$DEVPID" ]; then
		kill -TERM "$DEVPID" 2>/dev/null
		wait "$DEVPID" 2>/dev/null
	fi
}
trap 'cleanup_dev; cleanup' EXIT

# wait_json FILE PID: until FILE holds one whole JSON object (0), or PID
# exits first (1); at most 600 s.
wait_json() {
	for _ in $(seq 1 3000); do
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
			"$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.2
	done
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" \
		2>/dev/null
}

# wait_text FILE TEXT: until FILE contains TEXT, at most 120 s.
wait_text() {
	for _ in $(seq 1 600); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# wait_exit PID: wait for our background job, its exit status in $RC.
wait_exit() {
	wait "$1"
	RC=$?
}

# alive PID...: how many of them still run.
alive() {
	local n=0
	for p in "$@"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
	echo "$n"
}

# dotds DIR: how many processes name DIR/nodeK in their arguments (the
# bracket keeps grep itself from matching).
dotds() {
	grep -lsaE -- "$1/node[1-7]" /proc/[0-9]*/cmdline | wc -l
}

# ---- help and refusals ----
run 0 "dot dev --help" -- "$DOT" dev --help
out_has "usage: dot dev" "the help names the command"
out_has "--nodes N" "the help names --nodes"
run 0 "dot help dev" -- "$DOT" help dev
run 0 "dot help lists dev" -- "$DOT" help
out_has "dot dev" "dot help names dot dev"
run 2 "--nodes 0 is a usage error" -- "$DOT" dev --nodes 0
err_has "from 1 to 7" "--nodes 0: the range is named"
run 2 "--nodes 8 is a usage error" -- "$DOT" dev --nodes 8
run 2 "--nodes x is a usage error" -- "$DOT" dev --nodes x
run 2 "an unexpected argument" -- "$DOT" dev extra
run 2 "an unknown option" -- "$DOT" dev --no-such-option
mkdir -p "$TMP/full"
echo keep >"$TMP/full/mine"
run 1 "a non-empty --dir is refused" -- "$DOT" dev --dir "$TMP/full"
err_has "is not empty" "the refusal says the directory is not empty"
[ "$(ls -A "$TMP/full")" = mine ] && [ "$(cat "$TMP/full/mine")" = keep ]
ok $? "the non-empty directory is left as it was"
refused DOT_EINVAL "a non-empty --dir, with --json" -- "$DOT" dev \
	--dir "$TMP/full"
run 1 "a --dir that is a file is refused" -- "$DOT" dev --dir "$TMP/full/mine"
err_has "not a directory" "the refusal says it is not a directory"
run 1 "a --dotd that is not a program is refused" -- "$DOT" dev \
	--dotd "$TMP/full/mine" --dir "$TMP/unused"
err_has "not an executable" "the refusal names --dotd"
[ ! -e "$TMP/unused" ]
ok $? "nothing was made before the refusal"

# ---- three nodes in DIR ----
DIR=$TMP/dev
"$DOT" dev --nodes 3 --dir "$DIR" --json >"$TMP/dev.out" 2>"$TMP/dev.err" \
	</dev/null &
DEVPID=$!
wait_json "$TMP/dev.out" "$DEVPID"
ok $? "dot dev prints one JSON object once the cluster is up ($(tail -c 400 "$TMP/dev.err" | tr '\n' ' '))"
cp "$TMP/dev.out" "$TMP/out"
json_ok "d['ok'] is True and d['dir'] == '$DIR' and not d['temporary']" \
	"the object names the directory, kept"
json_ok "len(d['nodes']) == 3" "three nodes"
json_ok "sorted(n['role'] for n in d['nodes']) == ['follower', 'follower', 'leader']" \
	"one leader, two followers"
json_ok "all(n['ledger_role'] == 'voter' for n in d['nodes'])" \
	"every node joined as a voter"
json_ok "d['ledger_index'] > 0 and all(n['ledger_index'] == d['ledger_index'] for n in d['nodes'])" \
	"every node holds the same ledger index"
json_ok "len(set([n['raft_addr'] for n in d['nodes']] + [n['api_addr'] for n in d['nodes']])) == 6" \
	"six distinct loopback addresses"
json_ok "all(n['raft_addr'].startswith('127.0.0.1:') and n['api_addr'].startswith('127.0.0.1:') for n in d['nodes'])" \
	"all on loopback"
json_ok "d['env']['DOT_DIR'] == '$DIR' and d['env']['DOT_ADDR'] == 'unix:$DIR/node1/dotd.sock'" \
	"the environment points at DIR and node 1's socket"
json_ok "d['admin_key'].startswith('dotpk1') and d['as'] == 'admin@active'" \
	"the admin identity is named"
PIDS=$(pyget "' '.join(str(n['pid']) for n in d['nodes'])")
API1=$(pyget "d['nodes'][0]['api_addr']")
SOCK2=$(pyget "d['nodes'][1]['socket']")
SOCK3=$(pyget "d['nodes'][2]['socket']")
# the leader, and the two others
L=$(pyget "[n['node'] for n in d['nodes'] if n['role'] == 'leader'][0]")
LPID=$(pyget "[n['pid'] for n in d['nodes'] if n['role'] == 'leader'][0]")
OTHERS=$(pyget "' '.join(str(n['node']) for n in d['nodes'] if n['role'] != 'leader')")
# shellcheck disable=SC2086
[ "$(alive $PIDS)" = 3 ]
ok $? "the three dotd processes run ($PIDS)"
[ -f "$DIR/env" ] && [ "$(stat -c %a "$DIR/env")" = 600 ] &&
	[ "$(stat -c %a "$DIR/passphrase")" = 600 ] &&
	[ "$(stat -c %a "$DIR/keys/admin.key")" = 600 ]
ok $? "DIR/env, DIR/passphrase and the key file are mode 0600"

# Each node, asked on its own socket, is of the same cluster.
CID=$(pyget "d['cluster_id']")
same=0
for i in 1 2 3; do
	DOT_ADDR=unix:$DIR/node$i/dotd.sock "$DOT" status --json >"$TMP/out" \
		2>"$TMP/err" || break
	pyok "d['cluster_id'] == '$CID' and d['raft']['role'] in ('leader', 'follower')" ||
		break
	same=$((same + 1))
done
[ "$same" = 3 ]
ok $? "dot status on each node's socket names the same cluster"

# Write through the environment dot dev printed (DIR/env).
(
	. "$DIR/env"
	"$DOT" fs mkdir /home --as admin@active --key admin &&
		printf 'hello from dev\n' |
		"$DOT" fs put /home/hello --as admin@active --key admin
) >"$TMP/out" 2>"$TMP/err"
ok $? "a write through the printed environment (at node 1)"
(
	. "$DIR/env"
	printf 'via a follower\n' |
		DOT_ADDR=$SOCK2 "$DOT" fs put /home/f2 --as admin@active --key admin
) >"$TMP/out" 2>"$TMP/err"
ok $? "a write at a follower (forwarded to the leader)"
got=
for _ in $(seq 1 300); do
	got=$(. "$DIR/env"; DOT_ADDR=$SOCK3 "$DOT" fs cat /home/f2 \
		--as admin@active --key admin 2>/dev/null)
	[ "$got" = "via a follower" ] && break
	sleep 0.2
done
[ "$got" = "via a follower" ]
ok $? "node 3 applied the follower's write"
(
	. "$DIR/env"
	"$DOT" --addr "$API1" fs cat /home/hello --as admin@active --key admin
) >"$TMP/out" 2>"$TMP/err"
out_has "hello from dev" "node 1 over TCP (the secure channel) with DOT_KEY and DOT_CLUSTER"

# The leader dies: it is reported, not restarted, and the other two (both
# voters) elect a leader.
kill -KILL "$LPID"
wait_text "$TMP/dev.err" "node $L (dotd, pid $LPID) was killed by signal 9"
ok $? "dot dev reports the node that died (node $L, the leader)"
kill -0 "$DEVPID" 2>/dev/null
ok $? "and goes on supervising the others"
new=
for _ in $(seq 1 300); do
	for i in $OTHERS; do
		DOT_ADDR=unix:$DIR/node$i/dotd.sock "$DOT" status --json \
			>"$TMP/out" 2>/dev/null &&
			pyok "d['raft']['role'] == 'leader'" && new=$i
	done
	[ -n "$new" ] && break
	sleep 0.2
done
[ -n "$new" ]
ok $? "the two others elect a leader (node ${new:-none}): they are voters"

# Ctrl-C: every node stopped, exit 0, DIR kept.
kill -INT "$DEVPID"
wait_exit "$DEVPID"
DEVPID=
[ "$RC" = 0 ]
ok $? "dot dev exits 0 on SIGINT (got $RC; $(tail -c 300 "$TMP/dev.err" | tr '\n' ' '))"
# shellcheck disable=SC2086
[ "$(alive $PIDS)" = 0 ]
ok $? "none of its dotd processes remains"
[ "$(dotds "$DIR")" = 0 ]
ok $? "no dotd on DIR remains"
grep -q "SIGINT: stopping 2 nodes" "$TMP/dev.err"
ok $? "it said it stopped the two nodes left"
[ -d "$DIR/node1" ] && [ -f "$DIR/node1.log" ] && [ -f "$DIR/dev.log" ]
ok $? "DIR is kept, with the nodes' data and logs"
gone=0
for i in $OTHERS; do [ -S "$DIR/node$i/dotd.sock" ] || gone=$((gone + 1)); done
[ "$gone" = 2 ]
ok $? "nodes $OTHERS stopped cleanly (their sockets are gone)"

# ---- one node in a temporary directory, SIGTERM ----
mkdir -p "$TMP/tmpd"
TMPDIR=$TMP/tmpd "$DOT" dev --nodes 1 --json >"$TMP/dev1.out" \
	2>"$TMP/dev1.err" </dev/null &
DEVPID=$!
wait_json "$TMP/dev1.out" "$DEVPID"
ok $? "dot dev --nodes 1 is up ($(tail -c 300 "$TMP/dev1.err" | tr '\n' ' '))"
cp "$TMP/dev1.out" "$TMP/out"
json_ok "d['temporary'] and d['dir'].startswith('$TMP/tmpd/dot-dev.') and len(d['nodes']) == 1 and d['nodes'][0]['role'] == 'leader'" \
	"a temporary directory under TMPDIR, one node that leads"
TDIR=$(pyget "d['dir']")
TPID=$(pyget "d['nodes'][0]['pid']")
kill -TERM "$DEVPID"
wait_exit "$DEVPID"
DEVPID=
[ "$RC" = 0 ]
ok $? "dot dev exits 0 on SIGTERM (got $RC)"
[ "$(alive "$TPID")" = 0 ] && [ "$(dotds "$TDIR")" = 0 ]
ok $? "its dotd is gone"
[ ! -e "$TDIR" ]
ok $? "the temporary directory is removed"

# ---- a node that ignores SIGTERM: killed after 10 s, nothing left ----
{
	echo '#!/bin/sh'
	echo '# dotd under a shell that ignores SIGTERM (dot dev signals the shell)'
	echo "trap '' TERM"
	echo "'$DOTD' \"\$@\""
} >"$TMP/stubborn-dotd"
chmod +x "$TMP/stubborn-dotd"
TMPDIR=$TMP/tmpd "$DOT" dev --nodes 1 --dotd "$TMP/stubborn-dotd" --json \
	>"$TMP/dev2.out" 2>"$TMP/dev2.err" </dev/null &
DEVPID=$!
wait_json "$TMP/dev2.out" "$DEVPID"
ok $? "dot dev is up with a dotd that ignores SIGTERM ($(tail -c 300 "$TMP/dev2.err" | tr '\n' ' '))"
cp "$TMP/dev2.out" "$TMP/out"
TDIR=$(pyget "d['dir']")
kill -INT "$DEVPID"
wait_exit "$DEVPID"
DEVPID=
[ "$RC" = 0 ]
ok $? "dot dev exits 0 (got $RC)"
grep -q "did not stop within 10 s: SIGKILL" "$TMP/dev2.err"
ok $? "it said it killed the node that would not stop"
[ "$(dotds "$TDIR")" = 0 ] && [ ! -e "$TDIR" ]
ok $? "no process of the node is left (its process group was killed)"

# ---- a dotd that cannot start: a precise error, nothing left ----
run 1 "a dotd that exits at once" -- env TMPDIR="$TMP/tmpd" "$DOT" dev \
	--nodes 2 --dotd "$(type -P false)"
err_has "node 1: dotd" "the error names node 1's dotd"
err_has "exited with status 1" "and how it exited"
[ -z "$(ls -A "$TMP/tmpd")" ]
ok $? "the temporary directory is removed after the failure"
run 1 "the same with --json" -- env TMPDIR="$TMP/tmpd" "$DOT" dev \
	--nodes 2 --dotd "$(type -P false)" --json
json_ok "d['ok'] is False and d['node'] == 1 and d['log'].endswith('/node1.log')" \
	"the JSON error names the node and its log"

finish
