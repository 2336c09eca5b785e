#!/usr/bin/env bash
# tests/daemon/chan.sh - dot against dotd over TCP, through the secure
# channel (docs/wire-protocol.md), in TAP.
#
#   tests/daemon/chan.sh <path-to-dot> <path-to-dotd> <source-root>
#
# The CLI flow over TCP (status, fs put/cat with frames over one DATA
# message, msg send/recv, audit verify); the node's key remembered on first
# contact; an unknown key refused; a key removed by account set-level
# refused afterwards; an account that expires (decision 0015) connects and
# calls before its expiry, is refused at the handshake after it, and its
# open channel is closed; a man-in-the-middle relay that flips one byte of
# the node's stream detected, with nothing printed; one node, one key
# (decision 0014): an impostor node (the same genesis, its own key) refused
# by the channel and by dot audit when the other store knows the real
# node's key, and records that disagree reported as an ALARM; plain API
# frames on the TCP port answered by nothing but a close.
set -u

DOT=${1:?usage: chan.sh <path-to-dot> <path-to-dotd> <source-root>}
DOTD=${2:?usage: chan.sh <path-to-dot> <path-to-dotd> <source-root>}
SRC=${3:-.}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac
: "$SRC"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed (JSON, the relay)"
	exit 0
fi

TEST_NAME=chan
. "$(dirname "$0")/../lib.sh"

RELAY_PIDS=()
stop_relays() {
	for p in "${RELAY_PIDS[@]}" ${SHELL_PID:-}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	cleanup
}
trap stop_relays EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# A relay on 127.0.0.1:$1 to 127.0.0.1:$2 that flips (xor 1) byte number $3
# of the node-to-client stream of each connection.
cat >"$TMP/relay.py" <<'PY'
import socket, sys, threading
lport, uport, flip = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", lport))
srv.listen(8)
def pump(a, b, tamper):
    seen = 0
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if tamper and seen <= flip < seen + len(d):
                d = bytearray(d)
                d[flip - seen] ^= 1
                d = bytes(d)
            seen += len(d)
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    u = socket.create_connection(("127.0.0.1", uport))
    threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
    pump(u, c, True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

start_relay() { # listen-port upstream-port flip-offset
	python3 "$TMP/relay.py" "$1" "$2" "$3" &
	RELAY_PIDS+=($!)
	for _ in $(seq 1 50); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $1)).close()" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

ADMIN=(--as admin@active --key admin)

for k in admin alice bob eve frank; do
	run 0 "key new $k" -- "$DOT" key new "$k"
done
run 0 "init" -- "$DOT" init --admin-key admin --json
CLUSTER=$(pyget "d['cluster_id']")

PORT=$(free_port)
"$DOTD" --dir "$DOT_DIR/node" --listen "127.0.0.1:$PORT" \
	--handshake-timeout 2 >"$TMP/dotd.log" 2>&1 &
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
ok 0 "dotd started with --listen 127.0.0.1:$PORT"
run 0 "status on the Unix socket needs no key" -- "$DOT" status

# ---- first contact ----
export DOT_ADDR=127.0.0.1:$PORT
run 1 "over TCP without a key" -- "$DOT" status
err_has "needs a key the node knows" "the error asks for --key or DOT_KEY"
run 1 "first contact without the cluster id" -- "$DOT" status --key admin
err_has "DOT_CLUSTER" "the error names DOT_CLUSTER"
export DOT_CLUSTER=$CLUSTER
run 0 "status over TCP (first contact, XX)" -- "$DOT" status --key admin \
	--json
json_ok "d['ok'] and d['admin'] == 'admin' and d['cluster_id'] == '$CLUSTER'" \
	"status --json over the channel"
