#!/usr/bin/env bash
# tests/daemon/chan.sh - dot against dotd over TCP, through the secure
# channel (docs/wire-protocol.md), in TAP.
#
#   tests/daemon/chan.sh <path-to-dot> <path-to-dotd> <source-root>
#
# The CLI flow over TCP (status, fs put/cat with frames over one DATA
# message, msg send/recv, audit verify); the node's key remembered on first
# contact; an unknown key refused; a key removed by account set-level
# refused afterwards; a man-in-the-middle relay that flips one byte of the
# node's stream detected, with nothing printed; plain API frames on the TCP
# port answered by nothing but a close.
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
	for p in "${RELAY_PIDS[@]}"; do
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

for k in admin alice bob eve; do
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
err_has "does not know this key" "the refusal says the node does not know it"
err_has "add it to an account's level" "and what to do"
[ ! -s "$TMP/out" ]
ok $? "nothing printed for a refused key"
run 1 "a refused key cannot write either" -- "$DOT" fs put /home/eve \
	"$TMP/small" --as admin@active --key eve
err_has "does not know this key" "refused before any transaction"
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
err_has "does not know this key" "refused as an unknown key"
run 0 "bob's key, now alice's, connects" -- "$DOT" status --key bob

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
