#!/usr/bin/env bash
# bench/valgrind-server.sh: runs articled under valgrind memcheck, for the API tests.
#
# The API test harness (tests/api/support/apitest.c) execs $ARTICLED_BIN with the server's
# arguments and reads the port from the server's stdout, so this wrapper execs valgrind with
# its report going to a file (never stdout) and the same arguments:
#
#   cmake -S . -B build-soak-vg -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build-soak-vg --target articled api_test_articles api_test_bulk_search \
#         api_test_duplicates api_test_entities
#   export VG_ARTICLED=$PWD/build-soak-vg/articled VG_LOG_DIR=/tmp/vg
#   mkdir -p $VG_LOG_DIR
#   ARTICLED_BIN=$PWD/bench/valgrind-server.sh build-soak-vg/tests/api_test_articles --jobs 1
#   grep -L 'ERROR SUMMARY: 0 errors' $VG_LOG_DIR/vg.*.log     # logs with findings
#
# VG_ARTICLED: the real binary (default build-soak-vg/articled next to this script's repo);
# VG_LOG_DIR: where vg.<pid>.log files go (default /tmp). A memcheck error or a definite or
# possible leak makes the server exit 99, so apitest_stop() sees a non-zero exit and the test
# fails. Tests with tight timeouts may fail under valgrind's ~20-50x slowdown without any
# memory error: read the logs, not only the test result.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${VG_ARTICLED:-$here/build-soak-vg/articled}
logdir=${VG_LOG_DIR:-/tmp}
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,possible \
    --errors-for-leak-kinds=definite,possible --error-exitcode=99 --track-origins=yes \
    --num-callers=30 --log-file="$logdir/vg.%p.log" "$bin" "$@"
