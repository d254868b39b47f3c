#!/usr/bin/env bash
# Makes nats-server >= 2.10 available for cluster mode and its tests, changing nothing else on the system.
#
# Debian 12's own nats-server (2.9.10) must not be used: it lets two publishers racing with the same
# Nats-Expected-Last-Subject-Sequence through on R3 streams, and can stay leaderless after a leader
# kill. Debian 13 (trixie)'s 2.10.x package needs only libc6 >= 2.34, so we fetch that one .deb with a
# private apt configuration (its own sources list, lists and cache under $WORK) and unpack it with
# dpkg-deb -x into $PREFIX: no sources entry, no dpkg database change, no other package touched.
#
# Usage: scripts/install-nats-server.sh            prints the path of a nats-server >= 2.10
# Env:   NATS_PREFIX [/opt/nats-server]            where the package is unpacked
#        NATS_SERVER                                a binary to use as it is (checked, not installed)
set -euo pipefail

PREFIX=${NATS_PREFIX:-/opt/nats-server}
MIN_MINOR=10 # 2.10

# "nats-server: v2.10.27" -> 0 when >= 2.10
version_ok() {
  local v
  v=$("$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9]*\.[0-9][0-9]*\)\..*/\1/p') || return 1
  [ -n "$v" ] || return 1
  local major=${v%%.*} minor=${v#*.}
  [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge "$MIN_MINOR" ]; }
}

for candidate in "${NATS_SERVER:-}" "$PREFIX/usr/sbin/nats-server" "$(command -v nats-server || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && version_ok "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/archives/partial" "$WORK/etc/preferences.d" "$WORK/etc/sources.list.d"
cat >"$WORK/etc/sources.list" <<SOURCES
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SOURCES
APT_OPTS=(
  -o Dir::Etc::sourcelist="$WORK/etc/sources.list"
  -o Dir::Etc::sourceparts="$WORK/etc/sources.list.d"
  -o Dir::Etc::preferencesparts="$WORK/etc/preferences.d"
  -o Dir::State::Lists="$WORK/lists"
  -o Dir::Cache="$WORK/cache"
  -o Dir::Cache::archives="$WORK/archives"
  -o Debug::NoLocking=1
  -o APT::Sandbox::User=root
)
echo "fetching nats-server from Debian trixie into $PREFIX (private apt dirs, nothing else installed)" >&2
apt-get "${APT_OPTS[@]}" -qq update >&2
(cd "$WORK" && apt-get "${APT_OPTS[@]}" -qq download nats-server >&2)
deb=$(ls "$WORK"/nats-server_*.deb)
mkdir -p "$PREFIX"
dpkg-deb -x "$deb" "$PREFIX"
bin="$PREFIX/usr/sbin/nats-server"
if ! version_ok "$bin"; then
  echo "error: $bin from $(basename "$deb") is not nats-server >= 2.$MIN_MINOR ($("$bin" --version 2>&1 || true))" >&2
  exit 1
fi
echo "$bin"
