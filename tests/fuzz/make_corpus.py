#!/usr/bin/env python3
"""Writes the seed corpus tests/fuzz/corpus/<harness>/ from hand-written hostile inputs and
trimmed articles of ../shared/data/news (when present). Deterministic: rerunning it gives the
same files. Usage: python3 tests/fuzz/make_corpus.py [news-dir]"""
import base64
import hashlib
import json
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NEWS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../shared/data/news")
rng = random.Random(20250301)


def articles(name, count, stride):
    """count articles of NEWS/name, every stride-th line, bodies trimmed to ~1200 bytes."""
    path = os.path.join(NEWS, name)
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % stride == 0:
                a = json.loads(line)
                body = a["body"]
                if len(body.encode()) > 1200:
                    cut = body[:1200]
                    body = cut[: cut.rfind(" ")] if " " in cut else cut
                a["body"] = body
                out.append(a)
                if len(out) == count:
                    break
    return out


NEWS_ARTICLES = articles("bbc.ndjson", 10, 211) + articles("reuters21578.ndjson", 10, 1801)


def write(harness, items):
    d = os.path.join(HERE, "corpus", harness)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for item in items:
        data = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else item
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def j(o):
    return json.dumps(o, ensure_ascii=False)


# ---- article_json: real articles and edge cases of the validator ----
base = {"title": "Central bank raises rates", "body": "The central bank raised rates."}
art = [j(a) for a in NEWS_ARTICLES[:14]]
art += [
    j(dict(base, id="afp:2025-0001", url="https://example.com/a?b=c", source="AFP",
           author="Jane Doe", language="en-GB", published_at="2025-03-04T09:30:00Z",
           tags=["economy", "rates"])),
    j(dict(base, published_at="2024-02-29t23:59:60.999+01:00")),
    j(dict(base, published_at="2023-02-29T00:00:00Z")),
    j(dict(base, published_at="2025-03-04")),
    j(dict(base, published_at=None, url=None, tags=None, id=None)),
    j(dict(base, id="x" * 128)),
    j(dict(base, id="x" * 129)),
    j(dict(base, id="bad id/with?chars")),
    j(dict(base, id=42)),
    j(dict(base, tags=["t"] * 100)),
    j(dict(base, tags=["t"] * 101)),
    j(dict(base, tags=["a", 1, None])),
    j(dict(base, tags="economy")),
    j(dict(base, language="x" * 36)),
    j(dict(base, title=" \t\r\n")),
    j(dict(base, body="")),
    j({"body": "no title"}),
    j({"title": "no body"}),
    j(dict(base, title=["not", "a", "string"])),
    j(dict(base, unknown={"nested": [1, 2.5e300, -0.0, True, False, None]})),
    json.dumps(dict(base, body="Caf\u00e9 \u6771\u4eac \U0001F600 \u05d0\u05b3")),
    '{"title":"t","body":"nul \\u0000 inside"}',
    '{"title":"t","body":"lone \\ud800 surrogate"}',
    '{"title":"t","body":"pair \\ud83d\\ude00"}',
    '{"title":"t","title":"dup","body":"b"}',
    '{"title":"t","body":"b"} trailing',
    '\ufeff{"title":"t","body":"b"}',
    '{"title":"t","body":"b",}',
    '{"title":"t","body":"b"',
    "[]", "{}", "null", '"string"', "1e999", "",
    "[" * 200 + "]" * 200,
    '{"a":' * 100 + "1" + "}" * 100,
    b'{"title":"t","body":"bad \xff\xfe utf8"}',
    b'{"title":"t","body":"overlong \xc0\xaf"}',
    b'{"title":"t","body":"nul \x00 raw"}',
    j(dict(base, id="same", title="t")),
]
write("article_json", art)

# ---- query: the query language and what must never reach FTS5 raw ----
write("query", [
    "interest rates", '"interest rates" -japan', "brown chancellor", "rais*", '"central bank"*',
    "a OR b", "a OR b OR c d", "-x a", "a -x -y", "(a OR b)", "title:x", "NEAR(a b)", "a AND b",
    "a NOT b", "a:b", "^start", "col:* x", "\"unbalanced", 'a"b"c', '"a""b"', '""', '"" x',
    "OR", "a OR", "OR a", "a OR OR b", "a OR -b", "-a OR b", "-", "*", "a *", "- a", "--a",
    "-\"phrase here\"", "x*y", "***a", "a*", "&&", "...", "\U0001F600", "\U0001F600 news",
    "caf\u00e9 cr\u00e8me", "\u6771\u4eac \u5927\u962a", "\u0395\u03bb\u03bb\u03ac\u03b4\u03b1",
    "a\u00a0b", "a\u3000b", "a\u2028b", "a\tb\nc\rd", "a\x7fb", "\u05d0\u05b3", "\u0301",
    "x" * 1024, "x " * 40, " ".join(["w%d" % i for i in range(33)]), "a\u200bb", "or and not",
    "\"a\" b* -\"c d\" e OR f", "'single quotes'", "a\\b", "%", "50%", "\ufdd0", "\U000e0001",
    b"bad \xff utf8", b"nul\x00", "NEAR/3", "{a b}", "a + b", "\"*\"", "\"-\"", "\"OR\"",
])