err_has "remembered in" "first contact says the node's key is remembered"
grep -q "^127.0.0.1:$PORT $CLUSTER [0-9a-f]\{64\}$" "$DOT_DIR/known_nodes"
ok $? "known_nodes holds the address, cluster id and node key"
unset DOT_CLUSTER
run 0 "status again (IK, from known_nodes)" -- "$DOT" --addr \
	"127.0.0.1:$PORT" status --key admin
[ ! -s "$TMP/err" ]
ok $? "nothing said on a known node"

# ---- the CLI flow over TCP ----
run 0 "fs mkdir /home" -- "$DOT" fs mkdir /home "${ADMIN[@]}"
printf 'hello over the channel\n' >"$TMP/small"
run 0 "fs put over TCP" -- "$DOT" fs put /home/small "$TMP/small" \
	"${ADMIN[@]}"
run 0 "fs cat over TCP" -- "$DOT" fs cat /home/small "${ADMIN[@]}"
cmp -s "$TMP/out" "$TMP/small"
ok $? "fs cat returns what was put"
head -c 300000 /dev/urandom >"$TMP/big"
run 0 "fs put of 300 KB (an API frame over several DATA messages)" -- \
	"$DOT" fs put /home/big "$TMP/big" "${ADMIN[@]}"
run 0 "fs cat of 300 KB" -- "$DOT" fs cat /home/big "${ADMIN[@]}"
cmp -s "$TMP/out" "$TMP/big"
ok $? "the 300 KB file comes back byte for byte"
run 0 "account create alice" -- "$DOT" account create alice --pubkey alice \
	"${ADMIN[@]}"
run 0 "msg create" -- "$DOT" msg create /home/inbox "${ADMIN[@]}"
run 0 "msg send over TCP" -- "$DOT" msg send /home/inbox \
	-m "hi over the channel" "${ADMIN[@]}"
run 0 "msg recv over TCP" -- "$DOT" msg recv /home/inbox "${ADMIN[@]}"
out_has "hi over the channel" "the message arrives"
DOT_KEY=admin run 0 "audit verify over TCP (DOT_KEY)" -- "$DOT" audit verify
out_has "verified:" "audit verify succeeds over the channel"

# ---- refusals ----
run 1 "an unknown key is refused" -- "$DOT" status --key eve
err_has "refused key" "the refusal says the node refused the key"
err_has "no account's level holds it" "and why"
err_has "Add it to a level (dot account set-level)" "and what to do"
[ ! -s "$TMP/out" ]
ok $? "nothing printed for a refused key"
run 1 "a refused key cannot write either" -- "$DOT" fs put /home/eve \
	"$TMP/small" --as admin@active --key eve
err_has "refused key" "refused before any transaction"
DOT_ADDR=unix:$DOT_DIR/node/dotd.sock run 1 "nothing from eve reached the ledger" -- \
	"$DOT" fs stat /home/eve "${ADMIN[@]}"

run 0 "alice's key connects" -- "$DOT" status --key alice
run 0 "alice moves her active level to bob" -- "$DOT" account set-level \
	alice active --pubkey bob --as alice@owner --key alice
run 0 "alice's key still connects (it is her owner key)" -- "$DOT" status \
	--key alice
run 0 "alice moves her owner level to bob" -- "$DOT" account set-level \
	alice owner --pubkey bob --as alice@owner --key alice
run 1 "a key removed from every level is refused afterwards" -- "$DOT" \
	status --key alice
err_has "no account's level holds it" "refused as an unknown key"
run 0 "bob's key, now alice's, connects" -- "$DOT" status --key bob

# ---- an account that expires ----
# frank's account expires a few seconds from now: before, its key opens
# channels and calls; once the clock has passed the expiry (polled with
# date, never a fixed sleep), the handshake is refused and an open channel
# is closed by the node.
SHELL_PID=
server_conns() { # established connections on the node's side of $PORT
	python3 - "$PORT" <<'PY'
import sys
port = int(sys.argv[1])
n = 0
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(f).read().splitlines()[1:]
    except OSError:
        continue
    for l in lines:
        x = l.split()
        if int(x[1].split(":")[1], 16) == port and x[3] == "01":
            n += 1
print(n)
PY
}
FRANK_EXP=$(($(date +%s) + 8))
run 0 "account create frank, expiring in 8 s" -- "$DOT" account create \
	frank --pubkey frank --expires "@$FRANK_EXP" "${ADMIN[@]}"
