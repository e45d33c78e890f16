# shellcheck shell=sh
# The Debian 12 packages articled needs, by purpose: the one list that scripts/deps.sh,
# .ci/run, the Dockerfile (both stages) and tests/container/verify.sh read.
# POSIX sh, so that a Dockerfile's RUN (dash) can source it too:
#   . scripts/packages.sh && articled_packages build runtime
# prints the packages of those groups, one a line (each once). Groups:
#   build      compile the server (cmake, the C libraries' headers)
#   runtime    run it: the shared libraries the binary links (libcurl: `articled import`), and
#              curl (health check, tour)
#   test       the test builds: Criterion, libcurl and libyaml for the black-box tests
#   fuzz       the libFuzzer harnesses (clang and its runtime)
#   bench      bench/run: libpq and PostgreSQL (the peer), libxapian-dev (the Xapian peer),
#              nginx and wrk (the HTTP floor), libexttextcat (tools/lang_eval's comparison;
#              the service does not link it)
#   contract   tests/contract/run.sh: node and npm for the Redocly linter and Prism's proxy
#   browser    tests/browser/run.sh: Debian's chromium, and node and npm for playwright-core
#   container  tests/container/verify.sh: podman and debootstrap, without a Docker engine

articled_packages_group() {
    case "$1" in
    build)
        echo build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev \
            libsqlite3-dev libunistring-dev libxxhash-dev nettle-dev libcurl4-openssl-dev ;;
    runtime)
        echo libmicrohttpd12 libjansson4 libsqlite3-0 libunistring2 libxxhash0 libnettle8 \
            libcurl4 curl ;;
    test)
        echo libcriterion-dev libcurl4-openssl-dev libyaml-dev curl ;;
    fuzz)
        echo clang libclang-rt-14-dev ;;
    bench)
        echo libpq-dev postgresql libxapian-dev nginx wrk libexttextcat-dev libexttextcat-data ;;
    contract)
        echo nodejs npm ;;
    browser)
        echo chromium nodejs npm ;;
    container)
        echo debootstrap podman uidmap fuse-overlayfs slirp4netns debian-archive-keyring \
            jq curl util-linux coreutils tar iproute2 ;;
    *)
        echo "articled_packages: unknown group '$1' (build runtime test fuzz bench" \
            "contract browser container)" >&2
        return 2 ;;
    esac
}

# articled_packages GROUP...: the packages of the groups, one a line, each once.
articled_packages() {
    _ap_all=""
    for _ap_group in "$@"; do
        _ap_list=$(articled_packages_group "$_ap_group") || return 2
        _ap_all="$_ap_all $_ap_list"
    done
    # shellcheck disable=SC2086 # the list is words
    printf '%s\n' $_ap_all | awk '!seen[$0]++'
}
