"""The texts of twitter_text_conformance.json: every piece alone, then 1,200 seeded mixes.

Regenerate the fixture (needs node and npm, not needed by the tests):
    python tests/posts/data/twitter_text_cases.py /tmp/texts.json
    (cd /tmp && npm install twitter-text@3.1.0)
    NODE_PATH=/tmp/node_modules node tests/posts/data/twitter_text_oracle.js /tmp/texts.json \\
        tests/posts/data/twitter_text_conformance.json
"""

import json
import random
import sys

random.seed(13)
pieces = [
    "see",
    "example.org",
    "bit.ly/x",
    "https://a.b.co/x?y=1",
    "a.b",
    "x.y.z.com",
    "Hull.",
    "U.K.",
    "e.g.",
    "www.charity.org.uk/appeal.",
    "(charity.org)",
    "foo@bar.com",
    "1.5km",
    "https://x.com/a.b.c",
    "Ünï.çødé",
    "日本.jp",
    "a..b.com",
    "-x.com",
    ".com",
    "co.uk",
    "…",
    "footage.help.xyz",
    "sightings.tech",
    "https://поиск.рф/и/1",
    "charity.example",
    "@x.com",
    "https://t.co/abc",
    "#tag.org",
    "$x.com",
    "ex.ample.みんな/a",
    "http://a.b.c.d.e.f.gov/?q=1)",
    "example.org日本.jp/",
    "©",
    "®",
    "™",
    "‼",
    "©\ufe0f",
    "1\u20e3",
    "#\ufe0f\u20e3",
    "😀",
    "👨\u200d👩\u200d👧",
    "👍🏽",
    "🇬🇧",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "❤️",
    "❤",
    "☺",
    "↔",
    "Zoë",
    "Zoe\u0301",
    "café",
    "“q”",
    "–",
    "あ",
    "漢字",
    "Привет",
    "שלום",
    "مرحبا",
    "\U0001d400",
    "\u200d",
    "\ufe0f",
    "\u2028",
    "https://example.org/" + "x" * 30,
    "HTTPS://EXAMPLE.ORG/A",
    "example.com/path?q=a&b=c#frag",
    "http://localhost:8000/a",
    "http://127.0.0.1/a",
    "https://ex-ample.charity/a_b",
    "www.gov.uk",
    "nhs.uk.",
    "x.com…",
    "a.co,b.co",
    "(https://en.wikipedia.org/wiki/A_(b))",
]
seps = [" ", "", "\t", "\u3000", "\u00a0", "\n", "\r\n", ". ", "/", ",", "!"]
texts = []
for _ in range(1200):
    k = random.randint(1, 10)
    texts.append("".join(random.choice(pieces) + random.choice(seps) for _ in range(k)))
for p in pieces:
    texts.append(p)
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(texts, out)