run 0 "frank's key connects before the expiry" -- "$DOT" status --key frank
r1=$RC
run 0 "and frank calls: a signed read as frank@active" -- "$DOT" account \
	show frank --as frank@active --key frank --json
r2=$RC
json_ok "d['expires']['unix'] == $FRANK_EXP" \
	"account show over the channel gives the expiry"
if [ "$r1" -ne 0 ] || [ "$r2" -ne 0 ] && \
	[ "$(date +%s)" -ge "$FRANK_EXP" ]; then
	echo "# the machine took more than 8 s: the checks above may have" \
		"run after the expiry"
fi
# An open channel of frank's: a shell (reading a FIFO) whose cd opened it
# (the node refuses frank the stat of /home, and the channel stays).
mkfifo "$TMP/shell.in"
"$DOT" shell --as frank@active --key frank <"$TMP/shell.in" \
	>"$TMP/shell.out" 2>&1 &
SHELL_PID=$!
exec 7>"$TMP/shell.in"
echo "cd /home" >&7
for _ in $(seq 1 100); do
	[ "$(server_conns)" -ge 1 ] && break
	sleep 0.1
done
[ "$(server_conns)" -ge 1 ]
ok $? "frank's shell holds a channel open"
SHELL_AT=$(date +%s)
while [ "$(date +%s)" -lt "$FRANK_EXP" ]; do
	sleep 0.2
done
run 1 "after the expiry frank's key is refused at the handshake" -- "$DOT" \
	status --key frank
err_has "refused key" "dot says the node refused the key"
err_has "or its account has expired" "and that its account may have expired"
err_has "dot account set-expiry" "and how the admin lifts an expiry"
[ ! -s "$TMP/out" ]
ok $? "nothing printed for the expired account"
run 1 "no call goes through either" -- "$DOT" account show frank \
	--as frank@active --key frank
grep -q "refused a channel for account frank: it expired at $FRANK_EXP" \
	"$TMP/dotd.log"
ok $? "dotd logs the refusal with the account and its expiry"
# The node checks expiries every second. The channel would also end by
# itself, at its first rekey (60 s: the shell, blocked on its input, does
# not answer it) or when idle (180 s), so only a close well before that is
# the expiry's: poll until then.
while [ "$(server_conns)" -ge 1 ] &&
	[ "$(date +%s)" -lt $((SHELL_AT + 50)) ]; do
	sleep 0.2
done
[ "$(server_conns)" -eq 0 ] && [ "$(date +%s)" -lt $((SHELL_AT + 50)) ]
ok $? "the node closed frank's open channel once the account expired"
exec 7>&-
wait "$SHELL_PID" 2>/dev/null
SHELL_PID=
run 0 "the admin clears frank's expiry" -- "$DOT" account set-expiry frank \
	never "${ADMIN[@]}"
run 0 "frank's key connects again" -- "$DOT" status --key frank

# ---- a man in the middle ----
RPORT=$(free_port)
if start_relay "$RPORT" "$PORT" 20; then
	DOT_CLUSTER=$CLUSTER run 1 "a byte flipped in the handshake is detected" \
		-- "$DOT" --addr "127.0.0.1:$RPORT" status --key admin
	err_has "tampered with or is not a Doteros node" "the error says so"
	[ ! -s "$TMP/out" ]
	ok $? "nothing printed"
	! grep -q "^127.0.0.1:$RPORT " "$DOT_DIR/known_nodes"
	ok $? "no key remembered for the relay"
else
	ok 1 "relay started"
