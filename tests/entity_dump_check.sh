#!/bin/sh
# entity_dump_check.sh ENTITY_DUMP SOURCE_DIR: what the extractor finds over the shared corpus
# (tools/entity_dump: every BBC and Reuters-21578 article three ways, the CoNLL++ documents),
# as a SHA-256 digest, against data/eval/entity_dump.sha256. A change meant to leave the
# output alone (a speed-up) must keep the digest. A change of the rules changes it on purpose:
# then check the new output (cmp two dumps, tools/ner_eval, tools/entity_top --judged) and
# store the new digest with
#   build/tools/entity_dump --data ../shared/data | sha256sum | cut -d' ' -f1 > data/eval/entity_dump.sha256
# Skipped (77) without the shared data.
set -eu
dump=$1
src=$2
data=${ARTICLED_SHARED_DATA:-$src/../shared/data}
if [ ! -r "$data/news/bbc.ndjson" ] || [ ! -r "$data/news/reuters21578.ndjson" ]; then
    echo "entity_dump_check: no shared data at $data (skipped)"
    exit 77
fi
want=$(cat "$src/data/eval/entity_dump.sha256")
got=$("$dump" --data "$data" | sha256sum | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
    echo "entity_dump_check: extractor output changed: digest $got, expected $want"
    echo "(intended? see the header of tests/entity_dump_check.sh)"
    exit 1
fi
echo "entity_dump_check: output unchanged ($got)"
