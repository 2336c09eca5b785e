#!/bin/sh
# tests/interop/run.sh PEER - the Noise interoperability test (noise.mjs)
# with PEER, the noise_peer program; a TAP skip when Node or the npm modules
# (tests/interop/node_modules, installed by scripts/deps) are missing.
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
	echo "1..0 # SKIP node is missing (scripts/deps installs it)"
	exit 0
fi
exec node "$here/noise.mjs" "$@"
