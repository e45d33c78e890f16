#!/usr/bin/env bash
# Installs what articled needs to build and test, from Debian 12's packages.
# Idempotent; runs as root (or through sudo when available).
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libmicrohttpd-dev libjansson-dev libsqlite3-dev
  libunistring-dev libxxhash-dev nettle-dev
  libcriterion-dev libcurl4-openssl-dev libyaml-dev curl
  clang libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
