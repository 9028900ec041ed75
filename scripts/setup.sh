#!/bin/sh
# npm run setup: installs, from Debian's packages, what Firebreak's root-only
# tests and the agent's enforcement need and a fresh machine lacks. As root it
# installs them; otherwise it prints the exact apt line and exits 1. .ci/run
# runs it too, so the list lives here only. chromium is the real browser the
# dashboard's tests drive (test/browser, through playwright-core).
set -eu

need=''
command -v nft >/dev/null 2>&1 || need="$need nftables"
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v iptables-restore >/dev/null 2>&1 || need="$need iptables"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
command -v systemd-analyze >/dev/null 2>&1 || need="$need systemd"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
# Debian keeps initdb off PATH, in /usr/lib/postgresql/<version>/bin (the PostgreSQL store's tests start one)
pg=''
if command -v initdb >/dev/null 2>&1; then pg=yes; fi
for f in /usr/lib/postgresql/*/bin/initdb; do if [ -x "$f" ]; then pg=yes; fi; done
if [ -z "$pg" ]; then need="$need postgresql"; fi

if [ -z "$need" ]; then
  echo "setup: nothing to install (nft, ip, iptables, openssl, systemd-analyze, chromium and PostgreSQL are here)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup: missing:$need. Install them as root: sudo apt-get install -y$need" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing:$need, and there is no apt-get here: install them with this system's package manager" >&2
  exit 1
fi
echo "setup: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq $need >/dev/null
echo "setup: done"
