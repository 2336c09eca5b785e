#!/usr/bin/env bash
# tests/daemon/audit.sh - dot audit log|prove|verify against one real dotd,
# and tampering found offline, in TAP.
#
#   tests/daemon/audit.sh <path-to-dot> <path-to-dotd> <source-root>
#
# Makes a temporary DOT_DIR (fast key derivation), runs 'dot init', starts
# dotd, writes, then: every record listed and proved; verify trusts the
# node's key on first use, then checks consistency with the checkpoint it
# stored; a wrong pinned --node-key, a changed trusted key, a forged
# equivocating, inconsistent or longer stored checkpoint are alarms (exit 1).
# With dotd stopped: verify --dir passes; one changed byte of a file's
# content in state.db, or of the log, is found and named (exit 1), and dotd
# refuses to start on the changed log.
set -u

DOT=${1:?usage: audit.sh <path-to-dot> <path-to-dotd> <source-root>}
DOTD=${2:?usage: audit.sh <path-to-dot> <path-to-dotd> <source-root>}
SRC=${3:-.}
case $DOT in /*) ;; *) DOT=$PWD/$DOT ;; esac
case $DOTD in /*) ;; *) DOTD=$PWD/$DOTD ;; esac
: "$SRC"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to check --json output and tamper"
	exit 0
fi

TEST_NAME=audit
. "$(dirname "$0")/../lib.sh"

start_dotd() {
	"$DOTD" --dir "$DOT_DIR/node" >>"$TMP/dotd.log" 2>&1 &
	DOTD_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$DOT_DIR/node/dotd.sock" ] && return 0
		kill -0 "$DOTD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop_dotd() {
	kill "$DOTD_PID" 2>/dev/null
	wait "$DOTD_PID" 2>/dev/null
	DOTD_PID=
}

ADMIN=(--as admin@active --key admin)

# ---- usage (no node needed) ----
for c in "audit log" "audit prove" "audit verify"; do
	# shellcheck disable=SC2086
	run 0 "dot $c --help" -- "$DOT" $c --help
	out_has "usage: dot $c" "dot $c --help prints its usage"
	# shellcheck disable=SC2086
	run 2 "dot $c with an unknown option" -- "$DOT" $c --no-such-option
done
run 2 "audit prove without SEQ" -- "$DOT" audit prove
run 2 "audit prove with a bad SEQ" -- "$DOT" audit prove x1
run 2 "audit log --count 0" -- "$DOT" audit log --count 0
run 2 "verify --dir with --node-key" -- "$DOT" audit verify --dir x \
	--node-key a+00000000+AA==
run 2 "verify with a malformed --node-key" -- "$DOT" audit verify \
	--node-key not-a-key
run 2 "verify --dir of a missing directory" -- "$DOT" audit verify \
	--dir "$TMP/none"
err_has "cannot read the data directory" "the error names the directory"
run 0 "dot help audit" -- "$DOT" help audit
out_has "verify" "the audit group lists verify"

# ---- a node with some history ----
# Classic keys: the forgeries below sign as the node with Python's Ed25519
# (cluster3.sh checks a hybrid cluster's cosigned checkpoints, receipts
# and audit verify; test_audit the composite lines byte for byte).
run 0 "key new admin" -- "$DOT" key new admin --suite ed25519
run 0 "key new alice" -- "$DOT" key new alice --suite ed25519
run 0 "init" -- "$DOT" init --admin-key admin --policy classic
run 1 "audit log without a node" -- "$DOT" audit log
err_has "cannot reach the node" "the error says the node is unreachable"
if ! start_dotd; then
	ok 1 "dotd started (log: $(head -c 400 "$TMP/dotd.log"))"
	finish
fi
ok 0 "dotd started and made its socket"

printf 'hello, world\n' >"$TMP/hello.txt"
run 0 "mkdir /home" -- "$DOT" fs mkdir /home "${ADMIN[@]}"
run 0 "put /home/hello.txt" -- "$DOT" fs put /home/hello.txt \
	"$TMP/hello.txt" "${ADMIN[@]}"
run 0 "append to it" -- "$DOT" fs append /home/hello.txt "$TMP/hello.txt" \
	"${ADMIN[@]}"
run 1 "a refused mkdir (it exists) is recorded too" -- "$DOT" fs mkdir \
	/home "${ADMIN[@]}"
run 0 "account create alice" -- "$DOT" account create alice --pubkey alice \
	"${ADMIN[@]}"

# ---- audit log ----
run 0 "audit log --json" -- "$DOT" audit log --json
json_ok "d['ok'] and d['checkpoint']['size'] == 5 and \
len(d['records']) == 5 and [r['seq'] for r in d['records']] == \
list(range(5)) and all(r['proved'] for r in d['records'])" \
	"the log lists 5 records, seq 0..4, each proved"
json_ok "[r['op'] for r in d['records']] == ['fs.mkdir', 'fs.put', \
'fs.append', 'fs.mkdir', 'account.create'] and \
[r['status'] for r in d['records']] == ['ok', 'ok', 'ok', \
'DOT_ESTATE_EXISTS', 'ok'] and \
all(r['authority'] == 'admin@active' for r in d['records'])" \
	"ops, receipt statuses by name, authorities"
json_ok "d['records'][1]['versions'][0]['version'] == 1 and \
d['records'][2]['versions'][0]['version'] == 2 and \
d['records'][3]['versions'] == [] and len(d['records'][0]['tx_id']) == 64 \
and d['records'][0]['entry'] == 2" "new versions, tx ids, ledger entries"
SIZE=$(pyget "d['checkpoint']['size']")
ROOT=$(pyget "d['checkpoint']['root']")
run 0 "audit log (text)" -- "$DOT" audit log
out_has "DOT_ESTATE_EXISTS" "the text log names a refusal's status"
out_has "5 records shown, each proved" "the text log says each is proved"
run 0 "audit log --from 3 --count 1" -- "$DOT" audit log --from 3 \
	--count 1 --json
json_ok "[r['seq'] for r in d['records']] == [3]" "--from and --count"
run 0 "audit log --count 2 (the last two)" -- "$DOT" audit log --count 2 \
	--json
json_ok "[r['seq'] for r in d['records']] == [3, 4]" \
	"--count alone shows the last records"

# ---- audit prove ----
for seq in $(seq 0 $((SIZE - 1))); do
	run 0 "audit prove $seq" -- "$DOT" audit prove "$seq" --json
	json_ok "d['ok'] and d['proved'] and d['record']['seq'] == $seq and \
d['checkpoint']['size'] == $SIZE and d['checkpoint']['root'] == '$ROOT'" \
		"record $seq is proved against the checkpoint"
done
run 0 "audit prove 1 (text)" -- "$DOT" audit prove 1
out_has "proved: record 1 is leaf 1" "prove says proved"
out_has "op:           fs.put" "prove prints the record"
out_has "root:         $ROOT" "prove prints the checkpoint's root"
run 1 "audit prove of a record past the end" -- "$DOT" audit prove 99
err_has "not in the log" "the error says the record is not in the log"

# ---- audit verify: trust on first use, then consistency ----
TRUST=$(find "$DOT_DIR/trust" -type f 2>/dev/null | head -1)
[ -z "$TRUST" ]
ok $? "no key is trusted before the first verify"
run 0 "audit verify (first use)" -- "$DOT" audit verify
out_has "first use: now trusted" "verify says it trusts the key on first use"
TRUST=$(find "$DOT_DIR/trust" -type f | head -1)
[ -n "$TRUST" ] && [ "$(stat -c %a "$TRUST")" = 600 ]
ok $? "the trust file exists, mode 0600"
CPFILE=$(find "$DOT_DIR/checkpoints" -type f | head -1)
[ -n "$CPFILE" ] && [ "$(sed -n 2p "$CPFILE")" = "$SIZE" ]
ok $? "the checkpoint is stored"
run 0 "audit verify --json (the same checkpoint)" -- "$DOT" audit verify \
	--json
json_ok "d['ok'] and d['trust'] == 'trusted' and \
d['consistency'] == 'same' and d['records_checked'] == $SIZE and \
d['findings'] == []" "second verify: trusted key, same checkpoint"
NODE_KEY=$(pyget "d['node_key']")
ORIGIN=$(pyget "d['origin']")
run 0 "audit prove shows the key as trusted" -- "$DOT" audit prove 0 --json
json_ok "d['key_trusted'] is True" "prove knows the key is trusted"
run 0 "another write" -- "$DOT" fs put /home/two.txt "$TMP/hello.txt" \
	"${ADMIN[@]}"
run 0 "audit verify --json after a write" -- "$DOT" audit verify --json \
	--recent 2
json_ok "d['ok'] and d['consistency'] == 'extends' and \
d['previous']['size'] == $SIZE and d['checkpoint']['size'] == $((SIZE + 1)) \
and d['records_checked'] == 2" \
	"the new checkpoint extends the stored one; --recent 2 checks two"
SIZE=$((SIZE + 1))
run 0 "audit verify (text) after it" -- "$DOT" audit verify
out_has "consistency: the same checkpoint as last time" \
	"the text report states the consistency"
out_has "verified:" "the text report ends verified"

# ---- a pinned key ----
FAKE_KEY=$(python3 -c '
import base64, hashlib, sys
name, _, b64 = sys.argv[1].split("+", 2)
raw = base64.b64decode(b64)
new = "evil-node"
kid = hashlib.sha256(new.encode() + b"\n" + raw).digest()[:4].hex()
print(new + "+" + kid + "+" + b64)' "$NODE_KEY")
run 1 "a pinned --node-key that is not the node's is refused" -- \
	"$DOT" audit verify --node-key "$FAKE_KEY"
err_has "ALARM" "the refusal is an alarm"
err_has "not the pinned --node-key" "the alarm names the pinned key"
run 0 "the right --node-key passes" -- "$DOT" audit verify --node-key \
	"$NODE_KEY" --json
json_ok "d['ok'] and d['trust'] == 'pinned'" "pinned and verified"

# ---- the trusted key changes ----
cp "$TRUST" "$TMP/trust.saved"
printf 'origin %s\nkey %s\n' "$ORIGIN" "$FAKE_KEY" >"$TRUST"
run 1 "a node key other than the trusted one is an alarm" -- "$DOT" audit \
	verify --json
json_ok "d['ok'] is False and d['error'] == 'DOT_EAUDIT_KEY' and \
'ALARM' in d['message']" "--json names the alarm"
run 1 "audit log refuses too" -- "$DOT" audit log
err_has "not the key trusted" "log names the trusted key"
run 0 "--node-key re-pins the node's key" -- "$DOT" audit verify \
	--node-key "$NODE_KEY"
out_has "replacing $FAKE_KEY" "the old trusted key is replaced"
cmp -s "$TRUST" "$TMP/trust.saved"
ok $? "the trust file holds the node's key again"
run 0 "plain verify passes again" -- "$DOT" audit verify

# ---- forged stored checkpoints: equivocation, rewrite, rollback ----
forge() { # SIZE ROOT_HEX -> stdout: a checkpoint note signed by the node
	python3 -c '
import base64, hashlib, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import \
    Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
seed = open(sys.argv[1], "rb").read()
origin, size, root, name = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
sk = Ed25519PrivateKey.from_private_bytes(seed)
pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                  serialization.PublicFormat.Raw)
kid = hashlib.sha256(name.encode() + b"\n\x01" + pk).digest()[:4]
text = "%s\n%s\n%s\n" % (origin, size,
                         base64.b64encode(bytes.fromhex(root)).decode())
sig = sk.sign(text.encode())
sys.stdout.write(text + "\n\u2014 " + name + " " +
                 base64.b64encode(kid + sig).decode() + "\n")' \
		"$DOT_DIR/node/node.seed" "$ORIGIN" "$1" "$2" "${NODE_KEY%%+*}"
}
if python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' \
	2>/dev/null; then
	cp "$CPFILE" "$TMP/cp.saved"
	OTHER=$(printf '%064d' 7)
	forge "$SIZE" "$OTHER" >"$CPFILE"
	run 1 "a stored checkpoint of the same size, another root" -- \
		"$DOT" audit verify
	err_has "ALARM: equivocation" "equivocation is an alarm"
	err_has "$(sed -n 3p "$CPFILE")" "both signed notes are printed"
	run 1 "equivocation --json" -- "$DOT" audit verify --json
	json_ok "d['error'] == 'DOT_EAUDIT_EQUIVOCATION' and \
d['previous']['note'] != d['checkpoint']['note']" \
		"--json has the code and both notes"
	forge "$((SIZE - 2))" "$OTHER" >"$CPFILE"
	run 1 "a stored smaller checkpoint the log does not extend" -- \
		"$DOT" audit verify --json
	json_ok "d['error'] == 'DOT_EAUDIT_CONSISTENCY' and \
'not proved to extend' in d['message']" "the rewrite is found"
	forge "$((SIZE + 5))" "$OTHER" >"$CPFILE"
	run 1 "a stored checkpoint larger than the log" -- "$DOT" audit \
		verify
	err_has "rolled back" "a shorter log is an alarm"
	cp "$TMP/cp.saved" "$CPFILE"
	run 0 "with the real checkpoint back, verify passes" -- "$DOT" audit \
		verify
else
	skip "python3 cryptography is not installed: no forged checkpoints"
fi

# ---- offline ----
# Over DOT_STATE_INLINE (3 KiB): stored as chunks, not in its object row.
head -c 100000 /dev/urandom >"$TMP/big.bin"
run 0 "put /home/big.bin (100 kB, two chunks)" -- "$DOT" fs put \
	/home/big.bin "$TMP/big.bin" "${ADMIN[@]}"
SIZE=$((SIZE + 1))
run 0 "audit verify after it (the client keeps the new checkpoint)" -- \
	"$DOT" audit verify
stop_dotd
run 1 "online verify with dotd stopped" -- "$DOT" audit verify
err_has "cannot reach the node" "the error names the node"
run 0 "audit verify --dir (dotd stopped)" -- "$DOT" audit verify \
	--dir "$DOT_DIR/node"
out_has "hash chain intact" "the report checks the log"
out_has "matches the log's replay" "the report checks the state"
run 0 "audit verify --dir --json" -- "$DOT" audit verify --dir \
	"$DOT_DIR/node" --json
json_ok "d['ok'] and d['findings'] == [] and d['records'] == $SIZE" \
	"--json: ok, no findings, the record count"
run 2 "audit verify --dir of a directory without a log" -- "$DOT" audit \
	verify --dir "$TMP"
err_has "cannot read" "the error says what cannot be read"

# Tamper 1: one byte of a small file's content, stored inline in its
# object row in state.db.
cp -r "$DOT_DIR/node" "$TMP/inline-tampered"
python3 - "$TMP/inline-tampered/state.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
content, = db.execute("SELECT content FROM objects WHERE path = ?",
                      ("/home/hello.txt",)).fetchone()
assert content[0] & 0xe0 == 0x40, "small content is an inline byte string"
content = bytearray(content)
content[len(content) // 2] ^= 0x01
db.execute("UPDATE objects SET content = ? WHERE path = ?",
           (bytes(content), "/home/hello.txt"))
db.commit()
EOF
run 1 "a changed byte of a small file's content is found" -- "$DOT" audit \
	verify --dir "$TMP/inline-tampered"
out_has "state: objects: /home/hello.txt" "the report names the file"
err_has "no longer matches" "the summary says it no longer matches"

# Tamper 1b: one byte of a large file's content, in one of its chunks.
cp -r "$DOT_DIR/node" "$TMP/db-tampered"
python3 - "$TMP/db-tampered/state.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
content, = db.execute("SELECT content FROM objects WHERE path = ?",
                      ("/home/big.bin",)).fetchone()
rows = db.execute("SELECT hash, data FROM chunks").fetchall()
h, data = next((h, d) for h, d in rows if h in content)
data = bytearray(data)
data[len(data) // 2] ^= 0x01
db.execute("UPDATE chunks SET data = ? WHERE hash = ?", (bytes(data), h))
db.commit()
EOF
run 1 "a changed byte of a large file's chunk is found" -- "$DOT" audit \
	verify --dir "$TMP/db-tampered"
out_has "state: chunks: chunk" "the report names the table and the chunk"
out_has "(content of /home/big.bin)" "the report names the file"
err_has "no longer matches" "the summary says it no longer matches"
run 1 "the same with --json" -- "$DOT" audit verify --dir \
	"$TMP/db-tampered" --json
json_ok "d['ok'] is False and len(d['findings']) >= 1 and \
all('/home/big.bin' in f for f in d['findings'])" \
	"--json findings name the file"

# Tamper 2: a changed object row (the size of a file).
cp -r "$DOT_DIR/node" "$TMP/obj-tampered"
python3 - "$TMP/obj-tampered/state.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE objects SET size = size + 1 WHERE path = '/home/two.txt'")
db.commit()
EOF
run 1 "a changed object row is found" -- "$DOT" audit verify --dir \
	"$TMP/obj-tampered"
out_has "state: objects: /home/two.txt" "the report names the object"

# Tamper 3: one byte in the middle of the log.
cp -r "$DOT_DIR/node" "$TMP/log-tampered"
rm -f "$TMP/log-tampered/dotd.sock"
python3 - "$TMP/log-tampered/log" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x20
open(p, "wb").write(b)
EOF
run 1 "a changed byte of the log is found" -- "$DOT" audit verify --dir \
	"$TMP/log-tampered"
grep -Eq "log: .*the record at byte [0-9]+ .*damaged or altered" "$TMP/out"
ok $? "the report names the log record's byte offset"
run 1 "dotd refuses to start on the tampered log" -- timeout 20 "$DOTD" \
	--dir "$TMP/log-tampered"
err_has "refusing to start" "dotd says why"

# The untouched directory still verifies, and dotd starts on it again.
run 0 "the original directory still verifies" -- "$DOT" audit verify \
	--dir "$DOT_DIR/node"
if start_dotd; then
	ok 0 "dotd restarts on the original directory"
	run 0 "online verify after the restart" -- "$DOT" audit verify --json
	json_ok "d['ok'] and d['consistency'] == 'same'" \
		"the restarted node's log is the same"
	stop_dotd
else
	ok 1 "dotd restarts on the original directory"
fi

finish