# ---- ndjson: line splitting ----
lines = [j(a) for a in NEWS_ARTICLES[:3]]
write("ndjson", [
    "\n".join(lines) + "\n", "\r\n".join(lines) + "\r\n", "\n\n".join(lines), "", "\n", "\r\n",
    "\r", " \t\r\n", "a", "a\n", "a\r", "a\r\r\n", "\n\na\n\n\nb", "a\nb\nc", "\r\n\r\na\r\n",
    "  a  \n\t\n b\r", "x" * 300 + "\n" + "y" * 3, "\x00\n\x00", "\n" * 50, "\r" * 10 + "a",
    '{"a":1}\n{"b":2}\r\n\r\n{"c":3}', "\u2028\n\u0085\n", b"\xff\n\xfe\r\n",
])

# ---- textnorm / fingerprints: normalisation rules ----
tn = [a["body"] for a in NEWS_ARTICLES[:8]]
tn += [
    "Caf\u00e9 CAFE cafe\u0301", "AOL\u2019s AOL's AOL`s AOL\u00b4s", "50% 50 per cent 50 pct 50\uff05",
    "Mr Smith, Mrs. Jones, Dr. Who, Prof Xavier and Sir Elton met Ms Lee.", "per per cent cent",
    "\u6771\u4eac\u3068\u5927\u962a\u306f\u30ab\u30bf\u30ab\u30ca", "\ufb01nance \ufb00 \u2460 \u00bd",
    "\u00e6\u00f0\u0111\u00f8\u00fe\u0127\u0131\u0142\u0153\u0167\u0180 \u00c6\u0152",
    "stra\u00dfe STRASSE \u1e9e", "\u0130stanbul \u0131\u0307", "soft\u00adhyphen zero\u200bwidth join\u200dme",
    "\u05d0\u05b3 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u066a", "\ud55c\uad6d\uc5b4 \u1100\u1161",
    "\u0915\u094d\u0937 \u0915\u093f", "\U0001F600\U0001F3F3\ufe0f\u200d\U0001F308",
    "a" * 300, " ".join(["word"] * 40), " ".join("w%d" % i for i in range(60)), "",
    "\u0301\u0301\u0301", "'''", "\t\n\r", "A-B_C.D/E", "\u13a0\uab70", "\u2126 \u212a \u212b",
]
write("textnorm", tn)

# ---- entity: news text and the rules' triggers ----
en = [a["title"] + "\n\n" + a["body"] for a in NEWS_ARTICLES[:16]]
en += [
    "Secretary of State Marco Rubio met Russian Foreign Minister Sergei Lavrov in Riyadh. Rubio said "
    "Lavrov agreed. Mr. Rubio later flew to the United States (U.S.).",
    "The North Atlantic Treaty Organization (NATO) said Nato allies met. NATO chief spoke.",
    "XI TALKS WITH BIDEN IN BEIJING\nXi Jinping and Joe Biden met. Xi said Biden was right.",
    "ANCHORAGE, Alaska (Reuters) - Home | News | Sport\nShare this article",
    "de Klerk and Nelson Mandela; van der Berg; Al-Qaeda; O'Brien; Jean-Luc Picard",
    "Monday January Tuesday The The THE Of And", "(ABC) (A) () (( )) ()()()",
    "Z\u00fcrich, M\u00fcnchen and S\u00e3o Paulo; \u041c\u043e\u0441\u043a\u0432\u0430; \u6771\u4eac",
    "U.S. U.K. E.U. U.N. A.B.C.D.E.F.G.H.I.J.K.L.M.N.O.P.", "\u05d0\u05b3\t\u05d0\u05b3",
    " ".join(["Smith"] * 60), " ".join("Name%d" % i for i in range(50)),
    "President " * 20 + "Obama", "A" * 500, "\u0130STANBUL \u0130zmir", "Mr", "",
]
write("entity", en)


# ---- cursor: encodings of real cursors and near misses ----
def b64(s):
    return base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")


cur = [
    b64("1|r|0x0p+0|0|0|1000|20|1a2b3c4d"), b64("1|n|0x0p+0|1740787200|42|1000|0|deadbeef"),
    b64("1|l|0x0p+0|1740787200|42|0|0|00000000"), b64("1|x|0x0p+0|0|0|0|0|00000000"),
    b64("1|r|0x0p+0|0|0|0|-1|00000000"), b64("1|r|nan|0|0|0|0|00000000"),
    b64("1|r|-0x1.fffffffffffffp+1023|-9223372036854775808|-9223372036854775808|0|0|ffffffff"),
    b64("1|r|1e308|99999999999999999999|0|0|9223372036854775807|ffffffff"),
    b64("1|r|0x0p+0|0|0|0|0|00000000x"), b64("2|r|0x0p+0|0|0|0|0|00000000"),
    "", "A", "AB", "ABC", "ABCD", "====", "!!!!", "a" * 159, "a" * 160, "\x00abc",
]
write("cursor", cur)

# ---- datetime ----
write("datetime", [
    "2025-03-01T12:00:00Z", "2025-03-01t12:00:00.250+01:00", "2025-03-01", "2024-02-29T23:59:60Z",
    "2023-02-29T00:00:00Z", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
    "2025-13-01T00:00:00Z", "2025-03-01T24:00:00Z", "2025-03-01T12:00:00.Z",
    "2025-03-01T12:00:00.123456789012345678901234567890Z", "2025-03-01T12:00:00+0100",
    "2025-03-01 12:00:00Z", "2025-03-01T12:00:00", "0000-01-01", "2025-3-1", "", "Z",
])
