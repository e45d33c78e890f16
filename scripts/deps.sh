#!/usr/bin/env bash
# Installs the Debian 12 packages of the named groups (scripts/packages.sh lists them), those
# not installed yet; idempotent. Runs as root, or through sudo when available.
# Usage: scripts/deps.sh [GROUP...]   groups: build runtime test fuzz bench contract browser container
#                                     (default: build runtime, what scripts/run.sh needs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/packages.sh
. "$here/packages.sh"
[ $# -gt 0 ] || set -- build runtime
wanted=$(articled_packages "$@")

# Installed, or provided by an installed package (a Node.js build that bundles npm provides
# npm, and Debian's npm would conflict with it).
have=$(dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Provides}\n' 2>/dev/null |
    awk -F'|' '$1 ~ /^ii/ {
        print $2
        n = split($3, p, /, */)
        for (i = 1; i <= n; i++) { sub(/ .*/, "", p[i]); if (p[i] != "") print p[i] }
    }' | sort -u)
missing=()
for p in $wanted; do
    grep -qxF "$p" <<<"$have" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "deps: the $(wc -l <<<"$wanted") packages of '$*' are installed"
    exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "deps: not root and no sudo; install them as root: ${missing[*]}" >&2
        exit 1
    }
    SUDO=(sudo)
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q >/dev/null
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
