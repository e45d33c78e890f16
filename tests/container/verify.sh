#!/usr/bin/env bash
# Verifies the Dockerfile on a machine without a Docker engine or an image registry:
#   1. installs debootstrap + podman from Debian (skips, exit 0, when that is impossible);
#   2. builds debian:bookworm-slim itself (debootstrap --variant=minbase, cached) and
#      imports it under the name the Dockerfile's FROM lines use;
#   3. builds the Dockerfile with podman (chroot isolation, no engine, no pulls) from a
#      clean copy of the tracked files, with some build junk planted to check .dockerignore;
#   4. exports the image and checks its metadata (USER, EXPOSE, VOLUME, ENV, HEALTHCHECK, CMD)
#      and its files (binary's libraries present, no compiler, /data owned by the user);
#   5. runs the exported filesystem with chroot as the image's user, its ENV and CMD
#      (podman run cannot set rlimits here), in a network namespace of its own: without a
#      key file it refuses to start, and with ARTICLED_API_KEY_FILE empty it refuses too
#      unless ARTICLED_ALLOW_OPEN_API=on; with a key file mounted on
#      /run/secrets/articled-keys: /healthz, the image's HEALTHCHECK command inside the
#      chroot, keys required, one article POSTed, read back and searched, SIGTERM -> exit 0,
#      the database on /data, and the article still there after a restart;
#   6. prints "container: ok".
# Needs root. Bounded: the whole script runs under `timeout` (ARTICLED_CONTAINER_TIMEOUT,
# default 1200 s).
#
# Environment:
#   ARTICLED_CONTAINER_SRC=HEAD|worktree  what to build: the commit HEAD (git archive,
#                                         default) or the tracked files as they are now
#   ARTICLED_CONTAINER_REFRESH=1          rebuild the cached debootstrap base
#   ARTICLED_CONTAINER_MIRROR=URL         Debian mirror (default http://deb.debian.org/debian)
#   ARTICLED_CONTAINER_KEEP=1             keep the work directory (logs, rootfs) afterwards
set -euo pipefail

limit=${ARTICLED_CONTAINER_TIMEOUT:-1200}
if [ -z "${ARTICLED_CONTAINER_INNER:-}" ]; then
  export ARTICLED_CONTAINER_INNER=1
  rc=0
  timeout --kill-after=30 "$limit" bash "$0" "$@" || rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "container: FAILED (timed out after ${limit}s)" >&2
  fi
  exit "$rc"
