#!/bin/sh
# tests/cross/run.sh PQTOOL - lib/crypto's ML-DSA-65 and ML-KEM-768 against
# @noble/post-quantum under Node (cross.mjs, driving PQTOOL, the pqtool
# program). Node and the npm module (tests/cross/node_modules) are
# installed by scripts/deps: when either is missing the test fails, unless
# DOT_SKIP_NODE=1, which makes it a TAP skip. PQ_CROSS_N and PQ_CROSS_SEED
# are passed on (cross.mjs).
here=$(cd "$(dirname "$0")" && pwd)
missing=
if ! command -v node >/dev/null 2>&1; then
	missing="node is missing"
elif [ ! -f "$here/node_modules/@noble/post-quantum/package.json" ]; then
	missing="@noble/post-quantum is missing from $here/node_modules"
fi
if [ -n "$missing" ]; then
	if [ "${DOT_SKIP_NODE:-}" = 1 ]; then
		echo "1..0 # SKIP $missing (DOT_SKIP_NODE=1)"
		exit 0
	fi
	echo "1..1"
	echo "not ok 1 - $missing: run scripts/deps (or set DOT_SKIP_NODE=1 to skip)"
	exit 1
fi
exec node "$here/cross.mjs" "$@"