fi
RPORT2=$(free_port)
if start_relay "$RPORT2" "$PORT" 400; then
	DOT_CLUSTER=$CLUSTER run 1 "a byte flipped in a response is detected" \
		-- "$DOT" --addr "127.0.0.1:$RPORT2" fs cat /home/big \
		"${ADMIN[@]}"
	err_has "tampered with or is not a Doteros node" "the error says so"
	[ ! -s "$TMP/out" ]
	ok $? "nothing of the tampered answer printed"
else
	ok 1 "relay started"
fi

# ---- one node, one key; a cluster's nodes vouch for each other (0019) ----
# An impostor: the same genesis (so the same cluster id), its own node key.
mkdir -p "$TMP/impostor"
cp "$DOT_DIR/node/genesis" "$TMP/impostor/genesis"
IPORT=$(free_port)
"$DOTD" --dir "$TMP/impostor" --listen "127.0.0.1:$IPORT" \
	>"$TMP/impostor.log" 2>&1 &
RELAY_PIDS+=($!)
for _ in $(seq 1 100); do
	[ -S "$TMP/impostor/dotd.sock" ] && break
	sleep 0.1
done
[ -S "$TMP/impostor/dotd.sock" ]
ok $? "an impostor dotd with the same genesis started"
TRUST=$DOT_DIR/trust/doteros/$CLUSTER
IMP_UNIX=unix:$TMP/impostor/dotd.sock
NODE_UNIX=unix:$DOT_DIR/node/dotd.sock

# The channel first: known_nodes knows the node; no checkpoint key trusted.
# The impostor's key is not the known node's, so that node is asked
# (node.keys, over a channel pinned to its key): it does not list it.
rm -rf "$TRUST" "$DOT_DIR/checkpoints"
DOT_ADDR=$IMP_UNIX run 1 "audit verify of the impostor: refused, the known node does not vouch for its key" -- \
	env DOT_KEY=admin "$DOT" audit verify
err_has "ALARM" "an ALARM"
err_has "no active member node of its cluster" "saying the cluster's node does not list the key"
err_has "127.0.0.1:$PORT" "naming the node that was asked"
[ ! -e "$TRUST" ]
ok $? "the impostor's key is not trusted"
DOT_ADDR=$IMP_UNIX run 1 "without a key to ask the known node: refused too" -- \
	env -u DOT_KEY "$DOT" audit verify
err_has "cannot confirm" "saying the key cannot be confirmed"
err_has "DOT_KEY" "and how to let dot ask"
DOT_ADDR=$IMP_UNIX run 1 "audit verify --json of the impostor" -- \
	env DOT_KEY=admin "$DOT" audit verify --json
json_ok "not d['ok'] and d['error'] == 'DOT_EAUDIT_KEY'" "--json names DOT_EAUDIT_KEY"
IMP_VK=$(pyget "d['node_key']")
DOT_ADDR=$IMP_UNIX run 1 "a pinned --node-key does not make the impostor a node of the cluster" -- \
	env DOT_KEY=admin "$DOT" audit verify --node-key "$IMP_VK"
err_has "ALARM" "an ALARM"
DOT_ADDR=$IMP_UNIX run 1 "audit log of the impostor: refused too" -- \
	env DOT_KEY=admin "$DOT" audit log
err_has "ALARM" "an ALARM"
DOT_ADDR=$NODE_UNIX run 0 "audit verify of the real node: the key the channel knows" -- \
	"$DOT" audit verify --json
json_ok "d['ok'] and d['trust'] == 'channel'" "trust is 'channel' (vouched for by known_nodes)"
[ -s "$TRUST" ]
ok $? "and it is trusted now"

# The checkpoints first: a new address of the cluster must present one of
# the keys trusted for them.
mv "$DOT_DIR/known_nodes" "$TMP/known_nodes.bak"
DOT_CLUSTER=$CLUSTER run 1 "first contact with the impostor: refused" -- \
	"$DOT" --addr "127.0.0.1:$IPORT" status --key admin