fi

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=/var/cache/articled-container
mirror=${ARTICLED_CONTAINER_MIRROR:-http://deb.debian.org/debian}
src_mode=${ARTICLED_CONTAINER_SRC:-HEAD}
image=localhost/articled:test
base_names=(docker.io/library/debian:bookworm-slim)   # what `FROM debian:bookworm-slim` resolves to

skip() { echo "container: skipped ($*)"; exit 0; }
fail() { echo "container: FAILED ($*)" >&2; exit 1; }
say() { echo "== container: $*"; }

# ---- timings ---------------------------------------------------------------------------
declare -a timings=()
t_start=0
step() { t_start=$(date +%s.%N); say "$*"; step_name=$*; }
done_step() {
  local t; t=$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  timings+=("$(printf '%-46s %7ss' "$step_name" "$t")")
}

# ---- 1. prerequisites ------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root: debootstrap, chroot and mounts"
[ "$(uname -m)" = x86_64 ] || [ "$(uname -m)" = aarch64 ] || skip "untested architecture $(uname -m)"

step "install debootstrap, podman"
# shellcheck source=scripts/packages.sh
. "$repo/scripts/packages.sh"
mapfile -t packages < <(articled_packages container)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || skip "no apt-get to install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! timeout 300 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    timeout 300 apt-get update -q >/dev/null 2>&1 || true
    timeout 300 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || skip "cannot install ${missing[*]} with apt-get"
  fi
fi
for c in podman debootstrap jq curl unshare chroot nsenter ip; do
  command -v "$c" >/dev/null || skip "$c not available after installing"
done
done_step

# The build stage installs its compilers from Debian's mirror; without it nothing can be built.
curl -fsS -m 30 -o /dev/null "$mirror/dists/bookworm/Release" \
  || skip "Debian mirror $mirror unreachable (the image build needs it)"

pmcmd=(podman --cgroup-manager=cgroupfs --events-backend=file)
pm() { "${pmcmd[@]}" "$@"; }
pm info >/dev/null 2>&1 || skip "podman does not work here: $(pm info 2>&1 | tail -1)"

mkdir -p "$cache"
exec 9>"$cache/lock"
flock -w 900 9 || fail "another run holds $cache/lock"

work=$(mktemp -d /tmp/articled-container.XXXXXX)
logs=$work/logs
mkdir -p "$logs"
server_pid=""
container=""
stage=""

cleanup() {
  local rc=$?
  set +e
  if [ -n "$server_pid" ] && [ -e "/proc/$server_pid" ]; then
    kill -KILL "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
  fi
  [ -z "$container" ] || pm rm -f "$container" >/dev/null 2>&1
  [ -z "$stage" ] || pm image unmount localhost/articled:test-build >/dev/null 2>&1
  # The mounts live in the server's private mount namespace and went with it; this only
  # catches anything left behind in ours.
  grep -F " $work/" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l
  if [ "$rc" -ne 0 ] && [ -d "$logs" ]; then
    mkdir -p "$cache/last-failure" && rm -rf "$cache/last-failure"/* && cp -a "$logs"/. "$cache/last-failure/"
    echo "container: logs of the failed run in $cache/last-failure/" >&2
  fi
  if [ "${ARTICLED_CONTAINER_KEEP:-}" = 1 ]; then
    echo "container: work directory kept: $work" >&2
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "container: stopped by a signal" >&2; exit 124' TERM INT

# ---- 2. base image: debian:bookworm-slim, made by debootstrap ---------------------------
# Makes a debootstrapped tree look like the official slim image (what debuerreotype does):
# deb822 sources for bookworm, its updates and security suites, brought up to date with
# them; its apt and dpkg configuration (apt deletes downloaded packages and its caches after
# each run and fetches no translations; dpkg leaves out docs but copyrights, man pages,
# info, locales); no package lists, resolv.conf or hostname.
like_official_slim_image() {
  local r=$1
  case "$r" in "$work"/?*) ;; *) fail "refusing to modify $r: not under $work" ;; esac
  [ -x "$r/usr/bin/apt-get" ] || fail "$r is not a debootstrapped tree"
  rm -f "$r/etc/apt/sources.list"
  printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
    'Suites: bookworm bookworm-updates' 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' '' \
    'Types: deb' 'URIs: http://deb.debian.org/debian-security' 'Suites: bookworm-security' \
    'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
    >"$r/etc/apt/sources.list.d/debian.sources"
  local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
  printf '%s\n' "DPkg::Post-Invoke { $clean };" "APT::Update::Post-Invoke { $clean };" \
    'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"$r/etc/apt/apt.conf.d/docker-clean"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'Acquire::GzipIndexes "true";' >"$r/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
  echo 'force-unsafe-io' >"$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/lintian/overrides/*' \
    'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/man/*' \
    >"$r/etc/dpkg/dpkg.cfg.d/docker"
  if ! timeout 600 unshare --mount --propagation private chroot "$r" /bin/sh -c '
         set -e; mount -t proc proc /proc; export DEBIAN_FRONTEND=noninteractive
         apt-get update -q; apt-get upgrade -y -q' >>"$logs/debootstrap.log" 2>&1; then
    tail -20 "$logs/debootstrap.log" >&2
    skip "apt-get upgrade of the debootstrapped base failed (see above)"
  fi
  find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  local d
  for d in groff info linda lintian/overrides locale man; do
    [ ! -d "$r/usr/share/$d" ] || find "$r/usr/share/$d" -mindepth 1 -delete
  done
  rm -f "$r/etc/resolv.conf" "$r/etc/hostname" "$r/var/log/bootstrap.log"
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
  mkdir -p "$r/var/lib/apt/lists/partial"
}

# v2: like_official_slim_image; bump when the recipe of the base changes.
base_tar=$cache/bookworm-minbase-v2-$(dpkg --print-architecture).tar
if [ "${ARTICLED_CONTAINER_REFRESH:-}" = 1 ] || [ ! -s "$base_tar" ] \
   || [ -n "$(find "$base_tar" -mtime +30 2>/dev/null)" ]; then
  step "debootstrap minbase bookworm"
  rootfs=$work/base
  if ! timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$logs/debootstrap.log" 2>&1; then
    tail -20 "$logs/debootstrap.log" >&2
    skip "debootstrap of bookworm from $mirror failed (see above)"
  fi
  like_official_slim_image "$rootfs"
  tar --numeric-owner -C "$rootfs" -cf "$base_tar.tmp" .
  mv "$base_tar.tmp" "$base_tar"
  find "$cache" -maxdepth 1 -name 'bookworm-minbase-*.tar' ! -path "$base_tar" -delete
  rm -rf --one-file-system "$rootfs"
  rm -f "$cache/base.id"
  done_step
else
  say "debootstrap base cached: $base_tar ($(date -r "$base_tar" +%F))"
fi

base_id=""
for n in "${base_names[@]}"; do
  id=$(pm image inspect --format '{{.Id}}' "$n" 2>/dev/null || true)
  if [ -z "$id" ] || [ "$id" != "$(cat "$cache/base.id" 2>/dev/null)" ]; then base_id=""; break; fi
  base_id=$id
done
if [ -z "$base_id" ]; then
  step "podman import base as debian:bookworm-slim"
  base_id=$(pm import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' "$base_tar" "${base_names[0]}" 2>"$logs/import.log" | tail -1) \
    || { cat "$logs/import.log" >&2; fail "podman import of the base"; }
  for n in "${base_names[@]:1}"; do pm tag "$base_id" "$n"; done
  base_id=$(pm image inspect --format '{{.Id}}' "${base_names[0]}")
  echo "$base_id" >"$cache/base.id"
  done_step
else
  say "base image already imported: ${base_names[*]} (${base_id:0:12})"
fi

# ---- 3. build the Dockerfile --------------------------------------------------------------
step "prepare build context"
ctx=$work/context
mkdir -p "$ctx"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  case "$src_mode" in
    HEAD) git -C "$repo" archive --format=tar HEAD | tar -C "$ctx" -xf - ;;
    worktree) # tracked files as they are now; ones deleted in the working tree are left out
      (cd "$repo" && git ls-files -z | while IFS= read -r -d '' f; do
         if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
       done | tar --null --no-recursion -T - -cf - | tar -C "$ctx" -xf -) ;;
    *) fail "ARTICLED_CONTAINER_SRC must be HEAD or worktree, not $src_mode" ;;
  esac
  src_desc="$src_mode $(git -C "$repo" rev-parse --short HEAD)"
else
  tar -C "$repo" -cf - . | tar -C "$ctx" -xf -
  src_desc="directory $repo (not a git checkout)"
fi
[ -f "$ctx/Dockerfile" ] || fail "no Dockerfile in $src_desc"
# What a developer's tree holds besides the tracked files; .dockerignore must keep it out.
mkdir -p "$ctx/build/CMakeFiles" "$ctx/build-asan" "$ctx/.git" "$ctx/bench/out"
echo junk >"$ctx/build/CMakeCache.txt"
echo junk >"$ctx/build-asan/articled"
echo junk >"$ctx/.git/HEAD"
echo junk >"$ctx/articled.db"
echo junk >"$ctx/articled.db-wal"
echo junk >"$ctx/data/left-over.db"
echo junk >"$ctx/bench/out/figures.jsonl"
done_step

step "podman build (chroot isolation)"
old_image=$(pm image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
build=("${pmcmd[@]}" build --isolation=chroot --format docker --pull=never --layers -f "$ctx/Dockerfile")
if ! timeout 1000 "${build[@]}" -t "$image" "$ctx" >"$logs/build.log" 2>&1; then
  echo "---- last lines of the build log ($logs/build.log)" >&2
  tail -40 "$logs/build.log" >&2
  fail "podman build of the Dockerfile ($src_desc)"
fi
if grep -qi 'HEALTHCHECK is not supported' "$logs/build.log"; then
  fail "HEALTHCHECK dropped by the image format"
fi
new_image=$(pm image inspect --format '{{.Id}}' "$image")
if [ -n "$old_image" ] && [ "$old_image" != "$new_image" ]; then
  pm rmi "$old_image" >/dev/null 2>&1 || true
fi
done_step

# The build stage (from the layer cache): its /src is the context after .dockerignore.
# The tag stays: removing it would drop the build stage's cached layers with it.
step "check the build context (.dockerignore)"
old_stage=$(pm image inspect --format '{{.Id}}' localhost/articled:test-build 2>/dev/null || true)
timeout 600 "${build[@]}" --target build -t localhost/articled:test-build "$ctx" >"$logs/build-stage.log" 2>&1 \
  || { tail -20 "$logs/build-stage.log" >&2; fail "podman build --target build"; }
if [ -n "$old_stage" ] && [ "$old_stage" != "$(pm image inspect --format '{{.Id}}' localhost/articled:test-build)" ]; then
  pm rmi "$old_stage" >/dev/null 2>&1 || true   # the previous run's build stage, now untagged
fi
stage=$(pm image mount localhost/articled:test-build)
[ -d "$stage/src" ] || fail "no /src in the build stage"
(cd "$stage/src" && find . -mindepth 1 \( -type d -printf '%P/\n' -o -printf '%P\n' \)) | sort >"$logs/context-files.txt"
pm image unmount localhost/articled:test-build >/dev/null; stage=""
for junk in build/CMakeCache.txt build-asan/articled .git/HEAD articled.db articled.db-wal \
            data/left-over.db bench/out/figures.jsonl; do
  if grep -qxF "$junk" "$logs/context-files.txt"; then fail ".dockerignore lets $junk into the build context"; fi
done
needed=(CMakeLists.txt cmake/embed.cmake openapi.yaml data/embed.cmake server/main.c)
while read -r f; do needed+=("$f"); done < <(cd "$ctx" && sed -n 's/^articled_embed([A-Z_]* \([^ ]*\) .*/\1/p' data/embed.cmake)
for f in "${needed[@]}"; do
  grep -qxF "$f" "$logs/context-files.txt" || fail "$f is not in the build context (.dockerignore?)"
done
echo "build context: $(grep -vc '/$' "$logs/context-files.txt") files; junk kept out; embedded data in"
done_step

# ---- 4. export and check the image ---------------------------------------------------------
step "podman create + export, metadata checks"
container=$(pm create "$image")
root=$work/rootfs
mkdir -p "$root"
pm export "$container" >"$work/image.tar"
tar --numeric-owner -C "$root" -xpf "$work/image.tar"
pm rm -f "$container" >/dev/null 2>>"$logs/podman.log"; container=""
pm image inspect "$image" >"$logs/inspect.json"
cfg() { jq -c ".[0].Config$1" "$logs/inspect.json"; }

user=$(jq -r '.[0].Config.User' "$logs/inspect.json")
[ "$user" = articled ] || fail "USER is '$user', not articled"
pw=$(grep "^$user:" "$root/etc/passwd") || fail "user $user not in the image's /etc/passwd"
uid=$(cut -d: -f3 <<<"$pw"); gid=$(cut -d: -f4 <<<"$pw")
[ "$uid" -ne 0 ] && [ "$gid" -ne 0 ] || fail "user $user is uid $uid gid $gid"
[ "$(cfg '.ExposedPorts | keys')" = '["8080/tcp"]' ] || fail "EXPOSE is $(cfg .ExposedPorts), not 8080/tcp"
[ "$(cfg '.Volumes | keys')" = '["/data"]' ] || fail "VOLUME is $(cfg .Volumes), not /data"
[ "$(cfg .WorkingDir)" = '"/data"' ] || fail "WORKDIR is $(cfg .WorkingDir)"
[ "$(cfg .Cmd)" = '["/usr/local/bin/articled"]' ] || fail "CMD is $(cfg .Cmd)"
[ "$(cfg .StopSignal)" = '"SIGTERM"' ] || [ "$(cfg .StopSignal)" = '"15"' ] \
  || fail "STOPSIGNAL is $(cfg .StopSignal)"
mapfile -t image_env < <(jq -r '.[0].Config.Env[]' "$logs/inspect.json")
envval() {
  local e
  for e in "${image_env[@]}"; do
    if [ "${e%%=*}" = "$1" ]; then echo "${e#*=}"; return 0; fi
  done
  return 0
}
[ "$(envval ARTICLED_DB)" = /data/articled.db ] || fail "ENV ARTICLED_DB is '$(envval ARTICLED_DB)'"
[ "$(envval ARTICLED_PORT)" = 8080 ] || fail "ENV ARTICLED_PORT is '$(envval ARTICLED_PORT)'"
[ "$(envval ARTICLED_BIND)" = 0.0.0.0 ] || fail "ENV ARTICLED_BIND is '$(envval ARTICLED_BIND)' (unreachable from outside)"
[ "$(envval ARTICLED_API_KEY_FILE)" = /run/secrets/articled-keys ] \
  || fail "ENV ARTICLED_API_KEY_FILE is '$(envval ARTICLED_API_KEY_FILE)', not /run/secrets/articled-keys"
[ -z "$(envval ARTICLED_ALLOW_OPEN_API)" ] || fail "the image sets ARTICLED_ALLOW_OPEN_API"
[ -n "$(envval PATH)" ] || fail "no PATH in the image's ENV"
hc=$(jq -c '.[0].Config.Healthcheck // .[0].Healthcheck // empty' "$logs/inspect.json")
[ -n "$hc" ] || fail "no HEALTHCHECK in the image"
hc_kind=$(jq -r '.Test[0]' <<<"$hc"); hc_cmd=$(jq -r '.Test[1:] | join(" ")' <<<"$hc")
[ "$hc_kind" = CMD-SHELL ] || [ "$hc_kind" = CMD ] || fail "HEALTHCHECK test is $hc"
grep -q /healthz <<<"$hc_cmd" || fail "HEALTHCHECK does not hit /healthz: $hc_cmd"

# Files: the binary and every library it needs, curl for the HEALTHCHECK, no toolchain or
# sources, /data owned by the user.
bin=$root/usr/local/bin/articled
[ -x "$bin" ] || fail "no executable /usr/local/bin/articled in the image"
[ -x "$root/usr/bin/curl" ] || fail "no curl in the image (the HEALTHCHECK needs it)"
for t in usr/bin/gcc usr/bin/cc usr/bin/cmake src build; do
  [ ! -e "$root/$t" ] || fail "the runtime image holds /$t (build stage leaked)"
done
[ "$(stat -c %u:%g "$root/data")" = "$uid:$gid" ] || fail "/data is owned by $(stat -c %u:%g "$root/data"), not $uid:$gid"
chroot "$root" /usr/bin/ldd /usr/local/bin/articled >"$logs/ldd.txt" 2>&1 || true
if grep -q 'not found' "$logs/ldd.txt"; then cat "$logs/ldd.txt" >&2; fail "libraries missing in the runtime image"; fi
grep -q 'libmicrohttpd' "$logs/ldd.txt" || { cat "$logs/ldd.txt" >&2; fail "ldd in the image did not work"; }
image_size=$(pm image inspect --format '{{.Size}}' "$image")
base_size=$(pm image inspect --format '{{.Size}}' "${base_names[0]}")
added_mb=$(((image_size - base_size) / 1000000))
max_added_mb=${ARTICLED_CONTAINER_MAX_ADDED_MB:-35}
[ "$added_mb" -le "$max_added_mb" ] \
  || fail "the runtime stage adds $added_mb MB to debian:bookworm-slim (limit $max_added_mb MB): apt caches or the build stage leaked?"
rootfs_size=$(du -sb "$root" | cut -f1)
done_step

# ---- 5. run it: chroot as the image's user, its ENV and CMD ------------------------------
# Each run is in a network namespace of its own (its loopback only), so the image's ENV is
# used as it is (0.0.0.0:8080) without listening on this machine's network; the checks'
# curl runs in the same namespace. The image's access choice is checked both ways:
#   a. no key file at $ARTICLED_API_KEY_FILE: the server refuses to start;
#   b. no key file (ARTICLED_API_KEY_FILE empty) and no ARTICLED_ALLOW_OPEN_API: refuses;
#   c. ARTICLED_API_KEY_FILE empty, ARTICLED_ALLOW_OPEN_API=on: starts, open on purpose;
#   d. a key file mounted at $ARTICLED_API_KEY_FILE: keys are required; the article is
#      written, read back, searched, and still there after a restart on the same volume.
step "run the exported image with chroot"
port=$(envval ARTICLED_PORT)
key_path=$(envval ARTICLED_API_KEY_FILE)
secrets=$work/secrets
mkdir -p "$secrets"
write_key=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
read_key=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
printf '%s write ctr-writer\n%s read ctr-reader\n' "$write_key" "$read_key" >"$secrets/keys"
chown "$uid:$gid" "$secrets/keys"
chmod 600 "$secrets/keys"
mapfile -t cmd < <(jq -r '.[0].Config.Cmd[]' "$logs/inspect.json")

mkdir -p "$root/proc" "$root/dev" "$root/data" "$root$(dirname "$key_path")"
# Running, not a zombie waiting to be reaped.
alive() {
  local st
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ]
}

# launch NAME DATA KEYS [VAR=VALUE...]: starts the image's CMD as its user with its ENV (and
# those variables) in private mount and network namespaces (mounts vanish with the process):
# /proc, /dev, DATA on /data, and with KEYS=keys the key file on $key_path. chroot -> env ->
# the CMD are exec'd, so $! is the server's pid. Its output goes to $logs/NAME.log.
launch() {
  local name=$1 vol=$2 keys=$3
  shift 3
  run_env=(HOME=/data HOSTNAME=articled-test "${image_env[@]}" "$@")
  server_log=$logs/$name.log
  mkdir -p "$vol"
  chown "$uid:$gid" "$vol"
  chmod 755 "$vol"
  rm -f "$root$key_path" # a mount point left by an earlier run with keys: now no file
  unshare --mount --net --propagation private -- /bin/bash -c '
      set -e; root=$1; data=$2; keys=$3; key_path=$4; shift 4
      ip link set lo up
      mount -t proc proc "$root/proc"
      mount --bind /dev "$root/dev"
      mount --bind "$data" "$root/data"
      if [ -n "$keys" ]; then
        touch "$root$key_path"
        mount --bind -o ro "$keys" "$root$key_path"
      fi
      exec "$@"' start "$root" "$vol" "$([ "$keys" = keys ] && echo "$secrets/keys")" "$key_path" \
    env -i "${run_env[@]}" chroot --userspec="$uid:$gid" --groups="$gid" "$root" \
    /usr/bin/env --chdir=/data "${cmd[@]}" >>"$server_log" 2>&1 &
  server_pid=$!
}
# curl in the server's network namespace.
ncurl() { nsenter --target "$server_pid" --net -- curl "$@"; }
wait_ready() {
  local i
  for i in $(seq 150); do
    ncurl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    alive "$server_pid" || { cat "$server_log" >&2; fail "the server exited while starting"; }
    sleep 0.2
  done
  cat "$server_log" >&2; fail "no /healthz answer on port $port within 30 s"
}
stop_server() {
  kill -TERM "$server_pid"
  local rc=0 i
  for i in $(seq 150); do alive "$server_pid" || break; sleep 0.1; done
  if alive "$server_pid"; then cat "$server_log" >&2; fail "still running 15 s after SIGTERM"; fi
  wait "$server_pid" || rc=$?
  server_pid=""
  [ "$rc" -eq 0 ] || { cat "$server_log" >&2; fail "exit status $rc after SIGTERM, not 0"; }
}
# expect_refusal WHAT REGEX: the server just launched exits non-zero within 10 s, without
# listening, and its message matches REGEX (grep -iE).
expect_refusal() {
  local what=$1 regex=$2 rc=0
  for _ in $(seq 100); do alive "$server_pid" || break; sleep 0.1; done
  if alive "$server_pid"; then
    local answer
    answer=$(ncurl -sS -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" 2>&1 || true)
    kill -KILL "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""
    cat "$server_log" >&2
    fail "$what: still running after 10 s (/healthz: $answer), expected a refusal to start"
  fi
  wait "$server_pid" || rc=$?
  server_pid=""
  [ "$rc" -ne 0 ] || { cat "$server_log" >&2; fail "$what: exit status 0, expected a refusal"; }
  ! grep -q '"msg":"listening"' "$server_log" || fail "$what: it listened before exiting"
  grep -qiE -- "$regex" "$server_log" || { cat "$server_log" >&2; fail "$what: the message does not match '$regex'"; }
  echo "refused as it should, $what: exit $rc: $(grep -m 1 '^articled: ' "$server_log" || tail -n 1 "$server_log")"
}
# Runs a command inside the server's namespaces and chroot, as the image's user and ENV.
in_image() {
  nsenter --target "$server_pid" --mount --net -- env -i "${run_env[@]}" \
    chroot --userspec="$uid:$gid" --groups="$gid" "$root" "$@"
}
# status METHOD PATH [KEY] [BODY]: the HTTP status of one request (answer in $work/answer.json).
status() {
  local auth=() body=()
  [ -z "${3:-}" ] || auth=(-H "Authorization: Bearer $3")
  [ -z "${4:-}" ] || body=(-H 'Content-Type: application/json' --data-binary "$4")
  ncurl -sS -m 10 -o "$work/answer.json" -w '%{http_code}' -X "$1" "${auth[@]}" "${body[@]}" \
    "http://127.0.0.1:$port$2"
}

# a. The image as it is, nothing mounted.
launch refuse-no-keyfile "$work/data-a" none
expect_refusal "no key file at $key_path" "$key_path"

# b. No key file and no explicit choice: listening beyond loopback must be refused.
launch refuse-open "$work/data-b" none ARTICLED_API_KEY_FILE=
expect_refusal "no key file and no ARTICLED_ALLOW_OPEN_API" "allow[-_]open[-_]api"

article='{"id":"ctr:0001","title":"Container check: central bank raises rates",
  "body":"The central bank raised interest rates by half a point on Tuesday, its containers said.",
  "source":"CTR","published_at":"2025-03-04T09:30:00Z","tags":["economy"]}'

# c. Open on purpose.
launch open "$work/data-c" none ARTICLED_API_KEY_FILE= ARTICLED_ALLOW_OPEN_API=on
wait_ready
code=$(status POST /v1/articles "" "$article")
[ "$code" = 201 ] || fail "open API: POST /v1/articles without a key: $code $(cat "$work/answer.json")"
stop_server
echo "open on purpose (ARTICLED_ALLOW_OPEN_API=on): started, a write without a key was stored"

# d. The key file mounted as a secret.
data=$work/data
launch server "$data" keys
wait_ready
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$server_pid/status")
[ "$uids" = "$uid $uid $uid $uid" ] || fail "the server runs with uids $uids, not $uid"
grep -q listening "$server_log" || fail "no 'listening' log line: $(head -3 "$server_log")"
head -1 "$server_log" | jq -e . >/dev/null 2>&1 || fail "log lines are not JSON: $(head -1 "$server_log")"

# The image's own HEALTHCHECK, as Docker would run it.
if [ "$hc_kind" = CMD-SHELL ]; then hc_run=(/bin/sh -c "$hc_cmd"); else mapfile -t hc_run < <(jq -r '.Test[1:][]' <<<"$hc"); fi
out=$(in_image "${hc_run[@]}" 2>&1) || fail "HEALTHCHECK command failed: $out"
echo "HEALTHCHECK inside the image: $out"

code=$(status POST /v1/articles "" "$article")
[ "$code" = 401 ] || fail "with the key file: POST without a key is $code, not 401"
code=$(status POST /v1/articles "$read_key" "$article")
[ "$code" = 403 ] || fail "with the key file: POST with a read key is $code, not 403"
code=$(status POST /v1/articles "$write_key" "$article")
[ "$code" = 201 ] || fail "POST /v1/articles with the write key: $code $(cat "$work/answer.json")"
code=$(status GET /v1/articles/ctr:0001 "$read_key")
[ "$code" = 200 ] || fail "GET /v1/articles/ctr:0001: $code"
[ "$(jq -r .title "$work/answer.json")" = "Container check: central bank raises rates" ] \
  || fail "GET returned $(cat "$work/answer.json")"
code=$(status GET "/v1/search?q=interest+rates&source=CTR" "$read_key")
[ "$code" = 200 ] || fail "GET /v1/search: $code"
jq -e '[.. | objects | select(.id? == "ctr:0001")] | length > 0' "$work/answer.json" >/dev/null \
  || fail "search did not find the article: $(head -c 400 "$work/answer.json")"
stop_server
[ -s "$data/articled.db" ] || fail "no /data/articled.db after the run"
[ "$(stat -c %u "$data/articled.db")" = "$uid" ] || fail "/data/articled.db not owned by $uid"

# A second start on the same volume: migrations are a no-op and the article is still there.
launch server "$data" keys
wait_ready
code=$(status GET /v1/articles/ctr:0001 "$read_key")
[ "$code" = 200 ] || fail "article lost across a restart on the volume ($code)"
stop_server
echo "with the key file on $key_path: 401 without a key, 403 read key on a write, stored," \
  "read, searched, kept across a restart"
done_step

# ---- 6. report -------------------------------------------------------------------------
say "summary"
echo "source:      $src_desc"
echo "base:        ${base_names[*]} = debootstrap minbase bookworm (${base_id:0:12})"
echo "image:       $image $(echo "$new_image" | cut -c1-12), $((image_size / 1000000)) MB:" \
     "base $((base_size / 1000000)) MB + $added_mb MB from the runtime stage" \
     "(exported rootfs $((rootfs_size / 1000000)) MB; binary $(($(stat -c %s "$bin") / 1000)) kB)"
echo "port used:   $port (in each run's own network namespace)"
printf '  %s\n' "${timings[@]}"
echo "container: ok"
