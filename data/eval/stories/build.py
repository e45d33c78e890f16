#!/usr/bin/env python3
"""Builds reuters_events.ndjson: hand-labelled same-event groups from
Reuters-21578 (16-18 March 1987) among unrelated reports of the same days.
Reads ../shared/data/news/reuters21578.ndjson (run from the repository root:
python3 data/eval/stories/build.py). The labels are GROUPS below, decided by
reading each report (see README.md for the rules); the distractors are a
seeded sample of the same three days, read to check that none belongs to a
group. Output: one article a line, in published_at order, with its `story`
label (a singleton's label is its own id)."""
import json, random, sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/news/reuters21578.ndjson"
OUT = "data/eval/stories/reuters_events.ndjson"
DAYS = ("1987-03-16", "1987-03-17", "1987-03-18")

GROUPS = {
    "gencorp-tender-offer": [6410, 6439, 6463, 6630, 6665, 6750, 6780, 6815, 6819, 6928],
    "gencorp-q1-results": [5556, 5647],
    "us-foreign-oil-study": [5796, 6119, 6169],
    "fairchild-fujitsu-deal-ended": [5643, 5808],
    "house-bill-foreign-takeovers": [6639, 6788],
    "poindexter-immunity": [5405, 5775, 5871],
    "cathay-1986-results": [5787, 6335, 6353],
    "twa-usair-filing": [5671, 5750],
    "publicker-q4-results": [6458, 6670],
    "publicker-audit-opinion": [6479, 6671],
    "hilton-suites-launch": [5607, 6132],
    "shoneys-q1-results": [6088, 6134, 6155],
    "taft-raised-bid": [6056, 6085, 6157],
    "gelco-courier-unit-air-canada": [6497, 6502],
    "bristol-myers-aids-vaccine": [6320, 6544, 6608],
    "sears-ftc-settlement": [5952, 6095],
    "norstar-fleet-merger": [6659, 6689, 6914],
    "norstar-callicoon-bank": [6124, 6246],
    "lyng-exporters-eep-meeting": [6127, 6326],
    "conrail-ipo": [5548, 5726],
    "icco-buffer-stock-talks": [5382, 5598, 6128, 6407, 6493],
    "zambia-copper-diversion": [5827, 6025],
    "bankamerica-clausen-speech": [5719, 5730, 5733],
    "baker-soviet-bank-membership": [6016, 6061],
    "baker-iadb-veto": [6032, 6066],
    "baker-appropriations-testimony": [5944, 5978, 6028],
    "ibp-strike-vote": [5445, 5487],
}
# Read and judged as reports of no other event in the set: same company or
# same subject as a group, different event (the hard cases), then others.
SINGLETONS = [6719, 6506, 6337, 6071, 5464, 6437, 6096, 5665, 5259, 5322, 6191, 6103,
              6228, 5363, 5702, 5402, 6171, 5338, 6649, 6083, 6053, 6547, 6708, 5626,
              6581, 5919, 6896, 6317, 6413, 6828, 6688, 5659]
# Seeded distractors; EXCLUDE lists the sampled ones that reading showed
# to belong with a group, or to repeat another sampled report.
DISTRACTORS = 50
SEED = 19
EXCLUDE = []

arts = {}
for line in open(SRC):
    o = json.loads(line)
    arts[int(o["id"].split("-")[1])] = o
labelled = {}
for g, ids in GROUPS.items():
    for i in ids:
        labelled[i] = g
for i in SINGLETONS:
    labelled[i] = "single-%d" % i
pool = sorted(i for i, o in arts.items()
              if (o.get("published_at") or "")[:10] in DAYS and i not in labelled
              and i not in EXCLUDE and len(o["body"].split()) >= 40)
rng = random.Random(SEED)
for i in rng.sample(pool, DISTRACTORS + len(EXCLUDE)):
    if len([k for k in labelled if labelled[k].startswith("distractor")]) >= DISTRACTORS:
        break
    if i not in EXCLUDE:
        labelled[i] = "distractor-%d" % i
rows = sorted(labelled, key=lambda i: (arts[i]["published_at"], i))
with open(OUT, "w") as f:
    for i in rows:
        o = dict(arts[i])
        o["story"] = labelled[i]
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
print("%d articles, %d groups, %d singletons" % (
    len(rows), len(GROUPS), len(rows) - sum(len(v) for v in GROUPS.values())), file=sys.stderr)
if "--show" in sys.argv:
    for i in rows:
        if labelled[i].startswith("distractor"):
            print(i, arts[i]["published_at"][5:16], arts[i]["title"][:70], "|",
                  " ".join(arts[i]["body"].split())[:150])
