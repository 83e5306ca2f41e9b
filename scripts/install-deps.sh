#!/usr/bin/env bash
# Installs what uxsv's tests and lab need on a fresh Debian 12 machine (as root):
# Debian packages, then the npm packages, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages: sshd for the SSH tests, rsync/sudo for modules, and the lab's tools
# (debootstrap, systemd-nspawn, the client-side tools the lab tests use), and
# GNU time for the benchmark's start-up figure.
PACKAGES=(
  openssh-server openssh-client rsync sudo cron iproute2 procps
  debootstrap systemd-container socat util-linux iputils-ping iputils-arping
  bind9-dnsutils curl swaks isc-dhcp-client chrony
  time
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # Installing daemons must not start them on this machine (chrony would try to reach the internet).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
mkdir -p /run/sshd

npm ci --no-audit --no-fund
npm run build
