"""The sequences of twitter-text-parser's emoji pattern, for twitter_text_emoji.js to weigh.

Regenerate the fixture and the bot's list (needs node and npm, not needed by the tests):
    .venv/bin/python tests/posts/data/twitter_text_emoji.py /tmp/sequences.json
    (cd /tmp && npm install twitter-text@3.1.0)
    NODE_PATH=/tmp/node_modules node tests/posts/data/twitter_text_emoji.js /tmp/sequences.json \\
        tests/posts/data/twitter_text_emoji.json
    .venv/bin/python tests/posts/data/twitter_text_emoji.py --list \\
        tests/posts/data/twitter_text_emoji.json > bot/data/twitter_text_split_emoji.txt
"""

import json
import sys
from pathlib import Path

from bot.posts.twitter_text import _LISTED_EMOJI, _listed_sequences

if sys.argv[1] == "--list":
    cases = json.loads(Path(sys.argv[2]).read_text("utf-8"))["cases"]
    print("# twitter-text-parser's emoji sequences that the official twitter-text 3.1.0 does")
    print("# not take for one emoji (it weighs their parts): code points in hex, a sequence a")
    print("# line. Made by tests/posts/data/twitter_text_emoji.py from twitter_text_emoji.json.")
    for sequence, weight in cases:
        if weight != 2:
            print(" ".join(f"{ord(char):X}" for char in sequence))
else:
    sequences = _listed_sequences(_LISTED_EMOJI)
    Path(sys.argv[1]).write_text(json.dumps(sequences, ensure_ascii=False), "utf-8")
