# tests/lib.sh - the TAP helpers of the shell-script tests (cli/run.sh,
# daemon/run.sh, daemon/audit.sh), sourced after they set TEST_NAME (and
# DOT, DOTD as they need).
#
# Makes a temporary directory (removed on exit, and dotd stopped if
# DOTD_PID is set), exports a DOT_DIR with fast key derivation, and defines:
#   ok STATUS DESC          one TAP result
#   skip DESC               one skipped result
#   run RC DESC -- CMD...   run CMD (stdin /dev/null), expect exit RC
#   run_in RC DESC FILE -- CMD...   the same with stdin from FILE
#   pyok EXPR / pyget EXPR  evaluate EXPR on the JSON in $TMP/out (as d)
#   json_ok EXPR DESC, out_has TEXT DESC, err_has TEXT DESC
#   refused CODE DESC -- CMD...     exit 1 and --json names CODE
#   finish                  print the plan and results; exit 0 if all passed
TMP=$(mktemp -d "${TMPDIR:-/tmp}/dot-$TEST_NAME-test.XXXXXX") || exit 1
DOTD_PID=
cleanup() {
	if [ -n "$DOTD_PID" ]; then
		kill "$DOTD_PID" 2>/dev/null
		wait "$DOTD_PID" 2>/dev/null
	fi
	if [ -n "${DOT_TEST_KEEP:-}" ]; then
		echo "# DOT_TEST_KEEP: kept $TMP" >&2
		return
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
export DOT_DIR=$TMP/dotdir DOT_KDF_FAST=1 DOT_PASSPHRASE=correct-horse
export DOT_TIMEOUT=30
unset DOT_ADDR DOT_AGENT_SOCK
cd "$TMP" || exit 1

n=0
failed=0
results=()

ok() { # status description
	local status=$1
	shift
	n=$((n + 1))
	if [ "$status" -eq 0 ]; then
		results+=("ok $n - $*")
	else
		failed=$((failed + 1))
		results+=("not ok $n - $*")
		results+=("# stdout: $(head -c 600 "$TMP/out" 2>/dev/null)")
		results+=("# stderr: $(head -c 600 "$TMP/err" 2>/dev/null)")
	fi
}

# run WANT_RC DESCRIPTION -- COMMAND...: stdout in $TMP/out, stderr in
# $TMP/err, exit code in $RC.
run() {
	local want=$1 desc=$2
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
	[ "$RC" -eq "$want" ]
	ok $? "$desc (exit $want, got $RC)"
}

# Like run, with stdin from a file.
run_in() {
	local want=$1 desc=$2 in=$3
	shift 4
	"$@" >"$TMP/out" 2>"$TMP/err" <"$in"
	RC=$?
	[ "$RC" -eq "$want" ]
	ok $? "$desc (exit $want, got $RC)"
}

pyok() {
	python3 -c '
import base64, json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/out" "$1" 2>>"$TMP/err"
}
pyget() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$TMP/out" "$1"
}
skip() { n=$((n + 1)); results+=("ok $n # SKIP $*"); }
json_ok() { pyok "$1"; ok $? "$2"; }
out_has() { grep -qF -- "$1" "$TMP/out"; ok $? "$2"; }
err_has() { grep -qF -- "$1" "$TMP/err"; ok $? "$2"; }
# refused CODE DESCRIPTION -- COMMAND...: exit 1 and --json names CODE.
refused() {
	local code=$1 desc=$2
	shift 3
	run 1 "$desc" -- "$@" --json
	json_ok "d['ok'] is False and d['error'] == '$code'" \
		"$desc: refused with $code"
}

finish() {
	echo "1..$n"
	printf '%s\n' "${results[@]}"
	[ "$failed" -eq 0 ]
	exit $?
}