err_has "ALARM" "an ALARM"
err_has "not one of those trusted for cluster" \
	"saying it is not a key of the checkpoints"
[ ! -s "$TMP/out" ]
ok $? "nothing printed"
! grep -q "^127.0.0.1:$IPORT " "$DOT_DIR/known_nodes" 2>/dev/null
ok $? "the impostor's key is not remembered"
DOT_CLUSTER=$CLUSTER run 0 "first contact with the real node: its checkpoints' key" -- \
	"$DOT" --addr "127.0.0.1:$PORT" status --key admin
err_has "the keys trusted for its checkpoints" "first contact says the key was trusted already"
grep -q "^127.0.0.1:$PORT $CLUSTER " "$DOT_DIR/known_nodes"
ok $? "and remembers it"
mv "$TMP/known_nodes.bak" "$DOT_DIR/known_nodes"
DOT_CLUSTER=$CLUSTER run 1 "the impostor at a new address, the cluster known: the known node does not vouch for it" -- \
	"$DOT" --addr "127.0.0.1:$IPORT" status --key admin
err_has "ALARM" "an ALARM"
err_has "no active member node of cluster" "saying the cluster's node does not list it"
! grep -q "^127.0.0.1:$IPORT " "$DOT_DIR/known_nodes"
ok $? "the impostor's key is not remembered"

# Records that disagree. A DOT_DIR that met the impostor first (trust on
# first use of a cluster it did not know) and trusts the real node's
# checkpoints: connecting works (known_nodes pins the address), but the
# impostor's log is refused, since no node whose key is trusted vouches
# for its key.
OTHER=$TMP/other
mkdir -p "$OTHER"
DOT_DIR=$OTHER DOT_CLUSTER=$CLUSTER run 0 "another DOT_DIR meets the impostor first" -- \
	"$DOT" --addr "127.0.0.1:$IPORT" status --key "$DOT_DIR/keys/admin.key"
IKEY=$(awk '{print $3}' "$OTHER/known_nodes")
[ "${#IKEY}" = 64 ]
ok $? "its known_nodes holds the impostor's key"
cp "$DOT_DIR/known_nodes" "$TMP/known_nodes.bak"
echo "127.0.0.9:9 $CLUSTER $IKEY" >>"$DOT_DIR/known_nodes"
run 0 "a line of the cluster with another key at another address: the real node's address is still pinned to its key" -- \
	"$DOT" --addr "127.0.0.1:$PORT" status --key admin
cp "$TMP/known_nodes.bak" "$DOT_DIR/known_nodes"
mkdir -p "$OTHER/trust/doteros"
cp "$TRUST" "$OTHER/trust/doteros/"
DOT_DIR=$OTHER run 1 "known_nodes met the impostor, the real node's key is trusted: its log is an ALARM" -- \
	env DOT_KEY="$DOT_DIR/keys/admin.key" "$DOT" --addr "127.0.0.1:$IPORT" audit verify
err_has "ALARM" "an ALARM"
err_has "no node whose key is trusted" "saying no trusted node vouches for the key"
run 0 "the real node still serves this DOT_DIR" -- "$DOT" status --key admin

# ---- plain API frames on the TCP port ----
python3 - "$PORT" >"$TMP/out" 2>"$TMP/err" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
# {1: 1, 2: "status", 3: []} as one plain API frame
body = bytes([0xa3, 0x01, 0x01, 0x02, 0x66]) + b"status" + bytes([0x03, 0x80])
s.sendall(len(body).to_bytes(4, "big") + body)
got = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
except ConnectionResetError:
    pass
print(len(got))
PY
[ "$(cat "$TMP/out")" = 0 ]
ok $? "plain API frames on TCP get nothing but a close"

run 0 "the node still serves over TCP" -- "$DOT" status --key admin
kill -0 "$DOTD_PID" 2>/dev/null
ok $? "dotd is still running"
finish
