// What the official twitter-text v3 weighs each of twitter-text-parser's emoji sequences at:
// 2 where it takes the sequence for one emoji. See twitter_text_emoji.py.
const fs = require("fs");
const tt = require("twitter-text");
const sequences = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const cases = sequences.map((s) => [s, tt.parseTweet(s).weightedLength]);
const source =
  "twitter-text 3.1.0 (npm): parseTweet(sequence).weightedLength of each multi-character " +
  "sequence of twitter-text-parser's emoji pattern, by tests/posts/data/twitter_text_emoji.js";
fs.writeFileSync(process.argv[3], JSON.stringify({ source, cases }, null, 0));
